/* test_train.c: checkpoints with Hugging Face layouts, the trainer,
 * bitwise resume, non-finite stops, evaluation. */
#include "harness.h"

#include <stdlib.h>

static ligo_ctx *new_ctx(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = 2;
    return ligo_ctx_new(&p);
}

static void tmp_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/ligo_test_%ld_%s", harness_tmpdir(), harness_pid(), name);
}

/* A text with structure: a few sentences repeated with small changes. */
static void make_text(ligo_ctx *ctx, ligo_data *d) {
    static const char *words[8] = {"to be ", "or not ", "that is ", "the question. ", "whether ", "tis nobler ",
                                   "in the mind ", "to suffer. "};
    char *buf = (char *)malloc(20000);
    size_t len = 0;
    unsigned x = 7;
    while (len < 19000) {
        const char *w;
        x = x * 1103515245u + 12345u;
        w = words[(x >> 16) % 8];
        memcpy(buf + len, w, strlen(w));
        len += strlen(w);
    }
    memset(d, 0, sizeof *d);
    d->family = LIGO_GPT;
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, buf, len, &d->tokens), LIGO_OK);
    free(buf);
}

static ligo_config small_gpt(void) {
    ligo_config c = ligo_config_default(LIGO_GPT);
    c.n_layer = 2;
    c.d_model = 32;
    c.n_head = 2;
    c.ctx_len = 32;
    return c;
}

static ligo_train_config small_train(int64_t steps) {
    ligo_train_config t = ligo_train_config_default();
    t.steps = steps;
    t.batch = 4;
    t.ctx = 32;
    t.sched.warmup = 5;
    t.sched.lr_max = 3e-3f;
    t.progress = 0;
    t.eval_windows = 8;
    t.seed = 5;
    return t;
}

/* Save, load: every parameter bitwise equal; GPT's Conv1D weights are
 * stored (in, out) under GPT-2's names. */
static void test_checkpoint_roundtrip(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config c = small_gpt();
    ligo_model *m = ligo_model_new(ctx, &c), *back;
    ligo_safetensors st;
    const ligo_st_entry *e;
    char path[256];
    int64_t i, ci;
    tmp_path(path, sizeof path, "rt.safetensors");
    ligo_model_init(m, 9);
    CHECK_STATUS(ligo_model_save(ctx, m, path), LIGO_OK);
    back = ligo_model_load(ctx, path);
    CHECK_MSG(back != NULL, "%s", ligo_get_error(ctx));
    if (back) {
        CHECK(back->n_floats == m->n_floats);
        CHECK(memcmp(back->data, m->data, (size_t)m->n_floats * sizeof(float)) == 0);
        CHECK(memcmp(&back->cfg, &m->cfg, sizeof c) == 0);
    }
    CHECK_STATUS(ligo_st_read(ctx, path, &st), LIGO_OK);
    e = ligo_st_find(&st, "h.1.attn.c_attn.weight");
    CHECK(e && e->ndim == 2 && e->shape[0] == 32 && e->shape[1] == 96);
    ci = ligo_model_find(m, "h.1.attn.c_attn.weight");
    /* file (in, out)[k][r] == table (out, in)[r][k] */
    if (e)
        for (i = 0; i < 5; i++) CHECK(e->data[i * 96 + 7] == m->data[m->info[ci].offset + 7 * 32 + i]);
    CHECK(ligo_st_find(&st, "wte.weight") != NULL && ligo_st_find(&st, "ln_f.bias") != NULL);
    CHECK(ligo_st_get_meta(&st, "ligo.family") && strcmp(ligo_st_get_meta(&st, "ligo.family"), "gpt") == 0);
    remove(path);
    ligo_ctx_free(ctx);
}

static void test_checkpoint_names_bert_vit(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config cb = ligo_config_default(LIGO_BERT), cv = ligo_config_default(LIGO_VIT);
    ligo_model *mb, *mv, *back;
    ligo_safetensors st;
    const ligo_st_entry *e;
    char path[256];
    cb.n_layer = 1;
    cb.d_model = 16;
    cb.n_head = 2;
    cv.n_layer = 1;
    cv.d_model = 16;
    cv.n_head = 2;
    mb = ligo_model_new(ctx, &cb);
    mv = ligo_model_new(ctx, &cv);
    ligo_model_init(mb, 1);
    ligo_model_init(mv, 2);
    tmp_path(path, sizeof path, "bert.safetensors");
    CHECK_STATUS(ligo_model_save(ctx, mb, path), LIGO_OK);
    CHECK_STATUS(ligo_st_read(ctx, path, &st), LIGO_OK);
    e = ligo_st_find(&st, "bert.encoder.layer.0.attention.self.key.weight");
    CHECK(e && e->shape[0] == 16 && e->shape[1] == 16);
    /* key rows are rows [C, 2C) of the fused QKV weight */
    if (e) CHECK(e->data[3] == mb->data[mb->info[ligo_model_find(mb, "h.0.attn.c_attn.weight")].offset + 16 * 16 + 3]);
    CHECK(ligo_st_find(&st, "cls.predictions.transform.LayerNorm.weight") != NULL);
    CHECK(ligo_st_find(&st, "bert.embeddings.word_embeddings.weight") != NULL);
    back = ligo_model_load(ctx, path);
    CHECK(back && memcmp(back->data, mb->data, (size_t)mb->n_floats * sizeof(float)) == 0);
    remove(path);
    tmp_path(path, sizeof path, "vit.safetensors");
    CHECK_STATUS(ligo_model_save(ctx, mv, path), LIGO_OK);
    CHECK_STATUS(ligo_st_read(ctx, path, &st), LIGO_OK);
    e = ligo_st_find(&st, "vit.embeddings.patch_embeddings.projection.weight");
    CHECK(e && e->ndim == 4 && e->shape[0] == 16 && e->shape[1] == 1 && e->shape[2] == 7 && e->shape[3] == 7);
    e = ligo_st_find(&st, "vit.embeddings.position_embeddings");
    CHECK(e && e->ndim == 3 && e->shape[1] == 17);
    CHECK(ligo_st_find(&st, "classifier.weight") != NULL && ligo_st_find(&st, "vit.layernorm.bias") != NULL);
    back = ligo_model_load(ctx, path);
    CHECK(back && memcmp(back->data, mv->data, (size_t)mv->n_floats * sizeof(float)) == 0);
    remove(path);
    ligo_ctx_free(ctx);
}

static void test_checkpoint_bad(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_safetensors st;
    float x[4] = {1, 2, 3, 4};
    int64_t s[1] = {4};
    char path[256];
    tmp_path(path, sizeof path, "bad.safetensors");
    CHECK(ligo_model_load(ctx, "/nonexistent/dir/model.safetensors") == NULL);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_EIO);
    ligo_clear_error(ctx);
    /* a valid file that is not a ligo model */
    ligo_st_init(&st);
    CHECK_STATUS(ligo_st_add(ctx, &st, "x", 1, s, x), LIGO_OK);
    CHECK_STATUS(ligo_st_write(ctx, path, &st), LIGO_OK);
    CHECK(ligo_model_load(ctx, path) == NULL);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_EFORMAT);
    CHECK(strstr(ligo_get_error(ctx), "ligo.family") != NULL);
    ligo_clear_error(ctx);
    /* metadata says GPT but the tensors are missing */
    ligo_st_set_meta(ctx, &st, "ligo.family", "gpt");
    {
        ligo_config c = small_gpt();
        ligo_config_check(ctx, &c);
        CHECK_STATUS(ligo_config_to_st(ctx, &c, &st), LIGO_OK);
    }
    CHECK_STATUS(ligo_st_write(ctx, path, &st), LIGO_OK);
    CHECK(ligo_model_load(ctx, path) == NULL);
    CHECK(strstr(ligo_get_error(ctx), "missing") != NULL);
    ligo_clear_error(ctx);
    /* an absurd stored config */
    ligo_st_set_meta(ctx, &st, "ligo.n_layer", "-3");
    CHECK_STATUS(ligo_st_write(ctx, path, &st), LIGO_OK);
    CHECK(ligo_model_load(ctx, path) == NULL);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_EFORMAT);
    CHECK(strstr(ligo_get_error(ctx), "stored config is invalid: ligo_config: n_layer is -3") != NULL);
    ligo_clear_error(ctx);
    /* metadata values are read whole and strictly (src/meta.c) */
    {
        static const char *rows[][3] = {
            {"ligo.n_layer", " 2", "not an integer"},
            {"ligo.n_layer", "2 ", "not an integer"},
            {"ligo.n_layer", "+2", "not an integer"},
            {"ligo.n_layer", "99999999999999999999", "not an integer"},
            {"ligo.ln_eps", "nan", "ligo.ln_eps is missing or not a number"},
            {"ligo.ln_eps", " 1e-5", "ligo.ln_eps is missing or not a number"},
            {"ligo.ln_eps", "0x1p-16", "ligo.ln_eps is missing or not a number"},
        };
        size_t i;
        ligo_config c = small_gpt();
        ligo_config_check(ctx, &c);
        for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            CHECK_STATUS(ligo_config_to_st(ctx, &c, &st), LIGO_OK);
            ligo_st_set_meta(ctx, &st, rows[i][0], rows[i][1]);
            CHECK_STATUS(ligo_st_write(ctx, path, &st), LIGO_OK);
            CHECK(ligo_model_load(ctx, path) == NULL);
            CHECK_MSG(ligo_get_status(ctx) == LIGO_EFORMAT && strstr(ligo_get_error(ctx), rows[i][2]) != NULL,
                      "%s = \"%s\": %s", rows[i][0], rows[i][1], ligo_get_error(ctx));
            ligo_clear_error(ctx);
        }
    }
    remove(path);
    ligo_ctx_free(ctx);
}

#define CHECK_ERR(ctx, call, status, needle)                                                               \
    do {                                                                                                   \
        CHECK_STATUS(call, status);                                                                        \
        CHECK_MSG(strstr(ligo_get_error(ctx), needle) != NULL, "message \"%s\" lacks \"%s\"", ligo_get_error(ctx), \
                  needle);                                                                                 \
        ligo_clear_error(ctx);                                                                             \
    } while (0)

/* Hugging Face's config.json: measured, written, refused when the buffer
 * is short or ViT's images are not square; a directory with both files. */
static void test_hf_export(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config c = small_gpt(), v = ligo_config_default(LIGO_VIT);
    ligo_model *m;
    char buf[2048], small[16], dir[256], path[300];
    size_t n = 0, n2 = 0;
    ligo_config_check(ctx, &c);
    CHECK_STATUS(ligo_hf_config_json(ctx, &c, NULL, 0, &n), LIGO_OK);
    CHECK_STATUS(ligo_hf_config_json(ctx, &c, buf, sizeof buf, &n2), LIGO_OK);
    CHECK(n > 100 && n == n2 && strlen(buf) == n);
    CHECK(strstr(buf, "\"GPT2LMHeadModel\"") && strstr(buf, "\"n_embd\": 32,") && strstr(buf, "\"n_layer\": 2,"));
    CHECK_ERR(ctx, ligo_hf_config_json(ctx, &c, small, sizeof small, NULL), LIGO_EINVAL, "too small");
    v.image_w = 14;
    CHECK_ERR(ctx, ligo_hf_config_json(ctx, &v, buf, sizeof buf, NULL), LIGO_EINVAL,
              "Hugging Face's ViT takes square images (these are 28x14)");
    m = ligo_model_new(ctx, &c);
    ligo_model_init(m, 3);
    tmp_path(dir, sizeof dir, "hf");
    CHECK(harness_mkdir(dir) == 0);
    CHECK_STATUS(ligo_model_export_hf(ctx, m, dir), LIGO_OK);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    CHECK(ligo_model_load(ctx, path) != NULL);
    remove(path);
    snprintf(path, sizeof path, "%s/config.json", dir);
    remove(path);
    CHECK(harness_rmdir(dir) == 0);
    CHECK_ERR(ctx, ligo_model_export_hf(ctx, m, dir), LIGO_EIO, "config.json.tmp"); /* no directory */
    ligo_ctx_free(ctx);
}

/* Train N steps; or N/2, save, a fresh process-like restart, N/2 more:
 * the weights and the last loss are bitwise identical. */
static void test_resume_bitwise(void) {
    ligo_ctx *a = new_ctx(), *b = new_ctx(), *c2 = new_ctx();
    ligo_data da, db, dc;
    ligo_config c = small_gpt();
    ligo_train_config tc = small_train(20);
    ligo_model *ma, *mb, *mc;
    ligo_trainer *ta, *tb, *tcr;
    char path[256];
    /* LIGO_TEST_SHORT: 8 steps against 4 + 4 resumed, not 20 and 10 + 10 */
    int i, half = harness_short() ? 4 : 10;
    float la = 0, lc = 0;
    tmp_path(path, sizeof path, "resume.safetensors");
    make_text(a, &da);
    make_text(b, &db);
    make_text(c2, &dc);
    ma = ligo_model_new(a, &c);
    mb = ligo_model_new(b, &c);
    mc = ligo_model_new(c2, &c);
    ligo_model_init(ma, 3);
    ligo_model_init(mb, 3);
    ligo_model_init(mc, 99); /* overwritten by the resume */
    ta = ligo_trainer_new(a, ma, &da, &tc);
    tb = ligo_trainer_new(b, mb, &db, &tc);
    tcr = ligo_trainer_new(c2, mc, &dc, &tc);
    CHECK(ta && tb && tcr);
    if (!ta || !tb || !tcr) return;
    for (i = 0; i < 2 * half; i++) CHECK_STATUS(ligo_trainer_step(a, ta, &la), LIGO_OK);
    for (i = 0; i < half; i++) CHECK_STATUS(ligo_trainer_step(b, tb, NULL), LIGO_OK);
    CHECK_STATUS(ligo_trainer_save(b, tb, path), LIGO_OK);
    CHECK_STATUS(ligo_trainer_resume(c2, tcr, path), LIGO_OK);
    CHECK(tcr->step == half);
    for (i = 0; i < half; i++) CHECK_STATUS(ligo_trainer_step(c2, tcr, &lc), LIGO_OK);
    CHECK(la == lc);
    CHECK(memcmp(ma->data, mc->data, (size_t)ma->n_floats * sizeof(float)) == 0);
    CHECK(memcmp(ta->opt->v, tcr->opt->v, (size_t)ma->n_floats * sizeof(float)) == 0);
    remove(path);
    ligo_ctx_free(a);
    ligo_ctx_free(b);
    ligo_ctx_free(c2);
}

static void test_nonfinite_stops(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_data d;
    ligo_config c = small_gpt();
    ligo_train_config tc = small_train(10);
    ligo_model *m;
    ligo_trainer *tr;
    char path[256];
    FILE *f;
    tmp_path(path, sizeof path, "nan.safetensors");
    make_text(ctx, &d);
    m = ligo_model_new(ctx, &c);
    ligo_model_init(m, 1);
    tc.ckpt_path = path;
    tc.ckpt_every = 2;
    tr = ligo_trainer_new(ctx, m, &d, &tc);
    CHECK_STATUS(ligo_trainer_step(ctx, tr, NULL), LIGO_OK);
    CHECK_STATUS(ligo_trainer_step(ctx, tr, NULL), LIGO_OK);
    CHECK_STATUS(ligo_trainer_save(ctx, tr, path), LIGO_OK);
    m->data[m->info[ligo_model_find(m, "ln_f.weight")].offset] = (float)NAN;
    CHECK_STATUS(ligo_trainer_run(ctx, tr), LIGO_ENONFINITE);
    CHECK(strstr(ligo_get_error(ctx), "step 3") != NULL);
    CHECK(tr->step == 2);
    ligo_clear_error(ctx);
    /* the last good checkpoint is still there and loads */
    f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f) fclose(f);
    CHECK(ligo_model_load(ctx, path) != NULL);
    remove(path);
    ligo_ctx_free(ctx);
}

/* A NaN in one embedding row, of a byte the text never holds (only the
 * tied output layer reads it): the validation loss is NaN and
 * ligo_evaluate says so, on the SIMD and the portable build alike (the
 * AVX2 softmax used to lose a NaN logit). */
static void test_eval_nonfinite(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_data d;
    ligo_config c = small_gpt();
    ligo_model *m;
    ligo_eval_result ev;
    int64_t wte;
    make_text(ctx, &d);
    m = ligo_model_new(ctx, &c);
    ligo_model_init(m, 1);
    CHECK_STATUS(ligo_evaluate(ctx, m, &d, 4, 32, 8, &ev), LIGO_OK);
    CHECK(isfinite(ev.loss) && ev.count == 8 * 32);
    wte = m->info[ligo_model_find(m, "wte.weight")].offset;
    m->data[wte + 200 * c.d_model + 5] = (float)NAN;
    CHECK_STATUS(ligo_evaluate(ctx, m, &d, 4, 32, 8, &ev), LIGO_ENONFINITE);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_ENONFINITE);
    CHECK_MSG(strstr(ligo_get_error(ctx), "ligo_evaluate: the validation loss is nan (over 256 predictions)") != NULL &&
                  strstr(ligo_get_error(ctx), "windows 0-3 of 8") != NULL,
              "message: %s", ligo_get_error(ctx));
    CHECK(isnan(ev.loss) && ev.count == 8 * 32);
    ligo_clear_error(ctx);
    ligo_ctx_free(ctx);
}

/* ViT images in memory: n of 28x28 pixels in [0, 1), labels i mod 10. */
static void fill_images(ligo_images *im, int64_t n, unsigned seed) {
    int64_t i;
    im->n = n;
    im->rows = 28;
    im->cols = 28;
    im->n_classes = 10;
    im->pixels = (float *)malloc((size_t)(n * 28 * 28) * sizeof(float));
    im->labels = (int32_t *)malloc((size_t)n * sizeof(int32_t));
    for (i = 0; i < n * 28 * 28; i++) {
        seed = seed * 1103515245u + 12345u;
        im->pixels[i] = (float)((seed >> 16) & 255) / 256.0f;
    }
    for (i = 0; i < n; i++) im->labels[i] = (int32_t)(i % 10);
}

/* One NaN pixel in a test image: training stays finite, the evaluation
 * after step 2 is not, and the run stops naming the step, the loss and
 * the checkpoint that is still good. */
static void test_run_stops_on_nonfinite_eval(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_data d;
    ligo_config c = ligo_config_default(LIGO_VIT);
    ligo_train_config tc = small_train(4);
    ligo_model *m;
    ligo_trainer *tr;
    char path[256];
    const char *msg;
    tmp_path(path, sizeof path, "evalnan.safetensors");
    memset(&d, 0, sizeof d);
    d.family = LIGO_VIT;
    fill_images(&d.train, 32, 3);
    fill_images(&d.test, 16, 4);
    d.test.pixels[5 * 28 * 28 + 300] = (float)NAN;
    c.n_layer = 1;
    c.d_model = 16;
    c.n_head = 2;
    m = ligo_model_new(ctx, &c);
    ligo_model_init(m, 1);
    tc.batch = 8;
    tc.eval_every = 2;
    tc.eval_windows = 0;
    tc.ckpt_path = path;
    tc.ckpt_every = 1;
    tr = ligo_trainer_new(ctx, m, &d, &tc);
    CHECK(tr != NULL);
    if (tr) {
        CHECK_STATUS(ligo_trainer_run(ctx, tr), LIGO_ENONFINITE);
        msg = ligo_get_error(ctx);
        CHECK_MSG(strstr(msg, "training stopped after step 2: ligo_evaluate: the validation loss is nan (over 16 "
                              "predictions); the first non-finite batch is test images 0-7 of 16") != NULL &&
                      strstr(msg, "(step 1), is kept") != NULL,
                  "message: %s", msg);
        CHECK(tr->step == 2 && isfinite(tr->last_loss));
    }
    ligo_clear_error(ctx);
    CHECK(ligo_model_load(ctx, path) != NULL);
    remove(path);
    free(d.train.pixels);
    free(d.train.labels);
    free(d.test.pixels);
    free(d.test.labels);
    ligo_ctx_free(ctx);
}

/* The loop: evaluation, CSV log, checkpoint, and the loss falls. */
static void test_run_learns_and_logs(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_data d;
    ligo_config c = small_gpt();
    /* LIGO_TEST_SHORT: 30 steps, evaluated every 10, to a validation loss
     * 1.2 lower (60 steps: 1.5 lower) */
    int short_run = harness_short();
    ligo_train_config tc = small_train(short_run ? 30 : 60);
    ligo_model *m;
    ligo_trainer *tr;
    ligo_eval_result ev0, ev1;
    char ck[256], csv[256], line[256];
    FILE *f;
    int lines = 0;
    tmp_path(ck, sizeof ck, "run.safetensors");
    tmp_path(csv, sizeof csv, "run.csv");
    make_text(ctx, &d);
    m = ligo_model_new(ctx, &c);
    ligo_model_init(m, 1);
    tc.ckpt_path = ck;
    tc.csv_path = csv;
    tc.eval_every = short_run ? 10 : 20;
    tr = ligo_trainer_new(ctx, m, &d, &tc);
    CHECK_STATUS(ligo_evaluate(ctx, m, &d, 4, 32, 0, &ev0), LIGO_OK);
    CHECK_STATUS(ligo_trainer_run(ctx, tr), LIGO_OK);
    CHECK(tr->step == tc.steps);
    CHECK_STATUS(ligo_evaluate(ctx, m, &d, 4, 32, 0, &ev1), LIGO_OK);
    CHECK_MSG(ev1.loss < ev0.loss - (short_run ? 1.2 : 1.5), "validation loss %.3f -> %.3f", ev0.loss, ev1.loss);
    if (getenv("LIGO_TEST_VERBOSE")) printf("  run learns: validation loss %.3f -> %.3f\n", ev0.loss, ev1.loss);
    /* validation windows: 10% of the text in windows of 33 bytes */
    CHECK(ev1.count == (d.tokens.n - d.tokens.split) / 33 * 32);
    f = fopen(csv, "rb");
    CHECK(f != NULL);
    while (f && fgets(line, sizeof line, f)) lines++;
    if (f) fclose(f);
    CHECK(lines == 1 + (int)(tc.steps / 10)); /* header, every 10 steps */
    CHECK(ligo_model_load(ctx, ck) != NULL);
    remove(ck);
    remove(csv);
    ligo_ctx_free(ctx);
}

/* Progress is reported through the config's callback, never printed by the
 * library: after every step, with evaluations flagged, then once with done;
 * progress 0 silences it. */
typedef struct progress_log {
    int n, done, evaluated, bad;
    ligo_progress last;
} progress_log;

static void log_progress(void *user, const ligo_progress *p) {
    progress_log *l = (progress_log *)user;
    if (l->done || p->phase != LIGO_PHASE_TRAIN || p->total != 6) l->bad++;
    if (!p->done && (p->step != l->n + 1 || p->run_steps != l->n + 1 || !(p->loss > 0.0) || !(p->flops > 0.0)))
        l->bad++;
    if (!p->done) l->n++;
    l->done += p->done;
    l->evaluated += p->evaluated;
    if (p->evaluated && !(p->val_loss > 0.0)) l->bad++;
    l->last = *p;
}

static void test_run_progress(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_data d;
    ligo_config c = small_gpt();
    ligo_train_config tc = small_train(6);
    ligo_model *m;
    progress_log log;
    make_text(ctx, &d);
    m = ligo_model_new(ctx, &c);
    ligo_model_init(m, 1);
    memset(&log, 0, sizeof log);
    tc.eval_every = 3;
    tc.progress = 1;
    tc.on_progress = log_progress;
    tc.progress_user = &log;
    CHECK_STATUS(ligo_trainer_run(ctx, ligo_trainer_new(ctx, m, &d, &tc)), LIGO_OK);
    CHECK_MSG(log.n == 6 && log.done == 1 && log.evaluated == 2 && log.bad == 0, "%d steps, %d done, %d evaluated, %d bad",
              log.n, log.done, log.evaluated, log.bad);
    CHECK(log.last.done && log.last.step == 6 && log.last.eta_seconds == 0.0 && log.last.tokens_per_sec > 0.0);
    memset(&log, 0, sizeof log);
    tc.progress = 0;
    CHECK_STATUS(ligo_trainer_run(ctx, ligo_trainer_new(ctx, m, &d, &tc)), LIGO_OK);
    CHECK(log.n == 0 && log.done == 0);
    ligo_ctx_free(ctx);
}

/* A subset of the validation windows is spread over the whole split:
 * max_windows = 5 of n takes windows floor(i n / 5), and its loss is the
 * mean of those windows' losses computed one by one. */
static void test_eval_subset_spread(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_data d;
    ligo_config c = small_gpt();
    ligo_model *m;
    ligo_eval_result ev;
    int32_t in[32], tg[32];
    double sum = 0.0;
    int64_t n, i;
    make_text(ctx, &d);
    m = ligo_model_new(ctx, &c);
    ligo_model_init(m, 3);
    n = ligo_tokens_windows(&d.tokens, LIGO_SPLIT_VAL, 32);
    CHECK(n > 20);
    for (i = 0; i < 5; i++) {
        ligo_mark mk = ligo_scratch_mark(ctx);
        ligo_batch bt;
        ligo_tensor *loss;
        CHECK_STATUS(ligo_tokens_window(ctx, &d.tokens, LIGO_SPLIT_VAL, i * n / 5, 32, in, tg), LIGO_OK);
        memset(&bt, 0, sizeof bt);
        bt.B = 1;
        bt.T = 32;
        bt.inputs = in;
        bt.targets = tg;
        loss = ligo_model_loss(ctx, m, &bt, NULL);
        CHECK(loss != NULL);
        if (loss) sum += loss->data[0];
        ligo_scratch_rewind(ctx, mk);
    }
    CHECK_STATUS(ligo_evaluate(ctx, m, &d, 2, 32, 5, &ev), LIGO_OK);
    CHECK(ev.count == 5 * 32);
    CHECK_NEAR(ev.loss, sum / 5.0, 1e-5);
    ligo_ctx_free(ctx);
}

/* ligo_trainer_new checks every field before it allocates anything, each
 * bad one in its own message with its value; ligo_train_config_check the
 * same before a model exists. */
static void test_trainer_config_fields(void) {
    static const struct {
        int field;
        double v;
        const char *want;
    } bad[] = {{0, -1, "steps is -1"},
               {1, 0, "batch is 0"},
               {2, 128, "ctx 128 is longer than the model's context 32"},
               {2, -4, "ctx is -4"},
               {3, NAN, "sched.lr_max is nan (want a finite rate >= 0)"},
               {3, INFINITY, "sched.lr_max is inf"},
               {4, NAN, "sched.lr_min is nan (want a finite rate >= 0)"},
               {4, -1e-4, "sched.lr_min is -0.0001"},
               {5, -3, "sched.warmup is -3"},
               {6, 1.0, "optim.beta1 is 1"},
               {7, NAN, "optim.beta2 is nan"},
               {8, 0, "optim.eps is 0"},
               {9, -0.5, "optim.weight_decay is -0.5"},
               {10, 1.0, "optim.momentum is 1"},
               {11, 5, "optim.kind is 5"},
               {12, NAN, "clip is nan"},
               {12, -1, "clip is -1"},
               {13, -1, "eval_every is -1"},
               {14, -2, "eval_windows is -2"},
               {15, -5, "ckpt_every is -5"},
               {16, NAN, "target_loss is nan"},
               {16, -0.5, "target_loss is -0.5"}};
    ligo_ctx *ctx = new_ctx();
    ligo_data d;
    ligo_config c = small_gpt();
    ligo_model *m = ligo_model_new(ctx, &c);
    ligo_trainer *tr;
    size_t i, used;
    make_text(ctx, &d);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ligo_train_config t = small_train(10);
        float v = (float)bad[i].v;
        switch (bad[i].field) {
        case 0: t.steps = (int64_t)bad[i].v; break;
        case 1: t.batch = (int64_t)bad[i].v; break;
        case 2: t.ctx = (int64_t)bad[i].v; break;
        case 3: t.sched.lr_max = v; break;
        case 4: t.sched.lr_min = v; break;
        case 5: t.sched.warmup = (int64_t)bad[i].v; break;
        case 6: t.optim.beta1 = v; break;
        case 7: t.optim.beta2 = v; break;
        case 8: t.optim.eps = v; break;
        case 9: t.optim.weight_decay = v; break;
        case 10: t.optim.momentum = v; break;
        case 11: t.optim.kind = (ligo_optim_kind)(int)bad[i].v; break;
        case 12: t.clip = bad[i].v; break;
        case 13: t.eval_every = (int64_t)bad[i].v; break;
        case 14: t.eval_windows = (int64_t)bad[i].v; break;
        case 15: t.ckpt_every = (int64_t)bad[i].v; break;
        default: t.target_loss = bad[i].v; break;
        }
        used = ligo_persistent_used(ctx);
        CHECK(m && ligo_trainer_new(ctx, m, &d, &t) == NULL);
        CHECK_STATUS(ligo_get_status(ctx), LIGO_EINVAL);
        CHECK_MSG(strstr(ligo_get_error(ctx), bad[i].want) != NULL &&
                      strncmp(ligo_get_error(ctx), "ligo_trainer_new: ", 18) == 0,
                  "row %d: \"%s\" lacks \"%s\"", (int)i, ligo_get_error(ctx), bad[i].want);
        CHECK(ligo_persistent_used(ctx) == used);
        ligo_clear_error(ctx);
        /* the same check without a model, as ligo_train_config_check */
        CHECK_STATUS(ligo_train_config_check(ctx, &t, &c, &d), LIGO_EINVAL);
        CHECK_MSG(strstr(ligo_get_error(ctx), bad[i].want) != NULL &&
                      strncmp(ligo_get_error(ctx), "ligo_train_config_check: ", 25) == 0,
                  "row %d: \"%s\"", (int)i, ligo_get_error(ctx));
        ligo_clear_error(ctx);
    }
    /* ctx 0 (the default) is the model's context */
    {
        ligo_train_config t = small_train(1);
        CHECK(ligo_train_config_default().ctx == 0);
        t.ctx = 0;
        CHECK_STATUS(ligo_train_config_check(ctx, &t, &c, &d), LIGO_OK);
        tr = ligo_trainer_new(ctx, m, &d, &t);
        CHECK(tr != NULL && tr->cfg.ctx == 32);
    }
    /* data too short for a training window, or for an evaluation window */
    {
        ligo_data shortd = d;
        ligo_train_config t = small_train(1);
        shortd.tokens.n = 30;
        shortd.tokens.split = 27;
        CHECK(ligo_trainer_new(ctx, m, &shortd, &t) == NULL);
        CHECK_MSG(strstr(ligo_get_error(ctx), "ligo_trainer_new: the training split has 27 tokens, fewer than T + 1 = "
                                              "33") != NULL,
                  "%s", ligo_get_error(ctx));
        ligo_clear_error(ctx);
        shortd.tokens.n = 1000;
        shortd.tokens.split = 980;
        CHECK(ligo_trainer_new(ctx, m, &shortd, &t) == NULL);
        CHECK_MSG(strstr(ligo_get_error(ctx), "the validation split (the last 10% of the data) has 20 tokens, fewer "
                                              "than one evaluation window of 33 at ctx 32") != NULL,
                  "%s", ligo_get_error(ctx));
        ligo_clear_error(ctx);
        CHECK_STATUS(ligo_data_check(ctx, &shortd, &c, 32, 0), LIGO_OK); /* training alone fits */
        CHECK_STATUS(ligo_data_check(ctx, &shortd, &c, 19, 1), LIGO_OK); /* and a window of 20 */
        CHECK_STATUS(ligo_data_check(ctx, &shortd, &c, 33, 0), LIGO_EINVAL);
        CHECK(strstr(ligo_get_error(ctx), "ligo_data_check: T = 33 is outside [1, 32]") != NULL);
        ligo_clear_error(ctx);
    }
    ligo_ctx_free(ctx);
}

void suite_train(void) {
    RUN(test_checkpoint_roundtrip);
    RUN(test_checkpoint_names_bert_vit);
    RUN(test_checkpoint_bad);
    RUN(test_hf_export);
    RUN(test_resume_bitwise);
    RUN(test_nonfinite_stops);
    RUN(test_eval_nonfinite);
    RUN(test_run_stops_on_nonfinite_eval);
    RUN(test_run_learns_and_logs);
    RUN(test_run_progress);
    RUN(test_eval_subset_spread);
    RUN(test_trainer_config_fields);
}
