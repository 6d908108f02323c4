/* json.c: the JSON safetensors headers are written in: a strict reader
 * (RFC 8259: UTF-8 checked, every escape and number by the grammar,
 * nesting bounded) that reports "who: file: problem", and a writer of
 * escaped strings into a measuring buffer. */
#include "ligo_internal.h"

#define LIGO__JSON_MAX_DEPTH 64

/* ---------------------------------------------------------------- UTF-8 */

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

LIGO__PRIV int ligo__utf8_valid(const char *str) {
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), i = 0;
    while (i < n) {
        size_t k = ligo__utf8_len(s + i, n - i);
        if (k == 0) return 0;
        i += k;
    }
    return 1;
}

LIGO__PRIV void ligo__printable(char *dst, size_t cap, const char *src, size_t len) {
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

/* -------------------------------------------------------------- reading */

LIGO__PRIV int ligo__json_fail(ligo__json *J, const char *fmt, ...) {
    char msg[LIGO__ERRMSG];
    va_list ap;
    if (J->failed) return 0;
    J->failed = 1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (J->fname) ligo_set_error(J->ctx, LIGO_EFORMAT, "%s: %s: %s%s", J->who, J->fname, J->where, msg);
    else ligo_set_error(J->ctx, LIGO_EFORMAT, "%s: %s%s", J->who, J->where, msg);
    return 0;
}

LIGO__PRIV void ligo__json_ws(ligo__json *J) {
    while (J->pos < J->n) {
        unsigned char c = J->s[J->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        J->pos++;
    }
}

/* The next byte after whitespace, or -1 at the end. */
LIGO__PRIV int ligo__json_peek(ligo__json *J) {
    ligo__json_ws(J);
    return J->pos < J->n ? (int)J->s[J->pos] : -1;
}

LIGO__PRIV int ligo__json_expect(ligo__json *J, char c) {
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
LIGO__PRIV int ligo__json_string(ligo__json *J, char *dst, size_t cap, size_t *len, int *nul) {
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
LIGO__PRIV int ligo__json_uint(ligo__json *J, const char *what, uint64_t *out) {
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
LIGO__PRIV int ligo__json_skip(ligo__json *J, int depth) {
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

/* -------------------------------------------------------------- writing */

LIGO__PRIV void ligo__sb_put(ligo__sb *b, const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n; i++, b->len++)
        if (b->p && b->len < b->cap) b->p[b->len] = s[i];
}

LIGO__PRIV void ligo__sb_puts(ligo__sb *b, const char *s) { ligo__sb_put(b, s, strlen(s)); }

/* A JSON string, escaped as Python's json.dumps(ensure_ascii=False) does,
 * so the Python fixture generator yields the same bytes. */
LIGO__PRIV void ligo__json_put_string(ligo__sb *b, const char *s) {
    static const char hex[] = "0123456789abcdef";
    ligo__sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[6];
        switch (c) {
        case '"': ligo__sb_put(b, "\\\"", 2); break;
        case '\\': ligo__sb_put(b, "\\\\", 2); break;
        case '\b': ligo__sb_put(b, "\\b", 2); break;
        case '\f': ligo__sb_put(b, "\\f", 2); break;
        case '\n': ligo__sb_put(b, "\\n", 2); break;
        case '\r': ligo__sb_put(b, "\\r", 2); break;
        case '\t': ligo__sb_put(b, "\\t", 2); break;
        default:
            if (c < 0x20) {
                esc[0] = '\\';
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                ligo__sb_put(b, esc, 6);
            } else {
                ligo__sb_put(b, s, 1);
            }
        }
    }
    ligo__sb_put(b, "\"", 1);
}

LIGO__PRIV void ligo__sb_put_u64(ligo__sb *b, uint64_t v) {
    char tmp[24];
    int k = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    if (k > 0) ligo__sb_put(b, tmp, (size_t)k);
}

