/* safetensors_write.c: assembling a safetensors file (tensors kept by
 * reference, metadata copied) and writing it atomically (src/file.c): the
 * header compact JSON, "__metadata__" first, tensors in insertion order
 * with consecutive offsets, padded with spaces to a multiple of 8. */
#include "ligo_internal.h"

static char *ligo__st_strdup(ligo_ctx *ctx, const char *s) {
    size_t n = strlen(s);
    char *d = (char *)ligo_alloc_scratch(ctx, n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

/* Checks one entry as the writer needs it; a message names `who`. */
static int ligo__st_check_entry(ligo_ctx *ctx, const char *who, const char *fname, const ligo_st_entry *e) {
    char pr[LIGO_ST_MAX_NAME];
    int64_t n = 1;
    int i;
    if (!memchr(e->name, '\0', LIGO_ST_MAX_NAME)) {
        ligo__printable(pr, 40, e->name, 32);
        ligo__st_err(ctx, LIGO_EINVAL, who, fname, "tensor name %s is too long (at most %d bytes)", pr,
                     LIGO_ST_MAX_NAME - 1);
        return 0;
    }
    ligo__printable(pr, sizeof pr, e->name, strlen(e->name));
    if (!ligo__utf8_valid(e->name)) {
        ligo__st_err(ctx, LIGO_EINVAL, who, fname, "tensor name %s is not valid UTF-8", pr);
        return 0;
    }
    if (strcmp(e->name, "__metadata__") == 0) {
        ligo__st_err(ctx, LIGO_EINVAL, who, fname, "the name __metadata__ is reserved for metadata");
        return 0;
    }
    if (e->ndim < 1 || e->ndim > LIGO_MAX_DIMS) {
        ligo__st_err(ctx, LIGO_EINVAL, who, fname, "tensor %s: ndim %d is outside [1, %d]", pr, e->ndim, LIGO_MAX_DIMS);
        return 0;
    }
    for (i = 0; i < e->ndim; i++) {
        if (e->shape[i] < 0) {
            ligo__st_err(ctx, LIGO_EINVAL, who, fname, "tensor %s: dim %d is %lld", pr, i, (long long)e->shape[i]);
            return 0;
        }
        if (!ligo__mul_i64(n, e->shape[i], &n) || n > INT64_MAX / 4) {
            ligo__st_err(ctx, LIGO_EOVERFLOW, who, fname, "tensor %s: shape is too large", pr);
            return 0;
        }
    }
    if (n != e->n) {
        ligo__st_err(ctx, LIGO_EINVAL, who, fname, "tensor %s: n is %lld but the shape holds %lld", pr,
                     (long long)e->n, (long long)n);
        return 0;
    }
    if (n > 0 && !e->data) {
        ligo__st_err(ctx, LIGO_EINVAL, who, fname, "tensor %s: NULL data", pr);
        return 0;
    }
    return 1;
}

LIGO_API ligo_status ligo_st_add(ligo_ctx *ctx, ligo_safetensors *st, const char *name, int ndim,
                                 const int64_t *shape, const float *data) {
    const char *who = "ligo_st_add";
    ligo_st_entry e;
    int64_t n = 0;
    size_t len;
    ligo_status s;
    int i;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!st || !name || !shape || !data) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_st_add: NULL argument");
    len = strlen(name);
    if (len >= LIGO_ST_MAX_NAME) {
        char pr[40];
        ligo__printable(pr, sizeof pr, name, 32);
        return ligo__st_err(ctx, LIGO_EINVAL, who, NULL, "tensor name %s of %zu bytes is too long (at most %d)", pr,
                            len, LIGO_ST_MAX_NAME - 1);
    }
    if (ndim < 1 || ndim > LIGO_MAX_DIMS)
        return ligo__st_err(ctx, LIGO_EINVAL, who, NULL, "tensor %s: ndim %d is outside [1, %d]", name, ndim,
                            LIGO_MAX_DIMS);
    s = ligo_shape_numel(ndim, shape, &n);
    if (s == LIGO_EINVAL) {
        for (i = 0; i < ndim; i++)
            if (shape[i] < 1) break;
        return ligo__st_err(ctx, LIGO_EINVAL, who, NULL, "tensor %s: dim %d is %lld; dims must be >= 1", name, i,
                            (long long)shape[i]);
    }
    if (s != LIGO_OK) return ligo__st_err(ctx, LIGO_EOVERFLOW, who, NULL, "tensor %s: shape is too large", name);
    memset(&e, 0, sizeof e);
    memcpy(e.name, name, len + 1);
    e.ndim = ndim;
    for (i = 0; i < LIGO_MAX_DIMS; i++) e.shape[i] = i < ndim ? shape[i] : 1;
    e.n = n;
    e.data = (float *)data; /* kept as given; the writer only reads it */
    if (!ligo__st_check_entry(ctx, who, NULL, &e)) return ctx->status;
    if (ligo_st_find(st, name)) return ligo__st_err(ctx, LIGO_EINVAL, who, NULL, "tensor name %s appears twice", name);
    if (st->n_entries >= st->cap_entries) {
        int64_t cap = st->cap_entries > 0 ? st->cap_entries * 2 : 16;
        size_t bytes;
        ligo_st_entry *grown;
        if (!ligo__mul_size((size_t)cap, sizeof *grown, &bytes))
            return ligo__st_err(ctx, LIGO_EOVERFLOW, who, NULL, "too many tensors");
        grown = (ligo_st_entry *)ligo_alloc_scratch(ctx, bytes);
        if (!grown) return ctx->status;
        if (st->n_entries > 0) memcpy(grown, st->entries, (size_t)st->n_entries * sizeof *grown);
        st->entries = grown;
        st->cap_entries = cap;
    }
    st->entries[st->n_entries++] = e;
    return LIGO_OK;
}

LIGO_API ligo_status ligo_st_set_meta(ligo_ctx *ctx, ligo_safetensors *st, const char *key, const char *value) {
    const char *who = "ligo_st_set_meta";
    int64_t i;
    char *v, *k;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!st || !key || !value) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_st_set_meta: NULL argument");
    if (!ligo__utf8_valid(key) || !ligo__utf8_valid(value))
        return ligo__st_err(ctx, LIGO_EINVAL, who, NULL, "key or value is not valid UTF-8");
    v = ligo__st_strdup(ctx, value);
    if (!v) return ctx->status;
    for (i = 0; i < st->n_meta; i++) {
        if (st->meta[i].key && strcmp(st->meta[i].key, key) == 0) {
            st->meta[i].value = v;
            return LIGO_OK;
        }
    }
    k = ligo__st_strdup(ctx, key);
    if (!k) return ctx->status;
    if (st->n_meta >= st->cap_meta) {
        int64_t cap = st->cap_meta > 0 ? st->cap_meta * 2 : 8;
        size_t bytes;
        ligo_st_meta *grown;
        if (!ligo__mul_size((size_t)cap, sizeof *grown, &bytes))
            return ligo__st_err(ctx, LIGO_EOVERFLOW, who, NULL, "too many metadata entries");
        grown = (ligo_st_meta *)ligo_alloc_scratch(ctx, bytes);
        if (!grown) return ctx->status;
        if (st->n_meta > 0) memcpy(grown, st->meta, (size_t)st->n_meta * sizeof *grown);
        st->meta = grown;
        st->cap_meta = cap;
    }
    st->meta[st->n_meta].key = k;
    st->meta[st->n_meta].value = v;
    st->n_meta++;
    return LIGO_OK;
}


/* {"__metadata__":{...},"name":{"dtype":"F32","shape":[..],"data_offsets":[b,e]},...}
 * in insertion order, offsets consecutive, then spaces up to a multiple of 8. */
static void ligo__st_build_header(ligo__sb *b, const ligo_safetensors *st) {
    uint64_t at = 0;
    int64_t i;
    int d;
    ligo__sb_puts(b, "{");
    if (st->n_meta > 0) {
        ligo__sb_puts(b, "\"__metadata__\":{");
        for (i = 0; i < st->n_meta; i++) {
            if (i) ligo__sb_puts(b, ",");
            ligo__json_put_string(b, st->meta[i].key);
            ligo__sb_puts(b, ":");
            ligo__json_put_string(b, st->meta[i].value);
        }
        ligo__sb_puts(b, "}");
    }
    for (i = 0; i < st->n_entries; i++) {
        const ligo_st_entry *e = &st->entries[i];
        if (i || st->n_meta > 0) ligo__sb_puts(b, ",");
        ligo__json_put_string(b, e->name);
        ligo__sb_puts(b, ":{\"dtype\":\"F32\",\"shape\":[");
        for (d = 0; d < e->ndim; d++) {
            if (d) ligo__sb_puts(b, ",");
            ligo__sb_put_u64(b, (uint64_t)e->shape[d]);
        }
        ligo__sb_puts(b, "],\"data_offsets\":[");
        ligo__sb_put_u64(b, at);
        ligo__sb_puts(b, ",");
        at += (uint64_t)e->n * 4;
        ligo__sb_put_u64(b, at);
        ligo__sb_puts(b, "]}");
    }
    ligo__sb_puts(b, "}");
    while (b->len % 8) ligo__sb_puts(b, " ");
}

/* Little-endian floats; a big-endian host swaps through a small buffer. */
static int ligo__st_write_floats(FILE *f, const float *x, int64_t n) {
    unsigned char buf[4096];
    if (n == 0) return 1;
    if (ligo__host_le()) return fwrite(x, 4, (size_t)n, f) == (size_t)n;
    while (n > 0) {
        int64_t k = n < (int64_t)(sizeof buf / 4) ? n : (int64_t)(sizeof buf / 4);
        memcpy(buf, x, (size_t)k * 4);
        ligo__le32_inplace(buf, k);
        if (fwrite(buf, 4, (size_t)k, f) != (size_t)k) return 0;
        x += k;
        n -= k;
    }
    return 1;
}

/* What ligo__write_atomic writes: the length, the header, the floats. */
typedef struct ligo__st_out {
    const ligo_safetensors *st;
    const ligo__sb *header;
} ligo__st_out;

static int ligo__st_write_body(FILE *f, void *user) {
    const ligo__st_out *o = (const ligo__st_out *)user;
    unsigned char len8[8];
    int64_t i;
    ligo__put_le64(len8, (uint64_t)o->header->len);
    if (fwrite(len8, 1, 8, f) != 8 || fwrite(o->header->p, 1, o->header->len, f) != o->header->len) return 0;
    for (i = 0; i < o->st->n_entries; i++)
        if (!ligo__st_write_floats(f, o->st->entries[i].data, o->st->entries[i].n)) return 0;
    return 1;
}

static ligo_status ligo__st_write_impl(ligo_ctx *ctx, const char *path, const ligo_safetensors *st) {
    const char *who = "ligo_st_write";
    ligo__sb sb;
    ligo__st_out o;
    int64_t i;
    uint64_t total = 0;
    if ((st->n_entries > 0 && !st->entries) || (st->n_meta > 0 && !st->meta) || st->n_entries < 0 || st->n_meta < 0)
        return ligo__st_err(ctx, LIGO_EINVAL, who, path, "the safetensors struct is not initialized");
    for (i = 0; i < st->n_entries; i++) {
        if (!ligo__st_check_entry(ctx, who, path, &st->entries[i])) return ctx->status;
        total += (uint64_t)st->entries[i].n * 4;
        if (total > (uint64_t)INT64_MAX) return ligo__st_err(ctx, LIGO_EOVERFLOW, who, path, "data is too large");
    }
    for (i = 0; i < st->n_meta; i++) {
        if (!st->meta[i].key || !st->meta[i].value)
            return ligo__st_err(ctx, LIGO_EINVAL, who, path, "metadata entry %lld has a NULL key or value", (long long)i);
        if (!ligo__utf8_valid(st->meta[i].key) || !ligo__utf8_valid(st->meta[i].value))
            return ligo__st_err(ctx, LIGO_EINVAL, who, path, "metadata entry %lld is not valid UTF-8", (long long)i);
    }
    if (!ligo__st_check_unique(ctx, LIGO_EINVAL, who, path, st)) return ctx->status;
    memset(&sb, 0, sizeof sb);
    ligo__st_build_header(&sb, st); /* measure */
    if (sb.len > LIGO__ST_MAX_HEADER)
        return ligo__st_err(ctx, LIGO_EOVERFLOW, who, path, "header of %zu bytes exceeds the limit of %llu", sb.len,
                            (unsigned long long)LIGO__ST_MAX_HEADER);
    sb.cap = sb.len;
    sb.len = 0;
    sb.p = (char *)ligo_alloc_scratch(ctx, sb.cap);
    if (!sb.p) return ctx->status;
    ligo__st_build_header(&sb, st);
    o.st = st;
    o.header = &sb;
    return ligo__write_atomic(ctx, who, path, ligo__st_write_body, &o);
}

LIGO_API ligo_status ligo_st_write(ligo_ctx *ctx, const char *path, const ligo_safetensors *st) {
    ligo_mark mark;
    ligo_status s;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path || !st) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_st_write: NULL path or tensors");
    mark = ligo_scratch_mark(ctx);
    s = ligo__st_write_impl(ctx, path, st);
    /* the header is not needed after the call */
    ligo_scratch_rewind(ctx, mark);
    return s;
}
