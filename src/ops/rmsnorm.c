/* ops/rmsnorm.c: RMSNorm over the last dim, as LLaMA's (Zhang and
 * Sennrich 2019; Hugging Face's LlamaRMSNorm). x (R, C), gamma (C):
 *   y = x * r * gamma,   r = 1 / sqrt(mean(x^2) + eps)   (per row),
 *   dx = r * (dn - n * mean(dn * n)),  n = x * r,  dn = dy * gamma,
 *   dgamma = sum over rows of dy * n.
 * r (R) is saved for backward. Forward and dx are threaded over rows,
 * dgamma over columns (each column summed over rows in order), so the
 * result does not depend on the thread count. */
#include "ops.h"

LIGO__OP(RMSNORM, "rmsnorm", 2, 0);

typedef struct ligo__rmsnorm_param {
    float eps;
    float *r; /* 1 / rms of each row (R), saved by forward */
} ligo__rmsnorm_param;

typedef struct ligo__rms_job {
    ligo_tensor *out;
    float *dx, *dg;
    int64_t R, C;
    int fresh; /* dx is a new buffer: store, do not add */
} ligo__rms_job;

LIGO__PRIV ligo_status ligo__shape_RMSNORM(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0], *g = a->src[1];
    float eps = ((const ligo__rmsnorm_param *)a->param)->eps;
    if (g->n != ligo__last(x))
        return ligo__bad(ctx, LIGO_ESHAPE, "rmsnorm", "gamma %s must have the last dim of x %s", g, x);
    if (!(eps > 0.0f) || !isfinite(eps))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_rmsnorm: eps %g must be positive and finite", (double)eps);
    ligo__copy_shape(x, ndim, shape);
    return LIGO_OK;
}

static void ligo__rms_fwd_task(void *arg, int ith, int nth) {
    const ligo__rms_job *j = (const ligo__rms_job *)arg;
    const ligo_tensor *x = j->out->src[0], *g = j->out->src[1];
    ligo__rmsnorm_param *p = (ligo__rmsnorm_param *)j->out->param;
    int64_t r, c, C = j->C, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    for (r = r0; r < r1; r++) {
        const float *xr = x->data + r * C;
        float *yr = j->out->data + r * C, rs;
        double ss = 0.0;
        for (c = 0; c < C; c++) ss += (double)xr[c] * (double)xr[c];
        rs = (float)(1.0 / sqrt(ss / (double)C + (double)p->eps));
        p->r[r] = rs;
        for (c = 0; c < C; c++) yr[c] = xr[c] * rs * g->data[c];
    }
}

static void ligo__rms_dx_task(void *arg, int ith, int nth) {
    const ligo__rms_job *j = (const ligo__rms_job *)arg;
    const ligo_tensor *x = j->out->src[0], *g = j->out->src[1];
    const float *rr = ((const ligo__rmsnorm_param *)j->out->param)->r;
    int64_t r, c, C = j->C, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    for (r = r0; r < r1; r++) {
        const float *xr = x->data + r * C, *gr = j->out->grad + r * C;
        float *dx = j->dx + r * C, rs = rr[r], m;
        double acc = 0.0;
        for (c = 0; c < C; c++) acc += (double)(gr[c] * g->data[c]) * (double)(xr[c] * rs);
        m = (float)(acc / (double)C);
        for (c = 0; c < C; c++) {
            float d = rs * (gr[c] * g->data[c] - xr[c] * rs * m);
            dx[c] = j->fresh ? d : dx[c] + d;
        }
    }
}

static void ligo__rms_dg_task(void *arg, int ith, int nth) {
    const ligo__rms_job *j = (const ligo__rms_job *)arg;
    const ligo_tensor *x = j->out->src[0];
    const float *rr = ((const ligo__rmsnorm_param *)j->out->param)->r;
    int64_t r, c, C = j->C, c0 = C * ith / nth, c1 = C * (ith + 1) / nth;
    for (r = 0; r < j->R; r++) {
        const float *xr = x->data + r * C, *gr = j->out->grad + r * C;
        for (c = c0; c < c1; c++) j->dg[c] += gr[c] * xr[c] * rr[r];
    }
}

/* FLOPs: 4 per element forward, 9 backward. */
LIGO__PRIV void ligo__fwd_RMSNORM(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__rms_job j;
    ligo__rmsnorm_param *p = (ligo__rmsnorm_param *)out->param;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.C = ligo__last(out);
    j.R = ligo__rows(out);
    p->r = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)j.R * sizeof(float), "scratch", 0);
    if (!p->r) return;
    ligo_parallel_for(ctx, ligo__rms_fwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 4.0 * (double)out->n, 0.0);
}

LIGO__PRIV void ligo__bwd_RMSNORM(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__rms_job j;
    int nth = ligo__nth_for(ctx, (double)out->n, 16384.0);
    memset(&j, 0, sizeof j);
    j.out = out;
    j.C = ligo__last(out);
    j.R = ligo__rows(out);
    j.dx = ligo__grad_fresh(ctx, out->src[0], &j.fresh);
    if (j.dx) ligo_parallel_for(ctx, ligo__rms_dx_task, &j, nth);
    j.dg = ligo__grad_of(ctx, out->src[1]);
    if (j.dg) ligo_parallel_for(ctx, ligo__rms_dg_task, &j, nth);
    ligo_flops_add(ctx, 0.0, 9.0 * (double)out->n);
}

/* RMSNorm over the last dim, as LLaMA's: x (..., C), gamma (C) -> x's
 * shape, y = x / sqrt(mean(x^2) + eps) * gamma per row; eps > 0 (LLaMA
 * 1e-6, 1e-5). */
LIGO_API ligo_tensor *ligo_rmsnorm(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *gamma, float eps) {
    ligo__rmsnorm_param p;
    ligo__args a;
    p.eps = eps;
    p.r = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = gamma;
    return ligo__build(ctx, LIGO_OP_RMSNORM, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__rmsnorm_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_rmsnorm(ctx, in[0], in[1], 1e-5f);
}

/* x / sqrt(mean(x^2) + 1e-5) * gamma in float64 */
static void ligo__rmsnorm_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    int64_t C = ligo__last(in[0]), R = in[0]->n / C, r, k;
    (void)c;
    for (r = 0; r < R; r++) {
        const float *x = in[0]->data + r * C;
        double ss = 0.0;
        for (k = 0; k < C; k++) ss += (double)x[k] * x[k];
        for (k = 0; k < C; k++) out[r * C + k] = x[k] / sqrt(ss / (double)C + 1e-5) * in[1]->data[k];
    }
}

/* gamma in (0.5, 1.5), as a trained gain */
LIGO__PRIV int ligo__cases_RMSNORM(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "rmsnorm", .run = ligo__rmsnorm_case, .n_in = 2, .in = {{2, {4, 8}, 2.0f}, {1, {8}, 0.5f}},
         .offset = {0.0f, 1.0f}, .ref = ligo__rmsnorm_ref, .ref_tol = 1e-6},
        {.name = "rmsnorm 3-D", .run = ligo__rmsnorm_case, .n_in = 2, .in = {{3, {2, 3, 6}, 1.0f}, {1, {6}, 0.5f}},
         .offset = {0.0f, 1.0f}, .ref = ligo__rmsnorm_ref, .ref_tol = 1e-6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
