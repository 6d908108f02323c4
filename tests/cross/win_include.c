/* ligo.h after a full <windows.h> (make test-cross): the implementation
 * and the declarations compile beside everything windows.h defines, and
 * the Windows SDK's `small` macro (char; MSVC's rpcndr.h defines it always,
 * MinGW's only for the resource compiler, so it is defined here by hand)
 * is set aside for ligo and is there again after it. */
#include <windows.h>
#ifndef small
#define small char
#endif
#include <stdio.h>

#define LIGO_IMPLEMENTATION
#include "../../ligo.h"

int main(void) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    int64_t shape[2] = {2, 2};
    ligo_tensor *w = ligo_new_param(ctx, 2, shape);
    ligo_tensor *loss;
    small c = 'x'; /* still the SDK's macro */
    ligo_fill(w, 1.5f);
    loss = ligo_mean(ctx, ligo_mul(ctx, w, w));
    if (!loss || ligo_backward(ctx, loss) != LIGO_OK || w->grad[0] != 0.75f || sizeof c != 1) {
        fprintf(stderr, "win_include: %s\n", ligo_get_error(ctx));
        return 1;
    }
    printf("win_include: ligo.h after <windows.h>: ok (%d threads)\n", ligo_get_num_threads(ctx));
    ligo_ctx_free(ctx);
    return 0;
}
