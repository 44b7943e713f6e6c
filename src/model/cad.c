/* cad.c - see cad.h. */
#include "model/cad.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/tol.h"
#include "base/util.h"

void cad_init(cad_model *m) { memset(m, 0, sizeof *m); }

void cad_free(cad_model *m) {
    free(m->curves);
    free(m->loops);
    free(m->faces);
    free(m->sketches);
    free(m->extrudes);
    memset(m, 0, sizeof *m);
}

#define CAD_DUP(field, count, cap)                                                        \
    do {                                                                                  \
        dst->count = dst->cap = src->count;                                               \
        dst->field = src->count ? ut_malloc((size_t)src->count * sizeof *src->field) : NULL; \
        if (src->count) memcpy(dst->field, src->field, (size_t)src->count * sizeof *src->field); \
    } while (0)

void cad_copy(cad_model *dst, const cad_model *src) {
    CAD_DUP(curves, ncurves, cap_curves);
    CAD_DUP(loops, nloops, cap_loops);
    CAD_DUP(faces, nfaces, cap_faces);
    CAD_DUP(sketches, nsketches, cap_sketches);
    CAD_DUP(extrudes, nextrudes, cap_extrudes);
}

int cad_add_curve(cad_model *m, cad_curve_kind kind, const double *p, int line) {
    cad_curve *c = UT_PUSH(m->curves, m->ncurves, m->cap_curves);
    memset(c, 0, sizeof *c);
    c->kind = kind;
    int np = kind == CAD_LINE ? 4 : kind == CAD_ARC ? 6 : 3;
    memcpy(c->p, p, (size_t)np * sizeof(double));
    c->line = line;
    return m->ncurves - 1;
}

int cad_add_loop(cad_model *m, int first_curve, int n) {
    cad_loop *l = UT_PUSH(m->loops, m->nloops, m->cap_loops);
    l->first = first_curve;
    l->n = n;
    return m->nloops - 1;
}

int cad_add_face(cad_model *m, int first_loop, int n) {
    cad_face *f = UT_PUSH(m->faces, m->nfaces, m->cap_faces);
    f->first = first_loop;
    f->n = n;
    return m->nfaces - 1;
}

int cad_add_sketch(cad_model *m, const cad_plane *pl, int first_face, int n, int line) {
    cad_sketch *s = UT_PUSH(m->sketches, m->nsketches, m->cap_sketches);
    s->plane = *pl;
    s->first = first_face;
    s->n = n;
    s->line = line;
    return m->nsketches - 1;
}

int cad_add_extrude(cad_model *m, int sketch, cad_extent_kind kind, double d1, double d2, cad_op op, int line) {
    cad_extrude *e = UT_PUSH(m->extrudes, m->nextrudes, m->cap_extrudes);
    e->sketch = sketch;
    e->kind = kind;
    e->d1 = d1;
    e->d2 = d2;
    e->op = op;
    e->line = line;
    return m->nextrudes - 1;
}

static void cad_set3(double *d, double a, double b, double c) {
    d[0] = a;
    d[1] = b;
    d[2] = c;
}

void cad_plane_xy(cad_plane *pl) {
    cad_set3(pl->origin, 0, 0, 0);
    cad_set3(pl->x, 1, 0, 0);
    cad_set3(pl->y, 0, 1, 0);
    cad_set3(pl->n, 0, 0, 1);
}

void cad_plane_xz(cad_plane *pl) {
    cad_set3(pl->origin, 0, 0, 0);
    cad_set3(pl->x, 1, 0, 0);
    cad_set3(pl->y, 0, 0, 1);
    cad_set3(pl->n, 0, -1, 0);
}

void cad_plane_yz(cad_plane *pl) {
    cad_set3(pl->origin, 0, 0, 0);
    cad_set3(pl->x, 0, 1, 0);
    cad_set3(pl->y, 0, 0, 1);
    cad_set3(pl->n, 1, 0, 0);
}

int cad_plane_make(cad_plane *pl, const double o[3], const double x[3], const double n[3]) {
    for (int i = 0; i < 3; i++)
        if (!isfinite(o[i]) || !isfinite(x[i]) || !isfinite(n[i])) return ut_fail("plane has a non-finite coordinate");
    double nl = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    if (!(nl > TOL_DIR)) return ut_fail("plane normal has zero length");
    double nn[3] = {n[0] / nl, n[1] / nl, n[2] / nl};
    double d = x[0] * nn[0] + x[1] * nn[1] + x[2] * nn[2];
    double xx[3] = {x[0] - d * nn[0], x[1] - d * nn[1], x[2] - d * nn[2]};
    double xl = sqrt(xx[0] * xx[0] + xx[1] * xx[1] + xx[2] * xx[2]);
    double x0 = sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    if (!(xl > tol_len(x0 > 0 ? x0 : 1)) || !(x0 > TOL_DIR)) return ut_fail("plane x direction is zero or parallel to the normal");
    for (int i = 0; i < 3; i++) {
        pl->origin[i] = o[i];
        pl->n[i] = nn[i];
        pl->x[i] = xx[i] / xl;
    }
    /* y = n x x */
    pl->y[0] = pl->n[1] * pl->x[2] - pl->n[2] * pl->x[1];
    pl->y[1] = pl->n[2] * pl->x[0] - pl->n[0] * pl->x[2];
    pl->y[2] = pl->n[0] * pl->x[1] - pl->n[1] * pl->x[0];
    return 0;
}

void cad_plane_to_world(const cad_plane *pl, double u, double v, double w, double out[3]) {
    for (int i = 0; i < 3; i++) out[i] = pl->origin[i] + u * pl->x[i] + v * pl->y[i] + w * pl->n[i];
}

void cad_plane_to_local(const cad_plane *pl, const double p[3], double out[3]) {
    double d[3] = {p[0] - pl->origin[0], p[1] - pl->origin[1], p[2] - pl->origin[2]};
    out[0] = d[0] * pl->x[0] + d[1] * pl->x[1] + d[2] * pl->x[2];
    out[1] = d[0] * pl->y[0] + d[1] * pl->y[1] + d[2] * pl->y[2];
    out[2] = d[0] * pl->n[0] + d[1] * pl->n[1] + d[2] * pl->n[2];
}

void cad_extrude_slab(const cad_extrude *e, double *w0, double *w1) {
    switch (e->kind) {
    case CAD_EXT_ONE:
        *w0 = e->d1 < 0 ? e->d1 : 0;
        *w1 = e->d1 < 0 ? 0 : e->d1;
        break;
    case CAD_EXT_TWO:
        *w0 = -e->d2;
        *w1 = e->d1;
        break;
    default:
        *w0 = -0.5 * fabs(e->d1);
        *w1 = 0.5 * fabs(e->d1);
        break;
    }
}

int cad_arc_geom(const double p[6], double *cx, double *cy, double *r, double *a0, double *sweep) {
    double ax = p[0], ay = p[1], bx = p[2], by = p[3], ex = p[4], ey = p[5];
    double d = 2.0 * ((bx - ax) * (ey - ay) - (by - ay) * (ex - ax));
    double s1 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay);
    double s2 = (ex - ax) * (ex - ax) + (ey - ay) * (ey - ay);
    double scale = s1 > s2 ? s1 : s2;
    if (!(fabs(d) > tol_fine(scale)) || !isfinite(d)) return -1;
    /* centre relative to the start point */
    double ux = ((ey - ay) * s1 - (by - ay) * s2) / d;
    double uy = ((bx - ax) * s2 - (ex - ax) * s1) / d;
    *cx = ax + ux;
    *cy = ay + uy;
    *r = sqrt(ux * ux + uy * uy);
    double t0 = atan2(ay - *cy, ax - *cx);
    double tm = atan2(by - *cy, bx - *cx);
    double t1 = atan2(ey - *cy, ex - *cx);
    const double two_pi = 6.283185307179586;
    /* counter-clockwise sweeps from start to mid and to end */
    double sm = fmod(tm - t0 + 2 * two_pi, two_pi);
    double se = fmod(t1 - t0 + 2 * two_pi, two_pi);
    *a0 = t0;
    if (d > 0) *sweep = se; /* mid is left of start->end chord... orientation from the determinant */
    else *sweep = se - two_pi;
    (void)sm;
    return 0;
}

const char *cad_op_name(cad_op op) {
    static const char *names[] = {"new", "join", "cut", "intersect"};
    return (unsigned)op < 4 ? names[op] : "?";
}

int cad_op_parse(const char *s, cad_op *op) {
    static const char *names[] = {"new", "join", "cut", "intersect"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *op = (cad_op)i;
            return 0;
        }
    return -1;
}
