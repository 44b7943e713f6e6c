/* Tests of kdtree.c and hungarian.c against brute force. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "eval/hungarian.h"
#include "eval/kdtree.h"
#include "tf.h"
#include "base/util.h"

static double kdt_brute(const double *pts, int n, const double q[3], int *idx) {
    double best = DBL_MAX;
    for (int i = 0; i < n; i++) {
        double dx = pts[3 * i] - q[0], dy = pts[3 * i + 1] - q[1], dz = pts[3 * i + 2] - q[2];
        double d2 = dx * dx + dy * dy + dz * dz;
        if (d2 < best) best = d2, *idx = i;
    }
    return best;
}

/* kind 0: uniform cube, 1: points on a plane (a flat axis), 2: heavy duplicates, 3: line */
static double *kdt_cloud(ut_rng *r, int n, int kind) {
    double *p = malloc((size_t)n * 3 * sizeof *p);
    for (int i = 0; i < n; i++)
        for (int d = 0; d < 3; d++) {
            double v = ut_rng_uniform(r) * 10 - 5;
            if (kind == 1 && d == 2) v = 1.5;
            if (kind == 2) v = (double)(int)(v * 0.5); /* few distinct values */
            if (kind == 3 && d > 0) v = 0;
            p[3 * i + d] = v;
        }
    return p;
}

TEST(kdtree_matches_brute_force) {
    ut_rng r;
    ut_rng_seed(&r, 7);
    int sizes[] = {1, 2, 7, 8, 9, 100, 3000};
    for (int kind = 0; kind < 4; kind++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            int n = sizes[s], m = 500;
            double *pts = kdt_cloud(&r, n, kind), *q = kdt_cloud(&r, m, kind == 2 ? 0 : kind);
            kd_tree *t = kd_build(pts, n);
            REQUIRE(t);
            CHECK(kd_size(t) == n);
            int *idx = malloc((size_t)m * sizeof *idx);
            double *d2 = malloc((size_t)m * sizeof *d2);
            kd_nearest_batch(t, q, m, idx, d2);
            int bad = 0;
            for (int j = 0; j < m; j++) {
                int bi = -1, si;
                double bd = kdt_brute(pts, n, q + 3 * j, &bi), sd;
                si = kd_nearest(t, q + 3 * j, &sd);
                double dx = pts[3 * idx[j]] - q[3 * j], dy = pts[3 * idx[j] + 1] - q[3 * j + 1],
                       dz = pts[3 * idx[j] + 2] - q[3 * j + 2];
                /* exact distance; the returned index really is at that distance */
                if (d2[j] != bd || sd != bd || dx * dx + dy * dy + dz * dz != bd) bad++;
                (void)si;
            }
            CHECK_MSG(bad == 0, "kind %d n %d: %d of %d queries differ from brute force", kind, n, bad, m);
            free(idx), free(d2), free(pts), free(q);
            kd_free(t);
        }
}

/* enough queries for the OpenMP path (KD_PARALLEL_MIN), both query kinds, against brute force */
TEST(kdtree_batch_large_parallel_exact) {
    ut_rng r;
    ut_rng_seed(&r, 11);
    int n = 3000, m = KD_PARALLEL_MIN + 5000;
    double *pts = kdt_cloud(&r, n, 0), *q = kdt_cloud(&r, m, 0);
    kd_tree *t = kd_build(pts, n), *qt = kd_build(q, m);
    REQUIRE(t && qt);
    double *d2 = malloc((size_t)m * sizeof *d2), *d3 = malloc((size_t)m * sizeof *d3);
    kd_nearest_batch(t, q, m, NULL, d2);
    kd_nearest_tree(t, qt, NULL, d3);
    const double *qp = kd_points(qt);
    int bad = 0;
    for (int j = 0; j < m; j++) {
        int bi;
        if (d2[j] != kdt_brute(pts, n, q + 3 * j, &bi)) bad++;
        if (d3[j] != kdt_brute(pts, n, qp + 3 * j, &bi)) bad++;
    }
    CHECK_MSG(bad == 0, "%d of %d answers differ from brute force", bad, 2 * m);
    /* the tree-order view is a permutation of the input */
    const int *ord = kd_order(t);
    const double *tp = kd_points(t);
    char *seen = calloc((size_t)n, 1);
    int okperm = 1;
    for (int i = 0; i < n; i++) {
        if (seen[ord[i]] || memcmp(tp + 3 * i, pts + 3 * ord[i], 3 * sizeof(double))) okperm = 0;
        seen[ord[i]] = 1;
    }
    CHECK(okperm);
    free(seen), free(d2), free(d3), free(pts), free(q);
    kd_free(t), kd_free(qt);
}

TEST(kdtree_rejects_empty_and_nonfinite) {
    double p[6] = {0, 0, 0, 1, NAN, 0};
    CHECK(kd_build(p, 0) == NULL);
    CHECK(kd_build(p, 2) == NULL);
    CHECK(strstr(ut_error(), "non-finite") != NULL);
}

/* ---- Hungarian ---- */

static double hut_best;
static void hut_perm(const double *c, int n, int m, int i, char *used, double acc) {
    if (i == n) {
        if (acc < hut_best) hut_best = acc;
        return;
    }
    for (int j = 0; j < m; j++)
        if (!used[j]) {
            used[j] = 1;
            hut_perm(c, n, m, i + 1, used, acc + c[i * m + j]);
            used[j] = 0;
        }
}

/* brute force minimum over all assignments of min(n, m) pairs */
static double hut_brute(const double *c, int n, int m) {
    hut_best = DBL_MAX;
    char used[16] = {0};
    if (n <= m) {
        hut_perm(c, n, m, 0, used, 0);
    } else {
        double ct[64];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) ct[j * n + i] = c[i * m + j];
        hut_perm(ct, m, n, 0, used, 0);
    }
    return hut_best;
}

TEST(hungarian_matches_brute_force_permutations) {
    ut_rng r;
    ut_rng_seed(&r, 3);
    int bad = 0, trials = 0;
    for (int n = 1; n <= 6; n++)
        for (int m = 1; m <= 6; m++)
            for (int rep = 0; rep < 20; rep++) {
                double c[36];
                for (int i = 0; i < n * m; i++) /* some ties: integer costs */
                    c[i] = rep % 2 ? ut_rng_uniform(&r) * 10 : (double)(ut_rng_u64(&r) % 4);
                int col[6];
                double got = hu_solve(c, n, m, col);
                /* valid: distinct columns, min(n, m) pairs, reported total = sum */
                int pairs = 0, distinct = 1;
                double sum = 0;
                char used[6] = {0};
                for (int i = 0; i < n; i++)
                    if (col[i] >= 0) {
                        if (used[col[i]]) distinct = 0;
                        used[col[i]] = 1, pairs++, sum += c[i * m + col[i]];
                    }
                double want = hut_brute(c, n, m);
                trials++;
                if (!distinct || pairs != (n < m ? n : m) || fabs(sum - got) > 1e-9 || fabs(got - want) > 1e-9) bad++;
            }
    CHECK_MSG(bad == 0, "%d of %d assignments wrong", bad, trials);
}

TEST(hungarian_empty_and_known) {
    int col[3];
    CHECK(hu_solve(NULL, 0, 3, col) == 0);
    double c[9] = {4, 1, 3, 2, 0, 5, 3, 2, 2}; /* optimum 1 + 2 + 2 = 5: (0,1) (1,0) (2,2) */
    CHECK_NEAR(hu_solve(c, 3, 3, col), 5.0, 1e-12);
    CHECK(col[0] == 1 && col[1] == 0 && col[2] == 2);
}

TEST(kdtree_all_nearest_of_tree_matches_brute_force) {
    ut_rng r;
    ut_rng_seed(&r, 5);
    int sizes[] = {1, 5, 32, 33, 300, 5000};
    for (int kind = 0; kind < 4; kind++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            int n = sizes[s], m = sizes[(s + 2) % 6];
            double *pts = kdt_cloud(&r, n, kind), *q = kdt_cloud(&r, m, kind);
            kd_tree *t = kd_build(pts, n), *qt = kd_build(q, m);
            REQUIRE(t && qt);
            int *idx = malloc((size_t)m * sizeof *idx);
            double *d2 = malloc((size_t)m * sizeof *d2);
            kd_nearest_tree(t, qt, idx, d2);
            const double *qp = kd_points(qt);
            int bad = 0;
            for (int j = 0; j < m; j++) {
                int bi;
                double want = kdt_brute(pts, n, qp + 3 * j, &bi);
                double dx = pts[3 * idx[j]] - qp[3 * j], dy = pts[3 * idx[j] + 1] - qp[3 * j + 1],
                       dz = pts[3 * idx[j] + 2] - qp[3 * j + 2];
                if (d2[j] != want || dx * dx + dy * dy + dz * dz != want) bad++;
            }
            CHECK_MSG(bad == 0, "kind %d n %d m %d: %d queries differ", kind, n, m, bad);
            free(idx), free(d2), free(pts), free(q);
            kd_free(t), kd_free(qt);
        }
}

/* all nearest neighbours of qt's points in t equal brute force over pts (n); count of misses */
static int kdt_tree_misses(const kd_tree *t, const double *pts, int n, const kd_tree *qt) {
    int m = kd_size(qt), bad = 0;
    int *idx = malloc((size_t)m * sizeof *idx);
    double *d2 = malloc((size_t)m * sizeof *d2);
    kd_nearest_tree(t, qt, idx, d2);
    const double *qp = kd_points(qt);
    for (int j = 0; j < m; j++) {
        int bi;
        double want = kdt_brute(pts, n, qp + 3 * j, &bi);
        double dx = pts[3 * idx[j]] - qp[3 * j], dy = pts[3 * idx[j] + 1] - qp[3 * j + 1],
               dz = pts[3 * idx[j] + 2] - qp[3 * j + 2];
        if (d2[j] != want || dx * dx + dy * dy + dz * dz != want) bad++;
    }
    free(idx), free(d2);
    return bad;
}

TEST(kdtree_rebuild_reuses_tree_for_new_clouds_of_any_size) {
    ut_rng r;
    ut_rng_seed(&r, 9);
    int sizes[] = {300, 5, 5000, 32, 33, 1, 2000};
    double *p0 = kdt_cloud(&r, 40, 0), *q0 = kdt_cloud(&r, 40, 0);
    kd_tree *t = kd_build(p0, 40), *qt = kd_build(q0, 40);
    REQUIRE(t && qt);
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        int n = sizes[s], m = sizes[(s + 3) % 7], kind = (int)s % 4;
        double *pts = kdt_cloud(&r, n, kind), *q = kdt_cloud(&r, m, kind);
        REQUIRE(kd_rebuild(t, pts, n) == 0 && kd_rebuild(qt, q, m) == 0);
        CHECK(kd_size(t) == n && kd_size(qt) == m);
        const int *ord = kd_order(t);
        const double *tp = kd_points(t);
        int moved = 0;
        for (int i = 0; i < n; i++) moved += memcmp(tp + 3 * i, pts + 3 * ord[i], 3 * sizeof *tp) != 0;
        CHECK_MSG(moved == 0, "n %d: kd_points disagrees with kd_order at %d points", n, moved);
        int bad = kdt_tree_misses(t, pts, n, qt);
        CHECK_MSG(bad == 0, "n %d m %d: %d queries differ after rebuilding", n, m, bad);
        /* a cloud with a non-finite coordinate is refused and leaves the tree as it was */
        double keep = q[3 * (m / 2) + 1];
        q[3 * (m / 2) + 1] = NAN;
        CHECK(kd_rebuild(qt, q, m) != 0);
        CHECK(kd_rebuild(qt, q, 0) != 0);
        q[3 * (m / 2) + 1] = keep;
        CHECK(kd_size(qt) == m && kdt_tree_misses(t, pts, n, qt) == 0);
        free(pts), free(q);
    }
    free(p0), free(q0);
    kd_free(t), kd_free(qt);
}

TEST(kdtree_exact_for_huge_and_tiny_coordinates) {
    /* the leaf blocks' padding must never win, whatever the scale of the (finite) points */
    ut_rng r;
    ut_rng_seed(&r, 13);
    double scales[] = {1e150, 1e-150, 1.0}; /* squared distances up to ~3e302: still finite */
    for (int s = 0; s < 3; s++) {
        int n = 777, m = 500;
        double *pts = kdt_cloud(&r, n, 0), *q = kdt_cloud(&r, m, 0);
        for (int i = 0; i < 3 * n; i++) pts[i] *= scales[s];
        for (int i = 0; i < 3 * m; i++) q[i] *= scales[s];
        kd_tree *t = kd_build(pts, n), *qt = kd_build(q, m);
        REQUIRE(t && qt);
        int bad = kdt_tree_misses(t, pts, n, qt);
        CHECK_MSG(bad == 0, "scale %g: %d queries differ", scales[s], bad);
        free(pts), free(q);
        kd_free(t), kd_free(qt);
    }
}
