/* ops/bmm.c: batched matmul. out (Bt, M, N) = op(a) (Bt, M, K) @ op(b)
 * (Bt, K, N), op(X) = X or X^T of each (M, K) matrix, with one batch dim
 * or two (a (B, H, M, K), b (B, H, K, N) -> (B, H, M, N)); the batch dims
 * of a and b are equal. Backward per batch as matmul's:
 * d op(A) = G op(B)^T, d op(B) = op(A)^T G.
 * Every product goes through the GEMM choke point: small ones (M N K up to
 * 2^18) as attention's, one batch per thread in turn on
 * ligo__sgemm_small (the hook's when it takes it, else the micro-kernel on
 * a packed op(B)), larger ones one batch after another on ligo__sgemm
 * (threaded inside). The path depends on the shapes only, and each batch
 * is computed by one fixed sequence of operations: results do not depend
 * on the thread count. */
#include "ops.h"

LIGO__OP(BMM, "bmm", 2, 0);

typedef struct ligo__bmm_param {
    int trans_a, trans_b;
} ligo__bmm_param;

#define LIGO__BMM_SMALL ((int64_t)1 << 18)

/* The product's sizes from the operands. */
typedef struct ligo__bmm_dims {
    int64_t Bt, M, N, K, lda, ldb; /* lda, ldb: the row strides of a and b (their last dims) */
    int ta, tb;
} ligo__bmm_dims;

static ligo__bmm_dims ligo__bmm_dims_of(const ligo_tensor *x, const ligo_tensor *y, const ligo__bmm_param *p) {
    ligo__bmm_dims d;
    int nd = x->ndim;
    d.ta = p->trans_a;
    d.tb = p->trans_b;
    d.lda = x->shape[nd - 1];
    d.ldb = y->shape[nd - 1];
    d.M = d.ta ? x->shape[nd - 1] : x->shape[nd - 2];
    d.K = d.ta ? x->shape[nd - 2] : x->shape[nd - 1];
    d.N = d.tb ? y->shape[nd - 2] : y->shape[nd - 1];
    d.Bt = x->n / (x->shape[nd - 1] * x->shape[nd - 2]);
    return d;
}

LIGO__PRIV ligo_status ligo__shape_BMM(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0], *y = a->src[1];
    const ligo__bmm_param *p = (const ligo__bmm_param *)a->param;
    int nd = x->ndim, i;
    ligo__bmm_dims d;
    if ((nd != 3 && nd != 4) || y->ndim != nd)
        return ligo__bad(ctx, LIGO_ESHAPE, "bmm", "operands must both be 3-D (Bt, M, K) or both 4-D, got %s and %s",
                         x, y);
    for (i = 0; i < nd - 2; i++)
        if (x->shape[i] != y->shape[i])
            return ligo__bad(ctx, LIGO_ESHAPE, "bmm", "batch dims differ (%s and %s)", x, y);
    d = ligo__bmm_dims_of(x, y, p);
    if ((d.tb ? y->shape[nd - 1] : y->shape[nd - 2]) != d.K) {
        char bx[64], by[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_bmm: inner dims differ (%s%s @ %s%s)",
                              ligo_shape_str(x, bx, sizeof bx), d.ta ? "^T" : "", ligo_shape_str(y, by, sizeof by),
                              d.tb ? "^T" : "");
    }
    *ndim = nd;
    for (i = 0; i < nd - 2; i++) shape[i] = x->shape[i];
    shape[nd - 2] = d.M;
    shape[nd - 1] = d.N;
    return LIGO_OK;
}

static int ligo__bmm_small(const ligo__bmm_dims *d) {
    return (double)d->M * (double)d->N * (double)d->K <= (double)LIGO__BMM_SMALL;
}

/* One product of a batch, C (m x n) = alpha op(A) op(B) + beta C, for the
 * small path (work: ligo__sgemm_small_work(n, k) floats) or the large. */
typedef struct ligo__bmm_gemm {
    int ta, tb;
    int64_t m, n, k, lda, ldb, ldc;
    const float *A, *B; /* batch 0; batch t at + t * sa, + t * sb */
    float *C;
    int64_t sa, sb, sc;
    float beta;
} ligo__bmm_gemm;

typedef struct ligo__bmm_job {
    ligo__bmm_gemm g;
    int64_t Bt;
    float *work; /* per thread */
    int64_t work_floats;
} ligo__bmm_job;

static void ligo__bmm_task(void *arg, int ith, int nth) {
    const ligo__bmm_job *j = (const ligo__bmm_job *)arg;
    const ligo__bmm_gemm *g = &j->g;
    float *work = j->work + (int64_t)ith * j->work_floats;
    int64_t t;
    for (t = ith; t < j->Bt; t += nth)
        ligo__sgemm_small(g->ta, g->tb, LIGO__TRI_NONE, g->m, g->n, g->k, 1.0f, g->A + t * g->sa, g->lda,
                          g->B + t * g->sb, g->ldb, g->beta, g->C + t * g->sc, g->ldc, work);
}

/* Every batch of one product g, on the path d picks. */
static void ligo__bmm_run(ligo_ctx *ctx, const ligo__bmm_dims *d, const ligo__bmm_gemm *g) {
    int64_t t;
    if (ligo__bmm_small(d)) {
        ligo__bmm_job j;
        int nth = ligo__nth_for(ctx, 2.0 * (double)d->Bt * (double)(d->M * d->N) * (double)d->K, 65536.0);
        if (nth > d->Bt) nth = (int)d->Bt;
        j.g = *g;
        j.Bt = d->Bt;
        j.work_floats = (ligo__sgemm_small_work(g->n, g->k) + 15) / 16 * 16;
        j.work = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch,
                                               (size_t)nth * (size_t)j.work_floats * sizeof(float), "scratch", 0);
        if (!j.work) return;
        ligo_parallel_for(ctx, ligo__bmm_task, &j, nth);
        return;
    }
    for (t = 0; t < d->Bt; t++)
        ligo__sgemm(ctx, g->ta, g->tb, g->m, g->n, g->k, 1.0f, g->A + t * g->sa, g->lda, g->B + t * g->sb, g->ldb,
                    g->beta, g->C + t * g->sc, g->ldc);
}

static ligo__bmm_gemm ligo__bmm_gemm_of(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *A, int64_t lda,
                                        int64_t sa, const float *B, int64_t ldb, int64_t sb, float *C, int64_t ldc,
                                        int64_t sc, float beta) {
    ligo__bmm_gemm g;
    g.ta = ta;
    g.tb = tb;
    g.m = m;
    g.n = n;
    g.k = k;
    g.A = A;
    g.lda = lda;
    g.sa = sa;
    g.B = B;
    g.ldb = ldb;
    g.sb = sb;
    g.C = C;
    g.ldc = ldc;
    g.sc = sc;
    g.beta = beta;
    return g;
}

LIGO__PRIV void ligo__fwd_BMM(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0], *y = out->src[1];
    ligo__bmm_dims d = ligo__bmm_dims_of(x, y, (const ligo__bmm_param *)out->param);
    ligo__bmm_gemm g = ligo__bmm_gemm_of(d.ta, d.tb, d.M, d.N, d.K, x->data, d.lda, d.M * d.K, y->data, d.ldb,
                                         d.K * d.N, out->data, d.N, d.M * d.N, 0.0f);
    ligo__bmm_run(ctx, &d, &g);
    ligo_flops_add(ctx, 2.0 * (double)d.Bt * (double)d.M * (double)d.N * (double)d.K, 0.0);
}

LIGO__PRIV void ligo__bwd_BMM(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0], *y = out->src[1];
    ligo__bmm_dims d = ligo__bmm_dims_of(x, y, (const ligo__bmm_param *)out->param);
    float *dx = ligo__grad_of(ctx, x), *dy = ligo__grad_of(ctx, y);
    const float *G = out->grad;
    int64_t M = d.M, N = d.N, K = d.K, sa = M * K, sb = K * N, sg = M * N;
    double flops = 0.0;
    ligo__bmm_gemm g;
    if (dx) {
        if (!d.ta) /* dA (M, K) += G op(B)^T */
            g = ligo__bmm_gemm_of(0, !d.tb, M, K, N, G, N, sg, y->data, d.ldb, sb, dx, d.lda, sa, 1.0f);
        else /* dA (K, M) += op(B) G^T */
            g = ligo__bmm_gemm_of(d.tb, 1, K, M, N, y->data, d.ldb, sb, G, N, sg, dx, d.lda, sa, 1.0f);
        ligo__bmm_run(ctx, &d, &g);
        flops += 2.0 * (double)d.Bt * (double)M * (double)N * (double)K;
    }
    if (dy && !ligo__failed(ctx)) {
        if (!d.tb) /* dB (K, N) += op(A)^T G */
            g = ligo__bmm_gemm_of(!d.ta, 0, K, N, M, x->data, d.lda, sa, G, N, sg, dy, d.ldb, sb, 1.0f);
        else /* dB (N, K) += G^T op(A) */
            g = ligo__bmm_gemm_of(1, d.ta, N, K, M, G, N, sg, x->data, d.lda, sa, dy, d.ldb, sb, 1.0f);
        ligo__bmm_run(ctx, &d, &g);
        flops += 2.0 * (double)d.Bt * (double)M * (double)N * (double)K;
    }
    ligo_flops_add(ctx, 0.0, flops);
}

/* Batched matmul: op(a) @ op(b) for each batch, op(X) = X or X^T of the
 * last two dims: a (Bt, M, K) (trans_a: (Bt, K, M)) and b (Bt, K, N)
 * (trans_b: (Bt, N, K)) -> (Bt, M, N); or with two batch dims, (B, H, ...)
 * -> (B, H, M, N). The batch dims of a and b must be equal. */
LIGO_API ligo_tensor *ligo_bmm(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b, int trans_a, int trans_b) {
    ligo__bmm_param p;
    ligo__args ar;
    p.trans_a = trans_a ? 1 : 0;
    p.trans_b = trans_b ? 1 : 0;
    ar = ligo__args_of(&p, sizeof p);
    ar.src[0] = a;
    ar.src[1] = b;
    return ligo__build(ctx, LIGO_OP_BMM, &ar);
}

#ifdef LIGO_OP_TESTS
/* i0, i1: trans_a, trans_b */
static ligo_tensor *ligo__bmm_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_bmm(ctx, in[0], in[1], (int)c->i0, (int)c->i1);
}

/* the triple loop in float64 for each batch */
static void ligo__bmm_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    ligo__bmm_param p;
    ligo__bmm_dims d;
    int64_t t, i, j, k;
    p.trans_a = (int)c->i0;
    p.trans_b = (int)c->i1;
    d = ligo__bmm_dims_of(in[0], in[1], &p);
    for (t = 0; t < d.Bt; t++)
        for (i = 0; i < d.M; i++)
            for (j = 0; j < d.N; j++) {
                const float *A = in[0]->data + t * d.M * d.K, *B = in[1]->data + t * d.K * d.N;
                double acc = 0.0;
                for (k = 0; k < d.K; k++)
                    acc += (double)(d.ta ? A[k * d.M + i] : A[i * d.K + k]) * (d.tb ? B[j * d.K + k] : B[k * d.N + j]);
                out[(t * d.M + i) * d.N + j] = acc;
            }
}

/* op(a) is 3 x 5, op(b) 5 x 4, over 3 batches (and 2 x 2); the large
 * path is tested in tests/test_prims.c (too large for central differences
 * over every element) */
LIGO__PRIV int ligo__cases_BMM(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "bmm NN", .run = ligo__bmm_case, .n_in = 2, .in = {{3, {3, 3, 5}, 1.0f}, {3, {3, 5, 4}, 1.0f}},
         .ref = ligo__bmm_ref, .ref_tol = 1e-6},
        {.name = "bmm NT", .run = ligo__bmm_case, .n_in = 2, .in = {{3, {3, 3, 5}, 1.0f}, {3, {3, 4, 5}, 1.0f}},
         .i1 = 1, .ref = ligo__bmm_ref, .ref_tol = 1e-6},
        {.name = "bmm TN", .run = ligo__bmm_case, .n_in = 2, .in = {{3, {3, 5, 3}, 1.0f}, {3, {3, 5, 4}, 1.0f}},
         .i0 = 1, .ref = ligo__bmm_ref, .ref_tol = 1e-6},
        {.name = "bmm TT", .run = ligo__bmm_case, .n_in = 2, .in = {{3, {3, 5, 3}, 1.0f}, {3, {3, 4, 5}, 1.0f}},
         .i0 = 1, .i1 = 1, .ref = ligo__bmm_ref, .ref_tol = 1e-6},
        {.name = "bmm 4-D", .run = ligo__bmm_case, .n_in = 2, .in = {{4, {2, 2, 3, 5}, 1.0f}, {4, {2, 2, 4, 5}, 1.0f}},
         .i1 = 1, .ref = ligo__bmm_ref, .ref_tol = 1e-6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
