/* Tests of the scoring library (score.h): one prepared target against valid, invalid and hostile
 * predictions; the same numbers as `recad eval`; parallel scoring equal to serial; the text,
 * file and model entry points equal; options that do not fit the target refused; the scorer
 * plugged into a trainer's reward callback. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "cad/exec.h"
#include "data/import.h"
#include "eval/evalset.h"
#include "eval/score.h"
#include "train/reward.h"
#include "tf.h"

/* a 60 x 40 x 6 plate with a hole, scaled by s about the origin and moved by ox along x */
#define TS_PLATE_AT                                                                                      \
    "local s, ox = %g, %g\n"                                                                             \
    "local w, d = 60 * s, 40 * s\n"                                                                      \
    "Extrude(Sketch(XY, Face(Loop(Line(ox,0, ox+w,0), Line(ox+w,0, ox+w,d), Line(ox+w,d, ox,d),\n"       \
    "  Line(ox,d, ox,0)), Loop(Circle(ox + 20*s, 20*s, 5*s)))), 6 * s)\n"

enum { TS_SAME, TS_MOVED, TS_SCALED, TS_DISC, TS_SYNTAX, TS_RUNTIME, TS_EMPTY, TS_LOOP, TS_GARBAGE, TS_N };

static char ts_prog[TS_N][600];

static void ts_programs(void) {
    snprintf(ts_prog[TS_SAME], sizeof ts_prog[0], TS_PLATE_AT, 1.0, 0.0);
    snprintf(ts_prog[TS_MOVED], sizeof ts_prog[0], TS_PLATE_AT, 1.0, 30.0);
    snprintf(ts_prog[TS_SCALED], sizeof ts_prog[0], TS_PLATE_AT, 2.0, 0.0);
    snprintf(ts_prog[TS_DISC], sizeof ts_prog[0], "Extrude(Sketch(XY, Face(Loop(Circle(30, 20, 15)))), 10)\n");
    snprintf(ts_prog[TS_SYNTAX], sizeof ts_prog[0], "local a = 1\nlocal x = = 2\n");
    snprintf(ts_prog[TS_RUNTIME], sizeof ts_prog[0], "local a = 1\nlocal b = a + 1\nerror('boom ' .. b)\n");
    snprintf(ts_prog[TS_EMPTY], sizeof ts_prog[0],
             "local s = Sketch(XY, Face(Loop(Circle(0, 0, 5))))\nExtrude(s, 4)\nExtrude(s, 4, \"cut\")\n");
    snprintf(ts_prog[TS_LOOP], sizeof ts_prog[0], "local i = 0\nwhile true do i = i + 1 end\n");
    snprintf(ts_prog[TS_GARBAGE], sizeof ts_prog[0], "  {\"parts\": [1, 2 ,, ");
}

static void ts_opts(sc_opts *o) {
    sc_default_opts(o);
    o->points = 4096;
    o->seed = 7;
    o->max_instructions = 2000000;
    o->max_seconds = 3;
}

/* every field but the time, bit for bit (NaN equal to NaN) */
static int ts_same_result(const sc_result *a, const sc_result *b) {
    sc_result x = *a, y = *b;
    x.secs = y.secs = 0;
    return x.valid == y.valid && x.status == y.status && !strcmp(x.reason, y.reason) && x.level == y.level &&
           !memcmp(&x.cd, &y.cd, sizeof x.cd) && !memcmp(&x.iou, &y.iou, sizeof x.iou) &&
           !memcmp(&x.best_exact, &y.best_exact, sizeof x.best_exact) &&
           !memcmp(&x.best_voxel, &y.best_voxel, sizeof x.best_voxel) && !memcmp(&x.visual, &y.visual, sizeof x.visual) &&
           !memcmp(&x.pf1, &y.pf1, sizeof x.pf1) && x.done == y.done;
}

/* the same numbers, whatever the reasons say (entry points name their inputs differently) */
static int ts_same_numbers(const sc_result *a, const sc_result *b) {
    sc_result x = *a, y = *b;
    strcpy(y.reason, x.reason);
    return ts_same_result(&x, &y);
}

TEST(score_one_target_many_predictions) {
    ts_programs();
    sc_opts o;
    ts_opts(&o);
    long before = sc_targets_prepared();
    sc_status st;
    sc_target *t = sc_target_text(ts_prog[TS_SAME], "gt", &o, &st);
    REQUIRE_MSG(t && st == SC_OK, "%s", ut_error());
    CHECK(sc_target_level(t) == LV_F);
    CHECK(sc_target_opts(t)->points == 4096);
    sc_result r[TS_N];
    for (int k = 0; k < TS_N; k++) CHECK(sc_score_text(t, ts_prog[k], "pred", NULL, &r[k]) == 0);
    CHECK(sc_targets_prepared() == before + 1); /* scoring never prepares the target again */

    /* the identical program: CD is the target's own noise floor (independent streams), bit for bit */
    double self;
    REQUIRE(sc_target_self_cd(t, &self) == 0);
    CHECK(r[TS_SAME].valid && r[TS_SAME].status == SC_OK && !r[TS_SAME].reason[0]);
    CHECK(r[TS_SAME].cd == self && self > 0 && self < 5e-4);
    CHECK_NEAR(r[TS_SAME].iou, 1.0, 1e-9);
    CHECK_NEAR(r[TS_SAME].best_exact, 1.0, 1e-9);
    CHECK(r[TS_SAME].best_voxel > 0.999);
    CHECK_NEAR(r[TS_SAME].visual, 1.0, 1e-12);
    CHECK(r[TS_SAME].level == LV_F && r[TS_SAME].done == SC_ALL);
    CHECK(mt_pf1_f1(&r[TS_SAME].pf1, MT_PF1_LINE) == 1.0 && mt_pf1_f1(&r[TS_SAME].pf1, MT_PF1_CIRCLE) == 1.0);
    /* moved: text2cad does not centre, so IoU and CD suffer; IoU_best aligns the inertia frames */
    CHECK(r[TS_MOVED].valid);
    CHECK(r[TS_MOVED].iou < 0.7);
    CHECK(r[TS_MOVED].cd > 10 * self);
    CHECK_NEAR(r[TS_MOVED].best_exact, 1.0, 1e-9);
    /* scaled about the origin: every normalisation forgives it */
    CHECK(r[TS_SCALED].valid);
    CHECK_NEAR(r[TS_SCALED].iou, 1.0, 1e-9);
    CHECK_NEAR(r[TS_SCALED].best_exact, 1.0, 1e-9);
    CHECK(r[TS_SCALED].cd < 5e-4);
    /* another shape */
    CHECK(r[TS_DISC].valid && r[TS_DISC].level == LV_L);
    CHECK(r[TS_DISC].iou < 0.6 && r[TS_DISC].best_exact < 0.8 && r[TS_DISC].visual < 0.9);
    CHECK(r[TS_DISC].cd > 10 * self);
    /* invalid ones: no metric, a status and the reason with the line */
    for (int k = TS_SYNTAX; k < TS_N; k++) {
        CHECK_MSG(!r[k].valid, "program %d valid", k);
        CHECK(isnan(r[k].cd) && isnan(r[k].iou) && isnan(r[k].best_exact) && isnan(r[k].visual) && r[k].done == 0);
    }
    CHECK_MSG(r[TS_SYNTAX].status == SC_E_SYNTAX && strstr(r[TS_SYNTAX].reason, "prediction: pred:2:"), "%s",
              r[TS_SYNTAX].reason);
    CHECK_MSG(r[TS_RUNTIME].status == SC_E_RUN && !strcmp(r[TS_RUNTIME].reason, "prediction: pred:3: boom 2"), "%s",
              r[TS_RUNTIME].reason);
    /* the executor's validation already refuses an empty result */
    CHECK_MSG(r[TS_EMPTY].status == SC_E_RUN &&
                  !strcmp(r[TS_EMPTY].reason, "prediction: pred:3: the resulting solid is empty"),
              "%s", r[TS_EMPTY].reason);
    CHECK_MSG(r[TS_LOOP].status == SC_E_BUDGET &&
                  !strcmp(r[TS_LOOP].reason, "prediction: pred:2: instruction budget of 2000000 exceeded"),
              "%s", r[TS_LOOP].reason);
    CHECK(r[TS_LOOP].secs < 3);
    CHECK_MSG(r[TS_GARBAGE].status == SC_E_IMPORT && strstr(r[TS_GARBAGE].reason, "prediction: pred JSON text: "), "%s",
              r[TS_GARBAGE].reason);
    CHECK(!strcmp(sc_status_name(r[TS_LOOP].status), "budget"));

    /* a parsed model that was never validated: its empty solid is caught by the scorer */
    cad_model em;
    size_t two = (size_t)(strstr(ts_prog[TS_EMPTY], "Extrude(s, 4, ") - ts_prog[TS_EMPTY]); /* the first two lines */
    REQUIRE(ex_run(ts_prog[TS_EMPTY], two, "pred", NULL, &em) == 0);
    cad_add_extrude(&em, 0, CAD_EXT_ONE, 4, 0, CAD_CUT, 3);
    sc_result re;
    CHECK(sc_score_model(t, &em, NULL, &re) == 0);
    CHECK_MSG(re.status == SC_E_EMPTY && !strcmp(re.reason, "prediction solid is empty") && re.level == LV_MSE, "%s",
              re.reason);
    cad_free(&em);

    /* the wall-clock limit stops a loop too when the instruction budget is large */
    sc_opts slow = o;
    slow.max_instructions = 1L << 40, slow.max_seconds = 0.2;
    sc_result rl;
    CHECK(sc_score_text(t, ts_prog[TS_LOOP], NULL, &slow, &rl) == 0);
    CHECK_MSG(rl.status == SC_E_BUDGET && strstr(rl.reason, "pred:2: time limit of 0.2 s exceeded"), "%s", rl.reason);
    CHECK(rl.secs < 2);
    sc_target_free(t);
}

TEST(score_options_must_fit_the_target) {
    ts_programs();
    sc_opts o, p;
    ts_opts(&o);
    o.metrics = SC_CD | SC_IOU | SC_PF1;
    sc_target *t = sc_target_text(ts_prog[TS_SAME], NULL, &o, NULL);
    REQUIRE_MSG(t, "%s", ut_error());
    sc_result r;
    /* metrics switched off stay NaN */
    CHECK(sc_score_text(t, ts_prog[TS_DISC], NULL, NULL, &r) == 0);
    CHECK(r.valid && isfinite(r.cd) && isfinite(r.iou) && isnan(r.best_exact) && isnan(r.best_voxel) && isnan(r.visual));
    CHECK(r.done == (SC_CD | SC_IOU | SC_PF1));
    p = o, p.seed = 8;
    CHECK(sc_score_text(t, ts_prog[TS_DISC], NULL, &p, &r) == -1 && !r.valid && r.status == SC_E_OPTIONS);
    p = o, p.protocol = MT_UNITCUBE;
    CHECK(sc_score_text(t, ts_prog[TS_DISC], NULL, &p, &r) == -1);
    p = o, p.metrics |= SC_VISUAL; /* not prepared */
    CHECK(sc_score_text(t, ts_prog[TS_DISC], NULL, &p, &r) == -1);
    p = o, p.metrics = SC_CD; /* a subset is fine */
    CHECK(sc_score_text(t, ts_prog[TS_DISC], NULL, &p, &r) == 0 && isfinite(r.cd) && isnan(r.iou));
    sc_target_free(t);
    /* a target that cannot be made says why */
    sc_status st;
    CHECK(!sc_target_text(ts_prog[TS_RUNTIME], "gt", &o, &st) && st == SC_E_RUN && strstr(ut_error(), "gt:3: boom"));
    CHECK(!sc_target_file("/nonexistent/x.lua", &o, &st) && st == SC_E_READ);
}

TEST(score_parallel_equals_serial) {
    ts_programs();
    sc_opts o;
    ts_opts(&o);
    sc_target *t = sc_target_text(ts_prog[TS_SAME], "gt", &o, NULL);
    REQUIRE_MSG(t, "%s", ut_error());
    sc_result serial[TS_N], par[TS_N];
    for (int k = 0; k < TS_N; k++) sc_score_text(t, ts_prog[k], "pred", NULL, &serial[k]);
    int threads = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(4)
    for (int k = 0; k < TS_N; k++) {
        sc_score_text(t, ts_prog[k], "pred", NULL, &par[k]);
#pragma omp atomic write
        threads = omp_get_num_threads();
    }
    CHECK(threads == 4);
    for (int k = 0; k < TS_N; k++) CHECK_MSG(ts_same_result(&serial[k], &par[k]), "program %d differs", k);
    sc_target_free(t);
}

static char *ts_write_prog(const char *name, const char *text) {
    char *path = ut_malloc(700);
    snprintf(path, 700, "%s/%s", tf_tmpdir(), name);
    REQUIRE(ut_write_atomic(path, text, strlen(text)) == 0);
    return path;
}

TEST(score_text_file_and_model_entry_points_agree) {
    ts_programs();
    sc_opts o;
    ts_opts(&o);
    o.metrics = SC_ALL & ~SC_VISUAL;
    cad_model gm;
    REQUIRE(ex_run(ts_prog[TS_SAME], strlen(ts_prog[TS_SAME]), "gt", NULL, &gm) == 0);
    char *gpath = ts_write_prog("gt.lua", ts_prog[TS_SAME]);
    sc_target *tt = sc_target_text(ts_prog[TS_SAME], "gt", &o, NULL), *tf = sc_target_file(gpath, &o, NULL),
              *tm = sc_target_model(&gm, &o, NULL);
    REQUIRE(tt && tf && tm);
    /* a JSON model too: a DeepCAD file as text and as a file */
    char src[700];
    snprintf(src, sizeof src, "%s/data/deepcad/00000070.json", tf_shared());
    char *json = ut_read_file(src, NULL);
    REQUIRE(json);
    int kinds[] = {TS_SAME, TS_MOVED, TS_DISC, TS_RUNTIME, TS_EMPTY};
    for (int i = 0; i < 6; i++) {
        const char *text = i < 5 ? ts_prog[kinds[i]] : json;
        char name[32];
        snprintf(name, sizeof name, i < 5 ? "p%d.lua" : "p%d.json", i);
        char *path = i < 5 ? ts_write_prog(name, text) : strdup(src);
        sc_result a, b, c, d, e;
        CHECK(sc_score_text(tt, text, "pred", NULL, &a) == 0);
        CHECK(sc_score_file(tt, path, NULL, &b) == 0);
        CHECK(sc_score_text(tf, text, "pred", NULL, &d) == 0);
        CHECK(sc_score_text(tm, text, "pred", NULL, &e) == 0);
        CHECK_MSG(ts_same_numbers(&a, &b), "text and file differ for input %d", i);
        CHECK_MSG(ts_same_result(&a, &d) && ts_same_result(&a, &e), "targets from text, file, model differ (%d)", i);
        if (a.valid) {
            cad_model pm;
            if (i < 5) REQUIRE(ex_run(text, strlen(text), "pred", NULL, &pm) == 0);
            else REQUIRE(im_load(src, NULL, &pm, NULL) == 0);
            CHECK(sc_score_model(tt, &pm, NULL, &c) == 0);
            CHECK_MSG(ts_same_result(&a, &c), "text and model differ for input %d", i);
            cad_free(&pm);
        } else {
            CHECK(a.status == b.status && strstr(b.reason, path)); /* the file's messages name it */
        }
        free(path);
    }
    free(json);
    free(gpath);
    cad_free(&gm);
    sc_target_free(tt), sc_target_free(tf), sc_target_free(tm);
}

static double ts_json_num(const cJSON *o, const char *key) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* the number in report.json (null: NaN) against the library's: exactly what cJSON writes for it
 * (%1.15g when that reads back within DBL_EPSILON relative, else %1.17g, exact) */
static int ts_equal(double report, double lib) {
    char b[64];
    snprintf(b, sizeof b, "%1.15g", lib);
    return (isnan(report) && isnan(lib)) || report == lib || report == strtod(b, NULL);
}

TEST(score_library_equals_recad_eval) {
    ts_programs();
    int kinds[] = {TS_SAME, TS_MOVED, TS_SCALED, TS_DISC, TS_RUNTIME};
    enum { NK = 5 };
    char jl[700], out[700], cmd[2000];
    snprintf(jl, sizeof jl, "%s/pairs.jsonl", tf_tmpdir());
    snprintf(out, sizeof out, "%s/report", tf_tmpdir());
    char body[8000];
    size_t len = 0;
    for (int i = 0; i < NK; i++) {
        cJSON *p = cJSON_CreateObject();
        char id[16];
        snprintf(id, sizeof id, "item%d", i);
        cJSON_AddStringToObject(p, "id", id);
        cJSON_AddStringToObject(p, "gt", ts_prog[TS_SAME]);
        cJSON_AddStringToObject(p, "pred", ts_prog[kinds[i]]);
        char *line = cJSON_PrintUnformatted(p);
        len += (size_t)snprintf(body + len, sizeof body - len, "%s\n", line);
        free(line);
        cJSON_Delete(p);
    }
    REQUIRE(len < sizeof body && ut_write_atomic(jl, body, len) == 0);
    snprintf(cmd, sizeof cmd, "build/recad eval --pairs %s --out %s --seed 5 --quiet", jl, out);
    char *log = NULL;
    int rc = tf_run_cmd(cmd, &log);
    CHECK_MSG(rc == 0, "exit %d: %s", rc, log);
    free(log);
    char path[800];
    snprintf(path, sizeof path, "%s/report.json", out);
    char *text = ut_read_file(path, NULL);
    REQUIRE_MSG(text, "%s", ut_error());
    cJSON *rep = cJSON_Parse(text);
    free(text);
    REQUIRE(rep);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(rep, "items_detail");
    REQUIRE(cJSON_GetArraySize(items) == NK);
    es_opts eo;
    es_default_opts(&eo);
    eo.seed = 5, eo.quiet = 1;
    /* the command's own pipeline in this process (items in parallel), for exact comparison */
    es_set set;
    REQUIRE(es_from_jsonl(jl, &set) == 0 && set.n == NK);
    es_result *res = es_run(&eo, &set);
    for (int i = 0; i < NK; i++) {
        const cJSON *it = cJSON_GetArrayItem(items, i);
        char id[16];
        snprintf(id, sizeof id, "item%d", i);
        sc_opts o;
        sc_default_opts(&o);
        o.seed = es_item_seed(id, 5);
        sc_target *t = sc_target_text(ts_prog[TS_SAME], "gt", &o, NULL);
        REQUIRE(t);
        sc_result r;
        sc_score_text(t, ts_prog[kinds[i]], "pred", NULL, &r);
        double cd = r.cd * mt_protocol_cd_scale(o.protocol);
        CHECK_MSG(ts_equal(ts_json_num(it, "cd"), cd), "%s cd: %.17g vs %.17g", id, ts_json_num(it, "cd"), cd);
        CHECK_MSG(ts_equal(ts_json_num(it, "iou"), r.iou), "%s iou", id);
        CHECK_MSG(ts_equal(ts_json_num(it, "iou_best_exact"), r.best_exact), "%s iou_best_exact", id);
        CHECK_MSG(ts_equal(ts_json_num(it, "iou_best_voxel"), r.best_voxel), "%s iou_best_voxel", id);
        CHECK_MSG(ts_equal(ts_json_num(it, "visual"), r.visual), "%s visual", id);
        CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "valid")) == r.valid);
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(it, "reason");
        CHECK(r.valid ? why == NULL : (cJSON_IsString(why) && !strcmp(why->valuestring, r.reason)));
        if (i == 0) printf("recad eval and the library, item0: CD x1000 %.17g, IoU %.17g\n", cd, r.iou);
        /* the evaluation set's run gives the same, bit for bit */
        CHECK(!strcmp(set.items[i].id, id) && res[i].gt_ok && res[i].level == LV_F);
        CHECK_MSG(ts_same_result(&res[i].s, &r), "%s: the evaluation set and the library differ", id);
        sc_target_free(t);
    }
    free(res);
    es_free(&set);
    cJSON_Delete(rep);
}

/* a reward callback as a command would connect it: one prepared target per prompt; the reward
 * of a completion is its exact IoU_best, 0 when it is invalid */
typedef struct {
    sc_target *t[2];
} ts_rollouts;

static int ts_reward(void *ctx, int prompt, const char *const *texts, int n, rw_score *out) {
    ts_rollouts *r = ctx;
    if (prompt < 0 || prompt > 1) return ut_fail("no prompt %d", prompt);
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < n; i++) {
        sc_result s;
        sc_score_text(r->t[prompt], texts[i], "rollout", NULL, &s);
        out[i] = (rw_score){s.valid ? s.best_exact : 0, s.valid, s.best_exact};
    }
    return 0;
}

TEST(score_reaches_a_trainer_through_the_reward_callback) {
    ts_programs();
    sc_opts o;
    ts_opts(&o);
    o.metrics = SC_BEST_EXACT; /* the reward's metric only */
    ts_rollouts ctx;
    ctx.t[0] = sc_target_text(ts_prog[TS_SAME], "gt0", &o, NULL);
    ctx.t[1] = sc_target_text(ts_prog[TS_DISC], "gt1", &o, NULL);
    REQUIRE(ctx.t[0] && ctx.t[1]);
    long prepared = sc_targets_prepared();
    rw_reward rw = {ts_reward, &ctx};
    const char *group[] = {ts_prog[TS_SAME], ts_prog[TS_MOVED], ts_prog[TS_DISC], ts_prog[TS_SYNTAX], ts_prog[TS_LOOP]};
    rw_score r0[5], r1[5];
    REQUIRE(rw.fn(rw.ctx, 0, group, 5, r0) == 0);
    REQUIRE(rw.fn(rw.ctx, 1, group, 5, r1) == 0);
    CHECK_NEAR(r0[0].reward, 1, 1e-9); /* the target itself */
    CHECK_NEAR(r0[1].reward, 1, 1e-9); /* moved: IoU_best aligns it */
    CHECK(r0[2].reward > 0 && r0[2].reward < 0.9);
    CHECK(r0[3].reward == 0 && r0[4].reward == 0 && !r0[3].valid && !r0[4].valid); /* syntax error, endless loop */
    CHECK_NEAR(r1[2].reward, 1, 1e-9);      /* the other prompt's target */
    CHECK(r1[0].reward < 0.9 && r1[0].valid);
    CHECK(sc_targets_prepared() == prepared); /* groups reuse the prepared targets */
    CHECK(rw.fn(rw.ctx, 2, group, 5, r0) == -1 && strstr(ut_error(), "no prompt 2"));
    sc_target_free(ctx.t[0]);
    sc_target_free(ctx.t[1]);
}
