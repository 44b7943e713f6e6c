/* cad.h - the CAD model: an ordered list of sketch-extrude operations.
 *
 * This is the data every part of recad exchanges: the executor builds it from a CADLib program,
 * the importers build it from DeepCAD / Fusion 360 / Text2CAD JSON, the code writer turns it back
 * into a program, the solid kernel evaluates it, the metrics compare two of them.
 *
 * Layout (flat arrays, indices instead of pointers, so a model is cheap to copy and free):
 *   curve  - Line / Arc / Circle in 2-D sketch coordinates (millimetres)
 *   loop   - a closed chain of curves: curves[first .. first+n-1], in chain order; each curve's
 *            own start->end direction may be either way (validation orients them)
 *   face   - loops[first .. first+n-1]; the first is the outer boundary, the rest are holes
 *   sketch - a plane plus faces[first .. first+n-1]
 *   extrude- a sketch, an extent and a boolean op; applied in order to one running solid
 *
 * Plane conventions (right-handed, y = normal x x_dir):
 *   XY: x=(1,0,0) y=(0,1,0) n=(0,0,1)     local (u,v) -> world (u, v, 0)
 *   XZ: x=(1,0,0) y=(0,0,1) n=(0,-1,0)    local (u,v) -> world (u, 0, v)
 *   YZ: x=(0,1,0) y=(0,0,1) n=(1,0,0)     local (u,v) -> world (0, u, v)
 * world = origin + u*x + v*y + w*n, where w is the position along the extrusion direction.
 *
 * Extents: ONE  d1      -> slab w in [min(0,d1), max(0,d1)]   (d1 signed)
 *          TWO  d1, d2  -> slab w in [-d2, d1]                 (d1 along n, d2 against n)
 *          SYM  d1      -> slab w in [-d1/2, d1/2]             (d1 = total thickness)
 * Ops: the first extrude starts the body whatever its op; NEW and JOIN fuse, CUT subtracts,
 * INTERSECT keeps the common part.
 */
#ifndef RECAD_CAD_H
#define RECAD_CAD_H

typedef enum { CAD_LINE = 0, CAD_ARC = 1, CAD_CIRCLE = 2 } cad_curve_kind;

typedef struct {
    cad_curve_kind kind;
    /* LINE: x1 y1 x2 y2 | ARC: x1 y1 xm ym x2 y2 (start, a point on the arc, end) | CIRCLE: cx cy r */
    double p[6];
    int line; /* source line (program line or JSON item index) for error messages; 0 if unknown */
} cad_curve;

typedef struct {
    int first, n; /* curves[first .. first+n-1] */
} cad_loop;

typedef struct {
    int first, n; /* loops[first .. first+n-1]; loops[first] is the outer loop */
} cad_face;

typedef struct {
    double origin[3], x[3], y[3], n[3]; /* orthonormal, right-handed: y = n cross x */
} cad_plane;

typedef struct {
    cad_plane plane;
    int first, n; /* faces[first .. first+n-1] */
    int line;
} cad_sketch;

typedef enum { CAD_EXT_ONE = 0, CAD_EXT_TWO = 1, CAD_EXT_SYM = 2 } cad_extent_kind;
typedef enum { CAD_NEW = 0, CAD_JOIN = 1, CAD_CUT = 2, CAD_INTERSECT = 3 } cad_op;

typedef struct {
    int sketch;
    cad_extent_kind kind;
    double d1, d2; /* see the extent table above */
    cad_op op;
    int line;
} cad_extrude;

typedef struct cad_model {
    cad_curve *curves;
    int ncurves, cap_curves;
    cad_loop *loops;
    int nloops, cap_loops;
    cad_face *faces;
    int nfaces, cap_faces;
    cad_sketch *sketches;
    int nsketches, cap_sketches;
    cad_extrude *extrudes;
    int nextrudes, cap_extrudes;
} cad_model;

void cad_init(cad_model *m);
void cad_free(cad_model *m);
void cad_copy(cad_model *dst, const cad_model *src); /* dst is overwritten (not freed first) */

/* builders: each returns the index of the new element */
int cad_add_curve(cad_model *m, cad_curve_kind kind, const double *p, int line);
int cad_add_loop(cad_model *m, int first_curve, int n);
int cad_add_face(cad_model *m, int first_loop, int n);
int cad_add_sketch(cad_model *m, const cad_plane *pl, int first_face, int n, int line);
int cad_add_extrude(cad_model *m, int sketch, cad_extent_kind kind, double d1, double d2, cad_op op, int line);

/* planes */
void cad_plane_xy(cad_plane *pl);
void cad_plane_xz(cad_plane *pl);
void cad_plane_yz(cad_plane *pl);
/* origin, x direction, normal; x is made orthogonal to n; -1 + ut_error if degenerate */
int cad_plane_make(cad_plane *pl, const double o[3], const double x[3], const double n[3]);
void cad_plane_to_world(const cad_plane *pl, double u, double v, double w, double out[3]);
void cad_plane_to_local(const cad_plane *pl, const double p[3], double out[3]); /* (u, v, w) */

/* the slab [w0, w1] of an extrude along its sketch normal */
void cad_extrude_slab(const cad_extrude *e, double *w0, double *w1);

/* Arc through three points: centre (cx, cy), radius r, start angle a0 and signed sweep
 * (positive = counter-clockwise from start through mid to end). Returns -1 if collinear. */
int cad_arc_geom(const double p[6], double *cx, double *cy, double *r, double *a0, double *sweep);

const char *cad_op_name(cad_op op);          /* "new" "join" "cut" "intersect" */
int cad_op_parse(const char *s, cad_op *op); /* -1 if unknown */

#endif
