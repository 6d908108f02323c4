/* fuzz_trainer_state.c: the loaders of saved training state.
 * ligo_trainer_resume (model, AdamW moments, step, RNG, counters) into a
 * GPT, BERT or ViT trainer, then a training step; ligo_grow_resume (the
 * operator, its moments, the fitting step, RNG and counters) into the
 * operators of fuzz_grow.h, then the rest of the fitting.
 *
 * Input: byte 0 picks the loader: even, trainer family (byte 0 / 2) mod 3;
 * odd, operator (byte 0 / 2) mod FUZZ_N_OPS. The rest is the file. A
 * failed load must leave the trainer or operator unchanged. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_grow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The state a loader may change, copied (n floats from each pointer). */
typedef struct snap {
    float *a, *b, *c;
    int64_t n;
    int64_t step;
    ligo_rng rng;
} snap;

static void take(snap *s, const float *a, const float *b, const float *c, int64_t n, int64_t step, ligo_rng rng) {
    s->n = n;
    s->a = (float *)malloc((size_t)n * sizeof(float) * 3);
    if (!s->a) abort();
    s->b = s->a + n;
    s->c = s->b + n;
    memcpy(s->a, a, (size_t)n * sizeof(float));
    memcpy(s->b, b, (size_t)n * sizeof(float));
    memcpy(s->c, c, (size_t)n * sizeof(float));
    s->step = step;
    s->rng = rng;
}

static void same(const snap *s, const float *a, const float *b, const float *c, int64_t step, ligo_rng rng) {
    if (memcmp(s->a, a, (size_t)s->n * sizeof(float)) != 0 || memcmp(s->b, b, (size_t)s->n * sizeof(float)) != 0 ||
        memcmp(s->c, c, (size_t)s->n * sizeof(float)) != 0 || s->step != step ||
        memcmp(&s->rng, &rng, sizeof rng) != 0) {
        fprintf(stderr, "fuzz: a failed load changed the state\n");
        abort();
    }
    free(s->a);
}

static void trainer_case(ligo_ctx *ctx, ligo_family f, const char *path) {
    ligo_data d;
    ligo_trainer *tr = fuzz_trainer(ctx, f, &d);
    ligo_status s;
    snap k;
    if (!tr) abort(); /* the fixed trainers always build */
    take(&k, tr->model->data, tr->opt->m, tr->opt->v, tr->model->n_floats, tr->step, tr->rng);
    s = ligo_trainer_resume(ctx, tr, path);
    fuzz_say(ctx, "ligo_trainer_resume", s);
    fuzz_check_error(ctx, s);
    if (s != LIGO_OK) {
        same(&k, tr->model->data, tr->opt->m, tr->opt->v, tr->step, tr->rng);
        return;
    }
    free(k.a);
    /* whatever was loaded (NaN weights too) trains one step or fails with a message */
    fuzz_check_error(ctx, ligo_trainer_step(ctx, tr, NULL));
}

static void grow_case(ligo_ctx *ctx, int v, const char *path) {
    ligo_data d;
    ligo_grow *g = fuzz_operator(ctx, v, &d);
    ligo_status s;
    snap k;
    if (!g) abort();
    if (g->n == 0) { /* nothing to resume: refused before reading */
        if (ligo_grow_resume(ctx, g, path) != LIGO_ESTATE) abort();
        return;
    }
    /* the moments exist once a fitting has started: start none, but
     * compare them when they do */
    take(&k, g->data, g->data, g->data, g->n, g->fit_step, g->fit_rng);
    s = ligo_grow_resume(ctx, g, path);
    fuzz_say(ctx, "ligo_grow_resume", s);
    fuzz_check_error(ctx, s);
    if (s != LIGO_OK) {
        same(&k, g->data, g->data, g->data, g->fit_step, g->fit_rng);
        if (g->fit_active) abort();
        return;
    }
    free(k.a);
    if (!g->fit_active || g->fit_step > g->cfg.fit_steps) abort();
    fuzz_touch(g->fit_opt->m, g->n);
    fuzz_touch(g->fit_opt->v, g->n);
    /* the rest of the fitting (at most FUZZ_FIT_STEPS steps) */
    s = ligo_grow_fit(ctx, g, &d);
    fuzz_check_error(ctx, s);
    if (s == LIGO_OK && (g->fit_active || g->fit_step != g->cfg.fit_steps)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ligo_ctx *ctx;
    char path[256];
    if (size < 1) return 0;
    ctx = fuzz_ctx();
    if (!ctx) return 0;
    if (fuzz_to_file("state", data + 1, size - 1, path, sizeof path)) {
        if (data[0] % 2 == 0) trainer_case(ctx, (ligo_family)((data[0] / 2) % FUZZ_N_TRAINERS), path);
        else grow_case(ctx, (data[0] / 2) % FUZZ_N_OPS, path);
        remove(path);
    }
    ligo_ctx_free(ctx);
    return 0;
}
