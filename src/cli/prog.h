/* prog.h - what the program-running commands (run, render, info) share: the sandbox options,
 * executing a program file with clear errors and exit codes, and image-size parsing. */
#ifndef RECAD_CLI_PROG_H
#define RECAD_CLI_PROG_H

#include <stdio.h>

#include "model/cad.h"
#include "cad/exec.h"

/* long options of the sandbox limits; their getopt values */
enum { CLI_OPT_MAX_INSTR = 1000, CLI_OPT_MAX_MEM };
#define CLI_PROG_LONGOPTS                                                                 \
    {"max-instructions", required_argument, 0, CLI_OPT_MAX_INSTR},                       \
    {"max-memory", required_argument, 0, CLI_OPT_MAX_MEM}
#define CLI_PROG_HELP                                                                     \
    "  --max-instructions N  instruction budget of the program (default 10000000)\n"      \
    "  --max-memory MB       memory cap of the program in MiB (default 64)\n"

/* handles a limit option: 1 if it was one (lim updated), 0 if not, -1 after printing a usage
 * error */
int cli_prog_option(const char *cmd, int opt, const char *arg, ex_limits *lim);

/* reads and executes a program; prints "recad <cmd>: <reason>" and returns CLI_IO (file) or
 * CLI_INVALID (program error); CLI_OK with *m filled (free it) and *st on success */
int cli_prog_run(const char *cmd, const char *path, const ex_limits *lim, cad_model *m, ex_stats *st);

/* the single PROGRAM.lua operand left after option parsing (argv[optind]); NULL after printing
 * the usage and a usage error */
const char *cli_prog_operand(const char *cmd, int argc, char **argv, void (*usage)(FILE *));

/* --tol: a positive number of mm; -1 after printing a usage error */
int cli_parse_tol(const char *cmd, const char *s, double *tol);

/* "WxH" with both sides in [8, 8192]; -1 after printing a usage error */
int cli_parse_size(const char *cmd, const char *s, int *w, int *h);

/* model element counts */
typedef struct {
    int extrudes, sketches, faces, loops, curves, lines, arcs, circles;
} cli_counts;
void cli_model_counts(const cad_model *m, cli_counts *c);

#endif
