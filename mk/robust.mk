# Robustness (issue 8):
#   make fuzz        each libFuzzer target for FUZZ_TIME seconds (60) on its
#                    corpus; new inputs go to build/fuzz/corpus-<target>
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
FUZZ_TARGETS  = safetensors idx gpt2 tool
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   = $(STD) $(WARN) -g -O1 -fno-omit-frame-pointer
FB            = $(B)/fuzz
VALGRIND     ?= valgrind
HAVE_VALGRIND := $(shell command -v $(VALGRIND) >/dev/null 2>&1 && echo 1)

.PHONY: fuzz fuzz-short valgrind-tool robust-resume robust-grow-resume robust-write-errors robust-table robust

# the library once, instrumented for coverage but without libFuzzer's main
$(FB)/impl.o: tests/fuzz/impl.c ligo.h
	@mkdir -p $(FB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<

$(FB)/fuzz_safetensors $(FB)/fuzz_idx $(FB)/fuzz_gpt2: $(FB)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FB)/impl.o
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< $(FB)/impl.o $(LDLIBS)

# the tool's own translation unit carries the library (LIGO_IMPLEMENTATION)
$(FB)/fuzz_tool: tests/fuzz/fuzz_tool.c $(TOOL_SRCS) $(TOOL_HDRS) ligo.h
	@mkdir -p $(FB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ tests/fuzz/fuzz_tool.c examples/tool.c \
	    examples/bench_growth.c examples/bench_report.c examples/bench_stats.c $(LDLIBS)

FUZZ_BINS = $(addprefix $(FB)/fuzz_,$(FUZZ_TARGETS))

# -rss_limit_mb and -malloc_limit_mb: an input that makes a parser allocate
# far beyond its size is a finding. Leak detection is on (ASan's default).
FUZZ_OPTS = -rss_limit_mb=1024 -malloc_limit_mb=512 -max_len=16384 -timeout=10 -print_final_stats=0

fuzz: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FB)/corpus-$$t tests/fuzz/regress/$$t; \
	    echo "fuzz: $$t for $(FUZZ_TIME) s"; \
	    $(FB)/fuzz_$$t $(FUZZ_OPTS) -max_total_time=$(FUZZ_TIME) -artifact_prefix=$(FB)/$$t- \
	        $(FB)/corpus-$$t tests/fuzz/corpus/$$t tests/fuzz/regress/$$t 2>$(FB)/$$t.log || \
	        { tail -n 40 $(FB)/$$t.log; echo "fuzz: $$t FAILED (inputs in $(FB)/$$t-*)"; exit 1; }; \
	    grep -h '^#.*DONE' $(FB)/$$t.log | tail -n 1; \
	done

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
