/* rewrite_int.h - what rewrite.c (the writer) and rewrite_shape.c (the recognisers) share.
 * Not part of the API. Sketch coordinates, millimetres; angles in degrees. */
#ifndef RECAD_REWRITE_INT_H
#define RECAD_REWRITE_INT_H

#include "model/cad.h"

/* ---- profiles of one loop ---- */

typedef enum { RS_LITERAL = 0, RS_CIRCLE, RS_RECT, RS_ROUNDED, RS_SLOT, RS_POLYGON } rs_kind;

typedef struct {
    rs_kind kind;
    double cx, cy; /* centre */
    double w, h;   /* RECT, ROUNDED: sides along u, v; SLOT: w = centre distance l */
    double r;      /* CIRCLE: radius; ROUNDED: corner radius; SLOT: radius; POLYGON: circumradius */
    double a;      /* SLOT: axis angle in (-90, 90]; POLYGON: first vertex angle in [0, 360/n) */
    int n;         /* POLYGON: sides */
} rp_shape;

/* the profile of loop l (RS_LITERAL when none is recognised within eps) */
void rs_classify(const cad_model *m, const cad_loop *l, double eps, rp_shape *s);

/* ---- patterns of equal circles ---- */

enum { RS_GRID = 1, RS_CIRCULAR = 2 };

typedef struct {
    int kind;          /* RS_GRID or RS_CIRCULAR */
    double r;          /* circle radius */
    double x0, y0;     /* GRID: the first centre; CIRCULAR: the pattern's centre */
    double px, py;     /* GRID: pitches along u, v (> 0) */
    int nx, ny;        /* GRID: counts along u, v (nx * ny members) */
    double R, a0;      /* CIRCULAR: radius of the centres, first angle in [0, 360/n) */
    int n;             /* CIRCULAR: members */
} rs_pattern;

/* Of the circles centres[k] (2 doubles each, k < n, all of radius r): the members of one grid /
 * row or circular pattern of at least 3 circles, written to member[] (indices into centres);
 * returns their count, 0 if none. */
int rs_find_pattern(const double *centres, int n, double r, double eps, rs_pattern *p, int *member);

/* ---- mirrors ---- */

/* 1 if the loops mirrored about u = c (axis 0) or v = c (axis 1) equal loop b as regions
 * (the same curves within eps, in any order and direction) */
int rs_loop_mirrors(const cad_model *m, const cad_loop *a, const cad_loop *b, int axis, double c, double eps);
/* the same for faces: outer to outer, holes to holes in any order */
int rs_face_mirrors(const cad_model *m, const cad_face *a, const cad_face *b, int axis, double c, double eps);
/* mean of a loop's curve points (start, end; circles: the centre) */
void rs_loop_mean(const cad_model *m, const cad_loop *l, double out[2]);

#endif
