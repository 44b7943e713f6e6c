/* im_face.c - loops and faces for the importers: arcs from centre/reference/sweep, chaining,
 * outer-loop detection, orientation, exact area/centroid, and the prism bounding box. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/tol.h"
#include "data/import_int.h"

#define IM_PI 3.14159265358979323846

void im_loop_push(im_loop *l, cad_curve_kind kind, const double *p) {
    cad_curve *c = UT_PUSH(l->c, l->n, l->cap);
    memset(c, 0, sizeof *c);
    c->kind = kind;
    int np = kind == CAD_LINE ? 4 : kind == CAD_ARC ? 6 : 3;
    for (int i = 0; i < np; i++) c->p[i] = p[i] + 0.0; /* -0.0 becomes 0.0 */
}

void im_loops_free(im_loop *loops, int n) {
    for (int i = 0; i < n; i++) free(loops[i].c);
}

static double im_dist(const double *a, const double *b) { return hypot(a[0] - b[0], a[1] - b[1]); }

int im_arc(im_ctx *x, im_loop *l, const double c[2], double r, const double ref[2], double sense, double a0,
           double a1, const double *s, const double *e) {
    double rl = hypot(ref[0], ref[1]);
    if (!(r > 0) || !(rl > 0)) return im_fail(x, "arc with zero radius or reference vector");
    double ux = ref[0] / rl, uy = ref[1] / rl;  /* reference direction */
    double vx = -sense * uy, vy = sense * ux;   /* normal x reference (normal = (0,0,sense)) */
    double sweep = a1 - a0;
    if (fabs(sweep) >= 2 * IM_PI * (1 - TOL_FINE)) {
        double p[3] = {c[0], c[1], r};
        im_loop_push(l, CAD_CIRCLE, p);
        return 0;
    }
    double t[3] = {a0, 0.5 * (a0 + a1), a1}, q[3][2];
    for (int i = 0; i < 3; i++) {
        q[i][0] = c[0] + r * (cos(t[i]) * ux + sin(t[i]) * vx);
        q[i][1] = c[1] + r * (cos(t[i]) * uy + sin(t[i]) * vy);
    }
    double p[6] = {q[0][0], q[0][1], q[1][0], q[1][1], q[2][0], q[2][1]};
    if (s && e) { /* stored ends, matched to the computed ones by distance */
        double same = im_dist(q[0], s) + im_dist(q[2], e), swap = im_dist(q[0], e) + im_dist(q[2], s);
        const double *ps = same <= swap ? s : e, *pe = same <= swap ? e : s;
        double err = fmax(im_dist(q[0], ps), im_dist(q[2], pe));
        if (err > x->rep->arc_end_err) x->rep->arc_end_err = err;
        if (err > 1e-3 * r + 1e-9) return im_fail(x, "arc end points are %.3g mm away from its centre/reference/sweep", err);
        p[0] = ps[0], p[1] = ps[1], p[4] = pe[0], p[5] = pe[1];
    }
    im_loop_push(l, CAD_ARC, p);
    return 0;
}

/* ---- curve ends and parametrisation ---- */

static void im_ends(const cad_curve *c, double s[2], double e[2]) {
    if (c->kind == CAD_CIRCLE) {
        s[0] = e[0] = c->p[0] + c->p[2];
        s[1] = e[1] = c->p[1];
    } else {
        int k = c->kind == CAD_LINE ? 2 : 4;
        s[0] = c->p[0], s[1] = c->p[1], e[0] = c->p[k], e[1] = c->p[k + 1];
    }
}

static void im_flip(cad_curve *c) {
    int k = c->kind == CAD_LINE ? 2 : c->kind == CAD_ARC ? 4 : 0;
    if (!k) return;
    double x0 = c->p[0], y0 = c->p[1];
    c->p[0] = c->p[k], c->p[1] = c->p[k + 1];
    c->p[k] = x0, c->p[k + 1] = y0;
}

static void im_set_start(cad_curve *c, const double s[2]) {
    if (c->kind != CAD_CIRCLE) c->p[0] = s[0], c->p[1] = s[1];
}

/* point and derivative of the curve at t in [0, 1] (circles counter-clockwise) */
static void im_eval(const cad_curve *c, double t, double P[2], double D[2]) {
    if (c->kind == CAD_LINE) {
        D[0] = c->p[2] - c->p[0], D[1] = c->p[3] - c->p[1];
        P[0] = c->p[0] + t * D[0], P[1] = c->p[1] + t * D[1];
        return;
    }
    double cx, cy, r, a0, sw;
    if (c->kind == CAD_CIRCLE) cx = c->p[0], cy = c->p[1], r = c->p[2], a0 = 0, sw = 2 * IM_PI;
    else if (cad_arc_geom(c->p, &cx, &cy, &r, &a0, &sw)) { /* collinear: treat as the chord */
        cad_curve l = {CAD_LINE, {c->p[0], c->p[1], c->p[4], c->p[5]}, 0};
        im_eval(&l, t, P, D);
        return;
    }
    double a = a0 + t * sw;
    P[0] = cx + r * cos(a), P[1] = cy + r * sin(a);
    D[0] = -r * sw * sin(a), D[1] = r * sw * cos(a);
}

static int im_pieces(const cad_curve *c) {
    if (c->kind == CAD_LINE) return 1;
    if (c->kind == CAD_CIRCLE) return 16;
    double cx, cy, r, a0, sw;
    if (cad_arc_geom(c->p, &cx, &cy, &r, &a0, &sw)) return 1;
    return 1 + (int)(fabs(sw) / (IM_PI / 8));
}

/* Green's theorem with 8-point Gauss-Legendre on each piece: exact for lines, ~1e-16 for arcs */
void im_loop_moments(const cad_curve *c, int n, double *A, double *Mx, double *My) {
    static const double gx[4] = {0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363};
    static const double gw[4] = {0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763};
    double a = 0, mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        int k = im_pieces(&c[i]);
        for (int j = 0; j < k; j++)
            for (int g = 0; g < 8; g++) {
                double u = g < 4 ? -gx[g] : gx[g - 4], w = gw[g < 4 ? g : g - 4];
                double t = (j + 0.5 * (u + 1)) / k, P[2], D[2];
                im_eval(&c[i], t, P, D);
                w *= 0.5 / k;
                a += w * 0.5 * (P[0] * D[1] - P[1] * D[0]);
                mx += w * 0.5 * P[0] * P[0] * D[1];
                my -= w * 0.5 * P[1] * P[1] * D[0];
            }
    }
    *A = a, *Mx = mx, *My = my;
}

/* ---- chaining ---- */

static double im_loop_size(const im_loop *l) {
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (int i = 0; i < l->n; i++) {
        const cad_curve *c = &l->c[i];
        int np = c->kind == CAD_LINE ? 2 : 3;
        for (int k = 0; k < np; k++) {
            double px = c->p[2 * k], py = c->p[2 * k + 1], rr = 0;
            if (c->kind == CAD_CIRCLE) {
                if (k) break;
                rr = c->p[2];
            }
            lo[0] = fmin(lo[0], px - rr), hi[0] = fmax(hi[0], px + rr);
            lo[1] = fmin(lo[1], py - rr), hi[1] = fmax(hi[1], py + rr);
        }
    }
    return fmax(hi[0] - lo[0], hi[1] - lo[1]);
}

/* drops zero-length lines, orders the curves into a chain (each start on the previous end) and
 * snaps the tiny gaps; -1 if the loop does not close */
static int im_chain(im_ctx *x, im_loop *l, const char *what) {
    double size = im_loop_size(l), tol = tol_len(size);
    int n = 0;
    for (int i = 0; i < l->n; i++) {
        cad_curve *c = &l->c[i];
        if (c->kind == CAD_LINE && hypot(c->p[2] - c->p[0], c->p[3] - c->p[1]) <= tol) {
            x->rep->degenerate_lines++;
            im_warn(x, "%s: zero-length line dropped", what);
            continue;
        }
        double cx, cy, r, a0, sw;
        if (c->kind == CAD_ARC && (cad_arc_geom(c->p, &cx, &cy, &r, &a0, &sw) || !isfinite(r))) {
            /* three collinear points (quantised Text2CAD arcs): the chord, if the middle lies on it */
            double dx = c->p[4] - c->p[0], dy = c->p[5] - c->p[1], len2 = dx * dx + dy * dy;
            double t = len2 > 0 ? ((c->p[2] - c->p[0]) * dx + (c->p[3] - c->p[1]) * dy) / len2 : -1;
            if (!(t > 0 && t < 1)) return im_fail(x, "%s: degenerate arc (its three points coincide or fold back)", what);
            im_warn(x, "%s: arc with collinear points imported as a line", what);
            double p[4] = {c->p[0], c->p[1], c->p[4], c->p[5]};
            memset(c->p, 0, sizeof c->p);
            memcpy(c->p, p, sizeof p);
            c->kind = CAD_LINE;
        }
        l->c[n++] = *c;
    }
    l->n = n;
    if (n == 0) return im_fail(x, "%s: empty loop", what);
    if (n == 1) return l->c[0].kind == CAD_CIRCLE ? 0 : im_fail(x, "%s: a single %s does not close", what,
                                                                     l->c[0].kind == CAD_LINE ? "line" : "arc");
    for (int i = 0; i < n; i++)
        if (l->c[i].kind == CAD_CIRCLE) return im_fail(x, "%s: a circle inside a chain of curves", what);
    /* orient the first curve so that its end meets the second curve */
    double s0[2], e0[2], s1[2], e1[2];
    im_ends(&l->c[0], s0, e0);
    im_ends(&l->c[1], s1, e1);
    if (fmin(im_dist(s0, s1), im_dist(s0, e1)) < fmin(im_dist(e0, s1), im_dist(e0, e1))) im_flip(&l->c[0]);
    double gap = 0;
    for (int i = 1; i < n; i++) {
        double s[2], e[2], cur[2];
        im_ends(&l->c[i - 1], s, cur);
        int best = -1, flip = 0;
        double bd = INFINITY;
        for (int j = i; j < n; j++) { /* nearest free end; the next curve wins ties */
            im_ends(&l->c[j], s, e);
            double ds = im_dist(cur, s), de = im_dist(cur, e);
            if (ds < bd) bd = ds, best = j, flip = 0;
            if (de < bd) bd = de, best = j, flip = 1;
        }
        cad_curve t = l->c[i];
        l->c[i] = l->c[best];
        l->c[best] = t;
        if (flip) im_flip(&l->c[i]);
        gap = fmax(gap, bd);
        im_set_start(&l->c[i], cur);
    }
    double s[2], e[2], last[2];
    im_ends(&l->c[0], s, e);
    im_ends(&l->c[n - 1], e, last);
    gap = fmax(gap, im_dist(last, s));
    if (gap > 1e-4 * size) return im_fail(x, "%s is not closed (gap %.3g mm)", what, gap);
    /* close exactly: the last end onto the first start */
    cad_curve *lc = &l->c[n - 1];
    int k = lc->kind == CAD_LINE ? 2 : 4;
    lc->p[k] = s[0], lc->p[k + 1] = s[1];
    return 0;
}

static void im_reverse(im_loop *l) {
    for (int i = 0, j = l->n - 1; i < j; i++, j--) {
        cad_curve t = l->c[i];
        l->c[i] = l->c[j];
        l->c[j] = t;
    }
    for (int i = 0; i < l->n; i++) im_flip(&l->c[i]);
}

/* even-odd test of point q against the loop, arcs sampled finely */
static int im_inside(const im_loop *l, const double q[2]) {
    int in = 0;
    for (int i = 0; i < l->n; i++) {
        int k = 8 * im_pieces(&l->c[i]);
        double P[2], D[2], prev[2];
        im_eval(&l->c[i], 0, prev, D);
        for (int j = 1; j <= k; j++) {
            im_eval(&l->c[i], (double)j / k, P, D);
            if ((prev[1] > q[1]) != (P[1] > q[1])) {
                double xc = prev[0] + (q[1] - prev[1]) * (P[0] - prev[0]) / (P[1] - prev[1]);
                if (xc > q[0]) in = !in;
            }
            prev[0] = P[0], prev[1] = P[1];
        }
    }
    return in;
}

int im_add_face(im_ctx *x, im_loop *loops, int nloops, const char *profile) {
    if (nloops < 1) return im_fail(x, "profile %s has no loop", profile);
    double *area = ut_malloc((size_t)nloops * sizeof *area);
    int outer = 0;
    char what[256];
    for (int i = 0; i < nloops; i++) {
        snprintf(what, sizeof what, "profile %s loop %d", profile, i + 1);
        double mx, my;
        if (im_chain(x, &loops[i], what)) {
            free(area);
            return -1;
        }
        im_loop_moments(loops[i].c, loops[i].n, &area[i], &mx, &my);
        double size = im_loop_size(&loops[i]);
        if (!(fabs(area[i]) > tol_area(size))) {
            free(area);
            return im_fail(x, "%s has zero area", what);
        }
        if (fabs(area[i]) > fabs(area[outer])) outer = i;
    }
    for (int i = 0; i < nloops; i++) {
        if ((i == outer) != (area[i] > 0)) im_reverse(&loops[i]); /* outer CCW, holes CW */
        if (i != outer) {
            double P[2], D[2];
            im_eval(&loops[i].c[0], 0.5, P, D);
            if (!im_inside(&loops[outer], P)) im_warn(x, "profile %s: loop %d lies outside the outer loop", profile, i + 1);
        }
    }
    free(area);
    int first = x->m->nloops;
    for (int k = 0; k < nloops; k++) {
        int i = k == 0 ? outer : (k <= outer ? k - 1 : k); /* outer first, then the others in file order */
        int c0 = x->m->ncurves;
        for (int j = 0; j < loops[i].n; j++) cad_add_curve(x->m, loops[i].c[j].kind, loops[i].c[j].p, x->line);
        cad_add_loop(x->m, c0, loops[i].n);
    }
    return cad_add_face(x->m, first, nloops);
}

void im_face_area(const cad_model *m, int f, double *area, double cen[2]) {
    const cad_face *fc = &m->faces[f];
    double A = 0, MX = 0, MY = 0;
    for (int k = 0; k < fc->n; k++) {
        const cad_loop *l = &m->loops[fc->first + k];
        double a, mx, my;
        im_loop_moments(&m->curves[l->first], l->n, &a, &mx, &my);
        double s = (k == 0 ? 1 : -1) * (a < 0 ? -1 : 1); /* |outer| - |holes| */
        A += s * a, MX += s * mx, MY += s * my;
    }
    *area = A;
    cen[0] = A != 0 ? MX / A : 0;
    cen[1] = A != 0 ? MY / A : 0;
}

/* ---- exact bounding box of the new/join prisms ---- */

static void im_bb_add(double lo[3], double hi[3], const double p[3]) {
    for (int k = 0; k < 3; k++) lo[k] = fmin(lo[k], p[k]), hi[k] = fmax(hi[k], p[k]);
}

/* adds the sketch point (u, v) swept over [w0, w1] */
static void im_bb_sweep(const cad_plane *pl, double u, double v, double w0, double w1, double lo[3], double hi[3]) {
    double p[3];
    cad_plane_to_world(pl, u, v, w0, p);
    im_bb_add(lo, hi, p);
    cad_plane_to_world(pl, u, v, w1, p);
    im_bb_add(lo, hi, p);
}

static void im_bb_curve(const cad_plane *pl, const cad_curve *c, double w0, double w1, double lo[3], double hi[3]) {
    double cx, cy, r, a0, sw;
    if (c->kind == CAD_LINE || (c->kind == CAD_ARC && cad_arc_geom(c->p, &cx, &cy, &r, &a0, &sw))) {
        int k = c->kind == CAD_LINE ? 2 : 4;
        im_bb_sweep(pl, c->p[0], c->p[1], w0, w1, lo, hi);
        im_bb_sweep(pl, c->p[k], c->p[k + 1], w0, w1, lo, hi);
        return;
    }
    if (c->kind == CAD_CIRCLE) cx = c->p[0], cy = c->p[1], r = c->p[2], a0 = 0, sw = 2 * IM_PI;
    else {
        im_bb_sweep(pl, c->p[0], c->p[1], w0, w1, lo, hi);
        im_bb_sweep(pl, c->p[4], c->p[5], w0, w1, lo, hi);
    }
    double b = fmin(a0, a0 + sw), e = fmax(a0, a0 + sw);
    for (int k = 0; k < 3; k++) { /* world coordinate k is extreme where d/da (cos a x_k + sin a y_k) = 0 */
        double t = atan2(pl->y[k], pl->x[k]);
        for (int j = 0; j < 2; j++) {
            double a = t + j * IM_PI;
            a += 2 * IM_PI * ceil((b - a) / (2 * IM_PI)); /* first copy >= b */
            if (a <= e) im_bb_sweep(pl, cx + r * cos(a), cy + r * sin(a), w0, w1, lo, hi);
        }
    }
}

int im_prism_bbox(const cad_model *m, double lo[3], double hi[3]) {
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
            for (int c = l->first; c < l->first + l->n; c++) im_bb_curve(&s->plane, &m->curves[c], w0, w1, lo, hi);
            any = 1;
        }
    }
    return any ? 0 : ut_fail("the model has no new/join extrude");
}
