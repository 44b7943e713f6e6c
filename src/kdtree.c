/* kdtree.c - see kdtree.h. */
#include "kdtree.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "util.h"

typedef struct {
    double split; /* internal: the split coordinate */
    int dim;      /* internal: 0..2; leaf: -1 */
    int a, b;     /* leaf: points [a, b) in tree order; internal: a = index of the left child
                     (the right child is a + 1) */
} kd_node;

struct kd_tree {
    int n;
    double *p;  /* n*3, tree order */
    int *ord;   /* n: index in the kd_build array of each tree-order point */
    kd_node *nodes;
    int nnodes, cap;
};

/* ---- construction ---- */

static double kd_coord(const double *pts, const int *perm, int i, int d) { return pts[3 * perm[i] + d]; }

/* Reorders perm[lo..hi) so that perm[k] holds the k-th smallest coordinate d, smaller or equal
 * ones before it and larger or equal ones after it (Hoare quickselect). */
static void kd_select(const double *pts, int *perm, int lo, int hi, int k, int d) {
    hi--;
    while (hi > lo) {
        double pivot = kd_coord(pts, perm, lo + (hi - lo) / 2, d);
        int i = lo, j = hi;
        while (i <= j) {
            while (kd_coord(pts, perm, i, d) < pivot) i++;
            while (kd_coord(pts, perm, j, d) > pivot) j--;
            if (i <= j) {
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return;
    }
}

static int kd_new_nodes(kd_tree *t, int count) {
    int first = t->nnodes;
    ut_grow((void **)&t->nodes, &t->cap, t->nnodes + count, sizeof *t->nodes);
    t->nnodes += count;
    return first;
}

/* builds node `id` over perm[lo..hi) */
static void kd_build_node(kd_tree *t, const double *pts, int *perm, int id, int lo, int hi) {
    if (hi - lo <= KD_LEAF) {
        t->nodes[id] = (kd_node){0.0, -1, lo, hi};
        return;
    }
    double mn[3] = {DBL_MAX, DBL_MAX, DBL_MAX}, mx[3] = {-DBL_MAX, -DBL_MAX, -DBL_MAX};
    for (int i = lo; i < hi; i++)
        for (int d = 0; d < 3; d++) {
            double v = kd_coord(pts, perm, i, d);
            if (v < mn[d]) mn[d] = v;
            if (v > mx[d]) mx[d] = v;
        }
    int dim = 0;
    for (int d = 1; d < 3; d++)
        if (mx[d] - mn[d] > mx[dim] - mn[dim]) dim = d;
    int mid = lo + (hi - lo) / 2;
    kd_select(pts, perm, lo, hi, mid, dim);
    int child = kd_new_nodes(t, 2); /* may move t->nodes: index, never hold pointers */
    t->nodes[id] = (kd_node){kd_coord(pts, perm, mid, dim), dim, child, 0};
    kd_build_node(t, pts, perm, child, lo, mid);
    kd_build_node(t, pts, perm, child + 1, mid, hi);
}

kd_tree *kd_build(const double *pts, int n) {
    if (n < 1) return ut_fail("kd_build: empty point set"), NULL;
    for (long i = 0; i < 3L * n; i++)
        if (!isfinite(pts[i])) return ut_fail("kd_build: point %ld has a non-finite coordinate", i / 3), NULL;
    kd_tree *t = ut_calloc(1, sizeof *t);
    t->n = n;
    t->ord = ut_malloc((size_t)n * sizeof *t->ord);
    for (int i = 0; i < n; i++) t->ord[i] = i;
    kd_new_nodes(t, 1);
    kd_build_node(t, pts, t->ord, 0, 0, n);
    t->p = ut_malloc((size_t)n * 3 * sizeof *t->p);
    for (int i = 0; i < n; i++)
        for (int d = 0; d < 3; d++) t->p[3 * i + d] = pts[3 * t->ord[i] + d];
    return t;
}

void kd_free(kd_tree *t) {
    if (!t) return;
    free(t->p);
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

/* off[3]: per-axis distance from q to node's cell (a lower bound); rd = |off|^2 */
static void kd_search(const kd_tree *t, int id, const double q[3], double off[3], double rd, kd_best *best) {
    const kd_node *nd = &t->nodes[id];
    if (nd->dim < 0) {
        for (int i = nd->a; i < nd->b; i++) {
            double d2 = kd_dist2(q, t->p + 3 * i);
            if (d2 < best->d2) {
                best->d2 = d2;
                best->i = i;
            }
        }
        return;
    }
    int d = nd->dim;
    double diff = q[d] - nd->split;
    int near = diff < 0 ? nd->a : nd->a + 1, far = diff < 0 ? nd->a + 1 : nd->a;
    kd_search(t, near, q, off, rd, best);
    double old = off[d];
    double rd_far = rd - old * old + diff * diff;
    if (rd_far < best->d2) {
        off[d] = diff;
        kd_search(t, far, q, off, rd_far, best);
        off[d] = old;
    }
}

/* tree-order index of the nearest point; start: a tree-order index whose distance seeds the
 * bound (or -1) */
static kd_best kd_query(const kd_tree *t, const double q[3], int start) {
    kd_best best = {DBL_MAX, 0};
    if (start >= 0) best = (kd_best){kd_dist2(q, t->p + 3 * start), start};
    double off[3] = {0, 0, 0};
    kd_search(t, 0, q, off, 0.0, &best);
    return best;
}

int kd_nearest(const kd_tree *t, const double q[3], double *d2) {
    kd_best b = kd_query(t, q, -1);
    if (d2) *d2 = b.d2;
    return t->ord[b.i];
}

void kd_nearest_batch(const kd_tree *t, const double *q, int m, int *idx, double *d2) {
#pragma omp parallel if (m >= 2048)
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
