/* exec_bench.c - time of executing CADLib programs (sandbox set-up, run, validation) and of
 * writing them back as hard-coded programs.
 *
 *   build/bench/exec_bench [-n RUNS] PROGRAM.lua...
 *
 * For each program: median and minimum wall time per ex_run over RUNS runs (default 2000), the
 * instructions charged, the Lua state's peak memory, and the median time of cw_program. One core.
 * A program that fails (bench/hostile/ holds some that must) is run once: its time and error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cad/codewrite.h"
#include "cad/exec.h"
#include "base/util.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int runs = 2000, first = 1;
    if (argc > 2 && !strcmp(argv[1], "-n")) {
        runs = atoi(argv[2]);
        first = 3;
    }
    if (first >= argc || runs < 1) {
        fprintf(stderr, "usage: exec_bench [-n RUNS] PROGRAM.lua...\n");
        return 2;
    }
    double *t = ut_malloc((size_t)runs * sizeof *t), *tw = ut_malloc((size_t)runs * sizeof *tw);
    printf("%-28s %6s %10s %10s %12s %10s %10s\n", "program", "runs", "median_us", "min_us", "instructions", "peak_KiB",
           "write_us");
    for (int a = first; a < argc; a++) {
        size_t len;
        char *src = ex_read_program(argv[a], &len);
        if (!src) {
            fprintf(stderr, "exec_bench: %s\n", ut_error());
            return 3;
        }
        ex_stats st = {0};
        int done = 0;
        for (int i = 0; i < runs; i++) {
            cad_model m;
            double t0 = ut_now();
            if (ex_run_stats(src, len, argv[a], NULL, &m, &st) < 0) {
                printf("%-28s %6d %10.1f %10s %12ld %10.1f  FAILED: %s\n", argv[a], 1, st.seconds * 1e6, "-",
                       st.instructions, st.peak_memory / 1024.0, ut_error());
                break;
            }
            t[i] = ut_now() - t0;
            done = i + 1;
            t0 = ut_now();
            char *text = cw_program(&m);
            tw[i] = ut_now() - t0;
            free(text);
            cad_free(&m);
        }
        free(src);
        if (done < runs) continue;
        qsort(t, (size_t)runs, sizeof *t, cmp_double);
        qsort(tw, (size_t)runs, sizeof *tw, cmp_double);
        printf("%-28s %6d %10.1f %10.1f %12ld %10.1f %10.1f\n", argv[a], runs, t[runs / 2] * 1e6, t[0] * 1e6,
               st.instructions, st.peak_memory / 1024.0, tw[runs / 2] * 1e6);
    }
    free(t);
    free(tw);
    return 0;
}
