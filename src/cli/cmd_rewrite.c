/* cmd_rewrite.c - `recad rewrite FILE|DIR [-o OUT]`: hard-coded programs or DeepCAD / Fusion 360 /
 * Text2CAD JSON to verified parametric programs (data/rewrite.h, docs/data_rewrite.md). */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "cad/exec.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "data/import.h"
#include "data/rewrite.h"

/* ---- inputs ---- */

typedef struct {
    char **v;
    int n, cap;
} rw_list;

static int rw_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int rw_wanted(const char *name) {
    const char *e = ut_path_ext(name);
    return !strcmp(e, ".lua") || !strcmp(e, ".json");
}

/* every *.lua and *.json below dir */
static int rw_walk(const char *dir, rw_list *l) {
    DIR *d = opendir(dir);
    if (!d) return ut_fail("cannot open folder %s", dir);
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = ut_malloc(n);
        snprintf(p, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = rw_walk(p, l);
            free(p);
        } else if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && rw_wanted(e->d_name)) {
            *UT_PUSH(l->v, l->n, l->cap) = p;
        } else {
            free(p);
        }
    }
    closedir(d);
    return rc;
}

/* the model of a .lua program (run with the default limits) or an imported JSON file;
 * 1 = unreadable, -1 = invalid (ut_error says why), 0 = ok */
static int rw_load(const char *path, cad_model *m) {
    if (!strcmp(ut_path_ext(path), ".lua")) {
        size_t len;
        char *src = ex_read_program(path, &len);
        if (!src) return 1;
        int rc = ex_run(src, len, path, NULL, m);
        free(src);
        return rc;
    }
    im_report rep;
    int rc = im_load(path, NULL, m, &rep);
    if (rc && strstr(ut_error(), "cannot open")) rc = 1;
    else if (rc == 0 && im_validate(m, &rep)) {
        cad_free(m);
        rc = -1;
    }
    im_report_free(&rep);
    return rc;
}

/* OUT/<rel with its extension replaced by .lua>, its folder created */
static char *rw_out_path(const char *out, const char *rel) {
    size_t n = strlen(out) + strlen(rel) + 8;
    char *p = ut_malloc(n);
    snprintf(p, n, "%s/%s", out, rel);
    char *dot = strrchr(p, '.'), *slash = strrchr(p, '/');
    if (dot && dot > slash) *dot = 0;
    strcat(p, ".lua");
    slash = strrchr(p, '/');
    *slash = 0;
    ut_mkdirs(p);
    *slash = '/';
    return p;
}

/* ---- report ---- */

/* "params 4, circular 1, mirrors 2, rect 1" (the non-zero ones) */
static void rw_used(const rp_info *in, char *buf, size_t size) {
    const struct {
        const char *name;
        int v;
    } f[] = {{"params", in->params}, {"circular", in->circular}, {"grid", in->grid},     {"mirrors", in->mirrors},
             {"rect", in->rects},    {"rounded", in->rounded},   {"slot", in->slots},    {"polygon", in->polygons},
             {"circles", in->circles}, {"literal loops", in->literal_loops}};
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof f / sizeof *f && n < size; i++)
        if (f[i].v) n += (size_t)snprintf(buf + n, size - n, "%s%s %d", n ? ", " : "", f[i].name, f[i].v);
}

static cJSON *rw_info_json(const rp_info *in) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "params", in->params);
    cJSON_AddNumberToObject(o, "circular", in->circular);
    cJSON_AddNumberToObject(o, "grid", in->grid);
    cJSON_AddNumberToObject(o, "mirrors", in->mirrors);
    cJSON_AddNumberToObject(o, "rect", in->rects);
    cJSON_AddNumberToObject(o, "rounded", in->rounded);
    cJSON_AddNumberToObject(o, "slot", in->slots);
    cJSON_AddNumberToObject(o, "polygon", in->polygons);
    cJSON_AddNumberToObject(o, "circles", in->circles);
    cJSON_AddNumberToObject(o, "literal_loops", in->literal_loops);
    cJSON_AddNumberToObject(o, "patterned", in->patterned);
    return o;
}

typedef struct {
    int files, unread, invalid, by_reason[RP_NREASONS];
    rp_info used; /* summed over verified rewrites */
    double *ms;   /* rewrite + verification time per processed file */
    int nms, cap_ms;
} rw_totals;

static void rw_add_info(rp_info *t, const rp_info *in) {
    t->params += in->params;
    t->circular += in->circular;
    t->grid += in->grid;
    t->mirrors += in->mirrors;
    t->rects += in->rects;
    t->rounded += in->rounded;
    t->slots += in->slots;
    t->polygons += in->polygons;
    t->circles += in->circles;
    t->literal_loops += in->literal_loops;
    t->patterned += in->patterned;
}

static int rw_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* the totals; with json, one object holding them and the per-file records (recs is consumed) */
static void rw_summary(rw_totals *t, int json, cJSON *recs) {
    int done = t->files - t->unread - t->invalid;
    qsort(t->ms, (size_t)t->nms, sizeof *t->ms, rw_cmp_double);
    double med = t->nms ? t->ms[t->nms / 2] : 0, p90 = t->nms ? t->ms[t->nms * 9 / 10] : 0, sum = 0;
    double max = t->nms ? t->ms[t->nms - 1] : 0;
    for (int i = 0; i < t->nms; i++) sum += t->ms[i];
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "files", t->files);
        cJSON_AddNumberToObject(o, "unreadable", t->unread);
        cJSON_AddNumberToObject(o, "invalid", t->invalid);
        cJSON *r = cJSON_AddObjectToObject(o, "reasons");
        for (int i = 0; i < RP_NREASONS; i++) cJSON_AddNumberToObject(r, rp_reason_name((rp_reason)i), t->by_reason[i]);
        cJSON_AddItemToObject(o, "verified_used", rw_info_json(&t->used));
        cJSON_AddNumberToObject(o, "median_ms", med);
        cJSON_AddNumberToObject(o, "p90_ms", p90);
        cJSON_AddNumberToObject(o, "max_ms", max);
        cJSON_AddNumberToObject(o, "mean_ms", t->nms ? sum / t->nms : 0);
        cJSON_AddItemToObject(o, "files", recs);
        cli_print_json(o);
        return;
    }
    printf("verified %d of %d models (%.1f%%)", t->by_reason[RP_OK], done, done ? 100.0 * t->by_reason[RP_OK] / done : 0.0);
    if (t->invalid || t->unread) printf("; %d invalid and %d unreadable inputs not counted", t->invalid, t->unread);
    printf("\n");
    for (int i = 1; i < RP_NREASONS; i++)
        if (t->by_reason[i]) printf("  kept hard-coded (%s): %d\n", rp_reason_name((rp_reason)i), t->by_reason[i]);
    char used[256];
    rw_used(&t->used, used, sizeof used);
    printf("  verified rewrites use: %s\n", used[0] ? used : "nothing");
    printf("  rewrite + verification per model: median %.2f ms, 90%% %.2f ms, max %.1f ms, mean %.2f ms\n", med, p90, max,
           t->nms ? sum / t->nms : 0);
}

/* ---- one input ---- */

/* rewrites one input; writes the program to dst (NULL: stdout unless quiet); the status line goes
 * to stderr when the program goes to stdout, else to stdout (with recs: into a JSON record).
 * Returns CLI_OK, CLI_INVALID or CLI_IO (*wfail = 1 when the output could not be written). */
static int rw_one(const char *in, const char *dst, int quiet, rw_totals *t, cJSON *recs, int *wfail) {
    cad_model m;
    t->files++;
    int rc = rw_load(in, &m);
    cJSON *rec = recs ? cJSON_CreateObject() : NULL;
    if (rec) {
        cJSON_AddStringToObject(rec, "file", in);
        cJSON_AddItemToArray(recs, rec);
    }
    if (rc) {
        if (rc > 0) t->unread++;
        else t->invalid++;
        if (rec) cJSON_AddStringToObject(rec, "error", ut_error());
        fprintf(stderr, "recad rewrite: %s: %s\n", in, ut_error());
        return rc > 0 ? CLI_IO : CLI_INVALID;
    }
    rp_result res;
    double t0 = ut_now();
    char *prog = rp_parametric(&m, &res);
    *UT_PUSH(t->ms, t->nms, t->cap_ms) = 1e3 * (ut_now() - t0);
    cad_free(&m);
    if (!prog) {
        t->invalid++;
        fprintf(stderr, "recad rewrite: %s: %s\n", in, ut_error());
        return CLI_INVALID;
    }
    t->by_reason[res.reason]++;
    if (res.reason == RP_OK) rw_add_info(&t->used, &res.info);
    int io = 0;
    if (dst && ut_write_atomic(dst, prog, strlen(prog))) io = 1;
    else if (!dst && !quiet) fputs(prog, stdout);
    free(prog);
    if (io) {
        *wfail = 1;
        return cli_error(CLI_IO, "rewrite", "cannot write %s: %s", dst, ut_error());
    }
    char used[256];
    rw_used(&res.info, used, sizeof used);
    FILE *f = dst || quiet ? stdout : stderr;
    if (rec) {
        cJSON_AddStringToObject(rec, "status", rp_reason_name(res.reason));
        if (res.reason != RP_OK) cJSON_AddStringToObject(rec, "detail", res.detail);
        if (!isnan(res.iou)) cJSON_AddNumberToObject(rec, "iou", res.iou);
        cJSON_AddItemToObject(rec, "used", rw_info_json(&res.info));
    } else if (res.reason == RP_OK) {
        fprintf(f, "-- %s: verified (%s)\n", in, used[0] ? used : "literal");
    } else {
        fprintf(f, "-- %s: kept hard-coded (%s: %s)\n", in, rp_reason_name(res.reason), res.detail);
    }
    return CLI_OK;
}

CLI_COMMAND(cmd_rewrite, "rewrite", "rewrite hard-coded programs or CAD JSON as verified parametric programs") {
    const char *out = NULL;
    int json = 0, first;
    const arg_opt opts[] = {
        ARG_STR("out", 'o', &out, "OUT", "the program file (one FILE) or folder (a DIR); default: print"),
        ARG_FLAG("json", 0, &json, "print one JSON object: per-file status and the summary"),
        ARG_END};
    const arg_spec spec = {
        "rewrite", "FILE|DIR [-o OUT] [--json]",
        "Rewrites a CAD model as a parametric CADLib program - named parameters, profile functions,\n"
        "pattern loops, mirror functions - and verifies it by running both programs and comparing\n"
        "the exact solids (IoU >= 0.999999, equal bounding boxes). A model whose rewrite fails keeps\n"
        "its hard-coded program and the reason is reported (docs/data_rewrite.md).\n"
        "FILE is a .lua program or a DeepCAD / Fusion 360 / Text2CAD JSON file: its program goes to\n"
        "stdout (or OUT) and a line '-- FILE: verified (...)' or '-- FILE: kept hard-coded (reason)'\n"
        "to stderr (stdout with -o). A DIR is searched recursively for *.lua and *.json: one status\n"
        "line per file, programs written as OUT/<path below DIR>.lua with -o, and a summary.",
        opts, 1, 1, "FILE or DIR",
        "exit codes: 0 a program was written for every input (DIR: for at least one), 1 invalid\n"
        "input, 2 usage error, 3 file error\n"};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    char *in = argv[first];
    for (size_t l = strlen(in); l > 1 && in[l - 1] == '/'; l--) in[l - 1] = 0;
    if (!ut_is_dir(in)) {
        rw_totals t = {0};
        cJSON *recs = json ? cJSON_CreateArray() : NULL;
        int wfail = 0;
        rc = rw_one(in, out, json, &t, recs, &wfail);
        if (json) rw_summary(&t, 1, recs);
        free(t.ms);
        return rc;
    }
    rw_list files = {0};
    if (rw_walk(in, &files)) return cli_error(CLI_IO, "rewrite", "%s", ut_error());
    if (files.n == 0) {
        free(files.v);
        return cli_error(CLI_INVALID, "rewrite", "no *.lua or *.json files under %s", in);
    }
    qsort(files.v, (size_t)files.n, sizeof *files.v, rw_cmp);
    if (out && ut_mkdirs(out)) return cli_error(CLI_IO, "rewrite", "cannot create %s: %s", out, ut_error());
    rw_totals t = {0};
    cJSON *recs = json ? cJSON_CreateArray() : NULL;
    int written = 0, wfail = 0;
    for (int i = 0; i < files.n; i++) {
        if (!wfail) {
            char *dst = out ? rw_out_path(out, files.v[i] + strlen(in) + 1) : NULL;
            written += rw_one(files.v[i], dst, 1, &t, recs, &wfail) == CLI_OK;
            free(dst);
        }
        free(files.v[i]);
    }
    free(files.v);
    if (json) {
        rw_summary(&t, 1, recs);
    } else {
        rw_summary(&t, 0, NULL);
    }
    free(t.ms);
    if (wfail) return cli_error(CLI_IO, "rewrite", "stopped: a program could not be written");
    return written > 0 ? CLI_OK : CLI_INVALID;
}
