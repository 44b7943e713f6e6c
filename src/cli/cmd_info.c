/* cmd_info.c - `recad info PROGRAM.lua`: volume, area, centroid, bounding box, counts, level. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cad/codewrite.h"
#include "model/level.h"
#include "cli/prog.h"
#include "geom/solid.h"
#include "base/tol.h"
#include "base/util.h"

static void info_json(const char *path, int rc, const char *err, const prog_counts *c, const lv_info *lv,
                      const sd_props *p) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "program", path);
    cJSON_AddBoolToObject(j, "ok", rc == CLI_OK);
    cJSON_AddNumberToObject(j, "exit_code", rc);
    if (err) cJSON_AddStringToObject(j, "error", err);
    if (rc == CLI_OK) {
        cJSON_AddStringToObject(j, "level", lv_name(lv->level));
        cJSON_AddNumberToObject(j, "volume", p->volume);
        cJSON_AddNumberToObject(j, "area", p->area);
        cJSON_AddItemToObject(j, "centroid", cJSON_CreateDoubleArray(p->centroid, 3));
        cJSON *b = cJSON_AddObjectToObject(j, "bbox");
        cJSON_AddItemToObject(b, "min", cJSON_CreateDoubleArray(p->lo, 3));
        cJSON_AddItemToObject(b, "max", cJSON_CreateDoubleArray(p->hi, 3));
        cJSON_AddBoolToObject(j, "exact", p->exact);
        cJSON *k = cJSON_AddObjectToObject(j, "counts");
        cJSON_AddNumberToObject(k, "extrudes", c->extrudes);
        cJSON_AddNumberToObject(k, "sketches", c->sketches);
        cJSON_AddNumberToObject(k, "faces", c->faces);
        cJSON_AddNumberToObject(k, "loops", c->loops);
        cJSON_AddNumberToObject(k, "curves", c->curves);
        cJSON_AddNumberToObject(k, "lines", c->lines);
        cJSON_AddNumberToObject(k, "arcs", c->arcs);
        cJSON_AddNumberToObject(k, "circles", c->circles);
        cJSON_AddNumberToObject(k, "holes", lv->holes);
    }
    cli_print_json(j);
}

/* a length printed without float noise: within TOL_REL of the part size (codewrite's rounding) */
static const char *info_num(double v, double size, char *buf) {
    if (cw_number(v, tol_len(size > 0 ? size : 1), buf, 64) < 0) snprintf(buf, 64, "%g", v);
    return buf;
}

static void info_text(const char *path, const prog_counts *c, const lv_info *lv, const sd_props *p) {
    double size = 0;
    for (int k = 0; k < 3; k++) size = fmax(size, fmax(fabs(p->lo[k]), fabs(p->hi[k])));
    char b[9][64];
    printf("program   %s\n", path);
    printf("level     %s\n", lv_name(lv->level));
    printf("counts    %d extrudes, %d sketches, %d faces, %d loops (%d holes), %d curves (%d lines, %d arcs, %d circles)\n",
           c->extrudes, c->sketches, c->faces, c->loops, lv->holes, c->curves, c->lines, c->arcs, c->circles);
    printf("volume    %.10g mm^3%s\n", p->volume, p->exact ? "" : " (quadrature, 1e-6 relative)");
    printf("area      %.10g mm^2\n", p->area);
    printf("centroid  %s %s %s mm\n", info_num(p->centroid[0], size, b[0]), info_num(p->centroid[1], size, b[1]),
           info_num(p->centroid[2], size, b[2]));
    printf("bbox      min %s %s %s  max %s %s %s mm\n", info_num(p->lo[0], size, b[0]), info_num(p->lo[1], size, b[1]),
           info_num(p->lo[2], size, b[2]), info_num(p->hi[0], size, b[3]), info_num(p->hi[1], size, b[4]),
           info_num(p->hi[2], size, b[5]));
    printf("size      %s x %s x %s mm\n", info_num(p->hi[0] - p->lo[0], size, b[6]), info_num(p->hi[1] - p->lo[1], size, b[7]),
           info_num(p->hi[2] - p->lo[2], size, b[8]));
}

CLI_COMMAND(cmd_info, "info", "report volume, area, centroid, bbox, counts and level of a CADLib program") {
    const char *cmd = "info";
    int json = 0, first;
    ex_limits lim;
    ex_default_limits(&lim);
    const arg_opt opts[] = {ARG_FLAG("json", 0, &json, "print one JSON object on stdout"), PROG_OPTS(&lim), ARG_END};
    const arg_spec spec = {cmd, "PROGRAM.lua [--json] [options]",
                           "Executes a CADLib program and reports its part, measured on the exact solid (no mesh):\n"
                           "volume (mm^3), surface area (mm^2), centroid and bounding box (mm), the counts of extrudes,\n"
                           "sketches, faces, loops and curves (lines, arcs, circles), and the ReCAD hierarchy level\n"
                           "(L, F, S, SE, MSE; docs/levels.md).",
                           opts, 1, 1, "PROGRAM.lua",
                           PROG_EXIT_CODES};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    const char *path = argv[first];
    cad_model m;
    ex_stats st;
    prog_counts cnt = {0};
    lv_info lv = {0};
    sd_props p = {0};
    rc = prog_run(cmd, path, &lim, &m, &st);
    if (rc == CLI_OK) {
        prog_model_counts(&m, &cnt);
        lv_classify(&m, &lv);
        sd_solid *s = sd_build(&m);
        if (!s || sd_mass_props(s, &p) < 0) rc = cli_error(CLI_INVALID, cmd, "%s: %s", path, ut_error());
        sd_free(s);
        cad_free(&m);
    }
    if (json) info_json(path, rc, rc == CLI_OK ? NULL : ut_error(), &cnt, &lv, &p);
    else if (rc == CLI_OK) info_text(path, &cnt, &lv, &p);
    return rc;
}
