/* harness.c: counts and prints test results. */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>

int harness_failures_in_test = 0;
static int harness_passed = 0, harness_failed = 0, harness_skipped = 0;
static int harness_skip_flag = 0;
static const char *harness_current = "";

void harness_fail(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    harness_failures_in_test++;
    if (harness_failures_in_test > 10) return; /* one broken test, not a flood */
    fprintf(stdout, "  FAIL %s (%s:%d): ", harness_current, file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

void harness_skip(const char *why) {
    harness_skip_flag = 1;
    fprintf(stdout, "  skip %s: %s\n", harness_current, why);
}

void harness_run(const char *name, void (*fn)(void)) {
    harness_current = name;
    harness_failures_in_test = 0;
    harness_skip_flag = 0;
    fn();
    if (harness_failures_in_test) {
        harness_failed++;
        fprintf(stdout, "FAIL %s (%d failed checks)\n", name, harness_failures_in_test);
    } else if (harness_skip_flag) {
        harness_skipped++;
    } else {
        harness_passed++;
        if (getenv("LIGO_TEST_VERBOSE")) fprintf(stdout, "ok   %s\n", name);
    }
    fflush(stdout);
}

int harness_report(void);
int harness_report(void) {
    if (harness_skipped)
        printf("%d passed, %d failed, %d skipped\n", harness_passed, harness_failed, harness_skipped);
    else
        printf("%d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed ? 1 : 0;
}
