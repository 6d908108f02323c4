/* gemm.c: the one matrix product. Row-major
 *   C (M x N) = alpha * op(A) (M x K) * op(B) (K x N) + beta * C
 * A reference kernel, the built-in kernel's blocked loops and threads (its
 * micro-kernels, AVX2/FMA or portable, are in gemm_kernels.c), and a
 * run-time hook. */
#include "ligo_internal.h"

static ligo_sgemm_fn ligo__sgemm_hook = NULL;
static void *ligo__sgemm_hook_user = NULL;

LIGO_API void ligo_set_sgemm(ligo_sgemm_fn fn, void *user) {
    ligo__sgemm_hook = fn;
    ligo__sgemm_hook_user = fn ? user : NULL;
}

LIGO_API ligo_sgemm_fn ligo_get_sgemm(void **user) {
    if (user) *user = ligo__sgemm_hook_user;
    return ligo__sgemm_hook;
}

/* Element (i, p) of op(A) and (p, j) of op(B). */
#define LIGO__AIDX(i, p) (trans_a ? (p) * lda + (i) : (i) * lda + (p))
#define LIGO__BIDX(p, j) (trans_b ? (j) * ldb + (p) : (p) * ldb + (j))

/* The definition of the product, summed in float64 order-independent of
 * blocking: the reference every other kernel is tested against. */
LIGO_API void ligo_sgemm_ref(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                             const float *A, int64_t lda, const float *B, int64_t ldb,
                             float beta, float *C, int64_t ldc) {
    int64_t i, j, p;
    for (i = 0; i < M; i++) {
        for (j = 0; j < N; j++) {
            double acc = 0.0;
            for (p = 0; p < K; p++) acc += (double)A[LIGO__AIDX(i, p)] * (double)B[LIGO__BIDX(p, j)];
            C[i * ldc + j] = (float)(alpha * acc + (beta == 0.0f ? 0.0 : (double)beta * C[i * ldc + j]));
        }
    }
}

/* ------------------------------------------------------ built-in kernel
 *
 * GotoBLAS / BLIS structure:
 *
 *   for jc in N by NC:                 B block KC x NC  (L3)
 *     for pc in K by KC:               pack B(pc, jc) into NR-wide panels
 *       for ic in M by MC:             pack A(ic, pc) into MR-tall panels (L2)
 *         for jr in NC by NR:          one B micro-panel, KC x NR (L1)
 *           for ir in MC by MR:        micro-kernel: MR x NR tile of C
 *
 * Packing absorbs the transposes: the micro-kernel always reads A panels as
 * [k][MR] and B panels as [k][NR], both contiguous and zero-padded at the
 * edges, so all four transpose cases run the same inner loop. Edge tiles go
 * through a small temporary, so nothing outside C or the inputs is touched.
 * Two refinements for the narrow products of a transformer (N = 65):
 * column remainders of at most 8 run a 6x8 kernel (half the FMAs), and when
 * N is small a row-major A is read in place by the kernel instead of being
 * packed for the few column tiles that would reuse it (ir outer, jr inner:
 * six rows of A stay in L1 while the kernel sweeps the packed B block).
 *
 * Threads split the output (whole MR rows or NR columns), never the K sum;
 * each C element is always computed by the same sequence of operations, so
 * results are bitwise identical for any thread count. */

/* K goes in equal blocks of at most KC (multiples of 8): a K up to 384,
 * the width of the larger models, is one block, so each C tile is stored
 * once rather than stored and read back; the B micro-panel, KC x NR (24
 * KiB at most), streams through L1 with prefetching. */
#define LIGO__GEMM_KC 384
#define LIGO__GEMM_MC 144  /* A block MC x KC, at most 216 KiB: in a 512 KiB L2 */
#define LIGO__GEMM_NC 3072 /* B block KC x NC = 3 MiB: in L3 */

/* Row-major A is read in place, not packed, when N is at most this. */
#define LIGO__GEMM_UA_MAXN 96

/* Work (FLOPs) below which a product stays on one thread: with the
 * spinning pool a parallel region costs a few microseconds, so a 128^3
 * product (4 MFLOP) already gains from two threads. */
#define LIGO__GEMM_MIN_FLOPS_PER_THREAD (1 << 20)

typedef struct ligo__gemm_job {
    int trans_a, trans_b;
    int64_t M, N, K;
    float alpha, beta;
    const float *A, *B;
    int64_t lda, ldb, ldc;
    float *C;
    const float *bias;     /* NULL, or N floats added to every row of C */
    ligo__gemm_epi_fn epi; /* NULL, or run on each finished tile */
    void *epi_user;
    /* packed path */
    int split_n;           /* threads split N (else M) */
    float *buf;            /* per-thread packing buffers, 64-byte aligned */
    float *bshared;        /* non-NULL: all of op(B) packed once, shared by the threads */
    int64_t kcb;           /* K block */
    int64_t a_floats;      /* A area per thread */
    int64_t thread_floats; /* A area + B area per thread */
    ligo__gemm_kernels k;  /* this CPU's micro-kernels and packers */
} ligo__gemm_job;

/* ---- the blocked loops */

/* The bias epilogue: once a tile's last K block is stored, while the tile
 * is in L1, c += bias (one value per column). The sum is the one a
 * separate pass after the product would make, so results do not change. */
static void ligo__gemm_add_bias(float *c, int64_t ldc, int64_t mr, int64_t nr, const float *bias) {
    int64_t i, j;
    for (i = 0; i < mr; i++) {
        float *ci = c + i * ldc;
        for (j = 0; j < nr; j++) ci[j] += bias[j];
    }
}

/* One MR x NR tile of C at c (mr x nr valid). ap is a packed A panel, or
 * with lda_ua > 0 the tile's A read in place by g->k.ukr_ua. Edge tiles run
 * the same kernel on a copy, so every element sees the same operations. */
static void ligo__gemm_tile_core(const ligo__gemm_job *g, int64_t kc, const float *ap, int64_t lda_ua,
                                 const float *bp, float *c, int64_t mr, int64_t nr, float beta) {
    const int64_t NR = LIGO__GEMM_NR;
    float tmp[LIGO__GEMM_MR * LIGO__GEMM_NR];
    int64_t i, j, ldc = g->ldc;
    if (nr <= 8 && g->k.ukr8) { /* half-width kernel, 8 columns */
        if (mr == LIGO__GEMM_MR && nr == 8) {
            if (lda_ua)
                g->k.ukr8_ua(kc, ap, lda_ua, bp, c, ldc, g->alpha, beta);
            else
                g->k.ukr8(kc, ap, bp, c, ldc, g->alpha, beta);
            return;
        }
        if (beta != 0.0f) {
            for (i = 0; i < LIGO__GEMM_MR * 8; i++) tmp[i] = 0.0f;
            for (i = 0; i < mr; i++)
                for (j = 0; j < nr; j++) tmp[i * 8 + j] = c[i * ldc + j];
        }
        if (lda_ua)
            g->k.ukr8_ua(kc, ap, lda_ua, bp, tmp, 8, g->alpha, beta);
        else
            g->k.ukr8(kc, ap, bp, tmp, 8, g->alpha, beta);
        for (i = 0; i < mr; i++)
            for (j = 0; j < nr; j++) c[i * ldc + j] = tmp[i * 8 + j];
        return;
    }
    if (mr == LIGO__GEMM_MR && nr == NR) {
        if (lda_ua)
            g->k.ukr_ua(kc, ap, lda_ua, bp, c, ldc, g->alpha, beta);
        else
            g->k.ukr(kc, ap, bp, c, ldc, g->alpha, beta);
        return;
    }
    if (beta != 0.0f) {
        for (i = 0; i < LIGO__GEMM_MR * NR; i++) tmp[i] = 0.0f;
        for (i = 0; i < mr; i++)
            for (j = 0; j < nr; j++) tmp[i * NR + j] = c[i * ldc + j];
    }
    if (lda_ua)
        g->k.ukr_ua(kc, ap, lda_ua, bp, tmp, NR, g->alpha, beta);
    else
        g->k.ukr(kc, ap, bp, tmp, NR, g->alpha, beta);
    for (i = 0; i < mr; i++)
        for (j = 0; j < nr; j++) c[i * ldc + j] = tmp[i * NR + j];
}

/* A tile, and on its last K block the epilogue: bias, then g->epi. */
static void ligo__gemm_tile(const ligo__gemm_job *g, int64_t kc, const float *ap, int64_t lda_ua, const float *bp,
                            float *c, int64_t mr, int64_t nr, float beta, const float *bias, int last) {
    ligo__gemm_tile_core(g, kc, ap, lda_ua, bp, c, mr, nr, beta);
    if (!last) return;
    if (bias) ligo__gemm_add_bias(c, g->ldc, mr, nr, bias);
    if (g->epi) g->epi(g->epi_user, c, g->ldc, mr, nr, c - g->C);
}

/* Where block (jc, pc) of op(B) starts in the shared packing: the
 * blocks of each NC-wide column range follow each other in k. */
static int64_t ligo__gemm_bofs(const ligo__gemm_job *g, int64_t jc, int64_t pc) {
    int64_t nc = g->N - jc < LIGO__GEMM_NC ? g->N - jc : LIGO__GEMM_NC;
    return g->K * jc + pc * ((nc + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR * LIGO__GEMM_NR);
}

/* The shared packing of op(B), NR-wide panels shared out between threads. */
static void ligo__gemm_pack_b_task(void *arg, int ith, int nth) {
    const ligo__gemm_job *g = (const ligo__gemm_job *)arg;
    int64_t jc, pc, jr, u = 0, total = 0, u0, u1;
    for (jc = 0; jc < g->N; jc += LIGO__GEMM_NC) {
        int64_t nc = g->N - jc < LIGO__GEMM_NC ? g->N - jc : LIGO__GEMM_NC;
        total += (g->K + g->kcb - 1) / g->kcb * ((nc + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR);
    }
    u0 = total * ith / nth;
    u1 = total * (ith + 1) / nth;
    for (jc = 0; jc < g->N; jc += LIGO__GEMM_NC) {
        int64_t nc = g->N - jc < LIGO__GEMM_NC ? g->N - jc : LIGO__GEMM_NC;
        for (pc = 0; pc < g->K; pc += g->kcb) {
            int64_t kc = g->K - pc < g->kcb ? g->K - pc : g->kcb;
            float *dst = g->bshared + ligo__gemm_bofs(g, jc, pc);
            for (jr = 0; jr < nc; jr += LIGO__GEMM_NR, u++) {
                if (u < u0 || u >= u1) continue;
                g->k.pack_b(g->trans_b, g->B, g->ldb, jc + jr, nc - jr < LIGO__GEMM_NR ? nc - jr : LIGO__GEMM_NR, pc, kc,
                          dst + jr * kc);
            }
        }
    }
}

/* C rows [m0, m1) x columns [n0, n1), with this thread's buffers. */
static void ligo__gemm_blocked(const ligo__gemm_job *g, float *abuf, float *bbuf, int64_t m0, int64_t m1,
                               int64_t n0, int64_t n1) {
    const int64_t MR = LIGO__GEMM_MR, NR = LIGO__GEMM_NR;
    int64_t jc, pc, ic, jr, ir, ldc = g->ldc;
    for (jc = n0; jc < n1; jc += LIGO__GEMM_NC) {
        int64_t nc = n1 - jc < LIGO__GEMM_NC ? n1 - jc : LIGO__GEMM_NC;
        for (pc = 0; pc < g->K; pc += g->kcb) {
            int64_t kc = g->K - pc < g->kcb ? g->K - pc : g->kcb;
            float beta = pc == 0 ? g->beta : 1.0f;
            int last = pc + kc >= g->K;
            const float *bias = g->bias && last ? g->bias + jc : NULL;
            if (g->bshared)
                bbuf = g->bshared + ligo__gemm_bofs(g, jc, pc);
            else
                g->k.pack_b(g->trans_b, g->B, g->ldb, jc, nc, pc, kc, bbuf);
            if (g->k.ukr_ua) {
                /* narrow C: the packed B block stays in L2, the six rows of
                 * A in L1 while the kernel sweeps across it */
                for (ir = m0; ir < m1; ir += MR) {
                    int64_t mr = m1 - ir < MR ? m1 - ir : MR, lda_ua = g->lda;
                    const float *ap = g->trans_a ? g->A + pc * g->lda + ir : g->A + ir * g->lda + pc;
                    if (mr < MR) { /* the last rows: a zero-padded packed panel */
                        g->k.pack_a(g->trans_a, g->A, g->lda, ir, mr, pc, kc, abuf);
                        ap = abuf;
                        lda_ua = 0;
                    }
                    for (jr = 0; jr < nc; jr += NR)
                        ligo__gemm_tile(g, kc, ap, lda_ua, bbuf + jr * kc, g->C + ir * ldc + jc + jr, mr,
                                        nc - jr < NR ? nc - jr : NR, beta, bias ? bias + jr : NULL, last);
                }
                continue;
            }
            for (ic = m0; ic < m1; ic += LIGO__GEMM_MC) {
                int64_t mc = m1 - ic < LIGO__GEMM_MC ? m1 - ic : LIGO__GEMM_MC;
                g->k.pack_a(g->trans_a, g->A, g->lda, ic, mc, pc, kc, abuf);
                for (jr = 0; jr < nc; jr += NR) {
                    int64_t nr = nc - jr < NR ? nc - jr : NR;
                    const float *bp = bbuf + jr * kc;
                    for (ir = 0; ir < mc; ir += MR)
                        ligo__gemm_tile(g, kc, abuf + ir * kc, 0, bp, g->C + (ic + ir) * ldc + jc + jr,
                                        mc - ir < MR ? mc - ir : MR, nr, beta, bias ? bias + jr : NULL, last);
                }
            }
        }
    }
}

static void ligo__gemm_packed_task(void *arg, int ith, int nth) {
    const ligo__gemm_job *g = (const ligo__gemm_job *)arg;
    float *abuf = g->buf + (int64_t)ith * g->thread_floats;
    float *bbuf = g->bshared ? NULL : abuf + g->a_floats;
    int64_t m0 = 0, m1 = g->M, n0 = 0, n1 = g->N;
    if (g->split_n) {
        int64_t tiles = (g->N + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR;
        n0 = tiles * ith / nth * LIGO__GEMM_NR;
        n1 = tiles * (ith + 1) / nth * LIGO__GEMM_NR;
        if (n1 > g->N) n1 = g->N;
    } else {
        int64_t tiles = (g->M + LIGO__GEMM_MR - 1) / LIGO__GEMM_MR;
        m0 = tiles * ith / nth * LIGO__GEMM_MR;
        m1 = tiles * (ith + 1) / nth * LIGO__GEMM_MR;
        if (m1 > g->M) m1 = g->M;
    }
    if (m0 < m1 && n0 < n1) ligo__gemm_blocked(g, abuf, bbuf, m0, m1, n0, n1);
}

/* ---- fallback: the plain loop, when packing buffers cannot be had */

/* Rows [i0, i1) of C: scale by beta, then accumulate alpha * a_ip * b_p. */
static void ligo__gemm_rows(const ligo__gemm_job *g, int64_t i0, int64_t i1) {
    int64_t i, j, p;
    int trans_a = g->trans_a, trans_b = g->trans_b;
    int64_t lda = g->lda, ldb = g->ldb;
    const float *A = g->A, *B = g->B;
    for (i = i0; i < i1; i++) {
        float *c = g->C + i * g->ldc;
        if (g->beta == 0.0f)
            for (j = 0; j < g->N; j++) c[j] = 0.0f;
        else if (g->beta != 1.0f)
            for (j = 0; j < g->N; j++) c[j] *= g->beta;
        for (p = 0; p < g->K; p++) {
            float a = g->alpha * A[LIGO__AIDX(i, p)];
            if (!trans_b) {
                const float *b = B + p * ldb;
                for (j = 0; j < g->N; j++) c[j] += a * b[j];
            } else {
                for (j = 0; j < g->N; j++) c[j] += a * B[LIGO__BIDX(p, j)];
            }
        }
        if (g->bias)
            for (j = 0; j < g->N; j++) c[j] += g->bias[j];
        if (g->epi) g->epi(g->epi_user, c, g->ldc, 1, g->N, i * g->ldc);
    }
}

static void ligo__gemm_rows_task(void *arg, int ith, int nth) {
    const ligo__gemm_job *g = (const ligo__gemm_job *)arg;
    int64_t i0 = g->M * ith / nth, i1 = g->M * (ith + 1) / nth;
    ligo__gemm_rows(g, i0, i1);
}

/* Packing buffers: a context keeps one workspace that grows to the
 * largest product it has run, so a training step allocates nothing here;
 * without a context (or while the context's workspace is in use by an
 * enclosing product) each call allocates its own. */
static void *ligo__gemm_buffers(ligo_ctx *ctx, size_t bytes, int *owned) {
    void *user = ctx ? ctx->alloc_user : NULL;
    (void)user;
    *owned = 1;
    if (ctx && !ctx->gemm_ws_busy) {
        if (ctx->gemm_ws_bytes < bytes) {
            void *p = LIGO_MALLOC(bytes, user);
            if (!p) return NULL;
            LIGO_FREE(ctx->gemm_ws, user);
            ctx->gemm_ws = p;
            ctx->gemm_ws_bytes = bytes;
        }
        ctx->gemm_ws_busy = 1;
        *owned = 0;
        return ctx->gemm_ws;
    }
    return LIGO_MALLOC(bytes, user);
}

static void ligo__gemm_release(ligo_ctx *ctx, void *raw, int owned) {
    void *user = ctx ? ctx->alloc_user : NULL;
    (void)user;
    if (owned)
        LIGO_FREE(raw, user);
    else
        ctx->gemm_ws_busy = 0;
}

/* C = alpha op(A) op(B) + beta C (+ bias on every row when bias is not
 * NULL) with the built-in kernels. */
static void ligo__sgemm_builtin_epi(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                    float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                                    float beta, float *C, int64_t ldc, const float *bias, ligo__gemm_epi_fn epi,
                                    void *epi_user) {
    ligo__gemm_job g;
    int nth, owned, shared;
    int64_t tiles, kc, mcr, ncr, shared_floats = 0;
    size_t bytes;
    void *raw;
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0.0f) { /* C = beta * C (+ bias); A and B are not read */
        int64_t i, j;
        for (i = 0; i < M; i++) {
            float *c = C + i * ldc;
            if (beta == 0.0f)
                for (j = 0; j < N; j++) c[j] = 0.0f;
            else if (beta != 1.0f)
                for (j = 0; j < N; j++) c[j] *= beta;
            if (bias)
                for (j = 0; j < N; j++) c[j] += bias[j];
        }
        if (epi) epi(epi_user, C, ldc, M, N, 0);
        return;
    }
    memset(&g, 0, sizeof g);
    g.trans_a = trans_a ? 1 : 0;
    g.trans_b = trans_b ? 1 : 0;
    g.M = M;
    g.N = N;
    g.K = K;
    g.alpha = alpha;
    g.beta = beta;
    g.A = A;
    g.B = B;
    g.lda = lda;
    g.ldb = ldb;
    g.ldc = ldc;
    g.C = C;
    g.bias = bias;
    g.epi = epi;
    g.epi_user = epi_user;

    /* Split the larger side. With rows split, op(B) is packed once by all
     * threads together (a parallel region of its own, whose end is the
     * barrier) and shared; with columns split, each thread packs all of
     * op(A) it needs. */
    g.split_n = N > M;
    tiles = g.split_n ? (N + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR : (M + LIGO__GEMM_MR - 1) / LIGO__GEMM_MR;
    nth = ligo__nth_for(ctx, 2.0 * (double)M * (double)N * (double)K, (double)LIGO__GEMM_MIN_FLOPS_PER_THREAD);
    if ((int64_t)nth > tiles) nth = (int)tiles;

    /* Per-thread buffers: an MC x KC block of A and (unless shared) a
     * KC x NC block of B, each rounded to whole panels and 16 floats (64
     * bytes); the shared packing of B after them. */
    {
        int64_t nb = (K + LIGO__GEMM_KC - 1) / LIGO__GEMM_KC;
        g.kcb = ((K + nb - 1) / nb + 7) / 8 * 8;
        if (g.kcb > K) g.kcb = K;
    }
    kc = g.kcb;
    mcr = M < LIGO__GEMM_MC ? (M + LIGO__GEMM_MR - 1) / LIGO__GEMM_MR * LIGO__GEMM_MR : LIGO__GEMM_MC;
    ncr = N < LIGO__GEMM_NC ? (N + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR * LIGO__GEMM_NR : LIGO__GEMM_NC;
    g.a_floats = (mcr * kc + 15) / 16 * 16;
    shared = nth > 1 && !g.split_n;
    if (shared) {
        int64_t last = (N - 1) / LIGO__GEMM_NC * LIGO__GEMM_NC;
        g.thread_floats = g.a_floats;
        shared_floats = K * (last + (N - last + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR * LIGO__GEMM_NR);
    } else {
        g.thread_floats = g.a_floats + (ncr * kc + 15) / 16 * 16;
    }
    bytes = ((size_t)g.thread_floats * (size_t)nth + (size_t)shared_floats) * sizeof(float) + LIGO__ALIGN;
    raw = ligo__gemm_buffers(ctx, bytes, &owned);
    if (!raw) {
        int nthr = ligo__nth_for(ctx, 2.0 * (double)M * (double)N * (double)K, 1 << 20);
        if ((int64_t)nthr > M) nthr = (int)M;
        ligo_parallel_for(ctx, ligo__gemm_rows_task, &g, nthr);
        return;
    }
    g.buf = (float *)(void *)(((uintptr_t)raw + (LIGO__ALIGN - 1)) & ~(uintptr_t)(LIGO__ALIGN - 1));

    /* narrow C with row-major A: packing A would cost more than the few
     * column tiles that reuse it; read A in place instead */
    ligo__gemm_kernels_for_cpu(&g.k, !g.trans_a && N <= LIGO__GEMM_UA_MAXN);
    if (shared) {
        g.bshared = g.buf + g.thread_floats * nth;
        ligo_parallel_for(ctx, ligo__gemm_pack_b_task, &g, nth);
    }
    ligo_parallel_for(ctx, ligo__gemm_packed_task, &g, nth);
    ligo__gemm_release(ctx, raw, owned);
}

LIGO_API void ligo_sgemm_builtin(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                 float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                                 float beta, float *C, int64_t ldc) {
    ligo__sgemm_builtin_epi(ctx, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL, NULL, NULL);
}

/* ---- small products on the calling thread (attention)
 *
 * Attention runs six products per head (T x T x hs and T x hs x T), each
 * head on one thread. For each, op(B) is packed whole, once, and the
 * micro-kernel runs on 6-row tiles of A read in place: no per-product
 * blocking, buffers or parallel region. The triangular modes skip the
 * tiles a causal mask makes zero, tile by tile rather than block by
 * block. */

static int64_t ligo__gemm_npad(int64_t n) { return (n + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR * LIGO__GEMM_NR; }

/* op(B) (K x N) into ligo__gemm_npad(N) * K floats of NR-wide panels. */
static void ligo__gemm_pack_b_whole(const ligo__gemm_kernels *k, int trans_b, const float *B, int64_t ldb, int64_t N,
                                    int64_t K, float *dst) {
    k->pack_b(trans_b, B, ldb, 0, N, 0, K, dst);
}

/* C (M x N) = alpha op(A) op(B) + beta C from op(B) packed whole (Bp, K
 * rows), abuf holding 6 * K floats for the edge panels of A. */
static void ligo__gemm_small(const ligo__gemm_kernels *k, int trans_a, int tri, int64_t M, int64_t N, int64_t K,
                             float alpha, const float *A, int64_t lda, const float *Bp, float beta, float *C,
                             int64_t ldc, float *abuf) {
    const int64_t MR = LIGO__GEMM_MR, NR = LIGO__GEMM_NR, bp_k = K;
    ligo__gemm_job g;
    int64_t ir, jr;
    memset(&g, 0, sizeof g);
    g.alpha = alpha;
    g.ldc = ldc;
    g.k = *k;
    for (ir = 0; ir < M; ir += MR) {
        int64_t mr = M - ir < MR ? M - ir : MR, n_end = N, k0 = 0, k1 = K, kc, lda_ua = 0;
        const float *ap;
        if (tri == LIGO__TRI_N) n_end = ir + mr < N ? ir + mr : N;
        if (tri == LIGO__TRI_K_LOWER) k1 = ir + mr < K ? ir + mr : K;
        if (tri == LIGO__TRI_K_UPPER) k0 = ir < K ? ir : K;
        kc = k1 - k0;
        if (kc <= 0) { /* nothing to add: C = beta C */
            int64_t i, j;
            for (i = ir; i < ir + mr; i++)
                for (j = 0; j < n_end; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
            continue;
        }
        if (g.k.ukr_ua && mr == MR) {
            ap = A + ir * lda + k0;
            lda_ua = lda;
        } else {
            g.k.pack_a(trans_a, A, lda, ir, mr, k0, kc, abuf);
            ap = abuf;
        }
        for (jr = 0; jr < n_end; jr += NR)
            ligo__gemm_tile(&g, kc, ap, lda_ua, Bp + jr * bp_k + k0 * NR, C + ir * ldc + jr, mr,
                            n_end - jr < NR ? n_end - jr : NR, beta, NULL, 1);
    }
}

LIGO__PRIV int64_t ligo__sgemm_small_work(int64_t N, int64_t K) { return ligo__gemm_npad(N) * K + LIGO__GEMM_MR * K; }

LIGO__PRIV void ligo__sgemm_small(int trans_a, int trans_b, int tri, int64_t M, int64_t N, int64_t K, float alpha,
                                  const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                                  int64_t ldc, float *work) {
    ligo__gemm_kernels k;
    if (M <= 0 || N <= 0) return;
    /* the hook computes all of C; tri only marks what the caller ignores
     * or what is zero in A, so the result is the same */
    if (ligo__sgemm_hook &&
        ligo__sgemm_hook(ligo__sgemm_hook_user, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc))
        return;
    ligo__gemm_kernels_for_cpu(&k, !trans_a);
    ligo__gemm_pack_b_whole(&k, trans_b, B, ldb, N, K, work);
    ligo__gemm_small(&k, trans_a, tri, M, N, K, alpha, A, lda, work, beta, C, ldc, work + ligo__gemm_npad(N) * K);
}

/* ---------------------------------------------------------- choke point */

LIGO__PRIV void ligo__sgemm(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                            float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                            float beta, float *C, int64_t ldc) {
    ligo__sgemm_epi(ctx, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL, NULL, NULL);
}

LIGO__PRIV void ligo__sgemm_epi(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                float alpha, const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                                float *C, int64_t ldc, const float *bias, ligo__gemm_epi_fn epi, void *epi_user) {
    int64_t i, j;
    if (M <= 0 || N <= 0) return;
    if (ligo__sgemm_hook &&
        ligo__sgemm_hook(ligo__sgemm_hook_user, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)) {
        /* the hook computed the product; the epilogue is a pass after it */
        if (bias)
            for (i = 0; i < M; i++)
                for (j = 0; j < N; j++) C[i * ldc + j] += bias[j];
        if (epi) epi(epi_user, C, ldc, M, N, 0);
        return;
    }
    ligo__sgemm_builtin_epi(ctx, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, epi, epi_user);
}

LIGO_API ligo_status ligo_sgemm(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                                float beta, float *C, int64_t ldc) {
    int64_t a_cols = trans_a ? M : K, b_cols = trans_b ? K : N;
    if (ctx && ligo__failed(ctx)) return ctx->status;
    if (M < 0 || N < 0 || K < 0) {
        if (ctx) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_sgemm: negative size M=%lld N=%lld K=%lld",
                                       (long long)M, (long long)N, (long long)K);
        return LIGO_EINVAL;
    }
    if ((M > 0 && N > 0 && !C) || (M > 0 && N > 0 && K > 0 && (!A || !B))) {
        if (ctx) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_sgemm: NULL matrix");
        return LIGO_EINVAL;
    }
    if (lda < (a_cols > 1 ? a_cols : 1) || ldb < (b_cols > 1 ? b_cols : 1) || ldc < (N > 1 ? N : 1)) {
        if (ctx)
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_sgemm: leading dimension too small (lda=%lld ldb=%lld ldc=%lld)",
                                  (long long)lda, (long long)ldb, (long long)ldc);
        return LIGO_EINVAL;
    }
    ligo__sgemm(ctx, trans_a ? 1 : 0, trans_b ? 1 : 0, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return LIGO_OK;
}
