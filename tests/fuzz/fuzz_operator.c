/* fuzz_operator.c: ligo_grow_load (the operator file: config and options
 * in the metadata, every learned tensor and the symmetry noise) into
 * operators of seven fixed shapes and options, then the grown model made
 * from what it loaded.
 *
 * Input: byte 0 picks the operator (fuzz_grow.h, modulo FUZZ_N_OPS); the
 * rest is the file. A failed load must leave the operator unchanged. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_grow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ligo_ctx *ctx;
    ligo_data d;
    ligo_grow *g;
    ligo_status s;
    char path[256];
    float *keep = NULL, *keep_noise = NULL;
    int64_t nn;
    if (size < 1) return 0;
    ctx = fuzz_ctx();
    if (!ctx) return 0;
    g = fuzz_operator(ctx, data[0] % FUZZ_N_OPS, &d);
    if (!g) abort(); /* the fixed operators always build */
    nn = g->noise ? g->shape->n_floats : 0;
    if (!fuzz_to_file("operator", data + 1, size - 1, path, sizeof path)) goto out;
    if (g->n) keep = (float *)malloc((size_t)g->n * sizeof(float));
    if (nn) keep_noise = (float *)malloc((size_t)nn * sizeof(float));
    if (g->n) memcpy(keep, g->data, (size_t)g->n * sizeof(float));
    if (nn) memcpy(keep_noise, g->noise, (size_t)nn * sizeof(float));
    s = ligo_grow_load(ctx, g, path);
    remove(path);
    fuzz_say(ctx, "ligo_grow_load", s);
    fuzz_check_error(ctx, s);
    if (s != LIGO_OK) {
        if ((g->n && memcmp(keep, g->data, (size_t)g->n * sizeof(float)) != 0) ||
            (nn && memcmp(keep_noise, g->noise, (size_t)nn * sizeof(float)) != 0)) {
            fprintf(stderr, "fuzz: a failed ligo_grow_load changed the operator\n");
            abort();
        }
    } else {
        volatile float sink = fuzz_touch(g->data, g->n) + (nn ? fuzz_touch(g->noise, nn) : 0.0f);
        ligo_model *m = ligo_grow_apply(ctx, g); /* any finite or non-finite values: no crash */
        if (m) sink += fuzz_touch(m->data, m->n_floats);
        else fuzz_check_error(ctx, ligo_get_status(ctx));
        (void)sink;
    }
out:
    free(keep);
    free(keep_noise);
    ligo_ctx_free(ctx);
    return 0;
}
