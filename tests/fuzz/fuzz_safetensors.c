/* fuzz_safetensors.c: ligo_st_parse (8-byte length, header JSON, dtypes,
 * shapes, data_offsets, metadata), then what a checkpoint load does with
 * a parsed file: the config from the metadata and the model's tensors. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ligo_ctx *ctx = fuzz_ctx();
    ligo_safetensors st;
    ligo_status s;
    volatile float sink = 0.0f;
    int64_t i;
    if (!ctx) return 0;
    s = ligo_st_parse(ctx, data, size, &st);
    fuzz_check_error(ctx, s);
    if (s == LIGO_OK) {
        ligo_model *m;
        for (i = 0; i < st.n_entries; i++) {
            const ligo_st_entry *e = &st.entries[i];
            int64_t n = 1;
            int d;
            if (!memchr(e->name, 0, sizeof e->name) || e->ndim < 1 || e->ndim > LIGO_MAX_DIMS) abort();
            for (d = 0; d < e->ndim; d++) n *= e->shape[d];
            if (n != e->n || ligo_st_find(&st, e->name) != e) abort();
            if (e->n > 0) sink += fuzz_touch(e->data, e->n);
        }
        for (i = 0; i < st.n_meta; i++)
            if (!st.meta[i].key || !st.meta[i].value || !ligo_st_get_meta(&st, st.meta[i].key)) abort();
        m = ligo_model_from_st(ctx, &st, "fuzz");
        if (m) sink += fuzz_touch(m->data, m->n_floats);
        else fuzz_check_error(ctx, ligo_get_status(ctx));
    }
    (void)sink;
    ligo_ctx_free(ctx);
    return 0;
}
