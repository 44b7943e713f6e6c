/* Tests of geo2d.c: evaluation, bounding boxes, intersections, regions, Green's integrals,
 * loop chaining. */
#include <math.h>

#include "geom/geo2d.h"
#include "tf.h"
#include "base/util.h"

static void sum_moments(const g2_curve *c, int n, double m[6]) {
    for (int k = 0; k < 6; k++) m[k] = 0;
    for (int i = 0; i < n; i++) {
        double p[6];
        g2_moments(&c[i], 0, 1, p);
        for (int k = 0; k < 6; k++) m[k] += p[k];
    }
}

TEST(geo2d_arc_bbox) {
    /* 270-degree ccw arc of radius 2 about (1,1): from (3,1) through (1,3), (-1,1) to (1,-1) */
    g2_curve a;
    g2_arc(&a, 1, 1, 2, 0, 1.5 * G2_PI);
    CHECK_NEAR(g2_length(&a), 3 * G2_PI, 1e-12);
    double lo[2], hi[2], p[2];
    g2_bbox(&a, lo, hi);
    CHECK_NEAR(lo[0], -1, 1e-12);
    CHECK_NEAR(lo[1], -1, 1e-12);
    CHECK_NEAR(hi[0], 3, 1e-12);
    CHECK_NEAR(hi[1], 3, 1e-12);
    g2_eval(&a, 1.0 / 3, p);
    CHECK_NEAR(p[0], 1, 1e-12);
    CHECK_NEAR(p[1], 3, 1e-12);
    /* a 90-degree arc's bbox is its end points only */
    g2_arc(&a, 0, 0, 1, 0, 0.5 * G2_PI);
    g2_bbox(&a, lo, hi);
    CHECK_NEAR(lo[0], 0, 1e-15);
    CHECK_NEAR(hi[0], 1, 1e-15);
    CHECK_NEAR(hi[1], 1, 1e-15);
}

TEST(geo2d_segment_intersections) {
    g2_curve a, b;
    g2_isect is[8];
    g2_seg(&a, 0, 0, 4, 0);
    g2_seg(&b, 1, -1, 1, 3);
    REQUIRE(g2_intersect(&a, &b, 1e-9, is, 8) == 1);
    CHECK_NEAR(is[0].ta, 0.25, 1e-15);
    CHECK_NEAR(is[0].tb, 0.25, 1e-15);
    /* collinear overlap [1, 4] on a: its two end points */
    g2_seg(&b, 6, 0, 1, 0);
    REQUIRE(g2_intersect(&a, &b, 1e-9, is, 8) == 2);
    CHECK_NEAR(is[0].ta, 0.25, 1e-15);
    CHECK_NEAR(is[0].tb, 1, 1e-15);
    CHECK_NEAR(is[1].ta, 1, 1e-15);
    CHECK_NEAR(is[1].tb, 0.4, 1e-15);
    /* parallel, apart; touching at an end */
    g2_seg(&b, 0, 1, 4, 1);
    CHECK(g2_intersect(&a, &b, 1e-9, is, 8) == 0);
    g2_seg(&b, 4, 0, 5, 5);
    REQUIRE(g2_intersect(&a, &b, 1e-9, is, 8) == 1);
    CHECK(is[0].ta == 1 && is[0].tb == 0);
}

TEST(geo2d_arc_intersections) {
    g2_curve a, b;
    g2_isect is[8];
    g2_arc(&a, 0, 0, 1, 0, G2_TWO_PI);
    g2_seg(&b, -2, 0.5, 2, 0.5);
    REQUIRE(g2_intersect(&b, &a, 1e-9, is, 8) == 2);
    double x = sqrt(0.75);
    CHECK_NEAR(is[0].ta, (2 - x) / 4, 1e-12);
    CHECK_NEAR(is[1].ta, (2 + x) / 4, 1e-12);
    CHECK_NEAR(is[1].tb, (G2_PI / 6) / G2_TWO_PI, 1e-12);
    CHECK_NEAR(is[0].tb, (5 * G2_PI / 6) / G2_TWO_PI, 1e-12);
    /* tangent line: one point */
    g2_seg(&b, -2, 1, 2, 1);
    REQUIRE(g2_intersect(&a, &b, 1e-9, is, 8) == 1);
    CHECK_NEAR(is[0].ta, 0.25, 1e-12);
    /* two unit circles at distance 1 meet at angles +-60 degrees of the first */
    g2_arc(&b, 1, 0, 1, 0, G2_TWO_PI);
    REQUIRE(g2_intersect(&a, &b, 1e-9, is, 8) == 2);
    CHECK_NEAR(is[0].ta, 1.0 / 6, 1e-12);
    CHECK_NEAR(is[1].ta, 5.0 / 6, 1e-12);
    /* upper half arc against a cw arc on the same circle over [45, 135] degrees reversed */
    g2_arc(&a, 0, 0, 1, 0, G2_PI);
    g2_arc(&b, 0, 0, 1, 0.75 * G2_PI, -0.5 * G2_PI);
    REQUIRE(g2_intersect(&a, &b, 1e-9, is, 8) == 2);
    CHECK_NEAR(is[0].ta, 0.25, 1e-12);
    CHECK_NEAR(is[0].tb, 1, 1e-12);
    CHECK_NEAR(is[1].ta, 0.75, 1e-12);
    CHECK_NEAR(is[1].tb, 0, 1e-12);
    /* the lower half of the circle misses the upper arc except at the ends */
    g2_arc(&b, 0, 0, 1, G2_PI, G2_PI);
    CHECK(g2_intersect(&a, &b, 1e-9, is, 8) == 2);
}

TEST(geo2d_green_integrals_exact) {
    /* disc of radius 2 at (1, -1) */
    g2_curve c[4];
    g2_arc(&c[0], 1, -1, 2, 0.3, G2_TWO_PI);
    double m[6];
    sum_moments(c, 1, m);
    double A = 4 * G2_PI;
    CHECK_REL(m[0], A, 1e-14);
    CHECK_REL(m[1], A * 1, 1e-13);
    CHECK_REL(m[2], A * -1, 1e-13);
    CHECK_REL(m[3], A * (1 + 1), 1e-13); /* int x^2 = A (cx^2 + r^2/4) */
    CHECK_REL(m[4], A * (1 + 1), 1e-13);
    CHECK_REL(m[5], A * -1, 1e-13);
    /* upper half disc of radius r: y_c = 4r/(3pi), int y^2 = pi r^4/8 */
    double r = 3;
    g2_arc(&c[0], 0, 0, r, 0, G2_PI);
    g2_seg(&c[1], -r, 0, r, 0);
    sum_moments(c, 2, m);
    CHECK_REL(m[0], G2_PI * r * r / 2, 1e-14);
    CHECK_NEAR(m[1], 0, 1e-12);
    CHECK_REL(m[2] / m[0], 4 * r / (3 * G2_PI), 1e-14);
    CHECK_REL(m[4], G2_PI * r * r * r * r / 8, 1e-14);
    CHECK_REL(m[3], G2_PI * r * r * r * r / 8, 1e-14);
    /* rectangle [1,4] x [2,3], clockwise: negated integrals */
    g2_seg(&c[0], 1, 2, 1, 3);
    g2_seg(&c[1], 1, 3, 4, 3);
    g2_seg(&c[2], 4, 3, 4, 2);
    g2_seg(&c[3], 4, 2, 1, 2);
    sum_moments(c, 4, m);
    CHECK_NEAR(m[0], -3, 1e-14);
    CHECK_NEAR(m[1], -3 * 2.5, 1e-13);
    CHECK_NEAR(m[2], -3 * 2.5, 1e-13);
    CHECK_NEAR(m[3], -(64 - 1) / 3.0, 1e-12);
    CHECK_NEAR(m[4], -(27 - 8) / 3.0 * 3, 1e-12);
    CHECK_NEAR(m[5], -(16 - 1) / 2.0 * (9 - 4) / 2.0, 1e-12);
    /* sub-pieces add up */
    double a[6], b[6], whole[6];
    g2_arc(&c[0], 0.5, 0.2, 1.5, 1.0, -4.0);
    g2_moments(&c[0], 0, 1, whole);
    g2_moments(&c[0], 0, 0.37, a);
    g2_moments(&c[0], 0.37, 1, b);
    for (int k = 0; k < 6; k++) CHECK_NEAR(a[k] + b[k], whole[k], 1e-12);
}

TEST(geo2d_region_inside_square_with_hole) {
    /* square [0,10]^2 listed with mixed directions, hole of radius 3 at (5,5) */
    g2_curve sq[4], hole;
    g2_seg(&sq[0], 0, 0, 10, 0);
    g2_seg(&sq[1], 10, 10, 10, 0); /* reversed */
    g2_seg(&sq[2], 10, 10, 0, 10);
    g2_seg(&sq[3], 0, 10, 0, 0);
    double gap;
    REQUIRE(g2_chain(sq, 4, 1e-9, &gap) == -1);
    CHECK(sq[1].p0[0] == 10 && sq[1].p0[1] == 0);
    CHECK_NEAR(g2_loop_area(sq, 4), 100, 1e-12);
    g2_arc(&hole, 5, 5, 3, 1.0, G2_TWO_PI);
    g2_region rg;
    g2_region_init(&rg);
    g2_region_add(&rg, sq, 4);
    g2_region_add(&rg, &hole, 1);
    ut_rng r;
    ut_rng_seed(&r, 5);
    int bad = 0, hits = 0;
    for (int i = 0; i < 20000; i++) {
        double x = -1 + 12 * ut_rng_uniform(&r), y = -1 + 12 * ut_rng_uniform(&r);
        int want = x > 0 && x < 10 && y > 0 && y < 10 && hypot(x - 5, y - 5) > 3;
        int got = g2_region_inside(&rg, x, y);
        bad += want != got;
        hits += got;
    }
    CHECK(bad == 0);
    CHECK(hits > 9000 && hits < 11000);
    /* on the horizontal through the hole's top and bottom and through corners */
    CHECK(g2_region_inside(&rg, 5, 8.5) == 1);
    CHECK(g2_region_inside(&rg, 5, 7.9) == 0);
    CHECK(g2_region_inside(&rg, 1, 8) == 1);
    g2_region_free(&rg);
    /* an open loop reports its gap */
    g2_seg(&sq[3], 0, 10, 0, 0.5);
    CHECK(g2_chain(sq, 4, 1e-9, &gap) == 3);
    CHECK_NEAR(gap, 0.5, 1e-12);
}

TEST(geo2d_map_reflection_keeps_arcs) {
    g2_curve a;
    g2_arc(&a, 1, 2, 1, 0.2, 1.0);
    double M[4] = {1, 0, 0, -1}, t[2] = {0, 0}, before[6], after[6];
    g2_moments(&a, 0, 1, before);
    g2_map(&a, M, t);
    g2_moments(&a, 0, 1, after);
    double p[2];
    g2_eval(&a, 0.5, p);
    CHECK_NEAR(p[0], 1 + cos(0.7), 1e-12);
    CHECK_NEAR(p[1], -(2 + sin(0.7)), 1e-12);
    CHECK_NEAR(after[0], -before[0], 1e-12); /* a mirror reverses orientation */
    double S[4] = {2, 0, 0, 2}, z[2] = {1, 0};
    g2_map(&a, S, z);
    CHECK_NEAR(a.r, 2, 1e-15);
    CHECK_NEAR(g2_length(&a), 2, 1e-12);
}

/* independent reference: winding number by summing angles (segments only) */
static int ref_inside_polygon(const double *xy, int n, double x, double y) {
    double w = 0;
    for (int i = 0; i < n; i++) {
        double ax = xy[2 * i] - x, ay = xy[2 * i + 1] - y;
        double bx = xy[2 * ((i + 1) % n)] - x, by = xy[2 * ((i + 1) % n) + 1] - y;
        w += atan2(ax * by - ay * bx, ax * bx + ay * by);
    }
    return fabs(w) > G2_PI;
}

TEST(geo2d_region_index_matches_winding_on_a_star) {
    /* a 120-point star (many pieces: the band index is in use) against the angle sum */
    enum { N = 120 };
    double xy[2 * N];
    g2_curve c[N];
    for (int i = 0; i < N; i++) {
        double a = 2 * G2_PI * i / N, r = i % 2 ? 3 : 10 + sin(5.0 * a);
        xy[2 * i] = r * cos(a), xy[2 * i + 1] = r * sin(a);
    }
    for (int i = 0; i < N; i++) g2_seg(&c[i], xy[2 * i], xy[2 * i + 1], xy[2 * ((i + 1) % N)], xy[2 * ((i + 1) % N) + 1]);
    g2_region rg;
    g2_region_init(&rg);
    g2_region_add(&rg, c, N);
    g2_region_index(&rg);
    REQUIRE(rg.nband > 1);
    ut_rng r;
    ut_rng_seed(&r, 9);
    int bad = 0;
    for (int k = 0; k < 20000; k++) {
        double x = -12 + 24 * ut_rng_uniform(&r), y = -12 + 24 * ut_rng_uniform(&r);
        bad += g2_region_inside(&rg, x, y) != ref_inside_polygon(xy, N, x, y);
    }
    CHECK(bad == 0);
    /* queries exactly on band edges and on vertex heights */
    for (int b = 0; b <= rg.nband; b++) {
        double y = rg.lo[1] + b * rg.bh;
        for (double x = -11; x <= 11; x += 0.37) bad += g2_region_inside(&rg, x, y) != ref_inside_polygon(xy, N, x, y);
    }
    CHECK_MSG(bad == 0, "%d mismatches on band edges", bad);
    g2_region_free(&rg);
}

TEST(geo2d_chain_order_reorders_and_flips) {
    /* the square [0,2]^2, shuffled: the first curve turns to meet the second one given, so the
       chain runs clockwise (0,0) -> (0,2) -> (2,2) -> (2,0) -> (0,0) */
    g2_curve c[4];
    g2_seg(&c[0], 0, 0, 2, 0); /* first, reversed */
    g2_seg(&c[1], 0, 2, 0, 0); /* second, reversed */
    g2_seg(&c[2], 2, 2, 2, 0); /* fourth */
    g2_seg(&c[3], 0, 2, 2, 2); /* third */
    int order[4], flipped[4];
    g2_chain_order(c, 4, 1, order, flipped);
    CHECK(order[0] == 0 && order[1] == 1 && order[2] == 3 && order[3] == 2);
    CHECK(flipped[0] && flipped[1] && !flipped[2] && !flipped[3]);
    for (int i = 0; i < 4; i++) {
        CHECK(c[i].p1[0] == c[(i + 1) % 4].p0[0]);
        CHECK(c[i].p1[1] == c[(i + 1) % 4].p0[1]);
    }
    CHECK_NEAR(g2_loop_area(c, 4), -4, 1e-15);
    /* without reordering the curves keep their places: the second misses the first's end */
    g2_curve d[3];
    g2_seg(&d[0], 1, 0, 0, 0); /* reversed: its start meets the second */
    g2_seg(&d[1], 1, 0, 0, 1);
    g2_seg(&d[2], 0, 1, 0, 0);
    g2_chain_order(d, 3, 0, order, flipped);
    CHECK(order[0] == 0 && order[1] == 1 && order[2] == 2);
    CHECK(flipped[0] && !flipped[1] && !flipped[2]);
    CHECK(d[0].p0[0] == 0 && d[0].p1[0] == 1);
    double gap;
    CHECK(g2_chain(d, 3, 1e-12, &gap) == -1);
    CHECK_NEAR(g2_loop_area(d, 3), 0.5, 1e-15);
}

TEST(geo2d_loop_moments_of_square_with_arc) {
    /* [0,2] x [0,1] closed on the right by a half disc of radius 1/2 about (2, 1/2) */
    g2_curve c[4];
    g2_seg(&c[0], 0, 0, 2, 0);
    g2_arc(&c[1], 2, 0.5, 0.5, -0.5 * G2_PI, G2_PI);
    g2_seg(&c[2], 2, 1, 0, 1);
    g2_seg(&c[3], 0, 1, 0, 0);
    double m[6];
    g2_loop_moments(c, 4, m);
    double half = 0.125 * G2_PI; /* half disc area */
    CHECK_NEAR(m[0], 2 + half, 1e-12);
    CHECK_NEAR(m[1], 2 + half * (2 + 2 / (3 * G2_PI)), 1e-12); /* int x dA */
    CHECK_NEAR(m[2], (2 + half) * 0.5, 1e-12);                 /* int y dA */
    CHECK(m[0] == g2_loop_area(c, 4));
    for (int i = 0; i < 4; i++) g2_reverse(&c[i]);
    double r[6];
    g2_loop_moments(c, 4, r);
    for (int k = 0; k < 6; k++) CHECK_NEAR(r[k], -m[k], 1e-12);
}
