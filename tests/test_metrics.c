/* Tests of the metrics (metrics.h) and `recad eval`: Chamfer distance against brute force and
 * SciPy, protocol normalisations, statistics, the eigen-solver, P-F1 on hand-made pairs worked
 * out by hand; on exact solids: the Chamfer noise floor and exact zero, analytic IoU, IoU_best
 * on rotated / scaled / mirrored parts, the thin-plate voxel instability, visual similarity;
 * the eval command end to end. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "model/cad.h"
#include "eval/metrics.h"
#include "geom/solid.h"
#include "tf.h"
#include "base/util.h"

/* ---- model builders ---- */

static void tm_line(cad_model *m, double x1, double y1, double x2, double y2) {
    double p[6] = {x1, y1, x2, y2, 0, 0};
    cad_add_curve(m, CAD_LINE, p, 0);
}
static void tm_arc(cad_model *m, double x1, double y1, double xm, double ym, double x2, double y2) {
    double p[6] = {x1, y1, xm, ym, x2, y2};
    cad_add_curve(m, CAD_ARC, p, 0);
}
static void tm_circle(cad_model *m, double cx, double cy, double r) {
    double p[6] = {cx, cy, r, 0, 0, 0};
    cad_add_curve(m, CAD_CIRCLE, p, 0);
}
/* closes the curves added since `first` into a loop */
static void tm_loop(cad_model *m, int first) { cad_add_loop(m, first, m->ncurves - first); }
static void tm_rect_loop(cad_model *m, double x0, double y0, double x1, double y1) {
    int c = m->ncurves;
    tm_line(m, x0, y0, x1, y0);
    tm_line(m, x1, y0, x1, y1);
    tm_line(m, x1, y1, x0, y1);
    tm_line(m, x0, y1, x0, y0);
    tm_loop(m, c);
}
/* one face from the loops added since first_loop, one XY sketch, one extrude of height h */
static void tm_extrude_xy(cad_model *m, int first_loop, double h, cad_op op) {
    int f = cad_add_face(m, first_loop, m->nloops - first_loop);
    cad_plane pl;
    cad_plane_xy(&pl);
    int s = cad_add_sketch(m, &pl, f, 1, 0);
    cad_add_extrude(m, s, CAD_EXT_ONE, h, 0, op, 0);
}

/* rectangle 10 x 5 with a circular hole r=1 at (5, 2.5) */
static void tm_plate(cad_model *m) {
    cad_init(m);
    tm_rect_loop(m, 0, 0, 10, 5);
    int c = m->ncurves;
    tm_circle(m, 5, 2.5, 1);
    tm_loop(m, c);
    tm_extrude_xy(m, 0, 1, CAD_NEW);
}

/* ---- Chamfer distance ---- */

static double tm_brute_cd(const double *a, int na, const double *b, int nb) {
    double s[2] = {0, 0};
    for (int dir = 0; dir < 2; dir++) {
        const double *p = dir ? b : a, *q = dir ? a : b;
        int np = dir ? nb : na, nq = dir ? na : nb;
        for (int i = 0; i < np; i++) {
            double best = DBL_MAX;
            for (int j = 0; j < nq; j++) {
                double dx = p[3 * i] - q[3 * j], dy = p[3 * i + 1] - q[3 * j + 1], dz = p[3 * i + 2] - q[3 * j + 2];
                double d2 = dx * dx + dy * dy + dz * dz;
                if (d2 < best) best = d2;
            }
            s[dir] += best;
        }
        s[dir] /= np;
    }
    return s[0] + s[1];
}

/* n points on the surface of the box [0,sx]x[0,sy]x[0,sz] (uniform per face, faces equally likely) */
static double *tm_box_cloud(ut_rng *r, int n, double sx, double sy, double sz) {
    double *p = malloc((size_t)n * 3 * sizeof *p), s[3] = {sx, sy, sz};
    for (int i = 0; i < n; i++) {
        int f = (int)(ut_rng_u64(r) % 6);
        for (int d = 0; d < 3; d++) p[3 * i + d] = ut_rng_uniform(r) * s[d];
        p[3 * i + f / 2] = (f & 1) ? s[f / 2] : 0;
    }
    return p;
}

TEST(metrics_chamfer_known_small_clouds) {
    double a[3] = {0, 0, 0}, b[6] = {1, 0, 0, 3, 0, 0};
    /* a->b: 1; b->a: (1 + 9) / 2 = 5 */
    CHECK_NEAR(mt_chamfer_points(a, 1, b, 2), 6.0, 1e-15);
    CHECK_NEAR(mt_chamfer_points(b, 2, b, 2), 0.0, 0);
    CHECK(mt_chamfer_points(a, 0, b, 2) < 0);
}

TEST(metrics_chamfer_matches_brute_force) {
    ut_rng r;
    ut_rng_seed(&r, 42);
    /* one after the other: the trees kept between calls grow, shrink, and are let go past
     * 65536 points */
    int sizes[][2] = {{1, 1}, {3, 700}, {700, 3}, {70000, 40}, {1000, 1000}, {2500, 1800}};
    for (int k = 0; k < 6; k++) {
        double *a = tm_box_cloud(&r, sizes[k][0], 1, 0.5, 0.1), *b = tm_box_cloud(&r, sizes[k][1], 1, 0.5, 0.12);
        double got = mt_chamfer_points(a, sizes[k][0], b, sizes[k][1]);
        double want = tm_brute_cd(a, sizes[k][0], b, sizes[k][1]);
        CHECK_REL(got, want, 1e-12);
        free(a), free(b);
    }
}

/* writes pairs in bench/scipy_cd.py's format */
static void tm_write_pair(FILE *f, const double *a, long na, const double *b, long nb) {
    int64_t h[2] = {na, nb};
    fwrite(h, sizeof h, 1, f);
    fwrite(a, sizeof *a, (size_t)na * 3, f);
    fwrite(b, sizeof *b, (size_t)nb * 3, f);
}

TEST(metrics_chamfer_matches_scipy_ckdtree) {
    char *out = NULL;
    if (tf_run_cmd("/usr/bin/python3 -c 'import scipy.spatial'", &out) != 0) {
        free(out);
        SKIP("/usr/bin/python3 has no scipy (scripts/setup.sh --test installs python3-scipy)");
    }
    free(out);
    ut_rng r;
    ut_rng_seed(&r, 9);
    int n = 8192;
    double *a = tm_box_cloud(&r, n, 1, 0.5, 0.1), *b = tm_box_cloud(&r, n, 1, 0.5, 0.1);
    double *c = tm_box_cloud(&r, 3000, 2, 1, 1);
    char path[600], cmd[1400];
    snprintf(path, sizeof path, "%s/pairs.bin", tf_tmpdir());
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    tm_write_pair(f, a, n, b, n);
    tm_write_pair(f, a, n, c, 3000);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 bench/scipy_cd.py %s", path);
    REQUIRE(tf_run_cmd(cmd, &out) == 0);
    double s1 = -1, s2 = -1;
    const char *p = strstr(out, "\"cd\": [");
    REQUIRE_MSG(p && sscanf(p, "\"cd\": [%lf, %lf]", &s1, &s2) == 2, "unexpected output: %s", out);
    CHECK_REL(mt_chamfer_points(a, n, b, n), s1, 1e-12);
    CHECK_REL(mt_chamfer_points(a, n, c, 3000), s2, 1e-12);
    free(out), free(a), free(b), free(c);
}

TEST(metrics_cloud_normalisations) {
    /* text2cad: divided by max - min over all coordinates: here 25 - 0 */
    double p[6] = {0, 20, 1, 10, 25, 2};
    mt_normalise_cloud(MT_TEXT2CAD, p, 2, NULL, NULL);
    CHECK_NEAR(p[3], 10.0 / 25, 1e-15);
    CHECK_NEAR(p[4], 1.0, 1e-15);
    CHECK_NEAR(p[1], 20.0 / 25, 1e-15);
    /* unitcube: centre on box centre, / largest extent, + 0.5 */
    double lo[3] = {0, 0, 0}, hi[3] = {4, 2, 1}, q[6] = {4, 2, 1, 0, 0, 0};
    mt_normalise_cloud(MT_UNITCUBE, q, 2, lo, hi);
    CHECK_NEAR(q[0], 1.0, 1e-15);
    CHECK_NEAR(q[1], 0.75, 1e-15);
    CHECK_NEAR(q[2], 0.625, 1e-15);
    CHECK_NEAR(q[3], 0.0, 1e-15);
    CHECK_NEAR(q[4], 0.25, 1e-15);
    /* deepcad: * 0.75 / max|coordinate| of the box, no centring */
    double lo2[3] = {-2, 0, 0}, hi2[3] = {1, 3, 1}, w[3] = {1, 3, 1};
    mt_normalise_cloud(MT_DEEPCAD, w, 1, lo2, hi2);
    CHECK_NEAR(w[0], 0.25, 1e-15);
    CHECK_NEAR(w[1], 0.75, 1e-15);
    mt_protocol pr;
    CHECK(mt_protocol_parse("unitcube", &pr) == 0 && pr == MT_UNITCUBE);
    CHECK(mt_protocol_parse("voxel", &pr) < 0);
    CHECK(mt_protocol_points(MT_DEEPCAD) == 2000 && mt_protocol_points(MT_TEXT2CAD) == 8192);
    CHECK(mt_protocol_cd_scale(MT_DEEPCAD) == 1 && mt_protocol_cd_scale(MT_UNITCUBE) == 1000);
}

TEST(metrics_stats_and_invalidity_ratio) {
    double v[5] = {4, 1, NAN, 3, 2};
    mt_stats s;
    mt_stats_of(v, 5, &s);
    CHECK(s.n == 4);
    CHECK_NEAR(s.mean, 2.5, 1e-15);
    CHECK_NEAR(s.median, 2.5, 1e-15);
    CHECK_NEAR(s.p25, 1.75, 1e-15); /* position 0.75 between 1 and 2 */
    CHECK_NEAR(s.p90, 3.7, 1e-12);  /* position 2.7 between 3 and 4 */
    CHECK(s.min == 1 && s.max == 4);
    mt_stats_of(v, 0, &s);
    CHECK(s.n == 0 && isnan(s.median));
    CHECK_NEAR(mt_invalidity_ratio(3, 12), 25.0, 1e-12);
    CHECK(mt_invalidity_ratio(0, 0) == 0);
}

TEST(metrics_eigen_solver_recovers_rotated_diagonal) {
    ut_rng r;
    ut_rng_seed(&r, 1);
    for (int trial = 0; trial < 50; trial++) {
        /* random rotation from a random unit quaternion */
        double q[4], n = 0;
        for (int i = 0; i < 4; i++) q[i] = ut_rng_normal(&r), n += q[i] * q[i];
        for (int i = 0; i < 4; i++) q[i] /= sqrt(n);
        double w = q[0], x = q[1], y = q[2], z = q[3];
        double R[9] = {1 - 2 * (y * y + z * z), 2 * (x * y - w * z),     2 * (x * z + w * y),
                       2 * (x * y + w * z),     1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                       2 * (x * z - w * y),     2 * (y * z + w * x),     1 - 2 * (x * x + y * y)};
        double D[3] = {1.0 + trial, 2.5, 0.5}, A[9], ev[3], V[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                A[3 * i + j] = 0;
                for (int k = 0; k < 3; k++) A[3 * i + j] += R[3 * i + k] * D[k] * R[3 * j + k];
            }
        mt_eig_sym3(A, ev, V);
        double want[3] = {fmax(D[0], 2.5), fmin(D[0], 2.5), 0.5};
        for (int k = 0; k < 3; k++) CHECK_REL(ev[k], want[k], 1e-12);
        /* A v = ev v for every column, and det V = +1 */
        double err = 0;
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < 3; i++) {
                double av = 0;
                for (int j = 0; j < 3; j++) av += A[3 * i + j] * V[3 * j + k];
                err = fmax(err, fabs(av - ev[k] * V[3 * i + k]));
            }
        CHECK(err < 1e-10 * ev[0]);
        double det = V[0] * (V[4] * V[8] - V[5] * V[7]) - V[1] * (V[3] * V[8] - V[5] * V[6]) +
                     V[2] * (V[3] * V[7] - V[4] * V[6]);
        CHECK_NEAR(det, 1.0, 1e-12);
    }
}

/* ---- P-F1 ---- */

TEST(metrics_pf1_identical_and_reordered_is_one) {
    cad_model g, p;
    tm_plate(&g);
    /* the same plate with the loops swapped and the rectangle's lines in another order */
    cad_init(&p);
    int c = p.ncurves;
    tm_circle(&p, 5, 2.5, 1);
    tm_loop(&p, c);
    c = p.ncurves;
    tm_line(&p, 0, 5, 0, 0);
    tm_line(&p, 10, 5, 0, 5);
    tm_line(&p, 0, 0, 10, 0);
    tm_line(&p, 10, 0, 10, 5);
    tm_loop(&p, c);
    tm_extrude_xy(&p, 0, 1, CAD_NEW);
    mt_pf1_counts k;
    mt_pf1_sample(&g, &p, &k);
    CHECK(k.tp[MT_PF1_LINE] == 4 && k.tp[MT_PF1_CIRCLE] == 1);
    CHECK(k.fp[0] + k.fp[1] + k.fp[2] + k.fn[0] + k.fn[1] + k.fn[2] == 0);
    CHECK(k.gt_has[MT_PF1_LINE] && k.gt_has[MT_PF1_CIRCLE] && !k.gt_has[MT_PF1_ARC]);
    mt_pf1_acc acc = {{0}, {0}};
    mt_pf1_add(&acc, &k);
    double per[3];
    CHECK_NEAR(mt_pf1_value(&acc, per), 1.0, 1e-15);
    CHECK(isnan(per[MT_PF1_ARC]));
    cad_free(&g), cad_free(&p);
}

/* GT: the plate (4 lines + a circle hole). Prediction: the rectangle with its top edge an arc
 * through (5, 6), no hole. By hand: the loops' boxes [0,0,10,5] and [4,1.5,6,3.5] against the one
 * predicted box [0,0,10,6]: the rectangle matches (distance 1), the circle loop is unmatched
 * (circle FN). Inside: bottom, right, left lines match exactly (3 line TP); the top line pairs
 * with the arc (distance 1): line FN + arc FP. Line F1 = 2*3 / (2*3 + 0 + 1) = 6/7, circle F1 = 0,
 * arc not in the GT. Sample P-F1 = (6/7 + 0) / 2 = 3/7. With the identical pair added to the
 * dataset: line (1 + 6/7)/2 = 13/14, circle (1 + 0)/2 = 1/2, P-F1 = (13/14 + 1/2)/2 = 5/7. */
TEST(metrics_pf1_hand_worked_pair) {
    cad_model g, p;
    tm_plate(&g);
    cad_init(&p);
    int c = p.ncurves;
    tm_line(&p, 0, 0, 10, 0);
    tm_line(&p, 10, 0, 10, 5);
    tm_arc(&p, 10, 5, 5, 6, 0, 5);
    tm_line(&p, 0, 5, 0, 0);
    tm_loop(&p, c);
    tm_extrude_xy(&p, 0, 1, CAD_NEW);
    mt_pf1_counts k;
    mt_pf1_sample(&g, &p, &k);
    CHECK(k.tp[MT_PF1_LINE] == 3 && k.fn[MT_PF1_LINE] == 1 && k.fp[MT_PF1_LINE] == 0);
    CHECK(k.tp[MT_PF1_ARC] == 0 && k.fp[MT_PF1_ARC] == 1 && k.fn[MT_PF1_ARC] == 0);
    CHECK(k.tp[MT_PF1_CIRCLE] == 0 && k.fn[MT_PF1_CIRCLE] == 1 && k.fp[MT_PF1_CIRCLE] == 0);
    CHECK_NEAR(mt_pf1_f1(&k, MT_PF1_LINE), 6.0 / 7, 1e-15);
    mt_pf1_acc one = {{0}, {0}}, two = {{0}, {0}};
    mt_pf1_add(&one, &k);
    CHECK_NEAR(mt_pf1_value(&one, NULL), 3.0 / 7, 1e-15);
    mt_pf1_counts same;
    mt_pf1_sample(&g, &g, &same);
    mt_pf1_add(&two, &same);
    mt_pf1_add(&two, &k);
    double per[3];
    CHECK_NEAR(mt_pf1_value(&two, per), 5.0 / 7, 1e-15);
    CHECK_NEAR(per[MT_PF1_LINE], 13.0 / 14, 1e-15);
    CHECK_NEAR(per[MT_PF1_CIRCLE], 0.5, 1e-15);
    cad_free(&g), cad_free(&p);
}

/* Sketches pair by order: a GT with two sketches against a prediction with one. The second GT
 * sketch (a circle) is unmatched: circle FN. An extra predicted sketch is all FP. */
TEST(metrics_pf1_sketches_pair_by_order) {
    cad_model g, p;
    tm_plate(&g);
    int l = g.nloops, c = g.ncurves;
    tm_circle(&g, 5, 2.5, 0.5);
    tm_loop(&g, c);
    tm_extrude_xy(&g, l, 3, CAD_JOIN);
    tm_plate(&p);
    mt_pf1_counts k;
    mt_pf1_sample(&g, &p, &k);
    CHECK(k.tp[MT_PF1_LINE] == 4 && k.tp[MT_PF1_CIRCLE] == 1 && k.fn[MT_PF1_CIRCLE] == 1);
    CHECK_NEAR(mt_pf1_f1(&k, MT_PF1_CIRCLE), 2.0 / 3, 1e-15);
    mt_pf1_sample(&p, &g, &k); /* roles swapped: the extra sketch is a false positive */
    CHECK(k.fp[MT_PF1_CIRCLE] == 1 && k.fn[MT_PF1_CIRCLE] == 0);
    /* an empty prediction scores 0 on every GT type */
    cad_model e;
    cad_init(&e);
    mt_pf1_sample(&g, &e, &k);
    CHECK(mt_pf1_f1(&k, MT_PF1_LINE) == 0 && k.fn[MT_PF1_LINE] == 4 && k.fn[MT_PF1_CIRCLE] == 2);
    cad_free(&g), cad_free(&p), cad_free(&e);
}

/* ---- on exact solids ---- */

/* closed polygon loop through n points xy (2n doubles) */
static void ts_poly(cad_model *m, const double *xy, int n) {
    int c = m->ncurves;
    for (int i = 0; i < n; i++) tm_line(m, xy[2 * i], xy[2 * i + 1], xy[2 * ((i + 1) % n)], xy[2 * ((i + 1) % n) + 1]);
    tm_loop(m, c);
}
static void ts_rect(cad_model *m, double x0, double y0, double x1, double y1) {
    double xy[8] = {x0, y0, x1, y0, x1, y1, x0, y1};
    ts_poly(m, xy, 4);
}
/* one face from loops [first_loop, nloops), an XY sketch lifted to height z0, extrude h */
static void ts_extrude(cad_model *m, int first_loop, double z0, double h, cad_op op) {
    int f = cad_add_face(m, first_loop, m->nloops - first_loop);
    cad_plane pl;
    cad_plane_xy(&pl);
    pl.origin[2] = z0;
    int s = cad_add_sketch(m, &pl, f, 1, 0);
    cad_add_extrude(m, s, CAD_EXT_ONE, h, 0, op, 0);
}

static sd_solid *ts_box(double x0, double y0, double z0, double x1, double y1, double z1) {
    cad_model m;
    cad_init(&m);
    ts_rect(&m, x0, y0, x1, y1);
    ts_extrude(&m, 0, z0, z1 - z0, CAD_NEW);
    sd_solid *s = sd_build(&m);
    cad_free(&m);
    return s;
}

/* plate w x d x t with a hole of radius r at (hx, hy) */
static void ts_plate_model(cad_model *m, double w, double d, double t, double hx, double hy, double r) {
    cad_init(m);
    ts_rect(m, 0, 0, w, d);
    int c = m->ncurves;
    tm_circle(m, hx, hy, r);
    tm_loop(m, c);
    ts_extrude(m, 0, 0, t, CAD_NEW);
}

/* A chiral part (no mirror symmetry): an L plate with unequal legs, a hole in the long leg and a
 * square boss on top of the short leg. mirror: x -> -x. */
static void ts_chiral_model(cad_model *m, int mirror) {
    double sx = mirror ? -1 : 1;
    cad_init(m);
    double L[12] = {0, 0, 50, 0, 50, 12, 14, 12, 14, 30, 0, 30};
    for (int i = 0; i < 6; i++) L[2 * i] *= sx;
    ts_poly(m, L, 6);
    int c = m->ncurves;
    tm_circle(m, sx * 38, 6, 3);
    tm_loop(m, c);
    ts_extrude(m, 0, 0, 5, CAD_NEW);
    int l = m->nloops;
    double B[8] = {2, 18, 12, 18, 12, 28, 2, 28};
    for (int i = 0; i < 4; i++) B[2 * i] *= sx;
    if (mirror) { /* keep the loop counter-clockwise after mirroring */
        double R[8] = {B[6], B[7], B[4], B[5], B[2], B[3], B[0], B[1]};
        memcpy(B, R, sizeof B);
    }
    ts_poly(m, B, 4);
    ts_extrude(m, l, 5, 9, CAD_JOIN);
    if (mirror) { /* reverse the L loop's orientation too */
        cad_loop *lp = &m->loops[0];
        for (int i = 0; i < lp->n; i++) {
            double *p = m->curves[lp->first + i].p, t0 = p[0], t1 = p[1];
            p[0] = p[2], p[1] = p[3], p[2] = t0, p[3] = t1;
        }
    }
}

static sd_solid *ts_build(cad_model *m) {
    sd_solid *s = sd_build(m);
    REQUIRE_MSG(s, "sd_build: %s", ut_error());
    return s;
}

/* ---- Chamfer ---- */

TEST(metrics_cd_same_stream_is_zero_independent_streams_give_floor) {
    cad_model m;
    ts_plate_model(&m, 60, 40, 6, 20, 20, 5);
    sd_solid *s = ts_build(&m);
    double cd;
    REQUIRE(mt_chamfer(s, s, MT_TEXT2CAD, 8192, 17, 17, &cd) == 0);
    CHECK(cd == 0.0);
    /* independent streams: the floor. For uniform samples of density rho = N / A on a smooth
     * surface the squared distance to the nearest sample of an independent cloud has mean about
     * 1 / (pi rho), so CD ~ 2 A / (pi N) with A the normalised area. */
    sd_props pr;
    REQUIRE(sd_mass_props(s, &pr) == 0);
    double range = 60, a_norm = pr.area / (range * range);
    double expect = 2 * a_norm / (M_PI * 8192);
    double sum = 0, lo = INFINITY, hi = 0;
    for (int k = 0; k < 4; k++) {
        REQUIRE(mt_chamfer(s, s, MT_TEXT2CAD, 8192, 100 + 2 * k, 101 + 2 * k, &cd) == 0);
        sum += cd, lo = fmin(lo, cd), hi = fmax(hi, cd);
    }
    printf("text2cad noise floor, plate 60x40x6: mean %.4f x1000 (seeds spread %.4f..%.4f), 2A/(pi N) = %.4f\n",
           sum / 4 * 1000, lo * 1000, hi * 1000, expect * 1000);
    CHECK_REL(sum / 4, expect, 0.15);
    CHECK(sum / 4 * 1000 > 0.05 && sum / 4 * 1000 < 0.3);
    sd_free(s);
    cad_free(&m);
}

static double ts_brute_cd(const double *a, const double *b, int n) {
    double s = 0;
    for (int dir = 0; dir < 2; dir++) {
        const double *p = dir ? b : a, *q = dir ? a : b;
        for (int i = 0; i < n; i++) {
            double best = DBL_MAX;
            for (int j = 0; j < n; j++) {
                double dx = p[3 * i] - q[3 * j], dy = p[3 * i + 1] - q[3 * j + 1], dz = p[3 * i + 2] - q[3 * j + 2];
                best = fmin(best, dx * dx + dy * dy + dz * dz);
            }
            s += best / n;
        }
    }
    return s;
}

TEST(metrics_cd_of_solids_matches_brute_force_all_protocols) {
    cad_model g, p;
    ts_plate_model(&g, 60, 40, 6, 20, 20, 5);
    ts_plate_model(&p, 62, 40, 6, 26, 24, 5);
    sd_solid *gs = ts_build(&g), *ps = ts_build(&p);
    int n = 1500;
    for (int pr = 0; pr < 3; pr++) {
        double cd, lo[3], hi[3];
        REQUIRE(mt_chamfer(gs, ps, (mt_protocol)pr, n, 5, 6, &cd) == 0);
        double *a = malloc((size_t)n * 24), *b = malloc((size_t)n * 24);
        REQUIRE(sd_sample_surface(gs, n, 5, a, NULL) == n && sd_sample_surface(ps, n, 6, b, NULL) == n);
        sd_bbox(gs, lo, hi);
        mt_normalise_cloud((mt_protocol)pr, a, n, lo, hi);
        sd_bbox(ps, lo, hi);
        mt_normalise_cloud((mt_protocol)pr, b, n, lo, hi);
        CHECK_REL(cd, ts_brute_cd(a, b, n), 1e-12);
        double mx = 0, mn = INFINITY;
        for (int i = 0; i < 3 * n; i++) mx = fmax(mx, a[i]), mn = fmin(mn, a[i]);
        if (pr == MT_UNITCUBE) CHECK(mn >= -1e-12 && mx <= 1 + 1e-12);
        if (pr == MT_DEEPCAD) CHECK(mx <= 0.75 + 1e-12 && mx > 0.74);
        if (pr == MT_TEXT2CAD) CHECK_NEAR(mx - mn, 1.0, 0.02);
        free(a), free(b);
    }
    sd_free(gs), sd_free(ps);
    cad_free(&g), cad_free(&p);
}

/* ---- IoU ---- */

TEST(metrics_iou_unit_cube_shifted) {
    sd_solid *a = ts_box(0, 0, 0, 1, 1, 1), *b = ts_box(0.1, 0, 0, 1.1, 1, 1);
    REQUIRE(a && b);
    double iou;
    REQUIRE(mt_iou(a, b, &iou) == 0);
    CHECK_NEAR(iou, 0.9 / 1.1, 1e-9);
    REQUIRE(mt_iou(a, a, &iou) == 0);
    CHECK_NEAR(iou, 1.0, 1e-12);
    /* unitcube forgives the offset; text2cad divides b by its range 1.1 and keeps its offset:
     * b -> [1/11, 1] x [0, 1/1.1]^2 inside a = [0,1]^3, IoU = (1/1.1)^3 */
    REQUIRE(mt_iou_protocol(a, b, MT_UNITCUBE, &iou) == 0);
    CHECK_NEAR(iou, 1.0, 1e-9);
    REQUIRE(mt_iou_protocol(a, b, MT_TEXT2CAD, &iou) == 0);
    CHECK_NEAR(iou, pow(1 / 1.1, 3), 1e-9);
    /* disjoint: 0 */
    sd_solid *c = ts_box(5, 5, 5, 6, 6, 6);
    REQUIRE(mt_iou(a, c, &iou) == 0);
    CHECK(iou == 0);
    sd_free(a), sd_free(b), sd_free(c);
}

/* rotation matrix about unit axis u by angle t */
static void ts_rotation(const double u[3], double t, double R[9]) {
    double c = cos(t), s = sin(t), C = 1 - c;
    double x = u[0], y = u[1], z = u[2];
    double M[9] = {c + x * x * C,     x * y * C - z * s, x * z * C + y * s, y * x * C + z * s, c + y * y * C,
                   y * z * C - x * s, z * x * C - y * s, z * y * C + x * s, c + z * z * C};
    memcpy(R, M, sizeof M);
}

TEST(metrics_iou_best_rotated_scaled_copy_is_one_mirror_is_not) {
    cad_model g, mir;
    ts_chiral_model(&g, 0);
    ts_chiral_model(&mir, 1);
    sd_solid *gs = ts_build(&g), *ms = ts_build(&mir);
    double R[9], u[3] = {0.48, -0.6, 0.64}, t[3] = {13, -7, 40};
    ts_rotation(u, 1.1, R);
    sd_solid *rs = sd_transform(gs, R, 2.5, t);
    REQUIRE(rs);
    mt_best be, bv;
    REQUIRE(mt_iou_best_exact(gs, NULL, rs, NULL, NULL, &be) == 0);
    REQUIRE(mt_iou_best_voxel(gs, NULL, rs, NULL, NULL, &bv) == 0);
    printf("rotated x2.5 copy: IoU_best exact %.6f, voxel %.4f (%ld cells)\n", be.iou, bv.iou, bv.voxels);
    CHECK(be.iou >= 0.999);
    CHECK(bv.iou >= 0.97);
    CHECK(be.tried >= 1 && be.tried <= 4); /* rotations screened out by coarse voxels are skipped */
    /* the mirror image has the same inertia but only an improper rotation maps it back */
    sd_props pa, pb;
    REQUIRE(sd_mass_props(gs, &pa) == 0 && sd_mass_props(ms, &pb) == 0);
    CHECK_REL(pb.volume, pa.volume, 1e-9);
    REQUIRE(mt_iou_best_exact(gs, NULL, ms, NULL, NULL, &be) == 0);
    REQUIRE(mt_iou_best_voxel(gs, NULL, ms, NULL, NULL, &bv) == 0);
    printf("mirror image: IoU_best exact %.4f, voxel %.4f\n", be.iou, bv.iou);
    CHECK(be.iou < 0.95);
    CHECK(bv.iou < 0.95);
    sd_free(gs), sd_free(ms), sd_free(rs);
    cad_free(&g), cad_free(&mir);
}

/* The thin plate of docs/metrics.md: 60 x 40 x 5 mm with a hole r = 6; the prediction moves the
 * hole by (6, 4) mm. The exact IoU_best has no grid; the voxel value depends on where the grid
 * sits; averaging fine voxel grids over random offsets converges to the exact value. */
TEST(metrics_iou_best_thin_plate_exact_vs_voxel_grid_offsets) {
    cad_model g, p;
    ts_plate_model(&g, 60, 40, 5, 20, 20, 6);
    ts_plate_model(&p, 60, 40, 5, 26, 24, 6);
    sd_solid *gs = ts_build(&g), *ps = ts_build(&p);
    mt_frame fg, fp;
    REQUIRE(mt_frame_of(gs, &fg) == 0 && mt_frame_of(ps, &fp) == 0);
    mt_best be;
    REQUIRE(mt_iou_best_exact(gs, &fg, ps, &fp, NULL, &be) == 0);
    double lo = 1, hi = 0;
    printf("thin plate: exact IoU_best %.4f; voxel (pitch 0.05) by grid offset:", be.iou);
    for (int k = 0; k < 8; k++) {
        mt_best_opts o = {0.05, {0.37 * k, 0.61 * k, k / 8.0}, 0};
        mt_best bv;
        REQUIRE(mt_iou_best_voxel(gs, &fg, ps, &fp, &o, &bv) == 0);
        printf(" %.4f", bv.iou);
        lo = fmin(lo, bv.iou), hi = fmax(hi, bv.iou);
    }
    printf("\n");
    CHECK(hi - lo > 0.005); /* the voxel value moves with the grid ... */
    ut_rng r;
    ut_rng_seed(&r, 4);
    double sum = 0;
    for (int k = 0; k < 8; k++) {
        mt_best_opts o = {0.02, {ut_rng_uniform(&r), ut_rng_uniform(&r), ut_rng_uniform(&r)}, 0};
        mt_best bv;
        REQUIRE(mt_iou_best_voxel(gs, &fg, ps, &fp, &o, &bv) == 0);
        sum += bv.iou;
    }
    printf("fine voxels (pitch 0.02, 8 random offsets): mean %.4f\n", sum / 8);
    CHECK_NEAR(sum / 8, be.iou, 0.01); /* ... the exact one is what fine grids converge to */
    /* the same plate against itself: exactly 1 */
    REQUIRE(mt_iou_best_exact(gs, &fg, gs, &fg, NULL, &be) == 0);
    CHECK_NEAR(be.iou, 1.0, 1e-9);
    sd_free(gs), sd_free(ps);
    cad_free(&g), cad_free(&p);
}

TEST(metrics_iou_best_symmetric_part_refined_search) {
    /* a square plate with an off-centre square pocket: two equal eigenvalues only approximately;
     * a square 40 x 40 x 4 plate rotated 30 degrees about z: the 4 flips may miss, the refined
     * search (15 degree steps about the ambiguous axis) finds it */
    sd_solid *a = ts_box(0, 0, 0, 40, 40, 4);
    double R[9], u[3] = {0, 0, 1}, t[3] = {0, 0, 0};
    ts_rotation(u, M_PI / 6, R);
    sd_solid *b = sd_transform(a, R, 1.0, t);
    REQUIRE(a && b);
    mt_best plain, fine;
    mt_best_opts o = {0, {0, 0, 0}, 1};
    REQUIRE(mt_iou_best_exact(a, NULL, b, NULL, NULL, &plain) == 0);
    REQUIRE(mt_iou_best_exact(a, NULL, b, NULL, &o, &fine) == 0);
    printf("square plate rotated 30 deg: 4 flips %.4f, refined (%d rotations) %.4f\n", plain.iou, fine.tried, fine.iou);
    CHECK(fine.tried > 4);
    CHECK(fine.iou >= plain.iou);
    CHECK(fine.iou > 0.999);
    sd_free(a), sd_free(b);
}

/* ---- visual similarity ---- */

TEST(metrics_visual_similarity_identical_changed_different) {
    cad_model a, b, c, d;
    ts_plate_model(&a, 60, 40, 6, 20, 20, 5);
    ts_plate_model(&b, 60, 40, 6, 22, 20, 5); /* hole moved by 2 mm */
    cad_init(&c); /* a tall cylinder: a very different part */
    int k = c.ncurves;
    tm_circle(&c, 0, 0, 10);
    tm_loop(&c, k);
    ts_extrude(&c, 0, 0, 50, CAD_NEW);
    double same, near, far;
    REQUIRE_MSG(mt_visual_similarity(&a, &a, 0, &same) == 0, "%s", ut_error());
    REQUIRE(mt_visual_similarity(&a, &b, 0, &near) == 0);
    REQUIRE(mt_visual_similarity(&a, &c, 0, &far) == 0);
    printf("visual similarity: identical %.4f, hole moved 2 mm %.4f, cylinder %.4f\n", same, near, far);
    CHECK_NEAR(same, 1.0, 1e-12);
    CHECK(near < 1.0 && near > 0.9);
    CHECK(far < 0.7 && far < near - 0.2);
    /* monotone on a family: the hole grows */
    double prev = 1.0;
    printf("hole radius 5 vs r:");
    for (int r = 6; r <= 14; r += 2) {
        ts_plate_model(&d, 60, 40, 6, 20, 20, r);
        double s;
        REQUIRE(mt_visual_similarity(&a, &d, 0, &s) == 0);
        printf(" r=%d %.4f", r, s);
        CHECK(s < prev);
        prev = s;
        cad_free(&d);
    }
    printf("\n");
    cad_free(&a), cad_free(&b), cad_free(&c);
}

/* ---- recad eval, end to end ---- */

static void ts_write(const char *dir, const char *name, const char *text) {
    char path[800];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    REQUIRE(ut_write_atomic(path, text, strlen(text)) == 0);
}

static cJSON *ts_read_json(const char *path) {
    char *s = ut_read_file(path, NULL);
    REQUIRE_MSG(s, "%s", ut_error());
    cJSON *j = cJSON_Parse(s);
    free(s);
    REQUIRE_MSG(j, "%s is not JSON", path);
    return j;
}

static double ts_num(const cJSON *o, const char *a, const char *b) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

#define TS_PLATE "local w, d = %s, 40\nExtrude(Sketch(XY, Face(Loop(Line(0,0, w,0), Line(w,0, w,d), Line(w,d, 0,d), Line(0,d, 0,0)), Loop(Circle(20, 20, 5)))), 6)\n"

TEST(metrics_eval_end_to_end_directories_and_jsonl) {
    char gt[600], pred[600], out[600], cmd[3000], text[600];
    snprintf(gt, sizeof gt, "%s/gt", tf_tmpdir());
    snprintf(pred, sizeof pred, "%s/pred", tf_tmpdir());
    snprintf(out, sizeof out, "%s/report", tf_tmpdir());
    REQUIRE(ut_mkdirs(gt) == 0 && ut_mkdirs(pred) == 0);
    snprintf(text, sizeof text, TS_PLATE, "60");
    ts_write(gt, "a.lua", text);  /* identical prediction */
    ts_write(pred, "a.lua", text);
    ts_write(gt, "b.lua", text);  /* a wider plate predicted */
    snprintf(text, sizeof text, TS_PLATE, "66");
    ts_write(pred, "b.lua", text);
    ts_write(gt, "c.lua", text); /* the prediction fails to run */
    ts_write(pred, "c.lua", "Extrude(Sketch(XY, Face(Loop(Line(0,0, 1,0)))), 1)\n");
    ts_write(gt, "d.lua", text);  /* no prediction at all */
    char src[700], *json = NULL;
    snprintf(src, sizeof src, "%s/data/deepcad/00000070.json", tf_shared());
    REQUIRE((json = ut_read_file(src, NULL)) != NULL);
    ts_write(gt, "e.json", json);  /* a DeepCAD file, predicted by itself */
    ts_write(pred, "e.json", json);
    free(json);
    char *log = NULL;
    snprintf(cmd, sizeof cmd, "build/recad eval %s %s --out %s --seed 3 --quiet", pred, gt, out);
    int rc = tf_run_cmd(cmd, &log);
    CHECK_MSG(rc == 0, "exit %d: %s", rc, log);
    free(log);
    snprintf(src, sizeof src, "%s/report.json", out);
    cJSON *r = ts_read_json(src);
    CHECK(ts_num(r, "items", NULL) == 5);
    CHECK(ts_num(r, "invalid", NULL) == 2);
    CHECK_NEAR(ts_num(r, "invalidity_ratio_percent", NULL), 40.0, 1e-9);
    CHECK(ts_num(r, "seed", NULL) == 3);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "metrics");
    CHECK(ts_num(m, "cd", "n") == 3 && isfinite(ts_num(m, "cd", "median")));
    CHECK(ts_num(m, "iou_best_exact", "n") == 3);
    CHECK(ts_num(m, "iou_best_exact", "max") > 0.999999);
    CHECK(ts_num(m, "iou_best_exact", "min") < 0.99); /* the wider plate */
    CHECK(ts_num(m, "pf1", "value") > 0.5);
    const cJSON *cdp = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "cd"), "protocol");
    CHECK(cJSON_IsString(cdp) && !strcmp(cdp->valuestring, "text2cad"));
    double floor = ts_num(r, "cd_noise_floor", "value");
    CHECK(floor > 0.05 && floor < 0.5); /* x1000, text2cad */
    cJSON_Delete(r);
    snprintf(src, sizeof src, "%s/cd_hist.png", out);
    char *png = ut_read_file(src, NULL);
    CHECK(png && !memcmp(png, "\x89PNG", 4));
    free(png);
    snprintf(src, sizeof src, "%s/report.md", out);
    char *md = ut_read_file(src, NULL);
    CHECK(md && strstr(md, "40.00%") && strstr(md, "text2cad") && strstr(md, "| c | no |"));
    free(md);

    /* JSONL of pairs: program text inline, a path, a malformed line, the deepcad protocol */
    char jl[700];
    snprintf(jl, sizeof jl, "%s/pairs.jsonl", tf_tmpdir());
    cJSON *p1 = cJSON_CreateObject();
    cJSON_AddStringToObject(p1, "id", "inline");
    cJSON_AddStringToObject(p1, "gt", text);
    cJSON_AddStringToObject(p1, "pred", text);
    char *l1 = cJSON_PrintUnformatted(p1);
    char body[4000];
    snprintf(body, sizeof body, "%s\n{\"id\": \"path\", \"gt\": \"%s/a.lua\", \"pred\": \"%s/b.lua\"}\nnot json\n", l1,
             gt, pred);
    free(l1);
    cJSON_Delete(p1);
    REQUIRE(ut_write_atomic(jl, body, strlen(body)) == 0);
    snprintf(cmd, sizeof cmd, "build/recad eval --pairs %s --out %s/r2 --protocol deepcad --no-visual --json --quiet", jl,
             tf_tmpdir());
    rc = tf_run_cmd(cmd, &log);
    CHECK_MSG(rc == 0, "exit %d: %s", rc, log);
    cJSON *s = cJSON_Parse(log);
    CHECK_MSG(s != NULL, "--json output is not one JSON object: %s", log);
    if (s) {
        CHECK(ts_num(s, "items", NULL) == 3 && ts_num(s, "invalid", NULL) == 1);
        const cJSON *pr = cJSON_GetObjectItemCaseSensitive(s, "protocol");
        CHECK(cJSON_IsString(pr) && !strcmp(pr->valuestring, "deepcad"));
        CHECK(ts_num(s, "points", NULL) == 2000);
    }
    cJSON_Delete(s);
    free(log);
    /* usage and file errors */
    snprintf(cmd, sizeof cmd, "build/recad eval %s %s --protocol voxel", pred, gt);
    CHECK(tf_run_cmd(cmd, &log) == 2);
    free(log);
    snprintf(cmd, sizeof cmd, "build/recad eval %s/none %s --out %s/r3", pred, gt, tf_tmpdir());
    CHECK(tf_run_cmd(cmd, &log) == 3);
    CHECK(log && strstr(log, "recad eval:"));
    free(log);
}
