/* test_blas.c: the BLAS hook of ligo_blas.h against the reference product.
 * A program of its own (it links BLIS):
 *   gcc -std=c99 -Wall -Wextra -Wpedantic -Werror -O2 -g -o build/test_blas \
 *       tests/test_blas.c tests/harness.c -lblis -lm -lpthread
 * The last line is "N passed, N failed". */
/* blis.h needs POSIX; harness.h includes system headers before ligo.h. */
#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#define LIGO_IMPLEMENTATION
#include "harness.h"
#define LIGO_BLAS_IMPLEMENTATION
#include "../ligo_blas.h"

#include <stdlib.h>

int harness_report(void);

static float blas_nan(void) {
    volatile float z = 0.0f;
    return z / z;
}

/* ligo_sgemm (hook installed) against ligo_sgemm_ref, tolerance relative to
 * sum_p |alpha a b| + |beta c| per element; padding of C must stay. */
static void blas_check(ligo_ctx *ctx, int ta, int tb, int64_t M, int64_t N, int64_t K, float alpha, float beta,
                       int64_t pad, int nan_c) {
    ligo_rng rng;
    int64_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
    int64_t na = (ta ? K : M) * lda, nb = (tb ? N : K) * ldb, nc = M * ldc, i, j, p;
    float *A = (float *)malloc((size_t)na * sizeof(float)), *B = (float *)malloc((size_t)nb * sizeof(float));
    float *C = (float *)malloc((size_t)nc * sizeof(float)), *R = (float *)malloc((size_t)nc * sizeof(float));
    float *O = (float *)malloc((size_t)nc * sizeof(float));
    int bad = 0;
    if (!A || !B || !C || !R || !O) {
        CHECK_MSG(0, "out of memory");
        free(A), free(B), free(C), free(R), free(O);
        return;
    }
    ligo_rng_seed(&rng, (uint64_t)(M * 1000003 + N * 1009 + K * 7 + ta * 2 + tb));
    for (i = 0; i < na; i++) A[i] = 2.0f * ligo_rng_uniform(&rng) - 1.0f;
    for (i = 0; i < nb; i++) B[i] = 2.0f * ligo_rng_uniform(&rng) - 1.0f;
    for (i = 0; i < nc; i++) C[i] = nan_c ? blas_nan() : 2.0f * ligo_rng_uniform(&rng) - 1.0f;
    for (i = 0; i < M; i++)
        for (j = N; j < ldc; j++) C[i * ldc + j] = 777.0f;
    memcpy(R, C, (size_t)nc * sizeof(float));
    memcpy(O, C, (size_t)nc * sizeof(float));
    CHECK_STATUS(ligo_sgemm(ctx, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc), LIGO_OK);
    ligo_sgemm_ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, R, ldc);
    for (i = 0; i < M && bad < 5; i++) {
        for (j = 0; j < ldc && bad < 5; j++) {
            double got = C[i * ldc + j], want = R[i * ldc + j], mag = 0.0, tol;
            if (j >= N) {
                if (got != 777.0) {
                    bad++;
                    CHECK_MSG(0, "padding overwritten at [%lld][%lld]", (long long)i, (long long)j);
                }
                continue;
            }
            for (p = 0; p < K; p++)
                mag += fabs((double)(ta ? A[p * lda + i] : A[i * lda + p]) * (double)(tb ? B[j * ldb + p] : B[p * ldb + j]));
            mag = fabs((double)alpha) * mag + (beta == 0.0f ? 0.0 : fabs((double)beta * O[i * ldc + j]));
            tol = (double)(K + 4) * 1.2e-7 * mag + 1e-30;
            if (!(fabs(got - want) <= tol)) {
                bad++;
                CHECK_MSG(0, "ta=%d tb=%d M=%lld N=%lld K=%lld alpha=%g beta=%g: C[%lld][%lld] = %.9g, want %.9g", ta,
                          tb, (long long)M, (long long)N, (long long)K, alpha, beta, (long long)i, (long long)j, got,
                          want);
            }
        }
    }
    free(A), free(B), free(C), free(R), free(O);
}

static void test_blas_install(void) {
    CHECK(ligo_get_sgemm(NULL) == NULL);
    CHECK(ligo_blas_install(1) == 0);
    CHECK(ligo_get_sgemm(NULL) == ligo_blas_sgemm);
    CHECK(ligo_blas_install(-1) == -1);
    ligo_blas_uninstall();
    CHECK(ligo_get_sgemm(NULL) == NULL);
    CHECK(strcmp(ligo_blas_backend(), "blis") == 0 || strcmp(ligo_blas_backend(), "cblas") == 0);
}

static void test_blas_threshold(void) {
    CHECK(ligo_blas_get_threshold() == LIGO_BLAS_MIN_DIM);
    CHECK(ligo_blas_uses_blas(32, 32, 32) == 1);
    CHECK(ligo_blas_uses_blas(31, 100, 100) == 0);
    CHECK(ligo_blas_uses_blas(100, 31, 100) == 0);
    CHECK(ligo_blas_uses_blas(100, 100, 31) == 0);
    ligo_blas_set_threshold(64);
    CHECK(ligo_blas_uses_blas(63, 100, 100) == 0);
    CHECK(ligo_blas_uses_blas(64, 64, 64) == 1);
    ligo_blas_set_threshold(0); /* every non-empty product, never K == 0 */
    CHECK(ligo_blas_uses_blas(1, 1, 1) == 1);
    CHECK(ligo_blas_uses_blas(5, 5, 0) == 0);
    ligo_blas_set_threshold(LIGO_BLAS_MIN_DIM);
}

/* Every transpose case on both sides of the threshold, 1 and 2 threads. */
static void test_blas_products(void) {
    static const int64_t dims[][3] = {{40, 50, 60}, {33, 129, 65}, {200, 70, 300}, {8, 50, 60},
                                      {40, 7, 60},  {40, 50, 3},   {1, 1, 1},      {257, 31, 40}};
    static const float ab[4][2] = {{1, 0}, {0.5f, 0.5f}, {1, 1}, {-2, 0.5f}};
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    int th, t, d;
    if (!ctx) {
        CHECK_MSG(0, "no context");
        return;
    }
    for (th = 1; th <= 2; th++) {
        CHECK(ligo_blas_install(th) == 0);
        CHECK_STATUS(ligo_set_num_threads(ctx, th), LIGO_OK);
        for (t = 0; t < 4; t++)
            for (d = 0; d < 8; d++)
                blas_check(ctx, t & 1, t >> 1, dims[d][0], dims[d][1], dims[d][2], ab[(t + d) % 4][0],
                           ab[(t + d) % 4][1], (t + d) % 3, 0);
        ligo_blas_uninstall();
    }
    /* a lower threshold sends the small ones to BLAS too, a higher one none */
    ligo_blas_install(1);
    ligo_blas_set_threshold(1);
    for (t = 0; t < 4; t++) blas_check(ctx, t & 1, t >> 1, 8, 7, 3, 0.5f, 0.5f, 1, 0);
    ligo_blas_set_threshold(1000);
    for (t = 0; t < 4; t++) blas_check(ctx, t & 1, t >> 1, 40, 50, 60, 0.5f, 0.5f, 1, 0);
    ligo_blas_set_threshold(LIGO_BLAS_MIN_DIM);
    ligo_blas_uninstall();
    ligo_ctx_free(ctx);
}

/* beta == 0 overwrites C: NaN must not leak, through BLAS or built-in. */
static void test_blas_beta0_nan(void) {
    int t;
    ligo_blas_install(1);
    for (t = 0; t < 4; t++) {
        blas_check(NULL, t & 1, t >> 1, 64, 48, 40, 1.0f, 0.0f, 2, 1);
        blas_check(NULL, t & 1, t >> 1, 5, 48, 40, 1.0f, 0.0f, 0, 1);
    }
    ligo_blas_set_threshold(1);
    blas_check(NULL, 0, 0, 6, 5, 4, 0.5f, 0.0f, 1, 1);
    ligo_blas_set_threshold(LIGO_BLAS_MIN_DIM);
    ligo_blas_uninstall();
}

/* Argument errors are still caught by ligo_sgemm before the hook. */
static void test_blas_errors(void) {
    float A[4] = {0, 0, 0, 0};
    ligo_blas_install(1);
    CHECK_STATUS(ligo_sgemm(NULL, 0, 0, -1, 2, 2, 1.0f, A, 2, A, 2, 0.0f, A, 2), LIGO_EINVAL);
    CHECK_STATUS(ligo_sgemm(NULL, 0, 0, 2, 2, 2, 1.0f, A, 1, A, 2, 0.0f, A, 2), LIGO_EINVAL);
    ligo_blas_uninstall();
}

int main(void) {
    RUN(test_blas_install);
    RUN(test_blas_threshold);
    RUN(test_blas_products);
    RUN(test_blas_beta0_nan);
    RUN(test_blas_errors);
    return harness_report();
}
