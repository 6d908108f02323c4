/* A program outside the repository that finds ligo through pkg-config or
 * CMake: it includes the installed headers by their plain names, trains
 * y = 2x + 1 with a few steps of gradient descent, and exits 0 only when
 * the fit is right and the version is the installed one. */
#define LIGO_IMPLEMENTATION
#include <ligo.h>
#include <ligo_blas.h> /* declarations only: found beside ligo.h */

#include <math.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_tensor *w, *b, *x, *y, *loss;
    int64_t one[2] = {1, 1}, n1 = 1;
    int step, i;
    if (!ctx) return 1;
    if (argc > 1 && strcmp(argv[1], LIGO_VERSION_STRING) != 0) {
        fprintf(stderr, "consumer: built against ligo %s, expected %s\n", LIGO_VERSION_STRING, argv[1]);
        return 1;
    }
    w = ligo_new_param(ctx, 2, one);
    b = ligo_new_param(ctx, 1, &n1);
    if (!w || !b) return 1;
    ligo_fill(w, 0.0f);
    ligo_fill(b, 0.0f);
    for (step = 0; step < 300; step++) {
        ligo_mark mk = ligo_scratch_mark(ctx);
        x = ligo_new_2d(ctx, 4, 1);
        y = ligo_new_2d(ctx, 4, 1);
        if (!x || !y) break;
        for (i = 0; i < 4; i++) {
            x->data[i] = (float)i - 1.5f;
            y->data[i] = 2.0f * x->data[i] + 1.0f;
        }
        w->grad[0] = b->grad[0] = 0.0f;
        {
            ligo_tensor *d = ligo_sub(ctx, ligo_linear(ctx, x, w, b), y); /* x w^T + b - y */
            loss = ligo_sum(ctx, ligo_mul(ctx, d, d));
        }
        if (ligo_backward(ctx, loss) != LIGO_OK) break;
        w->data[0] -= 0.05f * w->grad[0];
        b->data[0] -= 0.05f * b->grad[0];
        ligo_scratch_rewind(ctx, mk);
    }
    if (ligo_get_status(ctx) != LIGO_OK) {
        fprintf(stderr, "consumer: %s\n", ligo_get_error(ctx));
        return 1;
    }
    {
        double wf = w->data[0], bf = b->data[0];
        ligo_ctx_free(ctx);
        printf("consumer: ligo %s, w = %.4f, b = %.4f (want 2 and 1)\n", LIGO_VERSION_STRING, wf, bf);
        return fabs(wf - 2.0) < 1e-3 && fabs(bf - 1.0) < 1e-3 ? 0 : 1;
    }
}
