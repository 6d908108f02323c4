/* my_gpt.c: a GPT written as a model of one's own, from ligo's ops.
 *
 * A model is a definition: a function that declares its parameters (name,
 * shape, what each dimension is, how it starts, whether AdamW decays it)
 * and a forward pass that computes the loss from one weight tensor per
 * declared parameter. From that, ligo gives the optimizer, the trainer,
 * evaluation, generation, checkpoints and growth.
 *
 * This one is GPT-2 (pre-LN blocks, learned positions, the LM head tied to
 * the token embedding) with the built-in GPT's table, its attention built
 * from primitives (slices, permutes, batched products, a mask, softmax)
 * rather than the fused op, so the program can check itself: the same
 * weights give the built-in model's loss to 1e-5. Then it trains on a text
 * file.
 *
 *   cc -std=c99 -O2 examples/my_gpt.c -o my_gpt -lm -lpthread
 *   ./my_gpt TEXT [STEPS]      e.g. ./my_gpt data/tinyshakespeare.txt 200 */
#define LIGO_IMPLEMENTATION
#include "../ligo.h"
#include <stdio.h>
#include <stdlib.h>

/* Declare one parameter: a vector (d1 0) or a matrix (d0, d1), (out, in) for a linear weight. */
static ligo_status add(ligo_params *ps, const char *name, int64_t d0, int64_t d1, ligo_stream s0, ligo_stream s1,
                       int layer, int module, ligo_init init, unsigned flags) {
    ligo_param_spec p = {0};
    p.name = name;
    p.ndim = d1 ? 2 : 1;
    p.shape[0] = d0, p.shape[1] = d1 ? d1 : 1;
    p.stream[0] = s0, p.stream[1] = d1 ? s1 : LIGO_STREAM_FIXED;
    p.layer = layer, p.module = module;
    p.bias = strstr(name, "bias") != NULL; /* biases are blended apart from weights by depth growth */
    p.init = init, p.flags = flags;
    return ligo_params_add(ps, &p);
}

static ligo_status my_params(ligo_params *ps, const ligo_config *c, void *user) {
    const ligo_stream F = LIGO_STREAM_FIXED, E = LIGO_STREAM_EMB, FFN = LIGO_STREAM_FFN;
    int64_t C = c->d_model, l;
    char nm[16][64];
    (void)user;
    if (add(ps, "wte.weight", c->vocab, C, F, E, -1, -1, LIGO_INIT_NORMAL, LIGO_PARAM_EMBEDDING) ||
        add(ps, "wpe.weight", c->ctx_len, C, F, E, -1, -1, LIGO_INIT_NORMAL, LIGO_PARAM_EMBEDDING))
        return LIGO_EINVAL;
    for (l = 0; l < c->n_layer; l++) {
        static const char *part[12] = {"ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
                                       "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
                                       "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"};
        const unsigned OUT = LIGO_PARAM_RESID_OUT, DEC = LIGO_PARAM_DECAY;
        int k, L = (int)l;
        for (k = 0; k < 12; k++) snprintf(nm[k], sizeof nm[k], "h.%d.%s", L, part[k]);
        if (add(ps, nm[0], C, 0, E, F, L, LIGO_MOD_LN1, LIGO_INIT_ONES, 0) ||
            add(ps, nm[1], C, 0, E, F, L, LIGO_MOD_LN1, LIGO_INIT_ZEROS, 0) ||
            add(ps, nm[2], 3 * C, C, LIGO_STREAM_QKV, E, L, LIGO_MOD_QKV, LIGO_INIT_NORMAL, DEC) ||
            add(ps, nm[3], 3 * C, 0, LIGO_STREAM_QKV, F, L, LIGO_MOD_QKV, LIGO_INIT_ZEROS, 0) ||
            add(ps, nm[4], C, C, E, LIGO_STREAM_V, L, LIGO_MOD_O, LIGO_INIT_NORMAL_RESID, DEC | OUT) ||
            add(ps, nm[5], C, 0, E, F, L, LIGO_MOD_O, LIGO_INIT_ZEROS, OUT) ||
            add(ps, nm[6], C, 0, E, F, L, LIGO_MOD_LN2, LIGO_INIT_ONES, 0) ||
            add(ps, nm[7], C, 0, E, F, L, LIGO_MOD_LN2, LIGO_INIT_ZEROS, 0) ||
            add(ps, nm[8], c->d_ff, C, FFN, E, L, LIGO_MOD_FC1, LIGO_INIT_NORMAL, DEC) ||
            add(ps, nm[9], c->d_ff, 0, FFN, F, L, LIGO_MOD_FC1, LIGO_INIT_ZEROS, 0) ||
            add(ps, nm[10], C, c->d_ff, E, FFN, L, LIGO_MOD_FC2, LIGO_INIT_NORMAL_RESID, DEC | OUT) ||
            add(ps, nm[11], C, 0, E, F, L, LIGO_MOD_FC2, LIGO_INIT_ZEROS, OUT))
            return LIGO_EINVAL;
    }
    /* the final LayerNorm feeds the head tied to wte (FPI rescales it) */
    if (add(ps, "ln_f.weight", C, 0, E, F, -1, -1, LIGO_INIT_ONES, LIGO_PARAM_TIED_HEAD_IN) ||
        add(ps, "ln_f.bias", C, 0, E, F, -1, -1, LIGO_INIT_ZEROS, LIGO_PARAM_TIED_HEAD_IN))
        return LIGO_EINVAL;
    return LIGO_OK;
}

/* Causal multi-head attention from primitives on h = (R, 3C), the rows of
 * (B, T): heads split out, softmax(Q K^T / sqrt(hs) + mask) V per head,
 * heads joined back -> (R, C). mask (T, T) is 0 on and below the diagonal,
 * -inf above; added to (B, NH, T, T) it repeats over B and NH. */
static ligo_tensor *attention(ligo_ctx *ctx, ligo_tensor *h, ligo_tensor *mask, int64_t B, int64_t T, int64_t C,
                              int64_t NH) {
    static const int heads_first[4] = {0, 2, 1, 3}; /* (B, T, NH, hs) <-> (B, NH, T, hs) */
    int64_t hs = C / NH, s4[4] = {B, T, NH, hs}, s2[2] = {B * T, C};
    ligo_tensor *q, *k, *v, *p;
    q = ligo_permute(ctx, ligo_reshape(ctx, ligo_slice(ctx, h, 1, 0, C), 4, s4), 4, heads_first);
    k = ligo_permute(ctx, ligo_reshape(ctx, ligo_slice(ctx, h, 1, C, C), 4, s4), 4, heads_first);
    v = ligo_permute(ctx, ligo_reshape(ctx, ligo_slice(ctx, h, 1, 2 * C, C), 4, s4), 4, heads_first);
    p = ligo_softmax(ctx, ligo_add(ctx, ligo_scale(ctx, ligo_bmm(ctx, q, k, 0, 1), 1.0f / sqrtf((float)hs)), mask));
    return ligo_reshape(ctx, ligo_permute(ctx, ligo_bmm(ctx, p, v, 0, 0), 4, heads_first), 2, s2);
}

/* w: the 12 tensors of each block after wte and wpe, then ln_f. */
static ligo_tensor *my_forward(ligo_ctx *ctx, const ligo_model *m, ligo_tensor *const *w, const ligo_batch *bt,
                               ligo_tensor **logits_out, void *user) {
    const ligo_config *c = &m->cfg;
    int64_t B = bt->B, T = bt->T, R = B * T, l, i;
    int32_t *pos = (int32_t *)ligo_alloc_scratch(ctx, (size_t)R * sizeof(int32_t));
    ligo_tensor *x, *h, *logits, *mask = ligo_new_2d(ctx, T, T);
    (void)user;
    if (!pos || !mask) return NULL;
    for (i = 0; i < R; i++) pos[i] = (int32_t)(i % T);
    for (i = 0; i < T * T; i++) mask->data[i] = i % T <= i / T ? 0.0f : -INFINITY;
    x = ligo_add(ctx, ligo_embedding(ctx, w[0], bt->inputs, R), ligo_embedding(ctx, w[1], pos, R)); /* (R, C) */
    for (l = 0; l < c->n_layer; l++) {
        ligo_tensor *const *b = w + 2 + 12 * l;
        h = ligo_linear(ctx, ligo_layernorm(ctx, x, b[0], b[1], c->ln_eps), b[2], b[3]); /* q, k, v: (R, 3C) */
        h = attention(ctx, h, mask, B, T, c->d_model, c->n_head);                        /* (R, C) */
        x = ligo_add(ctx, x, ligo_linear(ctx, h, b[4], b[5]));
        h = ligo_gelu(ctx, ligo_linear(ctx, ligo_layernorm(ctx, x, b[6], b[7], c->ln_eps), b[8], b[9]));
        x = ligo_add(ctx, x, ligo_linear(ctx, h, b[10], b[11]));
    }
    i = 2 + 12 * c->n_layer;
    logits = ligo_linear(ctx, ligo_layernorm(ctx, x, w[i], w[i + 1], c->ln_eps), w[0], NULL); /* (R, V) */
    if (logits_out) *logits_out = logits;
    return bt->targets ? ligo_cross_entropy(ctx, logits, bt->targets, R, LIGO_IGNORE) : logits;
}

static const ligo_model_def my_gpt = {"my-gpt", my_params, my_forward, NULL};

static int fail(ligo_ctx *ctx) {
    fprintf(stderr, "my_gpt: %s\n", ligo_get_error(ctx));
    return 1;
}

int main(int argc, char **argv) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_config cfg = ligo_config_default(LIGO_GPT);
    ligo_model *mine, *builtin;
    ligo_train_config tc = ligo_train_config_default();
    ligo_data data;
    ligo_eval_result ev;
    ligo_trainer *tr;
    float a, b;
    int64_t i;
    if (argc < 2) return fprintf(stderr, "usage: my_gpt TEXT [STEPS]\n"), 2;
    if (!ctx || ligo_data_load(ctx, LIGO_GPT, argv[1], &data) != LIGO_OK) return ctx ? fail(ctx) : 1;
    cfg.n_layer = 2, cfg.d_model = 64, cfg.n_head = 4, cfg.ctx_len = 64;
    builtin = ligo_model_new(ctx, &cfg);
    cfg.def = &my_gpt;
    mine = ligo_model_new(ctx, &cfg);
    if (!builtin || !mine) return fail(ctx);
    ligo_model_init(builtin, 1);
    for (i = 0; i < mine->n_tensors; i++) { /* the built-in's weights, found by name */
        const ligo_param_info *p = &mine->info[i], *q = &builtin->info[ligo_model_find(builtin, p->name)];
        memcpy(mine->data + p->offset, builtin->data + q->offset, (size_t)p->n * sizeof(float));
    }
    /* the same weights, the same loss */
    if (ligo_evaluate(ctx, builtin, &data, 8, 64, 16, &ev) != LIGO_OK) return fail(ctx);
    a = (float)ev.loss;
    if (ligo_evaluate(ctx, mine, &data, 8, 64, 16, &ev) != LIGO_OK) return fail(ctx);
    b = (float)ev.loss;
    printf("my_gpt: built-in loss %.6f, mine %.6f (relative difference %.1e)\n", a, b, fabs(a - b) / a);
    if (!(fabs(a - b) <= 1e-5 * a)) return fprintf(stderr, "my_gpt: the losses differ\n"), 1;
    /* train it as any model */
    tc.steps = argc > 2 ? atoll(argv[2]) : 200;
    tc.batch = 8, tc.ctx = 64, tc.eval_windows = 64;
    tc.sched.lr_max = 3e-3f, tc.sched.warmup = tc.steps / 10;
    tr = ligo_trainer_new(ctx, mine, &data, &tc);
    if (!tr || ligo_trainer_run(ctx, tr) != LIGO_OK) return fail(ctx);
    printf("my_gpt: %lld steps, validation loss %.4f (from %.4f)\n", (long long)tr->step, tr->last_val, b);
    return tr->last_val < b ? 0 : 1;
}
