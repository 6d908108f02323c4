/* ops/reshape.c: a view (LIGO__OP_VIEW): the output shares the input's
 * floats under another shape; backward hands the gradient through. */
#include "ops.h"

LIGO__OP(RESHAPE, "reshape", 1, LIGO__OP_VIEW);

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
/* The same floats under another shape of as many elements: a view (no
 * copy) with a gradient of its own. */
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

#ifdef LIGO_OP_TESTS
/* through a product, so that the view's gradient feeds a real op */
static ligo_tensor *ligo__reshape_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    int64_t s[3] = {2, 3, 2};
    ligo_tensor *a = ligo_reshape(ctx, in[0], 3, s);
    (void)c;
    return ligo_mul(ctx, a, ligo_reshape(ctx, in[1], 3, s));
}
LIGO__PRIV int ligo__cases_RESHAPE(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "reshape", .run = ligo__reshape_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {2, {4, 3}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
