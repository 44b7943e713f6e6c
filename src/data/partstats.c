/* partstats.c - see partstats.h. */
#include "data/partstats.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/plot.h"
#include "base/tol.h"
#include "base/util.h"
#include "geom/sketch.h"
#include "model/level.h"

void ps_init(ps_stats *s) { memset(s, 0, sizeof *s); }

void ps_merge(ps_stats *dst, const ps_stats *src) {
    long *d = (long *)dst;
    const long *a = (const long *)src;
    for (size_t i = 0; i < sizeof *dst / sizeof(long); i++) d[i] += a[i];
}

static int ps_bucket(int v, const int *upper, int n) { /* first bucket whose upper bound holds v */
    for (int i = 0; i < n - 1; i++)
        if (v <= upper[i]) return i;
    return n - 1;
}

static int ps_axis(const double *v) {
    int ones = 0, zeros = 0;
    for (int k = 0; k < 3; k++) ones += fabs(fabs(v[k]) - 1) <= TOL_AXIS, zeros += fabs(v[k]) <= TOL_AXIS;
    return ones == 1 && zeros == 2;
}

int ps_plane_class(const cad_plane *p, double size) {
    if (!ps_axis(p->x) || !ps_axis(p->n)) return 4;
    double off = p->origin[0] * p->n[0] + p->origin[1] * p->n[1] + p->origin[2] * p->n[2];
    if (fabs(off) > tol_len(size)) return 3;
    if (fabs(p->n[2]) > 0.5) return 0; /* normal along z: XY */
    if (fabs(p->n[1]) > 0.5) return 1; /* along y: XZ */
    return 2;
}

static double ps_size(const cad_model *m) {
    double s = 1e-300;
    for (int i = 0; i < m->ncurves; i++)
        for (int k = 0; k < 6; k++) s = fmax(s, fabs(m->curves[i].p[k]));
    for (int i = 0; i < m->nsketches; i++)
        for (int k = 0; k < 3; k++) s = fmax(s, fabs(m->sketches[i].plane.origin[k]));
    return s;
}

static void ps_sketch(ps_stats *s, const cad_model *m, const cad_sketch *sk) {
    static const int fu[] = {1, 2, 3, 4, 1 << 30}, lcu[] = {1, 2, 3, 4, 8, 16, 1 << 30};
    s->faces[ps_bucket(sk->n, fu, PS_FACES)]++;
    for (int f = sk->first; f < sk->first + sk->n; f++) {
        const cad_face *fc = &m->faces[f];
        s->loops[ps_bucket(fc->n, fu, PS_LOOPS)]++;
        for (int l = fc->first; l < fc->first + fc->n; l++) {
            const cad_loop *lp = &m->loops[l];
            s->loop_curves[ps_bucket(lp->n, lcu, PS_LOOP_CURVES)]++;
            for (int c = lp->first; c < lp->first + lp->n; c++) s->kinds[m->curves[c].kind]++;
        }
    }
}

static void ps_aspect(ps_stats *s, const cad_model *m) {
    double lo[3], hi[3], d[3];
    if (sk_prism_bbox(m, lo, hi)) return;
    for (int k = 0; k < 3; k++) d[k] = hi[k] - lo[k];
    for (int i = 0; i < 2; i++) /* sort descending */
        for (int j = 0; j < 2 - i; j++)
            if (d[j] < d[j + 1]) {
                double t = d[j];
                d[j] = d[j + 1], d[j + 1] = t;
            }
    if (!(d[0] > 0)) return;
    int a = (int)(d[1] / d[0] * PS_ASPECT), b = (int)(d[2] / d[0] * PS_ASPECT);
    s->aspect_mid[a < PS_ASPECT ? a : PS_ASPECT - 1]++;
    s->aspect_min[b < PS_ASPECT ? b : PS_ASPECT - 1]++;
}

void ps_add(ps_stats *s, const cad_model *m) {
    static const int eu[] = {1, 2, 3, 4, 5, 1 << 30}, pcu[] = {4, 8, 16, 32, 64, 1 << 30};
    lv_info info;
    lv_level lv = lv_classify(m, &info);
    if (lv == LV_NONE) return;
    s->parts++;
    s->level[lv]++;
    s->extrudes[ps_bucket(m->nextrudes, eu, PS_EXTRUDES)]++;
    s->part_curves[ps_bucket(info.curves, pcu, PS_PART_CURVES)]++;
    double size = ps_size(m);
    char *seen = ut_calloc((size_t)(m->nsketches ? m->nsketches : 1), 1);
    for (int e = 0; e < m->nextrudes; e++) {
        const cad_extrude *x = &m->extrudes[e];
        const cad_sketch *sk = &m->sketches[x->sketch];
        s->planes[ps_plane_class(&sk->plane, size)]++;
        s->extents[x->kind]++;
        if (e > 0) s->ops[x->op == CAD_CUT ? 1 : x->op == CAD_INTERSECT ? 2 : 0]++;
        if (!seen[x->sketch]) ps_sketch(s, m, sk);
        seen[x->sketch] = 1;
    }
    free(seen);
    ps_aspect(s, m);
}

/* ---- the tables ---- */

typedef struct {
    const char *name, *title;
    size_t off; /* offset of the long array in ps_stats */
    int n;
    const char *labels[8];
} ps_table;

#define PS_T(field, title, ...) {#field, title, offsetof(ps_stats, field), (int)(sizeof((ps_stats *)0)->field / sizeof(long)), {__VA_ARGS__}}
static const ps_table ps_tables[] = {
    PS_T(level, "Hierarchy level (per part)", "L", "F", "S", "SE", "MSE"),
    PS_T(extrudes, "Extrudes per part", "1", "2", "3", "4", "5", "6+"),
    PS_T(part_curves, "Curves per part (lv_info.curves)", "1-4", "5-8", "9-16", "17-32", "33-64", "65+"),
    PS_T(kinds, "Curve kinds (share of all curves)", "line", "arc", "circle"),
    PS_T(faces, "Faces per sketch", "1", "2", "3", "4", "5+"),
    PS_T(loops, "Loops per face (1 = no hole)", "1", "2", "3", "4", "5+"),
    PS_T(loop_curves, "Curves per loop", "1", "2", "3", "4", "5-8", "9-16", "17+"),
    PS_T(planes, "Sketch plane (per extrude)", "XY", "XZ", "YZ", "offset", "tilted"),
    PS_T(extents, "Extent (per extrude)", "one-sided", "two-sided", "symmetric"),
    PS_T(ops, "Operation of the extrudes after the first", "join/new", "cut", "intersect"),
    PS_T(aspect_mid, "Box aspect: middle side / longest", "0-0.2", "0.2-0.4", "0.4-0.6", "0.6-0.8", "0.8-1"),
    PS_T(aspect_min, "Box aspect: shortest side / longest", "0-0.2", "0.2-0.4", "0.4-0.6", "0.6-0.8", "0.8-1"),
};
#define PS_NTABLES ((int)(sizeof ps_tables / sizeof *ps_tables))

static const long *ps_col(const ps_stats *s, const ps_table *t) { return (const long *)((const char *)s + t->off); }

static long ps_sum(const long *v, int n) {
    long s = 0;
    for (int i = 0; i < n; i++) s += v[i];
    return s;
}

static double ps_tv(const ps_stats *a, const ps_stats *b, const ps_table *t) {
    const long *x = ps_col(a, t), *y = ps_col(b, t);
    long sx = ps_sum(x, t->n), sy = ps_sum(y, t->n);
    if (!sx || !sy) return NAN;
    double d = 0;
    for (int i = 0; i < t->n; i++) d += fabs((double)x[i] / sx - (double)y[i] / sy);
    return d / 2;
}

double ps_distance(const ps_stats *a, const ps_stats *b, const char *table) {
    for (int i = 0; i < PS_NTABLES; i++)
        if (!strcmp(ps_tables[i].name, table)) return ps_tv(a, b, &ps_tables[i]);
    return NAN;
}

static void ps_md_table(FILE *f, const ps_stats *a, const char *na, const ps_stats *b, const char *nb, const ps_table *t) {
    const long *x = ps_col(a, t), *y = ps_col(b, t);
    long sx = ps_sum(x, t->n), sy = ps_sum(y, t->n);
    fprintf(f, "### %s\n\n| | %s | %s |\n|---|---:|---:|\n", t->title, na, nb);
    for (int i = 0; i < t->n; i++)
        fprintf(f, "| %s | %.1f%% | %.1f%% |\n", t->labels[i], sx ? 100.0 * x[i] / sx : 0, sy ? 100.0 * y[i] / sy : 0);
    fprintf(f, "| *count* | %ld | %ld |\n\nTotal variation distance: %.3f\n\n", sx, sy, ps_tv(a, b, t));
}

/* one chart panel: the two distributions of table t as lines over the category index */
static int ps_panel(const ps_stats *a, const char *na, const ps_stats *b, const char *nb, const ps_table *t, img_rgb *im) {
    double x[8], ya[8], yb[8];
    const long *ca = ps_col(a, t), *cb = ps_col(b, t);
    long sa = ps_sum(ca, t->n), sb = ps_sum(cb, t->n);
    char xl[160] = "";
    for (int i = 0; i < t->n; i++) {
        x[i] = i;
        ya[i] = sa ? 100.0 * ca[i] / sa : 0, yb[i] = sb ? 100.0 * cb[i] / sb : 0;
        size_t l = strlen(xl);
        snprintf(xl + l, sizeof xl - l, "%s%d=%s", i ? " " : "", i, t->labels[i]);
    }
    plot_series s[2] = {{na, x, ya, t->n, {0}}, {nb, x, yb, t->n, {0}}};
    plot_opts o = {t->title, xl, "%", 640, 400};
    return plot_lines_image(&o, s, 2, im);
}

static int ps_chart(const ps_stats *a, const char *na, const ps_stats *b, const char *nb, const char *path) {
    static const char *panels[4] = {"level", "extrudes", "part_curves", "planes"};
    img_rgb all;
    if (img_init(&all, 1280, 800, NULL)) return -1;
    for (int p = 0; p < 4; p++) {
        const ps_table *t = NULL;
        for (int i = 0; i < PS_NTABLES; i++)
            if (!strcmp(ps_tables[i].name, panels[p])) t = &ps_tables[i];
        img_rgb im;
        if (ps_panel(a, na, b, nb, t, &im)) {
            img_free(&all);
            return -1;
        }
        int ox = (p % 2) * 640, oy = (p / 2) * 400;
        for (int y = 0; y < im.h && y < 400; y++) memcpy(all.rgb + 3 * ((size_t)(oy + y) * 1280 + ox), im.rgb + 3 * (size_t)y * im.w, 3 * (size_t)(im.w < 640 ? im.w : 640));
        img_free(&im);
    }
    int rc = img_write_png(&all, path);
    img_free(&all);
    return rc;
}

int ps_write_report(const ps_stats *a, const char *na, const ps_stats *b, const char *nb, const char *md_path,
                    const char *png_path, const char *png_link, const char *header) {
    if (png_path && ps_chart(a, na, b, nb, png_path)) return -1;
    ut_atomic out;
    if (ut_atomic_open(&out, md_path)) return -1;
    FILE *f = out.f;
    if (header) fputs(header, f);
    fprintf(f, "Parts: %s %ld, %s %ld. Shares in %% of each set; the distance of a table is the total variation "
               "distance between the two columns (0 = the same distribution, 1 = disjoint).\n\n", na, a->parts, nb, b->parts);
    fprintf(f, "| distribution | distance |\n|---|---:|\n");
    for (int i = 0; i < PS_NTABLES; i++) fprintf(f, "| %s | %.3f |\n", ps_tables[i].title, ps_tv(a, b, &ps_tables[i]));
    fprintf(f, "\n");
    if (png_path) fprintf(f, "![%s vs %s](%s)\n\n", na, nb, png_link ? png_link : png_path);
    for (int i = 0; i < PS_NTABLES; i++) ps_md_table(f, a, na, b, nb, &ps_tables[i]);
    return ut_atomic_commit(&out);
}
