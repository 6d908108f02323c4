/* bench_stats.c: Student t quantiles, t-intervals, paired differences and
 * first-passage FLOPs for the growth benchmark (see bench_stats.h). */
#include "bench_stats.h"

#include <math.h>

/* The continued fraction of the incomplete beta function I_x(a, b),
 * evaluated by the modified Lentz method; converges fast for
 * x < (a + 1) / (a + b + 2). */
static double bs_beta_cf(double a, double b, double x) {
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0), h;
    int m;
    if (fabs(d) < tiny) d = tiny;
    d = 1.0 / d;
    h = d;
    for (m = 1; m <= 400; m++) {
        double m2 = 2.0 * m, num, delta;
        /* even step */
        num = m * (b - m) * x / ((a - 1.0 + m2) * (a + m2));
        d = 1.0 + num * d;
        c = 1.0 + num / c;
        if (fabs(d) < tiny) d = tiny;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        h *= d * c;
        /* odd step */
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1.0 + m2));
        d = 1.0 + num * d;
        c = 1.0 + num / c;
        if (fabs(d) < tiny) d = tiny;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) < 1e-15) break;
    }
    return h;
}

/* The regularised incomplete beta function I_x(a, b), 0 <= x <= 1, with
 * y = 1 - x passed computed apart (it may be far more precise). */
static double bs_beta_inc(double a, double b, double x, double y) {
    double front;
    if (x <= 0.0) return 0.0;
    if (y <= 0.0) return 1.0;
    front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(y));
    if (x < (a + 1.0) / (a + b + 2.0)) return front * bs_beta_cf(a, b, x) / a;
    return 1.0 - front * bs_beta_cf(b, a, y) / b;
}

double bs_t_cdf(double t, double df) {
    /* P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2) */
    double tail = 0.5 * bs_beta_inc(0.5 * df, 0.5, df / (df + t * t), t * t / (df + t * t));
    return t >= 0.0 ? 1.0 - tail : tail;
}

double bs_t_quantile(double p, double df) {
    double lo = -1e4, hi = 1e4;
    int i;
    for (i = 0; i < 200 && hi - lo > 1e-12; i++) {
        double mid = 0.5 * (lo + hi);
        if (bs_t_cdf(mid, df) < p) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

bs_summary bs_summarise(const double *x, int n) {
    bs_summary s;
    double sum = 0.0, ss = 0.0;
    int i;
    s.n = n;
    s.mean = 0.0;
    s.sd = 0.0;
    s.ci95 = -1.0;
    if (n < 1) return s;
    for (i = 0; i < n; i++) sum += x[i];
    s.mean = sum / n;
    if (n < 2) return s;
    for (i = 0; i < n; i++) ss += (x[i] - s.mean) * (x[i] - s.mean);
    s.sd = sqrt(ss / (n - 1));
    s.ci95 = bs_t_quantile(0.975, n - 1) * s.sd / sqrt((double)n);
    return s;
}

bs_paired bs_pair(const double *a, const double *b, int n) {
    bs_paired r;
    double d[256];
    int i, m = n < 256 ? n : 256;
    r.wins = 0;
    for (i = 0; i < m; i++) {
        d[i] = a[i] - b[i];
        r.wins += d[i] < 0.0;
    }
    r.d = bs_summarise(d, m);
    return r;
}

int bs_includes_zero(const bs_summary *s) {
    return s->ci95 < 0.0 || (s->mean - s->ci95 <= 0.0 && s->mean + s->ci95 >= 0.0);
}

double bs_reach(const double *flops, const double *loss, int n, double target, int *at_start) {
    int i;
    *at_start = 0;
    for (i = 0; i < n; i++) {
        double t;
        if (!(loss[i] <= target)) continue;
        if (i == 0) {
            *at_start = 1;
            return flops[0];
        }
        t = (loss[i - 1] - target) / (loss[i - 1] - loss[i]);
        if (!(t >= 0.0 && t <= 1.0)) t = 1.0;
        return flops[i - 1] + t * (flops[i] - flops[i - 1]);
    }
    return -1.0;
}
