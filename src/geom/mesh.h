/* mesh.h - watertight triangle mesh of a model's solid, and STL / OBJ export.
 *
 * ms_from_model() meshes the final solid of a cad_model: every edge is shared by exactly two
 * triangles that traverse it in opposite directions, and triangles are counter-clockwise seen
 * from outside (outward orientation), so the mesh encloses a volume (ms_volume > 0).
 *
 * Chord tolerance: arcs and circles become polygons that stay within `tol` millimetres of the
 * true curve everywhere (Hausdorff distance; about 2/3 tol in practice); every arc gets at least
 * one chord per 45 degrees. tol <= 0 (MS_DEFAULT_TOL) selects the automatic tolerance: at most
 * 1e-3 of the part's size AND at most 5e-4 of the arc's own radius (about 100 chords per full
 * circle, so a small hole in a large part stays round). The part's size is the diagonal of the
 * solid's exact bounding box (sd_bbox), not of the model's: cut and intersect tools may reach far
 * beyond the part. A given tol must lie in [MS_MIN_TOL_REL * size, size]: finer chords than that
 * only add triangles below the precision of the output (STL stores floats), coarser ones than the
 * part are meaningless; outside the range ms_from_model returns MS_BAD_TOL. The polygons are
 * area-preserving: an arc's end points lie on the arc and its interior vertices on a slightly
 * larger concentric circle chosen so that the polygon encloses exactly the arc's sector area.
 * Chords therefore bias no volume: when all extrusions are parallel and the faces do not cut
 * arcs against each other, the mesh volume equals the exact volume up to rounding; where one
 * profile clips another's arc, the error is second order in the chord size.
 *
 * Output: every edge in exactly two triangles, once per direction (solids that touch themselves
 * along an edge get the touching edge doubled with coincident vertices); no degenerate triangle
 * from the exact mesher; flat regions are reduced to few triangles by ms_simplify().
 *
 * Method (docs/mesh_render.md): when every extrusion direction is parallel (up to sign) - the
 * usual case - all profiles are mapped into one 2-D frame, the plane is cut into cells along the
 * arrangement of every profile edge and the extrusion axis into layers at every slab end; each
 * (cell, layer) block is classified by the CSG and the mesh is the boundary of the union of solid
 * blocks: exact up to the chord approximation, and closed by construction. Otherwise the solid is
 * contoured by marching tetrahedra on a grid whose planes follow the model's axis-aligned faces,
 * with every surface vertex placed exactly on the (chord-approximated) boundary and chamfers
 * across sharp edges split at the true edge (volume error of order 1e-4 on curved faces); its
 * grid spans the part's exact box with 128 cells along its diagonal at the default tolerance,
 * proportionally fewer for a larger tol (at least 32: faster, coarser) and more for a smaller one
 * (at most 256, then more only when the check asks), and at least 16 across each extent.
 *
 * Checked result: every mesh is measured against the exact kernel (sd_volume) before it is
 * returned. Its volume must agree within min(MS_VOL_REL * V, tol * A) (V the exact volume, A the
 * mesh's area: a surface within tol of the true one moves the volume by at most about tol * A),
 * and it must be closed. Otherwise it is made again finer (the grid mesher doubles its cells, the
 * parallel one quarters the chord tolerance), up to MS_MAX_REFINE times within the grid's point
 * budget, and then refused with an error that gives both volumes: a wrong mesh is never returned.
 *
 * Input: the model need not be validated: loops may run either way and each curve's direction
 * may be reversed; only the chain order of a loop's curves is used (and even that is recovered
 * greedily from the end points). Broken indices or non-finite numbers give -1 + ut_error().
 *
 * Budget: meshing charges the thread's geometry budget (base/budget.h); when it runs out no mesh
 * is returned: -1 and "meshing exceeded the geometry budget (25000000 work units)".
 *
 * Thread safety: no shared mutable state; different models may be meshed concurrently.
 */
#ifndef RECAD_MESH_H
#define RECAD_MESH_H

#include <stdint.h>

#include "model/cad.h"

#define MS_DEFAULT_TOL 0.0 /* 0 = automatic: see above */
#define MS_AUTO_TOL_REL 1e-3 /* automatic chord tolerance: this fraction of the part's size */
#define MS_MIN_TOL_REL 1e-6  /* smallest chord tolerance accepted: this fraction of the part's size */
#define MS_VOL_REL 5e-3      /* mesh volume within this fraction of the exact volume (and tol * area) */
#define MS_MAX_REFINE 3      /* finer re-meshings before a mesh that fails the check is refused */
#define MS_BAD_TOL (-2)      /* ms_from_model's return when tol is outside the part's range */

typedef struct {
    double *v; /* nv*3 vertex coordinates, mm */
    int *t;    /* nt*3 vertex indices, counter-clockwise seen from outside */
    int nv, nt;
    int cap_v, cap_t;
} ms_mesh;

/* 0; -1 + ut_error() (broken or empty model, or a mesh that fails the check); MS_BAD_TOL +
   ut_error() when tol is not finite or outside [MS_MIN_TOL_REL * size, size] */
int ms_from_model(const cad_model *m, double tol, ms_mesh *out);

/* what ms_from_model_stats measured */
typedef struct {
    double tol;          /* chord tolerance asked for (the automatic one resolved), mm */
    double part_size;    /* diagonal of the solid's exact bounding box, mm */
    double exact_volume; /* the kernel's volume, mm^3 */
    double mesh_volume;  /* the returned mesh's volume, mm^3 */
    double allowed;      /* largest |mesh - exact| accepted, mm^3 */
    int refinements;     /* finer re-meshings needed (0: the first mesh passed) */
    int grid;            /* 1: the grid mesher (directions not all parallel), 0: the exact one */
} ms_stats;
/* ms_from_model, also reporting the check (st filled as far as it got, on failure too) */
int ms_from_model_stats(const cad_model *m, double tol, ms_mesh *out, ms_stats *st);
/* ms_from_model with the tolerance a fraction of the part's size: tol = rel * size, without the
 * automatic tolerance's per-radius rule (for pictures, where a chord below a pixel is enough);
 * MS_BAD_TOL when rel is outside [MS_MIN_TOL_REL, 1] */
int ms_from_model_rel(const cad_model *m, double rel, ms_mesh *out);
void ms_free(ms_mesh *m);
double ms_volume(const ms_mesh *m);       /* enclosed (signed) volume, mm^3 */
double ms_area(const ms_mesh *m);         /* mm^2 */
int ms_check_watertight(const ms_mesh *m); /* 0 if closed and consistently oriented, else -1 + ut_error() */
/* weaker: every directed edge a->b is matched by as many b->a (a closed, oriented surface that
   may touch itself along an edge); 0 or -1 + ut_error() */
int ms_check_closed(const ms_mesh *m);
/* n points uniform by area on the mesh's triangles, reproducible from seed (pts: n*3 doubles):
   an independent sampler to check the kernel's exact surface samples against. Returns n, or
   -1 + ut_error() if the mesh has no area. */
int ms_sample_surface(const ms_mesh *m, int n, uint64_t seed, double *pts);
int ms_write_stl(const ms_mesh *m, const char *path); /* binary STL, atomic */
int ms_write_obj(const ms_mesh *m, const char *path); /* Wavefront OBJ, atomic */

/* extra helpers */
int ms_add_vertex(ms_mesh *m, double x, double y, double z); /* returns the new vertex index */
void ms_add_tri(ms_mesh *m, int a, int b, int c);
int ms_bbox(const ms_mesh *m, double lo[3], double hi[3]); /* -1 if the mesh has no vertex */
/* Removes vertices without changing the surface: a vertex goes when its triangles are coplanar
   (within eps mm; eps <= 0: 1e-9 of the bounding-box diagonal) or lie in two planes and it slides
   along their straight crease onto a neighbour; collapses that would break the manifold, flip or
   degenerate a triangle are refused. Returns the number of vertices removed. ms_from_model()
   applies it to its result. */
int ms_simplify(ms_mesh *m, double eps);
/* the part's size (mm): the diagonal of the exact bounding box of the model's solid; -1 +
   ut_error() if the model is broken or its solid empty */
double ms_part_size(const cad_model *m);
/* the automatic chord tolerance of a model (mm): MS_AUTO_TOL_REL of its part's size; -1 if none */
double ms_default_tol(const cad_model *m);

#endif
