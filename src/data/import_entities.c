/* im_entities.c - DeepCAD cad_json and Fusion 360 Gallery reconstruction JSON (one schema:
 * "entities" of Sketch / ExtrudeFeature, a feature order, profiles of Line3D / Arc3D / Circle3D).
 *
 * Differences handled here: units (DeepCAD metres, Fusion centimetres), feature order (DeepCAD
 * "sequence"; Fusion "timeline", else the ExtrudeFeature items of "sequence"), arc sense (DeepCAD
 * counter-clockwise, world-space "normal" ignored; Fusion the sign of the sketch-space normal's z),
 * Fusion's offset start planes, profile properties and sketch point references. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/import_int.h"
#include "geom/sketch.h"

/* ---- feature order ---- */

typedef struct {
    double index;
    int pos;
    const char *entity;
} im_item;

static int im_item_cmp(const void *a, const void *b) {
    const im_item *x = a, *y = b;
    if (x->index != y->index) return x->index < y->index ? -1 : 1;
    return x->pos - y->pos;
}

/* the ids of the ExtrudeFeature entities in feature order; returns count or -1 */
static int im_order(const cJSON *root, const cJSON *ents, im_format f, im_item **out) {
    const cJSON *tl = cJSON_GetObjectItemCaseSensitive(root, "timeline");
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(root, "sequence");
    const cJSON *list = f == IM_FUSION && cJSON_IsArray(tl) ? tl : seq;
    if (!cJSON_IsArray(list)) return ut_fail("missing \"%s\" array", f == IM_FUSION ? "timeline" : "sequence");
    int n = 0, cap = 0, pos = 0;
    im_item *it = NULL;
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        const char *id = im_str(e, "entity");
        const cJSON *ent = id ? cJSON_GetObjectItemCaseSensitive(ents, id) : NULL;
        pos++;
        if (!ent) {
            free(it);
            return ut_fail("feature list item %d names an entity that \"entities\" does not hold", pos - 1);
        }
        const char *type = im_str(ent, "type");
        if (!type || strcmp(type, "ExtrudeFeature")) continue;
        im_item *t = UT_PUSH(it, n, cap);
        t->index = im_num_or(e, "index", pos);
        t->pos = pos;
        t->entity = id;
    }
    if (n) qsort(it, (size_t)n, sizeof *it, im_item_cmp);
    *out = it;
    return n;
}

/* ---- sketches ---- */

static int im_plane(im_ctx *x, const cJSON *sk, double offset, cad_plane *pl) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(sk, "transform");
    double o[3], ax[3], az[3];
    if (im_xyz(t, "origin", o) || im_xyz(t, "x_axis", ax) || im_xyz(t, "z_axis", az))
        return im_fail(x, "sketch '%s' transform: %s", im_str(sk, "name"), ut_error());
    for (int k = 0; k < 3; k++) o[k] *= x->unit;
    if (cad_plane_make(pl, o, ax, az)) return im_fail(x, "sketch '%s' transform: %s", im_str(sk, "name"), ut_error());
    double ay[3];
    if (!im_xyz(t, "y_axis", ay) && ay[0] * pl->y[0] + ay[1] * pl->y[1] + ay[2] * pl->y[2] < 0.999)
        im_warn(x, "sketch '%s': y_axis is not z_axis x x_axis; using z_axis x x_axis", im_str(sk, "name"));
    for (int k = 0; k < 3; k++) pl->origin[k] += offset * pl->n[k];
    return 0;
}

/* Fusion: every point a sketch curve refers to must exist (a dangling one means a corrupt file) */
static int im_check_points(im_ctx *x, const cJSON *sk) {
    const cJSON *pts = cJSON_GetObjectItemCaseSensitive(sk, "points");
    const cJSON *crv = cJSON_GetObjectItemCaseSensitive(sk, "curves");
    if (!cJSON_IsObject(pts) || !cJSON_IsObject(crv)) return 0;
    static const char *keys[] = {"start_point", "end_point", "center_point"};
    const cJSON *c;
    cJSON_ArrayForEach(c, crv) for (int k = 0; k < 3; k++) {
        const char *id = im_str(c, keys[k]);
        if (id && !cJSON_GetObjectItemCaseSensitive(pts, id))
            return im_fail(x, "sketch '%s': curve %s refers to point %s, which the sketch does not define (corrupt sketch)",
                           im_str(sk, "name"), c->string, id);
    }
    return 0;
}

static int im_curve(im_ctx *x, const cJSON *cv, im_loop *l) {
    const char *type = im_str(cv, "type");
    double u = x->unit, s[3], e[3], c[3], r;
    if (!type) return im_fail(x, "profile curve without a type");
    if (!strcmp(type, "Line3D")) {
        if (im_xyz(cv, "start_point", s) || im_xyz(cv, "end_point", e)) return im_fail(x, "Line3D: %s", ut_error());
        double p[4] = {s[0] * u, s[1] * u, e[0] * u, e[1] * u};
        im_loop_push(l, CAD_LINE, p);
        return 0;
    }
    if (!strcmp(type, "Circle3D")) {
        if (im_xyz(cv, "center_point", c) || im_num(cv, "radius", &r)) return im_fail(x, "Circle3D: %s", ut_error());
        if (!(r > 0)) return im_fail(x, "Circle3D with radius %g", r);
        double p[3] = {c[0] * u, c[1] * u, r * u};
        im_loop_push(l, CAD_CIRCLE, p);
        return 0;
    }
    if (!strcmp(type, "Arc3D")) {
        double ref[3], nrm[3] = {0, 0, 1}, a0, a1;
        if (im_xyz(cv, "center_point", c) || im_num(cv, "radius", &r) || im_xyz(cv, "reference_vector", ref) ||
            im_num(cv, "start_angle", &a0) || im_num(cv, "end_angle", &a1))
            return im_fail(x, "Arc3D: %s", ut_error());
        int have = !im_xyz(cv, "start_point", s) && !im_xyz(cv, "end_point", e);
        double sense = 1; /* DeepCAD: counter-clockwise in the sketch frame; its normal is world-space noise */
        if (x->rep->format == IM_FUSION && !im_xyz(cv, "normal", nrm) && nrm[2] < 0) sense = -1;
        double cc[2] = {c[0] * u, c[1] * u}, ss[2] = {s[0] * u, s[1] * u}, ee[2] = {e[0] * u, e[1] * u};
        return im_arc(x, l, cc, r * u, ref, sense, a0, a1, have ? ss : NULL, have ? ee : NULL);
    }
    const char *what = !strcmp(type, "NurbsCurve3D") || strstr(type, "Spline") ? "a spline"
                       : strstr(type, "Ellip")                                 ? "an ellipse"
                                                                               : "an unknown curve type";
    return im_fail(x, "profile curve type '%s' (%s) is not supported", type, what);
}

/* profile -> one face of the current sketch */
static int im_profile(im_ctx *x, const cJSON *sk, const char *pid) {
    const cJSON *prof = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sk, "profiles"), pid);
    if (!cJSON_IsObject(prof)) return im_fail(x, "profile %s is not in sketch '%s'", pid, im_str(sk, "name"));
    const cJSON *loops = cJSON_GetObjectItemCaseSensitive(prof, "loops");
    int nl = cJSON_GetArraySize(loops), i = 0, rc = 0;
    if (!cJSON_IsArray(loops) || nl == 0) return im_fail(x, "profile %s has no loops", pid);
    im_loop *ls = ut_calloc((size_t)nl, sizeof *ls);
    const cJSON *lp, *cv;
    cJSON_ArrayForEach(lp, loops) {
        cJSON_ArrayForEach(cv, cJSON_GetObjectItemCaseSensitive(lp, "profile_curves")) if ((rc = im_curve(x, cv, &ls[i]))) break;
        if (rc) break;
        i++;
    }
    int face = rc ? -1 : im_add_face(x, ls, nl, pid);
    im_loops_free(ls, nl);
    free(ls);
    if (face < 0) return -1;
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(prof, "properties");
    double area, cen[3];
    if (x->rep->format == IM_FUSION && !im_num(props, "area", &area) && !im_xyz(props, "centroid", cen)) {
        im_profile_check *pc = UT_PUSH(x->rep->profiles, x->rep->nprofiles, x->rep->cap_profiles);
        pc->extrude = x->m->nextrudes;
        pc->area_file = area * x->unit * x->unit;
        pc->cen_file[0] = cen[0] * x->unit, pc->cen_file[1] = cen[1] * x->unit;
        sk_face_area(x->m, face, &pc->area_loops, pc->cen_loops);
    }
    return 0;
}

/* ---- extents ---- */

static int im_distance(im_ctx *x, const cJSON *ext, const char *name, double *d) {
    if (!cJSON_IsObject(ext)) return im_fail(x, "missing %s", name);
    const char *t = im_str(ext, "type");
    if (t && strcmp(t, "DistanceExtentDefinition") && strcmp(t, "SymmetricExtentDefinition"))
        return im_fail(x, "%s of type '%s' is not supported (only distances)", name, t);
    if (im_num(cJSON_GetObjectItemCaseSensitive(ext, "distance"), "value", d)) return im_fail(x, "%s distance: %s", name, ut_error());
    double taper = im_num_or(cJSON_GetObjectItemCaseSensitive(ext, "taper_angle"), "value", 0);
    if (fabs(taper) > 1e-12) return im_fail(x, "taper angle %g rad on %s is not supported", taper, name);
    *d *= x->unit;
    return 0;
}

/* extent of the feature -> kind, d1, d2 (mm); 1 = zero depth */
static int im_extent(im_ctx *x, const cJSON *ft, cad_extent_kind *k, double *d1, double *d2) {
    const char *et = im_str(ft, "extent_type");
    const cJSON *e1 = cJSON_GetObjectItemCaseSensitive(ft, "extent_one"), *e2 = cJSON_GetObjectItemCaseSensitive(ft, "extent_two");
    double a, b = 0;
    if (!et) return im_fail(x, "missing extent_type");
    if (im_distance(x, e1, "extent_one", &a)) return -1;
    if (!strcmp(et, "OneSideFeatureExtentType")) {
        if (cJSON_IsObject(e2) && im_distance(x, e2, "extent_two", &b)) return -1; /* present (0) in DeepCAD */
        return im_extent_two(a, 0, k, d1, d2) ? 1 : 0;
    }
    if (!strcmp(et, "SymmetricFeatureExtentType")) {
        /* per-side depth: |d| (DeepCAD, Fusion default) or |d|/2 when Fusion's is_full_length */
        int full = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e1, "is_full_length"));
        double h = full ? 0.5 * fabs(a) : fabs(a);
        if (!(h > 0)) return 1;
        *k = CAD_EXT_SYM, *d1 = 2 * h, *d2 = 0;
        return 0;
    }
    if (!strcmp(et, "TwoSidesFeatureExtentType")) {
        if (im_distance(x, e2, "extent_two", &b)) return -1;
        return im_extent_two(a, b, k, d1, d2) ? 1 : 0;
    }
    return im_fail(x, "extent type '%s' is not supported", et);
}

static int im_start_offset(im_ctx *x, const cJSON *ft, double *off) {
    const cJSON *se = cJSON_GetObjectItemCaseSensitive(ft, "start_extent");
    const char *t = im_str(se, "type");
    *off = 0;
    if (!t || !strcmp(t, "ProfilePlaneStartDefinition")) return 0;
    if (!strcmp(t, "OffsetStartDefinition")) {
        if (im_num(cJSON_GetObjectItemCaseSensitive(se, "offset"), "value", off)) return im_fail(x, "offset start: %s", ut_error());
        *off *= x->unit;
        return 0;
    }
    return im_fail(x, "start extent '%s' is not supported", t);
}

/* ---- one extrude feature ---- */

static int im_feature(im_ctx *x, const cJSON *ents, const cJSON *ft) {
    const char *opname = im_str(ft, "operation");
    cad_op op;
    if (im_op_parse(opname, &op)) return im_fail(x, "operation '%s' is not supported", opname ? opname : "(missing)");
    const cJSON *profs = cJSON_GetObjectItemCaseSensitive(ft, "profiles");
    int np = cJSON_GetArraySize(profs);
    if (!cJSON_IsArray(profs) || np == 0) {
        x->rep->skipped_empty++;
        im_warn(x, "skipped: the extrude references no profile");
        return 0;
    }
    cad_extent_kind kind;
    double d1 = 0, d2 = 0, off;
    int z = im_extent(x, ft, &kind, &d1, &d2);
    if (z < 0 || im_start_offset(x, ft, &off)) return -1;
    if (z == 1) {
        x->rep->skipped_other++;
        im_warn(x, "skipped: zero extrude depth");
        return 0;
    }
    /* one cad extrude per distinct sketch (normally one), all profiles of that sketch as faces */
    const char **done = ut_calloc((size_t)np, sizeof *done);
    int nd = 0, rc = 0, first_ext = x->m->nextrudes;
    for (int i = 0; i < np && !rc; i++) {
        const char *sid = im_str(cJSON_GetArrayItem(profs, i), "sketch");
        int seen = 0;
        for (int j = 0; j < nd; j++) seen |= sid && !strcmp(done[j], sid);
        if (seen) continue;
        const cJSON *sk = sid ? cJSON_GetObjectItemCaseSensitive(ents, sid) : NULL;
        const char *st = im_str(sk, "type");
        if (!st || strcmp(st, "Sketch")) {
            rc = im_fail(x, "profile %d refers to sketch %s, which is not a Sketch entity", i, sid ? sid : "(missing)");
            break;
        }
        done[nd++] = sid;
        cad_plane pl;
        if (im_plane(x, sk, off, &pl) || (x->rep->format == IM_FUSION && im_check_points(x, sk))) {
            rc = -1;
            break;
        }
        int f0 = x->m->nfaces;
        for (int j = i; j < np && !rc; j++) {
            const cJSON *pr = cJSON_GetArrayItem(profs, j);
            const char *sj = im_str(pr, "sketch"), *pid = im_str(pr, "profile");
            if (!sj || strcmp(sj, sid)) continue;
            rc = pid ? im_profile(x, sk, pid) : im_fail(x, "profile reference %d without a profile id", j);
        }
        if (rc) break;
        int s = cad_add_sketch(x->m, &pl, f0, x->m->nfaces - f0, x->line);
        /* later sketches of a new-body extrude join it; cut and join repeat (union, then the op) */
        cad_op o = x->m->nextrudes > first_ext && op == CAD_NEW ? CAD_JOIN : op;
        cad_add_extrude(x->m, s, kind, d1, d2, o, x->line);
    }
    free(done);
    if (!rc && nd > 1 && op == CAD_INTERSECT) rc = im_fail(x, "an intersect over profiles of several sketches is not supported");
    if (!rc && op == CAD_INTERSECT) x->rep->has_intersect = 1;
    return rc;
}

static void im_stored(im_ctx *x, const cJSON *root) {
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(root, "properties");
    const cJSON *bb = cJSON_GetObjectItemCaseSensitive(pr, "bounding_box");
    im_report *r = x->rep;
    double u = x->unit;
    if (!im_xyz(bb, "min_point", r->bbox_lo) && !im_xyz(bb, "max_point", r->bbox_hi)) {
        r->has_bbox = 1;
        for (int k = 0; k < 3; k++) r->bbox_lo[k] *= u, r->bbox_hi[k] *= u;
    }
    if (!im_num(pr, "volume", &r->volume) && !im_num(pr, "area", &r->area) && !im_xyz(pr, "center_of_mass", r->com)) {
        r->has_props = 1;
        r->volume *= u * u * u, r->area *= u * u;
        for (int k = 0; k < 3; k++) r->com[k] *= u;
    }
    ut_clear_error();
}

int im_read_entities(im_ctx *x, const cJSON *root, im_format f) {
    const cJSON *ents = cJSON_GetObjectItemCaseSensitive(root, "entities");
    if (!cJSON_IsObject(ents)) return ut_fail("missing \"entities\" object");
    im_stored(x, root);
    im_item *items = NULL;
    int n = im_order(root, ents, f, &items);
    if (n < 0) return -1;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        const cJSON *ft = cJSON_GetObjectItemCaseSensitive(ents, items[i].entity);
        x->rep->extrudes_in++;
        im_add_feature(x, im_str(ft, "name"));
        rc = im_feature(x, ents, ft);
    }
    free(items);
    x->feature = NULL;
    return rc;
}
