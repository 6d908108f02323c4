#define _POSIX_C_SOURCE 200809L
/* fuzz_tool.c: the ligo tool's command line. The input is split at NUL
 * bytes into argv[1..]; the real main runs with tool_dry_run set, so each
 * command parses and checks its options (numbers, ranges, names of
 * families, methods, schedules, initialisations) and stops before it reads
 * a file. The exit status must be 0 (parsed or --help) or 2 (usage error
 * with a message). */
#include <fcntl.h>
#include <unistd.h>

#define LIGO_TOOL_MAIN ligo_tool_main
#include "../../examples/ligo.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int g_quiet_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    tool_dry_run = 1;
    /* the commands' usage messages would flood the log; FUZZ_TOOL_VERBOSE=1 keeps them */
    if (!getenv("FUZZ_TOOL_VERBOSE")) g_quiet_fd = open("/dev/null", O_WRONLY);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    enum { MAX_ARGS = 64 };
    char *buf, *argv[MAX_ARGS + 2];
    int argc = 1, rc, saved_out = -1, saved_err = -1;
    size_t i, start = 0;
    if (size > 4096) return 0;
    buf = (char *)malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    argv[0] = (char *)"ligo";
    for (i = 0; i <= size && argc <= MAX_ARGS; i++) {
        if (i == size || buf[i] == '\0') {
            buf[i] = '\0';
            argv[argc++] = buf + start;
            start = i + 1;
        }
    }
    argv[argc] = NULL;
    if (g_quiet_fd >= 0) {
        fflush(stdout);
        fflush(stderr);
        saved_out = dup(1);
        saved_err = dup(2);
        dup2(g_quiet_fd, 1);
        dup2(g_quiet_fd, 2);
    }
    rc = ligo_tool_main(argc, argv);
    if (g_quiet_fd >= 0) {
        fflush(stdout);
        fflush(stderr);
        dup2(saved_out, 1);
        dup2(saved_err, 2);
        close(saved_out);
        close(saved_err);
    }
    if (rc != 0 && rc != 2) {
        fprintf(stderr, "fuzz_tool: exit status %d in dry-run mode\n", rc);
        abort();
    }
    free(buf);
    return 0;
}
