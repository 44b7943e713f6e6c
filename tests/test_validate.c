/* Tests of validate.c: each kind of invalid model is reported with its source line; valid
 * models come back chained and oriented (outer ccw, holes cw). */
#include <math.h>
#include <string.h>

#include "geom/geo2d.h"
#include "geom/sketch.h"
#include "tf.h"
#include "base/util.h"
#include "geom/validate.h"

/* polygon loop through n points (x, y pairs); curve k gets source line line0 + k */
static int vt_poly(cad_model *m, const double *xy, int n, int line0) {
    int first = m->ncurves;
    for (int k = 0; k < n; k++) {
        double p[4] = {xy[2 * k], xy[2 * k + 1], xy[2 * ((k + 1) % n)], xy[2 * ((k + 1) % n) + 1]};
        cad_add_curve(m, CAD_LINE, p, line0 + k);
    }
    return cad_add_loop(m, first, n);
}

static int vt_circle(cad_model *m, double cx, double cy, double r, int line) {
    double p[3] = {cx, cy, r};
    int c = cad_add_curve(m, CAD_CIRCLE, p, line);
    return cad_add_loop(m, c, 1);
}

/* one face of the given loops (already added, consecutive), XY sketch, extrude d */
static void vt_finish(cad_model *m, int first_loop, int nloops, double d) {
    cad_plane pl;
    cad_plane_xy(&pl);
    int f = cad_add_face(m, first_loop, nloops);
    int s = cad_add_sketch(m, &pl, f, 1, 90);
    cad_add_extrude(m, s, CAD_EXT_ONE, d, 0, CAD_NEW, 99);
}

static double vt_loop_area(const cad_model *m, int li) {
    g2_curve c[16];
    const cad_loop *l = &m->loops[li];
    for (int i = 0; i < l->n; i++) sk_curve_to_g2(&m->curves[l->first + i], &c[i]);
    return g2_loop_area(c, l->n);
}

static void vt_expect(cad_model *m, const char *what) {
    int rc = va_validate(m);
    CHECK_MSG(rc == -1 && strstr(ut_error(), what), "expected an error with '%s', got rc %d '%s'", what, rc, ut_error());
    cad_free(m);
}

TEST(validate_orients_plate_with_holes) {
    cad_model m;
    cad_init(&m);
    double sq[] = {0, 0, 0, 40, 60, 40, 60, 0}; /* clockwise */
    int l0 = vt_poly(&m, sq, 4, 1);
    /* reverse the direction of one line to check chaining */
    double *p = m.curves[1].p, t0 = p[0], t1 = p[1];
    p[0] = p[2], p[1] = p[3], p[2] = t0, p[3] = t1;
    vt_circle(&m, 8, 8, 3, 5);
    double tri[] = {30, 10, 40, 10, 35, 20}; /* ccw hole */
    vt_poly(&m, tri, 3, 6);
    vt_finish(&m, l0, 3, 6);
    REQUIRE_MSG(va_validate(&m) == 0, "%s", ut_error());
    CHECK_NEAR(vt_loop_area(&m, 0), 2400, 1e-9);
    CHECK_NEAR(vt_loop_area(&m, 2), -50, 1e-9);
    /* chained start to end */
    for (int k = 0; k < 4; k++) {
        const double *a = m.curves[k].p, *b = m.curves[(k + 1) % 4].p;
        CHECK(a[2] == b[0] && a[3] == b[1]);
    }
    cad_free(&m);
}

TEST(validate_reports_lines) {
    cad_model m;
    cad_init(&m);
    double open[] = {0, 0, 10, 0, 10, 10, 0, 10};
    int l = vt_poly(&m, open, 4, 10);
    m.curves[3].p[3] = 0.5; /* last line ends short of the start */
    vt_finish(&m, l, 1, 5);
    vt_expect(&m, "line 13: loop is not closed");

    cad_init(&m);
    double bow[] = {0, 0, 10, 10, 10, 0, 0, 10}; /* a bow tie */
    l = vt_poly(&m, bow, 4, 20);
    vt_finish(&m, l, 1, 5);
    vt_expect(&m, "intersects itself");

    cad_init(&m);
    double sq[] = {0, 0, 10, 0, 10, 10, 0, 10};
    l = vt_poly(&m, sq, 4, 30);
    vt_circle(&m, 20, 5, 2, 34);
    vt_finish(&m, l, 2, 5);
    vt_expect(&m, "line 34: hole 1 lies outside its outer loop");

    cad_init(&m);
    l = vt_poly(&m, sq, 4, 30);
    vt_circle(&m, 10, 5, 2, 35);
    vt_finish(&m, l, 2, 5);
    vt_expect(&m, "line 35: loops of one face intersect");

    cad_init(&m);
    l = vt_poly(&m, sq, 4, 40);
    vt_finish(&m, l, 1, 0);
    vt_expect(&m, "line 99: extrude has zero");

    cad_init(&m);
    l = vt_poly(&m, sq, 4, 50);
    m.curves[2].p[1] = NAN;
    vt_finish(&m, l, 1, 3);
    vt_expect(&m, "line 52: curve has a non-finite");

    cad_init(&m);
    double arc[6] = {0, 0, 1, 1, 2, 2};
    int c = cad_add_curve(&m, CAD_ARC, arc, 61);
    double ln[4] = {2, 2, 0, 0};
    cad_add_curve(&m, CAD_LINE, ln, 62);
    l = cad_add_loop(&m, c, 2);
    vt_finish(&m, l, 1, 3);
    vt_expect(&m, "line 61: arc points are collinear");

    cad_init(&m);
    double tiny[] = {0, 0, 10, 0, 10, 0, 10, 10, 0, 10};
    l = vt_poly(&m, tiny, 5, 70);
    vt_finish(&m, l, 1, 3);
    vt_expect(&m, "line 71: zero-length line");

    cad_init(&m);
    vt_poly(&m, sq, 4, 80);
    vt_expect(&m, "no extrude");

    /* a cut that removes everything */
    cad_init(&m);
    l = vt_poly(&m, sq, 4, 90);
    vt_finish(&m, l, 1, 3);
    double big[] = {-1, -1, 11, -1, 11, 11, -1, 11};
    int f = cad_add_face(&m, vt_poly(&m, big, 4, 95), 1);
    int s = cad_add_sketch(&m, &m.sketches[0].plane, f, 1, 97);
    cad_add_extrude(&m, s, CAD_EXT_ONE, 3, 0, CAD_CUT, 98);
    vt_expect(&m, "line 98: the resulting solid is empty");
}

TEST(validate_arc_loops_and_tangent_slot) {
    /* a slot: two lines and two half circles meeting tangentially */
    cad_model m;
    cad_init(&m);
    double a[4] = {0, 0, 10, 0}, b[6] = {10, 0, 13, 3, 10, 6}, c[4] = {10, 6, 0, 6}, d[6] = {0, 6, -3, 3, 0, 0};
    cad_add_curve(&m, CAD_LINE, a, 1);
    cad_add_curve(&m, CAD_ARC, b, 2);
    cad_add_curve(&m, CAD_LINE, c, 3);
    cad_add_curve(&m, CAD_ARC, d, 4);
    int l = cad_add_loop(&m, 0, 4);
    vt_finish(&m, l, 1, 2);
    REQUIRE_MSG(va_validate(&m) == 0, "%s", ut_error());
    CHECK_NEAR(vt_loop_area(&m, 0), 60 + 9 * M_PI, 1e-9);
    cad_free(&m);
}
