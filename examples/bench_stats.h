/* bench_stats.h: the statistics of the growth benchmark, kept apart from
 * the runs so the tests can check them against closed forms and tables:
 * Student t quantiles, means with 95% t-intervals, paired differences, and
 * the FLOPs at which an annealed-loss curve reaches a target. */
#ifndef LIGO_BENCH_STATS_H
#define LIGO_BENCH_STATS_H

#include <stdint.h>

/* P(T <= t) for Student's t with df degrees of freedom (df >= 1), through
 * the regularised incomplete beta function. */
double bs_t_cdf(double t, double df);
/* The p-quantile of Student's t (0 < p < 1, df >= 1), by bisection on
 * bs_t_cdf; about 1e-10 absolute. */
double bs_t_quantile(double p, double df);

/* Mean and the half-width of its 95% t-interval, mean +- ci95: the
 * interval is t_{0.975, n-1} sd / sqrt(n). n == 1 gives ci95 = 0 marked
 * unknown by the caller (ci95 < 0: not enough values); n == 0 gives
 * mean = 0 and ci95 = -1. */
typedef struct bs_summary {
    double mean, ci95, sd;
    int n;
} bs_summary;
bs_summary bs_summarise(const double *x, int n);

/* Paired differences a[i] - b[i]: the summary plus the number of pairs in
 * which a is lower (a "win" when lower is better). */
typedef struct bs_paired {
    bs_summary d;
    int wins;
} bs_paired;
bs_paired bs_pair(const double *a, const double *b, int n);

/* Whether an interval mean +- ci95 includes zero (or is unknown). */
int bs_includes_zero(const bs_summary *s);

/* The first FLOPs at which a curve (flops[i], loss[i]), i = 0..n-1, in
 * increasing FLOPs, reaches loss <= target, interpolated linearly in FLOPs
 * between the two points around the first crossing. Returns the FLOPs, or
 * -1 when no point reaches the target. *at_start is set when the first
 * point already does (the target is met at growth). */
double bs_reach(const double *flops, const double *loss, int n, double target, int *at_start);

#endif
