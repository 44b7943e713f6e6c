/* gen.h - the seeded part generator: sketch-extrude models of mechanical families and of random
 * geometry, at every hierarchy level (L, F, S, SE, MSE; model/level.h), for training data.
 *
 *   gn_options o; gn_default_options(&o);
 *   gn_part p;
 *   for (long i = 0; i < n; i++) {
 *       if (gn_make(&o, seed, i, &p) != 0) { fprintf(stderr, "%s\n", ut_error()); break; }
 *       char *prog = cw_program(&p.model); ... p.family, p.level, p.curves, p.params ...
 *       gn_part_free(&p);
 *   }
 *
 * How a part is made (docs/data_gen.md has the families and the calibration):
 *   1. part i of seed S draws from its own stream, seeded from (S, i, attempt): parts never share
 *      state, so generation runs in parallel and the result does not depend on the thread count.
 *   2. a target level is drawn from o->level_weight, then a family that can make that level, by
 *      o->family_weight (a family's weight 0 leaves it out).
 *   3. the family builds the model in millimetres: single-extrude families build an L, F or S
 *      sketch; SE is such a part whose extrude is made non-plain (symmetric or two-sided extent,
 *      a plane lifted along its normal or tilted); MSE families build two or more extrudes joined,
 *      cut or intersected. The whole part may then be turned onto XZ or YZ (o->plane_weight).
 *   4. the model is checked by the kernel: va_validate (closed, non-crossing loops, holes inside,
 *      non-empty solid; it also orients the loops) and lv_classify must give the target level.
 *      A part that fails is made again from the next attempt's stream (p->attempts counts them;
 *      after GN_MAX_ATTEMPTS failures gn_make fails).
 * Dimensions are rounded the way designers choose them: mostly whole or half millimetres,
 * standard thicknesses and ISO clearance holes (M3 3.4, M4 4.5, M5 5.5, M6 6.6, M8 9, M10 11,
 * M12 13.5), some parts in inch fractions (1/16 in steps), and some arbitrary values.
 *
 * Each part carries its family's name and its semantic parameters (width, hole diameter, hole
 * count, PCD, plane, ...): hints for the describer, which must not rely on them (real parts have
 * none). The families "random" and "random_multi" lie outside any template (random polygons with
 * arcs and holes; random combinations of extrudes on random planes); gn_part.random is 1 for them.
 *
 * Errors: -1 + ut_error(). Thread safety: gn_make only reads o; concurrent calls are fine.
 */
#ifndef RECAD_GEN_H
#define RECAD_GEN_H

#include <stdint.h>

#include "model/cad.h"
#include "model/level.h"

#define GN_MAX_PARAMS 16
#define GN_MAX_ATTEMPTS 64
#define GN_MAX_FAMILIES 32

/* a semantic parameter: a number (mm, a count or degrees, as the name says) or a word */
typedef struct {
    const char *name;  /* static: "width", "depth", "thickness", "hole_diameter", "hole_count",
                          "pcd", "plane", "extent", "shape", ... */
    double value;      /* the number (NAN for a word) */
    const char *text;  /* the word ("XZ", "symmetric", "hexagon"), or NULL for a number */
} gn_param;

typedef struct {
    cad_model model;    /* validated and oriented (va_validate) */
    const char *family; /* static name, one of gn_family_names() */
    int random;         /* 1 for the families outside any template */
    lv_level level;     /* lv_classify(model) */
    int curves;         /* lv_info.curves */
    int nparams;
    gn_param params[GN_MAX_PARAMS];
    int attempts;       /* streams tried (1 when the first one gave a valid part) */
} gn_part;

typedef struct {
    double level_weight[5];                 /* L F S SE MSE; relative, need not sum to 1 */
    double family_weight[GN_MAX_FAMILIES];  /* by gn_family_names() index; 0 leaves one out */
    double plane_weight[3];                 /* the part's base plane: XY, XZ, YZ */
    double inch_share;                      /* parts dimensioned in 1/16 inch steps */
} gn_options;

/* the calibrated defaults (docs/data_calibration.md): the real level and plane mix, every family
 * weight 1 except plate 3, spacer 1.5, shaft 1.5, section 0.7, intersected 0.3; inch_share 0.2 */
void gn_default_options(gn_options *o);

/* NULL-terminated list of the family names, in index order */
const char *const *gn_family_names(void);
int gn_family_count(void);
int gn_family_index(const char *name); /* -1 if unknown */
/* the levels a family can make: bit (1 << lv_level) */
unsigned gn_family_levels(int family);

/* Sets o->family_weight from a comma-separated list of names (the others get 0).
 * -1 + ut_error() naming the unknown family. */
int gn_select_families(gn_options *o, const char *list);

/* Part `index` of `seed`. Fills *out (gn_part_free it) and returns 0; -1 + ut_error() if the
 * options allow no family / level, or no valid part came out of GN_MAX_ATTEMPTS streams. */
int gn_make(const gn_options *o, uint64_t seed, long index, gn_part *out);
void gn_part_free(gn_part *p);

/* the value of a numeric parameter, or def if the part has none of that name */
double gn_param_value(const gn_part *p, const char *name, double def);

#endif
