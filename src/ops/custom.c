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
#include "ops.h"

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
