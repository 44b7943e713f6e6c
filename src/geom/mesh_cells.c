/* mesh_cells.c - the mesher for models whose extrusions are all parallel (see mesh.h).
 *
 * Frame: (U, V, W) = the first extrude's sketch plane (x, y, n); every profile maps into the
 * (U, V) plane by a rigid motion and every slab to an interval of W.
 *
 * 1. Arrangement: all ring edges become segments between 2-D vertices; vertices closer than eps
 *    are merged, segments are split at every crossing and every vertex lying on them.
 * 2. Vertical slab decomposition: the distinct x (= U) of the vertices define "lines"
 *    x = X_0 < X_1 < ...; every segment is cut where it crosses a line, so each piece spans
 *    exactly one slab (X_k, X_k+1) and pieces of one slab do not cross. Consecutive pieces of a
 *    slab bound a cell: a trapezoid whose left side is the run of vertices of line k between its
 *    two pieces and whose right side is the run on line k+1. Walking up a slab, crossing a piece
 *    toggles the parity of the rings it belongs to, which gives each cell's inside/outside
 *    status for every ring, exactly (no point tests).
 * 3. Layers: the distinct W of every slab end define levels Z_0 < Z_1 < ...; each (cell, layer)
 *    block is solid or not by the CSG of the extrudes.
 * 4. Trapezoids: cells merge left to right where they meet along one line sub-edge, have the same
 *    status in every layer and their bottom and top edges go on straight; the output uses only
 *    the vertices on the trapezoids' vertical sides (and the crossing points they need).
 * 5. Output: the boundary of the union of solid blocks: cap triangles of each trapezoid where the
 *    status changes between layers (a zipper between its vertical sides, or a fan from an inner
 *    point when its bottom or top edge carries vertices), and wall quads on straight runs of
 *    piece edges and on line sub-edges whose two sides differ. 3-D vertices are (2-D vertex,
 *    level) pairs shared by every face that uses them, so the surface is closed and
 *    consistently oriented by construction.
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

#define MS_MAX_PIECES 8000000 /* bounds time and memory (about 24 bytes per piece) */

typedef struct {
    int a, b, ring;
} ms_seg;

typedef struct {
    int seg;
    double t;
    int v;
} ms_split;

typedef struct {
    int l, r, ring, slab; /* vertex ids at lines slab and slab+1 */
    int pl, pr;           /* positions of l and r in their lines */
} ms_piece;

typedef struct {
    int ia0, ia1, ib0, ib1; /* left side: line k positions ia0..ia1; right side: line k+1 ib0..ib1 */
    int slab;
} ms_cell;

typedef struct {
    int l, r;         /* vertex ids, l on line k, r on line k+1 */
    int below, above; /* cells (-1 = outside) */
} ms_edge;

typedef struct {
    /* 2-D vertices */
    double *x, *y;
    int *par; /* union-find parent */
    int nv, cap;
    double eps;
    ms_seg *seg;
    int nseg, cap_seg;
    /* lines */
    int nlines;
    double *X;
    int *line_of; /* per vertex */
    int *lfirst, *ln, *lids; /* line k: lids[lfirst[k] .. +ln[k]-1], sorted by y */
    int *pos;                /* per vertex: position in its line */
} ms_ctx;

/* ---------------------------------------------------------------- vertices */

static int ms_vertex(ms_ctx *c, double x, double y) {
    if (c->nv == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->x = ut_realloc(c->x, (size_t)c->cap * sizeof *c->x);
        c->y = ut_realloc(c->y, (size_t)c->cap * sizeof *c->y);
        c->par = ut_realloc(c->par, (size_t)c->cap * sizeof *c->par);
    }
    c->x[c->nv] = x;
    c->y[c->nv] = y;
    c->par[c->nv] = c->nv;
    return c->nv++;
}

static int ms_find(ms_ctx *c, int i) {
    while (c->par[i] != i) {
        c->par[i] = c->par[c->par[i]];
        i = c->par[i];
    }
    return i;
}

static void ms_union(ms_ctx *c, int a, int b) {
    a = ms_find(c, a);
    b = ms_find(c, b);
    if (a < b) c->par[b] = a;
    else if (b < a) c->par[a] = b;
}

static _Thread_local const ms_ctx *ms_sort_ctx; /* qsort has no context argument */
static _Thread_local const double *ms_key;

static int ms_cmp_key(const void *a, const void *b) {
    double x = ms_key[*(const int *)a], y = ms_key[*(const int *)b];
    if (x != y) return x < y ? -1 : 1;
    return *(const int *)a - *(const int *)b;
}

/* merges every pair of root vertices closer than eps in both coordinates */
static void ms_merge_close(ms_ctx *c) {
    int *ids = ut_malloc((size_t)c->nv * sizeof *ids), n = 0;
    for (int i = 0; i < c->nv; i++)
        if (ms_find(c, i) == i) ids[n++] = i;
    ms_key = c->x;
    qsort(ids, (size_t)n, sizeof *ids, ms_cmp_key);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n && c->x[ids[j]] - c->x[ids[i]] <= c->eps; j++)
            if (fabs(c->y[ids[j]] - c->y[ids[i]]) <= c->eps) ms_union(c, ids[i], ids[j]);
    free(ids);
}

/* ---------------------------------------------------------------- arrangement */

static void ms_add_seg(ms_ctx *c, int a, int b, int ring) {
    if (a == b) return;
    ms_seg *s = UT_PUSH(c->seg, c->nseg, c->cap_seg);
    s->a = a;
    s->b = b;
    s->ring = ring;
}

static double ms_orient(const ms_ctx *c, int a, int b, int p) {
    return (c->x[b] - c->x[a]) * (c->y[p] - c->y[a]) - (c->y[b] - c->y[a]) * (c->x[p] - c->x[a]);
}

/* 1 and the parameter t if vertex p lies on the interior of segment a-b (within eps) */
static int ms_on_seg(const ms_ctx *c, int a, int b, int p, double *t) {
    if (p == a || p == b) return 0;
    double dx = c->x[b] - c->x[a], dy = c->y[b] - c->y[a], l2 = dx * dx + dy * dy;
    if (!(l2 > 0)) return 0;
    double s = ((c->x[p] - c->x[a]) * dx + (c->y[p] - c->y[a]) * dy) / l2;
    double l = sqrt(l2);
    if (s * l <= c->eps || (1 - s) * l <= c->eps) return 0;
    double ex = c->x[a] + s * dx - c->x[p], ey = c->y[a] + s * dy - c->y[p];
    if (ex * ex + ey * ey > c->eps * c->eps) return 0;
    *t = s;
    return 1;
}

static void ms_push_split(ms_split **sp, int *n, int *cap, int seg, double t, int v) {
    ms_split *s = UT_PUSH(*sp, *n, *cap);
    s->seg = seg;
    s->t = t;
    s->v = v;
}

static int ms_cmp_split(const void *a, const void *b) {
    const ms_split *p = a, *q = b;
    if (p->seg != q->seg) return p->seg - q->seg;
    if (p->t != q->t) return p->t < q->t ? -1 : 1;
    return p->v - q->v;
}

static int ms_cmp_seg_xmin(const void *a, const void *b) {
    const ms_ctx *c = ms_sort_ctx;
    const ms_seg *p = &c->seg[*(const int *)a], *q = &c->seg[*(const int *)b];
    double x = fmin(c->x[p->a], c->x[p->b]), y = fmin(c->x[q->a], c->x[q->b]);
    if (x != y) return x < y ? -1 : 1;
    return *(const int *)a - *(const int *)b;
}

/* splits every segment at its crossings with the others and at vertices lying on it */
static void ms_split_all(ms_ctx *c) {
    int n = c->nseg;
    int *ord = ut_malloc((size_t)(n + 1) * sizeof *ord);
    for (int i = 0; i < n; i++) ord[i] = i;
    ms_sort_ctx = c;
    qsort(ord, (size_t)n, sizeof *ord, ms_cmp_seg_xmin);
    ms_split *sp = NULL;
    int nsp = 0, cap = 0;
    for (int ii = 0; ii < n; ii++) {
        bg_charge(1); /* accounting only: the arrangement must stay whole */
        const ms_seg s = c->seg[ord[ii]];
        double sx1 = fmax(c->x[s.a], c->x[s.b]) + c->eps;
        double sy0 = fmin(c->y[s.a], c->y[s.b]) - c->eps, sy1 = fmax(c->y[s.a], c->y[s.b]) + c->eps;
        for (int jj = ii + 1; jj < n; jj++) {
            const ms_seg q = c->seg[ord[jj]];
            if (fmin(c->x[q.a], c->x[q.b]) > sx1) break;
            if (fmax(c->y[q.a], c->y[q.b]) < sy0 || fmin(c->y[q.a], c->y[q.b]) > sy1) continue;
            int touch = 0;
            double t;
            if (ms_on_seg(c, s.a, s.b, q.a, &t)) touch = 1, ms_push_split(&sp, &nsp, &cap, ord[ii], t, q.a);
            if (ms_on_seg(c, s.a, s.b, q.b, &t)) touch = 1, ms_push_split(&sp, &nsp, &cap, ord[ii], t, q.b);
            if (ms_on_seg(c, q.a, q.b, s.a, &t)) touch = 1, ms_push_split(&sp, &nsp, &cap, ord[jj], t, s.a);
            if (ms_on_seg(c, q.a, q.b, s.b, &t)) touch = 1, ms_push_split(&sp, &nsp, &cap, ord[jj], t, s.b);
            if (touch || s.a == q.a || s.a == q.b || s.b == q.a || s.b == q.b) continue;
            double o1 = ms_orient(c, s.a, s.b, q.a), o2 = ms_orient(c, s.a, s.b, q.b);
            double o3 = ms_orient(c, q.a, q.b, s.a), o4 = ms_orient(c, q.a, q.b, s.b);
            if (!((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0))) continue;
            if (!((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0))) continue;
            double ts = o3 / (o3 - o4), tq = o1 / (o1 - o2);
            int v = ms_vertex(c, c->x[s.a] + ts * (c->x[s.b] - c->x[s.a]), c->y[s.a] + ts * (c->y[s.b] - c->y[s.a]));
            ms_push_split(&sp, &nsp, &cap, ord[ii], ts, v);
            ms_push_split(&sp, &nsp, &cap, ord[jj], tq, v);
        }
    }
    free(ord);
    ms_merge_close(c); /* new crossing vertices may coincide with others */
    if (nsp > 0) qsort(sp, (size_t)nsp, sizeof *sp, ms_cmp_split);
    int k = 0;
    for (int i = 0; i < n; i++) {
        ms_seg s = c->seg[i];
        int prev = ms_find(c, s.a);
        for (; k < nsp && sp[k].seg == i; k++) {
            int v = ms_find(c, sp[k].v);
            ms_add_seg(c, prev, v, s.ring);
            prev = v;
        }
        ms_add_seg(c, prev, ms_find(c, s.b), s.ring);
    }
    /* drop the originals: the new segments were appended after them */
    if (c->nseg > n) memmove(c->seg, c->seg + n, (size_t)(c->nseg - n) * sizeof *c->seg);
    c->nseg -= n;
    free(sp);
}

/* ---------------------------------------------------------------- lines and pieces */

/* groups the used vertices into lines of equal x (within eps) and snaps their x */
static void ms_make_lines(ms_ctx *c) {
    char *used = ut_calloc((size_t)c->nv + 1, 1);
    for (int i = 0; i < c->nseg; i++) used[c->seg[i].a] = used[c->seg[i].b] = 1;
    int *ids = ut_malloc((size_t)c->nv * sizeof *ids), n = 0;
    for (int i = 0; i < c->nv; i++)
        if (used[i]) ids[n++] = i;
    ms_key = c->x;
    qsort(ids, (size_t)n, sizeof *ids, ms_cmp_key);
    c->line_of = ut_malloc((size_t)c->cap * sizeof *c->line_of);
    for (int i = 0; i < c->nv; i++) c->line_of[i] = -1;
    c->X = ut_malloc((size_t)(n + 1) * sizeof *c->X);
    c->nlines = 0;
    double prev = 0;
    for (int i = 0; i < n; i++) {
        double x = c->x[ids[i]];
        if (i == 0 || x - prev > c->eps) c->X[c->nlines++] = x;
        prev = x;
        c->line_of[ids[i]] = c->nlines - 1;
        c->x[ids[i]] = c->X[c->nlines - 1];
    }
    free(ids);
    free(used);
}

static int ms_cmp_line_y(const void *a, const void *b) {
    const ms_ctx *c = ms_sort_ctx;
    int i = *(const int *)a, j = *(const int *)b;
    if (c->line_of[i] != c->line_of[j]) return c->line_of[i] - c->line_of[j];
    if (c->y[i] != c->y[j]) return c->y[i] < c->y[j] ? -1 : 1;
    return i - j;
}

/* cuts the segments at the lines they cross; returns the pieces, each spanning one slab
   (NULL + ut_error() if there would be more than MS_MAX_PIECES) */
static ms_piece *ms_make_pieces(ms_ctx *c, int *npieces) {
    ms_piece *pc = NULL;
    int np = 0, cap = 0;
    int nseg = c->nseg;
    double total = 0;
    for (int i = 0; i < nseg; i++) total += abs(c->line_of[c->seg[i].a] - c->line_of[c->seg[i].b]);
    if (total > MS_MAX_PIECES) {
        *npieces = -1;
        ut_fail("profiles too complex to mesh: %.0f slab pieces (limit %d)", total, MS_MAX_PIECES);
        return NULL;
    }
    for (int i = 0; i < nseg; i++) {
        int a = c->seg[i].a, b = c->seg[i].b;
        int la = c->line_of[a], lb = c->line_of[b];
        if (la == lb) continue; /* vertical: lies on a line, bounds no cell */
        if (la > lb) {
            int t = a;
            a = b;
            b = t;
            t = la;
            la = lb;
            lb = t;
        }
        int prev = a;
        double xa = c->x[a], ya = c->y[a], xb = c->x[b], yb = c->y[b];
        for (int k = la + 1; k <= lb; k++) {
            int v = b;
            if (k < lb) {
                v = ms_vertex(c, c->X[k], ya + (yb - ya) * (c->X[k] - xa) / (xb - xa));
                c->line_of = ut_realloc(c->line_of, (size_t)c->cap * sizeof *c->line_of);
                c->line_of[v] = k;
            }
            ms_piece *p = UT_PUSH(pc, np, cap);
            p->l = prev;
            p->r = v;
            p->ring = c->seg[i].ring;
            p->slab = k - 1;
            prev = v;
        }
    }
    /* per line: sort the vertices by y, merge those closer than eps */
    int *ids = ut_malloc((size_t)c->nv * sizeof *ids), n = 0;
    for (int i = 0; i < c->nv; i++)
        if (c->line_of[i] >= 0 && ms_find(c, i) == i) ids[n++] = i;
    ms_sort_ctx = c;
    qsort(ids, (size_t)n, sizeof *ids, ms_cmp_line_y);
    for (int i = 1; i < n; i++)
        if (c->line_of[ids[i]] == c->line_of[ids[i - 1]] && c->y[ids[i]] - c->y[ids[i - 1]] <= c->eps) ms_union(c, ids[i - 1], ids[i]);
    c->lfirst = ut_calloc((size_t)c->nlines + 1, sizeof *c->lfirst);
    c->ln = ut_calloc((size_t)c->nlines + 1, sizeof *c->ln);
    c->lids = ut_malloc((size_t)(n + 1) * sizeof *c->lids);
    c->pos = ut_malloc((size_t)c->nv * sizeof *c->pos);
    int m = 0;
    for (int i = 0; i < n; i++) {
        int r = ms_find(c, ids[i]);
        int k = c->line_of[ids[i]];
        if (m > 0 && c->lids[m - 1] == r) continue;
        if (c->ln[k] == 0) c->lfirst[k] = m;
        c->pos[r] = c->ln[k]++;
        c->lids[m++] = r;
    }
    free(ids);
    for (int i = 0; i < np; i++) {
        pc[i].l = ms_find(c, pc[i].l);
        pc[i].r = ms_find(c, pc[i].r);
        pc[i].pl = c->pos[pc[i].l];
        pc[i].pr = c->pos[pc[i].r];
    }
    *npieces = np;
    return pc;
}

static int ms_cmp_piece(const void *a, const void *b) {
    const ms_piece *p = a, *q = b;
    if (p->slab != q->slab) return p->slab - q->slab;
    if (p->pl != q->pl) return p->pl - q->pl;
    if (p->pr != q->pr) return p->pr - q->pr;
    return p->ring - q->ring;
}

static int ms_cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* ---------------------------------------------------------------- classification */

typedef struct {
    int nlevels;
    double *Z;
    int *ela, *elb; /* per extrude: layers [ela, elb) */
    int *esk;       /* per extrude: sketch */
    cad_op *eop;
} ms_layers;

/* Which sketches contain the current cell, updated ring toggle by ring toggle in O(1):
 * a loop's parity is the XOR of its rings' parities; a face is in when its outer loop is and
 * none of its holes is; a sketch is in when at least one of its faces is (as in ms_region). */
typedef struct {
    int *ring_loop;          /* per ring: loop slot */
    int *loop_face;          /* per loop slot: face slot */
    unsigned char *loop_hole, *loop_par;
    unsigned char *face_outer;
    int *face_holes, *face_sk; /* per face slot: holes whose parity is 1; sketch */
    int *sk_in;              /* per sketch: faces that are in */
} ms_regions;

static void ms_regions_init(ms_regions *R, const ms_profiles *p, int nsk) {
    int nr = p->nrings;
    R->ring_loop = ut_malloc((size_t)(nr + 1) * sizeof(int));
    R->loop_face = ut_malloc((size_t)(nr + 1) * sizeof(int));
    R->loop_hole = ut_calloc((size_t)nr + 1, 1);
    R->loop_par = ut_calloc((size_t)nr + 1, 1);
    R->face_outer = ut_calloc((size_t)nr + 1, 1);
    R->face_holes = ut_calloc((size_t)nr + 1, sizeof(int));
    R->face_sk = ut_calloc((size_t)nr + 1, sizeof(int));
    R->sk_in = ut_calloc((size_t)nsk + 1, sizeof(int));
    int nl = -1, nf = -1;
    for (int s = 0; s < nsk; s++)
        for (int r = p->sk_first[s]; r < p->sk_first[s] + p->sk_n[s]; r++) {
            const ms_ring *g = &p->rings[r];
            int new_face = r == p->sk_first[s] || p->rings[r - 1].face != g->face;
            int new_loop = new_face || p->rings[r - 1].loop != g->loop;
            if (new_face) R->face_sk[++nf] = s;
            if (new_loop) {
                R->loop_face[++nl] = nf;
                R->loop_hole[nl] = (unsigned char)g->hole;
            }
            R->ring_loop[r] = nl;
        }
}

static void ms_regions_free(ms_regions *R) {
    free(R->ring_loop);
    free(R->loop_face);
    free(R->loop_hole);
    free(R->loop_par);
    free(R->face_outer);
    free(R->face_holes);
    free(R->face_sk);
    free(R->sk_in);
}

static void ms_toggle(ms_regions *R, int ring) {
    int l = R->ring_loop[ring], f = R->loop_face[l];
    int was = R->face_outer[f] && R->face_holes[f] == 0;
    R->loop_par[l] ^= 1;
    if (R->loop_hole[l]) R->face_holes[f] += R->loop_par[l] ? 1 : -1;
    else R->face_outer[f] = R->loop_par[l];
    int now = R->face_outer[f] && R->face_holes[f] == 0;
    if (now != was) R->sk_in[R->face_sk[f]] += now ? 1 : -1;
}

/* solid status of one cell for every layer, from the sketches that contain it */
static void ms_classify(const cad_model *m, const ms_regions *R, const ms_layers *L, unsigned char *solid) {
    for (int l = 0; l < L->nlevels - 1; l++) {
        int body = 0;
        for (int e = 0; e < m->nextrudes; e++) {
            int in = R->sk_in[L->esk[e]] > 0 && L->ela[e] <= l && l < L->elb[e];
            if (e == 0) body = in;
            else if (L->eop[e] == CAD_CUT) body = body && !in;
            else if (L->eop[e] == CAD_INTERSECT) body = body && in;
            else body = body || in;
        }
        solid[l] = (unsigned char)body;
    }
}

static int ms_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int ms_level_index(const double *Z, int n, double w) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (fabs(Z[i] - w) < fabs(Z[best] - w)) best = i;
    return best;
}

/* ---------------------------------------------------------------- output */

/* A trapezoid's bottom (or top) edge is the straight line from the first vertex of its run to
 * the last; the vertices between are dropped from the output, so every one of them must lie
 * within eps of that line - not merely of the line through its two neighbours, which lets a
 * finely chorded arc pass for straight one triple at a time. The run keeps the cone of slopes
 * (seen from its first vertex s) of the lines that pass within eps (vertically, which bounds the
 * perpendicular distance) of every vertex so far; x grows strictly along a run. */
typedef struct {
    int s;          /* first vertex of the run */
    double lo, hi;  /* admissible slopes from s */
} ms_trun;

/* extends run r through vertex b to end vertex d: 1 and the new cone in *out if every vertex of
   the run, b included, lies within eps of the line s-d */
static int ms_trun_extend(const ms_ctx *c, const ms_trun *r, int b, int d, ms_trun *out) {
    double xs = c->x[r->s], ys = c->y[r->s], dxb = c->x[b] - xs, dxd = c->x[d] - xs;
    if (!(dxb > 0) || !(dxd > dxb)) return 0;
    double lo = fmax(r->lo, (c->y[b] - ys - c->eps) / dxb), hi = fmin(r->hi, (c->y[b] - ys + c->eps) / dxb);
    double sl = (c->y[d] - ys) / dxd;
    if (!(sl >= lo && sl <= hi)) return 0;
    out->s = r->s;
    out->lo = lo;
    out->hi = hi;
    return 1;
}

typedef struct {
    ms_ctx *c;
    const ms_layers *L;
    const double *o, *ax, *ay, *an; /* frame */
    hm_map map; /* (2-D vertex, level) -> output vertex */
    ms_mesh *out;
} ms_emit;

/* 3-D vertex of 2-D vertex v at level z */
static int ms_v3(ms_emit *E, int v, int z) {
    int added;
    int64_t *id = hm_upsert(&E->map, (uint64_t)v * (uint64_t)E->L->nlevels + (uint64_t)z, 0, &added);
    if (!added) return (int)*id;
    double U = E->c->x[v], V = E->c->y[v], W = E->L->Z[z], p[3];
    for (int d = 0; d < 3; d++) p[d] = E->o[d] + U * E->ax[d] + V * E->ay[d] + W * E->an[d];
    *id = ms_add_vertex(E->out, p[0], p[1], p[2]);
    return (int)*id;
}

static void ms_tri(ms_emit *E, int a, int b, int c, int flip) {
    if (flip) ms_add_tri(E->out, a, c, b);
    else ms_add_tri(E->out, a, b, c);
}

/* cap of a trapezoid whose only vertices are its two vertical sides (line la positions
   ia0..ia1, line lb positions ib0..ib1) at level z, as a zipper between them (no degenerate
   triangle); up = 1: normal +W (counter-clockwise in U,V) */
static void ms_cap(ms_emit *E, int la, int ia0, int ia1, int lb, int ib0, int ib1, int z, int up) {
    const ms_ctx *c = E->c;
    const int *A = c->lids + c->lfirst[la], *B = c->lids + c->lfirst[lb];
    int i = ia0, j = ib0;
    while (i < ia1 || j < ib1) {
        int adv_b;
        if (i == ia1) adv_b = 1;
        else if (j == ib1) adv_b = 0;
        else adv_b = c->y[B[j + 1]] <= c->y[A[i + 1]];
        if (adv_b) {
            ms_tri(E, ms_v3(E, A[i], z), ms_v3(E, B[j], z), ms_v3(E, B[j + 1], z), !up);
            j++;
        } else {
            ms_tri(E, ms_v3(E, A[i], z), ms_v3(E, B[j], z), ms_v3(E, A[i + 1], z), !up);
            i++;
        }
    }
}

/* cap of a convex polygon (2-D vertex ids, counter-clockwise) at level z: a fan from a new
   vertex at (cx, cy), strictly inside, so collinear boundary points give no degenerate triangle */
static void ms_cap_fan(ms_emit *E, const int *poly, int n, double cx, double cy, int z, int up) {
    double p[3], W = E->L->Z[z];
    for (int d = 0; d < 3; d++) p[d] = E->o[d] + cx * E->ax[d] + cy * E->ay[d] + W * E->an[d];
    int ctr = ms_add_vertex(E->out, p[0], p[1], p[2]);
    for (int i = 0; i < n; i++) ms_tri(E, ctr, ms_v3(E, poly[i], z), ms_v3(E, poly[(i + 1) % n], z), !up);
}

/* wall on the 2-D edge a->b over layer l; the quad (a,b,b',a') faces right of a->b */
static void ms_wall(ms_emit *E, int a, int b, int l, int flip) {
    int a0 = ms_v3(E, a, l), b0 = ms_v3(E, b, l), b1 = ms_v3(E, b, l + 1), a1 = ms_v3(E, a, l + 1);
    ms_tri(E, a0, b0, b1, flip);
    ms_tri(E, a0, b1, a1, flip);
}

/* ---------------------------------------------------------------- driver */

static void ms_ctx_free(ms_ctx *c) {
    free(c->x);
    free(c->y);
    free(c->par);
    free(c->seg);
    free(c->X);
    free(c->line_of);
    free(c->lfirst);
    free(c->ln);
    free(c->lids);
    free(c->pos);
}

/* the cell complex of the slabs and its classification */
typedef struct {
    ms_cell *cells;
    int ncells, cap_cells;
    ms_edge *edges; /* piece edges (one per group of identical pieces) with their two cells */
    int nedges, cap_edges;
    unsigned char *solid; /* ncells * nlay: status of each (cell, layer) */
    int cap_solid, nlay;
    int *leftc, *rightc;  /* per line point: the cell left / right of the sub-edge above it */
    int *nextc, *prevc;   /* trapezoid runs: the next / previous cell of the same trapezoid */
    unsigned char *needed; /* per 2-D vertex: used by some trapezoid's vertical side */
} ms_cx;

static void ms_cx_free(ms_cx *x) {
    free(x->cells);
    free(x->edges);
    free(x->solid);
    free(x->leftc);
    free(x->rightc);
    free(x->nextc);
    free(x->prevc);
    free(x->needed);
}

static void ms_layers_free(ms_layers *L) {
    free(L->Z);
    free(L->ela);
    free(L->elb);
    free(L->esk);
    free(L->eop);
}

/* 1. profiles into the common frame (vertices and segments of c), extrude slabs into W */
static void ms_cell_profiles(const cad_model *m, const ms_profiles *p, const cad_plane *pl0, ms_ctx *c, double *wlo, double *whi) {
    char *done = ut_calloc((size_t)m->nsketches + 1, 1);
    for (int e = 0; e < m->nextrudes; e++) {
        int s = m->extrudes[e].sketch;
        const cad_plane *pl = &m->sketches[s].plane;
        double w0, w1, q[3], loc[3];
        cad_extrude_slab(&m->extrudes[e], &w0, &w1);
        cad_plane_to_local(pl0, pl->origin, loc);
        double sgn = pl->n[0] * pl0->n[0] + pl->n[1] * pl0->n[1] + pl->n[2] * pl0->n[2] > 0 ? 1 : -1;
        wlo[e] = fmin(loc[2] + sgn * w0, loc[2] + sgn * w1);
        whi[e] = fmax(loc[2] + sgn * w0, loc[2] + sgn * w1);
        if (done[s]) continue;
        done[s] = 1;
        for (int r = p->sk_first[s]; r < p->sk_first[s] + p->sk_n[s]; r++) {
            int base = c->nv, n = p->rings[r].n;
            for (int i = 0; i < n; i++) {
                const double *uv = p->pt + 2 * (p->rings[r].first + i);
                cad_plane_to_world(pl, uv[0], uv[1], 0, q);
                cad_plane_to_local(pl0, q, loc);
                ms_vertex(c, loc[0], loc[1]);
            }
            for (int i = 0; i < n; i++) ms_add_seg(c, base + i, base + (i + 1) % n, r);
        }
    }
    free(done);
}

/* 3. levels: the distinct slab ends; each extrude covers layers [ela, elb) */
static void ms_levels(const cad_model *m, const double *wlo, const double *whi, double eps, ms_layers *L) {
    int ne = m->nextrudes;
    memset(L, 0, sizeof *L);
    L->Z = ut_malloc((size_t)(2 * ne) * sizeof *L->Z);
    for (int e = 0; e < ne; e++) {
        L->Z[2 * e] = wlo[e];
        L->Z[2 * e + 1] = whi[e];
    }
    qsort(L->Z, (size_t)(2 * ne), sizeof *L->Z, ms_cmp_double);
    for (int i = 0; i < 2 * ne; i++)
        if (L->nlevels == 0 || L->Z[i] - L->Z[L->nlevels - 1] > eps) L->Z[L->nlevels++] = L->Z[i];
    L->ela = ut_malloc((size_t)ne * sizeof(int));
    L->elb = ut_malloc((size_t)ne * sizeof(int));
    L->esk = ut_malloc((size_t)ne * sizeof(int));
    L->eop = ut_malloc((size_t)ne * sizeof(cad_op));
    for (int e = 0; e < ne; e++) {
        L->ela[e] = ms_level_index(L->Z, L->nlevels, wlo[e]);
        L->elb[e] = ms_level_index(L->Z, L->nlevels, whi[e]);
        L->esk[e] = m->extrudes[e].sketch;
        L->eop[e] = m->extrudes[e].op;
    }
}

/* 4. cells, piece edges and their classification, slab by slab (pieces sorted by slab) */
static void ms_cells(const cad_model *m, const ms_profiles *p, const ms_ctx *c, const ms_piece *pc, int np, const ms_layers *L,
                     ms_cx *x) {
    ms_regions R;
    ms_regions_init(&R, p, m->nsketches);
    int *gstart = ut_malloc((size_t)(np + 1) * sizeof *gstart), *rpos = ut_malloc((size_t)(np + 1) * sizeof *rpos);
    for (int i = 0; i < np && x->nlay > 0;) {
        int slab = pc[i].slab, j = i, ng = 0;
        while (j < np && pc[j].slab == slab) { /* groups of identical pieces */
            gstart[ng] = j;
            rpos[ng] = pc[j].pr;
            int k = j;
            while (k < np && pc[k].slab == slab && pc[k].pl == pc[j].pl && pc[k].pr == pc[j].pr) k++;
            ng++;
            j = k;
        }
        gstart[ng] = j;
        /* pieces of a slab never cross; if rounding made two cross, pair the sorted ends */
        int sorted = 1;
        for (int g = 1; g < ng; g++)
            if (rpos[g] < rpos[g - 1]) sorted = 0;
        if (!sorted) qsort(rpos, (size_t)ng, sizeof *rpos, ms_cmp_int);
        int first_cell = x->ncells;
        for (int g = 0; g < ng; g++) {
            ms_edge *ed = UT_PUSH(x->edges, x->nedges, x->cap_edges);
            ed->l = pc[gstart[g]].l;
            ed->r = c->lids[c->lfirst[slab + 1] + rpos[g]];
            ed->below = g > 0 ? first_cell + g - 1 : -1;
            ed->above = g < ng - 1 ? first_cell + g : -1;
            for (int k = gstart[g]; k < gstart[g + 1]; k++) ms_toggle(&R, pc[k].ring);
            if (g == ng - 1) break;
            ms_cell *cl = UT_PUSH(x->cells, x->ncells, x->cap_cells);
            cl->slab = slab;
            cl->ia0 = pc[gstart[g]].pl;
            cl->ia1 = pc[gstart[g + 1]].pl;
            cl->ib0 = rpos[g];
            cl->ib1 = rpos[g + 1];
            ut_grow((void **)&x->solid, &x->cap_solid, x->ncells * x->nlay, 1);
            ms_classify(m, &R, L, x->solid + (size_t)(x->ncells - 1) * x->nlay);
        }
        for (int g = 0; g < ng; g++) /* toggle once more: back to the all-outside state */
            for (int k = gstart[g]; k < gstart[g + 1]; k++) ms_toggle(&R, pc[k].ring);
        i = j;
    }
    free(gstart);
    free(rpos);
    ms_regions_free(&R);
    /* neighbours across the lines: the cells left and right of each line sub-edge */
    int nl_total = c->nlines ? c->lfirst[c->nlines - 1] + c->ln[c->nlines - 1] : 0;
    x->leftc = ut_malloc((size_t)(nl_total + 1) * sizeof(int));
    x->rightc = ut_malloc((size_t)(nl_total + 1) * sizeof(int));
    for (int i = 0; i < nl_total; i++) x->leftc[i] = x->rightc[i] = -1;
    for (int k = 0; k < x->ncells; k++) {
        const ms_cell *cl = &x->cells[k];
        for (int q = cl->ia0; q < cl->ia1; q++) x->rightc[c->lfirst[cl->slab] + q] = k;
        for (int q = cl->ib0; q < cl->ib1; q++) x->leftc[c->lfirst[cl->slab + 1] + q] = k;
    }
}

/* 5. trapezoids: a cell merges with the cell right of it when they meet along a single line
   sub-edge, have the same status in every layer and their bottom and top edges run straight on;
   the vertices the output needs are those of the trapezoids' vertical sides */
static void ms_trapezoids(const ms_ctx *c, ms_cx *x) {
    int n = x->ncells, nlay = x->nlay;
    x->nextc = ut_malloc((size_t)(n + 1) * sizeof(int));
    x->prevc = ut_malloc((size_t)(n + 1) * sizeof(int));
    for (int k = 0; k < n; k++) x->nextc[k] = x->prevc[k] = -1;
    ms_trun *bot = ut_malloc((size_t)(n + 1) * sizeof *bot), *top = ut_malloc((size_t)(n + 1) * sizeof *top);
    for (int k = 0; k < n; k++) { /* cells come slab by slab: a cell's predecessor is done first */
        const ms_cell *a = &x->cells[k];
        if (x->prevc[k] < 0) {
            const int *L0 = c->lids + c->lfirst[a->slab];
            bot[k] = (ms_trun){L0[a->ia0], -INFINITY, INFINITY};
            top[k] = (ms_trun){L0[a->ia1], -INFINITY, INFINITY};
        }
        if (a->ib1 != a->ib0 + 1 || a->slab + 2 >= c->nlines) continue;
        int n2 = x->rightc[c->lfirst[a->slab + 1] + a->ib0];
        if (n2 < 0) continue;
        const ms_cell *b = &x->cells[n2];
        if (b->ia0 != a->ib0 || b->ia1 != a->ib1) continue;
        if (memcmp(x->solid + (size_t)k * nlay, x->solid + (size_t)n2 * nlay, (size_t)nlay) != 0) continue;
        const int *L1 = c->lids + c->lfirst[a->slab + 1], *L2 = c->lids + c->lfirst[a->slab + 2];
        ms_trun nb, nt;
        if (!ms_trun_extend(c, &bot[k], L1[a->ib0], L2[b->ib0], &nb) || !ms_trun_extend(c, &top[k], L1[a->ib1], L2[b->ib1], &nt))
            continue;
        x->nextc[k] = n2;
        x->prevc[n2] = k;
        bot[n2] = nb;
        top[n2] = nt;
    }
    free(bot);
    free(top);
    x->needed = ut_calloc((size_t)c->nv + 1, 1);
    for (int k = 0; k < n; k++) {
        const ms_cell *a = &x->cells[k];
        if (x->prevc[k] < 0)
            for (int q = a->ia0; q <= a->ia1; q++) x->needed[c->lids[c->lfirst[a->slab] + q]] = 1;
        if (x->nextc[k] < 0)
            for (int q = a->ib0; q <= a->ib1; q++) x->needed[c->lids[c->lfirst[a->slab + 1] + q]] = 1;
    }
}

/* the cap polygon of the trapezoid starting at cell k, counter-clockwise: bottom (with its
   needed points), right side, top (needed points), left side; returns its size */
static int ms_trapezoid_polygon(const ms_ctx *c, const ms_cx *x, int k, int **poly, int *cap) {
    const ms_cell *first = &x->cells[k], *last = first;
    int n = 0;
    *UT_PUSH(*poly, n, *cap) = c->lids[c->lfirst[first->slab] + first->ia0];
    for (int j = k; x->nextc[j] >= 0; j = x->nextc[j]) {
        int v = c->lids[c->lfirst[x->cells[j].slab + 1] + x->cells[j].ib0];
        if (x->needed[v]) *UT_PUSH(*poly, n, *cap) = v;
        last = &x->cells[x->nextc[j]];
    }
    for (int q = last->ib0; q <= last->ib1; q++) *UT_PUSH(*poly, n, *cap) = c->lids[c->lfirst[last->slab + 1] + q];
    int mark = n;
    for (int j = k; x->nextc[j] >= 0; j = x->nextc[j]) {
        int v = c->lids[c->lfirst[x->cells[j].slab + 1] + x->cells[j].ib1];
        if (x->needed[v]) *UT_PUSH(*poly, n, *cap) = v;
    }
    for (int a = mark, b = n - 1; a < b; a++, b--) { /* top points right to left */
        int t = (*poly)[a];
        (*poly)[a] = (*poly)[b];
        (*poly)[b] = t;
    }
    for (int q = first->ia1; q > first->ia0; q--) *UT_PUSH(*poly, n, *cap) = c->lids[c->lfirst[first->slab] + q];
    return n;
}

/* 6a. caps of every trapezoid whose status changes between layers */
static void ms_emit_caps(ms_emit *E, const ms_cx *x) {
    const ms_ctx *c = E->c;
    int nlay = x->nlay, *poly = NULL, cap_poly = 0;
    for (int k = 0; k < x->ncells && !bg_charge(4 + nlay); k++) { /* over budget: the caller drops the mesh */
        if (x->prevc[k] >= 0) continue; /* not the first cell of its trapezoid */
        const unsigned char *st = x->solid + (size_t)k * nlay;
        int changes = 0;
        for (int z = 0; z <= nlay && !changes; z++) changes = (z > 0 ? st[z - 1] : 0) != (z < nlay ? st[z] : 0);
        if (!changes) continue;
        const ms_cell *first = &x->cells[k], *last = first;
        int extra = 0; /* needed points on the bottom or top edge */
        for (int j = k; x->nextc[j] >= 0; j = x->nextc[j]) {
            const ms_cell *a = &x->cells[j];
            extra |= x->needed[c->lids[c->lfirst[a->slab + 1] + a->ib0]] | x->needed[c->lids[c->lfirst[a->slab + 1] + a->ib1]];
            last = &x->cells[x->nextc[j]];
        }
        int npoly = extra ? ms_trapezoid_polygon(c, x, k, &poly, &cap_poly) : 0;
        const int *A = c->lids + c->lfirst[first->slab], *B = c->lids + c->lfirst[last->slab + 1];
        double cx = 0.25 * (c->x[A[first->ia0]] + c->x[A[first->ia1]] + c->x[B[last->ib0]] + c->x[B[last->ib1]]);
        double cy = 0.25 * (c->y[A[first->ia0]] + c->y[A[first->ia1]] + c->y[B[last->ib0]] + c->y[B[last->ib1]]);
        for (int z = 0; z <= nlay; z++) {
            int below = z > 0 ? st[z - 1] : 0, above = z < nlay ? st[z] : 0;
            if (below == above) continue;
            if (extra) ms_cap_fan(E, poly, npoly, cx, cy, z, below);
            else ms_cap(E, first->slab, first->ia0, first->ia1, last->slab + 1, last->ib0, last->ib1, z, below);
        }
    }
    free(poly);
}

/* 6b. walls: on the piece edges, merged along straight runs through vertices that are not
   needed; on the line sub-edges */
static void ms_emit_walls(ms_emit *E, const ms_cx *x) {
    const ms_ctx *c = E->c;
    int nlay = x->nlay;
    int *edge_from = ut_malloc((size_t)(c->nv + 1) * sizeof(int));
    for (int i = 0; i < c->nv; i++) edge_from[i] = -1;
    for (int i = 0; i < x->nedges; i++) edge_from[x->edges[i].l] = i;
    for (int i = 0; i < x->nedges && !bg_charge(4 + nlay); i++) {
        const ms_edge *ed = &x->edges[i];
        if (!x->needed[ed->l]) continue; /* inside a run that starts further left */
        int r = ed->r;
        while (!x->needed[r] && edge_from[r] >= 0) r = x->edges[edge_from[r]].r;
        for (int l = 0; l < nlay; l++) {
            int sb = ed->below >= 0 ? x->solid[(size_t)ed->below * nlay + l] : 0;
            int sa = ed->above >= 0 ? x->solid[(size_t)ed->above * nlay + l] : 0;
            if (sb != sa) ms_wall(E, ed->l, r, l, sb); /* quad faces below */
        }
    }
    free(edge_from);
    for (int k = 0; k < c->nlines; k++)
        for (int q = 0; q + 1 < c->ln[k]; q++) {
            int idx = c->lfirst[k] + q, cl = x->leftc[idx], cr = x->rightc[idx];
            if (cl < 0 && cr < 0) continue;
            int a = c->lids[idx], b = c->lids[idx + 1];
            for (int l = 0; l < nlay; l++) {
                int sl = cl >= 0 ? x->solid[(size_t)cl * nlay + l] : 0, sr = cr >= 0 ? x->solid[(size_t)cr * nlay + l] : 0;
                if (sl != sr) ms_wall(E, a, b, l, sr); /* quad on a->b (upwards) faces +U */
            }
        }
}

int ms_mesh_cells(const cad_model *m, const ms_profiles *p, double diag, ms_mesh *out) {
    ms_ctx c = {0};
    c.eps = tol_len(diag);
    const cad_plane *pl0 = &m->sketches[m->extrudes[0].sketch].plane;
    double *wlo = ut_malloc((size_t)m->nextrudes * sizeof *wlo), *whi = ut_malloc((size_t)m->nextrudes * sizeof *whi);
    ms_cell_profiles(m, p, pl0, &c, wlo, whi);
    /* 2. arrangement, lines and pieces */
    if (!bg_charge(8L * c.nseg)) ms_merge_close(&c); /* over budget: skipped, the mesh is dropped */
    for (int i = 0; i < c.nseg; i++) {
        c.seg[i].a = ms_find(&c, c.seg[i].a);
        c.seg[i].b = ms_find(&c, c.seg[i].b);
    }
    if (!bg_charge(8L * c.nseg)) ms_split_all(&c); /* (sorts: a few units per segment) */
    ms_make_lines(&c);
    int np = -1;
    ms_piece *pc = bg_charge(8L * c.nseg) ? NULL : ms_make_pieces(&c, &np); /* over budget: np < 0 */
    if (!pc && np < 0) {
        free(wlo);
        free(whi);
        ms_ctx_free(&c);
        return bg_exceeded() ? bg_fail("meshing") : -1;
    }
    if (np > 0) qsort(pc, (size_t)np, sizeof *pc, ms_cmp_piece);
    if (bg_charge(8L * np)) { /* over budget before the cells */
        free(pc), free(wlo), free(whi);
        ms_ctx_free(&c);
        return bg_fail("meshing");
    }
    ms_layers L;
    ms_levels(m, wlo, whi, c.eps, &L);
    free(wlo);
    free(whi);
    ms_cx x = {.nlay = L.nlevels - 1};
    ms_cells(m, p, &c, pc, np, &L, &x);
    free(pc);
    ms_trapezoids(&c, &x);
    ms_emit E = {.c = &c, .L = &L, .o = pl0->origin, .ax = pl0->x, .ay = pl0->y, .an = pl0->n, .out = out};
    hm_init(&E.map, 512);
    ms_emit_caps(&E, &x);
    ms_emit_walls(&E, &x);
    hm_free(&E.map);
    ms_cx_free(&x);
    ms_layers_free(&L);
    ms_ctx_free(&c);
    return 0;
}
