/* test_tensor.c: shapes, overflow checks, leaves and parameters. */
#include "harness.h"

static void test_numel(void) {
    int64_t n = -1;
    int64_t s3[3] = {2, 3, 4}, zero[2] = {2, 0}, neg[2] = {-1, 4};
    int64_t huge[4] = {(int64_t)1 << 20, (int64_t)1 << 20, (int64_t)1 << 20, (int64_t)1 << 20};
    int64_t wrap[2] = {INT64_MAX, 2};
    CHECK_STATUS(ligo_shape_numel(3, s3, &n), LIGO_OK);
    CHECK(n == 24);
    CHECK_STATUS(ligo_shape_numel(2, zero, &n), LIGO_EINVAL);
    CHECK_STATUS(ligo_shape_numel(2, neg, &n), LIGO_EINVAL);
    CHECK_STATUS(ligo_shape_numel(4, huge, &n), LIGO_EOVERFLOW);
    CHECK_STATUS(ligo_shape_numel(2, wrap, &n), LIGO_EOVERFLOW);
    CHECK_STATUS(ligo_shape_numel(0, s3, &n), LIGO_EINVAL);
    CHECK_STATUS(ligo_shape_numel(5, s3, &n), LIGO_EINVAL);
    CHECK_STATUS(ligo_shape_numel(1, NULL, &n), LIGO_EINVAL);
}

static void test_new_tensors(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    int64_t s[4] = {2, 3, 4, 5};
    ligo_tensor *t = ligo_new(ctx, 4, s), *p;
    char buf[64];
    int i, zero = 1;
    CHECK(t && t->n == 120 && t->ndim == 4 && t->grad == NULL && t->op == LIGO_OP_LEAF);
    for (i = 0; t && i < 120; i++) zero &= t->data[i] == 0.0f;
    CHECK(zero);
    CHECK(strcmp(ligo_shape_str(t, buf, sizeof buf), "2x3x4x5") == 0);
    p = ligo_new_param(ctx, 2, s);
    CHECK(p && p->grad && (p->flags & LIGO_FLAG_PARAM) && (p->flags & LIGO_FLAG_NEEDS_GRAD));
    CHECK(ligo_persistent_used(ctx) >= 2 * 6 * sizeof(float));
    CHECK(ligo_new_1d(ctx, 7)->n == 7);
    CHECK(ligo_new_3d(ctx, 2, 2, 2)->n == 8);
    ligo_ctx_free(ctx);
}

static void test_new_bad_shapes(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    int64_t neg[2] = {3, -2}, huge[4] = {1 << 20, 1 << 20, 1 << 20, 1 << 20};
    CHECK(ligo_new(ctx, 2, neg) == NULL);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_EINVAL);
    CHECK(strstr(ligo_get_error(ctx), "dim 1 is -2") != NULL);
    ligo_clear_error(ctx);
    CHECK(ligo_new(ctx, 4, huge) == NULL);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_EOVERFLOW);
    ligo_clear_error(ctx);
    CHECK(ligo_new(ctx, 0, huge) == NULL);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK(ligo_new_param(ctx, 9, huge) == NULL);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK(ligo_new_2d(ctx, 0, 3) == NULL);
    ligo_clear_error(ctx);
    CHECK(ligo_new_1d(NULL, 3) == NULL);
    ligo_ctx_free(ctx);
}

static void test_wrap_and_copy(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    float data[6] = {1, 2, 3, 4, 5, 6}, grad[6] = {0};
    int64_t s[2] = {2, 3};
    ligo_tensor *w = ligo_wrap(ctx, 2, s, data, grad), *c;
    CHECK(w && w->data == data && w->grad == grad && (w->flags & LIGO_FLAG_PARAM));
    c = ligo_wrap(ctx, 2, s, data, NULL);
    CHECK(c && c->grad == NULL && c->flags == 0);
    CHECK(ligo_wrap(ctx, 2, s, NULL, NULL) == NULL);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_EINVAL);
    ligo_clear_error(ctx);
    c = ligo_new_2d(ctx, 3, 2);
    CHECK_STATUS(ligo_copy_from(ctx, c, data, 6), LIGO_OK);
    CHECK(c->data[5] == 6.0f);
    CHECK_STATUS(ligo_copy_from(ctx, c, data, 5), LIGO_ESHAPE);
    ligo_clear_error(ctx);
    ligo_fill(c, 2.5f);
    CHECK(c->data[0] == 2.5f && c->data[5] == 2.5f);
    ligo_ctx_free(ctx);
}

static void test_fills(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_rng r;
    ligo_tensor *t = ligo_new_1d(ctx, 10000);
    double s = 0, s2 = 0;
    int i, ok = 1;
    ligo_rng_seed(&r, 1);
    ligo_fill_uniform(t, &r, -2.0f, 3.0f);
    for (i = 0; i < t->n; i++) ok &= t->data[i] >= -2.0f && t->data[i] < 3.0f;
    CHECK(ok);
    ligo_fill_normal(t, &r, 1.0f, 0.5f);
    for (i = 0; i < t->n; i++) {
        s += t->data[i];
        s2 += t->data[i] * t->data[i];
    }
    CHECK_NEAR(s / t->n, 1.0, 0.03);
    CHECK_NEAR(s2 / t->n - (s / t->n) * (s / t->n), 0.25, 0.02);
    ligo_ctx_free(ctx);
}

void suite_tensor(void) {
    RUN(test_numel);
    RUN(test_new_tensors);
    RUN(test_new_bad_shapes);
    RUN(test_wrap_and_copy);
    RUN(test_fills);
}
