/* test_llama.c: the LLaMA family: its config and errors, its forward
 * pass against a float64 recomputation written here from the equations
 * (RMSNorm, rotate-half RoPE, grouped-query causal attention, SwiGLU),
 * its pieces' gradients against central differences, its checkpoints and
 * Hugging Face directory, and function-preserving growth (2x deep, 2x
 * wide, with and without grouped KV heads, tied and untied heads). */
#include "harness.h"

#include <stdlib.h>

static ligo_ctx *new_ctx(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = 2;
    return ligo_ctx_new(&p);
}

static ligo_config tiny(int64_t L, int64_t D, int64_t H, int64_t KV, int untied) {
    ligo_config c = ligo_config_default(LIGO_LLAMA);
    c.n_layer = L;
    c.d_model = D;
    c.n_head = H;
    c.n_kv_head = KV;
    c.untied_head = untied;
    c.vocab = 11;
    c.ctx_len = 6;
    c.rope_theta = 500.0f;
    return c;
}

/* Weights large enough that every path matters; norm gains near 1. */
static ligo_model *random_model(ligo_ctx *ctx, const ligo_config *c, uint64_t seed) {
    ligo_model *m = ligo_model_new(ctx, c);
    ligo_rng r;
    int64_t i, k;
    if (!m) return NULL;
    ligo_rng_seed(&r, seed);
    for (i = 0; i < m->n_tensors; i++) {
        const ligo_param_info *p = &m->info[i];
        for (k = 0; k < p->n; k++)
            m->data[p->offset + k] = p->ndim == 1 ? 1.0f + 0.2f * ligo_rng_normal(&r) : 0.3f * ligo_rng_normal(&r);
    }
    return m;
}

typedef struct batch_buf {
    ligo_batch b;
    int32_t in[12], tg[12];
} batch_buf;

static void make_batch(batch_buf *bb, const ligo_config *c, uint64_t seed) {
    ligo_rng r;
    int64_t i;
    ligo_rng_seed(&r, seed);
    memset(bb, 0, sizeof *bb);
    bb->b.B = 2;
    bb->b.T = 6;
    for (i = 0; i < 12; i++) {
        bb->in[i] = (int32_t)ligo_rng_below(&r, (uint64_t)c->vocab);
        bb->tg[i] = (int32_t)ligo_rng_below(&r, (uint64_t)c->vocab);
    }
    bb->b.inputs = bb->in;
    bb->b.targets = bb->tg;
}

static const float *P(const ligo_model *m, const char *fmt, int64_t layer) {
    char name[128];
    int64_t i;
    snprintf(name, sizeof name, fmt, (long long)layer);
    i = ligo_model_find(m, name);
    return i >= 0 ? m->data + m->info[i].offset : NULL;
}

/* ------------------------------------------------ float64 recomputation */

/* y (n) = W (n x k) x (k) */
static void mv(const float *W, const double *x, int64_t n, int64_t k, double *y) {
    int64_t i, j;
    for (i = 0; i < n; i++) {
        double s = 0.0;
        for (j = 0; j < k; j++) s += (double)W[i * k + j] * x[j];
        y[i] = s;
    }
}

static void rms(const double *x, const float *g, int64_t C, double eps, double *y) {
    double ss = 0.0;
    int64_t c;
    for (c = 0; c < C; c++) ss += x[c] * x[c];
    ss = 1.0 / sqrt(ss / (double)C + eps);
    for (c = 0; c < C; c++) y[c] = x[c] * ss * g[c];
}

/* Hugging Face's apply_rotary_pos_emb on one head of hs dims at position t */
static void rope(double *h, int64_t hs, int64_t t, double theta) {
    int64_t i, half = hs / 2;
    for (i = 0; i < half; i++) {
        double a = (double)t * pow(theta, -2.0 * (double)i / (double)hs), x0 = h[i], x1 = h[i + half];
        h[i] = x0 * cos(a) - x1 * sin(a);
        h[i + half] = x1 * cos(a) + x0 * sin(a);
    }
}

/* logits (B T x V) of model m on ids, in double */
static void reference_logits(const ligo_model *m, const int32_t *ids, int64_t B, int64_t T, double *out) {
    const ligo_config *c = &m->cfg;
    int64_t C = c->d_model, NH = c->n_head, KV = c->n_kv_head, hs = C / NH, F = c->d_ff, V = c->vocab, KC = KV * hs;
    double *x = (double *)calloc((size_t)(T * C), sizeof(double)), *h = (double *)calloc((size_t)C, sizeof(double));
    double *q = (double *)calloc((size_t)(T * C), sizeof(double)), *k = (double *)calloc((size_t)(T * KC), sizeof(double));
    double *v = (double *)calloc((size_t)(T * KC), sizeof(double)), *o = (double *)calloc((size_t)(T * C), sizeof(double));
    double *f1 = (double *)calloc((size_t)F, sizeof(double)), *f2 = (double *)calloc((size_t)F, sizeof(double));
    double *y = (double *)calloc((size_t)C, sizeof(double)), *p = (double *)calloc((size_t)T, sizeof(double));
    const float *E = P(m, "model.embed_tokens.weight", 0);
    const float *head = c->untied_head ? P(m, "lm_head.weight", 0) : E;
    int64_t b, t, s, l, i, hh;
    for (b = 0; b < B; b++) {
        for (t = 0; t < T; t++)
            for (i = 0; i < C; i++) x[t * C + i] = E[ids[b * T + t] * C + i];
        for (l = 0; l < c->n_layer; l++) {
            for (t = 0; t < T; t++) {
                rms(x + t * C, P(m, "model.layers.%lld.input_layernorm.weight", l), C, c->ln_eps, h);
                mv(P(m, "model.layers.%lld.self_attn.q_proj.weight", l), h, C, C, q + t * C);
                mv(P(m, "model.layers.%lld.self_attn.k_proj.weight", l), h, KC, C, k + t * KC);
                mv(P(m, "model.layers.%lld.self_attn.v_proj.weight", l), h, KC, C, v + t * KC);
                for (hh = 0; hh < NH; hh++) rope(q + t * C + hh * hs, hs, t, c->rope_theta);
                for (hh = 0; hh < KV; hh++) rope(k + t * KC + hh * hs, hs, t, c->rope_theta);
            }
            for (hh = 0; hh < NH; hh++) {
                int64_t g = hh / (NH / KV);
                for (t = 0; t < T; t++) {
                    double mx = -1e300, sum = 0.0;
                    for (s = 0; s <= t; s++) {
                        double d = 0.0;
                        for (i = 0; i < hs; i++) d += q[t * C + hh * hs + i] * k[s * KC + g * hs + i];
                        p[s] = d / sqrt((double)hs);
                        mx = p[s] > mx ? p[s] : mx;
                    }
                    for (s = 0; s <= t; s++) sum += (p[s] = exp(p[s] - mx));
                    for (i = 0; i < hs; i++) {
                        double a = 0.0;
                        for (s = 0; s <= t; s++) a += p[s] / sum * v[s * KC + g * hs + i];
                        o[t * C + hh * hs + i] = a;
                    }
                }
            }
            for (t = 0; t < T; t++) {
                mv(P(m, "model.layers.%lld.self_attn.o_proj.weight", l), o + t * C, C, C, y);
                for (i = 0; i < C; i++) x[t * C + i] += y[i];
                rms(x + t * C, P(m, "model.layers.%lld.post_attention_layernorm.weight", l), C, c->ln_eps, h);
                mv(P(m, "model.layers.%lld.mlp.gate_proj.weight", l), h, F, C, f1);
                mv(P(m, "model.layers.%lld.mlp.up_proj.weight", l), h, F, C, f2);
                for (i = 0; i < F; i++) f1[i] = f1[i] / (1.0 + exp(-f1[i])) * f2[i];
                mv(P(m, "model.layers.%lld.mlp.down_proj.weight", l), f1, C, F, y);
                for (i = 0; i < C; i++) x[t * C + i] += y[i];
            }
        }
        for (t = 0; t < T; t++) {
            rms(x + t * C, P(m, "model.norm.weight", 0), C, c->ln_eps, h);
            mv(head, h, V, C, out + (b * T + t) * V);
        }
    }
    free(x), free(h), free(q), free(k), free(v), free(o), free(f1), free(f2), free(y), free(p);
}

/* max |a - b| / max(1, |b|) */
static double rel_to(const float *a, const double *b, int64_t n) {
    double m = 0.0;
    int64_t i;
    for (i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / (fabs(b[i]) > 1.0 ? fabs(b[i]) : 1.0);
        m = d == d && d > m ? d : (d != d ? 1e30 : m);
    }
    return m;
}

/* ------------------------------------------------------------------ tests */

static void test_llama_config(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config c = ligo_config_default(LIGO_LLAMA), bad;
    ligo_family f;
    CHECK_STATUS(ligo_config_check(ctx, &c), LIGO_OK);
    CHECK(c.d_ff == 352);     /* 8 x 128 / 3 = 341.3, rounded up to a multiple of 32 */
    CHECK(c.n_kv_head == 4);  /* as many as heads */
    /* the cast: where float is evaluated in double (s390x) 1e-5f is the
     * double nearest 1e-5, not the float a field holds */
    CHECK(c.rope_theta == 10000.0f && c.untied_head == 0 && c.ln_eps == (float)1e-5f);
    CHECK(strcmp(ligo_family_name(LIGO_LLAMA), "llama") == 0);
    CHECK(ligo_family_parse("llama", &f) == LIGO_OK && f == LIGO_LLAMA);
    bad = c, bad.n_kv_head = 3;
    CHECK_STATUS(ligo_config_check(ctx, &bad), LIGO_EINVAL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "n_kv_head is 3") != NULL, "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    bad = c, bad.rope_theta = -1.0f;
    CHECK_STATUS(ligo_config_check(ctx, &bad), LIGO_EINVAL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "rope_theta is -1") != NULL, "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    bad = c, bad.d_model = 12, bad.n_head = 4; /* heads of 3 */
    CHECK_STATUS(ligo_config_check(ctx, &bad), LIGO_EINVAL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "head dimension 3") != NULL, "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    bad = c, bad.untied_head = 2;
    CHECK_STATUS(ligo_config_check(ctx, &bad), LIGO_EINVAL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "untied_head is 2") != NULL, "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    /* the table: Hugging Face's names, the head only when untied */
    {
        ligo_config t = tiny(2, 16, 4, 2, 0), u = tiny(2, 16, 4, 2, 1);
        ligo_model *mt = ligo_model_new(ctx, &t), *mu = ligo_model_new(ctx, &u);
        CHECK(mt && mu);
        if (mt && mu) {
            int64_t k = ligo_model_find(mt, "model.layers.1.self_attn.k_proj.weight");
            CHECK(mt->n_tensors == 2 + 2 * 9 && mu->n_tensors == mt->n_tensors + 1);
            CHECK(k >= 0 && mt->info[k].shape[0] == 8 && mt->info[k].shape[1] == 16);
            CHECK(k >= 0 && mt->info[k].stream[0] == LIGO_STREAM_K && mt->info[k].module == LIGO_MOD_K);
            CHECK(ligo_model_find(mt, "lm_head.weight") < 0 && ligo_model_find(mu, "lm_head.weight") >= 0);
            CHECK(mt->info[ligo_model_find(mt, "model.norm.weight")].flags & LIGO_PARAM_TIED_HEAD_IN);
            CHECK(!(mu->info[ligo_model_find(mu, "model.norm.weight")].flags & LIGO_PARAM_TIED_HEAD_IN));
        }
    }
    ligo_ctx_free(ctx);
}

/* The forward pass against the float64 recomputation: grouped and
 * ordinary heads, tied and untied head. */
static void test_llama_forward_reference(void) {
    static const int64_t kv[3] = {2, 4, 1};
    int i;
    for (i = 0; i < 3; i++) {
        ligo_ctx *ctx = new_ctx();
        ligo_config c = tiny(2, 16, 4, kv[i], i == 1);
        ligo_model *m = random_model(ctx, &c, 11 + (uint64_t)i);
        batch_buf bb;
        ligo_tensor *logits = NULL, *loss;
        double *ref = (double *)calloc((size_t)(12 * c.vocab), sizeof(double)), d = 1e30, want = 0.0;
        int64_t r, j;
        make_batch(&bb, &c, 5);
        loss = m ? ligo_model_loss(ctx, m, &bb.b, &logits) : NULL;
        CHECK_MSG(loss && logits, "%s", ligo_get_error(ctx));
        if (loss && logits) {
            reference_logits(m, bb.in, 2, 6, ref);
            d = rel_to(logits->data, ref, 12 * c.vocab);
            for (r = 0; r < 12; r++) { /* the mean cross-entropy */
                double mx = -1e300, s = 0.0;
                for (j = 0; j < c.vocab; j++) mx = ref[r * c.vocab + j] > mx ? ref[r * c.vocab + j] : mx;
                for (j = 0; j < c.vocab; j++) s += exp(ref[r * c.vocab + j] - mx);
                want += (mx + log(s) - ref[r * c.vocab + bb.tg[r]]) / 12.0;
            }
            CHECK_MSG(d < 1e-5, "kv %lld: logits off by %.3g", (long long)kv[i], d);
            CHECK_MSG(fabs(loss->data[0] - want) < 1e-5 * want, "kv %lld: loss %.9g, want %.9g", (long long)kv[i],
                      (double)loss->data[0], want);
            if (getenv("LIGO_TEST_VERBOSE")) printf("  llama forward kv %lld: logits %.2e\n", (long long)kv[i], d);
        }
        free(ref);
        ligo_ctx_free(ctx);
    }
}

/* ------------------------------------------- gradients of the pieces */

typedef struct piece_case {
    ligo_tensor *in[4], *w;
    int kind; /* 0 grouped causal, 1 grouped bidirectional (one KV head), 2 swiglu */
} piece_case;

static ligo_tensor *piece_loss(ligo_ctx *ctx, void *user) {
    piece_case *pc = (piece_case *)user;
    ligo_tensor *y = pc->kind == 2 ? ligo_swiglu(ctx, pc->in[0], pc->in[1], pc->in[2], pc->in[3])
                                   : ligo_attention_grouped(ctx, pc->in[0], pc->in[1], pc->in[2], 4,
                                                            pc->kind == 0 ? 2 : 1, pc->kind == 0);
    return ligo_sum(ctx, ligo_mul(ctx, y, pc->w));
}

static void test_llama_piece_gradients(void) {
    int kind;
    for (kind = 0; kind < 3; kind++) {
        ligo_ctx *ctx = new_ctx();
        ligo_gradcheck_opts o = ligo_gradcheck_opts_default();
        piece_case pc;
        ligo_rng r;
        double err = -1.0;
        int64_t sq[3] = {2, 5, 16}, skv[3] = {2, 5, 8}, sx[3] = {2, 3, 8}, sg[2] = {12, 8}, sd[2] = {8, 12}, i, k;
        int n = kind == 2 ? 4 : 3;
        memset(&pc, 0, sizeof pc);
        pc.kind = kind;
        if (kind == 1) skv[2] = 4;
        if (kind == 2) {
            pc.in[0] = ligo_new_param(ctx, 3, sx);
            pc.in[1] = ligo_new_param(ctx, 2, sg);
            pc.in[2] = ligo_new_param(ctx, 2, sg);
            pc.in[3] = ligo_new_param(ctx, 2, sd);
            pc.w = ligo_new(ctx, 3, sx);
        } else {
            pc.in[0] = ligo_new_param(ctx, 3, sq);
            pc.in[1] = ligo_new_param(ctx, 3, skv);
            pc.in[2] = ligo_new_param(ctx, 3, skv);
            pc.w = ligo_new(ctx, 3, sq);
        }
        ligo_rng_seed(&r, 40 + (uint64_t)kind);
        for (i = 0; i < n; i++)
            for (k = 0; k < pc.in[i]->n; k++) pc.in[i]->data[k] = ligo_rng_uniform(&r) * 2.0f - 1.0f;
        for (k = 0; k < pc.w->n; k++) pc.w->data[k] = ligo_rng_uniform(&r) * 2.0f - 1.0f;
        CHECK_STATUS(ligo_check_grad(ctx, piece_loss, &pc, pc.in, n, &o, &err), LIGO_OK);
        CHECK_MSG(err >= 0 && err < 1e-2, "%s: gradient error %.3g against central differences",
                  kind == 2 ? "swiglu" : "grouped attention", err);
        if (getenv("LIGO_TEST_VERBOSE")) printf("  llama piece %d gradcheck %.2e\n", kind, err);
        ligo_ctx_free(ctx);
    }
}

static void test_llama_piece_errors(void) {
    ligo_ctx *ctx = new_ctx();
    int64_t sq[3] = {1, 3, 8}, skv[3] = {1, 3, 6};
    ligo_tensor *q = ligo_new(ctx, 3, sq), *k = ligo_new(ctx, 3, skv);
    CHECK(ligo_attention_grouped(ctx, q, k, k, 4, 3, 1) == NULL);
    CHECK_MSG(strstr(ligo_get_error(ctx), "3 KV heads") != NULL, "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    CHECK(ligo_attention_grouped(ctx, q, k, k, 4, 2, 1) == NULL); /* k must be (1, 3, 4) */
    CHECK_MSG(strstr(ligo_get_error(ctx), "must be (1, 3, 4)") != NULL, "%s", ligo_get_error(ctx));
    ligo_ctx_free(ctx);
}

/* -------------------------------------------------------- files */

static void test_llama_checkpoint_and_hf(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config c = tiny(2, 16, 4, 2, 1);
    ligo_model *m = random_model(ctx, &c, 3), *back, *hf;
    const char *path = "build/test_llama.safetensors", *dir = "build/test_llama_hf";
    char json[2048];
    CHECK(m != NULL);
    CHECK_STATUS(ligo_model_save(ctx, m, path), LIGO_OK);
    back = ligo_model_load(ctx, path);
    CHECK_MSG(back != NULL, "%s", ligo_get_error(ctx));
    if (back) {
        CHECK(back->cfg.family == LIGO_LLAMA && back->cfg.n_kv_head == 2 && back->cfg.untied_head == 1 &&
              back->cfg.rope_theta == 500.0f && back->n_floats == m->n_floats);
        CHECK(memcmp(back->data, m->data, (size_t)m->n_floats * sizeof(float)) == 0);
    }
    CHECK_STATUS(ligo_hf_config_json(ctx, &m->cfg, json, sizeof json, NULL), LIGO_OK);
    CHECK(strstr(json, "\"LlamaForCausalLM\"") && strstr(json, "\"num_key_value_heads\": 2") &&
          strstr(json, "\"rope_theta\": 500") && strstr(json, "\"tie_word_embeddings\": false") &&
          strstr(json, "\"intermediate_size\": 64"));
    if (harness_mkdir(dir) == 0 || harness_exists(dir)) {
        CHECK_STATUS(ligo_model_export_hf(ctx, m, dir), LIGO_OK);
        hf = ligo_model_import_hf(ctx, dir);
        CHECK_MSG(hf != NULL, "%s", ligo_get_error(ctx));
        if (hf) {
            CHECK(hf->cfg.n_kv_head == 2 && hf->cfg.untied_head == 1 && hf->cfg.rope_theta == 500.0f &&
                  hf->cfg.d_ff == m->cfg.d_ff && hf->cfg.ln_eps == m->cfg.ln_eps);
            CHECK(hf->n_floats == m->n_floats &&
                  memcmp(hf->data, m->data, (size_t)m->n_floats * sizeof(float)) == 0);
        }
    }
    ligo_clear_error(ctx);
    ligo_ctx_free(ctx);
}

/* ---------------------------------------------------------- growth */

/* FPI: the grown model's logits and loss against the small model's. */
static double fpi_deviation(int64_t L2, int64_t D2, int64_t KV1, int untied, double *dloss) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(2, 16, 4, KV1, untied), lc = tiny(L2, D2, D2 / 4, 0, untied);
    ligo_model *s = random_model(ctx, &sc, 2), *big;
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_FPI);
    ligo_grow *g;
    batch_buf bb;
    ligo_tensor *ls = NULL, *lb = NULL, *loss_s, *loss_b;
    double d = 1e30;
    int64_t i;
    gc.noise = 0.0f;
    lc.d_ff = D2 == 16 ? 0 : 2 * sc.d_ff; /* FFN copies: any ratio is exact, this one is even */
    g = ligo_grow_new(ctx, s, &lc, &gc);
    make_batch(&bb, &sc, 3);
    big = g ? ligo_grow_apply(ctx, g) : NULL;
    CHECK_MSG(big != NULL, "%s", ligo_get_error(ctx));
    *dloss = 1e30;
    if (big) {
        CHECK(big->cfg.n_kv_head == (D2 / 4) / (4 / KV1)); /* KV heads scaled with the heads */
        loss_s = ligo_model_loss(ctx, s, &bb.b, &ls);
        loss_b = ligo_model_loss(ctx, big, &bb.b, &lb);
        if (ls && lb && ls->n == lb->n) {
            d = 0.0;
            for (i = 0; i < ls->n; i++) {
                double e = fabs((double)lb->data[i] - ls->data[i]) / (fabs(ls->data[i]) > 1.0 ? fabs(ls->data[i]) : 1.0);
                d = e > d ? e : d;
            }
            *dloss = fabs((double)loss_b->data[0] - loss_s->data[0]) / fabs((double)loss_s->data[0]);
        }
    }
    CHECK_MSG(ligo_get_status(ctx) == LIGO_OK, "%s", ligo_get_error(ctx));
    ligo_ctx_free(ctx);
    return d;
}

static void test_llama_fpi_preserves_function(void) {
    /* (layers, width, small KV heads, untied): 2x deep, 2x wide, both */
    static const int64_t cases[6][4] = {{4, 16, 2, 0}, {2, 32, 2, 0}, {4, 32, 2, 0},
                                        {4, 32, 4, 0}, {4, 32, 1, 1}, {4, 32, 4, 1}};
    int i;
    for (i = 0; i < 6; i++) {
        double dl, d = fpi_deviation(cases[i][0], cases[i][1], cases[i][2], (int)cases[i][3], &dl);
        CHECK_MSG(d < 1e-5 && dl < 1e-5, "fpi %lld x %lld, kv %lld%s: logits differ by %.3g, loss by %.3g",
                  (long long)cases[i][0], (long long)cases[i][1], (long long)cases[i][2], cases[i][3] ? ", untied" : "",
                  d, dl);
        if (getenv("LIGO_TEST_VERBOSE"))
            printf("  llama fpi %lldx%lld kv %lld%s: logits %.2e loss %.2e\n", (long long)cases[i][0],
                   (long long)cases[i][1], (long long)cases[i][2], cases[i][3] ? " untied" : "", d, dl);
    }
}

/* LiGO's factors for llama: one per stream, K and V of whole KV heads,
 * gate and up through the one FFN factor; the depth blend has the gate as
 * a module and no bias coefficients; every method builds a model that runs;
 * the large config's refusals name the value. */
static void test_llama_growth(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = tiny(2, 16, 4, 2, 0), lc = tiny(4, 32, 8, 0, 0);
    ligo_model *s = random_model(ctx, &sc, 4);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_grow *g = ligo_grow_new(ctx, s, &lc, &gc);
    batch_buf bb;
    int m;
    CHECK_MSG(g != NULL, "%s", ligo_get_error(ctx));
    if (g) {
        int64_t kq = ligo_grow_factor(g, LIGO_STREAM_Q, 1), kk = ligo_grow_factor(g, LIGO_STREAM_K, 1);
        int64_t kf = ligo_grow_factor(g, LIGO_STREAM_FFN, 3);
        CHECK(g->large.n_kv_head == 4);
        CHECK(kq >= 0 && g->width[kq].big == 32 && g->width[kq].small == 16);
        CHECK(kk >= 0 && g->width[kk].big == 16 && g->width[kk].small == 8);
        CHECK(kf >= 0 && g->width[kf].big == g->large.d_ff && g->width[kf].small == s->cfg.d_ff &&
              strcmp(g->width[kf].name, "h.3.ffn") == 0);
        CHECK(g->n_width == 1 + 4 * 4); /* emb, then q, k, v, ffn per large layer */
        CHECK(g->depth_offset[LIGO_MOD_GATE][0] >= 0 && g->depth_offset[LIGO_MOD_GATE][1] < 0 &&
              g->depth_offset[LIGO_MOD_LN1][1] < 0);
    }
    make_batch(&bb, &sc, 9);
    for (m = 0; m < LIGO_GROW_COUNT; m++) {
        ligo_grow_config c = ligo_grow_config_default((ligo_grow_method)m);
        ligo_grow *gm = ligo_grow_new(ctx, s, &lc, &c);
        ligo_model *big = gm ? ligo_grow_apply(ctx, gm) : NULL;
        ligo_tensor *loss = big ? ligo_model_loss(ctx, big, &bb.b, NULL) : NULL;
        CHECK_MSG(loss && isfinite(loss->data[0]), "llama %s: %s", ligo_grow_method_name((ligo_grow_method)m),
                  ligo_get_error(ctx));
        ligo_clear_error(ctx);
    }
    {
        ligo_config bad = lc;
        bad.n_kv_head = 1;
        CHECK(ligo_grow_new(ctx, s, &bad, &gc) == NULL);
        CHECK_MSG(strstr(ligo_get_error(ctx), "n_kv_head 1 is smaller") != NULL, "%s", ligo_get_error(ctx));
        ligo_clear_error(ctx);
        bad = lc;
        bad.rope_theta = 10000.0f;
        CHECK(ligo_grow_new(ctx, s, &bad, &gc) == NULL);
        CHECK_MSG(strstr(ligo_get_error(ctx), "rope_theta 10000 differs") != NULL, "%s", ligo_get_error(ctx));
        ligo_clear_error(ctx);
        gc.grow_head_dim = 1;
        bad = lc;
        bad.n_head = 4;
        CHECK(ligo_grow_new(ctx, s, &bad, &gc) == NULL);
        CHECK_MSG(strstr(ligo_get_error(ctx), "keeps its head dimension") != NULL, "%s", ligo_get_error(ctx));
        ligo_clear_error(ctx);
    }
    ligo_ctx_free(ctx);
}

void suite_llama(void) {
    RUN(test_llama_config);
    RUN(test_llama_forward_reference);
    RUN(test_llama_piece_gradients);
    RUN(test_llama_piece_errors);
    RUN(test_llama_checkpoint_and_hf);
    RUN(test_llama_fpi_preserves_function);
    RUN(test_llama_growth);
}
