# Other platforms, cross-compiled and run under emulation (issue 23):
#   test-cross     (called by .ci/run after make test) every cross target
#                  below whose tools are installed
#   test-cross-win Windows x86-64: Debian's x86_64-w64-mingw32-gcc, run
#                  under wine (Debian: gcc-mingw-w64-x86-64 wine wine64). The
#                  unit suite with -std=c99 -Wall -Wextra -Wpedantic -Werror
#                  -Wvla -O2, twice: gcc's atomics and the Interlocked
#                  functions MSVC would use (-DLIGO__WIN32_INTERLOCKED); the
#                  link test (two translation units), LIGO_NO_THREADS, ligo.h
#                  after a full <windows.h>; the ligo tool and its smoke test
#                  (tests/cross/tool_smoke.sh: train, resume, eval, sample,
#                  grow on two threads, export, show, bench --jobs 2).
#   test-cross-arm64 Linux on ARM64: Debian's aarch64-linux-gnu-gcc
#                  (static), run under qemu-aarch64 (Debian:
#                  gcc-aarch64-linux-gnu qemu-user), with the NEON kernels
#                  (GEMM, softmax, cross-entropy, GELU, layernorm,
#                  attention, column sums, AdamW, sum of squares): the unit
#                  suite with the same flags (it checks the kernel name is
#                  neon-fma); the NaN table (mk/nan.mk) of the NEON build,
#                  with gcc and with clang (--target=aarch64-linux-gnu),
#                  against a LIGO_NO_SIMD build's (tests/cross/arm64_nan.sh,
#                  meanwhile); the tool smoke test; then
#                  tests/cross/arm64_ckpt.sh (30 steps of a
#                  tiny GPT trained by four builds):
#                    NEON build = native build, bitwise, when the native
#                      one runs avx2-fma (each NEON kernel does its AVX2
#                      twin's operations lane for lane, simd.h); otherwise
#                      within the tolerance below
#                    NEON build = native LIGO_NO_SIMD build within 1e-4
#                      of 1 + |w| per weight (FMA and the vector exp round
#                      differently; measured 2.1e-6, as AVX2 against the
#                      portable kernels)
#                    arm64 LIGO_NO_SIMD build = native LIGO_NO_SIMD build,
#                      bitwise (the same portable C and glibc's libm)
#   test-cross-arm64-fuzz every fuzz target's committed corpus and
#                  regression inputs replayed under qemu-aarch64 by
#                  tests/fuzz/replay.c (below)
#   test-cross-s390x Linux on s390x (IBM Z, big-endian): Debian's
#                  s390x-linux-gnu-gcc (static), run under qemu-s390x
#                  (Debian: gcc-s390x-linux-gnu qemu-user). The unit suite
#                  with the same flags (plain -std=c99 -O2, where gcc
#                  evaluates float expressions in double, FLT_EVAL_METHOD
#                  1) and LIGO_TEST_SHORT=1 (five tests at smaller sizes:
#                  qemu-s390x runs float code about 50x slower than the
#                  host); then tests/cross/endian.sh with a tool built with
#                  -fexcess-precision=fast (float arithmetic, as x86-64's):
#                  checkpoints, trainer state, operator files and the
#                  export written on either byte order load bitwise on the
#                  other (eval loss bits, resumed and grown tensors). The
#                  tool smoke test is not run there (its growth benchmark
#                  alone takes over 6 minutes under qemu-s390x).
# Times measured on two cores busy with other work: test-cross-win 60 s with
# its builds (the runs 12 to 23 s), test-cross-arm64 12 minutes with its
# builds, its runs 618 s, under a load average near 7 (before the NEON
# kernels, their NaN tables and the two extra trainings: 5 minutes, 286 s),
# test-cross-s390x about 35 minutes at a load of 5 to 7 (the unit suite
# 1,908 s, endian.sh 154 s).
# A target whose compiler or emulator is missing says so and is skipped,
# except under CI=true, where that is an error.
MINGW_CC   ?= x86_64-w64-mingw32-gcc
WINE       ?= wine
CROSS_WARN  = $(STD) $(WARN) -Wvla
CB          = $(B)/cross
HAVE_WIN   := $(shell command -v $(MINGW_CC) >/dev/null 2>&1 && command -v $(WINE) >/dev/null 2>&1 && echo 1)
# wine's own chatter (fixme: lines) off; its prefix is the user's (WINEPREFIX)
WINE_RUN    = WINEDEBUG=-all $(WINE)

ARM64_CC   ?= aarch64-linux-gnu-gcc
QEMU_ARM64 ?= qemu-aarch64
HAVE_ARM64 := $(shell command -v $(ARM64_CC) >/dev/null 2>&1 && command -v $(QEMU_ARM64) >/dev/null 2>&1 && echo 1)

S390X_CC   ?= s390x-linux-gnu-gcc
QEMU_S390X ?= qemu-s390x
HAVE_S390X := $(shell command -v $(S390X_CC) >/dev/null 2>&1 && command -v $(QEMU_S390X) >/dev/null 2>&1 && echo 1)

.PHONY: test-cross test-cross-win test-cross-arm64 test-cross-arm64-fuzz test-cross-s390x

$(CB)/win/unit.exe: $(TEST_SRCS) $(TEST_HDRS) ligo.h
	@mkdir -p $(CB)/win
	$(MINGW_CC) $(CROSS_WARN) -O2 -o $@ $(TEST_SRCS) -lm

$(CB)/win/unit-interlocked.exe: $(TEST_SRCS) $(TEST_HDRS) ligo.h
	@mkdir -p $(CB)/win
	$(MINGW_CC) $(CROSS_WARN) -O2 -DLIGO__WIN32_INTERLOCKED -o $@ $(TEST_SRCS) -lm

$(CB)/win/ligo.exe: $(TOOL_SRCS) $(TOOL_HDRS) ligo.h
	@mkdir -p $(CB)/win
	$(MINGW_CC) $(CROSS_WARN) -O2 -o $@ $(TOOL_SRCS) -lm

$(CB)/win/link.exe $(CB)/win/link_nothreads.exe $(CB)/win/win_include.exe: tests/link/main.c tests/link/other.c \
    tests/cross/win_include.c ligo.h
	@mkdir -p $(CB)/win
	$(MINGW_CC) $(CROSS_WARN) -O1 -o $(CB)/win/link.exe tests/link/main.c tests/link/other.c -lm
	$(MINGW_CC) $(CROSS_WARN) -O1 -DLIGO_NO_THREADS -DLIGO_NO_SIMD -o $(CB)/win/link_nothreads.exe \
	    tests/link/main.c tests/link/other.c -lm
	$(MINGW_CC) $(CROSS_WARN) -O1 -o $(CB)/win/win_include.exe tests/cross/win_include.c -lm

# The builds are prerequisites (no recursive make: every make parses the
# whole Makefile, whose probes are not free); the recipe runs them.
# TARGET when its tools (TOOLS) are missing: an error under CI=true (CI must
# run it), else a skip; PACKAGES are Debian's
# $(call cross_missing,TARGET,TOOLS,PACKAGES)
define cross_missing
$(1):
	@if [ "$$(CI)" = true ]; then \
	    echo "$(1): $(2) is missing (Debian: apt-get install $(3)), and CI=true"; exit 1; \
	else echo "$(1): skipped ($(2) is missing; Debian: apt-get install $(3))"; fi
endef

ifeq ($(HAVE_WIN),1)
test-cross-win: $(CB)/win/unit.exe $(CB)/win/unit-interlocked.exe $(CB)/win/ligo.exe $(CB)/win/link.exe
	@t0=$$(date +%s); \
	$(WINE_RUN) $(CB)/win/link.exe && $(WINE_RUN) $(CB)/win/link_nothreads.exe && $(WINE_RUN) $(CB)/win/win_include.exe && \
	echo "test-cross-win: unit suite (gcc atomics) under wine:" && $(WINE_RUN) $(CB)/win/unit.exe && \
	echo "test-cross-win: unit suite (Interlocked atomics) under wine:" && $(WINE_RUN) $(CB)/win/unit-interlocked.exe && \
	WINEDEBUG=-all bash tests/cross/tool_smoke.sh $(CB)/win/smoke $(CB)/win/ligo.exe $(WINE) && \
	echo "test-cross-win: passed (the runs took $$(( $$(date +%s) - t0 )) s)"
else
$(eval $(call cross_missing,test-cross-win,$(MINGW_CC) or $(WINE),gcc-mingw-w64-x86-64 wine wine64))
endif

# ------------------------------------------------------------- ARM64
$(CB)/arm64/unit: $(TEST_SRCS) $(TEST_HDRS) ligo.h
	@mkdir -p $(CB)/arm64
	$(ARM64_CC) $(CROSS_WARN) -O2 -static -o $@ $(TEST_SRCS) $(LDLIBS)

$(CB)/arm64/ligo: $(TOOL_SRCS) $(TOOL_HDRS) ligo.h
	@mkdir -p $(CB)/arm64
	$(ARM64_CC) $(CROSS_WARN) -O2 -static -o $@ $(TOOL_SRCS) $(LDLIBS)

# the portable kernels on ARM64, for the bitwise checkpoint
$(CB)/arm64/ligo_portable: $(TOOL_SRCS) $(TOOL_HDRS) ligo.h
	@mkdir -p $(CB)/arm64
	$(ARM64_CC) $(CROSS_WARN) -O2 -static -DLIGO_NO_SIMD -o $@ $(TOOL_SRCS) $(LDLIBS)

$(CB)/arm64/nan_table: tests/nan_table.c ligo.h
	@mkdir -p $(CB)/arm64
	$(ARM64_CC) $(CROSS_WARN) -O2 -static -o $@ $< $(LDLIBS)

# clang too, as mk/nan.mk does natively (clang finds Debian's aarch64
# libraries and linker by itself)
$(CB)/arm64/nan_table_clang: tests/nan_table.c ligo.h
	@mkdir -p $(CB)/arm64
	$(CLANG) --target=aarch64-linux-gnu $(CROSS_WARN) -O2 -static -o $@ $< $(LDLIBS)

# the NEON tables are compared with a native portable build's (the same C;
# an ARM64 LIGO_NO_SIMD build's table was checked to be identical)
$(CB)/native_nosimd/nan_table: tests/nan_table.c ligo.h
	@mkdir -p $(CB)/native_nosimd
	$(CC) $(STD) $(WARN) -O2 -DLIGO_NO_SIMD -o $@ $< $(LDLIBS)

# the native tool on the portable kernels and on this CPU's SIMD kernels
$(CB)/native_nosimd/ligo: $(TOOL_SRCS) $(TOOL_HDRS) ligo.h
	@mkdir -p $(CB)/native_nosimd
	$(CC) $(STD) $(WARN) -O2 -DLIGO_NO_SIMD -o $@ $(TOOL_SRCS) $(LDLIBS)

$(CB)/native_simd/ligo: $(TOOL_SRCS) $(TOOL_HDRS) ligo.h
	@mkdir -p $(CB)/native_simd
	$(CC) $(STD) $(WARN) -O2 -o $@ $(TOOL_SRCS) $(LDLIBS)

ARM64_BUILDS = $(CB)/arm64/unit $(CB)/arm64/ligo $(CB)/arm64/ligo_portable $(CB)/arm64/nan_table \
               $(CB)/arm64/nan_table_clang $(CB)/native_nosimd/nan_table $(CB)/native_nosimd/ligo \
               $(CB)/native_simd/ligo

ifeq ($(HAVE_ARM64),1)
test-cross-arm64: $(ARM64_BUILDS)
	@t0=$$(date +%s); \
	bash tests/cross/arm64_nan.sh $(CB)/arm64/nan $(CB)/native_nosimd/nan_table $(QEMU_ARM64) $(CB)/arm64/nan_table \
	    $(CB)/arm64/nan_table_clang >$(CB)/arm64/nan.log 2>&1 & nan=$$!; \
	echo "test-cross-arm64: unit suite under $(QEMU_ARM64) (the NaN tables run meanwhile):" && \
	$(QEMU_ARM64) $(CB)/arm64/unit && \
	bash tests/cross/tool_smoke.sh $(CB)/arm64/smoke $(CB)/arm64/ligo $(QEMU_ARM64) && \
	bash tests/cross/arm64_ckpt.sh $(CB)/arm64/ckpt $(CB)/arm64/ligo $(CB)/arm64/ligo_portable $(CB)/native_simd/ligo \
	    $(CB)/native_nosimd/ligo $(QEMU_ARM64) && ok=1; \
	wait $$nan && nan_ok=1; \
	echo "test-cross-arm64: NaN tables, NEON (gcc, clang) against portable, under $(QEMU_ARM64):"; \
	cat $(CB)/arm64/nan.log; \
	[ "$$ok" = 1 ] && [ "$$nan_ok" = 1 ] && \
	echo "test-cross-arm64: passed (the runs took $$(( $$(date +%s) - t0 )) s)"
else
$(eval $(call cross_missing,test-cross-arm64,$(ARM64_CC) or $(QEMU_ARM64),gcc-aarch64-linux-gnu qemu-user))
endif

# ------------------------------------------------ fuzz corpora on ARM64
# Each fuzz target linked with tests/fuzz/replay.c (libFuzzer is x86-only
# in Debian) and run over its committed corpus and regression inputs under
# qemu-aarch64, with the NEON kernels: the targets' own checks (a failure
# without a message, a failed load that changed its operator or trainer)
# and crashes, without the sanitizers of the native fuzzing.
ARM64_REPLAY = $(addprefix $(CB)/arm64/replay_,$(FUZZ_TARGETS))
FUZZ_LIB_TARGETS = $(filter-out tool,$(FUZZ_TARGETS))

$(addprefix $(CB)/arm64/replay_,$(FUZZ_LIB_TARGETS)): $(CB)/arm64/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c \
    tests/fuzz/impl.c tests/fuzz/fuzz_common.h tests/fuzz/fuzz_grow.h ligo.h
	@mkdir -p $(CB)/arm64
	$(ARM64_CC) $(CROSS_WARN) -O2 -static -o $@ $< tests/fuzz/replay.c tests/fuzz/impl.c $(LDLIBS)

$(CB)/arm64/replay_tool: tests/fuzz/fuzz_tool.c tests/fuzz/replay.c $(TOOL_SRCS) $(TOOL_HDRS) ligo.h
	@mkdir -p $(CB)/arm64
	$(ARM64_CC) $(CROSS_WARN) -O2 -static -o $@ tests/fuzz/fuzz_tool.c tests/fuzz/replay.c $(filter-out examples/ligo.c,$(TOOL_SRCS)) \
	    $(LDLIBS)

ifeq ($(HAVE_ARM64),1)
test-cross-arm64-fuzz: $(ARM64_REPLAY)
	@t0=$$(date +%s); \
	for t in $(FUZZ_TARGETS); do \
	    r=tests/fuzz/regress/$$t; [ -d $$r ] || r=; \
	    printf 'test-cross-arm64-fuzz: %s: ' $$t; \
	    $(QEMU_ARM64) $(CB)/arm64/replay_$$t tests/fuzz/corpus/$$t $$r || { echo "test-cross-arm64-fuzz: $$t FAILED"; exit 1; }; \
	done; \
	echo "test-cross-arm64-fuzz: passed (the runs took $$(( $$(date +%s) - t0 )) s)"
else
$(eval $(call cross_missing,test-cross-arm64-fuzz,$(ARM64_CC) or $(QEMU_ARM64),gcc-aarch64-linux-gnu qemu-user))
endif

# ------------------------------------------------------------- s390x
$(CB)/s390x/unit: $(TEST_SRCS) $(TEST_HDRS) ligo.h
	@mkdir -p $(CB)/s390x
	$(S390X_CC) $(CROSS_WARN) -O2 -static -o $@ $(TEST_SRCS) $(LDLIBS)

# float arithmetic in float, as on x86-64, for the bitwise comparisons
$(CB)/s390x/ligo: $(TOOL_SRCS) $(TOOL_HDRS) ligo.h
	@mkdir -p $(CB)/s390x
	$(S390X_CC) $(CROSS_WARN) -O2 -fexcess-precision=fast -static -o $@ $(TOOL_SRCS) $(LDLIBS)

ifeq ($(HAVE_S390X),1)
test-cross-s390x: $(CB)/s390x/unit $(CB)/s390x/ligo $(CB)/native_nosimd/ligo
	@t0=$$(date +%s); \
	echo "test-cross-s390x: unit suite under $(QEMU_S390X) (LIGO_TEST_SHORT=1):" && \
	LIGO_TEST_SHORT=1 $(QEMU_S390X) $(CB)/s390x/unit && \
	bash tests/cross/endian.sh $(CB)/s390x/endian $(CB)/native_nosimd/ligo $(CB)/s390x/ligo $(QEMU_S390X) && \
	echo "test-cross-s390x: passed (the runs took $$(( $$(date +%s) - t0 )) s)"
else
$(eval $(call cross_missing,test-cross-s390x,$(S390X_CC) or $(QEMU_S390X),gcc-s390x-linux-gnu qemu-user))
endif

test-cross: test-cross-win test-cross-arm64 test-cross-arm64-fuzz test-cross-s390x
