/* file.c: whole files into memory, for every loader of outside data: one
 * reader with one size cap (LIGO__MAX_FILE), plain files and pipes alike,
 * and the byte orders the formats use. */
#include "ligo_internal.h"

#include <errno.h>

/* The first error wins, so a loader that wants its own name and the file's
 * on a callee's error rewrites it. */
LIGO__PRIV ligo_status ligo__reword(ligo_ctx *ctx, ligo_mark mk, const char *fn, const char *name) {
    char why[LIGO__ERRMSG];
    ligo_status s = ctx->status;
    snprintf(why, sizeof why, "%s", ctx->errmsg);
    ligo_clear_error(ctx);
    ligo_scratch_rewind(ctx, mk);
    if (name) return ligo_set_error(ctx, s, "%s: %s: %s", fn, name, why);
    return ligo_set_error(ctx, s, "%s: %s", fn, why);
}

LIGO__PRIV uint32_t ligo__le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

LIGO__PRIV uint32_t ligo__be32(const unsigned char *p) {
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

/* ----------------------------------------------------------------- files */

/* A stream without a usable size (a pipe): read in growing steps into a
 * temporary buffer, then copy it into scratch memory. `first` is the byte
 * already read to probe the file. */
static ligo_status ligo__read_stream(ligo_ctx *ctx, FILE *f, const char *path, int first, size_t max_bytes,
                                     void **out, size_t *out_n) {
    unsigned char *tmp = NULL, *res;
    size_t len = 0, cap = 0;
    int c = first;
    while (c != EOF) {
        size_t got;
        if (len >= max_bytes) { /* and a byte c more is waiting */
            LIGO_FREE(tmp, ctx->alloc_user);
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_read_file: %s: more than %zu bytes exceeds the cap", path,
                                  max_bytes);
        }
        if (len == cap) { /* double, up to the cap (len < max_bytes: room for c) */
            size_t ncap = cap ? 2 * cap : 65536;
            unsigned char *p;
            if (ncap < cap || ncap > max_bytes) ncap = max_bytes;
            p = (unsigned char *)LIGO_REALLOC(tmp, ncap, ctx->alloc_user);
            if (!p) {
                LIGO_FREE(tmp, ctx->alloc_user);
                return ligo_set_error(ctx, LIGO_ENOMEM, "ligo_read_file: %s: out of memory after %zu bytes", path, len);
            }
            tmp = p;
            cap = ncap;
        }
        tmp[len++] = (unsigned char)c;
        got = fread(tmp + len, 1, cap - len, f);
        len += got;
        if (ferror(f)) {
            int e = errno;
            LIGO_FREE(tmp, ctx->alloc_user);
            return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(e));
        }
        c = fgetc(f);
    }
    if (ferror(f)) {
        int e = errno;
        LIGO_FREE(tmp, ctx->alloc_user);
        return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(e));
    }
    res = (unsigned char *)ligo_alloc_scratch(ctx, len + 1);
    if (res && len) memcpy(res, tmp, len);
    LIGO_FREE(tmp, ctx->alloc_user);
    if (!res) return ctx->status;
    *out = res;
    *out_n = len;
    return LIGO_OK;
}

LIGO_API ligo_status ligo_read_file(ligo_ctx *ctx, const char *path, size_t max_bytes, void **out, size_t *out_n) {
    FILE *f;
    long size = 0;
    int c, seekable;
    size_t got;
    unsigned char *buf;
    ligo_mark mk;
    if (out) *out = NULL;
    if (out_n) *out_n = 0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out || !out_n) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_read_file: NULL argument");
    errno = 0;
    f = fopen(path, "rb");
    if (!f) return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(errno));
    /* The size first, while nothing is buffered (a failed seek leaves the
     * stream where it was); then one byte, so that a directory fails here
     * (EISDIR) before its meaningless size is used. */
    seekable = fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0;
    if (!seekable) clearerr(f);
    errno = 0;
    c = fgetc(f);
    if (c == EOF && ferror(f)) {
        int e = errno;
        fclose(f);
        return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(e));
    }
    if (!seekable) { /* a pipe or a procfs file */
        ligo_status s = ligo__read_stream(ctx, f, path, c, max_bytes, out, out_n);
        fclose(f);
        return s;
    }
    if (fseek(f, 0, SEEK_SET) != 0) {
        int e = errno;
        fclose(f);
        return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(e));
    }
    if ((unsigned long)size > max_bytes || (unsigned long)size >= (size_t)SIZE_MAX) {
        fclose(f);
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo_read_file: %s: %ld bytes exceeds the cap of %zu", path, size,
                              max_bytes);
    }
    mk = ligo_scratch_mark(ctx);
    buf = (unsigned char *)ligo_alloc_scratch(ctx, (size_t)size + 1); /* + 1: never a zero-byte request */
    if (!buf) {
        fclose(f);
        return ctx->status;
    }
    got = fread(buf, 1, (size_t)size, f);
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        ligo_scratch_rewind(ctx, mk);
        return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(e));
    }
    /* Fewer bytes than the size said: the file shrank (or, as in sysfs, the
     * size is a guess); take what is there. More: the size was wrong (procfs
     * says 0) or the file grew; read it again as a stream. */
    if (got == (size_t)size && (c = fgetc(f)) != EOF) {
        ligo_status s;
        ligo_scratch_rewind(ctx, mk);
        if (fseek(f, 0, SEEK_SET) != 0 || ((c = fgetc(f)) == EOF && ferror(f))) {
            int e = errno;
            fclose(f);
            return ligo_set_error(ctx, LIGO_EIO, "ligo_read_file: %s: %s", path, strerror(e));
        }
        s = ligo__read_stream(ctx, f, path, c, max_bytes, out, out_n);
        fclose(f);
        return s;
    }
    fclose(f);
    *out = buf;
    *out_n = got;
    return LIGO_OK;
}
