/* ops/matmul.c: out (M, N) = op(a) (M, K) @ op(b) (K, N), op(X) = X or
 * X^T, through the GEMM choke point. */
#include "ops.h"

LIGO__OP(MATMUL, "matmul", 2, 0);

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
/* op(a) @ op(b) for 2-D a, b: (M x K) @ (K x N) -> M x N. */
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

#ifdef LIGO_OP_TESTS
/* i0, i1: trans_a, trans_b */
static ligo_tensor *ligo__matmul_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_matmul(ctx, in[0], in[1], (int)c->i0, (int)c->i1);
}
LIGO__PRIV int ligo__cases_MATMUL(const ligo_op_case **cases) {
    /* op(a) is 3 x 5, op(b) 5 x 4 */
    static const ligo_op_case c[] = {
        {.name = "matmul NN", .run = ligo__matmul_case, .n_in = 2, .in = {{2, {3, 5}, 1.0f}, {2, {5, 4}, 1.0f}}},
        {.name = "matmul NT", .run = ligo__matmul_case, .n_in = 2, .in = {{2, {3, 5}, 1.0f}, {2, {4, 5}, 1.0f}},
         .i1 = 1},
        {.name = "matmul TN", .run = ligo__matmul_case, .n_in = 2, .in = {{2, {5, 3}, 1.0f}, {2, {5, 4}, 1.0f}},
         .i0 = 1},
        {.name = "matmul TT", .run = ligo__matmul_case, .n_in = 2, .in = {{2, {5, 3}, 1.0f}, {2, {4, 5}, 1.0f}},
         .i0 = 1, .i1 = 1},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
