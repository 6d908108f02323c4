/* test_graph.c: the tape and backward semantics, against closed forms. */
#include "harness.h"

static ligo_ctx *ctx_n(int n) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = n;
    return ligo_ctx_new(&p);
}

/* d/dw sum(w * x) = x; a second backward adds x again; zeroing is explicit. */
static void test_backward_accumulates(void) {
    ligo_ctx *ctx = ctx_n(1);
    int64_t s[2] = {2, 3};
    ligo_tensor *w = ligo_new_param(ctx, 2, s), *x = ligo_new(ctx, 2, s), *y;
    int i, ok = 1;
    for (i = 0; i < 6; i++) {
        w->data[i] = (float)i;
        x->data[i] = (float)(i * i) - 2.0f;
    }
    y = ligo_sum(ctx, ligo_mul(ctx, w, x));
    CHECK(y != NULL);
    CHECK_STATUS(ligo_backward(ctx, y), LIGO_OK);
    for (i = 0; i < 6; i++) ok &= w->grad[i] == x->data[i];
    CHECK(ok);
    CHECK_STATUS(ligo_backward(ctx, y), LIGO_OK);
    for (i = 0, ok = 1; i < 6; i++) ok &= w->grad[i] == 2.0f * x->data[i];
    CHECK(ok);
    ligo_zero_grad(w);
    for (i = 0, ok = 1; i < 6; i++) ok &= w->grad[i] == 0.0f;
    CHECK(ok);
    CHECK(x->grad == NULL); /* an input that is not a parameter gets no gradient */
    ligo_ctx_free(ctx);
}

/* A node used twice: y = sum(a*a + 3a) -> dy/da = 2a + 3. */
static void test_backward_fanout(void) {
    ligo_ctx *ctx = ctx_n(1);
    int64_t s[1] = {5};
    ligo_tensor *a = ligo_new_param(ctx, 1, s), *y;
    int i, ok = 1;
    for (i = 0; i < 5; i++) a->data[i] = 0.5f * (float)i - 1.0f;
    y = ligo_sum(ctx, ligo_add(ctx, ligo_mul(ctx, a, a), ligo_scale(ctx, a, 3.0f)));
    CHECK_STATUS(ligo_backward(ctx, y), LIGO_OK);
    for (i = 0; i < 5; i++) ok &= a->grad[i] == 2.0f * a->data[i] + 3.0f;
    CHECK(ok);
    ligo_ctx_free(ctx);
}

/* Only nodes that lead to a parameter are visited or given a gradient. */
static void test_only_param_paths(void) {
    ligo_ctx *ctx = ctx_n(1);
    int64_t s[1] = {4};
    ligo_tensor *p = ligo_new_param(ctx, 1, s), *x = ligo_new(ctx, 1, s);
    ligo_tensor *const_branch, *param_branch, *y;
    ligo_fill(p, 1.0f);
    ligo_fill(x, 2.0f);
    const_branch = ligo_mul(ctx, x, x);
    param_branch = ligo_mul(ctx, p, x);
    y = ligo_sum(ctx, ligo_add(ctx, const_branch, param_branch));
    CHECK(!(const_branch->flags & LIGO_FLAG_NEEDS_GRAD));
    CHECK(param_branch->flags & LIGO_FLAG_NEEDS_GRAD);
    CHECK_STATUS(ligo_backward(ctx, y), LIGO_OK);
    CHECK(const_branch->grad == NULL);
    CHECK(param_branch->grad != NULL);
    CHECK(p->grad[0] == 2.0f && p->grad[3] == 2.0f);
    ligo_ctx_free(ctx);
}

static void test_backward_errors(void) {
    ligo_ctx *ctx = ctx_n(1);
    int64_t s[1] = {3};
    ligo_tensor *p = ligo_new_param(ctx, 1, s), *x = ligo_new(ctx, 1, s);
    ligo_tensor *v = ligo_mul(ctx, p, x);
    CHECK_STATUS(ligo_backward(ctx, NULL), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_backward(ctx, v), LIGO_ESHAPE);
    CHECK(strstr(ligo_get_error(ctx), "scalar") != NULL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_backward(ctx, ligo_sum(ctx, x)), LIGO_ESTATE);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_backward(NULL, v), LIGO_EINVAL);
    ligo_ctx_free(ctx);
}

static void test_tape_and_rewind(void) {
    ligo_ctx *ctx = ctx_n(1);
    int64_t s[1] = {3};
    ligo_tensor *p = ligo_new_param(ctx, 1, s), *y;
    ligo_mark m = ligo_scratch_mark(ctx);
    int step;
    CHECK(ligo_tape_length(ctx) == 0);
    for (step = 0; step < 3; step++) {
        y = ligo_sum(ctx, ligo_mul(ctx, p, p));
        CHECK(ligo_tape_length(ctx) == 2);
        CHECK(y->tape_prev && y->tape_prev->op == LIGO_OP_MUL);
        CHECK(ligo_op_name(y->op) && strcmp(ligo_op_name(y->op), "sum") == 0);
        ligo_scratch_rewind(ctx, m);
        CHECK(ligo_tape_length(ctx) == 0);
    }
    CHECK(strcmp(ligo_op_name(-1), "unknown") == 0 && strcmp(ligo_op_name(LIGO_OP_COUNT), "unknown") == 0);
    ligo_ctx_free(ctx);
}

/* A reshape is a view of the same floats with a gradient of its own. */
static void test_reshape_is_view(void) {
    ligo_ctx *ctx = ctx_n(1);
    int64_t s[2] = {2, 3}, s2[1] = {6};
    ligo_tensor *p = ligo_new_param(ctx, 2, s), *r;
    r = ligo_reshape(ctx, p, 1, s2);
    CHECK(r && r->data == p->data && r->ndim == 1 && r->shape[0] == 6);
    ligo_ctx_free(ctx);
}

/* A two-layer network: forward and backward give bitwise-identical results
 * on 1 and 2 threads. */
static void mlp_grads(int nth, float *out_grads, float *loss) {
    ligo_ctx *ctx = ctx_n(nth);
    ligo_rng r;
    int64_t sw1[2] = {64, 48}, sb1[1] = {64}, sw2[2] = {10, 64};
    ligo_tensor *w1 = ligo_new_param(ctx, 2, sw1), *b1 = ligo_new_param(ctx, 1, sb1);
    ligo_tensor *w2 = ligo_new_param(ctx, 2, sw2), *x = ligo_new_2d(ctx, 96, 48), *h, *y;
    int32_t tg[96];
    int i;
    ligo_rng_seed(&r, 11);
    ligo_fill_normal(w1, &r, 0.0f, 0.2f);
    ligo_fill_normal(b1, &r, 0.0f, 0.2f);
    ligo_fill_normal(w2, &r, 0.0f, 0.2f);
    ligo_fill_normal(x, &r, 0.0f, 1.0f);
    for (i = 0; i < 96; i++) tg[i] = (int32_t)(i % 10);
    h = ligo_gelu(ctx, ligo_linear(ctx, x, w1, b1));
    y = ligo_cross_entropy(ctx, ligo_linear(ctx, h, w2, NULL), tg, 96, -1);
    CHECK(ligo_backward(ctx, y) == LIGO_OK);
    *loss = y->data[0];
    memcpy(out_grads, w1->grad, sizeof(float) * 64 * 48);
    memcpy(out_grads + 64 * 48, w2->grad, sizeof(float) * 640);
    ligo_ctx_free(ctx);
}

static void test_thread_count_invariance(void) {
    static float g1[64 * 48 + 640], g2[64 * 48 + 640];
    float l1, l2;
    mlp_grads(1, g1, &l1);
    mlp_grads(2, g2, &l2);
    CHECK(l1 == l2);
    CHECK(memcmp(g1, g2, sizeof g1) == 0);
}

static ligo_tensor *quad_build(ligo_ctx *ctx, void *user) {
    ligo_tensor *p = (ligo_tensor *)user;
    return ligo_sum(ctx, ligo_mul(ctx, p, p));
}

static void test_gradcheck_api(void) {
    ligo_ctx *ctx = ctx_n(1);
    int64_t s[1] = {4};
    ligo_tensor *p = ligo_new_param(ctx, 1, s), *x = ligo_new(ctx, 1, s);
    ligo_tensor *ps[1];
    double err = -1;
    ligo_gradcheck_opts o = ligo_gradcheck_opts_default();
    double f0;
    int i;
    for (i = 0; i < 4; i++) p->data[i] = (float)i - 1.5f;
    ps[0] = p;
    f0 = ligo_flops_forward(ctx);
    CHECK_STATUS(ligo_check_grad(ctx, quad_build, p, ps, 1, NULL, &err), LIGO_OK);
    CHECK(err >= 0.0 && err < 1e-4); /* a quadratic: central differences are exact up to rounding */
    CHECK(ligo_flops_forward(ctx) == f0);
    CHECK(p->grad[3] == 3.0f); /* the analytic gradient is left in place */
    o.analytic_scale = 1.1;
    CHECK_STATUS(ligo_check_grad(ctx, quad_build, p, ps, 1, &o, &err), LIGO_OK);
    CHECK_NEAR(err, 0.1 / 1.1, 1e-3);
    ps[0] = x;
    CHECK_STATUS(ligo_check_grad(ctx, quad_build, p, ps, 1, NULL, &err), LIGO_EINVAL);
    ligo_clear_error(ctx);
    ps[0] = p;
    o = ligo_gradcheck_opts_default();
    o.eps = 0.0;
    CHECK_STATUS(ligo_check_grad(ctx, quad_build, p, ps, 1, &o, &err), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_check_grad(ctx, NULL, p, ps, 1, NULL, &err), LIGO_EINVAL);
    ligo_ctx_free(ctx);
}

void suite_graph(void) {
    RUN(test_backward_accumulates);
    RUN(test_backward_fanout);
    RUN(test_only_param_paths);
    RUN(test_backward_errors);
    RUN(test_tape_and_rewind);
    RUN(test_reshape_is_view);
    RUN(test_thread_count_invariance);
    RUN(test_gradcheck_api);
}
