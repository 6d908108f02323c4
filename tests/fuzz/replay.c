#define _POSIX_C_SOURCE 200809L
/* replay.c: a fuzz target's inputs run without libFuzzer, for the builds
 * that have none (Debian ships libFuzzer for x86 only; make
 * test-cross-arm64-fuzz links each target with this file for ARM64 and
 * replays the committed corpora under qemu-aarch64).
 *
 *   replay PATH...   each PATH a file, or a directory whose files are run
 *                    in name order
 *
 * Each input goes once through the target's LLVMFuzzerTestOneInput, after
 * LLVMFuzzerInitialize where the target has one (a weak reference). A
 * finding aborts inside the target, as under libFuzzer, so the exit status
 * tells; without sanitizers only the targets' own checks (a failure without
 * a message, a state changed by a failed load, ...) and crashes are seen.
 * Exit 0 after "replay: N inputs", 1 when a path cannot be read or holds
 * no input. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* One file through the target; 0, or 1 when it cannot be read. */
static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0, got;
    if (!f) {
        perror(path);
        return 1;
    }
    for (;;) {
        if (n == cap) {
            unsigned char *grown = (unsigned char *)realloc(buf, cap ? cap * 2 : 4096);
            if (!grown) {
                fprintf(stderr, "replay: %s: out of memory\n", path);
                free(buf);
                fclose(f);
                return 1;
            }
            buf = grown;
            cap = cap ? cap * 2 : 4096;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        perror(path);
        free(buf);
        fclose(f);
        return 1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A directory's regular files in name order; the count run, or -1. */
static long replay_dir(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL, path[4096];
    size_t n = 0, cap = 0, i;
    long done = 0;
    struct stat sb;
    if (!d) {
        perror(dir);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            char **grown = (char **)realloc(names, (cap ? cap * 2 : 64) * sizeof *names);
            if (!grown) break;
            names = grown;
            cap = cap ? cap * 2 : 64;
        }
        names[n] = (char *)malloc(strlen(e->d_name) + 1);
        if (!names[n]) break;
        strcpy(names[n++], e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (replay_file(path)) done = -1;
            else if (done >= 0) done++;
        }
        free(names[i]);
    }
    free(names);
    return done;
}

int main(int argc, char **argv) {
    long total = 0;
    int i;
    struct stat sb;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    for (i = 1; i < argc; i++) {
        long k;
        if (stat(argv[i], &sb) != 0) {
            perror(argv[i]);
            return 1;
        }
        k = S_ISDIR(sb.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]) ? -1 : 1;
        if (k < 0) return 1;
        total += k;
    }
    printf("replay: %ld inputs\n", total);
    return total > 0 ? 0 : 1;
}
