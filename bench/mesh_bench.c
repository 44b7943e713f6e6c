/* mesh_bench.c - meshing and rendering times and mesh volume errors on the shared real files.
 *
 *   make bench && build/bench/mesh_bench [DATA_DIR] [--occt]
 *
 * For every DeepCAD / Fusion 360 JSON file under DATA_DIR (default ../shared/data): import,
 * mesh at the default tolerance (median of 5 runs), check watertightness, render a 256x256
 * shaded isometric view, and compare the mesh volume with the file's stored volume (Fusion) and,
 * with --occt, with OpenCASCADE's volume of the same model. Prints one Markdown table row per
 * file and the totals. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/import.h"
#include "geom/mesh.h"
#include "eval/occt.h"
#include "geom/render.h"
#include "base/util.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    const char *root = "../shared/data";
    int use_occt = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--occt") == 0) use_occt = 1;
        else root = argv[i];
    }
    const char *sub[2] = {"deepcad", "fusion360"};
    printf("| file | triangles | mesh ms (median of 5) | render ms | watertight | mesh volume | reference | rel. error |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
    double tmesh[512], trend[512], worst = 0;
    int n_all = 0;
    for (int d = 0; d < 2; d++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s", root, sub[d]);
        DIR *dp = opendir(dir);
        if (!dp) {
            fprintf(stderr, "mesh_bench: cannot open %s\n", dir);
            continue;
        }
        char *names[512];
        int n = 0;
        for (struct dirent *e; (e = readdir(dp)) && n < 512;)
            if (strstr(e->d_name, ".json")) names[n++] = ut_strdup(e->d_name);
        closedir(dp);
        qsort(names, (size_t)n, sizeof *names, cmp_str);
        for (int i = 0; i < n; i++) {
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            cad_model m;
            im_report rep;
            memset(&rep, 0, sizeof rep);
            if (im_load(path, NULL, &m, &rep) == 0) {
                double t[5];
                ms_mesh ms = {0};
                int ok = 1;
                for (int r = 0; r < 5 && ok; r++) {
                    ms_free(&ms);
                    double t0 = ut_now();
                    ok = ms_from_model(&m, 0, &ms) == 0;
                    t[r] = ut_now() - t0;
                }
                if (ok) {
                    qsort(t, 5, sizeof *t, cmp_dbl);
                    img_rgb im;
                    double t0 = ut_now();
                    rd_render(&ms, RD_ISO, RD_SHADED, 256, 256, &im);
                    double tr = ut_now() - t0;
                    img_free(&im);
                    double v = ms_volume(&ms), ref = NAN;
                    const char *src = "-";
                    if (rep.has_props) ref = rep.volume, src = "file";
                    oc_props op;
                    if (use_occt && oc_measure(&m, NULL, &op) == 0) ref = op.volume, src = "OCCT";
                    double err = isnan(ref) ? NAN : (v - ref) / ref;
                    if (!isnan(err) && fabs(err) > worst) worst = fabs(err);
                    tmesh[n_all] = t[2];
                    trend[n_all++] = tr;
                    printf("| %s | %d | %.2f | %.1f | %s | %.6g | %.6g (%s) | %.1e |\n", names[i], ms.nt, 1e3 * t[2], 1e3 * tr,
                           ms_check_watertight(&ms) == 0 ? "yes" : "NO", v, ref, src, err);
                } else {
                    printf("| %s | mesh failed: %s |\n", names[i], ut_error());
                }
                ms_free(&ms);
            } else {
                printf("| %s | import rejected |\n", names[i]);
            }
            cad_free(&m);
            im_report_free(&rep);
            free(names[i]);
        }
    }
    if (n_all) {
        qsort(tmesh, (size_t)n_all, sizeof *tmesh, cmp_dbl);
        qsort(trend, (size_t)n_all, sizeof *trend, cmp_dbl);
        printf("\n%d files meshed: median mesh time %.2f ms (max %.1f), median render %.1f ms, worst |volume error| %.2e\n", n_all,
               1e3 * tmesh[n_all / 2], 1e3 * tmesh[n_all - 1], 1e3 * trend[n_all / 2], worst);
    }
    return 0;
}
