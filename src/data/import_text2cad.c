/* im_text2cad.c - Text2CAD "minimal JSON": parts -> coordinate_system + sketch + extrusion.
 *
 * coordinate_system: "Euler Angles" [a, b, c] in degrees, the "zyx" extrinsic convention
 * (R = Rx(c) Ry(b) Rz(a)); the ROWS of R are the sketch x axis, y axis and normal;
 * "Translation Vector" is the sketch origin. Sketch points are stored already multiplied by
 * sketch_scale (which equals the larger sketch extent; checked, warned if not). Extrusion:
 * extrude_depth_towards_normal along +normal, extrude_depth_opposite_normal along -normal.
 * Parts, faces, loops and curves are taken in the numeric order of their key suffixes
 * ("part_2" before "part_10"); curves are chained geometrically anyway. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/import_int.h"

#define IM_DEG (3.14159265358979323846 / 180.0)

typedef struct {
    long num;
    const cJSON *item;
} im_key;

static int im_key_cmp(const void *a, const void *b) {
    const im_key *x = a, *y = b;
    return x->num < y->num ? -1 : x->num > y->num;
}

/* children of object o sorted by the number after the last '_' in their key; returns count */
static int im_sorted(const cJSON *o, im_key **out) {
    int n = 0, cap = 0;
    im_key *k = NULL;
    const cJSON *c;
    cJSON_ArrayForEach(c, o) {
        if (cJSON_IsNull(c)) continue;
        const char *us = c->string ? strrchr(c->string, '_') : NULL;
        im_key *t = UT_PUSH(k, n, cap);
        t->num = us ? strtol(us + 1, NULL, 10) : n;
        t->item = c;
    }
    if (n) qsort(k, (size_t)n, sizeof *k, im_key_cmp); /* part/face/loop numbers are distinct */
    *out = k;
    return n;
}

static int im_pt(im_ctx *x, const cJSON *cv, const char *key, double p[2]) {
    if (im_vec(cv, key, p, 2)) return im_fail(x, "curve %s: %s", cv->string, ut_error());
    p[0] *= x->unit, p[1] *= x->unit;
    return 0;
}

static int im_t2c_curve(im_ctx *x, const cJSON *cv, im_loop *l) {
    const char *name = cv->string ? cv->string : "";
    double s[2], m[2], e[2];
    if (!strncmp(name, "line", 4)) {
        if (im_pt(x, cv, "Start Point", s) || im_pt(x, cv, "End Point", e)) return -1;
        double p[4] = {s[0], s[1], e[0], e[1]};
        im_loop_push(l, CAD_LINE, p);
    } else if (!strncmp(name, "arc", 3)) {
        if (im_pt(x, cv, "Start Point", s) || im_pt(x, cv, "Mid Point", m) || im_pt(x, cv, "End Point", e)) return -1;
        double p[6] = {s[0], s[1], m[0], m[1], e[0], e[1]};
        im_loop_push(l, CAD_ARC, p);
    } else if (!strncmp(name, "circle", 6)) {
        double r;
        if (im_pt(x, cv, "Center", s) || im_num(cv, "Radius", &r)) return im_fail(x, "curve %s: %s", name, ut_error());
        if (!(r > 0)) return im_fail(x, "curve %s has radius %g", name, r);
        double p[3] = {s[0], s[1], r * x->unit};
        im_loop_push(l, CAD_CIRCLE, p);
    } else {
        return im_fail(x, "curve '%s' is not a line, arc or circle", name);
    }
    return 0;
}

static int im_t2c_face(im_ctx *x, const cJSON *face, const char *fname) {
    im_key *lk;
    int nl = im_sorted(face, &lk), rc = 0;
    im_loop *ls = ut_calloc((size_t)(nl ? nl : 1), sizeof *ls);
    for (int i = 0; i < nl && !rc; i++) {
        const cJSON *cv; /* curves in file order: "line_1", "arc_1", "line_2" share numbers */
        cJSON_ArrayForEach(cv, lk[i].item) if (!rc && !cJSON_IsNull(cv)) rc = im_t2c_curve(x, cv, &ls[i]);
    }
    int f = rc ? -1 : im_add_face(x, ls, nl, fname);
    im_loops_free(ls, nl);
    free(ls);
    free(lk);
    return f < 0 ? -1 : 0;
}

/* rows of R = Rx(c) Ry(b) Rz(a) */
static void im_euler_axes(const double ang[3], double ax[3], double ay[3], double az[3]) {
    double ca = cos(ang[0] * IM_DEG), sa = sin(ang[0] * IM_DEG);
    double cb = cos(ang[1] * IM_DEG), sb = sin(ang[1] * IM_DEG);
    double cc = cos(ang[2] * IM_DEG), sc = sin(ang[2] * IM_DEG);
    double Rz[9] = {ca, -sa, 0, sa, ca, 0, 0, 0, 1}, Ry[9] = {cb, 0, sb, 0, 1, 0, -sb, 0, cb};
    double Rx[9] = {1, 0, 0, 0, cc, -sc, 0, sc, cc}, T[9] = {0}, R[9] = {0};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++) T[3 * i + j] += Ry[3 * i + k] * Rz[3 * k + j];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++) R[3 * i + j] += Rx[3 * i + k] * T[3 * k + j];
    for (int k = 0; k < 3; k++) ax[k] = R[k], ay[k] = R[3 + k], az[k] = R[6 + k];
}

static void im_check_scale(im_ctx *x, int f0, double scale) {
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    const cad_model *m = x->m;
    for (int f = f0; f < m->nfaces; f++) {
        const cad_loop *l = &m->loops[m->faces[f].first];
        for (int c = l->first; c < l->first + l->n; c++) {
            const cad_curve *cv = &m->curves[c];
            double r = cv->kind == CAD_CIRCLE ? cv->p[2] : 0;
            int np = cv->kind == CAD_CIRCLE ? 1 : cv->kind == CAD_LINE ? 2 : 3;
            for (int k = 0; k < np; k++)
                for (int d = 0; d < 2; d++) lo[d] = fmin(lo[d], cv->p[2 * k + d] - r), hi[d] = fmax(hi[d], cv->p[2 * k + d] + r);
        }
    }
    double ext = fmax(hi[0] - lo[0], hi[1] - lo[1]);
    if (scale > 0 && fabs(ext - scale) > 0.01 * scale)
        im_warn(x, "sketch_scale %g differs from the sketch's extent %g (file units); coordinates used as stored",
                scale / x->unit, ext / x->unit);
}

static int im_t2c_part(im_ctx *x, const cJSON *part) {
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(part, "coordinate_system");
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(part, "extrusion");
    const cJSON *sk = cJSON_GetObjectItemCaseSensitive(part, "sketch");
    double ang[3], t[3], ax[3], ay[3], az[3], da, db;
    if (im_vec(cs, "Euler Angles", ang, 3) || im_vec(cs, "Translation Vector", t, 3))
        return im_fail(x, "coordinate_system: %s", ut_error());
    if (im_num(ex, "extrude_depth_towards_normal", &da) || im_num(ex, "extrude_depth_opposite_normal", &db))
        return im_fail(x, "extrusion: %s", ut_error());
    const char *opname = im_str(ex, "operation");
    cad_op op;
    if (im_op_parse(opname, &op)) return im_fail(x, "operation '%s' is not supported", opname ? opname : "(missing)");
    if (!cJSON_IsObject(sk) || cJSON_GetArraySize(sk) == 0) {
        x->rep->skipped_empty++;
        im_warn(x, "skipped: the part has no sketch face");
        return 0;
    }
    cad_extent_kind kind;
    double d1, d2;
    if (im_extent_two(da * x->unit, db * x->unit, &kind, &d1, &d2)) {
        x->rep->skipped_other++;
        im_warn(x, "skipped: zero extrude depth");
        return 0;
    }
    im_euler_axes(ang, ax, ay, az);
    for (int k = 0; k < 3; k++) t[k] *= x->unit;
    cad_plane pl;
    if (cad_plane_make(&pl, t, ax, az)) return im_fail(x, "coordinate_system: %s", ut_error());
    im_key *fk;
    int nf = im_sorted(sk, &fk), f0 = x->m->nfaces, rc = 0;
    for (int i = 0; i < nf && !rc; i++) rc = im_t2c_face(x, fk[i].item, fk[i].item->string ? fk[i].item->string : "?");
    free(fk);
    if (rc) return -1;
    im_check_scale(x, f0, im_num_or(ex, "sketch_scale", 0) * x->unit);
    int s = cad_add_sketch(x->m, &pl, f0, x->m->nfaces - f0, x->line);
    cad_add_extrude(x->m, s, kind, d1, d2, op, x->line);
    if (op == CAD_INTERSECT) x->rep->has_intersect = 1;
    return 0;
}

int im_read_text2cad(im_ctx *x, const cJSON *root) {
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(root, "parts");
    if (!cJSON_IsObject(parts)) return ut_fail("missing \"parts\" object");
    im_key *pk;
    int n = im_sorted(parts, &pk), rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        x->rep->extrudes_in++;
        im_add_feature(x, pk[i].item->string);
        rc = cJSON_IsObject(pk[i].item) ? im_t2c_part(x, pk[i].item) : im_fail(x, "the part is not an object");
    }
    free(pk);
    x->feature = NULL;
    return rc;
}
