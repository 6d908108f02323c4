/* bench_growth.c: `ligo bench growth`, the paper's comparison (Wang et al.
 * 2023, Table 1 and Fig. 6) at small scale, as a measuring instrument.
 *
 * For each setting (depth only, width only, both) and family it trains a
 * small model once (cached), then, for every method and seed, grows the
 * large model and trains it for a budget of N steps under a
 * warmup-stable-decay schedule. Decay branches taken from the stable phase
 * at N k / K (k = 1..K) give each run an annealed loss at K budgets. All
 * methods meet at equal FLOPs: a method's fitting is converted into
 * training steps and taken off its budget. The report (bench_report.c)
 * gives the paired loss differences by seed with 95% t-intervals, the
 * FLOPs saved to reach scratch's annealed losses, the best baseline chosen
 * on one seed set and reported on another, tables, curves, charts and one
 * JSON line.
 *
 * Runs are independent: --jobs N runs N at once in child processes, one
 * thread each. Every run's measurements are cached in OUT/runs/ under a
 * hash of everything that decides them, so an interrupted benchmark
 * resumes where it stopped; scratch's runs, which never read the small
 * model, are keyed without the setting and shared by all three. */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L /* fork, waitpid, strtok_r */
#endif
#include "bench_growth.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if !defined(_WIN32) /* Windows has no fork: --jobs runs one job at a time */
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#define BG_FORK 1
#else
#define BG_FORK 0
#endif

#include "tool.h"

#define BG_VERSION "bg3" /* the protocol's version: part of every cache key */

static const char *bg__setting_names[BG_SETTING_COUNT] = {"depth", "width", "both"};

const char *bg_setting_name(bg_setting s) { return s >= 0 && s < BG_SETTING_COUNT ? bg__setting_names[s] : "?"; }

typedef struct bg_opts {
    int threads, jobs, quiet, fresh;
    const char *text, *images;
} bg_opts;

/* ------------------------------------------------------------ protocol */

static ligo_config bg_cfg(ligo_family f, int64_t L, int64_t D, int64_t head_dim, int64_t T) {
    ligo_config c = ligo_config_default(f);
    c.n_layer = L;
    c.d_model = D;
    c.n_head = D / head_dim;
    c.d_ff = f == LIGO_LLAMA ? 0 : 4 * D; /* llama: its own default, 8 D / 3 rounded up to 32 */
    if (f != LIGO_VIT) c.ctx_len = T;
    return c;
}

/* The sizes of each setting: the large model is 4 x 64 (4 heads of 16);
 * depth grows 2 x 64 -> 4 x 64, width 4 x 32 -> 4 x 64, both 2 x 32 ->
 * 4 x 64, with the head dimension kept (new units form new heads). */
static void bg_sizes(bg_proto *p, int64_t L, int64_t D) {
    int64_t hd = 16, T = 64;
    p->large = bg_cfg(p->family, L, D, hd, T);
    p->small = bg_cfg(p->family, p->setting == BG_WIDTH ? L : L / 2, p->setting == BG_DEPTH ? D : D / 2, hd, T);
    p->ctx = T;
}

/* FNV-1a 64 over a file's bytes (the data's identity in cache keys). */
static int bg_hash_file(const char *path, uint64_t *h) {
    FILE *f = fopen(path, "rb");
    unsigned char buf[65536];
    size_t n, i;
    if (!f) return 1;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (i = 0; i < n; i++) *h = (*h ^ buf[i]) * 1099511628211ULL;
    fclose(f);
    return 0;
}

static uint64_t bg_hash_str(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The data's identity: the text's bytes, or the four IDX files'. */
static int bg_data_id(const char *path, ligo_family f, char *out, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    if (f != LIGO_VIT) {
        if (bg_hash_file(path, &h)) return 1;
    } else {
        static const char *names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                       "t10k-labels-idx1-ubyte"};
        char p[1200];
        int i;
        for (i = 0; i < 4; i++) {
            snprintf(p, sizeof p, "%s/%s.gz", path, names[i]);
            if (bg_hash_file(p, &h)) {
                snprintf(p, sizeof p, "%s/%s", path, names[i]);
                if (bg_hash_file(p, &h)) return 1;
            }
        }
    }
    snprintf(out, n, "%016llx", (unsigned long long)h);
    return 0;
}

/* What decides the small model's numbers. */
static void bg_small_key(const bg_proto *p, char *k, size_t n) {
    const ligo_config *c = &p->small;
    snprintf(k, n, "%s small %s L%lld D%lld H%lld F%lld T%lld steps %lld lr %.9g batch %lld data %s ligo %s", BG_VERSION,
             ligo_family_name(p->family), (long long)c->n_layer, (long long)c->d_model, (long long)c->n_head,
             (long long)c->d_ff, (long long)p->ctx, (long long)p->small_steps, (double)p->small_lr, (long long)p->batch,
             p->data_id, LIGO_VERSION_STRING);
}

/* The options of an entry under a protocol. */
int64_t bg_fit_steps_of(const bg_proto *p, const bg_entry *e) { return e->fit_steps >= 0 ? e->fit_steps : p->fit_steps; }
static float bg_fit_lr(const bg_proto *p, const bg_entry *e) { return e->fit_lr >= 0 ? (float)e->fit_lr : p->fit_lr; }
static float bg_noise(const bg_proto *p, const bg_entry *e) { return e->noise >= 0 ? (float)e->noise : p->noise; }
static float bg_lr(const bg_proto *p, const bg_entry *e) { return e->lr > 0 ? (float)e->lr : p->lr; }
static int64_t bg_warmup(const bg_proto *p, const bg_entry *e) {
    int64_t w = e->grown_warmup >= 0 ? e->grown_warmup : p->grown_warmup;
    return e->method == LIGO_GROW_SCRATCH || w < 0 ? p->warmup : w;
}

/* A scratch run does not read the small model: the same large model,
 * data, seed and schedule give the same numbers in every setting, so its
 * key holds the data and the library's version (which the small model's
 * key carries for the other runs) in place of the small model, and no
 * setting, and one run serves depth, width and both (the file's name says
 * "any" in place of the setting). */
static int bg_shared_run(const bg_entry *e) { return e->method == LIGO_GROW_SCRATCH; }

/* The setting a run is filed under: "any" for a shared run. */
static const char *bg_run_setting(const bg_proto *p, const bg_entry *e) {
    return bg_shared_run(e) ? "any" : bg_setting_name(p->setting);
}

/* What decides a run's numbers. */
static void bg_run_key(const bg_proto *p, const bg_entry *e, int seed, const char *small_key, char *k, size_t n) {
    const ligo_config *c = &p->large;
    int shared = bg_shared_run(e);
    char no_small[200];
    snprintf(no_small, sizeof no_small, "no small model, data %s ligo %s", p->data_id, LIGO_VERSION_STRING);
    snprintf(k, n,
             "%s run [%.600s] %s %s L%lld D%lld H%lld F%lld method %s fit %lld %.9g %lld noise %.9g fw %d wf %d res %d "
             "di %d wi %d steps %lld batch %lld T %lld lr %.9g %.9g warmup %lld sched %s K %d decay %.9g evals %lld "
             "ew %lld eb %lld seed %d",
             BG_VERSION, shared ? no_small : small_key, bg_run_setting(p, e),
             ligo_family_name(p->family), (long long)c->n_layer,
             (long long)c->d_model, (long long)c->n_head, (long long)c->d_ff, ligo_grow_method_name(e->method),
             (long long)bg_fit_steps_of(p, e), (double)bg_fit_lr(p, e), (long long)p->fit_warmup, (double)bg_noise(p, e),
             p->full_width, p->width_first, p->residual, p->depth_init, p->width_init, (long long)p->steps,
             (long long)p->batch, (long long)p->ctx, (double)bg_lr(p, e), (double)p->lr_min, (long long)bg_warmup(p, e),
             p->cosine ? "cosine" : "wsd", p->n_branch, p->decay_frac, (long long)p->n_evals,
             (long long)p->eval_windows, (long long)p->eval_batch, seed);
}

static ligo_ctx *bg_ctx(const bg_opts *o) {
    ligo_ctx_params cp = ligo_ctx_params_default();
    cp.n_threads = o->threads;
    return ligo_ctx_new(&cp);
}

/* --------------------------------------------------------- small model */

static int bg_small_cached(const bg_proto *p, bg_small *sm, const char *key) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_safetensors st;
    const char *k, *f, *s, *v;
    int ok = 0;
    if (!ctx) return 0;
    if (ligo_st_read(ctx, sm->path, &st) == LIGO_OK) {
        k = ligo_st_get_meta(&st, "bench.key");
        f = ligo_st_get_meta(&st, "ligo.train.flops");
        s = ligo_st_get_meta(&st, "ligo.train.seconds");
        v = ligo_st_get_meta(&st, "bench.val_loss");
        if (k && f && s && v && strcmp(k, key) == 0) {
            sm->flops = strtod(f, NULL);
            sm->seconds = strtod(s, NULL);
            sm->val_loss = strtod(v, NULL);
            ok = 1;
        }
    }
    (void)p;
    ligo_ctx_free(ctx);
    return ok;
}

/* Train the small model (cosine, warm-up 10%) and save it with its
 * validation loss and cache key; 0 on success. */
static int bg_train_small(const bg_opts *o, const bg_proto *p, const char *path, const char *key) {
    ligo_ctx *ctx = bg_ctx(o);
    ligo_data d;
    ligo_model *m;
    ligo_trainer *tr;
    ligo_train_config tc = ligo_train_config_default();
    ligo_eval_result ev;
    ligo_safetensors st;
    char v[64];
    if (!ctx) return 1;
    if (ligo_data_load(ctx, p->family, p->data, &d) != LIGO_OK) goto fail;
    m = ligo_model_new(ctx, &p->small);
    if (!m) goto fail;
    ligo_model_init(m, 7);
    tc.steps = p->small_steps;
    tc.batch = p->batch;
    tc.ctx = p->ctx;
    tc.sched.lr_max = p->small_lr;
    tc.sched.lr_min = 0.1f * p->small_lr;
    tc.sched.warmup = p->small_steps / 10;
    tc.seed = 7;
    tc.progress = 0;
    tr = ligo_trainer_new(ctx, m, &d, &tc);
    if (!tr || ligo_trainer_run(ctx, tr) != LIGO_OK) goto fail;
    if (ligo_evaluate(ctx, m, &d, p->eval_batch, p->ctx, p->eval_windows, &ev) != LIGO_OK) goto fail;
    ligo_st_init(&st);
    if (ligo_model_to_st(ctx, m, &st) != LIGO_OK) goto fail;
    snprintf(v, sizeof v, "%lld", (long long)tr->step);
    ligo_st_set_meta(ctx, &st, "ligo.train.step", v);
    snprintf(v, sizeof v, "%.17g", tr->train_flops);
    ligo_st_set_meta(ctx, &st, "ligo.train.flops", v);
    snprintf(v, sizeof v, "%.17g", tr->seconds);
    ligo_st_set_meta(ctx, &st, "ligo.train.seconds", v);
    snprintf(v, sizeof v, "%.9g", ev.loss);
    ligo_st_set_meta(ctx, &st, "bench.val_loss", v);
    ligo_st_set_meta(ctx, &st, "bench.key", key);
    if (ligo_st_write(ctx, path, &st) != LIGO_OK) goto fail;
    ligo_ctx_free(ctx);
    return 0;
fail:
    fprintf(stderr, "bench: %s %s small model: %s\n", bg_setting_name(p->setting), ligo_family_name(p->family),
            ligo_get_error(ctx));
    ligo_ctx_free(ctx);
    return 1;
}

/* ----------------------------------------------------------------- runs */

/* The trainer's state, for a decay branch and back. */
typedef struct bg_snap {
    float *data, *m, *v;
    int64_t opt_step, step;
    ligo_rng rng;
    double flops, seconds;
    ligo_schedule sched;
} bg_snap;

static void bg_snap_take(bg_snap *s, const ligo_trainer *tr) {
    size_t n = (size_t)tr->model->n_floats * sizeof(float);
    memcpy(s->data, tr->model->data, n);
    memcpy(s->m, tr->opt->m, n);
    memcpy(s->v, tr->opt->v, n);
    s->opt_step = tr->opt->step;
    s->step = tr->step;
    s->rng = tr->rng;
    s->flops = tr->train_flops;
    s->seconds = tr->seconds;
    s->sched = tr->cfg.sched;
}

static void bg_snap_put(const bg_snap *s, ligo_trainer *tr) {
    size_t n = (size_t)tr->model->n_floats * sizeof(float);
    memcpy(tr->model->data, s->data, n);
    memcpy(tr->opt->m, s->m, n);
    memcpy(tr->opt->v, s->v, n);
    tr->opt->step = s->opt_step;
    tr->step = s->step;
    tr->rng = s->rng;
    tr->train_flops = s->flops;
    tr->seconds = s->seconds;
    tr->cfg.sched = s->sched;
}

static int bg_eval(ligo_ctx *ctx, const bg_proto *p, ligo_model *m, const ligo_data *d, double *loss, double *acc,
                   int64_t *count) {
    ligo_eval_result ev;
    if (ligo_evaluate(ctx, m, d, p->eval_batch, p->ctx, p->eval_windows, &ev) != LIGO_OK) return 1;
    if (count) *count = ev.count;
    if (!isfinite(ev.loss))
        return ligo_set_error(ctx, LIGO_ENONFINITE, "the validation loss is %g", ev.loss) != LIGO_OK;
    *loss = ev.loss;
    *acc = ev.accuracy;
    return 0;
}

static int bg_point(ligo_ctx *ctx, const bg_proto *p, ligo_trainer *tr, const ligo_data *d, bg_run *r) {
    int i = r->n;
    if (i >= BG_MAX_POINTS) return 0;
    if (bg_eval(ctx, p, tr->model, d, &r->loss[i], &r->acc[i], NULL)) return 1;
    r->steps[i] = tr->step;
    r->flops[i] = r->fit_flops + tr->train_flops;
    r->seconds[i] = r->fit_seconds + tr->seconds;
    r->n++;
    return 0;
}

static int bg_branch_point(ligo_ctx *ctx, const bg_proto *p, ligo_trainer *tr, const ligo_data *d, bg_run *r, int k) {
    if (bg_eval(ctx, p, tr->model, d, &r->b_loss[k], &r->b_acc[k], NULL)) return 1;
    r->b_steps[k] = tr->step;
    r->b_flops[k] = r->fit_flops + tr->train_flops;
    r->b_seconds[k] = r->fit_seconds + tr->seconds;
    if (k + 1 > r->n_branch) r->n_branch = k + 1;
    return 0;
}

static int bg_steps_to(ligo_ctx *ctx, ligo_trainer *tr, int64_t end) {
    while (tr->step < end)
        if (ligo_trainer_step(ctx, tr, NULL) != LIGO_OK) return 1;
    return 0;
}

/* Budgets in training steps of this run: branch k ends at end[k] = b_k -
 * offset and decays over the last dec[k] = decay_frac b_k steps. */
typedef struct bg_plan {
    int64_t end[BG_MAX_BRANCH], dec[BG_MAX_BRANCH];
} bg_plan;

static int bg_make_plan(ligo_ctx *ctx, const bg_proto *p, int64_t offset, bg_plan *pl) {
    int k;
    for (k = 0; k < p->n_branch; k++) {
        int64_t b = (p->steps * (k + 1) + p->n_branch / 2) / p->n_branch;
        pl->dec[k] = p->cosine ? 0 : (int64_t)floor(p->decay_frac * (double)b + 0.5);
        pl->end[k] = b - offset;
        if (pl->end[k] - pl->dec[k] < 1)
            return ligo_set_error(ctx, LIGO_EINVAL,
                                  "the fitting costs %lld training steps, more than branch %d's stable phase (%lld of "
                                  "its %lld steps): lower the fitting steps or raise the budget",
                                  (long long)offset, k + 1, (long long)(b - pl->dec[k]), (long long)b) != LIGO_OK;
    }
    return 0;
}

/* Train from the grown model `big`: the trunk with its evaluations and the
 * decay branches (WSD), or one cosine run per branch budget. */
static int bg_train(ligo_ctx *ctx, const bg_proto *p, const bg_entry *e, int seed, ligo_model *big, const ligo_data *d,
                    bg_run *r) {
    ligo_train_config tc = ligo_train_config_default();
    ligo_trainer *tr;
    bg_plan pl;
    bg_snap sn;
    float *init = NULL;
    int64_t next_eval = 1, trunk_end;
    int k, rc = 1, next_branch = 0;
    size_t nbytes = (size_t)big->n_floats * sizeof(float);
    memset(&sn, 0, sizeof sn);
    tc.steps = p->steps;
    tc.batch = p->batch;
    tc.ctx = p->ctx;
    tc.sched.lr_max = bg_lr(p, e);
    tc.sched.lr_min = p->lr_min;
    tc.sched.warmup = bg_warmup(p, e);
    tc.sched.decay = p->cosine ? LIGO_DECAY_COSINE : LIGO_DECAY_WSD;
    tc.seed = (uint64_t)(1000 + seed); /* the same data order for every method */
    tc.progress = 0;
    if (p->cosine) {
        init = (float *)malloc(nbytes);
        if (!init) return ligo_set_error(ctx, LIGO_ENOMEM, "out of memory") != LIGO_OK;
        memcpy(init, big->data, nbytes);
    }
    tr = ligo_trainer_new(ctx, big, d, &tc);
    if (!tr) goto done;
    /* one step first: the rate does not depend on the total yet, and its
     * FLOPs turn the fitting into training steps */
    if (ligo_trainer_step(ctx, tr, NULL) != LIGO_OK) goto done;
    r->step_flops = tr->train_flops;
    r->offset = r->fit_flops > 0 ? (int64_t)floor(r->fit_flops / r->step_flops + 0.5) : 0;
    if (bg_make_plan(ctx, p, r->offset, &pl)) goto done;
    trunk_end = pl.end[p->n_branch - 1];
    tr->cfg.sched.total = trunk_end;
    tr->cfg.sched.decay_steps = pl.dec[p->n_branch - 1];
    if (!p->cosine) {
        sn.data = (float *)malloc(nbytes);
        sn.m = (float *)malloc(nbytes);
        sn.v = (float *)malloc(nbytes);
        if (!sn.data || !sn.m || !sn.v) {
            ligo_set_error(ctx, LIGO_ENOMEM, "out of memory for a branch snapshot");
            goto done;
        }
    }
    /* trunk evaluations at i * trunk_end / n_evals, i = 1..n_evals */
    for (;;) {
        while (next_eval <= p->n_evals && (next_eval * trunk_end + p->n_evals / 2) / p->n_evals <= tr->step) {
            if ((next_eval * trunk_end + p->n_evals / 2) / p->n_evals == tr->step && bg_point(ctx, p, tr, d, r)) goto done;
            next_eval++;
        }
        if (!p->cosine && next_branch < p->n_branch - 1 && tr->step == pl.end[next_branch] - pl.dec[next_branch]) {
            bg_snap_take(&sn, tr);
            tr->cfg.sched.total = pl.end[next_branch];
            tr->cfg.sched.decay_steps = pl.dec[next_branch];
            if (bg_steps_to(ctx, tr, pl.end[next_branch]) || bg_branch_point(ctx, p, tr, d, r, next_branch)) goto done;
            bg_snap_put(&sn, tr);
            next_branch++;
            continue;
        }
        if (tr->step >= trunk_end) break;
        if (ligo_trainer_step(ctx, tr, NULL) != LIGO_OK) goto done;
    }
    if (r->n == 0 || r->steps[r->n - 1] != trunk_end) {
        if (bg_point(ctx, p, tr, d, r)) goto done;
    }
    r->b_steps[p->n_branch - 1] = tr->step;
    r->b_flops[p->n_branch - 1] = r->flops[r->n - 1];
    r->b_seconds[p->n_branch - 1] = r->seconds[r->n - 1];
    r->b_loss[p->n_branch - 1] = r->loss[r->n - 1];
    r->b_acc[p->n_branch - 1] = r->acc[r->n - 1];
    r->n_branch = p->n_branch;
    /* cosine: every shorter budget is a run of its own from the grown model */
    for (k = 0; p->cosine && k < p->n_branch - 1; k++) {
        ligo_trainer *t2;
        memcpy(big->data, init, nbytes);
        tc.steps = pl.end[k];
        t2 = ligo_trainer_new(ctx, big, d, &tc);
        if (!t2 || bg_steps_to(ctx, t2, pl.end[k]) || bg_branch_point(ctx, p, t2, d, r, k)) goto done;
    }
    rc = 0;
done:
    free(init);
    free(sn.data);
    free(sn.m);
    free(sn.v);
    return rc;
}

/* One run: grow (or initialise), fit, train; r holds the measurements or
 * the error. */
static void bg_run_one(const bg_opts *o, const bg_proto *p, const bg_entry *e, int seed, const char *small_path,
                       const char *op_path, bg_run *r) {
    ligo_ctx *ctx = bg_ctx(o);
    ligo_data d;
    ligo_model *small, *big;
    ligo_grow_config gc = ligo_grow_config_default(e->method);
    ligo_grow *g;
    bg_run scratch_r;
    int only_operator = r == NULL; /* fit and save the operator, nothing else */
    if (only_operator) r = &scratch_r;
    memset(r, 0, sizeof *r);
    if (!ctx) {
        snprintf(r->error, sizeof r->error, "cannot create a context");
        return;
    }
    if (ligo_data_load(ctx, p->family, p->data, &d) != LIGO_OK) goto fail;
    small = ligo_model_load(ctx, small_path);
    if (!small) goto fail;
    gc.seed = (uint64_t)(100 + seed);
    gc.fit_steps = bg_fit_steps_of(p, e);
    gc.fit_lr = bg_fit_lr(p, e);
    gc.fit_warmup = p->fit_warmup;
    gc.noise = bg_noise(p, e);
    gc.full_width = p->full_width;
    gc.width_first = p->width_first;
    gc.residual = p->residual;
    gc.depth_init = (ligo_depth_init)p->depth_init;
    gc.width_init = (ligo_width_init)p->width_init;
    gc.batch = p->batch;
    gc.ctx = p->ctx;
    g = ligo_grow_new(ctx, small, &p->large, &gc);
    if (!g || ligo_grow_fit(ctx, g, &d) != LIGO_OK) goto fail;
    /* the learned operator, for its pictures (ligo show) */
    if (op_path && g->n > 0 && ligo_grow_save(ctx, g, op_path) != LIGO_OK) goto fail;
    if (only_operator) {
        ligo_ctx_free(ctx);
        return;
    }
    big = ligo_grow_apply(ctx, g);
    if (!big) goto fail;
    r->fit_flops = g->fit_flops;
    r->fit_seconds = g->fit_seconds;
    if (bg_eval(ctx, p, big, &d, &r->loss[0], &r->acc[0], &r->eval_count)) goto fail;
    r->flops[0] = r->fit_flops;
    r->seconds[0] = r->fit_seconds;
    r->n = 1;
    if (bg_train(ctx, p, e, seed, big, &d, r)) goto fail;
    r->ok = 1;
    ligo_ctx_free(ctx);
    return;
fail:
    snprintf(r->error, sizeof r->error, "%s", ligo_get_error(ctx));
    ligo_ctx_free(ctx);
}

static bg_opts bg__opts; /* the invocation's, for bg_operator_file */

int bg_operator_file(const bg_results *R, int p, int e, int seed) {
    FILE *f;
    const char *path = R->op_path[p][e][seed];
    if (!path) return 1;
    f = fopen(path, "rb");
    if (f) {
        fclose(f);
        return 0;
    }
    /* a run cached before operators were kept: the fitting is
     * deterministic, so fitting it again gives its operator */
    bg_run_one(&bg__opts, &R->protos[p], &R->entries[e], seed, R->small[p].path, path, NULL);
    f = fopen(path, "rb");
    if (!f) return 1;
    fclose(f);
    return 0;
}

/* -------------------------------------------------- run files (cache) */

static int bg_write_run(const char *path, const char *key, const bg_run *r) {
    tool_file t;
    FILE *f = tool_file_begin(&t, path);
    int i;
    if (!f) return 1;
    fprintf(f, "ligo-bench-run 1\nkey %s\nok %d\nerror %s\n", key, r->ok, r->ok ? "-" : r->error);
    fprintf(f, "fit %.17g %.17g %.17g %lld\neval %lld\n", r->fit_flops, r->fit_seconds, r->step_flops,
            (long long)r->offset, (long long)r->eval_count);
    for (i = 0; i < r->n; i++)
        fprintf(f, "point %lld %.17g %.17g %.17g %.17g\n", (long long)r->steps[i], r->flops[i], r->seconds[i], r->loss[i],
                r->acc[i]);
    for (i = 0; i < r->n_branch; i++)
        fprintf(f, "branch %lld %.17g %.17g %.17g %.17g\n", (long long)r->b_steps[i], r->b_flops[i], r->b_seconds[i],
                r->b_loss[i], r->b_acc[i]);
    fprintf(f, "end\n");
    return tool_file_commit(&t);
}

/* A run's file, when it holds this key; 0 when read. */
static int bg_read_run(const char *path, const char *key, bg_run *r) {
    FILE *f = fopen(path, "rb");
    char line[4096];
    int ended = 0, keyed = 0;
    memset(r, 0, sizeof *r);
    if (!f) return 1;
    while (fgets(line, sizeof line, f)) {
        long long st;
        double a, b, c, dd;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = '\0';
        if (strncmp(line, "key ", 4) == 0) keyed = strcmp(line + 4, key) == 0;
        else if (strncmp(line, "ok ", 3) == 0) r->ok = atoi(line + 3);
        else if (strncmp(line, "error ", 6) == 0) snprintf(r->error, sizeof r->error, "%.250s", line + 6);
        else if (sscanf(line, "fit %lf %lf %lf %lld", &a, &b, &c, &st) == 4) {
            r->fit_flops = a;
            r->fit_seconds = b;
            r->step_flops = c;
            r->offset = st;
        } else if (sscanf(line, "eval %lld", &st) == 1) {
            r->eval_count = st;
        } else if (sscanf(line, "point %lld %lf %lf %lf %lf", &st, &a, &b, &c, &dd) == 5 && r->n < BG_MAX_POINTS) {
            r->steps[r->n] = st;
            r->flops[r->n] = a;
            r->seconds[r->n] = b;
            r->loss[r->n] = c;
            r->acc[r->n] = dd;
            r->n++;
        } else if (sscanf(line, "branch %lld %lf %lf %lf %lf", &st, &a, &b, &c, &dd) == 5 && r->n_branch < BG_MAX_BRANCH) {
            r->b_steps[r->n_branch] = st;
            r->b_flops[r->n_branch] = a;
            r->b_seconds[r->n_branch] = b;
            r->b_loss[r->n_branch] = c;
            r->b_acc[r->n_branch] = dd;
            r->n_branch++;
        } else if (strcmp(line, "end") == 0) ended = 1;
    }
    fclose(f);
    return !(keyed && ended);
}

/* ----------------------------------------------------------------- jobs */

typedef struct bg_job {
    int small; /* 1: train protocol p's small model; 0: a run */
    int p, e, seed;
    char key[2048];
    char path[1024];
    int done, failed;
} bg_job;

static void bg_job_name(const bg_results *R, const bg_job *j, char *s, size_t n) {
    const bg_proto *p = &R->protos[j->p];
    if (j->small) snprintf(s, n, "%s %s small model", bg_setting_name(p->setting), ligo_family_name(p->family));
    else snprintf(s, n, "%s %s %s seed %d", bg_setting_name(p->setting), ligo_family_name(p->family), R->entries[j->e].label, j->seed);
}

/* Do one job in this process; 0 on success. */
static int bg_do_job(const bg_opts *o, bg_results *R, bg_job *j) {
    const bg_proto *p = &R->protos[j->p];
    bg_run *r;
    int rc;
    if (j->small) return bg_train_small(o, p, j->path, j->key);
    r = (bg_run *)calloc(1, sizeof *r);
    if (!r) return 1;
    {
        char op[1100];
        snprintf(op, sizeof op, "%s.op.safetensors", j->path);
        bg_run_one(o, p, &R->entries[j->e], j->seed, R->small[j->p].path, R->entries[j->e].learned ? op : NULL, r);
    }
    rc = bg_write_run(j->path, j->key, r) || !r->ok;
    if (!r->ok) {
        char name[256];
        bg_job_name(R, j, name, sizeof name);
        fprintf(stderr, "bench: %s: %s\n", name, r->error);
    }
    free(r);
    return rc;
}

static int bg_job_cached(const bg_results *R, const bg_job *j) {
    bg_run r;
    if (j->small) {
        bg_small sm = R->small[j->p];
        return bg_small_cached(&R->protos[j->p], &sm, j->key);
    }
    return bg_read_run(j->path, j->key, &r) == 0 && r.ok;
}

/* Run the jobs, up to o->jobs at once (child processes when more than
 * one), skipping those whose results are cached. Returns the failures. */
static int bg_execute(const bg_opts *o, bg_results *R, bg_job *jobs, int n, double t0) {
#if BG_FORK
    pid_t pid[64];
    int slot_job[64];
    int par = o->jobs < 1 ? 1 : o->jobs > 64 ? 64 : o->jobs;
#else
    int par = 1; /* no fork on Windows: one job at a time, whatever --jobs says */
#endif
    int running = 0, next = 0, failed = 0, done = 0, todo = 0, i;
    double t_first = ligo_time_sec();
#if !BG_FORK
    if (o->jobs > 1 && !o->quiet) fprintf(stderr, "bench: --jobs %d: no fork on Windows, one job at a time\n", o->jobs);
#endif
    for (i = 0; i < n; i++) {
        int k;
        jobs[i].done = !o->fresh && bg_job_cached(R, &jobs[i]);
        /* a run shared between settings is run once: the first job that
         * names its file runs it, the others read what it wrote */
        for (k = 0; k < i && !jobs[i].done; k++)
            jobs[i].done = !jobs[i].small && !jobs[k].small && strcmp(jobs[k].path, jobs[i].path) == 0;
        todo += !jobs[i].done;
    }
    for (;;) {
        while (running < par && next < n) {
            bg_job *j = &jobs[next++];
            char name[256];
            if (j->done) continue;
            bg_job_name(R, j, name, sizeof name);
            if (!o->quiet) fprintf(stderr, "bench: start %s (%.0f s so far)\n", name, ligo_time_sec() - t0);
            if (par == 1) {
                j->failed = bg_do_job(o, R, j) != 0;
                j->done = 1;
                failed += j->failed;
                done++;
                continue;
            }
#if BG_FORK
            fflush(stdout);
            fflush(stderr);
            pid[running] = fork();
            if (pid[running] == 0) _exit(bg_do_job(o, R, j) != 0 ? 1 : 0);
            if (pid[running] < 0) {
                fprintf(stderr, "bench: fork: %s\n", strerror(errno));
                j->failed = 1;
                j->done = 1;
                failed++;
                continue;
            }
            slot_job[running++] = (int)(j - jobs);
#endif
        }
        if (running == 0) break;
#if BG_FORK
        {
            int status = 0, s;
            pid_t w = waitpid(-1, &status, 0);
            if (w < 0) {
                if (errno == EINTR) continue;
                fprintf(stderr, "bench: waitpid: %s\n", strerror(errno));
                break;
            }
            for (s = 0; s < running; s++)
                if (pid[s] == w) break;
            if (s == running) continue;
            jobs[slot_job[s]].done = 1;
            jobs[slot_job[s]].failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
            failed += jobs[slot_job[s]].failed;
            done++;
            if (!o->quiet) {
                char name[256];
                double el = ligo_time_sec() - t_first;
                bg_job_name(R, &jobs[slot_job[s]], name, sizeof name);
                fprintf(stderr, "bench: %s %s [%d/%d, eta %.0f s]\n", jobs[slot_job[s]].failed ? "FAILED" : "done", name,
                        done, todo, done ? el / done * (todo - done) : 0.0);
            }
            pid[s] = pid[running - 1];
            slot_job[s] = slot_job[running - 1];
            running--;
        }
#else
        (void)t_first;
#endif
    }
    return failed;
}

/* ---------------------------------------------------------- the command */

/* Methods of each setting: those that grow what the setting grows (a copy
 * method is the same as stack where it has nothing to differ in). */
static int bg_method_in(bg_setting s, ligo_grow_method m) {
    switch (m) {
    case LIGO_GROW_SCRATCH:
    case LIGO_GROW_STACK:
    case LIGO_GROW_FPI: return 1;
    case LIGO_GROW_INTERLACE: return s != BG_WIDTH;
    case LIGO_GROW_AKI: return s != BG_DEPTH;
    case LIGO_GROW_LIGO: return s == BG_BOTH;
    case LIGO_GROW_LIGO_DEPTH: return s != BG_WIDTH;
    case LIGO_GROW_LIGO_WIDTH: return s != BG_DEPTH;
    default: return 0;
    }
}

/* "name[:key=value...]" into an entry; 0, or 2 after a usage error. */
static int bg_parse_entry(const char *spec, bg_entry *e) {
    char buf[256], *part, *save = NULL;
    memset(e, 0, sizeof *e);
    e->fit_steps = e->grown_warmup = -1;
    e->fit_lr = e->noise = e->lr = -1.0;
    snprintf(buf, sizeof buf, "%s", spec);
    snprintf(e->label, sizeof e->label, "%s", spec);
    part = strtok_r(buf, ":", &save);
    if (!part || ligo_grow_method_parse(part, &e->method) != LIGO_OK)
        return tool_usage_error("bench growth", "--methods: '%s' is not a growth method%s", part ? part : spec, "");
    while ((part = strtok_r(NULL, ":", &save)) != NULL) {
        char *eq = strchr(part, '='), *end = NULL;
        double v;
        if (!eq) return tool_usage_error("bench growth", "method '%s': '%s' is not key=value", spec, part);
        *eq = '\0';
        errno = 0;
        v = strtod(eq + 1, &end);
        if (!eq[1] || *end || errno || !(v >= 0.0 && v < 1e9))
            return tool_usage_error("bench growth", "method '%s': %s needs a number >= 0 (noise <= 1)", spec, part);
        if (strcmp(part, "fit_steps") == 0) e->fit_steps = (int64_t)v;
        else if (strcmp(part, "fit_lr") == 0) e->fit_lr = v;
        else if (strcmp(part, "noise") == 0 && v <= 1.0) e->noise = v;
        else if (strcmp(part, "noise") == 0)
            return tool_usage_error("bench growth", "method '%s': %s needs a number >= 0 (noise <= 1)", spec, part);
        else if (strcmp(part, "warmup") == 0) e->grown_warmup = (int64_t)v;
        else if (strcmp(part, "lr") == 0 && v > 0.0 && v <= 10.0) e->lr = v;
        else if (strcmp(part, "lr") == 0)
            return tool_usage_error("bench growth", "method '%s': %s needs a rate > 0 and <= 10", spec, part);
        else
            return tool_usage_error("bench growth", "method '%s': '%s' is not fit_steps, fit_lr, noise, warmup or lr",
                                    spec, part);
    }
    e->learned = e->method == LIGO_GROW_LIGO || e->method == LIGO_GROW_LIGO_DEPTH || e->method == LIGO_GROW_LIGO_WIDTH;
    return 0;
}

static int bg_mkdir(const char *path) {
    if (tool_mkdir(path) != 0 && errno != EEXIST) {
        fprintf(stderr, "ligo bench growth: cannot create %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

int cmd_bench(int argc, char **argv) {
    static bg_results R;
    bg_opts o;
    bg_job *jobs = NULL;
    int n_jobs = 0, f, s, e, k, r, pi, failed = 0, rc = 0;
    const char *set_list = NULL, *fam_list = NULL, *method_list = NULL, *variants = NULL, *sched = "wsd";
    const char *depth_init = "stack", *width_init = "rand", *out_dir = "bench_out", *tag = "";
    int64_t select_seeds = -1, report_seeds = -1, steps = 0, small_steps = 0, threads = 0, jobs_n = 0, fit_steps = -1;
    int64_t branches = -1, evals = -1, eval_windows = -1, warmup = -1, grown_warmup = -1, width = 64, layers = 4;
    double fit_lr = 1e-3, lr = 1e-3, lr_min = 0.0, noise = 0.01, decay = 0.2;
    int quick = 0, demo = 0, quiet = 0, full_width = 0, width_first = 0, residual = 0, fresh = 0;
    double t0 = ligo_time_sec();
    tool_opt opts[] = {
        {"--quick", 'b', &quick, 0, 0, "the protocol shortened (both setting, 3 seeds, 900 steps): about 15 minutes"},
        {"--demo", 'b', &demo, 0, 0, "the make demo run: GPT, both, scratch / stack / ligo, 3 seeds, on --text"},
        {"--settings", 's', &set_list, 0, 0, "comma-separated: depth,width,both (both; all three with 'all')"},
        {"--families", 's', &fam_list, 0, 0, "comma-separated: gpt,bert,vit,llama (gpt,bert,vit)"},
        {"--methods", 's', &method_list, 0, 0, "comma-separated growth methods (every method of the setting)"},
        {"--variants", 's', &variants, 0, 0, "method:key=value[:...] entries tried on the selection seeds beside the "
                                              "defaults (keys fit_steps, fit_lr, noise, warmup, lr)"},
        {"--select-seeds", 'i', &select_seeds, 0, BG_MAX_SEEDS, "seeds that choose variants and the best baseline (5)"},
        {"--report-seeds", 'i', &report_seeds, 0, BG_MAX_SEEDS, "further seeds the tables report (5; 0: a study "
                                                                 "reported on the selection seeds)"},
        {"--steps", 'i', &steps, 0, 1e9, "the large budget N in training steps (2400; vit 1500)"},
        {"--small-steps", 'i', &small_steps, 0, 1e9, "small-model training steps (N / 2)"},
        {"--width", 'i', &width, 16, 4096, "the large model's width (64; the small one is half where it grows)"},
        {"--layers", 'i', &layers, 2, 256, "the large model's layers (4)"},
        {"--schedule", 's', &sched, 0, 0, "wsd (branches from one run) | cosine (one run per budget) (wsd)"},
        {"--branches", 'i', &branches, 2, BG_MAX_BRANCH, "annealed budgets N k / K, k = 1..K (6; --demo 4)"},
        {"--decay", 'f', &decay, 0.01, 0.9, "WSD decay, a fraction of each budget (0.2)"},
        {"--lr", 'f', &lr, 0, 10, "peak learning rate of the large runs (1e-3)"},
        {"--lr-min", 'f', &lr_min, 0, 10, "final learning rate (0)"},
        {"--warmup", 'i', &warmup, 0, 1e9, "warm-up steps of every run (N / 20)"},
        {"--grown-warmup", 'i', &grown_warmup, 0, 1e9, "grown models' own warm-up (a study; default: as scratch)"},
        {"--evals", 'i', &evals, 1, BG_MAX_POINTS - 2, "trunk evaluations besides the branches (25; --demo 6)"},
        {"--eval-windows", 'i', &eval_windows, 0, 1e9, "validation windows (images) per evaluation (0 = all)"},
        {"--fit-steps", 'i', &fit_steps, 0, 1e9, "operator fitting steps (100; vit 60)"},
        {"--fit-lr", 'f', &fit_lr, 0, 10, "operator learning rate (1e-3)"},
        {"--noise", 'f', &noise, 0, 1, "symmetry-breaking noise of copied width, x each tensor's RMS (0.01)"},
        {"--full-width", 'b', &full_width, 0, 0, "learn the full width matrices, not [I; C]"},
        {"--depth-init", 's', &depth_init, 0, 0, "stack | interlace | rand (stack)"},
        {"--width-init", 's', &width_init, 0, 0, "rand | sel | sel_noisy (rand)"},
        {"--width-first", 'b', &width_first, 0, 0, "widen each small layer first, then blend (Algorithm 1)"},
        {"--residual", 'b', &residual, 0, 0, "learn an additive term per large tensor"},
        {"--jobs", 'i', &jobs_n, 0, 64, "runs at once, one thread each (0 = one per core; 1: one at a time on "
                                        "--threads, and wall times are reported)"},
        {"--threads", 'i', &threads, 0, 1024, "threads per run (0 = all cores with --jobs 1, else 1)"},
        {"--out", 's', &out_dir, 0, 0, "output directory (bench_out); its runs/ folder caches every run"},
        {"--fresh", 'b', &fresh, 0, 0, "ignore cached runs and small models"},
        {"--text", 's', &o.text, 0, 0, "text for GPT and BERT (required for them)"},
        {"--images", 's', &o.images, 0, 0, "Fashion-MNIST directory (/usr/share/datasets/fashion-mnist)"},
        {"--tag", 's', &tag, 0, 0, "suffix for the output file names (a study's variants)"},
        {"--quiet", 'b', &quiet, 0, 0, "no progress"},
        {NULL, 0, NULL, 0, 0, NULL}};
    memset(&o, 0, sizeof o);
    o.images = "/usr/share/datasets/fashion-mnist";
    if (argc < 1 || strcmp(argv[0], "growth") != 0) {
        if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
            printf("usage: ligo bench growth [options]   (ligo bench growth --help)\n");
            return 0;
        }
        fprintf(stderr, "ligo bench: the benchmark is 'growth' (ligo bench growth --help)\n");
        return 2;
    }
    r = tool_parse("bench growth",
                   "Grow small models with every method and measure, at equal FLOPs, the annealed validation loss\n"
                   "of each against scratch and the best baseline (paired by seed, 95% intervals), and the FLOPs\n"
                   "each needs to reach scratch's annealed losses.",
                   argc - 1, argv + 1, opts);
    if (r) return r == 1 ? 0 : r;
    if (quick && demo) return tool_usage_error("bench growth", "--quick and --demo are two different runs%s%s", "", "");
    if (strcmp(sched, "wsd") != 0 && strcmp(sched, "cosine") != 0)
        return tool_usage_error("bench growth", "--schedule: '%s' is not wsd or cosine%s", sched, "");
    memset(&R, 0, sizeof R);
    R.mode = demo ? "demo" : quick ? "quick" : "";
    R.select_seeds = select_seeds >= 0 ? (int)select_seeds : demo || quick ? 0 : 5;
    R.report_seeds = report_seeds >= 0 ? (int)report_seeds : demo || quick ? 3 : 5;
    if (R.select_seeds + R.report_seeds < 1)
        return tool_usage_error("bench growth", "no seeds: --select-seeds and --report-seeds are both 0%s%s", "", "");
    if (R.select_seeds + R.report_seeds > BG_MAX_SEEDS)
        return tool_usage_error("bench growth", "--select-seeds plus --report-seeds is more than %s%s", "32", "");
    /* the demo's budget: about 3 minutes on two cores, most of it training */
    if (evals < 0) evals = demo ? 6 : quick ? 12 : 25;
    if (branches < 0) branches = demo ? 4 : 6;
    /* the methods: every method of the setting unless listed, then the variants */
    {
        char buf[1024], *part, *save = NULL;
        const char *lists[2];
        int li;
        lists[0] = method_list ? method_list : demo ? "scratch,stack,ligo" : quick ? "scratch,stack,fpi,ligo" :
                   "scratch,stack,interlace,fpi,aki,ligo,ligo-depth,ligo-width";
        lists[1] = variants;
        for (li = 0; li < 2; li++) {
            if (!lists[li]) continue;
            snprintf(buf, sizeof buf, "%s", lists[li]);
            for (part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
                bg_entry *en = &R.entries[R.n_entries];
                int b;
                if (R.n_entries >= BG_MAX_ENTRIES)
                    return tool_usage_error("bench growth", "more than %s methods and variants%s", "24", "");
                if ((r = bg_parse_entry(part, en)) != 0) return r;
                if (li == 0 && strchr(part, ':'))
                    return tool_usage_error("bench growth", "--methods: '%s' has options; list it in --variants%s",
                                            part, "");
                en->base = R.n_entries;
                for (b = 0; b < R.n_entries; b++)
                    if (R.entries[b].method == en->method && R.entries[b].base == b) {
                        if (li == 0) return tool_usage_error("bench growth", "--methods: '%s' twice%s", part, "");
                        en->base = b;
                    }
                if (li == 1 && en->base == R.n_entries)
                    return tool_usage_error("bench growth", "--variants: '%s' is a variant of a method not in --methods%s",
                                            part, "");
                R.n_entries++;
            }
        }
        if (R.n_entries == 0 || R.entries[0].method != LIGO_GROW_SCRATCH)
            return tool_usage_error("bench growth", "--methods: scratch must come first (it sets the targets)%s%s", "", "");
    }
    if (R.select_seeds == 0 && variants)
        return tool_usage_error("bench growth", "--variants need selection seeds (--select-seeds >= 2)%s%s", "", "");
    /* the protocols: settings x families */
    {
        int set_on[BG_SETTING_COUNT] = {0, 0, 1}, fam_on[LIGO_FAMILY_COUNT] = {1, 1, 1, 0};
        int di, wi;
        if (strcmp(depth_init, "stack") == 0) di = LIGO_DEPTH_STACK;
        else if (strcmp(depth_init, "interlace") == 0) di = LIGO_DEPTH_INTERLACE;
        else if (strcmp(depth_init, "rand") == 0) di = LIGO_DEPTH_RAND;
        else return tool_usage_error("bench growth", "--depth-init: '%s' is not stack, interlace or rand%s", depth_init, "");
        if (strcmp(width_init, "rand") == 0) wi = LIGO_WIDTH_RAND;
        else if (strcmp(width_init, "sel") == 0) wi = LIGO_WIDTH_SEL;
        else if (strcmp(width_init, "sel_noisy") == 0) wi = LIGO_WIDTH_SEL_NOISY;
        else return tool_usage_error("bench growth", "--width-init: '%s' is not rand, sel or sel_noisy%s", width_init, "");
        if (set_list) {
            for (s = 0; s < BG_SETTING_COUNT; s++) set_on[s] = strcmp(set_list, "all") == 0 || tool_list_has(set_list, bg_setting_name((bg_setting)s));
            if (!set_on[0] && !set_on[1] && !set_on[2])
                return tool_usage_error("bench growth", "--settings: '%s' names none of depth, width, both, all%s", set_list, "");
        }
        if (fam_list || demo) {
            for (f = 0; f < LIGO_FAMILY_COUNT; f++)
                fam_on[f] = fam_list ? tool_list_has(fam_list, ligo_family_name((ligo_family)f)) : f == LIGO_GPT;
            if (!fam_on[0] && !fam_on[1] && !fam_on[2] && !fam_on[3])
                return tool_usage_error("bench growth", "--families: '%s' names none of gpt, bert, vit, llama%s", fam_list, "");
        }
        if (layers % 2 || width % 32)
            return tool_usage_error("bench growth", "--layers must be even and --width a multiple of 32 (halved, heads of %s)%s", "16", "");
        if ((fam_on[LIGO_GPT] || fam_on[LIGO_BERT] || fam_on[LIGO_LLAMA]) && !o.text)
            return tool_usage_error("bench growth", "GPT, BERT and LLaMA need --text FILE (any text; the README uses Tiny Shakespeare)%s%s", "", "");
        for (s = 0; s < BG_SETTING_COUNT; s++)
            for (f = 0; f < LIGO_FAMILY_COUNT; f++) {
                bg_proto *p = &R.protos[R.n_protos];
                if (!set_on[s] || !fam_on[f]) continue;
                memset(p, 0, sizeof *p);
                p->setting = (bg_setting)s;
                p->family = (ligo_family)f;
                bg_sizes(p, layers, width);
                /* budgets: N = 2,400 steps (ViT 1,500: its evaluations over
                 * 10,000 images cost more), fitting within 5% of N */
                p->steps = steps ? steps : demo ? 800 : quick ? 900 : f == LIGO_VIT ? 1500 : 2400;
                p->fit_steps = fit_steps >= 0 ? fit_steps : demo ? 32 : quick ? 36 : f == LIGO_VIT ? 60 : 100;
                p->small_steps = small_steps ? small_steps : p->steps / 2;
                p->small_lr = 3e-3f;
                p->batch = f == LIGO_VIT ? 32 : 8;
                p->lr = (float)lr;
                p->lr_min = (float)lr_min;
                p->warmup = warmup >= 0 ? warmup : p->steps / 20;
                p->grown_warmup = grown_warmup;
                p->cosine = strcmp(sched, "cosine") == 0;
                p->n_branch = (int)branches;
                p->decay_frac = decay;
                p->n_evals = evals;
                /* GPT 64,000 predictions, BERT about 9,600 masked ones, spread
                 * over the split; ViT every test image (--quick: 2,000) */
                p->eval_windows = eval_windows >= 0 ? eval_windows : f != LIGO_VIT ? 1000 : quick ? 2000 : 0;
                p->eval_batch = 32;
                p->fit_warmup = p->fit_steps >= 20 ? 10 : p->fit_steps / 2;
                p->fit_lr = (float)fit_lr;
                p->noise = (float)noise;
                p->full_width = full_width;
                p->width_first = width_first;
                p->residual = residual;
                p->depth_init = di;
                p->width_init = wi;
                p->data = f == LIGO_VIT ? o.images : o.text;
                R.n_protos++;
            }
        for (s = 0; s < BG_SETTING_COUNT; s++)
            for (e = 0; e < R.n_entries; e++) R.in_setting[s][e] = bg_method_in((bg_setting)s, R.entries[e].method);
    }
    if (jobs_n == 0) jobs_n = ligo_cpu_count() > 64 ? 64 : ligo_cpu_count();
    o.jobs = (int)jobs_n;
    o.threads = threads ? (int)threads : jobs_n > 1 ? 1 : 0;
    o.quiet = quiet;
    o.fresh = fresh;
    R.jobs = (int)jobs_n;
    R.out_dir = out_dir;
    R.tag = tag;
    if (tool_dry_run) return 0;
    for (pi = 0; pi < R.n_protos; pi++) {
        bg_proto *p = &R.protos[pi];
        if (bg_data_id(p->data, p->family, p->data_id, sizeof p->data_id)) {
            fprintf(stderr, "ligo bench growth: cannot read the %s data at %s%s\n", ligo_family_name(p->family), p->data,
                    p->family == LIGO_VIT ? " (the Fashion-MNIST IDX files: apt-get install dataset-fashion-mnist)" : "");
            return 1;
        }
    }
    {
        char d[1100];
        snprintf(d, sizeof d, "%s/runs", out_dir);
        if (bg_mkdir(out_dir) || bg_mkdir(d)) return 1;
    }
    jobs = (bg_job *)calloc((size_t)(R.n_protos * (1 + R.n_entries * (R.select_seeds + R.report_seeds))), sizeof *jobs);
    if (!jobs) return 1;

    /* 1. the small models */
    for (pi = 0; pi < R.n_protos; pi++) {
        bg_job *j = &jobs[n_jobs++];
        char h[20];
        j->small = 1;
        j->p = pi;
        bg_small_key(&R.protos[pi], j->key, sizeof j->key);
        snprintf(h, sizeof h, "%016llx", (unsigned long long)bg_hash_str(j->key));
        snprintf(j->path, sizeof j->path, "%s/small_%s_%s_%s.safetensors", out_dir, bg_setting_name(R.protos[pi].setting),
                 ligo_family_name(R.protos[pi].family), h);
        snprintf(R.small[pi].path, sizeof R.small[pi].path, "%s", j->path);
    }
    failed += bg_execute(&o, &R, jobs, n_jobs, t0);
    for (pi = 0; pi < R.n_protos; pi++) {
        R.small[pi].ok = !jobs[pi].failed && bg_small_cached(&R.protos[pi], &R.small[pi], jobs[pi].key);
        if (!R.small[pi].ok) fprintf(stderr, "bench: no small model for %s %s\n", bg_setting_name(R.protos[pi].setting),
                                     ligo_family_name(R.protos[pi].family));
    }

    /* 2. selection seeds (every entry), then 3. report seeds (the chosen
     * entries); with no selection seeds, every entry on the report seeds */
    for (k = 0; k < 2; k++) {
        int start = n_jobs, lo = k == 0 ? 0 : R.select_seeds, hi = k == 0 ? R.select_seeds : R.select_seeds + R.report_seeds;
        for (pi = 0; pi < R.n_protos; pi++) {
            char skey[2048];
            if (!R.small[pi].ok) continue;
            if (k == 1) bg_choose(&R, pi);
            bg_small_key(&R.protos[pi], skey, sizeof skey);
            for (e = 0; e < R.n_entries; e++) {
                if (!R.in_setting[R.protos[pi].setting][e]) continue;
                if (k == 1 && R.select_seeds > 0 && R.chosen[pi][R.entries[e].base] != e) continue;
                for (s = lo; s < hi; s++) {
                    bg_job *j = &jobs[n_jobs++];
                    char h[20];
                    j->p = pi;
                    j->e = e;
                    j->seed = s;
                    bg_run_key(&R.protos[pi], &R.entries[e], s, skey, j->key, sizeof j->key);
                    snprintf(h, sizeof h, "%016llx", (unsigned long long)bg_hash_str(j->key));
                    snprintf(j->path, sizeof j->path, "%s/runs/%s_%s_%s_s%d_%s.txt", out_dir,
                             bg_run_setting(&R.protos[pi], &R.entries[e]), ligo_family_name(R.protos[pi].family),
                             ligo_grow_method_name(R.entries[e].method), s, h);
                }
            }
        }
        failed += bg_execute(&o, &R, jobs + start, n_jobs - start, t0);
        for (r = start; r < n_jobs; r++) {
            bg_run *run = (bg_run *)calloc(1, sizeof *run);
            if (!run) break;
            if (bg_read_run(jobs[r].path, jobs[r].key, run) == 0 && run->ok) {
                R.runs[jobs[r].p][jobs[r].e][jobs[r].seed] = run;
                if (R.entries[jobs[r].e].learned) {
                    char *op = (char *)malloc(strlen(jobs[r].path) + 16);
                    if (op) sprintf(op, "%s.op.safetensors", jobs[r].path);
                    R.op_path[jobs[r].p][jobs[r].e][jobs[r].seed] = op;
                }
            } else {
                free(run);
            }
        }
        if (k == 0 && R.select_seeds == 0)
            for (pi = 0; pi < R.n_protos; pi++)
                for (e = 0; e < R.n_entries; e++) R.chosen[pi][e] = e;
    }
    R.failed = failed;
    R.seconds = ligo_time_sec() - t0;
    bg__opts = o;
    if (bg_report(&R)) rc = 1;
    for (pi = 0; pi < R.n_protos; pi++)
        for (e = 0; e < R.n_entries; e++)
            for (s = 0; s < BG_MAX_SEEDS; s++) {
                free(R.runs[pi][e][s]);
                free(R.op_path[pi][e][s]);
            }
    free(jobs);
    if (failed) {
        fprintf(stderr, "bench: %d job(s) failed (errors above); the tables leave them out\n", failed);
        return 1;
    }
    return rc;
}
