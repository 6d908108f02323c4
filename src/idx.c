/* idx.c: IDX images and labels (MNIST, Fashion-MNIST), plain or gzipped,
 * and random image batches. */
#include "ligo_internal.h"

/* The decompressed size of one gzip-compressed IDX file. */
#define LIGO__MAX_GUNZIP ((size_t)1 << 31) /* 2 GiB */

/* The bytes of an IDX file, gunzipped (into scratch) when they start with
 * 1f 8b. */
static ligo_status ligo__idx_bytes(ligo_ctx *ctx, const void *buf, size_t n, const unsigned char **p, size_t *pn) {
    const unsigned char *b = (const unsigned char *)buf;
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
        void *o;
        if (ligo_gunzip(ctx, buf, n, LIGO__MAX_GUNZIP, &o, pn) != LIGO_OK) return ctx->status;
        *p = (const unsigned char *)o;
        return LIGO_OK;
    }
    *p = b;
    *pn = n;
    return LIGO_OK;
}

/* IDX (big-endian header, uint8 data):
 *   images: magic 0x00000803, n, rows, cols, then n * rows * cols bytes
 *   labels: magic 0x00000801, n, then n bytes
 * Counts must agree and the sizes match exactly (no trailing bytes). `iname`
 * and `lname` name the two inputs in messages. On failure *out is empty
 * and no scratch memory is kept. */
static ligo_status ligo__idx(ligo_ctx *ctx, const char *fn, const char *iname, const char *lname, const void *img,
                             size_t img_n, const void *lbl, size_t lbl_n, ligo_images *out) {
    const unsigned char *ip = NULL, *lp = NULL;
    size_t in_ = 0, ln_ = 0, i, total, bytes;
    uint32_t magic, n, rows, cols, nl;
    uint64_t px, body;
    ligo_mark mk = ligo_scratch_mark(ctx);
    int32_t maxl = 0;
    float scale[256];
    if (ligo__idx_bytes(ctx, img, img_n, &ip, &in_) != LIGO_OK) return ligo__reword(ctx, mk, fn, iname);
    if (ligo__idx_bytes(ctx, lbl, lbl_n, &lp, &ln_) != LIGO_OK) return ligo__reword(ctx, mk, fn, lname);
    /* the magic first: it tells a swapped pair apart from a short file */
    if (in_ >= 4 && (magic = ligo__be32(ip)) != 0x803) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: bad magic 0x%08lx (want 0x00000803, IDX uint8 images)", fn,
                              iname, (unsigned long)magic);
    }
    if (ln_ >= 4 && (magic = ligo__be32(lp)) != 0x801) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: bad magic 0x%08lx (want 0x00000801, IDX uint8 labels)", fn,
                              lname, (unsigned long)magic);
    }
    if (in_ < 16) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %zu bytes is shorter than the 16-byte IDX image header", fn,
                              iname, in_);
    }
    if (ln_ < 8) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %zu bytes is shorter than the 8-byte IDX label header", fn,
                              lname, ln_);
    }
    n = ligo__be32(ip + 4);
    rows = ligo__be32(ip + 8);
    cols = ligo__be32(ip + 12);
    nl = ligo__be32(lp + 4);
    /* each factor < 2^32: rows * cols fits in 64 bits; n * px is checked
     * against the data by division */
    px = (uint64_t)rows * cols;
    body = (uint64_t)(in_ - 16);
    if (n == 0 || px == 0) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %lu images of %lux%lu (none or an empty dimension)", fn, iname,
                              (unsigned long)n, (unsigned long)rows, (unsigned long)cols);
    }
    if (px > body || n > body / px) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: truncated: %lu images of %lux%lu need more than the %llu bytes present",
                              fn, iname, (unsigned long)n, (unsigned long)rows, (unsigned long)cols, (unsigned long long)body);
    }
    if ((uint64_t)n * px != body) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %llu trailing bytes after %lu images of %lux%lu", fn, iname,
                              (unsigned long long)(body - (uint64_t)n * px), (unsigned long)n, (unsigned long)rows,
                              (unsigned long)cols);
    }
    if (nl != n) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %lu labels for %lu images", fn, lname, (unsigned long)nl,
                              (unsigned long)n);
    }
    if ((uint64_t)(ln_ - 8) != (uint64_t)n) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: the header says %lu labels, %zu bytes follow", fn, lname,
                              (unsigned long)n, ln_ - 8);
    }
    total = (size_t)body; /* == in_ - 16, a size_t */
    if (!ligo__mul_size(total, sizeof(float), &bytes)) {
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EOVERFLOW, "%s: %s: %zu pixels overflow the address space", fn, iname, total);
    }
    out->pixels = (float *)ligo_alloc_persistent(ctx, bytes);
    out->labels = (int32_t *)ligo_alloc_persistent(ctx, (size_t)n * sizeof(int32_t));
    if (!out->pixels || !out->labels) {
        memset(out, 0, sizeof *out);
        ligo_scratch_rewind(ctx, mk);
        return ctx->status;
    }
    for (i = 0; i < 256; i++) scale[i] = (float)i / 255.0f; /* divided: 255 -> exactly 1 */
    for (i = 0; i < total; i++) out->pixels[i] = scale[ip[16 + i]];
    for (i = 0; i < (size_t)n; i++) {
        out->labels[i] = lp[8 + i];
        if (out->labels[i] > maxl) maxl = out->labels[i];
    }
    out->n = n;
    out->rows = rows;
    out->cols = cols;
    out->n_classes = maxl + 1;
    ligo_scratch_rewind(ctx, mk);
    return LIGO_OK;
}

LIGO_API ligo_status ligo_images_parse_idx(ligo_ctx *ctx, const void *img, size_t img_n, const void *lbl, size_t lbl_n,
                                           ligo_images *out) {
    if (out) memset(out, 0, sizeof *out);
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!out || (!img && img_n) || (!lbl && lbl_n))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_parse_idx: NULL argument");
    return ligo__idx(ctx, "ligo_images_parse_idx", "images", "labels", img, img_n, lbl, lbl_n, out);
}

LIGO_API ligo_status ligo_images_load_idx(ligo_ctx *ctx, const char *images_path, const char *labels_path,
                                          ligo_images *out) {
    ligo_mark mk;
    void *a, *b;
    size_t an, bn;
    ligo_status s;
    if (out) memset(out, 0, sizeof *out);
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!images_path || !labels_path || !out)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_load_idx: NULL argument");
    mk = ligo_scratch_mark(ctx);
    if (ligo_read_file(ctx, images_path, LIGO__MAX_FILE, &a, &an) != LIGO_OK ||
        ligo_read_file(ctx, labels_path, LIGO__MAX_FILE, &b, &bn) != LIGO_OK)
        return ligo__reword(ctx, mk, "ligo_images_load_idx", NULL);
    s = ligo__idx(ctx, "ligo_images_load_idx", images_path, labels_path, a, an, b, bn, out);
    ligo_scratch_rewind(ctx, mk);
    return s;
}

LIGO_API ligo_status ligo_images_batch(ligo_ctx *ctx, const ligo_images *im, ligo_rng *rng, int64_t B, float *x,
                                       int32_t *y) {
    int64_t b, px, total;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!im || !im->pixels || !im->labels || !rng || !x || !y)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_batch: NULL argument");
    if (im->n < 1 || im->rows < 1 || im->cols < 1 || !ligo__mul_i64(im->rows, im->cols, &px))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_batch: an empty image set (%lld images of %lldx%lld)",
                              (long long)im->n, (long long)im->rows, (long long)im->cols);
    if (B < 1 || !ligo__mul_i64(B, px, &total) || (uint64_t)total > SIZE_MAX / sizeof(float))
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_images_batch: B = %lld (must be >= 1 and fit in memory)",
                              (long long)B);
    for (b = 0; b < B; b++) {
        int64_t k = (int64_t)ligo_rng_below(rng, (uint64_t)im->n);
        memcpy(x + b * px, im->pixels + k * px, (size_t)px * sizeof(float));
        y[b] = im->labels[k];
    }
    return LIGO_OK;
}
