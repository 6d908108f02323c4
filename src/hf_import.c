/* hf_import.c: a Hugging Face model directory read into a ligo model, the
 * inverse of hf.c: dir/config.json (as transformers' save_pretrained
 * writes it for GPT2LMHeadModel, BertForMaskedLM,
 * ViTForImageClassification or LlamaForCausalLM) gives the config,
 * dir/model.safetensors the tensors, which then go through the checkpoint loader (src/checkpoint.c)
 * with the schema's names and layouts. What a ligo model cannot hold is
 * refused by name before anything is allocated: an activation other than
 * the tanh GELU, images of more than one channel, BERT's relative
 * positions, an untied GPT-2 head that differs from the embedding.
 *
 *   GPT-2  keys may carry "transformer."; lm_head.weight (tied) is dropped;
 *          n_inner null means 4 x n_embd
 *   BERT   the token-type embedding's row 0 (what every token gets with
 *          token_type_ids all zero) is folded into the positions; the
 *          tied decoder weight and the position_ids buffer are dropped
 *   ViT    as it is; the class count is num_labels or, as save_pretrained
 *          writes it, the number of id2label entries
 *   LLaMA  as it is (SiLU, no biases, plain RoPE, its base rope_theta or
 *          transformers 5's rope_parameters.rope_theta); tie_word_embeddings
 *          absent means untied, as in transformers; a tied file's
 *          lm_head.weight, equal to the embedding, is dropped */
#include "ligo_internal.h"

/* The top-level fields of a config.json that the import reads. */
#define LIGO__HF_FIELDS 96
typedef struct ligo__hf_field {
    char key[48];
    int kind;        /* 0 number, 1 string, 2 null, 3 true, 4 false, 5 object or array */
    double num;
    char str[48];
    int64_t members; /* an object's */
} ligo__hf_field;

typedef struct ligo__hf_config {
    ligo__hf_field f[LIGO__HF_FIELDS];
    int n;
} ligo__hf_config;

/* A string, number, null, true or false into f (kind, str, num). */
static int ligo__hf_scalar(ligo__json *J, ligo__hf_field *f) {
    size_t len, start = J->pos;
    int nul;
    char num[64];
    if (ligo__json_peek(J) == '"') {
        f->kind = 1;
        if (!ligo__json_string(J, f->str, sizeof f->str - 1, &len, &nul)) return 0;
        if (len >= sizeof f->str) f->str[sizeof f->str - 1] = '\0';
        return 1;
    }
    if (!ligo__json_skip(J, 1)) return 0;
    if (J->s[start] == 'n') f->kind = 2;
    else if (J->s[start] == 't') f->kind = 3;
    else if (J->s[start] == 'f') f->kind = 4;
    else {
        size_t k = J->pos - start < sizeof num - 1 ? J->pos - start : sizeof num - 1;
        memcpy(num, J->s + start, k);
        num[k] = '\0';
        f->kind = 0;
        f->num = strtod(num, NULL);
    }
    return 1;
}

/* Reads the top-level object; fields past LIGO__HF_FIELDS or with long
 * keys are skipped (none the import needs is either). rope_parameters'
 * scalar members are fields too, named "rope_parameters.member"
 * (transformers 5 writes the RoPE base there); other objects only count
 * their members, so a long id2label cannot crowd out the sizes. */
static int ligo__hf_parse(ligo__json *J, ligo__hf_config *hc) {
    hc->n = 0;
    if (!ligo__json_expect(J, '{')) return 0;
    if (ligo__json_peek(J) == '}') return ++J->pos, 1;
    for (;;) {
        ligo__hf_field tmp, *f = hc->n < LIGO__HF_FIELDS ? &hc->f[hc->n] : &tmp;
        size_t len;
        int nul, c;
        memset(f, 0, sizeof *f);
        if (!ligo__json_string(J, f->key, sizeof f->key - 1, &len, &nul) || !ligo__json_expect(J, ':')) return 0;
        if (len >= sizeof f->key) f->key[0] = '\0';
        c = ligo__json_peek(J);
        if (c == '{' || c == '[') {
            f->kind = 5;
            J->pos++;
            if (f != &tmp && f->key[0]) hc->n++; /* before its members */
            if (ligo__json_peek(J) == (c == '{' ? '}' : ']')) {
                J->pos++;
            } else {
                for (;;) {
                    char mk[48];
                    int sub = 0;
                    if (c == '{') {
                        if (!ligo__json_string(J, mk, sizeof mk - 1, &len, &nul) || !ligo__json_expect(J, ':')) return 0;
                        if (len >= sizeof mk) mk[0] = '\0';
                        sub = strcmp(f->key, "rope_parameters") == 0 && mk[0] && strlen(mk) < 24 &&
                              hc->n < LIGO__HF_FIELDS && ligo__json_peek(J) != '{' && ligo__json_peek(J) != '[';
                    }
                    if (sub) {
                        ligo__hf_field *m = &hc->f[hc->n];
                        memset(m, 0, sizeof *m);
                        memcpy(m->key, "rope_parameters.", 16);
                        memcpy(m->key + 16, mk, strlen(mk) + 1);
                        if (!ligo__hf_scalar(J, m)) return 0;
                        hc->n++;
                    } else if (!ligo__json_skip(J, 1)) {
                        return 0;
                    }
                    f->members++;
                    if (ligo__json_peek(J) != ',') break;
                    J->pos++;
                }
                if (!ligo__json_expect(J, c == '{' ? '}' : ']')) return 0;
            }
        } else {
            if (!ligo__hf_scalar(J, f)) return 0;
            if (f != &tmp && f->key[0]) hc->n++;
        }
        if (ligo__json_peek(J) == ',') {
            J->pos++;
            continue;
        }
        return ligo__json_expect(J, '}');
    }
}

static const ligo__hf_field *ligo__hf_get(const ligo__hf_config *hc, const char *key) {
    int i;
    for (i = 0; i < hc->n; i++)
        if (strcmp(hc->f[i].key, key) == 0) return &hc->f[i];
    return NULL;
}

/* An integer field into *out: required (a missing one is an error), or
 * optional with a default (dflt >= 0; also taken for null). */
static ligo_status ligo__hf_int(ligo_ctx *ctx, const char *path, const ligo__hf_config *hc, const char *key,
                                int64_t dflt, int64_t *out) {
    const ligo__hf_field *f = ligo__hf_get(hc, key);
    if ((!f || f->kind == 2) && dflt >= 0) {
        *out = dflt;
        return LIGO_OK;
    }
    if (!f) return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_import_hf: %s: no \"%s\"", path, key);
    if (f->kind != 0 || f->num != floor(f->num) || f->num < 1 || f->num > 4e9)
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_import_hf: %s: \"%s\" is not a positive integer", path, key);
    *out = (int64_t)f->num;
    return LIGO_OK;
}

/* The activation named by `key` must be the tanh GELU of ligo's blocks. */
static ligo_status ligo__hf_act(ligo_ctx *ctx, const char *path, const ligo__hf_config *hc, const char *key) {
    const ligo__hf_field *f = ligo__hf_get(hc, key);
    const char *v = f && f->kind == 1 ? f->str : "(missing)";
    if (f && f->kind == 1 && (strcmp(v, "gelu_new") == 0 || strcmp(v, "gelu_pytorch_tanh") == 0)) return LIGO_OK;
    return ligo_set_error(ctx, LIGO_EINVAL,
                          "ligo_model_import_hf: %s: %s is \"%s\"; ligo's models use the tanh GELU (gelu_new or "
                          "gelu_pytorch_tanh), so this model cannot be imported",
                          path, key, v);
}

/* config.json -> a ligo config, every field checked. */
static ligo_status ligo__hf_to_config(ligo_ctx *ctx, const char *path, const ligo__hf_config *hc, ligo_config *c) {
    const ligo__hf_field *mt = ligo__hf_get(hc, "model_type"), *f;
    const char *type = mt && mt->kind == 1 ? mt->str : "";
    double eps = -1.0;
    if (strcmp(type, "gpt2") == 0) {
        *c = ligo_config_default(LIGO_GPT);
        if (ligo__hf_act(ctx, path, hc, "activation_function") || ligo__hf_int(ctx, path, hc, "n_layer", -1, &c->n_layer) ||
            ligo__hf_int(ctx, path, hc, "n_embd", -1, &c->d_model) || ligo__hf_int(ctx, path, hc, "n_head", -1, &c->n_head) ||
            ligo__hf_int(ctx, path, hc, "vocab_size", -1, &c->vocab) ||
            ligo__hf_int(ctx, path, hc, "n_positions", -1, &c->ctx_len) ||
            ligo__hf_int(ctx, path, hc, "n_inner", 0, &c->d_ff))
            return ctx->status;
        f = ligo__hf_get(hc, "layer_norm_epsilon");
    } else if (strcmp(type, "bert") == 0) {
        const ligo__hf_field *pe = ligo__hf_get(hc, "position_embedding_type");
        *c = ligo_config_default(LIGO_BERT);
        if (pe && !(pe->kind == 1 && strcmp(pe->str, "absolute") == 0))
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: position_embedding_type is \"%s\"; "
                                  "ligo's BERT has absolute positions", path, pe->kind == 1 ? pe->str : "?");
        if (ligo__hf_act(ctx, path, hc, "hidden_act") ||
            ligo__hf_int(ctx, path, hc, "num_hidden_layers", -1, &c->n_layer) ||
            ligo__hf_int(ctx, path, hc, "hidden_size", -1, &c->d_model) ||
            ligo__hf_int(ctx, path, hc, "num_attention_heads", -1, &c->n_head) ||
            ligo__hf_int(ctx, path, hc, "intermediate_size", -1, &c->d_ff) ||
            ligo__hf_int(ctx, path, hc, "vocab_size", -1, &c->vocab) ||
            ligo__hf_int(ctx, path, hc, "max_position_embeddings", -1, &c->ctx_len))
            return ctx->status;
        f = ligo__hf_get(hc, "layer_norm_eps");
    } else if (strcmp(type, "vit") == 0) {
        const ligo__hf_field *labels = ligo__hf_get(hc, "id2label");
        int64_t channels, size;
        *c = ligo_config_default(LIGO_VIT);
        if (ligo__hf_act(ctx, path, hc, "hidden_act") ||
            ligo__hf_int(ctx, path, hc, "num_hidden_layers", -1, &c->n_layer) ||
            ligo__hf_int(ctx, path, hc, "hidden_size", -1, &c->d_model) ||
            ligo__hf_int(ctx, path, hc, "num_attention_heads", -1, &c->n_head) ||
            ligo__hf_int(ctx, path, hc, "intermediate_size", -1, &c->d_ff) ||
            ligo__hf_int(ctx, path, hc, "image_size", -1, &size) || ligo__hf_int(ctx, path, hc, "patch_size", -1, &c->patch) ||
            ligo__hf_int(ctx, path, hc, "num_channels", 3, &channels) ||
            ligo__hf_int(ctx, path, hc, "num_labels", labels && labels->kind == 5 ? labels->members : 2, &c->n_classes))
            return ctx->status;
        if (channels != 1)
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: num_channels is %lld; ligo's ViT reads "
                                  "one-channel images", path, (long long)channels);
        c->image_h = c->image_w = size;
        f = ligo__hf_get(hc, "layer_norm_eps");
    } else if (strcmp(type, "llama") == 0) {
        const ligo__hf_field *act = ligo__hf_get(hc, "hidden_act"), *tie = ligo__hf_get(hc, "tie_word_embeddings");
        const ligo__hf_field *theta = ligo__hf_get(hc, "rope_theta"), *scaling = ligo__hf_get(hc, "rope_scaling");
        const ligo__hf_field *rtype = ligo__hf_get(hc, "rope_parameters.rope_type");
        static const char *biases[2] = {"attention_bias", "mlp_bias"};
        int64_t head_dim = 0;
        int k;
        *c = ligo_config_default(LIGO_LLAMA);
        if (!act || act->kind != 1 || strcmp(act->str, "silu") != 0)
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: hidden_act is \"%s\"; ligo's LLaMA has a "
                                  "SiLU-gated MLP", path, act && act->kind == 1 ? act->str : "(missing)");
        for (k = 0; k < 2; k++) {
            const ligo__hf_field *b = ligo__hf_get(hc, biases[k]);
            if (b && b->kind != 4)
                return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: %s is not false; ligo's LLaMA has no "
                                      "biases", path, biases[k]);
        }
        if (scaling && scaling->kind != 2)
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: rope_scaling is set; ligo's LLaMA has "
                                  "plain RoPE", path);
        if (rtype && !(rtype->kind == 1 && strcmp(rtype->str, "default") == 0))
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: rope_parameters.rope_type is \"%s\"; "
                                  "ligo's LLaMA has plain RoPE (default)", path, rtype->kind == 1 ? rtype->str : "?");
        if (!theta) theta = ligo__hf_get(hc, "rope_parameters.rope_theta"); /* transformers 5 */
        if (ligo__hf_int(ctx, path, hc, "num_hidden_layers", -1, &c->n_layer) ||
            ligo__hf_int(ctx, path, hc, "hidden_size", -1, &c->d_model) ||
            ligo__hf_int(ctx, path, hc, "num_attention_heads", -1, &c->n_head) ||
            ligo__hf_int(ctx, path, hc, "num_key_value_heads", c->n_head, &c->n_kv_head) ||
            ligo__hf_int(ctx, path, hc, "intermediate_size", -1, &c->d_ff) ||
            ligo__hf_int(ctx, path, hc, "vocab_size", -1, &c->vocab) ||
            ligo__hf_int(ctx, path, hc, "max_position_embeddings", -1, &c->ctx_len) ||
            ligo__hf_int(ctx, path, hc, "head_dim", c->d_model / c->n_head, &head_dim))
            return ctx->status;
        if (head_dim * c->n_head != c->d_model)
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: head_dim %lld x %lld heads is not "
                                  "hidden_size %lld; ligo's heads split the width", path, (long long)head_dim,
                                  (long long)c->n_head, (long long)c->d_model);
        if (theta && !(theta->kind == 0 && theta->num > 0.0 && theta->num < 1e30))
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_import_hf: %s: rope_theta is not a base > 0", path);
        if (theta) c->rope_theta = (float)theta->num;
        if (tie && tie->kind != 3 && tie->kind != 4)
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_import_hf: %s: tie_word_embeddings is not true or false",
                                  path);
        c->untied_head = !(tie && tie->kind == 3); /* transformers' default: untied */
        f = ligo__hf_get(hc, "rms_norm_eps");
    } else {
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: model_type \"%s\" (want gpt2, bert, vit or "
                              "llama)", path, mt ? type : "(missing)");
    }
    if (f && f->kind == 0) eps = f->num;
    if (f && !(eps > 0.0 && eps < 1.0))
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_import_hf: %s: \"%s\" is not an eps in (0, 1)", path, f->key);
    if (f) c->ln_eps = (float)eps;
    return ligo_config_check(ctx, c);
}

/* The file's tensors under the names ligo's checkpoints use. */
static ligo_status ligo__hf_tensors(ligo_ctx *ctx, const char *path, const ligo_config *c, const ligo_safetensors *in,
                                    ligo_safetensors *out) {
    const ligo_st_entry *wte = NULL, *head = NULL, *tt = NULL;
    int64_t i, k;
    for (i = 0; i < in->n_entries; i++) {
        const ligo_st_entry *e = &in->entries[i];
        const char *name = e->name;
        if (c->family == LIGO_GPT) {
            if (strncmp(name, "transformer.", 12) == 0) name += 12;
            if (strcmp(name, "lm_head.weight") == 0) {
                head = e;
                continue;
            }
            if (strcmp(name, "wte.weight") == 0) wte = e;
            if (strstr(name, ".attn.bias") || strstr(name, ".attn.masked_bias")) continue; /* old causal-mask buffers */
        } else if (c->family == LIGO_LLAMA) {
            if (strstr(name, "rotary_emb.inv_freq")) continue; /* older files' RoPE buffers */
            if (strcmp(name, "model.embed_tokens.weight") == 0) wte = e;
            if (!c->untied_head && strcmp(name, "lm_head.weight") == 0) {
                head = e;
                continue;
            }
        } else if (c->family == LIGO_BERT) {
            if (strcmp(name, "bert.embeddings.token_type_embeddings.weight") == 0) {
                tt = e;
                continue;
            }
            if (strncmp(name, "cls.predictions.decoder.", 24) == 0 || strstr(name, "position_ids")) continue;
        }
        if (ligo_st_add(ctx, out, name, e->ndim, e->shape, e->data) != LIGO_OK) return ctx->status;
    }
    if (head && wte && (head->n != wte->n || memcmp(head->data, wte->data, (size_t)wte->n * sizeof(float)) != 0))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: lm_head.weight differs from %s; the config "
                              "ties the head to the embedding", path, wte->name);
    if (c->family == LIGO_BERT) {
        ligo_st_entry *pos = NULL;
        float *sum;
        if (!tt || tt->ndim != 2 || tt->shape[1] != c->d_model)
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_import_hf: %s: no token_type_embeddings of width %lld",
                                  path, (long long)c->d_model);
        for (i = 0; i < out->n_entries; i++)
            if (strcmp(out->entries[i].name, "bert.embeddings.position_embeddings.weight") == 0) pos = &out->entries[i];
        if (!pos || pos->ndim != 2 || pos->shape[1] != c->d_model)
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_import_hf: %s: no position_embeddings of width %lld",
                                  path, (long long)c->d_model);
        sum = (float *)ligo_alloc_scratch(ctx, (size_t)pos->n * sizeof(float));
        if (!sum) return ctx->status;
        for (i = 0; i < pos->shape[0]; i++)
            for (k = 0; k < c->d_model; k++) sum[i * c->d_model + k] = pos->data[i * c->d_model + k] + tt->data[k];
        pos->data = sum;
    }
    return LIGO_OK;
}

LIGO_API ligo_model *ligo_model_import_hf(ligo_ctx *ctx, const char *dir) {
    ligo__hf_config *hc;
    ligo_safetensors in, st;
    ligo_config c;
    ligo_mark mk;
    ligo__json J;
    ligo_model *m = NULL;
    char *path;
    size_t plen, n;
    void *text;
    if (ligo__failed(ctx)) return NULL;
    if (!dir) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: directory is NULL");
        return NULL;
    }
    mk = ligo_scratch_mark(ctx);
    plen = strlen(dir) + sizeof "/model.safetensors";
    path = (char *)ligo_alloc_scratch(ctx, plen);
    hc = (ligo__hf_config *)ligo_alloc_scratch(ctx, sizeof *hc);
    if (!path || !hc) goto done;
    snprintf(path, plen, "%s/config.json", dir);
    if (ligo_read_file(ctx, path, (size_t)1 << 24, &text, &n) != LIGO_OK) goto done; /* a config is small */
    memset(&J, 0, sizeof J);
    J.s = (const unsigned char *)text;
    J.n = n;
    J.ctx = ctx;
    J.who = "ligo_model_import_hf";
    J.fname = path;
    if (!ligo__hf_parse(&J, hc) || ligo__hf_to_config(ctx, path, hc, &c) != LIGO_OK) goto done;
    snprintf(path, plen, "%s/model.safetensors", dir);
    if (ligo_st_read(ctx, path, &in) != LIGO_OK) goto done;
    ligo_st_init(&st);
    if (ligo__hf_tensors(ctx, path, &c, &in, &st) != LIGO_OK || ligo_config_to_st(ctx, &c, &st) != LIGO_OK) goto done;
    m = ligo_model_from_st(ctx, &st, path);
    if (m && ligo__st_check_names(ctx, &st, m, "ligo_model_import_hf", path) != LIGO_OK) m = NULL;
done:
    ligo_scratch_rewind(ctx, mk); /* the model lives in persistent memory */
    return m;
}
