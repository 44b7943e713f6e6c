/* Tests of codewrite.c: short numbers, the program text, and the round trip
 * program -> model -> program -> model on hand-written programs and the examples. */
#include <stdlib.h>
#include <string.h>

#include "cad/codewrite.h"
#include "cad/exec.h"
#include "tf.h"
#include "base/util.h"

static void num_is(double v, double tol, const char *want, int line) {
    char buf[64];
    int n = cw_number(v, tol, buf, sizeof buf);
    CHECK_MSG(n == (int)strlen(want) && strcmp(buf, want) == 0, "line %d: cw_number(%.17g, %g) = '%s', want '%s'", line, v,
              tol, buf, want);
}
#define NUM_IS(v, tol, want) num_is(v, tol, want, __LINE__)

TEST(codewrite_numbers_are_short) {
    NUM_IS(60, 1e-9, "60");
    NUM_IS(0.1 + 0.2, 1e-9, "0.3");
    NUM_IS(-0.0, 1e-9, "0");
    NUM_IS(-1e-17, 1e-9, "0");
    NUM_IS(6.123233995736766e-17, 1e-9, "0"); /* cos(pi/2) */
    NUM_IS(123.456, 1e-9, "123.456");
    NUM_IS(-2.5, 0, "-2.5");
    NUM_IS(1.0 / 3.0, 1e-9, "0.333333333");
    NUM_IS(1.0 / 3.0, 0, "0.3333333333333333");
    NUM_IS(2.5e-7, 1e-12, "0.00000025");
    NUM_IS(2.5e-7, 0, "2.5e-7");
    NUM_IS(1e20, 1e-9, "1e20");
    NUM_IS(1000000, 1e-9, "1000000");
    NUM_IS(29.999999999999996, 1e-9, "30");
    NUM_IS(0.7071067811865476, 1e-12, "0.707106781187");
    NUM_IS(123456789012.5, 1e-9, "123456789012.5");
    NUM_IS(123456789012.123456, 1e-9, "123456789012.12346"); /* no digits beyond a double's */
    NUM_IS(0.333333333, 1e-9, "0.333333333");                  /* idempotent */
    char buf[64];
    CHECK(cw_number(NAN, 1e-9, buf, sizeof buf) == -1);
    CHECK(cw_number(INFINITY, 1e-9, buf, sizeof buf) == -1);
    /* every output reads back within the tolerance, and is never longer than %.17g */
    ut_rng r;
    ut_rng_seed(&r, 3);
    for (int i = 0; i < 5000; i++) {
        double v = (ut_rng_uniform(&r) - 0.5) * pow(10, (int)(ut_rng_u64(&r) % 24) - 12);
        double tol = i % 2 ? 0 : 1e-9;
        char full[64];
        REQUIRE(cw_number(v, tol, buf, sizeof buf) > 0);
        snprintf(full, sizeof full, "%.17g", v);
        double back = strtod(buf, NULL);
        CHECK_MSG(tol > 0 ? fabs(back - v) <= tol : back == v, "%.17g -> %s", v, buf);
        CHECK_MSG(strlen(buf) <= strlen(full) + 2, "%.17g -> %s (%s)", v, buf, full);
        char again[64]; /* idempotent */
        cw_number(back, tol, again, sizeof again);
        CHECK_MSG(strcmp(again, buf) == 0, "%.17g -> %s -> %s", v, buf, again);
    }
}

static int run(const char *src, cad_model *m) { return ex_run(src, strlen(src), "prog.lua", NULL, m); }

TEST(codewrite_plate_text) {
    const char *src = "local w, d = 60, 40\n"
                      "local plate = Loop(Line(0,0, w,0), Line(w,0, w,d), Line(w,d, 0,d), Line(0,d, 0,0))\n"
                      "Extrude(Sketch(XY, Face(plate, Loop(Circle(8, 8, 3)))), 6)\n"
                      "Extrude(Sketch(Plane({0,0,6}, {1,0,0}, {0,0,1}), Face(Loop(Circle(30, 20, 5)))), {sym = 2.5}, 'cut')\n";
    cad_model m;
    REQUIRE_MSG(run(src, &m) == 0, "%s", ut_error());
    char *text = cw_program(&m);
    REQUIRE(text);
    /* validation keeps this counter-clockwise outer loop and turns the hole clockwise */
    const char *want = "Extrude(Sketch(XY,\n"
                       "  Face(\n"
                       "    Loop(Line(0,0, 60,0), Line(60,0, 60,40), Line(60,40, 0,40), Line(0,40, 0,0)),\n"
                       "    Loop(Circle(8,8, 3)))),\n"
                       "  6, \"new\")\n"
                       "Extrude(Sketch(Plane({0, 0, 6}, {1, 0, 0}, {0, 0, 1}),\n"
                       "  Face(\n"
                       "    Loop(Circle(30,20, 5)))),\n"
                       "  {sym = 2.5}, \"cut\")\n";
    CHECK_MSG(strcmp(text, want) == 0, "got:\n%s", text);
    free(text);
    cad_free(&m);
}

/* same counts, kinds, references and numbers within tol (coordinates) / 1e-12 (directions) */
static void same_model(const cad_model *a, const cad_model *b, const char *what) {
    REQUIRE_MSG(a->ncurves == b->ncurves && a->nloops == b->nloops && a->nfaces == b->nfaces &&
                    a->nsketches == b->nsketches && a->nextrudes == b->nextrudes,
                "%s: counts differ", what);
    double tol = 1e-9 * cw_model_scale(a) * 4;
    for (int i = 0; i < a->ncurves; i++) {
        CHECK_MSG(a->curves[i].kind == b->curves[i].kind, "%s: curve %d kind", what, i);
        for (int k = 0; k < 6; k++)
            CHECK_MSG(fabs(a->curves[i].p[k] - b->curves[i].p[k]) <= tol, "%s: curve %d p[%d] %.17g vs %.17g", what, i, k,
                      a->curves[i].p[k], b->curves[i].p[k]);
    }
    for (int i = 0; i < a->nloops; i++) CHECK(a->loops[i].first == b->loops[i].first && a->loops[i].n == b->loops[i].n);
    for (int i = 0; i < a->nfaces; i++) CHECK(a->faces[i].first == b->faces[i].first && a->faces[i].n == b->faces[i].n);
    for (int i = 0; i < a->nsketches; i++) {
        const cad_plane *p = &a->sketches[i].plane, *q = &b->sketches[i].plane;
        CHECK(a->sketches[i].first == b->sketches[i].first && a->sketches[i].n == b->sketches[i].n);
        for (int k = 0; k < 3; k++) {
            CHECK_MSG(fabs(p->origin[k] - q->origin[k]) <= tol, "%s: sketch %d origin", what, i);
            CHECK_MSG(fabs(p->x[k] - q->x[k]) <= 1e-11, "%s: sketch %d x", what, i);
            CHECK_MSG(fabs(p->y[k] - q->y[k]) <= 1e-11, "%s: sketch %d y", what, i);
            CHECK_MSG(fabs(p->n[k] - q->n[k]) <= 1e-11, "%s: sketch %d n", what, i);
        }
    }
    for (int i = 0; i < a->nextrudes; i++) {
        const cad_extrude *e = &a->extrudes[i], *f = &b->extrudes[i];
        CHECK_MSG(e->kind == f->kind && e->op == f->op && e->sketch == f->sketch, "%s: extrude %d", what, i);
        CHECK_MSG(fabs(e->d1 - f->d1) <= tol && fabs(e->d2 - f->d2) <= tol, "%s: extrude %d extent", what, i);
    }
}

/* program -> model -> program -> model -> program: same geometry, and (same_text) the text is a
 * fixed point. Tilted planes are re-normalised on every run, which moves their direction vectors
 * by about 1e-13 - enough to flip the 12th decimal now and then, so their text may differ. */
static void round_trip(const char *src, const char *what, int same_text) {
    cad_model m1, m2, m3;
    REQUIRE_MSG(run(src, &m1) == 0, "%s: %s", what, ut_error());
    char *t1 = cw_program(&m1);
    REQUIRE(t1);
    REQUIRE_MSG(run(t1, &m2) == 0, "%s: written program fails: %s\n%s", what, ut_error(), t1);
    same_model(&m1, &m2, what);
    char *t2 = cw_program(&m2);
    REQUIRE(t2);
    REQUIRE(run(t2, &m3) == 0);
    same_model(&m1, &m3, what);
    if (same_text) CHECK_MSG(strcmp(t1, t2) == 0, "%s: second writing differs:\n%s\n---\n%s", what, t1, t2);
    free(t1);
    free(t2);
    cad_free(&m1);
    cad_free(&m2);
    cad_free(&m3);
}

TEST(codewrite_round_trip_examples) {
    const char *names[] = {"plate", "bracket", "flange", "pocket"};
    for (int i = 0; i < 4; i++) {
        char path[64];
        snprintf(path, sizeof path, "examples/%s.lua", names[i]);
        char *src = ut_read_file(path, NULL);
        REQUIRE_MSG(src, "%s", ut_error());
        round_trip(src, path, 1);
        free(src);
    }
}

TEST(codewrite_round_trip_programs) {
    /* tilted plane with irrational directions, two-sided and negative extents, all ops */
    round_trip("local p = Plane({1.5, -2, 3}, {math.cos(0.3), math.sin(0.3), 0.2}, {-0.1, 0.3, 1})\n"
               "local sq = Face(Loop(Line(0,0, 10,0), Line(10,0, 10,10), Line(10,10, 0,10), Line(0,10, 0,0)))\n"
               "Extrude(Sketch(p, sq), {4, 1.25})\n"
               "Extrude(Sketch(XZ, Face(Loop(Circle(5, 2, 1/3)))), -7, 'join')\n"
               "Extrude(Sketch(YZ, Face(Loop(Circle(5, 5, 2)))), {sym = 30}, 'cut')\n"
               "Extrude(Sketch(XY, Face(Loop(Circle(5, 5, 20)))), {1, 1}, 'intersect')\n",
               "tilted", 0);
    /* arcs over 180 degrees, with noisy trigonometric coordinates, several faces in one sketch */
    round_trip("local function key(cx, cy, r)\n"
               "  local a = math.rad(30)\n"
               "  local x, y = r * math.cos(a), r * math.sin(a)\n"
               "  return Face(Loop(Arc(cx + x, cy + y, cx - r, cy, cx + x, cy - y), Line(cx + x, cy - y, cx + x, cy + y)))\n"
               "end\n"
               "Extrude(Sketch(XY, key(0, 0, 5), key(20, 0, 3.3)), 2.2)\n",
               "arcs", 1);
    /* a 300-sided polygon: more curves than a Lua call can take as arguments */
    round_trip("local c, n, r = {}, 300, 50\n"
               "for i = 0, n - 1 do\n"
               "  local a, b = 2 * math.pi * i / n, 2 * math.pi * (i + 1) / n\n"
               "  c[#c + 1] = Line(r * math.cos(a), r * math.sin(a), r * math.cos(b), r * math.sin(b))\n"
               "end\n"
               "Extrude(Sketch(XY, Face(Loop(table.unpack(c)))), 1)\n",
               "polygon", 1);
}

TEST(codewrite_rejects_broken_models) {
    cad_model m;
    cad_init(&m);
    CHECK(cw_program(&m) == NULL);
    CHECK(strstr(ut_error(), "no extrude") != NULL);
    cad_plane p;
    cad_plane_xy(&p);
    double c[3] = {0, 0, NAN};
    cad_add_curve(&m, CAD_CIRCLE, c, 1);
    cad_add_loop(&m, 0, 1);
    cad_add_face(&m, 0, 1);
    cad_add_sketch(&m, &p, 0, 1, 1);
    cad_add_extrude(&m, 0, CAD_EXT_ONE, 1, 0, CAD_NEW, 1);
    CHECK(cw_program(&m) == NULL);
    CHECK(strstr(ut_error(), "non-finite") != NULL);
    m.curves[0].p[2] = 1;
    m.extrudes[0].sketch = 3;
    CHECK(cw_program(&m) == NULL);
    CHECK(strstr(ut_error(), "missing sketch") != NULL);
    m.extrudes[0].sketch = 0;
    char *s = cw_program(&m);
    CHECK(s && strcmp(s, "Extrude(Sketch(XY,\n  Face(\n    Loop(Circle(0,0, 1)))),\n  1, \"new\")\n") == 0);
    free(s);
    char path[512];
    snprintf(path, sizeof path, "%s/out.lua", tf_tmpdir());
    REQUIRE(cw_write_file(&m, path) == 0);
    cad_model back;
    REQUIRE_MSG(ex_run_file(path, NULL, &back) == 0, "%s", ut_error());
    CHECK(back.ncurves == 1 && back.curves[0].p[2] == 1);
    cad_free(&back);
    cad_free(&m);
}
