/* bench/train_speed.c: ligo's full GPT training step (forward, backward,
 * clipping, AdamW) against the same model in plain PyTorch.
 *
 *   make bench-train        (or: build/bench_train [options])
 *
 * For configs S, M, L and XL of issue 7 and for 1 and 2 threads: tokens/s
 * (median of 20 steps after warm-up), achieved GFLOP/s from ligo's FLOP
 * counters, % of the FMA peak measured in the same run (as bench/gemm.c
 * does; before and after the runs, the higher of the two), peak memory (persistent arena + scratch high-water + the largest
 * GEMM packing buffers, i.e. what the step holds) and a per-op time
 * breakdown from ligo_profile_* over a few extra steps. When
 * /usr/bin/python3 imports torch, bench/torch_gpt.py runs the same model
 * (same init scheme, shapes, AdamW, clipping) in the same invocation, so
 * the ratio ligo/torch comes from one run. The last line is one JSON object.
 *
 * Options: --configs S,M,L,XL  --threads 1,2  --steps 20  --warmup 3
 *          --no-torch  --no-peak  --torch-script PATH
 *          --ops         per-op forward/backward milliseconds on stderr
 *          --rounds N    alternate ligo and torch runs N times (1..9) and
 *                        report each side's median: on a shared machine
 *                        the speed drifts over tens of seconds
 *          --fit-steps N LiGO fitting steps timed per config (10; 0: none):
 *                        the operator's step (small model of half the
 *                        layers, width and heads) against a plain step
 *          --check DIR   write weights and a batch of config S to DIR,
 *                        compute the loss before and after one step, and
 *                        compare with torch_gpt.py --check (exit 1 if
 *                        they differ by more than 1e-4 relative). */
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
    double torch_tok_s, torch_mem_mb, torch_pct_peak;
    int have_torch;
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

static int bench_have_torch(void) {
    return system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

/* Runs torch_gpt.py for one config; reads its last JSON line. */
static int bench_torch(const char *script, const bench_cfg *bc, int nth, int steps, int warmup, bench_result *r) {
    char cmd[1024], line[4096], last[4096];
    FILE *f;
    const char *s;
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s --config %s --threads %d --steps %d --warmup %d 2>&1", script,
             bc->name, nth, steps, warmup);
    f = popen(cmd, "r");
    if (!f) return 0;
    last[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '{') snprintf(last, sizeof last, "%s", line);
        else fputs(line, stderr);
    }
    if (pclose(f) != 0 || !last[0]) return 0;
    s = strstr(last, "\"tokens_per_s\":");
    if (!s) return 0;
    r->torch_tok_s = atof(s + 15);
    s = strstr(last, "\"peak_mb\":");
    r->torch_mem_mb = s ? atof(s + 10) : 0.0;
    r->have_torch = 1;
    return 1;
}

/* ------------------------------------------------------------ check */

static int bench_check(const char *dir, const char *script) {
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
    char path[1024], cmd[2048], line[4096], last[4096];
    double t_loss0 = 0, t_loss1 = 0;
    FILE *f;
    const char *s;
    int ok;
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
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s --check %s --config S 2>&1", script, path);
    f = popen(cmd, "r");
    if (!f) return 1;
    last[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '{') snprintf(last, sizeof last, "%s", line);
        else fputs(line, stderr);
    }
    if (pclose(f) != 0 || !last[0]) {
        fprintf(stderr, "bench_train: torch_gpt.py --check failed\n");
        return 1;
    }
    s = strstr(last, "\"loss0\":");
    if (s) t_loss0 = atof(s + 8);
    s = strstr(last, "\"loss1\":");
    if (s) t_loss1 = atof(s + 8);
    ok = fabs(t_loss0 - loss0) <= 1e-4 * fabs(t_loss0) && fabs(t_loss1 - loss1) <= 1e-4 * fabs(t_loss1);
    printf("check (config S, same weights and batch): loss before a step ligo %.6f torch %.6f; "
           "after one AdamW step ligo %.6f torch %.6f: %s\n",
           (double)loss0, t_loss0, (double)loss1, t_loss1, ok ? "same" : "DIFFERENT");
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
    int n_cfg = 0, n_th = 0, steps = 20, warmup = 3, use_torch = 1, use_peak = 1, rounds = 1, i, k, c, threads[4];
    const char *script = "bench/torch_gpt.py", *check_dir = NULL;
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
        else if (!strcmp(argv[i], "--no-torch")) use_torch = 0;
        else if (!strcmp(argv[i], "--ops")) bench_show_ops = 1;
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--fit-steps") && i + 1 < argc) bench_fit_steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-peak")) use_peak = 0; /* e.g. under valgrind */
        else if (!strcmp(argv[i], "--torch-script") && i + 1 < argc) script = argv[++i];
        else if (!strcmp(argv[i], "--check") && i + 1 < argc) check_dir = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--configs S,M,L,XL] [--threads 1,2] [--steps 20] [--warmup 3] [--no-torch] [--no-peak] [--ops] [--fit-steps 10] [--rounds 1]\n"
                            "       [--torch-script bench/torch_gpt.py] [--check DIR]\n", argv[0]);
            return 2;
        }
    }
    if (steps < 1) steps = 1;
    if (rounds < 1 || rounds > BENCH_MAX_ROUNDS) {
        fprintf(stderr, "bench_train: --rounds must be 1..%d\n", BENCH_MAX_ROUNDS);
        return 2;
    }
    if (warmup < 0) warmup = 0;
    if (check_dir) return bench_check(check_dir, script);
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
    if (use_torch && !bench_have_torch()) {
        printf("torch: /usr/bin/python3 cannot import torch; ligo figures only\n");
        use_torch = 0;
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
            double lt[BENCH_MAX_ROUNDS], tt[BENCH_MAX_ROUNDS];
            int q, nt = 0, fit_steps = bench_fit_steps;
            for (q = 0; q < rounds; q++) {
                memset(&rr[q], 0, sizeof rr[q]);
                bench_fit_steps = q == rounds - 1 ? fit_steps : 0; /* the fitting step in the last round */
                bench_ligo_forked(sel[c], threads[k], steps, warmup, 0.0, &rr[q]);
                if (use_torch) bench_torch(script, sel[c], threads[k], steps, warmup, &rr[q]);
                fprintf(stderr, "bench_train: %s, %d thread%s, round %d: ligo %.0f tok/s", sel[c]->name, threads[k],
                        threads[k] > 1 ? "s" : "", q + 1, rr[q].tok_s);
                if (rr[q].have_torch) fprintf(stderr, ", torch %.0f tok/s", rr[q].torch_tok_s);
                fprintf(stderr, "\n");
                lt[q] = rr[q].tok_s;
                if (rr[q].have_torch) tt[nt++] = rr[q].torch_tok_s;
            }
            bench_fit_steps = fit_steps;
            /* each side's median over the rounds: ligo's figures from its
             * median round, torch's median tok/s */
            qsort(lt, (size_t)rounds, sizeof lt[0], bench_cmp);
            for (q = 0; q < rounds; q++)
                if (rr[q].tok_s == lt[rounds / 2]) break;
            res[c][k] = rr[q];
            res[c][k].have_fit = rr[rounds - 1].have_fit;
            res[c][k].plain_mean_ms = rr[rounds - 1].plain_mean_ms;
            res[c][k].fit_ms = rr[rounds - 1].fit_ms;
            res[c][k].fit_flops_step = rr[rounds - 1].fit_flops_step;
            if (nt > 0) {
                qsort(tt, (size_t)nt, sizeof tt[0], bench_cmp);
                res[c][k].have_torch = 1;
                res[c][k].torch_tok_s = tt[nt / 2];
                for (q = 0; q < rounds; q++)
                    if (rr[q].have_torch && rr[q].torch_tok_s == tt[nt / 2]) res[c][k].torch_mem_mb = rr[q].torch_mem_mb;
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
    printf("\n\n");
    printf("%-3s %3s | %9s %8s %7s %6s %8s | %9s %8s %7s | breakdown %% (gemm attn ln gelu xent opt other; gemm includes fused bias and GELU)\n", "cfg",
           "thr", "tok/s", "step ms", "GFLOP/s", "%peak", "mem MB", "torch", "torch MB", "ratio");
    for (c = 0; c < n_cfg; c++) {
        for (k = 0; k < n_th; k++) {
            bench_result *r = &res[c][k];
            int q;
            r->pct_peak = peak[k] > 0 ? 100.0 * r->gflops / peak[k] : 0.0;
            if (r->have_torch)
                r->torch_pct_peak =
                    peak[k] > 0 ? 100.0 * r->flops_step * r->torch_tok_s / (double)(sel[c]->B * sel[c]->T) * 1e-9 / peak[k]
                                : 0.0;
            printf("%-3s %3d | %9.0f %8.2f %7.1f %5.1f%% %8.1f |", sel[c]->name, threads[k], r->tok_s, r->step_ms,
                   r->gflops, r->pct_peak, r->mem_mb);
            if (r->have_torch)
                printf(" %9.0f %8.1f %6.2fx |", r->torch_tok_s, r->torch_mem_mb, r->tok_s / r->torch_tok_s);
            else
                printf(" %9s %8s %7s |", "-", "-", "-");
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
    printf("\n{\"bench\":\"train_speed\",\"steps\":%d,\"peak_gflops\":{", steps);
    for (k = 0; k < n_th; k++) printf("%s\"%d\":%.2f", k ? "," : "", threads[k], peak[k]);
    printf("},\"runs\":[");
    for (c = 0; c < n_cfg; c++)
        for (k = 0; k < n_th; k++) {
            const bench_result *r = &res[c][k];
            int q;
            printf("%s{\"config\":\"%s\",\"threads\":%d,\"ligo_tok_s\":%.1f,\"ligo_gflops\":%.2f,\"ligo_pct_peak\":%.1f,"
                   "\"ligo_peak_mb\":%.1f,\"ligo_arena_mb\":%.1f,\"flops_per_step\":%.4g",
                   c || k ? "," : "", sel[c]->name, threads[k], r->tok_s, r->gflops, r->pct_peak, r->mem_mb,
                   r->arena_mb, r->flops_step);
            if (r->have_torch)
                printf(",\"torch_tok_s\":%.1f,\"torch_pct_peak\":%.1f,\"torch_peak_mb\":%.1f,\"ratio\":%.3f",
                       r->torch_tok_s, r->torch_pct_peak, r->torch_mem_mb, r->tok_s / r->torch_tok_s);
            else
                printf(",\"torch_tok_s\":null,\"ratio\":null");
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
