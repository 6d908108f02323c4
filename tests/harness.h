/* harness.h: the plain test harness. A test is a function; CHECK records a
 * failure with file and line and lets the test go on. main() (tests/main.c)
 * runs every suite and prints "N passed, N failed" last, exiting non-zero
 * on any failure. */
#ifndef LIGO_TEST_HARNESS_H
#define LIGO_TEST_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

/* the ops' own test cases (ligo_op_cases) */
#define LIGO_OP_TESTS
#include "../ligo.h"

extern int harness_failures_in_test; /* checks failed in the running test */

void harness_run(const char *name, void (*fn)(void));
void harness_fail(const char *file, int line, const char *fmt, ...) LIGO__FORMAT(3, 4);
/* Skipped tests count neither as passed nor failed; the reason is printed. */
void harness_skip(const char *why);

/* The file system, the same on POSIX and Windows: the process id, a
 * directory made (0700 on POSIX) and removed (0 on success, like mkdir
 * and rmdir), whether a path exists, and where temporary files go ("/tmp",
 * or on Windows %TEMP%, else "."). */
long harness_pid(void);
int harness_mkdir(const char *path);
int harness_rmdir(const char *path);
int harness_exists(const char *path);
const char *harness_tmpdir(void);

/* The largest |got[i] - want[i]| over n floats, in double, and +inf where
 * one of a pair is NaN and the other not or two infinities differ (an
 * fmax reduction skips a NaN; both NaN agree). The tests' element-wise
 * comparisons go through it: gcc 12 for aarch64 crashes at -O2 (an
 * internal error in vect_transform_reduction) vectorising the fmax loop
 * this replaces, and the early return keeps the loop scalar. */
double harness_worst(const float *got, const float *want, int64_t n);

/* 1 when LIGO_TEST_SHORT is set (and not "0"): the few tests that are
 * only slow under an emulator (qemu-s390x runs the suite about 4x slower
 * than qemu-aarch64) use smaller sizes or fewer steps, each saying so in
 * its comment; the checks stay. make test never sets it. */
int harness_short(void);

#define RUN(fn) harness_run(#fn, fn)

#define CHECK(cond)                                                      \
    do {                                                                 \
        if (!(cond)) harness_fail(__FILE__, __LINE__, "%s", #cond);      \
    } while (0)

#define CHECK_MSG(cond, ...)                                             \
    do {                                                                 \
        if (!(cond)) harness_fail(__FILE__, __LINE__, __VA_ARGS__);      \
    } while (0)

/* |got - want| <= tol, with both printed on failure. */
#define CHECK_NEAR(got, want, tol)                                                    \
    do {                                                                              \
        double g_ = (double)(got), w_ = (double)(want), t_ = (double)(tol);           \
        if (!(fabs(g_ - w_) <= t_))                                                   \
            harness_fail(__FILE__, __LINE__, "%s = %.9g, want %.9g (tol %.3g)", #got, \
                         g_, w_, t_);                                                 \
    } while (0)

#define CHECK_STATUS(got, want)                                                        \
    do {                                                                               \
        ligo_status g_ = (got), w_ = (want);                                           \
        if (g_ != w_)                                                                  \
            harness_fail(__FILE__, __LINE__, "%s = %s, want %s", #got,                 \
                         ligo_status_str(g_), ligo_status_str(w_));                    \
    } while (0)

#endif
