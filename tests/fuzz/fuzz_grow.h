/* fuzz_grow.h: the fixed small models, data, growth operators and trainers
 * into which fuzz_operator and fuzz_trainer_state load their inputs, shared
 * with the seed generator (make_state_seeds.c) so that the seeds fit them.
 * Everything is tiny (vocabulary 16, width 4 growing to 8) so that valid
 * files stay far below -max_len. */
#ifndef LIGO_FUZZ_GROW_H
#define LIGO_FUZZ_GROW_H

#include "fuzz_common.h"

#include <unistd.h> /* getpid: the including file defines _POSIX_C_SOURCE first */

/* With LIGO_FUZZ_VERBOSE set, what a load said (to see which inputs pass). */
static inline void fuzz_say(ligo_ctx *ctx, const char *what, ligo_status s) {
    if (getenv("LIGO_FUZZ_VERBOSE"))
        fprintf(stderr, "%s: %s %s\n", what, ligo_status_str(s), s == LIGO_OK ? "" : ligo_get_error(ctx));
}

/* The loaders read files: the input goes to one per process (so that
 * parallel jobs do not share it). 0 when it cannot be written. */
static inline int fuzz_to_file(const char *tag, const uint8_t *data, size_t size, char *path, size_t n) {
    FILE *f;
    int ok;
    snprintf(path, n, "/tmp/ligo_fuzz_%s_%ld.safetensors", tag, (long)getpid());
    f = fopen(path, "wb");
    if (!f) return 0;
    ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok;
}

/* Operator variants: the options that change what the file holds. */
/* 0 GPT ligo, 1 with full_width and residual, 2 with grow_head_dim and
 * width_first, 3 ligo-depth with symmetry noise, 4 stack with noise (noise
 * only), 5 BERT ligo, 6 ViT ligo-width */
#define FUZZ_N_OPS 7
#define FUZZ_N_TRAINERS 3
#define FUZZ_FIT_STEPS 3

static inline ligo_family fuzz_op_family(int v) { return v == 5 ? LIGO_BERT : v == 6 ? LIGO_VIT : LIGO_GPT; }

static inline ligo_config fuzz_small_cfg(ligo_family f) {
    ligo_config c = ligo_config_default(f);
    c.n_layer = 1;
    c.d_model = 4;
    c.n_head = 2;
    c.d_ff = 8;
    if (f == LIGO_VIT) {
        c.image_h = 4;
        c.image_w = 4;
        c.patch = 2;
        c.n_classes = 3;
    } else {
        c.vocab = f == LIGO_BERT ? 17 : 16;
        c.ctx_len = 4;
    }
    return c;
}

/* Fixed data of the family: 64 token ids below 16, or 4 training and 2
 * test images of 4 x 4 with 3 classes (in ctx's memory). */
static inline ligo_status fuzz_data(ligo_ctx *ctx, ligo_family f, ligo_data *d) {
    int64_t i;
    memset(d, 0, sizeof *d);
    d->family = f;
    if (f != LIGO_VIT) {
        unsigned char b[64];
        for (i = 0; i < 64; i++) b[i] = (unsigned char)((i * 5 + i / 7) % 16);
        if (ligo_tokens_from_bytes(ctx, b, sizeof b, &d->tokens) != LIGO_OK) return ligo_get_status(ctx);
        d->tokens.vocab = 16;
        return LIGO_OK;
    }
    {
        ligo_images *im[2];
        im[0] = &d->train;
        im[1] = &d->test;
        for (i = 0; i < 2; i++) {
            int64_t n = i ? 2 : 4, k;
            im[i]->n = n;
            im[i]->rows = im[i]->cols = 4;
            im[i]->n_classes = 3;
            im[i]->pixels = (float *)ligo_alloc_persistent(ctx, (size_t)(n * 16) * sizeof(float));
            im[i]->labels = (int32_t *)ligo_alloc_persistent(ctx, (size_t)n * sizeof(int32_t));
            if (!im[i]->pixels || !im[i]->labels) return ligo_get_status(ctx);
            for (k = 0; k < n * 16; k++) im[i]->pixels[k] = (float)((k * 7) % 11) / 11.0f;
            for (k = 0; k < n; k++) im[i]->labels[k] = (int32_t)(k % 3);
        }
    }
    return LIGO_OK;
}

/* Operator variant v (0 .. FUZZ_N_OPS - 1) from a fixed small model, with
 * its data in *d; NULL only when ctx failed. */
static inline ligo_grow *fuzz_operator(ligo_ctx *ctx, int v, ligo_data *d) {
    ligo_family f = fuzz_op_family(v);
    ligo_config sc = fuzz_small_cfg(f), lc = sc;
    ligo_grow_method m = v == 3 ? LIGO_GROW_LIGO_DEPTH : v == 4 ? LIGO_GROW_STACK : v == 6 ? LIGO_GROW_LIGO_WIDTH
                                                                                          : LIGO_GROW_LIGO;
    ligo_grow_config gc = ligo_grow_config_default(m);
    ligo_model *small;
    if (fuzz_data(ctx, f, d) != LIGO_OK) return NULL;
    small = ligo_model_new(ctx, &sc);
    if (!small) return NULL;
    ligo_model_init(small, 3);
    lc.n_layer = v == 1 ? 1 : 2; /* the residual terms hold the whole large model: keep it small */
    lc.d_model = 8;
    lc.n_head = v == 2 ? 2 : 4; /* growing the head dimension keeps the count */
    lc.d_ff = 16;
    gc.fit_steps = FUZZ_FIT_STEPS;
    gc.fit_warmup = 1;
    gc.batch = 2;
    gc.full_width = v == 1;
    gc.residual = v == 1;
    gc.grow_head_dim = v == 2;
    gc.width_first = v == 2;
    return ligo_grow_new(ctx, small, &lc, &gc);
}

/* A trainer of family f on its fixed data (3 steps of batch 2). */
static inline ligo_trainer *fuzz_trainer(ligo_ctx *ctx, ligo_family f, ligo_data *d) {
    ligo_config c = fuzz_small_cfg(f);
    ligo_train_config tc = ligo_train_config_default();
    ligo_model *m;
    if (fuzz_data(ctx, f, d) != LIGO_OK) return NULL;
    m = ligo_model_new(ctx, &c);
    if (!m) return NULL;
    ligo_model_init(m, 5);
    tc.steps = 3;
    tc.batch = 2;
    tc.sched.warmup = 1;
    tc.eval_windows = 1;
    tc.progress = 0;
    return ligo_trainer_new(ctx, m, d, &tc);
}

#endif
