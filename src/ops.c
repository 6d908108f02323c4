/* ops.c: the op kernels. For each op of LIGO_OP_LIST: a shape function
 * (validates the inputs, gives the output shape, writes the message), a
 * forward kernel, a backward kernel, and the public builder. Backward
 * kernels accumulate (+=) into the gradients of their sources.
 *
 * Shape letters: B batch, T time, C channels, NH heads, hs head size,
 * V vocabulary, R rows (every leading dim flattened), M N K of a product. */
#include "ligo_internal.h"
#include "simd.h"

/* ------------------------------------------------------------- helpers */

static ligo_status ligo__bad(ligo_ctx *ctx, ligo_status s, const char *op, const char *fmt,
                             const ligo_tensor *x, const ligo_tensor *y) {
    char bx[64], by[64];
    char msg[256];
    snprintf(msg, sizeof msg, fmt, ligo_shape_str(x, bx, sizeof bx), y ? ligo_shape_str(y, by, sizeof by) : "");
    return ligo_set_error(ctx, s, "ligo_%s: %s", op, msg);
}

static void ligo__copy_shape(const ligo_tensor *t, int *ndim, int64_t *shape) {
    int i;
    *ndim = t->ndim;
    for (i = 0; i < t->ndim; i++) shape[i] = t->shape[i];
}

/* Rows of a tensor when its last dim is the feature dim. */
static int64_t ligo__rows(const ligo_tensor *t) { return t->n / t->shape[t->ndim - 1]; }
static int64_t ligo__last(const ligo_tensor *t) { return t->shape[t->ndim - 1]; }

/* dst += src, or dst = src when the gradient buffer dst is fresh
 * (ligo__grad_fresh). dst and src never overlap. */
static void ligo__acc(float *LIGO__RESTRICT dst, const float *LIGO__RESTRICT src, int64_t n) {
    int64_t i;
    for (i = 0; i < n; i++) dst[i] += src[i];
}
static void ligo__acc_or_copy(float *dst, const float *src, int64_t n, int fresh) {
    if (fresh)
        memcpy(dst, src, (size_t)n * sizeof(float));
    else
        ligo__acc(dst, src, n);
}

/* Arguments for an op whose parameters are the struct at p (size bytes),
 * which ligo__build copies into the node; ligo__args0: none. */
static ligo__args ligo__args_of(const void *p, size_t size) {
    ligo__args a;
    memset(&a, 0, sizeof a);
    a.param = p;
    a.param_size = size;
    return a;
}
static ligo__args ligo__args0(void) { return ligo__args_of(NULL, 0); }

/* ------------------------------------------------------------------ leaf */

LIGO__PRIV ligo_status ligo__shape_LEAF(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)a;
    (void)ndim;
    (void)shape;
    return ligo_set_error(ctx, LIGO_EINVAL, "ligo: a leaf is made by ligo_new, ligo_new_param or ligo_wrap");
}
LIGO__PRIV void ligo__fwd_LEAF(ligo_ctx *ctx, ligo_tensor *out) {
    (void)ctx;
    (void)out;
}
LIGO__PRIV void ligo__bwd_LEAF(ligo_ctx *ctx, ligo_tensor *out) {
    (void)ctx;
    (void)out;
}

/* ------------------------------------------------- add, sub, mul (binary)
 * b has a's shape, or is one row of a's last dim (added to every row), or
 * a scalar: the broadcast mode, which forward records for backward. */

enum { LIGO__BC_SAME = 0, LIGO__BC_ROW = 1, LIGO__BC_SCALAR = 2 };
typedef struct ligo__binary_param {
    int bc; /* LIGO__BC_*, set by forward */
} ligo__binary_param;

static ligo_status ligo__shape_binary(ligo_ctx *ctx, const char *op, const ligo__args *a, int *ndim,
                                      int64_t *shape) {
    const ligo_tensor *x = a->src[0], *y = a->src[1];
    if (!ligo_same_shape(x, y) && y->n != ligo__last(x) && y->n != 1)
        return ligo__bad(ctx, LIGO_ESHAPE, op,
                         "shapes %s and %s do not match (b must have a's shape, a's last dim, or 1 element)", x, y);
    ligo__copy_shape(x, ndim, shape);
    return LIGO_OK;
}

static int ligo__bc_mode(const ligo_tensor *x, const ligo_tensor *y) {
    if (ligo_same_shape(x, y)) return LIGO__BC_SAME;
    if (y->n == ligo__last(x)) return LIGO__BC_ROW;
    return LIGO__BC_SCALAR;
}

/* b's index for element i of a. */
static int64_t ligo__bc_index(int mode, int64_t i, int64_t last) {
    return mode == LIGO__BC_SAME ? i : mode == LIGO__BC_ROW ? i % last : 0;
}

enum { LIGO__BIN_ADD, LIGO__BIN_SUB, LIGO__BIN_MUL };

/* o = u + v over equal shapes, in blocks of 16 per thread. */
typedef struct ligo__add_job {
    const float *u, *v;
    float *o;
    int64_t n;
} ligo__add_job;

static void ligo__add_span(const float *LIGO__RESTRICT u, const float *LIGO__RESTRICT v, float *LIGO__RESTRICT o,
                           int64_t n) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = u[i] + v[i];
}

static void ligo__add_task(void *arg, int ith, int nth) {
    const ligo__add_job *j = (const ligo__add_job *)arg;
    int64_t blocks = (j->n + 15) / 16, i0 = blocks * ith / nth * 16, i1 = blocks * (ith + 1) / nth * 16;
    if (i1 > j->n) i1 = j->n;
    if (i0 < i1) ligo__add_span(j->u + i0, j->v + i0, j->o + i0, i1 - i0);
}

static void ligo__binary_fwd(ligo_ctx *ctx, ligo_tensor *out, int kind) {
    const ligo_tensor *x = out->src[0], *y = out->src[1];
    int mode = ligo__bc_mode(x, y);
    int64_t i, last = ligo__last(x);
    ((ligo__binary_param *)out->param)->bc = mode;
    if (mode == LIGO__BC_SAME && kind == LIGO__BIN_ADD) { /* the residual adds: threaded, vectorised */
        ligo__add_job j;
        j.u = x->data;
        j.v = y->data;
        j.o = out->data;
        j.n = out->n;
        ligo_parallel_for(ctx, ligo__add_task, &j, ligo__nth_for(ctx, (double)out->n, 65536.0));
        ligo_flops_add(ctx, (double)out->n, 2.0 * (double)out->n);
        return;
    }
    for (i = 0; i < out->n; i++) {
        float u = x->data[i], v = y->data[ligo__bc_index(mode, i, last)];
        out->data[i] = kind == LIGO__BIN_ADD ? u + v : kind == LIGO__BIN_SUB ? u - v : u * v;
    }
    ligo_flops_add(ctx, (double)out->n, 2.0 * (double)out->n);
}

static void ligo__binary_bwd(ligo_ctx *ctx, ligo_tensor *out, int kind) {
    ligo_tensor *x = out->src[0], *y = out->src[1];
    const float *g = out->grad;
    int mode = ((const ligo__binary_param *)out->param)->bc;
    float *dx, *dy;
    int64_t i, last = ligo__last(x);
    if (mode == LIGO__BC_SAME && kind == LIGO__BIN_ADD && x != y) {
        /* the residual adds: x takes over the buffer when it can, y gets a
         * copy; a fresh buffer is stored, not zeroed and accumulated */
        int fresh;
        if (!ligo__grad_pass(ctx, x, out)) {
            dx = ligo__grad_fresh(ctx, x, &fresh);
            if (dx) ligo__acc_or_copy(dx, g, out->n, fresh);
        }
        dy = ligo__grad_fresh(ctx, y, &fresh);
        if (dy) ligo__acc_or_copy(dy, g, out->n, fresh);
        return;
    }
    dx = ligo__grad_of(ctx, x);
    dy = ligo__grad_of(ctx, y);
    for (i = 0; i < out->n; i++) {
        int64_t j = ligo__bc_index(mode, i, last);
        if (dx) dx[i] += kind == LIGO__BIN_MUL ? g[i] * y->data[j] : g[i];
        if (dy) dy[j] += kind == LIGO__BIN_ADD ? g[i] : kind == LIGO__BIN_SUB ? -g[i] : g[i] * x->data[i];
    }
}

LIGO__PRIV ligo_status ligo__shape_ADD(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    return ligo__shape_binary(ctx, "add", a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_ADD(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_fwd(ctx, out, LIGO__BIN_ADD); }
LIGO__PRIV void ligo__bwd_ADD(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_bwd(ctx, out, LIGO__BIN_ADD); }

LIGO__PRIV ligo_status ligo__shape_SUB(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    return ligo__shape_binary(ctx, "sub", a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_SUB(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_fwd(ctx, out, LIGO__BIN_SUB); }
LIGO__PRIV void ligo__bwd_SUB(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_bwd(ctx, out, LIGO__BIN_SUB); }

LIGO__PRIV ligo_status ligo__shape_MUL(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    return ligo__shape_binary(ctx, "mul", a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_MUL(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_fwd(ctx, out, LIGO__BIN_MUL); }
LIGO__PRIV void ligo__bwd_MUL(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_bwd(ctx, out, LIGO__BIN_MUL); }

static ligo_tensor *ligo__binary(ligo_ctx *ctx, int op, ligo_tensor *x, ligo_tensor *y) {
    ligo__binary_param p;
    ligo__args a;
    p.bc = LIGO__BC_SAME;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = y;
    return ligo__build(ctx, op, &a);
}

LIGO_API ligo_tensor *ligo_add(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b) { return ligo__binary(ctx, LIGO_OP_ADD, a, b); }
LIGO_API ligo_tensor *ligo_sub(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b) { return ligo__binary(ctx, LIGO_OP_SUB, a, b); }
LIGO_API ligo_tensor *ligo_mul(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b) { return ligo__binary(ctx, LIGO_OP_MUL, a, b); }

/* ----------------------------------------------------------------- scale
 * out = s a. */

typedef struct ligo__scale_param {
    float s;
} ligo__scale_param;

LIGO__PRIV ligo_status ligo__shape_SCALE(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo__scale_param *p = (const ligo__scale_param *)a->param;
    if (!isfinite(p->s)) return ligo_set_error(ctx, LIGO_ENONFINITE, "ligo_scale: factor %g is not finite", (double)p->s);
    ligo__copy_shape(a->src[0], ndim, shape);
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_SCALE(ligo_ctx *ctx, ligo_tensor *out) {
    int64_t i;
    float s = ((const ligo__scale_param *)out->param)->s;
    for (i = 0; i < out->n; i++) out->data[i] = s * out->src[0]->data[i];
    ligo_flops_add(ctx, (double)out->n, (double)out->n);
}
LIGO__PRIV void ligo__bwd_SCALE(ligo_ctx *ctx, ligo_tensor *out) {
    float *dx = ligo__grad_of(ctx, out->src[0]);
    int64_t i;
    float s = ((const ligo__scale_param *)out->param)->s;
    if (dx)
        for (i = 0; i < out->n; i++) dx[i] += s * out->grad[i];
}
LIGO_API ligo_tensor *ligo_scale(ligo_ctx *ctx, ligo_tensor *x, float s) {
    ligo__scale_param p;
    ligo__args a;
    p.s = s;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_SCALE, &a);
}

/* ---------------------------------------------------------------- matmul
 * out (M, N) = op(a) (M, K) @ op(b) (K, N). */

typedef struct ligo__matmul_param {
    int trans_a, trans_b;
} ligo__matmul_param;

LIGO__PRIV ligo_status ligo__shape_MATMUL(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0], *y = a->src[1];
    const ligo__matmul_param *p = (const ligo__matmul_param *)a->param;
    int ta = p->trans_a, tb = p->trans_b;
    if (x->ndim != 2 || y->ndim != 2)
        return ligo__bad(ctx, LIGO_ESHAPE, "matmul", "operands must be 2-D, got %s and %s", x, y);
    if ((ta ? x->shape[0] : x->shape[1]) != (tb ? y->shape[1] : y->shape[0])) {
        char bx[64], by[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_matmul: inner dims differ (%s%s @ %s%s)",
                              ligo_shape_str(x, bx, sizeof bx), ta ? "^T" : "", ligo_shape_str(y, by, sizeof by),
                              tb ? "^T" : "");
    }
    *ndim = 2;
    shape[0] = ta ? x->shape[1] : x->shape[0];
    shape[1] = tb ? y->shape[0] : y->shape[1];
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_MATMUL(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0], *y = out->src[1];
    const ligo__matmul_param *p = (const ligo__matmul_param *)out->param;
    int ta = p->trans_a, tb = p->trans_b;
    int64_t M = out->shape[0], N = out->shape[1], K = ta ? x->shape[0] : x->shape[1];
    ligo__sgemm(ctx, ta, tb, M, N, K, 1.0f, x->data, x->shape[1], y->data, y->shape[1], 0.0f, out->data, N);
    ligo_flops_add(ctx, 2.0 * (double)M * (double)N * (double)K, 0.0);
}
/* With C = op(A) op(B): d op(A) = G op(B)^T and d op(B) = op(A)^T G. */
LIGO__PRIV void ligo__bwd_MATMUL(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0], *y = out->src[1];
    const ligo__matmul_param *p = (const ligo__matmul_param *)out->param;
    int ta = p->trans_a, tb = p->trans_b;
    int64_t M = out->shape[0], N = out->shape[1], K = ta ? x->shape[0] : x->shape[1];
    int64_t lda = x->shape[1], ldb = y->shape[1];
    float *dx = ligo__grad_of(ctx, x), *dy = ligo__grad_of(ctx, y);
    const float *G = out->grad;
    double flops = 0.0;
    if (dx) {
        if (!ta) /* dA (M, K) += G op(B)^T */
            ligo__sgemm(ctx, 0, !tb, M, K, N, 1.0f, G, N, y->data, ldb, 1.0f, dx, lda);
        else /* dA (K, M) += op(B) G^T */
            ligo__sgemm(ctx, tb, 1, K, M, N, 1.0f, y->data, ldb, G, N, 1.0f, dx, lda);
        flops += 2.0 * (double)M * (double)N * (double)K;
    }
    if (dy) {
        if (!tb) /* dB (K, N) += op(A)^T G */
            ligo__sgemm(ctx, !ta, 0, K, N, M, 1.0f, x->data, lda, G, N, 1.0f, dy, ldb);
        else /* dB (N, K) += G^T op(A) */
            ligo__sgemm(ctx, 1, ta, N, K, M, 1.0f, G, N, x->data, lda, 1.0f, dy, ldb);
        flops += 2.0 * (double)M * (double)N * (double)K;
    }
    ligo_flops_add(ctx, 0.0, flops);
}
LIGO_API ligo_tensor *ligo_matmul(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *y, int trans_a, int trans_b) {
    ligo__matmul_param p;
    ligo__args a;
    p.trans_a = trans_a ? 1 : 0;
    p.trans_b = trans_b ? 1 : 0;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = y;
    return ligo__build(ctx, LIGO_OP_MATMUL, &a);
}

/* ------------------------------------------------------------- transpose */

LIGO__PRIV ligo_status ligo__shape_TRANSPOSE(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0];
    if (x->ndim != 2) return ligo__bad(ctx, LIGO_ESHAPE, "transpose", "needs a 2-D tensor, got %s%s", x, NULL);
    *ndim = 2;
    shape[0] = x->shape[1];
    shape[1] = x->shape[0];
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_TRANSPOSE(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0];
    int64_t i, j, R = x->shape[0], C = x->shape[1];
    for (i = 0; i < R; i++)
        for (j = 0; j < C; j++) out->data[j * R + i] = x->data[i * C + j];
    (void)ctx;
}
LIGO__PRIV void ligo__bwd_TRANSPOSE(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0];
    float *dx = ligo__grad_of(ctx, x);
    int64_t i, j, R = x->shape[0], C = x->shape[1];
    if (!dx) return;
    for (i = 0; i < R; i++)
        for (j = 0; j < C; j++) dx[i * C + j] += out->grad[j * R + i];
}
LIGO_API ligo_tensor *ligo_transpose(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_TRANSPOSE, &a);
}

/* --------------------------------------------------------------- reshape
 * A view (LIGO__OP_VIEW): the output shares the input's floats. */

typedef struct ligo__reshape_param {
    int ndim;
    int64_t shape[LIGO_MAX_DIMS];
} ligo__reshape_param;

LIGO__PRIV ligo_status ligo__shape_RESHAPE(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo__reshape_param *p = (const ligo__reshape_param *)a->param;
    int nd = p->ndim, i;
    int64_t n;
    ligo_status s;
    s = ligo_shape_numel(nd, p->shape, &n);
    if (s != LIGO_OK) return ligo_set_error(ctx, s, "ligo_reshape: invalid shape (%s)", ligo_status_str(s));
    if (n != a->src[0]->n) {
        char bx[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_reshape: %lld elements cannot hold a %s tensor",
                              (long long)n, ligo_shape_str(a->src[0], bx, sizeof bx));
    }
    *ndim = nd;
    for (i = 0; i < nd; i++) shape[i] = p->shape[i];
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_RESHAPE(ligo_ctx *ctx, ligo_tensor *out) {
    (void)ctx;
    (void)out;
}
LIGO__PRIV void ligo__bwd_RESHAPE(ligo_ctx *ctx, ligo_tensor *out) {
    const float *g = out->grad;
    float *dx;
    int fresh;
    if (ligo__grad_pass(ctx, out->src[0], out)) return; /* a view: the same gradient */
    dx = ligo__grad_fresh(ctx, out->src[0], &fresh);
    if (dx) ligo__acc_or_copy(dx, g, out->n, fresh);
}
LIGO_API ligo_tensor *ligo_reshape(ligo_ctx *ctx, ligo_tensor *x, int ndim, const int64_t *shape) {
    ligo__reshape_param p;
    ligo__args a;
    int i;
    if (ligo__failed(ctx)) return NULL;
    if (!shape || ndim < 1 || ndim > LIGO_MAX_DIMS) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_reshape: ndim %d is outside [1, %d] or shape is NULL", ndim, LIGO_MAX_DIMS);
        return NULL;
    }
    memset(&p, 0, sizeof p);
    p.ndim = ndim;
    for (i = 0; i < ndim; i++) p.shape[i] = shape[i];
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_RESHAPE, &a);
}

/* ---------------------------------------------------------------- concat
 * 2-D a and b along an axis: rows (0) or columns (1). */

typedef struct ligo__concat_param {
    int axis;
} ligo__concat_param;

LIGO__PRIV ligo_status ligo__shape_CONCAT(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0], *y = a->src[1];
    int axis = ((const ligo__concat_param *)a->param)->axis;
    if (axis != 0 && axis != 1)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_concat: axis %d is not 0 or 1", axis);
    if (x->ndim != 2 || y->ndim != 2)
        return ligo__bad(ctx, LIGO_ESHAPE, "concat", "operands must be 2-D, got %s and %s", x, y);
    if (x->shape[1 - axis] != y->shape[1 - axis])
        return ligo__bad(ctx, LIGO_ESHAPE, "concat", "%s and %s differ off the concatenation axis", x, y);
    *ndim = 2;
    shape[axis] = x->shape[axis] + y->shape[axis];
    shape[1 - axis] = x->shape[1 - axis];
    return LIGO_OK;
}
/* Row r of out holds [x row r | y row r] (axis 1) or x rows then y rows. */
static void ligo__concat_copy(ligo_tensor *out, int to_out) {
    ligo_tensor *x = out->src[0], *y = out->src[1];
    int64_t r, R = out->shape[0], W = out->shape[1];
    if (((const ligo__concat_param *)out->param)->axis == 0) {
        if (to_out) {
            memcpy(out->data, x->data, (size_t)x->n * sizeof(float));
            memcpy(out->data + x->n, y->data, (size_t)y->n * sizeof(float));
        }
        return;
    }
    for (r = 0; r < R; r++) {
        memcpy(out->data + r * W, x->data + r * x->shape[1], (size_t)x->shape[1] * sizeof(float));
        memcpy(out->data + r * W + x->shape[1], y->data + r * y->shape[1], (size_t)y->shape[1] * sizeof(float));
    }
}
LIGO__PRIV void ligo__fwd_CONCAT(ligo_ctx *ctx, ligo_tensor *out) {
    (void)ctx;
    ligo__concat_copy(out, 1);
}
LIGO__PRIV void ligo__bwd_CONCAT(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0], *y = out->src[1];
    float *dx = ligo__grad_of(ctx, x), *dy = ligo__grad_of(ctx, y);
    int64_t r, R = out->shape[0], W = out->shape[1];
    if (((const ligo__concat_param *)out->param)->axis == 0) {
        if (dx) ligo__acc(dx, out->grad, x->n);
        if (dy) ligo__acc(dy, out->grad + x->n, y->n);
        return;
    }
    for (r = 0; r < R; r++) {
        if (dx) ligo__acc(dx + r * x->shape[1], out->grad + r * W, x->shape[1]);
        if (dy) ligo__acc(dy + r * y->shape[1], out->grad + r * W + x->shape[1], y->shape[1]);
    }
}
LIGO_API ligo_tensor *ligo_concat(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *y, int axis) {
    ligo__concat_param p;
    ligo__args a;
    p.axis = axis;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = y;
    return ligo__build(ctx, LIGO_OP_CONCAT, &a);
}

/* ----------------------------------------------------------------- slice
 * Rows (axis 0) or columns (axis 1) [start, start + len) of a 2-D tensor. */

typedef struct ligo__slice_param {
    int axis;
    int64_t start, len;
} ligo__slice_param;

LIGO__PRIV ligo_status ligo__shape_SLICE(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0];
    const ligo__slice_param *p = (const ligo__slice_param *)a->param;
    int axis = p->axis;
    int64_t start = p->start, len = p->len;
    if (axis != 0 && axis != 1) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_slice: axis %d is not 0 or 1", axis);
    if (x->ndim != 2) return ligo__bad(ctx, LIGO_ESHAPE, "slice", "needs a 2-D tensor, got %s%s", x, NULL);
    if (start < 0 || len < 1 || start > x->shape[axis] - len) {
        char bx[64];
        return ligo_set_error(ctx, LIGO_ERANGE, "ligo_slice: [%lld, %lld + %lld) is outside dim %d of %s",
                              (long long)start, (long long)start, (long long)len, axis,
                              ligo_shape_str(x, bx, sizeof bx));
    }
    *ndim = 2;
    shape[axis] = len;
    shape[1 - axis] = x->shape[1 - axis];
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_SLICE(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0];
    const ligo__slice_param *p = (const ligo__slice_param *)out->param;
    int64_t r, start = p->start, W = x->shape[1];
    (void)ctx;
    if (p->axis == 0) {
        memcpy(out->data, x->data + start * W, (size_t)out->n * sizeof(float));
        return;
    }
    for (r = 0; r < out->shape[0]; r++)
        memcpy(out->data + r * out->shape[1], x->data + r * W + start, (size_t)out->shape[1] * sizeof(float));
}
LIGO__PRIV void ligo__bwd_SLICE(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0];
    float *dx = ligo__grad_of(ctx, x);
    const ligo__slice_param *p = (const ligo__slice_param *)out->param;
    int64_t r, start = p->start, W = x->shape[1];
    if (!dx) return;
    if (p->axis == 0) {
        ligo__acc(dx + start * W, out->grad, out->n);
        return;
    }
    for (r = 0; r < out->shape[0]; r++) ligo__acc(dx + r * W + start, out->grad + r * out->shape[1], out->shape[1]);
}
LIGO_API ligo_tensor *ligo_slice(ligo_ctx *ctx, ligo_tensor *x, int axis, int64_t start, int64_t len) {
    ligo__slice_param p;
    ligo__args a;
    p.axis = axis;
    p.start = start;
    p.len = len;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_SLICE, &a);
}

/* ------------------------------------------------------------ sum, mean
 * Summed in double, in index order. */

static ligo_status ligo__shape_scalar(int *ndim, int64_t *shape) {
    *ndim = 1;
    shape[0] = 1;
    return LIGO_OK;
}
static void ligo__reduce_fwd(ligo_ctx *ctx, ligo_tensor *out, double scale) {
    const ligo_tensor *x = out->src[0];
    double acc = 0.0;
    int64_t i;
    for (i = 0; i < x->n; i++) acc += (double)x->data[i];
    out->data[0] = (float)(acc * scale);
    ligo_flops_add(ctx, (double)x->n, (double)x->n);
}
static void ligo__reduce_bwd(ligo_ctx *ctx, ligo_tensor *out, double scale) {
    ligo_tensor *x = out->src[0];
    float *dx = ligo__grad_of(ctx, x);
    float g = (float)((double)out->grad[0] * scale);
    int64_t i;
    if (dx)
        for (i = 0; i < x->n; i++) dx[i] += g;
}
LIGO__PRIV ligo_status ligo__shape_SUM(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    (void)a;
    return ligo__shape_scalar(ndim, shape);
}
LIGO__PRIV void ligo__fwd_SUM(ligo_ctx *ctx, ligo_tensor *out) { ligo__reduce_fwd(ctx, out, 1.0); }
LIGO__PRIV void ligo__bwd_SUM(ligo_ctx *ctx, ligo_tensor *out) { ligo__reduce_bwd(ctx, out, 1.0); }
LIGO__PRIV ligo_status ligo__shape_MEAN(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    (void)a;
    return ligo__shape_scalar(ndim, shape);
}
LIGO__PRIV void ligo__fwd_MEAN(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__reduce_fwd(ctx, out, 1.0 / (double)out->src[0]->n);
}
LIGO__PRIV void ligo__bwd_MEAN(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__reduce_bwd(ctx, out, 1.0 / (double)out->src[0]->n);
}
LIGO_API ligo_tensor *ligo_sum(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_SUM, &a);
}
LIGO_API ligo_tensor *ligo_mean(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_MEAN, &a);
}

/* ---------------------------------------------------------------- linear
 * x (R, in) flattened from (..., in); W (out, in); b (out) or NULL.
 * y (R, out) = x W^T + b, the bias added in the GEMM's epilogue.
 * Backward: dx = G W, dW += G^T x, db += column sums of G.
 * With LIGO__ACT_GELU (ligo_linear_gelu): y = gelu(x W^T + b), GELU applied
 * in the epilogue while each tile is in L1, the pre-activation h saved for
 * backward, where G becomes G * gelu'(h) first. */

enum { LIGO__ACT_NONE = 0, LIGO__ACT_GELU = 1 };
typedef struct ligo__linear_param {
    int act;  /* LIGO__ACT_* */
    float *h; /* GELU: the pre-activation (R, out), saved by forward */
} ligo__linear_param;

/* GELU pieces shared with the gelu op, defined there. */
typedef struct ligo__gelu_job {
    const float *x, *g;
    float *y;
    int64_t n;
    int fresh; /* backward: y is a new buffer, store instead of adding */
} ligo__gelu_job;
static void ligo__gelu_epi(void *user, float *c, int64_t ldc, int64_t mr, int64_t nr, int64_t offset);
static void ligo__gelu_bwd_task(void *arg, int ith, int nth);

/* Column sums of G (R, C) into out (C), each column summed over rows in
 * order starting from out's value: threads take blocks of columns, and
 * the AVX2 path adds lane by lane, so the result is the same for any
 * thread count and either path. */
typedef struct ligo__colsum_job {
    const float *G;
    float *out;
    int64_t R, C;
} ligo__colsum_job;

#if LIGO__X86
/* 32 columns at a time in four accumulators, rows streamed once. */
LIGO__AVX2 static void ligo__colsum_avx2(const float *G, float *out, int64_t R, int64_t C,
                                                              int64_t c0, int64_t c1) {
    int64_t c, r;
    for (c = c0; c + 32 <= c1; c += 32) {
        __m256 a0 = _mm256_loadu_ps(out + c), a1 = _mm256_loadu_ps(out + c + 8);
        __m256 a2 = _mm256_loadu_ps(out + c + 16), a3 = _mm256_loadu_ps(out + c + 24);
        for (r = 0; r < R; r++) {
            const float *g = G + r * C + c;
            a0 = _mm256_add_ps(a0, _mm256_loadu_ps(g));
            a1 = _mm256_add_ps(a1, _mm256_loadu_ps(g + 8));
            a2 = _mm256_add_ps(a2, _mm256_loadu_ps(g + 16));
            a3 = _mm256_add_ps(a3, _mm256_loadu_ps(g + 24));
        }
        _mm256_storeu_ps(out + c, a0);
        _mm256_storeu_ps(out + c + 8, a1);
        _mm256_storeu_ps(out + c + 16, a2);
        _mm256_storeu_ps(out + c + 24, a3);
    }
    for (; c + 8 <= c1; c += 8) {
        __m256 a0 = _mm256_loadu_ps(out + c);
        for (r = 0; r < R; r++) a0 = _mm256_add_ps(a0, _mm256_loadu_ps(G + r * C + c));
        _mm256_storeu_ps(out + c, a0);
    }
    for (; c < c1; c++) {
        float a = out[c];
        for (r = 0; r < R; r++) a += G[r * C + c];
        out[c] = a;
    }
}
#endif

static void ligo__colsum_task(void *arg, int ith, int nth) {
    const ligo__colsum_job *j = (const ligo__colsum_job *)arg;
    int64_t blocks = (j->C + 31) / 32, c, r;
    int64_t c0 = blocks * ith / nth * 32, c1 = blocks * (ith + 1) / nth * 32;
    if (c1 > j->C) c1 = j->C;
#if LIGO__X86
    if (ligo__cpu_simd() >= LIGO__SIMD_AVX2) {
        ligo__colsum_avx2(j->G, j->out, j->R, j->C, c0, c1);
        return;
    }
#endif
    for (c = c0; c < c1; c++) {
        float a = j->out[c];
        for (r = 0; r < j->R; r++) a += j->G[r * j->C + c];
        j->out[c] = a;
    }
}

LIGO__PRIV ligo_status ligo__shape_LINEAR(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0], *W = a->src[1], *b = a->src[2];
    if (W->ndim != 2) return ligo__bad(ctx, LIGO_ESHAPE, "linear", "weight must be 2-D (out, in), got %s%s", W, NULL);
    if (ligo__last(x) != W->shape[1])
        return ligo__bad(ctx, LIGO_ESHAPE, "linear", "input %s does not fit weight %s (out, in)", x, W);
    if (b && b->n != W->shape[0])
        return ligo__bad(ctx, LIGO_ESHAPE, "linear", "bias %s does not fit weight %s (out, in)", b, W);
    ligo__copy_shape(x, ndim, shape);
    shape[*ndim - 1] = W->shape[0];
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_LINEAR(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0], *W = out->src[1], *b = out->src[2];
    ligo__linear_param *p = (ligo__linear_param *)out->param;
    int64_t R = ligo__rows(x), I = W->shape[1], O = W->shape[0];
    if (p->act == LIGO__ACT_GELU) {
        float *h = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)(R * O) * sizeof(float), "scratch", 0);
        if (!h) return;
        p->h = h;
        ligo__sgemm_epi(ctx, 0, 1, R, O, I, 1.0f, x->data, I, W->data, I, 0.0f, out->data, O, b ? b->data : NULL,
                        ligo__gelu_epi, h);
        ligo_flops_add(ctx, 8.0 * (double)R * (double)O, 0.0);
    } else {
        ligo__sgemm_epi(ctx, 0, 1, R, O, I, 1.0f, x->data, I, W->data, I, 0.0f, out->data, O, b ? b->data : NULL,
                        NULL, NULL);
    }
    ligo_flops_add(ctx, 2.0 * (double)R * (double)I * (double)O + (b ? (double)R * (double)O : 0.0), 0.0);
}
LIGO__PRIV void ligo__bwd_LINEAR(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo__linear_param *p = (const ligo__linear_param *)out->param;
    ligo_tensor *x = out->src[0], *W = out->src[1], *b = out->src[2];
    int64_t R = ligo__rows(x), I = W->shape[1], O = W->shape[0];
    int fresh;
    float *dx = ligo__grad_fresh(ctx, x, &fresh), *dW = ligo__grad_of(ctx, W), *db = b ? ligo__grad_of(ctx, b) : NULL;
    float *dh = NULL;
    const float *G = out->grad;
    double flops = 0.0;
    if (p->act == LIGO__ACT_GELU) { /* G = G * gelu'(h) */
        ligo__gelu_job gj;
        dh = ligo__grad_temp(ctx, R * O);
        if (!dh) return;
        gj.x = p->h;
        gj.g = G;
        gj.y = dh;
        gj.n = R * O;
        gj.fresh = 1;
        ligo_parallel_for(ctx, ligo__gelu_bwd_task, &gj, ligo__nth_for(ctx, (double)gj.n, 16384.0));
        G = dh;
        flops += 14.0 * (double)R * (double)O;
    }
    if (dx) { /* dx (R, in) (+)= G (R, out) W (out, in) */
        ligo__sgemm(ctx, 0, 0, R, I, O, 1.0f, G, O, W->data, I, fresh ? 0.0f : 1.0f, dx, I);
        flops += 2.0 * (double)R * (double)I * (double)O;
    }
    if (dW) { /* dW (out, in) += G^T x */
        ligo__sgemm(ctx, 1, 0, O, I, R, 1.0f, G, O, x->data, I, 1.0f, dW, I);
        flops += 2.0 * (double)R * (double)I * (double)O;
    }
    if (db) {
        ligo__colsum_job cj;
        int nth = ligo__nth_for(ctx, (double)R * (double)O, 65536.0);
        if ((int64_t)nth > (O + 31) / 32) nth = (int)((O + 31) / 32);
        cj.G = G;
        cj.out = db;
        cj.R = R;
        cj.C = O;
        ligo_parallel_for(ctx, ligo__colsum_task, &cj, nth);
        flops += (double)R * (double)O;
    }
    ligo__grad_release(ctx, dh, R * O);
    ligo_flops_add(ctx, 0.0, flops);
}
static ligo_tensor *ligo__linear_act(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *W, ligo_tensor *b, int act) {
    ligo__linear_param p;
    ligo__args a;
    p.act = act;
    p.h = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = W;
    a.src[2] = b;
    return ligo__build(ctx, LIGO_OP_LINEAR, &a);
}
LIGO_API ligo_tensor *ligo_linear(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *W, ligo_tensor *b) {
    return ligo__linear_act(ctx, x, W, b, LIGO__ACT_NONE);
}
LIGO_API ligo_tensor *ligo_linear_gelu(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *W, ligo_tensor *b) {
    return ligo__linear_act(ctx, x, W, b, LIGO__ACT_GELU);
}

/* ------------------------------------------------------------- layernorm
 * x (R, C), gamma and beta (C). Saves mean and rstd (R each) for backward:
 *   y = (x - mean) * rstd * gamma + beta,   rstd = 1 / sqrt(var + eps)
 *   dx = rstd * (dn - mean(dn) - n * mean(dn * n)),  n = normalised x,
 *   dn = dy * gamma. */

typedef struct ligo__layernorm_param {
    float eps;
    float *stats; /* mean (R) then rstd (R), saved by forward */
} ligo__layernorm_param;

LIGO__PRIV ligo_status ligo__shape_LAYERNORM(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0], *g = a->src[1], *b = a->src[2];
    float eps = ((const ligo__layernorm_param *)a->param)->eps;
    int64_t C = ligo__last(x);
    if (g->n != C || b->n != C)
        return ligo__bad(ctx, LIGO_ESHAPE, "layernorm", "gamma %s and beta %s must have the last dim of x", g, b);
    if (!(eps > 0.0f) || !isfinite(eps))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_layernorm: eps %g must be positive", (double)eps);
    ligo__copy_shape(x, ndim, shape);
    return LIGO_OK;
}
/* Threaded over rows. Backward makes one pass: each block of
 * LIGO__LN_RB rows gives dx and its partial sums of dgamma and dbeta,
 * then the partials are added block by block in order. Each value is
 * computed by the same operations in the same order for any thread
 * count. */
#define LIGO__LN_RB 32
typedef struct ligo__ln_job {
    ligo_tensor *out;
    float *dx, *dg, *db;
    float *part;  /* backward: per row block, C dgamma then C dbeta partials */
    int64_t R, C;
    int fresh;    /* dx is a new buffer: store, do not add */
} ligo__ln_job;

/* AVX2 rows: eight partial sums per reduction, added in a fixed order. */
#if LIGO__X86
LIGO__AVX2 static void ligo__ln_row_fwd_avx2(const float *xr, const float *g, const float *b,
                                                                      float *yr, int64_t C, float eps, float *mean_out,
                                                                      float *rstd_out) {
    int64_t c, c8 = C / 8 * 8;
    __m256 acc = _mm256_setzero_ps(), vm, vr;
    float mean, var, rstd;
    for (c = 0; c < c8; c += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(xr + c));
    mean = ligo__hsum8(acc);
    for (c = c8; c < C; c++) mean += xr[c];
    mean /= (float)C;
    vm = _mm256_set1_ps(mean);
    acc = _mm256_setzero_ps();
    for (c = 0; c < c8; c += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(xr + c), vm);
        acc = _mm256_fmadd_ps(d, d, acc);
    }
    var = ligo__hsum8(acc);
    for (c = c8; c < C; c++) var += (xr[c] - mean) * (xr[c] - mean);
    var /= (float)C;
    rstd = 1.0f / sqrtf(var + eps);
    vr = _mm256_set1_ps(rstd);
    for (c = 0; c < c8; c += 8) {
        __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + c), vm), vr);
        _mm256_storeu_ps(yr + c, _mm256_fmadd_ps(n, _mm256_loadu_ps(g + c), _mm256_loadu_ps(b + c)));
    }
    for (c = c8; c < C; c++) yr[c] = (xr[c] - mean) * rstd * g[c] + b[c];
    *mean_out = mean;
    *rstd_out = rstd;
}

LIGO__AVX2 static void ligo__ln_row_dx_avx2(const float *xr, const float *gr, const float *g,
                                                                     float *dx, int64_t C, float mean, float rstd,
                                                                     int fresh, float *pg, float *pb) {
    int64_t c, c8 = C / 8 * 8;
    __m256 vm = _mm256_set1_ps(mean), vr = _mm256_set1_ps(rstd), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps();
    __m256 v1, v2;
    float mdn, mdnn;
    for (c = 0; c < c8; c += 8) {
        __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + c), vm), vr);
        __m256 dn = _mm256_mul_ps(_mm256_loadu_ps(gr + c), _mm256_loadu_ps(g + c));
        a1 = _mm256_add_ps(a1, dn);
        a2 = _mm256_fmadd_ps(dn, n, a2);
    }
    mdn = ligo__hsum8(a1);
    mdnn = ligo__hsum8(a2);
    for (c = c8; c < C; c++) {
        float n = (xr[c] - mean) * rstd, dn = gr[c] * g[c];
        mdn += dn;
        mdnn += dn * n;
    }
    mdn /= (float)C;
    mdnn /= (float)C;
    v1 = _mm256_set1_ps(mdn);
    v2 = _mm256_set1_ps(mdnn);
    for (c = 0; c < c8; c += 8) {
        __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + c), vm), vr);
        __m256 go = _mm256_loadu_ps(gr + c);
        __m256 dn = _mm256_mul_ps(go, _mm256_loadu_ps(g + c));
        __m256 t = _mm256_sub_ps(_mm256_sub_ps(dn, v1), _mm256_mul_ps(n, v2));
        if (dx) {
            if (fresh)
                _mm256_storeu_ps(dx + c, _mm256_mul_ps(vr, t));
            else
                _mm256_storeu_ps(dx + c, _mm256_fmadd_ps(vr, t, _mm256_loadu_ps(dx + c)));
        }
        _mm256_storeu_ps(pg + c, _mm256_fmadd_ps(go, n, _mm256_loadu_ps(pg + c)));
        _mm256_storeu_ps(pb + c, _mm256_add_ps(_mm256_loadu_ps(pb + c), go));
    }
    for (c = c8; c < C; c++) {
        float n = (xr[c] - mean) * rstd, dn = gr[c] * g[c];
        if (dx) dx[c] = (fresh ? 0.0f : dx[c]) + rstd * (dn - mdn - n * mdnn);
        pg[c] += gr[c] * n;
        pb[c] += gr[c];
    }
}

#endif

static void ligo__ln_fwd_task(void *arg, int ith, int nth) {
    const ligo__ln_job *j = (const ligo__ln_job *)arg;
    const ligo_tensor *out = j->out, *x = out->src[0], *g = out->src[1], *b = out->src[2];
    int64_t R = j->R, C = j->C, r, c, r0 = R * ith / nth, r1 = R * (ith + 1) / nth;
    const ligo__layernorm_param *p = (const ligo__layernorm_param *)out->param;
    float eps = p->eps;
    float *stats = p->stats;
#if LIGO__X86
    if (ligo__cpu_simd() >= LIGO__SIMD_AVX2) {
        for (r = r0; r < r1; r++)
            ligo__ln_row_fwd_avx2(x->data + r * C, g->data, b->data, out->data + r * C, C, eps, &stats[r],
                                  &stats[R + r]);
        return;
    }
#endif
    for (r = r0; r < r1; r++) {
        const float *xr = x->data + r * C;
        float *yr = out->data + r * C;
        float mean = 0.0f, var = 0.0f, rstd;
        for (c = 0; c < C; c++) mean += xr[c];
        mean /= (float)C;
        for (c = 0; c < C; c++) var += (xr[c] - mean) * (xr[c] - mean);
        var /= (float)C;
        rstd = 1.0f / sqrtf(var + eps);
        for (c = 0; c < C; c++) yr[c] = (xr[c] - mean) * rstd * g->data[c] + b->data[c];
        stats[r] = mean;
        stats[R + r] = rstd;
    }
}

LIGO__PRIV void ligo__fwd_LAYERNORM(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0];
    ligo__ln_job j;
    float *stats;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.R = ligo__rows(x);
    j.C = ligo__last(x);
    stats = (float *)ligo_alloc_scratch(ctx, (size_t)(2 * j.R) * sizeof(float));
    if (!stats) return;
    ((ligo__layernorm_param *)out->param)->stats = stats;
    ligo_parallel_for(ctx, ligo__ln_fwd_task, &j, ligo__nth_for(ctx, (double)j.R * (double)j.C, 16384.0));
    ligo_flops_add(ctx, 8.0 * (double)j.R * (double)j.C, 0.0);
}

static void ligo__ln_bwd_task(void *arg, int ith, int nth) {
    const ligo__ln_job *j = (const ligo__ln_job *)arg;
    const ligo_tensor *out = j->out, *x = out->src[0], *g = out->src[1];
    int64_t R = j->R, C = j->C, r, c, blk;
    int64_t nb = (R + LIGO__LN_RB - 1) / LIGO__LN_RB, b0 = nb * ith / nth, b1 = nb * (ith + 1) / nth;
    const float *stats = ((const ligo__layernorm_param *)out->param)->stats;
#if LIGO__X86
    int simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    for (blk = b0; blk < b1; blk++) {
        float *pg = j->part + blk * 2 * C, *pb = pg + C;
        int64_t r1 = (blk + 1) * LIGO__LN_RB < R ? (blk + 1) * LIGO__LN_RB : R;
        memset(pg, 0, (size_t)(2 * C) * sizeof(float));
        for (r = blk * LIGO__LN_RB; r < r1; r++) {
            const float *xr = x->data + r * C, *gr = out->grad + r * C;
            float *dx = j->dx ? j->dx + r * C : NULL;
            float mean = stats[r], rstd = stats[R + r], mdn = 0.0f, mdnn = 0.0f;
#if LIGO__X86
            if (simd) {
                ligo__ln_row_dx_avx2(xr, gr, g->data, dx, C, mean, rstd, j->fresh, pg, pb);
                continue;
            }
#endif
            for (c = 0; c < C; c++) {
                float n = (xr[c] - mean) * rstd, dn = gr[c] * g->data[c];
                mdn += dn;
                mdnn += dn * n;
            }
            mdn /= (float)C;
            mdnn /= (float)C;
            for (c = 0; c < C; c++) {
                float n = (xr[c] - mean) * rstd, dn = gr[c] * g->data[c];
                if (dx) dx[c] = (j->fresh ? 0.0f : dx[c]) + rstd * (dn - mdn - n * mdnn);
                pg[c] += gr[c] * n;
                pb[c] += gr[c];
            }
        }
    }
}

/* dgamma and dbeta += the blocks' partials, in block order; threads take
 * ranges of columns. */
static void ligo__ln_reduce_task(void *arg, int ith, int nth) {
    const ligo__ln_job *j = (const ligo__ln_job *)arg;
    int64_t C = j->C, c, blk, c0 = C * ith / nth, c1 = C * (ith + 1) / nth;
    int64_t nb = (j->R + LIGO__LN_RB - 1) / LIGO__LN_RB;
    for (blk = 0; blk < nb; blk++) {
        const float *pg = j->part + blk * 2 * C, *pb = pg + C;
        if (j->dg)
            for (c = c0; c < c1; c++) j->dg[c] += pg[c];
        if (j->db)
            for (c = c0; c < c1; c++) j->db[c] += pb[c];
    }
}

LIGO__PRIV void ligo__bwd_LAYERNORM(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0], *g = out->src[1], *b = out->src[2];
    ligo__ln_job j;
    int nth;
    int64_t nb;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.R = ligo__rows(x);
    j.C = ligo__last(x);
    j.dx = ligo__grad_fresh(ctx, x, &j.fresh);
    j.dg = ligo__grad_of(ctx, g);
    j.db = ligo__grad_of(ctx, b);
    if (!j.dx && !j.dg && !j.db) return;
    nb = (j.R + LIGO__LN_RB - 1) / LIGO__LN_RB;
    j.part = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)(nb * 2 * j.C) * sizeof(float), "scratch", 0);
    if (!j.part) return;
    nth = ligo__nth_for(ctx, (double)j.R * (double)j.C, 16384.0);
    if ((int64_t)nth > nb) nth = (int)nb;
    ligo_parallel_for(ctx, ligo__ln_bwd_task, &j, nth);
    if (j.dg || j.db) ligo_parallel_for(ctx, ligo__ln_reduce_task, &j, j.C >= 256 ? nth : 1);
    ligo_flops_add(ctx, 0.0, 14.0 * (double)j.R * (double)j.C);
}
LIGO_API ligo_tensor *ligo_layernorm(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *gamma, ligo_tensor *beta, float eps) {
    ligo__layernorm_param p;
    ligo__args a;
    p.eps = eps;
    p.stats = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = gamma;
    a.src[2] = beta;
    return ligo__build(ctx, LIGO_OP_LAYERNORM, &a);
}

/* ------------------------------------------------------------------ gelu
 * y = 0.5 x (1 + tanh(s (x + 0.044715 x^3))),  s = sqrt(2 / pi). */

#define LIGO__GELU_S 0.7978845608028654f
#define LIGO__GELU_A 0.044715f

/* tanh through one expf: libm's tanhf costs several times more, and the
 * absolute error here (about 1e-7) is what GELU's 1 + tanh needs. expf
 * overflows to infinity for large u, which still gives exactly +-1. */
static float ligo__tanh(float u) { return 1.0f - 2.0f / (1.0f + expf(2.0f * u)); }

LIGO__PRIV ligo_status ligo__shape_GELU(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    ligo__copy_shape(a->src[0], ndim, shape);
    return LIGO_OK;
}
/* GELU is elementwise and costly (an exp and a division per element), so
 * it has an AVX2/FMA path chosen at run time like the GEMM kernel. Work is
 * split in blocks of 8 so that which elements take the vector path does
 * not depend on the thread count (results stay bitwise identical). */
static void ligo__gelu_range(const ligo__gelu_job *j, int ith, int nth, int64_t *i0, int64_t *i1) {
    int64_t blocks = j->n / 8;
    *i0 = blocks * ith / nth * 8;
    *i1 = ith == nth - 1 ? j->n : blocks * (ith + 1) / nth * 8;
}

static float ligo__gelu1(float x) {
    float u = LIGO__GELU_S * (x + LIGO__GELU_A * x * x * x);
    return 0.5f * x * (1.0f + ligo__tanh(u));
}

/* dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) s (1 + 3 a x^2), t = tanh(u). */
static float ligo__gelu_grad1(float x) {
    float u = LIGO__GELU_S * (x + LIGO__GELU_A * x * x * x), t = ligo__tanh(u);
    float du = LIGO__GELU_S * (1.0f + 3.0f * LIGO__GELU_A * x * x);
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
}

#if LIGO__X86
/* t = tanh(u) = 1 - 2 / (1 + e^(2u)) for 8 values of x, with u the GELU
 * argument; also returns x. */
LIGO__AVX2 static __m256 ligo__gelu_tanh8(__m256 x) {
    __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
    __m256 u = _mm256_mul_ps(_mm256_set1_ps(LIGO__GELU_S), _mm256_fmadd_ps(_mm256_set1_ps(LIGO__GELU_A), x3, x));
    __m256 e = ligo__exp8(_mm256_add_ps(u, u));
    return _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e)));
}

LIGO__AVX2 static void ligo__gelu_fwd_avx2(const float *x, float *y, int64_t i0, int64_t i1) {
    int64_t i;
    for (i = i0; i < i1; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), t = ligo__gelu_tanh8(v);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), _mm256_add_ps(_mm256_set1_ps(1.0f), t)));
    }
}

LIGO__AVX2 static void ligo__gelu_bwd_avx2(const float *x, const float *g, float *dx,
                                                                    int64_t i0, int64_t i1, int fresh) {
    int64_t i;
    for (i = i0; i < i1; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), t = ligo__gelu_tanh8(v), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
        __m256 du = _mm256_mul_ps(_mm256_set1_ps(LIGO__GELU_S),
                                  _mm256_fmadd_ps(_mm256_set1_ps(3.0f * LIGO__GELU_A), _mm256_mul_ps(v, v), one));
        __m256 d = _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_mul_ps(_mm256_fnmadd_ps(t, t, one), du));
        d = _mm256_fmadd_ps(half, _mm256_add_ps(one, t), d);
        if (fresh)
            _mm256_storeu_ps(dx + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), d));
        else
            _mm256_storeu_ps(dx + i, _mm256_fmadd_ps(_mm256_loadu_ps(g + i), d, _mm256_loadu_ps(dx + i)));
    }
}

#endif

static void ligo__gelu_fwd_task(void *arg, int ith, int nth) {
    const ligo__gelu_job *j = (const ligo__gelu_job *)arg;
    int64_t i, i0, i1, vec_end;
    ligo__gelu_range(j, ith, nth, &i0, &i1);
    vec_end = i0;
#if LIGO__X86
    if (ligo__cpu_simd() >= LIGO__SIMD_AVX2) {
        vec_end = i0 + (i1 - i0) / 8 * 8;
        ligo__gelu_fwd_avx2(j->x, j->y, i0, vec_end);
    }
#endif
    for (i = vec_end; i < i1; i++) j->y[i] = ligo__gelu1(j->x[i]);
}

static void ligo__gelu_bwd_task(void *arg, int ith, int nth) {
    const ligo__gelu_job *j = (const ligo__gelu_job *)arg;
    int64_t i, i0, i1, vec_end;
    ligo__gelu_range(j, ith, nth, &i0, &i1);
    vec_end = i0;
#if LIGO__X86
    if (ligo__cpu_simd() >= LIGO__SIMD_AVX2) {
        vec_end = i0 + (i1 - i0) / 8 * 8;
        ligo__gelu_bwd_avx2(j->x, j->g, j->y, i0, vec_end, j->fresh);
    }
#endif
    for (i = vec_end; i < i1; i++) j->y[i] = (j->fresh ? 0.0f : j->y[i]) + j->g[i] * ligo__gelu_grad1(j->x[i]);
}

/* The linear op's GELU epilogue: the tile's pre-activation to h (same
 * layout as C), GELU in place, eight at a time where they fit. */
static void ligo__gelu_epi(void *user, float *c, int64_t ldc, int64_t mr, int64_t nr, int64_t offset) {
    float *h = (float *)user + offset;
    int64_t i, k, v8 = 0;
#if LIGO__X86
    int simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
    if (simd) v8 = nr / 8 * 8;
#endif
    for (i = 0; i < mr; i++) {
        float *ci = c + i * ldc, *hi = h + i * ldc;
        memcpy(hi, ci, (size_t)nr * sizeof(float));
#if LIGO__X86
        if (v8) ligo__gelu_fwd_avx2(hi, ci, 0, v8);
#endif
        for (k = v8; k < nr; k++) ci[k] = ligo__gelu1(hi[k]);
    }
}

LIGO__PRIV void ligo__fwd_GELU(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__gelu_job j;
    j.x = out->src[0]->data;
    j.g = NULL;
    j.y = out->data;
    j.n = out->n;
    j.fresh = 0;
    ligo_parallel_for(ctx, ligo__gelu_fwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 8.0 * (double)out->n, 0.0);
}
LIGO__PRIV void ligo__bwd_GELU(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__gelu_job j;
    float *dx = ligo__grad_fresh(ctx, out->src[0], &j.fresh);
    if (!dx) return;
    j.x = out->src[0]->data;
    j.g = out->grad;
    j.y = dx;
    j.n = out->n;
    ligo_parallel_for(ctx, ligo__gelu_bwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 0.0, 14.0 * (double)out->n);
}
LIGO_API ligo_tensor *ligo_gelu(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_GELU, &a);
}

/* ------------------------------------------------------------- attention
 * qkv (B, T, 3C) -> out (B, T, C) with NH heads of hs = C / NH.
 * Per (b, h): S = Q K^T / sqrt(hs) (T, T), P = softmax(S) with future
 * positions masked when causal, O = P V. P (B, NH, T, T) is saved.
 * Backward: dP = dO V^T, dS = P * (dP - rowsum(dP * P)), dQ = dS K / sqrt(hs),
 * dK = dS^T Q / sqrt(hs), dV = P^T dO. Threaded over (b, h); each head's
 * K and V (backward: V, K, Q and dO) are packed once for the GEMM
 * micro-kernel, and the products read Q, P, dO and dS in place, skipping
 * the 6-row tiles the causal mask makes zero (ligo__gemm_small). */

typedef struct ligo__attention_param {
    int64_t n_head; /* NH */
    int causal;
    float *P;       /* the probabilities (B, NH, T, T), saved by forward */
} ligo__attention_param;

typedef struct ligo__attn_job {
    ligo_tensor *out;
    float *dqkv;  /* backward only */
    float *work;  /* per thread: packed operands, a 6-row A panel, and
                     (backward) a T x T buffer for dP and dS */
    int64_t work_floats; /* per thread */
    int64_t B, T, C, NH;
    int causal, fresh;   /* fresh: dqkv is new, store instead of adding */
} ligo__attn_job;

LIGO__PRIV ligo_status ligo__shape_ATTENTION(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0];
    int64_t NH = ((const ligo__attention_param *)a->param)->n_head, C, P_dims[4];
    if (x->ndim != 3 || x->shape[2] % 3 != 0)
        return ligo__bad(ctx, LIGO_ESHAPE, "attention", "qkv must be (B, T, 3C), got %s%s", x, NULL);
    C = x->shape[2] / 3;
    if (NH < 1 || C % NH != 0)
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_attention: %lld heads do not divide C = %lld", (long long)NH,
                              (long long)C);
    P_dims[0] = x->shape[0];
    P_dims[1] = NH;
    P_dims[2] = P_dims[3] = x->shape[1];
    if (ligo__check_size(ctx, "attention", "saved P (B x NH x T x T)", 4, P_dims, NULL) != LIGO_OK) return ctx->status;
    *ndim = 3;
    shape[0] = x->shape[0];
    shape[1] = x->shape[1];
    shape[2] = C;
    return LIGO_OK;
}

/* P keeps its full (T, T) layout with zeros above the diagonal (the tiles
 * that straddle it read them). Each (b, h) is done by one thread in a
 * fixed order: results do not depend on the thread count. */

/* row[0, end) = softmax(row[0, end)). */
static void ligo__softmax_row_c(float *row, int64_t end) {
    float mx = -FLT_MAX, sum = 0.0f, inv;
    int64_t u;
    for (u = 0; u < end; u++) mx = row[u] > mx ? row[u] : mx;
    for (u = 0; u < end; u++) {
        row[u] = expf(row[u] - mx);
        sum += row[u];
    }
    inv = 1.0f / sum;
    for (u = 0; u < end; u++) row[u] *= inv;
}

#if LIGO__X86
LIGO__AVX2 static void ligo__softmax_row_avx2(float *row, int64_t end) {
    int64_t u, v8 = end / 8 * 8;
    int neg_inf;
    float mx = ligo__row_max_avx2(row, end, &neg_inf), sum, inv, lanes[8];
    __m256 vmx, vs = _mm256_setzero_ps(), vi;
    if (neg_inf) {
        ligo__softmax_row_c(row, end);
        return;
    }
    vmx = _mm256_set1_ps(mx);
    for (u = 0; u < v8; u += 8) {
        __m256 e = ligo__exp8(_mm256_sub_ps(_mm256_loadu_ps(row + u), vmx));
        _mm256_storeu_ps(row + u, e);
        vs = _mm256_add_ps(vs, e);
    }
    _mm256_storeu_ps(lanes, vs);
    sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for (u = v8; u < end; u++) {
        row[u] = expf(row[u] - mx);
        sum += row[u];
    }
    inv = 1.0f / sum;
    vi = _mm256_set1_ps(inv);
    for (u = 0; u < v8; u += 8) _mm256_storeu_ps(row + u, _mm256_mul_ps(_mm256_loadu_ps(row + u), vi));
    for (u = v8; u < end; u++) row[u] *= inv;
}
#endif

static void ligo__softmax_row(float *row, int64_t end, int simd) {
#if LIGO__X86
    if (simd) {
        ligo__softmax_row_avx2(row, end);
        return;
    }
#endif
    (void)simd;
    ligo__softmax_row_c(row, end);
}

/* T rows of hs floats, row stride ld, asked for ahead of use. */
static void ligo__attn_prefetch(const float *base, int64_t T, int64_t ld, int64_t hs) {
#if defined(__GNUC__) || defined(__clang__)
    int64_t t, c;
    for (t = 0; t < T; t++)
        for (c = 0; c < hs; c += 16) __builtin_prefetch(base + t * ld + c, 0, 2);
#else
    (void)base;
    (void)T;
    (void)ld;
    (void)hs;
#endif
}

/* Ask for head bh's Q, K and V rows (and its dO rows when dO is given)
 * while the current head computes: packing reads them with a stride the
 * hardware prefetcher does not follow, so they would otherwise arrive one
 * miss at a time. */
static void ligo__attn_prefetch_head(const ligo__attn_job *j, int64_t bh, const float *dO) {
    int64_t T = j->T, C = j->C, hs = C / j->NH, b = bh / j->NH, h = bh % j->NH;
    const float *q = j->out->src[0]->data + b * T * 3 * C + h * hs;
    if (bh >= j->B * j->NH) return;
    ligo__attn_prefetch(q, T, 3 * C, hs);
    ligo__attn_prefetch(q + C, T, 3 * C, hs);
    ligo__attn_prefetch(q + 2 * C, T, 3 * C, hs);
    if (dO) ligo__attn_prefetch(dO + b * T * C + h * hs, T, C, hs);
}

/* Floats of per-thread work: packed operands (forward K^T and V;
 * backward V^T, K, Q and dO), the A panel, and in backward dP / dS. */
static int64_t ligo__attn_work(int64_t T, int64_t hs, int backward) {
    int64_t kt = ligo__gemm_npad(T) * hs, n = ligo__gemm_npad(hs) * T;
    int64_t panel = 6 * (T > hs ? T : hs);
    return backward ? kt + 3 * n + panel + T * T : kt + n + panel;
}

static void ligo__attn_fwd_task(void *arg, int ith, int nth) {
    const ligo__attn_job *j = (const ligo__attn_job *)arg;
    const ligo_tensor *x = j->out->src[0];
    int64_t T = j->T, C = j->C, NH = j->NH, hs = C / NH, C3 = 3 * C, bh;
    float scale = 1.0f / sqrtf((float)hs);
    float *P_all = ((const ligo__attention_param *)j->out->param)->P;
    float *Kp = j->work + (int64_t)ith * j->work_floats;
    float *Vp = Kp + ligo__gemm_npad(T) * hs, *panel = Vp + ligo__gemm_npad(hs) * T;
    int simd = 0;
#if LIGO__X86
    simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    for (bh = ith; bh < j->B * NH; bh += nth) {
        int64_t b = bh / NH, h = bh % NH, t;
        const float *q = x->data + b * T * C3 + h * hs;
        const float *k = q + C, *v = q + 2 * C;
        float *P = P_all + bh * T * T;
        float *o = j->out->data + b * T * C + h * hs;
        ligo__gemm_pack_b_whole(1, k, C3, T, hs, Kp); /* K^T: hs x T */
        ligo__gemm_pack_b_whole(0, v, C3, hs, T, Vp); /* V: T x hs */
        ligo__attn_prefetch_head(j, bh + nth, NULL);
        ligo__gemm_small(0, j->causal ? LIGO__TRI_N : LIGO__TRI_NONE, T, T, hs, scale, q, C3, Kp, hs, 0.0f, P, T,
                         panel);
        for (t = 0; t < T; t++) {
            float *row = P + t * T;
            int64_t end = j->causal ? t + 1 : T;
            ligo__softmax_row(row, end, simd);
            if (end < T) memset(row + end, 0, (size_t)(T - end) * sizeof(float));
        }
        ligo__gemm_small(0, j->causal ? LIGO__TRI_K_LOWER : LIGO__TRI_NONE, T, hs, T, 1.0f, P, T, Vp, T, 0.0f, o, C,
                         panel);
    }
}

static double ligo__attn_pairs(int64_t T, int causal) {
    return causal ? (double)T * (double)(T + 1) / 2.0 : (double)T * (double)T;
}

LIGO__PRIV void ligo__fwd_ATTENTION(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__attn_job j;
    const ligo_tensor *x = out->src[0];
    ligo__attention_param *p = (ligo__attention_param *)out->param;
    int64_t NH = p->n_head;
    double pairs;
    int nth;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.B = x->shape[0];
    j.T = x->shape[1];
    j.C = x->shape[2] / 3;
    j.NH = NH;
    j.causal = p->causal;
    /* every element of P is written by the kernel: no zeroing */
    p->P = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)(j.B * NH * j.T * j.T) * sizeof(float),
                                         "scratch", 0);
    if (!p->P) return;
    nth = ligo__nth_for(ctx, (double)(j.B * NH), 1.0);
    j.work_floats = (ligo__attn_work(j.T, j.C / NH, 0) + 15) / 16 * 16;
    j.work = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)nth * (size_t)j.work_floats * sizeof(float),
                                           "scratch", 0);
    if (!j.work) return;
    ligo_parallel_for(ctx, ligo__attn_fwd_task, &j, nth);
    pairs = ligo__attn_pairs(j.T, j.causal) * (double)(j.B * NH);
    ligo_flops_add(ctx, pairs * (4.0 * (double)(j.C / NH) + 5.0), 0.0);
}

/* dS row from P and dP in place: d = p (d - sum(p d)) over [0, end), zero
 * over [end, T). */
static void ligo__attn_ds_row_c(const float *p, float *d, int64_t end, int64_t T) {
    float dot = 0.0f;
    int64_t u;
    for (u = 0; u < end; u++) dot += p[u] * d[u];
    for (u = 0; u < end; u++) d[u] = p[u] * (d[u] - dot);
    if (end < T) memset(d + end, 0, (size_t)(T - end) * sizeof(float));
}

#if LIGO__X86
LIGO__AVX2 static void ligo__attn_ds_row_avx2(const float *p, float *d, int64_t end,
                                                                       int64_t T) {
    int64_t u, e8 = end / 8 * 8;
    __m256 acc = _mm256_setzero_ps(), vd;
    float dot;
    for (u = 0; u < e8; u += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(p + u), _mm256_loadu_ps(d + u), acc);
    dot = ligo__hsum8(acc);
    for (u = e8; u < end; u++) dot += p[u] * d[u];
    vd = _mm256_set1_ps(dot);
    for (u = 0; u < e8; u += 8)
        _mm256_storeu_ps(d + u, _mm256_mul_ps(_mm256_loadu_ps(p + u), _mm256_sub_ps(_mm256_loadu_ps(d + u), vd)));
    for (u = e8; u < end; u++) d[u] = p[u] * (d[u] - dot);
    if (end < T) memset(d + end, 0, (size_t)(T - end) * sizeof(float));
}
#endif

static void ligo__attn_bwd_task(void *arg, int ith, int nth) {
    const ligo__attn_job *j = (const ligo__attn_job *)arg;
    const ligo_tensor *x = j->out->src[0];
    int64_t T = j->T, C = j->C, NH = j->NH, hs = C / NH, C3 = 3 * C, bh;
    int64_t nt = ligo__gemm_npad(hs) * T;
    float scale = 1.0f / sqrtf((float)hs), beta = j->fresh ? 0.0f : 1.0f;
    int lower_n = j->causal ? LIGO__TRI_N : LIGO__TRI_NONE;
    int lower_k = j->causal ? LIGO__TRI_K_LOWER : LIGO__TRI_NONE;
    int upper_k = j->causal ? LIGO__TRI_K_UPPER : LIGO__TRI_NONE;
    const float *P_all = ((const ligo__attention_param *)j->out->param)->P;
    float *Vt = j->work + (int64_t)ith * j->work_floats;
    float *Kn = Vt + ligo__gemm_npad(T) * hs, *Qn = Kn + nt, *dOn = Qn + nt, *panel = dOn + nt;
    float *W = panel + 6 * (T > hs ? T : hs);
    int simd = 0;
#if LIGO__X86
    simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    for (bh = ith; bh < j->B * NH; bh += nth) {
        int64_t b = bh / NH, h = bh % NH, t;
        const float *q = x->data + b * T * C3 + h * hs;
        const float *k = q + C, *v = q + 2 * C;
        const float *P = P_all + bh * T * T;
        const float *dO = j->out->grad + b * T * C + h * hs;
        float *dq = j->dqkv + b * T * C3 + h * hs, *dk = dq + C, *dv = dq + 2 * C;
        ligo__gemm_pack_b_whole(1, v, C3, T, hs, Vt); /* V^T: hs x T */
        ligo__gemm_pack_b_whole(0, k, C3, hs, T, Kn); /* K: T x hs */
        ligo__gemm_pack_b_whole(0, q, C3, hs, T, Qn);
        ligo__gemm_pack_b_whole(0, dO, C, hs, T, dOn);
        ligo__attn_prefetch_head(j, bh + nth, j->out->grad);
        ligo__gemm_small(0, lower_n, T, T, hs, 1.0f, dO, C, Vt, hs, 0.0f, W, T, panel); /* dP = dO V^T */
        for (t = 0; t < T; t++) {
            int64_t end = j->causal ? t + 1 : T;
#if LIGO__X86
            if (simd) {
                ligo__attn_ds_row_avx2(P + t * T, W + t * T, end, T);
                continue;
            }
#endif
            ligo__attn_ds_row_c(P + t * T, W + t * T, end, T);
        }
        ligo__gemm_small(0, lower_k, T, hs, T, scale, W, T, Kn, T, beta, dq, C3, panel); /* dQ = dS K */
        ligo__gemm_small(1, upper_k, T, hs, T, scale, W, T, Qn, T, beta, dk, C3, panel); /* dK = dS^T Q */
        ligo__gemm_small(1, upper_k, T, hs, T, 1.0f, P, T, dOn, T, beta, dv, C3, panel); /* dV = P^T dO */
    }
    (void)simd;
}

LIGO__PRIV void ligo__bwd_ATTENTION(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__attn_job j;
    ligo_tensor *x = out->src[0];
    int nth;
    double pairs;
    memset(&j, 0, sizeof j);
    j.dqkv = ligo__grad_fresh(ctx, x, &j.fresh);
    if (!j.dqkv) return;
    j.out = out;
    j.B = x->shape[0];
    j.T = x->shape[1];
    j.C = x->shape[2] / 3;
    j.NH = ((const ligo__attention_param *)out->param)->n_head;
    j.causal = ((const ligo__attention_param *)out->param)->causal;
    nth = ligo__nth_for(ctx, (double)(j.B * j.NH), 1.0);
    j.work_floats = (ligo__attn_work(j.T, j.C / j.NH, 1) + 15) / 16 * 16;
    j.work = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)nth * (size_t)j.work_floats * sizeof(float),
                                           "scratch", 0);
    if (!j.work) return;
    ligo_parallel_for(ctx, ligo__attn_bwd_task, &j, nth);
    pairs = ligo__attn_pairs(j.T, j.causal) * (double)(j.B * j.NH);
    ligo_flops_add(ctx, 0.0, pairs * (8.0 * (double)(j.C / j.NH) + 5.0));
}
LIGO_API ligo_tensor *ligo_attention(ligo_ctx *ctx, ligo_tensor *qkv, int64_t n_head, int causal) {
    ligo__attention_param p;
    ligo__args a;
    p.n_head = n_head;
    p.causal = causal ? 1 : 0;
    p.P = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = qkv;
    return ligo__build(ctx, LIGO_OP_ATTENTION, &a);
}

/* --------------------------------------------------------- cross-entropy
 * logits (R, V), targets (R) in node->ids. loss = mean over counted rows
 * (target not ignore_index) of logsumexp(row) - row[target]. Saves the
 * logsumexp of each row (R). d logits = (softmax - onehot) / count. */

typedef struct ligo__cross_entropy_param {
    int32_t ignore_index;
    int64_t count;            /* rows that counted, set by forward */
    float *lse;               /* logsumexp per row (R), saved by forward */
    unsigned char *scalar_row; /* per row: it holds -inf, backward takes the scalar loop */
} ligo__cross_entropy_param;

LIGO__PRIV ligo_status ligo__shape_CROSS_ENTROPY(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0];
    int64_t R = ligo__rows(x), V = ligo__last(x), i;
    int32_t ignore = ((const ligo__cross_entropy_param *)a->param)->ignore_index;
    if (!a->ids) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_cross_entropy: targets is NULL");
    if (a->n_ids != R) {
        char bx[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_cross_entropy: %lld targets for %lld rows of logits %s",
                              (long long)a->n_ids, (long long)R, ligo_shape_str(x, bx, sizeof bx));
    }
    for (i = 0; i < R; i++) {
        int32_t t = a->ids[i];
        if (t != ignore && (t < 0 || (int64_t)t >= V))
            return ligo_set_error(ctx, LIGO_ERANGE, "ligo_cross_entropy: target %ld at row %lld is outside [0, %lld)",
                                  (long)t, (long long)i, (long long)V);
    }
    return ligo__shape_scalar(ndim, shape);
}
/* Threaded over rows; each row's loss is kept and the mean is summed in
 * row order, so the result does not depend on the thread count. */
typedef struct ligo__ce_job {
    ligo_tensor *out;
    float *lse, *dx;
    unsigned char *scalar_row; /* the row holds -inf: backward takes the scalar loop */
    double *row_loss;
    float g;
    int64_t R, V;
    int fresh; /* backward: dx is a new buffer, store instead of adding */
} ligo__ce_job;

/* A row's max and sum of exp(row - max) (in double), eight lanes at a
 * time on AVX2: lane sums in double, added in a fixed order. A row with
 * -inf takes the scalar loop (*neg_inf set), here and in backward. */
#if LIGO__X86
LIGO__AVX2 static double ligo__ce_sumexp_avx2(const float *row, int64_t V, float *mx_out,
                                                                       int *neg_inf) {
    int64_t v, v8 = V / 8 * 8;
    float mx = ligo__row_max_avx2(row, V, neg_inf);
    double d[8], s = 0.0;
    __m256 vm = _mm256_set1_ps(mx);
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    *mx_out = mx;
    if (*neg_inf) {
        for (v = 0; v < V; v++) s += (double)expf(row[v] - mx);
        return s;
    }
    for (v = 0; v < v8; v += 8) {
        __m256 e = ligo__exp8(_mm256_sub_ps(_mm256_loadu_ps(row + v), vm));
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    _mm256_storeu_pd(d, s0);
    _mm256_storeu_pd(d + 4, s1);
    s = ((d[0] + d[1]) + (d[2] + d[3])) + ((d[4] + d[5]) + (d[6] + d[7]));
    for (v = v8; v < V; v++) s += (double)expf(row[v] - mx);
    return s;
}

/* d (+)= g * exp(row - lse) */
LIGO__AVX2 static void ligo__ce_grad_avx2(const float *row, float *d, int64_t V, float lse,
                                                                   float g, int fresh) {
    int64_t v, v8 = V / 8 * 8;
    __m256 vl = _mm256_set1_ps(lse), vg = _mm256_set1_ps(g);
    for (v = 0; v < v8; v += 8) {
        __m256 e = _mm256_mul_ps(vg, ligo__exp8(_mm256_sub_ps(_mm256_loadu_ps(row + v), vl)));
        _mm256_storeu_ps(d + v, fresh ? e : _mm256_add_ps(_mm256_loadu_ps(d + v), e));
    }
    for (v = v8; v < V; v++) d[v] = (fresh ? 0.0f : d[v]) + g * expf(row[v] - lse);
}
#endif

static void ligo__ce_fwd_task(void *arg, int ith, int nth) {
    const ligo__ce_job *j = (const ligo__ce_job *)arg;
    const ligo_tensor *out = j->out, *x = out->src[0];
    int64_t V = j->V, r, v, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    int32_t ignore = ((const ligo__cross_entropy_param *)out->param)->ignore_index;
    int simd = 0;
#if LIGO__X86
    simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    (void)simd;
    for (r = r0; r < r1; r++) {
        const float *row = x->data + r * V;
        float mx = -FLT_MAX;
        double s = 0.0;
        if (out->ids[r] == ignore) continue;
#if LIGO__X86
        if (simd) {
            int neg_inf;
            s = ligo__ce_sumexp_avx2(row, V, &mx, &neg_inf);
            j->scalar_row[r] = (unsigned char)neg_inf;
            j->lse[r] = mx + (float)log(s);
            j->row_loss[r] = (double)j->lse[r] - (double)row[out->ids[r]];
            continue;
        }
#endif
        for (v = 0; v < V; v++) mx = row[v] > mx ? row[v] : mx;
        for (v = 0; v < V; v++) s += (double)expf(row[v] - mx);
        j->lse[r] = mx + (float)log(s);
        j->row_loss[r] = (double)j->lse[r] - (double)row[out->ids[r]];
    }
}

LIGO__PRIV void ligo__fwd_CROSS_ENTROPY(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0];
    ligo__ce_job j;
    ligo__cross_entropy_param *p = (ligo__cross_entropy_param *)out->param;
    int64_t r, count = 0;
    int32_t ignore = p->ignore_index;
    double total = 0.0;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.R = ligo__rows(x);
    j.V = ligo__last(x);
    j.lse = (float *)ligo_alloc_scratch(ctx, (size_t)j.R * (sizeof(float) + 1));
    j.row_loss = (double *)ligo_alloc_scratch(ctx, (size_t)j.R * sizeof(double));
    if (!j.lse || !j.row_loss) return;
    j.scalar_row = (unsigned char *)(j.lse + j.R);
    memset(j.scalar_row, 0, (size_t)j.R);
    p->lse = j.lse;
    p->scalar_row = j.scalar_row;
    ligo_parallel_for(ctx, ligo__ce_fwd_task, &j, ligo__nth_for(ctx, (double)j.R * (double)j.V, 16384.0));
    for (r = 0; r < j.R; r++) {
        if (out->ids[r] == ignore) continue;
        total += j.row_loss[r];
        count++;
    }
    p->count = count;
    out->data[0] = count ? (float)(total / (double)count) : 0.0f;
    ligo_flops_add(ctx, 4.0 * (double)count * (double)j.V, 0.0);
}

static void ligo__ce_bwd_task(void *arg, int ith, int nth) {
    const ligo__ce_job *j = (const ligo__ce_job *)arg;
    const ligo_tensor *out = j->out, *x = out->src[0];
    int64_t V = j->V, r, v, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    int32_t ignore = ((const ligo__cross_entropy_param *)out->param)->ignore_index;
    const float *lse = ((const ligo__cross_entropy_param *)out->param)->lse;
    const unsigned char *scalar_row = ((const ligo__cross_entropy_param *)out->param)->scalar_row;
    float g = j->g;
    int simd = 0;
#if LIGO__X86
    simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    (void)simd;
    (void)scalar_row;
    for (r = r0; r < r1; r++) {
        const float *row = x->data + r * V;
        float *d = j->dx + r * V;
        if (out->ids[r] == ignore) {
            if (j->fresh) memset(d, 0, (size_t)V * sizeof(float));
            continue;
        }
#if LIGO__X86
        if (simd && !scalar_row[r]) {
            ligo__ce_grad_avx2(row, d, V, lse[r], g, j->fresh);
            d[out->ids[r]] -= g;
            continue;
        }
#endif
        for (v = 0; v < V; v++) d[v] = (j->fresh ? 0.0f : d[v]) + g * expf(row[v] - lse[r]);
        d[out->ids[r]] -= g;
    }
}

LIGO__PRIV void ligo__bwd_CROSS_ENTROPY(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0];
    ligo__ce_job j;
    int64_t count = ((const ligo__cross_entropy_param *)out->param)->count;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.R = ligo__rows(x);
    j.V = ligo__last(x);
    j.dx = ligo__grad_fresh(ctx, x, &j.fresh);
    if (!j.dx) return;
    if (count == 0) { /* every target ignored: the gradient is zero */
        if (j.fresh) memset(j.dx, 0, (size_t)x->n * sizeof(float));
        return;
    }
    j.g = out->grad[0] / (float)count;
    ligo_parallel_for(ctx, ligo__ce_bwd_task, &j, ligo__nth_for(ctx, (double)j.R * (double)j.V, 16384.0));
    ligo_flops_add(ctx, 0.0, 4.0 * (double)count * (double)j.V);
}
LIGO_API ligo_tensor *ligo_cross_entropy(ligo_ctx *ctx, ligo_tensor *logits, const int32_t *targets, int64_t n,
                                         int32_t ignore_index) {
    ligo__cross_entropy_param p;
    ligo__args a;
    memset(&p, 0, sizeof p);
    p.ignore_index = ignore_index;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = logits;
    a.ids = targets;
    a.n_ids = n;
    return ligo__build(ctx, LIGO_OP_CROSS_ENTROPY, &a);
}

LIGO_API int64_t ligo_cross_entropy_count(const ligo_tensor *loss) {
    if (!loss || loss->op != LIGO_OP_CROSS_ENTROPY) return 0;
    return ((const ligo__cross_entropy_param *)loss->param)->count;
}

/* ------------------------------------------------------------- embedding
 * table (V, C), ids (n) in node->ids -> out (n, C). */

LIGO__PRIV ligo_status ligo__shape_EMBEDDING(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *w = a->src[0];
    int64_t i;
    if (w->ndim != 2) return ligo__bad(ctx, LIGO_ESHAPE, "embedding", "table must be 2-D (V, C), got %s%s", w, NULL);
    if (!a->ids || a->n_ids < 1)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_embedding: ids is NULL or n (%lld) < 1", (long long)a->n_ids);
    for (i = 0; i < a->n_ids; i++)
        if (a->ids[i] < 0 || (int64_t)a->ids[i] >= w->shape[0])
            return ligo_set_error(ctx, LIGO_ERANGE, "ligo_embedding: id %ld at position %lld is outside [0, %lld)",
                                  (long)a->ids[i], (long long)i, (long long)w->shape[0]);
    *ndim = 2;
    shape[0] = a->n_ids;
    shape[1] = w->shape[1];
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_EMBEDDING(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *w = out->src[0];
    int64_t i, C = w->shape[1];
    (void)ctx;
    for (i = 0; i < out->shape[0]; i++)
        memcpy(out->data + i * C, w->data + (int64_t)out->ids[i] * C, (size_t)C * sizeof(float));
}
LIGO__PRIV void ligo__bwd_EMBEDDING(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *w = out->src[0];
    float *dw = ligo__grad_of(ctx, w);
    int64_t i, C = w->shape[1];
    if (!dw) return;
    for (i = 0; i < out->shape[0]; i++) ligo__acc(dw + (int64_t)out->ids[i] * C, out->grad + i * C, C);
    ligo_flops_add(ctx, 0.0, (double)out->n);
}
LIGO_API ligo_tensor *ligo_embedding(ligo_ctx *ctx, ligo_tensor *table, const int32_t *ids, int64_t n) {
    ligo__args a = ligo__args0();
    a.src[0] = table;
    a.ids = ids;
    a.n_ids = n;
    return ligo__build(ctx, LIGO_OP_EMBEDDING, &a);
}
