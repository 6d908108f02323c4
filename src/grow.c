/* grow.c: the LiGO growth operator (Wang et al., ICLR 2023, section 3)
 * and the baseline growth methods, all through one materialisation.
 *
 * A large layer i's module m (ln_1, W_Q, W_K, W_V, W_O, ln_2, fc1, fc2) is
 *
 *     W_m(i) = B_out(i, m) [ sum_j w_m(i)[j] W_m(j) ] B_in(i, m)^T      (4.3, 4.1)
 *     b_m(i) = B_out(i, m) [ sum_j u_m(i)[j] b_m(j) ]
 *
 * depth blend first, then width (the official code's order). The width
 * factors are tied as in DESIGN 4.2: B_emb for the residual stream, B_Q,
 * B_K, B_V, B_fc1 per large layer, B_cls for BERT's MLM transform. Each is
 * [I; C] with C learned, a learned full matrix, or a fixed selection (the
 * baselines). Everything is built from tape ops, so the large model's
 * ordinary forward runs on the result and backward reaches C and the depth
 * coefficients, and nothing else.
 *
 * Shapes: L1, L2 layers; D1, D2 widths; F1, F2 FFN widths; rows are
 * output units (weights are (out, in)). */
#include "ligo_internal.h"

static const char *ligo__method_names[LIGO_GROW_COUNT] = {"scratch", "stack", "interlace", "fpi",
                                                          "aki", "ligo", "ligo-depth", "ligo-width"};
static const char *ligo__mod_names[LIGO_MOD_COUNT] = {"ln_1", "q", "k", "v", "o", "ln_2", "fc1", "fc2"};

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
    c.seed = 1;
    c.fit_steps = 100;
    c.fit_warmup = 10;
    c.fit_lr = 1e-3f;
    c.fit_clip = 1.0;
    c.batch = 16;
    c.ctx = 128;
    c.progress = 0;
    return c;
}

static int ligo__learns_width(ligo_grow_method m) { return m == LIGO_GROW_LIGO || m == LIGO_GROW_LIGO_WIDTH; }
static int ligo__learns_depth(ligo_grow_method m) { return m == LIGO_GROW_LIGO || m == LIGO_GROW_LIGO_DEPTH; }

/* Small and large dims of each module's rows (out) and columns (in). */
static int64_t ligo__mod_len(const ligo_config *c, int m, int kind) {
    int64_t C = c->d_model, F = c->d_ff;
    switch (m) {
    case LIGO_MOD_LN1:
    case LIGO_MOD_LN2: return C;
    case LIGO_MOD_FC1: return kind ? F : F * C;
    case LIGO_MOD_FC2: return kind ? C : C * F;
    default: return kind ? C : C * C;
    }
}

/* Where module m's tensor `kind` (0 weight, 1 bias) of small layer j
 * starts: Q, K, V are row blocks of the fused c_attn. */
static const float *ligo__mod_src(const ligo_model *s, int64_t j, int m, int kind) {
    int64_t base = ligo_model_layer_base(s, j), C = s->cfg.d_model;
    const ligo_param_info *info = s->info;
    switch (m) {
    case LIGO_MOD_LN1: return s->data + info[base + LIGO_BLK_LN1_W + kind].offset;
    case LIGO_MOD_LN2: return s->data + info[base + LIGO_BLK_LN2_W + kind].offset;
    case LIGO_MOD_Q:
    case LIGO_MOD_K:
    case LIGO_MOD_V: {
        int64_t part = m - LIGO_MOD_Q;
        return s->data + info[base + LIGO_BLK_QKV_W + kind].offset + part * (kind ? C : C * C);
    }
    case LIGO_MOD_O: return s->data + info[base + LIGO_BLK_PROJ_W + kind].offset;
    case LIGO_MOD_FC1: return s->data + info[base + LIGO_BLK_FC_W + kind].offset;
    default: return s->data + info[base + LIGO_BLK_FC2_W + kind].offset;
    }
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
 * optional noise U(0, 0.03) and renormalised to sum 1 (DESIGN 4.4). */
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
 * exact). With fpi, the in-expansion divides each copy by its count. */
static ligo_status ligo__width_fixed(ligo_ctx *ctx, ligo_width_factor *f, int normalise_in) {
    int64_t i, j;
    f->fixed = (float *)ligo_alloc_persistent(ctx, (size_t)(f->big * f->small) * sizeof(float));
    if (!f->fixed) return ctx->status;
    for (i = 0; i < f->big; i++) f->fixed[i * f->small + i % f->small] = 1.0f;
    if (normalise_in) {
        f->fixed_in = (float *)ligo_alloc_persistent(ctx, (size_t)(f->big * f->small) * sizeof(float));
        if (!f->fixed_in) return ctx->status;
        for (j = 0; j < f->small; j++) {
            int64_t count = (f->big - j + f->small - 1) / f->small; /* rows i = j mod small */
            for (i = j; i < f->big; i += f->small) f->fixed_in[i * f->small + j] = 1.0f / (float)count;
        }
    }
    return LIGO_OK;
}

static ligo_status ligo__check_pair(ligo_ctx *ctx, const ligo_config *s, const ligo_config *l) {
    const char *who = "ligo_grow_new";
    if (s->family != l->family)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: cannot grow a %s model into a %s model", who,
                              ligo_family_name(s->family), ligo_family_name(l->family));
    if (l->n_layer < s->n_layer || l->d_model < s->d_model || l->d_ff < s->d_ff)
        return ligo_set_error(ctx, LIGO_EINVAL,
                              "%s: the large config (%lld layers, width %lld, FFN %lld) is smaller than the small one "
                              "(%lld, %lld, %lld) somewhere",
                              who, (long long)l->n_layer, (long long)l->d_model, (long long)l->d_ff,
                              (long long)s->n_layer, (long long)s->d_model, (long long)s->d_ff);
    if (l->d_model / l->n_head != s->d_model / s->n_head)
        return ligo_set_error(ctx, LIGO_EINVAL,
                              "%s: head dimension differs (large %lld / %lld heads = %lld, small %lld / %lld = %lld)",
                              who, (long long)l->d_model, (long long)l->n_head, (long long)(l->d_model / l->n_head),
                              (long long)s->d_model, (long long)s->n_head, (long long)(s->d_model / s->n_head));
    if (l->vocab != s->vocab || l->ctx_len != s->ctx_len || l->image_h != s->image_h || l->image_w != s->image_w ||
        l->patch != s->patch || l->n_classes != s->n_classes)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: vocabulary, context, image or classes differ between the models",
                              who);
    return LIGO_OK;
}

LIGO_API ligo_grow *ligo_grow_new(ligo_ctx *ctx, const ligo_model *small, const ligo_config *large,
                                  const ligo_grow_config *cfg) {
    ligo_grow *g;
    ligo_config lc;
    ligo_rng rng;
    int64_t L1, L2, k, n_learn = 0, m, kind;
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
    if (ligo_config_check(ctx, &lc) != LIGO_OK) return NULL;
    if (ligo__check_pair(ctx, &small->cfg, &lc) != LIGO_OK) return NULL;
    if (cfg->fit_steps < 0 || cfg->fit_warmup < 0 || !(cfg->fit_lr >= 0.0f) || cfg->batch < 1 || cfg->ctx < 1) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_new: fitting needs steps >= 0, warm-up >= 0, lr >= 0, batch >= 1, ctx >= 1");
        return NULL;
    }
    g = (ligo_grow *)ligo_alloc_persistent(ctx, sizeof *g);
    if (!g) return NULL;
    g->cfg = *cfg;
    g->small = small;
    g->large = lc;
    g->shape = ligo_model_new(ctx, &lc);
    if (!g->shape) return NULL;
    g->ln_f_scale = 1.0f;
    if (cfg->method == LIGO_GROW_SCRATCH) return g;
    L1 = small->cfg.n_layer;
    L2 = lc.n_layer;
    lw = ligo__learns_width(cfg->method);
    ld = ligo__learns_depth(cfg->method);
    ligo_rng_seed(&rng, cfg->seed);

    /* width factors and the size of the learned block */
    g->n_width = 1 + 4 * L2 + (lc.family == LIGO_BERT ? 1 : 0);
    g->width = (ligo_width_factor *)ligo_alloc_persistent(ctx, (size_t)g->n_width * sizeof(ligo_width_factor));
    if (!g->width) return NULL;
    for (k = 0; k < g->n_width; k++) {
        ligo_width_factor *f = &g->width[k];
        int ffn = k > 0 && k < 1 + 4 * L2 && (k - 1) % 4 == 3;
        f->big = ffn ? lc.d_ff : lc.d_model;
        f->small = ffn ? small->cfg.d_ff : small->cfg.d_model;
        f->offset = -1;
        if (f->big == f->small) continue;
        if (lw) {
            f->learned = 1;
            f->offset = n_learn;
            n_learn += cfg->full_width ? f->big * f->small : (f->big - f->small) * f->small;
        } else if (ligo__width_fixed(ctx, f, cfg->method == LIGO_GROW_FPI || cfg->method == LIGO_GROW_AKI) != LIGO_OK) {
            return NULL;
        }
    }
    for (m = 0; m < LIGO_MOD_COUNT; m++)
        for (kind = 0; kind < 2; kind++) {
            g->depth_offset[m][kind] = -1;
            if (ld) {
                g->depth_offset[m][kind] = n_learn;
                n_learn += L2 * L1;
            }
        }
    g->n = n_learn;
    if (n_learn > 0) {
        g->data = (float *)ligo_alloc_persistent(ctx, (size_t)n_learn * sizeof(float));
        g->grad = (float *)ligo_alloc_persistent(ctx, (size_t)n_learn * sizeof(float));
        if (!g->data || !g->grad) return NULL;
    }
    for (k = 0; k < g->n_width; k++)
        if (g->width[k].learned)
            ligo__width_init(g->data + g->width[k].offset, g->width[k].big, g->width[k].small, cfg->full_width, cfg, &rng);

    /* depth: learned rows from the init, or the baseline's fixed rows */
    for (m = 0; m < LIGO_MOD_COUNT; m++)
        for (kind = 0; kind < 2; kind++) {
            float *w;
            if (ld) {
                ligo__depth_init(g->data + g->depth_offset[m][kind], L2, L1, cfg, &rng);
                continue;
            }
            w = (float *)ligo_alloc_persistent(ctx, (size_t)(L2 * L1) * sizeof(float));
            if (!w) return NULL;
            ligo__depth_onehot(w, L2, L1, cfg->method == LIGO_GROW_INTERLACE || cfg->method == LIGO_GROW_FPI);
            if (cfg->method == LIGO_GROW_FPI && (m == LIGO_MOD_O || m == LIGO_MOD_FC2)) {
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
    if (cfg->method == LIGO_GROW_FPI && lc.family != LIGO_VIT)
        g->ln_f_scale = (float)small->cfg.d_model / (float)lc.d_model;

    /* the small layers' tensors, module by module: (L1 x n) */
    g->stacks = (float **)ligo_alloc_persistent(ctx, (size_t)(2 * LIGO_MOD_COUNT) * sizeof(float *));
    if (!g->stacks) return NULL;
    for (m = 0; m < LIGO_MOD_COUNT; m++)
        for (kind = 0; kind < 2; kind++) {
            int64_t n = ligo__mod_len(&small->cfg, (int)m, (int)kind), j;
            float *s = (float *)ligo_alloc_persistent(ctx, (size_t)(L1 * n) * sizeof(float));
            if (!s) return NULL;
            for (j = 0; j < L1; j++) memcpy(s + j * n, ligo__mod_src(small, j, (int)m, (int)kind), (size_t)n * sizeof(float));
            g->stacks[m * 2 + kind] = s;
        }
    return g;
}

/* ------------------------------------------------------ materialisation */

typedef struct ligo__factor_nodes {
    ligo_tensor *out; /* B (big x small), NULL when big == small */
    ligo_tensor *in;  /* the in-expansion matrix (B itself unless FPI / AKI) */
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

static ligo__factor_nodes ligo__factor(ligo_ctx *ctx, ligo_grow *g, const ligo_width_factor *f, ligo_tensor **eye) {
    ligo__factor_nodes r;
    int64_t s[2];
    r.out = r.in = NULL;
    if (f->big == f->small) return r;
    if (f->learned) {
        if (g->cfg.full_width) {
            s[0] = f->big;
            s[1] = f->small;
            r.out = ligo_wrap(ctx, 2, s, g->data + f->offset, g->grad + f->offset);
        } else {
            s[0] = f->big - f->small;
            s[1] = f->small;
            r.out = ligo_concat(ctx, *eye, ligo_wrap(ctx, 2, s, g->data + f->offset, g->grad + f->offset), 0);
        }
        r.in = r.out;
    } else {
        r.out = ligo__const(ctx, f->fixed, f->big, f->small);
        r.in = f->fixed_in ? ligo__const(ctx, f->fixed_in, f->big, f->small) : r.out;
    }
    return r;
}

/* X (out_s x in_s) -> B_out X B_in^T. With `next` (AKI) the new rows come
 * from the next layer's tensor instead. */
static ligo_tensor *ligo__expand(ligo_ctx *ctx, ligo_tensor *x, ligo_tensor *next, const ligo__factor_nodes *out,
                                 const ligo__factor_nodes *in) {
    if (out && out->out) {
        if (next) {
            int64_t small = x->shape[0], big = out->out->shape[0];
            x = ligo_concat(ctx, x, ligo_matmul(ctx, ligo_slice(ctx, out->out, 0, small, big - small), next, 0, 0), 0);
        } else {
            x = ligo_matmul(ctx, out->out, x, 0, 0);
        }
    }
    if (in && in->in) x = ligo_matmul(ctx, x, in->in, 0, 1);
    return x;
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

LIGO_API ligo_status ligo_grow_materialize(ligo_ctx *ctx, ligo_grow *g, ligo_tensor **w) {
    const ligo_config *sc, *lc;
    const ligo_model *S;
    ligo_tensor *eyeD = NULL, *eyeF = NULL, *blend[LIGO_MOD_COUNT][2], *next[LIGO_MOD_COUNT][2];
    ligo__factor_nodes emb, cls;
    int64_t L1, L2, i, m, kind, D1, F1, D2;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!g || !w) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_materialize: NULL operator or weights");
    if (g->cfg.method == LIGO_GROW_SCRATCH)
        return ligo_set_error(ctx, LIGO_ESTATE, "ligo_grow_materialize: scratch has no operator to materialise");
    S = g->small;
    sc = &S->cfg;
    lc = &g->large;
    L1 = sc->n_layer;
    L2 = lc->n_layer;
    D1 = sc->d_model;
    D2 = lc->d_model;
    F1 = sc->d_ff;
    if (ligo__learns_width(g->cfg.method) && !g->cfg.full_width) {
        if (lc->d_model > D1) eyeD = ligo__identity(ctx, D1);
        if (lc->d_ff > F1) eyeF = ligo__identity(ctx, F1);
    }
    /* depth blends of every module, all large layers at once: (L2 x n) */
    for (m = 0; m < LIGO_MOD_COUNT; m++)
        for (kind = 0; kind < 2; kind++) {
            int64_t n = ligo__mod_len(sc, (int)m, (int)kind);
            ligo_tensor *coef, *stack = ligo__const(ctx, g->stacks[m * 2 + kind], L1, n);
            int64_t s[2];
            s[0] = L2;
            s[1] = L1;
            coef = g->depth_offset[m][kind] >= 0
                       ? ligo_wrap(ctx, 2, s, g->data + g->depth_offset[m][kind], g->grad + g->depth_offset[m][kind])
                       : ligo__const(ctx, g->depth_fixed[m][kind], L2, L1);
            blend[m][kind] = ligo_matmul(ctx, coef, stack, 0, 0);
            next[m][kind] = g->next_layer && m != LIGO_MOD_LN1 && m != LIGO_MOD_LN2
                                ? ligo_matmul(ctx, ligo__const(ctx, g->next_layer, L2, L1), stack, 0, 0)
                                : NULL;
        }
    emb = ligo__factor(ctx, g, &g->width[0], &eyeD);
    /* embeddings */
    if (lc->family == LIGO_VIT) {
        w[0] = ligo__expand(ctx, ligo__small(ctx, S, "patch.weight"), NULL, &emb, NULL);
        w[1] = ligo__expand_vec(ctx, ligo__small(ctx, S, "patch.bias"), NULL, &emb);
        w[2] = emb.out ? ligo_matmul(ctx, ligo__small(ctx, S, "cls_token"), emb.out, 0, 1) : ligo__small(ctx, S, "cls_token");
        w[3] = emb.out ? ligo_matmul(ctx, ligo__small(ctx, S, "wpe.weight"), emb.out, 0, 1) : ligo__small(ctx, S, "wpe.weight");
    } else {
        w[0] = emb.out ? ligo_matmul(ctx, ligo__small(ctx, S, "wte.weight"), emb.out, 0, 1) : ligo__small(ctx, S, "wte.weight");
        w[1] = emb.out ? ligo_matmul(ctx, ligo__small(ctx, S, "wpe.weight"), emb.out, 0, 1) : ligo__small(ctx, S, "wpe.weight");
        if (lc->family == LIGO_BERT) {
            w[2] = ligo__expand_vec(ctx, ligo__small(ctx, S, "emb_ln.weight"), NULL, &emb);
            w[3] = ligo__expand_vec(ctx, ligo__small(ctx, S, "emb_ln.bias"), NULL, &emb);
        }
    }
    /* blocks */
    for (i = 0; i < L2; i++) {
        ligo_tensor **o = w + ligo_model_layer_base(g->shape, i);
        ligo__factor_nodes q = ligo__factor(ctx, g, &g->width[1 + 4 * i], &eyeD);
        ligo__factor_nodes k = ligo__factor(ctx, g, &g->width[2 + 4 * i], &eyeD);
        ligo__factor_nodes v = ligo__factor(ctx, g, &g->width[3 + 4 * i], &eyeD);
        ligo__factor_nodes f = ligo__factor(ctx, g, &g->width[4 + 4 * i], &eyeF);
        ligo_tensor *W[LIGO_MOD_COUNT], *bvec[LIGO_MOD_COUNT], *Wn[LIGO_MOD_COUNT], *bn[LIGO_MOD_COUNT];
        int64_t s1[1];
        for (m = 0; m < LIGO_MOD_COUNT; m++) {
            int64_t rows = m == LIGO_MOD_FC1 ? F1 : D1, cols = m == LIGO_MOD_FC2 ? F1 : D1;
            int ln = m == LIGO_MOD_LN1 || m == LIGO_MOD_LN2;
            W[m] = ligo__row(ctx, blend[m][0], i, ln ? D1 : rows, ln ? 0 : cols);
            bvec[m] = ligo__row(ctx, blend[m][1], i, rows, 0);
            Wn[m] = next[m][0] ? ligo__row(ctx, next[m][0], i, rows, cols) : NULL;
            bn[m] = next[m][1] ? ligo__row(ctx, next[m][1], i, rows, 0) : NULL;
        }
        o[LIGO_BLK_LN1_W] = ligo__expand_vec(ctx, W[LIGO_MOD_LN1], NULL, &emb);
        o[LIGO_BLK_LN1_B] = ligo__expand_vec(ctx, bvec[LIGO_MOD_LN1], NULL, &emb);
        o[LIGO_BLK_QKV_W] = ligo_concat(ctx,
                                        ligo_concat(ctx, ligo__expand(ctx, W[LIGO_MOD_Q], Wn[LIGO_MOD_Q], &q, &emb),
                                                    ligo__expand(ctx, W[LIGO_MOD_K], Wn[LIGO_MOD_K], &k, &emb), 0),
                                        ligo__expand(ctx, W[LIGO_MOD_V], Wn[LIGO_MOD_V], &v, &emb), 0);
        {
            ligo_tensor *bq = ligo__expand_vec(ctx, bvec[LIGO_MOD_Q], bn[LIGO_MOD_Q], &q);
            ligo_tensor *bk = ligo__expand_vec(ctx, bvec[LIGO_MOD_K], bn[LIGO_MOD_K], &k);
            ligo_tensor *bv = ligo__expand_vec(ctx, bvec[LIGO_MOD_V], bn[LIGO_MOD_V], &v);
            int64_t s2[2];
            s2[0] = D2;
            s2[1] = 1;
            s1[0] = 3 * D2;
            o[LIGO_BLK_QKV_B] = ligo_reshape(
                ctx,
                ligo_concat(ctx, ligo_concat(ctx, ligo_reshape(ctx, bq, 2, s2), ligo_reshape(ctx, bk, 2, s2), 0),
                            ligo_reshape(ctx, bv, 2, s2), 0),
                1, s1);
        }
        o[LIGO_BLK_PROJ_W] = ligo__expand(ctx, W[LIGO_MOD_O], Wn[LIGO_MOD_O], &emb, &v);
        o[LIGO_BLK_PROJ_B] = ligo__expand_vec(ctx, bvec[LIGO_MOD_O], bn[LIGO_MOD_O], &emb);
        o[LIGO_BLK_LN2_W] = ligo__expand_vec(ctx, W[LIGO_MOD_LN2], NULL, &emb);
        o[LIGO_BLK_LN2_B] = ligo__expand_vec(ctx, bvec[LIGO_MOD_LN2], NULL, &emb);
        o[LIGO_BLK_FC_W] = ligo__expand(ctx, W[LIGO_MOD_FC1], Wn[LIGO_MOD_FC1], &f, &emb);
        o[LIGO_BLK_FC_B] = ligo__expand_vec(ctx, bvec[LIGO_MOD_FC1], bn[LIGO_MOD_FC1], &f);
        o[LIGO_BLK_FC2_W] = ligo__expand(ctx, W[LIGO_MOD_FC2], Wn[LIGO_MOD_FC2], &emb, &f);
        o[LIGO_BLK_FC2_B] = ligo__expand_vec(ctx, bvec[LIGO_MOD_FC2], bn[LIGO_MOD_FC2], &emb);
    }
    /* head */
    {
        ligo_tensor **h = w + ligo_model_layer_base(g->shape, L2);
        if (lc->family == LIGO_BERT) {
            cls = ligo__factor(ctx, g, &g->width[g->n_width - 1], &eyeD);
            h[0] = ligo__expand(ctx, ligo__small(ctx, S, "mlm.dense.weight"), NULL, &cls, &emb);
            h[1] = ligo__expand_vec(ctx, ligo__small(ctx, S, "mlm.dense.bias"), NULL, &cls);
            h[2] = ligo__scaled(ctx, ligo__expand_vec(ctx, ligo__small(ctx, S, "mlm.ln.weight"), NULL, &cls), g->ln_f_scale);
            h[3] = ligo__scaled(ctx, ligo__expand_vec(ctx, ligo__small(ctx, S, "mlm.ln.bias"), NULL, &cls), g->ln_f_scale);
            h[4] = ligo__small(ctx, S, "mlm.bias");
        } else {
            h[0] = ligo__scaled(ctx, ligo__expand_vec(ctx, ligo__small(ctx, S, "ln_f.weight"), NULL, &emb), g->ln_f_scale);
            h[1] = ligo__scaled(ctx, ligo__expand_vec(ctx, ligo__small(ctx, S, "ln_f.bias"), NULL, &emb), g->ln_f_scale);
            if (lc->family == LIGO_VIT) {
                h[2] = ligo__expand(ctx, ligo__small(ctx, S, "head.weight"), NULL, NULL, &emb);
                h[3] = ligo__small(ctx, S, "head.bias");
            }
        }
    }
    if (ligo__failed(ctx)) return ctx->status;
    for (i = 0; i < g->shape->n_tensors; i++) {
        const ligo_param_info *p = &g->shape->info[i];
        if (!w[i] || w[i]->n != p->n)
            return ligo_set_error(ctx, LIGO_ESTATE, "ligo_grow_materialize: %s came out with the wrong size", p->name);
    }
    return LIGO_OK;
}

/* ----------------------------------------------------------- fit, apply */

LIGO_API ligo_status ligo_grow_fit(ligo_ctx *ctx, ligo_grow *g, const ligo_data *d) {
    ligo_optim_config oc;
    ligo_optim *opt;
    ligo_schedule sched;
    ligo_rng rng;
    int32_t *in, *tg;
    float *img = NULL;
    ligo_tensor **w;
    int64_t step, B, T;
    ligo_mark outer;
    double f0, t0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!g || !d) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_fit: NULL operator or data");
    if (g->n == 0 || g->cfg.fit_steps == 0) return LIGO_OK;
    B = g->cfg.batch;
    T = g->large.family == LIGO_VIT || g->cfg.ctx > g->large.ctx_len ? g->large.ctx_len : g->cfg.ctx;
    oc = ligo_optim_config_default(LIGO_ADAMW);
    oc.beta2 = 0.999f;
    oc.eps = 1e-6f;
    oc.weight_decay = 0.0f;
    opt = ligo_optim_new(ctx, &oc, g->n, NULL, 0);
    if (!opt) return ctx->status;
    /* warm-up, then constant: the operator's rate must leave the warm-up
     * well within the fitting steps (DESIGN 4.5) */
    sched.lr_max = g->cfg.fit_lr;
    sched.lr_min = g->cfg.fit_lr;
    sched.warmup = g->cfg.fit_warmup < g->cfg.fit_steps ? g->cfg.fit_warmup : g->cfg.fit_steps / 2;
    sched.total = g->cfg.fit_steps;
    sched.decay = LIGO_DECAY_CONSTANT;
    ligo_rng_seed(&rng, g->cfg.seed ^ 0x5eedULL);
    outer = ligo_scratch_mark(ctx);
    in = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    tg = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    w = (ligo_tensor **)ligo_alloc_scratch(ctx, (size_t)g->shape->n_tensors * sizeof(ligo_tensor *));
    if (g->large.family == LIGO_VIT)
        img = (float *)ligo_alloc_scratch(ctx, (size_t)(B * g->large.image_h * g->large.image_w) * sizeof(float));
    if (!in || !tg || !w || (g->large.family == LIGO_VIT && !img)) return ctx->status;
    f0 = ctx->flops_fwd + ctx->flops_bwd;
    t0 = ligo_time_sec();
    for (step = 0; step < g->cfg.fit_steps; step++) {
        ligo_mark mk = ligo_scratch_mark(ctx);
        ligo_batch bt;
        ligo_tensor *loss;
        double norm;
        if (ligo_data_batch(ctx, d, &g->large, &rng, B, T, in, tg, img) != LIGO_OK) break;
        memset(g->grad, 0, (size_t)g->n * sizeof(float));
        if (ligo_grow_materialize(ctx, g, w) != LIGO_OK) break;
        memset(&bt, 0, sizeof bt);
        bt.B = B;
        bt.T = T;
        bt.inputs = in;
        bt.targets = tg;
        bt.images = img;
        loss = ligo_model_forward(ctx, g->shape, w, &bt, NULL);
        if (!loss) break;
        if (!isfinite(loss->data[0])) {
            ligo_set_error(ctx, LIGO_ENONFINITE, "ligo_grow_fit: the loss is %g at fitting step %lld",
                           (double)loss->data[0], (long long)step + 1);
            break;
        }
        if (ligo_backward(ctx, loss) != LIGO_OK) break;
        norm = ligo_clip_grad_norm(g->grad, g->n, g->cfg.fit_clip);
        if (!isfinite(norm)) {
            ligo_set_error(ctx, LIGO_ENONFINITE, "ligo_grow_fit: the gradient is not finite at fitting step %lld",
                           (long long)step + 1);
            break;
        }
        if (ligo_optim_step(ctx, opt, g->data, g->grad, ligo_schedule_lr(&sched, step)) != LIGO_OK) break;
        if (step == 0) g->fit_loss_first = loss->data[0];
        g->fit_loss_last = loss->data[0];
        if (g->cfg.progress)
            fprintf(stderr, "\rligo grow: fitting step %lld/%lld  loss %.4f   ", (long long)step + 1,
                    (long long)g->cfg.fit_steps, (double)loss->data[0]);
        ligo_scratch_rewind(ctx, mk);
    }
    if (g->cfg.progress) fputc('\n', stderr);
    g->fit_flops += ctx->flops_fwd + ctx->flops_bwd - f0;
    g->fit_seconds += ligo_time_sec() - t0;
    ligo_scratch_rewind(ctx, outer);
    return ctx->status;
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

LIGO_API ligo_status ligo_grow_save(ligo_ctx *ctx, const ligo_grow *g, const char *path) {
    ligo_safetensors st;
    ligo_mark mk;
    char name[64];
    int64_t k, m, kind, s[2];
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!g || !path) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_save: NULL operator or path");
    mk = ligo_scratch_mark(ctx);
    ligo_st_init(&st);
    if (ligo_config_to_st(ctx, &g->large, &st) != LIGO_OK) goto done;
    if (ligo_st_set_meta(ctx, &st, "ligo.grow.method", ligo_grow_method_name(g->cfg.method)) != LIGO_OK) goto done;
    snprintf(name, sizeof name, "%lld", (long long)g->small->cfg.n_layer);
    if (ligo_st_set_meta(ctx, &st, "ligo.grow.small_layers", name) != LIGO_OK) goto done;
    snprintf(name, sizeof name, "%lld", (long long)g->small->cfg.d_model);
    if (ligo_st_set_meta(ctx, &st, "ligo.grow.small_dim", name) != LIGO_OK) goto done;
    for (k = 0; k < g->n_width; k++) {
        const ligo_width_factor *f = &g->width[k];
        if (!f->learned) continue;
        snprintf(name, sizeof name, "width.%lld.%s", (long long)k, g->cfg.full_width ? "B" : "C");
        s[0] = g->cfg.full_width ? f->big : f->big - f->small;
        s[1] = f->small;
        if (ligo_st_add(ctx, &st, name, 2, s, g->data + f->offset) != LIGO_OK) goto done;
    }
    for (m = 0; m < LIGO_MOD_COUNT; m++)
        for (kind = 0; kind < 2; kind++) {
            if (g->depth_offset[m][kind] < 0) continue;
            snprintf(name, sizeof name, "depth.%s.%s", ligo__mod_names[m], kind ? "b" : "w");
            s[0] = g->large.n_layer;
            s[1] = g->small->cfg.n_layer;
            if (ligo_st_add(ctx, &st, name, 2, s, g->data + g->depth_offset[m][kind]) != LIGO_OK) goto done;
        }
    if (st.n_entries == 0) {
        ligo_set_error(ctx, LIGO_ESTATE, "ligo_grow_save: method %s has no learned operator to save",
                       ligo_grow_method_name(g->cfg.method));
        goto done;
    }
    ligo_st_write(ctx, path, &st);
done:
    ligo_scratch_rewind(ctx, mk);
    return ctx->status;
}
