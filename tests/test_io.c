/* test_io.c: safetensors reading and writing. The fixtures in tests/io/ come
 * from tests/io/gen_fixtures.py, which builds the bytes by hand from the
 * format with Python's standard library. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L /* mkfifo */
#endif
#include "harness.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#if !defined(_WIN32)
#include <sys/stat.h>
#include <sys/types.h>
#endif

/* ------------------------------------------------------------- helpers */

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float float_of(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* tests/io/NAME next to this source file (the build runs from the root). */
static void fixture_path(char *buf, size_t cap, const char *name) {
    const char *file = __FILE__, *slash = strrchr(file, '/');
    size_t dir = slash ? (size_t)(slash - file + 1) : 0;
    snprintf(buf, cap, "%.*sio/%s", (int)dir, file, name);
}

static void tmp_path(char *buf, size_t cap, const char *what) {
    snprintf(buf, cap, "%s/ligo_io_%ld_%s", harness_tmpdir(), harness_pid(), what);
}

static int exists(const char *path) { return harness_exists(path); }

/* The whole file in malloc'd memory (test side, independent of ligo). */
static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long len;
    *n = 0;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = (unsigned char *)malloc((size_t)len + 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) *n = (size_t)len;
    return buf;
}

static int spew(const char *path, const void *buf, size_t n) {
    FILE *f = fopen(path, "wb");
    int ok;
    if (!f) return 0;
    ok = fwrite(buf, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* 8-byte length + header text + data_len bytes of data (value k at byte k). */
static unsigned char *make_file(const char *header, size_t hlen, size_t data_len, size_t *n) {
    unsigned char *buf = (unsigned char *)malloc(8 + hlen + data_len + 1);
    size_t i;
    for (i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    memcpy(buf + 8, header, hlen);
    for (i = 0; i < data_len; i++) buf[8 + hlen + i] = (unsigned char)i;
    *n = 8 + hlen + data_len;
    return buf;
}

/* Parses header + data_len bytes; the status, with the message copied out. */
static ligo_status parse_header(ligo_ctx *ctx, const char *header, size_t data_len, char *msg, size_t cap) {
    size_t n;
    unsigned char *buf = make_file(header, strlen(header), data_len, &n);
    ligo_safetensors st;
    ligo_status s = ligo_st_parse(ctx, buf, n, &st);
    snprintf(msg, cap, "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    free(buf);
    return s;
}

/* ------------------------------------------------------------- fixtures */

static const uint32_t wte_bits[6] = {0x3F800000, 0xC0200000, 0x3DCCCCCD, 0x80000000, 0x7F7FFFFF, 0x00000001};
static const uint32_t lnf_bits[4] = {0x7F800000, 0x7FC12345, 0x00800000, 0x4640E6B7};
static const char *note_value = "h\xc3\xa9llo \"q\"\n\t/ \xe6\xbc\xa2 \xf0\x9f\x98\x80 \x01";

static void test_st_fixture_basic(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_safetensors st, w;
    const ligo_st_entry *e;
    char path[512], out[256];
    float wte[6], lnf[4];
    int64_t s_wte[2] = {2, 3}, s_lnf[1] = {4};
    unsigned char *want, *got;
    size_t nwant, ngot;
    int i;
    fixture_path(path, sizeof path, "basic.safetensors");
    CHECK_STATUS(ligo_st_read(ctx, path, &st), LIGO_OK);
    CHECK_MSG(ligo_get_status(ctx) == LIGO_OK, "%s", ligo_get_error(ctx));
    CHECK(st.n_entries == 2 && st.n_meta == 2);
    CHECK(strcmp(st.entries[0].name, "wte.weight") == 0 && strcmp(st.entries[1].name, "ln_f.bias") == 0);
    e = ligo_st_find(&st, "wte.weight");
    CHECK(e && e->ndim == 2 && e->shape[0] == 2 && e->shape[1] == 3 && e->shape[2] == 1 && e->n == 6);
    for (i = 0; e && i < 6; i++) CHECK_MSG(bits_of(e->data[i]) == wte_bits[i], "wte[%d] = 0x%08x", i, bits_of(e->data[i]));
    CHECK(e && ((uintptr_t)e->data % 64) == 0);
    e = ligo_st_find(&st, "ln_f.bias");
    CHECK(e && e->ndim == 1 && e->shape[0] == 4 && e->n == 4);
    for (i = 0; e && i < 4; i++) CHECK_MSG(bits_of(e->data[i]) == lnf_bits[i], "lnf[%d] = 0x%08x", i, bits_of(e->data[i]));
    CHECK(ligo_st_find(&st, "wte") == NULL && ligo_st_find(&st, "wte.weight ") == NULL);
    CHECK(ligo_st_get_meta(&st, "format") && strcmp(ligo_st_get_meta(&st, "format"), "pt") == 0);
    CHECK(ligo_st_get_meta(&st, "note") && strcmp(ligo_st_get_meta(&st, "note"), note_value) == 0);
    CHECK(ligo_st_get_meta(&st, "missing") == NULL);

    /* the same content through ligo's writer gives the generator's bytes */
    for (i = 0; i < 6; i++) wte[i] = float_of(wte_bits[i]);
    for (i = 0; i < 4; i++) lnf[i] = float_of(lnf_bits[i]);
    ligo_st_init(&w);
    CHECK_STATUS(ligo_st_set_meta(ctx, &w, "format", "pt"), LIGO_OK);
    CHECK_STATUS(ligo_st_set_meta(ctx, &w, "note", note_value), LIGO_OK);
    CHECK_STATUS(ligo_st_add(ctx, &w, "wte.weight", 2, s_wte, wte), LIGO_OK);
    CHECK_STATUS(ligo_st_add(ctx, &w, "ln_f.bias", 1, s_lnf, lnf), LIGO_OK);
    tmp_path(out, sizeof out, "basic.safetensors");
    CHECK_STATUS(ligo_st_write(ctx, out, &w), LIGO_OK);
    CHECK_MSG(ligo_get_status(ctx) == LIGO_OK, "%s", ligo_get_error(ctx));
    want = slurp(path, &nwant);
    got = slurp(out, &ngot);
    CHECK(want && got && nwant == 256 && ngot == nwant && memcmp(want, got, nwant) == 0);
    free(want);
    free(got);
    remove(out);
    ligo_ctx_free(ctx);
}

static void test_st_fixture_foreign(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_safetensors st, again;
    const ligo_st_entry *e;
    char path[512], out[256];
    int i;
    fixture_path(path, sizeof path, "foreign.safetensors");
    CHECK_STATUS(ligo_st_read(ctx, path, &st), LIGO_OK);
    CHECK_MSG(ligo_get_status(ctx) == LIGO_OK, "%s", ligo_get_error(ctx));
    CHECK(st.n_entries == 4 && st.n_meta == 2);
    /* entries keep the header's key order (sorted by the generator) */
    CHECK(strcmp(st.entries[0].name, "a.empty") == 0 && strcmp(st.entries[3].name, "\xc3\xa9\xf0\x9f\x98\x80") == 0);
    e = ligo_st_find(&st, "c.matrix");
    CHECK(e && e->ndim == 2 && e->shape[0] == 3 && e->shape[1] == 2 && e->n == 6);
    for (i = 0; e && i < 6; i++) CHECK(e->data[i] == (float)(i + 1));
    e = ligo_st_find(&st, "\xc3\xa9\xf0\x9f\x98\x80");
    CHECK(e && e->ndim == 1 && e->n == 2 && bits_of(e->data[0]) == 0xBF800000 && bits_of(e->data[1]) == 0x7FA00001);
    e = ligo_st_find(&st, "b.scalar"); /* shape [] reads as [1] */
    CHECK(e && e->ndim == 1 && e->shape[0] == 1 && e->n == 1 && e->data[0] == 42.0f);
    e = ligo_st_find(&st, "a.empty"); /* a zero-size dim: n == 0 */
    CHECK(e && e->ndim == 2 && e->shape[0] == 0 && e->shape[1] == 3 && e->n == 0 && e->data != NULL);
    CHECK(ligo_st_get_meta(&st, "\xc3\xa9t\xc3\xa9") && strcmp(ligo_st_get_meta(&st, "\xc3\xa9t\xc3\xa9"), "\xf0\x9f\x98\x80 ok") == 0);
    CHECK(ligo_st_get_meta(&st, "empty") && ligo_st_get_meta(&st, "empty")[0] == '\0');

    /* a parsed file can be written back as it is */
    tmp_path(out, sizeof out, "foreign.safetensors");
    CHECK_STATUS(ligo_st_write(ctx, out, &st), LIGO_OK);
    CHECK_STATUS(ligo_st_read(ctx, out, &again), LIGO_OK);
    CHECK_MSG(ligo_get_status(ctx) == LIGO_OK, "%s", ligo_get_error(ctx));
    CHECK(again.n_entries == 4 && again.n_meta == 2);
    for (i = 0; i < again.n_entries && i < st.n_entries; i++) {
        const ligo_st_entry *a = &st.entries[i], *b = &again.entries[i];
        CHECK(strcmp(a->name, b->name) == 0 && a->ndim == b->ndim && a->n == b->n);
        CHECK(memcmp(a->shape, b->shape, sizeof a->shape) == 0);
        CHECK(a->n == 0 || memcmp(a->data, b->data, (size_t)a->n * 4) == 0);
    }
    remove(out);
    ligo_ctx_free(ctx);
}

/* ----------------------------------------------------------- round trip */

static void test_st_roundtrip(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_safetensors w, r;
    static const uint32_t special[] = {0x7FC00000, 0xFFC00001, 0x7F800001, 0x7FBFFFFF, 0x80000000, 0x00000000,
                                       0x00000001, 0x807FFFFF, 0xFF800000, 0x7F800000, 0x3F800001, 0xFF7FFFFF};
    float a[12], b[2 * 3 * 4 * 5], c[1];
    int64_t sa[1] = {12}, sb[4] = {2, 3, 4, 5}, sc[3] = {1, 1, 1};
    const char *weird = "q\"b\\s/ nl\n cr\r tab\t bs\b ff\f c1\x01 c1f\x1f del\x7f \xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x98\x80";
    char path[256], tmp[300];
    ligo_rng rng;
    const ligo_st_entry *e;
    size_t used;
    int i;
    for (i = 0; i < 12; i++) a[i] = float_of(special[i]);
    ligo_rng_seed(&rng, 7);
    for (i = 0; i < 120; i++) b[i] = ligo_rng_normal(&rng);
    c[0] = -0.0f;
    ligo_st_init(&w);
    CHECK_STATUS(ligo_st_add(ctx, &w, "special", 1, sa, a), LIGO_OK);
    CHECK_STATUS(ligo_st_add(ctx, &w, "h.0.attn/w\xc3\xa9ight \"x\"", 4, sb, b), LIGO_OK);
    CHECK_STATUS(ligo_st_add(ctx, &w, "", 3, sc, c), LIGO_OK); /* the empty name is a name */
    CHECK_STATUS(ligo_st_set_meta(ctx, &w, "k", "first"), LIGO_OK);
    CHECK_STATUS(ligo_st_set_meta(ctx, &w, weird, weird), LIGO_OK);
    CHECK_STATUS(ligo_st_set_meta(ctx, &w, "k", "second"), LIGO_OK); /* replaces */
    CHECK(w.n_meta == 2 && strcmp(ligo_st_get_meta(&w, "k"), "second") == 0);
    tmp_path(path, sizeof path, "rt.safetensors");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    used = ligo_scratch_used(ctx);
    CHECK_STATUS(ligo_st_write(ctx, path, &w), LIGO_OK);
    CHECK_MSG(ligo_get_status(ctx) == LIGO_OK, "%s", ligo_get_error(ctx));
    CHECK(ligo_scratch_used(ctx) == used); /* the header was temporary */
    CHECK(exists(path) && !exists(tmp));
    CHECK_STATUS(ligo_st_read(ctx, path, &r), LIGO_OK);
    CHECK_MSG(ligo_get_status(ctx) == LIGO_OK, "%s", ligo_get_error(ctx));
    CHECK(r.n_entries == 3 && r.n_meta == 2);
    for (i = 0; i < 3 && i < r.n_entries; i++) {
        const ligo_st_entry *x = &w.entries[i], *y = &r.entries[i];
        CHECK(strcmp(x->name, y->name) == 0 && x->ndim == y->ndim && x->n == y->n);
        CHECK(memcmp(x->shape, y->shape, sizeof x->shape) == 0);
        CHECK(memcmp(x->data, y->data, (size_t)x->n * 4) == 0); /* bitwise: NaN payloads, -0, denormals */
        CHECK(((uintptr_t)y->data % 64) == 0);
    }
    e = ligo_st_find(&r, "");
    CHECK(e && e->ndim == 3 && bits_of(e->data[0]) == 0x80000000);
    CHECK(ligo_st_get_meta(&r, weird) && strcmp(ligo_st_get_meta(&r, weird), weird) == 0);
    CHECK(ligo_st_get_meta(&r, "k") && strcmp(ligo_st_get_meta(&r, "k"), "second") == 0);
    CHECK(strcmp(r.meta[0].key, "k") == 0); /* insertion order */

    /* an empty set writes a valid file: "{}" padded to 8 */
    ligo_st_init(&w);
    CHECK_STATUS(ligo_st_write(ctx, path, &w), LIGO_OK);
    {
        size_t n;
        unsigned char *bytes = slurp(path, &n);
        CHECK(bytes && n == 16 && bytes[0] == 8 && memcmp(bytes + 8, "{}      ", 8) == 0);
        free(bytes);
    }
    CHECK_STATUS(ligo_st_read(ctx, path, &r), LIGO_OK);
    CHECK(r.n_entries == 0 && r.n_meta == 0 && ligo_st_find(&r, "x") == NULL);
    remove(path);
    ligo_ctx_free(ctx);
}

/* ------------------------------------------------------------ bad input */

typedef struct bad_case {
    const char *header;
    size_t data_len;
    const char *want; /* in the message */
} bad_case;

#define T4(name, shape, off) "\"" name "\":{\"dtype\":\"F32\",\"shape\":" shape ",\"data_offsets\":" off "}"

static void test_st_bad_headers(void) {
    static const bad_case cases[] = {
        {"", 0, "header must start with '{'"},
        {" {}", 0, "header must start with '{'"},
        {"[]", 0, "header must start with '{'"},
        {"{", 0, "ends early"},
        {"{" T4("a", "[1]", "[0,4]"), 4, "ends early"},
        {"{\"abc", 0, "unterminated string"},
        {"{\"abc\\", 0, "unterminated string"},
        {"{\"a\\x\":1}", 0, "bad escape \\x"},
        {"{\"a\\u12G4\":1}", 0, "bad \\u escape"},
        {"{\"a\\u12", 0, "bad \\u escape"},
        {"{\"\\ud800\":1}", 0, "unpaired surrogate"},
        {"{\"\\ud800\\u0041\":1}", 0, "unpaired surrogate"},
        {"{\"\\udc00\":1}", 0, "unpaired surrogate"},
        {"{\"\xff\":1}", 0, "invalid UTF-8"},
        {"{\"\xc0\xaf\":1}", 0, "invalid UTF-8"},
        {"{\"\xed\xa0\x80\":1}", 0, "invalid UTF-8"},
        {"{\"\xe6\xbc\":1}", 0, "invalid UTF-8"},
        {"{\"a\nb\":1}", 0, "control byte 0x0a"},
        {"{} x", 0, "trailing bytes"},
        {"{}{}", 0, "trailing bytes"},
        {"{" T4("a", "[1]", "[0,4]") ",}", 4, "expected a string"},
        {"{" T4("a", "[1]", "[0,4]") " " T4("b", "[1]", "[4,8]") "}", 8, "expected '}'"},
        {"{\"a\" " T4("a", "[1]", "[0,4]") "}", 4, "expected ':'"},
        {"{\"a\":[1]}", 0, "tensor a: value must be an object"},
        {"{\"a\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2,
         "tensor a: dtype BF16 not supported (ligo reads F32)"},
        {"{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "dtype F64 not supported"},
        {"{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype f32 not supported"},
        {"{\"a\":{\"dtype\":3,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "dtype must be a string"},
        {"{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "\"dtype\" is missing"},
        {"{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "\"shape\" is missing"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "\"data_offsets\" is missing"},
        {"{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "\"dtype\" appears twice"},
        {"{" T4("wte.weight", "[10,4]", "[0,100]") "}", 100,
         "tensor wte.weight: data_offsets [0, 100] do not match shape 10x4 (160 bytes)"},
        {"{" T4("s", "[]", "[0,8]") "}", 8, "do not match shape 0-dim (4 bytes)"},
        {"{" T4("a", "[2]", "[0,8]") "," T4("b", "[2]", "[4,12]") "}", 12, "tensors a [0, 8] and b [4, 12] overlap"},
        {"{" T4("a", "[1]", "[0,4]") "," T4("b", "[1]", "[8,12]") "}", 12, "hole in the data buffer: bytes [4, 8)"},
        {"{" T4("a", "[1]", "[4,8]") "}", 8, "hole in the data buffer: bytes [0, 4)"},
        {"{" T4("a", "[1]", "[0,4]") "}", 8, "the tensors cover 4 bytes but the data buffer has 8"},
        {"{}", 4, "the tensors cover 0 bytes but the data buffer has 4"},
        {"{" T4("a", "[1]", "[0,4]") "," T4("a", "[1]", "[4,8]") "}", 8, "tensor name a appears twice"},
        {"{" T4("a", "[2]", "[0,8]") "}", 4, "data_offsets [0, 8] reach past the data buffer (4 bytes"},
        {"{" T4("a", "[0]", "[8,4]") "}", 4, "end before they begin"},
        {"{" T4("a", "[-1]", "[0,4]") "}", 4, "shape entry must be a non-negative integer"},
        {"{" T4("a", "[2.0]", "[0,8]") "}", 8, "not a fraction or exponent"},
        {"{" T4("a", "[2e0]", "[0,8]") "}", 8, "not a fraction or exponent"},
        {"{" T4("a", "[02]", "[0,8]") "}", 8, "leading zero"},
        {"{" T4("a", "[\"2\"]", "[0,8]") "}", 8, "shape entry must be a non-negative integer"},
        {"{" T4("a", "[1,1,1,1,1]", "[0,4]") "}", 4, "more than 4 dims"},
        {"{" T4("a", "[4294967296,4294967296,4294967296]", "[0,4]") "}", 4, "is too large"},
        {"{" T4("a", "[99999999999999999999]", "[0,4]") "}", 4, "is too large"},
        {"{" T4("a", "[9223372036854775808]", "[0,4]") "}", 4, "is too large"},
        {"{" T4("a", "2", "[0,8]") "}", 8, "shape must be an array"},
        {"{" T4("a", "[1]", "[-4,0]") "}", 4, "data_offsets begin must be a non-negative integer"},
        {"{" T4("a", "[1]", "[0,4.5]") "}", 4, "not a fraction or exponent"},
        {"{" T4("a", "[1]", "[0]") "}", 4, "data_offsets must be [begin, end]"},
        {"{" T4("a", "[1]", "[0,4,8]") "}", 4, "data_offsets must be [begin, end]"},
        {"{" T4("a", "[1]", "[0,18446744073709551616]") "}", 4, "is too large"},
        {"{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ value of \"k\" must be a string"},
        {"{\"__metadata__\":{\"k\":[\"v\"]}}", 0, "must be a string"},
        {"{\"__metadata__\":\"x\"}", 0, "__metadata__ must be an object"},
        {"{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0, "__metadata__ key \"k\" appears twice"},
        {"{\"__metadata__\":{},\"__metadata__\":{}}", 0, "\"__metadata__\" appears twice"},
        {"{\"__metadata__\":{\"k\":\"a\\u0000b\"}}", 0, "\\u0000"},
        {"{" T4("a\\u0000", "[1]", "[0,4]") "}", 4, "contains \\u0000"},
        {"{" T4("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "[1]", "[0,4]") "}", 4, "is too long"},
        {"{\"a\":{\"x\":tru,\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unexpected byte 't'"},
        {"{\"a\":{\"x\":-,\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "bad number"},
        {"{\"a\":{\"x\":1.,\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "bad number"},
        {"{\"a\":{\"x\":1e+,\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "bad number"},
        {"{\"a\":{\"x\":.5,\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unexpected byte '.'"},
        {"{\"a\":{\"x\":[1,],\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "unexpected byte ']'"},
        {"{\"a\":{\"x\":{\"k\" 1},\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "expected ':'"},
    };
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    char msg[600];
    size_t i, before = ligo_scratch_used(ctx);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ligo_status s = parse_header(ctx, cases[i].header, cases[i].data_len, msg, sizeof msg);
        CHECK_MSG(s == LIGO_EFORMAT, "case %d: status %s, message \"%s\"", (int)i, ligo_status_str(s), msg);
        CHECK_MSG(strstr(msg, cases[i].want) != NULL && strncmp(msg, "ligo_st_parse: ", 15) == 0,
                  "case %d: message \"%s\" lacks \"%s\"", (int)i, msg, cases[i].want);
    }
    CHECK(ligo_scratch_used(ctx) == before); /* failures leave nothing behind */

    /* things that are fine */
    CHECK_STATUS(parse_header(ctx, "{}", 0, msg, sizeof msg), LIGO_OK);
    CHECK_STATUS(parse_header(ctx, "{ }  \n\t\r ", 0, msg, sizeof msg), LIGO_OK);
    CHECK_STATUS(parse_header(ctx, "{\"__metadata__\":{}}", 0, msg, sizeof msg), LIGO_OK);
    CHECK_STATUS(parse_header(ctx, "{" T4("a", "[0]", "[0,0]") "," T4("b", "[0,5]", "[0,0]") "}", 0, msg, sizeof msg), LIGO_OK);
    CHECK_STATUS(parse_header(ctx, "{\"a\":{\"x\":{\"y\":[1,-2.5e-3,true,false,null,\"\\\"\",{}]},\"dtype\":\"F32\","
                                   "\"shape\":[1],\"data_offsets\":[0,4]}}", 4, msg, sizeof msg), LIGO_OK);
    CHECK_MSG(msg[0] == '\0', "%s", msg);
    CHECK_STATUS(parse_header(ctx, "{\"\\u00e9\\ud83d\\ude00\\/\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                              4, msg, sizeof msg), LIGO_OK);
    ligo_ctx_free(ctx);
}

static void test_st_deep_nesting(void) {
    static const int depths[] = {1, 61, 62, 63, 64, 200, 5000};
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    char msg[600];
    const char *head = "{\"a\":{\"x\":", *tail = ",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    size_t d;
    for (d = 0; d < sizeof depths / sizeof depths[0]; d++) {
        int depth = depths[d], i;
        char *hdr = (char *)malloc(strlen(head) + 2 * (size_t)depth + strlen(tail) + 1);
        size_t k = strlen(head);
        ligo_status s;
        memcpy(hdr, head, k); /* arrays only: no keys needed */
        for (i = 0; i < depth; i++) hdr[k++] = '[';
        for (i = 0; i < depth; i++) hdr[k++] = ']';
        memcpy(hdr + k, tail, strlen(tail) + 1);
        s = parse_header(ctx, hdr, 4, msg, sizeof msg);
        /* the tensor object sits at depth 2: 62 more containers fit under the cap of 64 */
        if (depth <= 62) {
            CHECK_MSG(s == LIGO_OK, "depth %d: %s", depth, msg);
        } else {
            CHECK_MSG(s == LIGO_EFORMAT && strstr(msg, "nests deeper than 64"), "depth %d: %s", depth, msg);
        }
        free(hdr);
    }
    /* unterminated deep nesting fails quickly too */
    {
        char *big = (char *)malloc(1 << 20);
        size_t k = strlen(head);
        memcpy(big, head, k);
        memset(big + k, '[', (1 << 20) - k - 1);
        big[(1 << 20) - 1] = '\0';
        CHECK_STATUS(parse_header(ctx, big, 0, msg, sizeof msg), LIGO_EFORMAT);
        CHECK(strstr(msg, "nests deeper") != NULL);
        free(big);
    }
    ligo_ctx_free(ctx);
}

static void test_st_bad_lengths(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    unsigned char buf[64];
    ligo_safetensors st;
    size_t i;
    memset(buf, 0, sizeof buf);
    for (i = 0; i < 8; i++) {
        CHECK_STATUS(ligo_st_parse(ctx, buf, i, &st), LIGO_EFORMAT);
        CHECK(strstr(ligo_get_error(ctx), "cannot hold the 8-byte header length") != NULL);
        CHECK(st.n_entries == 0 && st.entries == NULL);
        ligo_clear_error(ctx);
    }
    /* N larger than the buffer */
    buf[0] = 9;
    memcpy(buf + 8, "{}      ", 8);
    CHECK_STATUS(ligo_st_parse(ctx, buf, 16, &st), LIGO_EFORMAT);
    CHECK(strstr(ligo_get_error(ctx), "header length 9 exceeds the 8 bytes that follow it") != NULL);
    ligo_clear_error(ctx);
    /* N beyond the 100 MB cap, and absurd */
    buf[0] = 0x01;
    buf[3] = 0x10; /* 0x10000001 = 268435457 */
    CHECK_STATUS(ligo_st_parse(ctx, buf, 16, &st), LIGO_EFORMAT);
    CHECK(strstr(ligo_get_error(ctx), "exceeds the limit of 100000000 bytes") != NULL);
    ligo_clear_error(ctx);
    memset(buf, 0xFF, 8);
    CHECK_STATUS(ligo_st_parse(ctx, buf, 16, &st), LIGO_EFORMAT);
    ligo_clear_error(ctx);
    /* a text given as safetensors is named as such, not as a cut file */
    {
        static const char txt[] = "this is not a safetensors file at all";
        CHECK_STATUS(ligo_st_parse(ctx, txt, sizeof txt - 1, &st), LIGO_EFORMAT);
        CHECK_MSG(strstr(ligo_get_error(ctx), "ligo_st_parse: the buffer is not a safetensors file: its first 8 bytes "
                                              "give a header length of 2338328219631577204, more than the buffer's "
                                              "size (37 bytes)") != NULL,
                  "%s", ligo_get_error(ctx));
        ligo_clear_error(ctx);
    }
    /* a NUL after the object is not padding */
    {
        size_t n;
        unsigned char *f = make_file("{}\0", 3, 0, &n);
        CHECK_STATUS(ligo_st_parse(ctx, f, n, &st), LIGO_EFORMAT);
        CHECK(strstr(ligo_get_error(ctx), "trailing bytes") != NULL);
        ligo_clear_error(ctx);
        free(f);
    }
    /* argument errors */
    CHECK_STATUS(ligo_st_parse(ctx, NULL, 16, &st), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_parse(ctx, buf, 16, NULL), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_parse(NULL, buf, 16, &st), LIGO_EINVAL);
    /* sticky: a failed context does nothing */
    ligo_set_error(ctx, LIGO_ESHAPE, "earlier");
    CHECK_STATUS(ligo_st_parse(ctx, buf, 16, &st), LIGO_ESHAPE);
    CHECK(strcmp(ligo_get_error(ctx), "earlier") == 0);
    ligo_ctx_free(ctx);
}

/* Every strict prefix of a valid file is an error, never a crash. */
static void test_st_truncations(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    char path[512], tpath[256];
    unsigned char *full;
    size_t n, k;
    ligo_safetensors st;
    fixture_path(path, sizeof path, "foreign.safetensors");
    full = slurp(path, &n);
    CHECK(full != NULL);
    for (k = 0; full && k < n; k++) {
        unsigned char *cut = (unsigned char *)malloc(k + 1); /* exact size: ASan sees any overread */
        memcpy(cut, full, k);
        CHECK_MSG(ligo_st_parse(ctx, cut, k, &st) == LIGO_EFORMAT, "prefix %d: %s", (int)k, ligo_get_error(ctx));
        ligo_clear_error(ctx);
        free(cut);
    }
    /* through a file: the message names the path */
    tmp_path(tpath, sizeof tpath, "trunc.safetensors");
    if (full) {
        CHECK(spew(tpath, full, n - 4)); /* truncated in the data */
        CHECK_STATUS(ligo_st_read(ctx, tpath, &st), LIGO_EFORMAT);
        CHECK(strncmp(ligo_get_error(ctx), "ligo_st_read: ", 14) == 0 && strstr(ligo_get_error(ctx), tpath) != NULL);
        CHECK(strstr(ligo_get_error(ctx), "reach past the data buffer") != NULL);
        ligo_clear_error(ctx);
        CHECK(spew(tpath, full, 100)); /* truncated in the header */
        CHECK_STATUS(ligo_st_read(ctx, tpath, &st), LIGO_EFORMAT);
        CHECK(strstr(ligo_get_error(ctx), "exceeds the 92 bytes that follow it") != NULL);
        ligo_clear_error(ctx);
        CHECK(spew(tpath, full, 5)); /* truncated in the length */
        CHECK_STATUS(ligo_st_read(ctx, tpath, &st), LIGO_EFORMAT);
        CHECK(strstr(ligo_get_error(ctx), "cannot hold the 8-byte header length") != NULL);
        ligo_clear_error(ctx);
        remove(tpath);
    }
    free(full);
    ligo_ctx_free(ctx);
}

/* Random byte changes: a clean result or LIGO_EFORMAT, nothing else. */
static void test_st_mutations(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    static const char *names[2] = {"basic.safetensors", "foreign.safetensors"};
    ligo_rng rng;
    int f, it, ok = 0, bad = 0;
    ligo_rng_seed(&rng, 1234);
    for (f = 0; f < 2; f++) {
        char path[512];
        size_t n;
        unsigned char *full, *buf;
        fixture_path(path, sizeof path, names[f]);
        full = slurp(path, &n);
        CHECK(full != NULL);
        if (!full) continue;
        buf = (unsigned char *)malloc(n);
        for (it = 0; it < 3000; it++) {
            ligo_safetensors st;
            ligo_mark mark = ligo_scratch_mark(ctx);
            ligo_status s;
            int j, flips = 1 + (int)ligo_rng_below(&rng, 3);
            memcpy(buf, full, n);
            for (j = 0; j < flips; j++) {
                /* mostly in the header, where the parser works */
                size_t at = (size_t)ligo_rng_below(&rng, it % 4 ? (uint64_t)(n < 400 ? n : 400) : (uint64_t)n);
                static const char interesting[] = "{}[]\",:\\u0123456789-.eE tfn\x80\xff";
                buf[at] = ligo_rng_below(&rng, 2) ? (unsigned char)interesting[ligo_rng_below(&rng, sizeof interesting - 1)]
                                                  : (unsigned char)ligo_rng_below(&rng, 256);
            }
            s = ligo_st_parse(ctx, buf, n, &st);
            if (s == LIGO_OK) {
                int64_t i;
                ok++;
                for (i = 0; i < st.n_entries; i++) CHECK(st.entries[i].n == 0 || st.entries[i].data != NULL);
            } else {
                bad++;
                CHECK_MSG(s == LIGO_EFORMAT && strncmp(ligo_get_error(ctx), "ligo_st_parse: ", 15) == 0,
                          "%s: %s", ligo_status_str(s), ligo_get_error(ctx));
                CHECK(st.n_entries == 0 && st.entries == NULL && st.meta == NULL);
            }
            ligo_clear_error(ctx);
            ligo_scratch_rewind(ctx, mark);
        }
        free(buf);
        free(full);
    }
    CHECK(ok > 0 && bad > 0);
    ligo_ctx_free(ctx);
}

static void test_st_read_errors(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_safetensors st;
    char path[256];
    tmp_path(path, sizeof path, "does_not_exist.safetensors");
    CHECK_STATUS(ligo_st_read(ctx, path, &st), LIGO_EIO);
    CHECK(strstr(ligo_get_error(ctx), path) != NULL && strstr(ligo_get_error(ctx), strerror(ENOENT)) != NULL);
    CHECK(st.n_entries == 0);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_read(ctx, harness_tmpdir(), &st), LIGO_EIO); /* a directory */
#if !defined(_WIN32) /* Windows: fopen refuses a directory (EACCES); no FIFOs */
    CHECK(strstr(ligo_get_error(ctx), "/tmp: not a regular file") != NULL);
    ligo_clear_error(ctx);
    tmp_path(path, sizeof path, "fifo");
    if (mkfifo(path, 0600) == 0) { /* must fail at once, not wait for a writer */
        CHECK_STATUS(ligo_st_read(ctx, path, &st), LIGO_EIO);
        ligo_clear_error(ctx);
        remove(path);
    }
#endif
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_read(ctx, NULL, &st), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_read(ctx, path, NULL), LIGO_EINVAL);
    ligo_clear_error(ctx);
    /* a bad header through a file: EFORMAT naming the file */
    {
        size_t n;
        const char *hdr = "{\"wte\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}";
        unsigned char *buf = make_file(hdr, strlen(hdr), 2, &n);
        tmp_path(path, sizeof path, "bf16.safetensors");
        CHECK(spew(path, buf, n));
        CHECK_STATUS(ligo_st_read(ctx, path, &st), LIGO_EFORMAT);
        CHECK(strstr(ligo_get_error(ctx), "ligo_st_read: ") == ligo_get_error(ctx));
        CHECK(strstr(ligo_get_error(ctx), path) != NULL);
        CHECK(strstr(ligo_get_error(ctx), "tensor wte: dtype BF16 not supported (ligo reads F32)") != NULL);
        ligo_clear_error(ctx);
        remove(path);
        free(buf);
    }
    /* a text file given as a model: "X is not a safetensors file", with its
     * size, and the same through ligo_model_load */
    {
        char want[512];
        tmp_path(path, sizeof path, "text.safetensors");
        CHECK(spew(path, "ROMEO:\nWhat light through yonder window breaks?\n", 48));
        snprintf(want, sizeof want,
                 "ligo_st_read: %s is not a safetensors file: its first 8 bytes give a header length of "
                 "6271889543206358866, more than the file's size (48 bytes)",
                 path);
        CHECK_STATUS(ligo_st_read(ctx, path, &st), LIGO_EFORMAT);
        CHECK_MSG(strcmp(ligo_get_error(ctx), want) == 0, "%s", ligo_get_error(ctx));
        ligo_clear_error(ctx);
        CHECK(ligo_model_load(ctx, path) == NULL);
        CHECK_MSG(strstr(ligo_get_error(ctx), "is not a safetensors file") != NULL, "%s", ligo_get_error(ctx));
        ligo_clear_error(ctx);
        remove(path);
    }
    ligo_ctx_free(ctx);
}

/* --------------------------------------------------------------- writer */

static void test_st_writer_checks(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_safetensors w;
    float x[8] = {0};
    int64_t s1[1] = {8}, s0[2] = {2, 0}, sneg[1] = {-1}, huge[4] = {1 << 20, 1 << 20, 1 << 20, 1 << 20};
    char longname[200];
    memset(longname, 'n', sizeof longname);
    longname[LIGO_ST_MAX_NAME] = '\0'; /* 128 bytes: one too many */
    ligo_st_init(&w);
    CHECK_STATUS(ligo_st_add(ctx, &w, "a", 1, s1, x), LIGO_OK);
    CHECK_STATUS(ligo_st_add(ctx, &w, "a", 1, s1, x), LIGO_EINVAL);
    CHECK(strstr(ligo_get_error(ctx), "appears twice") != NULL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_add(ctx, &w, longname, 1, s1, x), LIGO_EINVAL);
    CHECK(strstr(ligo_get_error(ctx), "too long") != NULL);
    ligo_clear_error(ctx);
    longname[LIGO_ST_MAX_NAME - 1] = '\0'; /* 127 bytes fit */
    CHECK_STATUS(ligo_st_add(ctx, &w, longname, 1, s1, x), LIGO_OK);
    CHECK_STATUS(ligo_st_add(ctx, &w, "z", 0, s1, x), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_add(ctx, &w, "z", 5, s1, x), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_add(ctx, &w, "z", 2, s0, x), LIGO_EINVAL);
    CHECK(strstr(ligo_get_error(ctx), "dim 1 is 0") != NULL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_add(ctx, &w, "z", 1, sneg, x), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_add(ctx, &w, "z", 4, huge, x), LIGO_EOVERFLOW);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_add(ctx, &w, "z", 1, s1, NULL), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_add(ctx, &w, "__metadata__", 1, s1, x), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_add(ctx, &w, "bad\xff", 1, s1, x), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_set_meta(ctx, &w, "k", "\xc3"), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_set_meta(ctx, &w, NULL, "v"), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK(w.n_entries == 2 && w.n_meta == 0);
    /* growth past the first capacity keeps earlier entries */
    {
        int i;
        char name[16];
        for (i = 0; i < 40; i++) {
            snprintf(name, sizeof name, "t%d", i);
            CHECK_STATUS(ligo_st_add(ctx, &w, name, 1, s1, x), LIGO_OK);
        }
        for (i = 0; i < 20; i++) {
            snprintf(name, sizeof name, "k%d", i);
            CHECK_STATUS(ligo_st_set_meta(ctx, &w, name, name), LIGO_OK);
        }
        CHECK(w.n_entries == 42 && ligo_st_find(&w, "a") && ligo_st_find(&w, "t39"));
        CHECK(w.n_meta == 20 && strcmp(ligo_st_get_meta(&w, "k0"), "k0") == 0);
    }
    /* a hand-broken struct is refused by the writer */
    {
        char path[256];
        tmp_path(path, sizeof path, "broken.safetensors");
        w.entries[0].n = 7;
        CHECK_STATUS(ligo_st_write(ctx, path, &w), LIGO_EINVAL);
        CHECK(!exists(path));
        ligo_clear_error(ctx);
        w.entries[0].n = 8;
        memcpy(w.entries[1].name, "a", 2); /* now a duplicate */
        CHECK_STATUS(ligo_st_write(ctx, path, &w), LIGO_EINVAL);
        CHECK(strstr(ligo_get_error(ctx), "appears twice") != NULL && !exists(path));
        ligo_clear_error(ctx);
    }
    CHECK(ligo_st_find(NULL, "a") == NULL && ligo_st_get_meta(NULL, "a") == NULL);
    ligo_ctx_free(ctx);
}

static void test_st_atomic_write(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_safetensors w, r;
    float x[3] = {1, 2, 3}, y[3] = {4, 5, 6};
    int64_t s[1] = {3};
    char dir[256], path[300], tmp[310];
    unsigned char *before, *after;
    size_t nb, na;

    ligo_st_init(&w);
    CHECK_STATUS(ligo_st_add(ctx, &w, "x", 1, s, x), LIGO_OK);

    /* a directory that does not exist: EIO, nothing created */
    tmp_path(dir, sizeof dir, "nodir");
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    CHECK_STATUS(ligo_st_write(ctx, path, &w), LIGO_EIO);
    CHECK(strstr(ligo_get_error(ctx), path) != NULL && strstr(ligo_get_error(ctx), strerror(ENOENT)) != NULL);
    CHECK(!exists(dir));
    ligo_clear_error(ctx);

    /* a successful write leaves no temporary file */
    tmp_path(path, sizeof path, "atomic.safetensors");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK_STATUS(ligo_st_write(ctx, path, &w), LIGO_OK);
    CHECK(exists(path) && !exists(tmp));
    before = slurp(path, &nb);

    /* the temporary name is taken by a directory: EIO, target untouched,
     * and the directory (not ours) is left alone */
    CHECK(harness_mkdir(tmp) == 0);
    w.entries[0].data = y;
    CHECK_STATUS(ligo_st_write(ctx, path, &w), LIGO_EIO);
    CHECK(strstr(ligo_get_error(ctx), "ligo_st_write: ") == ligo_get_error(ctx) && strstr(ligo_get_error(ctx), tmp));
    ligo_clear_error(ctx);
    after = slurp(path, &na);
    CHECK(before && after && na == nb && memcmp(before, after, nb) == 0);
    free(after);
    CHECK(exists(tmp));
    CHECK(harness_rmdir(tmp) == 0);

    /* the rename fails (a non-empty directory is in the way): the temporary
     * file is removed */
    tmp_path(dir, sizeof dir, "isdir");
    snprintf(path, sizeof path, "%s/inner", dir);
    CHECK(harness_mkdir(dir) == 0 && harness_mkdir(path) == 0);
    snprintf(tmp, sizeof tmp, "%s.tmp", dir);
    CHECK_STATUS(ligo_st_write(ctx, dir, &w), LIGO_EIO);
    CHECK(strstr(ligo_get_error(ctx), "rename") != NULL);
    ligo_clear_error(ctx);
    CHECK(!exists(tmp) && exists(path));
    harness_rmdir(path);
    harness_rmdir(dir);

    /* and a good write over an existing file replaces it */
    tmp_path(path, sizeof path, "atomic.safetensors");
    CHECK_STATUS(ligo_st_write(ctx, path, &w), LIGO_OK);
    CHECK_STATUS(ligo_st_read(ctx, path, &r), LIGO_OK);
    CHECK(r.n_entries == 1 && r.entries[0].data[2] == 6.0f);
    CHECK_STATUS(ligo_st_write(ctx, NULL, &w), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_st_write(ctx, path, NULL), LIGO_EINVAL);
    ligo_clear_error(ctx);
    free(before);
    remove(path);
    ligo_ctx_free(ctx);
}

/* ligo_file, the same all-or-nothing write for a caller's own files: the
 * content arrives whole, a replaced file changes only at commit, and every
 * failure (a stream whose error flag an earlier operation set, a pending
 * error, an abandoned file, a missing directory) leaves the old bytes and
 * no temporary. */
static void test_file_atomic(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_file f;
    char path[300], tmp[310], dir[256], bad[300];
    unsigned char *got;
    size_t n;
    tmp_path(path, sizeof path, "own.txt");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    remove(path);

    /* a new file: nothing at PATH until commit */
    CHECK_STATUS(ligo_file_begin(ctx, path, &f), LIGO_OK);
    CHECK(f.f != NULL && exists(tmp) && !exists(path));
    fprintf(f.f, "first %d\n", 1);
    CHECK(!exists(path));
    CHECK_STATUS(ligo_file_commit(ctx, &f), LIGO_OK);
    CHECK(f.f == NULL && f.tmp == NULL && !exists(tmp));
    got = slurp(path, &n);
    CHECK(got && n == 8 && memcmp(got, "first 1\n", 8) == 0);
    free(got);

    /* replacing it: the old bytes stay until commit */
    CHECK_STATUS(ligo_file_begin(ctx, path, &f), LIGO_OK);
    fputs("second, longer\n", f.f);
    got = slurp(path, &n);
    CHECK(got && n == 8 && memcmp(got, "first 1\n", 8) == 0);
    free(got);
    CHECK_STATUS(ligo_file_commit(ctx, &f), LIGO_OK);
    got = slurp(path, &n);
    CHECK(got && n == 15 && memcmp(got, "second, longer\n", 15) == 0);
    free(got);

    /* abandoned: old file kept, temporary gone; a second abandon is harmless */
    CHECK_STATUS(ligo_file_begin(ctx, path, &f), LIGO_OK);
    fputs("never", f.f);
    ligo_file_abandon(ctx, &f);
    ligo_file_abandon(ctx, &f);
    CHECK(!exists(tmp));
    got = slurp(path, &n);
    CHECK(got && n == 15 && memcmp(got, "second, longer\n", 15) == 0);
    free(got);

    /* a failed operation on the stream (reading a write-only stream: glibc
     * returns EOF and sets the error flag, as a failed fprintf would):
     * commit refuses as "write". Not on Windows, where msvcrt leaves the
     * flag clear after such a read. */
#if !defined(_WIN32)
    CHECK_STATUS(ligo_file_begin(ctx, path, &f), LIGO_OK);
    fputs("half", f.f);
    CHECK(fgetc(f.f) == EOF && ferror(f.f));
    CHECK_STATUS(ligo_file_commit(ctx, &f), LIGO_EIO);
    CHECK(strstr(ligo_get_error(ctx), "ligo_file_commit: ") == ligo_get_error(ctx) &&
          strstr(ligo_get_error(ctx), path) != NULL && strstr(ligo_get_error(ctx), "write of ") != NULL);
    ligo_clear_error(ctx);
    CHECK(f.f == NULL && !exists(tmp));
    got = slurp(path, &n);
    CHECK(got && n == 15 && memcmp(got, "second, longer\n", 15) == 0);
    free(got);
#endif

    /* an error pending on the context: commit abandons and returns it */
    CHECK_STATUS(ligo_file_begin(ctx, path, &f), LIGO_OK);
    fputs("after an error", f.f);
    ligo_set_error(ctx, LIGO_ENOMEM, "something else failed");
    CHECK_STATUS(ligo_file_commit(ctx, &f), LIGO_ENOMEM);
    CHECK(strstr(ligo_get_error(ctx), "something else failed") != NULL);
    ligo_clear_error(ctx);
    CHECK(!exists(tmp));
    got = slurp(path, &n);
    CHECK(got && n == 15);
    free(got);

    /* a directory that does not exist: EIO naming the path and the reason,
     * and a commit of the file that never opened says so */
    tmp_path(dir, sizeof dir, "own_nodir");
    snprintf(bad, sizeof bad, "%s/x.txt", dir);
    CHECK_STATUS(ligo_file_begin(ctx, bad, &f), LIGO_EIO);
    CHECK(strstr(ligo_get_error(ctx), bad) != NULL && strstr(ligo_get_error(ctx), strerror(ENOENT)) != NULL);
    CHECK(f.f == NULL && !exists(dir));
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_file_commit(ctx, &f), LIGO_EINVAL);
    ligo_clear_error(ctx);
    ligo_file_abandon(ctx, &f);
    CHECK_STATUS(ligo_file_begin(ctx, NULL, &f), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_file_begin(ctx, path, NULL), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_file_begin(NULL, path, &f), LIGO_EINVAL);
    CHECK(f.f == NULL);
    remove(path);
    ligo_ctx_free(ctx);
}

/* ---------------------------------------------------- Hugging Face import */

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* config.json of dir with `from` replaced by `to` (the first one) */
static void edit_config(const char *dir, const char *from, const char *to) {
    char path[256], out[8192];
    size_t n;
    unsigned char *t;
    char *at;
    snprintf(path, sizeof path, "%s/config.json", dir);
    t = slurp(path, &n);
    CHECK(t != NULL);
    if (!t) return;
    t[n - 1] = t[n - 1] == '\n' ? '\0' : t[n - 1];
    at = strstr((char *)t, from);
    CHECK_MSG(at != NULL, "no %s in %s", from, path);
    if (at) {
        snprintf(out, sizeof out, "%.*s%s%s", (int)(at - (char *)t), (char *)t, to, at + strlen(from));
        write_text(path, out);
    }
    free(t);
}

/* A model exported as a Hugging Face directory imports back bitwise (every
 * family; BERT's token-type row is zeros, so its positions are unchanged),
 * and what ligo cannot hold is refused by name: an erf GELU, three-channel
 * images, relative positions, an unknown model_type, a missing field, a
 * tensor of another shape, an extra one, a missing directory. The import
 * against transformers' own files is tests/torch/test_transformers.py. */
static void test_hf_import(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    static const ligo_family fams[3] = {LIGO_GPT, LIGO_BERT, LIGO_VIT};
    char dir[128], path[256];
    int k;
    for (k = 0; k < 3; k++) {
        ligo_config c = ligo_config_default(fams[k]);
        ligo_model *m, *back;
        c.n_layer = 2, c.d_model = 16, c.n_head = 2, c.d_ff = 24;
        if (fams[k] != LIGO_VIT) c.ctx_len = 8;
        else c.patch = 14;
        m = ligo_model_new(ctx, &c);
        CHECK(m != NULL);
        if (!m) break;
        ligo_model_init(m, 5 + (uint64_t)k);
        tmp_path(dir, sizeof dir, ligo_family_name(fams[k]));
        harness_mkdir(dir);
        CHECK_STATUS(ligo_model_export_hf(ctx, m, dir), LIGO_OK);
        back = ligo_model_import_hf(ctx, dir);
        CHECK_MSG(back != NULL, "%s: %s", ligo_family_name(fams[k]), ligo_get_error(ctx));
        if (back)
            CHECK(memcmp(&back->cfg, &m->cfg, sizeof m->cfg) == 0 && back->n_floats == m->n_floats &&
                  memcmp(back->data, m->data, (size_t)m->n_floats * sizeof(float)) == 0);
        ligo_clear_error(ctx);
    }
    /* refusals, each on a fresh copy of the exported config */
    {
        static const struct {
            int fam;
            const char *from, *to, *want;
        } bad[] = {
            {1, "\"hidden_act\": \"gelu_new\"", "\"hidden_act\": \"gelu\"", "hidden_act is \"gelu\"; ligo's models use the tanh GELU"},
            {0, "\"activation_function\": \"gelu_new\"", "\"activation_function\": \"relu\"", "activation_function is \"relu\""},
            {2, "\"num_channels\": 1", "\"num_channels\": 3", "num_channels is 3; ligo's ViT reads one-channel images"},
            {1, "{", "{\"position_embedding_type\": \"relative_key\", ", "position_embedding_type is \"relative_key\""},
            {0, "\"model_type\": \"gpt2\"", "\"model_type\": \"t5\"", "model_type \"t5\" (want gpt2, bert, vit or llama)"},
            {0, "\"n_layer\"", "\"n_layers\"", "no \"n_layer\""},
            {0, "\"n_embd\": 16", "\"n_embd\": 16.5", "\"n_embd\" is not a positive integer"},
            {0, "\"n_layer\": 2", "\"n_layer\": 3", "tensor"},
            {1, "\"vocab_size\": 257", "\"vocab_size\": 256", "values, the config needs"},
        };
        int i;
        for (i = 0; i < (int)(sizeof bad / sizeof bad[0]); i++) {
            ligo_config c = ligo_config_default(fams[bad[i].fam]);
            ligo_model *m;
            c.n_layer = 2, c.d_model = 16, c.n_head = 2, c.d_ff = 24;
            if (bad[i].fam != 2) c.ctx_len = 8;
            else c.patch = 14;
            m = ligo_model_new(ctx, &c);
            tmp_path(dir, sizeof dir, "hfbad");
            harness_mkdir(dir);
            CHECK_STATUS(ligo_model_export_hf(ctx, m, dir), LIGO_OK);
            edit_config(dir, bad[i].from, bad[i].to);
            CHECK(ligo_model_import_hf(ctx, dir) == NULL);
            CHECK_MSG(strstr(ligo_get_error(ctx), bad[i].want) != NULL, "case %d: %s", i, ligo_get_error(ctx));
            ligo_clear_error(ctx);
        }
    }
    /* an extra tensor: a GPT directory whose file also holds a stray one */
    {
        ligo_config c = ligo_config_default(LIGO_GPT);
        ligo_model *m;
        ligo_safetensors st;
        int64_t sh[1] = {3};
        float x[3] = {1, 2, 3};
        c.n_layer = 1, c.d_model = 16, c.n_head = 2, c.ctx_len = 8;
        m = ligo_model_new(ctx, &c);
        tmp_path(dir, sizeof dir, "hfextra");
        harness_mkdir(dir);
        CHECK_STATUS(ligo_model_export_hf(ctx, m, dir), LIGO_OK);
        ligo_st_init(&st);
        CHECK_STATUS(ligo_model_to_st(ctx, m, &st), LIGO_OK);
        CHECK_STATUS(ligo_st_add(ctx, &st, "h.0.attn.extra", 1, sh, x), LIGO_OK);
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        CHECK_STATUS(ligo_st_write(ctx, path, &st), LIGO_OK);
        CHECK(ligo_model_import_hf(ctx, dir) == NULL);
        CHECK_MSG(strstr(ligo_get_error(ctx), "tensor h.0.attn.extra is not part of a gpt model") != NULL, "%s",
                  ligo_get_error(ctx));
        ligo_clear_error(ctx);
        remove(path);
        snprintf(path, sizeof path, "%s/config.json", dir);
        remove(path);
        harness_rmdir(dir);
    }
    CHECK(ligo_model_import_hf(ctx, NULL) == NULL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "ligo_model_import_hf: directory is NULL") != NULL, "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    CHECK(ligo_model_import_hf(ctx, "/nonexistent-hf-dir") == NULL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "/nonexistent-hf-dir/config.json") != NULL, "%s", ligo_get_error(ctx));
    for (k = 0; k < 4; k++) {
        tmp_path(dir, sizeof dir, k < 3 ? ligo_family_name(fams[k]) : "hfbad");
        snprintf(path, sizeof path, "%s/config.json", dir);
        remove(path);
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        remove(path);
        harness_rmdir(dir);
    }
    ligo_ctx_free(ctx);
}

void suite_io(void);
void suite_io(void) {
    RUN(test_hf_import);
    RUN(test_st_fixture_basic);
    RUN(test_st_fixture_foreign);
    RUN(test_st_roundtrip);
    RUN(test_st_bad_headers);
    RUN(test_st_deep_nesting);
    RUN(test_st_bad_lengths);
    RUN(test_st_truncations);
    RUN(test_st_mutations);
    RUN(test_st_read_errors);
    RUN(test_st_writer_checks);
    RUN(test_st_atomic_write);
    RUN(test_file_atomic);
}
