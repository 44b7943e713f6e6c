/* test_runner.c - the test runner itself (tests/main.c): SKIP is reported and counted apart.
 *
 * The runner_selftest_* tests only act when TF_SELFTEST is set: runner_reports_skips runs them in a
 * second runner (this same program), forked and in one process, and reads its output. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tf.h"

TEST(runner_selftest_skip) {
    if (getenv("TF_SELFTEST")) SKIP("the reason, %d words", 3);
}

/* a failure recorded before SKIP is not hidden by it */
TEST(runner_selftest_skip_after_failure) {
    if (getenv("TF_SELFTEST")) {
        CHECK_MSG(0, "a failure before the skip");
        SKIP("too late");
    }
}

/* the path of this test program */
static const char *tr_self(void) {
    static char path[1024];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    REQUIRE(n > 0);
    path[n] = 0;
    return path;
}

static void tr_check_run(const char *env) {
    char cmd[1400], *out = NULL;
    snprintf(cmd, sizeof cmd, "TF_SELFTEST=1 %s '%s' runner_selftest_", env, tr_self());
    int rc = tf_run_cmd(cmd, &out);
    REQUIRE(out);
    CHECK_MSG(rc == 1, "%s: exit %d\n%s", env, rc, out);
    CHECK_MSG(strstr(out, "skip runner_selftest_skip ") && strstr(out, "skipped: the reason, 3 words\n"), "%s", out);
    CHECK_MSG(strstr(out, "FAIL runner_selftest_skip_after_failure "), "%s", out);
    CHECK_MSG(!strstr(out, "skipped: too late"), "%s", out);
    CHECK_MSG(strstr(out, "\n0 passed, 1 failed, 1 skipped\n"), "%s", out);
    free(out);
}

TEST(runner_reports_skips) {
    tr_check_run("");
    tr_check_run("TF_NOFORK=1");
}

/* the whole-suite line keeps its form when nothing is skipped */
TEST(runner_final_line_without_skips) {
    char cmd[1200], *out = NULL;
    snprintf(cmd, sizeof cmd, "'%s' runner_selftest_", tr_self());
    int rc = tf_run_cmd(cmd, &out);
    REQUIRE(out);
    CHECK_MSG(rc == 0, "exit %d\n%s", rc, out);
    CHECK_MSG(strstr(out, "\n2 passed, 0 failed, 0 skipped\n"), "%s", out);
    free(out);
}
