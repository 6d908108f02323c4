/* ops/cross_entropy.c: mean softmax cross-entropy.
 * logits (R, V), targets (R) in node->ids. loss = mean over counted rows
 * (target not ignore_index) of logsumexp(row) - row[target]. Saves the
 * logsumexp of each row (R). d logits = (softmax - onehot) / count. */
#include "ops.h"
#include "../simd.h"

LIGO__OP(CROSS_ENTROPY, "cross_entropy", 1, 0);

typedef struct ligo__cross_entropy_param {
    int32_t ignore_index;
    int64_t count;            /* rows that counted, set by forward */
    float *lse;               /* logsumexp per row (R), saved by forward */
    unsigned char *scalar_row; /* per row: it holds -inf, backward takes the scalar loop */
} ligo__cross_entropy_param;

LIGO__PRIV ligo_status ligo__shape_CROSS_ENTROPY(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0];
    int64_t R = ligo__rows(x), V = ligo__last(x), i;
    int32_t ignore = ((const ligo__cross_entropy_param *)a->param)->ignore_index;
    if (!a->ids) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_cross_entropy: targets is NULL");
    if (a->n_ids != R) {
        char bx[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_cross_entropy: %lld targets for %lld rows of logits %s",
                              (long long)a->n_ids, (long long)R, ligo_shape_str(x, bx, sizeof bx));
    }
    for (i = 0; i < R; i++) {
        int32_t t = a->ids[i];
        if (t != ignore && (t < 0 || (int64_t)t >= V))
            return ligo_set_error(ctx, LIGO_ERANGE, "ligo_cross_entropy: target %ld at row %lld is outside [0, %lld)",
                                  (long)t, (long long)i, (long long)V);
    }
    return ligo__shape_scalar(ndim, shape);
}
/* Threaded over rows; each row's loss is kept and the mean is summed in
 * row order, so the result does not depend on the thread count. */
typedef struct ligo__ce_job {
    ligo_tensor *out;
    float *lse, *dx;
    unsigned char *scalar_row; /* the row holds -inf: backward takes the scalar loop */
    double *row_loss;
    float g;
    int64_t R, V;
    int fresh; /* backward: dx is a new buffer, store instead of adding */
} ligo__ce_job;

/* A row's max and sum of exp(row - max) (in double), eight lanes at a
 * time on AVX2: lane sums in double, added in a fixed order. A row with
 * -inf takes the scalar loop (*neg_inf set), here and in backward. */
#if LIGO__X86
LIGO__AVX2 static double ligo__ce_sumexp_avx2(const float *row, int64_t V, float *mx_out,
                                                                       int *neg_inf) {
    int64_t v, v8 = V / 8 * 8;
    float mx = ligo__row_max_avx2(row, V, neg_inf);
    double d[8], s = 0.0;
    __m256 vm = _mm256_set1_ps(mx);
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    *mx_out = mx;
    if (*neg_inf) {
        for (v = 0; v < V; v++) s += (double)expf(row[v] - mx);
        return s;
    }
    for (v = 0; v < v8; v += 8) {
        __m256 e = ligo__exp8(_mm256_sub_ps(_mm256_loadu_ps(row + v), vm));
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    _mm256_storeu_pd(d, s0);
    _mm256_storeu_pd(d + 4, s1);
    s = ((d[0] + d[1]) + (d[2] + d[3])) + ((d[4] + d[5]) + (d[6] + d[7]));
    for (v = v8; v < V; v++) s += (double)expf(row[v] - mx);
    return s;
}

/* d (+)= g * exp(row - lse) */
LIGO__AVX2 static void ligo__ce_grad_avx2(const float *row, float *d, int64_t V, float lse,
                                                                   float g, int fresh) {
    int64_t v, v8 = V / 8 * 8;
    __m256 vl = _mm256_set1_ps(lse), vg = _mm256_set1_ps(g);
    for (v = 0; v < v8; v += 8) {
        __m256 e = _mm256_mul_ps(vg, ligo__exp8(_mm256_sub_ps(_mm256_loadu_ps(row + v), vl)));
        _mm256_storeu_ps(d + v, fresh ? e : _mm256_add_ps(_mm256_loadu_ps(d + v), e));
    }
    for (v = v8; v < V; v++) d[v] = (fresh ? 0.0f : d[v]) + g * expf(row[v] - lse);
}
#endif

/* The NEON twins (simd.h), lane for lane: the eight double sums are four
 * pairs, lanes 0-3 widened from the low half of each exp, 4-7 from the
 * high half. */
#if LIGO__NEON
static double ligo__ce_sumexp_neon(const float *row, int64_t V, float *mx_out, int *neg_inf) {
    int64_t v, v8 = V / 8 * 8;
    float mx = ligo__row_max_neon(row, V, neg_inf);
    double s = 0.0;
    ligo__f8 vm = ligo__f8_set1(mx);
    float64x2_t s01 = vdupq_n_f64(0.0), s23 = s01, s45 = s01, s67 = s01;
    *mx_out = mx;
    if (*neg_inf) {
        for (v = 0; v < V; v++) s += (double)expf(row[v] - mx);
        return s;
    }
    for (v = 0; v < v8; v += 8) {
        ligo__f8 e = ligo__exp8_neon(ligo__f8_sub(ligo__f8_load(row + v), vm));
        s01 = vaddq_f64(s01, vcvt_f64_f32(vget_low_f32(e.lo)));
        s23 = vaddq_f64(s23, vcvt_high_f64_f32(e.lo));
        s45 = vaddq_f64(s45, vcvt_f64_f32(vget_low_f32(e.hi)));
        s67 = vaddq_f64(s67, vcvt_high_f64_f32(e.hi));
    }
    /* ((d0 + d1) + (d2 + d3)) + ((d4 + d5) + (d6 + d7)) */
    s = (vaddvq_f64(s01) + vaddvq_f64(s23)) + (vaddvq_f64(s45) + vaddvq_f64(s67));
    for (v = v8; v < V; v++) s += (double)expf(row[v] - mx);
    return s;
}

static void ligo__ce_grad_neon(const float *row, float *d, int64_t V, float lse, float g, int fresh) {
    int64_t v, v8 = V / 8 * 8;
    ligo__f8 vl = ligo__f8_set1(lse), vg = ligo__f8_set1(g);
    for (v = 0; v < v8; v += 8) {
        ligo__f8 e = ligo__f8_mul(vg, ligo__exp8_neon(ligo__f8_sub(ligo__f8_load(row + v), vl)));
        ligo__f8_store(d + v, fresh ? e : ligo__f8_add(ligo__f8_load(d + v), e));
    }
    for (v = v8; v < V; v++) d[v] = (fresh ? 0.0f : d[v]) + g * expf(row[v] - lse);
}
#endif

static void ligo__ce_fwd_task(void *arg, int ith, int nth) {
    const ligo__ce_job *j = (const ligo__ce_job *)arg;
    const ligo_tensor *out = j->out, *x = out->src[0];
    int64_t V = j->V, r, v, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    int32_t ignore = ((const ligo__cross_entropy_param *)out->param)->ignore_index;
    int simd = 0;
#if LIGO__X86
    simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    (void)simd;
    for (r = r0; r < r1; r++) {
        const float *row = x->data + r * V;
        float mx = -FLT_MAX;
        double s = 0.0;
        if (out->ids[r] == ignore) continue;
#if LIGO__X86
        if (simd) {
            int neg_inf;
            s = ligo__ce_sumexp_avx2(row, V, &mx, &neg_inf);
            j->scalar_row[r] = (unsigned char)neg_inf;
            j->lse[r] = mx + (float)log(s);
            j->row_loss[r] = (double)j->lse[r] - (double)row[out->ids[r]];
            continue;
        }
#elif LIGO__NEON
        {
            int neg_inf;
            s = ligo__ce_sumexp_neon(row, V, &mx, &neg_inf);
            j->scalar_row[r] = (unsigned char)neg_inf;
            j->lse[r] = mx + (float)log(s);
            j->row_loss[r] = (double)j->lse[r] - (double)row[out->ids[r]];
            continue;
        }
#endif
        for (v = 0; v < V; v++) mx = row[v] > mx ? row[v] : mx;
        for (v = 0; v < V; v++) s += (double)expf(row[v] - mx);
        j->lse[r] = mx + (float)log(s);
        j->row_loss[r] = (double)j->lse[r] - (double)row[out->ids[r]];
    }
}

LIGO__PRIV void ligo__fwd_CROSS_ENTROPY(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0];
    ligo__ce_job j;
    ligo__cross_entropy_param *p = (ligo__cross_entropy_param *)out->param;
    int64_t r, count = 0;
    int32_t ignore = p->ignore_index;
    double total = 0.0;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.R = ligo__rows(x);
    j.V = ligo__last(x);
    j.lse = (float *)ligo_alloc_scratch(ctx, (size_t)j.R * (sizeof(float) + 1));
    j.row_loss = (double *)ligo_alloc_scratch(ctx, (size_t)j.R * sizeof(double));
    if (!j.lse || !j.row_loss) return;
    j.scalar_row = (unsigned char *)(j.lse + j.R);
    memset(j.scalar_row, 0, (size_t)j.R);
    p->lse = j.lse;
    p->scalar_row = j.scalar_row;
    ligo_parallel_for(ctx, ligo__ce_fwd_task, &j, ligo__nth_for(ctx, (double)j.R * (double)j.V, 16384.0));
    for (r = 0; r < j.R; r++) {
        if (out->ids[r] == ignore) continue;
        total += j.row_loss[r];
        count++;
    }
    p->count = count;
    out->data[0] = count ? (float)(total / (double)count) : 0.0f;
    ligo_flops_add(ctx, 4.0 * (double)count * (double)j.V, 0.0);
}

static void ligo__ce_bwd_task(void *arg, int ith, int nth) {
    const ligo__ce_job *j = (const ligo__ce_job *)arg;
    const ligo_tensor *out = j->out, *x = out->src[0];
    int64_t V = j->V, r, v, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    int32_t ignore = ((const ligo__cross_entropy_param *)out->param)->ignore_index;
    const float *lse = ((const ligo__cross_entropy_param *)out->param)->lse;
    const unsigned char *scalar_row = ((const ligo__cross_entropy_param *)out->param)->scalar_row;
    float g = j->g;
    int simd = 0;
#if LIGO__X86
    simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    (void)simd;
    (void)scalar_row;
    for (r = r0; r < r1; r++) {
        const float *row = x->data + r * V;
        float *d = j->dx + r * V;
        if (out->ids[r] == ignore) {
            if (j->fresh) memset(d, 0, (size_t)V * sizeof(float));
            continue;
        }
#if LIGO__X86
        if (simd && !scalar_row[r]) {
            ligo__ce_grad_avx2(row, d, V, lse[r], g, j->fresh);
            d[out->ids[r]] -= g;
            continue;
        }
#elif LIGO__NEON
        if (!scalar_row[r]) {
            ligo__ce_grad_neon(row, d, V, lse[r], g, j->fresh);
            d[out->ids[r]] -= g;
            continue;
        }
#endif
        for (v = 0; v < V; v++) d[v] = (j->fresh ? 0.0f : d[v]) + g * expf(row[v] - lse[r]);
        d[out->ids[r]] -= g;
    }
}

LIGO__PRIV void ligo__bwd_CROSS_ENTROPY(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0];
    ligo__ce_job j;
    int64_t count = ((const ligo__cross_entropy_param *)out->param)->count;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.R = ligo__rows(x);
    j.V = ligo__last(x);
    j.dx = ligo__grad_fresh(ctx, x, &j.fresh);
    if (!j.dx) return;
    if (count == 0) { /* every target ignored: the gradient is zero */
        if (j.fresh) memset(j.dx, 0, (size_t)x->n * sizeof(float));
        return;
    }
    j.g = out->grad[0] / (float)count;
    ligo_parallel_for(ctx, ligo__ce_bwd_task, &j, ligo__nth_for(ctx, (double)j.R * (double)j.V, 16384.0));
    ligo_flops_add(ctx, 0.0, 4.0 * (double)count * (double)j.V);
}
/* Mean softmax cross-entropy of logits (..., V) against n targets (one per
 * row); rows whose target equals ignore_index are left out. Targets outside
 * [0, V) other than ignore_index are LIGO_ERANGE. -> scalar. If no row
 * counts, the loss is 0. */
LIGO_API ligo_tensor *ligo_cross_entropy(ligo_ctx *ctx, ligo_tensor *logits, const int32_t *targets, int64_t n,
                                         int32_t ignore_index) {
    ligo__cross_entropy_param p;
    ligo__args a;
    memset(&p, 0, sizeof p);
    p.ignore_index = ignore_index;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = logits;
    a.ids = targets;
    a.n_ids = n;
    return ligo__build(ctx, LIGO_OP_CROSS_ENTROPY, &a);
}

/* The rows that counted in a ligo_cross_entropy node (targets other than
 * ignore_index): the loss's weight in a mean over batches. 0 for NULL or
 * another node. */
LIGO_API int64_t ligo_cross_entropy_count(const ligo_tensor *loss) {
    if (!loss || loss->op != LIGO_OP_CROSS_ENTROPY) return 0;
    return ((const ligo__cross_entropy_param *)loss->param)->count;
}

#ifdef LIGO_OP_TESTS
/* i0: ignore_index */
static ligo_tensor *ligo__cross_entropy_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_cross_entropy(ctx, in[0], c->ids, c->n_ids, (int32_t)c->i0);
}
LIGO__PRIV int ligo__cases_CROSS_ENTROPY(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "cross_entropy", .run = ligo__cross_entropy_case, .n_in = 1, .in = {{3, {2, 3, 5}, 2.0f}},
         .ids = {0, 4, -100, 2, 2, 1}, .n_ids = 6, .i0 = -100},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
