/* bench_kernel.c - time per model of the exact solid kernel, sd_build + sd_mass_props +
 * sd_sample_surface(8192 points), and of the whole path from a CADLib program: execute it (Lua,
 * sandbox, validation) + the same kernel calls. Models: a set of DeepCAD-like parts built in C
 * (plates with holes, brackets, flanges, stepped shafts, pockets, slots, arcs) and, if given,
 * real files (DeepCAD / Fusion 360 / Text2CAD JSON, or CADLib .lua programs).
 *
 *   build/bench/bench_kernel [--reps N] [FILE.json|FILE.lua ...]
 *   build/bench/bench_kernel --rotated     the IoU_best situation instead (see bk_rotated)
 *   build/bench/bench_kernel --occt        the synthetic parts against OpenCASCADE (bk_occt)
 *
 * Every model is also written as a hard-coded CADLib program (cw_program) and that program is
 * what the "program" column executes. Each model runs N times (default 20); its time is the
 * median over the runs, measured as CPU time of the calling thread (one core; on a shared
 * machine wall time also counts other processes' turns, so the kernel's wall time is printed
 * too). The summary is the median and mean over models. Import time is not counted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/cad.h"
#include "cad/codewrite.h"
#include "cad/exec.h"
#include "data/import.h"
#include "eval/occt.h"
#include "geom/solid.h"
#include "base/util.h"
#include "geom/validate.h"

#define NSAMP 8192

static double bk_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* ---- builders: loops of lines / arcs / circles, faces, extrudes ---- */

static int bk_poly(cad_model *m, const double *xy, int n) {
    int first = m->ncurves;
    for (int k = 0; k < n; k++) {
        double p[4] = {xy[2 * k], xy[2 * k + 1], xy[2 * ((k + 1) % n)], xy[2 * ((k + 1) % n) + 1]};
        cad_add_curve(m, CAD_LINE, p, k + 1);
    }
    return cad_add_loop(m, first, n);
}

static int bk_rect(cad_model *m, double x0, double y0, double x1, double y1) {
    double xy[8] = {x0, y0, x1, y0, x1, y1, x0, y1};
    return bk_poly(m, xy, 4);
}

static int bk_circle(cad_model *m, double cx, double cy, double r) {
    double p[3] = {cx, cy, r};
    return cad_add_loop(m, cad_add_curve(m, CAD_CIRCLE, p, 1), 1);
}

/* rectangle [x0,x1]x[y0,y1] with corner fillets of radius r (4 lines + 4 quarter arcs) */
static int bk_rounded(cad_model *m, double x0, double y0, double x1, double y1, double r) {
    int first = m->ncurves;
    double s = r * (1 - M_SQRT1_2);
    double L[4][4] = {{x0 + r, y0, x1 - r, y0}, {x1, y0 + r, x1, y1 - r}, {x1 - r, y1, x0 + r, y1}, {x0, y1 - r, x0, y0 + r}};
    double A[4][6] = {{x1 - r, y0, x1 - s, y0 + s, x1, y0 + r},
                      {x1, y1 - r, x1 - s, y1 - s, x1 - r, y1},
                      {x0 + r, y1, x0 + s, y1 - s, x0, y1 - r},
                      {x0, y0 + r, x0 + s, y0 + s, x0 + r, y0}};
    for (int k = 0; k < 4; k++) {
        cad_add_curve(m, CAD_LINE, L[k], 1);
        cad_add_curve(m, CAD_ARC, A[k], 1);
    }
    return cad_add_loop(m, first, 8);
}

/* slot of length l (centre distance) and radius r along x at (cx, cy) */
static int bk_slot(cad_model *m, double cx, double cy, double l, double r) {
    int first = m->ncurves;
    double a = cx - l / 2, b = cx + l / 2;
    double l1[4] = {a, cy - r, b, cy - r}, a1[6] = {b, cy - r, b + r, cy, b, cy + r};
    double l2[4] = {b, cy + r, a, cy + r}, a2[6] = {a, cy + r, a - r, cy, a, cy - r};
    cad_add_curve(m, CAD_LINE, l1, 1);
    cad_add_curve(m, CAD_ARC, a1, 1);
    cad_add_curve(m, CAD_LINE, l2, 1);
    cad_add_curve(m, CAD_ARC, a2, 1);
    return cad_add_loop(m, first, 4);
}

static cad_plane bk_plane(int which, double off) {
    cad_plane p;
    if (which == 0) cad_plane_xy(&p);
    else if (which == 1) cad_plane_xz(&p);
    else cad_plane_yz(&p);
    for (int i = 0; i < 3; i++) p.origin[i] = off * p.n[i];
    return p;
}

/* one face of loops [l, l + n) on plane `which` at offset off, extruded */
static void bk_ext(cad_model *m, int which, double off, int l, int n, cad_extent_kind k, double d1, double d2, cad_op op) {
    cad_plane pl = bk_plane(which, off);
    int f = cad_add_face(m, l, n);
    int s = cad_add_sketch(m, &pl, f, 1, 1);
    cad_add_extrude(m, s, k, d1, d2, op, 1);
}

/* ---- the model set ---- */

static void bk_model(cad_model *m, int k) {
    switch (k) {
    case 0: { /* plate with 4 holes */
        int l = bk_rect(m, 0, 0, 60, 40);
        for (int i = 0; i < 4; i++) bk_circle(m, i & 1 ? 52 : 8, i & 2 ? 32 : 8, 3);
        bk_ext(m, 0, 0, l, 5, CAD_EXT_ONE, 6, 0, CAD_NEW);
        break;
    }
    case 1: { /* rounded plate with 8 holes and a slot */
        int l = bk_rounded(m, 0, 0, 120, 60, 8);
        for (int i = 0; i < 8; i++) bk_circle(m, 12 + 32 * (i % 4), i < 4 ? 10 : 50, 3.2);
        bk_slot(m, 60, 30, 30, 6);
        bk_ext(m, 0, 0, l, 10, CAD_EXT_ONE, 8, 0, CAD_NEW);
        break;
    }
    case 2: { /* L-bracket profile extruded, two holes cut through the flanges */
        double xy[12] = {0, 0, 50, 0, 50, 6, 6, 6, 6, 40, 0, 40};
        bk_ext(m, 1, 0, bk_poly(m, xy, 6), 1, CAD_EXT_ONE, -30, 0, CAD_NEW);
        bk_ext(m, 0, 0, bk_circle(m, 30, 15, 4), 1, CAD_EXT_ONE, 6, 0, CAD_CUT);
        break;
    }
    case 3: { /* L-bracket of two plates on perpendicular sketches (join) */
        bk_ext(m, 0, 0, bk_rect(m, 0, 0, 50, 30), 1, CAD_EXT_ONE, 6, 0, CAD_NEW);
        bk_ext(m, 1, 0, bk_rect(m, 0, 0, 6, 40), 1, CAD_EXT_ONE, -30, 0, CAD_JOIN);
        break;
    }
    case 4: { /* flange: disc, bore, 6 bolt holes */
        int l = bk_circle(m, 0, 0, 50);
        bk_circle(m, 0, 0, 15);
        for (int i = 0; i < 6; i++) bk_circle(m, 35 * cos(i * M_PI / 3), 35 * sin(i * M_PI / 3), 5);
        bk_ext(m, 0, 0, l, 8, CAD_EXT_ONE, 10, 0, CAD_NEW);
        break;
    }
    case 5: { /* flange with a hub */
        int l = bk_circle(m, 0, 0, 50);
        for (int i = 0; i < 4; i++) bk_circle(m, 35 * cos(i * M_PI / 2), 35 * sin(i * M_PI / 2), 5);
        bk_ext(m, 0, 0, l, 5, CAD_EXT_ONE, 10, 0, CAD_NEW);
        bk_ext(m, 0, 10, bk_circle(m, 0, 0, 22), 1, CAD_EXT_ONE, 25, 0, CAD_JOIN);
        bk_ext(m, 0, 0, bk_circle(m, 0, 0, 12), 1, CAD_EXT_ONE, 35, 0, CAD_CUT);
        break;
    }
    case 6: { /* stepped shaft, three diameters */
        bk_ext(m, 0, 0, bk_circle(m, 0, 0, 10), 1, CAD_EXT_ONE, 30, 0, CAD_NEW);
        bk_ext(m, 0, 30, bk_circle(m, 0, 0, 15), 1, CAD_EXT_ONE, 20, 0, CAD_JOIN);
        bk_ext(m, 0, 50, bk_circle(m, 0, 0, 8), 1, CAD_EXT_ONE, 40, 0, CAD_JOIN);
        break;
    }
    case 7: { /* stepped shaft along x with a keyway */
        bk_ext(m, 2, 0, bk_circle(m, 0, 0, 12), 1, CAD_EXT_ONE, 40, 0, CAD_NEW);
        bk_ext(m, 2, 40, bk_circle(m, 0, 0, 9), 1, CAD_EXT_ONE, 30, 0, CAD_JOIN);
        bk_ext(m, 2, 40, bk_rect(m, -2, 6, 2, 10), 1, CAD_EXT_ONE, 25, 0, CAD_CUT);
        break;
    }
    case 8: { /* block with a pocket and a through hole */
        bk_ext(m, 0, 0, bk_rect(m, 0, 0, 80, 50), 1, CAD_EXT_ONE, 20, 0, CAD_NEW);
        bk_ext(m, 0, 20, bk_rounded(m, 10, 10, 50, 40, 5), 1, CAD_EXT_ONE, -8, 0, CAD_CUT);
        bk_ext(m, 0, 0, bk_circle(m, 65, 25, 6), 1, CAD_EXT_ONE, 20, 0, CAD_CUT);
        break;
    }
    case 9: { /* block with a cross hole from the side (several directions) */
        bk_ext(m, 0, 0, bk_rect(m, -20, -20, 20, 20), 1, CAD_EXT_ONE, 30, 0, CAD_NEW);
        bk_ext(m, 2, -20, bk_circle(m, 0, 15, 6), 1, CAD_EXT_ONE, 40, 0, CAD_CUT);
        break;
    }
    case 10: { /* washer */
        int l = bk_circle(m, 0, 0, 12);
        bk_circle(m, 0, 0, 6.5);
        bk_ext(m, 0, 0, l, 2, CAD_EXT_ONE, 1.5, 0, CAD_NEW);
        break;
    }
    case 11: { /* U-channel */
        double xy[16] = {0, 0, 40, 0, 40, 30, 34, 30, 34, 5, 6, 5, 6, 30, 0, 30};
        bk_ext(m, 1, 0, bk_poly(m, xy, 8), 1, CAD_EXT_SYM, 100, 0, CAD_NEW);
        break;
    }
    case 12: { /* spur-gear-like outline, 20 teeth of straight segments, with a bore */
        double xy[160];
        for (int i = 0; i < 80; i++) {
            double a = 2 * M_PI * i / 80, r = (i % 4 < 2) ? 30 : 26;
            xy[2 * i] = r * cos(a), xy[2 * i + 1] = r * sin(a);
        }
        int l = bk_poly(m, xy, 80);
        bk_circle(m, 0, 0, 8);
        bk_ext(m, 0, 0, l, 2, CAD_EXT_ONE, 12, 0, CAD_NEW);
        break;
    }
    case 13: { /* keyhole: a 270-degree arc closed by two radii, plus a slot */
        int first = m->ncurves;
        double arc[6] = {10, 0, -10, 0, 0, -10}, a[4] = {0, -10, 0, 0}, b[4] = {0, 0, 10, 0};
        cad_add_curve(m, CAD_ARC, arc, 1);
        cad_add_curve(m, CAD_LINE, a, 1);
        cad_add_curve(m, CAD_LINE, b, 1);
        bk_ext(m, 0, 0, cad_add_loop(m, first, 3), 1, CAD_EXT_ONE, 5, 0, CAD_NEW);
        bk_ext(m, 0, 0, bk_slot(m, -2, 2, 6, 1.5), 1, CAD_EXT_ONE, 5, 0, CAD_CUT);
        break;
    }
    case 14: { /* boss on a plate: symmetric plate, two-sided boss */
        bk_ext(m, 0, 0, bk_rounded(m, -40, -25, 40, 25, 6), 1, CAD_EXT_SYM, 8, 0, CAD_NEW);
        bk_ext(m, 0, 0, bk_circle(m, 0, 0, 12), 1, CAD_EXT_TWO, 20, 4, CAD_JOIN);
        bk_ext(m, 0, 0, bk_circle(m, 0, 0, 6), 1, CAD_EXT_TWO, 20, 4, CAD_CUT);
        break;
    }
    case 15: { /* intersect: rounded block with a cylinder */
        bk_ext(m, 0, 0, bk_rounded(m, -30, -30, 30, 30, 10), 1, CAD_EXT_ONE, 20, 0, CAD_NEW);
        bk_ext(m, 0, -5, bk_circle(m, 5, 0, 32), 1, CAD_EXT_ONE, 30, 0, CAD_INTERSECT);
        break;
    }
    case 16: { /* mounting plate with a rib (two directions) */
        int l = bk_rect(m, 0, 0, 100, 60);
        for (int i = 0; i < 4; i++) bk_circle(m, i & 1 ? 90 : 10, i & 2 ? 50 : 10, 4);
        bk_ext(m, 0, 0, l, 5, CAD_EXT_ONE, 6, 0, CAD_NEW);
        double xy[6] = {20, 6, 80, 6, 50, 36};
        bk_ext(m, 1, -27, bk_poly(m, xy, 3), 1, CAD_EXT_ONE, -6, 0, CAD_JOIN);
        break;
    }
    case 17: { /* multi-face sketch: three separate pads in one extrude */
        int l = bk_rect(m, 0, 0, 20, 20);
        bk_rect(m, 30, 0, 50, 20);
        bk_circle(m, 70, 10, 10);
        cad_plane pl = bk_plane(0, 0);
        int f0 = cad_add_face(m, l, 1);
        cad_add_face(m, l + 1, 1);
        cad_add_face(m, l + 2, 1);
        int s = cad_add_sketch(m, &pl, f0, 3, 1);
        cad_add_extrude(m, s, CAD_EXT_ONE, 5, 0, CAD_NEW, 1);
        break;
    }
    case 18: { /* tilted sketch: a wedge-cut block */
        bk_ext(m, 0, 0, bk_rect(m, 0, 0, 40, 40), 1, CAD_EXT_ONE, 40, 0, CAD_NEW);
        cad_plane pl;
        cad_plane_make(&pl, (double[3]){0, 0, 40}, (double[3]){0, 1, 0}, (double[3]){1, 0, 1});
        int f = cad_add_face(m, bk_rect(m, -10, -30, 60, 30), 1);
        int s = cad_add_sketch(m, &pl, f, 1, 1);
        cad_add_extrude(m, s, CAD_EXT_ONE, 20, 0, CAD_CUT, 1);
        break;
    }
    default: { /* perforated plate: 5 x 4 grid of holes */
        int l = bk_rect(m, 0, 0, 100, 80);
        for (int i = 0; i < 20; i++) bk_circle(m, 10 + 20 * (i % 5), 10 + 20 * (i / 5), 4);
        bk_ext(m, 0, 0, l, 21, CAD_EXT_ONE, 3, 0, CAD_NEW);
        break;
    }
    }
}

#define BK_NSYN 20

static int bk_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double bk_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, bk_cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* median CPU and wall time (ms) of build + mass props + samples; -1 on failure */
static int bk_time(const cad_model *m, int reps, double *pts, double *cpu_ms, double *wall_ms, sd_props *props) {
    double *c = malloc(sizeof(double) * reps), *w = malloc(sizeof(double) * reps);
    int rc = 0;
    for (int r = 0; r < reps && rc == 0; r++) {
        double c0 = bk_cpu(), w0 = ut_now();
        sd_solid *s = sd_build(m);
        if (!s || sd_mass_props(s, props) != 0 || sd_sample_surface(s, NSAMP, (uint64_t)r, pts, NULL) != NSAMP) rc = -1;
        sd_free(s);
        c[r] = 1e3 * (bk_cpu() - c0), w[r] = 1e3 * (ut_now() - w0);
    }
    *cpu_ms = bk_median(c, reps), *wall_ms = bk_median(w, reps);
    free(c), free(w);
    return rc;
}

/* median CPU time (ms) of executing the program + build + mass props + samples; -1 on failure */
static int bk_time_program(const char *prog, int reps, double *pts, double *cpu_ms) {
    double *c = malloc(sizeof(double) * reps);
    int rc = 0;
    for (int r = 0; r < reps && rc == 0; r++) {
        double c0 = bk_cpu();
        cad_model m;
        sd_props p;
        if (ex_run(prog, strlen(prog), "bench.lua", NULL, &m) != 0) {
            rc = -1;
            break;
        }
        sd_solid *s = sd_build(&m);
        if (!s || sd_mass_props(s, &p) != 0 || sd_sample_surface(s, NSAMP, (uint64_t)r, pts, NULL) != NSAMP) rc = -1;
        sd_free(s);
        cad_free(&m);
        c[r] = 1e3 * (bk_cpu() - c0);
    }
    *cpu_ms = rc == 0 ? bk_median(c, reps) : 0;
    free(c);
    return rc;
}

/* the model of argument `path`: a .lua program is executed, anything else imported */
static int bk_load(const char *path, cad_model *m) {
    const char *ext = ut_path_ext(path);
    if (strcmp(ext, ".lua") == 0) return ex_run_file(path, NULL, m);
    if (im_load(path, NULL, m, NULL) != 0) {
        cad_free(m);
        return -1;
    }
    return 0;
}

/* a random proper rotation (uniform, from a normalised Gaussian quaternion), row-major */
static void bk_random_rotation(ut_rng *r, double R[9]) {
    double q[4], n = 0;
    for (int i = 0; i < 4; i++) q[i] = ut_rng_normal(r), n += q[i] * q[i];
    n = sqrt(n);
    double a = q[0] / n, b = q[1] / n, c = q[2] / n, d = q[3] / n;
    double M[9] = {a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c),
                   2 * (b * c + a * d), a * a - b * b + c * c - d * d, 2 * (c * d - a * b),
                   2 * (b * d - a * c), 2 * (c * d + a * b), a * a - b * b - c * c + d * d};
    memcpy(R, M, sizeof M);
}

/* every synthetic part against a copy of itself turned by a random rotation about its centroid:
   time of sd_volume of the intersection (several directions: quadrature), in both operand
   orders (each order integrates in another frame, so their agreement checks the accuracy) */
static int bk_rotated(void) {
    ut_rng r;
    ut_rng_seed(&r, 3);
    double t_all[2 * BK_NSYN], worst = 0;
    int n = 0;
    printf("%-14s %14s %10s %10s %10s\n", "model", "volume", "rel_diff", "ms_ab", "ms_ba");
    for (int k = 0; k < BK_NSYN; k++) {
        cad_model m;
        cad_init(&m);
        bk_model(&m, k);
        sd_solid *a = va_validate(&m) == 0 ? sd_build(&m) : NULL;
        sd_props pa;
        if (!a || sd_mass_props(a, &pa) != 0) {
            sd_free(a);
            cad_free(&m);
            continue;
        }
        double R[9], t[3];
        bk_random_rotation(&r, R);
        for (int i = 0; i < 3; i++)
            t[i] = pa.centroid[i] - (R[3 * i] * pa.centroid[0] + R[3 * i + 1] * pa.centroid[1] + R[3 * i + 2] * pa.centroid[2]);
        sd_solid *b = sd_transform(a, R, 1, t), *ab = sd_combine(a, b, CAD_INTERSECT), *ba = sd_combine(b, a, CAD_INTERSECT);
        double c0 = bk_cpu(), v1 = sd_volume(ab), c1 = bk_cpu(), v2 = sd_volume(ba), c2 = bk_cpu();
        double rel = fabs(v1 / v2 - 1);
        worst = fmax(worst, rel);
        t_all[n++] = 1e3 * (c1 - c0), t_all[n++] = 1e3 * (c2 - c1);
        printf("synthetic %02d %14.10g %10.2e %10.1f %10.1f\n", k, v1, rel, 1e3 * (c1 - c0), 1e3 * (c2 - c1));
        sd_free(a), sd_free(b), sd_free(ab), sd_free(ba);
        cad_free(&m);
    }
    if (n == 0) return 1;
    double mean = 0;
    for (int i = 0; i < n; i++) mean += t_all[i];
    mean /= n;
    double med = bk_median(t_all, n);
    printf("sd_volume of part ^ rotated part: %d volumes, median %.1f ms, mean %.1f ms, min %.1f, max %.1f (cpu); "
           "largest difference between frame orders %.2e\n", n, med, mean, t_all[0], t_all[n - 1], worst);
    return 0;
}

/* every synthetic part measured by OpenCASCADE (occt-draw) too: largest relative differences */
static int bk_occt(void) {
    if (!oc_binary()) {
        fprintf(stderr, "bench_kernel: %s\n", ut_error());
        return 1;
    }
    printf("%-14s %5s %10s %10s %10s %10s %10s\n", "model", "exact", "volume", "area", "centroid", "inertia", "box");
    double worst[5] = {0};
    for (int k = 0; k < BK_NSYN; k++) {
        cad_model m;
        cad_init(&m);
        bk_model(&m, k);
        sd_solid *s = va_validate(&m) == 0 ? sd_build(&m) : NULL;
        sd_props p;
        oc_props o;
        if (!s || sd_mass_props(s, &p) != 0 || oc_measure(&m, NULL, &o) != 0) {
            fprintf(stderr, "synthetic %02d: %s\n", k, ut_error());
            sd_free(s);
            cad_free(&m);
            continue;
        }
        double size = 0, d[5] = {fabs(p.volume / o.volume - 1), fabs(p.area / o.area - 1), 0, 0, 0};
        for (int i = 0; i < 3; i++) size = fmax(size, o.hi[i] - o.lo[i]);
        double itr = fabs(o.inertia[0] + o.inertia[4] + o.inertia[8]);
        for (int i = 0; i < 3; i++) {
            d[2] = fmax(d[2], fabs(p.centroid[i] - o.centroid[i]) / size);
            d[4] = fmax(d[4], fmax(fabs(p.lo[i] - o.lo[i]), fabs(p.hi[i] - o.hi[i])) / size);
        }
        for (int i = 0; i < 9; i++) d[3] = fmax(d[3], fabs(p.inertia[i] - o.inertia[i]) / itr);
        printf("synthetic %02d %5d %10.1e %10.1e %10.1e %10.1e %10.1e\n", k, p.exact, d[0], d[1], d[2], d[3], d[4]);
        for (int i = 0; i < 5; i++) worst[i] = fmax(worst[i], d[i]);
        sd_free(s);
        cad_free(&m);
    }
    printf("largest relative differences to OCCT: volume %.1e, area %.1e, centroid %.1e (of the size), inertia %.1e "
           "(of the trace), box %.1e (of the size)\n", worst[0], worst[1], worst[2], worst[3], worst[4]);
    return 0;
}

int main(int argc, char **argv) {
    int reps = 20, first_file = 1;
    if (argc > 1 && strcmp(argv[1], "--rotated") == 0) return bk_rotated();
    if (argc > 1 && strcmp(argv[1], "--occt") == 0) return bk_occt();
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: bench_kernel [--reps N] [FILE.json|FILE.lua ...]\n");
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "--reps") == 0) reps = atoi(argv[2]), first_file = 3;
    if (reps < 1) reps = 1;
    double *pts = malloc(sizeof(double) * 3 * NSAMP);
    int nmax = BK_NSYN + argc;
    double *cpu = malloc(sizeof(double) * nmax), *wall = malloc(sizeof(double) * nmax), *full = malloc(sizeof(double) * nmax);
    int n = 0;
    printf("%-34s %6s %5s %12s %12s %9s %9s %10s\n", "model", "prisms", "exact", "volume", "area", "cpu_ms", "wall_ms",
           "program_ms");
    for (int k = 0; k < BK_NSYN + argc - first_file; k++) {
        cad_model m;
        char name[64];
        if (k < BK_NSYN) {
            cad_init(&m);
            bk_model(&m, k);
            snprintf(name, sizeof name, "synthetic %02d", k);
        } else {
            const char *path = argv[first_file + k - BK_NSYN];
            if (bk_load(path, &m) != 0) {
                fprintf(stderr, "skipped: %s\n", ut_error());
                continue;
            }
            const char *base = strrchr(path, '/');
            snprintf(name, sizeof name, "%s", base ? base + 1 : path);
        }
        if (va_validate(&m) != 0) {
            fprintf(stderr, "skipped %s: %s\n", name, ut_error());
            cad_free(&m);
            continue;
        }
        sd_props p;
        double c, w, f = 0;
        char *prog = cw_program(&m);
        if (bk_time(&m, reps, pts, &c, &w, &p) != 0 || !prog || bk_time_program(prog, reps, pts, &f) != 0) {
            fprintf(stderr, "failed %s: %s\n", name, ut_error());
            free(prog);
            cad_free(&m);
            continue;
        }
        free(prog);
        int nfaces = 0;
        for (int e = 0; e < m.nextrudes; e++) nfaces += m.sketches[m.extrudes[e].sketch].n;
        printf("%-34s %6d %5d %12.6g %12.6g %9.3f %9.3f %10.3f\n", name, nfaces, p.exact, p.volume, p.area, c, w, f);
        cpu[n] = c, wall[n] = w, full[n] = f, n++;
        cad_free(&m);
    }
    if (n > 0) {
        double mc = 0, mw = 0, mf = 0;
        for (int i = 0; i < n; i++) mc += cpu[i], mw += wall[i], mf += full[i];
        mc /= n, mw /= n, mf /= n;
        double medc = bk_median(cpu, n), medw = bk_median(wall, n), medf = bk_median(full, n);
        printf("models %d, %d samples each, %d runs per model\n", n, NSAMP, reps);
        printf("kernel (build + mass props + samples): median %.3f ms, mean %.3f ms (cpu); median %.3f ms, mean %.3f ms (wall)\n",
               medc, mc, medw, mw);
        printf("program (execute + validate + build + mass props + samples): median %.3f ms, mean %.3f ms (cpu)\n", medf, mf);
    }
    free(pts), free(cpu), free(wall), free(full);
    return n > 0 ? 0 : 1;
}
