/* test_gemm.c: the built-in SGEMM against the float64 reference, the
 * thread-count invariance, the hook and the argument checks of ligo_sgemm.
 * The portable micro-kernel is covered by building this suite with
 * -DLIGO_NO_SIMD (the kernel name then says "portable"). */
#include "harness.h"

#include <stdlib.h>

void suite_gemm(void);

static float gemm_nan(void) {
    volatile float z = 0.0f;
    return z / z;
}

static float *gemm_rand(ligo_rng *rng, int64_t n) {
    float *x = (float *)malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    int64_t i;
    if (!x) return NULL;
    for (i = 0; i < n; i++) x[i] = 2.0f * ligo_rng_uniform(rng) - 1.0f;
    return x;
}

/* Checks C = alpha op(A) op(B) + beta C from ligo_sgemm_builtin on ctx
 * against ligo_sgemm_ref, element by element, with a tolerance relative
 * to sum_p |alpha a_ip b_pj| + |beta c_ij| (computed here in double).
 * Padding between N and ldc must stay untouched. Returns failed elements. */
static int gemm_check(ligo_ctx *ctx, int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha,
                      float beta, int64_t pad, int nan_c, uint64_t seed) {
    ligo_rng rng;
    int64_t a_rows = ta ? K : M, a_cols = ta ? M : K;
    int64_t b_rows = tb ? N : K, b_cols = tb ? K : N;
    int64_t lda = a_cols + pad, ldb = b_cols + pad + (pad ? 1 : 0), ldc = N + pad;
    float *A, *B, *C, *R, *O;
    int64_t i, j, p;
    int bad = 0;
    ligo_rng_seed(&rng, seed);
    if (lda < 1) lda = 1;
    if (ldb < 1) ldb = 1;
    A = gemm_rand(&rng, a_rows * lda);
    B = gemm_rand(&rng, b_rows * ldb);
    C = gemm_rand(&rng, M * ldc);
    R = (float *)malloc((size_t)(M * ldc > 0 ? M * ldc : 1) * sizeof(float));
    O = (float *)malloc((size_t)(M * ldc > 0 ? M * ldc : 1) * sizeof(float));
    if (!A || !B || !C || !R || !O) {
        CHECK_MSG(0, "out of memory");
        free(A), free(B), free(C), free(R), free(O);
        return 1;
    }
    if (nan_c)
        for (i = 0; i < M * ldc; i++) C[i] = gemm_nan();
    for (i = 0; i < M; i++)
        for (j = N; j < ldc; j++) C[i * ldc + j] = 12345.0f; /* sentinel */
    memcpy(R, C, (size_t)(M * ldc) * sizeof(float));
    memcpy(O, C, (size_t)(M * ldc) * sizeof(float));
    ligo_sgemm_builtin(ctx, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    ligo_sgemm_ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, R, ldc);
    for (i = 0; i < M && bad < 5; i++) {
        for (j = 0; j < ldc && bad < 5; j++) {
            float got = C[i * ldc + j], want = R[i * ldc + j];
            if (j >= N) {
                if (got != 12345.0f) {
                    bad++;
                    CHECK_MSG(0, "ta=%d tb=%d M=%lld N=%lld K=%lld: padding C[%lld][%lld] overwritten", ta, tb,
                              (long long)M, (long long)N, (long long)K, (long long)i, (long long)j);
                }
            } else {
                double mag = 0.0, tol;
                for (p = 0; p < K; p++) {
                    double a = ta ? A[p * lda + i] : A[i * lda + p];
                    double b = tb ? B[j * ldb + p] : B[p * ldb + j];
                    mag += fabs(a * b);
                }
                mag = fabs((double)alpha) * mag + (beta == 0.0f ? 0.0 : fabs((double)beta * O[i * ldc + j]));
                tol = (double)(K + 4) * 1.2e-7 * mag + 1e-30;
                if (!(fabs((double)got - (double)want) <= tol)) {
                    bad++;
                    CHECK_MSG(0,
                              "ta=%d tb=%d M=%lld N=%lld K=%lld alpha=%g beta=%g pad=%lld: C[%lld][%lld] = %.9g, "
                              "want %.9g (tol %.3g)",
                              ta, tb, (long long)M, (long long)N, (long long)K, alpha, beta, (long long)pad,
                              (long long)i, (long long)j, got, want, tol);
                }
            }
        }
    }
    free(A), free(B), free(C), free(R), free(O);
    return bad;
}

static const int64_t gemm_sizes[] = {1, 2, 7, 13, 31, 33, 65, 127, 129, 257};
#define GEMM_NSIZES ((int)(sizeof gemm_sizes / sizeof gemm_sizes[0]))

/* Every transpose case over odd and prime sizes; K, alpha, beta and the
 * padding of the leading dimensions rotate through their values so that
 * every combination is seen without running all of them. */
static void test_gemm_sizes(void) {
    static const float ab[9][2] = {{1, 0},   {1, 1},     {0.5f, 0.5f}, {0.5f, 0}, {1, 0.5f},
                                   {0.5f, 1}, {0, 0.5f}, {0, 0},       {-1.5f, 2}};
    static const int64_t ks[] = {1, 2, 7, 31, 64, 129, 300};
    int t, i, j, n = 0, fails = 0;
    for (t = 0; t < 4; t++) {
        for (i = 0; i < GEMM_NSIZES; i++) {
            for (j = 0; j < GEMM_NSIZES; j++) {
                int64_t M = gemm_sizes[i], N = gemm_sizes[j];
                int64_t K = ks[(i * 3 + j * 5 + t) % 7];
                int c = (i * 7 + j * 2 + t * 5) % 9;
                int64_t pad = ((i + j + t) % 3 == 0) ? 3 : 0;
                if (M * N * K > 2000000) K = 7;
                fails += gemm_check(NULL, t & 1, t >> 1, M, N, K, ab[c][0], ab[c][1], pad, 0,
                                    (uint64_t)(1000 * t + 31 * i + j));
                n++;
                if (fails > 5) return;
            }
        }
    }
    CHECK(n == 4 * GEMM_NSIZES * GEMM_NSIZES);
}

/* beta == 0 must not read C: NaN in C never leaks, for any size class. */
static void test_gemm_beta0_nan(void) {
    static const int64_t dims[][3] = {{1, 1, 1}, {6, 16, 5}, {7, 17, 9}, {13, 65, 33}, {150, 40, 260}, {5, 3100, 3}};
    int t, d;
    for (t = 0; t < 4; t++)
        for (d = 0; d < 6; d++) {
            gemm_check(NULL, t & 1, t >> 1, dims[d][0], dims[d][1], dims[d][2], 1.0f, 0.0f, 2, 1, (uint64_t)(77 + d));
            gemm_check(NULL, t & 1, t >> 1, dims[d][0], dims[d][1], dims[d][2], 0.5f, 0.0f, 0, 1, (uint64_t)(99 + d));
        }
}

/* Several K blocks (K > 256) with beta != 0, rows past one M block, columns
 * past one N block. */
static void test_gemm_blocks(void) {
    int t;
    for (t = 0; t < 4; t++) {
        gemm_check(NULL, t & 1, t >> 1, 37, 50, 600, 0.5f, 0.5f, 1, 0, 5);
        gemm_check(NULL, t & 1, t >> 1, 301, 19, 20, 1.0f, 1.0f, 0, 0, 6);
        gemm_check(NULL, t & 1, t >> 1, 7, 3100, 5, 1.0f, 0.5f, 3, 0, 7);
    }
}

/* K == 0: C = beta * C (beta == 0 gives zeros, even over NaN). */
static void test_gemm_k0(void) {
    float A[1] = {1.0f}, B[1] = {1.0f}, C[6];
    int i;
    for (i = 0; i < 6; i++) C[i] = (float)(i + 1);
    ligo_sgemm_builtin(NULL, 0, 0, 2, 3, 0, 1.0f, A, 1, B, 3, 0.5f, C, 3);
    for (i = 0; i < 6; i++) CHECK_NEAR(C[i], 0.5 * (i + 1), 0.0);
    for (i = 0; i < 6; i++) C[i] = gemm_nan();
    ligo_sgemm_builtin(NULL, 1, 1, 2, 3, 0, 1.0f, A, 2, B, 1, 0.0f, C, 3);
    for (i = 0; i < 6; i++) CHECK(C[i] == 0.0f);
    for (i = 0; i < 6; i++) C[i] = 3.0f;
    CHECK_STATUS(ligo_sgemm(NULL, 0, 0, 2, 3, 0, 1.0f, NULL, 1, NULL, 3, 1.0f, C, 3), LIGO_OK);
    for (i = 0; i < 6; i++) CHECK(C[i] == 3.0f);
    /* M == 0 or N == 0 touch nothing */
    ligo_sgemm_builtin(NULL, 0, 0, 0, 3, 4, 1.0f, A, 4, B, 3, 0.0f, C, 3);
    ligo_sgemm_builtin(NULL, 0, 0, 2, 0, 4, 1.0f, A, 4, B, 1, 0.0f, C, 1);
    for (i = 0; i < 6; i++) CHECK(C[i] == 3.0f);
}

/* The same bits for 1 and 2 threads (and for NULL ctx), both split sides. */
static void test_gemm_threads(void) {
    /* the last two: rows split with op(B) packed once and shared, over
     * several K blocks, and over two NC-wide column blocks */
    static const int64_t dims[][3] = {{200, 150, 100}, {50, 300, 200}, {257, 129, 65}, {127, 1000, 33}, {1000, 65, 128},
                                      {400, 200, 600}, {3200, 3100, 5}};
    /* LIGO_TEST_SHORT (harness_short): a fifth of the work, on
     * the same paths: 127x1000 and 1000x65 narrowed to 127x400 and
     * 300x65; K 400 > KC 384 with rows split; N 3080 > NC 3072 with M > N
     * and K 1; each above the two-thread minimum of 2^20 flops */
    static const int64_t short_dims[][3] = {{200, 150, 100}, {50, 300, 200}, {257, 129, 65}, {127, 400, 33},
                                            {300, 65, 128},  {100, 60, 400}, {3100, 3080, 1}};
    ligo_ctx *c1 = ligo_ctx_new(NULL), *c2 = ligo_ctx_new(NULL);
    ligo_rng rng;
    int d, t;
    if (!c1 || !c2) {
        CHECK_MSG(0, "no context");
        ligo_ctx_free(c1);
        ligo_ctx_free(c2);
        return;
    }
    CHECK_STATUS(ligo_set_num_threads(c1, 1), LIGO_OK);
    CHECK_STATUS(ligo_set_num_threads(c2, 2), LIGO_OK);
    ligo_rng_seed(&rng, 42);
    for (d = 0; d < 7; d++) {
        for (t = 0; t < 4; t++) {
            const int64_t *dm = harness_short() ? short_dims[d] : dims[d];
            int64_t M = dm[0], N = dm[1], K = dm[2];
            int ta = t & 1, tb = t >> 1;
            float *A = gemm_rand(&rng, M * K), *B = gemm_rand(&rng, K * N);
            float *C0 = gemm_rand(&rng, M * N);
            float *C1 = (float *)malloc((size_t)(M * N) * sizeof(float));
            float *C2 = (float *)malloc((size_t)(M * N) * sizeof(float));
            if (A && B && C0 && C1 && C2) {
                memcpy(C1, C0, (size_t)(M * N) * sizeof(float));
                memcpy(C2, C0, (size_t)(M * N) * sizeof(float));
                ligo_sgemm_builtin(NULL, ta, tb, M, N, K, 0.5f, A, ta ? M : K, B, tb ? K : N, 0.5f, C0, N);
                ligo_sgemm_builtin(c1, ta, tb, M, N, K, 0.5f, A, ta ? M : K, B, tb ? K : N, 0.5f, C1, N);
                ligo_sgemm_builtin(c2, ta, tb, M, N, K, 0.5f, A, ta ? M : K, B, tb ? K : N, 0.5f, C2, N);
                CHECK_MSG(memcmp(C0, C1, (size_t)(M * N) * sizeof(float)) == 0, "NULL ctx vs 1 thread, %lldx%lldx%lld t=%d",
                          (long long)M, (long long)N, (long long)K, t);
                CHECK_MSG(memcmp(C1, C2, (size_t)(M * N) * sizeof(float)) == 0, "1 vs 2 threads, %lldx%lldx%lld t=%d",
                          (long long)M, (long long)N, (long long)K, t);
            } else {
                CHECK_MSG(0, "out of memory");
            }
            free(A), free(B), free(C0), free(C1), free(C2);
        }
    }
    /* and the threaded path is right, not just consistent */
    gemm_check(c2, 0, 1, 300, 200, 70, 1.0f, 0.5f, 2, 0, 11);
    gemm_check(c2, 1, 0, 90, 400, 70, 1.0f, 0.0f, 1, 1, 12);
    gemm_check(c2, 1, 1, 400, 120, 600, 0.5f, 1.0f, 1, 0, 13);
    gemm_check(c2, 0, 0, 3200, 3100, 3, 1.0f, 0.0f, 0, 1, 14);
    CHECK_STATUS(ligo_get_status(c2), LIGO_OK);
    ligo_ctx_free(c1);
    ligo_ctx_free(c2);
}

static void test_gemm_kernel_name(void) {
    const char *name = ligo_sgemm_kernel_name();
    CHECK(name != NULL);
    if (!name) return;
    CHECK(strcmp(name, "avx2-fma") == 0 || strcmp(name, "neon-fma") == 0 || strcmp(name, "portable") == 0);
#ifdef LIGO_NO_SIMD
    CHECK(strcmp(name, "portable") == 0);
#elif defined(__aarch64__)
    /* NEON is architectural on AArch64: its kernels are always chosen */
    CHECK(strcmp(name, "neon-fma") == 0);
#endif
    if (getenv("LIGO_TEST_VERBOSE")) printf("     sgemm kernel: %s\n", name);
}

/* ligo_sgemm goes through the hook when one is set. */
static int gemm_hook_calls = 0;
static int gemm_hook(void *user, int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                     int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    gemm_hook_calls += *(int *)user;
    ligo_sgemm_ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return 1;
}

static void test_gemm_hook(void) {
    float A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {1, 0, 0, 1, 1, 1}, C[4] = {0, 0, 0, 0};
    int one = 1;
    void *user = NULL;
    ligo_sgemm_fn old = ligo_get_sgemm(&user);
    ligo_set_sgemm(gemm_hook, &one);
    CHECK(ligo_get_sgemm(&user) == gemm_hook && user == &one);
    CHECK_STATUS(ligo_sgemm(NULL, 0, 0, 2, 2, 3, 1.0f, A, 3, B, 2, 0.0f, C, 2), LIGO_OK);
    CHECK(gemm_hook_calls == 1);
    CHECK_NEAR(C[0], 4.0, 0.0); /* [1 2 3] . [1 0 1] */
    CHECK_NEAR(C[1], 5.0, 0.0);
    CHECK_NEAR(C[2], 10.0, 0.0);
    CHECK_NEAR(C[3], 11.0, 0.0);
    ligo_set_sgemm(NULL, &one);
    CHECK(ligo_get_sgemm(&user) == NULL && user == NULL);
    CHECK_STATUS(ligo_sgemm(NULL, 0, 0, 2, 2, 3, 1.0f, A, 3, B, 2, 1.0f, C, 2), LIGO_OK);
    CHECK(gemm_hook_calls == 1);
    CHECK_NEAR(C[0], 8.0, 0.0);
    CHECK_NEAR(C[3], 22.0, 0.0);
    ligo_set_sgemm(old, user);
}

/* Hooks that take every product (counting them; run on one thread, so
 * the count is not shared between threads) or decline every one. */
static int hook_take_calls = 0;
static int hook_take(void *user, int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                     int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    (void)user;
    hook_take_calls++;
    ligo_sgemm_ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return 1;
}
static int hook_decline(void *user, int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                        int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    (void)user, (void)ta, (void)tb, (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)lda, (void)B, (void)ldb;
    (void)beta, (void)C, (void)ldc;
    return 0;
}

/* Causal attention over (B, T, 3C) = (2, 13, 48), 2 heads: the output and
 * the gradient of sum(out * w) with respect to qkv. */
#define HA_B 2
#define HA_T 13
#define HA_C 16
#define HA_NH 2
static void hook_attention(int n_threads, float *out, float *grad) {
    ligo_ctx_params p = ligo_ctx_params_default();
    ligo_ctx *ctx;
    ligo_rng rng;
    ligo_tensor *qkv, *y, *w;
    int64_t s[3] = {HA_B, HA_T, 3 * HA_C};
    p.n_threads = n_threads;
    ctx = ligo_ctx_new(&p);
    ligo_rng_seed(&rng, 77);
    qkv = ligo_new_param(ctx, 3, s);
    ligo_fill_uniform(qkv, &rng, -2.0f, 2.0f);
    y = ligo_attention(ctx, qkv, HA_NH, 1);
    CHECK(y != NULL);
    if (y) {
        w = ligo_new(ctx, y->ndim, y->shape);
        ligo_fill_uniform(w, &rng, -1.0f, 1.0f);
        CHECK_STATUS(ligo_backward(ctx, ligo_sum(ctx, ligo_mul(ctx, y, w))), LIGO_OK);
        memcpy(out, y->data, sizeof(float) * HA_B * HA_T * HA_C);
        memcpy(grad, qkv->grad, sizeof(float) * HA_B * HA_T * 3 * HA_C);
    }
    ligo_ctx_free(ctx);
}

/* Attention's per-head products go through the hook: a hook that takes
 * them sees all six per head (two forward, four backward) and gives the
 * reference product's results; a hook that declines them leaves the
 * built-in path, bitwise, on two threads (where it is called from both). */
static void test_gemm_hook_attention(void) {
    static float out0[HA_B * HA_T * HA_C], grad0[HA_B * HA_T * 3 * HA_C];
    static float out[HA_B * HA_T * HA_C], grad[HA_B * HA_T * 3 * HA_C];
    void *user = NULL;
    ligo_sgemm_fn old = ligo_get_sgemm(&user);
    double d = 0.0;
    float A[6] = {1, 2, 3, 4, 5, 6}, Bm[6] = {1, 0, 0, 1, 1, 1}, C[4] = {9, 9, 9, 9}, C0[4];
    ligo_set_sgemm(NULL, NULL);
    hook_attention(2, out0, grad0);
    ligo_sgemm_builtin(NULL, 0, 0, 2, 2, 3, 1.0f, A, 3, Bm, 2, 0.0f, C0, 2);
    ligo_set_sgemm(hook_take, NULL);
    hook_take_calls = 0;
    hook_attention(1, out, grad);
    CHECK_MSG(hook_take_calls == 6 * HA_B * HA_NH, "the hook saw %d products, want %d", hook_take_calls,
              6 * HA_B * HA_NH);
    d = fmax(harness_worst(out, out0, HA_B * HA_T * HA_C), harness_worst(grad, grad0, HA_B * HA_T * 3 * HA_C));
    CHECK_MSG(d < 1e-5, "through the hook: %.3g from the built-in path", d);
    ligo_set_sgemm(hook_decline, NULL);
    hook_attention(2, out, grad);
    CHECK(memcmp(out, out0, sizeof out) == 0 && memcmp(grad, grad0, sizeof grad) == 0);
    /* ligo_sgemm with a declining hook is the built-in product */
    CHECK_STATUS(ligo_sgemm(NULL, 0, 0, 2, 2, 3, 1.0f, A, 3, Bm, 2, 0.0f, C, 2), LIGO_OK);
    CHECK(memcmp(C, C0, sizeof C) == 0);
    ligo_set_sgemm(old, user);
}

static void test_gemm_errors(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    float A[16], B[16], C[16];
    memset(A, 0, sizeof A);
    memset(B, 0, sizeof B);
    memset(C, 0, sizeof C);
    if (!ctx) {
        CHECK_MSG(0, "no context");
        return;
    }
    CHECK_STATUS(ligo_sgemm(NULL, 0, 0, -1, 2, 2, 1.0f, A, 2, B, 2, 0.0f, C, 2), LIGO_EINVAL);
    CHECK_STATUS(ligo_sgemm(ctx, 0, 0, 2, -2, 2, 1.0f, A, 2, B, 2, 0.0f, C, 2), LIGO_EINVAL);
    CHECK(strstr(ligo_get_error(ctx), "negative") != NULL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_sgemm(ctx, 0, 0, 2, 2, -3, 1.0f, A, 2, B, 2, 0.0f, C, 2), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_sgemm(ctx, 0, 0, 2, 2, 2, 1.0f, NULL, 2, B, 2, 0.0f, C, 2), LIGO_EINVAL);
    CHECK(strstr(ligo_get_error(ctx), "NULL") != NULL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_sgemm(ctx, 0, 0, 2, 2, 2, 1.0f, A, 2, NULL, 2, 0.0f, C, 2), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_sgemm(ctx, 0, 0, 2, 2, 2, 1.0f, A, 2, B, 2, 0.0f, NULL, 2), LIGO_EINVAL);
    ligo_clear_error(ctx);
    /* leading dimensions: row strides of the stored matrices */
    CHECK_STATUS(ligo_sgemm(ctx, 0, 0, 2, 3, 4, 1.0f, A, 3, B, 3, 0.0f, C, 3), LIGO_EINVAL);
    CHECK(strstr(ligo_get_error(ctx), "leading dimension") != NULL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_sgemm(ctx, 1, 0, 2, 3, 4, 1.0f, A, 1, B, 3, 0.0f, C, 3), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_sgemm(ctx, 0, 1, 2, 3, 4, 1.0f, A, 4, B, 3, 0.0f, C, 3), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_sgemm(ctx, 0, 0, 2, 3, 4, 1.0f, A, 4, B, 3, 0.0f, C, 2), LIGO_EINVAL);
    ligo_clear_error(ctx);
    /* the right strides pass, transposed too; then errors are sticky */
    CHECK_STATUS(ligo_sgemm(ctx, 1, 1, 2, 3, 4, 1.0f, A, 2, B, 4, 0.0f, C, 3), LIGO_OK);
    CHECK_STATUS(ligo_sgemm(ctx, 0, 0, -1, 3, 4, 1.0f, A, 4, B, 3, 0.0f, C, 3), LIGO_EINVAL);
    CHECK_STATUS(ligo_sgemm(ctx, 0, 0, 2, 3, 4, 1.0f, A, 4, B, 3, 0.0f, C, 3), LIGO_EINVAL);
    CHECK(ligo_get_error(ctx)[0] != '\0');
    ligo_ctx_free(ctx);
}

void suite_gemm(void) {
    RUN(test_gemm_kernel_name);
    RUN(test_gemm_sizes);
    RUN(test_gemm_beta0_nan);
    RUN(test_gemm_blocks);
    RUN(test_gemm_k0);
    RUN(test_gemm_threads);
    RUN(test_gemm_hook);
    RUN(test_gemm_hook_attention);
    RUN(test_gemm_errors);
}
