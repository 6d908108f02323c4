/* Uses the declarations only; the implementation is linked from other.c.
 * Built as C99 (gcc, clang) and as C++ (g++, clang++). */
#include <stdio.h>

#include "../../ligo.h"
#include "../../ligo.h"

int other_sum_of_squares(void);

int main(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    int64_t shape[2] = {2, 2};
    ligo_tensor *w = ligo_new_param(ctx, 2, shape);
    ligo_tensor *loss;
    ligo_fill(w, 1.5f);
    loss = ligo_mean(ctx, ligo_mul(ctx, w, w));
    if (!loss || ligo_backward(ctx, loss) != LIGO_OK || w->grad[0] != 0.75f) {
        fprintf(stderr, "link test: %s\n", ligo_get_error(ctx));
        return 1;
    }
    if (other_sum_of_squares() != 14) {
        fprintf(stderr, "link test: wrong sum from the other unit\n");
        return 1;
    }
    ligo_ctx_free(ctx);
    return 0;
}
