/* gen_int.h - what gen.c and gen_families.c share: the per-part context, random draws, designer
 * dimensions, sketch builders and the family table. Not part of the public API (data/gen.h). */
#ifndef RECAD_GEN_INT_H
#define RECAD_GEN_INT_H

#include "base/util.h"
#include "data/gen.h"

/* the state of one part being made */
typedef struct {
    ut_rng rng;
    cad_model *m;
    gn_part *part;
    int inch;           /* dimensions in 1/16 inch steps */
    int face0, sketch0; /* first loop of the open face, first face of the open sketch */
} gn_ctx;

/* a family: fn builds a model of level lv (LV_L, LV_F, LV_S or LV_MSE; SE is made from L/F/S by
 * gen.c) in c->m and records its parameters; 0 or -1 + ut_error() */
typedef int (*gn_family_fn)(gn_ctx *c, lv_level lv);
typedef struct {
    const char *name;
    unsigned levels; /* bits 1 << LV_L / LV_F / LV_S / LV_MSE (SE follows from L, F, S) */
    int random;
    gn_family_fn fn;
} gn_family;

extern const gn_family gn_families[];
extern const int gn_nfamilies;

#define GN_BIT(l) (1u << (l))

/* ---- random draws ---- */
double gn_u(gn_ctx *c, double lo, double hi); /* uniform in [lo, hi) */
int gn_int(gn_ctx *c, int lo, int hi);        /* uniform in [lo, hi] */
int gn_chance(gn_ctx *c, double p);           /* 1 with probability p */
int gn_pick(gn_ctx *c, const double *w, int n); /* index by relative weights */

/* ---- designer dimensions (mm) ---- */
double gn_len(gn_ctx *c, double lo, double hi);   /* mostly whole / half / 5 mm, some arbitrary */
double gn_thick(gn_ctx *c, double lo, double hi); /* a standard sheet / plate thickness */
double gn_hole(gn_ctx *c, double lo, double hi);  /* a clearance or standard hole diameter */
double gn_round(gn_ctx *c, double v);             /* v to the part's grid (1 mm or 1/16 in) */

/* ---- parameters ---- */
void gn_num(gn_ctx *c, const char *name, double v);
void gn_word(gn_ctx *c, const char *name, const char *text);

/* ---- sketch building (sketch coordinates, mm); faces and sketches are built in order ---- */
void gn_face_begin(gn_ctx *c);
void gn_face_end(gn_ctx *c);
void gn_sketch_begin(gn_ctx *c);
int gn_sketch_end(gn_ctx *c, const cad_plane *pl); /* the sketch index */
void gn_extrude(gn_ctx *c, int sketch, cad_extent_kind k, double d1, double d2, cad_op op);

void gn_rect(gn_ctx *c, double x0, double y0, double x1, double y1);
void gn_rrect(gn_ctx *c, double x0, double y0, double x1, double y1, double r); /* r <= 0: gn_rect */
void gn_circle(gn_ctx *c, double cx, double cy, double r);
void gn_obround(gn_ctx *c, double cx, double cy, double len, double w, int vertical); /* len >= w */
void gn_ngon(gn_ctx *c, double cx, double cy, double R, int n, double rot); /* circumradius R */
/* closed polygon of n points xy[2n]; bulge NULL or bulge[i] = sagitta / chord of edge i -> i+1,
 * positive to the right of the edge (outwards for a counter-clockwise polygon); 0 = a line */
void gn_poly(gn_ctx *c, const double *xy, int n, const double *bulge);

/* planes: origin o, x direction, normal */
void gn_plane(cad_plane *pl, double ox, double oy, double oz, const double x[3], const double n[3]);

#endif
