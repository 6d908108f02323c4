/* ligo_blas.h - route ligo's matrix product to BLIS (or any CBLAS).
 *
 * ligo does every matrix product through one choke point, ligo_sgemm, whose
 * implementation can be replaced at run time (ligo_set_sgemm). This header
 * installs a hook that sends the products to an optimised BLAS library:
 *
 *   - by default BLIS, through its typed API bli_sgemm (row and column
 *     strides, so row-major operands go in as they are, no copies);
 *   - with LIGO_BLAS_CBLAS defined, any CBLAS: cblas_sgemm(CblasRowMajor, ...)
 *     (OpenBLAS, MKL, BLIS's CBLAS layer, the reference CBLAS ...).
 *
 * Products smaller than a threshold (any of M, N, K below 32 by default,
 * as ggml does) are declined (the hook returns 0), so they stay on ligo's
 * built-in kernel, where a BLAS call costs more than it saves.
 *
 * USE
 *   In exactly one C or C++ file, after (or instead of) the ligo
 *   implementation:
 *
 *       #define LIGO_IMPLEMENTATION        // if this file holds ligo too
 *       #define LIGO_BLAS_IMPLEMENTATION
 *       #include "ligo_blas.h"             // includes "ligo.h" itself
 *
 *   Everywhere else just #include "ligo_blas.h" for the declarations.
 *   ligo.h itself never includes a BLAS header. Then, before any context
 *   runs work:
 *
 *       ligo_blas_install(4);              // BLIS on 4 threads (0: keep
 *                                          // the library's own setting)
 *       ...                                // every ligo_sgemm goes to BLIS
 *       ligo_blas_uninstall();             // back to the built-in kernel
 *
 *   Build, BLIS (Debian/Ubuntu: libblis-dev; blis.h is on the default
 *   include path there, elsewhere add -I<dir of blis.h>):
 *       cc -std=c99 -O2 app.c -lblis -lm -lpthread
 *   Build, CBLAS (e.g. OpenBLAS):
 *       cc -std=c99 -O2 -DLIGO_BLAS_CBLAS app.c -lopenblas -lm -lpthread
 *
 * THREADS
 *   The hook has no ligo context: the BLAS library runs on its own threads.
 *   With BLIS, ligo_blas_install(n) calls bli_thread_set_num_threads(n).
 *   CBLAS has no standard thread call: set the library's own variable
 *   (OPENBLAS_NUM_THREADS, MKL_NUM_THREADS, BLIS_NUM_THREADS ...).
 *   Products below the threshold run on the built-in kernel with the
 *   context's threads. Attention calls the hook from its per-head tasks,
 *   on several of ligo's threads at once (BLIS and CBLAS are reentrant).
 *   Results are then not guaranteed bitwise identical across thread counts
 *   (that is the BLAS library's business), unlike ligo's built-in kernel.
 *
 * STATE
 *   Like ligo_set_sgemm itself, the installed hook and the threshold are
 *   process-wide: set them before any context runs work, not during.
 *
 * OPTIONS (define before including the implementation)
 *   LIGO_BLAS_IMPLEMENTATION  emit the implementation in this unit
 *   LIGO_BLAS_CBLAS           use cblas_sgemm (cblas.h) instead of BLIS
 *   LIGO_BLAS_MIN_DIM         default threshold (32)
 *
 * STRICT C99
 *   blis.h needs POSIX (pthread barriers). Under -std=c99 this header asks
 *   for _POSIX_C_SOURCE when it holds the implementation, which works when
 *   it (or ligo.h with LIGO_IMPLEMENTATION) comes before any system header;
 *   otherwise define _POSIX_C_SOURCE 200809L at the top of that file.
 */
#if defined(LIGO_BLAS_IMPLEMENTATION) && defined(__STRICT_ANSI__) && !defined(_POSIX_C_SOURCE) && \
    !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#ifndef LIGO_BLAS_H
#define LIGO_BLAS_H

#include "ligo.h"

#ifndef LIGO_BLAS_MIN_DIM
#define LIGO_BLAS_MIN_DIM 32
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Install the BLAS hook (replacing any other hook). n_threads > 0 sets the
 * BLAS library's thread count (BLIS only); 0 keeps it. Returns 0, or -1 for
 * a negative n_threads. */
LIGO_API int ligo_blas_install(int n_threads);
/* Remove the BLAS hook if it is the one installed: ligo_sgemm is built-in again. */
LIGO_API void ligo_blas_uninstall(void);
/* The BLAS library is used only when M, N and K are all >= min_dim (at
 * least 1: an empty sum never goes to BLAS); smaller products run on
 * ligo_sgemm_builtin. Default LIGO_BLAS_MIN_DIM (32). */
LIGO_API void ligo_blas_set_threshold(int64_t min_dim);
LIGO_API int64_t ligo_blas_get_threshold(void);
/* 1 if a product of this size goes to the BLAS library, 0 if built-in. */
LIGO_API int ligo_blas_uses_blas(int64_t M, int64_t N, int64_t K);
/* The hook itself (a ligo_sgemm_fn; user is ignored): 1 when the BLAS
 * library computed C, 0 when the product is declined (below the
 * threshold, or sizes CBLAS cannot take) and C is untouched. */
LIGO_API int ligo_blas_sgemm(void *user, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                             float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                             float beta, float *C, int64_t ldc);
/* "blis" or "cblas". */
LIGO_API const char *ligo_blas_backend(void);

#ifdef __cplusplus
}
#endif

#endif /* LIGO_BLAS_H */

#ifdef LIGO_BLAS_IMPLEMENTATION
#ifndef LIGO_BLAS__IMPLEMENTATION_DONE
#define LIGO_BLAS__IMPLEMENTATION_DONE

#include <limits.h>

#ifdef LIGO_BLAS_CBLAS
#include <cblas.h>
#else
#include <blis.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

static int64_t ligo_blas__min_dim = LIGO_BLAS_MIN_DIM;

LIGO_API void ligo_blas_set_threshold(int64_t min_dim) { ligo_blas__min_dim = min_dim; }

LIGO_API int64_t ligo_blas_get_threshold(void) { return ligo_blas__min_dim; }

LIGO_API const char *ligo_blas_backend(void) {
#ifdef LIGO_BLAS_CBLAS
    return "cblas";
#else
    return "blis";
#endif
}

LIGO_API int ligo_blas_uses_blas(int64_t M, int64_t N, int64_t K) {
    int64_t t = ligo_blas__min_dim > 1 ? ligo_blas__min_dim : 1;
    if (M < t || N < t || K < t) return 0;
#ifdef LIGO_BLAS_CBLAS
    /* CBLAS takes int sizes and strides (LP64) */
    if (M > INT_MAX || N > INT_MAX || K > INT_MAX) return 0;
#endif
    return 1;
}

LIGO_API int ligo_blas_sgemm(void *user, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                             float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                             float beta, float *C, int64_t ldc) {
    (void)user;
    if (!ligo_blas_uses_blas(M, N, K)) return 0;
#ifdef LIGO_BLAS_CBLAS
    if (lda > INT_MAX || ldb > INT_MAX || ldc > INT_MAX) return 0;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, (int)M,
                (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
#else
    {
        /* Strides describe the stored matrices (row stride ld, column
         * stride 1); the trans flags say which way BLIS reads them. BLIS
         * overwrites C when beta == 0, as ligo requires. */
        float al = alpha, be = beta;
        bli_sgemm(trans_a ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, trans_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
                  (dim_t)M, (dim_t)N, (dim_t)K, &al, (float *)A, (inc_t)lda, 1, (float *)B, (inc_t)ldb, 1, &be, C,
                  (inc_t)ldc, 1);
    }
#endif
    return 1;
}

LIGO_API int ligo_blas_install(int n_threads) {
    if (n_threads < 0) return -1;
#ifndef LIGO_BLAS_CBLAS
    if (n_threads > 0) bli_thread_set_num_threads((dim_t)n_threads);
#endif
    ligo_set_sgemm(ligo_blas_sgemm, NULL);
    return 0;
}

LIGO_API void ligo_blas_uninstall(void) {
    if (ligo_get_sgemm(NULL) == ligo_blas_sgemm) ligo_set_sgemm(NULL, NULL);
}

#ifdef __cplusplus
}
#endif

#endif /* LIGO_BLAS__IMPLEMENTATION_DONE */
#endif /* LIGO_BLAS_IMPLEMENTATION */
