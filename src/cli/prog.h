/* prog.h - what the program-running commands (run, render, info, export) share, prefix prog_:
 * the sandbox-limit and geometry-budget options, executing a program file (or reading a DeepCAD /
 * Fusion 360 / Text2CAD JSON file) with clear errors and exit codes, the --size and --tol
 * options, and a model's element counts.
 *
 * Budget: prog_run begins the command's geometry budget (base/budget.h, the limits' geometry
 * field) when the program ends; validation, the solid, the mesh and the render of the command
 * all charge it, and it stays current until the process exits (the next prog_run starts a new
 * one). Work stopped by the budget fails with "... exceeded the geometry budget (...)". */
#ifndef RECAD_PROG_H
#define RECAD_PROG_H

#include <stdio.h>

#include "cli/args.h"
#include "model/cad.h"
#include "cad/exec.h"

/* the sandbox-limit options of the program-running commands: put PROG_OPTS(&lim) in the
 * command's arg_opt table (args.h) */
int prog_max_instr(const char *cmd, const char *value, void *lim);
int prog_max_mem(const char *cmd, const char *value, void *lim);
int prog_max_geom_seconds(const char *cmd, const char *value, void *lim);
int prog_max_geom_work(const char *cmd, const char *value, void *lim);
#define PROG_OPTS(lim)                                                                          \
    ARG_FN("max-instructions", 0, lim, prog_max_instr, "N",                                     \
           "instruction budget of the program (default 10000000)"),                                \
        ARG_FN("max-memory", 0, lim, prog_max_mem, "MB", "memory cap of the program in MiB (default 64)"), \
        ARG_FN("max-geom-seconds", 0, lim, prog_max_geom_seconds, "S",                        \
               "geometry budget after the program: wall-clock seconds (default 5)"),              \
        ARG_FN("max-geom-work", 0, lim, prog_max_geom_work, "N",                              \
               "geometry budget after the program: work units (default 25000000)")

/* reads and executes a program, or imports a JSON model when the file's first non-blank
 * character is '{' (sc_is_json_text); prints "recad <cmd>: <reason>" and returns CLI_IO (file) or
 * CLI_INVALID (program or model error); CLI_OK with *m filled (free it) and *st on success. The
 * geometry budget is begun in every case (see above). */
int prog_run(const char *cmd, const char *path, const ex_limits *lim, cad_model *m, ex_stats *st);
/* begins the command's geometry budget now (for a model loaded without prog_run) */
void prog_budget_begin(const ex_limits *lim);

/* the help footer of the program-running commands */
#define PROG_EXIT_CODES                                                                         \
    "PROGRAM.lua may also be a DeepCAD / Fusion 360 / Text2CAD JSON file (recognised by its content).\n" \
    "exit codes: 0 ok, 1 invalid program or geometry, 2 usage error, 3 file error\n"

/* --size "WxH" with both sides in [8, RD_MAX_SIDE] (4096, the renderer's limit for one view and
 * for the whole 2x2 sheet): an arg_fn filling int dst[2] = {w, h} */
int prog_parse_size(const char *cmd, const char *value, void *wh);

/* the chord tolerance option of the meshing commands (mm, > 0) */
#define PROG_TOL_OPT(tol) ARG_DOUBLE_GT("tol", 0, tol, 0, INFINITY, "T", "chord tolerance of the mesh in mm (default: automatic)")

/* model element counts */
typedef struct {
    int extrudes, sketches, faces, loops, curves, lines, arcs, circles;
} prog_counts;
void prog_model_counts(const cad_model *m, prog_counts *c);

#endif
