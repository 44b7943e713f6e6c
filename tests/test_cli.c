/* Tests of the run, render and info commands: exit codes, messages, --json, and the files they
 * write (checked against analytic volumes and the file formats). */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tf.h"
#include "base/util.h"

#define RECAD "build/recad"

/* runs a shell command; returns its exit code, output (stdout+stderr) in *out if out */
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

static const char *write_prog(const char *name, const char *src) {
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 512, "%s/%s", tf_tmpdir(), name);
    REQUIRE(ut_write_atomic(p, src, strlen(src)) == 0);
    return p;
}

/* the JSON object a command printed on stdout (its stderr dropped); *rc its exit code */
static cJSON *json_of(int *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static cJSON *json_of(int *rc, const char *fmt, ...) {
    char cmd[4096], *out = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>/dev/null", sizeof cmd - strlen(cmd) - 1);
    *rc = tf_run_cmd(cmd, &out);
    cJSON *j = cJSON_Parse(out);
    CHECK_MSG(j != NULL, "not one JSON object: %s", out);
    free(out);
    return j;
}

static double jnum(const cJSON *j, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

TEST(cli_help_for_every_command) {
    const char *cmds[] = {"run", "render", "info"};
    for (int i = 0; i < 3; i++) {
        char *out;
        CHECK(sh(&out, RECAD " %s --help", cmds[i]) == 0);
        char want[64];
        snprintf(want, sizeof want, "usage: recad %s", cmds[i]);
        CHECK_MSG(strstr(out, want) && strstr(out, "--max-instructions") && strstr(out, "exit codes"), "%s", out);
        free(out);
    }
}

TEST(cli_usage_errors_exit_2) {
    const char *p = write_prog("ok.lua", "Extrude(Sketch(XY, Face(Loop(Circle(0,0, 1)))), 1)\n");
    char *out;
    CHECK(sh(&out, RECAD " run") == 2);
    CHECK_MSG(strstr(out, "recad run: missing PROGRAM.lua"), "%s", out);
    free(out);
    CHECK(sh(&out, RECAD " run %s -o x.step", p) == 2);
    CHECK_MSG(strstr(out, "unknown extension '.step'"), "%s", out);
    free(out);
    CHECK(sh(&out, RECAD " run %s --size 10by10 -o x.png", p) == 2);
    CHECK_MSG(strstr(out, "option --size"), "%s", out);
    free(out);
    CHECK(sh(&out, RECAD " run %s --tol -1 -o x.stl", p) == 2);
    free(out);
    CHECK(sh(&out, RECAD " run %s --max-memory lots", p) == 2);
    CHECK_MSG(strstr(out, "--max-memory"), "%s", out);
    free(out);
    CHECK(sh(&out, RECAD " run %s --bogus", p) == 2);
    free(out);
    CHECK(sh(&out, RECAD " render %s -o x.png --view side", p) == 2);
    CHECK_MSG(strstr(out, "recad render: option --view: 'side'"), "%s", out);
    free(out);
    CHECK(sh(&out, RECAD " render %s -o x.png --mode wire", p) == 2);
    free(out);
    CHECK(sh(&out, RECAD " render %s", p) == 2);
    CHECK_MSG(strstr(out, "missing -o"), "%s", out);
    free(out);
    CHECK(sh(&out, RECAD " info %s %s", p, p) == 2);
    free(out);
}

/* every command parses options through one table-driven parser: the same wording for an unknown
 * option, a missing value, a malformed number and a number out of range, exit code 2, and a
 * pointer to --help */
TEST(cli_option_errors_are_uniform_across_commands) {
    static const struct {
        const char *cmd, *bad_number, *out_of_range, *range_text;
    } c[] = {
        {"run x.lua", "--max-memory 1e", "--tol 0", "0 is not > 0"},
        {"render x.lua -o x.png", "--tol 1mm", "--tol -2", "-2 is not > 0"},
        {"export x.lua --stl x.stl", "--timeout soon", "--timeout 0", "0 is not > 0"},
        {"import x.json -o out", "--text2cad-mm x", "--text2cad-mm -1", "-1 is not > 0"},
        {"sample --model m --prompt p", "-n 2.5", "-n 5000", "5000 is not in [1, 4096]"},
        {"sample --model m --prompt p", "--top-p x", "--top-p 1.5", "1.5 is not in (0, 1]"},
        {"tokenizer train --out t.json f.txt", "--vocab 1k", "--vocab 10", "10 is not in [257, 4194304]"},
        {"eval a b", "--floor x", "--pitch 2", "2 is not in [0.005, 1]"},
        {"train --config c --data d --out o", "--steps 1e3", "--batch 0", "0 is not in [1, 1024]"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char name[64], *out, want[128];
        snprintf(name, sizeof name, "%s", c[i].cmd);
        *strchr(name, ' ') = 0;
        if (!strcmp(name, "tokenizer")) snprintf(name, sizeof name, "tokenizer train");
        CHECK(sh(&out, RECAD " %s --bogus", c[i].cmd) == 2);
        snprintf(want, sizeof want, "recad %s: unknown option --bogus", name);
        CHECK_MSG(strstr(out, want) && strstr(out, "--help lists the options"), "%s", out);
        free(out);
        CHECK(sh(&out, RECAD " %s %s", c[i].cmd, c[i].bad_number) == 2);
        CHECK_MSG(strstr(out, "is not an integer") || strstr(out, "is not a number"), "%s: %s", c[i].bad_number, out);
        free(out);
        CHECK(sh(&out, RECAD " %s %s", c[i].cmd, c[i].out_of_range) == 2);
        CHECK_MSG(strstr(out, c[i].range_text), "%s: %s", c[i].out_of_range, out);
        free(out);
    }
    char *out;
    CHECK(sh(&out, RECAD " info x.lua --max-memory") == 2);
    CHECK_MSG(strstr(out, "recad info: option --max-memory needs a value"), "%s", out);
    free(out);
    CHECK(sh(&out, RECAD " import x.json -o out --format step") == 2);
    CHECK_MSG(strstr(out, "'step' is not one of auto, deepcad, fusion, text2cad"), "%s", out);
    free(out);
    CHECK(sh(&out, RECAD " sample --model m --prompt p extra") == 2);
    CHECK_MSG(strstr(out, "unexpected argument 'extra'"), "%s", out);
    free(out);
}

/* --help prints every option the parser accepts, from the same table */
TEST(cli_help_lists_the_options_of_every_command) {
    static const struct {
        const char *cmd, *opts;
    } c[] = {
        {"run", "-o, --output FILE|--tol T|--size WxH|--json|--max-instructions N|--max-memory MB|-h, --help"},
        {"render", "--view V|--mode M|--size WxH"},
        {"export", "--step PATH|--stl PATH|--obj PATH|--format F|--timeout S"},
        {"import", "-o, --out OUT|-f, --format F|--text2cad-mm X|--occt"},
        {"sample", "-m, --model DIR|-n, --samples G|--top-p P|--stop S|--eos TOKEN|--threads N"},
        {"tokenizer train", "-v, --vocab N|--field NAME|--special TOKEN|--min-frequency F"},
        {"tokenizer encode", "-t, --tokenizer PATH|-x, --text TEXT|--special"},
        {"tokenizer decode", "--skip-special"},
        {"eval", "--protocol P|--points N|-o, --out DIR|--pairs PAIRS.jsonl|--no-voxel|--floor N"},
        {"train", "--config FILE|--data FILE|--steps N|--lr X|--keep K|--resume"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *out;
        CHECK(sh(&out, RECAD " %s --help", c[i].cmd) == 0);
        char want[256];
        snprintf(want, sizeof want, "usage: recad %s ", c[i].cmd);
        CHECK_MSG(strstr(out, want), "%s", out);
        char list[512];
        snprintf(list, sizeof list, "%s", c[i].opts);
        for (char *tok = strtok(list, "|"); tok; tok = strtok(NULL, "|")) {
            char line[300];
            snprintf(line, sizeof line, "\n  %s ", tok);
            CHECK_MSG(strstr(out, line), "%s --help lacks '%s'", c[i].cmd, tok);
        }
        free(out);
    }
}

TEST(cli_file_errors_exit_3) {
    char *out;
    CHECK(sh(&out, RECAD " run /nonexistent/prog.lua") == 3);
    CHECK_MSG(strstr(out, "recad run: cannot open /nonexistent/prog.lua"), "%s", out);
    free(out);
    CHECK(sh(&out, RECAD " info %s", tf_tmpdir()) == 3);
    CHECK_MSG(strstr(out, "not a regular file"), "%s", out);
    free(out);
    const char *p = write_prog("ok.lua", "Extrude(Sketch(XY, Face(Loop(Circle(0,0, 1)))), 1)\n");
    CHECK(sh(&out, RECAD " run %s -o /nonexistent/dir/out.lua", p) == 3);
    CHECK_MSG(strstr(out, "cannot write /nonexistent/dir/out.lua"), "%s", out);
    free(out);
}

TEST(cli_invalid_programs_exit_1_with_the_line) {
    const char *p = write_prog("bad.lua", "local c = Line(0,0, 1,0)\nLoop(c, 3)\n");
    char *out;
    CHECK(sh(&out, RECAD " run %s", p) == 1);
    CHECK_MSG(strstr(out, "recad run: ") && strstr(out, "bad.lua:2: Loop: argument 2 is not a curve"), "%s", out);
    free(out);
    int rc;
    cJSON *j = json_of(&rc, RECAD " info %s --json", p);
    CHECK(rc == 1);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(j, "ok")));
    const cJSON *e = cJSON_GetObjectItem(j, "error");
    CHECK(cJSON_IsString(e) && strstr(e->valuestring, "bad.lua:2: Loop"));
    CHECK(jnum(j, "exit_code") == 1);
    cJSON_Delete(j);
    /* limits from the command line */
    const char *loop = write_prog("loop.lua", "while true do end\n");
    CHECK(sh(&out, RECAD " run %s --max-instructions 5000", loop) == 1);
    CHECK_MSG(strstr(out, "loop.lua:1: instruction budget of 5000 exceeded"), "%s", out);
    free(out);
    const char *bomb = write_prog("bomb.lua", "local s = 'x'\nwhile true do s = s .. s end\n");
    CHECK(sh(&out, RECAD " run %s --max-memory 2", bomb) == 1);
    CHECK_MSG(strstr(out, "bomb.lua:2: memory limit of 2 MB exceeded"), "%s", out);
    free(out);
}

/* 14400 - 4 * pi * 3^2 * 6 */
static const double plate_volume = 14400 - 216 * M_PI;

TEST(cli_info_plate_matches_the_analytic_values) {
    int rc;
    cJSON *j = json_of(&rc, RECAD " info %s --json", "examples/plate.lua");
    REQUIRE(rc == 0 && j);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
    CHECK_REL(jnum(j, "volume"), plate_volume, 1e-9);
    /* top and bottom 2*(2400 - 36 pi), sides 2*(60+40)*6, hole walls 4 * 2 pi 3 * 6 */
    CHECK_REL(jnum(j, "area"), 2 * (2400 - 36 * M_PI) + 1200 + 144 * M_PI, 1e-9);
    const cJSON *c = cJSON_GetObjectItem(j, "centroid");
    CHECK(cJSON_GetArraySize(c) == 3);
    CHECK_NEAR(cJSON_GetArrayItem(c, 0)->valuedouble, 30, 1e-9);
    CHECK_NEAR(cJSON_GetArrayItem(c, 1)->valuedouble, 20, 1e-9);
    CHECK_NEAR(cJSON_GetArrayItem(c, 2)->valuedouble, 3, 1e-9);
    const cJSON *hi = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "bbox"), "max");
    CHECK_NEAR(cJSON_GetArrayItem(hi, 0)->valuedouble, 60, 1e-9);
    CHECK_NEAR(cJSON_GetArrayItem(hi, 2)->valuedouble, 6, 1e-9);
    const cJSON *k = cJSON_GetObjectItem(j, "counts");
    CHECK(jnum(k, "extrudes") == 1 && jnum(k, "loops") == 5 && jnum(k, "curves") == 8 && jnum(k, "circles") == 4);
    const cJSON *lv = cJSON_GetObjectItem(j, "level");
    CHECK(cJSON_IsString(lv) && !strcmp(lv->valuestring, "F"));
    cJSON_Delete(j);
    char *out;
    CHECK(sh(&out, RECAD " info examples/plate.lua") == 0);
    CHECK_MSG(strstr(out, "volume    13721.41599 mm^3") && strstr(out, "level     F"), "%s", out);
    free(out);
}

TEST(cli_info_examples_volumes) {
    /* flange: pi (40^2 8 - 6 4^2 8 + 20^2 12 - 12^2 20); pocket: rounded plate - slot pocket - hole;
       bracket: base + upright - their overlap - 4 holes + gusset */
    double flange = M_PI * (12800 - 768 + 4800 - 2880);
    double pocket = (4000 - (4 - M_PI) * 64) * 10 - (30 * 14 + 49 * M_PI) * 4 - 16 * M_PI * 10;
    double bracket = 50 * 40 * 5 + 50 * 35 * 5 - 50 * 5 * 5 - 4 * M_PI * 6.25 * 5 + 0.5 * 15 * 15 * 4;
    const char *names[] = {"flange", "pocket", "bracket"};
    double want[] = {flange, pocket, bracket};
    for (int i = 0; i < 3; i++) {
        char path[64];
        snprintf(path, sizeof path, "examples/%s.lua", names[i]);
        int rc;
        cJSON *j = json_of(&rc, RECAD " info %s --json", path);
        CHECK_MSG(rc == 0, "%s", path);
        CHECK_REL(jnum(j, "volume"), want[i], 1e-5);
        cJSON_Delete(j);
    }
}

static uint32_t le32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/* enclosed volume of a binary STL (divergence theorem) */
static double stl_volume(const unsigned char *b, size_t len, uint32_t *nt) {
    *nt = le32(b + 80);
    REQUIRE(len == 84 + 50 * (size_t)*nt);
    double v = 0;
    for (uint32_t i = 0; i < *nt; i++) {
        float f[9];
        memcpy(f, b + 84 + 50 * (size_t)i + 12, sizeof f);
        v += (f[0] * ((double)f[4] * f[8] - (double)f[5] * f[7]) - f[1] * ((double)f[3] * f[8] - (double)f[5] * f[6]) +
              f[2] * ((double)f[3] * f[7] - (double)f[4] * f[6])) /
             6;
    }
    return v;
}

TEST(cli_run_writes_stl_obj_png_and_lua) {
    char stl[512], obj[512], png[512], lua[512], *out;
    snprintf(stl, sizeof stl, "%s/plate.stl", tf_tmpdir());
    snprintf(obj, sizeof obj, "%s/plate.obj", tf_tmpdir());
    snprintf(png, sizeof png, "%s/plate.png", tf_tmpdir());
    snprintf(lua, sizeof lua, "%s/plate_hard.lua", tf_tmpdir());
    int rc;
    cJSON *j = json_of(&rc, RECAD " run examples/plate.lua -o %s --json", stl);
    REQUIRE(rc == 0);
    size_t len;
    unsigned char *b = (unsigned char *)ut_read_file(stl, &len);
    REQUIRE(b);
    uint32_t nt;
    double v = stl_volume(b, len, &nt);
    CHECK_REL(v, plate_volume, 0.005);
    CHECK(jnum(j, "triangles") == nt);
    CHECK_REL(jnum(j, "mesh_volume"), v, 1e-5);
    free(b);
    cJSON_Delete(j);

    CHECK(sh(&out, RECAD " run examples/plate.lua -o %s", obj) == 0);
    free(out);
    char *o = ut_read_file(obj, NULL);
    REQUIRE(o);
    CHECK(strstr(o, "\nv ") || !strncmp(o, "v ", 2));
    CHECK(strstr(o, "\nf "));
    free(o);

    CHECK(sh(&out, RECAD " run examples/plate.lua -o %s --size 300x200", png) == 0);
    free(out);
    b = (unsigned char *)ut_read_file(png, &len);
    REQUIRE(b && len > 33);
    CHECK(!memcmp(b, "\x89PNG\r\n\x1a\n", 8) && !memcmp(b + 12, "IHDR", 4));
    CHECK(be32(b + 16) == 300 && be32(b + 20) == 200);
    free(b);

    /* the hard-coded program measures the same */
    CHECK(sh(&out, RECAD " run examples/plate.lua -o %s", lua) == 0);
    free(out);
    j = json_of(&rc, RECAD " info %s --json", lua);
    CHECK(rc == 0);
    CHECK_REL(jnum(j, "volume"), plate_volume, 1e-9);
    cJSON_Delete(j);
}

TEST(cli_render_views_and_modes) {
    const char *views[] = {"iso", "front", "top", "right", "sheet"};
    const char *modes[] = {"shaded", "normal", "depth"};
    for (int v = 0; v < 5; v++)
        for (int m = 0; m < 3; m++) {
            if (v != 0 && v != 4 && m != 0) continue; /* keep it quick: modes on iso and sheet */
            char png[512];
            snprintf(png, sizeof png, "%s/%s_%s.png", tf_tmpdir(), views[v], modes[m]);
            char *out;
            int rc = sh(&out, RECAD " render examples/pocket.lua -o %s --view %s --mode %s --size 160x120", png, views[v],
                        modes[m]);
            CHECK_MSG(rc == 0, "%s %s: %s", views[v], modes[m], out);
            free(out);
            size_t len;
            unsigned char *b = (unsigned char *)ut_read_file(png, &len);
            REQUIRE(b && len > 24);
            CHECK(be32(b + 16) == 160 && be32(b + 20) == 120);
            free(b);
        }
}
