/* ops/unary.c: elementwise relu, tanh, exp, log and sqrt, out of x's shape.
 *   relu  y = max(x, 0)   dx = dy [x > 0]
 *   tanh  y = tanh(x)     dx = dy (1 - y^2)
 *   exp   y = e^x         dx = dy y
 *   log   y = ln(x)       dx = dy / x
 *   sqrt  y = sqrt(x)     dx = dy / (2 y)
 * log and sqrt follow IEEE outside their domain (log 0 = -inf, log of a
 * negative and sqrt of a negative are NaN) without an error; relu keeps a
 * NaN. Threaded over contiguous ranges; each element is computed alone. */
#include "ops.h"

LIGO__OP(RELU, "relu", 1, 0);
LIGO__OP(TANH, "tanh", 1, 0);
LIGO__OP(EXP, "exp", 1, 0);
LIGO__OP(LOG, "log", 1, 0);
LIGO__OP(SQRT, "sqrt", 1, 0);

enum { LIGO__UN_RELU, LIGO__UN_TANH, LIGO__UN_EXP, LIGO__UN_LOG, LIGO__UN_SQRT };

typedef struct ligo__unary_job {
    const float *x, *y, *g; /* input, output; backward: the output's gradient */
    float *dst;             /* forward: y; backward: the input's gradient */
    int64_t n;
    int kind, fresh;        /* fresh: dst is a new buffer, store instead of adding */
} ligo__unary_job;

static void ligo__unary_fwd_task(void *arg, int ith, int nth) {
    const ligo__unary_job *j = (const ligo__unary_job *)arg;
    int64_t i, i0 = j->n * ith / nth, i1 = j->n * (ith + 1) / nth;
    const float *x = j->x;
    float *y = j->dst;
    switch (j->kind) {
    case LIGO__UN_RELU:
        for (i = i0; i < i1; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
        break;
    case LIGO__UN_TANH:
        for (i = i0; i < i1; i++) y[i] = tanhf(x[i]);
        break;
    case LIGO__UN_EXP:
        for (i = i0; i < i1; i++) y[i] = expf(x[i]);
        break;
    case LIGO__UN_LOG:
        for (i = i0; i < i1; i++) y[i] = logf(x[i]);
        break;
    default:
        for (i = i0; i < i1; i++) y[i] = sqrtf(x[i]);
        break;
    }
}

/* dy/dx times g for element i */
static float ligo__unary_d(const ligo__unary_job *j, int64_t i) {
    float g = j->g[i];
    switch (j->kind) {
    case LIGO__UN_RELU: return j->x[i] > 0.0f ? g : 0.0f;
    case LIGO__UN_TANH: return g * (1.0f - j->y[i] * j->y[i]);
    case LIGO__UN_EXP: return g * j->y[i];
    case LIGO__UN_LOG: return g / j->x[i];
    default: return g * 0.5f / j->y[i];
    }
}

static void ligo__unary_bwd_task(void *arg, int ith, int nth) {
    const ligo__unary_job *j = (const ligo__unary_job *)arg;
    int64_t i, i0 = j->n * ith / nth, i1 = j->n * (ith + 1) / nth;
    if (j->fresh)
        for (i = i0; i < i1; i++) j->dst[i] = ligo__unary_d(j, i);
    else
        for (i = i0; i < i1; i++) j->dst[i] += ligo__unary_d(j, i);
}

/* FLOPs per element, forward and backward (tanh, exp, log, sqrt counted as one). */
static const double ligo__unary_flops[5][2] = {{1, 1}, {1, 3}, {1, 1}, {1, 1}, {1, 2}};

static void ligo__unary_fwd(ligo_ctx *ctx, ligo_tensor *out, int kind) {
    ligo__unary_job j;
    memset(&j, 0, sizeof j);
    j.x = out->src[0]->data;
    j.dst = out->data;
    j.n = out->n;
    j.kind = kind;
    ligo_parallel_for(ctx, ligo__unary_fwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, ligo__unary_flops[kind][0] * (double)out->n, 0.0);
}

static void ligo__unary_bwd(ligo_ctx *ctx, ligo_tensor *out, int kind) {
    ligo__unary_job j;
    memset(&j, 0, sizeof j);
    j.dst = ligo__grad_fresh(ctx, out->src[0], &j.fresh);
    if (!j.dst) return;
    j.x = out->src[0]->data;
    j.y = out->data;
    j.g = out->grad;
    j.n = out->n;
    j.kind = kind;
    ligo_parallel_for(ctx, ligo__unary_bwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 0.0, ligo__unary_flops[kind][1] * (double)out->n);
}

static ligo_status ligo__shape_unary(const ligo__args *a, int *ndim, int64_t *shape) {
    ligo__copy_shape(a->src[0], ndim, shape);
    return LIGO_OK;
}

LIGO__PRIV ligo_status ligo__shape_RELU(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    return ligo__shape_unary(a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_RELU(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_fwd(ctx, out, LIGO__UN_RELU); }
LIGO__PRIV void ligo__bwd_RELU(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_bwd(ctx, out, LIGO__UN_RELU); }

LIGO__PRIV ligo_status ligo__shape_TANH(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    return ligo__shape_unary(a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_TANH(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_fwd(ctx, out, LIGO__UN_TANH); }
LIGO__PRIV void ligo__bwd_TANH(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_bwd(ctx, out, LIGO__UN_TANH); }

LIGO__PRIV ligo_status ligo__shape_EXP(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    return ligo__shape_unary(a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_EXP(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_fwd(ctx, out, LIGO__UN_EXP); }
LIGO__PRIV void ligo__bwd_EXP(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_bwd(ctx, out, LIGO__UN_EXP); }

LIGO__PRIV ligo_status ligo__shape_LOG(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    return ligo__shape_unary(a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_LOG(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_fwd(ctx, out, LIGO__UN_LOG); }
LIGO__PRIV void ligo__bwd_LOG(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_bwd(ctx, out, LIGO__UN_LOG); }

LIGO__PRIV ligo_status ligo__shape_SQRT(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    return ligo__shape_unary(a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_SQRT(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_fwd(ctx, out, LIGO__UN_SQRT); }
LIGO__PRIV void ligo__bwd_SQRT(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_bwd(ctx, out, LIGO__UN_SQRT); }

static ligo_tensor *ligo__unary(ligo_ctx *ctx, int op, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, op, &a);
}

/* max(x, 0), elementwise; x any shape -> x's shape. The gradient at 0 is 0. */
LIGO_API ligo_tensor *ligo_relu(ligo_ctx *ctx, ligo_tensor *x) { return ligo__unary(ctx, LIGO_OP_RELU, x); }
/* tanh(x), elementwise -> x's shape. */
LIGO_API ligo_tensor *ligo_tanh(ligo_ctx *ctx, ligo_tensor *x) { return ligo__unary(ctx, LIGO_OP_TANH, x); }
/* e^x, elementwise -> x's shape (overflows to +inf past x = 88.7). */
LIGO_API ligo_tensor *ligo_exp(ligo_ctx *ctx, ligo_tensor *x) { return ligo__unary(ctx, LIGO_OP_EXP, x); }
/* The natural log, elementwise -> x's shape. As IEEE: log 0 = -inf, log of
 * a negative = NaN, no error (check the result if it matters). */
LIGO_API ligo_tensor *ligo_log(ligo_ctx *ctx, ligo_tensor *x) { return ligo__unary(ctx, LIGO_OP_LOG, x); }
/* The square root, elementwise -> x's shape; NaN for a negative (no error),
 * and an infinite gradient at 0. */
LIGO_API ligo_tensor *ligo_sqrt(ligo_ctx *ctx, ligo_tensor *x) { return ligo__unary(ctx, LIGO_OP_SQRT, x); }

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__unary_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    if (c->n_in == 2) return ligo_relu(ctx, ligo_concat(ctx, in[0], in[1], 0)); /* rows of each sign */
    switch (c->i0) {
    case LIGO__UN_RELU: return ligo_relu(ctx, in[0]);
    case LIGO__UN_TANH: return ligo_tanh(ctx, in[0]);
    case LIGO__UN_EXP: return ligo_exp(ctx, in[0]);
    case LIGO__UN_LOG: return ligo_log(ctx, in[0]);
    default: return ligo_sqrt(ctx, in[0]);
    }
}

/* the op (i0) in float64 */
static void ligo__unary_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    int64_t i, n0 = in[0]->n, n = c->n_in == 2 ? n0 + in[1]->n : n0;
    for (i = 0; i < n; i++) {
        double x = (double)(i < n0 ? in[0]->data[i] : in[1]->data[i - n0]);
        switch (c->i0) {
        case LIGO__UN_RELU: out[i] = x > 0.0 ? x : 0.0; break;
        case LIGO__UN_TANH: out[i] = tanh(x); break;
        case LIGO__UN_EXP: out[i] = exp(x); break;
        case LIGO__UN_LOG: out[i] = log(x); break;
        default: out[i] = sqrt(x); break;
        }
    }
}

/* relu: central differences are wrong within their step (0.01) of the
 * kink, so the first case keeps every input 0.1 away from it (positive
 * rows, then negative rows); the second's draws (seeded by its name) stay
 * clear of it too. log and sqrt: inputs in (0.5, 2.5). */
LIGO__PRIV int ligo__cases_RELU(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "relu", .run = ligo__unary_case, .n_in = 2, .in = {{2, {2, 5}, 0.5f}, {2, {3, 5}, 0.5f}},
         .offset = {0.6f, -0.6f}, .i0 = LIGO__UN_RELU, .ref = ligo__unary_ref, .ref_tol = 0.0},
        {.name = "relu 3-D", .run = ligo__unary_case, .n_in = 1, .in = {{3, {2, 3, 4}, 2.0f}}, .i0 = LIGO__UN_RELU,
         .ref = ligo__unary_ref, .ref_tol = 0.0},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_TANH(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "tanh", .run = ligo__unary_case, .n_in = 1, .in = {{2, {4, 5}, 3.0f}}, .i0 = LIGO__UN_TANH,
         .ref = ligo__unary_ref, .ref_tol = 2e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_EXP(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "exp", .run = ligo__unary_case, .n_in = 1, .in = {{2, {4, 5}, 2.0f}}, .i0 = LIGO__UN_EXP,
         .ref = ligo__unary_ref, .ref_tol = 1e-6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_LOG(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "log", .run = ligo__unary_case, .n_in = 1, .in = {{2, {4, 5}, 1.0f}}, .offset = {1.5f},
         .i0 = LIGO__UN_LOG, .ref = ligo__unary_ref, .ref_tol = 2e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_SQRT(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "sqrt", .run = ligo__unary_case, .n_in = 1, .in = {{2, {4, 5}, 1.0f}}, .offset = {1.5f},
         .i0 = LIGO__UN_SQRT, .ref = ligo__unary_ref, .ref_tol = 2e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
