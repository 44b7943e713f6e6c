/* Tests of occt.c: OpenCASCADE builds hand-made models whose volume, area, centroid and box are
 * known analytically; STEP export and re-import; the interpreter's time limit and absence.
 * occt-draw is installed by the test setup (scripts/setup.sh --test): a missing interpreter is a
 * failure, not a skip. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/cad.h"
#include "eval/occt.h"
#include "tf.h"
#include "base/util.h"

/* ---- model builders ---- */

static int first_loop(const cad_model *m) { return m->nloops; }

/* rectangle [x0,x1]x[y0,y1] as 4 lines; ccw = 0 gives it clockwise with every line flipped */
static void rect_loop(cad_model *m, double x0, double y0, double x1, double y1, int ccw) {
    double c[4][2] = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
    int f = m->ncurves;
    for (int i = 0; i < 4; i++) {
        const double *a = c[ccw ? i : 3 - i], *b = c[ccw ? (i + 1) % 4 : (3 - i + 3) % 4];
        double p[4] = {b[0], b[1], a[0], a[1]}; /* stored end-to-start: the loader must flip */
        cad_add_curve(m, CAD_LINE, p, 0);
    }
    cad_add_loop(m, f, 4);
}

static void circle_loop(cad_model *m, double cx, double cy, double r) {
    int f = cad_add_curve(m, CAD_CIRCLE, (double[3]){cx, cy, r}, 0);
    cad_add_loop(m, f, 1);
}

/* extrude of one face made of the loops added since `fl` */
static void extrude_face(cad_model *m, const cad_plane *pl, int fl, cad_extent_kind k, double d1, double d2, cad_op op) {
    int f = cad_add_face(m, fl, m->nloops - fl);
    int s = cad_add_sketch(m, pl, f, 1, 0);
    cad_add_extrude(m, s, k, d1, d2, op, 0);
}

static void box_model(cad_model *m, double x0, double y0, double z0, double x1, double y1, double z1, cad_op op) {
    cad_plane pl;
    cad_plane_xy(&pl);
    pl.origin[2] = z0;
    int fl = first_loop(m);
    rect_loop(m, x0, y0, x1, y1, 1);
    extrude_face(m, &pl, fl, CAD_EXT_ONE, z1 - z0, 0, op);
}

static void check_box(const oc_props *p, const double lo[3], const double hi[3], double tol) {
    for (int k = 0; k < 3; k++) {
        CHECK_NEAR(p->lo[k], lo[k], tol);
        CHECK_NEAR(p->hi[k], hi[k], tol);
    }
}

/* ---- analytic solids ---- */

TEST(occt_box) {
    cad_model m;
    cad_init(&m);
    box_model(&m, 0, 0, 0, 10, 5, 2, CAD_NEW);
    oc_props p;
    REQUIRE_MSG(oc_measure(&m, NULL, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, 100, 1e-12);
    CHECK_REL(p.area, 160, 1e-12);
    CHECK_NEAR(p.centroid[0], 5, 1e-12);
    CHECK_NEAR(p.centroid[1], 2.5, 1e-12);
    CHECK_NEAR(p.centroid[2], 1, 1e-12);
    CHECK_REL(p.inertia[0], 100 * (25 + 4) / 12.0, 1e-9); /* Ixx = m (b^2 + c^2) / 12 */
    check_box(&p, (double[3]){0, 0, 0}, (double[3]){10, 5, 2}, 1e-12);
    CHECK(p.valid);
    CHECK(p.nsolids == 1);
    cad_free(&m);
}

TEST(occt_cylinder_negative_extent) {
    cad_model m;
    cad_init(&m);
    cad_plane pl;
    cad_plane_xy(&pl);
    int fl = first_loop(&m);
    circle_loop(&m, 1, 2, 3);
    extrude_face(&m, &pl, fl, CAD_EXT_ONE, -4, 0, CAD_NEW);
    oc_props p;
    REQUIRE_MSG(oc_measure(&m, NULL, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, M_PI * 9 * 4, 1e-10);
    CHECK_REL(p.area, 2 * M_PI * 9 + 2 * M_PI * 3 * 4, 1e-10);
    CHECK_NEAR(p.centroid[2], -2, 1e-10);
    check_box(&p, (double[3]){-2, -1, -4}, (double[3]){4, 5, 0}, 1e-9);
    CHECK(p.valid);
    cad_free(&m);
}

/* the plate of design.md: 60 x 40 x 6 with four holes of radius 3 at a margin of 8 */
static void plate_model(cad_model *m) {
    cad_plane pl;
    cad_plane_xy(&pl);
    int fl = first_loop(m);
    rect_loop(m, 0, 0, 60, 40, 1);
    double xs[2] = {8, 52}, ys[2] = {8, 32};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) circle_loop(m, xs[i], ys[j], 3);
    extrude_face(m, &pl, fl, CAD_EXT_ONE, 6, 0, CAD_NEW);
}

TEST(occt_plate_with_holes) {
    cad_model m;
    cad_init(&m);
    plate_model(&m);
    oc_props p;
    REQUIRE_MSG(oc_measure(&m, NULL, &p) == 0, "%s", ut_error());
    double v = (2400 - 4 * M_PI * 9) * 6;
    CHECK_REL(p.volume, v, 1e-10);
    CHECK_REL(p.area, 2 * (2400 - 4 * M_PI * 9) + 200 * 6 + 4 * 2 * M_PI * 3 * 6, 1e-10);
    CHECK_NEAR(p.centroid[0], 30, 1e-9);
    CHECK_NEAR(p.centroid[1], 20, 1e-9);
    check_box(&p, (double[3]){0, 0, 0}, (double[3]){60, 40, 6}, 1e-9);
    CHECK(p.valid);
    cad_free(&m);
}

TEST(occt_loop_orientation_does_not_matter) {
    /* outer loop clockwise with flipped lines, hole counter-clockwise, curves out of chain order */
    cad_model m;
    cad_init(&m);
    cad_plane pl;
    cad_plane_xy(&pl);
    int fl = first_loop(&m);
    rect_loop(&m, 0, 0, 10, 10, 0);
    int f = m.ncurves; /* hole: square 2..4, lines listed in scrambled order and directions */
    cad_add_curve(&m, CAD_LINE, (double[4]){2, 2, 4, 2}, 0);
    cad_add_curve(&m, CAD_LINE, (double[4]){2, 4, 4, 4}, 0);
    cad_add_curve(&m, CAD_LINE, (double[4]){4, 4, 4, 2}, 0);
    cad_add_curve(&m, CAD_LINE, (double[4]){2, 2, 2, 4}, 0);
    cad_add_loop(&m, f, 4);
    extrude_face(&m, &pl, fl, CAD_EXT_ONE, 1, 0, CAD_NEW);
    oc_props p;
    REQUIRE_MSG(oc_measure(&m, NULL, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, 96, 1e-12);
    CHECK(p.valid);
    cad_free(&m);
}

TEST(occt_arc_over_180_degrees) {
    /* three-quarter disc of radius 2: lines (0,0)-(2,0) and (0,-2)-(0,0), arc of 270 degrees,
     * given clockwise (reversed) so the generator must re-orient it */
    cad_model m;
    cad_init(&m);
    cad_plane pl;
    cad_plane_xy(&pl);
    double r = 2, c = r * cos(3 * M_PI / 4), s = r * sin(3 * M_PI / 4);
    int fl = first_loop(&m), f = m.ncurves;
    cad_add_curve(&m, CAD_LINE, (double[4]){0, 0, 0, -r}, 0);
    cad_add_curve(&m, CAD_ARC, (double[6]){0, -r, c, s, r, 0}, 0);
    cad_add_curve(&m, CAD_LINE, (double[4]){r, 0, 0, 0}, 0);
    cad_add_loop(&m, f, 3);
    extrude_face(&m, &pl, fl, CAD_EXT_ONE, 3, 0, CAD_NEW);
    oc_props p;
    REQUIRE_MSG(oc_measure(&m, NULL, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, 0.75 * M_PI * r * r * 3, 1e-10);
    CHECK_REL(p.area, 2 * 0.75 * M_PI * r * r + (2 * r + 1.5 * M_PI * r) * 3, 1e-10);
    check_box(&p, (double[3]){-r, -r, 0}, (double[3]){r, r, 3}, 1e-9);
    CHECK(p.valid);
    cad_free(&m);
}

TEST(occt_join_cut_intersect) {
    /* L-bracket: 10x10x2 plate joined with a 2x10x8 wall */
    cad_model m;
    cad_init(&m);
    box_model(&m, 0, 0, 0, 10, 10, 2, CAD_NEW);
    box_model(&m, 0, 0, 2, 2, 10, 10, CAD_JOIN);
    oc_props p;
    REQUIRE_MSG(oc_measure(&m, NULL, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, 200 + 160, 1e-12);
    CHECK_NEAR(p.centroid[0], (200 * 5 + 160 * 1) / 360.0, 1e-10);
    CHECK_NEAR(p.centroid[2], (200 * 1 + 160 * 6) / 360.0, 1e-10);
    CHECK(p.nsolids == 1);
    /* pocket: cut a 4x4x1 pocket into the top of the plate */
    cad_model c;
    cad_init(&c);
    box_model(&c, 0, 0, 0, 10, 10, 2, CAD_NEW);
    box_model(&c, 3, 3, 1, 7, 7, 5, CAD_CUT);
    REQUIRE_MSG(oc_measure(&c, NULL, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, 200 - 16, 1e-12);
    CHECK_REL(p.area, 200 + 80 + 16, 1e-12); /* 2 big faces, 4 sides, pocket walls; pocket floor replaces its opening */
    check_box(&p, (double[3]){0, 0, 0}, (double[3]){10, 10, 2}, 1e-12);
    /* intersect: two overlapping boxes keep their common part */
    cad_model x;
    cad_init(&x);
    box_model(&x, 0, 0, 0, 10, 10, 10, CAD_NEW);
    box_model(&x, 5, -5, 3, 20, 5, 4, CAD_INTERSECT);
    REQUIRE_MSG(oc_measure(&x, NULL, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, 5 * 5 * 1, 1e-12);
    check_box(&p, (double[3]){5, 0, 3}, (double[3]){10, 5, 4}, 1e-12);
    cad_free(&m);
    cad_free(&c);
    cad_free(&x);
}

TEST(occt_symmetric_and_two_sided) {
    cad_model m;
    cad_init(&m);
    cad_plane pl;
    cad_plane_xz(&pl); /* normal -y: local (u, v) -> world (u, 0, v) */
    int fl = first_loop(&m);
    rect_loop(&m, 0, 0, 4, 3, 1);
    extrude_face(&m, &pl, fl, CAD_EXT_SYM, 6, 0, CAD_NEW);
    oc_props p;
    REQUIRE_MSG(oc_measure(&m, NULL, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, 72, 1e-12);
    check_box(&p, (double[3]){0, -3, 0}, (double[3]){4, 3, 3}, 1e-12);
    cad_free(&m);
    cad_init(&m);
    fl = first_loop(&m);
    rect_loop(&m, 0, 0, 4, 3, 1);
    extrude_face(&m, &pl, fl, CAD_EXT_TWO, 5, 1, CAD_NEW); /* 5 along -y, 1 along +y */
    REQUIRE_MSG(oc_measure(&m, NULL, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, 72, 1e-12);
    check_box(&p, (double[3]){0, -5, 0}, (double[3]){4, 1, 3}, 1e-12);
    CHECK_NEAR(p.centroid[1], -2, 1e-12);
    cad_free(&m);
}

TEST(occt_tilted_plane) {
    /* a disc of radius 2 with a square hole on a plane through (1,2,3) with normal (1,-1,1) */
    cad_model m;
    cad_init(&m);
    cad_plane pl;
    REQUIRE(cad_plane_make(&pl, (double[3]){1, 2, 3}, (double[3]){1, 1, 0}, (double[3]){1, -1, 1}) == 0);
    int fl = first_loop(&m);
    circle_loop(&m, 0.5, 0.25, 2);
    rect_loop(&m, 0, 0, 1, 1, 1);
    extrude_face(&m, &pl, fl, CAD_EXT_ONE, 1.5, 0, CAD_NEW);
    oc_props p;
    REQUIRE_MSG(oc_measure(&m, NULL, &p) == 0, "%s", ut_error());
    double area = M_PI * 4 - 1;
    CHECK_REL(p.volume, area * 1.5, 1e-10);
    /* centroid: area-weighted in the sketch, at w = 0.75 */
    double cu = (M_PI * 4 * 0.5 - 0.5) / area, cv = (M_PI * 4 * 0.25 - 0.5) / area, c[3];
    cad_plane_to_world(&pl, cu, cv, 0.75, c);
    for (int k = 0; k < 3; k++) CHECK_NEAR(p.centroid[k], c[k], 1e-9);
    /* the disc's box: centre c0 +- r sqrt(1 - n_k^2) per axis, widened by the prism */
    double c0[3], c1[3];
    cad_plane_to_world(&pl, 0.5, 0.25, 0, c0);
    cad_plane_to_world(&pl, 0.5, 0.25, 1.5, c1);
    for (int k = 0; k < 3; k++) {
        double h = 2 * sqrt(1 - pl.n[k] * pl.n[k]);
        CHECK_NEAR(p.lo[k], fmin(c0[k], c1[k]) - h, 1e-9);
        CHECK_NEAR(p.hi[k], fmax(c0[k], c1[k]) + h, 1e-9);
    }
    CHECK(p.valid);
    cad_free(&m);
}

TEST(occt_steinmetz_solid) {
    /* two cylinders of radius r, along z and along x, intersected: V = 16 r^3 / 3 */
    double r = 2;
    cad_model m;
    cad_init(&m);
    cad_plane pl;
    cad_plane_xy(&pl);
    int fl = first_loop(&m);
    circle_loop(&m, 0, 0, r);
    extrude_face(&m, &pl, fl, CAD_EXT_SYM, 3 * r, 0, CAD_NEW);
    cad_plane_yz(&pl);
    fl = first_loop(&m);
    circle_loop(&m, 0, 0, r);
    extrude_face(&m, &pl, fl, CAD_EXT_SYM, 3 * r, 0, CAD_INTERSECT);
    oc_props p;
    REQUIRE_MSG(oc_measure(&m, NULL, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, 16 * r * r * r / 3, 1e-6);
    for (int k = 0; k < 3; k++) CHECK_NEAR(p.centroid[k], 0, 1e-6);
    check_box(&p, (double[3]){-r, -r, -r}, (double[3]){r, r, r}, 1e-6);
    cad_free(&m);
}

TEST(occt_multi_face_sketch_is_a_union) {
    /* two faces sharing an edge and a third apart, one sketch: the prisms are fused */
    cad_model m;
    cad_init(&m);
    cad_plane pl;
    cad_plane_xy(&pl);
    int f0 = m.nfaces;
    int fl = first_loop(&m);
    rect_loop(&m, 0, 0, 1, 1, 1);
    cad_add_face(&m, fl, 1);
    fl = first_loop(&m);
    rect_loop(&m, 1, 0, 2, 1, 0);
    cad_add_face(&m, fl, 1);
    fl = first_loop(&m);
    circle_loop(&m, 5, 5, 1);
    cad_add_face(&m, fl, 1);
    int s = cad_add_sketch(&m, &pl, f0, 3, 0);
    cad_add_extrude(&m, s, CAD_EXT_ONE, 2, 0, CAD_NEW, 0);
    oc_props p;
    REQUIRE_MSG(oc_measure(&m, NULL, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, 4 + 2 * M_PI, 1e-10);
    CHECK(p.nsolids == 2);
    check_box(&p, (double[3]){0, 0, 0}, (double[3]){6, 6, 2}, 1e-9);
    cad_free(&m);
}

TEST(occt_small_gaps_and_degenerate_arcs) {
    /* a 10 x 10 square whose corners miss each other by 1e-7 mm, with a zero-length line at one
     * corner and one side given as a three-point arc with collinear points (its chord) */
    cad_model m;
    cad_init(&m);
    cad_plane pl;
    cad_plane_xy(&pl);
    int fl = first_loop(&m), f = m.ncurves;
    double e = 1e-7;
    cad_add_curve(&m, CAD_LINE, (double[4]){0, 0, 10, e}, 0);
    cad_add_curve(&m, CAD_ARC, (double[6]){10, 0, 10, 5, 10, 10}, 0);
    cad_add_curve(&m, CAD_LINE, (double[4]){10 + e, 10, 10 + e, 10}, 0);
    cad_add_curve(&m, CAD_LINE, (double[4]){10, 10, 0, 10 - e}, 0);
    cad_add_curve(&m, CAD_LINE, (double[4]){0, 10, e, 0}, 0);
    cad_add_loop(&m, f, 5);
    extrude_face(&m, &pl, fl, CAD_EXT_ONE, 2, 0, CAD_NEW);
    oc_props p;
    REQUIRE_MSG(oc_measure(&m, NULL, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, 200, 1e-6);
    CHECK(p.valid);
    CHECK(p.nsolids == 1);
    cad_free(&m);
}

/* ---- script generation and errors ---- */

TEST(occt_script_uses_full_precision_and_true_arcs) {
    cad_model m;
    cad_init(&m);
    cad_plane pl;
    cad_plane_xy(&pl);
    int fl = first_loop(&m);
    circle_loop(&m, 0.1, 0, 1.0 / 3.0);
    extrude_face(&m, &pl, fl, CAD_EXT_ONE, 1, 0, CAD_NEW);
    char *s = oc_script(&m, "res", NULL);
    REQUIRE(s);
    CHECK(strstr(s, "0.33333333333333331") != NULL); /* 1/3 printed with 17 digits */
    CHECK(strstr(s, "0.10000000000000001") != NULL);
    CHECK(strstr(s, "circle ") != NULL && strstr(s, "prism res ") != NULL);
    free(s);
    cad_free(&m);
}

TEST(occt_script_runs_on_its_own) {
    /* the script of oc_script() is complete: occt-draw runs it and writes the STEP it names */
    cad_model m;
    cad_init(&m);
    box_model(&m, 0, 0, 0, 3, 2, 1, CAD_NEW);
    char path[600], *out = NULL;
    snprintf(path, sizeof path, "%s/box.step", tf_tmpdir());
    char *s = oc_script(&m, "res", path);
    REQUIRE(s);
    CHECK(oc_run_script(s, 0, &out, NULL) == 0);
    CHECK_MSG(out && strstr(out, "@@END") && !strstr(out, "@@ERROR"), "%s", out ? out : "");
    oc_props p;
    REQUIRE_MSG(oc_measure_step(path, 0, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, 6, 1e-12);
    free(out);
    free(s);
    cad_free(&m);
}

TEST(occt_rejects_unbuildable_models) {
    cad_model m;
    cad_init(&m);
    CHECK(oc_script(&m, "r", NULL) == NULL); /* no extrude */
    CHECK(strstr(ut_error(), "no extrude") != NULL);
    cad_plane pl;
    cad_plane_xy(&pl);
    int fl = first_loop(&m), f = m.ncurves; /* open: three sides of a square */
    cad_add_curve(&m, CAD_LINE, (double[4]){0, 0, 1, 0}, 7);
    cad_add_curve(&m, CAD_LINE, (double[4]){1, 0, 1, 1}, 8);
    cad_add_curve(&m, CAD_LINE, (double[4]){1, 1, 0, 1}, 9);
    cad_add_loop(&m, f, 3);
    extrude_face(&m, &pl, fl, CAD_EXT_ONE, 1, 0, CAD_NEW);
    oc_props p;
    CHECK(oc_measure(&m, NULL, &p) == -1);
    CHECK_MSG(strstr(ut_error(), "does not close") != NULL, "%s", ut_error());
    cad_free(&m);
    cad_init(&m);
    box_model(&m, 0, 0, 0, 1, 1, 1, CAD_NEW);
    m.curves[0].p[0] = NAN;
    CHECK(oc_script(&m, "r", NULL) == NULL);
    CHECK(strstr(ut_error(), "non-finite") != NULL);
    cad_free(&m);
    /* cutting everything away leaves an empty result: an error, not a zero volume */
    cad_init(&m);
    box_model(&m, 0, 0, 0, 1, 1, 1, CAD_NEW);
    box_model(&m, -1, -1, -1, 2, 2, 2, CAD_CUT);
    CHECK(oc_measure(&m, NULL, &p) == -1);
    CHECK_MSG(strstr(ut_error(), "empty") != NULL, "%s", ut_error());
    cad_free(&m);
}

TEST(occt_missing_interpreter_is_a_clear_error) {
    setenv("RECAD_OCCT_DRAW", "/nonexistent/occt-draw", 1);
    cad_model m;
    cad_init(&m);
    box_model(&m, 0, 0, 0, 1, 1, 1, CAD_NEW);
    oc_props p;
    CHECK(oc_measure(&m, NULL, &p) == -1);
    CHECK_MSG(strstr(ut_error(), "occt-draw is not installed (apt-get install occt-draw libocct-draw-dev libocct-data-exchange-dev)"),
              "%s", ut_error());
    unsetenv("RECAD_OCCT_DRAW");
    cad_free(&m);
}

TEST(occt_time_limit_kills_the_interpreter) {
    char *out = NULL;
    double t0 = ut_now(), secs = 0;
    CHECK(oc_run_script("after 20000\nputs done\n", 0.5, &out, &secs) == -1);
    CHECK_MSG(strstr(ut_error(), "did not finish") != NULL, "%s", ut_error());
    CHECK(ut_now() - t0 < 5);
    free(out);
}

TEST(occt_tcl_quote_escapes_specials) {
    char *q = oc_tcl_quote("a b$c[d]{e}\"f\\g");
    REQUIRE(q);
    CHECK(strcmp(q, "\"a b\\$c\\[d\\]\\{e\\}\\\"f\\\\g\"") == 0);
    free(q);
    CHECK(oc_tcl_quote("bad\nname") == NULL);
}

/* ---- STEP ---- */

TEST(occt_step_export_reads_back) {
    cad_model m;
    cad_init(&m);
    plate_model(&m);
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/odd [dir] $x", tf_tmpdir()); /* Tcl specials in the path */
    REQUIRE(ut_mkdirs(dir) == 0);
    snprintf(path, sizeof path, "%s/plate.step", dir);
    oc_props p, q;
    REQUIRE_MSG(oc_write_step(&m, path, &p) == 0, "%s", ut_error());
    size_t len = 0;
    char *txt = ut_read_file(path, &len);
    REQUIRE(txt);
    CHECK(strncmp(txt, "ISO-10303-21;", 13) == 0);
    CHECK(strstr(txt, "END-ISO-10303-21;") != NULL);
    free(txt);
    /* only the STEP file is left in the folder (the temporary was renamed) */
    char *ls = NULL, cmd[800];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    tf_run_cmd(cmd, &ls);
    CHECK_MSG(atoi(ls) == 1, "folder holds: %s", ls);
    free(ls);
    REQUIRE_MSG(oc_measure_step(path, 0, &q) == 0, "%s", ut_error());
    CHECK_REL(q.volume, p.volume, 1e-9);
    CHECK_REL(q.volume, (2400 - 4 * M_PI * 9) * 6, 1e-9);
    CHECK_REL(q.area, p.area, 1e-9);
    for (int k = 0; k < 3; k++) CHECK_NEAR(q.centroid[k], p.centroid[k], 1e-7);
    CHECK(q.valid);
    cad_free(&m);
}

TEST(occt_step_read_errors) {
    oc_props p;
    char path[600];
    snprintf(path, sizeof path, "%s/missing.step", tf_tmpdir());
    CHECK(oc_measure_step(path, 0, &p) == -1);
    CHECK_MSG(strstr(ut_error(), "cannot read") != NULL, "%s", ut_error());
    snprintf(path, sizeof path, "%s/garbage.step", tf_tmpdir());
    REQUIRE(ut_write_atomic(path, "ISO-10303-21;\nnot a step file\n", 30) == 0);
    CHECK(oc_measure_step(path, 0, &p) == -1);
    CHECK_MSG(strstr(ut_error(), "Could not read file") != NULL, "%s", ut_error());
}

TEST(occt_step_failure_leaves_no_file) {
    cad_model m;
    cad_init(&m);
    box_model(&m, 0, 0, 0, 1, 1, 1, CAD_NEW);
    char path[600];
    snprintf(path, sizeof path, "%s/no/such/folder/x.step", tf_tmpdir());
    CHECK(oc_write_step(&m, path, NULL) == -1);
    CHECK(access(path, F_OK) != 0);
    cad_free(&m);
    /* OCCT builds an empty solid: an error, and neither the STEP file nor its temporary remains */
    cad_init(&m);
    box_model(&m, 0, 0, 0, 1, 1, 1, CAD_NEW);
    box_model(&m, -1, -1, -1, 2, 2, 2, CAD_CUT);
    char dir[400], *ls = NULL, cmd[800];
    snprintf(dir, sizeof dir, "%s/empty", tf_tmpdir());
    REQUIRE(ut_mkdirs(dir) == 0);
    snprintf(path, sizeof path, "%s/x.step", dir);
    CHECK(oc_write_step(&m, path, NULL) == -1);
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    tf_run_cmd(cmd, &ls);
    CHECK_MSG(atoi(ls) == 0, "folder holds %s files", ls);
    free(ls);
    cad_free(&m);
}

/* ---- recad export ---- */

TEST(occt_cli_export_step_and_json) {
    char cmd[2048], *out = NULL, step[600];
    snprintf(step, sizeof step, "%s/couch.step", tf_tmpdir());
    snprintf(cmd, sizeof cmd, "build/recad export %s/data/fusion360/Couch.json --step %s --json", tf_shared(), step);
    int rc = tf_run_cmd(cmd, &out);
    CHECK_MSG(rc == 0, "exit %d: %s", rc, out);
    /* the stored volume of this Fusion 360 file is 25.86000077 cm^3 */
    const char *v = strstr(out, "\"volume\":");
    REQUIRE_MSG(v, "%s", out);
    CHECK_REL(atof(v + 9), 25860.00077, 1e-9);
    free(out);
    size_t len;
    char *txt = ut_read_file(step, &len);
    REQUIRE(txt);
    CHECK(strncmp(txt, "ISO-10303-21;", 13) == 0);
    free(txt);
    oc_props p;
    REQUIRE_MSG(oc_measure_step(step, 0, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, 25860.00077, 1e-9);
}

TEST(occt_cli_export_errors) {
    char cmd[2048], *out = NULL;
    snprintf(cmd, sizeof cmd, "RECAD_OCCT_DRAW=/nonexistent/occt-draw build/recad export %s/data/fusion360/Couch.json --step %s/x.step",
             tf_shared(), tf_tmpdir());
    CHECK(tf_run_cmd(cmd, &out) == 3);
    CHECK_MSG(strstr(out, "recad export: occt-draw is not installed (apt-get install occt-draw libocct-draw-dev libocct-data-exchange-dev)"),
              "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "build/recad export %s/data/fusion360/Couch.json", tf_shared());
    CHECK(tf_run_cmd(cmd, &out) == 2); /* nothing to write */
    free(out);
    snprintf(cmd, sizeof cmd, "build/recad export %s/missing.json --step %s/x.step", tf_tmpdir(), tf_tmpdir());
    CHECK(tf_run_cmd(cmd, &out) == 3);
    free(out);
    snprintf(cmd, sizeof cmd, "printf '{\"entities\": [' > %s/bad.json && build/recad export %s/bad.json --step %s/x.step", tf_tmpdir(),
             tf_tmpdir(), tf_tmpdir());
    CHECK(tf_run_cmd(cmd, &out) == 1);
    CHECK_MSG(strstr(out, "bad.json") != NULL, "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "build/recad export --help");
    CHECK(tf_run_cmd(cmd, &out) == 0);
    CHECK(strstr(out, "--step") != NULL);
    free(out);
    snprintf(cmd, sizeof cmd, "ls %s | grep -c step", tf_tmpdir());
    CHECK(tf_run_cmd(cmd, &out) != 0 || atoi(out) == 0); /* no STEP file or temporary left behind */
    free(out);
}

TEST(occt_cli_export_example_part) {
    /* the shipped plate example: 60 x 40 x 6 with four holes of radius 3 */
    char cmd[2048], *out = NULL, step[600], stl[600];
    snprintf(step, sizeof step, "%s/plate.step", tf_tmpdir());
    snprintf(stl, sizeof stl, "%s/plate.stl", tf_tmpdir());
    snprintf(cmd, sizeof cmd, "build/recad export examples/plate.lua --step %s --stl %s --obj %s/plate.obj", step, stl, tf_tmpdir());
    int rc = tf_run_cmd(cmd, &out);
    CHECK_MSG(rc == 0, "exit %d: %s", rc, out);
    free(out);
    size_t len = 0;
    char *txt = ut_read_file(step, &len);
    REQUIRE(txt);
    CHECK(strncmp(txt, "ISO-10303-21;", 13) == 0);
    free(txt);
    txt = ut_read_file(stl, &len);
    REQUIRE(txt);
    CHECK(len > 84);
    free(txt);
    snprintf(stl, sizeof stl, "%s/plate.obj", tf_tmpdir());
    txt = ut_read_file(stl, &len);
    REQUIRE(txt);
    CHECK(strstr(txt, "\nf ") != NULL);
    free(txt);
    oc_props p;
    REQUIRE_MSG(oc_measure_step(step, 0, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, (2400 - 4 * M_PI * 9) * 6, 1e-9);
    CHECK(p.valid);
}

TEST(occt_concurrent_runs) {
    /* four measurements from parallel threads: each gets its own child and temporary folder */
    double vol[4] = {0, 0, 0, 0};
    int rc[4] = {-1, -1, -1, -1};
#pragma omp parallel for num_threads(2)
    for (int i = 0; i < 4; i++) {
        cad_model m;
        cad_init(&m);
        box_model(&m, 0, 0, 0, 1 + i, 2, 3, CAD_NEW);
        oc_props p;
        rc[i] = oc_measure(&m, NULL, &p);
        vol[i] = p.volume;
        cad_free(&m);
    }
    for (int i = 0; i < 4; i++) {
        CHECK(rc[i] == 0);
        CHECK_REL(vol[i], 6.0 * (1 + i), 1e-12);
    }
}
