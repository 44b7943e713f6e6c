/* mesh.c - see mesh.h: model checks, profile polygonisation, mesh measures and file export.
 * The meshers themselves are in mesh_cells.c (parallel extrusions) and mesh_grid.c (others). */
#include "geom/mesh.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "geom/geo2d.h"
#include "geom/mesh_int.h"
#include "geom/sketch.h"
#include "geom/solid.h"
#include "base/budget.h"
#include "base/tol.h"
#include "base/util.h"

#define MS_PI 3.14159265358979323846
#define MS_GRID_CELLS 128     /* grid mesher: cells along the part's diagonal at the automatic tolerance */
#define MS_GRID_MIN_CELLS 32  /* ... for a coarser tolerance, at least */
#define MS_GRID_MAX_CELLS 256 /* ... for a finer one, at most (the volume check may ask for more) */

/* ---------------------------------------------------------------- mesh container */

int ms_add_vertex(ms_mesh *m, double x, double y, double z) {
    ut_grow((void **)&m->v, &m->cap_v, 3 * (m->nv + 1), sizeof *m->v);
    double *p = m->v + 3 * m->nv;
    p[0] = x;
    p[1] = y;
    p[2] = z;
    return m->nv++;
}

void ms_add_tri(ms_mesh *m, int a, int b, int c) {
    ut_grow((void **)&m->t, &m->cap_t, 3 * (m->nt + 1), sizeof *m->t);
    int *t = m->t + 3 * m->nt++;
    t[0] = a;
    t[1] = b;
    t[2] = c;
}

void ms_free(ms_mesh *m) {
    free(m->v);
    free(m->t);
    memset(m, 0, sizeof *m);
}

int ms_bbox(const ms_mesh *m, double lo[3], double hi[3]) {
    if (m->nv <= 0) return -1;
    for (int k = 0; k < 3; k++) lo[k] = hi[k] = m->v[k];
    for (int i = 1; i < m->nv; i++)
        for (int k = 0; k < 3; k++) {
            double x = m->v[3 * i + k];
            if (x < lo[k]) lo[k] = x;
            if (x > hi[k]) hi[k] = x;
        }
    return 0;
}

/* ---------------------------------------------------------------- measures */

double ms_volume(const ms_mesh *m) {
    /* divergence theorem about the first vertex (keeps the sum well conditioned) */
    if (m->nv == 0) return 0;
    const double *o = m->v;
    double s = 0;
    for (int i = 0; i < m->nt; i++) {
        const double *a = m->v + 3 * m->t[3 * i], *b = m->v + 3 * m->t[3 * i + 1], *c = m->v + 3 * m->t[3 * i + 2];
        double ax = a[0] - o[0], ay = a[1] - o[1], az = a[2] - o[2];
        double bx = b[0] - o[0], by = b[1] - o[1], bz = b[2] - o[2];
        double cx = c[0] - o[0], cy = c[1] - o[1], cz = c[2] - o[2];
        s += ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx);
    }
    return s / 6.0;
}

double ms_area(const ms_mesh *m) {
    double s = 0;
    for (int i = 0; i < m->nt; i++) {
        const double *a = m->v + 3 * m->t[3 * i], *b = m->v + 3 * m->t[3 * i + 1], *c = m->v + 3 * m->t[3 * i + 2];
        double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]}, w[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
        double n0 = u[1] * w[2] - u[2] * w[1], n1 = u[2] * w[0] - u[0] * w[2], n2 = u[0] * w[1] - u[1] * w[0];
        s += 0.5 * sqrt(n0 * n0 + n1 * n1 + n2 * n2);
    }
    return s;
}

int ms_sample_surface(const ms_mesh *m, int n, uint64_t seed, double *pts) {
    if (n <= 0) return 0;
    double *cum = ut_malloc(((size_t)m->nt + 1) * sizeof *cum), total = 0;
    for (int i = 0; i < m->nt; i++) {
        const double *a = m->v + 3 * m->t[3 * i], *b = m->v + 3 * m->t[3 * i + 1], *c = m->v + 3 * m->t[3 * i + 2];
        double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]}, w[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
        double n0 = u[1] * w[2] - u[2] * w[1], n1 = u[2] * w[0] - u[0] * w[2], n2 = u[0] * w[1] - u[1] * w[0];
        total += 0.5 * sqrt(n0 * n0 + n1 * n1 + n2 * n2);
        cum[i] = total;
    }
    if (!(total > 0)) {
        free(cum);
        return ut_fail("the mesh has no area to sample");
    }
    ut_rng r;
    ut_rng_seed(&r, seed);
    for (int k = 0; k < n; k++) {
        double x = total * ut_rng_uniform(&r);
        int lo = 0, hi = m->nt - 1;
        while (lo < hi) { /* first triangle with cum > x */
            int mid = (lo + hi) / 2;
            if (cum[mid] > x) hi = mid;
            else lo = mid + 1;
        }
        const double *a = m->v + 3 * m->t[3 * lo], *b = m->v + 3 * m->t[3 * lo + 1], *c = m->v + 3 * m->t[3 * lo + 2];
        double s = ut_rng_uniform(&r), t = ut_rng_uniform(&r);
        if (s + t > 1) s = 1 - s, t = 1 - t; /* fold the square onto the triangle */
        for (int d = 0; d < 3; d++) pts[3 * k + d] = a[d] + s * (b[d] - a[d]) + t * (c[d] - a[d]);
    }
    free(cum);
    return n;
}

static int ms_cmp_pair(const void *a, const void *b) {
    const uint64_t *x = a, *y = b; /* key, value */
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* sorts keys[0..n-1] ascending, moving vals (may be NULL) along; equal keys keep their order.
   LSD radix with 16-bit digits; small inputs go through qsort on (key, position) pairs. */
static void ms_radix_sort(uint64_t *keys, int *vals, size_t n) {
    if (n < 16384) {
        uint64_t *p = ut_malloc((2 * n + 1) * sizeof *p);
        for (size_t i = 0; i < n; i++) {
            p[2 * i] = keys[i];
            p[2 * i + 1] = i;
        }
        qsort(p, n, 2 * sizeof *p, ms_cmp_pair);
        int *vt = vals ? ut_malloc((n + 1) * sizeof *vt) : NULL;
        for (size_t i = 0; i < n; i++) {
            keys[i] = p[2 * i];
            if (vals) vt[i] = vals[p[2 * i + 1]];
        }
        if (vals) memcpy(vals, vt, n * sizeof *vals);
        free(vt);
        free(p);
        return;
    }
    uint64_t *kt = ut_malloc((n + 1) * sizeof *kt);
    int *vt = vals ? ut_malloc((n + 1) * sizeof *vt) : NULL;
    size_t *cnt = ut_malloc(65537 * sizeof *cnt);
    for (int pass = 0; pass < 4; pass++) {
        int sh = 16 * pass;
        memset(cnt, 0, 65537 * sizeof *cnt);
        for (size_t i = 0; i < n; i++) cnt[((keys[i] >> sh) & 0xffff) + 1]++;
        if (cnt[1] == n) continue; /* every key has this digit 0 */
        for (int d = 0; d < 65536; d++) cnt[d + 1] += cnt[d];
        for (size_t i = 0; i < n; i++) {
            size_t j = cnt[(keys[i] >> sh) & 0xffff]++;
            kt[j] = keys[i];
            if (vals) vt[j] = vals[i];
        }
        memcpy(keys, kt, n * sizeof *keys);
        if (vals) memcpy(vals, vt, n * sizeof *vals);
    }
    free(kt);
    free(vt);
    free(cnt);
}


int ms_check_watertight(const ms_mesh *m) {
    if (m->nt == 0) return ut_fail("mesh has no triangle");
    size_t ne = (size_t)m->nt * 3;
    uint64_t *e = ut_malloc(ne * sizeof *e), *r = ut_malloc(ne * sizeof *r);
    for (int i = 0; i < m->nt; i++)
        for (int k = 0; k < 3; k++) {
            int a = m->t[3 * i + k], b = m->t[3 * i + (k + 1) % 3];
            if (a < 0 || a >= m->nv || b < 0 || b >= m->nv) {
                free(e);
                free(r);
                return ut_fail("triangle %d has a vertex index out of range", i);
            }
            if (a == b) {
                free(e);
                free(r);
                return ut_fail("triangle %d repeats vertex %d", i, a);
            }
            e[3 * (size_t)i + k] = (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
            r[3 * (size_t)i + k] = (uint64_t)(uint32_t)b << 32 | (uint32_t)a;
        }
    /* closed and consistently oriented <=> the directed edges are distinct and their set equals
       the set of reversed edges */
    ms_radix_sort(e, NULL, ne);
    ms_radix_sort(r, NULL, ne);
    int rc = 0;
    for (size_t i = 0; i < ne && rc == 0; i++) {
        if (i + 1 < ne && e[i + 1] == e[i])
            rc = ut_fail("edge %u->%u is used twice in the same direction", (unsigned)(e[i] >> 32), (unsigned)(uint32_t)e[i]);
        else if (e[i] != r[i]) {
            uint64_t x = e[i] < r[i] ? e[i] : r[i]; /* the smaller one lacks its partner */
            rc = ut_fail("edge %u->%u has no opposite edge (open or inconsistently oriented)", (unsigned)(x >> 32), (unsigned)(uint32_t)x);
        }
    }
    free(e);
    free(r);
    return rc;
}

int ms_check_closed(const ms_mesh *m) {
    if (m->nt == 0) return ut_fail("mesh has no triangle");
    size_t ne = (size_t)m->nt * 3;
    uint64_t *d = ut_malloc(ne * sizeof *d), *o = ut_malloc(ne * sizeof *o);
    for (size_t i = 0; i < ne; i++) {
        uint32_t a = (uint32_t)m->t[i], b = (uint32_t)m->t[i - i % 3 + (i % 3 + 1) % 3];
        d[i] = (uint64_t)a << 32 | b; /* the edge, and the opposite use that must cancel it */
        o[i] = (uint64_t)b << 32 | a;
    }
    /* each directed edge must occur as often as its reverse: the sorted lists must be equal */
    ms_radix_sort(d, NULL, ne);
    ms_radix_sort(o, NULL, ne);
    int rc = 0;
    for (size_t i = 0; i < ne && rc == 0; i++)
        if (d[i] != o[i]) rc = ut_fail("edge %u->%u is not matched by an opposite edge", (unsigned)(d[i] >> 32), (unsigned)(uint32_t)d[i]);
    free(d);
    free(o);
    return rc;
}

/* ---------------------------------------------------------------- export */

static void ms_put_f32(unsigned char *p, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    for (int k = 0; k < 4; k++) p[k] = (unsigned char)(u >> (8 * k)); /* little-endian */
}

int ms_write_stl(const ms_mesh *m, const char *path) {
    ut_atomic a;
    if (ut_atomic_open(&a, path) < 0) return -1;
    unsigned char head[84] = {0};
    snprintf((char *)head, 80, "recad binary STL, %d triangles, mm", m->nt);
    uint32_t n = (uint32_t)m->nt;
    for (int k = 0; k < 4; k++) head[80 + k] = (unsigned char)(n >> (8 * k));
    int ok = fwrite(head, 1, 84, a.f) == 84;
    unsigned char rec[50];
    for (int i = 0; i < m->nt && ok; i++) {
        const double *p[3];
        for (int k = 0; k < 3; k++) p[k] = m->v + 3 * m->t[3 * i + k];
        double u[3], w[3], nn[3];
        for (int k = 0; k < 3; k++) {
            u[k] = p[1][k] - p[0][k];
            w[k] = p[2][k] - p[0][k];
        }
        nn[0] = u[1] * w[2] - u[2] * w[1];
        nn[1] = u[2] * w[0] - u[0] * w[2];
        nn[2] = u[0] * w[1] - u[1] * w[0];
        double l = sqrt(nn[0] * nn[0] + nn[1] * nn[1] + nn[2] * nn[2]);
        for (int k = 0; k < 3; k++) ms_put_f32(rec + 4 * k, l > 0 ? (float)(nn[k] / l) : 0.0f);
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++) ms_put_f32(rec + 12 + 12 * j + 4 * k, (float)p[j][k]);
        rec[48] = rec[49] = 0;
        ok = fwrite(rec, 1, 50, a.f) == 50;
    }
    if (!ok) {
        ut_atomic_abort(&a);
        return ut_fail("cannot write %s", path);
    }
    return ut_atomic_commit(&a);
}

int ms_write_obj(const ms_mesh *m, const char *path) {
    ut_atomic a;
    if (ut_atomic_open(&a, path) < 0) return -1;
    int ok = fprintf(a.f, "# recad mesh: %d vertices, %d triangles, mm\n", m->nv, m->nt) > 0;
    for (int i = 0; i < m->nv && ok; i++)
        ok = fprintf(a.f, "v %.10g %.10g %.10g\n", m->v[3 * i], m->v[3 * i + 1], m->v[3 * i + 2]) > 0;
    for (int i = 0; i < m->nt && ok; i++)
        ok = fprintf(a.f, "f %d %d %d\n", m->t[3 * i] + 1, m->t[3 * i + 1] + 1, m->t[3 * i + 2] + 1) > 0;
    if (!ok) {
        ut_atomic_abort(&a);
        return ut_fail("cannot write %s", path);
    }
    return ut_atomic_commit(&a);
}

/* ---------------------------------------------------------------- model checks and box */

static int ms_finite(const double *p, int n) {
    for (int i = 0; i < n; i++)
        if (!isfinite(p[i])) return 0;
    return 1;
}

/* index ranges and numbers of everything an extrude reaches */
static int ms_check_model(const cad_model *m) {
    if (m->nextrudes <= 0) return ut_fail("model has no extrude");
    for (int i = 0; i < m->nextrudes; i++) {
        const cad_extrude *e = &m->extrudes[i];
        if (e->sketch < 0 || e->sketch >= m->nsketches) return ut_fail("extrude %d: sketch index out of range", i);
        if (!isfinite(e->d1) || !isfinite(e->d2)) return ut_fail("extrude %d: non-finite extent", i);
        if ((unsigned)e->op > CAD_INTERSECT || (unsigned)e->kind > CAD_EXT_SYM) return ut_fail("extrude %d: bad op or extent kind", i);
    }
    for (int s = 0; s < m->nsketches; s++) {
        const cad_sketch *sk = &m->sketches[s];
        const cad_plane *pl = &sk->plane;
        if (!ms_finite(pl->origin, 3) || !ms_finite(pl->x, 3) || !ms_finite(pl->y, 3) || !ms_finite(pl->n, 3))
            return ut_fail("sketch %d: non-finite plane", s);
        double nl = pl->n[0] * pl->n[0] + pl->n[1] * pl->n[1] + pl->n[2] * pl->n[2];
        if (fabs(nl - 1) > 1e-6) return ut_fail("sketch %d: plane normal is not a unit vector", s);
        if (sk->first < 0 || sk->n < 0 || sk->first > m->nfaces - sk->n) return ut_fail("sketch %d: face range out of bounds", s);
        for (int f = sk->first; f < sk->first + sk->n; f++) {
            const cad_face *fc = &m->faces[f];
            if (fc->first < 0 || fc->n < 0 || fc->first > m->nloops - fc->n) return ut_fail("face %d: loop range out of bounds", f);
            for (int l = fc->first; l < fc->first + fc->n; l++) {
                const cad_loop *lp = &m->loops[l];
                if (lp->first < 0 || lp->n < 0 || lp->first > m->ncurves - lp->n) return ut_fail("loop %d: curve range out of bounds", l);
                for (int c = lp->first; c < lp->first + lp->n; c++) {
                    const cad_curve *cv = &m->curves[c];
                    if ((unsigned)cv->kind > CAD_CIRCLE) return ut_fail("curve %d: unknown kind", c);
                    int np = cv->kind == CAD_LINE ? 4 : cv->kind == CAD_ARC ? 6 : 3;
                    if (!ms_finite(cv->p, np)) return ut_fail("curve %d (line %d): non-finite coordinate", c, cv->line);
                }
            }
        }
    }
    return 0;
}

static void ms_box_add(double lo[3], double hi[3], const double p[3]) {
    for (int k = 0; k < 3; k++) {
        if (p[k] < lo[k]) lo[k] = p[k];
        if (p[k] > hi[k]) hi[k] = p[k];
    }
}

int ms_model_box(const cad_model *m, double lo[3], double hi[3]) {
    for (int k = 0; k < 3; k++) {
        lo[k] = INFINITY;
        hi[k] = -INFINITY;
    }
    for (int i = 0; i < m->nextrudes; i++) {
        const cad_extrude *e = &m->extrudes[i];
        const cad_sketch *sk = &m->sketches[e->sketch];
        double u0 = INFINITY, u1 = -INFINITY, v0 = INFINITY, v1 = -INFINITY;
        for (int f = sk->first; f < sk->first + sk->n; f++)
            for (int l = m->faces[f].first; l < m->faces[f].first + m->faces[f].n; l++)
                for (int c = m->loops[l].first; c < m->loops[l].first + m->loops[l].n; c++) {
                    const cad_curve *cv = &m->curves[c];
                    double pts[8];
                    int np = 0;
                    double cx, cy, r, a0, sw;
                    if (cv->kind == CAD_LINE) {
                        memcpy(pts, cv->p, 4 * sizeof(double));
                        np = 2;
                    } else if (cv->kind == CAD_CIRCLE || cad_arc_geom(cv->p, &cx, &cy, &r, &a0, &sw) == 0) {
                        if (cv->kind == CAD_CIRCLE) {
                            cx = cv->p[0];
                            cy = cv->p[1];
                            r = fabs(cv->p[2]);
                        }
                        double q[8] = {cx - r, cy - r, cx + r, cy + r};
                        memcpy(pts, q, 4 * sizeof(double));
                        np = 2;
                    } else {
                        memcpy(pts, cv->p, 6 * sizeof(double));
                        np = 3;
                    }
                    for (int k = 0; k < np; k++) {
                        u0 = fmin(u0, pts[2 * k]);
                        u1 = fmax(u1, pts[2 * k]);
                        v0 = fmin(v0, pts[2 * k + 1]);
                        v1 = fmax(v1, pts[2 * k + 1]);
                    }
                }
        if (!(u0 <= u1)) continue;
        double w0, w1;
        cad_extrude_slab(e, &w0, &w1);
        for (int k = 0; k < 8; k++) {
            double p[3];
            cad_plane_to_world(&sk->plane, k & 1 ? u1 : u0, k & 2 ? v1 : v0, k & 4 ? w1 : w0, p);
            ms_box_add(lo, hi, p);
        }
    }
    return lo[0] <= hi[0] ? 0 : -1;
}

/* the exact volume and box of the model's solid; -1 + ut_error() if broken or empty */
static int ms_exact(const cad_model *m, double *volume, double lo[3], double hi[3]) {
    sd_solid *s = sd_build(m);
    if (!s) return -1;
    *volume = sd_volume(s);
    int rc = *volume > 0 ? sd_bbox(s, lo, hi) : -1;
    sd_free(s);
    if (bg_exceeded()) return bg_fail("meshing"); /* the volume or the box is void */
    if (rc < 0) {
        ut_clear_error();
        return ut_fail("the model's solid is empty");
    }
    return 0;
}

static double ms_diag(const double lo[3], const double hi[3]) {
    return sqrt((hi[0] - lo[0]) * (hi[0] - lo[0]) + (hi[1] - lo[1]) * (hi[1] - lo[1]) + (hi[2] - lo[2]) * (hi[2] - lo[2]));
}

double ms_part_size(const cad_model *m) {
    double v, lo[3], hi[3];
    if (ms_check_model(m) < 0 || ms_exact(m, &v, lo, hi) < 0) return -1;
    return ms_diag(lo, hi);
}

double ms_default_tol(const cad_model *m) {
    double size = ms_part_size(m);
    return size > 0 ? MS_AUTO_TOL_REL * size : -1;
}

/* ---------------------------------------------------------------- polygonisation */

int ms_arc_segments(double r, double sweep, double tol, double rel) {
    double s = tol;
    if (rel > 0 && rel * r < s) s = rel * r;
    double step = MS_PI / 4; /* at least one chord per 45 degrees */
    if (s > 0 && s < r) {
        double t = 2.0 * acos(1.0 - s / r); /* angle of a chord with sagitta s */
        if (t < step) step = t;
    }
    double n = ceil(fabs(sweep) / step - TOL_STEP);
    if (n < 1) n = 1;
    if (n > 1e6) n = 1e6;
    return (int)n;
}

/* points of one curve, start to end inclusive (a circle: its n distinct points, closed) */
typedef struct {
    double *p; /* n*2 */
    int n, cap;
} ms_pts;

static void ms_pts_add(ms_pts *q, double u, double v) {
    ut_grow((void **)&q->p, &q->cap, 2 * (q->n + 1), sizeof *q->p);
    q->p[2 * q->n] = u;
    q->p[2 * q->n + 1] = v;
    q->n++;
}

/* Radius of the interior chord vertices of an arc of radius r split into n chords of angle phi
 * whose two end points stay on the arc: the one that makes the polygon's fan from the centre
 * exactly as large as the circular sector, so chords lose no area:
 *   (n-2) r'^2 sin(phi) + 2 r r' sin(phi) = n phi r^2   (n >= 2; a full circle: n r'^2 sin = n phi r^2) */
static double ms_area_radius(double r, int n, double phi, int closed) {
    double sp = sin(phi);
    if (!(sp > 0)) return r;
    if (closed) return r * sqrt(phi / sp);
    double a = (n - 2) * sp, b = 2 * r * sp, c = -n * phi * r * r;
    if (a == 0) return -c / b;
    return (-b + sqrt(b * b - 4 * a * c)) / (2 * a);
}

static void ms_curve_points(const cad_curve *c, double tol, double rel, ms_pts *q) {
    q->n = 0;
    double cx, cy, r, a0, sw;
    if (c->kind == CAD_LINE) {
        ms_pts_add(q, c->p[0], c->p[1]);
        ms_pts_add(q, c->p[2], c->p[3]);
    } else if (c->kind == CAD_CIRCLE) {
        r = fabs(c->p[2]);
        if (!(r > 0)) return;
        int n = ms_arc_segments(r, 2 * MS_PI, tol, rel);
        if (n < 8) n = 8;
        double rr = ms_area_radius(r, n, 2 * MS_PI / n, 1);
        for (int i = 0; i < n; i++) {
            double a = 2 * MS_PI * i / n;
            ms_pts_add(q, c->p[0] + rr * cos(a), c->p[1] + rr * sin(a));
        }
    } else if (cad_arc_geom(c->p, &cx, &cy, &r, &a0, &sw) == 0) {
        /* 3/4 of the tolerance: with its end points pinned, an arc's lifted interior vertices
           stand out by up to 4/3 of the chord sagitta (two chords) */
        int n = ms_arc_segments(r, sw, 0.75 * tol, 0.75 * rel);
        double rr = n >= 2 ? ms_area_radius(r, n, fabs(sw) / n, 0) : r;
        ms_pts_add(q, c->p[0], c->p[1]);
        for (int i = 1; i < n; i++) {
            double a = a0 + sw * i / n;
            ms_pts_add(q, cx + rr * cos(a), cy + rr * sin(a));
        }
        ms_pts_add(q, c->p[4], c->p[5]);
    } else { /* collinear three-point arc: the polyline through its points */
        for (int k = 0; k < 3; k++) ms_pts_add(q, c->p[2 * k], c->p[2 * k + 1]);
    }
}

static void ms_ring_begin(ms_profiles *p, int face, int loop, int hole) {
    ms_ring *r = UT_PUSH(p->rings, p->nrings, p->cap_rings);
    r->first = p->npt;
    r->n = 0;
    r->face = face;
    r->loop = loop;
    r->hole = hole;
}

static void ms_ring_point(ms_profiles *p, double u, double v) {
    ut_grow((void **)&p->pt, &p->cap_pt, 2 * (p->npt + 1), sizeof *p->pt);
    p->pt[2 * p->npt] = u;
    p->pt[2 * p->npt + 1] = v;
    p->npt++;
    p->rings[p->nrings - 1].n++;
}

#define MS_INDEX_MIN 32 /* rings with at least this many points get an edge index */

/* the row of v in ring r's index (clamped) */
static int ms_ring_row(const ms_ring *r, double v) {
    double f = (v - r->lo[1]) / (r->hi[1] - r->lo[1]) * r->nb;
    int j = (int)f;
    return j < 0 ? 0 : j >= r->nb ? r->nb - 1 : j;
}

/* builds the edge index of ring r (one row per 4 points): counts per row, offsets, edges */
static void ms_ring_index(ms_profiles *p, ms_ring *r) {
    r->nb = 0;
    if (r->n < MS_INDEX_MIN || !(r->hi[1] > r->lo[1])) return;
    int nb = r->n / 4;
    r->nb = nb; /* ms_ring_row reads it */
    const double *q = p->pt + 2 * r->first;
    int *cnt = ut_calloc((size_t)nb + 1, sizeof *cnt), total = 0;
    for (int i = 0, j = r->n - 1; i < r->n; j = i++) {
        int a = ms_ring_row(r, fmin(q[2 * i + 1], q[2 * j + 1])), b = ms_ring_row(r, fmax(q[2 * i + 1], q[2 * j + 1]));
        for (int k = a; k <= b; k++) cnt[k]++, total++;
    }
    r->bk = p->nbko;
    ut_grow((void **)&p->bko, &p->cap_bko, p->nbko + nb + 1, sizeof *p->bko);
    ut_grow((void **)&p->bke, &p->cap_bke, p->nbke + total, sizeof *p->bke);
    int *off = p->bko + r->bk;
    off[0] = p->nbke;
    for (int k = 0; k < nb; k++) off[k + 1] = off[k] + cnt[k], cnt[k] = off[k]; /* cnt: fill cursor */
    for (int i = 0, j = r->n - 1; i < r->n; j = i++) {
        int a = ms_ring_row(r, fmin(q[2 * i + 1], q[2 * j + 1])), b = ms_ring_row(r, fmax(q[2 * i + 1], q[2 * j + 1]));
        for (int k = a; k <= b; k++) p->bke[cnt[k]++] = i;
    }
    p->nbko += nb + 1;
    p->nbke += total;
    free(cnt);
}

static void ms_ring_end(ms_profiles *p) {
    ms_ring *r = &p->rings[p->nrings - 1];
    if (r->n < 3) { /* degenerate: drop */
        p->npt = r->first;
        p->nrings--;
        return;
    }
    const double *q = p->pt + 2 * r->first;
    r->lo[0] = r->hi[0] = q[0];
    r->lo[1] = r->hi[1] = q[1];
    for (int i = 1; i < r->n; i++)
        for (int k = 0; k < 2; k++) r->lo[k] = fmin(r->lo[k], q[2 * i + k]), r->hi[k] = fmax(r->hi[k], q[2 * i + k]);
    ms_ring_index(p, r);
}

/* one loop: circles become rings of their own; the other curves are put in chain order by
   g2_chain_order (each may be reversed) and form one ring whose shared end points are snapped
   together */
static void ms_loop_rings(const cad_model *m, int face, int loop, int hole, double tol, double rel, ms_profiles *p) {
    const cad_loop *lp = &m->loops[loop];
    ms_pts q = {0};
    int *rest = ut_malloc((size_t)(lp->n + 1) * sizeof *rest), nrest = 0;
    for (int c = lp->first; c < lp->first + lp->n; c++) {
        if (m->curves[c].kind == CAD_CIRCLE) {
            ms_curve_points(&m->curves[c], tol, rel, &q);
            ms_ring_begin(p, face, loop, hole);
            for (int i = 0; i < q.n; i++) ms_ring_point(p, q.p[2 * i], q.p[2 * i + 1]);
            ms_ring_end(p);
        } else {
            rest[nrest++] = c;
        }
    }
    if (nrest > 0) {
        ms_ring_begin(p, face, loop, hole);
        /* chain order from the exact curves' end points (geo2d), then the polylines in that order */
        g2_curve *g = ut_malloc((size_t)nrest * sizeof *g);
        int *order = ut_malloc((size_t)nrest * sizeof *order), *flip = ut_malloc((size_t)nrest * sizeof *flip);
        for (int k = 0; k < nrest; k++) sk_curve_to_g2_loose(&m->curves[rest[k]], &g[k]);
        g2_chain_order(g, nrest, 1, order, flip);
        for (int k = 0; k < nrest; k++) {
            ms_curve_points(&m->curves[rest[order[k]]], tol, rel, &q);
            /* emit all points but the last (the next curve's start replaces it) */
            for (int i = 0; i < q.n - 1; i++) {
                int j = flip[k] ? q.n - 1 - i : i;
                ms_ring_point(p, q.p[2 * j], q.p[2 * j + 1]);
            }
        }
        free(g);
        free(order);
        free(flip);
        ms_ring_end(p);
    }
    free(rest);
    free(q.p);
}

int ms_polygonise(const cad_model *m, double tol, double rel, ms_profiles *p) {
    memset(p, 0, sizeof *p);
    if (ms_check_model(m) < 0) return -1;
    p->sk_first = ut_calloc((size_t)m->nsketches + 1, sizeof *p->sk_first);
    p->sk_n = ut_calloc((size_t)m->nsketches + 1, sizeof *p->sk_n);
    char *used = ut_calloc((size_t)m->nsketches + 1, 1);
    for (int i = 0; i < m->nextrudes; i++) used[m->extrudes[i].sketch] = 1;
    for (int s = 0; s < m->nsketches; s++) {
        p->sk_first[s] = p->nrings;
        if (!used[s]) continue;
        const cad_sketch *sk = &m->sketches[s];
        for (int f = sk->first; f < sk->first + sk->n; f++)
            for (int l = 0; l < m->faces[f].n; l++) ms_loop_rings(m, f, m->faces[f].first + l, l > 0, tol, rel, p);
        p->sk_n[s] = p->nrings - p->sk_first[s];
    }
    free(used);
    return 0;
}

void ms_profiles_free(ms_profiles *p) {
    free(p->bko);
    free(p->bke);
    free(p->pt);
    free(p->rings);
    free(p->sk_first);
    free(p->sk_n);
    memset(p, 0, sizeof *p);
}

/* ---------------------------------------------------------------- regions */

int ms_region(const ms_profiles *p, int s, ms_ring_in_fn ring_in, const void *ctx) {
    int i = p->sk_first[s], end = i + p->sk_n[s];
    while (i < end) {
        int face = p->rings[i].face, in_outer = 0, in_hole = 0;
        while (i < end && p->rings[i].face == face) {
            int loop = p->rings[i].loop, hole = p->rings[i].hole, par = 0;
            for (; i < end && p->rings[i].face == face && p->rings[i].loop == loop; i++) par ^= ring_in(p, i, ctx);
            if (hole) in_hole |= par;
            else in_outer ^= par;
        }
        if (in_outer && !in_hole) return 1;
    }
    return 0;
}

int ms_ring_contains(const ms_profiles *p, int r, double u, double v) {
    const ms_ring *rg = &p->rings[r];
    if (u < rg->lo[0] || u > rg->hi[0] || v < rg->lo[1] || v > rg->hi[1]) return 0;
    const double *q = p->pt + 2 * rg->first;
    int in = 0;
    if (rg->nb > 0) { /* the edges whose v range meets v's row (edge i runs from point i-1 to i) */
        int row = ms_ring_row(rg, v);
        for (int e = p->bko[rg->bk + row]; e < p->bko[rg->bk + row + 1]; e++) {
            int i = p->bke[e], j = i > 0 ? i - 1 : rg->n - 1;
            double yi = q[2 * i + 1], yj = q[2 * j + 1];
            if ((yi > v) != (yj > v)) {
                double x = q[2 * j] + (v - yj) * (q[2 * i] - q[2 * j]) / (yi - yj);
                if (u < x) in ^= 1;
            }
        }
        return in;
    }
    for (int i = 0, j = rg->n - 1; i < rg->n; j = i++) {
        double yi = q[2 * i + 1], yj = q[2 * j + 1];
        if ((yi > v) != (yj > v)) {
            double x = q[2 * j] + (v - yj) * (q[2 * i] - q[2 * j]) / (yi - yj);
            if (u < x) in ^= 1;
        }
    }
    return in;
}

typedef struct {
    double u, v;
} ms_uv;

static int ms_ring_in_point(const ms_profiles *p, int r, const void *ctx) {
    const ms_uv *q = ctx;
    return ms_ring_contains(p, r, q->u, q->v);
}

int ms_sketch_contains(const ms_profiles *p, int s, double u, double v) {
    ms_uv q = {u, v};
    return ms_region(p, s, ms_ring_in_point, &q);
}

/* ---------------------------------------------------------------- non-manifold repair */

/* Solids that touch themselves along an edge (two blocks meeting edge to edge) give edges with
 * four or more triangles. Around such an edge, sorted by angle, every wedge of solid runs from a
 * triangle using the edge b->a counter-clockwise (about a->b) to the next triangle, which uses
 * a->b; those two are paired. Then the triangle corners at each vertex are grouped into fans
 * connected through paired edges, and every fan after the first gets its own copy of the vertex:
 * the surface becomes a proper 2-manifold (each edge in exactly two triangles) without moving
 * any point. */

typedef struct {
    int lo, hi; /* undirected key */
    int he;     /* half-edge = 3 * triangle + corner (edge from corner to corner+1) */
} ms_he;


static int ms_uf_find(int *par, int i) {
    while (par[i] != i) {
        par[i] = par[par[i]];
        i = par[i];
    }
    return i;
}

static void ms_uf_union(int *par, int a, int b) {
    a = ms_uf_find(par, a);
    b = ms_uf_find(par, b);
    if (a < b) par[b] = a;
    else if (b < a) par[a] = b;
}

typedef struct {
    double ang;
    int he, fwd; /* fwd: uses the edge lo->hi */
} ms_fan;

static int ms_cmp_fan(const void *a, const void *b) {
    const ms_fan *p = a, *q = b;
    if (p->ang != q->ang) return p->ang < q->ang ? -1 : 1;
    return p->he - q->he;
}

/* joins the corners of the paired half-edges h (a->b) and g (b->a) */
static void ms_pair(int *par, const int *t, int h, int g) {
    int th = h / 3, ch = h % 3, tg = g / 3, cg = g % 3;
    /* h runs t[h] -> t[next(h)], g runs t[g] -> t[next(g)] with t[g] == t[next(h)] */
    ms_uf_union(par, 3 * th + ch, 3 * tg + (cg + 1) % 3);
    ms_uf_union(par, 3 * th + (ch + 1) % 3, 3 * tg + cg);
    (void)t;
}

static void ms_pair_group(const ms_mesh *m, int *par, const ms_he *g, int n, int ccw) {
    if (n == 2) {
        ms_pair(par, m->t, g[0].he, g[1].he);
        return;
    }
    const double *a = m->v + 3 * g[0].lo, *b = m->v + 3 * g[0].hi;
    double d[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]}, dl = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
    if (!(dl > 0)) return;
    for (int k = 0; k < 3; k++) d[k] /= dl;
    double e1[3] = {0, 0, 0};
    int ax = fabs(d[0]) < fabs(d[1]) ? (fabs(d[0]) < fabs(d[2]) ? 0 : 2) : (fabs(d[1]) < fabs(d[2]) ? 1 : 2);
    e1[ax] = 1;
    double dot = e1[0] * d[0] + e1[1] * d[1] + e1[2] * d[2];
    for (int k = 0; k < 3; k++) e1[k] -= dot * d[k];
    double l1 = sqrt(e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2]);
    for (int k = 0; k < 3; k++) e1[k] /= l1;
    double e2[3] = {d[1] * e1[2] - d[2] * e1[1], d[2] * e1[0] - d[0] * e1[2], d[0] * e1[1] - d[1] * e1[0]};
    ms_fan *f = ut_malloc((size_t)n * sizeof *f);
    for (int i = 0; i < n; i++) {
        int tr = g[i].he / 3, c = g[i].he % 3;
        const double *p = m->v + 3 * m->t[3 * tr + (c + 2) % 3]; /* the triangle's third vertex */
        double r[3] = {p[0] - a[0], p[1] - a[1], p[2] - a[2]};
        f[i].ang = atan2(r[0] * e2[0] + r[1] * e2[1] + r[2] * e2[2], r[0] * e1[0] + r[1] * e1[1] + r[2] * e1[2]);
        f[i].he = g[i].he;
        f[i].fwd = m->t[g[i].he] == g[0].lo;
    }
    qsort(f, (size_t)n, sizeof *f, ms_cmp_fan);
    for (int i = 0; i < n; i++) {
        const ms_fan *nx = &f[ccw ? (i + 1) % n : (i + n - 1) % n];
        if (!f[i].fwd && nx->fwd) ms_pair(par, m->t, f[i].he, nx->he);
    }
    free(f);
}

/* returns 1 if some edge had more than two triangles (and the mesh was changed), else 0 */
static int ms_make_manifold(ms_mesh *m, int ccw) {
    int nh = 3 * m->nt;
    uint64_t *key = ut_malloc((size_t)(nh + 1) * sizeof *key);
    int *hid = ut_malloc((size_t)(nh + 1) * sizeof *hid);
    for (int i = 0; i < nh; i++) {
        uint32_t a = (uint32_t)m->t[i], b = (uint32_t)m->t[i - i % 3 + (i % 3 + 1) % 3];
        key[i] = a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
        hid[i] = i;
    }
    ms_radix_sort(key, hid, (size_t)nh); /* stable: equal keys keep increasing half-edge ids */
    int bad = 0;
    for (int i = 0; i + 2 < nh && !bad; i++) bad = key[i] == key[i + 2];
    if (!bad) {
        free(key);
        free(hid);
        return 0;
    }
    ms_he *h = ut_malloc((size_t)(nh + 1) * sizeof *h);
    for (int i = 0; i < nh; i++) {
        h[i].lo = (int)(key[i] >> 32);
        h[i].hi = (int)(uint32_t)key[i];
        h[i].he = hid[i];
    }
    free(key);
    free(hid);
    int *par = ut_malloc((size_t)(nh + 1) * sizeof *par);
    for (int i = 0; i < nh; i++) par[i] = i;
    for (int i = 0; i < nh;) {
        int j = i;
        while (j < nh && h[j].lo == h[i].lo && h[j].hi == h[i].hi) j++;
        ms_pair_group(m, par, h + i, j - i, ccw);
        i = j;
    }
    /* one vertex per corner class: the first class of a vertex keeps its index */
    int nv0 = m->nv;
    int *owner = ut_malloc((size_t)(nv0 + 1) * sizeof *owner), *newid = ut_malloc((size_t)(nh + 1) * sizeof *newid);
    for (int i = 0; i < nv0; i++) owner[i] = -1;
    for (int i = 0; i < nh; i++) newid[i] = -1;
    for (int i = 0; i < nh; i++) {
        int r = ms_uf_find(par, i), v = m->t[i];
        if (newid[r] < 0) {
            if (owner[v] < 0) {
                owner[v] = r;
                newid[r] = v;
            } else {
                newid[r] = ms_add_vertex(m, m->v[3 * v], m->v[3 * v + 1], m->v[3 * v + 2]);
            }
        }
        m->t[i] = newid[r];
    }
    free(owner);
    free(newid);
    free(par);
    free(h);
    return 1;
}

/* Pairs the triangles of edges shared by more than two of them so that every wedge of solid is
 * bounded by a pair (ccw) - which separates solid blocks that touch along an edge; if some edge
 * still ends up in more than two triangles (the touching edge's end points are shared by one fan
 * only), the other pairing is tried, which treats the solid as connected through the edge. */
static void ms_manifold(ms_mesh *m) {
    int nv0 = m->nv;
    int *t0 = ut_malloc((size_t)m->nt * 3 * sizeof *t0);
    memcpy(t0, m->t, (size_t)m->nt * 3 * sizeof *t0);
    if (ms_make_manifold(m, 1) && ms_check_watertight(m) < 0) {
        ut_clear_error();
        m->nv = nv0;
        memcpy(m->t, t0, (size_t)m->nt * 3 * sizeof *t0);
        ms_make_manifold(m, 0);
        if (ms_check_watertight(m) < 0) { /* neither works: keep the first (closed, not 2-manifold) */
            ut_clear_error();
            m->nv = nv0;
            memcpy(m->t, t0, (size_t)m->nt * 3 * sizeof *t0);
            ms_make_manifold(m, 1);
        }
    }
    free(t0);
}

/* ---------------------------------------------------------------- entry point */

/* ms_simplify, kept only if the result is closed and its volume did not move (a safety net: the
   collapses are designed to preserve both; a mesh that was not watertight before stays as it was) */
static void ms_simplify_checked(ms_mesh *m) {
    ms_mesh keep = {0};
    keep.nv = keep.cap_v = m->nv;
    keep.nt = keep.cap_t = m->nt;
    keep.v = ut_malloc((size_t)m->nv * 3 * sizeof *keep.v);
    keep.t = ut_malloc((size_t)m->nt * 3 * sizeof *keep.t);
    memcpy(keep.v, m->v, (size_t)m->nv * 3 * sizeof *keep.v);
    memcpy(keep.t, m->t, (size_t)m->nt * 3 * sizeof *keep.t);
    keep.cap_v *= 3;
    keep.cap_t *= 3;
    double v0 = ms_volume(m);
    ms_simplify(m, 0);
    if (ms_check_watertight(m) < 0 || !(fabs(ms_volume(m) - v0) <= TOL_REL * fabs(v0))) {
        ut_clear_error();
        ms_free(m);
        *m = keep;
        return;
    }
    ms_free(&keep);
}

/* one meshing attempt: 0 with a closed mesh in out, or -1 (ut_error() set when the model itself
   is at fault; a mesh that is not closed is emptied and left to the volume check) */
static int ms_attempt(const cad_model *m, double chord, double rel, int parallel, double diag, const double lo[3],
                      const double hi[3], double cells, ms_mesh *out, int *capped) {
    ms_profiles p;
    if (ms_polygonise(m, chord, rel, &p) < 0) return -1;
    int rc = parallel ? ms_mesh_cells(m, &p, diag, out) : ms_mesh_grid(m, &p, lo, hi, cells, out, capped);
    ms_profiles_free(&p);
    if (rc == 0 && (bg_charge(8L * out->nt) || bg_exceeded())) rc = bg_fail("meshing"); /* the mesh so far is incomplete */
    if (rc < 0) {
        ms_free(out);
        return -1;
    }
    if (out->nt > 0) {
        if (parallel) ms_manifold(out); /* the grid mesher's output is a 2-manifold already */
        ms_simplify_checked(out);
    }
    if (bg_exceeded()) {
        ms_free(out);
        return bg_fail("meshing");
    }
    if (out->nt > 0 && ms_check_closed(out) < 0) {
        ut_clear_error();
        ms_free(out);
    }
    return 0;
}

int ms_from_model(const cad_model *m, double tol, ms_mesh *out) { return ms_from_model_stats(m, tol, out, NULL); }

static int ms_mesh_model(const cad_model *m, double tol, double tol_rel, ms_mesh *out, ms_stats *st);

int ms_from_model_stats(const cad_model *m, double tol, ms_mesh *out, ms_stats *st) {
    return ms_mesh_model(m, tol, 0, out, st);
}

int ms_from_model_rel(const cad_model *m, double rel, ms_mesh *out) {
    memset(out, 0, sizeof *out);
    if (!(rel >= MS_MIN_TOL_REL && rel <= 1)) {
        ut_fail("relative chord tolerance %g is outside [%g, 1]", rel, MS_MIN_TOL_REL);
        return MS_BAD_TOL;
    }
    return ms_mesh_model(m, 0, rel, out, NULL);
}

/* tol_rel > 0: the tolerance is tol_rel * size (tol ignored) */
static int ms_mesh_model(const cad_model *m, double tol, double tol_rel, ms_mesh *out, ms_stats *st) {
    ms_stats dummy;
    if (!st) st = &dummy;
    memset(st, 0, sizeof *st);
    memset(out, 0, sizeof *out);
    if (ms_check_model(m) < 0) return -1;
    if (!(tol <= 0 || isfinite(tol))) {
        ut_fail("chord tolerance must be a finite number");
        return MS_BAD_TOL;
    }
    double mlo[3], mhi[3], lo[3], hi[3], V;
    if (ms_model_box(m, mlo, mhi) < 0) return ut_fail("model has no curve to extrude");
    double diag = ms_diag(mlo, mhi);
    if (!(diag > 0) || !isfinite(diag)) return ut_fail("model has zero or infinite size");
    if (ms_exact(m, &V, lo, hi) < 0) return -1;
    double size = ms_diag(lo, hi);
    st->part_size = size;
    st->exact_volume = V;
    if (!(size > 0) || !isfinite(size)) return ut_fail("the part has zero or infinite size");
    if (tol > 0 && tol < MS_MIN_TOL_REL * size) {
        ut_fail("chord tolerance %g mm is below %g of the part's size (%.6g mm): at least %.3g mm", tol, MS_MIN_TOL_REL, size,
                MS_MIN_TOL_REL * size);
        return MS_BAD_TOL;
    }
    if (tol > size) {
        ut_fail("chord tolerance %g mm exceeds the part's size (%.6g mm)", tol, size);
        return MS_BAD_TOL;
    }
    if (tol_rel > 0) tol = tol_rel * size;
    double rel = tol > 0 ? 0 : 5e-4;
    if (!(tol > 0)) tol = MS_AUTO_TOL_REL * size;
    st->tol = tol;
    /* parallel extrusions (up to sign)? */
    const double *n0 = m->sketches[m->extrudes[0].sketch].plane.n;
    int parallel = 1;
    for (int i = 1; i < m->nextrudes; i++) {
        const double *n = m->sketches[m->extrudes[i].sketch].plane.n;
        if (fabs(n[0] * n0[0] + n[1] * n0[1] + n[2] * n0[2]) < 1 - TOL_AXIS) parallel = 0;
    }
    st->grid = !parallel;
    /* grid cells along the part's diagonal: MS_GRID_CELLS at the automatic tolerance */
    double cells = MS_GRID_CELLS * (MS_AUTO_TOL_REL * size) / tol;
    cells = fmin(fmax(cells, MS_GRID_MIN_CELLS), MS_GRID_MAX_CELLS);
    /* the grid's vertices lie on the chord polygons, and where another prism clips an arc the
       chords' error is not averaged out: a quarter of the tolerance costs little there */
    double chord = parallel ? tol : fmax(tol / 4, MS_MIN_TOL_REL * size), err = 0, allowed = 0, mv = 0;
    for (int k = 0; k <= MS_MAX_REFINE; k++) {
        int capped = 0;
        st->refinements = k;
        if (ms_attempt(m, chord, rel, parallel, diag, lo, hi, cells, out, &capped) < 0) return -1;
        mv = ms_volume(out);
        err = fabs(mv - V);
        allowed = fmin(MS_VOL_REL * V, tol * ms_area(out));
        st->mesh_volume = mv;
        st->allowed = allowed;
        if (out->nt > 0 && err <= allowed) return 0;
        ms_free(out);
        if (parallel) { /* finer chords, while they stay in the accepted range */
            if (chord / 4 < MS_MIN_TOL_REL * size) break;
            chord /= 4;
            rel /= 4;
        } else { /* a finer grid and finer chords (arcs clipped by other prisms), while the point budget allows */
            if (capped) break;
            cells *= 2;
            if (chord / 4 >= MS_MIN_TOL_REL * size) chord /= 4, rel /= 4;
        }
    }
    if (mv == 0) return ut_fail("meshing found no solid although the part's exact volume is %.6g mm^3", V);
    return ut_fail("the mesh's volume %.6g mm^3 differs from the part's exact volume %.6g mm^3 by %.2g%% (allowed %.2g%% at "
                   "chord tolerance %g mm) after %d finer attempts",
                   mv, V, 100 * err / V, 100 * allowed / V, tol, st->refinements);
}
