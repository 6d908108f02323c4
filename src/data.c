/* data.c: token streams (bytes, GPT-2 token files), deterministic
 * batches and evaluation windows, masked-LM corruption. Every parser checks
 * sizes against its input before it allocates or reads; malformed input is
 * LIGO_EFORMAT, never a crash. */
#include "ligo_internal.h"

#define LIGO__GPT2_MAGIC 20240520
#define LIGO__GPT2_HEADER (256 * 4)
#define LIGO__GPT2_VOCAB 50257

/* ---------------------------------------------------------------- tokens */

static void ligo__split_tokens(ligo_tokens *t) { t->split = t->n - t->n / 10; }

/* Bytes as tokens (vocab 256). `name` (a path or NULL) goes into messages. */
static ligo_status ligo__tokens_bytes(ligo_ctx *ctx, const char *fn, const char *name, const void *bytes, size_t n,
                                     ligo_tokens *out) {
    const unsigned char *p = (const unsigned char *)bytes;
    const char *sep = name ? ": " : "";
    size_t i;
    if (!name) name = "";
    if (n < 2)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %s%s%zu bytes is too little text (at least 2)", fn, name, sep, n);
    if (n > (size_t)INT64_MAX || n > SIZE_MAX / sizeof(uint16_t))
        return ligo_set_error(ctx, LIGO_EOVERFLOW, "%s: %s%s%zu bytes is too many tokens", fn, name, sep, n);
    out->data = (uint16_t *)ligo_alloc_persistent(ctx, n * sizeof(uint16_t));
    if (!out->data) return ctx->status;
    for (i = 0; i < n; i++) out->data[i] = p[i];
    out->n = (int64_t)n;
    out->vocab = 256;
    ligo__split_tokens(out);
    return LIGO_OK;
}

LIGO_API ligo_status ligo_tokens_from_bytes(ligo_ctx *ctx, const void *bytes, size_t n, ligo_tokens *out) {
    if (out) memset(out, 0, sizeof *out);
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || (!bytes && n)) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_from_bytes: NULL argument");
    return ligo__tokens_bytes(ctx, "ligo_tokens_from_bytes", NULL, bytes, n, out);
}

LIGO_API ligo_status ligo_tokens_load_text(ligo_ctx *ctx, const char *path, ligo_tokens *out) {
    ligo_mark mk;
    void *buf;
    size_t n;
    if (out) memset(out, 0, sizeof *out);
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_load_text: NULL argument");
    mk = ligo_scratch_mark(ctx);
    if (ligo_read_file(ctx, path, LIGO__MAX_FILE, &buf, &n) != LIGO_OK)
        return ligo__reword(ctx, mk, "ligo_tokens_load_text", NULL);
    if (ligo__tokens_bytes(ctx, "ligo_tokens_load_text", path, buf, n, out) != LIGO_OK) {
        memset(out, 0, sizeof *out);
        ligo_scratch_rewind(ctx, mk);
        return ctx->status;
    }
    ligo_scratch_rewind(ctx, mk);
    return LIGO_OK;
}

/* GPT-2 token file (llm.c's layout):
 *   bytes [0, 1024): 256 little-endian int32; [0] magic 20240520,
 *                    [1] version 1, [2] token count N, the rest unused
 *   bytes [1024, 1024 + 2N): N little-endian uint16 tokens, nothing after.
 * vocab = max(50257, largest id + 1). `name` (the path or NULL) goes into
 * messages. */
static ligo_status ligo__gpt2(ligo_ctx *ctx, const char *fn, const char *name, const void *buf, size_t n,
                              ligo_tokens *out) {
    const unsigned char *p = (const unsigned char *)buf;
    const char *sep = name ? ": " : "";
    uint32_t magic, version, count, maxid = 0;
    size_t body, want, i;
    if (!name) name = "";
    if (n < LIGO__GPT2_HEADER)
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s%s%zu bytes is shorter than the 1024-byte header", fn, name, sep,
                              n);
    magic = ligo__le32(p);
    version = ligo__le32(p + 4);
    count = ligo__le32(p + 8);
    if (magic != LIGO__GPT2_MAGIC)
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s%sbad magic %lu (want %d)", fn, name, sep, (unsigned long)magic,
                              LIGO__GPT2_MAGIC);
    if (version != 1)
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s%sversion %lu (want 1)", fn, name, sep, (unsigned long)version);
    if (count > 0x7fffffffu) /* a negative int32 */
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s%snegative token count %ld", fn, name, sep,
                              (long)((int64_t)count - ((int64_t)1 << 32)));
    body = n - LIGO__GPT2_HEADER;
    if (!ligo__mul_size((size_t)count, 2, &want) || want > body)
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s%struncated: the header says %lu tokens (%lu bytes), %zu bytes follow",
                              fn, name, sep, (unsigned long)count, 2ul * (unsigned long)count, body);
    if (want < body)
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s%s%zu trailing bytes after the %lu tokens the header announces", fn,
                              name, sep, body - want, (unsigned long)count);
    if (count < 2)
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s%s%lu tokens (at least 2)", fn, name, sep, (unsigned long)count);
    out->data = (uint16_t *)ligo_alloc_persistent(ctx, (size_t)count * sizeof(uint16_t));
    if (!out->data) return ctx->status;
    for (i = 0; i < (size_t)count; i++) {
        uint16_t v = ligo__le16(p + LIGO__GPT2_HEADER + 2 * i);
        out->data[i] = v;
        if (v > maxid) maxid = v;
    }
    out->n = (int64_t)count;
    out->vocab = maxid + 1 > LIGO__GPT2_VOCAB ? (int32_t)maxid + 1 : LIGO__GPT2_VOCAB;
    ligo__split_tokens(out);
    return LIGO_OK;
}

LIGO_API ligo_status ligo_tokens_parse_gpt2(ligo_ctx *ctx, const void *buf, size_t n, ligo_tokens *out) {
    if (out) memset(out, 0, sizeof *out);
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || (!buf && n)) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_parse_gpt2: NULL argument");
    return ligo__gpt2(ctx, "ligo_tokens_parse_gpt2", NULL, buf, n, out);
}

LIGO_API ligo_status ligo_tokens_load_gpt2(ligo_ctx *ctx, const char *path, ligo_tokens *out) {
    ligo_mark mk;
    void *buf;
    size_t n;
    if (out) memset(out, 0, sizeof *out);
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_load_gpt2: NULL argument");
    mk = ligo_scratch_mark(ctx);
    if (ligo_read_file(ctx, path, LIGO__MAX_FILE, &buf, &n) != LIGO_OK)
        return ligo__reword(ctx, mk, "ligo_tokens_load_gpt2", NULL);
    if (ligo__gpt2(ctx, "ligo_tokens_load_gpt2", path, buf, n, out) != LIGO_OK) {
        memset(out, 0, sizeof *out);
        ligo_scratch_rewind(ctx, mk);
        return ctx->status;
    }
    ligo_scratch_rewind(ctx, mk);
    return LIGO_OK;
}

/* [lo, hi) of a split; 0 for an unknown split or an inconsistent stream. */
static int ligo__split_range(const ligo_tokens *t, int split, int64_t *lo, int64_t *hi) {
    if (!t || !t->data || t->n < 0 || t->split < 0 || t->split > t->n) return 0;
    if (split != LIGO_SPLIT_TRAIN && split != LIGO_SPLIT_VAL) return 0;
    *lo = split == LIGO_SPLIT_TRAIN ? 0 : t->split;
    *hi = split == LIGO_SPLIT_TRAIN ? t->split : t->n;
    return 1;
}

static const char *ligo__split_name(int split) { return split == LIGO_SPLIT_TRAIN ? "training" : "validation"; }

LIGO_API ligo_status ligo_tokens_batch(ligo_ctx *ctx, const ligo_tokens *tok, int split, ligo_rng *rng, int64_t B,
                                       int64_t T, int32_t *inputs, int32_t *targets) {
    int64_t lo, hi, b, t, bt;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!tok || !rng || !inputs || !targets)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_batch: NULL argument");
    if (!ligo__split_range(tok, split, &lo, &hi))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_batch: split %d is unknown or the stream is empty", split);
    if (B < 1 || T < 1 || !ligo__mul_i64(B, T, &bt))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_batch: B = %lld, T = %lld (each must be >= 1)",
                              (long long)B, (long long)T);
    if (T > hi - lo - 1) /* T + 1 tokens needed, written without overflow */
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_batch: the %s split has %lld tokens, fewer than T + 1 (T = %lld)",
                              ligo__split_name(split), (long long)(hi - lo), (long long)T);
    for (b = 0; b < B; b++) {
        /* starts in [lo, hi - T - 1], uniformly: windows stay inside the split */
        int64_t s = lo + (int64_t)ligo_rng_below(rng, (uint64_t)(hi - lo - T));
        for (t = 0; t < T; t++) {
            inputs[b * T + t] = tok->data[s + t];
            targets[b * T + t] = tok->data[s + t + 1];
        }
    }
    return LIGO_OK;
}

LIGO_API int64_t ligo_tokens_windows(const ligo_tokens *tok, int split, int64_t T) {
    int64_t lo, hi;
    if (T < 1 || !ligo__split_range(tok, split, &lo, &hi) || T > hi - lo - 1) return 0;
    return (hi - lo) / (T + 1);
}

/* Window k covers tokens [lo + k (T + 1), lo + (k + 1)(T + 1)). */
LIGO_API ligo_status ligo_tokens_window(ligo_ctx *ctx, const ligo_tokens *tok, int split, int64_t k, int64_t T,
                                        int32_t *inputs, int32_t *targets) {
    int64_t lo, hi, s, t, nw;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!tok || !inputs || !targets) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_window: NULL argument");
    if (!ligo__split_range(tok, split, &lo, &hi))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_window: split %d is unknown or the stream is empty", split);
    if (T < 1) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_window: T = %lld (must be >= 1)", (long long)T);
    nw = ligo_tokens_windows(tok, split, T);
    if (k < 0 || k >= nw)
        return ligo_set_error(ctx, LIGO_ERANGE, "ligo_tokens_window: window %lld of the %s split, which has %lld of T = %lld",
                              (long long)k, ligo__split_name(split), (long long)nw, (long long)T);
    s = lo + k * (T + 1);
    for (t = 0; t < T; t++) {
        inputs[t] = tok->data[s + t];
        targets[t] = tok->data[s + t + 1];
    }
    return LIGO_OK;
}

/* ------------------------------------------------------------------- MLM */

/* One chosen position: 80% mask_id, 10% a random id, 10% unchanged. */
static int32_t ligo__mlm_corrupt(ligo_rng *rng, int32_t orig, int32_t mask_id, int32_t n_random) {
    float u = ligo_rng_uniform(rng);
    if (u < 0.8f) return mask_id;
    if (u < 0.9f) return (int32_t)ligo_rng_below(rng, (uint64_t)n_random);
    return orig;
}

/* tokens may alias inputs or targets (the trainer passes targets): each
 * original is read before either output is written. */
LIGO_API ligo_status ligo_mlm_mask(ligo_ctx *ctx, ligo_rng *rng, const int32_t *tokens, int64_t n, float prob,
                                   int32_t mask_id, int32_t n_random, int32_t ignore_index, int32_t *inputs,
                                   int32_t *targets) {
    int64_t i, chosen = 0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!rng || !tokens || !inputs || !targets) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_mlm_mask: NULL argument");
    if (n < 1 || n_random < 1 || !(prob >= 0.0f && prob <= 1.0f))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_mlm_mask: n = %lld, n_random = %ld, prob = %g (want n >= 1, n_random >= 1, prob in [0, 1])",
                              (long long)n, (long)n_random, (double)prob);
    for (i = 0; i < n; i++) {
        int32_t orig = tokens[i];
        if (ligo_rng_uniform(rng) < prob) {
            inputs[i] = ligo__mlm_corrupt(rng, orig, mask_id, n_random);
            targets[i] = orig;
            chosen++;
        } else {
            inputs[i] = orig;
            targets[i] = ignore_index;
        }
    }
    if (chosen == 0) { /* a batch must teach something: one position, uniformly */
        int32_t orig;
        i = (int64_t)ligo_rng_below(rng, (uint64_t)n);
        orig = inputs[i]; /* unchanged there */
        inputs[i] = ligo__mlm_corrupt(rng, orig, mask_id, n_random);
        targets[i] = orig;
    }
    return LIGO_OK;
}
