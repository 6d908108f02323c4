/* inflate.c: gzip (RFC 1952) with a built-in inflate (RFC 1951), for
 * gzipped IDX files: every table and length checked, output capped. */
#include "ligo_internal.h"

/* ---------------------------------------------------------------- inflate
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
