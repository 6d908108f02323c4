/* ops/linear.c: the fully connected layer.
 * x (R, in) flattened from (..., in); W (out, in); b (out) or NULL.
 * y (R, out) = x W^T + b, the bias added in the GEMM's epilogue.
 * Backward: dx = G W, dW += G^T x, db += column sums of G.
 * With LIGO__ACT_GELU (ligo_linear_gelu): y = gelu(x W^T + b), GELU applied
 * in the epilogue while each tile is in L1 (gelu.c's ligo__gelu_epi), the
 * pre-activation h saved for backward, where G becomes G * gelu'(h) first. */
#include "ops.h"
#include "../simd.h"

LIGO__OP(LINEAR, "linear", 2, 0);

enum { LIGO__ACT_NONE = 0, LIGO__ACT_GELU = 1 };
typedef struct ligo__linear_param {
    int act;  /* LIGO__ACT_* */
    float *h; /* GELU: the pre-activation (R, out), saved by forward */
} ligo__linear_param;

/* Column sums of G (R, C) into out (C), each column summed over rows in
 * order starting from out's value: threads take blocks of columns, and
 * the AVX2 path adds lane by lane, so the result is the same for any
 * thread count and either path. */
typedef struct ligo__colsum_job {
    const float *G;
    float *out;
    int64_t R, C;
} ligo__colsum_job;

#if LIGO__X86
/* 32 columns at a time in four accumulators, rows streamed once. */
LIGO__AVX2 static void ligo__colsum_avx2(const float *G, float *out, int64_t R, int64_t C, int64_t c0, int64_t c1) {
    int64_t c, r;
    for (c = c0; c + 32 <= c1; c += 32) {
        __m256 a0 = _mm256_loadu_ps(out + c), a1 = _mm256_loadu_ps(out + c + 8);
        __m256 a2 = _mm256_loadu_ps(out + c + 16), a3 = _mm256_loadu_ps(out + c + 24);
        for (r = 0; r < R; r++) {
            const float *g = G + r * C + c;
            a0 = _mm256_add_ps(a0, _mm256_loadu_ps(g));
            a1 = _mm256_add_ps(a1, _mm256_loadu_ps(g + 8));
            a2 = _mm256_add_ps(a2, _mm256_loadu_ps(g + 16));
            a3 = _mm256_add_ps(a3, _mm256_loadu_ps(g + 24));
        }
        _mm256_storeu_ps(out + c, a0);
        _mm256_storeu_ps(out + c + 8, a1);
        _mm256_storeu_ps(out + c + 16, a2);
        _mm256_storeu_ps(out + c + 24, a3);
    }
    for (; c + 8 <= c1; c += 8) {
        __m256 a0 = _mm256_loadu_ps(out + c);
        for (r = 0; r < R; r++) a0 = _mm256_add_ps(a0, _mm256_loadu_ps(G + r * C + c));
        _mm256_storeu_ps(out + c, a0);
    }
    for (; c < c1; c++) {
        float a = out[c];
        for (r = 0; r < R; r++) a += G[r * C + c];
        out[c] = a;
    }
}
#endif

#if LIGO__NEON
/* 16 columns at a time in four q registers, rows streamed once; each
 * column is the scalar loop's chain, so any width gives the same bits. */
static void ligo__colsum_neon(const float *G, float *out, int64_t R, int64_t C, int64_t c0, int64_t c1) {
    int64_t c, r;
    for (c = c0; c + 16 <= c1; c += 16) {
        float32x4_t a0 = vld1q_f32(out + c), a1 = vld1q_f32(out + c + 4);
        float32x4_t a2 = vld1q_f32(out + c + 8), a3 = vld1q_f32(out + c + 12);
        for (r = 0; r < R; r++) {
            const float *g = G + r * C + c;
            a0 = vaddq_f32(a0, vld1q_f32(g));
            a1 = vaddq_f32(a1, vld1q_f32(g + 4));
            a2 = vaddq_f32(a2, vld1q_f32(g + 8));
            a3 = vaddq_f32(a3, vld1q_f32(g + 12));
        }
        vst1q_f32(out + c, a0);
        vst1q_f32(out + c + 4, a1);
        vst1q_f32(out + c + 8, a2);
        vst1q_f32(out + c + 12, a3);
    }
    for (; c + 4 <= c1; c += 4) {
        float32x4_t a0 = vld1q_f32(out + c);
        for (r = 0; r < R; r++) a0 = vaddq_f32(a0, vld1q_f32(G + r * C + c));
        vst1q_f32(out + c, a0);
    }
    for (; c < c1; c++) {
        float a = out[c];
        for (r = 0; r < R; r++) a += G[r * C + c];
        out[c] = a;
    }
}
#endif

static void ligo__colsum_task(void *arg, int ith, int nth) {
    const ligo__colsum_job *j = (const ligo__colsum_job *)arg;
    int64_t blocks = (j->C + 31) / 32, c, r;
    int64_t c0 = blocks * ith / nth * 32, c1 = blocks * (ith + 1) / nth * 32;
    if (c1 > j->C) c1 = j->C;
#if LIGO__X86
    if (ligo__cpu_simd() >= LIGO__SIMD_AVX2) {
        ligo__colsum_avx2(j->G, j->out, j->R, j->C, c0, c1);
        return;
    }
#elif LIGO__NEON
    ligo__colsum_neon(j->G, j->out, j->R, j->C, c0, c1);
    return;
#endif
    for (c = c0; c < c1; c++) {
        float a = j->out[c];
        for (r = 0; r < j->R; r++) a += j->G[r * j->C + c];
        j->out[c] = a;
    }
}

LIGO__PRIV ligo_status ligo__shape_LINEAR(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0], *W = a->src[1], *b = a->src[2];
    if (W->ndim != 2) return ligo__bad(ctx, LIGO_ESHAPE, "linear", "weight must be 2-D (out, in), got %s%s", W, NULL);
    if (ligo__last(x) != W->shape[1])
        return ligo__bad(ctx, LIGO_ESHAPE, "linear", "input %s does not fit weight %s (out, in)", x, W);
    if (b && b->n != W->shape[0])
        return ligo__bad(ctx, LIGO_ESHAPE, "linear", "bias %s does not fit weight %s (out, in)", b, W);
    ligo__copy_shape(x, ndim, shape);
    shape[*ndim - 1] = W->shape[0];
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_LINEAR(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0], *W = out->src[1], *b = out->src[2];
    ligo__linear_param *p = (ligo__linear_param *)out->param;
    int64_t R = ligo__rows(x), I = W->shape[1], O = W->shape[0];
    if (p->act == LIGO__ACT_GELU) {
        float *h = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)(R * O) * sizeof(float), "scratch", 0);
        if (!h) return;
        p->h = h;
        ligo__sgemm_epi(ctx, 0, 1, R, O, I, 1.0f, x->data, I, W->data, I, 0.0f, out->data, O, b ? b->data : NULL,
                        ligo__gelu_epi, h);
        ligo_flops_add(ctx, 8.0 * (double)R * (double)O, 0.0);
    } else {
        ligo__sgemm_epi(ctx, 0, 1, R, O, I, 1.0f, x->data, I, W->data, I, 0.0f, out->data, O, b ? b->data : NULL,
                        NULL, NULL);
    }
    ligo_flops_add(ctx, 2.0 * (double)R * (double)I * (double)O + (b ? (double)R * (double)O : 0.0), 0.0);
}
LIGO__PRIV void ligo__bwd_LINEAR(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo__linear_param *p = (const ligo__linear_param *)out->param;
    ligo_tensor *x = out->src[0], *W = out->src[1], *b = out->src[2];
    int64_t R = ligo__rows(x), I = W->shape[1], O = W->shape[0];
    int fresh;
    float *dx = ligo__grad_fresh(ctx, x, &fresh), *dW = ligo__grad_of(ctx, W), *db = b ? ligo__grad_of(ctx, b) : NULL;
    float *dh = NULL;
    const float *G = out->grad;
    double flops = 0.0;
    if (p->act == LIGO__ACT_GELU) { /* G = G * gelu'(h) */
        dh = ligo__grad_temp(ctx, R * O);
        if (!dh) return;
        ligo__gelu_backward(ctx, p->h, G, dh, R * O, 1);
        G = dh;
        flops += 14.0 * (double)R * (double)O;
    }
    if (dx) { /* dx (R, in) (+)= G (R, out) W (out, in) */
        ligo__sgemm(ctx, 0, 0, R, I, O, 1.0f, G, O, W->data, I, fresh ? 0.0f : 1.0f, dx, I);
        flops += 2.0 * (double)R * (double)I * (double)O;
    }
    if (dW) { /* dW (out, in) += G^T x */
        ligo__sgemm(ctx, 1, 0, O, I, R, 1.0f, G, O, x->data, I, 1.0f, dW, I);
        flops += 2.0 * (double)R * (double)I * (double)O;
    }
    if (db) {
        ligo__colsum_job cj;
        int nth = ligo__nth_for(ctx, (double)R * (double)O, 65536.0);
        if ((int64_t)nth > (O + 31) / 32) nth = (int)((O + 31) / 32);
        cj.G = G;
        cj.out = db;
        cj.R = R;
        cj.C = O;
        ligo_parallel_for(ctx, ligo__colsum_task, &cj, nth);
        flops += (double)R * (double)O;
    }
    ligo__grad_release(ctx, dh, R * O);
    ligo_flops_add(ctx, 0.0, flops);
}
static ligo_tensor *ligo__linear_act(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *W, ligo_tensor *b, int act) {
    ligo__linear_param p;
    ligo__args a;
    p.act = act;
    p.h = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = W;
    a.src[2] = b;
    return ligo__build(ctx, LIGO_OP_LINEAR, &a);
}
/* x (..., in) W^T + b: W is (out, in), b is (out) or NULL -> (..., out). */
LIGO_API ligo_tensor *ligo_linear(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *W, ligo_tensor *b) {
    return ligo__linear_act(ctx, x, W, b, LIGO__ACT_NONE);
}
/* gelu(ligo_linear(x, W, b)) as one node: the GELU runs in the product's
 * epilogue, and the tape holds one node instead of two. */
LIGO_API ligo_tensor *ligo_linear_gelu(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *W, ligo_tensor *b) {
    return ligo__linear_act(ctx, x, W, b, LIGO__ACT_GELU);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__linear_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_linear(ctx, in[0], in[1], c->n_in > 2 ? in[2] : NULL);
}
static ligo_tensor *ligo__linear_gelu_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_linear_gelu(ctx, in[0], in[1], c->n_in > 2 ? in[2] : NULL);
}
LIGO__PRIV int ligo__cases_LINEAR(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "linear bias", .run = ligo__linear_case, .n_in = 3,
         .in = {{3, {2, 3, 5}, 1.0f}, {2, {4, 5}, 1.0f}, {1, {4}, 1.0f}}},
        {.name = "linear no bias", .run = ligo__linear_case, .n_in = 2, .in = {{2, {3, 5}, 1.0f}, {2, {4, 5}, 1.0f}}},
        {.name = "linear gelu bias", .run = ligo__linear_gelu_case, .n_in = 3,
         .in = {{3, {2, 3, 5}, 1.0f}, {2, {4, 5}, 1.0f}, {1, {4}, 1.0f}}},
        /* 19 outputs: a full 16-wide tile and an edge */
        {.name = "linear gelu no bias", .run = ligo__linear_gelu_case, .n_in = 2,
         .in = {{2, {7, 5}, 0.5f}, {2, {19, 5}, 0.5f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
