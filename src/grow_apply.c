/* grow_apply.c: the growth operator's materialisation: the large model's
 * weights as tape nodes computed from the frozen small weights and the
 * operator (docs/design.md 4.1 to 4.3), and the standalone large model.
 *
 *     W_m(i) = B_out(i, m) [ sum_j w_m(i)[j] W_m(j) ] B_in(i, m)^T
 *
 * Every tensor is widened by the streams its schema gives its dimensions,
 * so growth knows no family's tensors by position. B = [I; C] is never
 * formed: B X is [X; C X] and X B^T is [X, X C^T]. */
#include "ligo_internal.h"

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
