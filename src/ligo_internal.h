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

#include "ligo_api.h"

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
