/* api_table.c: the bad-input table of the public functions. Each row calls
 * one function with one bad input and names the status it must return and
 * a substring its message must hold; the context's status must agree and
 * nothing may crash (the runner builds this file under ASan and UBSan).
 * Fixture files live in a temporary directory made by the runner.
 *
 *   build/robust/api_table [DIR]     prints "api table: N rows, N passed" */
#define LIGO_IMPLEMENTATION
#include "../../ligo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char g_dir[512];
static char p_text[600], p_tiny[600], p_gpt[600], p_bert[600], p_train[600], p_empty[600], p_junk[600];
static char p_hugecfg[600], p_badgpt2[600], p_gpt2[600], p_idx[600], p_bigheader[600], p_trunc[600];
static char p_nodir[600], p_underfile[600], p_vitdir[600];

static ligo_ctx *new_ctx(void) {
    ligo_ctx_params p = ligo_ctx_params_default();
    p.n_threads = 1;
    p.persistent_limit = (size_t)512 << 20;
    p.scratch_limit = (size_t)512 << 20;
    return ligo_ctx_new(&p);
}

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "api table: cannot write %s\n", path);
        exit(1);
    }
}

static ligo_config tiny_cfg(ligo_family fam) {
    ligo_config c = ligo_config_default(fam);
    c.n_layer = 1;
    c.d_model = 8;
    c.n_head = 2;
    c.d_ff = 16;
    if (fam != LIGO_VIT) c.ctx_len = 16;
    else c.patch = 14;
    return c;
}

/* A safetensors file from a header string and n zero floats. */
static void write_st(const char *path, const char *header, size_t n_floats) {
    size_t hl = strlen(header), i;
    unsigned char *buf = (unsigned char *)calloc(1, 8 + hl + 4 * n_floats + 1);
    for (i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(buf + 8, header, hl);
    write_file(path, buf, 8 + hl + 4 * n_floats);
    free(buf);
}

static void be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void make_fixtures(void) {
    ligo_ctx *ctx = new_ctx();
    ligo_config c;
    ligo_model *m;
    ligo_data d;
    ligo_train_config tc;
    ligo_trainer *tr;
    char text[3000];
    unsigned char g2[1024 + 40];
    size_t i;
    int k;
    snprintf(p_text, sizeof p_text, "%s/text.txt", g_dir);
    snprintf(p_tiny, sizeof p_tiny, "%s/tiny.txt", g_dir);
    snprintf(p_gpt, sizeof p_gpt, "%s/gpt.safetensors", g_dir);
    snprintf(p_bert, sizeof p_bert, "%s/bert.safetensors", g_dir);
    snprintf(p_train, sizeof p_train, "%s/train.safetensors", g_dir);
    snprintf(p_empty, sizeof p_empty, "%s/empty", g_dir);
    snprintf(p_junk, sizeof p_junk, "%s/junk.safetensors", g_dir);
    snprintf(p_hugecfg, sizeof p_hugecfg, "%s/hugecfg.safetensors", g_dir);
    snprintf(p_badgpt2, sizeof p_badgpt2, "%s/bad.gpt2", g_dir);
    snprintf(p_gpt2, sizeof p_gpt2, "%s/ok.gpt2", g_dir);
    snprintf(p_idx, sizeof p_idx, "%s/images.idx", g_dir);
    snprintf(p_bigheader, sizeof p_bigheader, "%s/bighdr.safetensors", g_dir);
    snprintf(p_trunc, sizeof p_trunc, "%s/trunc.safetensors", g_dir);
    snprintf(p_nodir, sizeof p_nodir, "%s/no/such/dir/out.safetensors", g_dir);
    snprintf(p_underfile, sizeof p_underfile, "%s/text.txt/out.safetensors", g_dir);
    snprintf(p_vitdir, sizeof p_vitdir, "%s/vit", g_dir);
    for (i = 0; i < sizeof text; i++) text[i] = (char)('a' + (i * 7 + i / 13) % 26);
    write_file(p_text, text, sizeof text);
    write_file(p_tiny, "x", 1);
    write_file(p_empty, "", 0);
    write_file(p_junk, "this is not a safetensors file at all", 37);
    c = tiny_cfg(LIGO_GPT);
    m = ligo_model_new(ctx, &c);
    ligo_model_init(m, 1);
    if (ligo_model_save(ctx, m, p_gpt) != LIGO_OK) exit(1);
    c = tiny_cfg(LIGO_BERT);
    m = ligo_model_new(ctx, &c);
    ligo_model_init(m, 1);
    if (ligo_model_save(ctx, m, p_bert) != LIGO_OK) exit(1);
    /* a training checkpoint (GPT, 2 steps) */
    c = tiny_cfg(LIGO_GPT);
    m = ligo_model_new(ctx, &c);
    ligo_model_init(m, 1);
    if (ligo_data_load(ctx, LIGO_GPT, p_text, &d) != LIGO_OK) exit(1);
    tc = ligo_train_config_default();
    tc.steps = 2;
    tc.batch = 2;
    tc.ctx = 8;
    tc.progress = 0;
    tc.eval_windows = 2;
    tr = ligo_trainer_new(ctx, m, &d, &tc);
    if (!tr || ligo_trainer_run(ctx, tr) != LIGO_OK || ligo_trainer_save(ctx, tr, p_train) != LIGO_OK) {
        fprintf(stderr, "api table: fixture: %s\n", ligo_get_error(ctx));
        exit(1);
    }
    /* metadata asking for a 48-layer, 4096-wide GPT over 4 floats */
    write_st(p_hugecfg,
             "{\"__metadata__\":{\"ligo.family\":\"gpt\",\"ligo.n_layer\":\"48\",\"ligo.d_model\":\"4096\","
             "\"ligo.n_head\":\"32\",\"ligo.d_ff\":\"16384\",\"ligo.vocab\":\"50257\",\"ligo.ctx_len\":\"4096\","
             "\"ligo.image_h\":\"0\",\"ligo.image_w\":\"0\",\"ligo.patch\":\"0\",\"ligo.n_classes\":\"0\","
             "\"ligo.ln_eps\":\"1e-5\"},\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}",
             4);
    write_st(p_bigheader, "{}", 0);
    {   /* header length field of 2^40 */
        unsigned char b[16] = {0, 0, 0, 0, 0, 1, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
        write_file(p_bigheader, b, 16);
    }
    {   /* a real checkpoint cut in half */
        FILE *f = fopen(p_gpt, "rb");
        static unsigned char buf[1 << 20];
        size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f) fclose(f);
        write_file(p_trunc, buf, n / 2);
    }
    memset(g2, 0, sizeof g2);
    {
        uint32_t v[3] = {20240520u, 1u, 20u};
        for (k = 0; k < 3; k++) {
            g2[4 * k] = (unsigned char)v[k];
            g2[4 * k + 1] = (unsigned char)(v[k] >> 8);
            g2[4 * k + 2] = (unsigned char)(v[k] >> 16);
            g2[4 * k + 3] = (unsigned char)(v[k] >> 24);
        }
        for (i = 0; i < 20; i++) g2[1024 + 2 * i] = (unsigned char)i;
    }
    write_file(p_gpt2, g2, sizeof g2);
    g2[0] ^= 0xff; /* wrong magic */
    write_file(p_badgpt2, g2, sizeof g2);
    {   /* IDX images 2 x 4 x 4 and a ViT directory whose images are 4x4 (the model wants 28x28) */
        unsigned char im[16 + 32], lb[8 + 2];
        char p[700];
        memset(im, 7, sizeof im);
        be32(im, 0x803);
        be32(im + 4, 2);
        be32(im + 8, 4);
        be32(im + 12, 4);
        memset(lb, 1, sizeof lb);
        be32(lb, 0x801);
        be32(lb + 4, 2);
        write_file(p_idx, im, sizeof im);
        mkdir(p_vitdir, 0777);
        snprintf(p, sizeof p, "%s/train-images-idx3-ubyte", p_vitdir);
        write_file(p, im, sizeof im);
        snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", p_vitdir);
        write_file(p, im, sizeof im);
        snprintf(p, sizeof p, "%s/train-labels-idx1-ubyte", p_vitdir);
        write_file(p, lb, sizeof lb);
        snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", p_vitdir);
        write_file(p, lb, sizeof lb);
    }
    ligo_ctx_free(ctx);
}

/* ------------------------------------------------------------ the rows */

#define NUL(expr) return (expr) == NULL ? ligo_get_status(ctx) : LIGO_OK

static ligo_tensor *t2(ligo_ctx *ctx, int64_t a, int64_t b) { return ligo_new_2d(ctx, a, b); }

static ligo_model *tiny_model(ligo_ctx *ctx, ligo_family f) {
    ligo_config c = tiny_cfg(f);
    ligo_model *m = ligo_model_new(ctx, &c);
    if (m) ligo_model_init(m, 3);
    return m;
}

/* core and tensors */
static ligo_status r_threads_neg(ligo_ctx *ctx) { return ligo_set_num_threads(ctx, -1); }
static ligo_status r_threads_huge(ligo_ctx *ctx) { return ligo_set_num_threads(ctx, 100000); }
static ligo_status r_alloc_huge(ligo_ctx *ctx) { NUL(ligo_alloc_persistent(ctx, (size_t)1 << 40)); }
static ligo_status r_scratch_huge(ligo_ctx *ctx) { NUL(ligo_alloc_scratch(ctx, SIZE_MAX - 10)); }
static ligo_status r_new_ndim0(ligo_ctx *ctx) { int64_t s[1] = {2}; NUL(ligo_new(ctx, 0, s)); }
static ligo_status r_new_ndim5(ligo_ctx *ctx) { int64_t s[5] = {1, 1, 1, 1, 1}; NUL(ligo_new(ctx, 5, s)); }
static ligo_status r_new_dim0(ligo_ctx *ctx) { NUL(ligo_new_2d(ctx, 3, 0)); }
static ligo_status r_new_negdim(ligo_ctx *ctx) { NUL(ligo_new_1d(ctx, -5)); }
static ligo_status r_new_overflow(ligo_ctx *ctx) { NUL(ligo_new_2d(ctx, (int64_t)1 << 40, (int64_t)1 << 40)); }
static ligo_status r_new_absurd(ligo_ctx *ctx) { NUL(ligo_new_1d(ctx, (int64_t)1 << 40)); }
static ligo_status r_param_negdim(ligo_ctx *ctx) { int64_t s[2] = {4, -1}; NUL(ligo_new_param(ctx, 2, s)); }
static ligo_status r_wrap_null(ligo_ctx *ctx) { int64_t s[1] = {4}; NUL(ligo_wrap(ctx, 1, s, NULL, NULL)); }
static ligo_status r_numel_neg(ligo_ctx *ctx) { int64_t s[2] = {2, -3}, n; (void)ctx; return ligo_shape_numel(2, s, &n); }
static ligo_status r_numel_ovf(ligo_ctx *ctx) {
    int64_t s[3] = {(int64_t)1 << 30, (int64_t)1 << 30, (int64_t)1 << 30}, n;
    (void)ctx;
    return ligo_shape_numel(3, s, &n);
}
static ligo_status r_copy_n(ligo_ctx *ctx) {
    float x[3] = {0, 0, 0};
    ligo_tensor *t = ligo_new_1d(ctx, 4);
    return ligo_copy_from(ctx, t, x, 3);
}
/* gemm */
static ligo_status r_gemm_negM(ligo_ctx *ctx) {
    float a[4], b[4], c[4];
    return ligo_sgemm(ctx, 0, 0, -1, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2);
}
static ligo_status r_gemm_lda(ligo_ctx *ctx) {
    float a[4], b[4], c[4];
    return ligo_sgemm(ctx, 0, 0, 2, 2, 2, 1.0f, a, 1, b, 2, 0.0f, c, 2);
}
static ligo_status r_gemm_null(ligo_ctx *ctx) {
    float b[4], c[4];
    return ligo_sgemm(ctx, 0, 0, 2, 2, 2, 1.0f, NULL, 2, b, 2, 0.0f, c, 2);
}
/* ops */
static ligo_status r_add_shape(ligo_ctx *ctx) { NUL(ligo_add(ctx, t2(ctx, 2, 3), t2(ctx, 3, 2))); }
static ligo_status r_add_null(ligo_ctx *ctx) { NUL(ligo_add(ctx, t2(ctx, 2, 3), NULL)); }
static ligo_status r_mul_shape(ligo_ctx *ctx) { NUL(ligo_mul(ctx, t2(ctx, 2, 3), t2(ctx, 2, 2))); }
static ligo_status r_matmul_k(ligo_ctx *ctx) { NUL(ligo_matmul(ctx, t2(ctx, 2, 3), t2(ctx, 4, 5), 0, 0)); }
static ligo_status r_matmul_3d(ligo_ctx *ctx) { NUL(ligo_matmul(ctx, ligo_new_3d(ctx, 2, 2, 2), t2(ctx, 2, 2), 0, 0)); }
static ligo_status r_transpose_1d(ligo_ctx *ctx) { NUL(ligo_transpose(ctx, ligo_new_1d(ctx, 3))); }
static ligo_status r_reshape_n(ligo_ctx *ctx) { int64_t s[2] = {5, 2}; NUL(ligo_reshape(ctx, t2(ctx, 3, 3), 2, s)); }
static ligo_status r_reshape_neg(ligo_ctx *ctx) { int64_t s[2] = {-3, -3}; NUL(ligo_reshape(ctx, t2(ctx, 3, 3), 2, s)); }
static ligo_status r_concat_axis(ligo_ctx *ctx) { NUL(ligo_concat(ctx, t2(ctx, 2, 2), t2(ctx, 2, 2), 2)); }
static ligo_status r_concat_shape(ligo_ctx *ctx) { NUL(ligo_concat(ctx, t2(ctx, 2, 2), t2(ctx, 3, 3), 0)); }
static ligo_status r_slice_range(ligo_ctx *ctx) { NUL(ligo_slice(ctx, t2(ctx, 4, 4), 0, 3, 2)); }
static ligo_status r_slice_neg(ligo_ctx *ctx) { NUL(ligo_slice(ctx, t2(ctx, 4, 4), 1, -1, 2)); }
static ligo_status r_slice_huge(ligo_ctx *ctx) { NUL(ligo_slice(ctx, t2(ctx, 4, 4), 1, INT64_MAX, INT64_MAX)); }
static ligo_status r_linear_in(ligo_ctx *ctx) { NUL(ligo_linear(ctx, t2(ctx, 2, 3), t2(ctx, 4, 5), NULL)); }
static ligo_status r_linear_bias(ligo_ctx *ctx) { NUL(ligo_linear(ctx, t2(ctx, 2, 3), t2(ctx, 4, 3), ligo_new_1d(ctx, 3))); }
static ligo_status r_linear_gelu_in(ligo_ctx *ctx) { NUL(ligo_linear_gelu(ctx, t2(ctx, 2, 3), t2(ctx, 4, 5), NULL)); }
static ligo_status r_linear_gelu_null(ligo_ctx *ctx) { NUL(ligo_linear_gelu(ctx, t2(ctx, 2, 3), NULL, NULL)); }
static ligo_status r_ln_gamma(ligo_ctx *ctx) {
    NUL(ligo_layernorm(ctx, t2(ctx, 2, 4), ligo_new_1d(ctx, 3), ligo_new_1d(ctx, 4), 1e-5f));
}
static ligo_status r_ln_eps(ligo_ctx *ctx) {
    NUL(ligo_layernorm(ctx, t2(ctx, 2, 4), ligo_new_1d(ctx, 4), ligo_new_1d(ctx, 4), -1.0f));
}
static ligo_status r_attn_heads(ligo_ctx *ctx) { NUL(ligo_attention(ctx, ligo_new_3d(ctx, 1, 4, 12), 3, 1)); }
static ligo_status r_attn_zero_heads(ligo_ctx *ctx) { NUL(ligo_attention(ctx, ligo_new_3d(ctx, 1, 4, 12), 0, 1)); }
static ligo_status r_attn_not3(ligo_ctx *ctx) { NUL(ligo_attention(ctx, ligo_new_3d(ctx, 1, 4, 10), 1, 1)); }
static ligo_status r_attn_mask_heads(ligo_ctx *ctx) {
    ligo_tensor *q = ligo_new_3d(ctx, 1, 4, 12);
    NUL(ligo_attention_mask(ctx, q, q, q, NULL, 5));
}
static ligo_status r_attn_mask_shape(ligo_ctx *ctx) {
    ligo_tensor *q = ligo_new_3d(ctx, 1, 4, 12), *k = ligo_new_3d(ctx, 1, 6, 12);
    NUL(ligo_attention_mask(ctx, q, k, k, t2(ctx, 4, 4), 2));
}
static ligo_status r_attn_mask_kv(ligo_ctx *ctx) {
    ligo_tensor *q = ligo_new_3d(ctx, 1, 4, 12);
    NUL(ligo_attention_mask(ctx, q, q, ligo_new_3d(ctx, 1, 5, 12), NULL, 2));
}
static ligo_status r_custom_null_op(ligo_ctx *ctx) {
    ligo_tensor *x = t2(ctx, 2, 2);
    NUL(ligo_custom(ctx, NULL, 1, &x, NULL));
}
static ligo_status r_custom_no_forward(ligo_ctx *ctx) {
    static const ligo_custom_op op = {"mine", NULL, NULL, NULL};
    ligo_tensor *x = t2(ctx, 2, 2);
    NUL(ligo_custom(ctx, &op, 1, &x, NULL));
}
static ligo_status r_ce_target(ligo_ctx *ctx) {
    int32_t tg[2] = {1, 7};
    NUL(ligo_cross_entropy(ctx, t2(ctx, 2, 5), tg, 2, LIGO_IGNORE));
}
static ligo_status r_ce_negtarget(ligo_ctx *ctx) {
    int32_t tg[2] = {1, -2};
    NUL(ligo_cross_entropy(ctx, t2(ctx, 2, 5), tg, 2, LIGO_IGNORE));
}
static ligo_status r_ce_count(ligo_ctx *ctx) {
    int32_t tg[3] = {1, 2, 3};
    NUL(ligo_cross_entropy(ctx, t2(ctx, 2, 5), tg, 3, LIGO_IGNORE));
}
static ligo_status r_emb_id(ligo_ctx *ctx) {
    int32_t ids[2] = {0, 9};
    NUL(ligo_embedding(ctx, t2(ctx, 5, 3), ids, 2));
}
static ligo_status r_emb_neg(ligo_ctx *ctx) {
    int32_t ids[2] = {-1, 0};
    NUL(ligo_embedding(ctx, t2(ctx, 5, 3), ids, 2));
}
static ligo_status r_emb_n(ligo_ctx *ctx) {
    int32_t ids[1] = {0};
    NUL(ligo_embedding(ctx, t2(ctx, 5, 3), ids, -4));
}
static ligo_status r_backward_vec(ligo_ctx *ctx) { return ligo_backward(ctx, ligo_scale(ctx, ligo_new_1d(ctx, 3), 2.0f)); }
static ligo_status r_backward_null(ligo_ctx *ctx) { return ligo_backward(ctx, NULL); }
static ligo_status r_sticky(ligo_ctx *ctx) { /* after an error every builder returns NULL with the same status */
    (void)ligo_new_1d(ctx, -1);
    NUL(ligo_new_1d(ctx, 4));
}
/* nn */
static ligo_status r_family_parse(ligo_ctx *ctx) {
    ligo_family f;
    (void)ctx;
    return ligo_family_parse("mamba", &f);
}
static ligo_status r_cfg_kv_heads(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_LLAMA); c.n_kv_head = 3; return ligo_config_check(ctx, &c); }
static ligo_status r_cfg_rope_nan(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_LLAMA); c.rope_theta = NAN; return ligo_config_check(ctx, &c); }
static ligo_status r_attention_grouped(ligo_ctx *ctx) {
    int64_t sq[3] = {1, 2, 8}, sk[3] = {1, 2, 6};
    return ligo_attention_grouped(ctx, ligo_new(ctx, 3, sq), ligo_new(ctx, 3, sk), ligo_new(ctx, 3, sk), 4, 2, 1) ? LIGO_OK
                                                                                                               : ctx->status;
}
static ligo_status r_cfg_layers(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_GPT); c.n_layer = 0; return ligo_config_check(ctx, &c); }
static ligo_status r_cfg_layers_huge(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_GPT); c.n_layer = 1 << 30; return ligo_config_check(ctx, &c); }
static ligo_status r_cfg_heads(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_GPT); c.n_head = 3; return ligo_config_check(ctx, &c); }
static ligo_status r_cfg_dim(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_GPT); c.d_model = -8; return ligo_config_check(ctx, &c); }
static ligo_status r_cfg_vocab(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_GPT); c.vocab = 1; return ligo_config_check(ctx, &c); }
static ligo_status r_cfg_family(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_GPT); c.family = (ligo_family)7; return ligo_config_check(ctx, &c); }
static ligo_status r_cfg_patch(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_VIT); c.patch = 5; return ligo_config_check(ctx, &c); }
static ligo_status r_cfg_eps(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_GPT); c.ln_eps = (float)NAN; return ligo_config_check(ctx, &c); }
static ligo_status r_model_huge(ligo_ctx *ctx) {
    ligo_config c = tiny_cfg(LIGO_GPT);
    c.n_layer = 200;
    c.d_model = 65536;
    c.n_head = 1;
    NUL(ligo_model_new(ctx, &c));
}
static ligo_status r_loss_T(ligo_ctx *ctx) {
    ligo_model *m = tiny_model(ctx, LIGO_GPT);
    int32_t in[40] = {0}, tg[40] = {0};
    ligo_batch b;
    memset(&b, 0, sizeof b);
    b.B = 1;
    b.T = 40; /* context is 16 */
    b.inputs = in;
    b.targets = tg;
    NUL(ligo_model_loss(ctx, m, &b, NULL));
}
static ligo_status r_loss_id(ligo_ctx *ctx) {
    ligo_model *m = tiny_model(ctx, LIGO_GPT);
    int32_t in[4] = {0, 1, 256, 2}, tg[4] = {0, 1, 2, 3};
    ligo_batch b;
    memset(&b, 0, sizeof b);
    b.B = 1;
    b.T = 4;
    b.inputs = in;
    b.targets = tg;
    NUL(ligo_model_loss(ctx, m, &b, NULL));
}
static ligo_status r_loss_target(ligo_ctx *ctx) {
    ligo_model *m = tiny_model(ctx, LIGO_GPT);
    int32_t in[4] = {0, 1, 2, 3}, tg[4] = {0, 1, 2, 999};
    ligo_batch b;
    memset(&b, 0, sizeof b);
    b.B = 1;
    b.T = 4;
    b.inputs = in;
    b.targets = tg;
    NUL(ligo_model_loss(ctx, m, &b, NULL));
}
static ligo_status r_loss_nobatch(ligo_ctx *ctx) { NUL(ligo_model_loss(ctx, tiny_model(ctx, LIGO_GPT), NULL, NULL)); }
static ligo_status r_loss_B0(ligo_ctx *ctx) {
    ligo_model *m = tiny_model(ctx, LIGO_GPT);
    int32_t in[4] = {0}, tg[4] = {0};
    ligo_batch b;
    memset(&b, 0, sizeof b);
    b.B = 0;
    b.T = 4;
    b.inputs = in;
    b.targets = tg;
    NUL(ligo_model_loss(ctx, m, &b, NULL));
}
/* optim */
static ligo_status r_optim_n(ligo_ctx *ctx) {
    ligo_optim_config c = ligo_optim_config_default(LIGO_ADAMW);
    NUL(ligo_optim_new(ctx, &c, -3, NULL, 0));
}
static ligo_status r_optim_beta(ligo_ctx *ctx) {
    ligo_optim_config c = ligo_optim_config_default(LIGO_ADAMW);
    c.beta2 = 1.5f;
    NUL(ligo_optim_new(ctx, &c, 4, NULL, 0));
}
static ligo_status r_optim_seg(ligo_ctx *ctx) {
    ligo_optim_config c = ligo_optim_config_default(LIGO_ADAMW);
    ligo_segment s;
    s.offset = 2;
    s.n = 10;
    s.decay = 1;
    NUL(ligo_optim_new(ctx, &c, 4, &s, 1));
}
static ligo_status r_optim_lr(ligo_ctx *ctx) {
    ligo_optim_config c = ligo_optim_config_default(LIGO_ADAMW);
    ligo_optim *o = ligo_optim_new(ctx, &c, 4, NULL, 0);
    float x[4] = {0}, g[4] = {0};
    return ligo_optim_step(ctx, o, x, g, (float)NAN);
}
/* data */
static ligo_status r_text_missing(ligo_ctx *ctx) { ligo_tokens t; return ligo_tokens_load_text(ctx, "/nonexistent/x.txt", &t); }
static ligo_status r_text_dir(ligo_ctx *ctx) { ligo_tokens t; return ligo_tokens_load_text(ctx, g_dir, &t); }
static ligo_status r_text_short(ligo_ctx *ctx) { ligo_tokens t; return ligo_tokens_load_text(ctx, p_tiny, &t); }
static ligo_status r_text_null(ligo_ctx *ctx) { ligo_tokens t; return ligo_tokens_load_text(ctx, NULL, &t); }
static ligo_status r_bytes_null(ligo_ctx *ctx) { ligo_tokens t; return ligo_tokens_from_bytes(ctx, NULL, 10, &t); }
static ligo_status r_gpt2_magic(ligo_ctx *ctx) { ligo_tokens t; return ligo_tokens_load_gpt2(ctx, p_badgpt2, &t); }
static ligo_status r_gpt2_text(ligo_ctx *ctx) { ligo_tokens t; return ligo_tokens_load_gpt2(ctx, p_text, &t); }
static ligo_status r_gpt2_missing(ligo_ctx *ctx) { ligo_tokens t; return ligo_tokens_load_gpt2(ctx, "/nonexistent.bin", &t); }
static ligo_status r_gpt2_count(ligo_ctx *ctx) {
    unsigned char b[1024 + 4];
    ligo_tokens t;
    memset(b, 0, sizeof b);
    b[0] = 0x88; b[1] = 0xd8; b[2] = 0x34; b[3] = 0x01; /* 20240520 */
    b[4] = 1;
    b[8] = 0xff; b[9] = 0xff; b[10] = 0xff; b[11] = 0x7f; /* 2^31 - 1 tokens in 4 bytes */
    return ligo_tokens_parse_gpt2(ctx, b, sizeof b, &t);
}
static ligo_status r_gpt2_negcount(ligo_ctx *ctx) {
    unsigned char b[1024 + 4];
    ligo_tokens t;
    memset(b, 0, sizeof b);
    b[0] = 0x88; b[1] = 0xd8; b[2] = 0x34; b[3] = 0x01;
    b[4] = 1;
    b[8] = 0xfe; b[9] = 0xff; b[10] = 0xff; b[11] = 0xff;
    return ligo_tokens_parse_gpt2(ctx, b, sizeof b, &t);
}
static ligo_status r_batch_T(ligo_ctx *ctx) {
    ligo_tokens t;
    ligo_rng r;
    int32_t in[8], tg[8];
    ligo_tokens_from_bytes(ctx, "abcdefgh", 8, &t);
    ligo_rng_seed(&r, 1);
    return ligo_tokens_batch(ctx, &t, LIGO_SPLIT_TRAIN, &r, 1, 8, in, tg);
}
static ligo_status r_batch_neg(ligo_ctx *ctx) {
    ligo_tokens t;
    ligo_rng r;
    int32_t in[8], tg[8];
    ligo_tokens_from_bytes(ctx, "abcdefghabcdefgh", 16, &t);
    ligo_rng_seed(&r, 1);
    return ligo_tokens_batch(ctx, &t, LIGO_SPLIT_TRAIN, &r, -2, 2, in, tg);
}
static ligo_status r_batch_split(ligo_ctx *ctx) {
    ligo_tokens t;
    ligo_rng r;
    int32_t in[8], tg[8];
    ligo_tokens_from_bytes(ctx, "abcdefghabcdefgh", 16, &t);
    ligo_rng_seed(&r, 1);
    return ligo_tokens_batch(ctx, &t, 5, &r, 1, 2, in, tg);
}
static ligo_status r_window_k(ligo_ctx *ctx) {
    ligo_tokens t;
    int32_t in[8], tg[8];
    ligo_tokens_from_bytes(ctx, "abcdefghabcdefghabcdefghabcdefgh", 32, &t);
    return ligo_tokens_window(ctx, &t, LIGO_SPLIT_TRAIN, 1000, 2, in, tg);
}
static ligo_status r_mlm_prob(ligo_ctx *ctx) {
    ligo_rng r;
    int32_t a[4] = {1, 2, 3, 4}, b[4], c[4];
    ligo_rng_seed(&r, 1);
    return ligo_mlm_mask(ctx, &r, a, 4, 1.5f, 9, 8, LIGO_IGNORE, b, c);
}
static ligo_status r_idx_missing(ligo_ctx *ctx) { ligo_images im; return ligo_images_load_idx(ctx, "/nonexistent-images", p_idx, &im); }
static ligo_status r_idx_swapped(ligo_ctx *ctx) { ligo_images im; return ligo_images_load_idx(ctx, p_text, p_idx, &im); }
static ligo_status r_idx_huge(ligo_ctx *ctx) {
    unsigned char im[16], lb[8];
    ligo_images out;
    be32(im, 0x803);
    be32(im + 4, 0xffffffffu);
    be32(im + 8, 0xffffffffu);
    be32(im + 12, 0xffffffffu);
    be32(lb, 0x801);
    be32(lb + 4, 0xffffffffu);
    return ligo_images_parse_idx(ctx, im, sizeof im, lb, sizeof lb, &out);
}
static ligo_status r_idx_count(ligo_ctx *ctx) {
    unsigned char im[16 + 4], lb[8 + 3];
    ligo_images out;
    memset(im, 0, sizeof im);
    memset(lb, 0, sizeof lb);
    be32(im, 0x803);
    be32(im + 4, 1);
    be32(im + 8, 2);
    be32(im + 12, 2);
    be32(lb, 0x801);
    be32(lb + 4, 3);
    return ligo_images_parse_idx(ctx, im, sizeof im, lb, sizeof lb, &out);
}
static ligo_status r_gunzip_bad(ligo_ctx *ctx) {
    void *o;
    size_t n;
    return ligo_gunzip(ctx, "\x1f\x8b\x08\x00\0\0\0\0\0\xff\xff\xff", 12, 100, &o, &n);
}
static ligo_status r_gunzip_cap(ligo_ctx *ctx) {
    /* gzip of 1000 'a' bytes, capped at 10 */
    static const unsigned char gz[] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0xff, 0x4b, 0x4c, 0x1c, 0x05,
                                       0xa3, 0x60, 0x14, 0x0c, 0x77, 0x00, 0x00, 0xb4, 0x2d, 0xf6, 0x13, 0xe8, 0x03,
                                       0x00, 0x00};
    void *o;
    size_t n;
    return ligo_gunzip(ctx, gz, sizeof gz, 10, &o, &n);
}
static ligo_status r_read_cap(ligo_ctx *ctx) {
    void *o;
    size_t n;
    return ligo_read_file(ctx, p_text, 100, &o, &n);
}
/* io */
static ligo_status r_st_missing(ligo_ctx *ctx) { ligo_safetensors st; return ligo_st_read(ctx, "/nonexistent.safetensors", &st); }
static ligo_status r_st_dir(ligo_ctx *ctx) { ligo_safetensors st; return ligo_st_read(ctx, g_dir, &st); }
static ligo_status r_st_empty(ligo_ctx *ctx) { ligo_safetensors st; return ligo_st_read(ctx, p_empty, &st); }
static ligo_status r_st_junk(ligo_ctx *ctx) { ligo_safetensors st; return ligo_st_read(ctx, p_junk, &st); }
static ligo_status r_st_bighdr(ligo_ctx *ctx) { ligo_safetensors st; return ligo_st_read(ctx, p_bigheader, &st); }
static ligo_status r_st_trunc(ligo_ctx *ctx) { ligo_safetensors st; return ligo_st_read(ctx, p_trunc, &st); }
static ligo_status r_st_parse_hdr(ligo_ctx *ctx) {
    static const char b[] = "\x10\0\0\0\0\0\0\0{\"a\":{}}        ";
    ligo_safetensors st;
    return ligo_st_parse(ctx, b, sizeof b - 1, &st);
}
static ligo_status r_st_parse_past(ligo_ctx *ctx) {
    static const char h[] = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
    unsigned char b[8 + sizeof h + 8];
    ligo_safetensors st;
    memset(b, 0, sizeof b);
    b[0] = (unsigned char)(sizeof h - 1);
    memcpy(b + 8, h, sizeof h - 1);
    return ligo_st_parse(ctx, b, 8 + sizeof h - 1 + 8, &st);
}
static ligo_status r_st_parse_ovf(ligo_ctx *ctx) {
    static const char h[] = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}";
    unsigned char b[8 + sizeof h];
    ligo_safetensors st;
    memset(b, 0, sizeof b);
    b[0] = (unsigned char)(sizeof h - 1);
    memcpy(b + 8, h, sizeof h - 1);
    return ligo_st_parse(ctx, b, 8 + sizeof h - 1, &st);
}
static ligo_status r_st_dtype(ligo_ctx *ctx) {
    static const char h[] = "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
    unsigned char b[8 + sizeof h + 4];
    ligo_safetensors st;
    memset(b, 0, sizeof b);
    b[0] = (unsigned char)(sizeof h - 1);
    memcpy(b + 8, h, sizeof h - 1);
    return ligo_st_parse(ctx, b, 8 + sizeof h - 1 + 4, &st);
}
static ligo_status r_st_add_dim(ligo_ctx *ctx) {
    ligo_safetensors st;
    int64_t s[2] = {2, 0};
    float x[4];
    ligo_st_init(&st);
    return ligo_st_add(ctx, &st, "a", 2, s, x);
}
static ligo_status r_st_add_dup(ligo_ctx *ctx) {
    ligo_safetensors st;
    int64_t s[1] = {2};
    float x[2] = {0, 0};
    ligo_st_init(&st);
    ligo_st_add(ctx, &st, "a", 1, s, x);
    return ligo_st_add(ctx, &st, "a", 1, s, x);
}
static ligo_status r_st_add_name(ligo_ctx *ctx) {
    ligo_safetensors st;
    int64_t s[1] = {2};
    float x[2] = {0, 0};
    char name[300];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = 0;
    ligo_st_init(&st);
    return ligo_st_add(ctx, &st, name, 1, s, x);
}
static ligo_status r_st_meta_utf8(ligo_ctx *ctx) {
    ligo_safetensors st;
    ligo_st_init(&st);
    return ligo_st_set_meta(ctx, &st, "k", "\xff\xfe");
}
static ligo_status r_st_write_nodir(ligo_ctx *ctx) {
    ligo_safetensors st;
    ligo_st_init(&st);
    return ligo_st_write(ctx, p_nodir, &st);
}
static ligo_status r_save_nodir(ligo_ctx *ctx) { return ligo_model_save(ctx, tiny_model(ctx, LIGO_GPT), p_nodir); }
static ligo_status r_save_underfile(ligo_ctx *ctx) { return ligo_model_save(ctx, tiny_model(ctx, LIGO_GPT), p_underfile); }
static ligo_status r_save_onto_dir(ligo_ctx *ctx) { return ligo_model_save(ctx, tiny_model(ctx, LIGO_GPT), g_dir); }
static ligo_status r_load_missing(ligo_ctx *ctx) { NUL(ligo_model_load(ctx, "/nonexistent/model.safetensors")); }
static ligo_status r_load_text(ligo_ctx *ctx) { NUL(ligo_model_load(ctx, p_text)); }
static ligo_status r_load_hugecfg(ligo_ctx *ctx) { NUL(ligo_model_load(ctx, p_hugecfg)); }
static ligo_status r_load_trunc(ligo_ctx *ctx) { NUL(ligo_model_load(ctx, p_trunc)); }
static ligo_status r_load_nometa(ligo_ctx *ctx) {
    ligo_safetensors st;
    ligo_st_init(&st);
    NUL(ligo_model_from_st(ctx, &st, "empty"));
}
/* grow */
static ligo_status r_grow_method(ligo_ctx *ctx) {
    ligo_grow_method g;
    (void)ctx;
    return ligo_grow_method_parse("bogus", &g);
}
static ligo_status r_grow_family(ligo_ctx *ctx) {
    ligo_model *small = tiny_model(ctx, LIGO_GPT);
    ligo_config large = tiny_cfg(LIGO_BERT);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    large.n_layer = 2;
    large.d_model = 16;
    large.n_head = 4;
    large.d_ff = 32;
    NUL(ligo_grow_new(ctx, small, &large, &gc));
}
static ligo_status r_grow_smaller(ligo_ctx *ctx) {
    ligo_model *small = tiny_model(ctx, LIGO_GPT);
    ligo_config large = tiny_cfg(LIGO_GPT);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    large.d_model = 4;
    large.n_head = 1;
    large.d_ff = 8;
    NUL(ligo_grow_new(ctx, small, &large, &gc));
}
static ligo_status r_grow_save_nodir(ligo_ctx *ctx) {
    ligo_model *small = tiny_model(ctx, LIGO_GPT);
    ligo_config large = tiny_cfg(LIGO_GPT);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_grow *g;
    large.n_layer = 2;
    large.d_model = 16;
    large.n_head = 4;
    large.d_ff = 32;
    g = ligo_grow_new(ctx, small, &large, &gc);
    if (!g) return ligo_get_status(ctx);
    return ligo_grow_save(ctx, g, p_nodir);
}
/* train */
static ligo_status r_data_missing(ligo_ctx *ctx) { ligo_data d; return ligo_data_load(ctx, LIGO_GPT, "/nonexistent.txt", &d); }
static ligo_status r_data_vit_missing(ligo_ctx *ctx) { ligo_data d; return ligo_data_load(ctx, LIGO_VIT, "/nonexistent-dir", &d); }
static ligo_status r_eval_family(ligo_ctx *ctx) {
    ligo_data d;
    ligo_eval_result ev;
    ligo_model *m = tiny_model(ctx, LIGO_BERT);
    if (ligo_data_load(ctx, LIGO_GPT, p_text, &d) != LIGO_OK) return ligo_get_status(ctx);
    return ligo_evaluate(ctx, m, &d, 2, 8, 2, &ev);
}
static ligo_status r_eval_T(ligo_ctx *ctx) {
    ligo_data d;
    ligo_eval_result ev;
    ligo_model *m = tiny_model(ctx, LIGO_GPT);
    if (ligo_data_load(ctx, LIGO_GPT, p_text, &d) != LIGO_OK) return ligo_get_status(ctx);
    return ligo_evaluate(ctx, m, &d, 2, -5, 2, &ev);
}
static ligo_status r_eval_T_long(ligo_ctx *ctx) { /* (B, T) given as (T, B): T 32 > the context 16 */
    ligo_data d;
    ligo_eval_result ev;
    ligo_model *m = tiny_model(ctx, LIGO_GPT);
    if (ligo_data_load(ctx, LIGO_GPT, p_text, &d) != LIGO_OK) return ligo_get_status(ctx);
    return ligo_evaluate(ctx, m, &d, 4, 32, 2, &ev);
}
static ligo_status r_eval_B(ligo_ctx *ctx) {
    ligo_data d;
    ligo_eval_result ev;
    ligo_model *m = tiny_model(ctx, LIGO_GPT);
    if (ligo_data_load(ctx, LIGO_GPT, p_text, &d) != LIGO_OK) return ligo_get_status(ctx);
    return ligo_evaluate(ctx, m, &d, 0, 8, 2, &ev);
}
static ligo_status r_eval_vocab(ligo_ctx *ctx) {
    ligo_data d;
    ligo_eval_result ev;
    ligo_config c = tiny_cfg(LIGO_GPT);
    ligo_model *m;
    c.vocab = 100;
    m = ligo_model_new(ctx, &c);
    if (ligo_data_load(ctx, LIGO_GPT, p_text, &d) != LIGO_OK) return ligo_get_status(ctx);
    return ligo_evaluate(ctx, m, &d, 2, 8, 2, &ev);
}
static ligo_status r_vit_shape(ligo_ctx *ctx) {
    ligo_data d;
    ligo_eval_result ev;
    ligo_model *m = tiny_model(ctx, LIGO_VIT);
    if (ligo_data_load(ctx, LIGO_VIT, p_vitdir, &d) != LIGO_OK) return ligo_get_status(ctx);
    return ligo_evaluate(ctx, m, &d, 2, 0, 0, &ev);
}
static ligo_status r_eval_nan(ligo_ctx *ctx) {
    ligo_data d;
    ligo_eval_result ev;
    ligo_model *m = tiny_model(ctx, LIGO_GPT);
    if (!m || ligo_data_load(ctx, LIGO_GPT, p_text, &d) != LIGO_OK) return ligo_get_status(ctx);
    m->data[m->info[ligo_model_find(m, "wte.weight")].offset + 8 * 200 + 3] = (float)NAN;
    return ligo_evaluate(ctx, m, &d, 2, 8, 2, &ev);
}
/* a ViT for the fixture's 4x4 images (2 classes) */
static ligo_model *vit4_model(ligo_ctx *ctx) {
    ligo_config c = tiny_cfg(LIGO_VIT);
    ligo_model *m;
    c.image_h = 4;
    c.image_w = 4;
    c.patch = 2;
    c.n_classes = 2;
    m = ligo_model_new(ctx, &c);
    if (m) ligo_model_init(m, 3);
    return m;
}
static ligo_status r_eval_inf(ligo_ctx *ctx) {
    ligo_data d;
    ligo_eval_result ev;
    ligo_model *m = vit4_model(ctx);
    if (!m || ligo_data_load(ctx, LIGO_VIT, p_vitdir, &d) != LIGO_OK) return ligo_get_status(ctx);
    m->data[m->info[ligo_model_find(m, "head.bias")].offset + 1] = -(float)INFINITY; /* every label is 1 */
    return ligo_evaluate(ctx, m, &d, 2, 0, 0, &ev);
}
static ligo_status r_run_eval_nan(ligo_ctx *ctx) {
    ligo_data d;
    ligo_train_config tc = ligo_train_config_default();
    ligo_trainer *tr;
    ligo_model *m = vit4_model(ctx);
    if (!m || ligo_data_load(ctx, LIGO_VIT, p_vitdir, &d) != LIGO_OK) return ligo_get_status(ctx);
    d.test.pixels[3] = (float)NAN;
    tc.steps = 1;
    tc.batch = 2;
    tc.progress = 0;
    tr = ligo_trainer_new(ctx, m, &d, &tc);
    if (!tr) return ligo_get_status(ctx);
    return ligo_trainer_run(ctx, tr);
}
static ligo_status r_trainer_batch(ligo_ctx *ctx) {
    ligo_data d;
    ligo_train_config tc = ligo_train_config_default();
    ligo_model *m = tiny_model(ctx, LIGO_GPT);
    if (ligo_data_load(ctx, LIGO_GPT, p_text, &d) != LIGO_OK) return ligo_get_status(ctx);
    tc.batch = -1;
    NUL(ligo_trainer_new(ctx, m, &d, &tc));
}
static ligo_status r_trainer_ctx(ligo_ctx *ctx) {
    ligo_data d;
    ligo_train_config tc = ligo_train_config_default();
    ligo_model *m = tiny_model(ctx, LIGO_GPT);
    if (ligo_data_load(ctx, LIGO_GPT, p_text, &d) != LIGO_OK) return ligo_get_status(ctx);
    tc.ctx = 1000;
    NUL(ligo_trainer_new(ctx, m, &d, &tc));
}
static ligo_status r_trainer_family(ligo_ctx *ctx) {
    ligo_data d;
    ligo_train_config tc = ligo_train_config_default();
    ligo_model *m = tiny_model(ctx, LIGO_BERT);
    if (ligo_data_load(ctx, LIGO_GPT, p_text, &d) != LIGO_OK) return ligo_get_status(ctx);
    tc.ctx = 8;
    NUL(ligo_trainer_new(ctx, m, &d, &tc));
}
static ligo_trainer *tiny_trainer(ligo_ctx *ctx, ligo_family fam, ligo_data *d) {
    ligo_train_config tc = ligo_train_config_default();
    ligo_model *m = tiny_model(ctx, fam);
    if (ligo_data_load(ctx, fam, p_text, d) != LIGO_OK) return NULL;
    tc.ctx = 8;
    tc.batch = 2;
    tc.progress = 0;
    return ligo_trainer_new(ctx, m, d, &tc);
}
static ligo_status r_resume_model_only(ligo_ctx *ctx) {
    ligo_data d;
    ligo_trainer *tr = tiny_trainer(ctx, LIGO_GPT, &d);
    if (!tr) return ligo_get_status(ctx);
    return ligo_trainer_resume(ctx, tr, p_gpt);
}
static ligo_status r_resume_family(ligo_ctx *ctx) {
    ligo_data d;
    ligo_trainer *tr = tiny_trainer(ctx, LIGO_BERT, &d);
    if (!tr) return ligo_get_status(ctx);
    return ligo_trainer_resume(ctx, tr, p_train);
}
static ligo_status r_resume_missing(ligo_ctx *ctx) {
    ligo_data d;
    ligo_trainer *tr = tiny_trainer(ctx, LIGO_GPT, &d);
    if (!tr) return ligo_get_status(ctx);
    return ligo_trainer_resume(ctx, tr, "/nonexistent/ck.safetensors");
}
static ligo_status r_save_trainer_nodir(ligo_ctx *ctx) {
    ligo_data d;
    ligo_trainer *tr = tiny_trainer(ctx, LIGO_GPT, &d);
    if (!tr) return ligo_get_status(ctx);
    return ligo_trainer_save(ctx, tr, p_nodir);
}
static ligo_status r_run_csv(ligo_ctx *ctx) {
    ligo_data d;
    ligo_trainer *tr = tiny_trainer(ctx, LIGO_GPT, &d);
    if (!tr) return ligo_get_status(ctx);
    tr->cfg.csv_path = p_nodir;
    return ligo_trainer_run(ctx, tr);
}
static ligo_status r_run_nan(ligo_ctx *ctx) {
    ligo_data d;
    ligo_trainer *tr = tiny_trainer(ctx, LIGO_GPT, &d);
    if (!tr) return ligo_get_status(ctx);
    tr->model->data[0] = (float)INFINITY;
    return ligo_trainer_run(ctx, tr);
}
static ligo_status r_step_null(ligo_ctx *ctx) { return ligo_trainer_step(ctx, NULL, NULL); }

/* issue 17: every config field checked on its own, named with its value */
static ligo_status ctx_new_bad(ligo_ctx *ctx, int field) {
    ligo_ctx_params p = ligo_ctx_params_default();
    ligo_status s = LIGO_OK;
    char msg[256];
    ligo_ctx *c;
    if (field == 0) p.n_threads = -1;
    else if (field == 1) p.chunk_bytes = 0;
    else if (field == 2) p.persistent_limit = 0;
    else p.scratch_limit = 0;
    c = ligo_ctx_new_status(&p, &s, msg, sizeof msg);
    if (c) {
        ligo_ctx_free(c);
        return LIGO_OK;
    }
    /* no context came back: the row's context carries the report */
    return ligo_set_error(ctx, s, "%s", msg);
}
static ligo_status r_ctx_new_threads(ligo_ctx *ctx) { return ctx_new_bad(ctx, 0); }
static ligo_status r_ctx_new_chunk(ligo_ctx *ctx) { return ctx_new_bad(ctx, 1); }
static ligo_status r_ctx_new_persistent(ligo_ctx *ctx) { return ctx_new_bad(ctx, 2); }
static ligo_status r_ctx_new_scratch(ligo_ctx *ctx) { return ctx_new_bad(ctx, 3); }
static ligo_status r_cfg_ffn(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_GPT); c.d_ff = -1; return ligo_config_check(ctx, &c); }
static ligo_status r_cfg_eps_inf(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_GPT); c.ln_eps = (float)INFINITY; return ligo_config_check(ctx, &c); }
static ligo_status r_cfg_ctx(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_BERT); c.ctx_len = 0; return ligo_config_check(ctx, &c); }
static ligo_status r_cfg_classes(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_VIT); c.n_classes = 1; return ligo_config_check(ctx, &c); }
static ligo_status r_cfg_zero_heads(ligo_ctx *ctx) { ligo_config c = tiny_cfg(LIGO_GPT); c.n_head = 0; return ligo_config_check(ctx, &c); }
static ligo_status optim_bad(ligo_ctx *ctx, int field) {
    ligo_optim_config c = ligo_optim_config_default(LIGO_ADAMW);
    if (field == 0) c.eps = 0.0f;
    else if (field == 1) c.weight_decay = (float)NAN;
    else if (field == 2) c.kind = (ligo_optim_kind)9;
    else c.beta1 = -0.5f;
    NUL(ligo_optim_new(ctx, &c, 4, NULL, 0));
}
static ligo_status r_optim_eps(ligo_ctx *ctx) { return optim_bad(ctx, 0); }
static ligo_status r_optim_wd(ligo_ctx *ctx) { return optim_bad(ctx, 1); }
static ligo_status r_optim_kind(ligo_ctx *ctx) { return optim_bad(ctx, 2); }
static ligo_status r_optim_beta1(ligo_ctx *ctx) { return optim_bad(ctx, 3); }
/* ligo_grow_new from the tiny GPT (context 16) into 2 x 16 with one bad field */
static ligo_status grow_bad(ligo_ctx *ctx, int field) {
    ligo_model *small = tiny_model(ctx, LIGO_GPT);
    ligo_config large = tiny_cfg(LIGO_GPT);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    large.n_layer = 2;
    large.d_model = 16;
    large.n_head = 4;
    large.d_ff = 32;
    switch (field) {
    case 0: gc.fit_lr = (float)NAN; break;
    case 1: gc.fit_steps = -1; break;
    case 2: gc.fit_warmup = -5; break;
    case 3: gc.fit_clip = -1.0; break;
    case 4: gc.batch = 0; break;
    case 5: gc.ctx = 32; break;
    case 6: gc.ctx = -2; break;
    case 7: gc.depth_init = (ligo_depth_init)7; break;
    case 8: gc.width_init = (ligo_width_init)7; break;
    case 9: large.vocab = 300; break;
    case 10: large.ctx_len = 32; break;
    case 11: large.n_layer = 0; break;
    case 12: large.d_ff = 8; break;
    default: gc.method = (ligo_grow_method)42; break;
    }
    NUL(ligo_grow_new(ctx, small, &large, &gc));
}
static ligo_status r_grow_fit_lr(ligo_ctx *ctx) { return grow_bad(ctx, 0); }
static ligo_status r_grow_fit_steps(ligo_ctx *ctx) { return grow_bad(ctx, 1); }
static ligo_status r_grow_fit_warmup(ligo_ctx *ctx) { return grow_bad(ctx, 2); }
static ligo_status r_grow_fit_clip(ligo_ctx *ctx) { return grow_bad(ctx, 3); }
static ligo_status r_grow_batch(ligo_ctx *ctx) { return grow_bad(ctx, 4); }
static ligo_status r_grow_ctx_long(ligo_ctx *ctx) { return grow_bad(ctx, 5); }
static ligo_status r_grow_ctx_neg(ligo_ctx *ctx) { return grow_bad(ctx, 6); }
static ligo_status r_grow_depth_init(ligo_ctx *ctx) { return grow_bad(ctx, 7); }
static ligo_status r_grow_width_init(ligo_ctx *ctx) { return grow_bad(ctx, 8); }
static ligo_status r_grow_vocab(ligo_ctx *ctx) { return grow_bad(ctx, 9); }
static ligo_status r_grow_ctx_len(ligo_ctx *ctx) { return grow_bad(ctx, 10); }
static ligo_status r_grow_layers0(ligo_ctx *ctx) { return grow_bad(ctx, 11); }
static ligo_status r_grow_ffn_smaller(ligo_ctx *ctx) { return grow_bad(ctx, 12); }
static ligo_status r_grow_method_enum(ligo_ctx *ctx) { return grow_bad(ctx, 13); }
/* n bytes of text as GPT data: the last n / 10 are the validation split */
static ligo_status short_data(ligo_ctx *ctx, size_t n, ligo_data *d) {
    static const char text[] = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";
    memset(d, 0, sizeof *d);
    d->family = LIGO_GPT;
    return ligo_tokens_from_bytes(ctx, text, n < sizeof text - 1 ? n : sizeof text - 1, &d->tokens);
}
/* ligo_grow_fit: a context changed past the model's after ligo_grow_new, and data too short or of another family */
static ligo_status grow_fit_bad(ligo_ctx *ctx, int field) {
    ligo_model *small = tiny_model(ctx, LIGO_GPT);
    ligo_config large = tiny_cfg(LIGO_GPT);
    ligo_grow_config gc = ligo_grow_config_default(LIGO_GROW_LIGO);
    ligo_grow *g;
    ligo_data d;
    large.n_layer = 2;
    gc.fit_steps = 1;
    gc.batch = 2;
    g = ligo_grow_new(ctx, small, &large, &gc);
    if (!g) return ligo_get_status(ctx);
    if (field == 1) {
        if (short_data(ctx, 10, &d) != LIGO_OK) return ligo_get_status(ctx); /* 9 training tokens */
    } else {
        if (ligo_data_load(ctx, field == 2 ? LIGO_BERT : LIGO_GPT, p_text, &d) != LIGO_OK) return ligo_get_status(ctx);
    }
    if (field == 0) g->cfg.ctx = 40;
    return ligo_grow_fit(ctx, g, &d);
}
static ligo_status r_grow_fit_ctx(ligo_ctx *ctx) { return grow_fit_bad(ctx, 0); }
static ligo_status r_grow_fit_short(ligo_ctx *ctx) { return grow_fit_bad(ctx, 1); }
static ligo_status r_grow_fit_family(ligo_ctx *ctx) { return grow_fit_bad(ctx, 2); }
/* ligo_trainer_new on the tiny GPT (context 16) with one bad field */
static ligo_status trainer_bad(ligo_ctx *ctx, int field) {
    ligo_data d;
    ligo_train_config tc = ligo_train_config_default();
    ligo_model *m = tiny_model(ctx, LIGO_GPT);
    const char *text = p_text;
    tc.ctx = 8;
    tc.batch = 2;
    tc.progress = 0;
    switch (field) {
    case 0: tc.sched.lr_max = (float)NAN; break;
    case 1: tc.sched.lr_min = (float)NAN; break;
    case 2: tc.sched.warmup = -1; break;
    case 3: tc.optim.beta1 = 1.0f; break;
    case 4: tc.optim.beta2 = (float)NAN; break;
    case 5: tc.optim.eps = -1e-8f; break;
    case 6: tc.optim.weight_decay = (float)INFINITY; break;
    case 7: tc.clip = NAN; break;
    case 8: tc.eval_every = -1; break;
    case 9: tc.eval_windows = -3; break;
    case 10: tc.ckpt_every = -2; break;
    case 11: tc.target_loss = NAN; break;
    case 12: tc.steps = -4; break;
    case 13: tc.ctx = -1; break;
    case 14: tc.sched.lr_max = (float)INFINITY; break;
    case 15: tc.ctx = 16; text = NULL; break; /* 9 training tokens: no window of 16 */
    default: tc.optim.momentum = 2.0f; break;
    }
    if (text ? ligo_data_load(ctx, LIGO_GPT, text, &d) : short_data(ctx, 10, &d)) return ligo_get_status(ctx);
    NUL(ligo_trainer_new(ctx, m, &d, &tc));
}
static ligo_status r_trainer_lr_max(ligo_ctx *ctx) { return trainer_bad(ctx, 0); }
static ligo_status r_trainer_lr_min(ligo_ctx *ctx) { return trainer_bad(ctx, 1); }
static ligo_status r_trainer_warmup(ligo_ctx *ctx) { return trainer_bad(ctx, 2); }
static ligo_status r_trainer_beta1(ligo_ctx *ctx) { return trainer_bad(ctx, 3); }
static ligo_status r_trainer_beta2(ligo_ctx *ctx) { return trainer_bad(ctx, 4); }
static ligo_status r_trainer_eps(ligo_ctx *ctx) { return trainer_bad(ctx, 5); }
static ligo_status r_trainer_wd(ligo_ctx *ctx) { return trainer_bad(ctx, 6); }
static ligo_status r_trainer_clip(ligo_ctx *ctx) { return trainer_bad(ctx, 7); }
static ligo_status r_trainer_eval_every(ligo_ctx *ctx) { return trainer_bad(ctx, 8); }
static ligo_status r_trainer_eval_windows(ligo_ctx *ctx) { return trainer_bad(ctx, 9); }
static ligo_status r_trainer_ckpt_every(ligo_ctx *ctx) { return trainer_bad(ctx, 10); }
static ligo_status r_trainer_target(ligo_ctx *ctx) { return trainer_bad(ctx, 11); }
static ligo_status r_trainer_steps(ligo_ctx *ctx) { return trainer_bad(ctx, 12); }
static ligo_status r_trainer_ctx_neg(ligo_ctx *ctx) { return trainer_bad(ctx, 13); }
static ligo_status r_trainer_lr_inf(ligo_ctx *ctx) { return trainer_bad(ctx, 14); }
static ligo_status r_trainer_short(ligo_ctx *ctx) { return trainer_bad(ctx, 15); }
static ligo_status r_trainer_momentum(ligo_ctx *ctx) { return trainer_bad(ctx, 16); }
static ligo_status r_trainer_val_short(ligo_ctx *ctx) {
    /* 150 bytes: 135 training tokens (enough for a window of 16), 15 for
     * validation, fewer than the 17 of one evaluation window */
    ligo_data d;
    ligo_train_config tc = ligo_train_config_default();
    ligo_model *m = tiny_model(ctx, LIGO_GPT);
    static char text[150];
    size_t i;
    for (i = 0; i < sizeof text; i++) text[i] = (char)('a' + i % 26);
    tc.progress = 0;
    memset(&d, 0, sizeof d);
    d.family = LIGO_GPT;
    if (ligo_tokens_from_bytes(ctx, text, sizeof text, &d.tokens) != LIGO_OK) return ligo_get_status(ctx);
    NUL(ligo_trainer_new(ctx, m, &d, &tc)); /* ctx 0: the model's 16 */
}
static ligo_status r_train_config_check(ligo_ctx *ctx) {
    ligo_train_config tc = ligo_train_config_default();
    ligo_config c = tiny_cfg(LIGO_GPT);
    tc.ctx = 64;
    return ligo_train_config_check(ctx, &tc, &c, NULL);
}
static ligo_status r_data_check_family(ligo_ctx *ctx) {
    ligo_data d;
    ligo_config c = tiny_cfg(LIGO_BERT);
    if (ligo_data_load(ctx, LIGO_GPT, p_text, &d) != LIGO_OK) return ligo_get_status(ctx);
    return ligo_data_check(ctx, &d, &c, 8, 1);
}
static ligo_status r_data_check_T(ligo_ctx *ctx) {
    ligo_data d;
    ligo_config c = tiny_cfg(LIGO_GPT);
    if (ligo_data_load(ctx, LIGO_GPT, p_text, &d) != LIGO_OK) return ligo_get_status(ctx);
    return ligo_data_check(ctx, &d, &c, 17, 0);
}
static ligo_status r_st_parse_text(ligo_ctx *ctx) {
    static const char t[] = "hello, world: a plain text file";
    ligo_safetensors st;
    return ligo_st_parse(ctx, t, sizeof t - 1, &st);
}

/* growth state: ligo_grow_save_state, ligo_grow_resume, fit_ckpt_every / fit_ckpt_path */
static ligo_grow *state_op(ligo_ctx *ctx, ligo_grow_method m, ligo_data *d) {
    ligo_model *small = tiny_model(ctx, LIGO_GPT);
    ligo_config large = tiny_cfg(LIGO_GPT);
    ligo_grow_config gc = ligo_grow_config_default(m);
    large.n_layer = 2;
    gc.fit_steps = 2;
    gc.batch = 2;
    gc.ctx = 8;
    if (d && ligo_data_load(ctx, LIGO_GPT, p_text, d) != LIGO_OK) return NULL;
    return ligo_grow_new(ctx, small, &large, &gc);
}
static ligo_status r_state_save_null(ligo_ctx *ctx) { return ligo_grow_save_state(ctx, NULL, p_nodir); }
static ligo_status r_state_resume_null(ligo_ctx *ctx) {
    ligo_grow *g = state_op(ctx, LIGO_GROW_LIGO, NULL);
    return g ? ligo_grow_resume(ctx, g, NULL) : ligo_get_status(ctx);
}
static ligo_status r_state_save_unfitted(ligo_ctx *ctx) {
    ligo_grow *g = state_op(ctx, LIGO_GROW_LIGO, NULL);
    return g ? ligo_grow_save_state(ctx, g, p_nodir) : ligo_get_status(ctx);
}
static ligo_status r_state_resume_stack(ligo_ctx *ctx) {
    ligo_grow *g = state_op(ctx, LIGO_GROW_STACK, NULL);
    return g ? ligo_grow_resume(ctx, g, p_train) : ligo_get_status(ctx);
}
static ligo_status r_state_resume_missing(ligo_ctx *ctx) {
    ligo_grow *g = state_op(ctx, LIGO_GROW_LIGO, NULL);
    return g ? ligo_grow_resume(ctx, g, "/nonexistent/fit.safetensors") : ligo_get_status(ctx);
}
static ligo_status r_state_resume_junk(ligo_ctx *ctx) {
    ligo_grow *g = state_op(ctx, LIGO_GROW_LIGO, NULL);
    return g ? ligo_grow_resume(ctx, g, p_junk) : ligo_get_status(ctx);
}
static ligo_status r_state_resume_ckpt(ligo_ctx *ctx) {
    ligo_grow *g = state_op(ctx, LIGO_GROW_LIGO, NULL);
    return g ? ligo_grow_resume(ctx, g, p_train) : ligo_get_status(ctx);
}
static ligo_status r_state_resume_operator(ligo_ctx *ctx) {
    char p[700];
    ligo_grow *g = state_op(ctx, LIGO_GROW_LIGO, NULL);
    snprintf(p, sizeof p, "%s/op.safetensors", g_dir);
    if (!g || ligo_grow_save(ctx, g, p) != LIGO_OK) return ligo_get_status(ctx);
    return ligo_grow_resume(ctx, g, p);
}
static ligo_status r_state_ckpt_every(ligo_ctx *ctx) {
    ligo_data d;
    ligo_grow *g = state_op(ctx, LIGO_GROW_LIGO, &d);
    if (!g) return ligo_get_status(ctx);
    g->cfg.fit_ckpt_every = -3;
    return ligo_grow_fit(ctx, g, &d);
}
static ligo_status r_state_ckpt_nodir(ligo_ctx *ctx) {
    ligo_data d;
    ligo_grow *g = state_op(ctx, LIGO_GROW_LIGO, &d);
    if (!g) return ligo_get_status(ctx);
    g->cfg.fit_ckpt_path = p_nodir;
    return ligo_grow_fit(ctx, g, &d);
}
static ligo_status r_resume_bad_flops(ligo_ctx *ctx) {
    ligo_data d;
    ligo_trainer *tr = tiny_trainer(ctx, LIGO_GPT, &d);
    ligo_safetensors st;
    char p[700];
    snprintf(p, sizeof p, "%s/badflops.safetensors", g_dir);
    if (!tr || ligo_st_read(ctx, p_train, &st) != LIGO_OK || ligo_st_set_meta(ctx, &st, "ligo.train.flops", "12 34") ||
        ligo_st_write(ctx, p, &st) != LIGO_OK)
        return ligo_get_status(ctx);
    return ligo_trainer_resume(ctx, tr, p);
}

/* persistent marks */
static ligo_status r_prewind_null(ligo_ctx *ctx) { return ligo_persistent_rewind(NULL, ligo_persistent_mark(ctx)); }
static ligo_status r_prewind_scratch(ligo_ctx *ctx) { return ligo_persistent_rewind(ctx, ligo_scratch_mark(ctx)); }
static ligo_status r_prewind_zero(ligo_ctx *ctx) {
    ligo_mark m;
    memset(&m, 0, sizeof m);
    return ligo_persistent_rewind(ctx, m);
}
static ligo_status r_prewind_other(ligo_ctx *ctx) {
    ligo_ctx *other = new_ctx();
    ligo_mark m;
    ligo_status s;
    if (!other || !ligo_alloc_persistent(other, 100)) return LIGO_ENOMEM;
    m = ligo_persistent_mark(other);
    s = ligo_persistent_rewind(ctx, m);
    ligo_ctx_free(other);
    return s;
}
static ligo_status r_prewind_future(ligo_ctx *ctx) { /* a mark taken after the point a rewind went back to */
    ligo_mark m1, m2;
    if (!ligo_alloc_persistent(ctx, 64)) return ligo_get_status(ctx);
    m1 = ligo_persistent_mark(ctx); /* the same chunk as m2 */
    if (!tiny_model(ctx, LIGO_GPT)) return ligo_get_status(ctx);
    m2 = ligo_persistent_mark(ctx);
    ligo_persistent_rewind(ctx, m1);
    return ligo_persistent_rewind(ctx, m2);
}
static ligo_status r_prewind_freed(ligo_ctx *ctx) { /* its chunk went back to the allocator */
    ligo_mark m1 = ligo_persistent_mark(ctx), m2;
    if (!ligo_alloc_persistent(ctx, (size_t)40 << 20)) return ligo_get_status(ctx);
    m2 = ligo_persistent_mark(ctx);
    ligo_persistent_rewind(ctx, m1);
    return ligo_persistent_rewind(ctx, m2);
}
static ligo_status r_srewind_persistent(ligo_ctx *ctx) {
    ligo_scratch_rewind(ctx, ligo_persistent_mark(ctx));
    return ligo_get_status(ctx);
}

typedef struct row {
    const char *name;
    ligo_status (*run)(ligo_ctx *ctx);
    ligo_status want;
    const char *msg; /* substring of the message; NULL: the function takes no context */
} row;

#define R(fn, st, msg) {#fn, fn, st, msg}
static const row g_rows[] = {
    R(r_threads_neg, LIGO_EINVAL, "thread"),
    R(r_threads_huge, LIGO_EINVAL, "thread"),
    R(r_alloc_huge, LIGO_ENOMEM, "exhausted"),
    R(r_scratch_huge, LIGO_EOVERFLOW, "overflows"),
    R(r_new_ndim0, LIGO_EINVAL, "ndim"),
    R(r_new_ndim5, LIGO_EINVAL, "ndim"),
    R(r_new_dim0, LIGO_EINVAL, "dim"),
    R(r_new_negdim, LIGO_EINVAL, "dim"),
    R(r_new_overflow, LIGO_EOVERFLOW, "too large"),
    R(r_new_absurd, LIGO_EOVERFLOW, "2^38"),
    R(r_param_negdim, LIGO_EINVAL, "dim"),
    R(r_wrap_null, LIGO_EINVAL, "NULL"),
    R(r_numel_neg, LIGO_EINVAL, NULL),
    R(r_numel_ovf, LIGO_EOVERFLOW, NULL),
    R(r_copy_n, LIGO_ESHAPE, "3"),
    R(r_gemm_negM, LIGO_EINVAL, "M"),
    R(r_gemm_lda, LIGO_EINVAL, "lda"),
    R(r_gemm_null, LIGO_EINVAL, "NULL"),
    R(r_add_shape, LIGO_ESHAPE, "2x3"),
    R(r_add_null, LIGO_EINVAL, "NULL"),
    R(r_mul_shape, LIGO_ESHAPE, "2x2"),
    R(r_matmul_k, LIGO_ESHAPE, "2x3"),
    R(r_matmul_3d, LIGO_ESHAPE, "2-D"),
    R(r_transpose_1d, LIGO_ESHAPE, "2-D"),
    R(r_reshape_n, LIGO_ESHAPE, "reshape"),
    R(r_reshape_neg, LIGO_EINVAL, "reshape"),
    R(r_concat_axis, LIGO_EINVAL, "axis"),
    R(r_concat_shape, LIGO_ESHAPE, "concat"),
    R(r_slice_range, LIGO_ERANGE, "slice"),
    R(r_slice_neg, LIGO_ERANGE, "slice"),
    R(r_slice_huge, LIGO_ERANGE, "slice"),
    R(r_linear_in, LIGO_ESHAPE, "linear"),
    R(r_linear_bias, LIGO_ESHAPE, "linear"),
    R(r_linear_gelu_in, LIGO_ESHAPE, "linear"),
    R(r_linear_gelu_null, LIGO_EINVAL, "linear"),
    R(r_ln_gamma, LIGO_ESHAPE, "layernorm"),
    R(r_ln_eps, LIGO_EINVAL, "eps"),
    R(r_attn_heads, LIGO_ESHAPE, "head"),
    R(r_attn_zero_heads, LIGO_ESHAPE, "0 heads"),
    R(r_attn_not3, LIGO_ESHAPE, "attention"),
    R(r_attn_mask_heads, LIGO_ESHAPE, "5 heads"),
    R(r_attn_mask_shape, LIGO_ESHAPE, "mask 4x4 must be (Tq, Tk) = (4, 6)"),
    R(r_attn_mask_kv, LIGO_ESHAPE, "one shape"),
    R(r_custom_null_op, LIGO_EINVAL, "ligo_custom(unnamed): op is NULL"),
    R(r_custom_no_forward, LIGO_EINVAL, "ligo_custom(mine): forward is NULL"),
    R(r_ce_target, LIGO_ERANGE, "7"),
    R(r_ce_negtarget, LIGO_ERANGE, "-2"),
    R(r_ce_count, LIGO_ESHAPE, "3"),
    R(r_emb_id, LIGO_ERANGE, "9"),
    R(r_emb_neg, LIGO_ERANGE, "-1"),
    R(r_emb_n, LIGO_EINVAL, "embedding"),
    R(r_backward_vec, LIGO_ESHAPE, "scalar"),
    R(r_backward_null, LIGO_EINVAL, "NULL"),
    R(r_sticky, LIGO_EINVAL, "dim"),
    R(r_family_parse, LIGO_EINVAL, NULL),
    R(r_cfg_layers, LIGO_EINVAL, "layers"),
    R(r_cfg_kv_heads, LIGO_EINVAL, "n_kv_head is 3"),
    R(r_cfg_rope_nan, LIGO_EINVAL, "rope_theta is nan"),
    R(r_attention_grouped, LIGO_ESHAPE, "must be (1, 2, 4)"),
    R(r_cfg_layers_huge, LIGO_EINVAL, "layers"),
    R(r_cfg_heads, LIGO_EINVAL, "heads"),
    R(r_cfg_dim, LIGO_EINVAL, "width"),
    R(r_cfg_vocab, LIGO_EINVAL, "vocabulary"),
    R(r_cfg_family, LIGO_EINVAL, "family"),
    R(r_cfg_patch, LIGO_EINVAL, "patch"),
    R(r_cfg_eps, LIGO_EINVAL, "eps"),
    R(r_model_huge, LIGO_EOVERFLOW, "too many"),
    R(r_loss_T, LIGO_EINVAL, "40"),
    R(r_loss_id, LIGO_ERANGE, "256"),
    R(r_loss_target, LIGO_ERANGE, "999"),
    R(r_loss_nobatch, LIGO_EINVAL, "NULL"),
    R(r_loss_B0, LIGO_EINVAL, ""),
    R(r_optim_n, LIGO_EINVAL, ""),
    R(r_optim_beta, LIGO_EINVAL, "ligo_optim_new: beta2 is 1.5 (want 0 <= beta2 < 1)"),
    R(r_optim_seg, LIGO_EINVAL, "segment"),
    R(r_optim_lr, LIGO_EINVAL, "learning rate nan"),
    R(r_text_missing, LIGO_EIO, "/nonexistent/x.txt"),
    R(r_text_dir, LIGO_EIO, "directory"),
    R(r_text_short, LIGO_EINVAL, "at least 2"),
    R(r_text_null, LIGO_EINVAL, "NULL"),
    R(r_bytes_null, LIGO_EINVAL, "NULL"),
    R(r_gpt2_magic, LIGO_EFORMAT, "magic"),
    R(r_gpt2_text, LIGO_EFORMAT, "magic"),
    R(r_gpt2_missing, LIGO_EIO, "/nonexistent.bin"),
    R(r_gpt2_count, LIGO_EFORMAT, "truncated"),
    R(r_gpt2_negcount, LIGO_EFORMAT, "negative"),
    R(r_batch_T, LIGO_EINVAL, "T + 1"),
    R(r_batch_neg, LIGO_EINVAL, "B = -2"),
    R(r_batch_split, LIGO_EINVAL, "split"),
    R(r_window_k, LIGO_ERANGE, "window 1000"),
    R(r_mlm_prob, LIGO_EINVAL, "prob"),
    R(r_idx_missing, LIGO_EIO, "/nonexistent-images"),
    R(r_idx_swapped, LIGO_EFORMAT, "magic"),
    R(r_idx_huge, LIGO_EFORMAT, "truncated"),
    R(r_idx_count, LIGO_EFORMAT, "3 labels for 1 images"),
    R(r_gunzip_bad, LIGO_EFORMAT, "ligo_gunzip"),
    R(r_gunzip_cap, LIGO_EFORMAT, "10 bytes"),
    R(r_read_cap, LIGO_EFORMAT, "cap"),
    R(r_st_missing, LIGO_EIO, "/nonexistent.safetensors"),
    R(r_st_dir, LIGO_EIO, "not a regular file"),
    R(r_st_empty, LIGO_EFORMAT, "8-byte header length"),
    R(r_st_junk, LIGO_EFORMAT, "junk.safetensors is not a safetensors file: its first 8 bytes give a header length of "),
    R(r_st_bighdr, LIGO_EFORMAT, "exceeds the limit"),
    R(r_st_trunc, LIGO_EFORMAT, "truncated"),
    R(r_st_parse_hdr, LIGO_EFORMAT, "dtype"),
    R(r_st_parse_past, LIGO_EFORMAT, "past the data buffer"),
    R(r_st_parse_ovf, LIGO_EFORMAT, "too large"),
    R(r_st_dtype, LIGO_EFORMAT, "BF16"),
    R(r_st_add_dim, LIGO_EINVAL, "dim 1 is 0"),
    R(r_st_add_dup, LIGO_EINVAL, "twice"),
    R(r_st_add_name, LIGO_EINVAL, "too long"),
    R(r_st_meta_utf8, LIGO_EINVAL, "UTF-8"),
    R(r_st_write_nodir, LIGO_EIO, "cannot create"),
    R(r_save_nodir, LIGO_EIO, "No such file"),
    R(r_save_underfile, LIGO_EIO, "Not a directory"),
    R(r_save_onto_dir, LIGO_EIO, "rename"),
    R(r_load_missing, LIGO_EIO, "/nonexistent/model.safetensors"),
    R(r_load_text, LIGO_EFORMAT, "text.txt is not a safetensors file"),
    R(r_load_hugecfg, LIGO_EFORMAT, "needs at least"),
    R(r_load_trunc, LIGO_EFORMAT, "truncated"),
    R(r_load_nometa, LIGO_EFORMAT, "ligo.family"),
    R(r_grow_method, LIGO_EINVAL, NULL),
    R(r_grow_family, LIGO_EINVAL, "cannot grow a gpt model into a bert"),
    R(r_grow_smaller, LIGO_EINVAL, "the large d_model 4 is smaller than the small model's 8"),
    R(r_grow_save_nodir, LIGO_EIO, "cannot create"),
    R(r_data_missing, LIGO_EIO, "/nonexistent.txt"),
    R(r_data_vit_missing, LIGO_EIO, "/nonexistent-dir"),
    R(r_eval_family, LIGO_EINVAL, "gpt data for a bert model"),
    R(r_eval_T, LIGO_EINVAL, "ligo_evaluate: context T is -5 (want at least 1)"),
    R(r_eval_T_long, LIGO_EINVAL, "ligo_evaluate: context T is 32, longer than the model's context 16"),
    R(r_eval_B, LIGO_EINVAL, "ligo_evaluate: batch B is 0 (want 1 to 2^20)"),
    R(r_eval_vocab, LIGO_ERANGE, "vocabulary is 100"),
    R(r_vit_shape, LIGO_ESHAPE, "4x4"),
    R(r_eval_nan, LIGO_ENONFINITE, "the validation loss is nan"),
    R(r_eval_inf, LIGO_ENONFINITE, "the validation loss is inf"),
    R(r_run_eval_nan, LIGO_ENONFINITE, "stopped after step 1: ligo_evaluate: the validation loss is nan"),
    R(r_trainer_batch, LIGO_EINVAL, "ligo_trainer_new: batch is -1 (want 1 <= batch <= 2^20)"),
    R(r_trainer_ctx, LIGO_EINVAL, "ligo_trainer_new: ctx 1000 is longer than the model's context 16"),
    R(r_trainer_family, LIGO_EINVAL, "gpt data for a bert model"),
    R(r_resume_model_only, LIGO_EFORMAT, "no training state"),
    R(r_resume_family, LIGO_EFORMAT, ""),
    R(r_resume_missing, LIGO_EIO, "/nonexistent/ck.safetensors"),
    R(r_resume_bad_flops, LIGO_EFORMAT, "ligo.train.flops \"12 34\" or ligo.train.seconds"),
    R(r_state_save_null, LIGO_EINVAL, "ligo_grow_save_state: NULL operator or path"),
    R(r_state_resume_null, LIGO_EINVAL, "ligo_grow_resume: NULL operator or path"),
    R(r_state_save_unfitted, LIGO_ESTATE, "ligo_grow_save_state: no fitting has started"),
    R(r_state_resume_stack, LIGO_ESTATE, "ligo_grow_resume: method stack fits nothing"),
    R(r_state_resume_missing, LIGO_EIO, "/nonexistent/fit.safetensors"),
    R(r_state_resume_junk, LIGO_EFORMAT, "junk.safetensors is not a safetensors file"),
    R(r_state_resume_ckpt, LIGO_EFORMAT, "train.safetensors grows to gpt 1 layers x 8 wide"),
    R(r_state_resume_operator, LIGO_EFORMAT, "ligo.fit.step is missing (not a fitting state)"),
    R(r_state_ckpt_every, LIGO_EINVAL, "ligo_grow_fit: fit_ckpt_every is -3 (want >= 0 steps"),
    R(r_state_ckpt_nodir, LIGO_EIO, "out.safetensors.tmp: No such file or directory"),
    R(r_save_trainer_nodir, LIGO_EIO, "cannot create"),
    R(r_run_csv, LIGO_EIO, "cannot open"),
    R(r_run_nan, LIGO_ENONFINITE, "step 1"),
    R(r_step_null, LIGO_EINVAL, "NULL"),
    R(r_ctx_new_threads, LIGO_EINVAL, "ligo_ctx_new: n_threads is -1"),
    R(r_ctx_new_chunk, LIGO_EINVAL, "ligo_ctx_new: chunk_bytes is 0"),
    R(r_ctx_new_persistent, LIGO_EINVAL, "ligo_ctx_new: persistent_limit is 0"),
    R(r_ctx_new_scratch, LIGO_EINVAL, "ligo_ctx_new: scratch_limit is 0"),
    R(r_cfg_ffn, LIGO_EINVAL, "ligo_config: d_ff is -1"),
    R(r_cfg_eps_inf, LIGO_EINVAL, "ligo_config: ln_eps is inf"),
    R(r_cfg_ctx, LIGO_EINVAL, "ligo_config: ctx_len is 0"),
    R(r_cfg_classes, LIGO_EINVAL, "ligo_config: n_classes is 1"),
    R(r_cfg_zero_heads, LIGO_EINVAL, "ligo_config: n_head is 0"),
    R(r_optim_eps, LIGO_EINVAL, "ligo_optim_new: eps is 0"),
    R(r_optim_wd, LIGO_EINVAL, "ligo_optim_new: weight_decay is nan"),
    R(r_optim_kind, LIGO_EINVAL, "ligo_optim_new: kind is 9"),
    R(r_optim_beta1, LIGO_EINVAL, "ligo_optim_new: beta1 is -0.5"),
    R(r_grow_fit_lr, LIGO_EINVAL, "ligo_grow_new: fit_lr is nan (want a finite rate >= 0)"),
    R(r_grow_fit_steps, LIGO_EINVAL, "ligo_grow_new: fit_steps is -1"),
    R(r_grow_fit_warmup, LIGO_EINVAL, "ligo_grow_new: fit_warmup is -5"),
    R(r_grow_fit_clip, LIGO_EINVAL, "ligo_grow_new: fit_clip is -1"),
    R(r_grow_batch, LIGO_EINVAL, "ligo_grow_new: batch is 0"),
    R(r_grow_ctx_long, LIGO_EINVAL, "ligo_grow_new: ctx 32 (the fitting context) is longer than the model's context 16"),
    R(r_grow_ctx_neg, LIGO_EINVAL, "ligo_grow_new: ctx is -2"),
    R(r_grow_depth_init, LIGO_EINVAL, "ligo_grow_new: depth_init is 7"),
    R(r_grow_width_init, LIGO_EINVAL, "ligo_grow_new: width_init is 7"),
    R(r_grow_vocab, LIGO_EINVAL, "the large vocab 300 differs from the small model's 256"),
    R(r_grow_ctx_len, LIGO_EINVAL, "the large ctx_len 32 differs from the small model's 16"),
    R(r_grow_layers0, LIGO_EINVAL, "ligo_config: n_layer is 0"),
    R(r_grow_ffn_smaller, LIGO_EINVAL, "the large d_ff 8 is smaller than the small model's 16"),
    R(r_grow_method_enum, LIGO_EINVAL, "unknown method 42"),
    R(r_grow_fit_ctx, LIGO_EINVAL, "ligo_grow_fit: batch 2, ctx 40"),
    R(r_grow_fit_short, LIGO_EINVAL, "ligo_grow_fit: the training split has 9 tokens, fewer than T + 1 = 17"),
    R(r_grow_fit_family, LIGO_EINVAL, "ligo_grow_fit: bert data for a gpt model"),
    R(r_trainer_lr_max, LIGO_EINVAL, "ligo_trainer_new: sched.lr_max is nan (want a finite rate >= 0)"),
    R(r_trainer_lr_min, LIGO_EINVAL, "ligo_trainer_new: sched.lr_min is nan (want a finite rate >= 0)"),
    R(r_trainer_lr_inf, LIGO_EINVAL, "ligo_trainer_new: sched.lr_max is inf"),
    R(r_trainer_warmup, LIGO_EINVAL, "ligo_trainer_new: sched.warmup is -1"),
    R(r_trainer_beta1, LIGO_EINVAL, "ligo_trainer_new: optim.beta1 is 1"),
    R(r_trainer_beta2, LIGO_EINVAL, "ligo_trainer_new: optim.beta2 is nan"),
    R(r_trainer_eps, LIGO_EINVAL, "ligo_trainer_new: optim.eps is -1e-08"),
    R(r_trainer_wd, LIGO_EINVAL, "ligo_trainer_new: optim.weight_decay is inf"),
    R(r_trainer_momentum, LIGO_EINVAL, "ligo_trainer_new: optim.momentum is 2"),
    R(r_trainer_clip, LIGO_EINVAL, "ligo_trainer_new: clip is nan"),
    R(r_trainer_eval_every, LIGO_EINVAL, "ligo_trainer_new: eval_every is -1"),
    R(r_trainer_eval_windows, LIGO_EINVAL, "ligo_trainer_new: eval_windows is -3"),
    R(r_trainer_ckpt_every, LIGO_EINVAL, "ligo_trainer_new: ckpt_every is -2"),
    R(r_trainer_target, LIGO_EINVAL, "ligo_trainer_new: target_loss is nan"),
    R(r_trainer_steps, LIGO_EINVAL, "ligo_trainer_new: steps is -4"),
    R(r_trainer_ctx_neg, LIGO_EINVAL, "ligo_trainer_new: ctx is -1"),
    R(r_trainer_short, LIGO_EINVAL, "ligo_trainer_new: the training split has 9 tokens, fewer than T + 1 = 17"),
    R(r_trainer_val_short, LIGO_EINVAL, "ligo_trainer_new: the validation split (the last 10% of the data) has 15 tokens"),
    R(r_train_config_check, LIGO_EINVAL, "ligo_train_config_check: ctx 64 is longer than the model's context 16"),
    R(r_data_check_family, LIGO_EINVAL, "ligo_data_check: gpt data for a bert model"),
    R(r_data_check_T, LIGO_EINVAL, "ligo_data_check: T = 17 is outside [1, 16]"),
    R(r_st_parse_text, LIGO_EFORMAT, "ligo_st_parse: the buffer is not a safetensors file"),
    R(r_prewind_null, LIGO_EINVAL, NULL),
    R(r_prewind_scratch, LIGO_EINVAL, "scratch mark"),
    R(r_prewind_zero, LIGO_EINVAL, "not from this context"),
    R(r_prewind_other, LIGO_EINVAL, "not from this context"),
    R(r_prewind_future, LIGO_ESTATE, "past the region's end"),
    R(r_prewind_freed, LIGO_ESTATE, "past the region's end"),
    R(r_srewind_persistent, LIGO_EINVAL, "scratch region"),
};

int main(int argc, char **argv) {
    size_t i, n = sizeof g_rows / sizeof g_rows[0], passed = 0;
    snprintf(g_dir, sizeof g_dir, "%s", argc > 1 ? argv[1] : "build/robust/api");
    mkdir(g_dir, 0777);
    make_fixtures();
    for (i = 0; i < n; i++) {
        const row *r = &g_rows[i];
        ligo_ctx *ctx = new_ctx();
        ligo_status s;
        const char *msg;
        if (!ctx) {
            printf("api table: no context\n");
            return 1;
        }
        s = r->run(ctx);
        msg = ligo_get_error(ctx);
        if (s == r->want && (r->msg ? ligo_get_status(ctx) == r->want && msg[0] && strstr(msg, r->msg) != NULL
                                    : ligo_get_status(ctx) == LIGO_OK)) {
            passed++;
        } else {
            printf("api table: %s: got %s \"%s\" (context %s); want %s with \"%s\"\n", r->name, ligo_status_str(s), msg,
                   ligo_status_str(ligo_get_status(ctx)), ligo_status_str(r->want), r->msg ? r->msg : "(no context)");
        }
        ligo_ctx_free(ctx);
    }
    printf("api table: %zu bad inputs to public functions, %zu answered as expected\n", n, passed);
    return passed == n ? 0 : 1;
}
