/* ops/layernorm.c: LayerNorm over the last dim.
 * x (R, C), gamma and beta (C). Saves mean and rstd (R each) for backward:
 *   y = (x - mean) * rstd * gamma + beta,   rstd = 1 / sqrt(var + eps)
 *   dx = rstd * (dn - mean(dn) - n * mean(dn * n)),  n = normalised x,
 *   dn = dy * gamma. */
#include "ops.h"
#include "../simd.h"

LIGO__OP(LAYERNORM, "layernorm", 3, 0);

typedef struct ligo__layernorm_param {
    float eps;
    float *stats; /* mean (R) then rstd (R), saved by forward */
} ligo__layernorm_param;

LIGO__PRIV ligo_status ligo__shape_LAYERNORM(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0], *g = a->src[1], *b = a->src[2];
    float eps = ((const ligo__layernorm_param *)a->param)->eps;
    int64_t C = ligo__last(x);
    if (g->n != C || b->n != C)
        return ligo__bad(ctx, LIGO_ESHAPE, "layernorm", "gamma %s and beta %s must have the last dim of x", g, b);
    if (!(eps > 0.0f) || !isfinite(eps))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_layernorm: eps %g must be positive", (double)eps);
    ligo__copy_shape(x, ndim, shape);
    return LIGO_OK;
}
/* Threaded over rows. Backward makes one pass: each block of
 * LIGO__LN_RB rows gives dx and its partial sums of dgamma and dbeta,
 * then the partials are added block by block in order. Each value is
 * computed by the same operations in the same order for any thread
 * count. */
#define LIGO__LN_RB 32
typedef struct ligo__ln_job {
    ligo_tensor *out;
    float *dx, *dg, *db;
    float *part;  /* backward: per row block, C dgamma then C dbeta partials */
    int64_t R, C;
    int fresh;    /* dx is a new buffer: store, do not add */
} ligo__ln_job;

/* AVX2 rows: eight partial sums per reduction, added in a fixed order. */
#if LIGO__X86
LIGO__AVX2 static void ligo__ln_row_fwd_avx2(const float *xr, const float *g, const float *b,
                                                                      float *yr, int64_t C, float eps, float *mean_out,
                                                                      float *rstd_out) {
    int64_t c, c8 = C / 8 * 8;
    __m256 acc = _mm256_setzero_ps(), vm, vr;
    float mean, var, rstd;
    for (c = 0; c < c8; c += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(xr + c));
    mean = ligo__hsum8(acc);
    for (c = c8; c < C; c++) mean += xr[c];
    mean /= (float)C;
    vm = _mm256_set1_ps(mean);
    acc = _mm256_setzero_ps();
    for (c = 0; c < c8; c += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(xr + c), vm);
        acc = _mm256_fmadd_ps(d, d, acc);
    }
    var = ligo__hsum8(acc);
    for (c = c8; c < C; c++) var += (xr[c] - mean) * (xr[c] - mean);
    var /= (float)C;
    rstd = 1.0f / sqrtf(var + eps);
    vr = _mm256_set1_ps(rstd);
    for (c = 0; c < c8; c += 8) {
        __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + c), vm), vr);
        _mm256_storeu_ps(yr + c, _mm256_fmadd_ps(n, _mm256_loadu_ps(g + c), _mm256_loadu_ps(b + c)));
    }
    for (c = c8; c < C; c++) yr[c] = (xr[c] - mean) * rstd * g[c] + b[c];
    *mean_out = mean;
    *rstd_out = rstd;
}

LIGO__AVX2 static void ligo__ln_row_dx_avx2(const float *xr, const float *gr, const float *g,
                                                                     float *dx, int64_t C, float mean, float rstd,
                                                                     int fresh, float *pg, float *pb) {
    int64_t c, c8 = C / 8 * 8;
    __m256 vm = _mm256_set1_ps(mean), vr = _mm256_set1_ps(rstd), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps();
    __m256 v1, v2;
    float mdn, mdnn;
    for (c = 0; c < c8; c += 8) {
        __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + c), vm), vr);
        __m256 dn = _mm256_mul_ps(_mm256_loadu_ps(gr + c), _mm256_loadu_ps(g + c));
        a1 = _mm256_add_ps(a1, dn);
        a2 = _mm256_fmadd_ps(dn, n, a2);
    }
    mdn = ligo__hsum8(a1);
    mdnn = ligo__hsum8(a2);
    for (c = c8; c < C; c++) {
        float n = (xr[c] - mean) * rstd, dn = gr[c] * g[c];
        mdn += dn;
        mdnn += dn * n;
    }
    mdn /= (float)C;
    mdnn /= (float)C;
    v1 = _mm256_set1_ps(mdn);
    v2 = _mm256_set1_ps(mdnn);
    for (c = 0; c < c8; c += 8) {
        __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + c), vm), vr);
        __m256 go = _mm256_loadu_ps(gr + c);
        __m256 dn = _mm256_mul_ps(go, _mm256_loadu_ps(g + c));
        __m256 t = _mm256_sub_ps(_mm256_sub_ps(dn, v1), _mm256_mul_ps(n, v2));
        if (dx) {
            if (fresh)
                _mm256_storeu_ps(dx + c, _mm256_mul_ps(vr, t));
            else
                _mm256_storeu_ps(dx + c, _mm256_fmadd_ps(vr, t, _mm256_loadu_ps(dx + c)));
        }
        _mm256_storeu_ps(pg + c, _mm256_fmadd_ps(go, n, _mm256_loadu_ps(pg + c)));
        _mm256_storeu_ps(pb + c, _mm256_add_ps(_mm256_loadu_ps(pb + c), go));
    }
    for (c = c8; c < C; c++) {
        float n = (xr[c] - mean) * rstd, dn = gr[c] * g[c];
        if (dx) dx[c] = (fresh ? 0.0f : dx[c]) + rstd * (dn - mdn - n * mdnn);
        pg[c] += gr[c] * n;
        pb[c] += gr[c];
    }
}

#endif

/* NEON rows: the AVX2 rows' twins (simd.h), the same eight partial sums
 * in the same order. */
#if LIGO__NEON
static void ligo__ln_row_fwd_neon(const float *xr, const float *g, const float *b, float *yr, int64_t C, float eps,
                                  float *mean_out, float *rstd_out) {
    int64_t c, c8 = C / 8 * 8;
    ligo__f8 acc = ligo__f8_set1(0.0f), vm, vr;
    float mean, var, rstd;
    for (c = 0; c < c8; c += 8) acc = ligo__f8_add(acc, ligo__f8_load(xr + c));
    mean = ligo__hsum8_neon(acc);
    for (c = c8; c < C; c++) mean += xr[c];
    mean /= (float)C;
    vm = ligo__f8_set1(mean);
    acc = ligo__f8_set1(0.0f);
    for (c = 0; c < c8; c += 8) {
        ligo__f8 d = ligo__f8_sub(ligo__f8_load(xr + c), vm);
        acc = ligo__f8_fma(d, d, acc);
    }
    var = ligo__hsum8_neon(acc);
    for (c = c8; c < C; c++) var += (xr[c] - mean) * (xr[c] - mean);
    var /= (float)C;
    rstd = 1.0f / sqrtf(var + eps);
    vr = ligo__f8_set1(rstd);
    for (c = 0; c < c8; c += 8) {
        ligo__f8 n = ligo__f8_mul(ligo__f8_sub(ligo__f8_load(xr + c), vm), vr);
        ligo__f8_store(yr + c, ligo__f8_fma(n, ligo__f8_load(g + c), ligo__f8_load(b + c)));
    }
    for (c = c8; c < C; c++) yr[c] = (xr[c] - mean) * rstd * g[c] + b[c];
    *mean_out = mean;
    *rstd_out = rstd;
}

static void ligo__ln_row_dx_neon(const float *xr, const float *gr, const float *g, float *dx, int64_t C, float mean,
                                 float rstd, int fresh, float *pg, float *pb) {
    int64_t c, c8 = C / 8 * 8;
    ligo__f8 vm = ligo__f8_set1(mean), vr = ligo__f8_set1(rstd), a1 = ligo__f8_set1(0.0f), a2 = a1, v1, v2;
    float mdn, mdnn;
    for (c = 0; c < c8; c += 8) {
        ligo__f8 n = ligo__f8_mul(ligo__f8_sub(ligo__f8_load(xr + c), vm), vr);
        ligo__f8 dn = ligo__f8_mul(ligo__f8_load(gr + c), ligo__f8_load(g + c));
        a1 = ligo__f8_add(a1, dn);
        a2 = ligo__f8_fma(dn, n, a2);
    }
    mdn = ligo__hsum8_neon(a1);
    mdnn = ligo__hsum8_neon(a2);
    for (c = c8; c < C; c++) {
        float n = (xr[c] - mean) * rstd, dn = gr[c] * g[c];
        mdn += dn;
        mdnn += dn * n;
    }
    mdn /= (float)C;
    mdnn /= (float)C;
    v1 = ligo__f8_set1(mdn);
    v2 = ligo__f8_set1(mdnn);
    for (c = 0; c < c8; c += 8) {
        ligo__f8 n = ligo__f8_mul(ligo__f8_sub(ligo__f8_load(xr + c), vm), vr);
        ligo__f8 go = ligo__f8_load(gr + c);
        ligo__f8 dn = ligo__f8_mul(go, ligo__f8_load(g + c));
        ligo__f8 t = ligo__f8_sub(ligo__f8_sub(dn, v1), ligo__f8_mul(n, v2));
        if (dx) {
            if (fresh)
                ligo__f8_store(dx + c, ligo__f8_mul(vr, t));
            else
                ligo__f8_store(dx + c, ligo__f8_fma(vr, t, ligo__f8_load(dx + c)));
        }
        ligo__f8_store(pg + c, ligo__f8_fma(go, n, ligo__f8_load(pg + c)));
        ligo__f8_store(pb + c, ligo__f8_add(ligo__f8_load(pb + c), go));
    }
    for (c = c8; c < C; c++) {
        float n = (xr[c] - mean) * rstd, dn = gr[c] * g[c];
        if (dx) dx[c] = (fresh ? 0.0f : dx[c]) + rstd * (dn - mdn - n * mdnn);
        pg[c] += gr[c] * n;
        pb[c] += gr[c];
    }
}
#endif

static void ligo__ln_fwd_task(void *arg, int ith, int nth) {
    const ligo__ln_job *j = (const ligo__ln_job *)arg;
    const ligo_tensor *out = j->out, *x = out->src[0], *g = out->src[1], *b = out->src[2];
    int64_t R = j->R, C = j->C, r, c, r0 = R * ith / nth, r1 = R * (ith + 1) / nth;
    const ligo__layernorm_param *p = (const ligo__layernorm_param *)out->param;
    float eps = p->eps;
    float *stats = p->stats;
#if LIGO__X86
    if (ligo__cpu_simd() >= LIGO__SIMD_AVX2) {
        for (r = r0; r < r1; r++)
            ligo__ln_row_fwd_avx2(x->data + r * C, g->data, b->data, out->data + r * C, C, eps, &stats[r],
                                  &stats[R + r]);
        return;
    }
#elif LIGO__NEON
    for (r = r0; r < r1; r++)
        ligo__ln_row_fwd_neon(x->data + r * C, g->data, b->data, out->data + r * C, C, eps, &stats[r], &stats[R + r]);
    return;
#endif
    for (r = r0; r < r1; r++) {
        const float *xr = x->data + r * C;
        float *yr = out->data + r * C;
        float mean = 0.0f, var = 0.0f, rstd;
        for (c = 0; c < C; c++) mean += xr[c];
        mean /= (float)C;
        for (c = 0; c < C; c++) var += (xr[c] - mean) * (xr[c] - mean);
        var /= (float)C;
        rstd = 1.0f / sqrtf(var + eps);
        for (c = 0; c < C; c++) yr[c] = (xr[c] - mean) * rstd * g->data[c] + b->data[c];
        stats[r] = mean;
        stats[R + r] = rstd;
    }
}

LIGO__PRIV void ligo__fwd_LAYERNORM(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0];
    ligo__ln_job j;
    float *stats;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.R = ligo__rows(x);
    j.C = ligo__last(x);
    stats = (float *)ligo_alloc_scratch(ctx, (size_t)(2 * j.R) * sizeof(float));
    if (!stats) return;
    ((ligo__layernorm_param *)out->param)->stats = stats;
    ligo_parallel_for(ctx, ligo__ln_fwd_task, &j, ligo__nth_for(ctx, (double)j.R * (double)j.C, 16384.0));
    ligo_flops_add(ctx, 8.0 * (double)j.R * (double)j.C, 0.0);
}

static void ligo__ln_bwd_task(void *arg, int ith, int nth) {
    const ligo__ln_job *j = (const ligo__ln_job *)arg;
    const ligo_tensor *out = j->out, *x = out->src[0], *g = out->src[1];
    int64_t R = j->R, C = j->C, r, c, blk;
    int64_t nb = (R + LIGO__LN_RB - 1) / LIGO__LN_RB, b0 = nb * ith / nth, b1 = nb * (ith + 1) / nth;
    const float *stats = ((const ligo__layernorm_param *)out->param)->stats;
#if LIGO__X86
    int simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    for (blk = b0; blk < b1; blk++) {
        float *pg = j->part + blk * 2 * C, *pb = pg + C;
        int64_t r1 = (blk + 1) * LIGO__LN_RB < R ? (blk + 1) * LIGO__LN_RB : R;
        memset(pg, 0, (size_t)(2 * C) * sizeof(float));
        for (r = blk * LIGO__LN_RB; r < r1; r++) {
            const float *xr = x->data + r * C, *gr = out->grad + r * C;
            float *dx = j->dx ? j->dx + r * C : NULL;
            float mean = stats[r], rstd = stats[R + r], mdn = 0.0f, mdnn = 0.0f;
#if LIGO__X86
            if (simd) {
                ligo__ln_row_dx_avx2(xr, gr, g->data, dx, C, mean, rstd, j->fresh, pg, pb);
                continue;
            }
#elif LIGO__NEON
            ligo__ln_row_dx_neon(xr, gr, g->data, dx, C, mean, rstd, j->fresh, pg, pb);
            continue;
#endif
            for (c = 0; c < C; c++) {
                float n = (xr[c] - mean) * rstd, dn = gr[c] * g->data[c];
                mdn += dn;
                mdnn += dn * n;
            }
            mdn /= (float)C;
            mdnn /= (float)C;
            for (c = 0; c < C; c++) {
                float n = (xr[c] - mean) * rstd, dn = gr[c] * g->data[c];
                if (dx) dx[c] = (j->fresh ? 0.0f : dx[c]) + rstd * (dn - mdn - n * mdnn);
                pg[c] += gr[c] * n;
                pb[c] += gr[c];
            }
        }
    }
}

/* dgamma and dbeta += the blocks' partials, in block order; threads take
 * ranges of columns. */
static void ligo__ln_reduce_task(void *arg, int ith, int nth) {
    const ligo__ln_job *j = (const ligo__ln_job *)arg;
    int64_t C = j->C, c, blk, c0 = C * ith / nth, c1 = C * (ith + 1) / nth;
    int64_t nb = (j->R + LIGO__LN_RB - 1) / LIGO__LN_RB;
    for (blk = 0; blk < nb; blk++) {
        const float *pg = j->part + blk * 2 * C, *pb = pg + C;
        if (j->dg)
            for (c = c0; c < c1; c++) j->dg[c] += pg[c];
        if (j->db)
            for (c = c0; c < c1; c++) j->db[c] += pb[c];
    }
}

LIGO__PRIV void ligo__bwd_LAYERNORM(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0], *g = out->src[1], *b = out->src[2];
    ligo__ln_job j;
    int nth;
    int64_t nb;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.R = ligo__rows(x);
    j.C = ligo__last(x);
    j.dx = ligo__grad_fresh(ctx, x, &j.fresh);
    j.dg = ligo__grad_of(ctx, g);
    j.db = ligo__grad_of(ctx, b);
    if (!j.dx && !j.dg && !j.db) return;
    nb = (j.R + LIGO__LN_RB - 1) / LIGO__LN_RB;
    j.part = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)(nb * 2 * j.C) * sizeof(float), "scratch", 0);
    if (!j.part) return;
    nth = ligo__nth_for(ctx, (double)j.R * (double)j.C, 16384.0);
    if ((int64_t)nth > nb) nth = (int)nb;
    ligo_parallel_for(ctx, ligo__ln_bwd_task, &j, nth);
    if (j.dg || j.db) ligo_parallel_for(ctx, ligo__ln_reduce_task, &j, j.C >= 256 ? nth : 1);
    ligo_flops_add(ctx, 0.0, 14.0 * (double)j.R * (double)j.C);
}
/* LayerNorm over the last dim C with gamma, beta of C floats. */
LIGO_API ligo_tensor *ligo_layernorm(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *gamma, ligo_tensor *beta, float eps) {
    ligo__layernorm_param p;
    ligo__args a;
    p.eps = eps;
    p.stats = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = gamma;
    a.src[2] = beta;
    return ligo__build(ctx, LIGO_OP_LAYERNORM, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__layernorm_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_layernorm(ctx, in[0], in[1], in[2], 1e-5f);
}
LIGO__PRIV int ligo__cases_LAYERNORM(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "layernorm", .run = ligo__layernorm_case, .n_in = 3,
         .in = {{2, {3, 6}, 2.0f}, {1, {6}, 1.0f}, {1, {6}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
