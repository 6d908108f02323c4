/* simd.h: the one place that says whether x86 SIMD code is compiled
 * (LIGO__X86) and whether this CPU runs it (ligo__cpu_simd), for gemm, the
 * op kernels and optim; and the AVX2 vector math that several op kernels
 * share. Everything here is static: a source compiled on its own gets its
 * own copy, the amalgamated header one. */
#ifndef LIGO_SIMD_H
#define LIGO_SIMD_H

#include "ligo_internal.h"

/* x86 with gcc or clang: SIMD functions are compiled for their target
 * alone (the rest of the library keeps the build's baseline) and chosen
 * at run time. Everywhere else, and under LIGO_NO_SIMD, only the portable
 * C paths exist. */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__)) && !defined(LIGO_NO_SIMD)
#define LIGO__X86 1
#include <immintrin.h>
#define LIGO__AVX2 __attribute__((target("avx2,fma")))
#define LIGO__AVX2_INLINE __attribute__((target("avx2,fma"), always_inline))
#define LIGO__AVX __attribute__((target("avx")))
#else
#define LIGO__X86 0
#endif

/* What this CPU runs, in increasing order: a kernel compiled LIGO__AVX2
 * needs LIGO__SIMD_AVX2 (AVX2 and FMA), one compiled LIGO__AVX needs
 * LIGO__SIMD_AVX. Cheap enough to ask per call (the CPU was identified
 * at start-up; the init call only makes sure of it). */
enum { LIGO__SIMD_NONE = 0, LIGO__SIMD_AVX = 1, LIGO__SIMD_AVX2 = 2 };

static LIGO__UNUSED int ligo__cpu_simd(void) {
#if LIGO__X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return LIGO__SIMD_AVX2;
    if (__builtin_cpu_supports("avx")) return LIGO__SIMD_AVX;
#endif
    return LIGO__SIMD_NONE;
}

#if LIGO__X86

/* The sum of 8 lanes in a fixed order. */
LIGO__AVX2 static LIGO__UNUSED float ligo__hsum8(__m256 v) {
    float l[8];
    _mm256_storeu_ps(l, v);
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

/* exp on 8 floats: x = n ln2 + r, |r| <= ln2 / 2, a degree-6 polynomial
 * for e^r (Cephes' coefficients), 2^n put in the exponent bits. The clamp
 * keeps NaN: max and min return their second operand when one is NaN, so
 * x goes second (the bounds are not zeros: finite results are as before). */
LIGO__AVX2 static LIGO__UNUSED __m256 ligo__exp8(__m256 x) {
    __m256 fx, r, p, y;
    __m256i e;
    x = _mm256_min_ps(_mm256_set1_ps(88.0f), _mm256_max_ps(_mm256_set1_ps(-87.0f), x));
    fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), r);
    p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

/* max of row[0, n), eight lanes at a time (softmax, cross-entropy). Like
 * the scalar loop it skips NaN: max returns its second operand when one is
 * NaN, so the running max goes second. *neg_inf: some entry is -inf,
 * where exp8 gives a tiny value and expf 0 (which matters when the 0 later
 * meets an infinity); the callers take the scalar loop for such rows. */
LIGO__AVX2 static LIGO__UNUSED float ligo__row_max_avx2(const float *row, int64_t n, int *neg_inf) {
    int64_t u, v8 = n / 8 * 8;
    float mx = -FLT_MAX, mn = FLT_MAX, lanes[8], lmin[8];
    __m256 vmx = _mm256_set1_ps(-FLT_MAX), vmn = _mm256_set1_ps(FLT_MAX);
    for (u = 0; u < v8; u += 8) {
        __m256 x = _mm256_loadu_ps(row + u);
        vmx = _mm256_max_ps(x, vmx);
        vmn = _mm256_min_ps(x, vmn);
    }
    _mm256_storeu_ps(lanes, vmx);
    _mm256_storeu_ps(lmin, vmn);
    for (u = 0; u < 8; u++) {
        mx = lanes[u] > mx ? lanes[u] : mx;
        mn = lmin[u] < mn ? lmin[u] : mn;
    }
    for (u = v8; u < n; u++) mx = row[u] > mx ? row[u] : mx;
    *neg_inf = mn < -FLT_MAX;
    return mx;
}

#endif /* LIGO__X86 */

#endif /* LIGO_SIMD_H */
