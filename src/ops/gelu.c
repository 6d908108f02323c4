/* ops/gelu.c: GELU, tanh approximation (GPT-2's),
 *   y = 0.5 x (1 + tanh(s (x + 0.044715 x^3))),  s = sqrt(2 / pi),
 * with AVX2 and NEON paths, and the pieces ligo_linear_gelu runs in its GEMM
 * epilogue and its backward (ops.h). */
#include "ops.h"
#include "../simd.h"

LIGO__OP(GELU, "gelu", 1, 0);

/* Elementwise work, split over threads (forward and backward). */
typedef struct ligo__gelu_job {
    const float *x, *g;
    float *y;
    int64_t n;
    int fresh; /* backward: y is a new buffer, store instead of adding */
} ligo__gelu_job;

#define LIGO__GELU_S 0.7978845608028654f
#define LIGO__GELU_A 0.044715f

/* tanh through one expf: libm's tanhf costs several times more, and the
 * absolute error here (about 1e-7) is what GELU's 1 + tanh needs. expf
 * overflows to infinity for large u, which still gives exactly +-1. */
static float ligo__tanh(float u) { return 1.0f - 2.0f / (1.0f + expf(2.0f * u)); }

LIGO__PRIV ligo_status ligo__shape_GELU(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    ligo__copy_shape(a->src[0], ndim, shape);
    return LIGO_OK;
}
/* GELU is elementwise and costly (an exp and a division per element), so
 * it has an AVX2/FMA path chosen at run time like the GEMM kernel. Work is
 * split in blocks of 8 so that which elements take the vector path does
 * not depend on the thread count (results stay bitwise identical). */
static void ligo__gelu_range(const ligo__gelu_job *j, int ith, int nth, int64_t *i0, int64_t *i1) {
    int64_t blocks = j->n / 8;
    *i0 = blocks * ith / nth * 8;
    *i1 = ith == nth - 1 ? j->n : blocks * (ith + 1) / nth * 8;
}

static float ligo__gelu1(float x) {
    float u = LIGO__GELU_S * (x + LIGO__GELU_A * x * x * x);
    return 0.5f * x * (1.0f + ligo__tanh(u));
}

/* dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) s (1 + 3 a x^2), t = tanh(u). */
static float ligo__gelu_grad1(float x) {
    float u = LIGO__GELU_S * (x + LIGO__GELU_A * x * x * x), t = ligo__tanh(u);
    float du = LIGO__GELU_S * (1.0f + 3.0f * LIGO__GELU_A * x * x);
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
}

#if LIGO__X86
/* t = tanh(u) = 1 - 2 / (1 + e^(2u)) for 8 values of x, with u the GELU
 * argument; also returns x. */
LIGO__AVX2 static __m256 ligo__gelu_tanh8(__m256 x) {
    __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
    __m256 u = _mm256_mul_ps(_mm256_set1_ps(LIGO__GELU_S), _mm256_fmadd_ps(_mm256_set1_ps(LIGO__GELU_A), x3, x));
    __m256 e = ligo__exp8(_mm256_add_ps(u, u));
    return _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e)));
}

LIGO__AVX2 static void ligo__gelu_fwd_avx2(const float *x, float *y, int64_t i0, int64_t i1) {
    int64_t i;
    for (i = i0; i < i1; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), t = ligo__gelu_tanh8(v);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), _mm256_add_ps(_mm256_set1_ps(1.0f), t)));
    }
}

LIGO__AVX2 static void ligo__gelu_bwd_avx2(const float *x, const float *g, float *dx,
                                                                    int64_t i0, int64_t i1, int fresh) {
    int64_t i;
    for (i = i0; i < i1; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), t = ligo__gelu_tanh8(v), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
        __m256 du = _mm256_mul_ps(_mm256_set1_ps(LIGO__GELU_S),
                                  _mm256_fmadd_ps(_mm256_set1_ps(3.0f * LIGO__GELU_A), _mm256_mul_ps(v, v), one));
        __m256 d = _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_mul_ps(_mm256_fnmadd_ps(t, t, one), du));
        d = _mm256_fmadd_ps(half, _mm256_add_ps(one, t), d);
        if (fresh)
            _mm256_storeu_ps(dx + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), d));
        else
            _mm256_storeu_ps(dx + i, _mm256_fmadd_ps(_mm256_loadu_ps(g + i), d, _mm256_loadu_ps(dx + i)));
    }
}

#endif

#if LIGO__NEON
/* The AVX2 functions' twins (simd.h): the same operations, the same bits. */
static ligo__f8 ligo__gelu_tanh8_neon(ligo__f8 x) {
    ligo__f8 x3 = ligo__f8_mul(ligo__f8_mul(x, x), x), one = ligo__f8_set1(1.0f);
    ligo__f8 u = ligo__f8_mul(ligo__f8_set1(LIGO__GELU_S), ligo__f8_fma(ligo__f8_set1(LIGO__GELU_A), x3, x));
    ligo__f8 e = ligo__exp8_neon(ligo__f8_add(u, u));
    return ligo__f8_sub(one, ligo__f8_div(ligo__f8_set1(2.0f), ligo__f8_add(one, e)));
}

static void ligo__gelu_fwd_neon(const float *x, float *y, int64_t i0, int64_t i1) {
    int64_t i;
    for (i = i0; i < i1; i += 8) {
        ligo__f8 v = ligo__f8_load(x + i), t = ligo__gelu_tanh8_neon(v);
        ligo__f8_store(y + i, ligo__f8_mul(ligo__f8_mul(ligo__f8_set1(0.5f), v), ligo__f8_add(ligo__f8_set1(1.0f), t)));
    }
}

static void ligo__gelu_bwd_neon(const float *x, const float *g, float *dx, int64_t i0, int64_t i1, int fresh) {
    int64_t i;
    for (i = i0; i < i1; i += 8) {
        ligo__f8 v = ligo__f8_load(x + i), t = ligo__gelu_tanh8_neon(v), half = ligo__f8_set1(0.5f);
        ligo__f8 one = ligo__f8_set1(1.0f);
        ligo__f8 du = ligo__f8_mul(ligo__f8_set1(LIGO__GELU_S),
                                   ligo__f8_fma(ligo__f8_set1(3.0f * LIGO__GELU_A), ligo__f8_mul(v, v), one));
        ligo__f8 d = ligo__f8_mul(ligo__f8_mul(half, v), ligo__f8_mul(ligo__f8_fnma(t, t, one), du));
        d = ligo__f8_fma(half, ligo__f8_add(one, t), d);
        if (fresh)
            ligo__f8_store(dx + i, ligo__f8_mul(ligo__f8_load(g + i), d));
        else
            ligo__f8_store(dx + i, ligo__f8_fma(ligo__f8_load(g + i), d, ligo__f8_load(dx + i)));
    }
}
#endif

static void ligo__gelu_fwd_task(void *arg, int ith, int nth) {
    const ligo__gelu_job *j = (const ligo__gelu_job *)arg;
    int64_t i, i0, i1, vec_end;
    ligo__gelu_range(j, ith, nth, &i0, &i1);
    vec_end = i0;
#if LIGO__X86
    if (ligo__cpu_simd() >= LIGO__SIMD_AVX2) {
        vec_end = i0 + (i1 - i0) / 8 * 8;
        ligo__gelu_fwd_avx2(j->x, j->y, i0, vec_end);
    }
#elif LIGO__NEON
    vec_end = i0 + (i1 - i0) / 8 * 8;
    ligo__gelu_fwd_neon(j->x, j->y, i0, vec_end);
#endif
    for (i = vec_end; i < i1; i++) j->y[i] = ligo__gelu1(j->x[i]);
}

static void ligo__gelu_bwd_task(void *arg, int ith, int nth) {
    const ligo__gelu_job *j = (const ligo__gelu_job *)arg;
    int64_t i, i0, i1, vec_end;
    ligo__gelu_range(j, ith, nth, &i0, &i1);
    vec_end = i0;
#if LIGO__X86
    if (ligo__cpu_simd() >= LIGO__SIMD_AVX2) {
        vec_end = i0 + (i1 - i0) / 8 * 8;
        ligo__gelu_bwd_avx2(j->x, j->g, j->y, i0, vec_end, j->fresh);
    }
#elif LIGO__NEON
    vec_end = i0 + (i1 - i0) / 8 * 8;
    ligo__gelu_bwd_neon(j->x, j->g, j->y, i0, vec_end, j->fresh);
#endif
    for (i = vec_end; i < i1; i++) j->y[i] = (j->fresh ? 0.0f : j->y[i]) + j->g[i] * ligo__gelu_grad1(j->x[i]);
}

/* The linear op's GELU epilogue: the tile's pre-activation to h (same
 * layout as C), GELU in place, eight at a time where they fit. */
LIGO__PRIV void ligo__gelu_epi(void *user, float *c, int64_t ldc, int64_t mr, int64_t nr, int64_t offset) {
    float *h = (float *)user + offset;
    int64_t i, k, v8 = 0;
#if LIGO__X86
    int simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
    if (simd) v8 = nr / 8 * 8;
#elif LIGO__NEON
    v8 = nr / 8 * 8;
#endif
    for (i = 0; i < mr; i++) {
        float *ci = c + i * ldc, *hi = h + i * ldc;
        memcpy(hi, ci, (size_t)nr * sizeof(float));
#if LIGO__X86
        if (v8) ligo__gelu_fwd_avx2(hi, ci, 0, v8);
#elif LIGO__NEON
        ligo__gelu_fwd_neon(hi, ci, 0, v8);
#endif
        for (k = v8; k < nr; k++) ci[k] = ligo__gelu1(hi[k]);
    }
}

LIGO__PRIV void ligo__fwd_GELU(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__gelu_job j;
    j.x = out->src[0]->data;
    j.g = NULL;
    j.y = out->data;
    j.n = out->n;
    j.fresh = 0;
    ligo_parallel_for(ctx, ligo__gelu_fwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 8.0 * (double)out->n, 0.0);
}
LIGO__PRIV void ligo__gelu_backward(ligo_ctx *ctx, const float *x, const float *g, float *dx, int64_t n, int fresh) {
    ligo__gelu_job j;
    j.x = x;
    j.g = g;
    j.y = dx;
    j.n = n;
    j.fresh = fresh;
    ligo_parallel_for(ctx, ligo__gelu_bwd_task, &j, ligo__nth_for(ctx, (double)n, 16384.0));
}
LIGO__PRIV void ligo__bwd_GELU(ligo_ctx *ctx, ligo_tensor *out) {
    int fresh;
    float *dx = ligo__grad_fresh(ctx, out->src[0], &fresh);
    if (!dx) return;
    ligo__gelu_backward(ctx, out->src[0]->data, out->grad, dx, out->n, fresh);
    ligo_flops_add(ctx, 0.0, 14.0 * (double)out->n);
}
/* GELU, tanh approximation (GPT-2's). */
LIGO_API ligo_tensor *ligo_gelu(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_GELU, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__gelu_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_gelu(ctx, in[0]);
}
LIGO__PRIV int ligo__cases_GELU(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "gelu", .run = ligo__gelu_case, .n_in = 1, .in = {{2, {4, 5}, 3.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
