# ligo: make (tool and examples), make test, make bench-gemm, make clean.
CC      ?= cc
CLANG   ?= clang
CXX_GCC ?= g++
CXX_CLANG ?= clang++
PYTHON  ?= python3
WARN    = -Wall -Wextra -Wpedantic -Werror
CFLAGS  ?= -O2 -g
STD     = -std=c99
LDLIBS  = -lm -lpthread
B       = build
# make data puts Tiny Shakespeare here
TEXT   ?= data/tinyshakespeare.txt

SRCS        = $(wildcard src/*.c src/*.h src/*/*.c src/*/*.h)
TEST_SRCS   = tests/main.c tests/harness.c tests/ligo_impl.c $(filter-out tests/test_blas.c,$(wildcard tests/test_*.c)) \
              examples/bench_stats.c
TEST_HDRS   = tests/harness.h examples/bench_stats.h
EXAMPLES    = $(B)/fit_line $(B)/ligo $(B)/my_gpt $(B)/my_grow

.PHONY: all demo test check-amalgamation standalone unit unit-san unit-portable test-blas link-tests \
        examples-smoke bench-gemm bench-pool bench-growth bench-growth-quick clean

all: ligo.h $(EXAMPLES)

ligo.h: $(SRCS) amalgamate.py
	$(PYTHON) amalgamate.py

$(B):
	mkdir -p $(B)

# The main job: the quick GPT growth comparison (scratch, stack, ligo) on the
# repository's own text, so it needs no download.
$(B)/corpus.txt: README.md $(SRCS) $(wildcard examples/*.c) | $(B)
	cat README.md src/*.h src/*.c src/ops/*.c examples/*.c > $@

demo: $(B)/ligo $(B)/corpus.txt
	$(B)/ligo bench growth --demo --text $(B)/corpus.txt --out $(B)/demo

# The growth benchmark on Tiny Shakespeare and Fashion-MNIST (make data;
# apt-get install dataset-fashion-mnist): every setting and family, each
# its own invocation within an hour on two cores (bench/growth_all.sh;
# docs/results/growth.md), and the quick version (about 15 minutes;
# BENCH_GROWTH_ARGS adds options).
BENCH_GROWTH_ARGS ?=
bench-growth: $(B)/ligo $(TEXT)
	bash bench/growth_all.sh $(B) $(TEXT) bench_out

bench-growth-quick: $(B)/ligo $(TEXT)
	$(B)/ligo bench growth --quick --text $(TEXT) $(BENCH_GROWTH_ARGS)

# ---------------------------------------------------------------- examples
$(B)/fit_line: examples/fit_line.c ligo.h | $(B)
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $@ $< $(LDLIBS)

# models of one's own (docs/guide.md)
$(B)/my_gpt: examples/my_gpt.c ligo.h | $(B)
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $@ $< $(LDLIBS)

$(B)/my_grow: examples/my_grow.c ligo.h | $(B)
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $@ $< $(LDLIBS)

TOOL_SRCS = examples/ligo.c examples/tool.c examples/bench_growth.c examples/bench_report.c examples/bench_stats.c \
            examples/show.c
TOOL_HDRS = examples/tool.h examples/bench_growth.h examples/bench_stats.h
# the fuzz targets (tests/fuzz/fuzz_*.c): fuzzed in mk/robust.mk, replayed
# under emulation in mk/cross.mk
FUZZ_TARGETS = safetensors idx gpt2 tool operator trainer_state
$(B)/ligo: $(TOOL_SRCS) $(TOOL_HDRS) ligo.h | $(B)
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $@ $(TOOL_SRCS) $(LDLIBS)

# ------------------------------------------------------------------- tests
$(B)/unit: $(TEST_SRCS) $(TEST_HDRS) ligo.h | $(B)
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $@ $(TEST_SRCS) $(LDLIBS)

$(B)/unit-san: $(TEST_SRCS) $(TEST_HDRS) ligo.h | $(B)
	$(CLANG) $(STD) $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	    -fno-sanitize-recover=all -o $@ $(TEST_SRCS) $(LDLIBS)

check-amalgamation:
	$(PYTHON) amalgamate.py --check

# Every source compiles on its own, under gcc and clang; the op sources
# also with their test cases (LIGO_OP_TESTS).
standalone: | $(B)
	@for f in src/*.c src/ops/*.c; do \
	    for c in $(CC) $(CLANG); do \
	        $$c $(STD) $(WARN) -O2 -c $$f -o $(B)/standalone.o || exit 1; \
	    done; \
	done; \
	for f in src/ops/*.c; do \
	    for c in $(CC) $(CLANG); do \
	        $$c $(STD) $(WARN) -O2 -DLIGO_OP_TESTS -c $$f -o $(B)/standalone.o || exit 1; \
	    done; \
	done; echo "standalone: every src/*.c and src/ops/*.c compiles alone under $(CC) and $(CLANG)"

# The header as C99 and C++, static, and linked from two translation units.
link-tests: ligo.h | $(B)
	$(CC) $(STD) $(WARN) -O1 -o $(B)/link_c tests/link/main.c tests/link/other.c $(LDLIBS)
	$(CLANG) $(STD) $(WARN) -O1 -o $(B)/link_clang tests/link/main.c tests/link/other.c $(LDLIBS)
	$(CXX_GCC) -std=c++11 -x c++ -Wall -Wextra -Werror -O1 -o $(B)/link_cxx tests/link/main.c tests/link/other.c $(LDLIBS)
	$(CXX_CLANG) -std=c++11 -x c++ -Wall -Wextra -Werror -O1 -o $(B)/link_cxx_clang tests/link/main.c tests/link/other.c $(LDLIBS)
	$(CC) $(STD) $(WARN) -O1 -o $(B)/link_static tests/link/static.c $(LDLIBS)
	$(CC) $(STD) $(WARN) -O1 -DLIGO_NO_THREADS -DLIGO_NO_SIMD -o $(B)/link_nothreads tests/link/main.c tests/link/other.c -lm
	$(PYTHON) tests/extract_quickstart.py ligo.h $(B)/quickstart.c
	$(CC) $(STD) $(WARN) -O1 -o $(B)/quickstart $(B)/quickstart.c $(LDLIBS)
	$(B)/link_c && $(B)/link_clang && $(B)/link_cxx && $(B)/link_cxx_clang && $(B)/link_static && $(B)/link_nothreads && (cd $(B) && ./quickstart)
	@echo "link-tests: C99, C++, LIGO_STATIC, LIGO_NO_THREADS and the quick start build and run"

examples-smoke: $(EXAMPLES) $(B)/corpus.txt
	$(B)/fit_line --quiet
	$(B)/my_gpt $(B)/corpus.txt 150
	$(B)/my_grow $(B)/corpus.txt $(B)
	$(PYTHON) tests/extract_guide.py docs/guide.md $(B)/guide.c
	$(CC) $(STD) $(WARN) $(CFLAGS) -o $(B)/guide $(B)/guide.c $(LDLIBS)
	cd $(B) && ./guide
	bash tests/tool_smoke.sh $(B)

unit: $(B)/unit
	$(B)/unit

# The portable (non-SIMD) GEMM kernel under the same suite.
$(B)/unit-portable: $(TEST_SRCS) $(TEST_HDRS) ligo.h | $(B)
	$(CC) $(STD) $(WARN) -O2 -DLIGO_NO_SIMD -o $@ $(TEST_SRCS) $(LDLIBS)

unit-portable: $(B)/unit-portable
	$(B)/unit-portable

# BLIS is optional: with libblis-dev installed, test-blas runs and the GEMM
# benchmark compares against it.
HAVE_BLIS := $(shell printf '#include <blis.h>\nint main(void){return 0;}\n' | $(CC) -x c - -o /dev/null -lblis -lm -lpthread 2>/dev/null && echo 1)
ifeq ($(HAVE_BLIS),1)
BENCH_BLAS_FLAGS = -DLIGO_BENCH_BLIS -lblis
endif

# The BLIS hook (ligo_blas.h) against the reference, when BLIS is installed.
$(B)/test_blas: tests/test_blas.c tests/harness.c ligo.h ligo_blas.h | $(B)
	$(CC) $(STD) $(WARN) -O2 -g -o $@ tests/test_blas.c tests/harness.c -lblis $(LDLIBS)

test-blas:
ifeq ($(HAVE_BLIS),1)
	$(MAKE) $(B)/test_blas && $(B)/test_blas
else
	@echo "test-blas: skipped (libblis-dev is not installed)"
endif

unit-san: $(B)/unit-san
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(B)/unit-san

# The README's test command. The last line is the unit suite's summary.
# Further checks live in mk/*.mk (fuzzing, valgrind, install, PyTorch round
# trip, ...); each appends its targets to TEST_EXTRA.
TEST_EXTRA :=
include $(sort $(wildcard mk/*.mk))

test: check-amalgamation standalone link-tests examples-smoke test-blas $(TEST_EXTRA) unit-portable unit-san unit

# ------------------------------------------------------------- benchmarks

$(B)/bench_gemm: bench/gemm.c ligo.h ligo_blas.h | $(B)
	$(CC) $(STD) $(WARN) -O2 -g -o $@ bench/gemm.c $(BENCH_BLAS_FLAGS) $(LDLIBS)

bench-gemm: $(B)/bench_gemm
	$(B)/bench_gemm

# The pool's spin, default against fixed spins (bench/pool_spin.sh): run alone.
bench-pool:
	bash bench/pool_spin.sh $(B)/pool_spin

clean:
	rm -rf $(B)
