/* file.c: files, for every format: one reader that takes a file whole
 * (plain files and pipes alike) under one size cap, LIGO__MAX_FILE; one
 * writer that replaces a file atomically; the byte orders the formats use.
 * Messages are "WHO: PATH: what went wrong". */
#include "ligo_internal.h"

#include <errno.h>

#if defined(__unix__) || defined(__unix) || (defined(__APPLE__) && defined(__MACH__))
#include <sys/stat.h>
#include <unistd.h>
#endif
/* _POSIX_VERSION is old when the feature macros came too late (a system
 * header included before ligo.h under strict C99): then stat, fileno and
 * fsync may be undeclared, and the portable fallbacks are used. */
#if defined(_POSIX_VERSION) && _POSIX_VERSION >= 200112L
#define LIGO__FILE_POSIX 1
#endif

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

/* ----------------------------------------------------------- byte order */

/* Every multi-byte value read from or written to a file goes through these:
 * the format defines its byte order (safetensors and GPT-2 token files
 * little-endian, IDX big-endian), the host's never matters. Integers are
 * put together from bytes with shifts (no byte-order test at all); floats
 * are copied whole and, on a big-endian host only, reversed in place. */

LIGO__PRIV uint16_t ligo__le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

LIGO__PRIV uint32_t ligo__le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

LIGO__PRIV uint32_t ligo__be32(const unsigned char *p) {
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

LIGO__PRIV uint64_t ligo__le64(const unsigned char *p) {
    return (uint64_t)ligo__le32(p) | (uint64_t)ligo__le32(p + 4) << 32;
}

LIGO__PRIV void ligo__put_le64(unsigned char *p, uint64_t v) {
    int i;
    for (i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* 1 on a little-endian host; a constant after optimisation. Floats are
 * IEEE 754 binary32 stored in the integers' byte order on every host ligo
 * supports (x86-64, ARM64, s390x). */
LIGO__PRIV int ligo__host_le(void) {
    const uint32_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* n 4-byte values (floats) at x between the host's order and
 * little-endian, in place: nothing on a little-endian host, each value's
 * bytes reversed on a big-endian one (the same operation both ways). */
LIGO__PRIV void ligo__le32_inplace(void *x, int64_t n) {
    unsigned char *b = (unsigned char *)x, t;
    int64_t i;
    if (ligo__host_le()) return;
    for (i = 0; i < n; i++, b += 4) {
        t = b[0];
        b[0] = b[3];
        b[3] = t;
        t = b[1];
        b[1] = b[2];
        b[2] = t;
    }
}

/* -------------------------------------------------------------- reading */

/* n bytes for the result: scratch, or the heap (LIGO__READ_HEAP). */
static unsigned char *ligo__read_buf(ligo_ctx *ctx, const char *who, const char *path, size_t n, unsigned flags) {
    unsigned char *p;
    if (!(flags & LIGO__READ_HEAP)) return (unsigned char *)ligo_alloc_scratch(ctx, n);
    p = (unsigned char *)LIGO_MALLOC(n, ctx->alloc_user);
    if (!p) ligo_set_error(ctx, LIGO_ENOMEM, "%s: %s: out of memory for %zu bytes", who, path, n);
    return p;
}

static void ligo__read_free(ligo_ctx *ctx, void *p, unsigned flags, ligo_mark mk) {
    if (flags & LIGO__READ_HEAP) LIGO_FREE(p, ctx->alloc_user);
    else ligo_scratch_rewind(ctx, mk);
}

static ligo_status ligo__read_errno(ligo_ctx *ctx, const char *who, const char *path, FILE *f) {
    int e = errno;
    if (f) fclose(f);
    return ligo_set_error(ctx, LIGO_EIO, "%s: %s: %s", who, path, strerror(e));
}

/* A stream without a usable size (a pipe): read in growing steps into a
 * temporary buffer, then copied into the result's. `first` is the byte
 * already read to probe the file. */
static ligo_status ligo__read_stream(ligo_ctx *ctx, const char *who, FILE *f, const char *path, int first,
                                     size_t max_bytes, unsigned flags, void **out, size_t *out_n) {
    unsigned char *tmp = NULL, *res;
    size_t len = 0, cap = 0;
    int c = first;
    while (c != EOF) {
        size_t got;
        if (len >= max_bytes) { /* and a byte c more is waiting */
            LIGO_FREE(tmp, ctx->alloc_user);
            return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: more than %zu bytes exceeds the cap", who, path,
                                  max_bytes);
        }
        if (len == cap) { /* double, up to the cap (len < max_bytes: room for c) */
            size_t ncap = cap ? 2 * cap : 65536;
            unsigned char *p;
            if (ncap < cap || ncap > max_bytes) ncap = max_bytes;
            p = (unsigned char *)LIGO_REALLOC(tmp, ncap, ctx->alloc_user);
            if (!p) {
                LIGO_FREE(tmp, ctx->alloc_user);
                return ligo_set_error(ctx, LIGO_ENOMEM, "%s: %s: out of memory after %zu bytes", who, path, len);
            }
            tmp = p;
            cap = ncap;
        }
        tmp[len++] = (unsigned char)c;
        got = fread(tmp + len, 1, cap - len, f);
        len += got;
        if (ferror(f)) break;
        c = fgetc(f);
    }
    if (ferror(f)) {
        int e = errno;
        LIGO_FREE(tmp, ctx->alloc_user);
        return ligo_set_error(ctx, LIGO_EIO, "%s: %s: %s", who, path, strerror(e));
    }
    res = ligo__read_buf(ctx, who, path, len + 1, flags); /* + 1: the zero byte */
    if (res && len) memcpy(res, tmp, len);
    LIGO_FREE(tmp, ctx->alloc_user);
    if (!res) return ctx->status;
    res[len] = 0;
    *out = res;
    *out_n = len;
    return LIGO_OK;
}

LIGO__PRIV ligo_status ligo__read_file(ligo_ctx *ctx, const char *who, const char *path, size_t max_bytes,
                                       unsigned flags, void **out, size_t *out_n) {
    FILE *f;
    long size = 0;
    int c, seekable;
    size_t got;
    unsigned char *buf;
    ligo_mark mk;
#if defined(LIGO__FILE_POSIX)
    if (flags & LIGO__READ_REGULAR) {
        /* before fopen, which would wait forever on a FIFO */
        struct stat sb;
        if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
            return ligo_set_error(ctx, LIGO_EIO, "%s: %s: not a regular file", who, path);
    }
#endif
    errno = 0;
    f = fopen(path, "rb");
    if (!f) return ligo__read_errno(ctx, who, path, NULL);
    /* The size first, while nothing is buffered (a failed seek leaves the
     * stream where it was); then one byte, so that a directory fails here
     * (EISDIR) before its meaningless size is used. */
    seekable = fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0;
    if (!seekable) clearerr(f);
    errno = 0;
    c = fgetc(f);
    if (c == EOF && ferror(f)) return ligo__read_errno(ctx, who, path, f);
    if (!seekable) { /* a pipe or a procfs file */
        ligo_status s = ligo__read_stream(ctx, who, f, path, c, max_bytes, flags, out, out_n);
        fclose(f);
        return s;
    }
    if (fseek(f, 0, SEEK_SET) != 0) return ligo__read_errno(ctx, who, path, f);
    if ((uint64_t)size > (uint64_t)max_bytes || (uint64_t)size >= (uint64_t)SIZE_MAX) {
        fclose(f);
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: %ld bytes exceeds the cap of %zu", who, path, size,
                              max_bytes);
    }
    mk = ligo_scratch_mark(ctx);
    buf = ligo__read_buf(ctx, who, path, (size_t)size + 1, flags); /* + 1: the zero byte, never a 0-byte request */
    if (!buf) {
        fclose(f);
        return ctx->status;
    }
    got = fread(buf, 1, (size_t)size, f);
    if (ferror(f)) {
        ligo__read_free(ctx, buf, flags, mk);
        return ligo__read_errno(ctx, who, path, f);
    }
    /* Fewer bytes than the size said: the file shrank (or, as in sysfs, the
     * size is a guess); take what is there. More: the size was wrong (procfs
     * says 0) or the file grew; read it again as a stream. */
    if (got == (size_t)size && (c = fgetc(f)) != EOF) {
        ligo_status s;
        ligo__read_free(ctx, buf, flags, mk);
        if (fseek(f, 0, SEEK_SET) != 0 || ((c = fgetc(f)) == EOF && ferror(f))) return ligo__read_errno(ctx, who, path, f);
        s = ligo__read_stream(ctx, who, f, path, c, max_bytes, flags, out, out_n);
        fclose(f);
        return s;
    }
    fclose(f);
    buf[got] = 0;
    *out = buf;
    *out_n = got;
    return LIGO_OK;
}

LIGO_API ligo_status ligo_read_file(ligo_ctx *ctx, const char *path, size_t max_bytes, void **out, size_t *out_n) {
    if (out) *out = NULL;
    if (out_n) *out_n = 0;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out || !out_n) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_read_file: NULL argument");
    return ligo__read_file(ctx, "ligo_read_file", path, max_bytes, 0, out, out_n);
}

/* -------------------------------------------------------------- writing */

static int ligo__file_sync(FILE *f) {
#if defined(_WIN32)
    return _commit(_fileno(f)) == 0;
#elif defined(LIGO__FILE_POSIX)
    return fsync(fileno(f)) == 0;
#else
    (void)f;
    return 1;
#endif
}

/* tmp over path, atomically: rename(), which on Windows refuses an
 * existing target, so there MoveFileEx replacing it (same volume: a rename
 * of the directory entry). 1 on success; else 0 with errno set. */
static int ligo__replace(const char *tmp, const char *path) {
#if defined(_WIN32)
    if (MoveFileExA(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) return 1;
    switch (GetLastError()) {
    case ERROR_ACCESS_DENIED: case ERROR_SHARING_VIOLATION: case ERROR_LOCK_VIOLATION: errno = EACCES; break;
    case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: errno = ENOENT; break;
    case ERROR_DISK_FULL: case ERROR_HANDLE_DISK_FULL: errno = ENOSPC; break;
    case ERROR_NOT_SAME_DEVICE: errno = EXDEV; break;
    default: errno = EIO; break;
    }
    return 0;
#else
    return rename(tmp, path) == 0;
#endif
}

/* Opening PATH.tmp; the error names WHO. The temporary's name lives in
 * the context's allocator until the file is committed or abandoned. */
static ligo_status ligo__file_begin(ligo_ctx *ctx, const char *who, const char *path, ligo_file *out) {
    size_t plen = strlen(path);
    int err;
    out->tmp = (char *)LIGO_MALLOC(plen + 5, ctx->alloc_user);
    if (!out->tmp) return ligo_set_error(ctx, LIGO_ENOMEM, "%s: %s: no memory for the temporary's name", who, path);
    memcpy(out->tmp, path, plen);
    memcpy(out->tmp + plen, ".tmp", 5);
    out->f = fopen(out->tmp, "wb");
    if (!out->f) { /* nothing was created, so nothing is removed (it may be someone's directory) */
        err = errno;
        LIGO_FREE(out->tmp, ctx->alloc_user);
        out->tmp = NULL;
        return ligo_set_error(ctx, LIGO_EIO, "%s: %s: cannot create %s.tmp: %s", who, path, path, strerror(err));
    }
    out->path = path;
    return LIGO_OK;
}

/* A failed step: the temporary closed (unless already) and removed, the
 * target left as it was, the error naming the step and errno's reason. */
static ligo_status ligo__file_fail(ligo_ctx *ctx, const char *who, ligo_file *file, const char *step, int err) {
    if (file->f) fclose(file->f);
    remove(file->tmp);
    LIGO_FREE(file->tmp, ctx->alloc_user);
    file->f = NULL, file->tmp = NULL;
    return ligo_set_error(ctx, LIGO_EIO, "%s: %s: %s of %s.tmp failed: %s", who, file->path, step, file->path,
                          strerror(err));
}

/* Flush, sync, close, rename. A stream whose error flag is set (some
 * earlier write failed) fails as "write". */
static ligo_status ligo__file_commit(ligo_ctx *ctx, const char *who, ligo_file *file) {
    int closed;
    if (ferror(file->f)) return ligo__file_fail(ctx, who, file, "write", errno ? errno : EIO);
    if (fflush(file->f) != 0) return ligo__file_fail(ctx, who, file, "flush", errno);
    if (!ligo__file_sync(file->f)) return ligo__file_fail(ctx, who, file, "fsync", errno);
    closed = fclose(file->f);
    file->f = NULL;
    if (closed != 0) return ligo__file_fail(ctx, who, file, "close", errno);
    if (!ligo__replace(file->tmp, file->path)) return ligo__file_fail(ctx, who, file, "rename", errno);
    LIGO_FREE(file->tmp, ctx->alloc_user);
    file->tmp = NULL;
    return LIGO_OK;
}

LIGO__PRIV ligo_status ligo__write_atomic(ligo_ctx *ctx, const char *who, const char *path, ligo__write_fn fn,
                                          void *user) {
    ligo_file file;
    if (ligo__file_begin(ctx, who, path, &file) != LIGO_OK) return ctx->status;
    if (!fn(file.f, user)) return ligo__file_fail(ctx, who, &file, "write", errno);
    return ligo__file_commit(ctx, who, &file);
}

LIGO_API ligo_status ligo_file_begin(ligo_ctx *ctx, const char *path, ligo_file *out) {
    if (out) out->f = NULL, out->tmp = NULL, out->path = NULL;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !out) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_file_begin: NULL argument");
    return ligo__file_begin(ctx, "ligo_file_begin", path, out);
}

LIGO_API ligo_status ligo_file_commit(ligo_ctx *ctx, ligo_file *file) {
    ligo_status s;
    if (!ctx) return LIGO_EINVAL;
    if (!file || !file->f)
        return ligo_set_error(ctx, LIGO_EINVAL, "ligo_file_commit: no file open (ligo_file_begin failed or was not called)");
    if (ctx->status != LIGO_OK) { /* an error pending on ctx: what was written is not trusted */
        s = ctx->status;
        ligo_file_abandon(ctx, file);
        return s;
    }
    return ligo__file_commit(ctx, "ligo_file_commit", file);
}

LIGO_API void ligo_file_abandon(ligo_ctx *ctx, ligo_file *file) {
    if (!ctx || !file || !file->f) return;
    fclose(file->f);
    remove(file->tmp);
    LIGO_FREE(file->tmp, ctx->alloc_user);
    file->f = NULL, file->tmp = NULL;
}
