/* rewrite.c - the parametric writer (see rewrite.h): parameters, profile functions, pattern
 * loops and mirror functions, one Extrude statement per model extrude. */
#include "data/rewrite.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/tol.h"
#include "base/util.h"
#include "cad/codewrite.h"
#include "data/rewrite_int.h"

#define RP_MAX_LOCALS 150 /* top-level locals at most (Lua allows 200 per function) */
#define RP_LINE 100       /* an Extrude statement longer than this puts each face on its own line */
#define RP_NAME 24        /* bytes of a local's name */
#define RP_TXT 160        /* bytes of one number or short expression */

/* ---- text ---- */

typedef struct {
    char *s;
    int n, cap;
} rp_buf;

static void rp_puts(rp_buf *b, const char *s) {
    int len = (int)strlen(s);
    ut_grow((void **)&b->s, &b->cap, b->n + len + 1, 1);
    memcpy(b->s + b->n, s, (size_t)len + 1);
    b->n += len;
}

static void rp_printf(rp_buf *b, const char *fmt, ...) UT_PRINTF(2, 3);
static void rp_printf(rp_buf *b, const char *fmt, ...) {
    char t[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    if (n < (int)sizeof t) {
        rp_puts(b, t);
        return;
    }
    char *big = ut_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    rp_puts(b, big);
    free(big);
}

/* ---- parameters ---- */

/* roles name a new parameter: the first of a role is "w", the next "w2", ...; a value met again
 * reuses a name of its family (offsets: of any length family), so equal sizes share a name but
 * a radius never reads as a height */
typedef enum { RR_W, RR_D, RR_H, RR_L, RR_RF, RR_R, RR_RP, RR_RC, RR_P, RR_N, RR_OX, RR_OY, RR_OZ, RR_NROLES } rp_role;
static const char *const rp_role_name[RR_NROLES] = {"w", "d", "h", "l", "rf", "r", "rp", "R", "p", "n", "ox", "oy", "oz"};
enum { RF_SIZE, RF_HEIGHT, RF_RADIUS, RF_COUNT, RF_OFFSET };
static const int rp_role_family[RR_NROLES] = {RF_SIZE,   RF_SIZE,   RF_HEIGHT, RF_SIZE,   RF_RADIUS, RF_RADIUS, RF_RADIUS,
                                              RF_RADIUS, RF_SIZE,   RF_COUNT,  RF_OFFSET, RF_OFFSET, RF_OFFSET};

static int rp_may_reuse(rp_role want, rp_role have) {
    int fw = rp_role_family[want], fh = rp_role_family[have];
    if (fw == RF_COUNT || fh == RF_COUNT) return fw == fh;
    return fw == fh || fw == RF_OFFSET;
}

typedef struct {
    double v;     /* > 0 */
    char name[16];
    rp_role role; /* of the first use */
} rp_param;

enum { RH_RECT = 1, RH_ROUNDED = 2, RH_SLOT = 4, RH_POLYGON = 8 }; /* helper functions used */

typedef struct {
    const cad_model *m;
    double tol;              /* number printing (cw_number) and parameter matching */
    double eps;              /* recognition, of the current sketch */
    rp_param par[RP_MAX_PARAMS];
    int npar, nrole[RR_NROLES];
    int helpers, nlocals, nholes, nbosses, nsides;
    rp_buf body;
    rp_info info;
    int bad; /* a non-finite number, or a call over CW_MAX_ARGS arguments */
} rp_ctx;

/* a literal number into out[size] */
static void rp_num(rp_ctx *x, double v, double tol, char *out, size_t size) {
    if (cw_number(v, tol, out, size) < 0) {
        x->bad = 1;
        snprintf(out, size, "0");
    }
}
static void rp_lit(rp_ctx *x, double v, double tol, char *out) { rp_num(x, v, tol, out, RP_TXT); }

/* the text of a length v (mm): a parameter's name (new or met before), or a literal */
static void rp_len(rp_ctx *x, double v, rp_role role, char *out) {
    double a = fabs(v);
    if (!isfinite(v)) {
        x->bad = 1;
        snprintf(out, RP_TXT, "0");
        return;
    }
    if (a <= x->tol) {
        snprintf(out, RP_TXT, "0");
        return;
    }
    for (int i = 0; i < x->npar; i++)
        if (rp_may_reuse(role, x->par[i].role) && fabs(x->par[i].v - a) <= x->tol) {
            snprintf(out, RP_TXT, "%s%s", v < 0 ? "-" : "", x->par[i].name);
            return;
        }
    if (x->npar == RP_MAX_PARAMS) {
        rp_lit(x, v, x->tol, out);
        return;
    }
    rp_param *p = &x->par[x->npar++];
    p->v = a;
    p->role = role;
    int k = ++x->nrole[role];
    if (k == 1) snprintf(p->name, sizeof p->name, "%s", rp_role_name[role]);
    else snprintf(p->name, sizeof p->name, "%s%d", rp_role_name[role], k);
    snprintf(out, RP_TXT, "%s%s", v < 0 ? "-" : "", p->name);
}

static void rp_count(rp_ctx *x, int n, char *out) { rp_len(x, n, RR_N, out); }

/* ---- positions, optionally mirrored: inside `function side(s)`, coordinate `axis` of a point
 * is written c + s * (v - c) ---- */

typedef struct {
    int axis; /* -1: no mirror; 0: about u = c; 1: about v = c */
    double c;
} rp_map;

static const rp_map rp_nomap = {-1, 0};

static void rp_pos(rp_ctx *x, double v, int axis, const rp_map *mp, char *out) {
    if (mp->axis != axis) {
        rp_lit(x, v, x->tol, out);
        return;
    }
    char c[64], d[64]; /* cw_number's text is at most 32 bytes */
    double dv = v - mp->c;
    rp_num(x, mp->c, x->tol, c, sizeof c);
    rp_num(x, fabs(dv), x->tol, d, sizeof d);
    int zc = !strcmp(c, "0"), zd = !strcmp(d, "0");
    if (zd) snprintf(out, RP_TXT, "%s", c);
    else if (zc) snprintf(out, RP_TXT, "%ss * %s", dv < 0 ? "-" : "", d);
    else snprintf(out, RP_TXT, "%s %s s * %s", c, dv < 0 ? "-" : "+", d);
}

static void rp_point(rp_ctx *x, rp_buf *b, double u, double v, const rp_map *mp) {
    char a[RP_TXT], c[RP_TXT];
    rp_pos(x, u, 0, mp, a);
    rp_pos(x, v, 1, mp, c);
    rp_printf(b, strchr(a, ' ') || strchr(c, ' ') ? "%s, %s" : "%s,%s", a, c);
}

/* ---- loops ---- */

static void rp_curve(rp_ctx *x, rp_buf *b, const cad_curve *c, const rp_map *mp) {
    static const char *names[] = {"Line(", "Arc(", "Circle("};
    rp_puts(b, names[c->kind]);
    int npts = c->kind == CAD_LINE ? 2 : c->kind == CAD_ARC ? 3 : 1;
    for (int i = 0; i < npts; i++) {
        if (i) rp_puts(b, ", ");
        rp_point(x, b, c->p[2 * i], c->p[2 * i + 1], mp);
    }
    if (c->kind == CAD_CIRCLE) {
        char r[RP_TXT];
        rp_len(x, c->p[2], RR_R, r);
        rp_printf(b, ", %s", r);
    }
    rp_puts(b, ")");
}

static void rp_literal_loop(rp_ctx *x, rp_buf *b, const cad_loop *l, const rp_map *mp) {
    int many = l->n > CW_MAX_ARGS;
    rp_puts(b, many ? "Loop(table.unpack{" : "Loop(");
    for (int i = 0; i < l->n; i++) {
        if (i) rp_puts(b, ", ");
        rp_curve(x, b, &x->m->curves[l->first + i], mp);
    }
    rp_puts(b, many ? "})" : ")");
    x->info.literal_loops++;
}

/* "name(cx, cy, " of a centre-based profile function */
static void rp_call_centre(rp_ctx *x, rp_buf *b, const char *fn, const rp_shape *s, const rp_map *mp) {
    rp_printf(b, "%s(", fn);
    rp_point(x, b, s->cx, s->cy, mp);
    rp_puts(b, ", ");
}

/* the angle text of a slot or polygon, degrees (within the printing tolerance at radius r) */
static void rp_angle(rp_ctx *x, double a, double r, char *out) {
    rp_lit(x, a, x->tol / fmax(r, x->tol) * 180 / 3.14159265358979323846, out);
}

static void rp_loop(rp_ctx *x, rp_buf *b, const cad_loop *l, const rp_shape *s, const rp_map *mp) {
    char w[RP_TXT], h[RP_TXT], r[RP_TXT], a[RP_TXT], n[RP_TXT];
    switch (s->kind) {
    case RP_CIRCLE:
        rp_puts(b, "Loop(");
        rp_curve(x, b, &x->m->curves[l->first], mp);
        rp_puts(b, ")");
        x->info.circles++;
        return;
    case RP_RECT:
        rp_len(x, s->w, RR_W, w);
        rp_len(x, s->h, RR_D, h);
        rp_call_centre(x, b, "rect", s, mp);
        rp_printf(b, "%s, %s)", w, h);
        x->helpers |= RH_RECT;
        x->info.rects++;
        return;
    case RP_ROUNDED:
        rp_len(x, s->w, RR_W, w);
        rp_len(x, s->h, RR_D, h);
        rp_len(x, s->r, RR_RF, r);
        rp_call_centre(x, b, "rounded", s, mp);
        rp_printf(b, "%s, %s, %s)", w, h, r);
        x->helpers |= RH_ROUNDED;
        x->info.rounded++;
        return;
    case RP_SLOT:
        rp_len(x, s->w, RR_L, w);
        rp_len(x, s->r, RR_R, r);
        rp_angle(x, s->a, s->w / 2 + s->r, a);
        rp_call_centre(x, b, "slot", s, mp);
        if (!strcmp(a, "0")) rp_printf(b, "%s, %s)", w, r);
        else rp_printf(b, "%s, %s, %s%s)", w, r, mp->axis >= 0 ? "s * " : "", a);
        x->helpers |= RH_SLOT;
        x->info.slots++;
        return;
    case RP_POLYGON:
        if (mp->axis < 0) {
            rp_len(x, s->r, RR_RP, r);
            rp_count(x, s->n, n);
            rp_angle(x, s->a, s->r, a);
            rp_call_centre(x, b, "polygon", s, mp);
            rp_printf(b, "%s, %s, %s)", r, n, a);
            x->helpers |= RH_POLYGON;
            x->info.polygons++;
            return;
        }
        break;
    default:
        break;
    }
    rp_literal_loop(x, b, l, mp);
}

/* ---- the analysis of one sketch: shapes, patterns, mirrors ---- */

enum { RP_PLAIN = 0, RP_IN_PATTERN = 1, RP_MIRROR_FIRST = 2, RP_MIRROR_SECOND = 3 };

typedef struct {
    int role;  /* RP_PLAIN ... */
    int which; /* the pattern / mirror index */
} rp_mark;

typedef struct {
    rp_pattern p;
    int face; /* holes of faces[face]; -1: one-circle faces of the sketch */
} rp_pat;

typedef struct {
    int a, b;  /* loop (hole level) or face (sketch level) indices into the model */
    int face;  /* -1: a pair of faces */
    rp_map map;
    char name[24];
} rp_mir;

typedef struct {
    const cad_sketch *s;
    rp_shape *shape;   /* per model loop of the sketch: shape[loop - loop0] */
    rp_mark *lmark;    /* per loop */
    rp_mark *fmark;    /* per face of the sketch: fmark[face - s->first] */
    int loop0, nloops;
    rp_pat *pat;
    int npat, cap_pat;
    rp_mir *mir;
    int nmir, cap_mir;
} rp_sk;

static double rp_sketch_extent(const cad_model *m, const cad_sketch *s) {
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (int f = s->first; f < s->first + s->n; f++)
        for (int l = m->faces[f].first; l < m->faces[f].first + m->faces[f].n; l++)
            for (int c = m->loops[l].first; c < m->loops[l].first + m->loops[l].n; c++) {
                const cad_curve *cv = &m->curves[c];
                int npts = cv->kind == CAD_LINE ? 2 : 3;
                double r = cv->kind == CAD_CIRCLE ? cv->p[2] : 0;
                for (int k = 0; k < (cv->kind == CAD_CIRCLE ? 1 : npts); k++)
                    for (int d = 0; d < 2; d++) {
                        lo[d] = fmin(lo[d], cv->p[2 * k + d] - r);
                        hi[d] = fmax(hi[d], cv->p[2 * k + d] + r);
                    }
            }
    double e = fmax(hi[0] - lo[0], hi[1] - lo[1]);
    return isfinite(e) && e > 0 ? e : 1;
}

/* equal circles among items[0..n) (loop indices), grouped by radius, as patterns */
static void rp_find_patterns(rp_ctx *x, rp_sk *k, const int *items, int n, int face) {
    double *cen = ut_malloc((size_t)(2 * n + 2) * sizeof *cen);
    int *grp = ut_malloc((size_t)(n + 1) * sizeof *grp), *mem = ut_malloc((size_t)(n + 1) * sizeof *mem);
    char *done = ut_calloc((size_t)n + 1, 1);
    for (int i = 0; i < n && x->nlocals < RP_MAX_LOCALS; i++) {
        const rp_shape *si = &k->shape[items[i] - k->loop0];
        if (done[i] || si->kind != RP_CIRCLE) continue;
        int g = 0;
        for (int j = i; j < n; j++) {
            const rp_shape *sj = &k->shape[items[j] - k->loop0];
            if (done[j] || sj->kind != RP_CIRCLE || fabs(sj->r - si->r) > x->tol) continue;
            done[j] = 1;
            grp[g] = items[j];
            cen[2 * g] = sj->cx;
            cen[2 * g + 1] = sj->cy;
            g++;
        }
        rp_pattern p;
        int got = rp_find_pattern(cen, g, si->r, x->eps, &p, mem);
        if (!got) continue;
        rp_pat *pp = UT_PUSH(k->pat, k->npat, k->cap_pat);
        pp->p = p;
        pp->face = face;
        for (int j = 0; j < got; j++) {
            int loop = grp[mem[j]];
            rp_mark *mk = face >= 0 ? &k->lmark[loop - k->loop0] : &k->fmark[0];
            if (face < 0) { /* the one-circle face holding this loop */
                for (int f = k->s->first; f < k->s->first + k->s->n; f++)
                    if (x->m->faces[f].first == loop) mk = &k->fmark[f - k->s->first];
            }
            mk->role = RP_IN_PATTERN;
            mk->which = k->npat - 1;
        }
    }
    free(cen);
    free(grp);
    free(mem);
    free(done);
}

/* the axis about which a and b (means ma, mb) may mirror: 0 (u = c), 1 (v = c) or -1 */
static int rp_mirror_axis(const double ma[2], const double mb[2], double eps, double *c) {
    for (int axis = 0; axis < 2; axis++)
        if (fabs(ma[1 - axis] - mb[1 - axis]) <= eps && fabs(ma[axis] - mb[axis]) > eps) {
            *c = (ma[axis] + mb[axis]) / 2;
            return axis;
        }
    return -1;
}

static void rp_add_mirror(rp_ctx *x, rp_sk *k, int a, int b, int face, int axis, double c, rp_mark *mka, rp_mark *mkb) {
    rp_mir *mi = UT_PUSH(k->mir, k->nmir, k->cap_mir);
    mi->a = a;
    mi->b = b;
    mi->face = face;
    mi->map = (rp_map){axis, c};
    if (x->nsides++) snprintf(mi->name, sizeof mi->name, "side%d", x->nsides);
    else snprintf(mi->name, sizeof mi->name, "side");
    x->nlocals++;
    *mka = (rp_mark){RP_MIRROR_FIRST, k->nmir - 1};
    *mkb = (rp_mark){RP_MIRROR_SECOND, k->nmir - 1};
    x->info.mirrors++;
}

/* mirrored pairs among the hole loops items[0..n) of faces[face], or among faces (face = -1,
 * items = face indices) */
static void rp_find_mirrors(rp_ctx *x, rp_sk *k, const int *items, int n, int face) {
    const cad_model *m = x->m;
    if (n > 200) return;
    for (int i = 0; i < n; i++) {
        rp_mark *mi = face >= 0 ? &k->lmark[items[i] - k->loop0] : &k->fmark[items[i] - k->s->first];
        if (mi->role != RP_PLAIN) continue;
        const cad_loop *li = face >= 0 ? &m->loops[items[i]] : &m->loops[m->faces[items[i]].first];
        double ma[2], mb[2], c;
        rp_loop_mean(m, li, ma);
        for (int j = i + 1; j < n && x->nlocals < RP_MAX_LOCALS; j++) {
            rp_mark *mj = face >= 0 ? &k->lmark[items[j] - k->loop0] : &k->fmark[items[j] - k->s->first];
            if (mj->role != RP_PLAIN) continue;
            const cad_loop *lj = face >= 0 ? &m->loops[items[j]] : &m->loops[m->faces[items[j]].first];
            rp_loop_mean(m, lj, mb);
            int axis = rp_mirror_axis(ma, mb, x->eps, &c);
            if (axis < 0) continue;
            int ok = face >= 0 ? rp_loop_mirrors(m, li, lj, axis, c, x->eps)
                               : rp_face_mirrors(m, &m->faces[items[i]], &m->faces[items[j]], axis, c, x->eps);
            if (!ok) continue;
            rp_add_mirror(x, k, items[i], items[j], face, axis, c, mi, mj);
            break;
        }
    }
}

static void rp_analyse(rp_ctx *x, rp_sk *k, const cad_sketch *s) {
    const cad_model *m = x->m;
    memset(k, 0, sizeof *k);
    k->s = s;
    k->loop0 = m->faces[s->first].first;
    const cad_face *fl = &m->faces[s->first + s->n - 1];
    k->nloops = fl->first + fl->n - k->loop0;
    k->shape = ut_calloc((size_t)k->nloops, sizeof *k->shape);
    k->lmark = ut_calloc((size_t)k->nloops, sizeof *k->lmark);
    k->fmark = ut_calloc((size_t)s->n, sizeof *k->fmark);
    for (int i = 0; i < k->nloops; i++) rp_classify(m, &m->loops[k->loop0 + i], x->eps, &k->shape[i]);
    int *items = ut_malloc((size_t)(k->nloops + s->n + 1) * sizeof *items), n = 0;
    /* one-circle faces of the sketch */
    for (int f = s->first; f < s->first + s->n; f++)
        if (m->faces[f].n == 1) items[n++] = m->faces[f].first;
    rp_find_patterns(x, k, items, n, -1);
    for (int f = s->first; f < s->first + s->n; f++) {
        n = 0;
        for (int l = m->faces[f].first + 1; l < m->faces[f].first + m->faces[f].n; l++) items[n++] = l;
        rp_find_patterns(x, k, items, n, f);
        rp_find_mirrors(x, k, items, n, f);
    }
    n = 0;
    for (int f = s->first; f < s->first + s->n; f++) items[n++] = f;
    rp_find_mirrors(x, k, items, n, -1);
    free(items);
}

static void rp_sk_free(rp_sk *k) {
    free(k->shape);
    free(k->lmark);
    free(k->fmark);
    free(k->pat);
    free(k->mir);
}

/* ---- statements before an Extrude: pattern tables and mirror functions ---- */

static void rp_pattern_loop(rp_ctx *x, rp_buf *b, const rp_pat *pp, const char *table, int faces) {
    const rp_pattern *p = &pp->p;
    char r[RP_TXT], cx[RP_TXT], cy[RP_TXT], n[RP_TXT], R[RP_TXT], a0[RP_TXT], px[RP_TXT], py[RP_TXT], nx[RP_TXT], ny[RP_TXT];
    const char *open = faces ? "Face(Loop(Circle(" : "Loop(Circle(", *close = faces ? ")))" : "))";
    rp_len(x, p->r, RR_R, r);
    if (p->kind == RP_CIRCULAR) {
        rp_count(x, p->n, n);
        rp_len(x, p->R, RR_RC, R);
        rp_angle(x, p->a0, p->R, a0);
        rp_lit(x, p->x0, x->tol, cx);
        rp_lit(x, p->y0, x->tol, cy);
        rp_printf(b, "for i = 0, %s - 1 do\n  local a = math.rad(%s%s360 * i / %s)\n", n, strcmp(a0, "0") ? a0 : "",
                  strcmp(a0, "0") ? " + " : "", n);
        rp_printf(b, "  %s[#%s + 1] = %s%s%s%s * math.cos(a), %s%s%s * math.sin(a), %s%s\nend\n", table, table, open,
                  strcmp(cx, "0") ? cx : "", strcmp(cx, "0") ? " + " : "", R, strcmp(cy, "0") ? cy : "",
                  strcmp(cy, "0") ? " + " : "", R, r, close);
        x->info.circular++;
        x->info.patterned += p->n;
        return;
    }
    rp_lit(x, p->x0, x->tol, cx);
    rp_lit(x, p->y0, x->tol, cy);
    if (p->ny == 1 || p->nx == 1) { /* a row along u or v */
        int along_u = p->ny == 1;
        rp_count(x, along_u ? p->nx : p->ny, n);
        rp_len(x, along_u ? p->px : p->py, RR_P, px);
        rp_printf(b, "for i = 0, %s - 1 do %s[#%s + 1] = %s", n, table, table, open);
        if (along_u) rp_printf(b, "%s + i * %s, %s, %s%s end\n", cx, px, cy, r, close);
        else rp_printf(b, "%s, %s + i * %s, %s%s end\n", cx, cy, px, r, close);
    } else {
        rp_count(x, p->nx, nx);
        rp_count(x, p->ny, ny);
        rp_len(x, p->px, RR_P, px);
        rp_len(x, p->py, RR_P, py);
        rp_printf(b, "for i = 0, %s - 1 do\n  for j = 0, %s - 1 do\n", nx, ny);
        rp_printf(b, "    %s[#%s + 1] = %s%s + i * %s, %s + j * %s, %s%s\n  end\nend\n", table, table, open, cx, px, cy, py, r,
                  close);
    }
    x->info.grid++;
    x->info.patterned += p->nx * p->ny;
}

/* the loops of a face, mirrored by mp, as Face(...) arguments */
static void rp_face_loops(rp_ctx *x, rp_buf *b, const rp_sk *k, const cad_face *f, const rp_map *mp) {
    for (int l = f->first; l < f->first + f->n; l++) {
        if (l > f->first) rp_puts(b, ", ");
        rp_loop(x, b, &x->m->loops[l], &k->shape[l - k->loop0], mp);
    }
}

static void rp_mirror_fn(rp_ctx *x, rp_buf *b, const rp_sk *k, const rp_mir *mi) {
    rp_printf(b, "local function %s(s)\n  return ", mi->name);
    if (mi->face >= 0) {
        rp_loop(x, b, &x->m->loops[mi->a], &k->shape[mi->a - k->loop0], &mi->map);
    } else {
        int many = x->m->faces[mi->a].n > CW_MAX_ARGS;
        if (many) x->bad = 1;
        rp_puts(b, "Face(");
        rp_face_loops(x, b, k, &x->m->faces[mi->a], &mi->map);
        rp_puts(b, ")");
    }
    rp_puts(b, "\nend\n");
}

/* the table of face f's patterns (f = -1: the sketch's), declared and filled; name in table */
static int rp_tables(rp_ctx *x, rp_buf *b, const rp_sk *k, int face, int cut, char *table) {
    int any = 0;
    for (int i = 0; i < k->npat; i++) {
        if (k->pat[i].face != face) continue;
        if (!any) {
            int holes = face >= 0 || cut;
            int *cnt = holes ? &x->nholes : &x->nbosses;
            const char *base = holes ? "holes" : "bosses";
            if ((*cnt)++) snprintf(table, RP_NAME, "%s%d", base, *cnt);
            else snprintf(table, RP_NAME, "%s", base);
            rp_printf(b, "local %s = {}\n", table);
            x->nlocals++;
            any = 1;
        }
        rp_pattern_loop(x, b, &k->pat[i], table, face < 0);
    }
    return any;
}

/* ---- one Extrude statement ---- */

/* equal values (-0 equals 0, which memcmp would miss) */
static int rp_same_plane(const cad_plane *a, const cad_plane *b) {
    for (int k = 0; k < 3; k++)
        if (a->origin[k] != b->origin[k] || a->x[k] != b->x[k] || a->y[k] != b->y[k] || a->n[k] != b->n[k]) return 0;
    return 1;
}

static void rp_plane(rp_ctx *x, rp_buf *b, const cad_plane *p) {
    static const char *names[3] = {"XY", "XZ", "YZ"};
    for (int i = 0; i < 3; i++) {
        cad_plane q;
        if (i == 0) cad_plane_xy(&q);
        else if (i == 1) cad_plane_xz(&q);
        else cad_plane_yz(&q);
        if (rp_same_plane(&q, p)) {
            rp_puts(b, names[i]);
            return;
        }
    }
    char o[3][RP_TXT], v[RP_TXT];
    for (int i = 0; i < 3; i++) rp_len(x, p->origin[i], (rp_role)(RR_OX + i), o[i]);
    rp_printf(b, "Plane({%s, %s, %s}, {", o[0], o[1], o[2]);
    for (int i = 0; i < 3; i++) {
        rp_lit(x, p->x[i], TOL_DIR, v);
        rp_printf(b, "%s%s", i ? ", " : "", v);
    }
    rp_puts(b, "}, {");
    for (int i = 0; i < 3; i++) {
        rp_lit(x, p->n[i], TOL_DIR, v);
        rp_printf(b, "%s%s", i ? ", " : "", v);
    }
    rp_puts(b, "})");
}

static void rp_extent(rp_ctx *x, rp_buf *b, const cad_extrude *e) {
    char d1[RP_TXT], d2[RP_TXT];
    rp_len(x, e->d1, RR_H, d1);
    if (e->kind == CAD_EXT_ONE) rp_puts(b, d1);
    else if (e->kind == CAD_EXT_SYM) rp_printf(b, "{sym = %s}", d1);
    else {
        rp_len(x, e->d2, RR_H, d2);
        rp_printf(b, "{%s, %s}", d1, d2);
    }
}

/* the arguments of one face: outer loop, plain holes, mirror calls, unpacked pattern table */
static void rp_face(rp_ctx *x, rp_buf *b, const rp_sk *k, int f, const char *table) {
    const cad_face *fc = &x->m->faces[f];
    int nargs = 0;
    rp_puts(b, "Face(");
    for (int l = fc->first; l < fc->first + fc->n; l++) {
        const rp_mark *mk = &k->lmark[l - k->loop0];
        if (mk->role == RP_IN_PATTERN || mk->role == RP_MIRROR_SECOND) continue;
        if (nargs) rp_puts(b, ", ");
        if (mk->role == RP_MIRROR_FIRST) {
            rp_printf(b, "%s(1), %s(-1)", k->mir[mk->which].name, k->mir[mk->which].name);
            nargs += 2;
        } else {
            rp_loop(x, b, &x->m->loops[l], &k->shape[l - k->loop0], &rp_nomap);
            nargs++;
        }
    }
    if (table[0]) rp_printf(b, ", table.unpack(%s)", table);
    rp_puts(b, ")");
    if (nargs > CW_MAX_ARGS) x->bad = 1;
}

static void rp_extrude(rp_ctx *x, const cad_extrude *e) {
    const cad_model *m = x->m;
    const cad_sketch *s = &m->sketches[e->sketch];
    x->eps = fmax(RP_EPS_REL * rp_sketch_extent(m, s), 10 * x->tol);
    rp_sk k;
    rp_analyse(x, &k, s);
    rp_buf *b = &x->body;
    for (int i = 0; i < k.nmir; i++) rp_mirror_fn(x, b, &k, &k.mir[i]);
    char sk_table[RP_NAME] = "", (*tables)[RP_NAME] = ut_calloc((size_t)s->n, sizeof *tables);
    rp_tables(x, b, &k, -1, e->op == CAD_CUT, sk_table);
    for (int f = 0; f < s->n; f++) rp_tables(x, b, &k, s->first + f, e->op == CAD_CUT, tables[f]);
    /* the Sketch arguments after the plane, each its own string */
    char **args = ut_malloc((size_t)(2 * s->n + 2) * sizeof *args);
    int nargs = 0, total = 0;
    for (int f = 0; f < s->n; f++) {
        const rp_mark *mk = &k.fmark[f];
        if (mk->role == RP_IN_PATTERN || mk->role == RP_MIRROR_SECOND) continue;
        rp_buf fs = {0};
        if (mk->role == RP_MIRROR_FIRST) {
            rp_printf(&fs, "%s(1)", k.mir[mk->which].name);
            args[nargs++] = fs.s;
            fs = (rp_buf){0};
            rp_printf(&fs, "%s(-1)", k.mir[mk->which].name);
        } else {
            rp_face(x, &fs, &k, s->first + f, tables[f]);
        }
        args[nargs++] = fs.s;
    }
    if (sk_table[0]) {
        rp_buf fs = {0};
        rp_printf(&fs, "table.unpack(%s)", sk_table);
        args[nargs++] = fs.s;
    }
    if (nargs > CW_MAX_ARGS) x->bad = 1;
    rp_buf st = {0}, ext = {0};
    rp_extent(x, &ext, e);
    for (int i = 0; i < nargs; i++) total += (int)strlen(args[i]) + 2;
    int one_line = total + ext.n + 40 <= RP_LINE;
    rp_puts(&st, "Extrude(Sketch(");
    rp_plane(x, &st, &s->plane);
    for (int i = 0; i < nargs; i++) {
        rp_puts(&st, one_line ? ", " : ",\n  ");
        rp_puts(&st, args[i]);
        free(args[i]);
    }
    rp_printf(&st, ")%s%s, \"%s\")\n", one_line ? ", " : ",\n  ", ext.s, cad_op_name(e->op));
    free(args);
    free(ext.s);
    rp_puts(b, st.s);
    free(st.s);
    free(tables);
    rp_sk_free(&k);
}

/* ---- the program ---- */

static const char *const rp_helper_src[] = {
    "local function rect(cx, cy, w, h)\n"
    "  local x0, y0, x1, y1 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2\n"
    "  return Loop(Line(x0,y0, x1,y0), Line(x1,y0, x1,y1), Line(x1,y1, x0,y1), Line(x0,y1, x0,y0))\n"
    "end\n",
    "local function rounded(cx, cy, w, h, r)\n"
    "  local x0, y0, x1, y1 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2\n"
    "  local k = r * (1 - math.sqrt(0.5))\n"
    "  return Loop(Line(x0 + r,y0, x1 - r,y0), Arc(x1 - r,y0, x1 - k,y0 + k, x1,y0 + r),\n"
    "    Line(x1,y0 + r, x1,y1 - r), Arc(x1,y1 - r, x1 - k,y1 - k, x1 - r,y1),\n"
    "    Line(x1 - r,y1, x0 + r,y1), Arc(x0 + r,y1, x0 + k,y1 - k, x0,y1 - r),\n"
    "    Line(x0,y1 - r, x0,y0 + r), Arc(x0,y0 + r, x0 + k,y0 + k, x0 + r,y0))\n"
    "end\n",
    "local function slot(cx, cy, l, r, a)\n"
    "  a = math.rad(a or 0)\n"
    "  local ux, uy = math.cos(a), math.sin(a)\n"
    "  local x1, y1, x2, y2 = cx - ux * l / 2, cy - uy * l / 2, cx + ux * l / 2, cy + uy * l / 2\n"
    "  local nx, ny = -uy * r, ux * r\n"
    "  return Loop(Line(x1 + nx,y1 + ny, x2 + nx,y2 + ny), Arc(x2 + nx,y2 + ny, x2 + ux * r,y2 + uy * r, x2 - nx,y2 - ny),\n"
    "    Line(x2 - nx,y2 - ny, x1 - nx,y1 - ny), Arc(x1 - nx,y1 - ny, x1 - ux * r,y1 - uy * r, x1 + nx,y1 + ny))\n"
    "end\n",
    "local function polygon(cx, cy, R, n, a)\n"
    "  local c = {}\n"
    "  for i = 1, n do\n"
    "    local a1, a2 = math.rad(a + 360 * (i - 1) / n), math.rad(a + 360 * i / n)\n"
    "    c[i] = Line(cx + R * math.cos(a1), cy + R * math.sin(a1), cx + R * math.cos(a2), cy + R * math.sin(a2))\n"
    "  end\n"
    "  return Loop(table.unpack(c))\n"
    "end\n",
};

/* "local w, d, h = 60, 40, 6" lines, six names each, in role order (sizes first) */
static void rp_declare(rp_ctx *x, rp_buf *b) {
    int order[RP_MAX_PARAMS], n = 0;
    for (int r = 0; r < RR_NROLES; r++)
        for (int i = 0; i < x->npar; i++)
            if (x->par[i].role == (rp_role)r) order[n++] = i;
    for (int i = 0; i < n; i += 6) {
        int k = n - i < 6 ? n - i : 6;
        rp_puts(b, "local ");
        for (int j = 0; j < k; j++) rp_printf(b, "%s%s", j ? ", " : "", x->par[order[i + j]].name);
        rp_puts(b, " = ");
        for (int j = 0; j < k; j++) {
            char v[RP_TXT];
            const rp_param *p = &x->par[order[i + j]];
            rp_lit(x, p->v, p->role == RR_N ? 0 : x->tol, v);
            rp_printf(b, "%s%s", j ? ", " : "", v);
        }
        rp_puts(b, "\n");
    }
}

static int rp_check_refs(const cad_model *m) {
    /* cw_program checks every reference and number; reuse it rather than repeat the rules */
    char *s = cw_program(m);
    if (!s) return -1;
    free(s);
    return 0;
}

char *rp_rewrite(const cad_model *m, rp_info *info) {
    if (info) memset(info, 0, sizeof *info);
    if (rp_check_refs(m)) return NULL;
    rp_ctx *x = ut_calloc(1, sizeof *x);
    x->m = m;
    x->tol = tol_len(cw_model_scale(m));
    x->nlocals = RP_MAX_PARAMS + 4;
    for (int i = 0; i < m->nextrudes; i++) rp_extrude(x, &m->extrudes[i]);
    char *out = NULL;
    if (x->bad) {
        ut_fail("the model holds a non-finite number or a face / sketch of more than %d parts", CW_MAX_ARGS);
    } else {
        rp_buf b = {0};
        rp_declare(x, &b);
        for (int i = 0; i < 4; i++)
            if (x->helpers & (1 << i)) rp_puts(&b, rp_helper_src[i]);
        rp_puts(&b, x->body.s);
        out = b.s;
        x->info.params = x->npar;
        if (info) *info = x->info;
    }
    free(x->body.s);
    free(x);
    return out;
}

/* ---- rewrite and verify ---- */

const char *rp_reason_name(rp_reason r) {
    static const char *names[RP_NREASONS] = {"verified",        "rewrite-error", "original-error", "runs-error",
                                             "volume-mismatch", "bbox-mismatch", "too-long"};
    return (unsigned)r < RP_NREASONS ? names[r] : "?";
}

char *rp_parametric(const cad_model *m, rp_result *res) {
    rp_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    res->iou = NAN;
    char *hard = cw_program(m);
    if (!hard) return NULL;
    char *prog = rp_rewrite(m, &res->info);
    rp_reason why = RP_OK;
    if (!prog) {
        why = RP_REWRITE_ERROR;
        snprintf(res->detail, sizeof res->detail, "%s", ut_error());
    } else if (strlen(prog) > RP_MAX_GROWTH * (double)strlen(hard) + RP_MAX_EXTRA) {
        why = RP_TOO_LONG;
        snprintf(res->detail, sizeof res->detail, "%zu bytes against %zu hard-coded", strlen(prog), strlen(hard));
    } else if (rp_verify(m, prog, &why, &res->iou)) {
        snprintf(res->detail, sizeof res->detail, "%s", ut_error());
    }
    res->reason = why;
    if (why == RP_OK) {
        free(hard);
        return prog;
    }
    free(prog);
    return hard;
}
