/* Tests of cad.c: planes, slabs, three-point arcs. */
#include "model/cad.h"
#include "tf.h"

TEST(cad_standard_planes_are_right_handed) {
    cad_plane p[3];
    cad_plane_xy(&p[0]);
    cad_plane_xz(&p[1]);
    cad_plane_yz(&p[2]);
    for (int i = 0; i < 3; i++) {
        const double *x = p[i].x, *y = p[i].y, *n = p[i].n;
        double c[3] = {n[1] * x[2] - n[2] * x[1], n[2] * x[0] - n[0] * x[2], n[0] * x[1] - n[1] * x[0]};
        for (int k = 0; k < 3; k++) CHECK_NEAR(c[k], y[k], 1e-15);
    }
    double w[3];
    cad_plane_to_world(&p[1], 2, 3, 0, w);
    CHECK(w[0] == 2 && w[1] == 0 && w[2] == 3);
}

TEST(cad_plane_make_orthonormalises) {
    cad_plane pl;
    double o[3] = {1, 2, 3}, x[3] = {1, 0, 1}, n[3] = {0, 0, 2};
    REQUIRE(cad_plane_make(&pl, o, x, n) == 0);
    CHECK_NEAR(pl.x[0], 1, 1e-15);
    CHECK_NEAR(pl.x[2], 0, 1e-15);
    CHECK_NEAR(pl.n[2], 1, 1e-15);
    double bad[3] = {0, 0, 1};
    CHECK(cad_plane_make(&pl, o, bad, n) == -1);
    double loc[3], wpt[3];
    REQUIRE(cad_plane_make(&pl, o, (double[3]){1, 1, 0}, (double[3]){1, -1, 1}) == 0);
    cad_plane_to_world(&pl, 0.3, -2, 5, wpt);
    cad_plane_to_local(&pl, wpt, loc);
    CHECK_NEAR(loc[0], 0.3, 1e-12);
    CHECK_NEAR(loc[1], -2, 1e-12);
    CHECK_NEAR(loc[2], 5, 1e-12);
}

TEST(cad_extent_slabs) {
    cad_extrude e = {0};
    double a, b;
    e.kind = CAD_EXT_ONE;
    e.d1 = -4;
    cad_extrude_slab(&e, &a, &b);
    CHECK(a == -4 && b == 0);
    e.kind = CAD_EXT_TWO;
    e.d1 = 3;
    e.d2 = 2;
    cad_extrude_slab(&e, &a, &b);
    CHECK(a == -2 && b == 3);
    e.kind = CAD_EXT_SYM;
    e.d1 = 10;
    cad_extrude_slab(&e, &a, &b);
    CHECK(a == -5 && b == 5);
}

TEST(cad_arc_three_points) {
    double cx, cy, r, a0, sw;
    /* counter-clockwise quarter: (1,0) -> (cos45, sin45) -> (0,1) */
    double ccw[6] = {1, 0, 0.7071067811865476, 0.7071067811865476, 0, 1};
    REQUIRE(cad_arc_geom(ccw, &cx, &cy, &r, &a0, &sw) == 0);
    CHECK_NEAR(cx, 0, 1e-12);
    CHECK_NEAR(cy, 0, 1e-12);
    CHECK_NEAR(r, 1, 1e-12);
    CHECK_NEAR(a0, 0, 1e-12);
    CHECK_NEAR(sw, 1.5707963267948966, 1e-12);
    /* clockwise three-quarter arc: (1,0) -> (-1,0) via (0,1)? no: via (0,-1) going clockwise */
    double cw[6] = {1, 0, 0, -1, 0, 1};
    REQUIRE(cad_arc_geom(cw, &cx, &cy, &r, &a0, &sw) == 0);
    CHECK_NEAR(sw, -1.5 * 3.141592653589793, 1e-12);
    double col[6] = {0, 0, 1, 1, 2, 2};
    CHECK(cad_arc_geom(col, &cx, &cy, &r, &a0, &sw) == -1);
}
