/* test_data.c: token streams, batches, windows, MLM masking, whole-file
 * reads, inflate and IDX. The gzip fixtures in tests/data were made by
 * Python's gzip/zlib (tests/data/gen_gzip.py), independently of ligo's
 * inflate; tests run from the repository root. */
#include "harness.h"

#include <stdlib.h>

static ligo_ctx *new_ctx(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = 1; /* nothing here is threaded; contexts start fast */
    return ligo_ctx_new(&p);
}

static void tmp_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/ligo_data_%ld_%s", harness_tmpdir(), harness_pid(), name);
}

static int write_bytes(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(p, 1, n, f) == n;
    if (f && fclose(f) != 0) ok = 0;
    return ok;
}

static int has(ligo_ctx *ctx, const char *needle) { return strstr(ligo_get_error(ctx), needle) != NULL; }

#define CHECK_ERR(ctx, call, status, needle)                                                               \
    do {                                                                                                   \
        CHECK_STATUS(call, status);                                                                        \
        CHECK_MSG(has(ctx, needle), "message \"%s\" lacks \"%s\"", ligo_get_error(ctx), needle);           \
        ligo_clear_error(ctx);                                                                             \
    } while (0)

/* ------------------------------------------------------------------ text */

/* Bytes i % 251: the token at stream position p is p % 251. */
static void test_text_split_and_windows(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_tokens t;
    char text[1000];
    int32_t in[64], tg[64];
    int64_t i, k, T;
    int ok = 1;
    for (i = 0; i < 1000; i++) text[i] = (char)(i % 251);
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, text, 1000, &t), LIGO_OK);
    CHECK(t.n == 1000 && t.split == 900 && t.vocab == 256);
    for (i = 0; i < 1000; i++) ok &= t.data[i] == (uint16_t)(unsigned char)text[i];
    CHECK(ok);
    /* 100 validation tokens in windows of T + 1 = 6: 16 windows */
    CHECK(ligo_tokens_windows(&t, LIGO_SPLIT_VAL, 5) == 16);
    CHECK(ligo_tokens_windows(&t, LIGO_SPLIT_TRAIN, 5) == 150);
    /* every window of both splits, for several T: count floor(len / (T + 1)),
     * window k = positions lo + k (T + 1) + [0, T] */
    for (T = 1; T <= 40; T += 3) {
        int split;
        for (split = 0; split < 2; split++) {
            int64_t lo = split ? 900 : 0, len = split ? 100 : 900, nw = ligo_tokens_windows(&t, split, T);
            CHECK_MSG(nw == len / (T + 1), "T %lld split %d: %lld windows", (long long)T, split, (long long)nw);
            for (k = 0; k < nw; k++) {
                int64_t s = lo + k * (T + 1);
                CHECK_STATUS(ligo_tokens_window(ctx, &t, split, k, T, in, tg), LIGO_OK);
                for (i = 0; i < T; i++) ok &= in[i] == (s + i) % 251 && tg[i] == (s + i + 1) % 251;
            }
            CHECK_ERR(ctx, ligo_tokens_window(ctx, &t, split, nw, T, in, tg), LIGO_ERANGE, "window");
            CHECK_STATUS(ligo_tokens_window(ctx, &t, split, -1, T, in, tg), LIGO_ERANGE);
            ligo_clear_error(ctx);
        }
    }
    CHECK(ok);
    CHECK(ligo_tokens_windows(&t, LIGO_SPLIT_VAL, 99) == 1);
    CHECK(ligo_tokens_windows(&t, LIGO_SPLIT_VAL, 100) == 0);
    CHECK(ligo_tokens_windows(&t, LIGO_SPLIT_VAL, INT64_MAX) == 0);
    CHECK(ligo_tokens_windows(&t, LIGO_SPLIT_VAL, 0) == 0);
    CHECK(ligo_tokens_windows(&t, 2, 5) == 0);
    CHECK_STATUS(ligo_tokens_window(ctx, &t, LIGO_SPLIT_VAL, 0, 0, in, tg), LIGO_EINVAL);
    ligo_clear_error(ctx);
    /* splits of tiny streams: n - n / 10 */
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, text, 19, &t), LIGO_OK);
    CHECK(t.split == 18);
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, text, 9, &t), LIGO_OK);
    CHECK(t.split == 9 && ligo_tokens_windows(&t, LIGO_SPLIT_VAL, 1) == 0);
    CHECK_ERR(ctx, ligo_tokens_from_bytes(ctx, text, 1, &t), LIGO_EINVAL, "too little");
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, NULL, 10, &t), LIGO_EINVAL);
    ligo_clear_error(ctx);
    ligo_ctx_free(ctx);
}

static void test_text_file(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_tokens a, b;
    char path[256], text[517];
    int i;
    for (i = 0; i < 517; i++) text[i] = (char)(i * 7 + 3);
    tmp_path(path, sizeof path, "text.txt");
    CHECK(write_bytes(path, text, sizeof text));
    CHECK_STATUS(ligo_tokens_load_text(ctx, path, &a), LIGO_OK);
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, text, sizeof text, &b), LIGO_OK);
    CHECK(a.n == 517 && a.split == 517 - 51 && a.vocab == 256 && a.data && b.data &&
          memcmp(a.data, b.data, 517 * sizeof(uint16_t)) == 0);
    CHECK(ligo_scratch_used(ctx) == 0); /* the file's bytes are released */
    CHECK_ERR(ctx, ligo_tokens_load_text(ctx, "/nonexistent/x.txt", &a), LIGO_EIO, "/nonexistent/x.txt");
    CHECK(a.data == NULL && a.n == 0);
    CHECK(write_bytes(path, "x", 1));
    CHECK_ERR(ctx, ligo_tokens_load_text(ctx, path, &a), LIGO_EINVAL, path);
    remove(path);
    ligo_ctx_free(ctx);
}

static void put32le(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void put32be(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A GPT-2 token file of n tokens with tok(i) = f(i); buf holds 1024 + 2n. */
static void make_gpt2(unsigned char *buf, int n, int mul, int add) {
    int i;
    memset(buf, 0, 1024);
    put32le(buf, 20240520);
    put32le(buf + 4, 1);
    put32le(buf + 8, (uint32_t)n);
    for (i = 0; i < n; i++) {
        unsigned v = (unsigned)(i * mul + add) & 0xffffu;
        buf[1024 + 2 * i] = (unsigned char)(v & 0xff);
        buf[1024 + 2 * i + 1] = (unsigned char)(v >> 8);
    }
}

static void test_batches(void) {
    ligo_ctx *ctx = new_ctx();
    enum { N = 1000, B = 4, T = 7 };
    unsigned char *buf = (unsigned char *)malloc(1024 + 2 * N);
    ligo_tokens t;
    ligo_rng a, b;
    int32_t in1[B * T], tg1[B * T], in2[B * T], tg2[B * T];
    int hit[N];
    int64_t i, rep;
    int consecutive = 1, inside = 1, all_starts = 1;
    make_gpt2(buf, N, 1, 0); /* token i = i: a token names its position */
    CHECK_STATUS(ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N, &t), LIGO_OK);
    CHECK(t.n == N && t.split == 900);
    /* the same seed, the same batch; another seed, another batch */
    ligo_rng_seed(&a, 5);
    ligo_rng_seed(&b, 5);
    CHECK_STATUS(ligo_tokens_batch(ctx, &t, LIGO_SPLIT_TRAIN, &a, B, T, in1, tg1), LIGO_OK);
    CHECK_STATUS(ligo_tokens_batch(ctx, &t, LIGO_SPLIT_TRAIN, &b, B, T, in2, tg2), LIGO_OK);
    CHECK(memcmp(in1, in2, sizeof in1) == 0 && memcmp(tg1, tg2, sizeof tg1) == 0);
    CHECK(memcmp(a.s, b.s, sizeof a.s) == 0);
    ligo_rng_seed(&b, 6);
    CHECK_STATUS(ligo_tokens_batch(ctx, &t, LIGO_SPLIT_TRAIN, &b, B, T, in2, tg2), LIGO_OK);
    CHECK(memcmp(in1, in2, sizeof in1) != 0);
    /* windows are consecutive, targets shifted by one, inside the split, and
     * every valid start [lo, hi - T - 1] turns up */
    for (i = 0; i < 2; i++) {
        int split = (int)i;
        int64_t lo = split ? 900 : 0, hi = split ? 1000 : 900, s;
        memset(hit, 0, sizeof hit);
        for (rep = 0; rep < (split ? 300 : 4000); rep++) {
            int64_t bb, tt;
            CHECK_STATUS(ligo_tokens_batch(ctx, &t, split, &a, B, T, in1, tg1), LIGO_OK);
            for (bb = 0; bb < B; bb++) {
                s = in1[bb * T];
                inside &= s >= lo && s + T < hi;
                if (s >= 0 && s < N) hit[s]++;
                for (tt = 0; tt < T; tt++)
                    consecutive &= in1[bb * T + tt] == s + tt && tg1[bb * T + tt] == s + tt + 1;
            }
        }
        for (s = lo; s <= hi - T - 1; s++) all_starts &= hit[s] > 0;
        CHECK_MSG(hit[lo] > 0 && hit[hi - T - 1] > 0, "split %d: the first and last starts are drawn", split);
    }
    CHECK(consecutive && inside && all_starts);
    /* the shortest splits that still hold a window: exactly one start */
    {
        int32_t *x = (int32_t *)malloc(2 * 99 * sizeof(int32_t)), *y = (int32_t *)malloc(2 * 99 * sizeof(int32_t));
        CHECK_STATUS(ligo_tokens_batch(ctx, &t, LIGO_SPLIT_VAL, &a, 2, 99, x, y), LIGO_OK);
        CHECK(x[0] == 900 && x[99] == 900 && y[98] == 999);
        CHECK_ERR(ctx, ligo_tokens_batch(ctx, &t, LIGO_SPLIT_VAL, &a, 1, 100, x, y), LIGO_EINVAL,
                  "validation split has 100 tokens");
        free(x);
        free(y);
    }
    CHECK_ERR(ctx, ligo_tokens_batch(ctx, &t, 7, &a, 1, 3, in1, tg1), LIGO_EINVAL, "split 7");
    CHECK_ERR(ctx, ligo_tokens_batch(ctx, &t, 0, &a, 0, 3, in1, tg1), LIGO_EINVAL, "B = 0");
    CHECK_ERR(ctx, ligo_tokens_batch(ctx, &t, 0, &a, 1, 0, in1, tg1), LIGO_EINVAL, "T = 0");
    CHECK_ERR(ctx, ligo_tokens_batch(ctx, &t, 0, &a, 1, INT64_MAX, in1, tg1), LIGO_EINVAL, "ligo_tokens_batch");
    CHECK_ERR(ctx, ligo_tokens_batch(ctx, &t, 0, NULL, 1, 3, in1, tg1), LIGO_EINVAL, "NULL");
    CHECK_ERR(ctx, ligo_tokens_batch(ctx, NULL, 0, &a, 1, 3, in1, tg1), LIGO_EINVAL, "NULL");
    /* a sticky error: nothing runs */
    ligo_set_error(ctx, LIGO_ESTATE, "earlier");
    CHECK_STATUS(ligo_tokens_batch(ctx, &t, 0, &a, 1, 3, in1, tg1), LIGO_ESTATE);
    ligo_clear_error(ctx);
    free(buf);
    ligo_ctx_free(ctx);
}

/* ------------------------------------------------------------ GPT-2 files */

static void test_gpt2_files(void) {
    ligo_ctx *ctx = new_ctx();
    enum { N = 50 };
    unsigned char buf[1024 + 2 * N + 2];
    ligo_tokens t;
    char path[256];
    int i, ok = 1;
    make_gpt2(buf, N, 1000, 0);
    buf[1024 + 2 * N] = buf[1024 + 2 * N + 1] = 0;
    tmp_path(path, sizeof path, "tok.bin");
    CHECK(write_bytes(path, buf, 1024 + 2 * N));
    CHECK_STATUS(ligo_tokens_load_gpt2(ctx, path, &t), LIGO_OK);
    CHECK(t.n == N && t.split == 45 && t.vocab == 50257);
    for (i = 0; t.data && i < N; i++) ok &= t.data[i] == (uint16_t)(i * 1000);
    CHECK(ok);
    CHECK(ligo_scratch_used(ctx) == 0);
    CHECK_ERR(ctx, ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N - 1, &t), LIGO_EFORMAT, "truncated");
    CHECK(t.data == NULL && t.n == 0);
    CHECK_ERR(ctx, ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N - 2, &t), LIGO_EFORMAT, "50 tokens");
    CHECK_ERR(ctx, ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N + 2, &t), LIGO_EFORMAT, "2 trailing bytes");
    CHECK_ERR(ctx, ligo_tokens_parse_gpt2(ctx, buf, 1000, &t), LIGO_EFORMAT, "header");
    CHECK_ERR(ctx, ligo_tokens_parse_gpt2(ctx, buf, 0, &t), LIGO_EFORMAT, "header");
    put32le(buf, 1234);
    CHECK_ERR(ctx, ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N, &t), LIGO_EFORMAT, "bad magic 1234 (want 20240520)");
    CHECK(write_bytes(path, buf, 1024 + 2 * N));
    CHECK_STATUS(ligo_tokens_load_gpt2(ctx, path, &t), LIGO_EFORMAT); /* the function and the file named */
    CHECK(has(ctx, "ligo_tokens_load_gpt2: ") && has(ctx, path) && has(ctx, "bad magic"));
    ligo_clear_error(ctx);
    put32le(buf, 20240520);
    put32le(buf + 4, 2);
    CHECK_ERR(ctx, ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N, &t), LIGO_EFORMAT, "version 2");
    put32le(buf + 4, 1);
    put32le(buf + 8, 0xffffffffu);
    CHECK_ERR(ctx, ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N, &t), LIGO_EFORMAT, "negative token count -1");
    put32le(buf + 8, 0x7fffffffu);
    CHECK_ERR(ctx, ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N, &t), LIGO_EFORMAT, "truncated");
    put32le(buf + 8, 1);
    CHECK_ERR(ctx, ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2, &t), LIGO_EFORMAT, "1 tokens");
    CHECK_ERR(ctx, ligo_tokens_load_gpt2(ctx, "/nonexistent/tok.bin", &t), LIGO_EIO, "/nonexistent/tok.bin");
    CHECK_STATUS(ligo_tokens_parse_gpt2(ctx, NULL, 5, &t), LIGO_EINVAL);
    ligo_clear_error(ctx);
    /* ids beyond GPT-2's vocabulary widen it to max id + 1 */
    make_gpt2(buf, N, 1, 60000);
    CHECK_STATUS(ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N, &t), LIGO_OK);
    CHECK(t.vocab == 60000 + N && t.data && t.data[N - 1] == 60000 + N - 1);
    make_gpt2(buf, N, 0, 65535);
    CHECK_STATUS(ligo_tokens_parse_gpt2(ctx, buf, 1024 + 2 * N, &t), LIGO_OK);
    CHECK(t.vocab == 65536);
    remove(path);
    ligo_ctx_free(ctx);
}

/* ------------------------------------------------------------------- MLM */

/* Chosen with p = 0.15; of those 80% masked, 10% random, 10% kept. */
static void test_mlm_fractions(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_rng r, r2;
    enum { N = 200000 };
    int32_t *tok = (int32_t *)malloc(N * sizeof(int32_t)), *in = (int32_t *)malloc(N * sizeof(int32_t));
    int32_t *tg = (int32_t *)malloc(N * sizeof(int32_t)), *in2 = (int32_t *)malloc(N * sizeof(int32_t));
    int64_t i, chosen = 0, masked = 0, kept = 0, other = 0;
    int ignore_ok = 1, range_ok = 1;
    ligo_rng_seed(&r, 3);
    for (i = 0; i < N; i++) tok[i] = (int32_t)(i % 256);
    CHECK_STATUS(ligo_mlm_mask(ctx, &r, tok, N, 0.15f, 300, 256, -100, in, tg), LIGO_OK);
    for (i = 0; i < N; i++) {
        if (tg[i] == -100) {
            ignore_ok &= in[i] == tok[i];
            continue;
        }
        ignore_ok &= tg[i] == tok[i];
        chosen++;
        if (in[i] == 300) masked++;
        else if (in[i] == tok[i]) kept++;
        else {
            other++;
            range_ok &= in[i] >= 0 && in[i] < 256;
        }
    }
    CHECK(ignore_ok && range_ok);
    /* binomial standard deviations: 0.0008, then about 0.002 of ~30000 */
    CHECK_NEAR((double)chosen / N, 0.15, 0.004);
    CHECK_NEAR((double)masked / chosen, 0.8, 0.012);
    /* a random id equals the original 1 time in 256 */
    CHECK_NEAR((double)kept / chosen, 0.1 + 0.1 / 256, 0.01);
    CHECK_NEAR((double)other / chosen, 0.1 * 255 / 256, 0.01);
    /* the trainer's call: tokens aliasing targets gives the same result */
    ligo_rng_seed(&r, 3);
    memcpy(tg, tok, N * sizeof(int32_t));
    CHECK_STATUS(ligo_mlm_mask(ctx, &r, tg, N, 0.15f, 300, 256, -100, in2, tg), LIGO_OK);
    CHECK(memcmp(in, in2, N * sizeof(int32_t)) == 0);
    /* at least one position is chosen, even at p = 0: uniformly, and then
     * corrupted 80/10/10 */
    {
        int pos[10], n_masked = 0, trials = 4000, one = 1, t, k, every = 1;
        memset(pos, 0, sizeof pos);
        ligo_rng_seed(&r2, 11);
        for (t = 0; t < trials; t++) {
            int c = 0, where = -1;
            CHECK_STATUS(ligo_mlm_mask(ctx, &r2, tok, 10, 0.0f, 300, 256, -100, in, tg), LIGO_OK);
            for (k = 0; k < 10; k++)
                if (tg[k] != -100) {
                    c++;
                    where = k;
                    one &= tg[k] == tok[k];
                } else {
                    one &= in[k] == tok[k];
                }
            one &= c == 1;
            if (where >= 0) {
                pos[where]++;
                n_masked += in[where] == 300;
            }
        }
        CHECK(one);
        for (k = 0; k < 10; k++) every &= pos[k] > trials / 10 - 120 && pos[k] < trials / 10 + 120;
        CHECK_MSG(every, "positions of the forced choice are not uniform");
        CHECK_NEAR((double)n_masked / trials, 0.8, 0.03);
    }
    CHECK_STATUS(ligo_mlm_mask(ctx, &r, tok, 10, 1.0f, 300, 256, -100, in, tg), LIGO_OK);
    for (i = 0; i < 10; i++) ignore_ok &= tg[i] == tok[i];
    CHECK(ignore_ok);
    CHECK_ERR(ctx, ligo_mlm_mask(ctx, &r, tok, 10, 1.5f, 256, 256, -100, in, tg), LIGO_EINVAL, "prob");
    CHECK_ERR(ctx, ligo_mlm_mask(ctx, &r, tok, 10, (float)NAN, 256, 256, -100, in, tg), LIGO_EINVAL, "prob");
    CHECK_ERR(ctx, ligo_mlm_mask(ctx, &r, tok, 0, 0.15f, 256, 256, -100, in, tg), LIGO_EINVAL, "n = 0");
    CHECK_ERR(ctx, ligo_mlm_mask(ctx, &r, tok, 10, 0.15f, 256, 0, -100, in, tg), LIGO_EINVAL, "n_random = 0");
    CHECK_ERR(ctx, ligo_mlm_mask(ctx, &r, NULL, 10, 0.15f, 256, 256, -100, in, tg), LIGO_EINVAL, "NULL");
    free(tok);
    free(in);
    free(in2);
    free(tg);
    ligo_ctx_free(ctx);
}

/* ----------------------------------------------------------------- files */

static void test_read_file(void) {
    ligo_ctx *ctx = new_ctx();
    char path[256];
    void *p;
    size_t n;
    tmp_path(path, sizeof path, "read.bin");
    CHECK(write_bytes(path, "0123456789", 10));
    CHECK_STATUS(ligo_read_file(ctx, path, 10, &p, &n), LIGO_OK);
    CHECK(n == 10 && p && memcmp(p, "0123456789", 11) == 0); /* and a zero after the data */
    CHECK_ERR(ctx, ligo_read_file(ctx, path, 9, &p, &n), LIGO_EFORMAT, "exceeds the cap");
    CHECK(p == NULL && n == 0);
    CHECK(write_bytes(path, "", 0));
    CHECK_STATUS(ligo_read_file(ctx, path, 10, &p, &n), LIGO_OK);
    CHECK(n == 0 && p != NULL);
    CHECK_ERR(ctx, ligo_read_file(ctx, "/nonexistent/file", 10, &p, &n), LIGO_EIO,
              "ligo_read_file: /nonexistent/file: No such file");
    CHECK_ERR(ctx, ligo_read_file(ctx, "tests/data", 1 << 20, &p, &n), LIGO_EIO, "tests/data: ");
    CHECK_ERR(ctx, ligo_read_file(ctx, NULL, 10, &p, &n), LIGO_EINVAL, "NULL");
    /* a file without a size (procfs): read as a stream */
    {
        FILE *f = fopen("/proc/self/status", "rb");
        if (f) {
            fclose(f);
            CHECK_STATUS(ligo_read_file(ctx, "/proc/self/status", 1 << 20, &p, &n), LIGO_OK);
            CHECK(n > 10 && p && strstr((const char *)p, "Name:") != NULL && strlen((const char *)p) == n);
            CHECK_ERR(ctx, ligo_read_file(ctx, "/proc/self/status", 10, &p, &n), LIGO_EFORMAT, "cap");
        }
    }
    remove(path);
    ligo_ctx_free(ctx);
}

/* ---------------------------------------------------------------- gunzip */

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
    CHECK_MSG(ligo_get_status(ctx) == LIGO_OK && on == bn && memcmp(out, b, bn) == 0, "%s: %zu bytes, want %zu (%s)",
              name, on, bn, ligo_get_error(ctx));
    /* exactly the size fits the cap; one byte less does not */
    CHECK_STATUS(ligo_gunzip(ctx, a, an, bn, &out, &on), LIGO_OK);
    if (bn > 0) {
        CHECK_STATUS(ligo_gunzip(ctx, a, an, bn - 1, &out, &on), LIGO_EFORMAT);
        CHECK_MSG(has(ctx, "exceeds the cap"), "%s: %s", name, ligo_get_error(ctx));
    }
    ligo_ctx_free(ctx);
}

static void test_gunzip_fixtures(void) {
    check_gz("stored", 0);
    check_gz("fixed", 1);
    check_gz("dynamic", 2);
    check_gz("flags", -1);
    check_gz("multi", -1);
    check_gz("empty", 1);
    check_gz("hcrc", -1);
    check_gz("sync", -1);
}

/* Members read from fixtures, concatenated in memory. */
static size_t load_fixture(ligo_ctx *ctx, const char *path, unsigned char *dst, size_t cap) {
    void *p;
    size_t n;
    if (ligo_read_file(ctx, path, cap, &p, &n) != LIGO_OK) return 0;
    memcpy(dst, p, n);
    return n;
}

static void test_gunzip_members(void) {
    ligo_ctx *ctx = new_ctx();
    unsigned char buf[4096], want[4096];
    size_t n = 0, wn = 0, on;
    void *out;
    n += load_fixture(ctx, "tests/data/fixed.gz", buf + n, sizeof buf - n);
    n += load_fixture(ctx, "tests/data/empty.gz", buf + n, sizeof buf - n);
    n += load_fixture(ctx, "tests/data/stored.gz", buf + n, sizeof buf - n);
    n += load_fixture(ctx, "tests/data/empty.gz", buf + n, sizeof buf - n);
    wn += load_fixture(ctx, "tests/data/fixed.txt", want + wn, sizeof want - wn);
    wn += load_fixture(ctx, "tests/data/stored.txt", want + wn, sizeof want - wn);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_OK);
    CHECK(wn == 31 + 700);
    CHECK_STATUS(ligo_gunzip(ctx, buf, n, 1 << 20, &out, &on), LIGO_OK);
    CHECK(on == wn && memcmp(out, want, wn) == 0);
    /* bytes after the last member that are not a member */
    buf[n] = 0;
    CHECK_ERR(ctx, ligo_gunzip(ctx, buf, n + 1, 1 << 20, &out, &on), LIGO_EFORMAT, "member 5");
    buf[n] = 0x1f;
    buf[n + 1] = 0x8b;
    CHECK_ERR(ctx, ligo_gunzip(ctx, buf, n + 2, 1 << 20, &out, &on), LIGO_EFORMAT, "header is truncated");
    /* the cap counts every member */
    CHECK_ERR(ctx, ligo_gunzip(ctx, buf, n, wn - 1, &out, &on), LIGO_EFORMAT, "cap");
    {
        /* a second member whose first match reaches into the first member's
         * output: each member stands alone */
        static const unsigned char far[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 0x03, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        size_t m = load_fixture(ctx, "tests/data/fixed.gz", buf, sizeof buf);
        memcpy(buf + m, far, sizeof far);
        CHECK_ERR(ctx, ligo_gunzip(ctx, buf, m + sizeof far, 1 << 20, &out, &on), LIGO_EFORMAT, "too far");
    }
    /* a zero-size input, and the empty member with a zero cap */
    CHECK_ERR(ctx, ligo_gunzip(ctx, buf, 0, 100, &out, &on), LIGO_EFORMAT, "truncated");
    n = load_fixture(ctx, "tests/data/empty.gz", buf, sizeof buf);
    CHECK_STATUS(ligo_gunzip(ctx, buf, n, 0, &out, &on), LIGO_OK);
    CHECK(on == 0 && out != NULL);
    CHECK_STATUS(ligo_gunzip(ctx, NULL, 3, 0, &out, &on), LIGO_EINVAL);
    ligo_clear_error(ctx);
    ligo_ctx_free(ctx);
}

static void expect_gz_error(const unsigned char *p, size_t n, size_t cap, const char *needle, int line) {
    ligo_ctx *ctx = new_ctx();
    void *out;
    size_t on;
    ligo_status s = ligo_gunzip(ctx, p, n, cap, &out, &on);
    if (s != LIGO_EFORMAT) harness_fail(__FILE__, line, "status %s, want malformed data", ligo_status_str(s));
    if (needle && !strstr(ligo_get_error(ctx), needle))
        harness_fail(__FILE__, line, "message \"%s\" lacks \"%s\"", ligo_get_error(ctx), needle);
    if (strncmp(ligo_get_error(ctx), "ligo_gunzip: ", 13) != 0)
        harness_fail(__FILE__, line, "message \"%s\" does not name ligo_gunzip", ligo_get_error(ctx));
    ligo_ctx_free(ctx);
}

/* Deflate bits, LSB first, after a 10-byte gzip header without flags. */
typedef struct bitw {
    unsigned char buf[128];
    size_t n;
    int bit;
} bitw;

static void bw_init(bitw *w) {
    static const unsigned char hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    memset(w, 0, sizeof *w);
    memcpy(w->buf, hdr, 10);
    w->n = 10;
}

static void bw_put(bitw *w, unsigned v, int nbits) {
    int i;
    for (i = 0; i < nbits; i++) {
        if (w->bit == 0) w->buf[w->n++] = 0;
        w->buf[w->n - 1] |= (unsigned char)((i < 32 ? (v >> i) & 1u : 0u) << w->bit);
        w->bit = (w->bit + 1) & 7;
    }
}

/* A dynamic block header: HLIT 257, HDIST 1, HCLEN 4 (code-length codes of
 * symbols 16, 17, 18, 0 get lens[0..3]), then `first` (one bit) and zeros. */
static void bw_dynamic(bitw *w, const unsigned *lens, unsigned first) {
    int i;
    bw_init(w);
    bw_put(w, 1, 1); /* BFINAL */
    bw_put(w, 2, 2); /* dynamic */
    bw_put(w, 0, 5);
    bw_put(w, 0, 5);
    bw_put(w, 0, 4);
    for (i = 0; i < 4; i++) bw_put(w, lens[i], 3);
    bw_put(w, first, 1);
    bw_put(w, 0, 32);
    w->n += 48; /* zero bits: room for 258 one-bit codes and a trailer */
}

static void test_gunzip_bad(void) {
    ligo_ctx *ctx = new_ctx(), *c2 = new_ctx();
    unsigned char *p, *q;
    void *a;
    size_t n, i;
    ligo_rng r;
    ligo_mark mk;
    int only_ok_or_format = 1, prefixes_fail = 1;
    CHECK_STATUS(ligo_read_file(ctx, "tests/data/dynamic.gz", 1 << 20, &a, &n), LIGO_OK);
    if (ligo_get_status(ctx) != LIGO_OK) {
        ligo_ctx_free(ctx);
        ligo_ctx_free(c2);
        return;
    }
    p = (unsigned char *)a;
    q = (unsigned char *)malloc(n + 16);
    memcpy(q, p, n);
    q[n - 8] ^= 1; /* CRC */
    expect_gz_error(q, n, 1 << 20, "CRC-32 mismatch", __LINE__);
    memcpy(q, p, n);
    q[n - 4] ^= 1; /* size */
    expect_gz_error(q, n, 1 << 20, "size mismatch", __LINE__);
    expect_gz_error(p, n / 2, 1 << 20, "truncated", __LINE__);
    expect_gz_error(p, n - 1, 1 << 20, "trailer is truncated", __LINE__);
    expect_gz_error(p, 5, 1 << 20, "header", __LINE__);
    expect_gz_error(p, n, 100, "cap", __LINE__);
    memcpy(q, p, n);
    q[0] = 0x1e;
    expect_gz_error(q, n, 1 << 20, "magic", __LINE__);
    memcpy(q, p, n);
    q[2] = 7;
    expect_gz_error(q, n, 1 << 20, "compression method", __LINE__);
    memcpy(q, p, n);
    q[3] = 0x20;
    expect_gz_error(q, n, 1 << 20, "reserved", __LINE__);
    memcpy(q, p, n);
    q[10] = (unsigned char)(q[10] | 6); /* block type 3 */
    expect_gz_error(q, n, 1 << 20, "block type", __LINE__);
    {
        /* a fixed block whose first code is a match 1 byte back: nothing
         * has been written yet */
        static const unsigned char far[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 0x03, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        expect_gz_error(far, sizeof far, 1 << 20, "too far", __LINE__);
    }
    {
        /* header flags whose fields run off the end */
        static const unsigned char name[] = {0x1f, 0x8b, 8, 8, 0, 0, 0, 0, 0, 0xff, 'a', 'b'};
        static const unsigned char extra[] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 200, 0, 1, 2};
        static const unsigned char comment[] = {0x1f, 0x8b, 8, 16, 0, 0, 0, 0, 0, 0xff, 'c'};
        static const unsigned char hcrc[] = {0x1f, 0x8b, 8, 2, 0, 0, 0, 0, 0, 0xff, 0};
        expect_gz_error(name, sizeof name, 100, "file name", __LINE__);
        expect_gz_error(extra, sizeof extra, 100, "extra field", __LINE__);
        expect_gz_error(comment, sizeof comment, 100, "comment", __LINE__);
        expect_gz_error(hcrc, sizeof hcrc, 100, "header CRC", __LINE__);
    }
    {
        /* a header CRC that does not match */
        unsigned char h[128];
        size_t hn = load_fixture(ctx, "tests/data/hcrc.gz", h, sizeof h);
        CHECK(hn > 20 && (h[3] & 2));
        h[16] ^= 1; /* inside the FNAME field ("h.txt") */
        expect_gz_error(h, hn, 100, "header CRC mismatch", __LINE__);
    }
    {
        /* a stored block whose NLEN is not LEN's complement */
        unsigned char s[1024];
        size_t sn = load_fixture(ctx, "tests/data/stored.gz", s, sizeof s);
        CHECK(sn > 20 && (s[10] & 6) == 0);
        s[13] ^= 1;
        expect_gz_error(s, sn, 1 << 20, "complement", __LINE__);
    }
    {
        /* dynamic blocks with broken code-length codes */
        static const unsigned over[4] = {1, 1, 1, 1}, incomplete[4] = {0, 0, 0, 1}, none[4] = {0, 0, 0, 0};
        static const unsigned rep_first[4] = {1, 0, 0, 1}; /* symbols 0 (code 0) and 16 (code 1) */
        bitw w;
        bw_dynamic(&w, over, 0);
        expect_gz_error(w.buf, w.n, 100, "over-subscribed code-length code", __LINE__);
        bw_dynamic(&w, incomplete, 0);
        expect_gz_error(w.buf, w.n, 100, "code-length code", __LINE__);
        bw_dynamic(&w, none, 0);
        expect_gz_error(w.buf, w.n, 100, "code-length code", __LINE__);
        bw_dynamic(&w, rep_first, 1); /* a repeat (16) before any length */
        expect_gz_error(w.buf, w.n, 100, "no previous length", __LINE__);
        bw_dynamic(&w, rep_first, 0); /* lengths 0 only: no end-of-block code */
        expect_gz_error(w.buf, w.n, 100, "end-of-block", __LINE__);
        /* HLIT 287 is beyond 286 */
        bw_init(&w);
        bw_put(&w, 1, 1);
        bw_put(&w, 2, 2);
        bw_put(&w, 30, 5);
        bw_put(&w, 0, 5 + 4 + 32);
        expect_gz_error(w.buf, w.n, 100, "too many", __LINE__);
    }
    /* every proper prefix fails cleanly */
    mk = ligo_scratch_mark(c2);
    for (i = 0; i < n; i++) {
        void *out;
        size_t on;
        prefixes_fail &= ligo_gunzip(c2, p, i, 1 << 16, &out, &on) == LIGO_EFORMAT;
        ligo_clear_error(c2);
        ligo_scratch_rewind(c2, mk);
    }
    CHECK(prefixes_fail);
    /* random corruption: never a crash, only ok or malformed */
    ligo_rng_seed(&r, 9);
    for (i = 0; i < 3000; i++) {
        void *out;
        size_t on, k, flips = 1 + (size_t)ligo_rng_below(&r, 3);
        ligo_status s;
        memcpy(q, p, n);
        for (k = 0; k < flips; k++) q[10 + ligo_rng_below(&r, n - 10)] ^= (unsigned char)(1 + ligo_rng_below(&r, 255));
        s = ligo_gunzip(c2, q, n, 1 << 16, &out, &on);
        only_ok_or_format &= s == LIGO_OK || s == LIGO_EFORMAT;
        ligo_clear_error(c2);
        ligo_scratch_rewind(c2, mk);
    }
    CHECK(only_ok_or_format);
    free(q);
    ligo_ctx_free(c2);
    ligo_ctx_free(ctx);
}

/* ------------------------------------------------------------------- IDX */

/* n images of rows x cols with pixel j of image i = (i * 50 + j * 13) % 256
 * (image 5 pixel 0 is 250, ...), labels i % 10; into malloc'd buffers. */
static unsigned char *make_idx_images(uint32_t n, uint32_t rows, uint32_t cols, size_t *len) {
    size_t px = (size_t)rows * cols, i, j;
    unsigned char *b = (unsigned char *)malloc(16 + n * px);
    put32be(b, 0x803);
    put32be(b + 4, n);
    put32be(b + 8, rows);
    put32be(b + 12, cols);
    for (i = 0; i < n; i++)
        for (j = 0; j < px; j++) b[16 + i * px + j] = (unsigned char)((i * 50 + j * 13) % 256);
    *len = 16 + n * px;
    return b;
}

static unsigned char *make_idx_labels(uint32_t n, size_t *len) {
    unsigned char *b = (unsigned char *)malloc(8 + n);
    size_t i;
    put32be(b, 0x801);
    put32be(b + 4, n);
    for (i = 0; i < n; i++) b[8 + i] = (unsigned char)(i % 10);
    *len = 8 + n;
    return b;
}

static void test_idx_buffers(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_images im;
    size_t in_, ln_, i;
    unsigned char *img = make_idx_images(12, 5, 3, &in_), *lbl = make_idx_labels(12, &ln_);
    int ok = 1;
    img[16 + 7] = 255;
    img[16 + 8] = 0;
    CHECK_STATUS(ligo_images_parse_idx(ctx, img, in_, lbl, ln_, &im), LIGO_OK);
    CHECK(im.n == 12 && im.rows == 5 && im.cols == 3 && im.n_classes == 10);
    /* the quotient rounded to float: the outer cast matters where float
     * expressions are evaluated in double (s390x, gcc -std=c99) */
    for (i = 0; im.pixels && i < 12 * 15; i++) ok &= im.pixels[i] == (float)((float)img[16 + i] / 255.0f);
    CHECK(ok && im.pixels[7] == 1.0f && im.pixels[8] == 0.0f);
    for (i = 0; im.labels && i < 12; i++) ok &= im.labels[i] == (int32_t)(i % 10);
    CHECK(ok);
    CHECK(ligo_scratch_used(ctx) == 0);
    {
        /* batches: deterministic, each image with its own label */
        ligo_rng r1, r2;
        float x1[6 * 15], x2[6 * 15];
        int32_t y1[6], y2[6];
        int b, match = 1;
        ligo_rng_seed(&r1, 4);
        ligo_rng_seed(&r2, 4);
        CHECK_STATUS(ligo_images_batch(ctx, &im, &r1, 6, x1, y1), LIGO_OK);
        CHECK_STATUS(ligo_images_batch(ctx, &im, &r2, 6, x2, y2), LIGO_OK);
        CHECK(memcmp(x1, x2, sizeof x1) == 0 && memcmp(y1, y2, sizeof y1) == 0);
        for (b = 0; b < 6; b++) {
            /* image k has label k % 10 and first pixel (k * 50) % 256 */
            int k, found = 0;
            for (k = y1[b]; k < 12; k += 10) found |= x1[b * 15 + 1] == im.pixels[k * 15 + 1] &&
                                                      memcmp(x1 + b * 15, im.pixels + k * 15, 15 * sizeof(float)) == 0;
            match &= found;
        }
        CHECK(match);
        CHECK_ERR(ctx, ligo_images_batch(ctx, &im, &r1, 0, x1, y1), LIGO_EINVAL, "B = 0");
        CHECK_ERR(ctx, ligo_images_batch(ctx, &im, NULL, 1, x1, y1), LIGO_EINVAL, "NULL");
    }
    /* truncated and trailing bytes, both files */
    CHECK_ERR(ctx, ligo_images_parse_idx(ctx, img, in_ - 1, lbl, ln_, &im), LIGO_EFORMAT, "images: truncated");
    CHECK(im.pixels == NULL && im.n == 0);
    CHECK_ERR(ctx, ligo_images_parse_idx(ctx, img, 15, lbl, ln_, &im), LIGO_EFORMAT, "16-byte");
    CHECK_ERR(ctx, ligo_images_parse_idx(ctx, img, 3, lbl, ln_, &im), LIGO_EFORMAT, "16-byte");
    CHECK_ERR(ctx, ligo_images_parse_idx(ctx, img, in_, lbl, 7, &im), LIGO_EFORMAT, "8-byte");
    CHECK_ERR(ctx, ligo_images_parse_idx(ctx, img, in_, lbl, ln_ - 1, &im), LIGO_EFORMAT, "labels");
    {
        unsigned char *big = (unsigned char *)malloc(in_ + 5);
        memcpy(big, img, in_);
        memset(big + in_, 0, 5);
        CHECK_ERR(ctx, ligo_images_parse_idx(ctx, big, in_ + 5, lbl, ln_, &im), LIGO_EFORMAT, "5 trailing bytes");
        free(big);
    }
    /* swapped files, wrong magic */
    CHECK_ERR(ctx, ligo_images_parse_idx(ctx, lbl, ln_, img, in_, &im), LIGO_EFORMAT, "magic 0x00000801");
    put32be(lbl, 0x802);
    CHECK_ERR(ctx, ligo_images_parse_idx(ctx, img, in_, lbl, ln_, &im), LIGO_EFORMAT, "labels: bad magic");
    put32be(lbl, 0x801);
    /* the headers' counts disagree (each file consistent in itself) */
    {
        size_t l2n;
        unsigned char *l2 = make_idx_labels(11, &l2n);
        CHECK_ERR(ctx, ligo_images_parse_idx(ctx, img, in_, l2, l2n, &im), LIGO_EFORMAT, "11 labels for 12 images");
        free(l2);
    }
    /* zero and absurd dimensions */
    put32be(img + 4, 0);
    CHECK_ERR(ctx, ligo_images_parse_idx(ctx, img, in_, lbl, ln_, &im), LIGO_EFORMAT, "0 images");
    put32be(img + 4, 12);
    put32be(img + 12, 0);
    CHECK_ERR(ctx, ligo_images_parse_idx(ctx, img, in_, lbl, ln_, &im), LIGO_EFORMAT, "empty dimension");
    put32be(img + 8, 0xffffffffu);
    put32be(img + 12, 0xffffffffu); /* rows * cols near 2^64 */
    CHECK_ERR(ctx, ligo_images_parse_idx(ctx, img, in_, lbl, ln_, &im), LIGO_EFORMAT, "truncated");
    put32be(img + 4, 0xffffffffu);
    put32be(img + 8, 1);
    put32be(img + 12, 1); /* 2^32 - 1 images of one pixel */
    CHECK_ERR(ctx, ligo_images_parse_idx(ctx, img, in_, lbl, ln_, &im), LIGO_EFORMAT, "truncated");
    CHECK_STATUS(ligo_images_parse_idx(ctx, NULL, 5, lbl, ln_, &im), LIGO_EINVAL);
    ligo_clear_error(ctx);
    free(img);
    free(lbl);
    ligo_ctx_free(ctx);
}

static void test_idx_files(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_images im, im2;
    void *a, *b;
    size_t an, bn;
    int i, ok = 1;
    CHECK_STATUS(ligo_images_load_idx(ctx, "tests/data/images.idx", "tests/data/labels.idx", &im), LIGO_OK);
    CHECK(im.n == 5 && im.rows == 3 && im.cols == 4 && im.n_classes == 10);
    for (i = 0; im.pixels && i < 60; i++) ok &= im.pixels[i] == (float)((float)((i * 37) % 256) / 255.0f);
    CHECK(ok);
    CHECK(im.labels && im.labels[0] == 3 && im.labels[2] == 9 && im.labels[4] == 2);
    /* gzip-compressed (by Python), either file or both */
    CHECK_STATUS(ligo_images_load_idx(ctx, "tests/data/images.idx.gz", "tests/data/labels.idx.gz", &im2), LIGO_OK);
    CHECK(im2.n == 5 && im2.pixels && im.pixels && memcmp(im.pixels, im2.pixels, 60 * sizeof(float)) == 0);
    CHECK(im2.labels && im.labels && memcmp(im.labels, im2.labels, 5 * sizeof(int32_t)) == 0);
    CHECK_STATUS(ligo_images_load_idx(ctx, "tests/data/images.idx", "tests/data/labels.idx.gz", &im2), LIGO_OK);
    CHECK(ligo_scratch_used(ctx) == 0);
    /* a corrupt compressed file: the loader, the file and inflate's reason */
    CHECK_STATUS(ligo_read_file(ctx, "tests/data/images.idx.gz", 1 << 20, &a, &an), LIGO_OK);
    CHECK_STATUS(ligo_read_file(ctx, "tests/data/labels.idx", 1 << 20, &b, &bn), LIGO_OK);
    if (ligo_get_status(ctx) != LIGO_OK) {
        ligo_ctx_free(ctx);
        return;
    }
    ((unsigned char *)a)[an - 6] ^= 0x10; /* CRC */
    CHECK_ERR(ctx, ligo_images_parse_idx(ctx, a, an, b, bn, &im2), LIGO_EFORMAT, "images: ligo_gunzip: a CRC-32");
    CHECK_ERR(ctx, ligo_images_parse_idx(ctx, a, an / 2, b, bn, &im2), LIGO_EFORMAT, "truncated");
    CHECK_ERR(ctx, ligo_images_load_idx(ctx, "/nonexistent/i", "/nonexistent/l", &im2), LIGO_EIO, "/nonexistent/i");
    CHECK_ERR(ctx, ligo_images_load_idx(ctx, "tests/data/labels.idx", "tests/data/images.idx", &im2), LIGO_EFORMAT,
              "ligo_images_load_idx: tests/data/labels.idx: bad magic");
    ligo_ctx_free(ctx);
}

/* Debian's dataset-fashion-mnist, when installed. */
static void test_fashion_mnist(void) {
    static const char *dir = "/usr/share/datasets/fashion-mnist/";
    char ip[256], lp[256];
    ligo_ctx *ctx;
    ligo_images im;
    FILE *f;
    int64_t i, counts[10];
    int ok = 1;
    snprintf(ip, sizeof ip, "%st10k-images-idx3-ubyte.gz", dir);
    snprintf(lp, sizeof lp, "%st10k-labels-idx1-ubyte.gz", dir);
    f = fopen(ip, "rb");
    if (!f) {
        harness_skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        return;
    }
    fclose(f);
    ctx = new_ctx();
    CHECK_STATUS(ligo_images_load_idx(ctx, ip, lp, &im), LIGO_OK);
    CHECK(im.n == 10000 && im.rows == 28 && im.cols == 28 && im.n_classes == 10);
    memset(counts, 0, sizeof counts);
    for (i = 0; im.labels && i < im.n; i++) {
        ok &= im.labels[i] >= 0 && im.labels[i] < 10;
        if (im.labels[i] >= 0 && im.labels[i] < 10) counts[im.labels[i]]++;
    }
    for (i = 0; i < 10; i++) ok &= counts[i] == 1000; /* the test set is balanced */
    for (i = 0; im.pixels && i < im.n * 784; i += 97) ok &= im.pixels[i] >= 0.0f && im.pixels[i] <= 1.0f;
    CHECK(ok);
    ligo_ctx_free(ctx);
}

void suite_data(void) {
    RUN(test_text_split_and_windows);
    RUN(test_text_file);
    RUN(test_batches);
    RUN(test_gpt2_files);
    RUN(test_mlm_fractions);
    RUN(test_read_file);
    RUN(test_gunzip_fixtures);
    RUN(test_gunzip_members);
    RUN(test_gunzip_bad);
    RUN(test_idx_buffers);
    RUN(test_idx_files);
    RUN(test_fashion_mnist);
}
