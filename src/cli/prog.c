/* prog.c - see prog.h. */
#include "cli/prog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/budget.h"
#include "base/util.h"
#include "data/import.h"
#include "eval/score.h"
#include "geom/render.h"

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

int prog_max_geom_seconds(const char *cmd, const char *value, void *lim) {
    double s;
    if (arg_to_double(value, &s)) return cli_error(-1, cmd, "option --max-geom-seconds: '%s' is not a number", value);
    if (!(s > 0 && s <= 86400))
        return cli_error(-1, cmd, "option --max-geom-seconds: %s is out of range (0, 86400]", value);
    ((ex_limits *)lim)->geometry.max_seconds = s;
    return 0;
}

int prog_max_geom_work(const char *cmd, const char *value, void *lim) {
    long n;
    if (arg_to_long(value, &n)) return cli_error(-1, cmd, "option --max-geom-work: '%s' is not an integer", value);
    if (n < 1000) return cli_error(-1, cmd, "option --max-geom-work: %ld is too small (at least 1000)", n);
    ((ex_limits *)lim)->geometry.max_work = n;
    return 0;
}

/* the geometry budget of the command's part: begun when its program ends, current until exit */
static bg_budget prog_budget;
static int prog_budget_on;

void prog_budget_begin(const ex_limits *lim) {
    if (prog_budget_on) bg_end(&prog_budget);
    prog_budget_on = 1;
    bg_begin(&prog_budget, &lim->geometry);
}

/* a DeepCAD / Fusion 360 / Text2CAD JSON model, imported and validated under the budget */
static int prog_json(const char *path, const char *text, const ex_limits *lim, cad_model *m, ex_stats *st) {
    double t0 = ut_now();
    prog_budget_begin(lim);
    im_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = im_parse(text, path, NULL, m, &rep);
    if (rc == 0 && im_validate(m, &rep) != 0) rc = ut_fail("%s: invalid geometry: %s", path, ut_error());
    if (rc != 0 && bg_exceeded()) bg_fail(path); /* "<path> exceeded the geometry budget (...)" */
    if (rc != 0) cad_free(m);
    im_report_free(&rep);
    if (st) {
        memset(st, 0, sizeof *st);
        st->seconds = ut_now() - t0;
        st->outcome = rc == 0 ? EX_OK : bg_exceeded() ? EX_LIMIT : EX_INVALID;
    }
    return rc;
}

int prog_run(const char *cmd, const char *path, const ex_limits *lim, cad_model *m, ex_stats *st) {
    size_t len;
    char *src = ex_read_program(path, &len);
    if (!src) return cli_error(CLI_IO, cmd, "%s", ut_error());
    int rc;
    if (sc_is_json_text(src)) {
        rc = prog_json(path, src, lim, m, st);
    } else {
        if (prog_budget_on) bg_end(&prog_budget);
        prog_budget_on = 1; /* begun by the executor when the program ends */
        rc = ex_run_budget(src, len, path, lim, m, st, &prog_budget);
    }
    free(src);
    if (rc < 0) return cli_error(CLI_INVALID, cmd, "%s", ut_error());
    return CLI_OK;
}

int prog_parse_size(const char *cmd, const char *value, void *wh) {
    int a, b, n = 0;
    if (sscanf(value, "%dx%d%n", &a, &b, &n) != 2 || value[n] || a < 8 || b < 8 || a > RD_MAX_SIDE || b > RD_MAX_SIDE)
        return cli_error(-1, cmd, "option --size: '%s' is not WxH with sides in [8, %d]", value, RD_MAX_SIDE);
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
