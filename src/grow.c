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
    c.progress = 1; /* reports go to on_progress, NULL by default */
    return c;
}

static int ligo__learns_width(ligo_grow_method m) { return m == LIGO_GROW_LIGO || m == LIGO_GROW_LIGO_WIDTH; }
static int ligo__learns_depth(ligo_grow_method m) { return m == LIGO_GROW_LIGO || m == LIGO_GROW_LIGO_DEPTH; }

/* A block module's part in a model, from its schema: module m (LIGO_MOD_*)
 * of layer `layer`, kind 0 (weight or gain) or 1 (bias); Q, K and V are
 * row blocks of a fused projection, starting at *row0. NULL when the
 * schema has no such part. */
LIGO__PRIV const ligo_param_info *ligo__module(const ligo_model *md, int64_t layer, int m, int kind, int64_t *row0) {
    int64_t i = ligo_model_find_module(md, layer, m, kind, row0);
    return i >= 0 ? &md->info[i] : NULL;
}

/* Rows and columns (0: a vector) of module m's part in a model. */
LIGO__PRIV void ligo__mod_shape(const ligo_model *md, int m, int kind, int64_t *rows, int64_t *cols) {
    const ligo_param_info *p = ligo__module(md, 0, m, kind, NULL);
    *rows = !p ? 0 : p->module == LIGO_MOD_QKV ? p->shape[0] / 3 : p->shape[0];
    *cols = p && p->ndim == 2 ? p->shape[1] : 0;
}

LIGO__PRIV int64_t ligo__mod_len(const ligo_model *md, int m, int kind) {
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

/* Units of a stream in a config. */
static int64_t ligo__stream_width(const ligo_config *c, ligo_stream s) {
    if (s == LIGO_STREAM_FFN) return c->d_ff;
    /* LLaMA's grouped keys and values: n_kv_head whole heads */
    if (c->family == LIGO_LLAMA && (s == LIGO_STREAM_K || s == LIGO_STREAM_V)) return c->n_kv_head * (c->d_model / c->n_head);
    return c->d_model;
}

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
LIGO__PRIV int64_t ligo__width_floats(const ligo_width_factor *f, int full) {
    int64_t hb = f->big / f->heads, hs = f->small / f->heads;
    return f->heads * (full ? hb * hs : (hb - hs) * hs);
}

static ligo_status ligo__check_pair(ligo_ctx *ctx, const ligo_config *s, const ligo_config *l, int head_dim) {
    const char *who = "ligo_grow_new";
    if (s->family != l->family)
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: cannot grow a %s model into a %s model", who,
                              ligo_family_name(s->family), ligo_family_name(l->family));
    if (ligo_config_def(s) != ligo_config_def(l))
        return ligo_set_error(ctx, LIGO_EINVAL, "%s: the large config's model definition (%s) is not the small model's (%s)",
                              who, ligo_config_def(l)->name, ligo_config_def(s)->name);
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
    if (l->family == LIGO_LLAMA) {
        if (l->n_kv_head < s->n_kv_head)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: the large n_kv_head %lld is smaller than the small model's %lld",
                                  who, (long long)l->n_kv_head, (long long)s->n_kv_head);
        if (l->rope_theta != s->rope_theta)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: the large rope_theta %g differs from the small model's %g "
                                  "(growth keeps it)", who, (double)l->rope_theta, (double)s->rope_theta);
        if (l->untied_head != s->untied_head)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: the large untied_head %d differs from the small model's %d "
                                  "(growth keeps the head's tying)", who, l->untied_head, s->untied_head);
        if (head_dim)
            return ligo_set_error(ctx, LIGO_EINVAL, "%s: a llama model keeps its head dimension (RoPE turns fixed pairs "
                                  "of it); grow_head_dim is refused", who);
    }
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
LIGO__PRIV int ligo__widened(const ligo_grow *g, int64_t i) {
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
    /* LLaMA: n_kv_head 0 scales the small model's KV heads with the head
     * count, keeping its group size (heads per KV head) */
    if (lc.family == LIGO_LLAMA && small->cfg.family == LIGO_LLAMA && lc.n_kv_head == 0) {
        int64_t group = small->cfg.n_head / small->cfg.n_kv_head;
        if (lc.n_head % group != 0) {
            ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_new: the large model's %lld heads do not split into the small "
                           "model's groups of %lld heads per KV head; give n_kv_head", (long long)lc.n_head,
                           (long long)group);
            return NULL;
        }
        lc.n_kv_head = lc.n_head / group;
    }
    if (ligo_config_check(ctx, &lc) != LIGO_OK) return NULL;
    if (ligo__check_pair(ctx, &small->cfg, &lc, cfg->grow_head_dim) != LIGO_OK) return NULL;
    if (cfg->grow_head_dim && cfg->method == LIGO_GROW_AKI && lc.d_model > small->cfg.d_model) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_new: aki adds whole heads; it cannot grow the head dimension");
        return NULL;
    }
    if (cfg->method == LIGO_GROW_FPI && lc.n_layer > small->cfg.n_layer) {
        /* new identity layers need the block's outputs into the residual
         * stream, which the schema must mark */
        int64_t i, marked = 0;
        for (i = 0; i < small->n_tensors; i++) marked += (small->info[i].flags & LIGO_PARAM_RESID_OUT) != 0;
        if (!marked) {
            ligo_set_error(ctx, LIGO_EINVAL, "ligo_grow_new: fpi adds identity layers by zeroing each block's outputs into "
                           "the residual stream, and %s's schema marks none (LIGO_PARAM_RESID_OUT)",
                           ligo_config_def(&small->cfg)->name);
            return NULL;
        }
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
            if (ld && ligo__mod_len(small, (int)m, (int)kind) > 0) { /* a part the schema has */
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
            if (ligo__mod_len(small, (int)m, (int)kind) == 0) continue; /* the schema has no such part */
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
