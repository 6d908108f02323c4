/* tensor.c: contiguous float32 tensors of 1 to 4 dims, shape checks with
 * overflow-checked sizes, fills. */
#include "ligo_internal.h"

LIGO_API ligo_status ligo_shape_numel(int ndim, const int64_t *shape, int64_t *n) {
    int i;
    int64_t total = 1;
    if (n) *n = 0;
    if (ndim < 1 || ndim > LIGO_MAX_DIMS || !shape) return LIGO_EINVAL;
    for (i = 0; i < ndim; i++) {
        if (shape[i] < 1) return LIGO_EINVAL;
        if (!ligo__mul_i64(total, shape[i], &total) || total > LIGO__MAX_NUMEL) return LIGO_EOVERFLOW;
    }
    if (n) *n = total;
    return LIGO_OK;
}

LIGO_API const char *ligo_shape_str(const ligo_tensor *t, char *buf, size_t size) {
    size_t len = 0;
    int i;
    if (!buf || size == 0) return "";
    buf[0] = '\0';
    if (!t) {
        snprintf(buf, size, "null");
        return buf;
    }
    for (i = 0; i < t->ndim && len < size; i++) {
        int k = snprintf(buf + len, size - len, i ? "x%lld" : "%lld", (long long)t->shape[i]);
        if (k < 0) break;
        len += (size_t)k;
    }
    return buf;
}

LIGO_API int ligo_same_shape(const ligo_tensor *a, const ligo_tensor *b) {
    int i;
    if (!a || !b || a->ndim != b->ndim) return 0;
    for (i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

/* Checks the shape and reports a bad one as `who`'s error. */
static int ligo__check_shape(ligo_ctx *ctx, const char *who, int ndim, const int64_t *shape, int64_t *n) {
    ligo_status s;
    int i;
    if (ndim < 1 || ndim > LIGO_MAX_DIMS || !shape) {
        ligo_set_error(ctx, LIGO_EINVAL, "%s: ndim %d is outside [1, %d] or shape is NULL", who, ndim, LIGO_MAX_DIMS);
        return 0;
    }
    s = ligo_shape_numel(ndim, shape, n);
    if (s == LIGO_EINVAL) {
        for (i = 0; i < ndim; i++)
            if (shape[i] < 1) break;
        ligo_set_error(ctx, LIGO_EINVAL, "%s: dim %d is %lld; dims must be >= 1", who, i, (long long)shape[i]);
        return 0;
    }
    if (s != LIGO_OK) {
        ligo_set_error(ctx, LIGO_EOVERFLOW, "%s: shape is too large (more than 2^38 elements)", who);
        return 0;
    }
    return 1;
}

static ligo_tensor *ligo__tensor_in(ligo_ctx *ctx, ligo__arena *arena, const char *region, const char *who,
                                    int ndim, const int64_t *shape, int with_data, int with_grad) {
    ligo_tensor *t;
    int64_t n;
    int i;
    if (ligo__failed(ctx)) return NULL;
    if (!ligo__check_shape(ctx, who, ndim, shape, &n)) return NULL;
    t = (ligo_tensor *)ligo__arena_alloc(ctx, arena, sizeof *t, region);
    if (!t) return NULL;
    t->ndim = ndim;
    for (i = 0; i < LIGO_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 1;
    t->n = n;
    t->op = LIGO_OP_LEAF;
    if (with_data) {
        t->data = (float *)ligo__arena_alloc(ctx, arena, (size_t)n * sizeof(float), region);
        if (!t->data) return NULL;
    }
    if (with_grad) {
        t->grad = (float *)ligo__arena_alloc(ctx, arena, (size_t)n * sizeof(float), region);
        if (!t->grad) return NULL;
        t->flags = LIGO_FLAG_PARAM | LIGO_FLAG_NEEDS_GRAD;
    }
    return t;
}

LIGO_API ligo_tensor *ligo_new(ligo_ctx *ctx, int ndim, const int64_t *shape) {
    return ligo__tensor_in(ctx, ctx ? &ctx->scratch : NULL, "scratch", "ligo_new", ndim, shape, 1, 0);
}

LIGO_API ligo_tensor *ligo_new_1d(ligo_ctx *ctx, int64_t n0) {
    int64_t s[1];
    s[0] = n0;
    return ligo_new(ctx, 1, s);
}

LIGO_API ligo_tensor *ligo_new_2d(ligo_ctx *ctx, int64_t n0, int64_t n1) {
    int64_t s[2];
    s[0] = n0;
    s[1] = n1;
    return ligo_new(ctx, 2, s);
}

LIGO_API ligo_tensor *ligo_new_3d(ligo_ctx *ctx, int64_t n0, int64_t n1, int64_t n2) {
    int64_t s[3];
    s[0] = n0;
    s[1] = n1;
    s[2] = n2;
    return ligo_new(ctx, 3, s);
}

LIGO_API ligo_tensor *ligo_new_param(ligo_ctx *ctx, int ndim, const int64_t *shape) {
    return ligo__tensor_in(ctx, ctx ? &ctx->persistent : NULL, "persistent", "ligo_new_param", ndim, shape, 1, 1);
}

LIGO_API ligo_tensor *ligo_wrap(ligo_ctx *ctx, int ndim, const int64_t *shape, float *data, float *grad) {
    ligo_tensor *t;
    if (ligo__failed(ctx)) return NULL;
    if (!data) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_wrap: data is NULL");
        return NULL;
    }
    t = ligo__tensor_in(ctx, &ctx->scratch, "scratch", "ligo_wrap", ndim, shape, 0, 0);
    if (!t) return NULL;
    t->data = data;
    if (grad) {
        t->grad = grad;
        t->flags = LIGO_FLAG_PARAM | LIGO_FLAG_NEEDS_GRAD;
    }
    return t;
}

LIGO_API void ligo_fill(ligo_tensor *t, float value) {
    int64_t i;
    if (!t || !t->data) return;
    for (i = 0; i < t->n; i++) t->data[i] = value;
}

LIGO_API void ligo_fill_uniform(ligo_tensor *t, ligo_rng *rng, float lo, float hi) {
    int64_t i;
    if (!t || !t->data || !rng) return;
    for (i = 0; i < t->n; i++) t->data[i] = lo + (hi - lo) * ligo_rng_uniform(rng);
}

LIGO_API void ligo_fill_normal(ligo_tensor *t, ligo_rng *rng, float mean, float std) {
    int64_t i;
    if (!t || !t->data || !rng) return;
    for (i = 0; i < t->n; i++) t->data[i] = mean + std * ligo_rng_normal(rng);
}

LIGO_API ligo_status ligo_copy_from(ligo_ctx *ctx, ligo_tensor *t, const float *src, int64_t n) {
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!t || !src) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_copy_from: NULL tensor or source");
    if (n != t->n) {
        char b[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_copy_from: %lld floats given for a %s tensor",
                              (long long)n, ligo_shape_str(t, b, sizeof b));
    }
    memcpy(t->data, src, (size_t)n * sizeof(float));
    return LIGO_OK;
}

LIGO_API void ligo_zero_grad(ligo_tensor *t) {
    if (t && t->grad) memset(t->grad, 0, (size_t)t->n * sizeof(float));
}
