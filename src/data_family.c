/* data_family.c: what a family trains on (ligo_data): loading it, checking
 * that it suits a model before any work, and drawing a training batch, the
 * same for the trainer and the growth operator's fitting. */
#include "ligo_internal.h"

#include <errno.h>

LIGO_API ligo_status ligo_data_load(ligo_ctx *ctx, ligo_family family, const char *path, ligo_data *out) {
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_data_load: NULL path or output");
    memset(out, 0, sizeof *out);
    out->family = family;
    if (family != LIGO_VIT) return ligo_tokens_load_text(ctx, path, &out->tokens);
    {
        /* the four IDX files, gzipped (Debian's layout) or not */
        static const char *names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                       "t10k-labels-idx1-ubyte"};
        char p[4][1024];
        int i;
        for (i = 0; i < 4; i++) {
            FILE *f;
            snprintf(p[i], sizeof p[i], "%s/%s.gz", path, names[i]);
            f = fopen(p[i], "rb");
            if (f) {
                fclose(f);
                continue;
            }
            snprintf(p[i], sizeof p[i], "%s/%s", path, names[i]);
            f = fopen(p[i], "rb");
            if (!f)
                return ligo_set_error(ctx, LIGO_EIO, "ligo_data_load: %s has no %s(.gz) (the Fashion-MNIST IDX files): %s",
                                      path, names[i], strerror(errno));
            fclose(f);
        }
        if (ligo_images_load_idx(ctx, p[0], p[1], &out->train) != LIGO_OK) return ctx->status;
        return ligo_images_load_idx(ctx, p[2], p[3], &out->test);
    }
}

LIGO__PRIV ligo_status ligo__check_vocab(ligo_ctx *ctx, const ligo_data *d, const ligo_config *cfg) {
    int64_t need = cfg->family == LIGO_BERT ? d->tokens.vocab + 1 : d->tokens.vocab;
    if (cfg->family != LIGO_VIT && cfg->vocab < need)
        return ligo_set_error(ctx, LIGO_ERANGE, "the data has %ld token ids; the model's vocabulary is %lld%s",
                              (long)d->tokens.vocab, (long long)cfg->vocab,
                              cfg->family == LIGO_BERT ? " (BERT needs one more for the mask id)" : "");
    if (cfg->family == LIGO_VIT && (d->train.rows != cfg->image_h || d->train.cols != cfg->image_w ||
                                    d->train.n_classes > cfg->n_classes))
        return ligo_set_error(ctx, LIGO_ESHAPE, "images are %lldx%lld with %ld classes; the model takes %lldx%lld, %lld classes",
                              (long long)d->train.rows, (long long)d->train.cols, (long)d->train.n_classes,
                              (long long)cfg->image_h, (long long)cfg->image_w, (long long)cfg->n_classes);
    return LIGO_OK;
}

LIGO__PRIV ligo_status ligo__data_check(ligo_ctx *ctx, const char *who, const ligo_data *d, const ligo_config *cfg,
                                        int64_t T, int eval) {
    int64_t n_train, n_val, win;
    if (!d || !cfg) return ligo_set_error(ctx, LIGO_EINVAL, "%s: NULL data or model config", who);
    if (d->family != cfg->family)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %s data for a %s model", who, ligo_family_name(d->family),
                              ligo_family_name(cfg->family));
    if (ligo__check_vocab(ctx, d, cfg) != LIGO_OK) return ctx->status;
    if (cfg->family == LIGO_VIT) {
        if (d->train.n < 1 || (eval && d->test.n < 1))
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: the data hold %lld training and %lld test images (want >= 1)",
                                  who, (long long)d->train.n, (long long)d->test.n);
        return LIGO_OK;
    }
    if (T < 1 || T > cfg->ctx_len)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: T = %lld is outside [1, %lld], the model's context", who,
                              (long long)T, (long long)cfg->ctx_len);
    n_train = d->tokens.split;
    n_val = d->tokens.n - d->tokens.split;
    if (n_train < T + 1)
        return ligo_set_error(ctx, LIGO_EINVAL,
                              "%s: the training split has %lld tokens, fewer than T + 1 = %lld (a window of ctx %lld "
                              "and the token after it)",
                              who, (long long)n_train, (long long)(T + 1), (long long)T);
    /* evaluation windows: GPT T + 1 tokens (T predictions), BERT T */
    win = cfg->family == LIGO_GPT || cfg->family == LIGO_LLAMA ? T + 1 : T;
    if (eval && (n_val < win || (cfg->family == LIGO_BERT && T < 2)))
        return ligo_set_error(ctx, LIGO_EINVAL,
                              "%s: the validation split (the last 10%% of the data) has %lld tokens, fewer than one "
                              "evaluation window of %lld at ctx %lld%s",
                              who, (long long)n_val, (long long)win, (long long)T,
                              cfg->family == LIGO_BERT && T < 2 ? " (BERT evaluates windows of ctx >= 2)" : "");
    return LIGO_OK;
}

LIGO_API ligo_status ligo_data_check(ligo_ctx *ctx, const ligo_data *d, const ligo_config *cfg, int64_t T, int eval) {
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    return ligo__data_check(ctx, "ligo_data_check", d, cfg, T, eval);
}

LIGO_API ligo_status ligo_data_batch(ligo_ctx *ctx, const ligo_data *d, const ligo_config *cfg, ligo_rng *rng,
                                     int64_t B, int64_t T, int32_t *inputs, int32_t *targets, float *images) {
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!d || !cfg || !rng || !targets) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_data_batch: NULL argument");
    if (d->family != cfg->family)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_data_batch: %s data for a %s model", ligo_family_name(d->family),
                              ligo_family_name(cfg->family));
    if (ligo__check_vocab(ctx, d, cfg) != LIGO_OK) return ctx->status;
    if (cfg->family == LIGO_VIT) return ligo_images_batch(ctx, &d->train, rng, B, images, targets);
    if (cfg->family == LIGO_GPT || cfg->family == LIGO_LLAMA) /* next-token windows */
        return ligo_tokens_batch(ctx, &d->tokens, LIGO_SPLIT_TRAIN, rng, B, T, inputs, targets);
    /* BERT: windows of T tokens, corrupted for masked LM */
    if (ligo_tokens_batch(ctx, &d->tokens, LIGO_SPLIT_TRAIN, rng, B, T, inputs, targets) != LIGO_OK) return ctx->status;
    memcpy(targets, inputs, (size_t)(B * T) * sizeof(int32_t));
    return ligo_mlm_mask(ctx, rng, targets, B * T, 0.15f, (int32_t)(cfg->vocab - 1), d->tokens.vocab, LIGO_IGNORE,
                         inputs, targets);
}
