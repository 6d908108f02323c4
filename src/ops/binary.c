/* ops/binary.c: elementwise add, sub and mul. b has a's shape, or is one
 * row of a's last dim (added to every row), or a scalar: the broadcast
 * mode, which forward records for backward. */
#include "ops.h"

LIGO__OP(ADD, "add", 2, 0);
LIGO__OP(SUB, "sub", 2, 0);
LIGO__OP(MUL, "mul", 2, 0);

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

/* Elementwise a op b. b has a's shape, or b.n equals a's last dim (b is
 * added to every row: a bias), or b.n == 1 (a scalar). */
LIGO_API ligo_tensor *ligo_add(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b) { return ligo__binary(ctx, LIGO_OP_ADD, a, b); }
LIGO_API ligo_tensor *ligo_sub(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b) { return ligo__binary(ctx, LIGO_OP_SUB, a, b); }
LIGO_API ligo_tensor *ligo_mul(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b) { return ligo__binary(ctx, LIGO_OP_MUL, a, b); }

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__add_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_add(ctx, in[0], in[1]);
}
static ligo_tensor *ligo__sub_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_sub(ctx, in[0], in[1]);
}
static ligo_tensor *ligo__mul_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_mul(ctx, in[0], in[1]);
}
LIGO__PRIV int ligo__cases_ADD(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "add same", .run = ligo__add_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {2, {3, 4}, 1.0f}}},
        {.name = "add row", .run = ligo__add_case, .n_in = 2, .in = {{3, {2, 3, 4}, 1.0f}, {1, {4}, 1.0f}}},
        {.name = "add scalar", .run = ligo__add_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {1}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_SUB(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "sub same", .run = ligo__sub_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {2, {3, 4}, 1.0f}}},
        {.name = "sub row", .run = ligo__sub_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {4}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_MUL(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "mul same", .run = ligo__mul_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {2, {3, 4}, 1.0f}}},
        {.name = "mul row", .run = ligo__mul_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {4}, 1.0f}}},
        {.name = "mul scalar", .run = ligo__mul_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {1}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
