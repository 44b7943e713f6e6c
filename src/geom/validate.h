/* validate.h - geometric validation of a CAD model, with the source line of each problem.
 *
 * va_validate() checks what the solid kernel relies on and reports the first problem as
 * "line N: <what>" through ut_error(): a loop that is not closed (gap larger than 1e-6 of the
 * model size), a self-intersecting loop or two intersecting loops of one face (crossing, or
 * sharing a stretch of boundary; loops that only touch at isolated points, as a hole tangent to
 * the outer loop, are valid, as are curves that meet tangentially at their junction), a zero-length
 * curve, a three-point arc whose points are collinear or coincide, a hole outside its outer
 * loop, a zero or non-finite extent, non-finite coordinates, an extrude whose result is empty.
 * On success it also orients the model in place: each loop's curves are reordered/flipped so the
 * chain runs start-to-end, outer loops counter-clockwise and holes clockwise in sketch
 * coordinates.
 *
 * Budget: the checks charge the thread's geometry budget (base/budget.h); when it runs out the
 * model is neither accepted nor refused: -1 and "validation exceeded the geometry budget (...)".
 */
#ifndef RECAD_VALIDATE_H
#define RECAD_VALIDATE_H

#include "model/cad.h"

int va_validate(cad_model *m); /* 0 ok, -1 + ut_error() */

#endif
