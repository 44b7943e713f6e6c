/* test_trainimg.c - training pictures (data/trainimg.h) and the dataset's image samples
 * (recad data build / real --images): deterministic, framed like a user's screenshot, records
 * that match the text records, text files unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/picture.h"
#include "base/util.h"
#include "data/jsonl.h"
#include "cad/exec.h"
#include "data/trainimg.h"
#include "geom/render.h"
#include "tf.h"

static const char *ti_prog =
    "local p = Loop(Line(0,0, 60,0), Line(60,0, 60,12), Line(60,12, 14,12), Line(14,12, 14,40),\n"
    "              Line(14,40, 0,40), Line(0,40, 0,0))\n"
    "Extrude(Sketch(XY, Face(p, Loop(Circle(45,6,3)), Loop(Circle(7,30,3)))), 8, 'new')\n";

static void tt_mesh(ms_mesh *mesh) {
    cad_model m;
    REQUIRE_MSG(ex_run(ti_prog, strlen(ti_prog), "bracket", NULL, &m) == 0, "%s", ut_error());
    REQUIRE(ms_from_model(&m, MS_DEFAULT_TOL, mesh) == 0);
    cad_free(&m);
}

TEST(trainimg_pictures_are_deterministic_framed_and_augmented) {
    ms_mesh mesh = {0};
    tt_mesh(&mesh);
    ti_opts o;
    ti_default_opts(&o);
    for (int v = 0; v < TI_NVIEWS; v++) {
        pic_gray a, b, c;
        REQUIRE_MSG(ti_render(&mesh, (ti_view)v, &o, 42, 7, &a) == 0, "%s", ut_error());
        REQUIRE(ti_render(&mesh, (ti_view)v, &o, 42, 7, &b) == 0);
        REQUIRE(ti_render(&mesh, (ti_view)v, &o, 42, 8, &c) == 0);
        CHECK(a.w == PIC_SIDE && a.h == PIC_SIDE);
        CHECK_MSG(pic_mean_abs_diff(&a, &b) == 0, "view %s is not deterministic", ti_view_name((ti_view)v));
        double d = pic_mean_abs_diff(&a, &c);
        CHECK_MSG(d > 0 && d < 0.12, "view %s: another augmentation differs by %.4f", ti_view_name((ti_view)v), d);
        /* white corners; without augmentation the content is centred with the margin */
        CHECK(a.v[0] == 1 && a.v[PIC_SIDE - 1] == 1 && a.v[PIC_SIDE * PIC_SIDE - 1] == 1);
        ti_opts plain = o;
        plain.augment = 0;
        pic_gray p;
        REQUIRE(ti_render(&mesh, (ti_view)v, &plain, 42, 7, &p) == 0);
        int box[4];
        REQUIRE(pic_content_box(&p, box) == 0);
        int lw = box[2] - box[0], lh = box[3] - box[1];
        CHECK_MSG(abs((lw > lh ? lw : lh) - (int)(PIC_SIDE * (1 - 2 * PIC_MARGIN))) <= 2, "view %s: box %d %d %d %d",
                  ti_view_name((ti_view)v), box[0], box[1], box[2], box[3]);
        CHECK_MSG(abs(box[0] + box[2] - PIC_SIDE) <= 2 && abs(box[1] + box[3] - PIC_SIDE) <= 2, "view %s: box %d %d %d %d",
                  ti_view_name((ti_view)v), box[0], box[1], box[2], box[3]);
        pic_free(&p);
        pic_free(&a), pic_free(&b), pic_free(&c);
    }
    pic_gray x;
    CHECK(ti_render(&mesh, (ti_view)9, &o, 1, 1, &x) != 0 && strstr(ut_error(), "view"));
    ms_free(&mesh);
}

TEST(trainimg_training_picture_matches_a_screenshot_of_the_part) {
    ms_mesh mesh = {0};
    tt_mesh(&mesh);
    ti_opts o;
    ti_default_opts(&o);
    o.augment = 0;
    pic_gray t, f, other;
    REQUIRE(ti_render(&mesh, TI_ISO, &o, 1, 0, &t) == 0);
    /* a "screenshot": the iso view at an unrelated size, saved as PNG, read back and framed */
    img_rgb im;
    REQUIRE(rd_render(&mesh, RD_ISO, RD_SHADED, 410, 290, &im) == 0);
    char path[600];
    snprintf(path, sizeof path, "%s/shot.png", tf_tmpdir());
    REQUIRE(img_write_png(&im, path) == 0);
    img_free(&im);
    REQUIRE(pic_load_framed(path, PIC_SIDE, &f) == 0);
    double d = pic_mean_abs_diff(&t, &f);
    CHECK_MSG(d < 0.025, "training picture vs screenshot: %.4f", d);
    REQUIRE(ti_render(&mesh, TI_TOP, &o, 1, 0, &other) == 0);
    CHECK(pic_mean_abs_diff(&other, &f) > 3 * d);
    pic_free(&t), pic_free(&f), pic_free(&other);
    ms_free(&mesh);
}

/* the records of a JSONL file as a cJSON array (data/jsonl.h; NULL if unreadable) */
static cJSON *tt_read(const char *path) {
    jl_reader r;
    if (jl_open(&r, path, 0)) return NULL;
    cJSON *arr = cJSON_CreateArray(), *rec;
    while (jl_next(&r, &rec) == 1) cJSON_AddItemToArray(arr, cJSON_Duplicate(rec, 1));
    jl_close(&r);
    return arr;
}

static const char *tt_str(const cJSON *j, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

TEST(dataset_image_samples_are_reproducible_and_match_the_text_records) {
    const char *d = tf_tmpdir();
    char cmd[4096], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "build/recad data build --parts 12 --seed 5 --test 0.3 --val 0.1 --images 3 -o %s/a -q --threads 1 --json && "
             "build/recad data build --parts 12 --seed 5 --test 0.3 --val 0.1 --images 3 -o %s/b -q --threads 2 && "
             "build/recad data build --parts 12 --seed 5 --test 0.3 --val 0.1 -o %s/c -q && "
             "cmp %s/a/train_images.jsonl %s/b/train_images.jsonl && cmp %s/a/test_images.jsonl %s/b/test_images.jsonl && "
             "diff -r %s/a/images %s/b/images && for s in train val test; do cmp %s/a/$s.jsonl %s/c/$s.jsonl || exit 1; done "
             "&& test ! -e %s/c/images && test ! -e %s/c/train_images.jsonl",
             d, d, d, d, d, d, d, d, d, d, d, d, d);
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"images\":"), "%s", out);
    free(out);
    /* every image record: its PNG is S x S, its answer and split are its part's text records' */
    const char *split[3] = {"train", "val", "test"};
    int n = 0, views[TI_NVIEWS] = {0};
    for (int s = 0; s < 3; s++) {
        char path[700];
        snprintf(path, sizeof path, "%s/a/%s.jsonl", d, split[s]);
        cJSON *text = tt_read(path);
        snprintf(path, sizeof path, "%s/a/%s_images.jsonl", d, split[s]);
        cJSON *img = tt_read(path);
        REQUIRE(text && img);
        const cJSON *r;
        cJSON_ArrayForEach(r, img) {
            n++;
            CHECK(!strcmp(tt_str(r, "prompt"), "<|image|>") && !strcmp(tt_str(r, "kind"), "image"));
            CHECK(!strcmp(tt_str(r, "split"), split[s]));
            ti_view v;
            CHECK(ti_view_parse(tt_str(r, "view"), &v) == 0);
            views[v]++;
            snprintf(path, sizeof path, "%s/a/%s", d, tt_str(r, "image"));
            pic_gray g;
            CHECK_MSG(pic_read(path, &g) == 0, "%s", ut_error());
            CHECK(g.w == PIC_SIDE && g.h == PIC_SIDE);
            pic_free(&g);
            int found = 0;
            const cJSON *t;
            cJSON_ArrayForEach(t, text) if (!strcmp(tt_str(t, "part"), tt_str(r, "part"))) {
                found = 1;
                CHECK(!strcmp(tt_str(t, "answer"), tt_str(r, "answer")));
                CHECK(!strcmp(tt_str(t, "level"), tt_str(r, "level")));
            }
            CHECK_MSG(found, "%s has no text record in its split", tt_str(r, "id"));
        }
        cJSON_Delete(text);
        cJSON_Delete(img);
    }
    CHECK(n == 3 * 12);
    CHECK(views[TI_SHEET] == 12 && views[TI_ISO] == 12 && views[TI_FRONT] == 12);
}

TEST(dataset_real_files_get_image_samples) {
    const char *d = tf_tmpdir();
    char cmd[2048], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/in && ls ../shared/data/deepcad/*.json | head -4 | xargs -I{} cp {} %s/in/ && "
             "build/recad data real %s/in -o %s/r --name rt --images 2 -q",
             d, d, d, d);
    REQUIRE_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    free(out);
    char path[700];
    snprintf(path, sizeof path, "%s/r/rt_images.jsonl", d);
    cJSON *img = tt_read(path);
    REQUIRE(img);
    int n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, img) {
        n++;
        CHECK(!strcmp(tt_str(r, "split"), "test") && !strcmp(tt_str(r, "family"), "real"));
        snprintf(path, sizeof path, "%s/r/%s", d, tt_str(r, "image"));
        pic_gray g;
        CHECK_MSG(pic_read(path, &g) == 0, "%s", ut_error());
        pic_free(&g);
    }
    CHECK(n >= 2 * 3);
    cJSON_Delete(img);
}
