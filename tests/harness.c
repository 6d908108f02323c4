/* harness.c: counts and prints test results; the file-system helpers. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L /* getpid, mkdir, rmdir, stat */
#endif
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#if defined(_WIN32)
#include <direct.h>
#include <process.h>
#else
#include <unistd.h>
#endif

long harness_pid(void) {
#if defined(_WIN32)
    return (long)_getpid();
#else
    return (long)getpid();
#endif
}

int harness_mkdir(const char *path) {
#if defined(_WIN32)
    return _mkdir(path);
#else
    return mkdir(path, 0700);
#endif
}

int harness_rmdir(const char *path) {
#if defined(_WIN32)
    return _rmdir(path);
#else
    return rmdir(path);
#endif
}

int harness_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

double harness_worst(const float *got, const float *want, int64_t n) {
    double worst = 0.0;
    int64_t i;
    for (i = 0; i < n; i++) {
        double g = got[i], w = want[i], d;
        if (g != g || w != w) {
            if (g != g && w != w) continue;
            return HUGE_VAL;
        }
        if (g == w) continue; /* equal infinities too */
        d = fabs(g - w);
        if (d > worst) worst = d;
    }
    return worst;
}

const char *harness_tmpdir(void) {
#if defined(_WIN32)
    const char *t = getenv("TEMP");
    if (!t || !*t) t = getenv("TMP");
    return t && *t ? t : ".";
#else
    return "/tmp";
#endif
}

int harness_short(void) {
    const char *v = getenv("LIGO_TEST_SHORT");
    return v && *v && strcmp(v, "0") != 0;
}

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
