/* grow_fit.c: fitting the growth operator (docs/design.md 4.5): the large
 * model's loss on real batches through weights materialised from the
 * operator at every step, AdamW on the operator's learned floats only,
 * with its state (moments, step, RNG) kept so a fitting resumes exactly. */
#include "ligo_internal.h"

/* The operator's AdamW: eps 1e-6, no weight decay (docs/design.md 4.5);
 * made once per operator and reused by every fitting. */
LIGO__PRIV ligo_optim *ligo__fit_optim(ligo_ctx *ctx, ligo_grow *g) {
    ligo_optim_config oc;
    if (g->fit_opt) return g->fit_opt;
    oc = ligo_optim_config_default(LIGO_ADAMW);
    oc.beta2 = 0.999f;
    oc.eps = 1e-6f;
    oc.weight_decay = 0.0f;
    g->fit_opt = ligo_optim_new(ctx, &oc, g->n, NULL, 0);
    return g->fit_opt;
}

/* The counters up to now, so that a state saved mid-fitting holds them. */
static void ligo__fit_count(ligo_ctx *ctx, ligo_grow *g, double *f0, double *t0) {
    double f = ctx->flops_fwd + ctx->flops_bwd, t = ligo_time_sec();
    g->fit_flops += f - *f0;
    g->fit_seconds += t - *t0;
    *f0 = f;
    *t0 = t;
}

/* The large model's loss on weights materialised from the operator. */
typedef struct ligo__fit_user {
    ligo_grow *g;
    ligo_tensor **w; /* room for the large model's weights */
} ligo__fit_user;

static ligo_tensor *ligo__fit_loss(ligo_ctx *ctx, void *user, const ligo_batch *bt) {
    ligo__fit_user *u = (ligo__fit_user *)user;
    if (ligo_grow_materialize(ctx, u->g, u->w) != LIGO_OK) return NULL;
    return ligo_model_forward(ctx, u->g->shape, u->w, bt, NULL);
}

LIGO_API ligo_status ligo_grow_fit(ligo_ctx *ctx, ligo_grow *g, const ligo_data *d) {
    ligo_optim *opt;
    ligo_schedule sched;
    ligo__step st;
    ligo__fit_user fu;
    int64_t B, T, every;
    ligo_mark outer;
    double f0, t0, t_start, t_last, tokens;
    ligo_progress pr;
    int stopped = 0, report;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!g || !d) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_fit: NULL operator or data");
    if (g->n == 0 || g->cfg.fit_steps == 0) return LIGO_OK;
    B = g->cfg.batch;
    every = g->cfg.fit_ckpt_every;
    /* the context ligo_grow_new checked (0: the model's); never clamped */
    T = g->large.family == LIGO_VIT || g->cfg.ctx == 0 ? g->large.ctx_len : g->cfg.ctx;
    if (B < 1 || B > (1 << 20) || T < 1 || T > g->large.ctx_len)
        return ligo_set_error(ctx, LIGO_EINVAL,
                              "ligo_grow_fit: batch %lld, ctx %lld (want 1 <= batch <= 2^20, ctx 0 or 1 to the model's "
                              "context %lld)",
                              (long long)B, (long long)g->cfg.ctx, (long long)g->large.ctx_len);
    if (every < 0)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_fit: fit_ckpt_every is %lld (want >= 0 steps; 0 = at the end)",
                              (long long)every);
    if (g->fit_active && g->fit_step > g->cfg.fit_steps)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_fit: the fitting to continue is at step %lld, past fit_steps %lld",
                              (long long)g->fit_step, (long long)g->cfg.fit_steps);
    if (ligo__data_check(ctx, "ligo_grow_fit", d, &g->large, T, 0) != LIGO_OK) return ctx->status;
    opt = ligo__fit_optim(ctx, g);
    if (!opt) return ctx->status;
    if (!g->fit_active) { /* a new fitting */
        memset(opt->m, 0, (size_t)g->n * sizeof(float));
        memset(opt->v, 0, (size_t)g->n * sizeof(float));
        opt->step = 0;
        g->fit_step = 0;
        ligo_rng_seed(&g->fit_rng, g->cfg.seed ^ 0x5eedULL);
        g->fit_active = 1;
    }
    /* warm-up, then constant: the operator's rate must leave the warm-up
     * well within the fitting steps (docs/design.md 4.5) */
    memset(&sched, 0, sizeof sched);
    sched.lr_max = g->cfg.fit_lr;
    sched.lr_min = g->cfg.fit_lr;
    sched.warmup = g->cfg.fit_warmup < g->cfg.fit_steps ? g->cfg.fit_warmup : g->cfg.fit_steps / 2;
    sched.total = g->cfg.fit_steps;
    sched.decay = LIGO_DECAY_CONSTANT;
    outer = ligo_scratch_mark(ctx);
    memset(&st, 0, sizeof st);
    st.what = "ligo_grow_fit: fitting";
    st.data = d;
    st.cfg = &g->large;
    st.rng = &g->fit_rng;
    st.B = B;
    st.T = T;
    st.inputs = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    st.targets = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    if (g->large.family == LIGO_VIT)
        st.images = (float *)ligo_alloc_scratch(ctx, (size_t)(B * g->large.image_h * g->large.image_w) * sizeof(float));
    fu.g = g;
    fu.w = (ligo_tensor **)ligo_alloc_scratch(ctx, (size_t)g->shape->n_tensors * sizeof(ligo_tensor *));
    st.loss = ligo__fit_loss;
    st.user = &fu;
    st.params = g->data;
    st.grad = g->grad;
    st.n = g->n;
    st.opt = opt;
    st.clip = g->cfg.fit_clip;
    st.on_batch = g->cfg.on_batch;
    st.batch_user = g->cfg.batch_user;
    if (!st.inputs || !st.targets || !fu.w || (g->large.family == LIGO_VIT && !st.images)) return ctx->status;
    report = g->cfg.progress && g->cfg.on_progress;
    tokens = (double)(B * T); /* per step, for the reports' rate */
    memset(&pr, 0, sizeof pr);
    pr.phase = LIGO_PHASE_FIT;
    pr.step = g->fit_step;
    pr.total = g->cfg.fit_steps;
    pr.val_loss = -1.0;
    f0 = ctx->flops_fwd + ctx->flops_bwd;
    t0 = t_start = t_last = ligo_time_sec();
    while (g->fit_step < g->cfg.fit_steps) {
        int64_t step = g->fit_step;
        float loss;
        if (g->cfg.interrupt && *g->cfg.interrupt) {
            stopped = 1;
            break;
        }
        if (ligo__train_step(ctx, &st, step + 1, ligo_schedule_lr(&sched, step), &loss) != LIGO_OK) break;
        if (step == 0) g->fit_loss_first = loss;
        g->fit_loss_last = loss;
        g->fit_step = step + 1;
        if (report) {
            pr.step = g->fit_step;
            pr.run_steps++;
            pr.loss = loss;
            pr.flops = g->fit_flops + ctx->flops_fwd + ctx->flops_bwd - f0;
            ligo__progress_report(g->cfg.on_progress, g->cfg.progress_user, &pr, t_start, &t_last, tokens);
        }
        if (g->cfg.fit_ckpt_path && ((every > 0 && g->fit_step % every == 0) || g->fit_step == g->cfg.fit_steps)) {
            ligo__fit_count(ctx, g, &f0, &t0);
            if (ligo_grow_save_state(ctx, g, g->cfg.fit_ckpt_path) != LIGO_OK) break;
        }
    }
    ligo__fit_count(ctx, g, &f0, &t0);
    if (report) { /* the end, also after a failure */
        pr.done = 1;
        pr.flops = g->fit_flops;
        ligo__progress_report(g->cfg.on_progress, g->cfg.progress_user, &pr, t_start, &t_last, tokens);
    }
    ligo_scratch_rewind(ctx, outer);
    if (stopped && g->cfg.fit_ckpt_path) ligo_grow_save_state(ctx, g, g->cfg.fit_ckpt_path);
    /* done, or failed (a later call starts afresh); an interrupt keeps it open */
    if (ctx->status != LIGO_OK || g->fit_step == g->cfg.fit_steps) g->fit_active = 0;
    return ctx->status;
}
