/* ops/attention.c: the multi-head self-attention core.
 * qkv (B, T, 3C) -> out (B, T, C) with NH heads of hs = C / NH.
 * Per (b, h): S = Q K^T / sqrt(hs) (T, T), P = softmax(S) with future
 * positions masked when causal, O = P V. P (B, NH, T, T) is saved.
 * Backward: dP = dO V^T, dS = P * (dP - rowsum(dP * P)), dQ = dS K / sqrt(hs),
 * dK = dS^T Q / sqrt(hs), dV = P^T dO. Threaded over (b, h). Each product
 * goes through the GEMM choke point for small products, ligo__sgemm_small:
 * the hook's when it takes it, otherwise K, V (backward: V, K, Q, dO) packed
 * once per head for the micro-kernel, which reads Q, P, dO and dS in place
 * and skips the 6-row tiles the causal mask makes zero. */
#include "ops.h"
#include "../simd.h"

LIGO__OP(ATTENTION, "attention", 1, 0);

typedef struct ligo__attention_param {
    int64_t n_head; /* NH */
    int causal;
    float *P;       /* the probabilities (B, NH, T, T), saved by forward */
} ligo__attention_param;

typedef struct ligo__attn_job {
    ligo_tensor *out;
    float *dqkv;  /* backward only */
    float *work;  /* per thread: the products' packing, and (backward) a
                     T x T buffer for dP and dS */
    int64_t work_floats; /* per thread */
    int64_t B, T, C, NH;
    int causal, fresh;   /* fresh: dqkv is new, store instead of adding */
} ligo__attn_job;

LIGO__PRIV ligo_status ligo__shape_ATTENTION(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0];
    int64_t NH = ((const ligo__attention_param *)a->param)->n_head, C, P_dims[4];
    if (x->ndim != 3 || x->shape[2] % 3 != 0)
        return ligo__bad(ctx, LIGO_ESHAPE, "attention", "qkv must be (B, T, 3C), got %s%s", x, NULL);
    C = x->shape[2] / 3;
    if (NH < 1 || C % NH != 0)
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_attention: %lld heads do not divide C = %lld", (long long)NH,
                              (long long)C);
    P_dims[0] = x->shape[0];
    P_dims[1] = NH;
    P_dims[2] = P_dims[3] = x->shape[1];
    if (ligo__check_size(ctx, "attention", "saved P (B x NH x T x T)", 4, P_dims, NULL) != LIGO_OK) return ctx->status;
    *ndim = 3;
    shape[0] = x->shape[0];
    shape[1] = x->shape[1];
    shape[2] = C;
    return LIGO_OK;
}

/* P keeps its full (T, T) layout with zeros above the diagonal (the tiles
 * that straddle it read them). Each (b, h) is done by one thread in a
 * fixed order: results do not depend on the thread count. */

#if LIGO__X86
LIGO__AVX2 static void ligo__softmax_row_avx2(float *row, int64_t end) {
    int64_t u, v8 = end / 8 * 8;
    int neg_inf;
    float mx = ligo__row_max_avx2(row, end, &neg_inf), sum, inv, lanes[8];
    __m256 vmx, vs = _mm256_setzero_ps(), vi;
    if (neg_inf) {
        ligo__softmax_row(row, row, end);
        return;
    }
    vmx = _mm256_set1_ps(mx);
    for (u = 0; u < v8; u += 8) {
        __m256 e = ligo__exp8(_mm256_sub_ps(_mm256_loadu_ps(row + u), vmx));
        _mm256_storeu_ps(row + u, e);
        vs = _mm256_add_ps(vs, e);
    }
    _mm256_storeu_ps(lanes, vs);
    sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for (u = v8; u < end; u++) {
        row[u] = expf(row[u] - mx);
        sum += row[u];
    }
    inv = 1.0f / sum;
    vi = _mm256_set1_ps(inv);
    for (u = 0; u < v8; u += 8) _mm256_storeu_ps(row + u, _mm256_mul_ps(_mm256_loadu_ps(row + u), vi));
    for (u = v8; u < end; u++) row[u] *= inv;
}
#endif

#if LIGO__NEON
/* ligo__softmax_row_avx2's twin (simd.h): the same lanes, the same bits */
static void ligo__softmax_row_neon(float *row, int64_t end) {
    int64_t u, v8 = end / 8 * 8;
    int neg_inf;
    float mx = ligo__row_max_neon(row, end, &neg_inf), sum, inv;
    ligo__f8 vmx, vs = ligo__f8_set1(0.0f), vi;
    if (neg_inf) {
        ligo__softmax_row(row, row, end);
        return;
    }
    vmx = ligo__f8_set1(mx);
    for (u = 0; u < v8; u += 8) {
        ligo__f8 e = ligo__exp8_neon(ligo__f8_sub(ligo__f8_load(row + u), vmx));
        ligo__f8_store(row + u, e);
        vs = ligo__f8_add(vs, e);
    }
    sum = ligo__hsum8_neon(vs);
    for (u = v8; u < end; u++) {
        row[u] = expf(row[u] - mx);
        sum += row[u];
    }
    inv = 1.0f / sum;
    vi = ligo__f8_set1(inv);
    for (u = 0; u < v8; u += 8) ligo__f8_store(row + u, ligo__f8_mul(ligo__f8_load(row + u), vi));
    for (u = v8; u < end; u++) row[u] *= inv;
}
#endif

static void ligo__attn_softmax_row(float *row, int64_t end, int simd) {
#if LIGO__X86
    if (simd) {
        ligo__softmax_row_avx2(row, end);
        return;
    }
#elif LIGO__NEON
    ligo__softmax_row_neon(row, end);
    return;
#endif
    (void)simd;
    ligo__softmax_row(row, row, end);
}

/* T rows of hs floats, row stride ld, asked for ahead of use. */
static void ligo__attn_prefetch(const float *base, int64_t T, int64_t ld, int64_t hs) {
#if defined(__GNUC__) || defined(__clang__)
    int64_t t, c;
    for (t = 0; t < T; t++)
        for (c = 0; c < hs; c += 16) __builtin_prefetch(base + t * ld + c, 0, 2);
#else
    (void)base;
    (void)T;
    (void)ld;
    (void)hs;
#endif
}

/* Ask for head bh's Q, K and V rows (and its dO rows when dO is given)
 * while the current head computes: packing reads them with a stride the
 * hardware prefetcher does not follow, so they would otherwise arrive one
 * miss at a time. */
static void ligo__attn_prefetch_head(const ligo__attn_job *j, int64_t bh, const float *dO) {
    int64_t T = j->T, C = j->C, hs = C / j->NH, b = bh / j->NH, h = bh % j->NH;
    const float *q = j->out->src[0]->data + b * T * 3 * C + h * hs;
    if (bh >= j->B * j->NH) return;
    ligo__attn_prefetch(q, T, 3 * C, hs);
    ligo__attn_prefetch(q + C, T, 3 * C, hs);
    ligo__attn_prefetch(q + 2 * C, T, 3 * C, hs);
    if (dO) ligo__attn_prefetch(dO + b * T * C + h * hs, T, C, hs);
}

/* Floats of per-thread work: what the products need (the larger of a
 * (T x T x hs) and a (T x hs x T) product), and in backward dP / dS. */
static int64_t ligo__attn_work(int64_t T, int64_t hs, int backward) {
    int64_t s = ligo__sgemm_small_work(T, hs), o = ligo__sgemm_small_work(hs, T);
    return (s > o ? s : o) + (backward ? T * T : 0);
}

static void ligo__attn_fwd_task(void *arg, int ith, int nth) {
    const ligo__attn_job *j = (const ligo__attn_job *)arg;
    const ligo_tensor *x = j->out->src[0];
    int64_t T = j->T, C = j->C, NH = j->NH, hs = C / NH, C3 = 3 * C, bh;
    float scale = 1.0f / sqrtf((float)hs);
    float *P_all = ((const ligo__attention_param *)j->out->param)->P;
    float *work = j->work + (int64_t)ith * j->work_floats;
    int simd = 0;
#if LIGO__X86
    simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    for (bh = ith; bh < j->B * NH; bh += nth) {
        int64_t b = bh / NH, h = bh % NH, t;
        const float *q = x->data + b * T * C3 + h * hs;
        const float *k = q + C, *v = q + 2 * C;
        float *P = P_all + bh * T * T;
        float *o = j->out->data + b * T * C + h * hs;
        ligo__attn_prefetch_head(j, bh + nth, NULL);
        /* S = Q K^T / sqrt(hs) */
        ligo__sgemm_small(0, 1, j->causal ? LIGO__TRI_N : LIGO__TRI_NONE, T, T, hs, scale, q, C3, k, C3, 0.0f, P, T,
                          work);
        for (t = 0; t < T; t++) {
            float *row = P + t * T;
            int64_t end = j->causal ? t + 1 : T;
            ligo__attn_softmax_row(row, end, simd);
            if (end < T) memset(row + end, 0, (size_t)(T - end) * sizeof(float));
        }
        /* O = P V */
        ligo__sgemm_small(0, 0, j->causal ? LIGO__TRI_K_LOWER : LIGO__TRI_NONE, T, hs, T, 1.0f, P, T, v, C3, 0.0f, o, C,
                          work);
    }
}

static double ligo__attn_pairs(int64_t T, int causal) {
    return causal ? (double)T * (double)(T + 1) / 2.0 : (double)T * (double)T;
}

LIGO__PRIV void ligo__fwd_ATTENTION(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__attn_job j;
    const ligo_tensor *x = out->src[0];
    ligo__attention_param *p = (ligo__attention_param *)out->param;
    int64_t NH = p->n_head;
    double pairs;
    int nth;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.B = x->shape[0];
    j.T = x->shape[1];
    j.C = x->shape[2] / 3;
    j.NH = NH;
    j.causal = p->causal;
    /* every element of P is written by the kernel: no zeroing */
    p->P = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)(j.B * NH * j.T * j.T) * sizeof(float),
                                         "scratch", 0);
    if (!p->P) return;
    nth = ligo__nth_for(ctx, (double)(j.B * NH), 1.0);
    j.work_floats = (ligo__attn_work(j.T, j.C / NH, 0) + 15) / 16 * 16;
    j.work = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)nth * (size_t)j.work_floats * sizeof(float),
                                           "scratch", 0);
    if (!j.work) return;
    ligo_parallel_for(ctx, ligo__attn_fwd_task, &j, nth);
    pairs = ligo__attn_pairs(j.T, j.causal) * (double)(j.B * NH);
    ligo_flops_add(ctx, pairs * (4.0 * (double)(j.C / NH) + 5.0), 0.0);
}

/* dS row from P and dP in place: d = p (d - sum(p d)) over [0, end), zero
 * over [end, T). */
static void ligo__attn_ds_row_c(const float *p, float *d, int64_t end, int64_t T) {
    float dot = 0.0f;
    int64_t u;
    for (u = 0; u < end; u++) dot += p[u] * d[u];
    for (u = 0; u < end; u++) d[u] = p[u] * (d[u] - dot);
    if (end < T) memset(d + end, 0, (size_t)(T - end) * sizeof(float));
}

#if LIGO__X86
LIGO__AVX2 static void ligo__attn_ds_row_avx2(const float *p, float *d, int64_t end,
                                                                       int64_t T) {
    int64_t u, e8 = end / 8 * 8;
    __m256 acc = _mm256_setzero_ps(), vd;
    float dot;
    for (u = 0; u < e8; u += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(p + u), _mm256_loadu_ps(d + u), acc);
    dot = ligo__hsum8(acc);
    for (u = e8; u < end; u++) dot += p[u] * d[u];
    vd = _mm256_set1_ps(dot);
    for (u = 0; u < e8; u += 8)
        _mm256_storeu_ps(d + u, _mm256_mul_ps(_mm256_loadu_ps(p + u), _mm256_sub_ps(_mm256_loadu_ps(d + u), vd)));
    for (u = e8; u < end; u++) d[u] = p[u] * (d[u] - dot);
    if (end < T) memset(d + end, 0, (size_t)(T - end) * sizeof(float));
}
#endif

#if LIGO__NEON
static void ligo__attn_ds_row_neon(const float *p, float *d, int64_t end, int64_t T) {
    int64_t u, e8 = end / 8 * 8;
    ligo__f8 acc = ligo__f8_set1(0.0f), vd;
    float dot;
    for (u = 0; u < e8; u += 8) acc = ligo__f8_fma(ligo__f8_load(p + u), ligo__f8_load(d + u), acc);
    dot = ligo__hsum8_neon(acc);
    for (u = e8; u < end; u++) dot += p[u] * d[u];
    vd = ligo__f8_set1(dot);
    for (u = 0; u < e8; u += 8)
        ligo__f8_store(d + u, ligo__f8_mul(ligo__f8_load(p + u), ligo__f8_sub(ligo__f8_load(d + u), vd)));
    for (u = e8; u < end; u++) d[u] = p[u] * (d[u] - dot);
    if (end < T) memset(d + end, 0, (size_t)(T - end) * sizeof(float));
}
#endif

static void ligo__attn_bwd_task(void *arg, int ith, int nth) {
    const ligo__attn_job *j = (const ligo__attn_job *)arg;
    const ligo_tensor *x = j->out->src[0];
    int64_t T = j->T, C = j->C, NH = j->NH, hs = C / NH, C3 = 3 * C, bh;
    float scale = 1.0f / sqrtf((float)hs), beta = j->fresh ? 0.0f : 1.0f;
    int lower_n = j->causal ? LIGO__TRI_N : LIGO__TRI_NONE;
    int lower_k = j->causal ? LIGO__TRI_K_LOWER : LIGO__TRI_NONE;
    int upper_k = j->causal ? LIGO__TRI_K_UPPER : LIGO__TRI_NONE;
    const float *P_all = ((const ligo__attention_param *)j->out->param)->P;
    float *work = j->work + (int64_t)ith * j->work_floats;
    float *W = work + j->work_floats - T * T; /* dP, then dS in place */
    int simd = 0;
#if LIGO__X86
    simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    for (bh = ith; bh < j->B * NH; bh += nth) {
        int64_t b = bh / NH, h = bh % NH, t;
        const float *q = x->data + b * T * C3 + h * hs;
        const float *k = q + C, *v = q + 2 * C;
        const float *P = P_all + bh * T * T;
        const float *dO = j->out->grad + b * T * C + h * hs;
        float *dq = j->dqkv + b * T * C3 + h * hs, *dk = dq + C, *dv = dq + 2 * C;
        ligo__attn_prefetch_head(j, bh + nth, j->out->grad);
        ligo__sgemm_small(0, 1, lower_n, T, T, hs, 1.0f, dO, C, v, C3, 0.0f, W, T, work); /* dP = dO V^T */
        for (t = 0; t < T; t++) {
            int64_t end = j->causal ? t + 1 : T;
#if LIGO__X86
            if (simd) {
                ligo__attn_ds_row_avx2(P + t * T, W + t * T, end, T);
                continue;
            }
#elif LIGO__NEON
            ligo__attn_ds_row_neon(P + t * T, W + t * T, end, T);
            continue;
#endif
            ligo__attn_ds_row_c(P + t * T, W + t * T, end, T);
        }
        ligo__sgemm_small(0, 0, lower_k, T, hs, T, scale, W, T, k, C3, beta, dq, C3, work); /* dQ = dS K */
        ligo__sgemm_small(1, 0, upper_k, T, hs, T, scale, W, T, q, C3, beta, dk, C3, work); /* dK = dS^T Q */
        ligo__sgemm_small(1, 0, upper_k, T, hs, T, 1.0f, P, T, dO, C, beta, dv, C3, work);  /* dV = P^T dO */
    }
    (void)simd;
}

LIGO__PRIV void ligo__bwd_ATTENTION(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__attn_job j;
    ligo_tensor *x = out->src[0];
    int nth;
    double pairs;
    memset(&j, 0, sizeof j);
    j.dqkv = ligo__grad_fresh(ctx, x, &j.fresh);
    if (!j.dqkv) return;
    j.out = out;
    j.B = x->shape[0];
    j.T = x->shape[1];
    j.C = x->shape[2] / 3;
    j.NH = ((const ligo__attention_param *)out->param)->n_head;
    j.causal = ((const ligo__attention_param *)out->param)->causal;
    nth = ligo__nth_for(ctx, (double)(j.B * j.NH), 1.0);
    j.work_floats = (ligo__attn_work(j.T, j.C / j.NH, 1) + 15) / 16 * 16;
    j.work = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)nth * (size_t)j.work_floats * sizeof(float),
                                           "scratch", 0);
    if (!j.work) return;
    ligo_parallel_for(ctx, ligo__attn_bwd_task, &j, nth);
    pairs = ligo__attn_pairs(j.T, j.causal) * (double)(j.B * j.NH);
    ligo_flops_add(ctx, 0.0, pairs * (8.0 * (double)(j.C / j.NH) + 5.0));
}
/* Multi-head self-attention core. qkv is (B, T, 3C) holding Q, K, V side by
 * side; n_head divides C; scores scaled by 1/sqrt(C / n_head); causal masks
 * future positions. -> (B, T, C). */
LIGO_API ligo_tensor *ligo_attention(ligo_ctx *ctx, ligo_tensor *qkv, int64_t n_head, int causal) {
    ligo__attention_param p;
    ligo__args a;
    p.n_head = n_head;
    p.causal = causal ? 1 : 0;
    p.P = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = qkv;
    return ligo__build(ctx, LIGO_OP_ATTENTION, &a);
}

#ifdef LIGO_OP_TESTS
/* i0 heads, i1 causal */
static ligo_tensor *ligo__attention_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_attention(ctx, in[0], c->i0, (int)c->i1);
}
LIGO__PRIV int ligo__cases_ATTENTION(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "attention causal", .run = ligo__attention_case, .n_in = 1, .in = {{3, {2, 4, 12}, 1.5f}},
         .i0 = 2, .i1 = 1},
        /* 15 positions: three 6-row tiles, the last partial, so the causal
         * tile skipping of every product is on the path */
        {.name = "attention causal T15", .run = ligo__attention_case, .n_in = 1, .in = {{3, {1, 15, 12}, 1.5f}},
         .i0 = 2, .i1 = 1},
        {.name = "attention bidirectional", .run = ligo__attention_case, .n_in = 1, .in = {{3, {2, 3, 9}, 1.5f}},
         .i0 = 3},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
