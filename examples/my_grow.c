/* my_grow.c: a transformer variant of one's own, trained, saved, reloaded,
 * grown 2x deep and 2x wide with LiGO and with every baseline, and trained
 * on; public API only.
 *
 * The variant: pre-LN blocks whose MLP is SiLU without biases, and an LM
 * head of its own (not tied to the embedding). Growth knows nothing about
 * it except what the parameter table declares: which width stream each
 * dimension holds (the residual stream, a layer's Q/K/V or FFN units),
 * which block and module a tensor belongs to, and which tensors write into
 * the residual stream (FPI zeroes those to add identity layers).
 *
 *   cc -std=c99 -O2 examples/my_grow.c -o my_grow -lm -lpthread
 *   ./my_grow TEXT [OUT_DIR]     e.g. ./my_grow data/tinyshakespeare.txt /tmp */
#define LIGO_IMPLEMENTATION
#include "../ligo.h"
#include <stdio.h>
#include <stdlib.h>

static ligo_status add(ligo_params *ps, const char *name, int64_t d0, int64_t d1, ligo_stream s0, ligo_stream s1,
                       int layer, int module, ligo_init init, unsigned flags) {
    ligo_param_spec p = {0};
    p.name = name;
    p.ndim = d1 ? 2 : 1;
    p.shape[0] = d0, p.shape[1] = d1 ? d1 : 1;
    p.stream[0] = s0, p.stream[1] = d1 ? s1 : LIGO_STREAM_FIXED;
    p.layer = layer, p.module = module;
    p.bias = strstr(name, "bias") != NULL;
    p.init = init, p.flags = flags;
    return ligo_params_add(ps, &p);
}

/* wte, wpe; per block ln_1 (w, b), qkv (w, b), o (w, b), ln_2 (w, b), up, down; ln_f (w, b), lm_head */
#define PER_BLOCK 10
static ligo_status silu_params(ligo_params *ps, const ligo_config *c, void *user) {
    const ligo_stream F = LIGO_STREAM_FIXED, E = LIGO_STREAM_EMB, FFN = LIGO_STREAM_FFN;
    const unsigned DEC = LIGO_PARAM_DECAY, OUT = LIGO_PARAM_RESID_OUT;
    int64_t C = c->d_model;
    char n[PER_BLOCK][64];
    int l, k, bad;
    (void)user;
    bad = add(ps, "wte", c->vocab, C, F, E, -1, -1, LIGO_INIT_NORMAL, LIGO_PARAM_EMBEDDING) ||
          add(ps, "wpe", c->ctx_len, C, F, E, -1, -1, LIGO_INIT_NORMAL, LIGO_PARAM_EMBEDDING);
    for (l = 0; l < c->n_layer && !bad; l++) {
        static const char *part[PER_BLOCK] = {"ln_1.weight", "ln_1.bias", "qkv.weight", "qkv.bias", "o.weight",
                                              "o.bias", "ln_2.weight", "ln_2.bias", "up.weight", "down.weight"};
        for (k = 0; k < PER_BLOCK; k++) snprintf(n[k], sizeof n[k], "blocks.%d.%s", l, part[k]);
        bad = add(ps, n[0], C, 0, E, F, l, LIGO_MOD_LN1, LIGO_INIT_ONES, 0) ||
              add(ps, n[1], C, 0, E, F, l, LIGO_MOD_LN1, LIGO_INIT_ZEROS, 0) ||
              add(ps, n[2], 3 * C, C, LIGO_STREAM_QKV, E, l, LIGO_MOD_QKV, LIGO_INIT_NORMAL, DEC) ||
              add(ps, n[3], 3 * C, 0, LIGO_STREAM_QKV, F, l, LIGO_MOD_QKV, LIGO_INIT_ZEROS, 0) ||
              add(ps, n[4], C, C, E, LIGO_STREAM_V, l, LIGO_MOD_O, LIGO_INIT_NORMAL_RESID, DEC | OUT) ||
              add(ps, n[5], C, 0, E, F, l, LIGO_MOD_O, LIGO_INIT_ZEROS, OUT) ||
              add(ps, n[6], C, 0, E, F, l, LIGO_MOD_LN2, LIGO_INIT_ONES, 0) ||
              add(ps, n[7], C, 0, E, F, l, LIGO_MOD_LN2, LIGO_INIT_ZEROS, 0) ||
              add(ps, n[8], c->d_ff, C, FFN, E, l, LIGO_MOD_FC1, LIGO_INIT_NORMAL, DEC) ||
              add(ps, n[9], C, c->d_ff, E, FFN, l, LIGO_MOD_FC2, LIGO_INIT_NORMAL_RESID, DEC | OUT);
    }
    bad = bad || add(ps, "ln_f.weight", C, 0, E, F, -1, -1, LIGO_INIT_ONES, 0) ||
          add(ps, "ln_f.bias", C, 0, E, F, -1, -1, LIGO_INIT_ZEROS, 0) ||
          add(ps, "lm_head", c->vocab, C, F, E, -1, -1, LIGO_INIT_NORMAL, DEC);
    return bad ? LIGO_EINVAL : LIGO_OK;
}

static ligo_tensor *silu_forward(ligo_ctx *ctx, const ligo_model *m, ligo_tensor *const *w, const ligo_batch *bt,
                                 ligo_tensor **logits_out, void *user) {
    const ligo_config *c = &m->cfg;
    int64_t B = bt->B, T = bt->T, R = B * T, l, i, s3[3] = {B, T, 3 * c->d_model}, s2[2] = {R, c->d_model};
    int32_t *pos = (int32_t *)ligo_alloc_scratch(ctx, (size_t)R * sizeof(int32_t));
    ligo_tensor *x, *h, *logits;
    (void)user;
    if (!pos) return NULL;
    for (i = 0; i < R; i++) pos[i] = (int32_t)(i % T);
    x = ligo_add(ctx, ligo_embedding(ctx, w[0], bt->inputs, R), ligo_embedding(ctx, w[1], pos, R));
    for (l = 0; l < c->n_layer; l++) {
        ligo_tensor *const *b = w + 2 + PER_BLOCK * l;
        h = ligo_linear(ctx, ligo_layernorm(ctx, x, b[0], b[1], c->ln_eps), b[2], b[3]);
        h = ligo_attention(ctx, ligo_reshape(ctx, h, 3, s3), c->n_head, 1);
        x = ligo_add(ctx, x, ligo_linear(ctx, ligo_reshape(ctx, h, 2, s2), b[4], b[5]));
        h = ligo_silu(ctx, ligo_linear(ctx, ligo_layernorm(ctx, x, b[6], b[7], c->ln_eps), b[8], NULL));
        x = ligo_add(ctx, x, ligo_linear(ctx, h, b[9], NULL));
    }
    i = 2 + PER_BLOCK * c->n_layer;
    logits = ligo_linear(ctx, ligo_layernorm(ctx, x, w[i], w[i + 1], c->ln_eps), w[i + 2], NULL);
    if (logits_out) *logits_out = logits;
    return bt->targets ? ligo_cross_entropy(ctx, logits, bt->targets, R, LIGO_IGNORE) : logits;
}

static const ligo_model_def silu_gpt = {"silu-gpt", silu_params, silu_forward, NULL};

static int fail(ligo_ctx *ctx, const char *what) {
    fprintf(stderr, "my_grow: %s: %s\n", what, ligo_get_error(ctx));
    return 1;
}

static double val_loss(ligo_ctx *ctx, ligo_model *m, const ligo_data *d) {
    ligo_eval_result ev;
    return ligo_evaluate(ctx, m, d, 8, 64, 64, &ev) == LIGO_OK ? ev.loss : -1.0;
}

int main(int argc, char **argv) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_config small_cfg = ligo_config_default(LIGO_GPT), large;
    ligo_train_config tc = ligo_train_config_default();
    ligo_data data;
    ligo_model *small, *loaded;
    ligo_trainer *tr;
    ligo_mark base;
    char path[4096];
    int method, bad = 0;
    double small_loss;
    if (argc < 2) return fprintf(stderr, "usage: my_grow TEXT [OUT_DIR]\n"), 2;
    if (!ctx || ligo_data_load(ctx, LIGO_GPT, argv[1], &data) != LIGO_OK) return ctx ? fail(ctx, "data") : 1;
    snprintf(path, sizeof path, "%s/my_grow_small.safetensors", argc > 2 ? argv[2] : ".");
    small_cfg.def = &silu_gpt;
    small_cfg.n_layer = 2, small_cfg.d_model = 32, small_cfg.n_head = 2, small_cfg.ctx_len = 64;
    tc.batch = 8, tc.ctx = 64, tc.eval_windows = 64, tc.sched.lr_max = 3e-3f;
    /* 1. train the small model, save it, load it back */
    small = ligo_model_new(ctx, &small_cfg);
    if (!small) return fail(ctx, "small model");
    ligo_model_init(small, 1);
    tc.steps = 300, tc.sched.warmup = 30;
    tr = ligo_trainer_new(ctx, small, &data, &tc);
    if (!tr || ligo_trainer_run(ctx, tr) != LIGO_OK) return fail(ctx, "training the small model");
    if (ligo_model_save(ctx, small, path) != LIGO_OK) return fail(ctx, "save");
    loaded = ligo_model_load_def(ctx, path, &silu_gpt);
    if (!loaded) return fail(ctx, "load");
    small_loss = val_loss(ctx, loaded, &data);
    printf("my_grow: small %s 2 x 32 trained, saved and reloaded: validation loss %.4f (%.4f before saving)\n",
           ligo_config_def(&loaded->cfg)->name, small_loss, tr->last_val);
    /* 2. grow it to 4 x 64 with every method and train each grown model on */
    large = loaded->cfg;
    large.n_layer = 4, large.d_model = 64, large.n_head = 4, large.d_ff = 0;
    tc.steps = 100, tc.sched.warmup = 10;
    base = ligo_persistent_mark(ctx); /* each method's operator and model are released after it */
    for (method = 0; method < LIGO_GROW_COUNT; method++) {
        ligo_grow_config gc = ligo_grow_config_default((ligo_grow_method)method);
        ligo_grow *g;
        ligo_model *big;
        double at_growth;
        gc.fit_steps = 30, gc.batch = 8, gc.ctx = 64, gc.progress = 0;
        g = ligo_grow_new(ctx, loaded, &large, &gc);
        if (!g || ligo_grow_fit(ctx, g, &data) != LIGO_OK || !(big = ligo_grow_apply(ctx, g))) {
            printf("my_grow: %-10s refused: %s\n", ligo_grow_method_name((ligo_grow_method)method), ligo_get_error(ctx));
            bad = 1;
            ligo_clear_error(ctx);
        } else {
            at_growth = val_loss(ctx, big, &data);
            tr = ligo_trainer_new(ctx, big, &data, &tc);
            if (!tr || ligo_trainer_run(ctx, tr) != LIGO_OK) return fail(ctx, "training the grown model");
            printf("my_grow: %-10s grown to 4 x 64: loss %.4f, after %lld steps %.4f\n",
                   ligo_grow_method_name((ligo_grow_method)method), at_growth, (long long)tr->step, tr->last_val);
            /* FPI keeps the small model's function (up to its 1% symmetry-breaking noise) */
            if (method == LIGO_GROW_FPI && !(fabs(at_growth - small_loss) < 0.01)) {
                fprintf(stderr, "my_grow: fpi changed the loss from %.4f to %.4f\n", small_loss, at_growth);
                bad = 1;
            }
        }
        ligo_persistent_rewind(ctx, base);
    }
    ligo_ctx_free(ctx);
    return bad;
}
