/* LIGO_STATIC: every function static in this unit; unused ones must not
 * warn under -Wall -Wextra -Werror. */
#define LIGO_STATIC
#define LIGO_IMPLEMENTATION
#include "../../ligo.h"

#include <stdio.h>

int main(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_tensor *a = ligo_new_2d(ctx, 2, 3);
    ligo_tensor *t = ligo_transpose(ctx, a);
    int ok = t && t->shape[0] == 3 && t->shape[1] == 2;
    ligo_ctx_free(ctx);
    if (!ok) fprintf(stderr, "static link test failed\n");
    return ok ? 0 : 1;
}
