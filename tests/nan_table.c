/* nan_table.c: where NaN and infinity go, for every op with a vectorised
 * path. Each case puts NaN, +inf or -inf at one position of one input (or
 * fills that whole input with it) for row lengths 1 to 40, which puts it
 * in every lane of the 8-wide kernels and in every scalar tail; it runs
 * the op forward and backward and prints one line classifying every
 * output element: n NaN, + +inf, - -inf, . finite (run-length coded).
 *
 * mk/nan.mk builds this file twice, as is and with LIGO_NO_SIMD, and
 * `nan_table --compare SIMD PORTABLE` fails at the first element whose
 * class differs, naming the op, the case and the element. A SIMD path
 * added later is covered as long as its op has a row in g_ops below.
 *
 *   nan_table [OUT]            the table, to OUT or stdout
 *   nan_table --compare A B    exit 1 when A and B differ */
#define LIGO_IMPLEMENTATION
#include "../ligo.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LMAX 40

static ligo_ctx *g_ctx;
static FILE *g_out;
static char g_line[1 << 16];
static size_t g_len;
static long g_cases, g_errors;

static void say(const char *fmt, ...) {
    va_list ap;
    int k;
    va_start(ap, fmt);
    k = vsnprintf(g_line + g_len, sizeof g_line - g_len, fmt, ap);
    va_end(ap);
    if (k > 0) g_len += (size_t)k < sizeof g_line - g_len ? (size_t)k : sizeof g_line - g_len - 1;
}

static char cls(double x) { return isnan(x) ? 'n' : isinf(x) ? (x > 0 ? '+' : '-') : '.'; }

/* "|name:RxC=" and the classes of x, run-length coded */
static void emit(const char *name, const float *x, int64_t rows, int64_t cols) {
    int64_t i = 0, n = rows * cols;
    say("|%s:%lldx%lld=", name, (long long)rows, (long long)cols);
    while (i < n) {
        int64_t j = i + 1;
        char c = cls(x[i]);
        while (j < n && cls(x[j]) == c) j++;
        say("%c%lld", c, (long long)(j - i));
        i = j;
    }
}

/* Inputs: a fixed pseudo-random stream, the same in both builds. */
static ligo_rng g_rng;
static void rnd(float *x, int64_t n, float lo, float hi) {
    int64_t i;
    for (i = 0; i < n; i++) x[i] = lo + (hi - lo) * ligo_rng_uniform(&g_rng);
}

/* The special value at x[i] when slot is this input's, or over all of
 * x[0, n) when pos == npos (the "all" case). */
static void put(int slot, int mine, int64_t pos, int64_t npos, float sp, float *x, int64_t n, int64_t i) {
    int64_t k;
    if (slot != mine) return;
    if (pos == npos)
        for (k = 0; k < n; k++) x[k] = sp;
    else
        x[i] = sp;
}

static void failed(const char *what) {
    say("|ERROR:%s", ligo_get_error(g_ctx));
    fprintf(stderr, "nan table: %s: %s\n", what, ligo_get_error(g_ctx));
    ligo_clear_error(g_ctx);
    g_errors++;
}

/* loss = sum(y * G): backward seeds dy = G, so G carries the special
 * value into the backward kernels. */
static ligo_tensor *weighted(ligo_tensor *y, float *G) {
    ligo_tensor *g = ligo_wrap(g_ctx, y->ndim, y->shape, G, NULL);
    return ligo_sum(g_ctx, ligo_mul(g_ctx, y, g));
}

static float A_[7 * 448], B_[448 * LMAX], C_[7 * LMAX];

/* ---- GEMM: C (7 x N) = op(A) op(B) + beta C, N = L, K = L (bigk: K =
 * 400 + L, two K blocks). Slots A, B, C (beta 0.5) and C0 (beta 0: the
 * old C, NaN included, must be ignored). Positions walk a row and a
 * column of each operand. */
enum { G_A, G_B, G_C, G_C0 };
static int64_t gemm_k(int L, int bigk) { return bigk ? 400 + L : L; }
static int64_t np_gemm(int L, int slot, int bigk) {
    int64_t M = 7, N = L, K = gemm_k(L, bigk);
    if (bigk) return slot == G_A || slot == G_B ? K : 0;
    return slot == G_A ? M + K : slot == G_B ? N + K : N + M;
}
static void run_gemm(int ta, int tb, int bigk, int L, int slot, int64_t pos, int64_t npos, float sp) {
    int64_t M = 7, N = L, K = gemm_k(L, bigk), i = 0, p = 0, j = 0, k;
    float beta = slot == G_C0 ? 0.0f : 0.5f;
    rnd(A_, M * K, -1, 1);
    rnd(B_, K * N, -1, 1);
    rnd(C_, M * N, -1, 1);
    if (slot == G_A) {
        i = bigk || pos >= M ? pos % M : pos;
        p = bigk ? pos : pos < M ? pos % K : pos - M;
    } else if (slot == G_B) {
        j = bigk ? pos % N : pos < N ? pos : (pos - N) % N;
        p = bigk ? pos : pos < N ? pos % K : pos - N;
    } else {
        i = pos < N ? pos % M : pos - N;
        j = pos < N ? pos : (pos - N) % N;
    }
    put(slot, G_A, pos, npos, sp, A_, M * K, ta ? p * M + i : i * K + p);
    put(slot, G_B, pos, npos, sp, B_, K * N, tb ? j * K + p : p * N + j);
    put(slot, G_C, pos, npos, sp, C_, M * N, i * N + j);
    put(slot, G_C0, pos, npos, sp, C_, M * N, i * N + j);
    if (ligo_sgemm(g_ctx, ta, tb, M, N, K, 1.0f, A_, ta ? M : K, B_, tb ? K : N, beta, C_, N) != LIGO_OK)
        failed("gemm");
    emit("C", C_, M, N);
    if (slot == G_C0)
        for (k = 0; k < M * N; k++)
            if (!isfinite(C_[k])) {
                fprintf(stderr, "nan table: gemm with beta = 0 read the old C (L = %d, element %lld)\n", L, (long long)k);
                g_errors++;
                break;
            }
}
static const char *const s_gemm[] = {"A", "B", "C", "C0", NULL};
static const char *const s_bigk[] = {"A", "B", NULL};
static int64_t np_gemm0(int L, int s) { return np_gemm(L, s, 0); }
static int64_t np_bigk(int L, int s) { return np_gemm(L, s, 1); }
static void run_gemm_nn(int L, int s, int64_t p, int64_t np, float v) { run_gemm(0, 0, 0, L, s, p, np, v); }
static void run_gemm_nt(int L, int s, int64_t p, int64_t np, float v) { run_gemm(0, 1, 0, L, s, p, np, v); }
static void run_gemm_tn(int L, int s, int64_t p, int64_t np, float v) { run_gemm(1, 0, 0, L, s, p, np, v); }
static void run_gemm_tt(int L, int s, int64_t p, int64_t np, float v) { run_gemm(1, 1, 0, L, s, p, np, v); }
static void run_bigk_nn(int L, int s, int64_t p, int64_t np, float v) { run_gemm(0, 0, 1, L, s, p, np, v); }
static void run_bigk_tt(int L, int s, int64_t p, int64_t np, float v) { run_gemm(1, 1, 1, L, s, p, np, v); }

/* ---- linear and linear_gelu (bias and GELU epilogues, colsum for the
 * bias gradient): x (7, 5), W (L, 5), b (L). */
enum { LI_X, LI_W, LI_B, LI_G };
static const char *const s_linear[] = {"x", "W", "b", "G", NULL};
static int64_t np_linear(int L, int slot) { return slot == LI_X ? 35 : L; }
static void run_linear(int act, int L, int slot, int64_t pos, int64_t npos, float sp) {
    enum { R = 7, I = 5 };
    int64_t O = L, sx[2] = {R, I}, sw[2], sb[1];
    float x[R * I], W[LMAX * I], b[LMAX], G[R * LMAX], dx[R * I], dW[LMAX * I], db[LMAX];
    ligo_tensor *tx, *tw, *tb, *y, *loss;
    sw[0] = O;
    sw[1] = I;
    sb[0] = O;
    rnd(x, R * I, -1, 1);
    rnd(W, O * I, -1, 1);
    rnd(b, O, -1, 1);
    rnd(G, R * O, -1, 1);
    put(slot, LI_X, pos, npos, sp, x, R * I, pos);
    put(slot, LI_W, pos, npos, sp, W, O * I, pos * I + pos % I);
    put(slot, LI_B, pos, npos, sp, b, O, pos);
    put(slot, LI_G, pos, npos, sp, G, R * O, (pos % R) * O + pos);
    memset(dx, 0, sizeof dx);
    memset(dW, 0, sizeof dW);
    memset(db, 0, sizeof db);
    tx = ligo_wrap(g_ctx, 2, sx, x, dx);
    tw = ligo_wrap(g_ctx, 2, sw, W, dW);
    tb = ligo_wrap(g_ctx, 1, sb, b, db);
    y = act ? ligo_linear_gelu(g_ctx, tx, tw, tb) : ligo_linear(g_ctx, tx, tw, tb);
    loss = y ? weighted(y, G) : NULL;
    if (!loss || ligo_backward(g_ctx, loss) != LIGO_OK) {
        failed("linear");
        return;
    }
    emit("y", y->data, R, O);
    emit("dx", dx, R, I);
    emit("dW", dW, O, I);
    emit("db", db, 1, O);
}
static void run_linear0(int L, int s, int64_t p, int64_t np, float v) { run_linear(0, L, s, p, np, v); }
static void run_linear1(int L, int s, int64_t p, int64_t np, float v) { run_linear(1, L, s, p, np, v); }

/* ---- gelu: one row of L */
static const char *const s_xg[] = {"x", "G", NULL};
static int64_t np_row(int L, int slot) {
    (void)slot;
    return L;
}
static void run_gelu(int L, int slot, int64_t pos, int64_t npos, float sp) {
    int64_t s1[1];
    float x[LMAX], G[LMAX], dx[LMAX];
    ligo_tensor *tx, *y, *loss;
    s1[0] = L;
    rnd(x, L, -3, 3);
    rnd(G, L, -1, 1);
    put(slot, 0, pos, npos, sp, x, L, pos);
    put(slot, 1, pos, npos, sp, G, L, pos);
    memset(dx, 0, sizeof dx);
    tx = ligo_wrap(g_ctx, 1, s1, x, dx);
    y = ligo_gelu(g_ctx, tx);
    loss = y ? weighted(y, G) : NULL;
    if (!loss || ligo_backward(g_ctx, loss) != LIGO_OK) {
        failed("gelu");
        return;
    }
    emit("y", y->data, 1, L);
    emit("dx", dx, 1, L);
}

/* ---- layernorm: x (3, L), the special in row 1 */
static const char *const s_ln[] = {"x", "gamma", "beta", "G", NULL};
static void run_ln(int L, int slot, int64_t pos, int64_t npos, float sp) {
    int64_t sx[2], s1[1];
    float x[3 * LMAX], ga[LMAX], be[LMAX], G[3 * LMAX], dx[3 * LMAX], dg[LMAX], dbe[LMAX];
    ligo_tensor *tx, *tg, *tb, *y, *loss;
    sx[0] = 3;
    sx[1] = L;
    s1[0] = L;
    rnd(x, 3 * L, -2, 2);
    rnd(ga, L, 0.5f, 1.5f);
    rnd(be, L, -1, 1);
    rnd(G, 3 * L, -1, 1);
    put(slot, 0, pos, npos, sp, x + L, L, pos);
    put(slot, 1, pos, npos, sp, ga, L, pos);
    put(slot, 2, pos, npos, sp, be, L, pos);
    put(slot, 3, pos, npos, sp, G + L, L, pos);
    memset(dx, 0, sizeof dx);
    memset(dg, 0, sizeof dg);
    memset(dbe, 0, sizeof dbe);
    tx = ligo_wrap(g_ctx, 2, sx, x, dx);
    tg = ligo_wrap(g_ctx, 1, s1, ga, dg);
    tb = ligo_wrap(g_ctx, 1, s1, be, dbe);
    y = ligo_layernorm(g_ctx, tx, tg, tb, 1e-5f);
    loss = y ? weighted(y, G) : NULL;
    if (!loss || ligo_backward(g_ctx, loss) != LIGO_OK) {
        failed("layernorm");
        return;
    }
    emit("y", y->data, 3, L);
    emit("dx", dx, 3, L);
    emit("dgamma", dg, 1, L);
    emit("dbeta", dbe, 1, L);
}

/* ---- attention: one head of width 8 over T = L positions (row maximum,
 * exp, softmax rows, dS rows, the small products). Q is positive, so a
 * key of -inf everywhere makes whole score rows -inf. */
static const char *const s_attn[] = {"q", "k", "v", "G", NULL};
static void run_attn(int causal, int L, int slot, int64_t pos, int64_t npos, float sp) {
    enum { C = 8 };
    int64_t T = L, s3[3], t, c;
    float qkv[LMAX * 3 * C], G[LMAX * C], dq[LMAX * 3 * C], q[LMAX * C], k[LMAX * C], v[LMAX * C];
    ligo_tensor *tx, *o, *loss;
    s3[0] = 1;
    s3[1] = T;
    s3[2] = 3 * C;
    rnd(q, T * C, 0.1f, 1);
    rnd(k, T * C, -1, 1);
    rnd(v, T * C, -1, 1);
    rnd(G, T * C, -1, 1);
    put(slot, 0, pos, npos, sp, q, T * C, pos * C + pos % C);
    put(slot, 1, pos, npos, sp, k, T * C, pos * C + pos % C);
    put(slot, 2, pos, npos, sp, v, T * C, pos * C + pos % C);
    put(slot, 3, pos, npos, sp, G, T * C, pos * C + pos % C);
    for (t = 0; t < T; t++)
        for (c = 0; c < C; c++) {
            qkv[t * 3 * C + c] = q[t * C + c];
            qkv[t * 3 * C + C + c] = k[t * C + c];
            qkv[t * 3 * C + 2 * C + c] = v[t * C + c];
        }
    memset(dq, 0, sizeof dq);
    tx = ligo_wrap(g_ctx, 3, s3, qkv, dq);
    o = ligo_attention(g_ctx, tx, 1, causal);
    loss = o ? weighted(o, G) : NULL;
    if (!loss || ligo_backward(g_ctx, loss) != LIGO_OK) {
        failed("attention");
        return;
    }
    emit("out", o->data, T, C);
    emit("dqkv", dq, T, 3 * C);
}
static void run_attn0(int L, int s, int64_t p, int64_t np, float v) { run_attn(0, L, s, p, np, v); }
static void run_attn1(int L, int s, int64_t p, int64_t np, float v) { run_attn(1, L, s, p, np, v); }

/* ---- cross-entropy: logits (3, L), targets 0, L - 1 and ignored; g is
 * the upstream gradient (ginf_row0: g = inf and the special in row 0, so
 * a -inf logit's exp, 0 or not, meets an infinity). */
static const char *const s_ce[] = {"row0", "row1", "ignored", "g", "ginf_row0", NULL};
static int64_t np_ce(int L, int slot) { return slot == 3 ? 1 : L; }
static void run_ce(int L, int slot, int64_t pos, int64_t npos, float sp) {
    int64_t sx[2], s1[1] = {1};
    float x[3 * LMAX], dl[3 * LMAX], g[1];
    int32_t tg[3];
    ligo_tensor *tx, *ce, *loss;
    sx[0] = 3;
    sx[1] = L;
    tg[0] = 0;
    tg[1] = L - 1;
    tg[2] = LIGO_IGNORE;
    rnd(x, 3 * L, -2, 2);
    g[0] = 1.0f;
    put(slot, 0, pos, npos, sp, x, L, pos);
    put(slot, 1, pos, npos, sp, x + L, L, pos);
    put(slot, 2, pos, npos, sp, x + 2 * L, L, pos);
    put(slot, 3, pos, npos, sp, g, 1, 0);
    put(slot, 4, pos, npos, sp, x, L, pos);
    if (slot == 4) g[0] = (float)INFINITY;
    memset(dl, 0, sizeof dl);
    tx = ligo_wrap(g_ctx, 2, sx, x, dl);
    ce = ligo_cross_entropy(g_ctx, tx, tg, 3, LIGO_IGNORE);
    loss = ce ? ligo_mul(g_ctx, ce, ligo_wrap(g_ctx, 1, s1, g, NULL)) : NULL;
    if (!loss || ligo_backward(g_ctx, loss) != LIGO_OK) {
        failed("cross_entropy");
        return;
    }
    emit("loss", ce->data, 1, 1);
    emit("dlogits", dl, 3, L);
}

/* ---- the residual add: u + v over L */
static const char *const s_add[] = {"u", "v", "G", NULL};
static void run_add(int L, int slot, int64_t pos, int64_t npos, float sp) {
    int64_t s1[1];
    float u[LMAX], v[LMAX], G[LMAX], du[LMAX], dv[LMAX];
    ligo_tensor *tu, *tv, *y, *loss;
    s1[0] = L;
    rnd(u, L, -1, 1);
    rnd(v, L, -1, 1);
    rnd(G, L, -1, 1);
    put(slot, 0, pos, npos, sp, u, L, pos);
    put(slot, 1, pos, npos, sp, v, L, pos);
    put(slot, 2, pos, npos, sp, G, L, pos);
    memset(du, 0, sizeof du);
    memset(dv, 0, sizeof dv);
    tu = ligo_wrap(g_ctx, 1, s1, u, du);
    tv = ligo_wrap(g_ctx, 1, s1, v, dv);
    y = ligo_add(g_ctx, tu, tv);
    loss = y ? weighted(y, G) : NULL;
    if (!loss || ligo_backward(g_ctx, loss) != LIGO_OK) {
        failed("add");
        return;
    }
    emit("y", y->data, 1, L);
    emit("du", du, 1, L);
    emit("dv", dv, 1, L);
}

/* ---- AdamW: one step (the third) over L floats */
static ligo_optim *g_opt[LMAX + 1];
static const char *const s_adamw[] = {"p", "g", "m", "v", NULL};
static void run_adamw(int L, int slot, int64_t pos, int64_t npos, float sp) {
    float p[LMAX], g[LMAX];
    ligo_optim *o;
    if (!g_opt[L]) {
        ligo_optim_config c = ligo_optim_config_default(LIGO_ADAMW);
        g_opt[L] = ligo_optim_new(g_ctx, &c, L, NULL, 0);
    }
    o = g_opt[L];
    if (!o) {
        failed("adamw");
        return;
    }
    o->step = 2;
    rnd(p, L, -1, 1);
    rnd(g, L, -1, 1);
    rnd(o->m, L, -0.1f, 0.1f);
    rnd(o->v, L, 0, 0.01f);
    put(slot, 0, pos, npos, sp, p, L, pos);
    put(slot, 1, pos, npos, sp, g, L, pos);
    put(slot, 2, pos, npos, sp, o->m, L, pos);
    put(slot, 3, pos, npos, sp, o->v, L, pos);
    if (ligo_optim_step(g_ctx, o, p, g, 1e-2f) != LIGO_OK) {
        failed("adamw");
        return;
    }
    emit("p", p, 1, L);
    emit("m", o->m, 1, L);
    emit("v", o->v, 1, L);
}

/* ---- clipping by global norm (sum of squares) */
static const char *const s_clip[] = {"g", NULL};
static void run_clip(int L, int slot, int64_t pos, int64_t npos, float sp) {
    float g[LMAX], nf[1];
    rnd(g, L, -1, 1);
    put(slot, 0, pos, npos, sp, g, L, pos);
    nf[0] = (float)ligo_clip_grad_norm(g, L, 0.5);
    emit("norm", nf, 1, 1);
    emit("g", g, 1, L);
}

/* The table: every op with a SIMD path (GEMM micro-kernels, packing and
 * epilogues; colsum; layernorm; exp; GELU; row max; softmax; dS rows;
 * cross-entropy; the residual add; AdamW; the sum of squares). */
typedef struct op_row {
    const char *name;
    const char *const *slots;               /* inputs that take the special value */
    int64_t (*npos)(int L, int slot);       /* positions of a slot at row length L */
    void (*run)(int L, int slot, int64_t pos, int64_t npos, float sp);
    int lstep;                              /* row lengths 1, 1 + lstep, ... <= 40 */
} op_row;

static const op_row g_ops[] = {
    {"gemm_nn", s_gemm, np_gemm0, run_gemm_nn, 1},
    {"gemm_nt", s_gemm, np_gemm0, run_gemm_nt, 1},
    {"gemm_tn", s_gemm, np_gemm0, run_gemm_tn, 1},
    {"gemm_tt", s_gemm, np_gemm0, run_gemm_tt, 1},
    {"gemm_bigk_nn", s_bigk, np_bigk, run_bigk_nn, 13},
    {"gemm_bigk_tt", s_bigk, np_bigk, run_bigk_tt, 13},
    {"linear", s_linear, np_linear, run_linear0, 1},
    {"linear_gelu", s_linear, np_linear, run_linear1, 1},
    {"gelu", s_xg, np_row, run_gelu, 1},
    {"layernorm", s_ln, np_row, run_ln, 1},
    {"attention", s_attn, np_row, run_attn0, 1},
    {"attention_causal", s_attn, np_row, run_attn1, 1},
    {"cross_entropy", s_ce, np_ce, run_ce, 1},
    {"add", s_add, np_row, run_add, 1},
    {"adamw", s_adamw, np_row, run_adamw, 1},
    {"clip_grad_norm", s_clip, np_row, run_clip, 1},
};

static void one(const op_row *r, int L, int slot, int64_t pos, int64_t npos, int sv) {
    static const float sps[3] = {(float)NAN, (float)INFINITY, -(float)INFINITY};
    static const char *const spn[3] = {"nan", "+inf", "-inf"};
    ligo_mark mk = ligo_scratch_mark(g_ctx);
    g_len = 0;
    ligo_rng_seed(&g_rng, (uint64_t)(1000 * L + 7));
    if (slot < 0)
        say("%s finite L=%d", r->name, L);
    else if (pos == npos)
        say("%s %s=%s L=%d all", r->name, r->slots[slot], spn[sv], L);
    else
        say("%s %s=%s L=%d pos=%lld", r->name, r->slots[slot], spn[sv], L, (long long)pos);
    r->run(L, slot, pos, npos, slot < 0 ? 0.0f : sps[sv]);
    ligo_scratch_rewind(g_ctx, mk);
    fputs(g_line, g_out);
    fputc('\n', g_out);
    g_cases++;
}

static int table(const char *path) {
    ligo_ctx_params prm = ligo_ctx_params_default();
    size_t i;
    prm.n_threads = 1;
    g_ctx = ligo_ctx_new(&prm);
    g_out = path ? fopen(path, "w") : stdout;
    if (!g_ctx || !g_out) {
        fprintf(stderr, "nan table: no context or cannot write %s\n", path ? path : "stdout");
        return 1;
    }
    fprintf(g_out, "# nan table, GEMM kernel %s\n", ligo_sgemm_kernel_name());
    for (i = 0; i < sizeof g_ops / sizeof g_ops[0]; i++) {
        const op_row *r = &g_ops[i];
        int L, slot, sv;
        for (L = 1; L <= LMAX; L += r->lstep) {
            one(r, L, -1, 0, 0, 0);
            for (slot = 0; r->slots[slot]; slot++) {
                int64_t np = r->npos(L, slot), pos;
                for (sv = 0; sv < 3; sv++)
                    for (pos = 0; pos <= np; pos++) one(r, L, slot, pos, np, sv);
            }
        }
    }
    if (path) fclose(g_out);
    fprintf(stderr, "nan table (%s): %ld cases, %ld errors\n", ligo_sgemm_kernel_name(), g_cases, g_errors);
    ligo_ctx_free(g_ctx);
    return g_errors ? 1 : 0;
}

/* ---- comparison */

/* The classes of field f ("|name:RxC=" then the code) into out; the
 * name's length and the row length too. */
static int64_t decode(const char *f, char *out, int64_t cap, size_t *name_len, int64_t *cols) {
    const char *colon = strchr(f, ':'), *s = strchr(f, '=');
    int64_t n = 0;
    *name_len = colon ? (size_t)(colon - f - 1) : 0;
    *cols = colon && strchr(colon, 'x') ? strtoll(strchr(colon, 'x') + 1, NULL, 10) : 1;
    if (*cols < 1) *cols = 1;
    if (!s) return 0;
    s++;
    while (*s && *s != '|') {
        char c = *s++, *end;
        long long k = strtoll(s, &end, 10);
        s = end;
        while (k-- > 0 && n < cap) out[n++] = c;
    }
    return n;
}

static const char *cname(char c) {
    return c == 'n' ? "NaN" : c == '+' ? "+inf" : c == '-' ? "-inf" : c == '.' ? "finite" : "missing";
}

/* The first element where two lines of the same case differ. */
static void explain(const char *la, const char *lb, const char *na, const char *nb) {
    static char da[1 << 16], db[1 << 16];
    const char *fa = strchr(la, '|'), *fb = strchr(lb, '|');
    size_t hl = fa ? (size_t)(fa - la) : strlen(la);
    printf("nan table: %.*s:", (int)hl, la);
    while (fa && fb) {
        int64_t ca, cb, n1, n2, i;
        size_t kl, kl2;
        n1 = decode(fa, da, (int64_t)sizeof da, &kl, &ca);
        n2 = decode(fb, db, (int64_t)sizeof db, &kl2, &cb);
        for (i = 0; i < (n1 > n2 ? n1 : n2); i++) {
            char a = i < n1 ? da[i] : '?', b = i < n2 ? db[i] : '?';
            if (a != b) {
                printf(" %.*s[%lld][%lld] is %s in %s, %s in %s\n", (int)kl, fa + 1, (long long)(i / ca),
                       (long long)(i % ca), cname(a), na, cname(b), nb);
                return;
            }
        }
        fa = strchr(fa + 1, '|');
        fb = strchr(fb + 1, '|');
    }
    printf(" the lines differ: %s | %s\n", la, lb);
}

static int compare(const char *pa, const char *pb) {
    static char la[1 << 16], lb[1 << 16];
    FILE *a = fopen(pa, "r"), *b = fopen(pb, "r");
    long cases = 0, differ = 0, by_op[sizeof g_ops / sizeof g_ops[0]];
    size_t i;
    const char *na = strrchr(pa, '/') ? strrchr(pa, '/') + 1 : pa, *nb = strrchr(pb, '/') ? strrchr(pb, '/') + 1 : pb;
    memset(by_op, 0, sizeof by_op);
    if (!a || !b) {
        printf("nan table: cannot read %s or %s\n", pa, pb);
        return 1;
    }
    for (;;) {
        char *ra, *rb;
        do ra = fgets(la, sizeof la, a);
        while (ra && la[0] == '#');
        do rb = fgets(lb, sizeof lb, b);
        while (rb && lb[0] == '#');
        if (!ra || !rb) {
            if (ra || rb) {
                printf("nan table: %s ends before %s\n", ra ? nb : na, ra ? na : nb);
                differ++;
            }
            break;
        }
        la[strcspn(la, "\n")] = 0;
        lb[strcspn(lb, "\n")] = 0;
        cases++;
        if (strcmp(la, lb) != 0) {
            if (differ < 20) explain(la, lb, na, nb);
            differ++;
            for (i = 0; i < sizeof g_ops / sizeof g_ops[0]; i++)
                if (strncmp(la, g_ops[i].name, strlen(g_ops[i].name)) == 0 && la[strlen(g_ops[i].name)] == ' ')
                    by_op[i]++;
        }
    }
    fclose(a);
    fclose(b);
    for (i = 0; i < sizeof g_ops / sizeof g_ops[0]; i++)
        if (by_op[i]) printf("nan table: %s: %ld cases differ\n", g_ops[i].name, by_op[i]);
    printf("nan table: %ld cases, %ld differ between %s and %s\n", cases, differ, na, nb);
    return differ || cases == 0 ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--compare") == 0) return compare(argv[2], argv[3]);
    return table(argc > 1 ? argv[1] : NULL);
}
