/* tol.h - the numeric tolerances of the geometry code, named once.
 *
 * Lengths are compared relative to a size (mm): the model size, a part's size or a loop's extent,
 * whichever the caller measures against. Two kinds of relative tolerance are used:
 *   TOL_REL  (1e-9)  geometric equality: points, lengths and extents closer than TOL_REL * size
 *                    are the same (coincident ends, zero extents, touching loops, on-surface tests)
 *   TOL_FINE (1e-12) rounding level: below TOL_FINE * size (lengths), * size^2 (areas) or
 *                    * size^3 (volumes) a quantity is float noise, and the same factor is the slack
 *                    on dimensionless relative quantities (arc parameters, full-turn sweeps)
 * Unit vectors (dimensionless):
 *   TOL_DIR  (1e-12) computed unit vectors and cosines: |cos| >= 1 - TOL_DIR is parallel,
 *                    |cos| <= TOL_DIR perpendicular, a norm <= TOL_DIR zero
 *   TOL_AXIS (1e-9)  unit vectors given by a model (sketch plane axes): a component within
 *                    TOL_AXIS of 0 or +-1 is exact; the same slack for orthonormality
 * Counts:
 *   TOL_STEP (1e-9)  subtracted from a ratio before ceil(), so float noise does not add a step
 *
 * The tol_* helpers scale a tolerance by a size: tol_len(size) = TOL_REL * size (mm) and the
 * rounding-level tol_fine (mm), tol_area (mm^2), tol_vol (mm^3).
 */
#ifndef RECAD_TOL_H
#define RECAD_TOL_H

#define TOL_REL 1e-9   /* relative: geometric equality of lengths (x size, mm) */
#define TOL_FINE 1e-12 /* relative: rounding level (x size^k for lengths, areas, volumes) */
#define TOL_DIR 1e-12  /* dimensionless: computed unit vectors and cosines */
#define TOL_AXIS 1e-9  /* dimensionless: unit vectors given by a model, on a world axis or orthonormal */
#define TOL_STEP 1e-9  /* dimensionless: slack before ceil() of a step count */

/* lengths closer than this are equal (mm; size in mm) */
static inline double tol_len(double size) { return TOL_REL * size; }
/* lengths below this are rounding noise (mm) */
static inline double tol_fine(double size) { return TOL_FINE * size; }
/* areas below this are rounding noise (mm^2) */
static inline double tol_area(double size) { return TOL_FINE * size * size; }
/* volumes below this are rounding noise (mm^3) */
static inline double tol_vol(double size) { return TOL_FINE * size * size * size; }

#endif
