/* step.c: one training step, the same for the trainer (its model's
 * parameters) and the growth operator's fitting (the operator's floats
 * through the large model's loss): a batch, the loss, backward, the loss
 * and the gradient checked finite, clipping, the update. One function, so
 * both stop on the same checks with the same messages. And the progress
 * reports both loops make, with the usual line as a callback. */
#include "ligo_internal.h"

#if defined(_WIN32)
#define LIGO__HAVE_ISATTY 1 /* _isatty from <io.h> (ligo_internal.h) */
#define LIGO__ISATTY(fd) _isatty(fd)
#elif !defined(LIGO_NO_THREADS) || defined(__unix__)
#include <unistd.h>
#define LIGO__HAVE_ISATTY 1
#define LIGO__ISATTY(fd) isatty(fd)
#endif

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
    if (s->on_batch) s->on_batch(s->batch_user, step, &bt);
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

/* ------------------------------------------------------------- progress */

LIGO__PRIV void ligo__progress_report(ligo_progress_fn fn, void *user, ligo_progress *p, double t_start,
                                      double *t_last, double tokens_per_step) {
    double now = ligo_time_sec();
    p->seconds = now - t_start;
    p->since_last = now - *t_last;
    *t_last = now;
    p->tokens_per_sec = p->seconds > 0.0 ? (double)p->run_steps * tokens_per_step / p->seconds : 0.0;
    p->eta_seconds = p->run_steps > 0 ? p->seconds / (double)p->run_steps * (double)(p->total - p->step) : -1.0;
    fn(user, p);
}

static void ligo__fmt_eta(double sec, char *buf, size_t n) {
    long s = (long)(sec + 0.5);
    if (sec < 0 || sec > 1e7) snprintf(buf, n, "?");
    else if (s >= 3600) snprintf(buf, n, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else snprintf(buf, n, "%ldm%02lds", s / 60, s % 60);
}

/* Whether the run's clock passed a multiple of `every` seconds since the
 * previous report: a line per interval without a state of its own. */
static int ligo__interval_passed(const ligo_progress *p, double every) {
    return floor(p->seconds / every) > floor((p->seconds - p->since_last) / every);
}

LIGO_API void ligo_progress_print_stderr(void *user, const ligo_progress *p) {
    int tty = 0;
    char eta[32];
    (void)user;
    if (!p) return;
#ifdef LIGO__HAVE_ISATTY
    tty = LIGO__ISATTY(2);
#endif
    if (p->phase == LIGO_PHASE_FIT) {
        if (!p->done)
            fprintf(stderr, "\rligo grow: fitting step %lld/%lld  loss %.4f   ", (long long)p->step,
                    (long long)p->total, p->loss);
        else if (p->run_steps > 0)
            fputc('\n', stderr);
        return;
    }
    if (p->done) {
        if (tty) fputc('\n', stderr);
        return;
    }
    if (!(p->run_steps == 1 || p->evaluated || ligo__interval_passed(p, tty ? 0.2 : 10.0))) return;
    ligo__fmt_eta(p->eta_seconds, eta, sizeof eta);
    fprintf(stderr, "%sstep %lld/%lld  loss %.4f", tty ? "\r" : "", (long long)p->step, (long long)p->total, p->loss);
    if (p->val_loss >= 0) fprintf(stderr, "  val %.4f", p->val_loss);
    fprintf(stderr, "  %.0f tok/s  %.3g FLOPs  eta %s%s", p->tokens_per_sec, p->flops, eta, tty ? "   " : "\n");
}
