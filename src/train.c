/* train.c: evaluation, and the training loop used by the examples:
 * progress reports, periodic evaluation, CSV log, checkpoints with the whole
 * training state, early stop at a target loss, and a clear stop on a
 * non-finite loss or gradient. */
#include "ligo_internal.h"

/* ------------------------------------------------------------ evaluation */

/* The i-th of n items spread evenly over all (n <= all): floor(i all / n),
 * so a subset of the validation split covers the whole split. */
static int64_t ligo__spread(int64_t i, int64_t n, int64_t all) {
    return n >= all ? i : i * all / n;
}

/* Seed of the fixed masks of BERT's validation loss. */
#define LIGO__EVAL_MASK_SEED 1234567

/* A non-finite mean loss is an error naming it and the first batch whose
 * loss was not finite: items first .. first + n - 1 of total. */
static ligo_status ligo__eval_finite(ligo_ctx *ctx, const ligo_eval_result *out, const char *items, int64_t first,
                                     int64_t n, int64_t total) {
    char where[160] = "";
    if (isfinite(out->loss)) return LIGO_OK;
    if (first >= 0)
        snprintf(where, sizeof where, "; the first non-finite batch is %s %lld-%lld of %lld", items, (long long)first,
                 (long long)(first + n - 1), (long long)total);
    return ligo_set_error(ctx, LIGO_ENONFINITE, "ligo_evaluate: the validation loss is %s (over %lld predictions)%s",
                          isnan(out->loss) ? "nan" : out->loss > 0 ? "inf" : "-inf", (long long)out->count, where);
}

LIGO_API ligo_status ligo_evaluate(ligo_ctx *ctx, ligo_model *m, const ligo_data *d, int64_t B, int64_t T,
                                   int64_t max_windows, ligo_eval_result *out) {
    ligo_mark mk;
    double total = 0.0, correct = 0.0;
    int64_t count = 0, k, n_win, all_win, b, bad = -1, bad_n = 0;
    int32_t *in, *tg;
    ligo_rng mask_rng;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!m || !d || !out) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_evaluate: NULL argument");
    if (B < 1 || B > (1 << 20))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_evaluate: batch B is %lld (want 1 to 2^20)", (long long)B);
    if (m->cfg.family != LIGO_VIT && T < 1)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_evaluate: context T is %lld (want at least 1)", (long long)T);
    if (m->cfg.family != LIGO_VIT && T > m->cfg.ctx_len)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_evaluate: context T is %lld, longer than the model's context %lld",
                              (long long)T, (long long)m->cfg.ctx_len);
    if (d->family != m->cfg.family)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_evaluate: %s data for a %s model", ligo_family_name(d->family),
                              ligo_family_name(m->cfg.family));
    if (ligo__check_vocab(ctx, d, &m->cfg) != LIGO_OK) return ctx->status;
    memset(out, 0, sizeof *out);
    out->accuracy = -1.0;
    mk = ligo_scratch_mark(ctx);
    if (m->cfg.family == LIGO_VIT) {
        const ligo_images *im = &d->test;
        int64_t HW = im->rows * im->cols, n = im->n;
        int64_t all = n;
        float *x;
        if (max_windows > 0 && max_windows < n) n = max_windows;
        x = (float *)ligo_alloc_scratch(ctx, (size_t)(B * HW) * sizeof(float));
        tg = (int32_t *)ligo_alloc_scratch(ctx, (size_t)B * sizeof(int32_t));
        if (!x || !tg) return ctx->status;
        for (k = 0; k < n; k += B) {
            ligo_mark inner = ligo_scratch_mark(ctx);
            int64_t bb = n - k < B ? n - k : B, c, v;
            ligo_batch bt;
            ligo_tensor *logits, *loss;
            for (b = 0; b < bb; b++) {
                int64_t at = ligo__spread(k + b, n, all);
                memcpy(x + b * HW, im->pixels + at * HW, (size_t)HW * sizeof(float));
                tg[b] = im->labels[at];
            }
            memset(&bt, 0, sizeof bt);
            bt.B = bb;
            bt.images = x;
            bt.targets = tg;
            loss = ligo_model_loss(ctx, m, &bt, &logits);
            if (!loss) return ctx->status;
            if (bad < 0 && !isfinite(loss->data[0])) {
                bad = k;
                bad_n = bb;
            }
            total += (double)loss->data[0] * (double)bb;
            for (b = 0; b < bb; b++) {
                const float *row = logits->data + b * logits->shape[1];
                c = 0;
                for (v = 1; v < logits->shape[1]; v++)
                    if (row[v] > row[c]) c = v;
                correct += c == tg[b];
            }
            count += bb;
            ligo_scratch_rewind(ctx, inner);
        }
        out->loss = count ? total / (double)count : 0.0;
        out->accuracy = count ? correct / (double)count : 0.0;
        out->count = count;
        ligo_scratch_rewind(ctx, mk);
        return ligo__eval_finite(ctx, out, "test images", bad, bad_n, n);
    }
    /* GPT (and LLaMA) windows hold T + 1 tokens (T predictions); BERT's T tokens */
    n_win = ligo_tokens_windows(&d->tokens, LIGO_SPLIT_VAL,
                                m->cfg.family == LIGO_GPT || m->cfg.family == LIGO_LLAMA ? T : T - 1);
    if (n_win < 1) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_evaluate: the validation split is shorter than one window of %lld",
                              (long long)T);
    }
    all_win = n_win;
    if (max_windows > 0 && max_windows < n_win) n_win = max_windows;
    in = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    tg = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    if (!in || !tg) return ctx->status;
    ligo_rng_seed(&mask_rng, LIGO__EVAL_MASK_SEED);
    for (k = 0; k < n_win; k += B) {
        ligo_mark inner = ligo_scratch_mark(ctx);
        int64_t bb = n_win - k < B ? n_win - k : B, weight;
        ligo_batch bt;
        ligo_tensor *loss;
        for (b = 0; b < bb; b++) {
            if (m->cfg.family == LIGO_GPT || m->cfg.family == LIGO_LLAMA) {
                if (ligo_tokens_window(ctx, &d->tokens, LIGO_SPLIT_VAL, ligo__spread(k + b, n_win, all_win), T, in + b * T,
                                       tg + b * T) != LIGO_OK)
                    return ctx->status;
            } else {
                /* T tokens: the window's inputs plus its last target */
                if (ligo_tokens_window(ctx, &d->tokens, LIGO_SPLIT_VAL, ligo__spread(k + b, n_win, all_win), T - 1,
                                       in + b * T, tg + b * T) != LIGO_OK)
                    return ctx->status;
                in[b * T + T - 1] = tg[b * T + T - 2];
            }
        }
        if (m->cfg.family == LIGO_BERT) {
            memcpy(tg, in, (size_t)(bb * T) * sizeof(int32_t));
            if (ligo_mlm_mask(ctx, &mask_rng, tg, bb * T, 0.15f, (int32_t)(m->cfg.vocab - 1), d->tokens.vocab,
                              LIGO_IGNORE, in, tg) != LIGO_OK)
                return ctx->status;
        }
        memset(&bt, 0, sizeof bt);
        bt.B = bb;
        bt.T = T;
        bt.inputs = in;
        bt.targets = tg;
        loss = ligo_model_loss(ctx, m, &bt, NULL);
        if (!loss) return ctx->status;
        weight = ligo_cross_entropy_count(loss); /* predictions that counted */
        if (bad < 0 && !isfinite(loss->data[0])) {
            bad = k;
            bad_n = bb;
        }
        total += (double)loss->data[0] * (double)weight;
        count += weight;
        ligo_scratch_rewind(ctx, inner);
    }
    out->loss = count ? total / (double)count : 0.0;
    out->count = count;
    ligo_scratch_rewind(ctx, mk);
    return ligo__eval_finite(ctx, out, "windows", bad, bad_n, n_win);
}

/* ---------------------------------------------------------------- trainer */

LIGO_API ligo_train_config ligo_train_config_default(void) {
    ligo_train_config c;
    memset(&c, 0, sizeof c);
    c.steps = 1000;
    c.batch = 16;
    c.ctx = 0; /* the model's context */
    c.sched.lr_max = 1e-3f;
    c.sched.lr_min = 1e-4f;
    c.sched.warmup = 100;
    c.sched.decay = LIGO_DECAY_COSINE;
    c.optim = ligo_optim_config_default(LIGO_ADAMW);
    c.clip = 1.0;
    c.seed = 1;
    c.eval_every = 0;
    c.progress = 1;
    return c;
}

/* A rate of the schedule: finite and >= 0. */
static ligo_status ligo__check_rate(ligo_ctx *ctx, const char *who, const char *field, float v) {
    if (!(v >= 0.0f) || !isfinite(v))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %s is %g (want a finite rate >= 0)", who, field, (double)v);
    return LIGO_OK;
}

static ligo_status ligo__check_count(ligo_ctx *ctx, const char *who, const char *field, int64_t v, const char *what) {
    if (v < 0) return ligo_set_error(ctx, LIGO_EINVAL, "%s: %s is %lld (want >= 0%s)", who, field, (long long)v, what);
    return LIGO_OK;
}

/* Every field of a training config against the model (and the data when
 * given), each bad one named with its value; T is the resolved context. */
static ligo_status ligo__train_config_check(ligo_ctx *ctx, const char *who, const ligo_train_config *c,
                                            const ligo_config *model, const ligo_data *d, int64_t *T_out) {
    ligo_config mc;
    int64_t T;
    if (!c || !model) return ligo_set_error(ctx, LIGO_EINVAL, "%s: NULL config or model config", who);
    mc = *model;
    if (ligo_config_check(ctx, &mc) != LIGO_OK) return ctx->status;
    if (ligo__check_count(ctx, who, "steps", c->steps, " updates") != LIGO_OK) return ctx->status;
    if (c->batch < 1 || c->batch > (1 << 20))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: batch is %lld (want 1 <= batch <= 2^20)", who,
                              (long long)c->batch);
    if (mc.family == LIGO_VIT) {
        T = mc.ctx_len; /* from the image; ctx is not used */
    } else {
        if (c->ctx < 0)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: ctx is %lld (want 1 to the model's context %lld, or 0 for it)",
                                  who, (long long)c->ctx, (long long)mc.ctx_len);
        if (c->ctx > mc.ctx_len)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: ctx %lld is longer than the model's context %lld", who,
                                  (long long)c->ctx, (long long)mc.ctx_len);
        T = c->ctx == 0 ? mc.ctx_len : c->ctx;
    }
    if (ligo__check_rate(ctx, who, "sched.lr_max", c->sched.lr_max) != LIGO_OK) return ctx->status;
    if (ligo__check_rate(ctx, who, "sched.lr_min", c->sched.lr_min) != LIGO_OK) return ctx->status;
    if (ligo__check_count(ctx, who, "sched.warmup", c->sched.warmup, " steps") != LIGO_OK) return ctx->status;
    if (c->sched.decay < LIGO_DECAY_COSINE || c->sched.decay > LIGO_DECAY_WSD)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: sched.decay is %d (want LIGO_DECAY_COSINE, _LINEAR, _CONSTANT or _WSD)",
                              who, (int)c->sched.decay);
    if (c->sched.decay == LIGO_DECAY_WSD && (c->sched.decay_steps < 0 || c->sched.decay_steps > c->steps))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: sched.decay_steps is %lld (want 0 to steps = %lld)", who,
                              (long long)c->sched.decay_steps, (long long)c->steps);
    if (ligo__optim_config_check(ctx, who, "optim.", &c->optim) != LIGO_OK) return ctx->status;
    if (!(c->clip >= 0.0) || !isfinite(c->clip))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: clip is %g (want a finite norm >= 0; 0 = off)", who, c->clip);
    if (ligo__check_count(ctx, who, "eval_every", c->eval_every, " steps; 0 = at the end") != LIGO_OK ||
        ligo__check_count(ctx, who, "eval_windows", c->eval_windows, "; 0 = the whole validation split") != LIGO_OK ||
        ligo__check_count(ctx, who, "ckpt_every", c->ckpt_every, " steps; 0 = at the end") != LIGO_OK)
        return ctx->status;
    if (!(c->target_loss >= 0.0) || !isfinite(c->target_loss))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: target_loss is %g (want a finite loss >= 0; 0 = off)", who,
                              c->target_loss);
    if (d && ligo__data_check(ctx, who, d, &mc, T, 1) != LIGO_OK) return ctx->status;
    if (T_out) *T_out = T;
    return LIGO_OK;
}

LIGO_API ligo_status ligo_train_config_check(ligo_ctx *ctx, const ligo_train_config *cfg, const ligo_config *model,
                                             const ligo_data *d) {
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    return ligo__train_config_check(ctx, "ligo_train_config_check", cfg, model, d, NULL);
}

LIGO_API ligo_trainer *ligo_trainer_new(ligo_ctx *ctx, ligo_model *m, const ligo_data *d, const ligo_train_config *cfg) {
    ligo_trainer *tr;
    int64_t B, T = 0;
    if (ligo__failed(ctx)) return NULL;
    if (!m || !d || !cfg) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_trainer_new: NULL model, data or config");
        return NULL;
    }
    /* everything is checked before anything is allocated */
    if (ligo__train_config_check(ctx, "ligo_trainer_new", cfg, &m->cfg, d, &T) != LIGO_OK) return NULL;
    B = cfg->batch;
    tr = (ligo_trainer *)ligo_alloc_persistent(ctx, sizeof *tr);
    if (!tr) return NULL;
    tr->model = m;
    tr->data = d;
    tr->cfg = *cfg;
    tr->cfg.ctx = T;
    tr->cfg.sched.total = cfg->steps;
    tr->opt = ligo_optim_new_for_model(ctx, &cfg->optim, m);
    tr->inputs = (int32_t *)ligo_alloc_persistent(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    tr->targets = (int32_t *)ligo_alloc_persistent(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    if (m->cfg.family == LIGO_VIT)
        tr->images = (float *)ligo_alloc_persistent(ctx, (size_t)(B * m->cfg.image_h * m->cfg.image_w) * sizeof(float));
    if (!tr->opt || !tr->inputs || !tr->targets || (m->cfg.family == LIGO_VIT && !tr->images)) return NULL;
    ligo_rng_seed(&tr->rng, cfg->seed);
    tr->last_val = -1.0;
    tr->last_acc = -1.0;
    return tr;
}

static ligo_tensor *ligo__trainer_loss(ligo_ctx *ctx, void *model, const ligo_batch *bt) {
    return ligo_model_loss(ctx, (ligo_model *)model, bt, NULL);
}

LIGO_API ligo_status ligo_trainer_step(ligo_ctx *ctx, ligo_trainer *tr, float *loss_out) {
    ligo__step st;
    double f0, t0;
    float loss = 0.0f;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!tr) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_trainer_step: trainer is NULL");
    t0 = ligo_time_sec();
    f0 = ctx->flops_fwd + ctx->flops_bwd;
    memset(&st, 0, sizeof st);
    st.what = "training";
    st.data = tr->data;
    st.cfg = &tr->model->cfg;
    st.rng = &tr->rng;
    st.B = tr->cfg.batch;
    st.T = tr->cfg.ctx;
    st.inputs = tr->inputs;
    st.targets = tr->targets;
    st.images = tr->images;
    st.loss = ligo__trainer_loss;
    st.user = tr->model;
    st.params = tr->model->data;
    st.grad = tr->model->grad;
    st.n = tr->model->n_floats;
    st.opt = tr->opt;
    st.clip = tr->cfg.clip;
    if (ligo__train_step(ctx, &st, tr->step + 1, ligo_schedule_lr(&tr->cfg.sched, tr->step), &loss) != LIGO_OK)
        return ctx->status;
    tr->step++;
    tr->last_loss = loss;
    if (loss_out) *loss_out = loss;
    tr->train_flops += ctx->flops_fwd + ctx->flops_bwd - f0;
    tr->seconds += ligo_time_sec() - t0;
    return LIGO_OK;
}

/* ------------------------------------------------------------- the loop */

/* A non-finite stop: the context's message, after prefix, and which
 * checkpoint is still good (nothing is written now). */
static void ligo__nonfinite_stop(ligo_ctx *ctx, const char *prefix, const char *ckpt, int64_t saved_step) {
    char why[LIGO__ERRMSG];
    ligo_status s = ctx->status;
    snprintf(why, sizeof why, "%s", ctx->errmsg);
    ligo_clear_error(ctx);
    if (!ckpt)
        ligo_set_error(ctx, s, "%s%s", prefix, why);
    else if (saved_step >= 0)
        ligo_set_error(ctx, s, "%s%s; the last checkpoint, %s (step %lld), is kept", prefix, why, ckpt,
                       (long long)saved_step);
    else
        ligo_set_error(ctx, s, "%s%s; %s is left as it was", prefix, why, ckpt);
}

LIGO_API ligo_status ligo_trainer_run(ligo_ctx *ctx, ligo_trainer *tr) {
    FILE *csv = NULL;
    double t_start, t_last, tokens;
    int64_t saved_step = -1;
    ligo_status s = LIGO_OK;
    const ligo_train_config *c;
    ligo_progress pr;
    int report;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!tr) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_trainer_run: trainer is NULL");
    c = &tr->cfg;
    report = c->progress && c->on_progress;
    tokens = (double)(c->batch * c->ctx); /* per step, for the reports' rate */
    if (c->csv_path) {
        csv = fopen(c->csv_path, tr->step > 0 ? "ab" : "wb"); /* binary: \n, not \r\n, on Windows too */
        if (!csv) return ligo_set_error(ctx, LIGO_EIO, "ligo_trainer_run: cannot open %s", c->csv_path);
        if (tr->step == 0) fprintf(csv, "step,tokens,flops,seconds,lr,train_loss,val_loss,val_acc\n");
    }
    memset(&pr, 0, sizeof pr);
    pr.phase = LIGO_PHASE_TRAIN;
    pr.step = tr->step;
    pr.total = c->steps;
    pr.val_loss = tr->last_val;
    t_start = t_last = ligo_time_sec();
    while (tr->step < c->steps) {
        float loss;
        int last, do_eval;
        if (c->interrupt && *c->interrupt) break;
        if (ligo_trainer_step(ctx, tr, &loss) != LIGO_OK) {
            s = ctx->status;
            if (s == LIGO_ENONFINITE && c->ckpt_path) ligo__nonfinite_stop(ctx, "", c->ckpt_path, saved_step);
            break;
        }
        last = tr->step == c->steps;
        do_eval = last || (c->eval_every > 0 && tr->step % c->eval_every == 0);
        if (do_eval) {
            ligo_eval_result ev;
            if (ligo_evaluate(ctx, tr->model, tr->data, c->batch, c->ctx, c->eval_windows, &ev) != LIGO_OK) {
                s = ctx->status;
                if (s == LIGO_ENONFINITE) {
                    char prefix[64];
                    snprintf(prefix, sizeof prefix, "training stopped after step %lld: ", (long long)tr->step);
                    ligo__nonfinite_stop(ctx, prefix, c->ckpt_path, saved_step);
                }
                break;
            }
            tr->last_val = ev.loss;
            tr->last_acc = ev.accuracy;
        }
        if (csv && (do_eval || tr->step % 10 == 0)) {
            fprintf(csv, "%lld,%lld,%.6g,%.3f,%.6g,%.5f,", (long long)tr->step,
                    (long long)(tr->step * c->batch * c->ctx), tr->train_flops, tr->seconds,
                    (double)ligo_schedule_lr(&c->sched, tr->step - 1), (double)loss);
            if (do_eval) fprintf(csv, "%.5f,%.5f\n", tr->last_val, tr->last_acc);
            else fprintf(csv, ",\n");
            fflush(csv);
        }
        if (report) {
            pr.step = tr->step;
            pr.run_steps++;
            pr.loss = loss;
            pr.val_loss = tr->last_val;
            pr.evaluated = do_eval;
            pr.flops = tr->train_flops;
            ligo__progress_report(c->on_progress, c->progress_user, &pr, t_start, &t_last, tokens);
        }
        if (c->ckpt_path && ((c->ckpt_every > 0 && tr->step % c->ckpt_every == 0) || last)) {
            if (ligo_trainer_save(ctx, tr, c->ckpt_path) != LIGO_OK) {
                s = ctx->status;
                break;
            }
            saved_step = tr->step;
        }
        if (do_eval && c->target_loss > 0.0 && tr->last_val >= 0.0 && tr->last_val <= c->target_loss) break;
    }
    if (s == LIGO_OK && c->interrupt && *c->interrupt && c->ckpt_path) s = ligo_trainer_save(ctx, tr, c->ckpt_path);
    if (report) { /* the end, also after a failure */
        pr.done = 1;
        pr.step = tr->step;
        pr.val_loss = tr->last_val;
        pr.evaluated = 0;
        ligo__progress_report(c->on_progress, c->progress_user, &pr, t_start, &t_last, tokens);
    }
    if (csv) fclose(csv);
    return s;
}
