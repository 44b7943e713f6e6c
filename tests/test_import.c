/* Tests of the importers (import.h): every shared real file, stored boxes and Fusion profile
 * properties, and each trap of docs/import.md on small hand-made JSON documents. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cad/codewrite.h"
#include "cad/exec.h"
#include "data/import.h"
#include "eval/metrics.h"
#include "eval/occt.h"
#include "geom/sketch.h"
#include "geom/solid.h"
#include "tf.h"
#include "base/util.h"
#include "geom/validate.h"

/* ---- helpers ---- */

static const char *ti_path(const char *rel) {
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/data/%s", tf_shared(), rel);
    return buf[k];
}

static int ti_has(const im_report *r, const char *needle) {
    for (int i = 0; i < r->nwarnings; i++)
        if (strstr(r->warnings[i], needle)) return 1;
    return 0;
}

/* largest side of the stored box */
static double ti_size(const im_report *r) {
    double s = 0;
    for (int k = 0; k < 3; k++) s = fmax(s, r->bbox_hi[k] - r->bbox_lo[k]);
    return s;
}

static double ti_bbox_err(const cad_model *m, const im_report *r) {
    double lo[3], hi[3], e = 0;
    if (sk_prism_bbox(m, lo, hi)) return INFINITY;
    for (int k = 0; k < 3; k++) e = fmax(e, fmax(fabs(lo[k] - r->bbox_lo[k]), fabs(hi[k] - r->bbox_hi[k])));
    return e / ti_size(r);
}

/* A DeepCAD document: one sketch (origin/axes given) with profile P1 (curves given as JSON), one
 * extrude whose fields after "operation" are given. Units: metres. */
static char *ti_deepcad(const char *transform, const char *curves, const char *extrude) {
#define TI_DEEPCAD_FMT \
        "{\"entities\": {\n" \
        " \"S1\": {\"type\": \"Sketch\", \"name\": \"Sketch 1\", \"transform\": %s,\n" \
        "  \"profiles\": {\"P1\": {\"loops\": [%s], \"properties\": {}}}},\n" \
        " \"E1\": {\"type\": \"ExtrudeFeature\", \"name\": \"Extrude 1\", \"profiles\": [{\"profile\": \"P1\", \"sketch\": \"S1\"}],\n" \
        "  \"operation\": \"NewBodyFeatureOperation\", %s}},\n" \
        " \"properties\": {\"bounding_box\": {\"max_point\": {\"x\": 1, \"y\": 1, \"z\": 1}, \"min_point\": {\"x\": 0, \"y\": 0, \"z\": 0}}},\n" \
        " \"sequence\": [{\"index\": 0, \"type\": \"Sketch\", \"entity\": \"S1\"}, {\"index\": 1, \"type\": \"ExtrudeFeature\", \"entity\": \"E1\"}]}\n"
    size_t n = strlen(TI_DEEPCAD_FMT) + strlen(transform) + strlen(curves) + strlen(extrude) + 1;
    char *s = ut_malloc(n);
    snprintf(s, n, TI_DEEPCAD_FMT, transform, curves, extrude);
    return s;
}

#define TI_XY                                                                                                     \
    "{\"origin\": {\"x\": 0, \"y\": 0, \"z\": 0}, \"x_axis\": {\"x\": 1, \"y\": 0, \"z\": 0}, \"y_axis\": {\"x\": 0, \"y\": 1, \"z\": 0}, " \
    "\"z_axis\": {\"x\": 0, \"y\": 0, \"z\": 1}}"
#define TI_LINE(x1, y1, x2, y2)                                                                                   \
    "{\"type\": \"Line3D\", \"start_point\": {\"x\": " #x1 ", \"y\": " #y1 ", \"z\": 0}, \"end_point\": {\"x\": " #x2 \
    ", \"y\": " #y2 ", \"z\": 0}}"
/* 10 mm square, curves in chain order with mixed orientations */
#define TI_SQUARE                                                                                                 \
    "{\"is_outer\": true, \"profile_curves\": [" TI_LINE(0, 0, 0.01, 0) ", " TI_LINE(0.01, 0.01, 0.01, 0) ", " TI_LINE( \
        0.01, 0.01, 0, 0.01) ", " TI_LINE(0, 0.01, 0, 0) "]}"
#define TI_ONESIDE(d)                                                                                              \
    "\"start_extent\": {\"type\": \"ProfilePlaneStartDefinition\"}, \"extent_type\": \"OneSideFeatureExtentType\", " \
    "\"extent_one\": {\"type\": \"DistanceExtentDefinition\", \"distance\": {\"value\": " #d "}, \"taper_angle\": {\"value\": 0.0}}, " \
    "\"extent_two\": {\"type\": \"DistanceExtentDefinition\", \"distance\": {\"value\": 0.0}, \"taper_angle\": {\"value\": 0.0}}"

/* replaces the first occurrence of from (which must exist) by the shorter or equal to, in place */
static void ti_replace(char *s, const char *from, const char *to) {
    char *p = strstr(s, from);
    REQUIRE(p && strlen(to) <= strlen(from));
    size_t lf = strlen(from), lt = strlen(to);
    memcpy(p, to, lt);
    memmove(p + lt, p + lf, strlen(p + lf) + 1);
}

static int ti_parse(const char *text, cad_model *m, im_report *r) { return im_parse(text, "test.json", NULL, m, r); }

/* the models are the same element by element (curves bit for bit) */
static int ti_same_model(const cad_model *a, const cad_model *b) {
    if (a->ncurves != b->ncurves || a->nloops != b->nloops || a->nfaces != b->nfaces || a->nextrudes != b->nextrudes) return 0;
    for (int i = 0; i < a->ncurves; i++)
        if (a->curves[i].kind != b->curves[i].kind || memcmp(a->curves[i].p, b->curves[i].p, sizeof a->curves[i].p)) return 0;
    for (int i = 0; i < a->nextrudes; i++)
        if (a->extrudes[i].d1 != b->extrudes[i].d1 || a->extrudes[i].kind != b->extrudes[i].kind) return 0;
    return 1;
}

/* ---- the shared real files ---- */

typedef struct {
    const char *file, *reason; /* reason: substring of the error, NULL = must import */
} ti_expect;

static const ti_expect ti_rejected[] = {
    {"deepcad/00000175.json", "no buildable extrude"},
    {"deepcad/00000176.json", "no buildable extrude"},
    {"deepcad/00000177.json", "no buildable extrude"},
    {"fusion360/SingleSketchExtrude_Invalid.json", "corrupt sketch"},
};

static const char *ti_reject_reason(const char *rel) {
    for (size_t i = 0; i < sizeof ti_rejected / sizeof *ti_rejected; i++)
        if (!strcmp(rel, ti_rejected[i].file)) return ti_rejected[i].reason;
    return NULL;
}

/* calls fn(rel) for every *.json under data/<sub> */
static int ti_each(const char *sub, void (*fn)(const char *rel)) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/%s", tf_shared(), sub);
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort), count = 0;
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        size_t l = strlen(nm);
        if (l > 5 && !strcmp(nm + l - 5, ".json")) {
            char rel[512];
            snprintf(rel, sizeof rel, "%s/%s", sub, nm);
            fn(rel);
            count++;
        }
        free(ents[i]);
    }
    if (n >= 0) free(ents);
    return count;
}

static int ti_ok, ti_rej;

static void ti_check_file(const char *rel) {
    cad_model m;
    im_report r;
    int rc = im_load(ti_path(rel), NULL, &m, &r);
    const char *why = ti_reject_reason(rel);
    if (why) {
        CHECK_MSG(rc == -1 && strstr(ut_error(), why) && strstr(ut_error(), rel), "%s: expected rejection '%s', got rc %d '%s'",
                  rel, why, rc, ut_error());
        ti_rej++;
    } else {
        CHECK_MSG(rc == 0 && m.nextrudes > 0, "%s: %s", rel, ut_error());
        CHECK_MSG(rc != 0 || va_validate(&m) == 0, "%s: %s", rel, ut_error());
        ti_ok++;
    }
    cad_free(&m);
    im_report_free(&r);
}

TEST(import_every_shared_file_or_documented_rejection) {
    int n = ti_each("deepcad", ti_check_file) + ti_each("fusion360", ti_check_file) + ti_each("text2cad_minimal", ti_check_file);
    REQUIRE_MSG(n >= 41, "only %d shared files found under %s/data", n, tf_shared());
    CHECK(ti_rej == 4);
    CHECK(ti_ok == n - 4);
}

/* stored box vs the exact box of the new/join prisms; exceptions: empty-profile extrudes (the
 * stored box still counts them) and intersect */
static void ti_check_bbox(const char *rel) {
    cad_model m;
    im_report r;
    if (im_load(ti_path(rel), NULL, &m, &r) == 0) {
        REQUIRE(r.has_bbox);
        double e = ti_bbox_err(&m, &r);
        if (r.skipped_empty == 0 && !r.has_intersect) CHECK_MSG(e <= 1e-6, "%s: bbox error %.3g of the model size", rel, e);
        else CHECK_MSG(e > 1e-3, "%s: expected the documented bbox mismatch, got %.3g", rel, e);
    }
    cad_free(&m);
    im_report_free(&r);
}

TEST(import_bbox_matches_stored_box) {
    ti_each("deepcad", ti_check_bbox);
    ti_each("fusion360", ti_check_bbox);
}

static int ti_nprof;

static void ti_check_profiles(const char *rel) {
    cad_model m;
    im_report r;
    if (im_load(ti_path(rel), NULL, &m, &r) == 0) {
        double size = ti_size(&r);
        for (int i = 0; i < r.nprofiles; i++) {
            const im_profile_check *p = &r.profiles[i];
            CHECK_REL(p->area_loops, p->area_file, 1e-9);
            CHECK_NEAR(p->cen_loops[0], p->cen_file[0], 1e-9 * size);
            CHECK_NEAR(p->cen_loops[1], p->cen_file[1], 1e-9 * size);
            ti_nprof++;
        }
    }
    cad_free(&m);
    im_report_free(&r);
}

TEST(import_fusion_profile_area_and_centroid) {
    ti_each("fusion360", ti_check_profiles);
    CHECK(ti_nprof >= 20);
}

static void ti_check_arcs(const char *rel) {
    cad_model m;
    im_report r;
    if (im_load(ti_path(rel), NULL, &m, &r) == 0) {
        /* stored ends vs centre + reference + sweep: within 5e-9 m (the data is rounded to 1e-8 m) */
        CHECK_MSG(r.arc_end_err <= 5e-6, "%s: arc ends %.3g mm from the stored points", rel, r.arc_end_err);
        for (int i = 0; i < m.ncurves; i++) { /* mid point on the circle through the ends */
            const cad_curve *c = &m.curves[i];
            if (c->kind != CAD_ARC) continue;
            double cx, cy, rr, a0, sw;
            REQUIRE(cad_arc_geom(c->p, &cx, &cy, &rr, &a0, &sw) == 0);
            CHECK(fabs(sw) > 1e-6 && fabs(sw) < 6.283185307179586);
        }
    }
    cad_free(&m);
    im_report_free(&r);
}

/* the imported Fusion models built by OpenCASCADE (an independent kernel) reproduce the volume,
 * area and centre of mass that Fusion stored; the box too, Z0Intersect included */
static int ti_nocct;

static void ti_check_occt(const char *rel) {
    cad_model m;
    im_report r;
    oc_props p;
    if (im_load(ti_path(rel), NULL, &m, &r) == 0) {
        REQUIRE(r.has_props && r.has_bbox);
        REQUIRE_MSG(oc_measure(&m, NULL, &p) == 0, "%s: %s", rel, ut_error());
        double size = ti_size(&r);
        CHECK_REL(p.volume, r.volume, 1e-9);
        CHECK_REL(p.area, r.area, 1e-9);
        for (int k = 0; k < 3; k++) {
            CHECK_NEAR(p.centroid[k], r.com[k], 1e-9 * size);
            CHECK_NEAR(p.lo[k], r.bbox_lo[k], 1e-9 * size);
            CHECK_NEAR(p.hi[k], r.bbox_hi[k], 1e-9 * size);
        }
        ti_nocct++;
    }
    cad_free(&m);
    im_report_free(&r);
}

TEST(import_fusion_stored_properties_match_occt) {
    if (!oc_binary()) SKIP("%s", ut_error());
    ti_each("fusion360", ti_check_occt);
    CHECK(ti_nocct == 14);
}

/* recad's exact solid of each imported file: its box against the stored box (the documented
 * exceptions aside), and for Fusion the stored volume, area and centre of mass */
static int ti_nsolid, ti_nprops;

static void ti_check_solid(const char *rel) {
    cad_model m;
    im_report r;
    if (im_load(ti_path(rel), NULL, &m, &r) == 0) {
        REQUIRE_MSG(va_validate(&m) == 0, "%s: %s", rel, ut_error());
        sd_solid *s = sd_build(&m);
        REQUIRE_MSG(s, "%s: %s", rel, ut_error());
        double lo[3], hi[3], size = ti_size(&r), e = 0;
        REQUIRE(sd_bbox(s, lo, hi) == 0);
        for (int k = 0; k < 3; k++) e = fmax(e, fmax(fabs(lo[k] - r.bbox_lo[k]), fabs(hi[k] - r.bbox_hi[k])) / size);
        if (r.skipped_empty == 0) CHECK_MSG(e <= 1e-6, "%s: solid box error %.3g of the model size", rel, e);
        else CHECK_MSG(e > 1e-3, "%s: expected the documented box mismatch, got %.3g", rel, e);
        sd_props p;
        REQUIRE(sd_mass_props(s, &p) == 0);
        if (r.has_props) {
            double tol = p.exact ? 1e-9 : 1e-5;
            CHECK_REL(p.volume, r.volume, tol);
            CHECK_REL(p.area, r.area, tol);
            for (int k = 0; k < 3; k++) CHECK_NEAR(p.centroid[k], r.com[k], tol * size);
            ti_nprops++;
        }
        ti_nsolid++;
        sd_free(s);
    }
    cad_free(&m);
    im_report_free(&r);
}

TEST(import_solid_box_and_fusion_mass_properties) {
    ti_each("deepcad", ti_check_solid);
    ti_each("fusion360", ti_check_solid);
    CHECK(ti_nsolid == 19 + 14 && ti_nprops == 14);
}

/* DeepCAD file -> model -> program (code writer) -> executor -> the same solid (volume, and the
 * exact IoU of the two solids >= 0.999). The writer rounds
 * coordinates to 1e-9 of the model size; moving an arc's middle point by that much changes the
 * volume by up to ~1e-8 relative (00000070: 6.3e-9), so the bar is 1e-8. */
static int ti_nround;
static double ti_min_iou = 2;

static void ti_check_round_trip(const char *rel) {
    cad_model m, back;
    im_report r;
    if (im_load(ti_path(rel), NULL, &m, &r) == 0) {
        REQUIRE(va_validate(&m) == 0);
        char *prog = cw_program(&m);
        REQUIRE_MSG(prog, "%s: %s", rel, ut_error());
        REQUIRE_MSG(ex_run(prog, strlen(prog), rel, NULL, &back) == 0, "%s: %s", rel, ut_error());
        CHECK(back.nextrudes == m.nextrudes && back.ncurves == m.ncurves);
        sd_solid *a = sd_build(&m), *b = sd_build(&back);
        sd_props pa, pb;
        REQUIRE(a && b && sd_mass_props(a, &pa) == 0 && sd_mass_props(b, &pb) == 0);
        CHECK_MSG(fabs(pa.volume - pb.volume) <= 1e-8 * pa.volume, "%s: volume %.17g -> %.17g", rel, pa.volume, pb.volume);
        double iou = 0;
        REQUIRE_MSG(mt_iou(a, b, &iou) == 0, "%s: %s", rel, ut_error());
        CHECK_MSG(iou >= 0.999, "%s: IoU %.9f", rel, iou);
        if (iou < ti_min_iou) ti_min_iou = iou;
        sd_free(a);
        sd_free(b);
        cad_free(&back);
        free(prog);
        ti_nround++;
    }
    cad_free(&m);
    im_report_free(&r);
}

TEST(import_deepcad_program_round_trip) {
    ti_each("deepcad", ti_check_round_trip);
    CHECK(ti_nround == 19);
    fprintf(stderr, "    smallest IoU of a round trip: %.12f\n", ti_min_iou);
}

TEST(import_arc_ends_match_stored_points) {
    ti_each("deepcad", ti_check_arcs);
    ti_each("fusion360", ti_check_arcs);
}

TEST(import_units_millimetres) {
    cad_model m;
    im_report r;
    /* DeepCAD 00000007: one circle, metres in the file */
    REQUIRE(im_load(ti_path("deepcad/00000007.json"), NULL, &m, &r) == 0);
    size_t len;
    char *txt = ut_read_file(ti_path("deepcad/00000007.json"), &len);
    REQUIRE(txt);
    char *p = strstr(txt, "\"radius\"");
    REQUIRE(p);
    double r_m = strtod(strchr(p, ':') + 1, NULL);
    REQUIRE(m.ncurves == 1 && m.curves[0].kind == CAD_CIRCLE);
    CHECK_NEAR(m.curves[0].p[2], 1000 * r_m, 1e-12 * r_m * 1000);
    free(txt);
    cad_free(&m);
    im_report_free(&r);
    /* Fusion SingleSketchExtrude: 5 x 2.5 cm profile (stored area 12.5 cm^2), extruded 1 cm */
    REQUIRE(im_load(ti_path("fusion360/SingleSketchExtrude.json"), NULL, &m, &r) == 0);
    REQUIRE(r.nprofiles == 1);
    CHECK_NEAR(r.profiles[0].area_loops, 1250, 1e-9);
    CHECK_NEAR(fabs(m.extrudes[0].d1), 10, 1e-12);
    CHECK(r.format == IM_FUSION);
    cad_free(&m);
    im_report_free(&r);
}

static int ti_outer_is_largest(const cad_model *m, int face) {
    const cad_face *f = &m->faces[face];
    double area[2], cen[2];
    sk_face_area(m, face, &area[0], cen);
    for (int k = 0; k < f->n; k++) {
        const cad_loop *l = &m->loops[f->first + k];
        double a, mx, my;
        sk_loop_moments(&m->curves[l->first], l->n, &a, &mx, &my);
        if (k == 0 && !(a > 0)) return 0; /* outer counter-clockwise */
        if (k > 0 && !(a < 0)) return 0;  /* holes clockwise */
    }
    return area[0] > 0;
}

TEST(import_outer_loop_when_the_hole_comes_first) {
    cad_model m;
    im_report r;
    /* 00000356: the inner hexagon is listed first */
    REQUIRE(im_load(ti_path("deepcad/00000356.json"), NULL, &m, &r) == 0);
    REQUIRE(m.nfaces == 1 && m.faces[0].n == 2);
    CHECK(ti_outer_is_largest(&m, 0));
    cad_free(&m);
    im_report_free(&r);
    /* 00000175 / 00000176: small circle before the large one; their extrude lost its profile
     * reference, so point it at the two-loop profile JGG */
    const char *files[2] = {"deepcad/00000175.json", "deepcad/00000176.json"};
    const double radius[2][2] = {{25, 10}, {14, 9.525}};
    for (int i = 0; i < 2; i++) {
        char *txt = ut_read_file(ti_path(files[i]), NULL);
        REQUIRE(txt);
        cJSON *root = cJSON_Parse(txt);
        REQUIRE(root);
        cJSON *ents = cJSON_GetObjectItem(root, "entities"), *e, *ext = NULL;
        const char *sketch = NULL;
        cJSON_ArrayForEach(e, ents) {
            const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(e, "type"));
            if (!strcmp(t, "Sketch")) sketch = e->string;
            else ext = e;
        }
        REQUIRE(sketch && ext);
        cJSON *ref = cJSON_CreateObject();
        cJSON_AddStringToObject(ref, "profile", "JGG");
        cJSON_AddStringToObject(ref, "sketch", sketch);
        cJSON_AddItemToArray(cJSON_GetObjectItem(ext, "profiles"), ref);
        char *patched = cJSON_Print(root);
        REQUIRE(ti_parse(patched, &m, &r) == 0);
        REQUIRE(m.nfaces == 1 && m.faces[0].n == 2);
        const cad_curve *outer = &m.curves[m.loops[m.faces[0].first].first];
        const cad_curve *hole = &m.curves[m.loops[m.faces[0].first + 1].first];
        CHECK_NEAR(outer->p[2], radius[i][0], 1e-9);
        CHECK_NEAR(hole->p[2], radius[i][1], 1e-9);
        cad_free(&m);
        im_report_free(&r);
        free(patched);
        cJSON_Delete(root);
        free(txt);
    }
}

TEST(import_malformed_json_names_the_file) {
    cad_model m;
    im_report r;
    char path[512];
    snprintf(path, sizeof path, "%s/broken.json", tf_tmpdir());
    const char *bad = "{\"entities\": {\n  \"a\": [1, 2,\n}";
    REQUIRE(ut_write_atomic(path, bad, strlen(bad)) == 0);
    CHECK(im_load(path, NULL, &m, &r) == -1);
    CHECK_MSG(strstr(ut_error(), path) && strstr(ut_error(), "malformed JSON at line 3"), "%s", ut_error());
    im_report_free(&r);
    cad_free(&m);
    CHECK(im_parse("[1, 2]", "x.json", NULL, &m, &r) == -1 && strstr(ut_error(), "not a JSON object"));
    im_report_free(&r);
    cad_free(&m);
    CHECK(im_parse("{\"foo\": 1}", "x.json", NULL, &m, &r) == -1 && strstr(ut_error(), "unrecognised JSON"));
    im_report_free(&r);
    cad_free(&m);
    CHECK(im_load("/nonexistent/file.json", NULL, &m, &r) == -1 && strstr(ut_error(), "/nonexistent/file.json"));
    im_report_free(&r);
    cad_free(&m);
}

/* ---- traps on hand-made documents ---- */

TEST(import_key_order_crlf_negative_zero_and_exponents) {
    char *base = ti_deepcad(TI_XY, TI_SQUARE, TI_ONESIDE(0.005));
    cad_model a, b;
    im_report ra, rb;
    REQUIRE(ti_parse(base, &a, &ra) == 0);
    REQUIRE(a.nextrudes == 1 && a.ncurves == 4 && a.extrudes[0].kind == CAD_EXT_ONE);
    CHECK_NEAR(a.extrudes[0].d1, 5, 1e-12);
    /* the same document with keys reversed in every object (points become {"z","y","x"}), CRLF */
    cJSON *root = cJSON_Parse(base);
    REQUIRE(root);
    cJSON *stack[256];
    int sp = 0;
    stack[sp++] = root;
    while (sp) {
        cJSON *o = stack[--sp], *c = o->child, *rev = NULL;
        while (c) {
            cJSON *next = c->next;
            if (cJSON_IsObject(o)) c->next = rev, rev = c;
            if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && sp < 256) stack[sp++] = c;
            c = next;
        }
        if (cJSON_IsObject(o) && rev) { /* relink prev pointers */
            o->child = rev;
            cJSON *p = NULL;
            for (c = rev; c; p = c, c = c->next) c->prev = p;
            rev->prev = p;
        }
    }
    char *txt = cJSON_Print(root);
    REQUIRE(strstr(txt, "\"z\":"));
    CHECK(strstr(txt, "\"z\":") < strstr(txt, "\"x\":")); /* reversed */
    size_t n = strlen(txt), k = 0;
    char *crlf = ut_malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++) {
        if (txt[i] == '\n') crlf[k++] = '\r';
        crlf[k++] = txt[i];
    }
    crlf[k] = 0;
    REQUIRE(ti_parse(crlf, &b, &rb) == 0);
    CHECK(ti_same_model(&a, &b));
    cad_free(&b);
    im_report_free(&rb);
    /* -0.0 and exponents */
    char *odd = ti_deepcad(TI_XY,
                           "{\"is_outer\": true, \"profile_curves\": [" TI_LINE(-0.0, 0.0, 1e-2, -0.0) ", " TI_LINE(
                               0.01, 1.0E-2, 1.0e-02, 0) ", " TI_LINE(0.01, 0.01, -0.0, 0.01) ", " TI_LINE(0, 0.01, 0, 0) "]}",
                           TI_ONESIDE(5e-3));
    REQUIRE(ti_parse(odd, &b, &rb) == 0);
    CHECK(ti_same_model(&a, &b));
    cad_free(&b);
    im_report_free(&rb);
    free(odd);
    free(crlf);
    free(txt);
    cJSON_Delete(root);
    cad_free(&a);
    im_report_free(&ra);
    free(base);
}

TEST(import_feature_order_follows_sequence_not_entities) {
    /* entities list the cut before the new body; sequence says new body first */
    const char *doc =
        "{\"entities\": {"
        " \"E2\": {\"type\": \"ExtrudeFeature\", \"name\": \"Cut\", \"profiles\": [{\"profile\": \"P1\", \"sketch\": \"S1\"}],"
        "  \"operation\": \"CutFeatureOperation\", " TI_ONESIDE(0.002) "},"
        " \"S1\": {\"type\": \"Sketch\", \"name\": \"Sketch 1\", \"transform\": " TI_XY ","
        "  \"profiles\": {\"P1\": {\"loops\": [" TI_SQUARE "], \"properties\": {}}}},"
        " \"E1\": {\"type\": \"ExtrudeFeature\", \"name\": \"Body\", \"profiles\": [{\"profile\": \"P1\", \"sketch\": \"S1\"}],"
        "  \"operation\": \"NewBodyFeatureOperation\", " TI_ONESIDE(0.005) "}},"
        " \"sequence\": [{\"index\": 2, \"type\": \"ExtrudeFeature\", \"entity\": \"E2\"},"
        "  {\"index\": 0, \"type\": \"Sketch\", \"entity\": \"S1\"}, {\"index\": 1, \"type\": \"ExtrudeFeature\", \"entity\": \"E1\"}]}";
    cad_model m;
    im_report r;
    REQUIRE(ti_parse(doc, &m, &r) == 0);
    REQUIRE(m.nextrudes == 2);
    CHECK(m.extrudes[0].op == CAD_NEW && m.extrudes[1].op == CAD_CUT);
    CHECK_NEAR(m.extrudes[0].d1, 5, 1e-12);
    CHECK(m.extrudes[0].line == 1 && m.extrudes[1].line == 2 && m.curves[m.ncurves - 1].line == 2);
    REQUIRE(r.nfeatures == 2);
    CHECK(!strcmp(r.features[0], "Body") && !strcmp(r.features[1], "Cut"));
    cad_free(&m);
    im_report_free(&r);
}

TEST(import_symmetric_two_sided_and_signed_extents) {
    cad_model m;
    im_report r;
    /* DeepCAD symmetric: d1 is the half depth (negative allowed) -> total 2|d1| */
    char *doc = ti_deepcad(TI_XY, TI_SQUARE,
                           "\"start_extent\": {\"type\": \"ProfilePlaneStartDefinition\"}, \"extent_type\": \"SymmetricFeatureExtentType\","
                           " \"extent_one\": {\"distance\": {\"value\": -0.003}, \"taper_angle\": {\"value\": 0}},"
                           " \"extent_two\": {\"distance\": {\"value\": 0.0}, \"taper_angle\": {\"value\": 0}}");
    REQUIRE(ti_parse(doc, &m, &r) == 0);
    CHECK(m.extrudes[0].kind == CAD_EXT_SYM);
    CHECK_NEAR(m.extrudes[0].d1, 6, 1e-12);
    double w0, w1;
    cad_extrude_slab(&m.extrudes[0], &w0, &w1);
    CHECK_NEAR(w0, -3, 1e-12);
    CHECK_NEAR(w1, 3, 1e-12);
    cad_free(&m);
    im_report_free(&r);
    free(doc);
    /* one side, negative: the opposite direction */
    doc = ti_deepcad(TI_XY, TI_SQUARE, TI_ONESIDE(-0.004));
    REQUIRE(ti_parse(doc, &m, &r) == 0);
    cad_extrude_slab(&m.extrudes[0], &w0, &w1);
    CHECK_NEAR(w0, -4, 1e-12);
    CHECK(w1 == 0);
    cad_free(&m);
    im_report_free(&r);
    free(doc);
    /* two sides: [-d2, d1] */
    doc = ti_deepcad(TI_XY, TI_SQUARE,
                     "\"extent_type\": \"TwoSidesFeatureExtentType\","
                     " \"extent_one\": {\"distance\": {\"value\": 0.004}, \"taper_angle\": {\"value\": 0}},"
                     " \"extent_two\": {\"distance\": {\"value\": 0.001}, \"taper_angle\": {\"value\": 0}}");
    REQUIRE(ti_parse(doc, &m, &r) == 0);
    CHECK(m.extrudes[0].kind == CAD_EXT_TWO);
    cad_extrude_slab(&m.extrudes[0], &w0, &w1);
    CHECK_NEAR(w0, -1, 1e-12);
    CHECK_NEAR(w1, 4, 1e-12);
    cad_free(&m);
    im_report_free(&r);
    free(doc);
}

/* A Fusion document: Point3D-typed points, centimetres, "timeline"; one sketch with the given
 * transform, profile P1 of the given loops, one extrude with the given fields. */
static char *ti_fusion(const char *transform, const char *loops, const char *extrude) {
#define TI_FUSION_FMT \
        "{\"metadata\": {}, \"timeline\": [{\"index\": 0, \"entity\": \"S1\"}, {\"index\": 1, \"entity\": \"E1\"}],\n" \
        " \"entities\": {\n" \
        " \"S1\": {\"type\": \"Sketch\", \"name\": \"Sketch1\", \"points\": {}, \"curves\": {}, \"transform\": %s,\n" \
        "  \"profiles\": {\"P1\": {\"loops\": [%s], \"properties\": {}}}},\n" \
        " \"E1\": {\"type\": \"ExtrudeFeature\", \"name\": \"Extrude1\", \"profiles\": [{\"profile\": \"P1\", \"sketch\": \"S1\"}],\n" \
        "  \"operation\": \"NewBodyFeatureOperation\", %s}},\n" \
        " \"properties\": {\"bounding_box\": {\"type\": \"BoundingBox3D\", \"max_point\": {\"type\": \"Point3D\", \"x\": 1, \"y\": 1, \"z\": 1}," \
        " \"min_point\": {\"type\": \"Point3D\", \"x\": 0, \"y\": 0, \"z\": 0}}}}\n"
    size_t n = strlen(TI_FUSION_FMT) + strlen(transform) + strlen(loops) + strlen(extrude) + 1;
    char *s = ut_malloc(n);
    snprintf(s, n, TI_FUSION_FMT, transform, loops, extrude);
    return s;
}

#define TI_FUSION_ONESIDE(d, taper)                                                                              \
    "\"start_extent\": {\"type\": \"ProfilePlaneStartDefinition\"}, \"extent_type\": \"OneSideFeatureExtentType\", " \
    "\"extent_one\": {\"type\": \"DistanceExtentDefinition\", \"distance\": {\"type\": \"ModelParameter\", \"value\": " #d \
    "}, \"taper_angle\": {\"type\": \"ModelParameter\", \"value\": " #taper "}}"

TEST(import_fusion_offset_start_taper_and_symmetric) {
    cad_model m;
    im_report r;
    /* offset start on an XZ-like frame: origin moves by offset along the normal */
    const char *xz = "{\"origin\": {\"x\": 1, \"y\": 0, \"z\": 0}, \"x_axis\": {\"x\": 1, \"y\": 0, \"z\": 0},"
                     " \"y_axis\": {\"x\": 0, \"y\": 0, \"z\": 1}, \"z_axis\": {\"x\": 0, \"y\": -1, \"z\": 0}}";
    char *doc = ti_fusion(xz, TI_SQUARE,
                          "\"start_extent\": {\"type\": \"OffsetStartDefinition\", \"offset\": {\"type\": \"ModelParameter\", \"value\": 2.5}},"
                          " \"extent_type\": \"OneSideFeatureExtentType\", \"extent_one\": {\"type\": \"DistanceExtentDefinition\","
                          " \"distance\": {\"value\": 1.5}, \"taper_angle\": {\"value\": 0.0}}");
    REQUIRE(ti_parse(doc, &m, &r) == 0);
    CHECK(r.format == IM_FUSION);
    const cad_plane *pl = &m.sketches[0].plane;
    CHECK_NEAR(pl->origin[0], 10, 1e-12);
    CHECK_NEAR(pl->origin[1], -25, 1e-12);
    CHECK_NEAR(pl->origin[2], 0, 1e-12);
    CHECK_NEAR(m.extrudes[0].d1, 15, 1e-12);
    CHECK_NEAR(m.curves[0].p[2], 0.1, 1e-15); /* 0.01 cm */
    cad_free(&m);
    im_report_free(&r);
    free(doc);
    /* taper -> rejected, naming the feature */
    doc = ti_fusion(TI_XY, TI_SQUARE, TI_FUSION_ONESIDE(1.0, 0.1));
    CHECK(ti_parse(doc, &m, &r) == -1);
    CHECK_MSG(strstr(ut_error(), "taper") && strstr(ut_error(), "Extrude1"), "%s", ut_error());
    im_report_free(&r);
    cad_free(&m);
    free(doc);
    /* symmetric: is_full_length halves the value per side */
    for (int full = 0; full < 2; full++) {
        char ext[512];
        snprintf(ext, sizeof ext,
                 "\"extent_type\": \"SymmetricFeatureExtentType\", \"extent_one\": {\"type\": \"SymmetricExtentDefinition\","
                 " \"distance\": {\"value\": 2.0}, \"is_full_length\": %s, \"taper_angle\": {\"value\": 0}}",
                 full ? "true" : "false");
        doc = ti_fusion(TI_XY, TI_SQUARE, ext);
        REQUIRE(ti_parse(doc, &m, &r) == 0);
        CHECK(m.extrudes[0].kind == CAD_EXT_SYM);
        CHECK_NEAR(m.extrudes[0].d1, full ? 20 : 40, 1e-12); /* total thickness */
        cad_free(&m);
        im_report_free(&r);
        free(doc);
    }
}

TEST(import_fusion_spline_and_ellipse_rejected) {
    cad_model m;
    im_report r;
    const char *types[2] = {"NurbsCurve3D", "Ellipse3D"}, *words[2] = {"spline", "ellipse"};
    for (int i = 0; i < 2; i++) {
        char loops[512];
        snprintf(loops, sizeof loops, "{\"is_outer\": true, \"profile_curves\": [{\"type\": \"%s\", \"degree\": 3}]}", types[i]);
        char *doc = ti_fusion(TI_XY, loops, TI_FUSION_ONESIDE(1.0, 0.0));
        CHECK(ti_parse(doc, &m, &r) == -1);
        CHECK_MSG(strstr(ut_error(), types[i]) && strstr(ut_error(), words[i]) && strstr(ut_error(), "test.json"), "%s", ut_error());
        im_report_free(&r);
        cad_free(&m);
        free(doc);
    }
}

TEST(import_arc_sense_and_swapped_ends) {
    cad_model m;
    im_report r;
    /* quarter arc from ref (1,0), sweep pi/2: DeepCAD counter-clockwise (through 45 deg), ends stored
     * in the opposite order; closed by two lines through the centre */
    const char *arc = "{\"is_outer\": true, \"profile_curves\": ["
                      "{\"type\": \"Arc3D\", \"center_point\": {\"x\": 0, \"y\": 0, \"z\": 0}, \"radius\": 0.01,"
                      " \"normal\": {\"x\": 0, \"y\": 0, \"z\": -1}, \"start_angle\": 0.0, \"end_angle\": 1.5707963267948966,"
                      " \"reference_vector\": {\"x\": 1, \"y\": 0, \"z\": 0},"
                      " \"start_point\": {\"x\": 0, \"y\": 0.01, \"z\": 0}, \"end_point\": {\"x\": 0.01, \"y\": 0, \"z\": 0}}, " TI_LINE(
                          0, 0.01, 0, 0) ", " TI_LINE(0, 0, 0.01, 0) "]}";
    char *doc = ti_deepcad(TI_XY, arc, TI_ONESIDE(0.001));
    REQUIRE(ti_parse(doc, &m, &r) == 0);
    int found = 0;
    for (int i = 0; i < m.ncurves; i++)
        if (m.curves[i].kind == CAD_ARC) {
            CHECK_NEAR(m.curves[i].p[2], 10 * cos(M_PI / 4), 1e-9);
            CHECK_NEAR(m.curves[i].p[3], 10 * sin(M_PI / 4), 1e-9);
            found++;
        }
    CHECK(found == 1);
    CHECK_NEAR(r.arc_end_err, 0, 1e-12);
    double a, c[2];
    sk_face_area(&m, 0, &a, c);
    CHECK_REL(a, M_PI * 100 / 4, 1e-12); /* quarter disc, mm^2 */
    CHECK_REL(c[0], 4 * 10 / (3 * M_PI), 1e-12);
    cad_free(&m);
    im_report_free(&r);
    free(doc);
    /* Fusion with normal (0,0,-1): clockwise from ref (1,0) -> the quarter below the x axis */
    const char *farc = "{\"is_outer\": true, \"profile_curves\": ["
                       "{\"type\": \"Arc3D\", \"center_point\": {\"x\": 0, \"y\": 0, \"z\": 0}, \"radius\": 1,"
                       " \"normal\": {\"x\": 0, \"y\": 0, \"z\": -1}, \"start_angle\": 0.0, \"end_angle\": 1.5707963267948966,"
                       " \"reference_vector\": {\"x\": 1, \"y\": 0, \"z\": 0},"
                       " \"start_point\": {\"x\": 1, \"y\": 0, \"z\": 0}, \"end_point\": {\"x\": 0, \"y\": -1, \"z\": 0}}, " TI_LINE(
                           0, -1, 0, 0) ", " TI_LINE(0, 0, 1, 0) "]}";
    doc = ti_fusion(TI_XY, farc, TI_FUSION_ONESIDE(1.0, 0.0));
    REQUIRE(ti_parse(doc, &m, &r) == 0);
    for (int i = 0; i < m.ncurves; i++)
        if (m.curves[i].kind == CAD_ARC) {
            CHECK_NEAR(m.curves[i].p[2], 10 * cos(M_PI / 4), 1e-9);
            CHECK_NEAR(m.curves[i].p[3], -10 * sin(M_PI / 4), 1e-9);
        }
    cad_free(&m);
    im_report_free(&r);
    free(doc);
}

TEST(import_empty_profiles_degenerate_lines_and_multi_profile) {
    cad_model m;
    im_report r;
    /* an extrude without profiles is skipped with a warning; if it is the only one: error */
    char *doc = ti_deepcad(TI_XY, TI_SQUARE, TI_ONESIDE(0.001));
    ti_replace(doc, "[{\"profile\": \"P1\", \"sketch\": \"S1\"}]", "[]");
    CHECK(ti_parse(doc, &m, &r) == -1);
    CHECK_MSG(strstr(ut_error(), "no buildable extrude"), "%s", ut_error());
    im_report_free(&r);
    cad_free(&m);
    free(doc);
    /* zero-length line dropped with a warning */
    doc = ti_deepcad(TI_XY,
                     "{\"is_outer\": true, \"profile_curves\": [" TI_LINE(0, 0, 0.01, 0) ", " TI_LINE(0.01, 0, 0.01, 0) ", " TI_LINE(
                         0.01, 0.01, 0.01, 0) ", " TI_LINE(0.01, 0.01, 0, 0.01) ", " TI_LINE(0, 0.01, 0, 0) "]}",
                     TI_ONESIDE(0.001));
    REQUIRE(ti_parse(doc, &m, &r) == 0);
    CHECK(m.ncurves == 4 && r.degenerate_lines == 1 && ti_has(&r, "zero-length"));
    cad_free(&m);
    im_report_free(&r);
    free(doc);
    /* two profiles of one sketch in one extrude -> one extrude, one sketch, two faces */
    const char *two =
        "{\"entities\": {"
        " \"S1\": {\"type\": \"Sketch\", \"name\": \"Sketch 1\", \"transform\": " TI_XY ","
        "  \"profiles\": {\"P1\": {\"loops\": [" TI_SQUARE "]},"
        "   \"P2\": {\"loops\": [{\"profile_curves\": [{\"type\": \"Circle3D\", \"center_point\": {\"x\": 0.05, \"y\": 0, \"z\": 0},"
        "    \"radius\": 0.002, \"normal\": {\"x\": 0, \"y\": 0, \"z\": -1}}]}]}}},"
        " \"E1\": {\"type\": \"ExtrudeFeature\", \"name\": \"Extrude 1\", \"profiles\": [{\"profile\": \"P1\", \"sketch\": \"S1\"},"
        "  {\"profile\": \"P2\", \"sketch\": \"S1\"}], \"operation\": \"NewBodyFeatureOperation\", " TI_ONESIDE(0.001) "}},"
        " \"sequence\": [{\"index\": 0, \"type\": \"Sketch\", \"entity\": \"S1\"}, {\"index\": 1, \"type\": \"ExtrudeFeature\", \"entity\": \"E1\"}]}";
    REQUIRE(ti_parse(two, &m, &r) == 0);
    CHECK(m.nextrudes == 1 && m.nsketches == 1 && m.sketches[0].n == 2 && m.nfaces == 2);
    CHECK(r.format == IM_DEEPCAD);
    cad_free(&m);
    im_report_free(&r);
}

TEST(import_hole_test_is_exact_at_outer_junctions) {
    cad_model m;
    im_report r;
    /* deepcad_more/0011_00110158: a circular hole at the centre of the outer loop's semicircle;
       its test point (the circle at angle pi) is level with the junctions of the outer arcs */
    REQUIRE(im_load(ti_path("deepcad_more/0011_00110158.json"), NULL, &m, &r) == 0);
    CHECK(m.nfaces >= 1 && m.faces[0].n == 2);
    CHECK(!ti_has(&r, "lies outside"));
    cad_free(&m);
    im_report_free(&r);
    /* a square with a "hole" beside it: warned */
    const char *loops = TI_SQUARE ", {\"profile_curves\": [{\"type\": \"Circle3D\", \"center_point\": "
                        "{\"x\": 0.025, \"y\": 0.005, \"z\": 0}, \"radius\": 0.002, \"normal\": {\"x\": 0, \"y\": 0, \"z\": 1}}]}";
    char *doc = ti_deepcad(TI_XY, loops, TI_ONESIDE(0.001));
    REQUIRE(ti_parse(doc, &m, &r) == 0);
    CHECK(ti_has(&r, "loop 2 lies outside the outer loop"));
    cad_free(&m);
    im_report_free(&r);
    free(doc);
    /* the same circle inside the square, its test point level with no junction: not warned */
    doc = ti_deepcad(TI_XY, loops, TI_ONESIDE(0.001));
    ti_replace(doc, "\"x\": 0.025", "\"x\": 0.005");
    REQUIRE(ti_parse(doc, &m, &r) == 0);
    CHECK(!ti_has(&r, "lies outside"));
    cad_free(&m);
    im_report_free(&r);
    free(doc);
}

TEST(import_validation_names_the_feature) {
    cad_model m;
    im_report r;
    /* two squares crossing each other in one profile: imports, but validation rejects it */
    char *doc = ti_deepcad(TI_XY,
                           TI_SQUARE ", {\"is_outer\": true, \"profile_curves\": [" TI_LINE(0.005, 0.005, 0.015, 0.005) ", " TI_LINE(
                               0.015, 0.005, 0.015, 0.015) ", " TI_LINE(0.015, 0.015, 0.005, 0.015) ", " TI_LINE(0.005, 0.015, 0.005, 0.005) "]}",
                           TI_ONESIDE(0.001));
    REQUIRE(ti_parse(doc, &m, &r) == 0);
    CHECK(im_validate(&m, &r) == -1);
    CHECK_MSG(strstr(ut_error(), "feature 'Extrude 1' (extrude feature 1): "), "%s", ut_error());
    cad_free(&m);
    im_report_free(&r);
    free(doc);
}

TEST(import_open_loop_rejected) {
    cad_model m;
    im_report r;
    char *doc = ti_deepcad(TI_XY,
                           "{\"is_outer\": true, \"profile_curves\": [" TI_LINE(0, 0, 0.01, 0) ", " TI_LINE(0.01, 0, 0.01, 0.01) ", " TI_LINE(
                               0.01, 0.01, 0.002, 0.01) "]}",
                           TI_ONESIDE(0.001));
    CHECK(ti_parse(doc, &m, &r) == -1);
    CHECK_MSG(strstr(ut_error(), "not closed") && strstr(ut_error(), "Extrude 1"), "%s", ut_error());
    im_report_free(&r);
    cad_free(&m);
    free(doc);
}

TEST(import_collinear_arc_becomes_its_chord) {
    cad_model m;
    im_report r;
    /* quantised Text2CAD arc: three collinear points, the middle between the ends */
    const char *doc =
        "{\"parts\": {\"part_1\": {\"coordinate_system\": {\"Euler Angles\": [0, 0, 0], \"Translation Vector\": [0, 0, 0]},"
        " \"sketch\": {\"face_1\": {\"loop_1\": {\"line_1\": {\"Start Point\": [0, 0], \"End Point\": [1, 0]},"
        " \"arc_1\": {\"Start Point\": [1, 0], \"Mid Point\": [1, 0.4], \"End Point\": [1, 1]},"
        " \"line_2\": {\"Start Point\": [1, 1], \"End Point\": [0, 0]}}}},"
        " \"extrusion\": {\"extrude_depth_towards_normal\": 0.1, \"extrude_depth_opposite_normal\": 0, \"sketch_scale\": 1,"
        " \"operation\": \"NewBodyFeatureOperation\"}}}}";
    REQUIRE(ti_parse(doc, &m, &r) == 0);
    CHECK(m.ncurves == 3 && m.curves[1].kind == CAD_LINE && ti_has(&r, "collinear"));
    CHECK(va_validate(&m) == 0);
    cad_free(&m);
    im_report_free(&r);
    /* folding back (middle outside the chord) is rejected */
    char *bad = ut_strdup(doc);
    ti_replace(bad, "[1, 0.4]", "[1, 2.0]");
    CHECK(ti_parse(bad, &m, &r) == -1 && strstr(ut_error(), "degenerate arc"));
    cad_free(&m);
    im_report_free(&r);
    free(bad);
}

/* ---- Text2CAD ---- */

TEST(import_text2cad_frames_and_depths) {
    cad_model m;
    im_report r;
    /* 00001272 part_5: Euler (0, 0, 180) -> rows x=(1,0,0), y=(0,-1,0), n=(0,0,-1) */
    REQUIRE(im_load(ti_path("text2cad_minimal/00001272.json"), NULL, &m, &r) == 0);
    CHECK(r.format == IM_TEXT2CAD);
    REQUIRE(m.nextrudes == 5);
    const cad_plane *pl = &m.sketches[m.extrudes[4].sketch].plane;
    CHECK_NEAR(pl->x[0], 1, 1e-12);
    CHECK_NEAR(pl->y[1], -1, 1e-12);
    CHECK_NEAR(pl->n[2], -1, 1e-12);
    CHECK_NEAR(pl->origin[1], 0.5243, 1e-12);
    /* part_3: depth 0.0786 opposite the normal -> one side, negative */
    CHECK(m.extrudes[2].kind == CAD_EXT_ONE);
    CHECK_NEAR(m.extrudes[2].d1, -0.0786, 1e-12);
    CHECK(m.extrudes[2].op == CAD_JOIN);
    cad_free(&m);
    im_report_free(&r);
    /* a general frame: Euler (a, b, c) = (90, 0, 90) -> R = Rx(90) Rz(90); rows of R */
    const char *doc =
        "{\"parts\": {\"part_1\": {\"coordinate_system\": {\"Euler Angles\": [90.0, 0.0, 90.0], \"Translation Vector\": [1, 2, 3]},"
        " \"sketch\": {\"face_1\": {\"loop_1\": {\"circle_1\": {\"Center\": [0.5, 0.5], \"Radius\": 0.25}}}},"
        " \"extrusion\": {\"extrude_depth_towards_normal\": 0.1, \"extrude_depth_opposite_normal\": 0.2, \"sketch_scale\": 0.5,"
        " \"operation\": \"NewBodyFeatureOperation\"}}}}";
    im_options opt = {IM_AUTO, 10.0};
    REQUIRE(im_parse(doc, "t.json", &opt, &m, &r) == 0);
    pl = &m.sketches[0].plane;
    /* Rz(90) = [0 -1 0; 1 0 0; 0 0 1], Rx(90) = [1 0 0; 0 0 -1; 0 1 0]; R = Rx Rz = [0 -1 0; 0 0 -1; 1 0 0] */
    CHECK_NEAR(pl->x[1], -1, 1e-12);
    CHECK_NEAR(pl->y[2], -1, 1e-12);
    CHECK_NEAR(pl->n[0], 1, 1e-12);
    CHECK_NEAR(pl->origin[2], 30, 1e-12); /* 10 mm per unit */
    CHECK(m.extrudes[0].kind == CAD_EXT_TWO);
    CHECK_NEAR(m.extrudes[0].d1, 1, 1e-12);
    CHECK_NEAR(m.extrudes[0].d2, 2, 1e-12);
    CHECK_NEAR(m.curves[0].p[2], 2.5, 1e-12);
    CHECK(r.nwarnings == 0); /* sketch_scale 0.5 = the circle's extent */
    cad_free(&m);
    im_report_free(&r);
}

/* ---- robustness: damaged copies of real files never crash ---- */

TEST(import_damaged_files_fail_cleanly) {
    static const char *files[] = {"deepcad/00000070.json", "fusion360/Z0Intersect_b6eca862_0000.json",
                                  "text2cad_minimal/00000329.json"};
    ut_rng rng;
    ut_rng_seed(&rng, 7);
    int ok = 0, failed = 0;
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        size_t len;
        char *orig = ut_read_file(ti_path(files[f]), &len);
        REQUIRE(orig);
        char *buf = ut_malloc(len + 16); /* room for a longer number */
        for (int trial = 0; trial < 300; trial++) {
            memcpy(buf, orig, len + 1);
            size_t n = len;
            int kind = trial % 3;
            size_t at = (size_t)(ut_rng_uniform(&rng) * (double)n);
            if (kind == 0) buf[at] = "0123456789-.e,:{}[]\"x"[ut_rng_u64(&rng) % 21]; /* one byte changed */
            else if (kind == 1) buf[at] = 0;                                          /* truncated */
            else { /* a number replaced by a huge / tiny / negative one */
                char *p = strchr(buf + at, ':');
                if (p && p[1] == ' ' && (p[2] == '-' || (p[2] >= '0' && p[2] <= '9'))) {
                    static const char *subs[] = {"1e308", "-1e-300", "0", "-5"};
                    const char *s = subs[ut_rng_u64(&rng) % 4];
                    size_t end = strspn(p + 2, "-0123456789.eE+");
                    memmove(p + 2 + strlen(s), p + 2 + end, strlen(p + 2 + end) + 1);
                    memcpy(p + 2, s, strlen(s));
                }
            }
            cad_model m;
            im_report r;
            int rc = im_parse(buf, files[f], NULL, &m, &r);
            if (rc == 0) ok++, im_report_free(&r);
            else {
                failed++;
                CHECK_MSG(strstr(ut_error(), files[f]), "error without the file name: %s", ut_error());
                im_report_free(&r);
            }
            cad_free(&m);
        }
        free(buf);
        free(orig);
    }
    CHECK(ok > 0 && failed > 0);
}

/* ---- recad import ---- */

TEST(import_cli_directory_summary_and_exit_codes) {
    char cmd[2048], *out = NULL, dir[600], in[600];
    /* the three original sample folders (41 files), linked into one input folder so that the
       counts below stay fixed when more data sets join shared/data */
    snprintf(in, sizeof in, "%s/in", tf_tmpdir());
    REQUIRE(ut_mkdirs(in) == 0);
    const char *sets[] = {"deepcad", "fusion360", "text2cad_minimal"};
    for (int k = 0; k < 3; k++) {
        char from[600], to[700];
        snprintf(from, sizeof from, "%s/data/%s", tf_shared(), sets[k]);
        if (from[0] != '/') {
            char cwd[400];
            REQUIRE(getcwd(cwd, sizeof cwd));
            snprintf(from, sizeof from, "%s/%s/data/%s", cwd, tf_shared(), sets[k]);
        }
        snprintf(to, sizeof to, "%s/%s", in, sets[k]);
        REQUIRE(symlink(from, to) == 0);
    }
    snprintf(dir, sizeof dir, "%s/progs", tf_tmpdir());
    snprintf(cmd, sizeof cmd, "RECAD_QUIET=1 build/recad import %s -o %s --json 2>/dev/null", in, dir);
    REQUIRE(tf_run_cmd(cmd, &out) == 0);
    cJSON *root = cJSON_Parse(out);
    REQUIRE_MSG(root, "not one JSON object: %.200s", out);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(root, "converted")) == 37);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(root, "skipped")) == 4);
    const cJSON *groups = cJSON_GetObjectItem(root, "skipped_by_reason");
    CHECK(cJSON_GetArraySize(groups) == 2);
    const cJSON *f;
    int levels = 0, programs = 0;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(root, "files")) {
        levels += cJSON_GetObjectItem(f, "level") != NULL;
        const char *prog = cJSON_GetStringValue(cJSON_GetObjectItem(f, "program"));
        if (prog && ut_read_file(prog, NULL)) programs++; /* leaks a few KB in the test child */
    }
    CHECK(levels == 37 && programs == 37);
    char p2[700];
    snprintf(p2, sizeof p2, "%s/text2cad_minimal/00000073.lua", dir); /* sub-folders kept: no collision */
    CHECK(ut_is_dir(dir) && ut_read_file(p2, NULL));
    cJSON_Delete(root);
    free(out);
    /* one file to an explicit .lua path */
    snprintf(cmd, sizeof cmd, "RECAD_QUIET=1 build/recad import %s/data/deepcad/00000356.json -o %s/one.lua", tf_shared(), tf_tmpdir());
    CHECK(tf_run_cmd(cmd, NULL) == 0);
    snprintf(p2, sizeof p2, "%s/one.lua", tf_tmpdir());
    char *prog = ut_read_file(p2, NULL);
    CHECK(prog && strstr(prog, "Extrude(Sketch(XY"));
    free(prog);
    /* a folder of bad files only -> 1; a missing path -> 3; usage -> 2; --help -> 0 */
    char path[600];
    snprintf(path, sizeof path, "%s/bad/bad.json", tf_tmpdir());
    REQUIRE(ut_mkdirs(strcat(strcpy(p2, tf_tmpdir()), "/bad")) == 0);
    REQUIRE(ut_write_atomic(path, "{\"parts\": 3", 11) == 0);
    snprintf(cmd, sizeof cmd, "RECAD_QUIET=1 build/recad import %s/bad -o %s/o2", tf_tmpdir(), tf_tmpdir());
    CHECK(tf_run_cmd(cmd, &out) == 1);
    CHECK_MSG(strstr(out, "malformed JSON") && strstr(out, "bad.json"), "%s", out);
    free(out);
    CHECK(tf_run_cmd("build/recad import /nonexistent/x.json -o /tmp", NULL) == 3);
    CHECK(tf_run_cmd("build/recad import x.json", NULL) == 2); /* no -o */
    CHECK(tf_run_cmd("build/recad import --format nope x.json -o /tmp", NULL) == 2);
    CHECK(tf_run_cmd("build/recad import --help", NULL) == 0);
}
