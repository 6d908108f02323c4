/* nn.c: model configs, the flat parameter table, and the three model
 * families on one transformer block.
 *
 *   GPT   pre-LN, causal attention, learned positions, LM head tied to wte
 *   BERT  post-LN, bidirectional, embedding LN, MLM head (dense, GELU, LN,
 *         decoder tied to wte plus a bias), loss on masked positions only
 *   ViT   pre-LN, bidirectional, patch embedding, class token, final LN and
 *         a classifier on the class token
 *   LLaMA its own definition (src/llama.c), registered here
 *
 * Shapes: B batch, T positions, C = d_model, F = d_ff, NH heads, V vocab,
 * R = B*T rows. A forward takes its weights as tensors, one per table
 * entry, so the growth operator can hand it computed weights. */
#include "ligo_internal.h"

LIGO_API const char *ligo_family_name(ligo_family f) {
    switch (f) {
    case LIGO_GPT: return "gpt";
    case LIGO_BERT: return "bert";
    case LIGO_VIT: return "vit";
    case LIGO_LLAMA: return "llama";
    case LIGO_FAMILY_COUNT: break;
    }
    return "unknown";
}

LIGO_API ligo_status ligo_family_parse(const char *name, ligo_family *out) {
    int f;
    if (!name || !out) return LIGO_EINVAL;
    for (f = 0; f < LIGO_FAMILY_COUNT; f++)
        if (strcmp(name, ligo_family_name((ligo_family)f)) == 0) {
            *out = (ligo_family)f;
            return LIGO_OK;
        }
    return LIGO_EINVAL;
}

LIGO_API ligo_config ligo_config_default(ligo_family family) {
    ligo_config c;
    memset(&c, 0, sizeof c);
    c.family = family;
    c.n_layer = 4;
    c.d_model = 128;
    c.n_head = 4;
    c.d_ff = 0;
    c.ln_eps = family == LIGO_GPT || family == LIGO_LLAMA ? 1e-5f : 1e-12f;
    if (family == LIGO_LLAMA) c.rope_theta = 10000.0f;
    if (family == LIGO_VIT) {
        c.image_h = 28;
        c.image_w = 28;
        c.patch = 7;
        c.n_classes = 10;
    } else {
        c.vocab = family == LIGO_BERT ? 257 : 256;
        c.ctx_len = 128;
    }
    return c;
}

/* Sizes beyond these are refused as absurd before anything is allocated. */
#define LIGO__MAX_DIM ((int64_t)1 << 16)
#define LIGO__MAX_LAYERS 1024
#define LIGO__MAX_VOCAB ((int64_t)1 << 22)

LIGO_API ligo_status ligo_config_check(ligo_ctx *ctx, ligo_config *c) {
    const char *who = "ligo_config";
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!c) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_config_check: config is NULL");
    /* each field on its own, named with its value */
    if (c->family < 0 || c->family >= LIGO_FAMILY_COUNT)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: unknown family %d (want LIGO_GPT, LIGO_BERT, LIGO_VIT or LIGO_LLAMA)",
                              who, (int)c->family);
    if (c->n_layer < 1 || c->n_layer > LIGO__MAX_LAYERS)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: n_layer is %lld (want 1 to %d layers)", who,
                              (long long)c->n_layer, LIGO__MAX_LAYERS);
    if (c->d_model < 1 || c->d_model > LIGO__MAX_DIM)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: d_model is %lld (want a width of 1 to %lld)", who,
                              (long long)c->d_model, (long long)LIGO__MAX_DIM);
    /* LLaMA's SwiGLU has three matrices: 2/3 of 4 d (rounded up to a
     * multiple of 32) keeps about GPT's MLP parameter count */
    if (c->d_ff == 0) c->d_ff = c->family == LIGO_LLAMA ? (8 * c->d_model + 95) / 96 * 32 : 4 * c->d_model;
    if (c->d_ff < 1 || c->d_ff > LIGO__MAX_DIM)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: d_ff is %lld (want an FFN width of 1 to %lld, or 0 for %s)", who,
                              (long long)c->d_ff, (long long)LIGO__MAX_DIM,
                              c->family == LIGO_LLAMA ? "8 x d_model / 3 rounded up to a multiple of 32" : "4 x d_model");
    if (c->n_head < 1)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: n_head is %lld (want at least 1 head)", who, (long long)c->n_head);
    if (c->d_model % c->n_head != 0)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %lld heads do not divide width %lld", who, (long long)c->n_head,
                              (long long)c->d_model);
    if (!(c->ln_eps > 0.0f) || !isfinite(c->ln_eps))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: ln_eps is %g (want a finite LayerNorm eps > 0)", who,
                              (double)c->ln_eps);
    if (c->family == LIGO_LLAMA) {
        if (c->n_kv_head == 0) c->n_kv_head = c->n_head;
        if (c->n_kv_head < 1 || c->n_head % c->n_kv_head != 0)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: n_kv_head is %lld (want a divisor of the %lld heads, or 0 for "
                                  "as many)", who, (long long)c->n_kv_head, (long long)c->n_head);
        if ((c->d_model / c->n_head) % 2 != 0)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: head dimension %lld (%lld / %lld heads) is odd; RoPE turns pairs "
                                  "of dims", who, (long long)(c->d_model / c->n_head), (long long)c->d_model,
                                  (long long)c->n_head);
        if (!(c->rope_theta > 0.0f) || !isfinite(c->rope_theta))
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: rope_theta is %g (want a finite RoPE base > 0)", who,
                                  (double)c->rope_theta);
        if (c->untied_head != 0 && c->untied_head != 1)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: untied_head is %d (want 0, tied to the embedding, or 1)", who,
                                  c->untied_head);
    }
    if (c->family == LIGO_VIT) {
        if (c->image_h < 1 || c->image_h > 4096)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: image_h is %lld (want 1 to 4096 pixels)", who,
                                  (long long)c->image_h);
        if (c->image_w < 1 || c->image_w > 4096)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: image_w is %lld (want 1 to 4096 pixels)", who,
                                  (long long)c->image_w);
        if (c->patch < 1 || c->image_h % c->patch != 0 || c->image_w % c->patch != 0)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: patch %lld does not tile a %lldx%lld image", who,
                                  (long long)c->patch, (long long)c->image_h, (long long)c->image_w);
        if (c->n_classes < 2 || c->n_classes > LIGO__MAX_VOCAB)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: n_classes is %lld (want 2 to %lld classes)", who,
                                  (long long)c->n_classes, (long long)LIGO__MAX_VOCAB);
        c->ctx_len = (c->image_h / c->patch) * (c->image_w / c->patch) + 1;
        c->vocab = 0;
    } else {
        if (c->vocab < 2 || c->vocab > LIGO__MAX_VOCAB)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: vocab is %lld (want a vocabulary of 2 to %lld ids)", who,
                                  (long long)c->vocab, (long long)LIGO__MAX_VOCAB);
        if (c->ctx_len < 1 || c->ctx_len > LIGO__MAX_DIM)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: ctx_len is %lld (want a context of 1 to %lld positions)", who,
                                  (long long)c->ctx_len, (long long)LIGO__MAX_DIM);
    }
    return LIGO_OK;
}

/* ------------------------------------------------------ parameter table */

/* The table comes from the model's definition (the built-in ones from the
 * family's schema, src/schema.c). A layer's first entry; for layer
 * n_layer, the first entry after the blocks. */
LIGO_API int64_t ligo_model_layer_base(const ligo_model *m, int64_t layer) {
    int64_t i, after = -1;
    if (!m) return -1;
    for (i = 0; i < m->n_tensors; i++) {
        if (m->info[i].layer == layer) return i;
        if (m->info[i].layer >= 0) after = i + 1;
    }
    return layer >= m->cfg.n_layer ? (after >= 0 ? after : 0) : -1;
}

LIGO_API ligo_model *ligo_model_new(ligo_ctx *ctx, const ligo_config *cfg) {
    ligo_config c;
    ligo_model *m;
    int64_t n, offset;
    if (ligo__failed(ctx)) return NULL;
    if (!cfg) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_new: config is NULL");
        return NULL;
    }
    c = *cfg;
    if (ligo_config_check(ctx, &c) != LIGO_OK) return NULL;
    if (ligo__build_table(ctx, &c, NULL, &n, &offset) != LIGO_OK) return NULL; /* count and check */
    if (offset > ((int64_t)1 << 34)) {
        ligo_set_error(ctx, LIGO_EOVERFLOW, "ligo_model_new: %lld parameters is too many", (long long)offset);
        return NULL;
    }
    m = (ligo_model *)ligo_alloc_persistent(ctx, sizeof *m);
    if (!m) return NULL;
    m->cfg = c;
    m->info = (ligo_param_info *)ligo_alloc_persistent(ctx, (size_t)n * sizeof(ligo_param_info));
    m->data = (float *)ligo_alloc_persistent(ctx, (size_t)offset * sizeof(float));
    m->grad = (float *)ligo_alloc_persistent(ctx, (size_t)offset * sizeof(float));
    if (!m->info || !m->data || !m->grad) return NULL;
    if (ligo__build_table(ctx, &c, m->info, &m->n_tensors, &m->n_floats) != LIGO_OK) return NULL;
    if (m->n_tensors != n || m->n_floats != offset) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_new: %s declared %lld parameters, then %lld",
                       ligo_config_def(&c)->name, (long long)n, (long long)m->n_tensors);
        return NULL;
    }
    return m;
}

LIGO_API int64_t ligo_model_find(const ligo_model *m, const char *name) {
    int64_t i;
    if (!m || !name) return -1;
    for (i = 0; i < m->n_tensors; i++)
        if (strcmp(m->info[i].name, name) == 0) return i;
    return -1;
}

LIGO_API void ligo_model_zero_grad(ligo_model *m) {
    if (m) memset(m->grad, 0, (size_t)m->n_floats * sizeof(float));
}

/* Each parameter by its schema's rule; the normal draws come from one
 * stream, in table order. */
LIGO_API void ligo_model_init(ligo_model *m, uint64_t seed) {
    ligo_rng rng;
    int64_t i, k;
    float std_res;
    if (!m) return;
    ligo_rng_seed(&rng, seed);
    std_res = 0.02f / sqrtf(2.0f * (float)m->cfg.n_layer);
    for (i = 0; i < m->n_tensors; i++) {
        const ligo_param_info *p = &m->info[i];
        float *d = m->data + p->offset, std = p->init == LIGO_INIT_NORMAL_RESID ? std_res : 0.02f;
        if (p->init == LIGO_INIT_NORMAL || p->init == LIGO_INIT_NORMAL_RESID)
            for (k = 0; k < p->n; k++) d[k] = std * ligo_rng_normal(&rng);
        else
            for (k = 0; k < p->n; k++) d[k] = p->init == LIGO_INIT_ONES ? 1.0f : 0.0f;
    }
}

LIGO_API ligo_status ligo_model_weights(ligo_ctx *ctx, ligo_model *m, ligo_tensor **w) {
    int64_t i;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!m || !w) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_weights: NULL model or array");
    for (i = 0; i < m->n_tensors; i++) {
        const ligo_param_info *p = &m->info[i];
        w[i] = ligo_wrap(ctx, p->ndim, p->shape, m->data + p->offset, m->grad + p->offset);
        if (!w[i]) return ctx->status;
    }
    return LIGO_OK;
}

/* --------------------------------------------------------------- forward */

/* One block on x (R, C): pre-LN (GPT, ViT) or post-LN (BERT). */
static ligo_tensor *ligo__block(ligo_ctx *ctx, const ligo_config *c, ligo_tensor *const *w, ligo_tensor *x,
                                int64_t B, int64_t T, int causal, int pre_ln) {
    int64_t s3[3], s2[2];
    ligo_tensor *h, *a, *f;
    s3[0] = B;
    s3[1] = T;
    s3[2] = 3 * c->d_model;
    s2[0] = B * T;
    s2[1] = c->d_model;
    h = pre_ln ? ligo_layernorm(ctx, x, w[LIGO_BLK_LN1_W], w[LIGO_BLK_LN1_B], c->ln_eps) : x;
    h = ligo_linear(ctx, h, w[LIGO_BLK_QKV_W], w[LIGO_BLK_QKV_B]);
    a = ligo_attention(ctx, ligo_reshape(ctx, h, 3, s3), c->n_head, causal);
    a = ligo_linear(ctx, ligo_reshape(ctx, a, 2, s2), w[LIGO_BLK_PROJ_W], w[LIGO_BLK_PROJ_B]);
    x = ligo_add(ctx, x, a);
    if (!pre_ln) x = ligo_layernorm(ctx, x, w[LIGO_BLK_LN1_W], w[LIGO_BLK_LN1_B], c->ln_eps);
    h = pre_ln ? ligo_layernorm(ctx, x, w[LIGO_BLK_LN2_W], w[LIGO_BLK_LN2_B], c->ln_eps) : x;
    f = ligo_linear_gelu(ctx, h, w[LIGO_BLK_FC_W], w[LIGO_BLK_FC_B]);
    f = ligo_linear(ctx, f, w[LIGO_BLK_FC2_W], w[LIGO_BLK_FC2_B]);
    x = ligo_add(ctx, x, f);
    if (!pre_ln) x = ligo_layernorm(ctx, x, w[LIGO_BLK_LN2_W], w[LIGO_BLK_LN2_B], c->ln_eps);
    return x;
}

/* Position ids 0..T-1 for each of B rows, in scratch memory. */
static int32_t *ligo__positions(ligo_ctx *ctx, int64_t B, int64_t T) {
    int32_t *pos = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * T) * sizeof(int32_t));
    int64_t b, t;
    if (!pos) return NULL;
    for (b = 0; b < B; b++)
        for (t = 0; t < T; t++) pos[b * T + t] = (int32_t)t;
    return pos;
}

/* ViT input: the image cut into patches, one row of P*P pixels each,
 * patches in row-major order -> (B * N, P * P). */
static ligo_tensor *ligo__patchify(ligo_ctx *ctx, const ligo_config *c, const float *images, int64_t B) {
    int64_t P = c->patch, H = c->image_h, W = c->image_w, ph = H / P, pw = W / P, N = ph * pw;
    ligo_tensor *x = ligo_new_2d(ctx, B * N, P * P);
    int64_t b, i, j, r;
    if (!x) return NULL;
    for (b = 0; b < B; b++)
        for (i = 0; i < ph; i++)
            for (j = 0; j < pw; j++) {
                float *dst = x->data + ((b * N) + i * pw + j) * P * P;
                for (r = 0; r < P; r++) memcpy(dst + r * P, images + b * H * W + (i * P + r) * W + j * P, (size_t)P * sizeof(float));
            }
    return x;
}

static ligo_status ligo__check_weights(ligo_ctx *ctx, const ligo_model *m, ligo_tensor **w) {
    int64_t i;
    for (i = 0; i < m->n_tensors; i++) {
        const ligo_param_info *p = &m->info[i];
        if (!w[i])
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_forward: weight %s is NULL", p->name);
        if (w[i]->n != p->n || w[i]->shape[0] != p->shape[0]) {
            char b[64];
            return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_model_forward: weight %s is %s, want %lldx%lld", p->name,
                                  ligo_shape_str(w[i], b, sizeof b), (long long)p->shape[0], (long long)p->shape[1]);
        }
    }
    return LIGO_OK;
}

/* The built-in families' forward pass (w in their schema's table order). */
static ligo_tensor *ligo__builtin_forward(ligo_ctx *ctx, const ligo_model *m, ligo_tensor *const *w,
                                          const ligo_batch *bt, ligo_tensor **logits_out, void *user) {
    const ligo_config *c = &m->cfg;
    int64_t B = bt->B, T = c->family == LIGO_VIT ? c->ctx_len : bt->T, l, R;
    ligo_tensor *x, *logits;
    int32_t *pos;
    (void)user;
    R = B * T;
    pos = ligo__positions(ctx, B, T);
    if (!pos) return NULL;
    if (c->family == LIGO_VIT) {
        /* rows: the class token, then every image's patch embeddings; a
         * gather puts each image's class token in front of its patches */
        int64_t N = T - 1, b, j;
        int32_t *order = (int32_t *)ligo_alloc_scratch(ctx, (size_t)R * sizeof(int32_t));
        ligo_tensor *patches = ligo__patchify(ctx, c, bt->images, B), *rows;
        if (!order || !patches) return NULL;
        for (b = 0; b < B; b++)
            for (j = 0; j < T; j++) order[b * T + j] = j == 0 ? 0 : (int32_t)(1 + b * N + (j - 1));
        rows = ligo_concat(ctx, w[2], ligo_linear(ctx, patches, w[0], w[1]), 0);
        x = ligo_add(ctx, ligo_embedding(ctx, rows, order, R), ligo_embedding(ctx, w[3], pos, R));
    } else {
        x = ligo_add(ctx, ligo_embedding(ctx, w[0], bt->inputs, R), ligo_embedding(ctx, w[1], pos, R));
        if (c->family == LIGO_BERT) x = ligo_layernorm(ctx, x, w[2], w[3], c->ln_eps);
    }
    for (l = 0; l < c->n_layer; l++)
        x = ligo__block(ctx, c, w + ligo_model_layer_base(m, l), x, B, T, c->family == LIGO_GPT,
                        c->family != LIGO_BERT);
    {
        ligo_tensor *const *head = w + ligo_model_layer_base(m, c->n_layer);
        if (c->family == LIGO_GPT) {
            x = ligo_layernorm(ctx, x, head[0], head[1], c->ln_eps);
            logits = ligo_linear(ctx, x, w[0], NULL); /* tied to wte */
        } else if (c->family == LIGO_BERT) {
            x = ligo_linear_gelu(ctx, x, head[0], head[1]);
            x = ligo_layernorm(ctx, x, head[2], head[3], c->ln_eps);
            logits = ligo_linear(ctx, x, w[0], head[4]); /* decoder tied to wte */
        } else {
            int32_t *cls = (int32_t *)ligo_alloc_scratch(ctx, (size_t)B * sizeof(int32_t));
            int64_t b;
            if (!cls) return NULL;
            for (b = 0; b < B; b++) cls[b] = (int32_t)(b * T);
            x = ligo_layernorm(ctx, x, head[0], head[1], c->ln_eps);
            logits = ligo_linear(ctx, ligo_embedding(ctx, x, cls, B), head[2], head[3]);
        }
    }
    if (logits_out) *logits_out = logits;
    if (!bt->targets) return logits;
    return ligo_cross_entropy(ctx, logits, bt->targets, c->family == LIGO_VIT ? B : R, LIGO_IGNORE);
}

static const ligo_model_def ligo__builtin_defs[LIGO_FAMILY_COUNT] = {
    {"gpt", ligo__builtin_params, ligo__builtin_forward, NULL},
    {"bert", ligo__builtin_params, ligo__builtin_forward, NULL},
    {"vit", ligo__builtin_params, ligo__builtin_forward, NULL},
    {"llama", ligo__llama_params, ligo__llama_forward, NULL}};

LIGO_API const ligo_model_def *ligo_model_def_builtin(ligo_family f) {
    return f >= 0 && f < LIGO_FAMILY_COUNT ? &ligo__builtin_defs[f] : NULL;
}

LIGO_API const ligo_model_def *ligo_config_def(const ligo_config *c) {
    return !c ? NULL : c->def ? c->def : ligo_model_def_builtin(c->family);
}

LIGO_API ligo_tensor *ligo_model_forward(ligo_ctx *ctx, const ligo_model *m, ligo_tensor **w,
                                         const ligo_batch *bt, ligo_tensor **logits_out) {
    const ligo_config *c;
    const ligo_model_def *def;
    ligo_tensor *out;
    int64_t T;
    if (logits_out) *logits_out = NULL;
    if (ligo__failed(ctx)) return NULL;
    if (!m || !w || !bt) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_forward: NULL model, weights or batch");
        return NULL;
    }
    c = &m->cfg;
    def = ligo_config_def(c);
    if (ligo__check_weights(ctx, m, w) != LIGO_OK) return NULL;
    T = c->family == LIGO_VIT ? c->ctx_len : bt->T;
    if (bt->B < 1 || T < 1 || T > c->ctx_len) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_forward: batch %lld x %lld does not fit context %lld",
                       (long long)bt->B, (long long)bt->T, (long long)c->ctx_len);
        return NULL;
    }
    if (c->family == LIGO_VIT ? !bt->images : !bt->inputs) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_forward: the batch lacks %s", c->family == LIGO_VIT ? "images" : "inputs");
        return NULL;
    }
    out = def->forward(ctx, m, w, bt, logits_out, def->user);
    if (!out && !ligo__failed(ctx))
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_forward: %s's forward returned NULL without an error", def->name);
    return out;
}

LIGO_API ligo_tensor *ligo_model_loss(ligo_ctx *ctx, ligo_model *m, const ligo_batch *batch, ligo_tensor **logits) {
    ligo_tensor **w;
    if (ligo__failed(ctx)) return NULL;
    if (!m) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_loss: model is NULL");
        return NULL;
    }
    w = (ligo_tensor **)ligo_alloc_scratch(ctx, (size_t)m->n_tensors * sizeof(ligo_tensor *));
    if (!w || ligo_model_weights(ctx, m, w) != LIGO_OK) return NULL;
    return ligo_model_forward(ctx, m, w, batch, logits);
}

/* ------------------------------------------------------------ generation */

LIGO_API ligo_status ligo_generate(ligo_ctx *ctx, ligo_model *m, const int32_t *prompt, int64_t n_prompt,
                                   int64_t n_new, double temperature, ligo_rng *rng, int32_t *out) {
    int64_t i, k, V;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!m || !prompt || !out || !rng) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_generate: NULL model, prompt, rng or output");
    if (m->cfg.family != LIGO_GPT && m->cfg.family != LIGO_LLAMA)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_generate: a %s model does not predict the next token",
                              ligo_family_name(m->cfg.family));
    if (n_prompt < 1 || n_new < 0 || n_new > ((int64_t)1 << 40))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_generate: n_prompt %lld, n_new %lld (want n_prompt >= 1, n_new >= 0)",
                              (long long)n_prompt, (long long)n_new);
    if (!(temperature >= 0.0) || !isfinite(temperature))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_generate: temperature is %g (want a finite value >= 0)",
                              temperature);
    V = m->cfg.vocab;
    for (i = 0; i < n_prompt; i++)
        if (prompt[i] < 0 || prompt[i] >= V)
            return ligo_set_error(ctx, LIGO_ERANGE, "ligo_generate: prompt id %lld is %d, outside the vocabulary of %lld",
                                  (long long)i, (int)prompt[i], (long long)V);
    if (out != prompt) memmove(out, prompt, (size_t)n_prompt * sizeof(int32_t));
    for (k = 0; k < n_new; k++) {
        ligo_mark mk = ligo_scratch_mark(ctx);
        ligo_batch bt;
        ligo_tensor *logits;
        const float *row;
        int64_t len = n_prompt + k, T = len < m->cfg.ctx_len ? len : m->cfg.ctx_len;
        int32_t next = 0;
        memset(&bt, 0, sizeof bt);
        bt.B = 1;
        bt.T = T;
        bt.inputs = out + len - T;
        logits = ligo_model_loss(ctx, m, &bt, NULL); /* no targets: the logits */
        if (!logits) return ctx->status;
        row = logits->data + (T - 1) * V;
        if (temperature <= 0.0) { /* the most likely id */
            for (i = 1; i < V; i++)
                if (row[i] > row[next]) next = (int32_t)i;
        } else { /* softmax(row / temperature), in double, drawn by inversion */
            double *p = (double *)ligo_alloc_scratch(ctx, (size_t)V * sizeof(double)), sum = 0.0, mx, u, acc = 0.0;
            if (!p) return ctx->status;
            mx = row[0];
            for (i = 1; i < V; i++) mx = row[i] > mx ? row[i] : mx;
            for (i = 0; i < V; i++) sum += (p[i] = exp(((double)row[i] - mx) / temperature));
            u = (double)ligo_rng_uniform(rng) * sum;
            for (i = 0; i < V; i++) {
                acc += p[i];
                if (u < acc) break;
            }
            next = (int32_t)(i < V ? i : V - 1);
        }
        out[len] = next;
        ligo_scratch_rewind(ctx, mk);
    }
    return LIGO_OK;
}
