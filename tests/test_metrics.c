/* Tests of the metrics (metrics.h): Chamfer distance against brute force and SciPy, protocol
 * normalisations, statistics, the eigen-solver, P-F1 on hand-made pairs worked out by hand. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "cad.h"
#include "metrics.h"
#include "tf.h"
#include "util.h"

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
    int sizes[][2] = {{1, 1}, {3, 700}, {700, 3}, {1000, 1000}, {2500, 1800}};
    for (int k = 0; k < 5; k++) {
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
        printf("python3-scipy not installed: comparison skipped\n");
        free(out);
        return;
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
