/* data.c: token streams (bytes, GPT-2 token files), MLM masking, IDX
 * images (plain or gzip, with a built-in inflate), deterministic batches,
 * whole-file reads. Every parser checks sizes against its input before it
 * allocates or reads; malformed input is LIGO_EFORMAT, never a crash. */
#include "ligo_internal.h"

#include <errno.h>

/* Caps on outside data (documented in ligo_api.h): files read whole by the
 * loaders, and the decompressed size of one gzip-compressed IDX file. The
 * comparison keeps the 64 GiB constant valid where size_t is 32 bits. */
#define LIGO__MAX_FILE \
    ((uint64_t)SIZE_MAX > ((uint64_t)1 << 36) ? (size_t)((uint64_t)1 << 36) : (size_t)SIZE_MAX)
#define LIGO__MAX_GUNZIP ((size_t)1 << 31) /* 2 GiB */
#define LIGO__GPT2_MAGIC 20240520
#define LIGO__GPT2_HEADER (256 * 4)
#define LIGO__GPT2_VOCAB 50257

/* The first error wins, so a loader that wants its own name and the file's
 * on a callee's error rewrites it: "fn: name: <callee's message>". Scratch
 * memory used since mk is released. */
static ligo_status ligo__reword(ligo_ctx *ctx, ligo_mark mk, const char *fn, const char *name) {
    char why[LIGO__ERRMSG];
    ligo_status s = ctx->status;
    snprintf(why, sizeof why, "%s", ctx->errmsg);
    ligo_clear_error(ctx);
    ligo_scratch_rewind(ctx, mk);
    if (name) return ligo_set_error(ctx, s, "%s: %s: %s", fn, name, why);
    return ligo_set_error(ctx, s, "%s: %s", fn, why);
}

static uint32_t ligo__le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t ligo__be32(const unsigned char *p) {
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

/* ----------------------------------------------------------------- files */

/* A stream without a usable size (a pipe): read in growing steps into a
 * temporary buffer, then copy it into scratch memory. `first` is the byte
 * already read to probe the file. */
static ligo_status ligo__read_stream(ligo_ctx *ctx, FILE *f, const char *path, int first, size_t max_bytes,
                                     void **out, size_t *out_n) {
    unsigned char *tmp = NULL, *res;
    size_t len = 0, cap = 0;
    int c = first;
    while (c != EOF) {
        size_t got;
        if (len >= max_bytes) { /* and a byte c more is waiting */
            LIGO_FREE(tmp, ctx->alloc_user);
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_read_file: %s: more than %zu bytes exceeds the cap", path,
                                  max_bytes);
        }
        if (len == cap) { /* double, up to the cap (len < max_bytes: room for c) */
            size_t ncap = cap ? 2 * cap : 65536;
            unsigned char *p;
            if (ncap < cap || ncap > max_bytes) ncap = max_bytes;
            p = (unsigned char *)LIGO_REALLOC(tmp, ncap, ctx->alloc_user);
            if (!p) {
                LIGO_FREE(tmp, ctx->alloc_user);
                return ligo_set_error(ctx, LIGO_ENOMEM, "ligo_read_file: %s: out of memory after %zu bytes", path, len);
            }
            tmp = p;
            cap = ncap;
        }
        tmp[len++] = (unsigned char)c;
        got = fread(tmp + len, 1, cap - len, f);
        len += got;
        if (ferror(f)) {
            int e = errno;
            LIGO_FREE(tmp, ctx->alloc_user);
            return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(e));
        }
        c = fgetc(f);
    }
    if (ferror(f)) {
        int e = errno;
        LIGO_FREE(tmp, ctx->alloc_user);
        return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(e));
    }
    res = (unsigned char *)ligo_alloc_scratch(ctx, len + 1);
    if (res && len) memcpy(res, tmp, len);
    LIGO_FREE(tmp, ctx->alloc_user);
    if (!res) return ctx->status;
    *out = res;
    *out_n = len;
    return LIGO_OK;
}

LIGO_API ligo_status ligo_read_file(ligo_ctx *ctx, const char *path, size_t max_bytes, void **out, size_t *out_n) {
    FILE *f;
    long size = 0;
    int c, seekable;
    size_t got;
    unsigned char *buf;
    ligo_mark mk;
    if (out) *out = NULL;
    if (out_n) *out_n = 0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out || !out_n) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_read_file: NULL argument");
    errno = 0;
    f = fopen(path, "rb");
    if (!f) return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(errno));
    /* The size first, while nothing is buffered (a failed seek leaves the
     * stream where it was); then one byte, so that a directory fails here
     * (EISDIR) before its meaningless size is used. */
    seekable = fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0;
    if (!seekable) clearerr(f);
    errno = 0;
    c = fgetc(f);
    if (c == EOF && ferror(f)) {
        int e = errno;
        fclose(f);
        return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(e));
    }
    if (!seekable) { /* a pipe or a procfs file */
        ligo_status s = ligo__read_stream(ctx, f, path, c, max_bytes, out, out_n);
        fclose(f);
        return s;
    }
    if (fseek(f, 0, SEEK_SET) != 0) {
        int e = errno;
        fclose(f);
        return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(e));
    }
    if ((unsigned long)size > max_bytes || (unsigned long)size >= (size_t)SIZE_MAX) {
        fclose(f);
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_read_file: %s: %ld bytes exceeds the cap of %zu", path, size,
                              max_bytes);
    }
    mk = ligo_scratch_mark(ctx);
    buf = (unsigned char *)ligo_alloc_scratch(ctx, (size_t)size + 1); /* + 1: never a zero-byte request */
    if (!buf) {
        fclose(f);
        return ctx->status;
    }
    got = fread(buf, 1, (size_t)size, f);
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(e));
    }
    /* Fewer bytes than the size said: the file shrank (or, as in sysfs, the
     * size is a guess); take what is there. More: the size was wrong (procfs
     * says 0) or the file grew; read it again as a stream. */
    if (got == (size_t)size && (c = fgetc(f)) != EOF) {
        ligo_status s;
        ligo_scratch_rewind(ctx, mk);
        if (fseek(f, 0, SEEK_SET) != 0 || ((c = fgetc(f)) == EOF && ferror(f))) {
            int e = errno;
            fclose(f);
            return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(e));
        }
        s = ligo__read_stream(ctx, f, path, c, max_bytes, out, out_n);
        fclose(f);
        return s;
    }
    fclose(f);
    *out = buf;
    *out_n = got;
    return LIGO_OK;
}

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
        const unsigned char *q = p + LIGO__GPT2_HEADER + 2 * i;
        uint16_t v = (uint16_t)(q[0] | q[1] << 8);
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

/* --------------------------------------------------------------- inflate
 * RFC 1951. Bits come LSB first from a 64-bit buffer that is refilled a
 * byte at a time and never reads past the input. Huffman codes are
 * canonical: counts per length and the symbols sorted by code (as zlib's
 * puff), plus a 9-bit lookup table for the common short codes. Every table
 * is checked: over-subscribed codes are refused; incomplete ones only where
 * RFC 1951 allows them (a single code). Output grows in a temporary buffer
 * and stops at the caller's cap. */

#define LIGO__FAST 9 /* bits looked up at once */

typedef struct ligo__inflate {
    const unsigned char *in;
    size_t n, pos;   /* input and the next byte to load */
    uint64_t bits;   /* loaded bits, the next one lowest */
    int nbits;
    unsigned char *out;
    size_t len, cap, max;
    size_t start;    /* where the current gzip member's output starts */
    void *user;
    const char *err; /* first problem, a constant string */
} ligo__inflate;

typedef struct ligo__huff {
    uint16_t fast[1 << LIGO__FAST]; /* next 9 bits -> symbol << 4 | length; 0: not a short code */
    short count[16];                /* codes per length */
    short symbol[288];              /* symbols ordered by code */
} ligo__huff;

static const char ligo__e_trunc[] = "the compressed data is truncated";
static const char ligo__e_cap[] = "the decompressed size exceeds the cap";

static void ligo__inf_refill(ligo__inflate *s) {
    while (s->nbits <= 56 && s->pos < s->n) {
        s->bits |= (uint64_t)s->in[s->pos++] << s->nbits;
        s->nbits += 8;
    }
}

/* need <= 16 bits. */
static int ligo__inf_bits(ligo__inflate *s, int need, int *v) {
    if (s->nbits < need) ligo__inf_refill(s);
    if (s->nbits < need) {
        s->err = ligo__e_trunc;
        return 0;
    }
    *v = (int)(s->bits & ((1u << need) - 1u));
    s->bits >>= need;
    s->nbits -= need;
    return 1;
}

/* Drop the bits up to the next byte boundary and give back the whole
 * bytes loaded ahead, so that pos is the next unread byte. */
static void ligo__inf_align(ligo__inflate *s) {
    s->pos -= (size_t)(s->nbits / 8);
    s->bits = 0;
    s->nbits = 0;
}

/* Room for k more output bytes, within the cap. */
static int ligo__inf_reserve(ligo__inflate *s, size_t k) {
    size_t need, cap;
    unsigned char *p;
    if (k <= s->cap - s->len) return 1;
    if (k > s->max - s->len) {
        s->err = ligo__e_cap;
        return 0;
    }
    need = s->len + k;
    cap = s->cap ? s->cap : 65536;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : 2 * cap;
    if (cap > s->max) cap = s->max;
    p = (unsigned char *)LIGO_REALLOC(s->out, cap, s->user);
    if (!p) {
        s->err = "out of memory for the output";
        return 0;
    }
    s->out = p;
    s->cap = cap;
    return 1;
}

/* Returns 0 for a complete code, > 0 for an incomplete one, < 0 for an
 * over-subscribed one. Lengths are 0..15. */
static int ligo__huff_build(ligo__huff *h, const unsigned char *length, int n) {
    short offs[16];
    int len, sym, left = 1, idx, k;
    unsigned code;
    memset(h->count, 0, sizeof h->count);
    memset(h->fast, 0, sizeof h->fast);
    for (sym = 0; sym < n; sym++) h->count[length[sym]]++;
    if (h->count[0] == n) return 0; /* no codes: decoding anything fails */
    for (len = 1; len < 16; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0) return left;
    }
    offs[1] = 0;
    for (len = 1; len < 15; len++) offs[len + 1] = (short)(offs[len] + h->count[len]);
    for (sym = 0; sym < n; sym++)
        if (length[sym] != 0) h->symbol[offs[length[sym]]++] = (short)sym;
    /* canonical codes in symbol order; short ones go into the table at
     * their bit-reversed position (codes are sent MSB first) */
    code = 0;
    idx = 0;
    for (len = 1; len <= LIGO__FAST; len++) {
        for (k = 0; k < h->count[len]; k++, idx++, code++) {
            unsigned rev = 0, fill;
            int b;
            for (b = 0; b < len; b++) rev |= ((code >> b) & 1u) << (len - 1 - b);
            for (fill = rev; fill < (1u << LIGO__FAST); fill += 1u << len)
                h->fast[fill] = (uint16_t)(h->symbol[idx] << 4 | len);
        }
        code <<= 1;
    }
    return left;
}

/* The next symbol, or -1 with s->err set. */
static int ligo__inf_decode(ligo__inflate *s, const ligo__huff *h) {
    int code = 0, first = 0, index = 0, len;
    unsigned e;
    if (s->nbits < 15) ligo__inf_refill(s);
    e = h->fast[s->bits & ((1u << LIGO__FAST) - 1u)];
    if (e != 0 && (int)(e & 15u) <= s->nbits) {
        s->bits >>= e & 15u;
        s->nbits -= (int)(e & 15u);
        return (int)(e >> 4);
    }
    /* a long code, the end of the input or no code: walk it bit by bit */
    for (len = 1; len < 16; len++) {
        int count = h->count[len];
        if (len > s->nbits) {
            s->err = ligo__e_trunc;
            return -1;
        }
        code |= (int)((s->bits >> (len - 1)) & 1u);
        if (code - count < first) {
            s->bits >>= len;
            s->nbits -= len;
            return h->symbol[index + (code - first)];
        }
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    s->err = "an invalid Huffman code";
    return -1;
}

static const short ligo__lbase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const short ligo__lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const short ligo__dbase[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
                                      193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const short ligo__dext[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

/* Literals and matches of one Huffman block, up to end-of-block. */
static int ligo__inf_codes(ligo__inflate *s, const ligo__huff *lit, const ligo__huff *dist) {
    for (;;) {
        int sym = ligo__inf_decode(s, lit), e, len, d;
        size_t dd, k;
        unsigned char *dst;
        const unsigned char *src;
        if (sym < 0) return 0;
        if (sym < 256) {
            if (!ligo__inf_reserve(s, 1)) return 0;
            s->out[s->len++] = (unsigned char)sym;
            continue;
        }
        if (sym == 256) return 1;
        sym -= 257;
        if (sym >= 29) { /* 286 and 287 exist only in the fixed code */
            s->err = "an invalid length symbol";
            return 0;
        }
        if (!ligo__inf_bits(s, ligo__lext[sym], &e)) return 0;
        len = ligo__lbase[sym] + e;
        sym = ligo__inf_decode(s, dist);
        if (sym < 0) return 0;
        if (sym >= 30) {
            s->err = "an invalid distance symbol";
            return 0;
        }
        if (!ligo__inf_bits(s, ligo__dext[sym], &d)) return 0;
        dd = (size_t)ligo__dbase[sym] + (size_t)d;
        if (dd > s->len - s->start) { /* before this member's first byte */
            s->err = "a distance too far back";
            return 0;
        }
        if (!ligo__inf_reserve(s, (size_t)len)) return 0;
        dst = s->out + s->len;
        src = dst - dd;
        for (k = 0; k < (size_t)len; k++) dst[k] = src[k]; /* may overlap: byte by byte */
        s->len += (size_t)len;
    }
}

/* Stored: to the byte boundary, LEN and NLEN (its complement), LEN bytes. */
static int ligo__inf_stored(ligo__inflate *s) {
    size_t len;
    ligo__inf_align(s);
    if (s->n - s->pos < 4) {
        s->err = ligo__e_trunc;
        return 0;
    }
    len = (size_t)s->in[s->pos] | (size_t)s->in[s->pos + 1] << 8;
    if ((s->in[s->pos + 2] ^ 0xffu) != (len & 0xffu) || (s->in[s->pos + 3] ^ 0xffu) != (len >> 8)) {
        s->err = "a stored block's length does not match its complement";
        return 0;
    }
    s->pos += 4;
    if (s->n - s->pos < len) {
        s->err = ligo__e_trunc;
        return 0;
    }
    if (!ligo__inf_reserve(s, len)) return 0;
    if (len) memcpy(s->out + s->len, s->in + s->pos, len);
    s->len += len;
    s->pos += len;
    return 1;
}

static int ligo__inf_fixed(ligo__inflate *s) {
    ligo__huff lit, dist;
    unsigned char len[288];
    int i;
    for (i = 0; i < 144; i++) len[i] = 8;
    for (; i < 256; i++) len[i] = 9;
    for (; i < 280; i++) len[i] = 7;
    for (; i < 288; i++) len[i] = 8;
    ligo__huff_build(&lit, len, 288);
    for (i = 0; i < 30; i++) len[i] = 5;
    ligo__huff_build(&dist, len, 30);
    return ligo__inf_codes(s, &lit, &dist);
}

/* Incomplete is allowed only for a code of one symbol (RFC 1951 3.2.7). */
static int ligo__huff_ok(int err, const ligo__huff *h, int n) {
    return err == 0 || (err > 0 && n - h->count[0] == 1);
}

static int ligo__inf_dynamic(ligo__inflate *s) {
    static const unsigned char order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    unsigned char len[286 + 30];
    ligo__huff lencode, lit, dist;
    int nlen, ndist, ncode, i, v, err;
    if (!ligo__inf_bits(s, 5, &nlen) || !ligo__inf_bits(s, 5, &ndist) || !ligo__inf_bits(s, 4, &ncode)) return 0;
    nlen += 257;
    ndist += 1;
    ncode += 4;
    if (nlen > 286 || ndist > 30) {
        s->err = "too many length or distance symbols";
        return 0;
    }
    memset(len, 0, sizeof len);
    for (i = 0; i < ncode; i++) {
        if (!ligo__inf_bits(s, 3, &v)) return 0;
        len[order[i]] = (unsigned char)v;
    }
    if (ligo__huff_build(&lencode, len, 19) != 0 || lencode.count[0] == 19) { /* empty is incomplete too */
        s->err = "an incomplete or over-subscribed code-length code";
        return 0;
    }
    /* the literal/length and distance lengths, one sequence (repeats may
     * cross from one to the other) */
    for (i = 0; i < nlen + ndist;) {
        int sym = ligo__inf_decode(s, &lencode), rep;
        unsigned char prev = 0;
        if (sym < 0) return 0;
        if (sym < 16) {
            len[i++] = (unsigned char)sym;
            continue;
        }
        if (sym == 16) {
            if (i == 0) {
                s->err = "a repeated code length with no previous length";
                return 0;
            }
            prev = len[i - 1];
            if (!ligo__inf_bits(s, 2, &rep)) return 0;
            rep += 3;
        } else if (sym == 17) {
            if (!ligo__inf_bits(s, 3, &rep)) return 0;
            rep += 3;
        } else {
            if (!ligo__inf_bits(s, 7, &rep)) return 0;
            rep += 11;
        }
        if (rep > nlen + ndist - i) {
            s->err = "code lengths run past their count";
            return 0;
        }
        while (rep--) len[i++] = prev;
    }
    if (len[256] == 0) {
        s->err = "no end-of-block code";
        return 0;
    }
    err = ligo__huff_build(&lit, len, nlen);
    if (!ligo__huff_ok(err, &lit, nlen)) {
        s->err = "an incomplete or over-subscribed literal/length code";
        return 0;
    }
    err = ligo__huff_build(&dist, len + nlen, ndist);
    if (!ligo__huff_ok(err, &dist, ndist)) {
        s->err = "an incomplete or over-subscribed distance code";
        return 0;
    }
    return ligo__inf_codes(s, &lit, &dist);
}

/* Blocks until the last one; pos ends on the byte after the stream. Every
 * block consumes input, so this ends. */
static int ligo__inf_run(ligo__inflate *s) {
    int last, type;
    do {
        if (!ligo__inf_bits(s, 1, &last) || !ligo__inf_bits(s, 2, &type)) return 0;
        if (type == 0) {
            if (!ligo__inf_stored(s)) return 0;
        } else if (type == 1) {
            if (!ligo__inf_fixed(s)) return 0;
        } else if (type == 2) {
            if (!ligo__inf_dynamic(s)) return 0;
        } else {
            s->err = "an invalid block type (3)";
            return 0;
        }
    } while (!last);
    ligo__inf_align(s);
    return 1;
}

/* CRC-32 (IEEE, reflected, as gzip) with a table built by the caller. */
static void ligo__crc_table(uint32_t *table) {
    uint32_t k;
    for (k = 0; k < 256; k++) {
        uint32_t v = k;
        int j;
        for (j = 0; j < 8; j++) v = (v & 1u) ? 0xedb88320u ^ (v >> 1) : v >> 1;
        table[k] = v;
    }
}

static uint32_t ligo__crc32(const uint32_t *table, const unsigned char *p, size_t n) {
    uint32_t c = 0xffffffffu;
    size_t i;
    for (i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xffu] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* The end of a zero-terminated header field starting at pos, or 0. */
static size_t ligo__gz_cstr(const unsigned char *p, size_t n, size_t pos) {
    const void *z = pos < n ? memchr(p + pos, 0, n - pos) : NULL;
    return z ? (size_t)((const unsigned char *)z - p) + 1 : 0;
}

/* One gzip member (RFC 1952) at s->pos:
 *   1f 8b, CM = 8, FLG, MTIME (4), XFL, OS;
 *   FEXTRA: XLEN (2, LE) and XLEN bytes; FNAME, FCOMMENT: zero-terminated;
 *   FHCRC: the low 16 bits of the CRC-32 of the header so far;
 *   deflate data; CRC-32 and ISIZE (size mod 2^32) of the member's output. */
static int ligo__gz_member(ligo__inflate *s, const uint32_t *crc) {
    const unsigned char *p = s->in;
    size_t n = s->n, h = s->pos, pos;
    int flg;
    if (n - h < 10) {
        s->err = "the gzip header is truncated";
        return 0;
    }
    if (p[h] != 0x1f || p[h + 1] != 0x8b) {
        s->err = "bad magic (not gzip data: want 1f 8b)";
        return 0;
    }
    if (p[h + 2] != 8) {
        s->err = "an unknown compression method (want 8, deflate)";
        return 0;
    }
    flg = p[h + 3];
    if (flg & 0xe0) {
        s->err = "reserved gzip header flags are set";
        return 0;
    }
    pos = h + 10;
    if (flg & 4) { /* FEXTRA */
        size_t xlen;
        if (n - pos < 2) {
            s->err = "the gzip header is truncated (extra field)";
            return 0;
        }
        xlen = (size_t)p[pos] | (size_t)p[pos + 1] << 8;
        if (n - pos - 2 < xlen) {
            s->err = "the gzip header is truncated (extra field)";
            return 0;
        }
        pos += 2 + xlen;
    }
    if (flg & 8) { /* FNAME */
        pos = ligo__gz_cstr(p, n, pos);
        if (!pos) {
            s->err = "the gzip header is truncated (file name)";
            return 0;
        }
    }
    if (flg & 16) { /* FCOMMENT */
        pos = ligo__gz_cstr(p, n, pos);
        if (!pos) {
            s->err = "the gzip header is truncated (comment)";
            return 0;
        }
    }
    if (flg & 2) { /* FHCRC */
        if (n - pos < 2) {
            s->err = "the gzip header is truncated (header CRC)";
            return 0;
        }
        if (((uint32_t)p[pos] | (uint32_t)p[pos + 1] << 8) != (ligo__crc32(crc, p + h, pos - h) & 0xffffu)) {
            s->err = "a header CRC mismatch";
            return 0;
        }
        pos += 2;
    }
    s->pos = pos;
    s->bits = 0;
    s->nbits = 0;
    s->start = s->len;
    if (!ligo__inf_run(s)) return 0;
    if (s->n - s->pos < 8) {
        s->err = "the gzip trailer is truncated";
        return 0;
    }
    if (ligo__le32(p + s->pos) != ligo__crc32(crc, s->out ? s->out + s->start : p, s->len - s->start)) {
        s->err = "a CRC-32 mismatch (corrupt data)";
        return 0;
    }
    if (ligo__le32(p + s->pos + 4) != (uint32_t)((s->len - s->start) & 0xffffffffu)) {
        s->err = "a size mismatch (ISIZE)";
        return 0;
    }
    s->pos += 8;
    return 1;
}

/* Every member, concatenated (as gzip -d does); bytes after the last
 * member that do not start another member are an error. */
LIGO_API ligo_status ligo_gunzip(ligo_ctx *ctx, const void *in, size_t n, size_t max_out, void **out, size_t *out_n) {
    ligo__inflate s;
    uint32_t crc[256];
    unsigned char *res;
    int member = 0;
    if (out) *out = NULL;
    if (out_n) *out_n = 0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || !out_n || (!in && n)) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_gunzip: NULL argument");
    memset(&s, 0, sizeof s);
    s.in = (const unsigned char *)in;
    s.n = n;
    s.max = max_out;
    s.user = ctx->alloc_user;
    ligo__crc_table(crc);
    do {
        member++;
    } while (ligo__gz_member(&s, crc) && s.pos < n);
    if (s.err) {
        LIGO_FREE(s.out, s.user);
        if (s.err == ligo__e_cap)
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_gunzip: %s of %zu bytes (member %d)", s.err, max_out, member);
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_gunzip: %s (member %d, input byte %zu of %zu)", s.err, member,
                              s.pos, n);
    }
    res = (unsigned char *)ligo_alloc_scratch(ctx, s.len + 1);
    if (res && s.len) memcpy(res, s.out, s.len);
    LIGO_FREE(s.out, s.user);
    if (!res) return ctx->status;
    *out = res;
    *out_n = s.len;
    return LIGO_OK;
}

/* ------------------------------------------------------------------- IDX */

/* The bytes of an IDX file, gunzipped (into scratch) when they start with
 * 1f 8b. */
static ligo_status ligo__idx_bytes(ligo_ctx *ctx, const void *buf, size_t n, const unsigned char **p, size_t *pn) {
    const unsigned char *b = (const unsigned char *)buf;
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
        void *o;
        if (ligo_gunzip(ctx, buf, n, LIGO__MAX_GUNZIP, &o, pn) != LIGO_OK) return ctx->status;
        *p = (const unsigned char *)o;
        return LIGO_OK;
    }
    *p = b;
    *pn = n;
    return LIGO_OK;
}

/* IDX (big-endian header, uint8 data):
 *   images: magic 0x00000803, n, rows, cols, then n * rows * cols bytes
 *   labels: magic 0x00000801, n, then n bytes
 * Counts must agree and the sizes match exactly (no trailing bytes). `iname`
 * and `lname` name the two inputs in messages. On failure *out is empty
 * and no scratch memory is kept. */
static ligo_status ligo__idx(ligo_ctx *ctx, const char *fn, const char *iname, const char *lname, const void *img,
                             size_t img_n, const void *lbl, size_t lbl_n, ligo_images *out) {
    const unsigned char *ip = NULL, *lp = NULL;
    size_t in_ = 0, ln_ = 0, i, total, bytes;
    uint32_t magic, n, rows, cols, nl;
    uint64_t px, body;
    ligo_mark mk = ligo_scratch_mark(ctx);
    int32_t maxl = 0;
    float scale[256];
    if (ligo__idx_bytes(ctx, img, img_n, &ip, &in_) != LIGO_OK) return ligo__reword(ctx, mk, fn, iname);
    if (ligo__idx_bytes(ctx, lbl, lbl_n, &lp, &ln_) != LIGO_OK) return ligo__reword(ctx, mk, fn, lname);
    /* the magic first: it tells a swapped pair apart from a short file */
    if (in_ >= 4 && (magic = ligo__be32(ip)) != 0x803) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: bad magic 0x%08lx (want 0x00000803, IDX uint8 images)", fn,
                              iname, (unsigned long)magic);
    }
    if (ln_ >= 4 && (magic = ligo__be32(lp)) != 0x801) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: bad magic 0x%08lx (want 0x00000801, IDX uint8 labels)", fn,
                              lname, (unsigned long)magic);
    }
    if (in_ < 16) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %zu bytes is shorter than the 16-byte IDX image header", fn,
                              iname, in_);
    }
    if (ln_ < 8) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %zu bytes is shorter than the 8-byte IDX label header", fn,
                              lname, ln_);
    }
    n = ligo__be32(ip + 4);
    rows = ligo__be32(ip + 8);
    cols = ligo__be32(ip + 12);
    nl = ligo__be32(lp + 4);
    /* each factor < 2^32: rows * cols fits in 64 bits; n * px is checked
     * against the data by division */
    px = (uint64_t)rows * cols;
    body = (uint64_t)(in_ - 16);
    if (n == 0 || px == 0) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %lu images of %lux%lu (none or an empty dimension)", fn, iname,
                              (unsigned long)n, (unsigned long)rows, (unsigned long)cols);
    }
    if (px > body || n > body / px) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: truncated: %lu images of %lux%lu need more than the %llu bytes present",
                              fn, iname, (unsigned long)n, (unsigned long)rows, (unsigned long)cols, (unsigned long long)body);
    }
    if ((uint64_t)n * px != body) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %llu trailing bytes after %lu images of %lux%lu", fn, iname,
                              (unsigned long long)(body - (uint64_t)n * px), (unsigned long)n, (unsigned long)rows,
                              (unsigned long)cols);
    }
    if (nl != n) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %lu labels for %lu images", fn, lname, (unsigned long)nl,
                              (unsigned long)n);
    }
    if ((uint64_t)(ln_ - 8) != (uint64_t)n) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: the header says %lu labels, %zu bytes follow", fn, lname,
                              (unsigned long)n, ln_ - 8);
    }
    total = (size_t)body; /* == in_ - 16, a size_t */
    if (!ligo__mul_size(total, sizeof(float), &bytes)) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EOVERFLOW, "%s: %s: %zu pixels overflow the address space", fn, iname, total);
    }
    out->pixels = (float *)ligo_alloc_persistent(ctx, bytes);
    out->labels = (int32_t *)ligo_alloc_persistent(ctx, (size_t)n * sizeof(int32_t));
    if (!out->pixels || !out->labels) {
        memset(out, 0, sizeof *out);
        ligo_scratch_rewind(ctx, mk);
        return ctx->status;
    }
    for (i = 0; i < 256; i++) scale[i] = (float)i / 255.0f; /* divided: 255 -> exactly 1 */
    for (i = 0; i < total; i++) out->pixels[i] = scale[ip[16 + i]];
    for (i = 0; i < (size_t)n; i++) {
        out->labels[i] = lp[8 + i];
        if (out->labels[i] > maxl) maxl = out->labels[i];
    }
    out->n = n;
    out->rows = rows;
    out->cols = cols;
    out->n_classes = maxl + 1;
    ligo_scratch_rewind(ctx, mk);
    return LIGO_OK;
}

LIGO_API ligo_status ligo_images_parse_idx(ligo_ctx *ctx, const void *img, size_t img_n, const void *lbl, size_t lbl_n,
                                           ligo_images *out) {
    if (out) memset(out, 0, sizeof *out);
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || (!img && img_n) || (!lbl && lbl_n))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_parse_idx: NULL argument");
    return ligo__idx(ctx, "ligo_images_parse_idx", "images", "labels", img, img_n, lbl, lbl_n, out);
}

LIGO_API ligo_status ligo_images_load_idx(ligo_ctx *ctx, const char *images_path, const char *labels_path,
                                          ligo_images *out) {
    ligo_mark mk;
    void *a, *b;
    size_t an, bn;
    ligo_status s;
    if (out) memset(out, 0, sizeof *out);
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!images_path || !labels_path || !out)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_load_idx: NULL argument");
    mk = ligo_scratch_mark(ctx);
    if (ligo_read_file(ctx, images_path, LIGO__MAX_FILE, &a, &an) != LIGO_OK ||
        ligo_read_file(ctx, labels_path, LIGO__MAX_FILE, &b, &bn) != LIGO_OK)
        return ligo__reword(ctx, mk, "ligo_images_load_idx", NULL);
    s = ligo__idx(ctx, "ligo_images_load_idx", images_path, labels_path, a, an, b, bn, out);
    ligo_scratch_rewind(ctx, mk);
    return s;
}

LIGO_API ligo_status ligo_images_batch(ligo_ctx *ctx, const ligo_images *im, ligo_rng *rng, int64_t B, float *x,
                                       int32_t *y) {
    int64_t b, px, total;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!im || !im->pixels || !im->labels || !rng || !x || !y)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_batch: NULL argument");
    if (im->n < 1 || im->rows < 1 || im->cols < 1 || !ligo__mul_i64(im->rows, im->cols, &px))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_batch: an empty image set (%lld images of %lldx%lld)",
                              (long long)im->n, (long long)im->rows, (long long)im->cols);
    if (B < 1 || !ligo__mul_i64(B, px, &total) || (uint64_t)total > SIZE_MAX / sizeof(float))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_batch: B = %lld (must be >= 1 and fit in memory)",
                              (long long)B);
    for (b = 0; b < B; b++) {
        int64_t k = (int64_t)ligo_rng_below(rng, (uint64_t)im->n);
        memcpy(x + b * px, im->pixels + k * px, (size_t)px * sizeof(float));
        y[b] = im->labels[k];
    }
    return LIGO_OK;
}
