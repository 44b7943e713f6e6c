/* mesh_grid.c - the mesher for models with extrusions in different directions (see mesh.h).
 *
 * Marching tetrahedra on a rectilinear grid over the model's box: each grid cube is split into
 * six tetrahedra around its main diagonal (the same split in every cube, so neighbouring
 * tetrahedra share faces), every grid point is classified by the CSG of the chord-approximated
 * prisms, and every tetrahedron edge whose ends differ gets one surface vertex placed exactly on
 * the boundary (the first boundary crossing along the edge, from the exact list of prism
 * crossings). Surface vertices are shared through a map keyed by the edge, so the mesh is closed;
 * each triangle is oriented away from the tetrahedron's inside vertices.
 *
 * Grid: over the part's exact box (not the model's: a small intersection of large prisms gets a
 * grid of its own size), spacing h = diag / cells along each axis (the caller picks cells from the
 * chord tolerance and raises it when the volume check asks for more), at most 1/MS_GRID_MIN_AXIS
 * of the part's extent along that axis (thin parts get cells across their thickness), all spacings
 * grown together if the grid would exceed MS_GRID_MAX_POINTS; plus, for every face of the model that is
 * perpendicular to a world axis (slab ends of axis-aligned extrusions, axis-parallel lines of
 * axis-aligned sketches), a pair of planes at +-delta around it, so those faces and their sharp
 * edges are reproduced to within delta = 1e-6 diag (the part's) instead of being chamfered by the grid.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/budget.h"
#include "base/hmap.h"
#include "base/tol.h"
#include "base/util.h"
#include "geom/mesh_int.h"

#define MS_GRID_MIN_AXIS 16      /* at least this many cells across each extent of the part */
#define MS_GRID_MAX_POINTS 6e6 /* grid point budget */

typedef struct {
    const cad_model *m;
    const ms_profiles *p;
    double (*box)[4]; /* per sketch: u0 v0 u1 v1 of its rings */
    double *w0, *w1;  /* per extrude: slab */
} ms_gctx;

/* ---------------------------------------------------------------- membership */

typedef struct {
    double u, v;
} ms_uv;

static int ms_ring_in(const ms_profiles *p, int r, const void *ctx) {
    const ms_uv *q = ctx;
    return ms_ring_contains(p, r, q->u, q->v);
}

static int ms_inside(const ms_gctx *g, const double x[3]) {
    int body = 0;
    for (int e = 0; e < g->m->nextrudes; e++) {
        const cad_extrude *ex = &g->m->extrudes[e];
        int s = ex->sketch, in = 0;
        double l[3];
        cad_plane_to_local(&g->m->sketches[s].plane, x, l);
        if (l[2] >= g->w0[e] && l[2] <= g->w1[e] && l[0] >= g->box[s][0] && l[0] <= g->box[s][2] && l[1] >= g->box[s][1] &&
            l[1] <= g->box[s][3]) {
            ms_uv q = {l[0], l[1]};
            in = ms_region(g->p, s, ms_ring_in, &q);
        }
        if (e == 0) body = in;
        else if (ex->op == CAD_CUT) body = body && !in;
        else if (ex->op == CAD_INTERSECT) body = body && in;
        else body = body || in;
    }
    return body;
}

static int ms_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* a crossing of segment a->b with a prism boundary: parameter t in (0,1) and the world plane
   (unit normal n, offset d: n.x = d) of the boundary facet crossed */
typedef struct {
    double t, n[3], d;
} ms_cross;

static int ms_cmp_cross(const void *a, const void *b) {
    double x = ((const ms_cross *)a)->t, y = ((const ms_cross *)b)->t;
    return x < y ? -1 : x > y;
}

static void ms_push_cross(ms_cross *c, int *n, double t, const double nn[3], const double q[3]) {
    double l = sqrt(nn[0] * nn[0] + nn[1] * nn[1] + nn[2] * nn[2]);
    ms_cross *x = &c[(*n)++];
    x->t = t;
    for (int k = 0; k < 3; k++) x->n[k] = l > 0 ? nn[k] / l : 0;
    x->d = x->n[0] * q[0] + x->n[1] * q[1] + x->n[2] * q[2];
}

/* every crossing of segment a->b with a slab plane or a ring facet, sorted by t */
static int ms_crossings(const ms_gctx *g, const double a[3], const double b[3], ms_cross *t, int max) {
    int n = 0;
    for (int e = 0; e < g->m->nextrudes && n < max; e++) {
        int s = g->m->extrudes[e].sketch;
        const cad_plane *pl = &g->m->sketches[s].plane;
        double la[3], lb[3], q[3];
        cad_plane_to_local(pl, a, la);
        cad_plane_to_local(pl, b, lb);
        double dw = lb[2] - la[2];
        if (dw != 0) {
            double ws[2] = {g->w0[e], g->w1[e]};
            for (int k = 0; k < 2 && n < max; k++) {
                double tt = (ws[k] - la[2]) / dw;
                cad_plane_to_world(pl, 0, 0, ws[k], q);
                if (tt > 0 && tt < 1) ms_push_cross(t, &n, tt, pl->n, q);
            }
        }
        double du = lb[0] - la[0], dv = lb[1] - la[1];
        if (du == 0 && dv == 0) continue;
        /* the prism's walls matter only where the segment is inside its slab; a ring whose box
           the segment's box misses has no crossing */
        if (fmax(la[2], lb[2]) < g->w0[e] || fmin(la[2], lb[2]) > g->w1[e]) continue;
        double u0 = fmin(la[0], lb[0]), u1 = fmax(la[0], lb[0]), v0 = fmin(la[1], lb[1]), v1 = fmax(la[1], lb[1]);
        for (int r = g->p->sk_first[s]; r < g->p->sk_first[s] + g->p->sk_n[s] && n < max; r++) {
            const ms_ring *rg = &g->p->rings[r];
            if (u1 < rg->lo[0] || u0 > rg->hi[0] || v1 < rg->lo[1] || v0 > rg->hi[1]) continue;
            const double *qq = g->p->pt + 2 * rg->first;
            int m = rg->n;
            for (int i = 0, j = m - 1; i < m && n < max; j = i++) {
                double ex = qq[2 * i] - qq[2 * j], ey = qq[2 * i + 1] - qq[2 * j + 1];
                double den = du * ey - dv * ex;
                if (den == 0) continue;
                double wx = qq[2 * j] - la[0], wy = qq[2 * j + 1] - la[1];
                double tt = (wx * ey - wy * ex) / den, ss = (wx * dv - wy * du) / den;
                if (!(tt > 0 && tt < 1 && ss >= 0 && ss <= 1)) continue;
                /* the facet: the ring edge swept along the plane normal */
                double d3[3], nn[3];
                for (int k = 0; k < 3; k++) d3[k] = ex * pl->x[k] + ey * pl->y[k];
                nn[0] = d3[1] * pl->n[2] - d3[2] * pl->n[1];
                nn[1] = d3[2] * pl->n[0] - d3[0] * pl->n[2];
                nn[2] = d3[0] * pl->n[1] - d3[1] * pl->n[0];
                cad_plane_to_world(pl, qq[2 * j], qq[2 * j + 1], 0, q);
                ms_push_cross(t, &n, tt, nn, q);
            }
        }
    }
    qsort(t, (size_t)n, sizeof *t, ms_cmp_cross);
    return n;
}

/* the boundary point between a (inside) and b (outside); plane: the facet it lies on (4
   doubles, n and d), or all zero when only bisection found it */
static void ms_surface_point(const ms_gctx *g, const double a[3], const double b[3], double out[3], double plane[4]) {
    ms_cross t[256];
    double lo = 0, hi = 1;
    int n = ms_crossings(g, a, b, t, 254), found = 0;
    memset(plane, 0, 4 * sizeof *plane);
    for (int i = 0; i < n && !found; i++) {
        double tm = i + 1 < n ? 0.5 * (t[i].t + t[i + 1].t) : 0.5 * (t[i].t + 1);
        double x[3];
        for (int k = 0; k < 3; k++) x[k] = a[k] + tm * (b[k] - a[k]);
        if (!ms_inside(g, x)) {
            lo = hi = t[i].t;
            found = 1;
            memcpy(plane, t[i].n, 3 * sizeof *plane);
            plane[3] = t[i].d;
        }
    }
    /* fallback (rounding at a crossing): bisection */
    for (int it = 0; !found && it < 50; it++) {
        double tm = 0.5 * (lo + hi), x[3];
        for (int k = 0; k < 3; k++) x[k] = a[k] + tm * (b[k] - a[k]);
        if (ms_inside(g, x)) lo = tm;
        else hi = tm;
    }
    double tt = 0.5 * (lo + hi);
    for (int k = 0; k < 3; k++) out[k] = a[k] + tt * (b[k] - a[k]);
}

/* ---------------------------------------------------------------- grid axes */

typedef struct {
    double *c;
    int n, cap;
} ms_axis;

static void ms_axis_push(ms_axis *ax, double x) { *UT_PUSH(ax->c, ax->n, ax->cap) = x; }

/* feature coordinates along each world axis: faces perpendicular to that axis */
static void ms_features(const ms_gctx *g, ms_axis feat[3]) {
    const cad_model *m = g->m;
    for (int e = 0; e < m->nextrudes; e++) {
        const cad_sketch *sk = &m->sketches[m->extrudes[e].sketch];
        const cad_plane *pl = &sk->plane;
        for (int a = 0; a < 3; a++) {
            if (fabs(fabs(pl->n[a]) - 1) < TOL_DIR) { /* slab ends */
                ms_axis_push(&feat[a], pl->origin[a] + pl->n[a] * g->w0[e]);
                ms_axis_push(&feat[a], pl->origin[a] + pl->n[a] * g->w1[e]);
            }
            /* lines of constant u (v) lie in planes perpendicular to the plane's x (y) */
            int xa = fabs(fabs(pl->x[a]) - 1) < TOL_DIR, ya = fabs(fabs(pl->y[a]) - 1) < TOL_DIR;
            if (!xa && !ya) continue;
            for (int f = sk->first; f < sk->first + sk->n; f++)
                for (int l = m->faces[f].first; l < m->faces[f].first + m->faces[f].n; l++)
                    for (int c = m->loops[l].first; c < m->loops[l].first + m->loops[l].n; c++) {
                        const cad_curve *cv = &m->curves[c];
                        if (cv->kind != CAD_LINE) continue;
                        if (xa && cv->p[0] == cv->p[2]) ms_axis_push(&feat[a], pl->origin[a] + pl->x[a] * cv->p[0]);
                        if (ya && cv->p[1] == cv->p[3]) ms_axis_push(&feat[a], pl->origin[a] + pl->y[a] * cv->p[1]);
                    }
        }
    }
}

/* grid coordinates on [lo, hi]: features +- delta, gaps filled with spacing <= h */
static void ms_make_axis(ms_axis *feat, double lo, double hi, double h, double delta, ms_axis *out) {
    if (feat->n > 0) qsort(feat->c, (size_t)feat->n, sizeof *feat->c, ms_cmp_double);
    ms_axis knots = {0};
    ms_axis_push(&knots, lo);
    for (int i = 0; i < feat->n; i++) {
        double f = feat->c[i];
        if (f - delta <= knots.c[knots.n - 1] + delta || f + delta >= hi) continue;
        ms_axis_push(&knots, f - delta);
        ms_axis_push(&knots, f + delta);
    }
    ms_axis_push(&knots, hi);
    for (int i = 0; i + 1 < knots.n; i++) {
        double a = knots.c[i], b = knots.c[i + 1];
        int k = (int)ceil((b - a) / h - TOL_STEP);
        if (k < 1) k = 1;
        for (int j = 0; j < k; j++) ms_axis_push(out, a + (b - a) * j / k);
    }
    ms_axis_push(out, hi);
    free(knots.c);
}

/* ---------------------------------------------------------------- edge vertex map */

typedef struct {
    const ms_gctx *g;
    ms_axis ax[3];
    unsigned char *in; /* per grid point */
    hm_map map;        /* grid edge (lo << 32 | hi) -> output vertex */
    ms_mesh *out;
    double *vplane; /* per output vertex: its facet plane (n, d), zero if unknown */
    int cap_vplane;
} ms_run;

static void ms_point(const ms_run *R, int64_t id, double x[3]) {
    int64_t nx = R->ax[0].n, ny = R->ax[1].n;
    x[0] = R->ax[0].c[id % nx];
    x[1] = R->ax[1].c[(id / nx) % ny];
    x[2] = R->ax[2].c[id / (nx * ny)];
}

/* surface vertex on the grid edge between points a and b (statuses differ) */
static int ms_edge_vertex(ms_run *R, int64_t a, int64_t b) {
    uint64_t k = a < b ? (uint64_t)a << 32 | (uint64_t)b : (uint64_t)b << 32 | (uint64_t)a;
    int added;
    int64_t *id = hm_upsert(&R->map, k, 0, &added);
    if (!added) return (int)*id;
    if (!R->in[a]) {
        int64_t t = a;
        a = b;
        b = t;
    }
    double pa[3], pb[3], x[3];
    ms_point(R, a, pa);
    ms_point(R, b, pb);
    double plane[4];
    ms_surface_point(R->g, pa, pb, x, plane);
    *id = ms_add_vertex(R->out, x[0], x[1], x[2]);
    ut_grow((void **)&R->vplane, &R->cap_vplane, 4 * R->out->nv, sizeof *R->vplane);
    memcpy(R->vplane + 4 * *id, plane, sizeof plane);
    return (int)*id;
}

/* sign of det(b - a, c - a, d - a) for grid points: > 0 when (a, b, c, d) is positively oriented */
static double ms_det(const ms_run *R, int64_t a, int64_t b, int64_t c, int64_t d) {
    double pa[3], pb[3], pc[3], pd[3];
    ms_point(R, a, pa);
    ms_point(R, b, pb);
    ms_point(R, c, pc);
    ms_point(R, d, pd);
    double u[3], v[3], w[3];
    for (int k = 0; k < 3; k++) {
        u[k] = pb[k] - pa[k];
        v[k] = pc[k] - pa[k];
        w[k] = pd[k] - pa[k];
    }
    return u[0] * (v[1] * w[2] - v[2] * w[1]) - u[1] * (v[0] * w[2] - v[2] * w[0]) + u[2] * (v[0] * w[1] - v[1] * w[0]);
}

/* The surface piece of one tetrahedron. Orientation is decided on the grid points, never on the
 * surface points (which may nearly coincide inside the thin feature layers): a surface point on
 * the edge p->q is p + t (q - p) with 0 < t < 1, so a triangle of such points around a single
 * vertex p faces away from p exactly when the triangle of the far ends does. */
static void ms_tet(ms_run *R, const int64_t t[4]) {
    int64_t ins[4], outs[4];
    int ni = 0, no = 0;
    for (int k = 0; k < 4; k++) {
        if (R->in[t[k]]) ins[ni++] = t[k];
        else outs[no++] = t[k];
    }
    if (ni == 0 || no == 0) return;
    int v[4];
    if (ni == 1 || no == 1) {
        /* apex p alone on its side; the normal must point away from p if p is inside */
        int64_t p = ni == 1 ? ins[0] : outs[0];
        const int64_t *q = ni == 1 ? outs : ins;
        for (int k = 0; k < 3; k++) v[k] = ms_edge_vertex(R, p, q[k]);
        int away = ms_det(R, p, q[0], q[1], q[2]) > 0;
        if (away != (ni == 1)) {
            int tmp = v[1];
            v[1] = v[2];
            v[2] = tmp;
        }
        ms_add_tri(R->out, v[0], v[1], v[2]);
    } else {
        /* quad e(i0,o0) e(i0,o1) e(i1,o1) e(i1,o0): outward when (i0, i1, o0, o1) is positive */
        v[0] = ms_edge_vertex(R, ins[0], outs[0]);
        v[1] = ms_edge_vertex(R, ins[0], outs[1]);
        v[2] = ms_edge_vertex(R, ins[1], outs[1]);
        v[3] = ms_edge_vertex(R, ins[1], outs[0]);
        if (ms_det(R, ins[0], ins[1], outs[0], outs[1]) > 0) {
            ms_add_tri(R->out, v[0], v[1], v[2]);
            ms_add_tri(R->out, v[0], v[2], v[3]);
        } else {
            ms_add_tri(R->out, v[0], v[2], v[1]);
            ms_add_tri(R->out, v[0], v[3], v[2]);
        }
    }
}

/* ---------------------------------------------------------------- sharp edges */

/* Marching tetrahedra cut across a sharp edge of the solid with "chamfer" triangles whose
 * vertices lie on two different facets. Every mesh edge whose two vertices lie on facets meeting
 * at more than MS_GRID_SHARP_DEG is split at the point of the two facets' common line nearest to the
 * edge's midpoint (if that point is no farther from the midpoint than the edge is long), which
 * puts vertices on the true edge. A triangle with split edges is divided into 2, 3 or 4; splits
 * that would flip one of the new triangles are dropped, for both triangles of the edge. */
#define MS_GRID_SHARP_DEG 20.0

typedef struct {
    uint64_t key; /* edge: lo << 32 | hi */
    double x[3];
    int ok, id;
} ms_gsplit;

static int ms_cmp_gsplit(const void *a, const void *b) {
    uint64_t x = ((const ms_gsplit *)a)->key, y = ((const ms_gsplit *)b)->key;
    return x < y ? -1 : x > y;
}

static ms_gsplit *ms_find_split(ms_gsplit *sp, int n, int a, int b) {
    ms_gsplit key = {.key = a < b ? (uint64_t)a << 32 | (uint32_t)b : (uint64_t)b << 32 | (uint32_t)a};
    ms_gsplit *f = n ? bsearch(&key, sp, (size_t)n, sizeof *sp, ms_cmp_gsplit) : NULL;
    return f && f->ok ? f : NULL;
}

/* the point of the line where planes pa and pb (n, d) meet that is nearest to m; 0 if parallel */
static int ms_crease_point(const double *pa, const double *pb, const double m[3], double x[3]) {
    double k = pa[0] * pb[0] + pa[1] * pb[1] + pa[2] * pb[2];
    if (fabs(k) > cos(MS_GRID_SHARP_DEG * 3.14159265358979323846 / 180)) return 0;
    double ra = pa[3] - (pa[0] * m[0] + pa[1] * m[1] + pa[2] * m[2]);
    double rb = pb[3] - (pb[0] * m[0] + pb[1] * m[1] + pb[2] * m[2]);
    double det = 1 - k * k, al = (ra - k * rb) / det, be = (rb - k * ra) / det;
    for (int i = 0; i < 3; i++) x[i] = m[i] + al * pa[i] + be * pb[i];
    return 1;
}

/* the sub-triangles of triangle v with split vertices s[0] (edge v0v1), s[1] (v1v2), s[2] (v2v0),
   -1 where unsplit; returns their count (into out, 3 ints each) */
static int ms_subdivide(const int v[3], const int s[3], int out[12]) {
    int n = 0, cnt = (s[0] >= 0) + (s[1] >= 0) + (s[2] >= 0);
#define MS_GRID_T(a, b, c) (out[3 * n] = (a), out[3 * n + 1] = (b), out[3 * n + 2] = (c), n++)
    if (cnt == 0) MS_GRID_T(v[0], v[1], v[2]);
    for (int r = 0; r < 3 && cnt == 1; r++) /* split edge r: (v[r], v[r+1]) */
        if (s[r] >= 0) {
            MS_GRID_T(v[r], s[r], v[(r + 2) % 3]);
            MS_GRID_T(s[r], v[(r + 1) % 3], v[(r + 2) % 3]);
        }
    for (int r = 0; r < 3 && cnt == 2; r++) /* unsplit edge r+2: (v[r+2], v[r]) */
        if (s[(r + 2) % 3] < 0) {
            int a = v[r], b = v[(r + 1) % 3], c = v[(r + 2) % 3], sab = s[r], sbc = s[(r + 1) % 3];
            MS_GRID_T(sab, b, sbc);
            MS_GRID_T(a, sab, sbc);
            MS_GRID_T(a, sbc, c);
        }
    if (cnt == 3) {
        MS_GRID_T(v[0], s[0], s[2]);
        MS_GRID_T(s[0], v[1], s[1]);
        MS_GRID_T(s[2], s[1], v[2]);
        MS_GRID_T(s[0], s[1], s[2]);
    }
#undef MS_GRID_T
    return n;
}

static void ms_tri_normal(const double *P, const int *t, double n[3]) {
    const double *a = P + 3 * t[0], *b = P + 3 * t[1], *c = P + 3 * t[2];
    double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]}, w[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    n[0] = u[1] * w[2] - u[2] * w[1];
    n[1] = u[2] * w[0] - u[0] * w[2];
    n[2] = u[0] * w[1] - u[1] * w[0];
}

static void ms_sharpen(ms_run *R) {
    ms_mesh *m = R->out;
    int nt = m->nt, nv = m->nv;
    ms_gsplit *sp = NULL;
    int nsp = 0, cap = 0;
    for (int t = 0; t < nt; t++)
        for (int k = 0; k < 3; k++) {
            int a = m->t[3 * t + k], b = m->t[3 * t + (k + 1) % 3];
            if (a > b) continue; /* each edge once (closed, oriented mesh) */
            const double *pa = R->vplane + 4 * a, *pb = R->vplane + 4 * b;
            if ((pa[0] == 0 && pa[1] == 0 && pa[2] == 0) || (pb[0] == 0 && pb[1] == 0 && pb[2] == 0)) continue;
            const double *xa = m->v + 3 * a, *xb = m->v + 3 * b;
            double mid[3], x[3], len2 = 0, off2 = 0;
            for (int i = 0; i < 3; i++) {
                mid[i] = 0.5 * (xa[i] + xb[i]);
                len2 += (xb[i] - xa[i]) * (xb[i] - xa[i]);
            }
            if (!ms_crease_point(pa, pb, mid, x)) continue;
            for (int i = 0; i < 3; i++) off2 += (x[i] - mid[i]) * (x[i] - mid[i]);
            if (!(off2 <= len2) || off2 < 1e-24 * len2) continue;
            ms_gsplit *q = UT_PUSH(sp, nsp, cap);
            q->key = (uint64_t)a << 32 | (uint32_t)b;
            memcpy(q->x, x, sizeof x);
            q->ok = 1;
            q->id = nv + nsp - 1;
        }
    if (nsp == 0) {
        free(sp);
        return;
    }
    qsort(sp, (size_t)nsp, sizeof *sp, ms_cmp_gsplit);
    /* positions of old and candidate vertices, for the flip checks */
    double *P = ut_malloc((size_t)(nv + nsp) * 3 * sizeof *P);
    memcpy(P, m->v, (size_t)nv * 3 * sizeof *P);
    for (int i = 0; i < nsp; i++) {
        sp[i].id = nv + i;
        memcpy(P + 3 * (nv + i), sp[i].x, sizeof sp[i].x);
    }
    /* the triangles touched by a candidate split */
    int *touched = ut_malloc((size_t)(nt + 1) * sizeof *touched), ntouched = 0;
    for (int t = 0; t < nt; t++) {
        const int *v = m->t + 3 * t;
        int any = 0;
        for (int k = 0; k < 3 && !any; k++) any = ms_find_split(sp, nsp, v[k], v[(k + 1) % 3]) != NULL;
        if (any) touched[ntouched++] = t;
    }
    for (int round = 0, changed = 1; changed && round < 10; round++) {
        changed = 0;
        for (int ti = 0; ti < ntouched; ti++) {
            const int *v = m->t + 3 * touched[ti];
            ms_gsplit *f[3];
            int s[3], sub[12], flip = 0;
            for (int k = 0; k < 3; k++) {
                f[k] = ms_find_split(sp, nsp, v[k], v[(k + 1) % 3]);
                s[k] = f[k] ? f[k]->id : -1;
            }
            if (s[0] < 0 && s[1] < 0 && s[2] < 0) continue;
            double n0[3], n1[3];
            ms_tri_normal(P, v, n0);
            int ns = ms_subdivide(v, s, sub);
            for (int i = 0; i < ns && !flip; i++) {
                ms_tri_normal(P, sub + 3 * i, n1);
                flip = !(n0[0] * n1[0] + n0[1] * n1[1] + n0[2] * n1[2] > 0);
            }
            if (flip)
                for (int k = 0; k < 3; k++)
                    if (f[k]) f[k]->ok = 0, changed = 1;
        }
    }
    free(touched);
    /* new vertices for the accepted splits, then the new triangle list */
    for (int i = 0; i < nsp; i++)
        if (sp[i].ok) sp[i].id = ms_add_vertex(m, sp[i].x[0], sp[i].x[1], sp[i].x[2]);
    int *old = m->t;
    m->t = NULL;
    m->nt = m->cap_t = 0;
    for (int t = 0; t < nt; t++) {
        const int *v = old + 3 * t;
        int s[3], sub[12];
        for (int k = 0; k < 3; k++) {
            ms_gsplit *f = ms_find_split(sp, nsp, v[k], v[(k + 1) % 3]);
            s[k] = f ? f->id : -1;
        }
        int ns = ms_subdivide(v, s, sub);
        for (int i = 0; i < ns; i++) ms_add_tri(m, sub[3 * i], sub[3 * i + 1], sub[3 * i + 2]);
    }
    free(old);
    free(P);
    free(sp);
}

int ms_mesh_grid(const cad_model *m, const ms_profiles *p, const double lo[3], const double hi[3], double cells, ms_mesh *out,
                 int *capped) {
    ms_gctx g = {.m = m, .p = p};
    g.box = ut_malloc((size_t)(m->nsketches + 1) * sizeof *g.box);
    for (int s = 0; s < m->nsketches; s++) {
        double *b = g.box[s];
        b[0] = b[1] = INFINITY;
        b[2] = b[3] = -INFINITY;
        for (int r = p->sk_first[s]; r < p->sk_first[s] + p->sk_n[s]; r++)
            for (int i = 0; i < p->rings[r].n; i++) {
                const double *q = p->pt + 2 * (p->rings[r].first + i);
                b[0] = fmin(b[0], q[0]);
                b[1] = fmin(b[1], q[1]);
                b[2] = fmax(b[2], q[0]);
                b[3] = fmax(b[3], q[1]);
            }
    }
    g.w0 = ut_malloc((size_t)m->nextrudes * sizeof *g.w0);
    g.w1 = ut_malloc((size_t)m->nextrudes * sizeof *g.w1);
    for (int e = 0; e < m->nextrudes; e++) cad_extrude_slab(&m->extrudes[e], &g.w0[e], &g.w1[e]);
    double diag = sqrt((hi[0] - lo[0]) * (hi[0] - lo[0]) + (hi[1] - lo[1]) * (hi[1] - lo[1]) + (hi[2] - lo[2]) * (hi[2] - lo[2]));
    /* spacing: diag / cells, and at least MS_GRID_MIN_AXIS cells across each extent of the part */
    double h[3], delta = 1e-6 * diag, grow = 1;
    *capped = 0;
    ms_run R = {.g = &g, .out = out};
    ms_axis feat[3] = {{0}};
    ms_features(&g, feat);
    for (;;) {
        for (int a = 0; a < 3; a++) {
            h[a] = grow * fmin(diag / cells, (hi[a] - lo[a]) / MS_GRID_MIN_AXIS);
            R.ax[a].n = 0;
            ms_make_axis(&feat[a], lo[a] - h[a], hi[a] + h[a], h[a], delta, &R.ax[a]);
        }
        if ((double)R.ax[0].n * R.ax[1].n * R.ax[2].n <= MS_GRID_MAX_POINTS) break;
        grow *= 1.25;
        *capped = 1;
    }
    for (int a = 0; a < 3; a++) free(feat[a].c);
    int64_t nx = R.ax[0].n, ny = R.ax[1].n, nz = R.ax[2].n, npts = nx * ny * nz;
    R.in = ut_calloc((size_t)npts, 1);
    for (int64_t i = 0; i < npts && !bg_charge(g.m->nextrudes); i++) { /* over budget: the caller drops the mesh */
        double x[3];
        ms_point(&R, i, x);
        R.in[i] = (unsigned char)ms_inside(&g, x);
    }
    hm_init(&R.map, 2048);
    /* the six tetrahedra of a cube: paths 0 -> e_a -> e_a + e_b -> (1,1,1) */
    static const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    int64_t step[3] = {1, nx, nx * ny};
    for (int64_t k = 0; k + 1 < nz && !bg_charge(nx * ny); k++)
        for (int64_t j = 0; j + 1 < ny; j++)
            for (int64_t i = 0; i + 1 < nx; i++) {
                int64_t c0 = i + nx * (j + ny * k);
                int64_t c7 = c0 + step[0] + step[1] + step[2];
                unsigned char s0 = R.in[c0];
                int mixed = 0;
                for (int d = 0; d < 8 && !mixed; d++) {
                    int64_t id = c0 + (d & 1 ? step[0] : 0) + (d & 2 ? step[1] : 0) + (d & 4 ? step[2] : 0);
                    mixed = R.in[id] != s0;
                }
                if (!mixed) continue;
                for (int t = 0; t < 6; t++) {
                    int64_t tv[4] = {c0, c0 + step[perm[t][0]], c0 + step[perm[t][0]] + step[perm[t][1]], c7};
                    ms_tet(&R, tv);
                }
            }
    ms_sharpen(&R);
    for (int a = 0; a < 3; a++) free(R.ax[a].c);
    free(R.vplane);
    free(R.in);
    hm_free(&R.map);
    free(g.box);
    free(g.w0);
    free(g.w1);
    return 0;
}
