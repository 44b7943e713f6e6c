/* sd_quad.c - volume moments, surface area and box of a solid whose prisms extrude in several
 * directions (docs/kernel.md, "Several directions").
 *
 * Volume: a nested integral over the plane of prism 0, innermost along its N exact from ray
 * intervals, the two outer ones Gauss-Kronrod quadratures between breakpoints computed from the
 * geometry (edges, silhouettes, face-face crossings, arrangement vertices, tangencies), so every
 * piece is smooth. Area: per prism face, exact boundary length along lines of the face,
 * integrated the same way. Box: planes swept along each axis, first and last occupied pieces.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/budget.h"
#include "base/tol.h"
#include "geom/solid_int.h"

/* ---------------------------------------------------------------- adaptive quadrature */

/* Gauss-Kronrod 7/15 nodes and weights on [-1, 1] (positive half; index 7 is the centre) */
static const double sd_xk[8] = {0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
                                0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
                                0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
                                0.207784955007898467600689403773245, 0.0};
static const double sd_wk[8] = {0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
                                0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
                                0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
                                0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
static const double sd_wg[4] = {0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
                                0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

#define SD_QD 10 /* components of a quadrature integrand (at most) */
typedef void (*sd_qfn)(void *ctx, double x, double *f); /* f: SD_QD values at x */

/* one Gauss-Kronrod rule on [a, b]: res[D] and the error estimate of component 0 */
/* Gauss-Kronrod 3/7 (the cheaper rule, exact to degree 11) */
static const double sd_xk7[4] = {0.960491268708020283423507092629080, 0.774596669241483377035853079956480,
                                 0.434243749346802558002071502844628, 0.0};
static const double sd_wk7[4] = {0.104656226026467265193823857192073, 0.268488089868333440728569280666710,
                                 0.401397414775962222905051818618432, 0.450916538658474142345110087045571};
static const double sd_wg3[2] = {0.555555555555555555555555555555556, 0.888888888888888888888888888888889};

/* one Gauss-Kronrod rule (7 or 15 points) on [a, b]: res[D] and the error estimate of
   component 0 */
static double sd_gk(sd_qfn fn, void *ctx, int D, double a, double b, int rule, double *res) {
    const double *xk = rule == 7 ? sd_xk7 : sd_xk, *wk = rule == 7 ? sd_wk7 : sd_wk, *wg = rule == 7 ? sd_wg3 : sd_wg;
    int half = rule / 2; /* nodes on each side of the centre */
    double c = 0.5 * (a + b), h = 0.5 * (b - a), f1[SD_QD], f2[SD_QD], g0, v[15], w[15];
    fn(ctx, c, f1);
    for (int q = 0; q < D; q++) res[q] = wk[half] * f1[q];
    g0 = wg[half / 2] * f1[0];
    v[0] = f1[0], w[0] = wk[half];
    for (int j = 0; j < half; j++) {
        fn(ctx, c - h * xk[j], f1);
        fn(ctx, c + h * xk[j], f2);
        for (int q = 0; q < D; q++) res[q] += wk[j] * (f1[q] + f2[q]);
        if (j & 1) g0 += wg[j >> 1] * (f1[0] + f2[0]);
        v[2 * j + 1] = f1[0], v[2 * j + 2] = f2[0], w[2 * j + 1] = w[2 * j + 2] = wk[j];
    }
    /* QUADPACK's estimate: |K - G| scaled by the spread of the integrand (smooth integrands
       have errors far below |K - G|) */
    double mean = 0.5 * res[0], asc = 0;
    for (int i = 0; i < rule; i++) asc += w[i] * fabs(v[i] - mean);
    for (int q = 0; q < D; q++) res[q] *= h;
    double err = fabs(res[0] - g0 * h);
    asc *= fabs(h);
    if (asc > 0 && err > 0) err = asc * fmin(1, pow(200 * err / asc, 1.5));
    return err;
}

/* globally adaptive integral of fn over [a, b]: bisects the cell of largest error until the
   summed error of component 0 is below max(rel |I0|, abs_tol) or max_cells is reached */
static void sd_adapt(sd_qfn fn, void *ctx, int D, double a, double b, double rel, double abs_tol, int max_cells,
                     int rule, double *out) {
    enum { CAP = 512 };
    static _Thread_local struct cell {
        double a, b, err, res[SD_QD];
    } stk[4][CAP]; /* nesting levels of the quadratures */
    static _Thread_local int level;
    struct cell *cl = stk[level < 4 ? level : 3];
    if (max_cells > CAP) max_cells = CAP;
    level++;
    int n = 1;
    cl[0].a = a, cl[0].b = b;
    cl[0].err = sd_gk(fn, ctx, D, a, b, rule, cl[0].res);
    for (;;) {
        double tot = 0, err = 0;
        int worst = 0;
        for (int i = 0; i < n; i++) {
            tot += cl[i].res[0], err += cl[i].err;
            if (cl[i].err > cl[worst].err) worst = i;
        }
        if (err <= fmax(rel * fabs(tot), abs_tol) || n >= max_cells || bg_charge(1)) break; /* over budget: void */
        struct cell w = cl[worst];
        double m = 0.5 * (w.a + w.b);
        cl[worst].a = w.a, cl[worst].b = m;
        cl[worst].err = sd_gk(fn, ctx, D, w.a, m, rule, cl[worst].res);
        cl[n].a = m, cl[n].b = w.b;
        cl[n].err = sd_gk(fn, ctx, D, m, w.b, rule, cl[n].res);
        n++;
    }
    for (int q = 0; q < D; q++) {
        out[q] = 0;
        for (int i = 0; i < n; i++) out[q] += cl[i].res[q];
    }
    level--;
}

/* ---------------------------------------------------------------- breakpoints of sweeps
 *
 * The quadratures integrate exact line lengths (ray intervals) over a family of parallel lines.
 * The integrand is smooth except where the family's combinatorics change; those positions are
 * computed here exactly (edges crossing the sweep plane, cylinder silhouettes, planar faces
 * containing the line direction), so that every quadrature piece is smooth (up to kinks where
 * two faces of different prisms cross, and square-root ends at tangencies, which the cosine
 * substitution below absorbs).
 */

typedef struct {
    double *v;
    unsigned char *f; /* 1 where the integrand may behave like a square root (tangencies) */
    int n, cap, capf;
    int tag; /* the flag that sd_vals_put gives */
} sd_vals;

static void sd_vals_put(sd_vals *b, double x) {
    if (!isfinite(x)) return;
    *UT_PUSH(b->f, b->n, b->capf) = (unsigned char)b->tag;
    b->n--;
    *UT_PUSH(b->v, b->n, b->cap) = x;
}

static void sd_vals_free(sd_vals *b) {
    free(b->v), free(b->f);
    memset(b, 0, sizeof *b);
}

typedef struct {
    double v;
    int f;
} sd_tagged;

static int sd_cmp_tagged(const void *x, const void *y) {
    double a = ((const sd_tagged *)x)->v, b = ((const sd_tagged *)y)->v;
    return (a > b) - (a < b);
}

/* sorted distinct values inside (lo, hi), with lo and hi at the ends; merged values keep any
   tangency flag */
static void sd_vals_finish(sd_vals *b, double lo, double hi, double eps) {
    if (bg_charge(b->n)) { /* over budget: no pieces, the caller's result is void */
        b->n = 0;
        return;
    }
    int tag = b->tag;
    b->tag = 0;
    sd_vals_put(b, lo);
    sd_vals_put(b, hi);
    b->tag = tag;
    sd_tagged *t = ut_malloc((size_t)b->n * sizeof *t);
    for (int i = 0; i < b->n; i++) t[i].v = b->v[i], t[i].f = b->f[i];
    qsort(t, (size_t)b->n, sizeof *t, sd_cmp_tagged);
    int m = 0;
    for (int i = 0; i < b->n; i++) {
        if (t[i].v < lo || t[i].v > hi) continue;
        if (m > 0 && t[i].v - b->v[m - 1] <= eps) {
            b->f[m - 1] |= (unsigned char)t[i].f;
            continue;
        }
        b->v[m] = t[i].v, b->f[m] = (unsigned char)t[i].f, m++;
    }
    if (m > 0 && b->v[m - 1] < hi) b->v[m - 1] = hi; /* the last kept value within eps of hi */
    b->n = m;
    free(t);
}

/* a plane (point o, unit normal n), the axis a (unit, in the plane) that values are measured
   along, and the direction d of the integration lines (unit, in the plane, normal to a) */
typedef struct {
    double o[3], n[3], a[3], d[3], tol;
} sd_cut;

static void sd_cut_put(const sd_cut *c, const double q[3], sd_vals *b) {
    double r[3] = {q[0] - c->o[0], q[1] - c->o[1], q[2] - c->o[2]};
    sd_vals_put(b, sd_dot(r, c->a));
}

/* 3-D segment A-B: its crossing with the plane, or both ends if it lies in it */
static void sd_seg_plane(const sd_cut *c, const double A[3], const double B[3], sd_vals *b) {
    double ra[3] = {A[0] - c->o[0], A[1] - c->o[1], A[2] - c->o[2]}, rb[3] = {B[0] - c->o[0], B[1] - c->o[1], B[2] - c->o[2]};
    double da = sd_dot(ra, c->n), db = sd_dot(rb, c->n);
    if (fabs(da) <= c->tol && fabs(db) <= c->tol) {
        sd_cut_put(c, A, b);
        sd_cut_put(c, B, b);
        return;
    }
    if ((da > c->tol && db > c->tol) || (da < -c->tol && db < -c->tol)) return;
    double t = da / (da - db), q[3];
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    for (int i = 0; i < 3; i++) q[i] = A[i] + t * (B[i] - A[i]);
    sd_cut_put(c, q, b);
}

static void sd_arc_point(const sd_prism *p, const g2_curve *g, double th, double w, double q[3]) {
    sd_to_world(p, g->c[0] + g->r * cos(th), g->c[1] + g->r * sin(th), w, q);
}

/* the arc g of prism p at height w: its crossings with the plane; if it lies in the plane, its
   ends and its extremes along the axis */
static void sd_arc_plane(const sd_cut *c, const sd_prism *p, const g2_curve *g, double w, sd_vals *b) {
    double C[3], q[3], t;
    sd_to_world(p, g->c[0], g->c[1], w, C);
    double rc[3] = {C[0] - c->o[0], C[1] - c->o[1], C[2] - c->o[2]};
    double un = sd_dot(p->X, c->n), vn = sd_dot(p->Y, c->n), R = hypot(un, vn), h = sd_dot(rc, c->n);
    if (R <= TOL_DIR) {
        if (fabs(h) > c->tol) return;
        sd_to_world(p, g->p0[0], g->p0[1], w, q);
        sd_cut_put(c, q, b);
        double phi = atan2(sd_dot(p->Y, c->a), sd_dot(p->X, c->a));
        b->tag = 1; /* extremes of an arc lying in the plane */
        for (int k = 0; k < 2; k++)
            if (g2_arc_param(g, phi + k * G2_PI, 0, &t)) sd_arc_point(p, g, phi + k * G2_PI, w, q), sd_cut_put(c, q, b);
        b->tag = 0;
        return;
    }
    double k = -h / (g->r * R); /* cos(theta - phi) = k */
    if (fabs(k) > 1) return;
    double phi = atan2(vn, un), dt = acos(k);
    int tag = b->tag;
    if (fabs(k) > 1 - 1e-3) b->tag = 1; /* the plane (nearly) grazes the arc */
    for (int s = -1; s <= 1; s += 2)
        if (g2_arc_param(g, phi + s * dt, TOL_FINE, &t)) sd_arc_point(p, g, phi + s * dt, w, q), sd_cut_put(c, q, b);
    b->tag = tag;
}

/* a planar face (point qf, unit normal nf) containing the line direction meets the plane in a
   line of the family: its position along the axis (if the face's prism box touches it) */
static void sd_face_trace(const sd_cut *c, const sd_prism *p, const double qf[3], const double nf[3], sd_vals *b) {
    if (fabs(sd_dot(nf, c->d)) > TOL_DIR) return;
    double an = sd_dot(c->a, nf);
    if (fabs(an) <= TOL_DIR) return;
    double r[3] = {qf[0] - c->o[0], qf[1] - c->o[1], qf[2] - c->o[2]}, alpha = sd_dot(r, nf) / an, q[3];
    for (int i = 0; i < 3; i++) q[i] = c->o[i] + alpha * c->a[i];
    if (sd_line_box(p->lo, p->hi, q, c->d)) sd_vals_put(b, alpha);
}

/* the unit normal of the straight wall of segment g of prism p */
static void sd_wall_normal(const sd_prism *p, const g2_curve *g, double nf[3]) {
    double ex = g->p1[0] - g->p0[0], ey = g->p1[1] - g->p0[1], el = hypot(ex, ey);
    for (int i = 0; i < 3; i++) nf[i] = (ey * p->X[i] - ex * p->Y[i]) / el;
}

/* silhouette angles of an arc wall seen along d (normal perpendicular to d); 0 if the wall is
   parallel to d */
static int sd_silhouette(const sd_prism *p, const double d[3], double th[2]) {
    double cx = sd_dot(p->X, d), cy = sd_dot(p->Y, d);
    if (hypot(cx, cy) <= TOL_DIR) return 0;
    th[0] = atan2(-cx, cy);
    th[1] = th[0] + G2_PI;
    return 2;
}

/* every position along the axis where the lines in the plane change combinatorics */
static void sd_plane_breaks(const sd_solid *s, const sd_cut *c, sd_vals *b) {
    for (int j = 0; j < s->npr && !bg_charge(1 + s->pr[j].nc); j++) {
        const sd_prism *p = &s->pr[j];
        double o[3] = {c->o[0], c->o[1], c->o[2]};
        if (!sd_line_box(p->lo, p->hi, o, c->a) && fabs(sd_dot(c->n, c->n)) > 0) { /* quick reject: plane vs box */
            double lo = INFINITY, hi = -INFINITY;
            for (int k = 0; k < 8; k++) {
                double q[3] = {k & 1 ? p->hi[0] : p->lo[0], k & 2 ? p->hi[1] : p->lo[1], k & 4 ? p->hi[2] : p->lo[2]};
                double r[3] = {q[0] - o[0], q[1] - o[1], q[2] - o[2]}, h = sd_dot(r, c->n);
                lo = fmin(lo, h), hi = fmax(hi, h);
            }
            if (lo > c->tol || hi < -c->tol) continue;
        }
        for (int e = 0; e < 2; e++) { /* caps containing the line direction */
            double qf[3];
            sd_to_world(p, 0, 0, e ? p->w1 : p->w0, qf);
            sd_face_trace(c, p, qf, p->N, b);
        }
        for (int k = 0; k < p->nc; k++) {
            const g2_curve *g = &p->c[k];
            double A[3], B[3], th[2];
            sd_to_world(p, g->p0[0], g->p0[1], p->w0, A);
            sd_to_world(p, g->p0[0], g->p0[1], p->w1, B);
            sd_seg_plane(c, A, B, b); /* vertical edge */
            for (int e = 0; e < 2; e++) {
                double w = e ? p->w1 : p->w0;
                if (g->kind == G2_SEG) {
                    sd_to_world(p, g->p0[0], g->p0[1], w, A);
                    sd_to_world(p, g->p1[0], g->p1[1], w, B);
                    sd_seg_plane(c, A, B, b);
                } else {
                    sd_arc_plane(c, p, g, w, b);
                }
            }
            if (g->kind == G2_SEG) {
                double nf[3];
                sd_wall_normal(p, g, nf);
                sd_to_world(p, g->p0[0], g->p0[1], 0, A);
                sd_face_trace(c, p, A, nf, b);
            } else {
                int ns = sd_silhouette(p, c->d, th);
                b->tag = 1; /* lines tangent to the cylinder */
                for (int q = 0; q < ns; q++) {
                    double t;
                    if (!g2_arc_param(g, th[q], 0, &t)) continue;
                    sd_arc_point(p, g, th[q], p->w0, A);
                    sd_arc_point(p, g, th[q], p->w1, B);
                    sd_seg_plane(c, A, B, b);
                }
                b->tag = 0;
            }
        }
    }
}

/* positions along axis a (from origin o) of all vertices, arc extremes along a and silhouette
   ends seen along d: where a sweep of planes normal to a changes combinatorics */
static void sd_sweep_breaks(const sd_solid *s, const double o[3], const double a[3], const double d[3], sd_vals *b) {
    sd_cut c;
    memcpy(c.o, o, sizeof c.o);
    memcpy(c.a, a, sizeof c.a);
    for (int j = 0; j < s->npr; j++) {
        const sd_prism *p = &s->pr[j];
        for (int k = 0; k < p->nc; k++) {
            const g2_curve *g = &p->c[k];
            for (int e = 0; e < 2; e++) {
                double w = e ? p->w1 : p->w0, q[3], th[2], t;
                sd_to_world(p, g->p0[0], g->p0[1], w, q);
                sd_cut_put(&c, q, b);
                if (g->kind != G2_ARC) continue;
                double phi = atan2(sd_dot(p->Y, a), sd_dot(p->X, a));
                b->tag = 1; /* arc extremes along the sweep and silhouette ends */
                for (int m = 0; m < 2; m++)
                    if (g2_arc_param(g, phi + m * G2_PI, 0, &t)) sd_arc_point(p, g, phi + m * G2_PI, w, q), sd_cut_put(&c, q, b);
                int ns = sd_silhouette(p, d, th);
                for (int m = 0; m < ns; m++)
                    if (g2_arc_param(g, th[m], 0, &t)) sd_arc_point(p, g, th[m], w, q), sd_cut_put(&c, q, b);
                b->tag = 0;
            }
        }
    }
}

/* ---- where faces of different prisms meet: the arrangement's own breakpoints ----
 * Inside a sweep plane the lines' ends switch from one prism's face to another's where two
 * faces cross (kinks); along the sweep the plane passes vertices of the arrangement (edges
 * piercing faces, three planes meeting) and tangencies (extremes of plane-cylinder ellipses).
 * Cylinder-cylinder crossings are left to the adaptive quadrature. */

typedef struct {
    int prism;
    double q[3], n[3]; /* a point and the unit normal */
    int curve;         /* the straight wall's curve, or -1 / -2 for the cap at w0 / w1 */
} sd_pface;

typedef struct {
    int prism, curve; /* an arc wall */
} sd_cface;

typedef struct {
    int prism;
    double A[3], B[3];
} sd_sedge;

typedef struct {
    sd_pface *pf;
    int npf, cap_pf;
    sd_cface *cf;
    int ncf, cap_cf;
    sd_sedge *se; /* straight edges and the silhouette rulings seen along the line direction */
    int nse, cap_se;
} sd_arr;

static void sd_arr_build(const sd_solid *s, const double d[3], sd_arr *A) {
    memset(A, 0, sizeof *A);
    for (int j = 0; j < s->npr; j++) {
        const sd_prism *p = &s->pr[j];
        for (int e = 0; e < 2; e++) {
            sd_pface *f = UT_PUSH(A->pf, A->npf, A->cap_pf);
            f->prism = j, f->curve = e ? -2 : -1;
            sd_to_world(p, 0, 0, e ? p->w1 : p->w0, f->q);
            memcpy(f->n, p->N, sizeof f->n);
        }
        for (int k = 0; k < p->nc; k++) {
            const g2_curve *g = &p->c[k];
            sd_sedge *v = UT_PUSH(A->se, A->nse, A->cap_se);
            v->prism = j;
            sd_to_world(p, g->p0[0], g->p0[1], p->w0, v->A);
            sd_to_world(p, g->p0[0], g->p0[1], p->w1, v->B);
            if (g->kind == G2_SEG) {
                sd_pface *f = UT_PUSH(A->pf, A->npf, A->cap_pf);
                f->prism = j, f->curve = k;
                sd_to_world(p, g->p0[0], g->p0[1], 0, f->q);
                sd_wall_normal(p, g, f->n);
                for (int e = 0; e < 2; e++) {
                    sd_sedge *c = UT_PUSH(A->se, A->nse, A->cap_se);
                    c->prism = j;
                    sd_to_world(p, g->p0[0], g->p0[1], e ? p->w1 : p->w0, c->A);
                    sd_to_world(p, g->p1[0], g->p1[1], e ? p->w1 : p->w0, c->B);
                }
            } else {
                sd_cface *f = UT_PUSH(A->cf, A->ncf, A->cap_cf);
                f->prism = j, f->curve = k;
                double th[2], t;
                int ns = sd_silhouette(p, d, th);
                for (int m = 0; m < ns; m++) {
                    if (!g2_arc_param(g, th[m], 0, &t)) continue;
                    sd_sedge *r = UT_PUSH(A->se, A->nse, A->cap_se);
                    r->prism = j;
                    sd_arc_point(p, g, th[m], p->w0, r->A);
                    sd_arc_point(p, g, th[m], p->w1, r->B);
                }
            }
        }
    }
}

static void sd_arr_free(sd_arr *A) {
    free(A->pf), free(A->cf), free(A->se);
    memset(A, 0, sizeof *A);
}

static int sd_in_box(const sd_solid *s, int j, const double q[3]) {
    return sd_box_has(s->pr[j].lo, s->pr[j].hi, q, tol_len(s->size));
}

/* is q (on the plane of F) on the face itself, up to a small margin? */
static int sd_on_pface(const sd_solid *s, const sd_pface *F, const double q[3]) {
    const sd_prism *p = &s->pr[F->prism];
    double l[3], eps = tol_len(s->size);
    if (!sd_box_has(p->lo, p->hi, q, eps)) return 0;
    sd_to_local(p, q, l);
    if (F->curve < 0) { /* cap: inside the profile or on its boundary */
        if (g2_region_inside(&p->rg, l[0], l[1])) return 1;
        double t;
        for (int k = 0; k < p->nc; k++)
            if (g2_closest(&p->c[k], l, &t) <= eps) return 1;
        return 0;
    }
    const g2_curve *g = &p->c[F->curve];
    double ex = g->p1[0] - g->p0[0], ey = g->p1[1] - g->p0[1], e2 = ex * ex + ey * ey;
    double t = ((l[0] - g->p0[0]) * ex + (l[1] - g->p0[1]) * ey) / e2, m = eps / sqrt(e2);
    return t >= -m && t <= 1 + m && l[2] >= p->w0 - eps && l[2] <= p->w1 + eps;
}

/* points where the 3-D line P0 + s u meets arc wall f (within its sweep and slab) */
static int sd_line_cyl(const sd_solid *s, const sd_cface *f, const double P0[3], const double u[3], double out[2][3]) {
    const sd_prism *p = &s->pr[f->prism];
    const g2_curve *g = &p->c[f->curve];
    double l0[3], lu[3] = {sd_dot(u, p->X), sd_dot(u, p->Y), sd_dot(u, p->N)};
    sd_to_local(p, P0, l0);
    double fx = l0[0] - g->c[0], fy = l0[1] - g->c[1];
    double A = lu[0] * lu[0] + lu[1] * lu[1], B = 2 * (lu[0] * fx + lu[1] * fy), C = fx * fx + fy * fy - g->r * g->r;
    double disc = B * B - 4 * A * C;
    if (!(A > 1e-24) || disc < 0) return 0;
    int n = 0;
    for (int k = -1; k <= 1; k += 2) {
        double sp = (-B + k * sqrt(disc)) / (2 * A), t;
        double x = fx + sp * lu[0], y = fy + sp * lu[1], w = l0[2] + sp * lu[2];
        if (w < p->w0 || w > p->w1 || !g2_arc_param(g, atan2(y, x), TOL_FINE, &t)) continue;
        for (int i = 0; i < 3; i++) out[n][i] = P0[i] + sp * u[i];
        n++;
    }
    return n;
}

static void sd_cross3(const double a[3], const double b[3], double c[3]) {
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}

/* the line where planes (q1, n1) and (q2, n2) meet: point P0 and unit direction u; 0 if parallel */
static int sd_plane_plane(const double q1[3], const double n1[3], const double q2[3], const double n2[3], double P0[3],
                          double u[3]) {
    sd_cross3(n1, n2, u);
    double l = sqrt(sd_dot(u, u));
    if (l < TOL_DIR) return 0;
    for (int i = 0; i < 3; i++) u[i] /= l;
    /* P0 = a n1 + b n2 with n1.P0 = n1.q1, n2.P0 = n2.q2 */
    double d1 = sd_dot(n1, q1), d2 = sd_dot(n2, q2), c = sd_dot(n1, n2), den = 1 - c * c;
    double a = (d1 - c * d2) / den, b = (d2 - c * d1) / den;
    for (int i = 0; i < 3; i++) P0[i] = a * n1[i] + b * n2[i];
    return 1;
}

/* inside sweep plane c: where faces of two different prisms cross (plane-plane and
   plane-cylinder), as positions along c->a */
static void sd_arr_plane_breaks(const sd_solid *s, const sd_arr *A, const sd_cut *c, sd_vals *b) {
    for (int i = 0; i < A->npf && !bg_charge(1); i++) {
        const sd_pface *F = &A->pf[i];
        double P0[3], u[3], Q[2][3];
        if (!sd_plane_plane(F->q, F->n, c->o, c->n, P0, u)) continue;
        if (!sd_line_box(s->pr[F->prism].lo, s->pr[F->prism].hi, P0, u)) continue;
        for (int k = i + 1; k < A->npf && !bg_charge(1); k++) { /* the trace of F in the plane meets face G */
            const sd_pface *G = &A->pf[k];
            if (G->prism == F->prism) continue;
            double un = sd_dot(u, G->n);
            if (fabs(un) < TOL_DIR) continue;
            double r[3] = {G->q[0] - P0[0], G->q[1] - P0[1], G->q[2] - P0[2]}, sp = sd_dot(r, G->n) / un, q[3];
            for (int m = 0; m < 3; m++) q[m] = P0[m] + sp * u[m];
            if (sd_on_pface(s, F, q) && sd_on_pface(s, G, q)) sd_cut_put(c, q, b);
        }
        b->tag = 1;
        for (int k = 0; k < A->ncf; k++) {
            if (A->cf[k].prism == F->prism) continue;
            int n = sd_line_cyl(s, &A->cf[k], P0, u, Q);
            for (int m = 0; m < n; m++)
                if (sd_on_pface(s, F, Q[m])) sd_cut_put(c, Q[m], b);
        }
        b->tag = 0;
    }
}

/* the ray c->o + y c->a + t c->d against the full cylinder of arc wall f: coefficients of
   A t^2 + B(y) t + C(y) = 0 with B = b0 + b1 y, C = c0 + c1 y + c2 y^2 */
typedef struct {
    double A, b0, b1, c0, c1, c2;
    double ylo, yhi; /* where the ray meets the cylinder (discriminant >= 0), within the cut */
} sd_rcyl;

static int sd_rcyl_make(const sd_solid *s, const sd_cface *f, const sd_cut *c, double ylo, double yhi, sd_rcyl *r) {
    const sd_prism *p = &s->pr[f->prism];
    const g2_curve *g = &p->c[f->curve];
    double l0[3], la[2] = {sd_dot(c->a, p->X), sd_dot(c->a, p->Y)}, ld[2] = {sd_dot(c->d, p->X), sd_dot(c->d, p->Y)};
    sd_to_local(p, c->o, l0);
    double fx = l0[0] - g->c[0], fy = l0[1] - g->c[1];
    r->A = ld[0] * ld[0] + ld[1] * ld[1];
    if (r->A < 1e-20) return 0; /* rays along the axis never cross the wall */
    r->b0 = 2 * (ld[0] * fx + ld[1] * fy), r->b1 = 2 * (ld[0] * la[0] + ld[1] * la[1]);
    r->c0 = fx * fx + fy * fy - g->r * g->r, r->c1 = 2 * (fx * la[0] + fy * la[1]), r->c2 = la[0] * la[0] + la[1] * la[1];
    /* discriminant (b0 + b1 y)^2 - 4 A (c0 + c1 y + c2 y^2) >= 0: a quadratic in y */
    double qa = r->b1 * r->b1 - 4 * r->A * r->c2, qb = 2 * r->b0 * r->b1 - 4 * r->A * r->c1, qc = r->b0 * r->b0 - 4 * r->A * r->c0;
    if (fabs(qa) < 1e-300) return 0;
    double disc = qb * qb - 4 * qa * qc;
    if (disc <= 0) return 0;
    double y1 = (-qb - sqrt(disc)) / (2 * qa), y2 = (-qb + sqrt(disc)) / (2 * qa);
    r->ylo = fmax(fmin(y1, y2), ylo), r->yhi = fmin(fmax(y1, y2), yhi);
    return r->yhi > r->ylo;
}

static double sd_rcyl_t(const sd_rcyl *r, double y, int branch) {
    double B = r->b0 + r->b1 * y, C = r->c0 + r->c1 * y + r->c2 * y * y, D = B * B - 4 * r->A * C;
    return (-B + branch * sqrt(D > 0 ? D : 0)) / (2 * r->A);
}

/* inside sweep plane c: where the rays' crossings with two cylinders of different prisms
   coincide (sign changes of their difference, refined by bisection) */
static void sd_arr_cyl_breaks(const sd_solid *s, const sd_arr *A, const sd_cut *c, double ylo, double yhi, sd_vals *b) {
    enum { NS = 16 };
    sd_rcyl *rc = ut_malloc((size_t)(A->ncf ? A->ncf : 1) * sizeof *rc);
    int *ok = ut_malloc((size_t)(A->ncf ? A->ncf : 1) * sizeof *ok);
    for (int k = 0; k < A->ncf; k++) ok[k] = sd_rcyl_make(s, &A->cf[k], c, ylo, yhi, &rc[k]);
    for (int i = 0; i < A->ncf; i++)
        for (int k = i + 1; k < A->ncf && !bg_charge(1); k++) {
            if (!ok[i] || !ok[k] || A->cf[i].prism == A->cf[k].prism) continue;
            double a = fmax(rc[i].ylo, rc[k].ylo), e = fmin(rc[i].yhi, rc[k].yhi);
            if (!(e > a)) continue;
            for (int bi = -1; bi <= 1; bi += 2)
                for (int bk = -1; bk <= 1; bk += 2) {
                    double y0 = a, h0 = sd_rcyl_t(&rc[i], a, bi) - sd_rcyl_t(&rc[k], a, bk);
                    for (int m = 1; m <= NS; m++) {
                        double y1 = a + (e - a) * m / NS, h1 = sd_rcyl_t(&rc[i], y1, bi) - sd_rcyl_t(&rc[k], y1, bk);
                        if ((h0 < 0) != (h1 < 0)) {
                            double lo = y0, hi = y1, hlo = h0;
                            for (int it = 0; it < 60 && hi - lo > 1e-14 * s->size; it++) {
                                double mid = 0.5 * (lo + hi), hm = sd_rcyl_t(&rc[i], mid, bi) - sd_rcyl_t(&rc[k], mid, bk);
                                if ((hm < 0) == (hlo < 0)) lo = mid, hlo = hm;
                                else hi = mid;
                            }
                            double y = 0.5 * (lo + hi), t = sd_rcyl_t(&rc[i], y, bi), q[3];
                            for (int z = 0; z < 3; z++) q[z] = c->o[z] + y * c->a[z] + t * c->d[z];
                            b->tag = 1;
                            if (sd_in_box(s, A->cf[i].prism, q) && sd_in_box(s, A->cf[k].prism, q)) sd_vals_put(b, y);
                            b->tag = 0;
                        }
                        y0 = y1, h0 = h1;
                    }
                }
        }
    free(rc), free(ok);
}

/* along the sweep axis a (from o): vertices of the arrangement and plane-cylinder tangencies */
static void sd_arr_sweep_breaks(const sd_solid *s, const sd_arr *A, const double o[3], const double a[3], sd_vals *b) {
    sd_cut c;
    memcpy(c.o, o, sizeof c.o);
    memcpy(c.a, a, sizeof c.a);
    double Q[2][3];
    for (int e = 0; e < A->nse && !bg_charge(A->npf + A->ncf); e++) { /* straight edges piercing faces of other prisms */
        const sd_sedge *E = &A->se[e];
        double u[3] = {E->B[0] - E->A[0], E->B[1] - E->A[1], E->B[2] - E->A[2]};
        for (int i = 0; i < A->npf; i++) {
            const sd_pface *F = &A->pf[i];
            if (F->prism == E->prism) continue;
            double un = sd_dot(u, F->n);
            if (fabs(un) < 1e-15) continue;
            double r[3] = {F->q[0] - E->A[0], F->q[1] - E->A[1], F->q[2] - E->A[2]}, t = sd_dot(r, F->n) / un, q[3];
            if (t < 0 || t > 1) continue;
            for (int m = 0; m < 3; m++) q[m] = E->A[m] + t * u[m];
            if (sd_on_pface(s, F, q)) sd_cut_put(&c, q, b);
        }
        b->tag = 1;
        for (int k = 0; k < A->ncf; k++) {
            if (A->cf[k].prism == E->prism) continue;
            int n = sd_line_cyl(s, &A->cf[k], E->A, u, Q);
            for (int m = 0; m < n; m++) {
                double r[3] = {Q[m][0] - E->A[0], Q[m][1] - E->A[1], Q[m][2] - E->A[2]}, t = sd_dot(r, u) / sd_dot(u, u);
                if (t >= 0 && t <= 1) sd_cut_put(&c, Q[m], b);
            }
        }
        b->tag = 0;
    }
    for (int j = 0; j < s->npr; j++) { /* arc edges piercing planar faces of other prisms */
        const sd_prism *p = &s->pr[j];
        for (int k = 0; k < p->nc && !bg_charge(A->npf); k++) {
            if (p->c[k].kind != G2_ARC) continue;
            for (int i = 0; i < A->npf; i++) {
                const sd_pface *F = &A->pf[i];
                if (F->prism == j) continue;
                sd_cut pc = c; /* the face plane, values along a */
                memcpy(pc.o, F->q, sizeof pc.o);
                memcpy(pc.n, F->n, sizeof pc.n);
                pc.tol = 0;
                sd_vals tmp = {0};
                for (int e = 0; e < 2; e++) sd_arc_plane(&pc, p, &p->c[k], e ? p->w1 : p->w0, &tmp);
                double off = sd_dot(F->q, a) - sd_dot(o, a);
                b->tag = 1;
                for (int m = 0; m < tmp.n; m++) sd_vals_put(b, tmp.v[m] + off);
                b->tag = 0;
                sd_vals_free(&tmp);
            }
        }
    }
    for (int i = 0; i < A->npf; i++) /* three planes of three prisms */
        for (int k = i + 1; k < A->npf && !bg_charge(1); k++) {
            const sd_pface *F = &A->pf[i], *G = &A->pf[k];
            double P0[3], u[3];
            if (F->prism == G->prism || !sd_plane_plane(F->q, F->n, G->q, G->n, P0, u)) continue;
            if (!sd_line_box(s->pr[F->prism].lo, s->pr[F->prism].hi, P0, u)) continue;
            for (int m = k + 1; m < A->npf && !bg_charge(1); m++) {
                const sd_pface *H = &A->pf[m];
                if (H->prism == F->prism || H->prism == G->prism) continue;
                double un = sd_dot(u, H->n);
                if (fabs(un) < TOL_DIR) continue;
                double r[3] = {H->q[0] - P0[0], H->q[1] - P0[1], H->q[2] - P0[2]}, sp = sd_dot(r, H->n) / un, q[3];
                for (int t = 0; t < 3; t++) q[t] = P0[t] + sp * u[t];
                if (sd_on_pface(s, F, q) && sd_on_pface(s, G, q) && sd_on_pface(s, H, q)) sd_cut_put(&c, q, b);
            }
        }
    for (int i = 0; i < A->npf && !bg_charge(A->ncf); i++) /* extremes along a of plane-cylinder ellipses */
        for (int k = 0; k < A->ncf; k++) {
            const sd_pface *F = &A->pf[i];
            const sd_cface *C = &A->cf[k];
            if (C->prism == F->prism) continue;
            const sd_prism *p = &s->pr[C->prism];
            const g2_curve *g = &p->c[C->curve];
            double nn = sd_dot(p->N, F->n);
            if (fabs(nn) < TOL_DIR) continue;
            double al = sd_dot(p->X, a) - sd_dot(p->X, F->n) * sd_dot(p->N, a) / nn;
            double be = sd_dot(p->Y, a) - sd_dot(p->Y, F->n) * sd_dot(p->N, a) / nn;
            double phi = atan2(be, al), cc[3];
            sd_to_world(p, g->c[0], g->c[1], 0, cc);
            for (int m = 0; m < 2; m++) {
                double th = phi + m * G2_PI, t, q[3], r[3];
                if (!g2_arc_param(g, th, 0, &t)) continue;
                sd_arc_point(p, g, th, 0, q);
                for (int z = 0; z < 3; z++) r[z] = F->q[z] - q[z];
                double w = sd_dot(r, F->n) / nn; /* along N to the plane */
                if (w < p->w0 || w > p->w1) continue;
                for (int z = 0; z < 3; z++) q[z] += w * p->N[z];
                b->tag = 1; /* extreme of a plane-cylinder ellipse */
                if (sd_on_pface(s, F, q)) sd_cut_put(&c, q, b);
                b->tag = 0;
            }
        }
}

/* integral over [a, b] with x = a + (b - a)(1 - cos u)/2, u in [0, pi]: square-root behaviour
   at the ends becomes smooth */
typedef struct {
    sd_qfn fn;
    void *ctx;
    int D;
    double a, b;
} sd_cosq;

static void sd_cosq_fn(void *ctx, double u, double *f) {
    sd_cosq *q = ctx;
    double h = 0.5 * (q->b - q->a);
    q->fn(q->ctx, q->a + h * (1 - cos(u)), f);
    double jac = h * sin(u);
    for (int i = 0; i < q->D; i++) f[i] *= jac;
}

/* sum over the pieces between consecutive breakpoints. A piece first gets one 7-point
   Gauss-Kronrod step (exact for the polynomial pieces of planar geometry); if its error is too
   large, or an end is a tangency, it is integrated adaptively with the 15-point rule after the
   cosine substitution */
static void sd_pieces_integrate(sd_qfn fn, void *ctx, int D, const sd_vals *br, double rel, double abs_tol, double *out) {
    for (int q = 0; q < D; q++) out[q] = 0;
    double span = br->n > 1 ? br->v[br->n - 1] - br->v[0] : 0;
    for (int i = 0; i + 1 < br->n && !bg_charge(1); i++) { /* over budget: the sum is void */
        double f[SD_QD], share = span > 0 ? (br->v[i + 1] - br->v[i]) / span : 1;
        int done = 0;
        if (!br->f[i] && !br->f[i + 1]) {
            double err = sd_gk(fn, ctx, D, br->v[i], br->v[i + 1], 7, f);
            done = err <= fmax(rel * fabs(f[0]), abs_tol * share);
        }
        if (!done) {
            sd_cosq cq = {fn, ctx, D, br->v[i], br->v[i + 1]};
            sd_adapt(sd_cosq_fn, &cq, D, 0, G2_PI, rel, abs_tol * share, 64, 15, f);
        }
        for (int q = 0; q < D; q++) out[q] += f[q];
    }
}

/* ---------------------------------------------------------------- volume moments by quadrature */

typedef struct {
    const sd_solid *s;
    sd_ws *ws;
    double x;           /* current outer coordinate (along X of prism 0) */
    double ylo, yhi;    /* inner range */
    double rel, abs_in; /* inner tolerances */
    sd_vals br;         /* inner breakpoints (scratch) */
    const sd_arr *arr;  /* faces and edges of all prisms */
} sd_vq;

/* along the line through (x, y) in prism 0's frame, parallel to its N: exact moments */
static void sd_vq_inner(void *ctx, double y, double *f) {
    sd_vq *q = ctx;
    const sd_prism *p0 = &q->s->pr[0];
    double o[3];
    sd_to_world(p0, q->x, y, 0, o);
    q->ws->used = 0;
    sd_iv *iv = sd_ws_block(q->ws);
    int n = sd_ray_node(q->s, q->s->root, o, p0->N, q->ws, iv);
    double L = 0, Z1 = 0, Z2 = 0;
    for (int i = 0; i < n; i++) {
        double a = iv[i].t0, b = iv[i].t1;
        L += b - a, Z1 += 0.5 * (b * b - a * a), Z2 += (b * b * b - a * a * a) / 3;
    }
    double x = q->x;
    f[0] = L, f[1] = x * L, f[2] = y * L, f[3] = Z1;
    f[4] = x * x * L, f[5] = y * y * L, f[6] = Z2;
    f[7] = x * y * L, f[8] = x * Z1, f[9] = y * Z1;
}

/* the plane x = const of prism 0's frame, integrated over y between its breakpoints */
static void sd_vq_outer(void *ctx, double x, double *f) {
    sd_vq *q = ctx;
    const sd_prism *p0 = &q->s->pr[0];
    sd_cut c;
    sd_to_world(p0, x, 0, 0, c.o);
    memcpy(c.n, p0->X, sizeof c.n);
    memcpy(c.a, p0->Y, sizeof c.a);
    memcpy(c.d, p0->N, sizeof c.d);
    c.tol = tol_fine(q->s->size);
    q->x = x;
    q->br.n = 0;
    sd_plane_breaks(q->s, &c, &q->br);
    sd_arr_plane_breaks(q->s, q->arr, &c, &q->br);
    sd_arr_cyl_breaks(q->s, q->arr, &c, q->ylo, q->yhi, &q->br);
    sd_vals_finish(&q->br, q->ylo, q->yhi, 1e-13 * q->s->size);
    sd_vals br = q->br; /* the inner integration reuses nothing of q->br */
    memset(&q->br, 0, sizeof q->br);
    sd_pieces_integrate(sd_vq_inner, q, SD_QD, &br, q->rel, q->abs_in, f);
    q->br = br;
}

/* box of the solid's node box in prism 0's frame */
static void sd_local_box(const sd_solid *s, double lo[3], double hi[3]) {
    const sd_node *r = &s->nd[s->root];
    sd_box_empty(lo, hi);
    for (int c = 0; c < 8; c++) {
        double p[3] = {c & 1 ? r->hi[0] : r->lo[0], c & 2 ? r->hi[1] : r->lo[1], c & 4 ? r->hi[2] : r->lo[2]}, l[3];
        sd_to_local(&s->pr[0], p, l);
        sd_box_add(lo, hi, l);
    }
}

/* volume, first and second moments in prism 0's frame by nested quadrature */
void sd_quad_volume(const sd_solid *s, double *V, double F[3], double M[9]) {
    double lo[3], hi[3], f[SD_QD];
    const sd_prism *p0 = &s->pr[0];
    sd_local_box(s, lo, hi);
    sd_vq q;
    memset(&q, 0, sizeof q);
    q.s = s, q.ws = sd_ws_reserve(s), q.ylo = lo[1], q.yhi = hi[1], q.rel = 1e-8;
    double vbox = (hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]);
    q.abs_in = 1e-10 * vbox / (hi[0] - lo[0]);
    sd_vals br = {0};
    sd_arr arr;
    sd_arr_build(s, p0->N, &arr);
    q.arr = &arr;
    sd_sweep_breaks(s, p0->o, p0->X, p0->N, &br);
    sd_arr_sweep_breaks(s, &arr, p0->o, p0->X, &br);
    sd_vals_finish(&br, lo[0], hi[0], 1e-13 * s->size);
    sd_pieces_integrate(sd_vq_outer, &q, SD_QD, &br, 1e-8, 1e-10 * vbox, f);
    sd_vals_free(&br);
    sd_vals_free(&q.br);
    sd_arr_free(&arr);
    *V = f[0];
    F[0] = f[1], F[1] = f[2], F[2] = f[3];
    M[0] = f[4], M[4] = f[5], M[8] = f[6];
    M[1] = M[3] = f[7], M[2] = M[6] = f[8], M[5] = M[7] = f[9];
}

/* ---------------------------------------------------------------- area by quadrature */

/* inside intervals of the 2-D line o + t d (d != 0) in the profile of p (normals unset) */
static int sd_profile_line(const sd_prism *p, const double o[2], const double d[2], sd_ws *ws, sd_iv *out) {
    int nc = sd_line_crossings(p, o, d, ws->cr), n = 0;
    for (int i = 0; i + 1 < nc; i++) {
        double a = ws->cr[i].t, b = ws->cr[i + 1].t, tm = 0.5 * (a + b);
        if (!(b > a) || !g2_region_inside(&p->rg, o[0] + tm * d[0], o[1] + tm * d[1])) continue;
        if (n > 0 && out[n - 1].t1 == a) out[n - 1].t1 = b;
        else if (n < SD_MAXIV) out[n].t0 = a, out[n].t1 = b, n++;
    }
    return n;
}

/* removes from K (n intervals) the part of the line o + t d (d unit) that lies on a face of
   prism j (coplanar faces only: elsewhere the line meets j's surface in isolated points) */
static int sd_claims_cut(const sd_solid *s, int j, const double o[3], const double d[3], sd_ws *ws, sd_iv *K, int n) {
    const sd_prism *p = &s->pr[j];
    double tol = tol_len(s->size), ol[3], dl[3];
    sd_to_local(p, o, ol);
    dl[0] = sd_dot(d, p->X), dl[1] = sd_dot(d, p->Y), dl[2] = sd_dot(d, p->N);
    double d2n = hypot(dl[0], dl[1]);
    sd_iv *C = sd_ws_block(ws), *R = sd_ws_block(ws);
    int nc = 0;
    if (fabs(dl[2]) <= TOL_DIR && (fabs(ol[2] - p->w0) <= tol || fabs(ol[2] - p->w1) <= tol)) /* in a cap plane */
        nc = sd_profile_line(p, ol, dl, ws, C);
    if (d2n <= TOL_DIR) { /* parallel to N: on a wall if its trace lies on a profile curve */
        double t;
        for (int k = 0; k < p->nc && nc == 0; k++)
            if (g2_closest(&p->c[k], ol, &t) <= tol) {
                double a = (p->w0 - ol[2]) / dl[2], b = (p->w1 - ol[2]) / dl[2];
                C[0].t0 = fmin(a, b), C[0].t1 = fmax(a, b), nc = 1;
            }
    } else if (nc == 0) { /* in the plane of a straight wall? */
        for (int k = 0; k < p->nc && nc < SD_MAXIV; k++) {
            const g2_curve *c = &p->c[k];
            if (c->kind != G2_SEG) continue;
            double ex = c->p1[0] - c->p0[0], ey = c->p1[1] - c->p0[1], el = hypot(ex, ey);
            double h0 = ((ol[0] - c->p0[0]) * ey - (ol[1] - c->p0[1]) * ex) / el;
            double h1 = h0 + (dl[0] * ey - dl[1] * ex) / el * s->size;
            if (fabs(h0) > tol || fabs(h1) > tol) continue;
            double sa = ((ol[0] - c->p0[0]) * ex + (ol[1] - c->p0[1]) * ey) / (el * el);
            double sd = (dl[0] * ex + dl[1] * ey) / (el * el);
            double lo = -INFINITY, hi = INFINITY;
            if (sd != 0) lo = fmin(-sa / sd, (1 - sa) / sd), hi = fmax(-sa / sd, (1 - sa) / sd);
            else if (sa < 0 || sa > 1) continue;
            if (dl[2] != 0) {
                double a = (p->w0 - ol[2]) / dl[2], b = (p->w1 - ol[2]) / dl[2];
                lo = fmax(lo, fmin(a, b)), hi = fmin(hi, fmax(a, b));
            } else if (ol[2] < p->w0 || ol[2] > p->w1) continue;
            if (hi > lo) C[nc].t0 = lo, C[nc].t1 = hi, nc++;
        }
    }
    if (nc > 0) {
        n = sd_iv_bool(K, n, C, nc, CAD_CUT, R);
        memcpy(K, R, (size_t)n * sizeof *K);
    }
    ws->used -= 2;
    return n;
}

/* length of the part of the line o + t d, t in J[0..nj), that is on the solid's boundary and
   not claimed by a prism below i; the face normal is nf (the line lies in the face) */
static double sd_face_line(const sd_solid *s, int i, const double o[3], const double d[3], const double nf[3],
                           sd_iv *J, int nj, sd_ws *ws) {
    /* the offset biases lengths near tangencies by O(del): keep it small, yet far above rounding */
    double del = tol_fine(s->scale), op[3], om[3];
    for (int k = 0; k < 3; k++) op[k] = o[k] + del * nf[k], om[k] = o[k] - del * nf[k];
    int mark = ws->used;
    sd_iv *P = sd_ws_block(ws), *Q = sd_ws_block(ws), *X = sd_ws_block(ws), *K = sd_ws_block(ws);
    int np = sd_ray_node(s, s->root, op, d, ws, P), nq = sd_ray_node(s, s->root, om, d, ws, Q);
    int nx = sd_iv_bool(P, np, Q, nq, SD_XOR, X);
    int nk = sd_iv_bool(J, nj, X, nx, CAD_INTERSECT, K);
    for (int j = 0; j < i && nk > 0; j++)
        if (sd_line_box(s->pr[j].lo, s->pr[j].hi, o, d)) nk = sd_claims_cut(s, j, o, d, ws, K, nk);
    double len = 0;
    for (int k = 0; k < nk; k++) len += K[k].t1 - K[k].t0;
    ws->used = mark;
    return len;
}

typedef struct {
    const sd_solid *s;
    sd_ws *ws;
    int prism, curve; /* curve < 0: cap at w = (curve == -1 ? w0 : w1) */
} sd_aq;

static void sd_aq_cap(void *ctx, double v, double *f) {
    sd_aq *q = ctx;
    const sd_prism *p = &q->s->pr[q->prism];
    double w = q->curve == -1 ? p->w0 : p->w1, o[3], nf[3], o2[2] = {0, v}, d2[2] = {1, 0};
    q->ws->used = 0;
    sd_iv *J = sd_ws_block(q->ws);
    int nj = sd_profile_line(p, o2, d2, q->ws, J);
    sd_to_world(p, 0, v, w, o);
    for (int k = 0; k < 3; k++) nf[k] = p->N[k];
    f[0] = nj ? sd_face_line(q->s, q->prism, o, p->X, nf, J, nj, q->ws) : 0;
}

static void sd_aq_wall(void *ctx, double t, double *f) {
    sd_aq *q = ctx;
    const sd_prism *p = &q->s->pr[q->prism];
    const g2_curve *c = &p->c[q->curve];
    double p2[2], d2[2], o[3], nf[3];
    g2_eval(c, t, p2);
    g2_deriv(c, t, d2);
    double sp = hypot(d2[0], d2[1]);
    sd_to_world(p, p2[0], p2[1], 0, o);
    for (int k = 0; k < 3; k++) nf[k] = (-d2[1] * p->X[k] + d2[0] * p->Y[k]) / sp;
    q->ws->used = 0;
    sd_iv *J = sd_ws_block(q->ws);
    J[0].t0 = p->w0, J[0].t1 = p->w1;
    f[0] = sp * sd_face_line(q->s, q->prism, o, p->N, nf, J, 1, q->ws);
}

/* 2-D segment (projection along N of prism p of the 3-D segment A-B) against arc g of p */
static void sd_proj_seg_arc(const sd_prism *p, const g2_curve *g, const double A[3], const double B[3], double tol,
                            sd_vals *b) {
    double la[3], lb[3];
    sd_to_local(p, A, la);
    sd_to_local(p, B, lb);
    if (hypot(lb[0] - la[0], lb[1] - la[1]) <= tol) return; /* along N: no crossing in 2-D */
    g2_curve sg;
    g2_seg(&sg, la[0], la[1], lb[0], lb[1]);
    g2_isect is[4];
    int n = g2_intersect(g, &sg, tol, is, 4);
    for (int k = 0; k < n; k++) sd_vals_put(b, is[k].ta);
}

/* parameters on the arc wall (curve k of prism i) where its rulings change combinatorics */
static void sd_arc_wall_breaks(const sd_solid *s, int i, int k, sd_vals *b) {
    const sd_prism *p = &s->pr[i];
    const g2_curve *g = &p->c[k];
    double tol = tol_fine(s->size);
    for (int j = 0; j < s->npr; j++) {
        if (j == i) continue;
        const sd_prism *q = &s->pr[j];
        for (int m = 0; m < q->nc; m++) {
            const g2_curve *h = &q->c[m];
            double A[3], B[3], th[2];
            sd_to_world(q, h->p0[0], h->p0[1], q->w0, A);
            sd_to_world(q, h->p0[0], h->p0[1], q->w1, B);
            sd_proj_seg_arc(p, g, A, B, tol, b); /* vertical edge, or the wall trace if along N */
            if (h->kind == G2_SEG) {
                for (int e = 0; e < 2; e++) {
                    double w = e ? q->w1 : q->w0;
                    sd_to_world(q, h->p0[0], h->p0[1], w, A);
                    sd_to_world(q, h->p1[0], h->p1[1], w, B);
                    sd_proj_seg_arc(p, g, A, B, tol, b);
                }
            } else if (fabs(sd_dot(q->N, p->N)) >= 1 - TOL_DIR) { /* same direction: the arc itself */
                /* map h into p's frame and intersect exactly */
                double d[3] = {q->o[0] - p->o[0], q->o[1] - p->o[1], q->o[2] - p->o[2]};
                double M[4] = {sd_dot(q->X, p->X), sd_dot(q->Y, p->X), sd_dot(q->X, p->Y), sd_dot(q->Y, p->Y)};
                double t[2] = {sd_dot(d, p->X), sd_dot(d, p->Y)};
                g2_curve hm = *h;
                g2_map(&hm, M, t);
                g2_isect is[4];
                int n = g2_intersect(g, &hm, tol, is, 4);
                for (int e = 0; e < n; e++) sd_vals_put(b, is[e].ta);
            } else {
                int ns = sd_silhouette(q, p->N, th);
                for (int e = 0; e < ns; e++) {
                    double tt;
                    if (!g2_arc_param(h, th[e], 0, &tt)) continue;
                    sd_arc_point(q, h, th[e], q->w0, A);
                    sd_arc_point(q, h, th[e], q->w1, B);
                    sd_proj_seg_arc(p, g, A, B, tol, b);
                }
            }
        }
    }
}

/* boundary area of one face of prism i (curve < 0: caps) by quadrature between breakpoints */
static double sd_face_area(const sd_solid *s, int i, int curve, sd_aq *q) {
    const sd_prism *p = &s->pr[i];
    sd_vals br = {0};
    double f[SD_QD], tol = 1e-13 * s->size * s->size, lo = 0, hi = 1;
    q->prism = i, q->curve = curve;
    sd_cut c;
    c.tol = tol_fine(s->size);
    if (curve < 0) {
        sd_to_world(p, 0, 0, curve == -1 ? p->w0 : p->w1, c.o);
        memcpy(c.n, p->N, sizeof c.n);
        memcpy(c.a, p->Y, sizeof c.a);
        memcpy(c.d, p->X, sizeof c.d);
        sd_plane_breaks(s, &c, &br);
        lo = p->rg.lo[1], hi = p->rg.hi[1];
    } else if (p->c[curve].kind == G2_SEG) {
        const g2_curve *g = &p->c[curve];
        double el = g2_length(g);
        sd_to_world(p, g->p0[0], g->p0[1], 0, c.o);
        sd_wall_normal(p, g, c.n);
        for (int k = 0; k < 3; k++) c.a[k] = ((g->p1[0] - g->p0[0]) * p->X[k] + (g->p1[1] - g->p0[1]) * p->Y[k]) / el;
        memcpy(c.d, p->N, sizeof c.d);
        sd_plane_breaks(s, &c, &br);
        for (int k = 0; k < br.n; k++) br.v[k] /= el;
    } else {
        br.tag = 1; /* along an arc: curved throughout */
        sd_arc_wall_breaks(s, i, curve, &br);
    }
    sd_vals_finish(&br, lo, hi, 1e-13 * (curve < 0 ? s->size : 1));
    sd_pieces_integrate(curve < 0 ? sd_aq_cap : sd_aq_wall, q, 1, &br, 1e-10, tol, f);
    sd_vals_free(&br);
    return f[0];
}

/* surface area as the sum over all prism faces of their boundary part */
double sd_quad_area(const sd_solid *s) {
    sd_aq q = {s, sd_ws_reserve(s), 0, 0};
    double area = 0;
    for (int i = 0; i < s->npr; i++)
        for (int e = -2; e < s->pr[i].nc && !bg_charge(1); e++) area += sd_face_area(s, i, e, &q);
    return area;
}

/* does the plane {p : p.e = x} cut the solid's interior? Rays along d at the midpoints of the
   plane's own breakpoint pieces decide (the lines are smooth families in between); crossings of
   two cylinders are not breakpoints, so a piece whose midpoint misses is probed at seven more
   points (a sliver between two curved walls can sit in a piece without covering its middle) */
static int sd_plane_occupied(const sd_solid *s, const sd_arr *A, const double e[3], const double d[3],
                             const double a[3], double x, double ylo, double yhi, sd_ws *ws) {
    sd_cut c;
    for (int i = 0; i < 3; i++) c.o[i] = x * e[i], c.n[i] = e[i], c.a[i] = a[i], c.d[i] = d[i];
    c.tol = tol_fine(s->size);
    sd_vals br = {0};
    sd_plane_breaks(s, &c, &br);
    sd_arr_plane_breaks(s, A, &c, &br);
    sd_arr_cyl_breaks(s, A, &c, ylo, yhi, &br);
    sd_vals_finish(&br, ylo, yhi, 1e-13 * s->size);
    int hit = 0;
    static const double at[8] = {0.5, 0.125, 0.875, 0.25, 0.75, 0.375, 0.625, 0.0625};
    for (int k = 0; k + 1 < br.n && !hit && !bg_charge(1); k++)
        for (int j = 0; j < 8 && !hit; j++) {
            double y = br.v[k] + at[j] * (br.v[k + 1] - br.v[k]), o[3];
            for (int i = 0; i < 3; i++) o[i] = c.o[i] + y * a[i];
            ws->used = 0;
            sd_iv *iv = sd_ws_block(ws);
            int n = sd_ray_node(s, s->root, o, d, ws, iv);
            for (int i = 0; i < n && !hit; i++) hit = iv[i].t1 > iv[i].t0;
        }
    sd_vals_free(&br);
    return hit;
}

/* exact box of a solid of several directions: along each axis the extremes sit at sweep
   breakpoints (vertices, tangencies, ...), so the first and last occupied pieces bound it */
void sd_quad_box(const sd_solid *s, double lo[3], double hi[3]) {
    const sd_node *r = &s->nd[s->root];
    sd_ws *ws = sd_ws_reserve(s);
    int found = 0, miss[3] = {0, 0, 0};
    for (int ax = 0; ax < 3; ax++) {
        double e[3] = {0, 0, 0}, d[3] = {0, 0, 0}, a[3] = {0, 0, 0}, o[3] = {0, 0, 0};
        int ia = (ax + 1) % 3, id = (ax + 2) % 3;
        e[ax] = 1, a[ia] = 1, d[id] = 1;
        lo[ax] = r->lo[ax], hi[ax] = r->hi[ax];
        if (!(r->hi[ax] > r->lo[ax]) || !(r->hi[ia] > r->lo[ia])) continue;
        sd_arr A;
        sd_arr_build(s, d, &A);
        sd_vals br = {0};
        sd_sweep_breaks(s, o, e, d, &br);
        sd_arr_sweep_breaks(s, &A, o, e, &br);
        sd_vals_finish(&br, r->lo[ax], r->hi[ax], 1e-13 * s->size);
        int first = -1, last = -1;
        for (int k = 0; k + 1 < br.n && first < 0 && !bg_charge(1); k++)
            if (sd_plane_occupied(s, &A, e, d, a, 0.5 * (br.v[k] + br.v[k + 1]), r->lo[ia], r->hi[ia], ws)) first = k;
        for (int k = br.n - 2; k >= 0 && last < 0 && first >= 0 && !bg_charge(1); k--)
            if (sd_plane_occupied(s, &A, e, d, a, 0.5 * (br.v[k] + br.v[k + 1]), r->lo[ia], r->hi[ia], ws)) last = k;
        if (first >= 0) lo[ax] = br.v[first], hi[ax] = br.v[last + 1], found++;
        else miss[ax] = 1;
        sd_vals_free(&br);
        sd_arr_free(&A);
    }
    /* an axis whose probes all missed a solid that another axis found keeps the node box there
       (conservative); when every axis misses, the solid is empty */
    for (int ax = 0; ax < 3; ax++)
        if (miss[ax] && !found) lo[ax] = INFINITY, hi[ax] = -INFINITY;
}
