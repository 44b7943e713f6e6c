/* kdtree.c - see kdtree.h. */
#include "eval/kdtree.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#ifdef __AVX512F__
#include <immintrin.h>
#endif

typedef struct {
    double lo[3], hi[3]; /* tight bounding box of the node's points */
    int a, b;            /* leaf (child < 0): points [a, b) in tree order */
    int child;           /* internal: index of the left child (the right one is child + 1); leaf: -1 */
    int leaf;            /* leaf: its number in point order (its block in kd_tree.blk); internal: -1 */
} kd_node;

struct kd_tree {
    int n;
    double *p;   /* n*3, tree order */
    double *blk; /* nleaf blocks of 3*KD_LEAF: leaf l's points as x[KD_LEAF], y[], z[], the
                    lanes past its last point repeat its first point (vectorised leaf scans:
                    a repeat is never nearer than the point itself, and ties go to the first
                    lane, so the scans return real lanes for any finite coordinates) */
    int *leafnode; /* nleaf: node index of each leaf, in point order */
    int nleaf;
    int *ord;  /* n: index in the kd_build array of each tree-order point */
    kd_node *nodes;
    int nnodes, cap;
    uint32_t *key, *key2; /* construction scratch (n each): Morton keys, radix sort buffer */
    int *ord2;            /* construction scratch (n): radix sort buffer */
    int ncap, lcap;       /* capacity of the n-sized arrays and of the nleaf-sized ones */
};

/* ---- vectors of 8 doubles ---- */

/* KD_LEAF = KD_NV vectors of 8 doubles (GCC vector extensions: AVX-512 registers with
 * -march=native on such machines, pairs of narrower ones elsewhere); loads may be unaligned */
#ifdef __GNUC__
/* the 64-byte vectors pass between static functions only: no ABI to keep */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
typedef double kd_v8 __attribute__((vector_size(64), aligned(8)));
typedef long long kd_m8 __attribute__((vector_size(64), aligned(8)));
#define KD_NV (KD_LEAF / 8) /* vectors per leaf */
_Static_assert(KD_LEAF % 8 == 0 && KD_LEAF <= 64, "leaf lanes: whole vectors, one bit each in a 64-bit mask");

static kd_v8 kd_vmin(kd_v8 a, kd_v8 b) {
    kd_m8 c = a < b;
    return (kd_v8)(((kd_m8)a & c) | ((kd_m8)b & ~c));
}

static kd_v8 kd_vmax(kd_v8 a, kd_v8 b) {
    kd_m8 c = a > b;
    return (kd_v8)(((kd_m8)a & c) | ((kd_m8)b & ~c));
}

/* bit k set where a[k] < b[k] (AVX-512 compare-to-mask where available) */
static uint32_t kd_vlt(kd_v8 a, kd_v8 b) {
#ifdef __AVX512F__
    return _mm512_cmp_pd_mask((__m512d)a, (__m512d)b, _CMP_LT_OQ);
#else
    uint32_t m = 0;
    for (int k = 0; k < 8; k++) m |= (uint32_t)(a[k] < b[k]) << k;
    return m;
#endif
}

static double kd_hmin(kd_v8 v) {
#ifdef __AVX512F__
    return _mm512_reduce_min_pd((__m512d)v);
#else
    double m = v[0];
    for (int k = 1; k < 8; k++) m = v[k] < m ? v[k] : m;
    return m;
#endif
}

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
    kd_node nd = {{DBL_MAX, DBL_MAX, DBL_MAX}, {-DBL_MAX, -DBL_MAX, -DBL_MAX}, lo, hi, -1, -1};
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
        nd.leaf = t->nleaf++;
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

/* KD_SPREAD[v]: the 10 bits of v spread to every third bit (bit i to bit 3i), as a table */
#define KD_S1(v) (((v) & 1u) | ((v) & 2u) << 2 | ((v) & 4u) << 4 | ((v) & 8u) << 6 | ((v) & 16u) << 8 | \
                  ((v) & 32u) << 10 | ((v) & 64u) << 12 | ((v) & 128u) << 14 | ((v) & 256u) << 16 | ((v) & 512u) << 18)
#define KD_S4(v) KD_S1(v), KD_S1(v + 1u), KD_S1(v + 2u), KD_S1(v + 3u)
#define KD_S16(v) KD_S4(v), KD_S4(v + 4u), KD_S4(v + 8u), KD_S4(v + 12u)
#define KD_S64(v) KD_S16(v), KD_S16(v + 16u), KD_S16(v + 32u), KD_S16(v + 48u)
#define KD_S256(v) KD_S64(v), KD_S64(v + 64u), KD_S64(v + 128u), KD_S64(v + 192u)
static const uint32_t KD_SPREAD[1024] = {KD_S256(0u), KD_S256(256u), KD_S256(512u), KD_S256(768u)};

/* sorts (key, index) pairs by their 30-bit keys: LSD radix sort, three 10-bit digits counted in
 * one pass (a pass whose digit is the same for every key is skipped); k2, i2: n-sized scratch */
static void kd_radix_sort(uint32_t *key, int *idx, int n, uint32_t *k2, int *i2) {
    uint32_t *ks = key;
    int *is = idx;
    static _Thread_local int cnt[3][1024];
    memset(cnt, 0, sizeof cnt);
    for (int i = 0; i < n; i++) {
        cnt[0][key[i] & 1023]++;
        cnt[1][(key[i] >> 10) & 1023]++;
        cnt[2][key[i] >> 20]++;
    }
    for (int pass = 0; pass < 3; pass++) {
        int shift = 10 * pass, *c = cnt[pass];
        if (c[(ks[0] >> shift) & 1023] == n) continue;
        for (int b = 0, sum = 0; b < 1024; b++) {
            int v = c[b];
            c[b] = sum;
            sum += v;
        }
        for (int i = 0; i < n; i++) {
            int pos = c[(ks[i] >> shift) & 1023]++;
            k2[pos] = ks[i];
            i2[pos] = is[i];
        }
        uint32_t *tk = ks;
        int *ti = is;
        ks = k2, is = i2, k2 = tk, i2 = ti; /* the sorted pairs are now in ks, is */
    }
    if (ks != key) {
        memcpy(key, ks, (size_t)n * sizeof *key);
        memcpy(idx, is, (size_t)n * sizeof *idx);
    }
}

/* the leaves' padded coordinate blocks (kd_tree.blk) and leaf list, from the built nodes */
static void kd_fill_blocks(kd_tree *t) {
    if (t->nleaf > t->lcap) {
        free(t->blk), free(t->leafnode);
        t->lcap = t->nleaf;
        t->blk = ut_malloc((size_t)t->lcap * 3 * KD_LEAF * sizeof *t->blk);
        t->leafnode = ut_malloc((size_t)t->lcap * sizeof *t->leafnode);
    }
    for (int id = 0; id < t->nnodes; id++) {
        const kd_node *nd = &t->nodes[id];
        if (nd->child >= 0) continue;
        t->leafnode[nd->leaf] = id;
        double *b = t->blk + (size_t)nd->leaf * 3 * KD_LEAF;
        const double *p = t->p + 3 * (size_t)nd->a;
        int m = nd->b - nd->a;
        for (int k = 0; k < m; k++) b[k] = p[3 * k], b[KD_LEAF + k] = p[3 * k + 1], b[2 * KD_LEAF + k] = p[3 * k + 2];
        for (int d = 0; d < 3; d++)
            for (int k = m; k < KD_LEAF; k++) b[d * KD_LEAF + k] = p[d];
    }
}

/* Bounding box lo, hi (3 each) of n points (n*3); 0 if a coordinate is not finite. Eight points
 * (three vectors) per step; the lanes of vector v hold axis (8v + lane) % 3. */
static int kd_bounds(const double *pts, int n, double lo[3], double hi[3]) {
    for (int d = 0; d < 3; d++) lo[d] = DBL_MAX, hi[d] = -DBL_MAX;
    int i = 0;
    if (n >= 8) {
        kd_v8 vlo[3], vhi[3], fin = {0}; /* fin: sums of v - v, NaN once a value is not finite */
        for (int v = 0; v < 3; v++) vlo[v] = vhi[v] = *(const kd_v8 *)(pts + 8 * v);
        for (; i + 8 <= n; i += 8)
            for (int v = 0; v < 3; v++) {
                kd_v8 x = *(const kd_v8 *)(pts + 3 * (size_t)i + 8 * v);
                vlo[v] = kd_vmin(x, vlo[v]), vhi[v] = kd_vmax(x, vhi[v]);
                fin += x - x;
            }
        for (int v = 0; v < 3; v++)
            for (int l = 0; l < 8; l++) {
                int d = (8 * v + l) % 3;
                if (!(fin[l] == 0)) return 0;
                lo[d] = vlo[v][l] < lo[d] ? vlo[v][l] : lo[d];
                hi[d] = vhi[v][l] > hi[d] ? vhi[v][l] : hi[d];
            }
    }
    for (; i < n; i++)
        for (int d = 0; d < 3; d++) {
            double x = pts[3 * i + d];
            if (!isfinite(x)) return 0;
            lo[d] = x < lo[d] ? x : lo[d];
            hi[d] = x > hi[d] ? x : hi[d];
        }
    return 1;
}

/* makes room for n points in the n-sized arrays (their contents are not kept) */
static void kd_reserve(kd_tree *t, int n) {
    if (n <= t->ncap) return;
    free(t->p), free(t->ord), free(t->key), free(t->key2), free(t->ord2);
    t->ncap = n;
    t->p = ut_malloc((size_t)n * 3 * sizeof *t->p);
    t->ord = ut_malloc((size_t)n * sizeof *t->ord);
    t->key = ut_malloc((size_t)n * sizeof *t->key);
    t->key2 = ut_malloc((size_t)n * sizeof *t->key2);
    t->ord2 = ut_malloc((size_t)n * sizeof *t->ord2);
}

int kd_rebuild(kd_tree *t, const double *pts, int n) {
    if (n < 1) return ut_fail("kd_build: empty point set");
    double lo[3], hi[3], ext = 0;
    if (!kd_bounds(pts, n, lo, hi)) {
        for (long i = 0; i < 3L * n; i++)
            if (!isfinite(pts[i])) return ut_fail("kd_build: point %ld has a non-finite coordinate", i / 3);
    }
    kd_reserve(t, n);
    t->n = n;
    /* Morton order on a cube around the points, KD_BITS bits per axis */
    for (int d = 0; d < 3; d++) ext = hi[d] - lo[d] > ext ? hi[d] - lo[d] : ext;
    double sc = ext > 0 ? ((1 << KD_BITS) - 1) / ext : 0;
    uint32_t *key = t->key;
    for (int i = 0; i < n; i++) {
        uint32_t c[3];
        for (int d = 0; d < 3; d++) c[d] = (uint32_t)((pts[3 * i + d] - lo[d]) * sc);
        key[i] = KD_SPREAD[c[0] & 1023] | KD_SPREAD[c[1] & 1023] << 1 | KD_SPREAD[c[2] & 1023] << 2;
        t->ord[i] = i;
    }
    kd_radix_sort(key, t->ord, n, t->key2, t->ord2);
    for (int i = 0; i < n; i++)
        for (int d = 0; d < 3; d++) t->p[3 * i + d] = pts[3 * (size_t)t->ord[i] + d];
    t->nnodes = t->nleaf = 0;
    ut_grow((void **)&t->nodes, &t->cap, 2 * (n / KD_LEAF) + 8, sizeof *t->nodes);
    kd_new_nodes(t, 1);
    kd_build_node(t, key, 0, 0, n);
    kd_fill_blocks(t);
    return 0;
}

kd_tree *kd_build(const double *pts, int n) {
    kd_tree *t = ut_calloc(1, sizeof *t);
    if (kd_rebuild(t, pts, n) != 0) {
        kd_free(t);
        return NULL;
    }
    return t;
}

void kd_free(kd_tree *t) {
    if (!t) return;
    free(t->p);
    free(t->blk);
    free(t->leafnode);
    free(t->ord);
    free(t->key), free(t->key2), free(t->ord2);
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

/* squared distance between the centres of two boxes (x4): orders children that both touch ql */
static double kd_centre_gap(const kd_node *a, const kd_node *b) {
    double s = 0;
    for (int d = 0; d < 3; d++) {
        double e = a->lo[d] + a->hi[d] - b->lo[d] - b->hi[d];
        s += e * e;
    }
    return s;
}

/* sum of the 8 lanes */
static double kd_hsum(kd_v8 v) {
#ifdef __AVX512F__
    return _mm512_reduce_add_pd((__m512d)v);
#else
    double s = 0;
    for (int k = 0; k < 8; k++) s += v[k];
    return s;
#endif
}

/* The query box of a group as one vector: (hi x y z, lo x y z, 0, 0) */
static kd_v8 kd_qbox(const kd_node *q) {
    return (kd_v8){q->hi[0], q->hi[1], q->hi[2], q->lo[0], q->lo[1], q->lo[2], 0, 0};
}

_Static_assert(sizeof(kd_node) == 64 && offsetof(kd_node, lo) == 0 && offsetof(kd_node, hi) == 24,
               "a node is one 8-lane vector: lo[3], hi[3], then its integers");

/* Squared distance between node nd's box and the query box qb (kd_qbox): the node loaded as one
 * vector (its integer lanes cleared before any arithmetic), per axis lo - qhi and qlo - hi (at
 * most one of them positive), clamped at 0, squared and summed. */
static double kd_box_gap(const kd_node *nd, kd_v8 qb) {
    static const kd_m8 keep = {-1, -1, -1, -1, -1, -1, 0, 0};
    static const kd_v8 sign = {1, 1, 1, -1, -1, -1, 0, 0}, zero = {0};
    kd_v8 x;
    memcpy(&x, nd, sizeof x);
    x = (kd_v8)((kd_m8)x & keep);
    kd_v8 w = kd_vmax((x - qb) * sign, zero);
    return kd_hsum(w * w);
}

/* largest of best[KD_LEAF] */
static inline double kd_max_best(const double *best) {
    kd_v8 v = *(const kd_v8 *)best;
    for (int h = 1; h < KD_NV; h++) v = kd_vmax(v, *(const kd_v8 *)(best + 8 * h));
#ifdef __AVX512F__
    return _mm512_reduce_max_pd((__m512d)v);
#else
    double m = v[0];
    for (int k = 1; k < 8; k++) m = v[k] > m ? v[k] : m;
    return m;
#endif
}

/* scans data leaf `nd` for query q (x, y, z): when a point is nearer than *best, the nearest one's
 * squared distance goes to *best and its tree-order index to *bi */
static void kd_scan_leaf(const kd_tree *t, const kd_node *nd, double x, double y, double z, double *best, int *bi,
                         int exact_index) {
    const double *b = t->blk + (size_t)nd->leaf * 3 * KD_LEAF;
    kd_v8 d2[KD_NV], mv;
    for (int h = 0; h < KD_NV; h++) {
        kd_v8 dx = *(const kd_v8 *)(b + 8 * h) - x, dy = *(const kd_v8 *)(b + KD_LEAF + 8 * h) - y;
        kd_v8 dz = *(const kd_v8 *)(b + 2 * KD_LEAF + 8 * h) - z;
        d2[h] = dx * dx + dy * dy + dz * dz;
    }
    mv = d2[0];
    for (int h = 1; h < KD_NV; h++) mv = kd_vmin(mv, d2[h]);
    double m = kd_hmin(mv);
    if (m >= *best) return;
    if (!exact_index) { /* a point of the same leaf: enough to seed the next group's bounds */
        *best = m, *bi = nd->a;
        return;
    }
    uint64_t hit = 0; /* lanes at the minimum (not above it); the first one is taken */
    kd_v8 mb = d2[0] * 0 + m;
    for (int h = 0; h < KD_NV; h++) hit |= (uint64_t)(~kd_vlt(mb, d2[h]) & 0xffu) << 8 * h;
    *best = m, *bi = nd->a + __builtin_ctzll(hit);
}

/* Nearest data points of the queries in query leaf ql: a depth-first traversal of the data tree
 * that skips a node when its box is not closer to ql's box than the worst current best of the
 * group; each data leaf reached is scanned for the queries whose own distance to it can still
 * improve. best/bi (KD_LEAF lanes) come in seeded (finite upper bounds or DBL_MAX; lanes past the
 * leaf's points hold 0 and are never scanned). */
static void kd_group(const kd_tree *t, const kd_tree *qt, const kd_node *ql, double *best, int *bi, int exact_index) {
    const double *qx = qt->blk + (size_t)ql->leaf * 3 * KD_LEAF, *qy = qx + KD_LEAF, *qz = qy + KD_LEAF;
    double bound = kd_max_best(best);
    kd_v8 qb = kd_qbox(ql);
    int stack[KD_STACK];
    double sdist[KD_STACK];
    int top = 0;
    stack[top] = 0, sdist[top++] = kd_box_gap(&t->nodes[0], qb);
    while (top > 0) {
        top--;
        if (sdist[top] >= bound) continue;
        const kd_node *nd = &t->nodes[stack[top]];
        while (nd->child >= 0) {
            const kd_node *l = &t->nodes[nd->child], *r = l + 1;
            double dl = kd_box_gap(l, qb), dr = kd_box_gap(r, qb);
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
        kd_v8 bd[KD_NV]; /* squared distance of each query to the leaf's box */
        for (int h = 0; h < KD_NV; h++) {
            kd_v8 s = {0};
            for (int d = 0; d < 3; d++) {
                kd_v8 c = *(const kd_v8 *)(qx + d * KD_LEAF + 8 * h), zero = {0};
                kd_v8 e = kd_vmax(kd_vmax(nd->lo[d] - c, c - nd->hi[d]), zero);
                s += e * e;
            }
            bd[h] = s;
        }
        uint64_t todo = 0; /* queries whose distance to the leaf's box is below their best */
        for (int h = 0; h < KD_NV; h++) todo |= (uint64_t)kd_vlt(bd[h], *(const kd_v8 *)(best + 8 * h)) << 8 * h;
        for (; todo; todo &= todo - 1) {
            int k = __builtin_ctzll(todo);
            kd_scan_leaf(t, nd, qx[k], qy[k], qz[k], &best[k], &bi[k], exact_index);
        }
        bound = kd_max_best(best);
    }
}

void kd_nearest_tree(const kd_tree *t, const kd_tree *qt, int *idx, double *d2) {
    /* the query leaves in point order: neighbours follow each other */
#pragma omp parallel if (qt->n >= KD_PARALLEL_MIN)
    {
        int prev = -1; /* a data point near the previous leaf: seeds the bounds */
#pragma omp for schedule(static)
        for (int l = 0; l < qt->nleaf; l++) {
            const kd_node *ql = &qt->nodes[qt->leafnode[l]];
            int nq = ql->b - ql->a;
            double best[KD_LEAF];
            int bi[KD_LEAF];
            for (int k = 0; k < KD_LEAF; k++) {
                bi[k] = prev < 0 ? 0 : prev;
                best[k] = k >= nq ? 0 : prev < 0 ? DBL_MAX : kd_dist2(qt->p + 3 * (size_t)(ql->a + k), t->p + 3 * (size_t)prev);
            }
            kd_group(t, qt, ql, best, bi, idx != NULL);
            prev = bi[0];
            for (int k = 0; k < nq; k++) {
                if (idx) idx[ql->a + k] = t->ord[bi[k]];
                if (d2) d2[ql->a + k] = best[k];
            }
        }
    }
}
