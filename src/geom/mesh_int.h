/* mesh_int.h - internals of the mesh module (mesh.c, mesh_cells.c, mesh_grid.c); not a public API.
 *
 * Profiles: every sketch used by an extrude is turned into closed polygons ("rings") in its own
 * 2-D sketch coordinates (mm). A ring is the chained, chord-approximated boundary of one loop
 * (a loop whose curves include stray circles gives one ring per closed piece). Ring points are
 * stored once, in order; the ring closes from its last point back to its first. A loop's inside
 * is the parity (even-odd) of its rings, so ring orientation never matters. A sketch's region is
 * the union of its faces, a face being inside its outer loop and outside all of its holes.
 * Rings of one sketch are stored consecutively, grouped by face, then by loop.
 */
#ifndef RECAD_MESH_INT_H
#define RECAD_MESH_INT_H

#include "model/cad.h"
#include "geom/mesh.h"

typedef struct {
    int first, n; /* points pt[first .. first+n-1] (each 2 doubles) */
    int face;     /* model face index */
    int loop;     /* model loop index */
    int hole;     /* 0: the face's outer loop, 1: a hole */
    double lo[2], hi[2]; /* bounding box of the ring's points */
    int nb, bk;          /* rows of the edge index (0: none): offsets p->bko[bk .. bk+nb] */
} ms_ring;

typedef struct {
    double *pt; /* npt*2, sketch (u, v), mm */
    int npt, cap_pt;
    ms_ring *rings;
    int nrings, cap_rings;
    int *sk_first, *sk_n; /* per sketch: rings[sk_first .. sk_first+sk_n-1] (0 rings if unused) */
    /* edge index of the larger rings: the ring's box is cut into nb rows of equal height; row j
       lists (in bke[bko[bk+j] .. bko[bk+j+1]]) the edges, by their first point, whose v range
       meets it, so a point test scans one row instead of the whole ring */
    int *bko, nbko, cap_bko;
    int *bke, nbke, cap_bke;
} ms_profiles;

/* chord count for an arc of radius r sweeping |sweep| radians: sagitta <= min(tol, rel*r)
   (rel <= 0: no relative bound), at least one chord per 45 degrees */
int ms_arc_segments(double r, double sweep, double tol, double rel);
/* polygonises every sketch used by an extrude; -1 + ut_error() on a broken model */
int ms_polygonise(const cad_model *m, double tol, double rel, ms_profiles *out);
void ms_profiles_free(ms_profiles *p);

/* Region of sketch s given, for each of its rings, whether the point is inside that ring:
   ring_in(ring index, ctx) -> 0/1. Returns 1 if inside the union of the sketch's faces. */
typedef int (*ms_ring_in_fn)(const ms_profiles *p, int ring, const void *ctx);
int ms_region(const ms_profiles *p, int s, ms_ring_in_fn ring_in, const void *ctx);
/* 1 if (u, v) lies inside ring r (even-odd crossing test) */
int ms_ring_contains(const ms_profiles *p, int r, double u, double v);
/* 1 if (u, v) lies inside the region of sketch s */
int ms_sketch_contains(const ms_profiles *p, int s, double u, double v);

/* the two meshers; out is empty on entry. diag = model bounding-box diagonal (mm, the scale of
   the arrangement's merge distance); lo/hi = the part's exact box (mm), cells = grid cells along
   its diagonal; *capped = 1 when the grid point budget made the grid coarser than asked */
int ms_mesh_cells(const cad_model *m, const ms_profiles *p, double diag, ms_mesh *out);
int ms_mesh_grid(const cad_model *m, const ms_profiles *p, const double lo[3], const double hi[3], double cells, ms_mesh *out,
                 int *capped);

/* conservative bounding box of the model's extrudes (arcs by their full circles); -1 if none */
int ms_model_box(const cad_model *m, double lo[3], double hi[3]);

#endif
