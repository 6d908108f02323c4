/* The translation unit that holds the implementation. Including the header
 * twice, implementation and all, must be harmless. */
#define LIGO_IMPLEMENTATION
#include "../../ligo.h"
#include "../../ligo.h"

int other_sum_of_squares(void);
int other_sum_of_squares(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_tensor *x = ligo_new_1d(ctx, 3), *y;
    int v;
    x->data[0] = 1.0f;
    x->data[1] = 2.0f;
    x->data[2] = 3.0f;
    y = ligo_sum(ctx, ligo_mul(ctx, x, x));
    v = y ? (int)y->data[0] : -1;
    ligo_ctx_free(ctx);
    return v;
}
