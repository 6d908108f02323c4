/* test_ops.c: every op's test cases (kept beside each op in src/ops/):
 * gradients against central differences, forward values against the
 * cases' float64 recomputations, NULL inputs; the fused ops' forward values
 * against float64 recomputations written here, and bad input to every
 * builder. */
#include "harness.h"

#include <stdlib.h>

/* Errors of the central-difference check stay below this; a backward pass
 * off by 1% gives about 1e-2 (checked by test_gradcheck_detects_1pct). */
#define GRAD_TOL 2e-3

static ligo_ctx *new_ctx(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = 2;
    return ligo_ctx_new(&p);
}

static void fill_rand(ligo_tensor *t, ligo_rng *rng, float scale) {
    int64_t i;
    for (i = 0; i < t->n; i++) t->data[i] = scale * (2.0f * ligo_rng_uniform(rng) - 1.0f);
}

static ligo_tensor *param(ligo_ctx *ctx, ligo_rng *rng, int ndim, int64_t d0, int64_t d1, int64_t d2, float scale) {
    int64_t s[3];
    ligo_tensor *t;
    s[0] = d0;
    s[1] = d1;
    s[2] = d2;
    t = ligo_new_param(ctx, ndim, s);
    if (t) fill_rand(t, rng, scale);
    return t;
}

static double max_abs_diff(const float *a, const double *b, int64_t n) {
    double m = 0.0;
    int64_t i;
    for (i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) m = d;
    }
    return m;
}

/* ---------------------------------------------- the ops' own test cases
 * Each op keeps its cases beside its kernels (ligo__cases_ENUM in its
 * src/ops/ file, compiled with LIGO_OP_TESTS); ligo_op_cases hands them
 * out, and every case goes through the checks below. */

/* What a case runs on: its inputs, copied into the checking context as
 * parameters, and fixed random weights w: loss = sum(run(...) * w). */
typedef struct gc_run {
    const ligo_op_case *c;
    ligo_tensor *in[4];
    ligo_tensor *w;
} gc_run;

static ligo_tensor *gc_build(ligo_ctx *ctx, void *user) {
    gc_run *r = (gc_run *)user;
    ligo_tensor *out = r->c->run(ctx, r->in, r->c);
    if (!out) return NULL;
    if (out->n == 1 && !r->w) return out;
    return ligo_sum(ctx, ligo_mul(ctx, out, r->w));
}

/* A seed from the case's name: its inputs stay the same when cases or ops
 * are added. */
static uint64_t case_seed(const char *name) {
    uint64_t h = 1469598103934665603ull;
    for (; *name; name++) h = (h ^ (unsigned char)*name) * 1099511628211ull;
    return h;
}

/* The case's inputs as parameters of ctx, drawn U(offset - scale,
 * offset + scale). */
static void case_inputs(ligo_ctx *ctx, const ligo_op_case *c, ligo_tensor **in) {
    ligo_rng rng;
    int64_t i;
    int k;
    ligo_rng_seed(&rng, case_seed(c->name));
    for (k = 0; k < c->n_in; k++) {
        in[k] = ligo_new_param(ctx, c->in[k].ndim, c->in[k].shape);
        if (!in[k]) continue;
        fill_rand(in[k], &rng, c->in[k].scale);
        if (c->offset[k] != 0.0f)
            for (i = 0; i < in[k]->n; i++) in[k]->data[i] += c->offset[k];
    }
}

/* Whether a node of op is on the tape. */
static int tape_has(ligo_tensor *t, int op) {
    for (; t; t = t->tape_prev)
        if (t->op == op) return 1;
    return 0;
}

/* One case: a dry run fixes the weights' shape (and must record a node of
 * the op), then the gradient check. Returns the largest error. */
static double run_case(int op, const ligo_op_case *c, double analytic_scale) {
    ligo_ctx *ctx = new_ctx();
    ligo_rng rng;
    ligo_tensor *out;
    ligo_gradcheck_opts o = ligo_gradcheck_opts_default();
    gc_run r;
    double err = -1.0;
    ligo_status s;
    memset(&r, 0, sizeof r);
    r.c = c;
    case_inputs(ctx, c, r.in);
    out = c->run(ctx, r.in, c);
    CHECK_MSG(out != NULL, "%s: %s", c->name, ligo_get_error(ctx));
    if (!out) {
        ligo_ctx_free(ctx);
        return 1.0;
    }
    CHECK_MSG(tape_has(out, op), "%s: no %s node on the tape", c->name, ligo_op_name(op));
    if (out->n > 1) {
        ligo_rng_seed(&rng, 1234);
        r.w = ligo_new(ctx, out->ndim, out->shape);
        fill_rand(r.w, &rng, 1.0f);
    }
    o.analytic_scale = analytic_scale;
    s = ligo_check_grad(ctx, gc_build, &r, r.in, c->n_in, &o, &err);
    CHECK_MSG(s == LIGO_OK, "%s: %s", c->name, ligo_get_error(ctx));
    ligo_ctx_free(ctx);
    return err;
}

/* Every op's cases pass the gradient check (analytic_scale 1), or a backward
 * pass 1% off fails it (1.01). */
static void gradcheck_all(double analytic_scale) {
    int op, i, n;
    for (op = 0; op < LIGO_OP_COUNT; op++) {
        const ligo_op_case *cs;
        n = ligo_op_cases(op, &cs);
        for (i = 0; i < n; i++) {
            double err = run_case(op, &cs[i], analytic_scale);
            if (analytic_scale == 1.0)
                CHECK_MSG(err >= 0.0 && err < GRAD_TOL, "%s: max gradient error %.3g", cs[i].name, err);
            else
                CHECK_MSG(err > 3.0 * GRAD_TOL, "%s: a 1%% error gives only %.3g", cs[i].name, err);
            if (getenv("LIGO_TEST_VERBOSE") && analytic_scale == 1.0)
                printf("  gradcheck %-24s %.2e\n", cs[i].name, err);
        }
    }
}

static void test_gradcheck_every_op(void) { gradcheck_all(1.0); }

/* The check must see a backward pass that is 1% off. */
static void test_gradcheck_detects_1pct(void) { gradcheck_all(1.01); }

/* Fails when an op has no test case (run_case checks that each case
 * records its op). */
static void test_every_op_has_a_gradcheck(void) {
    int op;
    for (op = 0; op < LIGO_OP_COUNT; op++) {
        const ligo_op_case *cs;
        if (op == LIGO_OP_LEAF) continue;
        CHECK_MSG(ligo_op_cases(op, &cs) > 0, "op %s has no gradient check", ligo_op_name(op));
    }
}

/* The forward value against the case's float64 recomputation, where the
 * op gives one. */
static void test_forward_refs(void) {
    int op, i, n;
    for (op = 0; op < LIGO_OP_COUNT; op++) {
        const ligo_op_case *cs;
        n = ligo_op_cases(op, &cs);
        for (i = 0; i < n; i++) {
            ligo_ctx *ctx;
            ligo_tensor *in[4], *out;
            double *ref;
            if (!cs[i].ref) continue;
            ctx = new_ctx();
            case_inputs(ctx, &cs[i], in);
            out = cs[i].run(ctx, in, &cs[i]);
            CHECK_MSG(out != NULL, "%s: %s", cs[i].name, ligo_get_error(ctx));
            if (out) {
                ref = (double *)malloc((size_t)out->n * sizeof(double));
                cs[i].ref(in, &cs[i], ref);
                CHECK_MSG(max_abs_diff(out->data, ref, out->n) <= cs[i].ref_tol, "%s: forward off by %.3g", cs[i].name,
                          max_abs_diff(out->data, ref, out->n));
                free(ref);
            }
            ligo_ctx_free(ctx);
        }
    }
}

/* A NULL first input is LIGO_EINVAL with a message, and records nothing. */
static void test_null_inputs(void) {
    int op, i, n;
    for (op = 0; op < LIGO_OP_COUNT; op++) {
        const ligo_op_case *cs;
        n = ligo_op_cases(op, &cs);
        for (i = 0; i < n; i++) {
            ligo_ctx *ctx = new_ctx();
            ligo_tensor *in[4];
            case_inputs(ctx, &cs[i], in);
            in[0] = NULL;
            CHECK_MSG(cs[i].run(ctx, in, &cs[i]) == NULL, "%s: built on a NULL input", cs[i].name);
            CHECK_MSG(ligo_get_status(ctx) == LIGO_EINVAL && strstr(ligo_get_error(ctx), "NULL"), "%s: %s (%s)",
                      cs[i].name, ligo_status_str(ligo_get_status(ctx)), ligo_get_error(ctx));
            CHECK(ligo_tape_length(ctx) == 0);
            ligo_ctx_free(ctx);
        }
    }
}

/* --------------------------------------- forward against float64 models */

static void test_forward_linear(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_rng rng;
    int64_t R = 7, I = 33, O = 17, r, o, i;
    ligo_tensor *x, *W, *b, *y;
    double *ref = (double *)malloc((size_t)(R * O) * sizeof(double));
    ligo_rng_seed(&rng, 5);
    x = param(ctx, &rng, 2, R, I, 0, 1.0f);
    W = param(ctx, &rng, 2, O, I, 0, 1.0f);
    b = param(ctx, &rng, 1, O, 0, 0, 1.0f);
    y = ligo_linear(ctx, x, W, b);
    CHECK(y && y->shape[0] == R && y->shape[1] == O);
    for (r = 0; r < R; r++)
        for (o = 0; o < O; o++) {
            double acc = b->data[o];
            for (i = 0; i < I; i++) acc += (double)x->data[r * I + i] * W->data[o * I + i];
            ref[r * O + o] = acc;
        }
    if (y) CHECK(max_abs_diff(y->data, ref, R * O) < 1e-5);
    free(ref);
    ligo_ctx_free(ctx);
}

/* gelu(x W^T + b) against float64, with K over two blocks of the GEMM
 * (the epilogue runs on the last only), edge tiles in both directions,
 * two threads; the fused node's gradients equal those of linear + gelu. */
static void test_forward_linear_gelu(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_rng rng;
    int64_t R = 37, I = 300, O = 45, r, o, i;
    ligo_tensor *x, *W, *b, *y, *y2;
    double *ref = (double *)malloc((size_t)(R * O) * sizeof(double));
    float *gx = (float *)malloc((size_t)(R * I) * sizeof(float));
    float *gw = (float *)malloc((size_t)(O * I) * sizeof(float));
    float *gb = (float *)malloc((size_t)O * sizeof(float));
    ligo_rng_seed(&rng, 6);
    x = param(ctx, &rng, 2, R, I, 0, 0.2f);
    W = param(ctx, &rng, 2, O, I, 0, 0.2f);
    b = param(ctx, &rng, 1, O, 0, 0, 1.0f);
    y = ligo_linear_gelu(ctx, x, W, b);
    CHECK(y && y->shape[0] == R && y->shape[1] == O);
    for (r = 0; r < R; r++)
        for (o = 0; o < O; o++) {
            double v = b->data[o];
            for (i = 0; i < I; i++) v += (double)x->data[r * I + i] * W->data[o * I + i];
            ref[r * O + o] = 0.5 * v * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (v + 0.044715 * v * v * v)));
        }
    if (y) CHECK(max_abs_diff(y->data, ref, R * O) < 2e-5);
    /* gradients of sum(y * y) through the fused node, then through two */
    if (y) {
        ligo_backward(ctx, ligo_sum(ctx, ligo_mul(ctx, y, y)));
        memcpy(gx, x->grad, (size_t)(R * I) * sizeof(float));
        memcpy(gw, W->grad, (size_t)(O * I) * sizeof(float));
        memcpy(gb, b->grad, (size_t)O * sizeof(float));
        ligo_zero_grad(x);
        ligo_zero_grad(W);
        ligo_zero_grad(b);
        y2 = ligo_gelu(ctx, ligo_linear(ctx, x, W, b));
        CHECK(y2 != NULL);
        if (y2) {
            double dx = 0.0, dw = 0.0, db = 0.0;
            ligo_backward(ctx, ligo_sum(ctx, ligo_mul(ctx, y2, y2)));
            dx = harness_worst(gx, x->grad, R * I);
            dw = harness_worst(gw, W->grad, O * I);
            db = harness_worst(gb, b->grad, O);
            CHECK_MSG(dx < 1e-5 && dw < 1e-5 && db < 1e-5, "fused vs two nodes: dx %.3g dW %.3g db %.3g", dx, dw, db);
        }
    }
    free(ref);
    free(gx);
    free(gw);
    free(gb);
    ligo_ctx_free(ctx);
}

static void test_forward_matmul(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_rng rng;
    int64_t M = 9, K = 11, N = 6, i, j, p;
    int ta, tb;
    double ref[9 * 6];
    ligo_rng_seed(&rng, 6);
    for (ta = 0; ta < 2; ta++)
        for (tb = 0; tb < 2; tb++) {
            ligo_tensor *a = ta ? param(ctx, &rng, 2, K, M, 0, 1.0f) : param(ctx, &rng, 2, M, K, 0, 1.0f);
            ligo_tensor *b = tb ? param(ctx, &rng, 2, N, K, 0, 1.0f) : param(ctx, &rng, 2, K, N, 0, 1.0f);
            ligo_tensor *c = ligo_matmul(ctx, a, b, ta, tb);
            CHECK(c && c->shape[0] == M && c->shape[1] == N);
            for (i = 0; i < M; i++)
                for (j = 0; j < N; j++) {
                    double acc = 0.0;
                    for (p = 0; p < K; p++)
                        acc += (double)(ta ? a->data[p * M + i] : a->data[i * K + p]) *
                               (double)(tb ? b->data[j * K + p] : b->data[p * N + j]);
                    ref[i * N + j] = acc;
                }
            if (c) CHECK_MSG(max_abs_diff(c->data, ref, M * N) < 1e-5, "ta=%d tb=%d", ta, tb);
        }
    ligo_ctx_free(ctx);
}

static void test_forward_layernorm(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_rng rng;
    int64_t R = 5, C = 24, r, c;
    ligo_tensor *x, *g, *b, *y;
    double ref[5 * 24];
    ligo_rng_seed(&rng, 7);
    x = param(ctx, &rng, 2, R, C, 0, 3.0f);
    g = param(ctx, &rng, 1, C, 0, 0, 1.0f);
    b = param(ctx, &rng, 1, C, 0, 0, 1.0f);
    for (c = 0; c < C; c++) x->data[c] += 100.0f; /* a row with a large mean */
    y = ligo_layernorm(ctx, x, g, b, 1e-5f);
    for (r = 0; r < R; r++) {
        double mean = 0.0, var = 0.0;
        for (c = 0; c < C; c++) mean += x->data[r * C + c];
        mean /= (double)C;
        for (c = 0; c < C; c++) var += (x->data[r * C + c] - mean) * (x->data[r * C + c] - mean);
        var /= (double)C;
        for (c = 0; c < C; c++)
            ref[r * C + c] = (x->data[r * C + c] - mean) / sqrt(var + 1e-5) * g->data[c] + b->data[c];
    }
    CHECK(y != NULL);
    if (y) CHECK(max_abs_diff(y->data, ref, R * C) < 2e-5);
    ligo_ctx_free(ctx);
}

static void test_forward_gelu(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_tensor *x = ligo_new_1d(ctx, 41), *y;
    double ref[41];
    int i;
    for (i = 0; i < 41; i++) x->data[i] = -8.0f + 0.4f * (float)i;
    y = ligo_gelu(ctx, x);
    for (i = 0; i < 41; i++) {
        double v = x->data[i];
        ref[i] = 0.5 * v * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (v + 0.044715 * v * v * v)));
    }
    CHECK(y != NULL);
    if (y) CHECK(max_abs_diff(y->data, ref, 41) < 1e-5);
    ligo_ctx_free(ctx);
}

static void attention_ref(const float *qkv, int64_t B, int64_t T, int64_t C, int64_t NH, int causal, double *out) {
    int64_t hs = C / NH, b, h, t, u, d;
    double *p = (double *)malloc((size_t)T * sizeof(double));
    for (b = 0; b < B; b++)
        for (h = 0; h < NH; h++)
            for (t = 0; t < T; t++) {
                const float *q = qkv + (b * T + t) * 3 * C + h * hs;
                double mx = -1e300, sum = 0.0;
                int64_t end = causal ? t + 1 : T;
                for (u = 0; u < end; u++) {
                    const float *k = qkv + (b * T + u) * 3 * C + C + h * hs;
                    double s = 0.0;
                    for (d = 0; d < hs; d++) s += (double)q[d] * k[d];
                    p[u] = s / sqrt((double)hs);
                    if (p[u] > mx) mx = p[u];
                }
                for (u = 0; u < end; u++) {
                    p[u] = exp(p[u] - mx);
                    sum += p[u];
                }
                for (d = 0; d < hs; d++) {
                    double acc = 0.0;
                    for (u = 0; u < end; u++) acc += p[u] / sum * qkv[(b * T + u) * 3 * C + 2 * C + h * hs + d];
                    out[(b * T + t) * C + h * hs + d] = acc;
                }
            }
    free(p);
}

static void test_forward_attention(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_rng rng;
    int64_t B = 3, T = 17, C = 24, NH = 4;
    int causal, pass;
    double *ref = (double *)malloc((size_t)(B * T * C) * sizeof(double));
    ligo_rng_seed(&rng, 8);
    for (pass = 0; pass < 2; pass++) {
        /* second pass: a longer sequence and a head size over 16 (two
         * column panels, partial 6-row tiles) */
        if (pass == 1) {
            B = 2;
            T = 70;
            C = 40;
            NH = 2;
            free(ref);
            ref = (double *)malloc((size_t)(B * T * C) * sizeof(double));
        }
        for (causal = 0; causal < 2; causal++) {
            ligo_tensor *qkv = param(ctx, &rng, 3, B, T, 3 * C, 2.0f);
            ligo_tensor *y = ligo_attention(ctx, qkv, NH, causal);
            CHECK(y && y->ndim == 3 && y->shape[2] == C);
            attention_ref(qkv->data, B, T, C, NH, causal, ref);
            if (y) CHECK_MSG(max_abs_diff(y->data, ref, B * T * C) < 1e-5, "T=%d causal=%d", (int)T, causal);
        }
    }
    free(ref);
    ligo_ctx_free(ctx);
}

static void test_forward_cross_entropy(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_rng rng;
    int64_t R = 6, V = 11, r, v;
    int32_t tg[6] = {3, -1, 10, 0, -1, 7};
    ligo_tensor *x, *loss;
    double total = 0.0;
    int count = 0;
    ligo_rng_seed(&rng, 9);
    x = param(ctx, &rng, 2, R, V, 0, 5.0f);
    x->data[0] = 80.0f; /* a large logit must not overflow */
    loss = ligo_cross_entropy(ctx, x, tg, R, -1);
    for (r = 0; r < R; r++) {
        double mx = -1e300, s = 0.0;
        if (tg[r] == -1) continue;
        for (v = 0; v < V; v++) mx = x->data[r * V + v] > mx ? x->data[r * V + v] : mx;
        for (v = 0; v < V; v++) s += exp(x->data[r * V + v] - mx);
        total += mx + log(s) - x->data[r * V + tg[r]];
        count++;
    }
    CHECK(loss != NULL);
    if (loss) CHECK_NEAR(loss->data[0], total / count, 1e-5 * (1.0 + fabs(total / count)));
    CHECK(ligo_cross_entropy_count(loss) == count && count == 4);
    CHECK(ligo_cross_entropy_count(x) == 0 && ligo_cross_entropy_count(NULL) == 0);
    {
        /* every row ignored: loss 0, gradient 0 */
        int32_t none[6] = {-1, -1, -1, -1, -1, -1};
        ligo_tensor *l0 = ligo_cross_entropy(ctx, x, none, R, -1);
        CHECK(l0 && l0->data[0] == 0.0f && ligo_cross_entropy_count(l0) == 0);
    }
    ligo_ctx_free(ctx);
}

static void test_forward_embedding(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_rng rng;
    int32_t ids[5] = {2, 0, 2, 6, 1};
    ligo_tensor *w, *y;
    int i, c, same = 1;
    ligo_rng_seed(&rng, 10);
    w = param(ctx, &rng, 2, 7, 4, 0, 1.0f);
    y = ligo_embedding(ctx, w, ids, 5);
    CHECK(y && y->shape[0] == 5 && y->shape[1] == 4);
    if (y)
        for (i = 0; i < 5; i++)
            for (c = 0; c < 4; c++) same &= y->data[i * 4 + c] == w->data[ids[i] * 4 + c];
    CHECK(same);
    ligo_ctx_free(ctx);
}

static void test_forward_small_ops(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_tensor *a = ligo_new_2d(ctx, 2, 3), *b = ligo_new_2d(ctx, 2, 3), *row = ligo_new_1d(ctx, 3);
    ligo_tensor *t;
    int i;
    for (i = 0; i < 6; i++) {
        a->data[i] = (float)i;
        b->data[i] = (float)(10 * i);
    }
    for (i = 0; i < 3; i++) row->data[i] = (float)(100 * (i + 1));
    t = ligo_add(ctx, a, row);
    CHECK(t && t->data[0] == 100.0f && t->data[4] == 204.0f);
    t = ligo_sub(ctx, a, b);
    CHECK(t && t->data[5] == -45.0f);
    t = ligo_mul(ctx, a, b);
    CHECK(t && t->data[3] == 90.0f);
    t = ligo_transpose(ctx, a); /* [[0,3],[1,4],[2,5]] */
    CHECK(t && t->shape[0] == 3 && t->data[1] == 3.0f && t->data[4] == 2.0f);
    t = ligo_concat(ctx, a, b, 1); /* row 1: 3 4 5 30 40 50 */
    CHECK(t && t->shape[1] == 6 && t->data[6] == 3.0f && t->data[9] == 30.0f);
    t = ligo_concat(ctx, a, b, 0);
    CHECK(t && t->shape[0] == 4 && t->data[6] == 0.0f && t->data[11] == 50.0f);
    t = ligo_slice(ctx, a, 1, 1, 2); /* [[1,2],[4,5]] */
    CHECK(t && t->n == 4 && t->data[0] == 1.0f && t->data[3] == 5.0f);
    t = ligo_sum(ctx, a);
    CHECK(t && t->data[0] == 15.0f);
    t = ligo_mean(ctx, a);
    CHECK(t && t->data[0] == 2.5f);
    t = ligo_scale(ctx, a, 0.5f);
    CHECK(t && t->data[5] == 2.5f);
    ligo_ctx_free(ctx);
}

/* ------------------------------------------------------------ bad input */

static void expect_error(ligo_ctx *ctx, ligo_tensor *t, ligo_status want, const char *needle, int line) {
    if (t != NULL) harness_fail(__FILE__, line, "builder succeeded, want %s", ligo_status_str(want));
    if (ligo_get_status(ctx) != want)
        harness_fail(__FILE__, line, "status %s, want %s (%s)", ligo_status_str(ligo_get_status(ctx)),
                     ligo_status_str(want), ligo_get_error(ctx));
    if (needle && !strstr(ligo_get_error(ctx), needle))
        harness_fail(__FILE__, line, "message \"%s\" lacks \"%s\"", ligo_get_error(ctx), needle);
    ligo_clear_error(ctx);
}
#define EXPECT_ERR(t, want, needle) expect_error(ctx, (t), (want), (needle), __LINE__)

static void test_bad_inputs(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_tensor *a = ligo_new_2d(ctx, 2, 3), *b = ligo_new_2d(ctx, 3, 4), *v4 = ligo_new_1d(ctx, 4);
    ligo_tensor *q = ligo_new_3d(ctx, 1, 2, 12), *c3 = ligo_new_1d(ctx, 3);
    int64_t bad[2] = {2, -1}, big[4] = {1 << 20, 1 << 20, 1 << 20, 1 << 20}, s6[2] = {6, 1};
    int32_t ids[3] = {0, 1, 5}, tg2[2] = {0, 3};

    EXPECT_ERR(ligo_add(ctx, NULL, a), LIGO_EINVAL, "ligo_add");
    EXPECT_ERR(ligo_add(ctx, a, b), LIGO_ESHAPE, "2x3");
    EXPECT_ERR(ligo_sub(ctx, a, NULL), LIGO_EINVAL, "ligo_sub");
    EXPECT_ERR(ligo_mul(ctx, a, v4), LIGO_ESHAPE, "ligo_mul");
    EXPECT_ERR(ligo_scale(ctx, NULL, 1.0f), LIGO_EINVAL, "ligo_scale");
    EXPECT_ERR(ligo_scale(ctx, a, (float)HUGE_VAL), LIGO_ENONFINITE, "ligo_scale");
    EXPECT_ERR(ligo_matmul(ctx, a, a, 0, 0), LIGO_ESHAPE, "inner dims differ (2x3 @ 2x3)");
    EXPECT_ERR(ligo_matmul(ctx, a, q, 0, 0), LIGO_ESHAPE, "2-D");
    EXPECT_ERR(ligo_matmul(ctx, NULL, b, 0, 0), LIGO_EINVAL, "ligo_matmul");
    EXPECT_ERR(ligo_transpose(ctx, q), LIGO_ESHAPE, "ligo_transpose");
    EXPECT_ERR(ligo_reshape(ctx, a, 2, bad), LIGO_EINVAL, "ligo_reshape");
    EXPECT_ERR(ligo_reshape(ctx, a, 4, big), LIGO_EOVERFLOW, "ligo_reshape");
    EXPECT_ERR(ligo_reshape(ctx, a, 5, s6), LIGO_EINVAL, "ndim 5");
    EXPECT_ERR(ligo_reshape(ctx, b, 2, s6), LIGO_ESHAPE, "ligo_reshape");
    EXPECT_ERR(ligo_concat(ctx, a, b, 0), LIGO_ESHAPE, "ligo_concat");
    EXPECT_ERR(ligo_concat(ctx, a, a, 2), LIGO_EINVAL, "axis");
    EXPECT_ERR(ligo_slice(ctx, a, 1, 2, 2), LIGO_ERANGE, "ligo_slice");
    EXPECT_ERR(ligo_slice(ctx, a, 0, -1, 1), LIGO_ERANGE, "ligo_slice");
    EXPECT_ERR(ligo_slice(ctx, a, 0, 0, 0), LIGO_ERANGE, "ligo_slice");
    EXPECT_ERR(ligo_slice(ctx, a, 3, 0, 1), LIGO_EINVAL, "axis");
    EXPECT_ERR(ligo_sum(ctx, NULL), LIGO_EINVAL, "ligo_sum");
    EXPECT_ERR(ligo_mean(ctx, NULL), LIGO_EINVAL, "ligo_mean");
    EXPECT_ERR(ligo_linear(ctx, a, b, NULL), LIGO_ESHAPE, "ligo_linear");
    EXPECT_ERR(ligo_linear(ctx, a, a, v4), LIGO_ESHAPE, "bias");
    EXPECT_ERR(ligo_linear(ctx, a, NULL, NULL), LIGO_EINVAL, "ligo_linear");
    EXPECT_ERR(ligo_linear_gelu(ctx, a, b, NULL), LIGO_ESHAPE, "ligo_linear");
    EXPECT_ERR(ligo_linear_gelu(ctx, NULL, a, NULL), LIGO_EINVAL, "ligo_linear");
    EXPECT_ERR(ligo_layernorm(ctx, a, v4, c3, 1e-5f), LIGO_ESHAPE, "ligo_layernorm");
    EXPECT_ERR(ligo_layernorm(ctx, a, c3, c3, 0.0f), LIGO_EINVAL, "eps");
    EXPECT_ERR(ligo_layernorm(ctx, a, c3, NULL, 1e-5f), LIGO_EINVAL, "ligo_layernorm");
    EXPECT_ERR(ligo_gelu(ctx, NULL), LIGO_EINVAL, "ligo_gelu");
    EXPECT_ERR(ligo_attention(ctx, q, 3, 1), LIGO_ESHAPE, "heads");
    EXPECT_ERR(ligo_attention(ctx, q, 0, 1), LIGO_ESHAPE, "heads");
    EXPECT_ERR(ligo_attention(ctx, a, 1, 1), LIGO_ESHAPE, "(B, T, 3C)");
    {
        /* attention_mask: q (1, 2, 12); k and v (1, 3, 12) */
        ligo_tensor *k3 = ligo_new_3d(ctx, 1, 3, 12), *k6 = ligo_new_3d(ctx, 1, 2, 6), *m23 = ligo_new_2d(ctx, 2, 3);
        ligo_tensor *m32 = ligo_new_2d(ctx, 3, 2);
        EXPECT_ERR(ligo_attention_mask(ctx, q, k3, k3, NULL, 5), LIGO_ESHAPE, "5 heads do not divide C = 12");
        EXPECT_ERR(ligo_attention_mask(ctx, q, k3, k3, NULL, 0), LIGO_ESHAPE, "heads");
        EXPECT_ERR(ligo_attention_mask(ctx, a, k3, k3, NULL, 1), LIGO_ESHAPE, "(B, T, C)");
        EXPECT_ERR(ligo_attention_mask(ctx, q, k3, q, NULL, 1), LIGO_ESHAPE, "one shape");
        EXPECT_ERR(ligo_attention_mask(ctx, q, k6, k6, NULL, 1), LIGO_ESHAPE, "differ in B or C");
        EXPECT_ERR(ligo_attention_mask(ctx, q, q, q, m23, 1), LIGO_ESHAPE, "mask 2x3 must be (Tq, Tk) = (2, 2)");
        EXPECT_ERR(ligo_attention_mask(ctx, q, k3, k3, m32, 1), LIGO_ESHAPE,
                   "mask 3x2 must be (Tq, Tk) = (2, 3)");
        EXPECT_ERR(ligo_attention_mask(ctx, q, k3, k3, c3, 1), LIGO_ESHAPE, "mask 3 must be");
        EXPECT_ERR(ligo_attention_mask(ctx, q, k3, NULL, m23, 1), LIGO_EINVAL, "tensor argument 3 is NULL");
        EXPECT_ERR(ligo_attention_mask(ctx, NULL, k3, k3, m23, 1), LIGO_EINVAL, "ligo_attention_mask");
    }
    EXPECT_ERR(ligo_cross_entropy(ctx, a, tg2, 2, -1), LIGO_ERANGE, "target 3");
    EXPECT_ERR(ligo_cross_entropy(ctx, a, tg2, 1, -1), LIGO_ESHAPE, "targets");
    EXPECT_ERR(ligo_cross_entropy(ctx, a, NULL, 2, -1), LIGO_EINVAL, "targets");
    EXPECT_ERR(ligo_embedding(ctx, b, ids, 3), LIGO_ERANGE, "id 5");
    EXPECT_ERR(ligo_embedding(ctx, b, ids, 0), LIGO_EINVAL, "ligo_embedding");
    EXPECT_ERR(ligo_embedding(ctx, b, NULL, 3), LIGO_EINVAL, "ligo_embedding");
    EXPECT_ERR(ligo_embedding(ctx, q, ids, 2), LIGO_ESHAPE, "ligo_embedding");
    EXPECT_ERR(ligo_embedding(ctx, NULL, ids, 2), LIGO_EINVAL, "ligo_embedding");
    {
        /* outputs past the one size limit (2^38 elements), and attention's
         * saved probabilities (B x NH x T x T) */
        ligo_tensor *tall = ligo_new_2d(ctx, 1 << 20, 1), *wide = ligo_new_2d(ctx, 1, 1 << 20);
        ligo_tensor *longq = ligo_new_3d(ctx, 1, 1 << 20, 3);
        EXPECT_ERR(ligo_matmul(ctx, tall, wide, 0, 0), LIGO_EOVERFLOW, "ligo_matmul: result 1048576x1048576");
        EXPECT_ERR(ligo_attention(ctx, longq, 1, 1), LIGO_EOVERFLOW, "more than 2^38");
        EXPECT_ERR(ligo_attention_mask(ctx, longq, longq, longq, NULL, 1), LIGO_EOVERFLOW,
                   "ligo_attention_mask: saved P (B x NH x Tq x Tk) 1x1x1048576x1048576 is too large");
    }
    /* nothing recorded by the failures */
    CHECK(ligo_tape_length(ctx) == 0);
    CHECK(ligo_add(NULL, a, a) == NULL);
    ligo_ctx_free(ctx);
}

/* After a failure every builder returns NULL until the error is cleared. */
static void test_sticky_errors(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_tensor *a = ligo_new_2d(ctx, 2, 3), *b = ligo_new_2d(ctx, 3, 4);
    ligo_tensor *x;
    CHECK(ligo_matmul(ctx, a, a, 0, 0) == NULL);
    x = ligo_add(ctx, a, a);
    CHECK(x == NULL);
    CHECK(ligo_new_2d(ctx, 2, 2) == NULL);
    CHECK(ligo_get_status(ctx) == LIGO_ESHAPE);
    CHECK(strstr(ligo_get_error(ctx), "ligo_matmul") != NULL); /* the first error is kept */
    ligo_clear_error(ctx);
    CHECK(ligo_matmul(ctx, a, b, 0, 0) != NULL);
    CHECK(ligo_get_status(ctx) == LIGO_OK && ligo_get_error(ctx)[0] == '\0');
    ligo_ctx_free(ctx);
}

/* Exhausting the scratch region is LIGO_ENOMEM with a message. */
static void test_arena_exhaustion_in_ops(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    ligo_ctx *ctx;
    ligo_tensor *a, *t;
    int i;
    p.scratch_limit = 64 * 1024;
    p.chunk_bytes = 16 * 1024;
    p.n_threads = 1;
    ctx = ligo_ctx_new(&p);
    a = ligo_new_2d(ctx, 16, 16);
    CHECK(a != NULL);
    t = a;
    for (i = 0; i < 1000 && t; i++) t = ligo_add(ctx, t, a);
    CHECK(t == NULL);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_ENOMEM);
    CHECK(strstr(ligo_get_error(ctx), "scratch") != NULL);
    ligo_ctx_free(ctx);
}

void suite_ops(void) {
    RUN(test_gradcheck_every_op);
    RUN(test_gradcheck_detects_1pct);
    RUN(test_every_op_has_a_gradcheck);
    RUN(test_forward_refs);
    RUN(test_null_inputs);
    RUN(test_forward_linear);
    RUN(test_forward_linear_gelu);
    RUN(test_forward_matmul);
    RUN(test_forward_layernorm);
    RUN(test_forward_gelu);
    RUN(test_forward_attention);
    RUN(test_forward_cross_entropy);
    RUN(test_forward_embedding);
    RUN(test_forward_small_ops);
    RUN(test_bad_inputs);
    RUN(test_sticky_errors);
    RUN(test_arena_exhaustion_in_ops);
}
