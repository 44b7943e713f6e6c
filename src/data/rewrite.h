/* rewrite.h - a hard-coded CAD model to a parametric CADLib program, verified by execution.
 *
 *   rp_result res;
 *   char *prog = rp_parametric(&m, &res);   // parametric if verified, else the hard-coded program
 *   printf("%s-- %s\n", prog, res.reason == RP_OK ? "verified" : rp_reason_name(res.reason));
 *   free(prog);
 *
 * What rp_rewrite() writes (docs/data_rewrite.md has the rules and examples). The program keeps
 * the CADLib interface (Line Arc Circle Loop Face Sketch Extrude XY XZ YZ Plane) and plain Lua:
 *   - top-level parameters, `local h, w, d = 6, 60, 40`: extrude distances, plane offsets, the
 *     sizes of recognised profiles, circle radii, pattern counts / radii / pitches; one name per
 *     distinct value (a value met again reuses its name, negated where negative), at most
 *     RP_MAX_PARAMS names, the rest stay literal;
 *   - recognised profiles as local functions defined once, centre-based: rect(cx, cy, w, h),
 *     rounded(cx, cy, w, h, r) (rectangle with four equal corner arcs), slot(cx, cy, l, r, a)
 *     (obround: centre distance l, radius r, axis at a degrees), polygon(cx, cy, R, n, a)
 *     (regular n-gon of circumradius R, first vertex at a degrees); centred at the origin they
 *     read rect(0, 0, w, d);
 *   - equal circles (holes of one face, or one-circle faces of one sketch) on a complete grid or
 *     row (equal pitches), or n >= 3 of them equally spaced on a circle, as `for` loops filling a
 *     table that the Face / Sketch call unpacks;
 *   - a hole or face and its mirror image about an axis-parallel line x = c or y = c (any c; the
 *     part's centre line included) as `local function side(s) ... end` called with 1 and -1;
 *   - everything else curve by curve with literal coordinates, as cw_program writes it.
 * Numbers are printed as cw_number does (rounded to tol_len(cw_model_scale(m)), no float noise).
 * Recognition tolerance: RP_EPS_REL of the sketch's extent (real files carry rounded
 * coordinates, so a bolt circle is equally spaced only to their last digit).
 *
 * Verification (rp_verify): the hard-coded program cw_program(m) and the candidate both run with
 * the default sandbox limits (cad/exec.h); their solids must have an exact IoU
 * V(A n B) / (V(A) + V(B) - V(A n B)) >= RP_MIN_IOU (sd_combine INTERSECT, sd_volume) and
 * bounding boxes equal within RP_BBOX_REL of the box's largest side. rp_parametric() also rejects
 * a rewrite longer than RP_MAX_GROWTH x the hard-coded text + RP_MAX_EXTRA bytes.
 *
 * Errors: NULL / -1 + ut_error() (base/util.h). Thread safety: no shared state; every call may
 * run concurrently (the executor gives each run its own Lua state).
 */
#ifndef RECAD_REWRITE_H
#define RECAD_REWRITE_H

#include "model/cad.h"

#define RP_MAX_PARAMS 30    /* top-level named parameters at most */
#define RP_EPS_REL 5e-7     /* recognition tolerance, relative to the sketch's extent */
#define RP_MIN_IOU 0.999999 /* exact IoU a rewrite must reach */
#define RP_BBOX_REL 1e-6    /* bounding-box corners agree within this x the box's largest side */
#define RP_MAX_GROWTH 1.5   /* a rewrite may be this x the hard-coded length ... */
#define RP_MAX_EXTRA 800    /* ... plus this many bytes (the helper definitions) */

/* why a rewrite was not kept (rp_reason_name gives the hyphenated names in parentheses) */
typedef enum {
    RP_OK = 0,          /* "verified" */
    RP_REWRITE_ERROR,   /* "rewrite-error": the model could not be written (missing elements,
                           non-finite numbers, a call with too many arguments) */
    RP_ORIGINAL_ERROR,  /* "original-error": the hard-coded program itself does not run */
    RP_RUNS_ERROR,      /* "runs-error": the parametric program does not run or validate */
    RP_VOLUME_MISMATCH, /* "volume-mismatch": IoU below RP_MIN_IOU */
    RP_BBOX_MISMATCH,   /* "bbox-mismatch": bounding boxes differ */
    RP_TOO_LONG,        /* "too-long": longer than the hard-coded program allows */
    RP_NREASONS
} rp_reason;

const char *rp_reason_name(rp_reason r);

/* what a rewrite used */
typedef struct {
    int params;                         /* top-level named parameters */
    int circular, grid;                 /* circular patterns; grid / row patterns */
    int mirrors;                        /* mirrored pairs written as a function applied twice */
    int rects, rounded, slots, polygons; /* loops written with the profile functions */
    int circles;                        /* circles written outside patterns */
    int literal_loops;                  /* loops written curve by curve */
    int patterned;                      /* loops made by the pattern loops */
} rp_info;

/* The parametric program of m (malloc'd; free it), unverified. info may be NULL.
 * NULL + ut_error() if m has no extrude, refers to missing elements, holds a non-finite number,
 * or a Face / Sketch would need more than CW_MAX_ARGS arguments. */
char *rp_rewrite(const cad_model *m, rp_info *info);

/* Checks that prog builds the same solid as cw_program(m). 0 if so; otherwise -1, *why (may be
 * NULL) says why and ut_error() gives the details. *iou (may be NULL) receives the IoU when both
 * programs ran (else NAN). */
int rp_verify(const cad_model *m, const char *prog, rp_reason *why, double *iou);

typedef struct {
    rp_reason reason; /* RP_OK: the returned program is the verified rewrite */
    rp_info info;     /* what the rewrite used (zero when it could not be written) */
    double iou;       /* of the rewrite against the hard-coded program; NAN if not measured */
    char detail[256]; /* the verifier's message when reason != RP_OK */
} rp_result;

/* Rewrites and verifies: the parametric program if it verifies, else the hard-coded
 * cw_program(m) with res->reason saying why. NULL + ut_error() only if m cannot be written at
 * all. res may be NULL. */
char *rp_parametric(const cad_model *m, rp_result *res);

#endif
