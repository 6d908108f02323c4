/* schema.c: what every parameter of the built-in families is, written once
 * per family as a list of roles: its name, its shape in terms of the
 * config, the width stream of each dimension, the block module it belongs
 * to, how it starts and whether it decays, and its Hugging Face name and
 * layout. The parameter table (ligo_model_new), the initialisation, the
 * checkpoints and growth read what this file writes into each
 * ligo_param_info; nothing else knows a family's tensors by position or by
 * name.
 *
 *   GPT   GPT2LMHeadModel's keys (without "transformer."); Conv1D weights
 *         are stored (in, out) there
 *   BERT  BertForMaskedLM's keys; the fused QKV rows are query, key, value
 *   ViT   ViTForImageClassification's keys; the patch projection is a
 *         convolution weight (C, 1, P, P), the class token (1, 1, C), the
 *         positions (1, N + 1, C) */
#include "ligo_internal.h"

static const char *ligo__stream_names[LIGO_STREAM_COUNT] = {"fixed", "emb", "q", "k", "v", "qkv", "ffn", "cls"};

LIGO_API const char *ligo_stream_name(ligo_stream s) {
    return s >= 0 && s < LIGO_STREAM_COUNT ? ligo__stream_names[s] : "unknown";
}

/* A size in terms of the config. */
typedef enum ligo__size { SZ_1, SZ_C, SZ_3C, SZ_F, SZ_V, SZ_T, SZ_PP, SZ_CLASSES } ligo__size;

/* One role: a parameter of the family's embeddings or head, or one of
 * every block's (its name then gets "h.{layer}." in front, its Hugging
 * Face key the layer in place of %lld). */
typedef struct ligo__role {
    const char *name;
    const char *hf;
    int ndim;
    ligo__size size[2];
    ligo_stream stream[2];
    int module, bias;
    ligo_init init;
    unsigned flags;
    ligo_hf_layout layout;
} ligo__role;

#define FX LIGO_STREAM_FIXED
#define EMB LIGO_STREAM_EMB
#define DEC LIGO_PARAM_DECAY
#define EMBED LIGO_PARAM_EMBEDDING
#define ROUT LIGO_PARAM_RESID_OUT
#define TIED LIGO_PARAM_TIED_HEAD_IN
/* a vector of one stream, a matrix of two */
#define VEC(nm, hf, sz, st, mod, b, init, fl) {nm, hf, 1, {sz, SZ_1}, {st, FX}, mod, b, init, fl, LIGO_HF_PLAIN}
#define MAT(nm, hf, s0, s1, t0, t1, mod, init, fl, lay) {nm, hf, 2, {s0, s1}, {t0, t1}, mod, 0, init, fl, lay}

/* A block: LN before attention (post-LN: after it), the fused Q, K, V
 * projection, the attention output, the second LN, the MLP. The order is
 * the LIGO_BLK_* order the forward passes use. */
#define LIGO__BLOCK(hf_ln1, hf_qkv, hf_o, hf_ln2, hf_fc1, hf_fc2, qkv_layout, lay)                                \
    VEC("ln_1.weight", hf_ln1 ".weight", SZ_C, EMB, LIGO_MOD_LN1, 0, LIGO_INIT_ONES, 0),                          \
        VEC("ln_1.bias", hf_ln1 ".bias", SZ_C, EMB, LIGO_MOD_LN1, 1, LIGO_INIT_ZEROS, 0),                         \
        MAT("attn.c_attn.weight", hf_qkv ".weight", SZ_3C, SZ_C, LIGO_STREAM_QKV, EMB, LIGO_MOD_QKV,               \
            LIGO_INIT_NORMAL, DEC, qkv_layout),                                                                    \
        {"attn.c_attn.bias", hf_qkv ".bias", 1, {SZ_3C, SZ_1}, {LIGO_STREAM_QKV, FX}, LIGO_MOD_QKV, 1,             \
         LIGO_INIT_ZEROS, 0, qkv_layout == LIGO_HF_QKV ? LIGO_HF_QKV : LIGO_HF_PLAIN},                             \
        MAT("attn.c_proj.weight", hf_o ".weight", SZ_C, SZ_C, EMB, LIGO_STREAM_V, LIGO_MOD_O, LIGO_INIT_NORMAL_RESID, \
            DEC | ROUT, lay),                                                                                      \
        VEC("attn.c_proj.bias", hf_o ".bias", SZ_C, EMB, LIGO_MOD_O, 1, LIGO_INIT_ZEROS, ROUT),                   \
        VEC("ln_2.weight", hf_ln2 ".weight", SZ_C, EMB, LIGO_MOD_LN2, 0, LIGO_INIT_ONES, 0),                      \
        VEC("ln_2.bias", hf_ln2 ".bias", SZ_C, EMB, LIGO_MOD_LN2, 1, LIGO_INIT_ZEROS, 0),                         \
        MAT("mlp.c_fc.weight", hf_fc1 ".weight", SZ_F, SZ_C, LIGO_STREAM_FFN, EMB, LIGO_MOD_FC1, LIGO_INIT_NORMAL,  \
            DEC, lay),                                                                                             \
        VEC("mlp.c_fc.bias", hf_fc1 ".bias", SZ_F, LIGO_STREAM_FFN, LIGO_MOD_FC1, 1, LIGO_INIT_ZEROS, 0),         \
        MAT("mlp.c_proj.weight", hf_fc2 ".weight", SZ_C, SZ_F, EMB, LIGO_STREAM_FFN, LIGO_MOD_FC2,                 \
            LIGO_INIT_NORMAL_RESID, DEC | ROUT, lay),                                                              \
        VEC("mlp.c_proj.bias", hf_fc2 ".bias", SZ_C, EMB, LIGO_MOD_FC2, 1, LIGO_INIT_ZEROS, ROUT)

static const ligo__role ligo__gpt_pre[] = {
    MAT("wte.weight", "wte.weight", SZ_V, SZ_C, FX, EMB, -1, LIGO_INIT_NORMAL, EMBED, LIGO_HF_PLAIN),
    MAT("wpe.weight", "wpe.weight", SZ_T, SZ_C, FX, EMB, -1, LIGO_INIT_NORMAL, EMBED, LIGO_HF_PLAIN)};
static const ligo__role ligo__gpt_block[] = {LIGO__BLOCK("h.%lld.ln_1", "h.%lld.attn.c_attn", "h.%lld.attn.c_proj",
                                                         "h.%lld.ln_2", "h.%lld.mlp.c_fc", "h.%lld.mlp.c_proj",
                                                         LIGO_HF_T, LIGO_HF_T)};
static const ligo__role ligo__gpt_head[] = {VEC("ln_f.weight", "ln_f.weight", SZ_C, EMB, -1, 0, LIGO_INIT_ONES, TIED),
                                            VEC("ln_f.bias", "ln_f.bias", SZ_C, EMB, -1, 1, LIGO_INIT_ZEROS, TIED)};

static const ligo__role ligo__bert_pre[] = {
    MAT("wte.weight", "bert.embeddings.word_embeddings.weight", SZ_V, SZ_C, FX, EMB, -1, LIGO_INIT_NORMAL, EMBED,
        LIGO_HF_PLAIN),
    MAT("wpe.weight", "bert.embeddings.position_embeddings.weight", SZ_T, SZ_C, FX, EMB, -1, LIGO_INIT_NORMAL, EMBED,
        LIGO_HF_PLAIN),
    VEC("emb_ln.weight", "bert.embeddings.LayerNorm.weight", SZ_C, EMB, -1, 0, LIGO_INIT_ONES, 0),
    VEC("emb_ln.bias", "bert.embeddings.LayerNorm.bias", SZ_C, EMB, -1, 1, LIGO_INIT_ZEROS, 0)};
static const ligo__role ligo__bert_block[] = {
    LIGO__BLOCK("bert.encoder.layer.%lld.attention.output.LayerNorm", "bert.encoder.layer.%lld.attention.self.*",
                "bert.encoder.layer.%lld.attention.output.dense", "bert.encoder.layer.%lld.output.LayerNorm",
                "bert.encoder.layer.%lld.intermediate.dense", "bert.encoder.layer.%lld.output.dense", LIGO_HF_QKV,
                LIGO_HF_PLAIN)};
static const ligo__role ligo__bert_head[] = {
    MAT("mlm.dense.weight", "cls.predictions.transform.dense.weight", SZ_C, SZ_C, LIGO_STREAM_CLS, EMB, -1,
        LIGO_INIT_NORMAL, DEC, LIGO_HF_PLAIN),
    VEC("mlm.dense.bias", "cls.predictions.transform.dense.bias", SZ_C, LIGO_STREAM_CLS, -1, 1, LIGO_INIT_ZEROS, 0),
    VEC("mlm.ln.weight", "cls.predictions.transform.LayerNorm.weight", SZ_C, LIGO_STREAM_CLS, -1, 0, LIGO_INIT_ONES,
        TIED),
    VEC("mlm.ln.bias", "cls.predictions.transform.LayerNorm.bias", SZ_C, LIGO_STREAM_CLS, -1, 1, LIGO_INIT_ZEROS,
        TIED),
    VEC("mlm.bias", "cls.predictions.bias", SZ_V, FX, -1, 1, LIGO_INIT_ZEROS, 0)};

static const ligo__role ligo__vit_pre[] = {
    MAT("patch.weight", "vit.embeddings.patch_embeddings.projection.weight", SZ_C, SZ_PP, EMB, FX, -1,
        LIGO_INIT_NORMAL, DEC, LIGO_HF_CONV),
    VEC("patch.bias", "vit.embeddings.patch_embeddings.projection.bias", SZ_C, EMB, -1, 1, LIGO_INIT_ZEROS, 0),
    MAT("cls_token", "vit.embeddings.cls_token", SZ_1, SZ_C, FX, EMB, -1, LIGO_INIT_NORMAL, EMBED, LIGO_HF_TOKEN),
    MAT("wpe.weight", "vit.embeddings.position_embeddings", SZ_T, SZ_C, FX, EMB, -1, LIGO_INIT_NORMAL, EMBED,
        LIGO_HF_POSITIONS)};
static const ligo__role ligo__vit_block[] = {
    LIGO__BLOCK("vit.encoder.layer.%lld.layernorm_before", "vit.encoder.layer.%lld.attention.attention.*",
                "vit.encoder.layer.%lld.attention.output.dense", "vit.encoder.layer.%lld.layernorm_after",
                "vit.encoder.layer.%lld.intermediate.dense", "vit.encoder.layer.%lld.output.dense", LIGO_HF_QKV,
                LIGO_HF_PLAIN)};
static const ligo__role ligo__vit_head[] = {
    VEC("ln_f.weight", "vit.layernorm.weight", SZ_C, EMB, -1, 0, LIGO_INIT_ONES, 0),
    VEC("ln_f.bias", "vit.layernorm.bias", SZ_C, EMB, -1, 1, LIGO_INIT_ZEROS, 0),
    MAT("head.weight", "classifier.weight", SZ_CLASSES, SZ_C, FX, EMB, -1, LIGO_INIT_NORMAL, DEC, LIGO_HF_PLAIN),
    VEC("head.bias", "classifier.bias", SZ_CLASSES, FX, -1, 1, LIGO_INIT_ZEROS, 0)};

#undef FX
#undef EMB
#undef DEC
#undef EMBED
#undef ROUT
#undef TIED
#undef VEC
#undef MAT
#undef LIGO__BLOCK

#define LIGO__N(a) ((int)(sizeof a / sizeof a[0]))

typedef struct ligo__schema {
    const ligo__role *pre, *block, *head;
    int n_pre, n_block, n_head;
} ligo__schema;

static ligo__schema ligo__family_schema(ligo_family f) {
    ligo__schema s;
    if (f == LIGO_BERT) {
        s.pre = ligo__bert_pre, s.n_pre = LIGO__N(ligo__bert_pre);
        s.block = ligo__bert_block, s.n_block = LIGO__N(ligo__bert_block);
        s.head = ligo__bert_head, s.n_head = LIGO__N(ligo__bert_head);
    } else if (f == LIGO_VIT) {
        s.pre = ligo__vit_pre, s.n_pre = LIGO__N(ligo__vit_pre);
        s.block = ligo__vit_block, s.n_block = LIGO__N(ligo__vit_block);
        s.head = ligo__vit_head, s.n_head = LIGO__N(ligo__vit_head);
    } else {
        s.pre = ligo__gpt_pre, s.n_pre = LIGO__N(ligo__gpt_pre);
        s.block = ligo__gpt_block, s.n_block = LIGO__N(ligo__gpt_block);
        s.head = ligo__gpt_head, s.n_head = LIGO__N(ligo__gpt_head);
    }
    return s;
}

static int64_t ligo__size_of(const ligo_config *c, ligo__size z) {
    switch (z) {
    case SZ_C: return c->d_model;
    case SZ_3C: return 3 * c->d_model;
    case SZ_F: return c->d_ff;
    case SZ_V: return c->vocab;
    case SZ_T: return c->ctx_len;
    case SZ_PP: return c->patch * c->patch;
    case SZ_CLASSES: return c->n_classes;
    default: return 1;
    }
}

/* ------------------------------------------------------------ the table */

/* A table being declared: counted first (info NULL), then filled. */
struct ligo_params {
    ligo_ctx *ctx;
    ligo_param_info *info;
    int64_t n, offset;
};

static ligo_status ligo__spec_error(ligo_params *ps, const char *name, const char *fmt, long long v) {
    return ligo_set_error(ps->ctx, LIGO_EINVAL, "ligo_params_add: %s: %s %lld", name, fmt, v);
}

LIGO_API ligo_status ligo_params_add(ligo_params *ps, const ligo_param_spec *sp) {
    const char *nm, *hf;
    int64_t d0, d1, i;
    int k;
    if (!ps) return LIGO_EINVAL;
    if (ligo__failed(ps->ctx)) return ps->ctx ? ps->ctx->status : LIGO_EINVAL;
    if (!sp) return ligo_set_error(ps->ctx, LIGO_EINVAL, "ligo_params_add: spec is NULL");
    nm = sp->name;
    if (!nm || !nm[0] || strlen(nm) >= sizeof ps->info->name)
        return ligo_set_error(ps->ctx, LIGO_EINVAL, "ligo_params_add: name \"%.80s\" (want 1 to %d bytes)", nm ? nm : "",
                              (int)sizeof ps->info->name - 1);
    hf = sp->hf_name ? sp->hf_name : nm;
    if (strlen(hf) >= sizeof ps->info->hf_name)
        return ligo_set_error(ps->ctx, LIGO_EINVAL, "ligo_params_add: %s: hf_name is longer than %d bytes", nm,
                              (int)sizeof ps->info->hf_name - 1);
    if (sp->ndim != 1 && sp->ndim != 2) return ligo__spec_error(ps, nm, "ndim is", sp->ndim);
    d0 = sp->shape[0];
    d1 = sp->ndim == 2 ? sp->shape[1] : 1;
    if (d0 < 1 || d0 > ((int64_t)1 << 32)) return ligo__spec_error(ps, nm, "shape[0] is", (long long)d0);
    if (d1 < 1 || d1 > ((int64_t)1 << 32)) return ligo__spec_error(ps, nm, "shape[1] is", (long long)d1);
    for (k = 0; k < sp->ndim; k++)
        if (sp->stream[k] < LIGO_STREAM_FIXED || sp->stream[k] >= LIGO_STREAM_COUNT)
            return ligo__spec_error(ps, nm, k ? "stream[1] is" : "stream[0] is", sp->stream[k]);
    if (sp->layer < -1) return ligo__spec_error(ps, nm, "layer is", sp->layer);
    if (sp->module != -1 && !(sp->module >= 0 && sp->module < LIGO_MOD_COUNT) && sp->module != LIGO_MOD_QKV)
        return ligo__spec_error(ps, nm, "module is", sp->module);
    if (sp->module != -1 && sp->layer < 0)
        return ligo_set_error(ps->ctx, LIGO_EINVAL, "ligo_params_add: %s: a block module (%d) outside a block (layer -1)",
                              nm, sp->module);
    if (sp->module == LIGO_MOD_QKV && d0 % 3 != 0)
        return ligo__spec_error(ps, nm, "a fused Q, K, V needs rows divisible by 3; rows", (long long)d0);
    if (sp->bias != 0 && sp->bias != 1) return ligo__spec_error(ps, nm, "bias is", sp->bias);
    if (sp->init < LIGO_INIT_ZEROS || sp->init > LIGO_INIT_NORMAL_RESID) return ligo__spec_error(ps, nm, "init is", sp->init);
    if (sp->hf_layout < LIGO_HF_PLAIN || sp->hf_layout > LIGO_HF_POSITIONS)
        return ligo__spec_error(ps, nm, "hf_layout is", sp->hf_layout);
    if (sp->hf_layout != LIGO_HF_PLAIN && sp->hf_layout != LIGO_HF_QKV && sp->ndim != 2)
        return ligo__spec_error(ps, nm, "this hf_layout needs a matrix; ndim", sp->ndim);
    if (sp->hf_layout == LIGO_HF_QKV && (d0 % 3 != 0 || !strchr(hf, '*')))
        return ligo_set_error(ps->ctx, LIGO_EINVAL, "ligo_params_add: %s: LIGO_HF_QKV needs rows divisible by 3 and a '*' "
                              "in hf_name for query, key, value", nm);
    if (ps->info) {
        ligo_param_info *p = &ps->info[ps->n];
        for (i = 0; i < ps->n; i++)
            if (strcmp(ps->info[i].name, nm) == 0)
                return ligo_set_error(ps->ctx, LIGO_EINVAL, "ligo_params_add: %s is declared twice", nm);
        memset(p, 0, sizeof *p);
        snprintf(p->name, sizeof p->name, "%s", nm);
        snprintf(p->hf_name, sizeof p->hf_name, "%s", hf);
        p->ndim = sp->ndim;
        p->shape[0] = d0;
        p->shape[1] = d1;
        p->n = d0 * d1;
        p->offset = ps->offset;
        p->flags = sp->flags;
        p->stream[0] = sp->stream[0];
        p->stream[1] = sp->ndim == 2 ? sp->stream[1] : LIGO_STREAM_FIXED;
        p->layer = sp->layer;
        p->module = sp->module;
        p->bias = sp->bias;
        p->init = sp->init;
        p->hf_layout = sp->hf_layout;
    }
    ps->n++;
    ps->offset += d0 * d1;
    return LIGO_OK;
}

/* The built-in families' parameters: their roles, per layer for a block's. */
LIGO__PRIV ligo_status ligo__builtin_params(ligo_params *ps, const ligo_config *c, void *user) {
    ligo__schema s = ligo__family_schema(c->family);
    int64_t l;
    int part, k;
    (void)user;
    for (part = 0; part < 3; part++) {
        const ligo__role *roles = part == 0 ? s.pre : part == 1 ? s.block : s.head;
        int n = part == 0 ? s.n_pre : part == 1 ? s.n_block : s.n_head;
        for (l = 0; l < (part == 1 ? c->n_layer : 1); l++)
            for (k = 0; k < n; k++) {
                const ligo__role *r = &roles[k];
                ligo_param_spec sp;
                char name[64], hf[96];
                memset(&sp, 0, sizeof sp);
                if (part == 1) {
                    snprintf(name, sizeof name, "h.%lld.%s", (long long)l, r->name);
                    snprintf(hf, sizeof hf, r->hf, (long long)l);
                } else {
                    snprintf(name, sizeof name, "%s", r->name);
                    snprintf(hf, sizeof hf, "%s", r->hf);
                }
                sp.name = name;
                sp.hf_name = hf;
                sp.ndim = r->ndim;
                sp.shape[0] = ligo__size_of(c, r->size[0]);
                sp.shape[1] = r->ndim == 2 ? ligo__size_of(c, r->size[1]) : 1;
                sp.stream[0] = r->stream[0];
                sp.stream[1] = r->stream[1];
                sp.layer = part == 1 ? (int)l : -1;
                sp.module = part == 1 ? r->module : -1;
                sp.bias = r->bias;
                sp.init = r->init;
                sp.flags = r->flags;
                sp.hf_layout = r->layout;
                if (ligo_params_add(ps, &sp) != LIGO_OK) return ps->ctx ? ps->ctx->status : LIGO_EINVAL;
            }
    }
    return LIGO_OK;
}

LIGO__PRIV ligo_status ligo__build_table(ligo_ctx *ctx, const ligo_config *c, ligo_param_info *info, int64_t *n,
                                         int64_t *offset) {
    const ligo_model_def *def = ligo_config_def(c);
    ligo_params ps;
    ligo_status st;
    ps.ctx = ctx;
    ps.info = info;
    ps.n = ps.offset = 0;
    if (!def || !def->params || !def->forward)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_new: the model's definition lacks params or forward");
    st = def->params(&ps, c, def->user);
    if (st == LIGO_OK && ligo__failed(ctx)) st = ctx->status;
    if (st == LIGO_OK && ps.n == 0)
        st = ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_new: %s declares no parameters", def->name ? def->name : "the model");
    *n = ps.n;
    *offset = ps.offset;
    return st;
}

int64_t ligo__schema_n_pre(ligo_family f) { return ligo__family_schema(f).n_pre; }

LIGO_API int64_t ligo_model_find_module(const ligo_model *m, int64_t layer, int module, int bias, int64_t *row0) {
    int64_t i;
    int fused = module == LIGO_MOD_Q || module == LIGO_MOD_K || module == LIGO_MOD_V;
    if (row0) *row0 = 0;
    if (!m) return -1;
    for (i = 0; i < m->n_tensors; i++) {
        const ligo_param_info *p = &m->info[i];
        if (p->layer != layer || p->bias != bias) continue;
        if (p->module == module) return i;
        if (fused && p->module == LIGO_MOD_QKV) {
            if (row0) *row0 = (int64_t)(module - LIGO_MOD_Q) * (p->shape[0] / 3);
            return i;
        }
    }
    return -1;
}
