/* step.c: one training step, the same for the trainer (its model's
 * parameters) and the growth operator's fitting (the operator's floats
 * through the large model's loss): a batch, the loss, backward, the loss
 * and the gradient checked finite, clipping, the update. One function, so
 * both stop on the same checks with the same messages. */
#include "ligo_internal.h"

static int ligo__all_finite(const float *x, int64_t n) {
    int64_t i;
    for (i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

LIGO__PRIV ligo_status ligo__train_step(ligo_ctx *ctx, const ligo__step *s, int64_t step, float lr, float *loss_out) {
    ligo_mark mk = ligo_scratch_mark(ctx);
    ligo_batch bt;
    ligo_tensor *loss;
    double norm;
    if (ligo_data_batch(ctx, s->data, s->cfg, s->rng, s->B, s->T, s->inputs, s->targets, s->images) != LIGO_OK)
        goto done;
    memset(&bt, 0, sizeof bt);
    bt.B = s->B;
    bt.T = s->T;
    bt.inputs = s->inputs;
    bt.targets = s->targets;
    bt.images = s->images;
    memset(s->grad, 0, (size_t)s->n * sizeof(float));
    loss = s->loss(ctx, s->user, &bt);
    if (!loss) goto done;
    *loss_out = loss->data[0];
    if (!isfinite(loss->data[0])) {
        ligo_set_error(ctx, LIGO_ENONFINITE, "%s stopped at step %lld: the loss is %g", s->what, (long long)step,
                       (double)loss->data[0]);
        goto done;
    }
    if (ligo_backward(ctx, loss) != LIGO_OK) goto done;
    /* the norm is already NaN or infinite when an element is; the scan
     * guards the update itself */
    norm = ligo_clip_grad_norm(s->grad, s->n, s->clip);
    if (!isfinite(norm) || !ligo__all_finite(s->grad, s->n)) {
        ligo_set_error(ctx, LIGO_ENONFINITE, "%s stopped at step %lld: the gradient is not finite", s->what,
                       (long long)step);
        goto done;
    }
    ligo_optim_step(ctx, s->opt, s->params, s->grad, lr);
done:
    ligo_scratch_rewind(ctx, mk);
    return ctx->status;
}
