/* test_ckpt.c - train/ckpt.h: atomic checkpoint folders, `latest`, rotation, finding the checkpoint
 * to resume from, interrupted writes and corrupt pointers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "tf.h"
#include "train/ckpt.h"

static const char *const ck_files[] = {"weights.bin", "state.json", NULL};

/* one checkpoint with the two files above; the weights hold the step as text */
static void ck_write(const char *out, long step, int keep) {
    char tmp[1024], path[1100], text[32];
    REQUIRE_MSG(ck_begin(out, step, tmp, sizeof tmp) == 0, "%s", ut_error());
    snprintf(path, sizeof path, "%s/weights.bin", tmp);
    snprintf(text, sizeof text, "%ld", step);
    REQUIRE(ut_write_atomic(path, text, strlen(text)) == 0);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "step", (double)step);
    REQUIRE(ck_write_json(tmp, "state.json", j) == 0);
    cJSON_Delete(j);
    REQUIRE_MSG(ck_commit(out, step, keep) == 0, "%s", ut_error());
}

static char *ck_read_text(const char *out, const char *name) {
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", out, name);
    return ut_read_file(path, NULL);
}

static int ck_exists(const char *out, const char *name) {
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", out, name);
    return access(path, F_OK) == 0;
}

/* the steps of the complete folders as "a,b,c" */
static void ck_steps_text(const char *out, char *buf, size_t n) {
    long *steps = NULL;
    int ns = 0;
    buf[0] = 0;
    REQUIRE(ck_list(out, &steps, &ns) == 0);
    for (int i = 0; i < ns; i++) snprintf(buf + strlen(buf), n - strlen(buf), "%s%ld", i ? "," : "", steps[i]);
    free(steps);
}

TEST(ckpt_commit_latest_and_rotation_keeps_k) {
    char out[700], dir[1024], list[256];
    snprintf(out, sizeof out, "%s/run", tf_tmpdir());
    long step = -1;
    CHECK(ck_latest(out, ck_files, dir, sizeof dir, &step) == 1); /* no folder yet: nothing to resume */
    for (long s = 10; s <= 50; s += 10) ck_write(out, s, 3);
    char *latest = ck_read_text(out, "latest");
    REQUIRE(latest);
    CHECK(!strcmp(latest, "step-00000050"));
    free(latest);
    ck_steps_text(out, list, sizeof list);
    CHECK_MSG(!strcmp(list, "30,40,50"), "kept %s", list);
    CHECK(!ck_exists(out, "step-00000050.tmp"));
    /* the files written into the temporary folder are in the published one */
    char *w = ck_read_text(out, "step-00000040/weights.bin");
    CHECK(w && !strcmp(w, "40"));
    free(w);
    cJSON *j = ck_read_json(out, "step-00000040/state.json");
    CHECK(j && cJSON_GetObjectItem(j, "step")->valuedouble == 40);
    cJSON_Delete(j);
    /* K = 1 keeps only the committed one; K <= 0 keeps all */
    ck_write(out, 60, 1);
    ck_steps_text(out, list, sizeof list);
    CHECK_MSG(!strcmp(list, "60"), "kept %s", list);
    ck_write(out, 70, 0);
    ck_write(out, 80, 0);
    ck_steps_text(out, list, sizeof list);
    CHECK_MSG(!strcmp(list, "60,70,80"), "kept %s", list);
    /* going back (a resumed run re-committing an earlier step) drops the later folders: they
     * belong to the abandoned continuation, and `latest` must not name a removed folder */
    ck_write(out, 70, 2);
    ck_steps_text(out, list, sizeof list);
    CHECK_MSG(!strcmp(list, "60,70"), "kept %s", list);
    REQUIRE(ck_latest(out, ck_files, dir, sizeof dir, &step) == 0);
    CHECK(step == 70 && strstr(dir, "/run/step-00000070"));
    /* step numbers past 8 digits */
    ck_write(out, 123456789, 2);
    CHECK(ck_exists(out, "step-123456789"));
    REQUIRE(ck_latest(out, ck_files, dir, sizeof dir, &step) == 0 && step == 123456789);
}

TEST(ckpt_resume_finds_the_newest_complete_one) {
    char out[700], dir[1024], tmp[1024], path[1100], list[256];
    snprintf(out, sizeof out, "%s/run", tf_tmpdir());
    ck_write(out, 10, 2);
    ck_write(out, 20, 2);
    /* an interrupted write: the temporary folder is left behind with part of the files */
    REQUIRE(ck_begin(out, 30, tmp, sizeof tmp) == 0);
    CHECK(strstr(tmp, "step-00000030.tmp") && ut_is_dir(tmp));
    snprintf(path, sizeof path, "%s/weights.bin", tmp);
    REQUIRE(ut_write_atomic(path, "30", 2) == 0);
    long step = -1;
    REQUIRE_MSG(ck_latest(out, ck_files, dir, sizeof dir, &step) == 0, "%s", ut_error());
    CHECK(step == 20 && strstr(dir, "step-00000020") && !strstr(dir, ".tmp"));
    ck_steps_text(out, list, sizeof list);
    CHECK_MSG(!strcmp(list, "10,20"), "listed %s", list);
    /* resuming from 20 and reaching 30 again: begin clears the stale folder, commit cleans up */
    REQUIRE(ck_begin(out, 30, tmp, sizeof tmp) == 0);
    CHECK(access(path, F_OK) != 0);
    REQUIRE(ck_begin(out, 25, tmp, sizeof tmp) == 0); /* another stale temporary folder */
    ck_write(out, 30, 2);
    CHECK(!ck_exists(out, "step-00000025.tmp") && !ck_exists(out, "step-00000030.tmp"));
    REQUIRE(ck_latest(out, ck_files, dir, sizeof dir, &step) == 0 && step == 30);
    /* a failed write is abandoned without touching the published checkpoints, keeping the error */
    REQUIRE(ck_begin(out, 40, tmp, sizeof tmp) == 0);
    ut_fail("disk full");
    ck_abort(out, 40);
    CHECK(!strcmp(ut_error(), "disk full") && !ck_exists(out, "step-00000040.tmp"));
    CHECK(ck_commit(out, 40, 2) == -1 && strstr(ut_error(), "step-00000040.tmp"));
    REQUIRE(ck_latest(out, ck_files, dir, sizeof dir, &step) == 0 && step == 30);
    /* without `latest` (a crash before the first pointer write) the newest folder is used */
    snprintf(path, sizeof path, "%s/latest", out);
    REQUIRE(unlink(path) == 0);
    REQUIRE(ck_begin(out, 50, tmp, sizeof tmp) == 0);
    REQUIRE(ck_latest(out, ck_files, dir, sizeof dir, &step) == 0 && step == 30);
    /* an output folder without checkpoints: nothing to resume */
    snprintf(path, sizeof path, "%s/empty", tf_tmpdir());
    REQUIRE(ut_mkdirs(path) == 0);
    CHECK(ck_latest(path, ck_files, dir, sizeof dir, &step) == 1);
}

TEST(ckpt_corrupt_or_missing_checkpoint_errors) {
    char out[700], dir[1024], path[1100];
    snprintf(out, sizeof out, "%s/run", tf_tmpdir());
    ck_write(out, 10, 2);
    snprintf(path, sizeof path, "%s/latest", out);
    long step = -1;
    /* corrupt pointers name the file and what it holds */
    const char *bad[] = {"", "garbage", "step-12", "step-00000010/../x", "../step-00000010", "step-0000001x"};
    for (int i = 0; i < 6; i++) {
        REQUIRE(ut_write_atomic(path, bad[i], strlen(bad[i])) == 0);
        CHECK_MSG(ck_latest(out, ck_files, dir, sizeof dir, &step) == -1 && strstr(ut_error(), "/run/latest") &&
                      strstr(ut_error(), "is not a checkpoint folder name"),
                  "'%s': %s", bad[i], ut_error());
    }
    REQUIRE(ut_write_atomic(path, "\x01\x02zz", 4) == 0);
    CHECK(ck_latest(out, ck_files, dir, sizeof dir, &step) == -1 && strstr(ut_error(), "\"??zz\""));
    /* a trailing newline is accepted */
    REQUIRE(ut_write_atomic(path, "step-00000010\n", 14) == 0);
    CHECK(ck_latest(out, ck_files, dir, sizeof dir, &step) == 0 && step == 10);
    /* a pointer to a folder that is not there */
    REQUIRE(ut_write_atomic(path, "step-00000020", 13) == 0);
    CHECK_MSG(ck_latest(out, ck_files, dir, sizeof dir, &step) == -1 &&
                  strstr(ut_error(), "latest names step-00000020, which does not exist"),
              "%s", ut_error());
    /* a checkpoint without one of the trainer's files */
    REQUIRE(ut_write_atomic(path, "step-00000010", 13) == 0);
    snprintf(path, sizeof path, "%s/step-00000010/state.json", out);
    REQUIRE(unlink(path) == 0);
    CHECK_MSG(ck_latest(out, ck_files, dir, sizeof dir, &step) == -1 && strstr(ut_error(), "step-00000010 is incomplete") &&
                  strstr(ut_error(), "state.json is missing"),
              "%s", ut_error());
    CHECK(ck_latest(out, NULL, dir, sizeof dir, &step) == 0 && step == 10); /* no required files */
    /* a state file that is not JSON */
    snprintf(path, sizeof path, "%s/step-00000010/state.json", out);
    REQUIRE(ut_write_atomic(path, "{oops", 5) == 0);
    snprintf(dir, sizeof dir, "%s/step-00000010", out);
    CHECK(ck_read_json(dir, "state.json") == NULL && strstr(ut_error(), "state.json: not valid JSON"));
    CHECK(ck_read_json(dir, "none.json") == NULL && strstr(ut_error(), "none.json"));
}

TEST(ckpt_remove_tree_does_not_follow_links) {
    char base[700], keep[800], tree[800], path[1000];
    snprintf(base, sizeof base, "%s", tf_tmpdir());
    snprintf(keep, sizeof keep, "%s/keep", base);
    snprintf(tree, sizeof tree, "%s/tree/a/b", base);
    REQUIRE(ut_mkdirs(keep) == 0 && ut_mkdirs(tree) == 0);
    snprintf(path, sizeof path, "%s/file", keep);
    REQUIRE(ut_write_atomic(path, "x", 1) == 0);
    snprintf(path, sizeof path, "%s/f", tree);
    REQUIRE(ut_write_atomic(path, "y", 1) == 0);
    snprintf(path, sizeof path, "%s/tree/link", base);
    REQUIRE(symlink(keep, path) == 0);
    snprintf(tree, sizeof tree, "%s/tree", base);
    CHECK(ck_remove_tree(tree) == 0);
    CHECK(access(tree, F_OK) != 0);
    snprintf(path, sizeof path, "%s/file", keep);
    CHECK(access(path, R_OK) == 0);
    CHECK(ck_remove_tree(tree) == 0); /* nothing there: nothing to do */
}
