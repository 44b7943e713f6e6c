/* kdtree.h - exact nearest-neighbour queries on 3-D point sets (the Chamfer distance's engine).
 *
 *   kd_tree *t = kd_build(pts, n);            pts: n*3 doubles (x y z per point), copied
 *   double d2; int i = kd_nearest(t, q, &d2);  i: index into the caller's pts, d2: squared distance
 *   kd_nearest_batch(t, qs, m, idx, d2s);      m queries at once
 *   kd_nearest_tree(t, qt, idx, d2s);          every point of tree qt (fastest for clouds)
 *   kd_rebuild(t, pts2, n2);                   same tree, new points, memory reused
 *   kd_free(t);
 *
 * Construction: O(n log n) at worst, linear in practice. The points are sorted by their Morton
 * code (10 bits per axis on the cube that holds them; radix sort), and each node splits at the
 * midplane of its Morton cell, the axes taken in turn: a midpoint k-d tree (ranges of identical
 * codes split in the middle). Leaves hold at most KD_LEAF points, stored contiguously in tree
 * order (kd_points()) and again as one padded block of x[KD_LEAF], y[], z[] per leaf, so that a
 * leaf scan is a few fixed-width vector operations; every node keeps the tight bounding box of
 * its points. Queries descend to the nearer child first and skip a subtree when the squared
 * distance from the query to its box is not below the best distance found so far, so the answer
 * is exact. Batch queries start each
 * search from the previous query's answer (a real distance, hence a valid upper bound): queries
 * given in a spatially coherent order, such as another tree's kd_points(), prune far more.
 *
 * Ties: when several points are at the same distance any one of them may be returned; the
 * distance is exact either way. Thread safety: a built tree is read-only; queries may run
 * concurrently.
 */
#ifndef RECAD_KDTREE_H
#define RECAD_KDTREE_H

#define KD_LEAF 32 /* maximum points per leaf (a multiple of 8, at most 64) */
/* batch queries use the OpenMP threads from this many queries on: below it a query set takes
 * about a millisecond, less than what waking and joining threads costs on a busy machine */
#define KD_PARALLEL_MIN 32768

typedef struct kd_tree kd_tree; /* opaque */

/* NULL + ut_error() if n < 1 or a coordinate is not finite. */
kd_tree *kd_build(const double *pts, int n);
void kd_free(kd_tree *t);
/* Rebuilds t on new points (the same contract as kd_build), reusing its memory: repeated builds
 * of clouds of similar sizes allocate nothing. 0, or -1 + ut_error() with t left unchanged. */
int kd_rebuild(kd_tree *t, const double *pts, int n);
int kd_size(const kd_tree *t);
/* The points in tree order (n*3) and, for each, its index in the array given to kd_build. */
const double *kd_points(const kd_tree *t);
const int *kd_order(const kd_tree *t);

/* Index (into the kd_build array) of the nearest point to q; its squared distance in *d2. */
int kd_nearest(const kd_tree *t, const double q[3], double *d2);
/* m queries q (m*3): nearest indices in idx (m, or NULL) and squared distances in d2 (m, or
 * NULL). Runs on the OpenMP threads when m >= KD_PARALLEL_MIN. */
void kd_nearest_batch(const kd_tree *t, const double *q, int m, int *idx, double *d2);
/* All nearest neighbours: for each point of tree qt (in qt's tree order, i.e. kd_points(qt)),
 * the nearest point of t: idx (qt's n, or NULL; indices into t's kd_build array) and squared
 * distances d2 (qt's n, or NULL). One traversal of t per leaf of qt (the leaf's box bounds all of
 * its queries); exact like kd_nearest. OpenMP threads when qt has >= KD_PARALLEL_MIN points. */
void kd_nearest_tree(const kd_tree *t, const kd_tree *qt, int *idx, double *d2);

#endif
