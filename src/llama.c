/* llama.c: the LLaMA family (Touvron et al. 2023), written as any model of
 * one's own is (docs/design.md "Models of one's own"): a params function
 * declaring its table through ligo_params_add and a forward pass of ops.
 *
 *   x = embed_tokens[ids]
 *   per layer:  h = RMSNorm(x) ln1
 *               q = RoPE(h Wq^T), k = RoPE(h Wk^T), v = h Wv^T   (k, v: n_kv_head heads)
 *               x = x + attention(q, k, v) Wo^T                  (causal; KV heads repeated per group)
 *               h = RMSNorm(x) ln2
 *               x = x + (silu(h Wg^T) * (h Wu^T)) Wd^T           (SwiGLU)
 *   logits = RMSNorm(x) norm . (embed_tokens or lm_head)^T
 *
 * No biases anywhere. Tensor names are Hugging Face's LlamaForCausalLM's,
 * weights (out, in) as nn.Linear stores them, so a table entry's name is
 * its checkpoint key.
 *
 * Streams (what growth widens each dimension by, design.md 4.2): the
 * residual stream (embedding columns, both norms, the final norm, every
 * matrix's input side, o_proj's and down_proj's rows); q_proj's rows are
 * the layer's Q stream, k_proj's and v_proj's its K and V streams of
 * n_kv_head x head_dim units; o_proj reads the attention output, which is
 * laid out as the query heads (n_head x head_dim), so its columns read the
 * Q stream (with grouped heads V's is narrower); gate_proj and up_proj
 * share the layer's FFN stream (their product needs aligned units) and
 * down_proj reads it.
 *
 * Shapes: B batch, T positions, C = d_model, NH heads, KV = n_kv_head, hs
 * = C / NH, F = d_ff, V vocab, R = B T. */
#include "ligo_internal.h"

/* ------------------------------------------------------------ the table */

typedef struct ligo__llama_role {
    const char *fmt;  /* Hugging Face key, %lld the layer */
    int ndim;
    char size[2];     /* 'C' d_model, 'K' n_kv_head x hs, 'F' d_ff, 'V' vocab */
    ligo_stream stream[2];
    int module;
    ligo_init init;
    unsigned flags;
} ligo__llama_role;

#define EMB LIGO_STREAM_EMB
#define DEC LIGO_PARAM_DECAY
static const ligo__llama_role ligo__llama_block[] = {
    {"model.layers.%lld.input_layernorm.weight", 1, {'C', 0}, {EMB, LIGO_STREAM_FIXED}, LIGO_MOD_LN1, LIGO_INIT_ONES, 0},
    {"model.layers.%lld.self_attn.q_proj.weight", 2, {'C', 'C'}, {LIGO_STREAM_Q, EMB}, LIGO_MOD_Q, LIGO_INIT_NORMAL, DEC},
    {"model.layers.%lld.self_attn.k_proj.weight", 2, {'K', 'C'}, {LIGO_STREAM_K, EMB}, LIGO_MOD_K, LIGO_INIT_NORMAL, DEC},
    {"model.layers.%lld.self_attn.v_proj.weight", 2, {'K', 'C'}, {LIGO_STREAM_V, EMB}, LIGO_MOD_V, LIGO_INIT_NORMAL, DEC},
    {"model.layers.%lld.self_attn.o_proj.weight", 2, {'C', 'C'}, {EMB, LIGO_STREAM_Q}, LIGO_MOD_O,
     LIGO_INIT_NORMAL_RESID, DEC | LIGO_PARAM_RESID_OUT},
    {"model.layers.%lld.post_attention_layernorm.weight", 1, {'C', 0}, {EMB, LIGO_STREAM_FIXED}, LIGO_MOD_LN2,
     LIGO_INIT_ONES, 0},
    {"model.layers.%lld.mlp.gate_proj.weight", 2, {'F', 'C'}, {LIGO_STREAM_FFN, EMB}, LIGO_MOD_GATE, LIGO_INIT_NORMAL,
     DEC},
    {"model.layers.%lld.mlp.up_proj.weight", 2, {'F', 'C'}, {LIGO_STREAM_FFN, EMB}, LIGO_MOD_FC1, LIGO_INIT_NORMAL, DEC},
    {"model.layers.%lld.mlp.down_proj.weight", 2, {'C', 'F'}, {EMB, LIGO_STREAM_FFN}, LIGO_MOD_FC2,
     LIGO_INIT_NORMAL_RESID, DEC | LIGO_PARAM_RESID_OUT}};
#undef EMB
#undef DEC
/* the order of a block's entries, as the forward takes them */
enum { LL_LN1, LL_Q, LL_K, LL_V, LL_O, LL_LN2, LL_GATE, LL_UP, LL_DOWN, LL_COUNT };

static int64_t ligo__llama_size(const ligo_config *c, char z) {
    switch (z) {
    case 'C': return c->d_model;
    case 'K': return c->n_kv_head * (c->d_model / c->n_head);
    case 'F': return c->d_ff;
    case 'V': return c->vocab;
    default: return 1;
    }
}

static ligo_status ligo__llama_add(ligo_params *ps, const char *name, int ndim, int64_t d0, int64_t d1,
                                   ligo_stream s0, ligo_stream s1, int layer, int module, ligo_init init,
                                   unsigned flags) {
    ligo_param_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.name = name;
    sp.ndim = ndim;
    sp.shape[0] = d0;
    sp.shape[1] = ndim == 2 ? d1 : 1;
    sp.stream[0] = s0;
    sp.stream[1] = s1;
    sp.layer = layer;
    sp.module = module;
    sp.init = init;
    sp.flags = flags;
    sp.hf_layout = LIGO_HF_PLAIN;
    return ligo_params_add(ps, &sp);
}

LIGO__PRIV ligo_status ligo__llama_params(ligo_params *ps, const ligo_config *c, void *user) {
    int64_t l;
    int k;
    ligo_status s;
    (void)user;
    s = ligo__llama_add(ps, "model.embed_tokens.weight", 2, c->vocab, c->d_model, LIGO_STREAM_FIXED, LIGO_STREAM_EMB,
                        -1, -1, LIGO_INIT_NORMAL, LIGO_PARAM_EMBEDDING);
    for (l = 0; l < c->n_layer && s == LIGO_OK; l++)
        for (k = 0; k < LL_COUNT && s == LIGO_OK; k++) {
            const ligo__llama_role *r = &ligo__llama_block[k];
            char name[64];
            snprintf(name, sizeof name, r->fmt, (long long)l);
            s = ligo__llama_add(ps, name, r->ndim, ligo__llama_size(c, r->size[0]), ligo__llama_size(c, r->size[1]),
                                r->stream[0], r->stream[1], (int)l, r->module, r->init, r->flags);
        }
    /* the final norm feeds the tied head: FPI's width rescale (design.md 4.6);
     * an untied head reads the stream, and FPI's in-expansion keeps it exact */
    if (s == LIGO_OK)
        s = ligo__llama_add(ps, "model.norm.weight", 1, c->d_model, 1, LIGO_STREAM_EMB, LIGO_STREAM_FIXED, -1, -1,
                            LIGO_INIT_ONES, c->untied_head ? 0u : LIGO_PARAM_TIED_HEAD_IN);
    if (s == LIGO_OK && c->untied_head)
        s = ligo__llama_add(ps, "lm_head.weight", 2, c->vocab, c->d_model, LIGO_STREAM_FIXED, LIGO_STREAM_EMB, -1, -1,
                            LIGO_INIT_NORMAL, LIGO_PARAM_DECAY);
    return s;
}

/* ------------------------------------------------------- grouped pieces */

/* x (R, KV hs) -> (R, NH hs): each of the KV heads repeated for the
 * NH / KV query heads of its group (query head h reads KV head
 * h / (NH / KV), as Hugging Face's repeat_kv), through a row gather, whose
 * backward adds each group's gradients into its head. */
static ligo_tensor *ligo__repeat_kv(ligo_ctx *ctx, ligo_tensor *x, int64_t R, int64_t NH, int64_t KV, int64_t hs) {
    int64_t s[2], r, h, g = NH / KV;
    int32_t *ids;
    if (!x || KV == NH) return x;
    ids = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(R * NH) * sizeof(int32_t));
    if (!ids) return NULL;
    for (r = 0; r < R; r++)
        for (h = 0; h < NH; h++) ids[r * NH + h] = (int32_t)(r * KV + h / g);
    s[0] = R * KV;
    s[1] = hs;
    x = ligo_embedding(ctx, ligo_reshape(ctx, x, 2, s), ids, R * NH);
    s[0] = R;
    s[1] = NH * hs;
    return ligo_reshape(ctx, x, 2, s);
}

LIGO_API ligo_tensor *ligo_attention_grouped(ligo_ctx *ctx, ligo_tensor *q, ligo_tensor *k, ligo_tensor *v,
                                             int64_t n_head, int64_t n_kv_head, int causal) {
    int64_t B, T, C, R, s2[2], s3[3];
    ligo_tensor *qkv;
    if (ligo__failed(ctx)) return NULL;
    if (!q || !k || !v) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_attention_grouped: NULL q, k or v");
        return NULL;
    }
    if (q->ndim != 3 || k->ndim != 3 || v->ndim != 3) {
        ligo_set_error(ctx, LIGO_ESHAPE, "ligo_attention_grouped: q, k and v must be (B, T, C), (B, T, KV hs); got %d, "
                       "%d and %d dims", q->ndim, k->ndim, v->ndim);
        return NULL;
    }
    B = q->shape[0];
    T = q->shape[1];
    C = q->shape[2];
    if (n_head < 1 || C % n_head != 0 || n_kv_head < 1 || n_head % n_kv_head != 0) {
        ligo_set_error(ctx, LIGO_ESHAPE, "ligo_attention_grouped: %lld heads, %lld KV heads for C = %lld (want KV heads "
                       "dividing heads dividing C)", (long long)n_head, (long long)n_kv_head, (long long)C);
        return NULL;
    }
    if (k->shape[0] != B || k->shape[1] != T || k->shape[2] != n_kv_head * (C / n_head) || v->shape[0] != B ||
        v->shape[1] != T || v->shape[2] != k->shape[2]) {
        ligo_set_error(ctx, LIGO_ESHAPE, "ligo_attention_grouped: k (%lld, %lld, %lld) and v (%lld, %lld, %lld) must be "
                       "(%lld, %lld, %lld)", (long long)k->shape[0], (long long)k->shape[1], (long long)k->shape[2],
                       (long long)v->shape[0], (long long)v->shape[1], (long long)v->shape[2], (long long)B,
                       (long long)T, (long long)(n_kv_head * (C / n_head)));
        return NULL;
    }
    R = B * T;
    s2[0] = R;
    s2[1] = k->shape[2];
    k = ligo__repeat_kv(ctx, ligo_reshape(ctx, k, 2, s2), R, n_head, n_kv_head, C / n_head);
    v = ligo__repeat_kv(ctx, ligo_reshape(ctx, v, 2, s2), R, n_head, n_kv_head, C / n_head);
    s2[1] = C;
    qkv = ligo_concat(ctx, ligo_concat(ctx, ligo_reshape(ctx, q, 2, s2), k, 1), v, 1);
    s3[0] = B;
    s3[1] = T;
    s3[2] = 3 * C;
    return ligo_attention(ctx, ligo_reshape(ctx, qkv, 3, s3), n_head, causal);
}

LIGO_API ligo_tensor *ligo_swiglu(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *w_gate, ligo_tensor *w_up,
                                  ligo_tensor *w_down) {
    if (ligo__failed(ctx)) return NULL;
    return ligo_linear(ctx, ligo_mul(ctx, ligo_silu(ctx, ligo_linear(ctx, x, w_gate, NULL)), ligo_linear(ctx, x, w_up, NULL)),
                       w_down, NULL);
}

/* --------------------------------------------------------------- forward */

LIGO__PRIV ligo_tensor *ligo__llama_forward(ligo_ctx *ctx, const ligo_model *m, ligo_tensor *const *w,
                                            const ligo_batch *bt, ligo_tensor **logits_out, void *user) {
    const ligo_config *c = &m->cfg;
    int64_t B = bt->B, T = bt->T, R = B * T, C = c->d_model, NH = c->n_head, KV = c->n_kv_head, hs = C / NH, l;
    int64_t s2[2], sq[3], sk[3], hb;
    ligo_tensor *x, *logits;
    (void)user;
    s2[0] = R;
    s2[1] = C;
    sq[0] = sk[0] = B;
    sq[1] = sk[1] = T;
    sq[2] = C;
    sk[2] = KV * hs;
    x = ligo_embedding(ctx, w[0], bt->inputs, R);
    for (l = 0; l < c->n_layer; l++) {
        ligo_tensor *const *b = w + ligo_model_layer_base(m, l);
        ligo_tensor *h = ligo_rmsnorm(ctx, x, b[LL_LN1], c->ln_eps), *q, *k, *v, *a;
        q = ligo_rope(ctx, ligo_reshape(ctx, ligo_linear(ctx, h, b[LL_Q], NULL), 3, sq), NH, c->rope_theta, 0);
        k = ligo_rope(ctx, ligo_reshape(ctx, ligo_linear(ctx, h, b[LL_K], NULL), 3, sk), KV, c->rope_theta, 0);
        v = ligo_reshape(ctx, ligo_linear(ctx, h, b[LL_V], NULL), 3, sk);
        a = ligo_attention_grouped(ctx, q, k, v, NH, KV, 1);
        x = ligo_add(ctx, x, ligo_linear(ctx, ligo_reshape(ctx, a, 2, s2), b[LL_O], NULL));
        h = ligo_rmsnorm(ctx, x, b[LL_LN2], c->ln_eps);
        x = ligo_add(ctx, x, ligo_swiglu(ctx, h, b[LL_GATE], b[LL_UP], b[LL_DOWN]));
    }
    hb = ligo_model_layer_base(m, c->n_layer); /* model.norm, then lm_head when untied */
    x = ligo_rmsnorm(ctx, x, w[hb], c->ln_eps);
    logits = ligo_linear(ctx, x, c->untied_head ? w[hb + 1] : w[0], NULL);
    if (logits_out) *logits_out = logits;
    if (!bt->targets) return logits;
    return ligo_cross_entropy(ctx, logits, bt->targets, R, LIGO_IGNORE);
}
