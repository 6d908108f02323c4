/* test_bench.c: the growth benchmark's statistics (examples/bench_stats.c)
 * against closed forms, a printed table of Student t quantiles, and hand
 * computations. */
#include "harness.h"

#include "../examples/bench_stats.h"

/* df = 1 is Cauchy's distribution, df = 2 has a closed form too. */
static void test_t_cdf_closed_forms(void) {
    static const double ts[] = {-30.0, -4.0, -1.0, -0.3, 0.0, 0.2, 1.0, 2.5, 12.0, 100.0};
    const double pi = 3.14159265358979323846;
    size_t i;
    for (i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        double t = ts[i];
        CHECK_NEAR(bs_t_cdf(t, 1.0), 0.5 + atan(t) / pi, 1e-12);
        CHECK_NEAR(bs_t_cdf(t, 2.0), 0.5 + t / (2.0 * sqrt(2.0 + t * t)), 1e-12);
    }
}

/* Two-sided 95% quantiles t_{0.975, df} as printed in standard tables
 * (e.g. Fisher and Yates), and the normal limit. */
static void test_t_quantiles(void) {
    static const struct {
        double df, q;
    } tab[] = {{1, 12.706}, {2, 4.303}, {3, 3.182}, {4, 2.776}, {5, 2.571}, {6, 2.447}, {9, 2.262},
               {10, 2.228}, {19, 2.093}, {29, 2.045}, {60, 2.000}, {120, 1.980}, {1e6, 1.960}};
    size_t i;
    for (i = 0; i < sizeof tab / sizeof tab[0]; i++) CHECK_NEAR(bs_t_quantile(0.975, tab[i].df), tab[i].q, 6e-4);
    CHECK_NEAR(bs_t_quantile(0.5, 7.0), 0.0, 1e-9);
    CHECK_NEAR(bs_t_quantile(0.025, 4.0), -bs_t_quantile(0.975, 4.0), 1e-9);
    CHECK_NEAR(bs_t_quantile(0.995, 9.0), 3.250, 6e-4);
}

static void test_summaries(void) {
    double x[5] = {1, 2, 3, 4, 5}, a[4] = {1.0, 2.0, 3.0, 4.5}, b[4] = {1.5, 2.5, 2.5, 5.0};
    bs_summary s = bs_summarise(x, 5), one = bs_summarise(x, 1), none = bs_summarise(x, 0);
    bs_paired p;
    /* sd = sqrt(10 / 4); ci = t_{0.975,4} sd / sqrt(5) = 2.776445 * 1.581139 / 2.236068 */
    CHECK_NEAR(s.mean, 3.0, 1e-12);
    CHECK_NEAR(s.sd, sqrt(2.5), 1e-12);
    CHECK_NEAR(s.ci95, 1.963243, 1e-5);
    CHECK(!bs_includes_zero(&s));
    CHECK(one.n == 1 && one.mean == 1.0 && one.ci95 < 0 && bs_includes_zero(&one));
    CHECK(none.n == 0 && none.ci95 < 0);
    /* differences -0.5, -0.5, 0.5, -0.5: mean -0.25, sd 0.5, three wins */
    p = bs_pair(a, b, 4);
    CHECK_NEAR(p.d.mean, -0.25, 1e-12);
    CHECK_NEAR(p.d.sd, 0.5, 1e-12);
    CHECK_NEAR(p.d.ci95, 3.182446 * 0.5 / 2.0, 1e-5);
    CHECK(p.wins == 3);
    CHECK(bs_includes_zero(&p.d));
}

static void test_reach(void) {
    double f[4] = {10, 20, 30, 40}, l[4] = {3.0, 2.5, 2.0, 2.2};
    int at;
    CHECK_NEAR(bs_reach(f, l, 4, 2.75, &at), 15.0, 1e-12); /* halfway between the first two */
    CHECK(!at);
    CHECK_NEAR(bs_reach(f, l, 4, 2.0, &at), 30.0, 1e-12);
    CHECK_NEAR(bs_reach(f, l, 4, 2.1, &at), 28.0, 1e-12); /* the first crossing, not the later rise */
    CHECK(bs_reach(f, l, 4, 1.9, &at) < 0);                /* never */
    CHECK_NEAR(bs_reach(f, l, 4, 3.5, &at), 10.0, 1e-12);  /* met at the start */
    CHECK(at);
}

void suite_bench(void) {
    RUN(test_t_cdf_closed_forms);
    RUN(test_t_quantiles);
    RUN(test_summaries);
    RUN(test_reach);
}
