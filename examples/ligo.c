/* ligo.c: the command-line tool.
 *
 *   ligo train  --family gpt|bert|vit --data PATH [options]   train a model
 *   ligo eval   --model PATH --data PATH                      validation loss
 *   ligo sample --model PATH --prompt TEXT --tokens N         generate text (GPT)
 *   ligo grow   --from SMALL --method ligo --data PATH [options]  grow a model
 *
 * Each command prints progress on stderr and, last, one line of JSON on
 * stdout with its results. Exit status: 0 success, 1 failure, 2 bad usage
 * (an option that conflicts with the model it names, such as --ctx longer
 * than its context, is bad usage too). Every check runs before the work
 * starts, so a command that fails a check leaves no output file behind. */
#define LIGO_IMPLEMENTATION
#include "../ligo.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tool.h"

#define DEFAULT_IMAGES "/usr/share/datasets/fashion-mnist"

/* SIGINT (Ctrl-C) and SIGTERM ask the training loop to save a checkpoint
 * and stop after the current step; a second signal ends the process at
 * once (the handler puts the default action back). The flag is the
 * trainer's `interrupt`: a volatile int, as sig_atomic_t is on the
 * platforms the tool builds on. */
static volatile int g_interrupt = 0;
static void on_sigint(int sig) {
    g_interrupt = 1;
    signal(sig, SIG_DFL);
}

static void catch_stop_signals(int on) {
    signal(SIGINT, on ? on_sigint : SIG_DFL);
    signal(SIGTERM, on ? on_sigint : SIG_DFL);
}

static void print_failure(const char *cmd, ligo_status s, const char *msg) {
    fprintf(stderr, "ligo %s: %s (%s)\n", cmd, msg, ligo_status_str(s));
    printf("{\"command\":\"%s\",\"ok\":false,\"status\":\"%s\",\"error\":", cmd, ligo_status_str(s));
    tool_json_str(stdout, msg);
    printf("}\n");
}

/* A context, or NULL after saying why there is none (the caller exits 1). */
static ligo_ctx *make_ctx(const char *cmd, int64_t threads) {
    ligo_ctx_params p = ligo_ctx_params_default();
    ligo_status s = LIGO_OK;
    char msg[512], why[600];
    ligo_ctx *ctx;
    p.n_threads = (int)threads;
    ctx = ligo_ctx_new_status(&p, &s, msg, sizeof msg);
    if (!ctx) {
        snprintf(why, sizeof why, "cannot create a context: %s", msg);
        print_failure(cmd, s, why);
    }
    return ctx;
}

static int fail(const char *cmd, ligo_ctx *ctx) {
    print_failure(cmd, ligo_get_status(ctx), ligo_get_error(ctx));
    ligo_ctx_free(ctx);
    return 1;
}

/* Whether the output file `path` of option `opt` can be written, checked
 * before any work so that a run never ends by failing to save: not a
 * directory; an existing file opens for appending (nothing is changed); a
 * new one can be created in its directory (the probe is removed again).
 * LIGO_EIO on ctx naming the option, the path and the reason. */
static ligo_status check_writable(ligo_ctx *ctx, const char *opt, const char *path) {
    struct stat sb;
    FILE *f;
    if (!path) return LIGO_OK;
    if (stat(path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return ligo_set_error(ctx, LIGO_EIO, "%s %s is a directory (want a file path)", opt, path);
        f = fopen(path, "ab");
        if (!f) return ligo_set_error(ctx, LIGO_EIO, "%s %s: cannot write the file: %s", opt, path, strerror(errno));
        fclose(f);
        return LIGO_OK;
    }
    f = fopen(path, "wb");
    if (!f) return ligo_set_error(ctx, LIGO_EIO, "%s %s: cannot create the file: %s", opt, path, strerror(errno));
    fclose(f);
    remove(path);
    return LIGO_OK;
}

/* The training settings train and grow share, into a trainer config;
 * 0, or 2 after printing a usage error. */
typedef struct train_args {
    int64_t steps, batch, ctx, warmup, eval_every, eval_windows, ckpt_every, seed;
    int64_t decay_steps; /* wsd; < 0: steps / 5 */
    double lr, lr_min, wd, beta2, clip, target;
    const char *decay, *out, *csv;
    int quiet;
} train_args;

/* --decay's value; 0, or -1 when it names no schedule. */
static int parse_decay(const char *name, ligo_decay *out) {
    if (strcmp(name, "cosine") == 0) *out = LIGO_DECAY_COSINE;
    else if (strcmp(name, "linear") == 0) *out = LIGO_DECAY_LINEAR;
    else if (strcmp(name, "constant") == 0) *out = LIGO_DECAY_CONSTANT;
    else if (strcmp(name, "wsd") == 0) *out = LIGO_DECAY_WSD;
    else return -1;
    return 0;
}

static int to_train_config(const char *cmd, const train_args *a, ligo_train_config *tc) {
    *tc = ligo_train_config_default();
    tc->steps = a->steps;
    tc->batch = a->batch;
    tc->ctx = a->ctx;
    tc->sched.lr_max = (float)a->lr;
    tc->sched.lr_min = (float)a->lr_min;
    tc->sched.warmup = a->warmup;
    if (parse_decay(a->decay, &tc->sched.decay) != 0)
        return tool_usage_error(cmd, "--decay: '%s' is not cosine, linear, constant or wsd%s", a->decay, "");
    tc->sched.decay_steps = a->decay_steps >= 0 ? a->decay_steps : a->steps / 5;
    if (tc->sched.decay_steps > a->steps)
        return tool_usage_error(cmd, "--decay-steps is longer than --steps%s%s", "", "");
    tc->optim.weight_decay = (float)a->wd;
    tc->optim.beta2 = (float)a->beta2;
    tc->clip = a->clip;
    tc->seed = (uint64_t)a->seed + 1; /* the batch order: not the initialisation's stream */
    tc->eval_every = a->eval_every;
    tc->eval_windows = a->eval_windows;
    tc->ckpt_every = a->ckpt_every;
    tc->ckpt_path = a->out;
    tc->csv_path = a->csv;
    tc->target_loss = a->target;
    tc->progress = !a->quiet;
    tc->on_progress = ligo_progress_print_stderr;
    tc->interrupt = &g_interrupt;
    return 0;
}

/* ---------------------------------------------------------------- train */

static int cmd_train(int argc, char **argv) {
    const char *family = "gpt", *data = NULL, *out = "model.safetensors", *csv = NULL, *resume = NULL, *decay = "cosine";
    int64_t layers = 4, dim = 128, heads = 4, ffn = 0, ctxlen = 128, batch = 16, steps = 1000, seed = 1, warmup = 100;
    int64_t eval_every = 0, eval_windows = 0, ckpt_every = 0, threads = 0, patch = 7, decay_steps = -1, kv_heads = 0;
    double lr = 1e-3, lr_min = 1e-4, wd = 0.1, clip = 1.0, target = 0.0, beta2 = 0.95, rope_theta = 10000.0;
    int quiet = 0, untied = 0, r;
    tool_opt opts[] = {
        {"--family", 's', &family, 0, 0, "gpt | bert | vit | llama (default gpt)"},
        {"--data", 's', &data, 0, 0, "text file (gpt, bert, llama) or IDX directory (vit; default " DEFAULT_IMAGES ")"},
        {"--layers", 'i', &layers, 1, 1024, "transformer blocks (4)"},
        {"--dim", 'i', &dim, 1, 65536, "model width (128)"},
        {"--heads", 'i', &heads, 1, 65536, "attention heads (4)"},
        {"--ffn", 'i', &ffn, 0, 65536, "FFN width (0 = 4 x dim; llama: 8 x dim / 3 rounded up to a multiple of 32)"},
        {"--kv-heads", 'i', &kv_heads, 0, 65536, "llama: key / value heads, dividing --heads (0 = as many as heads)"},
        {"--rope-theta", 'f', &rope_theta, 1e-6, 1e30, "llama: RoPE's base (10000)"},
        {"--untied-head", 'b', &untied, 0, 0, "llama: an LM head of its own (default: tied to the embedding)"},
        {"--ctx", 'i', &ctxlen, 1, 65536, "context length T (128; vit: from the image)"},
        {"--patch", 'i', &patch, 1, 4096, "vit patch size (7)"},
        {"--batch", 'i', &batch, 1, 1 << 20, "batch size B (16)"},
        {"--steps", 'i', &steps, 0, 1e12, "optimizer steps (1000)"},
        {"--lr", 'f', &lr, 0, 10, "peak learning rate (1e-3)"},
        {"--lr-min", 'f', &lr_min, 0, 10, "final learning rate (1e-4)"},
        {"--warmup", 'i', &warmup, 0, 1e12, "warm-up steps (100)"},
        {"--decay", 's', &decay, 0, 0, "cosine | linear | constant | wsd (cosine)"},
        {"--decay-steps", 'i', &decay_steps, 0, 1e12, "wsd: the final linear decay's length (steps / 5)"},
        {"--wd", 'f', &wd, 0, 10, "AdamW weight decay (0.1)"},
        {"--beta2", 'f', &beta2, 0, 0.99999, "AdamW beta2 (0.95)"},
        {"--clip", 'f', &clip, 0, 1e9, "gradient clipping by global norm (1.0; 0 = off)"},
        {"--seed", 'i', &seed, 0, 9.2e18, "seed of the initialisation and the batch order (1)"},
        {"--eval-every", 'i', &eval_every, 0, 1e12, "evaluate every N steps (0 = at the end)"},
        {"--eval-windows", 'i', &eval_windows, 0, 1e12, "windows (images) per evaluation (0 = all)"},
        {"--ckpt-every", 'i', &ckpt_every, 0, 1e12, "checkpoint every N steps (0 = at the end)"},
        {"--target-loss", 'f', &target, 0, 1e9, "stop when the validation loss reaches it (0 = off)"},
        {"--csv", 's', &csv, 0, 0, "write the training log here"},
        {"--out", 's', &out, 0, 0, "checkpoint path (model.safetensors)"},
        {"--resume", 's', &resume, 0, 0, "continue from this checkpoint"},
        {"--threads", 'i', &threads, 0, 1024, "threads (0 = all cores)"},
        {"--quiet", 'b', &quiet, 0, 0, "no progress line"},
        {NULL, 0, NULL, 0, 0, NULL}};
    ligo_ctx *ctx;
    ligo_config cfg;
    ligo_family fam;
    ligo_model *m;
    ligo_data d;
    ligo_train_config tc;
    ligo_trainer *tr;
    ligo_status s;
    r = tool_parse("train", "Train a GPT, BERT, ViT or LLaMA model and save it as safetensors.", argc, argv, opts);
    if (r) return r == 1 ? 0 : r;
    if (ligo_family_parse(family, &fam) != LIGO_OK)
        return tool_usage_error("train", "--family: '%s' is not gpt, bert, vit or llama%s", family, "");
    if (fam != LIGO_LLAMA && (kv_heads || untied || rope_theta != 10000.0))
        return tool_usage_error("train", "--kv-heads, --rope-theta and --untied-head are llama's; --family is %s%s", family,
                                "");
    if (!data && fam == LIGO_VIT) data = DEFAULT_IMAGES;
    if (!data) return tool_usage_error("train", "--data is required%s%s", "", "");
    {
        ligo_decay dk;
        if (parse_decay(decay, &dk) != 0)
            return tool_usage_error("train", "--decay: '%s' is not cosine, linear, constant or wsd%s", decay, "");
    }
    if (tool_dry_run) return 0;
    ctx = make_ctx("train", threads);
    if (!ctx) return 1;
    /* every check before the work: outputs, config, data, training settings */
    if (check_writable(ctx, "--out", out) != LIGO_OK || check_writable(ctx, "--csv", csv) != LIGO_OK)
        return fail("train", ctx);
    cfg = ligo_config_default(fam);
    cfg.n_layer = layers;
    cfg.d_model = dim;
    cfg.n_head = heads;
    cfg.d_ff = ffn;
    if (fam == LIGO_LLAMA) {
        cfg.n_kv_head = kv_heads;
        cfg.rope_theta = (float)rope_theta;
        cfg.untied_head = untied;
    }
    if (fam != LIGO_VIT) cfg.ctx_len = ctxlen;
    else cfg.patch = patch;
    if (ligo_data_load(ctx, fam, data, &d) != LIGO_OK) return fail("train", ctx);
    m = ligo_model_new(ctx, &cfg);
    if (!m) return fail("train", ctx);
    ligo_model_init(m, (uint64_t)seed);
    {
        train_args ta;
        ta.steps = steps;
        ta.batch = batch;
        ta.ctx = ctxlen;
        ta.warmup = warmup;
        ta.eval_every = eval_every;
        ta.eval_windows = eval_windows;
        ta.ckpt_every = ckpt_every;
        ta.seed = seed;
        ta.lr = lr;
        ta.lr_min = lr_min;
        ta.wd = wd;
        ta.beta2 = beta2;
        ta.clip = clip;
        ta.target = target;
        ta.decay = decay;
        ta.decay_steps = decay_steps;
        ta.out = out;
        ta.csv = csv;
        ta.quiet = quiet;
        if ((r = to_train_config("train", &ta, &tc)) != 0) {
            ligo_ctx_free(ctx);
            return r;
        }
    }
    tr = ligo_trainer_new(ctx, m, &d, &tc);
    if (!tr) return fail("train", ctx);
    if (resume && ligo_trainer_resume(ctx, tr, resume) != LIGO_OK) return fail("train", ctx);
    catch_stop_signals(1);
    s = ligo_trainer_run(ctx, tr);
    catch_stop_signals(0);
    if (s != LIGO_OK) return fail("train", ctx);
    if (g_interrupt)
        fprintf(stderr, "ligo train: interrupted after step %lld; checkpoint saved to %s (continue with --resume %s)\n",
                (long long)tr->step, out, out);
    printf("{\"command\":\"train\",\"ok\":true,\"family\":\"%s\",\"params\":%lld,\"steps\":%lld,\"interrupted\":%s,"
           "\"train_loss\":%.6f,\"val_loss\":%.6f,",
           family, (long long)m->n_floats, (long long)tr->step, g_interrupt ? "true" : "false", (double)tr->last_loss,
           tr->last_val);
    if (tr->last_acc >= 0) printf("\"val_accuracy\":%.6f,", tr->last_acc);
    printf("\"flops\":%.6g,\"seconds\":%.3f,\"tokens_per_sec\":%.1f,\"out\":", tr->train_flops, tr->seconds,
           tr->seconds > 0 ? (double)(tr->step * tc.batch * (fam == LIGO_VIT ? 1 : ctxlen)) / tr->seconds : 0.0);
    tool_json_str(stdout, out);
    if (csv) {
        printf(",\"csv\":");
        tool_json_str(stdout, csv);
    }
    printf("}\n");
    ligo_ctx_free(ctx);
    return 0;
}

/* ----------------------------------------------------------------- eval */

static int cmd_eval(int argc, char **argv) {
    const char *model = NULL, *data = NULL;
    int64_t ctxlen = 0, batch = 16, windows = 0, threads = 0;
    tool_opt opts[] = {{"--model", 's', &model, 0, 0, "checkpoint to evaluate"},
                  {"--data", 's', &data, 0, 0, "text file (gpt, bert, llama) or IDX directory (vit)"},
                  {"--ctx", 'i', &ctxlen, 0, 65536, "window length T (0 = the model's context)"},
                  {"--batch", 'i', &batch, 1, 1 << 20, "windows per forward pass (16)"},
                  {"--windows", 'i', &windows, 0, 1e12, "evaluate only the first N windows (0 = all)"},
                  {"--threads", 'i', &threads, 0, 1024, "threads (0 = all cores)"},
                  {NULL, 0, NULL, 0, 0, NULL}};
    ligo_ctx *ctx;
    ligo_model *m;
    ligo_data d;
    ligo_eval_result ev;
    double t0;
    int r = tool_parse("eval",
                       "Validation loss: GPT, the mean next-token cross-entropy (nats) over consecutive\n"
                       "non-overlapping windows of T+1 tokens of the last 10% of the file; BERT, the MLM loss\n"
                       "with masks from a fixed seed; ViT, loss and accuracy on the test files.",
                       argc, argv, opts);
    if (r) return r == 1 ? 0 : r;
    if (!model) return tool_usage_error("eval", "--model is required%s%s", "", "");
    if (tool_dry_run) return 0;
    ctx = make_ctx("eval", threads);
    if (!ctx) return 1;
    m = ligo_model_load(ctx, model);
    if (!m) return fail("eval", ctx);
    if (!data && m->cfg.family == LIGO_VIT) data = DEFAULT_IMAGES;
    if (!data) {
        ligo_ctx_free(ctx);
        return tool_usage_error("eval", "--data is required%s%s", "", "");
    }
    if (m->cfg.family != LIGO_VIT && ctxlen > m->cfg.ctx_len) {
        char a[64], b[64];
        snprintf(a, sizeof a, "%lld", (long long)ctxlen);
        snprintf(b, sizeof b, "%lld", (long long)m->cfg.ctx_len);
        ligo_ctx_free(ctx);
        return tool_usage_error("eval", "--ctx %s is longer than the model's context %s", a, b);
    }
    if (ctxlen == 0 || m->cfg.family == LIGO_VIT) ctxlen = m->cfg.ctx_len;
    if (ligo_data_load(ctx, m->cfg.family, data, &d) != LIGO_OK) return fail("eval", ctx);
    t0 = ligo_time_sec();
    if (ligo_evaluate(ctx, m, &d, batch, ctxlen, windows, &ev) != LIGO_OK) return fail("eval", ctx);
    printf("{\"command\":\"eval\",\"ok\":true,\"family\":\"%s\",\"val_loss\":%.6f,", ligo_family_name(m->cfg.family),
           ev.loss);
    {
        /* the loss's 64 bits, to compare runs exactly (value-based: the
         * same digits on every byte order) */
        uint64_t bits;
        memcpy(&bits, &ev.loss, sizeof bits);
        printf("\"val_loss_bits\":\"%016llx\",", (unsigned long long)bits);
    }
    if (ev.accuracy >= 0) printf("\"val_accuracy\":%.6f,", ev.accuracy);
    printf("\"predictions\":%lld,\"flops\":%.6g,\"seconds\":%.3f,\"model\":", (long long)ev.count,
           ligo_flops_forward(ctx), ligo_time_sec() - t0);
    tool_json_str(stdout, model);
    printf("}\n");
    ligo_ctx_free(ctx);
    return 0;
}

/* --------------------------------------------------------------- sample */

static int cmd_sample(int argc, char **argv) {
    const char *model = NULL, *prompt = "\n";
    int64_t tokens = 200, seed = 1, threads = 0;
    double temperature = 0.8;
    tool_opt opts[] = {{"--model", 's', &model, 0, 0, "GPT or LLaMA checkpoint"},
                  {"--prompt", 's', &prompt, 0, 0, "text to continue (default: a newline)"},
                  {"--tokens", 'i', &tokens, 1, 1e7, "tokens to generate (200)"},
                  {"--temperature", 'f', &temperature, 0, 100, "softmax temperature (0.8; 0 = greedy)"},
                  {"--seed", 'i', &seed, 0, 9.2e18, "sampling seed (1)"},
                  {"--threads", 'i', &threads, 0, 1024, "threads (0 = all cores)"},
                  {NULL, 0, NULL, 0, 0, NULL}};
    ligo_ctx *ctx;
    ligo_model *m;
    ligo_rng rng;
    int32_t *seq;
    int64_t n, k, i, V;
    double t0;
    int r = tool_parse("sample", "Generate bytes from a GPT or LLaMA checkpoint.", argc, argv, opts);
    if (r) return r == 1 ? 0 : r;
    if (!model) return tool_usage_error("sample", "--model is required%s%s", "", "");
    if (!*prompt) return tool_usage_error("sample", "--prompt: the prompt is empty%s%s", "", "");
    if (tool_dry_run) return 0;
    ctx = make_ctx("sample", threads);
    if (!ctx) return 1;
    m = ligo_model_load(ctx, model);
    if (!m) return fail("sample", ctx);
    if (m->cfg.family != LIGO_GPT && m->cfg.family != LIGO_LLAMA) {
        ligo_set_error(ctx, LIGO_EINVAL, "%s is a %s model; sampling needs a GPT", model, ligo_family_name(m->cfg.family));
        return fail("sample", ctx);
    }
    V = m->cfg.vocab;
    n = (int64_t)strlen(prompt);
    if (n == 0) {
        ligo_set_error(ctx, LIGO_EINVAL, "the prompt is empty");
        return fail("sample", ctx);
    }
    /* the prompt's bytes are its token ids: each must be in the vocabulary */
    for (i = 0; i < n; i++)
        if ((int64_t)(unsigned char)prompt[i] >= V) {
            char a[96], b[64];
            snprintf(a, sizeof a, "byte %lld of the prompt is %d", (long long)i, (unsigned char)prompt[i]);
            snprintf(b, sizeof b, "%lld", (long long)V);
            ligo_ctx_free(ctx);
            return tool_usage_error("sample", "--prompt: %s, outside the model's vocabulary of %s ids", a, b);
        }
    seq = (int32_t *)ligo_alloc_persistent(ctx, (size_t)(n + tokens) * sizeof(int32_t));
    if (!seq) return fail("sample", ctx);
    for (i = 0; i < n; i++) seq[i] = (unsigned char)prompt[i];
    ligo_rng_seed(&rng, (uint64_t)seed);
    fputs(prompt, stdout);
    t0 = ligo_time_sec();
    for (k = 0; k < tokens; k++) { /* one id at a time, printed as it comes */
        if (ligo_generate(ctx, m, seq, n + k, 1, temperature, &rng, seq) != LIGO_OK) return fail("sample", ctx);
        fputc((int)(seq[n + k] & 0xFF), stdout);
        fflush(stdout);
    }
    printf("\n{\"command\":\"sample\",\"ok\":true,\"tokens\":%lld,\"seconds\":%.3f,\"model\":", (long long)tokens,
           ligo_time_sec() - t0);
    tool_json_str(stdout, model);
    printf("}\n");
    ligo_ctx_free(ctx);
    return 0;
}


/* ----------------------------------------------------------------- grow */

/* --fit-ckpt's default: OUT with .safetensors replaced by (or, without it,
 * followed by) .fit.safetensors, in ctx's memory. */
static const char *default_fit_ckpt(ligo_ctx *ctx, const char *out) {
    size_t len = strlen(out), sfx = strlen(".safetensors");
    char *p = (char *)ligo_alloc_persistent(ctx, len + 32);
    if (!p) return NULL;
    if (len > sfx && strcmp(out + len - sfx, ".safetensors") == 0) len -= sfx;
    memcpy(p, out, len);
    memcpy(p + len, ".fit.safetensors", strlen(".fit.safetensors") + 1);
    return p;
}

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* --fit-batches-out: every fitting batch as drawn (ligo_grow_config.on_batch),
 * so that another implementation (tools/ligo_grow_torch.py fit) can fit
 * the same operator on the same data. Token ids are stored as F32 (exact
 * below 2^24; ligo's safetensors are F32 only), -100 marks BERT's
 * positions without a target. */
typedef struct batch_rec {
    int64_t cap, steps, first, per_in, per_img, B, T;
    float *inputs, *targets, *images;
} batch_rec;

/* Room for `steps` batches, in ctx's memory. */
static int batch_rec_init(ligo_ctx *ctx, batch_rec *r, int64_t steps, int64_t B, int64_t T, const ligo_config *c) {
    double floats;
    memset(r, 0, sizeof *r);
    r->cap = steps;
    r->B = B;
    r->T = c->family == LIGO_VIT ? 1 : T;
    r->per_in = c->family == LIGO_VIT ? 0 : B * T;
    r->per_img = c->family == LIGO_VIT ? B * c->image_h * c->image_w : 0;
    floats = (double)steps * (double)(c->family == LIGO_VIT ? r->per_img + B : 2 * r->per_in);
    if (floats > 1e9) {
        fprintf(stderr, "ligo grow: --fit-batches-out: %lld steps of batch %lld hold %.3g floats (at most 1e9; "
                "record fewer --fit-steps)\n", (long long)steps, (long long)B, floats);
        return 2;
    }
    if (steps == 0) return 0;
    if (r->per_in) {
        r->inputs = (float *)ligo_alloc_persistent(ctx, (size_t)(steps * r->per_in) * sizeof(float));
        r->targets = (float *)ligo_alloc_persistent(ctx, (size_t)(steps * r->per_in) * sizeof(float));
    } else {
        r->images = (float *)ligo_alloc_persistent(ctx, (size_t)(steps * r->per_img) * sizeof(float));
        r->targets = (float *)ligo_alloc_persistent(ctx, (size_t)(steps * B) * sizeof(float));
    }
    return !r->targets || (r->per_in ? !r->inputs : !r->images) ? -1 : 0;
}

static void batch_rec_add(void *user, int64_t step, const ligo_batch *b) {
    batch_rec *r = (batch_rec *)user;
    int64_t k = r->steps, i, nt;
    if (k >= r->cap) return;
    if (k == 0) r->first = step;
    nt = r->per_in ? r->per_in : r->B;
    for (i = 0; i < nt; i++) r->targets[k * nt + i] = (float)b->targets[i];
    if (r->per_in)
        for (i = 0; i < r->per_in; i++) r->inputs[k * r->per_in + i] = (float)b->inputs[i];
    else
        memcpy(r->images + k * r->per_img, b->images, (size_t)r->per_img * sizeof(float));
    r->steps = k + 1;
}

static ligo_status batch_rec_write(ligo_ctx *ctx, const batch_rec *r, const ligo_config *c, const char *path) {
    ligo_safetensors st;
    ligo_mark mk = ligo_scratch_mark(ctx);
    char v[64];
    int64_t shape[4];
    ligo_st_init(&st);
    shape[0] = r->steps;
    shape[1] = r->B;
    if (r->per_in) {
        shape[2] = r->T;
        ligo_st_add(ctx, &st, "inputs", 3, shape, r->inputs);
        ligo_st_add(ctx, &st, "targets", 3, shape, r->targets);
    } else {
        shape[2] = c->image_h;
        shape[3] = c->image_w;
        ligo_st_add(ctx, &st, "images", 4, shape, r->images);
        ligo_st_add(ctx, &st, "targets", 2, shape, r->targets);
    }
    ligo_st_set_meta(ctx, &st, "format", "pt");
    ligo_st_set_meta(ctx, &st, "ligo.batches.family", ligo_family_name(c->family));
    snprintf(v, sizeof v, "%lld", (long long)r->first);
    ligo_st_set_meta(ctx, &st, "ligo.batches.first_step", v);
    ligo_st_write(ctx, path, &st);
    ligo_scratch_rewind(ctx, mk);
    return ctx->status;
}

static int cmd_grow(int argc, char **argv) {
    const char *from = NULL, *data = NULL, *out = "grown.safetensors", *method = "ligo", *csv = NULL, *op_out = NULL;
    const char *depth_init = "stack", *width_init = "rand", *op_in = NULL, *fit_ckpt = NULL, *batches_out = NULL;
    int64_t layers = 0, dim = 0, heads = 0, ffn = 0, fit_steps = 100, fit_warmup = 10, steps = 0, batch = 16, kv_heads = 0;
    int64_t ctxlen = 0, seed = 1, threads = 0, eval_windows = 0, eval_every = 0, warmup = 100, ckpt_every = 0;
    double fit_lr = 1e-3, sym_noise = 0.01, lr = 1e-3, lr_min = 1e-4, wd = 0.1, clip = 1.0, target = 0.0;
    int full = 0, no_noise = 0, quiet = 0, width_first = 0, head_dim = 0, residual = 0, resume = 0, r;
    tool_opt opts[] = {
        {"--from", 's', &from, 0, 0, "the small model's checkpoint"},
        {"--data", 's', &data, 0, 0, "data of the large model's objective (as for train)"},
        {"--layers", 'i', &layers, 1, 1024, "large model's blocks (2 x the small model's)"},
        {"--dim", 'i', &dim, 1, 65536, "large model's width (2 x the small model's)"},
        {"--heads", 'i', &heads, 1, 65536, "large model's heads (dim / the small model's head dimension, which\n"
                                            "                     must stay; with --grow-head-dim the small head count)"},
        {"--ffn", 'i', &ffn, 0, 65536, "large model's FFN width (0 = dim x the small model's FFN / width ratio)"},
        {"--kv-heads", 'i', &kv_heads, 0, 65536, "llama: large model's KV heads (0 = scaled with the heads, keeping\n"
                                                 "                     the small model's heads per KV head)"},
        {"--method", 's', &method, 0, 0, "ligo | ligo-depth | ligo-width | stack | interlace | fpi | aki | scratch"},
        {"--fit-steps", 'i', &fit_steps, 0, 1e9, "operator fitting steps (100)"},
        {"--fit-lr", 'f', &fit_lr, 0, 10, "operator learning rate (1e-3)"},
        {"--fit-warmup", 'i', &fit_warmup, 0, 1e9, "operator warm-up steps, then constant (10)"},
        {"--full-width", 'b', &full, 0, 0, "learn full width matrices instead of [I; C]"},
        {"--depth-init", 's', &depth_init, 0, 0, "stack | interlace | rand (stack)"},
        {"--width-init", 's', &width_init, 0, 0, "rand | sel | sel_noisy (rand)"},
        {"--no-noise", 'b', &no_noise, 0, 0, "depth init without the U(0, 0.03) noise"},
        {"--symmetry-noise", 'f', &sym_noise, 0, 1, "copied width (stack, interlace, fpi, aki, ligo-depth): U(-x, x) "
                                                     "times each enlarged tensor's RMS (0.01; 0 = exact copies)"},
        {"--width-first", 'b', &width_first, 0, 0, "widen each small layer first, then blend (Algorithm 1)"},
        {"--grow-head-dim", 'b', &head_dim, 0, 0, "keep the head count, widen every head"},
        {"--residual", 'b', &residual, 0, 0, "learn an additive term per large tensor (starts at 0)"},
        {"--operator-in", 's', &op_in, 0, 0, "start from a saved operator (then --fit-steps more)"},
        {"--steps", 'i', &steps, 0, 1e12, "keep training the grown model this many steps (0)"},
        {"--lr", 'f', &lr, 0, 10, "training peak learning rate (1e-3)"},
        {"--lr-min", 'f', &lr_min, 0, 10, "training final learning rate (1e-4)"},
        {"--warmup", 'i', &warmup, 0, 1e12, "training warm-up steps (100)"},
        {"--wd", 'f', &wd, 0, 10, "training weight decay (0.1)"},
        {"--clip", 'f', &clip, 0, 1e9, "training gradient clipping (1.0)"},
        {"--batch", 'i', &batch, 1, 1 << 20, "batch size for fitting and training (16)"},
        {"--ctx", 'i', &ctxlen, 0, 65536, "fitting and training window (0 = the small model's context, which the\n"
                                             "                     large model keeps; vit: from the image)"},
        {"--eval-every", 'i', &eval_every, 0, 1e12, "evaluate every N training steps (0 = at the end)"},
        {"--eval-windows", 'i', &eval_windows, 0, 1e12, "windows per evaluation (0 = all)"},
        {"--target-loss", 'f', &target, 0, 1e9, "stop training at this validation loss (0 = off)"},
        {"--seed", 'i', &seed, 0, 9.2e18, "seed (1)"},
        {"--csv", 's', &csv, 0, 0, "training log"},
        {"--operator-out", 's', &op_out, 0, 0, "also save the learned operator (and any symmetry noise) here"},
        {"--fit-batches-out", 's', &batches_out, 0, 0, "save every fitting batch here (inputs and targets, or images\n"
                                                      "                     and labels, per step), for tools/ligo_grow_torch.py fit"},
        {"--out", 's', &out, 0, 0, "grown model checkpoint (grown.safetensors); with --steps, the training\n"
                                    "                     checkpoint (model, AdamW moments, step, RNG)"},
        {"--ckpt-every", 'i', &ckpt_every, 0, 1e12, "save the fitting state every N fitting steps and --out every N\n"
                                                     "                     training steps (0 = at the end of each)"},
        {"--fit-ckpt", 's', &fit_ckpt, 0, 0, "the fitting state: operator, AdamW moments, step, RNG, counters\n"
                                              "                     (default: --out with .fit.safetensors for .safetensors);\n"
                                              "                     saved with --ckpt-every, --fit-ckpt or --resume"},
        {"--resume", 'b', &resume, 0, 0, "continue an interrupted run with the same options: the fitting from\n"
                                          "                     the fitting state, or, once that is complete, the training\n"
                                          "                     from --out; without those files, from the start"},
        {"--threads", 'i', &threads, 0, 1024, "threads (0 = all cores)"},
        {"--quiet", 'b', &quiet, 0, 0, "no progress line"},
        {NULL, 0, NULL, 0, 0, NULL}};
    ligo_ctx *ctx;
    ligo_model *small, *big;
    ligo_config lc;
    ligo_grow_config gc;
    ligo_grow_method gm;
    ligo_depth_init di;
    ligo_width_init wi;
    ligo_grow *g;
    ligo_data d;
    ligo_eval_result e0, e1;
    ligo_trainer *tr = NULL;
    ligo_train_config tc;
    train_args ta;
    double total;
    const char *fit_path = NULL;
    batch_rec rec;
    int train_resume = 0, interrupted = 0;
    ligo_status s;
    r = tool_parse("grow",
                   "Grow a trained small model into a larger one (LiGO or a baseline). Sizes not given follow\n"
                   "the small model and the new width: twice its layers and width, its head dimension, its FFN\n"
                   "ratio; the large model keeps its context, the default window. Every option is checked\n"
                   "against the small model, the data and the output paths before fitting starts.\n"
                   "Checkpoints: the fitting state (--fit-ckpt) while fitting, --out while training (--steps);\n"
                   "SIGINT or SIGTERM saves and stops (while fitting: when the fitting state is saved); --resume\n"
                   "continues either phase, bitwise as if never stopped.",
                   argc, argv, opts);
    if (r) return r == 1 ? 0 : r;
    if (!from) return tool_usage_error("grow", "--from is required%s%s", "", "");
    if (ligo_grow_method_parse(method, &gm) != LIGO_OK)
        return tool_usage_error("grow", "--method: '%s' is not a growth method%s", method, "");
    if (strcmp(depth_init, "stack") == 0) di = LIGO_DEPTH_STACK;
    else if (strcmp(depth_init, "interlace") == 0) di = LIGO_DEPTH_INTERLACE;
    else if (strcmp(depth_init, "rand") == 0) di = LIGO_DEPTH_RAND;
    else return tool_usage_error("grow", "--depth-init: '%s' is not stack, interlace or rand%s", depth_init, "");
    if (strcmp(width_init, "rand") == 0) wi = LIGO_WIDTH_RAND;
    else if (strcmp(width_init, "sel") == 0) wi = LIGO_WIDTH_SEL;
    else if (strcmp(width_init, "sel_noisy") == 0) wi = LIGO_WIDTH_SEL_NOISY;
    else return tool_usage_error("grow", "--width-init: '%s' is not rand, sel or sel_noisy%s", width_init, "");
    if (fit_ckpt && (strcmp(fit_ckpt, out) == 0 || (op_out && strcmp(fit_ckpt, op_out) == 0)))
        return tool_usage_error("grow", "--fit-ckpt %s is also %s", fit_ckpt,
                                strcmp(fit_ckpt, out) == 0 ? "--out" : "--operator-out");
    if (batches_out && (strcmp(batches_out, out) == 0 || (op_out && strcmp(batches_out, op_out) == 0) ||
                        (fit_ckpt && strcmp(batches_out, fit_ckpt) == 0)))
        return tool_usage_error("grow", "--fit-batches-out %s is also %s", batches_out,
                                strcmp(batches_out, out) == 0 ? "--out"
                                : (op_out && strcmp(batches_out, op_out) == 0) ? "--operator-out" : "--fit-ckpt");
    if (tool_dry_run) return 0;
    ctx = make_ctx("grow", threads);
    if (!ctx) return 1;
    /* the fitting state is saved when checkpoints or a resume are asked for */
    if (fit_ckpt || ckpt_every > 0 || resume) {
        fit_path = fit_ckpt ? fit_ckpt : default_fit_ckpt(ctx, out);
        if (!fit_path) return fail("grow", ctx);
        if (op_out && strcmp(fit_path, op_out) == 0) {
            ligo_ctx_free(ctx);
            return tool_usage_error("grow", "--operator-out %s is also the fitting state's file%s (give --fit-ckpt)",
                                    op_out, "");
        }
    }
    /* Every check runs before fitting starts: the outputs, the small model,
     * the sizes derived from it, the data, the operator's and the training
     * settings. */
    if (check_writable(ctx, "--out", out) != LIGO_OK || check_writable(ctx, "--operator-out", op_out) != LIGO_OK ||
        check_writable(ctx, "--csv", csv) != LIGO_OK || check_writable(ctx, "--fit-ckpt", fit_path) != LIGO_OK ||
        check_writable(ctx, "--fit-batches-out", batches_out) != LIGO_OK)
        return fail("grow", ctx);
    small = ligo_model_load(ctx, from);
    if (!small) return fail("grow", ctx);
    if (!data && small->cfg.family == LIGO_VIT) data = DEFAULT_IMAGES;
    if (!data) {
        ligo_ctx_free(ctx);
        return tool_usage_error("grow", "--data is required%s%s", "", "");
    }
    /* unspecified sizes follow the small model and the new width: twice as
     * deep and wide, the small head dimension (or head count with
     * --grow-head-dim), the small FFN ratio; the context is the small
     * model's (growth keeps it) and the default fitting window */
    lc = small->cfg;
    lc.n_layer = layers ? layers : 2 * small->cfg.n_layer;
    lc.d_model = dim ? dim : 2 * small->cfg.d_model;
    if (heads) {
        lc.n_head = heads;
    } else if (head_dim) {
        lc.n_head = small->cfg.n_head;
    } else {
        int64_t hd = small->cfg.d_model / small->cfg.n_head;
        if (lc.d_model % hd != 0) {
            char a[64], b[160];
            snprintf(a, sizeof a, "%lld", (long long)lc.d_model);
            snprintf(b, sizeof b, "%lld (%lld / %lld heads); give --heads, or --grow-head-dim", (long long)hd,
                     (long long)small->cfg.d_model, (long long)small->cfg.n_head);
            ligo_ctx_free(ctx);
            return tool_usage_error("grow", "--dim %s is not a multiple of the small model's head dimension %s", a, b);
        }
        lc.n_head = lc.d_model / hd;
    }
    lc.d_ff = ffn ? ffn : (small->cfg.d_ff * lc.d_model + small->cfg.d_model / 2) / small->cfg.d_model;
    if (kv_heads && lc.family != LIGO_LLAMA) {
        ligo_ctx_free(ctx);
        return tool_usage_error("grow", "--kv-heads is llama's; %s is a %s model", from, ligo_family_name(lc.family));
    }
    lc.n_kv_head = kv_heads; /* llama: 0 scales the small model's with the heads (ligo_grow_new) */
    if (lc.family == LIGO_VIT) {
        ctxlen = 0; /* from the image */
    } else if (ctxlen > small->cfg.ctx_len) {
        char a[64], b[128];
        snprintf(a, sizeof a, "%lld", (long long)ctxlen);
        snprintf(b, sizeof b, "%lld (the grown model keeps it)", (long long)small->cfg.ctx_len);
        ligo_ctx_free(ctx);
        return tool_usage_error("grow", "--ctx %s is longer than the small model's context %s", a, b);
    }
    gc = ligo_grow_config_default(gm);
    gc.fit_steps = fit_steps;
    gc.fit_lr = (float)fit_lr;
    gc.fit_warmup = fit_warmup;
    gc.full_width = full;
    gc.depth_noisy = !no_noise;
    gc.noise = (float)sym_noise;
    gc.seed = (uint64_t)seed;
    gc.batch = batch;
    gc.ctx = ctxlen;
    gc.progress = !quiet;
    gc.on_progress = ligo_progress_print_stderr;
    gc.depth_init = di;
    gc.width_init = wi;
    gc.width_first = width_first;
    gc.grow_head_dim = head_dim;
    gc.residual = residual;
    gc.fit_ckpt_path = fit_path;
    gc.fit_ckpt_every = ckpt_every;
    gc.interrupt = fit_path ? &g_interrupt : NULL;
    if (batches_out) {
        r = batch_rec_init(ctx, &rec, fit_steps, batch, ctxlen ? ctxlen : lc.ctx_len, &lc);
        if (r > 0) {
            ligo_ctx_free(ctx);
            return r;
        }
        if (r < 0) return fail("grow", ctx);
        gc.on_batch = batch_rec_add;
        gc.batch_user = &rec;
    }
    if (ligo_data_load(ctx, small->cfg.family, data, &d) != LIGO_OK) return fail("grow", ctx);
    g = ligo_grow_new(ctx, small, &lc, &gc);
    if (!g) return fail("grow", ctx);
    /* the grown model's evaluation and training, checked now (with the data:
     * windows for training and evaluation) rather than after fitting */
    ta.steps = steps;
    ta.batch = batch;
    ta.ctx = ctxlen;
    ta.warmup = warmup;
    ta.eval_every = eval_every;
    ta.eval_windows = eval_windows;
    ta.ckpt_every = ckpt_every;
    ta.seed = seed;
    ta.lr = lr;
    ta.lr_min = lr_min;
    ta.wd = wd;
    ta.beta2 = 0.95;
    ta.clip = clip;
    ta.target = target;
    ta.decay = "cosine";
    ta.decay_steps = -1;
    ta.out = out;
    ta.csv = csv;
    ta.quiet = quiet;
    if ((r = to_train_config("grow", &ta, &tc)) != 0) {
        ligo_ctx_free(ctx);
        return r;
    }
    if (ligo_train_config_check(ctx, &tc, &g->large, &d) != LIGO_OK) return fail("grow", ctx);
    ctxlen = g->large.family == LIGO_VIT || ctxlen == 0 ? g->large.ctx_len : ctxlen;
    if (op_in && ligo_grow_load(ctx, g, op_in) != LIGO_OK) return fail("grow", ctx);
    if (batches_out && (g->n == 0 || fit_steps == 0)) {
        const char *why = g->n == 0 ? "its operator has no learned part" : "--fit-steps 0";
        ligo_ctx_free(ctx); /* g with it */
        return tool_usage_error("grow", "--fit-batches-out: %s fits nothing (%s)", method, why);
    }
    /* --resume: the training continues from --out only when no fitting is
     * left (a fitting still running means --out is not this run's) */
    train_resume = resume;
    if (resume && fit_path && g->n > 0 && fit_steps > 0) {
        train_resume = 0;
        if (file_exists(fit_path)) {
            if (ligo_grow_resume(ctx, g, fit_path) != LIGO_OK) return fail("grow", ctx);
            train_resume = g->fit_step == fit_steps;
            fprintf(stderr, "ligo grow: %s holds the fitting at step %lld/%lld%s\n", fit_path,
                    (long long)g->fit_step, (long long)fit_steps, train_resume ? " (complete)" : "; continuing");
        } else {
            fprintf(stderr, "ligo grow: --resume: no fitting state at %s; fitting from the start\n", fit_path);
        }
    }
    if (fit_path) catch_stop_signals(1);
    s = ligo_grow_fit(ctx, g, &d);
    if (fit_path) catch_stop_signals(0);
    if (s != LIGO_OK) return fail("grow", ctx);
    if (batches_out && rec.steps > 0 && batch_rec_write(ctx, &rec, &g->large, batches_out) != LIGO_OK)
        return fail("grow", ctx);
    if (batches_out && rec.steps == 0)
        fprintf(stderr, "ligo grow: no fitting step ran (the fitting was complete); %s not written\n", batches_out);
    if (g->n > 0 && g->fit_step < g->cfg.fit_steps) { /* interrupted: the state is saved */
        fprintf(stderr, "ligo grow: interrupted at fitting step %lld/%lld; fitting state saved to %s (continue with "
                "--resume)\n", (long long)g->fit_step, (long long)fit_steps, fit_path);
        printf("{\"command\":\"grow\",\"ok\":true,\"interrupted\":true,\"fit_step\":%lld,\"fit_ckpt\":",
               (long long)g->fit_step);
        tool_json_str(stdout, fit_path);
        printf("}\n");
        ligo_ctx_free(ctx);
        return 0;
    }
    if (op_out && (g->n > 0 || g->noise) && ligo_grow_save(ctx, g, op_out) != LIGO_OK) return fail("grow", ctx);
    big = ligo_grow_apply(ctx, g);
    if (!big) return fail("grow", ctx);
    if (ligo_evaluate(ctx, big, &d, batch, ctxlen, eval_windows, &e0) != LIGO_OK) return fail("grow", ctx);
    e1 = e0;
    if (steps > 0) {
        tr = ligo_trainer_new(ctx, big, &d, &tc);
        if (!tr) return fail("grow", ctx);
        if (train_resume && file_exists(out)) {
            if (ligo_trainer_resume(ctx, tr, out) != LIGO_OK) return fail("grow", ctx);
            fprintf(stderr, "ligo grow: resuming the training at step %lld from %s\n", (long long)tr->step, out);
        }
        catch_stop_signals(1);
        if (ligo_trainer_run(ctx, tr) != LIGO_OK) return fail("grow", ctx);
        catch_stop_signals(0);
        interrupted = g_interrupt;
        if (interrupted)
            fprintf(stderr, "ligo grow: interrupted after training step %lld; checkpoint saved to %s (continue with "
                    "--resume)\n", (long long)tr->step, out);
        e1.loss = tr->last_val;
        e1.accuracy = tr->last_acc;
    } else if (ligo_model_save(ctx, big, out) != LIGO_OK) {
        return fail("grow", ctx);
    }
    total = g->fit_flops + (tr ? tr->train_flops : 0.0);
    printf("{\"command\":\"grow\",\"ok\":true,\"method\":\"%s\",\"family\":\"%s\",\"small_params\":%lld,"
           "\"large_params\":%lld,\"operator_params\":%lld,\"operator_flops\":%.6g,\"operator_seconds\":%.3f,"
           "\"fit_loss_first\":%.6f,\"fit_loss_last\":%.6f,\"val_loss_grown\":%.6f,",
           method, ligo_family_name(lc.family), (long long)small->n_floats, (long long)big->n_floats, (long long)g->n,
           g->fit_flops, g->fit_seconds, (double)g->fit_loss_first, (double)g->fit_loss_last, e0.loss);
    if (e0.accuracy >= 0) printf("\"val_accuracy_grown\":%.6f,", e0.accuracy);
    printf("\"train_steps\":%lld,\"interrupted\":%s,\"train_flops\":%.6g,\"val_loss\":%.6f,",
           (long long)(tr ? tr->step : 0), interrupted ? "true" : "false", tr ? tr->train_flops : 0.0, e1.loss);
    if (e1.accuracy >= 0) printf("\"val_accuracy\":%.6f,", e1.accuracy);
    printf("\"total_flops\":%.6g,\"out\":", total);
    tool_json_str(stdout, out);
    if (op_out && (g->n > 0 || g->noise)) {
        printf(",\"operator_out\":");
        tool_json_str(stdout, op_out);
    }
    if (fit_path && g->n > 0 && fit_steps > 0) {
        printf(",\"fit_ckpt\":");
        tool_json_str(stdout, fit_path);
    }
    printf("}\n");
    ligo_ctx_free(ctx);
    return 0;
}


/* --------------------------------------------------------------- export */

static int cmd_export(int argc, char **argv) {
    const char *model = NULL, *dir = NULL;
    tool_opt opts[] = {{"--model", 's', &model, 0, 0, "ligo checkpoint"},
                       {"--hf", 's', &dir, 0, 0, "directory to write config.json and model.safetensors into"},
                       {NULL, 0, NULL, 0, 0, NULL}};
    ligo_ctx *ctx;
    ligo_model *m;
    int r = tool_parse("export", "Write a checkpoint as a Hugging Face model directory (GPT2LMHeadModel,\n"
                                 "BertForMaskedLM or ViTForImageClassification).",
                       argc, argv, opts);
    if (r) return r == 1 ? 0 : r;
    if (!model || !dir) return tool_usage_error("export", "--model and --hf are required%s%s", "", "");
    if (tool_dry_run) return 0;
    ctx = make_ctx("export", 1);
    if (!ctx) return 1;
    m = ligo_model_load(ctx, model);
    if (!m) return fail("export", ctx);
    if (tool_mkdir(dir) != 0 && errno != EEXIST) {
        ligo_set_error(ctx, LIGO_EIO, "cannot create %s: %s", dir, strerror(errno));
        return fail("export", ctx);
    }
    if (ligo_model_export_hf(ctx, m, dir) != LIGO_OK) return fail("export", ctx);
    printf("{\"command\":\"export\",\"ok\":true,\"family\":\"%s\",\"dir\":", ligo_family_name(m->cfg.family));
    tool_json_str(stdout, dir);
    printf(",\"files\":[\"config.json\",\"model.safetensors\"]}\n");
    ligo_ctx_free(ctx);
    return 0;
}

/* --------------------------------------------------------------- import */

static int cmd_import(int argc, char **argv) {
    const char *dir = NULL, *out = NULL;
    tool_opt opts[] = {{"--hf", 's', &dir, 0, 0, "Hugging Face model directory (config.json, model.safetensors)"},
                       {"--out", 's', &out, 0, 0, "ligo checkpoint to write"},
                       {NULL, 0, NULL, 0, 0, NULL}};
    ligo_ctx *ctx;
    ligo_model *m;
    int r = tool_parse("import", "Read a Hugging Face model directory (GPT2LMHeadModel, BertForMaskedLM or\n"
                                 "ViTForImageClassification, as save_pretrained writes it) into a ligo checkpoint.",
                       argc, argv, opts);
    if (r) return r == 1 ? 0 : r;
    if (!dir || !out) return tool_usage_error("import", "--hf and --out are required%s%s", "", "");
    if (tool_dry_run) return 0;
    ctx = make_ctx("import", 1);
    if (!ctx) return 1;
    m = ligo_model_import_hf(ctx, dir);
    if (!m || ligo_model_save(ctx, m, out) != LIGO_OK) return fail("import", ctx);
    printf("{\"command\":\"import\",\"ok\":true,\"family\":\"%s\",\"n_layer\":%lld,\"d_model\":%lld,\"out\":",
           ligo_family_name(m->cfg.family), (long long)m->cfg.n_layer, (long long)m->cfg.d_model);
    tool_json_str(stdout, out);
    printf("}\n");
    ligo_ctx_free(ctx);
    return 0;
}

/* ----------------------------------------------------------------- main */

static void main_help(void) {
    printf("ligo %s: train transformers on a CPU and grow them with LiGO\n\n"
           "usage: ligo COMMAND [options]   (ligo COMMAND --help for its options)\n\n"
           "commands:\n"
           "  train    train a GPT, BERT, ViT or LLaMA model\n"
           "  eval     validation loss of a checkpoint\n"
           "  sample   generate text from a GPT checkpoint\n"
           "  grow     grow a trained model into a larger one (LiGO or a baseline)\n"
           "  bench    growth: the benchmark of every growth method (ligo bench growth --help)\n"
           "  export   write a checkpoint as a Hugging Face model directory\n"
           "  import   read a Hugging Face model directory into a checkpoint\n"
           "  show     draw what a growth operator learned (SVG)\n",
           LIGO_VERSION_STRING);
}

/* The fuzz target of the argument parsing compiles this file with
 * LIGO_TOOL_MAIN set to another name and calls it with tool_dry_run set. */
#ifndef LIGO_TOOL_MAIN
#define LIGO_TOOL_MAIN main
#endif
int LIGO_TOOL_MAIN(int argc, char **argv);
int LIGO_TOOL_MAIN(int argc, char **argv) {
    tool_binary_stdio();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        main_help();
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        /* and the GEMM kernel this build and CPU run (the op kernels follow it) */
        printf("ligo %s (kernels: %s)\n", LIGO_VERSION_STRING, ligo_sgemm_kernel_name());
        return 0;
    }
    if (strcmp(argv[1], "train") == 0) return cmd_train(argc - 2, argv + 2);
    if (strcmp(argv[1], "eval") == 0) return cmd_eval(argc - 2, argv + 2);
    if (strcmp(argv[1], "sample") == 0) return cmd_sample(argc - 2, argv + 2);
    if (strcmp(argv[1], "grow") == 0) return cmd_grow(argc - 2, argv + 2);
    if (strcmp(argv[1], "bench") == 0) return tool_dry_run ? 0 : cmd_bench(argc - 2, argv + 2);
    if (strcmp(argv[1], "export") == 0) return cmd_export(argc - 2, argv + 2);
    if (strcmp(argv[1], "import") == 0) return cmd_import(argc - 2, argv + 2);
    if (strcmp(argv[1], "show") == 0) return cmd_show(argc - 2, argv + 2);
    fprintf(stderr, "ligo: unknown command '%s' (try: ligo --help)\n", argv[1]);
    return 2;
}
