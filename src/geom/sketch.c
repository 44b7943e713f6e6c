/* sketch.c - see sketch.h. */
#include "geom/sketch.h"

#include <math.h>
#include <stdlib.h>

#include "base/tol.h"
#include "base/util.h"

/* ---- model curves as g2 curves ---- */

/* arc of centre (cx, cy), radius r, start angle a0, sweep sw, ending exactly at the given points */
static void sk_arc(const double p[6], double cx, double cy, double r, double a0, double sw, g2_curve *out) {
    g2_arc(out, cx, cy, r, a0, sw);
    out->p0[0] = p[0], out->p0[1] = p[1];
    out->p1[0] = p[4], out->p1[1] = p[5];
}

int sk_curve_to_g2(const cad_curve *cc, g2_curve *out) {
    const double *p = cc->p;
    int np = cc->kind == CAD_LINE ? 4 : cc->kind == CAD_ARC ? 6 : 3;
    for (int i = 0; i < np; i++)
        if (!isfinite(p[i])) return ut_fail("non-finite coordinate");
    if (cc->kind == CAD_LINE) {
        double len = hypot(p[2] - p[0], p[3] - p[1]);
        double sc = fabs(p[0]) + fabs(p[1]) + fabs(p[2]) + fabs(p[3]);
        if (!(len > tol_fine(sc)) || len == 0) return ut_fail("zero-length line");
        g2_seg(out, p[0], p[1], p[2], p[3]);
        return 0;
    }
    if (cc->kind == CAD_CIRCLE) {
        if (!(p[2] > 0)) return ut_fail("circle radius must be positive");
        g2_arc(out, p[0], p[1], p[2], 0, G2_TWO_PI);
        return 0;
    }
    if (cc->kind != CAD_ARC) return ut_fail("unknown curve kind %d", (int)cc->kind);
    double cx, cy, r, a0, sw;
    if (hypot(p[4] - p[0], p[5] - p[1]) == 0 || hypot(p[2] - p[0], p[3] - p[1]) == 0 ||
        hypot(p[4] - p[2], p[5] - p[3]) == 0)
        return ut_fail("arc points coincide");
    if (cad_arc_geom(p, &cx, &cy, &r, &a0, &sw) != 0) return ut_fail("arc points are collinear");
    if (!isfinite(r) || !(r > 0)) return ut_fail("arc points are collinear");
    sk_arc(p, cx, cy, r, a0, sw, out);
    return 0;
}

void sk_curve_to_g2_loose(const cad_curve *cc, g2_curve *out) {
    const double *p = cc->p;
    double cx, cy, r, a0, sw;
    if (cc->kind == CAD_CIRCLE) g2_arc(out, p[0], p[1], p[2], 0, G2_TWO_PI);
    else if (cc->kind == CAD_ARC && cad_arc_geom(p, &cx, &cy, &r, &a0, &sw) == 0) sk_arc(p, cx, cy, r, a0, sw, out);
    else if (cc->kind == CAD_ARC) g2_seg(out, p[0], p[1], p[4], p[5]); /* collinear: the chord */
    else g2_seg(out, p[0], p[1], p[2], p[3]);
}

/* ---- area and centroid ---- */

void sk_loop_moments(const cad_curve *c, int n, double *A, double *Mx, double *My) {
    g2_curve *g = ut_malloc((size_t)(n > 0 ? n : 1) * sizeof *g);
    for (int i = 0; i < n; i++) sk_curve_to_g2_loose(&c[i], &g[i]);
    double m[6];
    g2_loop_moments(g, n, m);
    free(g);
    *A = m[0], *Mx = m[1], *My = m[2];
}

void sk_face_area(const cad_model *m, int f, double *area, double cen[2]) {
    const cad_face *fc = &m->faces[f];
    double A = 0, MX = 0, MY = 0;
    for (int k = 0; k < fc->n; k++) {
        const cad_loop *l = &m->loops[fc->first + k];
        double a, mx, my;
        sk_loop_moments(&m->curves[l->first], l->n, &a, &mx, &my);
        double s = (k == 0 ? 1 : -1) * (a < 0 ? -1 : 1); /* |outer| - |holes| */
        A += s * a, MX += s * mx, MY += s * my;
    }
    *area = A;
    cen[0] = A != 0 ? MX / A : 0;
    cen[1] = A != 0 ? MY / A : 0;
}

/* ---- exact bounding box of the new/join prisms ---- */

static void sk_bb_add(double lo[3], double hi[3], const double p[3]) {
    for (int k = 0; k < 3; k++) lo[k] = fmin(lo[k], p[k]), hi[k] = fmax(hi[k], p[k]);
}

/* adds the sketch point (u, v) swept over [w0, w1] */
static void sk_bb_sweep(const cad_plane *pl, double u, double v, double w0, double w1, double lo[3], double hi[3]) {
    double p[3];
    cad_plane_to_world(pl, u, v, w0, p);
    sk_bb_add(lo, hi, p);
    cad_plane_to_world(pl, u, v, w1, p);
    sk_bb_add(lo, hi, p);
}

static void sk_bb_curve(const cad_plane *pl, const cad_curve *c, double w0, double w1, double lo[3], double hi[3]) {
    double cx, cy, r, a0, sw;
    if (c->kind == CAD_LINE || (c->kind == CAD_ARC && cad_arc_geom(c->p, &cx, &cy, &r, &a0, &sw))) {
        int k = c->kind == CAD_LINE ? 2 : 4;
        sk_bb_sweep(pl, c->p[0], c->p[1], w0, w1, lo, hi);
        sk_bb_sweep(pl, c->p[k], c->p[k + 1], w0, w1, lo, hi);
        return;
    }
    if (c->kind == CAD_CIRCLE) cx = c->p[0], cy = c->p[1], r = c->p[2], a0 = 0, sw = G2_TWO_PI;
    else {
        sk_bb_sweep(pl, c->p[0], c->p[1], w0, w1, lo, hi);
        sk_bb_sweep(pl, c->p[4], c->p[5], w0, w1, lo, hi);
    }
    double b = fmin(a0, a0 + sw), e = fmax(a0, a0 + sw);
    for (int k = 0; k < 3; k++) { /* world coordinate k is extreme where d/da (cos a x_k + sin a y_k) = 0 */
        double t = atan2(pl->y[k], pl->x[k]);
        for (int j = 0; j < 2; j++) {
            double a = t + j * G2_PI;
            a += G2_TWO_PI * ceil((b - a) / G2_TWO_PI); /* first copy >= b */
            if (a <= e) sk_bb_sweep(pl, cx + r * cos(a), cy + r * sin(a), w0, w1, lo, hi);
        }
    }
}

int sk_prism_bbox(const cad_model *m, double lo[3], double hi[3]) {
    int any = 0;
    for (int k = 0; k < 3; k++) lo[k] = INFINITY, hi[k] = -INFINITY;
    for (int i = 0; i < m->nextrudes; i++) {
        const cad_extrude *e = &m->extrudes[i];
        if (i > 0 && (e->op == CAD_CUT || e->op == CAD_INTERSECT)) continue;
        const cad_sketch *s = &m->sketches[e->sketch];
        double w0, w1;
        cad_extrude_slab(e, &w0, &w1);
        for (int f = s->first; f < s->first + s->n; f++) {
            const cad_loop *l = &m->loops[m->faces[f].first]; /* the outer loop bounds the face */
            for (int c = l->first; c < l->first + l->n; c++) sk_bb_curve(&s->plane, &m->curves[c], w0, w1, lo, hi);
            any = 1;
        }
    }
    return any ? 0 : ut_fail("the model has no new/join extrude");
}
