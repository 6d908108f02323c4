/* gemm.c: the one matrix product. Row-major
 *   C (M x N) = alpha * op(A) (M x K) * op(B) (K x N) + beta * C
 * A reference kernel, the built-in kernel, and a run-time hook. */
#include "ligo_internal.h"

static ligo_sgemm_fn ligo__sgemm_hook = NULL;
static void *ligo__sgemm_hook_user = NULL;

LIGO_API void ligo_set_sgemm(ligo_sgemm_fn fn, void *user) {
    ligo__sgemm_hook = fn;
    ligo__sgemm_hook_user = fn ? user : NULL;
}

LIGO_API ligo_sgemm_fn ligo_get_sgemm(void **user) {
    if (user) *user = ligo__sgemm_hook_user;
    return ligo__sgemm_hook;
}

/* Element (i, p) of op(A) and (p, j) of op(B). */
#define LIGO__AIDX(i, p) (trans_a ? (p) * lda + (i) : (i) * lda + (p))
#define LIGO__BIDX(p, j) (trans_b ? (j) * ldb + (p) : (p) * ldb + (j))

/* The definition of the product, summed in float64 order-independent of
 * blocking: the reference every other kernel is tested against. */
LIGO_API void ligo_sgemm_ref(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                             const float *A, int64_t lda, const float *B, int64_t ldb,
                             float beta, float *C, int64_t ldc) {
    int64_t i, j, p;
    for (i = 0; i < M; i++) {
        for (j = 0; j < N; j++) {
            double acc = 0.0;
            for (p = 0; p < K; p++) acc += (double)A[LIGO__AIDX(i, p)] * (double)B[LIGO__BIDX(p, j)];
            C[i * ldc + j] = (float)(alpha * acc + (beta == 0.0f ? 0.0 : (double)beta * C[i * ldc + j]));
        }
    }
}

/* ------------------------------------------------------ built-in kernel */

typedef struct ligo__gemm_job {
    int trans_a, trans_b;
    int64_t M, N, K;
    float alpha, beta;
    const float *A, *B;
    int64_t lda, ldb, ldc;
    float *C;
} ligo__gemm_job;

/* Rows [i0, i1) of C: scale by beta, then accumulate alpha * a_ip * b_p. */
static void ligo__gemm_rows(const ligo__gemm_job *g, int64_t i0, int64_t i1) {
    int64_t i, j, p;
    int trans_a = g->trans_a, trans_b = g->trans_b;
    int64_t lda = g->lda, ldb = g->ldb;
    const float *A = g->A, *B = g->B;
    for (i = i0; i < i1; i++) {
        float *c = g->C + i * g->ldc;
        if (g->beta == 0.0f)
            for (j = 0; j < g->N; j++) c[j] = 0.0f;
        else if (g->beta != 1.0f)
            for (j = 0; j < g->N; j++) c[j] *= g->beta;
        for (p = 0; p < g->K; p++) {
            float a = g->alpha * A[LIGO__AIDX(i, p)];
            if (!trans_b) {
                const float *b = B + p * ldb;
                for (j = 0; j < g->N; j++) c[j] += a * b[j];
            } else {
                for (j = 0; j < g->N; j++) c[j] += a * B[LIGO__BIDX(p, j)];
            }
        }
    }
}

static void ligo__gemm_task(void *arg, int ith, int nth) {
    const ligo__gemm_job *g = (const ligo__gemm_job *)arg;
    int64_t i0 = g->M * ith / nth, i1 = g->M * (ith + 1) / nth;
    ligo__gemm_rows(g, i0, i1);
}

LIGO_API void ligo_sgemm_builtin(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                 float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                                 float beta, float *C, int64_t ldc) {
    ligo__gemm_job g;
    int nth;
    if (M <= 0 || N <= 0) return;
    g.trans_a = trans_a;
    g.trans_b = trans_b;
    g.M = M;
    g.N = N;
    g.K = K;
    g.alpha = alpha;
    g.beta = beta;
    g.A = A;
    g.B = B;
    g.lda = lda;
    g.ldb = ldb;
    g.ldc = ldc;
    g.C = C;
    nth = ligo__nth_for(ctx, 2.0 * (double)M * (double)N * (double)K, 1 << 20);
    if (nth > M) nth = (int)M;
    ligo_parallel_for(ctx, ligo__gemm_task, &g, nth);
}

LIGO_API const char *ligo_sgemm_kernel_name(void) { return "portable"; }

/* ---------------------------------------------------------- choke point */

LIGO__PRIV void ligo__sgemm(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                            float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                            float beta, float *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    if (ligo__sgemm_hook)
        ligo__sgemm_hook(ligo__sgemm_hook_user, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        ligo_sgemm_builtin(ctx, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

LIGO_API ligo_status ligo_sgemm(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                                float beta, float *C, int64_t ldc) {
    int64_t a_cols = trans_a ? M : K, b_cols = trans_b ? K : N;
    if (ctx && ligo__failed(ctx)) return ctx->status;
    if (M < 0 || N < 0 || K < 0) {
        if (ctx) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_sgemm: negative size M=%lld N=%lld K=%lld",
                                       (long long)M, (long long)N, (long long)K);
        return LIGO_EINVAL;
    }
    if ((M > 0 && N > 0 && !C) || (M > 0 && N > 0 && K > 0 && (!A || !B))) {
        if (ctx) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_sgemm: NULL matrix");
        return LIGO_EINVAL;
    }
    if (lda < (a_cols > 1 ? a_cols : 1) || ldb < (b_cols > 1 ? b_cols : 1) || ldc < (N > 1 ? N : 1)) {
        if (ctx)
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_sgemm: leading dimension too small (lda=%lld ldb=%lld ldc=%lld)",
                                  (long long)lda, (long long)ldb, (long long)ldc);
        return LIGO_EINVAL;
    }
    ligo__sgemm(ctx, trans_a ? 1 : 0, trans_b ? 1 : 0, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return LIGO_OK;
}
