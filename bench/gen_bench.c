/* gen_bench.c - speed and yield of the part generator (data/gen.h), per family, one core.
 *
 *   build/bench/gen_bench [-n PARTS] [-s SEED] [--roundtrip]
 *
 * Makes parts 0..PARTS-1 (default 2000) of SEED (default 1) with the default options and prints,
 * per family: parts, the share of first-attempt successes, mean attempts, mean curves and the mean
 * time per part (generation + kernel check); then the level mix and the overall parts/s.
 * --roundtrip also writes each part with cw_program, executes it with ex_run and checks that the
 * level and the curve count come back (and times that too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cad/codewrite.h"
#include "cad/exec.h"
#include "data/gen.h"
#include "base/util.h"

int main(int argc, char **argv) {
    long n = 2000;
    uint64_t seed = 1;
    int roundtrip = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) n = atol(argv[++i]);
        else if (!strcmp(argv[i], "-s") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--roundtrip")) roundtrip = 1;
        else {
            fprintf(stderr, "usage: gen_bench [-n PARTS] [-s SEED] [--roundtrip]\n");
            return 2;
        }
    }
    gn_options o;
    gn_default_options(&o);
    int nf = gn_family_count();
    long cnt[GN_MAX_FAMILIES] = {0}, first_ok[GN_MAX_FAMILIES] = {0}, att[GN_MAX_FAMILIES] = {0};
    long curves[GN_MAX_FAMILIES] = {0}, lv[5] = {0}, fails = 0, rt_bad = 0;
    double tf[GN_MAX_FAMILIES] = {0}, t_rt = 0, t0 = ut_now();
    for (long i = 0; i < n; i++) {
        gn_part p;
        double a = ut_now();
        if (gn_make(&o, seed, i, &p)) {
            fprintf(stderr, "gen_bench: %s\n", ut_error());
            fails++;
            continue;
        }
        int f = gn_family_index(p.family);
        tf[f] += ut_now() - a;
        cnt[f]++, first_ok[f] += p.attempts == 1, att[f] += p.attempts, curves[f] += p.curves, lv[p.level]++;
        if (roundtrip) {
            double b = ut_now();
            char *src = cw_program(&p.model);
            cad_model m;
            if (!src || ex_run(src, strlen(src), "part.lua", NULL, &m)) {
                fprintf(stderr, "gen_bench: part %ld (%s) does not run back: %s\n", i, p.family, ut_error());
                rt_bad++;
            } else {
                lv_info info;
                if (lv_classify(&m, &info) != p.level || info.curves != p.curves) {
                    fprintf(stderr, "gen_bench: part %ld (%s) runs back as %s/%d, not %s/%d\n", i, p.family,
                            lv_name(info.level), info.curves, lv_name(p.level), p.curves);
                    rt_bad++;
                }
                cad_free(&m);
            }
            free(src);
            t_rt += ut_now() - b;
        }
        gn_part_free(&p);
    }
    double total = ut_now() - t0;
    printf("%-14s %6s %8s %9s %7s %9s\n", "family", "parts", "first_ok", "attempts", "curves", "ms/part");
    for (int f = 0; f < nf; f++)
        if (cnt[f])
            printf("%-14s %6ld %7.0f%% %9.2f %7.1f %9.3f\n", gn_family_names()[f], cnt[f], 100.0 * first_ok[f] / cnt[f],
                   (double)att[f] / cnt[f], (double)curves[f] / cnt[f], 1e3 * tf[f] / cnt[f]);
    printf("levels: L %ld  F %ld  S %ld  SE %ld  MSE %ld   failed parts: %ld\n", lv[0], lv[1], lv[2], lv[3], lv[4], fails);
    printf("%ld parts in %.2f s: %.0f parts/s (%.3f ms/part)%s\n", n, total, n / total, 1e3 * total / n,
           roundtrip ? " including the round trip" : "");
    if (roundtrip) printf("round trip (cw_program + ex_run): %.3f ms/part, %ld mismatches\n", 1e3 * t_rt / n, rt_bad);
    return fails || rt_bad ? 1 : 0;
}
