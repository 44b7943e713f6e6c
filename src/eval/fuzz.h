/* fuzz.h - seeded random CADLib programs and JSON mutants, and the checks every one must pass.
 *
 *   char *src = fz_program(seed, 0);                     a random program (free it)
 *   fz_result r;  fz_check_program(src, "fuzz", NULL, 0, &r);   run, solid, samples, mesh
 *   char *bad = fz_mutate_json(json_text, seed);          a damaged copy of a real model file
 *   fz_check_json(bad, "mutant", NULL, 0, &r);
 *
 * Programs: 1 to 6 extrudes (sometimes up to 40), each a sketch of 1 to 3 faces on XY / XZ / YZ
 * or on a tilted and offset plane; faces are rectangles, regular polygons, circles, slots and
 * rounded rectangles (three-point arcs), with 0 to 2 circular holes; extents one-sided,
 * two-sided or symmetric; ops new / join / cut / intersect; sizes from 1e-3 to 1e4 mm. About one
 * program in five is damaged on purpose (an open or self-crossing loop, a hole outside, a zero,
 * negative, NaN or huge number, an unknown op, a wrong argument type). The same seed gives the
 * same text on every machine.
 *
 * JSON mutants: 1 to 4 of: delete a member or element, swap a value's type, a huge or tiny number,
 * a NaN-like value ("NaN", null, 1e999 as text), deep nesting (a value wrapped in hundreds of
 * arrays), or truncation of the text at a random byte.
 *
 * Checks (fz_check_*), each under one geometry budget (base/budget.h) of the given limits: the
 * input runs / imports and validates, or is refused with an error message; a valid model gives a
 * solid whose mass properties are computed (or refused by the budget); FZ_SAMPLES surface samples
 * lie on the boundary (the solid contains the point just behind the outward normal and not the
 * point just in front, at 1e-7 of the size; at least 98 % of them); the mesh at the automatic
 * tolerance encloses the exact volume within 0.5 %, or meshing is refused with an error message;
 * the whole check takes less than FZ_MAX_SECONDS.
 *
 * Thread safety: no shared state; each call owns its model, solid and mesh.
 */
#ifndef RECAD_FUZZ_H
#define RECAD_FUZZ_H

#include <stdint.h>

#include "base/budget.h"

#define FZ_SAMPLES 32        /* surface samples tested per valid model */
#define FZ_MAX_SECONDS 2.0   /* a check slower than this fails */
#define FZ_MESH_REL 0.005    /* largest relative mesh volume error */

typedef enum {
    FZ_REFUSED = 0, /* the input was refused with an error message (fine) */
    FZ_OK = 1,      /* valid, and every check passed */
    FZ_BUDGET = 2,  /* valid, the geometry budget stopped the work with its message (fine) */
    FZ_FAIL = 3     /* a check failed: see fz_result.fail */
} fz_outcome;

typedef struct {
    fz_outcome outcome;
    char fail[300];       /* FZ_FAIL: which check and why; else the error of a refusal ("" if none) */
    int mesh_refused;     /* 1: the mesher refused the valid model (with a message) */
    int mesh_off;         /* 1: the mesh was made but its volume is off by more than FZ_MESH_REL */
    double volume, mesh_volume; /* exact and meshed volume (NaN when not computed) */
    int samples_bad;      /* surface samples that failed the inside / outside test */
    double seconds;       /* wall time of the check */
} fz_result;

/* a random CADLib program for seed (free it); max_extrudes > 0 caps the extrude count (the
   test suite's quick runs), 0 leaves it free (up to 40) */
char *fz_program(uint64_t seed, int max_extrudes);
/* a damaged copy of JSON text for seed (free it); text need not be valid JSON */
char *fz_mutate_json(const char *text, uint64_t seed);

/* runs the checks above on a program or a JSON model; lim NULL: the default geometry budget;
   max_seconds <= 0: FZ_MAX_SECONDS (a sanitizer build, several times slower, passes more).
   Returns r->outcome. */
fz_outcome fz_check_program(const char *src, const char *name, const bg_limits *lim, double max_seconds, fz_result *r);
fz_outcome fz_check_json(const char *text, const char *name, const bg_limits *lim, double max_seconds, fz_result *r);

#endif
