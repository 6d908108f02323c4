/* ops/attention_mask.c: multi-head attention with a mask of the user's.
 * q (B, Tq, C), k and v (B, Tk, C), NH heads of hs = C / NH, mask (Tq, Tk)
 * or none -> out (B, Tq, C). Per (b, h):
 *   S = Q K^T / sqrt(hs) + mask,  P = softmax(S) (rows),  O = P V.
 * A mask of 0 and -inf masks; any finite values are an additive bias (and
 * a mask that is a parameter gets its gradient, summed over b and h). P
 * (B, NH, Tq, Tk) is saved. Backward: dP = dO V^T,
 * dS = P * (dP - rowsum(dP * P)), dQ = dS K / sqrt(hs),
 * dK = dS^T Q / sqrt(hs), dV = P^T dO, dmask = sum over (b, h) of dS.
 * Threaded over (b, h), each product on ligo__sgemm_small (the GEMM
 * hook's when it takes it) as ligo_attention's; dmask adds the saved dS of
 * every (b, h) in order, threaded over its elements, so nothing depends on
 * the thread count. */
#include "ops.h"

LIGO__OP(ATTENTION_MASK, "attention_mask", 3, 0);

typedef struct ligo__attn_mask_param {
    int64_t n_head;
    float *P; /* (B, NH, Tq, Tk), saved by forward */
} ligo__attn_mask_param;

LIGO__PRIV ligo_status ligo__shape_ATTENTION_MASK(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *q = a->src[0], *k = a->src[1], *v = a->src[2], *m = a->src[3];
    int64_t NH = ((const ligo__attn_mask_param *)a->param)->n_head, C, P_dims[4];
    if (q->ndim != 3 || k->ndim != 3)
        return ligo__bad(ctx, LIGO_ESHAPE, "attention_mask", "q and k must be (B, T, C), got %s and %s", q, k);
    if (!ligo_same_shape(k, v))
        return ligo__bad(ctx, LIGO_ESHAPE, "attention_mask", "k %s and v %s must have one shape", k, v);
    if (k->shape[0] != q->shape[0] || k->shape[2] != q->shape[2])
        return ligo__bad(ctx, LIGO_ESHAPE, "attention_mask", "q %s and k %s differ in B or C", q, k);
    C = q->shape[2];
    if (NH < 1 || C % NH != 0)
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_attention_mask: %lld heads do not divide C = %lld",
                              (long long)NH, (long long)C);
    if (m && (m->ndim != 2 || m->shape[0] != q->shape[1] || m->shape[1] != k->shape[1])) {
        char bq[64], bk[64], bm[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_attention_mask: mask %s must be (Tq, Tk) = (%lld, %lld) for q %s, k %s",
                              ligo_shape_str(m, bm, sizeof bm), (long long)q->shape[1], (long long)k->shape[1],
                              ligo_shape_str(q, bq, sizeof bq), ligo_shape_str(k, bk, sizeof bk));
    }
    P_dims[0] = q->shape[0];
    P_dims[1] = NH;
    P_dims[2] = q->shape[1];
    P_dims[3] = k->shape[1];
    if (ligo__check_size(ctx, "attention_mask", "saved P (B x NH x Tq x Tk)", 4, P_dims, NULL) != LIGO_OK)
        return ctx->status;
    ligo__copy_shape(q, ndim, shape);
    return LIGO_OK;
}

typedef struct ligo__am_job {
    ligo_tensor *out;
    float *dq, *dk, *dv;   /* backward: NULL where no gradient is wanted */
    float *dS;             /* backward with a mask's gradient: (B, NH, Tq, Tk) */
    float *work;           /* per thread: the products' packing, then (backward) Tq x Tk */
    int64_t work_floats;
    int64_t B, Tq, Tk, C, NH;
    float beta_q, beta_k, beta_v; /* 0 into a new gradient buffer, else 1 */
} ligo__am_job;

/* Floats of per-thread work: the largest product's packing of op(B)
 * (N x K) and, backward, dP / dS. */
static int64_t ligo__am_work(int64_t Tq, int64_t Tk, int64_t hs, int backward) {
    int64_t w = ligo__sgemm_small_work(Tk, hs), o = ligo__sgemm_small_work(hs, Tk), d = ligo__sgemm_small_work(hs, Tq);
    if (o > w) w = o;
    if (backward && d > w) w = d;
    return w + (backward ? Tq * Tk : 0);
}

static void ligo__am_fwd_task(void *arg, int ith, int nth) {
    const ligo__am_job *j = (const ligo__am_job *)arg;
    const ligo_tensor *q = j->out->src[0], *k = j->out->src[1], *v = j->out->src[2], *m = j->out->src[3];
    int64_t Tq = j->Tq, Tk = j->Tk, C = j->C, NH = j->NH, hs = C / NH, bh, t, u;
    float scale = 1.0f / sqrtf((float)hs);
    float *P_all = ((const ligo__attn_mask_param *)j->out->param)->P;
    float *work = j->work + (int64_t)ith * j->work_floats;
    for (bh = ith; bh < j->B * NH; bh += nth) {
        int64_t b = bh / NH, h = bh % NH;
        const float *qb = q->data + b * Tq * C + h * hs, *kb = k->data + b * Tk * C + h * hs;
        const float *vb = v->data + b * Tk * C + h * hs;
        float *P = P_all + bh * Tq * Tk, *o = j->out->data + b * Tq * C + h * hs;
        ligo__sgemm_small(0, 1, LIGO__TRI_NONE, Tq, Tk, hs, scale, qb, C, kb, C, 0.0f, P, Tk, work); /* S */
        for (t = 0; t < Tq; t++) {
            float *row = P + t * Tk;
            if (m)
                for (u = 0; u < Tk; u++) row[u] += m->data[t * Tk + u];
            ligo__softmax_row(row, row, Tk); /* -inf entries get 0; a row of -inf only NaN */
        }
        ligo__sgemm_small(0, 0, LIGO__TRI_NONE, Tq, hs, Tk, 1.0f, P, Tk, vb, C, 0.0f, o, C, work); /* O = P V */
    }
}

static void ligo__am_job_init(ligo__am_job *j, ligo_tensor *out) {
    memset(j, 0, sizeof *j);
    j->out = out;
    j->B = out->src[0]->shape[0];
    j->Tq = out->src[0]->shape[1];
    j->Tk = out->src[1]->shape[1];
    j->C = out->src[0]->shape[2];
    j->NH = ((const ligo__attn_mask_param *)out->param)->n_head;
}

LIGO__PRIV void ligo__fwd_ATTENTION_MASK(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__am_job j;
    ligo__attn_mask_param *p = (ligo__attn_mask_param *)out->param;
    double pairs;
    int nth;
    ligo__am_job_init(&j, out);
    p->P = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)(j.B * j.NH * j.Tq * j.Tk) * sizeof(float),
                                         "scratch", 0);
    if (!p->P) return;
    nth = ligo__nth_for(ctx, (double)(j.B * j.NH), 1.0);
    j.work_floats = (ligo__am_work(j.Tq, j.Tk, j.C / j.NH, 0) + 15) / 16 * 16;
    j.work = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)nth * (size_t)j.work_floats * sizeof(float),
                                           "scratch", 0);
    if (!j.work) return;
    ligo_parallel_for(ctx, ligo__am_fwd_task, &j, nth);
    pairs = (double)(j.Tq * j.Tk) * (double)(j.B * j.NH);
    ligo_flops_add(ctx, pairs * (4.0 * (double)(j.C / j.NH) + 6.0), 0.0);
}

static void ligo__am_bwd_task(void *arg, int ith, int nth) {
    const ligo__am_job *j = (const ligo__am_job *)arg;
    const ligo_tensor *q = j->out->src[0], *k = j->out->src[1], *v = j->out->src[2];
    int64_t Tq = j->Tq, Tk = j->Tk, C = j->C, NH = j->NH, hs = C / NH, bh, t, u;
    float scale = 1.0f / sqrtf((float)hs);
    const float *P_all = ((const ligo__attn_mask_param *)j->out->param)->P;
    float *work = j->work + (int64_t)ith * j->work_floats;
    for (bh = ith; bh < j->B * NH; bh += nth) {
        int64_t b = bh / NH, h = bh % NH, qo = b * Tq * C + h * hs, ko = b * Tk * C + h * hs;
        const float *P = P_all + bh * Tq * Tk, *dO = j->out->grad + qo;
        float *W = j->dS ? j->dS + bh * Tq * Tk : work + j->work_floats - Tq * Tk; /* dP, then dS */
        ligo__sgemm_small(0, 1, LIGO__TRI_NONE, Tq, Tk, hs, 1.0f, dO, C, v->data + ko, C, 0.0f, W, Tk, work);
        for (t = 0; t < Tq; t++) {
            const float *pr = P + t * Tk;
            float *d = W + t * Tk, dot = 0.0f;
            for (u = 0; u < Tk; u++) dot += pr[u] * d[u];
            for (u = 0; u < Tk; u++) d[u] = pr[u] * (d[u] - dot);
        }
        if (j->dq) /* dQ = dS K / sqrt(hs) */
            ligo__sgemm_small(0, 0, LIGO__TRI_NONE, Tq, hs, Tk, scale, W, Tk, k->data + ko, C, j->beta_q, j->dq + qo,
                              C, work);
        if (j->dk) /* dK = dS^T Q / sqrt(hs) */
            ligo__sgemm_small(1, 0, LIGO__TRI_NONE, Tk, hs, Tq, scale, W, Tk, q->data + qo, C, j->beta_k, j->dk + ko,
                              C, work);
        if (j->dv) /* dV = P^T dO */
            ligo__sgemm_small(1, 0, LIGO__TRI_NONE, Tk, hs, Tq, 1.0f, P, Tk, dO, C, j->beta_v, j->dv + ko, C, work);
    }
}

/* dmask += sum over (b, h) of dS, in (b, h) order, over element ranges */
static void ligo__am_dmask_task(void *arg, int ith, int nth) {
    const ligo__am_job *j = (const ligo__am_job *)arg;
    int64_t n = j->Tq * j->Tk, e0 = n * ith / nth, e1 = n * (ith + 1) / nth, bh, e;
    float *dm = j->out->src[3]->grad;
    for (bh = 0; bh < j->B * j->NH; bh++)
        for (e = e0; e < e1; e++) dm[e] += j->dS[bh * n + e];
}

/* Gradient buffers of q, k, v: a new one is stored into (beta 0) by the
 * first product that writes it, later ones (q, k or v the same tensor)
 * add. */
static float *ligo__am_grad(ligo_ctx *ctx, ligo_tensor *t, float *beta) {
    int fresh;
    float *g = ligo__grad_fresh(ctx, t, &fresh);
    *beta = fresh ? 0.0f : 1.0f;
    return g;
}

LIGO__PRIV void ligo__bwd_ATTENTION_MASK(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__am_job j;
    ligo_tensor *m = out->src[3];
    float *dmask = NULL;
    int nth;
    double pairs;
    ligo__am_job_init(&j, out);
    j.dq = ligo__am_grad(ctx, out->src[0], &j.beta_q);
    j.dk = ligo__am_grad(ctx, out->src[1], &j.beta_k);
    j.dv = ligo__am_grad(ctx, out->src[2], &j.beta_v);
    if (m) dmask = ligo__grad_of(ctx, m);
    if (ligo__failed(ctx)) return;
    if (dmask) {
        j.dS = ligo__grad_temp(ctx, j.B * j.NH * j.Tq * j.Tk);
        if (!j.dS) return;
    }
    nth = ligo__nth_for(ctx, (double)(j.B * j.NH), 1.0);
    j.work_floats = (ligo__am_work(j.Tq, j.Tk, j.C / j.NH, 1) + 15) / 16 * 16;
    j.work = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)nth * (size_t)j.work_floats * sizeof(float),
                                           "scratch", 0);
    if (!j.work) return;
    ligo_parallel_for(ctx, ligo__am_bwd_task, &j, nth);
    if (dmask) {
        ligo_parallel_for(ctx, ligo__am_dmask_task, &j, ligo__nth_for(ctx, (double)(j.Tq * j.Tk), 16384.0));
        ligo__grad_release(ctx, j.dS, j.B * j.NH * j.Tq * j.Tk);
    }
    pairs = (double)(j.Tq * j.Tk) * (double)(j.B * j.NH);
    ligo_flops_add(ctx, 0.0, pairs * (8.0 * (double)(j.C / j.NH) + 5.0));
}

/* Multi-head attention with a mask of one's own: q (B, Tq, C), k and v
 * (B, Tk, C), n_head dividing C, scores Q K^T / sqrt(C / n_head) plus mask
 * (Tq, Tk) (0 where allowed, -inf where masked; any finite values act as
 * an additive bias, learned if mask is a parameter), or mask NULL ->
 * (B, Tq, C). A row masked everywhere is NaN, as PyTorch's. The causal
 * mask is 0 on and below the diagonal, -inf above. The same from
 * primitives (heads from ligo_reshape and ligo_permute):
 *   q, k, v (B, T, C) -> (B, T, NH, hs) -> permute {0, 2, 1, 3} -> (B NH, T, hs)
 *   s = ligo_scale(ligo_bmm(q, k, 0, 1), 1 / sqrt(hs))     (B NH, T, T)
 *   p = ligo_softmax(ligo_add(s, mask))                     mask (T, T) broadcast
 *   o = ligo_bmm(p, v, 0, 0) -> (B, NH, T, hs) -> permute {0, 2, 1, 3} -> (B, T, C)
 * (tests/test_prims.c checks it against ligo_attention). */
LIGO_API ligo_tensor *ligo_attention_mask(ligo_ctx *ctx, ligo_tensor *q, ligo_tensor *k, ligo_tensor *v,
                                          ligo_tensor *mask, int64_t n_head) {
    ligo__attn_mask_param p;
    ligo__args a;
    p.n_head = n_head;
    p.P = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = q;
    a.src[1] = k;
    a.src[2] = v;
    a.src[3] = mask;
    return ligo__build(ctx, LIGO_OP_ATTENTION_MASK, &a);
}

#ifdef LIGO_OP_TESTS
/* i0 heads; i1 the mask: 0 none, 1 causal (made here), 2 in[3] (a
 * parameter: a learned bias, finite); one input: q = k = v */
static ligo_tensor *ligo__am_mask(ligo_ctx *ctx, int64_t Tq, int64_t Tk) {
    ligo_tensor *m = ligo_new_2d(ctx, Tq, Tk);
    int64_t t, u;
    if (m)
        for (t = 0; t < Tq; t++)
            for (u = 0; u < Tk; u++) m->data[t * Tk + u] = u <= t ? 0.0f : -INFINITY;
    return m;
}
static ligo_tensor *ligo__am_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    ligo_tensor *m = NULL;
    if (c->n_in == 1) return ligo_attention_mask(ctx, in[0], in[0], in[0], NULL, c->i0);
    if (c->i1 == 1 && in[0]) m = ligo__am_mask(ctx, in[0]->shape[1], in[1]->shape[1]);
    if (c->i1 == 2) m = in[3];
    return ligo_attention_mask(ctx, in[0], in[1], in[2], m, c->i0);
}

/* each (b, h, t) in float64 (the cases keep Tk <= 16) */
static void ligo__am_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    const ligo_tensor *q = in[0], *k = c->n_in == 1 ? in[0] : in[1], *v = c->n_in == 1 ? in[0] : in[2];
    int64_t B = q->shape[0], Tq = q->shape[1], Tk = k->shape[1], C = q->shape[2], NH = c->i0, hs = C / NH;
    int64_t b, h, t, u, d;
    double s[16], mx, sum;
    for (b = 0; b < B; b++)
        for (h = 0; h < NH; h++)
            for (t = 0; t < Tq; t++) {
                mx = -HUGE_VAL;
                sum = 0.0;
                for (u = 0; u < Tk; u++) {
                    double acc = 0.0;
                    for (d = 0; d < hs; d++)
                        acc += (double)q->data[(b * Tq + t) * C + h * hs + d] * k->data[(b * Tk + u) * C + h * hs + d];
                    s[u] = acc / sqrt((double)hs);
                    if (c->i1 == 1 && u > t) s[u] = -HUGE_VAL;
                    if (c->i1 == 2) s[u] += in[3]->data[t * Tk + u];
                    mx = s[u] > mx ? s[u] : mx;
                }
                for (u = 0; u < Tk; u++) sum += (s[u] = exp(s[u] - mx));
                for (d = 0; d < hs; d++) {
                    double acc = 0.0;
                    for (u = 0; u < Tk; u++) acc += s[u] / sum * v->data[(b * Tk + u) * C + h * hs + d];
                    out[(b * Tq + t) * C + h * hs + d] = acc;
                }
            }
}

LIGO__PRIV int ligo__cases_ATTENTION_MASK(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "attention_mask causal", .run = ligo__am_case, .n_in = 3,
         .in = {{3, {2, 5, 8}, 1.5f}, {3, {2, 5, 8}, 1.5f}, {3, {2, 5, 8}, 1.5f}}, .i0 = 2, .i1 = 1,
         .ref = ligo__am_ref, .ref_tol = 1e-6},
        {.name = "attention_mask none", .run = ligo__am_case, .n_in = 3,
         .in = {{3, {2, 4, 6}, 1.5f}, {3, {2, 4, 6}, 1.5f}, {3, {2, 4, 6}, 1.5f}}, .i0 = 3, .i1 = 0,
         .ref = ligo__am_ref, .ref_tol = 1e-6},
        /* cross-attention, 3 queries over 5 keys, a learned bias */
        {.name = "attention_mask bias", .run = ligo__am_case, .n_in = 4,
         .in = {{3, {2, 3, 4}, 1.5f}, {3, {2, 5, 4}, 1.5f}, {3, {2, 5, 4}, 1.5f}, {2, {3, 5}, 1.0f}}, .i0 = 2,
         .i1 = 2, .ref = ligo__am_ref, .ref_tol = 1e-6},
        /* q, k and v one tensor: three gradients into one buffer */
        {.name = "attention_mask self", .run = ligo__am_case, .n_in = 1, .in = {{3, {1, 4, 6}, 1.5f}}, .i0 = 2,
         .ref = ligo__am_ref, .ref_tol = 1e-6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
