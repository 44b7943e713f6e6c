/* describe_bench.c - time of describing parts: the analysis (which builds the solid for its
 * bounding box), one abstract and one detailed description, and the think plan.
 *
 *   build/bench/describe_bench [-n RUNS] FILE...      (FILE: .lua program or DeepCAD / Fusion JSON)
 *
 * For each file: median wall time per call over RUNS runs (default 500) of ds_analyze, of
 * ds_describe_part (abstract + detailed, a new seed each run) and of ds_think_part, and of the
 * whole ds_describe (analysis + one text). One core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cad/exec.h"
#include "data/describe.h"
#include "data/import.h"
#include "base/util.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return t[n / 2];
}

static int load(const char *path, cad_model *m) {
    if (strcmp(ut_path_ext(path), ".json") != 0) return ex_run_file(path, NULL, m);
    im_report rep;
    int rc = im_load(path, NULL, m, &rep);
    if (rc == 0) rc = im_validate(m, &rep);
    im_report_free(&rep);
    if (rc) cad_free(m);
    return rc;
}

int main(int argc, char **argv) {
    int runs = 500, first = 1;
    if (argc > 2 && !strcmp(argv[1], "-n")) {
        runs = atoi(argv[2]);
        first = 3;
    }
    if (first >= argc || runs < 1) {
        fprintf(stderr, "usage: describe_bench [-n RUNS] FILE...\n");
        return 2;
    }
    double *t[4];
    for (int k = 0; k < 4; k++) t[k] = ut_malloc((size_t)runs * sizeof *t[k]);
    double sum[4] = {0};
    int files = 0;
    printf("%-36s %12s %14s %10s %14s\n", "file", "analyze_us", "abs+det_us", "think_us", "describe_us");
    for (int a = first; a < argc; a++) {
        cad_model m;
        if (load(argv[a], &m)) {
            fprintf(stderr, "describe_bench: %s: %s\n", argv[a], ut_error());
            continue;
        }
        for (int r = 0; r < runs; r++) {
            ds_part p;
            char *s1, *s2, *s3;
            double t0 = ut_now();
            if (ds_analyze(&m, &p)) break;
            double t1 = ut_now();
            ds_describe_part(&p, NULL, (uint64_t)r, DS_ABSTRACT, &s1);
            ds_describe_part(&p, NULL, (uint64_t)r, DS_DETAILED, &s2);
            double t2 = ut_now();
            char *th = ds_think_part(&p, NULL);
            double t3 = ut_now();
            ds_part_free(&p);
            ds_describe(&m, NULL, (uint64_t)r, DS_DETAILED, &s3);
            double t4 = ut_now();
            t[0][r] = t1 - t0, t[1][r] = t2 - t1, t[2][r] = t3 - t2, t[3][r] = t4 - t3;
            free(s1), free(s2), free(s3), free(th);
        }
        double md[4];
        for (int k = 0; k < 4; k++) md[k] = median(t[k], runs), sum[k] += md[k];
        files++;
        const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
        printf("%-36s %12.1f %14.1f %10.1f %14.1f\n", name, md[0] * 1e6, md[1] * 1e6, md[2] * 1e6, md[3] * 1e6);
        cad_free(&m);
    }
    if (files)
        printf("%-36s %12.1f %14.1f %10.1f %14.1f\n", "mean of the medians", sum[0] / files * 1e6, sum[1] / files * 1e6,
               sum[2] / files * 1e6, sum[3] / files * 1e6);
    for (int k = 0; k < 4; k++) free(t[k]);
    return 0;
}
