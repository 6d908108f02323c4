/* ops/slice.c: rows (axis 0) or columns (axis 1) [start, start + len) of a 2-D tensor. */
#include "ops.h"

LIGO__OP(SLICE, "slice", 1, 0);

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
/* Rows or columns [start, start + len) of a 2-D tensor. */
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

#ifdef LIGO_OP_TESTS
/* i0: the axis; [1, 3) of it */
static ligo_tensor *ligo__slice_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_slice(ctx, in[0], (int)c->i0, 1, 2);
}
LIGO__PRIV int ligo__cases_SLICE(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "slice rows", .run = ligo__slice_case, .n_in = 1, .in = {{2, {4, 3}, 1.0f}}},
        {.name = "slice cols", .run = ligo__slice_case, .n_in = 1, .in = {{2, {3, 5}, 1.0f}}, .i0 = 1},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
