/* ops/dropout.c: inverted dropout. x any shape -> x's shape,
 *   y = x * m / (1 - p),  dx = dy * m / (1 - p),
 * m[i] = 1 (kept) when the i-th draw ligo_rng_uniform(rng) is >= p, else
 * 0: one draw per element in index order on the calling thread, so the
 * mask depends only on the RNG's state and advances it by x.n draws. The
 * mask (one byte per element) is saved for backward. p = 0 is the
 * identity and draws nothing; p = 1 drops everything (y = 0). */
#include "ops.h"

LIGO__OP(DROPOUT, "dropout", 1, 0);

typedef struct ligo__dropout_param {
    float p;
    ligo_rng *rng;        /* the caller's, used by forward only */
    unsigned char *mask;  /* 1 kept, 0 dropped (n); NULL when p = 0 */
} ligo__dropout_param;

LIGO__PRIV ligo_status ligo__shape_DROPOUT(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo__dropout_param *p = (const ligo__dropout_param *)a->param;
    if (!(p->p >= 0.0f && p->p <= 1.0f))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_dropout: p is %g (want 0 <= p <= 1)", (double)p->p);
    if (p->p > 0.0f && !p->rng)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_dropout: rng is NULL with p = %g (only p = 0 needs none)",
                              (double)p->p);
    ligo__copy_shape(a->src[0], ndim, shape);
    return LIGO_OK;
}

/* 1 / (1 - p), or 0 when everything is dropped */
static float ligo__dropout_scale(float p) { return p < 1.0f ? 1.0f / (1.0f - p) : 0.0f; }

LIGO__PRIV void ligo__fwd_DROPOUT(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__dropout_param *p = (ligo__dropout_param *)out->param;
    const float *x = out->src[0]->data;
    float s = ligo__dropout_scale(p->p);
    int64_t i;
    if (p->p == 0.0f) {
        memcpy(out->data, x, (size_t)out->n * sizeof(float));
        return;
    }
    p->mask = (unsigned char *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)out->n, "scratch", 0);
    if (!p->mask) return;
    for (i = 0; i < out->n; i++) {
        p->mask[i] = ligo_rng_uniform(p->rng) >= p->p;
        out->data[i] = p->mask[i] ? x[i] * s : 0.0f;
    }
    p->rng = NULL; /* the caller's: not kept past the build */
    ligo_flops_add(ctx, (double)out->n, (double)out->n);
}

LIGO__PRIV void ligo__bwd_DROPOUT(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo__dropout_param *p = (const ligo__dropout_param *)out->param;
    const float *g = out->grad;
    float s = ligo__dropout_scale(p->p), *dx;
    int64_t i;
    int fresh;
    if (!p->mask) { /* p = 0: the identity */
        if (ligo__grad_pass(ctx, out->src[0], out)) return;
        dx = ligo__grad_fresh(ctx, out->src[0], &fresh);
        if (dx) ligo__acc_or_copy(dx, g, out->n, fresh);
        return;
    }
    dx = ligo__grad_fresh(ctx, out->src[0], &fresh);
    if (!dx) return;
    for (i = 0; i < out->n; i++) {
        float d = p->mask[i] ? g[i] * s : 0.0f;
        dx[i] = fresh ? d : dx[i] + d;
    }
}

/* Inverted dropout: x any shape -> x's shape, each element kept (and
 * scaled by 1 / (1 - p)) or zeroed with probability p, the mask drawn from
 * the caller's rng (element i is kept when the i-th ligo_rng_uniform(rng)
 * draw is >= p) and saved for backward; the same RNG state gives the same
 * mask. p in [0, 1]. For evaluation pass p = 0: the identity, which draws
 * nothing (rng may then be NULL). */
LIGO_API ligo_tensor *ligo_dropout(ligo_ctx *ctx, ligo_tensor *x, float p, ligo_rng *rng) {
    ligo__dropout_param dp;
    ligo__args a;
    dp.p = p;
    dp.rng = rng;
    dp.mask = NULL;
    a = ligo__args_of(&dp, sizeof dp);
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_DROPOUT, &a);
}

#ifdef LIGO_OP_TESTS
/* p = i0 / 100; a fresh RNG of seed i1 on each call, so every rebuild of
 * the gradient check draws the same mask */
static ligo_tensor *ligo__dropout_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    ligo_rng rng;
    ligo_rng_seed(&rng, (uint64_t)c->i1);
    return ligo_dropout(ctx, in[0], (float)c->i0 / 100.0f, &rng);
}

/* the mask from the same draws, the rest in float64 */
static void ligo__dropout_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    ligo_rng rng;
    float p = (float)c->i0 / 100.0f;
    int64_t i;
    ligo_rng_seed(&rng, (uint64_t)c->i1);
    for (i = 0; i < in[0]->n; i++) {
        int keep = p == 0.0f || ligo_rng_uniform(&rng) >= p;
        out[i] = keep ? (double)in[0]->data[i] / (1.0 - (double)p) : 0.0;
    }
}

LIGO__PRIV int ligo__cases_DROPOUT(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "dropout", .run = ligo__dropout_case, .n_in = 1, .in = {{2, {6, 7}, 1.0f}}, .i0 = 30, .i1 = 11,
         .ref = ligo__dropout_ref, .ref_tol = 5e-7},
        {.name = "dropout 3-D", .run = ligo__dropout_case, .n_in = 1, .in = {{3, {2, 3, 8}, 1.0f}}, .i0 = 50, .i1 = 12,
         .ref = ligo__dropout_ref, .ref_tol = 5e-7},
        {.name = "dropout p = 0", .run = ligo__dropout_case, .n_in = 1, .in = {{2, {3, 4}, 1.0f}}, .i0 = 0, .i1 = 13,
         .ref = ligo__dropout_ref, .ref_tol = 0.0},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
