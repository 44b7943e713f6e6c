/* test_params.c - cad/params: the top-level numeric parameters of a program, their spans, slider
 * ranges, and rewriting one so that the program runs with the new value. */
#include <stdlib.h>
#include <string.h>

#include "tf.h"
#include "cad/exec.h"
#include "cad/params.h"
#include "geom/solid.h"
#include "base/util.h"

static pr_param *scan(const char *src, int *n) {
    pr_param *p = NULL;
    REQUIRE(pr_scan(src, strlen(src), &p, n) == 0);
    return p;
}

TEST(params_top_level_locals_with_spans) {
    const char *src = "-- plate\nlocal w, d, t = 60, 40, 6   -- mm\nlocal r = -2.5; local s = .5\nlocal k <const> = 1e-3\n";
    int n;
    pr_param *p = scan(src, &n);
    REQUIRE(n == 6);
    const char *names[] = {"w", "d", "t", "r", "s", "k"};
    const double values[] = {60, 40, 6, -2.5, 0.5, 1e-3};
    const char *texts[] = {"60", "40", "6", "-2.5", ".5", "1e-3"};
    for (int i = 0; i < n; i++) {
        CHECK_MSG(!strcmp(p[i].name, names[i]), "%d: %s", i, p[i].name);
        CHECK_NEAR(p[i].value, values[i], 0);
        CHECK_MSG(p[i].end - p[i].start == strlen(texts[i]) && !memcmp(src + p[i].start, texts[i], strlen(texts[i])),
                  "%d: span %zu..%zu", i, p[i].start, p[i].end);
    }
    CHECK(p[0].line == 2 && p[0].col == 17);
    CHECK(p[3].line == 3 && p[3].col == 11);
    CHECK(p[3].decimals == 1 && p[5].decimals == 3 && p[0].decimals == 0);
    CHECK_NEAR(p[0].lo, 0, 0);
    CHECK_NEAR(p[0].hi, 180, 0);
    CHECK_NEAR(p[0].step, 1, 0);
    CHECK_NEAR(p[3].lo, -7.5, 1e-12);
    CHECK_NEAR(p[3].hi, 0, 0);
    CHECK_NEAR(p[3].step, 0.1, 1e-15);
    free(p);
}

TEST(params_skip_expressions_blocks_strings_and_comments) {
    const char *src = "local a, b = 2 * 3, 4\n"                /* none: the list stops at an expression */
                      "local a2, b2 = 4, 2 * 3\n"              /* a2 */
                      "local c = 5 + x\n"                      /* none */
                      "local function f() local z = 9 end\n"   /* none: inside a function */
                      "for i = 1, 3 do local q = 7 end\n"      /* none: inside a loop */
                      "if x then local y = 1 end\n"            /* none */
                      "local s = \"local u = 3\" --[[ local v = 4 ]]\n"
                      "local t = { 5 }\n"                      /* none */
                      "local e = 8 local g = 0x10 local h = 3 or 4\n" /* e only */
                      "local Ü = 1\n";                         /* not a Lua name */
    int n;
    pr_param *p = scan(src, &n);
    CHECK_MSG(n == 2, "%d parameters", n);
    if (n == 2) {
        CHECK(!strcmp(p[0].name, "a2") && p[0].value == 4);
        CHECK(!strcmp(p[1].name, "e") && p[1].value == 8 && p[1].line == 9);
    }
    free(p);
}

TEST(params_columns_count_utf16_units) {
    /* "é" is 2 bytes / 1 unit, "😀" 4 bytes / 2 units */
    const char *src = "local w = 1 -- é\nlocal d = 2 --[[😀]] local e = 3\n";
    int n;
    pr_param *p = scan(src, &n);
    REQUIRE(n == 3);
    CHECK(p[1].col == 11);
    CHECK_MSG(p[2].col == 32, "col %d", p[2].col); /* 30 ASCII units + the emoji's 2 */
    free(p);
}

TEST(params_unclosed_string_keeps_what_came_before) {
    const char *src = "local a = 1\nlocal s = \"open\nlocal b = 2\n";
    int n;
    pr_param *p = scan(src, &n);
    CHECK(n == 1 && !strcmp(p[0].name, "a"));
    free(p);
}

TEST(params_rewrite_changes_the_part) {
    const char *src = "local w, d, t = 60, 40, 6\n"
                      "Extrude(Sketch(XY, Face(Loop(Line(0,0, w,0), Line(w,0, w,d), Line(w,d, 0,d), Line(0,d, 0,0)))), t)\n";
    int n;
    pr_param *p = scan(src, &n);
    REQUIRE(n == 3);
    size_t len;
    char *s = pr_rewrite(src, strlen(src), &p[2], 10.25, &len);
    REQUIRE(s);
    CHECK(!strncmp(s, "local w, d, t = 60, 40, 10\n", 27)); /* written with the literal's 0 decimals */
    cad_model m;
    REQUIRE_MSG(ex_run(s, len, "p", NULL, &m) == 0, "%s", ut_error());
    sd_solid *so = sd_build(&m);
    CHECK_NEAR(sd_volume(so), 60 * 40 * 10, 1e-6);
    sd_free(so);
    cad_free(&m);
    free(s);
    pr_param bad = p[0];
    bad.end = strlen(src) + 5;
    CHECK(pr_rewrite(src, strlen(src), &bad, 1, NULL) == NULL);
    free(p);
}
