"""tinterval.py: the mean and the half-width of its two-sided 95% Student-t
interval, for the scripts that summarise seeds (tools/llama_summary.py) and
the test that recomputes the growth benchmark's intervals from its CSV
(tests/bench_growth_check.py). Standard library only."""
import math

# two-sided 95% quantiles of Student's t, by degrees of freedom (standard tables)
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365,
       8: 2.306, 9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160,
       14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
       20: 2.086, 25: 2.060, 30: 2.042}


def t95(df):
    """The quantile for df degrees of freedom; between the table's rows the
    next smaller df (wider, so conservative); beyond 30 the normal 1.96."""
    if df < 1:
        raise ValueError("t95: %d degrees of freedom" % df)
    if df > 30:
        return 1.96
    return T95[max(k for k in T95 if k <= df)]


def mean_ci(xs):
    """(mean, half-width of the 95% t-interval), half-width None for one value."""
    n = len(xs)
    m = sum(xs) / n
    if n < 2:
        return m, None
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    return m, t95(n - 1) * sd / math.sqrt(n)
