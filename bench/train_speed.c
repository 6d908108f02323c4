/* bench/train_speed.c: ligo's full GPT training step (forward, backward,
 * clipping, AdamW) against the same model in plain PyTorch: Debian's 1.13,
 * and PyTorch 2 from PyPI eager and with torch.compile.
 *
 *   make bench-train        (or: build/bench_train [options])
 *
 * For configs S, M, L and XL of issue 7 and for 1 and 2 threads: tokens/s
 * (median of 20 steps after warm-up), achieved GFLOP/s from ligo's FLOP
 * counters, % of the FMA peak measured in the same run (as bench/gemm.c
 * does; before and after the runs, the higher of the two), peak memory (persistent arena + scratch high-water + the largest
 * GEMM packing buffers, i.e. what the step holds) and a per-op time
 * breakdown from ligo_profile_* over a few extra steps. bench/torch_gpt.py
 * runs the same model (same init scheme, shapes, AdamW, clipping) in the
 * same invocation, so the ratios ligo/torch come from one run: with
 * /usr/bin/python3 when it imports torch (Debian's python3-torch, 1.13),
 * and with the python of the PyTorch 2 environment (make torch2-env;
 * tools/torch2_env.sh) eager and with --compile. Each PyTorch runs at its
 * best thread setting for the thread count: torch.set_num_threads alone,
 * with OMP_NUM_THREADS and MKL_NUM_THREADS set too, and with
 * OMP_WAIT_POLICY=PASSIVE as well (--torch-env). The last line is one JSON
 * object.
 *
 * Options: --configs S,M,L,XL  --threads 1,2  --steps 20  --warmup 3
 *          --no-torch  --no-peak  --torch-script PATH
 *          --no-torch1 / --no-torch2 / --no-compile   leave out PyTorch
 *                        1.13 / PyTorch 2 / PyTorch 2's compiled runs
 *          --torch2-python PATH   PyTorch 2's python (default: the one
 *                        tools/torch2_env.sh --print-python names)
 *          --torch-env tune|all|plain   tune (default): before the rounds,
 *                        each PyTorch runs --tune-steps steps (5) under
 *                        each of the three thread settings and keeps the
 *                        fastest for the rounds; all: every round runs all
 *                        three and takes the fastest; plain:
 *                        torch.set_num_threads only
 *          --ops         per-op forward/backward milliseconds on stderr
 *          --rounds N    alternate ligo and every PyTorch N times (1..9)
 *                        and report each one's median: on a shared machine
 *                        the speed drifts over tens of seconds
 *          --fit-steps N LiGO fitting steps timed per config (10; 0: none):
 *                        the operator's step (small model of half the
 *                        layers, width and heads) against a plain step
 *          --check DIR   write weights and a batch of config S to DIR,
 *                        compute the loss before and after one step, and
 *                        compare with torch_gpt.py --check under every
 *                        PyTorch there is (1.13, 2 eager, 2 compiled; exit
 *                        1 if one differs by more than 1e-4 relative)
 *          --require-torch2  with --check: fail when PyTorch 2 is missing */
#define _POSIX_C_SOURCE 200809L
#define LIGO_IMPLEMENTATION
#include "../ligo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define BENCH_X86 1
#include <immintrin.h>
#else
#define BENCH_X86 0
#endif

/* For a before/after comparison against a ligo.h without the profile API:
 * -DBENCH_NO_PROFILE gives an empty breakdown. */
#ifdef BENCH_NO_PROFILE
#define ligo_profile_enable(ctx, on) ((void)(ctx), (void)(on))
#define ligo_profile_reset(ctx) ((void)(ctx))
#define ligo_profile_seconds(ctx, op, bwd) ((void)(ctx), (void)(op), (void)(bwd), 0.0)
#define ligo_set_grad_reuse(ctx, on) ((void)(ctx), (void)(on))
#endif

typedef struct bench_cfg {
    const char *name;
    int64_t layers, width, heads, T, B;
} bench_cfg;

static const bench_cfg bench_cfgs[] = {
    {"S", 2, 64, 2, 64, 16},
    {"M", 4, 128, 4, 128, 16},
    {"L", 6, 256, 8, 128, 16},
    {"XL", 8, 384, 6, 256, 8},
};
#define BENCH_NCFG 4
#define BENCH_MAX_ROUNDS 9

static const float bench_lr = 3e-4f;
static int bench_show_ops = 0; /* --ops */
static int bench_fit_steps = 10; /* --fit-steps (0: no fitting-step figures) */
static double bench_rss_base = 0.0; /* the child's peak RSS before its run */
static double bench_maxrss_mb(void);
static const double bench_clip = 1.0;

/* ------------------------------------------------------------- peak */

#if BENCH_X86
__attribute__((target("avx2,fma"))) static float bench_fma_loop(int64_t iters) {
    __m256 a0 = _mm256_set1_ps(0.1f), a1 = _mm256_set1_ps(0.2f), a2 = _mm256_set1_ps(0.3f);
    __m256 a3 = _mm256_set1_ps(0.4f), a4 = _mm256_set1_ps(0.5f), a5 = _mm256_set1_ps(0.6f);
    __m256 a6 = _mm256_set1_ps(0.7f), a7 = _mm256_set1_ps(0.8f), a8 = _mm256_set1_ps(0.9f);
    __m256 a9 = _mm256_set1_ps(1.0f), a10 = _mm256_set1_ps(1.1f), a11 = _mm256_set1_ps(1.2f);
    __m256 m = _mm256_set1_ps(0.9999f), c = _mm256_set1_ps(1e-6f);
    float out[8];
    int64_t i;
    for (i = 0; i < iters; i++) {
        a0 = _mm256_fmadd_ps(a0, m, c);
        a1 = _mm256_fmadd_ps(a1, m, c);
        a2 = _mm256_fmadd_ps(a2, m, c);
        a3 = _mm256_fmadd_ps(a3, m, c);
        a4 = _mm256_fmadd_ps(a4, m, c);
        a5 = _mm256_fmadd_ps(a5, m, c);
        a6 = _mm256_fmadd_ps(a6, m, c);
        a7 = _mm256_fmadd_ps(a7, m, c);
        a8 = _mm256_fmadd_ps(a8, m, c);
        a9 = _mm256_fmadd_ps(a9, m, c);
        a10 = _mm256_fmadd_ps(a10, m, c);
        a11 = _mm256_fmadd_ps(a11, m, c);
    }
    a0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                       _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    a0 = _mm256_add_ps(a0, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    _mm256_storeu_ps(out, a0);
    return out[0] + out[7];
}
#endif

typedef struct bench_peak_arg {
    int64_t iters;
    volatile float sink[64];
} bench_peak_arg;

static void bench_peak_task(void *arg, int ith, int nth) {
    bench_peak_arg *p = (bench_peak_arg *)arg;
    (void)nth;
#if BENCH_X86
    p->sink[ith & 63] = bench_fma_loop(p->iters);
#else
    p->sink[ith & 63] = (float)p->iters;
#endif
}

/* GFLOP/s of nth threads each running 12 FMA chains: the best of 5. */
static double bench_peak(ligo_ctx *ctx, int nth) {
#if BENCH_X86
    bench_peak_arg arg;
    double best = 0.0, fl;
    int r;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0.0;
    arg.iters = 20000000;
    fl = 12.0 * 8.0 * 2.0 * (double)arg.iters * nth;
    for (r = 0; r < 5; r++) {
        double t0 = ligo_time_sec(), t;
        ligo_parallel_for(ctx, bench_peak_task, &arg, nth);
        t = ligo_time_sec() - t0;
        if (t > 0 && fl / t * 1e-9 > best) best = fl / t * 1e-9;
    }
    return best;
#else
    (void)ctx;
    (void)nth;
    return 0.0;
#endif
}

/* ------------------------------------------------------------ helpers */

static void bench_die(ligo_ctx *ctx, const char *what) {
    fprintf(stderr, "bench_train: %s: %s\n", what, ctx ? ligo_get_error(ctx) : "failed");
    exit(1);
}

static int bench_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double bench_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof v[0], bench_cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static ligo_config bench_config(const bench_cfg *b) {
    ligo_config c = ligo_config_default(LIGO_GPT);
    c.n_layer = b->layers;
    c.d_model = b->width;
    c.n_head = b->heads;
    c.ctx_len = b->T;
    c.vocab = 256;
    return c;
}

/* A fixed batch of byte ids: targets are the inputs shifted by one. */
static void bench_batch(ligo_rng *rng, int64_t B, int64_t T, int32_t *in, int32_t *tg) {
    int64_t i, n = B * T;
    for (i = 0; i < n; i++) in[i] = (int32_t)ligo_rng_below(rng, 256);
    for (i = 0; i < n; i++) tg[i] = i + 1 < n ? in[i + 1] : in[0];
}

/* Phase times of one step, seconds. */
typedef struct bench_step_time {
    double total, fwd, bwd, opt;
} bench_step_time;

/* One training step as ligo_trainer_step does it: zero the gradients,
 * forward, backward, clip the global norm, AdamW; the scratch region is
 * rewound at the end. */
static float bench_step(ligo_ctx *ctx, ligo_model *m, ligo_optim *o, const ligo_batch *bt, bench_step_time *st) {
    ligo_mark mk = ligo_scratch_mark(ctx);
    ligo_tensor *loss;
    float value;
    double t0 = ligo_time_sec(), t1, t2, t3;
    ligo_model_zero_grad(m);
    loss = ligo_model_loss(ctx, m, bt, NULL);
    if (!loss) bench_die(ctx, "forward");
    value = loss->data[0];
    t1 = ligo_time_sec();
    if (ligo_backward(ctx, loss) != LIGO_OK) bench_die(ctx, "backward");
    t2 = ligo_time_sec();
    ligo_clip_grad_norm(m->grad, m->n_floats, bench_clip);
    if (ligo_optim_step(ctx, o, m->data, m->grad, bench_lr) != LIGO_OK) bench_die(ctx, "optimizer");
    ligo_scratch_rewind(ctx, mk);
    t3 = ligo_time_sec();
    if (st) {
        st->total = t3 - t0;
        st->fwd = t1 - t0;
        st->bwd = t2 - t1;
        st->opt = t3 - t2;
    }
    return value;
}

/* --------------------------------------------------------- ligo runs */

enum { CAT_GEMM, CAT_ATTN, CAT_LN, CAT_GELU, CAT_CE, CAT_OPT, CAT_OTHER, CAT_COUNT };
static const char *cat_names[CAT_COUNT] = {"gemm", "attention", "layernorm", "gelu", "xent", "optimizer", "other"};

typedef struct bench_result {
    double tok_s, gflops, pct_peak, mem_mb, arena_mb, step_ms, flops_step;
    double cat[CAT_COUNT]; /* fractions of the step */
    /* PyTorch 1.13, PyTorch 2 eager, PyTorch 2 compiled (TV_*): tok/s, peak
     * MB, % of the FMA peak, and the thread setting (TS_*) they ran with */
    double t_tok_s[3], t_mem_mb[3], t_pct_peak[3];
    int t_have[3], t_setting[3];
    /* LiGO fitting step against a plain step (means over the timed steps) */
    double plain_mean_ms, fit_ms, fit_flops_step;
    int have_fit;
} bench_result;

static int bench_cat_of(int op) {
    switch (op) {
    case LIGO_OP_MATMUL:
    case LIGO_OP_LINEAR: return CAT_GEMM;
    case LIGO_OP_ATTENTION: return CAT_ATTN;
    case LIGO_OP_LAYERNORM: return CAT_LN;
    case LIGO_OP_GELU: return CAT_GELU;
    case LIGO_OP_CROSS_ENTROPY: return CAT_CE;
    default: return CAT_OTHER;
    }
}

/* The LiGO fitting step for this config as the large model: a small model
 * with half the layers, width and heads (same head size), the default
 * LiGO operator, and ligo_grow_fit's own loop (materialise the large
 * weights from the operator, forward, backward to the operator, clip,
 * AdamW) on random bytes at the same batch shape. Two steps warm up. */
static void bench_fit(ligo_ctx *ctx, const bench_cfg *bc, bench_result *r) {
    bench_cfg sc = *bc;
    ligo_config small_cfg, large_cfg = bench_config(bc);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_model *small;
    ligo_grow *g;
    ligo_data d;
    ligo_rng rng;
    ligo_mark mk = ligo_scratch_mark(ctx);
    int64_t i, n = (int64_t)1 << 20;
    double s0, f0;
    sc.layers = bc->layers / 2 > 0 ? bc->layers / 2 : 1;
    sc.width = bc->width / 2;
    sc.heads = bc->heads / 2 > 0 ? bc->heads / 2 : 1;
    small_cfg = bench_config(&sc);
    memset(&d, 0, sizeof d);
    d.family = LIGO_GPT;
    d.tokens.data = (uint16_t *)malloc((size_t)n * sizeof(uint16_t));
    if (!d.tokens.data) bench_die(NULL, "out of memory");
    ligo_rng_seed(&rng, 11);
    for (i = 0; i < n; i++) d.tokens.data[i] = (uint16_t)ligo_rng_below(&rng, 256);
    d.tokens.n = n;
    d.tokens.split = n - n / 10;
    d.tokens.vocab = 256;
    small = ligo_model_new(ctx, &small_cfg);
    if (!small) bench_die(ctx, "small model");
    ligo_model_init(small, 2);
    gc.batch = bc->B;
    gc.ctx = bc->T;
    gc.fit_steps = 2;
    g = ligo_grow_new(ctx, small, &large_cfg, &gc);
    if (!g || ligo_grow_fit(ctx, g, &d) != LIGO_OK) bench_die(ctx, "operator warm-up");
    s0 = g->fit_seconds;
    f0 = g->fit_flops;
    g->cfg.fit_steps = bench_fit_steps;
    if (ligo_grow_fit(ctx, g, &d) != LIGO_OK) bench_die(ctx, "operator fitting");
    r->fit_ms = 1e3 * (g->fit_seconds - s0) / (double)bench_fit_steps;
    r->fit_flops_step = (g->fit_flops - f0) / (double)bench_fit_steps;
    r->have_fit = 1;
    free(d.tokens.data);
    ligo_scratch_rewind(ctx, mk);
}

static void bench_ligo(const bench_cfg *bc, int nth, int steps, int warmup, double peak, bench_result *r) {
    ligo_ctx_params p = ligo_ctx_params_default();
    ligo_ctx *ctx;
    ligo_model *m;
    ligo_optim *o;
    ligo_optim_config oc = ligo_optim_config_default(LIGO_ADAMW);
    ligo_config cfg = bench_config(bc);
    ligo_batch bt;
    ligo_rng rng;
    int32_t *in, *tg;
    double *times, f0, sum_steps = 0.0, prof_total = 0.0;
    int i, op;
    const int prof_steps = 3;
    p.n_threads = nth;
    ctx = ligo_ctx_new(&p);
    if (!ctx || ligo_get_num_threads(ctx) != nth) bench_die(ctx, "context");
    ligo_set_grad_reuse(ctx, 1);
    m = ligo_model_new(ctx, &cfg);
    if (!m) bench_die(ctx, "model");
    ligo_model_init(m, 1);
    o = ligo_optim_new_for_model(ctx, &oc, m);
    if (!o) bench_die(ctx, "optimizer");
    in = (int32_t *)malloc((size_t)(bc->B * bc->T) * sizeof(int32_t));
    tg = (int32_t *)malloc((size_t)(bc->B * bc->T) * sizeof(int32_t));
    times = (double *)malloc((size_t)steps * sizeof(double));
    if (!in || !tg || !times) bench_die(NULL, "out of memory");
    ligo_rng_seed(&rng, 7);
    bench_batch(&rng, bc->B, bc->T, in, tg);
    memset(&bt, 0, sizeof bt);
    bt.B = bc->B;
    bt.T = bc->T;
    bt.inputs = in;
    bt.targets = tg;
    for (i = 0; i < warmup; i++) bench_step(ctx, m, o, &bt, NULL);
    ligo_flops_reset(ctx);
    f0 = 0.0;
    for (i = 0; i < steps; i++) {
        bench_step_time st;
        bench_step(ctx, m, o, &bt, &st);
        times[i] = st.total;
        if (bench_show_ops) fprintf(stderr, "step %d: %.1f ms (forward %.1f, backward %.1f, update %.1f)\n", i, 1e3 * st.total, 1e3 * st.fwd, 1e3 * st.bwd, 1e3 * st.opt);
        sum_steps += st.total;
    }
    r->flops_step = (ligo_flops_forward(ctx) + ligo_flops_backward(ctx) - f0) / steps;
    r->step_ms = 1e3 * bench_median(times, steps);
    r->tok_s = (double)(bc->B * bc->T) / (r->step_ms * 1e-3);
    r->gflops = r->flops_step / (r->step_ms * 1e-3) * 1e-9;
    r->pct_peak = peak > 0 ? 100.0 * r->gflops / peak : 0.0;
    /* parameters, gradients, optimizer state, and the activations and tape
     * at their high-water mark */
    r->arena_mb = ((double)ligo_persistent_used(ctx) + (double)ligo_scratch_peak(ctx)) / (1024.0 * 1024.0);
    /* the per-op breakdown: a few more steps with the profile on */
    ligo_profile_reset(ctx);
    ligo_profile_enable(ctx, 1);
    memset(r->cat, 0, sizeof r->cat);
    for (i = 0; i < prof_steps; i++) {
        bench_step_time st;
        bench_step(ctx, m, o, &bt, &st);
        prof_total += st.total;
        r->cat[CAT_OPT] += st.opt;
    }
    ligo_profile_enable(ctx, 0);
    for (op = 0; op < LIGO_OP_COUNT; op++)
        r->cat[bench_cat_of(op)] += ligo_profile_seconds(ctx, op, 0) + ligo_profile_seconds(ctx, op, 1);
    if (bench_show_ops) {
        fprintf(stderr, "%s, %d thread(s): ms per step, forward / backward\n", bc->name, nth);
        for (op = 0; op < LIGO_OP_COUNT; op++) {
            double f = ligo_profile_seconds(ctx, op, 0), b = ligo_profile_seconds(ctx, op, 1);
            if (f + b > 0)
                fprintf(stderr, "  %-14s %8.2f %8.2f\n", ligo_op_name(op), 1e3 * f / prof_steps, 1e3 * b / prof_steps);
        }
        fprintf(stderr, "  %-14s %8.2f (zero grads, clip, AdamW)\n  %-14s %8.2f\n", "optimizer",
                1e3 * r->cat[CAT_OPT] / prof_steps, "step", 1e3 * prof_total / prof_steps);
    }
    {
        /* time outside any kernel (tape building, zeroing) is "other" */
        double inside = 0.0;
        int c;
        for (c = 0; c < CAT_COUNT; c++) inside += r->cat[c];
        if (prof_total > inside) r->cat[CAT_OTHER] += prof_total - inside;
        for (c = 0; c < CAT_COUNT; c++) r->cat[c] /= prof_total > 0 ? prof_total : 1.0;
    }
    r->plain_mean_ms = 1e3 * sum_steps / steps;
    /* the training step's memory, before the fitting run adds its own */
    r->mem_mb = bench_maxrss_mb() - bench_rss_base;
    if (bench_fit_steps > 0) bench_fit(ctx, bc, r);
    free(in);
    free(tg);
    free(times);
    ligo_ctx_free(ctx);
}

static double bench_maxrss_mb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    return (double)ru.ru_maxrss / 1024.0;
}

/* Each run in a child process, so its peak resident memory (above what the
 * child starts with) is its own: the same measure torch_gpt.py reports. */
static void bench_ligo_forked(const bench_cfg *bc, int nth, int steps, int warmup, double peak, bench_result *r) {
    int fd[2], status = 0;
    pid_t pid;
    if (pipe(fd) != 0) bench_die(NULL, "pipe");
    pid = fork();
    if (pid < 0) bench_die(NULL, "fork");
    if (pid == 0) {
        double base;
        size_t off = 0;
        close(fd[0]);
        base = bench_maxrss_mb();
        bench_rss_base = base;
        bench_ligo(bc, nth, steps, warmup, peak, r);
        while (off < sizeof *r) {
            ssize_t w = write(fd[1], (const char *)r + off, sizeof *r - off);
            if (w <= 0) _exit(1);
            off += (size_t)w;
        }
        close(fd[1]);
        _exit(0);
    }
    close(fd[1]);
    {
        size_t off = 0;
        while (off < sizeof *r) {
            ssize_t n = read(fd[0], (char *)r + off, sizeof *r - off);
            if (n <= 0) break;
            off += (size_t)n;
        }
        close(fd[0]);
        waitpid(pid, &status, 0);
        if (off != sizeof *r || !WIFEXITED(status) || WEXITSTATUS(status) != 0) bench_die(NULL, "ligo run failed");
    }
}

/* ------------------------------------------------------------ torch */

/* The PyTorch runs: Debian's 1.13 eager, PyTorch 2 eager, PyTorch 2 with
 * torch.compile. */
enum { TV_T1, TV_T2, TV_T2C, TV_COUNT };
static const char *tv_key[TV_COUNT] = {"torch", "torch2_eager", "torch2_compiled"};
static const char *tv_label[TV_COUNT] = {"torch 1.13", "torch 2 eager", "torch 2 compiled"};
static const char *tv_python[TV_COUNT] = {"/usr/bin/python3", NULL, NULL};
static char tv_version[TV_COUNT][64];
static int tv_use[TV_COUNT];

/* Thread settings tried for each PyTorch run, n = the thread count:
 * set_num_threads(n) alone (the environment's OpenMP/MKL variables
 * removed), OMP_NUM_THREADS = MKL_NUM_THREADS = n too, and those with
 * OMP_WAIT_POLICY=PASSIVE (idle OpenMP threads sleep instead of spinning). */
enum { TS_SET, TS_OMP, TS_PASSIVE, TS_COUNT };
static const char *ts_key[TS_COUNT] = {"set_num_threads", "omp_mkl", "omp_mkl_passive"};
static const char ts_char[TS_COUNT] = {'s', 'o', 'p'};
enum { TE_TUNE, TE_ALL, TE_PLAIN };
static int bench_torch_env = TE_TUNE; /* --torch-env */
static int bench_tune_steps = 5;      /* --tune-steps */

static void bench_ts_env(int s, int nth, char *buf, size_t n) {
    if (s == TS_SET) snprintf(buf, n, "env -u OMP_NUM_THREADS -u MKL_NUM_THREADS -u OMP_WAIT_POLICY");
    else if (s == TS_OMP) snprintf(buf, n, "env -u OMP_WAIT_POLICY OMP_NUM_THREADS=%d MKL_NUM_THREADS=%d", nth, nth);
    else snprintf(buf, n, "env OMP_NUM_THREADS=%d MKL_NUM_THREADS=%d OMP_WAIT_POLICY=PASSIVE", nth, nth);
}

/* Runs cmd, echoes its non-JSON lines to stderr, keeps the last JSON line. */
static int bench_run_json(const char *cmd, char *last, size_t n) {
    char line[4096];
    FILE *f = popen(cmd, "r");
    if (!f) return 0;
    last[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '{') snprintf(last, n, "%s", line);
        else fputs(line, stderr);
    }
    return pclose(f) == 0 && last[0];
}

static double bench_json_num(const char *json, const char *key, double dflt) {
    char pat[64];
    const char *s;
    snprintf(pat, sizeof pat, "\"%s\":", key);
    s = strstr(json, pat);
    return s ? atof(s + strlen(pat)) : dflt;
}

/* The torch version a python imports, into out; 0 if it does not import
 * one, or (min_major > 1) one older than min_major. */
static int bench_torch_version(const char *python, int min_major, char *out, size_t n) {
    char cmd[1200], last[4096];
    snprintf(cmd, sizeof cmd,
             "%s -c 'import json, torch; print(json.dumps({\"v\": torch.__version__}))' 2>/dev/null", python);
    if (!bench_run_json(cmd, last, sizeof last)) return 0;
    {
        const char *s = strstr(last, "\"v\": \"");
        size_t k = 0;
        if (!s) return 0;
        s += 6;
        while (s[k] && s[k] != '"' && k + 1 < n) {
            out[k] = s[k];
            k++;
        }
        out[k] = '\0';
    }
    return atoi(out) >= min_major;
}

/* The PyTorch 2 environment's python (tools/torch2_env.sh --print-python),
 * when the environment is complete. */
static const char *bench_default_torch2_python(void) {
    static char path[1024];
    FILE *f = popen("bash tools/torch2_env.sh --check 2>/dev/null && bash tools/torch2_env.sh --print-python 2>/dev/null", "r");
    size_t k;
    if (!f) return NULL;
    if (!fgets(path, sizeof path, f)) path[0] = '\0';
    pclose(f);
    k = strlen(path);
    while (k > 0 && (path[k - 1] == '\n' || path[k - 1] == ' ')) path[--k] = '\0';
    return path[0] ? path : NULL;
}

/* Runs torch_gpt.py for one config under PyTorch tv and thread setting ts;
 * reads its last JSON line. */
static int bench_torch(const char *script, int tv, int ts, const bench_cfg *bc, int nth, int steps, int warmup,
                       double *tok_s, double *mem_mb) {
    char env[256], cmd[2048], last[4096];
    bench_ts_env(ts, nth, env, sizeof env);
    snprintf(cmd, sizeof cmd, "%s %s %s --config %s --threads %d --steps %d --warmup %d%s 2>&1", env, tv_python[tv],
             script, bc->name, nth, steps, warmup, tv == TV_T2C ? " --compile" : "");
    if (!bench_run_json(cmd, last, sizeof last)) {
        fprintf(stderr, "bench_train: %s failed (%s, %d thread%s, %s)\n", tv_label[tv], bc->name, nth,
                nth > 1 ? "s" : "", ts_key[ts]);
        return 0;
    }
    *tok_s = bench_json_num(last, "tokens_per_s", 0.0);
    *mem_mb = bench_json_num(last, "peak_mb", 0.0);
    return *tok_s > 0;
}

/* One round's run of PyTorch tv: under its tuned setting (setting >= 0),
 * or under every setting, the fastest kept. */
static void bench_torch_round(const char *script, int tv, int setting, const bench_cfg *bc, int nth, int steps,
                              int warmup, bench_result *r) {
    int s;
    r->t_have[tv] = 0;
    for (s = 0; s < TS_COUNT; s++) {
        double tok = 0.0, mem = 0.0;
        if (setting >= 0 && s != setting) continue;
        if (!bench_torch(script, tv, s, bc, nth, steps, warmup, &tok, &mem)) continue;
        if (!r->t_have[tv] || tok > r->t_tok_s[tv]) {
            r->t_have[tv] = 1;
            r->t_tok_s[tv] = tok;
            r->t_mem_mb[tv] = mem;
            r->t_setting[tv] = s;
        }
    }
}

/* --torch-env tune: the fastest setting over --tune-steps steps; -1 if
 * PyTorch tv failed under every setting. */
static int bench_torch_tune(const char *script, int tv, const bench_cfg *bc, int nth, int warmup) {
    int s, best = -1;
    double best_tok = 0.0;
    for (s = 0; s < TS_COUNT; s++) {
        double tok = 0.0, mem = 0.0;
        if (!bench_torch(script, tv, s, bc, nth, bench_tune_steps, warmup, &tok, &mem)) continue;
        fprintf(stderr, "bench_train: %s, %d thread%s, %s %s: %.0f tok/s\n", bc->name, nth, nth > 1 ? "s" : "",
                tv_label[tv], ts_key[s], tok);
        if (best < 0 || tok > best_tok) best = s, best_tok = tok;
    }
    return best;
}

/* ------------------------------------------------------------ check */

static int bench_check(const char *dir, const char *script, int require_torch2) {
    const bench_cfg *bc = &bench_cfgs[0];
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_config cfg = bench_config(bc);
    ligo_optim_config oc = ligo_optim_config_default(LIGO_ADAMW);
    ligo_model *m;
    ligo_optim *o;
    ligo_safetensors st;
    ligo_batch bt;
    ligo_rng rng;
    int32_t in[16 * 64], tg[16 * 64];
    float fin[16 * 64], ftg[16 * 64], loss0, loss1;
    int64_t i, shape[2];
    char path[1024], cmd[2048], last[4096];
    int ok = 1, tv, n_checked = 0;
    if (!ctx) return 1;
    ligo_set_grad_reuse(ctx, 1); /* as the timed runs */
    m = ligo_model_new(ctx, &cfg);
    if (!m) bench_die(ctx, "model");
    ligo_model_init(m, 3);
    o = ligo_optim_new_for_model(ctx, &oc, m);
    if (!o) bench_die(ctx, "optimizer");
    ligo_rng_seed(&rng, 11);
    bench_batch(&rng, bc->B, bc->T, in, tg);
    for (i = 0; i < bc->B * bc->T; i++) {
        fin[i] = (float)in[i];
        ftg[i] = (float)tg[i];
    }
    ligo_st_init(&st);
    for (i = 0; i < m->n_tensors; i++)
        if (ligo_st_add(ctx, &st, m->info[i].name, m->info[i].ndim, m->info[i].shape, m->data + m->info[i].offset) !=
            LIGO_OK)
            bench_die(ctx, "safetensors");
    shape[0] = bc->B;
    shape[1] = bc->T;
    if (ligo_st_add(ctx, &st, "batch.inputs", 2, shape, fin) != LIGO_OK ||
        ligo_st_add(ctx, &st, "batch.targets", 2, shape, ftg) != LIGO_OK)
        bench_die(ctx, "safetensors");
    snprintf(path, sizeof path, "%s/train_check.safetensors", dir);
    if (ligo_st_write(ctx, path, &st) != LIGO_OK) bench_die(ctx, "write");
    memset(&bt, 0, sizeof bt);
    bt.B = bc->B;
    bt.T = bc->T;
    bt.inputs = in;
    bt.targets = tg;
    loss0 = bench_step(ctx, m, o, &bt, NULL);
    loss1 = bench_step(ctx, m, o, &bt, NULL);
    for (tv = 0; tv < TV_COUNT; tv++) {
        double t_loss0, t_loss1;
        int same;
        if (!tv_use[tv]) {
            if (tv != TV_T1 && require_torch2) {
                printf("check: %s: no PyTorch 2 environment (%s; make torch2-env)\n", tv_label[tv],
                       tv_python[tv] ? tv_python[tv] : "no python");
                ok = 0;
            } else {
                printf("check: %s: left out or not there, skipped\n", tv_label[tv]);
            }
            continue;
        }
        snprintf(cmd, sizeof cmd, "%s %s --check %s --config S%s 2>&1", tv_python[tv], script, path,
                 tv == TV_T2C ? " --compile" : "");
        if (!bench_run_json(cmd, last, sizeof last)) {
            printf("check: %s: torch_gpt.py --check failed\n", tv_label[tv]);
            ok = 0;
            continue;
        }
        t_loss0 = bench_json_num(last, "loss0", 0.0);
        t_loss1 = bench_json_num(last, "loss1", 0.0);
        same = fabs(t_loss0 - loss0) <= 1e-4 * fabs(t_loss0) && fabs(t_loss1 - loss1) <= 1e-4 * fabs(t_loss1);
        printf("check (config S, same weights and batch): loss before a step ligo %.6f %s %.6f; "
               "after one AdamW step ligo %.6f %s %.6f: %s\n",
               (double)loss0, tv_label[tv], t_loss0, (double)loss1, tv_label[tv], t_loss1, same ? "same" : "DIFFERENT");
        ok = ok && same;
        n_checked++;
    }
    if (n_checked == 0) {
        printf("check: no PyTorch to compare with\n");
        ok = 0;
    }
    printf("check: %d PyTorch run%s compared: %s\n", n_checked, n_checked == 1 ? "" : "s", ok ? "all the same" : "FAILED");
    ligo_ctx_free(ctx);
    return ok ? 0 : 1;
}

/* ------------------------------------------------------------- main */

static void bench_parse_list(const char *s, char out[][8], int *n, int max) {
    *n = 0;
    while (*s && *n < max) {
        int k = 0;
        while (*s && *s != ',' && k < 7) out[*n][k++] = *s++;
        out[*n][k] = '\0';
        (*n)++;
        if (*s == ',') s++;
    }
}

int main(int argc, char **argv) {
    char cfg_names[BENCH_NCFG][8], th_names[4][8];
    int n_cfg = 0, n_th = 0, steps = 20, warmup = 3, use_peak = 1, rounds = 1, i, k, c, tv, threads[4];
    int want[TV_COUNT] = {1, 1, 1}, require_torch2 = 0, any_torch = 0;
    const char *script = "bench/torch_gpt.py", *check_dir = NULL, *torch2_python = NULL;
    static bench_result res[BENCH_NCFG][4];
    const bench_cfg *sel[BENCH_NCFG];
    double peak[4], peak_before[4];
    ligo_ctx *pctx;
    bench_parse_list("S,M,L,XL", cfg_names, &n_cfg, BENCH_NCFG);
    bench_parse_list("1,2", th_names, &n_th, 4);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--configs") && i + 1 < argc) bench_parse_list(argv[++i], cfg_names, &n_cfg, BENCH_NCFG);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) bench_parse_list(argv[++i], th_names, &n_th, 4);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-torch")) want[TV_T1] = want[TV_T2] = want[TV_T2C] = 0;
        else if (!strcmp(argv[i], "--no-torch1")) want[TV_T1] = 0;
        else if (!strcmp(argv[i], "--no-torch2")) want[TV_T2] = want[TV_T2C] = 0;
        else if (!strcmp(argv[i], "--no-compile")) want[TV_T2C] = 0;
        else if (!strcmp(argv[i], "--torch2-python") && i + 1 < argc) torch2_python = argv[++i];
        else if (!strcmp(argv[i], "--require-torch2")) require_torch2 = 1;
        else if (!strcmp(argv[i], "--torch-env") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(v, "tune")) bench_torch_env = TE_TUNE;
            else if (!strcmp(v, "all")) bench_torch_env = TE_ALL;
            else if (!strcmp(v, "plain")) bench_torch_env = TE_PLAIN;
            else {
                fprintf(stderr, "bench_train: --torch-env is tune, all or plain, not %s\n", v);
                return 2;
            }
        } else if (!strcmp(argv[i], "--tune-steps") && i + 1 < argc) bench_tune_steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ops")) bench_show_ops = 1;
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--fit-steps") && i + 1 < argc) bench_fit_steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-peak")) use_peak = 0; /* e.g. under valgrind */
        else if (!strcmp(argv[i], "--torch-script") && i + 1 < argc) script = argv[++i];
        else if (!strcmp(argv[i], "--check") && i + 1 < argc) check_dir = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--configs S,M,L,XL] [--threads 1,2] [--steps 20] [--warmup 3] [--no-torch] [--no-peak] [--ops] [--fit-steps 10] [--rounds 1]\n"
                            "       [--no-torch1] [--no-torch2] [--no-compile] [--torch2-python PATH] [--torch-env tune|all|plain] [--tune-steps 5]\n"
                            "       [--torch-script bench/torch_gpt.py] [--check DIR [--require-torch2]]\n", argv[0]);
            return 2;
        }
    }
    if (steps < 1) steps = 1;
    if (bench_tune_steps < 1) bench_tune_steps = 1;
    if (rounds < 1 || rounds > BENCH_MAX_ROUNDS) {
        fprintf(stderr, "bench_train: --rounds must be 1..%d\n", BENCH_MAX_ROUNDS);
        return 2;
    }
    if (warmup < 0) warmup = 0;
    /* which PyTorch runs there are */
    if (!torch2_python) torch2_python = bench_default_torch2_python();
    tv_python[TV_T2] = tv_python[TV_T2C] = torch2_python;
    for (tv = 0; tv < TV_COUNT; tv++) {
        tv_use[tv] = 0;
        if (!want[tv] || !tv_python[tv]) continue;
        if (tv == TV_T2C && tv_use[TV_T2]) {
            tv_use[tv] = 1;
            snprintf(tv_version[tv], sizeof tv_version[tv], "%s", tv_version[TV_T2]);
            continue;
        }
        tv_use[tv] = bench_torch_version(tv_python[tv], tv == TV_T1 ? 1 : 2, tv_version[tv], sizeof tv_version[tv]);
        if (!tv_use[tv])
            printf("%s: %s does not import %s; no %s figures\n", tv_label[tv], tv_python[tv],
                   tv == TV_T1 ? "torch" : "torch 2 (make torch2-env)", tv_label[tv]);
    }
    if (check_dir) return bench_check(check_dir, script, require_torch2);
    for (tv = 0; tv < TV_COUNT; tv++) any_torch |= tv_use[tv];
    for (c = 0; c < n_cfg; c++) {
        sel[c] = NULL;
        for (k = 0; k < BENCH_NCFG; k++)
            if (!strcmp(cfg_names[c], bench_cfgs[k].name)) sel[c] = &bench_cfgs[k];
        if (!sel[c]) {
            fprintf(stderr, "bench_train: unknown config %s (S, M, L, XL)\n", cfg_names[c]);
            return 2;
        }
    }
    for (k = 0; k < n_th; k++) {
        threads[k] = atoi(th_names[k]);
        if (threads[k] < 1 || threads[k] > 64) {
            fprintf(stderr, "bench_train: bad thread count %s\n", th_names[k]);
            return 2;
        }
    }
    pctx = ligo_ctx_new(NULL);
    if (!pctx) bench_die(NULL, "context");
    for (k = 0; k < n_th; k++) {
        if (ligo_set_num_threads(pctx, threads[k]) != LIGO_OK) bench_die(pctx, "threads");
        peak[k] = use_peak ? bench_peak(pctx, threads[k]) : 0.0;
    }
    ligo_ctx_free(pctx);
    /* progress on stderr; the table once the peak has been measured again
     * after the runs: on a shared machine one measurement can come out
     * low, and the hardware's peak is the higher of the two */
    for (c = 0; c < n_cfg; c++) {
        for (k = 0; k < n_th; k++) {
            bench_result rr[BENCH_MAX_ROUNDS];
            double lt[BENCH_MAX_ROUNDS], tt[TV_COUNT][BENCH_MAX_ROUNDS];
            int q, nt[TV_COUNT] = {0, 0, 0}, setting[TV_COUNT], fit_steps = bench_fit_steps;
            /* each PyTorch's thread setting for this config and thread count */
            for (tv = 0; tv < TV_COUNT; tv++) {
                setting[tv] = bench_torch_env == TE_PLAIN ? TS_SET : bench_torch_env == TE_ALL ? -1 : TS_SET;
                if (tv_use[tv] && bench_torch_env == TE_TUNE) {
                    setting[tv] = bench_torch_tune(script, tv, sel[c], threads[k], warmup);
                    if (setting[tv] < 0) fprintf(stderr, "bench_train: %s failed under every thread setting\n", tv_label[tv]);
                }
            }
            for (q = 0; q < rounds; q++) {
                memset(&rr[q], 0, sizeof rr[q]);
                bench_fit_steps = q == rounds - 1 ? fit_steps : 0; /* the fitting step in the last round */
                bench_ligo_forked(sel[c], threads[k], steps, warmup, 0.0, &rr[q]);
                fprintf(stderr, "bench_train: %s, %d thread%s, round %d: ligo %.0f tok/s", sel[c]->name, threads[k],
                        threads[k] > 1 ? "s" : "", q + 1, rr[q].tok_s);
                for (tv = 0; tv < TV_COUNT; tv++) {
                    if (!tv_use[tv] || (bench_torch_env == TE_TUNE && setting[tv] < 0)) continue;
                    bench_torch_round(script, tv, setting[tv], sel[c], threads[k], steps, warmup, &rr[q]);
                    if (rr[q].t_have[tv]) {
                        fprintf(stderr, ", %s %.0f tok/s (%s)", tv_label[tv], rr[q].t_tok_s[tv], ts_key[rr[q].t_setting[tv]]);
                        tt[tv][nt[tv]++] = rr[q].t_tok_s[tv];
                    }
                }
                fprintf(stderr, "\n");
                lt[q] = rr[q].tok_s;
            }
            bench_fit_steps = fit_steps;
            /* each side's median over the rounds: ligo's figures from its
             * median round, each PyTorch's median tok/s and that round's
             * memory and setting */
            qsort(lt, (size_t)rounds, sizeof lt[0], bench_cmp);
            for (q = 0; q < rounds; q++)
                if (rr[q].tok_s == lt[rounds / 2]) break;
            res[c][k] = rr[q];
            res[c][k].have_fit = rr[rounds - 1].have_fit;
            res[c][k].plain_mean_ms = rr[rounds - 1].plain_mean_ms;
            res[c][k].fit_ms = rr[rounds - 1].fit_ms;
            res[c][k].fit_flops_step = rr[rounds - 1].fit_flops_step;
            for (tv = 0; tv < TV_COUNT; tv++) {
                bench_result *r = &res[c][k];
                r->t_have[tv] = 0;
                if (nt[tv] == 0) continue;
                qsort(tt[tv], (size_t)nt[tv], sizeof tt[tv][0], bench_cmp);
                r->t_have[tv] = 1;
                r->t_tok_s[tv] = tt[tv][nt[tv] / 2];
                for (q = 0; q < rounds; q++)
                    if (rr[q].t_have[tv] && rr[q].t_tok_s[tv] == r->t_tok_s[tv]) {
                        r->t_mem_mb[tv] = rr[q].t_mem_mb[tv];
                        r->t_setting[tv] = rr[q].t_setting[tv];
                    }
            }
        }
    }
    pctx = ligo_ctx_new(NULL);
    if (!pctx) bench_die(NULL, "context");
    for (k = 0; k < n_th; k++) {
        double again;
        if (ligo_set_num_threads(pctx, threads[k]) != LIGO_OK) bench_die(pctx, "threads");
        again = use_peak ? bench_peak(pctx, threads[k]) : 0.0;
        peak_before[k] = peak[k];
        if (again > peak[k]) peak[k] = again;
    }
    ligo_ctx_free(pctx);
    printf("ligo %s, GEMM kernel %s; FMA peak (higher of before and after the runs)", LIGO_VERSION_STRING,
           ligo_sgemm_kernel_name());
    for (k = 0; k < n_th; k++)
        printf(" %.1f GFLOP/s on %d thread%s (%.1f before)%s", peak[k], threads[k], threads[k] > 1 ? "s" : "",
               peak_before[k], k + 1 < n_th ? "," : "");
    printf("\nstep = zero grads, forward, backward, clip to norm 1, AdamW; median of %d steps after %d warm-up", steps,
           warmup);
    if (rounds > 1) printf("; each side's median of %d alternating rounds", rounds);
    printf("\n");
    if (any_torch) {
        printf("PyTorch:");
        for (tv = 0; tv < TV_COUNT; tv++)
            if (tv_use[tv]) printf(" %s = %s %s%s;", tv_label[tv], tv_python[tv], tv_version[tv], tv == TV_T2C ? " torch.compile" : "");
        printf("\nthread setting (the letter after each PyTorch's tok/s): s = set_num_threads only, o = OMP/MKL_NUM_THREADS "
               "too, p = and OMP_WAIT_POLICY=PASSIVE; %s\n",
               bench_torch_env == TE_TUNE ? "the fastest of the three in a tuning run before the rounds"
               : bench_torch_env == TE_ALL ? "the fastest of the three in each round" : "set_num_threads only");
    }
    printf("\n%-3s %3s | %9s %8s %7s %6s %8s |", "cfg", "thr", "tok/s", "step ms", "GFLOP/s", "%peak", "mem MB");
    for (tv = 0; tv < TV_COUNT; tv++)
        if (tv_use[tv])
            printf(" %11s %8s %7s |", tv == TV_T1 ? "t1.13 tok/s" : tv == TV_T2 ? "t2 tok/s" : "t2c tok/s",
                   tv == TV_T1 ? "MB" : tv == TV_T2 ? "t2 MB" : "t2c MB", "ratio");
    printf(" breakdown %% (gemm attn ln gelu xent opt other; gemm includes fused bias and GELU)\n");
    for (c = 0; c < n_cfg; c++) {
        for (k = 0; k < n_th; k++) {
            bench_result *r = &res[c][k];
            int q;
            r->pct_peak = peak[k] > 0 ? 100.0 * r->gflops / peak[k] : 0.0;
            printf("%-3s %3d | %9.0f %8.2f %7.1f %5.1f%% %8.1f |", sel[c]->name, threads[k], r->tok_s, r->step_ms,
                   r->gflops, r->pct_peak, r->mem_mb);
            for (tv = 0; tv < TV_COUNT; tv++) {
                if (!tv_use[tv]) continue;
                if (r->t_have[tv]) {
                    r->t_pct_peak[tv] = peak[k] > 0 ? 100.0 * r->flops_step * r->t_tok_s[tv] /
                                                          (double)(sel[c]->B * sel[c]->T) * 1e-9 / peak[k]
                                                    : 0.0;
                    printf(" %9.0f %c %8.1f %6.2fx |", r->t_tok_s[tv], ts_char[r->t_setting[tv]], r->t_mem_mb[tv],
                           r->tok_s / r->t_tok_s[tv]);
                } else {
                    printf(" %11s %8s %7s |", "-", "-", "-");
                }
            }
            for (q = 0; q < CAT_COUNT; q++) printf(" %4.1f", 100.0 * r->cat[q]);
            printf("\n");
        }
    }
    if (bench_fit_steps > 0) {
        printf("\nLiGO fitting step (materialise the large weights, forward, backward to the operator, clip, AdamW;\n"
               "small model: half the layers, width and heads; mean of %d steps) against a plain step (mean):\n\n",
               bench_fit_steps);
        printf("%-3s %3s | %9s %9s %7s | %10s\n", "cfg", "thr", "plain ms", "fit ms", "ratio", "fit GFLOP/s");
        for (c = 0; c < n_cfg; c++)
            for (k = 0; k < n_th; k++) {
                const bench_result *r = &res[c][k];
                if (!r->have_fit) continue;
                printf("%-3s %3d | %9.2f %9.2f %6.2fx | %10.1f\n", sel[c]->name, threads[k], r->plain_mean_ms, r->fit_ms,
                       r->fit_ms / r->plain_mean_ms, r->fit_flops_step / (r->fit_ms * 1e-3) * 1e-9);
            }
    }
    printf("\n{\"bench\":\"train_speed\",\"steps\":%d,\"rounds\":%d,\"torch_env\":\"%s\",\"peak_gflops\":{", steps, rounds,
           bench_torch_env == TE_TUNE ? "tune" : bench_torch_env == TE_ALL ? "all" : "plain");
    for (k = 0; k < n_th; k++) printf("%s\"%d\":%.2f", k ? "," : "", threads[k], peak[k]);
    printf("},\"torch_versions\":{");
    for (tv = 0, i = 0; tv < TV_COUNT; tv++)
        if (tv_use[tv]) printf("%s\"%s\":\"%s\"", i++ ? "," : "", tv_key[tv], tv_version[tv]);
    printf("},\"runs\":[");
    for (c = 0; c < n_cfg; c++)
        for (k = 0; k < n_th; k++) {
            const bench_result *r = &res[c][k];
            int q;
            printf("%s{\"config\":\"%s\",\"threads\":%d,\"ligo_tok_s\":%.1f,\"ligo_gflops\":%.2f,\"ligo_pct_peak\":%.1f,"
                   "\"ligo_peak_mb\":%.1f,\"ligo_arena_mb\":%.1f,\"flops_per_step\":%.4g",
                   c || k ? "," : "", sel[c]->name, threads[k], r->tok_s, r->gflops, r->pct_peak, r->mem_mb,
                   r->arena_mb, r->flops_step);
            /* PyTorch 1.13 keeps its old keys (torch_tok_s, ratio, ...) */
            for (tv = 0; tv < TV_COUNT; tv++) {
                const char *key = tv_key[tv];
                if (r->t_have[tv])
                    printf(",\"%s_tok_s\":%.1f,\"%s_pct_peak\":%.1f,\"%s_peak_mb\":%.1f,\"%s%sratio\":%.3f,\"%s_setting\":\"%s\"",
                           key, r->t_tok_s[tv], key, r->t_pct_peak[tv], key, r->t_mem_mb[tv], tv == TV_T1 ? "" : key,
                           tv == TV_T1 ? "" : "_", r->tok_s / r->t_tok_s[tv], key, ts_key[r->t_setting[tv]]);
                else
                    printf(",\"%s_tok_s\":null,\"%s%sratio\":null", key, tv == TV_T1 ? "" : key, tv == TV_T1 ? "" : "_");
            }
            if (r->have_fit)
                printf(",\"plain_step_ms_mean\":%.2f,\"fit_step_ms\":%.2f,\"fit_ratio\":%.3f", r->plain_mean_ms,
                       r->fit_ms, r->fit_ms / r->plain_mean_ms);
            printf(",\"breakdown\":{");
            for (q = 0; q < CAT_COUNT; q++) printf("%s\"%s\":%.3f", q ? "," : "", cat_names[q], r->cat[q]);
            printf("}}");
        }
    printf("]}\n");
    return 0;
}
