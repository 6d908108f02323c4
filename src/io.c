/* io.c: safetensors files. A strict little JSON parser for the header, a
 * reader that checks everything before it trusts an offset, and a writer
 * that saves through a temporary file renamed over the target.
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

#include <errno.h>

#if defined(__unix__) || defined(__unix) || (defined(__APPLE__) && defined(__MACH__))
#include <sys/stat.h>
#include <unistd.h>
#endif
/* _POSIX_VERSION is old when the feature macros came too late (a system
 * header included before ligo.h under strict C99): then fileno, fstat and
 * fsync may be undeclared, and the portable fallbacks are used. */
#if defined(_POSIX_VERSION) && _POSIX_VERSION >= 200112L
#define LIGO__IO_POSIX 1
#endif

#define LIGO__ST_MAX_HEADER ((uint64_t)100000000)
#define LIGO__ST_MAX_FILE ((uint64_t)64 << 30)
#define LIGO__JSON_MAX_DEPTH 64

#if defined(__GNUC__) || defined(__clang__)
#define LIGO__IO_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LIGO__IO_PRINTF(a, b)
#endif

/* ----------------------------------------------------------- utilities */

/* "who: file: message" (the file part only when there is one). */
static ligo_status ligo__st_err(ligo_ctx *ctx, ligo_status s, const char *who, const char *fname,
                                const char *fmt, ...) LIGO__IO_PRINTF(5, 6);
static ligo_status ligo__st_err(ligo_ctx *ctx, ligo_status s, const char *who, const char *fname,
                                const char *fmt, ...) {
    char msg[LIGO__ERRMSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (fname) return ligo_set_error(ctx, s, "%s: %s: %s", who, fname, msg);
    return ligo_set_error(ctx, s, "%s: %s", who, msg);
}

static int ligo__st_host_le(void) {
    const uint32_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Files hold little-endian floats; a big-endian host swaps in place. */
static void ligo__st_from_le(float *x, int64_t n) {
    unsigned char *b = (unsigned char *)x;
    int64_t i;
    if (ligo__st_host_le()) return;
    for (i = 0; i < n; i++, b += 4) {
        unsigned char t = b[0];
        b[0] = b[3];
        b[3] = t;
        t = b[1];
        b[1] = b[2];
        b[2] = t;
    }
}

static uint64_t ligo__st_le64(const unsigned char *b) {
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, at most U+10FFFF), or 0. */
static size_t ligo__utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    unsigned lo = 0x80, hi = 0xBF;
    size_t len, i;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3;
    else if (c >= 0xF0 && c <= 0xF4) len = 4;
    else return 0;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    if (n < len) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return len;
}

static int ligo__utf8_valid(const char *str) {
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), i = 0;
    while (i < n) {
        size_t k = ligo__utf8_len(s + i, n - i);
        if (k == 0) return 0;
        i += k;
    }
    return 1;
}

/* A printable copy for messages: control bytes become '?', long text is cut. */
static void ligo__st_printable(char *dst, size_t cap, const char *src, size_t len) {
    size_t i, k = 0;
    for (i = 0; i < len && k + 4 < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[k++] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (i < len) {
        memcpy(dst + k, "...", 3);
        k += 3;
    }
    dst[k] = '\0';
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

/* ---------------------------------------------------------------- JSON */

typedef struct ligo__json {
    const unsigned char *s;
    size_t n, pos;
    int failed;
    ligo_ctx *ctx;
    const char *who, *fname;
    char where[LIGO_ST_MAX_NAME + 16]; /* "tensor NAME: " while inside a tensor */
} ligo__json;

static int ligo__json_fail(ligo__json *J, const char *fmt, ...) LIGO__IO_PRINTF(2, 3);
static int ligo__json_fail(ligo__json *J, const char *fmt, ...) {
    char msg[LIGO__ERRMSG];
    va_list ap;
    if (J->failed) return 0;
    J->failed = 1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ligo__st_err(J->ctx, LIGO_EFORMAT, J->who, J->fname, "%s%s", J->where, msg);
    return 0;
}

static void ligo__json_ws(ligo__json *J) {
    while (J->pos < J->n) {
        unsigned char c = J->s[J->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        J->pos++;
    }
}

/* The next byte after whitespace, or -1 at the end. */
static int ligo__json_peek(ligo__json *J) {
    ligo__json_ws(J);
    return J->pos < J->n ? (int)J->s[J->pos] : -1;
}

static int ligo__json_expect(ligo__json *J, char c) {
    if (ligo__json_peek(J) != (unsigned char)c) {
        if (J->pos >= J->n) return ligo__json_fail(J, "header JSON ends early: expected '%c'", c);
        return ligo__json_fail(J, "header JSON: expected '%c' at header byte %zu", c, J->pos);
    }
    J->pos++;
    return 1;
}

static int ligo__json_hex4(const unsigned char *s, uint32_t *v) {
    int i;
    *v = 0;
    for (i = 0; i < 4; i++) {
        unsigned c = s[i], d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return 0;
        *v = (*v << 4) | d;
    }
    return 1;
}

static void ligo__json_put(char *dst, size_t cap, size_t *k, unsigned b) {
    if (dst && *k < cap) dst[*k] = (char)b;
    (*k)++;
}

/* Decodes the string at J->pos into UTF-8: up to cap bytes go to dst (when
 * not NULL), the full length to *len, whether it holds a NUL to *nul. */
static int ligo__json_string(ligo__json *J, char *dst, size_t cap, size_t *len, int *nul) {
    const unsigned char *s = J->s;
    size_t n = J->n, p, k = 0, start;
    *len = 0;
    *nul = 0;
    if (ligo__json_peek(J) != '"') {
        if (J->pos >= J->n) return ligo__json_fail(J, "header JSON ends early: expected a string");
        return ligo__json_fail(J, "header JSON: expected a string at header byte %zu", J->pos);
    }
    start = J->pos;
    p = start + 1;
    for (;;) {
        unsigned c;
        if (p >= n) return ligo__json_fail(J, "header JSON: unterminated string starting at header byte %zu", start);
        c = s[p];
        if (c == '"') {
            p++;
            break;
        }
        if (c < 0x20) return ligo__json_fail(J, "header JSON: control byte 0x%02x inside a string at header byte %zu", c, p);
        if (c == '\\') {
            uint32_t cp;
            if (p + 1 >= n) return ligo__json_fail(J, "header JSON: unterminated string starting at header byte %zu", start);
            c = s[p + 1];
            switch (c) {
            case '"': cp = '"'; p += 2; break;
            case '\\': cp = '\\'; p += 2; break;
            case '/': cp = '/'; p += 2; break;
            case 'b': cp = '\b'; p += 2; break;
            case 'f': cp = '\f'; p += 2; break;
            case 'n': cp = '\n'; p += 2; break;
            case 'r': cp = '\r'; p += 2; break;
            case 't': cp = '\t'; p += 2; break;
            case 'u':
                if (n - p < 6 || !ligo__json_hex4(s + p + 2, &cp))
                    return ligo__json_fail(J, "header JSON: bad \\u escape at header byte %zu", p);
                p += 6;
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return ligo__json_fail(J, "header JSON: unpaired surrogate \\u%04X at header byte %zu", (unsigned)cp, p - 6);
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    uint32_t lo;
                    if (n - p < 6 || s[p] != '\\' || s[p + 1] != 'u' || !ligo__json_hex4(s + p + 2, &lo) ||
                        lo < 0xDC00 || lo > 0xDFFF)
                        return ligo__json_fail(J, "header JSON: unpaired surrogate \\u%04X at header byte %zu", (unsigned)cp, p - 6);
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
                break;
            default:
                if (c >= 0x20 && c < 0x7F)
                    return ligo__json_fail(J, "header JSON: bad escape \\%c at header byte %zu", (char)c, p);
                return ligo__json_fail(J, "header JSON: bad escape at header byte %zu", p);
            }
            if (cp == 0) *nul = 1;
            if (cp < 0x80) {
                ligo__json_put(dst, cap, &k, cp);
            } else if (cp < 0x800) {
                ligo__json_put(dst, cap, &k, 0xC0 | (cp >> 6));
                ligo__json_put(dst, cap, &k, 0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                ligo__json_put(dst, cap, &k, 0xE0 | (cp >> 12));
                ligo__json_put(dst, cap, &k, 0x80 | ((cp >> 6) & 0x3F));
                ligo__json_put(dst, cap, &k, 0x80 | (cp & 0x3F));
            } else {
                ligo__json_put(dst, cap, &k, 0xF0 | (cp >> 18));
                ligo__json_put(dst, cap, &k, 0x80 | ((cp >> 12) & 0x3F));
                ligo__json_put(dst, cap, &k, 0x80 | ((cp >> 6) & 0x3F));
                ligo__json_put(dst, cap, &k, 0x80 | (cp & 0x3F));
            }
        } else {
            size_t m = ligo__utf8_len(s + p, n - p), i;
            if (m == 0) return ligo__json_fail(J, "header JSON: invalid UTF-8 at header byte %zu", p);
            for (i = 0; i < m; i++) ligo__json_put(dst, cap, &k, s[p + i]);
            p += m;
        }
    }
    J->pos = p;
    *len = k;
    return 1;
}

/* A non-negative integer without fraction or exponent (shapes, offsets). */
static int ligo__json_uint(ligo__json *J, const char *what, uint64_t *out) {
    const unsigned char *s = J->s;
    size_t n = J->n, p;
    uint64_t v = 0;
    int c = ligo__json_peek(J);
    p = J->pos;
    if (c == '-') return ligo__json_fail(J, "%s must be a non-negative integer, not a negative number", what);
    if (c < '0' || c > '9') {
        if (c < 0) return ligo__json_fail(J, "header JSON ends early: expected %s", what);
        return ligo__json_fail(J, "%s must be a non-negative integer (header byte %zu)", what, p);
    }
    if (s[p] == '0' && p + 1 < n && s[p + 1] >= '0' && s[p + 1] <= '9')
        return ligo__json_fail(J, "header JSON: number with a leading zero at header byte %zu", p);
    while (p < n && s[p] >= '0' && s[p] <= '9') {
        unsigned d = (unsigned)(s[p] - '0');
        if (v > (UINT64_MAX - d) / 10) return ligo__json_fail(J, "%s is too large", what);
        v = v * 10 + d;
        p++;
    }
    if (p < n && (s[p] == '.' || s[p] == 'e' || s[p] == 'E'))
        return ligo__json_fail(J, "%s must be an integer, not a fraction or exponent (header byte %zu)", what, p);
    J->pos = p;
    *out = v;
    return 1;
}

/* Any JSON number, checked against the grammar and dropped. */
static int ligo__json_skip_number(ligo__json *J) {
    const unsigned char *s = J->s;
    size_t n = J->n, p = J->pos, start = J->pos, d;
    if (p < n && s[p] == '-') p++;
    if (p < n && s[p] == '0') {
        p++;
    } else {
        for (d = p; p < n && s[p] >= '0' && s[p] <= '9'; p++) {}
        if (p == d) return ligo__json_fail(J, "header JSON: bad number at header byte %zu", start);
    }
    if (p < n && s[p] == '.') {
        for (d = ++p; p < n && s[p] >= '0' && s[p] <= '9'; p++) {}
        if (p == d) return ligo__json_fail(J, "header JSON: bad number at header byte %zu", start);
    }
    if (p < n && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < n && (s[p] == '+' || s[p] == '-')) p++;
        for (d = p; p < n && s[p] >= '0' && s[p] <= '9'; p++) {}
        if (p == d) return ligo__json_fail(J, "header JSON: bad number at header byte %zu", start);
    }
    J->pos = p;
    return 1;
}

/* Skips any value; depth counts the containers around it. */
static int ligo__json_skip(ligo__json *J, int depth) {
    int c = ligo__json_peek(J);
    size_t len;
    int nul;
    if (c < 0) return ligo__json_fail(J, "header JSON ends early: expected a value");
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        if (depth >= LIGO__JSON_MAX_DEPTH)
            return ligo__json_fail(J, "header JSON nests deeper than %d at header byte %zu", LIGO__JSON_MAX_DEPTH, J->pos);
        J->pos++;
        if (ligo__json_peek(J) == close) {
            J->pos++;
            return 1;
        }
        for (;;) {
            if (c == '{') {
                if (!ligo__json_string(J, NULL, 0, &len, &nul) || !ligo__json_expect(J, ':')) return 0;
            }
            if (!ligo__json_skip(J, depth + 1)) return 0;
            if (ligo__json_peek(J) == ',') {
                J->pos++;
                continue;
            }
            return ligo__json_expect(J, close);
        }
    }
    if (c == '"') return ligo__json_string(J, NULL, 0, &len, &nul);
    if (c == '-' || (c >= '0' && c <= '9')) return ligo__json_skip_number(J);
    {
        static const char *const lits[3] = {"true", "false", "null"};
        int i;
        for (i = 0; i < 3; i++) {
            size_t m = strlen(lits[i]);
            if (J->n - J->pos >= m && memcmp(J->s + J->pos, lits[i], m) == 0) {
                J->pos += m;
                return 1;
            }
        }
    }
    return ligo__json_fail(J, "header JSON: unexpected byte '%c' at header byte %zu", c >= 0x20 && c < 0x7F ? c : '?', J->pos);
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
                    ligo__st_printable(pr, sizeof pr, dt, dlen < sizeof dt ? dlen : sizeof dt);
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
                ligo__st_printable(pr, sizeof pr, key, strlen(key));
                return ligo__json_fail(J, "__metadata__ value of \"%s\" must be a string", pr);
            }
            if (!(m->value = ligo__st_dup_string(J, "a __metadata__ value"))) return 0;
        } else {
            char key[64], pr[64];
            size_t len;
            int nul;
            if (!ligo__json_string(J, key, sizeof key, &len, &nul) || !ligo__json_expect(J, ':')) return 0;
            if (ligo__json_peek(J) != '"') {
                ligo__st_printable(pr, sizeof pr, key, len < sizeof key ? len : sizeof key);
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
                    ligo__st_printable(pr, 40, name, 32);
                    return ligo__json_fail(J, "tensor name %s of %zu bytes is too long (at most %d)", pr, len,
                                           LIGO_ST_MAX_NAME - 1);
                }
                name[len] = '\0';
                ligo__st_printable(pr, sizeof pr, name, len);
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
static int ligo__st_check_unique(ligo_ctx *ctx, ligo_status s, const char *who, const char *fname,
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
        ligo__st_printable(pr, sizeof pr, dup, strlen(dup));
        ligo__st_err(ctx, s, who, fname, "tensor name %s appears twice", pr);
        return 0;
    }
    for (i = 0; i < st->n_meta; i++) strs[i] = st->meta[i].key;
    if ((dup = ligo__st_find_dup(strs, st->n_meta)) != NULL) {
        ligo__st_printable(pr, sizeof pr, dup, strlen(dup));
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
        ligo__st_printable(b, sizeof b, out->entries[sp->idx].name, strlen(out->entries[sp->idx].name));
        if (i > 0) ligo__st_printable(a, sizeof a, out->entries[spans[i - 1].idx].name,
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

static ligo_status ligo__st_parse_mem(ligo_ctx *ctx, const unsigned char *buf, size_t n, ligo_safetensors *out) {
    const char *who = "ligo_st_parse";
    ligo__st_span *spans = NULL;
    uint64_t hl;
    int64_t i;
    if (n < 8)
        return ligo__st_err(ctx, LIGO_EFORMAT, who, NULL, "%zu bytes cannot hold the 8-byte header length (truncated?)", n);
    hl = ligo__st_le64(buf);
    if (ligo__st_check_hlen(ctx, who, NULL, hl, (uint64_t)(n - 8), n > 8 ? buf[8] : -1) != LIGO_OK) return ctx->status;
    if (ligo__st_load_header(ctx, who, NULL, buf + 8, (size_t)hl, (uint64_t)(n - 8 - (size_t)hl), out, &spans) !=
        LIGO_OK)
        return ctx->status;
    for (i = 0; i < out->n_entries; i++) {
        ligo_st_entry *e = &out->entries[spans[i].idx];
        size_t bytes = (size_t)(spans[i].end - spans[i].begin);
        /* the file buffer may be unaligned: copy to an aligned block */
        e->data = (float *)ligo_alloc_scratch(ctx, bytes);
        if (!e->data) return ctx->status;
        memcpy(e->data, buf + 8 + (size_t)hl + (size_t)spans[i].begin, bytes);
        ligo__st_from_le(e->data, e->n);
    }
    return LIGO_OK;
}

LIGO_API ligo_status ligo_st_parse(ligo_ctx *ctx, const void *buf, size_t n, ligo_safetensors *out) {
    ligo_mark mark;
    ligo_status s;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || (!buf && n > 0)) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_st_parse: NULL buffer or output");
    ligo_st_init(out);
    mark = ligo_scratch_mark(ctx);
    s = ligo__st_parse_mem(ctx, (const unsigned char *)buf, n, out);
    if (s != LIGO_OK) {
        /* nothing half-parsed stays behind */
        ligo_scratch_rewind(ctx, mark);
        ligo_st_init(out);
    }
    return s;
}

/* Size of an open regular file; 0 with *err set (an errno, or -1 when it is
 * not a regular file) on failure. */
static int ligo__st_file_size(FILE *f, uint64_t *size, int *err) {
#if defined(LIGO__IO_POSIX)
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        *err = errno;
        return 0;
    }
    if (!S_ISREG(sb.st_mode) || sb.st_size < 0) {
        *err = -1;
        return 0;
    }
    *size = (uint64_t)sb.st_size;
    return 1;
#else
    long end;
    if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        *err = errno;
        return 0;
    }
    *size = (uint64_t)end;
    return 1;
#endif
}

/* fread of exactly n bytes, or a message for why not. */
static ligo_status ligo__st_fread(ligo_ctx *ctx, FILE *f, const char *path, void *dst, size_t n, const char *what) {
    if (n == 0 || fread(dst, 1, n, f) == n) return LIGO_OK;
    if (feof(f))
        return ligo__st_err(ctx, LIGO_EFORMAT, "ligo_st_read", path, "file ends early while reading %s", what);
    return ligo__st_err(ctx, LIGO_EIO, "ligo_st_read", path, "read error in %s: %s", what, strerror(errno));
}

static ligo_status ligo__st_read_file(ligo_ctx *ctx, FILE *f, const char *path, ligo_safetensors *out) {
    const char *who = "ligo_st_read";
    unsigned char len8[8], *hdr;
    uint64_t size = 0, hl;
    ligo__st_span *spans = NULL;
    ligo_status s;
    int err = 0;
    int64_t i;
    if (!ligo__st_file_size(f, &size, &err)) {
        if (err == -1) return ligo__st_err(ctx, LIGO_EIO, who, path, "not a regular file");
        return ligo__st_err(ctx, LIGO_EIO, who, path, "cannot determine the file size: %s", strerror(err));
    }
    if (size > LIGO__ST_MAX_FILE || size > (uint64_t)SIZE_MAX)
        return ligo__st_err(ctx, LIGO_EFORMAT, who, path, "file of %llu bytes is larger than the %llu-byte limit",
                            (unsigned long long)size,
                            (unsigned long long)(LIGO__ST_MAX_FILE < (uint64_t)SIZE_MAX ? LIGO__ST_MAX_FILE
                                                                                         : (uint64_t)SIZE_MAX));
    if (size < 8)
        return ligo__st_err(ctx, LIGO_EFORMAT, who, path, "%llu bytes cannot hold the 8-byte header length (truncated?)",
                            (unsigned long long)size);
    if (ligo__st_fread(ctx, f, path, len8, 8, "the header length") != LIGO_OK) return ctx->status;
    hl = ligo__st_le64(len8);
    if ((hl > LIGO__ST_MAX_HEADER || hl > size - 8) && size > 8) {
        /* about to fail: the next byte tells a foreign file from a cut one */
        int c = fgetc(f);
        if (ligo__st_check_hlen(ctx, who, path, hl, size - 8, c == EOF ? -1 : c) != LIGO_OK) return ctx->status;
    }
    if (ligo__st_check_hlen(ctx, who, path, hl, size - 8, -1) != LIGO_OK) return ctx->status;
    /* the header is temporary: heap, not scratch, so it leaves no hole */
    hdr = (unsigned char *)LIGO_MALLOC(hl ? (size_t)hl : 1, ctx->alloc_user);
    if (!hdr) return ligo__st_err(ctx, LIGO_ENOMEM, who, path, "no memory for a %llu-byte header", (unsigned long long)hl);
    s = ligo__st_fread(ctx, f, path, hdr, (size_t)hl, "the header");
    if (s == LIGO_OK) s = ligo__st_load_header(ctx, who, path, hdr, (size_t)hl, size - 8 - hl, out, &spans);
    LIGO_FREE(hdr, ctx->alloc_user);
    if (s != LIGO_OK) return s;
    /* the spans are contiguous from 0: one sequential pass over the data */
    for (i = 0; i < out->n_entries; i++) {
        ligo_st_entry *e = &out->entries[spans[i].idx];
        size_t bytes = (size_t)(spans[i].end - spans[i].begin);
        char what[LIGO_ST_MAX_NAME + 16], pr[LIGO_ST_MAX_NAME];
        e->data = (float *)ligo_alloc_scratch(ctx, bytes);
        if (!e->data) return ctx->status;
        ligo__st_printable(pr, sizeof pr, e->name, strlen(e->name));
        snprintf(what, sizeof what, "tensor %s", pr);
        if (ligo__st_fread(ctx, f, path, e->data, bytes, what) != LIGO_OK) return ctx->status;
        ligo__st_from_le(e->data, e->n);
    }
    return LIGO_OK;
}

LIGO_API ligo_status ligo_st_read(ligo_ctx *ctx, const char *path, ligo_safetensors *out) {
    ligo_mark mark;
    ligo_status s;
    FILE *f;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_st_read: NULL path or output");
    ligo_st_init(out);
#if defined(LIGO__IO_POSIX)
    {
        /* before fopen, which would wait forever on a FIFO */
        struct stat sb;
        if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
            return ligo__st_err(ctx, LIGO_EIO, "ligo_st_read", path, "not a regular file");
    }
#endif
    f = fopen(path, "rb");
    if (!f) return ligo__st_err(ctx, LIGO_EIO, "ligo_st_read", path, "cannot open: %s", strerror(errno));
    mark = ligo_scratch_mark(ctx);
    s = ligo__st_read_file(ctx, f, path, out);
    fclose(f);
    if (s != LIGO_OK) {
        ligo_scratch_rewind(ctx, mark);
        ligo_st_init(out);
    }
    return s;
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

/* Metadata values of saved state (training and fitting), each checked
 * whole: a count in [0, 2^62] in decimal, an RNG as the 64 hex digits of
 * its four words, a finite number >= 0 as "%.17g" writes it. */
LIGO__PRIV int ligo__meta_count(const char *s, int64_t *out) {
    int64_t v = 0;
    if (!s || !*s) return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > ((int64_t)1 << 62) / 10) return 0;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return 1;
}

LIGO__PRIV int ligo__meta_rng(const char *s, ligo_rng *r) {
    ligo_rng t;
    int i, k;
    if (!s || strlen(s) != 64) return 0;
    for (i = 0; i < 4; i++) {
        uint64_t x = 0;
        for (k = 0; k < 16; k++) {
            char c = s[i * 16 + k];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) return 0;
            x = (x << 4) | (uint64_t)d;
        }
        t.s[i] = x;
    }
    *r = t;
    return 1;
}

LIGO__PRIV void ligo__meta_rng_str(const ligo_rng *r, char *out, size_t n) {
    snprintf(out, n, "%016llx%016llx%016llx%016llx", (unsigned long long)r->s[0], (unsigned long long)r->s[1],
             (unsigned long long)r->s[2], (unsigned long long)r->s[3]);
}

LIGO__PRIV int ligo__meta_real(const char *s, double *out) {
    char *end;
    double v;
    /* strtod would skip leading space and take "nan", "inf" */
    if (!s || !((*s >= '0' && *s <= '9') || *s == '.')) return 0;
    v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v) || v < 0.0) return 0;
    *out = v;
    return 1;
}

/* -------------------------------------------------------------- writing */

LIGO_API void ligo_st_init(ligo_safetensors *st) {
    if (st) memset(st, 0, sizeof *st);
}

static char *ligo__st_strdup(ligo_ctx *ctx, const char *s) {
    size_t n = strlen(s);
    char *d = (char *)ligo_alloc_scratch(ctx, n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

/* Checks one entry as the writer needs it; a message names `who`. */
static int ligo__st_check_entry(ligo_ctx *ctx, const char *who, const char *fname, const ligo_st_entry *e) {
    char pr[LIGO_ST_MAX_NAME];
    int64_t n = 1;
    int i;
    if (!memchr(e->name, '\0', LIGO_ST_MAX_NAME)) {
        ligo__st_printable(pr, 40, e->name, 32);
        ligo__st_err(ctx, LIGO_EINVAL, who, fname, "tensor name %s is too long (at most %d bytes)", pr,
                     LIGO_ST_MAX_NAME - 1);
        return 0;
    }
    ligo__st_printable(pr, sizeof pr, e->name, strlen(e->name));
    if (!ligo__utf8_valid(e->name)) {
        ligo__st_err(ctx, LIGO_EINVAL, who, fname, "tensor name %s is not valid UTF-8", pr);
        return 0;
    }
    if (strcmp(e->name, "__metadata__") == 0) {
        ligo__st_err(ctx, LIGO_EINVAL, who, fname, "the name __metadata__ is reserved for metadata");
        return 0;
    }
    if (e->ndim < 1 || e->ndim > LIGO_MAX_DIMS) {
        ligo__st_err(ctx, LIGO_EINVAL, who, fname, "tensor %s: ndim %d is outside [1, %d]", pr, e->ndim, LIGO_MAX_DIMS);
        return 0;
    }
    for (i = 0; i < e->ndim; i++) {
        if (e->shape[i] < 0) {
            ligo__st_err(ctx, LIGO_EINVAL, who, fname, "tensor %s: dim %d is %lld", pr, i, (long long)e->shape[i]);
            return 0;
        }
        if (!ligo__mul_i64(n, e->shape[i], &n) || n > INT64_MAX / 4) {
            ligo__st_err(ctx, LIGO_EOVERFLOW, who, fname, "tensor %s: shape is too large", pr);
            return 0;
        }
    }
    if (n != e->n) {
        ligo__st_err(ctx, LIGO_EINVAL, who, fname, "tensor %s: n is %lld but the shape holds %lld", pr,
                     (long long)e->n, (long long)n);
        return 0;
    }
    if (n > 0 && !e->data) {
        ligo__st_err(ctx, LIGO_EINVAL, who, fname, "tensor %s: NULL data", pr);
        return 0;
    }
    return 1;
}

LIGO_API ligo_status ligo_st_add(ligo_ctx *ctx, ligo_safetensors *st, const char *name, int ndim,
                                 const int64_t *shape, const float *data) {
    const char *who = "ligo_st_add";
    ligo_st_entry e;
    int64_t n = 0;
    size_t len;
    ligo_status s;
    int i;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!st || !name || !shape || !data) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_st_add: NULL argument");
    len = strlen(name);
    if (len >= LIGO_ST_MAX_NAME) {
        char pr[40];
        ligo__st_printable(pr, sizeof pr, name, 32);
        return ligo__st_err(ctx, LIGO_EINVAL, who, NULL, "tensor name %s of %zu bytes is too long (at most %d)", pr,
                            len, LIGO_ST_MAX_NAME - 1);
    }
    if (ndim < 1 || ndim > LIGO_MAX_DIMS)
        return ligo__st_err(ctx, LIGO_EINVAL, who, NULL, "tensor %s: ndim %d is outside [1, %d]", name, ndim,
                            LIGO_MAX_DIMS);
    s = ligo_shape_numel(ndim, shape, &n);
    if (s == LIGO_EINVAL) {
        for (i = 0; i < ndim; i++)
            if (shape[i] < 1) break;
        return ligo__st_err(ctx, LIGO_EINVAL, who, NULL, "tensor %s: dim %d is %lld; dims must be >= 1", name, i,
                            (long long)shape[i]);
    }
    if (s != LIGO_OK) return ligo__st_err(ctx, LIGO_EOVERFLOW, who, NULL, "tensor %s: shape is too large", name);
    memset(&e, 0, sizeof e);
    memcpy(e.name, name, len + 1);
    e.ndim = ndim;
    for (i = 0; i < LIGO_MAX_DIMS; i++) e.shape[i] = i < ndim ? shape[i] : 1;
    e.n = n;
    e.data = (float *)data; /* kept as given; the writer only reads it */
    if (!ligo__st_check_entry(ctx, who, NULL, &e)) return ctx->status;
    if (ligo_st_find(st, name)) return ligo__st_err(ctx, LIGO_EINVAL, who, NULL, "tensor name %s appears twice", name);
    if (st->n_entries >= st->cap_entries) {
        int64_t cap = st->cap_entries > 0 ? st->cap_entries * 2 : 16;
        size_t bytes;
        ligo_st_entry *grown;
        if (!ligo__mul_size((size_t)cap, sizeof *grown, &bytes))
            return ligo__st_err(ctx, LIGO_EOVERFLOW, who, NULL, "too many tensors");
        grown = (ligo_st_entry *)ligo_alloc_scratch(ctx, bytes);
        if (!grown) return ctx->status;
        if (st->n_entries > 0) memcpy(grown, st->entries, (size_t)st->n_entries * sizeof *grown);
        st->entries = grown;
        st->cap_entries = cap;
    }
    st->entries[st->n_entries++] = e;
    return LIGO_OK;
}

LIGO_API ligo_status ligo_st_set_meta(ligo_ctx *ctx, ligo_safetensors *st, const char *key, const char *value) {
    const char *who = "ligo_st_set_meta";
    int64_t i;
    char *v, *k;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!st || !key || !value) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_st_set_meta: NULL argument");
    if (!ligo__utf8_valid(key) || !ligo__utf8_valid(value))
        return ligo__st_err(ctx, LIGO_EINVAL, who, NULL, "key or value is not valid UTF-8");
    v = ligo__st_strdup(ctx, value);
    if (!v) return ctx->status;
    for (i = 0; i < st->n_meta; i++) {
        if (st->meta[i].key && strcmp(st->meta[i].key, key) == 0) {
            st->meta[i].value = v;
            return LIGO_OK;
        }
    }
    k = ligo__st_strdup(ctx, key);
    if (!k) return ctx->status;
    if (st->n_meta >= st->cap_meta) {
        int64_t cap = st->cap_meta > 0 ? st->cap_meta * 2 : 8;
        size_t bytes;
        ligo_st_meta *grown;
        if (!ligo__mul_size((size_t)cap, sizeof *grown, &bytes))
            return ligo__st_err(ctx, LIGO_EOVERFLOW, who, NULL, "too many metadata entries");
        grown = (ligo_st_meta *)ligo_alloc_scratch(ctx, bytes);
        if (!grown) return ctx->status;
        if (st->n_meta > 0) memcpy(grown, st->meta, (size_t)st->n_meta * sizeof *grown);
        st->meta = grown;
        st->cap_meta = cap;
    }
    st->meta[st->n_meta].key = k;
    st->meta[st->n_meta].value = v;
    st->n_meta++;
    return LIGO_OK;
}

/* A measuring-or-writing buffer: len counts every byte, p gets those that fit. */
typedef struct ligo__st_sb {
    char *p;
    size_t cap, len;
} ligo__st_sb;

static void ligo__st_put(ligo__st_sb *b, const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n; i++, b->len++)
        if (b->p && b->len < b->cap) b->p[b->len] = s[i];
}

static void ligo__st_puts(ligo__st_sb *b, const char *s) { ligo__st_put(b, s, strlen(s)); }

/* A JSON string, escaped as Python's json.dumps(ensure_ascii=False) does,
 * so the Python fixture generator yields the same bytes. */
static void ligo__st_put_json(ligo__st_sb *b, const char *s) {
    static const char hex[] = "0123456789abcdef";
    ligo__st_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[6];
        switch (c) {
        case '"': ligo__st_put(b, "\\\"", 2); break;
        case '\\': ligo__st_put(b, "\\\\", 2); break;
        case '\b': ligo__st_put(b, "\\b", 2); break;
        case '\f': ligo__st_put(b, "\\f", 2); break;
        case '\n': ligo__st_put(b, "\\n", 2); break;
        case '\r': ligo__st_put(b, "\\r", 2); break;
        case '\t': ligo__st_put(b, "\\t", 2); break;
        default:
            if (c < 0x20) {
                esc[0] = '\\';
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                ligo__st_put(b, esc, 6);
            } else {
                ligo__st_put(b, s, 1);
            }
        }
    }
    ligo__st_put(b, "\"", 1);
}

static void ligo__st_put_u64(ligo__st_sb *b, uint64_t v) {
    char tmp[24];
    int k = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    if (k > 0) ligo__st_put(b, tmp, (size_t)k);
}

/* {"__metadata__":{...},"name":{"dtype":"F32","shape":[..],"data_offsets":[b,e]},...}
 * in insertion order, offsets consecutive, then spaces up to a multiple of 8. */
static void ligo__st_build_header(ligo__st_sb *b, const ligo_safetensors *st) {
    uint64_t at = 0;
    int64_t i;
    int d;
    ligo__st_puts(b, "{");
    if (st->n_meta > 0) {
        ligo__st_puts(b, "\"__metadata__\":{");
        for (i = 0; i < st->n_meta; i++) {
            if (i) ligo__st_puts(b, ",");
            ligo__st_put_json(b, st->meta[i].key);
            ligo__st_puts(b, ":");
            ligo__st_put_json(b, st->meta[i].value);
        }
        ligo__st_puts(b, "}");
    }
    for (i = 0; i < st->n_entries; i++) {
        const ligo_st_entry *e = &st->entries[i];
        if (i || st->n_meta > 0) ligo__st_puts(b, ",");
        ligo__st_put_json(b, e->name);
        ligo__st_puts(b, ":{\"dtype\":\"F32\",\"shape\":[");
        for (d = 0; d < e->ndim; d++) {
            if (d) ligo__st_puts(b, ",");
            ligo__st_put_u64(b, (uint64_t)e->shape[d]);
        }
        ligo__st_puts(b, "],\"data_offsets\":[");
        ligo__st_put_u64(b, at);
        ligo__st_puts(b, ",");
        at += (uint64_t)e->n * 4;
        ligo__st_put_u64(b, at);
        ligo__st_puts(b, "]}");
    }
    ligo__st_puts(b, "}");
    while (b->len % 8) ligo__st_puts(b, " ");
}

/* Little-endian floats; a big-endian host swaps through a small buffer. */
static int ligo__st_write_floats(FILE *f, const float *x, int64_t n) {
    unsigned char buf[4096];
    if (n == 0) return 1;
    if (ligo__st_host_le()) return fwrite(x, 4, (size_t)n, f) == (size_t)n;
    while (n > 0) {
        int64_t k = n < (int64_t)(sizeof buf / 4) ? n : (int64_t)(sizeof buf / 4), i;
        for (i = 0; i < k; i++) {
            unsigned char *o = buf + 4 * i, t;
            memcpy(o, x + i, 4);
            t = o[0];
            o[0] = o[3];
            o[3] = t;
            t = o[1];
            o[1] = o[2];
            o[2] = t;
        }
        if (fwrite(buf, 4, (size_t)k, f) != (size_t)k) return 0;
        x += k;
        n -= k;
    }
    return 1;
}

static int ligo__st_sync(FILE *f) {
#if defined(LIGO__IO_POSIX)
    return fsync(fileno(f)) == 0;
#else
    (void)f;
    return 1;
#endif
}

static ligo_status ligo__st_write_impl(ligo_ctx *ctx, const char *path, const ligo_safetensors *st) {
    const char *who = "ligo_st_write";
    ligo__st_sb sb;
    unsigned char len8[8];
    char *tmp;
    FILE *f;
    int64_t i;
    uint64_t total = 0;
    size_t plen = strlen(path);
    const char *step;
    int err;
    if ((st->n_entries > 0 && !st->entries) || (st->n_meta > 0 && !st->meta) || st->n_entries < 0 || st->n_meta < 0)
        return ligo__st_err(ctx, LIGO_EINVAL, who, path, "the safetensors struct is not initialized");
    for (i = 0; i < st->n_entries; i++) {
        if (!ligo__st_check_entry(ctx, who, path, &st->entries[i])) return ctx->status;
        total += (uint64_t)st->entries[i].n * 4;
        if (total > (uint64_t)INT64_MAX) return ligo__st_err(ctx, LIGO_EOVERFLOW, who, path, "data is too large");
    }
    for (i = 0; i < st->n_meta; i++) {
        if (!st->meta[i].key || !st->meta[i].value)
            return ligo__st_err(ctx, LIGO_EINVAL, who, path, "metadata entry %lld has a NULL key or value", (long long)i);
        if (!ligo__utf8_valid(st->meta[i].key) || !ligo__utf8_valid(st->meta[i].value))
            return ligo__st_err(ctx, LIGO_EINVAL, who, path, "metadata entry %lld is not valid UTF-8", (long long)i);
    }
    if (!ligo__st_check_unique(ctx, LIGO_EINVAL, who, path, st)) return ctx->status;

    memset(&sb, 0, sizeof sb);
    ligo__st_build_header(&sb, st); /* measure */
    if (sb.len > LIGO__ST_MAX_HEADER)
        return ligo__st_err(ctx, LIGO_EOVERFLOW, who, path, "header of %zu bytes exceeds the limit of %llu", sb.len,
                            (unsigned long long)LIGO__ST_MAX_HEADER);
    sb.cap = sb.len;
    sb.len = 0;
    sb.p = (char *)ligo_alloc_scratch(ctx, sb.cap);
    tmp = (char *)ligo_alloc_scratch(ctx, plen + 5);
    if (!sb.p || !tmp) return ctx->status;
    ligo__st_build_header(&sb, st);
    for (i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)sb.len >> (8 * i));
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);

    f = fopen(tmp, "wb");
    if (!f) /* nothing was created, so nothing is removed (it may be someone's directory) */
        return ligo__st_err(ctx, LIGO_EIO, who, path, "cannot create %s: %s", tmp, strerror(errno));
    step = "write";
    if (fwrite(len8, 1, 8, f) != 8 || fwrite(sb.p, 1, sb.len, f) != sb.len) goto fail;
    for (i = 0; i < st->n_entries; i++)
        if (!ligo__st_write_floats(f, st->entries[i].data, st->entries[i].n)) goto fail;
    step = "flush";
    if (fflush(f) != 0) goto fail;
    step = "fsync";
    if (!ligo__st_sync(f)) goto fail;
    step = "close";
    if (fclose(f) != 0) {
        f = NULL;
        goto fail;
    }
    f = NULL;
    step = "rename";
    if (rename(tmp, path) != 0) goto fail;
    return LIGO_OK;
fail:
    err = errno;
    if (f) fclose(f);
    remove(tmp);
    return ligo__st_err(ctx, LIGO_EIO, who, path, "%s of %s failed: %s", step, tmp, strerror(err));
}

LIGO_API ligo_status ligo_st_write(ligo_ctx *ctx, const char *path, const ligo_safetensors *st) {
    ligo_mark mark;
    ligo_status s;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !st) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_st_write: NULL path or tensors");
    mark = ligo_scratch_mark(ctx);
    s = ligo__st_write_impl(ctx, path, st);
    /* the header and the temporary name are not needed after the call */
    ligo_scratch_rewind(ctx, mark);
    return s;
}
