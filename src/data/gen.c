/* gen.c - see gen.h: options, streams, designer dimensions, sketch builders, the SE and
 * orientation steps, the kernel check and the retry loop. The families are in gen_families.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/gen_int.h"
#include "geom/validate.h"

/* ---- options and families ---- */

void gn_default_options(gn_options *o) {
    memset(o, 0, sizeof *o);
    /* the level mix and planes of the real DeepCAD parts (docs/data_calibration.md) */
    static const double lw[5] = {0.36, 0.15, 0.09, 0.05, 0.35};
    static const double pw[3] = {0.45, 0.40, 0.15};
    memcpy(o->level_weight, lw, sizeof lw);
    memcpy(o->plane_weight, pw, sizeof pw);
    for (int i = 0; i < gn_nfamilies; i++) o->family_weight[i] = 1;
    /* the simple plates, discs and rods that make up much of the real L level; few intersects */
    static const struct {
        const char *name;
        double w;
    } tuned[] = {{"plate", 3}, {"spacer", 1.5}, {"shaft", 1.5}, {"section", 0.7}, {"intersected", 0.3}};
    for (size_t i = 0; i < sizeof tuned / sizeof *tuned; i++) o->family_weight[gn_family_index(tuned[i].name)] = tuned[i].w;
    o->inch_share = 0.2;
}

const char *const *gn_family_names(void) {
    static const char *names[GN_MAX_FAMILIES + 1];
    if (!names[0])
        for (int i = 0; i < gn_nfamilies; i++) names[i] = gn_families[i].name;
    return names;
}

int gn_family_count(void) { return gn_nfamilies; }

int gn_family_index(const char *name) {
    for (int i = 0; i < gn_nfamilies; i++)
        if (!strcmp(name, gn_families[i].name)) return i;
    return -1;
}

unsigned gn_family_levels(int f) {
    if (f < 0 || f >= gn_nfamilies) return 0;
    unsigned l = gn_families[f].levels;
    if (l & (GN_BIT(LV_L) | GN_BIT(LV_F) | GN_BIT(LV_S))) l |= GN_BIT(LV_SE);
    return l;
}

int gn_select_families(gn_options *o, const char *list) {
    double w[GN_MAX_FAMILIES] = {0};
    const char *p = list;
    int any = 0;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char name[64];
        if (n == 0 || n >= sizeof name) return ut_fail("bad family list '%s'", list);
        memcpy(name, p, n);
        name[n] = 0;
        int i = gn_family_index(name);
        if (i < 0) return ut_fail("unknown family '%s'", name);
        w[i] = 1, any = 1;
        p += n + (e != NULL);
    }
    if (!any) return ut_fail("empty family list");
    memcpy(o->family_weight, w, sizeof w);
    return 0;
}

/* ---- random draws ---- */

double gn_u(gn_ctx *c, double lo, double hi) { return lo + (hi - lo) * ut_rng_uniform(&c->rng); }

int gn_int(gn_ctx *c, int lo, int hi) { return lo + (int)(ut_rng_u64(&c->rng) % (uint64_t)(hi - lo + 1)); }

int gn_chance(gn_ctx *c, double p) { return ut_rng_uniform(&c->rng) < p; }

int gn_pick(gn_ctx *c, const double *w, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += w[i] > 0 ? w[i] : 0;
    double r = gn_u(c, 0, s);
    for (int i = 0; i < n; i++) {
        if (w[i] <= 0) continue;
        if (r < w[i]) return i;
        r -= w[i];
    }
    for (int i = n - 1; i >= 0; i--)
        if (w[i] > 0) return i;
    return 0;
}

/* ---- designer dimensions ---- */

#define GN_INCH16 1.5875 /* 1/16 inch in mm */

static double gn_snap(double v, double q, double lo, double hi) {
    double r = round(v / q) * q;
    if (r < lo - 1e-9) r += q;
    if (r > hi + 1e-9) r -= q;
    return r >= lo - 1e-9 && r <= hi + 1e-9 && r > 0 ? r : v;
}

double gn_round(gn_ctx *c, double v) {
    double q = c->inch ? GN_INCH16 : 1;
    double r = round(v / q) * q;
    return r > 0 || v <= 0 ? r : q;
}

double gn_len(gn_ctx *c, double lo, double hi) {
    double v = gn_u(c, lo, hi), r = ut_rng_uniform(&c->rng);
    if (c->inch) return gn_snap(v, r < 0.8 || hi - lo < 2 * GN_INCH16 ? GN_INCH16 / (hi < 8 ? 2 : 1) : 2 * GN_INCH16, lo, hi);
    double q = r < 0.5 ? 1 : r < 0.68 && hi - lo >= 10 ? 5 : r < 0.85 ? 0.5 : r < 0.95 ? 0.1 : 0.01;
    if (hi < 4 && q > 0.5) q = 0.5;
    return gn_snap(v, q, lo, hi);
}

static double gn_from_list(gn_ctx *c, const double *l, int n, double lo, double hi) {
    int ok[64], k = 0;
    for (int i = 0; i < n && k < 64; i++)
        if (l[i] >= lo - 1e-9 && l[i] <= hi + 1e-9) ok[k++] = i;
    return k ? l[ok[gn_int(c, 0, k - 1)]] : gn_len(c, lo, hi);
}

double gn_thick(gn_ctx *c, double lo, double hi) {
    static const double mm[] = {0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, 15, 16, 20, 25, 30, 40, 50, 60, 80, 100};
    static const double in[] = {0.79375, 1.5875, 3.175, 4.7625, 6.35, 9.525, 12.7, 15.875, 19.05, 25.4, 31.75, 38.1, 50.8, 76.2, 101.6};
    if (gn_chance(c, 0.15)) return gn_len(c, lo, hi);
    return c->inch ? gn_from_list(c, in, (int)(sizeof in / sizeof *in), lo, hi)
                   : gn_from_list(c, mm, (int)(sizeof mm / sizeof *mm), lo, hi);
}

double gn_hole(gn_ctx *c, double lo, double hi) {
    /* ISO 273 medium clearance for M3..M12, then plain drill sizes */
    static const double clear[] = {3.4, 4.5, 5.5, 6.6, 9, 11, 13.5};
    static const double drill[] = {2, 2.5, 3, 4, 5, 6, 8, 10, 12, 14, 16, 20, 25, 30, 40};
    static const double in[] = {3.175, 3.96875, 4.7625, 6.35, 7.9375, 9.525, 12.7, 15.875, 19.05, 25.4};
    if (c->inch) return gn_from_list(c, in, (int)(sizeof in / sizeof *in), lo, hi);
    if (gn_chance(c, 0.55)) {
        int any = 0;
        for (size_t i = 0; i < sizeof clear / sizeof *clear; i++) any |= clear[i] >= lo && clear[i] <= hi;
        if (any) return gn_from_list(c, clear, (int)(sizeof clear / sizeof *clear), lo, hi);
    }
    return gn_from_list(c, drill, (int)(sizeof drill / sizeof *drill), lo, hi);
}

/* ---- parameters ---- */

void gn_num(gn_ctx *c, const char *name, double v) {
    gn_part *p = c->part;
    if (p->nparams < GN_MAX_PARAMS) p->params[p->nparams++] = (gn_param){name, v, NULL};
}

void gn_word(gn_ctx *c, const char *name, const char *text) {
    gn_part *p = c->part;
    if (p->nparams < GN_MAX_PARAMS) p->params[p->nparams++] = (gn_param){name, NAN, text};
}

double gn_param_value(const gn_part *p, const char *name, double def) {
    for (int i = 0; i < p->nparams; i++)
        if (!p->params[i].text && !strcmp(p->params[i].name, name)) return p->params[i].value;
    return def;
}

/* ---- sketch building ---- */

void gn_face_begin(gn_ctx *c) { c->face0 = c->m->nloops; }
void gn_face_end(gn_ctx *c) { cad_add_face(c->m, c->face0, c->m->nloops - c->face0); }
void gn_sketch_begin(gn_ctx *c) { c->sketch0 = c->m->nfaces; }
int gn_sketch_end(gn_ctx *c, const cad_plane *pl) {
    return cad_add_sketch(c->m, pl, c->sketch0, c->m->nfaces - c->sketch0, 0);
}

void gn_extrude(gn_ctx *c, int sketch, cad_extent_kind k, double d1, double d2, cad_op op) {
    cad_add_extrude(c->m, sketch, k, d1, d2, op, 0);
}

static void gn_line(gn_ctx *c, double x1, double y1, double x2, double y2) {
    double p[6] = {x1, y1, x2, y2};
    cad_add_curve(c->m, CAD_LINE, p, 0);
}

static void gn_arc(gn_ctx *c, double x1, double y1, double xm, double ym, double x2, double y2) {
    double p[6] = {x1, y1, xm, ym, x2, y2};
    cad_add_curve(c->m, CAD_ARC, p, 0);
}

static void gn_loop_end(gn_ctx *c, int first) { cad_add_loop(c->m, first, c->m->ncurves - first); }

void gn_rect(gn_ctx *c, double x0, double y0, double x1, double y1) {
    int f = c->m->ncurves;
    gn_line(c, x0, y0, x1, y0);
    gn_line(c, x1, y0, x1, y1);
    gn_line(c, x1, y1, x0, y1);
    gn_line(c, x0, y1, x0, y0);
    gn_loop_end(c, f);
}

void gn_rrect(gn_ctx *c, double x0, double y0, double x1, double y1, double r) {
    if (r <= 0) {
        gn_rect(c, x0, y0, x1, y1);
        return;
    }
    int f = c->m->ncurves;
    double k = r * (1 - sqrt(0.5)); /* the 45-degree point of a corner arc, in from the corner */
    int full_x = x1 - x0 - 2 * r < 1e-9, full_y = y1 - y0 - 2 * r < 1e-9;
    if (!full_x) gn_line(c, x0 + r, y0, x1 - r, y0);
    gn_arc(c, x1 - r, y0, x1 - k, y0 + k, x1, y0 + r);
    if (!full_y) gn_line(c, x1, y0 + r, x1, y1 - r);
    gn_arc(c, x1, y1 - r, x1 - k, y1 - k, x1 - r, y1);
    if (!full_x) gn_line(c, x1 - r, y1, x0 + r, y1);
    gn_arc(c, x0 + r, y1, x0 + k, y1 - k, x0, y1 - r);
    if (!full_y) gn_line(c, x0, y1 - r, x0, y0 + r);
    gn_arc(c, x0, y0 + r, x0 + k, y0 + k, x0 + r, y0);
    gn_loop_end(c, f);
}

void gn_circle(gn_ctx *c, double cx, double cy, double r) {
    double p[6] = {cx, cy, r};
    int f = cad_add_curve(c->m, CAD_CIRCLE, p, 0);
    gn_loop_end(c, f);
}

void gn_obround(gn_ctx *c, double cx, double cy, double len, double w, int vertical) {
    double r = w / 2, h = (len - w) / 2;
    int f = c->m->ncurves;
    if (h <= 1e-9) {
        gn_circle(c, cx, cy, r);
        return;
    }
    if (!vertical) {
        gn_line(c, cx - h, cy - r, cx + h, cy - r);
        gn_arc(c, cx + h, cy - r, cx + h + r, cy, cx + h, cy + r);
        gn_line(c, cx + h, cy + r, cx - h, cy + r);
        gn_arc(c, cx - h, cy + r, cx - h - r, cy, cx - h, cy - r);
    } else {
        gn_line(c, cx + r, cy - h, cx + r, cy + h);
        gn_arc(c, cx + r, cy + h, cx, cy + h + r, cx - r, cy + h);
        gn_line(c, cx - r, cy + h, cx - r, cy - h);
        gn_arc(c, cx - r, cy - h, cx, cy - h - r, cx + r, cy - h);
    }
    gn_loop_end(c, f);
}

void gn_ngon(gn_ctx *c, double cx, double cy, double R, int n, double rot) {
    double xy[2 * 64];
    if (n > 64) n = 64;
    for (int i = 0; i < n; i++) {
        double a = rot + 2 * M_PI * i / n;
        xy[2 * i] = cx + R * cos(a), xy[2 * i + 1] = cy + R * sin(a);
    }
    gn_poly(c, xy, n, NULL);
}

void gn_poly(gn_ctx *c, const double *xy, int n, const double *bulge) {
    int f = c->m->ncurves;
    for (int i = 0; i < n; i++) {
        int j = (i + 1) % n;
        double x1 = xy[2 * i], y1 = xy[2 * i + 1], x2 = xy[2 * j], y2 = xy[2 * j + 1];
        double s = bulge ? bulge[i] : 0;
        if (s == 0) {
            gn_line(c, x1, y1, x2, y2);
            continue;
        }
        double dx = x2 - x1, dy = y2 - y1; /* right normal (dy, -dx), length = chord */
        gn_arc(c, x1, y1, (x1 + x2) / 2 + s * dy, (y1 + y2) / 2 - s * dx, x2, y2);
    }
    gn_loop_end(c, f);
}

void gn_plane(cad_plane *pl, double ox, double oy, double oz, const double x[3], const double n[3]) {
    double o[3] = {ox, oy, oz};
    if (cad_plane_make(pl, o, x, n)) cad_plane_xy(pl);
}

/* ---- the SE step and the orientation ---- */

/* makes the single extrude of an L / F / S part non-plain */
static void gn_make_se(gn_ctx *c) {
    cad_extrude *e = &c->m->extrudes[0];
    cad_plane *pl = &c->m->sketches[e->sketch].plane;
    double t = fabs(e->d1);
    static const double w[4] = {0.4, 0.2, 0.28, 0.12};
    switch (gn_pick(c, w, 4)) {
    case 0:
        e->kind = CAD_EXT_SYM, e->d1 = t;
        gn_word(c, "extent", "symmetric");
        break;
    case 1: {
        double a = gn_round(c, gn_u(c, 0.2 * t, 0.8 * t));
        if (!(a > 0 && a < t)) a = t / 2;
        e->kind = CAD_EXT_TWO, e->d1 = a, e->d2 = t - a;
        gn_word(c, "extent", "two-sided");
        gn_num(c, "extent_up", a);
        gn_num(c, "extent_down", t - a);
        break;
    }
    case 2: {
        double off = gn_len(c, 1, 60) * (gn_chance(c, 0.8) ? 1 : -1);
        for (int k = 0; k < 3; k++) pl->origin[k] += off * pl->n[k];
        gn_word(c, "extent", "offset plane");
        gn_num(c, "plane_offset", off);
        break;
    }
    default: {
        static const double angles[] = {15, 20, 30, 45, 60};
        double a = angles[gn_int(c, 0, 4)] * (gn_chance(c, 0.5) ? 1 : -1), r = a * M_PI / 180;
        double n[3], x[3];
        for (int k = 0; k < 3; k++) n[k] = pl->n[k] * cos(r) + pl->y[k] * sin(r), x[k] = pl->x[k];
        cad_plane_make(pl, pl->origin, x, n);
        gn_word(c, "extent", "tilted plane");
        gn_num(c, "tilt_deg", a);
        break;
    }
    }
}

/* turns the whole part so that its XY frame becomes XZ (which = 1) or YZ (which = 2) */
static void gn_rot(int which, double *v) {
    double a = v[0], b = v[1], cc = v[2];
    if (which == 1) v[0] = a, v[1] = -cc, v[2] = b;
    else v[0] = cc, v[1] = a, v[2] = b;
}

static void gn_orient(gn_ctx *c, int which) {
    for (int i = 0; which && i < c->m->nsketches; i++) {
        cad_plane *p = &c->m->sketches[i].plane;
        gn_rot(which, p->origin), gn_rot(which, p->x), gn_rot(which, p->y), gn_rot(which, p->n);
    }
    static const char *names[3] = {"XY", "XZ", "YZ"};
    gn_word(c, "plane", names[which]);
}

/* ---- making a part ---- */

static uint64_t gn_mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* draws the target level and the family from the part's own stream; -1 if the options allow none */
static int gn_choose(const gn_options *o, ut_rng *r, lv_level *lv, int *fam) {
    double lw[5] = {0};
    for (int l = 0; l < 5; l++)
        for (int f = 0; f < gn_nfamilies && lw[l] == 0; f++)
            if (o->family_weight[f] > 0 && (gn_family_levels(f) & GN_BIT(l))) lw[l] = fmax(o->level_weight[l], 0);
    gn_ctx c = {.rng = *r};
    double s = 0;
    for (int l = 0; l < 5; l++) s += lw[l];
    if (!(s > 0)) return ut_fail("no family can make any level the options ask for");
    *lv = (lv_level)gn_pick(&c, lw, 5);
    double fw[GN_MAX_FAMILIES] = {0};
    for (int f = 0; f < gn_nfamilies; f++)
        if (gn_family_levels(f) & GN_BIT(*lv)) fw[f] = fmax(o->family_weight[f], 0);
    *fam = gn_pick(&c, fw, gn_nfamilies);
    *r = c.rng;
    return 0;
}

/* the sketch level an SE part starts from: L, F or S as the family allows, by the level weights */
static lv_level gn_se_base(gn_ctx *c, const gn_options *o, int fam) {
    double w[3];
    for (int l = 0; l < 3; l++) w[l] = (gn_families[fam].levels & GN_BIT(l)) ? fmax(o->level_weight[l], 0.01) : 0;
    return (lv_level)gn_pick(c, w, 3);
}

static int gn_attempt(const gn_options *o, uint64_t key, lv_level target, int fam, gn_part *out) {
    gn_ctx c = {.m = &out->model, .part = out};
    ut_rng_seed(&c.rng, key);
    out->nparams = 0;
    cad_init(&out->model);
    c.inch = gn_chance(&c, o->inch_share);
    lv_level base = target == LV_SE ? gn_se_base(&c, o, fam) : target;
    if (gn_families[fam].fn(&c, base)) return -1;
    if (target == LV_SE) gn_make_se(&c);
    gn_orient(&c, gn_pick(&c, o->plane_weight, 3));
    if (c.inch) gn_word(&c, "units", "inch");
    if (va_validate(&out->model)) return -1;
    lv_info info;
    if (lv_classify(&out->model, &info) != target)
        return ut_fail("%s made a %s part, not %s", gn_families[fam].name, lv_name(info.level), lv_name(target));
    out->level = info.level;
    out->curves = info.curves;
    return 0;
}

int gn_make(const gn_options *o, uint64_t seed, long index, gn_part *out) {
    memset(out, 0, sizeof *out);
    uint64_t key = gn_mix(gn_mix(seed) ^ (uint64_t)index);
    ut_rng r;
    ut_rng_seed(&r, key);
    lv_level target = LV_L;
    int fam = 0;
    if (gn_choose(o, &r, &target, &fam)) return -1;
    out->family = gn_families[fam].name;
    out->random = gn_families[fam].random;
    for (int a = 0; a < GN_MAX_ATTEMPTS; a++) {
        out->attempts = a + 1;
        if (gn_attempt(o, gn_mix(key ^ gn_mix((uint64_t)a + 1)), target, fam, out) == 0) return 0;
        cad_free(&out->model);
    }
    return ut_fail("part %ld of seed %llu (%s, %s): no valid part in %d attempts; last: %s", index,
                   (unsigned long long)seed, out->family, lv_name(target), GN_MAX_ATTEMPTS, ut_error());
}

void gn_part_free(gn_part *p) {
    cad_free(&p->model);
    memset(p, 0, sizeof *p);
}
