/* Tests of the checked mesher (ms_from_model): meshes that are right or refused. The reproducers
 * of wrong meshes (wrong volumes at the default and at fine tolerances, holes dropped, a valid
 * part called empty, absurd tolerances), a seeded set of random valid programs whose every mesh
 * must match the kernel's exact volume, and the commands' handling of --tol. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "cad/exec.h"
#include "geom/mesh.h"
#include "geom/solid.h"
#include "geom/validate.h"
#include "tf.h"

/* ---- the reproducers, as programs ---- */

static const char *PLATE = "local w, d, t = 60, 40, 6\n"
                           "local r, m = 3, 8\n"
                           "local holes = {}\n"
                           "for _, x in ipairs{m, w - m} do\n"
                           "  for _, y in ipairs{m, d - m} do holes[#holes + 1] = Loop(Circle(x, y, r)) end\n"
                           "end\n"
                           "local plate = Loop(Line(0,0, w,0), Line(w,0, w,d), Line(w,d, 0,d), Line(0,d, 0,0))\n"
                           "Extrude(Sketch(XY, Face(plate, table.unpack(holes))), t, \"new\")\n";

/* an octagon-like loop of 6 lines and 2 quarter arcs, 4-decimal coordinates (06) */
static const char *TWO_ARCS =
    "Extrude(Sketch(XY, Face(Loop(Line(390.9331, -539.2269, 571.9233, -539.2269),"
    " Line(571.9233, -539.2269, 843.3214, -267.8289), Line(843.3214, -267.8289, 843.3214, -161.6591),"
    " Line(843.3214, -161.6591, 571.9233, 109.7389), Line(571.9233, 109.7389, 390.9331, 109.7389),"
    " Arc(390.9331, 109.7389, 199.0257, 30.2482, 119.535, -161.6591), Line(119.535, -161.6591, 119.535, -267.8289),"
    " Arc(119.535, -267.8289, 199.0257, -459.7363, 390.9331, -539.2269)))), 10, \"new\")\n";

#define ROUNDED                                                                                                            \
    "Loop(Line(390.9331, -539.2269, 571.9233, -539.2269), Arc(571.9233, -539.2269, 763.8307, -459.7363, 843.3214, -267.8289)," \
    " Line(843.3214, -267.8289, 843.3214, -161.6591), Arc(843.3214, -161.6591, 763.8307, 30.2482, 571.9233, 109.7389),"       \
    " Line(571.9233, 109.7389, 390.9331, 109.7389), Arc(390.9331, 109.7389, 199.0257, 30.2482, 119.535, -161.6591),"          \
    " Line(119.535, -161.6591, 119.535, -267.8289), Arc(119.535, -267.8289, 199.0257, -459.7363, 390.9331, -539.2269))"

/* a rounded rectangle (06) */
static const char *ROUNDED_RECT = "Extrude(Sketch(XY, Face(" ROUNDED ")), 10, \"new\")\n";

/* parallel extrusions, default tolerance, was -9.7 % (07) */
static const char *PROG155 =
    "Extrude(Sketch(XY, Face(" ROUNDED ", Loop(Line(343.4398,-388.2994, 619.4166,-388.2994), Line(619.4166,-388.2994, "
    "619.4166,-41.1887), Line(619.4166,-41.1887, 343.4398,-41.1887), Line(343.4398,-41.1887, 343.4398,-388.2994))),\n"
    "  Face(Loop(Line(2359.8188,140.4935, 2784.6234,140.4935), Line(2784.6234,140.4935, 2784.6234,606.8339), "
    "Line(2784.6234,606.8339, 2359.8188,606.8339), Line(2359.8188,606.8339, 2359.8188,140.4935)), Loop(Circle(2689.0424,373.6637, "
    "15.6472)), Loop(Circle(2572.2211,490.4849, 14.657)), Loop(Circle(2455.3999,373.6637, 13.717)), "
    "Loop(Circle(2572.2211,256.8424, 31.1824))),\n"
    "  Face(Loop(Line(4629.7457, -772.5565, 4834.6094, -772.5565), Arc(4834.6094, -772.5565, 4947.7859, -725.6773, 4994.6651, "
    "-612.5009), Line(4994.6651, -612.5009, 4994.6651, -226.2457), Arc(4994.6651, -226.2457, 4947.7859, -113.0693, 4834.6094, "
    "-66.1901), Line(4834.6094, -66.1901, 4629.7457, -66.1901), Arc(4629.7457, -66.1901, 4516.5693, -113.0693, 4469.6901, "
    "-226.2457), Line(4469.6901, -226.2457, 4469.6901, -612.5009), Arc(4469.6901, -612.5009, 4516.5693, -725.6773, 4629.7457, "
    "-772.5565)))),\n"
    "  {85.538, 812.9286}, \"new\")\n"
    "Extrude(Sketch(Plane({-274.2201, -387.4325, -139.209}, {1, 0, 0}, {0, 0, 1}),\n"
    "  Face(Loop(Line(214.8201, -428.5046, 624.5845, -428.5046), Arc(624.5845, -428.5046, 715.4146, -390.8816, 753.0376, "
    "-300.0515), Line(753.0376, -300.0515, 753.0376, -126.1716), Arc(753.0376, -126.1716, 715.4146, -35.3415, 624.5845, 2.2816), "
    "Line(624.5845, 2.2816, 214.8201, 2.2816), Arc(214.8201, 2.2816, 123.9901, -35.3415, 86.367, -126.1716), Line(86.367, "
    "-126.1716, 86.367, -300.0515), Arc(86.367, -300.0515, 123.9901, -390.8816, 214.8201, -428.5046)), "
    "Loop(Line(378.9091,-311.2462, 460.4956,-311.2462), Line(460.4956,-311.2462, 460.4956,-114.9769), Line(460.4956,-114.9769, "
    "378.9091,-114.9769), Line(378.9091,-114.9769, 378.9091,-311.2462)))),\n"
    "  456.9252, \"intersect\")\n";

/* three directions, a small intersect result, was -45 % (07b) */
static const char *PROG849 =
    "Extrude(Sketch(YZ, Face(Loop(Circle(0.356,-0.2171, 0.5183)))), -0.6715, \"new\")\n"
    "Extrude(Sketch(Plane({-0.0, -0.1418, -0.6434}, {0.94, -0.6986, -0.4027}, {-0.6563, -0.168, -0.8726}),\n"
    "  Face(Loop(Line(0.4721,0.5982, 0.2517,0.6166), Line(0.2517,0.6166, 0.0828,0.4738), Line(0.0828,0.4738, 0.0644,0.2534), "
    "Line(0.0644,0.2534, 0.2072,0.0845), Line(0.2072,0.0845, 0.4276,0.0661), Line(0.4276,0.0661, 0.5965,0.2089), "
    "Line(0.5965,0.2089, 0.615,0.4293), Line(0.615,0.4293, 0.4721,0.5982)), Loop(Circle(0.4865,0.3413, 0.0523)), "
    "Loop(Circle(0.1928,0.3413, 0.018)))),\n"
    "  {0.3219, 0.67}, \"cut\")\n"
    "Extrude(Sketch(Plane({0.0001, -0.286, 0.0}, {-0.2476, -0.8606, -0.8369}, {-0.2271, 0.4424, -0.7952}),\n"
    "  Face(Loop(Line(-0.0011,-0.0652, 0.6141,-0.6254), Line(0.6141,-0.6254, 0.7917,0.1875), Line(0.7917,0.1875, "
    "-0.0011,-0.0652)), Loop(Line(0.4058,-0.3036, 0.5308,-0.3036), Line(0.5308,-0.3036, 0.5308,-0.0318), Line(0.5308,-0.0318, "
    "0.4058,-0.0318), Line(0.4058,-0.0318, 0.4058,-0.3036))),\n"
    "  Face(Loop(Line(2.5615, -0.7714, 2.6608, -0.7714), Arc(2.6608, -0.7714, 2.8765, -0.6821, 2.9659, -0.4663), Line(2.9659, "
    "-0.4663, 2.9659, -0.3792), Arc(2.9659, -0.3792, 2.8765, -0.1635, 2.6608, -0.0741), Line(2.6608, -0.0741, 2.5615, -0.0741), "
    "Arc(2.5615, -0.0741, 2.3458, -0.1635, 2.2564, -0.3792), Line(2.2564, -0.3792, 2.2564, -0.4663), Arc(2.2564, -0.4663, "
    "2.3458, -0.6821, 2.5615, -0.7714)), Loop(Circle(2.8029,-0.4228, 0.0373)), Loop(Circle(2.4194,-0.4228, 0.0447)))),\n"
    "  {0.9814, 0.6483}, \"intersect\")\n";

/* two directions, was -39 % (07c) */
static const char *PROG1360 =
    "Extrude(Sketch(YZ, Face(Loop(Line(-4.0485, -5.0544, -0.9055, -5.0544), Arc(-0.9055, -5.0544, -0.2799, -4.4288, -0.9055, "
    "-3.8032), Line(-0.9055, -3.8032, -4.0485, -3.8032), Arc(-4.0485, -3.8032, -4.6741, -4.4288, -4.0485, -5.0544)), "
    "Loop(Circle(-2.1329,-4.4288, 0.0991)), Loop(Circle(-2.477,-4.0848, 0.1049)), Loop(Circle(-2.8211,-4.4288, 0.102)), "
    "Loop(Circle(-2.477,-4.7729, 0.1016)))),\n"
    "  {9.6172, 8.3568}, \"new\")\n"
    "Extrude(Sketch(XY, Face(Loop(Line(-3.1874,3.3052, 1.0828,-0.4558), Line(1.0828,-0.4558, 5.9793,2.4432), Line(5.9793,2.4432, "
    "4.7353,7.9959), Line(4.7353,7.9959, -0.93,8.5287), Line(-0.93,8.5287, -3.1874,3.3052)), Loop(Circle(3.6898,4.3634, 0.2565)), "
    "Loop(Circle(-0.6178,4.3634, 0.4389)))),\n"
    "  {7.1078, 4.9523}, \"intersect\")\n";

/* a valid part that the mesher called empty (10) */
static const char *EMPTY10 =
    "Extrude(Sketch(Plane({-1.2276, -2.7309, 0.0}, {0, 1, 0}, {1, 0, 0}),\n"
    "  Face(Loop(Circle(2.4928,0.0398, 1.61)), Loop(Circle(2.4928,0.0398, 0.5367)))), 9.6733, \"new\")\n"
    "Extrude(Sketch(XY,\n"
    "  Face(Loop(Line(-8.2098, 1.3425, -1.2387, 1.3425), Arc(-1.2387, 1.3425, 0.213, 2.7941, -1.2387, 4.2458), Line(-1.2387, "
    "4.2458, -8.2098, 4.2458), Arc(-8.2098, 4.2458, -9.6615, 2.7941, -8.2098, 1.3425)), Loop(Line(-5.3627,1.9933, "
    "-4.0858,1.9933), Line(-4.0858,1.9933, -4.0858,3.595), Line(-4.0858,3.595, -5.3627,3.595), Line(-5.3627,3.595, "
    "-5.3627,1.9933))),\n"
    "  Face(Loop(Line(23.9796,-5.4196, 33.9726,-5.4196), Line(33.9726,-5.4196, 33.9726,4.4038), Line(33.9726,4.4038, "
    "23.9796,4.4038), Line(23.9796,4.4038, 23.9796,-5.4196))),\n"
    "  Face(Loop(Line(48.2908, -3.7635, 49.8794, -3.7635), Arc(49.8794, -3.7635, 51.0045, -2.6384, 49.8794, -1.5132), "
    "Line(49.8794, -1.5132, 48.2908, -1.5132), Arc(48.2908, -1.5132, 47.1656, -2.6384, 48.2908, -3.7635)), "
    "Loop(Circle(49.7039,-2.6384, 0.1961)), Loop(Circle(49.0851,-2.0195, 0.1147)), Loop(Circle(48.4662,-2.6384, 0.0945)), "
    "Loop(Circle(49.0851,-3.2572, 0.1785)))),\n"
    "  {2.2131, 2.2852}, \"intersect\")\n";

static void mc_run(const char *src, cad_model *m) {
    REQUIRE_MSG(ex_run(src, strlen(src), "repro.lua", NULL, m) == 0, "program: %s", ut_error());
}

/* meshes src at tol: must succeed within limit_s seconds with a closed mesh whose volume is the
   kernel's within rel (and within the mesher's own bound); returns the triangle count */
#ifdef __SANITIZE_ADDRESS__
#define MC_SLOW 10 /* time limits are for the -O2 build; the sanitizers' build runs ~5x slower */
#else
#define MC_SLOW 1
#endif

static int mc_mesh_ok(const char *name, const char *src, double tol, double rel, double limit_s) {
    limit_s *= MC_SLOW;
    cad_model m;
    mc_run(src, &m);
    sd_solid *s = sd_build(&m);
    REQUIRE(s != NULL);
    double exact = sd_volume(s);
    sd_free(s);
    ms_mesh ms;
    ms_stats st;
    double t0 = ut_now();
    int rc = ms_from_model_stats(&m, tol, &ms, &st);
    double dt = ut_now() - t0;
    REQUIRE_MSG(rc == 0, "%s at tol %g: %s", name, tol, ut_error());
    double v = ms_volume(&ms), err = (v - exact) / exact;
    fprintf(stderr, "    %-14s tol %-8g %7d triangles  volume %.9g exact %.9g rel.err %+.2e  %d refinements  %.2f s\n", name,
            st.tol, ms.nt, v, exact, err, st.refinements, dt);
    CHECK_MSG(fabs(err) <= rel, "%s at tol %g: mesh volume %.9g, exact %.9g", name, tol, v, exact);
    CHECK(fabs(v - exact) <= st.allowed);
    CHECK_MSG(ms_check_closed(&ms) == 0, "%s: %s", name, ut_error());
    CHECK_MSG(dt < limit_s, "%s at tol %g: %.2f s", name, tol, dt);
    int nt = ms.nt;
    ms_free(&ms);
    cad_free(&m);
    return nt;
}

TEST(mesh_check_repro_tiny_tol_is_refused_quickly) {
    /* 01: --tol 1e-7 .. 1e-300 on the plate: refused as out of range at once, not a plate without
       holes, not 17 s and 770 MB; the smallest accepted tolerance keeps the holes */
    cad_model m;
    mc_run(PLATE, &m);
    const double tols[] = {1e-7, 1e-8, 1e-9, 1e-300, 1e3, NAN, INFINITY};
    for (int i = 0; i < 7; i++) {
        ms_mesh ms;
        double t0 = ut_now();
        int rc = ms_from_model(&m, tols[i], &ms);
        CHECK_MSG(rc == MS_BAD_TOL, "tol %g: rc %d", tols[i], rc);
        CHECK(ut_now() - t0 < 2 * MC_SLOW);
        CHECK(strstr(ut_error(), "chord tolerance") != NULL);
        if (tols[i] > 1 && isfinite(tols[i])) CHECK(strstr(ut_error(), "exceeds the part's size") != NULL);
        else if (tols[i] < 1) CHECK(strstr(ut_error(), "below") != NULL);
    }
    double size = ms_part_size(&m);
    CHECK_REL(size, sqrt(60 * 60 + 40 * 40 + 6 * 6), 1e-12);
    CHECK_REL(ms_default_tol(&m), MS_AUTO_TOL_REL * size, 1e-12);
    cad_free(&m);
    mc_mesh_ok("plate", PLATE, 1.0001 * MS_MIN_TOL_REL * size, 1e-9, 2);
    mc_mesh_ok("plate", PLATE, 1e-4, 1e-9, 2);
    mc_mesh_ok("plate", PLATE, 0, 1e-9, 2);
}

TEST(mesh_check_repro_arcs_keep_their_volume_at_fine_tol) {
    /* 06: finer tolerances lost up to 20 % of the volume; now exact to rounding at every tol */
    const double tols[] = {0.1, 0.01, 0.001};
    int prev[2] = {0, 0};
    for (int i = 0; i < 3; i++) {
        int a = mc_mesh_ok("two arcs", TWO_ARCS, tols[i], 1e-8, 2), b = mc_mesh_ok("rounded rect", ROUNDED_RECT, tols[i], 1e-8, 2);
        CHECK(a > prev[0] && b > prev[1]); /* finer chords, more triangles */
        prev[0] = a, prev[1] = b;
    }
}

TEST(mesh_check_repro_random_programs_default_tol) {
    /* 07, 07b, 07c: 10-45 % off at the default tolerance */
    mc_mesh_ok("prog155", PROG155, 0, 1e-4, 2);
    mc_mesh_ok("prog849", PROG849, 0, MS_VOL_REL, 2);
    mc_mesh_ok("prog1360", PROG1360, 0, MS_VOL_REL, 2);
    mc_mesh_ok("prog1360", PROG1360, 1e-4, MS_VOL_REL, 4); /* finer: tighter */
}

TEST(mesh_check_repro_small_intersection_is_not_empty) {
    /* 10: a valid part (volume 0.00193) inside much larger prisms was "empty" */
    mc_mesh_ok("part10", EMPTY10, 0, MS_VOL_REL, 2);
    cad_model m;
    mc_run(EMPTY10, &m);
    sd_solid *s = sd_build(&m);
    double lo[3], hi[3];
    REQUIRE(sd_bbox(s, lo, hi) == 0); /* the kernel's box was empty along z */
    CHECK_NEAR(lo[2], 0.0398 - sqrt(1.61 * 1.61 - (1.3425 + 0.2381) * (1.3425 + 0.2381)), 1e-6);
    CHECK_NEAR(hi[2], 0.0398 + sqrt(1.61 * 1.61 - (1.3425 + 0.2381) * (1.3425 + 0.2381)), 1e-6);
    CHECK_NEAR(hi[1], -2.7309 + 2.4928 + 1.61, 1e-9);
    sd_free(s);
    cad_free(&m);
}

/* two faces that touch along an arc given twice by different points (the circles differ by
   4e-7): the kernel counted the notch under the arc as solid (+6 %), so the correct mesh was
   refused; the union's volume is the sum of the parts' (OCCT: 57748.614) */
#define NOTCH_A                                                                                                   \
    "Extrude(Sketch(XY, Face(Loop(Line(-10,-3.51568, -10,-80.6), Line(-10,-80.6, 10,-80.6), "                        \
    "Line(10,-80.6, 10,-3.51568), Arc(10,-3.51568, 0,-10.6, -10,-3.51568)))), -35, \"new\")\n"
#define NOTCH_B(op)                                                                                               \
    "Extrude(Sketch(XY, Face(Loop(Arc(-3.2500014,10.0894743, 0,-10.6, 3.2500014,10.0894743), "                      \
    "Line(3.2500014,10.0894743, 3.25,16.6), Line(3.25,16.6, -3.25,16.6), Line(-3.25,16.6, "                         \
    "-3.2500014,10.0894743)), Loop(Circle(0,0, 7.6)))), -35, \"" op "\")\n"

static double mc_volume(const char *src) {
    cad_model m;
    mc_run(src, &m);
    sd_solid *s = sd_build(&m);
    REQUIRE(s != NULL);
    double v = sd_volume(s);
    sd_free(s);
    cad_free(&m);
    return v;
}

TEST(mesh_check_touching_faces_along_a_near_coincident_arc) {
    double va = mc_volume(NOTCH_A), vb = mc_volume(NOTCH_B("new")), v = mc_volume(NOTCH_A NOTCH_B("join"));
    CHECK_REL(v, va + vb, 1e-7);
    CHECK_REL(v, 57748.614, 1e-7);
    mc_mesh_ok("notch join", NOTCH_A NOTCH_B("join"), 0, 1e-5, 2);
}

/* ---- random valid programs: every mesh matches the exact volume, or is refused ---- */

typedef struct {
    cad_model *m;
    ut_rng *r;
} mc_gen;

static double mc_u(mc_gen *g, double a, double b) { return a + (b - a) * ut_rng_uniform(g->r); }
/* 4-decimal numbers, as printed programs have */
static double mc_q(double x) { return round(x * 1e4) / 1e4; }

static void mc_line(mc_gen *g, double x1, double y1, double x2, double y2) {
    double p[4] = {x1, y1, x2, y2};
    cad_add_curve(g->m, CAD_LINE, p, 1);
}

/* rounded rectangle [x0,x1] x [y0,y1] with corner radius rr (0: sharp): lines and quarter arcs */
static int mc_rounded(mc_gen *g, double x0, double y0, double x1, double y1, double rr) {
    int first = g->m->ncurves;
    if (rr <= 0) {
        mc_line(g, x0, y0, x1, y0), mc_line(g, x1, y0, x1, y1), mc_line(g, x1, y1, x0, y1), mc_line(g, x0, y1, x0, y0);
        return cad_add_loop(g->m, first, 4);
    }
    double c = 1 - sqrt(0.5); /* the arc's middle point, inset from the corner */
    double corner[4][2] = {{x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
    double sx[4] = {-1, -1, 1, 1}, sy[4] = {1, -1, -1, 1};
    double pts[4][6];
    for (int k = 0; k < 4; k++) { /* arc k around corner k: from the edge before to the edge after */
        double cx = corner[k][0], cy = corner[k][1];
        double a[2] = {k % 2 == 0 ? cx + sx[k] * rr : cx, k % 2 == 0 ? cy : cy + sy[k] * rr};
        double b[2] = {k % 2 == 0 ? cx : cx + sx[k] * rr, k % 2 == 0 ? cy + sy[k] * rr : cy};
        double mid[2] = {cx + sx[k] * rr * c, cy + sy[k] * rr * c};
        double p[6] = {mc_q(a[0]), mc_q(a[1]), mc_q(mid[0]), mc_q(mid[1]), mc_q(b[0]), mc_q(b[1])};
        memcpy(pts[k], p, sizeof p);
    }
    for (int k = 0; k < 4; k++) {
        cad_add_curve(g->m, CAD_ARC, pts[k], 1);
        const double *e = pts[k] + 4, *s = pts[(k + 1) % 4];
        mc_line(g, e[0], e[1], s[0], s[1]);
    }
    return cad_add_loop(g->m, first, 8);
}

static int mc_ngon(mc_gen *g, double cx, double cy, double r, int n, double ph) {
    int first = g->m->ncurves;
    for (int k = 0; k < n; k++) {
        double a0 = ph + 2 * M_PI * k / n, a1 = ph + 2 * M_PI * (k + 1) / n;
        mc_line(g, mc_q(cx + r * cos(a0)), mc_q(cy + r * sin(a0)), mc_q(cx + r * cos(a1)), mc_q(cy + r * sin(a1)));
    }
    return cad_add_loop(g->m, first, n);
}

static int mc_circle(mc_gen *g, double cx, double cy, double r) {
    double p[3] = {mc_q(cx), mc_q(cy), mc_q(r)};
    return cad_add_loop(g->m, cad_add_curve(g->m, CAD_CIRCLE, p, 1), 1);
}

/* one face: an outer loop of size about s around (cx, cy) and up to 3 holes inside it */
static int mc_face(mc_gen *g, double cx, double cy, double s) {
    int kind = (int)mc_u(g, 0, 3), first;
    double hw = s * mc_u(g, 0.3, 0.5), hh = s * mc_u(g, 0.3, 0.5), inner;
    if (kind == 0) {
        first = mc_rounded(g, mc_q(cx - hw), mc_q(cy - hh), mc_q(cx + hw), mc_q(cy + hh), mc_u(g, 0, 1) < 0.3 ? 0 : fmin(hw, hh) * mc_u(g, 0.1, 0.9));
        inner = fmin(hw, hh);
    } else if (kind == 1) {
        first = mc_ngon(g, cx, cy, hw, 3 + (int)mc_u(g, 0, 6), mc_u(g, 0, 1));
        inner = hw * 0.5;
    } else {
        first = mc_circle(g, cx, cy, hw);
        inner = hw * 0.7;
    }
    int nh = (int)mc_u(g, 0, 4);
    for (int h = 0; h < nh; h++) {
        double a = 2 * M_PI * h / (nh ? nh : 1), d = nh > 1 ? 0.5 * inner : 0, r = inner * mc_u(g, 0.05, 0.3);
        if (mc_u(g, 0, 1) < 0.7) mc_circle(g, cx + d * cos(a), cy + d * sin(a), r);
        else mc_rounded(g, mc_q(cx + d * cos(a) - r), mc_q(cy + d * sin(a) - r), mc_q(cx + d * cos(a) + r), mc_q(cy + d * sin(a) + r), 0);
    }
    return cad_add_face(g->m, first, 1 + nh);
}

/* a random model: 1-3 extrudes on XY (parallel) or also on XZ, YZ and tilted planes (mixed) */
static void mc_model(mc_gen *g, int mixed) {
    int ne = 1 + (int)mc_u(g, 0, 3);
    double s = pow(10, mc_u(g, -1, 2)); /* part scale 0.1 .. 100 mm */
    for (int e = 0; e < ne; e++) {
        cad_plane pl;
        int which = mixed && e > 0 ? (int)mc_u(g, 0, 4) : 0;
        if (which == 0) cad_plane_xy(&pl);
        else if (which == 1) cad_plane_xz(&pl);
        else if (which == 2) cad_plane_yz(&pl);
        else {
            double o[3] = {0, 0, 0}, x[3], n[3];
            for (int k = 0; k < 3; k++) x[k] = ut_rng_normal(g->r), n[k] = ut_rng_normal(g->r);
            if (cad_plane_make(&pl, o, x, n) < 0) cad_plane_xy(&pl);
        }
        if (which == 0) pl.origin[2] = mc_q(s * mc_u(g, -0.3, 0.3));
        int nf = 1 + (int)mc_u(g, 0, 2), f0 = -1;
        for (int f = 0; f < nf; f++) {
            int fi = mc_face(g, s * mc_u(g, -0.4, 0.4), s * mc_u(g, -0.4, 0.4), s * mc_u(g, 0.4, 1));
            if (f0 < 0) f0 = fi;
        }
        int sk = cad_add_sketch(g->m, &pl, f0, nf, 1);
        cad_op op = e == 0 ? CAD_NEW : (cad_op)(1 + (int)mc_u(g, 0, 3));
        int kind = (int)mc_u(g, 0, 3);
        cad_add_extrude(g->m, sk, (cad_extent_kind)kind, mc_q(s * mc_u(g, 0.1, 0.8)) * (kind == 0 && mc_u(g, 0, 1) < 0.3 ? -1 : 1),
                        mc_q(s * mc_u(g, 0.1, 0.5)), op, 1);
    }
}

static void mc_random(int mixed, int count, uint64_t seed) {
    ut_rng r;
    ut_rng_seed(&r, seed);
    int valid = 0, meshed = 0, empty = 0, refined = 0;
    double worst = 0, slowest = 0;
    for (int it = 0; it < count; it++) {
        cad_model m;
        cad_init(&m);
        mc_gen g = {&m, &r};
        mc_model(&g, mixed);
        if (va_validate(&m) != 0) { /* only valid programs count */
            ut_clear_error();
            cad_free(&m);
            continue;
        }
        valid++;
        ms_mesh ms;
        ms_stats st;
        double t0 = ut_now();
        int rc = ms_from_model_stats(&m, 0, &ms, &st);
        double dt = ut_now() - t0, exact = st.exact_volume; /* sd_volume (the repro tests call it themselves) */
        if (dt > slowest) slowest = dt;
        if (!(exact > 0)) { /* an empty result is refused as empty */
            CHECK_MSG(rc < 0 && strstr(ut_error(), "empty"), "model %d: empty solid, rc %d", it, rc);
            empty++;
        } else {
            CHECK_MSG(rc == 0, "model %d (%s): %s", it, mixed ? "mixed" : "parallel", ut_error());
            if (rc == 0) {
                meshed++;
                refined += st.refinements > 0;
                double err = fabs(ms_volume(&ms) - exact) / exact;
                if (err > worst) worst = err;
                CHECK_MSG(err <= MS_VOL_REL, "model %d: mesh %.9g exact %.9g (rel %.2e)", it, ms_volume(&ms), exact, err);
                CHECK_MSG(ms_check_closed(&ms) == 0, "model %d: %s", it, ut_error());
            }
        }
        if (rc == 0) ms_free(&ms);
        ut_clear_error();
        cad_free(&m);
    }
    fprintf(stderr, "    %d random %s programs: %d valid, %d meshed (%d refined), %d empty; worst |mesh - exact| %.2e; slowest %.2f s\n",
            count, mixed ? "mixed" : "parallel", valid, meshed, refined, empty, worst, slowest);
    CHECK(meshed >= count / 3);
}

TEST(mesh_check_random_parallel_programs) { mc_random(0, 300, 1); }
TEST(mesh_check_random_mixed_programs) { mc_random(1, 12, 2); }

/* ---- the commands: --tol out of the part's range is a usage error, the file is not written ---- */

/* runs one of the meshing commands on prog with --tol tol writing out; exit code, output in *o */
static int mc_cmd(int which, const char *prog, const char *tol, const char *out, char **o) {
    char cmd[2048];
    if (which == 0) snprintf(cmd, sizeof cmd, "build/recad run %s --tol %s -o %s 2>&1", prog, tol, out);
    else if (which == 1) snprintf(cmd, sizeof cmd, "build/recad render %s --tol %s -o %s.png 2>&1", prog, tol, out);
    else snprintf(cmd, sizeof cmd, "build/recad export %s --tol %s --stl %s 2>&1", prog, tol, out);
    return tf_run_cmd(cmd, o);
}

TEST(mesh_check_cli_tol_against_the_part) {
    char path[512], stl[512], png[600], cmd[2048], *out = NULL;
    snprintf(path, sizeof path, "%s/plate.lua", tf_tmpdir());
    snprintf(stl, sizeof stl, "%s/plate.stl", tf_tmpdir());
    snprintf(png, sizeof png, "%s.png", stl);
    REQUIRE(ut_write_atomic(path, PLATE, strlen(PLATE)) == 0);
    for (int c = 0; c < 3; c++) {
        CHECK_MSG(mc_cmd(c, path, "1e-8", stl, &out) == 2, "command %d: %s", c, out);
        CHECK_MSG(out && strstr(out, "option --tol") && strstr(out, "below 1e-06 of the part's size"), "command %d: %s", c, out);
        free(out);
        CHECK_MSG(mc_cmd(c, path, "500", stl, &out) == 2, "command %d: %s", c, out);
        CHECK_MSG(out && strstr(out, "exceeds the part's size"), "command %d: %s", c, out);
        free(out);
        CHECK(access(stl, F_OK) != 0 && access(png, F_OK) != 0);
    }
    snprintf(cmd, sizeof cmd, "build/recad run %s --tol 0.001 -o %s --json", path, stl);
    CHECK(tf_run_cmd(cmd, &out) == 0);
    CHECK(out && strstr(out, "\"mesh_volume\":13721.41"));
    free(out);
}
