/* test_def.c: models of one's own (ligo_model_def) and generation.
 *
 * The model under test is a "toy" written here: token embedding, blocks of
 * x += W ln(x) + b (the block's output marked as writing into the residual
 * stream, or not, by the definition's user pointer), a final LayerNorm and
 * a head tied to the embedding. Its loss is recomputed in float64 by hand;
 * checkpoints round-trip and refuse the wrong definition; growth works from
 * its schema alone (FPI preserves its function exactly, a closed-form
 * property) and refuses what the schema does not declare; it trains.
 * ligo_generate: greedy ids against the argmax of a forward over the whole
 * sequence, sampling from a model whose logits are all equal against the
 * uniform distribution, bad input. */
#include "harness.h"

#include <stdlib.h>

static ligo_ctx *new_ctx(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = 2;
    return ligo_ctx_new(&p);
}

/* ------------------------------------------------------------- the toy */

/* a matrix (d0, d1) holding streams (s0, s1), or a vector (d1 0) of s0 */
static ligo_status toy_add(ligo_params *ps, const char *name, int64_t d0, int64_t d1, ligo_stream s0, ligo_stream s1,
                           int layer, int module, int bias, ligo_init init, unsigned flags) {
    ligo_param_spec p;
    memset(&p, 0, sizeof p);
    p.name = name;
    p.ndim = d1 ? 2 : 1;
    p.shape[0] = d0;
    p.shape[1] = d1 ? d1 : 1;
    p.stream[0] = s0;
    p.stream[1] = d1 ? s1 : LIGO_STREAM_FIXED;
    p.layer = layer;
    p.module = module;
    p.bias = bias;
    p.init = init;
    p.flags = flags;
    return ligo_params_add(ps, &p);
}

/* user: an int, 1 to mark the blocks' outputs LIGO_PARAM_RESID_OUT */
static ligo_status toy_params(ligo_params *ps, const ligo_config *c, void *user) {
    unsigned out = *(const int *)user ? LIGO_PARAM_RESID_OUT : 0u;
    int64_t C = c->d_model;
    int l;
    char nm[4][32];
    if (toy_add(ps, "emb", c->vocab, C, LIGO_STREAM_FIXED, LIGO_STREAM_EMB, -1, -1, 0, LIGO_INIT_NORMAL, LIGO_PARAM_EMBEDDING))
        return LIGO_EINVAL;
    for (l = 0; l < c->n_layer; l++) {
        snprintf(nm[0], sizeof nm[0], "b%d.ln.w", l);
        snprintf(nm[1], sizeof nm[1], "b%d.ln.b", l);
        snprintf(nm[2], sizeof nm[2], "b%d.w", l);
        snprintf(nm[3], sizeof nm[3], "b%d.b", l);
        if (toy_add(ps, nm[0], C, 0, LIGO_STREAM_EMB, LIGO_STREAM_FIXED, l, LIGO_MOD_LN2, 0, LIGO_INIT_ONES, 0) ||
            toy_add(ps, nm[1], C, 0, LIGO_STREAM_EMB, LIGO_STREAM_FIXED, l, LIGO_MOD_LN2, 1, LIGO_INIT_ZEROS, 0) ||
            toy_add(ps, nm[2], C, C, LIGO_STREAM_EMB, LIGO_STREAM_EMB, l, LIGO_MOD_FC2, 0, LIGO_INIT_NORMAL, LIGO_PARAM_DECAY | out) ||
            toy_add(ps, nm[3], C, 0, LIGO_STREAM_EMB, LIGO_STREAM_FIXED, l, LIGO_MOD_FC2, 1, LIGO_INIT_ZEROS, out))
            return LIGO_EINVAL;
    }
    if (toy_add(ps, "lnf.w", C, 0, LIGO_STREAM_EMB, LIGO_STREAM_FIXED, -1, -1, 0, LIGO_INIT_ONES, LIGO_PARAM_TIED_HEAD_IN) ||
        toy_add(ps, "lnf.b", C, 0, LIGO_STREAM_EMB, LIGO_STREAM_FIXED, -1, -1, 1, LIGO_INIT_ZEROS, LIGO_PARAM_TIED_HEAD_IN))
        return LIGO_EINVAL;
    return LIGO_OK;
}

static ligo_tensor *toy_forward(ligo_ctx *ctx, const ligo_model *m, ligo_tensor *const *w, const ligo_batch *bt,
                                ligo_tensor **logits_out, void *user) {
    int64_t R = bt->B * bt->T, l, L = m->cfg.n_layer;
    ligo_tensor *x = ligo_embedding(ctx, w[0], bt->inputs, R), *logits;
    (void)user;
    for (l = 0; l < L; l++) {
        ligo_tensor *const *b = w + 1 + 4 * l;
        x = ligo_add(ctx, x, ligo_linear(ctx, ligo_layernorm(ctx, x, b[0], b[1], m->cfg.ln_eps), b[2], b[3]));
    }
    logits = ligo_linear(ctx, ligo_layernorm(ctx, x, w[1 + 4 * L], w[2 + 4 * L], m->cfg.ln_eps), w[0], NULL);
    if (logits_out) *logits_out = logits;
    return bt->targets ? ligo_cross_entropy(ctx, logits, bt->targets, R, LIGO_IGNORE) : logits;
}

static int toy_marked = 1, toy_unmarked = 0;
static const ligo_model_def toy = {"toy", toy_params, toy_forward, &toy_marked};
static const ligo_model_def toy_nores = {"toy-nores", toy_params, toy_forward, &toy_unmarked};

static ligo_config toy_cfg(const ligo_model_def *def, int64_t L, int64_t C) {
    ligo_config c = ligo_config_default(LIGO_GPT);
    c.def = def;
    c.n_layer = L;
    c.d_model = C;
    c.n_head = C / 4; /* head dimension 4 */
    c.vocab = 11;
    c.ctx_len = 8;
    return c;
}

/* ln over a row in double */
static void ln64(const double *x, const float *g, const float *b, int64_t C, double eps, double *y) {
    double mu = 0.0, var = 0.0;
    int64_t k;
    for (k = 0; k < C; k++) mu += x[k];
    mu /= (double)C;
    for (k = 0; k < C; k++) var += (x[k] - mu) * (x[k] - mu);
    var /= (double)C;
    for (k = 0; k < C; k++) y[k] = (x[k] - mu) / sqrt(var + eps) * g[k] + b[k];
}

/* The toy's mean cross-entropy recomputed in float64 from its weights. */
static double toy_loss64(const ligo_model *m, const int32_t *in, const int32_t *tg, int64_t R) {
    int64_t C = m->cfg.d_model, V = m->cfg.vocab, L = m->cfg.n_layer, r, l, i, k;
    const float *emb = m->data + m->info[0].offset;
    double *x = (double *)malloc((size_t)C * sizeof(double)), *h = (double *)malloc((size_t)C * sizeof(double)),
           total = 0.0;
    for (r = 0; r < R; r++) {
        double mx = -1e300, se = 0.0, *z = (double *)malloc((size_t)V * sizeof(double));
        for (k = 0; k < C; k++) x[k] = emb[in[r] * C + k];
        for (l = 0; l < L; l++) {
            const ligo_param_info *p = &m->info[1 + 4 * l];
            const float *g = m->data + p[0].offset, *b = m->data + p[1].offset, *W = m->data + p[2].offset,
                        *bb = m->data + p[3].offset;
            ln64(x, g, b, C, m->cfg.ln_eps, h);
            for (i = 0; i < C; i++) {
                double s = bb[i];
                for (k = 0; k < C; k++) s += (double)W[i * C + k] * h[k];
                x[i] += s;
            }
        }
        ln64(x, m->data + m->info[1 + 4 * L].offset, m->data + m->info[2 + 4 * L].offset, C, m->cfg.ln_eps, h);
        for (i = 0; i < V; i++) {
            z[i] = 0.0;
            for (k = 0; k < C; k++) z[i] += (double)emb[i * C + k] * h[k];
            mx = z[i] > mx ? z[i] : mx;
        }
        for (i = 0; i < V; i++) se += exp(z[i] - mx);
        total += mx + log(se) - z[tg[r]];
        free(z);
    }
    free(x);
    free(h);
    return total / (double)R;
}

/* 600 bytes of a learnable pattern as GPT data (ids < 11). */
static void toy_data(ligo_ctx *ctx, ligo_data *d) {
    unsigned char bytes[600];
    int i;
    for (i = 0; i < 600; i++) bytes[i] = (unsigned char)((i * 7 + i / 5) % 11);
    memset(d, 0, sizeof *d);
    d->family = LIGO_GPT;
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, bytes, sizeof bytes, &d->tokens), LIGO_OK);
    d->tokens.vocab = 11;
}

/* The toy's loss against float64, its gradient against central differences
 * of that float64 loss (every tensor, a few entries each), and a training
 * run through the trainer that lowers the validation loss. */
static void test_def_loss_and_training(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config c = toy_cfg(&toy, 2, 8);
    ligo_model *m = ligo_model_new(ctx, &c);
    ligo_train_config tc = ligo_train_config_default();
    ligo_trainer *tr;
    ligo_eval_result e0;
    ligo_data d;
    ligo_batch bt;
    ligo_tensor *loss;
    int32_t in[12], tg[12];
    int64_t i, t;
    CHECK(m != NULL && m->n_tensors == 1 + 4 * 2 + 2);
    if (!m) return;
    CHECK(strcmp(ligo_config_def(&m->cfg)->name, "toy") == 0);
    ligo_model_init(m, 5);
    for (i = 0; i < m->n_floats; i++) m->data[i] += 0.05f * (float)((i * 37 % 17) - 8) / 8.0f; /* not at the init */
    for (i = 0; i < 12; i++) in[i] = (int32_t)((i * 5 + 1) % 11), tg[i] = (int32_t)((i * 3 + 2) % 11);
    memset(&bt, 0, sizeof bt);
    bt.B = 2, bt.T = 6, bt.inputs = in, bt.targets = tg;
    ligo_model_zero_grad(m);
    loss = ligo_model_loss(ctx, m, &bt, NULL);
    CHECK(loss != NULL);
    if (!loss) return;
    CHECK_NEAR(loss->data[0], toy_loss64(m, in, tg, 12), 2e-6 * fabs(toy_loss64(m, in, tg, 12)));
    CHECK_STATUS(ligo_backward(ctx, loss), LIGO_OK);
    for (t = 0; t < m->n_tensors; t++) {
        const ligo_param_info *p = &m->info[t];
        for (i = 0; i < p->n; i += p->n / 3 + 1) {
            float *x = m->data + p->offset + i, keep = *x;
            double up, down, fd, h = 1e-3;
            *x = (float)(keep + h);
            up = toy_loss64(m, in, tg, 12);
            *x = (float)(keep - h);
            down = toy_loss64(m, in, tg, 12);
            *x = keep;
            fd = (up - down) / (2.0 * h);
            CHECK_MSG(fabs(m->grad[p->offset + i] - fd) <= 2e-3 * fabs(fd) + 2e-4, "%s[%lld]: gradient %.6g, differences %.6g",
                      p->name, (long long)i, m->grad[p->offset + i], fd);
        }
    }
    toy_data(ctx, &d);
    CHECK_STATUS(ligo_evaluate(ctx, m, &d, 4, 8, 0, &e0), LIGO_OK);
    tc.steps = 60, tc.batch = 8, tc.ctx = 8, tc.sched.lr_max = 1e-2f, tc.sched.warmup = 5, tc.progress = 0;
    tr = ligo_trainer_new(ctx, m, &d, &tc);
    CHECK(tr != NULL);
    if (tr) CHECK_STATUS(ligo_trainer_run(ctx, tr), LIGO_OK);
    if (tr) CHECK_MSG(tr->last_val < e0.loss - 0.3, "validation loss %.4f after training, %.4f before", tr->last_val, e0.loss);
    ligo_ctx_free(ctx);
}

/* Save, load with its definition (bitwise the same), and the refusals:
 * without a definition, with another one, and a built-in checkpoint read
 * as the toy. A bad declaration is an error naming the parameter. */
static ligo_status dup_params(ligo_params *ps, const ligo_config *c, void *user) {
    (void)user;
    if (toy_add(ps, "w", c->d_model, 0, LIGO_STREAM_FIXED, LIGO_STREAM_FIXED, -1, -1, 0, LIGO_INIT_ONES, 0)) return LIGO_EINVAL;
    return toy_add(ps, "w", c->d_model, 0, LIGO_STREAM_FIXED, LIGO_STREAM_FIXED, -1, -1, 0, LIGO_INIT_ONES, 0);
}
static ligo_status stray_params(ligo_params *ps, const ligo_config *c, void *user) {
    (void)user;
    return toy_add(ps, "stray", c->d_model, 0, LIGO_STREAM_FIXED, LIGO_STREAM_FIXED, -1, LIGO_MOD_FC1, 0, LIGO_INIT_ONES, 0);
}

static void test_def_checkpoint(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config c = toy_cfg(&toy, 2, 8), gc = ligo_config_default(LIGO_GPT), bad = c;
    ligo_model *m = ligo_model_new(ctx, &c), *back, *gpt;
    const ligo_model_def dup = {"dup", dup_params, toy_forward, NULL}, stray = {"stray", stray_params, toy_forward, NULL};
    const char *path = "build/test_def_toy.safetensors", *gpath = "build/test_def_gpt.safetensors";
    CHECK(m != NULL);
    if (!m) return;
    ligo_model_init(m, 9);
    CHECK_STATUS(ligo_model_save(ctx, m, path), LIGO_OK);
    back = ligo_model_load_def(ctx, path, &toy);
    CHECK(back != NULL && back->n_floats == m->n_floats &&
          memcmp(back->data, m->data, (size_t)m->n_floats * sizeof(float)) == 0 && back->cfg.def == &toy);
    CHECK(ligo_model_load(ctx, path) == NULL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "holds a model defined as \"toy\"") != NULL, "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    CHECK(ligo_model_load_def(ctx, path, &toy_nores) == NULL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "\"toy\"") && strstr(ligo_get_error(ctx), "not toy-nores"), "%s",
              ligo_get_error(ctx));
    ligo_clear_error(ctx);
    gc.n_layer = 1, gc.d_model = 8, gc.n_head = 2, gc.ctx_len = 8;
    gpt = ligo_model_new(ctx, &gc);
    CHECK(gpt && ligo_model_save(ctx, gpt, gpath) == LIGO_OK);
    CHECK(ligo_model_load_def(ctx, gpath, &toy) == NULL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "holds the built-in gpt model, not one defined as \"toy\"") != NULL, "%s",
              ligo_get_error(ctx));
    ligo_clear_error(ctx);
    bad.def = &dup;
    CHECK(ligo_model_new(ctx, &bad) == NULL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "ligo_params_add: w is declared twice") != NULL, "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    bad.def = &stray;
    CHECK(ligo_model_new(ctx, &bad) == NULL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "stray: a block module") != NULL, "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_model_export_hf(ctx, m, "build"), LIGO_EINVAL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "toy is a model of one's own") != NULL, "%s", ligo_get_error(ctx));
    ligo_ctx_free(ctx);
    remove(path);
    remove(gpath);
}

/* Growth from the schema alone: FPI (noise 0) to 2x deep and wide keeps
 * the toy's loss (function preservation, checked against the float64
 * loss); every other method grows it and the grown model trains; without
 * LIGO_PARAM_RESID_OUT, FPI's depth growth refuses naming the flag while
 * width-only FPI still works. */
static void test_def_growth(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = toy_cfg(&toy, 2, 8), lc = toy_cfg(&toy, 4, 16), wide = toy_cfg(&toy_nores, 2, 16);
    ligo_model *s = ligo_model_new(ctx, &sc), *s2;
    ligo_data d;
    ligo_grow_config gc;
    ligo_mark base;
    int32_t in[16], tg[16];
    int method, i;
    CHECK(s != NULL);
    if (!s) return;
    ligo_model_init(s, 3);
    for (i = 0; i < (int)s->n_floats; i++) s->data[i] += 0.1f * (float)((i * 29 % 13) - 6) / 6.0f;
    for (i = 0; i < 16; i++) in[i] = (int32_t)((i * 5 + 3) % 11), tg[i] = (int32_t)((i * 7 + 1) % 11);
    toy_data(ctx, &d);
    base = ligo_persistent_mark(ctx);
    for (method = 0; method < LIGO_GROW_COUNT; method++) {
        ligo_grow *g;
        ligo_model *big;
        gc = ligo_grow_config_default((ligo_grow_method)method);
        gc.noise = 0.0f, gc.fit_steps = 5, gc.batch = 4, gc.ctx = 8, gc.progress = 0;
        g = ligo_grow_new(ctx, s, &lc, &gc);
        CHECK_MSG(g != NULL, "%s: %s", ligo_grow_method_name((ligo_grow_method)method), ligo_get_error(ctx));
        if (!g) {
            ligo_clear_error(ctx);
            continue;
        }
        CHECK_STATUS(ligo_grow_fit(ctx, g, &d), LIGO_OK);
        big = ligo_grow_apply(ctx, g);
        CHECK(big != NULL && big->cfg.def == &toy && big->cfg.n_layer == 4 && big->cfg.d_model == 16);
        if (big && method == LIGO_GROW_FPI)
            CHECK_NEAR(toy_loss64(big, in, tg, 16), toy_loss64(s, in, tg, 16), 1e-5 * toy_loss64(s, in, tg, 16));
        if (big) {
            ligo_train_config tc = ligo_train_config_default();
            ligo_trainer *tr;
            tc.steps = 5, tc.batch = 4, tc.ctx = 8, tc.progress = 0;
            tr = ligo_trainer_new(ctx, big, &d, &tc);
            CHECK(tr != NULL && ligo_trainer_run(ctx, tr) == LIGO_OK && isfinite(tr->last_val));
        }
        ligo_persistent_rewind(ctx, base);
    }
    /* the same toy without the flag */
    sc.def = &toy_nores;
    lc.def = &toy_nores;
    s2 = ligo_model_new(ctx, &sc);
    CHECK(s2 != NULL);
    if (s2) {
        memcpy(s2->data, s->data, (size_t)s->n_floats * sizeof(float));
        gc = ligo_grow_config_default(LIGO_GROW_FPI);
        gc.noise = 0.0f;
        CHECK(ligo_grow_new(ctx, s2, &lc, &gc) == NULL);
        CHECK_MSG(strstr(ligo_get_error(ctx), "toy-nores's schema marks none (LIGO_PARAM_RESID_OUT)") != NULL, "%s",
                  ligo_get_error(ctx));
        ligo_clear_error(ctx);
        CHECK(ligo_grow_new(ctx, s2, &wide, &gc) != NULL);
        /* two definitions are not one model */
        CHECK(ligo_grow_new(ctx, s, &wide, &gc) == NULL);
        CHECK_MSG(strstr(ligo_get_error(ctx), "toy") != NULL, "%s", ligo_get_error(ctx));
    }
    ligo_ctx_free(ctx);
}

/* A toy trained 12 steps in one run equals one stopped after 6, saved,
 * and resumed into a fresh trainer (bitwise: weights and the last loss);
 * the checkpoint does not resume into a trainer of another definition. */
static void test_def_resume(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config c = toy_cfg(&toy, 2, 8), other = toy_cfg(&toy_nores, 2, 8);
    ligo_model *a = ligo_model_new(ctx, &c), *b = ligo_model_new(ctx, &c), *o = ligo_model_new(ctx, &other);
    ligo_train_config tc = ligo_train_config_default();
    ligo_trainer *ta, *tb, *tb2, *to;
    ligo_data d;
    const char *path = "build/test_def_resume.safetensors";
    CHECK(a && b && o);
    if (!a || !b || !o) return;
    toy_data(ctx, &d);
    ligo_model_init(a, 8);
    ligo_model_init(b, 8);
    tc.steps = 12, tc.batch = 4, tc.ctx = 8, tc.progress = 0, tc.eval_windows = 4;
    ta = ligo_trainer_new(ctx, a, &d, &tc);
    CHECK(ta && ligo_trainer_run(ctx, ta) == LIGO_OK);
    tb = ligo_trainer_new(ctx, b, &d, &tc);
    CHECK(tb != NULL);
    if (!ta || !tb) return;
    while (tb->step < 6) CHECK_STATUS(ligo_trainer_step(ctx, tb, NULL), LIGO_OK);
    CHECK_STATUS(ligo_trainer_save(ctx, tb, path), LIGO_OK);
    ligo_model_init(b, 99); /* the resumed trainer must bring the weights back */
    tb2 = ligo_trainer_new(ctx, b, &d, &tc);
    CHECK(tb2 && ligo_trainer_resume(ctx, tb2, path) == LIGO_OK && tb2->step == 6);
    if (tb2) CHECK_STATUS(ligo_trainer_run(ctx, tb2), LIGO_OK);
    CHECK(tb2 && tb2->step == 12 && memcmp(a->data, b->data, (size_t)a->n_floats * sizeof(float)) == 0 &&
          tb2->last_loss == ta->last_loss);
    to = ligo_trainer_new(ctx, o, &d, &tc);
    CHECK(to != NULL);
    if (to) CHECK_STATUS(ligo_trainer_resume(ctx, to, path), LIGO_EFORMAT);
    CHECK_MSG(strstr(ligo_get_error(ctx), "\"toy\"") != NULL, "%s", ligo_get_error(ctx));
    remove(path);
    ligo_ctx_free(ctx);
}

/* ----------------------------------------------------------- generation */

static ligo_model *tiny_gpt(ligo_ctx *ctx, uint64_t seed) {
    ligo_config c = ligo_config_default(LIGO_GPT);
    ligo_model *m;
    c.n_layer = 1, c.d_model = 16, c.n_head = 2, c.vocab = 11, c.ctx_len = 8;
    m = ligo_model_new(ctx, &c);
    if (m) ligo_model_init(m, seed);
    return m;
}

/* Greedy: each new id is the argmax of the logits a forward over the
 * sequence so far (its last ctx_len ids) gives at its last position; the
 * sequence runs past the context. */
static void test_generate_greedy(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_model *m = tiny_gpt(ctx, 4);
    int32_t prompt[3] = {1, 5, 2}, out[20];
    ligo_rng rng;
    int64_t k, i;
    CHECK(m != NULL);
    if (!m) return;
    for (i = 0; i < m->n_floats; i++) m->data[i] *= 20.0f; /* sharp logits: no near ties */
    ligo_rng_seed(&rng, 1);
    CHECK_STATUS(ligo_generate(ctx, m, prompt, 3, 17, 0.0, &rng, out), LIGO_OK);
    CHECK(out[0] == 1 && out[1] == 5 && out[2] == 2);
    for (k = 3; k < 20; k++) {
        int64_t T = k < 8 ? k : 8, best = 0;
        ligo_batch bt;
        ligo_tensor *logits;
        ligo_mark mk = ligo_scratch_mark(ctx);
        memset(&bt, 0, sizeof bt);
        bt.B = 1, bt.T = T, bt.inputs = out + k - T;
        logits = ligo_model_loss(ctx, m, &bt, NULL);
        CHECK(logits != NULL && logits->shape[0] == T && logits->shape[1] == 11);
        if (!logits) break;
        for (i = 1; i < 11; i++)
            if (logits->data[(T - 1) * 11 + i] > logits->data[(T - 1) * 11 + best]) best = i;
        CHECK_MSG(out[k] == best, "position %lld: generated %d, argmax %lld", (long long)k, (int)out[k], (long long)best);
        ligo_scratch_rewind(ctx, mk);
    }
    ligo_ctx_free(ctx);
}

/* Sampling at temperature 1 from a model whose weights are all zero (every
 * logit 0): the uniform distribution, by a chi-square bound; the same seed
 * gives the same ids. */
static void test_generate_sampling(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_model *m = tiny_gpt(ctx, 4);
    enum { N = 3000 };
    int32_t *out = (int32_t *)malloc((N + 1) * sizeof(int32_t)), *again = (int32_t *)malloc((N + 1) * sizeof(int32_t));
    int64_t count[11] = {0}, i;
    double chi2 = 0.0;
    ligo_rng rng;
    CHECK(m != NULL);
    if (!m) return;
    memset(m->data, 0, (size_t)m->n_floats * sizeof(float));
    out[0] = 3;
    ligo_rng_seed(&rng, 77);
    CHECK_STATUS(ligo_generate(ctx, m, out, 1, N, 1.0, &rng, out), LIGO_OK);
    ligo_rng_seed(&rng, 77);
    again[0] = 3;
    CHECK_STATUS(ligo_generate(ctx, m, again, 1, N, 1.0, &rng, again), LIGO_OK);
    CHECK(memcmp(out, again, (N + 1) * sizeof(int32_t)) == 0);
    for (i = 1; i <= N; i++) {
        CHECK(out[i] >= 0 && out[i] < 11);
        if (out[i] >= 0 && out[i] < 11) count[out[i]]++;
    }
    for (i = 0; i < 11; i++) chi2 += (count[i] - N / 11.0) * (count[i] - N / 11.0) / (N / 11.0);
    CHECK_MSG(chi2 < 29.6, "chi-square %.1f over 10 degrees of freedom (p = 0.001 at 29.6)", chi2);
    free(out);
    free(again);
    ligo_ctx_free(ctx);
}

static void test_generate_bad_input(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_model *m = tiny_gpt(ctx, 4), *bert;
    ligo_config bc = ligo_config_default(LIGO_BERT);
    int32_t prompt[2] = {1, 11}, out[8];
    ligo_rng rng;
    ligo_rng_seed(&rng, 1);
    CHECK_STATUS(ligo_generate(ctx, m, prompt, 2, 3, 0.0, &rng, out), LIGO_ERANGE);
    CHECK_MSG(strstr(ligo_get_error(ctx), "prompt id 1 is 11, outside the vocabulary of 11") != NULL, "%s",
              ligo_get_error(ctx));
    ligo_clear_error(ctx);
    prompt[1] = 2;
    CHECK_STATUS(ligo_generate(ctx, m, prompt, 2, 3, (double)NAN, &rng, out), LIGO_EINVAL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "temperature is nan") != NULL, "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_generate(ctx, m, prompt, 0, 3, 1.0, &rng, out), LIGO_EINVAL);
    ligo_clear_error(ctx);
    bc.n_layer = 1, bc.d_model = 8, bc.n_head = 2, bc.ctx_len = 8;
    bert = ligo_model_new(ctx, &bc);
    CHECK_STATUS(ligo_generate(ctx, bert, prompt, 2, 3, 1.0, &rng, out), LIGO_EINVAL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "a bert model does not predict the next token") != NULL, "%s",
              ligo_get_error(ctx));
    ligo_ctx_free(ctx);
}

void suite_def(void) {
    RUN(test_def_loss_and_training);
    RUN(test_def_checkpoint);
    RUN(test_def_growth);
    RUN(test_def_resume);
    RUN(test_generate_greedy);
    RUN(test_generate_sampling);
    RUN(test_generate_bad_input);
}
