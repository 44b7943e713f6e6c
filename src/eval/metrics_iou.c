/* mt_iou.c - volume IoU and IoU_best (exact and voxel), see metrics.h and docs/metrics.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/metrics.h"
#include "base/budget.h"
#include "base/util.h"

const double MT_FLIPS[MT_NFLIPS][3] = {{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}};

#define MT_MAX_ROT 160       /* rotations tried at most (4 flips x refinements) */
#define MT_DEGENERATE 0.02   /* eigenvalues closer than this (relative) make an axis pair ambiguous */
#define MT_REFINE_STEPS 24   /* refinement: rotations about an ambiguous axis in steps of 15 degrees */
#define MT_SCREEN_PITCH 0.1  /* exact variant: pitch (r_g units) of the coarse voxel screening */
#define MT_SCREEN_MARGIN 0.1 /* exact variant: rotations whose coarse estimate is within this of the best get exact volumes */

/* ---- small 3x3 helpers (row-major) ---- */

static void mt_mat3_mul(const double A[9], const double B[9], double C[9]) {
    double T[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) T[3 * i + j] = A[3 * i] * B[j] + A[3 * i + 1] * B[3 + j] + A[3 * i + 2] * B[6 + j];
    memcpy(C, T, sizeof T);
}

static void mt_mat3_transpose(const double A[9], double T[9]) {
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) T[3 * j + i] = A[3 * i + j];
}

static void mt_mat3_apply(const double A[9], const double x[3], double y[3]) {
    for (int i = 0; i < 3; i++) y[i] = A[3 * i] * x[0] + A[3 * i + 1] * x[1] + A[3 * i + 2] * x[2];
}

/* rotation by angle a about coordinate axis ax */
static void mt_mat3_axis_rotation(int ax, double a, double Q[9]) {
    int i = (ax + 1) % 3, j = (ax + 2) % 3;
    memset(Q, 0, 9 * sizeof *Q);
    Q[3 * ax + ax] = 1;
    Q[3 * i + i] = cos(a), Q[3 * i + j] = -sin(a);
    Q[3 * j + i] = sin(a), Q[3 * j + j] = cos(a);
}

int mt_frame_of(const sd_solid *s, mt_frame *f) {
    sd_props pr;
    if (sd_mass_props(s, &pr) != 0) return -1;
    double tr = pr.inertia[0] + pr.inertia[4] + pr.inertia[8];
    if (!(pr.volume > 0) || !(tr > 0)) return ut_fail("degenerate solid (volume %g)", pr.volume);
    f->volume = pr.volume;
    memcpy(f->c, pr.centroid, sizeof f->c);
    memcpy(f->lo, pr.lo, sizeof f->lo);
    memcpy(f->hi, pr.hi, sizeof f->hi);
    f->rg = sqrt(tr / (2 * pr.volume));
    double V[9];
    mt_eig_sym3(pr.inertia, f->ev, V);
    mt_mat3_transpose(V, f->R);
    return 0;
}

/* ---- plain IoU ---- */

/* volume of a n b (0 when empty); sd_volume skips the surface-area work of sd_mass_props */
static int mt_inter_volume(const sd_solid *a, const sd_solid *b, double *v) {
    sd_solid *i = sd_combine(a, b, CAD_INTERSECT);
    if (!i) return -1;
    double vi = sd_volume(i);
    *v = vi > 0 ? vi : 0.0;
    sd_free(i);
    return 0;
}

static double mt_ratio(double vi, double va, double vb) {
    double u = va + vb - vi;
    return u > 0 ? fmax(0.0, fmin(1.0, vi / u)) : 0.0;
}

int mt_iou_vol(const sd_solid *a, double va, const sd_solid *b, double *iou) {
    double vb = sd_volume(b), vi;
    if (!(va > 0) || !(vb > 0)) return ut_fail("IoU of an empty solid");
    if (mt_inter_volume(a, b, &vi) != 0) return -1;
    *iou = mt_ratio(vi, va, vb);
    return 0;
}

int mt_iou(const sd_solid *a, const sd_solid *b, double *iou) { return mt_iou_vol(a, sd_volume(a), b, iou); }

sd_solid *mt_normalise_solid(const sd_solid *s, mt_protocol p) {
    double lo[3], hi[3], sc, t[3];
    static const double I[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    if (sd_bbox(s, lo, hi) != 0 || mt_normalisation(p, lo, hi, &sc, t) != 0) return NULL;
    return sd_transform(s, I, sc, t);
}

int mt_iou_protocol(const sd_solid *gt, const sd_solid *pred, mt_protocol p, double *iou) {
    sd_solid *a = mt_normalise_solid(gt, p), *b = a ? mt_normalise_solid(pred, p) : NULL;
    int rc = b ? mt_iou(a, b, iou) : -1;
    sd_free(a);
    sd_free(b);
    return rc;
}

/* ---- IoU_best: candidate rotations ---- */

static int mt_ambiguous(const double ev[3], int pair) { /* pair 0: ev0~ev1, 1: ev1~ev2 */
    return ev[pair] - ev[pair + 1] <= MT_DEGENERATE * ev[0];
}

/* Rotations Q (in normalised coordinates) applied to the prediction's aligned frame: the 4
 * sign flips; with refine, also each flip followed by rotations about an axis whose two
 * companions have near-equal eigenvalues (in either solid). Returns the count. */
static int mt_candidates(const mt_frame *fg, const mt_frame *fp, int refine, double Q[][9]) {
    int n = 0;
    for (int k = 0; k < MT_NFLIPS; k++) {
        memset(Q[n], 0, sizeof Q[n]);
        for (int d = 0; d < 3; d++) Q[n][4 * d] = MT_FLIPS[k][d];
        n++;
    }
    if (!refine) return n;
    for (int pair = 0; pair < 2; pair++) {
        if (!mt_ambiguous(fg->ev, pair) && !mt_ambiguous(fp->ev, pair)) continue;
        int ax = pair == 0 ? 2 : 0; /* ev0 ~ ev1: the xy plane is ambiguous, rotate about z */
        for (int k = 0; k < MT_NFLIPS; k++)
            for (int s = 1; s < MT_REFINE_STEPS && n < MT_MAX_ROT; s++) {
                double Rz[9];
                mt_mat3_axis_rotation(ax, 2 * M_PI * s / MT_REFINE_STEPS, Rz);
                mt_mat3_mul(Rz, Q[k], Q[n]);
                n++;
            }
    }
    return n;
}

/* pred -> gt's original space through rotation Q of the normalised frame:
 * p' = c_g + (rg_g / rg_p) Rg^T Q Rp (p - c_p) */
static void mt_alignment(const mt_frame *fg, const mt_frame *fp, const double Q[9], double M[9], double *scale,
                         double t[3]) {
    double RgT[9], QRp[9], Mc[3];
    mt_mat3_transpose(fg->R, RgT);
    mt_mat3_mul(Q, fp->R, QRp);
    mt_mat3_mul(RgT, QRp, M);
    *scale = fg->rg / fp->rg;
    mt_mat3_apply(M, fp->c, Mc);
    for (int d = 0; d < 3; d++) t[d] = fg->c[d] - *scale * Mc[d];
}

static int mt_frames(const sd_solid *gt, const mt_frame **fg, mt_frame *bg, const sd_solid *pred, const mt_frame **fp,
                     mt_frame *bp) {
    if (!*fg) {
        if (mt_frame_of(gt, bg) != 0) return ut_fail("ground truth: %s", ut_error());
        *fg = bg;
    }
    if (!*fp) {
        if (mt_frame_of(pred, bp) != 0) return ut_fail("prediction: %s", ut_error());
        *fp = bp;
    }
    return 0;
}

static int mt_voxel_scores(const sd_solid *gt, const mt_frame *fg, const sd_solid *pred, const mt_frame *fp,
                           double (*Q)[9], int nq, double pitch, const double *offset, double *score, long *cells);

int mt_iou_best_exact(const sd_solid *gt, const mt_frame *fg, const sd_solid *pred, const mt_frame *fp,
                      const mt_best_opts *o, mt_best *out) {
    mt_frame bg, bp;
    if (mt_frames(gt, &fg, &bg, pred, &fp, &bp) != 0) return -1;
    double (*Q)[9] = ut_malloc(MT_MAX_ROT * sizeof *Q), est[MT_MAX_ROT], best_est = 0;
    int nq = mt_candidates(fg, fp, o && o->refine, Q);
    *out = (mt_best){-1, 0, 0, 0};
    /* screening: a coarse voxel IoU per rotation; the exact volumes (expensive when the aligned
     * prisms are not parallel) only for the rotations that come close to the best estimate */
    if (nq > 1 && mt_voxel_scores(gt, fg, pred, fp, Q, nq, MT_SCREEN_PITCH, NULL, est, &out->voxels) == 0) {
        for (int k = 0; k < nq; k++) best_est = fmax(best_est, est[k]);
    } else {
        for (int k = 0; k < nq; k++) est[k] = 1;
        best_est = 1;
    }
    for (int k = 0; k < nq; k++) {
        if (est[k] < best_est - MT_SCREEN_MARGIN) continue;
        out->tried++;
        double M[9], sc, t[3], vi;
        mt_alignment(fg, fp, Q[k], M, &sc, t);
        sd_solid *moved = sd_transform(pred, M, sc, t);
        int rc = moved ? mt_inter_volume(gt, moved, &vi) : -1;
        sd_free(moved);
        if (rc != 0) {
            free(Q);
            return -1;
        }
        double iou = mt_ratio(vi, fg->volume, fp->volume * sc * sc * sc);
        if (iou > out->iou) out->iou = iou, out->flip = k < MT_NFLIPS ? k : -1;
    }
    free(Q);
    return 0;
}

/* ---- IoU_best: voxels ---- */

/* Box of the solid in its normalised frame x' = R (p - c) / rg: the exact box of the transformed
 * solid. Falls back to the image of the world box's corners (larger) if the transform fails. */
static void mt_norm_box(const sd_solid *s, const mt_frame *f, double lo[3], double hi[3]) {
    double t[3], Rc[3];
    mt_mat3_apply(f->R, f->c, Rc);
    for (int d = 0; d < 3; d++) t[d] = -Rc[d] / f->rg;
    sd_solid *n = sd_transform(s, f->R, 1 / f->rg, t);
    int ok = n && sd_bbox(n, lo, hi) == 0;
    sd_free(n);
    if (ok) return;
    for (int d = 0; d < 3; d++) lo[d] = INFINITY, hi[d] = -INFINITY;
    for (int k = 0; k < 8; k++) {
        double p[3], x[3];
        for (int d = 0; d < 3; d++) p[d] = (((k >> d) & 1) ? f->hi[d] : f->lo[d]) - f->c[d];
        mt_mat3_apply(f->R, p, x);
        for (int d = 0; d < 3; d++) lo[d] = fmin(lo[d], x[d] / f->rg), hi[d] = fmax(hi[d], x[d] / f->rg);
    }
}

/* box of the image Q x of the box [lo, hi] */
static void mt_rotate_box(const double Q[9], const double lo[3], const double hi[3], double olo[3], double ohi[3]) {
    for (int d = 0; d < 3; d++) olo[d] = INFINITY, ohi[d] = -INFINITY;
    for (int k = 0; k < 8; k++) {
        double p[3], x[3];
        for (int d = 0; d < 3; d++) p[d] = ((k >> d) & 1) ? hi[d] : lo[d];
        mt_mat3_apply(Q, p, x);
        for (int d = 0; d < 3; d++) olo[d] = fmin(olo[d], x[d]), ohi[d] = fmax(ohi[d], x[d]);
    }
}

/* world point of normalised point x: p = c + rg (Q R)^T x */
static void mt_unnormalise(const mt_frame *f, const double QRt[9], const double x[3], double p[3]) {
    mt_mat3_apply(QRt, x, p);
    for (int d = 0; d < 3; d++) p[d] = f->c[d] + f->rg * p[d];
}

typedef struct {
    int n[3];         /* cells per axis */
    long first[3];    /* index of the first cell per axis */
    double pitch, off[3];
} mt_grid;

static void mt_cell_centre(const mt_grid *g, long i, double x[3]) {
    long c[3] = {i % g->n[0], (i / g->n[0]) % g->n[1], i / ((long)g->n[0] * g->n[1])};
    for (int d = 0; d < 3; d++) x[d] = (g->first[d] + c[d] + 0.5 + g->off[d]) * g->pitch;
}

/* occupancy of solid s seen through QRt (normalised -> world) at every cell centre */
static long mt_voxelise(const sd_solid *s, const mt_frame *f, const double QRt[9], const mt_grid *g,
                        unsigned char *occ) {
    long total = (long)g->n[0] * g->n[1] * g->n[2], count = 0;
    bg_budget *budget = bg_current(); /* the caller's geometry budget, shared by the team */
#pragma omp parallel reduction(+ : count)
    {
        bg_budget *old = bg_attach(budget);
#pragma omp for schedule(dynamic, 256)
        for (long i = 0; i < total; i++) {
            double x[3], p[3];
            mt_cell_centre(g, i, x);
            mt_unnormalise(f, QRt, x, p);
            occ[i] = (unsigned char)(sd_contains(s, p) != 0);
            count += occ[i];
        }
        bg_attach(old);
    }
    return count;
}

/* Voxel IoU of gt against pred under each rotation Q[k] (score[k]), on one grid of the given
 * pitch and offset (pitches) covering every candidate; *cells = grid size. */
static int mt_voxel_scores(const sd_solid *gt, const mt_frame *fg, const sd_solid *pred, const mt_frame *fp,
                           double (*Q)[9], int nq, double pitch, const double *offset, double *score, long *cells) {
    double lo[3], hi[3], plo[3], phi[3], l2[3], h2[3];
    mt_norm_box(gt, fg, lo, hi);
    mt_norm_box(pred, fp, plo, phi);
    for (int k = 0; k < nq; k++) {
        mt_rotate_box(Q[k], plo, phi, l2, h2);
        for (int d = 0; d < 3; d++) lo[d] = fmin(lo[d], l2[d]), hi[d] = fmax(hi[d], h2[d]);
    }
    mt_grid g;
    g.pitch = pitch;
    for (int d = 0; d < 3; d++) {
        g.off[d] = offset ? offset[d] - floor(offset[d]) : 0;
        g.first[d] = (long)floor(lo[d] / g.pitch - 0.5 - g.off[d]);
        long last = (long)ceil(hi[d] / g.pitch - 0.5 - g.off[d]);
        g.n[d] = (int)(last - g.first[d] + 1);
    }
    long total = (long)g.n[0] * g.n[1] * g.n[2];
    if (total > 200L * 1000 * 1000) return ut_fail("voxel grid too large (%ld cells)", total);
    *cells = total;
    unsigned char *og = ut_malloc((size_t)total), *op = ut_malloc((size_t)total);
    double Rt[9];
    mt_mat3_transpose(fg->R, Rt);
    long ng = mt_voxelise(gt, fg, Rt, &g, og);
    for (int k = 0; k < nq; k++) {
        double QR[9];
        mt_mat3_mul(Q[k], fp->R, QR);
        mt_mat3_transpose(QR, Rt);
        long np = mt_voxelise(pred, fp, Rt, &g, op), ni = 0;
        for (long i = 0; i < total; i++) ni += og[i] & op[i];
        score[k] = ng + np - ni > 0 ? (double)ni / (double)(ng + np - ni) : 0.0;
    }
    free(og);
    free(op);
    return 0;
}

int mt_iou_best_voxel(const sd_solid *gt, const mt_frame *fg, const sd_solid *pred, const mt_frame *fp,
                      const mt_best_opts *o, mt_best *out) {
    mt_frame bg, bp;
    if (mt_frames(gt, &fg, &bg, pred, &fp, &bp) != 0) return -1;
    double (*Q)[9] = ut_malloc(MT_MAX_ROT * sizeof *Q), score[MT_MAX_ROT];
    int nq = mt_candidates(fg, fp, o && o->refine, Q);
    *out = (mt_best){-1, 0, nq, 0};
    int rc = mt_voxel_scores(gt, fg, pred, fp, Q, nq, o && o->pitch > 0 ? o->pitch : 0.05, o ? o->offset : NULL,
                             score, &out->voxels);
    for (int k = 0; rc == 0 && k < nq; k++)
        if (score[k] > out->iou) out->iou = score[k], out->flip = k < MT_NFLIPS ? k : -1;
    free(Q);
    return rc;
}
