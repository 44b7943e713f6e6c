/* mesh_simplify.c - ms_simplify(): fewer triangles, same surface (see mesh.h).
 *
 * Half-edge collapses v -> u that cannot change the surface: v is removed only when its incident
 * triangles lie in one plane (v is interior to a flat region) or in exactly two planes with u on
 * both (v lies on a straight crease and slides along it onto u). A collapse is refused when it
 * would break the 2-manifold (link condition: u and v share exactly the two neighbours of their
 * common edge), flip a triangle or make one degenerate. Every point of the result therefore lies
 * on the input surface, the volume is unchanged up to rounding, and a closed, consistently
 * oriented mesh stays so. Vertices are visited in index order, in passes until nothing changes:
 * the result is deterministic.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geom/mesh.h"
#include "base/budget.h"
#include "base/tol.h"
#include "base/util.h"

#define MS_SIMPLIFY_MAX 512 /* largest vertex valence considered */

typedef struct {
    int *t; /* incident triangles (some may be dead) */
    int n, cap;
} ms_list;

typedef struct {
    ms_mesh *m;
    ms_list *inc;      /* per vertex */
    unsigned char *dead_t, *dead_v;
    int *stamp, cur;   /* per vertex: marks for set tests (stamp == cur: in the set) */
    unsigned char *dirty; /* per vertex: its neighbourhood changed since it was last tried */
    double eps;        /* plane distance tolerance, mm */
    double min_area2;  /* squared doubled area below which a triangle counts as degenerate */
} ms_sctx;

static void ms_list_add(ms_list *l, int t) { *UT_PUSH(l->t, l->n, l->cap) = t; }

static void ms_normal(const ms_mesh *m, const int *t, double n[3]) {
    const double *a = m->v + 3 * t[0], *b = m->v + 3 * t[1], *c = m->v + 3 * t[2];
    double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]}, w[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    n[0] = u[1] * w[2] - u[2] * w[1];
    n[1] = u[2] * w[0] - u[0] * w[2];
    n[2] = u[0] * w[1] - u[1] * w[0];
}

static double ms_dot(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

/* distance of point p from the plane through q with unit normal n */
static double ms_dist(const double *p, const double *q, const double *n) {
    return fabs((p[0] - q[0]) * n[0] + (p[1] - q[1]) * n[1] + (p[2] - q[2]) * n[2]);
}

typedef struct {
    double n[3]; /* unit normal */
    const double *q; /* a point of the plane */
} ms_plane;

/* live incident triangles of v (compacts the list); returns their count */
static int ms_live(ms_sctx *c, int v) {
    ms_list *l = &c->inc[v];
    int k = 0;
    for (int i = 0; i < l->n; i++) {
        int t = l->t[i];
        if (c->dead_t[t]) continue;
        const int *tv = c->m->t + 3 * t;
        if (tv[0] != v && tv[1] != v && tv[2] != v) continue; /* stale entry */
        l->t[k++] = t; /* no duplicates: a triangle joins u's list only if it did not contain u */
    }
    l->n = k;
    return k;
}

/* groups v's triangles into at most two planes; returns the number of planes (3 = more) */
static int ms_planes(ms_sctx *c, int v, ms_plane pl[2]) {
    const ms_mesh *m = c->m;
    const ms_list *l = &c->inc[v];
    if (l->n > MS_SIMPLIFY_MAX) return 3;
    unsigned char done[MS_SIMPLIFY_MAX];
    double nrm[MS_SIMPLIFY_MAX][3], area[MS_SIMPLIFY_MAX];
    for (int i = 0; i < l->n; i++) {
        done[i] = 0;
        ms_normal(m, m->t + 3 * l->t[i], nrm[i]);
        area[i] = ms_dot(nrm[i], nrm[i]);
    }
    int np = 0, left = l->n;
    while (left > 0) {
        if (np == 2) return 3;
        /* the plane of the largest unassigned triangle */
        int best = -1;
        for (int i = 0; i < l->n; i++)
            if (!done[i] && (best < 0 || area[i] > area[best])) best = i;
        if (!(area[best] > c->min_area2)) return 3;
        double len = sqrt(area[best]);
        for (int k = 0; k < 3; k++) pl[np].n[k] = nrm[best][k] / len;
        pl[np].q = m->v + 3 * v;
        for (int i = 0; i < l->n; i++) {
            if (done[i]) continue;
            const int *tv = m->t + 3 * l->t[i];
            int in = ms_dot(nrm[i], pl[np].n) > 0;
            for (int k = 0; k < 3 && in; k++) in = ms_dist(m->v + 3 * tv[k], pl[np].q, pl[np].n) <= c->eps;
            if (in) done[i] = 1, left--;
        }
        np++;
    }
    return np;
}

/* the neighbours of v (vertices of its live triangles other than v), into nb (up to max);
   returns their count, leaving them marked with a fresh stamp */
static int ms_vertex_ring(ms_sctx *c, int v, int *nb, int max) {
    int n = 0;
    const ms_list *l = &c->inc[v];
    c->cur++;
    c->stamp[v] = c->cur;
    for (int i = 0; i < l->n; i++)
        for (int k = 0; k < 3; k++) {
            int w = c->m->t[3 * l->t[i] + k];
            if (c->stamp[w] == c->cur) continue;
            c->stamp[w] = c->cur;
            if (n < max) nb[n] = w;
            n++;
        }
    return n;
}

/* can v collapse onto its neighbour u? */
static int ms_can_collapse(ms_sctx *c, int v, int u, const int *nbv, int nv) {
    const ms_mesh *m = c->m;
    /* link condition: common neighbours = the third vertices of the two triangles on edge uv */
    (void)nbv;
    (void)nv;
    int ku = ms_live(c, u);
    c->cur++;
    int su = c->cur;
    int nu = 0;
    for (int i = 0; i < ku; i++)
        for (int k = 0; k < 3; k++) {
            int w = m->t[3 * c->inc[u].t[i] + k];
            if (w == u || c->stamp[w] == su) continue;
            c->stamp[w] = su;
            nu++;
        }
    if (nu >= MS_SIMPLIFY_MAX) return 0;
    int common = 0, shared = 0;
    for (int i = 0; i < nv; i++) common += c->stamp[nbv[i]] == su;
    const ms_list *l = &c->inc[v];
    for (int i = 0; i < l->n; i++) {
        const int *tv = m->t + 3 * l->t[i];
        shared += tv[0] == u || tv[1] == u || tv[2] == u;
    }
    if (shared != 2 || common != 2) return 0;
    /* no flipped or degenerate triangle */
    for (int i = 0; i < l->n; i++) {
        const int *tv = m->t + 3 * l->t[i];
        if (tv[0] == u || tv[1] == u || tv[2] == u) continue;
        int nt[3];
        for (int k = 0; k < 3; k++) nt[k] = tv[k] == v ? u : tv[k];
        double n0[3], n1[3];
        ms_normal(m, tv, n0);
        ms_normal(m, nt, n1);
        if (!(ms_dot(n1, n1) > c->min_area2) || !(ms_dot(n0, n1) > 0)) return 0;
        /* the new triangle keeps its direction closely (no fold within the plane) */
        double l0 = sqrt(ms_dot(n0, n0)), l1 = sqrt(ms_dot(n1, n1));
        if (ms_dot(n0, n1) < 0.999999 * l0 * l1) return 0;
    }
    return 1;
}

static void ms_collapse(ms_sctx *c, int v, int u) {
    ms_list *l = &c->inc[v];
    for (int i = 0; i < l->n; i++) {
        int t = l->t[i];
        int *tv = c->m->t + 3 * t;
        if (tv[0] == u || tv[1] == u || tv[2] == u) {
            c->dead_t[t] = 1;
            continue;
        }
        for (int k = 0; k < 3; k++)
            if (tv[k] == v) tv[k] = u;
        ms_list_add(&c->inc[u], t);
    }
    l->n = 0;
    c->dead_v[v] = 1;
}

static int ms_try_vertex(ms_sctx *c, int v) {
    c->dirty[v] = 0;
    if (c->dead_v[v] || ms_live(c, v) < 3) return 0;
    ms_plane pl[2];
    int np = ms_planes(c, v, pl);
    if (np > 2) return 0;
    int nb[MS_SIMPLIFY_MAX];
    int n = ms_vertex_ring(c, v, nb, MS_SIMPLIFY_MAX);
    if (n >= MS_SIMPLIFY_MAX) return 0;
    for (int i = 0; i < n; i++) {
        int u = nb[i];
        const double *p = c->m->v + 3 * u;
        if (np == 2 && (ms_dist(p, pl[0].q, pl[0].n) > c->eps || ms_dist(p, pl[1].q, pl[1].n) > c->eps)) continue;
        if (ms_can_collapse(c, v, u, nb, n)) {
            ms_collapse(c, v, u);
            for (int j = 0; j < n; j++) c->dirty[nb[j]] = 1;
            return 1;
        }
    }
    return 0;
}

int ms_simplify(ms_mesh *m, double eps) {
    if (m->nt == 0) return 0;
    double lo[3], hi[3];
    ms_bbox(m, lo, hi);
    double diag = sqrt((hi[0] - lo[0]) * (hi[0] - lo[0]) + (hi[1] - lo[1]) * (hi[1] - lo[1]) + (hi[2] - lo[2]) * (hi[2] - lo[2]));
    ms_sctx c = {.m = m, .eps = eps > 0 ? eps : tol_len(diag)};
    c.min_area2 = tol_area(diag) * tol_area(diag);
    c.inc = ut_calloc((size_t)m->nv + 1, sizeof *c.inc);
    c.dead_t = ut_calloc((size_t)m->nt + 1, 1);
    c.dead_v = ut_calloc((size_t)m->nv + 1, 1);
    c.stamp = ut_calloc((size_t)m->nv + 1, sizeof *c.stamp);
    c.dirty = ut_malloc((size_t)m->nv + 1);
    memset(c.dirty, 1, (size_t)m->nv + 1);
    for (int t = 0; t < m->nt; t++)
        for (int k = 0; k < 3; k++) ms_list_add(&c.inc[m->t[3 * t + k]], t);
    int removed = 0;
    for (int pass = 0; pass < 1000 && !bg_charge(m->nv); pass++) { /* over budget: fewer removals */
        int changed = 0;
        for (int v = 0; v < m->nv && !bg_charge(1); v++)
            if (c.dirty[v]) changed += ms_try_vertex(&c, v);
        removed += changed;
        if (!changed) break;
    }
    /* compact: keep the vertices still used, in their order */
    int nv0 = m->nv, *map = ut_malloc((size_t)(nv0 + 1) * sizeof *map), nv = 0, nt = 0;
    for (int v = 0; v < nv0; v++) map[v] = -1;
    for (int t = 0; t < m->nt; t++)
        if (!c.dead_t[t])
            for (int k = 0; k < 3; k++) map[m->t[3 * t + k]] = 0;
    for (int v = 0; v < nv0; v++)
        if (map[v] == 0) {
            map[v] = nv;
            memmove(m->v + 3 * nv, m->v + 3 * v, 3 * sizeof *m->v); /* nv <= v */
            nv++;
        }
    for (int t = 0; t < m->nt; t++) {
        if (c.dead_t[t]) continue;
        for (int k = 0; k < 3; k++) m->t[3 * nt + k] = map[m->t[3 * t + k]];
        nt++;
    }
    m->nv = nv;
    m->nt = nt;
    for (int v = 0; v < nv0; v++) free(c.inc[v].t);
    free(c.inc);
    free(map);
    free(c.dead_t);
    free(c.dead_v);
    free(c.stamp);
    free(c.dirty);
    return removed;
}
