/* cross_check.c - recad's kernel against OpenCASCADE on real data files, as a table.
 *
 *   build/bench/cross_check [--json] FILE|DIR ...      (DIR: its *.json files, sorted)
 *
 * For each DeepCAD / Fusion 360 / Text2CAD JSON file: import, build and measure with recad's
 * kernel (best of 3) and with OCCT's occt-draw (one run), compare volumes, boxes, centroids, and
 * OCCT's box with the one stored in the file. Prints a Markdown table (docs/occt.md holds its
 * output) or, with --json, one JSON object. Exit 0 when every file compared or was rejected by
 * the importer, 1 when a kernel failed on a file the importer accepted.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "eval/occt.h"
#include "eval/xcheck.h"
#include "base/util.h"

static int cc_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* appends the *.json files of dir (sorted) or the path itself */
static void cc_collect(const char *arg, char ***files, int *n, int *cap) {
    if (!ut_is_dir(arg)) {
        *UT_PUSH(*files, *n, *cap) = ut_strdup(arg);
        return;
    }
    DIR *d = opendir(arg);
    if (!d) return;
    int first = *n;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json")) continue;
        char *p = ut_malloc(strlen(arg) + l + 2);
        sprintf(p, "%s/%s", arg, e->d_name);
        *UT_PUSH(*files, *n, *cap) = p;
    }
    closedir(d);
    qsort(*files + first, (size_t)(*n - first), sizeof **files, cc_cmp);
}

static int cc_dcmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double cc_median(double *v, int n) {
    if (n == 0) return NAN;
    qsort(v, (size_t)n, sizeof *v, cc_dcmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static const char *cc_base(const char *p) {
    const char *s = strrchr(p, '/');
    if (!s) return p;
    /* keep the folder name: deepcad/00000007.json */
    const char *q = s;
    while (q > p && q[-1] != '/') q--;
    return q;
}

int main(int argc, char **argv) {
    int json = 0;
    char **files = NULL;
    int n = 0, cap = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--help")) {
            printf("usage: cross_check [--json] FILE|DIR ...\n");
            return 0;
        } else cc_collect(argv[i], &files, &n, &cap);
    }
    if (n == 0) {
        fprintf(stderr, "cross_check: no input files\n");
        return 2;
    }
    /* the interpreter's fixed cost (median of 5): start, load the modelling plugin, exit */
    double ts[5], tc[5], t_start, t_start_cpu;
    for (int r = 0; r < 5; r++) {
        char *out = NULL;
        if (oc_run_script_cpu("pload MODELING\nexit\n", 0, &out, &ts[r], &tc[r]) != 0) {
            fprintf(stderr, "cross_check: %s\n", ut_error());
            return 3;
        }
        free(out);
    }
    t_start = cc_median(ts, 5);
    t_start_cpu = cc_median(tc, 5);
    double *to = ut_calloc((size_t)n, sizeof *to), *tr = ut_calloc((size_t)n, sizeof *tr), *tcpu = ut_calloc((size_t)n, sizeof *tcpu);
    int ncmp = 0, nrej = 0, nfail = 0;
    double max_vol = 0, max_box = 0, max_file = 0, max_cen = 0, max_in = 0;
    cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "files");
    if (!json) {
        printf("| file | format | recad volume | OCCT volume | rel. diff | box diff | stored-box diff | stored-volume diff | OCCT valid | recad ms | OCCT ms (wall) | OCCT ms (CPU) |\n");
        printf("|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|\n");
    }
    ut_progress pr;
    ut_progress_start(&pr, "cross-check", n);
    for (int i = 0; i < n; i++) {
        xc_check c;
        int rc = xc_check_file(files[i], NULL, &c);
        ut_progress_update(&pr, i + 1);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "file", cc_base(files[i]));
        cJSON_AddStringToObject(o, "format", c.format);
        if (rc != 0) {
            int rejected = !strcmp(c.stage, "import");
            nrej += rejected;
            nfail += !rejected;
            cJSON_AddStringToObject(o, "status", rejected ? "rejected" : "failed");
            cJSON_AddStringToObject(o, "stage", c.stage);
            cJSON_AddStringToObject(o, "reason", c.reason);
            const char *r = strstr(c.reason, ": ") ? strstr(c.reason, ": ") + 2 : c.reason;
            if (!json) printf("| %s | %s | %s by %s: %s | | | | | | | | | |\n", cc_base(files[i]), c.format, rejected ? "rejected" : "FAILED", c.stage, r);
            continue;
        }
        to[ncmp] = c.t_occt;
        tcpu[ncmp] = c.t_occt_cpu;
        tr[ncmp] = c.t_ours;
        ncmp++;
        max_vol = fmax(max_vol, c.vol_rel);
        max_box = fmax(max_box, c.bbox_diff);
        max_cen = fmax(max_cen, c.centroid_diff);
        max_in = fmax(max_in, c.inertia_diff);
        int file_box_checked = c.has_file_bbox && c.skipped_empty == 0;
        if (file_box_checked) max_file = fmax(max_file, c.file_bbox_diff);
        cJSON_AddStringToObject(o, "status", "compared");
        cJSON_AddNumberToObject(o, "volume_recad", c.vol_ours);
        cJSON_AddNumberToObject(o, "volume_occt", c.vol_occt);
        cJSON_AddNumberToObject(o, "volume_rel_diff", c.vol_rel);
        cJSON_AddNumberToObject(o, "area_rel_diff", c.area_rel);
        cJSON_AddNumberToObject(o, "bbox_diff", c.bbox_diff);
        cJSON_AddNumberToObject(o, "centroid_diff", c.centroid_diff);
        cJSON_AddNumberToObject(o, "inertia_diff", c.inertia_diff);
        if (c.has_file_bbox) cJSON_AddNumberToObject(o, "stored_bbox_diff", c.file_bbox_diff);
        if (c.has_file_volume) cJSON_AddNumberToObject(o, "stored_volume_rel_diff", c.file_vol_rel);
        cJSON_AddNumberToObject(o, "skipped_empty_extrudes", c.skipped_empty);
        cJSON_AddBoolToObject(o, "occt_valid", c.occt_valid);
        cJSON_AddNumberToObject(o, "seconds_recad", c.t_ours);
        cJSON_AddNumberToObject(o, "seconds_occt", c.t_occt);
        cJSON_AddNumberToObject(o, "cpu_seconds_occt", c.t_occt_cpu);
        if (!json) {
            char fb[64] = "-";
            if (c.has_file_bbox)
                snprintf(fb, sizeof fb, "%.1e%s", c.file_bbox_diff, c.skipped_empty ? " (empty extrude)" : "");
            char fv[32] = "-";
            if (c.has_file_volume) snprintf(fv, sizeof fv, "%.1e", c.file_vol_rel);
            printf("| %s | %s | %.10g | %.10g | %.1e | %.1e | %s | %s | %s | %.3f | %.0f | %.0f |\n", cc_base(files[i]), c.format, c.vol_ours,
                   c.vol_occt, c.vol_rel, c.bbox_diff, fb, fv, c.occt_valid ? "yes" : "NO", c.t_ours * 1e3, c.t_occt * 1e3, c.t_occt_cpu * 1e3);
        }
    }
    ut_progress_finish(&pr);
    double mo = cc_median(to, ncmp), mr = cc_median(tr, ncmp), mc = cc_median(tcpu, ncmp);
    cJSON *s = cJSON_AddObjectToObject(root, "summary");
    cJSON_AddNumberToObject(s, "files", n);
    cJSON_AddNumberToObject(s, "compared", ncmp);
    cJSON_AddNumberToObject(s, "rejected_by_importer", nrej);
    cJSON_AddNumberToObject(s, "kernel_failures", nfail);
    cJSON_AddNumberToObject(s, "max_volume_rel_diff", max_vol);
    cJSON_AddNumberToObject(s, "max_bbox_diff", max_box);
    cJSON_AddNumberToObject(s, "max_centroid_diff", max_cen);
    cJSON_AddNumberToObject(s, "max_inertia_diff", max_in);
    cJSON_AddNumberToObject(s, "max_stored_bbox_diff", max_file);
    cJSON_AddNumberToObject(s, "median_seconds_recad", mr);
    cJSON_AddNumberToObject(s, "median_seconds_occt", mo);
    cJSON_AddNumberToObject(s, "median_cpu_seconds_occt", mc);
    cJSON_AddNumberToObject(s, "occt_startup_seconds", t_start);
    cJSON_AddNumberToObject(s, "occt_startup_cpu_seconds", t_start_cpu);
    if (json) {
        char *txt = cJSON_Print(root);
        printf("%s\n", txt);
        free(txt);
    } else {
        printf("\n%d files: %d compared, %d rejected by the importer, %d kernel failures.\n", n, ncmp, nrej, nfail);
        printf("Max volume relative difference %.2e; max box difference %.2e and max centroid difference %.2e "
               "(of the part size); max inertia-tensor difference %.2e (of its largest entry); max stored-box difference "
               "%.2e (files without empty-profile extrudes).\n",
               max_vol, max_box, max_cen, max_in, max_file);
        printf("Median time per part: recad %.3f ms (build + mass properties); OCCT %.1f ms wall, %.1f ms CPU (one occt-draw "
               "run: start and plugin load alone take %.1f ms wall, %.1f ms CPU); ratio of CPU times %.0fx.\n",
               mr * 1e3, mo * 1e3, mc * 1e3, t_start * 1e3, t_start_cpu * 1e3, mc / mr);
    }
    cJSON_Delete(root);
    for (int i = 0; i < n; i++) free(files[i]);
    free(files);
    free(to);
    free(tr);
    free(tcpu);
    return nfail ? 1 : 0;
}
