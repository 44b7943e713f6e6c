/* validate.c - see validate.h.
 *
 * Order of the checks: references and numbers, curves, loops (closure, self-intersection, area),
 * faces (crossing loops, holes outside the outer loop or inside another hole), extrudes (extent),
 * then orientation, and last the emptiness of the final solid (built with the solid kernel).
 * Tolerances are relative to the model size S = the largest extent of all sketch coordinates:
 * closure gap 1e-6 S, intersection distance 1e-9 S.
 */
#include "geom/validate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geom/geo2d.h"
#include "geom/sketch.h"
#include "geom/solid.h"
#include "base/budget.h"
#include "base/tol.h"
#include "base/util.h"

/* "line N: " prefix, or nothing when the line is unknown */
#define VA_FAIL(line, ...) va_fail(line, ut_fail(__VA_ARGS__))
static int va_fail(int line, int rc) {
    if (line > 0) ut_fail("line %d: %s", line, ut_error());
    return rc;
}

/* largest coordinate extent over all curves (2-D sketch coordinates) and extents */
static double va_model_size(const cad_model *m) {
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY}, s = 0;
    for (int i = 0; i < m->ncurves; i++) {
        const cad_curve *c = &m->curves[i];
        if (c->kind == CAD_CIRCLE) {
            for (int k = 0; k < 2; k++) {
                lo[k] = fmin(lo[k], c->p[k] - fabs(c->p[2]));
                hi[k] = fmax(hi[k], c->p[k] + fabs(c->p[2]));
            }
            continue;
        }
        int np = c->kind == CAD_LINE ? 2 : 3;
        for (int j = 0; j < np; j++)
            for (int k = 0; k < 2; k++) {
                lo[k] = fmin(lo[k], c->p[2 * j + k]);
                hi[k] = fmax(hi[k], c->p[2 * j + k]);
            }
    }
    for (int k = 0; k < 2; k++)
        if (hi[k] > lo[k]) s = fmax(s, hi[k] - lo[k]);
    for (int i = 0; i < m->nextrudes; i++) s = fmax(s, fabs(m->extrudes[i].d1) + fabs(m->extrudes[i].d2));
    return isfinite(s) && s > 0 ? s : 1;
}

static int va_finite(const double *v, int n) {
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

/* index ranges of the flat arrays and finiteness of planes and extents */
static int va_structure(const cad_model *m) {
    if (m->nextrudes == 0) return ut_fail("the model has no extrude, so no solid");
    for (int i = 0; i < m->nextrudes; i++) {
        const cad_extrude *e = &m->extrudes[i];
        if (e->sketch < 0 || e->sketch >= m->nsketches) return VA_FAIL(e->line, "extrude refers to a missing sketch");
        if ((unsigned)e->op > CAD_INTERSECT || (unsigned)e->kind > CAD_EXT_SYM)
            return VA_FAIL(e->line, "unknown extrude operation or extent kind");
        if (!isfinite(e->d1) || !isfinite(e->d2)) return VA_FAIL(e->line, "extent is not a finite number");
    }
    for (int i = 0; i < m->nsketches; i++) {
        const cad_sketch *s = &m->sketches[i];
        const cad_plane *p = &s->plane;
        if (s->n <= 0 || s->first < 0 || s->first + s->n > m->nfaces) return VA_FAIL(s->line, "sketch has no face");
        if (!va_finite(p->origin, 3) || !va_finite(p->x, 3) || !va_finite(p->y, 3) || !va_finite(p->n, 3))
            return VA_FAIL(s->line, "sketch plane has a non-finite number");
        double nn = p->n[0] * p->n[0] + p->n[1] * p->n[1] + p->n[2] * p->n[2];
        double xn = p->x[0] * p->n[0] + p->x[1] * p->n[1] + p->x[2] * p->n[2];
        if (fabs(nn - 1) > TOL_AXIS || fabs(xn) > TOL_AXIS) return VA_FAIL(s->line, "sketch plane axes are not orthonormal");
    }
    for (int i = 0; i < m->nfaces; i++) {
        const cad_face *f = &m->faces[i];
        if (f->n <= 0 || f->first < 0 || f->first + f->n > m->nloops) return ut_fail("a face has no loop");
    }
    for (int i = 0; i < m->nloops; i++) {
        const cad_loop *l = &m->loops[i];
        if (l->n <= 0 || l->first < 0 || l->first + l->n > m->ncurves) return ut_fail("a loop has no curve");
    }
    return 0;
}

#define VA_RUN_SAMPLES 16 /* points tested along a tangent run */

/* 1 if curve a stays within tol of curve b all the way from parameter t0 to t1: the contact at
   t1 is the end of a tangential run that starts at t0, not a separate contact. Curves that meet
   tangentially (a fillet and its line, two tangent arcs) stay within tol of each other over
   about sqrt(2 r tol) from their junction, farther than the junction tolerance. */
static int va_tangent_run(const g2_curve *a, double t0, double t1, const g2_curve *b, double tol) {
    for (int k = 1; k < VA_RUN_SAMPLES; k++) {
        double p[2], t;
        g2_eval(a, t0 + (t1 - t0) * k / VA_RUN_SAMPLES, p);
        if (g2_closest(b, p, &t) > 2 * tol) return 0;
    }
    return 1;
}

/* 1 if a and b (consecutive in a loop, a's end = b's start) meet anywhere but their junction
   (a contact that a tangential run joins to the junction is the junction's) */
static int va_extra_contact(const g2_curve *a, const g2_curve *b, const double *junc[2], int njunc, double tol,
                            double jtol) {
    g2_isect is[8];
    int n = g2_intersect(a, b, tol, is, 8);
    for (int i = 0; i < n; i++) {
        double p[2];
        g2_eval(a, is[i].ta, p);
        int at_junction = 0;
        for (int j = 0; j < njunc && !at_junction; j++) {
            double t;
            if (hypot(p[0] - junc[j][0], p[1] - junc[j][1]) <= jtol) at_junction = 1;
            else if (g2_closest(a, junc[j], &t) <= jtol && va_tangent_run(a, t, is[i].ta, b, tol)) at_junction = 1;
        }
        if (!at_junction) return 1;
    }
    return 0;
}

/* closure, self-intersection and area of loop li; its curves come chained in c[0..n-1] */
static int va_loop(const cad_model *m, int li, g2_curve *c, double size) {
    const cad_loop *l = &m->loops[li];
    int n = l->n, line0 = m->curves[l->first].line;
    double gap, tol = tol_len(size), jtol = 1e-6 * size;
    for (int i = 0; i < n; i++)
        if (sk_curve_to_g2(&m->curves[l->first + i], &c[i]) != 0) return va_fail(m->curves[l->first + i].line, -1);
    int bad = g2_chain(c, n, jtol, &gap);
    if (bad >= 0)
        return VA_FAIL(m->curves[l->first + bad].line, "loop is not closed (gap %.3g after curve %d of %d)", gap, bad + 1, n);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n && !bg_charge(1); j++) {
            const double *junc[2];
            int nj = 0;
            if (j == i + 1) junc[nj++] = c[i].p1;
            if (i == 0 && j == n - 1) junc[nj++] = c[0].p0;
            if (va_extra_contact(&c[i], &c[j], junc, nj, tol, jtol))
                return VA_FAIL(m->curves[l->first + j].line, "loop intersects itself (curves %d and %d of the loop)", i + 1, j + 1);
        }
    if (!(fabs(g2_loop_area(c, n)) > tol_area(size))) return VA_FAIL(line0, "loop encloses no area");
    return 0;
}

static int va_point_in_loop(const g2_curve *c, int n, const double p[2]) {
    g2_region rg;
    g2_region_init(&rg);
    g2_region_add(&rg, c, n);
    int in = g2_region_inside(&rg, p[0], p[1]);
    g2_region_free(&rg);
    return in;
}

/* distance from p to the loop c[0..n) */
static double va_loop_dist(const g2_curve *c, int n, const double p[2]) {
    double d = INFINITY, t;
    for (int i = 0; i < n; i++) d = fmin(d, g2_closest(&c[i], p, &t));
    return d;
}

/* Do two loops of one face share more than isolated points? A CAD system builds a face whose
   loops touch at points (a hole tangent to the outer loop, two holes meeting at a vertex), so
   a contact is allowed when loop b, just before and just after it, stays on one side of loop a
   (as the region needs: b's points off a all inside a, or all outside) and b leaves a there.
   Crossings, overlaps (a stretch of b on a) and contacts from the wrong side are refused.
   want_inside: b must lie inside a (a hole in the outer loop) or outside it (two holes). */
static int va_loops_meet(const g2_curve *a, int na, const g2_curve *b, int nb, double tol, double probe,
                         int want_inside) {
    g2_isect is[8];
    for (int j = 0; j < nb; j++)
        for (int i = 0; i < na && !bg_charge(1); i++) {
            int n = g2_intersect(&b[j], &a[i], tol, is, 8);
            double len = g2_length(&b[j]);
            for (int k = 0; k < n; k++)
                for (int side = -1; side <= 1; side += 2) {
                    /* the first point of b at probe * 4^m (arc length) from the contact that is off a:
                       a tangent contact keeps b within tol of a for a while */
                    int off = 0;
                    for (double d = probe; d <= 1000 * probe && !off; d *= 4) {
                        double t = is[k].ta + side * d / len, q[2];
                        const g2_curve *c = &b[j];
                        if (t < 0) c = &b[(j + nb - 1) % nb], t = 1 + t * len / g2_length(c);
                        else if (t > 1) c = &b[(j + 1) % nb], t = (t - 1) * len / g2_length(c);
                        if (t < 0 || t > 1) break; /* past the neighbouring curve: too close to judge */
                        g2_eval(c, t, q);
                        if (va_loop_dist(a, na, q) <= 2 * tol) continue;
                        if (va_point_in_loop(a, na, q) != want_inside) return 1; /* b crosses to the wrong side */
                        off = 1;
                    }
                    if (!off) return 1; /* b runs along a: an overlap */
                }
        }
    return 0;
}

/* a point of loop b that is not on loop a (a curve midpoint), for the inside tests */
static const double *va_free_point(const g2_curve *a, int na, const g2_curve *b, int nb, double tol, double buf[2]) {
    for (int j = 0; j < nb; j++) {
        g2_eval(&b[j], 0.5, buf);
        if (va_loop_dist(a, na, buf) > 2 * tol) return buf;
    }
    return b[0].p0;
}

/* writes the chained, oriented curves of a loop back into the model */
static void va_write_loop(cad_model *m, int li, const g2_curve *c, int want_ccw) {
    const cad_loop *l = &m->loops[li];
    int n = l->n, flip = (g2_loop_area(c, n) > 0) != want_ccw;
    for (int i = 0; i < n; i++) {
        g2_curve g = c[i];
        if (flip) g2_reverse(&g);
        cad_curve *cc = &m->curves[l->first + i];
        if (cc->kind == CAD_LINE) {
            cc->p[0] = g.p0[0], cc->p[1] = g.p0[1], cc->p[2] = g.p1[0], cc->p[3] = g.p1[1];
        } else if (cc->kind == CAD_ARC) {
            cc->p[0] = g.p0[0], cc->p[1] = g.p0[1], cc->p[4] = g.p1[0], cc->p[5] = g.p1[1];
        }
    }
    if (flip) /* reverse the chain order too */
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            cad_curve t = m->curves[l->first + i];
            m->curves[l->first + i] = m->curves[l->first + j];
            m->curves[l->first + j] = t;
        }
}

/* 2-D box of a loop: lo x, lo y, hi x, hi y */
static void va_loop_box(const g2_curve *c, int n, double box[4]) {
    box[0] = box[1] = INFINITY, box[2] = box[3] = -INFINITY;
    for (int i = 0; i < n; i++) {
        double lo[2], hi[2];
        g2_bbox(&c[i], lo, hi);
        box[0] = fmin(box[0], lo[0]), box[1] = fmin(box[1], lo[1]);
        box[2] = fmax(box[2], hi[0]), box[3] = fmax(box[3], hi[1]);
    }
}

/* 1 if the boxes are more than tol apart (their loops can neither touch nor nest) */
static int va_boxes_apart(const double a[4], const double b[4], double tol) {
    return a[0] > b[2] + tol || b[0] > a[2] + tol || a[1] > b[3] + tol || b[1] > a[3] + tol;
}

/* checks the loops of face fi and orients them */
static int va_face(cad_model *m, int fi, double size) {
    const cad_face *f = &m->faces[fi];
    g2_curve **lc = ut_calloc((size_t)f->n, sizeof *lc);
    int rc = 0;
    for (int k = 0; k < f->n && rc == 0; k++) {
        const cad_loop *l = &m->loops[f->first + k];
        lc[k] = ut_malloc((size_t)l->n * sizeof **lc);
        rc = va_loop(m, f->first + k, lc[k], size);
    }
    double (*box)[4] = ut_malloc((size_t)f->n * sizeof *box), tol = tol_len(size);
    for (int k = 0; k < f->n && rc == 0; k++) va_loop_box(lc[k], m->loops[f->first + k].n, box[k]);
    for (int a = 0; a < f->n && rc == 0; a++)
        for (int b = a + 1; b < f->n && rc == 0; b++) {
            const cad_loop *la = &m->loops[f->first + a], *lb = &m->loops[f->first + b];
            int line = m->curves[lb->first].line;
            if (a > 0 && va_boxes_apart(box[a], box[b], tol)) continue; /* two holes far apart */
            double pa[2], pb[2];
            const double *qb = va_free_point(lc[a], la->n, lc[b], lb->n, tol, pb);
            const double *qa = va_free_point(lc[b], lb->n, lc[a], la->n, tol, pa);
            if (va_loops_meet(lc[a], la->n, lc[b], lb->n, tol, 1e-6 * size, a == 0) ||
                (a > 0 && va_loops_meet(lc[b], lb->n, lc[a], la->n, tol, 1e-6 * size, 0)))
                rc = VA_FAIL(line, "loops of one face intersect (loops %d and %d)", a + 1, b + 1);
            else if (a == 0 && !va_point_in_loop(lc[0], la->n, qb))
                rc = VA_FAIL(line, "hole %d lies outside its outer loop", b);
            else if (a > 0 && (va_point_in_loop(lc[a], la->n, qb) || va_point_in_loop(lc[b], lb->n, qa)))
                rc = VA_FAIL(line, "hole %d lies inside hole %d", b, a);
        }
    for (int k = 0; k < f->n && rc == 0; k++) va_write_loop(m, f->first + k, lc[k], k == 0);
    for (int k = 0; k < f->n; k++) free(lc[k]);
    free(lc), free(box);
    return rc;
}

static int va_extrudes(const cad_model *m, double size) {
    for (int i = 0; i < m->nextrudes; i++) {
        double w0, w1;
        cad_extrude_slab(&m->extrudes[i], &w0, &w1);
        if (!(w1 - w0 > tol_len(size))) return VA_FAIL(m->extrudes[i].line, "extrude has zero (or negative) extent");
    }
    return 0;
}


/* the final solid must have volume */
static int va_nonempty(const cad_model *m) {
    sd_solid *s = sd_build(m);
    if (!s) return -1;
    int empty = sd_is_empty(s);
    sd_free(s);
    if (empty < 0) return -1;
    if (empty) return VA_FAIL(m->extrudes[m->nextrudes - 1].line, "the resulting solid is empty");
    return 0;
}

static int va_checks(cad_model *m) {
    if (va_structure(m) != 0) return -1;
    for (int i = 0; i < m->ncurves; i++) {
        const cad_curve *c = &m->curves[i];
        int np = c->kind == CAD_LINE ? 4 : c->kind == CAD_ARC ? 6 : 3;
        if ((unsigned)c->kind > CAD_CIRCLE) return VA_FAIL(c->line, "unknown curve kind");
        if (!va_finite(c->p, np)) return VA_FAIL(c->line, "curve has a non-finite coordinate");
    }
    double size = va_model_size(m);
    for (int i = 0; i < m->nfaces; i++)
        if (va_face(m, i, size) != 0) return -1;
    if (va_extrudes(m, size) != 0) return -1;
    return va_nonempty(m);
}

int va_validate(cad_model *m) {
    int rc = va_checks(m);
    if (bg_exceeded()) return bg_fail("validation"); /* whatever the checks concluded is void */
    return rc;
}
