/* ligo_dump: ligo's logits and loss of a checkpoint on one batch, for the
 * PyTorch round trip (tests/torch/test_roundtrip.py).
 *
 *   ligo_dump MODEL.safetensors BATCH.safetensors OUT.safetensors
 *
 * BATCH holds float32 tensors: "inputs" (B, T) and "targets" (B, T) token
 * ids for GPT and BERT (-100 = not counted), or "images" (B, H, W) and
 * "targets" (B) for ViT. OUT gets "logits" (rows, V or classes) and
 * "loss" (1), computed by ligo_model_loss. Exit 0 on success. */
#define LIGO_IMPLEMENTATION
#include "../../ligo.h"

#include <math.h>
#include <stdio.h>

static int32_t *ids(ligo_ctx *ctx, const ligo_st_entry *e) {
    int32_t *out = (int32_t *)ligo_alloc_persistent(ctx, (size_t)e->n * sizeof(int32_t));
    int64_t i;
    if (!out) return NULL;
    for (i = 0; i < e->n; i++) {
        if (e->data[i] != floorf(e->data[i]) || fabsf(e->data[i]) > 1e8f) {
            ligo_set_error(ctx, LIGO_EINVAL, "%s[%lld] = %g is not an integer id", e->name, (long long)i,
                           (double)e->data[i]);
            return NULL;
        }
        out[i] = (int32_t)e->data[i];
    }
    return out;
}

int main(int argc, char **argv) {
    ligo_ctx *ctx;
    ligo_model *m;
    ligo_safetensors in, out;
    const ligo_st_entry *ein, *etg, *eim;
    ligo_batch bt;
    ligo_tensor *loss, *logits;
    int64_t one = 1;
    if (argc != 4) {
        fprintf(stderr, "usage: ligo_dump MODEL.safetensors BATCH.safetensors OUT.safetensors\n");
        return 2;
    }
    ctx = ligo_ctx_new(NULL);
    if (!ctx) return 1;
    m = ligo_model_load(ctx, argv[1]);
    if (m && ligo_st_read(ctx, argv[2], &in) == LIGO_OK) {
        memset(&bt, 0, sizeof bt);
        ein = ligo_st_find(&in, "inputs");
        etg = ligo_st_find(&in, "targets");
        eim = ligo_st_find(&in, "images");
        if (!etg || (m->cfg.family == LIGO_VIT ? !eim : !ein)) {
            ligo_set_error(ctx, LIGO_EINVAL, "%s lacks targets, inputs or images", argv[2]);
        } else {
            bt.B = etg->shape[0];
            bt.T = m->cfg.family == LIGO_VIT ? 0 : etg->shape[1];
            bt.targets = ids(ctx, etg);
            if (ein) bt.inputs = ids(ctx, ein);
            if (eim) bt.images = eim->data;
            loss = ligo_model_loss(ctx, m, &bt, &logits);
            if (loss) {
                ligo_st_init(&out);
                if (ligo_st_add(ctx, &out, "logits", logits->ndim, logits->shape, logits->data) == LIGO_OK &&
                    ligo_st_add(ctx, &out, "loss", 1, &one, loss->data) == LIGO_OK)
                    ligo_st_write(ctx, argv[3], &out);
            }
        }
    }
    if (ligo_get_status(ctx) != LIGO_OK) {
        fprintf(stderr, "ligo_dump: %s\n", ligo_get_error(ctx));
        ligo_ctx_free(ctx);
        return 1;
    }
    ligo_ctx_free(ctx);
    return 0;
}
