/* ops/concat.c: two 2-D tensors side by side along axis 0 (rows) or 1 (columns). */
#include "ops.h"

LIGO__OP(CONCAT, "concat", 2, 0);

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
/* Concatenate 2-D tensors along axis 0 (rows) or 1 (columns). */
LIGO_API ligo_tensor *ligo_concat(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *y, int axis) {
    ligo__concat_param p;
    ligo__args a;
    p.axis = axis;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = y;
    return ligo__build(ctx, LIGO_OP_CONCAT, &a);
}

#ifdef LIGO_OP_TESTS
/* i0: the axis */
static ligo_tensor *ligo__concat_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_concat(ctx, in[0], in[1], (int)c->i0);
}
LIGO__PRIV int ligo__cases_CONCAT(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "concat rows", .run = ligo__concat_case, .n_in = 2, .in = {{2, {2, 3}, 1.0f}, {2, {4, 3}, 1.0f}}},
        {.name = "concat cols", .run = ligo__concat_case, .n_in = 2, .in = {{2, {3, 2}, 1.0f}, {2, {3, 4}, 1.0f}},
         .i0 = 1},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
