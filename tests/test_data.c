/* test_data.c: token streams, batches, windows, MLM masking, inflate and
 * IDX against fixtures made by Python's gzip (tests/data/gen_gzip.py). */
#include "harness.h"

#include <stdlib.h>
#include <unistd.h>

static ligo_ctx *new_ctx(void) { return ligo_ctx_new(NULL); }

static void tmp_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "/tmp/ligo_data_%ld_%s", (long)getpid(), name);
}

static int write_bytes(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(p, 1, n, f) == n;
    if (f) fclose(f);
    return ok;
}

static void test_text_split_and_windows(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_tokens t;
    char text[1000];
    int32_t in[8 * 5], tg[8 * 5];
    int64_t i, k;
    int ok = 1;
    for (i = 0; i < 1000; i++) text[i] = (char)(i % 251);
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, text, 1000, &t), LIGO_OK);
    CHECK(t.n == 1000 && t.split == 900 && t.vocab == 256);
    for (i = 0; i < 1000; i++) ok &= t.data[i] == (uint16_t)(unsigned char)text[i];
    CHECK(ok);
    /* 100 validation tokens in windows of T + 1 = 6: 16 windows */
    CHECK(ligo_tokens_windows(&t, LIGO_SPLIT_VAL, 5) == 16);
    CHECK(ligo_tokens_windows(&t, LIGO_SPLIT_TRAIN, 5) == 150);
    CHECK_STATUS(ligo_tokens_window(ctx, &t, LIGO_SPLIT_VAL, 3, 5, in, tg), LIGO_OK);
    for (k = 0; k < 5; k++) ok &= in[k] == (900 + 18 + k) % 251 && tg[k] == (900 + 18 + k + 1) % 251;
    CHECK(ok);
    CHECK_STATUS(ligo_tokens_window(ctx, &t, LIGO_SPLIT_VAL, 16, 5, in, tg), LIGO_ERANGE);
    ligo_clear_error(ctx);
    ligo_ctx_free(ctx);
}

static void test_batches(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_tokens t;
    ligo_rng a, b;
    uint16_t text[600];
    int32_t in1[4 * 7], tg1[4 * 7], in2[4 * 7], tg2[4 * 7];
    int64_t i, rep;
    int shifted = 1, inside = 1;
    char bytes[600];
    for (i = 0; i < 600; i++) bytes[i] = (char)(i % 200);
    (void)text;
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, bytes, 600, &t), LIGO_OK);
    ligo_rng_seed(&a, 5);
    ligo_rng_seed(&b, 5);
    CHECK_STATUS(ligo_tokens_batch(ctx, &t, LIGO_SPLIT_TRAIN, &a, 4, 7, in1, tg1), LIGO_OK);
    CHECK_STATUS(ligo_tokens_batch(ctx, &t, LIGO_SPLIT_TRAIN, &b, 4, 7, in2, tg2), LIGO_OK);
    CHECK(memcmp(in1, in2, sizeof in1) == 0 && memcmp(tg1, tg2, sizeof tg1) == 0);
    for (rep = 0; rep < 200; rep++) {
        CHECK_STATUS(ligo_tokens_batch(ctx, &t, LIGO_SPLIT_VAL, &a, 4, 7, in1, tg1), LIGO_OK);
        for (i = 0; i < 28; i++) {
            shifted &= tg1[i] == (in1[i] + 1) % 200; /* consecutive bytes */
            /* validation holds bytes 540..599, i.e. values 140..199 */
            inside &= in1[i] >= 140 && tg1[i] >= 140;
        }
    }
    CHECK(shifted && inside);
    CHECK_STATUS(ligo_tokens_batch(ctx, &t, LIGO_SPLIT_VAL, &a, 1, 60, in1, tg1), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_tokens_batch(ctx, &t, 7, &a, 1, 3, in1, tg1), LIGO_EINVAL);
    ligo_clear_error(ctx);
    ligo_ctx_free(ctx);
}

static void put32le(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void test_gpt2_files(void) {
    ligo_ctx *ctx = new_ctx();
    enum { N = 50 };
    unsigned char buf[1024 + 2 * N + 2];
    ligo_tokens t;
    char path[256];
    int i, ok = 1;
    memset(buf, 0, sizeof buf);
    put32le(buf, 20240520);
    put32le(buf + 4, 1);
    put32le(buf + 8, N);
    for (i = 0; i < N; i++) {
        buf[1024 + 2 * i] = (unsigned char)(i * 1000 & 0xff);
        buf[1024 + 2 * i + 1] = (unsigned char)((i * 1000) >> 8);
    }
    tmp_path(path, sizeof path, "tok.bin");
    CHECK(write_bytes(path, buf, 1024 + 2 * N));
    CHECK_STATUS(ligo_tokens_load_gpt2(ctx, path, &t), LIGO_OK);
    CHECK(t.n == N && t.split == 45 && t.vocab == 50257);
    for (i = 0; i < N; i++) ok &= t.data[i] == (uint16_t)(i * 1000);
    CHECK(ok);
    CHECK_STATUS(ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N - 1, &t), LIGO_EFORMAT); /* truncated */
    CHECK(strstr(ligo_get_error(ctx), "50 tokens") != NULL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N + 2, &t), LIGO_EFORMAT); /* trailing bytes */
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_tokens_parse_gpt2(ctx, buf, 1000, &t), LIGO_EFORMAT); /* short header */
    ligo_clear_error(ctx);
    put32le(buf, 1234);
    CHECK_STATUS(ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N, &t), LIGO_EFORMAT);
    CHECK(strstr(ligo_get_error(ctx), "magic") != NULL);
    ligo_clear_error(ctx);
    put32le(buf, 20240520);
    put32le(buf + 4, 2);
    CHECK_STATUS(ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N, &t), LIGO_EFORMAT);
    ligo_clear_error(ctx);
    put32le(buf + 4, 1);
    put32le(buf + 8, 0xffffffffu);
    CHECK_STATUS(ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N, &t), LIGO_EFORMAT);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_tokens_load_gpt2(ctx, "/nonexistent/tok.bin", &t), LIGO_EIO);
    CHECK(strstr(ligo_get_error(ctx), "/nonexistent/tok.bin") != NULL);
    ligo_clear_error(ctx);
    remove(path);
    ligo_ctx_free(ctx);
}

/* Chosen with p = 0.15; of those 80% masked, 10% random, 10% kept. */
static void test_mlm_fractions(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_rng r;
    enum { N = 200000 };
    int32_t *tok = (int32_t *)malloc(N * sizeof(int32_t)), *in = (int32_t *)malloc(N * sizeof(int32_t));
    int32_t *tg = (int32_t *)malloc(N * sizeof(int32_t));
    int64_t i, chosen = 0, masked = 0, kept = 0, other = 0;
    int ignore_ok = 1;
    ligo_rng_seed(&r, 3);
    for (i = 0; i < N; i++) tok[i] = (int32_t)(i % 256);
    CHECK_STATUS(ligo_mlm_mask(ctx, &r, tok, N, 0.15f, 256, 256, -100, in, tg), LIGO_OK);
    for (i = 0; i < N; i++) {
        if (tg[i] == -100) {
            ignore_ok &= in[i] == tok[i];
            continue;
        }
        ignore_ok &= tg[i] == tok[i];
        chosen++;
        if (in[i] == 256) masked++;
        else if (in[i] == tok[i]) kept++;
        else other++;
    }
    CHECK(ignore_ok);
    CHECK_NEAR((double)chosen / N, 0.15, 0.003);
    CHECK_NEAR((double)masked / chosen, 0.8, 0.01);
    /* a random id equals the original 1 time in 256 */
    CHECK_NEAR((double)kept / chosen, 0.1 + 0.1 / 256, 0.01);
    CHECK_NEAR((double)other / chosen, 0.1 * 255 / 256, 0.01);
    /* at least one position is chosen, even at p = 0 */
    CHECK_STATUS(ligo_mlm_mask(ctx, &r, tok, 10, 0.0f, 256, 256, -100, in, tg), LIGO_OK);
    for (i = 0, chosen = 0; i < 10; i++) chosen += tg[i] != -100;
    CHECK(chosen == 1);
    CHECK_STATUS(ligo_mlm_mask(ctx, &r, tok, 10, 1.5f, 256, 256, -100, in, tg), LIGO_EINVAL);
    ligo_clear_error(ctx);
    free(tok);
    free(in);
    free(tg);
    ligo_ctx_free(ctx);
}

static void check_gz(const char *name, int btype) {
    ligo_ctx *ctx = new_ctx();
    char gz[256], txt[256];
    void *a, *b, *out;
    size_t an, bn, on;
    snprintf(gz, sizeof gz, "tests/data/%s.gz", name);
    snprintf(txt, sizeof txt, "tests/data/%s.txt", name);
    CHECK_STATUS(ligo_read_file(ctx, gz, 1 << 20, &a, &an), LIGO_OK);
    CHECK_STATUS(ligo_read_file(ctx, txt, 1 << 20, &b, &bn), LIGO_OK);
    if (ligo_get_status(ctx) != LIGO_OK) {
        ligo_ctx_free(ctx);
        return;
    }
    if (btype >= 0) CHECK_MSG((((unsigned char *)a)[10] >> 1 & 3) == btype, "%s: first block type", name);
    CHECK_STATUS(ligo_gunzip(ctx, a, an, 1 << 20, &out, &on), LIGO_OK);
    CHECK_MSG(on == bn && memcmp(out, b, bn) == 0, "%s: %zu bytes, want %zu", name, on, bn);
    ligo_ctx_free(ctx);
}

static void test_gunzip_fixtures(void) {
    check_gz("stored", 0);
    check_gz("fixed", 1);
    check_gz("dynamic", 2);
    check_gz("flags", -1);
    check_gz("multi", -1);
}

static void expect_gz_error(const unsigned char *p, size_t n, size_t cap, const char *needle, int line) {
    ligo_ctx *ctx = new_ctx();
    void *out;
    size_t on;
    ligo_status s = ligo_gunzip(ctx, p, n, cap, &out, &on);
    if (s != LIGO_EFORMAT) harness_fail(__FILE__, line, "status %s, want malformed data", ligo_status_str(s));
    if (needle && !strstr(ligo_get_error(ctx), needle))
        harness_fail(__FILE__, line, "message \"%s\" lacks \"%s\"", ligo_get_error(ctx), needle);
    ligo_ctx_free(ctx);
}

static void test_gunzip_bad(void) {
    ligo_ctx *ctx = new_ctx();
    unsigned char *p, *q;
    void *a;
    size_t n, i;
    ligo_rng r;
    CHECK_STATUS(ligo_read_file(ctx, "tests/data/dynamic.gz", 1 << 20, &a, &n), LIGO_OK);
    if (ligo_get_status(ctx) != LIGO_OK) {
        ligo_ctx_free(ctx);
        return;
    }
    p = (unsigned char *)a;
    q = (unsigned char *)malloc(n);
    memcpy(q, p, n);
    q[n - 8] ^= 1; /* CRC */
    expect_gz_error(q, n, 1 << 20, "CRC", __LINE__);
    memcpy(q, p, n);
    q[n - 4] ^= 1; /* size */
    expect_gz_error(q, n, 1 << 20, "size", __LINE__);
    expect_gz_error(p, n / 2, 1 << 20, "truncated", __LINE__);
    expect_gz_error(p, 5, 1 << 20, "header", __LINE__);
    expect_gz_error(p, n, 100, "cap", __LINE__);
    memcpy(q, p, n);
    q[0] = 0x1e;
    expect_gz_error(q, n, 1 << 20, "magic", __LINE__);
    memcpy(q, p, n);
    q[10] = (unsigned char)(q[10] | 6); /* block type 3 */
    expect_gz_error(q, n, 1 << 20, "block type", __LINE__);
    {
        /* a fixed block whose first code is a match 1 byte back: nothing
         * has been written yet */
        static const unsigned char far[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 0x03, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        expect_gz_error(far, sizeof far, 1 << 20, "too far", __LINE__);
    }
    /* random corruption: never a crash, only ok or malformed */
    ligo_rng_seed(&r, 9);
    for (i = 0; i < 3000; i++) {
        ligo_ctx *c2 = new_ctx();
        void *out;
        size_t on;
        ligo_status s;
        memcpy(q, p, n);
        q[10 + ligo_rng_below(&r, n - 10)] ^= (unsigned char)(1 + ligo_rng_below(&r, 255));
        s = ligo_gunzip(c2, q, n, 1 << 16, &out, &on);
        CHECK(s == LIGO_OK || s == LIGO_EFORMAT);
        ligo_ctx_free(c2);
    }
    free(q);
    ligo_ctx_free(ctx);
}

static void test_idx(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_images im, im2;
    void *a, *b, *c, *d;
    size_t an, bn, cn, dn;
    int i, ok = 1;
    CHECK_STATUS(ligo_images_load_idx(ctx, "tests/data/images.idx", "tests/data/labels.idx", &im), LIGO_OK);
    CHECK(im.n == 5 && im.rows == 3 && im.cols == 4 && im.n_classes == 10);
    for (i = 0; im.pixels && i < 60; i++) ok &= fabs(im.pixels[i] - (float)((i * 37) % 256) / 255.0f) < 1e-7;
    CHECK(ok);
    CHECK(im.labels && im.labels[2] == 9 && im.labels[4] == 2);
    CHECK_STATUS(ligo_images_load_idx(ctx, "tests/data/images.idx.gz", "tests/data/labels.idx.gz", &im2), LIGO_OK);
    CHECK(im2.n == 5 && im2.pixels && memcmp(im.pixels, im2.pixels, 60 * sizeof(float)) == 0);
    CHECK_STATUS(ligo_read_file(ctx, "tests/data/images.idx", 1 << 20, &a, &an), LIGO_OK);
    CHECK_STATUS(ligo_read_file(ctx, "tests/data/labels.idx", 1 << 20, &b, &bn), LIGO_OK);
    if (ligo_get_status(ctx) != LIGO_OK) {
        ligo_ctx_free(ctx);
        return;
    }
    CHECK_STATUS(ligo_images_parse_idx(ctx, a, an - 1, b, bn, &im2), LIGO_EFORMAT); /* truncated images */
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_images_parse_idx(ctx, a, an, b, bn - 1, &im2), LIGO_EFORMAT); /* a label short */
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_images_parse_idx(ctx, b, bn, a, an, &im2), LIGO_EFORMAT); /* swapped */
    CHECK(strstr(ligo_get_error(ctx), "magic") != NULL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_images_parse_idx(ctx, a, 10, b, bn, &im2), LIGO_EFORMAT);
    ligo_clear_error(ctx);
    c = malloc(an);
    memcpy(c, a, an);
    ((unsigned char *)c)[8] = 0xff; /* rows absurd */
    CHECK_STATUS(ligo_images_parse_idx(ctx, c, an, b, bn, &im2), LIGO_EFORMAT);
    ligo_clear_error(ctx);
    free(c);
    CHECK_STATUS(ligo_images_load_idx(ctx, "/nonexistent/i", "/nonexistent/l", &im2), LIGO_EIO);
    ligo_clear_error(ctx);
    {
        ligo_rng r;
        float x[2 * 12];
        int32_t y[2];
        ligo_rng_seed(&r, 1);
        CHECK_STATUS(ligo_images_batch(ctx, &im, &r, 2, x, y), LIGO_OK);
        CHECK(y[0] >= 0 && y[0] <= 9);
    }
    (void)d;
    (void)dn;
    (void)cn;
    ligo_ctx_free(ctx);
}

/* Debian's dataset-fashion-mnist, when installed. */
static void test_fashion_mnist(void) {
    ligo_ctx *ctx;
    ligo_images im;
    FILE *f = fopen("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", "rb");
    if (!f) {
        harness_skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        return;
    }
    fclose(f);
    ctx = new_ctx();
    CHECK_STATUS(ligo_images_load_idx(ctx, "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
                                      "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", &im),
                 LIGO_OK);
    CHECK(im.n == 10000 && im.rows == 28 && im.cols == 28 && im.n_classes == 10);
    ligo_ctx_free(ctx);
}

void suite_data(void) {
    RUN(test_text_split_and_windows);
    RUN(test_batches);
    RUN(test_gpt2_files);
    RUN(test_mlm_fractions);
    RUN(test_gunzip_fixtures);
    RUN(test_gunzip_bad);
    RUN(test_idx);
    RUN(test_fashion_mnist);
}
