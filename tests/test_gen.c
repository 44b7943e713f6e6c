/* test_gen.c - the part generator (data/gen.h), its statistics (data/partstats.h) and
 * `recad data gen`. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cad/codewrite.h"
#include "cad/exec.h"
#include "data/gen.h"
#include "data/partstats.h"
#include "tf.h"

/* every family, at every level it claims, over several seeds: a valid model of that level, which
 * also survives the trip through a written program */
TEST(gen_every_family_makes_its_levels) {
    int nf = gn_family_count();
    REQUIRE(nf >= 20);
    for (int f = 0; f < nf; f++) {
        unsigned levels = gn_family_levels(f);
        CHECK_MSG(levels != 0, "family %s makes no level", gn_family_names()[f]);
        for (int l = 0; l < 5; l++) {
            if (!(levels & (1u << l))) continue;
            gn_options o;
            gn_default_options(&o);
            for (int k = 0; k < GN_MAX_FAMILIES; k++) o.family_weight[k] = k == f;
            for (int k = 0; k < 5; k++) o.level_weight[k] = k == l;
            for (long i = 0; i < 6; i++) {
                gn_part p;
                int rc = gn_make(&o, 100 + (uint64_t)l, i, &p);
                REQUIRE_MSG(rc == 0, "%s at %s: %s", gn_family_names()[f], lv_name((lv_level)l), ut_error());
                CHECK(!strcmp(p.family, gn_family_names()[f]));
                CHECK_MSG(p.level == (lv_level)l, "%s part %ld is %s, not %s", p.family, i, lv_name(p.level),
                          lv_name((lv_level)l));
                lv_info info;
                CHECK(lv_classify(&p.model, &info) == p.level && info.curves == p.curves);
                char *src = cw_program(&p.model);
                REQUIRE(src);
                cad_model m;
                CHECK_MSG(ex_run(src, strlen(src), "part.lua", NULL, &m) == 0, "%s: %s", p.family, ut_error());
                {
                    lv_info back;
                    CHECK(lv_classify(&m, &back) == p.level && back.curves == p.curves);
                    cad_free(&m);
                }
                free(src);
                gn_part_free(&p);
            }
        }
    }
}

/* the same (seed, index) gives the same program; other indices or seeds give other parts; the
 * order in which parts are made does not matter */
TEST(gen_is_reproducible) {
    gn_options o;
    gn_default_options(&o);
    char *first[20];
    for (long i = 0; i < 20; i++) {
        gn_part p;
        REQUIRE(gn_make(&o, 42, i, &p) == 0);
        first[i] = cw_program(&p.model);
        gn_part_free(&p);
    }
    int differ = 0, other_seed = 0;
    for (long i = 19; i >= 0; i--) { /* backwards */
        gn_part p, q;
        REQUIRE(gn_make(&o, 42, i, &p) == 0);
        REQUIRE(gn_make(&o, 43, i, &q) == 0);
        char *a = cw_program(&p.model), *b = cw_program(&q.model);
        CHECK_MSG(!strcmp(a, first[i]), "part %ld of seed 42 changed", i);
        other_seed += strcmp(b, first[i]) != 0;
        if (i > 0) differ += strcmp(first[i], first[i - 1]) != 0;
        free(a), free(b);
        gn_part_free(&p), gn_part_free(&q);
    }
    CHECK(differ == 19);
    CHECK(other_seed == 20);
    for (int i = 0; i < 20; i++) free(first[i]);
}

/* a few hundred default parts: every level and most families appear, the mix is near the
 * calibrated level weights, and almost no part needs a second attempt */
TEST(gen_default_mix_covers_every_level) {
    gn_options o;
    gn_default_options(&o);
    long lv[5] = {0}, fam[GN_MAX_FAMILIES] = {0}, retried = 0, n = 400;
    for (long i = 0; i < n; i++) {
        gn_part p;
        REQUIRE_MSG(gn_make(&o, 7, i, &p) == 0, "%s", ut_error());
        lv[p.level]++, fam[gn_family_index(p.family)]++, retried += p.attempts > 1;
        gn_part_free(&p);
    }
    double wsum = 0;
    for (int l = 0; l < 5; l++) wsum += o.level_weight[l];
    for (int l = 0; l < 5; l++) {
        CHECK_MSG(lv[l] > 0, "no %s part in %ld", lv_name((lv_level)l), n);
        CHECK_NEAR((double)lv[l] / n, o.level_weight[l] / wsum, 0.06);
    }
    int seen = 0;
    for (int f = 0; f < gn_family_count(); f++) seen += fam[f] > 0;
    CHECK(seen >= gn_family_count() - 2);
    CHECK(fam[gn_family_index("random")] + fam[gn_family_index("random_multi")] > 0);
    CHECK(retried < n / 20);
}

/* a value is round when it is a multiple of 0.5 mm or of 1/16 inch */
static int gen_round(double v) {
    v = fabs(v);
    double h = v * 2, i = v / 1.5875;
    return fabs(h - round(h)) < 1e-6 || fabs(i - round(i)) < 1e-6;
}

/* designer dimensions: most extents, circle diameters and semantic lengths are round numbers,
 * some are not; hole diameters are often standard clearances */
TEST(gen_dimensions_are_mostly_round) {
    gn_options o;
    gn_default_options(&o);
    long vals = 0, round_vals = 0, holes = 0, clearance = 0;
    static const double clear[] = {3.4, 4.5, 5.5, 6.6, 9, 11, 13.5};
    for (long i = 0; i < 300; i++) {
        gn_part p;
        REQUIRE(gn_make(&o, 5, i, &p) == 0);
        for (int e = 0; e < p.model.nextrudes; e++) {
            const cad_extrude *x = &p.model.extrudes[e];
            vals++, round_vals += gen_round(x->kind == CAD_EXT_TWO ? x->d1 + x->d2 : x->d1);
        }
        for (int k = 0; k < p.nparams; k++) {
            const gn_param *q = &p.params[k];
            if (q->text || strstr(q->name, "count") || !strcmp(q->name, "sides") || strstr(q->name, "deg")) continue;
            vals++, round_vals += gen_round(q->value);
            if (!strcmp(q->name, "hole_diameter")) {
                holes++;
                for (size_t c = 0; c < sizeof clear / sizeof *clear; c++) clearance += fabs(q->value - clear[c]) < 1e-9;
            }
        }
        gn_part_free(&p);
    }
    REQUIRE(vals > 1000);
    double share = (double)round_vals / vals;
    CHECK_MSG(share > 0.8 && share < 0.995, "round share %.3f", share);
    REQUIRE(holes > 20);
    CHECK_MSG(clearance > holes / 5, "%ld of %ld holes are clearance sizes", clearance, holes);
}

TEST(gen_family_selection) {
    gn_options o;
    gn_default_options(&o);
    REQUIRE(gn_select_families(&o, "washer,flange") == 0);
    for (long i = 0; i < 30; i++) {
        gn_part p;
        REQUIRE(gn_make(&o, 1, i, &p) == 0);
        CHECK(!strcmp(p.family, "washer") || !strcmp(p.family, "flange"));
        CHECK(p.level != LV_L && p.level != LV_S); /* neither family makes L or S */
        gn_part_free(&p);
    }
    CHECK(gn_select_families(&o, "washer,gear") == -1);
    CHECK(strstr(ut_error(), "gear") != NULL);
    /* a family that cannot make the only level asked for */
    gn_default_options(&o);
    REQUIRE(gn_select_families(&o, "washer") == 0);
    for (int l = 0; l < 5; l++) o.level_weight[l] = l == LV_S;
    gn_part p;
    CHECK(gn_make(&o, 1, 0, &p) == -1);
    CHECK(strstr(ut_error(), "no family") != NULL);
}

/* the statistics count what a model holds, and a set compared with itself is at distance 0 */
TEST(gen_partstats_counts) {
    const char *src = "Extrude(Sketch(XY, Face(Loop(Line(0,0, 40,0), Line(40,0, 40,20), Line(40,20, 0,20), Line(0,20, 0,0)),"
                      " Loop(Circle(20,10, 4)))), 5, \"new\")\n"
                      "Extrude(Sketch(Plane({0,0,5}, {1,0,0}, {0,0,1}), Face(Loop(Circle(20,10, 6)))), 10, \"cut\")\n";
    cad_model m;
    REQUIRE(ex_run(src, strlen(src), "t.lua", NULL, &m) == 0);
    ps_stats s;
    ps_init(&s);
    ps_add(&s, &m);
    CHECK(s.parts == 1 && s.level[LV_MSE] == 1 && s.extrudes[1] == 1);
    CHECK(s.kinds[0] == 4 && s.kinds[2] == 2 && s.kinds[1] == 0);
    CHECK(s.planes[0] == 1 && s.planes[3] == 1);
    CHECK(s.ops[1] == 1 && s.extents[0] == 2);
    CHECK(s.loops[1] == 1 && s.loops[0] == 1);
    CHECK(s.aspect_mid[2] == 1 && s.aspect_min[0] == 1); /* the plate's box 40 x 20 x 5 (the cut does not count) */
    CHECK_NEAR(ps_distance(&s, &s, "level"), 0, 0);
    ps_stats t;
    ps_init(&t);
    cad_free(&m);
    const char *l = "Extrude(Sketch(XZ, Face(Loop(Circle(0,0, 5)))), 8, \"new\")";
    REQUIRE(ex_run(l, strlen(l), "l.lua", NULL, &m) == 0);
    ps_add(&t, &m);
    CHECK_NEAR(ps_distance(&s, &t, "level"), 1, 1e-12);
    CHECK(isnan(ps_distance(&s, &t, "nothing")));
    ps_merge(&t, &s);
    CHECK(t.parts == 2 && t.level[LV_L] == 1 && t.level[LV_MSE] == 1 && t.planes[1] == 1);
    char path[512];
    snprintf(path, sizeof path, "%s/r.md", tf_tmpdir());
    REQUIRE(ps_write_report(&s, "a", &t, "b", path, NULL, NULL, "# R\n\n") == 0);
    char *md = ut_read_file(path, NULL);
    REQUIRE(md);
    CHECK(strstr(md, "| MSE | 100.0% | 50.0% |") != NULL);
    free(md);
    cad_free(&m);
}

/* `recad data gen` writes the same JSONL whatever the thread count, and a folder of programs
 * that run */
TEST(gen_cli_data_gen) {
    char cmd[2048], *out = NULL;
    const char *d = tf_tmpdir();
    snprintf(cmd, sizeof cmd, "build/recad data gen -n 60 -s 9 -t 1 -o %s/a.jsonl && build/recad data gen -n 60 -s 9 -t 3 -o %s/b.jsonl"
                              " && cmp %s/a.jsonl %s/b.jsonl && build/recad data gen -n 5 -s 9 -o %s/progs --json",
             d, d, d, d, d);
    int rc = tf_run_cmd(cmd, &out);
    CHECK_MSG(rc == 0, "%s", out);
    CHECK(strstr(out, "\"parts\":5") != NULL);
    free(out);
    snprintf(cmd, sizeof cmd, "%s/a.jsonl", d);
    char *text = ut_read_file(cmd, NULL);
    REQUIRE(text);
    int lines = 0;
    for (char *p = text; *p; p++) lines += *p == '\n';
    CHECK(lines == 60);
    CHECK(strstr(text, "{\"id\":\"g00000000\",\"family\":") == text);
    CHECK(strstr(text, "\"source\":\"gen:9:59\"") != NULL);
    free(text);
    snprintf(cmd, sizeof cmd, "build/recad info %s/progs/g00000004.lua --json", d);
    rc = tf_run_cmd(cmd, &out);
    CHECK_MSG(rc == 0, "%s", out);
    free(out);
    rc = tf_run_cmd("build/recad data gen -n 3 -f gear -o /tmp/x.jsonl", &out);
    CHECK(rc == 2 && strstr(out, "unknown family 'gear'"));
    free(out);
    rc = tf_run_cmd("build/recad data frobnicate", &out);
    CHECK(rc == 2 && strstr(out, "unknown subcommand"));
    free(out);
}
