/* test_core.c: status strings, errors, arenas, RNG, threads, FLOPs. */
#include "harness.h"

#include <stdlib.h>

static void test_status_strings(void) {
    int s;
    for (s = 0; s < LIGO_STATUS_COUNT; s++) {
        const char *m = ligo_status_str((ligo_status)s);
        CHECK(m != NULL && m[0] != '\0' && strcmp(m, "unknown status") != 0);
    }
    CHECK(strcmp(ligo_status_str(LIGO_STATUS_COUNT), "unknown status") == 0);
    CHECK(strcmp(ligo_status_str(LIGO_ESHAPE), "shape mismatch") == 0);
}

static void test_error_first_wins(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    CHECK(ctx != NULL);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_OK);
    CHECK(ligo_get_error(ctx)[0] == '\0');
    CHECK_STATUS(ligo_set_error(ctx, LIGO_ERANGE, "first %d", 1), LIGO_ERANGE);
    CHECK_STATUS(ligo_set_error(ctx, LIGO_EIO, "second"), LIGO_ERANGE);
    CHECK(strcmp(ligo_get_error(ctx), "first 1") == 0);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_OK);
    CHECK_STATUS(ligo_get_status(NULL), LIGO_EINVAL);
    ligo_ctx_free(ctx);
    ligo_ctx_free(NULL);
}

static void test_ctx_params(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = -1;
    CHECK(ligo_ctx_new(&p) == NULL);
    p = ligo_ctx_params_default();
    p.chunk_bytes = 0;
    CHECK(ligo_ctx_new(&p) == NULL);
}

/* ligo_ctx_new_status names the bad field and its value. */
static void test_ctx_new_status(void) {
    static const struct {
        int field; /* 0 n_threads, 1 chunk_bytes, 2 persistent_limit, 3 scratch_limit */
        long long value;
        const char *want;
    } bad[] = {{0, -1, "n_threads is -1"},
               {0, 1025, "n_threads is 1025"},
               {1, 0, "chunk_bytes is 0"},
               {2, 0, "persistent_limit is 0"},
               {3, 0, "scratch_limit is 0"}};
    size_t i;
    char msg[256];
    ligo_status s;
    ligo_ctx *ctx;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ligo_ctx_params p = ligo_ctx_params_default();
        if (bad[i].field == 0) p.n_threads = (int)bad[i].value;
        else if (bad[i].field == 1) p.chunk_bytes = (size_t)bad[i].value;
        else if (bad[i].field == 2) p.persistent_limit = (size_t)bad[i].value;
        else p.scratch_limit = (size_t)bad[i].value;
        s = LIGO_OK;
        strcpy(msg, "untouched");
        ctx = ligo_ctx_new_status(&p, &s, msg, sizeof msg);
        CHECK(ctx == NULL);
        CHECK_STATUS(s, LIGO_EINVAL);
        CHECK_MSG(strstr(msg, bad[i].want) != NULL && strncmp(msg, "ligo_ctx_new: ", 14) == 0,
                  "message \"%s\" lacks \"%s\"", msg, bad[i].want);
        ligo_ctx_free(ctx);
        CHECK(ligo_ctx_new(&p) == NULL); /* the plain form refuses the same */
    }
    /* a tiny buffer is still terminated; NULL outputs are allowed */
    {
        ligo_ctx_params p = ligo_ctx_params_default();
        p.n_threads = -7;
        memset(msg, 'x', sizeof msg);
        CHECK(ligo_ctx_new_status(&p, &s, msg, 5) == NULL);
        CHECK(strcmp(msg, "ligo") == 0);
        CHECK(ligo_ctx_new_status(&p, NULL, NULL, 0) == NULL);
    }
    /* success clears both */
    s = LIGO_EIO;
    strcpy(msg, "stale");
    ctx = ligo_ctx_new_status(NULL, &s, msg, sizeof msg);
    CHECK(ctx != NULL);
    CHECK_STATUS(s, LIGO_OK);
    CHECK(msg[0] == '\0');
    ligo_ctx_free(ctx);
}

static void test_arena_alignment_and_zero(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    int i;
    for (i = 1; i < 200; i += 37) {
        unsigned char *p = (unsigned char *)ligo_alloc_scratch(ctx, (size_t)i);
        unsigned char *q = (unsigned char *)ligo_alloc_persistent(ctx, (size_t)i);
        int k, zero = 1;
        CHECK(p && ((uintptr_t)p % 64) == 0);
        CHECK(q && ((uintptr_t)q % 64) == 0);
        for (k = 0; p && k < i; k++) zero &= p[k] == 0;
        CHECK(zero);
        if (p) memset(p, 0xAB, (size_t)i);
    }
    ligo_ctx_free(ctx);
}

static void test_arena_mark_rewind(void) {
    ligo_ctx_params prm = ligo_ctx_params_default();
    ligo_ctx *ctx;
    ligo_mark m;
    void *a, *b, *c;
    size_t used;
    prm.chunk_bytes = 4096;
    ctx = ligo_ctx_new(&prm);
    a = ligo_alloc_scratch(ctx, 100);
    m = ligo_scratch_mark(ctx);
    used = ligo_scratch_used(ctx);
    b = ligo_alloc_scratch(ctx, 10000); /* forces a new chunk */
    c = ligo_alloc_scratch(ctx, 100);
    CHECK(a && b && c);
    CHECK(ligo_scratch_used(ctx) > used);
    ligo_scratch_rewind(ctx, m);
    CHECK(ligo_scratch_used(ctx) == used);
    CHECK(ligo_scratch_peak(ctx) >= used + 10000);
    /* the same sequence again reuses the same memory and is zeroed */
    CHECK(ligo_alloc_scratch(ctx, 10000) == b);
    {
        float *f = (float *)ligo_alloc_scratch(ctx, 100);
        CHECK(f == c && f[0] == 0.0f);
    }
    /* rewinding to an empty mark frees everything */
    ligo_scratch_rewind(ctx, m);
    ligo_ctx_free(ctx);
}

/* Persistent marks release LIFO: the memory comes back (same address,
 * zeroed), chunks past the mark go back to the allocator, and bad marks
 * are refused without touching the region. */
static void test_persistent_mark_rewind(void) {
    ligo_ctx_params prm = ligo_ctx_params_default();
    ligo_ctx *ctx, *other;
    ligo_mark m0, m1, m2, sm;
    unsigned char *a, *b, *c;
    size_t used0, res0;
    prm.chunk_bytes = 4096;
    ctx = ligo_ctx_new(&prm);
    other = ligo_ctx_new(&prm);
    m0 = ligo_persistent_mark(ctx); /* empty region */
    a = (unsigned char *)ligo_alloc_persistent(ctx, 100);
    m1 = ligo_persistent_mark(ctx);
    used0 = ligo_persistent_used(ctx);
    res0 = ligo_persistent_reserved(ctx);
    b = (unsigned char *)ligo_alloc_persistent(ctx, 1000);
    m2 = ligo_persistent_mark(ctx);
    c = (unsigned char *)ligo_alloc_persistent(ctx, 20000); /* its own chunk */
    CHECK(a && b && c);
    if (!a || !b || !c) return;
    memset(b, 0x5A, 1000);
    memset(c, 0x5A, 20000);
    CHECK(ligo_persistent_reserved(ctx) >= res0 + 20000);
    /* nested: back to m2 releases c and its chunk, b stays */
    CHECK_STATUS(ligo_persistent_rewind(ctx, m2), LIGO_OK);
    CHECK(ligo_persistent_reserved(ctx) == res0);
    CHECK(b[999] == 0x5A);
    CHECK_STATUS(ligo_persistent_rewind(ctx, m1), LIGO_OK);
    CHECK(ligo_persistent_used(ctx) == used0 && ligo_persistent_reserved(ctx) == res0);
    /* the same request again gets the same, zeroed memory */
    {
        unsigned char *b2 = (unsigned char *)ligo_alloc_persistent(ctx, 1000);
        CHECK(b2 == b && b2[0] == 0 && b2[999] == 0);
    }
    CHECK_STATUS(ligo_persistent_rewind(ctx, m1), LIGO_OK);
    /* m2 lies past the end now: refused, nothing changes */
    CHECK_STATUS(ligo_persistent_rewind(ctx, m2), LIGO_ESTATE);
    CHECK(strstr(ligo_get_error(ctx), "past the region's end") != NULL);
    CHECK(ligo_persistent_used(ctx) == used0);
    ligo_clear_error(ctx);
    /* another context's mark, a scratch mark, and a persistent mark given
     * to the scratch rewind */
    CHECK(ligo_alloc_persistent(other, 10) != NULL);
    CHECK_STATUS(ligo_persistent_rewind(ctx, ligo_persistent_mark(other)), LIGO_EINVAL);
    CHECK(strstr(ligo_get_error(ctx), "not from this context") != NULL);
    ligo_clear_error(ctx);
    sm = ligo_scratch_mark(ctx);
    CHECK_STATUS(ligo_persistent_rewind(ctx, sm), LIGO_EINVAL);
    CHECK(strstr(ligo_get_error(ctx), "scratch mark") != NULL);
    ligo_clear_error(ctx);
    CHECK(ligo_alloc_scratch(ctx, 64) != NULL);
    {
        size_t su = ligo_scratch_used(ctx);
        ligo_scratch_rewind(ctx, m1);
        CHECK_STATUS(ligo_get_status(ctx), LIGO_EINVAL);
        CHECK(ligo_scratch_used(ctx) == su);
        ligo_clear_error(ctx);
    }
    CHECK(ligo_persistent_used(ctx) == used0);
    /* after an error a rewind still releases (cleanup of a failed round) */
    CHECK(ligo_alloc_persistent(ctx, 5000) != NULL);
    ligo_set_error(ctx, LIGO_EIO, "some failure");
    CHECK_STATUS(ligo_persistent_rewind(ctx, m1), LIGO_OK);
    CHECK(ligo_persistent_used(ctx) == used0 && ligo_persistent_reserved(ctx) == res0);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_EIO);
    ligo_clear_error(ctx);
    /* to the empty mark: everything goes */
    CHECK_STATUS(ligo_persistent_rewind(ctx, m0), LIGO_OK);
    CHECK(ligo_persistent_used(ctx) == 0 && ligo_persistent_reserved(ctx) == 0);
    CHECK(ligo_alloc_persistent(ctx, 100) != NULL);
    CHECK_STATUS(ligo_persistent_rewind(NULL, m0), LIGO_EINVAL);
    ligo_ctx_free(other);
    ligo_ctx_free(ctx);
}

static void test_arena_exhaustion(void) {
    ligo_ctx_params prm = ligo_ctx_params_default();
    ligo_ctx *ctx;
    prm.persistent_limit = 1 << 16;
    prm.chunk_bytes = 1 << 14;
    ctx = ligo_ctx_new(&prm);
    CHECK(ligo_alloc_persistent(ctx, 1 << 15) != NULL);
    CHECK(ligo_alloc_persistent(ctx, 1 << 16) == NULL);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_ENOMEM);
    CHECK(strstr(ligo_get_error(ctx), "persistent memory exhausted") != NULL);
    /* sticky: even a small request fails now */
    CHECK(ligo_alloc_scratch(ctx, 8) == NULL);
    ligo_clear_error(ctx);
    CHECK(ligo_alloc_persistent(ctx, 1024) != NULL);
    CHECK(ligo_alloc_persistent(ctx, (size_t)-1) == NULL);
    CHECK(ligo_get_status(ctx) == LIGO_EOVERFLOW || ligo_get_status(ctx) == LIGO_ENOMEM);
    ligo_ctx_free(ctx);
}

/* xoshiro256** from seed 0 through splitmix64: the first outputs are
 * fixed by the published algorithms; a second generator with the same
 * seed gives the same stream, another seed a different one. */
static void test_rng_determinism(void) {
    ligo_rng a, b, c;
    int i, same = 1, diff = 0;
    ligo_rng_seed(&a, 99);
    ligo_rng_seed(&b, 99);
    ligo_rng_seed(&c, 100);
    for (i = 0; i < 100; i++) {
        uint64_t x = ligo_rng_u64(&a), y = ligo_rng_u64(&b), z = ligo_rng_u64(&c);
        same &= x == y;
        diff += x != z;
    }
    CHECK(same);
    CHECK(diff == 100);
}

/* Moments of uniform and normal draws against their closed forms. */
static void test_rng_moments(void) {
    ligo_rng r;
    int i, n = 200000, in_range = 1;
    double su = 0, su2 = 0, sn = 0, sn2 = 0, sn4 = 0;
    uint64_t hist[7] = {0};
    ligo_rng_seed(&r, 3);
    for (i = 0; i < n; i++) {
        double u = ligo_rng_uniform(&r), g = ligo_rng_normal(&r);
        in_range &= u >= 0.0 && u < 1.0;
        su += u;
        su2 += u * u;
        sn += g;
        sn2 += g * g;
        sn4 += g * g * g * g;
        hist[ligo_rng_below(&r, 7)]++;
    }
    CHECK(in_range);
    CHECK_NEAR(su / n, 0.5, 0.005);
    CHECK_NEAR(su2 / n - (su / n) * (su / n), 1.0 / 12.0, 0.002);
    CHECK_NEAR(sn / n, 0.0, 0.01);
    CHECK_NEAR(sn2 / n, 1.0, 0.015);
    CHECK_NEAR(sn4 / n, 3.0, 0.1);
    for (i = 0; i < 7; i++) CHECK_NEAR((double)hist[i] / n, 1.0 / 7.0, 0.005);
    CHECK(ligo_rng_below(&r, 1) == 0);
}

typedef struct pf_arg {
    int hits[8];
    int nth_seen[8];
} pf_arg;

static void pf_task(void *arg, int ith, int nth) {
    pf_arg *a = (pf_arg *)arg;
    a->hits[ith]++;
    a->nth_seen[ith] = nth;
}

static void busy_wait(double sec) {
    double t = ligo_time_sec();
    while (ligo_time_sec() - t < sec) {
    }
}

/* pf_task, with the last thread slow for pf_slow seconds: the caller's
 * wait for it outlasts any spin. */
static double pf_slow;
static void pf_slow_task(void *arg, int ith, int nth) {
    if (ith == nth - 1) busy_wait(pf_slow);
    pf_task(arg, ith, nth);
}

static void test_parallel_for(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    ligo_ctx *ctx;
    pf_arg a;
    int rep;
    p.n_threads = 3;
    ctx = ligo_ctx_new(&p);
    CHECK(ligo_get_num_threads(ctx) == 3);
    for (rep = 0; rep < 200; rep++) {
        memset(&a, 0, sizeof a);
        ligo_parallel_for(ctx, pf_task, &a, 3);
        CHECK(a.hits[0] == 1 && a.hits[1] == 1 && a.hits[2] == 1 && a.hits[3] == 0);
        CHECK(a.nth_seen[2] == 3);
    }
    /* Waits of every length, so the spin adapts both ways (and, under
     * ThreadSanitizer, its bookkeeping is checked): regions back to back,
     * after 20 us and 1 ms of serial work, and with a worker 20 us or 1 ms
     * slower than the caller. */
    for (rep = 0; rep < 60; rep++) {
        static const double gaps[3] = {0.0, 20e-6, 1e-3};
        busy_wait(gaps[rep % 3]);
        pf_slow = gaps[(rep / 3) % 3];
        memset(&a, 0, sizeof a);
        ligo_parallel_for(ctx, pf_slow_task, &a, 3);
        CHECK(a.hits[0] == 1 && a.hits[1] == 1 && a.hits[2] == 1 && a.hits[3] == 0);
    }
    memset(&a, 0, sizeof a);
    ligo_parallel_for(ctx, pf_task, &a, 10); /* clamped to the pool */
    CHECK(a.hits[0] == 1 && a.hits[2] == 1 && a.hits[3] == 0 && a.nth_seen[0] == 3);
    CHECK_STATUS(ligo_set_num_threads(ctx, 1), LIGO_OK);
    memset(&a, 0, sizeof a);
    ligo_parallel_for(ctx, pf_task, &a, 3);
    CHECK(a.hits[0] == 1 && a.hits[1] == 0 && a.nth_seen[0] == 1);
    CHECK_STATUS(ligo_set_num_threads(ctx, -2), LIGO_EINVAL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_set_num_threads(ctx, 0), LIGO_OK);
    CHECK(ligo_get_num_threads(ctx) == ligo_cpu_count());
    ligo_ctx_free(ctx);
}

static void test_flops_and_time(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    double t0 = ligo_time_sec(), t1;
    ligo_flops_add(ctx, 10.0, 20.0);
    CHECK(ligo_flops_forward(ctx) == 10.0 && ligo_flops_backward(ctx) == 20.0);
    ligo_flops_reset(ctx);
    CHECK(ligo_flops_forward(ctx) == 0.0);
    t1 = ligo_time_sec();
    CHECK(t1 >= t0);
    ligo_ctx_free(ctx);
}

void suite_core(void) {
    RUN(test_status_strings);
    RUN(test_error_first_wins);
    RUN(test_ctx_params);
    RUN(test_ctx_new_status);
    RUN(test_arena_alignment_and_zero);
    RUN(test_arena_mark_rewind);
    RUN(test_persistent_mark_rewind);
    RUN(test_arena_exhaustion);
    RUN(test_rng_determinism);
    RUN(test_rng_moments);
    RUN(test_parallel_for);
    RUN(test_flops_and_time);
}
