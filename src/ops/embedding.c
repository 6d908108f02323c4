/* ops/embedding.c: rows of a table (V, C) picked by n ids (node->ids) -> out (n, C). */
#include "ops.h"

LIGO__OP(EMBEDDING, "embedding", 1, 0);

LIGO__PRIV ligo_status ligo__shape_EMBEDDING(ligo_ctx *ctx, const ligo__args *a, int *ndim, int64_t *shape) {
    const ligo_tensor *w = a->src[0];
    int64_t i;
    if (w->ndim != 2) return ligo__bad(ctx, LIGO_ESHAPE, "embedding", "table must be 2-D (V, C), got %s%s", w, NULL);
    if (!a->ids || a->n_ids < 1)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_embedding: ids is NULL or n (%lld) < 1", (long long)a->n_ids);
    for (i = 0; i < a->n_ids; i++)
        if (a->ids[i] < 0 || (int64_t)a->ids[i] >= w->shape[0])
            return ligo_set_error(ctx, LIGO_ERANGE, "ligo_embedding: id %ld at position %lld is outside [0, %lld)",
                                  (long)a->ids[i], (long long)i, (long long)w->shape[0]);
    *ndim = 2;
    shape[0] = a->n_ids;
    shape[1] = w->shape[1];
    return LIGO_OK;
}
LIGO__PRIV void ligo__fwd_EMBEDDING(ligo_ctx *ctx, ligo_tensor *out) {
    const ligo_tensor *w = out->src[0];
    int64_t i, C = w->shape[1];
    (void)ctx;
    for (i = 0; i < out->shape[0]; i++)
        memcpy(out->data + i * C, w->data + (int64_t)out->ids[i] * C, (size_t)C * sizeof(float));
}
LIGO__PRIV void ligo__bwd_EMBEDDING(ligo_ctx *ctx, ligo_tensor *out) {
    ligo_tensor *w = out->src[0];
    float *dw = ligo__grad_of(ctx, w);
    int64_t i, C = w->shape[1];
    if (!dw) return;
    for (i = 0; i < out->shape[0]; i++) ligo__acc(dw + (int64_t)out->ids[i] * C, out->grad + i * C, C);
    ligo_flops_add(ctx, 0.0, (double)out->n);
}
/* Rows of table (V, C) picked by n ids -> (n, C). Ids outside [0, V) are
 * LIGO_ERANGE. */
LIGO_API ligo_tensor *ligo_embedding(ligo_ctx *ctx, ligo_tensor *table, const int32_t *ids, int64_t n) {
    ligo__args a = ligo__args0();
    a.src[0] = table;
    a.ids = ids;
    a.n_ids = n;
    return ligo__build(ctx, LIGO_OP_EMBEDDING, &a);
}

#ifdef LIGO_OP_TESTS
static ligo_tensor *ligo__embedding_case(ligo_ctx *ctx, ligo_tensor *const *in, const ligo_op_case *c) {
    return ligo_embedding(ctx, in[0], c->ids, c->n_ids);
}
LIGO__PRIV int ligo__cases_EMBEDDING(const ligo_op_case **cases) {
    static const ligo_op_case c[] = {
        {.name = "embedding", .run = ligo__embedding_case, .n_in = 1, .in = {{2, {5, 3}, 1.0f}},
         .ids = {4, 0, 4, 2, 1, 4}, .n_ids = 6},
    };
    *cases = c;
    return (int)(sizeof c / sizeof c[0]);
}
#endif /* LIGO_OP_TESTS */
