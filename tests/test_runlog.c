/* test_runlog.c - train/runlog.h: named columns, formats, resume truncation, plots. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_image.h>

#include "base/util.h"
#include "tf.h"
#include "train/runlog.h"

static const rl_col rl_test_cols[] = {{"reward", 'g', 6}, {"kl", 'g', 9}, {"tokens_per_s", 'f', 1}};

static char *rl_text(const char *path) {
    char *s = ut_read_file(path, NULL);
    REQUIRE_MSG(s, "%s", ut_error());
    return s;
}

/* a log of steps 1..n: reward = step / 4, kl = 1 / step, tokens_per_s = 1000 + step */
static void rl_fill(rl_log *l, int n) {
    for (int s = 1; s <= n; s++) {
        double v[3] = {s / 4.0, 1.0 / s, 1000 + s + 0.25};
        rl_add(l, s, v);
    }
}

TEST(runlog_columns_and_formats) {
    char path[600];
    snprintf(path, sizeof path, "%s/metrics.csv", tf_tmpdir());
    rl_log l;
    REQUIRE_MSG(rl_open(&l, path, rl_test_cols, 3, -1) == 0, "%s", ut_error());
    char *s = rl_text(path); /* the file is there from the start, with its header */
    CHECK(!strcmp(s, "step,reward,kl,tokens_per_s\n"));
    free(s);
    rl_fill(&l, 3);
    double odd[3] = {NAN, INFINITY, -2};
    rl_add(&l, 4, odd);
    CHECK(l.n == 4 && rl_col_index(&l, "kl") == 1 && rl_col_index(&l, "loss") == -1);
    CHECK(rl_get(&l, 2, 0) == 0.75);
    REQUIRE(rl_write(&l) == 0);
    s = rl_text(path);
    CHECK_MSG(!strcmp(s, "step,reward,kl,tokens_per_s\n"
                         "1,0.25,1,1001.2\n"
                         "2,0.5,0.5,1002.2\n"
                         "3,0.75,0.333333333,1003.2\n"
                         "4,nan,inf,-2.0\n"),
              "%s", s);
    free(s);
    rl_close(&l);
    /* a log without value columns is just the steps */
    REQUIRE(rl_open(&l, path, NULL, 0, -1) == 0);
    rl_add(&l, 7, NULL);
    REQUIRE(rl_write(&l) == 0);
    rl_close(&l);
    s = rl_text(path);
    CHECK(!strcmp(s, "step\n7\n"));
    free(s);
    /* column names that would break the CSV */
    rl_col comma[1] = {{"a,b", 'g', 6}};
    CHECK(rl_open(&l, path, comma, 1, -1) == -1 && strstr(ut_error(), "column 1"));
}

TEST(runlog_resume_truncates_to_the_resumed_step) {
    char path[600];
    snprintf(path, sizeof path, "%s/metrics.csv", tf_tmpdir());
    rl_log l;
    REQUIRE(rl_open(&l, path, rl_test_cols, 3, -1) == 0);
    rl_fill(&l, 7);
    REQUIRE(rl_write(&l) == 0);
    rl_close(&l);
    /* resuming the checkpoint of step 5: rows 6 and 7 are gone, from memory and from the file */
    REQUIRE_MSG(rl_open(&l, path, rl_test_cols, 3, 5) == 0, "%s", ut_error());
    CHECK(l.n == 5 && l.step[4] == 5 && rl_get(&l, 4, 0) == 1.25 && rl_get(&l, 2, 1) == 0.333333333);
    char *s = rl_text(path);
    CHECK(!strstr(s, "\n6,") && strstr(s, "\n5,1.25,0.2,1005.2\n"));
    free(s);
    /* the continued run appends after step 5; the rows read back print as they were written */
    double v[3] = {9, 9, 9};
    rl_add(&l, 6, v);
    REQUIRE(rl_write(&l) == 0);
    rl_close(&l);
    s = rl_text(path);
    CHECK_MSG(!strcmp(s, "step,reward,kl,tokens_per_s\n1,0.25,1,1001.2\n2,0.5,0.5,1002.2\n3,0.75,0.333333333,1003.2\n"
                         "4,1,0.25,1004.2\n5,1.25,0.2,1005.2\n6,9,9,9.0\n"),
              "%s", s);
    free(s);
    /* a missing file resumes as an empty log */
    char other[700];
    snprintf(other, sizeof other, "%s/none.csv", tf_tmpdir());
    REQUIRE(rl_open(&l, other, rl_test_cols, 3, 5) == 0);
    CHECK(l.n == 0 && access(other, R_OK) == 0);
    rl_close(&l);
    /* not resuming replaces an existing file */
    REQUIRE(rl_open(&l, path, rl_test_cols, 3, -1) == 0);
    CHECK(l.n == 0);
    rl_close(&l);
    s = rl_text(path);
    CHECK(!strcmp(s, "step,reward,kl,tokens_per_s\n"));
    free(s);
    /* other columns, or a damaged row, are errors that name the file */
    REQUIRE(ut_write_atomic(path, "step,loss\n1,2\n", 14) == 0);
    CHECK(rl_open(&l, path, rl_test_cols, 3, 5) == -1 && strstr(ut_error(), "metrics.csv: columns \"step,loss\" differ"));
    const char *bad = "step,reward,kl,tokens_per_s\n1,0.25,1,1001.2\n2,0.5,x,1\n";
    REQUIRE(ut_write_atomic(path, bad, strlen(bad)) == 0);
    CHECK_MSG(rl_open(&l, path, rl_test_cols, 3, 5) == -1 && strstr(ut_error(), "metrics.csv:3: malformed row"), "%s",
              ut_error());
    /* the failed open left the file as it was */
    s = rl_text(path);
    CHECK(!strcmp(s, bad));
    free(s);
}

TEST(runlog_plot_writes_a_png_of_the_chosen_columns) {
    char csv[600], png[600], png2[600];
    snprintf(csv, sizeof csv, "%s/metrics.csv", tf_tmpdir());
    snprintf(png, sizeof png, "%s/reward.png", tf_tmpdir());
    snprintf(png2, sizeof png2, "%s/both.png", tf_tmpdir());
    rl_log l;
    REQUIRE(rl_open(&l, csv, rl_test_cols, 3, -1) == 0);
    rl_fill(&l, 50);
    plot_opts o = {"reward", "step", "reward", 400, 300};
    const char *one[] = {"reward"}, *two[] = {"reward", "kl"};
    REQUIRE_MSG(rl_plot(&l, png, &o, one, 1) == 0, "%s", ut_error());
    REQUIRE(rl_plot(&l, png2, &o, two, 2) == 0);
    /* a PNG file (signature), of the requested size, with the first palette colour drawn */
    char *s = rl_text(png);
    CHECK(!memcmp(s, "\x89PNG\r\n\x1a\n", 8));
    free(s);
    int w = 0, h = 0, ch = 0;
    unsigned char *img = stbi_load(png, &w, &h, &ch, 3);
    REQUIRE(img);
    CHECK(w == 400 && h == 300);
    long blue = 0, orange = 0;
    for (long i = 0; i < (long)w * h; i++) {
        blue += img[3 * i] == 31 && img[3 * i + 1] == 90 && img[3 * i + 2] == 200;
        orange += img[3 * i] == 220 && img[3 * i + 1] == 90 && img[3 * i + 2] == 30;
    }
    CHECK(blue > 200 && orange == 0);
    stbi_image_free(img);
    /* the second series takes the second palette colour */
    img = stbi_load(png2, &w, &h, &ch, 3);
    REQUIRE(img);
    orange = 0;
    for (long i = 0; i < (long)w * h; i++) orange += img[3 * i] == 220 && img[3 * i + 1] == 90 && img[3 * i + 2] == 30;
    CHECK(orange > 100);
    stbi_image_free(img);
    const char *none[] = {"loss"};
    CHECK(rl_plot(&l, png, &o, none, 1) == -1 && strstr(ut_error(), "no column \"loss\""));
    rl_close(&l);
}
