/* runlog.h - the run log of a trainer: a metrics CSV with named columns and PNG plots of them.
 *
 * A log holds rows (step, v[0] .. v[ncol-1]) in memory: the step is the first CSV column
 * ("step", an integer), then the trainer's columns, each with its own printf conversion and
 * precision, e.g. {"loss", 'g', 9} prints "%.9g". Any set of columns works (loss and learning
 * rate for supervised training, reward and KL for reinforcement learning ...).
 *
 *   metrics.csv:  step,loss,lr            header: "step" + the column names
 *                 1,5.45345497,0.0003     one line per rl_add, in the order added
 *
 * rl_write() rewrites the whole file atomically (temporary file + rename), so a reader or a crash
 * never sees half a file. rl_open() with resume_step >= 0 reads the existing file back, keeps the
 * rows with step <= resume_step (those of the checkpoint being resumed; later rows belong to the
 * interrupted part of the run) and rewrites the file with them at once; its header must name the
 * same columns. With resume_step < 0 the log starts empty and the file is replaced at once.
 *
 * rl_plot() draws chosen columns against the step as a line chart (base/plot.h; one series per
 * column, named after it, palette colours, a legend when there are several). A series joins the
 * rows where its value is finite, so a column filled only every N steps (NaN elsewhere, e.g. a
 * validation metric) is one line.
 *
 * Errors: -1 + ut_error(), naming the file (and line when reading). Values: double; non-finite
 * ones are written as printf writes them (nan, inf) and read back.
 */
#ifndef RECAD_RUNLOG_H
#define RECAD_RUNLOG_H

#include "base/plot.h"

typedef struct {
    const char *name;  /* CSV header of the column (no ',' or line break) */
    char conv;         /* printf conversion: 'g' or 'f' */
    int prec;          /* printf precision */
} rl_col;

typedef struct {
    char *path;        /* the CSV file */
    int ncol;          /* columns after the step */
    rl_col *cols;      /* (ncol), names owned here */
    int n, cap;        /* rows */
    long *step;        /* (n) */
    double *val;       /* (n, ncol), row-major */
} rl_log;

/* opens the log of path with the given columns; see above for resume_step. On failure nothing
 * needs closing. */
int rl_open(rl_log *l, const char *path, const rl_col *cols, int ncol, long resume_step);
void rl_close(rl_log *l); /* frees the rows; writes nothing */

/* appends a row; vals holds ncol values */
void rl_add(rl_log *l, long step, const double *vals);
/* column index of name, -1 if there is none */
int rl_col_index(const rl_log *l, const char *name);
/* value of column c in row i */
double rl_get(const rl_log *l, int i, int c);

/* writes every row to the CSV file (atomically) */
int rl_write(const rl_log *l);
/* a line chart of the named columns against the step into the PNG file path */
int rl_plot(const rl_log *l, const char *path, const plot_opts *o, const char *const *names, int n);

#endif
