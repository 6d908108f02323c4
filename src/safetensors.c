/* safetensors.c: reading safetensors files and buffers: the header's JSON
 * (src/json.c) checked in full before any offset is trusted, the tensors
 * copied out (src/safetensors_write.c writes them).
 *
 * Reading: F32 only. A 0-dim tensor (shape []) is read as ndim 1, shape [1].
 * Dims of size 0 are accepted: such a tensor has n == 0 and a data pointer
 * that must not be read. Shape entries past ndim are 1. Each tensor's data
 * is copied into its own 64-byte aligned block of scratch memory. Limits:
 * header <= 100,000,000 bytes (as the reference implementation), file
 * <= 64 GiB, JSON nesting <= 64, names < LIGO_ST_MAX_NAME bytes. The data
 * buffer must be covered exactly by the tensors (no overlaps, no holes, no
 * trailing bytes), as the reference implementation requires. */
#include "ligo_internal.h"

/* ----------------------------------------------------------- utilities */

/* "who: file: message" (the file part only when there is one). */
LIGO__PRIV ligo_status ligo__st_err(ligo_ctx *ctx, ligo_status s, const char *who, const char *fname,
                                    const char *fmt, ...) {
    char msg[LIGO__ERRMSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (fname) return ligo_set_error(ctx, s, "%s: %s: %s", who, fname, msg);
    return ligo_set_error(ctx, s, "%s: %s", who, msg);
}

/* "10x4", or "0-dim" for a scalar. */
static void ligo__st_shape_str(char *buf, size_t cap, int ndim, const int64_t *shape) {
    size_t len = 0;
    int i;
    buf[0] = '\0';
    if (ndim == 0) snprintf(buf, cap, "0-dim");
    for (i = 0; i < ndim && len < cap; i++) {
        int k = snprintf(buf + len, cap - len, i ? "x%lld" : "%lld", (long long)shape[i]);
        if (k < 0) break;
        len += (size_t)k;
    }
}

/* -------------------------------------------------------------- reading */

typedef struct ligo__st_info {
    int ndim; /* as in the file: 0 for a scalar */
    int64_t shape[LIGO_MAX_DIMS];
    uint64_t begin, end;
    int64_t n;
} ligo__st_info;

typedef struct ligo__st_span {
    uint64_t begin, end;
    int64_t idx;
} ligo__st_span;

/* One tensor's object: {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}
 * with unknown keys skipped; then the checks that need no other tensor. */
static int ligo__st_tensor(ligo__json *J, uint64_t data_len, ligo__st_info *ti) {
    int seen_dtype = 0, seen_shape = 0, seen_off = 0;
    uint64_t bytes;
    char shp[96];
    int i;
    memset(ti, 0, sizeof *ti);
    if (ligo__json_peek(J) != '{') return ligo__json_fail(J, "value must be an object with dtype, shape and data_offsets");
    J->pos++;
    if (ligo__json_peek(J) == '}') {
        J->pos++;
    } else {
        for (;;) {
            char key[16];
            size_t klen;
            int nul;
            if (!ligo__json_string(J, key, sizeof key, &klen, &nul) || !ligo__json_expect(J, ':')) return 0;
            if (klen == 5 && memcmp(key, "dtype", 5) == 0) {
                char dt[24], pr[40];
                size_t dlen;
                if (seen_dtype++) return ligo__json_fail(J, "\"dtype\" appears twice");
                if (ligo__json_peek(J) != '"') return ligo__json_fail(J, "dtype must be a string");
                if (!ligo__json_string(J, dt, sizeof dt, &dlen, &nul)) return 0;
                if (dlen != 3 || memcmp(dt, "F32", 3) != 0) {
                    ligo__printable(pr, sizeof pr, dt, dlen < sizeof dt ? dlen : sizeof dt);
                    return ligo__json_fail(J, "dtype %s not supported (ligo reads F32)", pr);
                }
            } else if (klen == 5 && memcmp(key, "shape", 5) == 0) {
                if (seen_shape++) return ligo__json_fail(J, "\"shape\" appears twice");
                if (ligo__json_peek(J) != '[') return ligo__json_fail(J, "shape must be an array of integers");
                J->pos++;
                if (ligo__json_peek(J) == ']') {
                    J->pos++;
                } else {
                    for (;;) {
                        uint64_t d;
                        if (ti->ndim == LIGO_MAX_DIMS)
                            return ligo__json_fail(J, "shape has more than %d dims (ligo supports at most %d)",
                                                   LIGO_MAX_DIMS, LIGO_MAX_DIMS);
                        if (!ligo__json_uint(J, "a shape entry", &d)) return 0;
                        if (d > (uint64_t)INT64_MAX) return ligo__json_fail(J, "a shape entry is too large");
                        ti->shape[ti->ndim++] = (int64_t)d;
                        if (ligo__json_peek(J) == ',') {
                            J->pos++;
                            continue;
                        }
                        if (!ligo__json_expect(J, ']')) return 0;
                        break;
                    }
                }
            } else if (klen == 12 && memcmp(key, "data_offsets", 12) == 0) {
                if (seen_off++) return ligo__json_fail(J, "\"data_offsets\" appears twice");
                if (ligo__json_peek(J) != '[') return ligo__json_fail(J, "data_offsets must be [begin, end]");
                J->pos++;
                if (!ligo__json_uint(J, "data_offsets begin", &ti->begin)) return 0;
                if (ligo__json_peek(J) != ',') return ligo__json_fail(J, "data_offsets must be [begin, end]");
                J->pos++;
                if (!ligo__json_uint(J, "data_offsets end", &ti->end)) return 0;
                if (ligo__json_peek(J) != ']') return ligo__json_fail(J, "data_offsets must be [begin, end]");
                J->pos++;
            } else {
                if (!ligo__json_skip(J, 2)) return 0;
            }
            if (ligo__json_peek(J) == ',') {
                J->pos++;
                continue;
            }
            if (!ligo__json_expect(J, '}')) return 0;
            break;
        }
    }
    if (!seen_dtype) return ligo__json_fail(J, "\"dtype\" is missing");
    if (!seen_shape) return ligo__json_fail(J, "\"shape\" is missing");
    if (!seen_off) return ligo__json_fail(J, "\"data_offsets\" is missing");
    ti->n = 1;
    for (i = 0; i < ti->ndim; i++)
        if (!ligo__mul_i64(ti->n, ti->shape[i], &ti->n)) break;
    ligo__st_shape_str(shp, sizeof shp, ti->ndim, ti->shape);
    if (i < ti->ndim || ti->n > INT64_MAX / 4) return ligo__json_fail(J, "shape %s is too large", shp);
    bytes = (uint64_t)ti->n * 4;
    if (ti->begin > ti->end)
        return ligo__json_fail(J, "data_offsets [%llu, %llu] end before they begin", (unsigned long long)ti->begin,
                               (unsigned long long)ti->end);
    if (ti->end - ti->begin != bytes)
        return ligo__json_fail(J, "data_offsets [%llu, %llu] do not match shape %s (%llu bytes)",
                               (unsigned long long)ti->begin, (unsigned long long)ti->end, shp,
                               (unsigned long long)bytes);
    if (ti->end > data_len)
        return ligo__json_fail(J, "data_offsets [%llu, %llu] reach past the data buffer (%llu bytes; truncated?)",
                               (unsigned long long)ti->begin, (unsigned long long)ti->end,
                               (unsigned long long)data_len);
    return 1;
}

/* A fresh NUL-terminated copy of the string at J->pos in scratch memory. */
static char *ligo__st_dup_string(ligo__json *J, const char *what) {
    size_t start = J->pos, len;
    int nul;
    char *dst;
    if (!ligo__json_string(J, NULL, 0, &len, &nul)) return NULL;
    if (nul) {
        ligo__json_fail(J, "%s contains \\u0000", what);
        return NULL;
    }
    dst = (char *)ligo_alloc_scratch(J->ctx, len + 1);
    if (!dst) {
        J->failed = 1;
        return NULL;
    }
    J->pos = start;
    ligo__json_string(J, dst, len, &len, &nul);
    return dst;
}

/* "__metadata__": an object of strings. Counts pairs when out is NULL. */
static int ligo__st_metadata(ligo__json *J, ligo_safetensors *out, int64_t *n_meta) {
    if (ligo__json_peek(J) != '{') return ligo__json_fail(J, "__metadata__ must be an object of strings");
    J->pos++;
    if (ligo__json_peek(J) == '}') {
        J->pos++;
        return 1;
    }
    for (;;) {
        if (out) {
            ligo_st_meta *m;
            char *key;
            if (*n_meta >= out->cap_meta) return ligo__json_fail(J, "header changed between passes");
            m = &out->meta[*n_meta];
            if (!(key = ligo__st_dup_string(J, "a __metadata__ key")) || !ligo__json_expect(J, ':')) return 0;
            m->key = key;
            if (ligo__json_peek(J) != '"') {
                char pr[64];
                ligo__printable(pr, sizeof pr, key, strlen(key));
                return ligo__json_fail(J, "__metadata__ value of \"%s\" must be a string", pr);
            }
            if (!(m->value = ligo__st_dup_string(J, "a __metadata__ value"))) return 0;
        } else {
            char key[64], pr[64];
            size_t len;
            int nul;
            if (!ligo__json_string(J, key, sizeof key, &len, &nul) || !ligo__json_expect(J, ':')) return 0;
            if (ligo__json_peek(J) != '"') {
                ligo__printable(pr, sizeof pr, key, len < sizeof key ? len : sizeof key);
                return ligo__json_fail(J, "__metadata__ value of \"%s\" must be a string", pr);
            }
            if (!ligo__json_string(J, NULL, 0, &len, &nul)) return 0;
        }
        (*n_meta)++;
        if (ligo__json_peek(J) == ',') {
            J->pos++;
            continue;
        }
        return ligo__json_expect(J, '}');
    }
}

/* The whole header. With out NULL: checks syntax and counts. With out
 * allocated from the counts: fills entries, metadata and spans. */
static int ligo__st_header_pass(ligo__json *J, uint64_t data_len, ligo_safetensors *out, ligo__st_span *spans,
                                int64_t *n_tensors, int64_t *n_meta) {
    int seen_meta = 0;
    *n_tensors = 0;
    *n_meta = 0;
    J->pos = 0;
    J->where[0] = '\0';
    if (J->n == 0 || J->s[0] != '{') return ligo__json_fail(J, "header must start with '{'");
    J->pos = 1;
    if (ligo__json_peek(J) == '}') {
        J->pos++;
    } else {
        for (;;) {
            char name[LIGO_ST_MAX_NAME], pr[LIGO_ST_MAX_NAME];
            size_t len;
            int nul;
            ligo__st_info ti;
            if (!ligo__json_string(J, name, sizeof name, &len, &nul) || !ligo__json_expect(J, ':')) return 0;
            if (len == 12 && memcmp(name, "__metadata__", 12) == 0) {
                if (seen_meta++) return ligo__json_fail(J, "\"__metadata__\" appears twice");
                if (!ligo__st_metadata(J, out, n_meta)) return 0;
            } else {
                if (len >= LIGO_ST_MAX_NAME) {
                    ligo__printable(pr, 40, name, 32);
                    return ligo__json_fail(J, "tensor name %s of %zu bytes is too long (at most %d)", pr, len,
                                           LIGO_ST_MAX_NAME - 1);
                }
                name[len] = '\0';
                ligo__printable(pr, sizeof pr, name, len);
                if (nul) return ligo__json_fail(J, "tensor name %s contains \\u0000", pr);
                snprintf(J->where, sizeof J->where, "tensor %s: ", pr);
                if (!ligo__st_tensor(J, data_len, &ti)) return 0;
                J->where[0] = '\0';
                if (out) {
                    ligo_st_entry *e;
                    int i;
                    if (*n_tensors >= out->cap_entries) return ligo__json_fail(J, "header changed between passes");
                    e = &out->entries[*n_tensors];
                    memcpy(e->name, name, len + 1);
                    /* a 0-dim scalar is one float: ndim 1, shape [1] */
                    e->ndim = ti.ndim ? ti.ndim : 1;
                    for (i = 0; i < LIGO_MAX_DIMS; i++) e->shape[i] = i < ti.ndim ? ti.shape[i] : 1;
                    e->n = ti.n;
                    spans[*n_tensors].begin = ti.begin;
                    spans[*n_tensors].end = ti.end;
                    spans[*n_tensors].idx = *n_tensors;
                }
                (*n_tensors)++;
            }
            if (ligo__json_peek(J) == ',') {
                J->pos++;
                continue;
            }
            if (!ligo__json_expect(J, '}')) return 0;
            break;
        }
    }
    /* the format pads the header with spaces */
    ligo__json_ws(J);
    if (J->pos != J->n) return ligo__json_fail(J, "header JSON: trailing bytes after the object at header byte %zu", J->pos);
    return 1;
}

static int ligo__st_cmp_span(const void *a, const void *b) {
    const ligo__st_span *x = (const ligo__st_span *)a, *y = (const ligo__st_span *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int ligo__st_cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first string that appears twice, or NULL; sorting keeps it n log n. */
static const char *ligo__st_find_dup(const char **strs, int64_t n) {
    int64_t i;
    if (n < 2) return NULL;
    qsort((void *)strs, (size_t)n, sizeof *strs, ligo__st_cmp_str);
    for (i = 1; i < n; i++)
        if (strcmp(strs[i - 1], strs[i]) == 0) return strs[i];
    return NULL;
}

/* Duplicate tensor names or metadata keys: EINVAL or EFORMAT with a message. */
LIGO__PRIV int ligo__st_check_unique(ligo_ctx *ctx, ligo_status s, const char *who, const char *fname,
                                 const ligo_safetensors *st) {
    int64_t i, m = st->n_entries > st->n_meta ? st->n_entries : st->n_meta;
    const char **strs, *dup;
    size_t bytes;
    char pr[LIGO_ST_MAX_NAME];
    if (m < 2) return 1;
    if (!ligo__mul_size((size_t)m, sizeof *strs, &bytes)) {
        ligo__st_err(ctx, LIGO_EOVERFLOW, who, fname, "too many entries");
        return 0;
    }
    strs = (const char **)ligo_alloc_scratch(ctx, bytes);
    if (!strs) return 0;
    for (i = 0; i < st->n_entries; i++) strs[i] = st->entries[i].name;
    if ((dup = ligo__st_find_dup(strs, st->n_entries)) != NULL) {
        ligo__printable(pr, sizeof pr, dup, strlen(dup));
        ligo__st_err(ctx, s, who, fname, "tensor name %s appears twice", pr);
        return 0;
    }
    for (i = 0; i < st->n_meta; i++) strs[i] = st->meta[i].key;
    if ((dup = ligo__st_find_dup(strs, st->n_meta)) != NULL) {
        ligo__printable(pr, sizeof pr, dup, strlen(dup));
        ligo__st_err(ctx, s, who, fname, "__metadata__ key \"%s\" appears twice", pr);
        return 0;
    }
    return 1;
}

/* Parses and checks the header. On success out holds the entries (data not
 * loaded yet) and *spans_out their byte ranges sorted by offset, which
 * cover [0, data_len) exactly. */
static ligo_status ligo__st_load_header(ligo_ctx *ctx, const char *who, const char *fname, const unsigned char *hdr,
                                        size_t hlen, uint64_t data_len, ligo_safetensors *out,
                                        ligo__st_span **spans_out) {
    ligo__json J;
    int64_t n_tensors, n_meta, i;
    ligo__st_span *spans = NULL;
    size_t bytes;
    uint64_t at = 0;
    memset(&J, 0, sizeof J);
    J.s = hdr;
    J.n = hlen;
    J.ctx = ctx;
    J.who = who;
    J.fname = fname;
    /* pass 1: syntax and every per-tensor check, no allocation */
    if (!ligo__st_header_pass(&J, data_len, NULL, NULL, &n_tensors, &n_meta)) return ctx->status;
    if (n_tensors > 0) {
        if (!ligo__mul_size((size_t)n_tensors, sizeof(ligo_st_entry), &bytes))
            return ligo__st_err(ctx, LIGO_EOVERFLOW, who, fname, "too many tensors");
        out->entries = (ligo_st_entry *)ligo_alloc_scratch(ctx, bytes);
        if (!ligo__mul_size((size_t)n_tensors, sizeof(ligo__st_span), &bytes))
            return ligo__st_err(ctx, LIGO_EOVERFLOW, who, fname, "too many tensors");
        spans = (ligo__st_span *)ligo_alloc_scratch(ctx, bytes);
        out->cap_entries = n_tensors;
    }
    if (n_meta > 0) {
        if (!ligo__mul_size((size_t)n_meta, sizeof(ligo_st_meta), &bytes))
            return ligo__st_err(ctx, LIGO_EOVERFLOW, who, fname, "too many metadata entries");
        out->meta = (ligo_st_meta *)ligo_alloc_scratch(ctx, bytes);
        out->cap_meta = n_meta;
    }
    if (ligo__failed(ctx)) return ctx->status;
    /* pass 2: the same walk, storing */
    if (!ligo__st_header_pass(&J, data_len, out, spans, &out->n_entries, &out->n_meta)) return ctx->status;
    if (!ligo__st_check_unique(ctx, LIGO_EFORMAT, who, fname, out)) return ctx->status;
    if (n_tensors > 0) qsort(spans, (size_t)n_tensors, sizeof *spans, ligo__st_cmp_span);
    for (i = 0; i < n_tensors; i++) {
        const ligo__st_span *sp = &spans[i];
        char a[LIGO_ST_MAX_NAME], b[LIGO_ST_MAX_NAME];
        a[0] = '\0';
        ligo__printable(b, sizeof b, out->entries[sp->idx].name, strlen(out->entries[sp->idx].name));
        if (i > 0) ligo__printable(a, sizeof a, out->entries[spans[i - 1].idx].name,
                                      strlen(out->entries[spans[i - 1].idx].name));
        if (sp->begin < at)
            return ligo__st_err(ctx, LIGO_EFORMAT, who, fname,
                                "tensors %s [%llu, %llu] and %s [%llu, %llu] overlap in the data buffer", a,
                                (unsigned long long)spans[i - 1].begin, (unsigned long long)spans[i - 1].end, b,
                                (unsigned long long)sp->begin, (unsigned long long)sp->end);
        if (sp->begin > at) {
            if (i == 0)
                return ligo__st_err(ctx, LIGO_EFORMAT, who, fname,
                                    "hole in the data buffer: bytes [0, %llu) before tensor %s belong to no tensor",
                                    (unsigned long long)sp->begin, b);
            return ligo__st_err(ctx, LIGO_EFORMAT, who, fname,
                                "hole in the data buffer: bytes [%llu, %llu) between tensors %s and %s belong to no tensor",
                                (unsigned long long)at, (unsigned long long)sp->begin, a, b);
        }
        at = sp->end;
    }
    if (at != data_len)
        return ligo__st_err(ctx, LIGO_EFORMAT, who, fname,
                            "the tensors cover %llu bytes but the data buffer has %llu", (unsigned long long)at,
                            (unsigned long long)data_len);
    *spans_out = spans;
    return LIGO_OK;
}

/* Header length from the first 8 bytes, checked against the cap and the size.
 * first is the byte after the length (-1 when there is none or it was not
 * read): a header that cannot fit and does not start with '{' means the
 * input is no safetensors file at all (a text file, say), not a truncated
 * one, and the message says so. */
static ligo_status ligo__st_check_hlen(ligo_ctx *ctx, const char *who, const char *fname, uint64_t hl,
                                       uint64_t after, int first) {
    if ((hl > LIGO__ST_MAX_HEADER || hl > after) && first >= 0 && first != '{') {
        if (hl > after)
            return ligo_set_error(ctx, LIGO_EFORMAT,
                                  "%s: %s is not a safetensors file: its first 8 bytes give a header length of %llu, "
                                  "more than the %s's size (%llu bytes)",
                                  who, fname ? fname : "the buffer", (unsigned long long)hl, fname ? "file" : "buffer",
                                  (unsigned long long)after + 8);
        return ligo_set_error(ctx, LIGO_EFORMAT,
                              "%s: %s is not a safetensors file: its first 8 bytes give a header length of %llu, more "
                              "than the limit of %llu bytes, and no '{' follows them",
                              who, fname ? fname : "the buffer", (unsigned long long)hl,
                              (unsigned long long)LIGO__ST_MAX_HEADER);
    }
    if (hl > LIGO__ST_MAX_HEADER)
        return ligo__st_err(ctx, LIGO_EFORMAT, who, fname, "header length %llu exceeds the limit of %llu bytes",
                            (unsigned long long)hl, (unsigned long long)LIGO__ST_MAX_HEADER);
    if (hl > after)
        return ligo__st_err(ctx, LIGO_EFORMAT, who, fname,
                            "header length %llu exceeds the %llu bytes that follow it (truncated?)",
                            (unsigned long long)hl, (unsigned long long)after);
    return LIGO_OK;
}

/* A whole file's bytes (fname names it in messages, or NULL: a buffer). */
static ligo_status ligo__st_parse_mem(ligo_ctx *ctx, const char *who, const char *fname, const unsigned char *buf,
                                      size_t n, ligo_safetensors *out) {
    ligo__st_span *spans = NULL;
    uint64_t hl;
    int64_t i;
    if (n < 8)
        return ligo__st_err(ctx, LIGO_EFORMAT, who, fname, "%zu bytes cannot hold the 8-byte header length (truncated?)",
                            n);
    hl = ligo__le64(buf);
    if (ligo__st_check_hlen(ctx, who, fname, hl, (uint64_t)(n - 8), n > 8 ? buf[8] : -1) != LIGO_OK) return ctx->status;
    if (ligo__st_load_header(ctx, who, fname, buf + 8, (size_t)hl, (uint64_t)(n - 8 - (size_t)hl), out, &spans) !=
        LIGO_OK)
        return ctx->status;
    for (i = 0; i < out->n_entries; i++) {
        ligo_st_entry *e = &out->entries[spans[i].idx];
        size_t bytes = (size_t)(spans[i].end - spans[i].begin);
        /* the file buffer may be unaligned: copy to an aligned block */
        e->data = (float *)ligo_alloc_scratch(ctx, bytes);
        if (!e->data) return ctx->status;
        memcpy(e->data, buf + 8 + (size_t)hl + (size_t)spans[i].begin, bytes);
        ligo__le32_inplace(e->data, e->n); /* little-endian in the file */
    }
    return LIGO_OK;
}

/* ligo__st_parse_mem, leaving out empty and no scratch behind on failure. */
static ligo_status ligo__st_parse_whole(ligo_ctx *ctx, const char *who, const char *fname, const void *buf, size_t n,
                                        ligo_safetensors *out) {
    ligo_mark mark = ligo_scratch_mark(ctx);
    ligo_status s = ligo__st_parse_mem(ctx, who, fname, (const unsigned char *)buf, n, out);
    if (s != LIGO_OK) {
        ligo_scratch_rewind(ctx, mark);
        ligo_st_init(out);
    }
    return s;
}

LIGO_API ligo_status ligo_st_parse(ligo_ctx *ctx, const void *buf, size_t n, ligo_safetensors *out) {
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || (!buf && n > 0)) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_st_parse: NULL buffer or output");
    ligo_st_init(out);
    return ligo__st_parse_whole(ctx, "ligo_st_parse", NULL, buf, n, out);
}

/* The file whole into a heap buffer, parsed as a buffer is: one path for
 * both, at the price of holding the file and its tensors at once. */
LIGO_API ligo_status ligo_st_read(ligo_ctx *ctx, const char *path, ligo_safetensors *out) {
    ligo_status s;
    void *buf;
    size_t n;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_st_read: NULL path or output");
    ligo_st_init(out);
    if (ligo__read_file(ctx, "ligo_st_read", path, LIGO__MAX_FILE, LIGO__READ_REGULAR | LIGO__READ_HEAP, &buf, &n) !=
        LIGO_OK)
        return ctx->status;
    s = ligo__st_parse_whole(ctx, "ligo_st_read", path, buf, n, out);
    LIGO_FREE(buf, ctx->alloc_user);
    return s;
}

LIGO_API void ligo_st_init(ligo_safetensors *st) {
    if (st) memset(st, 0, sizeof *st);
}

LIGO_API const ligo_st_entry *ligo_st_find(const ligo_safetensors *st, const char *name) {
    int64_t i;
    if (!st || !name) return NULL;
    for (i = 0; i < st->n_entries; i++)
        if (strcmp(st->entries[i].name, name) == 0) return &st->entries[i];
    return NULL;
}

LIGO_API const char *ligo_st_get_meta(const ligo_safetensors *st, const char *key) {
    int64_t i;
    if (!st || !key) return NULL;
    for (i = 0; i < st->n_meta; i++)
        if (st->meta[i].key && strcmp(st->meta[i].key, key) == 0) return st->meta[i].value;
    return NULL;
}

