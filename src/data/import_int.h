/* import_int.h - shared pieces of the importers (import.c, import_face.c, import_entities.c,
 * import_text2cad.c). Not part of the public API: see import.h.
 *
 * A format reader walks its features in order and, per extrude, collects each profile as raw
 * loops (curves in millimetres, sketch coordinates, any curve order and orientation), then calls
 * im_add_face() which chains, orients and appends them to the model as one face.
 */
#ifndef RECAD_IM_INTERNAL_H
#define RECAD_IM_INTERNAL_H

#include <cjson/cJSON.h>

#include "data/import.h"
#include "base/util.h"

typedef struct {
    cad_model *m;
    im_report *rep;
    const im_options *opt;
    double unit;          /* millimetres per file unit */
    int line;             /* 1 + feature index of the extrude being read */
    const char *feature;  /* its name, for messages */
} im_ctx;

/* one loop under construction: curves in mm, sketch coordinates */
typedef struct {
    cad_curve *c;
    int n, cap;
} im_loop;

/* ---- import.c ---- */
void im_warn(im_ctx *x, const char *fmt, ...) UT_PRINTF(2, 3);
int im_fail(im_ctx *x, const char *fmt, ...) UT_PRINTF(2, 3); /* "feature 'NAME': ..." */
void im_add_feature(im_ctx *x, const char *name);             /* sets x->line / x->feature */
/* JSON lookups by key name; -1 + ut_error() when missing or of the wrong type */
int im_num(const cJSON *o, const char *key, double *v);
double im_num_or(const cJSON *o, const char *key, double dflt);
int im_xyz(const cJSON *o, const char *key, double v[3]);  /* {"x":..,"y":..,"z":..} */
int im_vec(const cJSON *o, const char *key, double *v, int n); /* [a, b, ...] of n numbers */
const char *im_str(const cJSON *o, const char *key);        /* NULL if missing */
int im_op_parse(const char *s, cad_op *op);                  /* "NewBodyFeatureOperation"... */
/* slab of a two-sided extent: along d_along (+normal) and against d_against (-normal), each side
 * signed; the union of both sides -> ONE / TWO; returns 1 when the slab has zero thickness */
int im_extent_two(double d_along, double d_against, cad_extent_kind *k, double *d1, double *d2);

/* ---- import_face.c ---- */
void im_loop_push(im_loop *l, cad_curve_kind kind, const double *p);
void im_loops_free(im_loop *loops, int n);
/* 3-point arc from centre, radius, reference direction, angles (radians) and the rotation sense
 * (+1 counter-clockwise, -1 clockwise); the ends are the stored points s/e (either order, matched
 * to the computed ends by distance; NULL to use the computed ones). Full turns become circles.
 * Updates rep->arc_end_err. -1 if the arc is degenerate. */
int im_arc(im_ctx *x, im_loop *l, const double c[2], double r, const double ref[2], double sense, double a0,
           double a1, const double *s, const double *e);
/* chains, orients and appends the loops as one face (outer = largest area, counter-clockwise;
 * holes clockwise); returns the face index or -1 + ut_error() */
int im_add_face(im_ctx *x, im_loop *loops, int nloops, const char *profile);

/* ---- readers ---- */
int im_read_entities(im_ctx *x, const cJSON *root, im_format f); /* DeepCAD and Fusion */
int im_read_text2cad(im_ctx *x, const cJSON *root);

#endif
