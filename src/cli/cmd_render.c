/* cmd_render.c - `recad render PROGRAM.lua -o OUT.png`: one view or the 2x2 sheet, in shaded,
 * normal or depth mode. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "geom/mesh.h"
#include "cli/prog.h"
#include "geom/render.h"
#include "base/util.h"

static void render_usage(FILE *f) {
    fprintf(f,
            "usage: recad render PROGRAM.lua -o OUT.png [options]\n"
            "Executes a CADLib program, meshes its part and renders it to a PNG (orthographic, framed on\n"
            "the part; docs/mesh_render.md).\n\n"
            "options:\n"
            "  -o, --output FILE     the PNG to write (required)\n"
            "  --view V              iso | front | top | right | sheet (2x2 of the four; default iso)\n"
            "  --mode M              shaded | normal | depth (default shaded)\n"
            "  --size WxH            image size in pixels; for the sheet the whole sheet (default 800x800)\n"
            "  --tol T               chord tolerance of the mesh in mm (default: automatic)\n"
            "  --json                print one JSON object with the result on stdout\n" CLI_PROG_HELP
            "  -h, --help            this help\n\n"
            "exit codes: 0 ok, 1 invalid program or geometry, 2 usage error, 3 file error\n");
}

static const char *const render_views[] = {"iso", "front", "top", "right", "sheet"};
static const char *const render_modes[] = {"shaded", "normal", "depth"};

static int render_pick(const char *s, const char *const *names, int n) {
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i])) return i;
    return -1;
}

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
    static const struct option opts[] = {{"output", required_argument, 0, 'o'}, {"view", required_argument, 0, 'v'},
                                         {"mode", required_argument, 0, 'm'},   {"size", required_argument, 0, 's'},
                                         {"tol", required_argument, 0, 't'},    {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},         CLI_PROG_LONGOPTS,
                                         {0, 0, 0, 0}};
    const char *cmd = "render", *out = NULL;
    int view = 0, mode = 0, w = 800, h = 800, json = 0, c, r;
    double tol = MS_DEFAULT_TOL;
    ex_limits lim;
    ex_default_limits(&lim);
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if ((r = cli_prog_option(cmd, c, optarg, &lim)) != 0) {
            if (r < 0) return CLI_USAGE;
            continue;
        }
        switch (c) {
        case 'o': out = optarg; break;
        case 'v':
            if ((view = render_pick(optarg, render_views, 5)) < 0)
                return cli_error(CLI_USAGE, cmd, "option --view: '%s' is not iso, front, top, right or sheet", optarg);
            break;
        case 'm':
            if ((mode = render_pick(optarg, render_modes, 3)) < 0)
                return cli_error(CLI_USAGE, cmd, "option --mode: '%s' is not shaded, normal or depth", optarg);
            break;
        case 's':
            if (cli_parse_size(cmd, optarg, &w, &h) < 0) return CLI_USAGE;
            break;
        case 't':
            if (cli_parse_tol(cmd, optarg, &tol) < 0) return CLI_USAGE;
            break;
        case 'j': json = 1; break;
        case 'h': render_usage(stdout); return CLI_OK;
        default: render_usage(stderr); return CLI_USAGE;
        }
    }
    const char *path = cli_prog_operand(cmd, argc, argv, render_usage);
    if (!path) return CLI_USAGE;
    if (!out) return cli_error(CLI_USAGE, cmd, "missing -o OUT.png");
    if (strcasecmp(ut_path_ext(out), ".png")) return cli_error(CLI_USAGE, cmd, "output %s: must end in .png", out);
    if (view == 4 && (w < 16 || h < 16)) return cli_error(CLI_USAGE, cmd, "option --size: a sheet needs at least 16x16");

    cad_model m;
    ex_stats st;
    int rc = cli_prog_run(cmd, path, &lim, &m, &st);
    if (rc == CLI_OK) {
        ms_mesh mesh = {0};
        img_rgb img = {0};
        if (ms_from_model(&m, tol, &mesh) < 0) rc = cli_error(CLI_INVALID, cmd, "meshing failed: %s", ut_error());
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
        char *s = cJSON_PrintUnformatted(j);
        printf("%s\n", s);
        free(s);
        cJSON_Delete(j);
    } else if (rc == CLI_OK) {
        printf("wrote %s (%s view, %s)\n", out, render_views[view], render_modes[mode]);
    }
    return rc;
}
