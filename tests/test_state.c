/* test_state.c: saved state that a run continues from. A fitting stopped
 * and resumed (from a file, or after an interrupt) ends bitwise equal to
 * an uninterrupted one; every bad fitting-state file is refused naming the
 * problem with the operator unchanged; the trainer's counters are checked
 * too. */
#include "harness.h"

#include <stdlib.h>

static ligo_ctx *new_ctx(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = 2;
    return ligo_ctx_new(&p);
}

static ligo_config cfg(int64_t L, int64_t D, int64_t H) {
    ligo_config c = ligo_config_default(LIGO_GPT);
    c.n_layer = L;
    c.d_model = D;
    c.n_head = H;
    c.d_ff = 4 * D;
    c.vocab = 11;
    c.ctx_len = 6;
    return c;
}

static void text_data(ligo_ctx *ctx, ligo_data *d) {
    unsigned char bytes[400];
    int i;
    for (i = 0; i < 400; i++) bytes[i] = (unsigned char)((i * 7 + i / 5) % 11);
    memset(d, 0, sizeof *d);
    d->family = LIGO_GPT;
    CHECK_STATUS(ligo_tokens_from_bytes(ctx, bytes, sizeof bytes, &d->tokens), LIGO_OK);
    d->tokens.vocab = 11;
}

/* Operator of the given options from the small model s. */
static ligo_grow *op(ligo_ctx *ctx, const ligo_model *s, int residual, int64_t fit_steps) {
    ligo_config lc = cfg(2, 16, 4);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    gc.fit_steps = fit_steps;
    gc.fit_warmup = 2;
    gc.batch = 2;
    gc.residual = residual;
    gc.full_width = residual;
    return ligo_grow_new(ctx, s, &lc, &gc);
}

static int same_operator(const ligo_grow *a, const ligo_grow *b) {
    return a->n == b->n && memcmp(a->data, b->data, (size_t)a->n * sizeof(float)) == 0 && a->fit_opt && b->fit_opt &&
           memcmp(a->fit_opt->m, b->fit_opt->m, (size_t)a->n * sizeof(float)) == 0 &&
           memcmp(a->fit_opt->v, b->fit_opt->v, (size_t)a->n * sizeof(float)) == 0 &&
           a->fit_opt->step == b->fit_opt->step && a->fit_step == b->fit_step &&
           memcmp(&a->fit_rng, &b->fit_rng, sizeof a->fit_rng) == 0 && a->fit_flops == b->fit_flops &&
           a->fit_loss_first == b->fit_loss_first && a->fit_loss_last == b->fit_loss_last;
}

/* Fit 7 steps at once; fit 3, save, resume into a new operator, fit the
 * rest; and stop by interrupt, continue in place: all three bitwise equal. */
static void test_fit_resume_bitwise(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = cfg(1, 8, 2);
    ligo_model *s = ligo_model_new(ctx, &sc);
    ligo_data d;
    ligo_grow *ref, *a, *b, *c;
    volatile int stop = 0;
    const char *path = "build/test_state_fit.safetensors";
    int residual;
    CHECK(s != NULL);
    if (!s) return;
    ligo_model_init(s, 4);
    text_data(ctx, &d);
    for (residual = 0; residual < 2; residual++) {
        ref = op(ctx, s, residual, 7);
        a = op(ctx, s, residual, 3);
        b = op(ctx, s, residual, 7);
        c = op(ctx, s, residual, 7);
        CHECK(ref && a && b && c);
        if (!ref || !a || !b || !c) return;
        CHECK_STATUS(ligo_grow_fit(ctx, ref, &d), LIGO_OK);
        CHECK(ref->fit_step == 7 && !ref->fit_active);
        a->cfg.fit_ckpt_path = path; /* saved at its end, step 3 */
        CHECK_STATUS(ligo_grow_fit(ctx, a, &d), LIGO_OK);
        CHECK_STATUS(ligo_grow_resume(ctx, b, path), LIGO_OK);
        CHECK(b->fit_active && b->fit_step == 3);
        CHECK_STATUS(ligo_grow_fit(ctx, b, &d), LIGO_OK);
        CHECK_MSG(same_operator(ref, b), "resumed from a file (residual %d): not bitwise equal", residual);
        /* an interrupt before step 1 stops at once; the next call continues */
        c->cfg.interrupt = &stop;
        stop = 1;
        CHECK_STATUS(ligo_grow_fit(ctx, c, &d), LIGO_OK);
        CHECK(c->fit_active && c->fit_step == 0);
        stop = 0;
        CHECK_STATUS(ligo_grow_fit(ctx, c, &d), LIGO_OK);
        CHECK_MSG(same_operator(ref, c), "continued after an interrupt (residual %d): not bitwise equal", residual);
        /* a finished fitting, fitted again, starts afresh (as before) */
        CHECK_STATUS(ligo_grow_fit(ctx, c, &d), LIGO_OK);
        CHECK(c->fit_step == 7 && c->fit_opt->step == 7);
    }
    remove(path);
    ligo_ctx_free(ctx);
}

/* The periodic saves: every fit_ckpt_every steps and at the end. */
static void test_fit_ckpt_every(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = cfg(1, 8, 2);
    ligo_model *s = ligo_model_new(ctx, &sc);
    ligo_data d;
    ligo_grow *g;
    ligo_safetensors st;
    ligo_mark mk;
    const char *path = "build/test_state_every.safetensors";
    if (!s) return;
    ligo_model_init(s, 4);
    text_data(ctx, &d);
    g = op(ctx, s, 0, 5);
    if (!g) return;
    g->cfg.fit_ckpt_path = path;
    g->cfg.fit_ckpt_every = -1;
    CHECK_STATUS(ligo_grow_fit(ctx, g, &d), LIGO_EINVAL);
    CHECK(strstr(ligo_get_error(ctx), "ligo_grow_fit: fit_ckpt_every is -1") != NULL);
    ligo_clear_error(ctx);
    g->cfg.fit_ckpt_every = 2;
    CHECK_STATUS(ligo_grow_fit(ctx, g, &d), LIGO_OK);
    mk = ligo_scratch_mark(ctx);
    CHECK_STATUS(ligo_st_read(ctx, path, &st), LIGO_OK);
    CHECK(ligo_st_get_meta(&st, "ligo.fit.step") && strcmp(ligo_st_get_meta(&st, "ligo.fit.step"), "5") == 0);
    CHECK(ligo_st_find(&st, "ligo.fit.m") && ligo_st_find(&st, "ligo.fit.v") && ligo_st_find(&st, "width.emb.C"));
    ligo_scratch_rewind(ctx, mk);
    remove(path);
    ligo_ctx_free(ctx);
}

/* A copy of the state file at `from` with one change, written to `to`:
 * key set to value (metadata), or tensor `name`'s element 0 set to x. */
static void edited(ligo_ctx *ctx, const char *from, const char *to, const char *key, const char *value,
                   const char *name, float x) {
    ligo_safetensors st;
    ligo_mark mk = ligo_scratch_mark(ctx);
    CHECK_STATUS(ligo_st_read(ctx, from, &st), LIGO_OK);
    if (key) CHECK_STATUS(ligo_st_set_meta(ctx, &st, key, value), LIGO_OK);
    if (name) {
        const ligo_st_entry *e = ligo_st_find(&st, name);
        CHECK(e != NULL);
        if (e) e->data[0] = x;
    }
    CHECK_STATUS(ligo_st_write(ctx, to, &st), LIGO_OK);
    ligo_scratch_rewind(ctx, mk);
}

/* Every bad fitting state is LIGO_EFORMAT (or ESTATE, EIO) naming the
 * problem, and the operator is left as it was. */
static void test_resume_errors(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config sc = cfg(1, 8, 2), other = cfg(3, 16, 4);
    ligo_model *s = ligo_model_new(ctx, &sc);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_STACK);
    ligo_data d;
    ligo_grow *g, *h, *x;
    const char *good = "build/test_state_good.safetensors", *bad = "build/test_state_bad.safetensors";
    float *keep;
    static const struct {
        const char *key, *value, *tensor;
        float x;
        const char *want;
    } rows[] = {
        {"ligo.fit.step", "3x", NULL, 0.0f, "ligo.fit.step is \"3x\" (want a count of steps)"},
        {"ligo.fit.step", "9", NULL, 0.0f, "is at fitting step 9, past this operator's fit_steps 4"},
        {"ligo.fit.rng", "00", NULL, 0.0f, "ligo.fit.rng is \"00\" (want 64 hex digits)"},
        {"ligo.fit.flops", "nan", NULL, 0.0f, "ligo.fit.flops is \"nan\" (want a finite number >= 0)"},
        {"ligo.fit.seconds", " 1", NULL, 0.0f, "ligo.fit.seconds is \" 1\""},
        {"ligo.fit.loss_last", "-1", NULL, 0.0f, "ligo.fit.loss_last is \"-1\""},
        {"ligo.grow.residual", "1", NULL, 0.0f, "has ligo.grow.residual = 1, this operator 0"},
        {NULL, NULL, "ligo.fit.v", -1.0f, "ligo.fit.v[0] is -1 (want finite, >= 0)"},
        {NULL, NULL, "ligo.fit.m", (float)NAN, "ligo.fit.m[0] is nan (want finite)"},
        {NULL, NULL, "width.emb.C", (float)INFINITY, "width.emb.C[0] is inf (want finite)"},
    };
    size_t i;
    if (!s) return;
    ligo_model_init(s, 4);
    text_data(ctx, &d);
    g = op(ctx, s, 0, 4);
    h = op(ctx, s, 0, 4);
    if (!g || !h) return;
    CHECK_STATUS(ligo_grow_save_state(ctx, g, good), LIGO_ESTATE); /* before any fitting */
    CHECK(strstr(ligo_get_error(ctx), "no fitting has started") != NULL);
    ligo_clear_error(ctx);
    g->cfg.fit_steps = 2;
    CHECK_STATUS(ligo_grow_fit(ctx, g, &d), LIGO_OK);
    CHECK_STATUS(ligo_grow_save_state(ctx, g, good), LIGO_OK);
    CHECK_STATUS(ligo_grow_resume(ctx, h, good), LIGO_OK); /* the file is good */
    h = op(ctx, s, 0, 4);
    if (!h) return;
    keep = (float *)malloc((size_t)h->n * sizeof(float));
    memcpy(keep, h->data, (size_t)h->n * sizeof(float));
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        edited(ctx, good, bad, rows[i].key, rows[i].value, rows[i].tensor, rows[i].x);
        CHECK_STATUS(ligo_grow_resume(ctx, h, bad), LIGO_EFORMAT);
        CHECK_MSG(strstr(ligo_get_error(ctx), rows[i].want) != NULL, "row %d: %s", (int)i, ligo_get_error(ctx));
        CHECK(memcmp(keep, h->data, (size_t)h->n * sizeof(float)) == 0 && !h->fit_active && h->fit_step == 0);
        ligo_clear_error(ctx);
    }
    /* an operator file is not a fitting state; a checkpoint of the small model is not one either */
    CHECK_STATUS(ligo_grow_save(ctx, g, bad), LIGO_OK);
    CHECK_STATUS(ligo_grow_resume(ctx, h, bad), LIGO_EFORMAT);
    CHECK(strstr(ligo_get_error(ctx), "ligo.fit.step is missing (not a fitting state)") != NULL);
    ligo_clear_error(ctx);
    CHECK_STATUS(ligo_model_save(ctx, s, bad), LIGO_OK);
    CHECK_STATUS(ligo_grow_resume(ctx, h, bad), LIGO_EFORMAT);
    CHECK(strstr(ligo_get_error(ctx), "grows to") != NULL);
    ligo_clear_error(ctx);
    /* another shape; a method that fits nothing; no file */
    x = ligo_grow_new(ctx, s, &other, &g->cfg);
    CHECK(x != NULL);
    if (x) CHECK_STATUS(ligo_grow_resume(ctx, x, good), LIGO_EFORMAT);
    ligo_clear_error(ctx);
    gc.noise = 0.0f;
    x = ligo_grow_new(ctx, s, &g->large, &gc);
    CHECK(x != NULL);
    if (x) {
        CHECK_STATUS(ligo_grow_resume(ctx, x, good), LIGO_ESTATE);
        CHECK(strstr(ligo_get_error(ctx), "method stack fits nothing") != NULL);
        ligo_clear_error(ctx);
        CHECK_STATUS(ligo_grow_save_state(ctx, x, bad), LIGO_ESTATE);
        ligo_clear_error(ctx);
    }
    CHECK_STATUS(ligo_grow_resume(ctx, h, "build/no_such_state.safetensors"), LIGO_EIO);
    ligo_clear_error(ctx);
    CHECK(memcmp(keep, h->data, (size_t)h->n * sizeof(float)) == 0 && !h->fit_active);
    free(keep);
    remove(good);
    remove(bad);
    ligo_ctx_free(ctx);
}

/* ligo_trainer_resume: the counters must be numbers, checked before the
 * trainer changes. */
static void test_trainer_counters(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config c = cfg(1, 8, 2);
    ligo_model *m = ligo_model_new(ctx, &c);
    ligo_train_config tc = ligo_train_config_default();
    ligo_trainer *tr;
    ligo_data d;
    const char *good = "build/test_state_tr.safetensors", *bad = "build/test_state_trbad.safetensors";
    if (!m) return;
    ligo_model_init(m, 2);
    text_data(ctx, &d);
    tc.steps = 2;
    tc.batch = 2;
    tc.progress = 0;
    tc.eval_windows = 1;
    tr = ligo_trainer_new(ctx, m, &d, &tc);
    CHECK(tr != NULL);
    if (!tr) return;
    CHECK_STATUS(ligo_trainer_step(ctx, tr, NULL), LIGO_OK);
    CHECK_STATUS(ligo_trainer_save(ctx, tr, good), LIGO_OK);
    CHECK_STATUS(ligo_trainer_resume(ctx, tr, good), LIGO_OK);
    CHECK(tr->step == 1 && tr->train_flops > 0.0);
    edited(ctx, good, bad, "ligo.train.flops", "1e3x", NULL, 0.0f);
    CHECK_STATUS(ligo_trainer_resume(ctx, tr, bad), LIGO_EFORMAT);
    CHECK_MSG(strstr(ligo_get_error(ctx), "ligo.train.flops \"1e3x\"") != NULL, "%s", ligo_get_error(ctx));
    ligo_clear_error(ctx);
    edited(ctx, good, bad, "ligo.train.seconds", "inf", NULL, 0.0f);
    CHECK_STATUS(ligo_trainer_resume(ctx, tr, bad), LIGO_EFORMAT);
    CHECK(strstr(ligo_get_error(ctx), "is not a finite number >= 0") != NULL);
    ligo_clear_error(ctx);
    remove(good);
    remove(bad);
    ligo_ctx_free(ctx);
}

void suite_state(void);
void suite_state(void) {
    RUN(test_fit_resume_bitwise);
    RUN(test_fit_ckpt_every);
    RUN(test_resume_errors);
    RUN(test_trainer_counters);
}
