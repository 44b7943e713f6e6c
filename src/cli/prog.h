/* prog.h - what the program-running commands (run, render, info, export) share, prefix prog_:
 * the sandbox-limit options, executing a program file with clear errors and exit codes, the
 * --size and --tol options, and a model's element counts. */
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
#define PROG_OPTS(lim)                                                                          \
    ARG_FN("max-instructions", 0, lim, prog_max_instr, "N",                                     \
           "instruction budget of the program (default 10000000)"),                                \
        ARG_FN("max-memory", 0, lim, prog_max_mem, "MB", "memory cap of the program in MiB (default 64)")

/* reads and executes a program; prints "recad <cmd>: <reason>" and returns CLI_IO (file) or
 * CLI_INVALID (program error); CLI_OK with *m filled (free it) and *st on success */
int prog_run(const char *cmd, const char *path, const ex_limits *lim, cad_model *m, ex_stats *st);

/* the help footer of the program-running commands */
#define PROG_EXIT_CODES "exit codes: 0 ok, 1 invalid program or geometry, 2 usage error, 3 file error\n"

/* --size "WxH" with both sides in [8, 8192]: an arg_fn filling int dst[2] = {w, h} */
int prog_parse_size(const char *cmd, const char *value, void *wh);

/* the chord tolerance option of the meshing commands (mm, > 0) */
#define PROG_TOL_OPT(tol) ARG_DOUBLE_GT("tol", 0, tol, 0, INFINITY, "T", "chord tolerance of the mesh in mm (default: automatic)")

/* model element counts */
typedef struct {
    int extrudes, sketches, faces, loops, curves, lines, arcs, circles;
} prog_counts;
void prog_model_counts(const cad_model *m, prog_counts *c);

#endif
