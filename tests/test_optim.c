/* test_optim.c: AdamW and SGD against float64 recomputations of PyTorch's
 * update rules, schedules and clipping against closed forms. */
#include "harness.h"

/* The bitwise tests below recompute the library's scalar loops as written,
 * unfused, as the library compiles them (ligo_internal.h); clang would
 * otherwise fuse a * b + c on ARM64. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

static ligo_ctx *new_ctx(int nth) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = nth;
    return ligo_ctx_new(&p);
}

/* Constant gradient g: m_t / (1 - b1^t) = g and v_t / (1 - b2^t) = g^2, so
 * each AdamW step is p <- p (1 - lr wd) - lr g / (|g| + eps). */
static void test_adamw_closed_form(void) {
    ligo_ctx *ctx = new_ctx(1);
    ligo_optim_config c = ligo_optim_config_default(LIGO_ADAMW);
    ligo_segment segs[2];
    float p[2] = {1.0f, -2.0f}, g[2] = {0.5f, -0.25f};
    double want[2] = {1.0, -2.0}, lr = 0.01;
    ligo_optim *o;
    int t, i;
    c.weight_decay = 0.1f;
    segs[0].offset = 0;
    segs[0].n = 1;
    segs[0].decay = 1;
    segs[1].offset = 1;
    segs[1].n = 1;
    segs[1].decay = 0;
    o = ligo_optim_new(ctx, &c, 2, segs, 2);
    CHECK(o != NULL);
    for (t = 0; t < 5; t++) {
        CHECK_STATUS(ligo_optim_step(ctx, o, p, g, (float)lr), LIGO_OK);
        for (i = 0; i < 2; i++)
            want[i] = want[i] * (1.0 - lr * (i == 0 ? 0.1 : 0.0)) - lr * g[i] / (fabs(g[i]) + 1e-8);
    }
    CHECK_NEAR(p[0], want[0], 1e-6);
    CHECK_NEAR(p[1], want[1], 1e-6);
    CHECK(o->step == 5);
    ligo_ctx_free(ctx);
}

/* Varying gradients against a float64 recomputation; 1 and 2 threads give
 * bitwise-identical parameters. */
static void run_adamw(int nth, float *p, int n) {
    ligo_ctx *ctx = new_ctx(nth);
    ligo_optim_config c = ligo_optim_config_default(LIGO_ADAMW);
    ligo_optim *o = ligo_optim_new(ctx, &c, n, NULL, 0);
    float *g = (float *)ligo_alloc_persistent(ctx, (size_t)n * sizeof(float));
    int t, i;
    for (i = 0; i < n; i++) p[i] = 0.01f * (float)(i % 17) - 0.05f;
    for (t = 1; t <= 4; t++) {
        for (i = 0; i < n; i++) g[i] = sinf(0.37f * (float)(i + 3 * t));
        ligo_optim_step(ctx, o, p, g, 1e-3f * (float)t);
    }
    ligo_ctx_free(ctx);
}

static void test_adamw_recompute(void) {
    enum { N = 100000 };
    static float p1[N], p2[N];
    static double p[N], m[N], v[N];
    double err = 0.0;
    int t, i;
    run_adamw(1, p1, N);
    run_adamw(2, p2, N);
    CHECK(memcmp(p1, p2, sizeof p1) == 0);
    for (i = 0; i < N; i++) {
        p[i] = (double)(0.01f * (float)(i % 17) - 0.05f);
        m[i] = v[i] = 0.0;
    }
    for (t = 1; t <= 4; t++) {
        double lr = (double)(1e-3f * (float)t);
        for (i = 0; i < N; i++) {
            double g = (double)sinf(0.37f * (float)(i + 3 * t));
            p[i] *= 1.0 - lr * 0.1;
            m[i] = 0.9 * m[i] + 0.1 * g;
            v[i] = 0.95 * v[i] + 0.05 * g * g;
            p[i] -= lr / (1.0 - pow(0.9, t)) * m[i] / (sqrt(v[i]) / sqrt(1.0 - pow(0.95, t)) + 1e-8);
        }
    }
    for (i = 0; i < N; i++) err = fabs(p1[i] - p[i]) > err ? fabs(p1[i] - p[i]) : err;
    CHECK_MSG(err < 1e-6, "max error %.3g", err);
}

/* The vector AdamW paths (AVX on x86, NEON on ARM64) do the scalar loop's
 * operations in its order, unfused, so every element equals a float
 * recomputation written out here the scalar way, bitwise: vector body and
 * tail (1003 floats), two segments (decayed and not), five steps. */
static void test_adamw_scalar_bits(void) {
    enum { N = 1003, N0 = 517 };
    ligo_ctx *ctx = new_ctx(1);
    ligo_optim_config c = ligo_optim_config_default(LIGO_ADAMW);
    ligo_segment segs[2];
    static float p[N], g[N], q[N], m[N], v[N];
    ligo_optim *o;
    int t, i, bad = 0;
    c.weight_decay = 0.1f;
    segs[0].offset = 0;
    segs[0].n = N0;
    segs[0].decay = 1;
    segs[1].offset = N0;
    segs[1].n = N - N0;
    segs[1].decay = 0;
    o = ligo_optim_new(ctx, &c, N, segs, 2);
    CHECK(o != NULL);
    if (!o) {
        ligo_ctx_free(ctx);
        return;
    }
    for (i = 0; i < N; i++) {
        p[i] = q[i] = 0.02f * (float)(i % 23) - 0.2f;
        m[i] = v[i] = 0.0f;
    }
    for (t = 1; t <= 5; t++) {
        float lr = 3e-3f * (float)t, b1 = c.beta1, b2 = c.beta2, eps = c.eps;
        float step = (float)((double)lr / (1.0 - pow((double)b1, (double)t)));
        float rbc2 = (float)(1.0 / sqrt(1.0 - pow((double)b2, (double)t)));
        for (i = 0; i < N; i++) g[i] = (i % 7 == 3 ? 40.0f : 1.0f) * sinf(0.61f * (float)(i + 5 * t));
        CHECK_STATUS(ligo_optim_step(ctx, o, p, g, lr), LIGO_OK);
        for (i = 0; i < N; i++) {
            float shrink = 1.0f - lr * (i < N0 ? c.weight_decay : 0.0f);
            m[i] = b1 * m[i] + (1.0f - b1) * g[i];
            v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
            q[i] = q[i] * shrink - step * m[i] / (sqrtf(v[i]) * rbc2 + eps);
        }
    }
    for (i = 0; i < N; i++) bad += memcmp(&p[i], &q[i], sizeof(float)) != 0;
    CHECK_MSG(bad == 0, "%d of %d parameters differ from the scalar recomputation", bad, N);
    ligo_ctx_free(ctx);
}

static void test_sgd_momentum(void) {
    ligo_ctx *ctx = new_ctx(1);
    ligo_optim_config c = ligo_optim_config_default(LIGO_SGD);
    float p[1] = {1.0f}, g[1];
    double want = 1.0, buf = 0.0;
    ligo_optim *o;
    int t;
    c.momentum = 0.8f;
    c.weight_decay = 0.01f;
    o = ligo_optim_new(ctx, &c, 1, NULL, 0);
    for (t = 0; t < 6; t++) {
        g[0] = (float)(t + 1) * 0.1f;
        CHECK_STATUS(ligo_optim_step(ctx, o, p, g, 0.5f), LIGO_OK);
        buf = 0.8 * buf + ((double)g[0] + 0.01 * want);
        want -= 0.5 * buf;
    }
    CHECK_NEAR(p[0], want, 1e-6);
    ligo_ctx_free(ctx);
}

static void test_optim_errors(void) {
    ligo_ctx *ctx = new_ctx(1);
    ligo_optim_config c = ligo_optim_config_default(LIGO_ADAMW);
    ligo_segment s[2];
    float p[4], g[4];
    ligo_optim *o;
    CHECK(ligo_optim_new(ctx, &c, 0, NULL, 0) == NULL);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_EINVAL);
    ligo_clear_error(ctx);
    s[0].offset = 0;
    s[0].n = 2;
    s[0].decay = 1;
    s[1].offset = 3; /* a hole */
    s[1].n = 1;
    s[1].decay = 0;
    CHECK(ligo_optim_new(ctx, &c, 4, s, 2) == NULL);
    ligo_clear_error(ctx);
    c.beta1 = 1.5f;
    CHECK(ligo_optim_new(ctx, &c, 4, NULL, 0) == NULL);
    ligo_clear_error(ctx);
    c = ligo_optim_config_default(LIGO_ADAMW);
    o = ligo_optim_new(ctx, &c, 4, NULL, 0);
    CHECK_STATUS(ligo_optim_step(ctx, o, p, g, (float)HUGE_VAL), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_optim_step(ctx, o, NULL, g, 0.1f), LIGO_EINVAL);
    ligo_ctx_free(ctx);
}

/* Each field of an optimizer config has its own message with its value,
 * and nothing is allocated for a bad one. */
static void test_optim_config_fields(void) {
    static const struct {
        int field; /* 0 kind, 1 beta1, 2 beta2, 3 eps, 4 momentum, 5 weight_decay */
        float v;
        const char *want;
    } bad[] = {{0, 7, "kind is 7"},          {1, -0.5f, "beta1 is -0.5"},     {1, 1.0f, "beta1 is 1"},
               {2, 1.5f, "beta2 is 1.5"},    {2, (float)NAN, "beta2 is nan"}, {3, 0.0f, "eps is 0"},
               {3, (float)INFINITY, "eps is inf"}, {4, 1.0f, "momentum is 1"}, {5, -0.1f, "weight_decay is -0.1"},
               {5, (float)NAN, "weight_decay is nan"}};
    ligo_ctx *ctx = new_ctx(1);
    size_t i, used;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ligo_optim_config c = ligo_optim_config_default(LIGO_ADAMW);
        if (bad[i].field == 0) c.kind = (ligo_optim_kind)(int)bad[i].v;
        else if (bad[i].field == 1) c.beta1 = bad[i].v;
        else if (bad[i].field == 2) c.beta2 = bad[i].v;
        else if (bad[i].field == 3) c.eps = bad[i].v;
        else if (bad[i].field == 4) c.momentum = bad[i].v;
        else c.weight_decay = bad[i].v;
        used = ligo_persistent_used(ctx);
        CHECK(ligo_optim_new(ctx, &c, 4, NULL, 0) == NULL);
        CHECK_STATUS(ligo_get_status(ctx), LIGO_EINVAL);
        CHECK_MSG(strstr(ligo_get_error(ctx), bad[i].want) != NULL &&
                      strncmp(ligo_get_error(ctx), "ligo_optim_new: ", 16) == 0,
                  "row %d: \"%s\" lacks \"%s\"", (int)i, ligo_get_error(ctx), bad[i].want);
        CHECK(ligo_persistent_used(ctx) == used);
        ligo_clear_error(ctx);
    }
    /* n and the segment count are named too */
    {
        ligo_optim_config c = ligo_optim_config_default(LIGO_SGD);
        ligo_segment sg = {0, 4, 1};
        CHECK(ligo_optim_new(ctx, &c, -3, NULL, 0) == NULL);
        CHECK(strstr(ligo_get_error(ctx), "n is -3") != NULL);
        ligo_clear_error(ctx);
        CHECK(ligo_optim_new(ctx, &c, 4, &sg, 0) == NULL);
        CHECK(strstr(ligo_get_error(ctx), "n_segs is 0") != NULL);
        ligo_clear_error(ctx);
        CHECK(ligo_optim_new(ctx, &c, 4, &sg, 1) != NULL); /* the same, valid */
        CHECK_STATUS(ligo_get_status(ctx), LIGO_OK);
    }
    ligo_ctx_free(ctx);
}

static void test_schedule(void) {
    ligo_schedule s;
    memset(&s, 0, sizeof s);
    s.lr_max = 1e-3f;
    s.lr_min = 1e-4f;
    s.warmup = 100;
    s.total = 1100;
    s.decay = LIGO_DECAY_COSINE;
    CHECK_NEAR(ligo_schedule_lr(&s, 0), 1e-5, 1e-9);
    CHECK_NEAR(ligo_schedule_lr(&s, 99), 1e-3, 1e-9);
    CHECK_NEAR(ligo_schedule_lr(&s, 100), 1e-3, 1e-9);
    CHECK_NEAR(ligo_schedule_lr(&s, 600), 1e-4 + 0.5 * 9e-4, 1e-9); /* cos(pi/2) = 0 */
    CHECK_NEAR(ligo_schedule_lr(&s, 1100), 1e-4, 1e-9);
    CHECK_NEAR(ligo_schedule_lr(&s, 5000), 1e-4, 1e-9);
    s.decay = LIGO_DECAY_LINEAR;
    CHECK_NEAR(ligo_schedule_lr(&s, 350), 1e-3 - 0.25 * 9e-4, 1e-9);
    s.decay = LIGO_DECAY_CONSTANT;
    CHECK_NEAR(ligo_schedule_lr(&s, 900), 1e-3, 1e-9);
    s.warmup = 0;
    CHECK_NEAR(ligo_schedule_lr(&s, 0), 1e-3, 1e-9);
}

/* Warmup-stable-decay: warm-up, lr_max until total - decay_steps, then a
 * straight line to lr_min at total; a branch at a shorter total has the
 * same rates up to its own decay start. */
static void test_schedule_wsd(void) {
    ligo_schedule s, b;
    int64_t t;
    memset(&s, 0, sizeof s);
    s.lr_max = 1e-3f;
    s.lr_min = 0.0f;
    s.warmup = 50;
    s.total = 1000;
    s.decay_steps = 200;
    s.decay = LIGO_DECAY_WSD;
    CHECK_NEAR(ligo_schedule_lr(&s, 0), 1e-3 / 50, 1e-9);
    CHECK_NEAR(ligo_schedule_lr(&s, 49), 1e-3, 1e-9);
    CHECK_NEAR(ligo_schedule_lr(&s, 500), 1e-3, 1e-9);
    CHECK_NEAR(ligo_schedule_lr(&s, 799), 1e-3, 1e-9);
    CHECK_NEAR(ligo_schedule_lr(&s, 800), 1e-3, 1e-9);
    CHECK_NEAR(ligo_schedule_lr(&s, 900), 0.5e-3, 1e-10);
    CHECK_NEAR(ligo_schedule_lr(&s, 950), 0.25e-3, 1e-10);
    CHECK_NEAR(ligo_schedule_lr(&s, 1000), 0.0, 1e-9);
    CHECK_NEAR(ligo_schedule_lr(&s, 4000), 0.0, 1e-9);
    b = s;
    b.total = 500;
    b.decay_steps = 100;
    for (t = 0; t < 400; t++) CHECK(ligo_schedule_lr(&b, t) == ligo_schedule_lr(&s, t));
    CHECK_NEAR(ligo_schedule_lr(&b, 450), 0.5e-3, 1e-10);
    s.lr_min = 1e-4f; /* to lr_min, not zero */
    CHECK_NEAR(ligo_schedule_lr(&s, 900), 1e-3 - 0.5 * 9e-4, 1e-10);
    s.decay_steps = 0; /* no decay: constant after the warm-up */
    CHECK_NEAR(ligo_schedule_lr(&s, 999), 1e-3, 1e-9);
    s.decay_steps = 5000; /* longer than the run: decays from the warm-up's end */
    CHECK_NEAR(ligo_schedule_lr(&s, 50), 1e-3, 1e-10);
    CHECK_NEAR(ligo_schedule_lr(&s, 525), 1e-3 - 0.5 * 9e-4, 1e-10);
}

static void test_clip(void) {
    float g[2] = {3.0f, 4.0f};
    double n = ligo_clip_grad_norm(g, 2, 1.0);
    CHECK_NEAR(n, 5.0, 1e-9);
    CHECK_NEAR(g[0], 0.6, 1e-6);
    CHECK_NEAR(g[1], 0.8, 1e-6);
    n = ligo_clip_grad_norm(g, 2, 10.0); /* below the limit: unchanged */
    CHECK_NEAR(g[0], 0.6, 1e-6);
    {
        float before = g[0];
        g[1] = (float)HUGE_VAL;
        n = ligo_clip_grad_norm(g, 2, 1.0); /* not finite: reported, nothing scaled */
        CHECK(!isfinite(n) && g[0] == before);
    }
}

/* The sum of squares is eight interleaved double sums (element i in sum
 * i mod 8) added pairwise: the vector paths (AVX, NEON) keep that order,
 * so the norm is bitwise this recomputation, for lengths around the
 * multiples of 8. */
static void test_clip_norm_bits(void) {
    enum { NMAX = 203 };
    static float g[NMAX];
    int n, i, bad = 0;
    for (i = 0; i < NMAX; i++) g[i] = (i % 5 == 1 ? 1e3f : 1.0f) * cosf(0.7f * (float)i) + 1e-3f * (float)i;
    for (n = 1; n <= NMAX; n += (n < 20 ? 1 : 13)) {
        double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, want, got;
        for (i = 0; i < n; i++) acc[i % 8] += (double)g[i] * (double)g[i];
        want = sqrt(((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
        got = ligo_clip_grad_norm(g, n, 0.0); /* no limit: g unchanged */
        if (memcmp(&got, &want, sizeof got) != 0) {
            bad++;
            printf("     n=%d: norm %.17g, recomputed %.17g\n", n, got, want);
        }
    }
    CHECK(bad == 0);
}

void suite_optim(void) {
    RUN(test_adamw_closed_form);
    RUN(test_adamw_recompute);
    RUN(test_adamw_scalar_bits);
    RUN(test_sgd_momentum);
    RUN(test_optim_errors);
    RUN(test_optim_config_fields);
    RUN(test_schedule);
    RUN(test_schedule_wsd);
    RUN(test_clip);
    RUN(test_clip_norm_bits);
}
