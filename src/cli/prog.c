/* prog.c - see prog.h. */
#include "cli/prog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/util.h"

int prog_max_instr(const char *cmd, const char *value, void *lim) {
    long n;
    if (arg_to_long(value, &n))
        return cli_error(-1, cmd, "option --max-instructions: '%s' is not an integer", value);
    if (n < 1000) return cli_error(-1, cmd, "option --max-instructions: %ld is too small (at least 1000)", n);
    ((ex_limits *)lim)->max_instructions = n;
    return 0;
}

int prog_max_mem(const char *cmd, const char *value, void *lim) {
    double mb;
    if (arg_to_double(value, &mb)) return cli_error(-1, cmd, "option --max-memory: '%s' is not a number", value);
    if (!(mb >= 0.0625 && mb <= 1 << 20))
        return cli_error(-1, cmd, "option --max-memory: %s MiB is out of range [0.0625, 1048576]", value);
    ((ex_limits *)lim)->max_memory = (size_t)(mb * (1 << 20));
    return 0;
}

int prog_run(const char *cmd, const char *path, const ex_limits *lim, cad_model *m, ex_stats *st) {
    size_t len;
    char *src = ex_read_program(path, &len);
    if (!src) return cli_error(CLI_IO, cmd, "%s", ut_error());
    int rc = ex_run_stats(src, len, path, lim, m, st);
    free(src);
    if (rc < 0) return cli_error(CLI_INVALID, cmd, "%s", ut_error());
    return CLI_OK;
}

int prog_parse_size(const char *cmd, const char *value, void *wh) {
    int a, b, n = 0;
    if (sscanf(value, "%dx%d%n", &a, &b, &n) != 2 || value[n] || a < 8 || b < 8 || a > 8192 || b > 8192)
        return cli_error(-1, cmd, "option --size: '%s' is not WxH with sides in [8, 8192]", value);
    ((int *)wh)[0] = a;
    ((int *)wh)[1] = b;
    return 0;
}

void prog_model_counts(const cad_model *m, prog_counts *c) {
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
