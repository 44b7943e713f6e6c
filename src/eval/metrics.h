/* metrics.h - how close a predicted part is to its ground truth (GT): Chamfer distance, volume
 * IoU, IoU_best (voxel and exact), primitive F1, visual similarity, and summary statistics.
 * docs/metrics.md gives the formulas, the protocols, the noise floors and measured numbers.
 *
 * Protocols (mt_protocol) fix how the two shapes are normalised before a distance is taken:
 *   MT_TEXT2CAD  8192 points; each cloud divided by its own global coordinate range
 *                (max minus min over all coordinates of all axes); no centring.
 *   MT_UNITCUBE  8192 points; each shape centred on its bounding-box centre, scaled by
 *                1 / (largest bbox extent), shifted by +0.5 (the GT lands in [0,1]^3).
 *   MT_DEEPCAD   2000 points; each shape scaled about the origin by 0.75 / max|coordinate| of
 *                its bounding box (lands in [-0.75, 0.75]^3); no centring.
 * For point clouds the text2cad range is the cloud's own; for solids (volume IoU) it is the
 * exact bounding box's. The unitcube and deepcad boxes are the solids' exact boxes (sd_bbox).
 *
 * Chamfer distance (CD) of clouds A, B: mean over a in A of min_b |a-b|^2 plus mean over b in B
 * of min_a |a-b|^2 (the two directions summed, not halved), in normalised units. Papers print
 * it x1000 for text2cad and unitcube (mt_protocol_cd_scale), as is for deepcad. Surface samples
 * are exact and uniform by area (sd_sample_surface); a seed fixes each cloud.
 *
 * IoU_best: each solid is moved to its centroid, scaled by 1/r_g (r_g = sqrt(trace(I)/(2V)),
 * the radius of gyration) and rotated so that its principal axes (eigenvectors of the inertia
 * tensor about the centroid, eigenvalues in decreasing order, basis made right-handed) become
 * x, y, z. The prediction is then tried in the 4 proper sign flips diag(1,1,1), (1,-1,-1),
 * (-1,1,-1), (-1,-1,1) - never mirror images - and the best IoU is kept. Voxel variant (the
 * published protocol): IoU of the voxels of one grid of pitch 0.05 (r_g units) whose centres lie
 * inside each solid. Exact variant: the kernel's volume of the aligned solids' intersection,
 * IoU = V(A n B) / (V(A) + V(B) - V(A n B)), computed for the rotations whose coarse voxel IoU
 * (pitch 0.1) is within 0.1 of the best coarse one (the others cannot win; exact volumes of
 * non-parallel prisms are costly).
 *
 * Errors: functions returning int give 0 on success, -1 + ut_error() on failure. Thread safety:
 * every function may run concurrently on different (or the same read-only) solids.
 */
#ifndef RECAD_METRICS_H
#define RECAD_METRICS_H

#include <stdint.h>

#include "model/cad.h"
#include "eval/kdtree.h"
#include "geom/solid.h"

/* ---- protocols ---- */
typedef enum { MT_TEXT2CAD = 0, MT_UNITCUBE = 1, MT_DEEPCAD = 2 } mt_protocol;
const char *mt_protocol_name(mt_protocol p);         /* "text2cad" "unitcube" "deepcad" */
int mt_protocol_parse(const char *s, mt_protocol *p); /* -1 + ut_error() if unknown */
int mt_protocol_points(mt_protocol p);               /* 8192, 8192, 2000 */
double mt_protocol_cd_scale(mt_protocol p);          /* factor for printing: 1000, 1000, 1 */

/* Normalises a cloud pts (n*3) in place. lo/hi: the shape's bounding box (used by unitcube
 * and deepcad; text2cad uses the cloud's own range and ignores them, NULL allowed). */
void mt_normalise_cloud(mt_protocol p, double *pts, int n, const double lo[3], const double hi[3]);
/* The similarity p' = scale * p + t that the protocol applies to a shape with bounding box
 * lo/hi (text2cad: the box's global coordinate range). -1 if the box is degenerate. */
int mt_normalisation(mt_protocol p, const double lo[3], const double hi[3], double *scale, double t[3]);

/* ---- Chamfer distance ---- */
/* CD of two clouds (a: na*3, b: nb*3), raw (not x1000). -1 + ut_error() if a cloud is empty.
 * Each calling thread keeps its two k-d trees between calls (rebuilt in place: no allocation for
 * clouds no larger than before); clouds over 65536 points give that memory back. */
double mt_chamfer_points(const double *a, int na, const double *b, int nb);
/* Samples npts points on each solid (gt with seed_gt, pred with seed_pred), normalises each
 * by the protocol and returns the raw CD in *cd. npts <= 0 picks the protocol's count. */
int mt_chamfer(const sd_solid *gt, const sd_solid *pred, mt_protocol p, int npts, uint64_t seed_gt,
               uint64_t seed_pred, double *cd);
/* mt_chamfer_points with the first cloud's tree already built (a: its points in the order given
 * to kd_build); the second cloud gets this thread's kept tree. The same value, bit for bit. */
double mt_chamfer_tree(const kd_tree *a, const double *b, int nb);

/* A prepared cloud: the surface samples of one solid normalised by a protocol, in a k-d tree, so
 * that one ground truth measured against many predictions is sampled once. Read-only once built:
 * concurrent mt_chamfer_cloud calls may share it. */
typedef struct {
    mt_protocol protocol;
    int n;         /* points */
    kd_tree *tree; /* the normalised points; NULL in a freed or failed cloud */
} mt_cloud;
/* npts samples of s from seed, normalised by p (npts <= 0: the protocol's count). 0, or -1 +
 * ut_error() (empty solid); out is zeroed on failure. */
int mt_cloud_build(const sd_solid *s, mt_protocol p, int npts, uint64_t seed, mt_cloud *out);
void mt_cloud_free(mt_cloud *c);
/* CD of the prepared gt cloud and pred sampled from seed_pred with gt's protocol and count:
 * equal, bit for bit, to mt_chamfer(gt's solid, pred, protocol, n, gt's seed, seed_pred). */
int mt_chamfer_cloud(const mt_cloud *gt, const sd_solid *pred, uint64_t seed_pred, double *cd);

/* ---- volume IoU ---- */
/* Exact IoU of two solids as they are placed (kernel volumes). */
int mt_iou(const sd_solid *a, const sd_solid *b, double *iou);
/* Exact IoU after normalising each solid by the protocol. */
int mt_iou_protocol(const sd_solid *gt, const sd_solid *pred, mt_protocol p, double *iou);
/* The solid normalised by the protocol's similarity (from its exact box); NULL + ut_error(). */
sd_solid *mt_normalise_solid(const sd_solid *s, mt_protocol p);
/* mt_iou with a's volume va already known (sd_volume(a)): one ground truth, many predictions. */
int mt_iou_vol(const sd_solid *a, double va, const sd_solid *b, double *iou);

/* ---- IoU_best ---- */
/* eigen-decomposition of a symmetric 3x3 matrix A (row-major) by cyclic Jacobi rotations:
 * ev[3] in decreasing order, V row-major with column k the unit eigenvector of ev[k], det V = +1 */
void mt_eig_sym3(const double A[9], double ev[3], double V[9]);

typedef struct {
    double volume;  /* mm^3 */
    double c[3];    /* centroid, mm */
    double rg;      /* radius of gyration sqrt(trace(I) / (2V)), mm */
    double ev[3];   /* inertia eigenvalues, decreasing */
    double R[9];    /* row-major; rows = principal axes: x' = R (p - c) / rg */
    double lo[3], hi[3]; /* bounding box, mm */
} mt_frame;
int mt_frame_of(const sd_solid *s, mt_frame *f);

/* The proper sign flips tried by IoU_best: MT_FLIPS[k][axis] = +-1. */
#define MT_NFLIPS 4
extern const double MT_FLIPS[MT_NFLIPS][3];

typedef struct {
    double pitch;     /* voxel pitch in r_g units; <= 0 selects 0.05 */
    double offset[3]; /* shift of the grid, in pitches (0 = a voxel centre at (pitch/2, ...)) */
    int refine;       /* 1: also try rotations about near-degenerate principal axes (see docs) */
} mt_best_opts;
typedef struct {
    double iou;     /* best IoU over the tried rotations */
    int flip;       /* index into MT_FLIPS of the best (refined rotations: -1) */
    int tried;      /* voxel: rotations scored; exact: rotations whose exact volumes were computed */
    long voxels;    /* grid cells per rotation (exact: of the screening grid, 0 if none) */
} mt_best;
/* fg, fp: frames of gt and pred (from mt_frame_of), or NULL to compute them here. */
int mt_iou_best_exact(const sd_solid *gt, const mt_frame *fg, const sd_solid *pred, const mt_frame *fp,
                      const mt_best_opts *o, mt_best *out);
int mt_iou_best_voxel(const sd_solid *gt, const mt_frame *fg, const sd_solid *pred, const mt_frame *fp,
                      const mt_best_opts *o, mt_best *out);

/* ---- primitive F1 (Text2CAD's definition; continuous sketch coordinates, see docs) ---- */
enum { MT_PF1_LINE = 0, MT_PF1_ARC = 1, MT_PF1_CIRCLE = 2, MT_PF1_TYPES = 3 };
typedef struct {
    int tp[MT_PF1_TYPES], fp[MT_PF1_TYPES], fn[MT_PF1_TYPES];
    int gt_has[MT_PF1_TYPES]; /* the GT contains this curve type */
} mt_pf1_counts;
/* Pairs sketches by order, matches loops then curves with the Hungarian algorithm, counts. */
void mt_pf1_sample(const cad_model *gt, const cad_model *pred, mt_pf1_counts *out);
/* per-sample F1 of a type, 2TP / (2TP + FP + FN) (0 when nothing was matched) */
double mt_pf1_f1(const mt_pf1_counts *c, int type);
typedef struct {
    double sum[MT_PF1_TYPES];
    int n[MT_PF1_TYPES];
} mt_pf1_acc; /* zero-initialise */
void mt_pf1_add(mt_pf1_acc *acc, const mt_pf1_counts *c);
/* dataset P-F1: mean over types (present in some GT) of the per-type mean F1 over samples
 * whose GT contains the type; per_type (3, or NULL) gets those means (NaN if never present). */
double mt_pf1_value(const mt_pf1_acc *acc, double per_type[MT_PF1_TYPES]);

/* ---- visual similarity (normal and depth renders, see docs) ---- */
#define MT_VIS_SIZE 96 /* default render size, pixels */
/* chord tolerance of the renders' meshes, relative to the part's diagonal: a pixel of a 96-pixel
 * render is 0.7-1.2 % of the diagonal, so the chords stay within a third of a pixel */
#define MT_VIS_TOL_REL 2e-3
/* 1 for identical solids, lower with shape difference, in [0, 1]. size <= 0: MT_VIS_SIZE. */
int mt_visual_similarity(const cad_model *a, const cad_model *b, int size, double *sim);
/* The same in two steps, so that one part's renders serve many comparisons: the renders of a part
 * (NULL + ut_error() if it cannot be meshed or rendered), and the similarity of two parts'
 * renders (NaN if their sizes differ). mt_visual_compare(render(a), render(b)) equals mt_visual_similarity. */
typedef struct mt_views mt_views; /* opaque; read-only once made */
mt_views *mt_views_render(const cad_model *m, int size);
void mt_views_free(mt_views *v);
double mt_visual_compare(const mt_views *a, const mt_views *b);

/* ---- summary statistics ---- */
typedef struct {
    int n;
    double mean, median, min, max, p25, p75, p90, p95;
} mt_stats;
/* of the finite values among v[0..n); percentiles by linear interpolation between order
 * statistics; n = 0 gives all NaN */
void mt_stats_of(const double *v, int n, mt_stats *out);
/* invalidity ratio in percent: invalid / total * 100 (0 when total is 0) */
double mt_invalidity_ratio(int invalid, int total);

#endif
