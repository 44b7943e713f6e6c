/* solid_int.h - internals shared by the solid kernel's files (not a public interface).
 *
 *   solid.c       building, booleans, transforms, membership, rays (interval CSG), the API
 *   sd_section.c  exact mass properties and box when all prisms share one direction
 *   sd_quad.c     quadrature with geometric breakpoints for several directions
 *   sd_sample.c   uniform surface samples
 *
 * Conventions: a prism's frame is world = o + u X + v Y + w N (orthonormal, right-handed), its
 * slab w in [w0, w1], its profile the face's loops as g2 curves in (u, v), membership by the
 * even-odd rule (g2_region). Lengths in model units (mm).
 */
#ifndef RECAD_SOLID_INT_H
#define RECAD_SOLID_INT_H

#include <math.h>

#include "geom/geo2d.h"
#include "geom/solid.h"
#include "base/util.h"

typedef struct {
    double o[3], X[3], Y[3], N[3]; /* frame: world = o + u X + v Y + w N (orthonormal) */
    double w0, w1;                 /* slab along N, w0 < w1 */
    g2_curve *c;                   /* nc profile curves (all loops of the face), (u, v) */
    int nc;
    g2_region rg;                  /* point in profile (even-odd) */
    double lo[3], hi[3];           /* world bounding box */
    double area, perim;            /* profile area and boundary length */
} sd_prism;

enum { SD_LEAF = -1 };
typedef struct {
    int op;              /* SD_LEAF or CAD_JOIN / CAD_CUT / CAD_INTERSECT */
    int a, b;            /* children (nodes), or a = prism index for a leaf */
    double lo[3], hi[3]; /* bounding box of the node's point set (may be empty: lo > hi) */
} sd_node;

struct sd_solid {
    sd_prism *pr;
    int npr, cap_pr;
    sd_node *nd;
    int nnd, cap_nd;
    int root, depth; /* depth: longest root-to-leaf path (nodes) */
    double size;     /* model size: diagonal of all prisms' boxes */
    double scale;    /* size or the largest coordinate, whichever is larger (rounding scale) */
};

/* an inside interval of a line o + t d with the outward unit normals at its two ends */
typedef struct {
    double t0, t1;
    double n0[3], n1[3];
} sd_iv;

#define SD_MAXIV 256 /* intervals per list; more are dropped */

/* per-thread scratch: interval blocks for the tree recursion and line crossings */
typedef struct {
    sd_iv *buf;
    int nblocks, used;
    struct sd_cross {
        double t, n[2];
    } *cr;
    int ncr;
} sd_ws;

#define SD_XOR 4 /* symmetric difference, for sd_iv_bool */

/* small vector helpers */

static inline double sd_dot(const double a[3], const double b[3]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

static inline void sd_to_world(const sd_prism *p, double u, double v, double w, double out[3]) {
    for (int i = 0; i < 3; i++) out[i] = p->o[i] + u * p->X[i] + v * p->Y[i] + w * p->N[i];
}

static inline void sd_to_local(const sd_prism *p, const double q[3], double out[3]) {
    double d[3] = {q[0] - p->o[0], q[1] - p->o[1], q[2] - p->o[2]};
    out[0] = sd_dot(d, p->X);
    out[1] = sd_dot(d, p->Y);
    out[2] = sd_dot(d, p->N);
}

static inline void sd_box_empty(double lo[3], double hi[3]) {
    for (int i = 0; i < 3; i++) lo[i] = INFINITY, hi[i] = -INFINITY;
}

static inline void sd_box_add(double lo[3], double hi[3], const double p[3]) {
    for (int i = 0; i < 3; i++) lo[i] = fmin(lo[i], p[i]), hi[i] = fmax(hi[i], p[i]);
}

static inline int sd_box_has(const double lo[3], const double hi[3], const double p[3], double tol) {
    return p[0] >= lo[0] - tol && p[0] <= hi[0] + tol && p[1] >= lo[1] - tol && p[1] <= hi[1] + tol &&
           p[2] >= lo[2] - tol && p[2] <= hi[2] + tol;
}

/* ---- solid.c ---- */
/* world box of curve c of the frame (o, X, Y, N) placed at height w, added to lo/hi (exact) */
void sd_curve_box3(const double o[3], const double X[3], const double Y[3], const double N[3], const g2_curve *c,
                   double w, double lo[3], double hi[3]);
int sd_prism_has(const sd_prism *p, const double q[3]);   /* q strictly inside prism p */
int sd_eval(const sd_solid *s, int k, const double q[3]); /* q inside node k */
sd_ws *sd_ws_reserve(const sd_solid *s); /* this thread's scratch, sized for a walk of s's tree */
sd_iv *sd_ws_block(sd_ws *ws);           /* one block of SD_MAXIV intervals from the scratch */
/* crossings of the 2-D line o + t d with the profile curves of p, sorted by t */
int sd_line_crossings(const sd_prism *p, const double o[2], const double d[2], struct sd_cross *cr);
/* boolean of two sorted interval lists (op JOIN / CUT / INTERSECT / SD_XOR) into out */
int sd_iv_bool(const sd_iv *A, int na, const sd_iv *B, int nb, int op, sd_iv *out);
int sd_line_box(const double lo[3], const double hi[3], const double o[3], const double d[3]); /* line meets box */
/* inside intervals (t over all reals) of the line o + t d in node k, into out (SD_MAXIV room) */
int sd_ray_node(const sd_solid *s, int k, const double o[3], const double d[3], sd_ws *ws, sd_iv *out);
int sd_cmp_double(const void *x, const void *y); /* qsort order of doubles */

/* ---- sd_section.c: one extrusion direction ---- */
/* a piece of a profile curve between two consecutive split parameters */
typedef struct {
    int curve;
    double t0, t1, len;
    double mid[2], nl[2]; /* midpoint and unit normal to the left of the curve's direction */
    int dup0, ndup;       /* lower-index curves that contain the piece: dup[dup0 .. dup0+ndup) */
    double m[6];          /* Green's integrals of the piece (g2_moments), valid if have_m */
    int have_m;
} sd_piece;

typedef struct {
    g2_curve *c; /* all profile curves mapped into the frame of prism 0 */
    int *cpr;    /* prism of each curve */
    int nc;
    double (*cbox)[4]; /* per curve 2-D box: lo x, lo y, hi x, hi y */
    g2_region *rg;     /* per prism, frame of prism 0 */
    int (*slab)[2];    /* per prism: indices into cut[] of its slab ends */
    double *cut;       /* sorted distinct slab ends along N of prism 0 */
    int ncut;
    unsigned char *act; /* (ncut-1) x npr: 1 if the prism spans interval k */
    sd_piece *pc;
    int np, cap_pc;
    int *dup;
    int ndup, cap_dup;
    unsigned char *mem; /* (ncut-1) x np: bit 0 inside on the left, bit 1 inside on the right */
} sd_sec;

int sd_sec_build(const sd_solid *s, sd_sec *S); /* 0 if the prisms have several directions */
void sd_sec_free(sd_sec *S, int npr);
/* volume V, first moments F = int q, second moments M = int q q^T (prism 0's frame), area */
void sd_sec_props(const sd_solid *s, sd_sec *S, double *V, double F[3], double M[9], double *area);
void sd_sec_box(const sd_solid *s, sd_sec *S, double lo[3], double hi[3]); /* exact world box */

/* ---- sd_quad.c: several directions ---- */
void sd_quad_volume(const sd_solid *s, double *V, double F[3], double M[9]); /* as sd_sec_props */
double sd_quad_area(const sd_solid *s);
void sd_quad_box(const sd_solid *s, double lo[3], double hi[3]);

#endif
