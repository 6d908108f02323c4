/* fuzz_common.h: what the fuzz targets share. Each target is a libFuzzer
 * entry point over one parser of outside data; a crash, a sanitizer report,
 * a leak, or a failure without a message is a finding. */
#ifndef LIGO_FUZZ_COMMON_H
#define LIGO_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../ligo.h"

/* A context with small arena limits, so that a size the parser trusted too
 * early shows up as an allocation failure, and one thread (no pool). */
static inline ligo_ctx *fuzz_ctx(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.persistent_limit = (size_t)256 << 20;
    p.scratch_limit = (size_t)256 << 20;
    p.chunk_bytes = (size_t)1 << 20;
    p.n_threads = 1;
    return ligo_ctx_new(&p);
}

/* Every failure carries a message, and the status names a real error. */
static inline void fuzz_check_error(ligo_ctx *ctx, ligo_status s) {
    if (s == LIGO_OK) return;
    if (s <= LIGO_OK || s >= LIGO_STATUS_COUNT || ligo_get_status(ctx) != s || !ligo_get_error(ctx)[0]) {
        fprintf(stderr, "fuzz: status %d with message '%s'\n", (int)s, ligo_get_error(ctx));
        abort();
    }
    /* a parser must not run out of memory on input this small: that means
     * a size from the input was trusted before it was checked */
    if (s == LIGO_ENOMEM || s == LIGO_EOVERFLOW) {
        fprintf(stderr, "fuzz: %s: %s\n", ligo_status_str(s), ligo_get_error(ctx));
        abort();
    }
}

/* Reads every float, so ASan sees any out-of-bounds pointer. */
static inline float fuzz_touch(const float *x, int64_t n) {
    float acc = 0.0f;
    int64_t i;
    for (i = 0; i < n; i++) acc += x[i] * 0.0f;
    return acc;
}

#endif
