/* api.c - the page's JSON endpoints (api.h): execute, parameters, export, generate. */
#include "web/api.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hmap.h"
#include "base/image.h"
#include "base/util.h"
#include "cad/params.h"
#include "eval/occt.h"
#include "geom/mesh.h"
#include "geom/render.h"
#include "geom/solid.h"
#include "model/level.h"

#define WA_CHUNK "program" /* the chunk name of every program: errors read "program:12: ..." */

void wa_default_config(wa_config *c) {
    memset(c, 0, sizeof *c);
    ex_default_limits(&c->limits);
    c->limits.max_seconds = 2;
    c->limits.max_extrudes = 64;
    c->limits.max_curves = 5000;
    c->step_timeout_s = 30;
}

void wa_reply_free(wa_reply *r) {
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* a reply whose body is the printed JSON (j is freed) */
static void wa_json(wa_reply *r, int status, cJSON *j) {
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    r->status = status;
    r->type = "application/json";
    r->body = (unsigned char *)s;
    r->len = strlen(s);
    r->filename[0] = 0;
}

static cJSON *wa_error_json(int line, const char *msg) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "error", msg);
    if (line > 0) cJSON_AddNumberToObject(j, "line", line);
    return j;
}

void wa_error(wa_reply *r, int status, int line, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wa_json(r, status, wa_error_json(line, msg));
}

int wa_error_line(const char *msg) {
    size_t n = strlen(WA_CHUNK);
    if (strncmp(msg, WA_CHUNK, n) != 0 || msg[n] != ':') return 0;
    char *end;
    long line = strtol(msg + n + 1, &end, 10);
    return end > msg + n + 1 && *end == ':' && line > 0 && line < 1L << 30 ? (int)line : 0;
}

/* the body as a JSON object with a string field "program"; on failure the reply is filled */
static cJSON *wa_request(const char *body, size_t len, const char **prog, wa_reply *r) {
    cJSON *j = cJSON_ParseWithLength(body, len);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        wa_error(r, 400, 0, "malformed JSON: the body must be one JSON object");
        return NULL;
    }
    if (prog) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "program");
        if (!cJSON_IsString(p)) {
            cJSON_Delete(j);
            wa_error(r, 400, 0, "missing field \"program\" (a string)");
            return NULL;
        }
        *prog = p->valuestring;
    }
    return j;
}

static int wa_flag(const cJSON *j, const char *key, int dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

/* ---- text buffers for the number arrays (cJSON would print 17 digits per float) ---- */
typedef struct {
    char *s;
    size_t n, cap;
} wa_buf;

static void wa_putf(wa_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wa_putf(wa_buf *b, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (b->s && (size_t)k < b->cap - b->n) {
            b->n += (size_t)k;
            return;
        }
        b->cap = (b->cap + (size_t)k + 1) * 2;
        b->s = ut_realloc(b->s, b->cap);
    }
}

/* ---- base64 ---- */
static const char wa_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *wa_base64(const unsigned char *p, size_t n, const char *prefix) {
    size_t pl = strlen(prefix), m = (n + 2) / 3 * 4;
    char *s = ut_malloc(pl + m + 1), *o = s + pl;
    memcpy(s, prefix, pl);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        *o++ = wa_b64[v >> 18 & 63];
        *o++ = wa_b64[v >> 12 & 63];
        *o++ = i + 1 < n ? wa_b64[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? wa_b64[v & 63] : '=';
    }
    *o = 0;
    return s;
}

/* decodes base64 text (padding optional, no other characters); NULL if it is not base64 */
static unsigned char *wa_unbase64(const char *s, size_t *len) {
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '=') n--;
    unsigned char *out = ut_malloc(n * 3 / 4 + 3);
    size_t k = 0;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        const char *c = s[i] ? strchr(wa_b64, s[i]) : NULL;
        if (!c) {
            free(out);
            return NULL;
        }
        v = v << 6 | (unsigned)(c - wa_b64);
        if (i % 4 == 3) out[k++] = (unsigned char)(v >> 16), out[k++] = (unsigned char)(v >> 8), out[k++] = (unsigned char)v;
    }
    if (n % 4 == 1) {
        free(out);
        return NULL;
    }
    if (n % 4 == 2) out[k++] = (unsigned char)(v >> 4);
    if (n % 4 == 3) out[k++] = (unsigned char)(v >> 10), out[k++] = (unsigned char)(v >> 2);
    *len = k;
    return out;
}

/* ---- execute ---- */

static cJSON *wa_params_json(const char *src, size_t len) {
    pr_param *p = NULL;
    int n = 0;
    cJSON *a = cJSON_CreateArray();
    if (pr_scan(src, len, &p, &n) < 0) return a;
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", p[i].name);
        cJSON_AddNumberToObject(o, "value", p[i].value);
        cJSON_AddNumberToObject(o, "line", p[i].line);
        cJSON_AddNumberToObject(o, "col", p[i].col);
        cJSON_AddNumberToObject(o, "len", (double)(p[i].end - p[i].start));
        cJSON_AddNumberToObject(o, "decimals", p[i].decimals);
        cJSON_AddNumberToObject(o, "min", p[i].lo);
        cJSON_AddNumberToObject(o, "max", p[i].hi);
        cJSON_AddNumberToObject(o, "step", p[i].step);
        cJSON_AddItemToArray(a, o);
    }
    free(p);
    return a;
}

/* unit normal of triangle t */
static void wa_normal(const ms_mesh *m, int t, double n[3]) {
    const double *a = m->v + 3 * m->t[3 * t], *b = m->v + 3 * m->t[3 * t + 1], *c = m->v + 3 * m->t[3 * t + 2];
    double u[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]}, w[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    n[0] = u[1] * w[2] - u[2] * w[1];
    n[1] = u[2] * w[0] - u[0] * w[2];
    n[2] = u[0] * w[1] - u[1] * w[0];
    double l = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    for (int k = 0; k < 3; k++) n[k] = l > 0 ? n[k] / l : 0;
}

/* "a,b,c,d": the feature edges as index pairs (each undirected edge once) */
static void wa_edges(const ms_mesh *m, wa_buf *b) {
    hm_map first = {0};
    hm_init(&first, (size_t)m->nt * 3 / 2 + 1);
    double cmax = cos(WA_EDGE_DEG * M_PI / 180);
    int any = 0;
    for (int t = 0; t < m->nt; t++)
        for (int e = 0; e < 3; e++) {
            int a = m->t[3 * t + e], c = m->t[3 * t + (e + 1) % 3];
            uint64_t key = (uint64_t)(a < c ? a : c) << 32 | (uint32_t)(a < c ? c : a);
            int added;
            int64_t *other = hm_upsert(&first, key, t, &added);
            if (added) continue;
            double n1[3], n2[3];
            wa_normal(m, (int)*other, n1);
            wa_normal(m, t, n2);
            if (n1[0] * n2[0] + n1[1] * n2[1] + n1[2] * n2[2] < cmax) {
                wa_putf(b, "%s%d,%d", any ? "," : "", a, c);
                any = 1;
            }
        }
    hm_free(&first);
}

/* {"positions": [...], "indices": [...], "edges": [...]} as JSON text (malloc'd) */
static char *wa_mesh_json(const ms_mesh *m) {
    wa_buf b = {0};
    wa_putf(&b, "{\"positions\":[");
    for (int i = 0; i < 3 * m->nv; i++) wa_putf(&b, "%s%.7g", i ? "," : "", m->v[i]);
    wa_putf(&b, "],\"indices\":[");
    for (int i = 0; i < 3 * m->nt; i++) wa_putf(&b, "%s%d", i ? "," : "", m->t[i]);
    wa_putf(&b, "],\"edges\":[");
    wa_edges(m, &b);
    wa_putf(&b, "]}");
    return b.s;
}

/* the sheet as a PNG data URL, NULL + ut_error() on failure */
static char *wa_sheet(const ms_mesh *m) {
    img_rgb img = {0};
    unsigned char *png = NULL;
    size_t n = 0;
    char *url = NULL;
    if (rd_sheet(m, WA_SHEET_SIDE, WA_SHEET_SIDE, &img) == 0 && img_png_encode(&img, &png, &n) == 0)
        url = wa_base64(png, n, "data:image/png;base64,");
    free(png);
    img_free(&img);
    return url;
}

/* fills o with the part's measurements, mesh and sheet; -1 + ut_error() when meshing fails */
static int wa_part(const cad_model *m, int want_mesh, int want_sheet, cJSON *o, double *mesh_ms) {
    double t0 = ut_now();
    ms_mesh mesh = {0};
    if (ms_from_model(m, MS_DEFAULT_TOL, &mesh) < 0) return ut_fail("meshing failed: %s", ut_error());
    *mesh_ms = (ut_now() - t0) * 1e3;
    lv_info info;
    cJSON_AddStringToObject(o, "level", lv_name(lv_classify(m, &info)));
    sd_solid *s = sd_build(m);
    cJSON_AddNumberToObject(o, "volume", s ? sd_volume(s) : ms_volume(&mesh));
    sd_free(s);
    double lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
    ms_bbox(&mesh, lo, hi);
    cJSON *bb = cJSON_AddObjectToObject(o, "bbox");
    cJSON_AddItemToObject(bb, "min", cJSON_CreateDoubleArray(lo, 3));
    cJSON_AddItemToObject(bb, "max", cJSON_CreateDoubleArray(hi, 3));
    cJSON_AddNumberToObject(o, "triangles", mesh.nt);
    if (want_mesh) {
        char *mj = wa_mesh_json(&mesh);
        cJSON_AddRawToObject(o, "mesh", mj);
        free(mj);
    }
    if (want_sheet) {
        char *url = wa_sheet(&mesh);
        if (url) cJSON_AddStringToObject(o, "sheet", url);
        free(url);
    }
    ms_free(&mesh);
    return 0;
}

void wa_execute(const wa_config *c, const char *body, size_t len, wa_reply *r) {
    double t0 = ut_now();
    const char *src;
    cJSON *req = wa_request(body, len, &src, r);
    if (!req) return;
    size_t slen = strlen(src);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "params", wa_params_json(src, slen));
    cad_model m;
    ex_stats st = {0};
    int status = 200;
    double mesh_ms = 0;
    if (ex_run_stats(src, slen, WA_CHUNK, &c->limits, &m, &st) < 0) status = 422;
    else {
        if (wa_part(&m, wa_flag(req, "mesh", 1), wa_flag(req, "sheet", 0), o, &mesh_ms) < 0) status = 422;
        cad_free(&m);
    }
    if (status != 200) {
        cJSON_AddStringToObject(o, "error", ut_error());
        int line = wa_error_line(ut_error());
        if (line > 0) cJSON_AddNumberToObject(o, "line", line);
    }
    cJSON *ms = cJSON_AddObjectToObject(o, "ms");
    cJSON_AddNumberToObject(ms, "exec", st.seconds * 1e3);
    cJSON_AddNumberToObject(ms, "mesh", mesh_ms);
    cJSON_AddNumberToObject(ms, "total", (ut_now() - t0) * 1e3);
    cJSON_Delete(req);
    wa_json(r, status, o);
}

void wa_params(const wa_config *c, const char *body, size_t len, wa_reply *r) {
    (void)c;
    const char *src;
    cJSON *req = wa_request(body, len, &src, r);
    if (!req) return;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "params", wa_params_json(src, strlen(src)));
    cJSON_Delete(req);
    wa_json(r, 200, o);
}

/* ---- export ---- */

static const char *const wa_formats[] = {"stl", "obj", "step", "lua", NULL};
static const char *const wa_types[] = {"model/stl", "model/obj", "model/step", "text/x-lua; charset=utf-8"};

/* writes the model as format k into a private temporary folder and reads it back into r */
static void wa_export_file(const wa_config *c, const cad_model *m, int k, wa_reply *r) {
    char dir[] = "/tmp/recad-export-XXXXXX", path[64];
    if (!mkdtemp(dir)) {
        wa_error(r, 500, 0, "cannot create a temporary folder");
        return;
    }
    snprintf(path, sizeof path, "%s/part.%s", dir, wa_formats[k]);
    int rc = -1;
    if (k == 2) {
        oc_props p;
        oc_options o = {c->step_timeout_s, path};
        rc = oc_measure(m, &o, &p);
    } else {
        ms_mesh mesh = {0};
        rc = ms_from_model(m, MS_DEFAULT_TOL, &mesh);
        if (rc == 0) rc = k == 0 ? ms_write_stl(&mesh, path) : ms_write_obj(&mesh, path);
        ms_free(&mesh);
    }
    size_t n = 0;
    char *data = rc == 0 ? ut_read_file(path, &n) : NULL;
    if (data) {
        r->status = 200;
        r->type = wa_types[k];
        r->body = (unsigned char *)data;
        r->len = n;
        snprintf(r->filename, sizeof r->filename, "part.%s", wa_formats[k]);
    } else
        wa_error(r, 422, wa_error_line(ut_error()), "%s export failed: %s", wa_formats[k], ut_error());
    unlink(path);
    rmdir(dir);
}

void wa_export(const wa_config *c, const char *body, size_t len, wa_reply *r) {
    const char *src;
    cJSON *req = wa_request(body, len, &src, r);
    if (!req) return;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(req, "format");
    int k = -1;
    for (int i = 0; cJSON_IsString(f) && wa_formats[i]; i++)
        if (!strcmp(f->valuestring, wa_formats[i])) k = i;
    cad_model m;
    if (k < 0) wa_error(r, 400, 0, "field \"format\" must be one of stl, obj, step, lua");
    else if (k == 2 && !oc_binary()) wa_error(r, 503, 0, "STEP export is not available: %s", ut_error());
    else if (ex_run(src, strlen(src), WA_CHUNK, &c->limits, &m) < 0) wa_error(r, 422, wa_error_line(ut_error()), "%s", ut_error());
    else {
        if (k == 3) {
            r->status = 200;
            r->type = wa_types[3];
            r->body = (unsigned char *)ut_strdup(src);
            r->len = strlen(src);
            snprintf(r->filename, sizeof r->filename, "part.lua");
        } else
            wa_export_file(c, &m, k, r);
        cad_free(&m);
    }
    cJSON_Delete(req);
}

/* ---- generate ---- */

void wa_generate(const wa_config *c, const char *body, size_t len, wa_reply *r) {
    cJSON *req = wa_request(body, len, NULL, r);
    if (!req) return;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(req, "prompt"), *im = cJSON_GetObjectItemCaseSensitive(req, "image");
    const char *prompt = cJSON_IsString(p) && p->valuestring[0] ? p->valuestring : NULL;
    unsigned char *image = NULL;
    size_t image_len = 0;
    if (cJSON_IsString(im) && im->valuestring[0]) {
        const char *comma = strstr(im->valuestring, ";base64,");
        if (strncmp(im->valuestring, "data:image/", 11) != 0 || !comma ||
            !(image = wa_unbase64(comma + 8, &image_len))) {
            wa_error(r, 400, 0, "field \"image\" must be a data:image/...;base64,... URL");
            cJSON_Delete(req);
            return;
        }
    }
    char *prog = NULL;
    if (!prompt && !image) wa_error(r, 400, 0, "give a \"prompt\" (text) or an \"image\"");
    else if (!c->generate) wa_error(r, 503, 0, "no generation model loaded");
    else if (c->generate(c->generate_ctx, prompt, image, image_len, &prog) < 0 || !prog)
        wa_error(r, 422, 0, "generation failed: %s", ut_error());
    else {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "program", prog);
        wa_json(r, 200, o);
    }
    free(prog);
    free(image);
    cJSON_Delete(req);
}
