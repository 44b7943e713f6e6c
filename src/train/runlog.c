/* runlog.c - metrics CSV with named columns, resume truncation, plots (see runlog.h). */
#include "train/runlog.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

/* ------------------------------------------------------------------ rows */

void rl_add(rl_log *l, long step, const double *vals) {
    if (l->n + 1 > l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->step = ut_realloc(l->step, sizeof(long) * (size_t)l->cap);
        l->val = ut_realloc(l->val, sizeof(double) * (size_t)l->cap * (size_t)(l->ncol ? l->ncol : 1));
    }
    l->step[l->n] = step;
    if (l->ncol) memcpy(l->val + (size_t)l->n * l->ncol, vals, sizeof(double) * (size_t)l->ncol);
    l->n++;
}

int rl_col_index(const rl_log *l, const char *name) {
    for (int c = 0; c < l->ncol; c++)
        if (!strcmp(l->cols[c].name, name)) return c;
    return -1;
}

double rl_get(const rl_log *l, int i, int c) { return l->val[(size_t)i * l->ncol + c]; }

/* ------------------------------------------------------------------ the CSV file */

static void rl_write_header(const rl_log *l, FILE *f) {
    fputs("step", f);
    for (int c = 0; c < l->ncol; c++) fprintf(f, ",%s", l->cols[c].name);
    fputc('\n', f);
}

static void rl_write_row(const rl_log *l, int i, FILE *f) {
    fprintf(f, "%ld", l->step[i]);
    for (int c = 0; c < l->ncol; c++) {
        double v = rl_get(l, i, c);
        if (l->cols[c].conv == 'f') fprintf(f, ",%.*f", l->cols[c].prec, v);
        else fprintf(f, ",%.*g", l->cols[c].prec, v);
    }
    fputc('\n', f);
}

int rl_write(const rl_log *l) {
    ut_atomic a;
    if (ut_atomic_open(&a, l->path)) return -1;
    rl_write_header(l, a.f);
    for (int i = 0; i < l->n; i++) rl_write_row(l, i, a.f);
    if (ferror(a.f)) {
        ut_atomic_abort(&a);
        return ut_fail("%s: write failed", l->path);
    }
    return ut_atomic_commit(&a);
}

/* one data line "step,v0,v1,..." into step / vals; -1 when malformed */
static int rl_parse_row(const rl_log *l, const char *s, long *step, double *vals) {
    char *end;
    *step = strtol(s, &end, 10);
    if (end == s) return -1;
    for (int c = 0; c < l->ncol; c++) {
        if (*end != ',') return -1;
        s = end + 1;
        vals[c] = strtod(s, &end);
        if (end == s) return -1;
    }
    return *end == 0 ? 0 : -1;
}

/* the header text of the log's columns */
static char *rl_header_text(const rl_log *l) {
    size_t n = 5;
    for (int c = 0; c < l->ncol; c++) n += strlen(l->cols[c].name) + 1;
    char *h = ut_malloc(n + 1);
    strcpy(h, "step");
    for (int c = 0; c < l->ncol; c++) strcat(strcat(h, ","), l->cols[c].name);
    return h;
}

/* reads the rows of an existing file with step <= upto; a missing file holds none */
static int rl_read(rl_log *l, long upto) {
    if (access(l->path, F_OK) != 0) return 0;
    char *text = ut_read_file(l->path, NULL), *want = rl_header_text(l);
    double *vals = ut_malloc(sizeof(double) * (size_t)(l->ncol ? l->ncol : 1));
    int rc = text ? 0 : -1, lineno = 0;
    for (char *line = text && *text ? text : NULL, *next; !rc && line; line = next) { /* empty file: no rows */
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        line[strcspn(line, "\r")] = 0;
        long step;
        if (++lineno > 1 && !*line) continue;
        if (lineno == 1) {
            if (strcmp(line, want))
                rc = ut_fail("%s: columns \"%.200s\" differ from this run's \"%.200s\"", l->path, line, want);
        } else if (rl_parse_row(l, line, &step, vals)) {
            rc = ut_fail("%s:%d: malformed row (expected %d comma-separated numbers)", l->path, lineno, l->ncol + 1);
        } else if (step <= upto) {
            rl_add(l, step, vals);
        }
    }
    free(vals);
    free(want);
    free(text);
    return rc;
}

int rl_open(rl_log *l, const char *path, const rl_col *cols, int ncol, long resume_step) {
    memset(l, 0, sizeof *l);
    if (ncol < 0) return ut_fail("%s: negative column count", path);
    for (int c = 0; c < ncol; c++)
        if (!cols[c].name || !cols[c].name[0] || strpbrk(cols[c].name, ",\r\n"))
            return ut_fail("%s: column %d needs a name without ',' or line breaks", path, c + 1);
    l->path = ut_strdup(path);
    l->ncol = ncol;
    l->cols = ut_malloc(sizeof(rl_col) * (size_t)(ncol ? ncol : 1));
    for (int c = 0; c < ncol; c++) {
        l->cols[c] = cols[c];
        l->cols[c].name = ut_strdup(cols[c].name);
    }
    if ((resume_step >= 0 && rl_read(l, resume_step)) || rl_write(l)) {
        rl_close(l);
        return -1;
    }
    return 0;
}

void rl_close(rl_log *l) {
    for (int c = 0; l->cols && c < l->ncol; c++) free((char *)l->cols[c].name);
    free(l->cols);
    free(l->path);
    free(l->step);
    free(l->val);
    memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------------------ plots */

int rl_plot(const rl_log *l, const char *path, const plot_opts *o, const char *const *names, int n) {
    for (int k = 0; k < n; k++)
        if (rl_col_index(l, names[k]) < 0) return ut_fail("%s: the run log has no column \"%s\"", path, names[k]);
    size_t rows = (size_t)(l->n ? l->n : 1);
    double *x = ut_malloc(sizeof(double) * rows * (size_t)(n ? n : 1));
    double *y = ut_malloc(sizeof(double) * rows * (size_t)(n ? n : 1));
    plot_series *s = ut_calloc((size_t)(n ? n : 1), sizeof *s);
    for (int k = 0; k < n; k++) {
        /* each series keeps its own rows with a finite value: a column logged every N steps
         * (validation) is one connected line */
        int c = rl_col_index(l, names[k]), m = 0;
        double *xk = x + (size_t)k * rows, *yk = y + (size_t)k * rows;
        for (int i = 0; i < l->n; i++)
            if (isfinite(rl_get(l, i, c))) xk[m] = (double)l->step[i], yk[m++] = rl_get(l, i, c);
        s[k].name = names[k];
        s[k].x = xk;
        s[k].y = yk;
        s[k].n = m;
    }
    int rc = plot_lines(path, o, s, n);
    free(s);
    free(y);
    free(x);
    return rc;
}
