/* Tests of the geometry budget (base/budget.h) and of what it bounds: validation, the solid
 * kernel, meshing, scoring and the commands; and of the robustness fixes that came with it
 * (capped reads, clean error text, valid UTF-8 JSON, --size checked at parse time, refused
 * extents and ops). */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tf.h"
#include "base/budget.h"
#include "base/util.h"
#include "cad/exec.h"
#include "eval/score.h"
#include "geom/mesh.h"
#include "geom/solid.h"

#define RECAD "build/recad"

static int sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sh(char **out, const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char *o = NULL;
    int rc = tf_run_cmd(cmd, &o);
    if (out) *out = o;
    else free(o);
    return rc;
}

static const char *write_file(const char *name, const char *src) {
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 512, "%s/%s", tf_tmpdir(), name);
    REQUIRE(ut_write_atomic(p, src, strlen(src)) == 0);
    return p;
}

/* ten extrudes on tilted planes: validation is quick, their exact volume needs quadrature whose
   breakpoints grow fast with the number of directions */
static const char *tilted10 =
    "local function rect(x0,y0,x1,y1) return Loop(Line(x0,y0,x1,y0),Line(x1,y0,x1,y1),Line(x1,y1,x0,y1),Line(x0,y1,x0,y0)) end\n"
    "for i=1,10 do local a=i*0.1 local p = Plane({0,0,0},{math.cos(a),math.sin(a),0},{math.sin(a)*0.3,0.2,1}) "
    "Extrude(Sketch(p, Face(rect(-10,-10,10,10), Loop(Circle(0,0,3)))), {sym=20}, i%2==0 and 'cut' or 'join') end\n";

/* ---- the module ---- */

TEST(budget_without_one_nothing_is_limited) {
    REQUIRE(bg_current() == NULL);
    for (int i = 0; i < 100000; i++) REQUIRE(bg_charge(1000) == 0);
    CHECK(bg_exceeded() == 0);
}

TEST(budget_work_limit_is_exact_sticky_and_nested) {
    bg_limits l = {0, 10 * BG_FLUSH};
    bg_budget b, inner;
    bg_begin(&b, &l);
    CHECK(bg_current() == &b);
    for (int i = 0; i < 10; i++) CHECK(bg_charge(BG_FLUSH) == 0); /* exactly the limit: not over */
    CHECK(bg_work(&b) == 10L * BG_FLUSH);
    bg_limits none = {0, 0};
    bg_begin(&inner, &none); /* an inner budget has its own count */
    CHECK(bg_charge(100L * BG_FLUSH) == 0);
    bg_end(&inner);
    CHECK(bg_current() == &b);
    CHECK(bg_charge(BG_FLUSH) == 1); /* one flush over */
    CHECK(bg_charge(1) == 1);        /* and it stays over */
    CHECK(bg_exceeded() == 1);
    CHECK(bg_fail("the test") == -1);
    CHECK_MSG(strstr(ut_error(), "the test exceeded the geometry budget (40960 work units)") != NULL, "%s", ut_error());
    bg_end(&b);
    CHECK(bg_current() == NULL);
    CHECK(bg_charge(BG_FLUSH) == 0);
}

TEST(budget_deadline_stops_polling_loops) {
    bg_limits l = {0.05, 0};
    bg_budget b;
    bg_begin(&b, &l);
    long n = 0;
    while (!bg_charge(1)) n++;
    double dt = bg_seconds(&b);
    CHECK_MSG(dt >= 0.05 && dt < 2, "stopped after %g s", dt);
    CHECK(bg_fail("spinning") == -1);
    CHECK_MSG(strstr(ut_error(), "spinning exceeded the geometry budget (0.05 s") != NULL, "%s", ut_error());
    bg_end(&b);
    CHECK(n > 0);
}

static void *budget_thread(void *arg) {
    long *limit = arg;
    bg_limits l = {0, *limit};
    bg_budget b;
    bg_begin(&b, &l);
    long n = 0;
    while (!bg_charge(1) && n < 100000000) n++;
    bg_end(&b);
    *limit = n;
    return NULL;
}

TEST(budget_threads_have_their_own) {
    pthread_t t[2];
    long lim[2] = {20 * BG_FLUSH, 80 * BG_FLUSH};
    for (int i = 0; i < 2; i++) REQUIRE(pthread_create(&t[i], NULL, budget_thread, &lim[i]) == 0);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    /* each stops at the first flush past its own limit */
    CHECK(lim[0] == 20L * BG_FLUSH + BG_FLUSH - 1);
    CHECK(lim[1] == 80L * BG_FLUSH + BG_FLUSH - 1);
    CHECK(bg_current() == NULL);
}

TEST(budget_attach_shares_one_budget) {
    bg_limits l = {0, 4L * BG_FLUSH};
    bg_budget b;
    bg_begin(&b, &l);
    bg_budget *owner = bg_current(), *old = NULL;
    /* what a worker thread does: attach, charge, restore */
    old = bg_attach(owner);
    CHECK(old == owner);
    CHECK(bg_charge(3L * BG_FLUSH) == 0);
    bg_attach(old);
    CHECK(bg_work(&b) == 3L * BG_FLUSH);
    CHECK(bg_charge(2L * BG_FLUSH) == 1);
    bg_end(&b);
}

/* ---- the kernel ---- */

TEST(budget_balanced_tree_validates_1000_joins_fast) {
    /* one sketch joined 1000 times with growing extents: the union is the tallest */
    const char *src = "local s = Sketch(XY, Face(Loop(Line(0,0,10,0),Line(10,0,10,10),Line(10,10,0,10),Line(0,10,0,0))))\n"
                      "for i=1,1000 do Extrude(s, i*0.01, 'join') end\n";
    cad_model m;
    double t0 = ut_now();
    REQUIRE_MSG(ex_run(src, strlen(src), "joins", NULL, &m) == 0, "%s", ut_error());
    double dt = ut_now() - t0;
    CHECK_MSG(dt < 2, "validation took %g s", dt);
    /* 200 of them: the exact volume within the default budget */
    cad_model m2;
    const char *src2 = "local s = Sketch(XY, Face(Loop(Line(0,0,10,0),Line(10,0,10,10),Line(10,10,0,10),Line(0,10,0,0))))\n"
                       "for i=1,200 do Extrude(s, i*0.01, 'join') end\n";
    REQUIRE(ex_run(src2, strlen(src2), "joins", NULL, &m2) == 0);
    bg_budget b;
    bg_begin(&b, NULL);
    sd_solid *s = sd_build(&m2);
    sd_props p;
    REQUIRE_MSG(s && sd_mass_props(s, &p) == 0, "%s", ut_error());
    CHECK_REL(p.volume, 200.0, 1e-12);
    CHECK(sd_is_empty(s) == 0);
    sd_free(s);
    bg_end(&b);
    cad_free(&m);
    cad_free(&m2);
}

TEST(budget_stops_quadrature_with_a_clear_error) {
    cad_model m;
    bg_budget b;
    ex_limits lim;
    ex_default_limits(&lim);
    lim.geometry.max_work = 2000000; /* about a tenth of a second of quadrature */
    double t0 = ut_now();
    REQUIRE_MSG(ex_run_budget(tilted10, strlen(tilted10), "tilted", &lim, &m, NULL, &b) == 0, "%s", ut_error());
    CHECK(bg_current() == &b);
    sd_solid *s = sd_build(&m);
    sd_props p;
    REQUIRE(s != NULL);
    CHECK(sd_mass_props(s, &p) == -1);
    CHECK_MSG(strstr(ut_error(), "mass properties of the solid exceeded the geometry budget (2000000 work units)"), "%s",
              ut_error());
    CHECK(isnan(sd_volume(s)));
    CHECK(sd_is_empty(s) == -1);
    ms_mesh mesh;
    CHECK(ms_from_model(&m, 0, &mesh) == -1);
    CHECK_MSG(strstr(ut_error(), "meshing exceeded the geometry budget"), "%s", ut_error());
    double dt = ut_now() - t0;
    CHECK_MSG(dt < 10, "took %g s", dt);
    sd_free(s);
    bg_end(&b);
    cad_free(&m);
}

TEST(budget_validation_over_budget_is_a_limit_not_invalid) {
    /* 400 separate squares: validation is cheap per face, but not under a budget of 1000 units */
    char src[512];
    snprintf(src, sizeof src,
             "local f = {} for i = 1, 400 do local x = 3*i f[i] = Face(Loop(Line(x,0,x+1,0),Line(x+1,0,x+1,1),"
             "Line(x+1,1,x,1),Line(x,1,x,0))) end\nExtrude(Sketch(XY, table.unpack(f)), 1)\n");
    ex_limits lim;
    ex_default_limits(&lim);
    lim.geometry.max_work = 1000;
    cad_model m;
    ex_stats st;
    CHECK(ex_run_stats(src, strlen(src), "squares", &lim, &m, &st) == -1);
    CHECK(st.outcome == EX_LIMIT);
    CHECK_MSG(strstr(ut_error(), "squares: validation exceeded the geometry budget (1000 work units)"), "%s", ut_error());
    CHECK(bg_current() == NULL); /* its own budget, ended */
    ex_default_limits(&lim);
    REQUIRE_MSG(ex_run_stats(src, strlen(src), "squares", &lim, &m, &st) == 0, "%s", ut_error());
    cad_free(&m);
}

TEST(budget_emptiness_probe_agrees_with_the_volume) {
    const char *cases[][2] = {
        {"local l = Loop(Circle(0,0,5)) Extrude(Sketch(XY, Face(l)), 2) Extrude(Sketch(XY, Face(Loop(Circle(0,0,5)))), 2, 'cut')",
         "empty"},
        {"Extrude(Sketch(XY, Face(Loop(Circle(0,0,5)))), 2) Extrude(Sketch(XY, Face(Loop(Circle(20,0,5)))), 2, 'intersect')",
         "empty"},
        {"Extrude(Sketch(XY, Face(Loop(Circle(0,0,5)))), 2) Extrude(Sketch(XZ, Face(Loop(Circle(0,1,1)))), {sym=30}, 'intersect')",
         "solid"},
    };
    for (int i = 0; i < 3; i++) {
        cad_model m;
        int rc = ex_run(cases[i][0], strlen(cases[i][0]), "e", NULL, &m);
        if (!strcmp(cases[i][1], "empty")) {
            CHECK_MSG(rc == -1 && strstr(ut_error(), "the resulting solid is empty"), "case %d: %s", i, ut_error());
        } else {
            REQUIRE_MSG(rc == 0, "case %d: %s", i, ut_error());
            sd_solid *s = sd_build(&m);
            CHECK(sd_is_empty(s) == 0);
            CHECK(sd_volume(s) > 0);
            sd_free(s);
            cad_free(&m);
        }
    }
}

/* ---- scoring ---- */

TEST(budget_score_marks_a_prediction_over_budget_invalid) {
    sc_opts o;
    sc_default_opts(&o);
    o.points = 500;
    o.metrics = SC_CD | SC_IOU;
    o.max_geom_work = 3000000;
    const char *gt = "Extrude(Sketch(XY, Face(Loop(Circle(0,0,5)))), 4)";
    sc_status st;
    sc_target *t = sc_target_text(gt, "gt", &o, &st);
    REQUIRE_MSG(t != NULL, "%s", ut_error());
    sc_result r;
    double t0 = ut_now();
    REQUIRE(sc_score_text(t, tilted10, "pred", NULL, &r) == 0);
    CHECK(!r.valid);
    CHECK(r.status == SC_E_BUDGET);
    CHECK(!strcmp(sc_status_name(r.status), "budget"));
    CHECK_MSG(strstr(r.reason, "exceeded the geometry budget (3000000 work units)"), "%s", r.reason);
    CHECK(isnan(r.cd) && isnan(r.iou));
    CHECK_MSG(ut_now() - t0 < 10, "%g s", ut_now() - t0);
    CHECK(bg_current() == NULL);
    /* the next prediction gets a fresh budget */
    REQUIRE(sc_score_text(t, gt, "pred", NULL, &r) == 0);
    CHECK_MSG(r.valid, "%s", r.reason);
    CHECK_NEAR(r.iou, 1.0, 1e-9);
    sc_target_free(t);
}

/* ---- the commands ---- */

TEST(budget_commands_report_the_budget_and_take_its_options) {
    const char *p = write_file("tilted.lua", tilted10);
    char *out;
    double t0 = ut_now();
    CHECK(sh(&out, RECAD " info %s --max-geom-work 100000", p) == 1);
    CHECK_MSG(strstr(out, "exceeded the geometry budget (100000 work units)"), "%s", out);
    free(out);
    CHECK(sh(&out, RECAD " run %s -o %s/t.stl --max-geom-seconds 0.2 --max-geom-work 1000000000", p, tf_tmpdir()) == 1);
    CHECK_MSG(strstr(out, "meshing exceeded the geometry budget (0.2 s"), "%s", out);
    free(out);
    CHECK_MSG(ut_now() - t0 < 20, "%g s", ut_now() - t0);
    CHECK(sh(&out, RECAD " run %s", p) == 0); /* validation alone is quick */
    free(out);
    CHECK(sh(&out, RECAD " info %s --max-geom-work 10", p) == 2);
    CHECK_MSG(strstr(out, "option --max-geom-work: 10 is too small"), "%s", out);
    free(out);
    CHECK(sh(&out, RECAD " info %s --max-geom-seconds -1", p) == 2);
    free(out);
}

TEST(budget_eval_marks_the_item_budget) {
    char gtd[600], prd[600], outd[600];
    snprintf(gtd, sizeof gtd, "%s/gt", tf_tmpdir());
    snprintf(prd, sizeof prd, "%s/pred", tf_tmpdir());
    snprintf(outd, sizeof outd, "%s/out", tf_tmpdir());
    REQUIRE(ut_mkdirs(gtd) == 0 && ut_mkdirs(prd) == 0);
    char path[700];
    snprintf(path, sizeof path, "%s/a.lua", prd);
    REQUIRE(ut_write_atomic(path, tilted10, strlen(tilted10)) == 0);
    const char *gt = "Extrude(Sketch(XY, Face(Loop(Circle(0,0,5)))), 4)\n";
    snprintf(path, sizeof path, "%s/a.lua", gtd);
    REQUIRE(ut_write_atomic(path, gt, strlen(gt)) == 0);
    char *out;
    CHECK(sh(&out, RECAD " eval %s %s --out %s --quiet --no-visual --no-voxel --points 500 --threads 1 --max-geom-work 3000000",
             prd, gtd, outd) == 0);
    free(out);
    snprintf(path, sizeof path, "%s/report.json", outd);
    size_t len;
    char *rep = ut_read_file(path, &len);
    REQUIRE(rep != NULL);
    CHECK_MSG(strstr(rep, "exceeded the geometry budget (3000000 work units)"), "%s", rep);
    free(rep);
}

/* ---- robustness ---- */

TEST(budget_import_reads_a_bounded_amount) {
    char *out;
    double t0 = ut_now();
    CHECK(sh(&out, RECAD " import /dev/zero -o %s/z.lua", tf_tmpdir()) == 1);
    CHECK_MSG(strstr(out, "/dev/zero is larger than the limit of 67108864 bytes"), "%s", out);
    CHECK_MSG(ut_now() - t0 < 10, "%g s", ut_now() - t0);
    free(out);
    size_t len;
    CHECK(ut_read_file_max("/dev/zero", 1000, &len) == NULL);
    CHECK(strstr(ut_error(), "larger than the limit of 1000 bytes") != NULL);
    const char *p = write_file("small.txt", "0123456789");
    char *t = ut_read_file_max(p, 10, &len);
    CHECK(t && len == 10 && !strcmp(t, "0123456789"));
    free(t);
    CHECK(ut_read_file_max(p, 9, &len) == NULL);
}

TEST(budget_failed_directory_import_does_not_leak) {
    char *out;
    if (!ut_is_dir("build-asan") || sh(NULL, "test -x build-asan/recad") != 0)
        SKIP("build-asan/recad is not built (make asan builds it)");
    int rc = sh(&out, "ASAN_OPTIONS=detect_leaks=1 build-asan/recad import %s/data -o /proc/recad_no_such_dir", tf_shared());
    CHECK(rc == 3);
    CHECK_MSG(strstr(out, "cannot create /proc/recad_no_such_dir"), "%s", out);
    CHECK_MSG(!strstr(out, "LeakSanitizer"), "%s", out);
    free(out);
}

/* 1 if every byte of s belongs to well-formed UTF-8 */
static int utf8_ok(const char *s) {
    while (*s) {
        int k = ut_utf8_len(s);
        if (!k) return 0;
        s += k;
    }
    return 1;
}

TEST(budget_json_output_is_utf8_and_errors_are_clean) {
    const char *p = write_file("bytes.lua", "error('hi-byte \\255\\254 end \\27[2J\\27]0;title\\7 bell')\n");
    char *out;
    CHECK(sh(&out, RECAD " run %s --json 2>/dev/null", p) == 1);
    CHECK_MSG(utf8_ok(out), "%s", out);
    CHECK_MSG(strstr(out, "hi-byte \xef\xbf\xbd\xef\xbf\xbd end"), "%s", out);
    free(out);
    CHECK(sh(&out, RECAD " run %s 2>&1 >/dev/null", p) == 1);
    CHECK_MSG(!strchr(out, 0x1b) && !strchr(out, 0x07), "raw control characters: %s", out);
    CHECK_MSG(strstr(out, "hi-byte \\xff\\xfe end \\x1b[2J\\x1b]0;title\\x07 bell"), "%s", out);
    CHECK(utf8_ok(out));
    free(out);
    char *c = ut_text_clean("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x99\x82 \xc2\x9b!", UT_TEXT_TERMINAL);
    CHECK_MSG(!strcmp(c, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x99\x82 \\xc2\\x9b!"), "%s", c); /* C1 CSI escaped */
    free(c);
    c = ut_text_clean("\xed\xa0\x80 \xc0\xaf", UT_TEXT_UTF8); /* surrogate, overlong */
    CHECK_MSG(!strcmp(c, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd"), "%s", c);
    free(c);
}

TEST(budget_size_is_checked_when_parsed) {
    const char *p = write_file("cube.lua", "Extrude(Sketch(XY, Face(Loop(Circle(0,0,5)))), 4)\n");
    const char *cmds[] = {"render", "render", "run"}, *sizes[] = {"8192x8192", "4097x100 --view sheet", "8192x8192"};
    for (int i = 0; i < 3; i++) {
        char *out;
        CHECK(sh(&out, RECAD " %s %s -o %s/s.png --size %s", cmds[i], p, tf_tmpdir(), sizes[i]) == 2);
        CHECK_MSG(strstr(out, "sides in [8, 4096]"), "%s", out);
        free(out);
    }
    CHECK(sh(NULL, RECAD " render %s -o %s/s.png --size 4096x16 --view sheet", p, tf_tmpdir()) == 0);
}

TEST(budget_extrude_refuses_nul_ops_and_negative_symmetric_extents) {
    cad_model m;
    const char nul[] = "Extrude(Sketch(XY, Face(Loop(Circle(0,0,1)))), 1, 'new\\0evil')";
    CHECK(ex_run(nul, strlen(nul), "p", NULL, &m) == -1);
    CHECK_MSG(strstr(ut_error(), "p:1: Extrude: argument 3 (op) contains a NUL byte"), "%s", ut_error());
    const char neg[] = "Extrude(Sketch(XY, Face(Loop(Circle(0,0,1)))), {sym = -5})";
    CHECK(ex_run(neg, strlen(neg), "p", NULL, &m) == -1);
    CHECK_MSG(strstr(ut_error(), "p:1: Extrude: symmetric extent {sym = -5} is negative"), "%s", ut_error());
    const char pos[] = "Extrude(Sketch(XY, Face(Loop(Circle(0,0,1)))), {sym = 5}, 'new')";
    REQUIRE(ex_run(pos, strlen(pos), "p", NULL, &m) == 0);
    cad_free(&m);
}
