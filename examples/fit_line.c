/* fit_line.c: the smallest complete use of ligo's autograd.
 *
 * A two-layer network y = W2 gelu(W1 x + b1) + b2 learns sin(3x) on [-1, 1]
 * from 64 samples by plain gradient descent. Each step:
 *   1. mark the scratch arena,
 *   2. build the forward pass (every builder computes at once and records
 *      itself on the tape),
 *   3. backward from the scalar loss (gradients land in the parameters),
 *   4. update the parameters by hand and zero their gradients,
 *   5. rewind the scratch arena: activations and tape are gone.
 *
 *   build/fit_line           print the loss as it falls
 *   build/fit_line --quiet   print only the final line
 * Exits 1 if the loss did not fall at least tenfold. */
#define LIGO_IMPLEMENTATION
#include "../ligo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define N_SAMPLES 64
#define HIDDEN 32
#define STEPS 2000

int main(int argc, char **argv) {
    int quiet = argc > 1 && strcmp(argv[1], "--quiet") == 0;
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_rng rng;
    int64_t s_w1[2] = {HIDDEN, 1}, s_b1[1] = {HIDDEN}, s_w2[2] = {1, HIDDEN}, s_b2[1] = {1};
    ligo_tensor *params[4];
    ligo_tensor *x, *target;
    float first_loss = 0.0f, loss_value = 0.0f;
    int step, k, i;

    if (!ctx) {
        fprintf(stderr, "fit_line: cannot create a context\n");
        return 1;
    }
    ligo_rng_seed(&rng, 1);
    params[0] = ligo_new_param(ctx, 2, s_w1); /* W1 (HIDDEN, 1) */
    params[1] = ligo_new_param(ctx, 1, s_b1); /* b1 (HIDDEN) */
    params[2] = ligo_new_param(ctx, 2, s_w2); /* W2 (1, HIDDEN) */
    params[3] = ligo_new_param(ctx, 1, s_b2); /* b2 (1) */
    /* The data: x in [-1, 1], target sin(3x). Made once, before the mark. */
    x = ligo_new_2d(ctx, N_SAMPLES, 1);
    target = ligo_new_2d(ctx, N_SAMPLES, 1);
    if (ligo_get_status(ctx) != LIGO_OK) {
        fprintf(stderr, "fit_line: %s\n", ligo_get_error(ctx));
        return 1;
    }
    ligo_fill_normal(params[0], &rng, 0.0f, 1.0f);
    ligo_fill_normal(params[1], &rng, 0.0f, 0.5f);
    ligo_fill_normal(params[2], &rng, 0.0f, 1.0f / sqrtf((float)HIDDEN));
    for (i = 0; i < N_SAMPLES; i++) {
        x->data[i] = -1.0f + 2.0f * (float)i / (float)(N_SAMPLES - 1);
        target->data[i] = sinf(3.0f * x->data[i]);
    }

    for (step = 0; step < STEPS; step++) {
        ligo_mark mark = ligo_scratch_mark(ctx);
        ligo_tensor *h = ligo_gelu(ctx, ligo_linear(ctx, x, params[0], params[1]));
        ligo_tensor *y = ligo_linear(ctx, h, params[2], params[3]);
        ligo_tensor *err = ligo_sub(ctx, y, target);
        ligo_tensor *loss = ligo_mean(ctx, ligo_mul(ctx, err, err)); /* mean squared error */
        if (ligo_backward(ctx, loss) != LIGO_OK) {
            fprintf(stderr, "fit_line: %s\n", ligo_get_error(ctx));
            ligo_ctx_free(ctx);
            return 1;
        }
        loss_value = loss->data[0];
        if (step == 0) first_loss = loss_value;
        for (k = 0; k < 4; k++) { /* gradient descent, learning rate 0.1 */
            ligo_tensor *p = params[k];
            for (i = 0; i < p->n; i++) p->data[i] -= 0.1f * p->grad[i];
            ligo_zero_grad(p);
        }
        if (!quiet && step % 400 == 0) printf("step %4d  loss %.6f\n", step, (double)loss_value);
        ligo_scratch_rewind(ctx, mark);
    }
    printf("fit_line: loss %.6f -> %.6f after %d steps (%.1fx lower)\n", (double)first_loss,
           (double)loss_value, STEPS, (double)(first_loss / loss_value));
    ligo_ctx_free(ctx);
    return loss_value * 10.0f < first_loss ? 0 : 1;
}
