/* geo2d.h - exact 2-D curves of sketches: line segments and circular arcs.
 *
 * A g2_curve is a segment or an arc (a full circle is an arc of sweep +-2pi). Every curve is
 * parametrised by t in [0, 1]:
 *   segment: p(t) = p0 + t (p1 - p0)
 *   arc:     p(t) = c + r (cos(a0 + t sw), sin(a0 + t sw))   sw > 0: counter-clockwise
 * The end points p0/p1 are stored for both kinds; for arcs they may differ from the evaluated
 * ends by a rounding-level amount (g2_chain snaps neighbours so that loops close bit-exactly,
 * which the crossing-number test relies on).
 *
 * What the module computes, exactly (no polygonisation):
 *   - evaluation, derivative, length, bounding box (arcs' extreme points), sub-curves, maps
 *     p' = M p + t by a similarity M (rotation or reflection times a scale)
 *   - curve-curve intersections as parameter pairs, including the end points of collinear or
 *     co-circular overlaps, within an absolute distance tolerance
 *   - point-in-region by crossing number over y-monotone pieces (g2_region, even-odd rule, so a
 *     region's loops may run either way)
 *   - Green's-theorem integrals of a curve piece, g2_moments(): summed over a closed boundary
 *     with the region on the left they give the region's area, first and second moments.
 * Units: whatever the sketch uses (millimetres); angles in radians.
 * The module knows nothing of the CAD model: sketch.h converts model curves into g2 curves.
 */
#ifndef RECAD_GEO2D_H
#define RECAD_GEO2D_H

typedef enum { G2_SEG = 0, G2_ARC = 1 } g2_kind;

typedef struct {
    g2_kind kind;
    double p0[2], p1[2]; /* start and end points (equal for a full circle) */
    double c[2], r;      /* arc: centre and radius */
    double a0, sw;       /* arc: start angle and signed sweep (rad, |sw| <= 2pi) */
} g2_curve;

#define G2_PI 3.14159265358979323846
#define G2_TWO_PI 6.28318530717958647692

void g2_seg(g2_curve *c, double x0, double y0, double x1, double y1);
void g2_arc(g2_curve *c, double cx, double cy, double r, double a0, double sw);

void g2_eval(const g2_curve *c, double t, double p[2]);
void g2_deriv(const g2_curve *c, double t, double d[2]); /* dp/dt */
double g2_length(const g2_curve *c);
void g2_bbox(const g2_curve *c, double lo[2], double hi[2]);
void g2_reverse(g2_curve *c);
void g2_sub(const g2_curve *c, double t0, double t1, g2_curve *out); /* piece t0..t1 (t0 > t1 reverses) */
/* p' = M p + t with M = s Q (Q orthogonal, s > 0), row-major 2x2; reflections flip arc sweeps */
void g2_map(g2_curve *c, const double M[4], const double t[2]);

/* parameter of the angle phi on an arc: 1 and *t if within [-et, 1+et] (t clamped to [0,1]) */
int g2_arc_param(const g2_curve *c, double phi, double et, double *t);
/* closest parameter to p and the distance to it */
double g2_closest(const g2_curve *c, const double p[2], double *t);

/* intersections of a and b within distance tol: parameter pairs, sorted by ta, near-duplicates
 * removed; overlaps (collinear segments, co-circular arcs) give their end points.
 * Returns the count (at most max). */
typedef struct {
    double ta, tb;
} g2_isect;
int g2_intersect(const g2_curve *a, const g2_curve *b, double tol, g2_isect *out, int max);

/* Green's integrals of the piece t0..t1 (in that direction):
 *   m[0] = int x dy            (area)
 *   m[1] = 1/2 int x^2 dy      (int x dA)
 *   m[2] = -1/2 int y^2 dx     (int y dA)
 *   m[3] = 1/3 int x^3 dy      (int x^2 dA)
 *   m[4] = -1/3 int y^3 dx     (int y^2 dA)
 *   m[5] = 1/2 int x^2 y dy    (int x y dA)
 * Summed over a closed ccw boundary they are the region's integrals (cw gives the negatives). */
void g2_moments(const g2_curve *c, double t0, double t1, double m[6]);
/* m[0..5] above summed over every whole curve of a closed chain of n curves */
void g2_loop_moments(const g2_curve *c, int n, double m[6]);
double g2_loop_area(const g2_curve *c, int n); /* signed area of a closed chain (ccw > 0) */

/* ---- loops ----
 * Chain order of a loop, in place and without moving any point (n >= 2): the first curve is
 * reversed when its start lies nearer to the second curve than its end does; then position
 * i = 1, 2, ... takes
 *   reorder == 0: the curve already there (the loop is given in chain order),
 *   reorder != 0: of the curves not yet placed, the one with an end point nearest to the end of
 *                 curve i-1 (on equal distances the curve already at position i wins),
 * reversed when its end p1 is nearer to the end of curve i-1 than its start p0.
 * order (may be NULL) receives, for each position, the index the curve had in c on entry;
 * flipped (may be NULL) 1 where the curve was reversed, else 0. */
void g2_chain_order(g2_curve *c, int n, int reorder, int *order, int *flipped);

/* g2_chain_order() without reordering, then snaps every junction to one point (each start
 * becomes the previous curve's end, bit-exactly). Returns -1 if closed within tol, else the
 * index i of the first curve whose end misses the next curve (gap in *gap); then nothing is
 * snapped. A single curve closes when its two ends lie within tol. */
int g2_chain(g2_curve *c, int n, double tol, double *gap);

/* ---- point in region (even-odd over closed loops) ---- */
typedef struct {
    double y0, y1, x0, x1; /* piece from (x0,y0) to (x1,y1), monotone in y */
    double cx, cy, r;      /* arc pieces: circle; r = 0 for segments */
    int right;             /* arc pieces: +1 if on the right half of the circle, -1 left */
} g2_mono;

typedef struct {
    g2_mono *m;
    int n, cap;
    double lo[2], hi[2]; /* bounding box of all curves */
    /* optional index (g2_region_index): nband horizontal bands of height bh from lo[1]; band k
       lists the pieces overlapping it: idx[start[k] .. start[k+1]) */
    int nband, *start, *idx;
    double bh;
} g2_region;

void g2_region_init(g2_region *rg);
void g2_region_add(g2_region *rg, const g2_curve *c, int n); /* adds the curves of closed loops */
void g2_region_index(g2_region *rg); /* after the last add: speeds up queries on many curves */
void g2_region_free(g2_region *rg);
int g2_region_inside(const g2_region *rg, double x, double y); /* 1 inside, 0 outside */

#endif
