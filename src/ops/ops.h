/* ops/ops.h: what the op sources share. Each file in src/ops/ holds one
 * op (or a small family): its registration row, its parameter struct, its
 * shape / forward / backward functions, its builder and its test cases.
 *
 *   LIGO__OP(ENUM, "name", required sources, flags);
 *
 * registers op LIGO_OP_ENUM, whose functions the file defines as
 * ligo__shape_ENUM, ligo__fwd_ENUM and ligo__bwd_ENUM (ligo_internal.h);
 * amalgamate.py reads the rows and writes the op enum, the builders'
 * declarations (src/gen/ops_api.h) and the dispatch table
 * (src/gen/ops_table.h). Backward functions accumulate (+=) into the
 * gradients of their sources.
 *
 * Shape letters: B batch, T time, C channels, NH heads, hs head size,
 * V vocabulary, R rows (every leading dim flattened), M N K of a product. */
#ifndef LIGO_OPS_H
#define LIGO_OPS_H

#include "../ligo_internal.h"

/* An error naming the op and the shapes of x and y (y may be NULL). */
static LIGO__UNUSED ligo_status ligo__bad(ligo_ctx *ctx, ligo_status s, const char *op, const char *fmt,
                                          const ligo_tensor *x, const ligo_tensor *y) {
    char bx[64], by[64];
    char msg[256];
    snprintf(msg, sizeof msg, fmt, ligo_shape_str(x, bx, sizeof bx), y ? ligo_shape_str(y, by, sizeof by) : "");
    return ligo_set_error(ctx, s, "ligo_%s: %s", op, msg);
}

static LIGO__UNUSED void ligo__copy_shape(const ligo_tensor *t, int *ndim, int64_t *shape) {
    int i;
    *ndim = t->ndim;
    for (i = 0; i < t->ndim; i++) shape[i] = t->shape[i];
}

/* The output shape of a reduction: one element. */
static LIGO__UNUSED ligo_status ligo__shape_scalar(int *ndim, int64_t *shape) {
    *ndim = 1;
    shape[0] = 1;
    return LIGO_OK;
}

/* Rows of a tensor when its last dim is the feature dim. */
static LIGO__UNUSED int64_t ligo__rows(const ligo_tensor *t) { return t->n / t->shape[t->ndim - 1]; }
static LIGO__UNUSED int64_t ligo__last(const ligo_tensor *t) { return t->shape[t->ndim - 1]; }

/* dst += src, or dst = src when the gradient buffer dst is fresh
 * (ligo__grad_fresh). dst and src never overlap. */
static LIGO__UNUSED void ligo__acc(float *LIGO__RESTRICT dst, const float *LIGO__RESTRICT src, int64_t n) {
    int64_t i;
    for (i = 0; i < n; i++) dst[i] += src[i];
}
static LIGO__UNUSED void ligo__acc_or_copy(float *dst, const float *src, int64_t n, int fresh) {
    if (fresh)
        memcpy(dst, src, (size_t)n * sizeof(float));
    else
        ligo__acc(dst, src, n);
}

/* Arguments for an op whose parameters are the struct at p (size bytes),
 * which ligo__build copies into the node; ligo__args0: none. */
static LIGO__UNUSED ligo__args ligo__args_of(const void *p, size_t size) {
    ligo__args a;
    memset(&a, 0, sizeof a);
    a.param = p;
    a.param_size = size;
    return a;
}
static LIGO__UNUSED ligo__args ligo__args0(void) { return ligo__args_of(NULL, 0); }

/* gelu.c, for linear.c's fused GELU: the epilogue that applies GELU to a
 * finished tile of the product (keeping the pre-activation in h, same
 * layout as C; user is h), and dx (+)= g * gelu'(x) over n floats on the
 * context's threads (fresh: dx is new, store). */
/* y[0, n) = softmax(x[0, n)) for one row, y may be x (src/ops/softmax.c) */
LIGO__PRIV void ligo__softmax_row(float *y, const float *x, int64_t n);
LIGO__PRIV void ligo__gelu_epi(void *user, float *c, int64_t ldc, int64_t mr, int64_t nr, int64_t offset);
LIGO__PRIV void ligo__gelu_backward(ligo_ctx *ctx, const float *x, const float *g, float *dx, int64_t n, int fresh);

#endif /* LIGO_OPS_H */
