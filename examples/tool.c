/* tool.c: argument parsing and JSON output shared by the ligo tool's
 * commands. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L /* mkdir */
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#if defined(_WIN32)
#define WIN32_LEAN_AND_MEAN
#include <direct.h>
#include <fcntl.h>
#include <io.h>
#include <windows.h>
#endif

#include "../ligo.h"
#include "tool.h"

int tool_dry_run = 0;

int tool_mkdir(const char *path) {
#if defined(_WIN32)
    return _mkdir(path);
#else
    return mkdir(path, 0777);
#endif
}

FILE *tool_file_begin(tool_file *t, const char *path) {
    ligo_ctx_params cp = ligo_ctx_params_default();
    cp.n_threads = 1;
    t->file.f = NULL;
    t->ctx = ligo_ctx_new(&cp);
    if (!t->ctx) {
        fprintf(stderr, "ligo: %s: no memory to write it\n", path);
        return NULL;
    }
    if (ligo_file_begin(t->ctx, path, &t->file) != LIGO_OK) {
        fprintf(stderr, "ligo: %s\n", ligo_get_error(t->ctx));
        ligo_ctx_free(t->ctx);
        t->ctx = NULL;
        return NULL;
    }
    return t->file.f;
}

int tool_file_commit(tool_file *t) {
    int rc = 0;
    if (!t->ctx) return 1;
    if (ligo_file_commit(t->ctx, &t->file) != LIGO_OK) {
        fprintf(stderr, "ligo: %s\n", ligo_get_error(t->ctx));
        rc = 1;
    }
    ligo_ctx_free(t->ctx);
    t->ctx = NULL;
    return rc;
}

void tool_file_abandon(tool_file *t) {
    if (!t->ctx) return;
    ligo_file_abandon(t->ctx, &t->file);
    ligo_ctx_free(t->ctx);
    t->ctx = NULL;
}

void tool_binary_stdio(void) {
#if defined(_WIN32)
    fflush(stdout);
    fflush(stderr);
    _setmode(_fileno(stdout), _O_BINARY);
    _setmode(_fileno(stderr), _O_BINARY);
#endif
}

int tool_usage_error(const char *cmd, const char *fmt, const char *a, const char *b) {
    fprintf(stderr, "ligo %s: ", cmd);
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n(try: ligo %s --help)\n", cmd);
    return 2;
}

static void print_help(const char *cmd, const char *summary, const tool_opt *opts) {
    int i;
    printf("usage: ligo %s [options]\n%s\n\noptions:\n", cmd, summary);
    for (i = 0; opts[i].name; i++) printf("  %-18s %s\n", opts[i].name, opts[i].help);
    printf("  %-18s %s\n", "--help", "this text");
}

int tool_parse(const char *cmd, const char *summary, int argc, char **argv, const tool_opt *opts) {
    int i, k;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(cmd, summary, opts);
            return 1;
        }
        for (k = 0; opts[k].name; k++)
            if (strcmp(a, opts[k].name) == 0) break;
        if (!opts[k].name) return tool_usage_error(cmd, "unknown option '%s'%s", a, "");
        if (opts[k].kind == 'b') {
            *(int *)opts[k].dst = 1;
            continue;
        }
        if (i + 1 >= argc) return tool_usage_error(cmd, "%s needs a value%s", a, "");
        {
            const char *v = argv[++i];
            char *end = NULL;
            errno = 0;
            if (opts[k].kind == 's') {
                if (!*v) return tool_usage_error(cmd, "%s: the value is empty%s", a, "");
                *(const char **)opts[k].dst = v;
            } else if (opts[k].kind == 'i') {
                long long x = strtoll(v, &end, 10);
                if (!*v || *end || errno || (double)x < opts[k].lo || (double)x > opts[k].hi)
                    return tool_usage_error(cmd, "%s: '%s' is not an integer in the allowed range", a, v);
                *(int64_t *)opts[k].dst = (int64_t)x;
            } else {
                double x = strtod(v, &end);
                if (!*v || *end || errno || !(x >= opts[k].lo && x <= opts[k].hi))
                    return tool_usage_error(cmd, "%s: '%s' is not a number in the allowed range", a, v);
                *(double *)opts[k].dst = x;
            }
        }
    }
    return 0;
}

int tool_list_has(const char *list, const char *name) {
    size_t n = strlen(name);
    const char *p = list;
    while ((p = strstr(p, name)) != NULL) {
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return 1;
        p += n;
    }
    return 0;
}

void tool_json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}
