/* gemm_kernels.c: the micro-kernels and packers under the one matrix
 * product (gemm.c): a portable C micro-kernel and packers, AVX2/FMA ones
 * compiled for that target alone (simd.h), chosen at run time, and on
 * ARM64 a NEON micro-kernel (with the portable packers), compiled in.
 *
 * A micro-kernel computes one MR x NR tile of C (6 x 16) from packed
 * panels: A as [k][MR], B as [k][NR], both contiguous and zero-padded at
 * the edges, so all four transpose cases run the same inner loop. */
#include "ligo_internal.h"
#include "simd.h"

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

/* ---- NEON micro-kernel (ARM64) */

#if LIGO__NEON

/* The same 6 x 16 tile as the AVX2 kernel, so gemm.c's blocking and the
 * packed panels are the same on both and every element of C is the same
 * chain of fused multiply-adds over k in the same order (then
 * alpha * acc, then beta * c fused in): NEON results are bitwise the
 * AVX2 ones.
 *
 * Why this shape, counted in instructions (AArch64 has 32 vector
 * registers of 128 bits, four floats each, and FMLA by element,
 * vfmaq_laneq_f32, which multiplies a vector by one lane of another
 * register, so A needs no broadcast):
 *   accumulators   6 rows x 16 columns / 4 lanes     = 24 registers
 *   B, one k step  16 floats                          =  4 registers
 *   A, one k step  6 floats: one q load (rows 0-3)
 *                  and one d load (rows 4-5)          =  2 registers
 *   total                                               30 of 32
 * One k step is 6 loads (4 of B, 2 of A) for 24 FMAs, 4 FMAs per load,
 * and the 24 independent accumulator chains cover the FMA latency
 * (about 4 cycles on 2 to 4 FMA pipes: 8 to 16 chains in flight). The
 * usual ARM shape, 8 x 12 (24 accumulators, 3 loads of B and 2 of A for
 * 24 FMAs, 4.8 per load), reuses a little better, but it would change
 * MR and NR, and with them gemm.c's blocking and the bits of every
 * result; 6 x 16 keeps ARM64 bitwise equal to x86-64 with AVX2. B rows
 * are 64 bytes, one cache line on most ARM64 cores.
 *
 * Speed is not measured here: the NEON paths are tested under
 * qemu-aarch64, which emulates instructions one by one and says nothing
 * about the timing of a real core. */
#define LIGO__NEON_ROW(i, alane, lanefn, l)              \
    c##i##0 = lanefn(c##i##0, b0, alane, l);             \
    c##i##1 = lanefn(c##i##1, b1, alane, l);             \
    c##i##2 = lanefn(c##i##2, b2, alane, l);             \
    c##i##3 = lanefn(c##i##3, b3, alane, l)

#define LIGO__NEON_STORE_ROW(i)                                                             \
    do {                                                                                    \
        float *cr = c + (int64_t)(i) * ldc;                                                 \
        if (beta == 0.0f) {                                                                 \
            vst1q_f32(cr, vmulq_f32(va, c##i##0));                                          \
            vst1q_f32(cr + 4, vmulq_f32(va, c##i##1));                                      \
            vst1q_f32(cr + 8, vmulq_f32(va, c##i##2));                                      \
            vst1q_f32(cr + 12, vmulq_f32(va, c##i##3));                                     \
        } else {                                                                            \
            vst1q_f32(cr, vfmaq_f32(vmulq_f32(va, c##i##0), vb, vld1q_f32(cr)));            \
            vst1q_f32(cr + 4, vfmaq_f32(vmulq_f32(va, c##i##1), vb, vld1q_f32(cr + 4)));    \
            vst1q_f32(cr + 8, vfmaq_f32(vmulq_f32(va, c##i##2), vb, vld1q_f32(cr + 8)));    \
            vst1q_f32(cr + 12, vfmaq_f32(vmulq_f32(va, c##i##3), vb, vld1q_f32(cr + 12)));  \
        }                                                                                   \
    } while (0)

/* c (6 x 16, row stride ldc) = alpha * a.b + beta * c; beta == 0 never
 * reads c. a is [kc][6], b is [kc][16]. */
static void ligo__gemm_ukr_neon(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, float alpha,
                                float beta) {
    float32x4_t c00 = vdupq_n_f32(0.0f), c01 = c00, c02 = c00, c03 = c00;
    float32x4_t c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    float32x4_t c20 = c00, c21 = c00, c22 = c00, c23 = c00;
    float32x4_t c30 = c00, c31 = c00, c32 = c00, c33 = c00;
    float32x4_t c40 = c00, c41 = c00, c42 = c00, c43 = c00;
    float32x4_t c50 = c00, c51 = c00, c52 = c00, c53 = c00;
    float32x4_t va, vb;
    int64_t p;
    for (p = 0; p < kc; p++) {
        float32x4_t a03 = vld1q_f32(a);    /* A rows 0-3 at this k */
        float32x2_t a45 = vld1_f32(a + 4); /* rows 4-5 */
        float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8), b3 = vld1q_f32(b + 12);
        LIGO__NEON_ROW(0, a03, vfmaq_laneq_f32, 0);
        LIGO__NEON_ROW(1, a03, vfmaq_laneq_f32, 1);
        LIGO__NEON_ROW(2, a03, vfmaq_laneq_f32, 2);
        LIGO__NEON_ROW(3, a03, vfmaq_laneq_f32, 3);
        LIGO__NEON_ROW(4, a45, vfmaq_lane_f32, 0);
        LIGO__NEON_ROW(5, a45, vfmaq_lane_f32, 1);
        a += 6;
        b += 16;
    }
    va = vdupq_n_f32(alpha);
    vb = vdupq_n_f32(beta);
    LIGO__NEON_STORE_ROW(0);
    LIGO__NEON_STORE_ROW(1);
    LIGO__NEON_STORE_ROW(2);
    LIGO__NEON_STORE_ROW(3);
    LIGO__NEON_STORE_ROW(4);
    LIGO__NEON_STORE_ROW(5);
}
#undef LIGO__NEON_ROW
#undef LIGO__NEON_STORE_ROW

#endif /* LIGO__NEON */

/* The kernels and packers for this CPU; read_a_in_place: also the kernels
 * that read row-major A without packing it (AVX2 only; NEON packs A and
 * has no 6 x 8 kernel: narrow edge tiles go through the 6 x 16 one into
 * a scratch tile, the same values). */
LIGO__PRIV void ligo__gemm_kernels_for_cpu(ligo__gemm_kernels *k, int read_a_in_place) {
    k->ukr = ligo__gemm_ukr_c;
    k->ukr8 = NULL;
    k->ukr_ua = NULL;
    k->ukr8_ua = NULL;
    k->pack_a = ligo__gemm_pack_a_c;
    k->pack_b = ligo__gemm_pack_b_c;
#if LIGO__X86
    if (ligo__cpu_simd() < LIGO__SIMD_AVX2) return;
    k->ukr = ligo__gemm_ukr_avx2;
    k->ukr8 = ligo__gemm_ukr8_avx2;
    k->pack_a = ligo__gemm_pack_a_avx2;
    k->pack_b = ligo__gemm_pack_b_avx2;
    if (read_a_in_place) {
        k->ukr_ua = ligo__gemm_ukr_avx2_arows;
        k->ukr8_ua = ligo__gemm_ukr8_avx2_arows;
    }
#else
    (void)read_a_in_place;
#endif
#if LIGO__NEON
    k->ukr = ligo__gemm_ukr_neon;
#endif
}

/* "avx2-fma", "neon-fma" or "portable": the kernel ligo__gemm_kernels_for_cpu
 * chooses. The op kernels (softmax, cross-entropy, GELU, layernorm,
 * attention, linear's column sums) choose by the same rule, so the name
 * says which paths they take too; AdamW and the clipping norm take theirs
 * on NEON, or on x86 wherever AVX alone is there. */
LIGO_API const char *ligo_sgemm_kernel_name(void) {
#if LIGO__NEON
    return "neon-fma";
#else
    return ligo__cpu_simd() >= LIGO__SIMD_AVX2 ? "avx2-fma" : "portable";
#endif
}
