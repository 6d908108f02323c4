/* show.c: `ligo show --operator OP.safetensors --out DIR`, pictures of
 * what a growth operator learned, as SVG:
 *
 *   DIR/depth.svg  the depth coefficients w_m(i)[j] (and u_m(i)[j] for
 *                  biases): one heatmap per module, large layer i by small
 *                  layer j, on one diverging scale
 *   DIR/width.svg  each width factor's new units: the L2 norm of every row
 *                  of C (or of B's rows below the identity), one strip per
 *                  factor, on one scale
 *
 * and, last, one JSON line naming them. */
#include "../ligo.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tool.h"

/* white at 0, red for positive values, blue for negative ones */
static void show_color(double v, double vmax, char *buf, size_t n) {
    double t = vmax > 0 ? v / vmax : 0.0;
    int r, g, b;
    if (t > 1) t = 1;
    if (t < -1) t = -1;
    if (t >= 0) {
        r = 255;
        g = b = (int)(255 * (1 - t) + 0.5);
    } else {
        b = 255;
        r = g = (int)(255 * (1 + t) + 0.5);
    }
    snprintf(buf, n, "#%02x%02x%02x", r, g, b);
}

static void show_header(FILE *f, double W, double H, const char *title) {
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" "
               "font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H);
    fprintf(f, "<text x=\"%.0f\" y=\"20\" font-size=\"14\" text-anchor=\"middle\">", W / 2);
    for (; *title; title++) { /* the title comes from the file: escape it */
        if (*title == '<') fputs("&lt;", f);
        else if (*title == '&') fputs("&amp;", f);
        else fputc(*title, f);
    }
    fprintf(f, "</text>\n");
}

static void show_legend(FILE *f, double x, double y, double vmin, double vmax, int diverging) {
    int k;
    char col[16];
    for (k = 0; k < 40; k++) {
        double v = vmin + (vmax - vmin) * k / 39.0;
        show_color(diverging ? v : v, diverging ? (fabs(vmin) > fabs(vmax) ? fabs(vmin) : fabs(vmax)) : vmax, col, sizeof col);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"4\" height=\"10\" fill=\"%s\"/>\n", x + 4.0 * k, y, col);
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.3g</text>\n", x, y + 22, vmin);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.3g</text>\n", x + 160, y + 22, vmax);
}

static const char *show_mods[8] = {"ln_1", "q", "k", "v", "o", "ln_2", "fc1", "fc2"};

static int show_depth(const ligo_safetensors *st, const char *path, const char *title) {
    const double cell = 14, gap = 30, top = 50, left = 40;
    const ligo_st_entry *e[8][2];
    int64_t L1 = 0, L2 = 0;
    double vmax = 0.0, W, H;
    int m, k, any = 0;
    FILE *f;
    tool_file t;
    char name[64], col[16];
    for (m = 0; m < 8; m++)
        for (k = 0; k < 2; k++) {
            snprintf(name, sizeof name, "depth.%s.%s", show_mods[m], k ? "b" : "w");
            e[m][k] = ligo_st_find(st, name);
            if (e[m][k] && e[m][k]->ndim == 2) {
                int64_t i;
                any = 1;
                L2 = e[m][k]->shape[0];
                L1 = e[m][k]->shape[1];
                for (i = 0; i < e[m][k]->n; i++) vmax = fabs(e[m][k]->data[i]) > vmax ? fabs(e[m][k]->data[i]) : vmax;
            } else {
                e[m][k] = NULL;
            }
        }
    if (!any) return 0;
    W = left + 8 * (L1 * cell + gap) + 20;
    H = top + 2 * (L2 * cell + gap + 16) + 60;
    f = tool_file_begin(&t, path);
    if (!f) return -1;
    show_header(f, W, H, title);
    for (m = 0; m < 8; m++)
        for (k = 0; k < 2; k++) {
            double x0 = left + m * (L1 * cell + gap), y0 = top + k * (L2 * cell + gap + 16);
            int64_t i, j;
            if (!e[m][k]) continue;
            if (e[m][k]->shape[0] != L2 || e[m][k]->shape[1] != L1) continue;
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s %s</text>\n", x0 + L1 * cell / 2, y0 - 6,
                    show_mods[m], k ? "(bias)" : "");
            for (i = 0; i < L2; i++)
                for (j = 0; j < L1; j++) {
                    show_color(e[m][k]->data[i * L1 + j], vmax, col, sizeof col);
                    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"%s\" stroke=\"#ccc\" "
                               "stroke-width=\"0.5\"/>\n",
                            x0 + j * cell, y0 + i * cell, cell, cell, col);
                }
        }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">rows: large layer i (top: 0); columns: small layer j; colour: "
               "w(i)[j]</text>\n", left, H - 52);
    show_legend(f, left, H - 40, -vmax, vmax, 1);
    fprintf(f, "</svg>\n");
    return tool_file_commit(&t) ? -1 : 1;
}

static int show_width(const ligo_safetensors *st, const char *path, const char *title) {
    const double cell = 6, row = 16, top = 50, left = 110;
    double vmax = 0.0, W, H;
    int64_t i, n = 0, maxlen = 0, r, c;
    FILE *f;
    tool_file t;
    char col[16];
    for (i = 0; i < st->n_entries; i++) {
        const ligo_st_entry *e = &st->entries[i];
        if (strncmp(e->name, "width.", 6) != 0 || e->ndim != 2) continue;
        n++;
        maxlen = e->shape[0] > maxlen ? e->shape[0] : maxlen;
        for (r = 0; r < e->shape[0]; r++) {
            double s = 0.0;
            for (c = 0; c < e->shape[1]; c++) s += (double)e->data[r * e->shape[1] + c] * e->data[r * e->shape[1] + c];
            vmax = sqrt(s) > vmax ? sqrt(s) : vmax;
        }
    }
    if (!n) return 0;
    W = left + maxlen * cell + 40;
    H = top + n * row + 70;
    f = tool_file_begin(&t, path);
    if (!f) return -1;
    show_header(f, W, H, title);
    n = 0;
    for (i = 0; i < st->n_entries; i++) {
        const ligo_st_entry *e = &st->entries[i];
        char label[LIGO_ST_MAX_NAME];
        size_t len;
        if (strncmp(e->name, "width.", 6) != 0 || e->ndim != 2) continue;
        snprintf(label, sizeof label, "%s", e->name + 6); /* "emb.C" -> "emb" */
        len = strlen(label);
        if (len > 2 && label[len - 2] == '.') label[len - 2] = '\0';
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left - 6, top + n * row + 11, label);
        for (r = 0; r < e->shape[0]; r++) {
            double s = 0.0;
            for (c = 0; c < e->shape[1]; c++) s += (double)e->data[r * e->shape[1] + c] * e->data[r * e->shape[1] + c];
            show_color(sqrt(s), vmax, col, sizeof col);
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"%s\"/>\n", left + r * cell,
                    top + n * row, cell, row - 3, col);
        }
        n++;
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">each cell: one new unit, the L2 norm of its row of C (the identity rows "
               "are not drawn)</text>\n", left - 100, H - 52);
    show_legend(f, left - 100, H - 40, 0.0, vmax, 0);
    fprintf(f, "</svg>\n");
    return tool_file_commit(&t) ? -1 : 1;
}

/* Draw an operator file's pictures into dir (made when missing; nothing is
 * made when the file is no operator). 0 on success with the paths in
 * depth and width ("" for a picture the operator has nothing for); else
 * 1 with the reason in why. */
int tool_show_operator(const char *op, const char *dir, char *depth, char *width, size_t n, char *why, size_t why_n) {
    ligo_ctx *ctx = ligo_ctx_new(NULL);
    ligo_safetensors st;
    char title[256];
    const char *meth, *L1, *D1;
    int rd, rw;
    depth[0] = width[0] = why[0] = '\0';
    if (!ctx) {
        snprintf(why, why_n, "cannot create a context");
        return 1;
    }
    if (ligo_st_read(ctx, op, &st) != LIGO_OK) {
        snprintf(why, why_n, "%s", ligo_get_error(ctx));
        ligo_ctx_free(ctx);
        return 1;
    }
    meth = ligo_st_get_meta(&st, "ligo.grow.method");
    L1 = ligo_st_get_meta(&st, "ligo.grow.small_layers");
    D1 = ligo_st_get_meta(&st, "ligo.grow.small_dim");
    if (!meth) {
        snprintf(why, why_n, "%s is not a growth operator (no ligo.grow.method in its metadata)", op);
        ligo_ctx_free(ctx);
        return 1;
    }
    if (tool_mkdir(dir) != 0 && errno != EEXIST) { /* after the file is known good: nothing is left behind */
        snprintf(why, why_n, "cannot create %s: %s", dir, strerror(errno));
        ligo_ctx_free(ctx);
        return 1;
    }
    snprintf(title, sizeof title, "%.40s operator: %s layers x %s grown to %s x %s", meth, L1 ? L1 : "?", D1 ? D1 : "?",
             ligo_st_get_meta(&st, "ligo.n_layer") ? ligo_st_get_meta(&st, "ligo.n_layer") : "?",
             ligo_st_get_meta(&st, "ligo.d_model") ? ligo_st_get_meta(&st, "ligo.d_model") : "?");
    snprintf(depth, n, "%s/depth.svg", dir);
    snprintf(width, n, "%s/width.svg", dir);
    rd = show_depth(&st, depth, title);
    rw = show_width(&st, width, title);
    ligo_ctx_free(ctx);
    if (rd < 0 || rw < 0) {
        snprintf(why, why_n, "cannot write %s", rd < 0 ? depth : width);
        return 1;
    }
    if (!rd) depth[0] = '\0';
    if (!rw) width[0] = '\0';
    return 0;
}

int cmd_show(int argc, char **argv) {
    const char *op = NULL, *out = "show";
    tool_opt opts[] = {{"--operator", 's', &op, 0, 0, "a growth operator file (ligo grow --operator-out)"},
                       {"--out", 's', &out, 0, 0, "directory for depth.svg and width.svg (show)"},
                       {NULL, 0, NULL, 0, 0, NULL}};
    char depth[1200], width[1200], why[1200];
    int r = tool_parse("show", "Draw what a growth operator learned: its depth coefficients and its width "
                               "factors' row norms, as SVG.",
                       argc, argv, opts);
    if (r) return r == 1 ? 0 : r;
    if (!op) return tool_usage_error("show", "--operator is required%s%s", "", "");
    if (tool_dry_run) return 0;
    if (tool_show_operator(op, out, depth, width, sizeof depth, why, sizeof why)) {
        fprintf(stderr, "ligo show: %s\n", why);
        printf("{\"command\":\"show\",\"ok\":false,\"error\":");
        tool_json_str(stdout, why);
        printf("}\n");
        return 1;
    }
    printf("{\"command\":\"show\",\"ok\":true,\"depth\":");
    if (depth[0]) tool_json_str(stdout, depth);
    else printf("null");
    printf(",\"width\":");
    if (width[0]) tool_json_str(stdout, width);
    else printf("null");
    printf("}\n");
    return 0;
}
