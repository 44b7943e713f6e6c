/* codewrite.h - a CAD model back to a hard-coded CADLib program (see docs/cadlib.md).
 *
 * cw_program() writes one Extrude statement per model extrude, in order, each with its own
 * Sketch, Face and Loop calls and literal numbers:
 *
 *   Extrude(Sketch(XY,
 *     Face(
 *       Loop(Line(0,0, 60,0), Line(60,0, 60,40), Line(60,40, 0,40), Line(0,40, 0,0)),
 *       Loop(Circle(8,8, 3)))),
 *     6, "new")
 *
 * Planes equal to XY / XZ / YZ (cad.h) are written by name, any other as
 * Plane({ox,oy,oz}, {xx,xy,xz}, {nx,ny,nz}). Extents: d, {d1, d2} or {sym = t}; the op is always
 * written. A loop, face or sketch with more than CW_MAX_ARGS parts is written as
 * Loop(table.unpack{...}) so Lua's limit on call arguments is never reached.
 *
 * Numbers are printed short, without float noise: rounded to the coarsest decimal grid 10^-d
 * whose half step is within an absolute tolerance - tol_len(model size) = 1e-9 of the model size
 * for coordinates, plane origins and extents, TOL_DIR = 1e-12 for the plane's unit direction
 * vectors (base/tol.h) - with trailing zeros
 * dropped and "-0" written "0" (so 0.30000000000000004 -> 0.3, 6.1e-17 -> 0, 60.0 -> 60).
 * Rounding to a fixed grid makes writing idempotent: a written program, executed and written
 * again, gives the same text. Executing the program gives the same model up to the tolerance
 * (the executor then validates and orients it exactly as it did the original).
 */
#ifndef RECAD_CODEWRITE_H
#define RECAD_CODEWRITE_H

#include <stddef.h>

#include "model/cad.h"

#define CW_MAX_ARGS 200

/* The program text (malloc'd, NUL-terminated; free it). NULL + ut_error() if the model has no
 * extrude, refers to missing elements or holds a non-finite number. */
char *cw_program(const cad_model *m);
/* writes cw_program(m) to path atomically */
int cw_write_file(const cad_model *m, const char *path);

/* Decimal text of v within tol of it (tol > 0: v rounded to the coarsest grid 10^-d with
 * 0.5 * 10^-d <= tol, trailing zeros dropped; tol = 0 or |v| >= 1e15: the shortest text that
 * reads back exactly, exponent written "1e20"). Returns the length (buf holds at least 32
 * bytes), or -1 if v is not finite. */
int cw_number(double v, double tol, char *buf, size_t size);

/* The model size the coordinate tolerance is relative to: the largest absolute value among
 * curve coordinates, radii, plane origins and extents (1 if the model has none). */
double cw_model_scale(const cad_model *m);

#endif
