/* level.h - the ReCAD hierarchy level of a CAD model, for the curriculum L -> F -> S -> SE -> MSE.
 *
 * The levels follow the CADLib containers (curve < Loop < Face < Sketch < Extrude < program) and
 * name the highest construct a model needs (docs/levels.md has examples):
 *   L    one extrude, "plain", of a sketch with one face that is a single loop
 *   F    one plain extrude of a sketch with one face that has holes
 *   S    one plain extrude of a sketch with several faces
 *   SE   one extrude that is not plain: its extent is two-sided or symmetric, or its plane is not
 *        a standard one (any sketch)
 *   MSE  two or more extrudes (booleans between them)
 * A plain extrude is one-sided on a standard plane: its x direction and normal each lie along a
 * world axis (either sign, within 1e-9), so the sketch can be written on XY, XZ or YZ by permuting
 * and negating coordinates and the distance, and its origin lies on that plane through the world
 * origin (|origin . normal| <= 1e-9 of the model's coordinates; moving the origin inside the plane only shifts
 * sketch coordinates). Inside a level the curriculum sorts by lv_info.curves.
 */
#ifndef RECAD_LEVEL_H
#define RECAD_LEVEL_H

#include "model/cad.h"

typedef enum { LV_NONE = -1, LV_L = 0, LV_F = 1, LV_S = 2, LV_SE = 3, LV_MSE = 4 } lv_level;

typedef struct {
    lv_level level;      /* LV_NONE if the model has no extrude */
    int extrudes;        /* extrude operations */
    int sketches;        /* distinct sketches the extrudes use */
    int faces, loops;    /* summed over the extrudes' sketches (a sketch counted once) */
    int holes;           /* loops that are not the outer loop of their face */
    int curves;          /* curves of those loops */
    int lines, arcs, circles;
} lv_info;

/* Fills info; returns info->level. */
lv_level lv_classify(const cad_model *m, lv_info *info);
const char *lv_name(lv_level l);       /* "L" "F" "S" "SE" "MSE", "none" */
int lv_parse(const char *s, lv_level *l); /* -1 if unknown */

#endif
