/* ops/silu.c: SiLU (swish), elementwise:
 *   y = x sigmoid(x) = x / (1 + e^-x),
 *   dy/dx = s (1 + x (1 - s)),  s = sigmoid(x).
 * For large negative x, e^-x overflows to infinity and y is -0, as it
 * should be. Threaded over contiguous ranges of elements; each element is
 * computed alone, so the split does not change the result. */
#include "ops.h"

LIGO__OP(SILU, "silu", 1, 0);

typedef struct ligo__silu_job {
    const float *x, *g; /* the input; backward: the output's gradient */
    float *y;           /* forward: the output; backward: the input's gradient */
    int64_t n;
    int fresh;          /* backward: y is a new buffer, store instead of adding */
} ligo__silu_job;

static float ligo__sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

static void ligo__silu_fwd_task(void *arg, int ith, int nth) {
    const ligo__silu_job *j = (const ligo__silu_job *)arg;
    int64_t i, i0 = j->n * ith / nth, i1 = j->n * (ith + 1) / nth;
    for (i = i0; i < i1; i++) j->y[i] = j->x[i] / (1.0f + expf(-j->x[i]));
}

static void ligo__silu_bwd_task(void *arg, int ith, int nth) {
    const ligo__silu_job *j = (const ligo__silu_job *)arg;
    int64_t i, i0 = j->n * ith / nth, i1 = j->n * (ith + 1) / nth;
    for (i = i0; i < i1; i++) {
        float x = j->x[i], s = ligo__sigmoid(x), d = j->g[i] * s * (1.0f + x * (1.0f - s));
        j->y[i] = j->fresh ? d : j->y[i] + d;
    }
}

LIGO__PRIV ligo_status ligo__shape_SILU(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    ligo__copy_shape(a->src[0], ndim, shape);
    return LIGO_OK;
}

/* FLOPs: 5 per element forward, 9 backward (an exp counted as one). */
LIGO__PRIV void ligo__fwd_SILU(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__silu_job j;
    j.x = out->src[0]->data;
    j.g = NULL;
    j.y = out->data;
    j.n = out->n;
    j.fresh = 0;
    ligo_parallel_for(ctx, ligo__silu_fwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 5.0 * (double)out->n, 0.0);
}

LIGO__PRIV void ligo__bwd_SILU(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__silu_job j;
    float *dx = ligo__grad_fresh(ctx, out->src[0], &j.fresh);
    if (!dx) return;
    j.x = out->src[0]->data;
    j.g = out->grad;
    j.y = dx;
    j.n = out->n;
    ligo_parallel_for(ctx, ligo__silu_bwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 0.0, 9.0 * (double)out->n);
}

/* SiLU (swish): x sigmoid(x), elementwise. */
LIGO_API ligo_tensor *ligo_silu(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_SILU, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__silu_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_silu(ctx, in[0]);
}

/* x / (1 + e^-x) in float64 */
static void ligo__silu_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    int64_t i;
    (void)c;
    for (i = 0; i < in[0]->n; i++) {
        double x = (double)in[0]->data[i];
        out[i] = x / (1.0 + exp(-x));
    }
}

LIGO__PRIV int ligo__cases_SILU(const ligo_op_case **cases) {
    /* inputs in (-4, 4): both tails and the minimum near x = -1.28 */
    static const ligo_op_case c[] = {
        {.name = "silu", .run = ligo__silu_case, .n_in = 1, .in = {{2, {4, 5}, 4.0f}}, .ref = ligo__silu_ref,
         .ref_tol = 2e-6},
        {.name = "silu 3-D", .run = ligo__silu_case, .n_in = 1, .in = {{3, {2, 3, 7}, 4.0f}}, .ref = ligo__silu_ref,
         .ref_tol = 2e-6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
