/* test_grow.c: the growth operator and the baselines: identity, function
 * preservation, special cases, a hand-computed expansion, gradients of the
 * operator, fitting, errors. */
#include "harness.h"

#include <stdlib.h>

static ligo_ctx *new_ctx(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = 2;
    return ligo_ctx_new(&p);
}

static ligo_config tiny(ligo_family f, int64_t L, int64_t D, int64_t H) {
    ligo_config c = ligo_config_default(f);
    c.n_layer = L;
    c.d_model = D;
    c.n_head = H;
    c.d_ff = 4 * D;
    if (f == LIGO_VIT) {
        c.image_h = 8;
        c.image_w = 8;
        c.patch = 4;
        c.n_classes = 3;
    } else {
        c.vocab = f == LIGO_BERT ? 13 : 11;
        c.ctx_len = 6;
    }
    return c;
}

/* A model with weights large enough that every path matters. */
static ligo_model *random_model(ligo_ctx *ctx, const ligo_config *c, uint64_t seed) {
    ligo_model *m = ligo_model_new(ctx, c);
    ligo_rng r;
    int64_t i, k;
    if (!m) return NULL;
    ligo_rng_seed(&r, seed);
    for (i = 0; i < m->n_tensors; i++) {
        const ligo_param_info *p = &m->info[i];
        int gain = p->ndim == 1 && strstr(p->name, "ln") && strstr(p->name, ".weight");
        for (k = 0; k < p->n; k++)
            m->data[p->offset + k] = gain ? 1.0f + 0.2f * ligo_rng_normal(&r) : 0.3f * ligo_rng_normal(&r);
    }
    return m;
}

typedef struct batch_buf {
    ligo_batch b;
    int32_t in[64], tg[64];
    float img[3 * 64];
} batch_buf;

static void make_batch(batch_buf *bb, const ligo_config *c, uint64_t seed) {
    ligo_rng r;
    int64_t i;
    ligo_rng_seed(&r, seed);
    memset(bb, 0, sizeof *bb);
    if (c->family == LIGO_VIT) {
        bb->b.B = 3;
        for (i = 0; i < 3 * 64; i++) bb->img[i] = ligo_rng_uniform(&r);
        for (i = 0; i < 3; i++) bb->tg[i] = (int32_t)ligo_rng_below(&r, 3);
        bb->b.images = bb->img;
    } else {
        bb->b.B = 2;
        bb->b.T = 6;
        for (i = 0; i < 12; i++) {
            bb->in[i] = (int32_t)ligo_rng_below(&r, (uint64_t)(c->vocab - 1));
            bb->tg[i] = c->family == LIGO_BERT ? (i % 3 == 0 ? bb->in[i] : LIGO_IGNORE) : (int32_t)ligo_rng_below(&r, (uint64_t)c->vocab);
        }
        bb->b.inputs = bb->in;
    }
    bb->b.targets = bb->tg;
}

/* A model's parameter by name ("h.%lld." filled with the layer). */
static const float *param(const ligo_model *m, const char *fmt, int64_t layer) {
    char name[64];
    int64_t i;
    snprintf(name, sizeof name, fmt, (long long)layer);
    i = ligo_model_find(m, name);
    return i >= 0 ? m->data + m->info[i].offset : NULL;
}

/* An operator's width factor by stream. */
static const ligo_width_factor *factor(const ligo_grow *g, ligo_stream s, int64_t layer) {
    int64_t k = ligo_grow_factor(g, s, layer);
    return k >= 0 ? &g->width[k] : NULL;
}

/* Largest |a - b| / max(1, |b|) between two logit tensors. */
static double rel_diff(const ligo_tensor *a, const ligo_tensor *b) {
    double m = 0.0;
    int64_t i;
    if (!a || !b || a->n != b->n) return 1e30;
    for (i = 0; i < a->n; i++) {
        double d = fabs((double)a->data[i] - b->data[i]) / (fabs(b->data[i]) > 1.0 ? fabs(b->data[i]) : 1.0);
        m = d > m ? d : m;
    }
    return m;
}

/* Same shape, one-hot depth, no width change: the small model, exactly. */
static void test_identity_growth(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config c = tiny(LIGO_GPT, 2, 16, 2);
    ligo_model *s = random_model(ctx, &c, 1), *big;
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_grow *g;
    gc.depth_noisy = 0;
    g = ligo_grow_new(ctx, s, &c, &gc);
    CHECK_MSG(g != NULL, "%s", ligo_get_error(ctx));
    big = g ? ligo_grow_apply(ctx, g) : NULL;
    CHECK(big != NULL);
    if (big) CHECK(memcmp(big->data, s->data, (size_t)s->n_floats * sizeof(float)) == 0);
    ligo_ctx_free(ctx);
}

/* FPI: logits of the grown model against the small model's (pre-LN),
 * with the symmetry-breaking noise at `noise`. */
static double fpi_deviation(ligo_family f, int64_t L2, float noise) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(f, 2, 16, 2), lc = tiny(f, L2, 32, 4);
    ligo_model *s = random_model(ctx, &sc, 2), *big;
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_FPI);
    ligo_grow *g;
    gc.noise = noise;
    g = ligo_grow_new(ctx, s, &lc, &gc);
    batch_buf bb;
    ligo_tensor *ls, *lb;
    double d = 1e30;
    make_batch(&bb, &sc, 3);
    big = g ? ligo_grow_apply(ctx, g) : NULL;
    CHECK_MSG(big != NULL, "%s", ligo_get_error(ctx));
    if (big && ligo_model_loss(ctx, s, &bb.b, &ls) && ligo_model_loss(ctx, big, &bb.b, &lb)) d = rel_diff(lb, ls);
    CHECK_MSG(ligo_get_status(ctx) == LIGO_OK, "%s", ligo_get_error(ctx));
    ligo_ctx_free(ctx);
    return d;
}

static void test_fpi_preserves_function(void) {
    double gpt = fpi_deviation(LIGO_GPT, 4, 0.0f), vit = fpi_deviation(LIGO_VIT, 4, 0.0f);
    double bert_w = fpi_deviation(LIGO_BERT, 2, 0.0f), bert_wd = fpi_deviation(LIGO_BERT, 4, 0.0f);
    CHECK_MSG(gpt < 1e-5, "GPT 2x width, 2x depth: logits differ by %.3g", gpt);
    CHECK_MSG(vit < 1e-5, "ViT 2x width, 2x depth: logits differ by %.3g", vit);
    /* post-LN: width growth is exact, new identity layers are not */
    CHECK_MSG(bert_w < 1e-5, "BERT 2x width: logits differ by %.3g", bert_w);
    CHECK_MSG(bert_wd > 1e-3, "BERT 2x depth unexpectedly exact (%.3g)", bert_wd);
    if (getenv("LIGO_TEST_VERBOSE"))
        printf("  fpi deviation: gpt %.2e vit %.2e bert(width) %.2e bert(width+depth) %.2e\n", gpt, vit, bert_w, bert_wd);
}

/* FPI with symmetry-breaking noise: the logits move, by an amount that
 * scales with the noise: within 10 x noise (relative to max(1, |logit|))
 * on these random models, the tolerance the README states. */
static void test_fpi_noise_tolerance(void) {
    static const ligo_family fam[3] = {LIGO_GPT, LIGO_VIT, LIGO_BERT};
    int i;
    for (i = 0; i < 3; i++) {
        int64_t L2 = fam[i] == LIGO_BERT ? 2 : 4;
        double d1 = fpi_deviation(fam[i], L2, 0.01f), d2 = fpi_deviation(fam[i], L2, 0.001f);
        CHECK_MSG(d1 > 1e-4 && d1 < 0.1, "%s: noise 0.01 moves the logits by %.3g", ligo_family_name(fam[i]), d1);
        CHECK_MSG(d2 > 1e-5 && d2 < 0.01, "%s: noise 0.001 moves the logits by %.3g", ligo_family_name(fam[i]), d2);
        CHECK_MSG(d2 < d1 / 3, "%s: the deviation does not shrink with the noise (%.3g, %.3g)",
                  ligo_family_name(fam[i]), d1, d2);
    }
}

/* LiGO with fixed one-hot depth (stack, no noise) and one-hot width (new
 * unit j copies j mod D1) is the stack baseline, tensor for tensor. */
static void test_ligo_special_case_is_stack(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(LIGO_GPT, 2, 16, 2), lc = tiny(LIGO_GPT, 4, 32, 4);
    ligo_model *s = random_model(ctx, &sc, 4), *a, *b;
    ligo_grow_config gl = ligo_grow_config_default(LIGO_GROW_LIGO), gs = ligo_grow_config_default(LIGO_GROW_STACK);
    ligo_grow *g, *h;
    int64_t k, i, j;
    gl.depth_noisy = 0;
    gs.noise = 0.0f;
    g = ligo_grow_new(ctx, s, &lc, &gl);
    h = ligo_grow_new(ctx, s, &lc, &gs);
    CHECK(g && h);
    if (!g || !h) return;
    for (k = 0; k < g->n_width; k++) {
        const ligo_width_factor *f = &g->width[k];
        float *C = g->data + f->offset;
        if (!f->learned) continue;
        for (i = 0; i < f->big - f->small; i++)
            for (j = 0; j < f->small; j++) C[i * f->small + j] = (float)((f->small + i) % f->small == j);
    }
    a = ligo_grow_apply(ctx, g);
    b = ligo_grow_apply(ctx, h);
    CHECK(a && b);
    if (a && b) CHECK(memcmp(a->data, b->data, (size_t)a->n_floats * sizeof(float)) == 0);
    ligo_ctx_free(ctx);
}

/* W_Q of large layer 1 recomputed by hand: B_Q(1) [sum_j w_q(1)[j] W_Q(j)]
 * B_emb^T with B = [I; C], plus its bias and ln_1's gain. */
static void test_hand_computed_expansion(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(LIGO_GPT, 2, 4, 2), lc = tiny(LIGO_GPT, 3, 6, 3);
    ligo_model *s = random_model(ctx, &sc, 5), *big;
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_grow *g = ligo_grow_new(ctx, s, &lc, &gc);
    const ligo_width_factor *fe, *fq;
    const float *wq, *wd, *ud, *Ce, *Cq;
    double Wb[4][4], bb[4], Be[6][4], Bq[6][4], want, err = 0.0;
    int64_t r, c, j, p, q, li = 1;
    CHECK(g != NULL);
    if (!g) return;
    big = ligo_grow_apply(ctx, g);
    CHECK(big != NULL);
    if (!big) return;
    fe = factor(g, LIGO_STREAM_EMB, -1);
    fq = factor(g, LIGO_STREAM_Q, li);
    CHECK(fe && fq && !strcmp(fe->name, "emb") && !strcmp(fq->name, "h.1.q"));
    if (!fe || !fq) return;
    Ce = g->data + fe->offset;
    Cq = g->data + fq->offset;
    wd = g->data + g->depth_offset[LIGO_MOD_Q][0] + li * 2;
    ud = g->data + g->depth_offset[LIGO_MOD_Q][1] + li * 2;
    for (r = 0; r < 6; r++)
        for (c = 0; c < 4; c++) {
            Be[r][c] = r < 4 ? (r == c) : Ce[(r - 4) * 4 + c];
            Bq[r][c] = r < 4 ? (r == c) : Cq[(r - 4) * 4 + c];
        }
    for (r = 0; r < 4; r++) {
        bb[r] = 0;
        for (c = 0; c < 4; c++) Wb[r][c] = 0;
        for (j = 0; j < 2; j++) {
            const float *W = param(s, "h.%lld.attn.c_attn.weight", j);
            const float *b = param(s, "h.%lld.attn.c_attn.bias", j);
            for (c = 0; c < 4; c++) Wb[r][c] += wd[j] * W[r * 4 + c]; /* Q rows come first */
            bb[r] += ud[j] * b[r];
        }
    }
    wq = param(big, "h.%lld.attn.c_attn.weight", li);
    for (r = 0; r < 6; r++)
        for (c = 0; c < 6; c++) {
            want = 0.0;
            for (p = 0; p < 4; p++)
                for (q = 0; q < 4; q++) want += Bq[r][p] * Wb[p][q] * Be[c][q];
            err = fabs(wq[r * 6 + c] - want) > err ? fabs(wq[r * 6 + c] - want) : err;
        }
    CHECK_MSG(err < 1e-5, "W_Q off by %.3g", err);
    {
        const float *bq = param(big, "h.%lld.attn.c_attn.bias", li);
        const float *g1 = param(big, "h.%lld.ln_1.weight", li);
        const float *wl = g->data + g->depth_offset[LIGO_MOD_LN1][0] + li * 2;
        err = 0.0;
        for (r = 0; r < 6; r++) {
            double gain = 0.0;
            want = 0.0;
            for (p = 0; p < 4; p++) {
                want += Bq[r][p] * bb[p];
                for (j = 0; j < 2; j++)
                    gain += Be[r][p] * wl[j] * param(s, "h.%lld.ln_1.weight", j)[p];
            }
            err = fabs(bq[r] - want) > err ? fabs(bq[r] - want) : err;
            err = fabs(g1[r] - gain) > err ? fabs(g1[r] - gain) : err;
        }
        CHECK_MSG(err < 1e-5, "bias or LayerNorm gain off by %.3g", err);
    }
    ligo_ctx_free(ctx);
}

typedef struct gc_user {
    ligo_grow *g;
    ligo_tensor **w;
    batch_buf *bb;
} gc_user;

static ligo_tensor *grow_loss(ligo_ctx *ctx, void *u) {
    gc_user *x = (gc_user *)u;
    if (ligo_grow_materialize(ctx, x->g, x->w) != LIGO_OK) return NULL;
    return ligo_model_forward(ctx, x->g->shape, x->w, &x->bb->b, NULL);
}

/* Finite differences through materialisation and the large forward. */
static void check_operator_grad(ligo_family f, int full) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(f, 1, 4, 2), lc = tiny(f, 2, 6, 3);
    ligo_model *s = random_model(ctx, &sc, 6);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_grow *g;
    batch_buf bb;
    gc_user u;
    ligo_tensor *block;
    int64_t shape[1];
    double err = -1.0;
    ligo_gradcheck_opts o = ligo_gradcheck_opts_default();
    gc.full_width = full;
    g = ligo_grow_new(ctx, s, &lc, &gc);
    CHECK(g != NULL);
    if (!g) return;
    make_batch(&bb, &sc, 7);
    u.g = g;
    u.bb = &bb;
    u.w = (ligo_tensor **)malloc((size_t)g->shape->n_tensors * sizeof(ligo_tensor *));
    shape[0] = g->n;
    block = ligo_wrap(ctx, 1, shape, g->data, g->grad);
    o.max_per_param = 400;
    o.atol = 5e-2; /* float32 rounding swamps the tiniest entries; judge against the gradient scale */
    CHECK_STATUS(ligo_check_grad(ctx, grow_loss, &u, &block, 1, &o, &err), LIGO_OK);
    CHECK_MSG(err >= 0 && err < 3e-3, "%s%s: operator gradient error %.3g", ligo_family_name(f), full ? " full" : "", err);
    if (getenv("LIGO_TEST_VERBOSE")) printf("  operator gradcheck %s%s: %.2e\n", ligo_family_name(f), full ? " full" : "", err);
    free(u.w);
    ligo_ctx_free(ctx);
}

static void test_operator_gradients(void) {
    check_operator_grad(LIGO_GPT, 0);
    check_operator_grad(LIGO_GPT, 1);
    check_operator_grad(LIGO_BERT, 0);
    check_operator_grad(LIGO_VIT, 0);
    check_operator_grad(LIGO_LLAMA, 0);
}

/* Every baseline materialises a model that runs. */
static void test_every_method_runs(void) {
    ligo_ctx *ctx = new_ctx();
    int f, m;
    for (f = 0; f < LIGO_FAMILY_COUNT; f++) {
        ligo_config sc = tiny((ligo_family)f, 2, 8, 2), lc = tiny((ligo_family)f, 4, 16, 4);
        ligo_model *s = random_model(ctx, &sc, 8);
        batch_buf bb;
        make_batch(&bb, &sc, 9);
        for (m = 0; m < LIGO_GROW_COUNT; m++) {
            ligo_grow_config gc = ligo_grow_config_default((ligo_grow_method)m);
            ligo_grow *g = ligo_grow_new(ctx, s, &lc, &gc);
            ligo_model *big = g ? ligo_grow_apply(ctx, g) : NULL;
            ligo_tensor *loss = big ? ligo_model_loss(ctx, big, &bb.b, NULL) : NULL;
            CHECK_MSG(loss && isfinite(loss->data[0]), "%s %s: %s", ligo_family_name((ligo_family)f),
                      ligo_grow_method_name((ligo_grow_method)m), ligo_get_error(ctx));
            ligo_clear_error(ctx);
        }
    }
    ligo_ctx_free(ctx);
}

static void test_grow_errors(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(LIGO_GPT, 2, 16, 2), lc;
    ligo_model *s = random_model(ctx, &sc, 1);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_grow_method m;
    lc = tiny(LIGO_GPT, 1, 32, 4);
    CHECK(ligo_grow_new(ctx, s, &lc, &gc) == NULL);
    CHECK(strstr(ligo_get_error(ctx), "smaller") != NULL);
    ligo_clear_error(ctx);
    lc = tiny(LIGO_GPT, 4, 32, 2); /* head dim 16 vs 8 */
    CHECK(ligo_grow_new(ctx, s, &lc, &gc) == NULL);
    CHECK(strstr(ligo_get_error(ctx), "head dimension") != NULL);
    ligo_clear_error(ctx);
    lc = tiny(LIGO_BERT, 4, 32, 4);
    CHECK(ligo_grow_new(ctx, s, &lc, &gc) == NULL);
    CHECK(strstr(ligo_get_error(ctx), "gpt model into a bert") != NULL);
    ligo_clear_error(ctx);
    lc = tiny(LIGO_GPT, 4, 30, 3); /* 30 / 3 = 10 != 8 */
    CHECK(ligo_grow_new(ctx, s, &lc, &gc) == NULL);
    ligo_clear_error(ctx);
    CHECK(ligo_grow_method_parse("ligo-depth", &m) == LIGO_OK && m == LIGO_GROW_LIGO_DEPTH);
    CHECK(ligo_grow_method_parse("bogus", &m) == LIGO_EINVAL);
    ligo_ctx_free(ctx);
}

/* ligo_grow_new checks every fitting field on its own, naming it with its
 * value, before it allocates anything; growth-kept fields are named too. */
static void test_grow_config_fields(void) {
    static const struct {
        int field; /* 0 fit_steps, 1 fit_warmup, 2 fit_lr, 3 fit_clip, 4 batch, 5 ctx, 6 depth_init, 7 width_init */
        double v;
        const char *want;
    } bad[] = {{0, -1, "fit_steps is -1"},
               {1, -2, "fit_warmup is -2"},
               {2, NAN, "fit_lr is nan (want a finite rate >= 0)"},
               {2, INFINITY, "fit_lr is inf"},
               {2, -1e-3, "fit_lr is -0.001"},
               {3, NAN, "fit_clip is nan"},
               {4, 0, "batch is 0"},
               {4, 2e6, "batch is 2000000"},
               {5, 7, "ctx 7 (the fitting context) is longer than the model's context 6"},
               {5, -1, "ctx is -1"},
               {6, 9, "depth_init is 9"},
               {7, 9, "width_init is 9"}};
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(LIGO_GPT, 1, 16, 2), lc = tiny(LIGO_GPT, 2, 32, 4), other;
    ligo_model *s = random_model(ctx, &sc, 1);
    ligo_grow_config gc;
    size_t i, used;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gc = ligo_grow_config_default(LIGO_GROW_LIGO);
        switch (bad[i].field) {
        case 0: gc.fit_steps = (int64_t)bad[i].v; break;
        case 1: gc.fit_warmup = (int64_t)bad[i].v; break;
        case 2: gc.fit_lr = (float)bad[i].v; break;
        case 3: gc.fit_clip = bad[i].v; break;
        case 4: gc.batch = (int64_t)bad[i].v; break;
        case 5: gc.ctx = (int64_t)bad[i].v; break;
        case 6: gc.depth_init = (ligo_depth_init)(int)bad[i].v; break;
        default: gc.width_init = (ligo_width_init)(int)bad[i].v; break;
        }
        used = ligo_persistent_used(ctx);
        CHECK(ligo_grow_new(ctx, s, &lc, &gc) == NULL);
        CHECK_STATUS(ligo_get_status(ctx), LIGO_EINVAL);
        CHECK_MSG(strstr(ligo_get_error(ctx), bad[i].want) != NULL &&
                      strncmp(ligo_get_error(ctx), "ligo_grow_new: ", 15) == 0,
                  "row %d: \"%s\" lacks \"%s\"", (int)i, ligo_get_error(ctx), bad[i].want);
        CHECK(ligo_persistent_used(ctx) == used);
        ligo_clear_error(ctx);
    }
    /* the default fitting context, 0, is the model's; the model's own is fine */
    gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    CHECK(gc.ctx == 0);
    CHECK(ligo_grow_new(ctx, s, &lc, &gc) != NULL);
    gc.ctx = 6;
    CHECK(ligo_grow_new(ctx, s, &lc, &gc) != NULL);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_OK);
    /* each field growth keeps is named with both values */
    gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    other = lc;
    other.vocab = 12;
    CHECK(ligo_grow_new(ctx, s, &other, &gc) == NULL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "the large vocab 12 differs from the small model's 11") != NULL, "%s",
              ligo_get_error(ctx));
    ligo_clear_error(ctx);
    other = lc;
    other.ctx_len = 8;
    CHECK(ligo_grow_new(ctx, s, &other, &gc) == NULL);
    CHECK(strstr(ligo_get_error(ctx), "the large ctx_len 8 differs from the small model's 6") != NULL);
    ligo_clear_error(ctx);
    other = lc;
    other.d_ff = 32; /* the small one's is 64 */
    CHECK(ligo_grow_new(ctx, s, &other, &gc) == NULL);
    CHECK(strstr(ligo_get_error(ctx), "the large d_ff 32 is smaller than the small model's 64") != NULL);
    ligo_clear_error(ctx);
    ligo_ctx_free(ctx);
}

/* ligo_grow_fit fits on the context it was given, never a shortened one:
 * a context longer than the model's is an error, and so is data too short
 * for it or of another family, before any step. */
/* The fitting's reports: one per step (phase FIT, no validation loss),
 * then one with done. */
static void count_fit_reports(void *user, const ligo_progress *p) {
    int *n = (int *)user;
    if (p->phase != LIGO_PHASE_FIT || p->val_loss != -1.0 || p->total != 2 || (!p->done && p->step != n[0] + 1))
        n[2]++;
    n[p->done ? 1 : 0]++;
}

static void test_fit_context(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(LIGO_GPT, 1, 16, 2), lc = tiny(LIGO_GPT, 2, 32, 4);
    ligo_model *s = random_model(ctx, &sc, 1);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_grow *g;
    ligo_data d, shortd;
    unsigned char bytes[400];
    int i, reports[3] = {0, 0, 0};
    for (i = 0; i < 400; i++) bytes[i] = (unsigned char)((i * 7 + i / 5) % 11);
    memset(&d, 0, sizeof d);
    d.family = LIGO_GPT;
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, bytes, sizeof bytes, &d.tokens), LIGO_OK);
    d.tokens.vocab = 11; /* the ids are < 11, the tiny model's vocabulary */
    shortd = d;
    shortd.tokens.n = 6; /* a training split of 6 tokens, one fewer than a window of 6 needs */
    shortd.tokens.split = 6;
    gc.fit_steps = 2;
    gc.batch = 2;
    gc.on_progress = count_fit_reports;
    gc.progress_user = reports;
    g = ligo_grow_new(ctx, s, &lc, &gc);
    CHECK(g != NULL);
    if (!g) return;
    CHECK_STATUS(ligo_grow_fit(ctx, g, &d), LIGO_OK);
    CHECK(g->fit_flops > 0.0);
    CHECK_MSG(reports[0] == 2 && reports[1] == 1 && reports[2] == 0, "%d steps, %d done, %d bad", reports[0], reports[1],
              reports[2]);
    g->cfg.ctx = 7; /* changed after ligo_grow_new checked it */
    CHECK_STATUS(ligo_grow_fit(ctx, g, &d), LIGO_EINVAL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "ligo_grow_fit: batch 2, ctx 7") != NULL &&
                  strstr(ligo_get_error(ctx), "context 6") != NULL,
              "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    g->cfg.ctx = 0;
    CHECK_STATUS(ligo_grow_fit(ctx, g, &shortd), LIGO_EINVAL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "ligo_grow_fit: the training split has 6 tokens, fewer than T + 1 = 7") !=
                  NULL,
              "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    shortd = d;
    shortd.family = LIGO_BERT;
    CHECK_STATUS(ligo_grow_fit(ctx, g, &shortd), LIGO_EINVAL);
    CHECK(strstr(ligo_get_error(ctx), "ligo_grow_fit: bert data for a gpt model") != NULL);
    ligo_ctx_free(ctx);
}

/* A non-finite loss stops the fitting with the trainer's checks and
 * message (the same training step), naming the step, before any update. */
static void test_fit_nonfinite(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(LIGO_GPT, 1, 16, 2), lc = tiny(LIGO_GPT, 2, 32, 4);
    ligo_model *s = random_model(ctx, &sc, 1);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_grow *g;
    ligo_data d;
    unsigned char bytes[400];
    float *before;
    int i;
    for (i = 0; i < 400; i++) bytes[i] = (unsigned char)((i * 7 + i / 5) % 11);
    memset(&d, 0, sizeof d);
    d.family = LIGO_GPT;
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, bytes, sizeof bytes, &d.tokens), LIGO_OK);
    d.tokens.vocab = 11;
    s->data[s->info[ligo_model_find(s, "ln_f.weight")].offset] = (float)NAN;
    gc.fit_steps = 2;
    gc.batch = 2;
    g = ligo_grow_new(ctx, s, &lc, &gc);
    CHECK(g != NULL);
    if (!g) return;
    before = (float *)malloc((size_t)g->n * sizeof(float));
    memcpy(before, g->data, (size_t)g->n * sizeof(float));
    CHECK_STATUS(ligo_grow_fit(ctx, g, &d), LIGO_ENONFINITE);
    CHECK_MSG(strcmp(ligo_get_error(ctx), "ligo_grow_fit: fitting stopped at step 1: the loss is nan") == 0, "%s",
              ligo_get_error(ctx));
    CHECK(g->fit_step == 0 && memcmp(before, g->data, (size_t)g->n * sizeof(float)) == 0);
    free(before);
    ligo_ctx_free(ctx);
}

/* Fitting lowers the large model's held-out loss below its value at the
 * operator's initial state (on text the test makes). */
static void test_fit_lowers_loss(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_data d;
    ligo_config sc = ligo_config_default(LIGO_GPT), lc;
    ligo_model *s, *before, *after;
    ligo_train_config tc = ligo_train_config_default();
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_trainer *tr;
    ligo_grow *g;
    ligo_eval_result e0, e1;
    char *text = (char *)malloc(30000);
    int64_t i;
    unsigned x = 1;
    {
        /* sentences of a small made-up language: structure to learn */
        static const char *words[10] = {"the cat ", "sat on ", "a mat ", "and then ", "the dog ", "ran to ",
                                        "her house. ", "it was ", "very late ", "at night. "};
        int64_t len = 0;
        while (len < 29900) {
            const char *wd;
            x = x * 1103515245u + 12345u;
            wd = words[(x >> 16) % 10];
            memcpy(text + len, wd, strlen(wd));
            len += (int64_t)strlen(wd);
        }
        i = len;
    }
    memset(&d, 0, sizeof d);
    d.family = LIGO_GPT;
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, text, (size_t)i, &d.tokens), LIGO_OK);
    free(text);
    sc.n_layer = 1;
    sc.d_model = 32;
    sc.n_head = 2;
    sc.ctx_len = 32;
    lc = sc;
    lc.n_layer = 2;
    lc.d_model = 64;
    lc.n_head = 4;
    s = ligo_model_new(ctx, &sc);
    ligo_model_init(s, 1);
    /* LIGO_TEST_SHORT: 60 training steps and 20 of fitting, not 120 and 40 */
    tc.steps = harness_short() ? 60 : 120;
    tc.batch = 8;
    tc.ctx = 32;
    tc.sched.warmup = 10;
    tc.sched.lr_max = 3e-3f;
    tc.progress = 0;
    tr = ligo_trainer_new(ctx, s, &d, &tc);
    CHECK(tr != NULL);
    if (!tr) return;
    CHECK_STATUS(ligo_trainer_run(ctx, tr), LIGO_OK);
    gc.fit_steps = harness_short() ? 20 : 40;
    gc.fit_lr = 3e-3f;
    gc.batch = 8;
    gc.ctx = 32;
    g = ligo_grow_new(ctx, s, &lc, &gc);
    before = ligo_grow_apply(ctx, g);
    CHECK_STATUS(ligo_grow_fit(ctx, g, &d), LIGO_OK);
    after = ligo_grow_apply(ctx, g);
    CHECK(before && after && g->fit_flops > 0.0);
    if (before && after) {
        CHECK_STATUS(ligo_evaluate(ctx, before, &d, 8, 32, 40, &e0), LIGO_OK);
        CHECK_STATUS(ligo_evaluate(ctx, after, &d, 8, 32, 40, &e1), LIGO_OK);
        CHECK_MSG(e1.loss < e0.loss - 0.01, "held-out loss %.4f before fitting, %.4f after", e0.loss, e1.loss);
        if (getenv("LIGO_TEST_VERBOSE"))
            printf("  fit: held-out %.4f -> %.4f (fitting loss %.4f -> %.4f)\n", e0.loss, e1.loss, (double)g->fit_loss_first,
                   (double)g->fit_loss_last);
    }
    ligo_ctx_free(ctx);
}

/* B of a learned factor as a dense double matrix (big x small): per head
 * [I; C_h] (or the full block) placed on the diagonal, read straight from
 * the operator's block. */
static void dense_factor(const ligo_grow *g, const ligo_width_factor *f, double *B) {
    int64_t h, r, c, hb = f->big / f->heads, hs = f->small / f->heads;
    int64_t per = g->cfg.full_width ? hb * hs : (hb - hs) * hs;
    memset(B, 0, (size_t)(f->big * f->small) * sizeof(double));
    for (h = 0; h < f->heads; h++) {
        const float *C = g->data + f->offset + h * per;
        for (r = 0; r < hb; r++)
            for (c = 0; c < hs; c++) {
                double v = g->cfg.full_width ? C[r * hs + c] : r < hs ? (double)(r == c) : C[(r - hs) * hs + c];
                B[(h * hb + r) * f->small + h * hs + c] = v;
            }
    }
}

/* Width first (Algorithm 1): W_Q, fc1 and fc2 of every large layer
 * recomputed by hand in double as sum_j w(i)[j] B_out(j) W(j) B_in(j)^T,
 * with each small layer's own factors and a noisy (dense) depth blend.
 * fc2 is the one not square in its widening: the library widens its F
 * side first (the cheaper order), the reference goes left to right. */
static double width_first_error(int head_dim) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(LIGO_GPT, 2, 4, 2), lc = tiny(LIGO_GPT, 3, head_dim ? 8 : 6, head_dim ? 2 : 3);
    ligo_model *s = random_model(ctx, &sc, 11), *big;
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_grow *g;
    double err = 1e30;
    int64_t D1 = sc.d_model, D2 = lc.d_model, F1 = sc.d_ff, F2 = lc.d_ff, i, j, r, c, p, q, mod;
    double *Be, *Bf, *Bq, *want;
    gc.width_first = 1;
    gc.grow_head_dim = head_dim;
    g = ligo_grow_new(ctx, s, &lc, &gc);
    big = g ? ligo_grow_apply(ctx, g) : NULL;
    CHECK_MSG(big != NULL, "%s", ligo_get_error(ctx));
    if (!big) {
        ligo_ctx_free(ctx);
        return err;
    }
    CHECK(g->n_width == 1 + 4 * sc.n_layer);
    Be = (double *)malloc((size_t)(D2 * D1) * sizeof(double));
    Bq = (double *)malloc((size_t)(D2 * D1) * sizeof(double));
    Bf = (double *)malloc((size_t)(F2 * F1) * sizeof(double));
    want = (double *)malloc((size_t)(F2 * D2) * sizeof(double));
    dense_factor(g, factor(g, LIGO_STREAM_EMB, -1), Be);
    err = 0.0;
    for (mod = 0; mod < 3; mod++) { /* W_Q, fc1, fc2 */
        static const char *blks[3] = {"h.%lld.attn.c_attn.weight", "h.%lld.mlp.c_fc.weight", "h.%lld.mlp.c_proj.weight"};
        static const int mods[3] = {LIGO_MOD_Q, LIGO_MOD_FC1, LIGO_MOD_FC2};
        int64_t R1 = mod == 1 ? F1 : D1, R2 = mod == 1 ? F2 : D2, C1 = mod == 2 ? F1 : D1, C2 = mod == 2 ? F2 : D2;
        const double *Bo = mod == 0 ? Bq : mod == 1 ? Bf : Be, *Bi = mod == 2 ? Bf : Be;
        for (i = 0; i < lc.n_layer; i++) {
            const float *got = param(big, blks[mod], i);
            const float *wd = g->data + g->depth_offset[mods[mod]][0] + i * sc.n_layer;
            memset(want, 0, (size_t)(R2 * C2) * sizeof(double));
            for (j = 0; j < sc.n_layer; j++) {
                const float *W = param(s, blks[mod], j);
                CHECK(factor(g, LIGO_STREAM_Q, j)->heads == (head_dim ? 2 : 1) && factor(g, LIGO_STREAM_FFN, j)->heads == 1);
                dense_factor(g, factor(g, LIGO_STREAM_Q, j), Bq);
                dense_factor(g, factor(g, LIGO_STREAM_FFN, j), Bf);
                for (r = 0; r < R2; r++)
                    for (c = 0; c < C2; c++) {
                        double acc = 0.0;
                        for (p = 0; p < R1; p++)
                            for (q = 0; q < C1; q++) acc += Bo[r * R1 + p] * W[p * C1 + q] * Bi[c * C1 + q];
                        want[r * C2 + c] += wd[j] * acc;
                    }
            }
            for (r = 0; r < R2 * C2; r++) err = fabs(got[r] - want[r]) > err ? fabs(got[r] - want[r]) : err;
        }
    }
    free(Be);
    free(Bq);
    free(Bf);
    free(want);
    ligo_ctx_free(ctx);
    return err;
}

static void test_width_first(void) {
    double e = width_first_error(0), eh = width_first_error(1);
    CHECK_MSG(e < 1e-5, "width-first W_Q / fc1 / fc2 off by %.3g", e);
    CHECK_MSG(eh < 1e-5, "width-first with widened heads: W_Q / fc1 / fc2 off by %.3g", eh);
}

/* Growing the head dimension: FPI keeps the function (Q scaled by
 * 1/sqrt(ratio) so q.k / sqrt(head_dim) is unchanged), for pre-LN GPT and
 * ViT at twice the width and depth with the head count fixed. */
static double fpi_head_dim_deviation(ligo_family f) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(f, 2, 16, 2), lc = tiny(f, 4, 32, 2);
    ligo_model *s = random_model(ctx, &sc, 12), *big;
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_FPI);
    ligo_grow *g;
    batch_buf bb;
    ligo_tensor *ls, *lb;
    double d = 1e30;
    gc.grow_head_dim = 1;
    gc.noise = 0.0f;
    g = ligo_grow_new(ctx, s, &lc, &gc);
    make_batch(&bb, &sc, 13);
    big = g ? ligo_grow_apply(ctx, g) : NULL;
    CHECK_MSG(big != NULL, "%s", ligo_get_error(ctx));
    if (big && ligo_model_loss(ctx, s, &bb.b, &ls) && ligo_model_loss(ctx, big, &bb.b, &lb)) d = rel_diff(lb, ls);
    ligo_ctx_free(ctx);
    return d;
}

static void test_head_dim_growth(void) {
    double gpt = fpi_head_dim_deviation(LIGO_GPT), vit = fpi_head_dim_deviation(LIGO_VIT);
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(LIGO_GPT, 2, 16, 2), lc = tiny(LIGO_GPT, 4, 32, 4);
    ligo_model *s = random_model(ctx, &sc, 1);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    CHECK_MSG(gpt < 1e-5, "GPT, heads 8 -> 16 wide: logits differ by %.3g", gpt);
    CHECK_MSG(vit < 1e-5, "ViT, heads 8 -> 16 wide: logits differ by %.3g", vit);
    /* the head count must stay; AKI only adds whole heads */
    gc.grow_head_dim = 1;
    CHECK(ligo_grow_new(ctx, s, &lc, &gc) == NULL);
    CHECK(strstr(ligo_get_error(ctx), "keeps the head count") != NULL);
    ligo_clear_error(ctx);
    lc = tiny(LIGO_GPT, 4, 32, 2);
    gc = ligo_grow_config_default(LIGO_GROW_AKI);
    gc.grow_head_dim = 1;
    CHECK(ligo_grow_new(ctx, s, &lc, &gc) == NULL);
    CHECK(strstr(ligo_get_error(ctx), "aki") != NULL);
    ligo_ctx_free(ctx);
}

/* The residual term adds to the materialised tensors, exactly. */
static void test_residual(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(LIGO_BERT, 2, 8, 2), lc = tiny(LIGO_BERT, 4, 16, 4);
    ligo_model *s = random_model(ctx, &sc, 14), *a, *b;
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_grow *g0, *g1;
    ligo_rng r;
    int64_t i, bad = 0;
    g0 = ligo_grow_new(ctx, s, &lc, &gc);
    gc.residual = 1;
    g1 = ligo_grow_new(ctx, s, &lc, &gc);
    CHECK(g0 && g1);
    if (!g0 || !g1) return;
    CHECK(g1->res_offset == g0->n && g1->n == g0->n + g1->shape->n_floats);
    CHECK(memcmp(g0->data, g1->data, (size_t)g0->n * sizeof(float)) == 0);
    for (i = 0; i < g1->shape->n_floats; i++) CHECK(g1->data[g1->res_offset + i] == 0.0f);
    ligo_rng_seed(&r, 15);
    for (i = 0; i < g1->shape->n_floats; i++) g1->data[g1->res_offset + i] = ligo_rng_normal(&r);
    a = ligo_grow_apply(ctx, g0);
    b = ligo_grow_apply(ctx, g1);
    CHECK(a && b);
    if (a && b)
        for (i = 0; i < a->n_floats; i++) bad += b->data[i] != (float)(a->data[i] + g1->data[g1->res_offset + i]);
    CHECK_MSG(bad == 0, "%lld entries are not small + residual", (long long)bad);
    ligo_ctx_free(ctx);
}

/* Finite differences with every option on: width first, widened heads,
 * the full width form and the residual term. */
static void test_option_gradients(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(LIGO_GPT, 1, 4, 2), lc = tiny(LIGO_GPT, 2, 8, 2);
    ligo_model *s = random_model(ctx, &sc, 16);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_gradcheck_opts o = ligo_gradcheck_opts_default();
    ligo_grow *g;
    batch_buf bb;
    gc_user u;
    ligo_tensor *block;
    int64_t shape[1];
    int full;
    for (full = 0; full < 2; full++) {
        double err = -1.0;
        gc.width_first = 1;
        gc.grow_head_dim = 1;
        gc.residual = 1;
        gc.full_width = full;
        g = ligo_grow_new(ctx, s, &lc, &gc);
        CHECK_MSG(g != NULL, "%s", ligo_get_error(ctx));
        if (!g) break;
        make_batch(&bb, &sc, 17);
        u.g = g;
        u.bb = &bb;
        u.w = (ligo_tensor **)malloc((size_t)g->shape->n_tensors * sizeof(ligo_tensor *));
        shape[0] = g->n;
        block = ligo_wrap(ctx, 1, shape, g->data, g->grad);
        o.max_per_param = 600;
        o.atol = 5e-2;
        /* widened heads curve the loss enough that eps 1e-2 shows its
         * truncation error (3e-3 and 1e-3 agree); float32 rounding at this
         * eps is a few 1e-3 of the gradient scale, a wrong term is O(1) */
        o.eps = 3e-3;
        CHECK_STATUS(ligo_check_grad(ctx, grow_loss, &u, &block, 1, &o, &err), LIGO_OK);
        CHECK_MSG(err >= 0 && err < 1e-2, "options (full %d): operator gradient error %.3g", full, err);
        free(u.w);
    }
    ligo_ctx_free(ctx);
}

/* Save and load: the same operator back, bit for bit; a file for another
 * operator shape is refused and leaves the operator as it was. */
static void test_save_load(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(LIGO_GPT, 2, 8, 2), lc = tiny(LIGO_GPT, 4, 16, 2), other = tiny(LIGO_GPT, 3, 16, 2);
    ligo_model *s = random_model(ctx, &sc, 18), *a, *b;
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_grow *g, *h, *x;
    ligo_rng r;
    char path[] = "build/test_grow_op.safetensors";
    float *keep;
    int64_t i;
    gc.width_first = 1;
    gc.grow_head_dim = 1;
    gc.residual = 1;
    g = ligo_grow_new(ctx, s, &lc, &gc);
    gc.seed = 99;
    h = ligo_grow_new(ctx, s, &lc, &gc);
    CHECK(g && h);
    if (!g || !h) return;
    ligo_rng_seed(&r, 19);
    for (i = 0; i < g->n; i++) g->data[i] = ligo_rng_normal(&r);
    CHECK_STATUS(ligo_grow_save(ctx, g, path), LIGO_OK);
    CHECK(memcmp(g->data, h->data, (size_t)g->n * sizeof(float)) != 0);
    CHECK_STATUS(ligo_grow_load(ctx, h, path), LIGO_OK);
    CHECK(memcmp(g->data, h->data, (size_t)g->n * sizeof(float)) == 0);
    a = ligo_grow_apply(ctx, g);
    b = ligo_grow_apply(ctx, h);
    CHECK(a && b && memcmp(a->data, b->data, (size_t)a->n_floats * sizeof(float)) == 0);
    /* another large config, other options: refused, nothing changed */
    x = ligo_grow_new(ctx, s, &other, &gc);
    CHECK(x != NULL);
    if (x) {
        keep = (float *)malloc((size_t)x->n * sizeof(float));
        memcpy(keep, x->data, (size_t)x->n * sizeof(float));
        CHECK_STATUS(ligo_grow_load(ctx, x, path), LIGO_EFORMAT);
        CHECK(strstr(ligo_get_error(ctx), "grows to") != NULL);
        CHECK(memcmp(keep, x->data, (size_t)x->n * sizeof(float)) == 0);
        free(keep);
        ligo_clear_error(ctx);
    }
    gc.residual = 0;
    x = ligo_grow_new(ctx, s, &lc, &gc);
    CHECK(x != NULL);
    if (x) {
        CHECK_STATUS(ligo_grow_load(ctx, x, path), LIGO_EFORMAT);
        CHECK(strstr(ligo_get_error(ctx), "ligo.grow.residual") != NULL);
        ligo_clear_error(ctx);
    }
    CHECK_STATUS(ligo_grow_load(ctx, h, "build/no_such_operator.safetensors"), LIGO_EIO);
    ligo_clear_error(ctx);
    remove(path);
    ligo_ctx_free(ctx);
}

/* Largest |W[r][j] - W[r][j + D1]| over the wte columns (residual-stream
 * units) j < D1 and every row r: 0 while the copies are still copies. */
static double copy_gap(const ligo_model *m, int64_t D1) {
    const ligo_param_info *p = &m->info[ligo_model_find(m, "wte.weight")];
    const float *w = m->data + p->offset;
    double gap = 0.0;
    int64_t r, j;
    for (r = 0; r < p->shape[0]; r++)
        for (j = 0; j < D1; j++) {
            double d = fabs((double)w[r * p->shape[1] + j] - (double)w[r * p->shape[1] + j + D1]);
            gap = d > gap ? d : gap;
        }
    return gap;
}

/* Copied width and symmetry: without noise, unit j and its copy j + D1 get
 * the same gradients and stay bitwise equal under training (the network
 * trains as if it were D1 wide); with the noise they start apart and move
 * further apart. */
static void grow_and_train(float noise, double *gap0, double *gap1) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(LIGO_GPT, 2, 16, 2), lc = tiny(LIGO_GPT, 4, 32, 4);
    ligo_model *s, *big;
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_STACK);
    ligo_train_config tc = ligo_train_config_default();
    ligo_grow *g;
    ligo_trainer *tr;
    ligo_data d;
    char text[4096];
    int64_t i;
    *gap0 = *gap1 = -1.0;
    sc.vocab = lc.vocab = 256;
    sc.ctx_len = lc.ctx_len = 16;
    for (i = 0; i < (int64_t)sizeof text; i++) text[i] = "to be or not to be, that is the question. "[(i * 7 + i / 43) % 43];
    memset(&d, 0, sizeof d);
    d.family = LIGO_GPT;
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, text, sizeof text, &d.tokens), LIGO_OK);
    s = random_model(ctx, &sc, 21);
    gc.noise = noise;
    g = ligo_grow_new(ctx, s, &lc, &gc);
    big = g ? ligo_grow_apply(ctx, g) : NULL;
    CHECK_MSG(big != NULL, "%s", ligo_get_error(ctx));
    if (!big) {
        ligo_ctx_free(ctx);
        return;
    }
    *gap0 = copy_gap(big, sc.d_model);
    tc.steps = 60;
    tc.batch = 4;
    tc.ctx = 16;
    tc.sched.lr_max = 1e-2f;
    tc.sched.lr_min = 1e-2f;
    tc.sched.warmup = 0;
    tc.progress = 0;
    tr = ligo_trainer_new(ctx, big, &d, &tc);
    CHECK_MSG(tr != NULL, "%s", ligo_get_error(ctx));
    for (i = 0; tr && i < tc.steps; i++) CHECK_STATUS(ligo_trainer_step(ctx, tr, NULL), LIGO_OK);
    *gap1 = copy_gap(big, sc.d_model);
    ligo_ctx_free(ctx);
}

static void test_noise_breaks_symmetry(void) {
    double a0, a1, b0, b1;
    grow_and_train(0.0f, &a0, &a1);
    grow_and_train(0.01f, &b0, &b1);
    CHECK_MSG(a0 == 0.0 && a1 == 0.0, "without noise the copies should stay equal (gap %.3g, then %.3g)", a0, a1);
    CHECK_MSG(b0 > 0.0 && b1 > 3.0 * b0, "with noise the copies should diverge (gap %.3g, then %.3g)", b0, b1);
    if (getenv("LIGO_TEST_VERBOSE")) printf("  copy gap: noise 0: %.3g -> %.3g; noise 0.01: %.3g -> %.3g\n", a0, a1, b0, b1);
}

/* The noise is part of the operator file: an operator made with another
 * seed loads it and grows the same model, bit for bit; only the tensors
 * width growth enlarged carry noise; a file from before the option (no
 * ligo.grow.noise) loads as noise 0; a noisy file does not load into a
 * noise-free operator. */
static void test_noise_saved(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(LIGO_GPT, 2, 8, 2), lc = tiny(LIGO_GPT, 4, 16, 4);
    ligo_model *s = random_model(ctx, &sc, 22), *a, *b;
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_FPI);
    ligo_grow *g, *h, *x;
    ligo_safetensors st;
    ligo_mark mk;
    char path[] = "build/test_grow_noise.safetensors", old[] = "build/test_grow_old.safetensors";
    int64_t i, n_noise = 0, k;
    g = ligo_grow_new(ctx, s, &lc, &gc);
    gc.seed = 77;
    h = ligo_grow_new(ctx, s, &lc, &gc);
    CHECK(g && h && g->noise && h->noise);
    if (!g || !h || !g->noise || !h->noise) {
        ligo_ctx_free(ctx);
        return;
    }
    CHECK(memcmp(g->noise, h->noise, (size_t)g->shape->n_floats * sizeof(float)) != 0);
    CHECK_STATUS(ligo_grow_save(ctx, g, path), LIGO_OK);
    CHECK_STATUS(ligo_grow_load(ctx, h, path), LIGO_OK);
    a = ligo_grow_apply(ctx, g);
    b = ligo_grow_apply(ctx, h);
    CHECK(a && b && memcmp(a->data, b->data, (size_t)a->n_floats * sizeof(float)) == 0);
    mk = ligo_scratch_mark(ctx);
    CHECK_STATUS(ligo_st_read(ctx, path, &st), LIGO_OK);
    for (i = 0; i < st.n_entries; i++) {
        const char *name = st.entries[i].name + 6; /* after "noise." */
        const ligo_param_info *p;
        CHECK(strncmp(st.entries[i].name, "noise.", 6) == 0);
        k = ligo_model_find(g->shape, name);
        CHECK(k >= 0);
        if (k < 0) continue;
        p = &g->shape->info[k];
        /* every enlarged tensor (16 wide where the small one is 8) */
        CHECK(p->shape[0] == 16 || p->shape[1] == 16 || p->shape[0] == 48 || p->shape[0] == 64 || p->shape[1] == 64);
        n_noise++;
    }
    /* GPT, L2 = 4: wte, wpe, 12 per block, ln_f's two */
    CHECK(n_noise == 2 + 4 * 12 + 2);
    CHECK(ligo_st_get_meta(&st, "ligo.grow.noise") && strcmp(ligo_st_get_meta(&st, "ligo.grow.noise"), "0.00999999978") == 0);
    ligo_scratch_rewind(ctx, mk);
    gc.noise = 0.0f;
    x = ligo_grow_new(ctx, s, &lc, &gc);
    CHECK(x && !x->noise);
    CHECK_STATUS(ligo_grow_load(ctx, x, path), LIGO_ESTATE); /* nothing to load into */
    ligo_clear_error(ctx);
    /* a LiGO operator file without the noise key (as written before it) */
    gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    x = ligo_grow_new(ctx, s, &lc, &gc);
    CHECK(x != NULL && x->noise == NULL);
    if (x) {
        mk = ligo_scratch_mark(ctx);
        CHECK_STATUS(ligo_grow_save(ctx, x, old), LIGO_OK);
        CHECK_STATUS(ligo_st_read(ctx, old, &st), LIGO_OK);
        for (i = 0; i < st.n_meta; i++)
            if (strcmp(st.meta[i].key, "ligo.grow.noise") == 0) st.meta[i] = st.meta[--st.n_meta];
        CHECK(ligo_st_get_meta(&st, "ligo.grow.noise") == NULL);
        CHECK_STATUS(ligo_st_write(ctx, old, &st), LIGO_OK);
        ligo_scratch_rewind(ctx, mk);
        CHECK_STATUS(ligo_grow_load(ctx, x, old), LIGO_OK);
    }
    remove(path);
    remove(old);
    ligo_ctx_free(ctx);
}

/* Resident bytes (VmRSS in /proc/self/status), or -1 where there is none or a
 * sanitizer's allocator makes the figure meaningless. */
static double resident_bytes(void) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return -1.0;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    return -1.0;
#endif
#endif
    {
        char line[256];
        double kb = -1.0;
        FILE *f = fopen("/proc/self/status", "r");
        if (!f) return -1.0;
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "VmRSS:", 6) == 0) kb = atof(line + 6);
        fclose(f);
        return kb < 0.0 ? -1.0 : kb * 1024.0;
    }
}

/* A sweep of 20 growths (every method, a new seed each) in one process:
 * ligo_grow_new, a few fitting steps, ligo_grow_apply, a trainer and a
 * few steps, then ligo_persistent_rewind to a mark taken after the data and
 * the small model. The library's accounting must come back to the mark's
 * every time and resident memory must stop growing. Without the rewind
 * (LIGO_TEST_SWEEP_NO_REWIND=1 shows it) each growth keeps about 3.5 MB. */
static void test_growth_sweep_flat(void) {
    enum { N = 20 };
    static const ligo_grow_method methods[8] = {LIGO_GROW_LIGO,  LIGO_GROW_STACK,      LIGO_GROW_FPI,
                                                LIGO_GROW_AKI,   LIGO_GROW_LIGO_DEPTH, LIGO_GROW_INTERLACE,
                                                LIGO_GROW_LIGO_WIDTH, LIGO_GROW_SCRATCH};
    ligo_ctx *ctx = new_ctx();
    ligo_data d;
    ligo_config sc = ligo_config_default(LIGO_GPT), lc;
    ligo_model *s;
    ligo_mark base;
    size_t used0, res0, large_bytes, used[N], reserved[N];
    double rss[N];
    int i, no_rewind = getenv("LIGO_TEST_SWEEP_NO_REWIND") != NULL;
    char text[4000];
    for (i = 0; i < (int)sizeof text; i++) text[i] = (char)("abcdefgh ijklmnop."[(i * 7 + i / 5) % 18]);
    memset(&d, 0, sizeof d);
    d.family = LIGO_GPT;
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, text, sizeof text, &d.tokens), LIGO_OK);
    sc.n_layer = 1;
    sc.d_model = 32;
    sc.n_head = 2;
    sc.d_ff = 128;
    sc.ctx_len = 16;
    lc = sc;
    lc.n_layer = 2;
    lc.d_model = 64;
    lc.n_head = 4;
    lc.d_ff = 256;
    s = random_model(ctx, &sc, 5);
    CHECK(s != NULL);
    if (!s) return;
    base = ligo_persistent_mark(ctx);
    used0 = ligo_persistent_used(ctx);
    res0 = ligo_persistent_reserved(ctx);
    large_bytes = 0;
    for (i = 0; i < N; i++) {
        ligo_grow_config gc = ligo_grow_config_default(methods[i % 8]);
        ligo_train_config tc = ligo_train_config_default();
        ligo_grow *g;
        ligo_model *big;
        ligo_trainer *tr;
        float loss = 0.0f;
        size_t inside;
        int k;
        gc.seed = (uint64_t)(100 + i);
        gc.fit_steps = 2;
        gc.batch = 2;
        gc.ctx = 16;
        tc.steps = 2;
        tc.batch = 2;
        tc.ctx = 16;
        tc.progress = 0;
        ligo_set_grad_reuse(ctx, i & 1); /* its lists too must survive the rewinds */
        g = ligo_grow_new(ctx, s, &lc, &gc);
        if (g) ligo_grow_fit(ctx, g, &d);
        big = g ? ligo_grow_apply(ctx, g) : NULL;
        tr = big ? ligo_trainer_new(ctx, big, &d, &tc) : NULL;
        for (k = 0; tr && k < 2; k++) ligo_trainer_step(ctx, tr, &loss);
        CHECK_MSG(tr && ligo_get_status(ctx) == LIGO_OK && isfinite(loss), "growth %d (%s): %s", i + 1,
                  ligo_grow_method_name(gc.method), ligo_get_error(ctx));
        if (big) large_bytes = (size_t)big->n_floats * sizeof(float);
        /* the round really held persistent memory: model, gradients, moments */
        inside = ligo_persistent_used(ctx);
        CHECK_MSG(inside >= used0 + 4 * large_bytes, "growth %d holds %zu bytes over the mark", i + 1, inside - used0);
        if (!no_rewind) CHECK_STATUS(ligo_persistent_rewind(ctx, base), LIGO_OK);
        ligo_clear_error(ctx);
        used[i] = ligo_persistent_used(ctx);
        reserved[i] = ligo_persistent_reserved(ctx);
        rss[i] = resident_bytes();
    }
    for (i = 0; i < N && used[i] == used0 && reserved[i] == res0; i++) continue;
    CHECK_MSG(i == N, "after growth %d: %zu bytes used (%zu reserved), %zu (%zu) at the mark; %zu (%zu) after growth %d",
              i + 1, used[i < N ? i : 0], reserved[i < N ? i : 0], used0, res0, used[N - 1], reserved[N - 1], N);
    if (rss[4] >= 0.0 && rss[N - 1] >= 0.0) {
        /* 4 MB: allocator and scratch settle in the first rounds; without
         * the rewind the last 15 growths add about 50 MB */
        CHECK_MSG(rss[N - 1] - rss[4] < 4.0 * 1048576.0, "resident memory grew %.1f MB from growth 5 to %d",
                  (rss[N - 1] - rss[4]) / 1048576.0, N);
        if (getenv("LIGO_TEST_VERBOSE"))
            printf("  sweep: resident %.1f MB after growth 5, %.1f MB after growth %d; %zu bytes persistent\n",
                   rss[4] / 1048576.0, rss[N - 1] / 1048576.0, N, ligo_persistent_used(ctx));
    }
    ligo_ctx_free(ctx);
}

/* The operator file names each width factor after its stream (width.emb.C,
 * width.h.{i}.{q,k,v,ffn}.C, width.cls.C); a file written with the old
 * index names (width.{k}.C) still loads, to the same operator. */
static void test_operator_names(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(LIGO_BERT, 2, 8, 2), lc = tiny(LIGO_BERT, 4, 16, 4);
    ligo_model *s = random_model(ctx, &sc, 31);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_grow *g, *h;
    ligo_safetensors st;
    ligo_mark mk;
    char path[] = "build/test_grow_names.safetensors", nm[64];
    static const char *parts[4] = {"q", "k", "v", "ffn"};
    int64_t i, k, n_width = 0;
    g = ligo_grow_new(ctx, s, &lc, &gc);
    gc.seed = 5;
    h = ligo_grow_new(ctx, s, &lc, &gc);
    CHECK(g && h);
    if (!g || !h) {
        ligo_ctx_free(ctx);
        return;
    }
    CHECK_STATUS(ligo_grow_save(ctx, g, path), LIGO_OK);
    mk = ligo_scratch_mark(ctx);
    CHECK_STATUS(ligo_st_read(ctx, path, &st), LIGO_OK);
    CHECK(ligo_st_find(&st, "width.emb.C") && ligo_st_find(&st, "width.cls.C"));
    for (i = 0; i < 4; i++)
        for (k = 0; k < 4; k++) {
            snprintf(nm, sizeof nm, "width.h.%lld.%s.C", (long long)i, parts[k]);
            CHECK_MSG(ligo_st_find(&st, nm) != NULL, "no %s", nm);
        }
    for (i = 0; i < st.n_entries; i++) n_width += strncmp(st.entries[i].name, "width.", 6) == 0;
    CHECK(n_width == 1 + 4 * 4 + 1);
    /* the old names: width.{index of the factor}.C */
    for (i = 0; i < st.n_entries; i++) {
        char *e = st.entries[i].name;
        if (strncmp(e, "width.", 6) != 0) continue;
        for (k = 0; k < g->n_width; k++) {
            snprintf(nm, sizeof nm, "width.%s.C", g->width[k].name);
            if (strcmp(nm, e) == 0) break;
        }
        CHECK(k < g->n_width);
        snprintf(e, LIGO_ST_MAX_NAME, "width.%lld.C", (long long)k);
    }
    CHECK_STATUS(ligo_st_write(ctx, path, &st), LIGO_OK);
    ligo_scratch_rewind(ctx, mk);
    CHECK(memcmp(g->data, h->data, (size_t)g->n * sizeof(float)) != 0);
    CHECK_STATUS(ligo_grow_load(ctx, h, path), LIGO_OK);
    CHECK(memcmp(g->data, h->data, (size_t)g->n * sizeof(float)) == 0);
    remove(path);
    ligo_ctx_free(ctx);
}

void suite_grow(void) {
    RUN(test_identity_growth);
    RUN(test_fpi_preserves_function);
    RUN(test_fpi_noise_tolerance);
    RUN(test_ligo_special_case_is_stack);
    RUN(test_hand_computed_expansion);
    RUN(test_operator_gradients);
    RUN(test_every_method_runs);
    RUN(test_grow_errors);
    RUN(test_grow_config_fields);
    RUN(test_fit_context);
    RUN(test_fit_nonfinite);
    RUN(test_fit_lowers_loss);
    RUN(test_width_first);
    RUN(test_head_dim_growth);
    RUN(test_residual);
    RUN(test_option_gradients);
    RUN(test_save_load);
    RUN(test_noise_breaks_symmetry);
    RUN(test_noise_saved);
    RUN(test_growth_sweep_flat);
    RUN(test_operator_names);
}
