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
