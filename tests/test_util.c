/* Tests of util.c: atomic writes, rng reproducibility, grow. */
#include <stdlib.h>
#include <string.h>

#include "tf.h"
#include "base/util.h"

TEST(util_atomic_write_roundtrip) {
    char path[512];
    snprintf(path, sizeof path, "%s/a.txt", tf_tmpdir());
    REQUIRE(ut_write_atomic(path, "hello", 5) == 0);
    REQUIRE(ut_write_atomic(path, "world!", 6) == 0);
    size_t n = 0;
    char *s = ut_read_file(path, &n);
    REQUIRE(s);
    CHECK(n == 6 && strcmp(s, "world!") == 0);
    free(s);
}

TEST(util_atomic_abort_leaves_old_file) {
    char path[512];
    snprintf(path, sizeof path, "%s/b.txt", tf_tmpdir());
    REQUIRE(ut_write_atomic(path, "keep", 4) == 0);
    ut_atomic a;
    REQUIRE(ut_atomic_open(&a, path) == 0);
    fputs("half-written", a.f);
    ut_atomic_abort(&a);
    char *s = ut_read_file(path, NULL);
    REQUIRE(s);
    CHECK(strcmp(s, "keep") == 0);
    free(s);
}

TEST(util_read_missing_file_names_it) {
    char *s = ut_read_file("/nonexistent/dir/file.lua", NULL);
    CHECK(s == NULL);
    CHECK(strstr(ut_error(), "/nonexistent/dir/file.lua") != NULL);
}

TEST(util_rng_is_reproducible_and_uniform) {
    ut_rng a, b;
    ut_rng_seed(&a, 42);
    ut_rng_seed(&b, 42);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double x = ut_rng_uniform(&a);
        CHECK(x == ut_rng_uniform(&b));
        CHECK(x >= 0 && x < 1);
        sum += x;
    }
    CHECK_NEAR(sum / 100000, 0.5, 0.01);
}
