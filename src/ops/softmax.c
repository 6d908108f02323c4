/* ops/softmax.c: softmax over the last dim. x (R, C) (any leading dims)
 * -> y of x's shape, each row
 *   y = e^(x - max x) / sum e^(x - max x),
 *   dx = y * (dy - sum(dy * y)).
 * Entries of -inf (a mask) get probability 0; a row of only -inf gives NaN,
 * as PyTorch's. Backward reads y (the output). Threaded over rows; each
 * row is computed alone. */
#include "ops.h"

LIGO__OP(SOFTMAX, "softmax", 1, 0);

typedef struct ligo__softmax_job {
    const float *x, *y, *g;
    float *dst; /* forward: y; backward: dx */
    int64_t R, C;
    int fresh;  /* backward: dx is new, store instead of adding */
} ligo__softmax_job;

/* The scalar row every softmax in the library uses (attention's too):
 * y[0, n) = softmax(x[0, n)), y may be x. A NaN skips the max (the
 * comparison is false) and then makes the whole row NaN through the sum. */
LIGO__PRIV void ligo__softmax_row(float *y, const float *x, int64_t n) {
    float mx = -INFINITY, sum = 0.0f, inv;
    int64_t c;
    for (c = 0; c < n; c++) mx = x[c] > mx ? x[c] : mx;
    for (c = 0; c < n; c++) {
        y[c] = expf(x[c] - mx);
        sum += y[c];
    }
    inv = 1.0f / sum;
    for (c = 0; c < n; c++) y[c] *= inv;
}

static void ligo__softmax_fwd_task(void *arg, int ith, int nth) {
    const ligo__softmax_job *j = (const ligo__softmax_job *)arg;
    int64_t r, C = j->C, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    for (r = r0; r < r1; r++) ligo__softmax_row(j->dst + r * C, j->x + r * C, C);
}

static void ligo__softmax_bwd_task(void *arg, int ith, int nth) {
    const ligo__softmax_job *j = (const ligo__softmax_job *)arg;
    int64_t r, c, C = j->C, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    for (r = r0; r < r1; r++) {
        const float *y = j->y + r * C, *g = j->g + r * C;
        float *dx = j->dst + r * C, dot = 0.0f;
        for (c = 0; c < C; c++) dot += g[c] * y[c];
        for (c = 0; c < C; c++) {
            float d = y[c] * (g[c] - dot);
            dx[c] = j->fresh ? d : dx[c] + d;
        }
    }
}

LIGO__PRIV ligo_status ligo__shape_SOFTMAX(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    ligo__copy_shape(a->src[0], ndim, shape);
    return LIGO_OK;
}

/* FLOPs per element: 5 forward (max, subtract, exp, add, scale), 5 backward. */
LIGO__PRIV void ligo__fwd_SOFTMAX(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__softmax_job j;
    memset(&j, 0, sizeof j);
    j.x = out->src[0]->data;
    j.dst = out->data;
    j.C = ligo__last(out);
    j.R = ligo__rows(out);
    ligo_parallel_for(ctx, ligo__softmax_fwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 5.0 * (double)out->n, 0.0);
}

LIGO__PRIV void ligo__bwd_SOFTMAX(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__softmax_job j;
    memset(&j, 0, sizeof j);
    j.dst = ligo__grad_fresh(ctx, out->src[0], &j.fresh);
    if (!j.dst) return;
    j.y = out->data;
    j.g = out->grad;
    j.C = ligo__last(out);
    j.R = ligo__rows(out);
    ligo_parallel_for(ctx, ligo__softmax_bwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 0.0, 5.0 * (double)out->n);
}

/* Softmax over the last dim: x (..., C) -> x's shape, each row summing to
 * 1. A mask is added before it: entries of -inf get probability 0. */
LIGO_API ligo_tensor *ligo_softmax(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_SOFTMAX, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__softmax_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_softmax(ctx, in[0]);
}

/* each row in float64 */
static void ligo__softmax_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    int64_t C = ligo__last(in[0]), R = in[0]->n / C, r, k;
    (void)c;
    for (r = 0; r < R; r++) {
        const float *x = in[0]->data + r * C;
        double mx = -HUGE_VAL, sum = 0.0;
        for (k = 0; k < C; k++) mx = x[k] > mx ? x[k] : mx;
        for (k = 0; k < C; k++) sum += exp((double)x[k] - mx);
        for (k = 0; k < C; k++) out[r * C + k] = exp((double)x[k] - mx) / sum;
    }
}

LIGO__PRIV int ligo__cases_SOFTMAX(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "softmax", .run = ligo__softmax_case, .n_in = 1, .in = {{2, {4, 7}, 3.0f}}, .ref = ligo__softmax_ref,
         .ref_tol = 1e-7},
        {.name = "softmax 3-D", .run = ligo__softmax_case, .n_in = 1, .in = {{3, {2, 3, 5}, 2.0f}},
         .ref = ligo__softmax_ref, .ref_tol = 1e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
