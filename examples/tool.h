/* tool.h: what the ligo tool's source files share. */
#ifndef LIGO_TOOL_H
#define LIGO_TOOL_H

#include <stdio.h>

#include "../ligo.h"

/* One command-line option: kind 'i' int64_t, 'f' double, 's' string,
 * 'b' flag (int set to 1); numbers are checked against [lo, hi]. */
typedef struct tool_opt {
    const char *name;
    char kind;
    void *dst;
    double lo, hi;
    const char *help;
} tool_opt;

/* 0 parsed, 1 --help printed, 2 usage error (printed). */
/* When non-zero, each command stops after checking its arguments (before
 * it reads a file or makes a context) and returns 0: the fuzz target of
 * the argument parsing runs the real commands this way. */
extern int tool_dry_run;
int tool_parse(const char *cmd, const char *summary, int argc, char **argv, const tool_opt *opts);
int tool_usage_error(const char *cmd, const char *fmt, const char *a, const char *b);
/* Whether a comma-separated list holds `name` as a whole item ("ligo"
 * is not in "ligo-depth,stack"). */
int tool_list_has(const char *list, const char *name);
/* A JSON string, escaped. */
void tool_json_str(FILE *f, const char *s);
/* The file system on POSIX and Windows: a directory made (0777 less the
 * umask on POSIX), 0 or -1 with errno, like mkdir(path, 0777); stdout and
 * stderr in binary mode (Windows: no \r\n in JSON lines and files piped
 * out). */
int tool_mkdir(const char *path);
void tool_binary_stdio(void);
/* The tool's own files (reports, charts, the benchmark's run cache) are
 * written all or nothing, with the library's ligo_file: tool_file_begin
 * gives the stream to write (NULL after printing why), tool_file_commit
 * puts the file in place (0; or 1 after printing why, the old file kept),
 * tool_file_abandon drops it. Each file has its own one-thread context. */
typedef struct tool_file {
    ligo_ctx *ctx;
    ligo_file file;
} tool_file;
FILE *tool_file_begin(tool_file *t, const char *path);
int tool_file_commit(tool_file *t);
void tool_file_abandon(tool_file *t);

int cmd_bench(int argc, char **argv);
int cmd_show(int argc, char **argv);
/* show.c: an operator file's pictures (depth.svg, width.svg) into dir; 0
 * on success (paths in depth and width, "" where there is nothing to
 * draw), else 1 with the reason in why. */
int tool_show_operator(const char *op, const char *dir, char *depth, char *width, size_t n, char *why, size_t why_n);

#endif
