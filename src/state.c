/* state.c: the saved state that lets a run stop and continue exactly, as
 * safetensors beside the models' checkpoints (src/checkpoint.c):
 *   the trainer's: the model, the optimizer's moments and step, the batch
 *     stream's RNG and the counters;
 *   growth operators: the learned tensors named after what they are
 *     (width.emb.C, width.h.3.q.C, depth.q.w, residual.{tensor},
 *     noise.{tensor}) and the options in the metadata;
 *   fitting states: an operator file plus its AdamW's moments, step, RNG
 *     and counters.
 * Every file is checked whole before anything changes. */
#include "ligo_internal.h"

/* ------------------------------------------------------- training state */

LIGO_API ligo_status ligo_trainer_save(ligo_ctx *ctx, const ligo_trainer *tr, const char *path) {
    ligo_safetensors st;
    ligo_mark mk;
    char v[LIGO__META_LEN];
    int64_t shape[1];
    ligo_status s = LIGO_OK;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!tr || !path) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_trainer_save: NULL trainer or path");
    mk = ligo_scratch_mark(ctx);
    ligo_st_init(&st);
    if (ligo_model_to_st(ctx, tr->model, &st) != LIGO_OK) goto done;
    shape[0] = tr->opt->n;
    if (ligo_st_add(ctx, &st, "ligo.optim.m", 1, shape, tr->opt->m) != LIGO_OK) goto done;
    if (tr->opt->v && ligo_st_add(ctx, &st, "ligo.optim.v", 1, shape, tr->opt->v) != LIGO_OK) goto done;
    if (ligo_st_set_meta(ctx, &st, "ligo.train.step", ligo__meta_fmt_int(v, tr->step)) != LIGO_OK ||
        ligo_st_set_meta(ctx, &st, "ligo.optim.step", ligo__meta_fmt_int(v, tr->opt->step)) != LIGO_OK ||
        ligo_st_set_meta(ctx, &st, "ligo.train.rng", ligo__meta_fmt_rng(v, &tr->rng)) != LIGO_OK ||
        ligo_st_set_meta(ctx, &st, "ligo.train.flops", ligo__meta_fmt_real(v, tr->train_flops)) != LIGO_OK ||
        ligo_st_set_meta(ctx, &st, "ligo.train.seconds", ligo__meta_fmt_real(v, tr->seconds)) != LIGO_OK)
        goto done;
    ligo_st_write(ctx, path, &st);
done:
    s = ctx->status;
    ligo_scratch_rewind(ctx, mk);
    return s;
}

LIGO_API ligo_status ligo_trainer_resume(ligo_ctx *ctx, ligo_trainer *tr, const char *path) {
    ligo_safetensors st;
    ligo_mark mk;
    ligo_model *loaded;
    const ligo_st_entry *em, *ev;
    const char *step, *ostep, *rng, *flops, *secs;
    ligo_rng r;
    ligo_status s;
    int64_t n_step = 0, n_ostep = 0;
    double n_flops = 0.0, n_secs = 0.0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!tr || !path) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_trainer_resume: NULL trainer or path");
    mk = ligo_scratch_mark(ctx);
    if (ligo_st_read(ctx, path, &st) != LIGO_OK) goto done;
    step = ligo_st_get_meta(&st, "ligo.train.step");
    ostep = ligo_st_get_meta(&st, "ligo.optim.step");
    rng = ligo_st_get_meta(&st, "ligo.train.rng");
    flops = ligo_st_get_meta(&st, "ligo.train.flops");
    secs = ligo_st_get_meta(&st, "ligo.train.seconds");
    em = ligo_st_find(&st, "ligo.optim.m");
    ev = ligo_st_find(&st, "ligo.optim.v");
    if (!step || !ostep || !ligo__meta_rng(rng, &r) || !em || (tr->opt->v && !ev)) {
        ligo_set_error(ctx, LIGO_EFORMAT, "ligo_trainer_resume: %s holds no training state", path);
        goto done;
    }
    if (!ligo__meta_int(step, 0, LIGO__META_COUNT_MAX, &n_step) ||
        !ligo__meta_int(ostep, 0, LIGO__META_COUNT_MAX, &n_ostep)) {
        ligo_set_error(ctx, LIGO_EFORMAT, "ligo_trainer_resume: %s: step \"%.40s\" or optimizer step \"%.40s\" is not a "
                       "count", path, step, ostep);
        goto done;
    }
    /* the counters are optional (older files), but never garbage */
    if ((flops && !ligo__meta_real(flops, 0.0, &n_flops)) || (secs && !ligo__meta_real(secs, 0.0, &n_secs))) {
        ligo_set_error(ctx, LIGO_EFORMAT, "ligo_trainer_resume: %s: ligo.train.flops \"%.40s\" or ligo.train.seconds "
                       "\"%.40s\" is not a finite number >= 0", path, flops ? flops : "", secs ? secs : "");
        goto done;
    }
    if (em->n != tr->opt->n || (ev && ev->n != tr->opt->n)) {
        ligo_set_error(ctx, LIGO_EFORMAT, "ligo_trainer_resume: %s: optimizer state of %lld floats, the model has %lld",
                       path, (long long)em->n, (long long)tr->opt->n);
        goto done;
    }
    /* the model goes through the same checks as any checkpoint, then its
     * floats replace the trainer's (the config must agree) */
    loaded = ligo_model_from_st_def(ctx, &st, path, tr->model->cfg.def);
    if (!loaded) goto done;
    if (loaded->n_floats != tr->model->n_floats || memcmp(&loaded->cfg, &tr->model->cfg, sizeof loaded->cfg) != 0) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_trainer_resume: %s holds a model of another shape", path);
        goto done;
    }
    memcpy(tr->model->data, loaded->data, (size_t)loaded->n_floats * sizeof(float));
    memcpy(tr->opt->m, em->data, (size_t)em->n * sizeof(float));
    if (tr->opt->v) memcpy(tr->opt->v, ev->data, (size_t)ev->n * sizeof(float));
    tr->step = n_step;
    tr->opt->step = n_ostep;
    tr->rng = r;
    tr->train_flops = n_flops;
    tr->seconds = n_secs;
done:
    s = ctx->status;
    ligo_scratch_rewind(ctx, mk);
    return s;
}

/* ----------------------------------------------------- growth operators */

static const char *ligo__mod_names[LIGO_MOD_COUNT] = {"ln_1", "q", "k", "v", "o", "ln_2", "fc1", "fc2", "gate"};

/* The saved tensors of an operator, in file order: name, shape and where
 * they live (the learned block, or the noise). */
typedef struct ligo__piece {
    char name[LIGO_ST_MAX_NAME];
    char legacy[LIGO_ST_MAX_NAME]; /* a width factor's name before factors were named by stream: width.{k}.C */
    int ndim;
    int64_t shape[LIGO_MAX_DIMS];
    int64_t n;
    float *data;
} ligo__piece;

/* A piece's tensor in a file: by its name, or by its legacy one. */
static const ligo_st_entry *ligo__piece_entry(const ligo_safetensors *st, const ligo__piece *pc) {
    const ligo_st_entry *e = ligo_st_find(st, pc->name);
    return e || !pc->legacy[0] ? e : ligo_st_find(st, pc->legacy);
}

static int64_t ligo__pieces(const ligo_grow *g, ligo__piece *out) {
    int64_t k, m, kind, np = 0, d;
    if (out)
        for (k = 0; k < ligo__pieces(g, NULL); k++) {
            memset(out[k].name, 0, sizeof out[k].name);
            memset(out[k].legacy, 0, sizeof out[k].legacy);
            for (d = 0; d < LIGO_MAX_DIMS; d++) out[k].shape[d] = 1; /* as the reader fills unused dims */
        }
    for (k = 0; k < g->n_width; k++) {
        const ligo_width_factor *f = &g->width[k];
        int64_t hb, hs;
        if (!f->learned) continue;
        hb = f->big / f->heads;
        hs = f->small / f->heads;
        if (out) {
            ligo__piece *p = &out[np];
            snprintf(p->name, sizeof p->name, "width.%s.%s", f->name, g->cfg.full_width ? "B" : "C");
            snprintf(p->legacy, sizeof p->legacy, "width.%lld.%s", (long long)k, g->cfg.full_width ? "B" : "C");
            p->ndim = 2;
            p->shape[0] = f->heads * (g->cfg.full_width ? hb : hb - hs);
            p->shape[1] = hs;
            p->data = g->data + f->offset;
            p->n = p->shape[0] * p->shape[1];
        }
        np++;
    }
    for (m = 0; m < LIGO_MOD_COUNT; m++)
        for (kind = 0; kind < 2; kind++) {
            if (g->depth_offset[m][kind] < 0) continue;
            if (out) {
                ligo__piece *p = &out[np];
                snprintf(p->name, sizeof p->name, "depth.%s.%s", ligo__mod_names[m], kind ? "b" : "w");
                p->ndim = 2;
                p->shape[0] = g->large.n_layer;
                p->shape[1] = g->small->cfg.n_layer;
                p->data = g->data + g->depth_offset[m][kind];
                p->n = p->shape[0] * p->shape[1];
            }
            np++;
        }
    if (g->res_offset >= 0)
        for (k = 0; k < g->shape->n_tensors; k++) {
            if (out) {
                const ligo_param_info *info = &g->shape->info[k];
                ligo__piece *p = &out[np];
                snprintf(p->name, sizeof p->name, "residual.%s", info->name);
                p->ndim = info->ndim;
                for (d = 0; d < LIGO_MAX_DIMS; d++) p->shape[d] = d < info->ndim ? info->shape[d] : 1;
                p->data = g->data + g->res_offset + info->offset;
                p->n = info->n;
            }
            np++;
        }
    if (g->noise)
        for (k = 0; k < g->shape->n_tensors; k++) {
            const ligo_param_info *info = &g->shape->info[k];
            if (!ligo__widened(g, k)) continue;
            if (out) {
                ligo__piece *p = &out[np];
                snprintf(p->name, sizeof p->name, "noise.%s", info->name);
                p->ndim = info->ndim;
                for (d = 0; d < LIGO_MAX_DIMS; d++) p->shape[d] = d < info->ndim ? info->shape[d] : 1;
                p->data = g->noise + info->offset;
                p->n = info->n;
            }
            np++;
        }
    return np;
}

/* The options that shape an operator, as metadata. */
static const char *ligo__grow_meta_keys[] = {"ligo.grow.method",        "ligo.grow.small_layers", "ligo.grow.small_dim",
                                             "ligo.grow.small_ffn",     "ligo.grow.full_width",   "ligo.grow.width_first",
                                             "ligo.grow.grow_head_dim", "ligo.grow.residual",     "ligo.grow.noise"};
#define LIGO__GROW_META_NOISE 8 /* absent in files written before the option: reads as 0 */
#define LIGO__GROW_NMETA ((int)(sizeof ligo__grow_meta_keys / sizeof ligo__grow_meta_keys[0]))

/* Compared as text: a file's options must read exactly as this operator's. */
static void ligo__grow_meta_values(const ligo_grow *g, char v[][LIGO__META_LEN]) {
    snprintf(v[0], LIGO__META_LEN, "%s", ligo_grow_method_name(g->cfg.method));
    ligo__meta_fmt_int(v[1], g->small->cfg.n_layer);
    ligo__meta_fmt_int(v[2], g->small->cfg.d_model);
    ligo__meta_fmt_int(v[3], g->small->cfg.d_ff);
    ligo__meta_fmt_int(v[4], g->cfg.full_width != 0);
    ligo__meta_fmt_int(v[5], g->cfg.width_first != 0);
    ligo__meta_fmt_int(v[6], g->cfg.grow_head_dim != 0);
    ligo__meta_fmt_int(v[7], g->cfg.residual != 0);
    ligo__meta_fmt_float(v[LIGO__GROW_META_NOISE], g->noise ? g->cfg.noise : 0.0f);
}

LIGO_API ligo_status ligo_grow_save(ligo_ctx *ctx, const ligo_grow *g, const char *path) {
    ligo_safetensors st;
    ligo_mark mk;
    ligo__piece *pc;
    char v[LIGO__GROW_NMETA][LIGO__META_LEN];
    int64_t k, np;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!g || !path) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_save: NULL operator or path");
    if (g->cfg.method == LIGO_GROW_SCRATCH || (g->n == 0 && !g->noise))
        return ligo_set_error(ctx, LIGO_ESTATE, "ligo_grow_save: method %s has no learned operator or noise to save",
                              ligo_grow_method_name(g->cfg.method));
    mk = ligo_scratch_mark(ctx);
    np = ligo__pieces(g, NULL);
    pc = (ligo__piece *)ligo_alloc_scratch(ctx, (size_t)np * sizeof(ligo__piece));
    if (!pc) goto done;
    ligo__pieces(g, pc);
    ligo_st_init(&st);
    if (ligo_config_to_st(ctx, &g->large, &st) != LIGO_OK) goto done;
    ligo__grow_meta_values(g, v);
    for (k = 0; k < LIGO__GROW_NMETA; k++)
        if (ligo_st_set_meta(ctx, &st, ligo__grow_meta_keys[k], v[k]) != LIGO_OK) goto done;
    for (k = 0; k < np; k++)
        if (ligo_st_add(ctx, &st, pc[k].name, pc[k].ndim, pc[k].shape, pc[k].data) != LIGO_OK) goto done;
    ligo_st_write(ctx, path, &st);
done:
    ligo_scratch_rewind(ctx, mk);
    return ctx->status;
}

LIGO_API ligo_status ligo_grow_load(ligo_ctx *ctx, ligo_grow *g, const char *path) {
    ligo_safetensors st;
    ligo_config lc;
    ligo_mark mk;
    ligo__piece *pc;
    char v[LIGO__GROW_NMETA][LIGO__META_LEN];
    int64_t k, np;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!g || !path) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_load: NULL operator or path");
    if (g->cfg.method == LIGO_GROW_SCRATCH || (g->n == 0 && !g->noise))
        return ligo_set_error(ctx, LIGO_ESTATE, "ligo_grow_load: method %s has no learned operator or noise to load into",
                              ligo_grow_method_name(g->cfg.method));
    mk = ligo_scratch_mark(ctx);
    if (ligo_st_read(ctx, path, &st) != LIGO_OK) goto done;
    /* the same operator shape: large config and options */
    if (ligo_config_from_st(ctx, &st, &lc) != LIGO_OK) goto done;
    if (ligo__check_def_meta(ctx, &st, "ligo_grow_load", path, g->large.family, g->large.def) != LIGO_OK) goto done;
    if (lc.family != g->large.family || lc.n_layer != g->large.n_layer || lc.d_model != g->large.d_model ||
        lc.n_head != g->large.n_head || lc.d_ff != g->large.d_ff ||
        (lc.family == LIGO_LLAMA && lc.n_kv_head != g->large.n_kv_head)) {
        ligo_set_error(ctx, LIGO_EFORMAT,
                       "ligo_grow_load: %s grows to %s %lld layers x %lld wide (FFN %lld, %lld heads), this operator to "
                       "%s %lld x %lld (FFN %lld, %lld heads)",
                       path, ligo_family_name(lc.family), (long long)lc.n_layer, (long long)lc.d_model,
                       (long long)lc.d_ff, (long long)lc.n_head, ligo_family_name(g->large.family),
                       (long long)g->large.n_layer, (long long)g->large.d_model, (long long)g->large.d_ff,
                       (long long)g->large.n_head);
        goto done;
    }
    ligo__grow_meta_values(g, v);
    for (k = 0; k < LIGO__GROW_NMETA; k++) {
        const char *have = ligo_st_get_meta(&st, ligo__grow_meta_keys[k]);
        if (!have && k == LIGO__GROW_META_NOISE) have = "0";
        if (!have || strcmp(have, v[k]) != 0) {
            ligo_set_error(ctx, LIGO_EFORMAT, "ligo_grow_load: %s has %s = %s, this operator %s", path,
                           ligo__grow_meta_keys[k], have ? have : "(missing)", v[k]);
            goto done;
        }
    }
    np = ligo__pieces(g, NULL);
    pc = (ligo__piece *)ligo_alloc_scratch(ctx, (size_t)np * sizeof(ligo__piece));
    if (!pc) goto done;
    ligo__pieces(g, pc);
    if (st.n_entries != np) {
        ligo_set_error(ctx, LIGO_EFORMAT, "ligo_grow_load: %s holds %lld tensors, this operator learns %lld", path,
                       (long long)st.n_entries, (long long)np);
        goto done;
    }
    for (k = 0; k < np; k++) { /* check everything before changing anything */
        const ligo_st_entry *e = ligo__piece_entry(&st, &pc[k]);
        int d;
        if (!e) {
            ligo_set_error(ctx, LIGO_EFORMAT, "ligo_grow_load: %s has no tensor %s", path, pc[k].name);
            goto done;
        }
        for (d = 0; d < LIGO_MAX_DIMS; d++)
            if (e->ndim != pc[k].ndim || e->shape[d] != pc[k].shape[d]) {
                ligo_set_error(ctx, LIGO_EFORMAT, "ligo_grow_load: %s: %s has the wrong shape", path, pc[k].name);
                goto done;
            }
    }
    for (k = 0; k < np; k++)
        memcpy(pc[k].data, ligo__piece_entry(&st, &pc[k])->data, (size_t)pc[k].n * sizeof(float));
done:
    ligo_scratch_rewind(ctx, mk);
    return ctx->status;
}

/* -------------------------------------------------------- fitting states */

#define LIGO__FIT_NMETA 6
static const char *ligo__fit_meta_keys[LIGO__FIT_NMETA] = {"ligo.fit.step",    "ligo.fit.rng",
                                                          "ligo.fit.flops",   "ligo.fit.seconds",
                                                          "ligo.fit.loss_first", "ligo.fit.loss_last"};

LIGO_API ligo_status ligo_grow_save_state(ligo_ctx *ctx, const ligo_grow *g, const char *path) {
    ligo_safetensors st;
    ligo_mark mk;
    ligo__piece *pc;
    char v[LIGO__GROW_NMETA][LIGO__META_LEN], f[LIGO__FIT_NMETA][LIGO__META_LEN];
    int64_t k, np, shape[1];
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!g || !path) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_save_state: NULL operator or path");
    if (g->cfg.method == LIGO_GROW_SCRATCH || g->n == 0)
        return ligo_set_error(ctx, LIGO_ESTATE, "ligo_grow_save_state: method %s fits nothing", ligo_grow_method_name(g->cfg.method));
    if (!g->fit_opt)
        return ligo_set_error(ctx, LIGO_ESTATE, "ligo_grow_save_state: no fitting has started (ligo_grow_fit)");
    mk = ligo_scratch_mark(ctx);
    np = ligo__pieces(g, NULL);
    pc = (ligo__piece *)ligo_alloc_scratch(ctx, (size_t)np * sizeof(ligo__piece));
    if (!pc) goto done;
    ligo__pieces(g, pc);
    ligo_st_init(&st);
    if (ligo_config_to_st(ctx, &g->large, &st) != LIGO_OK) goto done;
    ligo__grow_meta_values(g, v);
    for (k = 0; k < LIGO__GROW_NMETA; k++)
        if (ligo_st_set_meta(ctx, &st, ligo__grow_meta_keys[k], v[k]) != LIGO_OK) goto done;
    ligo__meta_fmt_int(f[0], g->fit_step);
    ligo__meta_fmt_rng(f[1], &g->fit_rng);
    ligo__meta_fmt_real(f[2], g->fit_flops);
    ligo__meta_fmt_real(f[3], g->fit_seconds);
    ligo__meta_fmt_float(f[4], g->fit_loss_first);
    ligo__meta_fmt_float(f[5], g->fit_loss_last);
    for (k = 0; k < LIGO__FIT_NMETA; k++)
        if (ligo_st_set_meta(ctx, &st, ligo__fit_meta_keys[k], f[k]) != LIGO_OK) goto done;
    for (k = 0; k < np; k++)
        if (ligo_st_add(ctx, &st, pc[k].name, pc[k].ndim, pc[k].shape, pc[k].data) != LIGO_OK) goto done;
    shape[0] = g->n;
    if (ligo_st_add(ctx, &st, "ligo.fit.m", 1, shape, g->fit_opt->m) != LIGO_OK ||
        ligo_st_add(ctx, &st, "ligo.fit.v", 1, shape, g->fit_opt->v) != LIGO_OK)
        goto done;
    ligo_st_write(ctx, path, &st);
done:
    ligo_scratch_rewind(ctx, mk);
    return ctx->status;
}

/* The first value of x[0..n) that is not finite (or, with nonneg, < 0), or -1. */
static int64_t ligo__first_bad(const float *x, int64_t n, int nonneg) {
    int64_t i;
    for (i = 0; i < n; i++)
        if (!isfinite(x[i]) || (nonneg && x[i] < 0.0f)) return i;
    return -1;
}

LIGO_API ligo_status ligo_grow_resume(ligo_ctx *ctx, ligo_grow *g, const char *path) {
    const char *who = "ligo_grow_resume";
    ligo_safetensors st;
    ligo_config lc;
    ligo_mark mk;
    ligo__piece *pc;
    const ligo_st_entry *em, *ev;
    const char *fv[LIGO__FIT_NMETA];
    char v[LIGO__GROW_NMETA][LIGO__META_LEN];
    double num[4];
    int64_t k, np, step = 0;
    ligo_rng rng;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!g || !path) return ligo_set_error(ctx, LIGO_EINVAL, "%s: NULL operator or path", who);
    if (g->cfg.method == LIGO_GROW_SCRATCH || g->n == 0)
        return ligo_set_error(ctx, LIGO_ESTATE, "%s: method %s fits nothing", who, ligo_grow_method_name(g->cfg.method));
    mk = ligo_scratch_mark(ctx);
    if (ligo_st_read(ctx, path, &st) != LIGO_OK) goto done;
    /* what ligo_grow_load checks: the same operator shape and options */
    if (ligo_config_from_st(ctx, &st, &lc) != LIGO_OK) goto done;
    if (ligo__check_def_meta(ctx, &st, who, path, g->large.family, g->large.def) != LIGO_OK) goto done;
    if (lc.family != g->large.family || lc.n_layer != g->large.n_layer || lc.d_model != g->large.d_model ||
        lc.n_head != g->large.n_head || lc.d_ff != g->large.d_ff ||
        (lc.family == LIGO_LLAMA && lc.n_kv_head != g->large.n_kv_head)) {
        ligo_set_error(ctx, LIGO_EFORMAT,
                       "%s: %s grows to %s %lld layers x %lld wide (FFN %lld, %lld heads), this operator to "
                       "%s %lld x %lld (FFN %lld, %lld heads)",
                       who, path, ligo_family_name(lc.family), (long long)lc.n_layer, (long long)lc.d_model,
                       (long long)lc.d_ff, (long long)lc.n_head, ligo_family_name(g->large.family),
                       (long long)g->large.n_layer, (long long)g->large.d_model, (long long)g->large.d_ff,
                       (long long)g->large.n_head);
        goto done;
    }
    ligo__grow_meta_values(g, v);
    for (k = 0; k < LIGO__GROW_NMETA; k++) {
        const char *have = ligo_st_get_meta(&st, ligo__grow_meta_keys[k]);
        if (!have || strcmp(have, v[k]) != 0) {
            ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s has %s = %.64s, this operator %s", who, path,
                           ligo__grow_meta_keys[k], have ? have : "(missing)", v[k]);
            goto done;
        }
    }
    /* the fitting's own metadata, each value whole */
    for (k = 0; k < LIGO__FIT_NMETA; k++) {
        int ok;
        fv[k] = ligo_st_get_meta(&st, ligo__fit_meta_keys[k]);
        ok = k == 0   ? ligo__meta_int(fv[k], 0, LIGO__META_COUNT_MAX, &step)
             : k == 1 ? ligo__meta_rng(fv[k], &rng)
                      : ligo__meta_real(fv[k], 0.0, &num[k - 2]);
        if (!ok) {
            ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %s is %s%.64s%s (want %s)", who, path, ligo__fit_meta_keys[k],
                           fv[k] ? "\"" : "", fv[k] ? fv[k] : "missing (not a fitting state)", fv[k] ? "\"" : "",
                           k == 0 ? "a count of steps" : k == 1 ? "64 hex digits" : "a finite number >= 0");
            goto done;
        }
    }
    if (step > g->cfg.fit_steps) {
        ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s is at fitting step %lld, past this operator's fit_steps %lld", who,
                       path, (long long)step, (long long)g->cfg.fit_steps);
        goto done;
    }
    np = ligo__pieces(g, NULL);
    pc = (ligo__piece *)ligo_alloc_scratch(ctx, (size_t)np * sizeof(ligo__piece));
    if (!pc) goto done;
    ligo__pieces(g, pc);
    em = ligo_st_find(&st, "ligo.fit.m");
    ev = ligo_st_find(&st, "ligo.fit.v");
    if (st.n_entries != np + 2) {
        ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s holds %lld tensors, this operator's state %lld", who, path,
                       (long long)st.n_entries, (long long)(np + 2));
        goto done;
    }
    for (k = 0; k < 2; k++) {
        const ligo_st_entry *e = k ? ev : em;
        int64_t bad;
        if (!e || e->ndim != 1 || e->n != g->n) {
            ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %s %s (want %lld floats in one dimension)", who, path,
                           k ? "ligo.fit.v" : "ligo.fit.m", e ? "has the wrong shape" : "is missing", (long long)g->n);
            goto done;
        }
        if ((bad = ligo__first_bad(e->data, e->n, k)) >= 0) {
            ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %s[%lld] is %g (want finite%s)", who, path, e->name,
                           (long long)bad, (double)e->data[bad], k ? ", >= 0" : "");
            goto done;
        }
    }
    for (k = 0; k < np; k++) { /* everything is checked before anything changes */
        const ligo_st_entry *e = ligo__piece_entry(&st, &pc[k]);
        int64_t bad;
        int d;
        if (!e) {
            ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s has no tensor %s", who, path, pc[k].name);
            goto done;
        }
        for (d = 0; d < LIGO_MAX_DIMS; d++)
            if (e->ndim != pc[k].ndim || e->shape[d] != pc[k].shape[d]) {
                ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %s has the wrong shape", who, path, pc[k].name);
                goto done;
            }
        if ((bad = ligo__first_bad(e->data, e->n, 0)) >= 0) {
            ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %s[%lld] is %g (want finite)", who, path, pc[k].name,
                           (long long)bad, (double)e->data[bad]);
            goto done;
        }
    }
    if (!ligo__fit_optim(ctx, g)) goto done; /* may run out of memory: still nothing changed */
    for (k = 0; k < np; k++)
        memcpy(pc[k].data, ligo__piece_entry(&st, &pc[k])->data, (size_t)pc[k].n * sizeof(float));
    memcpy(g->fit_opt->m, em->data, (size_t)g->n * sizeof(float));
    memcpy(g->fit_opt->v, ev->data, (size_t)g->n * sizeof(float));
    g->fit_opt->step = step; /* one update per fitting step */
    g->fit_step = step;
    g->fit_rng = rng;
    g->fit_flops = num[0];
    g->fit_seconds = num[1];
    g->fit_loss_first = (float)num[2];
    g->fit_loss_last = (float)num[3];
    g->fit_active = 1;
done:
    ligo_scratch_rewind(ctx, mk);
    return ctx->status;
}
