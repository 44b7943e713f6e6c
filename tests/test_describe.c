/* Tests of describe.c / describe_text.c: feature recognition on hand-built parts of each kind,
 * the numbers of detailed descriptions parsed back and compared with the measured model (overall
 * size, hole diameters, counts, PCD) over many seeds, on hand-built parts and the DeepCAD files;
 * abstract texts without numbers, variety, determinism, threads, the hint, the think plan. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cad/exec.h"
#include "data/describe.h"
#include "data/import.h"
#include "data/jsonl.h"
#include "model/level.h"
#include "geom/solid.h"
#include "base/util.h"
#include "tf.h"

static int td_run(const char *src, cad_model *m) {
    int rc = ex_run(src, strlen(src), "t.lua", NULL, m);
    if (rc) fprintf(stderr, "%s\n", ut_error());
    return rc;
}

#define RECT_FN                                                                                      \
    "local function rect(x0, y0, x1, y1) return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), "         \
    "Line(x1,y1, x0,y1), Line(x0,y1, x0,y0)) end\n"

/* hand-built parts, one per feature kind */
static const char *const td_parts[] = {
    /* 0: plate, 2 x 2 grid of holes (examples/plate.lua) */
    RECT_FN "local h = {}\nfor _, x in ipairs{8, 52} do for _, y in ipairs{8, 32} do h[#h+1] = Loop(Circle(x, y, 3)) end end\n"
            "Extrude(Sketch(XY, Face(rect(0,0,60,40), table.unpack(h))), 6, 'new')",
    /* 1: flange: disc, 6 holes on a 60 PCD, hub, bore */
    "local h = {}\nfor i = 0, 5 do local a = i*math.pi/3; h[#h+1] = Loop(Circle(30*math.cos(a), 30*math.sin(a), 4)) end\n"
    "Extrude(Sketch(XY, Face(Loop(Circle(0,0,40)), table.unpack(h))), 8, 'new')\n"
    "Extrude(Sketch(Plane({0,0,8},{1,0,0},{0,0,1}), Face(Loop(Circle(0,0,20)))), 12, 'join')\n"
    "Extrude(Sketch(XY, Face(Loop(Circle(0,0,12)))), 20, 'cut')",
    /* 2: rounded plate with a slot pocket 4 deep from the top */
    "local function rounded(x0,y0,x1,y1,r) local k = r*(1-math.sqrt(0.5)); return Loop(\n"
    " Line(x0+r,y0, x1-r,y0), Arc(x1-r,y0, x1-k,y0+k, x1,y0+r), Line(x1,y0+r, x1,y1-r), Arc(x1,y1-r, x1-k,y1-k, x1-r,y1),\n"
    " Line(x1-r,y1, x0+r,y1), Arc(x0+r,y1, x0+k,y1-k, x0,y1-r), Line(x0,y1-r, x0,y0+r), Arc(x0,y0+r, x0+k,y0+k, x0+r,y0)) end\n"
    "local function slot(cx,cy,len,r) local a,b = cx-len/2, cx+len/2; return Loop(Line(a,cy-r, b,cy-r), Arc(b,cy-r, b+r,cy, b,cy+r),\n"
    " Line(b,cy+r, a,cy+r), Arc(a,cy+r, a-r,cy, a,cy-r)) end\n"
    "Extrude(Sketch(XY, Face(rounded(0,0,80,50,8))), 10, 'new')\n"
    "Extrude(Sketch(Plane({0,0,10},{1,0,0},{0,0,1}), Face(slot(40,25,30,7))), -4, 'cut')",
    /* 3: hexagonal prism 24 across flats with a Ø10 bore */
    "local v = {}\nfor i = 0, 5 do local a = i*math.pi/3; v[#v+1] = {(24/math.sqrt(3))*math.cos(a), (24/math.sqrt(3))*math.sin(a)} end\n"
    "local c = {}\nfor i = 1, 6 do local p, q = v[i], v[i % 6 + 1]; c[#c+1] = Line(p[1],p[2], q[1],q[2]) end\n"
    "Extrude(Sketch(XY, Face(Loop(table.unpack(c)), Loop(Circle(0,0,5)))), 10, 'new')",
    /* 4: block with a row of 4 holes cut through from the top, and a square cut-out */
    RECT_FN "Extrude(Sketch(XY, Face(rect(0,0,100,30))), 20, 'new')\n"
            "local h = {}\nfor i = 0, 3 do h[#h+1] = Face(Loop(Circle(20 + 20*i, 15, 2.5))) end\n"
            "Extrude(Sketch(XY, table.unpack(h)), 20, 'cut')\n"
            "Extrude(Sketch(XZ, Face(rect(45, 5, 55, 15))), -30, 'cut')",
    /* 5: symmetric disc (SE) */
    "Extrude(Sketch(XZ, Face(Loop(Circle(0,0,15)))), {sym = 8}, 'new')",
    /* 6: plate with a rectangular boss on top and two bosses on the side (two faces) */
    RECT_FN "Extrude(Sketch(XY, Face(rect(0,0,50,50))), 5, 'new')\n"
            "Extrude(Sketch(Plane({0,0,5},{1,0,0},{0,0,1}), Face(rect(10,10,40,20))), 15, 'join')\n"
            "Extrude(Sketch(Plane({0,0,5},{1,0,0},{0,0,1}), Face(Loop(Circle(10,40,4))), Face(Loop(Circle(40,40,4)))), 6, 'join')",
    /* 7: obround link with two end holes (slot profile) */
    "Extrude(Sketch(XY, Face(Loop(Line(0,-10, 60,-10), Arc(60,-10, 70,0, 60,10), Line(60,10, 0,10), Arc(0,10, -10,0, 0,-10)),\n"
    " Loop(Circle(0,0,4)), Loop(Circle(60,0,4)))), 5, 'new')",
    /* 8: three separate pads in one sketch (S), one with a triangular outline */
    RECT_FN "Extrude(Sketch(XY, Face(rect(0,0,20,20)), Face(rect(30,0,50,20)), Face(Loop(Line(60,0, 80,0), Line(80,0, 60,20), Line(60,20, 60,0)))), 4, 'new')",
};
#define TD_NPARTS (int)(sizeof td_parts / sizeof td_parts[0])

/* ---- the feature analysis ---- */

static const ds_feature *td_find(const ds_part *p, ds_role role, ds_shape_kind kind) {
    for (int i = 0; i < p->nf; i++)
        if (p->f[i].role == role && p->f[i].shape.kind == kind) return &p->f[i];
    return NULL;
}

TEST(describe_recognises_features) {
    cad_model m;
    ds_part p;
    const ds_feature *f;
    /* plate: 60 x 40 rectangle 6 thick, four Ø6 holes in a 2 x 2 grid at 44 x 24 */
    REQUIRE(td_run(td_parts[0], &m) == 0);
    REQUIRE(ds_analyze(&m, &p) == 0);
    REQUIRE((f = td_find(&p, DS_ROLE_BASE, DS_RECT)) != NULL);
    CHECK_NEAR(f->shape.w, 60, 1e-9);
    CHECK_NEAR(f->shape.h, 40, 1e-9);
    CHECK_NEAR(f->depth, 6, 1e-9);
    REQUIRE((f = td_find(&p, DS_ROLE_HOLE, DS_CIRCLE)) != NULL);
    CHECK(f->count == 4 && f->pattern == DS_PAT_GRID && f->nx == 2 && f->ny == 2);
    CHECK_NEAR(f->px, 44, 1e-9);
    CHECK_NEAR(f->py, 24, 1e-9);
    CHECK_NEAR(f->shape.w, 6, 1e-9);
    CHECK(p.recognised);
    ds_part_free(&p), cad_free(&m);
    /* flange: bolt circle, boss on top, through bore */
    REQUIRE(td_run(td_parts[1], &m) == 0);
    REQUIRE(ds_analyze(&m, &p) == 0);
    REQUIRE((f = td_find(&p, DS_ROLE_HOLE, DS_CIRCLE)) != NULL);
    CHECK(f->count == 6 && f->pattern == DS_PAT_CIRCULAR);
    CHECK_NEAR(f->pcd, 60, 1e-6);
    REQUIRE((f = td_find(&p, DS_ROLE_BOSS, DS_CIRCLE)) != NULL);
    CHECK(f->side == 1 && f->axis == 2);
    CHECK_NEAR(f->depth, 12, 1e-9);
    REQUIRE((f = td_find(&p, DS_ROLE_THRU, DS_CIRCLE)) != NULL);
    CHECK_NEAR(f->shape.w, 24, 1e-9);
    CHECK_NEAR(p.hi[2] - p.lo[2], 20, 1e-9);
    ds_part_free(&p), cad_free(&m);
    /* rounded plate R8 and a 44 x 14 slot pocket 4 deep from the top */
    REQUIRE(td_run(td_parts[2], &m) == 0);
    REQUIRE(ds_analyze(&m, &p) == 0);
    REQUIRE((f = td_find(&p, DS_ROLE_BASE, DS_ROUNDRECT)) != NULL);
    CHECK_NEAR(f->shape.r, 8, 1e-9);
    CHECK_NEAR(f->shape.w, 80, 1e-9);
    REQUIRE((f = td_find(&p, DS_ROLE_POCKET, DS_SLOT)) != NULL);
    CHECK_NEAR(f->shape.w, 44, 1e-9);
    CHECK_NEAR(f->shape.h, 14, 1e-9);
    CHECK_NEAR(f->depth, 4, 1e-9);
    CHECK(f->side == 1);
    ds_part_free(&p), cad_free(&m);
    /* hexagon 24 across flats */
    REQUIRE(td_run(td_parts[3], &m) == 0);
    REQUIRE(ds_analyze(&m, &p) == 0);
    REQUIRE((f = td_find(&p, DS_ROLE_BASE, DS_POLYGON)) != NULL);
    CHECK(f->shape.n == 6);
    CHECK_NEAR(f->shape.w, 24, 1e-9);
    CHECK(td_find(&p, DS_ROLE_HOLE, DS_CIRCLE) != NULL);
    ds_part_free(&p), cad_free(&m);
    /* a row of four through cuts at 20 pitch; a square cut-out along y that is through too */
    REQUIRE(td_run(td_parts[4], &m) == 0);
    REQUIRE(ds_analyze(&m, &p) == 0);
    REQUIRE((f = td_find(&p, DS_ROLE_THRU, DS_CIRCLE)) != NULL);
    CHECK(f->count == 4 && f->pattern == DS_PAT_GRID && f->nx * f->ny == 4);
    CHECK_NEAR(fmax(f->px, f->py), 20, 1e-9);
    REQUIRE((f = td_find(&p, DS_ROLE_THRU, DS_RECT)) != NULL);
    CHECK(f->axis == 1);
    ds_part_free(&p), cad_free(&m);
    /* slot link with two end holes */
    REQUIRE(td_run(td_parts[7], &m) == 0);
    REQUIRE(ds_analyze(&m, &p) == 0);
    REQUIRE((f = td_find(&p, DS_ROLE_BASE, DS_SLOT)) != NULL);
    CHECK_NEAR(f->shape.w, 80, 1e-9);
    CHECK_NEAR(f->shape.h, 20, 1e-9);
    REQUIRE((f = td_find(&p, DS_ROLE_HOLE, DS_CIRCLE)) != NULL);
    CHECK(f->count == 2);
    ds_part_free(&p), cad_free(&m);
    /* three faces: two equal squares grouped, a triangle is an outline */
    REQUIRE(td_run(td_parts[8], &m) == 0);
    REQUIRE(ds_analyze(&m, &p) == 0);
    REQUIRE((f = td_find(&p, DS_ROLE_BASE, DS_RECT)) != NULL);
    CHECK(f->count == 2 && f->pattern == DS_PAT_GRID);
    REQUIRE((f = td_find(&p, DS_ROLE_BASE, DS_OUTLINE)) != NULL);
    CHECK(f->shape.lines == 3 && !p.recognised);
    ds_part_free(&p), cad_free(&m);
}

/* ---- numbers parsed back out of a detailed text ---- */

enum { TN_PLAIN, TN_DIA, TN_RAD, TN_PCD };
typedef struct {
    double v;
    int tag, count; /* count: the "4x" / "four" right before a diameter; 0 if none */
} td_num;

/* s starts with the word w (not followed by a letter) */
static int td_word(const char *s, const char *w) {
    size_t n = strlen(w);
    return strncmp(s, w, n) == 0 && !((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z'));
}

static int td_count_word(const char *s, int *len) {
    static const char *w[] = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"};
    for (int i = 11; i >= 0; i--) {
        size_t n = strlen(w[i]);
        if (!strncasecmp(s, w[i], n) && s[n] == ' ') return *len = (int)n + 1, i + 1;
    }
    return 0;
}

/* every number in s with its tag; returns the count (at most max) */
static int td_parse(const char *s, td_num *out, int max) {
    int n = 0, pending = 0;
    const char *q = s;
    while (*q && n < max) {
        int wl;
        int cw = (q == s || q[-1] == ' ' || q[-1] == '\n') ? td_count_word(q, &wl) : 0;
        if (cw) {
            pending = cw, q += wl;
            continue;
        }
        int starts = (*q >= '0' && *q <= '9') && (q == s || !((q[-1] >= '0' && q[-1] <= '9') || q[-1] == '.'));
        if (!starts) {
            if (strchr(",;:\n()", *q)) pending = 0; /* a count reaches only to the next diameter */
            q++;
            continue;
        }
        char *end;
        double v = strtod(q, &end);
        if (*end == 'x' && end[1] == ' ' && !(end[2] >= '0' && end[2] <= '9')) { /* "4x Ø6" */
            pending = (int)v, q = end + 2;
            continue;
        }
        td_num t = {v, TN_PLAIN, 0};
        /* before: Ø / dia / diameter / R / radius / PCD */
        const char *b = q;
        while (b > s && b[-1] == ' ') b--;
        if (b - s >= 2 && (unsigned char)b[-2] == 0xC3 && (unsigned char)b[-1] == 0x98) t.tag = TN_DIA;
        else if (b - s >= 3 && !strncmp(b - 3, "dia", 3)) t.tag = TN_DIA;
        else if (b - s >= 8 && !strncmp(b - 8, "diameter", 8)) t.tag = TN_DIA;
        else if (b - s >= 1 && b[-1] == 'R' && b == q && (b - s == 1 || b[-2] == ' ')) t.tag = TN_RAD;
        else if (b - s >= 6 && !strncmp(b - 6, "radius", 6)) t.tag = TN_RAD;
        else if (b - s >= 3 && !strncmp(b - 3, "PCD", 3)) t.tag = TN_PCD;
        /* after: [ ]mm / millimetres, then diameter / dia / radius / PCD / bolt circle / pitch circle */
        const char *a = end;
        if (*a == ' ') a++;
        if (td_word(a, "mm")) a += 2;
        else if (td_word(a, "millimetres") || td_word(a, "millimeters")) a += 11;
        if (*a == ' ') a++;
        if (td_word(a, "diameter") || td_word(a, "dia")) t.tag = TN_DIA;
        else if (td_word(a, "radius")) t.tag = TN_RAD;
        else if (td_word(a, "PCD") || td_word(a, "bolt circle") || td_word(a, "pitch circle")) t.tag = TN_PCD;
        if (t.tag == TN_DIA) t.count = pending;
        pending = 0;
        out[n++] = t;
        q = end;
    }
    return n;
}

static int td_close(double written, double truth) { return fabs(written - truth) <= 0.0051 + 6e-4 * fabs(truth); }

/* checks one detailed text against the model; returns the number of failed checks */
static int td_check_numbers(const cad_model *m, const char *text, const char *what) {
    td_num nums[512];
    int n = td_parse(text, nums, 512), bad = 0;
    sd_solid *s = sd_build(m);
    double lo[3], hi[3];
    if (!s || sd_bbox(s, lo, hi)) return 1;
    sd_free(s);
    /* overall size: each bounding-box extent is written */
    for (int k = 0; k < 3; k++) {
        int ok = 0;
        for (int i = 0; i < n; i++) ok |= nums[i].tag != TN_PCD && td_close(nums[i].v, hi[k] - lo[k]);
        if (!ok) bad++, fprintf(stderr, "%s: extent %g (axis %d) not in: %s\n", what, hi[k] - lo[k], k, text);
    }
    /* diameters: every written one is a circle of the model, with the right count; every circle's
     * diameter is written */
    for (int i = 0; i < n; i++) {
        if (nums[i].tag != TN_DIA && nums[i].tag != TN_RAD) continue;
        double d = nums[i].tag == TN_DIA ? nums[i].v : 2 * nums[i].v;
        int circles = 0, arcs = 0;
        for (int c = 0; c < m->ncurves; c++) {
            const cad_curve *cu = &m->curves[c];
            double r = cu->kind == CAD_CIRCLE ? cu->p[2] : -1;
            if (cu->kind == CAD_ARC) {
                double cx, cy, a0, sw;
                cad_arc_geom(cu->p, &cx, &cy, &r, &a0, &sw);
                arcs += td_close(nums[i].tag == TN_DIA ? nums[i].v / 2 : nums[i].v, r);
                continue;
            }
            circles += r > 0 && td_close(d, 2 * r);
        }
        if (nums[i].tag == TN_RAD ? !arcs && !circles : !circles)
            bad++, fprintf(stderr, "%s: %s %g matches no circle: %s\n", what, nums[i].tag == TN_DIA ? "diameter" : "radius", nums[i].v, text);
        if (nums[i].tag == TN_DIA) {
            int said = 0;
            for (int j = 0; j < n; j++)
                if (nums[j].tag == TN_DIA && td_close(nums[j].v, nums[i].v)) said += nums[j].count ? nums[j].count : 1;
            if (said != circles) bad++, fprintf(stderr, "%s: %d circles of Ø%g, the text counts %d: %s\n", what, circles, d, said, text);
        }
    }
    for (int c = 0; c < m->ncurves; c++) {
        if (m->curves[c].kind != CAD_CIRCLE) continue;
        int ok = 0;
        for (int i = 0; i < n; i++)
            ok |= (nums[i].tag == TN_DIA && td_close(nums[i].v, 2 * m->curves[c].p[2])) ||
                  (nums[i].tag == TN_RAD && td_close(nums[i].v, m->curves[c].p[2]));
        if (!ok) bad++, fprintf(stderr, "%s: circle Ø%g not written: %s\n", what, 2 * m->curves[c].p[2], text);
    }
    /* PCD: some >= 3 equal circles of one sketch lie on a circle of that diameter */
    for (int i = 0; i < n; i++) {
        if (nums[i].tag != TN_PCD) continue;
        int ok = 0;
        for (int sk = 0; sk < m->nsketches && !ok; sk++) {
            const cad_sketch *S = &m->sketches[sk];
            int c0 = m->loops[m->faces[S->first].first].first;
            const cad_face *fl = &m->faces[S->first + S->n - 1];
            const cad_loop *ll = &m->loops[fl->first + fl->n - 1];
            int c1 = ll->first + ll->n;
            for (int a = c0; a < c1 && !ok; a++) {
                if (m->curves[a].kind != CAD_CIRCLE) continue;
                double cx = 0, cy = 0;
                int k = 0;
                for (int b = c0; b < c1; b++)
                    if (m->curves[b].kind == CAD_CIRCLE && fabs(m->curves[b].p[2] - m->curves[a].p[2]) < 1e-6)
                        cx += m->curves[b].p[0], cy += m->curves[b].p[1], k++;
                if (k < 3) continue;
                cx /= k, cy /= k;
                ok = td_close(nums[i].v, 2 * hypot(m->curves[a].p[0] - cx, m->curves[a].p[1] - cy));
            }
        }
        if (!ok) bad++, fprintf(stderr, "%s: PCD %g matches no circle pattern: %s\n", what, nums[i].v, text);
    }
    return bad;
}

TEST(describe_parser_reads_the_forms) {
    td_num t[16];
    int n = td_parse("plate 60x40x6; 4x Ø6 thru, six 8 mm diameter holes on a Ø60 bolt circle, R3 corners, PCD 50", t, 16);
    REQUIRE(n == 8);
    CHECK(t[0].v == 60 && t[1].v == 40 && t[2].v == 6 && t[0].tag == TN_PLAIN);
    CHECK(t[3].v == 6 && t[3].tag == TN_DIA && t[3].count == 4);
    CHECK(t[4].v == 8 && t[4].tag == TN_DIA && t[4].count == 6);
    CHECK(t[5].v == 60 && t[5].tag == TN_PCD);
    CHECK(t[6].v == 3 && t[6].tag == TN_RAD);
    CHECK(t[7].v == 50 && t[7].tag == TN_PCD);
}

TEST(describe_detailed_numbers_match_hand_built_parts) {
    for (int i = 0; i < TD_NPARTS; i++) {
        cad_model m;
        REQUIRE(td_run(td_parts[i], &m) == 0);
        ds_part p;
        REQUIRE(ds_analyze(&m, &p) == 0);
        for (uint64_t seed = 0; seed < 40; seed++) {
            char *t, what[32];
            REQUIRE(ds_describe_part(&p, NULL, seed, DS_DETAILED, &t) == 0);
            snprintf(what, sizeof what, "part %d seed %d", i, (int)seed);
            CHECK_MSG(td_check_numbers(&m, t, what) == 0, "%s: numbers do not match", what);
            free(t);
        }
        ds_part_free(&p);
        cad_free(&m);
    }
}

TEST(describe_detailed_numbers_match_deepcad_files) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s/data/deepcad", tf_shared());
    DIR *d = opendir(dir);
    if (!d) SKIP("no %s", dir);
    struct dirent *e;
    int files = 0, described = 0;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".json")) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        files++;
        cad_model m;
        im_report rep;
        int rc = im_load(path, NULL, &m, &rep);
        if (rc == 0) rc = im_validate(&m, &rep);
        im_report_free(&rep);
        ds_part p;
        if (rc == 0 && ds_analyze(&m, &p) == 0) {
            described++;
            for (uint64_t seed = 0; seed < 12; seed++) {
                char *t;
                REQUIRE(ds_describe_part(&p, NULL, seed, DS_DETAILED, &t) == 0);
                CHECK_MSG(td_check_numbers(&m, t, e->d_name) == 0, "%s seed %d: numbers do not match", e->d_name, (int)seed);
                free(t);
                REQUIRE(ds_describe_part(&p, NULL, seed, DS_ABSTRACT, &t) == 0);
                CHECK_MSG(strpbrk(t, "0123456789") == NULL, "%s: abstract with a number: %s", e->d_name, t);
                free(t);
            }
            ds_part_free(&p);
        }
        cad_free(&m);
    }
    closedir(d);
    CHECK(files == 22);
    CHECK_MSG(described >= 19, "%d of %d files described", described, files); /* 19 import (docs/import.md) */
}

/* ---- the rest of the contract ---- */

TEST(describe_abstract_has_no_numbers_and_names_the_part) {
    cad_model m;
    REQUIRE(td_run(td_parts[0], &m) == 0);
    int plate = 0;
    for (uint64_t seed = 0; seed < 30; seed++) {
        char *t;
        REQUIRE(ds_describe(&m, NULL, seed, DS_ABSTRACT, &t) == 0);
        CHECK_MSG(strpbrk(t, "0123456789") == NULL, "abstract with a number: %s", t);
        CHECK_MSG(strstr(t, "hole") != NULL, "abstract without the holes: %s", t);
        plate += strstr(t, "plate") || strstr(t, "panel");
        free(t);
    }
    CHECK(plate >= 20);
    cad_free(&m);
}

TEST(describe_varies_with_the_seed_and_repeats_with_it) {
    cad_model m;
    REQUIRE(td_run(td_parts[1], &m) == 0);
    char *seen[40];
    int distinct = 0, styles[4] = {0};
    for (int s = 0; s < 40; s++) {
        REQUIRE(ds_describe(&m, NULL, (uint64_t)s, DS_DETAILED, &seen[s]) == 0);
        int dup = 0;
        for (int j = 0; j < s; j++) dup |= !strcmp(seen[j], seen[s]);
        distinct += !dup;
        styles[0] += strstr(seen[s], "- ") == seen[s] || strstr(seen[s], "\n- ") != NULL; /* spec list */
        styles[1] += strncmp(seen[s], "I ", 2) == 0 || strstr(seen[s], "Could") || strstr(seen[s], "Can you") ||
                     strstr(seen[s], "Please") || strstr(seen[s], "Hi!");                  /* a request */
        styles[2] += strchr(seen[s], ';') != NULL;                                             /* a terse note */
        char *again;
        REQUIRE(ds_describe(&m, NULL, (uint64_t)s, DS_DETAILED, &again) == 0);
        CHECK(!strcmp(again, seen[s]));
        free(again);
    }
    CHECK_MSG(distinct >= 35, "%d distinct texts of 40", distinct);
    CHECK(styles[0] >= 3 && styles[1] >= 3 && styles[2] >= 3);
    for (int s = 0; s < 40; s++) free(seen[s]);
    cad_free(&m);
}

TEST(describe_is_thread_safe) {
    cad_model m;
    REQUIRE(td_run(td_parts[2], &m) == 0);
    char *serial[64], *par[64];
    for (int s = 0; s < 64; s++) REQUIRE(ds_describe(&m, NULL, (uint64_t)s, s % 2 ? DS_DETAILED : DS_ABSTRACT, &serial[s]) == 0);
    int fails = 0;
#pragma omp parallel for num_threads(4) reduction(+ : fails)
    for (int s = 0; s < 64; s++) fails += ds_describe(&m, NULL, (uint64_t)s, s % 2 ? DS_DETAILED : DS_ABSTRACT, &par[s]) != 0;
    REQUIRE(fails == 0);
    for (int s = 0; s < 64; s++) {
        CHECK(!strcmp(serial[s], par[s]));
        free(serial[s]), free(par[s]);
    }
    cad_free(&m);
}

TEST(describe_uses_the_hint) {
    cad_model m;
    REQUIRE(td_run(td_parts[1], &m) == 0);
    ds_hint h = {"pipe_flange", 2, {{"bolt_count", 6}, {"gasket_face", 1.5}}};
    char *a, *d, *t;
    REQUIRE(ds_describe(&m, &h, 3, DS_ABSTRACT, &a) == 0);
    CHECK_MSG(strstr(a, "pipe flange") != NULL, "%s", a);
    int params = 0;
    for (uint64_t s = 0; s < 8; s++) {
        REQUIRE(ds_describe(&m, &h, s, DS_DETAILED, &d) == 0);
        CHECK_MSG(strstr(d, "ipe flange") != NULL, "%s", d); /* "Pipe flange" starts a terse note */
        params += strstr(d, "gasket face 1.5") != NULL;
        CHECK_MSG(strstr(d, "bolt count") == NULL, "a parameter the text already says (6) repeated: %s", d);
        free(d);
    }
    CHECK(params == 8);
    REQUIRE((t = ds_think(&m, &h)) != NULL);
    CHECK(strncmp(t, "pipe flange", 11) == 0);
    free(a), free(t);
    cad_free(&m);
}

TEST(describe_think_is_one_to_four_lines_in_build_order) {
    for (int i = 0; i < TD_NPARTS; i++) {
        cad_model m;
        REQUIRE(td_run(td_parts[i], &m) == 0);
        char *t = ds_think(&m, NULL);
        REQUIRE(t != NULL);
        int lines = 1;
        for (const char *q = t; *q; q++) lines += *q == '\n';
        CHECK_MSG(lines >= 1 && lines <= 4 && strlen(t) < 400 && t[strlen(t) - 1] != '\n', "part %d: %s", i, t);
        free(t);
        cad_free(&m);
    }
    cad_model m;
    REQUIRE(td_run(td_parts[1], &m) == 0);
    char *t = ds_think(&m, NULL);
    const char *disc = strstr(t, "Ø80"), *bolt = strstr(t, "Ø60"), *hub = strstr(t, "Ø40"), *bore = strstr(t, "Ø24");
    CHECK_MSG(disc && bolt && hub && bore && disc < bolt && bolt < hub && hub < bore, "%s", t);
    free(t);
    cad_free(&m);
}

TEST(describe_refuses_a_model_without_extrudes) {
    cad_model m;
    cad_init(&m);
    char *t = (char *)1;
    CHECK(ds_describe(&m, NULL, 1, DS_DETAILED, &t) == -1);
    CHECK(t == NULL);
    CHECK(strstr(ut_error(), "cannot describe") != NULL);
    CHECK(ds_think(&m, NULL) == NULL);
    cad_free(&m);
}

TEST(describe_number_format) {
    char b[32];
    CHECK(!strcmp(ds_number(6, b), "6"));
    CHECK(!strcmp(ds_number(6.604, b), "6.6"));
    CHECK(!strcmp(ds_number(23.4375, b), "23.44"));
    CHECK(!strcmp(ds_number(182.09702, b), "182.1"));
    CHECK(!strcmp(ds_number(-0.001, b), "0"));
}

TEST(describe_cli) {
    char *out = NULL;
    int rc = tf_run_cmd("build/recad describe examples/flange.lua --seed 2", &out);
    CHECK(rc == 0);
    CHECK(out && strstr(out, "abstract:") && strstr(out, "detailed:") && strstr(out, "think:"));
    free(out);
    rc = tf_run_cmd("build/recad describe examples/plate.lua --all --json", &out);
    CHECK(rc == 0 && out && strstr(out, "\"think\"") && strstr(out, "\"detailed\""));
    free(out);
    rc = tf_run_cmd("build/recad describe /nonexistent.lua", &out);
    CHECK(rc == 3 && out && strstr(out, "cannot read"));
    free(out);
    rc = tf_run_cmd("build/recad describe examples/plate.lua --seed -1", &out);
    CHECK(rc == 2);
    free(out);
}

/* ---- the hand-written held-out prompts (data/handwritten) ---- */

/* the text of data/handwritten/parts/NN_*.lua (malloc'd) or NULL */
static char *td_part_file(int nn) {
    DIR *d = opendir("data/handwritten/parts");
    if (!d) return NULL;
    struct dirent *e;
    char pre[8], path[512] = "";
    snprintf(pre, sizeof pre, "%02d_", nn);
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, pre, 3)) snprintf(path, sizeof path, "data/handwritten/parts/%s", e->d_name);
    closedir(d);
    return *path ? ut_read_file(path, NULL) : NULL;
}

TEST(describe_handwritten_prompts_run_at_their_level) {
    jl_reader r;
    REQUIRE(jl_open(&r, "data/handwritten/prompts.jsonl", 0) == 0);
    cJSON *rec;
    int n = 0, per_level[5] = {0}, kinds[2] = {0}, rc;
    while ((rc = jl_next(&r, &rec)) == 1) {
        const char *id, *part, *prompt, *kind, *answer, *level, *family, *source, *split;
        double curves;
        REQUIRE(jl_str(&r, rec, "id", &id) == 0 && jl_str(&r, rec, "part", &part) == 0 && jl_str(&r, rec, "prompt", &prompt) == 0 &&
                jl_str(&r, rec, "kind", &kind) == 0 && jl_str(&r, rec, "answer", &answer) == 0 &&
                jl_str(&r, rec, "level", &level) == 0 && jl_num(&r, rec, "curves", &curves) == 0 &&
                jl_str(&r, rec, "family", &family) == 0 && jl_str(&r, rec, "source", &source) == 0 &&
                jl_str(&r, rec, "split", &split) == 0);
        n++;
        CHECK(!strcmp(family, "handwritten") && !strcmp(split, "test") && !strncmp(source, "handwritten:", 12));
        CHECK(!strcmp(kind, "abstract") || !strcmp(kind, "detailed"));
        kinds[!strcmp(kind, "detailed")]++;
        CHECK(strlen(prompt) > 10);
        /* answer = "<think>\n" plan (1-4 lines) "\n</think>\n" program */
        REQUIRE_MSG(!strncmp(answer, "<think>\n", 8), "%s: answer does not start with <think>", id);
        const char *end = strstr(answer, "\n</think>\n");
        REQUIRE_MSG(end != NULL, "%s: no </think>", id);
        int lines = 1;
        for (const char *q = answer + 8; q < end; q++) lines += *q == '\n';
        CHECK_MSG(lines >= 1 && lines <= 4, "%s: think plan of %d lines", id, lines);
        const char *prog = end + 10;
        char *file = td_part_file(atoi(source + 12));
        CHECK_MSG(file && !strcmp(file, prog), "%s: the answer's program is not data/handwritten/parts/%s_*.lua", id, source + 12);
        free(file);
        cad_model m;
        REQUIRE_MSG(ex_run(prog, strlen(prog), id, NULL, &m) == 0, "%s: %s", id, ut_error());
        lv_info lv;
        lv_level l = lv_classify(&m, &lv), want;
        REQUIRE_MSG(lv_parse(level, &want) == 0, "%s: level %s", id, level);
        CHECK_MSG(l == want, "%s: the program is %s, the record says %s", id, lv_name(l), level);
        CHECK_MSG(lv.curves == (int)curves, "%s: %d curves, the record says %g", id, lv.curves, curves);
        if (l >= LV_L && l <= LV_MSE) per_level[l]++;
        cad_free(&m);
    }
    CHECK(rc == 0);
    jl_close(&r);
    CHECK(n == 40);
    for (int k = 0; k < 5; k++) CHECK_MSG(per_level[k] == 8, "level %s: %d parts", lv_name((lv_level)k), per_level[k]);
    CHECK(kinds[0] >= 5 && kinds[1] >= 20);
}
