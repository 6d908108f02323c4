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
    c.noise = 0.01f;
    c.seed = 1;
    c.fit_steps = 100;
    c.fit_warmup = 10;
    c.fit_lr = 1e-3f;
    c.fit_clip = 1.0;
    c.batch = 16;
    c.ctx = 0; /* the large model's context */
    c.progress = 0;
    return c;
}

static int ligo__learns_width(ligo_grow_method m) { return m == LIGO_GROW_LIGO || m == LIGO_GROW_LIGO_WIDTH; }
static int ligo__learns_depth(ligo_grow_method m) { return m == LIGO_GROW_LIGO || m == LIGO_GROW_LIGO_DEPTH; }

/* A block module's part in a model, from its schema: module m (LIGO_MOD_*)
 * of layer `layer`, kind 0 (weight or gain) or 1 (bias); Q, K and V are
 * row blocks of a fused projection, starting at *row0. NULL when the
 * schema has no such part. */
static const ligo_param_info *ligo__module(const ligo_model *md, int64_t layer, int m, int kind, int64_t *row0) {
    int64_t i = ligo_model_find_module(md, layer, m, kind, row0);
    return i >= 0 ? &md->info[i] : NULL;
}

/* Rows and columns (0: a vector) of module m's part in a model. */
static void ligo__mod_shape(const ligo_model *md, int m, int kind, int64_t *rows, int64_t *cols) {
    const ligo_param_info *p = ligo__module(md, 0, m, kind, NULL);
    *rows = !p ? 0 : p->module == LIGO_MOD_QKV ? p->shape[0] / 3 : p->shape[0];
    *cols = p && p->ndim == 2 ? p->shape[1] : 0;
}

static int64_t ligo__mod_len(const ligo_model *md, int m, int kind) {
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

/* The stream of module m's rows: a fused projection's Q, K or V part is
 * that stream. */
static ligo_stream ligo__mod_stream(const ligo_param_info *p, int m) {
    return p->module == LIGO_MOD_QKV ? (ligo_stream)(LIGO_STREAM_Q + (m - LIGO_MOD_Q)) : p->stream[0];
}

/* Units of a stream in a config. */
static int64_t ligo__stream_width(const ligo_config *c, ligo_stream s) { return s == LIGO_STREAM_FFN ? c->d_ff : c->d_model; }

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
static int64_t ligo__width_floats(const ligo_width_factor *f, int full) {
    int64_t hb = f->big / f->heads, hs = f->small / f->heads;
    return f->heads * (full ? hb * hs : (hb - hs) * hs);
}

static ligo_status ligo__check_pair(ligo_ctx *ctx, const ligo_config *s, const ligo_config *l, int head_dim) {
    const char *who = "ligo_grow_new";
    if (s->family != l->family)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: cannot grow a %s model into a %s model", who,
                              ligo_family_name(s->family), ligo_family_name(l->family));
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
static int ligo__widened(const ligo_grow *g, int64_t i) {
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
    if (ligo_config_check(ctx, &lc) != LIGO_OK) return NULL;
    if (ligo__check_pair(ctx, &small->cfg, &lc, cfg->grow_head_dim) != LIGO_OK) return NULL;
    if (cfg->grow_head_dim && cfg->method == LIGO_GROW_AKI && lc.d_model > small->cfg.d_model) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_new: aki adds whole heads; it cannot grow the head dimension");
        return NULL;
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
            if (ld) {
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

/* ------------------------------------------------------ materialisation */

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

/* ----------------------------------------------------------- fit, apply */

/* The operator's AdamW: eps 1e-6, no weight decay (docs/design.md 4.5);
 * made once per operator and reused by every fitting. */
static ligo_optim *ligo__fit_optim(ligo_ctx *ctx, ligo_grow *g) {
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

LIGO_API ligo_status ligo_grow_fit(ligo_ctx *ctx, ligo_grow *g, const ligo_data *d) {
    ligo_optim *opt;
    ligo_schedule sched;
    int32_t *in, *tg;
    float *img = NULL;
    ligo_tensor **w;
    int64_t B, T, every;
    ligo_mark outer;
    double f0, t0;
    int stopped = 0, printed = 0;
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
    in = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    tg = (int32_t *)ligo_alloc_scratch(ctx, (size_t)(B * (T + 1)) * sizeof(int32_t));
    w = (ligo_tensor **)ligo_alloc_scratch(ctx, (size_t)g->shape->n_tensors * sizeof(ligo_tensor *));
    if (g->large.family == LIGO_VIT)
        img = (float *)ligo_alloc_scratch(ctx, (size_t)(B * g->large.image_h * g->large.image_w) * sizeof(float));
    if (!in || !tg || !w || (g->large.family == LIGO_VIT && !img)) return ctx->status;
    f0 = ctx->flops_fwd + ctx->flops_bwd;
    t0 = ligo_time_sec();
    while (g->fit_step < g->cfg.fit_steps) {
        int64_t step = g->fit_step;
        ligo_mark mk = ligo_scratch_mark(ctx);
        ligo_batch bt;
        ligo_tensor *loss;
        double norm;
        if (g->cfg.interrupt && *g->cfg.interrupt) {
            stopped = 1;
            break;
        }
        if (ligo_data_batch(ctx, d, &g->large, &g->fit_rng, B, T, in, tg, img) != LIGO_OK) break;
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
        g->fit_step = step + 1;
        if (g->cfg.progress)
            printed = fprintf(stderr, "\rligo grow: fitting step %lld/%lld  loss %.4f   ", (long long)step + 1,
                              (long long)g->cfg.fit_steps, (double)loss->data[0]);
        ligo_scratch_rewind(ctx, mk);
        if (g->cfg.fit_ckpt_path && ((every > 0 && g->fit_step % every == 0) || g->fit_step == g->cfg.fit_steps)) {
            ligo__fit_count(ctx, g, &f0, &t0);
            if (ligo_grow_save_state(ctx, g, g->cfg.fit_ckpt_path) != LIGO_OK) break;
        }
    }
    if (g->cfg.progress && printed) fputc('\n', stderr);
    ligo__fit_count(ctx, g, &f0, &t0);
    ligo_scratch_rewind(ctx, outer);
    if (stopped && g->cfg.fit_ckpt_path) ligo_grow_save_state(ctx, g, g->cfg.fit_ckpt_path);
    /* done, or failed (a later call starts afresh); an interrupt keeps it open */
    if (ctx->status != LIGO_OK || g->fit_step == g->cfg.fit_steps) g->fit_active = 0;
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

static void ligo__grow_meta_values(const ligo_grow *g, char v[][64]) {
    snprintf(v[0], 64, "%s", ligo_grow_method_name(g->cfg.method));
    snprintf(v[1], 64, "%lld", (long long)g->small->cfg.n_layer);
    snprintf(v[2], 64, "%lld", (long long)g->small->cfg.d_model);
    snprintf(v[3], 64, "%lld", (long long)g->small->cfg.d_ff);
    snprintf(v[4], 64, "%d", g->cfg.full_width != 0);
    snprintf(v[5], 64, "%d", g->cfg.width_first != 0);
    snprintf(v[6], 64, "%d", g->cfg.grow_head_dim != 0);
    snprintf(v[7], 64, "%d", g->cfg.residual != 0);
    snprintf(v[LIGO__GROW_META_NOISE], 64, "%.9g", g->noise ? (double)g->cfg.noise : 0.0);
}

LIGO_API ligo_status ligo_grow_save(ligo_ctx *ctx, const ligo_grow *g, const char *path) {
    ligo_safetensors st;
    ligo_mark mk;
    ligo__piece *pc;
    char v[LIGO__GROW_NMETA][64];
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
    char v[LIGO__GROW_NMETA][64];
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
    if (lc.family != g->large.family || lc.n_layer != g->large.n_layer || lc.d_model != g->large.d_model ||
        lc.n_head != g->large.n_head || lc.d_ff != g->large.d_ff) {
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

/* ------------------------------------------------------ fitting state */

#define LIGO__FIT_NMETA 6
static const char *ligo__fit_meta_keys[LIGO__FIT_NMETA] = {"ligo.fit.step",    "ligo.fit.rng",
                                                          "ligo.fit.flops",   "ligo.fit.seconds",
                                                          "ligo.fit.loss_first", "ligo.fit.loss_last"};

LIGO_API ligo_status ligo_grow_save_state(ligo_ctx *ctx, const ligo_grow *g, const char *path) {
    ligo_safetensors st;
    ligo_mark mk;
    ligo__piece *pc;
    char v[LIGO__GROW_NMETA][64], f[LIGO__FIT_NMETA][80];
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
    snprintf(f[0], sizeof f[0], "%lld", (long long)g->fit_step);
    ligo__meta_rng_str(&g->fit_rng, f[1], sizeof f[1]);
    snprintf(f[2], sizeof f[2], "%.17g", g->fit_flops);
    snprintf(f[3], sizeof f[3], "%.17g", g->fit_seconds);
    snprintf(f[4], sizeof f[4], "%.9g", (double)g->fit_loss_first); /* %.9g: a float exactly */
    snprintf(f[5], sizeof f[5], "%.9g", (double)g->fit_loss_last);
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
    char v[LIGO__GROW_NMETA][64];
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
    if (lc.family != g->large.family || lc.n_layer != g->large.n_layer || lc.d_model != g->large.d_model ||
        lc.n_head != g->large.n_head || lc.d_ff != g->large.d_ff) {
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
        ok = k == 0 ? ligo__meta_count(fv[k], &step) : k == 1 ? ligo__meta_rng(fv[k], &rng)
                                                                 : ligo__meta_real(fv[k], &num[k - 2]);
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
