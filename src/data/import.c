/* import.c - see import.h: entry points, format detection, the report, JSON helpers. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/tol.h"
#include "data/import_int.h"
#include "geom/validate.h"

void im_report_free(im_report *r) {
    if (!r) return;
    for (int i = 0; i < r->nwarnings; i++) free(r->warnings[i]);
    for (int i = 0; i < r->nfeatures; i++) free(r->features[i]);
    free(r->warnings);
    free(r->features);
    free(r->profiles);
    memset(r, 0, sizeof *r);
}

static const char *im_names[] = {"auto", "deepcad", "fusion", "text2cad"};

const char *im_format_name(im_format f) { return (unsigned)f < 4 ? im_names[f] : "?"; }

int im_format_parse(const char *s, im_format *f) {
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, im_names[i])) {
            *f = (im_format)i;
            return 0;
        }
    return -1;
}

/* ---- messages ---- */

static char *im_vfmt(const char *fmt, va_list ap) {
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    return ut_strdup(buf);
}

void im_warn(im_ctx *x, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = im_vfmt(fmt, ap);
    va_end(ap);
    if (x->feature) {
        size_t n = strlen(msg) + strlen(x->feature) + 32;
        char *full = ut_malloc(n);
        snprintf(full, n, "feature '%s': %s", x->feature, msg);
        free(msg);
        msg = full;
    }
    *UT_PUSH(x->rep->warnings, x->rep->nwarnings, x->rep->cap_warnings) = msg;
}

int im_fail(im_ctx *x, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = im_vfmt(fmt, ap);
    va_end(ap);
    if (x->feature) ut_fail("feature '%s': %s", x->feature, msg);
    else ut_fail("%s", msg);
    free(msg);
    return -1;
}

void im_add_feature(im_ctx *x, const char *name) {
    *UT_PUSH(x->rep->features, x->rep->nfeatures, x->rep->cap_features) = ut_strdup(name ? name : "?");
    x->line = x->rep->nfeatures;
    x->feature = x->rep->features[x->line - 1];
}

/* ---- JSON helpers ---- */

int im_num(const cJSON *o, const char *key, double *v) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(it)) return ut_fail("missing number '%s'", key);
    if (!isfinite(it->valuedouble)) return ut_fail("'%s' is not finite", key);
    *v = it->valuedouble;
    return 0;
}

double im_num_or(const cJSON *o, const char *key, double dflt) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(it) && isfinite(it->valuedouble) ? it->valuedouble : dflt;
}

int im_xyz(const cJSON *o, const char *key, double v[3]) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsObject(p)) return ut_fail("missing point '%s'", key);
    static const char *k[3] = {"x", "y", "z"};
    for (int i = 0; i < 3; i++)
        if (im_num(p, k[i], &v[i])) return ut_fail("point '%s': missing or bad '%s'", key, k[i]);
    return 0;
}

int im_vec(const cJSON *o, const char *key, double *v, int n) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n) return ut_fail("'%s' is not an array of %d numbers", key, n);
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(a, i);
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble)) return ut_fail("'%s' is not an array of %d numbers", key, n);
        v[i] = e->valuedouble;
    }
    return 0;
}

const char *im_str(const cJSON *o, const char *key) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

int im_op_parse(const char *s, cad_op *op) {
    static const char *names[] = {"NewBodyFeatureOperation", "JoinFeatureOperation", "CutFeatureOperation",
                                  "IntersectFeatureOperation"};
    for (int i = 0; s && i < 4; i++)
        if (!strcmp(s, names[i])) {
            *op = (cad_op)i;
            return 0;
        }
    return -1;
}

int im_extent_two(double a, double b, cad_extent_kind *k, double *d1, double *d2) {
    /* side one covers [min(0,a), max(0,a)], side two [min(0,-b), max(0,-b)]; both touch w = 0 */
    double lo = fmin(0.0, fmin(a, -b)), hi = fmax(0.0, fmax(a, -b));
    if (!(hi - lo > tol_fine(fmax(1.0, fmax(fabs(lo), fabs(hi)))))) return 1;
    if (lo == 0.0) {
        *k = CAD_EXT_ONE, *d1 = hi, *d2 = 0;
    } else if (hi == 0.0) {
        *k = CAD_EXT_ONE, *d1 = lo, *d2 = 0;
    } else {
        *k = CAD_EXT_TWO, *d1 = hi, *d2 = -lo;
    }
    return 0;
}

/* ---- detection and entry points ---- */

static int im_detect_root(const cJSON *root) {
    if (!cJSON_IsObject(root)) return ut_fail("the top level is not a JSON object");
    if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "parts"))) return IM_TEXT2CAD;
    if (cJSON_HasObjectItem(root, "timeline") || cJSON_HasObjectItem(root, "metadata")) return IM_FUSION;
    const cJSON *ent = cJSON_GetObjectItemCaseSensitive(root, "entities");
    if (cJSON_IsObject(ent) && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "sequence"))) {
        const cJSON *bb = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "properties"), "bounding_box");
        const char *t = im_str(cJSON_GetObjectItemCaseSensitive(bb, "max_point"), "type");
        return t && !strcmp(t, "Point3D") ? IM_FUSION : IM_DEEPCAD;
    }
    return ut_fail("unrecognised JSON: expected \"entities\" + \"sequence\" (DeepCAD), \"timeline\" or \"metadata\" "
                   "(Fusion 360) or \"parts\" (Text2CAD)");
}

static cJSON *im_parse_json(const char *text) {
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (root) return root;
    int line = 1, col = 1;
    if (end)
        for (const char *p = text; p < end && *p; p++) {
            if (*p == '\n') line++, col = 1;
            else col++;
        }
    ut_fail("malformed JSON at line %d, column %d", line, col);
    return NULL;
}

int im_detect(const char *text) {
    cJSON *root = im_parse_json(text);
    if (!root) return -1;
    int f = im_detect_root(root);
    cJSON_Delete(root);
    return f;
}

int im_parse(const char *text, const char *name, const im_options *opt, cad_model *out, im_report *rep) {
    static const im_options dflt = {IM_AUTO, 1.0};
    im_report local;
    if (!opt) opt = &dflt;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof *rep);
    cad_init(out);
    if (!name) name = "(json)";
    cJSON *root = im_parse_json(text);
    if (!root) {
        if (rep == &local) im_report_free(rep);
        return ut_fail("%s: %s", name, ut_error());
    }
    int f = opt->format != IM_AUTO ? (int)opt->format : im_detect_root(root);
    int rc = -1;
    if (f > 0) {
        rep->format = (im_format)f;
        im_ctx x = {out, rep, opt, 1.0, 0, NULL};
        if (f == IM_TEXT2CAD) {
            x.unit = opt->text2cad_mm > 0 ? opt->text2cad_mm : 1.0;
            rc = im_read_text2cad(&x, root);
        } else {
            x.unit = f == IM_DEEPCAD ? 1000.0 : 10.0;
            rc = im_read_entities(&x, root, (im_format)f);
        }
        if (rc == 0 && out->nextrudes == 0) rc = ut_fail("no buildable extrude (%d extrude feature%s, %d without profiles)",
                                                         rep->extrudes_in, rep->extrudes_in == 1 ? "" : "s", rep->skipped_empty);
    }
    cJSON_Delete(root);
    if (rep == &local) im_report_free(rep);
    if (rc) return ut_fail("%s: %s", name, ut_error());
    return 0;
}

char *im_read_json_file(const char *path, size_t *len) { return ut_read_file_max(path, IM_MAX_FILE, len); }

int im_load(const char *path, const im_options *opt, cad_model *out, im_report *rep) {
    cad_init(out);
    if (rep) memset(rep, 0, sizeof *rep);
    size_t len;
    char *text = im_read_json_file(path, &len);
    if (!text) return -1;
    if (strlen(text) != len) {
        free(text);
        return ut_fail("%s: malformed JSON (the file contains a NUL byte)", path);
    }
    int rc = im_parse(text, path, opt, out, rep);
    free(text);
    return rc;
}

int im_validate(cad_model *m, const im_report *rep) {
    if (va_validate(m) == 0) return 0;
    int line = 0, used = 0;
    const char *e = ut_error();
    if (sscanf(e, "line %d: %n", &line, &used) >= 1 && used > 0 && rep && line >= 1 && line <= rep->nfeatures)
        return ut_fail("feature '%s' (extrude feature %d): %s", rep->features[line - 1], line, e + used);
    return -1;
}
