/* ops/reduce.c: sum and mean of every element, summed in double in index order. */
#include "ops.h"

LIGO__OP(SUM, "sum", 1, 0);
LIGO__OP(MEAN, "mean", 1, 0);

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
/* The sum of every element -> scalar. */
LIGO_API ligo_tensor *ligo_sum(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_SUM, &a);
}
/* The mean of every element -> scalar. */
LIGO_API ligo_tensor *ligo_mean(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_MEAN, &a);
}

#ifdef LIGO_OP_TESTS
/* of a square, so that the gradient is not constant */
static ligo_tensor *ligo__sum_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_sum(ctx, ligo_mul(ctx, in[0], in[0]));
}
static ligo_tensor *ligo__mean_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_mean(ctx, ligo_mul(ctx, in[0], in[0]));
}
LIGO__PRIV int ligo__cases_SUM(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "sum", .run = ligo__sum_case, .n_in = 1, .in = {{2, {3, 4}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_MEAN(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "mean", .run = ligo__mean_case, .n_in = 1, .in = {{2, {3, 4}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
