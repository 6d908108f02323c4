/* gemm.c: the one matrix product. Row-major
 *   C (M x N) = alpha * op(A) (M x K) * op(B) (K x N) + beta * C
 * A reference kernel, the built-in kernel, and a run-time hook. */
#include "ligo_internal.h"
#include "simd.h"

/* x86 with gcc or clang (simd.h): an AVX2/FMA micro-kernel compiled for
 * that target alone and chosen at run time. Everywhere else, and under
 * LIGO_NO_SIMD, a portable C micro-kernel with the same packing and
 * blocking. */

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

/* ------------------------------------------------------ built-in kernel
 *
 * GotoBLAS / BLIS structure:
 *
 *   for jc in N by NC:                 B block KC x NC  (L3)
 *     for pc in K by KC:               pack B(pc, jc) into NR-wide panels
 *       for ic in M by MC:             pack A(ic, pc) into MR-tall panels (L2)
 *         for jr in NC by NR:          one B micro-panel, KC x NR (L1)
 *           for ir in MC by MR:        micro-kernel: MR x NR tile of C
 *
 * Packing absorbs the transposes: the micro-kernel always reads A panels as
 * [k][MR] and B panels as [k][NR], both contiguous and zero-padded at the
 * edges, so all four transpose cases run the same inner loop. Edge tiles go
 * through a small temporary, so nothing outside C or the inputs is touched.
 * Two refinements for the narrow products of a transformer (N = 65):
 * column remainders of at most 8 run a 6x8 kernel (half the FMAs), and when
 * N is small a row-major A is read in place by the kernel instead of being
 * packed for the few column tiles that would reuse it (ir outer, jr inner:
 * six rows of A stay in L1 while the kernel sweeps the packed B block).
 *
 * Threads split the output (whole MR rows or NR columns), never the K sum;
 * each C element is always computed by the same sequence of operations, so
 * results are bitwise identical for any thread count. */

#define LIGO__GEMM_MR 6
#define LIGO__GEMM_NR 16
/* K goes in equal blocks of at most KC (multiples of 8): a K up to 384,
 * the width of the larger models, is one block, so each C tile is stored
 * once rather than stored and read back; the B micro-panel, KC x NR (24
 * KiB at most), streams through L1 with prefetching. */
#define LIGO__GEMM_KC 384
#define LIGO__GEMM_MC 144  /* A block MC x KC, at most 216 KiB: in a 512 KiB L2 */
#define LIGO__GEMM_NC 3072 /* B block KC x NC = 3 MiB: in L3 */

/* Row-major A is read in place, not packed, when N is at most this. */
#define LIGO__GEMM_UA_MAXN 96

/* Work (FLOPs) below which a product stays on one thread: with the
 * spinning pool a parallel region costs a few microseconds, so a 128^3
 * product (4 MFLOP) already gains from two threads. */
#define LIGO__GEMM_MIN_FLOPS_PER_THREAD (1 << 20)

typedef void (*ligo__gemm_ukr)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                               float alpha, float beta);
/* The same with row-major A read in place: row i of the tile at a + i * lda. */
typedef void (*ligo__gemm_ukr_ua)(int64_t kc, const float *a, int64_t lda, const float *b, float *c, int64_t ldc,
                                  float alpha, float beta);
typedef void (*ligo__gemm_pack)(int trans, const float *X, int64_t ldx, int64_t r0, int64_t nr,
                                int64_t p0, int64_t kc, float *dst);

typedef struct ligo__gemm_job {
    int trans_a, trans_b;
    int64_t M, N, K;
    float alpha, beta;
    const float *A, *B;
    int64_t lda, ldb, ldc;
    float *C;
    const float *bias;     /* NULL, or N floats added to every row of C */
    ligo__gemm_epi_fn epi; /* NULL, or run on each finished tile */
    void *epi_user;
    /* packed path */
    int split_n;           /* threads split N (else M) */
    float *buf;            /* per-thread packing buffers, 64-byte aligned */
    float *bshared;        /* non-NULL: all of op(B) packed once, shared by the threads */
    int64_t kcb;           /* K block */
    int64_t a_floats;      /* A area per thread */
    int64_t thread_floats; /* A area + B area per thread */
    ligo__gemm_ukr ukr;
    ligo__gemm_ukr_ua ukr_ua; /* non-NULL: A is read in place, not packed */
    ligo__gemm_ukr ukr8;      /* MR x 8 kernels for narrow edge tiles, or NULL */
    ligo__gemm_ukr_ua ukr8_ua;
    ligo__gemm_pack pack_a, pack_b;
} ligo__gemm_job;

/* ---- portable micro-kernel and packing */

/* c (MR x NR, row stride ldc) = alpha * a.b + beta * c; beta == 0 never
 * reads c. a is [kc][MR], b is [kc][NR]. */
static void ligo__gemm_ukr_c(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, float alpha,
                             float beta) {
    float acc[LIGO__GEMM_MR * LIGO__GEMM_NR];
    int64_t p;
    int i, j;
    for (i = 0; i < LIGO__GEMM_MR * LIGO__GEMM_NR; i++) acc[i] = 0.0f;
    for (p = 0; p < kc; p++) {
        const float *ap = a + p * LIGO__GEMM_MR, *bp = b + p * LIGO__GEMM_NR;
        for (i = 0; i < LIGO__GEMM_MR; i++) {
            float ai = ap[i];
            float *r = acc + i * LIGO__GEMM_NR;
            for (j = 0; j < LIGO__GEMM_NR; j++) r[j] += ai * bp[j];
        }
    }
    for (i = 0; i < LIGO__GEMM_MR; i++) {
        float *ci = c + (int64_t)i * ldc;
        const float *r = acc + i * LIGO__GEMM_NR;
        if (beta == 0.0f)
            for (j = 0; j < LIGO__GEMM_NR; j++) ci[j] = alpha * r[j];
        else
            for (j = 0; j < LIGO__GEMM_NR; j++) ci[j] = alpha * r[j] + beta * ci[j];
    }
}

/* Rows [r0, r0 + nrows) by k [p0, p0 + kc) of op(A) into MR-tall panels
 * [kc][MR]; rows past nrows are zero. trans: A is stored K x M. */
static void ligo__gemm_pack_a_c(int trans, const float *A, int64_t lda, int64_t r0, int64_t nrows, int64_t p0,
                                int64_t kc, float *dst) {
    int64_t ir, p;
    int i;
    for (ir = 0; ir < nrows; ir += LIGO__GEMM_MR) {
        int mr = nrows - ir < LIGO__GEMM_MR ? (int)(nrows - ir) : LIGO__GEMM_MR;
        if (trans) {
            const float *src = A + p0 * lda + r0 + ir;
            for (p = 0; p < kc; p++) {
                const float *s = src + p * lda;
                float *d = dst + p * LIGO__GEMM_MR;
                for (i = 0; i < mr; i++) d[i] = s[i];
                for (; i < LIGO__GEMM_MR; i++) d[i] = 0.0f;
            }
        } else {
            const float *src = A + (r0 + ir) * lda + p0;
            for (p = 0; p < kc; p++) {
                float *d = dst + p * LIGO__GEMM_MR;
                for (i = 0; i < mr; i++) d[i] = src[(int64_t)i * lda + p];
                for (; i < LIGO__GEMM_MR; i++) d[i] = 0.0f;
            }
        }
        dst += kc * LIGO__GEMM_MR;
    }
}

/* Columns [c0, c0 + ncols) by k [p0, p0 + kc) of op(B) into NR-wide panels
 * [kc][NR]; columns past ncols are zero. trans: B is stored N x K. */
static void ligo__gemm_pack_b_c(int trans, const float *B, int64_t ldb, int64_t c0, int64_t ncols, int64_t p0,
                                int64_t kc, float *dst) {
    int64_t jr, p;
    int j;
    for (jr = 0; jr < ncols; jr += LIGO__GEMM_NR) {
        int nr = ncols - jr < LIGO__GEMM_NR ? (int)(ncols - jr) : LIGO__GEMM_NR;
        if (!trans) {
            const float *src = B + p0 * ldb + c0 + jr;
            for (p = 0; p < kc; p++) {
                const float *s = src + p * ldb;
                float *d = dst + p * LIGO__GEMM_NR;
                for (j = 0; j < nr; j++) d[j] = s[j];
                for (; j < LIGO__GEMM_NR; j++) d[j] = 0.0f;
            }
        } else {
            const float *src = B + (c0 + jr) * ldb + p0;
            for (p = 0; p < kc; p++) {
                float *d = dst + p * LIGO__GEMM_NR;
                for (j = 0; j < nr; j++) d[j] = src[(int64_t)j * ldb + p];
                for (; j < LIGO__GEMM_NR; j++) d[j] = 0.0f;
            }
        }
        dst += kc * LIGO__GEMM_NR;
    }
}

/* ---- AVX2/FMA micro-kernel and transposing packers */

#if LIGO__X86

/* The 6x16 tile lives in twelve ymm accumulators. One k step: two B
 * vectors, six broadcasts of A, twelve FMAs. LIGO__GEMM_A(i, o) is the
 * address of A(row i, step p + o); each kernel defines it for its layout. */
#define LIGO__GEMM_STEP(o)                                              \
    b0 = _mm256_loadu_ps(b + 16 * (o));                                 \
    b1 = _mm256_loadu_ps(b + 16 * (o) + 8);                             \
    av = _mm256_broadcast_ss(LIGO__GEMM_A(0, o));                       \
    c00 = _mm256_fmadd_ps(av, b0, c00);                                 \
    c01 = _mm256_fmadd_ps(av, b1, c01);                                 \
    av = _mm256_broadcast_ss(LIGO__GEMM_A(1, o));                       \
    c10 = _mm256_fmadd_ps(av, b0, c10);                                 \
    c11 = _mm256_fmadd_ps(av, b1, c11);                                 \
    av = _mm256_broadcast_ss(LIGO__GEMM_A(2, o));                       \
    c20 = _mm256_fmadd_ps(av, b0, c20);                                 \
    c21 = _mm256_fmadd_ps(av, b1, c21);                                 \
    av = _mm256_broadcast_ss(LIGO__GEMM_A(3, o));                       \
    c30 = _mm256_fmadd_ps(av, b0, c30);                                 \
    c31 = _mm256_fmadd_ps(av, b1, c31);                                 \
    av = _mm256_broadcast_ss(LIGO__GEMM_A(4, o));                       \
    c40 = _mm256_fmadd_ps(av, b0, c40);                                 \
    c41 = _mm256_fmadd_ps(av, b1, c41);                                 \
    av = _mm256_broadcast_ss(LIGO__GEMM_A(5, o));                       \
    c50 = _mm256_fmadd_ps(av, b0, c50);                                 \
    c51 = _mm256_fmadd_ps(av, b1, c51)

/* Zero the accumulators and start fetching the C tile, needed at the end. */
#define LIGO__GEMM_PROLOGUE                                                         \
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();                    \
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();                    \
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();                    \
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();                    \
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();                    \
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();                    \
    __m256 b0, b1, av, va, vb;                                                      \
    int64_t p = 0;                                                                  \
    {                                                                               \
        int r_;                                                                     \
        for (r_ = 0; r_ < 6; r_++) {                                                \
            _mm_prefetch((const char *)(c + (int64_t)r_ * ldc), _MM_HINT_T0);       \
            _mm_prefetch((const char *)(c + (int64_t)r_ * ldc + 15), _MM_HINT_T0);  \
        }                                                                           \
    }

#define LIGO__GEMM_STORE_ROW(r, x0, x1)                                                        \
    do {                                                                                       \
        float *cr = c + (int64_t)(r) * ldc;                                                    \
        if (beta == 0.0f) {                                                                    \
            _mm256_storeu_ps(cr, _mm256_mul_ps(va, x0));                                       \
            _mm256_storeu_ps(cr + 8, _mm256_mul_ps(va, x1));                                   \
        } else {                                                                               \
            _mm256_storeu_ps(cr, _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), _mm256_mul_ps(va, x0))); \
            _mm256_storeu_ps(cr + 8,                                                           \
                             _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8), _mm256_mul_ps(va, x1))); \
        }                                                                                      \
    } while (0)

/* c = alpha * acc + beta * c; beta == 0 never reads c. */
#define LIGO__GEMM_EPILOGUE                 \
    va = _mm256_set1_ps(alpha);             \
    vb = _mm256_set1_ps(beta);              \
    LIGO__GEMM_STORE_ROW(0, c00, c01);      \
    LIGO__GEMM_STORE_ROW(1, c10, c11);      \
    LIGO__GEMM_STORE_ROW(2, c20, c21);      \
    LIGO__GEMM_STORE_ROW(3, c30, c31);      \
    LIGO__GEMM_STORE_ROW(4, c40, c41);      \
    LIGO__GEMM_STORE_ROW(5, c50, c51)

/* Packed A: a is [kc][6]. */
#define LIGO__GEMM_A(i, o) (a + 6 * (o) + (i))
LIGO__AVX2 static void ligo__gemm_ukr_avx2(int64_t kc, const float *a, const float *b, float *c,
                                                int64_t ldc, float alpha, float beta) {
    LIGO__GEMM_PROLOGUE
    for (; p + 4 <= kc; p += 4) {
        _mm_prefetch((const char *)(b + 16 * 16), _MM_HINT_T0);
        LIGO__GEMM_STEP(0);
        LIGO__GEMM_STEP(1);
        _mm_prefetch((const char *)(a + 6 * 16), _MM_HINT_T0);
        LIGO__GEMM_STEP(2);
        LIGO__GEMM_STEP(3);
        a += 4 * 6;
        b += 4 * 16;
    }
    for (; p < kc; p++) {
        LIGO__GEMM_STEP(0);
        a += 6;
        b += 16;
    }
    LIGO__GEMM_EPILOGUE;
}
#undef LIGO__GEMM_A

/* Unpacked row-major A: row i at a + i * lda, contiguous in k. */
#define LIGO__GEMM_A(i, o) (a + (i) * lda + p + (o))
LIGO__AVX2 static void ligo__gemm_ukr_avx2_arows(int64_t kc, const float *a, int64_t lda, const float *b,
                                                      float *c, int64_t ldc, float alpha, float beta) {
    LIGO__GEMM_PROLOGUE
    for (; p + 4 <= kc; p += 4) {
        _mm_prefetch((const char *)(b + 16 * 16), _MM_HINT_T0);
        LIGO__GEMM_STEP(0);
        LIGO__GEMM_STEP(1);
        LIGO__GEMM_STEP(2);
        LIGO__GEMM_STEP(3);
        b += 4 * 16;
    }
    for (; p < kc; p++) {
        LIGO__GEMM_STEP(0);
        b += 16;
    }
    LIGO__GEMM_EPILOGUE;
}
#undef LIGO__GEMM_A

/* The 6x8 kernels for the last columns of a narrow C (at most 8 of the 16
 * left): the first half of each packed B row, half the FMAs. Per element
 * the operations are those of the 6x16 kernels, so results do not depend
 * on which kernel computed a tile. */
#define LIGO__GEMM_STEP8(o)                                             \
    b0 = _mm256_loadu_ps(b + 16 * (o));                                 \
    c00 = _mm256_fmadd_ps(_mm256_broadcast_ss(LIGO__GEMM_A(0, o)), b0, c00); \
    c10 = _mm256_fmadd_ps(_mm256_broadcast_ss(LIGO__GEMM_A(1, o)), b0, c10); \
    c20 = _mm256_fmadd_ps(_mm256_broadcast_ss(LIGO__GEMM_A(2, o)), b0, c20); \
    c30 = _mm256_fmadd_ps(_mm256_broadcast_ss(LIGO__GEMM_A(3, o)), b0, c30); \
    c40 = _mm256_fmadd_ps(_mm256_broadcast_ss(LIGO__GEMM_A(4, o)), b0, c40); \
    c50 = _mm256_fmadd_ps(_mm256_broadcast_ss(LIGO__GEMM_A(5, o)), b0, c50)

#define LIGO__GEMM_PROLOGUE8                                                        \
    __m256 c00 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps();                    \
    __m256 c20 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps();                    \
    __m256 c40 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps();                    \
    __m256 b0, va, vb;                                                              \
    int64_t p = 0

#define LIGO__GEMM_STORE_ROW8(r, x0)                                                           \
    do {                                                                                       \
        float *cr = c + (int64_t)(r) * ldc;                                                    \
        if (beta == 0.0f)                                                                      \
            _mm256_storeu_ps(cr, _mm256_mul_ps(va, x0));                                       \
        else                                                                                   \
            _mm256_storeu_ps(cr, _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), _mm256_mul_ps(va, x0))); \
    } while (0)

#define LIGO__GEMM_EPILOGUE8                \
    va = _mm256_set1_ps(alpha);             \
    vb = _mm256_set1_ps(beta);              \
    LIGO__GEMM_STORE_ROW8(0, c00);          \
    LIGO__GEMM_STORE_ROW8(1, c10);          \
    LIGO__GEMM_STORE_ROW8(2, c20);          \
    LIGO__GEMM_STORE_ROW8(3, c30);          \
    LIGO__GEMM_STORE_ROW8(4, c40);          \
    LIGO__GEMM_STORE_ROW8(5, c50)

#define LIGO__GEMM_A(i, o) (a + 6 * (o) + (i))
LIGO__AVX2 static void ligo__gemm_ukr8_avx2(int64_t kc, const float *a, const float *b, float *c,
                                                 int64_t ldc, float alpha, float beta) {
    LIGO__GEMM_PROLOGUE8;
    for (; p + 4 <= kc; p += 4) {
        LIGO__GEMM_STEP8(0);
        LIGO__GEMM_STEP8(1);
        LIGO__GEMM_STEP8(2);
        LIGO__GEMM_STEP8(3);
        a += 4 * 6;
        b += 4 * 16;
    }
    for (; p < kc; p++) {
        LIGO__GEMM_STEP8(0);
        a += 6;
        b += 16;
    }
    LIGO__GEMM_EPILOGUE8;
}
#undef LIGO__GEMM_A

#define LIGO__GEMM_A(i, o) (a + (i) * lda + p + (o))
LIGO__AVX2 static void ligo__gemm_ukr8_avx2_arows(int64_t kc, const float *a, int64_t lda, const float *b,
                                                       float *c, int64_t ldc, float alpha, float beta) {
    LIGO__GEMM_PROLOGUE8;
    for (; p + 4 <= kc; p += 4) {
        LIGO__GEMM_STEP8(0);
        LIGO__GEMM_STEP8(1);
        LIGO__GEMM_STEP8(2);
        LIGO__GEMM_STEP8(3);
        b += 4 * 16;
    }
    for (; p < kc; p++) {
        LIGO__GEMM_STEP8(0);
        b += 16;
    }
    LIGO__GEMM_EPILOGUE8;
}
#undef LIGO__GEMM_A

#undef LIGO__GEMM_STEP8
#undef LIGO__GEMM_PROLOGUE8
#undef LIGO__GEMM_STORE_ROW8
#undef LIGO__GEMM_EPILOGUE8
#undef LIGO__GEMM_STEP
#undef LIGO__GEMM_PROLOGUE
#undef LIGO__GEMM_STORE_ROW
#undef LIGO__GEMM_EPILOGUE

/* In-register 8x8 transpose: r[k] becomes column k of the input rows. */
static inline LIGO__AVX2_INLINE void ligo__gemm_tr8x8(__m256 *r) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* Row-major A (not transposed): six rows contiguous in k go through 8x8
 * transposes; partial panels and k tails take the portable path. */
LIGO__AVX2 static void ligo__gemm_pack_a_avx2(int trans, const float *A, int64_t lda, int64_t r0,
                                                   int64_t nrows, int64_t p0, int64_t kc, float *dst) {
    int64_t ir, p;
    int k;
    __m256 r[8];
    if (trans) {
        /* A stored K x M: op(A) row panels are six contiguous floats per k
         * step; walk k rows outermost so each row of A is read once */
        int64_t full = nrows / LIGO__GEMM_MR * LIGO__GEMM_MR;
        for (p = 0; p < kc; p++) {
            const float *s = A + (p0 + p) * lda + r0;
            float *d = dst + p * LIGO__GEMM_MR;
            for (ir = 0; ir < full; ir += LIGO__GEMM_MR) {
                _mm_storeu_ps(d, _mm_loadu_ps(s + ir));
                _mm_storel_pi((__m64 *)(void *)(d + 4), _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(const void *)(s + ir + 4)));
                d += kc * LIGO__GEMM_MR;
            }
        }
        if (full < nrows) ligo__gemm_pack_a_c(trans, A, lda, r0 + full, nrows - full, p0, kc, dst + full * kc);
        return;
    }
    for (ir = 0; ir + LIGO__GEMM_MR <= nrows; ir += LIGO__GEMM_MR) {
        const float *s = A + (r0 + ir) * lda + p0;
        float *d = dst;
        for (p = 0; p + 8 <= kc; p += 8) {
            r[0] = _mm256_loadu_ps(s + p);
            r[1] = _mm256_loadu_ps(s + lda + p);
            r[2] = _mm256_loadu_ps(s + 2 * lda + p);
            r[3] = _mm256_loadu_ps(s + 3 * lda + p);
            r[4] = _mm256_loadu_ps(s + 4 * lda + p);
            r[5] = _mm256_loadu_ps(s + 5 * lda + p);
            r[6] = _mm256_setzero_ps();
            r[7] = _mm256_setzero_ps();
            ligo__gemm_tr8x8(r);
            /* eight floats per k step of six: each store's two extra lanes
             * are overwritten by the next; the last one stores exactly six */
            for (k = 0; k < 7; k++) _mm256_storeu_ps(d + k * 6, r[k]);
            _mm_storeu_ps(d + 42, _mm256_castps256_ps128(r[7]));
            _mm_storel_pi((__m64 *)(void *)(d + 46), _mm256_extractf128_ps(r[7], 1));
            d += 48;
        }
        for (; p < kc; p++) {
            for (k = 0; k < LIGO__GEMM_MR; k++) d[k] = s[(int64_t)k * lda + p];
            d += LIGO__GEMM_MR;
        }
        dst += kc * LIGO__GEMM_MR;
    }
    if (ir < nrows) ligo__gemm_pack_a_c(trans, A, lda, r0 + ir, nrows - ir, p0, kc, dst);
}

/* Transposed B (stored N x K): sixteen rows contiguous in k go through two
 * 8x8 transposes per eight k steps. */
LIGO__AVX2 static void ligo__gemm_pack_b_avx2(int trans, const float *B, int64_t ldb, int64_t c0,
                                                   int64_t ncols, int64_t p0, int64_t kc, float *dst) {
    int64_t jr, p;
    int k, h;
    __m256 r[8];
    if (!trans) {
        /* rows of B are contiguous in j: 16 floats per k step */
        for (jr = 0; jr + LIGO__GEMM_NR <= ncols; jr += LIGO__GEMM_NR) {
            const float *s = B + p0 * ldb + c0 + jr;
            float *d = dst;
            for (p = 0; p < kc; p++) {
                /* strided rows defeat the hardware prefetcher */
                _mm_prefetch((const char *)(s + 32 * ldb), _MM_HINT_T0);
                _mm_prefetch((const char *)(s + 32 * ldb + 15), _MM_HINT_T0);
                _mm256_storeu_ps(d, _mm256_loadu_ps(s));
                _mm256_storeu_ps(d + 8, _mm256_loadu_ps(s + 8));
                s += ldb;
                d += LIGO__GEMM_NR;
            }
            dst += kc * LIGO__GEMM_NR;
        }
        if (jr < ncols) ligo__gemm_pack_b_c(trans, B, ldb, c0 + jr, ncols - jr, p0, kc, dst);
        return;
    }
    for (jr = 0; jr + LIGO__GEMM_NR <= ncols; jr += LIGO__GEMM_NR) {
        const float *s = B + (c0 + jr) * ldb + p0;
        float *d = dst;
        for (p = 0; p + 8 <= kc; p += 8) {
            for (h = 0; h < 2; h++) {
                const float *sh = s + (int64_t)(8 * h) * ldb + p;
                for (k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(sh + (int64_t)k * ldb);
                ligo__gemm_tr8x8(r);
                for (k = 0; k < 8; k++) _mm256_storeu_ps(d + k * 16 + 8 * h, r[k]);
            }
            d += 8 * 16;
        }
        for (; p < kc; p++) {
            for (k = 0; k < LIGO__GEMM_NR; k++) d[k] = s[(int64_t)k * ldb + p];
            d += LIGO__GEMM_NR;
        }
        dst += kc * LIGO__GEMM_NR;
    }
    if (jr < ncols) ligo__gemm_pack_b_c(trans, B, ldb, c0 + jr, ncols - jr, p0, kc, dst);
}

#endif /* LIGO__X86 */

static int ligo__gemm_have_avx2(void) { return ligo__cpu_simd() >= LIGO__SIMD_AVX2; }

/* The kernels and packers for this CPU into g; read_a_in_place: also the
 * kernels that read row-major A without packing it (AVX2 only). */
static void ligo__gemm_kernels(ligo__gemm_job *g, int read_a_in_place) {
    g->ukr = ligo__gemm_ukr_c;
    g->ukr8 = NULL;
    g->ukr_ua = NULL;
    g->ukr8_ua = NULL;
    g->pack_a = ligo__gemm_pack_a_c;
    g->pack_b = ligo__gemm_pack_b_c;
#if LIGO__X86
    if (!ligo__gemm_have_avx2()) return;
    g->ukr = ligo__gemm_ukr_avx2;
    g->ukr8 = ligo__gemm_ukr8_avx2;
    g->pack_a = ligo__gemm_pack_a_avx2;
    g->pack_b = ligo__gemm_pack_b_avx2;
    if (read_a_in_place) {
        g->ukr_ua = ligo__gemm_ukr_avx2_arows;
        g->ukr8_ua = ligo__gemm_ukr8_avx2_arows;
    }
#else
    (void)read_a_in_place;
#endif
}

/* ---- the blocked loops */

/* The bias epilogue: once a tile's last K block is stored, while the tile
 * is in L1, c += bias (one value per column). The sum is the one a
 * separate pass after the product would make, so results do not change. */
static void ligo__gemm_add_bias(float *c, int64_t ldc, int64_t mr, int64_t nr, const float *bias) {
    int64_t i, j;
    for (i = 0; i < mr; i++) {
        float *ci = c + i * ldc;
        for (j = 0; j < nr; j++) ci[j] += bias[j];
    }
}

/* One MR x NR tile of C at c (mr x nr valid). ap is a packed A panel, or
 * with lda_ua > 0 the tile's A read in place by g->ukr_ua. Edge tiles run
 * the same kernel on a copy, so every element sees the same operations. */
static void ligo__gemm_tile_core(const ligo__gemm_job *g, int64_t kc, const float *ap, int64_t lda_ua,
                                 const float *bp, float *c, int64_t mr, int64_t nr, float beta) {
    const int64_t NR = LIGO__GEMM_NR;
    float tmp[LIGO__GEMM_MR * LIGO__GEMM_NR];
    int64_t i, j, ldc = g->ldc;
    if (nr <= 8 && g->ukr8) { /* half-width kernel, 8 columns */
        if (mr == LIGO__GEMM_MR && nr == 8) {
            if (lda_ua)
                g->ukr8_ua(kc, ap, lda_ua, bp, c, ldc, g->alpha, beta);
            else
                g->ukr8(kc, ap, bp, c, ldc, g->alpha, beta);
            return;
        }
        if (beta != 0.0f) {
            for (i = 0; i < LIGO__GEMM_MR * 8; i++) tmp[i] = 0.0f;
            for (i = 0; i < mr; i++)
                for (j = 0; j < nr; j++) tmp[i * 8 + j] = c[i * ldc + j];
        }
        if (lda_ua)
            g->ukr8_ua(kc, ap, lda_ua, bp, tmp, 8, g->alpha, beta);
        else
            g->ukr8(kc, ap, bp, tmp, 8, g->alpha, beta);
        for (i = 0; i < mr; i++)
            for (j = 0; j < nr; j++) c[i * ldc + j] = tmp[i * 8 + j];
        return;
    }
    if (mr == LIGO__GEMM_MR && nr == NR) {
        if (lda_ua)
            g->ukr_ua(kc, ap, lda_ua, bp, c, ldc, g->alpha, beta);
        else
            g->ukr(kc, ap, bp, c, ldc, g->alpha, beta);
        return;
    }
    if (beta != 0.0f) {
        for (i = 0; i < LIGO__GEMM_MR * NR; i++) tmp[i] = 0.0f;
        for (i = 0; i < mr; i++)
            for (j = 0; j < nr; j++) tmp[i * NR + j] = c[i * ldc + j];
    }
    if (lda_ua)
        g->ukr_ua(kc, ap, lda_ua, bp, tmp, NR, g->alpha, beta);
    else
        g->ukr(kc, ap, bp, tmp, NR, g->alpha, beta);
    for (i = 0; i < mr; i++)
        for (j = 0; j < nr; j++) c[i * ldc + j] = tmp[i * NR + j];
}

/* A tile, and on its last K block the epilogue: bias, then g->epi. */
static void ligo__gemm_tile(const ligo__gemm_job *g, int64_t kc, const float *ap, int64_t lda_ua, const float *bp,
                            float *c, int64_t mr, int64_t nr, float beta, const float *bias, int last) {
    ligo__gemm_tile_core(g, kc, ap, lda_ua, bp, c, mr, nr, beta);
    if (!last) return;
    if (bias) ligo__gemm_add_bias(c, g->ldc, mr, nr, bias);
    if (g->epi) g->epi(g->epi_user, c, g->ldc, mr, nr, c - g->C);
}

/* Where block (jc, pc) of op(B) starts in the shared packing: the
 * blocks of each NC-wide column range follow each other in k. */
static int64_t ligo__gemm_bofs(const ligo__gemm_job *g, int64_t jc, int64_t pc) {
    int64_t nc = g->N - jc < LIGO__GEMM_NC ? g->N - jc : LIGO__GEMM_NC;
    return g->K * jc + pc * ((nc + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR * LIGO__GEMM_NR);
}

/* The shared packing of op(B), NR-wide panels shared out between threads. */
static void ligo__gemm_pack_b_task(void *arg, int ith, int nth) {
    const ligo__gemm_job *g = (const ligo__gemm_job *)arg;
    int64_t jc, pc, jr, u = 0, total = 0, u0, u1;
    for (jc = 0; jc < g->N; jc += LIGO__GEMM_NC) {
        int64_t nc = g->N - jc < LIGO__GEMM_NC ? g->N - jc : LIGO__GEMM_NC;
        total += (g->K + g->kcb - 1) / g->kcb * ((nc + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR);
    }
    u0 = total * ith / nth;
    u1 = total * (ith + 1) / nth;
    for (jc = 0; jc < g->N; jc += LIGO__GEMM_NC) {
        int64_t nc = g->N - jc < LIGO__GEMM_NC ? g->N - jc : LIGO__GEMM_NC;
        for (pc = 0; pc < g->K; pc += g->kcb) {
            int64_t kc = g->K - pc < g->kcb ? g->K - pc : g->kcb;
            float *dst = g->bshared + ligo__gemm_bofs(g, jc, pc);
            for (jr = 0; jr < nc; jr += LIGO__GEMM_NR, u++) {
                if (u < u0 || u >= u1) continue;
                g->pack_b(g->trans_b, g->B, g->ldb, jc + jr, nc - jr < LIGO__GEMM_NR ? nc - jr : LIGO__GEMM_NR, pc, kc,
                          dst + jr * kc);
            }
        }
    }
}

/* C rows [m0, m1) x columns [n0, n1), with this thread's buffers. */
static void ligo__gemm_blocked(const ligo__gemm_job *g, float *abuf, float *bbuf, int64_t m0, int64_t m1,
                               int64_t n0, int64_t n1) {
    const int64_t MR = LIGO__GEMM_MR, NR = LIGO__GEMM_NR;
    int64_t jc, pc, ic, jr, ir, ldc = g->ldc;
    for (jc = n0; jc < n1; jc += LIGO__GEMM_NC) {
        int64_t nc = n1 - jc < LIGO__GEMM_NC ? n1 - jc : LIGO__GEMM_NC;
        for (pc = 0; pc < g->K; pc += g->kcb) {
            int64_t kc = g->K - pc < g->kcb ? g->K - pc : g->kcb;
            float beta = pc == 0 ? g->beta : 1.0f;
            int last = pc + kc >= g->K;
            const float *bias = g->bias && last ? g->bias + jc : NULL;
            if (g->bshared)
                bbuf = g->bshared + ligo__gemm_bofs(g, jc, pc);
            else
                g->pack_b(g->trans_b, g->B, g->ldb, jc, nc, pc, kc, bbuf);
            if (g->ukr_ua) {
                /* narrow C: the packed B block stays in L2, the six rows of
                 * A in L1 while the kernel sweeps across it */
                for (ir = m0; ir < m1; ir += MR) {
                    int64_t mr = m1 - ir < MR ? m1 - ir : MR, lda_ua = g->lda;
                    const float *ap = g->trans_a ? g->A + pc * g->lda + ir : g->A + ir * g->lda + pc;
                    if (mr < MR) { /* the last rows: a zero-padded packed panel */
                        g->pack_a(g->trans_a, g->A, g->lda, ir, mr, pc, kc, abuf);
                        ap = abuf;
                        lda_ua = 0;
                    }
                    for (jr = 0; jr < nc; jr += NR)
                        ligo__gemm_tile(g, kc, ap, lda_ua, bbuf + jr * kc, g->C + ir * ldc + jc + jr, mr,
                                        nc - jr < NR ? nc - jr : NR, beta, bias ? bias + jr : NULL, last);
                }
                continue;
            }
            for (ic = m0; ic < m1; ic += LIGO__GEMM_MC) {
                int64_t mc = m1 - ic < LIGO__GEMM_MC ? m1 - ic : LIGO__GEMM_MC;
                g->pack_a(g->trans_a, g->A, g->lda, ic, mc, pc, kc, abuf);
                for (jr = 0; jr < nc; jr += NR) {
                    int64_t nr = nc - jr < NR ? nc - jr : NR;
                    const float *bp = bbuf + jr * kc;
                    for (ir = 0; ir < mc; ir += MR)
                        ligo__gemm_tile(g, kc, abuf + ir * kc, 0, bp, g->C + (ic + ir) * ldc + jc + jr,
                                        mc - ir < MR ? mc - ir : MR, nr, beta, bias ? bias + jr : NULL, last);
                }
            }
        }
    }
}

static void ligo__gemm_packed_task(void *arg, int ith, int nth) {
    const ligo__gemm_job *g = (const ligo__gemm_job *)arg;
    float *abuf = g->buf + (int64_t)ith * g->thread_floats;
    float *bbuf = g->bshared ? NULL : abuf + g->a_floats;
    int64_t m0 = 0, m1 = g->M, n0 = 0, n1 = g->N;
    if (g->split_n) {
        int64_t tiles = (g->N + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR;
        n0 = tiles * ith / nth * LIGO__GEMM_NR;
        n1 = tiles * (ith + 1) / nth * LIGO__GEMM_NR;
        if (n1 > g->N) n1 = g->N;
    } else {
        int64_t tiles = (g->M + LIGO__GEMM_MR - 1) / LIGO__GEMM_MR;
        m0 = tiles * ith / nth * LIGO__GEMM_MR;
        m1 = tiles * (ith + 1) / nth * LIGO__GEMM_MR;
        if (m1 > g->M) m1 = g->M;
    }
    if (m0 < m1 && n0 < n1) ligo__gemm_blocked(g, abuf, bbuf, m0, m1, n0, n1);
}

/* ---- fallback: the plain loop, when packing buffers cannot be had */

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
        if (g->bias)
            for (j = 0; j < g->N; j++) c[j] += g->bias[j];
        if (g->epi) g->epi(g->epi_user, c, g->ldc, 1, g->N, i * g->ldc);
    }
}

static void ligo__gemm_rows_task(void *arg, int ith, int nth) {
    const ligo__gemm_job *g = (const ligo__gemm_job *)arg;
    int64_t i0 = g->M * ith / nth, i1 = g->M * (ith + 1) / nth;
    ligo__gemm_rows(g, i0, i1);
}

/* Packing buffers: a context keeps one workspace that grows to the
 * largest product it has run, so a training step allocates nothing here;
 * without a context (or while the context's workspace is in use by an
 * enclosing product) each call allocates its own. */
static void *ligo__gemm_buffers(ligo_ctx *ctx, size_t bytes, int *owned) {
    void *user = ctx ? ctx->alloc_user : NULL;
    (void)user;
    *owned = 1;
    if (ctx && !ctx->gemm_ws_busy) {
        if (ctx->gemm_ws_bytes < bytes) {
            void *p = LIGO_MALLOC(bytes, user);
            if (!p) return NULL;
            LIGO_FREE(ctx->gemm_ws, user);
            ctx->gemm_ws = p;
            ctx->gemm_ws_bytes = bytes;
        }
        ctx->gemm_ws_busy = 1;
        *owned = 0;
        return ctx->gemm_ws;
    }
    return LIGO_MALLOC(bytes, user);
}

static void ligo__gemm_release(ligo_ctx *ctx, void *raw, int owned) {
    void *user = ctx ? ctx->alloc_user : NULL;
    (void)user;
    if (owned)
        LIGO_FREE(raw, user);
    else
        ctx->gemm_ws_busy = 0;
}

/* C = alpha op(A) op(B) + beta C (+ bias on every row when bias is not
 * NULL) with the built-in kernels. */
static void ligo__sgemm_builtin_epi(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                    float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                                    float beta, float *C, int64_t ldc, const float *bias, ligo__gemm_epi_fn epi,
                                    void *epi_user) {
    ligo__gemm_job g;
    int nth, owned, shared;
    int64_t tiles, kc, mcr, ncr, shared_floats = 0;
    size_t bytes;
    void *raw;
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0.0f) { /* C = beta * C (+ bias); A and B are not read */
        int64_t i, j;
        for (i = 0; i < M; i++) {
            float *c = C + i * ldc;
            if (beta == 0.0f)
                for (j = 0; j < N; j++) c[j] = 0.0f;
            else if (beta != 1.0f)
                for (j = 0; j < N; j++) c[j] *= beta;
            if (bias)
                for (j = 0; j < N; j++) c[j] += bias[j];
        }
        if (epi) epi(epi_user, C, ldc, M, N, 0);
        return;
    }
    memset(&g, 0, sizeof g);
    g.trans_a = trans_a ? 1 : 0;
    g.trans_b = trans_b ? 1 : 0;
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
    g.bias = bias;
    g.epi = epi;
    g.epi_user = epi_user;

    /* Split the larger side. With rows split, op(B) is packed once by all
     * threads together (a parallel region of its own, whose end is the
     * barrier) and shared; with columns split, each thread packs all of
     * op(A) it needs. */
    g.split_n = N > M;
    tiles = g.split_n ? (N + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR : (M + LIGO__GEMM_MR - 1) / LIGO__GEMM_MR;
    nth = ligo__nth_for(ctx, 2.0 * (double)M * (double)N * (double)K, (double)LIGO__GEMM_MIN_FLOPS_PER_THREAD);
    if ((int64_t)nth > tiles) nth = (int)tiles;

    /* Per-thread buffers: an MC x KC block of A and (unless shared) a
     * KC x NC block of B, each rounded to whole panels and 16 floats (64
     * bytes); the shared packing of B after them. */
    {
        int64_t nb = (K + LIGO__GEMM_KC - 1) / LIGO__GEMM_KC;
        g.kcb = ((K + nb - 1) / nb + 7) / 8 * 8;
        if (g.kcb > K) g.kcb = K;
    }
    kc = g.kcb;
    mcr = M < LIGO__GEMM_MC ? (M + LIGO__GEMM_MR - 1) / LIGO__GEMM_MR * LIGO__GEMM_MR : LIGO__GEMM_MC;
    ncr = N < LIGO__GEMM_NC ? (N + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR * LIGO__GEMM_NR : LIGO__GEMM_NC;
    g.a_floats = (mcr * kc + 15) / 16 * 16;
    shared = nth > 1 && !g.split_n;
    if (shared) {
        int64_t last = (N - 1) / LIGO__GEMM_NC * LIGO__GEMM_NC;
        g.thread_floats = g.a_floats;
        shared_floats = K * (last + (N - last + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR * LIGO__GEMM_NR);
    } else {
        g.thread_floats = g.a_floats + (ncr * kc + 15) / 16 * 16;
    }
    bytes = ((size_t)g.thread_floats * (size_t)nth + (size_t)shared_floats) * sizeof(float) + LIGO__ALIGN;
    raw = ligo__gemm_buffers(ctx, bytes, &owned);
    if (!raw) {
        int nthr = ligo__nth_for(ctx, 2.0 * (double)M * (double)N * (double)K, 1 << 20);
        if ((int64_t)nthr > M) nthr = (int)M;
        ligo_parallel_for(ctx, ligo__gemm_rows_task, &g, nthr);
        return;
    }
    g.buf = (float *)(void *)(((uintptr_t)raw + (LIGO__ALIGN - 1)) & ~(uintptr_t)(LIGO__ALIGN - 1));

    /* narrow C with row-major A: packing A would cost more than the few
     * column tiles that reuse it; read A in place instead */
    ligo__gemm_kernels(&g, !g.trans_a && N <= LIGO__GEMM_UA_MAXN);
    if (shared) {
        g.bshared = g.buf + g.thread_floats * nth;
        ligo_parallel_for(ctx, ligo__gemm_pack_b_task, &g, nth);
    }
    ligo_parallel_for(ctx, ligo__gemm_packed_task, &g, nth);
    ligo__gemm_release(ctx, raw, owned);
}

LIGO_API void ligo_sgemm_builtin(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                 float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                                 float beta, float *C, int64_t ldc) {
    ligo__sgemm_builtin_epi(ctx, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL, NULL, NULL);
}

/* ---- small products with B packed once (attention)
 *
 * Attention multiplies the same K, V, Q and dO of one head by many row
 * blocks. Packing them once per head and running the micro-kernel on
 * 6-row tiles of A read in place removes the per-product packing and the
 * per-product buffers; the triangular modes skip the tiles a causal mask
 * makes zero, tile by tile rather than block by block. Single-threaded:
 * the caller threads over heads. */

LIGO__PRIV int64_t ligo__gemm_npad(int64_t n) { return (n + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR * LIGO__GEMM_NR; }

LIGO__PRIV void ligo__gemm_pack_b_whole(int trans_b, const float *B, int64_t ldb, int64_t N, int64_t K, float *dst) {
    ligo__gemm_job g;
    ligo__gemm_kernels(&g, 0);
    g.pack_b(trans_b, B, ldb, 0, N, 0, K, dst);
}

LIGO__PRIV void ligo__gemm_small(int trans_a, int tri, int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                                 int64_t lda, const float *Bp, int64_t bp_k, float beta, float *C, int64_t ldc,
                                 float *abuf) {
    const int64_t MR = LIGO__GEMM_MR, NR = LIGO__GEMM_NR;
    ligo__gemm_job g;
    int64_t ir, jr;
    memset(&g, 0, sizeof g);
    g.alpha = alpha;
    g.ldc = ldc;
    ligo__gemm_kernels(&g, !trans_a);
    for (ir = 0; ir < M; ir += MR) {
        int64_t mr = M - ir < MR ? M - ir : MR, n_end = N, k0 = 0, k1 = K, kc, lda_ua = 0;
        const float *ap;
        if (tri == LIGO__TRI_N) n_end = ir + mr < N ? ir + mr : N;
        if (tri == LIGO__TRI_K_LOWER) k1 = ir + mr < K ? ir + mr : K;
        if (tri == LIGO__TRI_K_UPPER) k0 = ir < K ? ir : K;
        kc = k1 - k0;
        if (kc <= 0) { /* nothing to add: C = beta C */
            int64_t i, j;
            for (i = ir; i < ir + mr; i++)
                for (j = 0; j < n_end; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
            continue;
        }
        if (g.ukr_ua && mr == MR) {
            ap = A + ir * lda + k0;
            lda_ua = lda;
        } else {
            g.pack_a(trans_a, A, lda, ir, mr, k0, kc, abuf);
            ap = abuf;
        }
        for (jr = 0; jr < n_end; jr += NR)
            ligo__gemm_tile(&g, kc, ap, lda_ua, Bp + jr * bp_k + k0 * NR, C + ir * ldc + jr, mr,
                            n_end - jr < NR ? n_end - jr : NR, beta, NULL, 1);
    }
}

LIGO_API const char *ligo_sgemm_kernel_name(void) { return ligo__gemm_have_avx2() ? "avx2-fma" : "portable"; }

/* ---------------------------------------------------------- choke point */

LIGO__PRIV void ligo__sgemm(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                            float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                            float beta, float *C, int64_t ldc) {
    ligo__sgemm_epi(ctx, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL, NULL, NULL);
}

LIGO__PRIV void ligo__sgemm_epi(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                float alpha, const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                                float *C, int64_t ldc, const float *bias, ligo__gemm_epi_fn epi, void *epi_user) {
    int64_t i, j;
    if (M <= 0 || N <= 0) return;
    if (!ligo__sgemm_hook) {
        ligo__sgemm_builtin_epi(ctx, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, epi,
                                epi_user);
        return;
    }
    /* the hook computes the product; the epilogue is a pass after it */
    ligo__sgemm_hook(ligo__sgemm_hook_user, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    if (bias)
        for (i = 0; i < M; i++)
            for (j = 0; j < N; j++) C[i * ldc + j] += bias[j];
    if (epi) epi(epi_user, C, ldc, M, N, 0);
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
