/* ligo.h - train transformers on a CPU and grow them with LiGO.
 * Version 0.2.0 (LIGO_VERSION_STRING; LIGO_VERSION_MAJOR, _MINOR, _PATCH).
 * Public domain-style permissive use: see LICENSE.
 *
 * ligo is a single-header C99 library: float32 tensors, reverse-mode
 * autograd, transformer ops, GPT / BERT / ViT models, AdamW and SGD, data
 * loaders, safetensors checkpoints with Hugging Face names, and the LiGO
 * growth operator (Wang et al., ICLR 2023, arXiv 2303.00980) with the
 * baseline growth methods. It needs only libc, libm and threads (POSIX,
 * or Win32 on Windows; PLATFORMS below).
 * docs/tour.md in the repository is a guided reading of the sources.
 *
 * USE
 *   In exactly one C or C++ file:
 *       #define LIGO_IMPLEMENTATION
 *       #include "ligo.h"
 *   Everywhere else just #include "ligo.h". Link with -lm -lpthread
 *   (MinGW: -lm; MSVC: nothing).
 *   Installed (make install): pkg-config --cflags --libs ligo, or in CMake
 *   find_package(ligo) and target_link_libraries(app PRIVATE ligo::ligo).
 *
 * QUICK START (tests/extract_quickstart.py compiles and runs this block)
 *
 *       ligo_ctx *ctx = ligo_ctx_new(NULL);              // all cores, default limits
 *       int64_t shape[2] = {1, 3};
 *       ligo_tensor *w = ligo_new_param(ctx, 2, shape);  // a parameter: has a gradient
 *       ligo_tensor *x = ligo_new_2d(ctx, 1, 3);         // an input
 *       ligo_fill(w, 0.5f);
 *       ligo_fill(x, 2.0f);
 *       ligo_tensor *y = ligo_sum(ctx, ligo_mul(ctx, w, x)); // y = sum(w * x)
 *       if (ligo_backward(ctx, y) != LIGO_OK) {          // a NULL y lands here too
 *           fprintf(stderr, "ligo: %s\n", ligo_get_error(ctx));
 *           return 1;
 *       }
 *       printf("y = %g, dy/dw = %g\n", y->data[0], w->grad[0]); // 3 and 2
 *
 *   A model is the same pattern at a larger size: ligo_model_new and
 *   ligo_model_init, then per step ligo_scratch_mark, ligo_model_loss,
 *   ligo_backward, ligo_optim_step, ligo_scratch_rewind, which
 *   ligo_trainer_run does; growth makes a large model from a trained small
 *   one. A GPT of 2 layers x 32 on bytes, grown to 4 x 64 with LiGO (the
 *   head dimension stays 8):
 *
 *       static char text[20000];
 *       for (int i = 0; i < 20000; i++) text[i] = "to be or not to be, "[i % 20];
 *       ligo_data data = {0};                            // GPT data: a token stream
 *       data.family = LIGO_GPT;
 *       ligo_tokens_from_bytes(ctx, text, sizeof text, &data.tokens); // last 10%: validation
 *       ligo_config cfg = ligo_config_default(LIGO_GPT);
 *       cfg.n_layer = 2, cfg.d_model = 32, cfg.n_head = 4, cfg.ctx_len = 32;
 *       ligo_model *small = ligo_model_new(ctx, &cfg);
 *       ligo_model_init(small, 1);                       // seed 1
 *       ligo_train_config tc = ligo_train_config_default();
 *       tc.steps = 100, tc.batch = 8;
 *       ligo_trainer_run(ctx, ligo_trainer_new(ctx, small, &data, &tc));
 *       ligo_config big = cfg;
 *       big.n_layer = 4, big.d_model = 64, big.n_head = 8, big.d_ff = 0; // d_ff 0: 4 x 64
 *       ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
 *       gc.fit_steps = 20;
 *       ligo_grow *g = ligo_grow_new(ctx, small, &big, &gc);
 *       ligo_grow_fit(ctx, g, &data);                    // learn the operator
 *       ligo_model *large = ligo_grow_apply(ctx, g);     // a model like any other
 *       ligo_eval_result ev;
 *       if (ligo_evaluate(ctx, large, &data, 8, 32, 0, &ev) != LIGO_OK) { // errors stick:
 *           fprintf(stderr, "ligo: %s\n", ligo_get_error(ctx));          // one check
 *           return 1;
 *       }
 *       printf("grown 4 x 64: validation loss %.3f\n", ev.loss);
 *       ligo_model_save(ctx, large, "grown.safetensors"); // ligo_model_load reads it
 *       ligo_ctx_free(ctx);
 *
 *   A model of one's own (a parameter table and a forward pass written
 *   with the ops) trains, saves and grows the same way: ligo_model_def,
 *   examples/my_gpt.c and examples/my_grow.c, docs/guide.md.
 *
 * OPTIONS (define before including the implementation)
 *   LIGO_IMPLEMENTATION   emit the implementation in this translation unit
 *   LIGO_STATIC           make every function static to that unit
 *   LIGO_API              the linkage of every public function (default
 *                         extern; with LIGO_STATIC, static); define it
 *                         yourself for e.g. a DLL export attribute
 *   LIGO_NO_THREADS       build without threads (one thread; no
 *                         -lpthread needed)
 *   LIGO_NO_SIMD          never use the SIMD kernels (AVX2/FMA and AVX on
 *                         x86, chosen at run time by CPU support; NEON on
 *                         ARM64, always there): the portable C only (NaN
 *                         and infinity come out alike either way)
 *   LIGO_POOL_SPIN=n      pause instructions a waiting pool thread spins
 *                         before it blocks, fixed (default: timed, 5 to
 *                         50 microseconds, adapting to how long waits
 *                         last; 0 blocks at once)
 *   LIGO_MALLOC(sz,u), LIGO_REALLOC(p,sz,u), LIGO_FREE(p,u)
 *                         your allocator: all three or none (#error
 *                         otherwise); u is ligo_ctx_params.alloc_user
 *   LIGO_ASSERT(x)        internal invariants only (default: assert)
 *   LIGO_OP_TESTS         also compile each op's test cases and
 *                         ligo_op_cases (the unit tests define it)
 *   In ligo_blas.h (the optional BLAS hook): LIGO_BLAS_IMPLEMENTATION,
 *   LIGO_BLAS_CBLAS (any CBLAS instead of BLIS), LIGO_BLAS_MIN_DIM
 *   (products with a dimension below it stay on ligo's kernel; 32).
 *   LIGO__WIN32_INTERLOCKED (testing) on Windows with gcc or clang, use
 *                         the Interlocked atomics MSVC gets instead of
 *                         gcc's __atomic builtins (make test-cross runs
 *                         the unit suite both ways under wine)
 *   Run-time settings are in ligo_ctx_params (arena limits and chunk size,
 *   threads, allocator user pointer): ligo_ctx_params_default, then edit.
 *
 * PLATFORMS
 *   The same source everywhere, C99 without variable-length arrays (the
 *   subset MSVC accepts) under -std=c99 -Wall -Wextra -Wpedantic -Werror:
 *   - Linux x86-64 (gcc, clang; g++ and clang++ as C++): make test.
 *   - Linux ARM64 (aarch64): cross-compiled with gcc 12 and run under
 *     qemu-aarch64 (make test-cross), with the NEON kernels; their
 *     checkpoints are bitwise those of an x86-64 build on AVX2 + FMA,
 *     and a LIGO_NO_SIMD build's bitwise those of an x86-64 LIGO_NO_SIMD
 *     build. Speed is not measured there (qemu emulates; see
 *     gemm_kernels.c for the reasoning behind the kernel's shape).
 *   - Windows x86-64 (MinGW-w64 gcc; Vista or later): cross-compiled and
 *     run under wine (make test-cross). Threads are CreateThread with
 *     CRITICAL_SECTION and CONDITION_VARIABLE, the clock the performance
 *     counter, files are opened in binary mode, and a save replaces its
 *     target with _commit and MoveFileEx(MOVEFILE_REPLACE_EXISTING). The
 *     implementation's unit uses MinGW's C99 printf (ligo.h defines
 *     __USE_MINGW_ANSI_STDIO when it comes before stdio.h). ligo.h may
 *     follow a full <windows.h>. MSVC's branch (Interlocked atomics) is
 *     compiled and tested through MinGW (LIGO__WIN32_INTERLOCKED), not
 *     with MSVC itself; MSVC would still need the x86 SIMD paths left out
 *     (LIGO_NO_SIMD: they use gcc's target attributes).
 *   - Linux s390x (big-endian): cross-compiled with gcc 12 and run under
 *     qemu-s390x (make test-cross). Every file keeps its format's byte
 *     order whatever the host's: safetensors (checkpoints, trainer state,
 *     operators, exports) and GPT-2 token files little-endian, IDX
 *     big-endian; integers are assembled from bytes, floats are swapped
 *     in place on a big-endian host only (file.c's byte-order helpers; a
 *     no-op on little-endian ones). Files written there load bitwise on
 *     x86-64 and back. There gcc -std=c99 evaluates float expressions in
 *     double (FLT_EVAL_METHOD 1): right, but neither bitwise the other
 *     hosts' results nor as fast; -fexcess-precision=fast gives float
 *     arithmetic and results bitwise those of an x86-64 LIGO_NO_SIMD build.
 *   Other POSIX systems should work (pthreads, clock_gettime, fsync,
 *   rename) but are not tested.
 *   Instruction sets: on x86 with gcc or clang, chosen at run time by
 *   CPU support, AVX2 + FMA (the GEMM micro-kernel, linear's bias and
 *   GELU epilogues and column sums, GELU, layernorm, attention,
 *   cross-entropy) and AVX (AdamW, the clipping norm); on ARM64 with gcc
 *   or clang, NEON for all of these, compiled in (every AArch64 CPU has
 *   it), each kernel doing its AVX2 twin's operations lane for lane (so
 *   the same bits); on other CPUs, other compilers and under
 *   LIGO_NO_SIMD the portable C kernels. ligo_sgemm_kernel_name() says
 *   which: "avx2-fma", "neon-fma" or "portable" (the op kernels follow
 *   the same choice; AdamW and the norm need only AVX). Bitwise equal to
 *   the portable C: AdamW, the clipping norm, the column sums; the rest
 *   (fused multiply-adds, a polynomial exp) agree to rounding. These
 *   bitwise statements need a * b + c left unfused where the C does not
 *   fuse it: gcc does so under -std=c99 (not -std=gnu99 on ARM64, where
 *   FMA is baseline), clang because the implementation says
 *   #pragma STDC FP_CONTRACT OFF (for the rest of its translation unit).
 *   Compile-time switches: the OPTIONS above (LIGO_NO_THREADS,
 *   LIGO_NO_SIMD, LIGO_POOL_SPIN, LIGO__WIN32_INTERLOCKED, the allocator).
 *
 * ERRORS
 *   Every action returns a ligo_status (LIGO_OK is 0; ligo_status_str names
 *   each); builders return NULL. The context keeps the first error's
 *   status and message (ligo_get_status, ligo_get_error), e.g.
 *   "ligo_linear: input 4x8 does not fit weight 3x7 (out, in)". Errors are
 *   sticky: after one, every builder returns NULL at once and every action
 *   returns the same status, so a whole block can be checked once at its
 *   end; ligo_clear_error starts again. Nothing in the library calls exit
 *   or abort or asserts on user data: bad shapes, bad files, ids out of
 *   range, sizes that overflow, running out of the arena (LIGO_ENOMEM) and
 *   a non-finite loss (LIGO_ENONFINITE) are all error codes. Files are
 *   written atomically (a temporary file, flushed, renamed over the target);
 *   ligo_file_begin / ligo_file_commit give a program's own files the same.
 *   Configs are checked field by field when an object is made from them,
 *   before any allocation or work, each bad field named with its value
 *   ("ligo_trainer_new: sched.lr_min is nan (want a finite rate >= 0)");
 *   ligo_train_config_check and ligo_data_check run those checks on their
 *   own. ligo_ctx_new has no context to hold its error: ligo_ctx_new_status
 *   hands back the status and the message.
 *
 * OWNERSHIP
 *   A context owns everything it allocates, in two arenas: persistent
 *   (parameters, gradients, optimizer moments, models, trainers, growth
 *   operators) and scratch (activations, the tape, file buffers), rewound
 *   with ligo_scratch_mark / ligo_scratch_rewind, typically once per step.
 *   Tensors and pointers into scratch die at the rewind that passes them.
 *   Nothing is freed one by one; ligo_ctx_free frees all, and
 *   ligo_persistent_mark / ligo_persistent_rewind release, last in first
 *   out, every persistent object made after the mark (growth operators,
 *   models, trainers, optimizers), so a sweep in one process stays flat:
 *
 *       ligo_mark base = ligo_persistent_mark(ctx); // after data, small model
 *       for (each method and seed) {
 *           ligo_grow *g = ligo_grow_new(ctx, small, &large, &gc);
 *           ... ligo_grow_fit, ligo_grow_apply, ligo_trainer_new, run, save
 *           ligo_persistent_rewind(ctx, base);      // all of it released
 *       }
 *
 *   Pointers into what a rewind releases die with it (using one is your
 *   error); the context's own buffers never live there. Buffers you pass
 *   in (ligo_wrap, ids, targets, images, file paths) stay yours and are not
 *   kept past the call, except ligo_wrap's, which must outlive the tensor;
 *   ligo_st_add keeps its floats until the file is written.
 *
 * OUTPUT
 *   The library writes nothing on stdout or stderr. ligo_trainer_run and
 *   ligo_grow_fit report their progress to their config's on_progress
 *   (a ligo_progress after every step and at the end); set it to
 *   ligo_progress_print_stderr for the usual line.
 *
 * THREADS
 *   A context runs its work on a small pool (all cores by default;
 *   ligo_ctx_params.n_threads, ligo_set_num_threads). Work is split over
 *   output elements only, never over a sum, so results are bitwise
 *   identical for any thread count. One context must not be used from two
 *   threads at once; separate contexts may run in parallel. The GEMM hook
 *   (ligo_set_sgemm, which ligo_blas.h sets) is the only global mutable
 *   state: set it before any context runs work.
 */

/* Generated by amalgamate.py from src/: edit those files, not this one. */

/* Strict -std=c99 hides POSIX (clock_gettime, sysconf): ask for it before
 * any system header when this file holds the implementation. */
#if defined(LIGO_IMPLEMENTATION) && defined(__STRICT_ANSI__) && \
    !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
/* MinGW: C99 printf (%zu, %lld) rather than msvcrt's, likewise. */
#if defined(LIGO_IMPLEMENTATION) && defined(__MINGW32__) && !defined(__USE_MINGW_ANSI_STDIO)
#define __USE_MINGW_ANSI_STDIO 1
#endif

#ifndef LIGO_H
#define LIGO_H

/* ==== begin src/ligo_api.h ==== */
/* ligo_api.h: the public declarations of ligo, module by module.
 * amalgamate.py places this file inside ligo.h's include guard. */
#ifndef LIGO_API_H
#define LIGO_API_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* FILE, for ligo_file */

/* The Windows SDK's rpcndr.h (which a full <windows.h> includes) defines
 * small as char; ligo names fields and parameters small, so the macro is
 * set aside for ligo's declarations and restored after them. */
#if defined(_WIN32) && defined(small)
#pragma push_macro("small")
#undef small
#define LIGO__POP_SMALL
#endif

#define LIGO_VERSION_MAJOR 0
#define LIGO_VERSION_MINOR 2
#define LIGO_VERSION_PATCH 0
#define LIGO_VERSION_STRING "0.2.0"

/* LIGO_STATIC makes every function static to the translation unit that
 * defines LIGO_IMPLEMENTATION (unused ones raise no warning). */
#ifndef LIGO_API
#if defined(LIGO_STATIC)
#if defined(__GNUC__) || defined(__clang__)
#define LIGO_API static __attribute__((unused))
#else
#define LIGO_API static
#endif
#else
#define LIGO_API extern
#endif
#endif

/* printf-style format checking of ligo_set_error. MinGW's C99 printf (which
 * the library formats with there) is gcc's gnu_printf, not Microsoft's. */
#if defined(__MINGW32__)
#define LIGO__FORMAT(a, b) __attribute__((format(gnu_printf, a, b)))
#elif defined(__GNUC__) || defined(__clang__)
#define LIGO__FORMAT(a, b) __attribute__((format(printf, a, b)))
#else
#define LIGO__FORMAT(a, b)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * core: status codes, context, arenas, RNG, threads, FLOPs, timers
 * ====================================================================== */

typedef enum ligo_status {
    LIGO_OK = 0,
    LIGO_EINVAL,    /* invalid argument: NULL, negative size, bad option */
    LIGO_ESHAPE,    /* tensor shapes do not fit the operation */
    LIGO_ERANGE,    /* an index or id outside its valid range */
    LIGO_EOVERFLOW, /* a size computation would overflow */
    LIGO_ENOMEM,    /* an allocation or an arena limit failed */
    LIGO_EFORMAT,   /* a file or buffer is malformed */
    LIGO_EIO,       /* reading or writing a file failed */
    LIGO_ENONFINITE,/* a NaN or infinity where a finite value is required */
    LIGO_ESTATE,    /* the call is not valid in the object's current state */
    LIGO_STATUS_COUNT
} ligo_status;

/* A short constant description of a status ("shape mismatch"). */
LIGO_API const char *ligo_status_str(ligo_status s);

typedef struct ligo_ctx ligo_ctx;
typedef struct ligo_tensor ligo_tensor;
typedef struct ligo_data ligo_data; /* data section */

/* Creation parameters of a context. Fill from ligo_ctx_params_default(). */
typedef struct ligo_ctx_params {
    size_t persistent_limit; /* bytes the persistent region may hold (parameters, gradients) */
    size_t scratch_limit;    /* bytes the scratch region may hold (activations, tape) */
    size_t chunk_bytes;      /* arenas grow by chunks of at least this size */
    int n_threads;           /* worker threads, including the caller; 0 = all cores */
    void *alloc_user;        /* passed to LIGO_MALLOC / LIGO_REALLOC / LIGO_FREE */
} ligo_ctx_params;

LIGO_API ligo_ctx_params ligo_ctx_params_default(void);

/* A context owns two arenas, the tape, a thread pool, FLOP counters and the
 * last error. params NULL means ligo_ctx_params_default(). Returns NULL only
 * when the params are invalid (n_threads outside [0, 1024], a chunk_bytes,
 * persistent_limit or scratch_limit of 0) or the context itself cannot be
 * allocated; ligo_ctx_new_status says which. */
LIGO_API ligo_ctx *ligo_ctx_new(const ligo_ctx_params *params);
/* ligo_ctx_new that reports why it failed: with no context to hold the
 * error, the status goes to *status (LIGO_EINVAL for a bad field,
 * LIGO_ENOMEM) and the message, naming the field and its value ("ligo_ctx_new:
 * n_threads is -1 (want ...)"), into msg (msg_size bytes, always
 * terminated). On success *status is LIGO_OK and msg is "". status and msg
 * may be NULL. */
LIGO_API ligo_ctx *ligo_ctx_new_status(const ligo_ctx_params *params, ligo_status *status, char *msg,
                                       size_t msg_size);
LIGO_API void ligo_ctx_free(ligo_ctx *ctx);

/* Errors are sticky: after a failure every builder returns NULL at once and
 * every action returns the same status, until ligo_clear_error. */
LIGO_API ligo_status ligo_get_status(const ligo_ctx *ctx);
LIGO_API const char *ligo_get_error(const ligo_ctx *ctx); /* "" when OK */
LIGO_API void ligo_clear_error(ligo_ctx *ctx);
/* Record an error on the context (printf-style message); returns s. */
LIGO_API ligo_status ligo_set_error(ligo_ctx *ctx, ligo_status s, const char *fmt, ...) LIGO__FORMAT(3, 4);

/* Arenas. Persistent memory (models, optimizers, trainers, growth
 * operators, data) lives until the context is freed or a persistent rewind
 * passes it. Scratch memory (activations, tape nodes) is rewound to a mark,
 * usually once per training step. Allocations are 64-byte aligned and
 * zeroed. A mark belongs to one region of one context. */
typedef struct ligo_mark {
    void *chunk;
    size_t used;
    size_t total;
    ligo_tensor *tape;
    int64_t tape_len;
    const void *region; /* the arena it was taken in */
} ligo_mark;

LIGO_API void *ligo_alloc_persistent(ligo_ctx *ctx, size_t bytes);
LIGO_API void *ligo_alloc_scratch(ligo_ctx *ctx, size_t bytes);
LIGO_API ligo_mark ligo_scratch_mark(const ligo_ctx *ctx);
/* A persistent mark is refused (LIGO_EINVAL, nothing rewound). */
LIGO_API void ligo_scratch_rewind(ligo_ctx *ctx, ligo_mark mark);
/* Release, last in first out, everything allocated in the persistent
 * region since the mark: ligo_grow_new, ligo_grow_apply, ligo_model_new,
 * ligo_trainer_new, ligo_optim_new and the rest, all at once. Chunks wholly
 * past the mark go back to the allocator. Objects made before the mark are
 * untouched, so a sweep over methods and seeds stays flat:
 *
 *     ligo_mark base = ligo_persistent_mark(ctx);   // after data, small model
 *     for (each method and seed) {
 *         ligo_grow *g = ligo_grow_new(ctx, small, &large, &gc);
 *         ligo_grow_fit(ctx, g, &data);
 *         ligo_trainer *tr = ligo_trainer_new(ctx, ligo_grow_apply(ctx, g), &data, &tc);
 *         ligo_trainer_run(ctx, tr);                // read tr, save files ...
 *         ligo_persistent_rewind(ctx, base);        // g, the model, tr: gone
 *         ligo_clear_error(ctx);                    // if this round failed
 *     }
 *
 * Every pointer into the released memory dies: using one, or keeping
 * scratch tensors and tape nodes over it (rewind scratch past them first),
 * is the caller's error. So is keeping an operator made before the mark
 * whose first ligo_grow_fit (or ligo_grow_resume) came after it: that call
 * allocates the operator's AdamW (g->fit_opt). The context keeps nothing
 * of its own in the persistent region, so its buffers survive any rewind.
 * It works after an error too. LIGO_EINVAL: NULL ctx, a scratch mark, a mark of another
 * context; LIGO_ESTATE: a mark past the region's end (taken after the point
 * an earlier rewind went back to). A stale mark whose place has since been
 * allocated again is not detected. */
LIGO_API ligo_mark ligo_persistent_mark(const ligo_ctx *ctx);
LIGO_API ligo_status ligo_persistent_rewind(ligo_ctx *ctx, ligo_mark mark);
/* Bytes in use now, and the most ever in use, per region; reserved is the
 * bytes of chunks the persistent region holds from the allocator. */
LIGO_API size_t ligo_persistent_used(const ligo_ctx *ctx);
LIGO_API size_t ligo_persistent_reserved(const ligo_ctx *ctx);
LIGO_API size_t ligo_scratch_used(const ligo_ctx *ctx);
LIGO_API size_t ligo_scratch_peak(const ligo_ctx *ctx);

/* Explicit random number generator (xoshiro256**), held by whoever uses it. */
typedef struct ligo_rng {
    uint64_t s[4];
} ligo_rng;

LIGO_API void ligo_rng_seed(ligo_rng *rng, uint64_t seed);
LIGO_API uint64_t ligo_rng_u64(ligo_rng *rng);
LIGO_API float ligo_rng_uniform(ligo_rng *rng);               /* [0, 1) */
LIGO_API float ligo_rng_normal(ligo_rng *rng);                /* N(0, 1) */
LIGO_API uint64_t ligo_rng_below(ligo_rng *rng, uint64_t n);  /* [0, n), n > 0 */

/* Threads: work is split statically over (ith, nth); results never depend
 * on the thread count. */
LIGO_API ligo_status ligo_set_num_threads(ligo_ctx *ctx, int n_threads);
LIGO_API int ligo_get_num_threads(const ligo_ctx *ctx);
LIGO_API int ligo_cpu_count(void);
/* Run fn(arg, ith, nth) for ith in [0, nth) on the context's pool; nth is
 * clamped to the pool size. The caller runs ith = 0. */
typedef void (*ligo_task_fn)(void *arg, int ith, int nth);
LIGO_API void ligo_parallel_for(ligo_ctx *ctx, ligo_task_fn fn, void *arg, int nth);

/* FLOP counters: every op adds its forward and backward FLOPs. */
LIGO_API double ligo_flops_forward(const ligo_ctx *ctx);
LIGO_API double ligo_flops_backward(const ligo_ctx *ctx);
LIGO_API void ligo_flops_add(ligo_ctx *ctx, double forward, double backward);
LIGO_API void ligo_flops_reset(ligo_ctx *ctx);

/* Monotonic wall-clock seconds. */
LIGO_API double ligo_time_sec(void);

/* Per-op profile: while on, every op's forward and backward kernel is timed
 * (two clock reads each) and added to that op's total. Off by default. */
LIGO_API void ligo_profile_enable(ligo_ctx *ctx, int on);
LIGO_API void ligo_profile_reset(ligo_ctx *ctx);
/* Seconds in the kernels of op (a ligo_op value): forward (backward = 0)
 * or backward (backward = 1). */
LIGO_API double ligo_profile_seconds(const ligo_ctx *ctx, int op, int backward);

/* ======================================================================
 * tensor: contiguous float32 tensors of 1 to 4 dims
 * ====================================================================== */

#define LIGO_MAX_DIMS 4
#define LIGO_MAX_SRC 4

/* Tensor flags. */
#define LIGO_FLAG_PARAM 1u      /* a leaf whose gradient is wanted */
#define LIGO_FLAG_NEEDS_GRAD 2u /* leads to a parameter: backward visits it */

/* A tensor is also a node of the tape. Read the fields; change them only
 * through the API. */
struct ligo_tensor {
    int ndim;
    int64_t shape[LIGO_MAX_DIMS];
    int64_t n;            /* number of elements */
    float *data;          /* n floats */
    float *grad;          /* n floats, or NULL */
    unsigned flags;
    int op;               /* LIGO_OP_* that produced it; LIGO_OP_LEAF for leaves */
    ligo_tensor *src[LIGO_MAX_SRC];
    void *param;          /* the op's own parameters and what its backward needs: a
                           * struct private to the op's source (NULL for leaves and
                           * ops without any); read them through the op's API,
                           * e.g. ligo_cross_entropy_count */
    int32_t *ids;         /* ids or targets of embedding / cross_entropy */
    ligo_tensor *tape_prev; /* previous node on the tape */
};

/* A new tensor in scratch memory, zero-filled, without gradient. Shapes are
 * given outermost first; every dim must be >= 1. */
LIGO_API ligo_tensor *ligo_new(ligo_ctx *ctx, int ndim, const int64_t *shape);
LIGO_API ligo_tensor *ligo_new_1d(ligo_ctx *ctx, int64_t n0);
LIGO_API ligo_tensor *ligo_new_2d(ligo_ctx *ctx, int64_t n0, int64_t n1);
LIGO_API ligo_tensor *ligo_new_3d(ligo_ctx *ctx, int64_t n0, int64_t n1, int64_t n2);
/* A parameter in persistent memory with a zeroed gradient buffer. */
LIGO_API ligo_tensor *ligo_new_param(ligo_ctx *ctx, int ndim, const int64_t *shape);
/* A leaf over memory the caller owns (data must hold n floats). A non-NULL
 * grad (n floats) makes it a parameter whose gradient accumulates there.
 * The node lives in scratch memory; the buffers stay the caller's. */
LIGO_API ligo_tensor *ligo_wrap(ligo_ctx *ctx, int ndim, const int64_t *shape,
                                float *data, float *grad);

/* Element count of a shape with overflow checks: LIGO_EOVERFLOW, LIGO_EINVAL
 * for ndim outside [1, 4] or a dim < 1. */
LIGO_API ligo_status ligo_shape_numel(int ndim, const int64_t *shape, int64_t *n);
LIGO_API int ligo_same_shape(const ligo_tensor *a, const ligo_tensor *b);
/* "2x3x4" into buf (for messages). */
LIGO_API const char *ligo_shape_str(const ligo_tensor *t, char *buf, size_t size);
LIGO_API void ligo_fill(ligo_tensor *t, float value);
LIGO_API void ligo_fill_uniform(ligo_tensor *t, ligo_rng *rng, float lo, float hi);
LIGO_API void ligo_fill_normal(ligo_tensor *t, ligo_rng *rng, float mean, float std);
LIGO_API ligo_status ligo_copy_from(ligo_ctx *ctx, ligo_tensor *t, const float *src, int64_t n);

/* ======================================================================
 * gemm: the one matrix product every op goes through
 * ====================================================================== */

/* Row-major C = alpha * op(A) op(B) + beta * C with op(X) = X or X^T.
 * op(A) is M x K, op(B) is K x N, C is M x N; lda/ldb/ldc are row strides.
 * beta == 0 ignores the old contents of C (NaN included).
 * A hook returns non-zero when it computed C, or 0 to decline the product
 * (C untouched): ligo then computes it with its built-in kernel, as
 * without a hook, in the same place (the context's threads, attention's
 * per-head path with its causal tile skipping, the fused epilogues). A
 * hook that wants only large products declines the small ones
 * (ligo_blas.h declines any with M, N or K below a threshold). */
typedef int (*ligo_sgemm_fn)(void *user, int trans_a, int trans_b,
                             int64_t M, int64_t N, int64_t K, float alpha,
                             const float *A, int64_t lda, const float *B, int64_t ldb,
                             float beta, float *C, int64_t ldc);

/* Replace the built-in product (NULL restores it): every product of the
 * library goes to the hook first, the ops' (attention's per-head products
 * included) and ligo_sgemm's. The hook has no context; attention calls it
 * from the context's worker threads, several at once, so it must be safe
 * to call concurrently. The only global mutable state of the library: set
 * it before any context runs work. */
LIGO_API void ligo_set_sgemm(ligo_sgemm_fn fn, void *user);
LIGO_API ligo_sgemm_fn ligo_get_sgemm(void **user);

/* The choke point: the hook when set, the built-in kernel otherwise. Uses
 * the context's threads (ctx may be NULL: one thread). Arguments are
 * checked; the status is returned and recorded on ctx when non-NULL. */
LIGO_API ligo_status ligo_sgemm(ligo_ctx *ctx, int trans_a, int trans_b,
                                int64_t M, int64_t N, int64_t K, float alpha,
                                const float *A, int64_t lda, const float *B, int64_t ldb,
                                float beta, float *C, int64_t ldc);
/* The built-in kernel, never the hook. */
LIGO_API void ligo_sgemm_builtin(ligo_ctx *ctx, int trans_a, int trans_b,
                                 int64_t M, int64_t N, int64_t K, float alpha,
                                 const float *A, int64_t lda, const float *B, int64_t ldb,
                                 float beta, float *C, int64_t ldc);
/* The plain triple loop, the reference the tests compare against. */
LIGO_API void ligo_sgemm_ref(int trans_a, int trans_b,
                             int64_t M, int64_t N, int64_t K, float alpha,
                             const float *A, int64_t lda, const float *B, int64_t ldb,
                             float beta, float *C, int64_t ldc);
/* Name of the kernel the built-in path runs on this CPU ("avx2-fma", "portable"). */
LIGO_API const char *ligo_sgemm_kernel_name(void);

/* ======================================================================
 * graph: the autograd tape
 * ====================================================================== */

/* The name of op (a ligo_op value, src/gen/ops_api.h): "linear", ...; "unknown"
 * outside [0, LIGO_OP_COUNT). */
LIGO_API const char *ligo_op_name(int op);

/* Reverse-mode autodiff from a scalar (n == 1) node: seeds d loss = 1 and
 * walks the tape from the loss back to the start, accumulating into the
 * gradients of every node that leads to a parameter. Parameter gradients
 * accumulate across calls; zero them explicitly. */
LIGO_API ligo_status ligo_backward(ligo_ctx *ctx, ligo_tensor *loss);
/* Gradient reuse (off by default): when on, backward releases the gradient
 * of each intermediate (non-leaf, non-parameter) node once its own backward
 * has run, sets its grad to NULL, and reuses the buffer for later nodes, so
 * a training step holds far fewer gradient buffers. Leaves keep theirs. */
LIGO_API void ligo_set_grad_reuse(ligo_ctx *ctx, int on);
/* Number of nodes on the tape. */
LIGO_API int64_t ligo_tape_length(const ligo_ctx *ctx);
LIGO_API void ligo_zero_grad(ligo_tensor *t);

/* Gradient check: build(ctx, user) must rebuild the scalar loss from the
 * current values of params (each a parameter). Compares backward against
 * central differences and returns the largest error, each element's error
 * being |analytic - numeric| / max(|analytic|, |numeric|, atol). */
typedef ligo_tensor *(*ligo_build_fn)(ligo_ctx *ctx, void *user);
typedef struct ligo_gradcheck_opts {
    double eps;            /* finite-difference step (default 1e-2) */
    double atol;           /* floor of the error's denominator (default 1e-2) */
    int64_t max_per_param; /* elements checked per parameter, 0 = all */
    double analytic_scale; /* multiplies the analytic gradient; 1 normally,
                              other values test the checker itself */
} ligo_gradcheck_opts;
LIGO_API ligo_gradcheck_opts ligo_gradcheck_opts_default(void);
LIGO_API ligo_status ligo_check_grad(ligo_ctx *ctx, ligo_build_fn build, void *user,
                                     ligo_tensor **params, int n_params,
                                     const ligo_gradcheck_opts *opts, double *max_err);

#ifdef LIGO_OP_TESTS
/* The test cases each op keeps beside its kernels (in its src/ops/ file),
 * compiled when LIGO_OP_TESTS is defined (the unit tests define it). The
 * tests draw each input U(offset - scale, offset + scale) as a parameter
 * (offset 0 unless the case gives one), build the op with run, and check
 * it: backward against central differences, the output against ref (a
 * float64 recomputation) when ref is set, a NULL first input, and that a
 * node of the op is on the tape. */
typedef struct ligo_op_case ligo_op_case;
typedef struct ligo_op_input {
    int ndim;
    int64_t shape[LIGO_MAX_DIMS];
    float scale;
} ligo_op_input;
struct ligo_op_case {
    const char *name;
    ligo_tensor *(*run)(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c);
    int n_in;
    ligo_op_input in[4];
    float offset[4];  /* input k is drawn U(offset[k] - scale, offset[k] + scale) */
    int64_t i0, i1;   /* op-specific integers for run */
    int32_t ids[16];  /* ids or targets for run */
    int64_t n_ids;
    /* the output in float64 from the inputs' values (out has the output's
     * element count), and the largest |output - ref| allowed */
    void (*ref)(ligo_tensor *const *in, const ligo_op_case *c, double *out);
    double ref_tol;
};
/* The cases of op (a ligo_op value): their number, and the first in *cases
 * (NULL when there are none). */
LIGO_API int ligo_op_cases(int op, const ligo_op_case **cases);
#endif

/* ======================================================================
 * ops: builders. Each checks its inputs, computes its output at once
 * (eager), records itself on the tape and counts its FLOPs. On error it
 * returns NULL and sets the context's status and message. Each op lives in
 * a source of its own under src/ops/; the op enum and the declarations
 * below are generated from those sources by amalgamate.py.
 * ====================================================================== */

/* A custom op: functions of the user's on the tape, in the manner of
 * PyTorch's autograd.Function (ligo_custom in src/ops/custom.c, declared
 * below). Each callback gets the user pointer given to ligo_custom and the
 * n_src sources. On failure it returns a status other than LIGO_OK and may
 * write a reason into msg (LIGO_CUSTOM_MSG bytes, empty on entry); the
 * context then records that status with a message naming the op, e.g.
 * "ligo_custom(softplus): shape: x must be 2-D, got 2x3x4".
 *
 *   shape     the output's ndim (1 to LIGO_MAX_DIMS) and dims (each >= 1)
 *             from the sources; NULL: the shape of src[0].
 *   forward   writes out->data (out->n floats, zeroed on entry) from the
 *             sources' data. Required.
 *   backward  adds (+=) into dsrc[k] (src[k]->n floats) the gradient with
 *             respect to src[k], given out->grad (d loss / d out) and
 *             out->data; dsrc[k] is NULL when src[k] needs no gradient,
 *             and a tensor passed twice gets the same buffer twice, so add,
 *             never store. NULL: no source may need a gradient.
 *
 * Callbacks run on the calling thread and may use the context (threads
 * with ligo_parallel_for, scratch memory, ligo_flops_add); what backward
 * needs beyond the sources and the output, forward can keep in scratch
 * memory and hang on the node (ligo_custom_saved). */
#define LIGO_CUSTOM_MSG 256
typedef ligo_status (*ligo_custom_shape_fn)(void *user, int n_src, const ligo_tensor *const *src, int *ndim,
                                            int64_t *shape, char *msg);
typedef ligo_status (*ligo_custom_forward_fn)(ligo_ctx *ctx, void *user, int n_src, const ligo_tensor *const *src,
                                              ligo_tensor *out, char *msg);
typedef ligo_status (*ligo_custom_backward_fn)(ligo_ctx *ctx, void *user, int n_src,
                                               const ligo_tensor *const *src, const ligo_tensor *out,
                                               float *const *dsrc, char *msg);
typedef struct ligo_custom_op {
    const char *name; /* in messages; NULL: "unnamed" */
    ligo_custom_shape_fn shape;
    ligo_custom_forward_fn forward;
    ligo_custom_backward_fn backward;
} ligo_custom_op;

/* ==== begin src/gen/ops_api.h ==== */
/* src/gen/ops_api.h: GENERATED by amalgamate.py from the op sources in src/ops/
 * (their LIGO__OP rows and LIGO_API functions). Do not edit: change the
 * op's source and run python3 amalgamate.py. */
#ifndef LIGO_GEN_OPS_API_H
#define LIGO_GEN_OPS_API_H

/* Every op: the tape's leaves, then the op sources' rows in file order. */
typedef enum ligo_op {
    LIGO_OP_LEAF,           /* ligo_new, ligo_new_param, ligo_wrap */
    LIGO_OP_ATTENTION,      /* src/ops/attention.c */
    LIGO_OP_ATTENTION_MASK, /* src/ops/attention_mask.c */
    LIGO_OP_ADD,            /* src/ops/binary.c */
    LIGO_OP_SUB,            /* src/ops/binary.c */
    LIGO_OP_MUL,            /* src/ops/binary.c */
    LIGO_OP_DIV,            /* src/ops/binary.c */
    LIGO_OP_BMM,            /* src/ops/bmm.c */
    LIGO_OP_CONCAT,         /* src/ops/concat.c */
    LIGO_OP_CROSS_ENTROPY,  /* src/ops/cross_entropy.c */
    LIGO_OP_CUSTOM,         /* src/ops/custom.c */
    LIGO_OP_DROPOUT,        /* src/ops/dropout.c */
    LIGO_OP_EMBEDDING,      /* src/ops/embedding.c */
    LIGO_OP_GELU,           /* src/ops/gelu.c */
    LIGO_OP_LAYERNORM,      /* src/ops/layernorm.c */
    LIGO_OP_LINEAR,         /* src/ops/linear.c */
    LIGO_OP_MATMUL,         /* src/ops/matmul.c */
    LIGO_OP_PERMUTE,        /* src/ops/permute.c */
    LIGO_OP_SUM,            /* src/ops/reduce.c */
    LIGO_OP_MEAN,           /* src/ops/reduce.c */
    LIGO_OP_RESHAPE,        /* src/ops/reshape.c */
    LIGO_OP_RMSNORM,        /* src/ops/rmsnorm.c */
    LIGO_OP_ROPE,           /* src/ops/rope.c */
    LIGO_OP_SCALE,          /* src/ops/scale.c */
    LIGO_OP_SILU,           /* src/ops/silu.c */
    LIGO_OP_SLICE,          /* src/ops/slice.c */
    LIGO_OP_SOFTMAX,        /* src/ops/softmax.c */
    LIGO_OP_TRANSPOSE,      /* src/ops/transpose.c */
    LIGO_OP_RELU,           /* src/ops/unary.c */
    LIGO_OP_TANH,           /* src/ops/unary.c */
    LIGO_OP_EXP,            /* src/ops/unary.c */
    LIGO_OP_LOG,            /* src/ops/unary.c */
    LIGO_OP_SQRT,           /* src/ops/unary.c */
    LIGO_OP_COUNT
} ligo_op;

/* ---- src/ops/attention.c */
/* Multi-head self-attention core. qkv is (B, T, 3C) holding Q, K, V side by
 * side; n_head divides C; scores scaled by 1/sqrt(C / n_head); causal masks
 * future positions. -> (B, T, C). */
LIGO_API ligo_tensor *ligo_attention(ligo_ctx *ctx, ligo_tensor *qkv, int64_t n_head, int causal);

/* ---- src/ops/attention_mask.c */
/* Multi-head attention with a mask of one's own: q (B, Tq, C), k and v
 * (B, Tk, C), n_head dividing C, scores Q K^T / sqrt(C / n_head) plus mask
 * (Tq, Tk) (0 where allowed, -inf where masked; any finite values act as
 * an additive bias, learned if mask is a parameter), or mask NULL ->
 * (B, Tq, C). A row masked everywhere is NaN, as PyTorch's. The causal
 * mask is 0 on and below the diagonal, -inf above. The same from
 * primitives (heads from ligo_reshape and ligo_permute):
 *   q, k, v (B, T, C) -> (B, T, NH, hs) -> permute {0, 2, 1, 3} -> (B NH, T, hs)
 *   s = ligo_scale(ligo_bmm(q, k, 0, 1), 1 / sqrt(hs))     (B NH, T, T)
 *   p = ligo_softmax(ligo_add(s, mask))                     mask (T, T) broadcast
 *   o = ligo_bmm(p, v, 0, 0) -> (B, NH, T, hs) -> permute {0, 2, 1, 3} -> (B, T, C)
 * (tests/test_prims.c checks it against ligo_attention). */
LIGO_API ligo_tensor *ligo_attention_mask(ligo_ctx *ctx, ligo_tensor *q, ligo_tensor *k, ligo_tensor *v,
                                          ligo_tensor *mask, int64_t n_head);

/* ---- src/ops/binary.c */
/* Elementwise a op b -> a's shape, b broadcast over a's leading dims: b
 * has a's shape, or a's last dims (leading dims of 1 allowed: a (B, T, C)
 * with b (T, C), (1, T, C) or (C)), or 1 element (a scalar), or b.n equals
 * a's last dim (a row: a bias). b's gradient sums over the broadcast. */
LIGO_API ligo_tensor *ligo_add(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b);
LIGO_API ligo_tensor *ligo_sub(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b);
LIGO_API ligo_tensor *ligo_mul(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b);
/* a / b elementwise, broadcast as ligo_add; IEEE for b = 0 (inf or NaN, no
 * error). */
LIGO_API ligo_tensor *ligo_div(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b);

/* ---- src/ops/bmm.c */
/* Batched matmul: op(a) @ op(b) for each batch, op(X) = X or X^T of the
 * last two dims: a (Bt, M, K) (trans_a: (Bt, K, M)) and b (Bt, K, N)
 * (trans_b: (Bt, N, K)) -> (Bt, M, N); or with two batch dims, (B, H, ...)
 * -> (B, H, M, N). The batch dims of a and b must be equal. */
LIGO_API ligo_tensor *ligo_bmm(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b, int trans_a, int trans_b);

/* ---- src/ops/concat.c */
/* Concatenate 2-D tensors along axis 0 (rows) or 1 (columns). */
LIGO_API ligo_tensor *ligo_concat(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *y, int axis);

/* ---- src/ops/cross_entropy.c */
/* Mean softmax cross-entropy of logits (..., V) against n targets (one per
 * row); rows whose target equals ignore_index are left out. Targets outside
 * [0, V) other than ignore_index are LIGO_ERANGE. -> scalar. If no row
 * counts, the loss is 0. */
LIGO_API ligo_tensor *ligo_cross_entropy(ligo_ctx *ctx, ligo_tensor *logits, const int32_t *targets, int64_t n,
                                         int32_t ignore_index);
/* The rows that counted in a ligo_cross_entropy node (targets other than
 * ignore_index): the loss's weight in a mean over batches. 0 for NULL or
 * another node. */
LIGO_API int64_t ligo_cross_entropy_count(const ligo_tensor *loss);

/* ---- src/ops/custom.c */
/* A node of a custom op (ligo_custom_op, src/ligo_api.h): op's shape
 * function checks the n_src sources (1 to LIGO_MAX_SRC, src[0] first) and
 * gives the output's shape, op->forward computes it at once, and
 * op->backward adds the sources' gradients when ligo_backward reaches the
 * node. user is handed to every callback; op and user must stay valid as
 * long as the node (until the scratch region is rewound past it). A
 * failing callback, a NULL op, forward or source, or a source needing a
 * gradient when op->backward is NULL, returns NULL with an error naming
 * the op: "ligo_custom(NAME): ...". FLOPs are the callbacks' to count
 * (ligo_flops_add). Example, y = log(1 + e^x) elementwise:
 *
 *   static ligo_status sp_fwd(ligo_ctx *ctx, void *user, int n, const ligo_tensor *const *src,
 *                             ligo_tensor *out, char *msg) {
 *       int64_t i;
 *       (void)ctx, (void)user, (void)n, (void)msg;
 *       for (i = 0; i < out->n; i++) out->data[i] = log1pf(expf(src[0]->data[i]));
 *       return LIGO_OK;
 *   }
 *   static ligo_status sp_bwd(ligo_ctx *ctx, void *user, int n, const ligo_tensor *const *src,
 *                             const ligo_tensor *out, float *const *dsrc, char *msg) {
 *       int64_t i;
 *       (void)ctx, (void)user, (void)n, (void)msg;
 *       for (i = 0; dsrc[0] && i < out->n; i++)
 *           dsrc[0][i] += out->grad[i] / (1.0f + expf(-src[0]->data[i]));
 *       return LIGO_OK;
 *   }
 *   static const ligo_custom_op softplus = {"softplus", NULL, sp_fwd, sp_bwd};
 *   y = ligo_custom(ctx, &softplus, 1, &x, NULL);
 */
LIGO_API ligo_tensor *ligo_custom(ligo_ctx *ctx, const ligo_custom_op *op, int n_src, ligo_tensor *const *src,
                                  void *user);
/* The slot of a custom node for what its backward needs (NULL at first):
 * forward may store a pointer there (to scratch memory from
 * ligo_alloc_scratch, which lives as long as the node), backward reads it
 * back: PyTorch's ctx.save_for_backward. NULL for NULL or another node. */
LIGO_API void **ligo_custom_saved(const ligo_tensor *out);

/* ---- src/ops/dropout.c */
/* Inverted dropout: x any shape -> x's shape, each element kept (and
 * scaled by 1 / (1 - p)) or zeroed with probability p, the mask drawn from
 * the caller's rng (element i is kept when the i-th ligo_rng_uniform(rng)
 * draw is >= p) and saved for backward; the same RNG state gives the same
 * mask. p in [0, 1]. For evaluation pass p = 0: the identity, which draws
 * nothing (rng may then be NULL). */
LIGO_API ligo_tensor *ligo_dropout(ligo_ctx *ctx, ligo_tensor *x, float p, ligo_rng *rng);

/* ---- src/ops/embedding.c */
/* Rows of table (V, C) picked by n ids -> (n, C). Ids outside [0, V) are
 * LIGO_ERANGE. */
LIGO_API ligo_tensor *ligo_embedding(ligo_ctx *ctx, ligo_tensor *table, const int32_t *ids, int64_t n);

/* ---- src/ops/gelu.c */
/* GELU, tanh approximation (GPT-2's). */
LIGO_API ligo_tensor *ligo_gelu(ligo_ctx *ctx, ligo_tensor *x);

/* ---- src/ops/layernorm.c */
/* LayerNorm over the last dim C with gamma, beta of C floats. */
LIGO_API ligo_tensor *ligo_layernorm(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *gamma, ligo_tensor *beta, float eps);

/* ---- src/ops/linear.c */
/* x (..., in) W^T + b: W is (out, in), b is (out) or NULL -> (..., out). */
LIGO_API ligo_tensor *ligo_linear(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *W, ligo_tensor *b);
/* gelu(ligo_linear(x, W, b)) as one node: the GELU runs in the product's
 * epilogue, and the tape holds one node instead of two. */
LIGO_API ligo_tensor *ligo_linear_gelu(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *W, ligo_tensor *b);

/* ---- src/ops/matmul.c */
/* op(a) @ op(b) for 2-D a, b: (M x K) @ (K x N) -> M x N. */
LIGO_API ligo_tensor *ligo_matmul(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *y, int trans_a, int trans_b);

/* ---- src/ops/permute.c */
/* x's dims reordered (a copy): out's dim i is x's dim perm[i]; perm holds
 * ndim = x's ndim distinct values in [0, ndim). A 2-D x with {1, 0} is the
 * transpose; (B, T, NH, hs) with {0, 2, 1, 3} gives (B, NH, T, hs). */
LIGO_API ligo_tensor *ligo_permute(ligo_ctx *ctx, ligo_tensor *x, int ndim, const int *perm);

/* ---- src/ops/reduce.c */
/* The sum of every element -> scalar. */
LIGO_API ligo_tensor *ligo_sum(ligo_ctx *ctx, ligo_tensor *x);
/* The mean of every element -> scalar. */
LIGO_API ligo_tensor *ligo_mean(ligo_ctx *ctx, ligo_tensor *x);

/* ---- src/ops/reshape.c */
/* The same floats under another shape of as many elements: a view (no
 * copy) with a gradient of its own. */
LIGO_API ligo_tensor *ligo_reshape(ligo_ctx *ctx, ligo_tensor *x, int ndim, const int64_t *shape);

/* ---- src/ops/rmsnorm.c */
/* RMSNorm over the last dim, as LLaMA's: x (..., C), gamma (C) -> x's
 * shape, y = x / sqrt(mean(x^2) + eps) * gamma per row; eps > 0 (LLaMA
 * 1e-6, 1e-5). */
LIGO_API ligo_tensor *ligo_rmsnorm(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *gamma, float eps);

/* ---- src/ops/rope.c */
/* Rotary position embeddings, as Hugging Face's LLaMA (rotate_half): x
 * (B, T, C) holds n_head heads of hs = C / n_head (even) dims; in each
 * head, dim i and i + hs/2 (i < hs/2) turn by the angle
 * (pos0 + t) * base^(-2i / hs) at position t -> x's shape. base > 0
 * (LLaMA: 10000); pos0 >= 0 is the first position (a cache's length when
 * decoding). Apply it to the queries and the keys before the scores. */
LIGO_API ligo_tensor *ligo_rope(ligo_ctx *ctx, ligo_tensor *x, int64_t n_head, float base, int64_t pos0);

/* ---- src/ops/scale.c */
/* s a, for a finite s. */
LIGO_API ligo_tensor *ligo_scale(ligo_ctx *ctx, ligo_tensor *x, float s);

/* ---- src/ops/silu.c */
/* SiLU (swish): x sigmoid(x), elementwise. */
LIGO_API ligo_tensor *ligo_silu(ligo_ctx *ctx, ligo_tensor *x);

/* ---- src/ops/slice.c */
/* Rows or columns [start, start + len) of a 2-D tensor. */
LIGO_API ligo_tensor *ligo_slice(ligo_ctx *ctx, ligo_tensor *x, int axis, int64_t start, int64_t len);

/* ---- src/ops/softmax.c */
/* Softmax over the last dim: x (..., C) -> x's shape, each row summing to
 * 1. A mask is added before it: entries of -inf get probability 0. */
LIGO_API ligo_tensor *ligo_softmax(ligo_ctx *ctx, ligo_tensor *x);

/* ---- src/ops/transpose.c */
/* The transpose of a 2-D tensor. */
LIGO_API ligo_tensor *ligo_transpose(ligo_ctx *ctx, ligo_tensor *x);

/* ---- src/ops/unary.c */
/* max(x, 0), elementwise; x any shape -> x's shape. The gradient at 0 is 0. */
LIGO_API ligo_tensor *ligo_relu(ligo_ctx *ctx, ligo_tensor *x);
/* tanh(x), elementwise -> x's shape. */
LIGO_API ligo_tensor *ligo_tanh(ligo_ctx *ctx, ligo_tensor *x);
/* e^x, elementwise -> x's shape (overflows to +inf past x = 88.7). */
LIGO_API ligo_tensor *ligo_exp(ligo_ctx *ctx, ligo_tensor *x);
/* The natural log, elementwise -> x's shape. As IEEE: log 0 = -inf, log of
 * a negative = NaN, no error (check the result if it matters). */
LIGO_API ligo_tensor *ligo_log(ligo_ctx *ctx, ligo_tensor *x);
/* The square root, elementwise -> x's shape; NaN for a negative (no error),
 * and an infinite gradient at 0. */
LIGO_API ligo_tensor *ligo_sqrt(ligo_ctx *ctx, ligo_tensor *x);

#endif /* LIGO_GEN_OPS_API_H */
/* ==== end src/gen/ops_api.h ==== */

/* ======================================================================
 * nn: configs, parameter tables, the GPT / BERT / ViT / LLaMA models
 * ====================================================================== */

/* LIGO_LLAMA: a LLaMA-style decoder (RMSNorm, rotary positions, grouped
 * KV heads, SwiGLU, no biases) on GPT's data and next-token objective. */
typedef enum ligo_family { LIGO_GPT = 0, LIGO_BERT = 1, LIGO_VIT = 2, LIGO_LLAMA = 3, LIGO_FAMILY_COUNT } ligo_family;

LIGO_API const char *ligo_family_name(ligo_family f); /* "gpt", "bert", "vit", "llama" */
LIGO_API ligo_status ligo_family_parse(const char *name, ligo_family *out);

typedef struct ligo_model_def ligo_model_def; /* a model's definition: its parameters and forward pass */
struct ligo_model;
struct ligo_batch;

/* The shape of a model. Head dimension is d_model / n_head. The family is
 * also the data and the objective a model trains on: GPT next-token
 * prediction on text, BERT masked LM on text, ViT classification of
 * images; def (NULL: the family's own model) is a model of one's own that
 * trains on the family's data and objective. */
typedef struct ligo_config {
    ligo_family family;
    const ligo_model_def *def;
    int64_t n_layer;
    int64_t d_model;
    int64_t n_head;
    int64_t d_ff;      /* FFN width (4 * d_model by default) */
    int64_t vocab;     /* GPT, BERT: ids in [0, vocab); BERT's mask id is vocab - 1 */
    int64_t ctx_len;   /* GPT, BERT: positions; ViT: set from the image (patches + 1) */
    int64_t image_h, image_w, patch; /* ViT: one channel, square patches */
    int64_t n_classes; /* ViT */
    float ln_eps;      /* 1e-5 (GPT-2, LLaMA's RMSNorm), 1e-12 (BERT, ViT) */
    /* LLaMA only (the other families ignore them): */
    int64_t n_kv_head; /* key / value heads, dividing n_head (0: n_head, ordinary multi-head) */
    float rope_theta;  /* RoPE's base (10000) */
    int untied_head;   /* 1: an LM head of its own (lm_head.weight); 0: tied to the embedding */
} ligo_config;

/* A small default of each family: GPT 4 layers x 128 (byte vocabulary 256,
 * context 128); BERT the same with vocabulary 257; ViT 4 x 128 on 28 x 28
 * images in 7 x 7 patches, 10 classes; LLaMA as GPT, with as many KV heads
 * as heads, RoPE base 10000 and the head tied to the embedding. */
LIGO_API ligo_config ligo_config_default(ligo_family family);
/* Checks a config field by field (LIGO_EINVAL naming the first bad field
 * and its value, e.g. "ligo_config: n_layer is 0 (want 1 to 1024 layers)");
 * fills derived fields (d_ff 0 -> 4 d, LLaMA's 8 d / 3 rounded up to a
 * multiple of 32; LLaMA's n_kv_head 0 -> n_head; ViT ctx_len). */
LIGO_API ligo_status ligo_config_check(ligo_ctx *ctx, ligo_config *cfg);

/* The schema: what every parameter of a model is. A family's parameter
 * table is written once as a list of roles (src/schema.c); the table, the
 * initialisation, the optimizer's decay groups, the checkpoints (names and
 * layouts) and growth (the width factors, their tying, the depth blend)
 * all read these fields rather than positions or names. */

/* What a dimension of a parameter is (docs/design.md 4.2): the width
 * stream whose units it holds or reads. A weight (out, in) holds its
 * rows' stream and reads its columns'; an embedding table's columns and a
 * vector's entries hold theirs. */
typedef enum ligo_stream {
    LIGO_STREAM_FIXED = 0, /* a size growth keeps: vocabulary, positions, classes, pixels, 1 */
    LIGO_STREAM_EMB,       /* the residual stream (d_model) */
    LIGO_STREAM_Q,         /* a layer's query units (d_model) */
    LIGO_STREAM_K,         /* its key units */
    LIGO_STREAM_V,         /* its value units: W_V's rows, W_O's columns */
    LIGO_STREAM_QKV,       /* Q, K and V stacked, as a fused projection's rows (3 d_model) */
    LIGO_STREAM_FFN,       /* a layer's FFN units (d_ff) */
    LIGO_STREAM_CLS,       /* BERT's MLM transform (d_model) */
    LIGO_STREAM_COUNT
} ligo_stream;

LIGO_API const char *ligo_stream_name(ligo_stream s); /* "fixed", "emb", "q", ... */

/* How ligo_model_init starts a parameter. */
typedef enum ligo_init {
    LIGO_INIT_ZEROS = 0,
    LIGO_INIT_ONES,
    LIGO_INIT_NORMAL,      /* N(0, 0.02) */
    LIGO_INIT_NORMAL_RESID /* N(0, 0.02 / sqrt(2 L)): a block's output into the residual stream */
} ligo_init;

/* How a parameter is laid out in a Hugging Face checkpoint. */
typedef enum ligo_hf_layout {
    LIGO_HF_PLAIN = 0, /* as in the table */
    LIGO_HF_T,         /* transposed: (in, out), as GPT-2's Conv1D */
    LIGO_HF_QKV,       /* three tensors, query, key, value ('*' in hf_name), each a third of the rows */
    LIGO_HF_CONV,      /* (C, P * P) as a one-channel convolution's (C, 1, P, P) */
    LIGO_HF_TOKEN,     /* (1, C) as (1, 1, C) */
    LIGO_HF_POSITIONS  /* (T, C) as (1, T, C) */
} ligo_hf_layout;

/* Parameter flags. */
#define LIGO_PARAM_DECAY 1u         /* a weight matrix: AdamW decays it */
#define LIGO_PARAM_EMBEDDING 2u     /* an embedding table or class token: its columns hold the stream */
#define LIGO_PARAM_RESID_OUT 4u     /* a block's output into the residual stream (attention output, fc2):
                                     * zero in FPI's new identity layers */
#define LIGO_PARAM_TIED_HEAD_IN 8u  /* the LayerNorm before an output layer tied to the embedding: FPI
                                     * divides it by the width ratio (docs/design.md 4.6) */

/* One tensor of a model's flat parameter block, with its schema. Linear
 * weights are stored (out, in). */
typedef struct ligo_param_info {
    char name[64];
    int ndim;
    int64_t shape[2];
    int64_t n;
    int64_t offset;        /* into data, grad and optimizer moments */
    unsigned flags;        /* LIGO_PARAM_* */
    ligo_stream stream[2]; /* of each dim (a vector's stream[1] is FIXED) */
    int layer;             /* the block it belongs to, or -1 */
    int module;            /* the block's LIGO_MOD_* (LIGO_MOD_QKV: Q, K and V stacked), or -1 */
    int bias;              /* 1: a bias or LayerNorm beta (blended with the module's bias coefficients) */
    ligo_init init;
    char hf_name[96];      /* its Hugging Face key */
    ligo_hf_layout hf_layout;
} ligo_param_info;

/* ---------------------------------------------------- models of one's own
 *
 * A model is a parameter table and a forward pass. The built-in families
 * are written this way (ligo_model_def_builtin), and a researcher's model
 * is too: params declares every parameter of a config's model in table
 * order (ligo_params_add), forward computes the loss from one weight
 * tensor per table entry. Everything else (one flat parameter block, the
 * optimizer with its decay groups, the trainer, evaluation, generation,
 * checkpoints and resume, growth with LiGO and the baselines) comes from
 * the declared schema. docs/guide.md walks through one. */
typedef struct ligo_params ligo_params; /* a table being declared */

typedef struct ligo_param_spec {
    const char *name;      /* unique in the model, shorter than 64 bytes */
    int ndim;              /* 1 or 2; a linear weight is (out, in) */
    int64_t shape[2];
    ligo_stream stream[2]; /* what each dim is, for growth (FIXED: a size growth keeps) */
    int layer;             /* the block it belongs to (blocks are blended by depth growth), -1 outside */
    int module;            /* LIGO_MOD_* (or LIGO_MOD_QKV) within the block, -1 outside */
    int bias;              /* 1: a bias or norm bias (blended with the module's bias coefficients) */
    ligo_init init;
    unsigned flags;        /* LIGO_PARAM_* */
    const char *hf_name;   /* its checkpoint key (NULL: name) */
    ligo_hf_layout hf_layout;
} ligo_param_spec;

/* Declare one parameter (checked field by field; a duplicate name, a bad
 * shape, stream, module, init or layout is LIGO_EINVAL naming it). */
LIGO_API ligo_status ligo_params_add(ligo_params *ps, const ligo_param_spec *spec);

struct ligo_model_def {
    const char *name; /* stored in checkpoints as ligo.model; "gpt", "bert", "vit" are the built-ins' */
    /* declare the parameters of a model of config cfg, in table order */
    ligo_status (*params)(ligo_params *ps, const ligo_config *cfg, void *user);
    /* the mean loss of a batch, from weights w (one tensor per table entry,
     * in table order: the model's own, or computed by a growth operator);
     * logits through *logits when non-NULL. With batch->targets NULL, only
     * the logits: return them. */
    ligo_tensor *(*forward)(ligo_ctx *ctx, const struct ligo_model *m, ligo_tensor *const *w,
                            const struct ligo_batch *batch, struct ligo_tensor **logits, void *user);
    void *user;
};

/* Pieces of the LLaMA family, for models of one's own too (composed from
 * the ops above, so their backward is theirs):
 * grouped-query attention: q (B, T, C) of n_head heads, k and v
 * (B, T, n_kv_head * C / n_head), n_kv_head dividing n_head; query head h
 * reads KV head h / (n_head / n_kv_head) (Hugging Face's repeat_kv); the
 * KV heads are repeated by a row gather and the fused ligo_attention runs
 * on them -> (B, T, C). n_kv_head = n_head is ordinary multi-head. */
LIGO_API ligo_tensor *ligo_attention_grouped(ligo_ctx *ctx, ligo_tensor *q, ligo_tensor *k, ligo_tensor *v,
                                             int64_t n_head, int64_t n_kv_head, int causal);
/* SwiGLU (Shazeer 2020): (silu(x Wg^T) * (x Wu^T)) Wd^T, no biases; x
 * (..., C), gate and up (F, C), down (C, F) -> (..., C). */
LIGO_API ligo_tensor *ligo_swiglu(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *w_gate, ligo_tensor *w_up,
                                  ligo_tensor *w_down);

/* The built-in families' definitions. */
LIGO_API const ligo_model_def *ligo_model_def_builtin(ligo_family f);
/* A config's definition: cfg->def, or its family's built-in one. */
LIGO_API const ligo_model_def *ligo_config_def(const ligo_config *cfg);

typedef struct ligo_model {
    ligo_config cfg;
    int64_t n_tensors;
    ligo_param_info *info;
    int64_t n_floats;
    float *data; /* all parameters, one block */
    float *grad; /* their gradients, same layout */
} ligo_model;

/* The modules of a block, each blended across layers on its own by depth
 * growth, in the order of docs/design.md 4.3. A fused projection's rows
 * are three modules (LIGO_MOD_QKV in the schema). */
enum { LIGO_MOD_LN1, LIGO_MOD_Q, LIGO_MOD_K, LIGO_MOD_V, LIGO_MOD_O, LIGO_MOD_LN2, LIGO_MOD_FC1, LIGO_MOD_FC2,
       LIGO_MOD_GATE, /* a gated MLP's gate (LLaMA's gate_proj; its up_proj is FC1, down_proj FC2) */
       LIGO_MOD_COUNT, LIGO_MOD_QKV };

/* The order of a block's tensors in the built-in families' tables (their
 * forward passes take them in it): layer i's tensor k is
 * info[ligo_model_layer_base(m, i) + k]. Growth and checkpoints read the
 * schema instead. */
enum {
    LIGO_BLK_LN1_W, LIGO_BLK_LN1_B,   /* pre-LN: before attention; post-LN: after it */
    LIGO_BLK_QKV_W, LIGO_BLK_QKV_B,   /* (3C, C), (3C): Q, K, V stacked */
    LIGO_BLK_PROJ_W, LIGO_BLK_PROJ_B, /* (C, C), (C) */
    LIGO_BLK_LN2_W, LIGO_BLK_LN2_B,
    LIGO_BLK_FC_W, LIGO_BLK_FC_B,     /* (F, C), (F) */
    LIGO_BLK_FC2_W, LIGO_BLK_FC2_B,   /* (C, F), (C) */
    LIGO_BLK_COUNT
};

/* A model in the context's persistent memory, parameters zero. */
LIGO_API ligo_model *ligo_model_new(ligo_ctx *ctx, const ligo_config *cfg);
/* GPT-2's initialisation: N(0, 0.02) weights and embeddings, residual
 * output projections N(0, 0.02 / sqrt(2 L)), zero biases, unit LN gains. */
LIGO_API void ligo_model_init(ligo_model *m, uint64_t seed);
LIGO_API int64_t ligo_model_find(const ligo_model *m, const char *name); /* index or -1 */
/* The table entry of a block's module part: layer, module (LIGO_MOD_* or
 * LIGO_MOD_QKV) and bias (0 weight or gain, 1 bias); -1 when there is none.
 * A Q, K or V module is found in its fused QKV entry; *row0 (when given)
 * is then the first of its rows there, else 0. */
LIGO_API int64_t ligo_model_find_module(const ligo_model *m, int64_t layer, int module, int bias, int64_t *row0);
LIGO_API int64_t ligo_model_layer_base(const ligo_model *m, int64_t layer);
LIGO_API void ligo_model_zero_grad(ligo_model *m);

/* One batch. GPT: inputs and targets are B*T ids. BERT: inputs are the
 * corrupted B*T ids, targets the originals at masked positions and
 * LIGO_IGNORE elsewhere. ViT: images are B * image_h * image_w floats,
 * targets B labels. */
#define LIGO_IGNORE (-100)
typedef struct ligo_batch {
    int64_t B, T;
    const int32_t *inputs;
    const int32_t *targets;
    const float *images;
} ligo_batch;
/* A batch as a fitting draws it (ligo_grow_config.on_batch): step from 1;
 * the batch's arrays are valid during the call only. */
typedef void (*ligo_batch_fn)(void *user, int64_t step, const ligo_batch *b);

/* The model's weights as tape leaves over its parameter block (with
 * gradients), one per table entry, in table order. */
LIGO_API ligo_status ligo_model_weights(ligo_ctx *ctx, ligo_model *m, ligo_tensor **weights);
/* Forward on given weights (one tensor per table entry, each of its
 * entry's shape, e.g. computed by a growth operator), through the model's
 * definition. Returns the mean loss; logits (R, V or classes) through
 * *logits when non-NULL. A batch without targets returns the logits. */
LIGO_API ligo_tensor *ligo_model_forward(ligo_ctx *ctx, const ligo_model *m, ligo_tensor **weights,
                                         const ligo_batch *batch, ligo_tensor **logits);
/* Forward on the model's own parameters. */
LIGO_API ligo_tensor *ligo_model_loss(ligo_ctx *ctx, ligo_model *m, const ligo_batch *batch,
                                      ligo_tensor **logits);
/* Text from a next-token model (the GPT family's objective): n_new ids
 * after the n_prompt ids of prompt, each from the softmax of the last
 * position's logits over the last ctx_len ids, divided by temperature
 * (0: the most likely id), drawn from rng; out holds n_prompt + n_new ids
 * (the prompt first). Ids outside the vocabulary are LIGO_ERANGE. */
LIGO_API ligo_status ligo_generate(ligo_ctx *ctx, ligo_model *m, const int32_t *prompt, int64_t n_prompt,
                                   int64_t n_new, double temperature, ligo_rng *rng, int32_t *out);

/* ======================================================================
 * optim: SGD with momentum, AdamW, schedules, clipping
 * ====================================================================== */

typedef enum ligo_optim_kind { LIGO_ADAMW = 0, LIGO_SGD = 1 } ligo_optim_kind;

typedef struct ligo_optim_config {
    ligo_optim_kind kind;
    float beta1, beta2, eps; /* AdamW (0.9, 0.95, 1e-8) */
    float momentum;          /* SGD (0.9) */
    float weight_decay;      /* AdamW: decoupled; SGD: added to the gradient (0.1) */
    int decay_all;           /* decay biases, LayerNorm and embeddings too */
} ligo_optim_config;

LIGO_API ligo_optim_config ligo_optim_config_default(ligo_optim_kind kind);

/* A span of the flat parameter block and whether it is decayed. */
typedef struct ligo_segment {
    int64_t offset, n;
    int decay;
} ligo_segment;

typedef struct ligo_optim {
    ligo_optim_config cfg;
    int64_t n;       /* floats */
    float *m, *v;    /* AdamW moments / SGD momentum (m) */
    int64_t step;    /* updates done */
    ligo_segment *segs;
    int64_t n_segs;
} ligo_optim;

/* An optimizer over n floats split in segments (NULL: one decayed segment).
 * The config is checked field by field, each bad one named with its value
 * (LIGO_EINVAL, e.g. "ligo_optim_new: beta2 is 1.5 (want 0 <= beta2 < 1)"):
 * kind, beta1 and beta2 in [0, 1), eps finite > 0, momentum in [0, 1),
 * weight_decay finite >= 0. */
LIGO_API ligo_optim *ligo_optim_new(ligo_ctx *ctx, const ligo_optim_config *cfg, int64_t n,
                                    const ligo_segment *segs, int64_t n_segs);
/* Segments of a model: matrices decayed, the rest not (unless decay_all). */
LIGO_API ligo_optim *ligo_optim_new_for_model(ligo_ctx *ctx, const ligo_optim_config *cfg, const ligo_model *m);
/* One update of data with grad at learning rate lr. */
LIGO_API ligo_status ligo_optim_step(ligo_ctx *ctx, ligo_optim *opt, float *data, const float *grad, float lr);

/* Learning-rate schedule: linear warm-up over `warmup` steps to lr_max,
 * then cosine or linear decay to lr_min at step `total`, or constant, or
 * warmup-stable-decay (WSD): lr_max until step total - decay_steps, then
 * linear to lr_min at step `total`. A WSD run can branch: the stable part
 * is the same for every total, so an annealed model at a shorter budget is
 * the stable run's state at that budget's decay start, decayed. */
typedef enum ligo_decay {
    LIGO_DECAY_COSINE = 0,
    LIGO_DECAY_LINEAR = 1,
    LIGO_DECAY_CONSTANT = 2,
    LIGO_DECAY_WSD = 3
} ligo_decay;
typedef struct ligo_schedule {
    float lr_max, lr_min;
    int64_t warmup, total;
    ligo_decay decay;
    int64_t decay_steps; /* WSD: length of the final decay (0: none) */
} ligo_schedule;
/* The rate for update number `step` (0-based): warm-up gives
 * lr_max * (step + 1) / warmup. */
LIGO_API float ligo_schedule_lr(const ligo_schedule *s, int64_t step);

/* Global L2 norm of grad (in double); when it exceeds max_norm > 0 the
 * gradient is scaled to max_norm. Returns the norm before clipping (NaN or
 * infinity when the gradient is not finite; then nothing is scaled). */
LIGO_API double ligo_clip_grad_norm(float *grad, int64_t n, double max_norm);

/* ======================================================================
 * data: token streams (bytes or GPT-2 token files), MLM masking, IDX
 * images; deterministic batches from an explicit RNG; a family's data
 * ====================================================================== */

/* A token stream held in the context's persistent memory. Tokens [0, split)
 * are the training split, [split, n) the validation split. */
typedef struct ligo_tokens {
    uint16_t *data;
    int64_t n;
    int64_t split;
    int32_t vocab; /* 256 for bytes; 50257 (or the file's max id + 1) for GPT-2 files */
} ligo_tokens;

/* Any file as bytes (vocabulary 256); the last 10% (n / 10 bytes, rounded
 * down) is validation. At least 2 bytes (LIGO_EINVAL otherwise). The
 * loaders (text, GPT-2 tokens, IDX) read files of at most 64 GiB; a larger
 * one is LIGO_EFORMAT before anything is allocated. */
LIGO_API ligo_status ligo_tokens_load_text(ligo_ctx *ctx, const char *path, ligo_tokens *out);
LIGO_API ligo_status ligo_tokens_from_bytes(ligo_ctx *ctx, const void *bytes, size_t n, ligo_tokens *out);
/* A GPT-2 token file (llm.c's layout): a header of 256 little-endian int32
 * (magic 20240520, version 1, the token count), then exactly that many
 * little-endian uint16 tokens. A short header, wrong magic or version, a
 * negative count, too few (truncated) or too many (trailing) token bytes,
 * or fewer than 2 tokens is LIGO_EFORMAT. vocab = max(50257, max id + 1).
 * The last 10% of tokens is validation. */
LIGO_API ligo_status ligo_tokens_load_gpt2(ligo_ctx *ctx, const char *path, ligo_tokens *out);
LIGO_API ligo_status ligo_tokens_parse_gpt2(ligo_ctx *ctx, const void *buf, size_t n, ligo_tokens *out);

#define LIGO_SPLIT_TRAIN 0
#define LIGO_SPLIT_VAL 1

/* B random windows of T + 1 tokens from a split: inputs (B*T) are tokens
 * t..t+T-1, targets (B*T) tokens t+1..t+T. Each start t is
 * ligo_rng_below(rng, len - T) past the split's first token, so windows
 * never cross the split boundary and the result depends only on the RNG
 * state. LIGO_EINVAL when the split is shorter than T + 1. */
LIGO_API ligo_status ligo_tokens_batch(ligo_ctx *ctx, const ligo_tokens *tok, int split, ligo_rng *rng,
                                       int64_t B, int64_t T, int32_t *inputs, int32_t *targets);
/* The number of non-overlapping windows of T + 1 tokens in a split, and the
 * k-th of them (for evaluation over the whole split): window k covers the
 * split's tokens [k (T + 1), (k + 1)(T + 1)); a final partial window is
 * dropped. k outside [0, windows) is LIGO_ERANGE. */
LIGO_API int64_t ligo_tokens_windows(const ligo_tokens *tok, int split, int64_t T);
LIGO_API ligo_status ligo_tokens_window(ligo_ctx *ctx, const ligo_tokens *tok, int split, int64_t k, int64_t T,
                                        int32_t *inputs, int32_t *targets);

/* Masked-LM corruption of n tokens (BERT): each position is chosen with
 * probability `prob` (0.15); a chosen one becomes mask_id 80% of the time,
 * a uniform random id in [0, n_random) 10%, and stays 10%. targets holds the
 * original id at chosen positions and ignore_index elsewhere. When no
 * position was chosen, one is chosen uniformly (and corrupted by the same
 * 80/10/10 rule). tokens may alias inputs or targets. */
LIGO_API ligo_status ligo_mlm_mask(ligo_ctx *ctx, ligo_rng *rng, const int32_t *tokens, int64_t n, float prob,
                                   int32_t mask_id, int32_t n_random, int32_t ignore_index, int32_t *inputs,
                                   int32_t *targets);

/* Images with labels (IDX files, as MNIST / Fashion-MNIST), pixels scaled to
 * [0, 1], held in persistent memory. */
typedef struct ligo_images {
    float *pixels;   /* n * rows * cols */
    int32_t *labels; /* n */
    int64_t n;
    int64_t rows, cols;
    int32_t n_classes; /* max label + 1 */
} ligo_images;

/* Loads an IDX image file (magic 0x00000803, uint8) and its label file
 * (0x00000801); either may be gzip-compressed (detected by 1f 8b; at most
 * 2^31 bytes decompressed each). Counts must agree and sizes match the
 * headers exactly; no image or an empty dimension is LIGO_EFORMAT.
 * n_classes = max label + 1. */
LIGO_API ligo_status ligo_images_load_idx(ligo_ctx *ctx, const char *images_path, const char *labels_path,
                                          ligo_images *out);
LIGO_API ligo_status ligo_images_parse_idx(ligo_ctx *ctx, const void *img, size_t img_n, const void *lbl,
                                           size_t lbl_n, ligo_images *out);
/* B random images (B * rows * cols floats) and their labels. */
LIGO_API ligo_status ligo_images_batch(ligo_ctx *ctx, const ligo_images *im, ligo_rng *rng, int64_t B, float *x,
                                       int32_t *y);

/* gzip (RFC 1952) with a built-in inflate (RFC 1951): out is allocated in
 * the context's scratch memory; more than max_out bytes is LIGO_EFORMAT.
 * Concatenated members are all decoded, one after another (as gzip -d);
 * bytes after a member that do not start another are LIGO_EFORMAT. Header
 * fields FEXTRA, FNAME, FCOMMENT are skipped, FHCRC, CRC-32 and ISIZE
 * checked. Any malformed input is LIGO_EFORMAT naming the problem. */
LIGO_API ligo_status ligo_gunzip(ligo_ctx *ctx, const void *in, size_t n, size_t max_out, void **out,
                                 size_t *out_n);
/* A whole file into scratch memory (at most max_bytes, else LIGO_EFORMAT;
 * a missing or unreadable file is LIGO_EIO with the path and the reason).
 * One zero byte follows the data (not counted in out_n). Pipes work too. */
LIGO_API ligo_status ligo_read_file(ligo_ctx *ctx, const char *path, size_t max_bytes, void **out, size_t *out_n);
/* Writing a file of one's own the way the library saves its own: all or
 * nothing. ligo_file_begin creates PATH.tmp ("wb") and hands its FILE *
 * in file->f for ordinary writes; ligo_file_commit flushes and syncs it,
 * closes it and renames it over PATH (MoveFileEx on Windows), so a reader
 * sees the old file or the whole new one, never a part. Any failure (an
 * earlier write included: the stream's error flag is checked) removes
 * the temporary, leaves PATH as it was and is LIGO_EIO naming PATH, the
 * step and the system's reason; with an error already pending on ctx,
 * commit abandons the file and returns that error. ligo_file_abandon
 * closes and removes the temporary; it does nothing on a file that is not
 * open, so it may follow a failed begin or commit. The PATH string must
 * live until commit or abandon. */
typedef struct ligo_file {
    FILE *f;          /* write here */
    char *tmp;        /* PATH.tmp, from the context's allocator */
    const char *path; /* the target */
} ligo_file;
LIGO_API ligo_status ligo_file_begin(ligo_ctx *ctx, const char *path, ligo_file *file);
LIGO_API ligo_status ligo_file_commit(ligo_ctx *ctx, ligo_file *file);
LIGO_API void ligo_file_abandon(ligo_ctx *ctx, ligo_file *file);

/* What a family trains on: a token stream (GPT, BERT) or images (ViT). */
struct ligo_data {
    ligo_family family;
    ligo_tokens tokens;
    ligo_images train, test; /* ViT */
};

/* Text (bytes) for GPT and BERT; for ViT, path is a directory holding
 * train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz] and the t10k
 * files. */
LIGO_API ligo_status ligo_data_load(ligo_ctx *ctx, ligo_family family, const char *path, ligo_data *out);
/* Whether data d suit a model of config cfg at window length T (ViT: T is
 * not used), before any work: the family, the vocabulary (BERT: one more id
 * for the mask) or the image size and classes, T within [1, cfg->ctx_len],
 * a training split of at least T + 1 tokens (one window and the token after
 * it), and, when eval is non-zero, a validation split holding at least one
 * evaluation window (GPT T + 1 tokens, BERT T). LIGO_EINVAL or LIGO_ERANGE
 * / LIGO_ESHAPE naming the numbers otherwise. ligo_trainer_new checks the
 * same (with eval), ligo_grow_fit the training part. */
LIGO_API ligo_status ligo_data_check(ligo_ctx *ctx, const ligo_data *d, const ligo_config *cfg, int64_t T, int eval);
/* A training batch (split LIGO_SPLIT_TRAIN) for a model: inputs/targets of
 * B*T ids (BERT: MLM-corrupted, mask id vocab - 1), or B images and labels. */
LIGO_API ligo_status ligo_data_batch(ligo_ctx *ctx, const ligo_data *d, const ligo_config *cfg, ligo_rng *rng,
                                     int64_t B, int64_t T, int32_t *inputs, int32_t *targets, float *images);

/* ======================================================================
 * safetensors: files of F32 tensors (little-endian) with string metadata;
 * saving writes a temporary file, flushes it and renames it over the target
 * ====================================================================== */

#define LIGO_ST_MAX_NAME 128

typedef struct ligo_st_entry {
    char name[LIGO_ST_MAX_NAME];
    int ndim;
    int64_t shape[LIGO_MAX_DIMS];
    int64_t n;
    float *data; /* into the file's buffer (aligned copy) or the caller's floats when writing */
} ligo_st_entry;

typedef struct ligo_st_meta {
    char *key;
    char *value;
} ligo_st_meta;

/* A parsed file, or a file being assembled for writing. Memory comes from
 * the context's scratch region. */
typedef struct ligo_safetensors {
    ligo_st_entry *entries;
    int64_t n_entries, cap_entries;
    ligo_st_meta *meta;
    int64_t n_meta, cap_meta;
} ligo_safetensors;

/* Read a file / parse a buffer. Only F32 tensors; everything is checked
 * before use (LIGO_EFORMAT with the file, tensor and problem named): header
 * <= 100,000,000 bytes, JSON nesting <= 64, names < LIGO_ST_MAX_NAME bytes,
 * at most LIGO_MAX_DIMS dims, data_offsets matching the shapes and covering
 * the data buffer exactly (no overlaps, holes or trailing bytes), unique
 * names, string metadata. A 0-dim tensor (shape []) reads as ndim 1, shape
 * [1]; a zero-size dim is accepted (n == 0, data must not be read). Unused
 * shape entries are 1. Each tensor's floats are copied into a 64-byte
 * aligned block of scratch memory. ligo_st_read reads the file whole
 * (the loaders' reader, under their cap: a file larger than 64 GiB is
 * LIGO_EFORMAT; a missing or unreadable file, or anything but a regular
 * file, LIGO_EIO) into a temporary buffer and parses it as ligo_st_parse
 * does. Every size in the header is checked against the data before
 * anything is allocated for it. On failure *out is empty and no scratch
 * memory is kept. */
LIGO_API ligo_status ligo_st_read(ligo_ctx *ctx, const char *path, ligo_safetensors *out);
LIGO_API ligo_status ligo_st_parse(ligo_ctx *ctx, const void *buf, size_t n, ligo_safetensors *out);
/* The named tensor or NULL. */
LIGO_API const ligo_st_entry *ligo_st_find(const ligo_safetensors *st, const char *name);
/* The metadata value or NULL. */
LIGO_API const char *ligo_st_get_meta(const ligo_safetensors *st, const char *key);

LIGO_API void ligo_st_init(ligo_safetensors *st);
/* Add a tensor (the floats are not copied: keep them alive until written).
 * Names must be unique, valid UTF-8, shorter than LIGO_ST_MAX_NAME bytes;
 * ndim 1..4, dims >= 1. Entries and metadata live in scratch memory. */
LIGO_API ligo_status ligo_st_add(ligo_ctx *ctx, ligo_safetensors *st, const char *name, int ndim,
                                 const int64_t *shape, const float *data);
/* Set (or replace) a metadata string; key and value are copied. */
LIGO_API ligo_status ligo_st_set_meta(ligo_ctx *ctx, ligo_safetensors *st, const char *key, const char *value);
/* Write atomically: PATH.tmp, flush, fsync, rename to PATH. The header is
 * compact JSON, "__metadata__" first, tensors in insertion order with
 * consecutive offsets, padded with spaces to a multiple of 8 bytes. On
 * failure (LIGO_EIO) the temporary file is removed and PATH is untouched. */
LIGO_API ligo_status ligo_st_write(ligo_ctx *ctx, const char *path, const ligo_safetensors *st);

/* ======================================================================
 * checkpoints: models as safetensors with Hugging Face key names and
 * layouts, and as Hugging Face model directories
 * ====================================================================== */

/* GPT: GPT-2's model.safetensors keys (wte.weight, h.0.attn.c_attn.weight
 * stored (in, out) as its Conv1D, ...). BERT: BertForMaskedLM's
 * (bert.embeddings..., bert.encoder.layer.0.attention.self.query.weight,
 * cls.predictions...). ViT: ViTForImageClassification's (vit.embeddings...,
 * classifier.weight). The config is in __metadata__ ("ligo.*" keys). */
LIGO_API ligo_status ligo_model_save(ligo_ctx *ctx, const ligo_model *m, const char *path);
/* A model from a checkpoint written by ligo_model_save (or by Hugging Face
 * tools in the same layout when the metadata is present). The config in
 * the metadata is checked against the file's tensors before the model is
 * allocated: a config needing more floats than the file holds is
 * LIGO_EFORMAT, so a small file cannot ask for a huge allocation. */
LIGO_API ligo_model *ligo_model_load(ligo_ctx *ctx, const char *path);
/* The same for a model of one's own: its checkpoint names its definition
 * (ligo.model), which must be def's (NULL: a built-in family's model). */
LIGO_API ligo_model *ligo_model_load_def(ligo_ctx *ctx, const char *path, const ligo_model_def *def);
/* The pieces: add a model's tensors and config to a file being assembled
 * (tensors needing a new layout are copied into scratch memory), and read
 * a model out of a parsed file. */
LIGO_API ligo_status ligo_model_to_st(ligo_ctx *ctx, const ligo_model *m, ligo_safetensors *st);
LIGO_API ligo_model *ligo_model_from_st(ligo_ctx *ctx, const ligo_safetensors *st, const char *what);
LIGO_API ligo_model *ligo_model_from_st_def(ligo_ctx *ctx, const ligo_safetensors *st, const char *what,
                                            const ligo_model_def *def);
LIGO_API ligo_status ligo_config_to_st(ligo_ctx *ctx, const ligo_config *cfg, ligo_safetensors *st);
LIGO_API ligo_status ligo_config_from_st(ligo_ctx *ctx, const ligo_safetensors *st, ligo_config *cfg);

/* Hugging Face's config.json for a config (GPT2LMHeadModel, BertForMaskedLM
 * or ViTForImageClassification; GELU "gelu_new", no dropout, the output
 * layer tied): the JSON into buf (size bytes, NUL-terminated) and its
 * length (without the NUL) into *len when len is not NULL; buf NULL with
 * size 0 only measures. A buffer too small, or a ViT whose images are not
 * square, is LIGO_EINVAL. */
LIGO_API ligo_status ligo_hf_config_json(ligo_ctx *ctx, const ligo_config *cfg, char *buf, size_t size, size_t *len);
/* A Hugging Face model directory that transformers' from_pretrained loads:
 * dir/config.json and dir/model.safetensors (BERT's with a token-type
 * embedding of zeros, one type), each written atomically. dir must exist. */
LIGO_API ligo_status ligo_model_export_hf(ligo_ctx *ctx, const ligo_model *m, const char *dir);
/* The inverse: a model from a Hugging Face model directory as
 * transformers' save_pretrained writes it (dir/config.json and
 * dir/model.safetensors, float32) for GPT2LMHeadModel, BertForMaskedLM or
 * ViTForImageClassification. GPT-2's tied lm_head is dropped (one that
 * differs from the embedding is refused); BERT's token-type row 0 is added
 * to its positions (what token_type_ids of zeros give); ViT's class count
 * comes from num_labels or id2label. Refused by name, before the model
 * is allocated: an activation other than the tanh GELU (hidden_act
 * "gelu" is the erf one), images of more than one channel, relative positions, a
 * tensor the config does not have or of another shape, a missing one. */
LIGO_API ligo_model *ligo_model_import_hf(ligo_ctx *ctx, const char *dir);

/* ======================================================================
 * progress: what the operator's fitting and the training loop report
 * ====================================================================== */

typedef enum ligo_phase { LIGO_PHASE_TRAIN = 0, LIGO_PHASE_FIT = 1 } ligo_phase;

/* One report of ligo_trainer_run (phase TRAIN) or ligo_grow_fit (FIT), made
 * after every step and once more when the run ends (done: after its last
 * step, an interrupt or a failure). The library prints nothing itself: a
 * config's on_progress receives the reports, and ligo_progress_print_stderr
 * prints the usual line. */
typedef struct ligo_progress {
    ligo_phase phase;
    int done;              /* the run's last report, after the loop */
    int64_t step, total;   /* steps done (a resumed run's earlier ones included) of total */
    int64_t run_steps;     /* of them, done in this run */
    double loss;           /* the newest step's loss (0 before any) */
    double val_loss;       /* the newest validation loss, or -1 (none yet; always while fitting) */
    int evaluated;         /* this step was followed by an evaluation: val_loss is new */
    double seconds;        /* wall time since the run began */
    double since_last;     /* of it, since the previous report */
    double tokens_per_sec; /* this run's rate: run_steps x batch x ctx / seconds (ViT: ctx is its context) */
    double flops;          /* forward and backward FLOPs of the steps so far (ligo_trainer's train_flops,
                            * ligo_grow's fit_flops) */
    double eta_seconds;    /* to total at this run's rate, or -1 */
} ligo_progress;

typedef void (*ligo_progress_fn)(void *user, const ligo_progress *p);

/* A ligo_progress_fn (user is not used) that writes the line ligo wrote on
 * stderr itself before the callbacks, as the ligo tool does:
 *   training: "step 40/100  loss 2.3812  val 2.4012  51234 tok/s  1.2e+11 FLOPs  eta 0m07s"
 *     on a terminal one line rewritten in place (at the first step, every
 *     0.2 s of the run and at each evaluation; a newline when the run ends),
 *     elsewhere a line at the first step, each evaluation and every 10 s;
 *   fitting: "ligo grow: fitting step 3/100  loss 2.9910", rewritten in place
 *     at every step, a newline when the fitting ends.
 * Set it as on_progress, e.g. tc.on_progress = ligo_progress_print_stderr. */
LIGO_API void ligo_progress_print_stderr(void *user, const ligo_progress *p);

/* ======================================================================
 * grow: the LiGO operator and the baseline growth methods
 * ====================================================================== */

typedef enum ligo_grow_method {
    LIGO_GROW_SCRATCH = 0, /* the large model from a random initialisation */
    LIGO_GROW_STACK,       /* StackBERT: layer i copies small layer i mod L1; units copied */
    LIGO_GROW_INTERLACE,   /* layer i copies small layer floor(i L1 / L2); units copied */
    LIGO_GROW_FPI,         /* Net2Net / bert2BERT function-preserving initialisation */
    LIGO_GROW_AKI,         /* bert2BERT advanced knowledge initialisation */
    LIGO_GROW_LIGO,        /* learned width and depth (the paper) */
    LIGO_GROW_LIGO_DEPTH,  /* learned depth, units copied */
    LIGO_GROW_LIGO_WIDTH,  /* learned width, depth stacked */
    LIGO_GROW_COUNT
} ligo_grow_method;

LIGO_API const char *ligo_grow_method_name(ligo_grow_method m); /* "ligo", "ligo-depth", ... */
LIGO_API ligo_status ligo_grow_method_parse(const char *name, ligo_grow_method *out);

typedef enum ligo_depth_init { LIGO_DEPTH_STACK = 0, LIGO_DEPTH_INTERLACE, LIGO_DEPTH_RAND } ligo_depth_init;
typedef enum ligo_width_init { LIGO_WIDTH_RAND = 0, LIGO_WIDTH_SEL, LIGO_WIDTH_SEL_NOISY } ligo_width_init;

typedef struct ligo_grow_config {
    ligo_grow_method method;
    ligo_depth_init depth_init; /* learned depth starts here (stack) */
    int depth_noisy;            /* add U(0, 0.03), renormalise rows (1) */
    ligo_width_init width_init; /* learned width starts here (rand) */
    int full_width;             /* learn the whole D2 x D1 matrices, not [I; C] (0) */
    int width_first;            /* the paper's Algorithm 1: widen each small layer with its own
                                 * factors, then blend depth (0: blend, then widen per large layer) */
    int grow_head_dim;          /* keep the head count, widen every head (Q/K/V factors act per
                                 * head, block-diagonal); 0: new units form new heads */
    int residual;               /* learn an additive term per large tensor, starting at zero (0) */
    float noise;                /* symmetry breaking where width is copied (stack, interlace, fpi,
                                 * aki, ligo-depth): every element of a tensor that width growth
                                 * enlarged gets U(-noise, noise) times that tensor's RMS after
                                 * materialisation (0.01; 0 = exact copies). Without it duplicated
                                 * units get equal gradients and stay equal. Ignored where the
                                 * width is learned. Saved in the operator file. */
    uint64_t seed;
    /* fitting (ligo_grow_fit) */
    int64_t fit_steps;          /* AdamW steps on the operator (100) */
    int64_t fit_warmup;         /* linear warm-up, then constant (10) */
    float fit_lr;               /* (1e-3) */
    double fit_clip;            /* global-norm clipping (1.0) */
    int64_t batch, ctx;         /* fitting batch (16, at most 2^20) and context (0, the default: the
                                 * large model's context; at most that; ViT: not used) */
    /* progress: on_progress (NULL, the default: none) gets a report after every fitting step and at
     * the end (ligo_progress); progress 0 turns the reports off (1 by default) */
    int progress;
    ligo_progress_fn on_progress;
    void *progress_user;        /* on_progress's first argument */
    /* the fitting's checkpoints (ligo_grow_save_state): to fit_ckpt_path (NULL: none) every
     * fit_ckpt_every steps (>= 0; 0: only at the end), at the end, and when interrupted */
    const char *fit_ckpt_path;
    int64_t fit_ckpt_every;
    volatile int *interrupt;    /* when it becomes non-zero (a signal handler may set it): save
                                 * (when fit_ckpt_path is set) and stop after the current step */
    /* on_batch (NULL, the default: none) sees every fitting batch as drawn, before its step uses it
     * (step from 1), with batch_user as its first argument: to record the batches (`ligo grow
     * --fit-batches-out`) and fit the same operator elsewhere on the same data */
    ligo_batch_fn on_batch;
    void *batch_user;
} ligo_grow_config;

LIGO_API ligo_grow_config ligo_grow_config_default(ligo_grow_method method);

/* A width factor B (big x small) of one stream: [I; C] with C learned, a
 * learned full matrix, or a fixed selection (baselines). The factors
 * follow from the streams in the large model's schema: the residual
 * stream's ("emb"), each large layer's Q, K, V and FFN ("h.3.q"; per
 * small layer with width_first), BERT's MLM transform ("cls");
 * ligo_grow_factor finds one. */
typedef struct ligo_width_factor {
    ligo_stream stream;
    int64_t layer;      /* for Q, K, V and FFN; -1 for the others */
    char name[40];      /* "emb", "h.3.q", ...: the operator file's width.{name}.C */
    int64_t big, small;
    int64_t heads;      /* diagonal blocks: the head count for Q/K/V with grow_head_dim, else 1 */
    int learned;        /* C (or the full B) lives in the operator's block */
    int64_t offset;     /* of the learned floats in the block */
    float *fixed;       /* big x small when not learned (NULL when big == small) */
    float *fixed_in;    /* in-expansion matrix when it differs (FPI, AKI) */
} ligo_width_factor;


typedef struct ligo_grow {
    ligo_grow_config cfg;
    const ligo_model *small;
    ligo_config large;
    ligo_model *shape;      /* an empty large model: its table and config */
    /* learned parameters: one flat block, gradients beside it */
    int64_t n;
    float *data, *grad;
    ligo_width_factor *width;
    int64_t n_width;
    /* depth coefficients: [module][0 weights / 1 biases] is (L2 x L1),
     * learned (offset >= 0) or fixed (values in depth_fixed) */
    int64_t depth_offset[LIGO_MOD_COUNT][2];
    float *depth_fixed[LIGO_MOD_COUNT][2];
    float *next_layer;      /* AKI: (L2 x L1) one-hot at (i + 1) mod L1 */
    float **stacks;         /* per module and kind: the small layers' tensors, (L1 x n) */
    int64_t res_offset;     /* residual terms (cfg.residual): the large model's layout, or -1 */
    float ln_f_scale;       /* FPI with a tied head: final LN divided by the copy ratio */
    float *noise;           /* cfg.noise's draw in the large model's layout (NULL: none); only
                             * tensors width growth enlarged hold non-zero values */
    double fit_flops;       /* FLOPs spent fitting (materialise + forward + backward) */
    double fit_seconds;
    float fit_loss_first, fit_loss_last;
    /* the fitting's state, saved by ligo_grow_save_state */
    ligo_optim *fit_opt;    /* the operator's AdamW (made by the first fitting) */
    int64_t fit_step;       /* fitting steps done */
    ligo_rng fit_rng;       /* the fitting batches' stream */
    int fit_active;         /* interrupted or resumed: the next ligo_grow_fit continues at fit_step
                             * (otherwise it starts a new fitting: fresh moments, step 0) */
} ligo_grow;

/* The index of the width factor of stream s (of `layer` for Q, K, V and
 * FFN) in g->width, or -1 (no such factor). */
LIGO_API int64_t ligo_grow_factor(const ligo_grow *g, ligo_stream s, int64_t layer);

/* An operator from a small model to the `large` config (same family,
 * vocabulary, context and head dimension, or the same head count with
 * cfg.grow_head_dim; no dim smaller). Every field of cfg is checked first,
 * each bad one named with its value (LIGO_EINVAL): method, depth_init,
 * width_init, fit_steps and fit_warmup >= 0, fit_lr and fit_clip finite
 * >= 0, batch in [1, 2^20], ctx in [0, the model's context], e.g.
 * "ligo_grow_new: fit_lr is nan (want a finite rate >= 0)". */
LIGO_API ligo_grow *ligo_grow_new(ligo_ctx *ctx, const ligo_model *small, const ligo_config *large,
                                  const ligo_grow_config *cfg);
/* The large model's weights as tape nodes computed from the frozen small
 * weights and the operator (one per large table entry). */
LIGO_API ligo_status ligo_grow_materialize(ligo_ctx *ctx, ligo_grow *g, ligo_tensor **weights);
/* Fit the learned parts on the large model's loss (cfg.fit_steps of AdamW,
 * eps 1e-6, no weight decay) on windows of cfg.ctx (0: the model's
 * context; a longer one is an error, never shortened). The data are
 * checked first (ligo_data_check, training split). Does nothing for fixed
 * methods. Each step is ligo_trainer_step's, with its checks: a non-finite
 * loss or gradient is LIGO_ENONFINITE, "ligo_grow_fit: fitting stopped at
 * step N: the loss is nan", before any update. With cfg.fit_ckpt_path, saves the fitting state there (see
 * ligo_grow_save_state) every cfg.fit_ckpt_every steps and at the end;
 * when *cfg.interrupt becomes non-zero it saves and returns LIGO_OK with
 * fit_step < cfg.fit_steps, and the next call continues. A fitting
 * continued after ligo_grow_resume ends bitwise equal to an uninterrupted
 * one. */
LIGO_API ligo_status ligo_grow_fit(ligo_ctx *ctx, ligo_grow *g, const ligo_data *d);
/* The standalone large model (scratch: a fresh initialisation). */
LIGO_API ligo_model *ligo_grow_apply(ligo_ctx *ctx, ligo_grow *g);
/* The operator's learned tensors as safetensors with the large config and
 * the options in the metadata:
 *   width.{factor}.C  ((big - small) x small; heads stacked: heads (hb - hs) x hs),
 *                     factor as ligo_width_factor.name: width.emb.C, width.h.3.q.C
 *   width.{factor}.B  (big x small, full_width; heads stacked: heads hb x hs)
 *   depth.{module}.{w|b}  (L2 x L1; module ln_1, q, k, v, o, ln_2, fc1, fc2)
 *   residual.{large tensor name}  (cfg.residual)
 *   noise.{large tensor name}  (cfg.noise > 0, copied width: the tensors
 *                             width growth enlarged; fixed, not learned)
 * Files from before the factors were named (width.{k}.C, k the factor's
 * index) still load. */
LIGO_API ligo_status ligo_grow_save(ligo_ctx *ctx, const ligo_grow *g, const char *path);
/* Load a saved operator's learned tensors (and noise) into g, made with
 * ligo_grow_new from the same small model shape, large config and options
 * (a file written before the noise option reads as noise 0). Every tensor
 * must be there with its shape, and nothing else (LIGO_EFORMAT otherwise,
 * naming it); on failure g is unchanged. */
LIGO_API ligo_status ligo_grow_load(ligo_ctx *ctx, ligo_grow *g, const char *path);
/* The fitting state, so that a fitting can stop and continue exactly: the
 * operator file's metadata and tensors (as ligo_grow_save) plus
 *   ligo.fit.m, ligo.fit.v     AdamW's moments (g->n floats each)
 *   ligo.fit.step              fitting steps done (metadata, as the rest)
 *   ligo.fit.rng               the batch stream (64 hex digits)
 *   ligo.fit.flops, ligo.fit.seconds, ligo.fit.loss_first, ligo.fit.loss_last
 * LIGO_ESTATE for a method that fits nothing or before any fitting. */
LIGO_API ligo_status ligo_grow_save_state(ligo_ctx *ctx, const ligo_grow *g, const char *path);
/* Load a fitting state into g (made as for ligo_grow_load); the next
 * ligo_grow_fit continues at its step. Everything is checked before g
 * changes: the operator's shape and options, every tensor's name and
 * shape, the moments' length, finite values (v >= 0), each metadata value,
 * and a step no later than cfg.fit_steps (LIGO_EFORMAT naming the
 * problem). */
LIGO_API ligo_status ligo_grow_resume(ligo_ctx *ctx, ligo_grow *g, const char *path);

/* ======================================================================
 * train: evaluation, the training loop
 * ====================================================================== */

typedef struct ligo_eval_result {
    double loss;     /* mean cross-entropy in nats */
    double accuracy; /* ViT; -1 otherwise */
    int64_t count;   /* predictions averaged over */
} ligo_eval_result;

/* Validation loss. GPT: every non-overlapping window of T + 1 tokens of the
 * validation split (T predictions each; a final partial window dropped),
 * averaged over all predictions. BERT: the same windows (T tokens),
 * masked with a fixed seed, averaged over masked positions. ViT: the test
 * images, loss and accuracy, B images per forward (T is not used). Batches
 * are B windows of T (the order of ligo_batch and the trainer; before
 * version 0.2.0 the two were (T, B)); a T longer than the model's context
 * is LIGO_EINVAL naming it. max_windows > 0 evaluates only that many windows
 * (images), spread evenly over the split: item floor(i n / max_windows).
 * A NaN or infinite loss is LIGO_ENONFINITE naming it and the first batch
 * that gave it (out is filled all the same). */
LIGO_API ligo_status ligo_evaluate(ligo_ctx *ctx, ligo_model *m, const ligo_data *d, int64_t B, int64_t T,
                                   int64_t max_windows, ligo_eval_result *out);

typedef struct ligo_train_config {
    int64_t steps;        /* optimizer updates in all (>= 0) */
    int64_t batch, ctx;   /* B (1 to 2^20), T (1 to the model's context; 0 = the model's
                           * context, the default; ViT: not used, T comes from the image) */
    ligo_schedule sched;  /* lr_max, lr_min (finite, >= 0), warmup (>= 0); total = steps */
    ligo_optim_config optim; /* checked as ligo_optim_new checks it */
    double clip;          /* global-norm clipping (finite, >= 0), 0 = off */
    uint64_t seed;        /* batch order (and MLM masks) */
    int64_t eval_every;   /* >= 0; 0 = only at the end */
    int64_t eval_windows; /* >= 0; 0 = the whole validation split */
    int64_t ckpt_every;   /* >= 0; 0 = only at the end (when ckpt_path is set) */
    const char *ckpt_path;
    const char *csv_path; /* step, tokens, flops, seconds, lr, train loss, val loss */
    double target_loss;   /* stop once validation loss <= target (finite, >= 0; 0 = off) */
    /* progress: on_progress (NULL, the default: none) gets a report after every step and at the
     * end (ligo_progress; ligo_progress_print_stderr prints the usual line); progress 0 turns the
     * reports off (1 by default). The library itself writes nothing on stderr. */
    int progress;
    ligo_progress_fn on_progress;
    void *progress_user;  /* on_progress's first argument */
    volatile int *interrupt; /* when it becomes non-zero (a signal handler may set it):
                              * checkpoint (when ckpt_path is set) and stop, returning LIGO_OK */
} ligo_train_config;

LIGO_API ligo_train_config ligo_train_config_default(void);

typedef struct ligo_trainer {
    ligo_model *model;
    ligo_optim *opt;
    const ligo_data *data;
    ligo_train_config cfg;
    ligo_rng rng;
    int64_t step;          /* updates done */
    double train_flops;    /* forward + backward FLOPs of training steps */
    double seconds;        /* wall time of training steps */
    float last_loss;
    double last_val;       /* last validation loss, or -1 */
    double last_acc;
    int32_t *inputs, *targets;
    float *images;
} ligo_trainer;

/* Every field of cfg checked against a model's config and, when d is not
 * NULL, the data (ligo_data_check with eval), before anything is
 * allocated. Each bad field gets its own LIGO_EINVAL message with its value,
 * e.g. "ligo_trainer_new: sched.lr_min is nan (want a finite rate >= 0)",
 * "ligo_trainer_new: ctx 128 is longer than the model's context 64". The
 * schedule's decay kind is not checked here (ligo_schedule_lr's business).
 * ligo_trainer_new runs the same checks (naming itself); call this one to
 * check a run before the model exists, e.g. before growing it. */
LIGO_API ligo_status ligo_train_config_check(ligo_ctx *ctx, const ligo_train_config *cfg, const ligo_config *model,
                                             const ligo_data *d);
/* A trainer: cfg as ligo_train_config_check checks it, then the optimizer
 * (a fresh one, from cfg->optim) and the batch buffers. */
LIGO_API ligo_trainer *ligo_trainer_new(ligo_ctx *ctx, ligo_model *m, const ligo_data *d,
                                        const ligo_train_config *cfg);
/* One update: batch, forward, backward, clip, step. A non-finite loss or
 * gradient is LIGO_ENONFINITE naming the step, before any update. */
LIGO_API ligo_status ligo_trainer_step(ligo_ctx *ctx, ligo_trainer *tr, float *loss);
/* Train until cfg.steps, the target loss or an interrupt, with periodic
 * evaluation, CSV log and checkpoints (each written atomically). A
 * non-finite validation loss stops it with LIGO_ENONFINITE naming the step. */
LIGO_API ligo_status ligo_trainer_run(ligo_ctx *ctx, ligo_trainer *tr);
/* A checkpoint with the model, optimizer moments, step, RNG state and the
 * counters, so a resumed run continues exactly as an uninterrupted one. */
LIGO_API ligo_status ligo_trainer_save(ligo_ctx *ctx, const ligo_trainer *tr, const char *path);
LIGO_API ligo_status ligo_trainer_resume(ligo_ctx *ctx, ligo_trainer *tr, const char *path);

#ifdef __cplusplus
}
#endif

#ifdef LIGO__POP_SMALL
#pragma pop_macro("small")
#undef LIGO__POP_SMALL
#endif

#endif /* LIGO_API_H */
/* ==== end src/ligo_api.h ==== */

#endif /* LIGO_H */

#ifdef LIGO_IMPLEMENTATION
#ifndef LIGO__IMPLEMENTATION_DONE
#define LIGO__IMPLEMENTATION_DONE
#define LIGO__AMALGAMATED

/* ==== begin src/ligo_internal.h ==== */
/* ligo_internal.h: what the modules share and users do not see.
 * amalgamate.py places it first inside the LIGO_IMPLEMENTATION block. */
#ifndef LIGO_INTERNAL_H
#define LIGO_INTERNAL_H

/* Strict -std=c99 hides POSIX (clock_gettime, sysconf); ask for it. In the
 * amalgamated header the same request sits at the top of ligo.h. */
#if defined(__STRICT_ANSI__) && !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
/* MinGW: C99 printf (%zu, %lld) rather than msvcrt's. */
#if defined(__MINGW32__) && !defined(__USE_MINGW_ANSI_STDIO)
#define __USE_MINGW_ANSI_STDIO 1
#endif


/* No contraction of a * b + c into a fused multiply-add where the source
 * does not ask for one: the scalar loops keep their written rounding, so
 * a vector path that repeats their operations (AdamW, the norms, the
 * column sums) gives their bits, and ARM64, where FMA is baseline, gives
 * x86-64's. gcc under -std=c99 contracts nothing (-ffp-contract=off, the
 * ISO default; -std=gnu99 would let it fuse); clang contracts within an
 * expression unless told, and this tells it, for the rest of the
 * implementation's translation unit. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Windows: Win32 threads, clock and file replacement (core.c, file.c)
 * instead of POSIX, from <windows.h> without its rarely used parts and
 * without the min and max macros (unless the user asked for them). */
#if defined(_WIN32)
#if !defined(WIN32_LEAN_AND_MEAN)
#define WIN32_LEAN_AND_MEAN
#define LIGO__UNDEF_LEAN
#endif
#if !defined(NOMINMAX)
#define NOMINMAX
#define LIGO__UNDEF_NOMINMAX
#endif
#include <windows.h>
#include <io.h>
#ifdef LIGO__UNDEF_LEAN
#undef WIN32_LEAN_AND_MEAN
#undef LIGO__UNDEF_LEAN
#endif
#ifdef LIGO__UNDEF_NOMINMAX
#undef NOMINMAX
#undef LIGO__UNDEF_NOMINMAX
#endif
/* small as char (rpcndr.h, included before ligo.h): set aside for the
 * implementation, restored at the end of ligo.h (see ligo_api.h) */
#if defined(small)
#pragma push_macro("small")
#undef small
#define LIGO__POP_SMALL_IMPL
#endif
#elif !defined(LIGO_NO_THREADS)
#include <pthread.h>
#endif

/* Allocator: define all three or none. */
#if defined(LIGO_MALLOC) && defined(LIGO_REALLOC) && defined(LIGO_FREE)
/* user-supplied */
#elif !defined(LIGO_MALLOC) && !defined(LIGO_REALLOC) && !defined(LIGO_FREE)
#define LIGO_MALLOC(size, user) ((void)(user), malloc(size))
#define LIGO_REALLOC(ptr, size, user) ((void)(user), realloc((ptr), (size)))
#define LIGO_FREE(ptr, user) ((void)(user), free(ptr))
#else
#error "ligo: define all of LIGO_MALLOC, LIGO_REALLOC and LIGO_FREE, or none"
#endif

/* Internal invariants only; never user data. */
#ifndef LIGO_ASSERT
#include <assert.h>
#define LIGO_ASSERT(x) assert(x)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LIGO__UNUSED __attribute__((unused))
#define LIGO__LIKELY(x) __builtin_expect(!!(x), 1)
#define LIGO__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LIGO__RESTRICT __restrict__
#else
#define LIGO__UNUSED
#define LIGO__LIKELY(x) (x)
#define LIGO__UNLIKELY(x) (x)
#define LIGO__RESTRICT
#endif

/* Private functions shared between modules: static inside the amalgamated
 * header, plain external functions when a source is compiled on its own. */
#ifdef LIGO__AMALGAMATED
#define LIGO__PRIV static LIGO__UNUSED
#else
#define LIGO__PRIV extern
#endif

#define LIGO__ALIGN 64
#define LIGO__ERRMSG 512
/* Tensors larger than this many floats are refused (1 TiB): the one size
 * limit, checked by ligo_shape_numel and so by every builder. */
#define LIGO__MAX_NUMEL ((int64_t)1 << 38)

typedef struct ligo__chunk {
    struct ligo__chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
} ligo__chunk;

typedef struct ligo__arena {
    ligo__chunk *head;    /* first chunk */
    ligo__chunk *cur;     /* chunk being filled */
    size_t total;         /* bytes handed out (including padding) */
    size_t peak;
    size_t limit;
    size_t chunk_bytes;
    size_t reserved;      /* bytes of chunks allocated */
} ligo__arena;

typedef struct ligo__pool ligo__pool;

/* Nothing the context keeps may live in the persistent arena, which
 * ligo_persistent_rewind releases under it: the pool and the GEMM
 * workspace come from LIGO_MALLOC, the tape and backward's reuse lists
 * from scratch (and the lists are emptied when backward returns). */
struct ligo_ctx {
    ligo_status status;
    char errmsg[LIGO__ERRMSG];
    void *alloc_user;
    ligo__arena persistent;
    ligo__arena scratch;
    ligo_tensor *tape;     /* last node recorded */
    int64_t tape_len;
    double flops_fwd;
    double flops_bwd;
    ligo__pool *pool;
    int n_threads;
    float **grad_free;     /* backward: consumed gradient buffers to reuse */
    int64_t *grad_free_n;  /* their sizes in floats */
    int64_t grad_free_len, grad_free_cap;
    int grad_reuse;        /* ligo_set_grad_reuse */
    void *gemm_ws;         /* GEMM packing buffers, kept between products */
    size_t gemm_ws_bytes;
    int gemm_ws_busy;
    int profile;                        /* ligo_profile_enable */
    double prof_sec[LIGO_OP_COUNT][2];  /* forward, backward seconds per op */
};

/* core.c */
LIGO__PRIV int ligo__failed(ligo_ctx *ctx);
LIGO__PRIV void *ligo__arena_alloc(ligo_ctx *ctx, ligo__arena *a, size_t bytes, const char *region);
LIGO__PRIV void *ligo__arena_alloc_ex(ligo_ctx *ctx, ligo__arena *a, size_t bytes, const char *region, int zero);
LIGO__PRIV int ligo__mul_size(size_t a, size_t b, size_t *out);
LIGO__PRIV int ligo__mul_i64(int64_t a, int64_t b, int64_t *out);

/* pool.c */
LIGO__PRIV void ligo__pool_free(ligo__pool *pool);
LIGO__PRIV int ligo__nth_for(const ligo_ctx *ctx, double work, double min_work_per_thread);

/* graph.c and the ops (src/ops/): how a builder becomes a node.
 * A builder fills ligo__args and calls ligo__build, which checks sources,
 * asks the op's shape function for the output shape (it validates the
 * inputs and writes the error message), checks the output's size, allocates
 * the node with a copy of the op's parameter struct (node->param), runs the
 * forward kernel and records the node on the tape. */
typedef struct ligo__args {
    ligo_tensor *src[LIGO_MAX_SRC];
    const void *param;  /* the op's parameter struct, copied into the node */
    size_t param_size;  /* its size in bytes (0: none) */
    const int32_t *ids; /* copied into the node */
    int64_t n_ids;
} ligo__args;

typedef ligo_status (*ligo__shape_fn)(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape);
typedef void (*ligo__forward_fn)(ligo_ctx *ctx, ligo_tensor *out);
typedef void (*ligo__backward_fn)(ligo_ctx *ctx, ligo_tensor *out);

/* Op flags. LIGO__OP_VIEW: the output shares its first source's floats
 * (same element count; forward writes nothing), with a gradient of its own. */
#define LIGO__OP_VIEW 1u

LIGO__PRIV ligo_tensor *ligo__build(ligo_ctx *ctx, int op, const ligo__args *a);

/* The size check of every builder: dims (ndim of them, each >= 1) hold at
 * most LIGO__MAX_NUMEL elements; otherwise LIGO_EOVERFLOW, "ligo_OP: WHAT
 * AxBxC is too large (more than 2^38 elements)". The element count goes to
 * *n when n is not NULL. ligo__build checks each output; an op that saves
 * something larger than its output checks that in its shape function. */
LIGO__PRIV ligo_status ligo__check_size(ligo_ctx *ctx, const char *op, const char *what, int ndim,
                                        const int64_t *dims, int64_t *n);

/* Gradient buffer of a node, allocated (zeroed) on first use; NULL if the
 * node does not lead to a parameter (or memory ran out: status is set). */
LIGO__PRIV float *ligo__grad_of(ligo_ctx *ctx, ligo_tensor *t);

/* An op's registration row, at the top of its source in src/ops/:
 *   LIGO__OP(ENUM, "name", required sources, flags);
 * amalgamate.py reads the rows of every op source and writes the op enum
 * (LIGO_OP_ENUM), the builders' declarations (src/gen/ops_api.h) and the
 * dispatch table (src/gen/ops_table.h). In C the row declares the op's
 * three functions, which its source defines. */
#define LIGO__OP(e, name, nsrc, flags)                                                                     \
    LIGO__PRIV ligo_status ligo__shape_##e(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape); \
    LIGO__PRIV void ligo__fwd_##e(ligo_ctx *ctx, ligo_tensor *out);                                        \
    LIGO__PRIV void ligo__bwd_##e(ligo_ctx *ctx, ligo_tensor *out)

/* A row of the dispatch table, indexed by ligo_op. */
typedef struct ligo__op_info {
    const char *name;
    int required_src;
    unsigned flags; /* LIGO__OP_VIEW */
    ligo__shape_fn shape;
    ligo__forward_fn forward;
    ligo__backward_fn backward;
} ligo__op_info;

/* Gradient buffer for a kernel that writes every element: when the buffer
 * is new, *fresh is 1 and its contents are undefined (the kernel stores
 * instead of accumulating and no zeroing pass is spent); otherwise *fresh
 * is 0 and the kernel accumulates as usual. */
LIGO__PRIV float *ligo__grad_fresh(ligo_ctx *ctx, ligo_tensor *t, int *fresh);

/* A backward kernel's temporary of n floats (undefined contents): a
 * released gradient buffer when one fits, else new scratch. Give it back
 * with ligo__grad_release once finished, as backward does with a node's
 * gradient once the node's backward has run, so later nodes reuse it. */
LIGO__PRIV float *ligo__grad_temp(ligo_ctx *ctx, int64_t n);
LIGO__PRIV void ligo__grad_release(ligo_ctx *ctx, float *buf, int64_t n);

/* With gradient reuse on, hand out's gradient buffer to src (same element
 * count, src has none yet, neither is a parameter): src's gradient then
 * equals out's, as an identity backward would make it, without a pass over
 * the data. Returns 1 if the buffer was handed over. */
LIGO__PRIV int ligo__grad_pass(ligo_ctx *ctx, ligo_tensor *src, ligo_tensor *out);

/* gemm_kernels.c: micro-kernels and packers, chosen per CPU. A micro-kernel
 * computes c (MR x NR, row stride ldc) = alpha * a.b + beta * c from a
 * packed A panel ([kc][MR]) and B panel ([kc][NR]); beta == 0 never reads
 * c. The _ua kernels read a row-major A in place (row i at a + i * lda);
 * the 8 kernels compute only the first 8 columns. A packer copies rows or
 * columns [r0, r0 + nr) by k [p0, p0 + kc) of op(X) into such panels. */
#define LIGO__GEMM_MR 6
#define LIGO__GEMM_NR 16
typedef void (*ligo__gemm_ukr)(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                               float alpha, float beta);
/* The same with row-major A read in place: row i of the tile at a + i * lda. */
typedef void (*ligo__gemm_ukr_ua)(int64_t kc, const float *a, int64_t lda, const float *b, float *c, int64_t ldc,
                                  float alpha, float beta);
typedef void (*ligo__gemm_pack)(int trans, const float *X, int64_t ldx, int64_t r0, int64_t nr,
                                int64_t p0, int64_t kc, float *dst);

typedef struct ligo__gemm_kernels {
    ligo__gemm_ukr ukr;
    ligo__gemm_ukr_ua ukr_ua; /* non-NULL: A is read in place, not packed */
    ligo__gemm_ukr ukr8;      /* MR x 8 kernels for narrow edge tiles, or NULL */
    ligo__gemm_ukr_ua ukr8_ua;
    ligo__gemm_pack pack_a, pack_b;
} ligo__gemm_kernels;
LIGO__PRIV void ligo__gemm_kernels_for_cpu(ligo__gemm_kernels *k, int read_a_in_place);

/* gemm.c: attention's per-head products, C (M x N) = alpha op(A) op(B) +
 * beta C on the calling thread (attention threads over heads). The hook
 * computes it when it takes it; otherwise op(B) is packed once into work
 * (ligo__sgemm_small_work(N, K) floats) and the built-in micro-kernel
 * reads A in place. tri says what a causal mask makes zero, which the
 * built-in path skips: LIGO__TRI_N computes only columns j <= i of row i
 * (the caller ignores the rest), LIGO__TRI_K_LOWER sums only k <= i,
 * LIGO__TRI_K_UPPER only k >= i (to the 6-row tile; the tile's extra terms
 * must be zeros in A). */
enum { LIGO__TRI_NONE = 0, LIGO__TRI_N = 1, LIGO__TRI_K_LOWER = 2, LIGO__TRI_K_UPPER = 3 };
LIGO__PRIV int64_t ligo__sgemm_small_work(int64_t N, int64_t K);
LIGO__PRIV void ligo__sgemm_small(int trans_a, int trans_b, int tri, int64_t M, int64_t N, int64_t K, float alpha,
                                  const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                                  int64_t ldc, float *work);

/* gemm.c: the internal choke point used by the ops (hook or built-in). */
LIGO__PRIV void ligo__sgemm(ligo_ctx *ctx, int trans_a, int trans_b,
                            int64_t M, int64_t N, int64_t K, float alpha,
                            const float *A, int64_t lda, const float *B, int64_t ldb,
                            float beta, float *C, int64_t ldc);
/* An epilogue: called once per finished block of C (mr rows of nr
 * floats at c, row stride ldc; offset = c - C), after the bias. */
typedef void (*ligo__gemm_epi_fn)(void *user, float *c, int64_t ldc, int64_t mr, int64_t nr, int64_t offset);
/* The same with bias (N floats, or NULL) added to every row of C and then
 * epi (or NULL) run on each finished tile, both in the built-in kernel's
 * epilogue (with the hook: passes over all of C after it). */
LIGO__PRIV void ligo__sgemm_epi(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                float alpha, const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                                float *C, int64_t ldc, const float *bias, ligo__gemm_epi_fn epi, void *epi_user);

/* schema.c: a config's parameter table from its model's definition: info
 * (room for *n entries, or NULL to count and check) filled in table order,
 * *n the entries, *offset the floats. */
LIGO__PRIV ligo_status ligo__build_table(ligo_ctx *ctx, const ligo_config *c, ligo_param_info *info, int64_t *n,
                                         int64_t *offset);
/* checkpoint.c: a file's ligo.model against the definition it is loaded
 * with (NULL or the family's built-in: none). */
LIGO__PRIV ligo_status ligo__check_def_meta(ligo_ctx *ctx, const ligo_safetensors *st, const char *who, const char *what,
                                            ligo_family family, const ligo_model_def *def);
/* checkpoint.c: every tensor of st is one of m's checkpoint tensors, of
 * its shape (LIGO_EFORMAT "who: what: tensor NAME ..." otherwise). */
LIGO__PRIV ligo_status ligo__st_check_names(ligo_ctx *ctx, const ligo_safetensors *st, const ligo_model *m, const char *who,
                                            const char *what);
/* The built-in families' parameters (a ligo_model_def's params). */
LIGO__PRIV ligo_status ligo__builtin_params(ligo_params *ps, const ligo_config *c, void *user);
/* The entries before the first block. */
LIGO__PRIV int64_t ligo__schema_n_pre(ligo_family f);
/* llama.c: the LLaMA family's definition (its params and forward). */
LIGO__PRIV ligo_status ligo__llama_params(ligo_params *ps, const ligo_config *c, void *user);
LIGO__PRIV ligo_tensor *ligo__llama_forward(ligo_ctx *ctx, const ligo_model *m, ligo_tensor *const *w,
                                            const ligo_batch *bt, ligo_tensor **logits_out, void *user);

/* grow.c: a block module's part in a model from its schema (module m of
 * layer `layer`, kind 0 weight or gain, 1 bias; Q, K, V start at *row0
 * of the fused projection), its rows and columns (0: a vector) and
 * floats; the floats a learned width factor holds; whether width growth
 * enlarged large tensor i. grow_fit.c: the operator's AdamW. */
LIGO__PRIV const ligo_param_info *ligo__module(const ligo_model *md, int64_t layer, int m, int kind, int64_t *row0);
LIGO__PRIV void ligo__mod_shape(const ligo_model *md, int m, int kind, int64_t *rows, int64_t *cols);
LIGO__PRIV int64_t ligo__mod_len(const ligo_model *md, int m, int kind);
LIGO__PRIV int64_t ligo__width_floats(const ligo_width_factor *f, int full);
LIGO__PRIV int ligo__widened(const ligo_grow *g, int64_t i);
LIGO__PRIV ligo_optim *ligo__fit_optim(ligo_ctx *ctx, ligo_grow *g);

/* optim.c: every field of an optimizer config, each named with its value
 * in "WHO: PREFIXfield is V (want ...)". */
LIGO__PRIV ligo_status ligo__optim_config_check(ligo_ctx *ctx, const char *who, const char *prefix,
                                                const ligo_optim_config *c);
/* file.c: the one cap on a file read whole (64 GiB; SIZE_MAX where size_t
 * is 32 bits), a callee's error restated as "fn: name: <its message>"
 * (name may be NULL; scratch since mk is released), and the byte-order
 * helpers every file format goes through (a format's order, never the
 * host's: see file.c). */
#define LIGO__MAX_FILE \
    ((uint64_t)SIZE_MAX > ((uint64_t)1 << 36) ? (size_t)((uint64_t)1 << 36) : (size_t)SIZE_MAX)
LIGO__PRIV ligo_status ligo__reword(ligo_ctx *ctx, ligo_mark mk, const char *fn, const char *name);
LIGO__PRIV uint16_t ligo__le16(const unsigned char *p);
LIGO__PRIV uint32_t ligo__le32(const unsigned char *p);
LIGO__PRIV uint32_t ligo__be32(const unsigned char *p);
LIGO__PRIV uint64_t ligo__le64(const unsigned char *p);
LIGO__PRIV void ligo__put_le64(unsigned char *p, uint64_t v);
LIGO__PRIV int ligo__host_le(void);
LIGO__PRIV void ligo__le32_inplace(void *x, int64_t n);
/* The one file reader: path whole (at most max_bytes, else LIGO_EFORMAT)
 * and one zero byte after it (not counted), in scratch memory or, with
 * LIGO__READ_HEAP, from LIGO_MALLOC (the caller frees it). Pipes work;
 * with LIGO__READ_REGULAR anything but a regular file is refused before it
 * is opened (a FIFO never blocks). Messages are "who: path: reason". */
#define LIGO__READ_REGULAR 1u
#define LIGO__READ_HEAP 2u
LIGO__PRIV ligo_status ligo__read_file(ligo_ctx *ctx, const char *who, const char *path, size_t max_bytes,
                                       unsigned flags, void **out, size_t *out_n);
/* The one file writer: fn writes the contents into PATH.tmp (returning 0
 * on a failed write, errno saying why), which is flushed, fsynced, closed
 * and renamed over path; on failure the temporary is removed, path is
 * untouched, and the error is LIGO_EIO "who: path: STEP of PATH.tmp
 * failed: reason" (or "cannot create PATH.tmp: reason"). */
typedef int (*ligo__write_fn)(FILE *f, void *user);
LIGO__PRIV ligo_status ligo__write_atomic(ligo_ctx *ctx, const char *who, const char *path, ligo__write_fn fn,
                                          void *user);
#define LIGO__PRINTF(a, b) LIGO__FORMAT(a, b)

/* json.c: the strict reader of safetensors headers. A failure records
 * LIGO_EFORMAT "who: fname: WHERE problem" (fname may be NULL) once and
 * returns 0; where names the tensor being read, or is "". */
typedef struct ligo__json {
    const unsigned char *s;
    size_t n, pos;
    int failed;
    ligo_ctx *ctx;
    const char *who, *fname;
    char where[LIGO_ST_MAX_NAME + 16]; /* "tensor NAME: " while inside a tensor */
} ligo__json;
LIGO__PRIV int ligo__json_fail(ligo__json *J, const char *fmt, ...) LIGO__PRINTF(2, 3);
LIGO__PRIV void ligo__json_ws(ligo__json *J);
LIGO__PRIV int ligo__json_peek(ligo__json *J); /* the next byte after space, or -1 */
LIGO__PRIV int ligo__json_expect(ligo__json *J, char c);
/* A string: up to cap bytes of its UTF-8 to dst (when not NULL), its full
 * length to *len, whether it holds a NUL to *nul. */
LIGO__PRIV int ligo__json_string(ligo__json *J, char *dst, size_t cap, size_t *len, int *nul);
LIGO__PRIV int ligo__json_uint(ligo__json *J, const char *what, uint64_t *out); /* no sign, fraction, exponent */
LIGO__PRIV int ligo__json_skip(ligo__json *J, int depth);                      /* any value */
LIGO__PRIV int ligo__utf8_valid(const char *s);
/* A copy of len bytes of src for messages: control bytes '?', long text cut. */
LIGO__PRIV void ligo__printable(char *dst, size_t cap, const char *src, size_t len);
/* json.c: the writer. A measuring-or-writing buffer: len counts every
 * byte, p (cap bytes, or NULL: measure only) gets those that fit. */
typedef struct ligo__sb {
    char *p;
    size_t cap, len;
} ligo__sb;
LIGO__PRIV void ligo__sb_put(ligo__sb *b, const char *s, size_t n);
LIGO__PRIV void ligo__sb_puts(ligo__sb *b, const char *s);
LIGO__PRIV void ligo__sb_put_u64(ligo__sb *b, uint64_t v);
LIGO__PRIV void ligo__json_put_string(ligo__sb *b, const char *s); /* quoted and escaped */

/* safetensors.c: "who: file: message" (no file part when fname is NULL);
 * duplicate tensor names or metadata keys as status s; the header's cap
 * (the reference implementation's). */
LIGO__PRIV ligo_status ligo__st_err(ligo_ctx *ctx, ligo_status s, const char *who, const char *fname,
                                    const char *fmt, ...) LIGO__PRINTF(5, 6);
LIGO__PRIV int ligo__st_check_unique(ligo_ctx *ctx, ligo_status s, const char *who, const char *fname,
                                     const ligo_safetensors *st);
#define LIGO__ST_MAX_HEADER ((uint64_t)100000000)

/* meta.c: typed metadata values, written into buf (LIGO__META_LEN bytes,
 * returned) and read back strictly (1, or 0 for NULL or malformed): an
 * integer in [lo, hi], a finite real >= lo, an RNG state. */
#define LIGO__META_LEN 72
LIGO__PRIV const char *ligo__meta_fmt_int(char *buf, int64_t v);
LIGO__PRIV const char *ligo__meta_fmt_real(char *buf, double v);  /* a double, exactly */
LIGO__PRIV const char *ligo__meta_fmt_float(char *buf, float v);  /* a float, exactly */
LIGO__PRIV const char *ligo__meta_fmt_rng(char *buf, const ligo_rng *r);
LIGO__PRIV int ligo__meta_int(const char *s, int64_t lo, int64_t hi, int64_t *out);
LIGO__PRIV int ligo__meta_real(const char *s, double lo, double *out);
LIGO__PRIV int ligo__meta_rng(const char *s, ligo_rng *r);
/* The largest step count a state file may hold. */
#define LIGO__META_COUNT_MAX ((int64_t)1 << 62)

/* data_family.c: whether the data's ids (images) suit cfg, and the checks
 * of ligo_data_check reported as WHO's. */
LIGO__PRIV ligo_status ligo__check_vocab(ligo_ctx *ctx, const ligo_data *d, const ligo_config *cfg);
LIGO__PRIV ligo_status ligo__data_check(ligo_ctx *ctx, const char *who, const ligo_data *d, const ligo_config *cfg,
                                        int64_t T, int eval);

/* step.c: one training step, the trainer's and the operator fit's. What
 * it trains, filled once per run: */
typedef ligo_tensor *(*ligo__loss_fn)(ligo_ctx *ctx, void *user, const ligo_batch *batch);
typedef struct ligo__step {
    const char *what;          /* the messages' subject: "WHAT stopped at step N: ..." */
    const ligo_data *data;     /* batches (ligo_data_batch) for a model of cfg */
    const ligo_config *cfg;
    ligo_rng *rng;
    int64_t B, T;
    int32_t *inputs, *targets; /* B (T + 1) ids each */
    float *images;             /* B images (ViT), else NULL */
    ligo__loss_fn loss;        /* a batch's mean loss, on the tape */
    void *user;
    float *params, *grad;      /* the trained floats and their gradient, n each */
    int64_t n;
    ligo_optim *opt;
    double clip;               /* global-norm clipping, 0 = off */
    ligo_batch_fn on_batch;    /* sees each batch before it is used (NULL: none) */
    void *batch_user;
} ligo__step;
/* Step number `step` (from 1) at rate lr: a batch, grad zeroed, the loss
 * (to *loss), backward, clipping, the update. A non-finite loss or
 * gradient is LIGO_ENONFINITE, "WHAT stopped at step N: the loss is X" or
 * "...: the gradient is not finite", before any update. Scratch is left as
 * it was. */
LIGO__PRIV ligo_status ligo__train_step(ligo_ctx *ctx, const ligo__step *s, int64_t step, float lr, float *loss);
/* Fill p's clock fields (seconds, since_last from *t_last, which becomes
 * now), its rate (tokens_per_step per step) and eta, and hand it to fn. */
LIGO__PRIV void ligo__progress_report(ligo_progress_fn fn, void *user, ligo_progress *p, double t_start,
                                      double *t_last, double tokens_per_step);

#endif /* LIGO_INTERNAL_H */
/* ==== end src/ligo_internal.h ==== */

/* ==== begin src/core.c ==== */
/* core.c: status codes and messages, the context, arenas, the RNG, FLOP
 * counters and timers. The thread pool is in pool.c. */

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
/* ==== end src/core.c ==== */

/* ==== begin src/pool.c ==== */
/* pool.c: the thread pool behind ligo_parallel_for, and the thread count
 * of a context. */

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
/* ==== end src/pool.c ==== */

/* ==== begin src/tensor.c ==== */
/* tensor.c: contiguous float32 tensors of 1 to 4 dims, shape checks with
 * overflow-checked sizes, fills. */

LIGO_API ligo_status ligo_shape_numel(int ndim, const int64_t *shape, int64_t *n) {
    int i;
    int64_t total = 1;
    if (n) *n = 0;
    if (ndim < 1 || ndim > LIGO_MAX_DIMS || !shape) return LIGO_EINVAL;
    for (i = 0; i < ndim; i++) {
        if (shape[i] < 1) return LIGO_EINVAL;
        if (!ligo__mul_i64(total, shape[i], &total) || total > LIGO__MAX_NUMEL) return LIGO_EOVERFLOW;
    }
    if (n) *n = total;
    return LIGO_OK;
}

LIGO_API const char *ligo_shape_str(const ligo_tensor *t, char *buf, size_t size) {
    size_t len = 0;
    int i;
    if (!buf || size == 0) return "";
    buf[0] = '\0';
    if (!t) {
        snprintf(buf, size, "null");
        return buf;
    }
    for (i = 0; i < t->ndim && len < size; i++) {
        int k = snprintf(buf + len, size - len, i ? "x%lld" : "%lld", (long long)t->shape[i]);
        if (k < 0) break;
        len += (size_t)k;
    }
    return buf;
}

LIGO_API int ligo_same_shape(const ligo_tensor *a, const ligo_tensor *b) {
    int i;
    if (!a || !b || a->ndim != b->ndim) return 0;
    for (i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

/* Checks the shape and reports a bad one as `who`'s error. */
static int ligo__check_shape(ligo_ctx *ctx, const char *who, int ndim, const int64_t *shape, int64_t *n) {
    ligo_status s;
    int i;
    if (ndim < 1 || ndim > LIGO_MAX_DIMS || !shape) {
        ligo_set_error(ctx, LIGO_EINVAL, "%s: ndim %d is outside [1, %d] or shape is NULL", who, ndim, LIGO_MAX_DIMS);
        return 0;
    }
    s = ligo_shape_numel(ndim, shape, n);
    if (s == LIGO_EINVAL) {
        for (i = 0; i < ndim; i++)
            if (shape[i] < 1) break;
        ligo_set_error(ctx, LIGO_EINVAL, "%s: dim %d is %lld; dims must be >= 1", who, i, (long long)shape[i]);
        return 0;
    }
    if (s != LIGO_OK) {
        ligo_set_error(ctx, LIGO_EOVERFLOW, "%s: shape is too large (more than 2^38 elements)", who);
        return 0;
    }
    return 1;
}

static ligo_tensor *ligo__tensor_in(ligo_ctx *ctx, ligo__arena *arena, const char *region, const char *who,
                                    int ndim, const int64_t *shape, int with_data, int with_grad) {
    ligo_tensor *t;
    int64_t n;
    int i;
    if (ligo__failed(ctx)) return NULL;
    if (!ligo__check_shape(ctx, who, ndim, shape, &n)) return NULL;
    t = (ligo_tensor *)ligo__arena_alloc(ctx, arena, sizeof *t, region);
    if (!t) return NULL;
    t->ndim = ndim;
    for (i = 0; i < LIGO_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 1;
    t->n = n;
    t->op = LIGO_OP_LEAF;
    if (with_data) {
        t->data = (float *)ligo__arena_alloc(ctx, arena, (size_t)n * sizeof(float), region);
        if (!t->data) return NULL;
    }
    if (with_grad) {
        t->grad = (float *)ligo__arena_alloc(ctx, arena, (size_t)n * sizeof(float), region);
        if (!t->grad) return NULL;
        t->flags = LIGO_FLAG_PARAM | LIGO_FLAG_NEEDS_GRAD;
    }
    return t;
}

LIGO_API ligo_tensor *ligo_new(ligo_ctx *ctx, int ndim, const int64_t *shape) {
    return ligo__tensor_in(ctx, ctx ? &ctx->scratch : NULL, "scratch", "ligo_new", ndim, shape, 1, 0);
}

LIGO_API ligo_tensor *ligo_new_1d(ligo_ctx *ctx, int64_t n0) {
    int64_t s[1];
    s[0] = n0;
    return ligo_new(ctx, 1, s);
}

LIGO_API ligo_tensor *ligo_new_2d(ligo_ctx *ctx, int64_t n0, int64_t n1) {
    int64_t s[2];
    s[0] = n0;
    s[1] = n1;
    return ligo_new(ctx, 2, s);
}

LIGO_API ligo_tensor *ligo_new_3d(ligo_ctx *ctx, int64_t n0, int64_t n1, int64_t n2) {
    int64_t s[3];
    s[0] = n0;
    s[1] = n1;
    s[2] = n2;
    return ligo_new(ctx, 3, s);
}

LIGO_API ligo_tensor *ligo_new_param(ligo_ctx *ctx, int ndim, const int64_t *shape) {
    return ligo__tensor_in(ctx, ctx ? &ctx->persistent : NULL, "persistent", "ligo_new_param", ndim, shape, 1, 1);
}

LIGO_API ligo_tensor *ligo_wrap(ligo_ctx *ctx, int ndim, const int64_t *shape, float *data, float *grad) {
    ligo_tensor *t;
    if (ligo__failed(ctx)) return NULL;
    if (!data) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_wrap: data is NULL");
        return NULL;
    }
    t = ligo__tensor_in(ctx, &ctx->scratch, "scratch", "ligo_wrap", ndim, shape, 0, 0);
    if (!t) return NULL;
    t->data = data;
    if (grad) {
        t->grad = grad;
        t->flags = LIGO_FLAG_PARAM | LIGO_FLAG_NEEDS_GRAD;
    }
    return t;
}

LIGO_API void ligo_fill(ligo_tensor *t, float value) {
    int64_t i;
    if (!t || !t->data) return;
    for (i = 0; i < t->n; i++) t->data[i] = value;
}

LIGO_API void ligo_fill_uniform(ligo_tensor *t, ligo_rng *rng, float lo, float hi) {
    int64_t i;
    if (!t || !t->data || !rng) return;
    for (i = 0; i < t->n; i++) t->data[i] = lo + (hi - lo) * ligo_rng_uniform(rng);
}

LIGO_API void ligo_fill_normal(ligo_tensor *t, ligo_rng *rng, float mean, float std) {
    int64_t i;
    if (!t || !t->data || !rng) return;
    for (i = 0; i < t->n; i++) t->data[i] = mean + std * ligo_rng_normal(rng);
}

LIGO_API ligo_status ligo_copy_from(ligo_ctx *ctx, ligo_tensor *t, const float *src, int64_t n) {
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!t || !src) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_copy_from: NULL tensor or source");
    if (n != t->n) {
        char b[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_copy_from: %lld floats given for a %s tensor",
                              (long long)n, ligo_shape_str(t, b, sizeof b));
    }
    memcpy(t->data, src, (size_t)n * sizeof(float));
    return LIGO_OK;
}

LIGO_API void ligo_zero_grad(ligo_tensor *t) {
    if (t && t->grad) memset(t->grad, 0, (size_t)t->n * sizeof(float));
}
/* ==== end src/tensor.c ==== */

/* ==== begin src/simd.h ==== */
/* simd.h: the one place that says which SIMD code is compiled: x86
 * (LIGO__X86, AVX2/FMA and AVX, chosen at run time by ligo__cpu_simd) or
 * ARM64 (LIGO__NEON, NEON, architectural on AArch64 and so chosen at
 * compile time), for gemm, the op kernels and optim; and the vector math
 * that several op kernels share, in an AVX2 version and its NEON twin.
 * Everything here is static: a source compiled on its own gets its own
 * copy, the amalgamated header one. */
#ifndef LIGO_SIMD_H
#define LIGO_SIMD_H


/* x86 with gcc or clang: SIMD functions are compiled for their target
 * alone (the rest of the library keeps the build's baseline) and chosen
 * at run time. Everywhere else, and under LIGO_NO_SIMD, only the portable
 * C paths exist. */
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__)) && !defined(LIGO_NO_SIMD)
#define LIGO__X86 1
#include <immintrin.h>
#define LIGO__AVX2 __attribute__((target("avx2,fma")))
#define LIGO__AVX2_INLINE __attribute__((target("avx2,fma"), always_inline))
#define LIGO__AVX __attribute__((target("avx")))
#else
#define LIGO__X86 0
#endif

/* AArch64 with gcc or clang: every AArch64 CPU has NEON (Advanced SIMD)
 * with fused multiply-add, so its paths are compiled in and always taken;
 * LIGO_NO_SIMD leaves only the portable C. */
#if defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(LIGO_NO_SIMD)
#define LIGO__NEON 1
#include <arm_neon.h>
#else
#define LIGO__NEON 0
#endif

/* What this CPU runs, in increasing order: a kernel compiled LIGO__AVX2
 * needs LIGO__SIMD_AVX2 (AVX2 and FMA), one compiled LIGO__AVX needs
 * LIGO__SIMD_AVX. Cheap enough to ask per call (the CPU was identified
 * at start-up; the init call only makes sure of it). */
enum { LIGO__SIMD_NONE = 0, LIGO__SIMD_AVX = 1, LIGO__SIMD_AVX2 = 2 };

static LIGO__UNUSED int ligo__cpu_simd(void) {
#if LIGO__X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return LIGO__SIMD_AVX2;
    if (__builtin_cpu_supports("avx")) return LIGO__SIMD_AVX;
#endif
    return LIGO__SIMD_NONE;
}

#if LIGO__X86

/* The sum of 8 lanes in a fixed order. */
LIGO__AVX2 static LIGO__UNUSED float ligo__hsum8(__m256 v) {
    float l[8];
    _mm256_storeu_ps(l, v);
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

/* exp on 8 floats: x = n ln2 + r, |r| <= ln2 / 2, a degree-6 polynomial
 * for e^r (Cephes' coefficients), 2^n put in the exponent bits. The clamp
 * keeps NaN: max and min return their second operand when one is NaN, so
 * x goes second (the bounds are not zeros: finite results are as before). */
LIGO__AVX2 static LIGO__UNUSED __m256 ligo__exp8(__m256 x) {
    __m256 fx, r, p, y;
    __m256i e;
    x = _mm256_min_ps(_mm256_set1_ps(88.0f), _mm256_max_ps(_mm256_set1_ps(-87.0f), x));
    fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), r);
    p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

/* max of row[0, n), eight lanes at a time (softmax, cross-entropy). Like
 * the scalar loop it skips NaN: max returns its second operand when one is
 * NaN, so the running max goes second. *neg_inf: some entry is -inf,
 * where exp8 gives a tiny value and expf 0 (which matters when the 0 later
 * meets an infinity); the callers take the scalar loop for such rows. */
LIGO__AVX2 static LIGO__UNUSED float ligo__row_max_avx2(const float *row, int64_t n, int *neg_inf) {
    int64_t u, v8 = n / 8 * 8;
    float mx = -FLT_MAX, mn = FLT_MAX, lanes[8], lmin[8];
    __m256 vmx = _mm256_set1_ps(-FLT_MAX), vmn = _mm256_set1_ps(FLT_MAX);
    for (u = 0; u < v8; u += 8) {
        __m256 x = _mm256_loadu_ps(row + u);
        vmx = _mm256_max_ps(x, vmx);
        vmn = _mm256_min_ps(x, vmn);
    }
    _mm256_storeu_ps(lanes, vmx);
    _mm256_storeu_ps(lmin, vmn);
    for (u = 0; u < 8; u++) {
        mx = lanes[u] > mx ? lanes[u] : mx;
        mn = lmin[u] < mn ? lmin[u] : mn;
    }
    for (u = v8; u < n; u++) mx = row[u] > mx ? row[u] : mx;
    *neg_inf = mn < -FLT_MAX;
    return mx;
}

#endif /* LIGO__X86 */

#if LIGO__NEON

/* The NEON twin of the AVX2 math above. An AVX2 kernel works on eight
 * lanes; its NEON twin holds the same eight lanes in two 128-bit
 * registers (lo: lanes 0-3, hi: lanes 4-7) and does, lane by lane, the
 * same operations in the same order, fused where the AVX2 code fuses and
 * nowhere else. So a NEON kernel gives the bits its AVX2 twin gives, and
 * which elements take the vector path and which the scalar tail is the
 * same on both. Two x86 rules need care:
 *   - _mm256_max_ps(a, b) is a > b ? a : b and _mm256_min_ps(a, b) is
 *     a < b ? a : b: the second operand when either is NaN (and b for
 *     max(+0, -0)). NEON's vmaxq_f32 / vminq_f32 return NaN instead, so
 *     ligo__f8_max / ligo__f8_min compare and select, as x86 does.
 *   - _mm256_round_ps rounds to nearest, ties to even: vrndnq_f32. */
typedef struct ligo__f8 {
    float32x4_t lo, hi;
} ligo__f8;

static inline ligo__f8 ligo__f8_load(const float *p) {
    ligo__f8 r;
    r.lo = vld1q_f32(p);
    r.hi = vld1q_f32(p + 4);
    return r;
}
static inline void ligo__f8_store(float *p, ligo__f8 v) {
    vst1q_f32(p, v.lo);
    vst1q_f32(p + 4, v.hi);
}
static inline ligo__f8 ligo__f8_set1(float x) {
    ligo__f8 r;
    r.lo = r.hi = vdupq_n_f32(x);
    return r;
}
#define LIGO__F8_BINARY(name, op)                            \
    static inline ligo__f8 name(ligo__f8 a, ligo__f8 b) {    \
        ligo__f8 r;                                          \
        r.lo = op(a.lo, b.lo);                               \
        r.hi = op(a.hi, b.hi);                               \
        return r;                                            \
    }
LIGO__F8_BINARY(ligo__f8_add, vaddq_f32)
LIGO__F8_BINARY(ligo__f8_sub, vsubq_f32)
LIGO__F8_BINARY(ligo__f8_mul, vmulq_f32)
LIGO__F8_BINARY(ligo__f8_div, vdivq_f32)
#undef LIGO__F8_BINARY

/* a * b + c with one rounding (_mm256_fmadd_ps) */
static inline ligo__f8 ligo__f8_fma(ligo__f8 a, ligo__f8 b, ligo__f8 c) {
    ligo__f8 r;
    r.lo = vfmaq_f32(c.lo, a.lo, b.lo);
    r.hi = vfmaq_f32(c.hi, a.hi, b.hi);
    return r;
}
/* c - a * b with one rounding (_mm256_fnmadd_ps) */
static inline ligo__f8 ligo__f8_fnma(ligo__f8 a, ligo__f8 b, ligo__f8 c) {
    ligo__f8 r;
    r.lo = vfmsq_f32(c.lo, a.lo, b.lo);
    r.hi = vfmsq_f32(c.hi, a.hi, b.hi);
    return r;
}
/* a > b ? a : b and a < b ? a : b lane by lane: x86's max and min, on
 * four lanes and on eight */
static inline float32x4_t ligo__max4_x86(float32x4_t a, float32x4_t b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
static inline float32x4_t ligo__min4_x86(float32x4_t a, float32x4_t b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
static inline ligo__f8 ligo__f8_max(ligo__f8 a, ligo__f8 b) {
    ligo__f8 r;
    r.lo = ligo__max4_x86(a.lo, b.lo);
    r.hi = ligo__max4_x86(a.hi, b.hi);
    return r;
}
static inline ligo__f8 ligo__f8_min(ligo__f8 a, ligo__f8 b) {
    ligo__f8 r;
    r.lo = ligo__min4_x86(a.lo, b.lo);
    r.hi = ligo__min4_x86(a.hi, b.hi);
    return r;
}

/* The sum of 8 lanes in ligo__hsum8's order,
 * ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)): a pairwise add gives
 * (l0+l1, l2+l3, l4+l5, l6+l7), a second one adds those pairs. */
static inline float ligo__hsum8_neon(ligo__f8 v) {
    float32x4_t p = vpaddq_f32(v.lo, v.hi);
    p = vpaddq_f32(p, p);
    return vgetq_lane_f32(p, 0) + vgetq_lane_f32(p, 1);
}

/* ligo__exp8 on four lanes, operation for operation. fx is a whole
 * number within [-126, 127] (x is clamped), so converting it by
 * truncation (vcvtq_s32_f32) gives what x86's rounding conversion gives;
 * for NaN both put 1.0f's bits in e, and y is NaN. */
static inline float32x4_t ligo__exp4_neon(float32x4_t x) {
    float32x4_t fx, r, p, y;
    int32x4_t e;
    x = ligo__min4_x86(vdupq_n_f32(88.0f), ligo__max4_x86(vdupq_n_f32(-87.0f), x)); /* NaN stays NaN */
    fx = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504088896341f)));
    r = vfmsq_f32(x, fx, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, fx, vdupq_n_f32(-2.12194440e-4f));
    p = vdupq_n_f32(1.9875691500e-4f);
    p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
    p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
    y = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), vmulq_f32(p, r), r);
    e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(fx), vdupq_n_s32(127)), 23);
    return vmulq_f32(y, vreinterpretq_f32_s32(e));
}
static inline ligo__f8 ligo__exp8_neon(ligo__f8 x) {
    ligo__f8 r;
    r.lo = ligo__exp4_neon(x.lo);
    r.hi = ligo__exp4_neon(x.hi);
    return r;
}

/* ligo__row_max_avx2 on NEON: the same lanes, the same NaN rule (the
 * running max goes second, so NaN entries are skipped like the scalar
 * loop skips them), the same *neg_inf. */
static LIGO__UNUSED float ligo__row_max_neon(const float *row, int64_t n, int *neg_inf) {
    int64_t u, v8 = n / 8 * 8;
    float mx = -FLT_MAX, mn = FLT_MAX, lanes[8], lmin[8];
    ligo__f8 vmx = ligo__f8_set1(-FLT_MAX), vmn = ligo__f8_set1(FLT_MAX);
    for (u = 0; u < v8; u += 8) {
        ligo__f8 x = ligo__f8_load(row + u);
        vmx = ligo__f8_max(x, vmx);
        vmn = ligo__f8_min(x, vmn);
    }
    ligo__f8_store(lanes, vmx);
    ligo__f8_store(lmin, vmn);
    for (u = 0; u < 8; u++) {
        mx = lanes[u] > mx ? lanes[u] : mx;
        mn = lmin[u] < mn ? lmin[u] : mn;
    }
    for (u = v8; u < n; u++) mx = row[u] > mx ? row[u] : mx;
    *neg_inf = mn < -FLT_MAX;
    return mx;
}

#endif /* LIGO__NEON */

#endif /* LIGO_SIMD_H */
/* ==== end src/simd.h ==== */

/* ==== begin src/gemm_kernels.c ==== */
/* gemm_kernels.c: the micro-kernels and packers under the one matrix
 * product (gemm.c): a portable C micro-kernel and packers, AVX2/FMA ones
 * compiled for that target alone (simd.h), chosen at run time, and on
 * ARM64 a NEON micro-kernel (with the portable packers), compiled in.
 *
 * A micro-kernel computes one MR x NR tile of C (6 x 16) from packed
 * panels: A as [k][MR], B as [k][NR], both contiguous and zero-padded at
 * the edges, so all four transpose cases run the same inner loop. */

/* ---- portable micro-kernel and packing */

/* c (MR x NR, row stride ldc) = alpha * a.b + beta * c; beta == 0 never
 * reads c. a is [kc][MR], b is [kc][NR]. */
static void ligo__gemm_ukr_c(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, float alpha,
                             float beta) {
    float acc[LIGO__GEMM_MR * LIGO__GEMM_NR];
    int64_t p;
    int i, j;
    for (i = 0; i < LIGO__GEMM_MR * LIGO__GEMM_NR; i++) acc[i] = 0.0f;
    for (p = 0; p < kc; p++) {
        const float *ap = a + p * LIGO__GEMM_MR, *bp = b + p * LIGO__GEMM_NR;
        for (i = 0; i < LIGO__GEMM_MR; i++) {
            float ai = ap[i];
            float *r = acc + i * LIGO__GEMM_NR;
            for (j = 0; j < LIGO__GEMM_NR; j++) r[j] += ai * bp[j];
        }
    }
    for (i = 0; i < LIGO__GEMM_MR; i++) {
        float *ci = c + (int64_t)i * ldc;
        const float *r = acc + i * LIGO__GEMM_NR;
        if (beta == 0.0f)
            for (j = 0; j < LIGO__GEMM_NR; j++) ci[j] = alpha * r[j];
        else
            for (j = 0; j < LIGO__GEMM_NR; j++) ci[j] = alpha * r[j] + beta * ci[j];
    }
}

/* Rows [r0, r0 + nrows) by k [p0, p0 + kc) of op(A) into MR-tall panels
 * [kc][MR]; rows past nrows are zero. trans: A is stored K x M. */
static void ligo__gemm_pack_a_c(int trans, const float *A, int64_t lda, int64_t r0, int64_t nrows, int64_t p0,
                                int64_t kc, float *dst) {
    int64_t ir, p;
    int i;
    for (ir = 0; ir < nrows; ir += LIGO__GEMM_MR) {
        int mr = nrows - ir < LIGO__GEMM_MR ? (int)(nrows - ir) : LIGO__GEMM_MR;
        if (trans) {
            const float *src = A + p0 * lda + r0 + ir;
            for (p = 0; p < kc; p++) {
                const float *s = src + p * lda;
                float *d = dst + p * LIGO__GEMM_MR;
                for (i = 0; i < mr; i++) d[i] = s[i];
                for (; i < LIGO__GEMM_MR; i++) d[i] = 0.0f;
            }
        } else {
            const float *src = A + (r0 + ir) * lda + p0;
            for (p = 0; p < kc; p++) {
                float *d = dst + p * LIGO__GEMM_MR;
                for (i = 0; i < mr; i++) d[i] = src[(int64_t)i * lda + p];
                for (; i < LIGO__GEMM_MR; i++) d[i] = 0.0f;
            }
        }
        dst += kc * LIGO__GEMM_MR;
    }
}

/* Columns [c0, c0 + ncols) by k [p0, p0 + kc) of op(B) into NR-wide panels
 * [kc][NR]; columns past ncols are zero. trans: B is stored N x K. */
static void ligo__gemm_pack_b_c(int trans, const float *B, int64_t ldb, int64_t c0, int64_t ncols, int64_t p0,
                                int64_t kc, float *dst) {
    int64_t jr, p;
    int j;
    for (jr = 0; jr < ncols; jr += LIGO__GEMM_NR) {
        int nr = ncols - jr < LIGO__GEMM_NR ? (int)(ncols - jr) : LIGO__GEMM_NR;
        if (!trans) {
            const float *src = B + p0 * ldb + c0 + jr;
            for (p = 0; p < kc; p++) {
                const float *s = src + p * ldb;
                float *d = dst + p * LIGO__GEMM_NR;
                for (j = 0; j < nr; j++) d[j] = s[j];
                for (; j < LIGO__GEMM_NR; j++) d[j] = 0.0f;
            }
        } else {
            const float *src = B + (c0 + jr) * ldb + p0;
            for (p = 0; p < kc; p++) {
                float *d = dst + p * LIGO__GEMM_NR;
                for (j = 0; j < nr; j++) d[j] = src[(int64_t)j * ldb + p];
                for (; j < LIGO__GEMM_NR; j++) d[j] = 0.0f;
            }
        }
        dst += kc * LIGO__GEMM_NR;
    }
}

/* ---- AVX2/FMA micro-kernel and transposing packers */

#if LIGO__X86

/* The 6x16 tile lives in twelve ymm accumulators. One k step: two B
 * vectors, six broadcasts of A, twelve FMAs. LIGO__GEMM_A(i, o) is the
 * address of A(row i, step p + o); each kernel defines it for its layout. */
#define LIGO__GEMM_STEP(o)                                              \
    b0 = _mm256_loadu_ps(b + 16 * (o));                                 \
    b1 = _mm256_loadu_ps(b + 16 * (o) + 8);                             \
    av = _mm256_broadcast_ss(LIGO__GEMM_A(0, o));                       \
    c00 = _mm256_fmadd_ps(av, b0, c00);                                 \
    c01 = _mm256_fmadd_ps(av, b1, c01);                                 \
    av = _mm256_broadcast_ss(LIGO__GEMM_A(1, o));                       \
    c10 = _mm256_fmadd_ps(av, b0, c10);                                 \
    c11 = _mm256_fmadd_ps(av, b1, c11);                                 \
    av = _mm256_broadcast_ss(LIGO__GEMM_A(2, o));                       \
    c20 = _mm256_fmadd_ps(av, b0, c20);                                 \
    c21 = _mm256_fmadd_ps(av, b1, c21);                                 \
    av = _mm256_broadcast_ss(LIGO__GEMM_A(3, o));                       \
    c30 = _mm256_fmadd_ps(av, b0, c30);                                 \
    c31 = _mm256_fmadd_ps(av, b1, c31);                                 \
    av = _mm256_broadcast_ss(LIGO__GEMM_A(4, o));                       \
    c40 = _mm256_fmadd_ps(av, b0, c40);                                 \
    c41 = _mm256_fmadd_ps(av, b1, c41);                                 \
    av = _mm256_broadcast_ss(LIGO__GEMM_A(5, o));                       \
    c50 = _mm256_fmadd_ps(av, b0, c50);                                 \
    c51 = _mm256_fmadd_ps(av, b1, c51)

/* Zero the accumulators and start fetching the C tile, needed at the end. */
#define LIGO__GEMM_PROLOGUE                                                         \
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();                    \
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();                    \
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();                    \
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();                    \
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();                    \
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();                    \
    __m256 b0, b1, av, va, vb;                                                      \
    int64_t p = 0;                                                                  \
    {                                                                               \
        int r_;                                                                     \
        for (r_ = 0; r_ < 6; r_++) {                                                \
            _mm_prefetch((const char *)(c + (int64_t)r_ * ldc), _MM_HINT_T0);       \
            _mm_prefetch((const char *)(c + (int64_t)r_ * ldc + 15), _MM_HINT_T0);  \
        }                                                                           \
    }

#define LIGO__GEMM_STORE_ROW(r, x0, x1)                                                        \
    do {                                                                                       \
        float *cr = c + (int64_t)(r) * ldc;                                                    \
        if (beta == 0.0f) {                                                                    \
            _mm256_storeu_ps(cr, _mm256_mul_ps(va, x0));                                       \
            _mm256_storeu_ps(cr + 8, _mm256_mul_ps(va, x1));                                   \
        } else {                                                                               \
            _mm256_storeu_ps(cr, _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), _mm256_mul_ps(va, x0))); \
            _mm256_storeu_ps(cr + 8,                                                           \
                             _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8), _mm256_mul_ps(va, x1))); \
        }                                                                                      \
    } while (0)

/* c = alpha * acc + beta * c; beta == 0 never reads c. */
#define LIGO__GEMM_EPILOGUE                 \
    va = _mm256_set1_ps(alpha);             \
    vb = _mm256_set1_ps(beta);              \
    LIGO__GEMM_STORE_ROW(0, c00, c01);      \
    LIGO__GEMM_STORE_ROW(1, c10, c11);      \
    LIGO__GEMM_STORE_ROW(2, c20, c21);      \
    LIGO__GEMM_STORE_ROW(3, c30, c31);      \
    LIGO__GEMM_STORE_ROW(4, c40, c41);      \
    LIGO__GEMM_STORE_ROW(5, c50, c51)

/* Packed A: a is [kc][6]. */
#define LIGO__GEMM_A(i, o) (a + 6 * (o) + (i))
LIGO__AVX2 static void ligo__gemm_ukr_avx2(int64_t kc, const float *a, const float *b, float *c,
                                                int64_t ldc, float alpha, float beta) {
    LIGO__GEMM_PROLOGUE
    for (; p + 4 <= kc; p += 4) {
        _mm_prefetch((const char *)(b + 16 * 16), _MM_HINT_T0);
        LIGO__GEMM_STEP(0);
        LIGO__GEMM_STEP(1);
        _mm_prefetch((const char *)(a + 6 * 16), _MM_HINT_T0);
        LIGO__GEMM_STEP(2);
        LIGO__GEMM_STEP(3);
        a += 4 * 6;
        b += 4 * 16;
    }
    for (; p < kc; p++) {
        LIGO__GEMM_STEP(0);
        a += 6;
        b += 16;
    }
    LIGO__GEMM_EPILOGUE;
}
#undef LIGO__GEMM_A

/* Unpacked row-major A: row i at a + i * lda, contiguous in k. */
#define LIGO__GEMM_A(i, o) (a + (i) * lda + p + (o))
LIGO__AVX2 static void ligo__gemm_ukr_avx2_arows(int64_t kc, const float *a, int64_t lda, const float *b,
                                                      float *c, int64_t ldc, float alpha, float beta) {
    LIGO__GEMM_PROLOGUE
    for (; p + 4 <= kc; p += 4) {
        _mm_prefetch((const char *)(b + 16 * 16), _MM_HINT_T0);
        LIGO__GEMM_STEP(0);
        LIGO__GEMM_STEP(1);
        LIGO__GEMM_STEP(2);
        LIGO__GEMM_STEP(3);
        b += 4 * 16;
    }
    for (; p < kc; p++) {
        LIGO__GEMM_STEP(0);
        b += 16;
    }
    LIGO__GEMM_EPILOGUE;
}
#undef LIGO__GEMM_A

/* The 6x8 kernels for the last columns of a narrow C (at most 8 of the 16
 * left): the first half of each packed B row, half the FMAs. Per element
 * the operations are those of the 6x16 kernels, so results do not depend
 * on which kernel computed a tile. */
#define LIGO__GEMM_STEP8(o)                                             \
    b0 = _mm256_loadu_ps(b + 16 * (o));                                 \
    c00 = _mm256_fmadd_ps(_mm256_broadcast_ss(LIGO__GEMM_A(0, o)), b0, c00); \
    c10 = _mm256_fmadd_ps(_mm256_broadcast_ss(LIGO__GEMM_A(1, o)), b0, c10); \
    c20 = _mm256_fmadd_ps(_mm256_broadcast_ss(LIGO__GEMM_A(2, o)), b0, c20); \
    c30 = _mm256_fmadd_ps(_mm256_broadcast_ss(LIGO__GEMM_A(3, o)), b0, c30); \
    c40 = _mm256_fmadd_ps(_mm256_broadcast_ss(LIGO__GEMM_A(4, o)), b0, c40); \
    c50 = _mm256_fmadd_ps(_mm256_broadcast_ss(LIGO__GEMM_A(5, o)), b0, c50)

#define LIGO__GEMM_PROLOGUE8                                                        \
    __m256 c00 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps();                    \
    __m256 c20 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps();                    \
    __m256 c40 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps();                    \
    __m256 b0, va, vb;                                                              \
    int64_t p = 0

#define LIGO__GEMM_STORE_ROW8(r, x0)                                                           \
    do {                                                                                       \
        float *cr = c + (int64_t)(r) * ldc;                                                    \
        if (beta == 0.0f)                                                                      \
            _mm256_storeu_ps(cr, _mm256_mul_ps(va, x0));                                       \
        else                                                                                   \
            _mm256_storeu_ps(cr, _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), _mm256_mul_ps(va, x0))); \
    } while (0)

#define LIGO__GEMM_EPILOGUE8                \
    va = _mm256_set1_ps(alpha);             \
    vb = _mm256_set1_ps(beta);              \
    LIGO__GEMM_STORE_ROW8(0, c00);          \
    LIGO__GEMM_STORE_ROW8(1, c10);          \
    LIGO__GEMM_STORE_ROW8(2, c20);          \
    LIGO__GEMM_STORE_ROW8(3, c30);          \
    LIGO__GEMM_STORE_ROW8(4, c40);          \
    LIGO__GEMM_STORE_ROW8(5, c50)

#define LIGO__GEMM_A(i, o) (a + 6 * (o) + (i))
LIGO__AVX2 static void ligo__gemm_ukr8_avx2(int64_t kc, const float *a, const float *b, float *c,
                                                 int64_t ldc, float alpha, float beta) {
    LIGO__GEMM_PROLOGUE8;
    for (; p + 4 <= kc; p += 4) {
        LIGO__GEMM_STEP8(0);
        LIGO__GEMM_STEP8(1);
        LIGO__GEMM_STEP8(2);
        LIGO__GEMM_STEP8(3);
        a += 4 * 6;
        b += 4 * 16;
    }
    for (; p < kc; p++) {
        LIGO__GEMM_STEP8(0);
        a += 6;
        b += 16;
    }
    LIGO__GEMM_EPILOGUE8;
}
#undef LIGO__GEMM_A

#define LIGO__GEMM_A(i, o) (a + (i) * lda + p + (o))
LIGO__AVX2 static void ligo__gemm_ukr8_avx2_arows(int64_t kc, const float *a, int64_t lda, const float *b,
                                                       float *c, int64_t ldc, float alpha, float beta) {
    LIGO__GEMM_PROLOGUE8;
    for (; p + 4 <= kc; p += 4) {
        LIGO__GEMM_STEP8(0);
        LIGO__GEMM_STEP8(1);
        LIGO__GEMM_STEP8(2);
        LIGO__GEMM_STEP8(3);
        b += 4 * 16;
    }
    for (; p < kc; p++) {
        LIGO__GEMM_STEP8(0);
        b += 16;
    }
    LIGO__GEMM_EPILOGUE8;
}
#undef LIGO__GEMM_A

#undef LIGO__GEMM_STEP8
#undef LIGO__GEMM_PROLOGUE8
#undef LIGO__GEMM_STORE_ROW8
#undef LIGO__GEMM_EPILOGUE8
#undef LIGO__GEMM_STEP
#undef LIGO__GEMM_PROLOGUE
#undef LIGO__GEMM_STORE_ROW
#undef LIGO__GEMM_EPILOGUE

/* In-register 8x8 transpose: r[k] becomes column k of the input rows. */
static inline LIGO__AVX2_INLINE void ligo__gemm_tr8x8(__m256 *r) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* Row-major A (not transposed): six rows contiguous in k go through 8x8
 * transposes; partial panels and k tails take the portable path. */
LIGO__AVX2 static void ligo__gemm_pack_a_avx2(int trans, const float *A, int64_t lda, int64_t r0,
                                                   int64_t nrows, int64_t p0, int64_t kc, float *dst) {
    int64_t ir, p;
    int k;
    __m256 r[8];
    if (trans) {
        /* A stored K x M: op(A) row panels are six contiguous floats per k
         * step; walk k rows outermost so each row of A is read once */
        int64_t full = nrows / LIGO__GEMM_MR * LIGO__GEMM_MR;
        for (p = 0; p < kc; p++) {
            const float *s = A + (p0 + p) * lda + r0;
            float *d = dst + p * LIGO__GEMM_MR;
            for (ir = 0; ir < full; ir += LIGO__GEMM_MR) {
                _mm_storeu_ps(d, _mm_loadu_ps(s + ir));
                _mm_storel_pi((__m64 *)(void *)(d + 4), _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(const void *)(s + ir + 4)));
                d += kc * LIGO__GEMM_MR;
            }
        }
        if (full < nrows) ligo__gemm_pack_a_c(trans, A, lda, r0 + full, nrows - full, p0, kc, dst + full * kc);
        return;
    }
    for (ir = 0; ir + LIGO__GEMM_MR <= nrows; ir += LIGO__GEMM_MR) {
        const float *s = A + (r0 + ir) * lda + p0;
        float *d = dst;
        for (p = 0; p + 8 <= kc; p += 8) {
            r[0] = _mm256_loadu_ps(s + p);
            r[1] = _mm256_loadu_ps(s + lda + p);
            r[2] = _mm256_loadu_ps(s + 2 * lda + p);
            r[3] = _mm256_loadu_ps(s + 3 * lda + p);
            r[4] = _mm256_loadu_ps(s + 4 * lda + p);
            r[5] = _mm256_loadu_ps(s + 5 * lda + p);
            r[6] = _mm256_setzero_ps();
            r[7] = _mm256_setzero_ps();
            ligo__gemm_tr8x8(r);
            /* eight floats per k step of six: each store's two extra lanes
             * are overwritten by the next; the last one stores exactly six */
            for (k = 0; k < 7; k++) _mm256_storeu_ps(d + k * 6, r[k]);
            _mm_storeu_ps(d + 42, _mm256_castps256_ps128(r[7]));
            _mm_storel_pi((__m64 *)(void *)(d + 46), _mm256_extractf128_ps(r[7], 1));
            d += 48;
        }
        for (; p < kc; p++) {
            for (k = 0; k < LIGO__GEMM_MR; k++) d[k] = s[(int64_t)k * lda + p];
            d += LIGO__GEMM_MR;
        }
        dst += kc * LIGO__GEMM_MR;
    }
    if (ir < nrows) ligo__gemm_pack_a_c(trans, A, lda, r0 + ir, nrows - ir, p0, kc, dst);
}

/* Transposed B (stored N x K): sixteen rows contiguous in k go through two
 * 8x8 transposes per eight k steps. */
LIGO__AVX2 static void ligo__gemm_pack_b_avx2(int trans, const float *B, int64_t ldb, int64_t c0,
                                                   int64_t ncols, int64_t p0, int64_t kc, float *dst) {
    int64_t jr, p;
    int k, h;
    __m256 r[8];
    if (!trans) {
        /* rows of B are contiguous in j: 16 floats per k step */
        for (jr = 0; jr + LIGO__GEMM_NR <= ncols; jr += LIGO__GEMM_NR) {
            const float *s = B + p0 * ldb + c0 + jr;
            float *d = dst;
            for (p = 0; p < kc; p++) {
                /* strided rows defeat the hardware prefetcher */
                _mm_prefetch((const char *)(s + 32 * ldb), _MM_HINT_T0);
                _mm_prefetch((const char *)(s + 32 * ldb + 15), _MM_HINT_T0);
                _mm256_storeu_ps(d, _mm256_loadu_ps(s));
                _mm256_storeu_ps(d + 8, _mm256_loadu_ps(s + 8));
                s += ldb;
                d += LIGO__GEMM_NR;
            }
            dst += kc * LIGO__GEMM_NR;
        }
        if (jr < ncols) ligo__gemm_pack_b_c(trans, B, ldb, c0 + jr, ncols - jr, p0, kc, dst);
        return;
    }
    for (jr = 0; jr + LIGO__GEMM_NR <= ncols; jr += LIGO__GEMM_NR) {
        const float *s = B + (c0 + jr) * ldb + p0;
        float *d = dst;
        for (p = 0; p + 8 <= kc; p += 8) {
            for (h = 0; h < 2; h++) {
                const float *sh = s + (int64_t)(8 * h) * ldb + p;
                for (k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(sh + (int64_t)k * ldb);
                ligo__gemm_tr8x8(r);
                for (k = 0; k < 8; k++) _mm256_storeu_ps(d + k * 16 + 8 * h, r[k]);
            }
            d += 8 * 16;
        }
        for (; p < kc; p++) {
            for (k = 0; k < LIGO__GEMM_NR; k++) d[k] = s[(int64_t)k * ldb + p];
            d += LIGO__GEMM_NR;
        }
        dst += kc * LIGO__GEMM_NR;
    }
    if (jr < ncols) ligo__gemm_pack_b_c(trans, B, ldb, c0 + jr, ncols - jr, p0, kc, dst);
}

#endif /* LIGO__X86 */

/* ---- NEON micro-kernel (ARM64) */

#if LIGO__NEON

/* The same 6 x 16 tile as the AVX2 kernel, so gemm.c's blocking and the
 * packed panels are the same on both and every element of C is the same
 * chain of fused multiply-adds over k in the same order (then
 * alpha * acc, then beta * c fused in): NEON results are bitwise the
 * AVX2 ones.
 *
 * Why this shape, counted in instructions (AArch64 has 32 vector
 * registers of 128 bits, four floats each, and FMLA by element,
 * vfmaq_laneq_f32, which multiplies a vector by one lane of another
 * register, so A needs no broadcast):
 *   accumulators   6 rows x 16 columns / 4 lanes     = 24 registers
 *   B, one k step  16 floats                          =  4 registers
 *   A, one k step  6 floats: one q load (rows 0-3)
 *                  and one d load (rows 4-5)          =  2 registers
 *   total                                               30 of 32
 * One k step is 6 loads (4 of B, 2 of A) for 24 FMAs, 4 FMAs per load,
 * and the 24 independent accumulator chains cover the FMA latency
 * (about 4 cycles on 2 to 4 FMA pipes: 8 to 16 chains in flight). The
 * usual ARM shape, 8 x 12 (24 accumulators, 3 loads of B and 2 of A for
 * 24 FMAs, 4.8 per load), reuses a little better, but it would change
 * MR and NR, and with them gemm.c's blocking and the bits of every
 * result; 6 x 16 keeps ARM64 bitwise equal to x86-64 with AVX2. B rows
 * are 64 bytes, one cache line on most ARM64 cores.
 *
 * Speed is not measured here: the NEON paths are tested under
 * qemu-aarch64, which emulates instructions one by one and says nothing
 * about the timing of a real core. */
#define LIGO__NEON_ROW(i, alane, lanefn, l)              \
    c##i##0 = lanefn(c##i##0, b0, alane, l);             \
    c##i##1 = lanefn(c##i##1, b1, alane, l);             \
    c##i##2 = lanefn(c##i##2, b2, alane, l);             \
    c##i##3 = lanefn(c##i##3, b3, alane, l)

#define LIGO__NEON_STORE_ROW(i)                                                             \
    do {                                                                                    \
        float *cr = c + (int64_t)(i) * ldc;                                                 \
        if (beta == 0.0f) {                                                                 \
            vst1q_f32(cr, vmulq_f32(va, c##i##0));                                          \
            vst1q_f32(cr + 4, vmulq_f32(va, c##i##1));                                      \
            vst1q_f32(cr + 8, vmulq_f32(va, c##i##2));                                      \
            vst1q_f32(cr + 12, vmulq_f32(va, c##i##3));                                     \
        } else {                                                                            \
            vst1q_f32(cr, vfmaq_f32(vmulq_f32(va, c##i##0), vb, vld1q_f32(cr)));            \
            vst1q_f32(cr + 4, vfmaq_f32(vmulq_f32(va, c##i##1), vb, vld1q_f32(cr + 4)));    \
            vst1q_f32(cr + 8, vfmaq_f32(vmulq_f32(va, c##i##2), vb, vld1q_f32(cr + 8)));    \
            vst1q_f32(cr + 12, vfmaq_f32(vmulq_f32(va, c##i##3), vb, vld1q_f32(cr + 12)));  \
        }                                                                                   \
    } while (0)

/* c (6 x 16, row stride ldc) = alpha * a.b + beta * c; beta == 0 never
 * reads c. a is [kc][6], b is [kc][16]. */
static void ligo__gemm_ukr_neon(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, float alpha,
                                float beta) {
    float32x4_t c00 = vdupq_n_f32(0.0f), c01 = c00, c02 = c00, c03 = c00;
    float32x4_t c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    float32x4_t c20 = c00, c21 = c00, c22 = c00, c23 = c00;
    float32x4_t c30 = c00, c31 = c00, c32 = c00, c33 = c00;
    float32x4_t c40 = c00, c41 = c00, c42 = c00, c43 = c00;
    float32x4_t c50 = c00, c51 = c00, c52 = c00, c53 = c00;
    float32x4_t va, vb;
    int64_t p;
    for (p = 0; p < kc; p++) {
        float32x4_t a03 = vld1q_f32(a);    /* A rows 0-3 at this k */
        float32x2_t a45 = vld1_f32(a + 4); /* rows 4-5 */
        float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8), b3 = vld1q_f32(b + 12);
        LIGO__NEON_ROW(0, a03, vfmaq_laneq_f32, 0);
        LIGO__NEON_ROW(1, a03, vfmaq_laneq_f32, 1);
        LIGO__NEON_ROW(2, a03, vfmaq_laneq_f32, 2);
        LIGO__NEON_ROW(3, a03, vfmaq_laneq_f32, 3);
        LIGO__NEON_ROW(4, a45, vfmaq_lane_f32, 0);
        LIGO__NEON_ROW(5, a45, vfmaq_lane_f32, 1);
        a += 6;
        b += 16;
    }
    va = vdupq_n_f32(alpha);
    vb = vdupq_n_f32(beta);
    LIGO__NEON_STORE_ROW(0);
    LIGO__NEON_STORE_ROW(1);
    LIGO__NEON_STORE_ROW(2);
    LIGO__NEON_STORE_ROW(3);
    LIGO__NEON_STORE_ROW(4);
    LIGO__NEON_STORE_ROW(5);
}
#undef LIGO__NEON_ROW
#undef LIGO__NEON_STORE_ROW

#endif /* LIGO__NEON */

/* The kernels and packers for this CPU; read_a_in_place: also the kernels
 * that read row-major A without packing it (AVX2 only; NEON packs A and
 * has no 6 x 8 kernel: narrow edge tiles go through the 6 x 16 one into
 * a scratch tile, the same values). */
LIGO__PRIV void ligo__gemm_kernels_for_cpu(ligo__gemm_kernels *k, int read_a_in_place) {
    k->ukr = ligo__gemm_ukr_c;
    k->ukr8 = NULL;
    k->ukr_ua = NULL;
    k->ukr8_ua = NULL;
    k->pack_a = ligo__gemm_pack_a_c;
    k->pack_b = ligo__gemm_pack_b_c;
#if LIGO__X86
    if (ligo__cpu_simd() < LIGO__SIMD_AVX2) return;
    k->ukr = ligo__gemm_ukr_avx2;
    k->ukr8 = ligo__gemm_ukr8_avx2;
    k->pack_a = ligo__gemm_pack_a_avx2;
    k->pack_b = ligo__gemm_pack_b_avx2;
    if (read_a_in_place) {
        k->ukr_ua = ligo__gemm_ukr_avx2_arows;
        k->ukr8_ua = ligo__gemm_ukr8_avx2_arows;
    }
#else
    (void)read_a_in_place;
#endif
#if LIGO__NEON
    k->ukr = ligo__gemm_ukr_neon;
#endif
}

/* "avx2-fma", "neon-fma" or "portable": the kernel ligo__gemm_kernels_for_cpu
 * chooses. The op kernels (softmax, cross-entropy, GELU, layernorm,
 * attention, linear's column sums) choose by the same rule, so the name
 * says which paths they take too; AdamW and the clipping norm take theirs
 * on NEON, or on x86 wherever AVX alone is there. */
LIGO_API const char *ligo_sgemm_kernel_name(void) {
#if LIGO__NEON
    return "neon-fma";
#else
    return ligo__cpu_simd() >= LIGO__SIMD_AVX2 ? "avx2-fma" : "portable";
#endif
}
/* ==== end src/gemm_kernels.c ==== */

/* ==== begin src/gemm.c ==== */
/* gemm.c: the one matrix product. Row-major
 *   C (M x N) = alpha * op(A) (M x K) * op(B) (K x N) + beta * C
 * A reference kernel, the built-in kernel's blocked loops and threads (its
 * micro-kernels, AVX2/FMA or portable, are in gemm_kernels.c), and a
 * run-time hook. */

static ligo_sgemm_fn ligo__sgemm_hook = NULL;
static void *ligo__sgemm_hook_user = NULL;

LIGO_API void ligo_set_sgemm(ligo_sgemm_fn fn, void *user) {
    ligo__sgemm_hook = fn;
    ligo__sgemm_hook_user = fn ? user : NULL;
}

LIGO_API ligo_sgemm_fn ligo_get_sgemm(void **user) {
    if (user) *user = ligo__sgemm_hook_user;
    return ligo__sgemm_hook;
}

/* Element (i, p) of op(A) and (p, j) of op(B). */
#define LIGO__AIDX(i, p) (trans_a ? (p) * lda + (i) : (i) * lda + (p))
#define LIGO__BIDX(p, j) (trans_b ? (j) * ldb + (p) : (p) * ldb + (j))

/* The definition of the product, summed in float64 order-independent of
 * blocking: the reference every other kernel is tested against. */
LIGO_API void ligo_sgemm_ref(int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                             const float *A, int64_t lda, const float *B, int64_t ldb,
                             float beta, float *C, int64_t ldc) {
    int64_t i, j, p;
    for (i = 0; i < M; i++) {
        for (j = 0; j < N; j++) {
            double acc = 0.0;
            for (p = 0; p < K; p++) acc += (double)A[LIGO__AIDX(i, p)] * (double)B[LIGO__BIDX(p, j)];
            C[i * ldc + j] = (float)(alpha * acc + (beta == 0.0f ? 0.0 : (double)beta * C[i * ldc + j]));
        }
    }
}

/* ------------------------------------------------------ built-in kernel
 *
 * GotoBLAS / BLIS structure:
 *
 *   for jc in N by NC:                 B block KC x NC  (L3)
 *     for pc in K by KC:               pack B(pc, jc) into NR-wide panels
 *       for ic in M by MC:             pack A(ic, pc) into MR-tall panels (L2)
 *         for jr in NC by NR:          one B micro-panel, KC x NR (L1)
 *           for ir in MC by MR:        micro-kernel: MR x NR tile of C
 *
 * Packing absorbs the transposes: the micro-kernel always reads A panels as
 * [k][MR] and B panels as [k][NR], both contiguous and zero-padded at the
 * edges, so all four transpose cases run the same inner loop. Edge tiles go
 * through a small temporary, so nothing outside C or the inputs is touched.
 * Two refinements for the narrow products of a transformer (N = 65):
 * column remainders of at most 8 run a 6x8 kernel (half the FMAs), and when
 * N is small a row-major A is read in place by the kernel instead of being
 * packed for the few column tiles that would reuse it (ir outer, jr inner:
 * six rows of A stay in L1 while the kernel sweeps the packed B block).
 *
 * Threads split the output (whole MR rows or NR columns), never the K sum;
 * each C element is always computed by the same sequence of operations, so
 * results are bitwise identical for any thread count. */

/* K goes in equal blocks of at most KC (multiples of 8): a K up to 384,
 * the width of the larger models, is one block, so each C tile is stored
 * once rather than stored and read back; the B micro-panel, KC x NR (24
 * KiB at most), streams through L1 with prefetching. */
#define LIGO__GEMM_KC 384
#define LIGO__GEMM_MC 144  /* A block MC x KC, at most 216 KiB: in a 512 KiB L2 */
#define LIGO__GEMM_NC 3072 /* B block KC x NC = 3 MiB: in L3 */

/* Row-major A is read in place, not packed, when N is at most this. */
#define LIGO__GEMM_UA_MAXN 96

/* Work (FLOPs) below which a product stays on one thread: with the
 * spinning pool a parallel region costs a few microseconds, so a 128^3
 * product (4 MFLOP) already gains from two threads. */
#define LIGO__GEMM_MIN_FLOPS_PER_THREAD (1 << 20)

typedef struct ligo__gemm_job {
    int trans_a, trans_b;
    int64_t M, N, K;
    float alpha, beta;
    const float *A, *B;
    int64_t lda, ldb, ldc;
    float *C;
    const float *bias;     /* NULL, or N floats added to every row of C */
    ligo__gemm_epi_fn epi; /* NULL, or run on each finished tile */
    void *epi_user;
    /* packed path */
    int split_n;           /* threads split N (else M) */
    float *buf;            /* per-thread packing buffers, 64-byte aligned */
    float *bshared;        /* non-NULL: all of op(B) packed once, shared by the threads */
    int64_t kcb;           /* K block */
    int64_t a_floats;      /* A area per thread */
    int64_t thread_floats; /* A area + B area per thread */
    ligo__gemm_kernels k;  /* this CPU's micro-kernels and packers */
} ligo__gemm_job;

/* ---- the blocked loops */

/* The bias epilogue: once a tile's last K block is stored, while the tile
 * is in L1, c += bias (one value per column). The sum is the one a
 * separate pass after the product would make, so results do not change. */
static void ligo__gemm_add_bias(float *c, int64_t ldc, int64_t mr, int64_t nr, const float *bias) {
    int64_t i, j;
    for (i = 0; i < mr; i++) {
        float *ci = c + i * ldc;
        for (j = 0; j < nr; j++) ci[j] += bias[j];
    }
}

/* One MR x NR tile of C at c (mr x nr valid). ap is a packed A panel, or
 * with lda_ua > 0 the tile's A read in place by g->k.ukr_ua. Edge tiles run
 * the same kernel on a copy, so every element sees the same operations. */
static void ligo__gemm_tile_core(const ligo__gemm_job *g, int64_t kc, const float *ap, int64_t lda_ua,
                                 const float *bp, float *c, int64_t mr, int64_t nr, float beta) {
    const int64_t NR = LIGO__GEMM_NR;
    float tmp[LIGO__GEMM_MR * LIGO__GEMM_NR];
    int64_t i, j, ldc = g->ldc;
    if (nr <= 8 && g->k.ukr8) { /* half-width kernel, 8 columns */
        if (mr == LIGO__GEMM_MR && nr == 8) {
            if (lda_ua)
                g->k.ukr8_ua(kc, ap, lda_ua, bp, c, ldc, g->alpha, beta);
            else
                g->k.ukr8(kc, ap, bp, c, ldc, g->alpha, beta);
            return;
        }
        if (beta != 0.0f) {
            for (i = 0; i < LIGO__GEMM_MR * 8; i++) tmp[i] = 0.0f;
            for (i = 0; i < mr; i++)
                for (j = 0; j < nr; j++) tmp[i * 8 + j] = c[i * ldc + j];
        }
        if (lda_ua)
            g->k.ukr8_ua(kc, ap, lda_ua, bp, tmp, 8, g->alpha, beta);
        else
            g->k.ukr8(kc, ap, bp, tmp, 8, g->alpha, beta);
        for (i = 0; i < mr; i++)
            for (j = 0; j < nr; j++) c[i * ldc + j] = tmp[i * 8 + j];
        return;
    }
    if (mr == LIGO__GEMM_MR && nr == NR) {
        if (lda_ua)
            g->k.ukr_ua(kc, ap, lda_ua, bp, c, ldc, g->alpha, beta);
        else
            g->k.ukr(kc, ap, bp, c, ldc, g->alpha, beta);
        return;
    }
    if (beta != 0.0f) {
        for (i = 0; i < LIGO__GEMM_MR * NR; i++) tmp[i] = 0.0f;
        for (i = 0; i < mr; i++)
            for (j = 0; j < nr; j++) tmp[i * NR + j] = c[i * ldc + j];
    }
    if (lda_ua)
        g->k.ukr_ua(kc, ap, lda_ua, bp, tmp, NR, g->alpha, beta);
    else
        g->k.ukr(kc, ap, bp, tmp, NR, g->alpha, beta);
    for (i = 0; i < mr; i++)
        for (j = 0; j < nr; j++) c[i * ldc + j] = tmp[i * NR + j];
}

/* A tile, and on its last K block the epilogue: bias, then g->epi. */
static void ligo__gemm_tile(const ligo__gemm_job *g, int64_t kc, const float *ap, int64_t lda_ua, const float *bp,
                            float *c, int64_t mr, int64_t nr, float beta, const float *bias, int last) {
    ligo__gemm_tile_core(g, kc, ap, lda_ua, bp, c, mr, nr, beta);
    if (!last) return;
    if (bias) ligo__gemm_add_bias(c, g->ldc, mr, nr, bias);
    if (g->epi) g->epi(g->epi_user, c, g->ldc, mr, nr, c - g->C);
}

/* Where block (jc, pc) of op(B) starts in the shared packing: the
 * blocks of each NC-wide column range follow each other in k. */
static int64_t ligo__gemm_bofs(const ligo__gemm_job *g, int64_t jc, int64_t pc) {
    int64_t nc = g->N - jc < LIGO__GEMM_NC ? g->N - jc : LIGO__GEMM_NC;
    return g->K * jc + pc * ((nc + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR * LIGO__GEMM_NR);
}

/* The shared packing of op(B), NR-wide panels shared out between threads. */
static void ligo__gemm_pack_b_task(void *arg, int ith, int nth) {
    const ligo__gemm_job *g = (const ligo__gemm_job *)arg;
    int64_t jc, pc, jr, u = 0, total = 0, u0, u1;
    for (jc = 0; jc < g->N; jc += LIGO__GEMM_NC) {
        int64_t nc = g->N - jc < LIGO__GEMM_NC ? g->N - jc : LIGO__GEMM_NC;
        total += (g->K + g->kcb - 1) / g->kcb * ((nc + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR);
    }
    u0 = total * ith / nth;
    u1 = total * (ith + 1) / nth;
    for (jc = 0; jc < g->N; jc += LIGO__GEMM_NC) {
        int64_t nc = g->N - jc < LIGO__GEMM_NC ? g->N - jc : LIGO__GEMM_NC;
        for (pc = 0; pc < g->K; pc += g->kcb) {
            int64_t kc = g->K - pc < g->kcb ? g->K - pc : g->kcb;
            float *dst = g->bshared + ligo__gemm_bofs(g, jc, pc);
            for (jr = 0; jr < nc; jr += LIGO__GEMM_NR, u++) {
                if (u < u0 || u >= u1) continue;
                g->k.pack_b(g->trans_b, g->B, g->ldb, jc + jr, nc - jr < LIGO__GEMM_NR ? nc - jr : LIGO__GEMM_NR, pc, kc,
                          dst + jr * kc);
            }
        }
    }
}

/* C rows [m0, m1) x columns [n0, n1), with this thread's buffers. */
static void ligo__gemm_blocked(const ligo__gemm_job *g, float *abuf, float *bbuf, int64_t m0, int64_t m1,
                               int64_t n0, int64_t n1) {
    const int64_t MR = LIGO__GEMM_MR, NR = LIGO__GEMM_NR;
    int64_t jc, pc, ic, jr, ir, ldc = g->ldc;
    for (jc = n0; jc < n1; jc += LIGO__GEMM_NC) {
        int64_t nc = n1 - jc < LIGO__GEMM_NC ? n1 - jc : LIGO__GEMM_NC;
        for (pc = 0; pc < g->K; pc += g->kcb) {
            int64_t kc = g->K - pc < g->kcb ? g->K - pc : g->kcb;
            float beta = pc == 0 ? g->beta : 1.0f;
            int last = pc + kc >= g->K;
            const float *bias = g->bias && last ? g->bias + jc : NULL;
            if (g->bshared)
                bbuf = g->bshared + ligo__gemm_bofs(g, jc, pc);
            else
                g->k.pack_b(g->trans_b, g->B, g->ldb, jc, nc, pc, kc, bbuf);
            if (g->k.ukr_ua) {
                /* narrow C: the packed B block stays in L2, the six rows of
                 * A in L1 while the kernel sweeps across it */
                for (ir = m0; ir < m1; ir += MR) {
                    int64_t mr = m1 - ir < MR ? m1 - ir : MR, lda_ua = g->lda;
                    const float *ap = g->trans_a ? g->A + pc * g->lda + ir : g->A + ir * g->lda + pc;
                    if (mr < MR) { /* the last rows: a zero-padded packed panel */
                        g->k.pack_a(g->trans_a, g->A, g->lda, ir, mr, pc, kc, abuf);
                        ap = abuf;
                        lda_ua = 0;
                    }
                    for (jr = 0; jr < nc; jr += NR)
                        ligo__gemm_tile(g, kc, ap, lda_ua, bbuf + jr * kc, g->C + ir * ldc + jc + jr, mr,
                                        nc - jr < NR ? nc - jr : NR, beta, bias ? bias + jr : NULL, last);
                }
                continue;
            }
            for (ic = m0; ic < m1; ic += LIGO__GEMM_MC) {
                int64_t mc = m1 - ic < LIGO__GEMM_MC ? m1 - ic : LIGO__GEMM_MC;
                g->k.pack_a(g->trans_a, g->A, g->lda, ic, mc, pc, kc, abuf);
                for (jr = 0; jr < nc; jr += NR) {
                    int64_t nr = nc - jr < NR ? nc - jr : NR;
                    const float *bp = bbuf + jr * kc;
                    for (ir = 0; ir < mc; ir += MR)
                        ligo__gemm_tile(g, kc, abuf + ir * kc, 0, bp, g->C + (ic + ir) * ldc + jc + jr,
                                        mc - ir < MR ? mc - ir : MR, nr, beta, bias ? bias + jr : NULL, last);
                }
            }
        }
    }
}

static void ligo__gemm_packed_task(void *arg, int ith, int nth) {
    const ligo__gemm_job *g = (const ligo__gemm_job *)arg;
    float *abuf = g->buf + (int64_t)ith * g->thread_floats;
    float *bbuf = g->bshared ? NULL : abuf + g->a_floats;
    int64_t m0 = 0, m1 = g->M, n0 = 0, n1 = g->N;
    if (g->split_n) {
        int64_t tiles = (g->N + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR;
        n0 = tiles * ith / nth * LIGO__GEMM_NR;
        n1 = tiles * (ith + 1) / nth * LIGO__GEMM_NR;
        if (n1 > g->N) n1 = g->N;
    } else {
        int64_t tiles = (g->M + LIGO__GEMM_MR - 1) / LIGO__GEMM_MR;
        m0 = tiles * ith / nth * LIGO__GEMM_MR;
        m1 = tiles * (ith + 1) / nth * LIGO__GEMM_MR;
        if (m1 > g->M) m1 = g->M;
    }
    if (m0 < m1 && n0 < n1) ligo__gemm_blocked(g, abuf, bbuf, m0, m1, n0, n1);
}

/* ---- fallback: the plain loop, when packing buffers cannot be had */

/* Rows [i0, i1) of C: scale by beta, then accumulate alpha * a_ip * b_p. */
static void ligo__gemm_rows(const ligo__gemm_job *g, int64_t i0, int64_t i1) {
    int64_t i, j, p;
    int trans_a = g->trans_a, trans_b = g->trans_b;
    int64_t lda = g->lda, ldb = g->ldb;
    const float *A = g->A, *B = g->B;
    for (i = i0; i < i1; i++) {
        float *c = g->C + i * g->ldc;
        if (g->beta == 0.0f)
            for (j = 0; j < g->N; j++) c[j] = 0.0f;
        else if (g->beta != 1.0f)
            for (j = 0; j < g->N; j++) c[j] *= g->beta;
        for (p = 0; p < g->K; p++) {
            float a = g->alpha * A[LIGO__AIDX(i, p)];
            if (!trans_b) {
                const float *b = B + p * ldb;
                for (j = 0; j < g->N; j++) c[j] += a * b[j];
            } else {
                for (j = 0; j < g->N; j++) c[j] += a * B[LIGO__BIDX(p, j)];
            }
        }
        if (g->bias)
            for (j = 0; j < g->N; j++) c[j] += g->bias[j];
        if (g->epi) g->epi(g->epi_user, c, g->ldc, 1, g->N, i * g->ldc);
    }
}

static void ligo__gemm_rows_task(void *arg, int ith, int nth) {
    const ligo__gemm_job *g = (const ligo__gemm_job *)arg;
    int64_t i0 = g->M * ith / nth, i1 = g->M * (ith + 1) / nth;
    ligo__gemm_rows(g, i0, i1);
}

/* Packing buffers: a context keeps one workspace that grows to the
 * largest product it has run, so a training step allocates nothing here;
 * without a context (or while the context's workspace is in use by an
 * enclosing product) each call allocates its own. */
static void *ligo__gemm_buffers(ligo_ctx *ctx, size_t bytes, int *owned) {
    void *user = ctx ? ctx->alloc_user : NULL;
    (void)user;
    *owned = 1;
    if (ctx && !ctx->gemm_ws_busy) {
        if (ctx->gemm_ws_bytes < bytes) {
            void *p = LIGO_MALLOC(bytes, user);
            if (!p) return NULL;
            LIGO_FREE(ctx->gemm_ws, user);
            ctx->gemm_ws = p;
            ctx->gemm_ws_bytes = bytes;
        }
        ctx->gemm_ws_busy = 1;
        *owned = 0;
        return ctx->gemm_ws;
    }
    return LIGO_MALLOC(bytes, user);
}

static void ligo__gemm_release(ligo_ctx *ctx, void *raw, int owned) {
    void *user = ctx ? ctx->alloc_user : NULL;
    (void)user;
    if (owned)
        LIGO_FREE(raw, user);
    else
        ctx->gemm_ws_busy = 0;
}

/* C = alpha op(A) op(B) + beta C (+ bias on every row when bias is not
 * NULL) with the built-in kernels. */
static void ligo__sgemm_builtin_epi(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                    float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                                    float beta, float *C, int64_t ldc, const float *bias, ligo__gemm_epi_fn epi,
                                    void *epi_user) {
    ligo__gemm_job g;
    int nth, owned, shared;
    int64_t tiles, kc, mcr, ncr, shared_floats = 0;
    size_t bytes;
    void *raw;
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0.0f) { /* C = beta * C (+ bias); A and B are not read */
        int64_t i, j;
        for (i = 0; i < M; i++) {
            float *c = C + i * ldc;
            if (beta == 0.0f)
                for (j = 0; j < N; j++) c[j] = 0.0f;
            else if (beta != 1.0f)
                for (j = 0; j < N; j++) c[j] *= beta;
            if (bias)
                for (j = 0; j < N; j++) c[j] += bias[j];
        }
        if (epi) epi(epi_user, C, ldc, M, N, 0);
        return;
    }
    memset(&g, 0, sizeof g);
    g.trans_a = trans_a ? 1 : 0;
    g.trans_b = trans_b ? 1 : 0;
    g.M = M;
    g.N = N;
    g.K = K;
    g.alpha = alpha;
    g.beta = beta;
    g.A = A;
    g.B = B;
    g.lda = lda;
    g.ldb = ldb;
    g.ldc = ldc;
    g.C = C;
    g.bias = bias;
    g.epi = epi;
    g.epi_user = epi_user;

    /* Split the larger side. With rows split, op(B) is packed once by all
     * threads together (a parallel region of its own, whose end is the
     * barrier) and shared; with columns split, each thread packs all of
     * op(A) it needs. */
    g.split_n = N > M;
    tiles = g.split_n ? (N + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR : (M + LIGO__GEMM_MR - 1) / LIGO__GEMM_MR;
    nth = ligo__nth_for(ctx, 2.0 * (double)M * (double)N * (double)K, (double)LIGO__GEMM_MIN_FLOPS_PER_THREAD);
    if ((int64_t)nth > tiles) nth = (int)tiles;

    /* Per-thread buffers: an MC x KC block of A and (unless shared) a
     * KC x NC block of B, each rounded to whole panels and 16 floats (64
     * bytes); the shared packing of B after them. */
    {
        int64_t nb = (K + LIGO__GEMM_KC - 1) / LIGO__GEMM_KC;
        g.kcb = ((K + nb - 1) / nb + 7) / 8 * 8;
        if (g.kcb > K) g.kcb = K;
    }
    kc = g.kcb;
    mcr = M < LIGO__GEMM_MC ? (M + LIGO__GEMM_MR - 1) / LIGO__GEMM_MR * LIGO__GEMM_MR : LIGO__GEMM_MC;
    ncr = N < LIGO__GEMM_NC ? (N + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR * LIGO__GEMM_NR : LIGO__GEMM_NC;
    g.a_floats = (mcr * kc + 15) / 16 * 16;
    shared = nth > 1 && !g.split_n;
    if (shared) {
        int64_t last = (N - 1) / LIGO__GEMM_NC * LIGO__GEMM_NC;
        g.thread_floats = g.a_floats;
        shared_floats = K * (last + (N - last + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR * LIGO__GEMM_NR);
    } else {
        g.thread_floats = g.a_floats + (ncr * kc + 15) / 16 * 16;
    }
    bytes = ((size_t)g.thread_floats * (size_t)nth + (size_t)shared_floats) * sizeof(float) + LIGO__ALIGN;
    raw = ligo__gemm_buffers(ctx, bytes, &owned);
    if (!raw) {
        int nthr = ligo__nth_for(ctx, 2.0 * (double)M * (double)N * (double)K, 1 << 20);
        if ((int64_t)nthr > M) nthr = (int)M;
        ligo_parallel_for(ctx, ligo__gemm_rows_task, &g, nthr);
        return;
    }
    g.buf = (float *)(void *)(((uintptr_t)raw + (LIGO__ALIGN - 1)) & ~(uintptr_t)(LIGO__ALIGN - 1));

    /* narrow C with row-major A: packing A would cost more than the few
     * column tiles that reuse it; read A in place instead */
    ligo__gemm_kernels_for_cpu(&g.k, !g.trans_a && N <= LIGO__GEMM_UA_MAXN);
    if (shared) {
        g.bshared = g.buf + g.thread_floats * nth;
        ligo_parallel_for(ctx, ligo__gemm_pack_b_task, &g, nth);
    }
    ligo_parallel_for(ctx, ligo__gemm_packed_task, &g, nth);
    ligo__gemm_release(ctx, raw, owned);
}

LIGO_API void ligo_sgemm_builtin(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                 float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                                 float beta, float *C, int64_t ldc) {
    ligo__sgemm_builtin_epi(ctx, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL, NULL, NULL);
}

/* ---- small products on the calling thread (attention)
 *
 * Attention runs six products per head (T x T x hs and T x hs x T), each
 * head on one thread. For each, op(B) is packed whole, once, and the
 * micro-kernel runs on 6-row tiles of A read in place: no per-product
 * blocking, buffers or parallel region. The triangular modes skip the
 * tiles a causal mask makes zero, tile by tile rather than block by
 * block. */

static int64_t ligo__gemm_npad(int64_t n) { return (n + LIGO__GEMM_NR - 1) / LIGO__GEMM_NR * LIGO__GEMM_NR; }

/* op(B) (K x N) into ligo__gemm_npad(N) * K floats of NR-wide panels. */
static void ligo__gemm_pack_b_whole(const ligo__gemm_kernels *k, int trans_b, const float *B, int64_t ldb, int64_t N,
                                    int64_t K, float *dst) {
    k->pack_b(trans_b, B, ldb, 0, N, 0, K, dst);
}

/* C (M x N) = alpha op(A) op(B) + beta C from op(B) packed whole (Bp, K
 * rows), abuf holding 6 * K floats for the edge panels of A. */
static void ligo__gemm_small(const ligo__gemm_kernels *k, int trans_a, int tri, int64_t M, int64_t N, int64_t K,
                             float alpha, const float *A, int64_t lda, const float *Bp, float beta, float *C,
                             int64_t ldc, float *abuf) {
    const int64_t MR = LIGO__GEMM_MR, NR = LIGO__GEMM_NR, bp_k = K;
    ligo__gemm_job g;
    int64_t ir, jr;
    memset(&g, 0, sizeof g);
    g.alpha = alpha;
    g.ldc = ldc;
    g.k = *k;
    for (ir = 0; ir < M; ir += MR) {
        int64_t mr = M - ir < MR ? M - ir : MR, n_end = N, k0 = 0, k1 = K, kc, lda_ua = 0;
        const float *ap;
        if (tri == LIGO__TRI_N) n_end = ir + mr < N ? ir + mr : N;
        if (tri == LIGO__TRI_K_LOWER) k1 = ir + mr < K ? ir + mr : K;
        if (tri == LIGO__TRI_K_UPPER) k0 = ir < K ? ir : K;
        kc = k1 - k0;
        if (kc <= 0) { /* nothing to add: C = beta C */
            int64_t i, j;
            for (i = ir; i < ir + mr; i++)
                for (j = 0; j < n_end; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
            continue;
        }
        if (g.k.ukr_ua && mr == MR) {
            ap = A + ir * lda + k0;
            lda_ua = lda;
        } else {
            g.k.pack_a(trans_a, A, lda, ir, mr, k0, kc, abuf);
            ap = abuf;
        }
        for (jr = 0; jr < n_end; jr += NR)
            ligo__gemm_tile(&g, kc, ap, lda_ua, Bp + jr * bp_k + k0 * NR, C + ir * ldc + jr, mr,
                            n_end - jr < NR ? n_end - jr : NR, beta, NULL, 1);
    }
}

LIGO__PRIV int64_t ligo__sgemm_small_work(int64_t N, int64_t K) { return ligo__gemm_npad(N) * K + LIGO__GEMM_MR * K; }

LIGO__PRIV void ligo__sgemm_small(int trans_a, int trans_b, int tri, int64_t M, int64_t N, int64_t K, float alpha,
                                  const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C,
                                  int64_t ldc, float *work) {
    ligo__gemm_kernels k;
    if (M <= 0 || N <= 0) return;
    /* the hook computes all of C; tri only marks what the caller ignores
     * or what is zero in A, so the result is the same */
    if (ligo__sgemm_hook &&
        ligo__sgemm_hook(ligo__sgemm_hook_user, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc))
        return;
    ligo__gemm_kernels_for_cpu(&k, !trans_a);
    ligo__gemm_pack_b_whole(&k, trans_b, B, ldb, N, K, work);
    ligo__gemm_small(&k, trans_a, tri, M, N, K, alpha, A, lda, work, beta, C, ldc, work + ligo__gemm_npad(N) * K);
}

/* ---------------------------------------------------------- choke point */

LIGO__PRIV void ligo__sgemm(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                            float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                            float beta, float *C, int64_t ldc) {
    ligo__sgemm_epi(ctx, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL, NULL, NULL);
}

LIGO__PRIV void ligo__sgemm_epi(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                float alpha, const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                                float *C, int64_t ldc, const float *bias, ligo__gemm_epi_fn epi, void *epi_user) {
    int64_t i, j;
    if (M <= 0 || N <= 0) return;
    if (ligo__sgemm_hook &&
        ligo__sgemm_hook(ligo__sgemm_hook_user, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)) {
        /* the hook computed the product; the epilogue is a pass after it */
        if (bias)
            for (i = 0; i < M; i++)
                for (j = 0; j < N; j++) C[i * ldc + j] += bias[j];
        if (epi) epi(epi_user, C, ldc, M, N, 0);
        return;
    }
    ligo__sgemm_builtin_epi(ctx, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias, epi, epi_user);
}

LIGO_API ligo_status ligo_sgemm(ligo_ctx *ctx, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                                float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                                float beta, float *C, int64_t ldc) {
    int64_t a_cols = trans_a ? M : K, b_cols = trans_b ? K : N;
    if (ctx && ligo__failed(ctx)) return ctx->status;
    if (M < 0 || N < 0 || K < 0) {
        if (ctx) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_sgemm: negative size M=%lld N=%lld K=%lld",
                                       (long long)M, (long long)N, (long long)K);
        return LIGO_EINVAL;
    }
    if ((M > 0 && N > 0 && !C) || (M > 0 && N > 0 && K > 0 && (!A || !B))) {
        if (ctx) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_sgemm: NULL matrix");
        return LIGO_EINVAL;
    }
    if (lda < (a_cols > 1 ? a_cols : 1) || ldb < (b_cols > 1 ? b_cols : 1) || ldc < (N > 1 ? N : 1)) {
        if (ctx)
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_sgemm: leading dimension too small (lda=%lld ldb=%lld ldc=%lld)",
                                  (long long)lda, (long long)ldb, (long long)ldc);
        return LIGO_EINVAL;
    }
    ligo__sgemm(ctx, trans_a ? 1 : 0, trans_b ? 1 : 0, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return LIGO_OK;
}
/* ==== end src/gemm.c ==== */

/* ==== begin src/graph.c ==== */
/* graph.c: the autograd tape. Builders run their forward kernel at once
 * (eager) and record the node; backward walks the tape in reverse. */

/* The dispatch table ligo__op_table and, for the tests, ligo__op_cases:
 * generated by amalgamate.py from the registration rows in src/ops/. */
/* ==== begin src/gen/ops_table.h ==== */
/* src/gen/ops_table.h: GENERATED by amalgamate.py from the op sources in src/ops/
 * (their LIGO__OP rows and LIGO_API functions). Do not edit: change the
 * op's source and run python3 amalgamate.py. */
#ifndef LIGO_GEN_OPS_TABLE_H
#define LIGO_GEN_OPS_TABLE_H

/* The registration rows: each declares its op's shape, forward and backward. */
LIGO__OP(ATTENTION, "attention", 1, 0);
LIGO__OP(ATTENTION_MASK, "attention_mask", 3, 0);
LIGO__OP(ADD, "add", 2, 0);
LIGO__OP(SUB, "sub", 2, 0);
LIGO__OP(MUL, "mul", 2, 0);
LIGO__OP(DIV, "div", 2, 0);
LIGO__OP(BMM, "bmm", 2, 0);
LIGO__OP(CONCAT, "concat", 2, 0);
LIGO__OP(CROSS_ENTROPY, "cross_entropy", 1, 0);
LIGO__OP(CUSTOM, "custom", 0, 0);
LIGO__OP(DROPOUT, "dropout", 1, 0);
LIGO__OP(EMBEDDING, "embedding", 1, 0);
LIGO__OP(GELU, "gelu", 1, 0);
LIGO__OP(LAYERNORM, "layernorm", 3, 0);
LIGO__OP(LINEAR, "linear", 2, 0);
LIGO__OP(MATMUL, "matmul", 2, 0);
LIGO__OP(PERMUTE, "permute", 1, 0);
LIGO__OP(SUM, "sum", 1, 0);
LIGO__OP(MEAN, "mean", 1, 0);
LIGO__OP(RESHAPE, "reshape", 1, LIGO__OP_VIEW);
LIGO__OP(RMSNORM, "rmsnorm", 2, 0);
LIGO__OP(ROPE, "rope", 1, 0);
LIGO__OP(SCALE, "scale", 1, 0);
LIGO__OP(SILU, "silu", 1, 0);
LIGO__OP(SLICE, "slice", 1, 0);
LIGO__OP(SOFTMAX, "softmax", 1, 0);
LIGO__OP(TRANSPOSE, "transpose", 1, 0);
LIGO__OP(RELU, "relu", 1, 0);
LIGO__OP(TANH, "tanh", 1, 0);
LIGO__OP(EXP, "exp", 1, 0);
LIGO__OP(LOG, "log", 1, 0);
LIGO__OP(SQRT, "sqrt", 1, 0);

/* {name, required sources, flags, shape, forward, backward}, by ligo_op. */
static const ligo__op_info ligo__op_table[LIGO_OP_COUNT] = {
    {"leaf", 0, 0, NULL, NULL, NULL},
    {"attention", 1, 0, ligo__shape_ATTENTION, ligo__fwd_ATTENTION, ligo__bwd_ATTENTION},
    {"attention_mask", 3, 0, ligo__shape_ATTENTION_MASK, ligo__fwd_ATTENTION_MASK, ligo__bwd_ATTENTION_MASK},
    {"add", 2, 0, ligo__shape_ADD, ligo__fwd_ADD, ligo__bwd_ADD},
    {"sub", 2, 0, ligo__shape_SUB, ligo__fwd_SUB, ligo__bwd_SUB},
    {"mul", 2, 0, ligo__shape_MUL, ligo__fwd_MUL, ligo__bwd_MUL},
    {"div", 2, 0, ligo__shape_DIV, ligo__fwd_DIV, ligo__bwd_DIV},
    {"bmm", 2, 0, ligo__shape_BMM, ligo__fwd_BMM, ligo__bwd_BMM},
    {"concat", 2, 0, ligo__shape_CONCAT, ligo__fwd_CONCAT, ligo__bwd_CONCAT},
    {"cross_entropy", 1, 0, ligo__shape_CROSS_ENTROPY, ligo__fwd_CROSS_ENTROPY, ligo__bwd_CROSS_ENTROPY},
    {"custom", 0, 0, ligo__shape_CUSTOM, ligo__fwd_CUSTOM, ligo__bwd_CUSTOM},
    {"dropout", 1, 0, ligo__shape_DROPOUT, ligo__fwd_DROPOUT, ligo__bwd_DROPOUT},
    {"embedding", 1, 0, ligo__shape_EMBEDDING, ligo__fwd_EMBEDDING, ligo__bwd_EMBEDDING},
    {"gelu", 1, 0, ligo__shape_GELU, ligo__fwd_GELU, ligo__bwd_GELU},
    {"layernorm", 3, 0, ligo__shape_LAYERNORM, ligo__fwd_LAYERNORM, ligo__bwd_LAYERNORM},
    {"linear", 2, 0, ligo__shape_LINEAR, ligo__fwd_LINEAR, ligo__bwd_LINEAR},
    {"matmul", 2, 0, ligo__shape_MATMUL, ligo__fwd_MATMUL, ligo__bwd_MATMUL},
    {"permute", 1, 0, ligo__shape_PERMUTE, ligo__fwd_PERMUTE, ligo__bwd_PERMUTE},
    {"sum", 1, 0, ligo__shape_SUM, ligo__fwd_SUM, ligo__bwd_SUM},
    {"mean", 1, 0, ligo__shape_MEAN, ligo__fwd_MEAN, ligo__bwd_MEAN},
    {"reshape", 1, LIGO__OP_VIEW, ligo__shape_RESHAPE, ligo__fwd_RESHAPE, ligo__bwd_RESHAPE},
    {"rmsnorm", 2, 0, ligo__shape_RMSNORM, ligo__fwd_RMSNORM, ligo__bwd_RMSNORM},
    {"rope", 1, 0, ligo__shape_ROPE, ligo__fwd_ROPE, ligo__bwd_ROPE},
    {"scale", 1, 0, ligo__shape_SCALE, ligo__fwd_SCALE, ligo__bwd_SCALE},
    {"silu", 1, 0, ligo__shape_SILU, ligo__fwd_SILU, ligo__bwd_SILU},
    {"slice", 1, 0, ligo__shape_SLICE, ligo__fwd_SLICE, ligo__bwd_SLICE},
    {"softmax", 1, 0, ligo__shape_SOFTMAX, ligo__fwd_SOFTMAX, ligo__bwd_SOFTMAX},
    {"transpose", 1, 0, ligo__shape_TRANSPOSE, ligo__fwd_TRANSPOSE, ligo__bwd_TRANSPOSE},
    {"relu", 1, 0, ligo__shape_RELU, ligo__fwd_RELU, ligo__bwd_RELU},
    {"tanh", 1, 0, ligo__shape_TANH, ligo__fwd_TANH, ligo__bwd_TANH},
    {"exp", 1, 0, ligo__shape_EXP, ligo__fwd_EXP, ligo__bwd_EXP},
    {"log", 1, 0, ligo__shape_LOG, ligo__fwd_LOG, ligo__bwd_LOG},
    {"sqrt", 1, 0, ligo__shape_SQRT, ligo__fwd_SQRT, ligo__bwd_SQRT},
};

#ifdef LIGO_OP_TESTS
/* Each op's test cases (ligo__cases_ENUM in its source), NULL where it has none. */
LIGO__PRIV int ligo__cases_ATTENTION(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_ATTENTION_MASK(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_ADD(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_SUB(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_MUL(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_DIV(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_BMM(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_CONCAT(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_CROSS_ENTROPY(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_CUSTOM(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_DROPOUT(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_EMBEDDING(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_GELU(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_LAYERNORM(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_LINEAR(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_MATMUL(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_PERMUTE(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_SUM(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_MEAN(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_RESHAPE(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_RMSNORM(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_ROPE(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_SCALE(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_SILU(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_SLICE(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_SOFTMAX(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_TRANSPOSE(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_RELU(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_TANH(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_EXP(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_LOG(const ligo_op_case **cases);
LIGO__PRIV int ligo__cases_SQRT(const ligo_op_case **cases);
static int (*const ligo__op_cases[LIGO_OP_COUNT])(const ligo_op_case **cases) = {
    NULL,
    ligo__cases_ATTENTION,
    ligo__cases_ATTENTION_MASK,
    ligo__cases_ADD,
    ligo__cases_SUB,
    ligo__cases_MUL,
    ligo__cases_DIV,
    ligo__cases_BMM,
    ligo__cases_CONCAT,
    ligo__cases_CROSS_ENTROPY,
    ligo__cases_CUSTOM,
    ligo__cases_DROPOUT,
    ligo__cases_EMBEDDING,
    ligo__cases_GELU,
    ligo__cases_LAYERNORM,
    ligo__cases_LINEAR,
    ligo__cases_MATMUL,
    ligo__cases_PERMUTE,
    ligo__cases_SUM,
    ligo__cases_MEAN,
    ligo__cases_RESHAPE,
    ligo__cases_RMSNORM,
    ligo__cases_ROPE,
    ligo__cases_SCALE,
    ligo__cases_SILU,
    ligo__cases_SLICE,
    ligo__cases_SOFTMAX,
    ligo__cases_TRANSPOSE,
    ligo__cases_RELU,
    ligo__cases_TANH,
    ligo__cases_EXP,
    ligo__cases_LOG,
    ligo__cases_SQRT,
};
#endif

#endif /* LIGO_GEN_OPS_TABLE_H */
/* ==== end src/gen/ops_table.h ==== */

LIGO_API const char *ligo_op_name(int op) {
    if (op < 0 || op >= LIGO_OP_COUNT) return "unknown";
    return ligo__op_table[op].name;
}

#ifdef LIGO_OP_TESTS
LIGO_API int ligo_op_cases(int op, const ligo_op_case **cases) {
    *cases = NULL;
    if (op < 0 || op >= LIGO_OP_COUNT || !ligo__op_cases[op]) return 0;
    return ligo__op_cases[op](cases);
}
#endif

LIGO_API int64_t ligo_tape_length(const ligo_ctx *ctx) { return ctx ? ctx->tape_len : 0; }

LIGO_API void ligo_set_grad_reuse(ligo_ctx *ctx, int on) {
    if (ctx) ctx->grad_reuse = on ? 1 : 0;
}

LIGO__PRIV ligo_status ligo__check_size(ligo_ctx *ctx, const char *op, const char *what, int ndim,
                                        const int64_t *dims, int64_t *n) {
    char b[128];
    size_t len = 0;
    int i;
    ligo_status s = ligo_shape_numel(ndim, dims, n);
    if (s == LIGO_OK) return LIGO_OK;
    b[0] = '\0';
    for (i = 0; i < ndim && len < sizeof b; i++) {
        int k = snprintf(b + len, sizeof b - len, i ? "x%lld" : "%lld", (long long)dims[i]);
        if (k < 0) break;
        len += (size_t)k;
    }
    return ligo_set_error(ctx, s, "ligo_%s: %s %s is too large (more than 2^38 elements)", op, what, b);
}

LIGO__PRIV ligo_tensor *ligo__build(ligo_ctx *ctx, int op, const ligo__args *a) {
    const ligo__op_info *info;
    ligo_tensor *t;
    int64_t shape[LIGO_MAX_DIMS], n;
    int ndim = 0, i;
    if (ligo__failed(ctx)) return NULL;
    LIGO_ASSERT(op > LIGO_OP_LEAF && op < LIGO_OP_COUNT);
    info = &ligo__op_table[op];
    for (i = 0; i < info->required_src; i++) {
        if (!a->src[i]) {
            ligo_set_error(ctx, LIGO_EINVAL, "ligo_%s: tensor argument %d is NULL", info->name, i + 1);
            return NULL;
        }
    }
    if (info->shape(ctx, a, &ndim, shape) != LIGO_OK) return NULL;
    if (ligo__check_size(ctx, info->name, "result", ndim, shape, &n) != LIGO_OK) return NULL;
    /* The node, and right after it the op's parameters (a struct of
     * pointers and 64-bit values at most: the node's size keeps its
     * alignment). */
    t = (ligo_tensor *)ligo_alloc_scratch(ctx, sizeof *t + a->param_size);
    if (!t) return NULL;
    if (a->param_size) {
        t->param = (void *)(t + 1);
        memcpy(t->param, a->param, a->param_size);
    }
    t->ndim = ndim;
    t->n = n;
    for (i = 0; i < LIGO_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 1;
    t->op = op;
    for (i = 0; i < LIGO_MAX_SRC; i++) {
        t->src[i] = a->src[i];
        if (a->src[i] && (a->src[i]->flags & LIGO_FLAG_NEEDS_GRAD)) t->flags |= LIGO_FLAG_NEEDS_GRAD;
    }
    if (info->flags & LIGO__OP_VIEW) {
        t->data = a->src[0]->data; /* same floats, its own gradient */
    } else {
        /* every forward kernel writes its whole output: no zeroing */
        t->data = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)t->n * sizeof(float), "scratch", 0);
        if (!t->data) return NULL;
    }
    if (a->ids) {
        t->ids = (int32_t *)ligo_alloc_scratch(ctx, (size_t)a->n_ids * sizeof(int32_t));
        if (!t->ids) return NULL;
        memcpy(t->ids, a->ids, (size_t)a->n_ids * sizeof(int32_t));
    }
    if (LIGO__UNLIKELY(ctx->profile)) {
        double t0 = ligo_time_sec();
        info->forward(ctx, t);
        ctx->prof_sec[op][0] += ligo_time_sec() - t0;
    } else {
        info->forward(ctx, t);
    }
    if (ligo__failed(ctx)) return NULL;
    t->tape_prev = ctx->tape;
    ctx->tape = t;
    ctx->tape_len++;
    return t;
}

/* During a backward pass, a buffer released by a node whose backward has
 * run is reused (the smallest that fits) before the arena grows. */
static float *ligo__grad_buffer(ligo_ctx *ctx, int64_t n, int zero) {
    int64_t i, best = -1;
    float *buf;
    for (i = 0; i < ctx->grad_free_len; i++)
        if (ctx->grad_free_n[i] >= n && (best < 0 || ctx->grad_free_n[i] < ctx->grad_free_n[best])) best = i;
    if (best < 0) return (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)n * sizeof(float), "scratch", zero);
    buf = ctx->grad_free[best];
    if (zero) memset(buf, 0, (size_t)n * sizeof(float));
    ctx->grad_free_len--;
    ctx->grad_free[best] = ctx->grad_free[ctx->grad_free_len];
    ctx->grad_free_n[best] = ctx->grad_free_n[ctx->grad_free_len];
    return buf;
}

LIGO__PRIV float *ligo__grad_temp(ligo_ctx *ctx, int64_t n) { return ligo__grad_buffer(ctx, n, 0); }

LIGO__PRIV void ligo__grad_release(ligo_ctx *ctx, float *buf, int64_t n) {
    if (!buf || ctx->grad_free_len >= ctx->grad_free_cap) return;
    ctx->grad_free[ctx->grad_free_len] = buf;
    ctx->grad_free_n[ctx->grad_free_len] = n;
    ctx->grad_free_len++;
}

LIGO__PRIV float *ligo__grad_of(ligo_ctx *ctx, ligo_tensor *t) {
    if (!t || !(t->flags & LIGO_FLAG_NEEDS_GRAD)) return NULL;
    if (!t->grad) t->grad = ligo__grad_buffer(ctx, t->n, 1);
    return t->grad;
}

LIGO__PRIV float *ligo__grad_fresh(ligo_ctx *ctx, ligo_tensor *t, int *fresh) {
    *fresh = 0;
    if (!t || !(t->flags & LIGO_FLAG_NEEDS_GRAD)) return NULL;
    if (t->grad) return t->grad;
    *fresh = 1;
    return t->grad = ligo__grad_buffer(ctx, t->n, 0);
}

LIGO__PRIV int ligo__grad_pass(ligo_ctx *ctx, ligo_tensor *src, ligo_tensor *out) {
    if (!ctx->grad_reuse || !src || src->grad || !(src->flags & LIGO_FLAG_NEEDS_GRAD) || !out->grad) return 0;
    if ((src->flags & LIGO_FLAG_PARAM) || (out->flags & LIGO_FLAG_PARAM) || src->n != out->n) return 0;
    src->grad = out->grad;
    out->grad = NULL;
    return 1;
}

LIGO_API ligo_status ligo_backward(ligo_ctx *ctx, ligo_tensor *loss) {
    ligo_tensor *t;
    float *g;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!loss) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_backward: loss is NULL");
    if (loss->n != 1) {
        char b[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_backward: loss must be a scalar, got %s",
                              ligo_shape_str(loss, b, sizeof b));
    }
    if (!(loss->flags & LIGO_FLAG_NEEDS_GRAD))
        return ligo_set_error(ctx, LIGO_ESTATE, "ligo_backward: the loss does not depend on any parameter");
    /* Intermediate gradients start from zero on every call, so a second
     * backward over the same tape gives the same parameter increments. */
    for (t = loss; t; t = t->tape_prev)
        if (t->grad && !(t->flags & LIGO_FLAG_PARAM)) memset(t->grad, 0, (size_t)t->n * sizeof(float));
    g = ligo__grad_of(ctx, loss);
    if (!g) return ctx->status;
    g[0] += 1.0f;
    if (loss->op == LIGO_OP_LEAF) return LIGO_OK;
    /* Room to list every node's gradient buffer for reuse: once a node's
     * backward has run, nothing reads its gradient again (its consumers come
     * later on the tape), so an intermediate node's buffer is released and
     * its grad set to NULL; leaves and parameters keep theirs. */
    ctx->grad_free_len = 0;
    ctx->grad_free_cap = 0;
    if (ctx->grad_reuse) {
        ctx->grad_free = (float **)ligo_alloc_scratch(ctx, (size_t)(ctx->tape_len + 1) * sizeof(float *));
        ctx->grad_free_n = (int64_t *)ligo_alloc_scratch(ctx, (size_t)(ctx->tape_len + 1) * sizeof(int64_t));
        if (!ctx->grad_free || !ctx->grad_free_n) return ctx->status;
        ctx->grad_free_cap = ctx->tape_len;
    }
    for (t = loss; t; t = t->tape_prev) {
        if (t->op == LIGO_OP_LEAF || !(t->flags & LIGO_FLAG_NEEDS_GRAD) || !t->grad) continue;
        if (LIGO__UNLIKELY(ctx->profile)) {
            double t0 = ligo_time_sec();
            ligo__op_table[t->op].backward(ctx, t);
            ctx->prof_sec[t->op][1] += ligo_time_sec() - t0;
        } else {
            ligo__op_table[t->op].backward(ctx, t);
        }
        if (ligo__failed(ctx)) break;
        if (t->grad && ctx->grad_free_len < ctx->grad_free_cap && !(t->flags & LIGO_FLAG_PARAM)) {
            ligo__grad_release(ctx, t->grad, t->n);
            t->grad = NULL;
        }
    }
    ctx->grad_free_len = 0;
    ctx->grad_free_cap = 0;
    return ctx->status;
}

/* ------------------------------------------------------ gradient check */

LIGO_API ligo_gradcheck_opts ligo_gradcheck_opts_default(void) {
    ligo_gradcheck_opts o;
    o.eps = 1e-2;
    o.atol = 1e-2;
    o.max_per_param = 0;
    o.analytic_scale = 1.0;
    return o;
}

static int ligo__eval_loss(ligo_ctx *ctx, ligo_build_fn build, void *user, double *value) {
    ligo_mark m = ligo_scratch_mark(ctx);
    ligo_tensor *loss = build(ctx, user);
    int ok = loss != NULL && loss->n == 1 && !ligo__failed(ctx);
    if (ok) *value = (double)loss->data[0];
    ligo_scratch_rewind(ctx, m);
    return ok;
}

/* Central differences against backward, parameter by parameter. The
 * parameters' gradients are overwritten with the analytic gradient; the
 * FLOP counters and the scratch region are left as they were. */
LIGO_API ligo_status ligo_check_grad(ligo_ctx *ctx, ligo_build_fn build, void *user, ligo_tensor **params,
                                     int n_params, const ligo_gradcheck_opts *opts, double *max_err) {
    ligo_gradcheck_opts o = opts ? *opts : ligo_gradcheck_opts_default();
    ligo_mark start;
    double fwd0, bwd0, worst = 0.0;
    ligo_tensor *loss;
    int k;
    if (max_err) *max_err = 0.0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!build || !params || n_params < 1 || !max_err)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_check_grad: build, params and max_err are required");
    if (!(o.eps > 0.0) || !(o.atol > 0.0))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_check_grad: eps and atol must be positive");
    for (k = 0; k < n_params; k++) {
        if (!params[k] || !(params[k]->flags & LIGO_FLAG_PARAM))
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_check_grad: params[%d] is not a parameter", k);
        ligo_zero_grad(params[k]);
    }
    fwd0 = ctx->flops_fwd;
    bwd0 = ctx->flops_bwd;
    start = ligo_scratch_mark(ctx);
    loss = build(ctx, user);
    if (!loss) {
        if (!ligo__failed(ctx)) ligo_set_error(ctx, LIGO_EINVAL, "ligo_check_grad: build returned NULL");
        return ctx->status;
    }
    if (ligo_backward(ctx, loss) != LIGO_OK) return ctx->status;
    ligo_scratch_rewind(ctx, start);
    for (k = 0; k < n_params; k++) {
        ligo_tensor *p = params[k];
        int64_t i, step = 1;
        if (o.max_per_param > 0 && p->n > o.max_per_param) step = (p->n + o.max_per_param - 1) / o.max_per_param;
        for (i = 0; i < p->n; i += step) {
            float orig = p->data[i];
            double lp = 0.0, lm = 0.0, num, ana, den, err;
            int ok;
            p->data[i] = (float)(orig + o.eps);
            ok = ligo__eval_loss(ctx, build, user, &lp);
            p->data[i] = (float)(orig - o.eps);
            ok = ok && ligo__eval_loss(ctx, build, user, &lm);
            p->data[i] = orig;
            if (!ok) {
                if (!ligo__failed(ctx)) ligo_set_error(ctx, LIGO_EINVAL, "ligo_check_grad: build failed");
                return ctx->status;
            }
            /* the actual step: orig +- eps rounded to float */
            num = (lp - lm) / ((double)(float)(orig + o.eps) - (double)(float)(orig - o.eps));
            ana = (double)p->grad[i] * o.analytic_scale;
            den = fabs(ana) > fabs(num) ? fabs(ana) : fabs(num);
            if (den < o.atol) den = o.atol;
            err = fabs(ana - num) / den;
            if (!(err == err)) err = HUGE_VAL; /* a NaN is the worst error */
            if (err > worst) worst = err;
        }
    }
    ctx->flops_fwd = fwd0;
    ctx->flops_bwd = bwd0;
    *max_err = worst;
    return LIGO_OK;
}
/* ==== end src/graph.c ==== */

/* ==== begin src/ops/ops.h ==== */
/* ops/ops.h: what the op sources share. Each file in src/ops/ holds one
 * op (or a small family): its registration row, its parameter struct, its
 * shape / forward / backward functions, its builder and its test cases.
 *
 *   LIGO__OP(ENUM, "name", required sources, flags);
 *
 * registers op LIGO_OP_ENUM, whose functions the file defines as
 * ligo__shape_ENUM, ligo__fwd_ENUM and ligo__bwd_ENUM (ligo_internal.h);
 * amalgamate.py reads the rows and writes the op enum, the builders'
 * declarations (src/gen/ops_api.h) and the dispatch table
 * (src/gen/ops_table.h). Backward functions accumulate (+=) into the
 * gradients of their sources.
 *
 * Shape letters: B batch, T time, C channels, NH heads, hs head size,
 * V vocabulary, R rows (every leading dim flattened), M N K of a product. */
#ifndef LIGO_OPS_H
#define LIGO_OPS_H


/* An error naming the op and the shapes of x and y (y may be NULL). */
static LIGO__UNUSED ligo_status ligo__bad(ligo_ctx *ctx, ligo_status s, const char *op, const char *fmt,
                                          const ligo_tensor *x, const ligo_tensor *y) {
    char bx[64], by[64];
    char msg[256];
    snprintf(msg, sizeof msg, fmt, ligo_shape_str(x, bx, sizeof bx), y ? ligo_shape_str(y, by, sizeof by) : "");
    return ligo_set_error(ctx, s, "ligo_%s: %s", op, msg);
}

static LIGO__UNUSED void ligo__copy_shape(const ligo_tensor *t, int *ndim, int64_t *shape) {
    int i;
    *ndim = t->ndim;
    for (i = 0; i < t->ndim; i++) shape[i] = t->shape[i];
}

/* The output shape of a reduction: one element. */
static LIGO__UNUSED ligo_status ligo__shape_scalar(int *ndim, int64_t *shape) {
    *ndim = 1;
    shape[0] = 1;
    return LIGO_OK;
}

/* Rows of a tensor when its last dim is the feature dim. */
static LIGO__UNUSED int64_t ligo__rows(const ligo_tensor *t) { return t->n / t->shape[t->ndim - 1]; }
static LIGO__UNUSED int64_t ligo__last(const ligo_tensor *t) { return t->shape[t->ndim - 1]; }

/* dst += src, or dst = src when the gradient buffer dst is fresh
 * (ligo__grad_fresh). dst and src never overlap. */
static LIGO__UNUSED void ligo__acc(float *LIGO__RESTRICT dst, const float *LIGO__RESTRICT src, int64_t n) {
    int64_t i;
    for (i = 0; i < n; i++) dst[i] += src[i];
}
static LIGO__UNUSED void ligo__acc_or_copy(float *dst, const float *src, int64_t n, int fresh) {
    if (fresh)
        memcpy(dst, src, (size_t)n * sizeof(float));
    else
        ligo__acc(dst, src, n);
}

/* Arguments for an op whose parameters are the struct at p (size bytes),
 * which ligo__build copies into the node; ligo__args0: none. */
static LIGO__UNUSED ligo__args ligo__args_of(const void *p, size_t size) {
    ligo__args a;
    memset(&a, 0, sizeof a);
    a.param = p;
    a.param_size = size;
    return a;
}
static LIGO__UNUSED ligo__args ligo__args0(void) { return ligo__args_of(NULL, 0); }

/* gelu.c, for linear.c's fused GELU: the epilogue that applies GELU to a
 * finished tile of the product (keeping the pre-activation in h, same
 * layout as C; user is h), and dx (+)= g * gelu'(x) over n floats on the
 * context's threads (fresh: dx is new, store). */
/* y[0, n) = softmax(x[0, n)) for one row, y may be x (src/ops/softmax.c) */
LIGO__PRIV void ligo__softmax_row(float *y, const float *x, int64_t n);
LIGO__PRIV void ligo__gelu_epi(void *user, float *c, int64_t ldc, int64_t mr, int64_t nr, int64_t offset);
LIGO__PRIV void ligo__gelu_backward(ligo_ctx *ctx, const float *x, const float *g, float *dx, int64_t n, int fresh);

#endif /* LIGO_OPS_H */
/* ==== end src/ops/ops.h ==== */

/* ==== begin src/ops/attention.c ==== */
/* ops/attention.c: the multi-head self-attention core.
 * qkv (B, T, 3C) -> out (B, T, C) with NH heads of hs = C / NH.
 * Per (b, h): S = Q K^T / sqrt(hs) (T, T), P = softmax(S) with future
 * positions masked when causal, O = P V. P (B, NH, T, T) is saved.
 * Backward: dP = dO V^T, dS = P * (dP - rowsum(dP * P)), dQ = dS K / sqrt(hs),
 * dK = dS^T Q / sqrt(hs), dV = P^T dO. Threaded over (b, h). Each product
 * goes through the GEMM choke point for small products, ligo__sgemm_small:
 * the hook's when it takes it, otherwise K, V (backward: V, K, Q, dO) packed
 * once per head for the micro-kernel, which reads Q, P, dO and dS in place
 * and skips the 6-row tiles the causal mask makes zero. */

LIGO__OP(ATTENTION, "attention", 1, 0);

typedef struct ligo__attention_param {
    int64_t n_head; /* NH */
    int causal;
    float *P;       /* the probabilities (B, NH, T, T), saved by forward */
} ligo__attention_param;

typedef struct ligo__attn_job {
    ligo_tensor *out;
    float *dqkv;  /* backward only */
    float *work;  /* per thread: the products' packing, and (backward) a
                     T x T buffer for dP and dS */
    int64_t work_floats; /* per thread */
    int64_t B, T, C, NH;
    int causal, fresh;   /* fresh: dqkv is new, store instead of adding */
} ligo__attn_job;

LIGO__PRIV ligo_status ligo__shape_ATTENTION(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0];
    int64_t NH = ((const ligo__attention_param *)a->param)->n_head, C, P_dims[4];
    if (x->ndim != 3 || x->shape[2] % 3 != 0)
        return ligo__bad(ctx, LIGO_ESHAPE, "attention", "qkv must be (B, T, 3C), got %s%s", x, NULL);
    C = x->shape[2] / 3;
    if (NH < 1 || C % NH != 0)
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_attention: %lld heads do not divide C = %lld", (long long)NH,
                              (long long)C);
    P_dims[0] = x->shape[0];
    P_dims[1] = NH;
    P_dims[2] = P_dims[3] = x->shape[1];
    if (ligo__check_size(ctx, "attention", "saved P (B x NH x T x T)", 4, P_dims, NULL) != LIGO_OK) return ctx->status;
    *ndim = 3;
    shape[0] = x->shape[0];
    shape[1] = x->shape[1];
    shape[2] = C;
    return LIGO_OK;
}

/* P keeps its full (T, T) layout with zeros above the diagonal (the tiles
 * that straddle it read them). Each (b, h) is done by one thread in a
 * fixed order: results do not depend on the thread count. */

#if LIGO__X86
LIGO__AVX2 static void ligo__softmax_row_avx2(float *row, int64_t end) {
    int64_t u, v8 = end / 8 * 8;
    int neg_inf;
    float mx = ligo__row_max_avx2(row, end, &neg_inf), sum, inv, lanes[8];
    __m256 vmx, vs = _mm256_setzero_ps(), vi;
    if (neg_inf) {
        ligo__softmax_row(row, row, end);
        return;
    }
    vmx = _mm256_set1_ps(mx);
    for (u = 0; u < v8; u += 8) {
        __m256 e = ligo__exp8(_mm256_sub_ps(_mm256_loadu_ps(row + u), vmx));
        _mm256_storeu_ps(row + u, e);
        vs = _mm256_add_ps(vs, e);
    }
    _mm256_storeu_ps(lanes, vs);
    sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for (u = v8; u < end; u++) {
        row[u] = expf(row[u] - mx);
        sum += row[u];
    }
    inv = 1.0f / sum;
    vi = _mm256_set1_ps(inv);
    for (u = 0; u < v8; u += 8) _mm256_storeu_ps(row + u, _mm256_mul_ps(_mm256_loadu_ps(row + u), vi));
    for (u = v8; u < end; u++) row[u] *= inv;
}
#endif

#if LIGO__NEON
/* ligo__softmax_row_avx2's twin (simd.h): the same lanes, the same bits */
static void ligo__softmax_row_neon(float *row, int64_t end) {
    int64_t u, v8 = end / 8 * 8;
    int neg_inf;
    float mx = ligo__row_max_neon(row, end, &neg_inf), sum, inv;
    ligo__f8 vmx, vs = ligo__f8_set1(0.0f), vi;
    if (neg_inf) {
        ligo__softmax_row(row, row, end);
        return;
    }
    vmx = ligo__f8_set1(mx);
    for (u = 0; u < v8; u += 8) {
        ligo__f8 e = ligo__exp8_neon(ligo__f8_sub(ligo__f8_load(row + u), vmx));
        ligo__f8_store(row + u, e);
        vs = ligo__f8_add(vs, e);
    }
    sum = ligo__hsum8_neon(vs);
    for (u = v8; u < end; u++) {
        row[u] = expf(row[u] - mx);
        sum += row[u];
    }
    inv = 1.0f / sum;
    vi = ligo__f8_set1(inv);
    for (u = 0; u < v8; u += 8) ligo__f8_store(row + u, ligo__f8_mul(ligo__f8_load(row + u), vi));
    for (u = v8; u < end; u++) row[u] *= inv;
}
#endif

static void ligo__attn_softmax_row(float *row, int64_t end, int simd) {
#if LIGO__X86
    if (simd) {
        ligo__softmax_row_avx2(row, end);
        return;
    }
#elif LIGO__NEON
    ligo__softmax_row_neon(row, end);
    return;
#endif
    (void)simd;
    ligo__softmax_row(row, row, end);
}

/* T rows of hs floats, row stride ld, asked for ahead of use. */
static void ligo__attn_prefetch(const float *base, int64_t T, int64_t ld, int64_t hs) {
#if defined(__GNUC__) || defined(__clang__)
    int64_t t, c;
    for (t = 0; t < T; t++)
        for (c = 0; c < hs; c += 16) __builtin_prefetch(base + t * ld + c, 0, 2);
#else
    (void)base;
    (void)T;
    (void)ld;
    (void)hs;
#endif
}

/* Ask for head bh's Q, K and V rows (and its dO rows when dO is given)
 * while the current head computes: packing reads them with a stride the
 * hardware prefetcher does not follow, so they would otherwise arrive one
 * miss at a time. */
static void ligo__attn_prefetch_head(const ligo__attn_job *j, int64_t bh, const float *dO) {
    int64_t T = j->T, C = j->C, hs = C / j->NH, b = bh / j->NH, h = bh % j->NH;
    const float *q = j->out->src[0]->data + b * T * 3 * C + h * hs;
    if (bh >= j->B * j->NH) return;
    ligo__attn_prefetch(q, T, 3 * C, hs);
    ligo__attn_prefetch(q + C, T, 3 * C, hs);
    ligo__attn_prefetch(q + 2 * C, T, 3 * C, hs);
    if (dO) ligo__attn_prefetch(dO + b * T * C + h * hs, T, C, hs);
}

/* Floats of per-thread work: what the products need (the larger of a
 * (T x T x hs) and a (T x hs x T) product), and in backward dP / dS. */
static int64_t ligo__attn_work(int64_t T, int64_t hs, int backward) {
    int64_t s = ligo__sgemm_small_work(T, hs), o = ligo__sgemm_small_work(hs, T);
    return (s > o ? s : o) + (backward ? T * T : 0);
}

static void ligo__attn_fwd_task(void *arg, int ith, int nth) {
    const ligo__attn_job *j = (const ligo__attn_job *)arg;
    const ligo_tensor *x = j->out->src[0];
    int64_t T = j->T, C = j->C, NH = j->NH, hs = C / NH, C3 = 3 * C, bh;
    float scale = 1.0f / sqrtf((float)hs);
    float *P_all = ((const ligo__attention_param *)j->out->param)->P;
    float *work = j->work + (int64_t)ith * j->work_floats;
    int simd = 0;
#if LIGO__X86
    simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    for (bh = ith; bh < j->B * NH; bh += nth) {
        int64_t b = bh / NH, h = bh % NH, t;
        const float *q = x->data + b * T * C3 + h * hs;
        const float *k = q + C, *v = q + 2 * C;
        float *P = P_all + bh * T * T;
        float *o = j->out->data + b * T * C + h * hs;
        ligo__attn_prefetch_head(j, bh + nth, NULL);
        /* S = Q K^T / sqrt(hs) */
        ligo__sgemm_small(0, 1, j->causal ? LIGO__TRI_N : LIGO__TRI_NONE, T, T, hs, scale, q, C3, k, C3, 0.0f, P, T,
                          work);
        for (t = 0; t < T; t++) {
            float *row = P + t * T;
            int64_t end = j->causal ? t + 1 : T;
            ligo__attn_softmax_row(row, end, simd);
            if (end < T) memset(row + end, 0, (size_t)(T - end) * sizeof(float));
        }
        /* O = P V */
        ligo__sgemm_small(0, 0, j->causal ? LIGO__TRI_K_LOWER : LIGO__TRI_NONE, T, hs, T, 1.0f, P, T, v, C3, 0.0f, o, C,
                          work);
    }
}

static double ligo__attn_pairs(int64_t T, int causal) {
    return causal ? (double)T * (double)(T + 1) / 2.0 : (double)T * (double)T;
}

LIGO__PRIV void ligo__fwd_ATTENTION(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__attn_job j;
    const ligo_tensor *x = out->src[0];
    ligo__attention_param *p = (ligo__attention_param *)out->param;
    int64_t NH = p->n_head;
    double pairs;
    int nth;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.B = x->shape[0];
    j.T = x->shape[1];
    j.C = x->shape[2] / 3;
    j.NH = NH;
    j.causal = p->causal;
    /* every element of P is written by the kernel: no zeroing */
    p->P = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)(j.B * NH * j.T * j.T) * sizeof(float),
                                         "scratch", 0);
    if (!p->P) return;
    nth = ligo__nth_for(ctx, (double)(j.B * NH), 1.0);
    j.work_floats = (ligo__attn_work(j.T, j.C / NH, 0) + 15) / 16 * 16;
    j.work = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)nth * (size_t)j.work_floats * sizeof(float),
                                           "scratch", 0);
    if (!j.work) return;
    ligo_parallel_for(ctx, ligo__attn_fwd_task, &j, nth);
    pairs = ligo__attn_pairs(j.T, j.causal) * (double)(j.B * NH);
    ligo_flops_add(ctx, pairs * (4.0 * (double)(j.C / NH) + 5.0), 0.0);
}

/* dS row from P and dP in place: d = p (d - sum(p d)) over [0, end), zero
 * over [end, T). */
static void ligo__attn_ds_row_c(const float *p, float *d, int64_t end, int64_t T) {
    float dot = 0.0f;
    int64_t u;
    for (u = 0; u < end; u++) dot += p[u] * d[u];
    for (u = 0; u < end; u++) d[u] = p[u] * (d[u] - dot);
    if (end < T) memset(d + end, 0, (size_t)(T - end) * sizeof(float));
}

#if LIGO__X86
LIGO__AVX2 static void ligo__attn_ds_row_avx2(const float *p, float *d, int64_t end,
                                                                       int64_t T) {
    int64_t u, e8 = end / 8 * 8;
    __m256 acc = _mm256_setzero_ps(), vd;
    float dot;
    for (u = 0; u < e8; u += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(p + u), _mm256_loadu_ps(d + u), acc);
    dot = ligo__hsum8(acc);
    for (u = e8; u < end; u++) dot += p[u] * d[u];
    vd = _mm256_set1_ps(dot);
    for (u = 0; u < e8; u += 8)
        _mm256_storeu_ps(d + u, _mm256_mul_ps(_mm256_loadu_ps(p + u), _mm256_sub_ps(_mm256_loadu_ps(d + u), vd)));
    for (u = e8; u < end; u++) d[u] = p[u] * (d[u] - dot);
    if (end < T) memset(d + end, 0, (size_t)(T - end) * sizeof(float));
}
#endif

#if LIGO__NEON
static void ligo__attn_ds_row_neon(const float *p, float *d, int64_t end, int64_t T) {
    int64_t u, e8 = end / 8 * 8;
    ligo__f8 acc = ligo__f8_set1(0.0f), vd;
    float dot;
    for (u = 0; u < e8; u += 8) acc = ligo__f8_fma(ligo__f8_load(p + u), ligo__f8_load(d + u), acc);
    dot = ligo__hsum8_neon(acc);
    for (u = e8; u < end; u++) dot += p[u] * d[u];
    vd = ligo__f8_set1(dot);
    for (u = 0; u < e8; u += 8)
        ligo__f8_store(d + u, ligo__f8_mul(ligo__f8_load(p + u), ligo__f8_sub(ligo__f8_load(d + u), vd)));
    for (u = e8; u < end; u++) d[u] = p[u] * (d[u] - dot);
    if (end < T) memset(d + end, 0, (size_t)(T - end) * sizeof(float));
}
#endif

static void ligo__attn_bwd_task(void *arg, int ith, int nth) {
    const ligo__attn_job *j = (const ligo__attn_job *)arg;
    const ligo_tensor *x = j->out->src[0];
    int64_t T = j->T, C = j->C, NH = j->NH, hs = C / NH, C3 = 3 * C, bh;
    float scale = 1.0f / sqrtf((float)hs), beta = j->fresh ? 0.0f : 1.0f;
    int lower_n = j->causal ? LIGO__TRI_N : LIGO__TRI_NONE;
    int lower_k = j->causal ? LIGO__TRI_K_LOWER : LIGO__TRI_NONE;
    int upper_k = j->causal ? LIGO__TRI_K_UPPER : LIGO__TRI_NONE;
    const float *P_all = ((const ligo__attention_param *)j->out->param)->P;
    float *work = j->work + (int64_t)ith * j->work_floats;
    float *W = work + j->work_floats - T * T; /* dP, then dS in place */
    int simd = 0;
#if LIGO__X86
    simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    for (bh = ith; bh < j->B * NH; bh += nth) {
        int64_t b = bh / NH, h = bh % NH, t;
        const float *q = x->data + b * T * C3 + h * hs;
        const float *k = q + C, *v = q + 2 * C;
        const float *P = P_all + bh * T * T;
        const float *dO = j->out->grad + b * T * C + h * hs;
        float *dq = j->dqkv + b * T * C3 + h * hs, *dk = dq + C, *dv = dq + 2 * C;
        ligo__attn_prefetch_head(j, bh + nth, j->out->grad);
        ligo__sgemm_small(0, 1, lower_n, T, T, hs, 1.0f, dO, C, v, C3, 0.0f, W, T, work); /* dP = dO V^T */
        for (t = 0; t < T; t++) {
            int64_t end = j->causal ? t + 1 : T;
#if LIGO__X86
            if (simd) {
                ligo__attn_ds_row_avx2(P + t * T, W + t * T, end, T);
                continue;
            }
#elif LIGO__NEON
            ligo__attn_ds_row_neon(P + t * T, W + t * T, end, T);
            continue;
#endif
            ligo__attn_ds_row_c(P + t * T, W + t * T, end, T);
        }
        ligo__sgemm_small(0, 0, lower_k, T, hs, T, scale, W, T, k, C3, beta, dq, C3, work); /* dQ = dS K */
        ligo__sgemm_small(1, 0, upper_k, T, hs, T, scale, W, T, q, C3, beta, dk, C3, work); /* dK = dS^T Q */
        ligo__sgemm_small(1, 0, upper_k, T, hs, T, 1.0f, P, T, dO, C, beta, dv, C3, work);  /* dV = P^T dO */
    }
    (void)simd;
}

LIGO__PRIV void ligo__bwd_ATTENTION(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__attn_job j;
    ligo_tensor *x = out->src[0];
    int nth;
    double pairs;
    memset(&j, 0, sizeof j);
    j.dqkv = ligo__grad_fresh(ctx, x, &j.fresh);
    if (!j.dqkv) return;
    j.out = out;
    j.B = x->shape[0];
    j.T = x->shape[1];
    j.C = x->shape[2] / 3;
    j.NH = ((const ligo__attention_param *)out->param)->n_head;
    j.causal = ((const ligo__attention_param *)out->param)->causal;
    nth = ligo__nth_for(ctx, (double)(j.B * j.NH), 1.0);
    j.work_floats = (ligo__attn_work(j.T, j.C / j.NH, 1) + 15) / 16 * 16;
    j.work = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)nth * (size_t)j.work_floats * sizeof(float),
                                           "scratch", 0);
    if (!j.work) return;
    ligo_parallel_for(ctx, ligo__attn_bwd_task, &j, nth);
    pairs = ligo__attn_pairs(j.T, j.causal) * (double)(j.B * j.NH);
    ligo_flops_add(ctx, 0.0, pairs * (8.0 * (double)(j.C / j.NH) + 5.0));
}
/* Multi-head self-attention core. qkv is (B, T, 3C) holding Q, K, V side by
 * side; n_head divides C; scores scaled by 1/sqrt(C / n_head); causal masks
 * future positions. -> (B, T, C). */
LIGO_API ligo_tensor *ligo_attention(ligo_ctx *ctx, ligo_tensor *qkv, int64_t n_head, int causal) {
    ligo__attention_param p;
    ligo__args a;
    p.n_head = n_head;
    p.causal = causal ? 1 : 0;
    p.P = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = qkv;
    return ligo__build(ctx, LIGO_OP_ATTENTION, &a);
}

#ifdef LIGO_OP_TESTS
/* i0 heads, i1 causal */
static ligo_tensor *ligo__attention_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_attention(ctx, in[0], c->i0, (int)c->i1);
}
LIGO__PRIV int ligo__cases_ATTENTION(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "attention causal", .run = ligo__attention_case, .n_in = 1, .in = {{3, {2, 4, 12}, 1.5f}},
         .i0 = 2, .i1 = 1},
        /* 15 positions: three 6-row tiles, the last partial, so the causal
         * tile skipping of every product is on the path */
        {.name = "attention causal T15", .run = ligo__attention_case, .n_in = 1, .in = {{3, {1, 15, 12}, 1.5f}},
         .i0 = 2, .i1 = 1},
        {.name = "attention bidirectional", .run = ligo__attention_case, .n_in = 1, .in = {{3, {2, 3, 9}, 1.5f}},
         .i0 = 3},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/attention.c ==== */

/* ==== begin src/ops/attention_mask.c ==== */
/* ops/attention_mask.c: multi-head attention with a mask of the user's.
 * q (B, Tq, C), k and v (B, Tk, C), NH heads of hs = C / NH, mask (Tq, Tk)
 * or none -> out (B, Tq, C). Per (b, h):
 *   S = Q K^T / sqrt(hs) + mask,  P = softmax(S) (rows),  O = P V.
 * A mask of 0 and -inf masks; any finite values are an additive bias (and
 * a mask that is a parameter gets its gradient, summed over b and h). P
 * (B, NH, Tq, Tk) is saved. Backward: dP = dO V^T,
 * dS = P * (dP - rowsum(dP * P)), dQ = dS K / sqrt(hs),
 * dK = dS^T Q / sqrt(hs), dV = P^T dO, dmask = sum over (b, h) of dS.
 * Threaded over (b, h), each product on ligo__sgemm_small (the GEMM
 * hook's when it takes it) as ligo_attention's; dmask adds the saved dS of
 * every (b, h) in order, threaded over its elements, so nothing depends on
 * the thread count. */

LIGO__OP(ATTENTION_MASK, "attention_mask", 3, 0);

typedef struct ligo__attn_mask_param {
    int64_t n_head;
    float *P; /* (B, NH, Tq, Tk), saved by forward */
} ligo__attn_mask_param;

LIGO__PRIV ligo_status ligo__shape_ATTENTION_MASK(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *q = a->src[0], *k = a->src[1], *v = a->src[2], *m = a->src[3];
    int64_t NH = ((const ligo__attn_mask_param *)a->param)->n_head, C, P_dims[4];
    if (q->ndim != 3 || k->ndim != 3)
        return ligo__bad(ctx, LIGO_ESHAPE, "attention_mask", "q and k must be (B, T, C), got %s and %s", q, k);
    if (!ligo_same_shape(k, v))
        return ligo__bad(ctx, LIGO_ESHAPE, "attention_mask", "k %s and v %s must have one shape", k, v);
    if (k->shape[0] != q->shape[0] || k->shape[2] != q->shape[2])
        return ligo__bad(ctx, LIGO_ESHAPE, "attention_mask", "q %s and k %s differ in B or C", q, k);
    C = q->shape[2];
    if (NH < 1 || C % NH != 0)
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_attention_mask: %lld heads do not divide C = %lld",
                              (long long)NH, (long long)C);
    if (m && (m->ndim != 2 || m->shape[0] != q->shape[1] || m->shape[1] != k->shape[1])) {
        char bq[64], bk[64], bm[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_attention_mask: mask %s must be (Tq, Tk) = (%lld, %lld) for q %s, k %s",
                              ligo_shape_str(m, bm, sizeof bm), (long long)q->shape[1], (long long)k->shape[1],
                              ligo_shape_str(q, bq, sizeof bq), ligo_shape_str(k, bk, sizeof bk));
    }
    P_dims[0] = q->shape[0];
    P_dims[1] = NH;
    P_dims[2] = q->shape[1];
    P_dims[3] = k->shape[1];
    if (ligo__check_size(ctx, "attention_mask", "saved P (B x NH x Tq x Tk)", 4, P_dims, NULL) != LIGO_OK)
        return ctx->status;
    ligo__copy_shape(q, ndim, shape);
    return LIGO_OK;
}

typedef struct ligo__am_job {
    ligo_tensor *out;
    float *dq, *dk, *dv;   /* backward: NULL where no gradient is wanted */
    float *dS;             /* backward with a mask's gradient: (B, NH, Tq, Tk) */
    float *work;           /* per thread: the products' packing, then (backward) Tq x Tk */
    int64_t work_floats;
    int64_t B, Tq, Tk, C, NH;
    float beta_q, beta_k, beta_v; /* 0 into a new gradient buffer, else 1 */
} ligo__am_job;

/* Floats of per-thread work: the largest product's packing of op(B)
 * (N x K) and, backward, dP / dS. */
static int64_t ligo__am_work(int64_t Tq, int64_t Tk, int64_t hs, int backward) {
    int64_t w = ligo__sgemm_small_work(Tk, hs), o = ligo__sgemm_small_work(hs, Tk), d = ligo__sgemm_small_work(hs, Tq);
    if (o > w) w = o;
    if (backward && d > w) w = d;
    return w + (backward ? Tq * Tk : 0);
}

static void ligo__am_fwd_task(void *arg, int ith, int nth) {
    const ligo__am_job *j = (const ligo__am_job *)arg;
    const ligo_tensor *q = j->out->src[0], *k = j->out->src[1], *v = j->out->src[2], *m = j->out->src[3];
    int64_t Tq = j->Tq, Tk = j->Tk, C = j->C, NH = j->NH, hs = C / NH, bh, t, u;
    float scale = 1.0f / sqrtf((float)hs);
    float *P_all = ((const ligo__attn_mask_param *)j->out->param)->P;
    float *work = j->work + (int64_t)ith * j->work_floats;
    for (bh = ith; bh < j->B * NH; bh += nth) {
        int64_t b = bh / NH, h = bh % NH;
        const float *qb = q->data + b * Tq * C + h * hs, *kb = k->data + b * Tk * C + h * hs;
        const float *vb = v->data + b * Tk * C + h * hs;
        float *P = P_all + bh * Tq * Tk, *o = j->out->data + b * Tq * C + h * hs;
        ligo__sgemm_small(0, 1, LIGO__TRI_NONE, Tq, Tk, hs, scale, qb, C, kb, C, 0.0f, P, Tk, work); /* S */
        for (t = 0; t < Tq; t++) {
            float *row = P + t * Tk;
            if (m)
                for (u = 0; u < Tk; u++) row[u] += m->data[t * Tk + u];
            ligo__softmax_row(row, row, Tk); /* -inf entries get 0; a row of -inf only NaN */
        }
        ligo__sgemm_small(0, 0, LIGO__TRI_NONE, Tq, hs, Tk, 1.0f, P, Tk, vb, C, 0.0f, o, C, work); /* O = P V */
    }
}

static void ligo__am_job_init(ligo__am_job *j, ligo_tensor *out) {
    memset(j, 0, sizeof *j);
    j->out = out;
    j->B = out->src[0]->shape[0];
    j->Tq = out->src[0]->shape[1];
    j->Tk = out->src[1]->shape[1];
    j->C = out->src[0]->shape[2];
    j->NH = ((const ligo__attn_mask_param *)out->param)->n_head;
}

LIGO__PRIV void ligo__fwd_ATTENTION_MASK(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__am_job j;
    ligo__attn_mask_param *p = (ligo__attn_mask_param *)out->param;
    double pairs;
    int nth;
    ligo__am_job_init(&j, out);
    p->P = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)(j.B * j.NH * j.Tq * j.Tk) * sizeof(float),
                                         "scratch", 0);
    if (!p->P) return;
    nth = ligo__nth_for(ctx, (double)(j.B * j.NH), 1.0);
    j.work_floats = (ligo__am_work(j.Tq, j.Tk, j.C / j.NH, 0) + 15) / 16 * 16;
    j.work = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)nth * (size_t)j.work_floats * sizeof(float),
                                           "scratch", 0);
    if (!j.work) return;
    ligo_parallel_for(ctx, ligo__am_fwd_task, &j, nth);
    pairs = (double)(j.Tq * j.Tk) * (double)(j.B * j.NH);
    ligo_flops_add(ctx, pairs * (4.0 * (double)(j.C / j.NH) + 6.0), 0.0);
}

static void ligo__am_bwd_task(void *arg, int ith, int nth) {
    const ligo__am_job *j = (const ligo__am_job *)arg;
    const ligo_tensor *q = j->out->src[0], *k = j->out->src[1], *v = j->out->src[2];
    int64_t Tq = j->Tq, Tk = j->Tk, C = j->C, NH = j->NH, hs = C / NH, bh, t, u;
    float scale = 1.0f / sqrtf((float)hs);
    const float *P_all = ((const ligo__attn_mask_param *)j->out->param)->P;
    float *work = j->work + (int64_t)ith * j->work_floats;
    for (bh = ith; bh < j->B * NH; bh += nth) {
        int64_t b = bh / NH, h = bh % NH, qo = b * Tq * C + h * hs, ko = b * Tk * C + h * hs;
        const float *P = P_all + bh * Tq * Tk, *dO = j->out->grad + qo;
        float *W = j->dS ? j->dS + bh * Tq * Tk : work + j->work_floats - Tq * Tk; /* dP, then dS */
        ligo__sgemm_small(0, 1, LIGO__TRI_NONE, Tq, Tk, hs, 1.0f, dO, C, v->data + ko, C, 0.0f, W, Tk, work);
        for (t = 0; t < Tq; t++) {
            const float *pr = P + t * Tk;
            float *d = W + t * Tk, dot = 0.0f;
            for (u = 0; u < Tk; u++) dot += pr[u] * d[u];
            for (u = 0; u < Tk; u++) d[u] = pr[u] * (d[u] - dot);
        }
        if (j->dq) /* dQ = dS K / sqrt(hs) */
            ligo__sgemm_small(0, 0, LIGO__TRI_NONE, Tq, hs, Tk, scale, W, Tk, k->data + ko, C, j->beta_q, j->dq + qo,
                              C, work);
        if (j->dk) /* dK = dS^T Q / sqrt(hs) */
            ligo__sgemm_small(1, 0, LIGO__TRI_NONE, Tk, hs, Tq, scale, W, Tk, q->data + qo, C, j->beta_k, j->dk + ko,
                              C, work);
        if (j->dv) /* dV = P^T dO */
            ligo__sgemm_small(1, 0, LIGO__TRI_NONE, Tk, hs, Tq, 1.0f, P, Tk, dO, C, j->beta_v, j->dv + ko, C, work);
    }
}

/* dmask += sum over (b, h) of dS, in (b, h) order, over element ranges */
static void ligo__am_dmask_task(void *arg, int ith, int nth) {
    const ligo__am_job *j = (const ligo__am_job *)arg;
    int64_t n = j->Tq * j->Tk, e0 = n * ith / nth, e1 = n * (ith + 1) / nth, bh, e;
    float *dm = j->out->src[3]->grad;
    for (bh = 0; bh < j->B * j->NH; bh++)
        for (e = e0; e < e1; e++) dm[e] += j->dS[bh * n + e];
}

/* Gradient buffers of q, k, v: a new one is stored into (beta 0) by the
 * first product that writes it, later ones (q, k or v the same tensor)
 * add. */
static float *ligo__am_grad(ligo_ctx *ctx, ligo_tensor *t, float *beta) {
    int fresh;
    float *g = ligo__grad_fresh(ctx, t, &fresh);
    *beta = fresh ? 0.0f : 1.0f;
    return g;
}

LIGO__PRIV void ligo__bwd_ATTENTION_MASK(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__am_job j;
    ligo_tensor *m = out->src[3];
    float *dmask = NULL;
    int nth;
    double pairs;
    ligo__am_job_init(&j, out);
    j.dq = ligo__am_grad(ctx, out->src[0], &j.beta_q);
    j.dk = ligo__am_grad(ctx, out->src[1], &j.beta_k);
    j.dv = ligo__am_grad(ctx, out->src[2], &j.beta_v);
    if (m) dmask = ligo__grad_of(ctx, m);
    if (ligo__failed(ctx)) return;
    if (dmask) {
        j.dS = ligo__grad_temp(ctx, j.B * j.NH * j.Tq * j.Tk);
        if (!j.dS) return;
    }
    nth = ligo__nth_for(ctx, (double)(j.B * j.NH), 1.0);
    j.work_floats = (ligo__am_work(j.Tq, j.Tk, j.C / j.NH, 1) + 15) / 16 * 16;
    j.work = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)nth * (size_t)j.work_floats * sizeof(float),
                                           "scratch", 0);
    if (!j.work) return;
    ligo_parallel_for(ctx, ligo__am_bwd_task, &j, nth);
    if (dmask) {
        ligo_parallel_for(ctx, ligo__am_dmask_task, &j, ligo__nth_for(ctx, (double)(j.Tq * j.Tk), 16384.0));
        ligo__grad_release(ctx, j.dS, j.B * j.NH * j.Tq * j.Tk);
    }
    pairs = (double)(j.Tq * j.Tk) * (double)(j.B * j.NH);
    ligo_flops_add(ctx, 0.0, pairs * (8.0 * (double)(j.C / j.NH) + 5.0));
}

/* Multi-head attention with a mask of one's own: q (B, Tq, C), k and v
 * (B, Tk, C), n_head dividing C, scores Q K^T / sqrt(C / n_head) plus mask
 * (Tq, Tk) (0 where allowed, -inf where masked; any finite values act as
 * an additive bias, learned if mask is a parameter), or mask NULL ->
 * (B, Tq, C). A row masked everywhere is NaN, as PyTorch's. The causal
 * mask is 0 on and below the diagonal, -inf above. The same from
 * primitives (heads from ligo_reshape and ligo_permute):
 *   q, k, v (B, T, C) -> (B, T, NH, hs) -> permute {0, 2, 1, 3} -> (B NH, T, hs)
 *   s = ligo_scale(ligo_bmm(q, k, 0, 1), 1 / sqrt(hs))     (B NH, T, T)
 *   p = ligo_softmax(ligo_add(s, mask))                     mask (T, T) broadcast
 *   o = ligo_bmm(p, v, 0, 0) -> (B, NH, T, hs) -> permute {0, 2, 1, 3} -> (B, T, C)
 * (tests/test_prims.c checks it against ligo_attention). */
LIGO_API ligo_tensor *ligo_attention_mask(ligo_ctx *ctx, ligo_tensor *q, ligo_tensor *k, ligo_tensor *v,
                                          ligo_tensor *mask, int64_t n_head) {
    ligo__attn_mask_param p;
    ligo__args a;
    p.n_head = n_head;
    p.P = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = q;
    a.src[1] = k;
    a.src[2] = v;
    a.src[3] = mask;
    return ligo__build(ctx, LIGO_OP_ATTENTION_MASK, &a);
}

#ifdef LIGO_OP_TESTS
/* i0 heads; i1 the mask: 0 none, 1 causal (made here), 2 in[3] (a
 * parameter: a learned bias, finite); one input: q = k = v */
static ligo_tensor *ligo__am_mask(ligo_ctx *ctx, int64_t Tq, int64_t Tk) {
    ligo_tensor *m = ligo_new_2d(ctx, Tq, Tk);
    int64_t t, u;
    if (m)
        for (t = 0; t < Tq; t++)
            for (u = 0; u < Tk; u++) m->data[t * Tk + u] = u <= t ? 0.0f : -INFINITY;
    return m;
}
static ligo_tensor *ligo__am_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    ligo_tensor *m = NULL;
    if (c->n_in == 1) return ligo_attention_mask(ctx, in[0], in[0], in[0], NULL, c->i0);
    if (c->i1 == 1 && in[0]) m = ligo__am_mask(ctx, in[0]->shape[1], in[1]->shape[1]);
    if (c->i1 == 2) m = in[3];
    return ligo_attention_mask(ctx, in[0], in[1], in[2], m, c->i0);
}

/* each (b, h, t) in float64 (the cases keep Tk <= 16) */
static void ligo__am_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    const ligo_tensor *q = in[0], *k = c->n_in == 1 ? in[0] : in[1], *v = c->n_in == 1 ? in[0] : in[2];
    int64_t B = q->shape[0], Tq = q->shape[1], Tk = k->shape[1], C = q->shape[2], NH = c->i0, hs = C / NH;
    int64_t b, h, t, u, d;
    double s[16], mx, sum;
    for (b = 0; b < B; b++)
        for (h = 0; h < NH; h++)
            for (t = 0; t < Tq; t++) {
                mx = -HUGE_VAL;
                sum = 0.0;
                for (u = 0; u < Tk; u++) {
                    double acc = 0.0;
                    for (d = 0; d < hs; d++)
                        acc += (double)q->data[(b * Tq + t) * C + h * hs + d] * k->data[(b * Tk + u) * C + h * hs + d];
                    s[u] = acc / sqrt((double)hs);
                    if (c->i1 == 1 && u > t) s[u] = -HUGE_VAL;
                    if (c->i1 == 2) s[u] += in[3]->data[t * Tk + u];
                    mx = s[u] > mx ? s[u] : mx;
                }
                for (u = 0; u < Tk; u++) sum += (s[u] = exp(s[u] - mx));
                for (d = 0; d < hs; d++) {
                    double acc = 0.0;
                    for (u = 0; u < Tk; u++) acc += s[u] / sum * v->data[(b * Tk + u) * C + h * hs + d];
                    out[(b * Tq + t) * C + h * hs + d] = acc;
                }
            }
}

LIGO__PRIV int ligo__cases_ATTENTION_MASK(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "attention_mask causal", .run = ligo__am_case, .n_in = 3,
         .in = {{3, {2, 5, 8}, 1.5f}, {3, {2, 5, 8}, 1.5f}, {3, {2, 5, 8}, 1.5f}}, .i0 = 2, .i1 = 1,
         .ref = ligo__am_ref, .ref_tol = 1e-6},
        {.name = "attention_mask none", .run = ligo__am_case, .n_in = 3,
         .in = {{3, {2, 4, 6}, 1.5f}, {3, {2, 4, 6}, 1.5f}, {3, {2, 4, 6}, 1.5f}}, .i0 = 3, .i1 = 0,
         .ref = ligo__am_ref, .ref_tol = 1e-6},
        /* cross-attention, 3 queries over 5 keys, a learned bias */
        {.name = "attention_mask bias", .run = ligo__am_case, .n_in = 4,
         .in = {{3, {2, 3, 4}, 1.5f}, {3, {2, 5, 4}, 1.5f}, {3, {2, 5, 4}, 1.5f}, {2, {3, 5}, 1.0f}}, .i0 = 2,
         .i1 = 2, .ref = ligo__am_ref, .ref_tol = 1e-6},
        /* q, k and v one tensor: three gradients into one buffer */
        {.name = "attention_mask self", .run = ligo__am_case, .n_in = 1, .in = {{3, {1, 4, 6}, 1.5f}}, .i0 = 2,
         .ref = ligo__am_ref, .ref_tol = 1e-6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/attention_mask.c ==== */

/* ==== begin src/ops/binary.c ==== */
/* ops/binary.c: elementwise add, sub, mul and div: out (a's shape) =
 * a op b, with b broadcast over a's leading dims. b has a's shape, or a's
 * trailing dims (b's own leading dims of 1 aside: a (B, T, C) takes b
 * (T, C), (1, T, C), (C) or (1, 1, C)), or one element, or as many elements
 * as a's last dim (a row, whatever its shape). Every case but the first
 * reads b as a block of b.n floats repeated over a: element i of a meets
 * element i % b.n of b, and backward sums b's gradient over the repeats in
 * index order. Forward records whether b had a's shape, for backward. */

LIGO__OP(ADD, "add", 2, 0);
LIGO__OP(SUB, "sub", 2, 0);
LIGO__OP(MUL, "mul", 2, 0);
LIGO__OP(DIV, "div", 2, 0);

enum { LIGO__BC_SAME = 0, LIGO__BC_REPEAT = 1 };
typedef struct ligo__binary_param {
    int bc; /* LIGO__BC_*, set by forward */
} ligo__binary_param;

/* Whether b's dims, its leading 1s dropped, are a's last dims. */
static int ligo__bc_trailing(const ligo_tensor *x, const ligo_tensor *y) {
    int i, lead = 0, nd;
    while (lead < y->ndim - 1 && y->shape[lead] == 1) lead++;
    nd = y->ndim - lead;
    if (nd > x->ndim) return 0;
    for (i = 0; i < nd; i++)
        if (y->shape[lead + i] != x->shape[x->ndim - nd + i]) return 0;
    return 1;
}

static ligo_status ligo__shape_binary(ligo_ctx *ctx, const char *op, const ligo__args *a, int *ndim,
                                      int64_t *shape) {
    const ligo_tensor *x = a->src[0], *y = a->src[1];
    if (!ligo_same_shape(x, y) && y->n != ligo__last(x) && y->n != 1 && !ligo__bc_trailing(x, y))
        return ligo__bad(ctx, LIGO_ESHAPE, op,
                         "shapes %s and %s do not match (b must have a's shape, its last dims, or 1 element)", x, y);
    ligo__copy_shape(x, ndim, shape);
    return LIGO_OK;
}

enum { LIGO__BIN_ADD, LIGO__BIN_SUB, LIGO__BIN_MUL, LIGO__BIN_DIV };

/* o = u + v over equal shapes, in blocks of 16 per thread. */
typedef struct ligo__add_job {
    const float *u, *v;
    float *o;
    int64_t n;
} ligo__add_job;

static void ligo__add_span(const float *LIGO__RESTRICT u, const float *LIGO__RESTRICT v, float *LIGO__RESTRICT o,
                           int64_t n) {
    int64_t i;
    for (i = 0; i < n; i++) o[i] = u[i] + v[i];
}

static void ligo__add_task(void *arg, int ith, int nth) {
    const ligo__add_job *j = (const ligo__add_job *)arg;
    int64_t blocks = (j->n + 15) / 16, i0 = blocks * ith / nth * 16, i1 = blocks * (ith + 1) / nth * 16;
    if (i1 > j->n) i1 = j->n;
    if (i0 < i1) ligo__add_span(j->u + i0, j->v + i0, j->o + i0, i1 - i0);
}

static float ligo__bin1(int kind, float u, float v) {
    return kind == LIGO__BIN_ADD ? u + v : kind == LIGO__BIN_SUB ? u - v : kind == LIGO__BIN_MUL ? u * v : u / v;
}

/* Element i = r * bn + j of a meets element j of b (bn = b.n; b of a's
 * shape: bn = a.n, one repeat). */
static void ligo__binary_fwd(ligo_ctx *ctx, ligo_tensor *out, int kind) {
    const ligo_tensor *x = out->src[0], *y = out->src[1];
    int mode = ligo_same_shape(x, y) ? LIGO__BC_SAME : LIGO__BC_REPEAT;
    int64_t r, j, bn = y->n, reps = out->n / y->n;
    ((ligo__binary_param *)out->param)->bc = mode;
    if (mode == LIGO__BC_SAME && kind == LIGO__BIN_ADD) { /* the residual adds: threaded, vectorised */
        ligo__add_job jb;
        jb.u = x->data;
        jb.v = y->data;
        jb.o = out->data;
        jb.n = out->n;
        ligo_parallel_for(ctx, ligo__add_task, &jb, ligo__nth_for(ctx, (double)out->n, 65536.0));
        ligo_flops_add(ctx, (double)out->n, 2.0 * (double)out->n);
        return;
    }
    for (r = 0; r < reps; r++) {
        const float *u = x->data + r * bn;
        float *o = out->data + r * bn;
        for (j = 0; j < bn; j++) o[j] = ligo__bin1(kind, u[j], y->data[j]);
    }
    /* FLOPs, forward and backward: 1 and 2 per element (div: 1 and 4) */
    ligo_flops_add(ctx, (double)out->n, (kind == LIGO__BIN_DIV ? 4.0 : 2.0) * (double)out->n);
}

/* add: da = g, db = g; sub: db = -g; mul: da = g b, db = g a;
 * div: da = g / b, db = -g (a / b) / b. db sums over the repeats. */
static void ligo__binary_bwd(ligo_ctx *ctx, ligo_tensor *out, int kind) {
    ligo_tensor *x = out->src[0], *y = out->src[1];
    const float *g = out->grad;
    int mode = ((const ligo__binary_param *)out->param)->bc;
    float *dx, *dy;
    int64_t r, j, bn = y->n, reps = out->n / y->n;
    if (mode == LIGO__BC_SAME && kind == LIGO__BIN_ADD && x != y) {
        /* the residual adds: x takes over the buffer when it can, y gets a
         * copy; a fresh buffer is stored, not zeroed and accumulated */
        int fresh;
        if (!ligo__grad_pass(ctx, x, out)) {
            dx = ligo__grad_fresh(ctx, x, &fresh);
            if (dx) ligo__acc_or_copy(dx, g, out->n, fresh);
        }
        dy = ligo__grad_fresh(ctx, y, &fresh);
        if (dy) ligo__acc_or_copy(dy, g, out->n, fresh);
        return;
    }
    dx = ligo__grad_of(ctx, x);
    dy = ligo__grad_of(ctx, y);
    for (r = 0; r < reps; r++) {
        const float *gr = g + r * bn, *u = x->data + r * bn, *v = y->data;
        float *dxr = dx ? dx + r * bn : NULL;
        for (j = 0; j < bn; j++) {
            if (dxr) dxr[j] += kind == LIGO__BIN_MUL ? gr[j] * v[j] : kind == LIGO__BIN_DIV ? gr[j] / v[j] : gr[j];
            if (dy)
                dy[j] += kind == LIGO__BIN_ADD   ? gr[j]
                         : kind == LIGO__BIN_SUB ? -gr[j]
                         : kind == LIGO__BIN_MUL ? gr[j] * u[j]
                                                 : -gr[j] * (u[j] / v[j]) / v[j];
        }
    }
}

LIGO__PRIV ligo_status ligo__shape_ADD(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    return ligo__shape_binary(ctx, "add", a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_ADD(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_fwd(ctx, out, LIGO__BIN_ADD); }
LIGO__PRIV void ligo__bwd_ADD(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_bwd(ctx, out, LIGO__BIN_ADD); }

LIGO__PRIV ligo_status ligo__shape_SUB(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    return ligo__shape_binary(ctx, "sub", a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_SUB(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_fwd(ctx, out, LIGO__BIN_SUB); }
LIGO__PRIV void ligo__bwd_SUB(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_bwd(ctx, out, LIGO__BIN_SUB); }

LIGO__PRIV ligo_status ligo__shape_MUL(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    return ligo__shape_binary(ctx, "mul", a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_MUL(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_fwd(ctx, out, LIGO__BIN_MUL); }
LIGO__PRIV void ligo__bwd_MUL(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_bwd(ctx, out, LIGO__BIN_MUL); }

LIGO__PRIV ligo_status ligo__shape_DIV(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    return ligo__shape_binary(ctx, "div", a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_DIV(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_fwd(ctx, out, LIGO__BIN_DIV); }
LIGO__PRIV void ligo__bwd_DIV(ligo_ctx *ctx, ligo_tensor *out) { ligo__binary_bwd(ctx, out, LIGO__BIN_DIV); }

static ligo_tensor *ligo__binary(ligo_ctx *ctx, int op, ligo_tensor *x, ligo_tensor *y) {
    ligo__binary_param p;
    ligo__args a;
    p.bc = LIGO__BC_SAME;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = y;
    return ligo__build(ctx, op, &a);
}

/* Elementwise a op b -> a's shape, b broadcast over a's leading dims: b
 * has a's shape, or a's last dims (leading dims of 1 allowed: a (B, T, C)
 * with b (T, C), (1, T, C) or (C)), or 1 element (a scalar), or b.n equals
 * a's last dim (a row: a bias). b's gradient sums over the broadcast. */
LIGO_API ligo_tensor *ligo_add(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b) { return ligo__binary(ctx, LIGO_OP_ADD, a, b); }
LIGO_API ligo_tensor *ligo_sub(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b) { return ligo__binary(ctx, LIGO_OP_SUB, a, b); }
LIGO_API ligo_tensor *ligo_mul(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b) { return ligo__binary(ctx, LIGO_OP_MUL, a, b); }
/* a / b elementwise, broadcast as ligo_add; IEEE for b = 0 (inf or NaN, no
 * error). */
LIGO_API ligo_tensor *ligo_div(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b) { return ligo__binary(ctx, LIGO_OP_DIV, a, b); }

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__add_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_add(ctx, in[0], in[1]);
}
static ligo_tensor *ligo__sub_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_sub(ctx, in[0], in[1]);
}
static ligo_tensor *ligo__mul_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_mul(ctx, in[0], in[1]);
}
static ligo_tensor *ligo__div_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_div(ctx, in[0], in[1]);
}

/* a op b in float64, b's element i % b.n for a's element i; i0 is the op */
static void ligo__binary_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    int64_t i, bn = in[1]->n;
    for (i = 0; i < in[0]->n; i++) {
        double u = in[0]->data[i], v = in[1]->data[i % bn];
        out[i] = c->i0 == LIGO__BIN_ADD ? u + v : c->i0 == LIGO__BIN_SUB ? u - v : c->i0 == LIGO__BIN_MUL ? u * v : u / v;
    }
}

/* "lead": b has a's trailing dims, broadcast over the leading ones */
LIGO__PRIV int ligo__cases_ADD(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "add same", .run = ligo__add_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {2, {3, 4}, 1.0f}}},
        {.name = "add row", .run = ligo__add_case, .n_in = 2, .in = {{3, {2, 3, 4}, 1.0f}, {1, {4}, 1.0f}}},
        {.name = "add scalar", .run = ligo__add_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {1}, 1.0f}}},
        {.name = "add lead", .run = ligo__add_case, .n_in = 2, .in = {{3, {2, 3, 4}, 1.0f}, {2, {3, 4}, 1.0f}},
         .i0 = LIGO__BIN_ADD, .ref = ligo__binary_ref, .ref_tol = 2e-7},
        {.name = "add lead 4-D", .run = ligo__add_case, .n_in = 2, .in = {{4, {2, 2, 3, 4}, 1.0f}, {3, {1, 3, 4}, 1.0f}},
         .i0 = LIGO__BIN_ADD, .ref = ligo__binary_ref, .ref_tol = 2e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_SUB(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "sub same", .run = ligo__sub_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {2, {3, 4}, 1.0f}}},
        {.name = "sub row", .run = ligo__sub_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {4}, 1.0f}}},
        {.name = "sub lead", .run = ligo__sub_case, .n_in = 2, .in = {{3, {3, 2, 5}, 1.0f}, {2, {2, 5}, 1.0f}},
         .i0 = LIGO__BIN_SUB, .ref = ligo__binary_ref, .ref_tol = 2e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_MUL(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "mul same", .run = ligo__mul_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {2, {3, 4}, 1.0f}}},
        {.name = "mul row", .run = ligo__mul_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {4}, 1.0f}}},
        {.name = "mul scalar", .run = ligo__mul_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {1}, 1.0f}}},
        {.name = "mul lead", .run = ligo__mul_case, .n_in = 2, .in = {{3, {2, 3, 4}, 1.0f}, {2, {3, 4}, 1.0f}},
         .i0 = LIGO__BIN_MUL, .ref = ligo__binary_ref, .ref_tol = 2e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
/* b in (1, 2), away from 0 */
LIGO__PRIV int ligo__cases_DIV(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "div same", .run = ligo__div_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {2, {3, 4}, 0.5f}},
         .offset = {0.0f, 1.5f}, .i0 = LIGO__BIN_DIV, .ref = ligo__binary_ref, .ref_tol = 1e-7},
        {.name = "div row", .run = ligo__div_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {4}, 0.5f}},
         .offset = {0.0f, 1.5f}, .i0 = LIGO__BIN_DIV, .ref = ligo__binary_ref, .ref_tol = 1e-7},
        {.name = "div scalar", .run = ligo__div_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {1, {1}, 0.5f}},
         .offset = {0.0f, 1.5f}, .i0 = LIGO__BIN_DIV, .ref = ligo__binary_ref, .ref_tol = 1e-7},
        {.name = "div lead", .run = ligo__div_case, .n_in = 2, .in = {{3, {2, 3, 4}, 1.0f}, {2, {3, 4}, 0.5f}},
         .offset = {0.0f, 1.5f}, .i0 = LIGO__BIN_DIV, .ref = ligo__binary_ref, .ref_tol = 1e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/binary.c ==== */

/* ==== begin src/ops/bmm.c ==== */
/* ops/bmm.c: batched matmul. out (Bt, M, N) = op(a) (Bt, M, K) @ op(b)
 * (Bt, K, N), op(X) = X or X^T of each (M, K) matrix, with one batch dim
 * or two (a (B, H, M, K), b (B, H, K, N) -> (B, H, M, N)); the batch dims
 * of a and b are equal. Backward per batch as matmul's:
 * d op(A) = G op(B)^T, d op(B) = op(A)^T G.
 * Every product goes through the GEMM choke point: small ones (M N K up to
 * 2^18) as attention's, one batch per thread in turn on
 * ligo__sgemm_small (the hook's when it takes it, else the micro-kernel on
 * a packed op(B)), larger ones one batch after another on ligo__sgemm
 * (threaded inside). The path depends on the shapes only, and each batch
 * is computed by one fixed sequence of operations: results do not depend
 * on the thread count. */

LIGO__OP(BMM, "bmm", 2, 0);

typedef struct ligo__bmm_param {
    int trans_a, trans_b;
} ligo__bmm_param;

#define LIGO__BMM_SMALL ((int64_t)1 << 18)

/* The product's sizes from the operands. */
typedef struct ligo__bmm_dims {
    int64_t Bt, M, N, K, lda, ldb; /* lda, ldb: the row strides of a and b (their last dims) */
    int ta, tb;
} ligo__bmm_dims;

static ligo__bmm_dims ligo__bmm_dims_of(const ligo_tensor *x, const ligo_tensor *y, const ligo__bmm_param *p) {
    ligo__bmm_dims d;
    int nd = x->ndim;
    d.ta = p->trans_a;
    d.tb = p->trans_b;
    d.lda = x->shape[nd - 1];
    d.ldb = y->shape[nd - 1];
    d.M = d.ta ? x->shape[nd - 1] : x->shape[nd - 2];
    d.K = d.ta ? x->shape[nd - 2] : x->shape[nd - 1];
    d.N = d.tb ? y->shape[nd - 2] : y->shape[nd - 1];
    d.Bt = x->n / (x->shape[nd - 1] * x->shape[nd - 2]);
    return d;
}

LIGO__PRIV ligo_status ligo__shape_BMM(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0], *y = a->src[1];
    const ligo__bmm_param *p = (const ligo__bmm_param *)a->param;
    int nd = x->ndim, i;
    ligo__bmm_dims d;
    if ((nd != 3 && nd != 4) || y->ndim != nd)
        return ligo__bad(ctx, LIGO_ESHAPE, "bmm", "operands must both be 3-D (Bt, M, K) or both 4-D, got %s and %s",
                         x, y);
    for (i = 0; i < nd - 2; i++)
        if (x->shape[i] != y->shape[i])
            return ligo__bad(ctx, LIGO_ESHAPE, "bmm", "batch dims differ (%s and %s)", x, y);
    d = ligo__bmm_dims_of(x, y, p);
    if ((d.tb ? y->shape[nd - 1] : y->shape[nd - 2]) != d.K) {
        char bx[64], by[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_bmm: inner dims differ (%s%s @ %s%s)",
                              ligo_shape_str(x, bx, sizeof bx), d.ta ? "^T" : "", ligo_shape_str(y, by, sizeof by),
                              d.tb ? "^T" : "");
    }
    *ndim = nd;
    for (i = 0; i < nd - 2; i++) shape[i] = x->shape[i];
    shape[nd - 2] = d.M;
    shape[nd - 1] = d.N;
    return LIGO_OK;
}

static int ligo__bmm_small(const ligo__bmm_dims *d) {
    return (double)d->M * (double)d->N * (double)d->K <= (double)LIGO__BMM_SMALL;
}

/* One product of a batch, C (m x n) = alpha op(A) op(B) + beta C, for the
 * small path (work: ligo__sgemm_small_work(n, k) floats) or the large. */
typedef struct ligo__bmm_gemm {
    int ta, tb;
    int64_t m, n, k, lda, ldb, ldc;
    const float *A, *B; /* batch 0; batch t at + t * sa, + t * sb */
    float *C;
    int64_t sa, sb, sc;
    float beta;
} ligo__bmm_gemm;

typedef struct ligo__bmm_job {
    ligo__bmm_gemm g;
    int64_t Bt;
    float *work; /* per thread */
    int64_t work_floats;
} ligo__bmm_job;

static void ligo__bmm_task(void *arg, int ith, int nth) {
    const ligo__bmm_job *j = (const ligo__bmm_job *)arg;
    const ligo__bmm_gemm *g = &j->g;
    float *work = j->work + (int64_t)ith * j->work_floats;
    int64_t t;
    for (t = ith; t < j->Bt; t += nth)
        ligo__sgemm_small(g->ta, g->tb, LIGO__TRI_NONE, g->m, g->n, g->k, 1.0f, g->A + t * g->sa, g->lda,
                          g->B + t * g->sb, g->ldb, g->beta, g->C + t * g->sc, g->ldc, work);
}

/* Every batch of one product g, on the path d picks. */
static void ligo__bmm_run(ligo_ctx *ctx, const ligo__bmm_dims *d, const ligo__bmm_gemm *g) {
    int64_t t;
    if (ligo__bmm_small(d)) {
        ligo__bmm_job j;
        int nth = ligo__nth_for(ctx, 2.0 * (double)d->Bt * (double)(d->M * d->N) * (double)d->K, 65536.0);
        if (nth > d->Bt) nth = (int)d->Bt;
        j.g = *g;
        j.Bt = d->Bt;
        j.work_floats = (ligo__sgemm_small_work(g->n, g->k) + 15) / 16 * 16;
        j.work = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch,
                                               (size_t)nth * (size_t)j.work_floats * sizeof(float), "scratch", 0);
        if (!j.work) return;
        ligo_parallel_for(ctx, ligo__bmm_task, &j, nth);
        return;
    }
    for (t = 0; t < d->Bt; t++)
        ligo__sgemm(ctx, g->ta, g->tb, g->m, g->n, g->k, 1.0f, g->A + t * g->sa, g->lda, g->B + t * g->sb, g->ldb,
                    g->beta, g->C + t * g->sc, g->ldc);
}

static ligo__bmm_gemm ligo__bmm_gemm_of(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *A, int64_t lda,
                                        int64_t sa, const float *B, int64_t ldb, int64_t sb, float *C, int64_t ldc,
                                        int64_t sc, float beta) {
    ligo__bmm_gemm g;
    g.ta = ta;
    g.tb = tb;
    g.m = m;
    g.n = n;
    g.k = k;
    g.A = A;
    g.lda = lda;
    g.sa = sa;
    g.B = B;
    g.ldb = ldb;
    g.sb = sb;
    g.C = C;
    g.ldc = ldc;
    g.sc = sc;
    g.beta = beta;
    return g;
}

LIGO__PRIV void ligo__fwd_BMM(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0], *y = out->src[1];
    ligo__bmm_dims d = ligo__bmm_dims_of(x, y, (const ligo__bmm_param *)out->param);
    ligo__bmm_gemm g = ligo__bmm_gemm_of(d.ta, d.tb, d.M, d.N, d.K, x->data, d.lda, d.M * d.K, y->data, d.ldb,
                                         d.K * d.N, out->data, d.N, d.M * d.N, 0.0f);
    ligo__bmm_run(ctx, &d, &g);
    ligo_flops_add(ctx, 2.0 * (double)d.Bt * (double)d.M * (double)d.N * (double)d.K, 0.0);
}

LIGO__PRIV void ligo__bwd_BMM(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0], *y = out->src[1];
    ligo__bmm_dims d = ligo__bmm_dims_of(x, y, (const ligo__bmm_param *)out->param);
    float *dx = ligo__grad_of(ctx, x), *dy = ligo__grad_of(ctx, y);
    const float *G = out->grad;
    int64_t M = d.M, N = d.N, K = d.K, sa = M * K, sb = K * N, sg = M * N;
    double flops = 0.0;
    ligo__bmm_gemm g;
    if (dx) {
        if (!d.ta) /* dA (M, K) += G op(B)^T */
            g = ligo__bmm_gemm_of(0, !d.tb, M, K, N, G, N, sg, y->data, d.ldb, sb, dx, d.lda, sa, 1.0f);
        else /* dA (K, M) += op(B) G^T */
            g = ligo__bmm_gemm_of(d.tb, 1, K, M, N, y->data, d.ldb, sb, G, N, sg, dx, d.lda, sa, 1.0f);
        ligo__bmm_run(ctx, &d, &g);
        flops += 2.0 * (double)d.Bt * (double)M * (double)N * (double)K;
    }
    if (dy && !ligo__failed(ctx)) {
        if (!d.tb) /* dB (K, N) += op(A)^T G */
            g = ligo__bmm_gemm_of(!d.ta, 0, K, N, M, x->data, d.lda, sa, G, N, sg, dy, d.ldb, sb, 1.0f);
        else /* dB (N, K) += G^T op(A) */
            g = ligo__bmm_gemm_of(1, d.ta, N, K, M, G, N, sg, x->data, d.lda, sa, dy, d.ldb, sb, 1.0f);
        ligo__bmm_run(ctx, &d, &g);
        flops += 2.0 * (double)d.Bt * (double)M * (double)N * (double)K;
    }
    ligo_flops_add(ctx, 0.0, flops);
}

/* Batched matmul: op(a) @ op(b) for each batch, op(X) = X or X^T of the
 * last two dims: a (Bt, M, K) (trans_a: (Bt, K, M)) and b (Bt, K, N)
 * (trans_b: (Bt, N, K)) -> (Bt, M, N); or with two batch dims, (B, H, ...)
 * -> (B, H, M, N). The batch dims of a and b must be equal. */
LIGO_API ligo_tensor *ligo_bmm(ligo_ctx *ctx, ligo_tensor *a, ligo_tensor *b, int trans_a, int trans_b) {
    ligo__bmm_param p;
    ligo__args ar;
    p.trans_a = trans_a ? 1 : 0;
    p.trans_b = trans_b ? 1 : 0;
    ar = ligo__args_of(&p, sizeof p);
    ar.src[0] = a;
    ar.src[1] = b;
    return ligo__build(ctx, LIGO_OP_BMM, &ar);
}

#ifdef LIGO_OP_TESTS
/* i0, i1: trans_a, trans_b */
static ligo_tensor *ligo__bmm_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_bmm(ctx, in[0], in[1], (int)c->i0, (int)c->i1);
}

/* the triple loop in float64 for each batch */
static void ligo__bmm_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    ligo__bmm_param p;
    ligo__bmm_dims d;
    int64_t t, i, j, k;
    p.trans_a = (int)c->i0;
    p.trans_b = (int)c->i1;
    d = ligo__bmm_dims_of(in[0], in[1], &p);
    for (t = 0; t < d.Bt; t++)
        for (i = 0; i < d.M; i++)
            for (j = 0; j < d.N; j++) {
                const float *A = in[0]->data + t * d.M * d.K, *B = in[1]->data + t * d.K * d.N;
                double acc = 0.0;
                for (k = 0; k < d.K; k++)
                    acc += (double)(d.ta ? A[k * d.M + i] : A[i * d.K + k]) * (d.tb ? B[j * d.K + k] : B[k * d.N + j]);
                out[(t * d.M + i) * d.N + j] = acc;
            }
}

/* op(a) is 3 x 5, op(b) 5 x 4, over 3 batches (and 2 x 2); the large
 * path is tested in tests/test_prims.c (too large for central differences
 * over every element) */
LIGO__PRIV int ligo__cases_BMM(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "bmm NN", .run = ligo__bmm_case, .n_in = 2, .in = {{3, {3, 3, 5}, 1.0f}, {3, {3, 5, 4}, 1.0f}},
         .ref = ligo__bmm_ref, .ref_tol = 1e-6},
        {.name = "bmm NT", .run = ligo__bmm_case, .n_in = 2, .in = {{3, {3, 3, 5}, 1.0f}, {3, {3, 4, 5}, 1.0f}},
         .i1 = 1, .ref = ligo__bmm_ref, .ref_tol = 1e-6},
        {.name = "bmm TN", .run = ligo__bmm_case, .n_in = 2, .in = {{3, {3, 5, 3}, 1.0f}, {3, {3, 5, 4}, 1.0f}},
         .i0 = 1, .ref = ligo__bmm_ref, .ref_tol = 1e-6},
        {.name = "bmm TT", .run = ligo__bmm_case, .n_in = 2, .in = {{3, {3, 5, 3}, 1.0f}, {3, {3, 4, 5}, 1.0f}},
         .i0 = 1, .i1 = 1, .ref = ligo__bmm_ref, .ref_tol = 1e-6},
        {.name = "bmm 4-D", .run = ligo__bmm_case, .n_in = 2, .in = {{4, {2, 2, 3, 5}, 1.0f}, {4, {2, 2, 4, 5}, 1.0f}},
         .i1 = 1, .ref = ligo__bmm_ref, .ref_tol = 1e-6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/bmm.c ==== */

/* ==== begin src/ops/concat.c ==== */
/* ops/concat.c: two 2-D tensors side by side along axis 0 (rows) or 1 (columns). */

LIGO__OP(CONCAT, "concat", 2, 0);

typedef struct ligo__concat_param {
    int axis;
} ligo__concat_param;

LIGO__PRIV ligo_status ligo__shape_CONCAT(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0], *y = a->src[1];
    int axis = ((const ligo__concat_param *)a->param)->axis;
    if (axis != 0 && axis != 1)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_concat: axis %d is not 0 or 1", axis);
    if (x->ndim != 2 || y->ndim != 2)
        return ligo__bad(ctx, LIGO_ESHAPE, "concat", "operands must be 2-D, got %s and %s", x, y);
    if (x->shape[1 - axis] != y->shape[1 - axis])
        return ligo__bad(ctx, LIGO_ESHAPE, "concat", "%s and %s differ off the concatenation axis", x, y);
    *ndim = 2;
    shape[axis] = x->shape[axis] + y->shape[axis];
    shape[1 - axis] = x->shape[1 - axis];
    return LIGO_OK;
}
/* Row r of out holds [x row r | y row r] (axis 1) or x rows then y rows. */
static void ligo__concat_copy(ligo_tensor *out, int to_out) {
    ligo_tensor *x = out->src[0], *y = out->src[1];
    int64_t r, R = out->shape[0], W = out->shape[1];
    if (((const ligo__concat_param *)out->param)->axis == 0) {
        if (to_out) {
            memcpy(out->data, x->data, (size_t)x->n * sizeof(float));
            memcpy(out->data + x->n, y->data, (size_t)y->n * sizeof(float));
        }
        return;
    }
    for (r = 0; r < R; r++) {
        memcpy(out->data + r * W, x->data + r * x->shape[1], (size_t)x->shape[1] * sizeof(float));
        memcpy(out->data + r * W + x->shape[1], y->data + r * y->shape[1], (size_t)y->shape[1] * sizeof(float));
    }
}
LIGO__PRIV void ligo__fwd_CONCAT(ligo_ctx *ctx, ligo_tensor *out) {
    (void)ctx;
    ligo__concat_copy(out, 1);
}
LIGO__PRIV void ligo__bwd_CONCAT(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0], *y = out->src[1];
    float *dx = ligo__grad_of(ctx, x), *dy = ligo__grad_of(ctx, y);
    int64_t r, R = out->shape[0], W = out->shape[1];
    if (((const ligo__concat_param *)out->param)->axis == 0) {
        if (dx) ligo__acc(dx, out->grad, x->n);
        if (dy) ligo__acc(dy, out->grad + x->n, y->n);
        return;
    }
    for (r = 0; r < R; r++) {
        if (dx) ligo__acc(dx + r * x->shape[1], out->grad + r * W, x->shape[1]);
        if (dy) ligo__acc(dy + r * y->shape[1], out->grad + r * W + x->shape[1], y->shape[1]);
    }
}
/* Concatenate 2-D tensors along axis 0 (rows) or 1 (columns). */
LIGO_API ligo_tensor *ligo_concat(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *y, int axis) {
    ligo__concat_param p;
    ligo__args a;
    p.axis = axis;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = y;
    return ligo__build(ctx, LIGO_OP_CONCAT, &a);
}

#ifdef LIGO_OP_TESTS
/* i0: the axis */
static ligo_tensor *ligo__concat_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_concat(ctx, in[0], in[1], (int)c->i0);
}
LIGO__PRIV int ligo__cases_CONCAT(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "concat rows", .run = ligo__concat_case, .n_in = 2, .in = {{2, {2, 3}, 1.0f}, {2, {4, 3}, 1.0f}}},
        {.name = "concat cols", .run = ligo__concat_case, .n_in = 2, .in = {{2, {3, 2}, 1.0f}, {2, {3, 4}, 1.0f}},
         .i0 = 1},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/concat.c ==== */

/* ==== begin src/ops/cross_entropy.c ==== */
/* ops/cross_entropy.c: mean softmax cross-entropy.
 * logits (R, V), targets (R) in node->ids. loss = mean over counted rows
 * (target not ignore_index) of logsumexp(row) - row[target]. Saves the
 * logsumexp of each row (R). d logits = (softmax - onehot) / count. */

LIGO__OP(CROSS_ENTROPY, "cross_entropy", 1, 0);

typedef struct ligo__cross_entropy_param {
    int32_t ignore_index;
    int64_t count;            /* rows that counted, set by forward */
    float *lse;               /* logsumexp per row (R), saved by forward */
    unsigned char *scalar_row; /* per row: it holds -inf, backward takes the scalar loop */
} ligo__cross_entropy_param;

LIGO__PRIV ligo_status ligo__shape_CROSS_ENTROPY(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0];
    int64_t R = ligo__rows(x), V = ligo__last(x), i;
    int32_t ignore = ((const ligo__cross_entropy_param *)a->param)->ignore_index;
    if (!a->ids) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_cross_entropy: targets is NULL");
    if (a->n_ids != R) {
        char bx[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_cross_entropy: %lld targets for %lld rows of logits %s",
                              (long long)a->n_ids, (long long)R, ligo_shape_str(x, bx, sizeof bx));
    }
    for (i = 0; i < R; i++) {
        int32_t t = a->ids[i];
        if (t != ignore && (t < 0 || (int64_t)t >= V))
            return ligo_set_error(ctx, LIGO_ERANGE, "ligo_cross_entropy: target %ld at row %lld is outside [0, %lld)",
                                  (long)t, (long long)i, (long long)V);
    }
    return ligo__shape_scalar(ndim, shape);
}
/* Threaded over rows; each row's loss is kept and the mean is summed in
 * row order, so the result does not depend on the thread count. */
typedef struct ligo__ce_job {
    ligo_tensor *out;
    float *lse, *dx;
    unsigned char *scalar_row; /* the row holds -inf: backward takes the scalar loop */
    double *row_loss;
    float g;
    int64_t R, V;
    int fresh; /* backward: dx is a new buffer, store instead of adding */
} ligo__ce_job;

/* A row's max and sum of exp(row - max) (in double), eight lanes at a
 * time on AVX2: lane sums in double, added in a fixed order. A row with
 * -inf takes the scalar loop (*neg_inf set), here and in backward. */
#if LIGO__X86
LIGO__AVX2 static double ligo__ce_sumexp_avx2(const float *row, int64_t V, float *mx_out,
                                                                       int *neg_inf) {
    int64_t v, v8 = V / 8 * 8;
    float mx = ligo__row_max_avx2(row, V, neg_inf);
    double d[8], s = 0.0;
    __m256 vm = _mm256_set1_ps(mx);
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    *mx_out = mx;
    if (*neg_inf) {
        for (v = 0; v < V; v++) s += (double)expf(row[v] - mx);
        return s;
    }
    for (v = 0; v < v8; v += 8) {
        __m256 e = ligo__exp8(_mm256_sub_ps(_mm256_loadu_ps(row + v), vm));
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    _mm256_storeu_pd(d, s0);
    _mm256_storeu_pd(d + 4, s1);
    s = ((d[0] + d[1]) + (d[2] + d[3])) + ((d[4] + d[5]) + (d[6] + d[7]));
    for (v = v8; v < V; v++) s += (double)expf(row[v] - mx);
    return s;
}

/* d (+)= g * exp(row - lse) */
LIGO__AVX2 static void ligo__ce_grad_avx2(const float *row, float *d, int64_t V, float lse,
                                                                   float g, int fresh) {
    int64_t v, v8 = V / 8 * 8;
    __m256 vl = _mm256_set1_ps(lse), vg = _mm256_set1_ps(g);
    for (v = 0; v < v8; v += 8) {
        __m256 e = _mm256_mul_ps(vg, ligo__exp8(_mm256_sub_ps(_mm256_loadu_ps(row + v), vl)));
        _mm256_storeu_ps(d + v, fresh ? e : _mm256_add_ps(_mm256_loadu_ps(d + v), e));
    }
    for (v = v8; v < V; v++) d[v] = (fresh ? 0.0f : d[v]) + g * expf(row[v] - lse);
}
#endif

/* The NEON twins (simd.h), lane for lane: the eight double sums are four
 * pairs, lanes 0-3 widened from the low half of each exp, 4-7 from the
 * high half. */
#if LIGO__NEON
static double ligo__ce_sumexp_neon(const float *row, int64_t V, float *mx_out, int *neg_inf) {
    int64_t v, v8 = V / 8 * 8;
    float mx = ligo__row_max_neon(row, V, neg_inf);
    double s = 0.0;
    ligo__f8 vm = ligo__f8_set1(mx);
    float64x2_t s01 = vdupq_n_f64(0.0), s23 = s01, s45 = s01, s67 = s01;
    *mx_out = mx;
    if (*neg_inf) {
        for (v = 0; v < V; v++) s += (double)expf(row[v] - mx);
        return s;
    }
    for (v = 0; v < v8; v += 8) {
        ligo__f8 e = ligo__exp8_neon(ligo__f8_sub(ligo__f8_load(row + v), vm));
        s01 = vaddq_f64(s01, vcvt_f64_f32(vget_low_f32(e.lo)));
        s23 = vaddq_f64(s23, vcvt_high_f64_f32(e.lo));
        s45 = vaddq_f64(s45, vcvt_f64_f32(vget_low_f32(e.hi)));
        s67 = vaddq_f64(s67, vcvt_high_f64_f32(e.hi));
    }
    /* ((d0 + d1) + (d2 + d3)) + ((d4 + d5) + (d6 + d7)) */
    s = (vaddvq_f64(s01) + vaddvq_f64(s23)) + (vaddvq_f64(s45) + vaddvq_f64(s67));
    for (v = v8; v < V; v++) s += (double)expf(row[v] - mx);
    return s;
}

static void ligo__ce_grad_neon(const float *row, float *d, int64_t V, float lse, float g, int fresh) {
    int64_t v, v8 = V / 8 * 8;
    ligo__f8 vl = ligo__f8_set1(lse), vg = ligo__f8_set1(g);
    for (v = 0; v < v8; v += 8) {
        ligo__f8 e = ligo__f8_mul(vg, ligo__exp8_neon(ligo__f8_sub(ligo__f8_load(row + v), vl)));
        ligo__f8_store(d + v, fresh ? e : ligo__f8_add(ligo__f8_load(d + v), e));
    }
    for (v = v8; v < V; v++) d[v] = (fresh ? 0.0f : d[v]) + g * expf(row[v] - lse);
}
#endif

static void ligo__ce_fwd_task(void *arg, int ith, int nth) {
    const ligo__ce_job *j = (const ligo__ce_job *)arg;
    const ligo_tensor *out = j->out, *x = out->src[0];
    int64_t V = j->V, r, v, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    int32_t ignore = ((const ligo__cross_entropy_param *)out->param)->ignore_index;
    int simd = 0;
#if LIGO__X86
    simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    (void)simd;
    for (r = r0; r < r1; r++) {
        const float *row = x->data + r * V;
        float mx = -FLT_MAX;
        double s = 0.0;
        if (out->ids[r] == ignore) continue;
#if LIGO__X86
        if (simd) {
            int neg_inf;
            s = ligo__ce_sumexp_avx2(row, V, &mx, &neg_inf);
            j->scalar_row[r] = (unsigned char)neg_inf;
            j->lse[r] = mx + (float)log(s);
            j->row_loss[r] = (double)j->lse[r] - (double)row[out->ids[r]];
            continue;
        }
#elif LIGO__NEON
        {
            int neg_inf;
            s = ligo__ce_sumexp_neon(row, V, &mx, &neg_inf);
            j->scalar_row[r] = (unsigned char)neg_inf;
            j->lse[r] = mx + (float)log(s);
            j->row_loss[r] = (double)j->lse[r] - (double)row[out->ids[r]];
            continue;
        }
#endif
        for (v = 0; v < V; v++) mx = row[v] > mx ? row[v] : mx;
        for (v = 0; v < V; v++) s += (double)expf(row[v] - mx);
        j->lse[r] = mx + (float)log(s);
        j->row_loss[r] = (double)j->lse[r] - (double)row[out->ids[r]];
    }
}

LIGO__PRIV void ligo__fwd_CROSS_ENTROPY(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0];
    ligo__ce_job j;
    ligo__cross_entropy_param *p = (ligo__cross_entropy_param *)out->param;
    int64_t r, count = 0;
    int32_t ignore = p->ignore_index;
    double total = 0.0;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.R = ligo__rows(x);
    j.V = ligo__last(x);
    j.lse = (float *)ligo_alloc_scratch(ctx, (size_t)j.R * (sizeof(float) + 1));
    j.row_loss = (double *)ligo_alloc_scratch(ctx, (size_t)j.R * sizeof(double));
    if (!j.lse || !j.row_loss) return;
    j.scalar_row = (unsigned char *)(j.lse + j.R);
    memset(j.scalar_row, 0, (size_t)j.R);
    p->lse = j.lse;
    p->scalar_row = j.scalar_row;
    ligo_parallel_for(ctx, ligo__ce_fwd_task, &j, ligo__nth_for(ctx, (double)j.R * (double)j.V, 16384.0));
    for (r = 0; r < j.R; r++) {
        if (out->ids[r] == ignore) continue;
        total += j.row_loss[r];
        count++;
    }
    p->count = count;
    out->data[0] = count ? (float)(total / (double)count) : 0.0f;
    ligo_flops_add(ctx, 4.0 * (double)count * (double)j.V, 0.0);
}

static void ligo__ce_bwd_task(void *arg, int ith, int nth) {
    const ligo__ce_job *j = (const ligo__ce_job *)arg;
    const ligo_tensor *out = j->out, *x = out->src[0];
    int64_t V = j->V, r, v, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    int32_t ignore = ((const ligo__cross_entropy_param *)out->param)->ignore_index;
    const float *lse = ((const ligo__cross_entropy_param *)out->param)->lse;
    const unsigned char *scalar_row = ((const ligo__cross_entropy_param *)out->param)->scalar_row;
    float g = j->g;
    int simd = 0;
#if LIGO__X86
    simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    (void)simd;
    (void)scalar_row;
    for (r = r0; r < r1; r++) {
        const float *row = x->data + r * V;
        float *d = j->dx + r * V;
        if (out->ids[r] == ignore) {
            if (j->fresh) memset(d, 0, (size_t)V * sizeof(float));
            continue;
        }
#if LIGO__X86
        if (simd && !scalar_row[r]) {
            ligo__ce_grad_avx2(row, d, V, lse[r], g, j->fresh);
            d[out->ids[r]] -= g;
            continue;
        }
#elif LIGO__NEON
        if (!scalar_row[r]) {
            ligo__ce_grad_neon(row, d, V, lse[r], g, j->fresh);
            d[out->ids[r]] -= g;
            continue;
        }
#endif
        for (v = 0; v < V; v++) d[v] = (j->fresh ? 0.0f : d[v]) + g * expf(row[v] - lse[r]);
        d[out->ids[r]] -= g;
    }
}

LIGO__PRIV void ligo__bwd_CROSS_ENTROPY(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0];
    ligo__ce_job j;
    int64_t count = ((const ligo__cross_entropy_param *)out->param)->count;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.R = ligo__rows(x);
    j.V = ligo__last(x);
    j.dx = ligo__grad_fresh(ctx, x, &j.fresh);
    if (!j.dx) return;
    if (count == 0) { /* every target ignored: the gradient is zero */
        if (j.fresh) memset(j.dx, 0, (size_t)x->n * sizeof(float));
        return;
    }
    j.g = out->grad[0] / (float)count;
    ligo_parallel_for(ctx, ligo__ce_bwd_task, &j, ligo__nth_for(ctx, (double)j.R * (double)j.V, 16384.0));
    ligo_flops_add(ctx, 0.0, 4.0 * (double)count * (double)j.V);
}
/* Mean softmax cross-entropy of logits (..., V) against n targets (one per
 * row); rows whose target equals ignore_index are left out. Targets outside
 * [0, V) other than ignore_index are LIGO_ERANGE. -> scalar. If no row
 * counts, the loss is 0. */
LIGO_API ligo_tensor *ligo_cross_entropy(ligo_ctx *ctx, ligo_tensor *logits, const int32_t *targets, int64_t n,
                                         int32_t ignore_index) {
    ligo__cross_entropy_param p;
    ligo__args a;
    memset(&p, 0, sizeof p);
    p.ignore_index = ignore_index;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = logits;
    a.ids = targets;
    a.n_ids = n;
    return ligo__build(ctx, LIGO_OP_CROSS_ENTROPY, &a);
}

/* The rows that counted in a ligo_cross_entropy node (targets other than
 * ignore_index): the loss's weight in a mean over batches. 0 for NULL or
 * another node. */
LIGO_API int64_t ligo_cross_entropy_count(const ligo_tensor *loss) {
    if (!loss || loss->op != LIGO_OP_CROSS_ENTROPY) return 0;
    return ((const ligo__cross_entropy_param *)loss->param)->count;
}

#ifdef LIGO_OP_TESTS
/* i0: ignore_index */
static ligo_tensor *ligo__cross_entropy_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_cross_entropy(ctx, in[0], c->ids, c->n_ids, (int32_t)c->i0);
}
LIGO__PRIV int ligo__cases_CROSS_ENTROPY(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "cross_entropy", .run = ligo__cross_entropy_case, .n_in = 1, .in = {{3, {2, 3, 5}, 2.0f}},
         .ids = {0, 4, -100, 2, 2, 1}, .n_ids = 6, .i0 = -100},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/cross_entropy.c ==== */

/* ==== begin src/ops/custom.c ==== */
/* ops/custom.c: custom ops, a user's forward and backward functions on the
 * tape (PyTorch's autograd.Function, ggml's map_custom). The user describes
 * the op once in a ligo_custom_op (src/ligo_api.h: a name, a shape
 * function, forward, backward) and builds nodes of it with ligo_custom;
 * they are ordinary nodes of one registered op, LIGO_OP_CUSTOM, whose
 * parameters hold the description, the user's pointer and the slot
 * ligo_custom_saved gives out:
 *
 *   shape     checks the sources and gives the output's shape (NULL: the
 *             first source's); a refusal is an error naming the op,
 *   forward   runs at once, as every op's, into a zeroed output,
 *   backward  runs when ligo_backward reaches the node and adds into the
 *             sources' gradients (zeroed on first use, as ligo__grad_of's).
 *
 * A callback that fails returns its status and a reason; the context
 * records them as "ligo_custom(NAME): STAGE: reason" and the build (or the
 * backward pass) stops there, with nothing recorded for a failed build. A
 * callback that sets the context's error itself (or whose scratch
 * allocation fails) gets the same prefix in front of that message. Nothing
 * aborts. The gradient checker (ligo_check_grad) works on custom nodes as
 * on any other: tests/test_custom.c checks a user-defined op with it. */

LIGO__OP(CUSTOM, "custom", 0, 0);

typedef struct ligo__custom_param {
    const ligo_custom_op *op;
    void *user;
    void *saved;   /* ligo_custom_saved: forward's to set, backward's to read */
    int64_t n_src; /* 1 to LIGO_MAX_SRC */
} ligo__custom_param;

static const char *ligo__custom_name(const ligo_custom_op *op) { return op && op->name ? op->name : "unnamed"; }

/* The node's sources as the callbacks see them. */
static void ligo__custom_srcs(const ligo_tensor *out, const ligo_tensor **src) {
    int k;
    for (k = 0; k < LIGO_MAX_SRC; k++) src[k] = out->src[k];
}

/* A callback of op failed at stage ("shape", "forward", "backward") with
 * status s and reason msg (may be empty), or it left the context failed.
 * Records the error naming the op and returns the context's status. */
static ligo_status ligo__custom_fail(ligo_ctx *ctx, const ligo_custom_op *op, const char *stage, ligo_status s,
                                     char *msg) {
    const char *name = ligo__custom_name(op);
    msg[LIGO_CUSTOM_MSG - 1] = '\0'; /* a reason that filled the buffer unterminated */
    if (ligo__failed(ctx)) {
        /* the callback set the error itself, or an allocation of its
         * failed: keep status and message, with the op named in front */
        char buf[2 * LIGO__ERRMSG];
        if (strncmp(ctx->errmsg, "ligo_custom(", 12) != 0) {
            snprintf(buf, sizeof buf, "ligo_custom(%s): %s: %s", name, stage, ctx->errmsg);
            memcpy(ctx->errmsg, buf, sizeof ctx->errmsg - 1);
            ctx->errmsg[sizeof ctx->errmsg - 1] = '\0';
        }
        return ctx->status;
    }
    if ((int)s <= (int)LIGO_OK || (int)s >= (int)LIGO_STATUS_COUNT)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_custom(%s): %s returned %d, which is not a failing ligo_status%s%s",
                              name, stage, (int)s, msg[0] ? ": " : "", msg);
    if (msg[0]) return ligo_set_error(ctx, s, "ligo_custom(%s): %s: %s", name, stage, msg);
    return ligo_set_error(ctx, s, "ligo_custom(%s): %s failed (%s)", name, stage, ligo_status_str(s));
}

LIGO__PRIV ligo_status ligo__shape_CUSTOM(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo__custom_param *p = (const ligo__custom_param *)a->param;
    const ligo_custom_op *op = p->op;
    const char *name = ligo__custom_name(op);
    const ligo_tensor *src[LIGO_MAX_SRC];
    char msg[LIGO_CUSTOM_MSG];
    int k, n = (int)p->n_src;
    ligo_status s;
    for (k = 0; k < n; k++) {
        if (!a->src[k])
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_custom(%s): tensor argument %d is NULL", name, k + 1);
        if ((a->src[k]->flags & LIGO_FLAG_NEEDS_GRAD) && !op->backward)
            return ligo_set_error(ctx, LIGO_EINVAL,
                                  "ligo_custom(%s): source %d needs a gradient but the op has no backward", name, k + 1);
        src[k] = a->src[k];
    }
    for (; k < LIGO_MAX_SRC; k++) src[k] = NULL;
    if (!op->shape) {
        ligo__copy_shape(src[0], ndim, shape);
        return LIGO_OK;
    }
    *ndim = 0;
    for (k = 0; k < LIGO_MAX_DIMS; k++) shape[k] = 0;
    msg[0] = '\0';
    s = op->shape(p->user, n, src, ndim, shape, msg);
    if (s != LIGO_OK || ligo__failed(ctx)) return ligo__custom_fail(ctx, op, "shape", s, msg);
    if (*ndim < 1 || *ndim > LIGO_MAX_DIMS)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_custom(%s): shape gave ndim %d (want 1 to %d)", name, *ndim,
                              LIGO_MAX_DIMS);
    for (k = 0; k < *ndim; k++)
        if (shape[k] < 1)
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_custom(%s): shape gave dim %d = %lld (want >= 1)", name, k,
                                  (long long)shape[k]);
    return LIGO_OK;
}

LIGO__PRIV void ligo__fwd_CUSTOM(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo__custom_param *p = (const ligo__custom_param *)out->param;
    const ligo_tensor *src[LIGO_MAX_SRC];
    char msg[LIGO_CUSTOM_MSG];
    ligo_status s;
    ligo__custom_srcs(out, src);
    memset(out->data, 0, (size_t)out->n * sizeof(float));
    msg[0] = '\0';
    s = p->op->forward(ctx, p->user, (int)p->n_src, src, out, msg);
    if (s != LIGO_OK || ligo__failed(ctx)) ligo__custom_fail(ctx, p->op, "forward", s, msg);
}

LIGO__PRIV void ligo__bwd_CUSTOM(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo__custom_param *p = (const ligo__custom_param *)out->param;
    const ligo_tensor *src[LIGO_MAX_SRC];
    float *dsrc[LIGO_MAX_SRC];
    char msg[LIGO_CUSTOM_MSG];
    ligo_status s;
    int k;
    ligo__custom_srcs(out, src);
    for (k = 0; k < LIGO_MAX_SRC; k++) dsrc[k] = k < p->n_src ? ligo__grad_of(ctx, out->src[k]) : NULL;
    if (ligo__failed(ctx) || !p->op->backward) return; /* no backward: the shape check refused such nodes */
    msg[0] = '\0';
    s = p->op->backward(ctx, p->user, (int)p->n_src, src, out, dsrc, msg);
    if (s != LIGO_OK || ligo__failed(ctx)) ligo__custom_fail(ctx, p->op, "backward", s, msg);
}

/* A node of a custom op (ligo_custom_op, src/ligo_api.h): op's shape
 * function checks the n_src sources (1 to LIGO_MAX_SRC, src[0] first) and
 * gives the output's shape, op->forward computes it at once, and
 * op->backward adds the sources' gradients when ligo_backward reaches the
 * node. user is handed to every callback; op and user must stay valid as
 * long as the node (until the scratch region is rewound past it). A
 * failing callback, a NULL op, forward or source, or a source needing a
 * gradient when op->backward is NULL, returns NULL with an error naming
 * the op: "ligo_custom(NAME): ...". FLOPs are the callbacks' to count
 * (ligo_flops_add). Example, y = log(1 + e^x) elementwise:
 *
 *   static ligo_status sp_fwd(ligo_ctx *ctx, void *user, int n, const ligo_tensor *const *src,
 *                             ligo_tensor *out, char *msg) {
 *       int64_t i;
 *       (void)ctx, (void)user, (void)n, (void)msg;
 *       for (i = 0; i < out->n; i++) out->data[i] = log1pf(expf(src[0]->data[i]));
 *       return LIGO_OK;
 *   }
 *   static ligo_status sp_bwd(ligo_ctx *ctx, void *user, int n, const ligo_tensor *const *src,
 *                             const ligo_tensor *out, float *const *dsrc, char *msg) {
 *       int64_t i;
 *       (void)ctx, (void)user, (void)n, (void)msg;
 *       for (i = 0; dsrc[0] && i < out->n; i++)
 *           dsrc[0][i] += out->grad[i] / (1.0f + expf(-src[0]->data[i]));
 *       return LIGO_OK;
 *   }
 *   static const ligo_custom_op softplus = {"softplus", NULL, sp_fwd, sp_bwd};
 *   y = ligo_custom(ctx, &softplus, 1, &x, NULL);
 */
LIGO_API ligo_tensor *ligo_custom(ligo_ctx *ctx, const ligo_custom_op *op, int n_src, ligo_tensor *const *src,
                                  void *user) {
    ligo__custom_param p;
    ligo__args a;
    int k;
    if (ligo__failed(ctx)) return NULL;
    if (!op || !op->forward) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_custom(%s): %s is NULL", ligo__custom_name(op), op ? "forward" : "op");
        return NULL;
    }
    if (n_src < 1 || n_src > LIGO_MAX_SRC || !src) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_custom(%s): %s (want 1 to %d sources)", ligo__custom_name(op),
                       src ? "n_src out of range" : "src is NULL", LIGO_MAX_SRC);
        return NULL;
    }
    p.op = op;
    p.user = user;
    p.saved = NULL;
    p.n_src = n_src;
    a = ligo__args_of(&p, sizeof p);
    for (k = 0; k < n_src; k++) a.src[k] = src[k];
    return ligo__build(ctx, LIGO_OP_CUSTOM, &a);
}

/* The slot of a custom node for what its backward needs (NULL at first):
 * forward may store a pointer there (to scratch memory from
 * ligo_alloc_scratch, which lives as long as the node), backward reads it
 * back: PyTorch's ctx.save_for_backward. NULL for NULL or another node. */
LIGO_API void **ligo_custom_saved(const ligo_tensor *out) {
    if (!out || out->op != LIGO_OP_CUSTOM || !out->param) return NULL;
    return &((ligo__custom_param *)out->param)->saved;
}

#ifdef LIGO_OP_TESTS
/* Two custom ops of the cases: swish_beta, y = x sigmoid(beta x) with beta
 * in the user pointer (shape NULL: x's), and rowdot, y (R) = the rows' dot
 * products of a and b (R, C), which has a shape function and two sources
 * (the same tensor twice: both gradients land in one buffer). */
static float ligo__custom_case_beta = 1.5f;

static ligo_status ligo__swish_fwd(ligo_ctx *ctx, void *user, int n, const ligo_tensor *const *src, ligo_tensor *out,
                                   char *msg) {
    float beta = *(const float *)user;
    int64_t i;
    (void)ctx, (void)n, (void)msg;
    for (i = 0; i < out->n; i++) out->data[i] = src[0]->data[i] / (1.0f + expf(-beta * src[0]->data[i]));
    return LIGO_OK;
}

/* dy/dx = s + beta x s (1 - s), s = sigmoid(beta x) */
static ligo_status ligo__swish_bwd(ligo_ctx *ctx, void *user, int n, const ligo_tensor *const *src,
                                   const ligo_tensor *out, float *const *dsrc, char *msg) {
    float beta = *(const float *)user;
    int64_t i;
    (void)ctx, (void)n, (void)msg;
    for (i = 0; dsrc[0] && i < out->n; i++) {
        float x = src[0]->data[i], s = 1.0f / (1.0f + expf(-beta * x));
        dsrc[0][i] += out->grad[i] * (s + beta * x * s * (1.0f - s));
    }
    return LIGO_OK;
}

static ligo_status ligo__rowdot_shape(void *user, int n, const ligo_tensor *const *src, int *ndim, int64_t *shape,
                                      char *msg) {
    (void)user;
    if (n != 2 || src[0]->ndim != 2 || !ligo_same_shape(src[0], src[1])) {
        snprintf(msg, LIGO_CUSTOM_MSG, "want a and b of one (R, C) shape");
        return LIGO_ESHAPE;
    }
    *ndim = 1;
    shape[0] = src[0]->shape[0];
    return LIGO_OK;
}

static ligo_status ligo__rowdot_fwd(ligo_ctx *ctx, void *user, int n, const ligo_tensor *const *src, ligo_tensor *out,
                                    char *msg) {
    int64_t C = src[0]->shape[1], r, k;
    (void)ctx, (void)user, (void)n, (void)msg;
    for (r = 0; r < out->n; r++)
        for (k = 0; k < C; k++) out->data[r] += src[0]->data[r * C + k] * src[1]->data[r * C + k];
    return LIGO_OK;
}

static ligo_status ligo__rowdot_bwd(ligo_ctx *ctx, void *user, int n, const ligo_tensor *const *src,
                                    const ligo_tensor *out, float *const *dsrc, char *msg) {
    int64_t C = src[0]->shape[1], r, k;
    (void)ctx, (void)user, (void)n, (void)msg;
    for (r = 0; r < out->n; r++)
        for (k = 0; k < C; k++) {
            if (dsrc[0]) dsrc[0][r * C + k] += out->grad[r] * src[1]->data[r * C + k];
            if (dsrc[1]) dsrc[1][r * C + k] += out->grad[r] * src[0]->data[r * C + k];
        }
    return LIGO_OK;
}

static const ligo_custom_op ligo__custom_swish = {"swish_beta", NULL, ligo__swish_fwd, ligo__swish_bwd};
static const ligo_custom_op ligo__custom_rowdot = {"rowdot", ligo__rowdot_shape, ligo__rowdot_fwd, ligo__rowdot_bwd};

/* i0: 0 swish_beta on in[0], 1 rowdot of in[0] and in[1] (of in[0] twice
 * with one input) */
static ligo_tensor *ligo__custom_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    ligo_tensor *two[2];
    if (c->i0 == 0) return ligo_custom(ctx, &ligo__custom_swish, 1, in, &ligo__custom_case_beta);
    two[0] = in[0];
    two[1] = c->n_in == 1 ? in[0] : in[1];
    return ligo_custom(ctx, &ligo__custom_rowdot, 2, two, NULL);
}

static void ligo__custom_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    const ligo_tensor *a = in[0], *b = c->n_in == 1 ? in[0] : in[1];
    int64_t i, k;
    if (c->i0 == 0) {
        for (i = 0; i < a->n; i++) out[i] = a->data[i] / (1.0 + exp(-(double)ligo__custom_case_beta * a->data[i]));
        return;
    }
    for (i = 0; i < a->shape[0]; i++) {
        out[i] = 0.0;
        for (k = 0; k < a->shape[1]; k++) out[i] += (double)a->data[i * a->shape[1] + k] * b->data[i * a->shape[1] + k];
    }
}

LIGO__PRIV int ligo__cases_CUSTOM(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "custom swish_beta", .run = ligo__custom_case, .n_in = 1, .in = {{3, {2, 3, 5}, 3.0f}}, .i0 = 0,
         .ref = ligo__custom_ref, .ref_tol = 2e-6},
        {.name = "custom rowdot", .run = ligo__custom_case, .n_in = 2, .in = {{2, {4, 6}, 1.0f}, {2, {4, 6}, 1.0f}},
         .i0 = 1, .ref = ligo__custom_ref, .ref_tol = 1e-6},
        {.name = "custom rowdot twice", .run = ligo__custom_case, .n_in = 1, .in = {{2, {3, 5}, 1.0f}}, .i0 = 1,
         .ref = ligo__custom_ref, .ref_tol = 1e-6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/custom.c ==== */

/* ==== begin src/ops/dropout.c ==== */
/* ops/dropout.c: inverted dropout. x any shape -> x's shape,
 *   y = x * m / (1 - p),  dx = dy * m / (1 - p),
 * m[i] = 1 (kept) when the i-th draw ligo_rng_uniform(rng) is >= p, else
 * 0: one draw per element in index order on the calling thread, so the
 * mask depends only on the RNG's state and advances it by x.n draws. The
 * mask (one byte per element) is saved for backward. p = 0 is the
 * identity and draws nothing; p = 1 drops everything (y = 0). */

LIGO__OP(DROPOUT, "dropout", 1, 0);

typedef struct ligo__dropout_param {
    float p;
    ligo_rng *rng;        /* the caller's, used by forward only */
    unsigned char *mask;  /* 1 kept, 0 dropped (n); NULL when p = 0 */
} ligo__dropout_param;

LIGO__PRIV ligo_status ligo__shape_DROPOUT(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo__dropout_param *p = (const ligo__dropout_param *)a->param;
    if (!(p->p >= 0.0f && p->p <= 1.0f))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_dropout: p is %g (want 0 <= p <= 1)", (double)p->p);
    if (p->p > 0.0f && !p->rng)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_dropout: rng is NULL with p = %g (only p = 0 needs none)",
                              (double)p->p);
    ligo__copy_shape(a->src[0], ndim, shape);
    return LIGO_OK;
}

/* 1 / (1 - p), or 0 when everything is dropped */
static float ligo__dropout_scale(float p) { return p < 1.0f ? 1.0f / (1.0f - p) : 0.0f; }

LIGO__PRIV void ligo__fwd_DROPOUT(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__dropout_param *p = (ligo__dropout_param *)out->param;
    const float *x = out->src[0]->data;
    float s = ligo__dropout_scale(p->p);
    int64_t i;
    if (p->p == 0.0f) {
        memcpy(out->data, x, (size_t)out->n * sizeof(float));
        return;
    }
    p->mask = (unsigned char *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)out->n, "scratch", 0);
    if (!p->mask) return;
    for (i = 0; i < out->n; i++) {
        p->mask[i] = ligo_rng_uniform(p->rng) >= p->p;
        out->data[i] = p->mask[i] ? x[i] * s : 0.0f;
    }
    p->rng = NULL; /* the caller's: not kept past the build */
    ligo_flops_add(ctx, (double)out->n, (double)out->n);
}

LIGO__PRIV void ligo__bwd_DROPOUT(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo__dropout_param *p = (const ligo__dropout_param *)out->param;
    const float *g = out->grad;
    float s = ligo__dropout_scale(p->p), *dx;
    int64_t i;
    int fresh;
    if (!p->mask) { /* p = 0: the identity */
        if (ligo__grad_pass(ctx, out->src[0], out)) return;
        dx = ligo__grad_fresh(ctx, out->src[0], &fresh);
        if (dx) ligo__acc_or_copy(dx, g, out->n, fresh);
        return;
    }
    dx = ligo__grad_fresh(ctx, out->src[0], &fresh);
    if (!dx) return;
    for (i = 0; i < out->n; i++) {
        float d = p->mask[i] ? g[i] * s : 0.0f;
        dx[i] = fresh ? d : dx[i] + d;
    }
}

/* Inverted dropout: x any shape -> x's shape, each element kept (and
 * scaled by 1 / (1 - p)) or zeroed with probability p, the mask drawn from
 * the caller's rng (element i is kept when the i-th ligo_rng_uniform(rng)
 * draw is >= p) and saved for backward; the same RNG state gives the same
 * mask. p in [0, 1]. For evaluation pass p = 0: the identity, which draws
 * nothing (rng may then be NULL). */
LIGO_API ligo_tensor *ligo_dropout(ligo_ctx *ctx, ligo_tensor *x, float p, ligo_rng *rng) {
    ligo__dropout_param dp;
    ligo__args a;
    dp.p = p;
    dp.rng = rng;
    dp.mask = NULL;
    a = ligo__args_of(&dp, sizeof dp);
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_DROPOUT, &a);
}

#ifdef LIGO_OP_TESTS
/* p = i0 / 100; a fresh RNG of seed i1 on each call, so every rebuild of
 * the gradient check draws the same mask */
static ligo_tensor *ligo__dropout_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    ligo_rng rng;
    ligo_rng_seed(&rng, (uint64_t)c->i1);
    return ligo_dropout(ctx, in[0], (float)c->i0 / 100.0f, &rng);
}

/* the mask from the same draws, the rest in float64 */
static void ligo__dropout_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    ligo_rng rng;
    float p = (float)c->i0 / 100.0f;
    int64_t i;
    ligo_rng_seed(&rng, (uint64_t)c->i1);
    for (i = 0; i < in[0]->n; i++) {
        int keep = p == 0.0f || ligo_rng_uniform(&rng) >= p;
        out[i] = keep ? (double)in[0]->data[i] / (1.0 - (double)p) : 0.0;
    }
}

LIGO__PRIV int ligo__cases_DROPOUT(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "dropout", .run = ligo__dropout_case, .n_in = 1, .in = {{2, {6, 7}, 1.0f}}, .i0 = 30, .i1 = 11,
         .ref = ligo__dropout_ref, .ref_tol = 5e-7},
        {.name = "dropout 3-D", .run = ligo__dropout_case, .n_in = 1, .in = {{3, {2, 3, 8}, 1.0f}}, .i0 = 50, .i1 = 12,
         .ref = ligo__dropout_ref, .ref_tol = 5e-7},
        {.name = "dropout p = 0", .run = ligo__dropout_case, .n_in = 1, .in = {{2, {3, 4}, 1.0f}}, .i0 = 0, .i1 = 13,
         .ref = ligo__dropout_ref, .ref_tol = 0.0},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/dropout.c ==== */

/* ==== begin src/ops/embedding.c ==== */
/* ops/embedding.c: rows of a table (V, C) picked by n ids (node->ids) -> out (n, C). */

LIGO__OP(EMBEDDING, "embedding", 1, 0);

LIGO__PRIV ligo_status ligo__shape_EMBEDDING(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *w = a->src[0];
    int64_t i;
    if (w->ndim != 2) return ligo__bad(ctx, LIGO_ESHAPE, "embedding", "table must be 2-D (V, C), got %s%s", w, NULL);
    if (!a->ids || a->n_ids < 1)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_embedding: ids is NULL or n (%lld) < 1", (long long)a->n_ids);
    for (i = 0; i < a->n_ids; i++)
        if (a->ids[i] < 0 || (int64_t)a->ids[i] >= w->shape[0])
            return ligo_set_error(ctx, LIGO_ERANGE, "ligo_embedding: id %ld at position %lld is outside [0, %lld)",
                                  (long)a->ids[i], (long long)i, (long long)w->shape[0]);
    *ndim = 2;
    shape[0] = a->n_ids;
    shape[1] = w->shape[1];
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_EMBEDDING(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *w = out->src[0];
    int64_t i, C = w->shape[1];
    (void)ctx;
    for (i = 0; i < out->shape[0]; i++)
        memcpy(out->data + i * C, w->data + (int64_t)out->ids[i] * C, (size_t)C * sizeof(float));
}
LIGO__PRIV void ligo__bwd_EMBEDDING(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *w = out->src[0];
    float *dw = ligo__grad_of(ctx, w);
    int64_t i, C = w->shape[1];
    if (!dw) return;
    for (i = 0; i < out->shape[0]; i++) ligo__acc(dw + (int64_t)out->ids[i] * C, out->grad + i * C, C);
    ligo_flops_add(ctx, 0.0, (double)out->n);
}
/* Rows of table (V, C) picked by n ids -> (n, C). Ids outside [0, V) are
 * LIGO_ERANGE. */
LIGO_API ligo_tensor *ligo_embedding(ligo_ctx *ctx, ligo_tensor *table, const int32_t *ids, int64_t n) {
    ligo__args a = ligo__args0();
    a.src[0] = table;
    a.ids = ids;
    a.n_ids = n;
    return ligo__build(ctx, LIGO_OP_EMBEDDING, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__embedding_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_embedding(ctx, in[0], c->ids, c->n_ids);
}
LIGO__PRIV int ligo__cases_EMBEDDING(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "embedding", .run = ligo__embedding_case, .n_in = 1, .in = {{2, {5, 3}, 1.0f}},
         .ids = {4, 0, 4, 2, 1, 4}, .n_ids = 6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/embedding.c ==== */

/* ==== begin src/ops/gelu.c ==== */
/* ops/gelu.c: GELU, tanh approximation (GPT-2's),
 *   y = 0.5 x (1 + tanh(s (x + 0.044715 x^3))),  s = sqrt(2 / pi),
 * with AVX2 and NEON paths, and the pieces ligo_linear_gelu runs in its GEMM
 * epilogue and its backward (ops.h). */

LIGO__OP(GELU, "gelu", 1, 0);

/* Elementwise work, split over threads (forward and backward). */
typedef struct ligo__gelu_job {
    const float *x, *g;
    float *y;
    int64_t n;
    int fresh; /* backward: y is a new buffer, store instead of adding */
} ligo__gelu_job;

#define LIGO__GELU_S 0.7978845608028654f
#define LIGO__GELU_A 0.044715f

/* tanh through one expf: libm's tanhf costs several times more, and the
 * absolute error here (about 1e-7) is what GELU's 1 + tanh needs. expf
 * overflows to infinity for large u, which still gives exactly +-1. */
static float ligo__tanh(float u) { return 1.0f - 2.0f / (1.0f + expf(2.0f * u)); }

LIGO__PRIV ligo_status ligo__shape_GELU(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    ligo__copy_shape(a->src[0], ndim, shape);
    return LIGO_OK;
}
/* GELU is elementwise and costly (an exp and a division per element), so
 * it has an AVX2/FMA path chosen at run time like the GEMM kernel. Work is
 * split in blocks of 8 so that which elements take the vector path does
 * not depend on the thread count (results stay bitwise identical). */
static void ligo__gelu_range(const ligo__gelu_job *j, int ith, int nth, int64_t *i0, int64_t *i1) {
    int64_t blocks = j->n / 8;
    *i0 = blocks * ith / nth * 8;
    *i1 = ith == nth - 1 ? j->n : blocks * (ith + 1) / nth * 8;
}

static float ligo__gelu1(float x) {
    float u = LIGO__GELU_S * (x + LIGO__GELU_A * x * x * x);
    return 0.5f * x * (1.0f + ligo__tanh(u));
}

/* dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) s (1 + 3 a x^2), t = tanh(u). */
static float ligo__gelu_grad1(float x) {
    float u = LIGO__GELU_S * (x + LIGO__GELU_A * x * x * x), t = ligo__tanh(u);
    float du = LIGO__GELU_S * (1.0f + 3.0f * LIGO__GELU_A * x * x);
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
}

#if LIGO__X86
/* t = tanh(u) = 1 - 2 / (1 + e^(2u)) for 8 values of x, with u the GELU
 * argument; also returns x. */
LIGO__AVX2 static __m256 ligo__gelu_tanh8(__m256 x) {
    __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
    __m256 u = _mm256_mul_ps(_mm256_set1_ps(LIGO__GELU_S), _mm256_fmadd_ps(_mm256_set1_ps(LIGO__GELU_A), x3, x));
    __m256 e = ligo__exp8(_mm256_add_ps(u, u));
    return _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e)));
}

LIGO__AVX2 static void ligo__gelu_fwd_avx2(const float *x, float *y, int64_t i0, int64_t i1) {
    int64_t i;
    for (i = i0; i < i1; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), t = ligo__gelu_tanh8(v);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), _mm256_add_ps(_mm256_set1_ps(1.0f), t)));
    }
}

LIGO__AVX2 static void ligo__gelu_bwd_avx2(const float *x, const float *g, float *dx,
                                                                    int64_t i0, int64_t i1, int fresh) {
    int64_t i;
    for (i = i0; i < i1; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), t = ligo__gelu_tanh8(v), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
        __m256 du = _mm256_mul_ps(_mm256_set1_ps(LIGO__GELU_S),
                                  _mm256_fmadd_ps(_mm256_set1_ps(3.0f * LIGO__GELU_A), _mm256_mul_ps(v, v), one));
        __m256 d = _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_mul_ps(_mm256_fnmadd_ps(t, t, one), du));
        d = _mm256_fmadd_ps(half, _mm256_add_ps(one, t), d);
        if (fresh)
            _mm256_storeu_ps(dx + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), d));
        else
            _mm256_storeu_ps(dx + i, _mm256_fmadd_ps(_mm256_loadu_ps(g + i), d, _mm256_loadu_ps(dx + i)));
    }
}

#endif

#if LIGO__NEON
/* The AVX2 functions' twins (simd.h): the same operations, the same bits. */
static ligo__f8 ligo__gelu_tanh8_neon(ligo__f8 x) {
    ligo__f8 x3 = ligo__f8_mul(ligo__f8_mul(x, x), x), one = ligo__f8_set1(1.0f);
    ligo__f8 u = ligo__f8_mul(ligo__f8_set1(LIGO__GELU_S), ligo__f8_fma(ligo__f8_set1(LIGO__GELU_A), x3, x));
    ligo__f8 e = ligo__exp8_neon(ligo__f8_add(u, u));
    return ligo__f8_sub(one, ligo__f8_div(ligo__f8_set1(2.0f), ligo__f8_add(one, e)));
}

static void ligo__gelu_fwd_neon(const float *x, float *y, int64_t i0, int64_t i1) {
    int64_t i;
    for (i = i0; i < i1; i += 8) {
        ligo__f8 v = ligo__f8_load(x + i), t = ligo__gelu_tanh8_neon(v);
        ligo__f8_store(y + i, ligo__f8_mul(ligo__f8_mul(ligo__f8_set1(0.5f), v), ligo__f8_add(ligo__f8_set1(1.0f), t)));
    }
}

static void ligo__gelu_bwd_neon(const float *x, const float *g, float *dx, int64_t i0, int64_t i1, int fresh) {
    int64_t i;
    for (i = i0; i < i1; i += 8) {
        ligo__f8 v = ligo__f8_load(x + i), t = ligo__gelu_tanh8_neon(v), half = ligo__f8_set1(0.5f);
        ligo__f8 one = ligo__f8_set1(1.0f);
        ligo__f8 du = ligo__f8_mul(ligo__f8_set1(LIGO__GELU_S),
                                   ligo__f8_fma(ligo__f8_set1(3.0f * LIGO__GELU_A), ligo__f8_mul(v, v), one));
        ligo__f8 d = ligo__f8_mul(ligo__f8_mul(half, v), ligo__f8_mul(ligo__f8_fnma(t, t, one), du));
        d = ligo__f8_fma(half, ligo__f8_add(one, t), d);
        if (fresh)
            ligo__f8_store(dx + i, ligo__f8_mul(ligo__f8_load(g + i), d));
        else
            ligo__f8_store(dx + i, ligo__f8_fma(ligo__f8_load(g + i), d, ligo__f8_load(dx + i)));
    }
}
#endif

static void ligo__gelu_fwd_task(void *arg, int ith, int nth) {
    const ligo__gelu_job *j = (const ligo__gelu_job *)arg;
    int64_t i, i0, i1, vec_end;
    ligo__gelu_range(j, ith, nth, &i0, &i1);
    vec_end = i0;
#if LIGO__X86
    if (ligo__cpu_simd() >= LIGO__SIMD_AVX2) {
        vec_end = i0 + (i1 - i0) / 8 * 8;
        ligo__gelu_fwd_avx2(j->x, j->y, i0, vec_end);
    }
#elif LIGO__NEON
    vec_end = i0 + (i1 - i0) / 8 * 8;
    ligo__gelu_fwd_neon(j->x, j->y, i0, vec_end);
#endif
    for (i = vec_end; i < i1; i++) j->y[i] = ligo__gelu1(j->x[i]);
}

static void ligo__gelu_bwd_task(void *arg, int ith, int nth) {
    const ligo__gelu_job *j = (const ligo__gelu_job *)arg;
    int64_t i, i0, i1, vec_end;
    ligo__gelu_range(j, ith, nth, &i0, &i1);
    vec_end = i0;
#if LIGO__X86
    if (ligo__cpu_simd() >= LIGO__SIMD_AVX2) {
        vec_end = i0 + (i1 - i0) / 8 * 8;
        ligo__gelu_bwd_avx2(j->x, j->g, j->y, i0, vec_end, j->fresh);
    }
#elif LIGO__NEON
    vec_end = i0 + (i1 - i0) / 8 * 8;
    ligo__gelu_bwd_neon(j->x, j->g, j->y, i0, vec_end, j->fresh);
#endif
    for (i = vec_end; i < i1; i++) j->y[i] = (j->fresh ? 0.0f : j->y[i]) + j->g[i] * ligo__gelu_grad1(j->x[i]);
}

/* The linear op's GELU epilogue: the tile's pre-activation to h (same
 * layout as C), GELU in place, eight at a time where they fit. */
LIGO__PRIV void ligo__gelu_epi(void *user, float *c, int64_t ldc, int64_t mr, int64_t nr, int64_t offset) {
    float *h = (float *)user + offset;
    int64_t i, k, v8 = 0;
#if LIGO__X86
    int simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
    if (simd) v8 = nr / 8 * 8;
#elif LIGO__NEON
    v8 = nr / 8 * 8;
#endif
    for (i = 0; i < mr; i++) {
        float *ci = c + i * ldc, *hi = h + i * ldc;
        memcpy(hi, ci, (size_t)nr * sizeof(float));
#if LIGO__X86
        if (v8) ligo__gelu_fwd_avx2(hi, ci, 0, v8);
#elif LIGO__NEON
        ligo__gelu_fwd_neon(hi, ci, 0, v8);
#endif
        for (k = v8; k < nr; k++) ci[k] = ligo__gelu1(hi[k]);
    }
}

LIGO__PRIV void ligo__fwd_GELU(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__gelu_job j;
    j.x = out->src[0]->data;
    j.g = NULL;
    j.y = out->data;
    j.n = out->n;
    j.fresh = 0;
    ligo_parallel_for(ctx, ligo__gelu_fwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 8.0 * (double)out->n, 0.0);
}
LIGO__PRIV void ligo__gelu_backward(ligo_ctx *ctx, const float *x, const float *g, float *dx, int64_t n, int fresh) {
    ligo__gelu_job j;
    j.x = x;
    j.g = g;
    j.y = dx;
    j.n = n;
    j.fresh = fresh;
    ligo_parallel_for(ctx, ligo__gelu_bwd_task, &j, ligo__nth_for(ctx, (double)n, 16384.0));
}
LIGO__PRIV void ligo__bwd_GELU(ligo_ctx *ctx, ligo_tensor *out) {
    int fresh;
    float *dx = ligo__grad_fresh(ctx, out->src[0], &fresh);
    if (!dx) return;
    ligo__gelu_backward(ctx, out->src[0]->data, out->grad, dx, out->n, fresh);
    ligo_flops_add(ctx, 0.0, 14.0 * (double)out->n);
}
/* GELU, tanh approximation (GPT-2's). */
LIGO_API ligo_tensor *ligo_gelu(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_GELU, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__gelu_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_gelu(ctx, in[0]);
}
LIGO__PRIV int ligo__cases_GELU(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "gelu", .run = ligo__gelu_case, .n_in = 1, .in = {{2, {4, 5}, 3.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/gelu.c ==== */

/* ==== begin src/ops/layernorm.c ==== */
/* ops/layernorm.c: LayerNorm over the last dim.
 * x (R, C), gamma and beta (C). Saves mean and rstd (R each) for backward:
 *   y = (x - mean) * rstd * gamma + beta,   rstd = 1 / sqrt(var + eps)
 *   dx = rstd * (dn - mean(dn) - n * mean(dn * n)),  n = normalised x,
 *   dn = dy * gamma. */

LIGO__OP(LAYERNORM, "layernorm", 3, 0);

typedef struct ligo__layernorm_param {
    float eps;
    float *stats; /* mean (R) then rstd (R), saved by forward */
} ligo__layernorm_param;

LIGO__PRIV ligo_status ligo__shape_LAYERNORM(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0], *g = a->src[1], *b = a->src[2];
    float eps = ((const ligo__layernorm_param *)a->param)->eps;
    int64_t C = ligo__last(x);
    if (g->n != C || b->n != C)
        return ligo__bad(ctx, LIGO_ESHAPE, "layernorm", "gamma %s and beta %s must have the last dim of x", g, b);
    if (!(eps > 0.0f) || !isfinite(eps))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_layernorm: eps %g must be positive", (double)eps);
    ligo__copy_shape(x, ndim, shape);
    return LIGO_OK;
}
/* Threaded over rows. Backward makes one pass: each block of
 * LIGO__LN_RB rows gives dx and its partial sums of dgamma and dbeta,
 * then the partials are added block by block in order. Each value is
 * computed by the same operations in the same order for any thread
 * count. */
#define LIGO__LN_RB 32
typedef struct ligo__ln_job {
    ligo_tensor *out;
    float *dx, *dg, *db;
    float *part;  /* backward: per row block, C dgamma then C dbeta partials */
    int64_t R, C;
    int fresh;    /* dx is a new buffer: store, do not add */
} ligo__ln_job;

/* AVX2 rows: eight partial sums per reduction, added in a fixed order. */
#if LIGO__X86
LIGO__AVX2 static void ligo__ln_row_fwd_avx2(const float *xr, const float *g, const float *b,
                                                                      float *yr, int64_t C, float eps, float *mean_out,
                                                                      float *rstd_out) {
    int64_t c, c8 = C / 8 * 8;
    __m256 acc = _mm256_setzero_ps(), vm, vr;
    float mean, var, rstd;
    for (c = 0; c < c8; c += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(xr + c));
    mean = ligo__hsum8(acc);
    for (c = c8; c < C; c++) mean += xr[c];
    mean /= (float)C;
    vm = _mm256_set1_ps(mean);
    acc = _mm256_setzero_ps();
    for (c = 0; c < c8; c += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(xr + c), vm);
        acc = _mm256_fmadd_ps(d, d, acc);
    }
    var = ligo__hsum8(acc);
    for (c = c8; c < C; c++) var += (xr[c] - mean) * (xr[c] - mean);
    var /= (float)C;
    rstd = 1.0f / sqrtf(var + eps);
    vr = _mm256_set1_ps(rstd);
    for (c = 0; c < c8; c += 8) {
        __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + c), vm), vr);
        _mm256_storeu_ps(yr + c, _mm256_fmadd_ps(n, _mm256_loadu_ps(g + c), _mm256_loadu_ps(b + c)));
    }
    for (c = c8; c < C; c++) yr[c] = (xr[c] - mean) * rstd * g[c] + b[c];
    *mean_out = mean;
    *rstd_out = rstd;
}

LIGO__AVX2 static void ligo__ln_row_dx_avx2(const float *xr, const float *gr, const float *g,
                                                                     float *dx, int64_t C, float mean, float rstd,
                                                                     int fresh, float *pg, float *pb) {
    int64_t c, c8 = C / 8 * 8;
    __m256 vm = _mm256_set1_ps(mean), vr = _mm256_set1_ps(rstd), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps();
    __m256 v1, v2;
    float mdn, mdnn;
    for (c = 0; c < c8; c += 8) {
        __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + c), vm), vr);
        __m256 dn = _mm256_mul_ps(_mm256_loadu_ps(gr + c), _mm256_loadu_ps(g + c));
        a1 = _mm256_add_ps(a1, dn);
        a2 = _mm256_fmadd_ps(dn, n, a2);
    }
    mdn = ligo__hsum8(a1);
    mdnn = ligo__hsum8(a2);
    for (c = c8; c < C; c++) {
        float n = (xr[c] - mean) * rstd, dn = gr[c] * g[c];
        mdn += dn;
        mdnn += dn * n;
    }
    mdn /= (float)C;
    mdnn /= (float)C;
    v1 = _mm256_set1_ps(mdn);
    v2 = _mm256_set1_ps(mdnn);
    for (c = 0; c < c8; c += 8) {
        __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + c), vm), vr);
        __m256 go = _mm256_loadu_ps(gr + c);
        __m256 dn = _mm256_mul_ps(go, _mm256_loadu_ps(g + c));
        __m256 t = _mm256_sub_ps(_mm256_sub_ps(dn, v1), _mm256_mul_ps(n, v2));
        if (dx) {
            if (fresh)
                _mm256_storeu_ps(dx + c, _mm256_mul_ps(vr, t));
            else
                _mm256_storeu_ps(dx + c, _mm256_fmadd_ps(vr, t, _mm256_loadu_ps(dx + c)));
        }
        _mm256_storeu_ps(pg + c, _mm256_fmadd_ps(go, n, _mm256_loadu_ps(pg + c)));
        _mm256_storeu_ps(pb + c, _mm256_add_ps(_mm256_loadu_ps(pb + c), go));
    }
    for (c = c8; c < C; c++) {
        float n = (xr[c] - mean) * rstd, dn = gr[c] * g[c];
        if (dx) dx[c] = (fresh ? 0.0f : dx[c]) + rstd * (dn - mdn - n * mdnn);
        pg[c] += gr[c] * n;
        pb[c] += gr[c];
    }
}

#endif

/* NEON rows: the AVX2 rows' twins (simd.h), the same eight partial sums
 * in the same order. */
#if LIGO__NEON
static void ligo__ln_row_fwd_neon(const float *xr, const float *g, const float *b, float *yr, int64_t C, float eps,
                                  float *mean_out, float *rstd_out) {
    int64_t c, c8 = C / 8 * 8;
    ligo__f8 acc = ligo__f8_set1(0.0f), vm, vr;
    float mean, var, rstd;
    for (c = 0; c < c8; c += 8) acc = ligo__f8_add(acc, ligo__f8_load(xr + c));
    mean = ligo__hsum8_neon(acc);
    for (c = c8; c < C; c++) mean += xr[c];
    mean /= (float)C;
    vm = ligo__f8_set1(mean);
    acc = ligo__f8_set1(0.0f);
    for (c = 0; c < c8; c += 8) {
        ligo__f8 d = ligo__f8_sub(ligo__f8_load(xr + c), vm);
        acc = ligo__f8_fma(d, d, acc);
    }
    var = ligo__hsum8_neon(acc);
    for (c = c8; c < C; c++) var += (xr[c] - mean) * (xr[c] - mean);
    var /= (float)C;
    rstd = 1.0f / sqrtf(var + eps);
    vr = ligo__f8_set1(rstd);
    for (c = 0; c < c8; c += 8) {
        ligo__f8 n = ligo__f8_mul(ligo__f8_sub(ligo__f8_load(xr + c), vm), vr);
        ligo__f8_store(yr + c, ligo__f8_fma(n, ligo__f8_load(g + c), ligo__f8_load(b + c)));
    }
    for (c = c8; c < C; c++) yr[c] = (xr[c] - mean) * rstd * g[c] + b[c];
    *mean_out = mean;
    *rstd_out = rstd;
}

static void ligo__ln_row_dx_neon(const float *xr, const float *gr, const float *g, float *dx, int64_t C, float mean,
                                 float rstd, int fresh, float *pg, float *pb) {
    int64_t c, c8 = C / 8 * 8;
    ligo__f8 vm = ligo__f8_set1(mean), vr = ligo__f8_set1(rstd), a1 = ligo__f8_set1(0.0f), a2 = a1, v1, v2;
    float mdn, mdnn;
    for (c = 0; c < c8; c += 8) {
        ligo__f8 n = ligo__f8_mul(ligo__f8_sub(ligo__f8_load(xr + c), vm), vr);
        ligo__f8 dn = ligo__f8_mul(ligo__f8_load(gr + c), ligo__f8_load(g + c));
        a1 = ligo__f8_add(a1, dn);
        a2 = ligo__f8_fma(dn, n, a2);
    }
    mdn = ligo__hsum8_neon(a1);
    mdnn = ligo__hsum8_neon(a2);
    for (c = c8; c < C; c++) {
        float n = (xr[c] - mean) * rstd, dn = gr[c] * g[c];
        mdn += dn;
        mdnn += dn * n;
    }
    mdn /= (float)C;
    mdnn /= (float)C;
    v1 = ligo__f8_set1(mdn);
    v2 = ligo__f8_set1(mdnn);
    for (c = 0; c < c8; c += 8) {
        ligo__f8 n = ligo__f8_mul(ligo__f8_sub(ligo__f8_load(xr + c), vm), vr);
        ligo__f8 go = ligo__f8_load(gr + c);
        ligo__f8 dn = ligo__f8_mul(go, ligo__f8_load(g + c));
        ligo__f8 t = ligo__f8_sub(ligo__f8_sub(dn, v1), ligo__f8_mul(n, v2));
        if (dx) {
            if (fresh)
                ligo__f8_store(dx + c, ligo__f8_mul(vr, t));
            else
                ligo__f8_store(dx + c, ligo__f8_fma(vr, t, ligo__f8_load(dx + c)));
        }
        ligo__f8_store(pg + c, ligo__f8_fma(go, n, ligo__f8_load(pg + c)));
        ligo__f8_store(pb + c, ligo__f8_add(ligo__f8_load(pb + c), go));
    }
    for (c = c8; c < C; c++) {
        float n = (xr[c] - mean) * rstd, dn = gr[c] * g[c];
        if (dx) dx[c] = (fresh ? 0.0f : dx[c]) + rstd * (dn - mdn - n * mdnn);
        pg[c] += gr[c] * n;
        pb[c] += gr[c];
    }
}
#endif

static void ligo__ln_fwd_task(void *arg, int ith, int nth) {
    const ligo__ln_job *j = (const ligo__ln_job *)arg;
    const ligo_tensor *out = j->out, *x = out->src[0], *g = out->src[1], *b = out->src[2];
    int64_t R = j->R, C = j->C, r, c, r0 = R * ith / nth, r1 = R * (ith + 1) / nth;
    const ligo__layernorm_param *p = (const ligo__layernorm_param *)out->param;
    float eps = p->eps;
    float *stats = p->stats;
#if LIGO__X86
    if (ligo__cpu_simd() >= LIGO__SIMD_AVX2) {
        for (r = r0; r < r1; r++)
            ligo__ln_row_fwd_avx2(x->data + r * C, g->data, b->data, out->data + r * C, C, eps, &stats[r],
                                  &stats[R + r]);
        return;
    }
#elif LIGO__NEON
    for (r = r0; r < r1; r++)
        ligo__ln_row_fwd_neon(x->data + r * C, g->data, b->data, out->data + r * C, C, eps, &stats[r], &stats[R + r]);
    return;
#endif
    for (r = r0; r < r1; r++) {
        const float *xr = x->data + r * C;
        float *yr = out->data + r * C;
        float mean = 0.0f, var = 0.0f, rstd;
        for (c = 0; c < C; c++) mean += xr[c];
        mean /= (float)C;
        for (c = 0; c < C; c++) var += (xr[c] - mean) * (xr[c] - mean);
        var /= (float)C;
        rstd = 1.0f / sqrtf(var + eps);
        for (c = 0; c < C; c++) yr[c] = (xr[c] - mean) * rstd * g->data[c] + b->data[c];
        stats[r] = mean;
        stats[R + r] = rstd;
    }
}

LIGO__PRIV void ligo__fwd_LAYERNORM(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0];
    ligo__ln_job j;
    float *stats;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.R = ligo__rows(x);
    j.C = ligo__last(x);
    stats = (float *)ligo_alloc_scratch(ctx, (size_t)(2 * j.R) * sizeof(float));
    if (!stats) return;
    ((ligo__layernorm_param *)out->param)->stats = stats;
    ligo_parallel_for(ctx, ligo__ln_fwd_task, &j, ligo__nth_for(ctx, (double)j.R * (double)j.C, 16384.0));
    ligo_flops_add(ctx, 8.0 * (double)j.R * (double)j.C, 0.0);
}

static void ligo__ln_bwd_task(void *arg, int ith, int nth) {
    const ligo__ln_job *j = (const ligo__ln_job *)arg;
    const ligo_tensor *out = j->out, *x = out->src[0], *g = out->src[1];
    int64_t R = j->R, C = j->C, r, c, blk;
    int64_t nb = (R + LIGO__LN_RB - 1) / LIGO__LN_RB, b0 = nb * ith / nth, b1 = nb * (ith + 1) / nth;
    const float *stats = ((const ligo__layernorm_param *)out->param)->stats;
#if LIGO__X86
    int simd = ligo__cpu_simd() >= LIGO__SIMD_AVX2;
#endif
    for (blk = b0; blk < b1; blk++) {
        float *pg = j->part + blk * 2 * C, *pb = pg + C;
        int64_t r1 = (blk + 1) * LIGO__LN_RB < R ? (blk + 1) * LIGO__LN_RB : R;
        memset(pg, 0, (size_t)(2 * C) * sizeof(float));
        for (r = blk * LIGO__LN_RB; r < r1; r++) {
            const float *xr = x->data + r * C, *gr = out->grad + r * C;
            float *dx = j->dx ? j->dx + r * C : NULL;
            float mean = stats[r], rstd = stats[R + r], mdn = 0.0f, mdnn = 0.0f;
#if LIGO__X86
            if (simd) {
                ligo__ln_row_dx_avx2(xr, gr, g->data, dx, C, mean, rstd, j->fresh, pg, pb);
                continue;
            }
#elif LIGO__NEON
            ligo__ln_row_dx_neon(xr, gr, g->data, dx, C, mean, rstd, j->fresh, pg, pb);
            continue;
#endif
            for (c = 0; c < C; c++) {
                float n = (xr[c] - mean) * rstd, dn = gr[c] * g->data[c];
                mdn += dn;
                mdnn += dn * n;
            }
            mdn /= (float)C;
            mdnn /= (float)C;
            for (c = 0; c < C; c++) {
                float n = (xr[c] - mean) * rstd, dn = gr[c] * g->data[c];
                if (dx) dx[c] = (j->fresh ? 0.0f : dx[c]) + rstd * (dn - mdn - n * mdnn);
                pg[c] += gr[c] * n;
                pb[c] += gr[c];
            }
        }
    }
}

/* dgamma and dbeta += the blocks' partials, in block order; threads take
 * ranges of columns. */
static void ligo__ln_reduce_task(void *arg, int ith, int nth) {
    const ligo__ln_job *j = (const ligo__ln_job *)arg;
    int64_t C = j->C, c, blk, c0 = C * ith / nth, c1 = C * (ith + 1) / nth;
    int64_t nb = (j->R + LIGO__LN_RB - 1) / LIGO__LN_RB;
    for (blk = 0; blk < nb; blk++) {
        const float *pg = j->part + blk * 2 * C, *pb = pg + C;
        if (j->dg)
            for (c = c0; c < c1; c++) j->dg[c] += pg[c];
        if (j->db)
            for (c = c0; c < c1; c++) j->db[c] += pb[c];
    }
}

LIGO__PRIV void ligo__bwd_LAYERNORM(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0], *g = out->src[1], *b = out->src[2];
    ligo__ln_job j;
    int nth;
    int64_t nb;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.R = ligo__rows(x);
    j.C = ligo__last(x);
    j.dx = ligo__grad_fresh(ctx, x, &j.fresh);
    j.dg = ligo__grad_of(ctx, g);
    j.db = ligo__grad_of(ctx, b);
    if (!j.dx && !j.dg && !j.db) return;
    nb = (j.R + LIGO__LN_RB - 1) / LIGO__LN_RB;
    j.part = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)(nb * 2 * j.C) * sizeof(float), "scratch", 0);
    if (!j.part) return;
    nth = ligo__nth_for(ctx, (double)j.R * (double)j.C, 16384.0);
    if ((int64_t)nth > nb) nth = (int)nb;
    ligo_parallel_for(ctx, ligo__ln_bwd_task, &j, nth);
    if (j.dg || j.db) ligo_parallel_for(ctx, ligo__ln_reduce_task, &j, j.C >= 256 ? nth : 1);
    ligo_flops_add(ctx, 0.0, 14.0 * (double)j.R * (double)j.C);
}
/* LayerNorm over the last dim C with gamma, beta of C floats. */
LIGO_API ligo_tensor *ligo_layernorm(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *gamma, ligo_tensor *beta, float eps) {
    ligo__layernorm_param p;
    ligo__args a;
    p.eps = eps;
    p.stats = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = gamma;
    a.src[2] = beta;
    return ligo__build(ctx, LIGO_OP_LAYERNORM, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__layernorm_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_layernorm(ctx, in[0], in[1], in[2], 1e-5f);
}
LIGO__PRIV int ligo__cases_LAYERNORM(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "layernorm", .run = ligo__layernorm_case, .n_in = 3,
         .in = {{2, {3, 6}, 2.0f}, {1, {6}, 1.0f}, {1, {6}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/layernorm.c ==== */

/* ==== begin src/ops/linear.c ==== */
/* ops/linear.c: the fully connected layer.
 * x (R, in) flattened from (..., in); W (out, in); b (out) or NULL.
 * y (R, out) = x W^T + b, the bias added in the GEMM's epilogue.
 * Backward: dx = G W, dW += G^T x, db += column sums of G.
 * With LIGO__ACT_GELU (ligo_linear_gelu): y = gelu(x W^T + b), GELU applied
 * in the epilogue while each tile is in L1 (gelu.c's ligo__gelu_epi), the
 * pre-activation h saved for backward, where G becomes G * gelu'(h) first. */

LIGO__OP(LINEAR, "linear", 2, 0);

enum { LIGO__ACT_NONE = 0, LIGO__ACT_GELU = 1 };
typedef struct ligo__linear_param {
    int act;  /* LIGO__ACT_* */
    float *h; /* GELU: the pre-activation (R, out), saved by forward */
} ligo__linear_param;

/* Column sums of G (R, C) into out (C), each column summed over rows in
 * order starting from out's value: threads take blocks of columns, and
 * the AVX2 path adds lane by lane, so the result is the same for any
 * thread count and either path. */
typedef struct ligo__colsum_job {
    const float *G;
    float *out;
    int64_t R, C;
} ligo__colsum_job;

#if LIGO__X86
/* 32 columns at a time in four accumulators, rows streamed once. */
LIGO__AVX2 static void ligo__colsum_avx2(const float *G, float *out, int64_t R, int64_t C, int64_t c0, int64_t c1) {
    int64_t c, r;
    for (c = c0; c + 32 <= c1; c += 32) {
        __m256 a0 = _mm256_loadu_ps(out + c), a1 = _mm256_loadu_ps(out + c + 8);
        __m256 a2 = _mm256_loadu_ps(out + c + 16), a3 = _mm256_loadu_ps(out + c + 24);
        for (r = 0; r < R; r++) {
            const float *g = G + r * C + c;
            a0 = _mm256_add_ps(a0, _mm256_loadu_ps(g));
            a1 = _mm256_add_ps(a1, _mm256_loadu_ps(g + 8));
            a2 = _mm256_add_ps(a2, _mm256_loadu_ps(g + 16));
            a3 = _mm256_add_ps(a3, _mm256_loadu_ps(g + 24));
        }
        _mm256_storeu_ps(out + c, a0);
        _mm256_storeu_ps(out + c + 8, a1);
        _mm256_storeu_ps(out + c + 16, a2);
        _mm256_storeu_ps(out + c + 24, a3);
    }
    for (; c + 8 <= c1; c += 8) {
        __m256 a0 = _mm256_loadu_ps(out + c);
        for (r = 0; r < R; r++) a0 = _mm256_add_ps(a0, _mm256_loadu_ps(G + r * C + c));
        _mm256_storeu_ps(out + c, a0);
    }
    for (; c < c1; c++) {
        float a = out[c];
        for (r = 0; r < R; r++) a += G[r * C + c];
        out[c] = a;
    }
}
#endif

#if LIGO__NEON
/* 16 columns at a time in four q registers, rows streamed once; each
 * column is the scalar loop's chain, so any width gives the same bits. */
static void ligo__colsum_neon(const float *G, float *out, int64_t R, int64_t C, int64_t c0, int64_t c1) {
    int64_t c, r;
    for (c = c0; c + 16 <= c1; c += 16) {
        float32x4_t a0 = vld1q_f32(out + c), a1 = vld1q_f32(out + c + 4);
        float32x4_t a2 = vld1q_f32(out + c + 8), a3 = vld1q_f32(out + c + 12);
        for (r = 0; r < R; r++) {
            const float *g = G + r * C + c;
            a0 = vaddq_f32(a0, vld1q_f32(g));
            a1 = vaddq_f32(a1, vld1q_f32(g + 4));
            a2 = vaddq_f32(a2, vld1q_f32(g + 8));
            a3 = vaddq_f32(a3, vld1q_f32(g + 12));
        }
        vst1q_f32(out + c, a0);
        vst1q_f32(out + c + 4, a1);
        vst1q_f32(out + c + 8, a2);
        vst1q_f32(out + c + 12, a3);
    }
    for (; c + 4 <= c1; c += 4) {
        float32x4_t a0 = vld1q_f32(out + c);
        for (r = 0; r < R; r++) a0 = vaddq_f32(a0, vld1q_f32(G + r * C + c));
        vst1q_f32(out + c, a0);
    }
    for (; c < c1; c++) {
        float a = out[c];
        for (r = 0; r < R; r++) a += G[r * C + c];
        out[c] = a;
    }
}
#endif

static void ligo__colsum_task(void *arg, int ith, int nth) {
    const ligo__colsum_job *j = (const ligo__colsum_job *)arg;
    int64_t blocks = (j->C + 31) / 32, c, r;
    int64_t c0 = blocks * ith / nth * 32, c1 = blocks * (ith + 1) / nth * 32;
    if (c1 > j->C) c1 = j->C;
#if LIGO__X86
    if (ligo__cpu_simd() >= LIGO__SIMD_AVX2) {
        ligo__colsum_avx2(j->G, j->out, j->R, j->C, c0, c1);
        return;
    }
#elif LIGO__NEON
    ligo__colsum_neon(j->G, j->out, j->R, j->C, c0, c1);
    return;
#endif
    for (c = c0; c < c1; c++) {
        float a = j->out[c];
        for (r = 0; r < j->R; r++) a += j->G[r * j->C + c];
        j->out[c] = a;
    }
}

LIGO__PRIV ligo_status ligo__shape_LINEAR(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0], *W = a->src[1], *b = a->src[2];
    if (W->ndim != 2) return ligo__bad(ctx, LIGO_ESHAPE, "linear", "weight must be 2-D (out, in), got %s%s", W, NULL);
    if (ligo__last(x) != W->shape[1])
        return ligo__bad(ctx, LIGO_ESHAPE, "linear", "input %s does not fit weight %s (out, in)", x, W);
    if (b && b->n != W->shape[0])
        return ligo__bad(ctx, LIGO_ESHAPE, "linear", "bias %s does not fit weight %s (out, in)", b, W);
    ligo__copy_shape(x, ndim, shape);
    shape[*ndim - 1] = W->shape[0];
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_LINEAR(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0], *W = out->src[1], *b = out->src[2];
    ligo__linear_param *p = (ligo__linear_param *)out->param;
    int64_t R = ligo__rows(x), I = W->shape[1], O = W->shape[0];
    if (p->act == LIGO__ACT_GELU) {
        float *h = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)(R * O) * sizeof(float), "scratch", 0);
        if (!h) return;
        p->h = h;
        ligo__sgemm_epi(ctx, 0, 1, R, O, I, 1.0f, x->data, I, W->data, I, 0.0f, out->data, O, b ? b->data : NULL,
                        ligo__gelu_epi, h);
        ligo_flops_add(ctx, 8.0 * (double)R * (double)O, 0.0);
    } else {
        ligo__sgemm_epi(ctx, 0, 1, R, O, I, 1.0f, x->data, I, W->data, I, 0.0f, out->data, O, b ? b->data : NULL,
                        NULL, NULL);
    }
    ligo_flops_add(ctx, 2.0 * (double)R * (double)I * (double)O + (b ? (double)R * (double)O : 0.0), 0.0);
}
LIGO__PRIV void ligo__bwd_LINEAR(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo__linear_param *p = (const ligo__linear_param *)out->param;
    ligo_tensor *x = out->src[0], *W = out->src[1], *b = out->src[2];
    int64_t R = ligo__rows(x), I = W->shape[1], O = W->shape[0];
    int fresh;
    float *dx = ligo__grad_fresh(ctx, x, &fresh), *dW = ligo__grad_of(ctx, W), *db = b ? ligo__grad_of(ctx, b) : NULL;
    float *dh = NULL;
    const float *G = out->grad;
    double flops = 0.0;
    if (p->act == LIGO__ACT_GELU) { /* G = G * gelu'(h) */
        dh = ligo__grad_temp(ctx, R * O);
        if (!dh) return;
        ligo__gelu_backward(ctx, p->h, G, dh, R * O, 1);
        G = dh;
        flops += 14.0 * (double)R * (double)O;
    }
    if (dx) { /* dx (R, in) (+)= G (R, out) W (out, in) */
        ligo__sgemm(ctx, 0, 0, R, I, O, 1.0f, G, O, W->data, I, fresh ? 0.0f : 1.0f, dx, I);
        flops += 2.0 * (double)R * (double)I * (double)O;
    }
    if (dW) { /* dW (out, in) += G^T x */
        ligo__sgemm(ctx, 1, 0, O, I, R, 1.0f, G, O, x->data, I, 1.0f, dW, I);
        flops += 2.0 * (double)R * (double)I * (double)O;
    }
    if (db) {
        ligo__colsum_job cj;
        int nth = ligo__nth_for(ctx, (double)R * (double)O, 65536.0);
        if ((int64_t)nth > (O + 31) / 32) nth = (int)((O + 31) / 32);
        cj.G = G;
        cj.out = db;
        cj.R = R;
        cj.C = O;
        ligo_parallel_for(ctx, ligo__colsum_task, &cj, nth);
        flops += (double)R * (double)O;
    }
    ligo__grad_release(ctx, dh, R * O);
    ligo_flops_add(ctx, 0.0, flops);
}
static ligo_tensor *ligo__linear_act(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *W, ligo_tensor *b, int act) {
    ligo__linear_param p;
    ligo__args a;
    p.act = act;
    p.h = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = W;
    a.src[2] = b;
    return ligo__build(ctx, LIGO_OP_LINEAR, &a);
}
/* x (..., in) W^T + b: W is (out, in), b is (out) or NULL -> (..., out). */
LIGO_API ligo_tensor *ligo_linear(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *W, ligo_tensor *b) {
    return ligo__linear_act(ctx, x, W, b, LIGO__ACT_NONE);
}
/* gelu(ligo_linear(x, W, b)) as one node: the GELU runs in the product's
 * epilogue, and the tape holds one node instead of two. */
LIGO_API ligo_tensor *ligo_linear_gelu(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *W, ligo_tensor *b) {
    return ligo__linear_act(ctx, x, W, b, LIGO__ACT_GELU);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__linear_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_linear(ctx, in[0], in[1], c->n_in > 2 ? in[2] : NULL);
}
static ligo_tensor *ligo__linear_gelu_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_linear_gelu(ctx, in[0], in[1], c->n_in > 2 ? in[2] : NULL);
}
LIGO__PRIV int ligo__cases_LINEAR(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "linear bias", .run = ligo__linear_case, .n_in = 3,
         .in = {{3, {2, 3, 5}, 1.0f}, {2, {4, 5}, 1.0f}, {1, {4}, 1.0f}}},
        {.name = "linear no bias", .run = ligo__linear_case, .n_in = 2, .in = {{2, {3, 5}, 1.0f}, {2, {4, 5}, 1.0f}}},
        {.name = "linear gelu bias", .run = ligo__linear_gelu_case, .n_in = 3,
         .in = {{3, {2, 3, 5}, 1.0f}, {2, {4, 5}, 1.0f}, {1, {4}, 1.0f}}},
        /* 19 outputs: a full 16-wide tile and an edge */
        {.name = "linear gelu no bias", .run = ligo__linear_gelu_case, .n_in = 2,
         .in = {{2, {7, 5}, 0.5f}, {2, {19, 5}, 0.5f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/linear.c ==== */

/* ==== begin src/ops/matmul.c ==== */
/* ops/matmul.c: out (M, N) = op(a) (M, K) @ op(b) (K, N), op(X) = X or
 * X^T, through the GEMM choke point. */

LIGO__OP(MATMUL, "matmul", 2, 0);

typedef struct ligo__matmul_param {
    int trans_a, trans_b;
} ligo__matmul_param;

LIGO__PRIV ligo_status ligo__shape_MATMUL(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0], *y = a->src[1];
    const ligo__matmul_param *p = (const ligo__matmul_param *)a->param;
    int ta = p->trans_a, tb = p->trans_b;
    if (x->ndim != 2 || y->ndim != 2)
        return ligo__bad(ctx, LIGO_ESHAPE, "matmul", "operands must be 2-D, got %s and %s", x, y);
    if ((ta ? x->shape[0] : x->shape[1]) != (tb ? y->shape[1] : y->shape[0])) {
        char bx[64], by[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_matmul: inner dims differ (%s%s @ %s%s)",
                              ligo_shape_str(x, bx, sizeof bx), ta ? "^T" : "", ligo_shape_str(y, by, sizeof by),
                              tb ? "^T" : "");
    }
    *ndim = 2;
    shape[0] = ta ? x->shape[1] : x->shape[0];
    shape[1] = tb ? y->shape[0] : y->shape[1];
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_MATMUL(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0], *y = out->src[1];
    const ligo__matmul_param *p = (const ligo__matmul_param *)out->param;
    int ta = p->trans_a, tb = p->trans_b;
    int64_t M = out->shape[0], N = out->shape[1], K = ta ? x->shape[0] : x->shape[1];
    ligo__sgemm(ctx, ta, tb, M, N, K, 1.0f, x->data, x->shape[1], y->data, y->shape[1], 0.0f, out->data, N);
    ligo_flops_add(ctx, 2.0 * (double)M * (double)N * (double)K, 0.0);
}
/* With C = op(A) op(B): d op(A) = G op(B)^T and d op(B) = op(A)^T G. */
LIGO__PRIV void ligo__bwd_MATMUL(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0], *y = out->src[1];
    const ligo__matmul_param *p = (const ligo__matmul_param *)out->param;
    int ta = p->trans_a, tb = p->trans_b;
    int64_t M = out->shape[0], N = out->shape[1], K = ta ? x->shape[0] : x->shape[1];
    int64_t lda = x->shape[1], ldb = y->shape[1];
    float *dx = ligo__grad_of(ctx, x), *dy = ligo__grad_of(ctx, y);
    const float *G = out->grad;
    double flops = 0.0;
    if (dx) {
        if (!ta) /* dA (M, K) += G op(B)^T */
            ligo__sgemm(ctx, 0, !tb, M, K, N, 1.0f, G, N, y->data, ldb, 1.0f, dx, lda);
        else /* dA (K, M) += op(B) G^T */
            ligo__sgemm(ctx, tb, 1, K, M, N, 1.0f, y->data, ldb, G, N, 1.0f, dx, lda);
        flops += 2.0 * (double)M * (double)N * (double)K;
    }
    if (dy) {
        if (!tb) /* dB (K, N) += op(A)^T G */
            ligo__sgemm(ctx, !ta, 0, K, N, M, 1.0f, x->data, lda, G, N, 1.0f, dy, ldb);
        else /* dB (N, K) += G^T op(A) */
            ligo__sgemm(ctx, 1, ta, N, K, M, 1.0f, G, N, x->data, lda, 1.0f, dy, ldb);
        flops += 2.0 * (double)M * (double)N * (double)K;
    }
    ligo_flops_add(ctx, 0.0, flops);
}
/* op(a) @ op(b) for 2-D a, b: (M x K) @ (K x N) -> M x N. */
LIGO_API ligo_tensor *ligo_matmul(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *y, int trans_a, int trans_b) {
    ligo__matmul_param p;
    ligo__args a;
    p.trans_a = trans_a ? 1 : 0;
    p.trans_b = trans_b ? 1 : 0;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = y;
    return ligo__build(ctx, LIGO_OP_MATMUL, &a);
}

#ifdef LIGO_OP_TESTS
/* i0, i1: trans_a, trans_b */
static ligo_tensor *ligo__matmul_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_matmul(ctx, in[0], in[1], (int)c->i0, (int)c->i1);
}
LIGO__PRIV int ligo__cases_MATMUL(const ligo_op_case **cases) {
    /* op(a) is 3 x 5, op(b) 5 x 4 */
    static const ligo_op_case c[] = {
        {.name = "matmul NN", .run = ligo__matmul_case, .n_in = 2, .in = {{2, {3, 5}, 1.0f}, {2, {5, 4}, 1.0f}}},
        {.name = "matmul NT", .run = ligo__matmul_case, .n_in = 2, .in = {{2, {3, 5}, 1.0f}, {2, {4, 5}, 1.0f}},
         .i1 = 1},
        {.name = "matmul TN", .run = ligo__matmul_case, .n_in = 2, .in = {{2, {5, 3}, 1.0f}, {2, {5, 4}, 1.0f}},
         .i0 = 1},
        {.name = "matmul TT", .run = ligo__matmul_case, .n_in = 2, .in = {{2, {5, 3}, 1.0f}, {2, {4, 5}, 1.0f}},
         .i0 = 1, .i1 = 1},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/matmul.c ==== */

/* ==== begin src/ops/permute.c ==== */
/* ops/permute.c: the dims of x in another order (a copy): out's dim i is
 * x's dim perm[i], out[j_0, ..., j_n] = x at the index whose dim perm[i]
 * is j_i. E.g. (B, T, NH, hs) with perm {0, 2, 1, 3} -> (B, NH, T, hs), the heads
 * of an attention written from primitives. Backward scatters the
 * gradient back (each element of x has one place in out). */

LIGO__OP(PERMUTE, "permute", 1, 0);

typedef struct ligo__permute_param {
    int ndim;
    int perm[LIGO_MAX_DIMS];
} ligo__permute_param;

LIGO__PRIV ligo_status ligo__shape_PERMUTE(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0];
    const ligo__permute_param *p = (const ligo__permute_param *)a->param;
    int i, seen[LIGO_MAX_DIMS] = {0};
    if (p->ndim != x->ndim)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_permute: %d dims in perm for a %d-D tensor", p->ndim, x->ndim);
    for (i = 0; i < p->ndim; i++) {
        if (p->perm[i] < 0 || p->perm[i] >= p->ndim || seen[p->perm[i]])
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_permute: perm[%d] = %d is out of [0, %d) or repeated", i,
                                  p->perm[i], p->ndim);
        seen[p->perm[i]] = 1;
    }
    *ndim = p->ndim;
    for (i = 0; i < p->ndim; i++) shape[i] = x->shape[p->perm[i]];
    return LIGO_OK;
}

/* Walk out in index order; x's offset of out's element follows from x's
 * strides taken in perm's order. to_x: backward (dx += g) instead of
 * forward (out = x). */
static void ligo__permute_walk(ligo_tensor *out, const float *from, float *to, int to_x) {
    const ligo_tensor *x = out->src[0];
    const ligo__permute_param *p = (const ligo__permute_param *)out->param;
    int64_t xs[LIGO_MAX_DIMS], st[LIGO_MAX_DIMS], idx[LIGO_MAX_DIMS] = {0}, rows, r, j, inner, in_st, off;
    int nd = p->ndim, i;
    xs[nd - 1] = 1;
    for (i = nd - 2; i >= 0; i--) xs[i] = xs[i + 1] * x->shape[i + 1];
    for (i = 0; i < nd; i++) st[i] = xs[p->perm[i]];
    inner = out->shape[nd - 1];
    in_st = st[nd - 1];
    rows = out->n / inner;
    for (r = 0; r < rows; r++) {
        float *o = to_x ? NULL : to + r * inner;
        const float *g = to_x ? from + r * inner : NULL;
        off = 0;
        for (i = 0; i < nd - 1; i++) off += idx[i] * st[i];
        if (to_x)
            for (j = 0; j < inner; j++) to[off + j * in_st] += g[j];
        else
            for (j = 0; j < inner; j++) o[j] = from[off + j * in_st];
        for (i = nd - 2; i >= 0; i--) { /* the next row's index */
            if (++idx[i] < out->shape[i]) break;
            idx[i] = 0;
        }
    }
}

LIGO__PRIV void ligo__fwd_PERMUTE(ligo_ctx *ctx, ligo_tensor *out) {
    (void)ctx;
    ligo__permute_walk(out, out->src[0]->data, out->data, 0);
}
LIGO__PRIV void ligo__bwd_PERMUTE(ligo_ctx *ctx, ligo_tensor *out) {
    float *dx = ligo__grad_of(ctx, out->src[0]);
    if (dx) ligo__permute_walk(out, out->grad, dx, 1);
}

/* x's dims reordered (a copy): out's dim i is x's dim perm[i]; perm holds
 * ndim = x's ndim distinct values in [0, ndim). A 2-D x with {1, 0} is the
 * transpose; (B, T, NH, hs) with {0, 2, 1, 3} gives (B, NH, T, hs). */
LIGO_API ligo_tensor *ligo_permute(ligo_ctx *ctx, ligo_tensor *x, int ndim, const int *perm) {
    ligo__permute_param p;
    ligo__args a;
    int i;
    if (ligo__failed(ctx)) return NULL;
    if (!perm || ndim < 1 || ndim > LIGO_MAX_DIMS) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_permute: ndim %d is outside [1, %d] or perm is NULL", ndim,
                       LIGO_MAX_DIMS);
        return NULL;
    }
    memset(&p, 0, sizeof p);
    p.ndim = ndim;
    for (i = 0; i < ndim; i++) p.perm[i] = perm[i];
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_PERMUTE, &a);
}

#ifdef LIGO_OP_TESTS
/* perm from the digits of i0, most significant first (i1 dims) */
static void ligo__permute_of(const ligo_op_case *c, int *perm) {
    int i;
    int64_t v = c->i0;
    for (i = (int)c->i1 - 1; i >= 0; i--, v /= 10) perm[i] = (int)(v % 10);
}
static ligo_tensor *ligo__permute_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    int perm[LIGO_MAX_DIMS];
    ligo__permute_of(c, perm);
    return ligo_permute(ctx, in[0], (int)c->i1, perm);
}

/* out element by element from its index */
static void ligo__permute_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    const ligo_tensor *x = in[0];
    int perm[LIGO_MAX_DIMS], nd = (int)c->i1, i;
    int64_t os[LIGO_MAX_DIMS], e, n = x->n;
    ligo__permute_of(c, perm);
    for (i = 0; i < nd; i++) os[i] = x->shape[perm[i]];
    for (e = 0; e < n; e++) {
        int64_t rest = e, xi[LIGO_MAX_DIMS], off = 0;
        for (i = nd - 1; i >= 0; i--) {
            xi[perm[i]] = rest % os[i];
            rest /= os[i];
        }
        for (i = 0; i < nd; i++) off = off * x->shape[i] + xi[i];
        out[e] = (double)x->data[off];
    }
}

LIGO__PRIV int ligo__cases_PERMUTE(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "permute heads", .run = ligo__permute_case, .n_in = 1, .in = {{4, {2, 3, 4, 5}, 1.0f}}, .i0 = 213,
         .i1 = 4, .ref = ligo__permute_ref, .ref_tol = 0.0},
        {.name = "permute 3-D", .run = ligo__permute_case, .n_in = 1, .in = {{3, {2, 3, 4}, 1.0f}}, .i0 = 201,
         .i1 = 3, .ref = ligo__permute_ref, .ref_tol = 0.0},
        {.name = "permute 2-D", .run = ligo__permute_case, .n_in = 1, .in = {{2, {3, 5}, 1.0f}}, .i0 = 10, .i1 = 2,
         .ref = ligo__permute_ref, .ref_tol = 0.0},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/permute.c ==== */

/* ==== begin src/ops/reduce.c ==== */
/* ops/reduce.c: sum and mean of every element, summed in double in index order. */

LIGO__OP(SUM, "sum", 1, 0);
LIGO__OP(MEAN, "mean", 1, 0);

static void ligo__reduce_fwd(ligo_ctx *ctx, ligo_tensor *out, double scale) {
    const ligo_tensor *x = out->src[0];
    double acc = 0.0;
    int64_t i;
    for (i = 0; i < x->n; i++) acc += (double)x->data[i];
    out->data[0] = (float)(acc * scale);
    ligo_flops_add(ctx, (double)x->n, (double)x->n);
}
static void ligo__reduce_bwd(ligo_ctx *ctx, ligo_tensor *out, double scale) {
    ligo_tensor *x = out->src[0];
    float *dx = ligo__grad_of(ctx, x);
    float g = (float)((double)out->grad[0] * scale);
    int64_t i;
    if (dx)
        for (i = 0; i < x->n; i++) dx[i] += g;
}
LIGO__PRIV ligo_status ligo__shape_SUM(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    (void)a;
    return ligo__shape_scalar(ndim, shape);
}
LIGO__PRIV void ligo__fwd_SUM(ligo_ctx *ctx, ligo_tensor *out) { ligo__reduce_fwd(ctx, out, 1.0); }
LIGO__PRIV void ligo__bwd_SUM(ligo_ctx *ctx, ligo_tensor *out) { ligo__reduce_bwd(ctx, out, 1.0); }
LIGO__PRIV ligo_status ligo__shape_MEAN(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    (void)a;
    return ligo__shape_scalar(ndim, shape);
}
LIGO__PRIV void ligo__fwd_MEAN(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__reduce_fwd(ctx, out, 1.0 / (double)out->src[0]->n);
}
LIGO__PRIV void ligo__bwd_MEAN(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__reduce_bwd(ctx, out, 1.0 / (double)out->src[0]->n);
}
/* The sum of every element -> scalar. */
LIGO_API ligo_tensor *ligo_sum(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_SUM, &a);
}
/* The mean of every element -> scalar. */
LIGO_API ligo_tensor *ligo_mean(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_MEAN, &a);
}

#ifdef LIGO_OP_TESTS
/* of a square, so that the gradient is not constant */
static ligo_tensor *ligo__sum_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_sum(ctx, ligo_mul(ctx, in[0], in[0]));
}
static ligo_tensor *ligo__mean_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_mean(ctx, ligo_mul(ctx, in[0], in[0]));
}
LIGO__PRIV int ligo__cases_SUM(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "sum", .run = ligo__sum_case, .n_in = 1, .in = {{2, {3, 4}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_MEAN(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "mean", .run = ligo__mean_case, .n_in = 1, .in = {{2, {3, 4}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/reduce.c ==== */

/* ==== begin src/ops/reshape.c ==== */
/* ops/reshape.c: a view (LIGO__OP_VIEW): the output shares the input's
 * floats under another shape; backward hands the gradient through. */

LIGO__OP(RESHAPE, "reshape", 1, LIGO__OP_VIEW);

typedef struct ligo__reshape_param {
    int ndim;
    int64_t shape[LIGO_MAX_DIMS];
} ligo__reshape_param;

LIGO__PRIV ligo_status ligo__shape_RESHAPE(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo__reshape_param *p = (const ligo__reshape_param *)a->param;
    int nd = p->ndim, i;
    int64_t n;
    ligo_status s;
    s = ligo_shape_numel(nd, p->shape, &n);
    if (s != LIGO_OK) return ligo_set_error(ctx, s, "ligo_reshape: invalid shape (%s)", ligo_status_str(s));
    if (n != a->src[0]->n) {
        char bx[64];
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_reshape: %lld elements cannot hold a %s tensor",
                              (long long)n, ligo_shape_str(a->src[0], bx, sizeof bx));
    }
    *ndim = nd;
    for (i = 0; i < nd; i++) shape[i] = p->shape[i];
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_RESHAPE(ligo_ctx *ctx, ligo_tensor *out) {
    (void)ctx;
    (void)out;
}
LIGO__PRIV void ligo__bwd_RESHAPE(ligo_ctx *ctx, ligo_tensor *out) {
    const float *g = out->grad;
    float *dx;
    int fresh;
    if (ligo__grad_pass(ctx, out->src[0], out)) return; /* a view: the same gradient */
    dx = ligo__grad_fresh(ctx, out->src[0], &fresh);
    if (dx) ligo__acc_or_copy(dx, g, out->n, fresh);
}
/* The same floats under another shape of as many elements: a view (no
 * copy) with a gradient of its own. */
LIGO_API ligo_tensor *ligo_reshape(ligo_ctx *ctx, ligo_tensor *x, int ndim, const int64_t *shape) {
    ligo__reshape_param p;
    ligo__args a;
    int i;
    if (ligo__failed(ctx)) return NULL;
    if (!shape || ndim < 1 || ndim > LIGO_MAX_DIMS) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_reshape: ndim %d is outside [1, %d] or shape is NULL", ndim, LIGO_MAX_DIMS);
        return NULL;
    }
    memset(&p, 0, sizeof p);
    p.ndim = ndim;
    for (i = 0; i < ndim; i++) p.shape[i] = shape[i];
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_RESHAPE, &a);
}

#ifdef LIGO_OP_TESTS
/* through a product, so that the view's gradient feeds a real op */
static ligo_tensor *ligo__reshape_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    int64_t s[3] = {2, 3, 2};
    ligo_tensor *a = ligo_reshape(ctx, in[0], 3, s);
    (void)c;
    return ligo_mul(ctx, a, ligo_reshape(ctx, in[1], 3, s));
}
LIGO__PRIV int ligo__cases_RESHAPE(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "reshape", .run = ligo__reshape_case, .n_in = 2, .in = {{2, {3, 4}, 1.0f}, {2, {4, 3}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/reshape.c ==== */

/* ==== begin src/ops/rmsnorm.c ==== */
/* ops/rmsnorm.c: RMSNorm over the last dim, as LLaMA's (Zhang and
 * Sennrich 2019; Hugging Face's LlamaRMSNorm). x (R, C), gamma (C):
 *   y = x * r * gamma,   r = 1 / sqrt(mean(x^2) + eps)   (per row),
 *   dx = r * (dn - n * mean(dn * n)),  n = x * r,  dn = dy * gamma,
 *   dgamma = sum over rows of dy * n.
 * r (R) is saved for backward. Forward and dx are threaded over rows,
 * dgamma over columns (each column summed over rows in order), so the
 * result does not depend on the thread count. */

LIGO__OP(RMSNORM, "rmsnorm", 2, 0);

typedef struct ligo__rmsnorm_param {
    float eps;
    float *r; /* 1 / rms of each row (R), saved by forward */
} ligo__rmsnorm_param;

typedef struct ligo__rms_job {
    ligo_tensor *out;
    float *dx, *dg;
    int64_t R, C;
    int fresh; /* dx is a new buffer: store, do not add */
} ligo__rms_job;

LIGO__PRIV ligo_status ligo__shape_RMSNORM(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0], *g = a->src[1];
    float eps = ((const ligo__rmsnorm_param *)a->param)->eps;
    if (g->n != ligo__last(x))
        return ligo__bad(ctx, LIGO_ESHAPE, "rmsnorm", "gamma %s must have the last dim of x %s", g, x);
    if (!(eps > 0.0f) || !isfinite(eps))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_rmsnorm: eps %g must be positive and finite", (double)eps);
    ligo__copy_shape(x, ndim, shape);
    return LIGO_OK;
}

static void ligo__rms_fwd_task(void *arg, int ith, int nth) {
    const ligo__rms_job *j = (const ligo__rms_job *)arg;
    const ligo_tensor *x = j->out->src[0], *g = j->out->src[1];
    ligo__rmsnorm_param *p = (ligo__rmsnorm_param *)j->out->param;
    int64_t r, c, C = j->C, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    for (r = r0; r < r1; r++) {
        const float *xr = x->data + r * C;
        float *yr = j->out->data + r * C, rs;
        double ss = 0.0;
        for (c = 0; c < C; c++) ss += (double)xr[c] * (double)xr[c];
        rs = (float)(1.0 / sqrt(ss / (double)C + (double)p->eps));
        p->r[r] = rs;
        for (c = 0; c < C; c++) yr[c] = xr[c] * rs * g->data[c];
    }
}

static void ligo__rms_dx_task(void *arg, int ith, int nth) {
    const ligo__rms_job *j = (const ligo__rms_job *)arg;
    const ligo_tensor *x = j->out->src[0], *g = j->out->src[1];
    const float *rr = ((const ligo__rmsnorm_param *)j->out->param)->r;
    int64_t r, c, C = j->C, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    for (r = r0; r < r1; r++) {
        const float *xr = x->data + r * C, *gr = j->out->grad + r * C;
        float *dx = j->dx + r * C, rs = rr[r], m;
        double acc = 0.0;
        for (c = 0; c < C; c++) acc += (double)(gr[c] * g->data[c]) * (double)(xr[c] * rs);
        m = (float)(acc / (double)C);
        for (c = 0; c < C; c++) {
            float d = rs * (gr[c] * g->data[c] - xr[c] * rs * m);
            dx[c] = j->fresh ? d : dx[c] + d;
        }
    }
}

static void ligo__rms_dg_task(void *arg, int ith, int nth) {
    const ligo__rms_job *j = (const ligo__rms_job *)arg;
    const ligo_tensor *x = j->out->src[0];
    const float *rr = ((const ligo__rmsnorm_param *)j->out->param)->r;
    int64_t r, c, C = j->C, c0 = C * ith / nth, c1 = C * (ith + 1) / nth;
    for (r = 0; r < j->R; r++) {
        const float *xr = x->data + r * C, *gr = j->out->grad + r * C;
        for (c = c0; c < c1; c++) j->dg[c] += gr[c] * xr[c] * rr[r];
    }
}

/* FLOPs: 4 per element forward, 9 backward. */
LIGO__PRIV void ligo__fwd_RMSNORM(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__rms_job j;
    ligo__rmsnorm_param *p = (ligo__rmsnorm_param *)out->param;
    memset(&j, 0, sizeof j);
    j.out = out;
    j.C = ligo__last(out);
    j.R = ligo__rows(out);
    p->r = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)j.R * sizeof(float), "scratch", 0);
    if (!p->r) return;
    ligo_parallel_for(ctx, ligo__rms_fwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 4.0 * (double)out->n, 0.0);
}

LIGO__PRIV void ligo__bwd_RMSNORM(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__rms_job j;
    int nth = ligo__nth_for(ctx, (double)out->n, 16384.0);
    memset(&j, 0, sizeof j);
    j.out = out;
    j.C = ligo__last(out);
    j.R = ligo__rows(out);
    j.dx = ligo__grad_fresh(ctx, out->src[0], &j.fresh);
    if (j.dx) ligo_parallel_for(ctx, ligo__rms_dx_task, &j, nth);
    j.dg = ligo__grad_of(ctx, out->src[1]);
    if (j.dg) ligo_parallel_for(ctx, ligo__rms_dg_task, &j, nth);
    ligo_flops_add(ctx, 0.0, 9.0 * (double)out->n);
}

/* RMSNorm over the last dim, as LLaMA's: x (..., C), gamma (C) -> x's
 * shape, y = x / sqrt(mean(x^2) + eps) * gamma per row; eps > 0 (LLaMA
 * 1e-6, 1e-5). */
LIGO_API ligo_tensor *ligo_rmsnorm(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *gamma, float eps) {
    ligo__rmsnorm_param p;
    ligo__args a;
    p.eps = eps;
    p.r = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    a.src[1] = gamma;
    return ligo__build(ctx, LIGO_OP_RMSNORM, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__rmsnorm_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_rmsnorm(ctx, in[0], in[1], 1e-5f);
}

/* x / sqrt(mean(x^2) + 1e-5) * gamma in float64 */
static void ligo__rmsnorm_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    int64_t C = ligo__last(in[0]), R = in[0]->n / C, r, k;
    (void)c;
    for (r = 0; r < R; r++) {
        const float *x = in[0]->data + r * C;
        double ss = 0.0;
        for (k = 0; k < C; k++) ss += (double)x[k] * x[k];
        for (k = 0; k < C; k++) out[r * C + k] = x[k] / sqrt(ss / (double)C + 1e-5) * in[1]->data[k];
    }
}

/* gamma in (0.5, 1.5), as a trained gain */
LIGO__PRIV int ligo__cases_RMSNORM(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "rmsnorm", .run = ligo__rmsnorm_case, .n_in = 2, .in = {{2, {4, 8}, 2.0f}, {1, {8}, 0.5f}},
         .offset = {0.0f, 1.0f}, .ref = ligo__rmsnorm_ref, .ref_tol = 1e-6},
        {.name = "rmsnorm 3-D", .run = ligo__rmsnorm_case, .n_in = 2, .in = {{3, {2, 3, 6}, 1.0f}, {1, {6}, 0.5f}},
         .offset = {0.0f, 1.0f}, .ref = ligo__rmsnorm_ref, .ref_tol = 1e-6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/rmsnorm.c ==== */

/* ==== begin src/ops/rope.c ==== */
/* ops/rope.c: rotary position embeddings (Su et al. 2021) in the
 * rotate-half pairing of Hugging Face's LLaMA (rotate_half,
 * apply_rotary_pos_emb). x (B, T, C) holds NH heads of hs = C / NH (hs
 * even) side by side; in each head, dim i pairs with i + hs/2 and the pair
 * turns by the angle a = (pos0 + t) * base^(-2i / hs), i < hs/2:
 *   y_i        = x_i cos a - x_{i+hs/2} sin a,
 *   y_{i+hs/2} = x_{i+hs/2} cos a + x_i sin a.
 * Backward turns the gradient back by -a (a rotation's inverse is its
 * transpose). The cos / sin table (T, hs/2) is computed in double once
 * per node and saved. Threaded over the B T rows. */

LIGO__OP(ROPE, "rope", 1, 0);

typedef struct ligo__rope_param {
    int64_t n_head, pos0;
    float base;
    float *cs; /* (T, hs/2) cos, then (T, hs/2) sin, saved by forward */
} ligo__rope_param;

LIGO__PRIV ligo_status ligo__shape_ROPE(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0];
    const ligo__rope_param *p = (const ligo__rope_param *)a->param;
    int64_t C;
    if (x->ndim != 3) return ligo__bad(ctx, LIGO_ESHAPE, "rope", "x must be (B, T, C), got %s%s", x, NULL);
    C = x->shape[2];
    if (p->n_head < 1 || C % p->n_head != 0 || (C / p->n_head) % 2 != 0)
        return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_rope: %lld heads do not split C = %lld into heads of even size",
                              (long long)p->n_head, (long long)C);
    if (!(p->base > 0.0f) || !isfinite(p->base))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_rope: base is %g (want a finite base > 0)", (double)p->base);
    if (p->pos0 < 0 || p->pos0 > ((int64_t)1 << 40))
        return ligo_set_error(ctx, LIGO_ERANGE, "ligo_rope: pos0 is %lld (want 0 to 2^40)", (long long)p->pos0);
    ligo__copy_shape(x, ndim, shape);
    return LIGO_OK;
}

typedef struct ligo__rope_job {
    const float *src; /* forward: x; backward: dy */
    float *dst;       /* forward: y; backward: dx */
    const float *cs;
    int64_t R, T, C, hs;
    float sign;       /* +1 forward, -1 backward (the inverse rotation) */
    int add;          /* backward into a gradient that holds something: add */
} ligo__rope_job;

static void ligo__rope_task(void *arg, int ith, int nth) {
    const ligo__rope_job *j = (const ligo__rope_job *)arg;
    int64_t half = j->hs / 2, r, h, i, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    for (r = r0; r < r1; r++) {
        int64_t t = r % j->T;
        const float *co = j->cs + t * half, *si = j->cs + (j->T + t) * half;
        for (h = 0; h < j->C; h += j->hs) {
            const float *u = j->src + r * j->C + h;
            float *o = j->dst + r * j->C + h;
            for (i = 0; i < half; i++) {
                float s = j->sign * si[i], a = u[i], b = u[i + half];
                float y0 = a * co[i] - b * s, y1 = b * co[i] + a * s;
                o[i] = j->add ? o[i] + y0 : y0;
                o[i + half] = j->add ? o[i + half] + y1 : y1;
            }
        }
    }
}

static void ligo__rope_run(ligo_ctx *ctx, ligo_tensor *out, const float *src, float *dst, float sign, int add) {
    const ligo__rope_param *p = (const ligo__rope_param *)out->param;
    ligo__rope_job j;
    j.src = src;
    j.dst = dst;
    j.cs = p->cs;
    j.T = out->shape[1];
    j.C = out->shape[2];
    j.R = out->shape[0] * j.T;
    j.hs = j.C / p->n_head;
    j.sign = sign;
    j.add = add;
    ligo_parallel_for(ctx, ligo__rope_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
}

/* FLOPs: 3 per element each way. */
LIGO__PRIV void ligo__fwd_ROPE(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__rope_param *p = (ligo__rope_param *)out->param;
    int64_t T = out->shape[1], hs = out->shape[2] / p->n_head, half = hs / 2, t, i;
    p->cs = (float *)ligo__arena_alloc_ex(ctx, &ctx->scratch, (size_t)(2 * T * half) * sizeof(float), "scratch", 0);
    if (!p->cs) return;
    for (i = 0; i < half; i++) {
        double f = pow((double)p->base, -2.0 * (double)i / (double)hs);
        for (t = 0; t < T; t++) {
            double a = (double)(p->pos0 + t) * f;
            p->cs[t * half + i] = (float)cos(a);
            p->cs[(T + t) * half + i] = (float)sin(a);
        }
    }
    ligo__rope_run(ctx, out, out->src[0]->data, out->data, 1.0f, 0);
    ligo_flops_add(ctx, 3.0 * (double)out->n, 0.0);
}

LIGO__PRIV void ligo__bwd_ROPE(ligo_ctx *ctx, ligo_tensor *out) {
    int fresh;
    float *dx = ligo__grad_fresh(ctx, out->src[0], &fresh);
    if (!dx) return;
    ligo__rope_run(ctx, out, out->grad, dx, -1.0f, !fresh);
    ligo_flops_add(ctx, 0.0, 3.0 * (double)out->n);
}

/* Rotary position embeddings, as Hugging Face's LLaMA (rotate_half): x
 * (B, T, C) holds n_head heads of hs = C / n_head (even) dims; in each
 * head, dim i and i + hs/2 (i < hs/2) turn by the angle
 * (pos0 + t) * base^(-2i / hs) at position t -> x's shape. base > 0
 * (LLaMA: 10000); pos0 >= 0 is the first position (a cache's length when
 * decoding). Apply it to the queries and the keys before the scores. */
LIGO_API ligo_tensor *ligo_rope(ligo_ctx *ctx, ligo_tensor *x, int64_t n_head, float base, int64_t pos0) {
    ligo__rope_param p;
    ligo__args a;
    p.n_head = n_head;
    p.pos0 = pos0;
    p.base = base;
    p.cs = NULL;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_ROPE, &a);
}

#ifdef LIGO_OP_TESTS
/* i0 heads, i1 pos0, ids[0] base */
static ligo_tensor *ligo__rope_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_rope(ctx, in[0], c->i0, (float)c->ids[0], c->i1);
}

/* every pair turned in float64 */
static void ligo__rope_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    const ligo_tensor *x = in[0];
    int64_t T = x->shape[1], C = x->shape[2], hs = C / c->i0, half = hs / 2, r, h, i;
    for (r = 0; r < x->n / C; r++)
        for (h = 0; h < C; h += hs)
            for (i = 0; i < half; i++) {
                double a = (double)(c->i1 + r % T) * pow((double)c->ids[0], -2.0 * (double)i / (double)hs);
                double u = x->data[r * C + h + i], v = x->data[r * C + h + i + half];
                out[r * C + h + i] = u * cos(a) - v * sin(a);
                out[r * C + h + i + half] = v * cos(a) + u * sin(a);
            }
}

LIGO__PRIV int ligo__cases_ROPE(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "rope", .run = ligo__rope_case, .n_in = 1, .in = {{3, {2, 4, 8}, 1.0f}}, .i0 = 2, .i1 = 3,
         .ids = {10000}, .ref = ligo__rope_ref, .ref_tol = 1e-6},
        {.name = "rope 3 heads", .run = ligo__rope_case, .n_in = 1, .in = {{3, {1, 7, 12}, 1.0f}}, .i0 = 3, .i1 = 0,
         .ids = {100}, .ref = ligo__rope_ref, .ref_tol = 1e-6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/rope.c ==== */

/* ==== begin src/ops/scale.c ==== */
/* ops/scale.c: out = s a for a constant s. */

LIGO__OP(SCALE, "scale", 1, 0);

typedef struct ligo__scale_param {
    float s;
} ligo__scale_param;

LIGO__PRIV ligo_status ligo__shape_SCALE(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo__scale_param *p = (const ligo__scale_param *)a->param;
    if (!isfinite(p->s)) return ligo_set_error(ctx, LIGO_ENONFINITE, "ligo_scale: factor %g is not finite", (double)p->s);
    ligo__copy_shape(a->src[0], ndim, shape);
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_SCALE(ligo_ctx *ctx, ligo_tensor *out) {
    int64_t i;
    float s = ((const ligo__scale_param *)out->param)->s;
    for (i = 0; i < out->n; i++) out->data[i] = s * out->src[0]->data[i];
    ligo_flops_add(ctx, (double)out->n, (double)out->n);
}
LIGO__PRIV void ligo__bwd_SCALE(ligo_ctx *ctx, ligo_tensor *out) {
    float *dx = ligo__grad_of(ctx, out->src[0]);
    int64_t i;
    float s = ((const ligo__scale_param *)out->param)->s;
    if (dx)
        for (i = 0; i < out->n; i++) dx[i] += s * out->grad[i];
}
/* s a, for a finite s. */
LIGO_API ligo_tensor *ligo_scale(ligo_ctx *ctx, ligo_tensor *x, float s) {
    ligo__scale_param p;
    ligo__args a;
    p.s = s;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_SCALE, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__scale_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_scale(ctx, in[0], -1.75f);
}
LIGO__PRIV int ligo__cases_SCALE(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "scale", .run = ligo__scale_case, .n_in = 1, .in = {{2, {3, 4}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/scale.c ==== */

/* ==== begin src/ops/silu.c ==== */
/* ops/silu.c: SiLU (swish), elementwise:
 *   y = x sigmoid(x) = x / (1 + e^-x),
 *   dy/dx = s (1 + x (1 - s)),  s = sigmoid(x).
 * For large negative x, e^-x overflows to infinity and y is -0, as it
 * should be. Threaded over contiguous ranges of elements; each element is
 * computed alone, so the split does not change the result. */

LIGO__OP(SILU, "silu", 1, 0);

typedef struct ligo__silu_job {
    const float *x, *g; /* the input; backward: the output's gradient */
    float *y;           /* forward: the output; backward: the input's gradient */
    int64_t n;
    int fresh;          /* backward: y is a new buffer, store instead of adding */
} ligo__silu_job;

static float ligo__sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

static void ligo__silu_fwd_task(void *arg, int ith, int nth) {
    const ligo__silu_job *j = (const ligo__silu_job *)arg;
    int64_t i, i0 = j->n * ith / nth, i1 = j->n * (ith + 1) / nth;
    for (i = i0; i < i1; i++) j->y[i] = j->x[i] / (1.0f + expf(-j->x[i]));
}

static void ligo__silu_bwd_task(void *arg, int ith, int nth) {
    const ligo__silu_job *j = (const ligo__silu_job *)arg;
    int64_t i, i0 = j->n * ith / nth, i1 = j->n * (ith + 1) / nth;
    for (i = i0; i < i1; i++) {
        float x = j->x[i], s = ligo__sigmoid(x), d = j->g[i] * s * (1.0f + x * (1.0f - s));
        j->y[i] = j->fresh ? d : j->y[i] + d;
    }
}

LIGO__PRIV ligo_status ligo__shape_SILU(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    ligo__copy_shape(a->src[0], ndim, shape);
    return LIGO_OK;
}

/* FLOPs: 5 per element forward, 9 backward (an exp counted as one). */
LIGO__PRIV void ligo__fwd_SILU(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__silu_job j;
    j.x = out->src[0]->data;
    j.g = NULL;
    j.y = out->data;
    j.n = out->n;
    j.fresh = 0;
    ligo_parallel_for(ctx, ligo__silu_fwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 5.0 * (double)out->n, 0.0);
}

LIGO__PRIV void ligo__bwd_SILU(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__silu_job j;
    float *dx = ligo__grad_fresh(ctx, out->src[0], &j.fresh);
    if (!dx) return;
    j.x = out->src[0]->data;
    j.g = out->grad;
    j.y = dx;
    j.n = out->n;
    ligo_parallel_for(ctx, ligo__silu_bwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 0.0, 9.0 * (double)out->n);
}

/* SiLU (swish): x sigmoid(x), elementwise. */
LIGO_API ligo_tensor *ligo_silu(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_SILU, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__silu_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_silu(ctx, in[0]);
}

/* x / (1 + e^-x) in float64 */
static void ligo__silu_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    int64_t i;
    (void)c;
    for (i = 0; i < in[0]->n; i++) {
        double x = (double)in[0]->data[i];
        out[i] = x / (1.0 + exp(-x));
    }
}

LIGO__PRIV int ligo__cases_SILU(const ligo_op_case **cases) {
    /* inputs in (-4, 4): both tails and the minimum near x = -1.28 */
    static const ligo_op_case c[] = {
        {.name = "silu", .run = ligo__silu_case, .n_in = 1, .in = {{2, {4, 5}, 4.0f}}, .ref = ligo__silu_ref,
         .ref_tol = 2e-6},
        {.name = "silu 3-D", .run = ligo__silu_case, .n_in = 1, .in = {{3, {2, 3, 7}, 4.0f}}, .ref = ligo__silu_ref,
         .ref_tol = 2e-6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/silu.c ==== */

/* ==== begin src/ops/slice.c ==== */
/* ops/slice.c: rows (axis 0) or columns (axis 1) [start, start + len) of a 2-D tensor. */

LIGO__OP(SLICE, "slice", 1, 0);

typedef struct ligo__slice_param {
    int axis;
    int64_t start, len;
} ligo__slice_param;

LIGO__PRIV ligo_status ligo__shape_SLICE(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0];
    const ligo__slice_param *p = (const ligo__slice_param *)a->param;
    int axis = p->axis;
    int64_t start = p->start, len = p->len;
    if (axis != 0 && axis != 1) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_slice: axis %d is not 0 or 1", axis);
    if (x->ndim != 2) return ligo__bad(ctx, LIGO_ESHAPE, "slice", "needs a 2-D tensor, got %s%s", x, NULL);
    if (start < 0 || len < 1 || start > x->shape[axis] - len) {
        char bx[64];
        return ligo_set_error(ctx, LIGO_ERANGE, "ligo_slice: [%lld, %lld + %lld) is outside dim %d of %s",
                              (long long)start, (long long)start, (long long)len, axis,
                              ligo_shape_str(x, bx, sizeof bx));
    }
    *ndim = 2;
    shape[axis] = len;
    shape[1 - axis] = x->shape[1 - axis];
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_SLICE(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0];
    const ligo__slice_param *p = (const ligo__slice_param *)out->param;
    int64_t r, start = p->start, W = x->shape[1];
    (void)ctx;
    if (p->axis == 0) {
        memcpy(out->data, x->data + start * W, (size_t)out->n * sizeof(float));
        return;
    }
    for (r = 0; r < out->shape[0]; r++)
        memcpy(out->data + r * out->shape[1], x->data + r * W + start, (size_t)out->shape[1] * sizeof(float));
}
LIGO__PRIV void ligo__bwd_SLICE(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0];
    float *dx = ligo__grad_of(ctx, x);
    const ligo__slice_param *p = (const ligo__slice_param *)out->param;
    int64_t r, start = p->start, W = x->shape[1];
    if (!dx) return;
    if (p->axis == 0) {
        ligo__acc(dx + start * W, out->grad, out->n);
        return;
    }
    for (r = 0; r < out->shape[0]; r++) ligo__acc(dx + r * W + start, out->grad + r * out->shape[1], out->shape[1]);
}
/* Rows or columns [start, start + len) of a 2-D tensor. */
LIGO_API ligo_tensor *ligo_slice(ligo_ctx *ctx, ligo_tensor *x, int axis, int64_t start, int64_t len) {
    ligo__slice_param p;
    ligo__args a;
    p.axis = axis;
    p.start = start;
    p.len = len;
    a = ligo__args_of(&p, sizeof p);
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_SLICE, &a);
}

#ifdef LIGO_OP_TESTS
/* i0: the axis; [1, 3) of it */
static ligo_tensor *ligo__slice_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_slice(ctx, in[0], (int)c->i0, 1, 2);
}
LIGO__PRIV int ligo__cases_SLICE(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "slice rows", .run = ligo__slice_case, .n_in = 1, .in = {{2, {4, 3}, 1.0f}}},
        {.name = "slice cols", .run = ligo__slice_case, .n_in = 1, .in = {{2, {3, 5}, 1.0f}}, .i0 = 1},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/slice.c ==== */

/* ==== begin src/ops/softmax.c ==== */
/* ops/softmax.c: softmax over the last dim. x (R, C) (any leading dims)
 * -> y of x's shape, each row
 *   y = e^(x - max x) / sum e^(x - max x),
 *   dx = y * (dy - sum(dy * y)).
 * Entries of -inf (a mask) get probability 0; a row of only -inf gives NaN,
 * as PyTorch's. Backward reads y (the output). Threaded over rows; each
 * row is computed alone. */

LIGO__OP(SOFTMAX, "softmax", 1, 0);

typedef struct ligo__softmax_job {
    const float *x, *y, *g;
    float *dst; /* forward: y; backward: dx */
    int64_t R, C;
    int fresh;  /* backward: dx is new, store instead of adding */
} ligo__softmax_job;

/* The scalar row every softmax in the library uses (attention's too):
 * y[0, n) = softmax(x[0, n)), y may be x. A NaN skips the max (the
 * comparison is false) and then makes the whole row NaN through the sum. */
LIGO__PRIV void ligo__softmax_row(float *y, const float *x, int64_t n) {
    float mx = -INFINITY, sum = 0.0f, inv;
    int64_t c;
    for (c = 0; c < n; c++) mx = x[c] > mx ? x[c] : mx;
    for (c = 0; c < n; c++) {
        y[c] = expf(x[c] - mx);
        sum += y[c];
    }
    inv = 1.0f / sum;
    for (c = 0; c < n; c++) y[c] *= inv;
}

static void ligo__softmax_fwd_task(void *arg, int ith, int nth) {
    const ligo__softmax_job *j = (const ligo__softmax_job *)arg;
    int64_t r, C = j->C, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    for (r = r0; r < r1; r++) ligo__softmax_row(j->dst + r * C, j->x + r * C, C);
}

static void ligo__softmax_bwd_task(void *arg, int ith, int nth) {
    const ligo__softmax_job *j = (const ligo__softmax_job *)arg;
    int64_t r, c, C = j->C, r0 = j->R * ith / nth, r1 = j->R * (ith + 1) / nth;
    for (r = r0; r < r1; r++) {
        const float *y = j->y + r * C, *g = j->g + r * C;
        float *dx = j->dst + r * C, dot = 0.0f;
        for (c = 0; c < C; c++) dot += g[c] * y[c];
        for (c = 0; c < C; c++) {
            float d = y[c] * (g[c] - dot);
            dx[c] = j->fresh ? d : dx[c] + d;
        }
    }
}

LIGO__PRIV ligo_status ligo__shape_SOFTMAX(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    ligo__copy_shape(a->src[0], ndim, shape);
    return LIGO_OK;
}

/* FLOPs per element: 5 forward (max, subtract, exp, add, scale), 5 backward. */
LIGO__PRIV void ligo__fwd_SOFTMAX(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__softmax_job j;
    memset(&j, 0, sizeof j);
    j.x = out->src[0]->data;
    j.dst = out->data;
    j.C = ligo__last(out);
    j.R = ligo__rows(out);
    ligo_parallel_for(ctx, ligo__softmax_fwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 5.0 * (double)out->n, 0.0);
}

LIGO__PRIV void ligo__bwd_SOFTMAX(ligo_ctx *ctx, ligo_tensor *out) {
    ligo__softmax_job j;
    memset(&j, 0, sizeof j);
    j.dst = ligo__grad_fresh(ctx, out->src[0], &j.fresh);
    if (!j.dst) return;
    j.y = out->data;
    j.g = out->grad;
    j.C = ligo__last(out);
    j.R = ligo__rows(out);
    ligo_parallel_for(ctx, ligo__softmax_bwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 0.0, 5.0 * (double)out->n);
}

/* Softmax over the last dim: x (..., C) -> x's shape, each row summing to
 * 1. A mask is added before it: entries of -inf get probability 0. */
LIGO_API ligo_tensor *ligo_softmax(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_SOFTMAX, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__softmax_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_softmax(ctx, in[0]);
}

/* each row in float64 */
static void ligo__softmax_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    int64_t C = ligo__last(in[0]), R = in[0]->n / C, r, k;
    (void)c;
    for (r = 0; r < R; r++) {
        const float *x = in[0]->data + r * C;
        double mx = -HUGE_VAL, sum = 0.0;
        for (k = 0; k < C; k++) mx = x[k] > mx ? x[k] : mx;
        for (k = 0; k < C; k++) sum += exp((double)x[k] - mx);
        for (k = 0; k < C; k++) out[r * C + k] = exp((double)x[k] - mx) / sum;
    }
}

LIGO__PRIV int ligo__cases_SOFTMAX(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "softmax", .run = ligo__softmax_case, .n_in = 1, .in = {{2, {4, 7}, 3.0f}}, .ref = ligo__softmax_ref,
         .ref_tol = 1e-7},
        {.name = "softmax 3-D", .run = ligo__softmax_case, .n_in = 1, .in = {{3, {2, 3, 5}, 2.0f}},
         .ref = ligo__softmax_ref, .ref_tol = 1e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/softmax.c ==== */

/* ==== begin src/ops/transpose.c ==== */
/* ops/transpose.c: out (C, R) = a^T for a 2-D a (R, C). */

LIGO__OP(TRANSPOSE, "transpose", 1, 0);

LIGO__PRIV ligo_status ligo__shape_TRANSPOSE(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *x = a->src[0];
    if (x->ndim != 2) return ligo__bad(ctx, LIGO_ESHAPE, "transpose", "needs a 2-D tensor, got %s%s", x, NULL);
    *ndim = 2;
    shape[0] = x->shape[1];
    shape[1] = x->shape[0];
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_TRANSPOSE(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *x = out->src[0];
    int64_t i, j, R = x->shape[0], C = x->shape[1];
    for (i = 0; i < R; i++)
        for (j = 0; j < C; j++) out->data[j * R + i] = x->data[i * C + j];
    (void)ctx;
}
LIGO__PRIV void ligo__bwd_TRANSPOSE(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *x = out->src[0];
    float *dx = ligo__grad_of(ctx, x);
    int64_t i, j, R = x->shape[0], C = x->shape[1];
    if (!dx) return;
    for (i = 0; i < R; i++)
        for (j = 0; j < C; j++) dx[i * C + j] += out->grad[j * R + i];
}
/* The transpose of a 2-D tensor. */
LIGO_API ligo_tensor *ligo_transpose(ligo_ctx *ctx, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, LIGO_OP_TRANSPOSE, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__transpose_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    (void)c;
    return ligo_transpose(ctx, in[0]);
}
LIGO__PRIV int ligo__cases_TRANSPOSE(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "transpose", .run = ligo__transpose_case, .n_in = 1, .in = {{2, {3, 5}, 1.0f}}},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/transpose.c ==== */

/* ==== begin src/ops/unary.c ==== */
/* ops/unary.c: elementwise relu, tanh, exp, log and sqrt, out of x's shape.
 *   relu  y = max(x, 0)   dx = dy [x > 0]
 *   tanh  y = tanh(x)     dx = dy (1 - y^2)
 *   exp   y = e^x         dx = dy y
 *   log   y = ln(x)       dx = dy / x
 *   sqrt  y = sqrt(x)     dx = dy / (2 y)
 * log and sqrt follow IEEE outside their domain (log 0 = -inf, log of a
 * negative and sqrt of a negative are NaN) without an error; relu keeps a
 * NaN. Threaded over contiguous ranges; each element is computed alone. */

LIGO__OP(RELU, "relu", 1, 0);
LIGO__OP(TANH, "tanh", 1, 0);
LIGO__OP(EXP, "exp", 1, 0);
LIGO__OP(LOG, "log", 1, 0);
LIGO__OP(SQRT, "sqrt", 1, 0);

enum { LIGO__UN_RELU, LIGO__UN_TANH, LIGO__UN_EXP, LIGO__UN_LOG, LIGO__UN_SQRT };

typedef struct ligo__unary_job {
    const float *x, *y, *g; /* input, output; backward: the output's gradient */
    float *dst;             /* forward: y; backward: the input's gradient */
    int64_t n;
    int kind, fresh;        /* fresh: dst is a new buffer, store instead of adding */
} ligo__unary_job;

static void ligo__unary_fwd_task(void *arg, int ith, int nth) {
    const ligo__unary_job *j = (const ligo__unary_job *)arg;
    int64_t i, i0 = j->n * ith / nth, i1 = j->n * (ith + 1) / nth;
    const float *x = j->x;
    float *y = j->dst;
    switch (j->kind) {
    case LIGO__UN_RELU:
        for (i = i0; i < i1; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
        break;
    case LIGO__UN_TANH:
        for (i = i0; i < i1; i++) y[i] = tanhf(x[i]);
        break;
    case LIGO__UN_EXP:
        for (i = i0; i < i1; i++) y[i] = expf(x[i]);
        break;
    case LIGO__UN_LOG:
        for (i = i0; i < i1; i++) y[i] = logf(x[i]);
        break;
    default:
        for (i = i0; i < i1; i++) y[i] = sqrtf(x[i]);
        break;
    }
}

/* dy/dx times g for element i */
static float ligo__unary_d(const ligo__unary_job *j, int64_t i) {
    float g = j->g[i];
    switch (j->kind) {
    case LIGO__UN_RELU: return j->x[i] > 0.0f ? g : 0.0f;
    case LIGO__UN_TANH: return g * (1.0f - j->y[i] * j->y[i]);
    case LIGO__UN_EXP: return g * j->y[i];
    case LIGO__UN_LOG: return g / j->x[i];
    default: return g * 0.5f / j->y[i];
    }
}

static void ligo__unary_bwd_task(void *arg, int ith, int nth) {
    const ligo__unary_job *j = (const ligo__unary_job *)arg;
    int64_t i, i0 = j->n * ith / nth, i1 = j->n * (ith + 1) / nth;
    if (j->fresh)
        for (i = i0; i < i1; i++) j->dst[i] = ligo__unary_d(j, i);
    else
        for (i = i0; i < i1; i++) j->dst[i] += ligo__unary_d(j, i);
}

/* FLOPs per element, forward and backward (tanh, exp, log, sqrt counted as one). */
static const double ligo__unary_flops[5][2] = {{1, 1}, {1, 3}, {1, 1}, {1, 1}, {1, 2}};

static void ligo__unary_fwd(ligo_ctx *ctx, ligo_tensor *out, int kind) {
    ligo__unary_job j;
    memset(&j, 0, sizeof j);
    j.x = out->src[0]->data;
    j.dst = out->data;
    j.n = out->n;
    j.kind = kind;
    ligo_parallel_for(ctx, ligo__unary_fwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, ligo__unary_flops[kind][0] * (double)out->n, 0.0);
}

static void ligo__unary_bwd(ligo_ctx *ctx, ligo_tensor *out, int kind) {
    ligo__unary_job j;
    memset(&j, 0, sizeof j);
    j.dst = ligo__grad_fresh(ctx, out->src[0], &j.fresh);
    if (!j.dst) return;
    j.x = out->src[0]->data;
    j.y = out->data;
    j.g = out->grad;
    j.n = out->n;
    j.kind = kind;
    ligo_parallel_for(ctx, ligo__unary_bwd_task, &j, ligo__nth_for(ctx, (double)out->n, 16384.0));
    ligo_flops_add(ctx, 0.0, ligo__unary_flops[kind][1] * (double)out->n);
}

static ligo_status ligo__shape_unary(const ligo__args *a, int *ndim, int64_t *shape) {
    ligo__copy_shape(a->src[0], ndim, shape);
    return LIGO_OK;
}

LIGO__PRIV ligo_status ligo__shape_RELU(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    return ligo__shape_unary(a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_RELU(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_fwd(ctx, out, LIGO__UN_RELU); }
LIGO__PRIV void ligo__bwd_RELU(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_bwd(ctx, out, LIGO__UN_RELU); }

LIGO__PRIV ligo_status ligo__shape_TANH(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    return ligo__shape_unary(a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_TANH(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_fwd(ctx, out, LIGO__UN_TANH); }
LIGO__PRIV void ligo__bwd_TANH(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_bwd(ctx, out, LIGO__UN_TANH); }

LIGO__PRIV ligo_status ligo__shape_EXP(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    return ligo__shape_unary(a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_EXP(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_fwd(ctx, out, LIGO__UN_EXP); }
LIGO__PRIV void ligo__bwd_EXP(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_bwd(ctx, out, LIGO__UN_EXP); }

LIGO__PRIV ligo_status ligo__shape_LOG(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    return ligo__shape_unary(a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_LOG(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_fwd(ctx, out, LIGO__UN_LOG); }
LIGO__PRIV void ligo__bwd_LOG(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_bwd(ctx, out, LIGO__UN_LOG); }

LIGO__PRIV ligo_status ligo__shape_SQRT(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    (void)ctx;
    return ligo__shape_unary(a, ndim, shape);
}
LIGO__PRIV void ligo__fwd_SQRT(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_fwd(ctx, out, LIGO__UN_SQRT); }
LIGO__PRIV void ligo__bwd_SQRT(ligo_ctx *ctx, ligo_tensor *out) { ligo__unary_bwd(ctx, out, LIGO__UN_SQRT); }

static ligo_tensor *ligo__unary(ligo_ctx *ctx, int op, ligo_tensor *x) {
    ligo__args a = ligo__args0();
    a.src[0] = x;
    return ligo__build(ctx, op, &a);
}

/* max(x, 0), elementwise; x any shape -> x's shape. The gradient at 0 is 0. */
LIGO_API ligo_tensor *ligo_relu(ligo_ctx *ctx, ligo_tensor *x) { return ligo__unary(ctx, LIGO_OP_RELU, x); }
/* tanh(x), elementwise -> x's shape. */
LIGO_API ligo_tensor *ligo_tanh(ligo_ctx *ctx, ligo_tensor *x) { return ligo__unary(ctx, LIGO_OP_TANH, x); }
/* e^x, elementwise -> x's shape (overflows to +inf past x = 88.7). */
LIGO_API ligo_tensor *ligo_exp(ligo_ctx *ctx, ligo_tensor *x) { return ligo__unary(ctx, LIGO_OP_EXP, x); }
/* The natural log, elementwise -> x's shape. As IEEE: log 0 = -inf, log of
 * a negative = NaN, no error (check the result if it matters). */
LIGO_API ligo_tensor *ligo_log(ligo_ctx *ctx, ligo_tensor *x) { return ligo__unary(ctx, LIGO_OP_LOG, x); }
/* The square root, elementwise -> x's shape; NaN for a negative (no error),
 * and an infinite gradient at 0. */
LIGO_API ligo_tensor *ligo_sqrt(ligo_ctx *ctx, ligo_tensor *x) { return ligo__unary(ctx, LIGO_OP_SQRT, x); }

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__unary_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    if (c->n_in == 2) return ligo_relu(ctx, ligo_concat(ctx, in[0], in[1], 0)); /* rows of each sign */
    switch (c->i0) {
    case LIGO__UN_RELU: return ligo_relu(ctx, in[0]);
    case LIGO__UN_TANH: return ligo_tanh(ctx, in[0]);
    case LIGO__UN_EXP: return ligo_exp(ctx, in[0]);
    case LIGO__UN_LOG: return ligo_log(ctx, in[0]);
    default: return ligo_sqrt(ctx, in[0]);
    }
}

/* the op (i0) in float64 */
static void ligo__unary_ref(ligo_tensor *const *in, const ligo_op_case *c, double *out) {
    int64_t i, n0 = in[0]->n, n = c->n_in == 2 ? n0 + in[1]->n : n0;
    for (i = 0; i < n; i++) {
        double x = (double)(i < n0 ? in[0]->data[i] : in[1]->data[i - n0]);
        switch (c->i0) {
        case LIGO__UN_RELU: out[i] = x > 0.0 ? x : 0.0; break;
        case LIGO__UN_TANH: out[i] = tanh(x); break;
        case LIGO__UN_EXP: out[i] = exp(x); break;
        case LIGO__UN_LOG: out[i] = log(x); break;
        default: out[i] = sqrt(x); break;
        }
    }
}

/* relu: central differences are wrong within their step (0.01) of the
 * kink, so the first case keeps every input 0.1 away from it (positive
 * rows, then negative rows); the second's draws (seeded by its name) stay
 * clear of it too. log and sqrt: inputs in (0.5, 2.5). */
LIGO__PRIV int ligo__cases_RELU(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "relu", .run = ligo__unary_case, .n_in = 2, .in = {{2, {2, 5}, 0.5f}, {2, {3, 5}, 0.5f}},
         .offset = {0.6f, -0.6f}, .i0 = LIGO__UN_RELU, .ref = ligo__unary_ref, .ref_tol = 0.0},
        {.name = "relu 3-D", .run = ligo__unary_case, .n_in = 1, .in = {{3, {2, 3, 4}, 2.0f}}, .i0 = LIGO__UN_RELU,
         .ref = ligo__unary_ref, .ref_tol = 0.0},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_TANH(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "tanh", .run = ligo__unary_case, .n_in = 1, .in = {{2, {4, 5}, 3.0f}}, .i0 = LIGO__UN_TANH,
         .ref = ligo__unary_ref, .ref_tol = 2e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_EXP(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "exp", .run = ligo__unary_case, .n_in = 1, .in = {{2, {4, 5}, 2.0f}}, .i0 = LIGO__UN_EXP,
         .ref = ligo__unary_ref, .ref_tol = 1e-6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_LOG(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "log", .run = ligo__unary_case, .n_in = 1, .in = {{2, {4, 5}, 1.0f}}, .offset = {1.5f},
         .i0 = LIGO__UN_LOG, .ref = ligo__unary_ref, .ref_tol = 2e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
LIGO__PRIV int ligo__cases_SQRT(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "sqrt", .run = ligo__unary_case, .n_in = 1, .in = {{2, {4, 5}, 1.0f}}, .offset = {1.5f},
         .i0 = LIGO__UN_SQRT, .ref = ligo__unary_ref, .ref_tol = 2e-7},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
/* ==== end src/ops/unary.c ==== */

/* ==== begin src/schema.c ==== */
/* schema.c: what every parameter of the built-in families is, written once
 * per family as a list of roles: its name, its shape in terms of the
 * config, the width stream of each dimension, the block module it belongs
 * to, how it starts and whether it decays, and its Hugging Face name and
 * layout. The parameter table (ligo_model_new), the initialisation, the
 * checkpoints and growth read what this file writes into each
 * ligo_param_info; nothing else knows a family's tensors by position or by
 * name.
 *
 *   GPT   GPT2LMHeadModel's keys (without "transformer."); Conv1D weights
 *         are stored (in, out) there
 *   BERT  BertForMaskedLM's keys; the fused QKV rows are query, key, value
 *   ViT   ViTForImageClassification's keys; the patch projection is a
 *         convolution weight (C, 1, P, P), the class token (1, 1, C), the
 *         positions (1, N + 1, C) */

static const char *ligo__stream_names[LIGO_STREAM_COUNT] = {"fixed", "emb", "q", "k", "v", "qkv", "ffn", "cls"};

LIGO_API const char *ligo_stream_name(ligo_stream s) {
    return s >= 0 && s < LIGO_STREAM_COUNT ? ligo__stream_names[s] : "unknown";
}

/* A size in terms of the config. */
typedef enum ligo__size { SZ_1, SZ_C, SZ_3C, SZ_F, SZ_V, SZ_T, SZ_PP, SZ_CLASSES } ligo__size;

/* One role: a parameter of the family's embeddings or head, or one of
 * every block's (its name then gets "h.{layer}." in front, its Hugging
 * Face key the layer in place of %lld). */
typedef struct ligo__role {
    const char *name;
    const char *hf;
    int ndim;
    ligo__size size[2];
    ligo_stream stream[2];
    int module, bias;
    ligo_init init;
    unsigned flags;
    ligo_hf_layout layout;
} ligo__role;

#define FX LIGO_STREAM_FIXED
#define EMB LIGO_STREAM_EMB
#define DEC LIGO_PARAM_DECAY
#define EMBED LIGO_PARAM_EMBEDDING
#define ROUT LIGO_PARAM_RESID_OUT
#define TIED LIGO_PARAM_TIED_HEAD_IN
/* a vector of one stream, a matrix of two */
#define VEC(nm, hf, sz, st, mod, b, init, fl) {nm, hf, 1, {sz, SZ_1}, {st, FX}, mod, b, init, fl, LIGO_HF_PLAIN}
#define MAT(nm, hf, s0, s1, t0, t1, mod, init, fl, lay) {nm, hf, 2, {s0, s1}, {t0, t1}, mod, 0, init, fl, lay}

/* A block: LN before attention (post-LN: after it), the fused Q, K, V
 * projection, the attention output, the second LN, the MLP. The order is
 * the LIGO_BLK_* order the forward passes use. */
#define LIGO__BLOCK(hf_ln1, hf_qkv, hf_o, hf_ln2, hf_fc1, hf_fc2, qkv_layout, lay)                                \
    VEC("ln_1.weight", hf_ln1 ".weight", SZ_C, EMB, LIGO_MOD_LN1, 0, LIGO_INIT_ONES, 0),                          \
        VEC("ln_1.bias", hf_ln1 ".bias", SZ_C, EMB, LIGO_MOD_LN1, 1, LIGO_INIT_ZEROS, 0),                         \
        MAT("attn.c_attn.weight", hf_qkv ".weight", SZ_3C, SZ_C, LIGO_STREAM_QKV, EMB, LIGO_MOD_QKV,               \
            LIGO_INIT_NORMAL, DEC, qkv_layout),                                                                    \
        {"attn.c_attn.bias", hf_qkv ".bias", 1, {SZ_3C, SZ_1}, {LIGO_STREAM_QKV, FX}, LIGO_MOD_QKV, 1,             \
         LIGO_INIT_ZEROS, 0, qkv_layout == LIGO_HF_QKV ? LIGO_HF_QKV : LIGO_HF_PLAIN},                             \
        MAT("attn.c_proj.weight", hf_o ".weight", SZ_C, SZ_C, EMB, LIGO_STREAM_V, LIGO_MOD_O, LIGO_INIT_NORMAL_RESID, \
            DEC | ROUT, lay),                                                                                      \
        VEC("attn.c_proj.bias", hf_o ".bias", SZ_C, EMB, LIGO_MOD_O, 1, LIGO_INIT_ZEROS, ROUT),                   \
        VEC("ln_2.weight", hf_ln2 ".weight", SZ_C, EMB, LIGO_MOD_LN2, 0, LIGO_INIT_ONES, 0),                      \
        VEC("ln_2.bias", hf_ln2 ".bias", SZ_C, EMB, LIGO_MOD_LN2, 1, LIGO_INIT_ZEROS, 0),                         \
        MAT("mlp.c_fc.weight", hf_fc1 ".weight", SZ_F, SZ_C, LIGO_STREAM_FFN, EMB, LIGO_MOD_FC1, LIGO_INIT_NORMAL,  \
            DEC, lay),                                                                                             \
        VEC("mlp.c_fc.bias", hf_fc1 ".bias", SZ_F, LIGO_STREAM_FFN, LIGO_MOD_FC1, 1, LIGO_INIT_ZEROS, 0),         \
        MAT("mlp.c_proj.weight", hf_fc2 ".weight", SZ_C, SZ_F, EMB, LIGO_STREAM_FFN, LIGO_MOD_FC2,                 \
            LIGO_INIT_NORMAL_RESID, DEC | ROUT, lay),                                                              \
        VEC("mlp.c_proj.bias", hf_fc2 ".bias", SZ_C, EMB, LIGO_MOD_FC2, 1, LIGO_INIT_ZEROS, ROUT)

static const ligo__role ligo__gpt_pre[] = {
    MAT("wte.weight", "wte.weight", SZ_V, SZ_C, FX, EMB, -1, LIGO_INIT_NORMAL, EMBED, LIGO_HF_PLAIN),
    MAT("wpe.weight", "wpe.weight", SZ_T, SZ_C, FX, EMB, -1, LIGO_INIT_NORMAL, EMBED, LIGO_HF_PLAIN)};
static const ligo__role ligo__gpt_block[] = {LIGO__BLOCK("h.%lld.ln_1", "h.%lld.attn.c_attn", "h.%lld.attn.c_proj",
                                                         "h.%lld.ln_2", "h.%lld.mlp.c_fc", "h.%lld.mlp.c_proj",
                                                         LIGO_HF_T, LIGO_HF_T)};
static const ligo__role ligo__gpt_head[] = {VEC("ln_f.weight", "ln_f.weight", SZ_C, EMB, -1, 0, LIGO_INIT_ONES, TIED),
                                            VEC("ln_f.bias", "ln_f.bias", SZ_C, EMB, -1, 1, LIGO_INIT_ZEROS, TIED)};

static const ligo__role ligo__bert_pre[] = {
    MAT("wte.weight", "bert.embeddings.word_embeddings.weight", SZ_V, SZ_C, FX, EMB, -1, LIGO_INIT_NORMAL, EMBED,
        LIGO_HF_PLAIN),
    MAT("wpe.weight", "bert.embeddings.position_embeddings.weight", SZ_T, SZ_C, FX, EMB, -1, LIGO_INIT_NORMAL, EMBED,
        LIGO_HF_PLAIN),
    VEC("emb_ln.weight", "bert.embeddings.LayerNorm.weight", SZ_C, EMB, -1, 0, LIGO_INIT_ONES, 0),
    VEC("emb_ln.bias", "bert.embeddings.LayerNorm.bias", SZ_C, EMB, -1, 1, LIGO_INIT_ZEROS, 0)};
static const ligo__role ligo__bert_block[] = {
    LIGO__BLOCK("bert.encoder.layer.%lld.attention.output.LayerNorm", "bert.encoder.layer.%lld.attention.self.*",
                "bert.encoder.layer.%lld.attention.output.dense", "bert.encoder.layer.%lld.output.LayerNorm",
                "bert.encoder.layer.%lld.intermediate.dense", "bert.encoder.layer.%lld.output.dense", LIGO_HF_QKV,
                LIGO_HF_PLAIN)};
static const ligo__role ligo__bert_head[] = {
    MAT("mlm.dense.weight", "cls.predictions.transform.dense.weight", SZ_C, SZ_C, LIGO_STREAM_CLS, EMB, -1,
        LIGO_INIT_NORMAL, DEC, LIGO_HF_PLAIN),
    VEC("mlm.dense.bias", "cls.predictions.transform.dense.bias", SZ_C, LIGO_STREAM_CLS, -1, 1, LIGO_INIT_ZEROS, 0),
    VEC("mlm.ln.weight", "cls.predictions.transform.LayerNorm.weight", SZ_C, LIGO_STREAM_CLS, -1, 0, LIGO_INIT_ONES,
        TIED),
    VEC("mlm.ln.bias", "cls.predictions.transform.LayerNorm.bias", SZ_C, LIGO_STREAM_CLS, -1, 1, LIGO_INIT_ZEROS,
        TIED),
    VEC("mlm.bias", "cls.predictions.bias", SZ_V, FX, -1, 1, LIGO_INIT_ZEROS, 0)};

static const ligo__role ligo__vit_pre[] = {
    MAT("patch.weight", "vit.embeddings.patch_embeddings.projection.weight", SZ_C, SZ_PP, EMB, FX, -1,
        LIGO_INIT_NORMAL, DEC, LIGO_HF_CONV),
    VEC("patch.bias", "vit.embeddings.patch_embeddings.projection.bias", SZ_C, EMB, -1, 1, LIGO_INIT_ZEROS, 0),
    MAT("cls_token", "vit.embeddings.cls_token", SZ_1, SZ_C, FX, EMB, -1, LIGO_INIT_NORMAL, EMBED, LIGO_HF_TOKEN),
    MAT("wpe.weight", "vit.embeddings.position_embeddings", SZ_T, SZ_C, FX, EMB, -1, LIGO_INIT_NORMAL, EMBED,
        LIGO_HF_POSITIONS)};
static const ligo__role ligo__vit_block[] = {
    LIGO__BLOCK("vit.encoder.layer.%lld.layernorm_before", "vit.encoder.layer.%lld.attention.attention.*",
                "vit.encoder.layer.%lld.attention.output.dense", "vit.encoder.layer.%lld.layernorm_after",
                "vit.encoder.layer.%lld.intermediate.dense", "vit.encoder.layer.%lld.output.dense", LIGO_HF_QKV,
                LIGO_HF_PLAIN)};
static const ligo__role ligo__vit_head[] = {
    VEC("ln_f.weight", "vit.layernorm.weight", SZ_C, EMB, -1, 0, LIGO_INIT_ONES, 0),
    VEC("ln_f.bias", "vit.layernorm.bias", SZ_C, EMB, -1, 1, LIGO_INIT_ZEROS, 0),
    MAT("head.weight", "classifier.weight", SZ_CLASSES, SZ_C, FX, EMB, -1, LIGO_INIT_NORMAL, DEC, LIGO_HF_PLAIN),
    VEC("head.bias", "classifier.bias", SZ_CLASSES, FX, -1, 1, LIGO_INIT_ZEROS, 0)};

#undef FX
#undef EMB
#undef DEC
#undef EMBED
#undef ROUT
#undef TIED
#undef VEC
#undef MAT
#undef LIGO__BLOCK

#define LIGO__N(a) ((int)(sizeof a / sizeof a[0]))

typedef struct ligo__schema {
    const ligo__role *pre, *block, *head;
    int n_pre, n_block, n_head;
} ligo__schema;

static ligo__schema ligo__family_schema(ligo_family f) {
    ligo__schema s;
    if (f == LIGO_BERT) {
        s.pre = ligo__bert_pre, s.n_pre = LIGO__N(ligo__bert_pre);
        s.block = ligo__bert_block, s.n_block = LIGO__N(ligo__bert_block);
        s.head = ligo__bert_head, s.n_head = LIGO__N(ligo__bert_head);
    } else if (f == LIGO_VIT) {
        s.pre = ligo__vit_pre, s.n_pre = LIGO__N(ligo__vit_pre);
        s.block = ligo__vit_block, s.n_block = LIGO__N(ligo__vit_block);
        s.head = ligo__vit_head, s.n_head = LIGO__N(ligo__vit_head);
    } else {
        s.pre = ligo__gpt_pre, s.n_pre = LIGO__N(ligo__gpt_pre);
        s.block = ligo__gpt_block, s.n_block = LIGO__N(ligo__gpt_block);
        s.head = ligo__gpt_head, s.n_head = LIGO__N(ligo__gpt_head);
    }
    return s;
}

static int64_t ligo__size_of(const ligo_config *c, ligo__size z) {
    switch (z) {
    case SZ_C: return c->d_model;
    case SZ_3C: return 3 * c->d_model;
    case SZ_F: return c->d_ff;
    case SZ_V: return c->vocab;
    case SZ_T: return c->ctx_len;
    case SZ_PP: return c->patch * c->patch;
    case SZ_CLASSES: return c->n_classes;
    default: return 1;
    }
}

/* ------------------------------------------------------------ the table */

/* A table being declared: counted first (info NULL), then filled. */
struct ligo_params {
    ligo_ctx *ctx;
    ligo_param_info *info;
    int64_t n, offset;
};

static ligo_status ligo__spec_error(ligo_params *ps, const char *name, const char *fmt, long long v) {
    return ligo_set_error(ps->ctx, LIGO_EINVAL, "ligo_params_add: %s: %s %lld", name, fmt, v);
}

LIGO_API ligo_status ligo_params_add(ligo_params *ps, const ligo_param_spec *sp) {
    const char *nm, *hf;
    int64_t d0, d1, i;
    int k;
    if (!ps) return LIGO_EINVAL;
    if (ligo__failed(ps->ctx)) return ps->ctx ? ps->ctx->status : LIGO_EINVAL;
    if (!sp) return ligo_set_error(ps->ctx, LIGO_EINVAL, "ligo_params_add: spec is NULL");
    nm = sp->name;
    if (!nm || !nm[0] || strlen(nm) >= sizeof ps->info->name)
        return ligo_set_error(ps->ctx, LIGO_EINVAL, "ligo_params_add: name \"%.80s\" (want 1 to %d bytes)", nm ? nm : "",
                              (int)sizeof ps->info->name - 1);
    hf = sp->hf_name ? sp->hf_name : nm;
    if (strlen(hf) >= sizeof ps->info->hf_name)
        return ligo_set_error(ps->ctx, LIGO_EINVAL, "ligo_params_add: %s: hf_name is longer than %d bytes", nm,
                              (int)sizeof ps->info->hf_name - 1);
    if (sp->ndim != 1 && sp->ndim != 2) return ligo__spec_error(ps, nm, "ndim is", sp->ndim);
    d0 = sp->shape[0];
    d1 = sp->ndim == 2 ? sp->shape[1] : 1;
    if (d0 < 1 || d0 > ((int64_t)1 << 32)) return ligo__spec_error(ps, nm, "shape[0] is", (long long)d0);
    if (d1 < 1 || d1 > ((int64_t)1 << 32)) return ligo__spec_error(ps, nm, "shape[1] is", (long long)d1);
    for (k = 0; k < sp->ndim; k++)
        if (sp->stream[k] < LIGO_STREAM_FIXED || sp->stream[k] >= LIGO_STREAM_COUNT)
            return ligo__spec_error(ps, nm, k ? "stream[1] is" : "stream[0] is", sp->stream[k]);
    if (sp->layer < -1) return ligo__spec_error(ps, nm, "layer is", sp->layer);
    if (sp->module != -1 && !(sp->module >= 0 && sp->module < LIGO_MOD_COUNT) && sp->module != LIGO_MOD_QKV)
        return ligo__spec_error(ps, nm, "module is", sp->module);
    if (sp->module != -1 && sp->layer < 0)
        return ligo_set_error(ps->ctx, LIGO_EINVAL, "ligo_params_add: %s: a block module (%d) outside a block (layer -1)",
                              nm, sp->module);
    if (sp->module == LIGO_MOD_QKV && d0 % 3 != 0)
        return ligo__spec_error(ps, nm, "a fused Q, K, V needs rows divisible by 3; rows", (long long)d0);
    if (sp->bias != 0 && sp->bias != 1) return ligo__spec_error(ps, nm, "bias is", sp->bias);
    if (sp->init < LIGO_INIT_ZEROS || sp->init > LIGO_INIT_NORMAL_RESID) return ligo__spec_error(ps, nm, "init is", sp->init);
    if (sp->hf_layout < LIGO_HF_PLAIN || sp->hf_layout > LIGO_HF_POSITIONS)
        return ligo__spec_error(ps, nm, "hf_layout is", sp->hf_layout);
    if (sp->hf_layout != LIGO_HF_PLAIN && sp->hf_layout != LIGO_HF_QKV && sp->ndim != 2)
        return ligo__spec_error(ps, nm, "this hf_layout needs a matrix; ndim", sp->ndim);
    if (sp->hf_layout == LIGO_HF_QKV && (d0 % 3 != 0 || !strchr(hf, '*')))
        return ligo_set_error(ps->ctx, LIGO_EINVAL, "ligo_params_add: %s: LIGO_HF_QKV needs rows divisible by 3 and a '*' "
                              "in hf_name for query, key, value", nm);
    if (ps->info) {
        ligo_param_info *p = &ps->info[ps->n];
        for (i = 0; i < ps->n; i++)
            if (strcmp(ps->info[i].name, nm) == 0)
                return ligo_set_error(ps->ctx, LIGO_EINVAL, "ligo_params_add: %s is declared twice", nm);
        memset(p, 0, sizeof *p);
        snprintf(p->name, sizeof p->name, "%s", nm);
        snprintf(p->hf_name, sizeof p->hf_name, "%s", hf);
        p->ndim = sp->ndim;
        p->shape[0] = d0;
        p->shape[1] = d1;
        p->n = d0 * d1;
        p->offset = ps->offset;
        p->flags = sp->flags;
        p->stream[0] = sp->stream[0];
        p->stream[1] = sp->ndim == 2 ? sp->stream[1] : LIGO_STREAM_FIXED;
        p->layer = sp->layer;
        p->module = sp->module;
        p->bias = sp->bias;
        p->init = sp->init;
        p->hf_layout = sp->hf_layout;
    }
    ps->n++;
    ps->offset += d0 * d1;
    return LIGO_OK;
}

/* The built-in families' parameters: their roles, per layer for a block's. */
LIGO__PRIV ligo_status ligo__builtin_params(ligo_params *ps, const ligo_config *c, void *user) {
    ligo__schema s = ligo__family_schema(c->family);
    int64_t l;
    int part, k;
    (void)user;
    for (part = 0; part < 3; part++) {
        const ligo__role *roles = part == 0 ? s.pre : part == 1 ? s.block : s.head;
        int n = part == 0 ? s.n_pre : part == 1 ? s.n_block : s.n_head;
        for (l = 0; l < (part == 1 ? c->n_layer : 1); l++)
            for (k = 0; k < n; k++) {
                const ligo__role *r = &roles[k];
                ligo_param_spec sp;
                char name[64], hf[96];
                memset(&sp, 0, sizeof sp);
                if (part == 1) {
                    snprintf(name, sizeof name, "h.%lld.%s", (long long)l, r->name);
                    snprintf(hf, sizeof hf, r->hf, (long long)l);
                } else {
                    snprintf(name, sizeof name, "%s", r->name);
                    snprintf(hf, sizeof hf, "%s", r->hf);
                }
                sp.name = name;
                sp.hf_name = hf;
                sp.ndim = r->ndim;
                sp.shape[0] = ligo__size_of(c, r->size[0]);
                sp.shape[1] = r->ndim == 2 ? ligo__size_of(c, r->size[1]) : 1;
                sp.stream[0] = r->stream[0];
                sp.stream[1] = r->stream[1];
                sp.layer = part == 1 ? (int)l : -1;
                sp.module = part == 1 ? r->module : -1;
                sp.bias = r->bias;
                sp.init = r->init;
                sp.flags = r->flags;
                sp.hf_layout = r->layout;
                if (ligo_params_add(ps, &sp) != LIGO_OK) return ps->ctx ? ps->ctx->status : LIGO_EINVAL;
            }
    }
    return LIGO_OK;
}

LIGO__PRIV ligo_status ligo__build_table(ligo_ctx *ctx, const ligo_config *c, ligo_param_info *info, int64_t *n,
                                         int64_t *offset) {
    const ligo_model_def *def = ligo_config_def(c);
    ligo_params ps;
    ligo_status st;
    ps.ctx = ctx;
    ps.info = info;
    ps.n = ps.offset = 0;
    if (!def || !def->params || !def->forward)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_new: the model's definition lacks params or forward");
    st = def->params(&ps, c, def->user);
    if (st == LIGO_OK && ligo__failed(ctx)) st = ctx->status;
    if (st == LIGO_OK && ps.n == 0)
        st = ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_new: %s declares no parameters", def->name ? def->name : "the model");
    *n = ps.n;
    *offset = ps.offset;
    return st;
}

int64_t ligo__schema_n_pre(ligo_family f) { return ligo__family_schema(f).n_pre; }

LIGO_API int64_t ligo_model_find_module(const ligo_model *m, int64_t layer, int module, int bias, int64_t *row0) {
    int64_t i;
    int fused = module == LIGO_MOD_Q || module == LIGO_MOD_K || module == LIGO_MOD_V;
    if (row0) *row0 = 0;
    if (!m) return -1;
    for (i = 0; i < m->n_tensors; i++) {
        const ligo_param_info *p = &m->info[i];
        if (p->layer != layer || p->bias != bias) continue;
        if (p->module == module) return i;
        if (fused && p->module == LIGO_MOD_QKV) {
            if (row0) *row0 = (int64_t)(module - LIGO_MOD_Q) * (p->shape[0] / 3);
            return i;
        }
    }
    return -1;
}
/* ==== end src/schema.c ==== */

/* ==== begin src/nn.c ==== */
/* nn.c: model configs, the flat parameter table, and the three model
 * families on one transformer block.
 *
 *   GPT   pre-LN, causal attention, learned positions, LM head tied to wte
 *   BERT  post-LN, bidirectional, embedding LN, MLM head (dense, GELU, LN,
 *         decoder tied to wte plus a bias), loss on masked positions only
 *   ViT   pre-LN, bidirectional, patch embedding, class token, final LN and
 *         a classifier on the class token
 *   LLaMA its own definition (src/llama.c), registered here
 *
 * Shapes: B batch, T positions, C = d_model, F = d_ff, NH heads, V vocab,
 * R = B*T rows. A forward takes its weights as tensors, one per table
 * entry, so the growth operator can hand it computed weights. */

LIGO_API const char *ligo_family_name(ligo_family f) {
    switch (f) {
    case LIGO_GPT: return "gpt";
    case LIGO_BERT: return "bert";
    case LIGO_VIT: return "vit";
    case LIGO_LLAMA: return "llama";
    case LIGO_FAMILY_COUNT: break;
    }
    return "unknown";
}

LIGO_API ligo_status ligo_family_parse(const char *name, ligo_family *out) {
    int f;
    if (!name || !out) return LIGO_EINVAL;
    for (f = 0; f < LIGO_FAMILY_COUNT; f++)
        if (strcmp(name, ligo_family_name((ligo_family)f)) == 0) {
            *out = (ligo_family)f;
            return LIGO_OK;
        }
    return LIGO_EINVAL;
}

LIGO_API ligo_config ligo_config_default(ligo_family family) {
    ligo_config c;
    memset(&c, 0, sizeof c);
    c.family = family;
    c.n_layer = 4;
    c.d_model = 128;
    c.n_head = 4;
    c.d_ff = 0;
    c.ln_eps = family == LIGO_GPT || family == LIGO_LLAMA ? 1e-5f : 1e-12f;
    if (family == LIGO_LLAMA) c.rope_theta = 10000.0f;
    if (family == LIGO_VIT) {
        c.image_h = 28;
        c.image_w = 28;
        c.patch = 7;
        c.n_classes = 10;
    } else {
        c.vocab = family == LIGO_BERT ? 257 : 256;
        c.ctx_len = 128;
    }
    return c;
}

/* Sizes beyond these are refused as absurd before anything is allocated. */
#define LIGO__MAX_DIM ((int64_t)1 << 16)
#define LIGO__MAX_LAYERS 1024
#define LIGO__MAX_VOCAB ((int64_t)1 << 22)

LIGO_API ligo_status ligo_config_check(ligo_ctx *ctx, ligo_config *c) {
    const char *who = "ligo_config";
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!c) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_config_check: config is NULL");
    /* each field on its own, named with its value */
    if (c->family < 0 || c->family >= LIGO_FAMILY_COUNT)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: unknown family %d (want LIGO_GPT, LIGO_BERT, LIGO_VIT or LIGO_LLAMA)",
                              who, (int)c->family);
    if (c->n_layer < 1 || c->n_layer > LIGO__MAX_LAYERS)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: n_layer is %lld (want 1 to %d layers)", who,
                              (long long)c->n_layer, LIGO__MAX_LAYERS);
    if (c->d_model < 1 || c->d_model > LIGO__MAX_DIM)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: d_model is %lld (want a width of 1 to %lld)", who,
                              (long long)c->d_model, (long long)LIGO__MAX_DIM);
    /* LLaMA's SwiGLU has three matrices: 2/3 of 4 d (rounded up to a
     * multiple of 32) keeps about GPT's MLP parameter count */
    if (c->d_ff == 0) c->d_ff = c->family == LIGO_LLAMA ? (8 * c->d_model + 95) / 96 * 32 : 4 * c->d_model;
    if (c->d_ff < 1 || c->d_ff > LIGO__MAX_DIM)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: d_ff is %lld (want an FFN width of 1 to %lld, or 0 for %s)", who,
                              (long long)c->d_ff, (long long)LIGO__MAX_DIM,
                              c->family == LIGO_LLAMA ? "8 x d_model / 3 rounded up to a multiple of 32" : "4 x d_model");
    if (c->n_head < 1)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: n_head is %lld (want at least 1 head)", who, (long long)c->n_head);
    if (c->d_model % c->n_head != 0)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %lld heads do not divide width %lld", who, (long long)c->n_head,
                              (long long)c->d_model);
    if (!(c->ln_eps > 0.0f) || !isfinite(c->ln_eps))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: ln_eps is %g (want a finite LayerNorm eps > 0)", who,
                              (double)c->ln_eps);
    if (c->family == LIGO_LLAMA) {
        if (c->n_kv_head == 0) c->n_kv_head = c->n_head;
        if (c->n_kv_head < 1 || c->n_head % c->n_kv_head != 0)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: n_kv_head is %lld (want a divisor of the %lld heads, or 0 for "
                                  "as many)", who, (long long)c->n_kv_head, (long long)c->n_head);
        if ((c->d_model / c->n_head) % 2 != 0)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: head dimension %lld (%lld / %lld heads) is odd; RoPE turns pairs "
                                  "of dims", who, (long long)(c->d_model / c->n_head), (long long)c->d_model,
                                  (long long)c->n_head);
        if (!(c->rope_theta > 0.0f) || !isfinite(c->rope_theta))
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: rope_theta is %g (want a finite RoPE base > 0)", who,
                                  (double)c->rope_theta);
        if (c->untied_head != 0 && c->untied_head != 1)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: untied_head is %d (want 0, tied to the embedding, or 1)", who,
                                  c->untied_head);
    }
    if (c->family == LIGO_VIT) {
        if (c->image_h < 1 || c->image_h > 4096)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: image_h is %lld (want 1 to 4096 pixels)", who,
                                  (long long)c->image_h);
        if (c->image_w < 1 || c->image_w > 4096)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: image_w is %lld (want 1 to 4096 pixels)", who,
                                  (long long)c->image_w);
        if (c->patch < 1 || c->image_h % c->patch != 0 || c->image_w % c->patch != 0)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: patch %lld does not tile a %lldx%lld image", who,
                                  (long long)c->patch, (long long)c->image_h, (long long)c->image_w);
        if (c->n_classes < 2 || c->n_classes > LIGO__MAX_VOCAB)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: n_classes is %lld (want 2 to %lld classes)", who,
                                  (long long)c->n_classes, (long long)LIGO__MAX_VOCAB);
        c->ctx_len = (c->image_h / c->patch) * (c->image_w / c->patch) + 1;
        c->vocab = 0;
    } else {
        if (c->vocab < 2 || c->vocab > LIGO__MAX_VOCAB)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: vocab is %lld (want a vocabulary of 2 to %lld ids)", who,
                                  (long long)c->vocab, (long long)LIGO__MAX_VOCAB);
        if (c->ctx_len < 1 || c->ctx_len > LIGO__MAX_DIM)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: ctx_len is %lld (want a context of 1 to %lld positions)", who,
                                  (long long)c->ctx_len, (long long)LIGO__MAX_DIM);
    }
    return LIGO_OK;
}

/* ------------------------------------------------------ parameter table */

/* The table comes from the model's definition (the built-in ones from the
 * family's schema, src/schema.c). A layer's first entry; for layer
 * n_layer, the first entry after the blocks. */
LIGO_API int64_t ligo_model_layer_base(const ligo_model *m, int64_t layer) {
    int64_t i, after = -1;
    if (!m) return -1;
    for (i = 0; i < m->n_tensors; i++) {
        if (m->info[i].layer == layer) return i;
        if (m->info[i].layer >= 0) after = i + 1;
    }
    return layer >= m->cfg.n_layer ? (after >= 0 ? after : 0) : -1;
}

LIGO_API ligo_model *ligo_model_new(ligo_ctx *ctx, const ligo_config *cfg) {
    ligo_config c;
    ligo_model *m;
    int64_t n, offset;
    if (ligo__failed(ctx)) return NULL;
    if (!cfg) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_new: config is NULL");
        return NULL;
    }
    c = *cfg;
    if (ligo_config_check(ctx, &c) != LIGO_OK) return NULL;
    if (ligo__build_table(ctx, &c, NULL, &n, &offset) != LIGO_OK) return NULL; /* count and check */
    if (offset > ((int64_t)1 << 34)) {
        ligo_set_error(ctx, LIGO_EOVERFLOW, "ligo_model_new: %lld parameters is too many", (long long)offset);
        return NULL;
    }
    m = (ligo_model *)ligo_alloc_persistent(ctx, sizeof *m);
    if (!m) return NULL;
    m->cfg = c;
    m->info = (ligo_param_info *)ligo_alloc_persistent(ctx, (size_t)n * sizeof(ligo_param_info));
    m->data = (float *)ligo_alloc_persistent(ctx, (size_t)offset * sizeof(float));
    m->grad = (float *)ligo_alloc_persistent(ctx, (size_t)offset * sizeof(float));
    if (!m->info || !m->data || !m->grad) return NULL;
    if (ligo__build_table(ctx, &c, m->info, &m->n_tensors, &m->n_floats) != LIGO_OK) return NULL;
    if (m->n_tensors != n || m->n_floats != offset) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_new: %s declared %lld parameters, then %lld",
                       ligo_config_def(&c)->name, (long long)n, (long long)m->n_tensors);
        return NULL;
    }
    return m;
}

LIGO_API int64_t ligo_model_find(const ligo_model *m, const char *name) {
    int64_t i;
    if (!m || !name) return -1;
    for (i = 0; i < m->n_tensors; i++)
        if (strcmp(m->info[i].name, name) == 0) return i;
    return -1;
}

LIGO_API void ligo_model_zero_grad(ligo_model *m) {
    if (m) memset(m->grad, 0, (size_t)m->n_floats * sizeof(float));
}

/* Each parameter by its schema's rule; the normal draws come from one
 * stream, in table order. */
LIGO_API void ligo_model_init(ligo_model *m, uint64_t seed) {
    ligo_rng rng;
    int64_t i, k;
    float std_res;
    if (!m) return;
    ligo_rng_seed(&rng, seed);
    std_res = 0.02f / sqrtf(2.0f * (float)m->cfg.n_layer);
    for (i = 0; i < m->n_tensors; i++) {
        const ligo_param_info *p = &m->info[i];
        float *d = m->data + p->offset, std = p->init == LIGO_INIT_NORMAL_RESID ? std_res : 0.02f;
        if (p->init == LIGO_INIT_NORMAL || p->init == LIGO_INIT_NORMAL_RESID)
            for (k = 0; k < p->n; k++) d[k] = std * ligo_rng_normal(&rng);
        else
            for (k = 0; k < p->n; k++) d[k] = p->init == LIGO_INIT_ONES ? 1.0f : 0.0f;
    }
}

LIGO_API ligo_status ligo_model_weights(ligo_ctx *ctx, ligo_model *m, ligo_tensor **w) {
    int64_t i;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!m || !w) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_weights: NULL model or array");
    for (i = 0; i < m->n_tensors; i++) {
        const ligo_param_info *p = &m->info[i];
        w[i] = ligo_wrap(ctx, p->ndim, p->shape, m->data + p->offset, m->grad + p->offset);
        if (!w[i]) return ctx->status;
    }
    return LIGO_OK;
}

/* --------------------------------------------------------------- forward */

/* One block on x (R, C): pre-LN (GPT, ViT) or post-LN (BERT). */
static ligo_tensor *ligo__block(ligo_ctx *ctx, const ligo_config *c, ligo_tensor *const *w, ligo_tensor *x,
                                int64_t B, int64_t T, int causal, int pre_ln) {
    int64_t s3[3], s2[2];
    ligo_tensor *h, *a, *f;
    s3[0] = B;
    s3[1] = T;
    s3[2] = 3 * c->d_model;
    s2[0] = B * T;
    s2[1] = c->d_model;
    h = pre_ln ? ligo_layernorm(ctx, x, w[LIGO_BLK_LN1_W], w[LIGO_BLK_LN1_B], c->ln_eps) : x;
    h = ligo_linear(ctx, h, w[LIGO_BLK_QKV_W], w[LIGO_BLK_QKV_B]);
    a = ligo_attention(ctx, ligo_reshape(ctx, h, 3, s3), c->n_head, causal);
    a = ligo_linear(ctx, ligo_reshape(ctx, a, 2, s2), w[LIGO_BLK_PROJ_W], w[LIGO_BLK_PROJ_B]);
    x = ligo_add(ctx, x, a);
    if (!pre_ln) x = ligo_layernorm(ctx, x, w[LIGO_BLK_LN1_W], w[LIGO_BLK_LN1_B], c->ln_eps);
    h = pre_ln ? ligo_layernorm(ctx, x, w[LIGO_BLK_LN2_W], w[LIGO_BLK_LN2_B], c->ln_eps) : x;
    f = ligo_linear_gelu(ctx, h, w[LIGO_BLK_FC_W], w[LIGO_BLK_FC_B]);
    f = ligo_linear(ctx, f, w[LIGO_BLK_FC2_W], w[LIGO_BLK_FC2_B]);
    x = ligo_add(ctx, x, f);
    if (!pre_ln) x = ligo_layernorm(ctx, x, w[LIGO_BLK_LN2_W], w[LIGO_BLK_LN2_B], c->ln_eps);
    return x;
}

/* Position ids 0..T-1 for each of B rows, in scratch memory. */
static int32_t *ligo__positions(ligo_ctx *ctx, int64_t B, int64_t T) {
    int32_t *pos = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * T) * sizeof(int32_t));
    int64_t b, t;
    if (!pos) return NULL;
    for (b = 0; b < B; b++)
        for (t = 0; t < T; t++) pos[b * T + t] = (int32_t)t;
    return pos;
}

/* ViT input: the image cut into patches, one row of P*P pixels each,
 * patches in row-major order -> (B * N, P * P). */
static ligo_tensor *ligo__patchify(ligo_ctx *ctx, const ligo_config *c, const float *images, int64_t B) {
    int64_t P = c->patch, H = c->image_h, W = c->image_w, ph = H / P, pw = W / P, N = ph * pw;
    ligo_tensor *x = ligo_new_2d(ctx, B * N, P * P);
    int64_t b, i, j, r;
    if (!x) return NULL;
    for (b = 0; b < B; b++)
        for (i = 0; i < ph; i++)
            for (j = 0; j < pw; j++) {
                float *dst = x->data + ((b * N) + i * pw + j) * P * P;
                for (r = 0; r < P; r++) memcpy(dst + r * P, images + b * H * W + (i * P + r) * W + j * P, (size_t)P * sizeof(float));
            }
    return x;
}

static ligo_status ligo__check_weights(ligo_ctx *ctx, const ligo_model *m, ligo_tensor **w) {
    int64_t i;
    for (i = 0; i < m->n_tensors; i++) {
        const ligo_param_info *p = &m->info[i];
        if (!w[i])
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_forward: weight %s is NULL", p->name);
        if (w[i]->n != p->n || w[i]->shape[0] != p->shape[0]) {
            char b[64];
            return ligo_set_error(ctx, LIGO_ESHAPE, "ligo_model_forward: weight %s is %s, want %lldx%lld", p->name,
                                  ligo_shape_str(w[i], b, sizeof b), (long long)p->shape[0], (long long)p->shape[1]);
        }
    }
    return LIGO_OK;
}

/* The built-in families' forward pass (w in their schema's table order). */
static ligo_tensor *ligo__builtin_forward(ligo_ctx *ctx, const ligo_model *m, ligo_tensor *const *w,
                                          const ligo_batch *bt, ligo_tensor **logits_out, void *user) {
    const ligo_config *c = &m->cfg;
    int64_t B = bt->B, T = c->family == LIGO_VIT ? c->ctx_len : bt->T, l, R;
    ligo_tensor *x, *logits;
    int32_t *pos;
    (void)user;
    R = B * T;
    pos = ligo__positions(ctx, B, T);
    if (!pos) return NULL;
    if (c->family == LIGO_VIT) {
        /* rows: the class token, then every image's patch embeddings; a
         * gather puts each image's class token in front of its patches */
        int64_t N = T - 1, b, j;
        int32_t *order = (int32_t *)ligo_alloc_scratch(ctx, (size_t)R * sizeof(int32_t));
        ligo_tensor *patches = ligo__patchify(ctx, c, bt->images, B), *rows;
        if (!order || !patches) return NULL;
        for (b = 0; b < B; b++)
            for (j = 0; j < T; j++) order[b * T + j] = j == 0 ? 0 : (int32_t)(1 + b * N + (j - 1));
        rows = ligo_concat(ctx, w[2], ligo_linear(ctx, patches, w[0], w[1]), 0);
        x = ligo_add(ctx, ligo_embedding(ctx, rows, order, R), ligo_embedding(ctx, w[3], pos, R));
    } else {
        x = ligo_add(ctx, ligo_embedding(ctx, w[0], bt->inputs, R), ligo_embedding(ctx, w[1], pos, R));
        if (c->family == LIGO_BERT) x = ligo_layernorm(ctx, x, w[2], w[3], c->ln_eps);
    }
    for (l = 0; l < c->n_layer; l++)
        x = ligo__block(ctx, c, w + ligo_model_layer_base(m, l), x, B, T, c->family == LIGO_GPT,
                        c->family != LIGO_BERT);
    {
        ligo_tensor *const *head = w + ligo_model_layer_base(m, c->n_layer);
        if (c->family == LIGO_GPT) {
            x = ligo_layernorm(ctx, x, head[0], head[1], c->ln_eps);
            logits = ligo_linear(ctx, x, w[0], NULL); /* tied to wte */
        } else if (c->family == LIGO_BERT) {
            x = ligo_linear_gelu(ctx, x, head[0], head[1]);
            x = ligo_layernorm(ctx, x, head[2], head[3], c->ln_eps);
            logits = ligo_linear(ctx, x, w[0], head[4]); /* decoder tied to wte */
        } else {
            int32_t *cls = (int32_t *)ligo_alloc_scratch(ctx, (size_t)B * sizeof(int32_t));
            int64_t b;
            if (!cls) return NULL;
            for (b = 0; b < B; b++) cls[b] = (int32_t)(b * T);
            x = ligo_layernorm(ctx, x, head[0], head[1], c->ln_eps);
            logits = ligo_linear(ctx, ligo_embedding(ctx, x, cls, B), head[2], head[3]);
        }
    }
    if (logits_out) *logits_out = logits;
    if (!bt->targets) return logits;
    return ligo_cross_entropy(ctx, logits, bt->targets, c->family == LIGO_VIT ? B : R, LIGO_IGNORE);
}

static const ligo_model_def ligo__builtin_defs[LIGO_FAMILY_COUNT] = {
    {"gpt", ligo__builtin_params, ligo__builtin_forward, NULL},
    {"bert", ligo__builtin_params, ligo__builtin_forward, NULL},
    {"vit", ligo__builtin_params, ligo__builtin_forward, NULL},
    {"llama", ligo__llama_params, ligo__llama_forward, NULL}};

LIGO_API const ligo_model_def *ligo_model_def_builtin(ligo_family f) {
    return f >= 0 && f < LIGO_FAMILY_COUNT ? &ligo__builtin_defs[f] : NULL;
}

LIGO_API const ligo_model_def *ligo_config_def(const ligo_config *c) {
    return !c ? NULL : c->def ? c->def : ligo_model_def_builtin(c->family);
}

LIGO_API ligo_tensor *ligo_model_forward(ligo_ctx *ctx, const ligo_model *m, ligo_tensor **w,
                                         const ligo_batch *bt, ligo_tensor **logits_out) {
    const ligo_config *c;
    const ligo_model_def *def;
    ligo_tensor *out;
    int64_t T;
    if (logits_out) *logits_out = NULL;
    if (ligo__failed(ctx)) return NULL;
    if (!m || !w || !bt) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_forward: NULL model, weights or batch");
        return NULL;
    }
    c = &m->cfg;
    def = ligo_config_def(c);
    if (ligo__check_weights(ctx, m, w) != LIGO_OK) return NULL;
    T = c->family == LIGO_VIT ? c->ctx_len : bt->T;
    if (bt->B < 1 || T < 1 || T > c->ctx_len) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_forward: batch %lld x %lld does not fit context %lld",
                       (long long)bt->B, (long long)bt->T, (long long)c->ctx_len);
        return NULL;
    }
    if (c->family == LIGO_VIT ? !bt->images : !bt->inputs) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_forward: the batch lacks %s", c->family == LIGO_VIT ? "images" : "inputs");
        return NULL;
    }
    out = def->forward(ctx, m, w, bt, logits_out, def->user);
    if (!out && !ligo__failed(ctx))
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_forward: %s's forward returned NULL without an error", def->name);
    return out;
}

LIGO_API ligo_tensor *ligo_model_loss(ligo_ctx *ctx, ligo_model *m, const ligo_batch *batch, ligo_tensor **logits) {
    ligo_tensor **w;
    if (ligo__failed(ctx)) return NULL;
    if (!m) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_loss: model is NULL");
        return NULL;
    }
    w = (ligo_tensor **)ligo_alloc_scratch(ctx, (size_t)m->n_tensors * sizeof(ligo_tensor *));
    if (!w || ligo_model_weights(ctx, m, w) != LIGO_OK) return NULL;
    return ligo_model_forward(ctx, m, w, batch, logits);
}

/* ------------------------------------------------------------ generation */

LIGO_API ligo_status ligo_generate(ligo_ctx *ctx, ligo_model *m, const int32_t *prompt, int64_t n_prompt,
                                   int64_t n_new, double temperature, ligo_rng *rng, int32_t *out) {
    int64_t i, k, V;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!m || !prompt || !out || !rng) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_generate: NULL model, prompt, rng or output");
    if (m->cfg.family != LIGO_GPT && m->cfg.family != LIGO_LLAMA)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_generate: a %s model does not predict the next token",
                              ligo_family_name(m->cfg.family));
    if (n_prompt < 1 || n_new < 0 || n_new > ((int64_t)1 << 40))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_generate: n_prompt %lld, n_new %lld (want n_prompt >= 1, n_new >= 0)",
                              (long long)n_prompt, (long long)n_new);
    if (!(temperature >= 0.0) || !isfinite(temperature))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_generate: temperature is %g (want a finite value >= 0)",
                              temperature);
    V = m->cfg.vocab;
    for (i = 0; i < n_prompt; i++)
        if (prompt[i] < 0 || prompt[i] >= V)
            return ligo_set_error(ctx, LIGO_ERANGE, "ligo_generate: prompt id %lld is %d, outside the vocabulary of %lld",
                                  (long long)i, (int)prompt[i], (long long)V);
    if (out != prompt) memmove(out, prompt, (size_t)n_prompt * sizeof(int32_t));
    for (k = 0; k < n_new; k++) {
        ligo_mark mk = ligo_scratch_mark(ctx);
        ligo_batch bt;
        ligo_tensor *logits;
        const float *row;
        int64_t len = n_prompt + k, T = len < m->cfg.ctx_len ? len : m->cfg.ctx_len;
        int32_t next = 0;
        memset(&bt, 0, sizeof bt);
        bt.B = 1;
        bt.T = T;
        bt.inputs = out + len - T;
        logits = ligo_model_loss(ctx, m, &bt, NULL); /* no targets: the logits */
        if (!logits) return ctx->status;
        row = logits->data + (T - 1) * V;
        if (temperature <= 0.0) { /* the most likely id */
            for (i = 1; i < V; i++)
                if (row[i] > row[next]) next = (int32_t)i;
        } else { /* softmax(row / temperature), in double, drawn by inversion */
            double *p = (double *)ligo_alloc_scratch(ctx, (size_t)V * sizeof(double)), sum = 0.0, mx, u, acc = 0.0;
            if (!p) return ctx->status;
            mx = row[0];
            for (i = 1; i < V; i++) mx = row[i] > mx ? row[i] : mx;
            for (i = 0; i < V; i++) sum += (p[i] = exp(((double)row[i] - mx) / temperature));
            u = (double)ligo_rng_uniform(rng) * sum;
            for (i = 0; i < V; i++) {
                acc += p[i];
                if (u < acc) break;
            }
            next = (int32_t)(i < V ? i : V - 1);
        }
        out[len] = next;
        ligo_scratch_rewind(ctx, mk);
    }
    return LIGO_OK;
}
/* ==== end src/nn.c ==== */

/* ==== begin src/llama.c ==== */
/* llama.c: the LLaMA family (Touvron et al. 2023), written as any model of
 * one's own is (docs/design.md "Models of one's own"): a params function
 * declaring its table through ligo_params_add and a forward pass of ops.
 *
 *   x = embed_tokens[ids]
 *   per layer:  h = RMSNorm(x) ln1
 *               q = RoPE(h Wq^T), k = RoPE(h Wk^T), v = h Wv^T   (k, v: n_kv_head heads)
 *               x = x + attention(q, k, v) Wo^T                  (causal; KV heads repeated per group)
 *               h = RMSNorm(x) ln2
 *               x = x + (silu(h Wg^T) * (h Wu^T)) Wd^T           (SwiGLU)
 *   logits = RMSNorm(x) norm . (embed_tokens or lm_head)^T
 *
 * No biases anywhere. Tensor names are Hugging Face's LlamaForCausalLM's,
 * weights (out, in) as nn.Linear stores them, so a table entry's name is
 * its checkpoint key.
 *
 * Streams (what growth widens each dimension by, design.md 4.2): the
 * residual stream (embedding columns, both norms, the final norm, every
 * matrix's input side, o_proj's and down_proj's rows); q_proj's rows are
 * the layer's Q stream, k_proj's and v_proj's its K and V streams of
 * n_kv_head x head_dim units; o_proj reads the attention output, which is
 * laid out as the query heads (n_head x head_dim), so its columns read the
 * Q stream (with grouped heads V's is narrower); gate_proj and up_proj
 * share the layer's FFN stream (their product needs aligned units) and
 * down_proj reads it.
 *
 * Shapes: B batch, T positions, C = d_model, NH heads, KV = n_kv_head, hs
 * = C / NH, F = d_ff, V vocab, R = B T. */

/* ------------------------------------------------------------ the table */

typedef struct ligo__llama_role {
    const char *fmt;  /* Hugging Face key, %lld the layer */
    int ndim;
    char size[2];     /* 'C' d_model, 'K' n_kv_head x hs, 'F' d_ff, 'V' vocab */
    ligo_stream stream[2];
    int module;
    ligo_init init;
    unsigned flags;
} ligo__llama_role;

#define EMB LIGO_STREAM_EMB
#define DEC LIGO_PARAM_DECAY
static const ligo__llama_role ligo__llama_block[] = {
    {"model.layers.%lld.input_layernorm.weight", 1, {'C', 0}, {EMB, LIGO_STREAM_FIXED}, LIGO_MOD_LN1, LIGO_INIT_ONES, 0},
    {"model.layers.%lld.self_attn.q_proj.weight", 2, {'C', 'C'}, {LIGO_STREAM_Q, EMB}, LIGO_MOD_Q, LIGO_INIT_NORMAL, DEC},
    {"model.layers.%lld.self_attn.k_proj.weight", 2, {'K', 'C'}, {LIGO_STREAM_K, EMB}, LIGO_MOD_K, LIGO_INIT_NORMAL, DEC},
    {"model.layers.%lld.self_attn.v_proj.weight", 2, {'K', 'C'}, {LIGO_STREAM_V, EMB}, LIGO_MOD_V, LIGO_INIT_NORMAL, DEC},
    {"model.layers.%lld.self_attn.o_proj.weight", 2, {'C', 'C'}, {EMB, LIGO_STREAM_Q}, LIGO_MOD_O,
     LIGO_INIT_NORMAL_RESID, DEC | LIGO_PARAM_RESID_OUT},
    {"model.layers.%lld.post_attention_layernorm.weight", 1, {'C', 0}, {EMB, LIGO_STREAM_FIXED}, LIGO_MOD_LN2,
     LIGO_INIT_ONES, 0},
    {"model.layers.%lld.mlp.gate_proj.weight", 2, {'F', 'C'}, {LIGO_STREAM_FFN, EMB}, LIGO_MOD_GATE, LIGO_INIT_NORMAL,
     DEC},
    {"model.layers.%lld.mlp.up_proj.weight", 2, {'F', 'C'}, {LIGO_STREAM_FFN, EMB}, LIGO_MOD_FC1, LIGO_INIT_NORMAL, DEC},
    {"model.layers.%lld.mlp.down_proj.weight", 2, {'C', 'F'}, {EMB, LIGO_STREAM_FFN}, LIGO_MOD_FC2,
     LIGO_INIT_NORMAL_RESID, DEC | LIGO_PARAM_RESID_OUT}};
#undef EMB
#undef DEC
/* the order of a block's entries, as the forward takes them */
enum { LL_LN1, LL_Q, LL_K, LL_V, LL_O, LL_LN2, LL_GATE, LL_UP, LL_DOWN, LL_COUNT };

static int64_t ligo__llama_size(const ligo_config *c, char z) {
    switch (z) {
    case 'C': return c->d_model;
    case 'K': return c->n_kv_head * (c->d_model / c->n_head);
    case 'F': return c->d_ff;
    case 'V': return c->vocab;
    default: return 1;
    }
}

static ligo_status ligo__llama_add(ligo_params *ps, const char *name, int ndim, int64_t d0, int64_t d1,
                                   ligo_stream s0, ligo_stream s1, int layer, int module, ligo_init init,
                                   unsigned flags) {
    ligo_param_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.name = name;
    sp.ndim = ndim;
    sp.shape[0] = d0;
    sp.shape[1] = ndim == 2 ? d1 : 1;
    sp.stream[0] = s0;
    sp.stream[1] = s1;
    sp.layer = layer;
    sp.module = module;
    sp.init = init;
    sp.flags = flags;
    sp.hf_layout = LIGO_HF_PLAIN;
    return ligo_params_add(ps, &sp);
}

LIGO__PRIV ligo_status ligo__llama_params(ligo_params *ps, const ligo_config *c, void *user) {
    int64_t l;
    int k;
    ligo_status s;
    (void)user;
    s = ligo__llama_add(ps, "model.embed_tokens.weight", 2, c->vocab, c->d_model, LIGO_STREAM_FIXED, LIGO_STREAM_EMB,
                        -1, -1, LIGO_INIT_NORMAL, LIGO_PARAM_EMBEDDING);
    for (l = 0; l < c->n_layer && s == LIGO_OK; l++)
        for (k = 0; k < LL_COUNT && s == LIGO_OK; k++) {
            const ligo__llama_role *r = &ligo__llama_block[k];
            char name[64];
            snprintf(name, sizeof name, r->fmt, (long long)l);
            s = ligo__llama_add(ps, name, r->ndim, ligo__llama_size(c, r->size[0]), ligo__llama_size(c, r->size[1]),
                                r->stream[0], r->stream[1], (int)l, r->module, r->init, r->flags);
        }
    /* the final norm feeds the tied head: FPI's width rescale (design.md 4.6);
     * an untied head reads the stream, and FPI's in-expansion keeps it exact */
    if (s == LIGO_OK)
        s = ligo__llama_add(ps, "model.norm.weight", 1, c->d_model, 1, LIGO_STREAM_EMB, LIGO_STREAM_FIXED, -1, -1,
                            LIGO_INIT_ONES, c->untied_head ? 0u : LIGO_PARAM_TIED_HEAD_IN);
    if (s == LIGO_OK && c->untied_head)
        s = ligo__llama_add(ps, "lm_head.weight", 2, c->vocab, c->d_model, LIGO_STREAM_FIXED, LIGO_STREAM_EMB, -1, -1,
                            LIGO_INIT_NORMAL, LIGO_PARAM_DECAY);
    return s;
}

/* ------------------------------------------------------- grouped pieces */

/* x (R, KV hs) -> (R, NH hs): each of the KV heads repeated for the
 * NH / KV query heads of its group (query head h reads KV head
 * h / (NH / KV), as Hugging Face's repeat_kv), through a row gather, whose
 * backward adds each group's gradients into its head. */
static ligo_tensor *ligo__repeat_kv(ligo_ctx *ctx, ligo_tensor *x, int64_t R, int64_t NH, int64_t KV, int64_t hs) {
    int64_t s[2], r, h, g = NH / KV;
    int32_t *ids;
    if (!x || KV == NH) return x;
    ids = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(R * NH) * sizeof(int32_t));
    if (!ids) return NULL;
    for (r = 0; r < R; r++)
        for (h = 0; h < NH; h++) ids[r * NH + h] = (int32_t)(r * KV + h / g);
    s[0] = R * KV;
    s[1] = hs;
    x = ligo_embedding(ctx, ligo_reshape(ctx, x, 2, s), ids, R * NH);
    s[0] = R;
    s[1] = NH * hs;
    return ligo_reshape(ctx, x, 2, s);
}

LIGO_API ligo_tensor *ligo_attention_grouped(ligo_ctx *ctx, ligo_tensor *q, ligo_tensor *k, ligo_tensor *v,
                                             int64_t n_head, int64_t n_kv_head, int causal) {
    int64_t B, T, C, R, s2[2], s3[3];
    ligo_tensor *qkv;
    if (ligo__failed(ctx)) return NULL;
    if (!q || !k || !v) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_attention_grouped: NULL q, k or v");
        return NULL;
    }
    if (q->ndim != 3 || k->ndim != 3 || v->ndim != 3) {
        ligo_set_error(ctx, LIGO_ESHAPE, "ligo_attention_grouped: q, k and v must be (B, T, C), (B, T, KV hs); got %d, "
                       "%d and %d dims", q->ndim, k->ndim, v->ndim);
        return NULL;
    }
    B = q->shape[0];
    T = q->shape[1];
    C = q->shape[2];
    if (n_head < 1 || C % n_head != 0 || n_kv_head < 1 || n_head % n_kv_head != 0) {
        ligo_set_error(ctx, LIGO_ESHAPE, "ligo_attention_grouped: %lld heads, %lld KV heads for C = %lld (want KV heads "
                       "dividing heads dividing C)", (long long)n_head, (long long)n_kv_head, (long long)C);
        return NULL;
    }
    if (k->shape[0] != B || k->shape[1] != T || k->shape[2] != n_kv_head * (C / n_head) || v->shape[0] != B ||
        v->shape[1] != T || v->shape[2] != k->shape[2]) {
        ligo_set_error(ctx, LIGO_ESHAPE, "ligo_attention_grouped: k (%lld, %lld, %lld) and v (%lld, %lld, %lld) must be "
                       "(%lld, %lld, %lld)", (long long)k->shape[0], (long long)k->shape[1], (long long)k->shape[2],
                       (long long)v->shape[0], (long long)v->shape[1], (long long)v->shape[2], (long long)B,
                       (long long)T, (long long)(n_kv_head * (C / n_head)));
        return NULL;
    }
    R = B * T;
    s2[0] = R;
    s2[1] = k->shape[2];
    k = ligo__repeat_kv(ctx, ligo_reshape(ctx, k, 2, s2), R, n_head, n_kv_head, C / n_head);
    v = ligo__repeat_kv(ctx, ligo_reshape(ctx, v, 2, s2), R, n_head, n_kv_head, C / n_head);
    s2[1] = C;
    qkv = ligo_concat(ctx, ligo_concat(ctx, ligo_reshape(ctx, q, 2, s2), k, 1), v, 1);
    s3[0] = B;
    s3[1] = T;
    s3[2] = 3 * C;
    return ligo_attention(ctx, ligo_reshape(ctx, qkv, 3, s3), n_head, causal);
}

LIGO_API ligo_tensor *ligo_swiglu(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *w_gate, ligo_tensor *w_up,
                                  ligo_tensor *w_down) {
    if (ligo__failed(ctx)) return NULL;
    return ligo_linear(ctx, ligo_mul(ctx, ligo_silu(ctx, ligo_linear(ctx, x, w_gate, NULL)), ligo_linear(ctx, x, w_up, NULL)),
                       w_down, NULL);
}

/* --------------------------------------------------------------- forward */

LIGO__PRIV ligo_tensor *ligo__llama_forward(ligo_ctx *ctx, const ligo_model *m, ligo_tensor *const *w,
                                            const ligo_batch *bt, ligo_tensor **logits_out, void *user) {
    const ligo_config *c = &m->cfg;
    int64_t B = bt->B, T = bt->T, R = B * T, C = c->d_model, NH = c->n_head, KV = c->n_kv_head, hs = C / NH, l;
    int64_t s2[2], sq[3], sk[3], hb;
    ligo_tensor *x, *logits;
    (void)user;
    s2[0] = R;
    s2[1] = C;
    sq[0] = sk[0] = B;
    sq[1] = sk[1] = T;
    sq[2] = C;
    sk[2] = KV * hs;
    x = ligo_embedding(ctx, w[0], bt->inputs, R);
    for (l = 0; l < c->n_layer; l++) {
        ligo_tensor *const *b = w + ligo_model_layer_base(m, l);
        ligo_tensor *h = ligo_rmsnorm(ctx, x, b[LL_LN1], c->ln_eps), *q, *k, *v, *a;
        q = ligo_rope(ctx, ligo_reshape(ctx, ligo_linear(ctx, h, b[LL_Q], NULL), 3, sq), NH, c->rope_theta, 0);
        k = ligo_rope(ctx, ligo_reshape(ctx, ligo_linear(ctx, h, b[LL_K], NULL), 3, sk), KV, c->rope_theta, 0);
        v = ligo_reshape(ctx, ligo_linear(ctx, h, b[LL_V], NULL), 3, sk);
        a = ligo_attention_grouped(ctx, q, k, v, NH, KV, 1);
        x = ligo_add(ctx, x, ligo_linear(ctx, ligo_reshape(ctx, a, 2, s2), b[LL_O], NULL));
        h = ligo_rmsnorm(ctx, x, b[LL_LN2], c->ln_eps);
        x = ligo_add(ctx, x, ligo_swiglu(ctx, h, b[LL_GATE], b[LL_UP], b[LL_DOWN]));
    }
    hb = ligo_model_layer_base(m, c->n_layer); /* model.norm, then lm_head when untied */
    x = ligo_rmsnorm(ctx, x, w[hb], c->ln_eps);
    logits = ligo_linear(ctx, x, c->untied_head ? w[hb + 1] : w[0], NULL);
    if (logits_out) *logits_out = logits;
    if (!bt->targets) return logits;
    return ligo_cross_entropy(ctx, logits, bt->targets, R, LIGO_IGNORE);
}
/* ==== end src/llama.c ==== */

/* ==== begin src/optim.c ==== */
/* optim.c: SGD with momentum and AdamW over a flat parameter block, the
 * learning-rate schedule, and clipping by global norm. Both optimizers
 * follow PyTorch's update rules exactly (torch.optim.SGD, AdamW). */

LIGO_API ligo_optim_config ligo_optim_config_default(ligo_optim_kind kind) {
    ligo_optim_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.beta1 = 0.9f;
    c.beta2 = 0.95f;
    c.eps = 1e-8f;
    c.momentum = 0.9f;
    c.weight_decay = kind == LIGO_ADAMW ? 0.1f : 0.0f;
    c.decay_all = 0;
    return c;
}

/* Every field of an optimizer config, each named with its value: who is
 * the function reporting, prefix the field's path in its argument
 * ("optim." inside a ligo_train_config, "" for ligo_optim_new). */
LIGO__PRIV ligo_status ligo__optim_config_check(ligo_ctx *ctx, const char *who, const char *prefix,
                                                const ligo_optim_config *c) {
    if (c->kind != LIGO_ADAMW && c->kind != LIGO_SGD)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %skind is %d (want LIGO_ADAMW or LIGO_SGD)", who, prefix,
                              (int)c->kind);
    if (!(c->beta1 >= 0.0f && c->beta1 < 1.0f))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %sbeta1 is %g (want 0 <= beta1 < 1)", who, prefix,
                              (double)c->beta1);
    if (!(c->beta2 >= 0.0f && c->beta2 < 1.0f))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %sbeta2 is %g (want 0 <= beta2 < 1)", who, prefix,
                              (double)c->beta2);
    if (!(c->eps > 0.0f) || !isfinite(c->eps))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %seps is %g (want a finite eps > 0)", who, prefix, (double)c->eps);
    if (!(c->momentum >= 0.0f && c->momentum < 1.0f))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %smomentum is %g (want 0 <= momentum < 1)", who, prefix,
                              (double)c->momentum);
    if (!(c->weight_decay >= 0.0f) || !isfinite(c->weight_decay))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %sweight_decay is %g (want a finite decay >= 0)", who, prefix,
                              (double)c->weight_decay);
    return LIGO_OK;
}

LIGO_API ligo_optim *ligo_optim_new(ligo_ctx *ctx, const ligo_optim_config *cfg, int64_t n, const ligo_segment *segs,
                                    int64_t n_segs) {
    ligo_optim *o;
    int64_t i, covered = 0;
    if (ligo__failed(ctx)) return NULL;
    if (!cfg) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_new: config is NULL");
        return NULL;
    }
    if (n < 1 || n > ((int64_t)1 << 34)) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_new: n is %lld (want 1 <= n <= 2^34 floats)", (long long)n);
        return NULL;
    }
    if (segs && n_segs < 1) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_new: n_segs is %lld with a segment table (want >= 1)",
                       (long long)n_segs);
        return NULL;
    }
    if (ligo__optim_config_check(ctx, "ligo_optim_new", "", cfg) != LIGO_OK) return NULL;
    if (segs)
        for (i = 0; i < n_segs; i++) {
            if (segs[i].offset != covered || segs[i].n < 1) {
                ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_new: segment %lld does not continue at offset %lld",
                               (long long)i, (long long)covered);
                return NULL;
            }
            covered += segs[i].n;
        }
    if (segs && covered != n) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_new: segments cover %lld of %lld floats", (long long)covered,
                       (long long)n);
        return NULL;
    }
    o = (ligo_optim *)ligo_alloc_persistent(ctx, sizeof *o);
    if (!o) return NULL;
    o->cfg = *cfg;
    o->n = n;
    o->m = (float *)ligo_alloc_persistent(ctx, (size_t)n * sizeof(float));
    if (cfg->kind == LIGO_ADAMW) o->v = (float *)ligo_alloc_persistent(ctx, (size_t)n * sizeof(float));
    o->n_segs = segs ? n_segs : 1;
    o->segs = (ligo_segment *)ligo_alloc_persistent(ctx, (size_t)o->n_segs * sizeof(ligo_segment));
    if (!o->m || (cfg->kind == LIGO_ADAMW && !o->v) || !o->segs) return NULL;
    if (segs) {
        memcpy(o->segs, segs, (size_t)n_segs * sizeof(ligo_segment));
    } else {
        o->segs[0].offset = 0;
        o->segs[0].n = n;
        o->segs[0].decay = 1;
    }
    return o;
}

LIGO_API ligo_optim *ligo_optim_new_for_model(ligo_ctx *ctx, const ligo_optim_config *cfg, const ligo_model *m) {
    ligo_segment *segs;
    int64_t i;
    if (ligo__failed(ctx)) return NULL;
    if (!m || !cfg) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_new_for_model: NULL model or config");
        return NULL;
    }
    segs = (ligo_segment *)ligo_alloc_scratch(ctx, (size_t)m->n_tensors * sizeof(ligo_segment));
    if (!segs) return NULL;
    for (i = 0; i < m->n_tensors; i++) {
        segs[i].offset = m->info[i].offset;
        segs[i].n = m->info[i].n;
        segs[i].decay = cfg->decay_all || (m->info[i].flags & LIGO_PARAM_DECAY);
    }
    return ligo_optim_new(ctx, cfg, m->n_floats, segs, m->n_tensors);
}

typedef struct ligo__optim_job {
    ligo_optim *o;
    float *data;
    const float *grad;
    float lr;
    double bc1, bc2; /* bias corrections 1 - beta^t */
} ligo__optim_job;

#if LIGO__X86

/* The AdamW update of [i0, i1) on eight floats at a time: the scalar
 * loop's operations in its order (no fused multiply-add), so every
 * element gets the same bits either way. Returns where the scalar tail
 * starts. */
LIGO__AVX static int64_t ligo__adamw_avx(float *p, const float *gr, float *mm, float *vv,
                                                             int64_t i0, int64_t i1, float b1, float b2, float eps,
                                                             float step, float rbc2, float shrink) {
    __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2), c1 = _mm256_set1_ps(1.0f - b1);
    __m256 c2 = _mm256_set1_ps(1.0f - b2), ve = _mm256_set1_ps(eps), vs = _mm256_set1_ps(step);
    __m256 vr = _mm256_set1_ps(rbc2), vk = _mm256_set1_ps(shrink);
    int64_t i;
    for (i = i0; i + 8 <= i1; i += 8) {
        __m256 g = _mm256_loadu_ps(gr + i);
        __m256 m = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(mm + i)), _mm256_mul_ps(c1, g));
        __m256 v = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(vv + i)), _mm256_mul_ps(_mm256_mul_ps(c2, g), g));
        __m256 den = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(v), vr), ve);
        _mm256_storeu_ps(mm + i, m);
        _mm256_storeu_ps(vv + i, v);
        _mm256_storeu_ps(p + i, _mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(p + i), vk),
                                              _mm256_div_ps(_mm256_mul_ps(vs, m), den)));
    }
    return i;
}
#endif

#if LIGO__NEON
/* ligo__adamw_avx on NEON, four floats at a time: the same unfused
 * operations (vsqrtq_f32 and vdivq_f32 are correctly rounded, as sqrtf
 * and / are), so again the scalar loop's bits. */
static int64_t ligo__adamw_neon(float *p, const float *gr, float *mm, float *vv, int64_t i0, int64_t i1, float b1,
                                float b2, float eps, float step, float rbc2, float shrink) {
    float32x4_t vb1 = vdupq_n_f32(b1), vb2 = vdupq_n_f32(b2), c1 = vdupq_n_f32(1.0f - b1);
    float32x4_t c2 = vdupq_n_f32(1.0f - b2), ve = vdupq_n_f32(eps), vs = vdupq_n_f32(step);
    float32x4_t vr = vdupq_n_f32(rbc2), vk = vdupq_n_f32(shrink);
    int64_t i;
    for (i = i0; i + 4 <= i1; i += 4) {
        float32x4_t g = vld1q_f32(gr + i);
        float32x4_t m = vaddq_f32(vmulq_f32(vb1, vld1q_f32(mm + i)), vmulq_f32(c1, g));
        float32x4_t v = vaddq_f32(vmulq_f32(vb2, vld1q_f32(vv + i)), vmulq_f32(vmulq_f32(c2, g), g));
        float32x4_t den = vaddq_f32(vmulq_f32(vsqrtq_f32(v), vr), ve);
        vst1q_f32(mm + i, m);
        vst1q_f32(vv + i, v);
        vst1q_f32(p + i, vsubq_f32(vmulq_f32(vld1q_f32(p + i), vk), vdivq_f32(vmulq_f32(vs, m), den)));
    }
    return i;
}
#endif

/* Each thread updates a contiguous share of every segment. */
static void ligo__optim_task(void *arg, int ith, int nth) {
    const ligo__optim_job *j = (const ligo__optim_job *)arg;
    const ligo_optim *o = j->o;
    const ligo_optim_config *c = &o->cfg;
    int64_t s, i;
    for (s = 0; s < o->n_segs; s++) {
        const ligo_segment *g = &o->segs[s];
        int64_t i0 = g->offset + g->n * ith / nth, i1 = g->offset + g->n * (ith + 1) / nth;
        float wd = g->decay ? c->weight_decay : 0.0f;
        if (c->kind == LIGO_ADAMW) {
            float b1 = c->beta1, b2 = c->beta2, eps = c->eps;
            float step = (float)((double)j->lr / j->bc1);
            float rbc2 = (float)(1.0 / sqrt(j->bc2));
            float shrink = 1.0f - j->lr * wd;
#if LIGO__X86
            if (ligo__cpu_simd() >= LIGO__SIMD_AVX)
                i0 = ligo__adamw_avx(j->data, j->grad, o->m, o->v, i0, i1, b1, b2, eps, step, rbc2, shrink);
#elif LIGO__NEON
            i0 = ligo__adamw_neon(j->data, j->grad, o->m, o->v, i0, i1, b1, b2, eps, step, rbc2, shrink);
#endif
            for (i = i0; i < i1; i++) {
                float gr = j->grad[i];
                float m = b1 * o->m[i] + (1.0f - b1) * gr;
                float v = b2 * o->v[i] + (1.0f - b2) * gr * gr;
                o->m[i] = m;
                o->v[i] = v;
                j->data[i] = j->data[i] * shrink - step * m / (sqrtf(v) * rbc2 + eps);
            }
        } else {
            float mu = c->momentum;
            for (i = i0; i < i1; i++) {
                float gr = j->grad[i] + wd * j->data[i];
                float b = mu * o->m[i] + gr;
                o->m[i] = b;
                j->data[i] -= j->lr * b;
            }
        }
    }
}

/* AdamW as torch.optim.AdamW: p *= 1 - lr wd; m, v updated;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 * SGD as torch.optim.SGD: g += wd p; buf = mu buf + g (buf = g at t = 1,
 * the same from a zero buffer); p -= lr buf. */
LIGO_API ligo_status ligo_optim_step(ligo_ctx *ctx, ligo_optim *o, float *data, const float *grad, float lr) {
    ligo__optim_job j;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!o || !data || !grad) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_step: NULL optimizer or buffers");
    if (!(lr >= 0.0f) || !isfinite(lr))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_optim_step: learning rate %g is not a finite value >= 0",
                              (double)lr);
    o->step++;
    j.o = o;
    j.data = data;
    j.grad = grad;
    j.lr = lr;
    j.bc1 = 1.0 - pow((double)o->cfg.beta1, (double)o->step);
    j.bc2 = 1.0 - pow((double)o->cfg.beta2, (double)o->step);
    ligo_parallel_for(ctx, ligo__optim_task, &j, ligo__nth_for(ctx, (double)o->n, 32768.0));
    return LIGO_OK;
}

LIGO_API float ligo_schedule_lr(const ligo_schedule *s, int64_t step) {
    double p;
    if (!s) return 0.0f;
    if (step < 0) step = 0;
    if (s->warmup > 0 && step < s->warmup) return s->lr_max * (float)(step + 1) / (float)s->warmup;
    if (s->decay == LIGO_DECAY_WSD) {
        int64_t start = s->total - s->decay_steps;
        if (s->decay_steps <= 0 || step < start) return s->lr_max;
        if (start < s->warmup) start = s->warmup; /* a decay longer than the run begins after the warm-up */
        if (s->total <= start) return s->lr_max;
        p = (double)(step - start) / (double)(s->total - start);
        if (p > 1.0) p = 1.0;
        return (float)((double)s->lr_max + ((double)s->lr_min - (double)s->lr_max) * p);
    }
    if (s->decay == LIGO_DECAY_CONSTANT || s->total <= s->warmup) return s->lr_max;
    p = (double)(step - s->warmup) / (double)(s->total - s->warmup);
    if (p > 1.0) p = 1.0;
    if (s->decay == LIGO_DECAY_LINEAR) return (float)((double)s->lr_max + ((double)s->lr_min - (double)s->lr_max) * p);
    return (float)((double)s->lr_min + 0.5 * ((double)s->lr_max - (double)s->lr_min) * (1.0 + cos(3.14159265358979323846 * p)));
}

/* The sum of squares in double, in eight interleaved partial sums (element
 * i goes to sum i mod 8) added in a fixed order at the end: independent
 * chains instead of one long one, and the same result with or without
 * the vector path. */
#if LIGO__X86
LIGO__AVX static void ligo__sumsq_avx(const float *g, int64_t n8, double *acc8) {
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
    int64_t i;
    for (i = 0; i < n8; i += 8) {
        __m256d x0 = _mm256_cvtps_pd(_mm_loadu_ps(g + i)), x1 = _mm256_cvtps_pd(_mm_loadu_ps(g + i + 4));
        a0 = _mm256_add_pd(a0, _mm256_mul_pd(x0, x0));
        a1 = _mm256_add_pd(a1, _mm256_mul_pd(x1, x1));
    }
    _mm256_storeu_pd(acc8, a0);
    _mm256_storeu_pd(acc8 + 4, a1);
}
#endif

#if LIGO__NEON
/* the same eight sums, two lanes of double per register */
static void ligo__sumsq_neon(const float *g, int64_t n8, double *acc8) {
    float64x2_t a[4];
    int64_t i;
    int k;
    for (k = 0; k < 4; k++) a[k] = vdupq_n_f64(0.0);
    for (i = 0; i < n8; i += 8) {
        float32x4_t lo = vld1q_f32(g + i), hi = vld1q_f32(g + i + 4);
        float64x2_t x0 = vcvt_f64_f32(vget_low_f32(lo)), x1 = vcvt_high_f64_f32(lo);
        float64x2_t x2 = vcvt_f64_f32(vget_low_f32(hi)), x3 = vcvt_high_f64_f32(hi);
        a[0] = vaddq_f64(a[0], vmulq_f64(x0, x0));
        a[1] = vaddq_f64(a[1], vmulq_f64(x1, x1));
        a[2] = vaddq_f64(a[2], vmulq_f64(x2, x2));
        a[3] = vaddq_f64(a[3], vmulq_f64(x3, x3));
    }
    for (k = 0; k < 4; k++) vst1q_f64(acc8 + 2 * k, a[k]);
}
#endif

static double ligo__sumsq(const float *g, int64_t n) {
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i, n8 = n / 8 * 8;
    int k, vec = 0;
#if LIGO__X86
    if (ligo__cpu_simd() >= LIGO__SIMD_AVX) {
        ligo__sumsq_avx(g, n8, acc);
        vec = 1;
    }
#elif LIGO__NEON
    ligo__sumsq_neon(g, n8, acc);
    vec = 1;
#endif
    if (!vec)
        for (i = 0; i < n8; i += 8)
            for (k = 0; k < 8; k++) acc[k] += (double)g[i + k] * (double)g[i + k];
    for (i = n8; i < n; i++) acc[i - n8] += (double)g[i] * (double)g[i];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

LIGO_API double ligo_clip_grad_norm(float *grad, int64_t n, double max_norm) {
    double ss, norm;
    int64_t i;
    if (!grad || n < 1) return 0.0;
    ss = ligo__sumsq(grad, n);
    norm = sqrt(ss);
    if (!isfinite(norm)) return norm;
    if (max_norm > 0.0 && norm > max_norm) {
        float scale = (float)(max_norm / (norm + 1e-6));
        for (i = 0; i < n; i++) grad[i] *= scale;
    }
    return norm;
}
/* ==== end src/optim.c ==== */

/* ==== begin src/file.c ==== */
/* file.c: files, for every format: one reader that takes a file whole
 * (plain files and pipes alike) under one size cap, LIGO__MAX_FILE; one
 * writer that replaces a file atomically; the byte orders the formats use.
 * Messages are "WHO: PATH: what went wrong". */

#include <errno.h>

#if defined(__unix__) || defined(__unix) || (defined(__APPLE__) && defined(__MACH__))
#include <sys/stat.h>
#include <unistd.h>
#endif
/* _POSIX_VERSION is old when the feature macros came too late (a system
 * header included before ligo.h under strict C99): then stat, fileno and
 * fsync may be undeclared, and the portable fallbacks are used. */
#if defined(_POSIX_VERSION) && _POSIX_VERSION >= 200112L
#define LIGO__FILE_POSIX 1
#endif

/* The first error wins, so a loader that wants its own name and the file's
 * on a callee's error rewrites it. */
LIGO__PRIV ligo_status ligo__reword(ligo_ctx *ctx, ligo_mark mk, const char *fn, const char *name) {
    char why[LIGO__ERRMSG];
    ligo_status s = ctx->status;
    snprintf(why, sizeof why, "%s", ctx->errmsg);
    ligo_clear_error(ctx);
    ligo_scratch_rewind(ctx, mk);
    if (name) return ligo_set_error(ctx, s, "%s: %s: %s", fn, name, why);
    return ligo_set_error(ctx, s, "%s: %s", fn, why);
}

/* ----------------------------------------------------------- byte order */

/* Every multi-byte value read from or written to a file goes through these:
 * the format defines its byte order (safetensors and GPT-2 token files
 * little-endian, IDX big-endian), the host's never matters. Integers are
 * put together from bytes with shifts (no byte-order test at all); floats
 * are copied whole and, on a big-endian host only, reversed in place. */

LIGO__PRIV uint16_t ligo__le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

LIGO__PRIV uint32_t ligo__le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

LIGO__PRIV uint32_t ligo__be32(const unsigned char *p) {
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

LIGO__PRIV uint64_t ligo__le64(const unsigned char *p) {
    return (uint64_t)ligo__le32(p) | (uint64_t)ligo__le32(p + 4) << 32;
}

LIGO__PRIV void ligo__put_le64(unsigned char *p, uint64_t v) {
    int i;
    for (i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* 1 on a little-endian host; a constant after optimisation. Floats are
 * IEEE 754 binary32 stored in the integers' byte order on every host ligo
 * supports (x86-64, ARM64, s390x). */
LIGO__PRIV int ligo__host_le(void) {
    const uint32_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* n 4-byte values (floats) at x between the host's order and
 * little-endian, in place: nothing on a little-endian host, each value's
 * bytes reversed on a big-endian one (the same operation both ways). */
LIGO__PRIV void ligo__le32_inplace(void *x, int64_t n) {
    unsigned char *b = (unsigned char *)x, t;
    int64_t i;
    if (ligo__host_le()) return;
    for (i = 0; i < n; i++, b += 4) {
        t = b[0];
        b[0] = b[3];
        b[3] = t;
        t = b[1];
        b[1] = b[2];
        b[2] = t;
    }
}

/* -------------------------------------------------------------- reading */

/* n bytes for the result: scratch, or the heap (LIGO__READ_HEAP). */
static unsigned char *ligo__read_buf(ligo_ctx *ctx, const char *who, const char *path, size_t n, unsigned flags) {
    unsigned char *p;
    if (!(flags & LIGO__READ_HEAP)) return (unsigned char *)ligo_alloc_scratch(ctx, n);
    p = (unsigned char *)LIGO_MALLOC(n, ctx->alloc_user);
    if (!p) ligo_set_error(ctx, LIGO_ENOMEM, "%s: %s: out of memory for %zu bytes", who, path, n);
    return p;
}

static void ligo__read_free(ligo_ctx *ctx, void *p, unsigned flags, ligo_mark mk) {
    if (flags & LIGO__READ_HEAP) LIGO_FREE(p, ctx->alloc_user);
    else ligo_scratch_rewind(ctx, mk);
}

static ligo_status ligo__read_errno(ligo_ctx *ctx, const char *who, const char *path, FILE *f) {
    int e = errno;
    if (f) fclose(f);
    return ligo_set_error(ctx, LIGO_EIO, "%s: %s: %s", who, path, strerror(e));
}

/* A stream without a usable size (a pipe): read in growing steps into a
 * temporary buffer, then copied into the result's. `first` is the byte
 * already read to probe the file. */
static ligo_status ligo__read_stream(ligo_ctx *ctx, const char *who, FILE *f, const char *path, int first,
                                     size_t max_bytes, unsigned flags, void **out, size_t *out_n) {
    unsigned char *tmp = NULL, *res;
    size_t len = 0, cap = 0;
    int c = first;
    while (c != EOF) {
        size_t got;
        if (len >= max_bytes) { /* and a byte c more is waiting */
            LIGO_FREE(tmp, ctx->alloc_user);
            return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: more than %zu bytes exceeds the cap", who, path,
                                  max_bytes);
        }
        if (len == cap) { /* double, up to the cap (len < max_bytes: room for c) */
            size_t ncap = cap ? 2 * cap : 65536;
            unsigned char *p;
            if (ncap < cap || ncap > max_bytes) ncap = max_bytes;
            p = (unsigned char *)LIGO_REALLOC(tmp, ncap, ctx->alloc_user);
            if (!p) {
                LIGO_FREE(tmp, ctx->alloc_user);
                return ligo_set_error(ctx, LIGO_ENOMEM, "%s: %s: out of memory after %zu bytes", who, path, len);
            }
            tmp = p;
            cap = ncap;
        }
        tmp[len++] = (unsigned char)c;
        got = fread(tmp + len, 1, cap - len, f);
        len += got;
        if (ferror(f)) break;
        c = fgetc(f);
    }
    if (ferror(f)) {
        int e = errno;
        LIGO_FREE(tmp, ctx->alloc_user);
        return ligo_set_error(ctx, LIGO_EIO, "%s: %s: %s", who, path, strerror(e));
    }
    res = ligo__read_buf(ctx, who, path, len + 1, flags); /* + 1: the zero byte */
    if (res && len) memcpy(res, tmp, len);
    LIGO_FREE(tmp, ctx->alloc_user);
    if (!res) return ctx->status;
    res[len] = 0;
    *out = res;
    *out_n = len;
    return LIGO_OK;
}

LIGO__PRIV ligo_status ligo__read_file(ligo_ctx *ctx, const char *who, const char *path, size_t max_bytes,
                                       unsigned flags, void **out, size_t *out_n) {
    FILE *f;
    long size = 0;
    int c, seekable;
    size_t got;
    unsigned char *buf;
    ligo_mark mk;
#if defined(LIGO__FILE_POSIX)
    if (flags & LIGO__READ_REGULAR) {
        /* before fopen, which would wait forever on a FIFO */
        struct stat sb;
        if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
            return ligo_set_error(ctx, LIGO_EIO, "%s: %s: not a regular file", who, path);
    }
#endif
    errno = 0;
    f = fopen(path, "rb");
    if (!f) return ligo__read_errno(ctx, who, path, NULL);
    /* The size first, while nothing is buffered (a failed seek leaves the
     * stream where it was); then one byte, so that a directory fails here
     * (EISDIR) before its meaningless size is used. */
    seekable = fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0;
    if (!seekable) clearerr(f);
    errno = 0;
    c = fgetc(f);
    if (c == EOF && ferror(f)) return ligo__read_errno(ctx, who, path, f);
    if (!seekable) { /* a pipe or a procfs file */
        ligo_status s = ligo__read_stream(ctx, who, f, path, c, max_bytes, flags, out, out_n);
        fclose(f);
        return s;
    }
    if (fseek(f, 0, SEEK_SET) != 0) return ligo__read_errno(ctx, who, path, f);
    if ((uint64_t)size > (uint64_t)max_bytes || (uint64_t)size >= (uint64_t)SIZE_MAX) {
        fclose(f);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %ld bytes exceeds the cap of %zu", who, path, size,
                              max_bytes);
    }
    mk = ligo_scratch_mark(ctx);
    buf = ligo__read_buf(ctx, who, path, (size_t)size + 1, flags); /* + 1: the zero byte, never a 0-byte request */
    if (!buf) {
        fclose(f);
        return ctx->status;
    }
    got = fread(buf, 1, (size_t)size, f);
    if (ferror(f)) {
        ligo__read_free(ctx, buf, flags, mk);
        return ligo__read_errno(ctx, who, path, f);
    }
    /* Fewer bytes than the size said: the file shrank (or, as in sysfs, the
     * size is a guess); take what is there. More: the size was wrong (procfs
     * says 0) or the file grew; read it again as a stream. */
    if (got == (size_t)size && (c = fgetc(f)) != EOF) {
        ligo_status s;
        ligo__read_free(ctx, buf, flags, mk);
        if (fseek(f, 0, SEEK_SET) != 0 || ((c = fgetc(f)) == EOF && ferror(f))) return ligo__read_errno(ctx, who, path, f);
        s = ligo__read_stream(ctx, who, f, path, c, max_bytes, flags, out, out_n);
        fclose(f);
        return s;
    }
    fclose(f);
    buf[got] = 0;
    *out = buf;
    *out_n = got;
    return LIGO_OK;
}

LIGO_API ligo_status ligo_read_file(ligo_ctx *ctx, const char *path, size_t max_bytes, void **out, size_t *out_n) {
    if (out) *out = NULL;
    if (out_n) *out_n = 0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out || !out_n) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_read_file: NULL argument");
    return ligo__read_file(ctx, "ligo_read_file", path, max_bytes, 0, out, out_n);
}

/* -------------------------------------------------------------- writing */

static int ligo__file_sync(FILE *f) {
#if defined(_WIN32)
    return _commit(_fileno(f)) == 0;
#elif defined(LIGO__FILE_POSIX)
    return fsync(fileno(f)) == 0;
#else
    (void)f;
    return 1;
#endif
}

/* tmp over path, atomically: rename(), which on Windows refuses an
 * existing target, so there MoveFileEx replacing it (same volume: a rename
 * of the directory entry). 1 on success; else 0 with errno set. */
static int ligo__replace(const char *tmp, const char *path) {
#if defined(_WIN32)
    if (MoveFileExA(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) return 1;
    switch (GetLastError()) {
    case ERROR_ACCESS_DENIED: case ERROR_SHARING_VIOLATION: case ERROR_LOCK_VIOLATION: errno = EACCES; break;
    case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: errno = ENOENT; break;
    case ERROR_DISK_FULL: case ERROR_HANDLE_DISK_FULL: errno = ENOSPC; break;
    case ERROR_NOT_SAME_DEVICE: errno = EXDEV; break;
    default: errno = EIO; break;
    }
    return 0;
#else
    return rename(tmp, path) == 0;
#endif
}

/* Opening PATH.tmp; the error names WHO. The temporary's name lives in
 * the context's allocator until the file is committed or abandoned. */
static ligo_status ligo__file_begin(ligo_ctx *ctx, const char *who, const char *path, ligo_file *out) {
    size_t plen = strlen(path);
    int err;
    out->tmp = (char *)LIGO_MALLOC(plen + 5, ctx->alloc_user);
    if (!out->tmp) return ligo_set_error(ctx, LIGO_ENOMEM, "%s: %s: no memory for the temporary's name", who, path);
    memcpy(out->tmp, path, plen);
    memcpy(out->tmp + plen, ".tmp", 5);
    out->f = fopen(out->tmp, "wb");
    if (!out->f) { /* nothing was created, so nothing is removed (it may be someone's directory) */
        err = errno;
        LIGO_FREE(out->tmp, ctx->alloc_user);
        out->tmp = NULL;
        return ligo_set_error(ctx, LIGO_EIO, "%s: %s: cannot create %s.tmp: %s", who, path, path, strerror(err));
    }
    out->path = path;
    return LIGO_OK;
}

/* A failed step: the temporary closed (unless already) and removed, the
 * target left as it was, the error naming the step and errno's reason. */
static ligo_status ligo__file_fail(ligo_ctx *ctx, const char *who, ligo_file *file, const char *step, int err) {
    if (file->f) fclose(file->f);
    remove(file->tmp);
    LIGO_FREE(file->tmp, ctx->alloc_user);
    file->f = NULL, file->tmp = NULL;
    return ligo_set_error(ctx, LIGO_EIO, "%s: %s: %s of %s.tmp failed: %s", who, file->path, step, file->path,
                          strerror(err));
}

/* Flush, sync, close, rename. A stream whose error flag is set (some
 * earlier write failed) fails as "write". */
static ligo_status ligo__file_commit(ligo_ctx *ctx, const char *who, ligo_file *file) {
    int closed;
    if (ferror(file->f)) return ligo__file_fail(ctx, who, file, "write", errno ? errno : EIO);
    if (fflush(file->f) != 0) return ligo__file_fail(ctx, who, file, "flush", errno);
    if (!ligo__file_sync(file->f)) return ligo__file_fail(ctx, who, file, "fsync", errno);
    closed = fclose(file->f);
    file->f = NULL;
    if (closed != 0) return ligo__file_fail(ctx, who, file, "close", errno);
    if (!ligo__replace(file->tmp, file->path)) return ligo__file_fail(ctx, who, file, "rename", errno);
    LIGO_FREE(file->tmp, ctx->alloc_user);
    file->tmp = NULL;
    return LIGO_OK;
}

LIGO__PRIV ligo_status ligo__write_atomic(ligo_ctx *ctx, const char *who, const char *path, ligo__write_fn fn,
                                          void *user) {
    ligo_file file;
    if (ligo__file_begin(ctx, who, path, &file) != LIGO_OK) return ctx->status;
    if (!fn(file.f, user)) return ligo__file_fail(ctx, who, &file, "write", errno);
    return ligo__file_commit(ctx, who, &file);
}

LIGO_API ligo_status ligo_file_begin(ligo_ctx *ctx, const char *path, ligo_file *out) {
    if (out) out->f = NULL, out->tmp = NULL, out->path = NULL;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_file_begin: NULL argument");
    return ligo__file_begin(ctx, "ligo_file_begin", path, out);
}

LIGO_API ligo_status ligo_file_commit(ligo_ctx *ctx, ligo_file *file) {
    ligo_status s;
    if (!ctx) return LIGO_EINVAL;
    if (!file || !file->f)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_file_commit: no file open (ligo_file_begin failed or was not called)");
    if (ctx->status != LIGO_OK) { /* an error pending on ctx: what was written is not trusted */
        s = ctx->status;
        ligo_file_abandon(ctx, file);
        return s;
    }
    return ligo__file_commit(ctx, "ligo_file_commit", file);
}

LIGO_API void ligo_file_abandon(ligo_ctx *ctx, ligo_file *file) {
    if (!ctx || !file || !file->f) return;
    fclose(file->f);
    remove(file->tmp);
    LIGO_FREE(file->tmp, ctx->alloc_user);
    file->f = NULL, file->tmp = NULL;
}
/* ==== end src/file.c ==== */

/* ==== begin src/data.c ==== */
/* data.c: token streams (bytes, GPT-2 token files), deterministic
 * batches and evaluation windows, masked-LM corruption. Every parser checks
 * sizes against its input before it allocates or reads; malformed input is
 * LIGO_EFORMAT, never a crash. */

#define LIGO__GPT2_MAGIC 20240520
#define LIGO__GPT2_HEADER (256 * 4)
#define LIGO__GPT2_VOCAB 50257

/* ---------------------------------------------------------------- tokens */

static void ligo__split_tokens(ligo_tokens *t) { t->split = t->n - t->n / 10; }

/* Bytes as tokens (vocab 256). `name` (a path or NULL) goes into messages. */
static ligo_status ligo__tokens_bytes(ligo_ctx *ctx, const char *fn, const char *name, const void *bytes, size_t n,
                                     ligo_tokens *out) {
    const unsigned char *p = (const unsigned char *)bytes;
    const char *sep = name ? ": " : "";
    size_t i;
    if (!name) name = "";
    if (n < 2)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %s%s%zu bytes is too little text (at least 2)", fn, name, sep, n);
    if (n > (size_t)INT64_MAX || n > SIZE_MAX / sizeof(uint16_t))
        return ligo_set_error(ctx, LIGO_EOVERFLOW, "%s: %s%s%zu bytes is too many tokens", fn, name, sep, n);
    out->data = (uint16_t *)ligo_alloc_persistent(ctx, n * sizeof(uint16_t));
    if (!out->data) return ctx->status;
    for (i = 0; i < n; i++) out->data[i] = p[i];
    out->n = (int64_t)n;
    out->vocab = 256;
    ligo__split_tokens(out);
    return LIGO_OK;
}

LIGO_API ligo_status ligo_tokens_from_bytes(ligo_ctx *ctx, const void *bytes, size_t n, ligo_tokens *out) {
    if (out) memset(out, 0, sizeof *out);
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || (!bytes && n)) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_from_bytes: NULL argument");
    return ligo__tokens_bytes(ctx, "ligo_tokens_from_bytes", NULL, bytes, n, out);
}

LIGO_API ligo_status ligo_tokens_load_text(ligo_ctx *ctx, const char *path, ligo_tokens *out) {
    ligo_mark mk;
    void *buf;
    size_t n;
    if (out) memset(out, 0, sizeof *out);
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_load_text: NULL argument");
    mk = ligo_scratch_mark(ctx);
    if (ligo_read_file(ctx, path, LIGO__MAX_FILE, &buf, &n) != LIGO_OK)
        return ligo__reword(ctx, mk, "ligo_tokens_load_text", NULL);
    if (ligo__tokens_bytes(ctx, "ligo_tokens_load_text", path, buf, n, out) != LIGO_OK) {
        memset(out, 0, sizeof *out);
        ligo_scratch_rewind(ctx, mk);
        return ctx->status;
    }
    ligo_scratch_rewind(ctx, mk);
    return LIGO_OK;
}

/* GPT-2 token file (llm.c's layout):
 *   bytes [0, 1024): 256 little-endian int32; [0] magic 20240520,
 *                    [1] version 1, [2] token count N, the rest unused
 *   bytes [1024, 1024 + 2N): N little-endian uint16 tokens, nothing after.
 * vocab = max(50257, largest id + 1). `name` (the path or NULL) goes into
 * messages. */
static ligo_status ligo__gpt2(ligo_ctx *ctx, const char *fn, const char *name, const void *buf, size_t n,
                              ligo_tokens *out) {
    const unsigned char *p = (const unsigned char *)buf;
    const char *sep = name ? ": " : "";
    uint32_t magic, version, count, maxid = 0;
    size_t body, want, i;
    if (!name) name = "";
    if (n < LIGO__GPT2_HEADER)
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s%s%zu bytes is shorter than the 1024-byte header", fn, name, sep,
                              n);
    magic = ligo__le32(p);
    version = ligo__le32(p + 4);
    count = ligo__le32(p + 8);
    if (magic != LIGO__GPT2_MAGIC)
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s%sbad magic %lu (want %d)", fn, name, sep, (unsigned long)magic,
                              LIGO__GPT2_MAGIC);
    if (version != 1)
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s%sversion %lu (want 1)", fn, name, sep, (unsigned long)version);
    if (count > 0x7fffffffu) /* a negative int32 */
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s%snegative token count %ld", fn, name, sep,
                              (long)((int64_t)count - ((int64_t)1 << 32)));
    body = n - LIGO__GPT2_HEADER;
    if (!ligo__mul_size((size_t)count, 2, &want) || want > body)
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s%struncated: the header says %lu tokens (%lu bytes), %zu bytes follow",
                              fn, name, sep, (unsigned long)count, 2ul * (unsigned long)count, body);
    if (want < body)
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s%s%zu trailing bytes after the %lu tokens the header announces", fn,
                              name, sep, body - want, (unsigned long)count);
    if (count < 2)
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s%s%lu tokens (at least 2)", fn, name, sep, (unsigned long)count);
    out->data = (uint16_t *)ligo_alloc_persistent(ctx, (size_t)count * sizeof(uint16_t));
    if (!out->data) return ctx->status;
    for (i = 0; i < (size_t)count; i++) {
        uint16_t v = ligo__le16(p + LIGO__GPT2_HEADER + 2 * i);
        out->data[i] = v;
        if (v > maxid) maxid = v;
    }
    out->n = (int64_t)count;
    out->vocab = maxid + 1 > LIGO__GPT2_VOCAB ? (int32_t)maxid + 1 : LIGO__GPT2_VOCAB;
    ligo__split_tokens(out);
    return LIGO_OK;
}

LIGO_API ligo_status ligo_tokens_parse_gpt2(ligo_ctx *ctx, const void *buf, size_t n, ligo_tokens *out) {
    if (out) memset(out, 0, sizeof *out);
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || (!buf && n)) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_parse_gpt2: NULL argument");
    return ligo__gpt2(ctx, "ligo_tokens_parse_gpt2", NULL, buf, n, out);
}

LIGO_API ligo_status ligo_tokens_load_gpt2(ligo_ctx *ctx, const char *path, ligo_tokens *out) {
    ligo_mark mk;
    void *buf;
    size_t n;
    if (out) memset(out, 0, sizeof *out);
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_load_gpt2: NULL argument");
    mk = ligo_scratch_mark(ctx);
    if (ligo_read_file(ctx, path, LIGO__MAX_FILE, &buf, &n) != LIGO_OK)
        return ligo__reword(ctx, mk, "ligo_tokens_load_gpt2", NULL);
    if (ligo__gpt2(ctx, "ligo_tokens_load_gpt2", path, buf, n, out) != LIGO_OK) {
        memset(out, 0, sizeof *out);
        ligo_scratch_rewind(ctx, mk);
        return ctx->status;
    }
    ligo_scratch_rewind(ctx, mk);
    return LIGO_OK;
}

/* [lo, hi) of a split; 0 for an unknown split or an inconsistent stream. */
static int ligo__split_range(const ligo_tokens *t, int split, int64_t *lo, int64_t *hi) {
    if (!t || !t->data || t->n < 0 || t->split < 0 || t->split > t->n) return 0;
    if (split != LIGO_SPLIT_TRAIN && split != LIGO_SPLIT_VAL) return 0;
    *lo = split == LIGO_SPLIT_TRAIN ? 0 : t->split;
    *hi = split == LIGO_SPLIT_TRAIN ? t->split : t->n;
    return 1;
}

static const char *ligo__split_name(int split) { return split == LIGO_SPLIT_TRAIN ? "training" : "validation"; }

LIGO_API ligo_status ligo_tokens_batch(ligo_ctx *ctx, const ligo_tokens *tok, int split, ligo_rng *rng, int64_t B,
                                       int64_t T, int32_t *inputs, int32_t *targets) {
    int64_t lo, hi, b, t, bt;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!tok || !rng || !inputs || !targets)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_batch: NULL argument");
    if (!ligo__split_range(tok, split, &lo, &hi))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_batch: split %d is unknown or the stream is empty", split);
    if (B < 1 || T < 1 || !ligo__mul_i64(B, T, &bt))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_batch: B = %lld, T = %lld (each must be >= 1)",
                              (long long)B, (long long)T);
    if (T > hi - lo - 1) /* T + 1 tokens needed, written without overflow */
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_batch: the %s split has %lld tokens, fewer than T + 1 (T = %lld)",
                              ligo__split_name(split), (long long)(hi - lo), (long long)T);
    for (b = 0; b < B; b++) {
        /* starts in [lo, hi - T - 1], uniformly: windows stay inside the split */
        int64_t s = lo + (int64_t)ligo_rng_below(rng, (uint64_t)(hi - lo - T));
        for (t = 0; t < T; t++) {
            inputs[b * T + t] = tok->data[s + t];
            targets[b * T + t] = tok->data[s + t + 1];
        }
    }
    return LIGO_OK;
}

LIGO_API int64_t ligo_tokens_windows(const ligo_tokens *tok, int split, int64_t T) {
    int64_t lo, hi;
    if (T < 1 || !ligo__split_range(tok, split, &lo, &hi) || T > hi - lo - 1) return 0;
    return (hi - lo) / (T + 1);
}

/* Window k covers tokens [lo + k (T + 1), lo + (k + 1)(T + 1)). */
LIGO_API ligo_status ligo_tokens_window(ligo_ctx *ctx, const ligo_tokens *tok, int split, int64_t k, int64_t T,
                                        int32_t *inputs, int32_t *targets) {
    int64_t lo, hi, s, t, nw;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!tok || !inputs || !targets) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_window: NULL argument");
    if (!ligo__split_range(tok, split, &lo, &hi))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_window: split %d is unknown or the stream is empty", split);
    if (T < 1) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_tokens_window: T = %lld (must be >= 1)", (long long)T);
    nw = ligo_tokens_windows(tok, split, T);
    if (k < 0 || k >= nw)
        return ligo_set_error(ctx, LIGO_ERANGE, "ligo_tokens_window: window %lld of the %s split, which has %lld of T = %lld",
                              (long long)k, ligo__split_name(split), (long long)nw, (long long)T);
    s = lo + k * (T + 1);
    for (t = 0; t < T; t++) {
        inputs[t] = tok->data[s + t];
        targets[t] = tok->data[s + t + 1];
    }
    return LIGO_OK;
}

/* ------------------------------------------------------------------- MLM */

/* One chosen position: 80% mask_id, 10% a random id, 10% unchanged. */
static int32_t ligo__mlm_corrupt(ligo_rng *rng, int32_t orig, int32_t mask_id, int32_t n_random) {
    float u = ligo_rng_uniform(rng);
    if (u < 0.8f) return mask_id;
    if (u < 0.9f) return (int32_t)ligo_rng_below(rng, (uint64_t)n_random);
    return orig;
}

/* tokens may alias inputs or targets (the trainer passes targets): each
 * original is read before either output is written. */
LIGO_API ligo_status ligo_mlm_mask(ligo_ctx *ctx, ligo_rng *rng, const int32_t *tokens, int64_t n, float prob,
                                   int32_t mask_id, int32_t n_random, int32_t ignore_index, int32_t *inputs,
                                   int32_t *targets) {
    int64_t i, chosen = 0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!rng || !tokens || !inputs || !targets) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_mlm_mask: NULL argument");
    if (n < 1 || n_random < 1 || !(prob >= 0.0f && prob <= 1.0f))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_mlm_mask: n = %lld, n_random = %ld, prob = %g (want n >= 1, n_random >= 1, prob in [0, 1])",
                              (long long)n, (long)n_random, (double)prob);
    for (i = 0; i < n; i++) {
        int32_t orig = tokens[i];
        if (ligo_rng_uniform(rng) < prob) {
            inputs[i] = ligo__mlm_corrupt(rng, orig, mask_id, n_random);
            targets[i] = orig;
            chosen++;
        } else {
            inputs[i] = orig;
            targets[i] = ignore_index;
        }
    }
    if (chosen == 0) { /* a batch must teach something: one position, uniformly */
        int32_t orig;
        i = (int64_t)ligo_rng_below(rng, (uint64_t)n);
        orig = inputs[i]; /* unchanged there */
        inputs[i] = ligo__mlm_corrupt(rng, orig, mask_id, n_random);
        targets[i] = orig;
    }
    return LIGO_OK;
}
/* ==== end src/data.c ==== */

/* ==== begin src/inflate.c ==== */
/* inflate.c: gzip (RFC 1952) with a built-in inflate (RFC 1951), for
 * gzipped IDX files: every table and length checked, output capped. */

/* ---------------------------------------------------------------- inflate
 * RFC 1951. Bits come LSB first from a 64-bit buffer that is refilled a
 * byte at a time and never reads past the input. Huffman codes are
 * canonical: counts per length and the symbols sorted by code (as zlib's
 * puff), plus a 9-bit lookup table for the common short codes. Every table
 * is checked: over-subscribed codes are refused; incomplete ones only where
 * RFC 1951 allows them (a single code). Output grows in a temporary buffer
 * and stops at the caller's cap. */

#define LIGO__FAST 9 /* bits looked up at once */

typedef struct ligo__inflate {
    const unsigned char *in;
    size_t n, pos;   /* input and the next byte to load */
    uint64_t bits;   /* loaded bits, the next one lowest */
    int nbits;
    unsigned char *out;
    size_t len, cap, max;
    size_t start;    /* where the current gzip member's output starts */
    void *user;
    const char *err; /* first problem, a constant string */
} ligo__inflate;

typedef struct ligo__huff {
    uint16_t fast[1 << LIGO__FAST]; /* next 9 bits -> symbol << 4 | length; 0: not a short code */
    short count[16];                /* codes per length */
    short symbol[288];              /* symbols ordered by code */
} ligo__huff;

static const char ligo__e_trunc[] = "the compressed data is truncated";
static const char ligo__e_cap[] = "the decompressed size exceeds the cap";

static void ligo__inf_refill(ligo__inflate *s) {
    while (s->nbits <= 56 && s->pos < s->n) {
        s->bits |= (uint64_t)s->in[s->pos++] << s->nbits;
        s->nbits += 8;
    }
}

/* need <= 16 bits. */
static int ligo__inf_bits(ligo__inflate *s, int need, int *v) {
    if (s->nbits < need) ligo__inf_refill(s);
    if (s->nbits < need) {
        s->err = ligo__e_trunc;
        return 0;
    }
    *v = (int)(s->bits & ((1u << need) - 1u));
    s->bits >>= need;
    s->nbits -= need;
    return 1;
}

/* Drop the bits up to the next byte boundary and give back the whole
 * bytes loaded ahead, so that pos is the next unread byte. */
static void ligo__inf_align(ligo__inflate *s) {
    s->pos -= (size_t)(s->nbits / 8);
    s->bits = 0;
    s->nbits = 0;
}

/* Room for k more output bytes, within the cap. */
static int ligo__inf_reserve(ligo__inflate *s, size_t k) {
    size_t need, cap;
    unsigned char *p;
    if (k <= s->cap - s->len) return 1;
    if (k > s->max - s->len) {
        s->err = ligo__e_cap;
        return 0;
    }
    need = s->len + k;
    cap = s->cap ? s->cap : 65536;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : 2 * cap;
    if (cap > s->max) cap = s->max;
    p = (unsigned char *)LIGO_REALLOC(s->out, cap, s->user);
    if (!p) {
        s->err = "out of memory for the output";
        return 0;
    }
    s->out = p;
    s->cap = cap;
    return 1;
}

/* Returns 0 for a complete code, > 0 for an incomplete one, < 0 for an
 * over-subscribed one. Lengths are 0..15. */
static int ligo__huff_build(ligo__huff *h, const unsigned char *length, int n) {
    short offs[16];
    int len, sym, left = 1, idx, k;
    unsigned code;
    memset(h->count, 0, sizeof h->count);
    memset(h->fast, 0, sizeof h->fast);
    for (sym = 0; sym < n; sym++) h->count[length[sym]]++;
    if (h->count[0] == n) return 0; /* no codes: decoding anything fails */
    for (len = 1; len < 16; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0) return left;
    }
    offs[1] = 0;
    for (len = 1; len < 15; len++) offs[len + 1] = (short)(offs[len] + h->count[len]);
    for (sym = 0; sym < n; sym++)
        if (length[sym] != 0) h->symbol[offs[length[sym]]++] = (short)sym;
    /* canonical codes in symbol order; short ones go into the table at
     * their bit-reversed position (codes are sent MSB first) */
    code = 0;
    idx = 0;
    for (len = 1; len <= LIGO__FAST; len++) {
        for (k = 0; k < h->count[len]; k++, idx++, code++) {
            unsigned rev = 0, fill;
            int b;
            for (b = 0; b < len; b++) rev |= ((code >> b) & 1u) << (len - 1 - b);
            for (fill = rev; fill < (1u << LIGO__FAST); fill += 1u << len)
                h->fast[fill] = (uint16_t)(h->symbol[idx] << 4 | len);
        }
        code <<= 1;
    }
    return left;
}

/* The next symbol, or -1 with s->err set. */
static int ligo__inf_decode(ligo__inflate *s, const ligo__huff *h) {
    int code = 0, first = 0, index = 0, len;
    unsigned e;
    if (s->nbits < 15) ligo__inf_refill(s);
    e = h->fast[s->bits & ((1u << LIGO__FAST) - 1u)];
    if (e != 0 && (int)(e & 15u) <= s->nbits) {
        s->bits >>= e & 15u;
        s->nbits -= (int)(e & 15u);
        return (int)(e >> 4);
    }
    /* a long code, the end of the input or no code: walk it bit by bit */
    for (len = 1; len < 16; len++) {
        int count = h->count[len];
        if (len > s->nbits) {
            s->err = ligo__e_trunc;
            return -1;
        }
        code |= (int)((s->bits >> (len - 1)) & 1u);
        if (code - count < first) {
            s->bits >>= len;
            s->nbits -= len;
            return h->symbol[index + (code - first)];
        }
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    s->err = "an invalid Huffman code";
    return -1;
}

static const short ligo__lbase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const short ligo__lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const short ligo__dbase[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
                                      193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const short ligo__dext[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

/* Literals and matches of one Huffman block, up to end-of-block. */
static int ligo__inf_codes(ligo__inflate *s, const ligo__huff *lit, const ligo__huff *dist) {
    for (;;) {
        int sym = ligo__inf_decode(s, lit), e, len, d;
        size_t dd, k;
        unsigned char *dst;
        const unsigned char *src;
        if (sym < 0) return 0;
        if (sym < 256) {
            if (!ligo__inf_reserve(s, 1)) return 0;
            s->out[s->len++] = (unsigned char)sym;
            continue;
        }
        if (sym == 256) return 1;
        sym -= 257;
        if (sym >= 29) { /* 286 and 287 exist only in the fixed code */
            s->err = "an invalid length symbol";
            return 0;
        }
        if (!ligo__inf_bits(s, ligo__lext[sym], &e)) return 0;
        len = ligo__lbase[sym] + e;
        sym = ligo__inf_decode(s, dist);
        if (sym < 0) return 0;
        if (sym >= 30) {
            s->err = "an invalid distance symbol";
            return 0;
        }
        if (!ligo__inf_bits(s, ligo__dext[sym], &d)) return 0;
        dd = (size_t)ligo__dbase[sym] + (size_t)d;
        if (dd > s->len - s->start) { /* before this member's first byte */
            s->err = "a distance too far back";
            return 0;
        }
        if (!ligo__inf_reserve(s, (size_t)len)) return 0;
        dst = s->out + s->len;
        src = dst - dd;
        for (k = 0; k < (size_t)len; k++) dst[k] = src[k]; /* may overlap: byte by byte */
        s->len += (size_t)len;
    }
}

/* Stored: to the byte boundary, LEN and NLEN (its complement), LEN bytes. */
static int ligo__inf_stored(ligo__inflate *s) {
    size_t len;
    ligo__inf_align(s);
    if (s->n - s->pos < 4) {
        s->err = ligo__e_trunc;
        return 0;
    }
    len = (size_t)s->in[s->pos] | (size_t)s->in[s->pos + 1] << 8;
    if ((s->in[s->pos + 2] ^ 0xffu) != (len & 0xffu) || (s->in[s->pos + 3] ^ 0xffu) != (len >> 8)) {
        s->err = "a stored block's length does not match its complement";
        return 0;
    }
    s->pos += 4;
    if (s->n - s->pos < len) {
        s->err = ligo__e_trunc;
        return 0;
    }
    if (!ligo__inf_reserve(s, len)) return 0;
    if (len) memcpy(s->out + s->len, s->in + s->pos, len);
    s->len += len;
    s->pos += len;
    return 1;
}

static int ligo__inf_fixed(ligo__inflate *s) {
    ligo__huff lit, dist;
    unsigned char len[288];
    int i;
    for (i = 0; i < 144; i++) len[i] = 8;
    for (; i < 256; i++) len[i] = 9;
    for (; i < 280; i++) len[i] = 7;
    for (; i < 288; i++) len[i] = 8;
    ligo__huff_build(&lit, len, 288);
    for (i = 0; i < 30; i++) len[i] = 5;
    ligo__huff_build(&dist, len, 30);
    return ligo__inf_codes(s, &lit, &dist);
}

/* Incomplete is allowed only for a code of one symbol (RFC 1951 3.2.7). */
static int ligo__huff_ok(int err, const ligo__huff *h, int n) {
    return err == 0 || (err > 0 && n - h->count[0] == 1);
}

static int ligo__inf_dynamic(ligo__inflate *s) {
    static const unsigned char order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    unsigned char len[286 + 30];
    ligo__huff lencode, lit, dist;
    int nlen, ndist, ncode, i, v, err;
    if (!ligo__inf_bits(s, 5, &nlen) || !ligo__inf_bits(s, 5, &ndist) || !ligo__inf_bits(s, 4, &ncode)) return 0;
    nlen += 257;
    ndist += 1;
    ncode += 4;
    if (nlen > 286 || ndist > 30) {
        s->err = "too many length or distance symbols";
        return 0;
    }
    memset(len, 0, sizeof len);
    for (i = 0; i < ncode; i++) {
        if (!ligo__inf_bits(s, 3, &v)) return 0;
        len[order[i]] = (unsigned char)v;
    }
    if (ligo__huff_build(&lencode, len, 19) != 0 || lencode.count[0] == 19) { /* empty is incomplete too */
        s->err = "an incomplete or over-subscribed code-length code";
        return 0;
    }
    /* the literal/length and distance lengths, one sequence (repeats may
     * cross from one to the other) */
    for (i = 0; i < nlen + ndist;) {
        int sym = ligo__inf_decode(s, &lencode), rep;
        unsigned char prev = 0;
        if (sym < 0) return 0;
        if (sym < 16) {
            len[i++] = (unsigned char)sym;
            continue;
        }
        if (sym == 16) {
            if (i == 0) {
                s->err = "a repeated code length with no previous length";
                return 0;
            }
            prev = len[i - 1];
            if (!ligo__inf_bits(s, 2, &rep)) return 0;
            rep += 3;
        } else if (sym == 17) {
            if (!ligo__inf_bits(s, 3, &rep)) return 0;
            rep += 3;
        } else {
            if (!ligo__inf_bits(s, 7, &rep)) return 0;
            rep += 11;
        }
        if (rep > nlen + ndist - i) {
            s->err = "code lengths run past their count";
            return 0;
        }
        while (rep--) len[i++] = prev;
    }
    if (len[256] == 0) {
        s->err = "no end-of-block code";
        return 0;
    }
    err = ligo__huff_build(&lit, len, nlen);
    if (!ligo__huff_ok(err, &lit, nlen)) {
        s->err = "an incomplete or over-subscribed literal/length code";
        return 0;
    }
    err = ligo__huff_build(&dist, len + nlen, ndist);
    if (!ligo__huff_ok(err, &dist, ndist)) {
        s->err = "an incomplete or over-subscribed distance code";
        return 0;
    }
    return ligo__inf_codes(s, &lit, &dist);
}

/* Blocks until the last one; pos ends on the byte after the stream. Every
 * block consumes input, so this ends. */
static int ligo__inf_run(ligo__inflate *s) {
    int last, type;
    do {
        if (!ligo__inf_bits(s, 1, &last) || !ligo__inf_bits(s, 2, &type)) return 0;
        if (type == 0) {
            if (!ligo__inf_stored(s)) return 0;
        } else if (type == 1) {
            if (!ligo__inf_fixed(s)) return 0;
        } else if (type == 2) {
            if (!ligo__inf_dynamic(s)) return 0;
        } else {
            s->err = "an invalid block type (3)";
            return 0;
        }
    } while (!last);
    ligo__inf_align(s);
    return 1;
}

/* CRC-32 (IEEE, reflected, as gzip) with a table built by the caller. */
static void ligo__crc_table(uint32_t *table) {
    uint32_t k;
    for (k = 0; k < 256; k++) {
        uint32_t v = k;
        int j;
        for (j = 0; j < 8; j++) v = (v & 1u) ? 0xedb88320u ^ (v >> 1) : v >> 1;
        table[k] = v;
    }
}

static uint32_t ligo__crc32(const uint32_t *table, const unsigned char *p, size_t n) {
    uint32_t c = 0xffffffffu;
    size_t i;
    for (i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xffu] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* The end of a zero-terminated header field starting at pos, or 0. */
static size_t ligo__gz_cstr(const unsigned char *p, size_t n, size_t pos) {
    const void *z = pos < n ? memchr(p + pos, 0, n - pos) : NULL;
    return z ? (size_t)((const unsigned char *)z - p) + 1 : 0;
}

/* One gzip member (RFC 1952) at s->pos:
 *   1f 8b, CM = 8, FLG, MTIME (4), XFL, OS;
 *   FEXTRA: XLEN (2, LE) and XLEN bytes; FNAME, FCOMMENT: zero-terminated;
 *   FHCRC: the low 16 bits of the CRC-32 of the header so far;
 *   deflate data; CRC-32 and ISIZE (size mod 2^32) of the member's output. */
static int ligo__gz_member(ligo__inflate *s, const uint32_t *crc) {
    const unsigned char *p = s->in;
    size_t n = s->n, h = s->pos, pos;
    int flg;
    if (n - h < 10) {
        s->err = "the gzip header is truncated";
        return 0;
    }
    if (p[h] != 0x1f || p[h + 1] != 0x8b) {
        s->err = "bad magic (not gzip data: want 1f 8b)";
        return 0;
    }
    if (p[h + 2] != 8) {
        s->err = "an unknown compression method (want 8, deflate)";
        return 0;
    }
    flg = p[h + 3];
    if (flg & 0xe0) {
        s->err = "reserved gzip header flags are set";
        return 0;
    }
    pos = h + 10;
    if (flg & 4) { /* FEXTRA */
        size_t xlen;
        if (n - pos < 2) {
            s->err = "the gzip header is truncated (extra field)";
            return 0;
        }
        xlen = (size_t)p[pos] | (size_t)p[pos + 1] << 8;
        if (n - pos - 2 < xlen) {
            s->err = "the gzip header is truncated (extra field)";
            return 0;
        }
        pos += 2 + xlen;
    }
    if (flg & 8) { /* FNAME */
        pos = ligo__gz_cstr(p, n, pos);
        if (!pos) {
            s->err = "the gzip header is truncated (file name)";
            return 0;
        }
    }
    if (flg & 16) { /* FCOMMENT */
        pos = ligo__gz_cstr(p, n, pos);
        if (!pos) {
            s->err = "the gzip header is truncated (comment)";
            return 0;
        }
    }
    if (flg & 2) { /* FHCRC */
        if (n - pos < 2) {
            s->err = "the gzip header is truncated (header CRC)";
            return 0;
        }
        if (((uint32_t)p[pos] | (uint32_t)p[pos + 1] << 8) != (ligo__crc32(crc, p + h, pos - h) & 0xffffu)) {
            s->err = "a header CRC mismatch";
            return 0;
        }
        pos += 2;
    }
    s->pos = pos;
    s->bits = 0;
    s->nbits = 0;
    s->start = s->len;
    if (!ligo__inf_run(s)) return 0;
    if (s->n - s->pos < 8) {
        s->err = "the gzip trailer is truncated";
        return 0;
    }
    if (ligo__le32(p + s->pos) != ligo__crc32(crc, s->out ? s->out + s->start : p, s->len - s->start)) {
        s->err = "a CRC-32 mismatch (corrupt data)";
        return 0;
    }
    if (ligo__le32(p + s->pos + 4) != (uint32_t)((s->len - s->start) & 0xffffffffu)) {
        s->err = "a size mismatch (ISIZE)";
        return 0;
    }
    s->pos += 8;
    return 1;
}

/* Every member, concatenated (as gzip -d does); bytes after the last
 * member that do not start another member are an error. */
LIGO_API ligo_status ligo_gunzip(ligo_ctx *ctx, const void *in, size_t n, size_t max_out, void **out, size_t *out_n) {
    ligo__inflate s;
    uint32_t crc[256];
    unsigned char *res;
    int member = 0;
    if (out) *out = NULL;
    if (out_n) *out_n = 0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || !out_n || (!in && n)) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_gunzip: NULL argument");
    memset(&s, 0, sizeof s);
    s.in = (const unsigned char *)in;
    s.n = n;
    s.max = max_out;
    s.user = ctx->alloc_user;
    ligo__crc_table(crc);
    do {
        member++;
    } while (ligo__gz_member(&s, crc) && s.pos < n);
    if (s.err) {
        LIGO_FREE(s.out, s.user);
        if (s.err == ligo__e_cap)
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_gunzip: %s of %zu bytes (member %d)", s.err, max_out, member);
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_gunzip: %s (member %d, input byte %zu of %zu)", s.err, member,
                              s.pos, n);
    }
    res = (unsigned char *)ligo_alloc_scratch(ctx, s.len + 1);
    if (res && s.len) memcpy(res, s.out, s.len);
    LIGO_FREE(s.out, s.user);
    if (!res) return ctx->status;
    *out = res;
    *out_n = s.len;
    return LIGO_OK;
}
/* ==== end src/inflate.c ==== */

/* ==== begin src/idx.c ==== */
/* idx.c: IDX images and labels (MNIST, Fashion-MNIST), plain or gzipped,
 * and random image batches. */

/* The decompressed size of one gzip-compressed IDX file. */
#define LIGO__MAX_GUNZIP ((size_t)1 << 31) /* 2 GiB */

/* The bytes of an IDX file, gunzipped (into scratch) when they start with
 * 1f 8b. */
static ligo_status ligo__idx_bytes(ligo_ctx *ctx, const void *buf, size_t n, const unsigned char **p, size_t *pn) {
    const unsigned char *b = (const unsigned char *)buf;
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
        void *o;
        if (ligo_gunzip(ctx, buf, n, LIGO__MAX_GUNZIP, &o, pn) != LIGO_OK) return ctx->status;
        *p = (const unsigned char *)o;
        return LIGO_OK;
    }
    *p = b;
    *pn = n;
    return LIGO_OK;
}

/* IDX (big-endian header, uint8 data):
 *   images: magic 0x00000803, n, rows, cols, then n * rows * cols bytes
 *   labels: magic 0x00000801, n, then n bytes
 * Counts must agree and the sizes match exactly (no trailing bytes). `iname`
 * and `lname` name the two inputs in messages. On failure *out is empty
 * and no scratch memory is kept. */
static ligo_status ligo__idx(ligo_ctx *ctx, const char *fn, const char *iname, const char *lname, const void *img,
                             size_t img_n, const void *lbl, size_t lbl_n, ligo_images *out) {
    const unsigned char *ip = NULL, *lp = NULL;
    size_t in_ = 0, ln_ = 0, i, total, bytes;
    uint32_t magic, n, rows, cols, nl;
    uint64_t px, body;
    ligo_mark mk = ligo_scratch_mark(ctx);
    int32_t maxl = 0;
    float scale[256];
    if (ligo__idx_bytes(ctx, img, img_n, &ip, &in_) != LIGO_OK) return ligo__reword(ctx, mk, fn, iname);
    if (ligo__idx_bytes(ctx, lbl, lbl_n, &lp, &ln_) != LIGO_OK) return ligo__reword(ctx, mk, fn, lname);
    /* the magic first: it tells a swapped pair apart from a short file */
    if (in_ >= 4 && (magic = ligo__be32(ip)) != 0x803) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: bad magic 0x%08lx (want 0x00000803, IDX uint8 images)", fn,
                              iname, (unsigned long)magic);
    }
    if (ln_ >= 4 && (magic = ligo__be32(lp)) != 0x801) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: bad magic 0x%08lx (want 0x00000801, IDX uint8 labels)", fn,
                              lname, (unsigned long)magic);
    }
    if (in_ < 16) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %zu bytes is shorter than the 16-byte IDX image header", fn,
                              iname, in_);
    }
    if (ln_ < 8) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %zu bytes is shorter than the 8-byte IDX label header", fn,
                              lname, ln_);
    }
    n = ligo__be32(ip + 4);
    rows = ligo__be32(ip + 8);
    cols = ligo__be32(ip + 12);
    nl = ligo__be32(lp + 4);
    /* each factor < 2^32: rows * cols fits in 64 bits; n * px is checked
     * against the data by division */
    px = (uint64_t)rows * cols;
    body = (uint64_t)(in_ - 16);
    if (n == 0 || px == 0) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %lu images of %lux%lu (none or an empty dimension)", fn, iname,
                              (unsigned long)n, (unsigned long)rows, (unsigned long)cols);
    }
    if (px > body || n > body / px) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: truncated: %lu images of %lux%lu need more than the %llu bytes present",
                              fn, iname, (unsigned long)n, (unsigned long)rows, (unsigned long)cols, (unsigned long long)body);
    }
    if ((uint64_t)n * px != body) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %llu trailing bytes after %lu images of %lux%lu", fn, iname,
                              (unsigned long long)(body - (uint64_t)n * px), (unsigned long)n, (unsigned long)rows,
                              (unsigned long)cols);
    }
    if (nl != n) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %lu labels for %lu images", fn, lname, (unsigned long)nl,
                              (unsigned long)n);
    }
    if ((uint64_t)(ln_ - 8) != (uint64_t)n) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: the header says %lu labels, %zu bytes follow", fn, lname,
                              (unsigned long)n, ln_ - 8);
    }
    total = (size_t)body; /* == in_ - 16, a size_t */
    if (!ligo__mul_size(total, sizeof(float), &bytes)) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EOVERFLOW, "%s: %s: %zu pixels overflow the address space", fn, iname, total);
    }
    out->pixels = (float *)ligo_alloc_persistent(ctx, bytes);
    out->labels = (int32_t *)ligo_alloc_persistent(ctx, (size_t)n * sizeof(int32_t));
    if (!out->pixels || !out->labels) {
        memset(out, 0, sizeof *out);
        ligo_scratch_rewind(ctx, mk);
        return ctx->status;
    }
    for (i = 0; i < 256; i++) scale[i] = (float)i / 255.0f; /* divided: 255 -> exactly 1 */
    for (i = 0; i < total; i++) out->pixels[i] = scale[ip[16 + i]];
    for (i = 0; i < (size_t)n; i++) {
        out->labels[i] = lp[8 + i];
        if (out->labels[i] > maxl) maxl = out->labels[i];
    }
    out->n = n;
    out->rows = rows;
    out->cols = cols;
    out->n_classes = maxl + 1;
    ligo_scratch_rewind(ctx, mk);
    return LIGO_OK;
}

LIGO_API ligo_status ligo_images_parse_idx(ligo_ctx *ctx, const void *img, size_t img_n, const void *lbl, size_t lbl_n,
                                           ligo_images *out) {
    if (out) memset(out, 0, sizeof *out);
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || (!img && img_n) || (!lbl && lbl_n))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_parse_idx: NULL argument");
    return ligo__idx(ctx, "ligo_images_parse_idx", "images", "labels", img, img_n, lbl, lbl_n, out);
}

LIGO_API ligo_status ligo_images_load_idx(ligo_ctx *ctx, const char *images_path, const char *labels_path,
                                          ligo_images *out) {
    ligo_mark mk;
    void *a, *b;
    size_t an, bn;
    ligo_status s;
    if (out) memset(out, 0, sizeof *out);
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!images_path || !labels_path || !out)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_load_idx: NULL argument");
    mk = ligo_scratch_mark(ctx);
    if (ligo_read_file(ctx, images_path, LIGO__MAX_FILE, &a, &an) != LIGO_OK ||
        ligo_read_file(ctx, labels_path, LIGO__MAX_FILE, &b, &bn) != LIGO_OK)
        return ligo__reword(ctx, mk, "ligo_images_load_idx", NULL);
    s = ligo__idx(ctx, "ligo_images_load_idx", images_path, labels_path, a, an, b, bn, out);
    ligo_scratch_rewind(ctx, mk);
    return s;
}

LIGO_API ligo_status ligo_images_batch(ligo_ctx *ctx, const ligo_images *im, ligo_rng *rng, int64_t B, float *x,
                                       int32_t *y) {
    int64_t b, px, total;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!im || !im->pixels || !im->labels || !rng || !x || !y)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_batch: NULL argument");
    if (im->n < 1 || im->rows < 1 || im->cols < 1 || !ligo__mul_i64(im->rows, im->cols, &px))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_batch: an empty image set (%lld images of %lldx%lld)",
                              (long long)im->n, (long long)im->rows, (long long)im->cols);
    if (B < 1 || !ligo__mul_i64(B, px, &total) || (uint64_t)total > SIZE_MAX / sizeof(float))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_batch: B = %lld (must be >= 1 and fit in memory)",
                              (long long)B);
    for (b = 0; b < B; b++) {
        int64_t k = (int64_t)ligo_rng_below(rng, (uint64_t)im->n);
        memcpy(x + b * px, im->pixels + k * px, (size_t)px * sizeof(float));
        y[b] = im->labels[k];
    }
    return LIGO_OK;
}
/* ==== end src/idx.c ==== */

/* ==== begin src/data_family.c ==== */
/* data_family.c: what a family trains on (ligo_data): loading it, checking
 * that it suits a model before any work, and drawing a training batch, the
 * same for the trainer and the growth operator's fitting. */

#include <errno.h>

LIGO_API ligo_status ligo_data_load(ligo_ctx *ctx, ligo_family family, const char *path, ligo_data *out) {
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_data_load: NULL path or output");
    memset(out, 0, sizeof *out);
    out->family = family;
    if (family != LIGO_VIT) return ligo_tokens_load_text(ctx, path, &out->tokens);
    {
        /* the four IDX files, gzipped (Debian's layout) or not */
        static const char *names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                       "t10k-labels-idx1-ubyte"};
        char p[4][1024];
        int i;
        for (i = 0; i < 4; i++) {
            FILE *f;
            snprintf(p[i], sizeof p[i], "%s/%s.gz", path, names[i]);
            f = fopen(p[i], "rb");
            if (f) {
                fclose(f);
                continue;
            }
            snprintf(p[i], sizeof p[i], "%s/%s", path, names[i]);
            f = fopen(p[i], "rb");
            if (!f)
                return ligo_set_error(ctx, LIGO_EIO, "ligo_data_load: %s has no %s(.gz) (the Fashion-MNIST IDX files): %s",
                                      path, names[i], strerror(errno));
            fclose(f);
        }
        if (ligo_images_load_idx(ctx, p[0], p[1], &out->train) != LIGO_OK) return ctx->status;
        return ligo_images_load_idx(ctx, p[2], p[3], &out->test);
    }
}

LIGO__PRIV ligo_status ligo__check_vocab(ligo_ctx *ctx, const ligo_data *d, const ligo_config *cfg) {
    int64_t need = cfg->family == LIGO_BERT ? d->tokens.vocab + 1 : d->tokens.vocab;
    if (cfg->family != LIGO_VIT && cfg->vocab < need)
        return ligo_set_error(ctx, LIGO_ERANGE, "the data has %ld token ids; the model's vocabulary is %lld%s",
                              (long)d->tokens.vocab, (long long)cfg->vocab,
                              cfg->family == LIGO_BERT ? " (BERT needs one more for the mask id)" : "");
    if (cfg->family == LIGO_VIT && (d->train.rows != cfg->image_h || d->train.cols != cfg->image_w ||
                                    d->train.n_classes > cfg->n_classes))
        return ligo_set_error(ctx, LIGO_ESHAPE, "images are %lldx%lld with %ld classes; the model takes %lldx%lld, %lld classes",
                              (long long)d->train.rows, (long long)d->train.cols, (long)d->train.n_classes,
                              (long long)cfg->image_h, (long long)cfg->image_w, (long long)cfg->n_classes);
    return LIGO_OK;
}

LIGO__PRIV ligo_status ligo__data_check(ligo_ctx *ctx, const char *who, const ligo_data *d, const ligo_config *cfg,
                                        int64_t T, int eval) {
    int64_t n_train, n_val, win;
    if (!d || !cfg) return ligo_set_error(ctx, LIGO_EINVAL, "%s: NULL data or model config", who);
    if (d->family != cfg->family)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %s data for a %s model", who, ligo_family_name(d->family),
                              ligo_family_name(cfg->family));
    if (ligo__check_vocab(ctx, d, cfg) != LIGO_OK) return ctx->status;
    if (cfg->family == LIGO_VIT) {
        if (d->train.n < 1 || (eval && d->test.n < 1))
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: the data hold %lld training and %lld test images (want >= 1)",
                                  who, (long long)d->train.n, (long long)d->test.n);
        return LIGO_OK;
    }
    if (T < 1 || T > cfg->ctx_len)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: T = %lld is outside [1, %lld], the model's context", who,
                              (long long)T, (long long)cfg->ctx_len);
    n_train = d->tokens.split;
    n_val = d->tokens.n - d->tokens.split;
    if (n_train < T + 1)
        return ligo_set_error(ctx, LIGO_EINVAL,
                              "%s: the training split has %lld tokens, fewer than T + 1 = %lld (a window of ctx %lld "
                              "and the token after it)",
                              who, (long long)n_train, (long long)(T + 1), (long long)T);
    /* evaluation windows: GPT T + 1 tokens (T predictions), BERT T */
    win = cfg->family == LIGO_GPT || cfg->family == LIGO_LLAMA ? T + 1 : T;
    if (eval && (n_val < win || (cfg->family == LIGO_BERT && T < 2)))
        return ligo_set_error(ctx, LIGO_EINVAL,
                              "%s: the validation split (the last 10%% of the data) has %lld tokens, fewer than one "
                              "evaluation window of %lld at ctx %lld%s",
                              who, (long long)n_val, (long long)win, (long long)T,
                              cfg->family == LIGO_BERT && T < 2 ? " (BERT evaluates windows of ctx >= 2)" : "");
    return LIGO_OK;
}

LIGO_API ligo_status ligo_data_check(ligo_ctx *ctx, const ligo_data *d, const ligo_config *cfg, int64_t T, int eval) {
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    return ligo__data_check(ctx, "ligo_data_check", d, cfg, T, eval);
}

LIGO_API ligo_status ligo_data_batch(ligo_ctx *ctx, const ligo_data *d, const ligo_config *cfg, ligo_rng *rng,
                                     int64_t B, int64_t T, int32_t *inputs, int32_t *targets, float *images) {
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!d || !cfg || !rng || !targets) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_data_batch: NULL argument");
    if (d->family != cfg->family)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_data_batch: %s data for a %s model", ligo_family_name(d->family),
                              ligo_family_name(cfg->family));
    if (ligo__check_vocab(ctx, d, cfg) != LIGO_OK) return ctx->status;
    if (cfg->family == LIGO_VIT) return ligo_images_batch(ctx, &d->train, rng, B, images, targets);
    if (cfg->family == LIGO_GPT || cfg->family == LIGO_LLAMA) /* next-token windows */
        return ligo_tokens_batch(ctx, &d->tokens, LIGO_SPLIT_TRAIN, rng, B, T, inputs, targets);
    /* BERT: windows of T tokens, corrupted for masked LM */
    if (ligo_tokens_batch(ctx, &d->tokens, LIGO_SPLIT_TRAIN, rng, B, T, inputs, targets) != LIGO_OK) return ctx->status;
    memcpy(targets, inputs, (size_t)(B * T) * sizeof(int32_t));
    return ligo_mlm_mask(ctx, rng, targets, B * T, 0.15f, (int32_t)(cfg->vocab - 1), d->tokens.vocab, LIGO_IGNORE,
                         inputs, targets);
}
/* ==== end src/data_family.c ==== */

/* ==== begin src/json.c ==== */
/* json.c: the JSON safetensors headers are written in: a strict reader
 * (RFC 8259: UTF-8 checked, every escape and number by the grammar,
 * nesting bounded) that reports "who: file: problem", and a writer of
 * escaped strings into a measuring buffer. */

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
/* ==== end src/json.c ==== */

/* ==== begin src/safetensors.c ==== */
/* safetensors.c: reading safetensors files and buffers: the header's JSON
 * (src/json.c) checked in full before any offset is trusted, the tensors
 * copied out (src/safetensors_write.c writes them).
 *
 * Reading: F32 only. A 0-dim tensor (shape []) is read as ndim 1, shape [1].
 * Dims of size 0 are accepted: such a tensor has n == 0 and a data pointer
 * that must not be read. Shape entries past ndim are 1. Each tensor's data
 * is copied into its own 64-byte aligned block of scratch memory. Limits:
 * header <= 100,000,000 bytes (as the reference implementation), file
 * <= 64 GiB, JSON nesting <= 64, names < LIGO_ST_MAX_NAME bytes. The data
 * buffer must be covered exactly by the tensors (no overlaps, no holes, no
 * trailing bytes), as the reference implementation requires. */

/* ----------------------------------------------------------- utilities */

/* "who: file: message" (the file part only when there is one). */
LIGO__PRIV ligo_status ligo__st_err(ligo_ctx *ctx, ligo_status s, const char *who, const char *fname,
                                    const char *fmt, ...) {
    char msg[LIGO__ERRMSG];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (fname) return ligo_set_error(ctx, s, "%s: %s: %s", who, fname, msg);
    return ligo_set_error(ctx, s, "%s: %s", who, msg);
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
                    ligo__printable(pr, sizeof pr, dt, dlen < sizeof dt ? dlen : sizeof dt);
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
                ligo__printable(pr, sizeof pr, key, strlen(key));
                return ligo__json_fail(J, "__metadata__ value of \"%s\" must be a string", pr);
            }
            if (!(m->value = ligo__st_dup_string(J, "a __metadata__ value"))) return 0;
        } else {
            char key[64], pr[64];
            size_t len;
            int nul;
            if (!ligo__json_string(J, key, sizeof key, &len, &nul) || !ligo__json_expect(J, ':')) return 0;
            if (ligo__json_peek(J) != '"') {
                ligo__printable(pr, sizeof pr, key, len < sizeof key ? len : sizeof key);
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
                    ligo__printable(pr, 40, name, 32);
                    return ligo__json_fail(J, "tensor name %s of %zu bytes is too long (at most %d)", pr, len,
                                           LIGO_ST_MAX_NAME - 1);
                }
                name[len] = '\0';
                ligo__printable(pr, sizeof pr, name, len);
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
LIGO__PRIV int ligo__st_check_unique(ligo_ctx *ctx, ligo_status s, const char *who, const char *fname,
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
        ligo__printable(pr, sizeof pr, dup, strlen(dup));
        ligo__st_err(ctx, s, who, fname, "tensor name %s appears twice", pr);
        return 0;
    }
    for (i = 0; i < st->n_meta; i++) strs[i] = st->meta[i].key;
    if ((dup = ligo__st_find_dup(strs, st->n_meta)) != NULL) {
        ligo__printable(pr, sizeof pr, dup, strlen(dup));
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
        ligo__printable(b, sizeof b, out->entries[sp->idx].name, strlen(out->entries[sp->idx].name));
        if (i > 0) ligo__printable(a, sizeof a, out->entries[spans[i - 1].idx].name,
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

/* A whole file's bytes (fname names it in messages, or NULL: a buffer). */
static ligo_status ligo__st_parse_mem(ligo_ctx *ctx, const char *who, const char *fname, const unsigned char *buf,
                                      size_t n, ligo_safetensors *out) {
    ligo__st_span *spans = NULL;
    uint64_t hl;
    int64_t i;
    if (n < 8)
        return ligo__st_err(ctx, LIGO_EFORMAT, who, fname, "%zu bytes cannot hold the 8-byte header length (truncated?)",
                            n);
    hl = ligo__le64(buf);
    if (ligo__st_check_hlen(ctx, who, fname, hl, (uint64_t)(n - 8), n > 8 ? buf[8] : -1) != LIGO_OK) return ctx->status;
    if (ligo__st_load_header(ctx, who, fname, buf + 8, (size_t)hl, (uint64_t)(n - 8 - (size_t)hl), out, &spans) !=
        LIGO_OK)
        return ctx->status;
    for (i = 0; i < out->n_entries; i++) {
        ligo_st_entry *e = &out->entries[spans[i].idx];
        size_t bytes = (size_t)(spans[i].end - spans[i].begin);
        /* the file buffer may be unaligned: copy to an aligned block */
        e->data = (float *)ligo_alloc_scratch(ctx, bytes);
        if (!e->data) return ctx->status;
        memcpy(e->data, buf + 8 + (size_t)hl + (size_t)spans[i].begin, bytes);
        ligo__le32_inplace(e->data, e->n); /* little-endian in the file */
    }
    return LIGO_OK;
}

/* ligo__st_parse_mem, leaving out empty and no scratch behind on failure. */
static ligo_status ligo__st_parse_whole(ligo_ctx *ctx, const char *who, const char *fname, const void *buf, size_t n,
                                        ligo_safetensors *out) {
    ligo_mark mark = ligo_scratch_mark(ctx);
    ligo_status s = ligo__st_parse_mem(ctx, who, fname, (const unsigned char *)buf, n, out);
    if (s != LIGO_OK) {
        ligo_scratch_rewind(ctx, mark);
        ligo_st_init(out);
    }
    return s;
}

LIGO_API ligo_status ligo_st_parse(ligo_ctx *ctx, const void *buf, size_t n, ligo_safetensors *out) {
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || (!buf && n > 0)) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_st_parse: NULL buffer or output");
    ligo_st_init(out);
    return ligo__st_parse_whole(ctx, "ligo_st_parse", NULL, buf, n, out);
}

/* The file whole into a heap buffer, parsed as a buffer is: one path for
 * both, at the price of holding the file and its tensors at once. */
LIGO_API ligo_status ligo_st_read(ligo_ctx *ctx, const char *path, ligo_safetensors *out) {
    ligo_status s;
    void *buf;
    size_t n;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_st_read: NULL path or output");
    ligo_st_init(out);
    if (ligo__read_file(ctx, "ligo_st_read", path, LIGO__MAX_FILE, LIGO__READ_REGULAR | LIGO__READ_HEAP, &buf, &n) !=
        LIGO_OK)
        return ctx->status;
    s = ligo__st_parse_whole(ctx, "ligo_st_read", path, buf, n, out);
    LIGO_FREE(buf, ctx->alloc_user);
    return s;
}

LIGO_API void ligo_st_init(ligo_safetensors *st) {
    if (st) memset(st, 0, sizeof *st);
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
/* ==== end src/safetensors.c ==== */

/* ==== begin src/safetensors_write.c ==== */
/* safetensors_write.c: assembling a safetensors file (tensors kept by
 * reference, metadata copied) and writing it atomically (src/file.c): the
 * header compact JSON, "__metadata__" first, tensors in insertion order
 * with consecutive offsets, padded with spaces to a multiple of 8. */

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
        ligo__printable(pr, 40, e->name, 32);
        ligo__st_err(ctx, LIGO_EINVAL, who, fname, "tensor name %s is too long (at most %d bytes)", pr,
                     LIGO_ST_MAX_NAME - 1);
        return 0;
    }
    ligo__printable(pr, sizeof pr, e->name, strlen(e->name));
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
        ligo__printable(pr, sizeof pr, name, 32);
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


/* {"__metadata__":{...},"name":{"dtype":"F32","shape":[..],"data_offsets":[b,e]},...}
 * in insertion order, offsets consecutive, then spaces up to a multiple of 8. */
static void ligo__st_build_header(ligo__sb *b, const ligo_safetensors *st) {
    uint64_t at = 0;
    int64_t i;
    int d;
    ligo__sb_puts(b, "{");
    if (st->n_meta > 0) {
        ligo__sb_puts(b, "\"__metadata__\":{");
        for (i = 0; i < st->n_meta; i++) {
            if (i) ligo__sb_puts(b, ",");
            ligo__json_put_string(b, st->meta[i].key);
            ligo__sb_puts(b, ":");
            ligo__json_put_string(b, st->meta[i].value);
        }
        ligo__sb_puts(b, "}");
    }
    for (i = 0; i < st->n_entries; i++) {
        const ligo_st_entry *e = &st->entries[i];
        if (i || st->n_meta > 0) ligo__sb_puts(b, ",");
        ligo__json_put_string(b, e->name);
        ligo__sb_puts(b, ":{\"dtype\":\"F32\",\"shape\":[");
        for (d = 0; d < e->ndim; d++) {
            if (d) ligo__sb_puts(b, ",");
            ligo__sb_put_u64(b, (uint64_t)e->shape[d]);
        }
        ligo__sb_puts(b, "],\"data_offsets\":[");
        ligo__sb_put_u64(b, at);
        ligo__sb_puts(b, ",");
        at += (uint64_t)e->n * 4;
        ligo__sb_put_u64(b, at);
        ligo__sb_puts(b, "]}");
    }
    ligo__sb_puts(b, "}");
    while (b->len % 8) ligo__sb_puts(b, " ");
}

/* Little-endian floats; a big-endian host swaps through a small buffer. */
static int ligo__st_write_floats(FILE *f, const float *x, int64_t n) {
    unsigned char buf[4096];
    if (n == 0) return 1;
    if (ligo__host_le()) return fwrite(x, 4, (size_t)n, f) == (size_t)n;
    while (n > 0) {
        int64_t k = n < (int64_t)(sizeof buf / 4) ? n : (int64_t)(sizeof buf / 4);
        memcpy(buf, x, (size_t)k * 4);
        ligo__le32_inplace(buf, k);
        if (fwrite(buf, 4, (size_t)k, f) != (size_t)k) return 0;
        x += k;
        n -= k;
    }
    return 1;
}

/* What ligo__write_atomic writes: the length, the header, the floats. */
typedef struct ligo__st_out {
    const ligo_safetensors *st;
    const ligo__sb *header;
} ligo__st_out;

static int ligo__st_write_body(FILE *f, void *user) {
    const ligo__st_out *o = (const ligo__st_out *)user;
    unsigned char len8[8];
    int64_t i;
    ligo__put_le64(len8, (uint64_t)o->header->len);
    if (fwrite(len8, 1, 8, f) != 8 || fwrite(o->header->p, 1, o->header->len, f) != o->header->len) return 0;
    for (i = 0; i < o->st->n_entries; i++)
        if (!ligo__st_write_floats(f, o->st->entries[i].data, o->st->entries[i].n)) return 0;
    return 1;
}

static ligo_status ligo__st_write_impl(ligo_ctx *ctx, const char *path, const ligo_safetensors *st) {
    const char *who = "ligo_st_write";
    ligo__sb sb;
    ligo__st_out o;
    int64_t i;
    uint64_t total = 0;
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
    if (!sb.p) return ctx->status;
    ligo__st_build_header(&sb, st);
    o.st = st;
    o.header = &sb;
    return ligo__write_atomic(ctx, who, path, ligo__st_write_body, &o);
}

LIGO_API ligo_status ligo_st_write(ligo_ctx *ctx, const char *path, const ligo_safetensors *st) {
    ligo_mark mark;
    ligo_status s;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !st) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_st_write: NULL path or tensors");
    mark = ligo_scratch_mark(ctx);
    s = ligo__st_write_impl(ctx, path, st);
    /* the header is not needed after the call */
    ligo_scratch_rewind(ctx, mark);
    return s;
}
/* ==== end src/safetensors_write.c ==== */

/* ==== begin src/meta.c ==== */
/* meta.c: the typed values saved in safetensors metadata (configs,
 * training and fitting state, operator options), each type written and
 * read by one pair of functions, so that what is saved reads back exactly:
 * integers in decimal, doubles as "%.17g" and floats as "%.9g" (both
 * round-trip exactly), RNG states as the 64 hex digits of their four
 * words. Reading is strict: the whole string, no space, no nan or inf. */

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
/* ==== end src/meta.c ==== */

/* ==== begin src/checkpoint.c ==== */
/* checkpoint.c: the io module's model layer. Maps a model's parameter
 * table to Hugging Face key names and layouts and back, and keeps the
 * config in the safetensors metadata.
 *
 * Each parameter's key and layout come from its schema (src/schema.c):
 * GPT2LMHeadModel's Conv1D weights transposed to (in, out), BERT's and
 * ViT's fused QKV rows split into query, key and value, ViT's patch
 * projection as a convolution weight, its class token and positions with
 * a leading 1. */

/* One file tensor: rows [row0, row0 + rows) of table entry `index`,
 * transposed when `transpose`, with the file's shape. */
typedef struct ligo__ckmap {
    char name[LIGO_ST_MAX_NAME];
    int64_t index, row0, rows;
    int transpose;
    int ndim;
    int64_t shape[LIGO_MAX_DIMS];
} ligo__ckmap;

static void ligo__ck_one(ligo__ckmap *mp, int64_t *n, const char *name, int64_t index, int64_t row0, int64_t rows,
                         int transpose, int ndim, int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
    ligo__ckmap *e = &mp[*n];
    (*n)++;
    snprintf(e->name, sizeof e->name, "%s", name);
    e->index = index;
    e->row0 = row0;
    e->rows = rows;
    e->transpose = transpose;
    e->ndim = ndim;
    e->shape[0] = d0;
    e->shape[1] = d1;
    e->shape[2] = d2;
    e->shape[3] = d3;
}

/* The whole map of a model, from each parameter's Hugging Face name and
 * layout in its schema; returns its length. mp holds room for n_tensors
 * + 4 * n_layer entries (a fused QKV weight and bias are three each). */
static int64_t ligo__ck_map(const ligo_model *m, ligo__ckmap *mp) {
    static const char *qkv[3] = {"query", "key", "value"};
    int64_t n = 0, k;
    for (k = 0; k < m->n_tensors; k++) {
        const ligo_param_info *p = &m->info[k];
        int64_t R = p->shape[0], K = p->shape[1], P = m->cfg.patch;
        int j;
        switch (p->hf_layout) {
        case LIGO_HF_T: ligo__ck_one(mp, &n, p->hf_name, k, 0, R, 1, 2, K, R, 1, 1); break;
        case LIGO_HF_QKV:
            for (j = 0; j < 3; j++) { /* '*' in the key names the part */
                char nm[LIGO_ST_MAX_NAME], *star;
                snprintf(nm, sizeof nm, "%s", p->hf_name);
                star = strchr(nm, '*');
                if (star) snprintf(star, sizeof nm - (size_t)(star - nm), "%s%s", qkv[j], strchr(p->hf_name, '*') + 1);
                ligo__ck_one(mp, &n, nm, k, j * (R / 3), R / 3, 0, p->ndim, R / 3, p->ndim == 2 ? K : 1, 1, 1);
            }
            break;
        case LIGO_HF_CONV: ligo__ck_one(mp, &n, p->hf_name, k, 0, R, 0, 4, R, 1, P, P); break;
        case LIGO_HF_TOKEN: ligo__ck_one(mp, &n, p->hf_name, k, 0, R, 0, 3, 1, R, K, 1); break;
        case LIGO_HF_POSITIONS: ligo__ck_one(mp, &n, p->hf_name, k, 0, R, 0, 3, 1, R, K, 1); break;
        default: ligo__ck_one(mp, &n, p->hf_name, k, 0, R, 0, p->ndim, R, K, 1, 1); break;
        }
    }
    return n;
}

static ligo__ckmap *ligo__ck_alloc(ligo_ctx *ctx, const ligo_model *m) {
    return (ligo__ckmap *)ligo_alloc_scratch(ctx, (size_t)(m->n_tensors + 4 * m->cfg.n_layer) * sizeof(ligo__ckmap));
}

/* Width of a table entry's row. */
static int64_t ligo__row_len(const ligo_param_info *p) { return p->ndim == 2 ? p->shape[1] : 1; }

/* The config's integer fields with their metadata keys, in file order. */
static int64_t *ligo__config_field(ligo_config *c, int k, const char **key) {
    static const char *keys[10] = {"ligo.n_layer", "ligo.d_model", "ligo.n_head",  "ligo.d_ff",   "ligo.vocab",
                                   "ligo.ctx_len", "ligo.image_h", "ligo.image_w", "ligo.patch", "ligo.n_classes"};
    int64_t *f[10];
    f[0] = &c->n_layer, f[1] = &c->d_model, f[2] = &c->n_head, f[3] = &c->d_ff, f[4] = &c->vocab;
    f[5] = &c->ctx_len, f[6] = &c->image_h, f[7] = &c->image_w, f[8] = &c->patch, f[9] = &c->n_classes;
    *key = keys[k];
    return f[k];
}

LIGO_API ligo_status ligo_config_to_st(ligo_ctx *ctx, const ligo_config *c, ligo_safetensors *st) {
    char v[LIGO__META_LEN];
    ligo_config cc;
    const char *key;
    int k;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (ligo_st_set_meta(ctx, st, "format", "pt") != LIGO_OK) return ctx->status;
    if (ligo_st_set_meta(ctx, st, "ligo.family", ligo_family_name(c->family)) != LIGO_OK) return ctx->status;
    /* a model of one's own names its definition; loading needs it */
    if (c->def && c->def != ligo_model_def_builtin(c->family) &&
        ligo_st_set_meta(ctx, st, "ligo.model", c->def->name ? c->def->name : "") != LIGO_OK)
        return ctx->status;
    cc = *c;
    for (k = 0; k < 10; k++) {
        int64_t *f = ligo__config_field(&cc, k, &key);
        if (ligo_st_set_meta(ctx, st, key, ligo__meta_fmt_int(v, *f)) != LIGO_OK) return ctx->status;
    }
    if (ligo_st_set_meta(ctx, st, "ligo.ln_eps", ligo__meta_fmt_float(v, c->ln_eps)) != LIGO_OK) return ctx->status;
    if (c->family != LIGO_LLAMA) return LIGO_OK; /* the other families' files stay as they were */
    if (ligo_st_set_meta(ctx, st, "ligo.n_kv_head", ligo__meta_fmt_int(v, c->n_kv_head)) != LIGO_OK ||
        ligo_st_set_meta(ctx, st, "ligo.rope_theta", ligo__meta_fmt_float(v, c->rope_theta)) != LIGO_OK)
        return ctx->status;
    return ligo_st_set_meta(ctx, st, "ligo.untied_head", ligo__meta_fmt_int(v, c->untied_head));
}

LIGO_API ligo_status ligo_config_from_st(ligo_ctx *ctx, const ligo_safetensors *st, ligo_config *c) {
    const char *fam, *key;
    double eps;
    int k;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    fam = ligo_st_get_meta(st, "ligo.family");
    if (!fam) return ligo_set_error(ctx, LIGO_EFORMAT, "no ligo.family in the metadata (not a ligo checkpoint)");
    memset(c, 0, sizeof *c);
    if (ligo_family_parse(fam, &c->family) != LIGO_OK)
        return ligo_set_error(ctx, LIGO_EFORMAT, "unknown family \"%s\" in the metadata", fam);
    for (k = 0; k < 10; k++) {
        int64_t *f = ligo__config_field(c, k, &key);
        /* any integer: ligo_config_check below names a bad one */
        if (!ligo__meta_int(ligo_st_get_meta(st, key), INT64_MIN, INT64_MAX, f))
            return ligo_set_error(ctx, LIGO_EFORMAT, "a ligo.* config entry is missing or not an integer");
    }
    if (!ligo__meta_real(ligo_st_get_meta(st, "ligo.ln_eps"), -DBL_MAX, &eps))
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo.ln_eps is missing or not a number");
    c->ln_eps = (float)eps;
    if (c->family == LIGO_LLAMA) {
        int64_t untied;
        if (!ligo__meta_int(ligo_st_get_meta(st, "ligo.n_kv_head"), INT64_MIN, INT64_MAX, &c->n_kv_head) ||
            !ligo__meta_int(ligo_st_get_meta(st, "ligo.untied_head"), 0, 1, &untied))
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo.n_kv_head or ligo.untied_head (0 or 1) is missing or not an "
                                  "integer");
        if (!ligo__meta_real(ligo_st_get_meta(st, "ligo.rope_theta"), -DBL_MAX, &eps))
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo.rope_theta is missing or not a number");
        c->rope_theta = (float)eps;
        c->untied_head = (int)untied;
    }
    if (ligo_config_check(ctx, c) != LIGO_OK) {
        /* report a bad stored config as a format error, keeping the reason */
        char why[LIGO__ERRMSG];
        snprintf(why, sizeof why, "%s", ctx->errmsg);
        ligo_clear_error(ctx);
        return ligo_set_error(ctx, LIGO_EFORMAT, "stored config is invalid: %s", why);
    }
    return LIGO_OK;
}

LIGO_API ligo_status ligo_model_to_st(ligo_ctx *ctx, const ligo_model *m, ligo_safetensors *st) {
    ligo__ckmap *mp;
    int64_t n, i;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!m || !st) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_to_st: NULL model or file");
    if (ligo_config_to_st(ctx, &m->cfg, st) != LIGO_OK) return ctx->status;
    mp = ligo__ck_alloc(ctx, m);
    if (!mp) return ctx->status;
    n = ligo__ck_map(m, mp);
    for (i = 0; i < n; i++) {
        const ligo_param_info *p = &m->info[mp[i].index];
        const float *src = m->data + p->offset + mp[i].row0 * ligo__row_len(p);
        if (mp[i].transpose) { /* (rows, cols) -> (cols, rows) */
            int64_t r, k, R = p->shape[0], K = p->shape[1];
            float *t = (float *)ligo_alloc_scratch(ctx, (size_t)p->n * sizeof(float));
            if (!t) return ctx->status;
            for (r = 0; r < R; r++)
                for (k = 0; k < K; k++) t[k * R + r] = src[r * K + k];
            src = t;
        }
        if (ligo_st_add(ctx, st, mp[i].name, mp[i].ndim, mp[i].shape, src) != LIGO_OK) return ctx->status;
    }
    return LIGO_OK;
}

LIGO__PRIV ligo_status ligo__check_def_meta(ligo_ctx *ctx, const ligo_safetensors *st, const char *who, const char *what,
                                            ligo_family family, const ligo_model_def *def) {
    const char *have = ligo_st_get_meta(st, "ligo.model");
    if (def == ligo_model_def_builtin(family)) def = NULL;
    if (have && (!def || !def->name || strcmp(have, def->name) != 0))
        return ligo_set_error(ctx, LIGO_EFORMAT,
                              "%s: %s holds a model defined as \"%.64s\"; load it with that definition "
                              "(ligo_model_load_def)%s%s",
                              who, what, have, def ? ", not " : "", def && def->name ? def->name : "");
    if (!have && def)
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s holds the built-in %s model, not one defined as \"%.64s\"", who,
                              what, ligo_family_name(family), def->name ? def->name : "");
    return LIGO_OK;
}

LIGO_API ligo_model *ligo_model_from_st(ligo_ctx *ctx, const ligo_safetensors *st, const char *what) {
    return ligo_model_from_st_def(ctx, st, what, NULL);
}

LIGO_API ligo_model *ligo_model_from_st_def(ligo_ctx *ctx, const ligo_safetensors *st, const char *what,
                                            const ligo_model_def *def) {
    ligo_config c;
    ligo_model *m;
    ligo__ckmap *mp;
    int64_t n, i;
    if (ligo__failed(ctx)) return NULL;
    if (!what) what = "checkpoint";
    if (ligo_config_from_st(ctx, st, &c) != LIGO_OK) {
        char why[LIGO__ERRMSG];
        snprintf(why, sizeof why, "%s", ctx->errmsg);
        ligo_status s = ctx->status;
        ligo_clear_error(ctx);
        ligo_set_error(ctx, s, "ligo_model_load: %s: %s", what, why);
        return NULL;
    }
    if (ligo__check_def_meta(ctx, st, "ligo_model_load", what, c.family, def) != LIGO_OK) return NULL;
    c.def = def == ligo_model_def_builtin(c.family) ? NULL : def;
    /* The config comes from the file, so it must not allocate more than the
     * file could fill: the model's parameters (counted by its definition,
     * nothing allocated) must be among the file's floats. */
    {
        int64_t n_entries, floats;
        double need, have = 0.0;
        if (ligo__build_table(ctx, &c, NULL, &n_entries, &floats) != LIGO_OK) return NULL;
        need = (double)floats;
        for (i = 0; i < st->n_entries; i++) have += (double)st->entries[i].n;
        if (need > have) {
            ligo_set_error(ctx, LIGO_EFORMAT,
                           "ligo_model_load: %s: tensors are missing: the stored config (%lld layers, width %lld, "
                           "FFN %lld) needs at least %.0f floats but the file holds %.0f",
                           what, (long long)c.n_layer, (long long)c.d_model, (long long)c.d_ff, need, have);
            return NULL;
        }
    }
    m = ligo_model_new(ctx, &c);
    if (!m) return NULL;
    mp = ligo__ck_alloc(ctx, m);
    if (!mp) return NULL;
    n = ligo__ck_map(m, mp);
    for (i = 0; i < n; i++) {
        const ligo_param_info *p = &m->info[mp[i].index];
        const ligo_st_entry *e = ligo_st_find(st, mp[i].name);
        int64_t want = mp[i].rows * ligo__row_len(p);
        float *dst = m->data + p->offset + mp[i].row0 * ligo__row_len(p);
        if (!e) {
            ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_load: %s: tensor %s is missing", what, mp[i].name);
            return NULL;
        }
        if (e->n != want) {
            ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_load: %s: tensor %s has %lld values, the config needs %lld",
                           what, mp[i].name, (long long)e->n, (long long)want);
            return NULL;
        }
        if (mp[i].transpose) {
            int64_t r, k, R = p->shape[0], K = p->shape[1];
            for (r = 0; r < R; r++)
                for (k = 0; k < K; k++) dst[r * K + k] = e->data[k * R + r];
        } else {
            memcpy(dst, e->data, (size_t)want * sizeof(float));
        }
    }
    return m;
}

/* Every tensor of st is one of model m's checkpoint tensors with the
 * shape its layout gives (ligo_model_from_st has found each of those):
 * nothing else in the file, nothing of another shape. */
LIGO__PRIV ligo_status ligo__st_check_names(ligo_ctx *ctx, const ligo_safetensors *st, const ligo_model *m, const char *who,
                                            const char *what) {
    ligo_mark mk = ligo_scratch_mark(ctx);
    ligo__ckmap *mp = ligo__ck_alloc(ctx, m);
    int64_t n, i, j;
    int d;
    if (!mp) return ctx->status;
    n = ligo__ck_map(m, mp);
    for (i = 0; i < st->n_entries; i++) {
        const ligo_st_entry *e = &st->entries[i];
        for (j = 0; j < n && strcmp(mp[j].name, e->name) != 0; j++) {}
        if (j == n) {
            ligo_scratch_rewind(ctx, mk);
            return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: tensor %s is not part of a %s model of this config", who,
                                  what, e->name, ligo_family_name(m->cfg.family));
        }
        for (d = 0; d < mp[j].ndim; d++)
            if (e->ndim != mp[j].ndim || e->shape[d] != mp[j].shape[d]) {
                ligo_scratch_rewind(ctx, mk);
                return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: tensor %s has %d dims of shape starting %lld, the "
                                      "config needs %d dims starting %lld", who, what, e->name, e->ndim,
                                      (long long)e->shape[0], mp[j].ndim, (long long)mp[j].shape[0]);
            }
    }
    ligo_scratch_rewind(ctx, mk);
    return LIGO_OK;
}

LIGO_API ligo_status ligo_model_save(ligo_ctx *ctx, const ligo_model *m, const char *path) {
    ligo_safetensors st;
    ligo_mark mk;
    ligo_status s;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_save: path is NULL");
    mk = ligo_scratch_mark(ctx);
    ligo_st_init(&st);
    s = ligo_model_to_st(ctx, m, &st);
    if (s == LIGO_OK) s = ligo_st_write(ctx, path, &st);
    ligo_scratch_rewind(ctx, mk);
    return s;
}

LIGO_API ligo_model *ligo_model_load(ligo_ctx *ctx, const char *path) { return ligo_model_load_def(ctx, path, NULL); }

LIGO_API ligo_model *ligo_model_load_def(ligo_ctx *ctx, const char *path, const ligo_model_def *def) {
    ligo_safetensors st;
    ligo_mark mk;
    ligo_model *m;
    if (ligo__failed(ctx)) return NULL;
    if (!path) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_load: path is NULL");
        return NULL;
    }
    mk = ligo_scratch_mark(ctx);
    if (ligo_st_read(ctx, path, &st) != LIGO_OK) return NULL;
    m = ligo_model_from_st_def(ctx, &st, path, def);
    ligo_scratch_rewind(ctx, mk); /* the model lives in persistent memory */
    return m;
}
/* ==== end src/checkpoint.c ==== */

/* ==== begin src/hf.c ==== */
/* hf.c: a model as a Hugging Face model directory, what transformers'
 * from_pretrained reads: config.json for GPT2LMHeadModel, BertForMaskedLM,
 * ViTForImageClassification or LlamaForCausalLM, and model.safetensors
 * with the schema's names and layouts (src/checkpoint.c). GELU is the tanh
 * approximation ("gelu_new"), dropout is off, the output layer is tied to
 * the embedding (LLaMA's when untied_head is 0). */

LIGO_API ligo_status ligo_hf_config_json(ligo_ctx *ctx, const ligo_config *c, char *buf, size_t size, size_t *len) {
    int n;
    if (len) *len = 0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!c || (!buf && size)) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_hf_config_json: NULL config or buffer");
    if (c->def && c->def != ligo_model_def_builtin(c->family))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_hf_config_json: %s is a model of one's own: no Hugging Face class "
                              "reads it", c->def->name ? c->def->name : "the model");
    if (c->family == LIGO_VIT && c->image_h != c->image_w)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_hf_config_json: Hugging Face's ViT takes square images (these are "
                              "%lldx%lld)", (long long)c->image_h, (long long)c->image_w);
    if (c->family == LIGO_GPT)
        n = snprintf(buf, size,
                     "{\n  \"architectures\": [\"GPT2LMHeadModel\"],\n  \"model_type\": \"gpt2\",\n"
                     "  \"vocab_size\": %lld,\n  \"n_positions\": %lld,\n  \"n_ctx\": %lld,\n  \"n_embd\": %lld,\n"
                     "  \"n_layer\": %lld,\n  \"n_head\": %lld,\n  \"n_inner\": %lld,\n"
                     "  \"activation_function\": \"gelu_new\",\n  \"layer_norm_epsilon\": %g,\n"
                     "  \"resid_pdrop\": 0.0,\n  \"embd_pdrop\": 0.0,\n  \"attn_pdrop\": 0.0,\n"
                     "  \"tie_word_embeddings\": true,\n  \"bos_token_id\": 0,\n  \"eos_token_id\": 0\n}\n",
                     (long long)c->vocab, (long long)c->ctx_len, (long long)c->ctx_len, (long long)c->d_model,
                     (long long)c->n_layer, (long long)c->n_head, (long long)c->d_ff, (double)c->ln_eps);
    else if (c->family == LIGO_BERT)
        n = snprintf(buf, size,
                     "{\n  \"architectures\": [\"BertForMaskedLM\"],\n  \"model_type\": \"bert\",\n"
                     "  \"vocab_size\": %lld,\n  \"hidden_size\": %lld,\n  \"num_hidden_layers\": %lld,\n"
                     "  \"num_attention_heads\": %lld,\n  \"intermediate_size\": %lld,\n  \"hidden_act\": \"gelu_new\",\n"
                     "  \"max_position_embeddings\": %lld,\n  \"type_vocab_size\": 1,\n  \"layer_norm_eps\": %g,\n"
                     "  \"hidden_dropout_prob\": 0.0,\n  \"attention_probs_dropout_prob\": 0.0,\n"
                     "  \"position_embedding_type\": \"absolute\",\n  \"tie_word_embeddings\": true,\n"
                     "  \"pad_token_id\": 0\n}\n",
                     (long long)c->vocab, (long long)c->d_model, (long long)c->n_layer, (long long)c->n_head,
                     (long long)c->d_ff, (long long)c->ctx_len, (double)c->ln_eps);
    else if (c->family == LIGO_VIT)
        n = snprintf(buf, size,
                     "{\n  \"architectures\": [\"ViTForImageClassification\"],\n  \"model_type\": \"vit\",\n"
                     "  \"hidden_size\": %lld,\n  \"num_hidden_layers\": %lld,\n  \"num_attention_heads\": %lld,\n"
                     "  \"intermediate_size\": %lld,\n  \"hidden_act\": \"gelu_new\",\n  \"image_size\": %lld,\n"
                     "  \"patch_size\": %lld,\n  \"num_channels\": 1,\n  \"qkv_bias\": true,\n  \"layer_norm_eps\": %g,\n"
                     "  \"hidden_dropout_prob\": 0.0,\n  \"attention_probs_dropout_prob\": 0.0,\n  \"num_labels\": %lld\n}\n",
                     (long long)c->d_model, (long long)c->n_layer, (long long)c->n_head, (long long)c->d_ff,
                     (long long)c->image_h, (long long)c->patch, (double)c->ln_eps, (long long)c->n_classes);
    else if (c->family == LIGO_LLAMA)
        n = snprintf(buf, size,
                     "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",\n"
                     "  \"vocab_size\": %lld,\n  \"hidden_size\": %lld,\n  \"intermediate_size\": %lld,\n"
                     "  \"num_hidden_layers\": %lld,\n  \"num_attention_heads\": %lld,\n"
                     "  \"num_key_value_heads\": %lld,\n  \"head_dim\": %lld,\n  \"hidden_act\": \"silu\",\n"
                     "  \"max_position_embeddings\": %lld,\n  \"rms_norm_eps\": %.9g,\n  \"rope_theta\": %.9g,\n"
                     "  \"rope_scaling\": null,\n  \"attention_bias\": false,\n  \"mlp_bias\": false,\n"
                     "  \"attention_dropout\": 0.0,\n  \"pretraining_tp\": 1,\n  \"tie_word_embeddings\": %s,\n"
                     "  \"bos_token_id\": 0,\n  \"eos_token_id\": 0\n}\n",
                     (long long)c->vocab, (long long)c->d_model, (long long)c->d_ff, (long long)c->n_layer,
                     (long long)c->n_head, (long long)(c->n_kv_head ? c->n_kv_head : c->n_head),
                     (long long)(c->d_model / c->n_head), (long long)c->ctx_len, (double)c->ln_eps,
                     (double)c->rope_theta, c->untied_head ? "false" : "true");
    else
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_hf_config_json: family %d is not gpt, bert, vit or llama",
                              (int)c->family);
    if (n < 0) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_hf_config_json: the config cannot be formatted");
    if (len) *len = (size_t)n;
    if (buf && (size_t)n >= size)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_hf_config_json: a buffer of %zu bytes is too small (want %d + 1)",
                              size, n);
    return LIGO_OK;
}

static int ligo__write_text(FILE *f, void *text) {
    size_t n = strlen((const char *)text);
    return fwrite(text, 1, n, f) == n;
}

LIGO_API ligo_status ligo_model_export_hf(ligo_ctx *ctx, const ligo_model *m, const char *dir) {
    const char *who = "ligo_model_export_hf";
    char json[2048], *path;
    ligo_safetensors st;
    ligo_mark mk;
    size_t dlen;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!m || !dir) return ligo_set_error(ctx, LIGO_EINVAL, "%s: NULL model or directory", who);
    if (ligo_hf_config_json(ctx, &m->cfg, json, sizeof json, NULL) != LIGO_OK) return ctx->status;
    mk = ligo_scratch_mark(ctx);
    dlen = strlen(dir);
    path = (char *)ligo_alloc_scratch(ctx, dlen + sizeof "/model.safetensors");
    if (!path) goto done;
    snprintf(path, dlen + sizeof "/model.safetensors", "%s/config.json", dir);
    if (ligo__write_atomic(ctx, who, path, ligo__write_text, json) != LIGO_OK) goto done;
    ligo_st_init(&st);
    if (ligo_model_to_st(ctx, m, &st) != LIGO_OK) goto done;
    if (m->cfg.family == LIGO_BERT) { /* BERT's token types: one type, all zeros */
        int64_t shape[2];
        float *zeros = (float *)ligo_alloc_scratch(ctx, (size_t)m->cfg.d_model * sizeof(float));
        shape[0] = 1;
        shape[1] = m->cfg.d_model;
        if (!zeros || ligo_st_add(ctx, &st, "bert.embeddings.token_type_embeddings.weight", 2, shape, zeros) != LIGO_OK)
            goto done;
    }
    snprintf(path, dlen + sizeof "/model.safetensors", "%s/model.safetensors", dir);
    ligo_st_write(ctx, path, &st);
done:
    ligo_scratch_rewind(ctx, mk);
    return ctx->status;
}
/* ==== end src/hf.c ==== */

/* ==== begin src/hf_import.c ==== */
/* hf_import.c: a Hugging Face model directory read into a ligo model, the
 * inverse of hf.c: dir/config.json (as transformers' save_pretrained
 * writes it for GPT2LMHeadModel, BertForMaskedLM,
 * ViTForImageClassification or LlamaForCausalLM) gives the config,
 * dir/model.safetensors the tensors, which then go through the checkpoint loader (src/checkpoint.c)
 * with the schema's names and layouts. What a ligo model cannot hold is
 * refused by name before anything is allocated: an activation other than
 * the tanh GELU, images of more than one channel, BERT's relative
 * positions, an untied GPT-2 head that differs from the embedding.
 *
 *   GPT-2  keys may carry "transformer."; lm_head.weight (tied) is dropped;
 *          n_inner null means 4 x n_embd
 *   BERT   the token-type embedding's row 0 (what every token gets with
 *          token_type_ids all zero) is folded into the positions; the
 *          tied decoder weight and the position_ids buffer are dropped
 *   ViT    as it is; the class count is num_labels or, as save_pretrained
 *          writes it, the number of id2label entries
 *   LLaMA  as it is (SiLU, no biases, plain RoPE, its base rope_theta or
 *          transformers 5's rope_parameters.rope_theta); tie_word_embeddings
 *          absent means untied, as in transformers; a tied file's
 *          lm_head.weight, equal to the embedding, is dropped */

/* The top-level fields of a config.json that the import reads. */
#define LIGO__HF_FIELDS 96
typedef struct ligo__hf_field {
    char key[48];
    int kind;        /* 0 number, 1 string, 2 null, 3 true, 4 false, 5 object or array */
    double num;
    char str[48];
    int64_t members; /* an object's */
} ligo__hf_field;

typedef struct ligo__hf_config {
    ligo__hf_field f[LIGO__HF_FIELDS];
    int n;
} ligo__hf_config;

/* A string, number, null, true or false into f (kind, str, num). */
static int ligo__hf_scalar(ligo__json *J, ligo__hf_field *f) {
    size_t len, start = J->pos;
    int nul;
    char num[64];
    if (ligo__json_peek(J) == '"') {
        f->kind = 1;
        if (!ligo__json_string(J, f->str, sizeof f->str - 1, &len, &nul)) return 0;
        if (len >= sizeof f->str) f->str[sizeof f->str - 1] = '\0';
        return 1;
    }
    if (!ligo__json_skip(J, 1)) return 0;
    if (J->s[start] == 'n') f->kind = 2;
    else if (J->s[start] == 't') f->kind = 3;
    else if (J->s[start] == 'f') f->kind = 4;
    else {
        size_t k = J->pos - start < sizeof num - 1 ? J->pos - start : sizeof num - 1;
        memcpy(num, J->s + start, k);
        num[k] = '\0';
        f->kind = 0;
        f->num = strtod(num, NULL);
    }
    return 1;
}

/* Reads the top-level object; fields past LIGO__HF_FIELDS or with long
 * keys are skipped (none the import needs is either). rope_parameters'
 * scalar members are fields too, named "rope_parameters.member"
 * (transformers 5 writes the RoPE base there); other objects only count
 * their members, so a long id2label cannot crowd out the sizes. */
static int ligo__hf_parse(ligo__json *J, ligo__hf_config *hc) {
    hc->n = 0;
    if (!ligo__json_expect(J, '{')) return 0;
    if (ligo__json_peek(J) == '}') return ++J->pos, 1;
    for (;;) {
        ligo__hf_field tmp, *f = hc->n < LIGO__HF_FIELDS ? &hc->f[hc->n] : &tmp;
        size_t len;
        int nul, c;
        memset(f, 0, sizeof *f);
        if (!ligo__json_string(J, f->key, sizeof f->key - 1, &len, &nul) || !ligo__json_expect(J, ':')) return 0;
        if (len >= sizeof f->key) f->key[0] = '\0';
        c = ligo__json_peek(J);
        if (c == '{' || c == '[') {
            f->kind = 5;
            J->pos++;
            if (f != &tmp && f->key[0]) hc->n++; /* before its members */
            if (ligo__json_peek(J) == (c == '{' ? '}' : ']')) {
                J->pos++;
            } else {
                for (;;) {
                    char mk[48];
                    int sub = 0;
                    if (c == '{') {
                        if (!ligo__json_string(J, mk, sizeof mk - 1, &len, &nul) || !ligo__json_expect(J, ':')) return 0;
                        if (len >= sizeof mk) mk[0] = '\0';
                        sub = strcmp(f->key, "rope_parameters") == 0 && mk[0] && strlen(mk) < 24 &&
                              hc->n < LIGO__HF_FIELDS && ligo__json_peek(J) != '{' && ligo__json_peek(J) != '[';
                    }
                    if (sub) {
                        ligo__hf_field *m = &hc->f[hc->n];
                        memset(m, 0, sizeof *m);
                        memcpy(m->key, "rope_parameters.", 16);
                        memcpy(m->key + 16, mk, strlen(mk) + 1);
                        if (!ligo__hf_scalar(J, m)) return 0;
                        hc->n++;
                    } else if (!ligo__json_skip(J, 1)) {
                        return 0;
                    }
                    f->members++;
                    if (ligo__json_peek(J) != ',') break;
                    J->pos++;
                }
                if (!ligo__json_expect(J, c == '{' ? '}' : ']')) return 0;
            }
        } else {
            if (!ligo__hf_scalar(J, f)) return 0;
            if (f != &tmp && f->key[0]) hc->n++;
        }
        if (ligo__json_peek(J) == ',') {
            J->pos++;
            continue;
        }
        return ligo__json_expect(J, '}');
    }
}

static const ligo__hf_field *ligo__hf_get(const ligo__hf_config *hc, const char *key) {
    int i;
    for (i = 0; i < hc->n; i++)
        if (strcmp(hc->f[i].key, key) == 0) return &hc->f[i];
    return NULL;
}

/* An integer field into *out: required (a missing one is an error), or
 * optional with a default (dflt >= 0; also taken for null). */
static ligo_status ligo__hf_int(ligo_ctx *ctx, const char *path, const ligo__hf_config *hc, const char *key,
                                int64_t dflt, int64_t *out) {
    const ligo__hf_field *f = ligo__hf_get(hc, key);
    if ((!f || f->kind == 2) && dflt >= 0) {
        *out = dflt;
        return LIGO_OK;
    }
    if (!f) return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_import_hf: %s: no \"%s\"", path, key);
    if (f->kind != 0 || f->num != floor(f->num) || f->num < 1 || f->num > 4e9)
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_import_hf: %s: \"%s\" is not a positive integer", path, key);
    *out = (int64_t)f->num;
    return LIGO_OK;
}

/* The activation named by `key` must be the tanh GELU of ligo's blocks. */
static ligo_status ligo__hf_act(ligo_ctx *ctx, const char *path, const ligo__hf_config *hc, const char *key) {
    const ligo__hf_field *f = ligo__hf_get(hc, key);
    const char *v = f && f->kind == 1 ? f->str : "(missing)";
    if (f && f->kind == 1 && (strcmp(v, "gelu_new") == 0 || strcmp(v, "gelu_pytorch_tanh") == 0)) return LIGO_OK;
    return ligo_set_error(ctx, LIGO_EINVAL,
                          "ligo_model_import_hf: %s: %s is \"%s\"; ligo's models use the tanh GELU (gelu_new or "
                          "gelu_pytorch_tanh), so this model cannot be imported",
                          path, key, v);
}

/* config.json -> a ligo config, every field checked. */
static ligo_status ligo__hf_to_config(ligo_ctx *ctx, const char *path, const ligo__hf_config *hc, ligo_config *c) {
    const ligo__hf_field *mt = ligo__hf_get(hc, "model_type"), *f;
    const char *type = mt && mt->kind == 1 ? mt->str : "";
    double eps = -1.0;
    if (strcmp(type, "gpt2") == 0) {
        *c = ligo_config_default(LIGO_GPT);
        if (ligo__hf_act(ctx, path, hc, "activation_function") || ligo__hf_int(ctx, path, hc, "n_layer", -1, &c->n_layer) ||
            ligo__hf_int(ctx, path, hc, "n_embd", -1, &c->d_model) || ligo__hf_int(ctx, path, hc, "n_head", -1, &c->n_head) ||
            ligo__hf_int(ctx, path, hc, "vocab_size", -1, &c->vocab) ||
            ligo__hf_int(ctx, path, hc, "n_positions", -1, &c->ctx_len) ||
            ligo__hf_int(ctx, path, hc, "n_inner", 0, &c->d_ff))
            return ctx->status;
        f = ligo__hf_get(hc, "layer_norm_epsilon");
    } else if (strcmp(type, "bert") == 0) {
        const ligo__hf_field *pe = ligo__hf_get(hc, "position_embedding_type");
        *c = ligo_config_default(LIGO_BERT);
        if (pe && !(pe->kind == 1 && strcmp(pe->str, "absolute") == 0))
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: position_embedding_type is \"%s\"; "
                                  "ligo's BERT has absolute positions", path, pe->kind == 1 ? pe->str : "?");
        if (ligo__hf_act(ctx, path, hc, "hidden_act") ||
            ligo__hf_int(ctx, path, hc, "num_hidden_layers", -1, &c->n_layer) ||
            ligo__hf_int(ctx, path, hc, "hidden_size", -1, &c->d_model) ||
            ligo__hf_int(ctx, path, hc, "num_attention_heads", -1, &c->n_head) ||
            ligo__hf_int(ctx, path, hc, "intermediate_size", -1, &c->d_ff) ||
            ligo__hf_int(ctx, path, hc, "vocab_size", -1, &c->vocab) ||
            ligo__hf_int(ctx, path, hc, "max_position_embeddings", -1, &c->ctx_len))
            return ctx->status;
        f = ligo__hf_get(hc, "layer_norm_eps");
    } else if (strcmp(type, "vit") == 0) {
        const ligo__hf_field *labels = ligo__hf_get(hc, "id2label");
        int64_t channels, size;
        *c = ligo_config_default(LIGO_VIT);
        if (ligo__hf_act(ctx, path, hc, "hidden_act") ||
            ligo__hf_int(ctx, path, hc, "num_hidden_layers", -1, &c->n_layer) ||
            ligo__hf_int(ctx, path, hc, "hidden_size", -1, &c->d_model) ||
            ligo__hf_int(ctx, path, hc, "num_attention_heads", -1, &c->n_head) ||
            ligo__hf_int(ctx, path, hc, "intermediate_size", -1, &c->d_ff) ||
            ligo__hf_int(ctx, path, hc, "image_size", -1, &size) || ligo__hf_int(ctx, path, hc, "patch_size", -1, &c->patch) ||
            ligo__hf_int(ctx, path, hc, "num_channels", 3, &channels) ||
            ligo__hf_int(ctx, path, hc, "num_labels", labels && labels->kind == 5 ? labels->members : 2, &c->n_classes))
            return ctx->status;
        if (channels != 1)
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: num_channels is %lld; ligo's ViT reads "
                                  "one-channel images", path, (long long)channels);
        c->image_h = c->image_w = size;
        f = ligo__hf_get(hc, "layer_norm_eps");
    } else if (strcmp(type, "llama") == 0) {
        const ligo__hf_field *act = ligo__hf_get(hc, "hidden_act"), *tie = ligo__hf_get(hc, "tie_word_embeddings");
        const ligo__hf_field *theta = ligo__hf_get(hc, "rope_theta"), *scaling = ligo__hf_get(hc, "rope_scaling");
        const ligo__hf_field *rtype = ligo__hf_get(hc, "rope_parameters.rope_type");
        static const char *biases[2] = {"attention_bias", "mlp_bias"};
        int64_t head_dim = 0;
        int k;
        *c = ligo_config_default(LIGO_LLAMA);
        if (!act || act->kind != 1 || strcmp(act->str, "silu") != 0)
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: hidden_act is \"%s\"; ligo's LLaMA has a "
                                  "SiLU-gated MLP", path, act && act->kind == 1 ? act->str : "(missing)");
        for (k = 0; k < 2; k++) {
            const ligo__hf_field *b = ligo__hf_get(hc, biases[k]);
            if (b && b->kind != 4)
                return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: %s is not false; ligo's LLaMA has no "
                                      "biases", path, biases[k]);
        }
        if (scaling && scaling->kind != 2)
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: rope_scaling is set; ligo's LLaMA has "
                                  "plain RoPE", path);
        if (rtype && !(rtype->kind == 1 && strcmp(rtype->str, "default") == 0))
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: rope_parameters.rope_type is \"%s\"; "
                                  "ligo's LLaMA has plain RoPE (default)", path, rtype->kind == 1 ? rtype->str : "?");
        if (!theta) theta = ligo__hf_get(hc, "rope_parameters.rope_theta"); /* transformers 5 */
        if (ligo__hf_int(ctx, path, hc, "num_hidden_layers", -1, &c->n_layer) ||
            ligo__hf_int(ctx, path, hc, "hidden_size", -1, &c->d_model) ||
            ligo__hf_int(ctx, path, hc, "num_attention_heads", -1, &c->n_head) ||
            ligo__hf_int(ctx, path, hc, "num_key_value_heads", c->n_head, &c->n_kv_head) ||
            ligo__hf_int(ctx, path, hc, "intermediate_size", -1, &c->d_ff) ||
            ligo__hf_int(ctx, path, hc, "vocab_size", -1, &c->vocab) ||
            ligo__hf_int(ctx, path, hc, "max_position_embeddings", -1, &c->ctx_len) ||
            ligo__hf_int(ctx, path, hc, "head_dim", c->d_model / c->n_head, &head_dim))
            return ctx->status;
        if (head_dim * c->n_head != c->d_model)
            return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: head_dim %lld x %lld heads is not "
                                  "hidden_size %lld; ligo's heads split the width", path, (long long)head_dim,
                                  (long long)c->n_head, (long long)c->d_model);
        if (theta && !(theta->kind == 0 && theta->num > 0.0 && theta->num < 1e30))
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_import_hf: %s: rope_theta is not a base > 0", path);
        if (theta) c->rope_theta = (float)theta->num;
        if (tie && tie->kind != 3 && tie->kind != 4)
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_import_hf: %s: tie_word_embeddings is not true or false",
                                  path);
        c->untied_head = !(tie && tie->kind == 3); /* transformers' default: untied */
        f = ligo__hf_get(hc, "rms_norm_eps");
    } else {
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: model_type \"%s\" (want gpt2, bert, vit or "
                              "llama)", path, mt ? type : "(missing)");
    }
    if (f && f->kind == 0) eps = f->num;
    if (f && !(eps > 0.0 && eps < 1.0))
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_import_hf: %s: \"%s\" is not an eps in (0, 1)", path, f->key);
    if (f) c->ln_eps = (float)eps;
    return ligo_config_check(ctx, c);
}

/* The file's tensors under the names ligo's checkpoints use. */
static ligo_status ligo__hf_tensors(ligo_ctx *ctx, const char *path, const ligo_config *c, const ligo_safetensors *in,
                                    ligo_safetensors *out) {
    const ligo_st_entry *wte = NULL, *head = NULL, *tt = NULL;
    int64_t i, k;
    for (i = 0; i < in->n_entries; i++) {
        const ligo_st_entry *e = &in->entries[i];
        const char *name = e->name;
        if (c->family == LIGO_GPT) {
            if (strncmp(name, "transformer.", 12) == 0) name += 12;
            if (strcmp(name, "lm_head.weight") == 0) {
                head = e;
                continue;
            }
            if (strcmp(name, "wte.weight") == 0) wte = e;
            if (strstr(name, ".attn.bias") || strstr(name, ".attn.masked_bias")) continue; /* old causal-mask buffers */
        } else if (c->family == LIGO_LLAMA) {
            if (strstr(name, "rotary_emb.inv_freq")) continue; /* older files' RoPE buffers */
            if (strcmp(name, "model.embed_tokens.weight") == 0) wte = e;
            if (!c->untied_head && strcmp(name, "lm_head.weight") == 0) {
                head = e;
                continue;
            }
        } else if (c->family == LIGO_BERT) {
            if (strcmp(name, "bert.embeddings.token_type_embeddings.weight") == 0) {
                tt = e;
                continue;
            }
            if (strncmp(name, "cls.predictions.decoder.", 24) == 0 || strstr(name, "position_ids")) continue;
        }
        if (ligo_st_add(ctx, out, name, e->ndim, e->shape, e->data) != LIGO_OK) return ctx->status;
    }
    if (head && wte && (head->n != wte->n || memcmp(head->data, wte->data, (size_t)wte->n * sizeof(float)) != 0))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: %s: lm_head.weight differs from %s; the config "
                              "ties the head to the embedding", path, wte->name);
    if (c->family == LIGO_BERT) {
        ligo_st_entry *pos = NULL;
        float *sum;
        if (!tt || tt->ndim != 2 || tt->shape[1] != c->d_model)
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_import_hf: %s: no token_type_embeddings of width %lld",
                                  path, (long long)c->d_model);
        for (i = 0; i < out->n_entries; i++)
            if (strcmp(out->entries[i].name, "bert.embeddings.position_embeddings.weight") == 0) pos = &out->entries[i];
        if (!pos || pos->ndim != 2 || pos->shape[1] != c->d_model)
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_import_hf: %s: no position_embeddings of width %lld",
                                  path, (long long)c->d_model);
        sum = (float *)ligo_alloc_scratch(ctx, (size_t)pos->n * sizeof(float));
        if (!sum) return ctx->status;
        for (i = 0; i < pos->shape[0]; i++)
            for (k = 0; k < c->d_model; k++) sum[i * c->d_model + k] = pos->data[i * c->d_model + k] + tt->data[k];
        pos->data = sum;
    }
    return LIGO_OK;
}

LIGO_API ligo_model *ligo_model_import_hf(ligo_ctx *ctx, const char *dir) {
    ligo__hf_config *hc;
    ligo_safetensors in, st;
    ligo_config c;
    ligo_mark mk;
    ligo__json J;
    ligo_model *m = NULL;
    char *path;
    size_t plen, n;
    void *text;
    if (ligo__failed(ctx)) return NULL;
    if (!dir) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_import_hf: directory is NULL");
        return NULL;
    }
    mk = ligo_scratch_mark(ctx);
    plen = strlen(dir) + sizeof "/model.safetensors";
    path = (char *)ligo_alloc_scratch(ctx, plen);
    hc = (ligo__hf_config *)ligo_alloc_scratch(ctx, sizeof *hc);
    if (!path || !hc) goto done;
    snprintf(path, plen, "%s/config.json", dir);
    if (ligo_read_file(ctx, path, (size_t)1 << 24, &text, &n) != LIGO_OK) goto done; /* a config is small */
    memset(&J, 0, sizeof J);
    J.s = (const unsigned char *)text;
    J.n = n;
    J.ctx = ctx;
    J.who = "ligo_model_import_hf";
    J.fname = path;
    if (!ligo__hf_parse(&J, hc) || ligo__hf_to_config(ctx, path, hc, &c) != LIGO_OK) goto done;
    snprintf(path, plen, "%s/model.safetensors", dir);
    if (ligo_st_read(ctx, path, &in) != LIGO_OK) goto done;
    ligo_st_init(&st);
    if (ligo__hf_tensors(ctx, path, &c, &in, &st) != LIGO_OK || ligo_config_to_st(ctx, &c, &st) != LIGO_OK) goto done;
    m = ligo_model_from_st(ctx, &st, path);
    if (m && ligo__st_check_names(ctx, &st, m, "ligo_model_import_hf", path) != LIGO_OK) m = NULL;
done:
    ligo_scratch_rewind(ctx, mk); /* the model lives in persistent memory */
    return m;
}
/* ==== end src/hf_import.c ==== */

/* ==== begin src/step.c ==== */
/* step.c: one training step, the same for the trainer (its model's
 * parameters) and the growth operator's fitting (the operator's floats
 * through the large model's loss): a batch, the loss, backward, the loss
 * and the gradient checked finite, clipping, the update. One function, so
 * both stop on the same checks with the same messages. And the progress
 * reports both loops make, with the usual line as a callback. */

#if defined(_WIN32)
#define LIGO__HAVE_ISATTY 1 /* _isatty from <io.h> (ligo_internal.h) */
#define LIGO__ISATTY(fd) _isatty(fd)
#elif !defined(LIGO_NO_THREADS) || defined(__unix__)
#include <unistd.h>
#define LIGO__HAVE_ISATTY 1
#define LIGO__ISATTY(fd) isatty(fd)
#endif

static int ligo__all_finite(const float *x, int64_t n) {
    int64_t i;
    for (i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

LIGO__PRIV ligo_status ligo__train_step(ligo_ctx *ctx, const ligo__step *s, int64_t step, float lr, float *loss_out) {
    ligo_mark mk = ligo_scratch_mark(ctx);
    ligo_batch bt;
    ligo_tensor *loss;
    double norm;
    if (ligo_data_batch(ctx, s->data, s->cfg, s->rng, s->B, s->T, s->inputs, s->targets, s->images) != LIGO_OK)
        goto done;
    memset(&bt, 0, sizeof bt);
    bt.B = s->B;
    bt.T = s->T;
    bt.inputs = s->inputs;
    bt.targets = s->targets;
    bt.images = s->images;
    if (s->on_batch) s->on_batch(s->batch_user, step, &bt);
    memset(s->grad, 0, (size_t)s->n * sizeof(float));
    loss = s->loss(ctx, s->user, &bt);
    if (!loss) goto done;
    *loss_out = loss->data[0];
    if (!isfinite(loss->data[0])) {
        ligo_set_error(ctx, LIGO_ENONFINITE, "%s stopped at step %lld: the loss is %g", s->what, (long long)step,
                       (double)loss->data[0]);
        goto done;
    }
    if (ligo_backward(ctx, loss) != LIGO_OK) goto done;
    /* the norm is already NaN or infinite when an element is; the scan
     * guards the update itself */
    norm = ligo_clip_grad_norm(s->grad, s->n, s->clip);
    if (!isfinite(norm) || !ligo__all_finite(s->grad, s->n)) {
        ligo_set_error(ctx, LIGO_ENONFINITE, "%s stopped at step %lld: the gradient is not finite", s->what,
                       (long long)step);
        goto done;
    }
    ligo_optim_step(ctx, s->opt, s->params, s->grad, lr);
done:
    ligo_scratch_rewind(ctx, mk);
    return ctx->status;
}

/* ------------------------------------------------------------- progress */

LIGO__PRIV void ligo__progress_report(ligo_progress_fn fn, void *user, ligo_progress *p, double t_start,
                                      double *t_last, double tokens_per_step) {
    double now = ligo_time_sec();
    p->seconds = now - t_start;
    p->since_last = now - *t_last;
    *t_last = now;
    p->tokens_per_sec = p->seconds > 0.0 ? (double)p->run_steps * tokens_per_step / p->seconds : 0.0;
    p->eta_seconds = p->run_steps > 0 ? p->seconds / (double)p->run_steps * (double)(p->total - p->step) : -1.0;
    fn(user, p);
}

static void ligo__fmt_eta(double sec, char *buf, size_t n) {
    long s = (long)(sec + 0.5);
    if (sec < 0 || sec > 1e7) snprintf(buf, n, "?");
    else if (s >= 3600) snprintf(buf, n, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else snprintf(buf, n, "%ldm%02lds", s / 60, s % 60);
}

/* Whether the run's clock passed a multiple of `every` seconds since the
 * previous report: a line per interval without a state of its own. */
static int ligo__interval_passed(const ligo_progress *p, double every) {
    return floor(p->seconds / every) > floor((p->seconds - p->since_last) / every);
}

LIGO_API void ligo_progress_print_stderr(void *user, const ligo_progress *p) {
    int tty = 0;
    char eta[32];
    (void)user;
    if (!p) return;
#ifdef LIGO__HAVE_ISATTY
    tty = LIGO__ISATTY(2);
#endif
    if (p->phase == LIGO_PHASE_FIT) {
        if (!p->done)
            fprintf(stderr, "\rligo grow: fitting step %lld/%lld  loss %.4f   ", (long long)p->step,
                    (long long)p->total, p->loss);
        else if (p->run_steps > 0)
            fputc('\n', stderr);
        return;
    }
    if (p->done) {
        if (tty) fputc('\n', stderr);
        return;
    }
    if (!(p->run_steps == 1 || p->evaluated || ligo__interval_passed(p, tty ? 0.2 : 10.0))) return;
    ligo__fmt_eta(p->eta_seconds, eta, sizeof eta);
    fprintf(stderr, "%sstep %lld/%lld  loss %.4f", tty ? "\r" : "", (long long)p->step, (long long)p->total, p->loss);
    if (p->val_loss >= 0) fprintf(stderr, "  val %.4f", p->val_loss);
    fprintf(stderr, "  %.0f tok/s  %.3g FLOPs  eta %s%s", p->tokens_per_sec, p->flops, eta, tty ? "   " : "\n");
}
/* ==== end src/step.c ==== */

/* ==== begin src/grow.c ==== */
/* grow.c: the LiGO growth operator (Wang et al., ICLR 2023, section 3)
 * and the baseline growth methods, all through one materialisation.
 *
 * A large layer i's module m (ln_1, W_Q, W_K, W_V, W_O, ln_2, fc1, fc2) is
 *
 *     W_m(i) = B_out(i, m) [ sum_j w_m(i)[j] W_m(j) ] B_in(i, m)^T      (4.3, 4.1)
 *     b_m(i) = B_out(i, m) [ sum_j u_m(i)[j] b_m(j) ]
 *
 * depth blend first, then width (the official code's order; width_first
 * widens each small layer with its own factors and blends after, the
 * paper's Algorithm 1). The width
 * factors are tied as in docs/design.md section 4.2: B_emb for the residual stream, B_Q,
 * B_K, B_V, B_fc1 per large layer, B_cls for BERT's MLM transform. Each is
 * [I; C] with C learned, a learned full matrix, or a fixed selection (the
 * baselines). Everything is built from tape ops, so the large model's
 * ordinary forward runs on the result and backward reaches C and the depth
 * coefficients, and nothing else.
 *
 * Shapes: L1, L2 layers; D1, D2 widths; F1, F2 FFN widths; rows are
 * output units (weights are (out, in)). */

static const char *ligo__method_names[LIGO_GROW_COUNT] = {"scratch", "stack", "interlace", "fpi",
                                                          "aki", "ligo", "ligo-depth", "ligo-width"};

LIGO_API const char *ligo_grow_method_name(ligo_grow_method m) {
    return m >= 0 && m < LIGO_GROW_COUNT ? ligo__method_names[m] : "unknown";
}

LIGO_API ligo_status ligo_grow_method_parse(const char *name, ligo_grow_method *out) {
    int i;
    if (!name || !out) return LIGO_EINVAL;
    for (i = 0; i < LIGO_GROW_COUNT; i++)
        if (strcmp(name, ligo__method_names[i]) == 0) {
            *out = (ligo_grow_method)i;
            return LIGO_OK;
        }
    return LIGO_EINVAL;
}

LIGO_API ligo_grow_config ligo_grow_config_default(ligo_grow_method method) {
    ligo_grow_config c;
    memset(&c, 0, sizeof c);
    c.method = method;
    c.depth_init = LIGO_DEPTH_STACK;
    c.depth_noisy = 1;
    c.width_init = LIGO_WIDTH_RAND;
    c.full_width = 0;
    c.noise = 0.01f;
    c.seed = 1;
    c.fit_steps = 100;
    c.fit_warmup = 10;
    c.fit_lr = 1e-3f;
    c.fit_clip = 1.0;
    c.batch = 16;
    c.ctx = 0; /* the large model's context */
    c.progress = 1; /* reports go to on_progress, NULL by default */
    return c;
}

static int ligo__learns_width(ligo_grow_method m) { return m == LIGO_GROW_LIGO || m == LIGO_GROW_LIGO_WIDTH; }
static int ligo__learns_depth(ligo_grow_method m) { return m == LIGO_GROW_LIGO || m == LIGO_GROW_LIGO_DEPTH; }

/* A block module's part in a model, from its schema: module m (LIGO_MOD_*)
 * of layer `layer`, kind 0 (weight or gain) or 1 (bias); Q, K and V are
 * row blocks of a fused projection, starting at *row0. NULL when the
 * schema has no such part. */
LIGO__PRIV const ligo_param_info *ligo__module(const ligo_model *md, int64_t layer, int m, int kind, int64_t *row0) {
    int64_t i = ligo_model_find_module(md, layer, m, kind, row0);
    return i >= 0 ? &md->info[i] : NULL;
}

/* Rows and columns (0: a vector) of module m's part in a model. */
LIGO__PRIV void ligo__mod_shape(const ligo_model *md, int m, int kind, int64_t *rows, int64_t *cols) {
    const ligo_param_info *p = ligo__module(md, 0, m, kind, NULL);
    *rows = !p ? 0 : p->module == LIGO_MOD_QKV ? p->shape[0] / 3 : p->shape[0];
    *cols = p && p->ndim == 2 ? p->shape[1] : 0;
}

LIGO__PRIV int64_t ligo__mod_len(const ligo_model *md, int m, int kind) {
    int64_t r, c;
    ligo__mod_shape(md, m, kind, &r, &c);
    return c ? r * c : r;
}

/* Where module m's part of layer j starts in a model's block. */
static const float *ligo__mod_src(const ligo_model *md, int64_t j, int m, int kind) {
    int64_t row0;
    const ligo_param_info *p = ligo__module(md, j, m, kind, &row0);
    return md->data + p->offset + row0 * (p->ndim == 2 ? p->shape[1] : 1);
}

/* Units of a stream in a config. */
static int64_t ligo__stream_width(const ligo_config *c, ligo_stream s) {
    if (s == LIGO_STREAM_FFN) return c->d_ff;
    /* LLaMA's grouped keys and values: n_kv_head whole heads */
    if (c->family == LIGO_LLAMA && (s == LIGO_STREAM_K || s == LIGO_STREAM_V)) return c->n_kv_head * (c->d_model / c->n_head);
    return c->d_model;
}

/* Whether a model's schema has a stream: in layer 0's parameters for the
 * per-layer streams, anywhere for the others (a fused QKV has Q, K, V). */
static int ligo__has_stream(const ligo_model *md, ligo_stream s) {
    int per_layer = s == LIGO_STREAM_Q || s == LIGO_STREAM_K || s == LIGO_STREAM_V || s == LIGO_STREAM_FFN;
    int64_t i;
    int d;
    for (i = 0; i < md->n_tensors; i++) {
        const ligo_param_info *p = &md->info[i];
        if (per_layer && p->layer != 0) continue;
        for (d = 0; d < p->ndim; d++)
            if (p->stream[d] == s || (p->stream[d] == LIGO_STREAM_QKV && per_layer && s != LIGO_STREAM_FFN)) return 1;
    }
    return 0;
}

/* The width factors a growth needs, named after their streams: the
 * residual stream's, each layer's Q, K, V and FFN (large layers, or small
 * ones when width_first), BERT's MLM transform; out may be NULL to count. */
static int64_t ligo__list_factors(const ligo_model *shape, int64_t Lw, ligo_width_factor *out) {
    static const ligo_stream per_layer[4] = {LIGO_STREAM_Q, LIGO_STREAM_K, LIGO_STREAM_V, LIGO_STREAM_FFN};
    int64_t n = 0, i;
    int k;
#define LIGO__ADD(st, l)                                                                                               \
    do {                                                                                                               \
        if (out) {                                                                                                     \
            memset(&out[n], 0, sizeof out[n]);                                                                         \
            out[n].stream = (st);                                                                                      \
            out[n].layer = (l);                                                                                        \
            if ((l) >= 0) snprintf(out[n].name, sizeof out[n].name, "h.%lld.%s", (long long)(l), ligo_stream_name(st)); \
            else snprintf(out[n].name, sizeof out[n].name, "%s", ligo_stream_name(st));                                \
        }                                                                                                              \
        n++;                                                                                                           \
    } while (0)
    if (ligo__has_stream(shape, LIGO_STREAM_EMB)) LIGO__ADD(LIGO_STREAM_EMB, -1);
    for (i = 0; i < Lw; i++)
        for (k = 0; k < 4; k++)
            if (ligo__has_stream(shape, per_layer[k])) LIGO__ADD(per_layer[k], i);
    if (ligo__has_stream(shape, LIGO_STREAM_CLS)) LIGO__ADD(LIGO_STREAM_CLS, -1);
#undef LIGO__ADD
    return n;
}

LIGO_API int64_t ligo_grow_factor(const ligo_grow *g, ligo_stream s, int64_t layer) {
    int64_t k;
    int per_layer = s == LIGO_STREAM_Q || s == LIGO_STREAM_K || s == LIGO_STREAM_V || s == LIGO_STREAM_FFN;
    if (!g || !g->width) return -1;
    for (k = 0; k < g->n_width; k++)
        if (g->width[k].stream == s && (!per_layer || g->width[k].layer == layer)) return k;
    return -1;
}

/* Rows of L2 x L1 depth matrices. */
static void ligo__depth_onehot(float *w, int64_t L2, int64_t L1, int interlace) {
    int64_t i;
    memset(w, 0, (size_t)(L2 * L1) * sizeof(float));
    for (i = 0; i < L2; i++) w[i * L1 + (interlace ? i * L1 / L2 : i % L1)] = 1.0f;
}

static void ligo__normalise_rows(float *w, int64_t rows, int64_t cols) {
    int64_t i, j;
    for (i = 0; i < rows; i++) {
        double s = 0.0;
        for (j = 0; j < cols; j++) s += w[i * cols + j];
        if (s > 0.0)
            for (j = 0; j < cols; j++) w[i * cols + j] = (float)(w[i * cols + j] / s);
    }
}

/* Learned depth: stack / interlace one-hot or uniform rows, each with the
 * optional noise U(0, 0.03) and renormalised to sum 1 (docs/design.md 4.4). */
static void ligo__depth_init(float *w, int64_t L2, int64_t L1, const ligo_grow_config *c, ligo_rng *rng) {
    int64_t i;
    if (c->depth_init == LIGO_DEPTH_RAND) {
        for (i = 0; i < L2 * L1; i++) w[i] = ligo_rng_uniform(rng);
    } else {
        ligo__depth_onehot(w, L2, L1, c->depth_init == LIGO_DEPTH_INTERLACE);
    }
    if (c->depth_noisy)
        for (i = 0; i < L2 * L1; i++) w[i] += 0.03f * ligo_rng_uniform(rng);
    ligo__normalise_rows(w, L2, L1);
}

/* Learned width C ((big - small) x small), or the full B (big x small)
 * whose first rows are I: rand rows U(0, 1) normalised to sum 1; sel one
 * random old unit per new row; sel_noisy the same plus U(0, 0.03). */
static void ligo__width_init(float *w, int64_t big, int64_t small, int full, const ligo_grow_config *c,
                             ligo_rng *rng) {
    int64_t rows = big - small, i, j;
    float *C = w;
    if (full) {
        memset(w, 0, (size_t)(big * small) * sizeof(float));
        for (i = 0; i < small; i++) w[i * small + i] = 1.0f;
        C = w + small * small;
    }
    for (i = 0; i < rows; i++) {
        float *r = C + i * small;
        if (c->width_init == LIGO_WIDTH_RAND) {
            for (j = 0; j < small; j++) r[j] = ligo_rng_uniform(rng);
        } else {
            memset(r, 0, (size_t)small * sizeof(float));
            r[ligo_rng_below(rng, (uint64_t)small)] = 1.0f;
            if (c->width_init == LIGO_WIDTH_SEL_NOISY)
                for (j = 0; j < small; j++) r[j] += 0.03f * ligo_rng_uniform(rng);
        }
    }
    ligo__normalise_rows(C, rows, small);
}

/* A fixed selection: new unit j copies old unit j mod small (every old
 * unit copied equally often for an integer ratio, which keeps LayerNorm
 * exact); with heads, unit d of head h copies unit d mod hs of the same
 * head. With fpi, the in-expansion divides each copy by its count. `scale`
 * multiplies the out-expansion (fpi's Q when heads widen: 1/sqrt(ratio)
 * keeps q.k / sqrt(head_dim) unchanged). */
static ligo_status ligo__width_fixed(ligo_ctx *ctx, ligo_width_factor *f, int normalise_in, float scale) {
    int64_t h, i, j, hb = f->big / f->heads, hs = f->small / f->heads;
    f->fixed = (float *)ligo_alloc_persistent(ctx, (size_t)(f->big * f->small) * sizeof(float));
    if (!f->fixed) return ctx->status;
    if (normalise_in) {
        f->fixed_in = (float *)ligo_alloc_persistent(ctx, (size_t)(f->big * f->small) * sizeof(float));
        if (!f->fixed_in) return ctx->status;
    }
    for (h = 0; h < f->heads; h++) {
        float *o = f->fixed + h * hb * f->small + h * hs;
        for (i = 0; i < hb; i++) o[i * f->small + i % hs] = scale;
        if (!normalise_in) continue;
        o = f->fixed_in + h * hb * f->small + h * hs;
        for (j = 0; j < hs; j++) {
            int64_t count = (hb - j + hs - 1) / hs; /* rows i = j mod hs */
            for (i = j; i < hb; i += hs) o[i * f->small + j] = 1.0f / (float)count;
        }
    }
    return LIGO_OK;
}

/* Floats a learned factor holds: per head [I; C] keeps C ((hb - hs) x hs),
 * the full form the whole block (hb x hs). */
LIGO__PRIV int64_t ligo__width_floats(const ligo_width_factor *f, int full) {
    int64_t hb = f->big / f->heads, hs = f->small / f->heads;
    return f->heads * (full ? hb * hs : (hb - hs) * hs);
}

static ligo_status ligo__check_pair(ligo_ctx *ctx, const ligo_config *s, const ligo_config *l, int head_dim) {
    const char *who = "ligo_grow_new";
    if (s->family != l->family)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: cannot grow a %s model into a %s model", who,
                              ligo_family_name(s->family), ligo_family_name(l->family));
    if (ligo_config_def(s) != ligo_config_def(l))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: the large config's model definition (%s) is not the small model's (%s)",
                              who, ligo_config_def(l)->name, ligo_config_def(s)->name);
    if (l->n_layer < s->n_layer)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: the large n_layer %lld is smaller than the small model's %lld", who,
                              (long long)l->n_layer, (long long)s->n_layer);
    if (l->d_model < s->d_model)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: the large d_model %lld is smaller than the small model's %lld", who,
                              (long long)l->d_model, (long long)s->d_model);
    if (l->d_ff < s->d_ff)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: the large d_ff %lld is smaller than the small model's %lld", who,
                              (long long)l->d_ff, (long long)s->d_ff);
    if (head_dim && l->n_head != s->n_head)
        return ligo_set_error(ctx, LIGO_EINVAL,
                              "%s: growing the head dimension keeps the head count (large %lld heads, small %lld)", who,
                              (long long)l->n_head, (long long)s->n_head);
    if (!head_dim && l->d_model / l->n_head != s->d_model / s->n_head)
        return ligo_set_error(ctx, LIGO_EINVAL,
                              "%s: head dimension differs (large %lld / %lld heads = %lld, small %lld / %lld = %lld)",
                              who, (long long)l->d_model, (long long)l->n_head, (long long)(l->d_model / l->n_head),
                              (long long)s->d_model, (long long)s->n_head, (long long)(s->d_model / s->n_head));
    if (l->family == LIGO_LLAMA) {
        if (l->n_kv_head < s->n_kv_head)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: the large n_kv_head %lld is smaller than the small model's %lld",
                                  who, (long long)l->n_kv_head, (long long)s->n_kv_head);
        if (l->rope_theta != s->rope_theta)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: the large rope_theta %g differs from the small model's %g "
                                  "(growth keeps it)", who, (double)l->rope_theta, (double)s->rope_theta);
        if (l->untied_head != s->untied_head)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: the large untied_head %d differs from the small model's %d "
                                  "(growth keeps the head's tying)", who, l->untied_head, s->untied_head);
        if (head_dim)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: a llama model keeps its head dimension (RoPE turns fixed pairs "
                                  "of it); grow_head_dim is refused", who);
    }
    {
        /* what growth keeps: each field on its own */
        static const char *names[6] = {"vocab", "ctx_len", "image_h", "image_w", "patch", "n_classes"};
        const int64_t lv[6] = {l->vocab, l->ctx_len, l->image_h, l->image_w, l->patch, l->n_classes};
        const int64_t sv[6] = {s->vocab, s->ctx_len, s->image_h, s->image_w, s->patch, s->n_classes};
        int i;
        for (i = 0; i < 6; i++)
            if (lv[i] != sv[i])
                return ligo_set_error(ctx, LIGO_EINVAL, "%s: the large %s %lld differs from the small model's %lld "
                                      "(growth keeps it)", who, names[i], (long long)lv[i], (long long)sv[i]);
    }
    return LIGO_OK;
}

/* The options and every fitting field of a grow config, each named with
 * its value; l is the checked large config. */
static ligo_status ligo__check_fitting(ligo_ctx *ctx, const ligo_grow_config *c, const ligo_config *l) {
    const char *who = "ligo_grow_new";
    if (c->depth_init != LIGO_DEPTH_STACK && c->depth_init != LIGO_DEPTH_INTERLACE && c->depth_init != LIGO_DEPTH_RAND)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: depth_init is %d (want LIGO_DEPTH_STACK, _INTERLACE or _RAND)",
                              who, (int)c->depth_init);
    if (c->width_init != LIGO_WIDTH_RAND && c->width_init != LIGO_WIDTH_SEL && c->width_init != LIGO_WIDTH_SEL_NOISY)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: width_init is %d (want LIGO_WIDTH_RAND, _SEL or _SEL_NOISY)", who,
                              (int)c->width_init);
    if (!(c->noise >= 0.0f && c->noise <= 1.0f))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: noise is %g (want 0 to 1, a fraction of each tensor's RMS)", who,
                              (double)c->noise);
    if (c->fit_steps < 0)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: fit_steps is %lld (want >= 0 steps)", who, (long long)c->fit_steps);
    if (c->fit_warmup < 0)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: fit_warmup is %lld (want >= 0 steps)", who,
                              (long long)c->fit_warmup);
    if (!(c->fit_lr >= 0.0f) || !isfinite(c->fit_lr))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: fit_lr is %g (want a finite rate >= 0)", who, (double)c->fit_lr);
    if (!(c->fit_clip >= 0.0) || !isfinite(c->fit_clip))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: fit_clip is %g (want a finite norm >= 0; 0 = off)", who,
                              c->fit_clip);
    if (c->batch < 1 || c->batch > (1 << 20))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: batch is %lld (want 1 <= batch <= 2^20)", who,
                              (long long)c->batch);
    if (l->family != LIGO_VIT && c->ctx < 0)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: ctx is %lld (want 1 to the model's context %lld, or 0 for it)",
                              who, (long long)c->ctx, (long long)l->ctx_len);
    if (l->family != LIGO_VIT && c->ctx > l->ctx_len)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: ctx %lld (the fitting context) is longer than the model's context %lld",
                              who, (long long)c->ctx, (long long)l->ctx_len);
    return LIGO_OK;
}

/* Large tensor i's counterpart in the small model: a block's part of the
 * same module in small layer 0, any other tensor the one of its name. */
static int64_t ligo__counterpart(const ligo_grow *g, int64_t i) {
    const ligo_param_info *p = &g->shape->info[i];
    return p->layer >= 0 ? ligo_model_find_module(g->small, 0, p->module, p->bias, NULL)
                         : ligo_model_find(g->small, p->name);
}

/* Whether width growth enlarged large tensor i. */
LIGO__PRIV int ligo__widened(const ligo_grow *g, int64_t i) {
    int64_t j = ligo__counterpart(g, i);
    return j < 0 || g->shape->info[i].n != g->small->info[j].n;
}

/* Symmetry-breaking noise for copied width (cfg.noise): U(-1, 1) x noise x
 * the RMS of each enlarged tensor as materialised without it, from its own
 * stream of the seed. */
static ligo_status ligo__make_noise(ligo_ctx *ctx, ligo_grow *g) {
    ligo_mark mk = ligo_scratch_mark(ctx);
    ligo_tensor **w = (ligo_tensor **)ligo_alloc_scratch(ctx, (size_t)g->shape->n_tensors * sizeof(ligo_tensor *));
    float *nz = (float *)ligo_alloc_persistent(ctx, (size_t)g->shape->n_floats * sizeof(float));
    ligo_rng rng;
    int64_t i, k;
    if (!w || !nz || ligo_grow_materialize(ctx, g, w) != LIGO_OK) return ctx->status;
    ligo_rng_seed(&rng, g->cfg.seed ^ 0x6e6f697365ULL);
    for (i = 0; i < g->shape->n_tensors; i++) {
        const ligo_param_info *p = &g->shape->info[i];
        double ss = 0.0;
        float a;
        if (!ligo__widened(g, i)) continue;
        for (k = 0; k < p->n; k++) ss += (double)w[i]->data[k] * (double)w[i]->data[k];
        a = g->cfg.noise * (float)sqrt(ss / (double)p->n);
        for (k = 0; k < p->n; k++) nz[p->offset + k] = a * (2.0f * ligo_rng_uniform(&rng) - 1.0f);
    }
    ligo_scratch_rewind(ctx, mk);
    g->noise = nz;
    return LIGO_OK;
}

LIGO_API ligo_grow *ligo_grow_new(ligo_ctx *ctx, const ligo_model *small, const ligo_config *large,
                                  const ligo_grow_config *cfg) {
    ligo_grow *g;
    ligo_config lc;
    ligo_rng rng;
    int64_t L1, L2, Lw, k, n_learn = 0, m, kind;
    int lw, ld;
    if (ligo__failed(ctx)) return NULL;
    if (!small || !large || !cfg) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_new: NULL small model, large config or grow config");
        return NULL;
    }
    if (cfg->method < 0 || cfg->method >= LIGO_GROW_COUNT) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_new: unknown method %d", (int)cfg->method);
        return NULL;
    }
    lc = *large;
    /* LLaMA: n_kv_head 0 scales the small model's KV heads with the head
     * count, keeping its group size (heads per KV head) */
    if (lc.family == LIGO_LLAMA && small->cfg.family == LIGO_LLAMA && lc.n_kv_head == 0) {
        int64_t group = small->cfg.n_head / small->cfg.n_kv_head;
        if (lc.n_head % group != 0) {
            ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_new: the large model's %lld heads do not split into the small "
                           "model's groups of %lld heads per KV head; give n_kv_head", (long long)lc.n_head,
                           (long long)group);
            return NULL;
        }
        lc.n_kv_head = lc.n_head / group;
    }
    if (ligo_config_check(ctx, &lc) != LIGO_OK) return NULL;
    if (ligo__check_pair(ctx, &small->cfg, &lc, cfg->grow_head_dim) != LIGO_OK) return NULL;
    if (cfg->grow_head_dim && cfg->method == LIGO_GROW_AKI && lc.d_model > small->cfg.d_model) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_new: aki adds whole heads; it cannot grow the head dimension");
        return NULL;
    }
    if (cfg->method == LIGO_GROW_FPI && lc.n_layer > small->cfg.n_layer) {
        /* new identity layers need the block's outputs into the residual
         * stream, which the schema must mark */
        int64_t i, marked = 0;
        for (i = 0; i < small->n_tensors; i++) marked += (small->info[i].flags & LIGO_PARAM_RESID_OUT) != 0;
        if (!marked) {
            ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_new: fpi adds identity layers by zeroing each block's outputs into "
                           "the residual stream, and %s's schema marks none (LIGO_PARAM_RESID_OUT)",
                           ligo_config_def(&small->cfg)->name);
            return NULL;
        }
    }
    if (ligo__check_fitting(ctx, cfg, &lc) != LIGO_OK) return NULL;
    g = (ligo_grow *)ligo_alloc_persistent(ctx, sizeof *g);
    if (!g) return NULL;
    g->cfg = *cfg;
    g->small = small;
    g->large = lc;
    g->shape = ligo_model_new(ctx, &lc);
    if (!g->shape) return NULL;
    g->ln_f_scale = 1.0f;
    g->res_offset = -1;
    if (cfg->method == LIGO_GROW_SCRATCH) {
        g->cfg.noise = 0.0f;
        return g;
    }
    L1 = small->cfg.n_layer;
    L2 = lc.n_layer;
    lw = ligo__learns_width(cfg->method);
    ld = ligo__learns_depth(cfg->method);
    ligo_rng_seed(&rng, cfg->seed);

    /* width factors and the size of the learned block; per small layer
     * only when width comes first and is learned (fixed factors are the
     * same for every layer, so the order does not matter for them) */
    if (!lw) g->cfg.width_first = 0;
    Lw = g->cfg.width_first ? L1 : L2;
    g->n_width = ligo__list_factors(g->shape, Lw, NULL);
    g->width = (ligo_width_factor *)ligo_alloc_persistent(ctx, (size_t)g->n_width * sizeof(ligo_width_factor));
    if (!g->width) return NULL;
    ligo__list_factors(g->shape, Lw, g->width);
    for (k = 0; k < g->n_width; k++) {
        ligo_width_factor *f = &g->width[k];
        int qkv = f->stream == LIGO_STREAM_Q || f->stream == LIGO_STREAM_K || f->stream == LIGO_STREAM_V;
        f->big = ligo__stream_width(&lc, f->stream);
        f->small = ligo__stream_width(&small->cfg, f->stream);
        f->heads = qkv && cfg->grow_head_dim ? lc.n_head : 1;
        f->offset = -1;
        if (f->big == f->small) continue;
        if (lw) {
            f->learned = 1;
            f->offset = n_learn;
            n_learn += ligo__width_floats(f, cfg->full_width);
        } else {
            int fpi = cfg->method == LIGO_GROW_FPI;
            float scale = fpi && f->heads > 1 && f->stream == LIGO_STREAM_Q ? (float)sqrt((double)f->small / (double)f->big)
                                                                            : 1.0f;
            if (ligo__width_fixed(ctx, f, fpi || cfg->method == LIGO_GROW_AKI, scale) != LIGO_OK) return NULL;
        }
    }
    for (m = 0; m < LIGO_MOD_COUNT; m++)
        for (kind = 0; kind < 2; kind++) {
            g->depth_offset[m][kind] = -1;
            if (ld && ligo__mod_len(small, (int)m, (int)kind) > 0) { /* a part the schema has */
                g->depth_offset[m][kind] = n_learn;
                n_learn += L2 * L1;
            }
        }
    g->res_offset = -1;
    if (cfg->residual) {
        g->res_offset = n_learn;
        n_learn += g->shape->n_floats;
    }
    g->n = n_learn;
    if (n_learn > 0) {
        g->data = (float *)ligo_alloc_persistent(ctx, (size_t)n_learn * sizeof(float));
        g->grad = (float *)ligo_alloc_persistent(ctx, (size_t)n_learn * sizeof(float));
        if (!g->data || !g->grad) return NULL;
    }
    for (k = 0; k < g->n_width; k++) {
        const ligo_width_factor *f = &g->width[k];
        int64_t h, hb = f->big / f->heads, hs = f->small / f->heads, per = ligo__width_floats(f, cfg->full_width) / f->heads;
        if (!f->learned) continue;
        for (h = 0; h < f->heads; h++) ligo__width_init(g->data + f->offset + h * per, hb, hs, cfg->full_width, cfg, &rng);
    }
    if (g->res_offset >= 0) memset(g->data + g->res_offset, 0, (size_t)g->shape->n_floats * sizeof(float));

    /* depth: learned rows from the init, or the baseline's fixed rows */
    for (m = 0; m < LIGO_MOD_COUNT; m++)
        for (kind = 0; kind < 2; kind++) {
            float *w;
            if (ligo__mod_len(small, (int)m, (int)kind) == 0) continue; /* the schema has no such part */
            if (ld) {
                ligo__depth_init(g->data + g->depth_offset[m][kind], L2, L1, cfg, &rng);
                continue;
            }
            w = (float *)ligo_alloc_persistent(ctx, (size_t)(L2 * L1) * sizeof(float));
            if (!w) return NULL;
            ligo__depth_onehot(w, L2, L1, cfg->method == LIGO_GROW_INTERLACE || cfg->method == LIGO_GROW_FPI);
            if (cfg->method == LIGO_GROW_FPI && ligo__module(small, 0, (int)m, (int)kind, NULL) &&
                (ligo__module(small, 0, (int)m, (int)kind, NULL)->flags & LIGO_PARAM_RESID_OUT)) {
                /* a new layer (not the first of its group) is an identity in
                 * a pre-LN block: no attention output, no FFN output */
                int64_t i;
                for (i = 1; i < L2; i++)
                    if (i * L1 / L2 == (i - 1) * L1 / L2) memset(w + i * L1, 0, (size_t)L1 * sizeof(float));
            }
            g->depth_fixed[m][kind] = w;
        }
    if (cfg->method == LIGO_GROW_AKI) {
        int64_t i;
        g->next_layer = (float *)ligo_alloc_persistent(ctx, (size_t)(L2 * L1) * sizeof(float));
        if (!g->next_layer) return NULL;
        for (i = 0; i < L2; i++) g->next_layer[i * L1 + (i % L1 + 1) % L1] = 1.0f;
    }
    /* A tied output layer sees the widened stream r times over: FPI divides
     * the LayerNorm before it by r (Shen et al.'s staged training). */
    if (cfg->method == LIGO_GROW_FPI) g->ln_f_scale = (float)small->cfg.d_model / (float)lc.d_model;

    /* the small layers' tensors, module by module: (L1 x n) */
    g->stacks = (float **)ligo_alloc_persistent(ctx, (size_t)(2 * LIGO_MOD_COUNT) * sizeof(float *));
    if (!g->stacks) return NULL;
    for (m = 0; m < LIGO_MOD_COUNT; m++)
        for (kind = 0; kind < 2; kind++) {
            int64_t n = ligo__mod_len(small, (int)m, (int)kind), j;
            float *s;
            if (n == 0) continue; /* the schema has no such part */
            s = (float *)ligo_alloc_persistent(ctx, (size_t)(L1 * n) * sizeof(float));
            if (!s) return NULL;
            for (j = 0; j < L1; j++) memcpy(s + j * n, ligo__mod_src(small, j, (int)m, (int)kind), (size_t)n * sizeof(float));
            g->stacks[m * 2 + kind] = s;
        }
    /* copied width: noise on the enlarged tensors, or none to draw */
    if (lw || (lc.d_model == small->cfg.d_model && lc.d_ff == small->cfg.d_ff)) g->cfg.noise = 0.0f;
    if (g->cfg.noise > 0.0f && ligo__make_noise(ctx, g) != LIGO_OK) return NULL;
    return g;
}
/* ==== end src/grow.c ==== */

/* ==== begin src/grow_apply.c ==== */
/* grow_apply.c: the growth operator's materialisation: the large model's
 * weights as tape nodes computed from the frozen small weights and the
 * operator (docs/design.md 4.1 to 4.3), and the standalone large model.
 *
 *     W_m(i) = B_out(i, m) [ sum_j w_m(i)[j] W_m(j) ] B_in(i, m)^T
 *
 * Every tensor is widened by the streams its schema gives its dimensions,
 * so growth knows no family's tensors by position. B = [I; C] is never
 * formed: B X is [X; C X] and X B^T is [X, X C^T]. */

/* The stream of module m's rows: a fused projection's Q, K or V part is
 * that stream. */
static ligo_stream ligo__mod_stream(const ligo_param_info *p, int m) {
    return p->module == LIGO_MOD_QKV ? (ligo_stream)(LIGO_STREAM_Q + (m - LIGO_MOD_Q)) : p->stream[0];
}

typedef struct ligo__factor_nodes {
    ligo_tensor *out; /* B (big x small), NULL when big == small */
    ligo_tensor *in;  /* the in-expansion matrix (B itself unless FPI / AKI) */
    int eye_top;      /* out and in hold only C of B = [I; C]: the identity
                       * rows are copied, not multiplied */
} ligo__factor_nodes;

static ligo_tensor *ligo__const(ligo_ctx *ctx, const float *data, int64_t rows, int64_t cols) {
    int64_t s[2];
    s[0] = rows;
    s[1] = cols;
    return ligo_wrap(ctx, 2, s, (float *)data, NULL);
}

static ligo_tensor *ligo__identity(ligo_ctx *ctx, int64_t n) {
    ligo_tensor *t = ligo_new_2d(ctx, n, n);
    int64_t i;
    if (!t) return NULL;
    for (i = 0; i < n; i++) t->data[i * n + i] = 1.0f;
    return t;
}

/* One learned block (hb x hs) of a factor: [I; C] or the full matrix. */
static ligo_tensor *ligo__learned_block(ligo_ctx *ctx, ligo_grow *g, int64_t off, int64_t hb, int64_t hs) {
    int64_t s[2];
    s[0] = g->cfg.full_width ? hb : hb - hs;
    s[1] = hs;
    if (g->cfg.full_width) return ligo_wrap(ctx, 2, s, g->data + off, g->grad + off);
    return ligo_concat(ctx, ligo__identity(ctx, hs), ligo_wrap(ctx, 2, s, g->data + off, g->grad + off), 0);
}

/* The factor's B (big x small) on the tape: learned blocks placed on the
 * diagonal (one block unless heads widen), or the fixed selection. */
static ligo__factor_nodes ligo__factor(ligo_ctx *ctx, ligo_grow *g, const ligo_width_factor *f) {
    ligo__factor_nodes r;
    r.out = r.in = NULL;
    r.eye_top = 0;
    if (f->big == f->small) return r;
    if (f->learned && f->heads == 1 && !g->cfg.full_width) {
        /* [I; C]: B X = [X; C X] and X B^T = [X, X C^T], half the work of
         * multiplying by B (the product with I is X exactly) */
        int64_t s[2];
        s[0] = f->big - f->small;
        s[1] = f->small;
        r.out = r.in = ligo_wrap(ctx, 2, s, g->data + f->offset, g->grad + f->offset);
        r.eye_top = 1;
    } else if (f->learned) {
        int64_t h, hb = f->big / f->heads, hs = f->small / f->heads, per = ligo__width_floats(f, g->cfg.full_width) / f->heads;
        for (h = 0; h < f->heads; h++) {
            ligo_tensor *row = ligo__learned_block(ctx, g, f->offset + h * per, hb, hs);
            if (h > 0) row = ligo_concat(ctx, ligo_new_2d(ctx, hb, h * hs), row, 1);
            if (h < f->heads - 1) row = ligo_concat(ctx, row, ligo_new_2d(ctx, hb, (f->heads - 1 - h) * hs), 1);
            r.out = h == 0 ? row : ligo_concat(ctx, r.out, row, 0);
        }
        r.in = r.out;
    } else {
        r.out = ligo__const(ctx, f->fixed, f->big, f->small);
        r.in = f->fixed_in ? ligo__const(ctx, f->fixed_in, f->big, f->small) : r.out;
    }
    return r;
}

/* x B^T for a factor matrix b (B, or C of B = [I; C] when eye_top). */
static ligo_tensor *ligo__times_bt(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *b, int eye_top) {
    ligo_tensor *y = ligo_matmul(ctx, x, b, 0, 1);
    return eye_top ? ligo_concat(ctx, x, y, 1) : y;
}

/* X (out_s x in_s) -> B_out X B_in^T. With `next` (AKI) the new rows come
 * from the next layer's tensor instead. */
static ligo_tensor *ligo__expand(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *next, const ligo__factor_nodes *out,
                                 const ligo__factor_nodes *in) {
    if (!x) return NULL;
    if (!next && out && out->out && in && in->in) {
        /* both sides: the cheaper order (they differ when the matrix is
         * not square, e.g. fc2 is cheaper widened on its F side first) */
        double so = (double)x->shape[0], si = (double)x->shape[1];
        double bo = so + (double)out->out->shape[0] - (out->eye_top ? 0.0 : so);
        double bi = si + (double)in->in->shape[0] - (in->eye_top ? 0.0 : si);
        double out_first = (bo - (out->eye_top ? so : 0.0)) * so * si + bo * si * (bi - (in->eye_top ? si : 0.0));
        double in_first = so * si * (bi - (in->eye_top ? si : 0.0)) + (bo - (out->eye_top ? so : 0.0)) * so * bi;
        if (in_first < out_first) return ligo__expand(ctx, ligo__expand(ctx, x, NULL, NULL, in), NULL, out, NULL);
    }
    if (out && out->out) {
        if (out->eye_top) {
            x = ligo_concat(ctx, x, ligo_matmul(ctx, out->out, next ? next : x, 0, 0), 0);
        } else if (next) {
            int64_t small = x->shape[0], big = out->out->shape[0];
            x = ligo_concat(ctx, x, ligo_matmul(ctx, ligo_slice(ctx, out->out, 0, small, big - small), next, 0, 0), 0);
        } else {
            x = ligo_matmul(ctx, out->out, x, 0, 0);
        }
    }
    if (in && in->in) x = ligo__times_bt(ctx, x, in->in, in->eye_top);
    return x;
}

/* Rows that live in the residual stream (embeddings): x B_out^T. */
static ligo_tensor *ligo__rows_out(ligo_ctx *ctx, ligo_tensor *x, const ligo__factor_nodes *f) {
    return f->out && x ? ligo__times_bt(ctx, x, f->out, f->eye_top) : x;
}

/* A vector's out-expansion B v, through a column. */
static ligo_tensor *ligo__expand_vec(ligo_ctx *ctx, ligo_tensor *v, ligo_tensor *next, const ligo__factor_nodes *out) {
    int64_t s[2], s1[1];
    ligo_tensor *y;
    s[0] = v->n;
    s[1] = 1;
    if (!out || !out->out) return v;
    y = ligo__expand(ctx, ligo_reshape(ctx, v, 2, s), next ? ligo_reshape(ctx, next, 2, s) : NULL, out, NULL);
    if (!y) return NULL;
    s1[0] = y->n;
    return ligo_reshape(ctx, y, 1, s1);
}

/* Row i of a blend, reshaped to (rows x cols) or a vector. */
static ligo_tensor *ligo__row(ligo_ctx *ctx, ligo_tensor *all, int64_t i, int64_t rows, int64_t cols) {
    int64_t s[2];
    ligo_tensor *r = ligo_slice(ctx, all, 0, i, 1);
    s[0] = rows;
    s[1] = cols;
    return cols ? ligo_reshape(ctx, r, 2, s) : ligo_reshape(ctx, r, 1, s);
}

/* Small model tensor by name, as a constant. */
static ligo_tensor *ligo__small(ligo_ctx *ctx, const ligo_model *s, const char *name) {
    int64_t i = ligo_model_find(s, name);
    const ligo_param_info *p;
    if (i < 0) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow: the small model has no %s", name);
        return NULL;
    }
    p = &s->info[i];
    return ligo_wrap(ctx, p->ndim, p->shape, s->data + p->offset, NULL);
}

static ligo_tensor *ligo__scaled(ligo_ctx *ctx, ligo_tensor *t, float s) { return s == 1.0f ? t : ligo_scale(ctx, t, s); }

/* The factor nodes of a stream (of large layer `layer` for the per-layer
 * streams), or none: a size growth keeps. */
static const ligo__factor_nodes *ligo__nodes_of(const ligo_grow *g, const ligo__factor_nodes *nodes, ligo_stream s,
                                                int64_t layer) {
    int64_t k = s == LIGO_STREAM_FIXED ? -1 : ligo_grow_factor(g, s, layer);
    return k >= 0 ? &nodes[k] : NULL;
}

/* A tensor x (out x in) or vector of the schema's parameter p widened by
 * its streams' factors (docs/design.md 4.2): rows by their stream's B,
 * columns by theirs (an embedding table's columns hold its stream, so they
 * take B itself; a weight's read it, so they take the in-expansion); xn is
 * AKI's next-layer tensor or NULL. A fused QKV's part m is its stream. */
static ligo_tensor *ligo__widen(ligo_ctx *ctx, const ligo_grow *g, const ligo__factor_nodes *nodes,
                                const ligo_param_info *p, int m, int64_t layer, ligo_tensor *x, ligo_tensor *xn) {
    const ligo__factor_nodes *rows = ligo__nodes_of(g, nodes, ligo__mod_stream(p, m), layer);
    if (p->ndim == 1) return ligo__expand_vec(ctx, x, xn, rows);
    if (p->flags & LIGO_PARAM_EMBEDDING) return ligo__rows_out(ctx, x, ligo__nodes_of(g, nodes, p->stream[1], layer));
    return ligo__expand(ctx, x, xn, rows, ligo__nodes_of(g, nodes, p->stream[1], layer));
}

LIGO_API ligo_status ligo_grow_materialize(ligo_ctx *ctx, ligo_grow *g, ligo_tensor **w) {
    const ligo_model *S, *Lm;
    ligo_tensor *coef[LIGO_MOD_COUNT][2], *stack[LIGO_MOD_COUNT][2], *nstack[LIGO_MOD_COUNT][2];
    ligo_tensor **mods; /* (L2 x LIGO_MOD_COUNT x 2) widened module tensors of the large layers */
    ligo__factor_nodes *nodes;
    int64_t L1, L2, i, j, m, kind, t;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!g || !w) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_materialize: NULL operator or weights");
    if (g->cfg.method == LIGO_GROW_SCRATCH)
        return ligo_set_error(ctx, LIGO_ESTATE, "ligo_grow_materialize: scratch has no operator to materialise");
    S = g->small;
    Lm = g->shape;
    L1 = S->cfg.n_layer;
    L2 = g->large.n_layer;
    mods = (ligo_tensor **)ligo_alloc_scratch(ctx, (size_t)(L2 * LIGO_MOD_COUNT * 2) * sizeof(ligo_tensor *));
    nodes = (ligo__factor_nodes *)ligo_alloc_scratch(ctx, (size_t)g->n_width * sizeof(ligo__factor_nodes));
    if (!mods || !nodes) return ctx->status;
    for (i = 0; i < g->n_width; i++) nodes[i] = ligo__factor(ctx, g, &g->width[i]);
    /* depth coefficients and the small layers' tensors, module by module */
    for (m = 0; m < LIGO_MOD_COUNT; m++)
        for (kind = 0; kind < 2; kind++) {
            int64_t n = ligo__mod_len(S, (int)m, (int)kind), s[2];
            const ligo_param_info *wp = ligo__module(S, 0, (int)m, 0, NULL);
            stack[m][kind] = coef[m][kind] = nstack[m][kind] = NULL;
            if (n == 0) continue;
            s[0] = L2;
            s[1] = L1;
            stack[m][kind] = ligo__const(ctx, g->stacks[m * 2 + kind], L1, n);
            coef[m][kind] = g->depth_offset[m][kind] >= 0
                                ? ligo_wrap(ctx, 2, s, g->data + g->depth_offset[m][kind], g->grad + g->depth_offset[m][kind])
                                : ligo__const(ctx, g->depth_fixed[m][kind], L2, L1);
            /* AKI: the next layer's units for every module with a weight
             * matrix (not the LayerNorms) */
            nstack[m][kind] = g->next_layer && wp && wp->ndim == 2
                                  ? ligo_matmul(ctx, ligo__const(ctx, g->next_layer, L2, L1), stack[m][kind], 0, 0)
                                  : NULL;
        }
    for (m = 0; m < LIGO_MOD_COUNT; m++)
        for (kind = 0; kind < 2; kind++) {
            int64_t r1, c1, r2, c2;
            const ligo_param_info *p = ligo__module(Lm, 0, (int)m, (int)kind, NULL);
            if (!stack[m][kind] || !p) continue;
            ligo__mod_shape(S, (int)m, (int)kind, &r1, &c1);
            ligo__mod_shape(Lm, (int)m, (int)kind, &r2, &c2);
            if (!g->cfg.width_first) {
                /* blend the small layers (L2 x n1), then widen each large
                 * layer with its own factors */
                ligo_tensor *blend = ligo_matmul(ctx, coef[m][kind], stack[m][kind], 0, 0);
                for (i = 0; i < L2; i++) {
                    ligo_tensor *x = ligo__row(ctx, blend, i, r1, c1);
                    ligo_tensor *xn = nstack[m][kind] ? ligo__row(ctx, nstack[m][kind], i, r1, c1) : NULL;
                    mods[(i * LIGO_MOD_COUNT + m) * 2 + kind] = ligo__widen(ctx, g, nodes, p, (int)m, i, x, xn);
                }
            } else {
                /* widen each small layer with its own factors, stack them
                 * (L1 x n2), then blend (Algorithm 1) */
                ligo_tensor *wide = NULL, *blend;
                int64_t s[2];
                for (j = 0; j < L1; j++) {
                    ligo_tensor *y =
                        ligo__widen(ctx, g, nodes, p, (int)m, j, ligo__row(ctx, stack[m][kind], j, r1, c1), NULL);
                    if (!y) return ctx->status;
                    s[0] = 1;
                    s[1] = y->n;
                    y = ligo_reshape(ctx, y, 2, s);
                    wide = j == 0 ? y : ligo_concat(ctx, wide, y, 0);
                }
                blend = ligo_matmul(ctx, coef[m][kind], wide, 0, 0);
                for (i = 0; i < L2; i++) mods[(i * LIGO_MOD_COUNT + m) * 2 + kind] = ligo__row(ctx, blend, i, r2, c2);
            }
        }
    /* every large tensor: a block's from its widened modules (a fused QKV
     * is the Q, K and V parts stacked), the others widened from the small
     * model's tensor of the same name */
    for (t = 0; t < Lm->n_tensors; t++) {
        const ligo_param_info *p = &Lm->info[t];
        if (p->layer >= 0) {
            ligo_tensor **md = mods + (int64_t)p->layer * LIGO_MOD_COUNT * 2;
            if (p->module != LIGO_MOD_QKV) {
                w[t] = md[p->module * 2 + p->bias];
            } else if (p->ndim == 2) {
                w[t] = ligo_concat(ctx, ligo_concat(ctx, md[LIGO_MOD_Q * 2], md[LIGO_MOD_K * 2], 0), md[LIGO_MOD_V * 2], 0);
            } else {
                int64_t s2[2], s1[1];
                s2[0] = p->shape[0] / 3;
                s2[1] = 1;
                s1[0] = p->shape[0];
                w[t] = ligo_reshape(ctx,
                                    ligo_concat(ctx,
                                                ligo_concat(ctx, ligo_reshape(ctx, md[LIGO_MOD_Q * 2 + 1], 2, s2),
                                                            ligo_reshape(ctx, md[LIGO_MOD_K * 2 + 1], 2, s2), 0),
                                                ligo_reshape(ctx, md[LIGO_MOD_V * 2 + 1], 2, s2), 0),
                                    1, s1);
            }
            continue;
        }
        w[t] = ligo__widen(ctx, g, nodes, p, -1, -1, ligo__small(ctx, S, p->name), NULL);
        /* an output layer tied to the embedding sees the widened stream r
         * times over: FPI divides the LayerNorm before it by r */
        if (p->flags & LIGO_PARAM_TIED_HEAD_IN) w[t] = ligo__scaled(ctx, w[t], g->ln_f_scale);
    }
    if (ligo__failed(ctx)) return ctx->status;
    for (i = 0; i < g->shape->n_tensors; i++) {
        const ligo_param_info *p = &g->shape->info[i];
        if (!w[i] || w[i]->n != p->n)
            return ligo_set_error(ctx, LIGO_ESTATE, "ligo_grow_materialize: %s came out with the wrong size", p->name);
        /* the learnable residual term, in the large model's own layout */
        if (g->res_offset >= 0) {
            int64_t off = g->res_offset + p->offset;
            w[i] = ligo_add(ctx, w[i], ligo_wrap(ctx, w[i]->ndim, w[i]->shape, g->data + off, g->grad + off));
            if (!w[i]) return ctx->status;
        }
        if (g->noise && ligo__widened(g, i)) {
            w[i] = ligo_add(ctx, w[i], ligo_wrap(ctx, w[i]->ndim, w[i]->shape, g->noise + p->offset, NULL));
            if (!w[i]) return ctx->status;
        }
    }
    return LIGO_OK;
}

LIGO_API ligo_model *ligo_grow_apply(ligo_ctx *ctx, ligo_grow *g) {
    ligo_model *m;
    ligo_tensor **w;
    ligo_mark mk;
    int64_t i;
    if (ligo__failed(ctx)) return NULL;
    if (!g) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_apply: operator is NULL");
        return NULL;
    }
    m = ligo_model_new(ctx, &g->large);
    if (!m) return NULL;
    if (g->cfg.method == LIGO_GROW_SCRATCH) {
        ligo_model_init(m, g->cfg.seed);
        return m;
    }
    mk = ligo_scratch_mark(ctx);
    w = (ligo_tensor **)ligo_alloc_scratch(ctx, (size_t)m->n_tensors * sizeof(ligo_tensor *));
    if (!w || ligo_grow_materialize(ctx, g, w) != LIGO_OK) return NULL;
    for (i = 0; i < m->n_tensors; i++)
        memcpy(m->data + m->info[i].offset, w[i]->data, (size_t)m->info[i].n * sizeof(float));
    ligo_scratch_rewind(ctx, mk);
    return m;
}
/* ==== end src/grow_apply.c ==== */

/* ==== begin src/grow_fit.c ==== */
/* grow_fit.c: fitting the growth operator (docs/design.md 4.5): the large
 * model's loss on real batches through weights materialised from the
 * operator at every step, AdamW on the operator's learned floats only,
 * with its state (moments, step, RNG) kept so a fitting resumes exactly. */

/* The operator's AdamW: eps 1e-6, no weight decay (docs/design.md 4.5);
 * made once per operator and reused by every fitting. */
LIGO__PRIV ligo_optim *ligo__fit_optim(ligo_ctx *ctx, ligo_grow *g) {
    ligo_optim_config oc;
    if (g->fit_opt) return g->fit_opt;
    oc = ligo_optim_config_default(LIGO_ADAMW);
    oc.beta2 = 0.999f;
    oc.eps = 1e-6f;
    oc.weight_decay = 0.0f;
    g->fit_opt = ligo_optim_new(ctx, &oc, g->n, NULL, 0);
    return g->fit_opt;
}

/* The counters up to now, so that a state saved mid-fitting holds them. */
static void ligo__fit_count(ligo_ctx *ctx, ligo_grow *g, double *f0, double *t0) {
    double f = ctx->flops_fwd + ctx->flops_bwd, t = ligo_time_sec();
    g->fit_flops += f - *f0;
    g->fit_seconds += t - *t0;
    *f0 = f;
    *t0 = t;
}

/* The large model's loss on weights materialised from the operator. */
typedef struct ligo__fit_user {
    ligo_grow *g;
    ligo_tensor **w; /* room for the large model's weights */
} ligo__fit_user;

static ligo_tensor *ligo__fit_loss(ligo_ctx *ctx, void *user, const ligo_batch *bt) {
    ligo__fit_user *u = (ligo__fit_user *)user;
    if (ligo_grow_materialize(ctx, u->g, u->w) != LIGO_OK) return NULL;
    return ligo_model_forward(ctx, u->g->shape, u->w, bt, NULL);
}

LIGO_API ligo_status ligo_grow_fit(ligo_ctx *ctx, ligo_grow *g, const ligo_data *d) {
    ligo_optim *opt;
    ligo_schedule sched;
    ligo__step st;
    ligo__fit_user fu;
    int64_t B, T, every;
    ligo_mark outer;
    double f0, t0, t_start, t_last, tokens;
    ligo_progress pr;
    int stopped = 0, report;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!g || !d) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_fit: NULL operator or data");
    if (g->n == 0 || g->cfg.fit_steps == 0) return LIGO_OK;
    B = g->cfg.batch;
    every = g->cfg.fit_ckpt_every;
    /* the context ligo_grow_new checked (0: the model's); never clamped */
    T = g->large.family == LIGO_VIT || g->cfg.ctx == 0 ? g->large.ctx_len : g->cfg.ctx;
    if (B < 1 || B > (1 << 20) || T < 1 || T > g->large.ctx_len)
        return ligo_set_error(ctx, LIGO_EINVAL,
                              "ligo_grow_fit: batch %lld, ctx %lld (want 1 <= batch <= 2^20, ctx 0 or 1 to the model's "
                              "context %lld)",
                              (long long)B, (long long)g->cfg.ctx, (long long)g->large.ctx_len);
    if (every < 0)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_fit: fit_ckpt_every is %lld (want >= 0 steps; 0 = at the end)",
                              (long long)every);
    if (g->fit_active && g->fit_step > g->cfg.fit_steps)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_fit: the fitting to continue is at step %lld, past fit_steps %lld",
                              (long long)g->fit_step, (long long)g->cfg.fit_steps);
    if (ligo__data_check(ctx, "ligo_grow_fit", d, &g->large, T, 0) != LIGO_OK) return ctx->status;
    opt = ligo__fit_optim(ctx, g);
    if (!opt) return ctx->status;
    if (!g->fit_active) { /* a new fitting */
        memset(opt->m, 0, (size_t)g->n * sizeof(float));
        memset(opt->v, 0, (size_t)g->n * sizeof(float));
        opt->step = 0;
        g->fit_step = 0;
        ligo_rng_seed(&g->fit_rng, g->cfg.seed ^ 0x5eedULL);
        g->fit_active = 1;
    }
    /* warm-up, then constant: the operator's rate must leave the warm-up
     * well within the fitting steps (docs/design.md 4.5) */
    memset(&sched, 0, sizeof sched);
    sched.lr_max = g->cfg.fit_lr;
    sched.lr_min = g->cfg.fit_lr;
    sched.warmup = g->cfg.fit_warmup < g->cfg.fit_steps ? g->cfg.fit_warmup : g->cfg.fit_steps / 2;
    sched.total = g->cfg.fit_steps;
    sched.decay = LIGO_DECAY_CONSTANT;
    outer = ligo_scratch_mark(ctx);
    memset(&st, 0, sizeof st);
    st.what = "ligo_grow_fit: fitting";
    st.data = d;
    st.cfg = &g->large;
    st.rng = &g->fit_rng;
    st.B = B;
    st.T = T;
    st.inputs = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    st.targets = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    if (g->large.family == LIGO_VIT)
        st.images = (float *)ligo_alloc_scratch(ctx, (size_t)(B * g->large.image_h * g->large.image_w) * sizeof(float));
    fu.g = g;
    fu.w = (ligo_tensor **)ligo_alloc_scratch(ctx, (size_t)g->shape->n_tensors * sizeof(ligo_tensor *));
    st.loss = ligo__fit_loss;
    st.user = &fu;
    st.params = g->data;
    st.grad = g->grad;
    st.n = g->n;
    st.opt = opt;
    st.clip = g->cfg.fit_clip;
    st.on_batch = g->cfg.on_batch;
    st.batch_user = g->cfg.batch_user;
    if (!st.inputs || !st.targets || !fu.w || (g->large.family == LIGO_VIT && !st.images)) return ctx->status;
    report = g->cfg.progress && g->cfg.on_progress;
    tokens = (double)(B * T); /* per step, for the reports' rate */
    memset(&pr, 0, sizeof pr);
    pr.phase = LIGO_PHASE_FIT;
    pr.step = g->fit_step;
    pr.total = g->cfg.fit_steps;
    pr.val_loss = -1.0;
    f0 = ctx->flops_fwd + ctx->flops_bwd;
    t0 = t_start = t_last = ligo_time_sec();
    while (g->fit_step < g->cfg.fit_steps) {
        int64_t step = g->fit_step;
        float loss;
        if (g->cfg.interrupt && *g->cfg.interrupt) {
            stopped = 1;
            break;
        }
        if (ligo__train_step(ctx, &st, step + 1, ligo_schedule_lr(&sched, step), &loss) != LIGO_OK) break;
        if (step == 0) g->fit_loss_first = loss;
        g->fit_loss_last = loss;
        g->fit_step = step + 1;
        if (report) {
            pr.step = g->fit_step;
            pr.run_steps++;
            pr.loss = loss;
            pr.flops = g->fit_flops + ctx->flops_fwd + ctx->flops_bwd - f0;
            ligo__progress_report(g->cfg.on_progress, g->cfg.progress_user, &pr, t_start, &t_last, tokens);
        }
        if (g->cfg.fit_ckpt_path && ((every > 0 && g->fit_step % every == 0) || g->fit_step == g->cfg.fit_steps)) {
            ligo__fit_count(ctx, g, &f0, &t0);
            if (ligo_grow_save_state(ctx, g, g->cfg.fit_ckpt_path) != LIGO_OK) break;
        }
    }
    ligo__fit_count(ctx, g, &f0, &t0);
    if (report) { /* the end, also after a failure */
        pr.done = 1;
        pr.flops = g->fit_flops;
        ligo__progress_report(g->cfg.on_progress, g->cfg.progress_user, &pr, t_start, &t_last, tokens);
    }
    ligo_scratch_rewind(ctx, outer);
    if (stopped && g->cfg.fit_ckpt_path) ligo_grow_save_state(ctx, g, g->cfg.fit_ckpt_path);
    /* done, or failed (a later call starts afresh); an interrupt keeps it open */
    if (ctx->status != LIGO_OK || g->fit_step == g->cfg.fit_steps) g->fit_active = 0;
    return ctx->status;
}
/* ==== end src/grow_fit.c ==== */

/* ==== begin src/state.c ==== */
/* state.c: the saved state that lets a run stop and continue exactly, as
 * safetensors beside the models' checkpoints (src/checkpoint.c):
 *   the trainer's: the model, the optimizer's moments and step, the batch
 *     stream's RNG and the counters;
 *   growth operators: the learned tensors named after what they are
 *     (width.emb.C, width.h.3.q.C, depth.q.w, residual.{tensor},
 *     noise.{tensor}) and the options in the metadata;
 *   fitting states: an operator file plus its AdamW's moments, step, RNG
 *     and counters.
 * Every file is checked whole before anything changes. */

/* ------------------------------------------------------- training state */

LIGO_API ligo_status ligo_trainer_save(ligo_ctx *ctx, const ligo_trainer *tr, const char *path) {
    ligo_safetensors st;
    ligo_mark mk;
    char v[LIGO__META_LEN];
    int64_t shape[1];
    ligo_status s = LIGO_OK;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!tr || !path) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_trainer_save: NULL trainer or path");
    mk = ligo_scratch_mark(ctx);
    ligo_st_init(&st);
    if (ligo_model_to_st(ctx, tr->model, &st) != LIGO_OK) goto done;
    shape[0] = tr->opt->n;
    if (ligo_st_add(ctx, &st, "ligo.optim.m", 1, shape, tr->opt->m) != LIGO_OK) goto done;
    if (tr->opt->v && ligo_st_add(ctx, &st, "ligo.optim.v", 1, shape, tr->opt->v) != LIGO_OK) goto done;
    if (ligo_st_set_meta(ctx, &st, "ligo.train.step", ligo__meta_fmt_int(v, tr->step)) != LIGO_OK ||
        ligo_st_set_meta(ctx, &st, "ligo.optim.step", ligo__meta_fmt_int(v, tr->opt->step)) != LIGO_OK ||
        ligo_st_set_meta(ctx, &st, "ligo.train.rng", ligo__meta_fmt_rng(v, &tr->rng)) != LIGO_OK ||
        ligo_st_set_meta(ctx, &st, "ligo.train.flops", ligo__meta_fmt_real(v, tr->train_flops)) != LIGO_OK ||
        ligo_st_set_meta(ctx, &st, "ligo.train.seconds", ligo__meta_fmt_real(v, tr->seconds)) != LIGO_OK)
        goto done;
    ligo_st_write(ctx, path, &st);
done:
    s = ctx->status;
    ligo_scratch_rewind(ctx, mk);
    return s;
}

LIGO_API ligo_status ligo_trainer_resume(ligo_ctx *ctx, ligo_trainer *tr, const char *path) {
    ligo_safetensors st;
    ligo_mark mk;
    ligo_model *loaded;
    const ligo_st_entry *em, *ev;
    const char *step, *ostep, *rng, *flops, *secs;
    ligo_rng r;
    ligo_status s;
    int64_t n_step = 0, n_ostep = 0;
    double n_flops = 0.0, n_secs = 0.0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!tr || !path) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_trainer_resume: NULL trainer or path");
    mk = ligo_scratch_mark(ctx);
    if (ligo_st_read(ctx, path, &st) != LIGO_OK) goto done;
    step = ligo_st_get_meta(&st, "ligo.train.step");
    ostep = ligo_st_get_meta(&st, "ligo.optim.step");
    rng = ligo_st_get_meta(&st, "ligo.train.rng");
    flops = ligo_st_get_meta(&st, "ligo.train.flops");
    secs = ligo_st_get_meta(&st, "ligo.train.seconds");
    em = ligo_st_find(&st, "ligo.optim.m");
    ev = ligo_st_find(&st, "ligo.optim.v");
    if (!step || !ostep || !ligo__meta_rng(rng, &r) || !em || (tr->opt->v && !ev)) {
        ligo_set_error(ctx, LIGO_EFORMAT, "ligo_trainer_resume: %s holds no training state", path);
        goto done;
    }
    if (!ligo__meta_int(step, 0, LIGO__META_COUNT_MAX, &n_step) ||
        !ligo__meta_int(ostep, 0, LIGO__META_COUNT_MAX, &n_ostep)) {
        ligo_set_error(ctx, LIGO_EFORMAT, "ligo_trainer_resume: %s: step \"%.40s\" or optimizer step \"%.40s\" is not a "
                       "count", path, step, ostep);
        goto done;
    }
    /* the counters are optional (older files), but never garbage */
    if ((flops && !ligo__meta_real(flops, 0.0, &n_flops)) || (secs && !ligo__meta_real(secs, 0.0, &n_secs))) {
        ligo_set_error(ctx, LIGO_EFORMAT, "ligo_trainer_resume: %s: ligo.train.flops \"%.40s\" or ligo.train.seconds "
                       "\"%.40s\" is not a finite number >= 0", path, flops ? flops : "", secs ? secs : "");
        goto done;
    }
    if (em->n != tr->opt->n || (ev && ev->n != tr->opt->n)) {
        ligo_set_error(ctx, LIGO_EFORMAT, "ligo_trainer_resume: %s: optimizer state of %lld floats, the model has %lld",
                       path, (long long)em->n, (long long)tr->opt->n);
        goto done;
    }
    /* the model goes through the same checks as any checkpoint, then its
     * floats replace the trainer's (the config must agree) */
    loaded = ligo_model_from_st_def(ctx, &st, path, tr->model->cfg.def);
    if (!loaded) goto done;
    if (loaded->n_floats != tr->model->n_floats || memcmp(&loaded->cfg, &tr->model->cfg, sizeof loaded->cfg) != 0) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_trainer_resume: %s holds a model of another shape", path);
        goto done;
    }
    memcpy(tr->model->data, loaded->data, (size_t)loaded->n_floats * sizeof(float));
    memcpy(tr->opt->m, em->data, (size_t)em->n * sizeof(float));
    if (tr->opt->v) memcpy(tr->opt->v, ev->data, (size_t)ev->n * sizeof(float));
    tr->step = n_step;
    tr->opt->step = n_ostep;
    tr->rng = r;
    tr->train_flops = n_flops;
    tr->seconds = n_secs;
done:
    s = ctx->status;
    ligo_scratch_rewind(ctx, mk);
    return s;
}

/* ----------------------------------------------------- growth operators */

static const char *ligo__mod_names[LIGO_MOD_COUNT] = {"ln_1", "q", "k", "v", "o", "ln_2", "fc1", "fc2", "gate"};

/* The saved tensors of an operator, in file order: name, shape and where
 * they live (the learned block, or the noise). */
typedef struct ligo__piece {
    char name[LIGO_ST_MAX_NAME];
    char legacy[LIGO_ST_MAX_NAME]; /* a width factor's name before factors were named by stream: width.{k}.C */
    int ndim;
    int64_t shape[LIGO_MAX_DIMS];
    int64_t n;
    float *data;
} ligo__piece;

/* A piece's tensor in a file: by its name, or by its legacy one. */
static const ligo_st_entry *ligo__piece_entry(const ligo_safetensors *st, const ligo__piece *pc) {
    const ligo_st_entry *e = ligo_st_find(st, pc->name);
    return e || !pc->legacy[0] ? e : ligo_st_find(st, pc->legacy);
}

static int64_t ligo__pieces(const ligo_grow *g, ligo__piece *out) {
    int64_t k, m, kind, np = 0, d;
    if (out)
        for (k = 0; k < ligo__pieces(g, NULL); k++) {
            memset(out[k].name, 0, sizeof out[k].name);
            memset(out[k].legacy, 0, sizeof out[k].legacy);
            for (d = 0; d < LIGO_MAX_DIMS; d++) out[k].shape[d] = 1; /* as the reader fills unused dims */
        }
    for (k = 0; k < g->n_width; k++) {
        const ligo_width_factor *f = &g->width[k];
        int64_t hb, hs;
        if (!f->learned) continue;
        hb = f->big / f->heads;
        hs = f->small / f->heads;
        if (out) {
            ligo__piece *p = &out[np];
            snprintf(p->name, sizeof p->name, "width.%s.%s", f->name, g->cfg.full_width ? "B" : "C");
            snprintf(p->legacy, sizeof p->legacy, "width.%lld.%s", (long long)k, g->cfg.full_width ? "B" : "C");
            p->ndim = 2;
            p->shape[0] = f->heads * (g->cfg.full_width ? hb : hb - hs);
            p->shape[1] = hs;
            p->data = g->data + f->offset;
            p->n = p->shape[0] * p->shape[1];
        }
        np++;
    }
    for (m = 0; m < LIGO_MOD_COUNT; m++)
        for (kind = 0; kind < 2; kind++) {
            if (g->depth_offset[m][kind] < 0) continue;
            if (out) {
                ligo__piece *p = &out[np];
                snprintf(p->name, sizeof p->name, "depth.%s.%s", ligo__mod_names[m], kind ? "b" : "w");
                p->ndim = 2;
                p->shape[0] = g->large.n_layer;
                p->shape[1] = g->small->cfg.n_layer;
                p->data = g->data + g->depth_offset[m][kind];
                p->n = p->shape[0] * p->shape[1];
            }
            np++;
        }
    if (g->res_offset >= 0)
        for (k = 0; k < g->shape->n_tensors; k++) {
            if (out) {
                const ligo_param_info *info = &g->shape->info[k];
                ligo__piece *p = &out[np];
                snprintf(p->name, sizeof p->name, "residual.%s", info->name);
                p->ndim = info->ndim;
                for (d = 0; d < LIGO_MAX_DIMS; d++) p->shape[d] = d < info->ndim ? info->shape[d] : 1;
                p->data = g->data + g->res_offset + info->offset;
                p->n = info->n;
            }
            np++;
        }
    if (g->noise)
        for (k = 0; k < g->shape->n_tensors; k++) {
            const ligo_param_info *info = &g->shape->info[k];
            if (!ligo__widened(g, k)) continue;
            if (out) {
                ligo__piece *p = &out[np];
                snprintf(p->name, sizeof p->name, "noise.%s", info->name);
                p->ndim = info->ndim;
                for (d = 0; d < LIGO_MAX_DIMS; d++) p->shape[d] = d < info->ndim ? info->shape[d] : 1;
                p->data = g->noise + info->offset;
                p->n = info->n;
            }
            np++;
        }
    return np;
}

/* The options that shape an operator, as metadata. */
static const char *ligo__grow_meta_keys[] = {"ligo.grow.method",        "ligo.grow.small_layers", "ligo.grow.small_dim",
                                             "ligo.grow.small_ffn",     "ligo.grow.full_width",   "ligo.grow.width_first",
                                             "ligo.grow.grow_head_dim", "ligo.grow.residual",     "ligo.grow.noise"};
#define LIGO__GROW_META_NOISE 8 /* absent in files written before the option: reads as 0 */
#define LIGO__GROW_NMETA ((int)(sizeof ligo__grow_meta_keys / sizeof ligo__grow_meta_keys[0]))

/* Compared as text: a file's options must read exactly as this operator's. */
static void ligo__grow_meta_values(const ligo_grow *g, char v[][LIGO__META_LEN]) {
    snprintf(v[0], LIGO__META_LEN, "%s", ligo_grow_method_name(g->cfg.method));
    ligo__meta_fmt_int(v[1], g->small->cfg.n_layer);
    ligo__meta_fmt_int(v[2], g->small->cfg.d_model);
    ligo__meta_fmt_int(v[3], g->small->cfg.d_ff);
    ligo__meta_fmt_int(v[4], g->cfg.full_width != 0);
    ligo__meta_fmt_int(v[5], g->cfg.width_first != 0);
    ligo__meta_fmt_int(v[6], g->cfg.grow_head_dim != 0);
    ligo__meta_fmt_int(v[7], g->cfg.residual != 0);
    ligo__meta_fmt_float(v[LIGO__GROW_META_NOISE], g->noise ? g->cfg.noise : 0.0f);
}

LIGO_API ligo_status ligo_grow_save(ligo_ctx *ctx, const ligo_grow *g, const char *path) {
    ligo_safetensors st;
    ligo_mark mk;
    ligo__piece *pc;
    char v[LIGO__GROW_NMETA][LIGO__META_LEN];
    int64_t k, np;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!g || !path) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_save: NULL operator or path");
    if (g->cfg.method == LIGO_GROW_SCRATCH || (g->n == 0 && !g->noise))
        return ligo_set_error(ctx, LIGO_ESTATE, "ligo_grow_save: method %s has no learned operator or noise to save",
                              ligo_grow_method_name(g->cfg.method));
    mk = ligo_scratch_mark(ctx);
    np = ligo__pieces(g, NULL);
    pc = (ligo__piece *)ligo_alloc_scratch(ctx, (size_t)np * sizeof(ligo__piece));
    if (!pc) goto done;
    ligo__pieces(g, pc);
    ligo_st_init(&st);
    if (ligo_config_to_st(ctx, &g->large, &st) != LIGO_OK) goto done;
    ligo__grow_meta_values(g, v);
    for (k = 0; k < LIGO__GROW_NMETA; k++)
        if (ligo_st_set_meta(ctx, &st, ligo__grow_meta_keys[k], v[k]) != LIGO_OK) goto done;
    for (k = 0; k < np; k++)
        if (ligo_st_add(ctx, &st, pc[k].name, pc[k].ndim, pc[k].shape, pc[k].data) != LIGO_OK) goto done;
    ligo_st_write(ctx, path, &st);
done:
    ligo_scratch_rewind(ctx, mk);
    return ctx->status;
}

LIGO_API ligo_status ligo_grow_load(ligo_ctx *ctx, ligo_grow *g, const char *path) {
    ligo_safetensors st;
    ligo_config lc;
    ligo_mark mk;
    ligo__piece *pc;
    char v[LIGO__GROW_NMETA][LIGO__META_LEN];
    int64_t k, np;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!g || !path) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_load: NULL operator or path");
    if (g->cfg.method == LIGO_GROW_SCRATCH || (g->n == 0 && !g->noise))
        return ligo_set_error(ctx, LIGO_ESTATE, "ligo_grow_load: method %s has no learned operator or noise to load into",
                              ligo_grow_method_name(g->cfg.method));
    mk = ligo_scratch_mark(ctx);
    if (ligo_st_read(ctx, path, &st) != LIGO_OK) goto done;
    /* the same operator shape: large config and options */
    if (ligo_config_from_st(ctx, &st, &lc) != LIGO_OK) goto done;
    if (ligo__check_def_meta(ctx, &st, "ligo_grow_load", path, g->large.family, g->large.def) != LIGO_OK) goto done;
    if (lc.family != g->large.family || lc.n_layer != g->large.n_layer || lc.d_model != g->large.d_model ||
        lc.n_head != g->large.n_head || lc.d_ff != g->large.d_ff ||
        (lc.family == LIGO_LLAMA && lc.n_kv_head != g->large.n_kv_head)) {
        ligo_set_error(ctx, LIGO_EFORMAT,
                       "ligo_grow_load: %s grows to %s %lld layers x %lld wide (FFN %lld, %lld heads), this operator to "
                       "%s %lld x %lld (FFN %lld, %lld heads)",
                       path, ligo_family_name(lc.family), (long long)lc.n_layer, (long long)lc.d_model,
                       (long long)lc.d_ff, (long long)lc.n_head, ligo_family_name(g->large.family),
                       (long long)g->large.n_layer, (long long)g->large.d_model, (long long)g->large.d_ff,
                       (long long)g->large.n_head);
        goto done;
    }
    ligo__grow_meta_values(g, v);
    for (k = 0; k < LIGO__GROW_NMETA; k++) {
        const char *have = ligo_st_get_meta(&st, ligo__grow_meta_keys[k]);
        if (!have && k == LIGO__GROW_META_NOISE) have = "0";
        if (!have || strcmp(have, v[k]) != 0) {
            ligo_set_error(ctx, LIGO_EFORMAT, "ligo_grow_load: %s has %s = %s, this operator %s", path,
                           ligo__grow_meta_keys[k], have ? have : "(missing)", v[k]);
            goto done;
        }
    }
    np = ligo__pieces(g, NULL);
    pc = (ligo__piece *)ligo_alloc_scratch(ctx, (size_t)np * sizeof(ligo__piece));
    if (!pc) goto done;
    ligo__pieces(g, pc);
    if (st.n_entries != np) {
        ligo_set_error(ctx, LIGO_EFORMAT, "ligo_grow_load: %s holds %lld tensors, this operator learns %lld", path,
                       (long long)st.n_entries, (long long)np);
        goto done;
    }
    for (k = 0; k < np; k++) { /* check everything before changing anything */
        const ligo_st_entry *e = ligo__piece_entry(&st, &pc[k]);
        int d;
        if (!e) {
            ligo_set_error(ctx, LIGO_EFORMAT, "ligo_grow_load: %s has no tensor %s", path, pc[k].name);
            goto done;
        }
        for (d = 0; d < LIGO_MAX_DIMS; d++)
            if (e->ndim != pc[k].ndim || e->shape[d] != pc[k].shape[d]) {
                ligo_set_error(ctx, LIGO_EFORMAT, "ligo_grow_load: %s: %s has the wrong shape", path, pc[k].name);
                goto done;
            }
    }
    for (k = 0; k < np; k++)
        memcpy(pc[k].data, ligo__piece_entry(&st, &pc[k])->data, (size_t)pc[k].n * sizeof(float));
done:
    ligo_scratch_rewind(ctx, mk);
    return ctx->status;
}

/* -------------------------------------------------------- fitting states */

#define LIGO__FIT_NMETA 6
static const char *ligo__fit_meta_keys[LIGO__FIT_NMETA] = {"ligo.fit.step",    "ligo.fit.rng",
                                                          "ligo.fit.flops",   "ligo.fit.seconds",
                                                          "ligo.fit.loss_first", "ligo.fit.loss_last"};

LIGO_API ligo_status ligo_grow_save_state(ligo_ctx *ctx, const ligo_grow *g, const char *path) {
    ligo_safetensors st;
    ligo_mark mk;
    ligo__piece *pc;
    char v[LIGO__GROW_NMETA][LIGO__META_LEN], f[LIGO__FIT_NMETA][LIGO__META_LEN];
    int64_t k, np, shape[1];
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!g || !path) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_save_state: NULL operator or path");
    if (g->cfg.method == LIGO_GROW_SCRATCH || g->n == 0)
        return ligo_set_error(ctx, LIGO_ESTATE, "ligo_grow_save_state: method %s fits nothing", ligo_grow_method_name(g->cfg.method));
    if (!g->fit_opt)
        return ligo_set_error(ctx, LIGO_ESTATE, "ligo_grow_save_state: no fitting has started (ligo_grow_fit)");
    mk = ligo_scratch_mark(ctx);
    np = ligo__pieces(g, NULL);
    pc = (ligo__piece *)ligo_alloc_scratch(ctx, (size_t)np * sizeof(ligo__piece));
    if (!pc) goto done;
    ligo__pieces(g, pc);
    ligo_st_init(&st);
    if (ligo_config_to_st(ctx, &g->large, &st) != LIGO_OK) goto done;
    ligo__grow_meta_values(g, v);
    for (k = 0; k < LIGO__GROW_NMETA; k++)
        if (ligo_st_set_meta(ctx, &st, ligo__grow_meta_keys[k], v[k]) != LIGO_OK) goto done;
    ligo__meta_fmt_int(f[0], g->fit_step);
    ligo__meta_fmt_rng(f[1], &g->fit_rng);
    ligo__meta_fmt_real(f[2], g->fit_flops);
    ligo__meta_fmt_real(f[3], g->fit_seconds);
    ligo__meta_fmt_float(f[4], g->fit_loss_first);
    ligo__meta_fmt_float(f[5], g->fit_loss_last);
    for (k = 0; k < LIGO__FIT_NMETA; k++)
        if (ligo_st_set_meta(ctx, &st, ligo__fit_meta_keys[k], f[k]) != LIGO_OK) goto done;
    for (k = 0; k < np; k++)
        if (ligo_st_add(ctx, &st, pc[k].name, pc[k].ndim, pc[k].shape, pc[k].data) != LIGO_OK) goto done;
    shape[0] = g->n;
    if (ligo_st_add(ctx, &st, "ligo.fit.m", 1, shape, g->fit_opt->m) != LIGO_OK ||
        ligo_st_add(ctx, &st, "ligo.fit.v", 1, shape, g->fit_opt->v) != LIGO_OK)
        goto done;
    ligo_st_write(ctx, path, &st);
done:
    ligo_scratch_rewind(ctx, mk);
    return ctx->status;
}

/* The first value of x[0..n) that is not finite (or, with nonneg, < 0), or -1. */
static int64_t ligo__first_bad(const float *x, int64_t n, int nonneg) {
    int64_t i;
    for (i = 0; i < n; i++)
        if (!isfinite(x[i]) || (nonneg && x[i] < 0.0f)) return i;
    return -1;
}

LIGO_API ligo_status ligo_grow_resume(ligo_ctx *ctx, ligo_grow *g, const char *path) {
    const char *who = "ligo_grow_resume";
    ligo_safetensors st;
    ligo_config lc;
    ligo_mark mk;
    ligo__piece *pc;
    const ligo_st_entry *em, *ev;
    const char *fv[LIGO__FIT_NMETA];
    char v[LIGO__GROW_NMETA][LIGO__META_LEN];
    double num[4];
    int64_t k, np, step = 0;
    ligo_rng rng;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!g || !path) return ligo_set_error(ctx, LIGO_EINVAL, "%s: NULL operator or path", who);
    if (g->cfg.method == LIGO_GROW_SCRATCH || g->n == 0)
        return ligo_set_error(ctx, LIGO_ESTATE, "%s: method %s fits nothing", who, ligo_grow_method_name(g->cfg.method));
    mk = ligo_scratch_mark(ctx);
    if (ligo_st_read(ctx, path, &st) != LIGO_OK) goto done;
    /* what ligo_grow_load checks: the same operator shape and options */
    if (ligo_config_from_st(ctx, &st, &lc) != LIGO_OK) goto done;
    if (ligo__check_def_meta(ctx, &st, who, path, g->large.family, g->large.def) != LIGO_OK) goto done;
    if (lc.family != g->large.family || lc.n_layer != g->large.n_layer || lc.d_model != g->large.d_model ||
        lc.n_head != g->large.n_head || lc.d_ff != g->large.d_ff ||
        (lc.family == LIGO_LLAMA && lc.n_kv_head != g->large.n_kv_head)) {
        ligo_set_error(ctx, LIGO_EFORMAT,
                       "%s: %s grows to %s %lld layers x %lld wide (FFN %lld, %lld heads), this operator to "
                       "%s %lld x %lld (FFN %lld, %lld heads)",
                       who, path, ligo_family_name(lc.family), (long long)lc.n_layer, (long long)lc.d_model,
                       (long long)lc.d_ff, (long long)lc.n_head, ligo_family_name(g->large.family),
                       (long long)g->large.n_layer, (long long)g->large.d_model, (long long)g->large.d_ff,
                       (long long)g->large.n_head);
        goto done;
    }
    ligo__grow_meta_values(g, v);
    for (k = 0; k < LIGO__GROW_NMETA; k++) {
        const char *have = ligo_st_get_meta(&st, ligo__grow_meta_keys[k]);
        if (!have || strcmp(have, v[k]) != 0) {
            ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s has %s = %.64s, this operator %s", who, path,
                           ligo__grow_meta_keys[k], have ? have : "(missing)", v[k]);
            goto done;
        }
    }
    /* the fitting's own metadata, each value whole */
    for (k = 0; k < LIGO__FIT_NMETA; k++) {
        int ok;
        fv[k] = ligo_st_get_meta(&st, ligo__fit_meta_keys[k]);
        ok = k == 0   ? ligo__meta_int(fv[k], 0, LIGO__META_COUNT_MAX, &step)
             : k == 1 ? ligo__meta_rng(fv[k], &rng)
                      : ligo__meta_real(fv[k], 0.0, &num[k - 2]);
        if (!ok) {
            ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %s is %s%.64s%s (want %s)", who, path, ligo__fit_meta_keys[k],
                           fv[k] ? "\"" : "", fv[k] ? fv[k] : "missing (not a fitting state)", fv[k] ? "\"" : "",
                           k == 0 ? "a count of steps" : k == 1 ? "64 hex digits" : "a finite number >= 0");
            goto done;
        }
    }
    if (step > g->cfg.fit_steps) {
        ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s is at fitting step %lld, past this operator's fit_steps %lld", who,
                       path, (long long)step, (long long)g->cfg.fit_steps);
        goto done;
    }
    np = ligo__pieces(g, NULL);
    pc = (ligo__piece *)ligo_alloc_scratch(ctx, (size_t)np * sizeof(ligo__piece));
    if (!pc) goto done;
    ligo__pieces(g, pc);
    em = ligo_st_find(&st, "ligo.fit.m");
    ev = ligo_st_find(&st, "ligo.fit.v");
    if (st.n_entries != np + 2) {
        ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s holds %lld tensors, this operator's state %lld", who, path,
                       (long long)st.n_entries, (long long)(np + 2));
        goto done;
    }
    for (k = 0; k < 2; k++) {
        const ligo_st_entry *e = k ? ev : em;
        int64_t bad;
        if (!e || e->ndim != 1 || e->n != g->n) {
            ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %s %s (want %lld floats in one dimension)", who, path,
                           k ? "ligo.fit.v" : "ligo.fit.m", e ? "has the wrong shape" : "is missing", (long long)g->n);
            goto done;
        }
        if ((bad = ligo__first_bad(e->data, e->n, k)) >= 0) {
            ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %s[%lld] is %g (want finite%s)", who, path, e->name,
                           (long long)bad, (double)e->data[bad], k ? ", >= 0" : "");
            goto done;
        }
    }
    for (k = 0; k < np; k++) { /* everything is checked before anything changes */
        const ligo_st_entry *e = ligo__piece_entry(&st, &pc[k]);
        int64_t bad;
        int d;
        if (!e) {
            ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s has no tensor %s", who, path, pc[k].name);
            goto done;
        }
        for (d = 0; d < LIGO_MAX_DIMS; d++)
            if (e->ndim != pc[k].ndim || e->shape[d] != pc[k].shape[d]) {
                ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %s has the wrong shape", who, path, pc[k].name);
                goto done;
            }
        if ((bad = ligo__first_bad(e->data, e->n, 0)) >= 0) {
            ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %s[%lld] is %g (want finite)", who, path, pc[k].name,
                           (long long)bad, (double)e->data[bad]);
            goto done;
        }
    }
    if (!ligo__fit_optim(ctx, g)) goto done; /* may run out of memory: still nothing changed */
    for (k = 0; k < np; k++)
        memcpy(pc[k].data, ligo__piece_entry(&st, &pc[k])->data, (size_t)pc[k].n * sizeof(float));
    memcpy(g->fit_opt->m, em->data, (size_t)g->n * sizeof(float));
    memcpy(g->fit_opt->v, ev->data, (size_t)g->n * sizeof(float));
    g->fit_opt->step = step; /* one update per fitting step */
    g->fit_step = step;
    g->fit_rng = rng;
    g->fit_flops = num[0];
    g->fit_seconds = num[1];
    g->fit_loss_first = (float)num[2];
    g->fit_loss_last = (float)num[3];
    g->fit_active = 1;
done:
    ligo_scratch_rewind(ctx, mk);
    return ctx->status;
}
/* ==== end src/state.c ==== */

/* ==== begin src/train.c ==== */
/* train.c: evaluation, and the training loop used by the examples:
 * progress reports, periodic evaluation, CSV log, checkpoints with the whole
 * training state, early stop at a target loss, and a clear stop on a
 * non-finite loss or gradient. */

/* ------------------------------------------------------------ evaluation */

/* The i-th of n items spread evenly over all (n <= all): floor(i all / n),
 * so a subset of the validation split covers the whole split. */
static int64_t ligo__spread(int64_t i, int64_t n, int64_t all) {
    return n >= all ? i : i * all / n;
}

/* Seed of the fixed masks of BERT's validation loss. */
#define LIGO__EVAL_MASK_SEED 1234567

/* A non-finite mean loss is an error naming it and the first batch whose
 * loss was not finite: items first .. first + n - 1 of total. */
static ligo_status ligo__eval_finite(ligo_ctx *ctx, const ligo_eval_result *out, const char *items, int64_t first,
                                     int64_t n, int64_t total) {
    char where[160] = "";
    if (isfinite(out->loss)) return LIGO_OK;
    if (first >= 0)
        snprintf(where, sizeof where, "; the first non-finite batch is %s %lld-%lld of %lld", items, (long long)first,
                 (long long)(first + n - 1), (long long)total);
    return ligo_set_error(ctx, LIGO_ENONFINITE, "ligo_evaluate: the validation loss is %s (over %lld predictions)%s",
                          isnan(out->loss) ? "nan" : out->loss > 0 ? "inf" : "-inf", (long long)out->count, where);
}

LIGO_API ligo_status ligo_evaluate(ligo_ctx *ctx, ligo_model *m, const ligo_data *d, int64_t B, int64_t T,
                                   int64_t max_windows, ligo_eval_result *out) {
    ligo_mark mk;
    double total = 0.0, correct = 0.0;
    int64_t count = 0, k, n_win, all_win, b, bad = -1, bad_n = 0;
    int32_t *in, *tg;
    ligo_rng mask_rng;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!m || !d || !out) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_evaluate: NULL argument");
    if (B < 1 || B > (1 << 20))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_evaluate: batch B is %lld (want 1 to 2^20)", (long long)B);
    if (m->cfg.family != LIGO_VIT && T < 1)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_evaluate: context T is %lld (want at least 1)", (long long)T);
    if (m->cfg.family != LIGO_VIT && T > m->cfg.ctx_len)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_evaluate: context T is %lld, longer than the model's context %lld",
                              (long long)T, (long long)m->cfg.ctx_len);
    if (d->family != m->cfg.family)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_evaluate: %s data for a %s model", ligo_family_name(d->family),
                              ligo_family_name(m->cfg.family));
    if (ligo__check_vocab(ctx, d, &m->cfg) != LIGO_OK) return ctx->status;
    memset(out, 0, sizeof *out);
    out->accuracy = -1.0;
    mk = ligo_scratch_mark(ctx);
    if (m->cfg.family == LIGO_VIT) {
        const ligo_images *im = &d->test;
        int64_t HW = im->rows * im->cols, n = im->n;
        int64_t all = n;
        float *x;
        if (max_windows > 0 && max_windows < n) n = max_windows;
        x = (float *)ligo_alloc_scratch(ctx, (size_t)(B * HW) * sizeof(float));
        tg = (int32_t *)ligo_alloc_scratch(ctx, (size_t)B * sizeof(int32_t));
        if (!x || !tg) return ctx->status;
        for (k = 0; k < n; k += B) {
            ligo_mark inner = ligo_scratch_mark(ctx);
            int64_t bb = n - k < B ? n - k : B, c, v;
            ligo_batch bt;
            ligo_tensor *logits, *loss;
            for (b = 0; b < bb; b++) {
                int64_t at = ligo__spread(k + b, n, all);
                memcpy(x + b * HW, im->pixels + at * HW, (size_t)HW * sizeof(float));
                tg[b] = im->labels[at];
            }
            memset(&bt, 0, sizeof bt);
            bt.B = bb;
            bt.images = x;
            bt.targets = tg;
            loss = ligo_model_loss(ctx, m, &bt, &logits);
            if (!loss) return ctx->status;
            if (bad < 0 && !isfinite(loss->data[0])) {
                bad = k;
                bad_n = bb;
            }
            total += (double)loss->data[0] * (double)bb;
            for (b = 0; b < bb; b++) {
                const float *row = logits->data + b * logits->shape[1];
                c = 0;
                for (v = 1; v < logits->shape[1]; v++)
                    if (row[v] > row[c]) c = v;
                correct += c == tg[b];
            }
            count += bb;
            ligo_scratch_rewind(ctx, inner);
        }
        out->loss = count ? total / (double)count : 0.0;
        out->accuracy = count ? correct / (double)count : 0.0;
        out->count = count;
        ligo_scratch_rewind(ctx, mk);
        return ligo__eval_finite(ctx, out, "test images", bad, bad_n, n);
    }
    /* GPT (and LLaMA) windows hold T + 1 tokens (T predictions); BERT's T tokens */
    n_win = ligo_tokens_windows(&d->tokens, LIGO_SPLIT_VAL,
                                m->cfg.family == LIGO_GPT || m->cfg.family == LIGO_LLAMA ? T : T - 1);
    if (n_win < 1) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_evaluate: the validation split is shorter than one window of %lld",
                              (long long)T);
    }
    all_win = n_win;
    if (max_windows > 0 && max_windows < n_win) n_win = max_windows;
    in = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    tg = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    if (!in || !tg) return ctx->status;
    ligo_rng_seed(&mask_rng, LIGO__EVAL_MASK_SEED);
    for (k = 0; k < n_win; k += B) {
        ligo_mark inner = ligo_scratch_mark(ctx);
        int64_t bb = n_win - k < B ? n_win - k : B, weight;
        ligo_batch bt;
        ligo_tensor *loss;
        for (b = 0; b < bb; b++) {
            if (m->cfg.family == LIGO_GPT || m->cfg.family == LIGO_LLAMA) {
                if (ligo_tokens_window(ctx, &d->tokens, LIGO_SPLIT_VAL, ligo__spread(k + b, n_win, all_win), T, in + b * T,
                                       tg + b * T) != LIGO_OK)
                    return ctx->status;
            } else {
                /* T tokens: the window's inputs plus its last target */
                if (ligo_tokens_window(ctx, &d->tokens, LIGO_SPLIT_VAL, ligo__spread(k + b, n_win, all_win), T - 1,
                                       in + b * T, tg + b * T) != LIGO_OK)
                    return ctx->status;
                in[b * T + T - 1] = tg[b * T + T - 2];
            }
        }
        if (m->cfg.family == LIGO_BERT) {
            memcpy(tg, in, (size_t)(bb * T) * sizeof(int32_t));
            if (ligo_mlm_mask(ctx, &mask_rng, tg, bb * T, 0.15f, (int32_t)(m->cfg.vocab - 1), d->tokens.vocab,
                              LIGO_IGNORE, in, tg) != LIGO_OK)
                return ctx->status;
        }
        memset(&bt, 0, sizeof bt);
        bt.B = bb;
        bt.T = T;
        bt.inputs = in;
        bt.targets = tg;
        loss = ligo_model_loss(ctx, m, &bt, NULL);
        if (!loss) return ctx->status;
        weight = ligo_cross_entropy_count(loss); /* predictions that counted */
        if (bad < 0 && !isfinite(loss->data[0])) {
            bad = k;
            bad_n = bb;
        }
        total += (double)loss->data[0] * (double)weight;
        count += weight;
        ligo_scratch_rewind(ctx, inner);
    }
    out->loss = count ? total / (double)count : 0.0;
    out->count = count;
    ligo_scratch_rewind(ctx, mk);
    return ligo__eval_finite(ctx, out, "windows", bad, bad_n, n_win);
}

/* ---------------------------------------------------------------- trainer */

LIGO_API ligo_train_config ligo_train_config_default(void) {
    ligo_train_config c;
    memset(&c, 0, sizeof c);
    c.steps = 1000;
    c.batch = 16;
    c.ctx = 0; /* the model's context */
    c.sched.lr_max = 1e-3f;
    c.sched.lr_min = 1e-4f;
    c.sched.warmup = 100;
    c.sched.decay = LIGO_DECAY_COSINE;
    c.optim = ligo_optim_config_default(LIGO_ADAMW);
    c.clip = 1.0;
    c.seed = 1;
    c.eval_every = 0;
    c.progress = 1;
    return c;
}

/* A rate of the schedule: finite and >= 0. */
static ligo_status ligo__check_rate(ligo_ctx *ctx, const char *who, const char *field, float v) {
    if (!(v >= 0.0f) || !isfinite(v))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: %s is %g (want a finite rate >= 0)", who, field, (double)v);
    return LIGO_OK;
}

static ligo_status ligo__check_count(ligo_ctx *ctx, const char *who, const char *field, int64_t v, const char *what) {
    if (v < 0) return ligo_set_error(ctx, LIGO_EINVAL, "%s: %s is %lld (want >= 0%s)", who, field, (long long)v, what);
    return LIGO_OK;
}

/* Every field of a training config against the model (and the data when
 * given), each bad one named with its value; T is the resolved context. */
static ligo_status ligo__train_config_check(ligo_ctx *ctx, const char *who, const ligo_train_config *c,
                                            const ligo_config *model, const ligo_data *d, int64_t *T_out) {
    ligo_config mc;
    int64_t T;
    if (!c || !model) return ligo_set_error(ctx, LIGO_EINVAL, "%s: NULL config or model config", who);
    mc = *model;
    if (ligo_config_check(ctx, &mc) != LIGO_OK) return ctx->status;
    if (ligo__check_count(ctx, who, "steps", c->steps, " updates") != LIGO_OK) return ctx->status;
    if (c->batch < 1 || c->batch > (1 << 20))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: batch is %lld (want 1 <= batch <= 2^20)", who,
                              (long long)c->batch);
    if (mc.family == LIGO_VIT) {
        T = mc.ctx_len; /* from the image; ctx is not used */
    } else {
        if (c->ctx < 0)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: ctx is %lld (want 1 to the model's context %lld, or 0 for it)",
                                  who, (long long)c->ctx, (long long)mc.ctx_len);
        if (c->ctx > mc.ctx_len)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: ctx %lld is longer than the model's context %lld", who,
                                  (long long)c->ctx, (long long)mc.ctx_len);
        T = c->ctx == 0 ? mc.ctx_len : c->ctx;
    }
    if (ligo__check_rate(ctx, who, "sched.lr_max", c->sched.lr_max) != LIGO_OK) return ctx->status;
    if (ligo__check_rate(ctx, who, "sched.lr_min", c->sched.lr_min) != LIGO_OK) return ctx->status;
    if (ligo__check_count(ctx, who, "sched.warmup", c->sched.warmup, " steps") != LIGO_OK) return ctx->status;
    if (c->sched.decay < LIGO_DECAY_COSINE || c->sched.decay > LIGO_DECAY_WSD)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: sched.decay is %d (want LIGO_DECAY_COSINE, _LINEAR, _CONSTANT or _WSD)",
                              who, (int)c->sched.decay);
    if (c->sched.decay == LIGO_DECAY_WSD && (c->sched.decay_steps < 0 || c->sched.decay_steps > c->steps))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: sched.decay_steps is %lld (want 0 to steps = %lld)", who,
                              (long long)c->sched.decay_steps, (long long)c->steps);
    if (ligo__optim_config_check(ctx, who, "optim.", &c->optim) != LIGO_OK) return ctx->status;
    if (!(c->clip >= 0.0) || !isfinite(c->clip))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: clip is %g (want a finite norm >= 0; 0 = off)", who, c->clip);
    if (ligo__check_count(ctx, who, "eval_every", c->eval_every, " steps; 0 = at the end") != LIGO_OK ||
        ligo__check_count(ctx, who, "eval_windows", c->eval_windows, "; 0 = the whole validation split") != LIGO_OK ||
        ligo__check_count(ctx, who, "ckpt_every", c->ckpt_every, " steps; 0 = at the end") != LIGO_OK)
        return ctx->status;
    if (!(c->target_loss >= 0.0) || !isfinite(c->target_loss))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: target_loss is %g (want a finite loss >= 0; 0 = off)", who,
                              c->target_loss);
    if (d && ligo__data_check(ctx, who, d, &mc, T, 1) != LIGO_OK) return ctx->status;
    if (T_out) *T_out = T;
    return LIGO_OK;
}

LIGO_API ligo_status ligo_train_config_check(ligo_ctx *ctx, const ligo_train_config *cfg, const ligo_config *model,
                                             const ligo_data *d) {
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    return ligo__train_config_check(ctx, "ligo_train_config_check", cfg, model, d, NULL);
}

LIGO_API ligo_trainer *ligo_trainer_new(ligo_ctx *ctx, ligo_model *m, const ligo_data *d, const ligo_train_config *cfg) {
    ligo_trainer *tr;
    int64_t B, T = 0;
    if (ligo__failed(ctx)) return NULL;
    if (!m || !d || !cfg) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_trainer_new: NULL model, data or config");
        return NULL;
    }
    /* everything is checked before anything is allocated */
    if (ligo__train_config_check(ctx, "ligo_trainer_new", cfg, &m->cfg, d, &T) != LIGO_OK) return NULL;
    B = cfg->batch;
    tr = (ligo_trainer *)ligo_alloc_persistent(ctx, sizeof *tr);
    if (!tr) return NULL;
    tr->model = m;
    tr->data = d;
    tr->cfg = *cfg;
    tr->cfg.ctx = T;
    tr->cfg.sched.total = cfg->steps;
    tr->opt = ligo_optim_new_for_model(ctx, &cfg->optim, m);
    tr->inputs = (int32_t *)ligo_alloc_persistent(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    tr->targets = (int32_t *)ligo_alloc_persistent(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    if (m->cfg.family == LIGO_VIT)
        tr->images = (float *)ligo_alloc_persistent(ctx, (size_t)(B * m->cfg.image_h * m->cfg.image_w) * sizeof(float));
    if (!tr->opt || !tr->inputs || !tr->targets || (m->cfg.family == LIGO_VIT && !tr->images)) return NULL;
    ligo_rng_seed(&tr->rng, cfg->seed);
    tr->last_val = -1.0;
    tr->last_acc = -1.0;
    return tr;
}

static ligo_tensor *ligo__trainer_loss(ligo_ctx *ctx, void *model, const ligo_batch *bt) {
    return ligo_model_loss(ctx, (ligo_model *)model, bt, NULL);
}

LIGO_API ligo_status ligo_trainer_step(ligo_ctx *ctx, ligo_trainer *tr, float *loss_out) {
    ligo__step st;
    double f0, t0;
    float loss = 0.0f;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!tr) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_trainer_step: trainer is NULL");
    t0 = ligo_time_sec();
    f0 = ctx->flops_fwd + ctx->flops_bwd;
    memset(&st, 0, sizeof st);
    st.what = "training";
    st.data = tr->data;
    st.cfg = &tr->model->cfg;
    st.rng = &tr->rng;
    st.B = tr->cfg.batch;
    st.T = tr->cfg.ctx;
    st.inputs = tr->inputs;
    st.targets = tr->targets;
    st.images = tr->images;
    st.loss = ligo__trainer_loss;
    st.user = tr->model;
    st.params = tr->model->data;
    st.grad = tr->model->grad;
    st.n = tr->model->n_floats;
    st.opt = tr->opt;
    st.clip = tr->cfg.clip;
    if (ligo__train_step(ctx, &st, tr->step + 1, ligo_schedule_lr(&tr->cfg.sched, tr->step), &loss) != LIGO_OK)
        return ctx->status;
    tr->step++;
    tr->last_loss = loss;
    if (loss_out) *loss_out = loss;
    tr->train_flops += ctx->flops_fwd + ctx->flops_bwd - f0;
    tr->seconds += ligo_time_sec() - t0;
    return LIGO_OK;
}

/* ------------------------------------------------------------- the loop */

/* A non-finite stop: the context's message, after prefix, and which
 * checkpoint is still good (nothing is written now). */
static void ligo__nonfinite_stop(ligo_ctx *ctx, const char *prefix, const char *ckpt, int64_t saved_step) {
    char why[LIGO__ERRMSG];
    ligo_status s = ctx->status;
    snprintf(why, sizeof why, "%s", ctx->errmsg);
    ligo_clear_error(ctx);
    if (!ckpt)
        ligo_set_error(ctx, s, "%s%s", prefix, why);
    else if (saved_step >= 0)
        ligo_set_error(ctx, s, "%s%s; the last checkpoint, %s (step %lld), is kept", prefix, why, ckpt,
                       (long long)saved_step);
    else
        ligo_set_error(ctx, s, "%s%s; %s is left as it was", prefix, why, ckpt);
}

LIGO_API ligo_status ligo_trainer_run(ligo_ctx *ctx, ligo_trainer *tr) {
    FILE *csv = NULL;
    double t_start, t_last, tokens;
    int64_t saved_step = -1;
    ligo_status s = LIGO_OK;
    const ligo_train_config *c;
    ligo_progress pr;
    int report;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!tr) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_trainer_run: trainer is NULL");
    c = &tr->cfg;
    report = c->progress && c->on_progress;
    tokens = (double)(c->batch * c->ctx); /* per step, for the reports' rate */
    if (c->csv_path) {
        csv = fopen(c->csv_path, tr->step > 0 ? "ab" : "wb"); /* binary: \n, not \r\n, on Windows too */
        if (!csv) return ligo_set_error(ctx, LIGO_EIO, "ligo_trainer_run: cannot open %s", c->csv_path);
        if (tr->step == 0) fprintf(csv, "step,tokens,flops,seconds,lr,train_loss,val_loss,val_acc\n");
    }
    memset(&pr, 0, sizeof pr);
    pr.phase = LIGO_PHASE_TRAIN;
    pr.step = tr->step;
    pr.total = c->steps;
    pr.val_loss = tr->last_val;
    t_start = t_last = ligo_time_sec();
    while (tr->step < c->steps) {
        float loss;
        int last, do_eval;
        if (c->interrupt && *c->interrupt) break;
        if (ligo_trainer_step(ctx, tr, &loss) != LIGO_OK) {
            s = ctx->status;
            if (s == LIGO_ENONFINITE && c->ckpt_path) ligo__nonfinite_stop(ctx, "", c->ckpt_path, saved_step);
            break;
        }
        last = tr->step == c->steps;
        do_eval = last || (c->eval_every > 0 && tr->step % c->eval_every == 0);
        if (do_eval) {
            ligo_eval_result ev;
            if (ligo_evaluate(ctx, tr->model, tr->data, c->batch, c->ctx, c->eval_windows, &ev) != LIGO_OK) {
                s = ctx->status;
                if (s == LIGO_ENONFINITE) {
                    char prefix[64];
                    snprintf(prefix, sizeof prefix, "training stopped after step %lld: ", (long long)tr->step);
                    ligo__nonfinite_stop(ctx, prefix, c->ckpt_path, saved_step);
                }
                break;
            }
            tr->last_val = ev.loss;
            tr->last_acc = ev.accuracy;
        }
        if (csv && (do_eval || tr->step % 10 == 0)) {
            fprintf(csv, "%lld,%lld,%.6g,%.3f,%.6g,%.5f,", (long long)tr->step,
                    (long long)(tr->step * c->batch * c->ctx), tr->train_flops, tr->seconds,
                    (double)ligo_schedule_lr(&c->sched, tr->step - 1), (double)loss);
            if (do_eval) fprintf(csv, "%.5f,%.5f\n", tr->last_val, tr->last_acc);
            else fprintf(csv, ",\n");
            fflush(csv);
        }
        if (report) {
            pr.step = tr->step;
            pr.run_steps++;
            pr.loss = loss;
            pr.val_loss = tr->last_val;
            pr.evaluated = do_eval;
            pr.flops = tr->train_flops;
            ligo__progress_report(c->on_progress, c->progress_user, &pr, t_start, &t_last, tokens);
        }
        if (c->ckpt_path && ((c->ckpt_every > 0 && tr->step % c->ckpt_every == 0) || last)) {
            if (ligo_trainer_save(ctx, tr, c->ckpt_path) != LIGO_OK) {
                s = ctx->status;
                break;
            }
            saved_step = tr->step;
        }
        if (do_eval && c->target_loss > 0.0 && tr->last_val >= 0.0 && tr->last_val <= c->target_loss) break;
    }
    if (s == LIGO_OK && c->interrupt && *c->interrupt && c->ckpt_path) s = ligo_trainer_save(ctx, tr, c->ckpt_path);
    if (report) { /* the end, also after a failure */
        pr.done = 1;
        pr.step = tr->step;
        pr.val_loss = tr->last_val;
        pr.evaluated = 0;
        ligo__progress_report(c->on_progress, c->progress_user, &pr, t_start, &t_last, tokens);
    }
    if (csv) fclose(csv);
    return s;
}
/* ==== end src/train.c ==== */

#ifdef LIGO__POP_SMALL_IMPL /* ligo_internal.h set the Windows SDK's small aside */
#pragma pop_macro("small")
#undef LIGO__POP_SMALL_IMPL
#endif

#endif /* LIGO__IMPLEMENTATION_DONE */
#endif /* LIGO_IMPLEMENTATION */
