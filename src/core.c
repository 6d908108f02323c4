/* core.c: status codes and messages, the context, arenas, the RNG, FLOP
 * counters and timers. The thread pool is in pool.c. */
#include "ligo_internal.h"

/* ---------------------------------------------------------------- status */

LIGO_API const char *ligo_status_str(ligo_status s) {
    switch (s) {
    case LIGO_OK: return "ok";
    case LIGO_EINVAL: return "invalid argument";
    case LIGO_ESHAPE: return "shape mismatch";
    case LIGO_ERANGE: return "index out of range";
    case LIGO_EOVERFLOW: return "size overflow";
    case LIGO_ENOMEM: return "out of memory";
    case LIGO_EFORMAT: return "malformed data";
    case LIGO_EIO: return "input/output error";
    case LIGO_ENONFINITE: return "non-finite value";
    case LIGO_ESTATE: return "invalid state";
    case LIGO_STATUS_COUNT: break;
    }
    return "unknown status";
}

LIGO_API ligo_status ligo_get_status(const ligo_ctx *ctx) {
    return ctx ? ctx->status : LIGO_EINVAL;
}

LIGO_API const char *ligo_get_error(const ligo_ctx *ctx) {
    return ctx ? ctx->errmsg : "ligo: NULL context";
}

LIGO_API void ligo_clear_error(ligo_ctx *ctx) {
    if (!ctx) return;
    ctx->status = LIGO_OK;
    ctx->errmsg[0] = '\0';
}

/* The first error wins: later ones are consequences of it. */
LIGO_API ligo_status ligo_set_error(ligo_ctx *ctx, ligo_status s, const char *fmt, ...) {
    va_list ap;
    if (!ctx || s == LIGO_OK) return s;
    if (ctx->status != LIGO_OK) return ctx->status;
    ctx->status = s;
    va_start(ap, fmt);
    vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
    va_end(ap);
    return s;
}

LIGO__PRIV int ligo__failed(ligo_ctx *ctx) {
    return ctx == NULL || ctx->status != LIGO_OK;
}

/* ------------------------------------------------------- size arithmetic */

LIGO__PRIV int ligo__mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

LIGO__PRIV int ligo__mul_i64(int64_t a, int64_t b, int64_t *out) {
    if (a < 0 || b < 0) return 0;
    if (a != 0 && b > INT64_MAX / a) return 0;
    *out = a * b;
    return 1;
}

/* ---------------------------------------------------------------- arenas */

static size_t ligo__align_up(size_t x) {
    return (x + (LIGO__ALIGN - 1)) & ~(size_t)(LIGO__ALIGN - 1);
}

/* First usable byte of a chunk, 64-byte aligned. */
static unsigned char *ligo__chunk_base(ligo__chunk *c) {
    uintptr_t p = (uintptr_t)(c + 1);
    p = (p + (LIGO__ALIGN - 1)) & ~(uintptr_t)(LIGO__ALIGN - 1);
    return (unsigned char *)p;
}

static ligo__chunk *ligo__chunk_new(ligo_ctx *ctx, ligo__arena *a, size_t need) {
    size_t size = need > a->chunk_bytes ? need : a->chunk_bytes;
    size_t raw;
    ligo__chunk *c;
    if (a->reserved + size > a->limit || a->reserved + size < a->reserved) {
        size = need; /* the last chunk before the limit holds just this request */
        if (a->reserved + size > a->limit || a->reserved + size < a->reserved) return NULL;
    }
    raw = sizeof(ligo__chunk) + LIGO__ALIGN + size;
    if (raw < size) return NULL;
    c = (ligo__chunk *)LIGO_MALLOC(raw, ctx->alloc_user);
    if (!c) return NULL;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    a->reserved += size;
    return c;
}

/* Bump allocation; chunks are kept after a rewind and reused. Memory is
 * zeroed unless `zero` is 0 (op outputs that are written in full). */
LIGO__PRIV void *ligo__arena_alloc_ex(ligo_ctx *ctx, ligo__arena *a, size_t bytes, const char *region, int zero) {
    size_t need, off;
    ligo__chunk *c;
    if (ligo__failed(ctx)) return NULL;
    need = ligo__align_up(bytes ? bytes : 1);
    if (need < bytes) {
        ligo_set_error(ctx, LIGO_EOVERFLOW, "ligo: %s allocation of %zu bytes overflows", region, bytes);
        return NULL;
    }
    c = a->cur;
    if (c) {
        off = ligo__align_up(c->used);
        if (off <= c->size && need <= c->size - off) goto found;
        /* move on to a retained chunk large enough, else insert a new one */
        while (c->next && c->next->size < need) c = c->next;
        if (c->next) {
            c = c->next;
            c->used = 0;
            off = 0;
            goto found;
        }
    }
    {
        ligo__chunk *n = ligo__chunk_new(ctx, a, need);
        if (!n) {
            ligo_set_error(ctx, LIGO_ENOMEM,
                           "ligo: %s memory exhausted: %zu bytes requested, %zu of %zu in use",
                           region, bytes, a->reserved, a->limit);
            return NULL;
        }
        if (!a->head) {
            a->head = n;
        } else {
            n->next = c->next;
            c->next = n;
        }
        c = n;
        off = 0;
    }
found:
    a->cur = c;
    c->used = off + need;
    a->total += need;
    if (a->total > a->peak) a->peak = a->total;
    {
        void *p = ligo__chunk_base(c) + off;
        if (zero) memset(p, 0, need);
        return p;
    }
}

LIGO__PRIV void *ligo__arena_alloc(ligo_ctx *ctx, ligo__arena *a, size_t bytes, const char *region) {
    return ligo__arena_alloc_ex(ctx, a, bytes, region, 1);
}

static void ligo__arena_free(ligo_ctx *ctx, ligo__arena *a) {
    ligo__chunk *c = a->head;
    while (c) {
        ligo__chunk *next = c->next;
        LIGO_FREE(c, ctx->alloc_user);
        c = next;
    }
    memset(a, 0, sizeof *a);
}

LIGO_API void *ligo_alloc_persistent(ligo_ctx *ctx, size_t bytes) {
    return ctx ? ligo__arena_alloc(ctx, &ctx->persistent, bytes, "persistent") : NULL;
}

LIGO_API void *ligo_alloc_scratch(ligo_ctx *ctx, size_t bytes) {
    return ctx ? ligo__arena_alloc(ctx, &ctx->scratch, bytes, "scratch") : NULL;
}

LIGO_API ligo_mark ligo_scratch_mark(const ligo_ctx *ctx) {
    ligo_mark m;
    memset(&m, 0, sizeof m);
    if (!ctx) return m;
    m.chunk = ctx->scratch.cur;
    m.used = ctx->scratch.cur ? ctx->scratch.cur->used : 0;
    m.total = ctx->scratch.total;
    m.tape = ctx->tape;
    m.tape_len = ctx->tape_len;
    m.region = &ctx->scratch;
    return m;
}

/* Everything allocated after the mark is gone, tape nodes included. A
 * zeroed mark (region NULL) rewinds to the start. */
LIGO_API void ligo_scratch_rewind(ligo_ctx *ctx, ligo_mark m) {
    if (!ctx) return;
    if (m.region && m.region != (const void *)&ctx->scratch) {
        /* a persistent chunk as scratch's cursor would corrupt both */
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_scratch_rewind: the mark is not from this context's scratch region");
        return;
    }
    if (m.chunk) {
        ctx->scratch.cur = (ligo__chunk *)m.chunk;
        ctx->scratch.cur->used = m.used;
    } else {
        ctx->scratch.cur = ctx->scratch.head;
        if (ctx->scratch.cur) ctx->scratch.cur->used = 0;
    }
    ctx->scratch.total = m.total;
    ctx->tape = m.tape;
    ctx->tape_len = m.tape_len;
}

LIGO_API ligo_mark ligo_persistent_mark(const ligo_ctx *ctx) {
    ligo_mark m;
    memset(&m, 0, sizeof m);
    if (!ctx) return m;
    m.chunk = ctx->persistent.cur;
    m.used = ctx->persistent.cur ? ctx->persistent.cur->used : 0;
    m.total = ctx->persistent.total;
    m.region = &ctx->persistent;
    return m;
}

/* The persistent region never keeps chunks past its cursor (this is its
 * only rewind, and it frees them), so its cursor is its last chunk and a
 * valid mark names a chunk on the list, at or before the fill point. */
LIGO_API ligo_status ligo_persistent_rewind(ligo_ctx *ctx, ligo_mark m) {
    ligo__arena *a;
    ligo__chunk *keep = NULL, *c;
    if (!ctx) return LIGO_EINVAL;
    a = &ctx->persistent;
    if (m.region != (const void *)a)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_persistent_rewind: %s",
                              m.region == (const void *)&ctx->scratch
                                  ? "a scratch mark (ligo_scratch_mark) is not a persistent mark"
                                  : "the mark is not from this context's persistent region");
    if (m.chunk)
        for (keep = a->head; keep && keep != (ligo__chunk *)m.chunk; keep = keep->next) continue;
    if ((m.chunk && (!keep || m.used > keep->used)) || (!m.chunk && m.used) || m.total > a->total)
        return ligo_set_error(ctx, LIGO_ESTATE,
                              "ligo_persistent_rewind: the mark lies past the region's end (%zu bytes in use, "
                              "the mark says %zu): an earlier rewind released it", a->total, m.total);
    c = keep ? keep->next : a->head;
    while (c) {
        ligo__chunk *next = c->next;
        a->reserved -= c->size;
        LIGO_FREE(c, ctx->alloc_user);
        c = next;
    }
    if (keep) {
        keep->next = NULL;
        keep->used = m.used;
    } else {
        a->head = NULL;
    }
    a->cur = keep;
    a->total = m.total;
    return LIGO_OK;
}

LIGO_API size_t ligo_persistent_used(const ligo_ctx *ctx) { return ctx ? ctx->persistent.total : 0; }
LIGO_API size_t ligo_persistent_reserved(const ligo_ctx *ctx) { return ctx ? ctx->persistent.reserved : 0; }
LIGO_API size_t ligo_scratch_used(const ligo_ctx *ctx) { return ctx ? ctx->scratch.total : 0; }
LIGO_API size_t ligo_scratch_peak(const ligo_ctx *ctx) { return ctx ? ctx->scratch.peak : 0; }

/* ------------------------------------------------------------------- RNG */

static uint64_t ligo__splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

LIGO_API void ligo_rng_seed(ligo_rng *rng, uint64_t seed) {
    int i;
    if (!rng) return;
    for (i = 0; i < 4; i++) rng->s[i] = ligo__splitmix64(&seed);
}

static uint64_t ligo__rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** (Blackman and Vigna). */
LIGO_API uint64_t ligo_rng_u64(ligo_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t r = ligo__rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ligo__rotl(s[3], 45);
    return r;
}

LIGO_API float ligo_rng_uniform(ligo_rng *rng) {
    return (float)(ligo_rng_u64(rng) >> 40) * (1.0f / 16777216.0f);
}

/* Box-Muller; one value per call keeps the state a plain 256 bits. */
LIGO_API float ligo_rng_normal(ligo_rng *rng) {
    double u1 = ((double)(ligo_rng_u64(rng) >> 11) + 1.0) * (1.0 / 9007199254740993.0);
    double u2 = (double)(ligo_rng_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* Lemire's unbiased bounded draw, by rejection. */
LIGO_API uint64_t ligo_rng_below(ligo_rng *rng, uint64_t n) {
    uint64_t x, limit;
    if (n == 0) return 0;
    limit = UINT64_MAX - UINT64_MAX % n;
    do x = ligo_rng_u64(rng);
    while (x >= limit);
    return x % n;
}

/* --------------------------------------------------------------- context */

LIGO_API ligo_ctx_params ligo_ctx_params_default(void) {
    ligo_ctx_params p;
    memset(&p, 0, sizeof p);
    p.persistent_limit = (size_t)16 << 30;
    p.scratch_limit = (size_t)16 << 30;
    p.chunk_bytes = (size_t)16 << 20;
    p.n_threads = 0;
    p.alloc_user = NULL;
    return p;
}

/* Why ligo_ctx_new_status failed, into the caller's buffer. */
static ligo_status ligo__ctx_fail(ligo_status *status, char *msg, size_t msg_size, ligo_status s, const char *fmt, ...)
    LIGO__FORMAT(5, 6);
static ligo_status ligo__ctx_fail(ligo_status *status, char *msg, size_t msg_size, ligo_status s, const char *fmt, ...) {
    va_list ap;
    if (status) *status = s;
    if (msg && msg_size > 0) {
        va_start(ap, fmt);
        vsnprintf(msg, msg_size, fmt, ap);
        va_end(ap);
    }
    return s;
}

LIGO_API ligo_ctx *ligo_ctx_new_status(const ligo_ctx_params *params, ligo_status *status, char *msg,
                                       size_t msg_size) {
    ligo_ctx_params p = params ? *params : ligo_ctx_params_default();
    ligo_ctx *ctx;
    if (status) *status = LIGO_OK;
    if (msg && msg_size > 0) msg[0] = '\0';
    /* every field is checked, each named with its value */
    if (p.n_threads < 0 || p.n_threads > 1024) {
        ligo__ctx_fail(status, msg, msg_size, LIGO_EINVAL,
                       "ligo_ctx_new: n_threads is %d (want 0 <= n_threads <= 1024; 0 = all cores)", p.n_threads);
        return NULL;
    }
    if (p.chunk_bytes == 0) {
        ligo__ctx_fail(status, msg, msg_size, LIGO_EINVAL, "ligo_ctx_new: chunk_bytes is 0 (want > 0 bytes)");
        return NULL;
    }
    if (p.persistent_limit == 0) {
        ligo__ctx_fail(status, msg, msg_size, LIGO_EINVAL,
                       "ligo_ctx_new: persistent_limit is 0 (want > 0 bytes: parameters live there)");
        return NULL;
    }
    if (p.scratch_limit == 0) {
        ligo__ctx_fail(status, msg, msg_size, LIGO_EINVAL,
                       "ligo_ctx_new: scratch_limit is 0 (want > 0 bytes: activations and the tape live there)");
        return NULL;
    }
    ctx = (ligo_ctx *)LIGO_MALLOC(sizeof *ctx, p.alloc_user);
    if (!ctx) {
        ligo__ctx_fail(status, msg, msg_size, LIGO_ENOMEM, "ligo_ctx_new: no memory for the context (%zu bytes)",
                       sizeof *ctx);
        return NULL;
    }
    memset(ctx, 0, sizeof *ctx);
    ctx->alloc_user = p.alloc_user;
    ctx->persistent.limit = p.persistent_limit;
    ctx->persistent.chunk_bytes = p.chunk_bytes < p.persistent_limit ? p.chunk_bytes : p.persistent_limit;
    ctx->scratch.limit = p.scratch_limit;
    ctx->scratch.chunk_bytes = p.chunk_bytes < p.scratch_limit ? p.chunk_bytes : p.scratch_limit;
    ctx->n_threads = 1;
    if (ligo_set_num_threads(ctx, p.n_threads) != LIGO_OK) {
        /* no threads to be had: run on one, and say nothing went wrong */
        ligo_clear_error(ctx);
    }
    return ctx;
}

LIGO_API ligo_ctx *ligo_ctx_new(const ligo_ctx_params *params) { return ligo_ctx_new_status(params, NULL, NULL, 0); }

LIGO_API void ligo_ctx_free(ligo_ctx *ctx) {
    void *user;
    if (!ctx) return;
    user = ctx->alloc_user;
    (void)user;
    ligo__pool_free(ctx->pool);
    LIGO_FREE(ctx->gemm_ws, user);
    ligo__arena_free(ctx, &ctx->persistent);
    ligo__arena_free(ctx, &ctx->scratch);
    LIGO_FREE(ctx, user);
}

/* ------------------------------------------------------- FLOPs and time */

LIGO_API double ligo_flops_forward(const ligo_ctx *ctx) { return ctx ? ctx->flops_fwd : 0.0; }
LIGO_API double ligo_flops_backward(const ligo_ctx *ctx) { return ctx ? ctx->flops_bwd : 0.0; }

LIGO_API void ligo_flops_add(ligo_ctx *ctx, double forward, double backward) {
    if (!ctx) return;
    ctx->flops_fwd += forward;
    ctx->flops_bwd += backward;
}

LIGO_API void ligo_flops_reset(ligo_ctx *ctx) {
    if (!ctx) return;
    ctx->flops_fwd = 0.0;
    ctx->flops_bwd = 0.0;
}

/* clock_gettime needs POSIX; under a strict -std=c99 build without
 * _POSIX_C_SOURCE, CPU time from clock() is the fallback. Windows: the
 * performance counter. */
LIGO_API double ligo_time_sec(void) {
#if defined(_WIN32)
    LARGE_INTEGER t, f;
    if (QueryPerformanceFrequency(&f) && f.QuadPart > 0 && QueryPerformanceCounter(&t))
        return (double)t.QuadPart / (double)f.QuadPart;
    return (double)GetTickCount64() * 1e-3;
#elif defined(CLOCK_MONOTONIC)
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#else
    return (double)clock() / (double)CLOCKS_PER_SEC;
#endif
}

/* ------------------------------------------------------------- profile */

LIGO_API void ligo_profile_enable(ligo_ctx *ctx, int on) {
    if (ctx) ctx->profile = on ? 1 : 0;
}

LIGO_API void ligo_profile_reset(ligo_ctx *ctx) {
    if (ctx) memset(ctx->prof_sec, 0, sizeof ctx->prof_sec);
}

LIGO_API double ligo_profile_seconds(const ligo_ctx *ctx, int op, int backward) {
    if (!ctx || op < 0 || op >= LIGO_OP_COUNT) return 0.0;
    return ctx->prof_sec[op][backward ? 1 : 0];
}
