/* plot.h - line charts and histograms as PNG files, for training curves and reports.
 *
 * plot_lines() draws one or more series (x, y pairs) on shared axes: white background, a light
 * grid with 5 labelled ticks on each axis, axis labels, a title, and a legend when there is more
 * than one series. The y range covers the finite values of every series with 5% padding; a range
 * whose values are all >= 0 keeps its lower end at 0 when the padding would cross it. Non-finite
 * points are skipped (the line breaks there). x values are assumed increasing within a series.
 *
 * plot_histogram() draws counts of values in `bins` equal bins over [lo, hi] (values outside are
 * clamped into the end bins; non-finite ones are ignored) as bars, with the bin range labelled
 * on the x axis.
 *
 * Files are written atomically (img_write_png). Sizes are pixels; 0 takes the default 800 x 500.
 * Errors: -1 + ut_error(). Thread safety: no shared mutable state.
 */
#ifndef RECAD_PLOT_H
#define RECAD_PLOT_H

#include "base/image.h"

typedef struct {
    const char *name;         /* legend entry (NULL: none) */
    const double *x, *y;      /* n points */
    int n;
    unsigned char color[3];   /* all zero: a colour from the built-in palette */
} plot_series;

typedef struct {
    const char *title, *xlabel, *ylabel; /* NULL: none */
    int w, h;                            /* image size in pixels; 0: 800 x 500 */
} plot_opts;

/* draws the chart into *out (img_init'ed here; img_free it) */
int plot_lines_image(const plot_opts *o, const plot_series *s, int ns, img_rgb *out);
int plot_lines(const char *path, const plot_opts *o, const plot_series *s, int ns);
int plot_histogram(const char *path, const plot_opts *o, const double *v, int n, int bins, double lo, double hi);
/* the tick label text of a value: 3 significant digits, or %.1e for very large / small values */
void plot_format(char *buf, size_t n, double v);

#endif
