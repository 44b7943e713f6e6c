/* prog.c - see prog.h. */
#include "cli/prog.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/util.h"

int cli_prog_option(const char *cmd, int opt, const char *arg, ex_limits *lim) {
    if (opt == CLI_OPT_MAX_INSTR) {
        long n;
        if (cli_parse_long(cmd, "--max-instructions", arg, &n) < 0) return -1;
        if (n < 1000) return cli_error(-1, cmd, "option --max-instructions: %ld is too small (at least 1000)", n);
        lim->max_instructions = n;
        return 1;
    }
    if (opt == CLI_OPT_MAX_MEM) {
        double mb;
        if (cli_parse_double(cmd, "--max-memory", arg, &mb) < 0) return -1;
        if (!(mb >= 0.0625 && mb <= 1 << 20)) return cli_error(-1, cmd, "option --max-memory: %s MiB is out of range", arg);
        lim->max_memory = (size_t)(mb * (1 << 20));
        return 1;
    }
    return 0;
}

int cli_prog_run(const char *cmd, const char *path, const ex_limits *lim, cad_model *m, ex_stats *st) {
    size_t len;
    char *src = ex_read_program(path, &len);
    if (!src) return cli_error(CLI_IO, cmd, "%s", ut_error());
    int rc = ex_run_stats(src, len, path, lim, m, st);
    free(src);
    if (rc < 0) return cli_error(CLI_INVALID, cmd, "%s", ut_error());
    return CLI_OK;
}

const char *cli_prog_operand(const char *cmd, int argc, char **argv, void (*usage)(FILE *)) {
    if (optind == argc - 1) return argv[optind];
    usage(stderr);
    cli_error(CLI_USAGE, cmd, optind >= argc ? "missing PROGRAM.lua" : "expected one program, got %d", argc - optind);
    return NULL;
}

int cli_parse_tol(const char *cmd, const char *s, double *tol) {
    if (cli_parse_double(cmd, "--tol", s, tol) < 0) return -1;
    if (!(*tol > 0)) return cli_error(-1, cmd, "option --tol: must be a positive number of mm");
    return 0;
}

int cli_parse_size(const char *cmd, const char *s, int *w, int *h) {
    int a, b, n = 0;
    if (sscanf(s, "%dx%d%n", &a, &b, &n) != 2 || s[n] || a < 8 || b < 8 || a > 8192 || b > 8192)
        return cli_error(-1, cmd, "option --size: '%s' is not WxH with sides in [8, 8192]", s);
    *w = a;
    *h = b;
    return 0;
}

void cli_model_counts(const cad_model *m, cli_counts *c) {
    memset(c, 0, sizeof *c);
    c->extrudes = m->nextrudes;
    c->sketches = m->nsketches;
    c->faces = m->nfaces;
    c->loops = m->nloops;
    c->curves = m->ncurves;
    for (int i = 0; i < m->ncurves; i++) {
        if (m->curves[i].kind == CAD_LINE) c->lines++;
        else if (m->curves[i].kind == CAD_ARC) c->arcs++;
        else c->circles++;
    }
}
