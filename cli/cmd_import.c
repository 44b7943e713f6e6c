/* cmd_import.c - `recad import FILE|DIR -o OUT`: DeepCAD / Fusion 360 / Text2CAD JSON to
 * hard-coded CADLib programs, one OUT/<name>.lua per file, with a summary (docs/import.md). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "import.h"
#include "level.h"
#include "occt.h"
#include "util.h"
#include "validate.h"

static void ci_usage(FILE *f) {
    fprintf(f,
            "usage: recad import FILE|DIR [--format auto|deepcad|fusion|text2cad] [--text2cad-mm X] [--occt] [--json]\n"
            "  Imports DeepCAD, Fusion 360 Gallery (reconstruction) and Text2CAD minimal JSON files into CAD\n"
            "  models (millimetres) and validates them. A DIR is searched recursively for *.json. Bad files are\n"
            "  skipped with their reason; a summary ends the run (docs/import.md).\n"
            "  -f, --format F       input format (default auto: detected per file)\n"
            "      --text2cad-mm X  millimetres per Text2CAD unit (default 1)\n"
            "      --occt           also build each model with OpenCASCADE (occt-draw): volume, box vs stored\n"
            "      --json           print one JSON object: per-file results and the summary\n"
            "exit: 0 if at least one file was converted, 1 if none was (every file invalid or no *.json),\n"
            "      2 usage error, 3 the input could not be read\n");
}

/* ---- input files ---- */

typedef struct {
    char **v;
    int n, cap;
} ci_list;

static int ci_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int ci_walk(const char *dir, ci_list *l) {
    DIR *d = opendir(dir);
    if (!d) return ut_fail("cannot open folder %s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = ut_malloc(n);
        snprintf(p, n, "%s/%s", dir, e->d_name);
        struct stat st;
        size_t len = strlen(e->d_name);
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            int rc = ci_walk(p, l);
            free(p);
            if (rc) {
                closedir(d);
                return -1;
            }
        } else if (len > 5 && !strcmp(e->d_name + len - 5, ".json") && S_ISREG(st.st_mode)) {
            *UT_PUSH(l->v, l->n, l->cap) = p;
        } else {
            free(p);
        }
    }
    closedir(d);
    return 0;
}

/* ---- one file ---- */

/* a short class of a rejection, for the summary */
static const char *ci_reason_class(const char *err) {
    static const char *table[][2] = {
        {"cannot open", "unreadable file"},
        {"malformed JSON", "malformed JSON"},
        {"unrecognised JSON", "unknown format"},
        {"no buildable extrude", "no buildable extrude (every extrude has empty profiles)"},
        {"corrupt", "corrupt sketch (dangling point reference)"},
        {"(a spline)", "unsupported curve: spline"},
        {"(an ellipse)", "unsupported curve: ellipse"},
        {"taper", "unsupported: taper angle"},
        {"not supported", "unsupported feature"},
        {"not closed", "open loop"},
        {"invalid geometry", "invalid geometry"},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strstr(err, table[i][0])) return table[i][1];
    return "other";
}

typedef struct {
    int io_error; /* 1: the input could not be read or an output not written */
} ci_result;

/* largest |box corner - stored corner| / largest stored side, or NAN without a stored box */
static double ci_bbox_err(const double lo[3], const double hi[3], const im_report *r) {
    double size = 0, e = 0;
    if (!r->has_bbox) return NAN;
    for (int k = 0; k < 3; k++) size = fmax(size, r->bbox_hi[k] - r->bbox_lo[k]);
    for (int k = 0; k < 3; k++) e = fmax(e, fmax(fabs(lo[k] - r->bbox_lo[k]), fabs(hi[k] - r->bbox_hi[k])));
    return size > 0 ? e / size : NAN;
}

/* imports, validates and measures one file; fills rec (one JSON object of the --json "files") */
/* OpenCASCADE's volume and box of the model, and their errors against what the file stores */
static void ci_occt(const cad_model *m, const im_report *rep, cJSON *rec) {
    oc_props p;
    if (oc_measure(m, NULL, &p)) {
        cJSON_AddStringToObject(rec, "occt_error", ut_error());
        return;
    }
    cJSON_AddNumberToObject(rec, "occt_volume_mm3", p.volume);
    double e = ci_bbox_err(p.lo, p.hi, rep);
    if (!isnan(e)) cJSON_AddNumberToObject(rec, "occt_bbox_err", e);
    if (rep->has_props) cJSON_AddNumberToObject(rec, "occt_volume_rel_err", fabs(p.volume - rep->volume) / rep->volume);
}

static int ci_convert(const char *in, const im_options *opt, int occt, cJSON *rec, ci_result *res) {
    cad_model m;
    im_report rep;
    memset(res, 0, sizeof *res);
    int rc = im_load(in, opt, &m, &rep);
    if (rc && strstr(ut_error(), "cannot open")) res->io_error = 1;
    if (rc == 0 && cad_validate(&m)) rc = ut_fail("%s: invalid geometry: %s", in, ut_error());
    cJSON_AddStringToObject(rec, "format", im_format_name(rep.format));
    cJSON_AddStringToObject(rec, "status", rc == 0 ? "converted" : "skipped");
    if (rc) {
        cJSON_AddStringToObject(rec, "reason", ci_reason_class(ut_error()));
        cJSON_AddStringToObject(rec, "error", ut_error());
    } else {
        lv_info lv;
        lv_classify(&m, &lv);
        cJSON_AddNumberToObject(rec, "extrudes", m.nextrudes);
        cJSON_AddNumberToObject(rec, "curves", lv.curves);
        cJSON_AddStringToObject(rec, "level", lv_name(lv.level));
        double lo[3], hi[3];
        if (im_prism_bbox(&m, lo, hi) == 0) {
            double e = ci_bbox_err(lo, hi, &rep);
            if (!isnan(e)) cJSON_AddNumberToObject(rec, "prism_bbox_err", e);
        }
        if (rep.skipped_empty) cJSON_AddNumberToObject(rec, "skipped_empty_extrudes", rep.skipped_empty);
        if (rep.has_intersect) cJSON_AddBoolToObject(rec, "intersect", 1);
        if (rep.has_props) cJSON_AddNumberToObject(rec, "stored_volume_mm3", rep.volume);
        if (occt) ci_occt(&m, &rep, rec);
    }
    cJSON *w = cJSON_AddArrayToObject(rec, "warnings");
    for (int i = 0; i < rep.nwarnings; i++) cJSON_AddItemToArray(w, cJSON_CreateString(rep.warnings[i]));
    cad_free(&m);
    im_report_free(&rep);
    return rc;
}

/* ---- summary ---- */

static void ci_summary(cJSON *files, int converted, int skipped, int json) {
    cJSON *groups = cJSON_CreateObject();
    const cJSON *f;
    cJSON_ArrayForEach(f, files) {
        const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(f, "reason"));
        if (!why) continue;
        cJSON *g = cJSON_GetObjectItem(groups, why);
        if (!g) g = cJSON_AddArrayToObject(groups, why);
        cJSON_AddItemToArray(g, cJSON_CreateString(cJSON_GetStringValue(cJSON_GetObjectItem(f, "file"))));
    }
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddNumberToObject(root, "converted", converted);
        cJSON_AddNumberToObject(root, "skipped", skipped);
        cJSON_AddItemToObject(root, "skipped_by_reason", groups);
        cJSON_AddItemReferenceToObject(root, "files", files);
        char *s = cJSON_PrintUnformatted(root);
        printf("%s\n", s);
        free(s);
        cJSON_Delete(root);
        return;
    }
    printf("converted %d, skipped %d\n", converted, skipped);
    const cJSON *g;
    cJSON_ArrayForEach(g, groups) {
        printf("  skipped (%s): %d\n", g->string, cJSON_GetArraySize(g));
        const cJSON *n;
        cJSON_ArrayForEach(n, g) printf("    %s\n", n->valuestring);
    }
    cJSON_Delete(groups);
}

CLI_COMMAND(cmd_import, "import", "import DeepCAD / Fusion 360 / Text2CAD JSON files and report") {
    static const struct option longopts[] = {{"format", required_argument, 0, 'f'},      {"json", no_argument, 0, 'j'},
                                             {"text2cad-mm", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'},
                                             {"occt", no_argument, 0, 'O'},              {0, 0, 0, 0}};
    im_options opt = {IM_AUTO, 1.0};
    int json = 0, occt = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (im_format_parse(optarg, &opt.format)) return cli_error(CLI_USAGE, "import", "unknown format '%s'", optarg);
            break;
        case 'j': json = 1; break;
        case 'O':
            if (!oc_binary()) return cli_error(CLI_USAGE, "import", "--occt: %s", ut_error());
            occt = 1;
            break;
        case 't':
            if (cli_parse_double("import", "--text2cad-mm", optarg, &opt.text2cad_mm)) return CLI_USAGE;
            if (!(opt.text2cad_mm > 0)) return cli_error(CLI_USAGE, "import", "--text2cad-mm must be positive");
            break;
        case 'h': ci_usage(stdout); return CLI_OK;
        default: ci_usage(stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 1) {
        ci_usage(stderr);
        return CLI_USAGE;
    }
    const char *in = argv[optind];
    struct stat st;
    if (stat(in, &st) != 0) return cli_error(CLI_IO, "import", "cannot open %s", in);
    ci_list files = {0};
    int single = !S_ISDIR(st.st_mode);
    if (single) *UT_PUSH(files.v, files.n, files.cap) = ut_strdup(in);
    else if (ci_walk(in, &files)) return cli_error(CLI_IO, "import", "%s", ut_error());
    if (files.n == 0) {
        free(files.v);
        return cli_error(CLI_INVALID, "import", "no *.json files under %s", in);
    }
    qsort(files.v, (size_t)files.n, sizeof *files.v, ci_cmp);
    cJSON *recs = cJSON_CreateArray();
    int converted = 0, skipped = 0, io = 0;
    ut_progress pg;
    ut_progress_start(&pg, "import", files.n);
    for (int i = 0; i < files.n; i++) {
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddStringToObject(rec, "file", files.v[i]);
        ci_result res;
        if (ci_convert(files.v[i], &opt, occt, rec, &res) == 0) converted++;
        else {
            skipped++;
            io |= res.io_error;
            if (!json) fprintf(stderr, "recad import: skipped %s\n", ut_error());
        }
        cJSON_AddItemToArray(recs, rec);
        ut_progress_update(&pg, i + 1);
    }
    ut_progress_finish(&pg);
    ci_summary(recs, converted, skipped, json);
    cJSON_Delete(recs);
    for (int i = 0; i < files.n; i++) free(files.v[i]);
    free(files.v);
    if (single && io) return CLI_IO;
    return converted > 0 ? CLI_OK : CLI_INVALID;
}
