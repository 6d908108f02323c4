/* test_custom.c: the custom-op hook (ligo_custom, src/ops/custom.c) from a
 * user's side, with the public API only: a user-defined op through the
 * library's gradient checker, its values and gradients against float64,
 * refusals and failing callbacks reported as statuses naming the op (never
 * an abort, nothing left on the tape), forward's saved state per node, and
 * the op trained inside a tiny model with AdamW. */
#include "harness.h"

#include <stdlib.h>

static ligo_ctx *new_ctx(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = 2;
    return ligo_ctx_new(&p);
}

/* ------------------------------------------------- the user's swish op
 * y = x sigmoid(beta x), beta in the user data; forward threaded on the
 * context's pool, as a user's kernel may be. The switches make callbacks
 * fail, for the error tests. */
typedef struct swish_user {
    float beta;
    int fail_forward;  /* 1: return LIGO_ERANGE with a reason; 2: with none;
                          3: set the context's error itself; 4: return 42 */
    int fail_backward; /* 1: return LIGO_ENONFINITE with a reason */
    int forward_calls, backward_calls;
} swish_user;

typedef struct swish_job {
    const float *x;
    float *y;
    int64_t n;
    float beta;
} swish_job;

static void swish_task(void *arg, int ith, int nth) {
    const swish_job *j = (const swish_job *)arg;
    int64_t i, i0 = j->n * ith / nth, i1 = j->n * (ith + 1) / nth;
    for (i = i0; i < i1; i++) j->y[i] = j->x[i] / (1.0f + expf(-j->beta * j->x[i]));
}

static ligo_status swish_fwd(ligo_ctx *ctx, void *user, int n, const ligo_tensor *const *src, ligo_tensor *out,
                             char *msg) {
    swish_user *u = (swish_user *)user;
    swish_job j;
    (void)n;
    u->forward_calls++;
    if (u->fail_forward == 1) {
        snprintf(msg, LIGO_CUSTOM_MSG, "beta %g is out of range", (double)u->beta);
        return LIGO_ERANGE;
    }
    if (u->fail_forward == 2) return LIGO_EIO;
    if (u->fail_forward == 3) return ligo_set_error(ctx, LIGO_ENOMEM, "my table of %d entries did not fit", 7);
    if (u->fail_forward == 4) return (ligo_status)42;
    j.x = src[0]->data;
    j.y = out->data;
    j.n = out->n;
    j.beta = u->beta;
    ligo_parallel_for(ctx, swish_task, &j, 2);
    return LIGO_OK;
}

/* dy/dx = s + beta x s (1 - s), s = sigmoid(beta x) */
static ligo_status swish_bwd(ligo_ctx *ctx, void *user, int n, const ligo_tensor *const *src, const ligo_tensor *out,
                             float *const *dsrc, char *msg) {
    swish_user *u = (swish_user *)user;
    int64_t i;
    (void)ctx, (void)n;
    u->backward_calls++;
    if (u->fail_backward) {
        snprintf(msg, LIGO_CUSTOM_MSG, "gradient of element %d is not finite", 3);
        return LIGO_ENONFINITE;
    }
    for (i = 0; dsrc[0] && i < out->n; i++) {
        float x = src[0]->data[i], s = 1.0f / (1.0f + expf(-u->beta * x));
        dsrc[0][i] += out->grad[i] * (s + u->beta * x * s * (1.0f - s));
    }
    return LIGO_OK;
}

static const ligo_custom_op swish_op = {"swish", NULL, swish_fwd, swish_bwd};

static double swish64(double x, double beta) { return x / (1.0 + exp(-beta * x)); }
static double dswish64(double x, double beta) {
    double s = 1.0 / (1.0 + exp(-beta * x));
    return s + beta * x * s * (1.0 - s);
}

/* A small graph around the op for the checker: loss = sum(swish(x W^T + b) * R). */
typedef struct gc_model {
    ligo_tensor *x, *w, *b, *r;
    swish_user *u;
} gc_model;

static ligo_tensor *gc_build(ligo_ctx *ctx, void *user) {
    gc_model *m = (gc_model *)user;
    ligo_tensor *h = ligo_linear(ctx, m->x, m->w, m->b);
    return ligo_sum(ctx, ligo_mul(ctx, ligo_custom(ctx, &swish_op, 1, &h, m->u), m->r));
}

/* The library's checker (ligo_check_grad, the one the op cases go
 * through): below 2e-3 as every op's, and a backward 1% off is seen. */
static void test_custom_gradcheck(void) {
    ligo_ctx *ctx = new_ctx();
    swish_user u;
    gc_model m;
    ligo_tensor *params[3];
    ligo_gradcheck_opts o = ligo_gradcheck_opts_default();
    ligo_rng rng;
    double err = -1.0, err_off = -1.0;
    memset(&u, 0, sizeof u);
    u.beta = 1.7f;
    m.u = &u;
    ligo_rng_seed(&rng, 41);
    {
        int64_t sx[2] = {5, 4}, sw[2] = {6, 4}, sb[1] = {6};
        m.x = ligo_new_param(ctx, 2, sx);
        m.w = ligo_new_param(ctx, 2, sw);
        m.b = ligo_new_param(ctx, 1, sb);
        m.r = ligo_new_2d(ctx, 5, 6);
    }
    ligo_fill_uniform(m.x, &rng, -1.5f, 1.5f);
    ligo_fill_uniform(m.w, &rng, -1.0f, 1.0f);
    ligo_fill_uniform(m.b, &rng, -0.5f, 0.5f);
    ligo_fill_uniform(m.r, &rng, -1.0f, 1.0f);
    params[0] = m.x, params[1] = m.w, params[2] = m.b;
    CHECK_STATUS(ligo_check_grad(ctx, gc_build, &m, params, 3, &o, &err), LIGO_OK);
    CHECK_MSG(err >= 0.0 && err < 2e-3, "max gradient error %.3g", err);
    o.analytic_scale = 1.01;
    CHECK_STATUS(ligo_check_grad(ctx, gc_build, &m, params, 3, &o, &err_off), LIGO_OK);
    CHECK_MSG(err_off > 6e-3, "a backward 1%% off gives only %.3g", err_off);
    CHECK(u.forward_calls > 100 && u.backward_calls == 2);
    if (getenv("LIGO_TEST_VERBOSE"))
        printf("  custom swish gradcheck: %.2e (1%% off: %.2e)\n", err, err_off);
    ligo_ctx_free(ctx);
}

/* Values and the gradient of sum(y * w) against float64 recomputations,
 * over 3000 elements (both threads' shares), beta from the user data: to
 * 1e-6 relative (absolute below 1). */
static void test_custom_values(void) {
    ligo_ctx *ctx = new_ctx();
    swish_user u;
    int64_t s[2] = {30, 100}, i;
    ligo_tensor *x = ligo_new_param(ctx, 2, s), *w = ligo_new(ctx, 2, s), *y;
    ligo_rng rng;
    double dy = 0.0, dg = 0.0;
    memset(&u, 0, sizeof u);
    u.beta = 0.8f;
    ligo_rng_seed(&rng, 42);
    ligo_fill_uniform(x, &rng, -6.0f, 6.0f);
    ligo_fill_uniform(w, &rng, -1.0f, 1.0f);
    y = ligo_custom(ctx, &swish_op, 1, &x, &u);
    CHECK_MSG(y != NULL, "%s", ligo_get_error(ctx));
    if (!y) {
        ligo_ctx_free(ctx);
        return;
    }
    CHECK(y->op == LIGO_OP_CUSTOM && strcmp(ligo_op_name(y->op), "custom") == 0 && ligo_same_shape(x, y));
    CHECK_STATUS(ligo_backward(ctx, ligo_sum(ctx, ligo_mul(ctx, y, w))), LIGO_OK);
    for (i = 0; i < x->n; i++) {
        double ry = swish64(x->data[i], u.beta), rg = w->data[i] * dswish64(x->data[i], u.beta);
        dy = fmax(dy, fabs(y->data[i] - ry) / fmax(1.0, fabs(ry)));
        dg = fmax(dg, fabs(x->grad[i] - rg) / fmax(1.0, fabs(rg)));
    }
    CHECK_MSG(dy < 1e-6 && dg < 1e-6, "values off by %.3g, gradients by %.3g", dy, dg);
    if (getenv("LIGO_TEST_VERBOSE")) printf("  custom swish vs float64: values %.2e, gradients %.2e\n", dy, dg);
    ligo_ctx_free(ctx);
}

/* ------------------------------------------------- shape functions */

/* rowsum: x (R, C) -> (R); refuses anything but 2-D, and shape_bad gives
 * an impossible shape on request (user: 0 fine, 1 ndim 0, 2 a dim of 0). */
static ligo_status rowsum_shape(void *user, int n, const ligo_tensor *const *src, int *ndim, int64_t *shape,
                                char *msg) {
    int mode = user ? *(const int *)user : 0;
    char b[64];
    (void)n;
    if (src[0]->ndim != 2) {
        snprintf(msg, LIGO_CUSTOM_MSG, "want a 2-D x, got %s", ligo_shape_str(src[0], b, sizeof b));
        return LIGO_ESHAPE;
    }
    *ndim = mode == 1 ? 0 : 1;
    shape[0] = mode == 2 ? 0 : src[0]->shape[0];
    return LIGO_OK;
}

static ligo_status rowsum_fwd(ligo_ctx *ctx, void *user, int n, const ligo_tensor *const *src, ligo_tensor *out,
                              char *msg) {
    int64_t r, c, C = src[0]->shape[1];
    (void)ctx, (void)user, (void)n, (void)msg;
    for (r = 0; r < out->n; r++)
        for (c = 0; c < C; c++) out->data[r] += src[0]->data[r * C + c]; /* out is zeroed on entry */
    return LIGO_OK;
}

static const ligo_custom_op rowsum_op = {"rowsum", rowsum_shape, rowsum_fwd, NULL};

/* A refusing shape function is its status with "ligo_custom(NAME): shape:
 * REASON"; impossible shapes are refused by the library; nothing goes on
 * the tape. Without a backward, the op still serves values of tensors that
 * need no gradient. */
static void test_custom_shape(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_tensor *x3 = ligo_new_3d(ctx, 2, 3, 4), *x2 = ligo_new_2d(ctx, 3, 4), *p, *y;
    int64_t sp[2] = {3, 4}, i;
    int mode;
    y = ligo_custom(ctx, &rowsum_op, 1, &x3, NULL);
    CHECK(y == NULL && ligo_get_status(ctx) == LIGO_ESHAPE);
    CHECK_MSG(strcmp(ligo_get_error(ctx), "ligo_custom(rowsum): shape: want a 2-D x, got 2x3x4") == 0, "%s",
              ligo_get_error(ctx));
    CHECK(ligo_tape_length(ctx) == 0);
    ligo_clear_error(ctx);
    mode = 1;
    CHECK(ligo_custom(ctx, &rowsum_op, 1, &x2, &mode) == NULL && ligo_get_status(ctx) == LIGO_EINVAL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "ligo_custom(rowsum): shape gave ndim 0 (want 1 to 4)"), "%s",
              ligo_get_error(ctx));
    ligo_clear_error(ctx);
    mode = 2;
    CHECK(ligo_custom(ctx, &rowsum_op, 1, &x2, &mode) == NULL && ligo_get_status(ctx) == LIGO_EINVAL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "shape gave dim 0 = 0 (want >= 1)"), "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    CHECK(ligo_tape_length(ctx) == 0);
    /* no backward: fine on a constant, refused on a parameter */
    for (i = 0; i < x2->n; i++) x2->data[i] = (float)i;
    y = ligo_custom(ctx, &rowsum_op, 1, &x2, NULL);
    CHECK(y && y->ndim == 1 && y->shape[0] == 3 && y->data[0] == 6.0f && y->data[2] == 38.0f);
    p = ligo_new_param(ctx, 2, sp);
    CHECK(ligo_custom(ctx, &rowsum_op, 1, &p, NULL) == NULL && ligo_get_status(ctx) == LIGO_EINVAL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "ligo_custom(rowsum): source 1 needs a gradient but the op has no backward"),
              "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    ligo_ctx_free(ctx);
}

/* --------------------------------------------- failing callbacks, bad calls */

static void expect(ligo_ctx *ctx, ligo_tensor *t, ligo_status want, const char *msg, int line) {
    if (t) harness_fail(__FILE__, line, "built, want %s", ligo_status_str(want));
    if (ligo_get_status(ctx) != want)
        harness_fail(__FILE__, line, "status %s, want %s (%s)", ligo_status_str(ligo_get_status(ctx)),
                     ligo_status_str(want), ligo_get_error(ctx));
    if (strcmp(ligo_get_error(ctx), msg) != 0)
        harness_fail(__FILE__, line, "message \"%s\", want \"%s\"", ligo_get_error(ctx), msg);
    ligo_clear_error(ctx);
}
#define EXPECT(t, want, msg) expect(ctx, (t), (want), (msg), __LINE__)

static void test_custom_errors(void) {
    ligo_ctx *ctx = new_ctx();
    int64_t s[1] = {8};
    ligo_tensor *x = ligo_new_param(ctx, 1, s), *y, *srcs[5];
    swish_user u;
    ligo_custom_op no_fwd = swish_op, unnamed = swish_op;
    int k;
    memset(&u, 0, sizeof u);
    u.beta = 1.0f;
    no_fwd.forward = NULL;
    unnamed.name = NULL;
    for (k = 0; k < 5; k++) srcs[k] = x;
    /* forward's failures, each with nothing recorded */
    u.fail_forward = 1;
    EXPECT(ligo_custom(ctx, &swish_op, 1, &x, &u), LIGO_ERANGE, "ligo_custom(swish): forward: beta 1 is out of range");
    u.fail_forward = 2;
    EXPECT(ligo_custom(ctx, &swish_op, 1, &x, &u), LIGO_EIO, "ligo_custom(swish): forward failed (input/output error)");
    u.fail_forward = 3;
    EXPECT(ligo_custom(ctx, &swish_op, 1, &x, &u), LIGO_ENOMEM,
           "ligo_custom(swish): forward: my table of 7 entries did not fit");
    u.fail_forward = 4;
    EXPECT(ligo_custom(ctx, &unnamed, 1, &x, &u), LIGO_EINVAL,
           "ligo_custom(unnamed): forward returned 42, which is not a failing ligo_status");
    CHECK(ligo_tape_length(ctx) == 0);
    /* bad calls */
    u.fail_forward = 0;
    EXPECT(ligo_custom(ctx, NULL, 1, &x, &u), LIGO_EINVAL, "ligo_custom(unnamed): op is NULL");
    EXPECT(ligo_custom(ctx, &no_fwd, 1, &x, &u), LIGO_EINVAL, "ligo_custom(swish): forward is NULL");
    EXPECT(ligo_custom(ctx, &swish_op, 0, &x, &u), LIGO_EINVAL,
           "ligo_custom(swish): n_src out of range (want 1 to 4 sources)");
    EXPECT(ligo_custom(ctx, &swish_op, 5, srcs, &u), LIGO_EINVAL,
           "ligo_custom(swish): n_src out of range (want 1 to 4 sources)");
    EXPECT(ligo_custom(ctx, &swish_op, 1, NULL, &u), LIGO_EINVAL,
           "ligo_custom(swish): src is NULL (want 1 to 4 sources)");
    srcs[1] = NULL;
    EXPECT(ligo_custom(ctx, &swish_op, 2, srcs, &u), LIGO_EINVAL, "ligo_custom(swish): tensor argument 2 is NULL");
    CHECK(ligo_tape_length(ctx) == 0);
    /* errors are sticky: no callback runs after one */
    ligo_set_error(ctx, LIGO_ESTATE, "earlier");
    k = u.forward_calls;
    CHECK(ligo_custom(ctx, &swish_op, 1, &x, &u) == NULL && u.forward_calls == k);
    ligo_clear_error(ctx);
    /* backward's failure stops ligo_backward with its status */
    u.fail_backward = 1;
    y = ligo_custom(ctx, &swish_op, 1, &x, &u);
    CHECK(y != NULL);
    CHECK_STATUS(ligo_backward(ctx, ligo_sum(ctx, y)), LIGO_ENONFINITE);
    CHECK_MSG(strcmp(ligo_get_error(ctx), "ligo_custom(swish): backward: gradient of element 3 is not finite") == 0,
              "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    ligo_ctx_free(ctx);
}

/* ---------------------------------------------- saved state per node */

/* sq: y = x^2 with 2x kept by forward in scratch (ligo_custom_saved) and
 * read back by backward. */
static ligo_status sq_fwd(ligo_ctx *ctx, void *user, int n, const ligo_tensor *const *src, ligo_tensor *out,
                          char *msg) {
    float *twice = (float *)ligo_alloc_scratch(ctx, (size_t)out->n * sizeof(float));
    int64_t i;
    (void)user, (void)n;
    if (!twice) {
        snprintf(msg, LIGO_CUSTOM_MSG, "no room for 2x");
        return LIGO_ENOMEM;
    }
    for (i = 0; i < out->n; i++) {
        out->data[i] = src[0]->data[i] * src[0]->data[i];
        twice[i] = 2.0f * src[0]->data[i];
    }
    *ligo_custom_saved(out) = twice;
    return LIGO_OK;
}

static ligo_status sq_bwd(ligo_ctx *ctx, void *user, int n, const ligo_tensor *const *src, const ligo_tensor *out,
                          float *const *dsrc, char *msg) {
    const float *twice = (const float *)*ligo_custom_saved(out);
    int64_t i;
    (void)ctx, (void)user, (void)n, (void)src, (void)msg;
    for (i = 0; dsrc[0] && i < out->n; i++) dsrc[0][i] += out->grad[i] * twice[i];
    return LIGO_OK;
}

static const ligo_custom_op sq_op = {"sq", NULL, sq_fwd, sq_bwd};

/* Two sq nodes on one tape keep their own saved 2x; the gradient of
 * sum(sq(a) + sq(sq(a))) = sum(a^2 + a^4) is 2a + 4a^3. */
static void test_custom_saved(void) {
    ligo_ctx *ctx = new_ctx();
    int64_t s[1] = {6}, i;
    ligo_tensor *a = ligo_new_param(ctx, 1, s), *y1, *y2;
    double worst = 0.0;
    for (i = 0; i < 6; i++) a->data[i] = -1.25f + 0.5f * (float)i;
    y1 = ligo_custom(ctx, &sq_op, 1, &a, NULL);
    y2 = ligo_custom(ctx, &sq_op, 1, &y1, NULL);
    CHECK(y1 && y2 && *ligo_custom_saved(y1) != *ligo_custom_saved(y2));
    CHECK(ligo_custom_saved(a) == NULL && ligo_custom_saved(NULL) == NULL);
    CHECK_STATUS(ligo_backward(ctx, ligo_sum(ctx, ligo_add(ctx, y1, y2))), LIGO_OK);
    for (i = 0; i < 6; i++) {
        double v = a->data[i];
        worst = fmax(worst, fabs(a->grad[i] - (2.0 * v + 4.0 * v * v * v)));
    }
    CHECK_MSG(worst < 1e-5, "gradient off by %.3g", worst);
    ligo_ctx_free(ctx);
}

/* ------------------------------------------------ training with it */

/* A regression MLP, x (64, 2) -> linear (16) -> swish (beta 1.2, the
 * user's op) -> linear (1), y = sin(2 x0) x1; its weights in one flat
 * block (ligo_wrap over data and grad) updated by the library's AdamW. The
 * mean squared error falls to under a fifth in 300 steps. */
static void test_custom_training(void) {
    enum { N = 64, H = 16 };
    ligo_ctx *ctx = new_ctx();
    int64_t sw1[2] = {H, 2}, sb1[1] = {H}, sw2[2] = {1, H}, n = 2 * H + H + H, i;
    float *data = (float *)ligo_alloc_persistent(ctx, (size_t)n * sizeof(float));
    float *grad = (float *)ligo_alloc_persistent(ctx, (size_t)n * sizeof(float));
    ligo_tensor *x = ligo_new_2d(ctx, N, 2), *y = ligo_new_2d(ctx, N, 1);
    ligo_optim_config oc = ligo_optim_config_default(LIGO_ADAMW);
    ligo_optim *opt;
    ligo_rng rng;
    swish_user u;
    float first = -1.0f, last = -1.0f;
    int step;
    memset(&u, 0, sizeof u);
    u.beta = 1.2f;
    oc.weight_decay = 0.0f;
    opt = ligo_optim_new(ctx, &oc, n, NULL, 0);
    CHECK(opt && data && grad && x && y);
    if (!opt || !data || !grad || !x || !y) {
        ligo_ctx_free(ctx);
        return;
    }
    ligo_rng_seed(&rng, 43);
    for (i = 0; i < n; i++) data[i] = 0.5f * ligo_rng_normal(&rng);
    for (i = 2 * H; i < 3 * H; i++) data[i] = 0.0f; /* b1 */
    ligo_fill_uniform(x, &rng, -1.0f, 1.0f);
    for (i = 0; i < N; i++) y->data[i] = sinf(2.0f * x->data[2 * i]) * x->data[2 * i + 1];
    for (step = 0; step < 300; step++) {
        ligo_mark mk = ligo_scratch_mark(ctx);
        ligo_tensor *w1 = ligo_wrap(ctx, 2, sw1, data, grad), *b1 = ligo_wrap(ctx, 1, sb1, data + 2 * H, grad + 2 * H);
        ligo_tensor *w2 = ligo_wrap(ctx, 2, sw2, data + 3 * H, grad + 3 * H), *h, *d, *loss;
        memset(grad, 0, (size_t)n * sizeof(float));
        h = ligo_linear(ctx, x, w1, b1);
        h = ligo_custom(ctx, &swish_op, 1, &h, &u);
        d = ligo_sub(ctx, ligo_linear(ctx, h, w2, NULL), y);
        loss = ligo_mean(ctx, ligo_mul(ctx, d, d));
        CHECK_MSG(loss != NULL, "%s", ligo_get_error(ctx));
        if (!loss) break;
        if (step == 0) first = loss->data[0];
        last = loss->data[0];
        CHECK_STATUS(ligo_backward(ctx, loss), LIGO_OK);
        CHECK_STATUS(ligo_optim_step(ctx, opt, data, grad, 0.02f), LIGO_OK);
        ligo_scratch_rewind(ctx, mk);
    }
    CHECK_MSG(first > 0.0f && last < 0.2f * first, "loss %g -> %g", first, last);
    CHECK(u.backward_calls == 300);
    if (getenv("LIGO_TEST_VERBOSE")) printf("  custom swish MLP, AdamW: loss %.4f -> %.4f in 300 steps\n", first, last);
    ligo_ctx_free(ctx);
}

void suite_custom(void) {
    RUN(test_custom_gradcheck);
    RUN(test_custom_values);
    RUN(test_custom_shape);
    RUN(test_custom_errors);
    RUN(test_custom_saved);
    RUN(test_custom_training);
}
