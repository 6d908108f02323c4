/* bench_growth.c: `ligo bench growth`, the paper's comparison at small
 * scale (Tables 1-2, Figures 2-3 of Wang et al. 2023).
 *
 * For each family it trains a small model once (cached as a checkpoint),
 * then trains the large model (2x depth, 2x width) with every growth
 * method on the same data order, schedule and budget, evaluating the
 * validation loss every few steps. A method's cost is the FLOPs (and wall
 * time) it needs to reach scratch's final validation loss, counting the
 * operator's fitting (DESIGN 4.7):
 *
 *     saving = 1 - FLOPs(method to reach scratch's final loss) / FLOPs(scratch run)
 *
 * Outputs: a Markdown table, the curves as CSV, an SVG chart per family,
 * and one JSON line. */
#include "../ligo.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tool.h"

#define MAX_POINTS 512
#define MAX_SEEDS 8

typedef struct family_setup {
    ligo_family family;
    ligo_config small, large;
    int64_t small_steps, large_steps, batch, ctx, eval_every, eval_windows;
    float small_lr, large_lr;
    int64_t fit_steps;
    float fit_lr;
} family_setup;

typedef struct curve {
    int64_t n;
    double flops[MAX_POINTS], seconds[MAX_POINTS], loss[MAX_POINTS], acc[MAX_POINTS];
    double op_flops, op_seconds;
    int ok;
    char error[256];
} curve;

typedef struct bench_opts {
    int quick, demo;
    int n_seeds;
    const char *out_dir, *text, *images;
    int families[LIGO_FAMILY_COUNT];
    int methods[LIGO_GROW_COUNT];
    int64_t steps_override, small_steps_override;
    int threads;
    int quiet;
    /* operator settings (the study): < 0 keeps the defaults */
    int64_t fit_steps;
    double fit_lr, large_lr;
    int full_width, depth_init, width_init, width_first, residual;
    const char *tag;
} bench_opts;

static ligo_config mk_cfg(ligo_family f, int64_t L, int64_t D, int64_t H, int64_t T) {
    ligo_config c = ligo_config_default(f);
    c.n_layer = L;
    c.d_model = D;
    c.n_head = H;
    c.d_ff = 4 * D;
    if (f != LIGO_VIT) c.ctx_len = T;
    return c;
}

/* Sizes: the large model is twice as deep and twice as wide as the small
 * one, with the same head dimension. Chosen so the full benchmark takes
 * about an hour on two cores and --quick about ten minutes. */
static family_setup setup_for(ligo_family f, const bench_opts *o) {
    family_setup s;
    memset(&s, 0, sizeof s);
    s.family = f;
    s.small = mk_cfg(f, 2, 64, 2, 64);
    s.large = mk_cfg(f, 4, 128, 4, 64);
    s.ctx = 64;
    s.batch = f == LIGO_VIT ? 32 : 8;
    /* the small model sees fewer steps than the large one: scratch must be
     * able to end well below it, as in the paper's setting */
    s.small_steps = o->quick ? 300 : 400;
    s.large_steps = o->quick ? 300 : 500;
    s.eval_every = o->quick ? 30 : 50;
    s.eval_windows = f == LIGO_VIT ? 1000 : 64;
    s.small_lr = 3e-3f;
    s.large_lr = 1e-3f;
    s.fit_steps = 30;
    s.fit_lr = 1e-3f;
    if (o->demo) {
        s.small_steps = 300;
        s.large_steps = 300;
        s.eval_every = 30;
    }
    if (o->fit_steps >= 0) s.fit_steps = o->fit_steps;
    if (o->fit_lr > 0) s.fit_lr = (float)o->fit_lr;
    if (o->large_lr > 0) s.large_lr = (float)o->large_lr;
    if (o->steps_override > 0) s.large_steps = o->steps_override;
    if (o->small_steps_override > 0) s.small_steps = o->small_steps_override;
    if (s.eval_every > s.large_steps) s.eval_every = s.large_steps;
    return s;
}

static ligo_ctx *bench_ctx(const bench_opts *o) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = o->threads;
    return ligo_ctx_new(&p);
}

static ligo_train_config train_cfg(const family_setup *s, int64_t steps, float lr, uint64_t seed) {
    ligo_train_config tc = ligo_train_config_default();
    tc.steps = steps;
    tc.batch = s->batch;
    tc.ctx = s->ctx;
    tc.sched.lr_max = lr;
    tc.sched.lr_min = lr * 0.1f;
    tc.sched.warmup = steps / 10;
    tc.seed = seed;
    tc.eval_windows = s->eval_windows;
    tc.progress = 0;
    return tc;
}

static const char *data_path(const bench_opts *o, ligo_family f) { return f == LIGO_VIT ? o->images : o->text; }

/* The small model: trained once per family and cached in the out dir. */
static int small_model(const bench_opts *o, const family_setup *s, char *path, size_t n, double *flops,
                       double *seconds, double *val) {
    ligo_ctx *ctx = bench_ctx(o);
    ligo_safetensors st;
    ligo_data d;
    ligo_model *m;
    ligo_trainer *tr;
    ligo_train_config tc;
    ligo_eval_result ev;
    snprintf(path, n, "%s/small_%s%s.safetensors", o->out_dir, ligo_family_name(s->family), o->demo ? "_demo" : o->quick ? "_quick" : "");
    *flops = *seconds = 0.0;
    *val = -1.0;
    if (ligo_st_read(ctx, path, &st) == LIGO_OK && ligo_st_get_meta(&st, "ligo.train.flops")) {
        ligo_config c;
        if (ligo_config_from_st(ctx, &st, &c) == LIGO_OK && c.n_layer == s->small.n_layer && c.d_model == s->small.d_model &&
            ligo_st_get_meta(&st, "ligo.train.step") &&
            strtoll(ligo_st_get_meta(&st, "ligo.train.step"), NULL, 10) == s->small_steps) {
            *flops = strtod(ligo_st_get_meta(&st, "ligo.train.flops"), NULL);
            *seconds = strtod(ligo_st_get_meta(&st, "ligo.train.seconds"), NULL);
            if (ligo_st_get_meta(&st, "bench.val_loss")) *val = strtod(ligo_st_get_meta(&st, "bench.val_loss"), NULL);
            ligo_ctx_free(ctx);
            if (!o->quiet) fprintf(stderr, "bench: %s small model from cache %s\n", ligo_family_name(s->family), path);
            return 0;
        }
    }
    ligo_clear_error(ctx);
    if (!o->quiet)
        fprintf(stderr, "bench: training the %s small model (%lld x %lld, %lld steps)\n", ligo_family_name(s->family),
                (long long)s->small.n_layer, (long long)s->small.d_model, (long long)s->small_steps);
    if (ligo_data_load(ctx, s->family, data_path(o, s->family), &d) != LIGO_OK) goto fail;
    m = ligo_model_new(ctx, &s->small);
    if (!m) goto fail;
    ligo_model_init(m, 1);
    tc = train_cfg(s, s->small_steps, s->small_lr, 7);
    tc.progress = !o->quiet;
    tr = ligo_trainer_new(ctx, m, &d, &tc);
    if (!tr || ligo_trainer_run(ctx, tr) != LIGO_OK) goto fail;
    if (ligo_evaluate(ctx, m, &d, s->ctx, s->batch, s->eval_windows, &ev) != LIGO_OK) goto fail;
    *flops = tr->train_flops;
    *seconds = tr->seconds;
    *val = ev.loss;
    {
        /* the trainer's checkpoint plus the validation loss */
        ligo_safetensors out;
        ligo_mark mk = ligo_scratch_mark(ctx);
        char v[64];
        int64_t shape[1];
        ligo_st_init(&out);
        if (ligo_model_to_st(ctx, m, &out) != LIGO_OK) goto fail;
        snprintf(v, sizeof v, "%lld", (long long)tr->step);
        ligo_st_set_meta(ctx, &out, "ligo.train.step", v);
        snprintf(v, sizeof v, "%.17g", tr->train_flops);
        ligo_st_set_meta(ctx, &out, "ligo.train.flops", v);
        snprintf(v, sizeof v, "%.17g", tr->seconds);
        ligo_st_set_meta(ctx, &out, "ligo.train.seconds", v);
        snprintf(v, sizeof v, "%.9g", ev.loss);
        ligo_st_set_meta(ctx, &out, "bench.val_loss", v);
        (void)shape;
        if (ligo_st_write(ctx, path, &out) != LIGO_OK) goto fail;
        ligo_scratch_rewind(ctx, mk);
    }
    ligo_ctx_free(ctx);
    return 0;
fail:
    fprintf(stderr, "bench: %s small model: %s\n", ligo_family_name(s->family), ligo_get_error(ctx));
    ligo_ctx_free(ctx);
    return 1;
}

/* One large run: grow (or initialise), then train, evaluating every
 * eval_every steps; the first point is the model right after growth. */
static void run_method(const bench_opts *o, const family_setup *s, const char *small_path, ligo_grow_method method,
                       int seed, curve *cv) {
    ligo_ctx *ctx = bench_ctx(o);
    ligo_data d;
    ligo_model *small, *big;
    ligo_grow_config gc = ligo_grow_config_default(method);
    ligo_grow *g;
    ligo_trainer *tr;
    ligo_train_config tc;
    ligo_eval_result ev;
    memset(cv, 0, sizeof *cv);
    if (ligo_data_load(ctx, s->family, data_path(o, s->family), &d) != LIGO_OK) goto fail;
    small = ligo_model_load(ctx, small_path);
    if (!small) goto fail;
    gc.seed = (uint64_t)(100 + seed);
    gc.fit_steps = s->fit_steps;
    gc.fit_lr = s->fit_lr;
    if (o->full_width) gc.full_width = 1;
    if (o->width_first) gc.width_first = 1;
    if (o->residual) gc.residual = 1;
    if (o->depth_init >= 0) gc.depth_init = (ligo_depth_init)o->depth_init;
    if (o->width_init >= 0) gc.width_init = (ligo_width_init)o->width_init;
    gc.batch = s->batch;
    gc.ctx = s->ctx;
    g = ligo_grow_new(ctx, small, &s->large, &gc);
    if (!g || ligo_grow_fit(ctx, g, &d) != LIGO_OK) goto fail;
    big = ligo_grow_apply(ctx, g);
    if (!big) goto fail;
    cv->op_flops = g->fit_flops;
    cv->op_seconds = g->fit_seconds;
    tc = train_cfg(s, s->large_steps, s->large_lr, (uint64_t)(1000 + seed)); /* same data order for every method */
    tr = ligo_trainer_new(ctx, big, &d, &tc);
    if (!tr) goto fail;
    for (;;) {
        if (tr->step % s->eval_every == 0 || tr->step == s->large_steps) {
            if (ligo_evaluate(ctx, big, &d, s->ctx, s->batch, s->eval_windows, &ev) != LIGO_OK) goto fail;
            if (cv->n < MAX_POINTS) {
                cv->flops[cv->n] = cv->op_flops + tr->train_flops;
                cv->seconds[cv->n] = cv->op_seconds + tr->seconds;
                cv->loss[cv->n] = ev.loss;
                cv->acc[cv->n] = ev.accuracy;
                cv->n++;
            }
        }
        if (tr->step >= s->large_steps) break;
        if (ligo_trainer_step(ctx, tr, NULL) != LIGO_OK) goto fail;
    }
    cv->ok = 1;
    ligo_ctx_free(ctx);
    return;
fail:
    snprintf(cv->error, sizeof cv->error, "%s", ligo_get_error(ctx));
    fprintf(stderr, "bench: %s %s seed %d: %s\n", ligo_family_name(s->family), ligo_grow_method_name(method), seed,
            cv->error);
    ligo_ctx_free(ctx);
}

/* FLOPs and seconds at which a curve first reaches `target` (loss at or
 * below, or accuracy at or above), interpolated between evaluations;
 * -1 when it never does. */
static void reach(const curve *c, double target, int use_acc, double *flops, double *secs) {
    int64_t i;
    *flops = *secs = -1.0;
    for (i = 0; i < c->n; i++) {
        double v = use_acc ? c->acc[i] : c->loss[i];
        int hit = use_acc ? v >= target : v <= target;
        if (!hit) continue;
        if (i == 0) {
            *flops = c->flops[0];
            *secs = c->seconds[0];
        } else {
            double p = use_acc ? c->acc[i - 1] : c->loss[i - 1];
            double t = (p - target) / (p - v);
            if (!(t >= 0.0 && t <= 1.0)) t = 1.0;
            *flops = c->flops[i - 1] + t * (c->flops[i] - c->flops[i - 1]);
            *secs = c->seconds[i - 1] + t * (c->seconds[i] - c->seconds[i - 1]);
        }
        return;
    }
}

typedef struct summary {
    int reached, runs;
    double save_flops[MAX_SEEDS], save_secs[MAX_SEEDS], save_acc_flops[MAX_SEEDS];
    int n_acc;
    double final_loss[MAX_SEEDS], final_acc[MAX_SEEDS], grown_loss[MAX_SEEDS];
} summary;

static void mean_std(const double *x, int n, double *mean, double *sd) {
    int i;
    double s = 0, s2 = 0;
    *mean = *sd = 0.0;
    if (n < 1) return;
    for (i = 0; i < n; i++) s += x[i];
    *mean = s / n;
    for (i = 0; i < n; i++) s2 += (x[i] - *mean) * (x[i] - *mean);
    *sd = n > 1 ? sqrt(s2 / (n - 1)) : 0.0;
}

/* ------------------------------------------------------------------ SVG */

static const char *palette[LIGO_GROW_COUNT] = {"#444444", "#1f77b4", "#17becf", "#ff7f0e",
                                               "#9467bd", "#d62728", "#e377c2", "#2ca02c"};

/* Validation loss against FLOPs, one line per method (mean over seeds),
 * scratch's final loss as a dashed horizontal line. */
static int write_svg(const char *path, const char *title, curve (*cv)[LIGO_GROW_COUNT], int n_seeds,
                     const bench_opts *o, double target) {
    FILE *f = fopen(path, "w");
    const double W = 760, H = 480, L = 70, R = 180, T = 40, Bm = 60;
    double xmax = 0, ymin = 1e30, ymax = -1e30;
    int m, s, k;
    int64_t i;
    if (!f) return 1;
    for (m = 0; m < LIGO_GROW_COUNT; m++) {
        if (!o->methods[m]) continue;
        for (s = 0; s < n_seeds; s++)
            for (i = 0; i < cv[s][m].n; i++) {
                xmax = cv[s][m].flops[i] > xmax ? cv[s][m].flops[i] : xmax;
                ymin = cv[s][m].loss[i] < ymin ? cv[s][m].loss[i] : ymin;
                ymax = cv[s][m].loss[i] > ymax ? cv[s][m].loss[i] : ymax;
            }
    }
    if (xmax <= 0 || ymax < ymin) {
        fclose(f);
        return 1;
    }
    {
        /* the interesting range: clip the first points' high losses */
        double hi = target + 2.0 * (target - ymin) + 0.3;
        if (ymax > hi) ymax = hi;
        ymin -= 0.02 * (ymax - ymin);
    }
#define X(v) (L + (W - L - R) * (v) / xmax)
#define Y(v) (T + (H - T - Bm) * (1.0 - ((v) - ymin) / (ymax - ymin)))
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" "
               "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H);
    fprintf(f, "<text x=\"%.0f\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">%s</text>\n", (L + W - R) / 2, title);
    fprintf(f, "<defs><clipPath id=\"plot\"><rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\"/></clipPath></defs>\n",
            L, T, W - L - R, H - T - Bm);
    for (k = 0; k <= 5; k++) { /* grid and ticks */
        double xv = xmax * k / 5, yv = ymin + (ymax - ymin) * k / 5;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#ddd\"/>\n", X(xv), T, X(xv), H - Bm);
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.2g</text>\n", X(xv), H - Bm + 16, xv);
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, Y(yv), W - R, Y(yv));
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>\n", L - 6, Y(yv) + 4, yv);
    }
    fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"black\"/>\n", L, T,
            W - L - R, H - T - Bm);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">training FLOPs (operator fitting included)</text>\n",
            (L + W - R) / 2, H - 18);
    fprintf(f, "<text x=\"18\" y=\"%.0f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.0f)\">validation loss (nats)</text>\n",
            (T + H - Bm) / 2, (T + H - Bm) / 2);
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"black\" stroke-dasharray=\"6 4\"/>\n", L,
            Y(target), W - R, Y(target));
    k = 0;
    for (m = 0; m < LIGO_GROW_COUNT; m++) {
        int64_t n = 0;
        if (!o->methods[m]) continue;
        for (s = 0; s < n_seeds; s++) n = (s == 0 || cv[s][m].n < n) ? cv[s][m].n : n;
        if (n == 0) continue;
        fprintf(f, "<polyline clip-path=\"url(#plot)\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", palette[m]);
        for (i = 0; i < n; i++) {
            double x = 0, y = 0;
            for (s = 0; s < n_seeds; s++) {
                x += cv[s][m].flops[i];
                y += cv[s][m].loss[i];
            }
            fprintf(f, "%.1f,%.1f ", X(x / n_seeds), Y(y / n_seeds));
        }
        fprintf(f, "\"/>\n");
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"3\"/>\n", W - R + 15,
                T + 10 + 20.0 * k, W - R + 40, T + 10 + 20.0 * k, palette[m]);
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", W - R + 46, T + 14 + 20.0 * k,
                ligo_grow_method_name((ligo_grow_method)m));
        k++;
    }
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\" stroke-dasharray=\"6 4\"/>\n",
            W - R + 15, T + 10 + 20.0 * k, W - R + 40, T + 10 + 20.0 * k);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">scratch's final loss</text>\n", W - R + 46, T + 14 + 20.0 * k);
    fprintf(f, "</svg>\n");
#undef X
#undef Y
    return fclose(f) != 0;
}

/* ------------------------------------------------------------ the bench */

int cmd_bench(int argc, char **argv) {
    bench_opts o;
    static curve cv[LIGO_FAMILY_COUNT][MAX_SEEDS][LIGO_GROW_COUNT];
    summary sum[LIGO_FAMILY_COUNT][LIGO_GROW_COUNT];
    double small_flops[LIGO_FAMILY_COUNT], small_secs[LIGO_FAMILY_COUNT], small_val[LIGO_FAMILY_COUNT];
    double target_loss[LIGO_FAMILY_COUNT];
    char md_path[1024], csv_path[1024], svg_path[LIGO_FAMILY_COUNT][1024];
    FILE *md, *csv;
    int f, m, s, i, first, failed = 0;
    double t_start = ligo_time_sec();
    const char *fam_list = NULL, *method_list = NULL;
    int64_t seeds = 3, steps = 0, small_steps = 0, threads = 0, fit_steps = -1;
    double fit_lr = 0.0, large_lr = 0.0;
    const char *depth_init = NULL, *width_init = NULL, *tag = "";
    int quick = 0, demo = 0, quiet = 0, full_width = 0, width_first = 0, residual = 0, r;
    tool_opt opts[] = {
        {"--quick", 'b', &quick, 0, 0, "about ten minutes: fewer steps, one seed"},
        {"--demo", 'b', &demo, 0, 0, "the make demo run: GPT, scratch / stack / ligo, on --text"},
        {"--families", 's', &fam_list, 0, 0, "comma-separated: gpt,bert,vit (all)"},
        {"--methods", 's', &method_list, 0, 0, "comma-separated growth methods (all)"},
        {"--seeds", 'i', &seeds, 1, MAX_SEEDS, "seeds per method (3; --quick 1)"},
        {"--steps", 'i', &steps, 0, 1e9, "large-model training steps (per family default)"},
        {"--small-steps", 'i', &small_steps, 0, 1e9, "small-model training steps (per family default)"},
        {"--out", 's', &o.out_dir, 0, 0, "output directory (bench_out)"},
        {"--text", 's', &o.text, 0, 0, "text for GPT and BERT (../shared/data/tinyshakespeare.txt)"},
        {"--images", 's', &o.images, 0, 0, "Fashion-MNIST directory (/usr/share/datasets/fashion-mnist)"},
        {"--threads", 'i', &threads, 0, 1024, "threads (0 = all cores)"},
        {"--quiet", 'b', &quiet, 0, 0, "no progress"},
        {"--fit-steps", 'i', &fit_steps, 0, 1e9, "operator fitting steps (30)"},
        {"--fit-lr", 'f', &fit_lr, 0, 10, "operator learning rate (1e-3)"},
        {"--full-width", 'b', &full_width, 0, 0, "learn the full width matrices, not [I; C]"},
        {"--depth-init", 's', &depth_init, 0, 0, "stack | interlace | rand (stack)"},
        {"--width-init", 's', &width_init, 0, 0, "rand | sel | sel_noisy (rand)"},
        {"--width-first", 'b', &width_first, 0, 0, "widen each small layer first, then blend (Algorithm 1)"},
        {"--residual", 'b', &residual, 0, 0, "learn an additive term per large tensor"},
        {"--lr", 'f', &large_lr, 0, 10, "large-model peak learning rate (1e-3)"},
        {"--tag", 's', &tag, 0, 0, "suffix for the output file names (a study's variants)"},
        {NULL, 0, NULL, 0, 0, NULL}};
    memset(&o, 0, sizeof o);
    o.out_dir = "bench_out";
    o.text = "../shared/data/tinyshakespeare.txt";
    o.images = "/usr/share/datasets/fashion-mnist";
    if (argc < 1 || strcmp(argv[0], "growth") != 0) {
        if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
            printf("usage: ligo bench growth [options]   (ligo bench growth --help)\n");
            return 0;
        }
        fprintf(stderr, "ligo bench: the benchmark is 'growth' (ligo bench growth --help)\n");
        return 2;
    }
    r = tool_parse("bench growth", "Grow small models into 2x deeper, 2x wider ones with every method and compare the\n"
                   "FLOPs each needs to reach the scratch run's final validation loss.", argc - 1, argv + 1, opts);
    if (r) return r == 1 ? 0 : r;
    o.quick = quick;
    o.demo = demo;
    o.quiet = quiet;
    o.threads = (int)threads;
    o.fit_steps = fit_steps;
    o.fit_lr = fit_lr;
    o.large_lr = large_lr;
    o.full_width = full_width;
    o.width_first = width_first;
    o.residual = residual;
    o.tag = tag;
    o.depth_init = o.width_init = -1;
    if (depth_init) {
        if (strcmp(depth_init, "stack") == 0) o.depth_init = LIGO_DEPTH_STACK;
        else if (strcmp(depth_init, "interlace") == 0) o.depth_init = LIGO_DEPTH_INTERLACE;
        else if (strcmp(depth_init, "rand") == 0) o.depth_init = LIGO_DEPTH_RAND;
        else {
            fprintf(stderr, "ligo bench growth: --depth-init: '%s' is not stack, interlace or rand\n", depth_init);
            return 2;
        }
    }
    if (width_init) {
        if (strcmp(width_init, "rand") == 0) o.width_init = LIGO_WIDTH_RAND;
        else if (strcmp(width_init, "sel") == 0) o.width_init = LIGO_WIDTH_SEL;
        else if (strcmp(width_init, "sel_noisy") == 0) o.width_init = LIGO_WIDTH_SEL_NOISY;
        else {
            fprintf(stderr, "ligo bench growth: --width-init: '%s' is not rand, sel or sel_noisy\n", width_init);
            return 2;
        }
    }
    o.steps_override = steps;
    o.small_steps_override = small_steps;
    o.n_seeds = (quick || demo) && seeds == 3 ? 1 : (int)seeds;
    for (f = 0; f < LIGO_FAMILY_COUNT; f++) o.families[f] = fam_list ? strstr(fam_list, ligo_family_name((ligo_family)f)) != NULL : !demo || f == LIGO_GPT;
    for (m = 0; m < LIGO_GROW_COUNT; m++) {
        const char *name = ligo_grow_method_name((ligo_grow_method)m);
        if (method_list) {
            /* whole names only: "ligo" must not select "ligo-depth" */
            const char *p = method_list;
            size_t n = strlen(name);
            o.methods[m] = 0;
            while ((p = strstr(p, name)) != NULL) {
                if ((p == method_list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) o.methods[m] = 1;
                p += n;
            }
        } else {
            o.methods[m] = !demo || m == LIGO_GROW_SCRATCH || m == LIGO_GROW_STACK || m == LIGO_GROW_LIGO;
        }
    }
    if (!o.methods[LIGO_GROW_SCRATCH]) {
        fprintf(stderr, "ligo bench growth: scratch must be among the methods (it sets the target)\n");
        return 2;
    }
    if (mkdir(o.out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "ligo bench growth: cannot create %s: %s\n", o.out_dir, strerror(errno));
        return 1;
    }
    snprintf(csv_path, sizeof csv_path, "%s/curves%s%s.csv", o.out_dir, demo ? "_demo" : quick ? "_quick" : "", o.tag);
    snprintf(md_path, sizeof md_path, "%s/growth%s%s.md", o.out_dir, demo ? "_demo" : quick ? "_quick" : "", o.tag);
    csv = fopen(csv_path, "w");
    if (!csv) {
        fprintf(stderr, "ligo bench growth: cannot write %s\n", csv_path);
        return 1;
    }
    fprintf(csv, "family,seed,method,point,flops,seconds,val_loss,val_acc\n");
    memset(sum, 0, sizeof sum);
    for (f = 0; f < LIGO_FAMILY_COUNT; f++) {
        family_setup st;
        char small_path[1024];
        if (!o.families[f]) continue;
        st = setup_for((ligo_family)f, &o);
        if (small_model(&o, &st, small_path, sizeof small_path, &small_flops[f], &small_secs[f], &small_val[f])) {
            o.families[f] = 0;
            failed++;
            continue;
        }
        for (s = 0; s < o.n_seeds; s++)
            for (m = 0; m < LIGO_GROW_COUNT; m++) {
                curve *c = &cv[f][s][m];
                if (!o.methods[m]) continue;
                if (!quiet)
                    fprintf(stderr, "bench: %s seed %d %-10s ... (%.0f s so far)\n", ligo_family_name((ligo_family)f), s,
                            ligo_grow_method_name((ligo_grow_method)m), ligo_time_sec() - t_start);
                run_method(&o, &st, small_path, (ligo_grow_method)m, s, c);
                if (!c->ok) failed++;
                for (i = 0; i < c->n; i++)
                    fprintf(csv, "%s,%d,%s,%d,%.6g,%.4f,%.6f,%.6f\n", ligo_family_name((ligo_family)f), s,
                            ligo_grow_method_name((ligo_grow_method)m), i, c->flops[i], c->seconds[i], c->loss[i],
                            c->acc[i]);
                fflush(csv);
            }
        /* savings against each seed's scratch run */
        target_loss[f] = 0.0;
        for (s = 0; s < o.n_seeds; s++) {
            const curve *sc = &cv[f][s][LIGO_GROW_SCRATCH];
            double tl, ta = -1.0, total_f, total_s;
            if (!sc->ok || sc->n == 0) continue;
            tl = sc->loss[sc->n - 1];
            ta = sc->acc[sc->n - 1];
            total_f = sc->flops[sc->n - 1];
            total_s = sc->seconds[sc->n - 1];
            target_loss[f] += tl / o.n_seeds;
            for (m = 0; m < LIGO_GROW_COUNT; m++) {
                const curve *c = &cv[f][s][m];
                summary *u = &sum[f][m];
                double rf, rs;
                if (!o.methods[m] || !c->ok) continue;
                u->final_loss[u->runs] = c->loss[c->n - 1];
                u->final_acc[u->runs] = c->acc[c->n - 1];
                u->grown_loss[u->runs] = c->loss[0];
                u->runs++;
                reach(c, tl, 0, &rf, &rs);
                if (rf >= 0) {
                    u->save_flops[u->reached] = 1.0 - rf / total_f;
                    u->save_secs[u->reached] = 1.0 - rs / total_s;
                    u->reached++;
                }
                if (f == LIGO_VIT && ta >= 0) {
                    reach(c, ta, 1, &rf, &rs);
                    if (rf >= 0) u->save_acc_flops[u->n_acc++] = 1.0 - rf / total_f;
                }
            }
        }
        snprintf(svg_path[f], sizeof svg_path[f], "%s/%s%s%s.svg", o.out_dir, ligo_family_name((ligo_family)f),
                 demo ? "_demo" : quick ? "_quick" : "", o.tag);
        {
            char title[256];
            snprintf(title, sizeof title, "%s: %lldx%lld grown to %lldx%lld (mean of %d seed%s)",
                     ligo_family_name((ligo_family)f), (long long)st.small.n_layer, (long long)st.small.d_model,
                     (long long)st.large.n_layer, (long long)st.large.d_model, o.n_seeds, o.n_seeds > 1 ? "s" : "");
            curve (*rows)[LIGO_GROW_COUNT] = cv[f];
            if (write_svg(svg_path[f], title, rows, o.n_seeds, &o, target_loss[f]))
                fprintf(stderr, "bench: could not write %s\n", svg_path[f]);
        }
    }
    fclose(csv);

    /* the table, on stdout and in Markdown */
    md = fopen(md_path, "w");
    for (i = 0; i < 2; i++) {
        FILE *out = i == 0 ? stdout : md;
        if (!out) continue;
        fprintf(out, "%s# Growth benchmark%s\n\n", i == 0 ? "" : "", o.quick ? " (--quick)" : o.demo ? " (demo)" : "");
        for (f = 0; f < LIGO_FAMILY_COUNT; f++) {
            family_setup st;
            if (!o.families[f]) continue;
            st = setup_for((ligo_family)f, &o);
            fprintf(out, "## %s: %lld layers x %lld -> %lld layers x %lld, %d seed%s\n\n", ligo_family_name((ligo_family)f),
                    (long long)st.small.n_layer, (long long)st.small.d_model, (long long)st.large.n_layer,
                    (long long)st.large.d_model, o.n_seeds, o.n_seeds > 1 ? "s" : "");
            fprintf(out, "Small model: %.3g FLOPs, %.0f s of training (not counted below), validation loss %.4f.\n"
                         "Target: scratch's final validation loss, %.4f (mean over seeds).\n\n",
                    small_flops[f], small_secs[f], small_val[f], target_loss[f]);
            fprintf(out, "| method | loss after growth | final loss | FLOPs saved | wall time saved | reached |%s\n",
                    f == LIGO_VIT ? " final accuracy | FLOPs saved (accuracy) |" : "");
            fprintf(out, "|---|---|---|---|---|---|%s\n", f == LIGO_VIT ? "---|---|" : "");
            for (m = 0; m < LIGO_GROW_COUNT; m++) {
                const summary *u = &sum[f][m];
                double a, b, c, d;
                if (!o.methods[m]) continue;
                mean_std(u->grown_loss, u->runs, &a, &b);
                fprintf(out, "| %s | %.4f | ", ligo_grow_method_name((ligo_grow_method)m), a);
                mean_std(u->final_loss, u->runs, &a, &b);
                fprintf(out, "%.4f | ", a);
                if (u->reached) {
                    mean_std(u->save_flops, u->reached, &a, &b);
                    mean_std(u->save_secs, u->reached, &c, &d);
                    fprintf(out, "%.1f%% ± %.1f | %.1f%% ± %.1f | %d/%d |", 100 * a, 100 * b, 100 * c, 100 * d, u->reached,
                            u->runs);
                } else {
                    fprintf(out, "never | never | 0/%d |", u->runs);
                }
                if (f == LIGO_VIT) {
                    mean_std(u->final_acc, u->runs, &a, &b);
                    fprintf(out, " %.4f |", a);
                    if (u->n_acc) {
                        mean_std(u->save_acc_flops, u->n_acc, &a, &b);
                        fprintf(out, " %.1f%% ± %.1f |", 100 * a, 100 * b);
                    } else {
                        fprintf(out, " never |");
                    }
                }
                fprintf(out, "\n");
            }
            fprintf(out, "\nChart: %s\n\n", svg_path[f]);
        }
        fprintf(out, "Curves: %s. Total time %.0f s.\n", csv_path, ligo_time_sec() - t_start);
    }
    if (md) fclose(md);

    /* the JSON line */
    printf("{\"command\":\"bench growth\",\"quick\":%s,\"seeds\":%d,\"families\":{", o.quick ? "true" : "false", o.n_seeds);
    first = 1;
    for (f = 0; f < LIGO_FAMILY_COUNT; f++) {
        int fm = 1;
        if (!o.families[f]) continue;
        printf("%s\"%s\":{\"target_loss\":%.6f,\"small_flops\":%.6g,\"chart\":", first ? "" : ",",
               ligo_family_name((ligo_family)f), target_loss[f], small_flops[f]);
        tool_json_str(stdout, svg_path[f]);
        printf(",\"methods\":{");
        first = 0;
        for (m = 0; m < LIGO_GROW_COUNT; m++) {
            const summary *u = &sum[f][m];
            double a = 0, b = 0, c = 0, d = 0;
            if (!o.methods[m]) continue;
            if (u->reached) {
                mean_std(u->save_flops, u->reached, &a, &b);
                mean_std(u->save_secs, u->reached, &c, &d);
            }
            printf("%s\"%s\":{\"reached\":%d,\"runs\":%d,\"flops_saving\":%.4f,\"flops_saving_sd\":%.4f,"
                   "\"time_saving\":%.4f,\"time_saving_sd\":%.4f}",
                   fm ? "" : ",", ligo_grow_method_name((ligo_grow_method)m), u->reached, u->runs, a, b, c, d);
            fm = 0;
        }
        printf("}}");
    }
    printf("},\"table\":");
    tool_json_str(stdout, md_path);
    printf(",\"curves\":");
    tool_json_str(stdout, csv_path);
    printf(",\"failed\":%d,\"seconds\":%.1f}\n", failed, ligo_time_sec() - t_start);
    if (failed) {
        /* the tables leave the failed runs out; a script must not take
         * them for a complete benchmark */
        fprintf(stderr, "bench: %d run(s) failed (errors above)\n", failed);
        return 1;
    }
    return 0;
}
