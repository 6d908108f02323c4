/* simd.h: the one place that says which SIMD code is compiled: x86
 * (LIGO__X86, AVX2/FMA and AVX, chosen at run time by ligo__cpu_simd) or
 * ARM64 (LIGO__NEON, NEON, architectural on AArch64 and so chosen at
 * compile time), for gemm, the op kernels and optim; and the vector math
 * that several op kernels share, in an AVX2 version and its NEON twin.
 * Everything here is static: a source compiled on its own gets its own
 * copy, the amalgamated header one. */
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

/* AArch64 with gcc or clang: every AArch64 CPU has NEON (Advanced SIMD)
 * with fused multiply-add, so its paths are compiled in and always taken;
 * LIGO_NO_SIMD leaves only the portable C. */
#if defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(LIGO_NO_SIMD)
#define LIGO__NEON 1
#include <arm_neon.h>
#else
#define LIGO__NEON 0
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

#if LIGO__NEON

/* The NEON twin of the AVX2 math above. An AVX2 kernel works on eight
 * lanes; its NEON twin holds the same eight lanes in two 128-bit
 * registers (lo: lanes 0-3, hi: lanes 4-7) and does, lane by lane, the
 * same operations in the same order, fused where the AVX2 code fuses and
 * nowhere else. So a NEON kernel gives the bits its AVX2 twin gives, and
 * which elements take the vector path and which the scalar tail is the
 * same on both. Two x86 rules need care:
 *   - _mm256_max_ps(a, b) is a > b ? a : b and _mm256_min_ps(a, b) is
 *     a < b ? a : b: the second operand when either is NaN (and b for
 *     max(+0, -0)). NEON's vmaxq_f32 / vminq_f32 return NaN instead, so
 *     ligo__f8_max / ligo__f8_min compare and select, as x86 does.
 *   - _mm256_round_ps rounds to nearest, ties to even: vrndnq_f32. */
typedef struct ligo__f8 {
    float32x4_t lo, hi;
} ligo__f8;

static inline ligo__f8 ligo__f8_load(const float *p) {
    ligo__f8 r;
    r.lo = vld1q_f32(p);
    r.hi = vld1q_f32(p + 4);
    return r;
}
static inline void ligo__f8_store(float *p, ligo__f8 v) {
    vst1q_f32(p, v.lo);
    vst1q_f32(p + 4, v.hi);
}
static inline ligo__f8 ligo__f8_set1(float x) {
    ligo__f8 r;
    r.lo = r.hi = vdupq_n_f32(x);
    return r;
}
#define LIGO__F8_BINARY(name, op)                            \
    static inline ligo__f8 name(ligo__f8 a, ligo__f8 b) {    \
        ligo__f8 r;                                          \
        r.lo = op(a.lo, b.lo);                               \
        r.hi = op(a.hi, b.hi);                               \
        return r;                                            \
    }
LIGO__F8_BINARY(ligo__f8_add, vaddq_f32)
LIGO__F8_BINARY(ligo__f8_sub, vsubq_f32)
LIGO__F8_BINARY(ligo__f8_mul, vmulq_f32)
LIGO__F8_BINARY(ligo__f8_div, vdivq_f32)
#undef LIGO__F8_BINARY

/* a * b + c with one rounding (_mm256_fmadd_ps) */
static inline ligo__f8 ligo__f8_fma(ligo__f8 a, ligo__f8 b, ligo__f8 c) {
    ligo__f8 r;
    r.lo = vfmaq_f32(c.lo, a.lo, b.lo);
    r.hi = vfmaq_f32(c.hi, a.hi, b.hi);
    return r;
}
/* c - a * b with one rounding (_mm256_fnmadd_ps) */
static inline ligo__f8 ligo__f8_fnma(ligo__f8 a, ligo__f8 b, ligo__f8 c) {
    ligo__f8 r;
    r.lo = vfmsq_f32(c.lo, a.lo, b.lo);
    r.hi = vfmsq_f32(c.hi, a.hi, b.hi);
    return r;
}
/* a > b ? a : b and a < b ? a : b lane by lane: x86's max and min, on
 * four lanes and on eight */
static inline float32x4_t ligo__max4_x86(float32x4_t a, float32x4_t b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
static inline float32x4_t ligo__min4_x86(float32x4_t a, float32x4_t b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
static inline ligo__f8 ligo__f8_max(ligo__f8 a, ligo__f8 b) {
    ligo__f8 r;
    r.lo = ligo__max4_x86(a.lo, b.lo);
    r.hi = ligo__max4_x86(a.hi, b.hi);
    return r;
}
static inline ligo__f8 ligo__f8_min(ligo__f8 a, ligo__f8 b) {
    ligo__f8 r;
    r.lo = ligo__min4_x86(a.lo, b.lo);
    r.hi = ligo__min4_x86(a.hi, b.hi);
    return r;
}

/* The sum of 8 lanes in ligo__hsum8's order,
 * ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)): a pairwise add gives
 * (l0+l1, l2+l3, l4+l5, l6+l7), a second one adds those pairs. */
static inline float ligo__hsum8_neon(ligo__f8 v) {
    float32x4_t p = vpaddq_f32(v.lo, v.hi);
    p = vpaddq_f32(p, p);
    return vgetq_lane_f32(p, 0) + vgetq_lane_f32(p, 1);
}

/* ligo__exp8 on four lanes, operation for operation. fx is a whole
 * number within [-126, 127] (x is clamped), so converting it by
 * truncation (vcvtq_s32_f32) gives what x86's rounding conversion gives;
 * for NaN both put 1.0f's bits in e, and y is NaN. */
static inline float32x4_t ligo__exp4_neon(float32x4_t x) {
    float32x4_t fx, r, p, y;
    int32x4_t e;
    x = ligo__min4_x86(vdupq_n_f32(88.0f), ligo__max4_x86(vdupq_n_f32(-87.0f), x)); /* NaN stays NaN */
    fx = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504088896341f)));
    r = vfmsq_f32(x, fx, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, fx, vdupq_n_f32(-2.12194440e-4f));
    p = vdupq_n_f32(1.9875691500e-4f);
    p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
    p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
    y = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), vmulq_f32(p, r), r);
    e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(fx), vdupq_n_s32(127)), 23);
    return vmulq_f32(y, vreinterpretq_f32_s32(e));
}
static inline ligo__f8 ligo__exp8_neon(ligo__f8 x) {
    ligo__f8 r;
    r.lo = ligo__exp4_neon(x.lo);
    r.hi = ligo__exp4_neon(x.hi);
    return r;
}

/* ligo__row_max_avx2 on NEON: the same lanes, the same NaN rule (the
 * running max goes second, so NaN entries are skipped like the scalar
 * loop skips them), the same *neg_inf. */
static LIGO__UNUSED float ligo__row_max_neon(const float *row, int64_t n, int *neg_inf) {
    int64_t u, v8 = n / 8 * 8;
    float mx = -FLT_MAX, mn = FLT_MAX, lanes[8], lmin[8];
    ligo__f8 vmx = ligo__f8_set1(-FLT_MAX), vmn = ligo__f8_set1(FLT_MAX);
    for (u = 0; u < v8; u += 8) {
        ligo__f8 x = ligo__f8_load(row + u);
        vmx = ligo__f8_max(x, vmx);
        vmn = ligo__f8_min(x, vmn);
    }
    ligo__f8_store(lanes, vmx);
    ligo__f8_store(lmin, vmn);
    for (u = 0; u < 8; u++) {
        mx = lanes[u] > mx ? lanes[u] : mx;
        mn = lmin[u] < mn ? lmin[u] : mn;
    }
    for (u = v8; u < n; u++) mx = row[u] > mx ? row[u] : mx;
    *neg_inf = mn < -FLT_MAX;
    return mx;
}

#endif /* LIGO__NEON */

#endif /* LIGO_SIMD_H */
