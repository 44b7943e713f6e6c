/* cmd_export.c - `recad export`: a part to STEP (through OpenCASCADE's occt-draw), STL or OBJ. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "model/cad.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cad/exec.h"
#include "data/import.h"
#include "geom/mesh.h"
#include "eval/occt.h"
#include "cli/prog.h"
#include "base/util.h"

/* the --format names, in im_format's order */
static const char *const export_formats[] = {"auto", "deepcad", "fusion", "text2cad", NULL};

/* Loads a program or a JSON file into m. Returns a CLI exit code. */
static int export_load(const char *path, im_format fmt, const ex_limits *lim, cad_model *m) {
    if (access(path, R_OK) != 0) return cli_error(CLI_IO, "export", "cannot read %s", path);
    if (strcmp(ut_path_ext(path), ".json") == 0) {
        im_options o = {fmt, 0};
        im_report rep;
        memset(&rep, 0, sizeof rep);
        prog_budget_begin(lim);
        int rc = im_load(path, &o, m, &rep);
        for (int i = 0; i < rep.nwarnings; i++) cli_error(0, "export", "warning: %s", rep.warnings[i]);
        im_report_free(&rep);
        if (rc != 0) {
            cad_free(m);
            return cli_error(CLI_INVALID, "export", "%s", ut_error());
        }
        return CLI_OK;
    }
    return prog_run("export", path, lim, m, NULL);
}

static int export_mesh(const cad_model *m, double tol, const char *stl, const char *obj, cJSON *outs) {
    ms_mesh mesh;
    memset(&mesh, 0, sizeof mesh);
    int mrc = ms_from_model(m, tol, &mesh);
    if (mrc == MS_BAD_TOL) return cli_error(CLI_USAGE, "export", "option --tol: %s", ut_error());
    if (mrc != 0) return cli_error(CLI_INVALID, "export", "meshing failed: %s", ut_error());
    int rc = CLI_OK;
    if (stl && ms_write_stl(&mesh, stl) != 0) rc = cli_error(CLI_IO, "export", "%s", ut_error());
    else if (stl) cJSON_AddStringToObject(outs, "stl", stl);
    if (rc == CLI_OK && obj && ms_write_obj(&mesh, obj) != 0) rc = cli_error(CLI_IO, "export", "%s", ut_error());
    else if (rc == CLI_OK && obj) cJSON_AddStringToObject(outs, "obj", obj);
    cJSON_AddNumberToObject(outs, "triangles", mesh.nt);
    ms_free(&mesh);
    return rc;
}

static cJSON *export_props_json(const oc_props *p) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "volume", p->volume);
    cJSON_AddNumberToObject(o, "area", p->area);
    cJSON_AddItemToObject(o, "centroid", cJSON_CreateDoubleArray(p->centroid, 3));
    cJSON_AddItemToObject(o, "bbox_min", cJSON_CreateDoubleArray(p->lo, 3));
    cJSON_AddItemToObject(o, "bbox_max", cJSON_CreateDoubleArray(p->hi, 3));
    cJSON_AddBoolToObject(o, "valid", p->valid);
    cJSON_AddNumberToObject(o, "solids", p->nsolids);
    cJSON_AddNumberToObject(o, "seconds", p->seconds);
    return o;
}

CLI_COMMAND(cmd_export, "export", "write a part as STEP (OpenCASCADE), STL or OBJ") {
    const char *step = NULL, *stl = NULL, *obj = NULL;
    double tol = MS_DEFAULT_TOL, timeout = OC_DEFAULT_TIMEOUT;
    int fmt = IM_AUTO, json = 0, first;
    ex_limits lim;
    ex_default_limits(&lim);
    const arg_opt opts[] = {
        ARG_STR("step", 0, &step, "PATH",
                "write STEP (needs occt-draw: apt-get install occt-draw\n"
                "libocct-draw-dev libocct-data-exchange-dev)"),
        ARG_STR("stl", 0, &stl, "PATH", "write a binary STL mesh"),
        ARG_STR("obj", 0, &obj, "PATH", "write a Wavefront OBJ mesh"),
        ARG_DOUBLE("tol", 0, &tol, 0, INFINITY, "MM", "mesh chord tolerance (default 0: automatic, 1e-3 of the part's diagonal)"),
        ARG_CHOICE("format", 0, &fmt, export_formats, "F", "JSON input format: auto (default), deepcad, fusion, text2cad"),
        ARG_DOUBLE_GT("timeout", 0, &timeout, 0, INFINITY, "S", "time limit for occt-draw in seconds (default 60)"),
        ARG_FLAG("json", 0, &json, "print one JSON object (outputs and OCCT's measurements)"),
        PROG_OPTS(&lim),
        ARG_END};
    const arg_spec spec = {
        "export", "INPUT [--step OUT.step] [--stl OUT.stl] [--obj OUT.obj] [options]",
        "\nExports a part: INPUT is a CADLib program (.lua) or a DeepCAD / Fusion 360 / Text2CAD\n"
        "JSON file (.json). STEP is written by OpenCASCADE (occt-draw) from the exact geometry:\n"
        "true arcs and circles, AP214, millimetres; the run also reports OCCT's volume, area,\n"
        "centroid and bounding box of the part. STL (binary) and OBJ are triangle meshes.\n"
        "Every output is written atomically (a temporary file renamed into place).",
        opts, 1, 1, "input file",
        "exit codes: 0 ok, 1 invalid input, 2 usage error, 3 file error or occt-draw missing/failing\n"};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    if (!step && !stl && !obj) return cli_error(CLI_USAGE, "export", "nothing to write: give --step, --stl or --obj");
    const char *in = argv[first];
    if (step && !oc_binary()) return cli_error(CLI_IO, "export", "%s", ut_error());
    cad_model m;
    cad_init(&m);
    rc = export_load(in, (im_format)fmt, &lim, &m);
    if (rc != CLI_OK) return rc;
    cJSON *root = cJSON_CreateObject(), *outs = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "input", in);
    cJSON_AddItemToObject(root, "outputs", outs);
    if (step) {
        oc_props p;
        oc_options o = {timeout, step};
        if (oc_measure(&m, &o, &p) != 0) rc = cli_error(CLI_IO, "export", "%s: STEP export failed: %s", in, ut_error());
        else {
            cJSON_AddStringToObject(outs, "step", step);
            cJSON_AddItemToObject(root, "occt", export_props_json(&p));
            if (!p.valid) fprintf(stderr, "recad export: warning: OpenCASCADE's checkshape reports faults in %s's solid\n", in);
            if (!json) printf("wrote %s (OpenCASCADE: volume %.6g mm^3, area %.6g mm^2, %.2f s)\n", step, p.volume, p.area, p.seconds);
        }
    }
    if (rc == CLI_OK && (stl || obj)) {
        rc = export_mesh(&m, tol, stl, obj, outs);
        if (rc == CLI_OK && !json) {
            if (stl) printf("wrote %s\n", stl);
            if (obj) printf("wrote %s\n", obj);
        }
    }
    if (rc == CLI_OK && json) cli_print_json(root);
    else cJSON_Delete(root);
    cad_free(&m);
    return rc;
}
