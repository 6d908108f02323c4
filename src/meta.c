/* meta.c: the typed values saved in safetensors metadata (configs,
 * training and fitting state, operator options), each type written and
 * read by one pair of functions, so that what is saved reads back exactly:
 * integers in decimal, doubles as "%.17g" and floats as "%.9g" (both
 * round-trip exactly), RNG states as the 64 hex digits of their four
 * words. Reading is strict: the whole string, no space, no nan or inf. */
#include "ligo_internal.h"

LIGO__PRIV const char *ligo__meta_fmt_int(char *buf, int64_t v) {
    snprintf(buf, LIGO__META_LEN, "%lld", (long long)v);
    return buf;
}

LIGO__PRIV const char *ligo__meta_fmt_real(char *buf, double v) {
    snprintf(buf, LIGO__META_LEN, "%.17g", v);
    return buf;
}

LIGO__PRIV const char *ligo__meta_fmt_float(char *buf, float v) {
    snprintf(buf, LIGO__META_LEN, "%.9g", (double)v);
    return buf;
}

LIGO__PRIV const char *ligo__meta_fmt_rng(char *buf, const ligo_rng *r) {
    snprintf(buf, LIGO__META_LEN, "%016llx%016llx%016llx%016llx", (unsigned long long)r->s[0],
             (unsigned long long)r->s[1], (unsigned long long)r->s[2], (unsigned long long)r->s[3]);
    return buf;
}

LIGO__PRIV int ligo__meta_int(const char *s, int64_t lo, int64_t hi, int64_t *out) {
    uint64_t v = 0, lim;
    int neg;
    if (!s) return 0;
    neg = *s == '-';
    s += neg;
    if (!*s) return 0;
    /* accumulate the magnitude, refusing any that no int64_t holds */
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *s; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (*s < '0' || *s > '9' || v > (lim - d) / 10) return 0;
        v = v * 10 + d;
    }
    {
        int64_t x = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
        if (x < lo || x > hi) return 0;
        *out = x;
    }
    return 1;
}

LIGO__PRIV int ligo__meta_real(const char *s, double lo, double *out) {
    const char *p;
    char *end;
    double v;
    /* strtod alone would skip space and take "nan", "inf" and hex */
    if (!s || !((*s >= '0' && *s <= '9') || *s == '.' || *s == '-')) return 0;
    for (p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' || *p == '-')) return 0;
    v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v) || v < lo) return 0;
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
