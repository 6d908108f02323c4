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

LIGO_API ligo_status ligo_grow_fit(ligo_ctx *ctx, ligo_grow *g, const ligo_data *d) {
    ligo_optim *opt;
    ligo_schedule sched;
    int32_t *in, *tg;
    float *img = NULL;
    ligo_tensor **w;
    int64_t B, T, every;
    ligo_mark outer;
    double f0, t0;
    int stopped = 0, printed = 0;
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
    in = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    tg = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    w = (ligo_tensor **)ligo_alloc_scratch(ctx, (size_t)g->shape->n_tensors * sizeof(ligo_tensor *));
    if (g->large.family == LIGO_VIT)
        img = (float *)ligo_alloc_scratch(ctx, (size_t)(B * g->large.image_h * g->large.image_w) * sizeof(float));
    if (!in || !tg || !w || (g->large.family == LIGO_VIT && !img)) return ctx->status;
    f0 = ctx->flops_fwd + ctx->flops_bwd;
    t0 = ligo_time_sec();
    while (g->fit_step < g->cfg.fit_steps) {
        int64_t step = g->fit_step;
        ligo_mark mk = ligo_scratch_mark(ctx);
        ligo_batch bt;
        ligo_tensor *loss;
        double norm;
        if (g->cfg.interrupt && *g->cfg.interrupt) {
            stopped = 1;
            break;
        }
        if (ligo_data_batch(ctx, d, &g->large, &g->fit_rng, B, T, in, tg, img) != LIGO_OK) break;
        memset(g->grad, 0, (size_t)g->n * sizeof(float));
        if (ligo_grow_materialize(ctx, g, w) != LIGO_OK) break;
        memset(&bt, 0, sizeof bt);
        bt.B = B;
        bt.T = T;
        bt.inputs = in;
        bt.targets = tg;
        bt.images = img;
        loss = ligo_model_forward(ctx, g->shape, w, &bt, NULL);
        if (!loss) break;
        if (!isfinite(loss->data[0])) {
            ligo_set_error(ctx, LIGO_ENONFINITE, "ligo_grow_fit: the loss is %g at fitting step %lld",
                           (double)loss->data[0], (long long)step + 1);
            break;
        }
        if (ligo_backward(ctx, loss) != LIGO_OK) break;
        norm = ligo_clip_grad_norm(g->grad, g->n, g->cfg.fit_clip);
        if (!isfinite(norm)) {
            ligo_set_error(ctx, LIGO_ENONFINITE, "ligo_grow_fit: the gradient is not finite at fitting step %lld",
                           (long long)step + 1);
            break;
        }
        if (ligo_optim_step(ctx, opt, g->data, g->grad, ligo_schedule_lr(&sched, step)) != LIGO_OK) break;
        if (step == 0) g->fit_loss_first = loss->data[0];
        g->fit_loss_last = loss->data[0];
        g->fit_step = step + 1;
        if (g->cfg.progress)
            printed = fprintf(stderr, "\rligo grow: fitting step %lld/%lld  loss %.4f   ", (long long)step + 1,
                              (long long)g->cfg.fit_steps, (double)loss->data[0]);
        ligo_scratch_rewind(ctx, mk);
        if (g->cfg.fit_ckpt_path && ((every > 0 && g->fit_step % every == 0) || g->fit_step == g->cfg.fit_steps)) {
            ligo__fit_count(ctx, g, &f0, &t0);
            if (ligo_grow_save_state(ctx, g, g->cfg.fit_ckpt_path) != LIGO_OK) break;
        }
    }
    if (g->cfg.progress && printed) fputc('\n', stderr);
    ligo__fit_count(ctx, g, &f0, &t0);
    ligo_scratch_rewind(ctx, outer);
    if (stopped && g->cfg.fit_ckpt_path) ligo_grow_save_state(ctx, g, g->cfg.fit_ckpt_path);
    /* done, or failed (a later call starts afresh); an interrupt keeps it open */
    if (ctx->status != LIGO_OK || g->fit_step == g->cfg.fit_steps) g->fit_active = 0;
    return ctx->status;
}
