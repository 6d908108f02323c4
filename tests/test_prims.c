/* test_prims.c: the primitives a model of one's own is built from (issue
 * 19): behaviour the op cases of test_ops.c do not reach (IEEE edges,
 * broadcasting, dropout's mask and modes, attention built from primitives
 * against the fused op) and the ops against PyTorch
 * (tests/ref/ops.safetensors from tests/gen_ops_ref.py). The custom-op
 * hook has its own suite, tests/test_custom.c. */
#include "harness.h"

#include <stdlib.h>

static ligo_ctx *new_ctx(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = 2;
    return ligo_ctx_new(&p);
}

/* log and sqrt outside their domain: IEEE values, no error. */
static void test_log_sqrt_ieee(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_tensor *x = ligo_new_1d(ctx, 4), *l, *s;
    x->data[0] = 0.0f;
    x->data[1] = -1.0f;
    x->data[2] = 1.0f;
    x->data[3] = (float)INFINITY;
    l = ligo_log(ctx, x);
    s = ligo_sqrt(ctx, x);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_OK);
    CHECK(l && isinf(l->data[0]) && l->data[0] < 0.0f && isnan(l->data[1]) && l->data[2] == 0.0f &&
          isinf(l->data[3]));
    CHECK(s && s->data[0] == 0.0f && isnan(s->data[1]) && s->data[2] == 1.0f && isinf(s->data[3]));
    ligo_ctx_free(ctx);
}

/* A (T, C) table and a (C) row broadcast over (B, T, C): values, and b's
 * gradient summed over the leading dims, against loops written here;
 * shapes that do not end a's are refused naming both. */
static void test_broadcast_leading(void) {
    ligo_ctx *ctx = new_ctx();
    int64_t B = 3, T = 4, C = 5, sa[3] = {3, 4, 5}, sb[2] = {4, 5}, sc[1] = {5}, s1[4] = {1, 3, 4, 5};
    ligo_tensor *a = ligo_new_param(ctx, 3, sa), *b = ligo_new_param(ctx, 2, sb), *c = ligo_new_param(ctx, 1, sc);
    ligo_tensor *w = ligo_new(ctx, 3, sa), *y, *loss;
    ligo_rng rng;
    int64_t i, t, k, bad = 0, bad_g = 0;
    double gc[5];
    int op;
    ligo_rng_seed(&rng, 3);
    ligo_fill_uniform(a, &rng, -1.0f, 1.0f);
    ligo_fill_uniform(b, &rng, 0.5f, 1.5f);
    ligo_fill_uniform(c, &rng, 0.5f, 1.5f);
    ligo_fill_uniform(w, &rng, -1.0f, 1.0f);
    for (op = 0; op < 4; op++) {
        ligo_tensor *(*f)(ligo_ctx *, ligo_tensor *, ligo_tensor *) =
            op == 0 ? ligo_add : op == 1 ? ligo_sub : op == 2 ? ligo_mul : ligo_div;
        ligo_zero_grad(a);
        ligo_zero_grad(b);
        ligo_zero_grad(c);
        bad = bad_g = 0;
        /* y = (a op b) op c, loss = sum(y w) */
        y = f(ctx, f(ctx, a, b), c);
        loss = ligo_sum(ctx, ligo_mul(ctx, y, w));
        CHECK_MSG(loss != NULL, "%s", ligo_get_error(ctx));
        if (!loss) break;
        CHECK_STATUS(ligo_backward(ctx, loss), LIGO_OK);
        memset(gc, 0, sizeof gc);
        for (t = 0; t < T; t++)
            for (k = 0; k < C; k++) {
                double gb = 0.0;
                for (i = 0; i < B; i++) {
                    int64_t e = (i * T + t) * C + k;
                    double u = a->data[e], v = b->data[t * C + k], z = c->data[k], ab, want, g = w->data[e];
                    ab = op == 0 ? u + v : op == 1 ? u - v : op == 2 ? u * v : u / v;
                    want = op == 0 ? ab + z : op == 1 ? ab - z : op == 2 ? ab * z : ab / z;
                    if (fabs(y->data[e] - want) > 1e-5) bad++;
                    /* d loss / d b sums over B, d loss / d c over B and T */
                    gb += op == 0 ? g : op == 1 ? -g : op == 2 ? g * u * z : -g * u / (v * v) / z;
                    gc[k] += op == 0 ? g : op == 1 ? -g : op == 2 ? g * ab : -g * ab / (z * z);
                }
                if (fabs(b->grad[t * C + k] - gb) > 1e-5) bad_g++;
            }
        for (k = 0; k < C; k++)
            if (fabs(c->grad[k] - gc[k]) > 1e-5) bad_g++;
        CHECK_MSG(bad == 0 && bad_g == 0, "op %d: %lld values and %lld gradients off", op, (long long)bad,
                  (long long)bad_g);
    }
    /* b with more dims, all leading 1s: still a's trailing dims */
    y = ligo_add(ctx, a, ligo_new(ctx, 4, s1));
    CHECK(y && y->ndim == 3 && y->shape[0] == 3);
    {
        int64_t s31[2] = {3, 1}, s24[2] = {2, 5}, s435[3] = {4, 4, 5};
        CHECK(ligo_add(ctx, a, ligo_new(ctx, 2, s31)) == NULL);
        CHECK(ligo_get_status(ctx) == LIGO_ESHAPE && strstr(ligo_get_error(ctx), "3x4x5 and 3x1"));
        ligo_clear_error(ctx);
        CHECK(ligo_mul(ctx, a, ligo_new(ctx, 2, s24)) == NULL);
        CHECK(ligo_get_status(ctx) == LIGO_ESHAPE && strstr(ligo_get_error(ctx), "ligo_mul"));
        ligo_clear_error(ctx);
        CHECK(ligo_div(ctx, a, ligo_new(ctx, 3, s435)) == NULL);
        CHECK(ligo_get_status(ctx) == LIGO_ESHAPE && strstr(ligo_get_error(ctx), "ligo_div: shapes 3x4x5 and 4x4x5"));
        ligo_clear_error(ctx);
        /* a smaller than b: the result has a's shape, so no */
        CHECK(ligo_sub(ctx, b, a) == NULL && ligo_get_status(ctx) == LIGO_ESHAPE);
    }
    ligo_ctx_free(ctx);
}

/* The mask: one ligo_rng_uniform draw per element (kept when >= p), the
 * same for the same RNG state, about 1 - p of the elements kept; p = 0 is
 * the identity and leaves the RNG alone; p = 1 zeroes everything. */
static void test_dropout_mask(void) {
    ligo_ctx *ctx = new_ctx();
    int64_t n = 100000, i, kept = 0, same = 1, ident = 1, draws_ok = 1;
    ligo_tensor *x = ligo_new_1d(ctx, n), *y, *y2, *y0, *y1;
    ligo_rng rng, again, shadow;
    const float p = 0.25f, scale = 1.0f / (1.0f - p);
    ligo_rng_seed(&rng, 77);
    ligo_fill_uniform(x, &rng, -1.0f, 1.0f);
    again = shadow = rng;
    y = ligo_dropout(ctx, x, p, &rng);
    y2 = ligo_dropout(ctx, x, p, &again);
    CHECK(y && y2);
    if (!y || !y2) {
        ligo_ctx_free(ctx);
        return;
    }
    for (i = 0; i < n; i++) {
        int keep = ligo_rng_uniform(&shadow) >= p;
        kept += keep;
        same &= y->data[i] == y2->data[i];
        /* the kept value rounded to float (the cast: on s390x gcc -std=c99
         * evaluates float expressions in double, FLT_EVAL_METHOD 1) */
        draws_ok &= keep ? y->data[i] == (float)(x->data[i] * scale) : y->data[i] == 0.0f;
    }
    CHECK(same && draws_ok);
    CHECK(memcmp(&rng, &shadow, sizeof rng) == 0); /* advanced by n draws */
    CHECK_MSG(fabs((double)kept / (double)n - 0.75) < 0.01, "kept %lld of %lld", (long long)kept, (long long)n);
    /* p = 0: the identity, no draw, no RNG needed */
    shadow = rng;
    y0 = ligo_dropout(ctx, x, 0.0f, &rng);
    CHECK(y0 && memcmp(&rng, &shadow, sizeof rng) == 0);
    for (i = 0; y0 && i < n; i++) ident &= y0->data[i] == x->data[i];
    CHECK(ident);
    CHECK(ligo_dropout(ctx, x, 0.0f, NULL) != NULL);
    /* p = 1: all dropped */
    y1 = ligo_dropout(ctx, x, 1.0f, &rng);
    CHECK(y1 && y1->data[0] == 0.0f && y1->data[n - 1] == 0.0f);
    /* bad p, missing RNG */
    CHECK(ligo_dropout(ctx, x, 1.5f, &rng) == NULL && strstr(ligo_get_error(ctx), "p is 1.5"));
    ligo_clear_error(ctx);
    CHECK(ligo_dropout(ctx, x, (float)NAN, &rng) == NULL && strstr(ligo_get_error(ctx), "p is nan"));
    ligo_clear_error(ctx);
    CHECK(ligo_dropout(ctx, x, 0.5f, NULL) == NULL && strstr(ligo_get_error(ctx), "rng is NULL"));
    ligo_clear_error(ctx);
    ligo_ctx_free(ctx);
}

/* A tiny regression MLP, tanh(x W1^T + b1) -> dropout -> W2: trained with
 * dropout on (p = 0.2, a new mask each step), evaluated with p = 0, which
 * is deterministic and leaves the RNG where it was. */
typedef struct mlp {
    ligo_tensor *w1, *b1, *w2, *x, *y;
} mlp;

static ligo_tensor *mlp_loss(ligo_ctx *ctx, const mlp *m, float p, ligo_rng *rng) {
    ligo_tensor *h = ligo_dropout(ctx, ligo_tanh(ctx, ligo_linear(ctx, m->x, m->w1, m->b1)), p, rng);
    ligo_tensor *d = ligo_sub(ctx, ligo_linear(ctx, h, m->w2, NULL), m->y);
    return ligo_mean(ctx, ligo_mul(ctx, d, d));
}

static void test_dropout_training(void) {
    ligo_ctx *ctx = new_ctx();
    int64_t s1[2] = {16, 3}, sb[1] = {16}, s2[2] = {1, 16}, i, k;
    mlp m;
    ligo_rng rng, init, before;
    float first = 0.0f, last = 0.0f, e1, e2;
    int step;
    ligo_tensor *params[3];
    ligo_rng_seed(&init, 5);
    m.w1 = ligo_new_param(ctx, 2, s1);
    m.b1 = ligo_new_param(ctx, 1, sb);
    m.w2 = ligo_new_param(ctx, 2, s2);
    ligo_fill_normal(m.w1, &init, 0.0f, 0.5f);
    ligo_fill_normal(m.w2, &init, 0.0f, 0.5f);
    m.x = ligo_new_2d(ctx, 32, 3);
    m.y = ligo_new_2d(ctx, 32, 1);
    ligo_fill_uniform(m.x, &init, -1.0f, 1.0f);
    for (i = 0; i < 32; i++) m.y->data[i] = sinf(2.0f * m.x->data[3 * i]) + 0.5f * m.x->data[3 * i + 1];
    params[0] = m.w1, params[1] = m.b1, params[2] = m.w2;
    ligo_rng_seed(&rng, 9);
    for (step = 0; step < 200; step++) {
        ligo_mark mk = ligo_scratch_mark(ctx);
        ligo_tensor *loss;
        for (k = 0; k < 3; k++) ligo_zero_grad(params[k]);
        if (step == 0) first = mlp_loss(ctx, &m, 0.0f, NULL)->data[0];
        loss = mlp_loss(ctx, &m, 0.2f, &rng);
        CHECK_MSG(loss != NULL, "%s", ligo_get_error(ctx));
        if (!loss) break;
        CHECK_STATUS(ligo_backward(ctx, loss), LIGO_OK);
        for (k = 0; k < 3; k++)
            for (i = 0; i < params[k]->n; i++) params[k]->data[i] -= 0.1f * params[k]->grad[i];
        ligo_scratch_rewind(ctx, mk);
    }
    before = rng;
    e1 = mlp_loss(ctx, &m, 0.0f, &rng)->data[0];
    e2 = mlp_loss(ctx, &m, 0.0f, &rng)->data[0];
    last = e1;
    CHECK(e1 == e2 && memcmp(&rng, &before, sizeof rng) == 0);
    CHECK_MSG(last < 0.5f * first, "evaluation loss %g -> %g", first, last);
    if (getenv("LIGO_TEST_VERBOSE")) printf("  dropout MLP: evaluation loss %.4f -> %.4f\n", first, last);
    ligo_ctx_free(ctx);
}

/* element (i, k) of op(X), X row-major with c columns */
static double opx(const float *X, int t, int64_t c, int64_t i, int64_t k) {
    return t ? (double)X[k * c + i] : (double)X[i * c + k];
}

static int hook_calls;
static int counting_hook(void *user, int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                         int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    (void)user, (void)ta, (void)tb, (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)lda, (void)B, (void)ldb;
    (void)beta, (void)C, (void)ldc;
    hook_calls++;
    return 0; /* declined: the built-in kernel computes it */
}

/* bmm on both paths (M N K under and over 2^18), every transpose: values
 * and gradients of sum(out * W) against float64 loops, the same bits on 1
 * and 2 threads, and every product offered to the GEMM hook. */
static void test_bmm_paths(void) {
    static const int64_t sizes[2][3] = {{7, 9, 5}, {70, 65, 60}}; /* M, N, K */
    int pass, ta, tb, nt;
    for (pass = 0; pass < 2; pass++)
        for (ta = 0; ta < 2; ta++)
            for (tb = 0; tb < 2; tb++) {
                int64_t Bt = 2, M = sizes[pass][0], N = sizes[pass][1], K = sizes[pass][2], t, i, j, k;
                int64_t sa[3], sb[3], so[3];
                float *keep[3] = {NULL, NULL, NULL};
                double worst = 0.0;
                int bitwise = 1;
                sa[0] = sb[0] = so[0] = Bt;
                sa[1] = ta ? K : M, sa[2] = ta ? M : K;
                sb[1] = tb ? N : K, sb[2] = tb ? K : N;
                so[1] = M, so[2] = N;
                for (nt = 1; nt <= 2; nt++) {
                    ligo_ctx_params cp = ligo_ctx_params_default();
                    ligo_ctx *ctx;
                    ligo_tensor *a, *b, *w, *y;
                    ligo_rng rng;
                    cp.n_threads = nt;
                    ctx = ligo_ctx_new(&cp);
                    ligo_rng_seed(&rng, 100 + (uint64_t)(4 * pass + 2 * ta + tb));
                    a = ligo_new_param(ctx, 3, sa);
                    b = ligo_new_param(ctx, 3, sb);
                    w = ligo_new(ctx, 3, so);
                    ligo_fill_uniform(a, &rng, -1.0f, 1.0f);
                    ligo_fill_uniform(b, &rng, -1.0f, 1.0f);
                    ligo_fill_uniform(w, &rng, -1.0f, 1.0f);
                    hook_calls = 0;
                    ligo_set_sgemm(counting_hook, NULL);
                    y = ligo_bmm(ctx, a, b, ta, tb);
                    CHECK_MSG(y != NULL, "%s", ligo_get_error(ctx));
                    if (y) CHECK_STATUS(ligo_backward(ctx, ligo_sum(ctx, ligo_mul(ctx, y, w))), LIGO_OK);
                    ligo_set_sgemm(NULL, NULL);
                    CHECK_MSG(hook_calls == 3 * (int)Bt, "%d products offered to the hook, want %d", hook_calls,
                              3 * (int)Bt);
                    if (!y) {
                        ligo_ctx_free(ctx);
                        continue;
                    }
                    if (nt == 1) {
                        for (t = 0; t < Bt; t++) {
                            const float *A = a->data + t * M * K, *Bm = b->data + t * K * N, *W = w->data + t * M * N;
                            for (i = 0; i < M; i++)
                                for (j = 0; j < N; j++) {
                                    double acc = 0.0;
                                    for (k = 0; k < K; k++) acc += opx(A, ta, sa[2], i, k) * opx(Bm, tb, sb[2], k, j);
                                    worst = fmax(worst, fabs(acc - y->data[(t * M + i) * N + j]));
                                }
                            /* d op(A) (i, k) = sum_j W(i, j) op(B)(k, j); d op(B) (k, j) = sum_i op(A)(i, k) W(i, j) */
                            for (i = 0; i < M; i++)
                                for (k = 0; k < K; k++) {
                                    double acc = 0.0;
                                    for (j = 0; j < N; j++) acc += (double)W[i * N + j] * opx(Bm, tb, sb[2], k, j);
                                    worst = fmax(worst, fabs(acc - a->grad[t * M * K + (ta ? k * M + i : i * K + k)]));
                                }
                            for (k = 0; k < K; k++)
                                for (j = 0; j < N; j++) {
                                    double acc = 0.0;
                                    for (i = 0; i < M; i++) acc += opx(A, ta, sa[2], i, k) * (double)W[i * N + j];
                                    worst = fmax(worst, fabs(acc - b->grad[t * K * N + (tb ? j * K + k : k * N + j)]));
                                }
                        }
                        keep[0] = (float *)malloc((size_t)y->n * sizeof(float));
                        keep[1] = (float *)malloc((size_t)a->n * sizeof(float));
                        keep[2] = (float *)malloc((size_t)b->n * sizeof(float));
                        memcpy(keep[0], y->data, (size_t)y->n * sizeof(float));
                        memcpy(keep[1], a->grad, (size_t)a->n * sizeof(float));
                        memcpy(keep[2], b->grad, (size_t)b->n * sizeof(float));
                    } else {
                        bitwise = !memcmp(keep[0], y->data, (size_t)y->n * sizeof(float)) &&
                                  !memcmp(keep[1], a->grad, (size_t)a->n * sizeof(float)) &&
                                  !memcmp(keep[2], b->grad, (size_t)b->n * sizeof(float));
                    }
                    ligo_ctx_free(ctx);
                }
                if (getenv("LIGO_TEST_VERBOSE"))
                    printf("  bmm M N K %lld %lld %lld ta %d tb %d: worst %.2e\n", (long long)M, (long long)N,
                           (long long)K, ta, tb, worst);
                CHECK_MSG(worst < 1e-5, "M N K %lld %lld %lld ta %d tb %d: off by %.3g",
                          (long long)M, (long long)N, (long long)K, ta, tb, worst);
                CHECK_MSG(bitwise, "M N K %lld %lld %lld ta %d tb %d: 1 and 2 threads differ", (long long)M,
                          (long long)N, (long long)K, ta, tb);
                free(keep[0]);
                free(keep[1]);
                free(keep[2]);
            }
}

/* RoPE: the score of a rotated query and key depends on their distance
 * only, and a sequence at pos0 = 0 rotates row t as that row alone at
 * pos0 = t (decoding with a cache). */
static void test_rope_relative(void) {
    ligo_ctx *ctx = new_ctx();
    int64_t C = 16, NH = 2, hs = 8, T = 6, t, c, h, shift;
    ligo_tensor *q = ligo_new_3d(ctx, 1, 1, C), *k = ligo_new_3d(ctx, 1, 1, C), *x = ligo_new_3d(ctx, 1, T, C);
    ligo_tensor *whole;
    ligo_rng rng;
    double worst = 0.0, dot0[2] = {0.0, 0.0};
    ligo_rng_seed(&rng, 21);
    ligo_fill_uniform(q, &rng, -1.0f, 1.0f);
    ligo_fill_uniform(k, &rng, -1.0f, 1.0f);
    ligo_fill_uniform(x, &rng, -1.0f, 1.0f);
    for (shift = 0; shift < 40; shift += 13) {
        ligo_tensor *rq = ligo_rope(ctx, q, NH, 10000.0f, 7 + shift), *rk = ligo_rope(ctx, k, NH, 10000.0f, 3 + shift);
        CHECK(rq && rk);
        if (!rq || !rk) break;
        for (h = 0; h < NH; h++) {
            double d = 0.0;
            for (c = 0; c < hs; c++) d += (double)rq->data[h * hs + c] * rk->data[h * hs + c];
            if (shift == 0) dot0[h] = d;
            worst = fmax(worst, fabs(d - dot0[h]));
        }
    }
    CHECK_MSG(worst < 1e-5, "q.k moved by %.3g with both positions shifted", worst);
    whole = ligo_rope(ctx, x, NH, 500.0f, 0);
    worst = 0.0;
    for (t = 0; whole && t < T; t++) {
        int64_t s[3] = {1, 1, C};
        ligo_tensor *row = ligo_new(ctx, 3, s), *r;
        memcpy(row->data, x->data + t * C, (size_t)C * sizeof(float));
        r = ligo_rope(ctx, row, NH, 500.0f, t);
        if (r) worst = fmax(worst, harness_worst(r->data, whole->data + t * C, C));
    }
    CHECK_MSG(whole && worst == 0.0, "row by row differs by %.3g", worst);
    ligo_ctx_free(ctx);
}

/* Attention three ways on qkv (B, T, 3C): 0 the fused ligo_attention, 1
 * from primitives (the recipe in ligo_attention_mask's comment), 2
 * ligo_attention_mask on q, k, v sliced out of qkv. */
static ligo_tensor *heads(ligo_ctx *ctx, ligo_tensor *x, int64_t B, int64_t T, int64_t NH, int64_t hs) {
    static const int perm[4] = {0, 2, 1, 3};
    int64_t s4[4];
    s4[0] = B, s4[1] = T, s4[2] = NH, s4[3] = hs;
    return ligo_permute(ctx, ligo_reshape(ctx, x, 4, s4), 4, perm); /* (B, NH, T, hs) */
}

static ligo_tensor *attention_way(ligo_ctx *ctx, ligo_tensor *qkv, int64_t NH, int causal, int way) {
    static const int perm[4] = {0, 2, 1, 3};
    int64_t B = qkv->shape[0], T = qkv->shape[1], C = qkv->shape[2] / 3, hs = C / NH, s2[2], s3[3], t, u;
    ligo_tensor *x2, *q, *k, *v, *mask = NULL, *s, *o;
    if (way == 0) return ligo_attention(ctx, qkv, NH, causal);
    s2[0] = B * T, s2[1] = 3 * C;
    s3[0] = B, s3[1] = T, s3[2] = C;
    x2 = ligo_reshape(ctx, qkv, 2, s2);
    q = ligo_slice(ctx, x2, 1, 0, C);
    k = ligo_slice(ctx, x2, 1, C, C);
    v = ligo_slice(ctx, x2, 1, 2 * C, C);
    if (causal) {
        mask = ligo_new_2d(ctx, T, T);
        if (!mask) return NULL;
        for (t = 0; t < T; t++)
            for (u = 0; u < T; u++) mask->data[t * T + u] = u <= t ? 0.0f : -INFINITY;
    }
    if (way == 2)
        return ligo_attention_mask(ctx, ligo_reshape(ctx, q, 3, s3), ligo_reshape(ctx, k, 3, s3),
                                   ligo_reshape(ctx, v, 3, s3), mask, NH);
    q = heads(ctx, q, B, T, NH, hs);
    k = heads(ctx, k, B, T, NH, hs);
    v = heads(ctx, v, B, T, NH, hs);
    s = ligo_scale(ctx, ligo_bmm(ctx, q, k, 0, 1), 1.0f / sqrtf((float)hs)); /* (B, NH, T, T) */
    if (mask) s = ligo_add(ctx, s, mask);
    o = ligo_bmm(ctx, ligo_softmax(ctx, s), v, 0, 0); /* (B, NH, T, hs) */
    return ligo_reshape(ctx, ligo_permute(ctx, o, 4, perm), 3, s3);
}

static double rel_diff(const float *a, const float *b, int64_t n) {
    double d = 0.0, m = 0.0;
    int64_t i;
    for (i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs((double)b[i]));
    }
    return d / (m > 0.0 ? m : 1.0);
}

/* The primitives' attention and ligo_attention_mask against the fused
 * op: outputs and the gradient of sum(out * W) with respect to qkv, to
 * 1e-5 of the largest entry, causal and not, two sizes (T = 20 crosses
 * the fused op's 6-row tiles). */
static void test_attention_from_primitives(void) {
    static const int64_t dims[2][4] = {{2, 9, 12, 3}, {1, 20, 16, 2}}; /* B, T, C, NH */
    int pass, causal, way;
    for (pass = 0; pass < 2; pass++)
        for (causal = 0; causal < 2; causal++) {
            ligo_ctx *ctx = new_ctx();
            int64_t B = dims[pass][0], T = dims[pass][1], C = dims[pass][2], NH = dims[pass][3], sq[3];
            ligo_tensor *qkv, *w, *out[3];
            float *grad[3];
            ligo_rng rng;
            sq[0] = B, sq[1] = T, sq[2] = 3 * C;
            ligo_rng_seed(&rng, 31 + (uint64_t)(2 * pass + causal));
            qkv = ligo_new_param(ctx, 3, sq);
            ligo_fill_uniform(qkv, &rng, -2.0f, 2.0f);
            w = ligo_new_3d(ctx, B, T, C);
            ligo_fill_uniform(w, &rng, -1.0f, 1.0f);
            for (way = 0; way < 3; way++) {
                ligo_zero_grad(qkv);
                out[way] = attention_way(ctx, qkv, NH, causal, way);
                CHECK_MSG(out[way] != NULL, "way %d: %s", way, ligo_get_error(ctx));
                grad[way] = (float *)malloc((size_t)qkv->n * sizeof(float));
                if (out[way]) CHECK_STATUS(ligo_backward(ctx, ligo_sum(ctx, ligo_mul(ctx, out[way], w))), LIGO_OK);
                memcpy(grad[way], qkv->grad, (size_t)qkv->n * sizeof(float));
            }
            for (way = 1; way < 3 && out[0] && out[1] && out[2]; way++) {
                double dy = rel_diff(out[way]->data, out[0]->data, out[0]->n), dg = rel_diff(grad[way], grad[0], qkv->n);
                CHECK_MSG(dy < 1e-5 && dg < 1e-5, "T %lld causal %d, %s: output off by %.3g, gradient by %.3g",
                          (long long)T, causal, way == 1 ? "primitives" : "attention_mask", dy, dg);
                if (getenv("LIGO_TEST_VERBOSE"))
                    printf("  attention T %lld causal %d, %s vs fused: output %.2e, gradient %.2e\n", (long long)T,
                           causal, way == 1 ? "primitives" : "attention_mask", dy, dg);
            }
            for (way = 0; way < 3; way++) free(grad[way]);
            ligo_ctx_free(ctx);
        }
}

/* ------------------------------------------------------ against PyTorch
 * tests/ref/ops.safetensors, written by tests/gen_ops_ref.py (PyTorch, in
 * float64 on float32 inputs): each case's inputs CASE.in.K, weights CASE.w,
 * output CASE.out and the gradients CASE.grad.K of sum(out * W); the op
 * and its arguments in the metadata (CASE.op, CASE.eps, ...). */

/* a case's numeric argument from the metadata (a failure and 0 when it
 * is missing) */
static double case_arg(const ligo_safetensors *st, const char *cs, const char *key) {
    char k[160];
    const char *v;
    snprintf(k, sizeof k, "%s.%s", cs, key);
    v = ligo_st_get_meta(st, k);
    CHECK_MSG(v != NULL, "%s: no %s in the fixture's metadata", cs, k);
    return v ? atof(v) : 0.0;
}

/* The ligo op of a case on its inputs (n of them). */
static ligo_tensor *torch_case_build(ligo_ctx *ctx, const ligo_safetensors *st, const char *cs, const char *op,
                                     ligo_tensor **in, int n) {
    static const char *const unary[6] = {"softmax", "relu", "tanh", "exp", "log", "sqrt"};
    ligo_tensor *(*const unary_fn[6])(ligo_ctx *, ligo_tensor *) = {ligo_softmax, ligo_relu, ligo_tanh,
                                                                      ligo_exp, ligo_log, ligo_sqrt};
    int i;
    for (i = 0; i < 6; i++)
        if (n == 1 && strcmp(op, unary[i]) == 0) return unary_fn[i](ctx, in[0]);
    if (n == 2 && strcmp(op, "add") == 0) return ligo_add(ctx, in[0], in[1]);
    if (n == 2 && strcmp(op, "mul") == 0) return ligo_mul(ctx, in[0], in[1]);
    if (n == 2 && strcmp(op, "div") == 0) return ligo_div(ctx, in[0], in[1]);
    if (n == 2 && strcmp(op, "rmsnorm") == 0) return ligo_rmsnorm(ctx, in[0], in[1], (float)case_arg(st, cs, "eps"));
    if (n == 2 && (strcmp(op, "bmm") == 0 || strcmp(op, "matmul") == 0)) {
        int ta = (int)case_arg(st, cs, "ta"), tb = (int)case_arg(st, cs, "tb");
        return op[0] == 'b' ? ligo_bmm(ctx, in[0], in[1], ta, tb) : ligo_matmul(ctx, in[0], in[1], ta, tb);
    }
    if (n == 1 && strcmp(op, "permute") == 0) {
        char k[160];
        const char *v;
        int perm[LIGO_MAX_DIMS], d = 0;
        snprintf(k, sizeof k, "%s.perm", cs);
        for (v = ligo_st_get_meta(st, k); v && *v && d < LIGO_MAX_DIMS; v++)
            if (*v != ',') perm[d++] = *v - '0';
        return ligo_permute(ctx, in[0], d, perm);
    }
    if (n == 1 && strcmp(op, "rope") == 0)
        return ligo_rope(ctx, in[0], (int64_t)case_arg(st, cs, "n_head"), (float)case_arg(st, cs, "base"),
                         (int64_t)case_arg(st, cs, "pos0"));
    if (n == 1 && strcmp(op, "silu") == 0) return ligo_silu(ctx, in[0]);
    if (n == 4 && strcmp(op, "swiglu") == 0) return ligo_swiglu(ctx, in[0], in[1], in[2], in[3]);
    if (n == 3 && strcmp(op, "attention_grouped") == 0)
        return ligo_attention_grouped(ctx, in[0], in[1], in[2], (int64_t)case_arg(st, cs, "n_head"),
                                      (int64_t)case_arg(st, cs, "n_kv_head"), (int)case_arg(st, cs, "causal"));
    if ((n == 3 || n == 4) && strcmp(op, "attention_mask") == 0)
        return ligo_attention_mask(ctx, in[0], in[1], in[2], n == 4 ? in[3] : NULL,
                                   (int64_t)case_arg(st, cs, "n_head"));
    return NULL;
}

/* max |a - ref| / max |ref| over n floats, NaN / inf-safe for a (a NaN is
 * the worst) */
static double torch_rel(const float *a, const float *ref, int64_t n) {
    double d = 0.0, m = 0.0;
    int64_t i;
    for (i = 0; i < n; i++) {
        double e = fabs((double)a[i] - ref[i]);
        d = e == e ? fmax(d, e) : HUGE_VAL;
        m = fmax(m, fabs((double)ref[i]));
    }
    return d / (m > 0.0 ? m : 1.0);
}

/* Each case's output and input gradients against PyTorch's, to 1e-5 of
 * each tensor's largest entry (the float32 computation's error measures
 * about 1e-7; the fixture stores float64 results rounded to float32, 3e-8). */
static void test_ops_against_torch(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_safetensors st;
    const char *list, *p;
    int n_cases = 0;
    double worst_y = 0.0, worst_g = 0.0;
    if (ligo_st_read(ctx, "tests/ref/ops.safetensors", &st) != LIGO_OK) {
        harness_fail(__FILE__, __LINE__, "%s", ligo_get_error(ctx));
        ligo_ctx_free(ctx);
        return;
    }
    list = ligo_st_get_meta(&st, "cases");
    CHECK(list != NULL);
    for (p = list; p && *p;) {
        char cs[64], name[160];
        const char *op;
        const ligo_st_entry *e, *ew, *eo;
        ligo_tensor *in[4], *out, *w;
        size_t len = strcspn(p, ",");
        int n = 0, k;
        double dy, dg = 0.0;
        ligo_mark mk = ligo_scratch_mark(ctx);
        snprintf(cs, sizeof cs, "%.*s", (int)len, p);
        p += len + (p[len] == ',');
        snprintf(name, sizeof name, "%s.op", cs);
        op = ligo_st_get_meta(&st, name);
        /* the inputs: parameters where PyTorch gave a gradient, else constants */
        for (k = 0; k < 4; k++) {
            snprintf(name, sizeof name, "%s.in.%d", cs, k);
            if (!(e = ligo_st_find(&st, name))) break;
            snprintf(name, sizeof name, "%s.grad.%d", cs, k);
            in[k] = ligo_st_find(&st, name) ? ligo_new_param(ctx, e->ndim, e->shape) : ligo_new(ctx, e->ndim, e->shape);
            if (in[k]) memcpy(in[k]->data, e->data, (size_t)e->n * sizeof(float));
            n++;
        }
        snprintf(name, sizeof name, "%s.w", cs);
        ew = ligo_st_find(&st, name);
        snprintf(name, sizeof name, "%s.out", cs);
        eo = ligo_st_find(&st, name);
        CHECK_MSG(op && n > 0 && ew && eo, "%s: op, inputs, w or out missing", cs);
        if (!op || !n || !ew || !eo) {
            ligo_scratch_rewind(ctx, mk);
            continue;
        }
        out = torch_case_build(ctx, &st, cs, op, in, n);
        CHECK_MSG(out != NULL, "%s (%s): %s", cs, op, ligo_get_error(ctx)[0] ? ligo_get_error(ctx) : "unknown op");
        CHECK_MSG(!out || (out->n == eo->n && out->ndim == eo->ndim), "%s: output size differs", cs);
        if (!out || out->n != eo->n) {
            ligo_clear_error(ctx);
            ligo_scratch_rewind(ctx, mk);
            continue;
        }
        w = ligo_new(ctx, eo->ndim, eo->shape);
        memcpy(w->data, ew->data, (size_t)ew->n * sizeof(float));
        dy = torch_rel(out->data, eo->data, eo->n);
        CHECK_STATUS(ligo_backward(ctx, ligo_sum(ctx, ligo_mul(ctx, out, w))), LIGO_OK);
        for (k = 0; k < n; k++) {
            snprintf(name, sizeof name, "%s.grad.%d", cs, k);
            if (!(e = ligo_st_find(&st, name))) continue;
            CHECK_MSG(in[k]->grad != NULL, "%s: input %d has no gradient", cs, k);
            if (in[k]->grad) dg = fmax(dg, torch_rel(in[k]->grad, e->data, e->n));
        }
        CHECK_MSG(dy < 1e-5 && dg < 1e-5, "%s (%s): output off by %.3g, gradients by %.3g", cs, op, dy, dg);
        if (getenv("LIGO_TEST_VERBOSE"))
            printf("  torch %-18s %-15s output %.2e, gradients %.2e\n", cs, op, dy, dg);
        worst_y = fmax(worst_y, dy);
        worst_g = fmax(worst_g, dg);
        n_cases++;
        ligo_scratch_rewind(ctx, mk);
    }
    /* every op of the fixture's generator, 31 cases */
    CHECK_MSG(n_cases == 31, "%d cases compared, want 31", n_cases);
    if (getenv("LIGO_TEST_VERBOSE"))
        printf("  torch: %d cases, worst output %.2e, worst gradient %.2e\n", n_cases, worst_y, worst_g);
    ligo_ctx_free(ctx);
}

void suite_prims(void) {
    RUN(test_ops_against_torch);
    RUN(test_attention_from_primitives);
    RUN(test_rope_relative);
    RUN(test_bmm_paths);
    RUN(test_dropout_mask);
    RUN(test_dropout_training);
    RUN(test_broadcast_leading);
    RUN(test_log_sqrt_ieee);
}
