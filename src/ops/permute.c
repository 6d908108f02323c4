/* ops/permute.c: the dims of x in another order (a copy): out's dim i is
 * x's dim perm[i], out[j_0, ..., j_n] = x at the index whose dim perm[i]
 * is j_i. E.g. (B, T, NH, hs) with perm {0, 2, 1, 3} -> (B, NH, T, hs), the heads
 * of an attention written from primitives. Backward scatters the
 * gradient back (each element of x has one place in out). */
#include "ops.h"

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
