/* ops/binary.c: elementwise add, sub, mul and div: out (a's shape) =
 * a op b, with b broadcast over a's leading dims. b has a's shape, or a's
 * trailing dims (b's own leading dims of 1 aside: a (B, T, C) takes b
 * (T, C), (1, T, C), (C) or (1, 1, C)), or one element, or as many elements
 * as a's last dim (a row, whatever its shape). Every case but the first
 * reads b as a block of b.n floats repeated over a: element i of a meets
 * element i % b.n of b, and backward sums b's gradient over the repeats in
 * index order. Forward records whether b had a's shape, for backward. */
#include "ops.h"

LIGO__OP(ADD, "add", 2, 0);
LIGO__OP(SUB, "sub", 2, 0);
LIGO__OP(MUL, "mul", 2, 0);
LIGO__OP(DIV, "div", 2, 0);

enum { LIGO__BC_SAME = 0, LIGO__BC_REPEAT = 1 };
typedef struct ligo__binary_param {
    int bc; /* LIGO__BC_*, set by forward */
} ligo__binary_param;

/* Whether b's dims, its leading 1s dropped, are a's last dims. */
static int ligo__bc_trailing(const ligo_tensor *x, const ligo_tensor *y) {
    int i, lead = 0, nd;
    while (lead < y->ndim - 1 && y->shape[lead] == 1) lead++;
    nd = y->ndim - lead;
    if (nd > x->ndim) return 0;
    for (i = 0; i < nd; i++)
        if (y->shape[lead + i] != x->shape[x->ndim - nd + i]) return 0;
    return 1;
}

static ligo_status ligo__shape_binary(ligo_ctx *ctx, const char *op, const ligo__args *a, int *ndim,
                                      int64_t *shape) {
    const ligo_tensor *x = a->src[0], *y = a->src[1];
    if (!ligo_same_shape(x, y) && y->n != ligo__last(x) && y->n != 1 && !ligo__bc_trailing(x, y))
        return ligo__bad(ctx, LIGO_ESHAPE, op,
                         "shapes %s and %s do not match (b must have a's shape, its last dims, or 1 element)", x, y);
    ligo__copy_shape(x, ndim, shape);
    return LIGO_OK;
}

enum { LIGO__BIN_ADD, LIGO__BIN_SUB, LIGO__BIN_MUL, LIGO__BIN_DIV };

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

static float ligo__bin1(int kind, float u, float v) {
    return kind == LIGO__BIN_ADD ? u + v : kind == LIGO__BIN_SUB ? u - v : kind == LIGO__BIN_MUL ? u * v : u / v;
}

/* Element i = r * bn + j of a meets element j of b (bn = b.n; b of a's
 * shape: bn = a.n, one repeat). */
static void ligo__binary_fwd(ligo_ctx *ctx, ligo_tensor *out, int kind) {
    const ligo_tensor *x = out->src[0], *y = out->src[1];
    int mode = ligo_same_shape(x, y) ? LIGO__BC_SAME : LIGO__BC_REPEAT;
    int64_t r, j, bn = y->n, reps = out->n / y->n;
    ((ligo__binary_param *)out->param)->bc = mode;
    if (mode == LIGO__BC_SAME && kind == LIGO__BIN_ADD) { /* the residual adds: threaded, vectorised */
        ligo__add_job jb;
        jb.u = x->data;
        jb.v = y->data;
        jb.o = out->data;
        jb.n = out->n;
        ligo_parallel_for(ctx, ligo__add_task, &jb, ligo__nth_for(ctx, (double)out->n, 65536.0));
        ligo_flops_add(ctx, (double)out->n, 2.0 * (double)out->n);
        return;
    }
    for (r = 0; r < reps; r++) {
        const float *u = x->data + r * bn;
        float *o = out->data + r * bn;
        for (j = 0; j < bn; j++) o[j] = ligo__bin1(kind, u[j], y->data[j]);
    }
    /* FLOPs, forward and backward: 1 and 2 per element (div: 1 and 4) */
    ligo_flops_add(ctx, (double)out->n, (kind == LIGO__BIN_DIV ? 4.0 : 2.0) * (double)out->n);
}

/* add: da = g, db = g; sub: db = -g; mul: da = g b, db = g a;
 * div: da = g / b, db = -g (a / b) / b. db sums over the repeats. */
static void ligo__binary_bwd(ligo_ctx *ctx, ligo_tensor *out, int kind) {
    ligo_tensor *x = out->src[0], *y = out->src[1];
    const float *g = out->grad;
    int mode = ((const ligo__binary_param *)out->param)->bc;
    float *dx, *dy;
    int64_t r, j, bn = y->n, reps = out->n / y->n;
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
    for (r = 0; r < reps; r++) {
        const float *gr = g + r * bn, *u = x->data + r * bn, *v = y->data;
        float *dxr = dx ? dx + r * bn : NULL;
        for (j = 0; j < bn; j++) {
            if (dxr) dxr[j] += kind == LIGO__BIN_MUL ? gr[j] * v[j] : kind == LIGO__BIN_DIV ? gr[j] / v[j] : gr[j];
            if (dy)
                dy[j] += kind == LIGO__BIN_ADD   ? gr[j]
                         : kind == LIGO__BIN_SUB ? -gr[j]
                         : kind == LIGO__BIN_MUL ? gr[j] * u[j]
                                                 : -gr[j] * (u[j] / v[j]) / v[j];
        }
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

LIGO__PRIV ligo_status ligo__shape_DIV(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    return ligo__shape_binary(ctx, "div", a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_DIV(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_fwd(ctx, out, LIGO__BIN_DIV); }
LIGO__PRIV void ligo__bwd_DIV(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_bwd(ctx, out, LIGO__BIN_DIV); }

static ligo_tensor *ligo__binary(ligo_ctx *ctx, int op, ligo_tensor *x, ligo_tensor *y) {
    ligo__binary_param p;
    ligo__args a;
    p.bc = LIGO__BC_SAME;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = y;
    return ligo__build(ctx, op, &a);
}

/* Elementwise a op b -> a's shape, b broadcast over a's leading dims: b
 * has a's shape, or a's last dims (leading dims of 1 allowed: a (B, T, C)
 * with b (T, C), (1, T, C) or (C)), or 1 element (a scalar), or b.n equals
 * a's last dim (a row: a bias). b's gradient sums over the broadcast. */
LIGO_API ligo_tensor *ligo_add(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b) { return ligo__binary(ctx, LIGO_OP_ADD, a, b); }
LIGO_API ligo_tensor *ligo_sub(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b) { return ligo__binary(ctx, LIGO_OP_SUB, a, b); }
LIGO_API ligo_tensor *ligo_mul(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b) { return ligo__binary(ctx, LIGO_OP_MUL, a, b); }
/* a / b elementwise, broadcast as ligo_add; IEEE for b = 0 (inf or NaN, no
 * error). */
LIGO_API ligo_tensor *ligo_div(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b) { return ligo__binary(ctx, LIGO_OP_DIV, a, b); }

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
static ligo_tensor *ligo__div_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_div(ctx, in[0], in[1]);
}

/* a op b in float64, b's element i % b.n for a's element i; i0 is the op */
static void ligo__binary_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    int64_t i, bn = in[1]->n;
    for (i = 0; i < in[0]->n; i++) {
        double u = in[0]->data[i], v = in[1]->data[i % bn];
        out[i] = c->i0 == LIGO__BIN_ADD ? u + v : c->i0 == LIGO__BIN_SUB ? u - v : c->i0 == LIGO__BIN_MUL ? u * v : u / v;
    }
}

/* "lead": b has a's trailing dims, broadcast over the leading ones */
LIGO__PRIV int ligo__cases_ADD(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "add same", .run = ligo__add_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {2, {3, 4}, 1.0f}}},
        {.name = "add row", .run = ligo__add_case, .n_in = 2, .in = {{3, {2, 3, 4}, 1.0f}, {1, {4}, 1.0f}}},
        {.name = "add scalar", .run = ligo__add_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {1}, 1.0f}}},
        {.name = "add lead", .run = ligo__add_case, .n_in = 2, .in = {{3, {2, 3, 4}, 1.0f}, {2, {3, 4}, 1.0f}},
         .i0 = LIGO__BIN_ADD, .ref = ligo__binary_ref, .ref_tol = 2e-7},
        {.name = "add lead 4-D", .run = ligo__add_case, .n_in = 2, .in = {{4, {2, 2, 3, 4}, 1.0f}, {3, {1, 3, 4}, 1.0f}},
         .i0 = LIGO__BIN_ADD, .ref = ligo__binary_ref, .ref_tol = 2e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_SUB(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "sub same", .run = ligo__sub_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {2, {3, 4}, 1.0f}}},
        {.name = "sub row", .run = ligo__sub_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {4}, 1.0f}}},
        {.name = "sub lead", .run = ligo__sub_case, .n_in = 2, .in = {{3, {3, 2, 5}, 1.0f}, {2, {2, 5}, 1.0f}},
         .i0 = LIGO__BIN_SUB, .ref = ligo__binary_ref, .ref_tol = 2e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_MUL(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "mul same", .run = ligo__mul_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {2, {3, 4}, 1.0f}}},
        {.name = "mul row", .run = ligo__mul_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {4}, 1.0f}}},
        {.name = "mul scalar", .run = ligo__mul_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {1}, 1.0f}}},
        {.name = "mul lead", .run = ligo__mul_case, .n_in = 2, .in = {{3, {2, 3, 4}, 1.0f}, {2, {3, 4}, 1.0f}},
         .i0 = LIGO__BIN_MUL, .ref = ligo__binary_ref, .ref_tol = 2e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
/* b in (1, 2), away from 0 */
LIGO__PRIV int ligo__cases_DIV(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "div same", .run = ligo__div_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {2, {3, 4}, 0.5f}},
         .offset = {0.0f, 1.5f}, .i0 = LIGO__BIN_DIV, .ref = ligo__binary_ref, .ref_tol = 1e-7},
        {.name = "div row", .run = ligo__div_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {4}, 0.5f}},
         .offset = {0.0f, 1.5f}, .i0 = LIGO__BIN_DIV, .ref = ligo__binary_ref, .ref_tol = 1e-7},
        {.name = "div scalar", .run = ligo__div_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {1}, 0.5f}},
         .offset = {0.0f, 1.5f}, .i0 = LIGO__BIN_DIV, .ref = ligo__binary_ref, .ref_tol = 1e-7},
        {.name = "div lead", .run = ligo__div_case, .n_in = 2, .in = {{3, {2, 3, 4}, 1.0f}, {2, {3, 4}, 0.5f}},
         .offset = {0.0f, 1.5f}, .i0 = LIGO__BIN_DIV, .ref = ligo__binary_ref, .ref_tol = 1e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
