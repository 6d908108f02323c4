/* ligo.h - train transformers on a CPU and grow them with LiGO.
 * Version 0.1.0. Public domain-style permissive use: see LICENSE.
 *
 * ligo is a single-header C99 library: float32 tensors, reverse-mode
 * autograd, transformer ops, and (in later versions) GPT / BERT / ViT models
 * and the LiGO growth operator (Wang et al., ICLR 2023, arXiv 2303.00980).
 * It needs only libc, libm and POSIX threads.
 *
 * USE
 *   In exactly one C or C++ file:
 *       #define LIGO_IMPLEMENTATION
 *       #include "ligo.h"
 *   Everywhere else just #include "ligo.h". Link with -lm -lpthread.
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
 *       ligo_ctx_free(ctx);
 *
 * OPTIONS (define before including the implementation)
 *   LIGO_IMPLEMENTATION   emit the implementation in this translation unit
 *   LIGO_STATIC           make every function static to that unit
 *   LIGO_NO_THREADS       build without POSIX threads (one thread)
 *   LIGO_NO_SIMD          never use the AVX2/FMA kernels
 *   LIGO_MALLOC(sz,u), LIGO_REALLOC(p,sz,u), LIGO_FREE(p,u)
 *                         your allocator: all three or none; u is
 *                         ligo_ctx_params.alloc_user
 *   LIGO_ASSERT(x)        internal invariants only (default: assert)
 *
 * ERRORS
 *   Every action returns a ligo_status; builders return NULL. The context
 *   keeps the first error's message (ligo_get_error). Errors are sticky:
 *   after one, every builder returns NULL at once, so a whole block can be
 *   checked once at its end; ligo_clear_error starts again. Nothing in the
 *   library calls exit or abort or asserts on user data.
 *
 * OWNERSHIP
 *   A context owns everything it allocates, in two arenas: persistent
 *   (parameters, gradients) and scratch (activations, the tape), rewound
 *   with ligo_scratch_mark / ligo_scratch_rewind, typically once per step.
 *   Nothing is freed one by one; ligo_ctx_free frees all. Buffers you pass
 *   in (ligo_wrap, ids, targets) stay yours.
 *
 * THREADS
 *   A context runs its work on a small pool (all cores by default;
 *   ligo_set_num_threads). Work is split over output elements only, never
 *   over a sum, so results are bitwise identical for any thread count. One
 *   context must not be used from two threads at once. The GEMM hook
 *   (ligo_set_sgemm) is the only global mutable state.
 */
