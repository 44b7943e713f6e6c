/* Tests that every command taking a program also takes a DeepCAD / Fusion 360 / Text2CAD JSON
 * file, recognised by its content (first non-blank character '{'), whatever its name. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tf.h"
#include "base/util.h"
#include "data/import.h"
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

/* a shared file of each format and the volume the library computes for it */
static const char *json_files[] = {"deepcad/00000007.json", "fusion360", "text2cad_minimal"};

/* the first *.json of a shared folder (or the file itself) */
static int shared_json(int i, char *path, size_t n) {
    char cmd[700], *out = NULL;
    snprintf(cmd, sizeof cmd, "ls %s/data/%s | grep '\\.json$' | head -1", tf_shared(), json_files[i]);
    if (strstr(json_files[i], ".json")) {
        snprintf(path, n, "%s/data/%s", tf_shared(), json_files[i]);
        return access(path, R_OK) == 0 ? 0 : -1;
    }
    if (tf_run_cmd(cmd, &out) != 0 || !out || !*out) return free(out), -1;
    out[strcspn(out, "\n")] = 0;
    snprintf(path, n, "%s/data/%s/%s", tf_shared(), json_files[i], out);
    free(out);
    return 0;
}

static double library_volume(const char *path) {
    cad_model m;
    im_report r;
    double v = NAN;
    if (im_load(path, NULL, &m, &r) == 0 && im_validate(&m, &r) == 0) {
        sd_solid *s = sd_build(&m);
        sd_props p;
        if (s && sd_mass_props(s, &p) == 0) v = p.volume;
        sd_free(s);
    }
    cad_free(&m);
    im_report_free(&r);
    return v;
}

TEST(json_input_every_command_reads_json_files) {
    for (int i = 0; i < 3; i++) {
        char path[800];
        if (shared_json(i, path, sizeof path) != 0) SKIP("no shared %s", json_files[i]);
        double v = library_volume(path);
        REQUIRE_MSG(isfinite(v), "%s: %s", path, ut_error());
        char *out;
        /* info --json: the same volume as the library */
        REQUIRE(sh(&out, RECAD " info %s --json 2>/dev/null", path) == 0);
        cJSON *j = cJSON_Parse(out);
        REQUIRE_MSG(j, "%s", out);
        CHECK_REL(cJSON_GetObjectItem(j, "volume")->valuedouble, v, 1e-12);
        cJSON_Delete(j);
        free(out);
        /* under another name: recognised by content */
        char copy[900];
        snprintf(copy, sizeof copy, "%s/model%d.lua", tf_tmpdir(), i);
        CHECK(sh(NULL, "cp %s %s", path, copy) == 0);
        CHECK(sh(&out, RECAD " info %s", copy) == 0);
        CHECK_MSG(strstr(out, "volume"), "%s", out);
        free(out);
        /* run (validation, then an STL whose volume is close), render, export */
        CHECK(sh(&out, RECAD " run %s", path) == 0);
        CHECK_MSG(strstr(out, ": ok ("), "%s", out);
        free(out);
        CHECK(sh(&out, RECAD " run %s -o %s/m%d.stl --json 2>/dev/null", path, tf_tmpdir(), i) == 0);
        j = cJSON_Parse(out);
        REQUIRE_MSG(j, "%s", out);
        const cJSON *mv = cJSON_GetObjectItem(j, "mesh_volume");
        CHECK_MSG(mv && fabs(mv->valuedouble - v) <= 1e-2 * v, "%s vs %g", out, v);
        cJSON_Delete(j);
        free(out);
        CHECK(sh(&out, RECAD " render %s -o %s/m%d.png --size 64x64", copy, tf_tmpdir(), i) == 0);
        free(out);
        CHECK(sh(&out, RECAD " export %s --stl %s/e%d.stl", copy, tf_tmpdir(), i) == 0);
        free(out);
    }
}

TEST(json_input_bad_json_is_an_import_error_not_a_lua_error) {
    char p[600];
    snprintf(p, sizeof p, "%s/bad.lua", tf_tmpdir());
    const char *text = "{\"entities\": {}, \"sequence\": [";
    REQUIRE(ut_write_atomic(p, text, strlen(text)) == 0);
    char *out;
    CHECK(sh(&out, RECAD " info %s", p) == 1);
    CHECK_MSG(strstr(out, "malformed JSON") && !strstr(out, "unexpected symbol"), "%s", out);
    free(out);
}
