/* hf.c: a model as a Hugging Face model directory, what transformers'
 * from_pretrained reads: config.json for GPT2LMHeadModel, BertForMaskedLM,
 * ViTForImageClassification or LlamaForCausalLM, and model.safetensors
 * with the schema's names and layouts (src/checkpoint.c). GELU is the tanh
 * approximation ("gelu_new"), dropout is off, the output layer is tied to
 * the embedding (LLaMA's when untied_head is 0). */
#include "ligo_internal.h"

LIGO_API ligo_status ligo_hf_config_json(ligo_ctx *ctx, const ligo_config *c, char *buf, size_t size, size_t *len) {
    int n;
    if (len) *len = 0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!c || (!buf && size)) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_hf_config_json: NULL config or buffer");
    if (c->def && c->def != ligo_model_def_builtin(c->family))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_hf_config_json: %s is a model of one's own: no Hugging Face class "
                              "reads it", c->def->name ? c->def->name : "the model");
    if (c->family == LIGO_VIT && c->image_h != c->image_w)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_hf_config_json: Hugging Face's ViT takes square images (these are "
                              "%lldx%lld)", (long long)c->image_h, (long long)c->image_w);
    if (c->family == LIGO_GPT)
        n = snprintf(buf, size,
                     "{\n  \"architectures\": [\"GPT2LMHeadModel\"],\n  \"model_type\": \"gpt2\",\n"
                     "  \"vocab_size\": %lld,\n  \"n_positions\": %lld,\n  \"n_ctx\": %lld,\n  \"n_embd\": %lld,\n"
                     "  \"n_layer\": %lld,\n  \"n_head\": %lld,\n  \"n_inner\": %lld,\n"
                     "  \"activation_function\": \"gelu_new\",\n  \"layer_norm_epsilon\": %g,\n"
                     "  \"resid_pdrop\": 0.0,\n  \"embd_pdrop\": 0.0,\n  \"attn_pdrop\": 0.0,\n"
                     "  \"tie_word_embeddings\": true,\n  \"bos_token_id\": 0,\n  \"eos_token_id\": 0\n}\n",
                     (long long)c->vocab, (long long)c->ctx_len, (long long)c->ctx_len, (long long)c->d_model,
                     (long long)c->n_layer, (long long)c->n_head, (long long)c->d_ff, (double)c->ln_eps);
    else if (c->family == LIGO_BERT)
        n = snprintf(buf, size,
                     "{\n  \"architectures\": [\"BertForMaskedLM\"],\n  \"model_type\": \"bert\",\n"
                     "  \"vocab_size\": %lld,\n  \"hidden_size\": %lld,\n  \"num_hidden_layers\": %lld,\n"
                     "  \"num_attention_heads\": %lld,\n  \"intermediate_size\": %lld,\n  \"hidden_act\": \"gelu_new\",\n"
                     "  \"max_position_embeddings\": %lld,\n  \"type_vocab_size\": 1,\n  \"layer_norm_eps\": %g,\n"
                     "  \"hidden_dropout_prob\": 0.0,\n  \"attention_probs_dropout_prob\": 0.0,\n"
                     "  \"position_embedding_type\": \"absolute\",\n  \"tie_word_embeddings\": true,\n"
                     "  \"pad_token_id\": 0\n}\n",
                     (long long)c->vocab, (long long)c->d_model, (long long)c->n_layer, (long long)c->n_head,
                     (long long)c->d_ff, (long long)c->ctx_len, (double)c->ln_eps);
    else if (c->family == LIGO_VIT)
        n = snprintf(buf, size,
                     "{\n  \"architectures\": [\"ViTForImageClassification\"],\n  \"model_type\": \"vit\",\n"
                     "  \"hidden_size\": %lld,\n  \"num_hidden_layers\": %lld,\n  \"num_attention_heads\": %lld,\n"
                     "  \"intermediate_size\": %lld,\n  \"hidden_act\": \"gelu_new\",\n  \"image_size\": %lld,\n"
                     "  \"patch_size\": %lld,\n  \"num_channels\": 1,\n  \"qkv_bias\": true,\n  \"layer_norm_eps\": %g,\n"
                     "  \"hidden_dropout_prob\": 0.0,\n  \"attention_probs_dropout_prob\": 0.0,\n  \"num_labels\": %lld\n}\n",
                     (long long)c->d_model, (long long)c->n_layer, (long long)c->n_head, (long long)c->d_ff,
                     (long long)c->image_h, (long long)c->patch, (double)c->ln_eps, (long long)c->n_classes);
    else if (c->family == LIGO_LLAMA)
        n = snprintf(buf, size,
                     "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",\n"
                     "  \"vocab_size\": %lld,\n  \"hidden_size\": %lld,\n  \"intermediate_size\": %lld,\n"
                     "  \"num_hidden_layers\": %lld,\n  \"num_attention_heads\": %lld,\n"
                     "  \"num_key_value_heads\": %lld,\n  \"head_dim\": %lld,\n  \"hidden_act\": \"silu\",\n"
                     "  \"max_position_embeddings\": %lld,\n  \"rms_norm_eps\": %.9g,\n  \"rope_theta\": %.9g,\n"
                     "  \"rope_scaling\": null,\n  \"attention_bias\": false,\n  \"mlp_bias\": false,\n"
                     "  \"attention_dropout\": 0.0,\n  \"pretraining_tp\": 1,\n  \"tie_word_embeddings\": %s,\n"
                     "  \"bos_token_id\": 0,\n  \"eos_token_id\": 0\n}\n",
                     (long long)c->vocab, (long long)c->d_model, (long long)c->d_ff, (long long)c->n_layer,
                     (long long)c->n_head, (long long)(c->n_kv_head ? c->n_kv_head : c->n_head),
                     (long long)(c->d_model / c->n_head), (long long)c->ctx_len, (double)c->ln_eps,
                     (double)c->rope_theta, c->untied_head ? "false" : "true");
    else
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_hf_config_json: family %d is not gpt, bert, vit or llama",
                              (int)c->family);
    if (n < 0) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_hf_config_json: the config cannot be formatted");
    if (len) *len = (size_t)n;
    if (buf && (size_t)n >= size)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_hf_config_json: a buffer of %zu bytes is too small (want %d + 1)",
                              size, n);
    return LIGO_OK;
}

static int ligo__write_text(FILE *f, void *text) {
    size_t n = strlen((const char *)text);
    return fwrite(text, 1, n, f) == n;
}

LIGO_API ligo_status ligo_model_export_hf(ligo_ctx *ctx, const ligo_model *m, const char *dir) {
    const char *who = "ligo_model_export_hf";
    char json[2048], *path;
    ligo_safetensors st;
    ligo_mark mk;
    size_t dlen;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!m || !dir) return ligo_set_error(ctx, LIGO_EINVAL, "%s: NULL model or directory", who);
    if (ligo_hf_config_json(ctx, &m->cfg, json, sizeof json, NULL) != LIGO_OK) return ctx->status;
    mk = ligo_scratch_mark(ctx);
    dlen = strlen(dir);
    path = (char *)ligo_alloc_scratch(ctx, dlen + sizeof "/model.safetensors");
    if (!path) goto done;
    snprintf(path, dlen + sizeof "/model.safetensors", "%s/config.json", dir);
    if (ligo__write_atomic(ctx, who, path, ligo__write_text, json) != LIGO_OK) goto done;
    ligo_st_init(&st);
    if (ligo_model_to_st(ctx, m, &st) != LIGO_OK) goto done;
    if (m->cfg.family == LIGO_BERT) { /* BERT's token types: one type, all zeros */
        int64_t shape[2];
        float *zeros = (float *)ligo_alloc_scratch(ctx, (size_t)m->cfg.d_model * sizeof(float));
        shape[0] = 1;
        shape[1] = m->cfg.d_model;
        if (!zeros || ligo_st_add(ctx, &st, "bert.embeddings.token_type_embeddings.weight", 2, shape, zeros) != LIGO_OK)
            goto done;
    }
    snprintf(path, dlen + sizeof "/model.safetensors", "%s/model.safetensors", dir);
    ligo_st_write(ctx, path, &st);
done:
    ligo_scratch_rewind(ctx, mk);
    return ctx->status;
}
