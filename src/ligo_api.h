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

#include "gen/ops_api.h"

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
