/* cmd_run.c - `recad run PROGRAM.lua [-o OUT]`: execute a CADLib program, write its part. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cad/codewrite.h"
#include "geom/mesh.h"
#include "cli/prog.h"
#include "geom/render.h"
#include "base/util.h"

typedef enum { OUT_NONE, OUT_STL, OUT_OBJ, OUT_PNG, OUT_LUA } run_format;

static run_format run_format_of(const char *path) {
    const char *e = ut_path_ext(path);
    if (!strcasecmp(e, ".stl")) return OUT_STL;
    if (!strcasecmp(e, ".obj")) return OUT_OBJ;
    if (!strcasecmp(e, ".png")) return OUT_PNG;
    if (!strcasecmp(e, ".lua")) return OUT_LUA;
    return OUT_NONE;
}

typedef struct {
    int triangles;
    double mesh_volume;
} run_result;

/* writes the output file; returns a CLI code (errors printed) */
static int run_write(const char *cmd, const cad_model *m, const char *out, run_format fmt, double tol, int w, int h,
                     run_result *res) {
    if (fmt == OUT_LUA) {
        if (cw_write_file(m, out) < 0) return cli_error(CLI_IO, cmd, "cannot write %s: %s", out, ut_error());
        return CLI_OK;
    }
    ms_mesh mesh = {0};
    int mrc = ms_from_model(m, tol, &mesh);
    if (mrc == MS_BAD_TOL) return cli_error(CLI_USAGE, cmd, "option --tol: %s", ut_error());
    if (mrc < 0) return cli_error(CLI_INVALID, cmd, "meshing failed: %s", ut_error());
    res->triangles = mesh.nt;
    res->mesh_volume = ms_volume(&mesh);
    int rc = CLI_OK;
    if (fmt == OUT_STL || fmt == OUT_OBJ) {
        if ((fmt == OUT_STL ? ms_write_stl(&mesh, out) : ms_write_obj(&mesh, out)) < 0)
            rc = cli_error(CLI_IO, cmd, "cannot write %s: %s", out, ut_error());
    } else {
        img_rgb img = {0};
        if (rd_sheet(&mesh, w / 2, h / 2, &img) < 0) rc = cli_error(CLI_INVALID, cmd, "rendering failed: %s", ut_error());
        else if (img_write_png(&img, out) < 0) rc = cli_error(CLI_IO, cmd, "cannot write %s: %s", out, ut_error());
        img_free(&img);
    }
    ms_free(&mesh);
    return rc;
}

CLI_COMMAND(cmd_run, "run", "execute a CADLib program; write STL / OBJ / PNG / hard-coded program by extension") {
    const char *cmd = "run", *out = NULL;
    double tol = MS_DEFAULT_TOL;
    int wh[2] = {1024, 1024}, json = 0, first;
    ex_limits lim;
    ex_default_limits(&lim);
    const arg_opt opts[] = {ARG_STR("output", 'o', &out, "FILE", "output file (.stl, .obj, .png or .lua)"),
                            PROG_TOL_OPT(&tol),
                            ARG_FN("size", 0, wh, prog_parse_size, "WxH", "PNG size in pixels, the whole sheet (default 1024x1024)"),
                            ARG_FLAG("json", 0, &json, "print one JSON object with the result on stdout"),
                            PROG_OPTS(&lim),
                            ARG_END};
    const arg_spec spec = {
        cmd, "PROGRAM.lua [-o OUT] [options]",
        "Executes a CADLib program in the sandbox, validates its model, and writes the part by the\n"
        "output's extension:\n"
        "  .stl  binary STL of the watertight mesh       .obj  Wavefront OBJ of the mesh\n"
        "  .png  a 2x2 sheet of shaded views (isometric, front, top, right)\n"
        "  .lua  the model as a hard-coded CADLib program (literal numbers, one Extrude per operation)\n"
        "Without -o it only executes and validates.",
        opts, 1, 1, "PROGRAM.lua", PROG_EXIT_CODES};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    const char *path = argv[first];
    int w = wh[0], h = wh[1];
    run_format fmt = out ? run_format_of(out) : OUT_NONE;
    if (out && fmt == OUT_NONE)
        return cli_error(CLI_USAGE, cmd, "output %s: unknown extension '%s' (use .stl, .obj, .png or .lua)", out,
                         ut_path_ext(out));

    cad_model m;
    ex_stats st = {0};
    rc = prog_run(cmd, path, &lim, &m, &st);
    run_result res = {0};
    if (rc == CLI_OK && out) {
        rc = run_write(cmd, &m, out, fmt, tol, w, h, &res);
        if (rc != CLI_OK) cad_free(&m);
    }
    const char *err = rc == CLI_OK ? NULL : ut_error();
    prog_counts cnt = {0};
    if (rc == CLI_OK) {
        prog_model_counts(&m, &cnt);
        cad_free(&m);
    }
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "program", path);
        cJSON_AddBoolToObject(j, "ok", rc == CLI_OK);
        if (err) cJSON_AddStringToObject(j, "error", err);
        cJSON_AddNumberToObject(j, "exit_code", rc);
        cJSON_AddNumberToObject(j, "seconds", st.seconds);
        cJSON_AddNumberToObject(j, "instructions", (double)st.instructions);
        cJSON_AddNumberToObject(j, "peak_memory", (double)st.peak_memory);
        if (rc == CLI_OK) {
            cJSON *k = cJSON_AddObjectToObject(j, "counts");
            cJSON_AddNumberToObject(k, "extrudes", cnt.extrudes);
            cJSON_AddNumberToObject(k, "sketches", cnt.sketches);
            cJSON_AddNumberToObject(k, "faces", cnt.faces);
            cJSON_AddNumberToObject(k, "loops", cnt.loops);
            cJSON_AddNumberToObject(k, "curves", cnt.curves);
            if (out) cJSON_AddStringToObject(j, "output", out);
            if (out && fmt != OUT_LUA) {
                cJSON_AddNumberToObject(j, "triangles", res.triangles);
                cJSON_AddNumberToObject(j, "mesh_volume", res.mesh_volume);
            }
        }
        cli_print_json(j);
    } else if (rc == CLI_OK) {
        printf("%s: ok (%.2f ms): %d extrude%s, %d sketch%s, %d face%s, %d loop%s, %d curve%s\n", path, st.seconds * 1e3,
               cnt.extrudes, cnt.extrudes == 1 ? "" : "s", cnt.sketches, cnt.sketches == 1 ? "" : "es", cnt.faces,
               cnt.faces == 1 ? "" : "s", cnt.loops, cnt.loops == 1 ? "" : "s", cnt.curves, cnt.curves == 1 ? "" : "s");
        if (out && fmt == OUT_LUA) printf("wrote %s\n", out);
        else if (out) printf("wrote %s (%d triangles, mesh volume %.6g mm^3)\n", out, res.triangles, res.mesh_volume);
    }
    return rc;
}
