/* core.c: status codes and messages, the context, arenas, the RNG, the
 * thread pool, FLOP counters and timers. */
#include "ligo_internal.h"

#if !defined(LIGO_NO_THREADS) && !defined(_WIN32)
#include <unistd.h>
#endif

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

/* --------------------------------------------------------------- threads */

LIGO_API int ligo_cpu_count(void) {
#if !defined(LIGO_NO_THREADS) && defined(_WIN32)
    SYSTEM_INFO si;
    long n;
    GetSystemInfo(&si);
    n = (long)si.dwNumberOfProcessors;
    if (n < 1) return 1;
    if (n > 256) return 256;
    return (int)n;
#elif !defined(LIGO_NO_THREADS) && defined(_SC_NPROCESSORS_ONLN)
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) return 1;
    if (n > 256) return 256;
    return (int)n;
#else
    return 1;
#endif
}

#ifndef LIGO_NO_THREADS
/* Spin, then block. A parallel region publishes its task by bumping
 * `generation`; workers that are spinning (for about LIGO__SPIN pause
 * instructions after their last task) see it within a few hundred cycles,
 * and only workers that have gone to sleep on the condition variable need a
 * broadcast. The caller waits for `pending` to reach zero the same way. A
 * wake-up is never lost: a sleeper registers (sleepers++) and then re-reads
 * the counter it waits on, while the other side changes that counter and
 * then reads sleepers, both sequentially consistent, so at least one of
 * the two sees the other (and the sleeper re-checks under the mutex that
 * the broadcaster takes). Without gcc/clang atomics the pool only blocks.
 * The spin is short (500 pauses, some microseconds): on this 2-vCPU machine
 * under load, a 20000-pause spin made a training step up to 4x slower on two
 * threads (a spinning caller waiting for a descheduled worker), while 300
 * to 500 pauses cost nothing against blocking and keep back-to-back regions
 * cheap when the machine is quiet. Build with -DLIGO_POOL_SPIN=n to change.
 *
 * Atomics: the GCC/clang __atomic builtins (also in g++ and clang++), all
 * sequentially consistent. Under MSVC (and with -DLIGO__WIN32_INTERLOCKED,
 * which lets MinGW's gcc compile and test that branch) the Win32
 * Interlocked functions, which are full barriers, on LONG fields. Without
 * either (LIGO__SPIN is then 0) the pool only blocks and touches its
 * shared fields under the mutex alone, so the macros may be plain
 * accesses.
 *
 * Threads, mutexes and condition variables: POSIX threads, or on Windows
 * CreateThread, CRITICAL_SECTION and CONDITION_VARIABLE (Vista and later)
 * behind the same few names. */
#if defined(_WIN32) && (defined(LIGO__WIN32_INTERLOCKED) || (defined(_MSC_VER) && !defined(__clang__)))
typedef LONG ligo__aint;  /* a field touched atomically */
typedef LONG ligo__agen;  /* the generation counter (wraps, compared with != only) */
static LONG ligo__interlocked_add(LONG volatile *p, LONG v) { return InterlockedExchangeAdd(p, v) + v; }
#define LIGO__ATOMIC_LOAD(p) InterlockedCompareExchange((p), 0, 0)
#define LIGO__ATOMIC_STORE(p, v) ((void)InterlockedExchange((p), (LONG)(v)))
#define LIGO__ATOMIC_ADD(p, v) ligo__interlocked_add((p), (LONG)(v))
#define LIGO__PAUSE() YieldProcessor()
#ifdef LIGO_POOL_SPIN
#define LIGO__SPIN LIGO_POOL_SPIN
#else
#define LIGO__SPIN 500
#endif
#elif defined(__GNUC__) || defined(__clang__)
typedef int ligo__aint;
typedef unsigned long ligo__agen;
#define LIGO__ATOMIC_LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define LIGO__ATOMIC_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define LIGO__ATOMIC_ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#if defined(__x86_64__) || defined(__i386__)
#define LIGO__PAUSE() __builtin_ia32_pause()
#else
#define LIGO__PAUSE() ((void)0)
#endif
#ifdef LIGO_POOL_SPIN /* pause instructions before blocking; 0 blocks at once */
#define LIGO__SPIN LIGO_POOL_SPIN
#else
#define LIGO__SPIN 500
#endif
#else /* blocking only: every access under the mutex */
typedef int ligo__aint;
typedef unsigned long ligo__agen;
#define LIGO__ATOMIC_LOAD(p) (*(p))
#define LIGO__ATOMIC_STORE(p, v) (*(p) = (v))
#define LIGO__ATOMIC_ADD(p, v) (*(p) += (v))
#define LIGO__PAUSE() ((void)0)
#define LIGO__SPIN 0
#endif

#if defined(_WIN32)
typedef HANDLE ligo__thread;
typedef CRITICAL_SECTION ligo__mutex;
typedef CONDITION_VARIABLE ligo__cond;
#define ligo__mutex_init(m) InitializeCriticalSection(m)
#define ligo__mutex_destroy(m) DeleteCriticalSection(m)
#define ligo__mutex_lock(m) EnterCriticalSection(m)
#define ligo__mutex_unlock(m) LeaveCriticalSection(m)
#define ligo__cond_init(c) InitializeConditionVariable(c)
#define ligo__cond_destroy(c) ((void)(c)) /* nothing to free */
#define ligo__cond_wait(c, m) ((void)SleepConditionVariableCS((c), (m), INFINITE))
#define ligo__cond_signal(c) WakeConditionVariable(c)
#define ligo__cond_broadcast(c) WakeAllConditionVariable(c)
#else
typedef pthread_t ligo__thread;
typedef pthread_mutex_t ligo__mutex;
typedef pthread_cond_t ligo__cond;
#define ligo__mutex_init(m) pthread_mutex_init((m), NULL)
#define ligo__mutex_destroy(m) pthread_mutex_destroy(m)
#define ligo__mutex_lock(m) pthread_mutex_lock(m)
#define ligo__mutex_unlock(m) pthread_mutex_unlock(m)
#define ligo__cond_init(c) pthread_cond_init((c), NULL)
#define ligo__cond_destroy(c) pthread_cond_destroy(c)
#define ligo__cond_wait(c, m) pthread_cond_wait((c), (m))
#define ligo__cond_signal(c) pthread_cond_signal(c)
#define ligo__cond_broadcast(c) pthread_cond_broadcast(c)
#endif

struct ligo__pool {
    int n;                 /* threads including the caller */
    ligo__thread *threads; /* n - 1 workers */
    ligo__mutex mu;
    ligo__cond start;
    ligo__cond done;
    ligo__agen generation;      /* bumped once per parallel region */
    ligo__aint pending;         /* workers still running this region */
    ligo__aint sleepers;        /* workers blocked on `start` */
    ligo__aint caller_sleeping; /* the caller is blocked on `done` */
    ligo__aint stop;
    int busy;
    ligo_task_fn fn;
    void *arg;
    int nth;
    void *alloc_user;
};

typedef struct ligo__worker_arg {
    ligo__pool *pool;
    int ith;
} ligo__worker_arg;

/* Wait until the generation differs from `seen`; returns the new one. */
static unsigned long ligo__pool_wait_start(ligo__pool *pool, unsigned long seen) {
    unsigned long g;
    int i;
    for (i = 0; i < LIGO__SPIN; i++) {
        g = LIGO__ATOMIC_LOAD(&pool->generation);
        if (g != seen) return g;
        LIGO__PAUSE();
    }
    ligo__mutex_lock(&pool->mu);
    LIGO__ATOMIC_ADD(&pool->sleepers, 1);
    while ((g = LIGO__ATOMIC_LOAD(&pool->generation)) == seen) ligo__cond_wait(&pool->start, &pool->mu);
    LIGO__ATOMIC_ADD(&pool->sleepers, -1);
    ligo__mutex_unlock(&pool->mu);
    return g;
}

static void *ligo__worker(void *p) {
    ligo__worker_arg *wa = (ligo__worker_arg *)p;
    ligo__pool *pool = wa->pool;
    int ith = wa->ith;
    unsigned long seen = 0;
    for (;;) {
        seen = ligo__pool_wait_start(pool, seen);
        if (LIGO__ATOMIC_LOAD(&pool->stop)) break;
        if (ith < pool->nth) pool->fn(pool->arg, ith, pool->nth);
        if (LIGO__SPIN == 0) { /* the caller reads pending under the mutex only */
            ligo__mutex_lock(&pool->mu);
            if (LIGO__ATOMIC_ADD(&pool->pending, -1) == 0) ligo__cond_signal(&pool->done);
            ligo__mutex_unlock(&pool->mu);
        } else if (LIGO__ATOMIC_ADD(&pool->pending, -1) == 0 && LIGO__ATOMIC_LOAD(&pool->caller_sleeping)) {
            ligo__mutex_lock(&pool->mu);
            ligo__cond_signal(&pool->done);
            ligo__mutex_unlock(&pool->mu);
        }
    }
    return NULL;
}

/* Start a worker on args (1 on success), and wait for one to end. */
#if defined(_WIN32)
static DWORD WINAPI ligo__worker_win32(LPVOID p) {
    ligo__worker(p);
    return 0;
}
static int ligo__thread_start(ligo__thread *t, ligo__worker_arg *arg) {
    *t = CreateThread(NULL, 0, ligo__worker_win32, arg, 0, NULL);
    return *t != NULL;
}
static void ligo__thread_join(ligo__thread t) {
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
}
#else
static int ligo__thread_start(ligo__thread *t, ligo__worker_arg *arg) {
    return pthread_create(t, NULL, ligo__worker, arg) == 0;
}
static void ligo__thread_join(ligo__thread t) { pthread_join(t, NULL); }
#endif

/* Publish a new generation and wake whoever sleeps. */
static void ligo__pool_kick(ligo__pool *pool) {
    if (LIGO__SPIN == 0) {
        ligo__mutex_lock(&pool->mu);
        pool->generation++;
        ligo__cond_broadcast(&pool->start);
        ligo__mutex_unlock(&pool->mu);
        return;
    }
    LIGO__ATOMIC_ADD(&pool->generation, 1);
    if (LIGO__ATOMIC_LOAD(&pool->sleepers) > 0) {
        ligo__mutex_lock(&pool->mu);
        ligo__cond_broadcast(&pool->start);
        ligo__mutex_unlock(&pool->mu);
    }
}

static void ligo__pool_free(ligo__pool *pool) {
    int i;
    if (!pool) return;
    LIGO__ATOMIC_STORE(&pool->stop, 1);
    ligo__pool_kick(pool);
    for (i = 0; i < pool->n - 1; i++) ligo__thread_join(pool->threads[i]);
    ligo__mutex_destroy(&pool->mu);
    ligo__cond_destroy(&pool->start);
    ligo__cond_destroy(&pool->done);
    {
        void *user = pool->alloc_user;
        (void)user;
        LIGO_FREE(pool->threads, user);
        LIGO_FREE(pool, user);
    }
}

/* The worker arguments live right after the thread handles. */
static ligo__pool *ligo__pool_new(int n, void *user) {
    ligo__pool *pool;
    ligo__worker_arg *args;
    int i;
    (void)user;
    if (n < 2) return NULL;
    pool = (ligo__pool *)LIGO_MALLOC(sizeof *pool, user);
    if (!pool) return NULL;
    memset(pool, 0, sizeof *pool);
    pool->alloc_user = user;
    pool->threads = (ligo__thread *)LIGO_MALLOC((size_t)(n - 1) * (sizeof(ligo__thread) + sizeof(ligo__worker_arg)), user);
    if (!pool->threads) {
        LIGO_FREE(pool, user);
        return NULL;
    }
    args = (ligo__worker_arg *)(void *)(pool->threads + (n - 1));
    ligo__mutex_init(&pool->mu);
    ligo__cond_init(&pool->start);
    ligo__cond_init(&pool->done);
    pool->n = 1;
    for (i = 0; i < n - 1; i++) {
        args[i].pool = pool;
        args[i].ith = i + 1;
        if (!ligo__thread_start(&pool->threads[i], &args[i])) break;
        pool->n++;
    }
    if (pool->n < 2) {
        ligo__pool_free(pool);
        return NULL;
    }
    return pool;
}

static void ligo__pool_run(ligo__pool *pool, ligo_task_fn fn, void *arg, int nth) {
    int i;
    if (pool->busy) { /* a nested call from inside a task runs serially */
        fn(arg, 0, 1);
        return;
    }
    pool->busy = 1;
    pool->fn = fn;
    pool->arg = arg;
    pool->nth = nth;
    if (LIGO__SPIN == 0) ligo__mutex_lock(&pool->mu);
    LIGO__ATOMIC_STORE(&pool->pending, pool->n - 1);
    if (LIGO__SPIN == 0) ligo__mutex_unlock(&pool->mu);
    ligo__pool_kick(pool);
    fn(arg, 0, nth);
    if (LIGO__SPIN == 0) {
        /* Blocking mode: workers decrement pending under the mutex, so it
         * is read there too; a read outside it could see 0 without being
         * ordered after the workers' writes to the outputs (ThreadSanitizer
         * flagged every threaded kernel under -DLIGO_POOL_SPIN=0). */
        ligo__mutex_lock(&pool->mu);
        while (LIGO__ATOMIC_LOAD(&pool->pending) > 0) ligo__cond_wait(&pool->done, &pool->mu);
        ligo__mutex_unlock(&pool->mu);
        pool->busy = 0;
        return;
    }
    for (i = 0; i < LIGO__SPIN && LIGO__ATOMIC_LOAD(&pool->pending) > 0; i++) LIGO__PAUSE();
    if (LIGO__ATOMIC_LOAD(&pool->pending) > 0) {
        ligo__mutex_lock(&pool->mu);
        LIGO__ATOMIC_STORE(&pool->caller_sleeping, 1);
        while (LIGO__ATOMIC_LOAD(&pool->pending) > 0) ligo__cond_wait(&pool->done, &pool->mu);
        LIGO__ATOMIC_STORE(&pool->caller_sleeping, 0);
        ligo__mutex_unlock(&pool->mu);
    }
    pool->busy = 0;
}
#else
struct ligo__pool {
    int n;
};
static void ligo__pool_free(ligo__pool *pool) { (void)pool; }
static ligo__pool *ligo__pool_new(int n, void *user) {
    (void)n;
    (void)user;
    return NULL;
}
static void ligo__pool_run(ligo__pool *pool, ligo_task_fn fn, void *arg, int nth) {
    (void)pool;
    (void)nth;
    fn(arg, 0, 1);
}
#endif

LIGO_API ligo_status ligo_set_num_threads(ligo_ctx *ctx, int n_threads) {
    if (!ctx) return LIGO_EINVAL;
    if (n_threads < 0 || n_threads > 1024)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_set_num_threads: %d threads is out of range [0, 1024]", n_threads);
    if (n_threads == 0) n_threads = ligo_cpu_count();
#ifdef LIGO_NO_THREADS
    n_threads = 1;
#endif
    if (n_threads == ctx->n_threads) return LIGO_OK;
    ligo__pool_free(ctx->pool);
    ctx->pool = NULL;
    ctx->n_threads = 1;
    if (n_threads > 1) {
        ctx->pool = ligo__pool_new(n_threads, ctx->alloc_user);
        if (!ctx->pool)
            return ligo_set_error(ctx, LIGO_ENOMEM, "ligo_set_num_threads: could not start %d threads", n_threads);
        ctx->n_threads = ctx->pool->n;
    }
    return LIGO_OK;
}

LIGO_API int ligo_get_num_threads(const ligo_ctx *ctx) { return ctx ? ctx->n_threads : 1; }

LIGO_API void ligo_parallel_for(ligo_ctx *ctx, ligo_task_fn fn, void *arg, int nth) {
    if (!ctx || !ctx->pool || nth <= 1) {
        fn(arg, 0, 1);
        return;
    }
    if (nth > ctx->n_threads) nth = ctx->n_threads;
    ligo__pool_run(ctx->pool, fn, arg, nth);
}

/* Threads worth using for `work` units when each thread should get at
 * least min_work_per_thread of them. */
LIGO__PRIV int ligo__nth_for(const ligo_ctx *ctx, double work, double min_work_per_thread) {
    int nth;
    double k;
    if (!ctx || ctx->n_threads <= 1) return 1;
    k = work / min_work_per_thread;
    nth = k >= (double)ctx->n_threads ? ctx->n_threads : (int)k;
    return nth < 1 ? 1 : nth;
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
