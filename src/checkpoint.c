/* checkpoint.c: the io module's model layer. Maps a model's parameter
 * table to Hugging Face key names and layouts and back, and keeps the
 * config in the safetensors metadata.
 *
 * Each parameter's key and layout come from its schema (src/schema.c):
 * GPT2LMHeadModel's Conv1D weights transposed to (in, out), BERT's and
 * ViT's fused QKV rows split into query, key and value, ViT's patch
 * projection as a convolution weight, its class token and positions with
 * a leading 1. */
#include "ligo_internal.h"

/* One file tensor: rows [row0, row0 + rows) of table entry `index`,
 * transposed when `transpose`, with the file's shape. */
typedef struct ligo__ckmap {
    char name[LIGO_ST_MAX_NAME];
    int64_t index, row0, rows;
    int transpose;
    int ndim;
    int64_t shape[LIGO_MAX_DIMS];
} ligo__ckmap;

static void ligo__ck_one(ligo__ckmap *mp, int64_t *n, const char *name, int64_t index, int64_t row0, int64_t rows,
                         int transpose, int ndim, int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
    ligo__ckmap *e = &mp[*n];
    (*n)++;
    snprintf(e->name, sizeof e->name, "%s", name);
    e->index = index;
    e->row0 = row0;
    e->rows = rows;
    e->transpose = transpose;
    e->ndim = ndim;
    e->shape[0] = d0;
    e->shape[1] = d1;
    e->shape[2] = d2;
    e->shape[3] = d3;
}

/* The whole map of a model, from each parameter's Hugging Face name and
 * layout in its schema; returns its length. mp holds room for n_tensors
 * + 4 * n_layer entries (a fused QKV weight and bias are three each). */
static int64_t ligo__ck_map(const ligo_model *m, ligo__ckmap *mp) {
    static const char *qkv[3] = {"query", "key", "value"};
    int64_t n = 0, k;
    for (k = 0; k < m->n_tensors; k++) {
        const ligo_param_info *p = &m->info[k];
        int64_t R = p->shape[0], K = p->shape[1], P = m->cfg.patch;
        int j;
        switch (p->hf_layout) {
        case LIGO_HF_T: ligo__ck_one(mp, &n, p->hf_name, k, 0, R, 1, 2, K, R, 1, 1); break;
        case LIGO_HF_QKV:
            for (j = 0; j < 3; j++) { /* '*' in the key names the part */
                char nm[LIGO_ST_MAX_NAME], *star;
                snprintf(nm, sizeof nm, "%s", p->hf_name);
                star = strchr(nm, '*');
                if (star) snprintf(star, sizeof nm - (size_t)(star - nm), "%s%s", qkv[j], strchr(p->hf_name, '*') + 1);
                ligo__ck_one(mp, &n, nm, k, j * (R / 3), R / 3, 0, p->ndim, R / 3, p->ndim == 2 ? K : 1, 1, 1);
            }
            break;
        case LIGO_HF_CONV: ligo__ck_one(mp, &n, p->hf_name, k, 0, R, 0, 4, R, 1, P, P); break;
        case LIGO_HF_TOKEN: ligo__ck_one(mp, &n, p->hf_name, k, 0, R, 0, 3, 1, R, K, 1); break;
        case LIGO_HF_POSITIONS: ligo__ck_one(mp, &n, p->hf_name, k, 0, R, 0, 3, 1, R, K, 1); break;
        default: ligo__ck_one(mp, &n, p->hf_name, k, 0, R, 0, p->ndim, R, K, 1, 1); break;
        }
    }
    return n;
}

static ligo__ckmap *ligo__ck_alloc(ligo_ctx *ctx, const ligo_model *m) {
    return (ligo__ckmap *)ligo_alloc_scratch(ctx, (size_t)(m->n_tensors + 4 * m->cfg.n_layer) * sizeof(ligo__ckmap));
}

/* Width of a table entry's row. */
static int64_t ligo__row_len(const ligo_param_info *p) { return p->ndim == 2 ? p->shape[1] : 1; }

/* The config's integer fields with their metadata keys, in file order. */
static int64_t *ligo__config_field(ligo_config *c, int k, const char **key) {
    static const char *keys[10] = {"ligo.n_layer", "ligo.d_model", "ligo.n_head",  "ligo.d_ff",   "ligo.vocab",
                                   "ligo.ctx_len", "ligo.image_h", "ligo.image_w", "ligo.patch", "ligo.n_classes"};
    int64_t *f[10];
    f[0] = &c->n_layer, f[1] = &c->d_model, f[2] = &c->n_head, f[3] = &c->d_ff, f[4] = &c->vocab;
    f[5] = &c->ctx_len, f[6] = &c->image_h, f[7] = &c->image_w, f[8] = &c->patch, f[9] = &c->n_classes;
    *key = keys[k];
    return f[k];
}

LIGO_API ligo_status ligo_config_to_st(ligo_ctx *ctx, const ligo_config *c, ligo_safetensors *st) {
    char v[LIGO__META_LEN];
    ligo_config cc;
    const char *key;
    int k;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (ligo_st_set_meta(ctx, st, "format", "pt") != LIGO_OK) return ctx->status;
    if (ligo_st_set_meta(ctx, st, "ligo.family", ligo_family_name(c->family)) != LIGO_OK) return ctx->status;
    /* a model of one's own names its definition; loading needs it */
    if (c->def && c->def != ligo_model_def_builtin(c->family) &&
        ligo_st_set_meta(ctx, st, "ligo.model", c->def->name ? c->def->name : "") != LIGO_OK)
        return ctx->status;
    cc = *c;
    for (k = 0; k < 10; k++) {
        int64_t *f = ligo__config_field(&cc, k, &key);
        if (ligo_st_set_meta(ctx, st, key, ligo__meta_fmt_int(v, *f)) != LIGO_OK) return ctx->status;
    }
    if (ligo_st_set_meta(ctx, st, "ligo.ln_eps", ligo__meta_fmt_float(v, c->ln_eps)) != LIGO_OK) return ctx->status;
    if (c->family != LIGO_LLAMA) return LIGO_OK; /* the other families' files stay as they were */
    if (ligo_st_set_meta(ctx, st, "ligo.n_kv_head", ligo__meta_fmt_int(v, c->n_kv_head)) != LIGO_OK ||
        ligo_st_set_meta(ctx, st, "ligo.rope_theta", ligo__meta_fmt_float(v, c->rope_theta)) != LIGO_OK)
        return ctx->status;
    return ligo_st_set_meta(ctx, st, "ligo.untied_head", ligo__meta_fmt_int(v, c->untied_head));
}

LIGO_API ligo_status ligo_config_from_st(ligo_ctx *ctx, const ligo_safetensors *st, ligo_config *c) {
    const char *fam, *key;
    double eps;
    int k;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    fam = ligo_st_get_meta(st, "ligo.family");
    if (!fam) return ligo_set_error(ctx, LIGO_EFORMAT, "no ligo.family in the metadata (not a ligo checkpoint)");
    memset(c, 0, sizeof *c);
    if (ligo_family_parse(fam, &c->family) != LIGO_OK)
        return ligo_set_error(ctx, LIGO_EFORMAT, "unknown family \"%s\" in the metadata", fam);
    for (k = 0; k < 10; k++) {
        int64_t *f = ligo__config_field(c, k, &key);
        /* any integer: ligo_config_check below names a bad one */
        if (!ligo__meta_int(ligo_st_get_meta(st, key), INT64_MIN, INT64_MAX, f))
            return ligo_set_error(ctx, LIGO_EFORMAT, "a ligo.* config entry is missing or not an integer");
    }
    if (!ligo__meta_real(ligo_st_get_meta(st, "ligo.ln_eps"), -DBL_MAX, &eps))
        return ligo_set_error(ctx, LIGO_EFORMAT, "ligo.ln_eps is missing or not a number");
    c->ln_eps = (float)eps;
    if (c->family == LIGO_LLAMA) {
        int64_t untied;
        if (!ligo__meta_int(ligo_st_get_meta(st, "ligo.n_kv_head"), INT64_MIN, INT64_MAX, &c->n_kv_head) ||
            !ligo__meta_int(ligo_st_get_meta(st, "ligo.untied_head"), 0, 1, &untied))
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo.n_kv_head or ligo.untied_head (0 or 1) is missing or not an "
                                  "integer");
        if (!ligo__meta_real(ligo_st_get_meta(st, "ligo.rope_theta"), -DBL_MAX, &eps))
            return ligo_set_error(ctx, LIGO_EFORMAT, "ligo.rope_theta is missing or not a number");
        c->rope_theta = (float)eps;
        c->untied_head = (int)untied;
    }
    if (ligo_config_check(ctx, c) != LIGO_OK) {
        /* report a bad stored config as a format error, keeping the reason */
        char why[LIGO__ERRMSG];
        snprintf(why, sizeof why, "%s", ctx->errmsg);
        ligo_clear_error(ctx);
        return ligo_set_error(ctx, LIGO_EFORMAT, "stored config is invalid: %s", why);
    }
    return LIGO_OK;
}

LIGO_API ligo_status ligo_model_to_st(ligo_ctx *ctx, const ligo_model *m, ligo_safetensors *st) {
    ligo__ckmap *mp;
    int64_t n, i;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!m || !st) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_to_st: NULL model or file");
    if (ligo_config_to_st(ctx, &m->cfg, st) != LIGO_OK) return ctx->status;
    mp = ligo__ck_alloc(ctx, m);
    if (!mp) return ctx->status;
    n = ligo__ck_map(m, mp);
    for (i = 0; i < n; i++) {
        const ligo_param_info *p = &m->info[mp[i].index];
        const float *src = m->data + p->offset + mp[i].row0 * ligo__row_len(p);
        if (mp[i].transpose) { /* (rows, cols) -> (cols, rows) */
            int64_t r, k, R = p->shape[0], K = p->shape[1];
            float *t = (float *)ligo_alloc_scratch(ctx, (size_t)p->n * sizeof(float));
            if (!t) return ctx->status;
            for (r = 0; r < R; r++)
                for (k = 0; k < K; k++) t[k * R + r] = src[r * K + k];
            src = t;
        }
        if (ligo_st_add(ctx, st, mp[i].name, mp[i].ndim, mp[i].shape, src) != LIGO_OK) return ctx->status;
    }
    return LIGO_OK;
}

LIGO__PRIV ligo_status ligo__check_def_meta(ligo_ctx *ctx, const ligo_safetensors *st, const char *who, const char *what,
                                            ligo_family family, const ligo_model_def *def) {
    const char *have = ligo_st_get_meta(st, "ligo.model");
    if (def == ligo_model_def_builtin(family)) def = NULL;
    if (have && (!def || !def->name || strcmp(have, def->name) != 0))
        return ligo_set_error(ctx, LIGO_EFORMAT,
                              "%s: %s holds a model defined as \"%.64s\"; load it with that definition "
                              "(ligo_model_load_def)%s%s",
                              who, what, have, def ? ", not " : "", def && def->name ? def->name : "");
    if (!have && def)
        return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s holds the built-in %s model, not one defined as \"%.64s\"", who,
                              what, ligo_family_name(family), def->name ? def->name : "");
    return LIGO_OK;
}

LIGO_API ligo_model *ligo_model_from_st(ligo_ctx *ctx, const ligo_safetensors *st, const char *what) {
    return ligo_model_from_st_def(ctx, st, what, NULL);
}

LIGO_API ligo_model *ligo_model_from_st_def(ligo_ctx *ctx, const ligo_safetensors *st, const char *what,
                                            const ligo_model_def *def) {
    ligo_config c;
    ligo_model *m;
    ligo__ckmap *mp;
    int64_t n, i;
    if (ligo__failed(ctx)) return NULL;
    if (!what) what = "checkpoint";
    if (ligo_config_from_st(ctx, st, &c) != LIGO_OK) {
        char why[LIGO__ERRMSG];
        snprintf(why, sizeof why, "%s", ctx->errmsg);
        ligo_status s = ctx->status;
        ligo_clear_error(ctx);
        ligo_set_error(ctx, s, "ligo_model_load: %s: %s", what, why);
        return NULL;
    }
    if (ligo__check_def_meta(ctx, st, "ligo_model_load", what, c.family, def) != LIGO_OK) return NULL;
    c.def = def == ligo_model_def_builtin(c.family) ? NULL : def;
    /* The config comes from the file, so it must not allocate more than the
     * file could fill: the model's parameters (counted by its definition,
     * nothing allocated) must be among the file's floats. */
    {
        int64_t n_entries, floats;
        double need, have = 0.0;
        if (ligo__build_table(ctx, &c, NULL, &n_entries, &floats) != LIGO_OK) return NULL;
        need = (double)floats;
        for (i = 0; i < st->n_entries; i++) have += (double)st->entries[i].n;
        if (need > have) {
            ligo_set_error(ctx, LIGO_EFORMAT,
                           "ligo_model_load: %s: tensors are missing: the stored config (%lld layers, width %lld, "
                           "FFN %lld) needs at least %.0f floats but the file holds %.0f",
                           what, (long long)c.n_layer, (long long)c.d_model, (long long)c.d_ff, need, have);
            return NULL;
        }
    }
    m = ligo_model_new(ctx, &c);
    if (!m) return NULL;
    mp = ligo__ck_alloc(ctx, m);
    if (!mp) return NULL;
    n = ligo__ck_map(m, mp);
    for (i = 0; i < n; i++) {
        const ligo_param_info *p = &m->info[mp[i].index];
        const ligo_st_entry *e = ligo_st_find(st, mp[i].name);
        int64_t want = mp[i].rows * ligo__row_len(p);
        float *dst = m->data + p->offset + mp[i].row0 * ligo__row_len(p);
        if (!e) {
            ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_load: %s: tensor %s is missing", what, mp[i].name);
            return NULL;
        }
        if (e->n != want) {
            ligo_set_error(ctx, LIGO_EFORMAT, "ligo_model_load: %s: tensor %s has %lld values, the config needs %lld",
                           what, mp[i].name, (long long)e->n, (long long)want);
            return NULL;
        }
        if (mp[i].transpose) {
            int64_t r, k, R = p->shape[0], K = p->shape[1];
            for (r = 0; r < R; r++)
                for (k = 0; k < K; k++) dst[r * K + k] = e->data[k * R + r];
        } else {
            memcpy(dst, e->data, (size_t)want * sizeof(float));
        }
    }
    return m;
}

/* Every tensor of st is one of model m's checkpoint tensors with the
 * shape its layout gives (ligo_model_from_st has found each of those):
 * nothing else in the file, nothing of another shape. */
LIGO__PRIV ligo_status ligo__st_check_names(ligo_ctx *ctx, const ligo_safetensors *st, const ligo_model *m, const char *who,
                                            const char *what) {
    ligo_mark mk = ligo_scratch_mark(ctx);
    ligo__ckmap *mp = ligo__ck_alloc(ctx, m);
    int64_t n, i, j;
    int d;
    if (!mp) return ctx->status;
    n = ligo__ck_map(m, mp);
    for (i = 0; i < st->n_entries; i++) {
        const ligo_st_entry *e = &st->entries[i];
        for (j = 0; j < n && strcmp(mp[j].name, e->name) != 0; j++) {}
        if (j == n) {
            ligo_scratch_rewind(ctx, mk);
            return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: tensor %s is not part of a %s model of this config", who,
                                  what, e->name, ligo_family_name(m->cfg.family));
        }
        for (d = 0; d < mp[j].ndim; d++)
            if (e->ndim != mp[j].ndim || e->shape[d] != mp[j].shape[d]) {
                ligo_scratch_rewind(ctx, mk);
                return ligo_set_error(ctx, LIGO_EFORMAT, "%s: %s: tensor %s has %d dims of shape starting %lld, the "
                                      "config needs %d dims starting %lld", who, what, e->name, e->ndim,
                                      (long long)e->shape[0], mp[j].ndim, (long long)mp[j].shape[0]);
            }
    }
    ligo_scratch_rewind(ctx, mk);
    return LIGO_OK;
}

LIGO_API ligo_status ligo_model_save(ligo_ctx *ctx, const ligo_model *m, const char *path) {
    ligo_safetensors st;
    ligo_mark mk;
    ligo_status s;
    if (ligo__failed(ctx)) return ctx ? ctx->status : LIGO_EINVAL;
    if (!path) return ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_save: path is NULL");
    mk = ligo_scratch_mark(ctx);
    ligo_st_init(&st);
    s = ligo_model_to_st(ctx, m, &st);
    if (s == LIGO_OK) s = ligo_st_write(ctx, path, &st);
    ligo_scratch_rewind(ctx, mk);
    return s;
}

LIGO_API ligo_model *ligo_model_load(ligo_ctx *ctx, const char *path) { return ligo_model_load_def(ctx, path, NULL); }

LIGO_API ligo_model *ligo_model_load_def(ligo_ctx *ctx, const char *path, const ligo_model_def *def) {
    ligo_safetensors st;
    ligo_mark mk;
    ligo_model *m;
    if (ligo__failed(ctx)) return NULL;
    if (!path) {
        ligo_set_error(ctx, LIGO_EINVAL, "ligo_model_load: path is NULL");
        return NULL;
    }
    mk = ligo_scratch_mark(ctx);
    if (ligo_st_read(ctx, path, &st) != LIGO_OK) return NULL;
    m = ligo_model_from_st_def(ctx, &st, path, def);
    ligo_scratch_rewind(ctx, mk); /* the model lives in persistent memory */
    return m;
}
