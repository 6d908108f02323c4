/* optim.c: SGD with momentum and AdamW over a flat parameter block, the
 * learning-rate schedule, and clipping by global norm. Both optimizers
 * follow PyTorch's update rules exactly (torch.optim.SGD, AdamW). */
#include "ligo_internal.h"
#include "simd.h"

LIGO_API ligo_optim_config ligo_optim_config_default(ligo_optim_kind kind) {
    ligo_optim_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.beta1 = 0.9f;
    c.beta2 = 0.95f;
    c.eps = 1e-8f;
    c.momentum = 0.9f;
    c.weight_decay = kind == LIGO_ADAMW ? 0.1f : 0.0f;
    c.decay_all = 0;
    return c;
}

/* Every field of an optimizer config, each named with its value: who is
 * the function reporting, prefix the field's path in its argument
 * ("optim." inside a ligo_train_config, "" for ligo_optim_new). */
LIGO__PRIV ligo_status ligo__optim_config_check(ligo_ctx *ctx, const char *who, const char *prefix,
                                                const ligo_optim_config *c) {
    if (c->kind != LIGO_ADAMW && c->kind != LIGO_SGD)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %skind is %d (want LIGO_ADAMW or LIGO_SGD)", who, prefix,
                              (int)c->kind);
    if (!(c->beta1 >= 0.0f && c->beta1 < 1.0f))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %sbeta1 is %g (want 0 <= beta1 < 1)", who, prefix,
                              (double)c->beta1);
    if (!(c->beta2 >= 0.0f && c->beta2 < 1.0f))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %sbeta2 is %g (want 0 <= beta2 < 1)", who, prefix,
                              (double)c->beta2);
    if (!(c->eps > 0.0f) || !isfinite(c->eps))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %seps is %g (want a finite eps > 0)", who, prefix, (double)c->eps);
    if (!(c->momentum >= 0.0f && c->momentum < 1.0f))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %smomentum is %g (want 0 <= momentum < 1)", who, prefix,
                              (double)c->momentum);
    if (!(c->weight_decay >= 0.0f) || !isfinite(c->weight_decay))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %sweight_decay is %g (want a finite decay >= 0)", who, prefix,
                              (double)c->weight_decay);
    return LIGO_OK;
}

LIGO_API ligo_optim *ligo_optim_new(ligo_ctx *ctx, const ligo_optim_config *cfg, int64_t n, const ligo_segment *segs,
                                    int64_t n_segs) {
    ligo_optim *o;
    int64_t i, covered = 0;
    if (ligo__failed(ctx)) return NULL;
    if (!cfg) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_new: config is NULL");
        return NULL;
    }
    if (n < 1 || n > ((int64_t)1 << 34)) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_new: n is %lld (want 1 <= n <= 2^34 floats)", (long long)n);
        return NULL;
    }
    if (segs && n_segs < 1) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_new: n_segs is %lld with a segment table (want >= 1)",
                       (long long)n_segs);
        return NULL;
    }
    if (ligo__optim_config_check(ctx, "ligo_optim_new", "", cfg) != LIGO_OK) return NULL;
    if (segs)
        for (i = 0; i < n_segs; i++) {
            if (segs[i].offset != covered || segs[i].n < 1) {
                ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_new: segment %lld does not continue at offset %lld",
                               (long long)i, (long long)covered);
                return NULL;
            }
            covered += segs[i].n;
        }
    if (segs && covered != n) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_new: segments cover %lld of %lld floats", (long long)covered,
                       (long long)n);
        return NULL;
    }
    o = (ligo_optim *)ligo_alloc_persistent(ctx, sizeof *o);
    if (!o) return NULL;
    o->cfg = *cfg;
    o->n = n;
    o->m = (float *)ligo_alloc_persistent(ctx, (size_t)n * sizeof(float));
    if (cfg->kind == LIGO_ADAMW) o->v = (float *)ligo_alloc_persistent(ctx, (size_t)n * sizeof(float));
    o->n_segs = segs ? n_segs : 1;
    o->segs = (ligo_segment *)ligo_alloc_persistent(ctx, (size_t)o->n_segs * sizeof(ligo_segment));
    if (!o->m || (cfg->kind == LIGO_ADAMW && !o->v) || !o->segs) return NULL;
    if (segs) {
        memcpy(o->segs, segs, (size_t)n_segs * sizeof(ligo_segment));
    } else {
        o->segs[0].offset = 0;
        o->segs[0].n = n;
        o->segs[0].decay = 1;
    }
    return o;
}

LIGO_API ligo_optim *ligo_optim_new_for_model(ligo_ctx *ctx, const ligo_optim_config *cfg, const ligo_model *m) {
    ligo_segment *segs;
    int64_t i;
    if (ligo__failed(ctx)) return NULL;
    if (!m || !cfg) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_new_for_model: NULL model or config");
        return NULL;
    }
    segs = (ligo_segment *)ligo_alloc_scratch(ctx, (size_t)m->n_tensors * sizeof(ligo_segment));
    if (!segs) return NULL;
    for (i = 0; i < m->n_tensors; i++) {
        segs[i].offset = m->info[i].offset;
        segs[i].n = m->info[i].n;
        segs[i].decay = cfg->decay_all || (m->info[i].flags & LIGO_PARAM_DECAY);
    }
    return ligo_optim_new(ctx, cfg, m->n_floats, segs, m->n_tensors);
}

typedef struct ligo__optim_job {
    ligo_optim *o;
    float *data;
    const float *grad;
    float lr;
    double bc1, bc2; /* bias corrections 1 - beta^t */
} ligo__optim_job;

#if LIGO__X86

/* The AdamW update of [i0, i1) on eight floats at a time: the scalar
 * loop's operations in its order (no fused multiply-add), so every
 * element gets the same bits either way. Returns where the scalar tail
 * starts. */
LIGO__AVX static int64_t ligo__adamw_avx(float *p, const float *gr, float *mm, float *vv,
                                                             int64_t i0, int64_t i1, float b1, float b2, float eps,
                                                             float step, float rbc2, float shrink) {
    __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2), c1 = _mm256_set1_ps(1.0f - b1);
    __m256 c2 = _mm256_set1_ps(1.0f - b2), ve = _mm256_set1_ps(eps), vs = _mm256_set1_ps(step);
    __m256 vr = _mm256_set1_ps(rbc2), vk = _mm256_set1_ps(shrink);
    int64_t i;
    for (i = i0; i + 8 <= i1; i += 8) {
        __m256 g = _mm256_loadu_ps(gr + i);
        __m256 m = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(mm + i)), _mm256_mul_ps(c1, g));
        __m256 v = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(vv + i)), _mm256_mul_ps(_mm256_mul_ps(c2, g), g));
        __m256 den = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(v), vr), ve);
        _mm256_storeu_ps(mm + i, m);
        _mm256_storeu_ps(vv + i, v);
        _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(p + i), vk),
                                              _mm256_div_ps(_mm256_mul_ps(vs, m), den)));
    }
    return i;
}
#endif

#if LIGO__NEON
/* ligo__adamw_avx on NEON, four floats at a time: the same unfused
 * operations (vsqrtq_f32 and vdivq_f32 are correctly rounded, as sqrtf
 * and / are), so again the scalar loop's bits. */
static int64_t ligo__adamw_neon(float *p, const float *gr, float *mm, float *vv, int64_t i0, int64_t i1, float b1,
                                float b2, float eps, float step, float rbc2, float shrink) {
    float32x4_t vb1 = vdupq_n_f32(b1), vb2 = vdupq_n_f32(b2), c1 = vdupq_n_f32(1.0f - b1);
    float32x4_t c2 = vdupq_n_f32(1.0f - b2), ve = vdupq_n_f32(eps), vs = vdupq_n_f32(step);
    float32x4_t vr = vdupq_n_f32(rbc2), vk = vdupq_n_f32(shrink);
    int64_t i;
    for (i = i0; i + 4 <= i1; i += 4) {
        float32x4_t g = vld1q_f32(gr + i);
        float32x4_t m = vaddq_f32(vmulq_f32(vb1, vld1q_f32(mm + i)), vmulq_f32(c1, g));
        float32x4_t v = vaddq_f32(vmulq_f32(vb2, vld1q_f32(vv + i)), vmulq_f32(vmulq_f32(c2, g), g));
        float32x4_t den = vaddq_f32(vmulq_f32(vsqrtq_f32(v), vr), ve);
        vst1q_f32(mm + i, m);
        vst1q_f32(vv + i, v);
        vst1q_f32(p + i, vsubq_f32(vmulq_f32(vld1q_f32(p + i), vk), vdivq_f32(vmulq_f32(vs, m), den)));
    }
    return i;
}
#endif

/* Each thread updates a contiguous share of every segment. */
static void ligo__optim_task(void *arg, int ith, int nth) {
    const ligo__optim_job *j = (const ligo__optim_job *)arg;
    const ligo_optim *o = j->o;
    const ligo_optim_config *c = &o->cfg;
    int64_t s, i;
    for (s = 0; s < o->n_segs; s++) {
        const ligo_segment *g = &o->segs[s];
        int64_t i0 = g->offset + g->n * ith / nth, i1 = g->offset + g->n * (ith + 1) / nth;
        float wd = g->decay ? c->weight_decay : 0.0f;
        if (c->kind == LIGO_ADAMW) {
            float b1 = c->beta1, b2 = c->beta2, eps = c->eps;
            float step = (float)((double)j->lr / j->bc1);
            float rbc2 = (float)(1.0 / sqrt(j->bc2));
            float shrink = 1.0f - j->lr * wd;
#if LIGO__X86
            if (ligo__cpu_simd() >= LIGO__SIMD_AVX)
                i0 = ligo__adamw_avx(j->data, j->grad, o->m, o->v, i0, i1, b1, b2, eps, step, rbc2, shrink);
#elif LIGO__NEON
            i0 = ligo__adamw_neon(j->data, j->grad, o->m, o->v, i0, i1, b1, b2, eps, step, rbc2, shrink);
#endif
            for (i = i0; i < i1; i++) {
                float gr = j->grad[i];
                float m = b1 * o->m[i] + (1.0f - b1) * gr;
                float v = b2 * o->v[i] + (1.0f - b2) * gr * gr;
                o->m[i] = m;
                o->v[i] = v;
                j->data[i] = j->data[i] * shrink - step * m / (sqrtf(v) * rbc2 + eps);
            }
        } else {
            float mu = c->momentum;
            for (i = i0; i < i1; i++) {
                float gr = j->grad[i] + wd * j->data[i];
                float b = mu * o->m[i] + gr;
                o->m[i] = b;
                j->data[i] -= j->lr * b;
            }
        }
    }
}

/* AdamW as torch.optim.AdamW: p *= 1 - lr wd; m, v updated;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * SGD as torch.optim.SGD: g += wd p; buf = mu buf + g (buf = g at t = 1,
 * the same from a zero buffer); p -= lr buf. */
LIGO_API ligo_status ligo_optim_step(ligo_ctx *ctx, ligo_optim *o, float *data, const float *grad, float lr) {
    ligo__optim_job j;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!o || !data || !grad) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_step: NULL optimizer or buffers");
    if (!(lr >= 0.0f) || !isfinite(lr))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_step: learning rate %g is not a finite value >= 0",
                              (double)lr);
    o->step++;
    j.o = o;
    j.data = data;
    j.grad = grad;
    j.lr = lr;
    j.bc1 = 1.0 - pow((double)o->cfg.beta1, (double)o->step);
    j.bc2 = 1.0 - pow((double)o->cfg.beta2, (double)o->step);
    ligo_parallel_for(ctx, ligo__optim_task, &j, ligo__nth_for(ctx, (double)o->n, 32768.0));
    return LIGO_OK;
}

LIGO_API float ligo_schedule_lr(const ligo_schedule *s, int64_t step) {
    double p;
    if (!s) return 0.0f;
    if (step < 0) step = 0;
    if (s->warmup > 0 && step < s->warmup) return s->lr_max * (float)(step + 1) / (float)s->warmup;
    if (s->decay == LIGO_DECAY_WSD) {
        int64_t start = s->total - s->decay_steps;
        if (s->decay_steps <= 0 || step < start) return s->lr_max;
        if (start < s->warmup) start = s->warmup; /* a decay longer than the run begins after the warm-up */
        if (s->total <= start) return s->lr_max;
        p = (double)(step - start) / (double)(s->total - start);
        if (p > 1.0) p = 1.0;
        return (float)((double)s->lr_max + ((double)s->lr_min - (double)s->lr_max) * p);
    }
    if (s->decay == LIGO_DECAY_CONSTANT || s->total <= s->warmup) return s->lr_max;
    p = (double)(step - s->warmup) / (double)(s->total - s->warmup);
    if (p > 1.0) p = 1.0;
    if (s->decay == LIGO_DECAY_LINEAR) return (float)((double)s->lr_max + ((double)s->lr_min - (double)s->lr_max) * p);
    return (float)((double)s->lr_min + 0.5 * ((double)s->lr_max - (double)s->lr_min) * (1.0 + cos(3.14159265358979323846 * p)));
}

/* The sum of squares in double, in eight interleaved partial sums (element
 * i goes to sum i mod 8) added in a fixed order at the end: independent
 * chains instead of one long one, and the same result with or without
 * the vector path. */
#if LIGO__X86
LIGO__AVX static void ligo__sumsq_avx(const float *g, int64_t n8, double *acc8) {
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
    int64_t i;
    for (i = 0; i < n8; i += 8) {
        __m256d x0 = _mm256_cvtps_pd(_mm_loadu_ps(g + i)), x1 = _mm256_cvtps_pd(_mm_loadu_ps(g + i + 4));
        a0 = _mm256_add_pd(a0, _mm256_mul_pd(x0, x0));
        a1 = _mm256_add_pd(a1, _mm256_mul_pd(x1, x1));
    }
    _mm256_storeu_pd(acc8, a0);
    _mm256_storeu_pd(acc8 + 4, a1);
}
#endif

#if LIGO__NEON
/* the same eight sums, two lanes of double per register */
static void ligo__sumsq_neon(const float *g, int64_t n8, double *acc8) {
    float64x2_t a[4];
    int64_t i;
    int k;
    for (k = 0; k < 4; k++) a[k] = vdupq_n_f64(0.0);
    for (i = 0; i < n8; i += 8) {
        float32x4_t lo = vld1q_f32(g + i), hi = vld1q_f32(g + i + 4);
        float64x2_t x0 = vcvt_f64_f32(vget_low_f32(lo)), x1 = vcvt_high_f64_f32(lo);
        float64x2_t x2 = vcvt_f64_f32(vget_low_f32(hi)), x3 = vcvt_high_f64_f32(hi);
        a[0] = vaddq_f64(a[0], vmulq_f64(x0, x0));
        a[1] = vaddq_f64(a[1], vmulq_f64(x1, x1));
        a[2] = vaddq_f64(a[2], vmulq_f64(x2, x2));
        a[3] = vaddq_f64(a[3], vmulq_f64(x3, x3));
    }
    for (k = 0; k < 4; k++) vst1q_f64(acc8 + 2 * k, a[k]);
}
#endif

static double ligo__sumsq(const float *g, int64_t n) {
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i, n8 = n / 8 * 8;
    int k, vec = 0;
#if LIGO__X86
    if (ligo__cpu_simd() >= LIGO__SIMD_AVX) {
        ligo__sumsq_avx(g, n8, acc);
        vec = 1;
    }
#elif LIGO__NEON
    ligo__sumsq_neon(g, n8, acc);
    vec = 1;
#endif
    if (!vec)
        for (i = 0; i < n8; i += 8)
            for (k = 0; k < 8; k++) acc[k] += (double)g[i + k] * (double)g[i + k];
    for (i = n8; i < n; i++) acc[i - n8] += (double)g[i] * (double)g[i];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

LIGO_API double ligo_clip_grad_norm(float *grad, int64_t n, double max_norm) {
    double ss, norm;
    int64_t i;
    if (!grad || n < 1) return 0.0;
    ss = ligo__sumsq(grad, n);
    norm = sqrt(ss);
    if (!isfinite(norm)) return norm;
    if (max_norm > 0.0 && norm > max_norm) {
        float scale = (float)(max_norm / (norm + 1e-6));
        for (i = 0; i < n; i++) grad[i] *= scale;
    }
    return norm;
}
