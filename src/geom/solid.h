/* solid.h - exact solids: the CSG of extruded sketches, evaluated without a mesh.
 *
 * A solid is a CSG tree whose leaves are prisms (a planar face with line / circular-arc
 * boundaries, holes allowed, swept along its plane normal over a slab [w0, w1]) and whose inner
 * nodes are union / difference / intersection. sd_build() turns a cad_model into the left-deep
 * tree that its ordered extrudes define (the first extrude starts the body; new and join fuse).
 * Arcs stay true arcs: membership, ray hits, volumes and surface samples are computed on the
 * exact geometry.
 *
 * Accuracy: volume, area, centroid, inertia and box are exact up to rounding (1e-12 relative
 * measured) when all prisms share one extrusion direction (up to sign); otherwise they come from
 * Gauss-Kronrod quadrature over exact ray intervals, split at breakpoints computed from the
 * geometry (tolerance 1e-8 relative; 1e-9 or better measured), and sd_props.exact is 0.
 * docs/kernel.md describes the methods and the measurements.
 *
 * Budget: every query charges the thread's geometry budget (base/budget.h) and stops early once
 * it is exceeded; sd_mass_props, sd_bbox, sd_volume and sd_is_empty then fail with
 * "... exceeded the geometry budget"; sd_contains, sd_ray and sd_sample_surface give void results
 * that the caller discards after checking bg_exceeded(). With no budget begun nothing is limited.
 *
 * Units: millimetres (whatever the model uses). Thread safety: a built solid is read-only; every
 * query may run concurrently.
 */
#ifndef RECAD_SOLID_H
#define RECAD_SOLID_H

#include <stdint.h>

#include "model/cad.h"

typedef struct sd_solid sd_solid; /* opaque */

/* Builds the solid of a model. NULL + ut_error() if the model has no extrude or is invalid. */
sd_solid *sd_build(const cad_model *m);
void sd_free(sd_solid *s);

/* New solids from old ones (the inputs are not modified and stay owned by the caller). */
sd_solid *sd_combine(const sd_solid *a, const sd_solid *b, cad_op op); /* JOIN, CUT or INTERSECT */
/* p' = scale * R p + t  (R row-major 3x3, a proper rotation; scale > 0) */
sd_solid *sd_transform(const sd_solid *s, const double R[9], double scale, const double t[3]);

/* 1 if p is inside (points exactly on the boundary may go either way), else 0. */
int sd_contains(const sd_solid *s, const double p[3]);

/* Ray o + t d (d need not be unit), t > 0: every crossing of the solid's boundary in increasing t.
 * Returns the number of hits written (at most max; more are dropped). */
typedef struct {
    double t;
    double n[3]; /* outward unit normal of the solid at the hit */
    int enter;   /* 1 if the ray enters the solid here, 0 if it leaves */
} sd_hit;
int sd_ray(const sd_solid *s, const double o[3], const double d[3], sd_hit *hits, int max);

/* Axis-aligned bounding box of the solid (exact: arcs' extreme points included). -1 if empty. */
int sd_bbox(const sd_solid *s, double lo[3], double hi[3]);

typedef struct {
    double volume;       /* mm^3 */
    double area;         /* mm^2, surface area */
    double centroid[3];  /* mm */
    double inertia[9];   /* mm^5, row-major, about the centroid, unit density:
                            I = integral of (|r|^2 Id - r r^T) dV, r = p - centroid */
    double lo[3], hi[3]; /* bounding box */
    int exact;           /* 1: closed-form; 0: quadrature (relative tolerance 1e-8) */
} sd_props;
/* -1 + ut_error() if the solid is empty (zero volume). */
int sd_mass_props(const sd_solid *s, sd_props *out);

/* Volume only (mm^3), same accuracy as sd_mass_props but without the surface area, which is
 * the costly part for solids of several directions (e.g. a solid and a rotated copy). 0 if
 * the solid is empty; NaN + ut_error() if the geometry budget ran out (base/budget.h). */
double sd_volume(const sd_solid *s);

/* 1 if the solid has no volume (sd_volume would give 0), 0 if it has, -1 + ut_error() if the
 * geometry budget ran out. Cheap when the solid is not empty: a few probe lines through its box
 * usually find an inside interval; only when none does is the volume computed. */
int sd_is_empty(const sd_solid *s);

/* n points uniformly distributed by area on the solid's boundary, reproducible from seed.
 * pts: n*3 doubles; normals: n*3 doubles (outward unit) or NULL. Returns n, or -1 if empty. */
int sd_sample_surface(const sd_solid *s, int n, uint64_t seed, double *pts, double *normals);

#endif
