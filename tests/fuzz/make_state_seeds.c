/* make_state_seeds.c: seed inputs of fuzz_operator and fuzz_trainer_state,
 * valid files written by the library into the fixed operators and trainers
 * of fuzz_grow.h, each after its selector byte.
 *
 *     make_state_seeds CORPUS_DIR     (make_seeds.py builds and runs it)
 *
 * operator/op<v>: an operator file of variant v after 2 fitting steps;
 * trainer_state/fit<v>_<k>: variant v's fitting state after k steps;
 * trainer_state/train_<family>: a trainer checkpoint after one step. */
#define _POSIX_C_SOURCE 200809L
#define LIGO_IMPLEMENTATION
#include "fuzz_grow.h"

static const char *tmp_path = "make_state_seeds.tmp.safetensors";

/* The file at tmp_path, after byte `sel`, to dir/target/name. */
static int put(const char *dir, const char *target, const char *name, int sel) {
    char p[4096];
    unsigned char buf[1 << 16];
    size_t n;
    FILE *in = fopen(tmp_path, "rb"), *out;
    if (!in) return 1;
    n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    remove(tmp_path);
    if (n == sizeof buf) {
        fprintf(stderr, "make_state_seeds: %s/%s is too large\n", target, name);
        return 1;
    }
    snprintf(p, sizeof p, "%s/%s/%s", dir, target, name);
    out = fopen(p, "wb");
    if (!out) {
        fprintf(stderr, "make_state_seeds: cannot write %s\n", p);
        return 1;
    }
    fputc(sel, out);
    fwrite(buf, 1, n, out);
    return fclose(out) != 0;
}

static int die(ligo_ctx *ctx, const char *what) {
    fprintf(stderr, "make_state_seeds: %s: %s\n", what, ctx ? ligo_get_error(ctx) : "no context");
    return 1;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/fuzz/corpus";
    int v, k, f, bad = 0;
    char name[64];
    for (v = 0; v < FUZZ_N_OPS; v++) {
        ligo_ctx *ctx = fuzz_ctx();
        ligo_data d;
        ligo_grow *g = ctx ? fuzz_operator(ctx, v, &d) : NULL;
        if (!g) return die(ctx, "operator");
        /* the fitting in steps of one, its state after each */
        for (k = 1; k <= FUZZ_FIT_STEPS && g->n > 0; k++) {
            g->cfg.fit_steps = k;
            g->fit_active = k > 1; /* continue the fitting of the steps before */
            if (ligo_grow_fit(ctx, g, &d) != LIGO_OK || ligo_grow_save_state(ctx, g, tmp_path) != LIGO_OK)
                return die(ctx, "fitting state");
            snprintf(name, sizeof name, "fit%d_%d", v, k);
            bad |= put(dir, "trainer_state", name, 2 * v + 1);
            if (k == 2) {
                if (ligo_grow_save(ctx, g, tmp_path) != LIGO_OK) return die(ctx, "operator");
                snprintf(name, sizeof name, "op%d", v);
                bad |= put(dir, "operator", name, v);
            }
        }
        if (g->n == 0) { /* noise only */
            if (ligo_grow_save(ctx, g, tmp_path) != LIGO_OK) return die(ctx, "operator");
            snprintf(name, sizeof name, "op%d", v);
            bad |= put(dir, "operator", name, v);
        }
        ligo_ctx_free(ctx);
    }
    for (f = 0; f < FUZZ_N_TRAINERS; f++) {
        ligo_ctx *ctx = fuzz_ctx();
        ligo_data d;
        ligo_trainer *tr = ctx ? fuzz_trainer(ctx, (ligo_family)f, &d) : NULL;
        if (!tr || ligo_trainer_step(ctx, tr, NULL) != LIGO_OK || ligo_trainer_save(ctx, tr, tmp_path) != LIGO_OK)
            return die(ctx, "trainer");
        snprintf(name, sizeof name, "train_%s", ligo_family_name((ligo_family)f));
        bad |= put(dir, "trainer_state", name, 2 * f);
        ligo_ctx_free(ctx);
    }
    return bad;
}
