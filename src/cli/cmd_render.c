/* cmd_render.c - `recad render PROGRAM.lua -o OUT.png`: one view or the 2x2 sheet, in shaded,
 * normal or depth mode. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "geom/mesh.h"
#include "cli/prog.h"
#include "geom/render.h"
#include "base/util.h"

static const char *const render_views[] = {"iso", "front", "top", "right", "sheet", NULL};
static const char *const render_modes[] = {"shaded", "normal", "depth", NULL};

/* the 2x2 sheet in a non-shaded mode: the four views tiled like rd_sheet (ISO, FRONT / TOP,
 * RIGHT), each w x h */
static int render_tiles(const ms_mesh *m, rd_mode mode, int w, int h, img_rgb *out) {
    out->w = 2 * w;
    out->h = 2 * h;
    out->rgb = ut_calloc((size_t)out->w * out->h, 3);
    for (int v = 0; v < 4; v++) {
        img_rgb t = {0};
        if (rd_render(m, (rd_view)v, mode, w, h, &t) < 0) {
            img_free(out);
            return -1;
        }
        int x0 = (v % 2) * w, y0 = (v / 2) * h;
        for (int y = 0; y < h; y++)
            memcpy(out->rgb + ((size_t)(y0 + y) * out->w + x0) * 3, t.rgb + (size_t)y * w * 3, (size_t)w * 3);
        img_free(&t);
    }
    return 0;
}

CLI_COMMAND(cmd_render, "render", "render a CADLib program's part: a view or the 2x2 sheet, shaded/normal/depth") {
    const char *cmd = "render", *out = NULL;
    int view = 0, mode = 0, wh[2] = {800, 800}, json = 0, first;
    double tol = MS_DEFAULT_TOL;
    ex_limits lim;
    ex_default_limits(&lim);
    const arg_opt opts[] = {
        ARG_STR("output", 'o', &out, "FILE", "the PNG to write (required)"),
        ARG_CHOICE("view", 0, &view, render_views, "V", "iso | front | top | right | sheet (2x2 of the four; default iso)"),
        ARG_CHOICE("mode", 0, &mode, render_modes, "M", "shaded | normal | depth (default shaded)"),
        ARG_FN("size", 0, wh, prog_parse_size, "WxH", "image size in pixels; for the sheet the whole sheet (default 800x800)"),
        PROG_TOL_OPT(&tol),
        ARG_FLAG("json", 0, &json, "print one JSON object with the result on stdout"),
        PROG_OPTS(&lim),
        ARG_END};
    const arg_spec spec = {cmd, "PROGRAM.lua -o OUT.png [options]",
                           "Executes a CADLib program, meshes its part and renders it to a PNG (orthographic, framed on\n"
                           "the part; docs/mesh_render.md).",
                           opts, 1, 1, "PROGRAM.lua",
                           PROG_EXIT_CODES};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    const char *path = argv[first];
    int w = wh[0], h = wh[1];
    if (!out) return cli_error(CLI_USAGE, cmd, "missing -o OUT.png");
    if (strcasecmp(ut_path_ext(out), ".png")) return cli_error(CLI_USAGE, cmd, "output %s: must end in .png", out);
    if (view == 4 && (w < 16 || h < 16)) return cli_error(CLI_USAGE, cmd, "option --size: a sheet needs at least 16x16");

    cad_model m;
    ex_stats st;
    rc = prog_run(cmd, path, &lim, &m, &st);
    if (rc == CLI_OK) {
        ms_mesh mesh = {0};
        img_rgb img = {0};
        int mrc = ms_from_model(&m, tol, &mesh);
        if (mrc == MS_BAD_TOL) rc = cli_error(CLI_USAGE, cmd, "option --tol: %s", ut_error());
        else if (mrc < 0) rc = cli_error(CLI_INVALID, cmd, "meshing failed: %s", ut_error());
        else {
            int ok = view == 4 ? (mode == RD_SHADED ? rd_sheet(&mesh, w / 2, h / 2, &img)
                                                    : render_tiles(&mesh, (rd_mode)mode, w / 2, h / 2, &img))
                               : rd_render(&mesh, (rd_view)view, (rd_mode)mode, w, h, &img);
            if (ok < 0) rc = cli_error(CLI_INVALID, cmd, "rendering failed: %s", ut_error());
            else if (img_write_png(&img, out) < 0) rc = cli_error(CLI_IO, cmd, "cannot write %s: %s", out, ut_error());
            img_free(&img);
        }
        ms_free(&mesh);
        cad_free(&m);
    }
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "program", path);
        cJSON_AddBoolToObject(j, "ok", rc == CLI_OK);
        cJSON_AddNumberToObject(j, "exit_code", rc);
        if (rc != CLI_OK) cJSON_AddStringToObject(j, "error", ut_error());
        else {
            cJSON_AddStringToObject(j, "output", out);
            cJSON_AddStringToObject(j, "view", render_views[view]);
            cJSON_AddStringToObject(j, "mode", render_modes[mode]);
            cJSON_AddNumberToObject(j, "width", view == 4 ? w / 2 * 2 : w);
            cJSON_AddNumberToObject(j, "height", view == 4 ? h / 2 * 2 : h);
        }
        cli_print_json(j);
    } else if (rc == CLI_OK) {
        printf("wrote %s (%s view, %s)\n", out, render_views[view], render_modes[mode]);
    }
    return rc;
}
