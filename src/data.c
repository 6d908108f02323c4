/* data.c: token streams (bytes, GPT-2 token files), MLM masking, IDX
 * images (plain or gzip, with a built-in inflate), deterministic batches.
 * Every parser checks sizes against the input before it allocates. */
#include "ligo_internal.h"

#include <errno.h>

/* Caps on outside data (documented in the header). */
#define LIGO__MAX_FILE ((size_t)1 << 36)      /* 64 GiB */
#define LIGO__MAX_GUNZIP ((size_t)1 << 31)    /* 2 GiB decompressed */
#define LIGO__GPT2_MAGIC 20240520
#define LIGO__GPT2_HEADER (256 * 4)

/* ------------------------------------------------------------ files */

LIGO_API ligo_status ligo_read_file(ligo_ctx *ctx, const char *path, size_t max_bytes, void **out, size_t *out_n) {
    FILE *f;
    long size;
    unsigned char *buf;
    if (out) *out = NULL;
    if (out_n) *out_n = 0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out || !out_n) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_read_file: NULL argument");
    f = fopen(path, "rb");
    if (!f) return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: cannot determine the size (not a regular file?)", path);
    }
    if ((size_t)size > max_bytes) {
        fclose(f);
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_read_file: %s: %ld bytes exceeds the cap of %zu", path, size,
                              max_bytes);
    }
    buf = (unsigned char *)ligo_alloc_scratch(ctx, (size_t)size + 1);
    if (!buf) {
        fclose(f);
        return ctx->status;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: short read", path);
    }
    fclose(f);
    *out = buf;
    *out_n = (size_t)size;
    return LIGO_OK;
}

/* ----------------------------------------------------------- tokens */

static void ligo__split_tokens(ligo_tokens *t) { t->split = t->n - t->n / 10; }

LIGO_API ligo_status ligo_tokens_from_bytes(ligo_ctx *ctx, const void *bytes, size_t n, ligo_tokens *out) {
    const unsigned char *p = (const unsigned char *)bytes;
    size_t i;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || (!bytes && n)) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_from_bytes: NULL argument");
    memset(out, 0, sizeof *out);
    if (n < 2) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_from_bytes: %zu bytes is too little text", n);
    out->data = (uint16_t *)ligo_alloc_persistent(ctx, n * sizeof(uint16_t));
    if (!out->data) return ctx->status;
    for (i = 0; i < n; i++) out->data[i] = p[i];
    out->n = (int64_t)n;
    out->vocab = 256;
    ligo__split_tokens(out);
    return LIGO_OK;
}

LIGO_API ligo_status ligo_tokens_load_text(ligo_ctx *ctx, const char *path, ligo_tokens *out) {
    ligo_mark mk;
    void *buf;
    size_t n;
    ligo_status s;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    mk = ligo_scratch_mark(ctx);
    if (ligo_read_file(ctx, path, LIGO__MAX_FILE, &buf, &n) != LIGO_OK) return ctx->status;
    s = ligo_tokens_from_bytes(ctx, buf, n, out);
    ligo_scratch_rewind(ctx, mk);
    return s;
}

static uint32_t ligo__le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint32_t ligo__be32(const unsigned char *p) {
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

/* Header: 256 little-endian int32: [0] magic 20240520, [1] version 1,
 * [2] token count; then the tokens as little-endian uint16. */
LIGO_API ligo_status ligo_tokens_parse_gpt2(ligo_ctx *ctx, const void *buf, size_t n, ligo_tokens *out) {
    const unsigned char *p = (const unsigned char *)buf;
    uint32_t magic, version, count, maxid = 0;
    int64_t i;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || (!buf && n)) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_parse_gpt2: NULL argument");
    memset(out, 0, sizeof *out);
    if (n < LIGO__GPT2_HEADER)
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_tokens_parse_gpt2: %zu bytes is shorter than the 1024-byte header", n);
    magic = ligo__le32(p);
    version = ligo__le32(p + 4);
    count = ligo__le32(p + 8);
    if (magic != LIGO__GPT2_MAGIC)
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_tokens_parse_gpt2: bad magic %lu (want %d)", (unsigned long)magic,
                              LIGO__GPT2_MAGIC);
    if (version != 1)
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_tokens_parse_gpt2: version %lu (ligo reads 1)", (unsigned long)version);
    if (count > 0x7fffffffu || (size_t)count * 2 != n - LIGO__GPT2_HEADER)
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_tokens_parse_gpt2: the header says %lu tokens, the data holds %zu bytes",
                              (unsigned long)count, n - LIGO__GPT2_HEADER);
    if (count < 2) return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_tokens_parse_gpt2: %lu tokens", (unsigned long)count);
    out->data = (uint16_t *)ligo_alloc_persistent(ctx, (size_t)count * sizeof(uint16_t));
    if (!out->data) return ctx->status;
    for (i = 0; i < (int64_t)count; i++) {
        const unsigned char *q = p + LIGO__GPT2_HEADER + 2 * i;
        out->data[i] = (uint16_t)(q[0] | q[1] << 8);
        if (out->data[i] > maxid) maxid = out->data[i];
    }
    out->n = (int64_t)count;
    out->vocab = maxid + 1 > 50257 ? (int32_t)maxid + 1 : 50257;
    ligo__split_tokens(out);
    return LIGO_OK;
}

LIGO_API ligo_status ligo_tokens_load_gpt2(ligo_ctx *ctx, const char *path, ligo_tokens *out) {
    ligo_mark mk;
    void *buf;
    size_t n;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    mk = ligo_scratch_mark(ctx);
    if (ligo_read_file(ctx, path, LIGO__MAX_FILE, &buf, &n) != LIGO_OK) return ctx->status;
    if (ligo_tokens_parse_gpt2(ctx, buf, n, out) != LIGO_OK) {
        char why[LIGO__ERRMSG];
        ligo_status s = ctx->status;
        snprintf(why, sizeof why, "%s", ctx->errmsg);
        ligo_clear_error(ctx);
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, s, "%s (%s)", why, path);
    }
    ligo_scratch_rewind(ctx, mk);
    return LIGO_OK;
}

static int ligo__split_range(const ligo_tokens *t, int split, int64_t *lo, int64_t *hi) {
    if (!t || !t->data || (split != LIGO_SPLIT_TRAIN && split != LIGO_SPLIT_VAL)) return 0;
    *lo = split == LIGO_SPLIT_TRAIN ? 0 : t->split;
    *hi = split == LIGO_SPLIT_TRAIN ? t->split : t->n;
    return 1;
}

LIGO_API ligo_status ligo_tokens_batch(ligo_ctx *ctx, const ligo_tokens *tok, int split, ligo_rng *rng, int64_t B,
                                       int64_t T, int32_t *inputs, int32_t *targets) {
    int64_t lo, hi, b, t;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!ligo__split_range(tok, split, &lo, &hi) || !rng || !inputs || !targets)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_batch: NULL argument or unknown split");
    if (B < 1 || T < 1) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_batch: B = %lld, T = %lld", (long long)B, (long long)T);
    if (hi - lo < T + 1)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_batch: the %s split has %lld tokens, a window needs %lld",
                              split == LIGO_SPLIT_TRAIN ? "training" : "validation", (long long)(hi - lo), (long long)T + 1);
    for (b = 0; b < B; b++) {
        /* starts in [lo, hi - T - 1]: windows stay inside the split */
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
    if (T < 1 || !ligo__split_range(tok, split, &lo, &hi)) return 0;
    return (hi - lo) / (T + 1);
}

LIGO_API ligo_status ligo_tokens_window(ligo_ctx *ctx, const ligo_tokens *tok, int split, int64_t k, int64_t T,
                                        int32_t *inputs, int32_t *targets) {
    int64_t lo, hi, s, t;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!ligo__split_range(tok, split, &lo, &hi) || !inputs || !targets || T < 1)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_window: NULL argument, unknown split or T < 1");
    if (k < 0 || k >= ligo_tokens_windows(tok, split, T))
        return ligo_set_error(ctx, LIGO_ERANGE, "ligo_tokens_window: window %lld of %lld", (long long)k,
                              (long long)ligo_tokens_windows(tok, split, T));
    s = lo + k * (T + 1);
    for (t = 0; t < T; t++) {
        inputs[t] = tok->data[s + t];
        targets[t] = tok->data[s + t + 1];
    }
    return LIGO_OK;
}

LIGO_API ligo_status ligo_mlm_mask(ligo_ctx *ctx, ligo_rng *rng, const int32_t *tokens, int64_t n, float prob,
                                   int32_t mask_id, int32_t n_random, int32_t ignore_index, int32_t *inputs,
                                   int32_t *targets) {
    int64_t i, chosen = 0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!rng || !tokens || !inputs || !targets || n < 1 || n_random < 1 || !(prob >= 0.0f && prob <= 1.0f))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_mlm_mask: NULL buffer, n < 1, n_random < 1 or prob outside [0, 1]");
    /* tokens may alias targets: read each before writing */
    for (i = 0; i < n; i++) {
        int32_t orig = tokens[i];
        if (ligo_rng_uniform(rng) < prob) {
            float u = ligo_rng_uniform(rng);
            inputs[i] = u < 0.8f ? mask_id : u < 0.9f ? (int32_t)ligo_rng_below(rng, (uint64_t)n_random) : orig;
            targets[i] = orig;
            chosen++;
        } else {
            inputs[i] = orig;
            targets[i] = ignore_index;
        }
    }
    if (chosen == 0) { /* a batch must teach something */
        i = (int64_t)ligo_rng_below(rng, (uint64_t)n);
        targets[i] = inputs[i];
        inputs[i] = mask_id;
    }
    return LIGO_OK;
}

/* ---------------------------------------------------------- inflate
 * RFC 1951, decoded the canonical-Huffman way (counts per length and
 * symbols sorted by code), bit by bit from a bounds-checked reader. */

typedef struct ligo__inflate {
    const unsigned char *in;
    size_t n, pos;
    uint32_t bits;
    int nbits;
    unsigned char *out;
    size_t len, cap, max;
    void *user;
    const char *err;
} ligo__inflate;

typedef struct ligo__huff {
    short count[16];
    short symbol[288];
} ligo__huff;

static int ligo__getbits(ligo__inflate *s, int need, int *v) {
    uint32_t b = s->bits;
    while (s->nbits < need) {
        if (s->pos >= s->n) {
            s->err = "the compressed stream is truncated";
            return 0;
        }
        b |= (uint32_t)s->in[s->pos++] << s->nbits;
        s->nbits += 8;
    }
    s->bits = b >> need;
    s->nbits -= need;
    *v = (int)(b & ((1u << need) - 1u));
    return 1;
}

static int ligo__put(ligo__inflate *s, unsigned char c) {
    if (s->len == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 65536;
        unsigned char *p;
        if (cap > s->max) cap = s->max;
        if (s->len >= cap) {
            s->err = "the decompressed size exceeds the cap";
            return 0;
        }
        p = (unsigned char *)LIGO_REALLOC(s->out, cap, s->user);
        if (!p) {
            s->err = "out of memory";
            return 0;
        }
        s->out = p;
        s->cap = cap;
    }
    s->out[s->len++] = c;
    return 1;
}

/* Returns 0 for a complete code, > 0 incomplete, < 0 over-subscribed. */
static int ligo__huff_build(ligo__huff *h, const short *length, int n) {
    short offs[16];
    int len, sym, left = 1;
    memset(h->count, 0, sizeof h->count);
    for (sym = 0; sym < n; sym++) h->count[length[sym]]++;
    if (h->count[0] == n) return 0;
    for (len = 1; len < 16; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0) return left;
    }
    offs[1] = 0;
    for (len = 1; len < 15; len++) offs[len + 1] = (short)(offs[len] + h->count[len]);
    for (sym = 0; sym < n; sym++)
        if (length[sym] != 0) h->symbol[offs[length[sym]]++] = (short)sym;
    return left;
}

static int ligo__decode(ligo__inflate *s, const ligo__huff *h) {
    int code = 0, first = 0, index = 0, len, bit;
    for (len = 1; len < 16; len++) {
        int count;
        if (!ligo__getbits(s, 1, &bit)) return -1;
        code |= bit;
        count = h->count[len];
        if (code - count < first) return h->symbol[index + (code - first)];
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    s->err = "an invalid Huffman code";
    return -1;
}

static const short ligo__lbase[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                      35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const short ligo__lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const short ligo__dbase[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129,
                                      193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const short ligo__dext[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

static int ligo__codes(ligo__inflate *s, const ligo__huff *lit, const ligo__huff *dist) {
    for (;;) {
        int sym = ligo__decode(s, lit), e, len, d;
        size_t dd, k;
        if (sym < 0) return 0;
        if (sym < 256) {
            if (!ligo__put(s, (unsigned char)sym)) return 0;
            continue;
        }
        if (sym == 256) return 1;
        sym -= 257;
        if (sym >= 29) {
            s->err = "an invalid length code";
            return 0;
        }
        if (!ligo__getbits(s, ligo__lext[sym], &e)) return 0;
        len = ligo__lbase[sym] + e;
        sym = ligo__decode(s, dist);
        if (sym < 0) return 0;
        if (sym >= 30) {
            s->err = "an invalid distance code";
            return 0;
        }
        if (!ligo__getbits(s, ligo__dext[sym], &d)) return 0;
        dd = (size_t)(ligo__dbase[sym] + d);
        if (dd > s->len) {
            s->err = "a distance too far back";
            return 0;
        }
        for (k = 0; k < (size_t)len; k++)
            if (!ligo__put(s, s->out[s->len - dd])) return 0;
    }
}

static int ligo__stored(ligo__inflate *s) {
    size_t len, k;
    s->bits = 0; /* to the byte boundary */
    s->nbits = 0;
    if (s->pos + 4 > s->n) {
        s->err = "a stored block is truncated";
        return 0;
    }
    len = (size_t)s->in[s->pos] | (size_t)s->in[s->pos + 1] << 8;
    if ((s->in[s->pos + 2] ^ 0xff) != (len & 0xff) || (s->in[s->pos + 3] ^ 0xff) != (len >> 8)) {
        s->err = "a stored block's length check fails";
        return 0;
    }
    s->pos += 4;
    if (s->pos + len > s->n) {
        s->err = "a stored block is truncated";
        return 0;
    }
    for (k = 0; k < len; k++)
        if (!ligo__put(s, s->in[s->pos + k])) return 0;
    s->pos += len;
    return 1;
}

static int ligo__fixed(ligo__inflate *s) {
    ligo__huff lit, dist;
    short len[288];
    int i;
    for (i = 0; i < 144; i++) len[i] = 8;
    for (; i < 256; i++) len[i] = 9;
    for (; i < 280; i++) len[i] = 7;
    for (; i < 288; i++) len[i] = 8;
    ligo__huff_build(&lit, len, 288);
    for (i = 0; i < 30; i++) len[i] = 5;
    ligo__huff_build(&dist, len, 30);
    return ligo__codes(s, &lit, &dist);
}

static int ligo__dynamic(ligo__inflate *s) {
    static const short order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    short len[320];
    ligo__huff lencode, lit, dist;
    int nlen, ndist, ncode, i, v, err;
    if (!ligo__getbits(s, 5, &nlen) || !ligo__getbits(s, 5, &ndist) || !ligo__getbits(s, 4, &ncode)) return 0;
    nlen += 257;
    ndist += 1;
    ncode += 4;
    if (nlen > 286 || ndist > 30) {
        s->err = "too many length or distance codes";
        return 0;
    }
    memset(len, 0, sizeof len);
    for (i = 0; i < ncode; i++) {
        if (!ligo__getbits(s, 3, &v)) return 0;
        len[order[i]] = (short)v;
    }
    if (ligo__huff_build(&lencode, len, 19) != 0) {
        s->err = "an incomplete or over-subscribed code-length code";
        return 0;
    }
    for (i = 0; i < nlen + ndist;) {
        int sym = ligo__decode(s, &lencode), rep, prev = 0;
        if (sym < 0) return 0;
        if (sym < 16) {
            len[i++] = (short)sym;
            continue;
        }
        if (sym == 16) {
            if (i == 0) {
                s->err = "a repeat with no previous length";
                return 0;
            }
            prev = len[i - 1];
            if (!ligo__getbits(s, 2, &rep)) return 0;
            rep += 3;
        } else if (sym == 17) {
            if (!ligo__getbits(s, 3, &rep)) return 0;
            rep += 3;
        } else {
            if (!ligo__getbits(s, 7, &rep)) return 0;
            rep += 11;
        }
        if (i + rep > nlen + ndist) {
            s->err = "code lengths run past their count";
            return 0;
        }
        while (rep--) len[i++] = (short)prev;
    }
    if (len[256] == 0) {
        s->err = "no end-of-block code";
        return 0;
    }
    err = ligo__huff_build(&lit, len, nlen);
    if (err < 0 || (err > 0 && nlen - lit.count[0] != 1)) {
        s->err = "an incomplete or over-subscribed literal/length code";
        return 0;
    }
    err = ligo__huff_build(&dist, len + nlen, ndist);
    if (err < 0 || (err > 0 && ndist - dist.count[0] != 1)) {
        s->err = "an incomplete or over-subscribed distance code";
        return 0;
    }
    return ligo__codes(s, &lit, &dist);
}

static int ligo__inflate_run(ligo__inflate *s) {
    int last, type;
    do {
        if (!ligo__getbits(s, 1, &last) || !ligo__getbits(s, 2, &type)) return 0;
        if (type == 0) {
            if (!ligo__stored(s)) return 0;
        } else if (type == 1) {
            if (!ligo__fixed(s)) return 0;
        } else if (type == 2) {
            if (!ligo__dynamic(s)) return 0;
        } else {
            s->err = "an invalid block type";
            return 0;
        }
    } while (!last);
    s->bits = 0; /* the trailer starts at the next byte */
    s->nbits = 0;
    return 1;
}

static uint32_t ligo__crc32(const unsigned char *p, size_t n) {
    uint32_t table[256], c = 0xffffffffu;
    uint32_t k;
    size_t i;
    for (k = 0; k < 256; k++) {
        uint32_t v = k;
        int j;
        for (j = 0; j < 8; j++) v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
        table[k] = v;
    }
    for (i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* gzip members, one after another (RFC 1952), each header, deflate data,
 * CRC-32 and size checked; all members are decoded and concatenated. */
LIGO_API ligo_status ligo_gunzip(ligo_ctx *ctx, const void *in, size_t n, size_t max_out, void **out, size_t *out_n) {
    ligo__inflate s;
    const unsigned char *p = (const unsigned char *)in;
    unsigned char *res;
    if (out) *out = NULL;
    if (out_n) *out_n = 0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || !out_n || (!in && n)) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_gunzip: NULL argument");
    memset(&s, 0, sizeof s);
    s.in = p;
    s.n = n;
    s.max = max_out;
    s.user = ctx->alloc_user;
    do {
        size_t start = s.len;
        int flg;
        if (s.pos + 10 > n || p[s.pos] != 0x1f || p[s.pos + 1] != 0x8b) {
            s.err = "not gzip data (bad magic or truncated header)";
            break;
        }
        if (p[s.pos + 2] != 8) {
            s.err = "an unknown compression method";
            break;
        }
        flg = p[s.pos + 3];
        if (flg & 0xe0) {
            s.err = "reserved header flags are set";
            break;
        }
        s.pos += 10;
        if (flg & 4) { /* FEXTRA */
            size_t xlen;
            if (s.pos + 2 > n) {
                s.err = "a truncated extra field";
                break;
            }
            xlen = (size_t)p[s.pos] | (size_t)p[s.pos + 1] << 8;
            if (s.pos + 2 + xlen > n) {
                s.err = "a truncated extra field";
                break;
            }
            s.pos += 2 + xlen;
        }
        if (flg & 8) { /* FNAME */
            while (s.pos < n && p[s.pos]) s.pos++;
            s.pos++;
        }
        if (flg & 16) { /* FCOMMENT */
            while (s.pos < n && p[s.pos]) s.pos++;
            s.pos++;
        }
        if (flg & 2) s.pos += 2; /* FHCRC */
        if (s.pos >= n) {
            s.err = "a truncated header";
            break;
        }
        s.bits = 0;
        s.nbits = 0;
        if (!ligo__inflate_run(&s)) break;
        if (s.pos + 8 > n) {
            s.err = "a truncated trailer";
            break;
        }
        if (ligo__le32(p + s.pos) != ligo__crc32(s.out ? s.out + start : p, s.len - start)) {
            s.err = "a CRC-32 mismatch";
            break;
        }
        if (ligo__le32(p + s.pos + 4) != (uint32_t)((s.len - start) & 0xffffffffu)) {
            s.err = "a size mismatch";
            break;
        }
        s.pos += 8;
    } while (s.pos < n);
    if (s.err) {
        LIGO_FREE(s.out, s.user);
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_gunzip: %s (at byte %zu)", s.err, s.pos);
    }
    res = (unsigned char *)ligo_alloc_scratch(ctx, s.len + 1);
    if (!res) {
        LIGO_FREE(s.out, s.user);
        return ctx->status;
    }
    if (s.len) memcpy(res, s.out, s.len);
    LIGO_FREE(s.out, s.user);
    *out = res;
    *out_n = s.len;
    return LIGO_OK;
}

/* -------------------------------------------------------------- IDX */

/* The bytes of an IDX file, gunzipped when they start with 1f 8b. */
static ligo_status ligo__maybe_gunzip(ligo_ctx *ctx, const void *buf, size_t n, const unsigned char **p, size_t *pn) {
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

/* images: magic 0x00000803, n, rows, cols (big-endian), n*rows*cols bytes;
 * labels: magic 0x00000801, n, n bytes. */
LIGO_API ligo_status ligo_images_parse_idx(ligo_ctx *ctx, const void *img, size_t img_n, const void *lbl, size_t lbl_n,
                                           ligo_images *out) {
    const unsigned char *ip = NULL, *lp = NULL;
    size_t in_ = 0, ln_ = 0;
    uint32_t n, rows, cols, nl;
    size_t px, i;
    ligo_mark mk;
    int32_t maxl = 0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || !img || !lbl) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_parse_idx: NULL argument");
    memset(out, 0, sizeof *out);
    mk = ligo_scratch_mark(ctx);
    if (ligo__maybe_gunzip(ctx, img, img_n, &ip, &in_) != LIGO_OK || ligo__maybe_gunzip(ctx, lbl, lbl_n, &lp, &ln_) != LIGO_OK)
        return ctx->status;
    if (in_ < 16 || ligo__be32(ip) != 0x803) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_images_parse_idx: not an IDX image file (magic 0x00000803)");
    }
    if (ln_ < 8 || ligo__be32(lp) != 0x801) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_images_parse_idx: not an IDX label file (magic 0x00000801)");
    }
    n = ligo__be32(ip + 4);
    rows = ligo__be32(ip + 8);
    cols = ligo__be32(ip + 12);
    nl = ligo__be32(lp + 4);
    if (n == 0 || rows == 0 || cols == 0 || rows > 4096 || cols > 4096 || n > 0x7fffffffu) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_images_parse_idx: %lu images of %lux%lu", (unsigned long)n,
                              (unsigned long)rows, (unsigned long)cols);
    }
    px = (size_t)rows * cols;
    if ((size_t)n > (in_ - 16) / px || (size_t)n * px != in_ - 16) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_images_parse_idx: %lu images of %lux%lu need %zu bytes, the file has %zu",
                              (unsigned long)n, (unsigned long)rows, (unsigned long)cols, (size_t)n * px, in_ - 16);
    }
    if (nl != n || ln_ - 8 != (size_t)n) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_images_parse_idx: %lu labels (%zu bytes) for %lu images",
                              (unsigned long)nl, ln_ - 8, (unsigned long)n);
    }
    out->pixels = (float *)ligo_alloc_persistent(ctx, (size_t)n * px * sizeof(float));
    out->labels = (int32_t *)ligo_alloc_persistent(ctx, (size_t)n * sizeof(int32_t));
    if (!out->pixels || !out->labels) return ctx->status;
    for (i = 0; i < (size_t)n * px; i++) out->pixels[i] = (float)ip[16 + i] * (1.0f / 255.0f);
    for (i = 0; i < n; i++) {
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

LIGO_API ligo_status ligo_images_load_idx(ligo_ctx *ctx, const char *images_path, const char *labels_path,
                                          ligo_images *out) {
    ligo_mark mk;
    void *a, *b;
    size_t an, bn;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    mk = ligo_scratch_mark(ctx);
    if (ligo_read_file(ctx, images_path, LIGO__MAX_FILE, &a, &an) != LIGO_OK ||
        ligo_read_file(ctx, labels_path, LIGO__MAX_FILE, &b, &bn) != LIGO_OK)
        return ctx->status;
    if (ligo_images_parse_idx(ctx, a, an, b, bn, out) != LIGO_OK) {
        char why[LIGO__ERRMSG];
        ligo_status s = ctx->status;
        snprintf(why, sizeof why, "%s", ctx->errmsg);
        ligo_clear_error(ctx);
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, s, "%s (%s, %s)", why, images_path, labels_path);
    }
    ligo_scratch_rewind(ctx, mk);
    return LIGO_OK;
}

LIGO_API ligo_status ligo_images_batch(ligo_ctx *ctx, const ligo_images *im, ligo_rng *rng, int64_t B, float *x,
                                       int32_t *y) {
    int64_t b, px;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!im || !im->pixels || !rng || !x || !y || B < 1)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_batch: NULL argument or B < 1");
    px = im->rows * im->cols;
    for (b = 0; b < B; b++) {
        int64_t k = (int64_t)ligo_rng_below(rng, (uint64_t)im->n);
        memcpy(x + b * px, im->pixels + k * px, (size_t)px * sizeof(float));
        y[b] = im->labels[k];
    }
    return LIGO_OK;
}
