/* bench/gemm.c: GFLOP/s of ligo's built-in SGEMM, BLIS (when compiled in)
 * and the reference kernel, on 1 and 2 threads.
 *
 *   gcc -std=c99 -Wall -Wextra -Wpedantic -Werror -O2 -g -o build/bench_gemm \
 *       bench/gemm.c -DLIGO_BENCH_BLIS -lblis -lm -lpthread
 *   (without -DLIGO_BENCH_BLIS and -lblis: built-in and reference only)
 *
 * Rows: square NN products, then the transformer shapes (M = 2048 tokens)
 * as NN, NT and TN. Each row and thread count is timed in R alternating
 * rounds (--rounds, 5): ours then BLIS in even rounds, BLIS then ours in odd
 * ones, each side's figure the median of its timed batches in that round
 * (at least 3, about 0.2 s / R). The ratio printed is the median of the R
 * per-round ratios, with their lowest and highest beside it, so drift of
 * the machine's speed between rounds cancels and shows. One context per
 * thread count keeps its thread pool for the whole run. The peak is
 * measured by an FMA loop in the same run. The last line is one JSON
 * object.
 * Options: --quick (shorter timings, 3 rounds), --rounds R (1..15),
 * --threads N (the "2t" columns). */
#define LIGO_IMPLEMENTATION
#include "../ligo.h"

#ifdef LIGO_BENCH_BLIS
#define LIGO_BLAS_IMPLEMENTATION
#include "../ligo_blas.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define BENCH_X86 1
#include <immintrin.h>
#else
#define BENCH_X86 0
#endif

static double bench_min_time = 0.2;

/* ------------------------------------------------------------- peak */

#if BENCH_X86
/* 12 independent FMA chains of 8 floats: enough to cover latency x width. */
__attribute__((target("avx2,fma"))) static float bench_fma_loop(int64_t iters) {
    __m256 a0 = _mm256_set1_ps(0.1f), a1 = _mm256_set1_ps(0.2f), a2 = _mm256_set1_ps(0.3f);
    __m256 a3 = _mm256_set1_ps(0.4f), a4 = _mm256_set1_ps(0.5f), a5 = _mm256_set1_ps(0.6f);
    __m256 a6 = _mm256_set1_ps(0.7f), a7 = _mm256_set1_ps(0.8f), a8 = _mm256_set1_ps(0.9f);
    __m256 a9 = _mm256_set1_ps(1.0f), a10 = _mm256_set1_ps(1.1f), a11 = _mm256_set1_ps(1.2f);
    __m256 m = _mm256_set1_ps(0.9999f), c = _mm256_set1_ps(1e-6f);
    float out[8];
    int64_t i;
    for (i = 0; i < iters; i++) {
        a0 = _mm256_fmadd_ps(a0, m, c);
        a1 = _mm256_fmadd_ps(a1, m, c);
        a2 = _mm256_fmadd_ps(a2, m, c);
        a3 = _mm256_fmadd_ps(a3, m, c);
        a4 = _mm256_fmadd_ps(a4, m, c);
        a5 = _mm256_fmadd_ps(a5, m, c);
        a6 = _mm256_fmadd_ps(a6, m, c);
        a7 = _mm256_fmadd_ps(a7, m, c);
        a8 = _mm256_fmadd_ps(a8, m, c);
        a9 = _mm256_fmadd_ps(a9, m, c);
        a10 = _mm256_fmadd_ps(a10, m, c);
        a11 = _mm256_fmadd_ps(a11, m, c);
    }
    a0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                       _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    a0 = _mm256_add_ps(a0, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    _mm256_storeu_ps(out, a0);
    return out[0] + out[7];
}
#define BENCH_FMA_FLOPS_PER_ITER (12.0 * 8.0 * 2.0)
#endif

typedef struct bench_peak_arg {
    int64_t iters;
    volatile float sink[64];
} bench_peak_arg;

static void bench_peak_task(void *arg, int ith, int nth) {
    bench_peak_arg *p = (bench_peak_arg *)arg;
    (void)nth;
#if BENCH_X86
    p->sink[ith & 63] = bench_fma_loop(p->iters);
#else
    p->sink[ith & 63] = (float)p->iters;
#endif
}

/* GFLOP/s of nth threads each running the FMA loop: the best of 5. */
static double bench_peak(ligo_ctx *ctx, int nth) {
#if BENCH_X86
    bench_peak_arg arg;
    double best = 0.0;
    int r;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0.0;
    arg.iters = 20000000;
    for (r = 0; r < 5; r++) {
        double t0 = ligo_time_sec(), t;
        ligo_parallel_for(ctx, bench_peak_task, &arg, nth);
        t = ligo_time_sec() - t0;
        if (t > 0 && BENCH_FMA_FLOPS_PER_ITER * (double)arg.iters * nth / t * 1e-9 > best)
            best = BENCH_FMA_FLOPS_PER_ITER * (double)arg.iters * nth / t * 1e-9;
    }
    return best;
#else
    (void)ctx;
    (void)nth;
    return 0.0;
#endif
}

/* ------------------------------------------------------------ timing */

typedef struct bench_case {
    int ta, tb;
    int64_t M, N, K;
    float *A, *B, *C;
} bench_case;

enum { KIND_BUILTIN, KIND_BLIS, KIND_REF, KIND_HOOK };

static void bench_run(int kind, ligo_ctx *ctx, const bench_case *c) {
    int64_t lda = c->ta ? c->M : c->K, ldb = c->tb ? c->K : c->N;
    switch (kind) {
    case KIND_BUILTIN:
        ligo_sgemm_builtin(ctx, c->ta, c->tb, c->M, c->N, c->K, 1.0f, c->A, lda, c->B, ldb, 0.0f, c->C, c->N);
        break;
    case KIND_REF:
        ligo_sgemm_ref(c->ta, c->tb, c->M, c->N, c->K, 1.0f, c->A, lda, c->B, ldb, 0.0f, c->C, c->N);
        break;
    case KIND_HOOK:
        ligo_sgemm(ctx, c->ta, c->tb, c->M, c->N, c->K, 1.0f, c->A, lda, c->B, ldb, 0.0f, c->C, c->N);
        break;
#ifdef LIGO_BENCH_BLIS
    case KIND_BLIS: {
        float one = 1.0f, zero = 0.0f;
        bli_sgemm(c->ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, c->tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, (dim_t)c->M,
                  (dim_t)c->N, (dim_t)c->K, &one, c->A, (inc_t)lda, 1, c->B, (inc_t)ldb, 1, &zero, c->C,
                  (inc_t)c->N, 1);
        break;
    }
#endif
    default:
        break;
    }
}

static int bench_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of x[0..n-1] (sorts x). */
static double bench_median(double *x, int n) {
    qsort(x, (size_t)n, sizeof x[0], bench_cmp);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* GFLOP/s: median over timed batches; a batch lasts >= 2 ms. */
static double bench_gflops(int kind, ligo_ctx *ctx, const bench_case *c, double min_time) {
    double flops = 2.0 * (double)c->M * (double)c->N * (double)c->K;
    double samples[256], t0, t, total = 0.0;
    int n = 0, reps = 1, r;
    bench_run(kind, ctx, c); /* warm up */
    t0 = ligo_time_sec();
    bench_run(kind, ctx, c);
    t = ligo_time_sec() - t0;
    if (t < 2e-3) reps = (int)(2e-3 / (t > 1e-7 ? t : 1e-7)) + 1;
    while (n < 256 && (n < 3 || total < min_time)) {
        t0 = ligo_time_sec();
        for (r = 0; r < reps; r++) bench_run(kind, ctx, c);
        t = ligo_time_sec() - t0;
        total += t;
        samples[n++] = t / reps;
    }
    return flops / bench_median(samples, n) * 1e-9;
}

static float *bench_rand(ligo_rng *rng, int64_t n) {
    float *x = (float *)malloc((size_t)n * sizeof(float));
    int64_t i;
    if (!x) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    for (i = 0; i < n; i++) x[i] = ligo_rng_uniform(rng) - 0.5f;
    return x;
}

/* ------------------------------------------------------------- main */

typedef struct bench_row {
    char name[48];
    double ours[2], blis[2], ref;
    double ratio[2], ratio_lo[2], ratio_hi[2]; /* median, lowest, highest per-round ratio */
} bench_row;

#define BENCH_MAX_ROWS 40
#define BENCH_MAX_ROUNDS 15

/* One row at one thread count: `rounds` alternating rounds of ours and
 * BLIS (or ours alone without BLIS). */
static void bench_row_rounds(bench_row *row, int th, ligo_ctx *ctx, const bench_case *c, int have_blis, int rounds) {
    double ours[BENCH_MAX_ROUNDS] = {0}, blis[BENCH_MAX_ROUNDS] = {0}, ratio[BENCH_MAX_ROUNDS] = {0};
    double t = bench_min_time / rounds;
    int r;
    for (r = 0; r < rounds; r++) {
        if (have_blis && r % 2) blis[r] = bench_gflops(KIND_BLIS, ctx, c, t);
        ours[r] = bench_gflops(KIND_BUILTIN, ctx, c, t);
        if (have_blis && r % 2 == 0) blis[r] = bench_gflops(KIND_BLIS, ctx, c, t);
        ratio[r] = have_blis ? ours[r] / blis[r] : 0.0;
    }
    row->ratio_lo[th] = row->ratio_hi[th] = ratio[0];
    for (r = 1; r < rounds; r++) {
        if (ratio[r] < row->ratio_lo[th]) row->ratio_lo[th] = ratio[r];
        if (ratio[r] > row->ratio_hi[th]) row->ratio_hi[th] = ratio[r];
    }
    row->ours[th] = bench_median(ours, rounds);
    row->blis[th] = have_blis ? bench_median(blis, rounds) : 0.0;
    row->ratio[th] = have_blis ? bench_median(ratio, rounds) : 0.0;
}

static void bench_blis_threads(int n) {
#ifdef LIGO_BENCH_BLIS
    bli_thread_set_num_threads((dim_t)n);
#else
    (void)n;
#endif
}

static void bench_set_threads(ligo_ctx *ctx, int n) {
    if (ligo_set_num_threads(ctx, n) != LIGO_OK) {
        fprintf(stderr, "bench: %s\n", ligo_get_error(ctx));
        exit(1);
    }
}

int main(int argc, char **argv) {
    static const int64_t squares[] = {64, 128, 256, 512, 1024};
    static const int64_t shapes[][2] = {{128, 384}, {128, 128}, {128, 512},  {512, 128}, {256, 768},
                                        {256, 1024}, {1024, 256}, {128, 65}, {256, 65}};
    static const char *tnames[3] = {"NN", "NT", "TN"};
    bench_row rows[BENCH_MAX_ROWS];
    ligo_ctx *ctxs[2];
    ligo_rng rng;
    int nrows = 0, i, th, have_blis = 0, threads[2] = {1, 2}, rounds = 5, rounds_set = 0;
    double peak[2], min_ratio[2] = {1e30, 1e30};
    float *A, *B, *C;
    int64_t maxel = (int64_t)2048 * 1024;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            bench_min_time = 0.05;
            if (!rounds_set) rounds = 3;
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            rounds = atoi(argv[++i]);
            rounds_set = 1;
            if (rounds < 1 || rounds > BENCH_MAX_ROUNDS) {
                fprintf(stderr, "bench: --rounds %s is out of range [1, %d]\n", argv[i], BENCH_MAX_ROUNDS);
                return 2;
            }
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            threads[1] = atoi(argv[++i]);
            if (threads[1] < 1) threads[1] = 1;
        } else {
            fprintf(stderr, "usage: %s [--quick] [--rounds R] [--threads N]\n", argv[0]);
            return 2;
        }
    }
#ifdef LIGO_BENCH_BLIS
    have_blis = 1;
#endif
    ctxs[0] = ligo_ctx_new(NULL);
    ctxs[1] = ligo_ctx_new(NULL);
    if (!ctxs[0] || !ctxs[1]) {
        fprintf(stderr, "bench: ligo_ctx_new failed\n");
        return 1;
    }
    ligo_rng_seed(&rng, 1);
    A = bench_rand(&rng, maxel);
    B = bench_rand(&rng, maxel);
    C = bench_rand(&rng, maxel);

    bench_set_threads(ctxs[0], threads[0]);
    bench_set_threads(ctxs[1], threads[1]);
    peak[0] = bench_peak(ctxs[0], 1);
    peak[1] = bench_peak(ctxs[1], threads[1]);
    printf("ligo sgemm benchmark: kernel %s, %d cpus, BLIS %s\n", ligo_sgemm_kernel_name(), ligo_cpu_count(),
           have_blis ? "compiled in" : "not compiled in (-DLIGO_BENCH_BLIS -lblis)");
    printf("FMA peak: %.1f GFLOP/s on 1 thread, %.1f on %d\n", peak[0], peak[1], threads[1]);
    if (threads[1] > 1 && peak[1] < 0.75 * threads[1] * peak[0])
        printf("warning: %d threads reach only %.2fx one thread's peak: other work is running; "
               "the %dt columns are not meaningful, rerun when the machine is idle\n",
               threads[1], peak[1] / peak[0], threads[1]);
    printf("\n");
    printf("%d alternating rounds per row and thread count; ratio: the median per-round ratio, [lowest, highest]\n",
           rounds);
    printf("%-22s | %8s %8s %6s %13s %6s | %8s %8s %6s %13s %6s | %7s\n", "GFLOP/s", "ours-1t", "blis-1t", "ratio",
           "range", "%peak", "ours-2t", "blis-2t", "ratio", "range", "%peak", "ref-1t");
    if (threads[1] != 2) printf("(the 2t columns use %d threads)\n", threads[1]);
    printf("-----------------------+---------------------------------------------------+"
           "---------------------------------------------------+--------\n");

    for (i = 0; i < 5 + 27; i++) {
        bench_case c;
        bench_row *row = &rows[nrows];
        memset(&c, 0, sizeof c);
        c.A = A;
        c.B = B;
        c.C = C;
        if (i < 5) {
            c.M = c.N = c.K = squares[i];
            snprintf(row->name, sizeof row->name, "NN %lld^3", (long long)squares[i]);
        } else {
            int s = (i - 5) / 3, t = (i - 5) % 3;
            c.M = 2048;
            c.K = shapes[s][0];
            c.N = shapes[s][1];
            c.ta = t == 2;
            c.tb = t == 1;
            snprintf(row->name, sizeof row->name, "%s %lldx%lldx%lld", tnames[t], (long long)c.M, (long long)c.N,
                     (long long)c.K);
        }
        for (th = 0; th < 2; th++) {
            bench_blis_threads(threads[th]);
            bench_row_rounds(row, th, ctxs[th], &c, have_blis, rounds);
            if (have_blis && row->ratio[th] < min_ratio[th]) min_ratio[th] = row->ratio[th];
        }
        row->ref = (c.M * c.N * c.K <= (int64_t)256 * 256 * 256 && c.M == c.N) ? bench_gflops(KIND_REF, NULL, &c, 0.05)
                                                                              : 0.0;
        printf("%-22s |", row->name);
        for (th = 0; th < 2; th++) {
            printf(" %8.1f", row->ours[th]);
            if (have_blis)
                printf(" %8.1f %6.3f [%5.3f,%5.3f]", row->blis[th], row->ratio[th], row->ratio_lo[th],
                       row->ratio_hi[th]);
            else
                printf(" %8s %6s %13s", "-", "-", "-");
            printf(" %5.1f%% |", peak[th] > 0 ? 100.0 * row->ours[th] / peak[th] : 0.0);
        }
        if (row->ref > 0)
            printf(" %7.2f\n", row->ref);
        else
            printf(" %7s\n", "-");
        fflush(stdout);
        nrows++;
    }

#ifdef LIGO_BENCH_BLIS
    /* End to end: ligo_sgemm through the installed hook vs bli_sgemm. */
    {
        static const int64_t e2e[][5] = {{0, 0, 1024, 1024, 1024}, {0, 1, 2048, 768, 256}, {1, 0, 2048, 256, 1024}};
        int e;
        printf("\nhook path: ligo_blas_install + ligo_sgemm vs bli_sgemm directly\n");
        for (th = 0; th < 2; th++) {
            ligo_ctx *ctx = ctxs[th];
            bench_blis_threads(threads[th]);
            ligo_blas_install(threads[th]);
            for (e = 0; e < 3; e++) {
                bench_case c;
                double hook, direct;
                memset(&c, 0, sizeof c);
                c.A = A;
                c.B = B;
                c.C = C;
                c.ta = (int)e2e[e][0];
                c.tb = (int)e2e[e][1];
                c.M = e2e[e][2];
                c.N = e2e[e][3];
                c.K = e2e[e][4];
                hook = bench_gflops(KIND_HOOK, ctx, &c, bench_min_time);
                direct = bench_gflops(KIND_BLIS, ctx, &c, bench_min_time);
                printf("  %dt %s%s %lldx%lldx%lld: hook %.1f, direct %.1f GFLOP/s, hook/direct %.3f\n", threads[th],
                       c.ta ? "T" : "N", c.tb ? "T" : "N", (long long)c.M, (long long)c.N, (long long)c.K, hook,
                       direct, hook / direct);
            }
            ligo_blas_uninstall();
        }
    }
#endif

    /* one JSON line */
    printf("\n{\"kernel\":\"%s\",\"rounds\":%d,\"peak_gflops_1t\":%.2f,\"peak_gflops_2t\":%.2f",
           ligo_sgemm_kernel_name(), rounds, peak[0], peak[1]);
    if (have_blis)
        printf(",\"min_ratio_1t\":%.3f,\"min_ratio_2t\":%.3f", min_ratio[0], min_ratio[1]);
    else
        printf(",\"min_ratio_1t\":null,\"min_ratio_2t\":null");
    printf(",\"rows\":[");
    for (i = 0; i < nrows; i++) {
        printf("%s{\"name\":\"%s\",\"ours_1t\":%.2f,\"ours_2t\":%.2f", i ? "," : "", rows[i].name, rows[i].ours[0],
               rows[i].ours[1]);
        if (have_blis)
            printf(",\"blis_1t\":%.2f,\"blis_2t\":%.2f,\"ratio_1t\":%.3f,\"ratio_2t\":%.3f"
                   ",\"ratio_1t_range\":[%.3f,%.3f],\"ratio_2t_range\":[%.3f,%.3f]",
                   rows[i].blis[0], rows[i].blis[1], rows[i].ratio[0], rows[i].ratio[1], rows[i].ratio_lo[0],
                   rows[i].ratio_hi[0], rows[i].ratio_lo[1], rows[i].ratio_hi[1]);
        if (rows[i].ref > 0) printf(",\"ref_1t\":%.3f", rows[i].ref);
        printf("}");
    }
    printf("]}\n");
    free(A);
    free(B);
    free(C);
    ligo_ctx_free(ctxs[0]);
    ligo_ctx_free(ctxs[1]);
    return 0;
}
