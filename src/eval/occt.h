/* occt.h - OpenCASCADE as an independent geometry oracle and STEP writer.
 *
 * recad's own kernel (solid.h) is checked against OpenCASCADE (OCCT; the comparison of a data
 * file is xcheck.h). Linking OCCT's C++ libraries is avoided: this module writes a Tcl script for
 * OCCT's command interpreter `occt-draw` (Debian packages occt-draw, libocct-draw-dev,
 * libocct-data-exchange-dev), runs it in a child process with a time limit and parses what it
 * prints.
 *
 * Independent on purpose: the script's loop handling below (chaining, the signed area that
 * orients a loop, the chord of a collinear arc) is written again here (oc_chain, oc_loop_area in
 * occt.c) rather than taken from geo2d.h / sketch.h or the importer, and the module includes only
 * base and model headers. It is the oracle that the kernel and the importer are cross-checked
 * against: sharing their code would share their bugs, and a wrong chain or orientation would then
 * agree with itself instead of showing up as a difference.
 *
 * The script builds the model's exact geometry:
 *   - every loop is chained (curves reordered start-to-end), its vertices shared between
 *     consecutive curves (the start of each curve is the vertex; a gap left by the model is
 *     absorbed: a line runs between the shared vertices, an arc is recomputed through the shared
 *     vertices and its own middle point), and oriented from its signed area: outer loops
 *     counter-clockwise, holes clockwise about the sketch normal;
 *   - lines are straight edges, arcs true circle arcs (a circle through the arc's centre with its
 *     x direction at the arc start, trimmed to [0, |sweep|]), circles closed circular edges; a
 *     three-point arc whose points are collinear, the middle one between the ends, is its
 *     straight chord (the limit of infinite radius; quantised Text2CAD arcs contain such);
 *   - a face is `mkplane` on the outer wire plus `add` of each hole wire, placed in world
 *     coordinates at w = w0 of the extrude's slab, then `prism` by (w1 - w0) * normal;
 *   - the prisms of one sketch are fused in one general fuse (baddobjects, baddtools, bfillds,
 *     bbop 1), then applied to the running body in order: the first extrude starts the body,
 *     new/join -> bfuse, cut -> bcut, intersect -> bcommon.
 * Numbers are printed with %.17g (round-trip exact). Measurements: `vprops R closed -full`
 * (volume, centroid, inertia), `sprops R -full` (area), `bounding -optimal -noTriangulation R`
 * (exact box), `checkshape R`, `nbshapes R`.
 *
 * The interpreter is `occt-draw` found on PATH, or the program named by $RECAD_OCCT_DRAW. The
 * script goes to a private temporary folder (never through a shell); the child gets /dev/null as
 * stdin, its own process group, and is killed (SIGKILL to the group) when the time limit passes.
 *
 * Units: whatever the model uses (millimetres). Errors: -1 + ut_error() as everywhere in recad.
 * Thread safety: calls are independent (each run has its own temporary folder and child).
 * docs/occt.md describes the script, the cross-check and its measured per-file table.
 */
#ifndef RECAD_OCCT_H
#define RECAD_OCCT_H

#include "model/cad.h"

#define OC_DEFAULT_TIMEOUT 60.0 /* seconds */

typedef struct {
    double volume;       /* mm^3 (vprops) */
    double area;         /* mm^2 (sprops) */
    double centroid[3];  /* mm */
    double inertia[9];   /* mm^5, about the centroid, unit density, row-major (OCCT's matrix of inertia) */
    double lo[3], hi[3]; /* exact axis-aligned bounding box, mm */
    int valid;           /* 1 if checkshape found no fault */
    int nsolids;         /* SOLID count of the result (nbshapes) */
    double seconds;      /* wall time of the occt-draw run (start, build, measure, STEP write) */
    double cpu_seconds;  /* CPU time (user + system) of that run */
} oc_props;

typedef struct {
    double timeout_s;      /* <= 0: OC_DEFAULT_TIMEOUT */
    const char *step_path; /* if not NULL, also write the result there as STEP (AP214, mm) */
} oc_options;

/* Path of the occt-draw program (static storage), or NULL + ut_error() naming the packages to
 * install when it cannot be found. */
const char *oc_binary(void);

/* The Tcl script for a model (malloc'd, caller frees), or NULL + ut_error() for a model that
 * cannot be expressed (no extrude, a loop that does not close, a circle sharing a loop with
 * other curves, non-finite numbers, a zero extent). `result` names the final shape in the
 * script; `step_tmp`, if not NULL, is the path the script writes STEP to. The script is
 * complete (`occt-draw -b -f script.tcl` runs it: it builds, writes STEP if asked, prints
 * "@@END" and exits) but measures nothing: oc_measure() adds the measurements. */
char *oc_script(const cad_model *m, const char *result, const char *step_tmp);

/* Runs a Tcl script in occt-draw with a time limit; *output gets stdout + stderr (malloc'd,
 * NUL-terminated; caller frees). Returns 0 when the interpreter exited normally (whatever the
 * script did), -1 + ut_error() when it could not be started, was killed or timed out. */
int oc_run_script(const char *script, double timeout_s, char **output, double *seconds);
/* the same, also giving the child's CPU time (user + system); seconds / cpu_seconds may be NULL */
int oc_run_script_cpu(const char *script, double timeout_s, char **output, double *seconds, double *cpu_seconds);

/* Builds the model in OCCT and measures it; writes STEP when opt->step_path is set (atomically:
 * OCCT writes a temporary file next to it, which is checked and renamed). opt may be NULL. */
int oc_measure(const cad_model *m, const oc_options *opt, oc_props *out);

/* Convenience: oc_measure() with only a STEP path; props may be NULL. */
int oc_write_step(const cad_model *m, const char *step_path, oc_props *props);

/* Reads a STEP file back with OCCT (stepread) and measures the shape it holds. */
int oc_measure_step(const char *step_path, double timeout_s, oc_props *out);

/* Quotes s as one Tcl word (double quotes, backslash escapes) into a malloc'd string; NULL +
 * ut_error() if s holds a control character. */
char *oc_tcl_quote(const char *s);

#endif
