/* mt_cd.c - protocols, Chamfer distance of point clouds, summary statistics, invalidity ratio
 * (see metrics.h). Nothing here needs the solid kernel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/kdtree.h"
#include "eval/metrics.h"
#include "base/util.h"

static const char *const mt_names[] = {"text2cad", "unitcube", "deepcad"};

const char *mt_protocol_name(mt_protocol p) { return (unsigned)p < 3 ? mt_names[p] : "?"; }

int mt_protocol_parse(const char *s, mt_protocol *p) {
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, mt_names[i])) {
            *p = (mt_protocol)i;
            return 0;
        }
    return ut_fail("unknown protocol '%s' (text2cad, unitcube or deepcad)", s);
}

int mt_protocol_points(mt_protocol p) { return p == MT_DEEPCAD ? 2000 : 8192; }
double mt_protocol_cd_scale(mt_protocol p) { return p == MT_DEEPCAD ? 1.0 : 1000.0; }

/* max minus min over all coordinates of all axes of the box */
static double mt_global_range(const double lo[3], const double hi[3]) {
    double mn = fmin(lo[0], fmin(lo[1], lo[2])), mx = fmax(hi[0], fmax(hi[1], hi[2]));
    return mx - mn;
}

int mt_normalisation(mt_protocol p, const double lo[3], const double hi[3], double *scale, double t[3]) {
    double s = 0;
    t[0] = t[1] = t[2] = 0;
    if (p == MT_TEXT2CAD) {
        double r = mt_global_range(lo, hi);
        s = r > 0 ? 1.0 / r : 0;
    } else if (p == MT_UNITCUBE) {
        double ext = fmax(hi[0] - lo[0], fmax(hi[1] - lo[1], hi[2] - lo[2]));
        s = ext > 0 ? 1.0 / ext : 0;
        for (int d = 0; d < 3; d++) t[d] = 0.5 - s * 0.5 * (lo[d] + hi[d]);
    } else {
        double m = 0;
        for (int d = 0; d < 3; d++) m = fmax(m, fmax(fabs(lo[d]), fabs(hi[d])));
        s = m > 0 ? 0.75 / m : 0;
    }
    *scale = s;
    if (!(s > 0) || !isfinite(s)) return ut_fail("%s normalisation: degenerate bounding box", mt_protocol_name(p));
    return 0;
}

static void mt_cloud_box(const double *pts, int n, double lo[3], double hi[3]) {
    for (int d = 0; d < 3; d++) lo[d] = INFINITY, hi[d] = -INFINITY;
    for (int i = 0; i < n; i++)
        for (int d = 0; d < 3; d++) {
            lo[d] = fmin(lo[d], pts[3 * i + d]);
            hi[d] = fmax(hi[d], pts[3 * i + d]);
        }
}

void mt_normalise_cloud(mt_protocol p, double *pts, int n, const double lo[3], const double hi[3]) {
    double clo[3], chi[3], s, t[3];
    if (p == MT_TEXT2CAD) {
        mt_cloud_box(pts, n, clo, chi);
        lo = clo, hi = chi;
    }
    if (mt_normalisation(p, lo, hi, &s, t) != 0) return; /* degenerate: leave as is */
    for (int i = 0; i < n; i++)
        for (int d = 0; d < 3; d++) pts[3 * i + d] = s * pts[3 * i + d] + t[d];
}

/* Per-thread trees and distance buffer kept between calls for clouds up to MT_KEEP_POINTS:
 * evaluations compute the CD of many pairs of similar sizes, and rebuilding in place spares
 * allocating, and the system zeroing, about a megabyte per pair of 8192-point clouds. */
#define MT_KEEP_POINTS 65536
static _Thread_local kd_tree *mt_tree[2];
static _Thread_local double *mt_d2;
static _Thread_local int mt_d2cap;

/* mt_tree[k] rebuilt on pts (n*3); 0, or -1 + ut_error() */
static int mt_tree_of(int k, const double *pts, int n) {
    if (mt_tree[k]) return kd_rebuild(mt_tree[k], pts, n);
    mt_tree[k] = kd_build(pts, n);
    return mt_tree[k] ? 0 : -1;
}

/* mean over the points of `from` of the squared distance to the nearest point of tree `to` */
static double mt_directed(const kd_tree *from, const kd_tree *to) {
    int n = kd_size(from);
    ut_grow((void **)&mt_d2, &mt_d2cap, n, sizeof *mt_d2);
    kd_nearest_tree(to, from, NULL, mt_d2);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += mt_d2[i];
    return sum / n;
}

/* the kept trees and buffer given back (after clouds larger than MT_KEEP_POINTS) */
static void mt_release(void) {
    kd_free(mt_tree[0]), kd_free(mt_tree[1]), free(mt_d2);
    mt_tree[0] = mt_tree[1] = NULL, mt_d2 = NULL, mt_d2cap = 0;
}

double mt_chamfer_tree(const kd_tree *a, const double *b, int nb) {
    if (mt_tree_of(1, b, nb) != 0) return ut_fail("chamfer: second cloud: %s", ut_error()), -1.0;
    double cd = mt_directed(a, mt_tree[1]) + mt_directed(mt_tree[1], a);
    if (kd_size(a) > MT_KEEP_POINTS || nb > MT_KEEP_POINTS) mt_release(); /* large clouds: give the memory back */
    return cd;
}

double mt_chamfer_points(const double *a, int na, const double *b, int nb) {
    if (mt_tree_of(0, a, na) != 0) return ut_fail("chamfer: first cloud: %s", ut_error()), -1.0;
    return mt_chamfer_tree(mt_tree[0], b, nb);
}

/* ---- statistics ---- */

static int mt_cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* q-quantile of sorted s[0..n) by linear interpolation between order statistics */
static double mt_quantile(const double *s, int n, double q) {
    double pos = q * (n - 1);
    int i = (int)floor(pos);
    if (i >= n - 1) return s[n - 1];
    return s[i] + (pos - i) * (s[i + 1] - s[i]);
}

void mt_stats_of(const double *v, int n, mt_stats *out) {
    double *s = ut_malloc(((size_t)n + 1) * sizeof *s);
    int k = 0;
    double sum = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) s[k++] = v[i], sum += v[i];
    out->n = k;
    if (k == 0) {
        out->mean = out->median = out->min = out->max = out->p25 = out->p75 = out->p90 = out->p95 = NAN;
        free(s);
        return;
    }
    qsort(s, (size_t)k, sizeof *s, mt_cmp_double);
    out->mean = sum / k;
    out->min = s[0];
    out->max = s[k - 1];
    out->median = mt_quantile(s, k, 0.5);
    out->p25 = mt_quantile(s, k, 0.25);
    out->p75 = mt_quantile(s, k, 0.75);
    out->p90 = mt_quantile(s, k, 0.90);
    out->p95 = mt_quantile(s, k, 0.95);
    free(s);
}

double mt_invalidity_ratio(int invalid, int total) { return total > 0 ? 100.0 * invalid / total : 0.0; }
