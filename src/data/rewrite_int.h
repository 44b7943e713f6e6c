/* rewrite_int.h - what rewrite.c (the writer) and rewrite_shape.c (the recognisers) share.
 * Not part of the API. Sketch coordinates, millimetres; angles in degrees. */
#ifndef RECAD_REWRITE_INT_H
#define RECAD_REWRITE_INT_H

#include "model/cad.h"

/* ---- profiles of one loop ---- */

typedef enum { RP_LITERAL = 0, RP_CIRCLE, RP_RECT, RP_ROUNDED, RP_SLOT, RP_POLYGON } rp_kind;

typedef struct {
    rp_kind kind;
    double cx, cy; /* centre */
    double w, h;   /* RECT, ROUNDED: sides along u, v; SLOT: w = centre distance l */
    double r;      /* CIRCLE: radius; ROUNDED: corner radius; SLOT: radius; POLYGON: circumradius */
    double a;      /* SLOT: axis angle in (-90, 90]; POLYGON: first vertex angle in [0, 360/n) */
    int n;         /* POLYGON: sides */
} rp_shape;

/* the profile of loop l (RP_LITERAL when none is recognised within eps) */
void rp_classify(const cad_model *m, const cad_loop *l, double eps, rp_shape *s);

/* ---- patterns of equal circles ---- */

enum { RP_GRID = 1, RP_CIRCULAR = 2 };

typedef struct {
    int kind;          /* RP_GRID or RP_CIRCULAR */
    double r;          /* circle radius */
    double x0, y0;     /* GRID: the first centre; CIRCULAR: the pattern's centre */
    double px, py;     /* GRID: pitches along u, v (> 0) */
    int nx, ny;        /* GRID: counts along u, v (nx * ny members) */
    double R, a0;      /* CIRCULAR: radius of the centres, first angle in [0, 360/n) */
    int n;             /* CIRCULAR: members */
} rp_pattern;

/* Of the circles centres[k] (2 doubles each, k < n, all of radius r): the members of one grid /
 * row or circular pattern of at least 3 circles, written to member[] (indices into centres);
 * returns their count, 0 if none. */
int rp_find_pattern(const double *centres, int n, double r, double eps, rp_pattern *p, int *member);

/* ---- mirrors ---- */

/* 1 if the loops mirrored about u = c (axis 0) or v = c (axis 1) equal loop b as regions
 * (the same curves within eps, in any order and direction) */
int rp_loop_mirrors(const cad_model *m, const cad_loop *a, const cad_loop *b, int axis, double c, double eps);
/* the same for faces: outer to outer, holes to holes in any order */
int rp_face_mirrors(const cad_model *m, const cad_face *a, const cad_face *b, int axis, double c, double eps);
/* mean of a loop's curve points (start, end; circles: the centre) */
void rp_loop_mean(const cad_model *m, const cad_loop *l, double out[2]);

#endif
