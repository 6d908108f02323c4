/* ops/transpose.c: out (C, R) = a^T for a 2-D a (R, C). */
#include "ops.h"

LIGO__OP(TRANSPOSE, "transpose", 1, 0);

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
/* The transpose of a 2-D tensor. */
LIGO_API ligo_tensor *ligo_transpose(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_TRANSPOSE, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__transpose_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_transpose(ctx, in[0]);
}
LIGO__PRIV int ligo__cases_TRANSPOSE(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "transpose", .run = ligo__transpose_case, .n_in = 1, .in = {{2, {3, 5}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
