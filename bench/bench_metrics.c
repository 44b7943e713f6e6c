/* bench_metrics.c - metric throughput: Chamfer distance on 8192 + 8192 points and IoU_best (exact
 * and voxel) per pair, on the real DeepCAD files of the shared data folder.
 *
 *   build/bench/bench_metrics [--data DIR] [--pairs N] [--repeat R] [--points-out FILE]
 *
 * Each pair is a DeepCAD part (ground truth) and a perturbed copy (every extrude distance x1.05,
 * so the prediction is close but not equal). Both are sampled with 8192 points (text2cad
 * protocol); the Chamfer distance is timed over R repetitions (best), tree building included, and
 * IoU_best exact and voxel once each; everything on one thread (--threads N to change), so
 * the numbers hold on a machine shared with other jobs. --points-out writes the very same clouds in the
 * format of bench/scipy_cd.py so that SciPy's cKDTree can be timed on them (metrics_bench.sh does
 * both and prints the ratio). Output: one line per pair, then "ours_cd_ms_1thread_median ...".
 */
#include <dirent.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/import.h"
#include "eval/metrics.h"
#include "geom/solid.h"
#include "base/util.h"

#define BM_MAX 64

static int bm_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double bm_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, bm_cmp);
    return n ? (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2])) : NAN;
}

static double *bm_cloud(const sd_solid *s, int n, uint64_t seed) {
    double lo[3], hi[3], *p = malloc((size_t)n * 3 * sizeof *p);
    if (sd_bbox(s, lo, hi) != 0 || sd_sample_surface(s, n, seed, p, NULL) != n) {
        free(p);
        return NULL;
    }
    mt_normalise_cloud(MT_TEXT2CAD, p, n, lo, hi);
    return p;
}

/* best wall time of R Chamfer computations, ms */
static double bm_time_cd(const double *a, const double *b, int n, int repeat, double *cd) {
    double best = INFINITY;
    for (int r = 0; r < repeat; r++) {
        double t = ut_now();
        *cd = mt_chamfer_points(a, n, b, n);
        best = fmin(best, ut_now() - t);
    }
    return best * 1e3;
}

static int bm_names(const char *dir, char names[][256], int max) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max)
        if (!strcmp(ut_path_ext(e->d_name), ".json")) snprintf(names[n++], 256, "%s", e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, (int (*)(const void *, const void *))strcmp);
    return n;
}

int main(int argc, char **argv) {
    const char *dir = "../shared/data/deepcad", *pts_out = NULL;
    int max_pairs = 12, repeat = 10, npts = 8192, threads = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--pairs") && i + 1 < argc) max_pairs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--points-out") && i + 1 < argc) pts_out = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_metrics [--data DIR] [--pairs N] [--repeat R] [--threads N] [--points-out FILE]\n");
            return 2;
        }
    }
    if (max_pairs < 1 || max_pairs > BM_MAX || repeat < 1 || threads < 1)
        return fprintf(stderr, "bench_metrics: bad --pairs/--repeat/--threads\n"), 2;
    omp_set_num_threads(threads);
    static char names[256][256];
    int nfiles = bm_names(dir, names, 256);
    if (!nfiles) return fprintf(stderr, "bench_metrics: no .json files in %s\n", dir), 3;
    FILE *pf = pts_out ? fopen(pts_out, "wb") : NULL;
    if (pts_out && !pf) return fprintf(stderr, "bench_metrics: cannot write %s\n", pts_out), 3;
    int np = 0;
    double t1[BM_MAX], tex[BM_MAX], tvx[BM_MAX];
    printf("%-16s %-22s %10s %10s %10s %8s %8s\n", "pair", "cd_x1000", "cd_ms", "best_ex", "ex_ms", "best_vx", "vx_ms");
    for (int f = 0; f < nfiles && np < max_pairs; f++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        cad_model g, p;
        if (im_load(path, NULL, &g, NULL) != 0) {
            fprintf(stderr, "skip %s: %s\n", names[f], ut_error());
            cad_free(&g);
            continue;
        }
        cad_copy(&p, &g);
        for (int e = 0; e < p.nextrudes; e++) p.extrudes[e].d1 *= 1.05, p.extrudes[e].d2 *= 1.05;
        sd_solid *gs = sd_build(&g), *ps = gs ? sd_build(&p) : NULL;
        double *a = ps ? bm_cloud(gs, npts, 1) : NULL, *b = a ? bm_cloud(ps, npts, 2) : NULL;
        if (!b) {
            fprintf(stderr, "skip %s: %s\n", names[f], ut_error());
        } else {
            double cd;
            t1[np] = bm_time_cd(a, b, npts, repeat, &cd);
            mt_best be = {0}, bv = {0};
            double t = ut_now();
            int ok = mt_iou_best_exact(gs, NULL, ps, NULL, NULL, &be) == 0;
            tex[np] = (ut_now() - t) * 1e3;
            t = ut_now();
            ok = ok && mt_iou_best_voxel(gs, NULL, ps, NULL, NULL, &bv) == 0;
            tvx[np] = (ut_now() - t) * 1e3;
            if (!ok) fprintf(stderr, "%s: IoU_best failed: %s\n", names[f], ut_error());
            printf("%-16s %-22.17g %10.3f %10.5f %10.1f %8.4f %8.1f\n", names[f], cd * 1000, t1[np], be.iou, tex[np],
                   bv.iou, tvx[np]);
            if (pf) {
                int64_t h[2] = {npts, npts};
                fwrite(h, sizeof h, 1, pf);
                fwrite(a, sizeof *a, (size_t)npts * 3, pf);
                fwrite(b, sizeof *b, (size_t)npts * 3, pf);
            }
            np++;
        }
        free(a), free(b);
        sd_free(gs), sd_free(ps);
        cad_free(&g), cad_free(&p);
    }
    if (pf) fclose(pf);
    if (!np) return fprintf(stderr, "bench_metrics: no pair could be built\n"), 1;
    printf("pairs %d, points %d + %d, repeat %d, threads %d\n", np, npts, npts, repeat, threads);
    printf("ours_cd_ms_median %.4f\n", bm_median(t1, np));
    printf("iou_best_exact_ms_median %.2f\n", bm_median(tex, np));
    printf("iou_best_voxel_ms_median %.2f\n", bm_median(tvx, np));
    return 0;
}
