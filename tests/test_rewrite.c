/* Tests of rewrite.h: hand-made and seeded random models and the shared real files rewrite to
 * parametric programs that verify; patterns become loops, mirrored pairs a function applied
 * twice, parameters drive the geometry; perturbed programs are rejected with the right reason. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cad/codewrite.h"
#include "cad/exec.h"
#include "data/import.h"
#include "data/rewrite.h"
#include "geom/solid.h"
#include "tf.h"

/* ---- hand-made models (the rewriter sees only the model these programs build) ---- */

typedef struct {
    const char *name, *src;
} tr_case;

static const tr_case tr_cases[] = {
    {"plate_corner_holes",
     "Extrude(Sketch(XY, Face(Loop(Line(0,0, 60,0), Line(60,0, 60,40), Line(60,40, 0,40), Line(0,40, 0,0)),\n"
     "  Loop(Circle(8,8, 3)), Loop(Circle(52,8, 3)), Loop(Circle(8,32, 3)), Loop(Circle(52,32, 3)))), 6, 'new')"},
    {"bolt_circle",
     "Extrude(Sketch(XY, Face(Loop(Circle(0,0, 40)), Loop(Circle(30,0, 4)), Loop(Circle(15,25.98076211353316, 4)),\n"
     "  Loop(Circle(-15,25.98076211353316, 4)), Loop(Circle(-30,0, 4)), Loop(Circle(-15,-25.98076211353316, 4)),\n"
     "  Loop(Circle(15,-25.98076211353316, 4)))), 8, 'new')"},
    {"bolt_circle_offset_start",
     "local h = {}\n"
     "for i = 0, 4 do local a = math.rad(18 + 72 * i); h[#h + 1] = Loop(Circle(10 + 20 * math.cos(a), -5 + 20 * math.sin(a), 2.5)) end\n"
     "Extrude(Sketch(XY, Face(Loop(Circle(10,-5, 30)), Loop(Circle(10,-5, 6)), table.unpack(h))), 5, 'new')"},
    {"hole_row",
     "Extrude(Sketch(XY, Face(Loop(Line(0,0, 100,0), Line(100,0, 100,20), Line(100,20, 0,20), Line(0,20, 0,0)),\n"
     "  Loop(Circle(10,10, 2)), Loop(Circle(30,10, 2)), Loop(Circle(50,10, 2)), Loop(Circle(70,10, 2)), Loop(Circle(90,10, 2)))), 3, 'new')"},
    {"hole_grid_3x4",
     "local h = {}\n"
     "for i = 0, 2 do for j = 0, 3 do h[#h + 1] = Loop(Circle(-20 + 20 * i, -22.5 + 15 * j, 2.5)) end end\n"
     "Extrude(Sketch(XY, Face(Loop(Line(-30,-30, 30,-30), Line(30,-30, 30,30), Line(30,30, -30,30), Line(-30,30, -30,-30)), table.unpack(h))), 4, 'new')"},
    {"mirrored_l_cutouts",
     "Extrude(Sketch(XY, Face(Loop(Line(-50,-20, 50,-20), Line(50,-20, 50,20), Line(50,20, -50,20), Line(-50,20, -50,-20)),\n"
     "  Loop(Line(20,-10, 40,-10), Line(40,-10, 40,10), Line(40,10, 35,10), Line(35,10, 35,-5), Line(35,-5, 20,-5), Line(20,-5, 20,-10)),\n"
     "  Loop(Line(-20,-10, -40,-10), Line(-40,-10, -40,10), Line(-40,10, -35,10), Line(-35,10, -35,-5), Line(-35,-5, -20,-5), Line(-20,-5, -20,-10)))), 5, 'new')"},
    {"mirrored_faces_about_y10",
     "Extrude(Sketch(XY, Face(Loop(Line(0,12, 10,12), Line(10,12, 5,30), Line(5,30, 0,12))),\n"
     "  Face(Loop(Line(0,8, 10,8), Line(10,8, 5,-10), Line(5,-10, 0,8)))), 3, 'new')"},
    {"slot_cut",
     "Extrude(Sketch(XY, Face(Loop(Line(0,0, 80,0), Line(80,0, 80,40), Line(80,40, 0,40), Line(0,40, 0,0)))), 10, 'new')\n"
     "Extrude(Sketch(Plane({0,0,10}, {1,0,0}, {0,0,1}), Face(Loop(Line(25,13, 55,13), Arc(55,13, 62,20, 55,27), Line(55,27, 25,27), Arc(25,27, 18,20, 25,13)))), -4, 'cut')"},
    {"slot_rotated_30",
     "local a = math.rad(30); local ux, uy = math.cos(a), math.sin(a)\n"
     "local x1, y1, x2, y2, r = -10 * ux, -10 * uy, 10 * ux, 10 * uy, 4\n"
     "Extrude(Sketch(XY, Face(Loop(Circle(0,0, 30)), Loop(Line(x1 - uy*r, y1 + ux*r, x2 - uy*r, y2 + ux*r), Arc(x2 - uy*r, y2 + ux*r, x2 + ux*r, y2 + uy*r, x2 + uy*r, y2 - ux*r),\n"
     "  Line(x2 + uy*r, y2 - ux*r, x1 + uy*r, y1 - ux*r), Arc(x1 + uy*r, y1 - ux*r, x1 - ux*r, y1 - uy*r, x1 - uy*r, y1 + ux*r)))), 6, 'new')"},
    {"rounded_plate",
     "local k = 8 * (1 - math.sqrt(0.5))\n"
     "Extrude(Sketch(XY, Face(Loop(Line(8,0, 72,0), Arc(72,0, 80 - k,k, 80,8), Line(80,8, 80,42), Arc(80,42, 80 - k,50 - k, 72,50),\n"
     "  Line(72,50, 8,50), Arc(8,50, k,50 - k, 0,42), Line(0,42, 0,8), Arc(0,8, k,k, 8,0)))), 10, 'new')"},
    {"hexagon_prism",
     "local c = {}\n"
     "for i = 0, 5 do local a1, a2 = math.rad(60 * i), math.rad(60 * i + 60); c[#c + 1] = Line(12 * math.cos(a1), 12 * math.sin(a1), 12 * math.cos(a2), 12 * math.sin(a2)) end\n"
     "Extrude(Sketch(XY, Face(Loop(table.unpack(c)), Loop(Circle(0,0, 6)))), 8, 'new')"},
    {"pentagon_boss_on_plate",
     "Extrude(Sketch(XY, Face(Loop(Line(-20,-20, 20,-20), Line(20,-20, 20,20), Line(20,20, -20,20), Line(-20,20, -20,-20)))), 5, 'new')\n"
     "local c = {}\n"
     "for i = 0, 4 do local a1, a2 = math.rad(90 + 72 * i), math.rad(162 + 72 * i); c[#c + 1] = Line(10 * math.cos(a1), 10 * math.sin(a1), 10 * math.cos(a2), 10 * math.sin(a2)) end\n"
     "Extrude(Sketch(Plane({0,0,5}, {1,0,0}, {0,0,1}), Face(Loop(table.unpack(c)))), 7, 'join')"},
    {"square_turned_45",
     "Extrude(Sketch(XY, Face(Loop(Line(10,0, 0,10), Line(0,10, -10,0), Line(-10,0, 0,-10), Line(0,-10, 10,0)))), 2, 'new')"},
    {"triangle",
     "Extrude(Sketch(XY, Face(Loop(Line(0,0, 30,0), Line(30,0, 7,19), Line(7,19, 0,0)))), 4.5, 'new')"},
    {"tube", "Extrude(Sketch(XY, Face(Loop(Circle(0,0, 8)), Loop(Circle(0,0, 4.2)))), 22.25, 'new')"},
    {"two_sided_and_symmetric",
     "Extrude(Sketch(XZ, Face(Loop(Line(0,0, 30,0), Line(30,0, 30,20), Line(30,20, 0,20), Line(0,20, 0,0)))), {6, 4}, 'new')\n"
     "Extrude(Sketch(YZ, Face(Loop(Circle(0,10, 3)))), {sym = 80}, 'cut')"},
    {"tilted_plane",
     "Extrude(Sketch(XY, Face(Loop(Line(-10,-10, 10,-10), Line(10,-10, 10,10), Line(10,10, -10,10), Line(-10,10, -10,-10)))), 10, 'new')\n"
     "Extrude(Sketch(Plane({0,0,10}, {1,0,0}, {0,1,1}), Face(Loop(Circle(0,0, 4)))), -6, 'cut')"},
    {"pins_on_a_circle",
     "Extrude(Sketch(XY, Face(Loop(Circle(0,0, 25)))), 4, 'new')\n"
     "Extrude(Sketch(Plane({0,0,4}, {1,0,0}, {0,0,1}), Face(Loop(Circle(15,0, 2))), Face(Loop(Circle(0,15, 2))), Face(Loop(Circle(-15,0, 2))),\n"
     "  Face(Loop(Circle(0,-15, 2)))), 6, 'join')"},
    {"intersect",
     "Extrude(Sketch(XY, Face(Loop(Line(0,0, 20,0), Line(20,0, 20,20), Line(20,20, 0,20), Line(0,20, 0,0)))), 20, 'new')\n"
     "Extrude(Sketch(XZ, Face(Loop(Circle(10,10, 12)))), -20, 'intersect')"},
    {"d_shape",
     "Extrude(Sketch(XY, Face(Loop(Line(-5,-9, -5,9), Arc(-5,9, 10,0, -5,-9)))), 3, 'new')"},
    {"stepped_shaft",
     "Extrude(Sketch(XY, Face(Loop(Circle(0,0, 10)))), 20, 'new')\n"
     "Extrude(Sketch(Plane({0,0,20}, {1,0,0}, {0,0,1}), Face(Loop(Circle(0,0, 7)))), 15, 'join')\n"
     "Extrude(Sketch(Plane({0,0,35}, {1,0,0}, {0,0,1}), Face(Loop(Circle(0,0, 5)))), 10, 'join')"},
    {"centre_hole_and_ring",
     "Extrude(Sketch(XY, Face(Loop(Circle(0,0, 30)), Loop(Circle(0,0, 3)), Loop(Circle(20,0, 3)), Loop(Circle(-10,17.320508075688775, 3)),\n"
     "  Loop(Circle(-10,-17.320508075688775, 3)))), 5, 'new')"},
    {"forty_holes",
     "local h = {}\n"
     "for i = 0, 39 do local a = 2 * math.pi * i / 40; h[#h + 1] = Loop(Circle(50 * math.cos(a), 50 * math.sin(a), 2)) end\n"
     "Extrude(Sketch(XY, Face(Loop(Circle(0,0, 60)), Loop(Circle(0,0, 40)), table.unpack(h))), 3, 'new')"},
    {"mirrored_rect_feet",
     "Extrude(Sketch(XY, Face(Loop(Line(-40,0, 40,0), Line(40,0, 40,10), Line(40,10, -40,10), Line(-40,10, -40,0)))), 30, 'new')\n"
     "Extrude(Sketch(XY, Face(Loop(Line(-40,10, -25,10), Line(-25,10, -25,40), Line(-25,40, -40,40), Line(-40,40, -40,10))),\n"
     "  Face(Loop(Line(25,10, 40,10), Line(40,10, 40,40), Line(40,40, 25,40), Line(25,40, 25,10)))), 30, 'join')"},
    {"mirrored_rect_slots_cut",
     "Extrude(Sketch(XY, Face(Loop(Circle(0,0, 50)))), 8, 'new')\n"
     "Extrude(Sketch(XY, Face(Loop(Line(-30,-5, -20,-5), Line(-20,-5, -20,5), Line(-20,5, -30,5), Line(-30,5, -30,-5))),\n"
     "  Face(Loop(Line(20,-5, 30,-5), Line(30,-5, 30,5), Line(30,5, 20,5), Line(20,5, 20,-5)))), 8, 'cut')"},
    {"far_from_origin",
     "Extrude(Sketch(XY, Face(Loop(Line(-763.5875,-409.575, -725.4875,-409.575), Line(-725.4875,-409.575, -725.4875,-320.675),\n"
     "  Line(-725.4875,-320.675, -763.5875,-320.675), Line(-763.5875,-320.675, -763.5875,-409.575)))), -660.4, 'new')"},
};
#define TR_NCASES ((int)(sizeof tr_cases / sizeof *tr_cases))

static int tr_model(const char *src, cad_model *m) { return ex_run(src, strlen(src), "case.lua", NULL, m); }

static const tr_case *tr_find(const char *name) {
    for (int i = 0; i < TR_NCASES; i++)
        if (!strcmp(tr_cases[i].name, name)) return &tr_cases[i];
    return NULL;
}

/* the parametric program of a named case (must verify) and its info */
static char *tr_rewrite_case(const char *name, rp_info *info) {
    const tr_case *c = tr_find(name);
    cad_model m;
    REQUIRE(c);
    REQUIRE_MSG(tr_model(c->src, &m) == 0, "%s: %s", name, ut_error());
    rp_result res;
    char *p = rp_parametric(&m, &res);
    cad_free(&m);
    REQUIRE(p);
    CHECK_MSG(res.reason == RP_OK, "%s: %s (%s)\n%s", name, rp_reason_name(res.reason), res.detail, p);
    if (info) *info = res.info;
    return p;
}

static int tr_count(const char *s, const char *needle) {
    int n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

TEST(rewrite_handmade_models_verify) {
    for (int i = 0; i < TR_NCASES; i++) {
        cad_model m;
        REQUIRE_MSG(tr_model(tr_cases[i].src, &m) == 0, "%s: %s", tr_cases[i].name, ut_error());
        rp_result res;
        char *p = rp_parametric(&m, &res);
        REQUIRE(p);
        CHECK_MSG(res.reason == RP_OK, "%s: %s (%s)\n%s", tr_cases[i].name, rp_reason_name(res.reason), res.detail, p);
        CHECK_MSG(res.iou >= RP_MIN_IOU, "%s: IoU %.12f", tr_cases[i].name, res.iou);
        CHECK_MSG(!strncmp(p, "local ", 6) && res.info.params >= 1, "%s: no top-level parameters\n%s", tr_cases[i].name, p);
        /* the rewrite runs on its own and verifies again */
        rp_reason why;
        CHECK(rp_verify(&m, p, &why, NULL) == 0 && why == RP_OK);
        free(p);
        cad_free(&m);
    }
}

TEST(rewrite_bolt_circle_becomes_a_loop) {
    rp_info in;
    char *p = tr_rewrite_case("bolt_circle", &in);
    CHECK(in.circular == 1 && in.patterned == 6);
    CHECK_MSG(strstr(p, "for i = 0, n - 1 do") && strstr(p, "math.cos(a)") && strstr(p, "table.unpack(holes)"), "%s", p);
    CHECK_MSG(tr_count(p, "Circle(") == 2, "%s", p); /* the disc and the one in the loop */
    CHECK_MSG(strstr(p, "local n") || strstr(p, ", n"), "the count is a parameter:\n%s", p);
    free(p);
    /* a start angle and an off-origin centre; the centre hole of the same radius is no member */
    p = tr_rewrite_case("bolt_circle_offset_start", &in);
    CHECK_MSG(in.circular == 1 && in.patterned == 5 && strstr(p, "math.rad(18 + 360 * i / n)") && strstr(p, "10 + R * math.cos(a)"), "%s", p);
    free(p);
    p = tr_rewrite_case("centre_hole_and_ring", &in);
    CHECK_MSG(in.circular == 1 && in.patterned == 3 && in.circles == 2, "%s", p);
    free(p);
    p = tr_rewrite_case("forty_holes", &in);
    CHECK_MSG(in.circular == 1 && in.patterned == 40 && strlen(p) < 500, "%s", p);
    free(p);
    p = tr_rewrite_case("pins_on_a_circle", &in); /* faces, not holes */
    CHECK_MSG(in.circular == 1 && strstr(p, "bosses[#bosses + 1] = Face(Loop(Circle("), "%s", p);
    free(p);
}

TEST(rewrite_grids_and_rows_become_loops) {
    rp_info in;
    char *p = tr_rewrite_case("plate_corner_holes", &in);
    CHECK_MSG(in.grid == 1 && in.patterned == 4 && strstr(p, "for j = 0, n - 1 do"), "%s", p);
    free(p);
    p = tr_rewrite_case("hole_grid_3x4", &in);
    CHECK_MSG(in.grid == 1 && in.patterned == 12 && strstr(p, "-20 + i * p, -22.5 + j * p2"), "%s", p);
    free(p);
    p = tr_rewrite_case("hole_row", &in);
    CHECK_MSG(in.grid == 1 && in.patterned == 5 && strstr(p, "10 + i * p, 10, r"), "%s", p);
    free(p);
}

TEST(rewrite_mirrored_pair_is_a_function_applied_twice) {
    rp_info in;
    char *p = tr_rewrite_case("mirrored_l_cutouts", &in);
    CHECK_MSG(in.mirrors == 1 && strstr(p, "local function side(s)") && strstr(p, "side(1), side(-1)"), "%s", p);
    CHECK_MSG(strstr(p, "s * 20"), "x written as s * dx about x = 0:\n%s", p);
    free(p);
    p = tr_rewrite_case("mirrored_faces_about_y10", &in); /* about y = 10, whole faces */
    CHECK_MSG(in.mirrors == 1 && strstr(p, "return Face(") && strstr(p, "10 + s * 2") && strstr(p, "10 + s * 20"), "%s", p);
    free(p);
    p = tr_rewrite_case("mirrored_rect_feet", &in); /* a profile inside the function */
    CHECK_MSG(in.mirrors == 1 && strstr(p, "rect(-s * 32.5, 25, w2, d2)"), "%s", p);
    free(p);
}

TEST(rewrite_recognises_profiles) {
    rp_info in;
    char *p = tr_rewrite_case("rounded_plate", &in);
    CHECK_MSG(in.rounded == 1 && strstr(p, "local function rounded(") && strstr(p, "rounded(40,25, w, d, rf)"), "%s", p);
    free(p);
    p = tr_rewrite_case("slot_cut", &in);
    CHECK_MSG(in.slots == 1 && strstr(p, "slot(40,20, l, r)") && in.rects == 1, "%s", p);
    free(p);
    p = tr_rewrite_case("slot_rotated_30", &in);
    CHECK_MSG(in.slots == 1 && strstr(p, "slot(0,0, l, r2, 30)"), "%s", p);
    free(p);
    p = tr_rewrite_case("hexagon_prism", &in);
    CHECK_MSG(in.polygons == 1 && strstr(p, "polygon(0,0, rp, n, 0)"), "%s", p);
    free(p);
    p = tr_rewrite_case("pentagon_boss_on_plate", &in);
    CHECK_MSG(in.polygons == 1 && in.rects == 1 && strstr(p, "polygon(0,0, rp, n, 18)"), "%s", p);
    CHECK_MSG(strstr(p, "rect(0,0, w, w)"), "a square centred on the origin shares its side:\n%s", p);
    free(p);
    p = tr_rewrite_case("square_turned_45", &in);
    CHECK_MSG(in.polygons == 1 && in.rects == 0, "%s", p);
    free(p);
    p = tr_rewrite_case("triangle", &in);
    CHECK_MSG(in.literal_loops == 1 && strstr(p, "Line(30,0, 7,19)"), "%s", p);
    free(p);
}

/* bounding box of a program's solid */
static void tr_box(const char *src, double lo[3], double hi[3]) {
    cad_model m;
    REQUIRE_MSG(tr_model(src, &m) == 0, "%s\n%s", ut_error(), src);
    sd_solid *s = sd_build(&m);
    REQUIRE(s && sd_bbox(s, lo, hi) == 0);
    sd_free(s);
    cad_free(&m);
}

TEST(rewrite_top_level_parameters_drive_the_part) {
    rp_info in;
    char *p = tr_rewrite_case("plate_corner_holes", &in);
    /* local w, d, h = 60, 40, 6 ... : sizes first, the extrude distance next */
    CHECK_MSG(!strncmp(p, "local w, d, h", 13) && strstr(p, "= 60, 40, 6"), "%s", p);
    CHECK_MSG(strstr(p, "rect(30,20, w, d)") && strstr(p, "), h, \"new\")"), "%s", p);
    /* edit the sliders: w 60 -> 70, h 6 -> 9 */
    char *q = ut_strdup(p);
    char *v = strstr(q, "60, 40, 6");
    REQUIRE(v);
    memcpy(v, "70, 40, 9", 9);
    double lo[3], hi[3];
    tr_box(q, lo, hi);
    CHECK_NEAR(hi[0] - lo[0], 70, 1e-9);
    CHECK_NEAR(hi[1] - lo[1], 40, 1e-9);
    CHECK_NEAR(hi[2] - lo[2], 9, 1e-9);
    free(q);
    free(p);
    /* extrude distances and sketch offsets are named even when nothing else is recognised */
    p = tr_rewrite_case("stepped_shaft", &in);
    CHECK_MSG(strstr(p, "Plane({0, 0, h}") && strstr(p, "Plane({0, 0, oz}"), "%s", p);
    free(p);
    p = tr_rewrite_case("two_sided_and_symmetric", &in);
    CHECK_MSG(strstr(p, "{h, h2}") && strstr(p, "{sym = h3}"), "%s", p);
    free(p);
}

/* a copy of s with the first `from` replaced by `to` */
static char *tr_replace(const char *s, const char *from, const char *to) {
    const char *at = strstr(s, from);
    REQUIRE_MSG(at, "'%s' not in\n%s", from, s);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *out = ut_malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return out;
}

TEST(rewrite_verifier_rejects_broken_rewrites) {
    cad_model m;
    REQUIRE(tr_model(tr_find("plate_corner_holes")->src, &m) == 0);
    rp_info in;
    char *p = rp_rewrite(&m, &in);
    REQUIRE(p);
    rp_reason why;
    double iou;
    REQUIRE(rp_verify(&m, p, &why, &iou) == 0 && why == RP_OK && iou >= RP_MIN_IOU);
    /* local w, d, h, r, p, p2 = 60, 40, 6, 3, 44, 24; hole radius 3 -> 3.01: same box, other volume */
    REQUIRE_MSG(strstr(p, "local w, d, h, r, p, p2 = 60, 40, 6, 3, 44, 24"), "%s", p);
    char *bad = tr_replace(p, "6, 3, 44", "6, 3.01, 44");
    CHECK(rp_verify(&m, bad, &why, &iou) == -1 && why == RP_VOLUME_MISMATCH && iou < RP_MIN_IOU && iou > 0.99);
    CHECK_MSG(strstr(ut_error(), "IoU"), "%s", ut_error());
    free(bad);
    /* the same volume moved: a hole pitch changed keeps volume and box, but not the IoU */
    bad = tr_replace(p, "44, 24", "43, 24");
    CHECK(rp_verify(&m, bad, &why, NULL) == -1 && why == RP_VOLUME_MISMATCH);
    free(bad);
    /* the plate 1e-3 wider (5e-4 on each side, 8e-6 of its size): the box differs */
    bad = tr_replace(p, "60, 40, 6", "60.001, 40, 6");
    CHECK(rp_verify(&m, bad, &why, NULL) == -1 && why == RP_BBOX_MISMATCH);
    CHECK_MSG(strstr(ut_error(), "bounding boxes differ"), "%s", ut_error());
    free(bad);
    /* does not run: a syntax error, a geometry error */
    bad = tr_replace(p, "local w", "locl w");
    CHECK(rp_verify(&m, bad, &why, NULL) == -1 && why == RP_RUNS_ERROR);
    free(bad);
    bad = tr_replace(p, "60, 40, 6", "60, 40, 0");
    CHECK(rp_verify(&m, bad, &why, NULL) == -1 && why == RP_RUNS_ERROR);
    CHECK_MSG(strstr(ut_error(), "parametric.lua"), "%s", ut_error());
    free(bad);
    free(p);
    cad_free(&m);
    CHECK(!strcmp(rp_reason_name(RP_TOO_LONG), "too-long") && !strcmp(rp_reason_name(RP_OK), "verified"));
}

TEST(rewrite_falls_back_to_the_hard_coded_program) {
    /* a model that cannot be written at all */
    cad_model m;
    cad_init(&m);
    rp_result res;
    CHECK(rp_parametric(&m, &res) == NULL && strstr(ut_error(), "no extrude"));
    cad_free(&m);
    /* an invalid model (open loop): its hard-coded program does not run, so it is kept */
    cad_init(&m);
    double l1[6] = {0, 0, 10, 0}, l2[6] = {10, 0, 10, 10}, l3[6] = {10, 10, 0, 5};
    int c = cad_add_curve(&m, CAD_LINE, l1, 1);
    cad_add_curve(&m, CAD_LINE, l2, 1);
    cad_add_curve(&m, CAD_LINE, l3, 1);
    int lp = cad_add_loop(&m, c, 3), f = cad_add_face(&m, lp, 1);
    cad_plane pl;
    cad_plane_xy(&pl);
    cad_add_extrude(&m, cad_add_sketch(&m, &pl, f, 1, 1), CAD_EXT_ONE, 2, 0, CAD_NEW, 1);
    char *p = rp_parametric(&m, &res), *hard = cw_program(&m);
    REQUIRE(p && hard);
    CHECK(res.reason == RP_ORIGINAL_ERROR && !strcmp(p, hard) && strstr(res.detail, "hard-coded"));
    free(p);
    free(hard);
    cad_free(&m);
}

/* ---- seeded random models: plates with a pattern, a mirrored pair or a slot, and a boss ---- */

static double tr_u(ut_rng *r, double lo, double hi) { return lo + (hi - lo) * ut_rng_uniform(r); }
static double tr_q(double v) { return round(v * 1000) / 1000; } /* 3 decimals, as a drawing would */

/* writes a random hard-coded model's program into buf */
static void tr_random_program(ut_rng *r, char *buf, size_t size) {
    double w = tr_q(tr_u(r, 40, 100)), d = tr_q(tr_u(r, 30, 80)), t = tr_q(tr_u(r, 2, 10));
    double x0 = ut_rng_u64(r) % 2 ? -w / 2 : 0, y0 = ut_rng_u64(r) % 2 ? -d / 2 : 0, cx = x0 + w / 2, cy = y0 + d / 2;
    size_t n = (size_t)snprintf(buf, size, "Extrude(Sketch(XY, Face(Loop(Line(%g,%g, %g,%g), Line(%g,%g, %g,%g), Line(%g,%g, %g,%g), Line(%g,%g, %g,%g))",
                                x0, y0, x0 + w, y0, x0 + w, y0, x0 + w, y0 + d, x0 + w, y0 + d, x0, y0 + d, x0, y0 + d, x0, y0);
    int kind = (int)(ut_rng_u64(r) % 4);
    if (kind == 0) { /* grid of holes */
        int nx = 2 + (int)(ut_rng_u64(r) % 3), ny = 1 + (int)(ut_rng_u64(r) % 3);
        double px = tr_q((w - 20) / (nx - 1)), py = ny > 1 ? tr_q((d - 20) / (ny - 1)) : 0, hr = tr_q(fmin(3, px / 4));
        if (ny > 1) hr = fmin(hr, tr_q(py / 4));
        for (int i = 0; i < nx; i++)
            for (int j = 0; j < ny; j++)
                n += (size_t)snprintf(buf + n, size - n, ", Loop(Circle(%.10g,%.10g, %g))", x0 + 10 + i * px, ny > 1 ? y0 + 10 + j * py : cy, hr);
    } else if (kind == 1) { /* bolt circle */
        int k = 3 + (int)(ut_rng_u64(r) % 6);
        double R = tr_q(fmin(w, d) / 3), a0 = tr_q(tr_u(r, 0, 360.0 / k)), hr = tr_q(fmin(2.5, R * sin(3.14159265 / k) / 2));
        for (int i = 0; i < k; i++) {
            double a = (a0 + 360.0 * i / k) * 3.14159265358979323846 / 180;
            n += (size_t)snprintf(buf + n, size - n, ", Loop(Circle(%.12g,%.12g, %g))", cx + R * cos(a), cy + R * sin(a), hr);
        }
    } else if (kind == 2) { /* mirrored triangles about the centre line */
        double a = tr_q(tr_u(r, 3, w / 6)), b = tr_q(a + tr_u(r, 3, w / 6)), h = tr_q(tr_u(r, 3, d / 3));
        for (int s = -1; s <= 1; s += 2)
            n += (size_t)snprintf(buf + n, size - n, ", Loop(Line(%g,%g, %g,%g), Line(%g,%g, %g,%g), Line(%g,%g, %g,%g))", cx + s * a,
                                  cy, cx + s * b, cy, cx + s * b, cy, cx + s * a, cy + h, cx + s * a, cy + h, cx + s * a, cy);
    } else { /* a slot */
        double l = tr_q(w / 3), sr = tr_q(d / 8);
        n += (size_t)snprintf(buf + n, size - n, ", Loop(Line(%g,%g, %g,%g), Arc(%g,%g, %g,%g, %g,%g), Line(%g,%g, %g,%g), Arc(%g,%g, %g,%g, %g,%g))",
                              cx - l / 2, cy - sr, cx + l / 2, cy - sr, cx + l / 2, cy - sr, cx + l / 2 + sr, cy, cx + l / 2, cy + sr,
                              cx + l / 2, cy + sr, cx - l / 2, cy + sr, cx - l / 2, cy + sr, cx - l / 2 - sr, cy, cx - l / 2, cy - sr);
    }
    /* a boss on top, clear of the features: at a corner */
    double br = tr_q(fmin(w, d) / 12);
    snprintf(buf + n, size - n, ")), %g, 'new')\nExtrude(Sketch(Plane({0,0,%g}, {1,0,0}, {0,0,1}), Face(Loop(Circle(%g,%g, %g)))), %g, 'join')\n",
             t, t, x0 + 1.5 * br, y0 + 1.5 * br, br, tr_q(t / 2));
}

TEST(rewrite_random_models_verify) {
    ut_rng r;
    ut_rng_seed(&r, 2024);
    int patterns = 0, mirrors = 0, slots = 0;
    for (int i = 0; i < 40; i++) {
        char src[4096];
        tr_random_program(&r, src, sizeof src);
        cad_model m;
        REQUIRE_MSG(tr_model(src, &m) == 0, "case %d: %s\n%s", i, ut_error(), src);
        rp_result res;
        char *p = rp_parametric(&m, &res);
        REQUIRE(p);
        CHECK_MSG(res.reason == RP_OK, "case %d: %s (%s)\n%s\n%s", i, rp_reason_name(res.reason), res.detail, src, p);
        patterns += res.info.grid + res.info.circular;
        mirrors += res.info.mirrors;
        slots += res.info.slots;
        free(p);
        cad_free(&m);
    }
    /* every kind was drawn and recognised (40 draws of 4 kinds) */
    CHECK(patterns >= 10 && mirrors >= 3 && slots >= 3);
}

/* ---- real files ---- */

TEST(rewrite_real_files_verify) {
    static const char *files[] = {"deepcad/00000007.json", "deepcad/00000070.json", "deepcad/00000073.json", "deepcad/00000131.json",
                                  "deepcad/00000329.json", "deepcad/00000354.json", "deepcad/00000356.json",
                                  "fusion360/Couch.json", "fusion360/Pattern6_1357454e_0000.json",
                                  "fusion360/Z0DoubleProfileSketchExtrude_795c7869_0000.json"};
    int used = 0;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/data/%s", tf_shared(), files[i]);
        cad_model m;
        im_report rep;
        if (im_load(path, NULL, &m, &rep)) {
            im_report_free(&rep);
            if (strstr(ut_error(), "cannot open")) SKIP("no shared data (%s)", path);
            CHECK_MSG(0, "%s: %s", files[i], ut_error());
            continue;
        }
        im_report_free(&rep);
        rp_result res;
        char *p = rp_parametric(&m, &res);
        REQUIRE(p);
        CHECK_MSG(res.reason == RP_OK, "%s: %s (%s)", files[i], rp_reason_name(res.reason), res.detail);
        CHECK_MSG(!strncmp(p, "local ", 6), "%s: no parameters\n%s", files[i], p);
        used += res.info.mirrors + res.info.rects + res.info.polygons + res.info.circular + res.info.grid;
        free(p);
        cad_free(&m);
    }
    CHECK(used >= 5); /* the real files hold rectangles, polygons and mirrored pairs */
}

TEST(rewrite_is_deterministic_across_threads) {
    enum { N = 8 };
    cad_model m[N];
    char *serial[N], *par[N];
    for (int i = 0; i < N; i++) {
        REQUIRE(tr_model(tr_cases[i * 3 % TR_NCASES].src, &m[i]) == 0);
        serial[i] = rp_parametric(&m[i], NULL);
        REQUIRE(serial[i]);
    }
#pragma omp parallel for num_threads(4)
    for (int i = 0; i < N; i++) par[i] = rp_parametric(&m[i], NULL);
    for (int i = 0; i < N; i++) {
        CHECK(par[i] && !strcmp(par[i], serial[i]));
        free(par[i]);
        free(serial[i]);
        cad_free(&m[i]);
    }
}

/* ---- the command ---- */

TEST(rewrite_command) {
    char *out = NULL;
    int rc = tf_run_cmd("build/recad rewrite examples/flange.lua 2>&1", &out);
    CHECK_MSG(rc == 0 && strstr(out, "for i = 0, n - 1 do") && strstr(out, "-- examples/flange.lua: verified (params"), "%s", out);
    free(out);
    char cmd[2048];
    const char *dir = tf_tmpdir();
    snprintf(cmd, sizeof cmd, "build/recad rewrite examples -o %s/out && cat %s/out/plate.lua", dir, dir);
    rc = tf_run_cmd(cmd, &out);
    CHECK_MSG(rc == 0 && strstr(out, "verified 4 of 4 models (100.0%)") && strstr(out, "local w, d, h, r, p, p2 = 60, 40, 6, 3, 44, 24"), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "build/recad rewrite %s/data/deepcad/00000131.json --json", tf_shared());
    rc = tf_run_cmd(cmd, &out);
    if (strstr(out, "cannot open")) {
        free(out);
        SKIP("no shared data");
    }
    CHECK_MSG(rc == 0 && strstr(out, "\"status\":\"verified\"") && strstr(out, "\"iou\":"), "%s", out);
    free(out);
    rc = tf_run_cmd("build/recad rewrite /nonexistent.lua 2>&1", &out);
    CHECK_MSG(rc == 3 && strstr(out, "/nonexistent.lua"), "rc %d: %s", rc, out);
    free(out);
    rc = tf_run_cmd("build/recad rewrite 2>&1", &out);
    CHECK(rc == 2);
    free(out);
}
