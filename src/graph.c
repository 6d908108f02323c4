/* graph.c: the autograd tape. Builders run their forward kernel at once
 * (eager) and record the node; backward walks the tape in reverse. */
#include "ligo_internal.h"

/* The dispatch table, generated from LIGO_OP_LIST. */
typedef struct ligo__op_info {
    const char *name;
    int required_src;
    unsigned flags; /* LIGO__OP_VIEW */
    ligo__shape_fn shape;
    ligo__forward_fn forward;
    ligo__backward_fn backward;
} ligo__op_info;

static const ligo__op_info ligo__op_table[LIGO_OP_COUNT] = {
#define LIGO__OP_ROW(e, name, nsrc, flags) {name, nsrc, flags, ligo__shape_##e, ligo__fwd_##e, ligo__bwd_##e},
    LIGO_OP_LIST(LIGO__OP_ROW)
#undef LIGO__OP_ROW
};

LIGO_API const char *ligo_op_name(int op) {
    if (op < 0 || op >= LIGO_OP_COUNT) return "unknown";
    return ligo__op_table[op].name;
}

LIGO_API int64_t ligo_tape_length(const ligo_ctx *ctx) { return ctx ? ctx->tape_len : 0; }

LIGO_API void ligo_set_grad_reuse(ligo_ctx *ctx, int on) {
    if (ctx) ctx->grad_reuse = on ? 1 : 0;
}

LIGO__PRIV ligo_status ligo__check_size(ligo_ctx *ctx, const char *op, const char *what, int ndim,
                                        const int64_t *dims, int64_t *n) {
    char b[128];
    size_t len = 0;
    int i;
    ligo_status s = ligo_shape_numel(ndim, dims, n);
    if (s == LIGO_OK) return LIGO_OK;
    b[0] = '\0';
    for (i = 0; i < ndim && len < sizeof b; i++) {
        int k = snprintf(b + len, sizeof b - len, i ? "x%lld" : "%lld", (long long)dims[i]);
        if (k < 0) break;
        len += (size_t)k;
    }
    return ligo_set_error(ctx, s, "ligo_%s: %s %s is too large (more than 2^38 elements)", op, what, b);
}

LIGO__PRIV ligo_tensor *ligo__build(ligo_ctx *ctx, int op, const ligo__args *a) {
    const ligo__op_info *info;
    ligo_tensor *t;
    int64_t shape[LIGO_MAX_DIMS], n;
    int ndim = 0, i;
    if (ligo__failed(ctx)) return NULL;
    LIGO_ASSERT(op > LIGO_OP_LEAF && op < LIGO_OP_COUNT);
    info = &ligo__op_table[op];
    for (i = 0; i < info->required_src; i++) {
        if (!a->src[i]) {
            ligo_set_error(ctx, LIGO_EINVAL, "ligo_%s: tensor argument %d is NULL", info->name, i + 1);
            return NULL;
        }
    }
    if (info->shape(ctx, a, &ndim, shape) != LIGO_OK) return NULL;
    if (ligo__check_size(ctx, info->name, "result", ndim, shape, &n) != LIGO_OK) return NULL;
    /* The node, and right after it the op's parameters (a struct of
     * pointers and 64-bit values at most: the node's size keeps its
     * alignment). */
    t = (ligo_tensor *)ligo_alloc_scratch(ctx, sizeof *t + a->param_size);
    if (!t) return NULL;
    if (a->param_size) {
        t->param = (void *)(t + 1);
        memcpy(t->param, a->param, a->param_size);
    }
    t->ndim = ndim;
    t->n = n;
    for (i = 0; i < LIGO_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 1;
    t->op = op;
    for (i = 0; i < LIGO_MAX_SRC; i++) {
        t->src[i] = a->src[i];
        if (a->src[i] && (a->src[i]->flags & LIGO_FLAG_NEEDS_GRAD)) t->flags |= LIGO_FLAG_NEEDS_GRAD;
    }
    if (info->flags & LIGO__OP_VIEW) {
        t->data = a->src[0]->data; /* same floats, its own gradient */
    } else {
        /* every forward kernel writes its whole output: no zeroing */
        t->data = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)t->n * sizeof(float), "scratch", 0);
        if (!t->data) return NULL;
    }
    if (a->ids) {
        t->ids = (int32_t *)ligo_alloc_scratch(ctx, (size_t)a->n_ids * sizeof(int32_t));
        if (!t->ids) return NULL;
        memcpy(t->ids, a->ids, (size_t)a->n_ids * sizeof(int32_t));
    }
    if (LIGO__UNLIKELY(ctx->profile)) {
        double t0 = ligo_time_sec();
        info->forward(ctx, t);
        ctx->prof_sec[op][0] += ligo_time_sec() - t0;
    } else {
        info->forward(ctx, t);
    }
    if (ligo__failed(ctx)) return NULL;
    t->tape_prev = ctx->tape;
    ctx->tape = t;
    ctx->tape_len++;
    return t;
}

/* During a backward pass, a buffer released by a node whose backward has
 * run is reused (the smallest that fits) before the arena grows. */
static float *ligo__grad_buffer(ligo_ctx *ctx, int64_t n, int zero) {
    int64_t i, best = -1;
    float *buf;
    for (i = 0; i < ctx->grad_free_len; i++)
        if (ctx->grad_free_n[i] >= n && (best < 0 || ctx->grad_free_n[i] < ctx->grad_free_n[best])) best = i;
    if (best < 0) return (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)n * sizeof(float), "scratch", zero);
    buf = ctx->grad_free[best];
    if (zero) memset(buf, 0, (size_t)n * sizeof(float));
    ctx->grad_free_len--;
    ctx->grad_free[best] = ctx->grad_free[ctx->grad_free_len];
    ctx->grad_free_n[best] = ctx->grad_free_n[ctx->grad_free_len];
    return buf;
}

LIGO__PRIV float *ligo__grad_temp(ligo_ctx *ctx, int64_t n) { return ligo__grad_buffer(ctx, n, 0); }

LIGO__PRIV void ligo__grad_release(ligo_ctx *ctx, float *buf, int64_t n) {
    if (!buf || ctx->grad_free_len >= ctx->grad_free_cap) return;
    ctx->grad_free[ctx->grad_free_len] = buf;
    ctx->grad_free_n[ctx->grad_free_len] = n;
    ctx->grad_free_len++;
}

LIGO__PRIV float *ligo__grad_of(ligo_ctx *ctx, ligo_tensor *t) {
    if (!t || !(t->flags & LIGO_FLAG_NEEDS_GRAD)) return NULL;
    if (!t->grad) t->grad = ligo__grad_buffer(ctx, t->n, 1);
    return t->grad;
}

LIGO__PRIV float *ligo__grad_fresh(ligo_ctx *ctx, ligo_tensor *t, int *fresh) {
    *fresh = 0;
    if (!t || !(t->flags & LIGO_FLAG_NEEDS_GRAD)) return NULL;
    if (t->grad) return t->grad;
    *fresh = 1;
    return t->grad = ligo__grad_buffer(ctx, t->n, 0);
}

LIGO__PRIV int ligo__grad_pass(ligo_ctx *ctx, ligo_tensor *src, ligo_tensor *out) {
    if (!ctx->grad_reuse || !src || src->grad || !(src->flags & LIGO_FLAG_NEEDS_GRAD) || !out->grad) return 0;
    if ((src->flags & LIGO_FLAG_PARAM) || (out->flags & LIGO_FLAG_PARAM) || src->n != out->n) return 0;
    src->grad = out->grad;
    out->grad = NULL;
    return 1;
}

LIGO_API ligo_status ligo_backward(ligo_ctx *ctx, ligo_tensor *loss) {
    ligo_tensor *t;
    float *g;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!loss) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_backward: loss is NULL");
    if (loss->n != 1) {
        char b[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_backward: loss must be a scalar, got %s",
                              ligo_shape_str(loss, b, sizeof b));
    }
    if (!(loss->flags & LIGO_FLAG_NEEDS_GRAD))
        return ligo_set_error(ctx, LIGO_ESTATE, "ligo_backward: the loss does not depend on any parameter");
    /* Intermediate gradients start from zero on every call, so a second
     * backward over the same tape gives the same parameter increments. */
    for (t = loss; t; t = t->tape_prev)
        if (t->grad && !(t->flags & LIGO_FLAG_PARAM)) memset(t->grad, 0, (size_t)t->n * sizeof(float));
    g = ligo__grad_of(ctx, loss);
    if (!g) return ctx->status;
    g[0] += 1.0f;
    if (loss->op == LIGO_OP_LEAF) return LIGO_OK;
    /* Room to list every node's gradient buffer for reuse: once a node's
     * backward has run, nothing reads its gradient again (its consumers come
     * later on the tape), so an intermediate node's buffer is released and
     * its grad set to NULL; leaves and parameters keep theirs. */
    ctx->grad_free_len = 0;
    ctx->grad_free_cap = 0;
    if (ctx->grad_reuse) {
        ctx->grad_free = (float **)ligo_alloc_scratch(ctx, (size_t)(ctx->tape_len + 1) * sizeof(float *));
        ctx->grad_free_n = (int64_t *)ligo_alloc_scratch(ctx, (size_t)(ctx->tape_len + 1) * sizeof(int64_t));
        if (!ctx->grad_free || !ctx->grad_free_n) return ctx->status;
        ctx->grad_free_cap = ctx->tape_len;
    }
    for (t = loss; t; t = t->tape_prev) {
        if (t->op == LIGO_OP_LEAF || !(t->flags & LIGO_FLAG_NEEDS_GRAD) || !t->grad) continue;
        if (LIGO__UNLIKELY(ctx->profile)) {
            double t0 = ligo_time_sec();
            ligo__op_table[t->op].backward(ctx, t);
            ctx->prof_sec[t->op][1] += ligo_time_sec() - t0;
        } else {
            ligo__op_table[t->op].backward(ctx, t);
        }
        if (ligo__failed(ctx)) break;
        if (t->grad && ctx->grad_free_len < ctx->grad_free_cap && !(t->flags & LIGO_FLAG_PARAM)) {
            ligo__grad_release(ctx, t->grad, t->n);
            t->grad = NULL;
        }
    }
    ctx->grad_free_len = 0;
    ctx->grad_free_cap = 0;
    return ctx->status;
}

/* ------------------------------------------------------ gradient check */

LIGO_API ligo_gradcheck_opts ligo_gradcheck_opts_default(void) {
    ligo_gradcheck_opts o;
    o.eps = 1e-2;
    o.atol = 1e-2;
    o.max_per_param = 0;
    o.analytic_scale = 1.0;
    return o;
}

static int ligo__eval_loss(ligo_ctx *ctx, ligo_build_fn build, void *user, double *value) {
    ligo_mark m = ligo_scratch_mark(ctx);
    ligo_tensor *loss = build(ctx, user);
    int ok = loss != NULL && loss->n == 1 && !ligo__failed(ctx);
    if (ok) *value = (double)loss->data[0];
    ligo_scratch_rewind(ctx, m);
    return ok;
}

/* Central differences against backward, parameter by parameter. The
 * parameters' gradients are overwritten with the analytic gradient; the
 * FLOP counters and the scratch region are left as they were. */
LIGO_API ligo_status ligo_check_grad(ligo_ctx *ctx, ligo_build_fn build, void *user, ligo_tensor **params,
                                     int n_params, const ligo_gradcheck_opts *opts, double *max_err) {
    ligo_gradcheck_opts o = opts ? *opts : ligo_gradcheck_opts_default();
    ligo_mark start;
    double fwd0, bwd0, worst = 0.0;
    ligo_tensor *loss;
    int k;
    if (max_err) *max_err = 0.0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!build || !params || n_params < 1 || !max_err)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_check_grad: build, params and max_err are required");
    if (!(o.eps > 0.0) || !(o.atol > 0.0))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_check_grad: eps and atol must be positive");
    for (k = 0; k < n_params; k++) {
        if (!params[k] || !(params[k]->flags & LIGO_FLAG_PARAM))
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_check_grad: params[%d] is not a parameter", k);
        ligo_zero_grad(params[k]);
    }
    fwd0 = ctx->flops_fwd;
    bwd0 = ctx->flops_bwd;
    start = ligo_scratch_mark(ctx);
    loss = build(ctx, user);
    if (!loss) {
        if (!ligo__failed(ctx)) ligo_set_error(ctx, LIGO_EINVAL, "ligo_check_grad: build returned NULL");
        return ctx->status;
    }
    if (ligo_backward(ctx, loss) != LIGO_OK) return ctx->status;
    ligo_scratch_rewind(ctx, start);
    for (k = 0; k < n_params; k++) {
        ligo_tensor *p = params[k];
        int64_t i, step = 1;
        if (o.max_per_param > 0 && p->n > o.max_per_param) step = (p->n + o.max_per_param - 1) / o.max_per_param;
        for (i = 0; i < p->n; i += step) {
            float orig = p->data[i];
            double lp = 0.0, lm = 0.0, num, ana, den, err;
            int ok;
            p->data[i] = (float)(orig + o.eps);
            ok = ligo__eval_loss(ctx, build, user, &lp);
            p->data[i] = (float)(orig - o.eps);
            ok = ok && ligo__eval_loss(ctx, build, user, &lm);
            p->data[i] = orig;
            if (!ok) {
                if (!ligo__failed(ctx)) ligo_set_error(ctx, LIGO_EINVAL, "ligo_check_grad: build failed");
                return ctx->status;
            }
            /* the actual step: orig +- eps rounded to float */
            num = (lp - lm) / ((double)(float)(orig + o.eps) - (double)(float)(orig - o.eps));
            ana = (double)p->grad[i] * o.analytic_scale;
            den = fabs(ana) > fabs(num) ? fabs(ana) : fabs(num);
            if (den < o.atol) den = o.atol;
            err = fabs(ana - num) / den;
            if (!(err == err)) err = HUGE_VAL; /* a NaN is the worst error */
            if (err > worst) worst = err;
        }
    }
    ctx->flops_fwd = fwd0;
    ctx->flops_bwd = bwd0;
    *max_err = worst;
    return LIGO_OK;
}
