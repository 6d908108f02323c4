/* pool.c: the thread pool behind ligo_parallel_for, and the thread count
 * of a context. */
#include "ligo_internal.h"

#if !defined(LIGO_NO_THREADS) && !defined(_WIN32)
#include <unistd.h>
#endif

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
 * `generation`; workers that are spinning (for some microseconds after
 * their last task, see below) see it within a few hundred cycles, and only
 * workers that have gone to sleep on the condition variable need a
 * broadcast. The caller waits for `pending` to reach zero the same way. A
 * wake-up is never lost: a sleeper registers (sleepers++) and then re-reads
 * the counter it waits on, while the other side changes that counter and
 * then reads sleepers, both sequentially consistent, so at least one of
 * the two sees the other (and the sleeper re-checks under the mutex that
 * the broadcaster takes). Without gcc/clang atomics the pool only blocks.
 * How long to spin is a trade. A worker that has gone to sleep wakes some
 * tens of microseconds after the broadcast, which a region of a small GEMM
 * cannot hide; but a thread that spins while the thread it waits for has
 * been descheduled (more threads than cores) only burns the core that one
 * needs: on a 2-vCPU machine with two 2-thread trainings at once, a
 * 400-microsecond spin cost 45% of the tokens per second. So the spin is
 * measured in time and adapts, per waiting thread: it starts at
 * LIGO__SPIN_LO_SEC (5 us) and doubles, up to LIGO__SPIN_HI_SEC (50 us),
 * after each wait that blocked but ended within LIGO__SPIN_HI_SEC in all
 * (a longer spin would have caught it), and halves after a wait of more
 * than 4 x LIGO__SPIN_HI_SEC (the other side was away: descheduled, or in
 * a long serial stretch). Waits that end during the spin change nothing,
 * and read no clock. The pause instruction's length differs between
 * processors (10 ns on one Xeon, 23 ns on one EPYC; a plain load loop
 * without it), so pool_new times it once and counts spins in pauses.
 * Without a monotonic clock (a strict C99 build without _POSIX_C_SOURCE)
 * the spin is a fixed 500 pauses; -DLIGO_POOL_SPIN=n fixes it at n pauses
 * (0: block at once).
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
#define LIGO__SPIN 500 /* without a clock to time the pause */
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

/* The adaptive spin's bounds, in seconds (see above). */
#define LIGO__SPIN_LO_SEC 5e-6
#define LIGO__SPIN_HI_SEC 50e-6
/* Adaptive when the spin is not fixed and ligo_time_sec is a wall clock. */
#if !defined(LIGO_POOL_SPIN) && LIGO__SPIN != 0 && (defined(_WIN32) || defined(CLOCK_MONOTONIC))
#define LIGO__SPIN_ADAPT 1
#else
#define LIGO__SPIN_ADAPT 0
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
    int spin_lo, spin_hi; /* the spin's bounds in pauses (equal: fixed) */
    int caller_spin;      /* the caller's spin now, in pauses */
    double pause_sec;     /* one turn of the spin loop, timed (0: not timed) */
    ligo_task_fn fn;
    void *arg;
    int nth;
    void *alloc_user;
};

typedef struct ligo__worker_arg {
    ligo__pool *pool;
    int ith;
} ligo__worker_arg;

/* The next spin after a wait that spun `spin` pauses, then blocked from
 * time t0 to now. */
static int ligo__spin_next(const ligo__pool *pool, int spin, double t0) {
#if LIGO__SPIN_ADAPT
    double waited = (double)spin * pool->pause_sec + (ligo_time_sec() - t0);
    if (waited <= LIGO__SPIN_HI_SEC) spin = spin > pool->spin_hi / 2 ? pool->spin_hi : 2 * spin;
    else if (waited > 4.0 * LIGO__SPIN_HI_SEC) spin = spin / 2 < pool->spin_lo ? pool->spin_lo : spin / 2;
#else
    (void)pool;
    (void)t0;
#endif
    return spin;
}

/* The time now, when the spin adapts; 0 otherwise (no clock is read). */
static double ligo__spin_clock(void) {
#if LIGO__SPIN_ADAPT
    return ligo_time_sec();
#else
    return 0.0;
#endif
}

/* Wait until the generation differs from `seen`, spinning *spin pauses
 * first; returns the new generation and updates *spin. */
static unsigned long ligo__pool_wait_start(ligo__pool *pool, unsigned long seen, int *spin) {
    unsigned long g;
    double t0;
    int i;
    for (i = 0; i < *spin; i++) {
        g = LIGO__ATOMIC_LOAD(&pool->generation);
        if (g != seen) return g;
        LIGO__PAUSE();
    }
    t0 = ligo__spin_clock();
    ligo__mutex_lock(&pool->mu);
    LIGO__ATOMIC_ADD(&pool->sleepers, 1);
    while ((g = LIGO__ATOMIC_LOAD(&pool->generation)) == seen) ligo__cond_wait(&pool->start, &pool->mu);
    LIGO__ATOMIC_ADD(&pool->sleepers, -1);
    ligo__mutex_unlock(&pool->mu);
    *spin = ligo__spin_next(pool, *spin, t0);
    return g;
}

static void *ligo__worker(void *p) {
    ligo__worker_arg *wa = (ligo__worker_arg *)p;
    ligo__pool *pool = wa->pool;
    int ith = wa->ith;
    unsigned long seen = 0;
    int spin = pool->spin_lo;
    for (;;) {
        seen = ligo__pool_wait_start(pool, seen, &spin);
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

LIGO__PRIV void ligo__pool_free(ligo__pool *pool) {
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

/* The spin's bounds in pause instructions: the pause timed here, the
 * fastest of a few tries (a try the thread was descheduled in runs long). */
static void ligo__pool_spin_bounds(ligo__pool *pool) {
#if LIGO__SPIN_ADAPT
    double best = 1.0, t;
    ligo__aint probe = 0;
    int r, i;
    for (r = 0; r < 5; r++) {
        t = ligo_time_sec();
        for (i = 0; i < 256; i++) {
            if (LIGO__ATOMIC_LOAD(&probe) != 0) break; /* the wait loop's body */
            LIGO__PAUSE();
        }
        t = (ligo_time_sec() - t) / 256.0;
        if (t > 0.0 && t < best) best = t;
    }
    if (best < 1e-10) best = 1e-10;
    pool->pause_sec = best;
    pool->spin_lo = (int)(LIGO__SPIN_LO_SEC / best) + 1;
    pool->spin_hi = (int)(LIGO__SPIN_HI_SEC / best) + 1;
    if (pool->spin_hi > 1000000) pool->spin_hi = 1000000;
    if (pool->spin_lo > pool->spin_hi) pool->spin_lo = pool->spin_hi;
#else
    pool->spin_lo = pool->spin_hi = LIGO__SPIN;
#endif
    pool->caller_spin = pool->spin_lo;
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
    ligo__pool_spin_bounds(pool); /* before the workers read them */
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
    for (i = 0; i < pool->caller_spin && LIGO__ATOMIC_LOAD(&pool->pending) > 0; i++) LIGO__PAUSE();
    if (LIGO__ATOMIC_LOAD(&pool->pending) > 0) {
        double t0 = ligo__spin_clock();
        ligo__mutex_lock(&pool->mu);
        /* A read-modify-write, not a store: the pairing with the worker's
         * decrement of pending then its load of this flag needs this write
         * ordered before the load of pending below. A sequentially
         * consistent store and load give that in C11 and on hardware, but
         * qemu-user running ARM64 code on x86 emulates the store-release
         * and load-acquire without the fence between them, and the
         * caller slept through the last worker's signal there (1 run in 3
         * of the unit suite hung). An RMW is a locked instruction under
         * every emulator. */
        LIGO__ATOMIC_ADD(&pool->caller_sleeping, 1);
        while (LIGO__ATOMIC_LOAD(&pool->pending) > 0) ligo__cond_wait(&pool->done, &pool->mu);
        LIGO__ATOMIC_STORE(&pool->caller_sleeping, 0);
        ligo__mutex_unlock(&pool->mu);
        pool->caller_spin = ligo__spin_next(pool, pool->caller_spin, t0);
    }
    pool->busy = 0;
}
#else
struct ligo__pool {
    int n;
};
LIGO__PRIV void ligo__pool_free(ligo__pool *pool) { (void)pool; }
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
