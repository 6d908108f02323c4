/* bench_growth.h: what the growth benchmark's two files share: the
 * protocol of one setting and family, the method entries, one run's
 * measurements, and the report. bench_growth.c runs, bench_report.c
 * analyses and writes. */
#ifndef LIGO_BENCH_GROWTH_H
#define LIGO_BENCH_GROWTH_H

#include "../ligo.h"
#include "bench_stats.h"

#define BG_MAX_POINTS 96  /* trunk evaluations of one run */
#define BG_MAX_BRANCH 12  /* annealed branches of one run */
#define BG_MAX_SEEDS 32
#define BG_MAX_ENTRIES 24 /* methods and their variants */
#define BG_MAX_PROTOS 12  /* settings x families */

typedef enum bg_setting { BG_DEPTH = 0, BG_WIDTH, BG_BOTH, BG_SETTING_COUNT } bg_setting;

const char *bg_setting_name(bg_setting s);

/* Everything that decides the numbers of one setting and family. */
typedef struct bg_proto {
    bg_setting setting;
    ligo_family family;
    ligo_config small, large;
    int64_t small_steps;  /* the small model's training (cosine), cached, not counted */
    float small_lr;
    int64_t steps;        /* the large budget N, in training steps of the large model */
    int64_t batch, ctx;
    float lr, lr_min;
    int64_t warmup;       /* every run's warm-up (scratch's and, by default, the grown models') */
    int64_t grown_warmup; /* < 0: grown models warm up as scratch does; >= 0: their own (a study) */
    int cosine;           /* 0: WSD with branches; 1: one cosine run per branch budget */
    int n_branch;         /* annealed budgets N k / n_branch, k = 1..n_branch */
    double decay_frac;    /* WSD: each branch's decay, a fraction of its budget */
    int64_t n_evals;      /* trunk evaluations besides the one right after growth */
    int64_t eval_windows; /* 0: the whole validation split (ViT: every test image) */
    int64_t eval_batch;
    int64_t fit_steps, fit_warmup;
    float fit_lr;
    float noise;
    int full_width, width_first, residual;
    int depth_init, width_init; /* ligo_depth_init / ligo_width_init */
    const char *data;           /* text file or IDX directory */
    char data_id[32];           /* a hash of the data's bytes */
} bg_proto;

/* A method as run: the growth method, and the options a variant changes
 * (< 0 keeps the protocol's). */
typedef struct bg_entry {
    char label[64]; /* "stack", "ligo:fit_lr=0.003" */
    ligo_grow_method method;
    int64_t fit_steps, grown_warmup;
    double fit_lr, noise, lr; /* lr: the large run's peak learning rate */
    int base;    /* the entry holding this method's defaults (itself when it is one) */
    int learned; /* LiGO in any form */
} bg_entry;

/* One run's measurements. Point 0 of the trunk is the model right after
 * growth (FLOPs: the fitting); branches are the annealed losses at the
 * budgets N k / n_branch, all at equal FLOPs across methods: a method
 * that spent FLOPs fitting trains that many fewer steps. */
typedef struct bg_run {
    int ok;
    char error[256];
    double fit_flops, fit_seconds, step_flops;
    int64_t offset;      /* training steps the fitting cost */
    int64_t eval_count;  /* predictions (ViT: images) per evaluation */
    int n;
    int64_t steps[BG_MAX_POINTS];
    double flops[BG_MAX_POINTS], seconds[BG_MAX_POINTS], loss[BG_MAX_POINTS], acc[BG_MAX_POINTS];
    int n_branch;
    int64_t b_steps[BG_MAX_BRANCH];
    double b_flops[BG_MAX_BRANCH], b_seconds[BG_MAX_BRANCH], b_loss[BG_MAX_BRANCH], b_acc[BG_MAX_BRANCH];
} bg_run;

/* The small model of a protocol. */
typedef struct bg_small {
    int ok;
    char path[1024];
    double flops, seconds, val_loss;
} bg_small;

/* What the report needs. runs[p][e][s] is NULL where a run was not made
 * (a variant not chosen, on the report seeds) or failed. */
typedef struct bg_results {
    int n_protos, n_entries;
    bg_proto protos[BG_MAX_PROTOS];
    bg_small small[BG_MAX_PROTOS];
    bg_entry entries[BG_MAX_ENTRIES];
    int in_setting[BG_SETTING_COUNT][BG_MAX_ENTRIES]; /* entry e runs in setting s */
    int select_seeds, report_seeds;                   /* seeds [0, select) choose, [select, select + report) report */
    int chosen[BG_MAX_PROTOS][BG_MAX_ENTRIES];        /* per base entry: the entry reported for it */
    int best_baseline[BG_MAX_PROTOS];                 /* entry index, -1 when none */
    bg_run *runs[BG_MAX_PROTOS][BG_MAX_ENTRIES][BG_MAX_SEEDS];
    char *op_path[BG_MAX_PROTOS][BG_MAX_ENTRIES][BG_MAX_SEEDS]; /* a learned run's operator file, or NULL */
    int jobs;          /* wall times are reported only with one job at a time */
    const char *mode;  /* "", "quick", "demo" */
    const char *out_dir, *tag;
    double seconds;
    int failed;
} bg_results;

/* bench_report.c: choose the variants and the best baseline on the
 * selection seeds (before the report seeds run), then write the Markdown
 * table (also to stdout), the CSV curves, one SVG per protocol and, last,
 * the JSON line. Returns non-zero when an output could not be written. */
void bg_choose(bg_results *R, int p);
/* bench_growth.c: make sure the operator file of learned run (p, e, seed)
 * exists (fitting it again, deterministically, when a cached run has
 * none); 0 when it does. */
int bg_operator_file(const bg_results *R, int p, int e, int seed);
/* An entry's fitting steps under a protocol. */
int64_t bg_fit_steps_of(const bg_proto *p, const bg_entry *e);
int bg_report(bg_results *R);

#endif
