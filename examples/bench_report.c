/* bench_report.c: the growth benchmark's analysis and outputs: the choice
 * of variants and of the best baseline on the selection seeds, and on the
 * report seeds the paired loss differences at equal FLOPs, the annealed
 * losses, the FLOPs saved to reach scratch's annealed losses; Markdown,
 * CSV, SVG and the JSON line. */
#include "bench_growth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* The learned method a setting is about. */
static ligo_grow_method bg_main_method(bg_setting s) {
    return s == BG_DEPTH ? LIGO_GROW_LIGO_DEPTH : s == BG_WIDTH ? LIGO_GROW_LIGO_WIDTH : LIGO_GROW_LIGO;
}

static int bg_is_baseline(const bg_entry *e) { return !e->learned && e->method != LIGO_GROW_SCRATCH; }

/* Mean over seeds [lo, hi) of the run's mean annealed loss over budgets;
 * HUGE_VAL when no run. */
static double bg_score(const bg_results *R, int p, int e, int lo, int hi) {
    double sum = 0.0;
    int s, k, n = 0;
    for (s = lo; s < hi; s++) {
        const bg_run *r = R->runs[p][e][s];
        double m = 0.0;
        if (!r || r->n_branch < 1) continue;
        for (k = 0; k < r->n_branch; k++) m += r->b_loss[k];
        sum += m / r->n_branch;
        n++;
    }
    return n ? sum / n : HUGE_VAL;
}

static void bg_pick_baseline(bg_results *R, int p, int lo, int hi) {
    double best = HUGE_VAL;
    int b;
    R->best_baseline[p] = -1;
    for (b = 0; b < R->n_entries; b++) {
        int c = R->chosen[p][b];
        double sc;
        if (R->entries[b].base != b || !R->in_setting[R->protos[p].setting][b] || !bg_is_baseline(&R->entries[b])) continue;
        sc = bg_score(R, p, c, lo, hi);
        if (sc < best) {
            best = sc;
            R->best_baseline[p] = c;
        }
    }
}

void bg_choose(bg_results *R, int p) {
    int e, v;
    for (e = 0; e < R->n_entries; e++) R->chosen[p][e] = e;
    R->best_baseline[p] = -1;
    if (R->select_seeds == 0) return; /* chosen on the report seeds in bg_report, and said so */
    for (e = 0; e < R->n_entries; e++) {
        double best;
        if (R->entries[e].base != e || !R->in_setting[R->protos[p].setting][e]) continue;
        best = bg_score(R, p, e, 0, R->select_seeds);
        for (v = 0; v < R->n_entries; v++) {
            double sc;
            if (v == e || R->entries[v].base != e) continue;
            sc = bg_score(R, p, v, 0, R->select_seeds);
            if (sc < best) {
                best = sc;
                R->chosen[p][e] = v;
            }
        }
    }
    bg_pick_baseline(R, p, 0, R->select_seeds);
}

/* The seeds the tables report: the report seeds, or in a study without
 * them (--report-seeds 0) the selection seeds themselves. */
static void bg_range(const bg_results *R, int *lo, int *hi) {
    *lo = R->report_seeds ? R->select_seeds : 0;
    *hi = R->select_seeds + R->report_seeds;
}

/* ------------------------------------------------------------- measures */

/* Per-seed values over the report seeds where both runs exist. */
typedef struct bg_vals {
    double x[BG_MAX_SEEDS], y[BG_MAX_SEEDS];
    int n, never, at_growth;
} bg_vals;

/* Scratch's entry in protocol p: the targets. With variants of scratch
 * (its learning rate, say) the one chosen on the selection seeds. */
static int bg_scratch(const bg_results *R, int p) { return R->chosen[p][0]; }

/* FLOPs saving of entry e against scratch's annealed loss at budget k. */
static void bg_savings(const bg_results *R, int p, int e, int k, int lo, int hi, bg_vals *v) {
    int s;
    memset(v, 0, sizeof *v);
    for (s = lo; s < hi; s++) {
        const bg_run *r = R->runs[p][e][s], *sc = R->runs[p][bg_scratch(R, p)][s];
        double fl[BG_MAX_BRANCH + 1], lo_[BG_MAX_BRANCH + 1], F;
        int j, at = 0;
        if (!r || !sc || r->n_branch <= k || sc->n_branch <= k) continue;
        fl[0] = r->flops[0];
        lo_[0] = r->loss[0];
        for (j = 0; j < r->n_branch; j++) {
            fl[j + 1] = r->b_flops[j];
            lo_[j + 1] = r->b_loss[j];
        }
        F = bs_reach(fl, lo_, r->n_branch + 1, sc->b_loss[k], &at);
        if (F < 0) {
            F = r->b_flops[r->n_branch - 1]; /* never: the whole budget */
            v->never++;
        }
        v->at_growth += at;
        v->x[v->n++] = 1.0 - F / sc->b_flops[k];
    }
}

/* Whether scratch's mean annealed loss at budget k is above the small
 * model's loss: a target any function-preserving growth meets at once. */
static int bg_target_above_small(const bg_results *R, int p, int k, int lo, int hi) {
    double sum = 0.0;
    int s, n = 0;
    const int sx = bg_scratch(R, p);
    for (s = lo; s < hi; s++)
        if (R->runs[p][sx][s] && R->runs[p][sx][s]->n_branch > k) {
            sum += R->runs[p][sx][s]->b_loss[k];
            n++;
        }
    return n && sum / n > R->small[p].val_loss;
}

/* Wall-time saving to reach scratch's final annealed loss. */
static void bg_time_savings(const bg_results *R, int p, int e, int lo, int hi, bg_vals *v) {
    int s;
    memset(v, 0, sizeof *v);
    for (s = lo; s < hi; s++) {
        const bg_run *r = R->runs[p][e][s], *sc = R->runs[p][bg_scratch(R, p)][s];
        double fl[BG_MAX_BRANCH + 1], lo_[BG_MAX_BRANCH + 1], T;
        int j, at = 0, K;
        if (!r || !sc || r->n_branch < 1 || sc->n_branch < 1) continue;
        K = sc->n_branch - 1;
        fl[0] = r->seconds[0];
        lo_[0] = r->loss[0];
        for (j = 0; j < r->n_branch; j++) {
            fl[j + 1] = r->b_seconds[j];
            lo_[j + 1] = r->b_loss[j];
        }
        T = bs_reach(fl, lo_, r->n_branch + 1, sc->b_loss[K], &at);
        if (T < 0) {
            T = r->b_seconds[r->n_branch - 1];
            v->never++;
        }
        v->x[v->n++] = 1.0 - T / sc->b_seconds[K];
    }
}

/* Annealed loss of e at budget k (k = -1: right after growth). */
static void bg_losses(const bg_results *R, int p, int e, int k, int lo, int hi, int acc, bg_vals *v) {
    int s;
    memset(v, 0, sizeof *v);
    for (s = lo; s < hi; s++) {
        const bg_run *r = R->runs[p][e][s];
        if (!r || r->n_branch <= k) continue;
        v->x[v->n++] = k < 0 ? (acc ? r->acc[0] : r->loss[0]) : acc ? r->b_acc[k] : r->b_loss[k];
    }
}

/* Paired a - b of the annealed loss at budget k. */
static bs_paired bg_pair_at(const bg_results *R, int p, int a, int b, int k, int lo, int hi) {
    bg_vals v;
    int s;
    memset(&v, 0, sizeof v);
    for (s = lo; s < hi; s++) {
        const bg_run *ra = R->runs[p][a][s], *rb = R->runs[p][b][s];
        if (!ra || !rb || ra->n_branch <= k || rb->n_branch <= k) continue;
        v.x[v.n] = ra->b_loss[k];
        v.y[v.n] = rb->b_loss[k];
        v.n++;
    }
    return bs_pair(v.x, v.y, v.n);
}

/* Paired a - b of the mean annealed loss over budgets (variants). */
static bs_paired bg_pair_mean(const bg_results *R, int p, int a, int b, int lo, int hi) {
    bg_vals v;
    int s, k;
    memset(&v, 0, sizeof v);
    for (s = lo; s < hi; s++) {
        const bg_run *ra = R->runs[p][a][s], *rb = R->runs[p][b][s];
        double x = 0.0, y = 0.0;
        if (!ra || !rb || ra->n_branch < 1 || ra->n_branch != rb->n_branch) continue;
        for (k = 0; k < ra->n_branch; k++) {
            x += ra->b_loss[k];
            y += rb->b_loss[k];
        }
        v.x[v.n] = x / ra->n_branch;
        v.y[v.n] = y / ra->n_branch;
        v.n++;
    }
    return bs_pair(v.x, v.y, v.n);
}

/* --------------------------------------------------------------- text */

static void bg_frac(char *s, size_t n, int k, int K) {
    if (k + 1 == K) snprintf(s, n, "N");
    else snprintf(s, n, "%d/%d N", k + 1, K);
}

/* mean ± ci95 (the half-width printed without a sign). */
static void bg_cell_sum(FILE *f, const bs_summary *s, const char *fmt, double scale) {
    char unsigned_fmt[16];
    size_t i, j = 0;
    for (i = 0; fmt[i] && j + 1 < sizeof unsigned_fmt; i++)
        if (fmt[i] != '+') unsigned_fmt[j++] = fmt[i];
    unsigned_fmt[j] = '\0';
    fprintf(f, fmt, scale * s->mean);
    if (s->ci95 >= 0) {
        fprintf(f, " ± ");
        fprintf(f, unsigned_fmt, scale * s->ci95);
    }
}

static const char *bg_family_title(ligo_family f) {
    return f == LIGO_GPT ? "GPT" : f == LIGO_BERT ? "BERT" : f == LIGO_LLAMA ? "LLaMA" : "ViT";
}

/* Every entry reported in protocol p, in order: the chosen one per base. */
static int bg_reported(const bg_results *R, int p, int *out) {
    int e, n = 0;
    for (e = 0; e < R->n_entries; e++)
        if (R->entries[e].base == e && R->in_setting[R->protos[p].setting][e]) out[n++] = R->chosen[p][e];
    return n;
}

static int bg_find_method(const bg_results *R, int p, ligo_grow_method m) {
    int list[BG_MAX_ENTRIES], n = bg_reported(R, p, list), i;
    for (i = 0; i < n; i++)
        if (R->entries[list[i]].method == m) return list[i];
    return -1;
}

/* Any run of protocol p, for the shared figures (budget FLOPs, offsets). */
static const bg_run *bg_any_run(const bg_results *R, int p, int e) {
    int s;
    for (s = 0; s < BG_MAX_SEEDS; s++)
        if (R->runs[p][e][s]) return R->runs[p][e][s];
    return NULL;
}

static void bg_write_proto(FILE *f, const bg_results *R, int p, const char *svg) {
    const bg_proto *P = &R->protos[p];
    const bg_small *sm = &R->small[p];
    const bg_run *sr = bg_any_run(R, p, 0), *lr;
    int list[BG_MAX_ENTRIES], n = bg_reported(R, p, list), lo, hi;
    int K = P->n_branch, i, k, main_e = bg_find_method(R, p, bg_main_method(P->setting)), b, at_total = 0, at_above = 0;
    int above[BG_MAX_BRANCH];
    char fr[32];
    bg_vals v;
    bg_range(R, &lo, &hi);
    fprintf(f, "## %s, %s: %lld x %lld -> %lld x %lld\n\n", bg_family_title(P->family), bg_setting_name(P->setting),
            (long long)P->small.n_layer, (long long)P->small.d_model, (long long)P->large.n_layer,
            (long long)P->large.d_model);
    fprintf(f, "- Small model: %lld layers x %lld (%lld heads), %lld steps (%.3g FLOPs, %.0f s; not counted below), "
               "validation loss %.4f.\n",
            (long long)P->small.n_layer, (long long)P->small.d_model, (long long)P->small.n_head,
            (long long)P->small_steps, sm->flops, sm->seconds, sm->val_loss);
    fprintf(f, "- Large model: %lld x %lld (%lld heads of %lld), budget N = %lld steps of batch %lld%s%s",
            (long long)P->large.n_layer, (long long)P->large.d_model, (long long)P->large.n_head,
            (long long)(P->large.d_model / P->large.n_head), (long long)P->steps, (long long)P->batch,
            P->family == LIGO_VIT ? " images" : " x ", P->family == LIGO_VIT ? "" : "");
    if (P->family != LIGO_VIT) fprintf(f, "%lld tokens", (long long)P->ctx);
    if (sr) fprintf(f, " (%.3g FLOPs)", sr->b_flops[sr->n_branch - 1]);
    for (i = 0; i < R->n_entries && !(R->entries[i].lr > 0 && R->in_setting[P->setting][i]); i++) {}
    fprintf(f, "; peak rate %.3g%s, warm-up %lld steps%s; ", (double)P->lr,
            i < R->n_entries ? " (variants with their own rate are labelled lr=)" : "", (long long)P->warmup,
            P->grown_warmup >= 0 ? " (grown models: their own, see below)" : " (grown models too)");
    if (P->cosine) fprintf(f, "cosine to %.3g, one run per budget N k/%d.\n", (double)P->lr_min, K);
    else
        fprintf(f, "warmup-stable-decay, each budget N k/%d (k = 1..%d) annealed by a linear decay to %.3g over its last "
                   "%.0f%%, branched from the stable run.\n",
                K, K, (double)P->lr_min, 100.0 * P->decay_frac);
    if (main_e >= 0 && (lr = bg_any_run(R, p, main_e)) != NULL)
        fprintf(f, "- Fitting (learned methods): %lld steps = %lld training steps of the large model in FLOPs, %.1f%% of "
                   "N, taken off their budget so that every method meets at equal FLOPs.\n",
                (long long)bg_fit_steps_of(P, &R->entries[main_e]), (long long)lr->offset,
                100.0 * lr->fit_flops / lr->b_flops[lr->n_branch - 1]);
    if (sr) {
        fprintf(f, "- Validation: %lld %s%s, the same for every run, evaluated %lld times per run beside the %d annealed "
                   "budgets.\n",
                (long long)sr->eval_count,
                P->family == LIGO_VIT ? "test images" : P->family == LIGO_BERT ? "masked predictions (a fixed mask)" : "predictions",
                P->family == LIGO_VIT ? (P->eval_windows ? ", spread over the test set" : " (all of them)")
                                      : (P->eval_windows ? " from windows spread over the validation split" : " (every window of the validation split)"),
                (long long)P->n_evals, K);
    }
    if (R->select_seeds && !R->report_seeds)
        fprintf(f, "- Seeds: %d to %d, a study: they choose the variants and the best baseline and are reported too "
                   "(nothing held out).\n", 0, hi - 1);
    else if (R->select_seeds)
        fprintf(f, "- Seeds: %d to %d choose the variants and the best baseline; %d to %d (%d runs each) are reported.\n", 0,
                R->select_seeds - 1, R->select_seeds, hi - 1, R->report_seeds);
    else
        fprintf(f, "- Seeds: %d to %d, reported; the best baseline is chosen on the same seeds (no held-out set).\n", 0,
                hi - 1);
    /* the budget rule: scratch below the small model's loss before N/2 */
    if (sr) {
        int kh = K / 2 - 1;
        bg_losses(R, p, bg_scratch(R, p), kh, lo, hi, 0, &v);
        {
            bs_summary s = bs_summarise(v.x, v.n);
            bg_frac(fr, sizeof fr, kh, K);
            fprintf(f, "- Budget rule (scratch passes the small model's loss by N/2): %s (scratch's annealed loss at %s: "
                       "%.4f; small model %.4f).\n",
                    s.n && s.mean < sm->val_loss ? "met" : "NOT met", fr, s.mean, sm->val_loss);
        }
    }
    for (k = 0; k < K; k++) above[k] = bg_target_above_small(R, p, k, lo, hi);
    for (i = 0; i < n; i++)
        for (k = 0; k < K; k++) {
            bg_savings(R, p, list[i], k, lo, hi, &v);
            if (above[k]) at_above += v.at_growth;
            else at_total += v.at_growth;
        }
    fprintf(f, "- Targets met right at growth (a saving that measures the small model, not the method), among the "
               "targets below the small model's loss: %d%s.\n",
            at_total, at_above ? "; at the budgets marked † scratch is still above the small model's loss, and "
                                 "methods that start near it meet those targets at growth" : "");
    if (R->best_baseline[p] >= 0)
        fprintf(f, "- Best baseline (lowest mean annealed loss over the budgets on the %s seeds): %s.\n",
                R->select_seeds ? "selection" : "same", R->entries[R->best_baseline[p]].label);
    fprintf(f, "- Chart: %s\n", svg);
    /* what each learned method's operator learned, on the first reported seed */
    for (i = 0; i < n; i++) {
        int e = list[i], s;
        char dir[1200], depth[1300], width[1300], why[1300];
        if (!R->entries[e].learned) continue;
        for (s = lo; s < hi && !R->runs[p][e][s]; s++) {}
        if (s >= hi || bg_operator_file(R, p, e, s)) continue;
        snprintf(dir, sizeof dir, "%s/ops_%s_%s_%s%s", R->out_dir, bg_setting_name(P->setting),
                 ligo_family_name(P->family), R->entries[e].label, R->tag);
        if (tool_show_operator(R->op_path[p][e][s], dir, depth, width, sizeof depth, why, sizeof why)) {
            fprintf(stderr, "bench: %s\n", why);
            continue;
        }
        fprintf(f, "- The %s operator of seed %d: depth coefficients %s, width factors %s\n", R->entries[e].label, s,
                depth[0] ? depth : "(none)", width[0] ? width : "(none)");
    }
    fprintf(f, "\n");

    /* paired differences */
    fprintf(f, "Paired difference of the annealed validation loss at equal FLOPs (learned method minus the other; "
               "negative: the learned method is lower). Cells: mean ± 95%% t-interval (seeds where the learned method "
               "is lower / seeds); \"no difference measured\" where the interval includes zero.\n\n| pair |");
    for (k = 0; k < K; k++) {
        bg_frac(fr, sizeof fr, k, K);
        fprintf(f, " %s |", fr);
    }
    fprintf(f, "\n|---|");
    for (k = 0; k < K; k++) fprintf(f, "---|");
    fprintf(f, "\n");
    for (i = 0; i < n; i++) {
        int a = list[i], order;
        if (!R->entries[a].learned) continue;
        for (order = 0; order < 3; order++)
            for (b = 0; b < n; b++) {
                int o = list[b];
                int is_best = o == R->best_baseline[p], is_scratch = R->entries[o].method == LIGO_GROW_SCRATCH;
                if (o == a || R->entries[o].learned) continue;
                if ((order == 0) != is_best || (order == 1) != (is_scratch && !is_best)) continue;
                fprintf(f, "| %s − %s%s |", R->entries[a].label, R->entries[o].label, is_best ? " (best baseline)" : "");
                for (k = 0; k < K; k++) {
                    bs_paired pr = bg_pair_at(R, p, a, o, k, lo, hi);
                    fprintf(f, " ");
                    bg_cell_sum(f, &pr.d, "%+.4f", 1.0);
                    fprintf(f, " (%d/%d)%s |", pr.wins, pr.d.n, bs_includes_zero(&pr.d) ? " no difference measured" : "");
                }
                fprintf(f, "\n");
            }
    }
    /* annealed losses */
    fprintf(f, "\nAnnealed validation loss at each budget (mean ± 95%% t-interval over the reported seeds); first column: "
               "right after growth.\n\n| method | after growth |");
    for (k = 0; k < K; k++) {
        bg_frac(fr, sizeof fr, k, K);
        fprintf(f, " %s |", fr);
    }
    if (P->family == LIGO_VIT) fprintf(f, " accuracy at N |");
    fprintf(f, "\n|---|---|");
    for (k = 0; k < K; k++) fprintf(f, "---|");
    if (P->family == LIGO_VIT) fprintf(f, "---|");
    fprintf(f, "\n");
    for (i = 0; i < n; i++) {
        bs_summary s;
        fprintf(f, "| %s |", R->entries[list[i]].label);
        for (k = -1; k < K; k++) {
            bg_losses(R, p, list[i], k, lo, hi, 0, &v);
            s = bs_summarise(v.x, v.n);
            fprintf(f, " ");
            bg_cell_sum(f, &s, "%.4f", 1.0);
            fprintf(f, " |");
        }
        if (P->family == LIGO_VIT) {
            bg_losses(R, p, list[i], K - 1, lo, hi, 1, &v);
            s = bs_summarise(v.x, v.n);
            fprintf(f, " ");
            bg_cell_sum(f, &s, "%.4f", 1.0);
            fprintf(f, " |");
        }
        fprintf(f, "\n");
    }
    /* savings */
    fprintf(f, "\nFLOPs saved to reach scratch's annealed loss at each budget (same seed), interpolated linearly in FLOPs "
               "on the method's annealed losses (the model after growth, then each budget): mean ± 95%% t-interval; "
               "\"never\" counts the whole budget.%s\n\n| method |",
            R->jobs == 1 ? " Last column: wall time saved to reach the final target." : "");
    for (k = 0; k < K; k++) {
        bg_frac(fr, sizeof fr, k, K);
        fprintf(f, " target %s%s |", fr, above[k] ? " †" : "");
    }
    if (R->jobs == 1) fprintf(f, " wall time |");
    fprintf(f, "\n|---|");
    for (k = 0; k < K; k++) fprintf(f, "---|");
    if (R->jobs == 1) fprintf(f, "---|");
    fprintf(f, "\n");
    for (i = 0; i < n; i++) {
        bs_summary s;
        if (R->entries[list[i]].method == LIGO_GROW_SCRATCH) continue;
        fprintf(f, "| %s |", R->entries[list[i]].label);
        for (k = 0; k < K; k++) {
            bg_savings(R, p, list[i], k, lo, hi, &v);
            s = bs_summarise(v.x, v.n);
            fprintf(f, " ");
            bg_cell_sum(f, &s, "%.1f%%", 100.0);
            if (v.never) fprintf(f, " (never in %d)", v.never);
            if (v.at_growth) fprintf(f, " (at growth in %d)", v.at_growth);
            fprintf(f, " |");
        }
        if (R->jobs == 1) {
            bg_time_savings(R, p, list[i], lo, hi, &v);
            s = bs_summarise(v.x, v.n);
            fprintf(f, " ");
            bg_cell_sum(f, &s, "%.1f%%", 100.0);
            fprintf(f, " |");
        }
        fprintf(f, "\n");
    }
    for (k = 0; k < K && !above[k]; k++) {}
    if (k < K)
        fprintf(f, "\n† scratch's annealed loss at that budget is still above the small model's (%.4f): a method that "
                   "starts near the small model meets it at growth, so the saving measures the small model.\n",
                sm->val_loss);
    /* variants on the selection seeds */
    {
        int any = 0, e;
        for (e = 0; e < R->n_entries; e++)
            if (R->entries[e].base != e && R->in_setting[P->setting][e]) any = 1;
        if (any && R->select_seeds) {
            fprintf(f, "\nVariants, on the selection seeds (paired difference of the mean annealed loss over the "
                       "budgets, variant minus the default; the lower mean is reported above):\n\n"
                       "| variant | difference | seeds lower | chosen |\n|---|---|---|---|\n");
            for (e = 0; e < R->n_entries; e++) {
                int bse = R->entries[e].base;
                bs_paired pr;
                if (bse == e || !R->in_setting[P->setting][e]) continue;
                pr = bg_pair_mean(R, p, e, bse, 0, R->select_seeds);
                fprintf(f, "| %s |", R->entries[e].label);
                fprintf(f, " ");
                bg_cell_sum(f, &pr.d, "%+.4f", 1.0);
                fprintf(f, "%s | %d/%d | %s |\n", bs_includes_zero(&pr.d) ? " (no difference measured)" : "", pr.wins,
                        pr.d.n, R->chosen[p][bse] == e ? "yes" : "no");
            }
        }
    }
    fprintf(f, "\n");
}

/* ---------------------------------------------------------------- SVG */

static const char *bg_palette[LIGO_GROW_COUNT] = {"#444444", "#1f77b4", "#17becf", "#ff7f0e",
                                                  "#9467bd", "#d62728", "#e377c2", "#2ca02c"};

/* Validation loss against FLOPs: per method the trunk's mean over the
 * reported seeds with its 95% band, the annealed budgets as dots, and
 * scratch's annealed losses (the targets) as dotted lines. */
static int bg_write_svg(const char *path, const bg_results *R, int p) {
    const bg_proto *P = &R->protos[p];
    tool_file t;
    FILE *f;
    const double W = 820, H = 500, L = 70, Rm = 190, T = 40, Bm = 60;
    double xmax = 0, ymin = 1e30, ymax = -1e30, mean[BG_MAX_POINTS], band[BG_MAX_POINTS], fl[BG_MAX_POINTS];
    int list[BG_MAX_ENTRIES], n = bg_reported(R, p, list), lo, hi, i, k, s;
    int npts[BG_MAX_ENTRIES];
    bg_vals v;
    bg_range(R, &lo, &hi);
    for (i = 0; i < n; i++) {
        npts[i] = BG_MAX_POINTS;
        for (s = lo; s < hi; s++) {
            const bg_run *r = R->runs[p][list[i]][s];
            int j;
            if (!r) continue;
            npts[i] = r->n < npts[i] ? r->n : npts[i];
            for (j = 0; j < r->n; j++) {
                xmax = r->flops[j] > xmax ? r->flops[j] : xmax;
                if (j > 0) ymin = r->loss[j] < ymin ? r->loss[j] : ymin;
            }
            for (j = 0; j < r->n_branch; j++) ymin = r->b_loss[j] < ymin ? r->b_loss[j] : ymin;
        }
        if (npts[i] == BG_MAX_POINTS) npts[i] = 0;
    }
    if (xmax <= 0 || ymin > 1e29) return 1; /* nothing to draw */
    f = tool_file_begin(&t, path);
    if (!f) return 1;
    ymax = R->small[p].val_loss + 0.6 * (R->small[p].val_loss - ymin) + 0.05;
    ymin -= 0.03 * (ymax - ymin);
#define X(x) (L + (W - L - Rm) * (x) / xmax)
#define Y(y) (T + (H - T - Bm) * (1.0 - ((y) - ymin) / (ymax - ymin)))
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" "
               "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H);
    fprintf(f, "<text x=\"%.0f\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">%s, %s: %lldx%lld to %lldx%lld (%d seed%s, "
               "bands: 95%% interval)</text>\n",
            (L + W - Rm) / 2, bg_family_title(P->family), bg_setting_name(P->setting), (long long)P->small.n_layer,
            (long long)P->small.d_model, (long long)P->large.n_layer, (long long)P->large.d_model, hi - lo,
            hi - lo > 1 ? "s" : "");
    fprintf(f, "<defs><clipPath id=\"plot\"><rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\"/></clipPath></defs>\n",
            L, T, W - L - Rm, H - T - Bm);
    for (k = 0; k <= 5; k++) {
        double xv = xmax * k / 5, yv = ymin + (ymax - ymin) * k / 5;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#e4e4e4\"/>\n", X(xv), T, X(xv), H - Bm);
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.2g</text>\n", X(xv), H - Bm + 16, xv);
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", L, Y(yv), W - Rm, Y(yv));
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>\n", L - 6, Y(yv) + 4, yv);
    }
    fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"black\"/>\n", L, T,
            W - L - Rm, H - T - Bm);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">training FLOPs (operator fitting included)</text>\n",
            (L + W - Rm) / 2, H - 18);
    fprintf(f, "<text x=\"18\" y=\"%.0f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.0f)\">validation loss "
               "(nats)</text>\n", (T + H - Bm) / 2, (T + H - Bm) / 2);
    fprintf(f, "<g clip-path=\"url(#plot)\">\n");
    /* targets: scratch's annealed losses */
    for (k = 0; k < P->n_branch; k++) {
        bs_summary sm;
        bg_losses(R, p, bg_scratch(R, p), k, lo, hi, 0, &v);
        sm = bs_summarise(v.x, v.n);
        if (!sm.n) continue;
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#888\" stroke-dasharray=\"2 3\"/>\n", L,
                Y(sm.mean), W - Rm, Y(sm.mean));
    }
    for (i = 0; i < n; i++) {
        const char *col = bg_palette[R->entries[list[i]].method];
        int j, m = npts[i];
        for (j = 0; j < m; j++) {
            bg_vals pv;
            bs_summary sm;
            memset(&pv, 0, sizeof pv);
            for (s = lo; s < hi; s++) {
                const bg_run *r = R->runs[p][list[i]][s];
                if (!r) continue;
                pv.x[pv.n++] = r->loss[j];
                fl[j] = r->flops[j];
            }
            sm = bs_summarise(pv.x, pv.n);
            mean[j] = sm.mean;
            band[j] = sm.ci95 > 0 ? sm.ci95 : 0.0;
        }
        if (m < 2) continue;
        fprintf(f, "<polygon fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\" points=\"", col);
        for (j = 1; j < m; j++) fprintf(f, "%.1f,%.1f ", X(fl[j]), Y(mean[j] + band[j]));
        for (j = m - 1; j >= 1; j--) fprintf(f, "%.1f,%.1f ", X(fl[j]), Y(mean[j] - band[j]));
        fprintf(f, "\"/>\n<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" points=\"", col);
        for (j = 0; j < m; j++) fprintf(f, "%.1f,%.1f ", X(fl[j]), Y(mean[j]));
        fprintf(f, "\"/>\n");
        for (k = 0; k < P->n_branch; k++) {
            bs_summary sm;
            double fx = 0.0;
            int c = 0;
            bg_losses(R, p, list[i], k, lo, hi, 0, &v);
            sm = bs_summarise(v.x, v.n);
            for (s = lo; s < hi; s++)
                if (R->runs[p][list[i]][s] && R->runs[p][list[i]][s]->n_branch > k) {
                    fx += R->runs[p][list[i]][s]->b_flops[k];
                    c++;
                }
            if (!c) continue;
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"%s\"/>\n", X(fx / c), Y(sm.mean), col);
        }
    }
    fprintf(f, "</g>\n");
    for (i = 0; i < n; i++) {
        const char *col = bg_palette[R->entries[list[i]].method];
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"2\"/>\n", W - Rm + 14,
                T + 10 + 20.0 * i, W - Rm + 38, T + 10 + 20.0 * i, col);
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", W - Rm + 44, T + 14 + 20.0 * i, R->entries[list[i]].label);
    }
    fprintf(f, "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"3.2\" fill=\"#444\"/><text x=\"%.0f\" y=\"%.0f\">annealed budget</text>\n",
            W - Rm + 26, T + 10 + 20.0 * n, W - Rm + 44, T + 14 + 20.0 * n);
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#888\" stroke-dasharray=\"2 3\"/><text x=\"%.0f\" "
               "y=\"%.0f\">targets (scratch)</text>\n",
            W - Rm + 14, T + 10 + 20.0 * (n + 1), W - Rm + 38, T + 10 + 20.0 * (n + 1), W - Rm + 44, T + 14 + 20.0 * (n + 1));
    fprintf(f, "</svg>\n");
#undef X
#undef Y
    return tool_file_commit(&t);
}

/* --------------------------------------------------------------- JSON */

static void bg_json_sum(FILE *f, const bs_summary *s) {
    fprintf(f, "\"mean\":%.6g,\"ci95\":", s->mean);
    if (s->ci95 >= 0) fprintf(f, "%.6g", s->ci95);
    else fprintf(f, "null");
    fprintf(f, ",\"n\":%d", s->n);
}

static void bg_write_json(FILE *f, const bg_results *R, char svg[][1200], const char *md, const char *csv) {
    int p, i, k, first_set = 1, set;
    int lo, hi;
    bg_range(R, &lo, &hi);
    fprintf(f, "{\"command\":\"bench growth\",\"mode\":\"%s\",\"select_seeds\":%d,\"report_seeds\":%d,\"settings\":{", R->mode,
            R->select_seeds, R->report_seeds);
    for (set = 0; set < BG_SETTING_COUNT; set++) {
        int first_fam = 1;
        for (p = 0; p < R->n_protos; p++) {
            const bg_proto *P = &R->protos[p];
            int list[BG_MAX_ENTRIES], n, b, fm = 1, K = P->n_branch;
            bg_vals v;
            if ((int)P->setting != set) continue;
            if (first_fam) fprintf(f, "%s\"%s\":{", first_set ? "" : ",", bg_setting_name((bg_setting)set));
            first_set = 0;
            n = bg_reported(R, p, list);
            fprintf(f, "%s\"%s\":{\"small_loss\":%.6f,\"budget_steps\":%lld,\"best_baseline\":", first_fam ? "" : ",",
                    ligo_family_name(P->family), R->small[p].val_loss, (long long)P->steps);
            first_fam = 0;
            if (R->best_baseline[p] >= 0) tool_json_str(f, R->entries[R->best_baseline[p]].label);
            else fprintf(f, "null");
            fprintf(f, ",\"chart\":");
            tool_json_str(f, svg[p]);
            fprintf(f, ",\"methods\":{");
            for (i = 0; i < n; i++) {
                fprintf(f, "%s", fm ? "" : ",");
                fm = 0;
                tool_json_str(f, R->entries[list[i]].label);
                fprintf(f, ":{\"loss_at\":[");
                for (k = 0; k < K; k++) {
                    bs_summary s;
                    bg_losses(R, p, list[i], k, lo, hi, 0, &v);
                    s = bs_summarise(v.x, v.n);
                    fprintf(f, "%s{\"fraction\":%.6g,", k ? "," : "", (double)(k + 1) / K);
                    bg_json_sum(f, &s);
                    fprintf(f, "}");
                }
                fprintf(f, "],\"saving\":[");
                for (k = 0; k < K; k++) {
                    bs_summary s;
                    bg_savings(R, p, list[i], k, lo, hi, &v);
                    s = bs_summarise(v.x, v.n);
                    fprintf(f, "%s{\"target\":%.6g,", k ? "," : "", (double)(k + 1) / K);
                    bg_json_sum(f, &s);
                    fprintf(f, ",\"never\":%d,\"at_growth\":%d,\"above_small\":%s}", v.never, v.at_growth,
                            bg_target_above_small(R, p, k, lo, hi) ? "true" : "false");
                }
                fprintf(f, "]}");
            }
            fprintf(f, "},\"pairs\":{");
            fm = 1;
            for (i = 0; i < n; i++) {
                if (!R->entries[list[i]].learned) continue;
                for (b = 0; b < n; b++) {
                    char name[160];
                    if (R->entries[list[b]].learned) continue;
                    snprintf(name, sizeof name, "%s vs %s", R->entries[list[i]].label, R->entries[list[b]].label);
                    fprintf(f, "%s", fm ? "" : ",");
                    fm = 0;
                    tool_json_str(f, name);
                    fprintf(f, ":[");
                    for (k = 0; k < K; k++) {
                        bs_paired pr = bg_pair_at(R, p, list[i], list[b], k, lo, hi);
                        fprintf(f, "%s{\"fraction\":%.6g,", k ? "," : "", (double)(k + 1) / K);
                        bg_json_sum(f, &pr.d);
                        fprintf(f, ",\"wins\":%d}", pr.wins);
                    }
                    fprintf(f, "]");
                }
            }
            fprintf(f, "}}");
        }
        if (!first_fam) fprintf(f, "}");
    }
    fprintf(f, "},\"table\":");
    tool_json_str(f, md);
    fprintf(f, ",\"curves\":");
    tool_json_str(f, csv);
    fprintf(f, ",\"failed\":%d,\"seconds\":%.1f}\n", R->failed, R->seconds);
}

/* ------------------------------------------------------------- report */

int bg_report(bg_results *R) {
    char md_path[1200], csv_path[1200], suffix[128];
    static char svg[BG_MAX_PROTOS][1200];
    FILE *md, *csv;
    tool_file md_file, csv_file;
    int p, e, s, i, rc = 0;
    snprintf(suffix, sizeof suffix, "%s%s%s", R->mode[0] ? "_" : "", R->mode, R->tag);
    snprintf(md_path, sizeof md_path, "%s/growth%s.md", R->out_dir, suffix);
    snprintf(csv_path, sizeof csv_path, "%s/curves%s.csv", R->out_dir, suffix);
    if (R->select_seeds == 0)
        for (p = 0; p < R->n_protos; p++) bg_pick_baseline(R, p, 0, R->report_seeds);
    csv = tool_file_begin(&csv_file, csv_path);
    if (!csv) {
        rc = 1;
    } else {
        fprintf(csv, "setting,family,seed,set,method,kind,index,steps,flops,seconds,val_loss,val_acc\n");
        for (p = 0; p < R->n_protos; p++)
            for (e = 0; e < R->n_entries; e++)
                for (s = 0; s < BG_MAX_SEEDS; s++) {
                    const bg_run *r = R->runs[p][e][s];
                    const char *set = s < R->select_seeds ? "select" : "report";
                    if (!r) continue;
                    for (i = 0; i < r->n; i++)
                        fprintf(csv, "%s,%s,%d,%s,%s,trunk,%d,%lld,%.6g,%.3f,%.6f,%.6f\n",
                                bg_setting_name(R->protos[p].setting), ligo_family_name(R->protos[p].family), s, set,
                                R->entries[e].label, i, (long long)r->steps[i], r->flops[i], r->seconds[i], r->loss[i],
                                r->acc[i]);
                    for (i = 0; i < r->n_branch; i++)
                        fprintf(csv, "%s,%s,%d,%s,%s,annealed,%d,%lld,%.6g,%.3f,%.6f,%.6f\n",
                                bg_setting_name(R->protos[p].setting), ligo_family_name(R->protos[p].family), s, set,
                                R->entries[e].label, i, (long long)r->b_steps[i], r->b_flops[i], r->b_seconds[i],
                                r->b_loss[i], r->b_acc[i]);
                }
        if (tool_file_commit(&csv_file)) rc = 1;
    }
    for (p = 0; p < R->n_protos; p++) {
        snprintf(svg[p], sizeof svg[p], "%s/%s_%s%s.svg", R->out_dir, bg_setting_name(R->protos[p].setting),
                 ligo_family_name(R->protos[p].family), suffix);
        if (R->small[p].ok && bg_write_svg(svg[p], R, p)) fprintf(stderr, "bench: could not write %s\n", svg[p]);
    }
    md = tool_file_begin(&md_file, md_path);
    if (!md) rc = 1;
    for (i = 0; i < 2; i++) {
        FILE *out = i == 0 ? stdout : md;
        if (!out) continue;
        fprintf(out, "# Growth benchmark%s%s%s\n\n", R->mode[0] ? " (" : "", R->mode, R->mode[0] ? ")" : "");
        for (p = 0; p < R->n_protos; p++)
            if (R->small[p].ok) bg_write_proto(out, R, p, svg[p]);
        fprintf(out, "Curves: %s. %s %.0f s%s.\n\n", csv_path, R->jobs > 1 ? "Total time (jobs in parallel, wall times left out):" : "Total time:",
                R->seconds, R->failed ? "; some runs FAILED (left out above)" : "");
    }
    if (md && tool_file_commit(&md_file)) rc = 1;
    bg_write_json(stdout, R, svg, md_path, csv_path);
    return rc;
}
