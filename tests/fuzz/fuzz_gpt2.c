/* fuzz_gpt2.c: GPT-2 token files (llm.c's layout), then the batches and
 * validation windows a trainer draws from a parsed stream. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ligo_ctx *ctx = fuzz_ctx();
    ligo_tokens tok;
    ligo_status s;
    if (!ctx) return 0;
    s = ligo_tokens_parse_gpt2(ctx, data, size, &tok);
    fuzz_check_error(ctx, s);
    if (s == LIGO_OK) {
        int32_t in[4 * 8], tg[4 * 8];
        ligo_rng rng;
        int64_t i, T = 8, w;
        if (tok.n < 2 || tok.split < 0 || tok.split > tok.n || tok.vocab < 50257) abort();
        for (i = 0; i < tok.n; i++)
            if (tok.data[i] >= tok.vocab) abort();
        ligo_rng_seed(&rng, size);
        s = ligo_tokens_batch(ctx, &tok, LIGO_SPLIT_TRAIN, &rng, 4, T, in, tg);
        if (s != LIGO_OK && s != LIGO_EINVAL) abort(); /* a short split is EINVAL */
        ligo_clear_error(ctx);
        w = ligo_tokens_windows(&tok, LIGO_SPLIT_VAL, T);
        for (i = 0; i < w && i < 4; i++)
            if (ligo_tokens_window(ctx, &tok, LIGO_SPLIT_VAL, i, T, in, tg) != LIGO_OK) abort();
    }
    ligo_ctx_free(ctx);
    return 0;
}
