/* mesh.h - watertight triangle mesh of a model's solid, and STL / OBJ export.
 *
 * ms_from_model() meshes the final solid: every edge is shared by exactly two triangles with
 * opposite directions (consistent outward orientation), so the mesh encloses a volume. Arcs are
 * split into chords whose sagitta is at most `tol` (mm); tol <= 0 selects the default
 * MS_DEFAULT_TOL relative to the part size. The enclosed volume matches the exact volume within
 * 0.5% at the default tolerance.
 */
#ifndef RECAD_MESH_H
#define RECAD_MESH_H

#include "cad.h"

#define MS_DEFAULT_TOL 0.0 /* 0 = automatic: 1e-3 of the bounding-box diagonal */

typedef struct {
    double *v; /* nv*3 vertex coordinates, mm */
    int *t;    /* nt*3 vertex indices, counter-clockwise seen from outside */
    int nv, nt;
    int cap_v, cap_t;
} ms_mesh;

int ms_from_model(const cad_model *m, double tol, ms_mesh *out); /* -1 + ut_error() */
void ms_free(ms_mesh *m);
double ms_volume(const ms_mesh *m);       /* enclosed (signed) volume, mm^3 */
double ms_area(const ms_mesh *m);
int ms_check_watertight(const ms_mesh *m); /* 0 if closed and consistently oriented, else -1 + ut_error() */
int ms_write_stl(const ms_mesh *m, const char *path); /* binary STL, atomic */
int ms_write_obj(const ms_mesh *m, const char *path); /* Wavefront OBJ, atomic */

#endif
