/* Tests of sketch.c: model curves as g2 curves, loop and face moments, the prisms' box. */
#include <math.h>

#include "geom/sketch.h"
#include "tf.h"
#include "base/util.h"

TEST(sketch_arc_from_three_points) {
    /* 270-degree ccw arc of radius 2 about (1,1): from (3,1) through (1,3), (-1,1) to (1,-1) */
    cad_curve cc = {CAD_ARC, {3, 1, -1, 1, 1, -1}, 7};
    g2_curve a;
    REQUIRE(sk_curve_to_g2(&cc, &a) == 0);
    CHECK_NEAR(a.c[0], 1, 1e-12);
    CHECK_NEAR(a.c[1], 1, 1e-12);
    CHECK_NEAR(a.r, 2, 1e-12);
    CHECK_NEAR(a.sw, 1.5 * G2_PI, 1e-12); /* geo2d_arc_bbox checks this arc's box and points */
    CHECK(a.p0[0] == 3 && a.p0[1] == 1 && a.p1[0] == 1 && a.p1[1] == -1);
    double lo[2], hi[2];
    /* a 90-degree arc's bbox is its end points only */
    cad_curve q = {CAD_ARC, {1, 0, M_SQRT1_2, M_SQRT1_2, 0, 1}, 1};
    REQUIRE(sk_curve_to_g2(&q, &a) == 0);
    g2_bbox(&a, lo, hi);
    CHECK_NEAR(lo[0], 0, 1e-15);
    CHECK_NEAR(hi[0], 1, 1e-15);
    CHECK_NEAR(hi[1], 1, 1e-15);
    cad_curve col = {CAD_ARC, {0, 0, 1, 1, 2, 2}, 1}, same = {CAD_ARC, {0, 0, 0, 0, 2, 2}, 1};
    CHECK(sk_curve_to_g2(&col, &a) == -1);
    CHECK(sk_curve_to_g2(&same, &a) == -1);
    cad_curve zero = {CAD_LINE, {1, 1, 1, 1}, 1}, nan = {CAD_LINE, {NAN, 1, 1, 2}, 1};
    CHECK(sk_curve_to_g2(&zero, &a) == -1);
    CHECK(sk_curve_to_g2(&nan, &a) == -1);
}


TEST(sketch_loose_conversion_never_fails) {
    g2_curve g;
    cad_curve col = {CAD_ARC, {0, 0, 1, 1, 2, 2}, 1}; /* collinear: the chord (0,0)-(2,2) */
    sk_curve_to_g2_loose(&col, &g);
    CHECK(g.kind == G2_SEG);
    CHECK(g.p0[0] == 0 && g.p0[1] == 0 && g.p1[0] == 2 && g.p1[1] == 2);
    cad_curve zero = {CAD_LINE, {1, 1, 1, 1}, 1};
    sk_curve_to_g2_loose(&zero, &g);
    CHECK(g.kind == G2_SEG && g2_length(&g) == 0);
    /* a proper arc converts as the strict conversion does, end points exact */
    cad_curve arc = {CAD_ARC, {1, 0, M_SQRT1_2, M_SQRT1_2, 0, 1}, 1};
    g2_curve strict;
    REQUIRE(sk_curve_to_g2(&arc, &strict) == 0);
    sk_curve_to_g2_loose(&arc, &g);
    CHECK(g.kind == G2_ARC && g.r == strict.r && g.a0 == strict.a0 && g.sw == strict.sw);
    CHECK(g.p1[0] == 0 && g.p1[1] == 1);
}

/* quarter disc of radius 10 about the origin, counter-clockwise: line, arc, line */
static void quarter_disc(cad_curve c[3]) {
    double r = 10, s = 10 * M_SQRT1_2;
    cad_curve q[3] = {{CAD_LINE, {0, 0, r, 0}, 1}, {CAD_ARC, {r, 0, s, s, 0, r}, 1}, {CAD_LINE, {0, r, 0, 0}, 1}};
    for (int i = 0; i < 3; i++) c[i] = q[i];
}

TEST(sketch_loop_moments_and_face_area) {
    cad_curve c[3];
    quarter_disc(c);
    double A, Mx, My, area = 25 * M_PI, cen = 40 / (3 * M_PI);
    sk_loop_moments(c, 3, &A, &Mx, &My);
    CHECK_REL(A, area, 1e-14);
    CHECK_REL(Mx / A, cen, 1e-14);
    CHECK_REL(My / A, cen, 1e-14);
    /* a face: the quarter disc given clockwise, with a clockwise square hole [1,2]^2 listed
       counter-clockwise: |outer| - |hole| whatever the directions */
    cad_model m;
    cad_init(&m);
    double l[2][4] = {{0, 0, 0, 10}, {10, 0, 0, 0}};
    double arc[6] = {0, 10, 10 * M_SQRT1_2, 10 * M_SQRT1_2, 10, 0};
    cad_add_curve(&m, CAD_LINE, l[0], 1);
    cad_add_curve(&m, CAD_ARC, arc, 1);
    cad_add_curve(&m, CAD_LINE, l[1], 1);
    cad_add_loop(&m, 0, 3);
    double h[4][4] = {{1, 1, 2, 1}, {2, 1, 2, 2}, {2, 2, 1, 2}, {1, 2, 1, 1}};
    for (int i = 0; i < 4; i++) cad_add_curve(&m, CAD_LINE, h[i], 1);
    cad_add_loop(&m, 3, 4);
    int f = cad_add_face(&m, 0, 2);
    double fa, fc[2];
    sk_loop_moments(m.curves, 3, &A, &Mx, &My);
    CHECK_REL(A, -area, 1e-14);
    sk_face_area(&m, f, &fa, fc);
    CHECK_REL(fa, area - 1, 1e-14);
    CHECK_REL(fc[0], (area * cen - 1.5) / (area - 1), 1e-14);
    CHECK_REL(fc[1], fc[0], 1e-14);
    cad_free(&m);
}

TEST(sketch_prism_bbox_of_arcs_and_skipped_cuts) {
    cad_model m;
    cad_init(&m);
    double lo[3], hi[3];
    CHECK(sk_prism_bbox(&m, lo, hi) == -1);
    /* the quarter disc on XY extruded 5 along +z; a cut far away does not count */
    cad_curve c[3];
    quarter_disc(c);
    for (int i = 0; i < 3; i++) cad_add_curve(&m, c[i].kind, c[i].p, 1);
    cad_add_loop(&m, 0, 3);
    cad_add_face(&m, 0, 1);
    cad_plane pl;
    cad_plane_xy(&pl);
    int s = cad_add_sketch(&m, &pl, 0, 1, 1);
    cad_add_extrude(&m, s, CAD_EXT_ONE, 5, 0, CAD_NEW, 1);
    double circle[3] = {100, 100, 1};
    cad_add_curve(&m, CAD_CIRCLE, circle, 2);
    cad_add_loop(&m, 3, 1);
    cad_add_face(&m, 1, 1);
    s = cad_add_sketch(&m, &pl, 1, 1, 2);
    cad_add_extrude(&m, s, CAD_EXT_ONE, 5, 0, CAD_CUT, 2);
    REQUIRE(sk_prism_bbox(&m, lo, hi) == 0);
    double want_lo[3] = {0, 0, 0}, want_hi[3] = {10, 10, 5};
    for (int k = 0; k < 3; k++) {
        CHECK_NEAR(lo[k], want_lo[k], 1e-12);
        CHECK_NEAR(hi[k], want_hi[k], 1e-12);
    }
    /* the same circle joined instead: its extremes count, on the circle, not its control box */
    m.extrudes[1].op = CAD_JOIN;
    m.curves[3].p[2] = 2;
    REQUIRE(sk_prism_bbox(&m, lo, hi) == 0);
    CHECK_NEAR(hi[0], 102, 1e-12);
    CHECK_NEAR(hi[1], 102, 1e-12);
    CHECK_NEAR(lo[0], 0, 1e-12);
    cad_free(&m);
}
