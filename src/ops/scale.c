/* ops/scale.c: out = s a for a constant s. */
#include "ops.h"

LIGO__OP(SCALE, "scale", 1, 0);

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
/* s a, for a finite s. */
LIGO_API ligo_tensor *ligo_scale(ligo_ctx *ctx, ligo_tensor *x, float s) {
    ligo__scale_param p;
    ligo__args a;
    p.s = s;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_SCALE, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__scale_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_scale(ctx, in[0], -1.75f);
}
LIGO__PRIV int ligo__cases_SCALE(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "scale", .run = ligo__scale_case, .n_in = 1, .in = {{2, {3, 4}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
