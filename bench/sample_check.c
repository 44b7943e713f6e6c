/* sample_check.c - the exact surface sampler against an independent one on real data files.
 *
 *   build/bench/sample_check [--points N] [--files] FILE|DIR ...     (DIR: its *.json files, sorted)
 *
 * For each DeepCAD / Fusion 360 / Text2CAD JSON file that the importer takes: build the solid,
 * mesh it (ms_from_model: the mesh's volume is checked against the exact one), draw N points
 * (default 8192) three times - exact samples (sd_sample_surface) from two seeds and area-weighted
 * samples of the mesh's triangles (ms_sample_surface) - all divided by the part's size, and
 * compare CD(exact, mesh) with the noise floor CD(exact, exact') of two exact streams. A sampler
 * that misses or under-samples faces puts the ratio well above 1 (a pocket's floor and walls left
 * out gave 7 to 30 on the shared files); chords within 1e-3 of the size add nothing visible.
 * Prints a Markdown table per folder (docs/sampling.md holds its output) and, with --files, one
 * row per file. Exit 0 when every ratio is below 1.15, 1 otherwise.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "data/import.h"
#include "eval/metrics.h"
#include "geom/mesh.h"
#include "geom/solid.h"

#define SC_LIMIT 1.15

static int sc_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int sc_cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* the *.json files of dir, sorted, or the path itself */
static int sc_collect(const char *arg, char ***files) {
    int n = 0, cap = 0;
    *files = NULL;
    if (!ut_is_dir(arg)) {
        *UT_PUSH(*files, n, cap) = ut_strdup(arg);
        return n;
    }
    DIR *d = opendir(arg);
    if (!d) return 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json")) continue;
        char *p = ut_malloc(strlen(arg) + l + 2);
        sprintf(p, "%s/%s", arg, e->d_name);
        *UT_PUSH(*files, n, cap) = p;
    }
    closedir(d);
    qsort(*files, (size_t)n, sizeof **files, sc_cmp);
    return n;
}

typedef enum { SC_REJECTED, SC_FAILED, SC_MEASURED } sc_outcome;

/* measures one file: cd_mesh, cd_floor in units of the part's size squared */
static sc_outcome sc_file(const char *path, int n, double *cd_mesh, double *cd_floor, int *tools, char *why, size_t wn) {
    cad_model m;
    if (im_load(path, NULL, &m, NULL) != 0) {
        snprintf(why, wn, "%s", ut_error());
        cad_free(&m);
        return SC_REJECTED;
    }
    *tools = 0;
    for (int e = 0; e < m.nextrudes; e++) *tools += m.extrudes[e].op == CAD_CUT || m.extrudes[e].op == CAD_INTERSECT;
    sd_solid *s = sd_build(&m);
    ms_mesh ms = {0};
    ms_stats st;
    if (!s || ms_from_model_stats(&m, 0, &ms, &st) != 0) {
        snprintf(why, wn, "%s", ut_error());
        sd_free(s);
        cad_free(&m);
        return SC_FAILED;
    }
    double *a = ut_malloc(sizeof(double) * 3 * n), *b = ut_malloc(sizeof(double) * 3 * n), *c = ut_malloc(sizeof(double) * 3 * n);
    int ok = sd_sample_surface(s, n, 1, a, NULL) == n && sd_sample_surface(s, n, 2, b, NULL) == n &&
             ms_sample_surface(&ms, n, 3, c) == n;
    if (ok) {
        for (int i = 0; i < 3 * n; i++) a[i] /= st.part_size, b[i] /= st.part_size, c[i] /= st.part_size;
        *cd_floor = mt_chamfer_points(a, n, b, n);
        *cd_mesh = mt_chamfer_points(a, n, c, n);
    } else {
        snprintf(why, wn, "%s", ut_error());
    }
    free(a), free(b), free(c);
    ms_free(&ms);
    sd_free(s);
    cad_free(&m);
    return ok ? SC_MEASURED : SC_FAILED;
}

int main(int argc, char **argv) {
    int n = 8192, per_file = 0, bad = 0;
    printf("| folder | files | imported | measured | with cut / intersect | ratio median | ratio max | worst file | seconds |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--points") && i + 1 < argc) {
            n = atoi(argv[++i]);
            continue;
        }
        if (!strcmp(argv[i], "--files")) {
            per_file = 1;
            continue;
        }
        char **files;
        int nf = sc_collect(argv[i], &files), imported = 0, measured = 0, with_tools = 0;
        double *ratio = ut_malloc(sizeof(double) * (size_t)(nf + 1)), worst = 0, t0 = ut_now();
        const char *worst_name = "-";
        for (int k = 0; k < nf; k++) {
            double cm = 0, cf = 0;
            int tools = 0;
            char why[512] = "";
            sc_outcome o = sc_file(files[k], n, &cm, &cf, &tools, why, sizeof why);
            imported += o != SC_REJECTED;
            if (o == SC_FAILED) {
                bad = 1;
                fprintf(stderr, "sample_check: %s: %s\n", files[k], why);
            }
            if (o != SC_MEASURED) continue;
            double r = cm / cf;
            ratio[measured++] = r;
            with_tools += tools > 0;
            if (r > worst) worst = r, worst_name = strrchr(files[k], '/') ? strrchr(files[k], '/') + 1 : files[k];
            if (r >= SC_LIMIT) bad = 1;
            if (per_file) fprintf(stderr, "%s  CD(exact, mesh) %.4e  CD(exact, exact') %.4e  ratio %.3f%s\n", files[k], cm, cf, r, tools ? "  (cut / intersect)" : "");
        }
        qsort(ratio, (size_t)measured, sizeof *ratio, sc_cmp_d);
        double med = measured ? (measured % 2 ? ratio[measured / 2] : 0.5 * (ratio[measured / 2 - 1] + ratio[measured / 2])) : 0;
        printf("| %s | %d | %d | %d | %d | %.3f | %.3f | %s | %.1f |\n", argv[i], nf, imported, measured, with_tools, med, worst,
               worst_name, ut_now() - t0);
        fflush(stdout);
        free(ratio);
        for (int k = 0; k < nf; k++) free(files[k]);
        free(files);
    }
    return bad;
}
