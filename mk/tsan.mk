# ThreadSanitizer (issue 17):
#   unit-tsan   (in make test) the unit suite built with clang's
#               -fsanitize=thread, run twice: the default pool (spin, then
#               block) and the blocking-only pool (-DLIGO_POOL_SPIN=0). Its
#               tests run the pool, GEMM, the ops, training steps and growth
#               fitting on 2 or 3 threads. Any report fails the target.
#               Needs clang's TSan runtime (Debian: libclang-rt-14-dev);
#               skipped when clang cannot link a -fsanitize=thread program.
# The portable kernels (-DLIGO_NO_SIMD) split work the same way and take
# 3x as long under TSan, so they are left to unit-portable.

.PHONY: unit-tsan

TSAN_CFLAGS  = $(STD) $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=thread
TSAN_OPTS    = halt_on_error=1 exitcode=66 second_deadlock_stack=1
HAVE_TSAN   := $(shell printf 'int main(void){return 0;}\n' | $(CLANG) -fsanitize=thread -x c - -o /dev/null 2>/dev/null && echo 1)

$(B)/unit-tsan: $(TEST_SRCS) $(TEST_HDRS) ligo.h | $(B)
	$(CLANG) $(TSAN_CFLAGS) -o $@ $(TEST_SRCS) $(LDLIBS)

$(B)/unit-tsan-block: $(TEST_SRCS) $(TEST_HDRS) ligo.h | $(B)
	$(CLANG) $(TSAN_CFLAGS) -DLIGO_POOL_SPIN=0 -o $@ $(TEST_SRCS) $(LDLIBS)

unit-tsan:
ifeq ($(HAVE_TSAN),1)
	$(MAKE) $(B)/unit-tsan $(B)/unit-tsan-block
	TSAN_OPTIONS="$(TSAN_OPTS)" $(B)/unit-tsan
	TSAN_OPTIONS="$(TSAN_OPTS)" $(B)/unit-tsan-block
	@echo "unit-tsan: no ThreadSanitizer reports (spinning and blocking pool)"
else
	@echo "unit-tsan: skipped (clang cannot link -fsanitize=thread; Debian: apt-get install libclang-rt-14-dev)"
endif

TEST_EXTRA += unit-tsan
