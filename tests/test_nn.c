/* test_nn.c: the three model families against PyTorch (fixtures from
 * tests/gen_ref.py), configs and bad input, and a short training run. */
#include "harness.h"

#include <stdlib.h>

static ligo_ctx *new_ctx(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = 2;
    return ligo_ctx_new(&p);
}

static int64_t meta_int(const ligo_safetensors *st, const char *key) {
    const char *v = ligo_st_get_meta(st, key);
    return v ? atoll(v) : 0;
}

/* Loss and every parameter gradient of a tiny model against PyTorch's
 * (computed in float64 there, float32 here). */
static void check_family(const char *fam) {
    ligo_ctx *ctx = new_ctx();
    ligo_safetensors st;
    ligo_config cfg;
    ligo_model *m;
    ligo_batch b;
    ligo_tensor *loss;
    const ligo_st_entry *e;
    char path[128], name[96];
    int32_t *inputs = NULL, *targets = NULL;
    int64_t i, k;
    double worst = 0.0;
    snprintf(path, sizeof path, "tests/ref/%s.safetensors", fam);
    if (ligo_st_read(ctx, path, &st) != LIGO_OK) {
        harness_fail(__FILE__, __LINE__, "%s", ligo_get_error(ctx));
        ligo_ctx_free(ctx);
        return;
    }
    CHECK(ligo_family_parse(ligo_st_get_meta(&st, "family"), &cfg.family) == LIGO_OK);
    cfg = ligo_config_default(cfg.family);
    cfg.n_layer = meta_int(&st, "n_layer");
    cfg.d_model = meta_int(&st, "d_model");
    cfg.n_head = meta_int(&st, "n_head");
    cfg.d_ff = meta_int(&st, "d_ff");
    cfg.vocab = meta_int(&st, "vocab");
    cfg.ctx_len = meta_int(&st, "ctx_len");
    cfg.image_h = meta_int(&st, "image_h");
    cfg.image_w = meta_int(&st, "image_w");
    cfg.patch = meta_int(&st, "patch");
    cfg.n_classes = meta_int(&st, "n_classes");
    cfg.ln_eps = (float)atof(ligo_st_get_meta(&st, "ln_eps"));
    m = ligo_model_new(ctx, &cfg);
    CHECK_MSG(m != NULL, "%s: %s", fam, ligo_get_error(ctx));
    if (!m) {
        ligo_ctx_free(ctx);
        return;
    }
    for (i = 0; i < m->n_tensors; i++) {
        snprintf(name, sizeof name, "param.%s", m->info[i].name);
        e = ligo_st_find(&st, name);
        CHECK_MSG(e && e->n == m->info[i].n, "%s: %s missing or wrong size", fam, name);
        if (e && e->n == m->info[i].n) memcpy(m->data + m->info[i].offset, e->data, (size_t)e->n * sizeof(float));
    }
    memset(&b, 0, sizeof b);
    b.B = meta_int(&st, "B");
    b.T = meta_int(&st, "T");
    e = ligo_st_find(&st, "targets");
    CHECK(e != NULL);
    if (!e) {
        ligo_ctx_free(ctx);
        return;
    }
    targets = (int32_t *)malloc((size_t)e->n * sizeof(int32_t));
    for (k = 0; k < e->n; k++) targets[k] = (int32_t)e->data[k];
    b.targets = targets;
    if ((e = ligo_st_find(&st, "inputs")) != NULL) {
        inputs = (int32_t *)malloc((size_t)e->n * sizeof(int32_t));
        for (k = 0; k < e->n; k++) inputs[k] = (int32_t)e->data[k];
        b.inputs = inputs;
    }
    if ((e = ligo_st_find(&st, "images")) != NULL) b.images = e->data;
    loss = ligo_model_loss(ctx, m, &b, NULL);
    CHECK_MSG(loss != NULL, "%s: %s", fam, ligo_get_error(ctx));
    if (loss) {
        double want = ligo_st_find(&st, "loss")->data[0];
        CHECK_NEAR(loss->data[0], want, 2e-6 * fabs(want));
        CHECK_STATUS(ligo_backward(ctx, loss), LIGO_OK);
        for (i = 0; i < m->n_tensors; i++) {
            double scale = 0.0, err = 0.0;
            snprintf(name, sizeof name, "grad.%s", m->info[i].name);
            e = ligo_st_find(&st, name);
            CHECK_MSG(e != NULL, "%s: %s missing", fam, name);
            if (!e) continue;
            for (k = 0; k < e->n; k++) scale = fabs(e->data[k]) > scale ? fabs(e->data[k]) : scale;
            for (k = 0; k < e->n; k++) {
                double d = fabs((double)m->grad[m->info[i].offset + k] - (double)e->data[k]);
                err = d > err ? d : err;
            }
            err /= scale > 1e-3 ? scale : 1e-3;
            CHECK_MSG(err < 2e-5, "%s: gradient of %s off by %.3g (relative to its largest entry)", fam,
                      m->info[i].name, err);
            worst = err > worst ? err : worst;
        }
    }
    if (getenv("LIGO_TEST_VERBOSE")) printf("  %s: worst gradient error %.2e\n", fam, worst);
    free(inputs);
    free(targets);
    ligo_ctx_free(ctx);
}

static void test_gpt_matches_pytorch(void) { check_family("gpt"); }
static void test_bert_matches_pytorch(void) { check_family("bert"); }
static void test_vit_matches_pytorch(void) { check_family("vit"); }

/* ligo_config_check names the first bad field and its value. */
static void test_config_fields(void) {
    static const struct {
        ligo_family fam;
        int field; /* 0 n_layer, 1 d_model, 2 d_ff, 3 n_head, 4 vocab, 5 ctx_len, 6 image_h, 7 n_classes, 8 ln_eps */
        double v;
        const char *want;
    } bad[] = {{LIGO_GPT, 0, 0, "n_layer is 0"},         {LIGO_GPT, 0, 5000, "n_layer is 5000"},
               {LIGO_GPT, 1, -8, "d_model is -8"},       {LIGO_GPT, 2, -1, "d_ff is -1"},
               {LIGO_GPT, 2, 1e6, "d_ff is 1000000"},    {LIGO_GPT, 3, 0, "n_head is 0"},
               {LIGO_GPT, 3, 3, "3 heads do not divide width 128"},
               {LIGO_GPT, 4, 1, "vocab is 1"},           {LIGO_BERT, 5, 0, "ctx_len is 0"},
               {LIGO_VIT, 6, 0, "image_h is 0"},         {LIGO_VIT, 7, 1, "n_classes is 1"},
               {LIGO_GPT, 8, NAN, "ln_eps is nan"},      {LIGO_GPT, 8, INFINITY, "ln_eps is inf"},
               {LIGO_BERT, 8, -1, "ln_eps is -1"}};
    ligo_ctx *ctx = new_ctx();
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ligo_config c = ligo_config_default(bad[i].fam);
        int64_t v = bad[i].field == 8 ? 0 : (int64_t)bad[i].v; /* ln_eps rows hold NaN and infinity */
        switch (bad[i].field) {
        case 0: c.n_layer = v; break;
        case 1: c.d_model = v; break;
        case 2: c.d_ff = v; break;
        case 3: c.n_head = v; break;
        case 4: c.vocab = v; break;
        case 5: c.ctx_len = v; break;
        case 6: c.image_h = v; break;
        case 7: c.n_classes = v; break;
        default: c.ln_eps = (float)bad[i].v; break;
        }
        CHECK_STATUS(ligo_config_check(ctx, &c), LIGO_EINVAL);
        CHECK_MSG(strstr(ligo_get_error(ctx), bad[i].want) != NULL, "row %d: \"%s\" lacks \"%s\"", (int)i,
                  ligo_get_error(ctx), bad[i].want);
        ligo_clear_error(ctx);
    }
    ligo_ctx_free(ctx);
}

static void test_config_errors(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config c = ligo_config_default(LIGO_GPT);
    ligo_family f;
    CHECK_STATUS(ligo_config_check(ctx, &c), LIGO_OK);
    CHECK(c.d_ff == 4 * c.d_model);
    c.n_head = 3;
    CHECK_STATUS(ligo_config_check(ctx, &c), LIGO_EINVAL);
    CHECK(strstr(ligo_get_error(ctx), "heads do not divide") != NULL);
    ligo_clear_error(ctx);
    c = ligo_config_default(LIGO_GPT);
    c.n_layer = -1;
    CHECK(ligo_model_new(ctx, &c) == NULL);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_EINVAL);
    ligo_clear_error(ctx);
    c = ligo_config_default(LIGO_GPT);
    c.d_model = (int64_t)1 << 40;
    CHECK_STATUS(ligo_config_check(ctx, &c), LIGO_EINVAL);
    ligo_clear_error(ctx);
    c = ligo_config_default(LIGO_VIT);
    c.patch = 5;
    CHECK_STATUS(ligo_config_check(ctx, &c), LIGO_EINVAL);
    ligo_clear_error(ctx);
    c = ligo_config_default(LIGO_VIT);
    CHECK_STATUS(ligo_config_check(ctx, &c), LIGO_OK);
    CHECK(c.ctx_len == 17);
    CHECK(ligo_family_parse("bert", &f) == LIGO_OK && f == LIGO_BERT);
    CHECK(ligo_family_parse("mamba", &f) == LIGO_EINVAL);
    ligo_ctx_free(ctx);
}

static void test_table_and_init(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config c = ligo_config_default(LIGO_GPT);
    ligo_model *m;
    int64_t i, C = 128, V = 256, L = 4, want;
    double s2 = 0;
    m = ligo_model_new(ctx, &c);
    CHECK(m != NULL);
    if (!m) return;
    /* GPT-2 parameter count: V C + T C + L (12 C^2 + 13 C) + 2 C */
    want = V * C + 128 * C + L * (12 * C * C + 13 * C) + 2 * C;
    CHECK(m->n_floats == want);
    CHECK(ligo_model_find(m, "h.3.mlp.c_proj.bias") == ligo_model_layer_base(m, 3) + LIGO_BLK_FC2_B);
    CHECK(ligo_model_find(m, "nope") == -1);
    CHECK(m->info[m->n_tensors - 1].offset + m->info[m->n_tensors - 1].n == m->n_floats);
    ligo_model_init(m, 1);
    i = ligo_model_find(m, "h.0.attn.c_attn.weight");
    for (want = 0; want < m->info[i].n; want++) {
        double v = m->data[m->info[i].offset + want];
        s2 += v * v;
    }
    CHECK_NEAR(sqrt(s2 / (double)m->info[i].n), 0.02, 0.001);
    i = ligo_model_find(m, "h.0.mlp.c_proj.weight");
    s2 = 0;
    for (want = 0; want < m->info[i].n; want++) s2 += (double)m->data[m->info[i].offset + want] * m->data[m->info[i].offset + want];
    CHECK_NEAR(sqrt(s2 / (double)m->info[i].n), 0.02 / sqrt(8.0), 0.0005);
    i = ligo_model_find(m, "ln_f.weight");
    CHECK(m->data[m->info[i].offset] == 1.0f);
    CHECK(m->data[m->info[ligo_model_find(m, "ln_f.bias")].offset] == 0.0f);
    CHECK(m->info[ligo_model_find(m, "wte.weight")].flags & LIGO_PARAM_EMBEDDING);
    CHECK(!(m->info[ligo_model_find(m, "h.1.ln_2.bias")].flags & LIGO_PARAM_DECAY));
    ligo_ctx_free(ctx);
}

static void test_forward_bad_input(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config c = ligo_config_default(LIGO_GPT);
    ligo_model *m;
    ligo_batch b;
    int32_t in[8] = {1, 2, 3, 4, 5, 6, 7, 300}, tg[8] = {0};
    c.n_layer = 1;
    c.d_model = 16;
    c.n_head = 2;
    c.ctx_len = 4;
    m = ligo_model_new(ctx, &c);
    ligo_model_init(m, 3);
    memset(&b, 0, sizeof b);
    b.B = 2;
    b.T = 4;
    b.inputs = in;
    b.targets = tg;
    CHECK(ligo_model_loss(ctx, m, &b, NULL) == NULL); /* id 300 >= vocab 256 */
    CHECK_STATUS(ligo_get_status(ctx), LIGO_ERANGE);
    ligo_clear_error(ctx);
    in[7] = 7;
    b.T = 5;
    CHECK(ligo_model_loss(ctx, m, &b, NULL) == NULL); /* longer than the context */
    CHECK_STATUS(ligo_get_status(ctx), LIGO_EINVAL);
    ligo_clear_error(ctx);
    b.T = 4;
    b.inputs = NULL;
    CHECK(ligo_model_loss(ctx, m, &b, NULL) == NULL);
    CHECK(strstr(ligo_get_error(ctx), "inputs") != NULL);
    ligo_clear_error(ctx);
    b.inputs = in;
    {
        /* without targets: the logits, the same as the loss's */
        ligo_tensor *lg = NULL, *only;
        CHECK(ligo_model_loss(ctx, m, &b, &lg) != NULL && lg != NULL);
        b.targets = NULL;
        only = ligo_model_loss(ctx, m, &b, NULL);
        CHECK(only && lg && only->n == lg->n && only->shape[1] == 256);
        if (only && lg) CHECK(memcmp(only->data, lg->data, (size_t)lg->n * sizeof(float)) == 0);
    }
    ligo_ctx_free(ctx);
}

/* A few hundred AdamW steps on a repetitive text the test makes. */
static void test_gpt_learns(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config c = ligo_config_default(LIGO_GPT);
    ligo_optim_config oc = ligo_optim_config_default(LIGO_ADAMW);
    ligo_model *m;
    ligo_optim *opt;
    ligo_rng rng;
    const char *text = "the quick brown fox jumps over the lazy dog. ";
    int64_t len = (int64_t)strlen(text), B = 8, T = 32, step, i;
    int32_t in[8 * 32], tg[8 * 32];
    float first = 0.0f, last = 0.0f;
    /* LIGO_TEST_SHORT: 60 steps to a loss below 2 (about 1.0 natively;
     * 150 steps reach about 0.06) */
    int64_t steps = harness_short() ? 60 : 150;
    float want = harness_short() ? 2.0f : 1.0f;
    c.n_layer = 1;
    c.d_model = 32;
    c.n_head = 2;
    c.ctx_len = T;
    m = ligo_model_new(ctx, &c);
    ligo_model_init(m, 1);
    opt = ligo_optim_new_for_model(ctx, &oc, m);
    ligo_rng_seed(&rng, 2);
    CHECK(m && opt);
    for (step = 0; step < steps && m && opt; step++) {
        ligo_mark mk = ligo_scratch_mark(ctx);
        ligo_batch b;
        ligo_tensor *loss;
        for (i = 0; i < B; i++) {
            int64_t s = (int64_t)ligo_rng_below(&rng, (uint64_t)len), t;
            for (t = 0; t < T; t++) {
                in[i * T + t] = (unsigned char)text[(s + t) % len];
                tg[i * T + t] = (unsigned char)text[(s + t + 1) % len];
            }
        }
        memset(&b, 0, sizeof b);
        b.B = B;
        b.T = T;
        b.inputs = in;
        b.targets = tg;
        ligo_model_zero_grad(m);
        loss = ligo_model_loss(ctx, m, &b, NULL);
        if (!loss || ligo_backward(ctx, loss) != LIGO_OK) break;
        ligo_clip_grad_norm(m->grad, m->n_floats, 1.0);
        ligo_optim_step(ctx, opt, m->data, m->grad, 3e-3f);
        if (step == 0) first = loss->data[0];
        last = loss->data[0];
        ligo_scratch_rewind(ctx, mk);
    }
    CHECK_MSG(ligo_get_status(ctx) == LIGO_OK, "%s", ligo_get_error(ctx));
    CHECK_MSG(first > 5.0f && last < want, "loss %.3f -> %.3f", (double)first, (double)last);
    if (getenv("LIGO_TEST_VERBOSE")) printf("  gpt learns: loss %.3f -> %.3f in %lld steps\n", (double)first, (double)last, (long long)steps);
    ligo_ctx_free(ctx);
}

void suite_nn(void) {
    RUN(test_gpt_matches_pytorch);
    RUN(test_bert_matches_pytorch);
    RUN(test_vit_matches_pytorch);
    RUN(test_config_errors);
    RUN(test_config_fields);
    RUN(test_table_and_init);
    RUN(test_forward_bad_input);
    RUN(test_gpt_learns);
}
