/* plot.c - line charts and histograms drawn with image.h. See plot.h. */
#include "base/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static const unsigned char plot_black[3] = {0, 0, 0}, plot_grey[3] = {215, 215, 215};
static const unsigned char plot_palette[6][3] = {{31, 90, 200}, {220, 90, 30}, {40, 150, 60},
                                                 {170, 40, 160}, {120, 120, 120}, {200, 160, 0}};

/* margins around the plot area, pixels */
enum { PLOT_L = 80, PLOT_R = 24, PLOT_T = 40, PLOT_B = 60 };

void plot_format(char *buf, size_t n, double v) {
    if (v != 0 && (fabs(v) >= 1e5 || fabs(v) < 1e-2)) snprintf(buf, n, "%.1e", v);
    else snprintf(buf, n, "%.3g", v);
}

typedef struct {
    double x0, x1, y0, y1; /* data range */
    int L, T, pw, ph;      /* plot area in pixels */
} plot_frame;

static double plot_px(const plot_frame *f, double x) { return f->L + (x - f->x0) / (f->x1 - f->x0) * f->pw; }
static double plot_py(const plot_frame *f, double y) { return f->T + (f->y1 - y) / (f->y1 - f->y0) * f->ph; }

/* image, grid, ticks, axis labels and title */
static int plot_axes(const plot_opts *o, plot_frame *f, img_rgb *im) {
    int W = o && o->w > 0 ? o->w : 800, H = o && o->h > 0 ? o->h : 500;
    if (W < PLOT_L + PLOT_R + 40 || H < PLOT_T + PLOT_B + 40) return ut_fail("plot size %dx%d is too small", W, H);
    if (img_init(im, W, H, NULL) != 0) return -1;
    f->L = PLOT_L, f->T = PLOT_T, f->pw = W - PLOT_L - PLOT_R, f->ph = H - PLOT_T - PLOT_B;
    char buf[32];
    for (int k = 0; k <= 5; k++) {
        double v = f->y0 + (f->y1 - f->y0) * k / 5.0, y = plot_py(f, v);
        img_line(im, f->L, y, f->L + f->pw, y, 1, plot_grey);
        plot_format(buf, sizeof buf, v);
        img_text(im, f->L - 6 - img_text_width(buf, 2), (int)y - 7, 2, plot_black, buf);
        double s = f->x0 + (f->x1 - f->x0) * k / 5.0, x = plot_px(f, s);
        img_line(im, x, f->T, x, f->T + f->ph, 1, plot_grey);
        plot_format(buf, sizeof buf, s);
        img_text(im, (int)x - img_text_width(buf, 2) / 2, f->T + f->ph + 8, 2, plot_black, buf);
    }
    img_line(im, f->L, f->T, f->L, f->T + f->ph, 1, plot_black);
    img_line(im, f->L, f->T + f->ph, f->L + f->pw, f->T + f->ph, 1, plot_black);
    if (o && o->xlabel) img_text(im, f->L + f->pw / 2 - img_text_width(o->xlabel, 2) / 2, H - 24, 2, plot_black, o->xlabel);
    if (o && o->ylabel) img_text(im, 4, 8, 2, plot_black, o->ylabel);
    if (o && o->title) img_text(im, f->L + f->pw / 2 - img_text_width(o->title, 2) / 2, 8, 2, plot_black, o->title);
    return 0;
}

int plot_lines_image(const plot_opts *o, const plot_series *s, int ns, img_rgb *out) {
    plot_frame f;
    double lo = INFINITY, hi = -INFINITY, xlo = INFINITY, xhi = -INFINITY;
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < s[k].n; i++) {
            if (!isfinite(s[k].x[i])) continue;
            xlo = fmin(xlo, s[k].x[i]), xhi = fmax(xhi, s[k].x[i]);
            if (isfinite(s[k].y[i])) lo = fmin(lo, s[k].y[i]), hi = fmax(hi, s[k].y[i]);
        }
    if (!(lo <= hi)) lo = 0, hi = 1;
    if (hi - lo < 1e-6) hi = lo + 1e-6 + fabs(lo) * 0.1;
    double pad = (hi - lo) * 0.05;
    lo = lo >= 0 && lo - pad < 0 ? 0 : lo - pad; /* non-negative data keeps its axis at 0 */
    hi += pad;
    if (!(xlo <= xhi)) xlo = 0, xhi = 1;
    if (xhi <= xlo) xhi = xlo + 1;
    f.x0 = xlo, f.x1 = xhi, f.y0 = lo, f.y1 = hi;
    if (plot_axes(o, &f, out) != 0) return -1;
    for (int k = 0; k < ns; k++) {
        const unsigned char *c = s[k].color;
        if (!c[0] && !c[1] && !c[2]) c = plot_palette[k % 6];
        int prev = -1;
        for (int i = 0; i < s[k].n; i++) {
            if (!isfinite(s[k].x[i]) || !isfinite(s[k].y[i])) {
                prev = -1;
                continue;
            }
            double x = plot_px(&f, s[k].x[i]), y = plot_py(&f, s[k].y[i]);
            if (prev >= 0) img_line(out, plot_px(&f, s[k].x[prev]), plot_py(&f, s[k].y[prev]), x, y, 2, c);
            else if (i + 1 >= s[k].n || !isfinite(s[k].y[i + 1])) img_line(out, x - 2, y, x + 2, y, 2, c); /* lone point */
            prev = i;
        }
        if (ns > 1 && s[k].name) { /* legend, top right, one row a series */
            int tw = img_text_width(s[k].name, 2), x = f.L + f.pw - tw - 8, y = f.T + 6 + 24 * k;
            img_fill_rect(out, x - 28, y + 5, x - 6, y + 9, c);
            img_text(out, x, y, 2, plot_black, s[k].name);
        }
    }
    return 0;
}

int plot_lines(const char *path, const plot_opts *o, const plot_series *s, int ns) {
    img_rgb im;
    if (plot_lines_image(o, s, ns, &im) != 0) return ut_fail("%s: %s", path, ut_error());
    int rc = img_write_png(&im, path);
    img_free(&im);
    return rc;
}

int plot_histogram(const char *path, const plot_opts *o, const double *v, int n, int bins, double lo, double hi) {
    if (bins < 1 || bins > 10000) return ut_fail("%s: %d histogram bins (1..10000)", path, bins);
    if (!(lo < hi)) return ut_fail("%s: empty histogram range [%g, %g]", path, lo, hi);
    int *count = ut_calloc((size_t)bins, sizeof *count), top = 1;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) {
            double t = (v[i] - lo) / (hi - lo) * bins;
            int b = t < 0 ? 0 : t >= bins ? bins - 1 : (int)t;
            if (++count[b] > top) top = count[b];
        }
    plot_frame f = {lo, hi, 0, top, 0, 0, 0, 0};
    img_rgb im;
    int rc = plot_axes(o, &f, &im);
    if (rc == 0) {
        static const unsigned char bar[3] = {60, 110, 200};
        for (int b = 0; b < bins; b++) {
            int x0 = (int)lround(plot_px(&f, lo + (hi - lo) * b / bins)), x1 = (int)lround(plot_px(&f, lo + (hi - lo) * (b + 1) / bins));
            int y = (int)lround(plot_py(&f, count[b]));
            img_fill_rect(&im, x0 + 1, y, x1 - 1, f.T + f.ph, bar);
        }
        rc = img_write_png(&im, path);
        img_free(&im);
    }
    free(count);
    return rc;
}
