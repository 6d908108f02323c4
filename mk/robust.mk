# Robustness (issue 8):
#   make fuzz        every libFuzzer target for FUZZ_TIME seconds (60) on its
#                    corpus; new inputs go to build/fuzz/corpus-<target>;
#                    prints each target's time and executions and the total
#   fuzz-minimize    each corpus minimised (libFuzzer -merge=1 of the
#                    committed seeds and build/fuzz/corpus-<target> into a
#                    fresh directory, which then replaces tests/fuzz/corpus/
#                    <target>), so that a long run's corpus can be committed
#   fuzz-seeds       rewrite the seed corpora (tests/fuzz/make_seeds.py)
#   fuzz-short       (in make test) each target replays its committed seeds
#                    and regression inputs, then fuzzes FUZZ_SHORT seconds (8)
#   valgrind-tool    (in make test, when valgrind is installed) memcheck over
#                    a tiny train, resume, grow, eval and sample of build/ligo
#   robust-resume    (in make test) SIGKILL a training run at random points,
#                    resume each time: final weights bitwise equal to an
#                    uninterrupted run; kills during saves never leave a
#                    missing or corrupt checkpoint; SIGINT saves and exits 0;
#                    a NaN in the weights stops with the step named
#   robust-grow-resume (in make test) the same for ligo grow: SIGKILLs while
#                    fitting and while training, resumed with --resume, end
#                    bitwise equal (model checkpoint, operator, fitting
#                    state); kills during saves; SIGINT in each phase
#   robust-write-errors (in make test) saves under a file-size limit (ulimit
#                    -f): train checkpoints, grown model, operator, fitting
#                    state fail naming the file and the error, the previous
#                    file unchanged, no temporary file left
#   robust-table     (in make test) the bad-input table: public functions and
#                    every ligo subcommand
FUZZ_CC      ?= $(CLANG)
FUZZ_TIME    ?= 60
FUZZ_SHORT   ?= 8
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   = $(STD) $(WARN) -g -O1 -fno-omit-frame-pointer
FB            = $(B)/fuzz
VALGRIND     ?= valgrind
HAVE_VALGRIND := $(shell command -v $(VALGRIND) >/dev/null 2>&1 && echo 1)

.PHONY: fuzz fuzz-short fuzz-minimize fuzz-seeds valgrind-tool robust-resume robust-grow-resume robust-write-errors \
        robust-table robust

# the library once, instrumented for coverage but without libFuzzer's main
$(FB)/impl.o: tests/fuzz/impl.c ligo.h
	@mkdir -p $(FB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<

$(FB)/fuzz_safetensors $(FB)/fuzz_idx $(FB)/fuzz_gpt2 $(FB)/fuzz_operator $(FB)/fuzz_trainer_state: \
    $(FB)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h tests/fuzz/fuzz_grow.h $(FB)/impl.o
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< $(FB)/impl.o $(LDLIBS)

# the tool's own translation unit carries the library (LIGO_IMPLEMENTATION)
$(FB)/fuzz_tool: tests/fuzz/fuzz_tool.c $(TOOL_SRCS) $(TOOL_HDRS) ligo.h
	@mkdir -p $(FB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ tests/fuzz/fuzz_tool.c examples/tool.c \
	    examples/bench_growth.c examples/bench_report.c examples/bench_stats.c examples/show.c $(LDLIBS)

FUZZ_BINS = $(addprefix $(FB)/fuzz_,$(FUZZ_TARGETS))

# -rss_limit_mb and -malloc_limit_mb: an input that makes a parser allocate
# far beyond its size is a finding. Leak detection is on (ASan's default).
FUZZ_OPTS = -rss_limit_mb=1024 -malloc_limit_mb=512 -max_len=16384 -timeout=10 -print_final_stats=0

fuzz: $(FUZZ_BINS)
	@failed=""; all_s=0; all_n=0; \
	for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FB)/corpus-$$t tests/fuzz/regress/$$t; \
	    echo "fuzz: $$t for $(FUZZ_TIME) s"; \
	    t0=$$(date +%s); \
	    $(FB)/fuzz_$$t $(FUZZ_OPTS) -print_final_stats=1 -max_total_time=$(FUZZ_TIME) -artifact_prefix=$(FB)/$$t- \
	        $(FB)/corpus-$$t tests/fuzz/corpus/$$t tests/fuzz/regress/$$t 2>$(FB)/$$t.log || \
	        { tail -n 40 $(FB)/$$t.log; echo "fuzz: $$t FAILED (inputs in $(FB)/$$t-*)"; failed="$$failed $$t"; }; \
	    s=$$(( $$(date +%s) - t0 )); n=$$(grep -ho 'number_of_executed_units: [0-9]*' $(FB)/$$t.log | tail -n 1 | tr -dc 0-9); \
	    all_s=$$((all_s + s)); all_n=$$((all_n + $${n:-0})); \
	    echo "fuzz: $$t: $${n:-?} executions in $$s s ($(FB)/corpus-$$t: $$(ls $(FB)/corpus-$$t | wc -l) inputs)"; \
	done; \
	echo "fuzz: $(words $(FUZZ_TARGETS)) targets, $$all_n executions in $$all_s s$${failed:+; FAILED:$$failed}"; \
	test -z "$$failed"

# Minimise each corpus into a fresh directory (-merge=1 keeps the inputs
# that add coverage), then replace the committed one with it.
fuzz-minimize: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	    rm -rf $(FB)/min-$$t; mkdir -p $(FB)/min-$$t $(FB)/corpus-$$t; \
	    $(FB)/fuzz_$$t $(FUZZ_OPTS) -merge=1 $(FB)/min-$$t tests/fuzz/corpus/$$t $(FB)/corpus-$$t \
	        >$(FB)/$$t-merge.log 2>&1 || { tail -n 20 $(FB)/$$t-merge.log; echo "fuzz-minimize: $$t FAILED"; exit 1; }; \
	    before=$$(find tests/fuzz/corpus/$$t $(FB)/corpus-$$t -type f | wc -l); \
	    test -n "$$(ls $(FB)/min-$$t)" || { echo "fuzz-minimize: $$t: the merge kept nothing"; exit 1; }; \
	    rm -rf tests/fuzz/corpus/$$t && mv $(FB)/min-$$t tests/fuzz/corpus/$$t; \
	    echo "fuzz-minimize: $$t: $$before inputs -> $$(ls tests/fuzz/corpus/$$t | wc -l)"; \
	done

$(FB)/make_state_seeds: tests/fuzz/make_state_seeds.c tests/fuzz/fuzz_grow.h tests/fuzz/fuzz_common.h ligo.h
	@mkdir -p $(FB)
	$(CC) $(STD) $(WARN) -O1 -g -o $@ $< $(LDLIBS)

fuzz-seeds: $(B)/ligo $(FB)/make_state_seeds
	$(PYTHON) tests/fuzz/make_seeds.py $(B)/ligo $(FB)/make_state_seeds

# Replay every committed input (seeds and crash regressions), then fuzz a
# little from them; the new inputs are thrown away.
fuzz-short: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	    rm -rf $(FB)/short-$$t; mkdir -p $(FB)/short-$$t tests/fuzz/regress/$$t; \
	    $(FB)/fuzz_$$t $(FUZZ_OPTS) -runs=0 tests/fuzz/corpus/$$t tests/fuzz/regress/$$t >$(FB)/$$t-replay.log 2>&1 || \
	        { tail -n 40 $(FB)/$$t-replay.log; echo "fuzz-short: $$t: a committed input fails"; exit 1; }; \
	    $(FB)/fuzz_$$t $(FUZZ_OPTS) -max_total_time=$(FUZZ_SHORT) -artifact_prefix=$(FB)/$$t- \
	        $(FB)/short-$$t tests/fuzz/corpus/$$t >$(FB)/$$t-short.log 2>&1 || \
	        { tail -n 40 $(FB)/$$t-short.log; echo "fuzz-short: $$t FAILED (inputs in $(FB)/$$t-*)"; exit 1; }; \
	    n=$$(ls tests/fuzz/corpus/$$t tests/fuzz/regress/$$t 2>/dev/null | wc -l); \
	    echo "fuzz-short: $$t: $$n committed inputs replayed, $(FUZZ_SHORT) s of fuzzing: $$(grep -ho '#[0-9]*.*DONE.*exec/s: [0-9]*' $(FB)/$$t-short.log | tail -n 1)"; \
	done

TEST_EXTRA += fuzz-short

# ------------------------------------------------------------ valgrind
valgrind-tool: $(B)/ligo
ifeq ($(HAVE_VALGRIND),1)
	bash tests/robust/valgrind.sh $(B)
else
	@echo "valgrind-tool: skipped (valgrind is not installed)"
endif

# ------------------------------------------------- kill/resume, SIGINT, NaN
robust-resume: $(B)/ligo
	$(PYTHON) tests/robust/kill_resume.py $(B)/ligo $(B)/robust/kill

robust-grow-resume: $(B)/ligo
	$(PYTHON) tests/robust/grow_kill_resume.py $(B)/ligo $(B)/robust/grow_kill

# ------------------------------------------------------------ write errors
robust-write-errors: $(B)/ligo
	$(PYTHON) tests/robust/write_errors.py $(B)/ligo $(B)/robust/write_errors

# ------------------------------------------------------- bad-input table
$(B)/robust/api_table: tests/robust/api_table.c ligo.h
	@mkdir -p $(B)/robust
	$(CLANG) $(STD) $(WARN) -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -o $@ $< $(LDLIBS)

robust-table: $(B)/robust/api_table $(B)/ligo
	@rm -rf $(B)/robust/api
	$(B)/robust/api_table $(B)/robust/api
	$(PYTHON) tests/robust/run_tool_table.py $(B)/ligo $(B)/robust/tool

robust: fuzz-short valgrind-tool robust-resume robust-grow-resume robust-write-errors robust-table

TEST_EXTRA += valgrind-tool robust-resume robust-grow-resume robust-write-errors robust-table
