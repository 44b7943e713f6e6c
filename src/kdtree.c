/* kdtree.c - see kdtree.h. */
#include "kdtree.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct {
    double lo[3], hi[3]; /* tight bounding box of the node's points */
    int a, b;            /* leaf (child < 0): points [a, b) in tree order */
    int child;           /* internal: index of the left child (the right one is child + 1); leaf: -1 */
} kd_node;

struct kd_tree {
    int n;
    double *p;   /* n*3, tree order */
    double *soa; /* 3*n: the same points as x[n], y[n], z[n] (leaf scans) */
    int *ord;  /* n: index in the kd_build array of each tree-order point */
    kd_node *nodes;
    int nnodes, cap;
};

/* ---- construction ---- */

static int kd_new_nodes(kd_tree *t, int count) {
    int first = t->nnodes;
    ut_grow((void **)&t->nodes, &t->cap, t->nnodes + count, sizeof *t->nodes);
    t->nnodes += count;
    return first;
}

/* first index in [lo, hi) of sorted keys whose key has `bit` set (keys agree above bit) */
static int kd_first_set(const uint32_t *key, int lo, int hi, int bit) {
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if ((key[mid] >> bit) & 1) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* Builds node `id` over tree-order points [lo, hi) with sorted Morton keys: a node splits where
 * the highest bit that differs among its keys turns on, i.e. at the midplane of its Morton cell
 * (axes taken in turn), so it is a midpoint kd-tree; ranges of equal keys split in the middle.
 * Tight boxes are computed at the leaves and merged upwards. */
static void kd_build_node(kd_tree *t, const uint32_t *key, int id, int lo, int hi) {
    kd_node nd = {{DBL_MAX, DBL_MAX, DBL_MAX}, {-DBL_MAX, -DBL_MAX, -DBL_MAX}, lo, hi, -1};
    if (hi - lo > KD_LEAF) {
        uint32_t diff = key[lo] ^ key[hi - 1];
        int mid = diff ? kd_first_set(key, lo, hi, 31 - __builtin_clz(diff)) : lo + (hi - lo) / 2;
        nd.child = kd_new_nodes(t, 2); /* may move t->nodes: keep indices, not pointers */
        kd_build_node(t, key, nd.child, lo, mid);
        kd_build_node(t, key, nd.child + 1, mid, hi);
        const kd_node *a = &t->nodes[nd.child], *b = a + 1;
        for (int d = 0; d < 3; d++) {
            nd.lo[d] = a->lo[d] < b->lo[d] ? a->lo[d] : b->lo[d];
            nd.hi[d] = a->hi[d] > b->hi[d] ? a->hi[d] : b->hi[d];
        }
    } else {
        for (int i = lo; i < hi; i++)
            for (int d = 0; d < 3; d++) {
                double v = t->p[3 * i + d];
                if (v < nd.lo[d]) nd.lo[d] = v;
                if (v > nd.hi[d]) nd.hi[d] = v;
            }
    }
    t->nodes[id] = nd;
}

#define KD_BITS 10 /* Morton bits per axis: cells far smaller than a leaf for any practical n */

/* the KD_BITS low bits of v spread to every third bit */
static uint32_t kd_spread(uint32_t v) {
    v &= 0x3ff;
    v = (v | v << 16) & 0x030000ffu;
    v = (v | v << 8) & 0x0300f00fu;
    v = (v | v << 4) & 0x030c30c3u;
    v = (v | v << 2) & 0x09249249u;
    return v;
}

/* sorts (key, index) pairs by their 30-bit keys: LSD radix sort, three 10-bit digits (a pass
 * whose digit is the same for every key is skipped) */
static void kd_radix_sort(uint32_t *key, int *idx, int n) {
    uint32_t *k2 = ut_malloc((size_t)n * sizeof *k2);
    int *i2 = ut_malloc((size_t)n * sizeof *i2);
    int cnt[1024];
    for (int shift = 0; shift < 30; shift += 10) {
        memset(cnt, 0, sizeof cnt);
        for (int i = 0; i < n; i++) cnt[(key[i] >> shift) & 1023]++;
        if (cnt[(key[0] >> shift) & 1023] == n) continue;
        for (int b = 0, sum = 0; b < 1024; b++) {
            int c = cnt[b];
            cnt[b] = sum;
            sum += c;
        }
        for (int i = 0; i < n; i++) {
            int pos = cnt[(key[i] >> shift) & 1023]++;
            k2[pos] = key[i];
            i2[pos] = idx[i];
        }
        uint32_t *tk = key;
        int *ti = idx;
        memcpy(tk, k2, (size_t)n * sizeof *key);
        memcpy(ti, i2, (size_t)n * sizeof *idx);
    }
    free(k2), free(i2);
}

kd_tree *kd_build(const double *pts, int n) {
    if (n < 1) return ut_fail("kd_build: empty point set"), NULL;
    for (long i = 0; i < 3L * n; i++)
        if (!isfinite(pts[i])) return ut_fail("kd_build: point %ld has a non-finite coordinate", i / 3), NULL;
    kd_tree *t = ut_calloc(1, sizeof *t);
    t->n = n;
    /* Morton order on a cube around the points, KD_BITS bits per axis */
    double lo[3] = {DBL_MAX, DBL_MAX, DBL_MAX}, ext = 0;
    for (int i = 0; i < n; i++)
        for (int d = 0; d < 3; d++) lo[d] = pts[3 * i + d] < lo[d] ? pts[3 * i + d] : lo[d];
    for (int i = 0; i < n; i++)
        for (int d = 0; d < 3; d++) ext = pts[3 * i + d] - lo[d] > ext ? pts[3 * i + d] - lo[d] : ext;
    double sc = ext > 0 ? ((1 << KD_BITS) - 1) / ext : 0;
    uint32_t *key = ut_malloc((size_t)n * sizeof *key);
    t->ord = ut_malloc((size_t)n * sizeof *t->ord);
    for (int i = 0; i < n; i++) {
        uint32_t c[3];
        for (int d = 0; d < 3; d++) c[d] = (uint32_t)((pts[3 * i + d] - lo[d]) * sc);
        key[i] = kd_spread(c[0]) | kd_spread(c[1]) << 1 | kd_spread(c[2]) << 2;
        t->ord[i] = i;
    }
    kd_radix_sort(key, t->ord, n);
    t->p = ut_malloc((size_t)n * 3 * sizeof *t->p);
    t->soa = ut_malloc((size_t)n * 3 * sizeof *t->soa);
    for (int i = 0; i < n; i++)
        for (int d = 0; d < 3; d++) t->p[3 * i + d] = t->soa[(size_t)d * n + i] = pts[3 * (size_t)t->ord[i] + d];
    ut_grow((void **)&t->nodes, &t->cap, 2 * (n / KD_LEAF) + 8, sizeof *t->nodes);
    kd_new_nodes(t, 1);
    kd_build_node(t, key, 0, 0, n);
    free(key);
    return t;
}

void kd_free(kd_tree *t) {
    if (!t) return;
    free(t->p);
    free(t->soa);
    free(t->ord);
    free(t->nodes);
    free(t);
}

int kd_size(const kd_tree *t) { return t->n; }
const double *kd_points(const kd_tree *t) { return t->p; }
const int *kd_order(const kd_tree *t) { return t->ord; }

/* ---- queries ---- */

typedef struct {
    double d2; /* best squared distance so far */
    int i;     /* its tree-order index */
} kd_best;

static double kd_dist2(const double *a, const double *b) {
    double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return dx * dx + dy * dy + dz * dz;
}

/* squared distance from q to node's box (0 inside) */
static double kd_box_dist2(const kd_node *nd, const double q[3]) {
    double s = 0;
    for (int d = 0; d < 3; d++) {
        double a = nd->lo[d] - q[d], b = q[d] - nd->hi[d]; /* branch-free: max(a, b, 0) */
        double e = a > b ? a : b;
        e = e > 0 ? e : 0;
        s += e * e;
    }
    return s;
}

#define KD_STACK 128 /* enough: the tree depth is at most log2(n / KD_LEAF) + 1 < 64 */

/* Depth-first search, nearer child first; a node is skipped when the distance to its box is
 * not below the best distance so far (which makes the result exact). */
static void kd_search(const kd_tree *t, const double q[3], kd_best *best) {
    int stack[KD_STACK];
    double sdist[KD_STACK];
    int top = 0;
    stack[top] = 0, sdist[top++] = kd_box_dist2(&t->nodes[0], q);
    while (top > 0) {
        top--;
        if (sdist[top] >= best->d2) continue;
        const kd_node *nd = &t->nodes[stack[top]];
        while (nd->child >= 0) { /* descend, pushing the farther child */
            const kd_node *l = &t->nodes[nd->child], *r = l + 1;
            double dl = kd_box_dist2(l, q), dr = kd_box_dist2(r, q);
            const kd_node *near = l, *far = r;
            double dn = dl, df = dr;
            if (dr < dl) near = r, far = l, dn = dr, df = dl;
            if (df < best->d2) stack[top] = (int)(far - t->nodes), sdist[top++] = df;
            if (dn >= best->d2) break;
            nd = near;
        }
        if (nd->child >= 0) continue;
        for (int i = nd->a; i < nd->b; i++) {
            double d2 = kd_dist2(q, t->p + 3 * i);
            if (d2 < best->d2) best->d2 = d2, best->i = i;
        }
    }
}

/* tree-order index of the nearest point; start: a tree-order index whose distance seeds the
 * bound (or -1) */
static kd_best kd_query(const kd_tree *t, const double q[3], int start) {
    kd_best best = {DBL_MAX, 0};
    if (start >= 0) best = (kd_best){kd_dist2(q, t->p + 3 * start), start};
    kd_search(t, q, &best);
    return best;
}

int kd_nearest(const kd_tree *t, const double q[3], double *d2) {
    kd_best b = kd_query(t, q, -1);
    if (d2) *d2 = b.d2;
    return t->ord[b.i];
}

void kd_nearest_batch(const kd_tree *t, const double *q, int m, int *idx, double *d2) {
#pragma omp parallel if (m >= KD_PARALLEL_MIN)
    {
        int prev = -1;
#pragma omp for schedule(static)
        for (int j = 0; j < m; j++) {
            kd_best b = kd_query(t, q + 3 * (size_t)j, prev);
            prev = b.i;
            if (idx) idx[j] = t->ord[b.i];
            if (d2) d2[j] = b.d2;
        }
    }
}

/* ---- all nearest neighbours of one tree's points: one traversal per query leaf ---- */

static double kd_box_box_dist2(const kd_node *a, const kd_node *b) {
    double s = 0;
    for (int d = 0; d < 3; d++) {
        double u = a->lo[d] - b->hi[d], v = b->lo[d] - a->hi[d];
        double e = u > v ? u : v;
        e = e > 0 ? e : 0;
        s += e * e;
    }
    return s;
}

/* squared distance between the centres of two boxes (x4): orders children that both touch ql */
static double kd_centre_gap(const kd_node *a, const kd_node *b) {
    double s = 0;
    for (int d = 0; d < 3; d++) {
        double e = a->lo[d] + a->hi[d] - b->lo[d] - b->hi[d];
        s += e * e;
    }
    return s;
}

/* scans data leaf `nd` for query q: best squared distance and tree-order index */
static void kd_scan_leaf(const kd_tree *t, const kd_node *nd, const double q[3], double *best, int *bi) {
    const double *x = t->soa, *y = t->soa + t->n, *z = t->soa + 2 * (size_t)t->n;
    double m = *best;
    int mi = -1;
    for (int i = nd->a; i < nd->b; i++) {
        double dx = x[i] - q[0], dy = y[i] - q[1], dz = z[i] - q[2];
        double d2 = dx * dx + dy * dy + dz * dz;
        if (d2 < m) m = d2, mi = i;
    }
    if (mi >= 0) *best = m, *bi = mi;
}

/* Nearest data points of the queries in query leaf ql: a depth-first traversal of the data tree
 * that skips a node when its box is not closer to ql's box than the worst current best of the
 * group; each data leaf reached is scanned for the queries whose own distance to it can still
 * improve. best/bi (KD_LEAF) come in seeded (finite upper bounds or DBL_MAX). */
static void kd_group(const kd_tree *t, const kd_tree *qt, const kd_node *ql, double *best, int *bi) {
    int nq = ql->b - ql->a;
    const double *q = qt->p + 3 * (size_t)ql->a;
    double bound = 0;
    for (int k = 0; k < nq; k++) bound = best[k] > bound ? best[k] : bound;
    int stack[KD_STACK];
    double sdist[KD_STACK];
    int top = 0;
    stack[top] = 0, sdist[top++] = kd_box_box_dist2(&t->nodes[0], ql);
    while (top > 0) {
        top--;
        if (sdist[top] >= bound) continue;
        const kd_node *nd = &t->nodes[stack[top]];
        while (nd->child >= 0) {
            const kd_node *l = &t->nodes[nd->child], *r = l + 1;
            double dl = kd_box_box_dist2(l, ql), dr = kd_box_box_dist2(r, ql);
            const kd_node *near = l, *far = r;
            double dn = dl, df = dr;
            if (dr < dl || (dr == dl && kd_centre_gap(r, ql) < kd_centre_gap(l, ql))) {
                near = r, far = l, dn = dr, df = dl;
            }
            if (df < bound) stack[top] = (int)(far - t->nodes), sdist[top++] = df;
            if (dn >= bound) break;
            nd = near;
        }
        if (nd->child >= 0) continue;
        bound = 0;
        for (int k = 0; k < nq; k++) {
            if (kd_box_dist2(nd, q + 3 * k) < best[k]) kd_scan_leaf(t, nd, q + 3 * k, &best[k], &bi[k]);
            bound = best[k] > bound ? best[k] : bound;
        }
    }
}

void kd_nearest_tree(const kd_tree *t, const kd_tree *qt, int *idx, double *d2) {
    /* the query leaves in point order (depth-first, left first): neighbours follow each other */
    int nleaves = 0, top = 0, stack[KD_STACK];
    int *leaves = ut_malloc((size_t)qt->nnodes * sizeof *leaves);
    stack[top++] = 0;
    while (top > 0) {
        const kd_node *nd = &qt->nodes[stack[--top]];
        if (nd->child < 0) {
            leaves[nleaves++] = (int)(nd - qt->nodes);
        } else {
            stack[top++] = nd->child + 1;
            stack[top++] = nd->child;
        }
    }
#pragma omp parallel if (qt->n >= KD_PARALLEL_MIN)
    {
        int prev = -1; /* a data point near the previous leaf: seeds the bounds */
#pragma omp for schedule(static)
        for (int l = 0; l < nleaves; l++) {
            const kd_node *ql = &qt->nodes[leaves[l]];
            double best[KD_LEAF];
            int bi[KD_LEAF];
            for (int k = 0; k < ql->b - ql->a; k++) {
                bi[k] = prev < 0 ? 0 : prev;
                best[k] = prev < 0 ? DBL_MAX : kd_dist2(qt->p + 3 * (size_t)(ql->a + k), t->p + 3 * (size_t)prev);
            }
            kd_group(t, qt, ql, best, bi);
            prev = bi[0];
            for (int k = 0; k < ql->b - ql->a; k++) {
                if (idx) idx[ql->a + k] = t->ord[bi[k]];
                if (d2) d2[ql->a + k] = best[k];
            }
        }
    }
    free(leaves);
}
