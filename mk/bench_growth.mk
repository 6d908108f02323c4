# The growth benchmark's own check (in make test): a tiny protocol end to
# end, its equal-FLOPs budgets, paired statistics, variant choice and run
# cache recomputed from its CSV (tests/bench_growth_check.py).

.PHONY: test-bench-growth

test-bench-growth: $(B)/ligo
	$(PYTHON) tests/bench_growth_check.py $(B)

TEST_EXTRA += test-bench-growth
