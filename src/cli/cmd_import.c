/* cmd_import.c - `recad import FILE|DIR -o OUT`: DeepCAD / Fusion 360 / Text2CAD JSON to
 * hard-coded CADLib programs, one OUT/<name>.lua per file, with a summary (docs/import.md). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cad/codewrite.h"
#include "data/import.h"
#include "model/level.h"
#include "eval/occt.h"
#include "geom/sketch.h"
#include "geom/solid.h"
#include "base/util.h"
#include "geom/validate.h"

/* the --format names, in im_format's order */
static const char *const import_formats[] = {"auto", "deepcad", "fusion", "text2cad", NULL};

/* ---- input files ---- */

typedef struct {
    char **v;
    int n, cap;
} import_list;

static void import_list_free(import_list *l) {
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int import_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int import_walk(const char *dir, import_list *l) {
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
            int rc = import_walk(p, l);
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

/* OUT/<rel without .json>.lua, its folder created */
static char *import_out_path(const char *out, const char *rel) {
    size_t n = strlen(out) + strlen(rel) + 8;
    char *p = ut_malloc(n);
    snprintf(p, n, "%s/%s", out, rel);
    size_t l = strlen(p);
    if (l > 5 && !strcmp(p + l - 5, ".json")) p[l - 5] = 0;
    strcat(p, ".lua");
    char *slash = strrchr(p, '/');
    if (slash) {
        *slash = 0;
        ut_mkdirs(p);
        *slash = '/';
    }
    return p;
}

/* ---- one file ---- */

/* a short class of a rejection, for the summary */
static const char *import_reason_class(const char *err) {
    static const char *table[][2] = {
        {"cannot open", "unreadable file"},
        {"larger than the limit", "file too large"},
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
    int io_error; /* 1: the input could not be read; 2: its program could not be written */
} import_result;

/* largest |box corner - stored corner| / largest stored side, or NAN without a stored box */
static double import_bbox_err(const double lo[3], const double hi[3], const im_report *r) {
    double size = 0, e = 0;
    if (!r->has_bbox) return NAN;
    for (int k = 0; k < 3; k++) size = fmax(size, r->bbox_hi[k] - r->bbox_lo[k]);
    for (int k = 0; k < 3; k++) e = fmax(e, fmax(fabs(lo[k] - r->bbox_lo[k]), fabs(hi[k] - r->bbox_hi[k])));
    return size > 0 ? e / size : NAN;
}

/* recad's exact solid: volume, box error against the stored box, volume error against the stored
 * volume (Fusion) */
static int import_measure(const cad_model *m, const im_report *rep, cJSON *rec) {
    sd_solid *s = sd_build(m);
    sd_props p;
    if (!s || sd_mass_props(s, &p)) {
        sd_free(s);
        return -1;
    }
    cJSON_AddNumberToObject(rec, "volume_mm3", p.volume);
    double lo[3], hi[3];
    if (sd_bbox(s, lo, hi) == 0) {
        double e = import_bbox_err(lo, hi, rep);
        if (!isnan(e)) cJSON_AddNumberToObject(rec, "bbox_err", e);
    }
    if (rep->has_props) cJSON_AddNumberToObject(rec, "volume_rel_err", fabs(p.volume - rep->volume) / rep->volume);
    sd_free(s);
    return 0;
}

/* imports, validates and measures one file; fills rec (one JSON object of the --json "files") */
/* OpenCASCADE's volume and box of the model, and their errors against what the file stores */
static void import_occt(const cad_model *m, const im_report *rep, cJSON *rec) {
    oc_props p;
    if (oc_measure(m, NULL, &p)) {
        cJSON_AddStringToObject(rec, "occt_error", ut_error());
        return;
    }
    cJSON_AddNumberToObject(rec, "occt_volume_mm3", p.volume);
    double e = import_bbox_err(p.lo, p.hi, rep);
    if (!isnan(e)) cJSON_AddNumberToObject(rec, "occt_bbox_err", e);
    if (rep->has_props) cJSON_AddNumberToObject(rec, "occt_volume_rel_err", fabs(p.volume - rep->volume) / rep->volume);
}

static int import_convert(const char *in, const char *dst, const im_options *opt, int occt, cJSON *rec, import_result *res) {
    cad_model m;
    im_report rep;
    memset(res, 0, sizeof *res);
    int rc = im_load(in, opt, &m, &rep);
    if (rc && strstr(ut_error(), "cannot open")) res->io_error = 1;
    if (rc == 0 && im_validate(&m, &rep)) rc = ut_fail("%s: invalid geometry: %s", in, ut_error());
    cJSON *meas = cJSON_CreateObject();
    if (rc == 0 && import_measure(&m, &rep, meas)) rc = ut_fail("%s: invalid geometry: %s", in, ut_error());
    if (rc == 0 && cw_write_file(&m, dst)) {
        res->io_error = 2;
        rc = ut_fail("cannot write the program of %s: %s", in, ut_error());
    }
    cJSON_AddStringToObject(rec, "format", im_format_name(rep.format));
    cJSON_AddStringToObject(rec, "status", rc == 0 ? "converted" : "skipped");
    if (rc) {
        cJSON_AddStringToObject(rec, "reason", import_reason_class(ut_error()));
        cJSON_AddStringToObject(rec, "error", ut_error());
    } else {
        lv_info lv;
        lv_classify(&m, &lv);
        cJSON_AddStringToObject(rec, "program", dst);
        cJSON_AddNumberToObject(rec, "extrudes", m.nextrudes);
        cJSON_AddNumberToObject(rec, "curves", lv.curves);
        cJSON_AddStringToObject(rec, "level", lv_name(lv.level));
        cJSON *it;
        while ((it = meas->child)) cJSON_AddItemToObject(rec, it->string, cJSON_DetachItemViaPointer(meas, it));
        double lo[3], hi[3];
        if (sk_prism_bbox(&m, lo, hi) == 0) {
            double e = import_bbox_err(lo, hi, &rep);
            if (!isnan(e)) cJSON_AddNumberToObject(rec, "prism_bbox_err", e);
        }
        if (rep.skipped_empty) cJSON_AddNumberToObject(rec, "skipped_empty_extrudes", rep.skipped_empty);
        if (rep.has_intersect) cJSON_AddBoolToObject(rec, "intersect", 1);
        if (rep.has_props) cJSON_AddNumberToObject(rec, "stored_volume_mm3", rep.volume);
        if (occt) import_occt(&m, &rep, rec);
    }
    cJSON_Delete(meas);
    cJSON *w = cJSON_AddArrayToObject(rec, "warnings");
    for (int i = 0; i < rep.nwarnings; i++) cJSON_AddItemToArray(w, cJSON_CreateString(rep.warnings[i]));
    cad_free(&m);
    im_report_free(&rep);
    return rc;
}

/* ---- summary ---- */

static void import_summary(cJSON *files, int converted, int skipped, int json) {
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
        cli_print_json(root);
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
    im_options opt = {IM_AUTO, 1.0};
    const char *out = NULL;
    int json = 0, occt = 0, fmt = IM_AUTO, first;
    const arg_opt opts[] = {
        ARG_STR("out", 'o', &out, "OUT", "output folder (or .lua file for one input; required)"),
        ARG_CHOICE("format", 'f', &fmt, import_formats, "F", "input format: auto (default: detected per file), deepcad,\nfusion, text2cad"),
        ARG_DOUBLE_GT("text2cad-mm", 0, &opt.text2cad_mm, 0, INFINITY, "X", "millimetres per Text2CAD unit (default 1)"),
        ARG_FLAG("occt", 0, &occt, "also build each model with OpenCASCADE (occt-draw): volume, box vs stored"),
        ARG_FLAG("json", 0, &json, "print one JSON object: per-file results and the summary"),
        ARG_END};
    const arg_spec spec = {
        "import", "FILE|DIR -o OUT [options]",
        "Converts DeepCAD, Fusion 360 Gallery (reconstruction) and Text2CAD minimal JSON files to\n"
        "hard-coded CADLib programs (millimetres). A DIR is searched recursively for *.json; each file\n"
        "becomes OUT/<path below DIR without .json>.lua. For one FILE, OUT is a folder, or the program's\n"
        "path if it ends in .lua. Bad files are skipped with their reason; a summary ends the run.",
        opts, 1, 1, "FILE or DIR",
        "exit: 0 if at least one file was converted, 1 if none was (every file invalid or no *.json),\n"
        "      2 usage error, 3 a single input FILE could not be read or an output could not be written\n"};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    if (!out) return arg_error(&spec, "missing -o OUT");
    if (occt && !oc_binary()) return cli_error(CLI_USAGE, "import", "--occt: %s", ut_error());
    opt.format = (im_format)fmt;
    char *in = argv[first];
    for (size_t l = strlen(in); l > 1 && in[l - 1] == '/'; l--) in[l - 1] = 0; /* "dir/" -> "dir" */
    struct stat st;
    if (stat(in, &st) != 0) return cli_error(CLI_IO, "import", "cannot open %s", in);
    import_list files = {0};
    int single = !S_ISDIR(st.st_mode);
    if (single) *UT_PUSH(files.v, files.n, files.cap) = ut_strdup(in);
    else if (import_walk(in, &files)) {
        import_list_free(&files);
        return cli_error(CLI_IO, "import", "%s", ut_error());
    }
    if (files.n == 0) {
        import_list_free(&files);
        return cli_error(CLI_INVALID, "import", "no *.json files under %s", in);
    }
    qsort(files.v, (size_t)files.n, sizeof *files.v, import_cmp);
    size_t ol = strlen(out);
    int out_is_file = single && ol > 4 && !strcmp(out + ol - 4, ".lua");
    if (!out_is_file && ut_mkdirs(out)) {
        import_list_free(&files);
        return cli_error(CLI_IO, "import", "cannot create %s: %s", out, ut_error());
    }
    cJSON *recs = cJSON_CreateArray();
    int converted = 0, skipped = 0, io = 0;
    ut_progress pg;
    ut_progress_start(&pg, "import", files.n);
    for (int i = 0; i < files.n && io < 2; i++) {
        const char *base = strrchr(files.v[i], '/') ? strrchr(files.v[i], '/') + 1 : files.v[i];
        const char *rel = single ? base : files.v[i] + strlen(in) + 1;
        char *dst = out_is_file ? ut_strdup(out) : import_out_path(out, rel);
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddStringToObject(rec, "file", files.v[i]);
        import_result res;
        if (import_convert(files.v[i], dst, &opt, occt, rec, &res) == 0) converted++;
        else {
            skipped++;
            if (res.io_error > io) io = res.io_error;
            if (!json) cli_error(0, "import", "skipped %s", ut_error());
        }
        cJSON_AddItemToArray(recs, rec);
        free(dst);
        ut_progress_update(&pg, i + 1);
    }
    ut_progress_finish(&pg);
    import_summary(recs, converted, skipped, json);
    cJSON_Delete(recs);
    import_list_free(&files);
    if (io == 2) return cli_error(CLI_IO, "import", "stopped: a program could not be written");
    if (single && io) return CLI_IO;
    return converted > 0 ? CLI_OK : CLI_INVALID;
}
