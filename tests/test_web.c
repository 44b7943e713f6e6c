/* test_web.c - the web page's server: the JSON API called directly, the HTTP server under hostile
 * use (oversized bodies, slow clients, endless programs, malformed JSON, wrong methods and paths,
 * path traversal, more work than workers), a small loopback load, and the page itself in headless
 * Chromium (web/test/e2e.mjs; skipped without node, Chromium or web/node_modules). */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tf.h"
#include "base/util.h"
#include "web/api.h"
#include "web/assets.h"
#include "web/load.h"
#include "web/server.h"

#define PLATE_VOLUME 13721.41598682461 /* examples/plate.lua, exact */

/* {"program": <examples/plate.lua>} (malloc'd) */
static char *plate_body(void) {
    char *src = ut_read_file("examples/plate.lua", NULL);
    REQUIRE(src);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "program", src);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    free(src);
    return s;
}

static cJSON *reply_json(const wa_reply *r) {
    cJSON *j = cJSON_ParseWithLength((const char *)r->body, r->len);
    REQUIRE_MSG(j, "not JSON: %.*s", (int)r->len, (const char *)r->body);
    return j;
}

static double jnum(const cJSON *j, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *jstr(const cJSON *j, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

TEST(web_execute_returns_mesh_params_and_measures) {
    wa_config c;
    wa_default_config(&c);
    char *body = plate_body();
    wa_reply r = {0};
    wa_execute(&c, body, strlen(body), &r);
    REQUIRE_MSG(r.status == 200, "%d %.*s", r.status, (int)r.len, (const char *)r.body);
    cJSON *j = reply_json(&r);
    CHECK_NEAR(jnum(j, "volume"), PLATE_VOLUME, 1e-6);
    CHECK(!strcmp(jstr(j, "level"), "F"));
    const cJSON *bb = cJSON_GetObjectItem(j, "bbox"), *hi = cJSON_GetObjectItem(bb, "max");
    CHECK_NEAR(cJSON_GetArrayItem(hi, 0)->valuedouble, 60, 1e-9);
    CHECK_NEAR(cJSON_GetArrayItem(hi, 2)->valuedouble, 6, 1e-9);
    const cJSON *params = cJSON_GetObjectItem(j, "params");
    REQUIRE(cJSON_GetArraySize(params) == 5);
    const cJSON *t = cJSON_GetArrayItem(params, 2);
    CHECK(!strcmp(jstr(t, "name"), "t") && jnum(t, "value") == 6 && jnum(t, "line") == 2 && jnum(t, "len") == 1);
    CHECK(jnum(t, "max") == 18 && jnum(t, "step") == 1);
    const cJSON *mesh = cJSON_GetObjectItem(j, "mesh");
    const cJSON *pos = cJSON_GetObjectItem(mesh, "positions"), *idx = cJSON_GetObjectItem(mesh, "indices"),
                *edges = cJSON_GetObjectItem(mesh, "edges");
    int np = cJSON_GetArraySize(pos), ni = cJSON_GetArraySize(idx), ne = cJSON_GetArraySize(edges);
    CHECK(np > 0 && np % 3 == 0 && ni == 3 * (int)jnum(j, "triangles") && ne > 0 && ne % 2 == 0);
    /* every index in range; the mesh's own volume agrees with the exact one */
    double *v = ut_malloc(sizeof(double) * (size_t)np), vol = 0;
    int k = 0, bad = 0;
    for (const cJSON *e = pos->child; e; e = e->next) v[k++] = e->valuedouble;
    int *ix = ut_malloc(sizeof(int) * (size_t)ni);
    k = 0;
    for (const cJSON *e = idx->child; e; e = e->next) ix[k++] = e->valueint, bad += e->valueint < 0 || e->valueint >= np / 3;
    for (const cJSON *e = edges->child; e; e = e->next) bad += e->valueint < 0 || e->valueint >= np / 3;
    CHECK(bad == 0);
    for (int i = 0; !bad && i < ni; i += 3) {
        const double *a = v + 3 * ix[i], *b = v + 3 * ix[i + 1], *c3 = v + 3 * ix[i + 2];
        vol += (a[0] * (b[1] * c3[2] - b[2] * c3[1]) - a[1] * (b[0] * c3[2] - b[2] * c3[0]) + a[2] * (b[0] * c3[1] - b[1] * c3[0])) / 6;
    }
    CHECK_REL(vol, PLATE_VOLUME, 1e-5);
    /* the box has 12 straight feature edges at least, the 4 holes 2 circles each */
    CHECK(ne / 2 >= 12 + 8 * 8);
    free(v);
    free(ix);
    cJSON_Delete(j);
    wa_reply_free(&r);
    free(body);
}

TEST(web_execute_sheet_is_a_png_data_url) {
    wa_config c;
    wa_default_config(&c);
    const char *body = "{\"program\": \"Extrude(Sketch(XY, Face(Loop(Circle(0, 0, 5)))), 3)\", \"mesh\": false, \"sheet\": true}";
    wa_reply r = {0};
    wa_execute(&c, body, strlen(body), &r);
    REQUIRE(r.status == 200);
    cJSON *j = reply_json(&r);
    CHECK(!cJSON_GetObjectItem(j, "mesh"));
    CHECK(!strncmp(jstr(j, "sheet"), "data:image/png;base64,iVBORw0KGgo", 33)); /* the PNG signature */
    cJSON_Delete(j);
    wa_reply_free(&r);
}

/* the status, error and line of an execute call */
static int exec_error(const wa_config *c, const char *body, char *err, size_t n, int *line) {
    wa_reply r = {0};
    wa_execute(c, body, strlen(body), &r);
    cJSON *j = cJSON_ParseWithLength((const char *)r.body, r.len);
    snprintf(err, n, "%s", j ? jstr(j, "error") : "");
    *line = j ? (int)jnum(j, "line") : -1;
    int st = r.status;
    cJSON_Delete(j);
    wa_reply_free(&r);
    return st;
}

TEST(web_program_errors_name_their_line) {
    wa_config c;
    wa_default_config(&c);
    char err[1024];
    int line;
    CHECK(exec_error(&c, "{\"program\": \"local w = 5\\n\\nlocal x = = 3\\n\"}", err, sizeof err, &line) == 422);
    CHECK_MSG(line == 3 && !strncmp(err, "program:3: ", 11), "%d %s", line, err);
    CHECK(exec_error(&c, "{\"program\": \"local a = 1\\nLoop(5)\"}", err, sizeof err, &line) == 422);
    CHECK_MSG(line == 2 && strstr(err, "Loop"), "%d %s", line, err);
    /* a program that never ends stops at its budget, quickly */
    double t0 = ut_now();
    CHECK(exec_error(&c, "{\"program\": \"local n = 0\\nwhile true do n = n + 1 end\"}", err, sizeof err, &line) == 422);
    CHECK_MSG(line == 2 && strstr(err, "budget"), "%d %s", line, err);
    CHECK(ut_now() - t0 < 3);
    CHECK(exec_error(&c, "{\"program\": \"local s = string.rep('x', 1 << 28)\"}", err,
                     sizeof err, &line) == 422);
    CHECK_MSG(strstr(err, "limit") || strstr(err, "budget"), "%s", err);
    CHECK(exec_error(&c, "{\"program\": \"local w = 1\"}", err, sizeof err, &line) == 422); /* no Extrude */
    CHECK(wa_error_line("program:12: x") == 12 && wa_error_line("program: x") == 0 && wa_error_line("meshing failed") == 0);
}

TEST(web_bad_requests_get_clear_errors) {
    wa_config c;
    wa_default_config(&c);
    const char *bodies[] = {"", "{", "[1, 2]", "{\"program\": 5}", "{\"prog\": \"x\"}", "\"text\""};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        wa_reply r = {0};
        wa_execute(&c, bodies[i], strlen(bodies[i]), &r);
        CHECK_MSG(r.status == 400, "%s -> %d", bodies[i], r.status);
        cJSON *j = reply_json(&r);
        CHECK(strlen(jstr(j, "error")) > 10);
        cJSON_Delete(j);
        wa_reply_free(&r);
    }
    wa_reply r = {0};
    const char *b = "{\"program\": \"Extrude(Sketch(XY, Face(Loop(Circle(0, 0, 5)))), 3)\", \"format\": \"dwg\"}";
    wa_export(&c, b, strlen(b), &r);
    CHECK(r.status == 400 && strstr((char *)r.body, "stl, obj, step, lua"));
    wa_reply_free(&r);
}

static int fake_generate(void *ctx, const char *prompt, const unsigned char *image, size_t n, char **program) {
    (void)ctx;
    if (prompt && strstr(prompt, "fail")) return ut_fail("the model cannot do that");
    char buf[256];
    snprintf(buf, sizeof buf, "-- %s, image %zu bytes%s\nExtrude(Sketch(XY, Face(Loop(Circle(0, 0, 5)))), 3)\n",
             prompt ? prompt : "(no prompt)", n, image && n >= 3 && !memcmp(image, "abc", 3) ? " abc" : "");
    *program = ut_strdup(buf);
    return 0;
}

TEST(web_generate_without_and_with_a_model) {
    wa_config c;
    wa_default_config(&c);
    wa_reply r = {0};
    const char *b = "{\"prompt\": \"a disc\"}";
    wa_generate(&c, b, strlen(b), &r);
    CHECK(r.status == 503 && strstr((char *)r.body, "\"error\":\"no generation model loaded\""));
    wa_reply_free(&r);
    c.generate = fake_generate;
    wa_generate(&c, b, strlen(b), &r);
    CHECK(r.status == 200 && strstr((char *)r.body, "-- a disc, image 0 bytes"));
    wa_reply_free(&r);
    b = "{\"image\": \"data:image/png;base64,YWJjZA==\"}"; /* "abcd" */
    wa_generate(&c, b, strlen(b), &r);
    CHECK_MSG(r.status == 200 && strstr((char *)r.body, "image 4 bytes abc"), "%s", (char *)r.body);
    wa_reply_free(&r);
    b = "{\"image\": \"data:image/png;base64,@@@\"}";
    wa_generate(&c, b, strlen(b), &r);
    CHECK(r.status == 400);
    wa_reply_free(&r);
    b = "{\"prompt\": \"fail please\"}";
    wa_generate(&c, b, strlen(b), &r);
    CHECK(r.status == 422 && strstr((char *)r.body, "the model cannot do that"));
    wa_reply_free(&r);
    b = "{}";
    wa_generate(&c, b, strlen(b), &r);
    CHECK(r.status == 400);
    wa_reply_free(&r);
}

TEST(web_export_stl_and_program) {
    wa_config c;
    wa_default_config(&c);
    const char *b = "{\"program\": \"Extrude(Sketch(XY, Face(Loop(Line(0,0, 10,0), Line(10,0, 10,5), Line(10,5, 0,0)))), 2)\", "
                    "\"format\": \"stl\"}";
    wa_reply r = {0};
    wa_export(&c, b, strlen(b), &r);
    REQUIRE(r.status == 200);
    uint32_t n;
    memcpy(&n, r.body + 80, 4);
    CHECK(n >= 8 && r.len == 84 + 50 * (size_t)n && !strcmp(r.filename, "part.stl"));
    wa_reply_free(&r);
    b = "{\"program\": \"Extrude(Sketch(XY, Face(Loop(Circle(0, 0, 5)))), 3)\", \"format\": \"lua\"}";
    wa_export(&c, b, strlen(b), &r);
    CHECK(r.status == 200 && r.len == 51 && !memcmp(r.body, "Extrude(", 8));
    wa_reply_free(&r);
}

/* ---- the HTTP server ---- */

static sv_server *start(int workers, int waiting, double max_seconds) {
    sv_config c;
    sv_default_config(&c);
    c.port = 0;
    c.quiet = 1;
    c.workers = workers;
    c.max_waiting = waiting;
    c.max_wait_s = 10;
    c.idle_timeout_s = 1;
    c.max_body = 64 << 10;
    c.api.limits.max_seconds = max_seconds;
    if (max_seconds > 2) c.api.limits.max_instructions = 1L << 40;
    sv_server *s = sv_start(&c);
    REQUIRE_MSG(s, "%s", ut_error());
    return s;
}

/* a raw request -> status; the answer in *out if out (free it) */
static int http(sv_server *s, const char *req, size_t len, char **out) {
    char *a = NULL;
    int st = wl_exchange("127.0.0.1", sv_port(s), req, len ? len : strlen(req), 10, &a, NULL);
    if (out) *out = a;
    else free(a);
    return st;
}

TEST(web_server_routes_methods_and_static_files) {
    sv_server *s = start(2, 4, 2);
    char *a;
    CHECK(http(s, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &a) == 200);
    CHECK(strstr(a, "text/html") && strstr(a, "<script type=\"module\" src=\"app.js\">"));
    free(a);
    CHECK(as_find("/app.js") && as_find("/app.css") && as_count() == 3);
    CHECK(http(s, "GET /app.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, NULL) == 200);
    CHECK(http(s, "GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &a) == 200);
    CHECK(strstr(a, "\"generate\":false"));
    free(a);
    /* path traversal and unknown files: only the embedded table is served */
    const char *paths[] = {"/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/web/dist/app.js",
                           "/app.js/..", "/nope"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        char req[256];
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", paths[i]);
        int st = http(s, req, 0, &a);
        CHECK_MSG((st == 404 || st == 400) && !strstr(a, "root:"), "%s -> %d", paths[i], st);
        free(a);
    }
    CHECK(http(s, "GET /index.html%00/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &a) != 0);
    CHECK(!strstr(a, "root:")); /* a NUL cuts the path: at most the page itself */
    free(a);
    CHECK(http(s, "DELETE /api/execute HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, &a) == 405);
    CHECK(strstr(a, "Allow: POST") && strstr(a, "\"error\""));
    free(a);
    CHECK(http(s, "POST /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0, NULL) == 405);
    CHECK(http(s, "POST /api/nothing HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 0, NULL) == 404);
    const char *bad = "POST /api/execute HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{program:";
    CHECK(http(s, bad, 0, &a) == 400);
    CHECK(strstr(a, "malformed JSON"));
    free(a);
    sv_stop(s);
}

TEST(web_server_refuses_oversized_bodies) {
    sv_server *s = start(2, 4, 2);
    /* announced too large: refused before the body is read */
    CHECK(http(s, "POST /api/execute HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\nConnection: close\r\n\r\n{", 0,
               NULL) == 413);
    /* chunked, growing past the limit */
    size_t n = 200 << 10;
    char *req = ut_malloc(n + 256);
    int h = snprintf(req, 256, "POST /api/execute HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n%zx\r\n",
                     n - 64);
    memset(req + h, 'a', n - 64);
    size_t len = (size_t)h + n - 64;
    len += (size_t)sprintf(req + len, "\r\n0\r\n\r\n");
    char *a;
    CHECK(http(s, req, len, &a) == 413);
    CHECK(a && strstr(a, "too large"));
    free(a);
    free(req);
    sv_stats st;
    sv_get_stats(s, &st);
    CHECK(st.too_large == 2);
    sv_stop(s);
}

TEST(web_server_times_out_slow_clients) {
    sv_server *s = start(2, 4, 2);
    /* half a request line, then silence: the server closes the connection after its 1 s timeout */
    char *a = NULL;
    double t0 = ut_now();
    int st = wl_exchange("127.0.0.1", sv_port(s), "GET / HT", 8, 6, &a, NULL);
    double dt = ut_now() - t0;
    CHECK_MSG(st >= 0 && dt < 4, "status %d after %.2f s: %s", st, dt, st < 0 ? ut_error() : "");
    free(a);
    /* the server still answers */
    CHECK(http(s, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, NULL) == 200);
    sv_stop(s);
}

typedef struct {
    sv_server *s;
    int status;
} slow_call;

static void *slow_request(void *arg) {
    slow_call *c = arg;
    const char *body = "{\"program\": \"while true do end\"}";
    char req[256];
    snprintf(req, sizeof req, "POST /api/execute HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
             strlen(body), body);
    c->status = http(c->s, req, 0, NULL);
    return NULL;
}

TEST(web_server_busy_answers_503_at_once) {
    /* one worker, no queue, programs may run 3 s: an endless program holds the worker */
    sv_server *s = start(1, 0, 3);
    slow_call sc = {s, 0};
    pthread_t th;
    pthread_create(&th, NULL, slow_request, &sc);
    sv_stats st = {0};
    for (int i = 0; i < 200 && st.running == 0; i++) {
        usleep(10000);
        sv_get_stats(s, &st);
    }
    REQUIRE(st.running == 1);
    char *body = plate_body(), req[4096], *a;
    snprintf(req, sizeof req, "POST /api/execute HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
             strlen(body), body);
    double t0 = ut_now();
    CHECK(http(s, req, 0, &a) == 503);
    CHECK(ut_now() - t0 < 0.5);
    CHECK(strstr(a, "Retry-After: 1") && strstr(a, "server busy"));
    free(a);
    pthread_join(th, NULL);
    CHECK_MSG(sc.status == 422, "the endless program: %d", sc.status); /* stopped by the 3 s limit */
    CHECK(http(s, req, 0, NULL) == 200);                                 /* free again */
    free(body);
    sv_stop(s);
}

TEST(web_server_small_load_answers_everything) {
    sv_server *s = start(2, 64, 2);
    char *body = plate_body();
    wl_spec spec = {"127.0.0.1", sv_port(s), "/api/execute", body, 64, 8, 30};
    wl_result r;
    REQUIRE(wl_run(&spec, &r) == 0);
    CHECK_MSG(r.ok == 64 && r.failures == 0 && r.errors == 0, "ok %d errors %d failures %d (%s)", r.ok, r.errors,
              r.failures, r.first_failure);
    CHECK(r.p50_ms > 0 && r.p99_ms >= r.p50_ms);
    CHECK(http(s, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, NULL) == 200);
    free(body);
    sv_stop(s);
}

/* ---- the page in a browser ---- */

TEST(web_page_in_headless_chromium) {
    if (access("/usr/bin/chromium", X_OK) != 0) SKIP("no /usr/bin/chromium (apt-get install chromium)");
    char *out = NULL;
    if (tf_run_cmd("node --version", &out) != 0) {
        free(out);
        SKIP("no node (apt-get install nodejs npm)");
    }
    int major = out[0] == 'v' ? atoi(out + 1) : 0;
    free(out);
    if (major < 20) SKIP("node %d is older than 20, which playwright-core needs", major);
    if (access("web/node_modules/playwright-core", R_OK) != 0) SKIP("no web/node_modules (cd web && npm ci)");
    sv_server *s = start(2, 16, 2);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "node web/test/e2e.mjs --url http://127.0.0.1:%d/ --moves 6 --shots %s", sv_port(s),
             tf_tmpdir());
    int rc = tf_run_cmd(cmd, &out);
    CHECK_MSG(rc == 0 && strstr(out, "e2e: ") && strstr(out, " 0 failed"), "exit %d:\n%s", rc, out);
    free(out);
    sv_stop(s);
}
