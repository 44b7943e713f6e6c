/* The fuzz suite at CI size: seeded random programs and JSON mutants of the shared files through
 * every check of eval/fuzz.h (no crash - each test runs in its own process -, an error message
 * for every refusal, samples on the surface, mesh volume within 0.5 %, under 2 s each). The large
 * run is `make fuzz N=5000` (bench/fuzz.c). */
#include <stdlib.h>
#include <string.h>

#include "tf.h"
#include "base/util.h"
#include "eval/fuzz.h"

#define FZT_PROGRAMS 250 /* CI size: about 20 s on one core */
#define FZT_MUTANTS 250

/* the time allowed per case: FZ_MAX_SECONDS, four times that under the sanitizers */
#if defined(__SANITIZE_ADDRESS__)
#define FZT_SECONDS (4 * FZ_MAX_SECONDS)
#else
#define FZT_SECONDS FZ_MAX_SECONDS
#endif

/* the quick run's budget: the default work limit, a deadline under FZ_MAX_SECONDS */
static void fzt_limits(bg_limits *l) {
    bg_default_limits(l);
    l->max_seconds = 1.5;
}

TEST(fuzz_programs_are_reproducible) {
    char *a = fz_program(42, 0), *b = fz_program(42, 0), *c = fz_program(43, 0);
    CHECK(!strcmp(a, b));
    CHECK(strcmp(a, c) != 0);
    CHECK(strstr(a, "Extrude(") != NULL);
    free(a), free(b), free(c);
    char *m1 = fz_mutate_json("{\"a\": [1, 2, {\"b\": \"x\"}], \"c\": 3.5}", 7);
    char *m2 = fz_mutate_json("{\"a\": [1, 2, {\"b\": \"x\"}], \"c\": 3.5}", 7);
    CHECK(!strcmp(m1, m2));
    free(m1), free(m2);
}

TEST(fuzz_random_programs_pass_every_check) {
    bg_limits lim;
    fzt_limits(&lim);
    int count[4] = {0}, mesh_off = 0;
    for (int i = 0; i < FZT_PROGRAMS; i++) {
        char *src = fz_program((uint64_t)i + 1, 2);
        fz_result r;
        fz_check_program(src, "fuzz", &lim, FZT_SECONDS, &r);
        count[r.outcome]++;
        if (r.outcome == FZ_FAIL && r.mesh_off) {
            mesh_off++;
            CHECK_MSG(0, "program seed %d: %s", i + 1, r.fail); /* the mesher's accuracy */
        } else {
            CHECK_MSG(r.outcome != FZ_FAIL, "program seed %d: %s", i + 1, r.fail);
        }
        free(src);
    }
    printf("    programs: %d refused, %d ok, %d stopped by the budget, %d failed (%d mesh volumes off)\n", count[FZ_REFUSED],
           count[FZ_OK], count[FZ_BUDGET], count[FZ_FAIL], mesh_off);
    CHECK(count[FZ_REFUSED] > FZT_PROGRAMS / 20); /* the damaged ones */
    CHECK(count[FZ_OK] > FZT_PROGRAMS / 2);
}

TEST(fuzz_json_mutants_pass_every_check) {
    char dir[600], *list = NULL;
    snprintf(dir, sizeof dir, "ls %s/data/deepcad/*.json %s/data/fusion360/*.json %s/data/text2cad_minimal/*.json 2>/dev/null",
             tf_shared(), tf_shared(), tf_shared());
    if (tf_run_cmd(dir, &list) != 0 || !list || !*list) {
        free(list);
        SKIP("no shared JSON files");
    }
    char *files[512];
    int nf = 0;
    for (char *p = strtok(list, "\n"); p && nf < 512; p = strtok(NULL, "\n")) files[nf++] = p;
    bg_limits lim;
    fzt_limits(&lim);
    int count[4] = {0};
    for (int i = 0; i < FZT_MUTANTS; i++) {
        char *text = ut_read_file(files[i % nf], NULL);
        REQUIRE(text != NULL);
        char *mut = fz_mutate_json(text, (uint64_t)i + 1);
        fz_result r;
        fz_check_json(mut, "mutant", &lim, FZT_SECONDS, &r);
        count[r.outcome]++;
        CHECK_MSG(r.outcome != FZ_FAIL, "mutant seed %d of %s: %s", i + 1, files[i % nf], r.fail);
        free(mut);
        free(text);
    }
    printf("    mutants: %d refused, %d ok, %d stopped by the budget, %d failed\n", count[FZ_REFUSED], count[FZ_OK],
           count[FZ_BUDGET], count[FZ_FAIL]);
    CHECK(count[FZ_REFUSED] > FZT_MUTANTS / 10);
    CHECK(count[FZ_OK] > FZT_MUTANTS / 10);
    free(list);
}
