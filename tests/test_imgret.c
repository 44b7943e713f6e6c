/* test_imgret.c - image retrieval (data/imgret.h): another picture of a training part retrieves
 * that part; a picture of a modified part retrieves the part it was modified from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "cad/exec.h"
#include "data/gen.h"
#include "data/imgret.h"
#include "data/trainimg.h"
#include "tf.h"

#define NPARTS 12

/* the bracket of the other picture tests, with its sizes as parameters */
static void tr_bracket(double w, double d, double arm, double hole, cad_model *m) {
    char prog[1024];
    snprintf(prog, sizeof prog,
             "local w, d, a, r = %g, %g, %g, %g\n"
             "local p = Loop(Line(0,0, w,0), Line(w,0, w,a), Line(w,a, a+2,a), Line(a+2,a, a+2,d),\n"
             "              Line(a+2,d, 0,d), Line(0,d, 0,0))\n"
             "Extrude(Sketch(XY, Face(p, Loop(Circle(w-15,a/2,r)), Loop(Circle(a/2+1,d-10,r)))), 8, 'new')\n",
             w, d, arm, hole);
    REQUIRE_MSG(ex_run(prog, strlen(prog), "bracket", NULL, m) == 0, "%s", ut_error());
}

/* a pool: training pictures (sheet and iso, augmentation 0) of NPARTS generated parts and the
   bracket (last); models[] keeps the parts, query[2 i + v] another picture of part i, view v */
static ir_index *tr_pool(cad_model *models, int *owner, pic_gray *query) {
    gn_options go;
    gn_default_options(&go);
    ti_opts to;
    ti_default_opts(&to);
    ir_index *x = ir_new();
    for (int i = 0; i <= NPARTS; i++) {
        if (i < NPARTS) {
            gn_part g;
            REQUIRE_MSG(gn_make(&go, 11, i, &g) == 0, "%s", ut_error());
            cad_copy(&models[i], &g.model);
            gn_part_free(&g);
        } else
            tr_bracket(60, 40, 12, 3, &models[i]);
        ms_mesh mesh = {0};
        REQUIRE(ti_mesh(&models[i], &mesh) == 0);
        for (int v = 0; v < 2; v++) {
            pic_gray p;
            REQUIRE_MSG(ti_render(&mesh, v ? TI_ISO : TI_SHEET, &to, 100 + i, 0, &p) == 0, "%s", ut_error());
            owner[ir_add(x, &p)] = i;
            pic_free(&p);
            /* the same part, another augmentation (size, lines, margin, tone) and seed */
            REQUIRE(ti_render(&mesh, v ? TI_ISO : TI_SHEET, &to, 999 + i, 5, &query[2 * i + v]) == 0);
        }
        ms_free(&mesh);
    }
    CHECK(ir_count(x) == 2 * (NPARTS + 1));
    return x;
}

TEST(imgret_pictures_retrieve_their_part_and_a_modified_part_its_origin) {
    cad_model models[NPARTS + 1];
    int owner[2 * (NPARTS + 1)];
    pic_gray query[2 * (NPARTS + 1)];
    ir_index *x = tr_pool(models, owner, query);
    int hits = 0, n = 2 * (NPARTS + 1);
    for (int q = 0; q < n; q++) {
        double dist;
        int best = ir_query(x, &query[q], &dist);
        REQUIRE(best >= 0);
        hits += owner[best] == q / 2;
        pic_free(&query[q]);
    }
    /* a few generated parts look alike (a plate and a plate with a shallow pocket) */
    CHECK_MSG(hits >= n - n / 6, "%d of %d pictures retrieved their own part", hits, n);
    ti_opts to;
    ti_default_opts(&to);
    /* the exact training picture is at distance 0 */
    pic_gray p;
    REQUIRE(ti_render_model(&models[3], TI_ISO, &to, 103, 0, &p) == 0);
    double dist;
    CHECK(owner[ir_query(x, &p, &dist)] == 3 && dist == 0);
    pic_free(&p);
    /* the bracket 8 % longer, with a longer arm and larger holes, retrieves the bracket */
    cad_model m;
    tr_bracket(65, 40, 13, 3.5, &m);
    for (int v = 0; v < 2; v++) {
        REQUIRE(ti_render_model(&m, v ? TI_ISO : TI_SHEET, &to, 7, 1, &p) == 0);
        int best = ir_query(x, &p, &dist);
        CHECK_MSG(best >= 0 && owner[best] == NPARTS, "view %d retrieved part %d", v, best >= 0 ? owner[best] : -1);
        CHECK(dist > 0);
        pic_free(&p);
    }
    cad_free(&m);
    /* an empty index answers -1, an empty picture is refused */
    ir_index *e = ir_new();
    pic_gray none = {0};
    CHECK(ir_query(e, &none, NULL) == -1);
    CHECK(ir_add(e, &none) < 0);
    ir_free(e);
    ir_free(x);
    for (int i = 0; i <= NPARTS; i++) cad_free(&models[i]);
}

TEST(imgret_eval_scores_image_records_against_the_retrieval_baseline) {
    const char *d = tf_tmpdir();
    char cmd[4096], *out = NULL;
    /* training pictures as test items: each retrieves its own picture, so its own program */
    snprintf(cmd, sizeof cmd,
             "build/recad data build --parts 10 --seed 9 --images 2 --test 0 --val 0 -o %s/ds -q && "
             "head -n 6 %s/ds/train_images.jsonl > %s/ds/probe.jsonl && "
             "build/recad eval --test %s/ds/probe.jsonl --train %s/ds/train_images.jsonl -o %s/ev --quiet --no-voxel "
             "--no-visual --examples 2 --json",
             d, d, d, d, d, d);
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    free(out);
    char path[700];
    snprintf(path, sizeof path, "%s/ev/report.json", d);
    char *text = ut_read_file(path, NULL);
    REQUIRE(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    REQUIRE(j);
    const cJSON *r = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "groups"), "image"), "retrieval");
    REQUIRE(r);
    CHECK(cJSON_GetObjectItem(r, "items")->valuedouble == 6);
    CHECK(cJSON_GetObjectItem(r, "ir")->valuedouble == 0);
    CHECK_NEAR(cJSON_GetObjectItem(r, "iou_best_median")->valuedouble, 1, 1e-6);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(r, "pf1"))); /* pictures have no absolute size */
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "groups"), "ours") == NULL);
    cJSON_Delete(j);
    snprintf(path, sizeof path, "%s/ev/examples/000_input.png", d);
    pic_gray g;
    CHECK_MSG(pic_read(path, &g) == 0, "%s", ut_error());
    pic_free(&g);
    /* a text pool cannot answer pictures; a missing picture is an invalid item with its reason */
    snprintf(cmd, sizeof cmd,
             "build/recad eval --test %s/ds/probe.jsonl --train %s/ds/train.jsonl -o %s/ev2 --quiet --no-visual 2>&1",
             d, d, d);
    CHECK(tf_run_cmd(cmd, &out) != 0 && strstr(out, "has none to retrieve from"));
    free(out);
    snprintf(cmd, sizeof cmd,
             "sed 's#\"image\":\"images/[^\"]*\"#\"image\":\"images/missing.png\"#' %s/ds/probe.jsonl > %s/ds/bad.jsonl && "
             "build/recad eval --test %s/ds/bad.jsonl --train %s/ds/train_images.jsonl -o %s/ev3 --quiet --no-voxel "
             "--no-visual --examples 0 > /dev/null && grep -c 'the picture could not be read' %s/ev3/predictions.jsonl",
             d, d, d, d, d, d);
    CHECK_MSG(tf_run_cmd(cmd, &out) == 0 && atoi(out) == 6, "%s", out);
    free(out);
}
