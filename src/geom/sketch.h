/* sketch.h - exact geometry of the CAD model's sketches, on top of geo2d's curves.
 *
 * The bridge from the model (cad.h: lines, three-point arcs, circles in sketch coordinates) to
 * the exact 2-D curves of geo2d.h, and the measurements made on the model through them:
 *   - a model curve as a g2_curve, strictly (degenerate curves rejected: what the kernel and
 *     the validator build on) or loosely (never fails: what measurements of raw loops use);
 *   - area and first moments of a chained loop, area and centroid of a face (outer minus holes),
 *     closed forms (Green's theorem, arcs exact);
 *   - the axis-aligned box of the extruded profiles of the new/join extrudes, arcs exact.
 * Units: the model's (millimetres); sketch coordinates (u, v) unless a box says world.
 */
#ifndef RECAD_SKETCH_H
#define RECAD_SKETCH_H

#include "geom/geo2d.h"
#include "model/cad.h"

/* From a model curve (arcs by three points, circles as a ccw arc starting at angle 0); the end
 * points of lines and arcs are kept exactly. -1 + ut_error() if degenerate: zero length,
 * collinear/coincident arc points, r <= 0, non-finite. */
int sk_curve_to_g2(const cad_curve *cc, g2_curve *out);
/* The same without checks, for measuring loops as they come: a zero-length line stays a
 * zero-length segment, an arc whose three points are collinear becomes its chord. */
void sk_curve_to_g2_loose(const cad_curve *cc, g2_curve *out);

/* Signed area A (positive counter-clockwise) and first moments Mx = integral of x dA,
 * My = integral of y dA of a chained loop of n curves (loose conversion; circles count
 * counter-clockwise). */
void sk_loop_moments(const cad_curve *c, int n, double *A, double *Mx, double *My);
/* Area (mm^2) and centroid cen (sketch coordinates) of face f of m: |outer| - |holes|, whatever
 * the loops' directions; cen is (0, 0) for a zero area. */
void sk_face_area(const cad_model *m, int f, double *area, double cen[2]);

/* Axis-aligned world box (mm) of the union of the model's new/join prisms (the first extrude
 * counts whatever its operation), arcs exact, booleans ignored: equal to the solid's box unless
 * a cut or intersect removes an extreme. 0, or -1 + ut_error() if there is no such extrude. */
int sk_prism_bbox(const cad_model *m, double lo[3], double hi[3]);

#endif
