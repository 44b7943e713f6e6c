/* test_dataset.c - the dataset builder (data/dataset.h, recad data build / real): every sample
 * executes, the same seed gives the same files whatever the thread count, no test part has a
 * geometric twin in train, real files become a test set of their own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "data/jsonl.h"
#include "cad/exec.h"
#include "data/dataset.h"
#include "ml/chat.h"
#include "tf.h"

/* the records of a JSONL file (cJSON array; NULL if unreadable) */
static cJSON *dt_read(const char *dir, const char *name) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    jl_reader r;
    if (jl_open(&r, path, 0)) return NULL;
    cJSON *arr = cJSON_CreateArray(), *rec;
    while (jl_next(&r, &rec) == 1) cJSON_AddItemToArray(arr, cJSON_Duplicate(rec, 1));
    jl_close(&r);
    return arr;
}

static const char *dt_str(const cJSON *j, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

TEST(dataset_samples_execute_and_builds_are_reproducible) {
    const char *d = tf_tmpdir();
    char cmd[2048], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "build/recad data build --parts 120 --seed 7 --real ../shared/data/deepcad --test 0.2 --val 0.1 -o %s/a -q "
             "--threads 1 --json && build/recad data build --parts 120 --seed 7 --real ../shared/data/deepcad --test 0.2 "
             "--val 0.1 -o %s/b -q --threads 2 && cmp %s/a/train.jsonl %s/b/train.jsonl && cmp %s/a/test.jsonl %s/b/test.jsonl "
             "&& cmp %s/a/val.jsonl %s/b/val.jsonl",
             d, d, d, d, d, d, d, d);
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"skipped\":"), "%s", out);
    free(out);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/a", d);
    const char *files[3] = {"train.jsonl", "val.jsonl", "test.jsonl"};
    int n = 0, real = 0, kinds[2] = {0, 0};
    for (int f = 0; f < 3; f++) {
        cJSON *arr = dt_read(dir, files[f]);
        REQUIRE(arr);
        const cJSON *r;
        cJSON_ArrayForEach(r, arr) {
            n++;
            const char *answer = dt_str(r, "answer"), *prog = chat_program(answer);
            CHECK(!strncmp(answer, "<think>\n", 8) && prog != answer);
            CHECK(strlen(dt_str(r, "prompt")) > 0);
            CHECK(!strncmp(dt_str(r, "split"), files[f], strlen(dt_str(r, "split"))));
            kinds[!strcmp(dt_str(r, "kind"), "detailed")]++;
            real += !strcmp(dt_str(r, "family"), "real");
            cad_model m;
            int ok = ex_run(prog, strlen(prog), "answer", NULL, &m) == 0;
            CHECK_MSG(ok, "%s: %s", dt_str(r, "id"), ut_error());
            if (ok) cad_free(&m);
        }
        cJSON_Delete(arr);
    }
    CHECK(n >= 3 * 120);
    CHECK(kinds[0] * 2 == kinds[1]); /* one abstract, two detailed per part */
    CHECK(real >= 3 * 15);           /* the DeepCAD files that import */
}

TEST(dataset_split_keeps_twins_together) {
    const char *d = tf_tmpdir();
    char cmd[1024], *out = NULL;
    /* washers and spacers come in standard sizes: many twins */
    db_opts o;
    db_default_opts(&o);
    o.parts = 400;
    o.seed = 3;
    o.test_share = 0.3;
    o.val_share = 0;
    o.detailed = 1;
    o.abstract = 0;
    o.quiet = 1;
    REQUIRE(gn_select_families(&o.gen, "washer,spacer") == 0);
    db_stats st;
    snprintf(cmd, sizeof cmd, "%s/t", d);
    REQUIRE_MSG(db_build(&o, cmd, &st) == 0, "%s", ut_error());
    CHECK_MSG(st.twin_parts >= 10, "%ld twin parts", st.twin_parts);
    CHECK(st.parts_split[2] > 40 && st.parts_split[0] > 150);
    /* signatures measured again from the written programs: no train / test pair are twins */
    db_sig *sig[2];
    int cnt[2] = {0, 0};
    const char *files[2] = {"train.jsonl", "test.jsonl"};
    for (int f = 0; f < 2; f++) {
        cJSON *arr = dt_read(cmd, files[f]);
        REQUIRE(arr);
        sig[f] = ut_calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(db_sig));
        const cJSON *r;
        cJSON_ArrayForEach(r, arr) {
            const char *prog = chat_program(dt_str(r, "answer"));
            cad_model m;
            REQUIRE(ex_run(prog, strlen(prog), "answer", NULL, &m) == 0);
            REQUIRE(db_sig_of(&m, &sig[f][cnt[f]++]) == 0);
            cad_free(&m);
        }
        cJSON_Delete(arr);
    }
    int cross = 0, inside = 0;
    for (int i = 0; i < cnt[0]; i++) {
        for (int j = 0; j < cnt[1]; j++) cross += db_twins(&sig[0][i], &sig[1][j]);
        for (int j = i + 1; j < cnt[0]; j++) inside += db_twins(&sig[0][i], &sig[0][j]);
    }
    CHECK_MSG(cross == 0, "%d twin pairs across train and test", cross);
    CHECK(inside > 0); /* the check can fail: twins exist */
    free(sig[0]);
    free(sig[1]);
    (void)out;
}

TEST(dataset_real_files_become_a_test_set) {
    const char *d = tf_tmpdir();
    char cmd[1024], *out = NULL;
    snprintf(cmd, sizeof cmd, "build/recad data real ../shared/data/deepcad -o %s --name deep -q --json", d);
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    free(out);
    cJSON *arr = dt_read(d, "deep.jsonl");
    REQUIRE(arr);
    CHECK(cJSON_GetArraySize(arr) >= 3 * 15);
    const cJSON *r;
    cJSON_ArrayForEach(r, arr) {
        CHECK(!strcmp(dt_str(r, "split"), "test") && !strcmp(dt_str(r, "family"), "real"));
        CHECK(!strncmp(dt_str(r, "source"), "deepcad:", 8));
    }
    cJSON_Delete(arr);
    snprintf(cmd, sizeof cmd, "build/recad data real -o %s/x /nonexistent", d);
    CHECK(tf_run_cmd(cmd, &out) == 3);
    free(out);
}
