/* Tests of mesh.c: watertight meshes of hand-computable solids, their volumes against the
 * analytic values, STL / OBJ export, and the chord tolerance. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "geom/mesh.h"
#include "tf.h"
#include "base/util.h"

#define PI 3.14159265358979323846

/* ---- model builders (curves are added in the order given, loops contiguously) ---- */

static void line(cad_model *m, double x1, double y1, double x2, double y2) {
    double p[4] = {x1, y1, x2, y2};
    cad_add_curve(m, CAD_LINE, p, 0);
}

/* rectangle loop; rev = 1 lists it clockwise with every line reversed */
static int rect(cad_model *m, double x0, double y0, double x1, double y1, int rev) {
    int first = m->ncurves;
    if (!rev) {
        line(m, x0, y0, x1, y0);
        line(m, x1, y0, x1, y1);
        line(m, x1, y1, x0, y1);
        line(m, x0, y1, x0, y0);
    } else { /* clockwise chain, each curve stored end -> start */
        line(m, x0, y1, x0, y0);
        line(m, x1, y1, x0, y1);
        line(m, x1, y0, x1, y1);
        line(m, x0, y0, x1, y0);
    }
    return cad_add_loop(m, first, 4);
}

static int circle(cad_model *m, double cx, double cy, double r) {
    double p[3] = {cx, cy, r};
    return cad_add_loop(m, cad_add_curve(m, CAD_CIRCLE, p, 0), 1);
}

/* one face from the loops [first, first+n) and a sketch with it on plane pl, extruded */
static void extrude(cad_model *m, const cad_plane *pl, int first_loop, int nloops, cad_extent_kind kind, double d1, double d2, cad_op op) {
    int f = cad_add_face(m, first_loop, nloops);
    int s = cad_add_sketch(m, pl, f, 1, 0);
    cad_add_extrude(m, s, kind, d1, d2, op, 0);
}

static int cmp_angle(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static cad_plane XY(void) {
    cad_plane p;
    cad_plane_xy(&p);
    return p;
}

/* meshes m at the default tolerance, checks watertightness, returns the volume */
static double mesh_volume(const cad_model *m, ms_mesh *out) {
    ms_mesh tmp, *ms = out ? out : &tmp;
    REQUIRE_MSG(ms_from_model(m, MS_DEFAULT_TOL, ms) == 0, "ms_from_model: %s", ut_error());
    CHECK_MSG(ms_check_watertight(ms) == 0, "not watertight: %s", ut_error());
    double v = ms_volume(ms);
    if (!out) ms_free(ms);
    return v;
}

static void report(const char *name, double v, double exact) {
    fprintf(stderr, "    %-22s volume %.9g exact %.9g rel.err %.2e\n", name, v, exact, (v - exact) / exact);
}

TEST(mesh_box_exact_and_watertight) {
    cad_model m;
    cad_init(&m);
    cad_plane pl = XY();
    extrude(&m, &pl, rect(&m, 0, 0, 10, 20, 1), 1, CAD_EXT_ONE, 30, 0, CAD_NEW);
    ms_mesh ms;
    double v = mesh_volume(&m, &ms);
    report("box", v, 6000);
    CHECK_REL(v, 6000, 1e-12);
    CHECK_REL(ms_area(&ms), 2 * (200 + 300 + 600), 1e-12);
    double lo[3], hi[3];
    REQUIRE(ms_bbox(&ms, lo, hi) == 0);
    CHECK_NEAR(lo[0], 0, 1e-12);
    CHECK_NEAR(hi[1], 20, 1e-12);
    CHECK_NEAR(hi[2], 30, 1e-12);
    ms_free(&ms);
    /* negative one-sided extent goes below the plane */
    m.extrudes[0].d1 = -30;
    REQUIRE(ms_from_model(&m, 0, &ms) == 0);
    CHECK_REL(ms_volume(&ms), 6000, 1e-12);
    REQUIRE(ms_bbox(&ms, lo, hi) == 0);
    CHECK_NEAR(lo[2], -30, 1e-12);
    CHECK_NEAR(hi[2], 0, 1e-12);
    ms_free(&ms);
    cad_free(&m);
}

TEST(mesh_cylinder_volume) {
    cad_model m;
    cad_init(&m);
    cad_plane pl = XY();
    extrude(&m, &pl, circle(&m, 3, -2, 5), 1, CAD_EXT_ONE, 10, 0, CAD_NEW);
    double exact = PI * 25 * 10, v = mesh_volume(&m, NULL);
    report("cylinder", v, exact);
    CHECK_REL(v, exact, 1e-9); /* area-preserving chords */
    cad_free(&m);
}

TEST(mesh_plate_with_holes) {
    cad_model m;
    cad_init(&m);
    cad_plane pl = XY();
    int outer = rect(&m, 0, 0, 60, 40, 0);
    circle(&m, 8, 8, 3);
    circle(&m, 52, 8, 3);
    circle(&m, 8, 32, 3);
    circle(&m, 52, 32, 3);
    extrude(&m, &pl, outer, 5, CAD_EXT_ONE, 6, 0, CAD_NEW);
    double exact = 6 * (2400 - 4 * PI * 9), v = mesh_volume(&m, NULL);
    report("plate with 4 holes", v, exact);
    CHECK_REL(v, exact, 1e-4);
    cad_free(&m);
}

TEST(mesh_relative_tolerance_for_pictures) {
    cad_model m;
    cad_init(&m);
    cad_plane pl = XY();
    int outer = rect(&m, 0, 0, 60, 40, 0);
    circle(&m, 8, 8, 1);
    circle(&m, 52, 32, 1);
    extrude(&m, &pl, outer, 3, CAD_EXT_ONE, 6, 0, CAD_NEW);
    ms_mesh fine, coarse;
    REQUIRE(ms_from_model(&m, MS_DEFAULT_TOL, &fine) == 0);
    REQUIRE_MSG(ms_from_model_rel(&m, 2e-3, &coarse) == 0, "%s", ut_error());
    /* small holes are no longer chorded by their radius: far fewer vertices, the same volume */
    CHECK_MSG(coarse.nv * 4 < fine.nv, "%d vs %d vertices", coarse.nv, fine.nv);
    CHECK_REL(ms_volume(&coarse), 6 * (2400 - 2 * PI), 1e-4);
    ms_free(&fine);
    ms_free(&coarse);
    CHECK(ms_from_model_rel(&m, 0, &coarse) == MS_BAD_TOL && strstr(ut_error(), "relative"));
    CHECK(ms_from_model_rel(&m, 2, &coarse) == MS_BAD_TOL);
    cad_free(&m);
}

TEST(mesh_l_bracket_join) {
    cad_model m;
    cad_init(&m);
    cad_plane pl = XY();
    extrude(&m, &pl, rect(&m, 0, 0, 40, 5, 0), 1, CAD_EXT_ONE, 20, 0, CAD_NEW);
    extrude(&m, &pl, rect(&m, 0, 0, 5, 30, 1), 1, CAD_EXT_ONE, 20, 0, CAD_JOIN); /* overlaps the first */
    double exact = 20 * (40 * 5 + 5 * 25), v = mesh_volume(&m, NULL);
    report("L-bracket (join)", v, exact);
    CHECK_REL(v, exact, 1e-12);
    cad_free(&m);
}

TEST(mesh_pocket_cut) {
    cad_model m;
    cad_init(&m);
    cad_plane pl = XY();
    extrude(&m, &pl, rect(&m, 0, 0, 50, 30, 0), 1, CAD_EXT_ONE, 10, 0, CAD_NEW);
    cad_plane top = pl;
    top.origin[2] = 10;
    extrude(&m, &top, rect(&m, 10, 10, 40, 20, 0), 1, CAD_EXT_ONE, -4, 0, CAD_CUT); /* 4 deep */
    circle(&m, 25, 15, 3);                                                          /* through hole */
    extrude(&m, &pl, m.nloops - 1, 1, CAD_EXT_SYM, 40, 0, CAD_CUT);
    double exact = 50 * 30 * 10 - 30 * 10 * 4 - PI * 9 * 6, v = mesh_volume(&m, NULL);
    report("pocket + hole (cut)", v, exact);
    CHECK_REL(v, exact, 1e-4);
    cad_free(&m);
}

TEST(mesh_intersect) {
    cad_model m;
    cad_init(&m);
    cad_plane pl = XY();
    extrude(&m, &pl, rect(&m, -10, -10, 10, 10, 0), 1, CAD_EXT_ONE, 8, 0, CAD_NEW);
    extrude(&m, &pl, circle(&m, 10, 0, 10), 1, CAD_EXT_TWO, 5, 5, CAD_INTERSECT);
    /* square [-10,10]^2 cut by the circle centred on its right edge: a half disc; height [0,5] */
    double exact = 0.5 * PI * 100 * 5, v = mesh_volume(&m, NULL);
    report("box ^ cylinder", v, exact);
    CHECK_REL(v, exact, 1e-3);
    cad_free(&m);
}

TEST(mesh_symmetric_and_two_sided) {
    cad_model m;
    cad_init(&m);
    cad_plane pl = XY();
    extrude(&m, &pl, rect(&m, 0, 0, 10, 10, 0), 1, CAD_EXT_SYM, 8, 0, CAD_NEW);
    extrude(&m, &pl, rect(&m, 20, 0, 30, 10, 0), 1, CAD_EXT_TWO, 3, 7, CAD_JOIN);
    ms_mesh ms;
    double v = mesh_volume(&m, &ms);
    report("symmetric + two-sided", v, 800 + 1000);
    CHECK_REL(v, 1800, 1e-12);
    double lo[3], hi[3];
    ms_bbox(&ms, lo, hi);
    CHECK_NEAR(lo[2], -7, 1e-12);
    CHECK_NEAR(hi[2], 4, 1e-12);
    ms_free(&ms);
    cad_free(&m);
}

TEST(mesh_arc_over_180_degrees) {
    /* three quarters of a disc: arc from (r,0) counter-clockwise through (-r,0) to (0,-r),
       closed by two radii; listed with the arc reversed */
    cad_model m;
    cad_init(&m);
    cad_plane pl = XY();
    double r = 7, s = sqrt(0.5);
    int first = m.ncurves;
    line(&m, 0, 0, r, 0);
    double arc[6] = {0, -r, -r * s, r * s, r, 0}; /* end -> mid -> start: clockwise storage */
    cad_add_curve(&m, CAD_ARC, arc, 0);
    line(&m, 0, -r, 0, 0);
    extrude(&m, &pl, cad_add_loop(&m, first, 3), 1, CAD_EXT_ONE, 4, 0, CAD_NEW);
    double exact = 0.75 * PI * r * r * 4, v = mesh_volume(&m, NULL);
    report("270-degree arc", v, exact);
    CHECK_REL(v, exact, 1e-3);
    cad_free(&m);
}

TEST(mesh_tilted_plane) {
    cad_model m;
    cad_init(&m);
    cad_plane pl;
    REQUIRE(cad_plane_make(&pl, (double[3]){5, -3, 2}, (double[3]){1, 0, -1}, (double[3]){1, 1, 1}) == 0);
    int outer = rect(&m, 0, 0, 20, 10, 0);
    circle(&m, 10, 5, 2);
    extrude(&m, &pl, outer, 2, CAD_EXT_ONE, 5, 0, CAD_NEW);
    extrude(&m, &pl, rect(&m, 0, 0, 4, 10, 0), 1, CAD_EXT_ONE, -3, 0, CAD_JOIN);
    double exact = 5 * (200 - PI * 4) + 3 * 40, v = mesh_volume(&m, NULL);
    report("tilted plane", v, exact);
    CHECK_REL(v, exact, 1e-3);
    cad_free(&m);
}

TEST(mesh_parallel_opposite_normals) {
    /* a sketch whose normal is opposite to the first one's: still the exact (cell) mesher */
    cad_model m;
    cad_init(&m);
    cad_plane pl = XY(), down;
    REQUIRE(cad_plane_make(&down, (double[3]){0, 0, 10}, (double[3]){1, 0, 0}, (double[3]){0, 0, -1}) == 0);
    extrude(&m, &pl, rect(&m, 0, 0, 10, 10, 0), 1, CAD_EXT_ONE, 10, 0, CAD_NEW);
    /* down's y axis is world -y: this rectangle is world x, y in [2, 8], cut z in [7, 10] */
    extrude(&m, &down, rect(&m, 2, -8, 8, -2, 0), 1, CAD_EXT_ONE, 3, 0, CAD_CUT);
    double v = mesh_volume(&m, NULL);
    CHECK_REL(v, 1000 - 36 * 3, 1e-12);
    cad_free(&m);
}

TEST(mesh_steinmetz_mixed_directions) {
    cad_model m;
    cad_init(&m);
    double r = 10;
    cad_plane xy = XY(), xz;
    cad_plane_xz(&xz);
    extrude(&m, &xy, circle(&m, 0, 0, r), 1, CAD_EXT_SYM, 3 * r, 0, CAD_NEW);
    extrude(&m, &xz, circle(&m, 0, 0, r), 1, CAD_EXT_SYM, 3 * r, 0, CAD_INTERSECT);
    double t0 = ut_now();
    double exact = 16 * r * r * r / 3, v = mesh_volume(&m, NULL);
    report("Steinmetz", v, exact);
    fprintf(stderr, "    (grid mesher: %.2f s)\n", ut_now() - t0);
    CHECK_REL(v, exact, 5e-3);
    /* a coarser tolerance also coarsens the grid: faster, still within 1% */
    double tol = 4 * ms_default_tol(&m);
    ms_mesh coarse;
    t0 = ut_now();
    REQUIRE(ms_from_model(&m, tol, &coarse) == 0);
    CHECK(ms_check_watertight(&coarse) == 0);
    report("Steinmetz, 4x tol", ms_volume(&coarse), exact);
    fprintf(stderr, "    (grid mesher at tol %.3g mm: %.2f s, %d triangles)\n", tol, ut_now() - t0, coarse.nt);
    CHECK_REL(ms_volume(&coarse), exact, 1e-2);
    ms_free(&coarse);
    cad_free(&m);
}

TEST(mesh_mixed_directions_boxes_exact) {
    /* a plate on XY and a rib sketched on YZ: axis-aligned faces fall on grid feature planes */
    cad_model m;
    cad_init(&m);
    cad_plane xy = XY(), yz;
    cad_plane_yz(&yz);
    extrude(&m, &xy, rect(&m, 0, 0, 40, 30, 0), 1, CAD_EXT_ONE, 4, 0, CAD_NEW);
    extrude(&m, &yz, rect(&m, 0, 4, 30, 20, 0), 1, CAD_EXT_TWO, 12, -10, CAD_JOIN); /* x in [10,12] */
    ms_mesh ms;
    double exact = 40 * 30 * 4 + 2 * 30 * 16, v = mesh_volume(&m, &ms);
    report("plate + rib (mixed)", v, exact);
    CHECK_REL(v, exact, 1e-4);
    ms_free(&ms);
    cad_free(&m);
}

TEST(mesh_stl_and_obj_parse_back) {
    cad_model m;
    cad_init(&m);
    cad_plane pl = XY();
    int outer = rect(&m, 0, 0, 30, 20, 0);
    circle(&m, 15, 10, 4);
    extrude(&m, &pl, outer, 2, CAD_EXT_ONE, 5, 0, CAD_NEW);
    ms_mesh ms;
    REQUIRE(ms_from_model(&m, 0, &ms) == 0);
    char stl[512], obj[512];
    snprintf(stl, sizeof stl, "%s/part.stl", tf_tmpdir());
    snprintf(obj, sizeof obj, "%s/part.obj", tf_tmpdir());
    REQUIRE(ms_write_stl(&ms, stl) == 0);
    REQUIRE(ms_write_obj(&ms, obj) == 0);
    size_t len;
    unsigned char *b = (unsigned char *)ut_read_file(stl, &len);
    REQUIRE(b);
    uint32_t n = b[80] | b[81] << 8 | b[82] << 16 | (uint32_t)b[83] << 24;
    CHECK(n == (uint32_t)ms.nt);
    CHECK(len == 84 + 50 * (size_t)ms.nt);
    CHECK(strncmp((char *)b, "solid", 5) != 0); /* binary readers must not mistake it for ASCII */
    /* volume from the STL's float vertices */
    double vol = 0;
    for (uint32_t i = 0; i < n; i++) {
        float f[9];
        memcpy(f, b + 84 + 50 * i + 12, 36);
        vol += (f[0] * (f[4] * f[8] - f[5] * f[7]) - f[1] * (f[3] * f[8] - f[5] * f[6]) + f[2] * (f[3] * f[7] - f[4] * f[6])) / 6.0;
    }
    CHECK_REL(vol, ms_volume(&ms), 1e-5);
    free(b);
    char *t = ut_read_file(obj, &len);
    REQUIRE(t);
    int nv = 0, nf = 0, bad = 0;
    for (char *s = strtok(t, "\n"); s; s = strtok(NULL, "\n")) {
        int a, c, d;
        double x, y, z;
        if (s[0] == 'v' && sscanf(s, "v %lf %lf %lf", &x, &y, &z) == 3) nv++;
        else if (s[0] == 'f' && sscanf(s, "f %d %d %d", &a, &c, &d) == 3) {
            nf++;
            bad += a < 1 || a > ms.nv || c < 1 || c > ms.nv || d < 1 || d > ms.nv;
        }
    }
    CHECK(nv == ms.nv);
    CHECK(nf == ms.nt);
    CHECK(bad == 0);
    free(t);
    /* unwritable path: clean error */
    CHECK(ms_write_stl(&ms, "/nonexistent-dir/x.stl") == -1);
    ms_free(&ms);
    cad_free(&m);
}

/* largest distance between the rim polygon at z = 0 and the true circle of radius r around
   (cx, 0), over the rim vertices with x in [x0, x1] (sorted by angle; closed: wraps around) */
static double rim_deviation(const ms_mesh *ms, double cx, double r, double x0, double x1, int closed) {
    double *ang = malloc((size_t)ms->nv * 2 * sizeof(double));
    int n = 0;
    for (int i = 0; i < ms->nv; i++) {
        const double *p = ms->v + 3 * i;
        double rho = hypot(p[0] - cx, p[1]);
        if (fabs(p[2]) < 1e-12 && rho > 0.5 * r && rho < 1.5 * r && p[0] >= x0 && p[0] <= x1 && (closed || p[1] > 1e-9)) {
            ang[2 * n] = atan2(p[1], p[0] - cx);
            ang[2 * n + 1] = rho;
            n++;
        }
    }
    qsort(ang, (size_t)n, 2 * sizeof(double), cmp_angle);
    double dev = 0;
    for (int i = 0; i < (closed ? n : n - 1); i++) {
        int j = (i + 1) % n;
        double ax = ang[2 * i + 1] * cos(ang[2 * i]), ay = ang[2 * i + 1] * sin(ang[2 * i]);
        double bx = ang[2 * j + 1] * cos(ang[2 * j]), by = ang[2 * j + 1] * sin(ang[2 * j]);
        for (int k = 0; k <= 8; k++) { /* points along the chord */
            double t = k / 8.0, rho = hypot(ax + t * (bx - ax), ay + t * (by - ay));
            if (fabs(rho - r) > dev) dev = fabs(rho - r);
        }
    }
    free(ang);
    return dev;
}

TEST(mesh_chord_tolerance_monotonic) {
    cad_model m;
    cad_init(&m);
    cad_plane pl = XY();
    extrude(&m, &pl, circle(&m, 0, 0, 10), 1, CAD_EXT_ONE, 5, 0, CAD_NEW);
    /* and an open arc: a half disc (semicircle arc + diameter), apart from it */
    int first = m.ncurves;
    double arc[6] = {50, 0, 40, 10, 30, 0};
    cad_add_curve(&m, CAD_ARC, arc, 0);
    line(&m, 30, 0, 50, 0);
    extrude(&m, &pl, cad_add_loop(&m, first, 2), 1, CAD_EXT_ONE, 5, 0, CAD_JOIN);
    double exact = PI * 100 * 5 + 0.5 * PI * 100 * 5, tols[] = {1.0, 0.3, 0.1, 0.03, 0.01, 0.001};
    int prev_nt = 0;
    double prev_dev = INFINITY;
    for (int i = 0; i < 6; i++) {
        ms_mesh ms;
        REQUIRE(ms_from_model(&m, tols[i], &ms) == 0);
        CHECK(ms_check_watertight(&ms) == 0);
        double err = fabs(ms_volume(&ms) - exact) / exact, dev = fmax(rim_deviation(&ms, 0, 10, -20, 20, 1), rim_deviation(&ms, 40, 10, 25, 55, 0));
        fprintf(stderr, "    tol %-6g triangles %6d max deviation %.3e rel.volume err %.2e\n", tols[i], ms.nt, dev, err);
        CHECK(ms.nt > prev_nt);
        CHECK(dev < prev_dev);
        CHECK(dev <= tols[i]);     /* every chord point within tol of the true circle */
        CHECK(err < 1e-12); /* area-preserving chords: no volume bias */
        prev_nt = ms.nt;
        prev_dev = dev;
        ms_free(&ms);
    }
    cad_free(&m);
}

TEST(mesh_bad_input_errors) {
    cad_model m;
    cad_init(&m);
    ms_mesh ms;
    CHECK(ms_from_model(&m, 0, &ms) == -1); /* no extrude */
    cad_plane pl = XY();
    extrude(&m, &pl, rect(&m, 0, 0, 1, 1, 0), 1, CAD_EXT_ONE, 1, 0, CAD_NEW);
    m.extrudes[0].sketch = 7;
    CHECK(ms_from_model(&m, 0, &ms) == -1);
    CHECK(strstr(ut_error(), "sketch") != NULL);
    m.extrudes[0].sketch = 0;
    m.loops[0].n = 99;
    CHECK(ms_from_model(&m, 0, &ms) == -1);
    m.loops[0].n = 4;
    m.curves[1].p[2] = NAN;
    CHECK(ms_from_model(&m, 0, &ms) == -1);
    m.curves[1].p[2] = 1;
    m.extrudes[0].d1 = 0; /* zero extent: empty solid */
    CHECK(ms_from_model(&m, 0, &ms) == -1);
    m.extrudes[0].d1 = 1;
    REQUIRE(ms_from_model(&m, 0, &ms) == 0);
    CHECK_REL(ms_volume(&ms), 1, 1e-12);
    ms_free(&ms);
    /* an open mesh is reported */
    ms_mesh open = {0};
    int a = ms_add_vertex(&open, 0, 0, 0), b = ms_add_vertex(&open, 1, 0, 0), c = ms_add_vertex(&open, 0, 1, 0);
    ms_add_tri(&open, a, b, c);
    CHECK(ms_check_watertight(&open) == -1);
    ms_free(&open);
    cad_free(&m);
}

/* ---- random models: watertight, and the volume agrees with point sampling ---- */

#include "geom/mesh_int.h"

/* 1 if x is inside the CSG of the model's chord-approximated prisms (independent of the mesher) */
static int sample_inside(const cad_model *m, const ms_profiles *p, const double x[3]) {
    int body = 0;
    for (int e = 0; e < m->nextrudes; e++) {
        const cad_extrude *ex = &m->extrudes[e];
        double l[3], w0, w1;
        cad_plane_to_local(&m->sketches[ex->sketch].plane, x, l);
        cad_extrude_slab(ex, &w0, &w1);
        int in = l[2] >= w0 && l[2] <= w1 && ms_sketch_contains(p, ex->sketch, l[0], l[1]);
        if (e == 0) body = in;
        else if (ex->op == CAD_CUT) body = body && !in;
        else if (ex->op == CAD_INTERSECT) body = body && in;
        else body = body || in;
    }
    return body;
}

static void random_model(cad_model *m, ut_rng *r, int mixed) {
    int ne = 1 + (int)(ut_rng_uniform(r) * 4);
    for (int e = 0; e < ne; e++) {
        cad_plane pl = XY();
        if (mixed && e > 0 && ut_rng_uniform(r) < 0.5) cad_plane_xz(&pl);
        pl.origin[2] = (mixed ? 0 : floor(ut_rng_uniform(r) * 4));
        int nl = 1 + (int)(ut_rng_uniform(r) * 3), first = m->nloops;
        for (int l = 0; l < nl; l++) {
            /* coordinates on a coarse grid: many shared, collinear and tangent edges */
            double x0 = floor(ut_rng_uniform(r) * 8), y0 = floor(ut_rng_uniform(r) * 8);
            double sz = 1 + floor(ut_rng_uniform(r) * 6);
            if (ut_rng_uniform(r) < 0.5) rect(m, x0, y0, x0 + sz, y0 + sz * (0.5 + ut_rng_uniform(r) < 1 ? 1 : 2), l & 1);
            else circle(m, x0, y0, 0.5 * sz);
        }
        cad_op op = e == 0 ? CAD_NEW : (cad_op)(1 + (int)(ut_rng_uniform(r) * 3));
        extrude(m, &pl, first, 1, CAD_EXT_ONE, 1 + floor(ut_rng_uniform(r) * 5), 0, op);
        /* the other loops become separate faces of the same sketch (union) */
        m->faces[m->nfaces - 1].n = 1;
        for (int l = 1; l < nl; l++) cad_add_face(m, first + l, 1);
        m->sketches[m->nsketches - 1].n = nl;
    }
}

static void random_models(int mixed, int count) {
    ut_rng r;
    ut_rng_seed(&r, mixed ? 7 : 3);
    double worst = 0;
    int pinched = 0; /* meshes closed but not 2-manifold */
    for (int it = 0; it < count; it++) {
        cad_model m;
        cad_init(&m);
        random_model(&m, &r, mixed);
        ms_mesh ms;
        int rc = ms_from_model(&m, 0.05, &ms);
        if (rc < 0) { /* the CSG may be empty: then sampling must agree */
            CHECK_MSG(strstr(ut_error(), "empty") != NULL, "model %d: %s", it, ut_error());
            cad_free(&m);
            continue;
        }
        CHECK_MSG(ms_check_closed(&ms) == 0, "model %d: %s", it, ut_error());
        if (ms_check_watertight(&ms) < 0) pinched++;
        double lo[3], hi[3], x[3];
        ms_model_box(&m, lo, hi); /* arcs by their circles: widen for lifted chord vertices */
        for (int k = 0; k < 3; k++) {
            double pad = 0.01 * (hi[k] - lo[k]) + 0.1;
            lo[k] -= pad;
            hi[k] += pad;
        }
        ms_profiles p;
        REQUIRE(ms_polygonise(&m, 0.05, 0, &p) == 0);
        int n = 20000, hit = 0;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 3; k++) x[k] = lo[k] + (hi[k] - lo[k]) * ut_rng_uniform(&r);
            hit += sample_inside(&m, &p, x);
        }
        double box = (hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]), est = box * hit / n;
        double sigma = box * sqrt((double)hit * (n - hit) / n) / n + box / n; /* + one sample's worth */
        double v = ms_volume(&ms), z = fabs(v - est) / sigma;
        if (z > worst) worst = z;
        CHECK_MSG(z < 5, "model %d: mesh volume %g, sampled %g +- %g", it, v, est, sigma);
        ms_profiles_free(&p);
        ms_free(&ms);
        cad_free(&m);
    }
    fprintf(stderr, "    %d random %s models: worst |mesh - sampled| = %.2f sigma, %d not 2-manifold\n", count, mixed ? "mixed" : "parallel", worst, pinched);
    CHECK(pinched == 0);
}

TEST(mesh_random_parallel_models) { random_models(0, 400); }
TEST(mesh_random_mixed_models) { random_models(1, 20); }

/* ---- every real file of the shared data: watertight; volume against the file's own numbers ---- */

#include <dirent.h>

#include "data/import.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

TEST(mesh_real_files) {
    const char *sub[2] = {"deepcad", "fusion360"};
    int meshed = 0, with_props = 0;
    for (int d = 0; d < 2; d++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/data/%s", tf_shared(), sub[d]);
        DIR *dp = opendir(dir);
        if (!dp) continue;
        char *names[256];
        int n = 0;
        for (struct dirent *e; (e = readdir(dp)) && n < 256;)
            if (strstr(e->d_name, ".json")) names[n++] = ut_strdup(e->d_name);
        closedir(dp);
        qsort(names, (size_t)n, sizeof *names, cmp_str);
        for (int i = 0; i < n; i++) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            cad_model m;
            im_report rep;
            memset(&rep, 0, sizeof rep);
            if (im_load(path, NULL, &m, &rep) != 0) { /* rejected by the importer (documented there) */
                fprintf(stderr, "    %-48s import rejected: %s\n", names[i], ut_error());
                cad_free(&m);
                im_report_free(&rep);
                free(names[i]);
                continue;
            }
            ms_mesh ms;
            double t0 = ut_now();
            int rc = ms_from_model(&m, 0, &ms);
            double dt = ut_now() - t0;
            CHECK_MSG(rc == 0, "%s: %s", names[i], ut_error());
            if (rc == 0) {
                meshed++;
                CHECK_MSG(ms_check_watertight(&ms) == 0, "%s: %s", names[i], ut_error());
                double v = ms_volume(&ms), lo[3], hi[3];
                ms_bbox(&ms, lo, hi);
                double diag = sqrt((hi[0] - lo[0]) * (hi[0] - lo[0]) + (hi[1] - lo[1]) * (hi[1] - lo[1]) + (hi[2] - lo[2]) * (hi[2] - lo[2]));
                fprintf(stderr, "    %-48s %7d tris %6.1f ms  volume %.6g", names[i], ms.nt, 1e3 * dt, v);
                if (rep.has_props) {
                    with_props++;
                    fprintf(stderr, "  file %.6g  rel.err %.1e", rep.volume, (v - rep.volume) / rep.volume);
                    CHECK_REL(v, rep.volume, 5e-3);
                }
                fprintf(stderr, "\n");
                if (rep.has_bbox && rep.skipped_empty == 0 && rep.skipped_other == 0) /* a skipped feature changes the part */
                    for (int k = 0; k < 3; k++) {
                        CHECK_NEAR(lo[k], rep.bbox_lo[k], 2e-3 * diag);
                        CHECK_NEAR(hi[k], rep.bbox_hi[k], 2e-3 * diag);
                    }
                ms_free(&ms);
            }
            cad_free(&m);
            im_report_free(&rep);
            free(names[i]);
        }
    }
    fprintf(stderr, "    %d real files meshed, %d with a stored volume\n", meshed, with_props);
    CHECK(meshed >= 30);
}

/* ---- hostile models: random curves, planes and extents; never a crash, closed when accepted ---- */

TEST(mesh_garbage_models_fail_cleanly) {
    ut_rng r;
    ut_rng_seed(&r, 99);
    int ok = 0, refused = 0;
    for (int it = 0; it < 120; it++) {
        cad_model m;
        cad_init(&m);
        int ne = 1 + (int)(ut_rng_uniform(&r) * 3);
        for (int e = 0; e < ne; e++) {
            cad_plane pl;
            double o[3], x[3], n[3];
            for (int k = 0; k < 3; k++) {
                o[k] = ut_rng_normal(&r) * 5;
                x[k] = ut_rng_normal(&r);
                n[k] = it % 3 ? (k == 2) : ut_rng_normal(&r); /* a third with tilted, mixed planes */
            }
            if (cad_plane_make(&pl, o, x, n) < 0) cad_plane_xy(&pl);
            int first = m.ncurves, nc = 1 + (int)(ut_rng_uniform(&r) * 6);
            for (int c = 0; c < nc; c++) { /* random curves: open, crossing, collinear arcs, tiny, huge */
                double p[6];
                double scale = ut_rng_uniform(&r) < 0.1 ? 1e6 : ut_rng_uniform(&r) < 0.1 ? 1e-7 : 10;
                for (int k = 0; k < 6; k++) p[k] = ut_rng_normal(&r) * scale;
                if (ut_rng_uniform(&r) < 0.1) p[2] = p[0], p[3] = p[1]; /* zero length / collinear */
                cad_curve_kind kind = (cad_curve_kind)(int)(ut_rng_uniform(&r) * 3);
                cad_add_curve(&m, kind, p, 0);
            }
            int loop = cad_add_loop(&m, first, nc);
            double d = ut_rng_uniform(&r) < 0.1 ? 0 : ut_rng_normal(&r) * 10;
            extrude(&m, &pl, loop, 1, (cad_extent_kind)(int)(ut_rng_uniform(&r) * 3), d, ut_rng_normal(&r) * 5,
                    (cad_op)(int)(ut_rng_uniform(&r) * 4));
        }
        ms_mesh ms;
        if (ms_from_model(&m, 0, &ms) == 0) {
            ok++;
            CHECK_MSG(ms_check_closed(&ms) == 0, "model %d: %s", it, ut_error());
            CHECK(isfinite(ms_volume(&ms)));
            ms_free(&ms);
        } else {
            refused++;
            CHECK(ut_error()[0] != 0);
        }
        cad_free(&m);
    }
    fprintf(stderr, "    120 garbage models: %d meshed (closed), %d refused\n", ok, refused);
}

TEST(mesh_perforated_plate) {
    /* 8 x 8 holes at jittered positions (all x distinct): many slabs; the result stays exact,
       closed and small (trapezoids merged, flat regions simplified) */
    cad_model m;
    cad_init(&m);
    cad_plane pl = XY();
    double L = 200, r = 5, area = L * L;
    int outer = rect(&m, 0, 0, L, L, 0);
    ut_rng g;
    ut_rng_seed(&g, 5);
    for (int i = 0; i < 64; i++) {
        circle(&m, L * (i % 8 + 0.5 + 0.2 * ut_rng_uniform(&g)) / 8, L * (i / 8 + 0.5 + 0.2 * ut_rng_uniform(&g)) / 8, r);
        area -= PI * r * r;
    }
    extrude(&m, &pl, outer, 65, CAD_EXT_ONE, 5, 0, CAD_NEW);
    ms_mesh ms;
    double t0 = ut_now(), v = mesh_volume(&m, &ms);
    fprintf(stderr, "    64 holes: %d triangles, %.0f ms\n", ms.nt, 1e3 * (ut_now() - t0));
    report("perforated plate", v, 5 * area);
    CHECK_REL(v, 5 * area, 1e-9);
    CHECK(ms.nt < 64 * 500);
    ms_free(&ms);
    cad_free(&m);
}

TEST(mesh_blocks_touching_along_edges) {
    /* boxes meeting only along a vertical edge, and along a horizontal one (different layers):
       the touching edge gets four triangles; the mesh must still be a 2-manifold */
    cad_model m;
    cad_init(&m);
    cad_plane pl = XY(), up = XY();
    up.origin[2] = 10;
    extrude(&m, &pl, rect(&m, 0, 0, 10, 10, 0), 1, CAD_EXT_ONE, 10, 0, CAD_NEW);
    extrude(&m, &pl, rect(&m, 10, 10, 20, 20, 0), 1, CAD_EXT_ONE, 10, 0, CAD_JOIN); /* vertical edge x=y=10 */
    extrude(&m, &up, rect(&m, 20, 0, 30, 10, 0), 1, CAD_EXT_ONE, 10, 0, CAD_JOIN);  /* box 2 at one point */
    extrude(&m, &up, rect(&m, 0, 10, 10, 20, 0), 1, CAD_EXT_ONE, 5, 0, CAD_JOIN);   /* boxes 1, 2 along edges */
    ms_mesh ms;
    double v = mesh_volume(&m, &ms);
    CHECK_REL(v, 1000 + 1000 + 1000 + 500, 1e-12);
    ms_free(&ms);
    cad_free(&m);
}

/* ---- against the exact kernel (true arcs): random models, and the analytic Steinmetz solid ---- */

#include "geom/solid.h"

static void against_kernel(int mixed, int count, double tol_rel) {
    ut_rng r;
    ut_rng_seed(&r, mixed ? 17 : 13);
    double worst = 0;
    int compared = 0;
    for (int it = 0; it < count; it++) {
        cad_model m;
        cad_init(&m);
        random_model(&m, &r, mixed);
        ms_mesh ms;
        sd_solid *sd = sd_build(&m);
        sd_props pr;
        int have = sd && sd_mass_props(sd, &pr) == 0 && pr.volume > 1e-6;
        if (have && ms_from_model(&m, 0, &ms) == 0) {
            double e = fabs(ms_volume(&ms) - pr.volume) / pr.volume;
            if (e > worst) worst = e;
            CHECK_MSG(e <= tol_rel, "model %d: mesh %.9g kernel %.9g (rel %.2e)", it, ms_volume(&ms), pr.volume, e);
            compared++;
            ms_free(&ms);
        }
        sd_free(sd);
        ut_clear_error();
        cad_free(&m);
    }
    fprintf(stderr, "    %d %s models against the exact kernel: worst relative volume error %.2e\n", compared,
            mixed ? "mixed" : "parallel", worst);
    CHECK(compared > count / 2);
}

TEST(mesh_volume_matches_exact_kernel) {
    against_kernel(0, 200, 1e-3);
    against_kernel(1, 15, 5e-3);
}

TEST(mesh_concurrent_threads_match_serial) {
    /* the same models meshed in parallel threads give the same meshes as one by one */
    enum { N = 8 };
    cad_model m[N];
    ms_mesh serial[N], par[N];
    ut_rng r;
    ut_rng_seed(&r, 21);
    for (int i = 0; i < N; i++) {
        cad_init(&m[i]);
        random_model(&m[i], &r, i % 4 == 3);
    }
    int rc_s[N], rc_p[N];
    for (int i = 0; i < N; i++) rc_s[i] = ms_from_model(&m[i], 0.05, &serial[i]);
#pragma omp parallel for num_threads(4) schedule(dynamic)
    for (int i = 0; i < N; i++) rc_p[i] = ms_from_model(&m[i], 0.05, &par[i]);
    for (int i = 0; i < N; i++) {
        CHECK(rc_s[i] == rc_p[i]);
        if (rc_s[i] == 0 && rc_p[i] == 0) {
            CHECK(serial[i].nv == par[i].nv && serial[i].nt == par[i].nt);
            if (serial[i].nt == par[i].nt && serial[i].nv == par[i].nv) {
                CHECK(memcmp(serial[i].t, par[i].t, (size_t)serial[i].nt * 3 * sizeof(int)) == 0);
                CHECK(memcmp(serial[i].v, par[i].v, (size_t)serial[i].nv * 3 * sizeof(double)) == 0);
            }
            ms_free(&serial[i]);
            ms_free(&par[i]);
        }
        cad_free(&m[i]);
    }
}
