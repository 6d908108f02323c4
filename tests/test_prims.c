/* test_prims.c: the primitives a model of one's own is built from (issue
 * 19): behaviour the op cases of test_ops.c do not reach (IEEE edges,
 * broadcasting, dropout's mask and modes, attention built from primitives
 * against the fused op), the ops against PyTorch (tests/ref/ops.safetensors
 * from tests/gen_ops_ref.py), and the custom-op hook. */
#include "harness.h"

#include <stdlib.h>

static ligo_ctx *new_ctx(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = 2;
    return ligo_ctx_new(&p);
}

/* log and sqrt outside their domain: IEEE values, no error. */
static void test_log_sqrt_ieee(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_tensor *x = ligo_new_1d(ctx, 4), *l, *s;
    x->data[0] = 0.0f;
    x->data[1] = -1.0f;
    x->data[2] = 1.0f;
    x->data[3] = (float)INFINITY;
    l = ligo_log(ctx, x);
    s = ligo_sqrt(ctx, x);
    CHECK_STATUS(ligo_get_status(ctx), LIGO_OK);
    CHECK(l && isinf(l->data[0]) && l->data[0] < 0.0f && isnan(l->data[1]) && l->data[2] == 0.0f &&
          isinf(l->data[3]));
    CHECK(s && s->data[0] == 0.0f && isnan(s->data[1]) && s->data[2] == 1.0f && isinf(s->data[3]));
    ligo_ctx_free(ctx);
}

void suite_prims(void) {
    RUN(test_log_sqrt_ieee);
}
