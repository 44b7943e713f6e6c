/* describe_text.c - see describe.h: an analysis written as text in a seeded style, and the
 * think plan. Every number goes through one formatter that records it, so the detailed text can
 * add the overall size (and the hint's parameters) exactly when it has not said them yet. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "data/describe.h"

/* ---- a growing string ---- */

typedef struct {
    char *s;
    size_t n, cap;
} ds_sb;

static void sb_add(ds_sb *b, const char *fmt, ...) UT_PRINTF(2, 3);
static void sb_add(ds_sb *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if (b->n + (size_t)k + 1 > b->cap) {
        b->cap = (b->n + (size_t)k + 1) * 2;
        b->s = ut_realloc(b->s, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

/* ---- the writing context: style, number forms, the numbers said so far ---- */

enum { ST_TERSE, ST_PROSE, ST_CHATTY, ST_SPEC, ST_N };
#define DS_NBUF 24
#define DS_SAID 512

typedef struct {
    const ds_part *p;
    const ds_hint *hint;
    ut_rng rng;
    int style;
    int unit; /* 0 " mm", 1 "mm", 2 none, 3 " millimetres", 4 " millimeters" */
    int dia;  /* 0 "Ø8", 1 "dia 8", 2 "8 mm diameter", 3 "8 mm dia" */
    int rad;  /* 0 "R3", 1 "radius 3", 2 "3 mm radius" */
    int by;   /* 0 "8x4", 1 "8 x 4", 2 "8 by 4" */
    char buf[DS_NBUF][96];
    int nbuf;
    double said[DS_SAID];
    int nsaid;
    int plan; /* the think plan: no placement words */
    int counts[64], ncounts; /* the counts written */
} ds_ctx;

static int pick(ds_ctx *c, int n) { return (int)(ut_rng_u64(&c->rng) % (uint64_t)n); }
#define PICK(c, ...) (((const char *[]){__VA_ARGS__})[pick(c, sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *))])

static char *cbuf(ds_ctx *c) { return c->buf[c->nbuf++ % DS_NBUF]; }
/* t (composed in a local buffer) into a context buffer */
static const char *keep(ds_ctx *c, const char *t) {
    char *b = cbuf(c);
    snprintf(b, sizeof c->buf[0], "%s", t);
    return b;
}

const char *ds_number(double v, char *buf) {
    double a = fabs(v);
    snprintf(buf, 32, "%.*f", a >= 100 ? 1 : 2, v);
    if (strchr(buf, '.')) {
        char *e = buf + strlen(buf) - 1;
        while (*e == '0') *e-- = 0;
        if (*e == '.') *e = 0;
    }
    if (!strcmp(buf, "-0")) strcpy(buf, "0");
    return buf;
}

/* a bare number, recorded as said */
static const char *N(ds_ctx *c, double v) {
    char *b = cbuf(c);
    ds_number(v, b);
    if (c->nsaid < DS_SAID) c->said[c->nsaid++] = atof(b);
    return b;
}
static const char *U(const ds_ctx *c) {
    static const char *u[] = {" mm", "mm", "", " millimetres", " millimeters"};
    return u[c->unit];
}
/* a length with the unit */
static const char *L(ds_ctx *c, double v) {
    char t[96];
    snprintf(t, sizeof t, "%s%s", N(c, v), U(c));
    return keep(c, t);
}
static const char *D(ds_ctx *c, double v) {
    char b[96];
    switch (c->dia) {
    case 0: snprintf(b, 96, "Ø%s", N(c, v)); break;
    case 1: snprintf(b, 96, "dia %s", N(c, v)); break;
    case 2: snprintf(b, 96, "%s%s diameter", N(c, v), c->unit == 2 ? " mm" : U(c)); break;
    default: snprintf(b, 96, "%s%s dia", N(c, v), c->unit == 2 ? " mm" : U(c)); break;
    }
    return keep(c, b);
}
static const char *R(ds_ctx *c, double v) {
    char b[96];
    switch (c->rad) {
    case 0: snprintf(b, 96, "R%s", N(c, v)); break;
    case 1: snprintf(b, 96, "radius %s", L(c, v)); break;
    default: snprintf(b, 96, "%s%s radius", N(c, v), c->unit == 2 ? " mm" : U(c)); break;
    }
    return keep(c, b);
}
static const char *X(const ds_ctx *c) { return c->by == 0 ? "x" : c->by == 1 ? " x " : " by "; }
static const char *DIM2(ds_ctx *c, double a, double b) {
    char s[96];
    snprintf(s, sizeof s, "%s%s%s%s", N(c, a), X(c), N(c, b), U(c));
    return keep(c, s);
}
static const char *DIM3(ds_ctx *c, double a, double b, double d) {
    char s[96];
    snprintf(s, sizeof s, "%s%s%s%s%s%s", N(c, a), X(c), N(c, b), X(c), N(c, d), U(c));
    return keep(c, s);
}

static const char *count_word(int n, int cap) {
    static const char *w[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                              "eleven", "twelve"};
    static const char *W[] = {"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
                              "Eleven", "Twelve"};
    return n >= 0 && n <= 12 ? (cap ? W[n] : w[n]) : NULL;
}
/* "4x" (terse, or a count above twelve) or "four" */
static const char *CNT(ds_ctx *c, int n) {
    char *b = cbuf(c);
    if (c->ncounts < 64) c->counts[c->ncounts++] = n;
    if (c->style == ST_TERSE || !count_word(n, 0)) snprintf(b, 96, "%dx", n);
    else snprintf(b, 96, "%s", count_word(n, 0));
    return b;
}

/* ---- geometry helpers ---- */

static const char *axis_name(int k) { return k == 0 ? "x" : k == 1 ? "y" : "z"; }
static const char *edge_name(int k, int hi) {
    static const char *e[3][2] = {{"left", "right"}, {"front", "back"}, {"bottom", "top"}};
    return e[k][hi];
}
static const char *face_name(int k, int side) {
    static const char *e[3][2] = {{"left face", "right face"}, {"front face", "back face"}, {"bottom", "top"}};
    return e[k][side > 0];
}
static const char *plane_name(const ds_feature *f) {
    int k = f->axis;
    return k == 2 ? "XY" : k == 1 ? "XZ" : k == 0 ? "YZ" : "a tilted plane";
}

/* the in-plane world axes of a feature's sketch: a along u, b along v; -1 if tilted */
static int plane_axes(const ds_feature *f, int *a, int *b) {
    *a = *b = -1;
    for (int k = 0; k < 3; k++) {
        if (fabs(fabs(f->plane.x[k]) - 1) < 1e-9) *a = k;
        if (fabs(fabs(f->plane.y[k]) - 1) < 1e-9) *b = k;
    }
    return *a >= 0 && *b >= 0 && f->axis >= 0 ? 0 : -1;
}

static void member_world(const ds_feature *f, int i, double *w) { cad_plane_to_world(&f->plane, f->cu[i], f->cv[i], 0, w); }

static double part_eps(const ds_part *p) {
    double s = 0;
    for (int k = 0; k < 3; k++) s = fmax(s, p->hi[k] - p->lo[k]);
    return 1e-4 * s;
}

static const ds_feature *main_base(const ds_part *p) {
    const ds_feature *best = NULL;
    for (int i = 0; i < p->nf; i++)
        if (p->f[i].role == DS_ROLE_BASE && (!best || p->f[i].shape.w * p->f[i].shape.h > best->shape.w * best->shape.h))
            best = &p->f[i];
    return best;
}

/* where a group sits on the part: "centred", "10 from the edges", "30 from the left edge and 20
 * from the front edge", or positions; appended to b with a leading ", " (nothing if unknown) */
static void placement(ds_ctx *c, ds_sb *b, const ds_feature *f) {
    int A, B;
    if (c->plan || plane_axes(f, &A, &B) < 0) return;
    const ds_part *p = c->p;
    double eps = part_eps(p), mn[3] = {INFINITY, INFINITY, INFINITY}, mx[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int i = 0; i < f->count; i++) {
        double w[3];
        member_world(f, i, w);
        for (int k = 0; k < 3; k++) mn[k] = fmin(mn[k], w[k]), mx[k] = fmax(mx[k], w[k]);
    }
    int ax[2] = {A, B};
    double lo[2], hi[2];
    int cen[2];
    for (int j = 0; j < 2; j++) {
        int k = ax[j];
        lo[j] = mn[k] - p->lo[k], hi[j] = p->hi[k] - mx[k];
        cen[j] = fabs(lo[j] - hi[j]) <= eps;
    }
    if (f->count > 1 && f->pattern == DS_PAT_GRID && cen[0] && cen[1] && lo[0] > eps && lo[1] > eps) {
        if (fabs(lo[0] - lo[1]) <= eps) {
            switch (pick(c, 3)) {
            case 0: sb_add(b, ", %s from the edges", L(c, lo[0])); break;
            case 1: sb_add(b, ", %s in from each edge", L(c, lo[0])); break;
            default: sb_add(b, ", inset %s from the edges", L(c, lo[0])); break;
            }
        } else {
            sb_add(b, ", %s from the %s/%s edges and %s from the %s/%s edges", L(c, lo[0]), edge_name(A, 0),
                   edge_name(A, 1), L(c, lo[1]), edge_name(B, 0), edge_name(B, 1));
        }
        return;
    }
    if (f->pattern == DS_PAT_CIRCULAR || f->count == 1 || f->pattern == DS_PAT_GRID) {
        /* the group's centre */
        double m[2];
        for (int j = 0; j < 2; j++) m[j] = (lo[j] + (p->hi[ax[j]] - p->lo[ax[j]] - hi[j])) / 2;
        if (cen[0] && cen[1]) {
            sb_add(b, ", %s", PICK(c, "centred", "in the middle", "concentric with the part", "on the centre"));
        } else if (cen[0] || cen[1]) {
            int j = cen[0] ? 1 : 0;
            sb_add(b, ", centred along %s, %s from the %s edge", axis_name(ax[1 - j]), L(c, m[j]), edge_name(ax[j], 0));
        } else {
            sb_add(b, ", %s from the %s edge and %s from the %s edge", L(c, m[0]), edge_name(A, 0), L(c, m[1]),
                   edge_name(B, 0));
        }
        return;
    }
    /* a list: every centre from the part's corner */
    sb_add(b, ", at (%s, %s)", axis_name(A), axis_name(B));
    int n = f->count < 12 ? f->count : 12;
    for (int i = 0; i < n; i++) {
        double w[3];
        member_world(f, i, w);
        sb_add(b, "%s(%s, %s)", i ? " " : " = ", N(c, w[A] - p->lo[A]), N(c, w[B] - p->lo[B]));
    }
    if (f->count > n) sb_add(b, " and %d more", f->count - n);
    sb_add(b, " from the %s-%s corner", edge_name(A, 0), edge_name(B, 0));
}

/* "in a 2 x 2 grid, 40 x 20 apart", "on a 50 mm PCD", "in a row at 12 pitch" */
static void pattern(ds_ctx *c, ds_sb *b, const ds_feature *f) {
    if (f->count < 2) return;
    if (f->pattern == DS_PAT_CIRCULAR) {
        switch (pick(c, 4)) {
        case 0: sb_add(b, ", equally spaced on a %s PCD", L(c, f->pcd)); break;
        case 1: sb_add(b, " on a Ø%s bolt circle", N(c, f->pcd)); break;
        case 2: sb_add(b, " on a %s pitch circle", L(c, f->pcd)); break;
        default: sb_add(b, ", PCD %s", L(c, f->pcd)); break;
        }
    } else if (f->pattern == DS_PAT_GRID) {
        if (f->nx > 1 && f->ny > 1)
            sb_add(b, " in a %d x %d grid, %s %s", f->nx, f->ny, DIM2(c, f->px, f->py),
                   PICK(c, "apart", "pitch", "centre to centre"));
        else
            sb_add(b, " in a row, %s %s", L(c, f->nx > 1 ? f->px : f->py), PICK(c, "apart", "pitch", "on centres"));
    }
}

/* ---- shapes as words ---- */

static const char *poly_name(int n) {
    static const char *w[] = {"", "", "", "triangular", "square", "pentagonal", "hexagonal", "heptagonal", "octagonal"};
    return n <= 8 ? w[n] : "polygonal";
}

/* a cut or boss outline: "Ø8", "30 x 10 rectangular", "40 x 12 slot-shaped", ... (with its noun) */
static void shape_np(ds_ctx *c, ds_sb *b, const ds_shape *s, const char *noun_round, const char *noun) {
    switch (s->kind) {
    case DS_CIRCLE: sb_add(b, "%s %s", D(c, s->w), noun_round); break;
    case DS_RECT:
        if (fabs(s->w - s->h) <= 1e-6 * s->w) sb_add(b, "%s square %s", L(c, s->w), noun);
        else sb_add(b, "%s rectangular %s", DIM2(c, s->w, s->h), noun);
        break;
    case DS_ROUNDRECT: sb_add(b, "%s %s with %s corners", DIM2(c, s->w, s->h), noun, R(c, s->r)); break;
    case DS_SLOT: sb_add(b, "%s %s %s", DIM2(c, s->w, s->h), PICK(c, "slot-shaped", "obround", "stadium-shaped"), noun); break;
    case DS_POLYGON:
        if (s->n == 3) sb_add(b, "triangular %s of side %s", noun, L(c, s->h * sin(M_PI / 3)));
        else sb_add(b, "%s %s %s across flats", poly_name(s->n), noun, L(c, s->w));
        break;
    default:
        sb_add(b, "%s %s outlined by %d line%s", DIM2(c, s->w, s->h), noun, s->lines, s->lines == 1 ? "" : "s");
        if (s->arcs) sb_add(b, " and %d arc%s", s->arcs, s->arcs == 1 ? "" : "s");
        break;
    }
}

static const char *family_noun(ds_ctx *c) {
    if (!c->hint || !c->hint->family || !*c->hint->family) return NULL;
    char *b = cbuf(c);
    snprintf(b, 96, "%s", c->hint->family);
    for (char *q = b; *q; q++)
        if (*q == '_') *q = ' ';
    return b;
}

static int has_role(const ds_part *p, ds_role r) {
    for (int i = 0; i < p->nf; i++)
        if (p->f[i].role == r) return 1;
    return 0;
}

static const ds_feature *central_hole(const ds_part *p, const ds_feature *base) {
    for (int i = 0; i < p->nf; i++) {
        const ds_feature *f = &p->f[i];
        if ((f->role == DS_ROLE_HOLE || f->role == DS_ROLE_THRU) && f->count == 1 && f->shape.kind == DS_CIRCLE &&
            base->shape.kind == DS_CIRCLE && hypot(f->cu[0] - base->cu[0], f->cv[0] - base->cv[0]) < part_eps(p))
            return f;
    }
    return NULL;
}

/* the main body's noun from its shape and proportions */
static const char *base_noun(ds_ctx *c, const ds_feature *f) {
    const char *fam = family_noun(c);
    if (fam) return fam;
    const ds_shape *s = &f->shape;
    double t = f->depth, a = fmin(s->w, s->h), big = fmax(s->w, s->h);
    int holes = has_role(c->p, DS_ROLE_HOLE) || has_role(c->p, DS_ROLE_THRU);
    int bolt = 0;
    for (int i = 0; i < c->p->nf; i++) bolt |= c->p->f[i].pattern == DS_PAT_CIRCULAR;
    switch (s->kind) {
    case DS_CIRCLE:
        if (bolt) return PICK(c, "flange", "round flange", "bolted disc");
        if (central_hole(c->p, f)) return t < 0.4 * s->w ? PICK(c, "washer", "ring", "spacer ring") : PICK(c, "bushing", "tube", "sleeve");
        return t < 0.5 * s->w ? PICK(c, "disc", "round plate", "disk") : t > 3 * s->w ? PICK(c, "rod", "pin", "round bar") : PICK(c, "cylinder", "round block", "puck");
    case DS_RECT:
    case DS_ROUNDRECT:
        if (t < 0.25 * a) return holes ? PICK(c, "mounting plate", "plate", "base plate", "panel") : PICK(c, "plate", "flat plate", "sheet");
        if (big > 4 * fmax(a, t)) return PICK(c, "bar", "beam", "strip");
        return PICK(c, "block", "box", "cuboid");
    case DS_SLOT: return PICK(c, "link", "obround plate", "slotted link");
    case DS_POLYGON: return t < 0.3 * s->w ? "plate" : PICK(c, "prism", "bar", "block");
    default: return PICK(c, "part", "profile extrusion", "extruded profile", "body");
    }
}

static const char *base_adj(ds_ctx *c, const ds_feature *f) {
    switch (f->shape.kind) {
    case DS_CIRCLE: return "";
    case DS_RECT: return fabs(f->shape.w - f->shape.h) <= 1e-6 * f->shape.w ? "square" : "rectangular";
    case DS_ROUNDRECT: return PICK(c, "rounded", "rounded-corner", "radiused");
    case DS_SLOT: return "";
    case DS_POLYGON: return poly_name(f->shape.n);
    default: return "";
    }
}

/* ---- detailed: one phrase per feature ---- */

static void extent_words(ds_ctx *c, ds_sb *b, const ds_feature *f, const cad_model *unused) {
    (void)unused;
    if (f->extent == CAD_EXT_SYM) sb_add(b, ", %s", PICK(c, "extruded symmetrically about its sketch plane", "mid-plane extrusion", "centred on the sketch plane"));
    else if (f->extent == CAD_EXT_TWO) sb_add(b, ", extruded both ways from its sketch plane");
}

static int base_plane_words(ds_ctx *c, ds_sb *b, const ds_feature *f) {
    double off = f->axis >= 0 ? f->plane.origin[f->axis] : 0;
    if (f->axis < 0) {
        sb_add(b, ", sketched on a tilted plane");
        return 1;
    }
    if (fabs(off) > part_eps(c->p)) {
        sb_add(b, ", sketched on %s offset %s along %s", plane_name(f), L(c, off), axis_name(f->axis));
        return 1;
    }
    if (c->style == ST_SPEC || pick(c, 3) == 0) sb_add(b, ", %s %s", PICK(c, "on", "sketched on", "drawn on"), plane_name(f));
    return 0;
}

static void base_phrase(ds_ctx *c, ds_sb *b, const ds_feature *f) {
    const ds_shape *s = &f->shape;
    const char *noun = base_noun(c, f), *adj = base_adj(c, f);
    int terse = c->style == ST_TERSE;
    if (f->count > 1) sb_add(b, "%s ", CNT(c, f->count));
    else if (!terse) sb_add(b, "a ");
    switch (s->kind) {
    case DS_CIRCLE:
        if (terse) sb_add(b, "%s %s x %s", noun, D(c, s->w), L(c, f->depth));
        else if (f->depth <= s->w) sb_add(b, "%s %s, %s %s", D(c, s->w), noun, L(c, f->depth), PICK(c, "thick", "thick", "high"));
        else sb_add(b, "%s %s, %s %s", D(c, s->w), noun, L(c, f->depth), PICK(c, "long", "tall", "in length"));
        break;
    case DS_RECT:
    case DS_ROUNDRECT:
        if (terse || pick(c, 2)) sb_add(b, "%s%s%s %s", terse ? "" : adj, terse ? "" : " ", noun, DIM3(c, s->w, s->h, f->depth));
        else sb_add(b, "%s %s %s, %s %s", DIM2(c, s->w, s->h), adj, noun, L(c, f->depth), PICK(c, "thick", "deep", "high"));
        if (s->kind == DS_ROUNDRECT) sb_add(b, "%s%s %s", terse ? " " : " with ", R(c, s->r), PICK(c, "corners", "corner radii", "rounded corners"));
        break;
    case DS_SLOT:
        sb_add(b, "%s %s %s, %s thick (%s ends)", PICK(c, "obround", "slot-shaped", "stadium-shaped"), noun, DIM2(c, s->w, s->h),
               L(c, f->depth), R(c, s->r));
        break;
    case DS_POLYGON:
        if (s->n == 3) sb_add(b, "triangular %s, side %s, %s thick", noun, L(c, s->h * sin(M_PI / 3)), L(c, f->depth));
        else sb_add(b, "%s %s %s across flats, %s thick", adj, noun, L(c, s->w), L(c, f->depth));
        break;
    default:
        sb_add(b, "%s: a profile of %d line%s", noun, s->lines, s->lines == 1 ? "" : "s");
        if (s->arcs) sb_add(b, " and %d arc%s", s->arcs, s->arcs == 1 ? "" : "s");
        sb_add(b, " spanning %s, extruded %s", DIM2(c, s->w, s->h), L(c, f->depth));
        break;
    }
    if (f->count > 1) {
        pattern(c, b, f);
        placement(c, b, f);
    }
    base_plane_words(c, b, f);
    extent_words(c, b, f, NULL);
}

static const char *thru_word(ds_ctx *c) {
    return c->style == ST_TERSE ? PICK(c, "thru", "through", "THRU") : PICK(c, "through", "through", "clearance", "thru");
}

static void hole_phrase(ds_ctx *c, ds_sb *b, const ds_feature *f) {
    const ds_part *p = c->p;
    const ds_feature *par = f->parent >= 0 ? &p->f[f->parent] : NULL;
    int round = f->shape.kind == DS_CIRCLE;
    if (f->count > 1) sb_add(b, "%s ", CNT(c, f->count));
    else sb_add(b, "%s", c->style == ST_TERSE ? "" : "a ");
    if (round) {
        const char *hole = f->count > 1 ? PICK(c, "holes", "holes", "bores") : PICK(c, "hole", "bore", "hole");
        sb_add(b, "%s %s %s", D(c, f->shape.w), thru_word(c), hole);
    } else {
        shape_np(c, b, &f->shape, "", f->count > 1 ? PICK(c, "cut-outs", "openings", "holes") : PICK(c, "cut-out", "opening", "hole"));
        sb_add(b, " %s", PICK(c, "through", "right through", "cut through"));
    }
    if (par && par->role == DS_ROLE_BOSS) sb_add(b, " %s", PICK(c, "through the boss", "in the boss"));
    else if (par && (par->role == DS_ROLE_POCKET || par->role == DS_ROLE_THRU)) sb_add(b, " left standing in the cut");
    pattern(c, b, f);
    placement(c, b, f);
}

static void cut_phrase(ds_ctx *c, ds_sb *b, const ds_feature *f) {
    if (f->role == DS_ROLE_THRU) {
        hole_phrase(c, b, f);
        if (f->axis >= 0 && pick(c, 2)) sb_add(b, " (along %s)", axis_name(f->axis));
        return;
    }
    int terse = c->style == ST_TERSE;
    if (f->count > 1) sb_add(b, "%s ", CNT(c, f->count));
    else if (!terse) sb_add(b, "a ");
    const char *noun = f->shape.kind == DS_CIRCLE ? PICK(c, "counterbore", "blind hole", "recess", "pocket")
                                                  : PICK(c, "pocket", "recess", "pocket");
    if (f->count > 1) noun = f->shape.kind == DS_CIRCLE ? PICK(c, "blind holes", "recesses") : PICK(c, "pockets", "recesses");
    shape_np(c, b, &f->shape, noun, noun);
    sb_add(b, ", %s %s", L(c, f->depth), PICK(c, "deep", "deep", "in depth"));
    if (f->side && f->axis >= 0) sb_add(b, " %s the %s", PICK(c, "from", "into", "cut from"), face_name(f->axis, f->side));
    pattern(c, b, f);
    placement(c, b, f);
}

static void boss_phrase(ds_ctx *c, ds_sb *b, const ds_feature *f) {
    int terse = c->style == ST_TERSE;
    if (f->count > 1) sb_add(b, "%s ", CNT(c, f->count));
    else if (!terse) sb_add(b, "a ");
    const char *noun = f->shape.kind == DS_CIRCLE ? (f->count > 1 ? PICK(c, "bosses", "pins", "posts") : PICK(c, "boss", "hub", "post", "boss"))
                                                  : (f->count > 1 ? PICK(c, "blocks", "pads", "ribs") : PICK(c, "block", "pad", "raised block"));
    if (f->role == DS_ROLE_INTERSECT) noun = "body to intersect with";
    shape_np(c, b, &f->shape, noun, noun);
    sb_add(b, ", %s %s", L(c, f->depth), PICK(c, "high", "tall", "proud"));
    if (f->side && f->axis >= 0) sb_add(b, " %s the %s", PICK(c, "on", "standing on", "on"), face_name(f->axis, f->side));
    else if (f->axis >= 0) sb_add(b, " on %s, from %s = %s", plane_name(f), axis_name(f->axis), N(c, f->lo[f->axis]));
    else sb_add(b, " on a tilted plane");
    extent_words(c, b, f, NULL);
    pattern(c, b, f);
    placement(c, b, f);
}

static void feature_phrase(ds_ctx *c, ds_sb *b, const ds_feature *f) {
    switch (f->role) {
    case DS_ROLE_BASE: base_phrase(c, b, f); break;
    case DS_ROLE_HOLE: hole_phrase(c, b, f); break;
    case DS_ROLE_THRU:
    case DS_ROLE_POCKET: cut_phrase(c, b, f); break;
    default: boss_phrase(c, b, f); break;
    }
}

static const char *spec_label(ds_ctx *c, const ds_feature *f) {
    switch (f->role) {
    case DS_ROLE_BASE: return PICK(c, "base", "body", "stock");
    case DS_ROLE_HOLE:
    case DS_ROLE_THRU: return f->shape.kind == DS_CIRCLE ? PICK(c, "holes", "bores", "drilling") : PICK(c, "cut-out", "opening");
    case DS_ROLE_POCKET: return PICK(c, "pocket", "recess");
    case DS_ROLE_BOSS: return PICK(c, "boss", "add", "feature");
    default: return "intersect";
    }
}

static int said(const ds_ctx *c, double v) {
    char b[32];
    double r = atof(ds_number(v, b));
    for (int i = 0; i < c->nsaid; i++)
        if (c->said[i] == r) return 1;
    return 0;
}

static void overall(ds_ctx *c, ds_sb *b, const char *lead) {
    const ds_part *p = c->p;
    double d[3] = {p->hi[0] - p->lo[0], p->hi[1] - p->lo[1], p->hi[2] - p->lo[2]};
    if (said(c, d[0]) && said(c, d[1]) && said(c, d[2])) return;
    sb_add(b, "%s%s %s (x, y, z)", lead, PICK(c, "overall", "overall size", "envelope", "bounding box"), DIM3(c, d[0], d[1], d[2]));
}

static void hint_params(ds_ctx *c, ds_sb *b, const char *lead, const char *sep) {
    if (!c->hint) return;
    int first = 1;
    for (int i = 0; i < c->hint->nparams && i < DS_MAX_PARAMS; i++) {
        const ds_param *q = &c->hint->params[i];
        int cnt = 0;
        for (int k = 0; k < c->ncounts; k++) cnt |= c->counts[k] == q->value;
        if (!q->name || cnt || said(c, q->value)) continue;
        char name[64];
        snprintf(name, sizeof name, "%s", q->name);
        for (char *s = name; *s; s++)
            if (*s == '_') *s = ' ';
        sb_add(b, "%s%s %s", first ? lead : sep, name, N(c, q->value));
        first = 0;
    }
}

/* feature order: the base first, the rest in build order or shuffled */
static int order(ds_ctx *c, int *ord) {
    const ds_part *p = c->p;
    int n = 0;
    const ds_feature *mb = main_base(p);
    ord[n++] = (int)(mb - p->f);
    for (int i = 0; i < p->nf; i++)
        if (&p->f[i] != mb) ord[n++] = i;
    if (n > 2 && pick(c, 3) == 0)
        for (int i = n - 1; i > 1; i--) {
            int j = 1 + pick(c, i);
            int t = ord[i];
            ord[i] = ord[j], ord[j] = t;
        }
    return n;
}

/* "a" or "an" before s ("an 80 mm", "an 11 mm", "an obround") */
static const char *article(const char *s) {
    if (strchr("aeiouAEIOU8", s[0]) && s[0]) return "an";
    if (s[0] == '1' && (s[1] == '1' || s[1] == '8') && (s[2] < '0' || s[2] > '9')) return "an";
    return "a";
}

/* every article "a" before a word that takes "an" becomes "an" (a new string; s is freed) */
static char *fix_articles(char *s) {
    size_t n = strlen(s);
    char *o = ut_malloc(2 * n + 1), *q = o;
    for (size_t i = 0; i < n; i++) {
        *q++ = s[i];
        int word = (s[i] == 'a' || s[i] == 'A') && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\n') && s[i + 1] == ' ';
        if (word && s[i + 2] && !strcmp(article(s + i + 2), "an")) *q++ = 'n';
    }
    *q = 0;
    free(s);
    return o;
}

static void cap_first(char *s) {
    if (s && *s >= 'a' && *s <= 'z') *s = (char)(*s - 'a' + 'A');
}

static char *phrase_of(ds_ctx *c, const ds_feature *f) {
    ds_sb b = {0};
    feature_phrase(c, &b, f);
    return b.s ? b.s : ut_strdup("");
}

static void detailed(ds_ctx *c, ds_sb *b) {
    const ds_part *p = c->p;
    int *ord = ut_malloc((size_t)(p->nf + 1) * sizeof *ord);
    int n = order(c, ord);
    switch (c->style) {
    case ST_TERSE:
        for (int i = 0; i < n; i++) {
            char *s = phrase_of(c, &p->f[ord[i]]);
            sb_add(b, "%s%s", i ? "; " : "", s);
            free(s);
        }
        overall(c, b, "; ");
        hint_params(c, b, "; ", ", ");
        break;
    case ST_SPEC:
        sb_add(b, "%s", PICK(c, "", "Spec:\n", "Part spec\n", "Requirements:\n"));
        for (int i = 0; i < n; i++) {
            char *s = phrase_of(c, &p->f[ord[i]]);
            sb_add(b, "- %s: %s\n", spec_label(c, &p->f[ord[i]]), s);
            free(s);
        }
        overall(c, b, "- ");
        if (b->n && b->s[b->n - 1] != '\n') sb_add(b, "\n");
        hint_params(c, b, "- parameters: ", ", ");
        break;
    default: {
        const char *open = c->style == ST_CHATTY ? PICK(c, "I need ", "Could you model ", "I'm looking for ", "Please make me ",
                                                         "Can you design ", "Hi! I'd like ")
                                                 : PICK(c, "", "Model ", "Create ", "Design ");
        char *s = phrase_of(c, &p->f[ord[0]]);
        sb_add(b, "%s%s.", open, s);
        free(s);
        for (int i = 1; i < n; i++) {
            s = phrase_of(c, &p->f[ord[i]]);
            const char *lead = c->style == ST_CHATTY ? PICK(c, " It should have ", " Add ", " Then ", " Also, ", " Put ", " I also need ")
                                                     : PICK(c, " Add ", " It has ", " With ", " Include ", " ");
            int upper = lead[1] == 0 || lead[1] == ' ';
            if (upper) cap_first(s);
            sb_add(b, "%s%s.", lead, s);
            free(s);
        }
        size_t at = b->n + 1;
        overall(c, b, " ");
        if (b->n > at) cap_first(b->s + at);
        if (b->n && b->s[b->n - 1] != '.') sb_add(b, ".");
        hint_params(c, b, " Parameters: ", ", ");
        if (c->style == ST_CHATTY) sb_add(b, "%s", PICK(c, "", " Thanks!", " Thanks a lot.", " Units are mm.", ""));
        break;
    }
    }
    free(ord);
    if (b->s && c->style != ST_SPEC) {
        char *s = b->s;
        while (*s == ' ') memmove(s, s + 1, strlen(s));
        cap_first(s);
    }
}

/* ---- abstract: no numbers ---- */

static void feature_words(ds_ctx *c, ds_sb *b, const ds_feature *f) {
    const char *cw = f->count == 1 ? "a" : count_word(f->count, 0) ? count_word(f->count, 0) : "several";
    int pl = f->count > 1;
    switch (f->role) {
    case DS_ROLE_HOLE:
    case DS_ROLE_THRU:
        if (f->shape.kind != DS_CIRCLE) {
            sb_add(b, "%s %s%s", cw, f->shape.kind == DS_SLOT ? "slot" : f->shape.kind == DS_POLYGON ? "polygonal cut-out" : "cut-out", pl ? "s" : "");
        } else if (f->pattern == DS_PAT_CIRCULAR) {
            sb_add(b, "%s of %s holes", PICK(c, "a bolt circle", "a ring", "a circular pattern"), cw);
        } else if (f->pattern == DS_PAT_GRID && f->nx == 2 && f->ny == 2) {
            sb_add(b, "four %s", PICK(c, "corner holes", "mounting holes", "holes near the corners"));
        } else if (f->pattern == DS_PAT_GRID && f->count > 1) {
            sb_add(b, "%s %s of %s holes", f->nx > 1 && f->ny > 1 ? "a grid" : "a row", "", cw);
            char *q = strstr(b->s, "  ");
            if (q) memmove(q, q + 1, strlen(q));
        } else if (f->count == 1 && f->parent >= 0 && central_hole(c->p, &c->p->f[f->parent])) {
            sb_add(b, "%s", PICK(c, "a central bore", "a through bore", "a hole in the middle"));
        } else {
            sb_add(b, "%s %s%s", cw, PICK(c, "through hole", "hole"), pl ? "s" : "");
        }
        break;
    case DS_ROLE_POCKET: sb_add(b, "%s %s%s", cw, f->shape.kind == DS_CIRCLE ? "round recess" : "pocket", pl ? (f->shape.kind == DS_CIRCLE ? "es" : "s") : ""); break;
    case DS_ROLE_BOSS:
        sb_add(b, "%s %s%s%s", cw, f->shape.kind == DS_CIRCLE ? "round boss" : "raised block", pl ? (f->shape.kind == DS_CIRCLE ? "es" : "s") : "",
               f->side > 0 && f->axis == 2 ? " on top" : "");
        break;
    case DS_ROLE_INTERSECT: sb_add(b, "its shape trimmed by an intersection"); break;
    default: sb_add(b, "%s %s %s", cw, base_adj(c, f), pl ? "blocks" : "block"); break;
    }
}

static void abstract(ds_ctx *c, ds_sb *b) {
    const ds_part *p = c->p;
    const ds_feature *mb = main_base(p);
    const char *adj = base_adj(c, mb), *noun = base_noun(c, mb);
    int *ord = ut_malloc((size_t)(p->nf + 1) * sizeof *ord);
    int n = order(c, ord);
    ds_sb body = {0};
    if (mb->count > 1) sb_add(&body, "%s %s%s%ss", count_word(mb->count, 0) ? count_word(mb->count, 0) : "several", adj, *adj ? " " : "", noun);
    else sb_add(&body, "%s%s%s", adj, *adj ? " " : "", noun);
    int shown = 0;
    for (int i = 1; i < n && shown < 4; i++) {
        ds_sb w = {0};
        feature_words(c, &w, &p->f[ord[i]]);
        if (!w.s) continue;
        sb_add(&body, "%s%s", shown == 0 ? " with " : (i == n - 1 || shown == 3) ? " and " : ", ", w.s);
        free(w.s);
        shown++;
    }
    free(ord);
    char *s = body.s;
    const char *art = mb->count > 1 ? "" : "a ";
    switch (c->style) {
    case ST_TERSE: sb_add(b, "%s", s); break;
    case ST_CHATTY: {
        const char *open = PICK(c, "I need ", "Can you make ", "I'm after ", "Could you model ");
        sb_add(b, "%s%s%s%s", open, art, s, open[0] == 'C' ? "?" : ".");
        break;
    }
    case ST_SPEC: sb_add(b, "%s%s%s", PICK(c, "Part: ", "Type: ", "Object: "), art, s); break;
    default: sb_add(b, "%s%s.", art, s); cap_first(b->s); break;
    }
    free(s);
}

static void ctx_init(ds_ctx *c, const ds_part *p, const ds_hint *hint, uint64_t seed) {
    memset(c, 0, sizeof *c);
    c->p = p, c->hint = hint;
    ut_rng_seed(&c->rng, seed);
    c->style = pick(c, ST_N);
    c->unit = c->style == ST_TERSE ? (pick(c, 3) ? 2 : 1) : pick(c, 6) < 3 ? 0 : (int)(1 + pick(c, 4));
    c->dia = c->style == ST_TERSE ? pick(c, 2) : pick(c, 4);
    c->rad = c->style == ST_TERSE ? 0 : pick(c, 3);
    c->by = c->style == ST_TERSE ? pick(c, 2) : pick(c, 3);
}

int ds_describe_part(const ds_part *p, const ds_hint *hint, uint64_t seed, ds_kind kind, char **out) {
    *out = NULL;
    if (!main_base(p)) return ut_fail("cannot describe the part: it has no base extrude");
    ds_ctx *c = ut_malloc(sizeof *c);
    ctx_init(c, p, hint, seed);
    ds_sb b = {0};
    if (kind == DS_ABSTRACT) abstract(c, &b);
    else detailed(c, &b);
    free(c);
    while (b.n && (b.s[b.n - 1] == '\n' || b.s[b.n - 1] == ' ')) b.s[--b.n] = 0;
    *out = fix_articles(b.s ? b.s : ut_strdup(""));
    return 0;
}

int ds_describe(const cad_model *m, const ds_hint *hint, uint64_t seed, ds_kind kind, char **out) {
    *out = NULL;
    ds_part p;
    if (ds_analyze(m, &p) < 0) return -1;
    int rc = ds_describe_part(&p, hint, seed, kind, out);
    ds_part_free(&p);
    return rc;
}

/* ---- the think plan: fixed terse wording, build order ---- */

static const char *role_word(ds_role r) {
    static const char *w[] = {"base", "hole", "through cut", "pocket", "boss", "intersect"};
    return w[r];
}

char *ds_think_part(const ds_part *p, const ds_hint *hint) {
    const ds_feature *mb = main_base(p);
    if (!mb) return ut_fail("cannot plan the part: it has no base extrude"), NULL;
    ds_ctx *c = ut_malloc(sizeof *c);
    ctx_init(c, p, hint, 0);
    c->style = ST_TERSE, c->unit = 2, c->dia = 0, c->rad = 0, c->by = 1, c->plan = 1;
    ds_sb b = {0};
    const char *fam = family_noun(c);
    sb_add(&b, "%s%s", fam ? fam : "", fam ? ": " : "");
    base_phrase(c, &b, mb);
    if (!strstr(b.s, plane_name(mb))) sb_add(&b, " on %s", plane_name(mb));
    int lines = 1, rest = 0;
    char more[128] = "";
    for (int i = 0; i < p->nf; i++) {
        const ds_feature *f = &p->f[i];
        if (f == mb) continue;
        if (lines < 3 || (lines == 3 && i == p->nf - 1)) {
            sb_add(&b, "\n");
            feature_phrase(c, &b, f);
            lines++;
        } else {
            rest++;
            size_t k = strlen(more);
            if (k < 100) snprintf(more + k, sizeof more - k, "%s%s", k ? ", " : "", role_word(f->role));
        }
    }
    if (rest) sb_add(&b, "\nthen %d more: %s", rest, more);
    free(c);
    return b.s;
}

char *ds_think(const cad_model *m, const ds_hint *hint) {
    ds_part p;
    if (ds_analyze(m, &p) < 0) return NULL;
    char *s = ds_think_part(&p, hint);
    ds_part_free(&p);
    return s;
}
