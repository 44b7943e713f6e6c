/* Tests of level.c: the ReCAD hierarchy level and the counts, on hand-built models and real files. */
#include <string.h>

#include "data/import.h"
#include "model/level.h"
#include "tf.h"

/* a w x h rectangle loop at (x, y) on the current model; returns the loop index */
static int tl_rect(cad_model *m, double x, double y, double w, double h) {
    int c0 = m->ncurves;
    double p[4][4] = {{x, y, x + w, y}, {x + w, y, x + w, y + h}, {x + w, y + h, x, y + h}, {x, y + h, x, y}};
    for (int i = 0; i < 4; i++) cad_add_curve(m, CAD_LINE, p[i], 1);
    return cad_add_loop(m, c0, 4);
}

static int tl_circle(cad_model *m, double x, double y, double r) {
    double p[3] = {x, y, r};
    int c = cad_add_curve(m, CAD_CIRCLE, p, 1);
    return cad_add_loop(m, c, 1);
}

/* a sketch on pl with faces: nf rectangles side by side, the first with nh circular holes */
static int tl_sketch(cad_model *m, const cad_plane *pl, int nf, int nh) {
    int f0 = m->nfaces;
    for (int f = 0; f < nf; f++) {
        int l0 = tl_rect(m, 20.0 * f, 0, 10, 10);
        for (int h = 0; f == 0 && h < nh; h++) tl_circle(m, 2.5 + 5 * (h % 2), 2.5 + 5 * (h / 2 % 2), 1);
        cad_add_face(m, l0, 1 + (f == 0 ? nh : 0));
    }
    return cad_add_sketch(m, pl, f0, nf, 1);
}

static lv_level tl_one(const cad_plane *pl, int nf, int nh, cad_extent_kind k, lv_info *info) {
    cad_model m;
    cad_init(&m);
    int s = tl_sketch(&m, pl, nf, nh);
    cad_add_extrude(&m, s, k, 5, k == CAD_EXT_TWO ? 2 : 0, CAD_NEW, 1);
    lv_level l = lv_classify(&m, info);
    cad_free(&m);
    return l;
}

TEST(level_single_extrude_ladder) {
    cad_plane xy, xz, yz;
    cad_plane_xy(&xy);
    cad_plane_xz(&xz);
    cad_plane_yz(&yz);
    lv_info in;
    CHECK(tl_one(&xy, 1, 0, CAD_EXT_ONE, &in) == LV_L);
    CHECK(in.curves == 4 && in.loops == 1 && in.faces == 1 && in.sketches == 1 && in.extrudes == 1 && in.lines == 4);
    CHECK(tl_one(&xz, 1, 2, CAD_EXT_ONE, &in) == LV_F);
    CHECK(in.curves == 6 && in.holes == 2 && in.circles == 2 && in.loops == 3);
    CHECK(tl_one(&yz, 3, 0, CAD_EXT_ONE, &in) == LV_S);
    CHECK(in.faces == 3 && in.curves == 12);
    CHECK(tl_one(&xy, 2, 1, CAD_EXT_ONE, &in) == LV_S); /* several faces, one with a hole */
    /* not plain: symmetric / two-sided extent, tilted plane, origin off the plane -> SE */
    CHECK(tl_one(&xy, 1, 0, CAD_EXT_SYM, &in) == LV_SE);
    CHECK(tl_one(&xy, 1, 0, CAD_EXT_TWO, &in) == LV_SE);
    cad_plane tilt;
    REQUIRE(cad_plane_make(&tilt, (double[3]){0, 0, 0}, (double[3]){1, 0, 0}, (double[3]){0, 1, 1}) == 0);
    CHECK(tl_one(&tilt, 1, 0, CAD_EXT_ONE, &in) == LV_SE);
    cad_plane up = xy;
    up.origin[2] = 3;
    CHECK(tl_one(&up, 1, 0, CAD_EXT_ONE, &in) == LV_SE);
    cad_plane slid = xy; /* moved inside the plane: still plain */
    slid.origin[0] = 7, slid.origin[1] = -2;
    CHECK(tl_one(&slid, 1, 0, CAD_EXT_ONE, &in) == LV_L);
    cad_plane flipped; /* XY seen from below, axes along world axes: XY with negated y and distance */
    REQUIRE(cad_plane_make(&flipped, (double[3]){0, 0, 0}, (double[3]){0, 1, 0}, (double[3]){0, 0, -1}) == 0);
    CHECK(tl_one(&flipped, 1, 0, CAD_EXT_ONE, &in) == LV_L);
}

TEST(level_multi_extrude_and_empty) {
    cad_model m;
    cad_init(&m);
    lv_info in;
    CHECK(lv_classify(&m, &in) == LV_NONE && in.curves == 0);
    cad_plane xy;
    cad_plane_xy(&xy);
    int s = tl_sketch(&m, &xy, 1, 0);
    cad_add_extrude(&m, s, CAD_EXT_ONE, 5, 0, CAD_NEW, 1);
    cad_add_extrude(&m, s, CAD_EXT_ONE, -2, 0, CAD_JOIN, 2); /* the same sketch twice: counted once */
    CHECK(lv_classify(&m, &in) == LV_MSE);
    CHECK(in.extrudes == 2 && in.sketches == 1 && in.curves == 4);
    cad_free(&m);
}

TEST(level_names) {
    const char *names[] = {"L", "F", "S", "SE", "MSE"};
    for (int i = 0; i < 5; i++) {
        lv_level l;
        CHECK(!strcmp(lv_name((lv_level)i), names[i]));
        CHECK(lv_parse(names[i], &l) == 0 && l == (lv_level)i);
    }
    lv_level l;
    CHECK(lv_parse("X", &l) == -1);
    CHECK(!strcmp(lv_name(LV_NONE), "none"));
}

TEST(level_of_real_files) {
    static const struct {
        const char *file;
        lv_level level;
        int curves;
    } cases[] = {
        {"deepcad/00000007.json", LV_L, 1},   /* one circle on XY */
        {"fusion360/OffsetExtrude_46a87415_0000.json", LV_SE, 4}, /* offset start plane */
        {"deepcad/00000356.json", LV_F, 12},  /* hexagonal hole in a hexagon */
        {"deepcad/00000354.json", LV_SE, 4},  /* symmetric extent */
        {"deepcad/00000126.json", LV_MSE, 6}, /* two extrudes */
        {"fusion360/Z0DoubleProfileSketchExtrude_795c7869_0000.json", LV_S, 8},
    };
    char path[1024];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cad_model m;
        im_report r;
        snprintf(path, sizeof path, "%s/data/%s", tf_shared(), cases[i].file);
        REQUIRE_MSG(im_load(path, NULL, &m, &r) == 0, "%s", cases[i].file);
        lv_info in;
        lv_classify(&m, &in);
        CHECK_MSG(in.level == cases[i].level && in.curves == cases[i].curves, "%s: level %s curves %d", cases[i].file,
                  lv_name(in.level), in.curves);
        cad_free(&m);
        im_report_free(&r);
    }
}
