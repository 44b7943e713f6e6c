/* geo2d.c - see geo2d.h. */
#include "geom/geo2d.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/tol.h"
#include "base/util.h"

/* ---- construction and evaluation ---- */

void g2_seg(g2_curve *c, double x0, double y0, double x1, double y1) {
    memset(c, 0, sizeof *c);
    c->kind = G2_SEG;
    c->p0[0] = x0, c->p0[1] = y0;
    c->p1[0] = x1, c->p1[1] = y1;
}

void g2_arc(g2_curve *c, double cx, double cy, double r, double a0, double sw) {
    memset(c, 0, sizeof *c);
    c->kind = G2_ARC;
    c->c[0] = cx, c->c[1] = cy, c->r = r, c->a0 = a0, c->sw = sw;
    c->p0[0] = cx + r * cos(a0), c->p0[1] = cy + r * sin(a0);
    if (fabs(sw) >= G2_TWO_PI) {
        c->p1[0] = c->p0[0], c->p1[1] = c->p0[1];
    } else {
        c->p1[0] = cx + r * cos(a0 + sw), c->p1[1] = cy + r * sin(a0 + sw);
    }
}

void g2_eval(const g2_curve *c, double t, double p[2]) {
    if (c->kind == G2_SEG) {
        p[0] = c->p0[0] + t * (c->p1[0] - c->p0[0]);
        p[1] = c->p0[1] + t * (c->p1[1] - c->p0[1]);
    } else {
        double a = c->a0 + t * c->sw;
        p[0] = c->c[0] + c->r * cos(a);
        p[1] = c->c[1] + c->r * sin(a);
    }
}

void g2_deriv(const g2_curve *c, double t, double d[2]) {
    if (c->kind == G2_SEG) {
        d[0] = c->p1[0] - c->p0[0];
        d[1] = c->p1[1] - c->p0[1];
    } else {
        double a = c->a0 + t * c->sw;
        d[0] = -c->r * c->sw * sin(a);
        d[1] = c->r * c->sw * cos(a);
    }
}

double g2_length(const g2_curve *c) {
    if (c->kind == G2_SEG) return hypot(c->p1[0] - c->p0[0], c->p1[1] - c->p0[1]);
    return c->r * fabs(c->sw);
}

/* wraps an angle difference into [0, 2pi) */
static double g2_wrap(double a) {
    a = fmod(a, G2_TWO_PI);
    if (a < 0) a += G2_TWO_PI;
    if (a >= G2_TWO_PI) a = 0;
    return a;
}

int g2_arc_param(const g2_curve *c, double phi, double et, double *t) {
    double s = c->sw > 0 ? 1.0 : -1.0, asw = fabs(c->sw);
    double d = g2_wrap(s * (phi - c->a0)); /* [0, 2pi) along the sweep */
    double tt = d / asw;
    if (tt > 1 + et) {
        double t2 = (d - G2_TWO_PI) / asw; /* just before the start */
        if (t2 >= -et) tt = t2;
        else return 0;
    }
    *t = tt < 0 ? 0 : tt > 1 ? 1 : tt;
    return 1;
}

void g2_bbox(const g2_curve *c, double lo[2], double hi[2]) {
    for (int k = 0; k < 2; k++) {
        lo[k] = fmin(c->p0[k], c->p1[k]);
        hi[k] = fmax(c->p0[k], c->p1[k]);
    }
    if (c->kind != G2_ARC) return;
    static const double dir[4][2] = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}};
    for (int q = 0; q < 4; q++) {
        double t;
        if (!g2_arc_param(c, q * 0.5 * G2_PI, 0, &t)) continue;
        for (int k = 0; k < 2; k++) {
            double v = c->c[k] + c->r * dir[q][k];
            lo[k] = fmin(lo[k], v);
            hi[k] = fmax(hi[k], v);
        }
    }
}

void g2_reverse(g2_curve *c) {
    double tmp[2] = {c->p0[0], c->p0[1]};
    c->p0[0] = c->p1[0], c->p0[1] = c->p1[1];
    c->p1[0] = tmp[0], c->p1[1] = tmp[1];
    if (c->kind == G2_ARC) {
        c->a0 += c->sw;
        c->sw = -c->sw;
    }
}

void g2_sub(const g2_curve *c, double t0, double t1, g2_curve *out) {
    *out = *c;
    if (c->kind == G2_ARC) {
        out->a0 = c->a0 + t0 * c->sw;
        out->sw = (t1 - t0) * c->sw;
    }
    if (t0 != 0) g2_eval(c, t0, out->p0);
    if (t1 != 1) g2_eval(c, t1, out->p1);
    if (t0 == 1) out->p0[0] = c->p1[0], out->p0[1] = c->p1[1];
    if (t1 == 0) out->p1[0] = c->p0[0], out->p1[1] = c->p0[1];
}

static void g2_map_point(const double M[4], const double t[2], double p[2]) {
    double x = M[0] * p[0] + M[1] * p[1] + t[0];
    double y = M[2] * p[0] + M[3] * p[1] + t[1];
    p[0] = x, p[1] = y;
}

void g2_map(g2_curve *c, const double M[4], const double t[2]) {
    g2_map_point(M, t, c->p0);
    g2_map_point(M, t, c->p1);
    if (c->kind != G2_ARC) return;
    double det = M[0] * M[3] - M[1] * M[2];
    double ca = cos(c->a0), sa = sin(c->a0);
    g2_map_point(M, t, c->c);
    c->r *= sqrt(fabs(det));
    c->a0 = atan2(M[2] * ca + M[3] * sa, M[0] * ca + M[1] * sa);
    if (det < 0) c->sw = -c->sw;
}

double g2_closest(const g2_curve *c, const double p[2], double *t) {
    if (c->kind == G2_SEG) {
        double dx = c->p1[0] - c->p0[0], dy = c->p1[1] - c->p0[1];
        double l2 = dx * dx + dy * dy;
        double tt = l2 > 0 ? ((p[0] - c->p0[0]) * dx + (p[1] - c->p0[1]) * dy) / l2 : 0;
        tt = tt < 0 ? 0 : tt > 1 ? 1 : tt;
        *t = tt;
        return hypot(c->p0[0] + tt * dx - p[0], c->p0[1] + tt * dy - p[1]);
    }
    double tt;
    double phi = atan2(p[1] - c->c[1], p[0] - c->c[0]);
    if (g2_arc_param(c, phi, 0, &tt)) {
        *t = tt;
        return fabs(hypot(p[0] - c->c[0], p[1] - c->c[1]) - c->r);
    }
    double d0 = hypot(p[0] - c->p0[0], p[1] - c->p0[1]);
    double d1 = hypot(p[0] - c->p1[0], p[1] - c->p1[1]);
    *t = d0 <= d1 ? 0 : 1;
    return fmin(d0, d1);
}

/* ---- intersections ---- */

static double g2_cross(double ax, double ay, double bx, double by) { return ax * by - ay * bx; }

/* appends (ta, tb) unless a near-equal pair is present */
static int g2_put(g2_isect *out, int n, int max, double ta, double tb) {
    for (int i = 0; i < n; i++)
        if (fabs(out[i].ta - ta) < TOL_FINE && fabs(out[i].tb - tb) < TOL_FINE) return n;
    if (n < max) {
        out[n].ta = ta;
        out[n].tb = tb;
        n++;
    }
    return n;
}

/* parameter of p on curve c if p lies on c within tol */
static int g2_on(const g2_curve *c, const double p[2], double tol, double *t) {
    return g2_closest(c, p, t) <= tol;
}

/* overlapping curves: every end point of one that lies on the other */
static int g2_overlap_ends(const g2_curve *a, const g2_curve *b, double tol, g2_isect *out, int n, int max) {
    double t;
    if (g2_on(b, a->p0, tol, &t)) n = g2_put(out, n, max, 0, t);
    if (g2_on(b, a->p1, tol, &t)) n = g2_put(out, n, max, 1, t);
    if (g2_on(a, b->p0, tol, &t)) n = g2_put(out, n, max, t, 0);
    if (g2_on(a, b->p1, tol, &t)) n = g2_put(out, n, max, t, 1);
    return n;
}

static int g2_seg_seg(const g2_curve *a, const g2_curve *b, double tol, g2_isect *out, int max) {
    double rx = a->p1[0] - a->p0[0], ry = a->p1[1] - a->p0[1];
    double sx = b->p1[0] - b->p0[0], sy = b->p1[1] - b->p0[1];
    double qx = b->p0[0] - a->p0[0], qy = b->p0[1] - a->p0[1];
    double la = hypot(rx, ry), lb = hypot(sx, sy);
    /* collinear: both ends of b near a's line and both ends of a near b's line */
    double db0 = fabs(g2_cross(rx, ry, qx, qy)) / la;
    double db1 = fabs(g2_cross(rx, ry, b->p1[0] - a->p0[0], b->p1[1] - a->p0[1])) / la;
    double da0 = fabs(g2_cross(sx, sy, -qx, -qy)) / lb;
    double da1 = fabs(g2_cross(sx, sy, a->p1[0] - b->p0[0], a->p1[1] - b->p0[1])) / lb;
    if (db0 <= tol && db1 <= tol && da0 <= tol && da1 <= tol) return g2_overlap_ends(a, b, tol, out, 0, max);
    double den = g2_cross(rx, ry, sx, sy);
    if (den == 0) return 0;
    double ta = g2_cross(qx, qy, sx, sy) / den, tb = g2_cross(qx, qy, rx, ry) / den;
    double ea = tol / la, eb = tol / lb;
    if (ta < -ea || ta > 1 + ea || tb < -eb || tb > 1 + eb) return 0;
    ta = ta < 0 ? 0 : ta > 1 ? 1 : ta;
    tb = tb < 0 ? 0 : tb > 1 ? 1 : tb;
    return g2_put(out, 0, max, ta, tb);
}

/* segment a against arc b */
static int g2_seg_arc(const g2_curve *a, const g2_curve *b, double tol, g2_isect *out, int max, int swap) {
    double rx = a->p1[0] - a->p0[0], ry = a->p1[1] - a->p0[1];
    double px = a->p0[0] - b->c[0], py = a->p0[1] - b->c[1];
    double l2 = rx * rx + ry * ry, la = sqrt(l2);
    double tm = -(px * rx + py * ry) / l2;                    /* foot of the perpendicular */
    double dl = fabs(g2_cross(rx, ry, -px, -py)) / la;        /* centre to line distance */
    if (dl > b->r + tol) return 0;
    double h = dl >= b->r ? 0 : sqrt((b->r - dl) * (b->r + dl)) / la; /* half chord, in t */
    double ts[2] = {tm - h, tm + h};
    int nt = h * la <= 0.5 * tol ? 1 : 2;
    if (nt == 1) ts[0] = tm;
    int n = 0;
    double ea = tol / la, eb = tol / (b->r * fabs(b->sw));
    for (int i = 0; i < nt; i++) {
        double t = ts[i], tb;
        if (t < -ea || t > 1 + ea) continue;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double phi = atan2(py + t * ry, px + t * rx);
        if (!g2_arc_param(b, phi, eb, &tb)) continue;
        n = swap ? g2_put(out, n, max, tb, t) : g2_put(out, n, max, t, tb);
    }
    return n;
}

static int g2_arc_arc(const g2_curve *a, const g2_curve *b, double tol, g2_isect *out, int max) {
    double dx = b->c[0] - a->c[0], dy = b->c[1] - a->c[1];
    double d = hypot(dx, dy);
    if (d <= tol && fabs(a->r - b->r) <= tol) return g2_overlap_ends(a, b, tol, out, 0, max);
    if (d > a->r + b->r + tol || d < fabs(a->r - b->r) - tol || d == 0) return 0;
    double x = (d * d + a->r * a->r - b->r * b->r) / (2 * d); /* along the centre line from a */
    double h2 = a->r * a->r - x * x, h = h2 > 0 ? sqrt(h2) : 0;
    double ux = dx / d, uy = dy / d;
    int np = h <= 0.5 * tol ? 1 : 2, n = 0;
    double ea = tol / (a->r * fabs(a->sw)), eb = tol / (b->r * fabs(b->sw));
    for (int i = 0; i < np; i++) {
        double s = np == 1 ? 0 : (i ? h : -h);
        double qx = a->c[0] + x * ux - s * uy, qy = a->c[1] + x * uy + s * ux;
        double ta, tb;
        if (!g2_arc_param(a, atan2(qy - a->c[1], qx - a->c[0]), ea, &ta)) continue;
        if (!g2_arc_param(b, atan2(qy - b->c[1], qx - b->c[0]), eb, &tb)) continue;
        n = g2_put(out, n, max, ta, tb);
    }
    return n;
}

static int g2_cmp_isect(const void *x, const void *y) {
    double a = ((const g2_isect *)x)->ta, b = ((const g2_isect *)y)->ta;
    return (a > b) - (a < b);
}

int g2_intersect(const g2_curve *a, const g2_curve *b, double tol, g2_isect *out, int max) {
    double alo[2], ahi[2], blo[2], bhi[2];
    g2_bbox(a, alo, ahi);
    g2_bbox(b, blo, bhi);
    for (int k = 0; k < 2; k++)
        if (alo[k] > bhi[k] + tol || blo[k] > ahi[k] + tol) return 0;
    int n;
    if (a->kind == G2_SEG && b->kind == G2_SEG) n = g2_seg_seg(a, b, tol, out, max);
    else if (a->kind == G2_SEG) n = g2_seg_arc(a, b, tol, out, max, 0);
    else if (b->kind == G2_SEG) n = g2_seg_arc(b, a, tol, out, max, 1);
    else n = g2_arc_arc(a, b, tol, out, max);
    qsort(out, (size_t)n, sizeof *out, g2_cmp_isect);
    return n;
}

/* ---- Green's integrals ---- */

/* definite integrals over [a, b] of the trigonometric monomials the arc moments need:
 * f[0..10] = C, S, C^2, S^2, C^3, S^3, C^4, S^4, SC, SC^2, SC^3 (C = cos, S = sin) */
static void g2_trig_ints(double a, double b, double f[11]) {
    double F[2][11];
    for (int k = 0; k < 2; k++) {
        double th = k ? b : a, C = cos(th), S = sin(th), S2 = sin(2 * th), S4 = sin(4 * th);
        F[k][0] = S;
        F[k][1] = -C;
        F[k][2] = 0.5 * th + 0.5 * S * C;
        F[k][3] = 0.5 * th - 0.5 * S * C;
        F[k][4] = S - S * S * S / 3;
        F[k][5] = -C + C * C * C / 3;
        F[k][6] = 0.375 * th + 0.25 * S2 + S4 / 32;
        F[k][7] = 0.375 * th - 0.25 * S2 + S4 / 32;
        F[k][8] = 0.5 * S * S;
        F[k][9] = -C * C * C / 3;
        F[k][10] = -0.25 * C * C * C * C;
    }
    for (int i = 0; i < 11; i++) f[i] = F[1][i] - F[0][i];
}

static void g2_arc_moments(const g2_curve *c, double t0, double t1, double m[6]) {
    double f[11];
    g2_trig_ints(c->a0 + t0 * c->sw, c->a0 + t1 * c->sw, f);
    double X = c->c[0], Y = c->c[1], r = c->r, r2 = r * r, r3 = r2 * r, r4 = r3 * r;
    m[0] = r * X * f[0] + r2 * f[2];
    m[1] = 0.5 * (r * X * X * f[0] + 2 * r2 * X * f[2] + r3 * f[4]);
    m[2] = 0.5 * (r * Y * Y * f[1] + 2 * r2 * Y * f[3] + r3 * f[5]);
    m[3] = (r * X * X * X * f[0] + 3 * r2 * X * X * f[2] + 3 * r3 * X * f[4] + r4 * f[6]) / 3;
    m[4] = (r * Y * Y * Y * f[1] + 3 * r2 * Y * Y * f[3] + 3 * r3 * Y * f[5] + r4 * f[7]) / 3;
    m[5] = 0.5 * r *
           (X * X * Y * f[0] + X * X * r * f[8] + 2 * X * Y * r * f[2] + 2 * X * r2 * f[9] + Y * r2 * f[4] + r3 * f[10]);
}

/* segment integrands are polynomials of degree <= 3 in t: Simpson's rule is exact */
static void g2_seg_moments(const g2_curve *c, double t0, double t1, double m[6]) {
    double a[2], b[2];
    g2_eval(c, t0, a);
    g2_eval(c, t1, b);
    double dx = b[0] - a[0], dy = b[1] - a[1];
    double w[3] = {1.0 / 6, 4.0 / 6, 1.0 / 6};
    memset(m, 0, 6 * sizeof *m);
    for (int i = 0; i < 3; i++) {
        double x = a[0] + 0.5 * i * dx, y = a[1] + 0.5 * i * dy;
        m[0] += w[i] * x * dy;
        m[1] += w[i] * 0.5 * x * x * dy;
        m[2] -= w[i] * 0.5 * y * y * dx;
        m[3] += w[i] * x * x * x * dy / 3;
        m[4] -= w[i] * y * y * y * dx / 3;
        m[5] += w[i] * 0.5 * x * x * y * dy;
    }
}

void g2_moments(const g2_curve *c, double t0, double t1, double m[6]) {
    if (c->kind == G2_SEG) g2_seg_moments(c, t0, t1, m);
    else g2_arc_moments(c, t0, t1, m);
}

void g2_loop_moments(const g2_curve *c, int n, double m[6]) {
    double mi[6];
    memset(m, 0, 6 * sizeof *m);
    for (int i = 0; i < n; i++) {
        g2_moments(&c[i], 0, 1, mi);
        for (int k = 0; k < 6; k++) m[k] += mi[k];
    }
}

double g2_loop_area(const g2_curve *c, int n) {
    double m[6];
    g2_loop_moments(c, n, m);
    return m[0];
}

/* ---- loops ---- */

static double g2_dist(const double a[2], const double b[2]) { return hypot(a[0] - b[0], a[1] - b[1]); }

/* exchanges positions i and j of the chain and of its bookkeeping */
static void g2_chain_swap(g2_curve *c, int *order, int i, int j) {
    if (i == j) return;
    g2_curve t = c[i];
    c[i] = c[j];
    c[j] = t;
    if (order) {
        int k = order[i];
        order[i] = order[j];
        order[j] = k;
    }
}

/* the curve of the unplaced positions i..n-1 with the end nearest to p; *flip: that end is p1
 * (both left as they are when no distance compares, as with non-finite points) */
static int g2_chain_nearest(const g2_curve *c, int i, int n, const double p[2], int *flip) {
    int best = i;
    double bd = INFINITY;
    for (int j = i; j < n; j++) {
        double ds = g2_dist(p, c[j].p0), de = g2_dist(p, c[j].p1);
        if (ds < bd) bd = ds, best = j, *flip = 0;
        if (de < bd) bd = de, best = j, *flip = 1;
    }
    return best;
}

void g2_chain_order(g2_curve *c, int n, int reorder, int *order, int *flipped) {
    for (int i = 0; i < n; i++) {
        if (order) order[i] = i;
        if (flipped) flipped[i] = 0;
    }
    if (n < 2) return;
    /* the first curve runs towards whichever end of the second is nearest */
    double d_keep = fmin(g2_dist(c[0].p1, c[1].p0), g2_dist(c[0].p1, c[1].p1));
    double d_flip = fmin(g2_dist(c[0].p0, c[1].p0), g2_dist(c[0].p0, c[1].p1));
    if (d_flip < d_keep) {
        g2_reverse(&c[0]);
        if (flipped) flipped[0] = 1;
    }
    for (int i = 1; i < n; i++) {
        const double *end = c[i - 1].p1;
        int flip = g2_dist(c[i].p1, end) < g2_dist(c[i].p0, end);
        if (reorder) g2_chain_swap(c, order, i, g2_chain_nearest(c, i, n, end, &flip));
        if (flip) {
            g2_reverse(&c[i]);
            if (flipped) flipped[i] = 1;
        }
    }
}

int g2_chain(g2_curve *c, int n, double tol, double *gap) {
    *gap = 0;
    if (n <= 0) return 0;
    if (n == 1) {
        *gap = g2_dist(c[0].p0, c[0].p1);
        if (*gap > tol) return 0;
        c[0].p1[0] = c[0].p0[0], c[0].p1[1] = c[0].p0[1];
        return -1;
    }
    g2_chain_order(c, n, 0, NULL, NULL);
    for (int i = 0; i < n; i++) {
        double g = g2_dist(c[(i + 1) % n].p0, c[i].p1);
        if (g > tol) {
            *gap = g;
            return i;
        }
    }
    for (int i = 0; i < n; i++) { /* snap: each start becomes the previous end, bit-exactly */
        const g2_curve *prev = &c[(i + n - 1) % n];
        c[i].p0[0] = prev->p1[0], c[i].p0[1] = prev->p1[1];
    }
    return -1;
}

/* ---- point in region ---- */

void g2_region_init(g2_region *rg) {
    memset(rg, 0, sizeof *rg);
    rg->lo[0] = rg->lo[1] = INFINITY;
    rg->hi[0] = rg->hi[1] = -INFINITY;
}

void g2_region_free(g2_region *rg) {
    free(rg->m);
    free(rg->start);
    free(rg->idx);
    memset(rg, 0, sizeof *rg);
}

static void g2_region_put(g2_region *rg, const double a[2], const double b[2], const g2_curve *arc, int right) {
    g2_mono *m = UT_PUSH(rg->m, rg->n, rg->cap);
    m->x0 = a[0], m->y0 = a[1], m->x1 = b[0], m->y1 = b[1];
    m->cx = arc ? arc->c[0] : 0;
    m->cy = arc ? arc->c[1] : 0;
    m->r = arc ? arc->r : 0;
    m->right = right;
}

/* an arc as pieces monotone in y: split where the tangent is horizontal (angles pi/2 + k pi) */
static void g2_region_arc(g2_region *rg, const g2_curve *c) {
    double s = c->sw > 0 ? 1 : -1, asw = fabs(c->sw);
    double d0 = fmod(g2_wrap(s * (0.5 * G2_PI - c->a0)), G2_PI); /* sweep distance to the first split */
    if (d0 < 1e-15) d0 += G2_PI;                                         /* starts on a split: none there */
    double prev[2] = {c->p0[0], c->p0[1]}, dprev = 0;
    for (double d = d0; ; d += G2_PI) {
        int last = !(d < asw - 1e-15 * asw);
        double dend = last ? asw : d, q[2];
        if (last) q[0] = c->p1[0], q[1] = c->p1[1];
        else {
            double th = c->a0 + s * d;
            q[0] = c->c[0];
            q[1] = c->c[1] + (sin(th) > 0 ? c->r : -c->r);
        }
        if (dend > dprev) {
            double mid = c->a0 + s * 0.5 * (dprev + dend);
            g2_region_put(rg, prev, q, c, cos(mid) > 0 ? 1 : -1);
        }
        if (last) break;
        prev[0] = q[0], prev[1] = q[1], dprev = d;
    }
}

void g2_region_add(g2_region *rg, const g2_curve *c, int n) {
    for (int i = 0; i < n; i++) {
        double lo[2], hi[2];
        g2_bbox(&c[i], lo, hi);
        for (int k = 0; k < 2; k++) {
            rg->lo[k] = fmin(rg->lo[k], lo[k]);
            rg->hi[k] = fmax(rg->hi[k], hi[k]);
        }
        if (c[i].kind == G2_SEG) g2_region_put(rg, c[i].p0, c[i].p1, NULL, 0);
        else g2_region_arc(rg, &c[i]);
    }
}

void g2_region_index(g2_region *rg) {
    free(rg->start), free(rg->idx);
    rg->start = rg->idx = NULL;
    rg->nband = 0;
    double h = rg->hi[1] - rg->lo[1];
    if (rg->n < 8 || !(h > 0)) return;
    int nb = rg->n < 64 ? rg->n : 64;
    rg->nband = nb;
    rg->bh = h / nb;
    rg->start = ut_calloc((size_t)nb + 1, sizeof *rg->start);
    for (int pass = 0; pass < 2; pass++) { /* count, then fill */
        int *fill = pass ? ut_calloc((size_t)nb, sizeof *fill) : NULL;
        for (int i = 0; i < rg->n; i++) {
            const g2_mono *m = &rg->m[i];
            int b0 = (int)floor((fmin(m->y0, m->y1) - rg->lo[1]) / rg->bh);
            int b1 = (int)floor((fmax(m->y0, m->y1) - rg->lo[1]) / rg->bh);
            b0 = b0 < 0 ? 0 : b0 >= nb ? nb - 1 : b0;
            b1 = b1 < 0 ? 0 : b1 >= nb ? nb - 1 : b1;
            for (int b = b0; b <= b1; b++) {
                if (pass) rg->idx[rg->start[b] + fill[b]++] = i;
                else rg->start[b + 1]++;
            }
        }
        if (!pass) {
            for (int b = 0; b < nb; b++) rg->start[b + 1] += rg->start[b];
            rg->idx = ut_malloc((size_t)(rg->start[nb] > 0 ? rg->start[nb] : 1) * sizeof *rg->idx);
        }
        free(fill);
    }
}

int g2_region_inside(const g2_region *rg, double x, double y) {
    if (x < rg->lo[0] || x > rg->hi[0] || y < rg->lo[1] || y > rg->hi[1]) return 0;
    int in = 0, i0 = 0, i1 = rg->n;
    const int *idx = NULL;
    if (rg->nband) {
        int b = (int)((y - rg->lo[1]) / rg->bh);
        b = b < 0 ? 0 : b >= rg->nband ? rg->nband - 1 : b;
        idx = rg->idx, i0 = rg->start[b], i1 = rg->start[b + 1];
    }
    for (int k = i0; k < i1; k++) {
        const g2_mono *m = &rg->m[idx ? idx[k] : k];
        if ((m->y0 > y) == (m->y1 > y)) continue; /* half-open rule: no double counts at joints */
        double xc;
        if (m->r == 0) {
            xc = m->x0 + (y - m->y0) * (m->x1 - m->x0) / (m->y1 - m->y0);
        } else {
            double dy = y - m->cy, h = m->r * m->r - dy * dy;
            xc = m->cx + m->right * (h > 0 ? sqrt(h) : 0);
        }
        if (xc > x) in ^= 1;
    }
    return in;
}
