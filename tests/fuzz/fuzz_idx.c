/* fuzz_idx.c: IDX image and label files, plain or gzip-compressed (the
 * built-in inflate: stored, fixed and dynamic blocks, gzip header fields,
 * CRC-32 and ISIZE checks, concatenated members).
 *
 * Input: byte 0 chooses the target. Even: the rest is a gzip stream for
 * ligo_gunzip (at most 1 MiB out). Odd: a 4-byte little-endian length L,
 * then L bytes of image file and the rest as the label file, for
 * ligo_images_parse_idx (either may be gzipped), then a batch. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ligo_ctx *ctx;
    ligo_status s;
    if (size < 1) return 0;
    ctx = fuzz_ctx();
    if (!ctx) return 0;
    if ((data[0] & 1) == 0) {
        void *out;
        size_t n;
        s = ligo_gunzip(ctx, data + 1, size - 1, (size_t)1 << 20, &out, &n);
        fuzz_check_error(ctx, s);
        if (s == LIGO_OK) {
            volatile unsigned char sink = 0;
            size_t i;
            if (n > ((size_t)1 << 20) || !out) abort();
            for (i = 0; i < n; i++) sink ^= ((const unsigned char *)out)[i];
            if (((const unsigned char *)out)[n] != 0) abort(); /* the documented NUL after the data */
            (void)sink;
        }
    } else if (size >= 5) {
        size_t L = (size_t)data[1] | (size_t)data[2] << 8 | (size_t)data[3] << 16 | (size_t)data[4] << 24;
        const uint8_t *img = data + 5, *lbl;
        size_t rest = size - 5, ln;
        ligo_images im;
        if (L > rest) L = rest;
        lbl = img + L;
        ln = rest - L;
        s = ligo_images_parse_idx(ctx, img, L, lbl, ln, &im);
        fuzz_check_error(ctx, s);
        if (s == LIGO_OK) {
            float x[2 * 64];
            int32_t y[2];
            ligo_rng rng;
            volatile float sink = 0.0f;
            int64_t i;
            if (im.n < 1 || im.rows < 1 || im.cols < 1 || im.n_classes < 1 || im.n_classes > 256) abort();
            sink += fuzz_touch(im.pixels, im.n * im.rows * im.cols);
            for (i = 0; i < im.n; i++)
                if (im.labels[i] < 0 || im.labels[i] >= im.n_classes) abort();
            if (im.rows * im.cols <= 64) {
                ligo_rng_seed(&rng, 7);
                if (ligo_images_batch(ctx, &im, &rng, 2, x, y) != LIGO_OK) abort();
            }
            (void)sink;
        }
    }
    ligo_ctx_free(ctx);
    return 0;
}
