/* import_face.c - loops and faces for the importers: arcs from centre/reference/sweep, clean-up
 * of degenerate curves, chaining, outer-loop detection and orientation. The geometry itself
 * (chain order, areas, point in region) is geom's: geo2d.h on the curves as sketch.h converts
 * them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/tol.h"
#include "data/import_int.h"
#include "geom/geo2d.h"
#include "geom/sketch.h"

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
    if (fabs(sweep) >= G2_TWO_PI * (1 - TOL_FINE)) {
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

/* ---- curve ends ---- */

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

/* drops zero-length lines and turns arcs with collinear points into their chords; -1 if such an
 * arc folds back or nothing is left */
static int im_clean(im_ctx *x, im_loop *l, double size, const char *what) {
    double tol = tol_len(size);
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
    return n == 0 ? im_fail(x, "%s: empty loop", what) : 0;
}

/* puts the n >= 2 lines and arcs of l in chain order (g2_chain_order, reordering: the curve with
 * the end nearest to the previous end comes next) and returns the largest distance between an
 * end and the next start, the last end to the first start included */
static double im_order(im_loop *l) {
    int n = l->n, *order = ut_malloc(2 * (size_t)n * sizeof *order), *flipped = order + n;
    g2_curve *g = ut_malloc((size_t)n * sizeof *g);
    cad_curve *c = ut_malloc((size_t)n * sizeof *c);
    for (int i = 0; i < n; i++) sk_curve_to_g2_loose(&l->c[i], &g[i]); /* ends kept exactly */
    g2_chain_order(g, n, 1, order, flipped);
    double gap = 0;
    for (int i = 0; i < n; i++) {
        c[i] = l->c[order[i]];
        if (flipped[i]) im_flip(&c[i]);
        gap = fmax(gap, im_dist(g[i].p1, g[(i + 1) % n].p0));
    }
    memcpy(l->c, c, (size_t)n * sizeof *c);
    free(c), free(g), free(order);
    return gap;
}

/* cleans the loop (im_clean), orders its curves into a chain (each start on the previous end)
 * and snaps the tiny gaps; -1 if the loop does not close */
static int im_chain(im_ctx *x, im_loop *l, const char *what) {
    double size = im_loop_size(l);
    if (im_clean(x, l, size, what)) return -1;
    int n = l->n;
    if (n == 1) return l->c[0].kind == CAD_CIRCLE ? 0 : im_fail(x, "%s: a single %s does not close", what,
                                                                     l->c[0].kind == CAD_LINE ? "line" : "arc");
    for (int i = 0; i < n; i++)
        if (l->c[i].kind == CAD_CIRCLE) return im_fail(x, "%s: a circle inside a chain of curves", what);
    double gap = im_order(l);
    if (gap > 1e-4 * size) return im_fail(x, "%s is not closed (gap %.3g mm)", what, gap);
    /* close exactly: each start onto the previous end, the last end onto the first start */
    double s[2], e[2];
    for (int i = 1; i < n; i++) {
        im_ends(&l->c[i - 1], s, e);
        im_set_start(&l->c[i], e);
    }
    im_ends(&l->c[0], s, e);
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

/* the chained loop `outer` as a region for point-in-loop tests (even-odd rule, arcs exact) */
static void im_region(const im_loop *outer, g2_region *rg) {
    g2_curve *g = ut_malloc((size_t)outer->n * sizeof *g);
    for (int i = 0; i < outer->n; i++) sk_curve_to_g2_loose(&outer->c[i], &g[i]);
    g2_region_init(rg);
    g2_region_add(rg, g, outer->n);
    free(g);
}

/* 1 if the middle of the first curve of loop `hole` lies inside the outer loop's region */
static int im_inside(const g2_region *outer, const im_loop *hole) {
    g2_curve first;
    double p[2];
    sk_curve_to_g2_loose(&hole->c[0], &first);
    g2_eval(&first, 0.5, p);
    return g2_region_inside(outer, p[0], p[1]);
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
        sk_loop_moments(loops[i].c, loops[i].n, &area[i], &mx, &my);
        double size = im_loop_size(&loops[i]);
        if (!(fabs(area[i]) > tol_area(size))) {
            free(area);
            return im_fail(x, "%s has zero area", what);
        }
        if (fabs(area[i]) > fabs(area[outer])) outer = i;
    }
    g2_region rg;
    im_region(&loops[outer], &rg);
    for (int i = 0; i < nloops; i++) {
        if ((i == outer) != (area[i] > 0)) im_reverse(&loops[i]); /* outer CCW, holes CW */
        if (i != outer && !im_inside(&rg, &loops[i]))
            im_warn(x, "profile %s: loop %d lies outside the outer loop", profile, i + 1);
    }
    g2_region_free(&rg);
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
