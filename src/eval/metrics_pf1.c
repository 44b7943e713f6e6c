/* mt_pf1.c - primitive F1 (Text2CAD's definition), see metrics.h and docs/metrics.md.
 * Coordinates: the models' own continuous sketch coordinates (mm), no quantisation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/hungarian.h"
#include "eval/metrics.h"
#include "base/util.h"

/* 2-D box [xmin, ymin, xmax, ymax] of a curve's defining points (line: its ends; arc: start,
 * mid, end; circle: centre +- r) */
static void mt_curve_box(const cad_curve *c, double b[4]) {
    const double *p = c->p;
    if (c->kind == CAD_CIRCLE) {
        b[0] = p[0] - p[2], b[1] = p[1] - p[2], b[2] = p[0] + p[2], b[3] = p[1] + p[2];
        return;
    }
    int np = c->kind == CAD_LINE ? 2 : 3;
    b[0] = b[2] = p[0], b[1] = b[3] = p[1];
    for (int i = 1; i < np; i++) {
        b[0] = fmin(b[0], p[2 * i]), b[2] = fmax(b[2], p[2 * i]);
        b[1] = fmin(b[1], p[2 * i + 1]), b[3] = fmax(b[3], p[2 * i + 1]);
    }
}

static void mt_loop_box(const cad_model *m, int loop, double b[4]) {
    const cad_loop *l = &m->loops[loop];
    b[0] = b[1] = INFINITY, b[2] = b[3] = -INFINITY;
    for (int i = 0; i < l->n; i++) {
        double cb[4];
        mt_curve_box(&m->curves[l->first + i], cb);
        b[0] = fmin(b[0], cb[0]), b[1] = fmin(b[1], cb[1]);
        b[2] = fmax(b[2], cb[2]), b[3] = fmax(b[3], cb[3]);
    }
}

static double mt_box_dist(const double a[4], const double b[4]) {
    double s = 0;
    for (int i = 0; i < 4; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
    return sqrt(s);
}

/* loop indices of sketch s (all faces), count in *n; NULL if the sketch does not exist */
static int *mt_sketch_loops(const cad_model *m, int s, int *n) {
    *n = 0;
    if (s >= m->nsketches) return NULL;
    const cad_sketch *sk = &m->sketches[s];
    int total = 0;
    for (int f = 0; f < sk->n; f++) total += m->faces[sk->first + f].n;
    int *loops = ut_malloc(((size_t)total + 1) * sizeof *loops);
    for (int f = 0; f < sk->n; f++) {
        const cad_face *fa = &m->faces[sk->first + f];
        for (int l = 0; l < fa->n; l++) loops[(*n)++] = fa->first + l;
    }
    return loops;
}

static void mt_count_unmatched_loop(const cad_model *m, int loop, int *counter) {
    const cad_loop *l = &m->loops[loop];
    for (int i = 0; i < l->n; i++) counter[m->curves[l->first + i].kind]++;
}

/* curves of matched loops lg (gt) and lp (pred): Hungarian on curve boxes */
static void mt_match_curves(const cad_model *g, int lg, const cad_model *p, int lp, mt_pf1_counts *c) {
    const cad_loop *a = &g->loops[lg], *b = &p->loops[lp];
    int n = a->n, m = b->n;
    double *cost = ut_malloc(((size_t)n * m + 1) * sizeof *cost);
    int *col = ut_malloc(((size_t)n + 1) * sizeof *col);
    char *used = ut_calloc((size_t)m + 1, 1);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) {
            double ba[4], bb[4];
            mt_curve_box(&g->curves[a->first + i], ba);
            mt_curve_box(&p->curves[b->first + j], bb);
            cost[(size_t)i * m + j] = mt_box_dist(ba, bb);
        }
    hu_solve(cost, n, m, col);
    for (int i = 0; i < n; i++) {
        int tg = g->curves[a->first + i].kind;
        if (col[i] < 0) {
            c->fn[tg]++;
            continue;
        }
        used[col[i]] = 1;
        int tp = p->curves[b->first + col[i]].kind;
        if (tp == tg) c->tp[tg]++;
        else c->fn[tg]++, c->fp[tp]++;
    }
    for (int j = 0; j < m; j++)
        if (!used[j]) c->fp[p->curves[b->first + j].kind]++;
    free(cost), free(col), free(used);
}

static void mt_match_sketch(const cad_model *g, const cad_model *p, int s, mt_pf1_counts *c) {
    int n, m;
    int *lg = mt_sketch_loops(g, s, &n), *lp = mt_sketch_loops(p, s, &m);
    double *cost = ut_malloc(((size_t)n * m + 1) * sizeof *cost);
    int *col = ut_malloc(((size_t)n + 1) * sizeof *col);
    char *used = ut_calloc((size_t)m + 1, 1);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) {
            double ba[4], bb[4];
            mt_loop_box(g, lg[i], ba);
            mt_loop_box(p, lp[j], bb);
            cost[(size_t)i * m + j] = mt_box_dist(ba, bb);
        }
    hu_solve(cost, n, m, col);
    for (int i = 0; i < n; i++) {
        if (col[i] < 0) {
            mt_count_unmatched_loop(g, lg[i], c->fn);
            continue;
        }
        used[col[i]] = 1;
        mt_match_curves(g, lg[i], p, lp[col[i]], c);
    }
    for (int j = 0; j < m; j++)
        if (!used[j]) mt_count_unmatched_loop(p, lp[j], c->fp);
    free(lg), free(lp), free(cost), free(col), free(used);
}

void mt_pf1_sample(const cad_model *gt, const cad_model *pred, mt_pf1_counts *out) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < gt->ncurves; i++) out->gt_has[gt->curves[i].kind] = 1;
    int ns = gt->nsketches > pred->nsketches ? gt->nsketches : pred->nsketches;
    for (int s = 0; s < ns; s++) mt_match_sketch(gt, pred, s, out);
}

double mt_pf1_f1(const mt_pf1_counts *c, int type) {
    int den = 2 * c->tp[type] + c->fp[type] + c->fn[type];
    return den > 0 ? 2.0 * c->tp[type] / den : 0.0;
}

void mt_pf1_add(mt_pf1_acc *acc, const mt_pf1_counts *c) {
    for (int t = 0; t < MT_PF1_TYPES; t++)
        if (c->gt_has[t]) acc->sum[t] += mt_pf1_f1(c, t), acc->n[t]++;
}

double mt_pf1_value(const mt_pf1_acc *acc, double per_type[MT_PF1_TYPES]) {
    double sum = 0;
    int k = 0;
    for (int t = 0; t < MT_PF1_TYPES; t++) {
        double v = acc->n[t] > 0 ? acc->sum[t] / acc->n[t] : NAN;
        if (per_type) per_type[t] = v;
        if (acc->n[t] > 0) sum += v, k++;
    }
    return k > 0 ? sum / k : NAN;
}
