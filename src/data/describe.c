/* describe.c - see describe.h: the analysis (shapes, groups, patterns, roles). The text is in
 * describe_text.c. */
#include "data/describe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "geom/solid.h"

/* relative tolerance of shape and pattern recognition: imported files carry float noise */
#define DS_REL 1e-5

static int ds_eq(double a, double b, double eps) { return fabs(a - b) <= eps; }

/* ---- one loop ---- */

typedef struct {
    double x, y;
} ds_pt;

/* the end of curve a that it shares with curve b (a's start or end, whichever is nearer b) */
static ds_pt ds_curve_end(const cad_curve *a, const cad_curve *b) {
    const double *p = a->p;
    ds_pt s = {p[0], p[1]}, e = a->kind == CAD_LINE ? (ds_pt){p[2], p[3]} : (ds_pt){p[4], p[5]};
    const double *q = b->p;
    ds_pt bs = {q[0], q[1]}, be = b->kind == CAD_LINE ? (ds_pt){q[2], q[3]} : (ds_pt){q[4], q[5]};
    double ds = fmin(hypot(s.x - bs.x, s.y - bs.y), hypot(s.x - be.x, s.y - be.y));
    double de = fmin(hypot(e.x - bs.x, e.y - bs.y), hypot(e.x - be.x, e.y - be.y));
    return ds < de ? s : e;
}

static void ds_box_add(double *b, double x, double y) {
    b[0] = fmin(b[0], x), b[1] = fmin(b[1], y), b[2] = fmax(b[2], x), b[3] = fmax(b[3], y);
}

/* the exact extent {umin, vmin, umax, vmax} of a loop (arcs' extreme points included) */
static void ds_loop_box(const cad_model *m, const cad_loop *l, double *b) {
    b[0] = b[1] = INFINITY, b[2] = b[3] = -INFINITY;
    for (int i = 0; i < l->n; i++) {
        const cad_curve *c = &m->curves[l->first + i];
        if (c->kind == CAD_CIRCLE) {
            ds_box_add(b, c->p[0] - c->p[2], c->p[1] - c->p[2]);
            ds_box_add(b, c->p[0] + c->p[2], c->p[1] + c->p[2]);
        } else if (c->kind == CAD_LINE) {
            ds_box_add(b, c->p[0], c->p[1]);
            ds_box_add(b, c->p[2], c->p[3]);
        } else {
            double cx, cy, r, a0, sw;
            ds_box_add(b, c->p[0], c->p[1]);
            ds_box_add(b, c->p[4], c->p[5]);
            if (cad_arc_geom(c->p, &cx, &cy, &r, &a0, &sw) < 0) continue;
            for (int k = -8; k <= 8; k++) { /* the axis directions inside the sweep */
                double a = k * M_PI / 2, t = sw > 0 ? a - a0 : a0 - a;
                if (t > 0 && t < fabs(sw)) ds_box_add(b, cx + r * cos(a), cy + r * sin(a));
            }
        }
    }
}

static double ds_angle_pi(double dx, double dy) {
    double a = atan2(dy, dx);
    while (a < 0) a += M_PI;
    while (a >= M_PI - 1e-9) a -= M_PI;
    return a;
}

/* w along u when the first side is vertical: an axis-aligned shape reads w = extent in u */
static void ds_shape_upright(ds_shape *s) {
    if (fabs(s->angle - M_PI / 2) < 1e-9) {
        double t = s->w;
        s->w = s->h, s->h = t, s->angle = 0;
    }
}

static int ds_rect(const ds_pt *v, int n, double eps, ds_shape *s) {
    if (n != 4) return 0;
    ds_pt e[4];
    for (int i = 0; i < 4; i++) e[i] = (ds_pt){v[i].x - v[(i + 3) % 4].x, v[i].y - v[(i + 3) % 4].y};
    for (int i = 0; i < 4; i++) {
        double li = hypot(e[i].x, e[i].y), lj = hypot(e[(i + 1) % 4].x, e[(i + 1) % 4].y);
        if (fabs(e[i].x * e[(i + 1) % 4].x + e[i].y * e[(i + 1) % 4].y) > eps * (li + lj)) return 0;
    }
    if (!ds_eq(hypot(e[0].x, e[0].y), hypot(e[2].x, e[2].y), eps)) return 0;
    s->kind = DS_RECT;
    s->w = hypot(e[0].x, e[0].y), s->h = hypot(e[1].x, e[1].y);
    s->angle = ds_angle_pi(e[0].x, e[0].y);
    s->cx = (v[0].x + v[1].x + v[2].x + v[3].x) / 4, s->cy = (v[0].y + v[1].y + v[2].y + v[3].y) / 4;
    return 1;
}

static int ds_polygon(const ds_pt *v, int n, double eps, ds_shape *s) {
    if (n < 3) return 0;
    double cx = 0, cy = 0;
    for (int i = 0; i < n; i++) cx += v[i].x / n, cy += v[i].y / n;
    double R = hypot(v[0].x - cx, v[0].y - cy), side = hypot(v[0].x - v[n - 1].x, v[0].y - v[n - 1].y);
    for (int i = 0; i < n; i++) {
        int j = (i + n - 1) % n;
        if (!ds_eq(hypot(v[i].x - cx, v[i].y - cy), R, eps) || !ds_eq(hypot(v[i].x - v[j].x, v[i].y - v[j].y), side, eps))
            return 0;
    }
    s->kind = DS_POLYGON, s->n = n, s->cx = cx, s->cy = cy;
    s->w = 2 * R * cos(M_PI / n), s->h = 2 * R;
    s->angle = ds_angle_pi(v[0].x - v[n - 1].x, v[0].y - v[n - 1].y);
    return 1;
}

/* 8 curves alternating line / quarter arc of one radius around a rectangle; or 4 alternating
 * line / half arc (a slot) */
static int ds_rounded(const cad_model *m, const cad_loop *l, double eps, ds_shape *s) {
    if (l->n != 8 && l->n != 4) return 0;
    const cad_curve *c = &m->curves[l->first];
    int off = c[0].kind == CAD_LINE ? 0 : 1;
    double r = -1, acx = 0, acy = 0;
    const cad_curve *ln[4];
    int nl = 0;
    for (int i = 0; i < l->n; i++) {
        const cad_curve *ci = &c[(i + off) % l->n];
        if ((i % 2 == 0) != (ci->kind == CAD_LINE)) return 0;
        if (ci->kind == CAD_LINE) {
            ln[nl++] = ci;
            continue;
        }
        if (ci->kind != CAD_ARC) return 0;
        double cx, cy, rr, a0, sw;
        if (cad_arc_geom(ci->p, &cx, &cy, &rr, &a0, &sw) < 0) return 0;
        if (r < 0) r = rr;
        double want = l->n == 8 ? M_PI / 2 : M_PI;
        if (!ds_eq(rr, r, eps) || fabs(fabs(sw) - want) > 1e-4) return 0;
        acx += cx / (l->n / 2), acy += cy / (l->n / 2);
    }
    double d[4][2];
    for (int i = 0; i < nl; i++) d[i][0] = ln[i]->p[2] - ln[i]->p[0], d[i][1] = ln[i]->p[3] - ln[i]->p[1];
    double L0 = hypot(d[0][0], d[0][1]), L1 = hypot(d[1][0], d[1][1]);
    if (nl == 4) {
        if (!ds_eq(L0, hypot(d[2][0], d[2][1]), eps) || !ds_eq(L1, hypot(d[3][0], d[3][1]), eps)) return 0;
        if (fabs(d[0][0] * d[1][0] + d[0][1] * d[1][1]) > eps * (L0 + L1)) return 0;
        s->kind = DS_ROUNDRECT, s->w = L0 + 2 * r, s->h = L1 + 2 * r;
    } else {
        if (!ds_eq(L0, L1, eps) || fabs(d[0][0] * d[1][1] - d[0][1] * d[1][0]) > eps * (L0 + L1)) return 0;
        s->kind = DS_SLOT, s->w = L0 + 2 * r, s->h = 2 * r;
    }
    s->r = r, s->cx = acx, s->cy = acy, s->angle = ds_angle_pi(d[0][0], d[0][1]);
    return 1;
}

static void ds_shape_of(const cad_model *m, const cad_loop *l, ds_shape *s) {
    memset(s, 0, sizeof *s);
    double b[4];
    ds_loop_box(m, l, b);
    double size = fmax(b[2] - b[0], b[3] - b[1]), eps = DS_REL * fmax(size, 1e-9);
    const cad_curve *c = &m->curves[l->first];
    for (int i = 0; i < l->n; i++) c[i].kind == CAD_LINE ? s->lines++ : s->arcs++;
    if (l->n == 1 && c[0].kind == CAD_CIRCLE) {
        s->kind = DS_CIRCLE, s->cx = c[0].p[0], s->cy = c[0].p[1], s->w = s->h = 2 * c[0].p[2];
        return;
    }
    if (s->arcs == 0 && l->n >= 3 && l->n <= 64) {
        ds_pt v[64];
        for (int i = 0; i < l->n; i++) v[i] = ds_curve_end(&c[i], &c[(i + 1) % l->n]);
        if (ds_rect(v, l->n, eps, s) || ds_polygon(v, l->n, eps, s)) {
            ds_shape_upright(s);
            return;
        }
    } else if (ds_rounded(m, l, eps, s)) {
        ds_shape_upright(s);
        return;
    }
    s->kind = DS_OUTLINE, s->n = l->n;
    s->w = b[2] - b[0], s->h = b[3] - b[1], s->cx = (b[0] + b[2]) / 2, s->cy = (b[1] + b[3]) / 2;
}

static int ds_same_shape(const ds_shape *a, const ds_shape *b, double eps) {
    if (a->kind != b->kind || a->n != b->n || a->lines != b->lines || a->arcs != b->arcs) return 0;
    if (!ds_eq(a->w, b->w, eps) || !ds_eq(a->h, b->h, eps) || !ds_eq(a->r, b->r, eps)) return 0;
    return a->kind == DS_CIRCLE || fabs(a->angle - b->angle) < 1e-6;
}

/* ---- patterns of a group's centres ---- */

static int ds_cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* distinct sorted values of v (within eps) into out; returns their count, or -1 if they are not
 * evenly spaced */
static int ds_levels(const double *v, int n, double eps, double *out, double *pitch) {
    double *t = ut_malloc((size_t)n * sizeof *t);
    memcpy(t, v, (size_t)n * sizeof *t);
    qsort(t, (size_t)n, sizeof *t, ds_cmp_d);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (k == 0 || t[i] - out[k - 1] > eps) out[k++] = t[i];
    free(t);
    *pitch = k > 1 ? out[1] - out[0] : 0;
    for (int i = 2; i < k; i++)
        if (!ds_eq(out[i] - out[i - 1], *pitch, eps)) return -1;
    return k;
}

static void ds_pattern_of(ds_feature *f, double eps) {
    int n = f->count;
    f->pattern = n == 1 ? DS_PAT_ONE : DS_PAT_LIST;
    if (n < 2) return;
    double cx = 0, cy = 0;
    for (int i = 0; i < n; i++) cx += f->cu[i] / n, cy += f->cv[i] / n;
    double R = hypot(f->cu[0] - cx, f->cv[0] - cy);
    int circ = n >= 3 && R > 100 * eps;
    double *a = ut_malloc((size_t)n * 2 * sizeof *a), *lv = a + n;
    for (int i = 0; circ && i < n; i++) {
        if (!ds_eq(hypot(f->cu[i] - cx, f->cv[i] - cy), R, eps)) circ = 0;
        a[i] = atan2(f->cv[i] - cy, f->cu[i] - cx);
    }
    if (circ) {
        qsort(a, (size_t)n, sizeof *a, ds_cmp_d);
        for (int i = 0; i < n; i++) {
            double d = (i + 1 < n ? a[i + 1] : a[0] + 2 * M_PI) - a[i];
            if (fabs(d - 2 * M_PI / n) * R > eps) circ = 0;
        }
    }
    /* a 2 x 2 grid is also on a circle: a rectangle of holes reads better as a grid */
    double px, py;
    int nx = ds_levels(f->cu, n, eps, lv, &px), ny = ds_levels(f->cv, n, eps, lv, &py);
    if (nx > 0 && ny > 0 && nx * ny == n && (!circ || n == 4)) {
        f->pattern = DS_PAT_GRID, f->nx = nx, f->ny = ny, f->px = px, f->py = py;
    } else if (circ) {
        f->pattern = DS_PAT_CIRCULAR, f->pcx = cx, f->pcy = cy, f->pcd = 2 * R;
    }
    free(a);
}

/* ---- roles ---- */

static int ds_axis_of(const double *v) {
    for (int k = 0; k < 3; k++)
        if (fabs(fabs(v[k]) - 1) <= 1e-9) return k;
    return -1;
}

/* world box of the prism of sketch box b over the slab [w0, w1] */
static void ds_prism_box(const cad_plane *pl, const double *b, double w0, double w1, double *lo, double *hi) {
    for (int k = 0; k < 3; k++) lo[k] = INFINITY, hi[k] = -INFINITY;
    for (int i = 0; i < 8; i++) {
        double p[3];
        cad_plane_to_world(pl, b[(i & 1) ? 2 : 0], b[(i & 2) ? 3 : 1], (i & 4) ? w1 : w0, p);
        for (int k = 0; k < 3; k++) lo[k] = fmin(lo[k], p[k]), hi[k] = fmax(hi[k], p[k]);
    }
}

typedef struct {
    double lo[3], hi[3]; /* box of the body so far (union of the added prisms) */
    int any;
} ds_body;

/* role, depth and side of an outer group of extrude e, from the body so far along its axis */
static void ds_role_of(ds_feature *f, const cad_extrude *e, int first, const ds_body *body, double eps) {
    double w0, w1;
    cad_extrude_slab(e, &w0, &w1);
    f->depth = w1 - w0;
    f->side = 0;
    if (first || !body->any) {
        f->role = DS_ROLE_BASE;
        return;
    }
    int k = f->axis;
    double a = k >= 0 ? f->lo[k] : 0, b = k >= 0 ? f->hi[k] : 0;
    double B0 = k >= 0 ? body->lo[k] : 0, B1 = k >= 0 ? body->hi[k] : 0;
    switch (e->op) {
    case CAD_CUT:
        if (k >= 0 && a <= B0 + eps && b >= B1 - eps) {
            f->role = DS_ROLE_THRU, f->depth = B1 - B0;
        } else {
            f->role = DS_ROLE_POCKET;
            if (k >= 0) {
                f->depth = fmin(b, B1) - fmax(a, B0);
                f->side = b >= B1 - eps ? 1 : a <= B0 + eps ? -1 : 0;
            }
        }
        break;
    case CAD_INTERSECT: f->role = DS_ROLE_INTERSECT; break;
    default:
        f->role = DS_ROLE_BOSS;
        if (k >= 0) f->side = a >= B1 - eps ? 1 : b <= B0 + eps ? -1 : 0;
        break;
    }
}

static ds_feature *ds_push(ds_part *p, int *cap) {
    ds_feature *f = UT_PUSH(p->f, p->nf, *cap);
    memset(f, 0, sizeof *f);
    f->parent = -1;
    return f;
}

static void ds_add_member(ds_feature *f, const ds_shape *s, int *cap) {
    if (f->count == *cap) {
        *cap = *cap ? 2 * *cap : 4;
        f->cu = ut_realloc(f->cu, (size_t)*cap * sizeof *f->cu);
        f->cv = ut_realloc(f->cv, (size_t)*cap * sizeof *f->cv);
    }
    f->cu[f->count] = s->cx, f->cv[f->count] = s->cy;
    f->count++;
}

/* groups the loops {face, loop index} of one extrude into features from index first on */
static void ds_group_loops(ds_part *p, int *cap, const cad_model *m, int ei, const int *loops, int nl, int role_hole,
                           double eps) {
    const cad_extrude *e = &m->extrudes[ei];
    const cad_sketch *sk = &m->sketches[e->sketch];
    double w0, w1;
    cad_extrude_slab(e, &w0, &w1);
    int start = p->nf;
    int *caps = ut_calloc((size_t)nl + 1, sizeof *caps);
    for (int i = 0; i < nl; i++) {
        ds_shape s;
        ds_shape_of(m, &m->loops[loops[i]], &s);
        if (s.kind == DS_OUTLINE) p->recognised = 0;
        double b[4];
        ds_loop_box(m, &m->loops[loops[i]], b);
        int g = start;
        while (g < p->nf && !ds_same_shape(&p->f[g].shape, &s, eps)) g++;
        ds_feature *f;
        if (g == p->nf) {
            f = ds_push(p, cap);
            f->shape = s, f->extrude = ei, f->extent = e->kind, f->plane = sk->plane;
            f->axis = ds_axis_of(sk->plane.n);
            f->role = role_hole ? DS_ROLE_HOLE : DS_ROLE_BASE;
            ds_prism_box(&sk->plane, b, w0, w1, f->lo, f->hi);
        } else {
            f = &p->f[g];
            double lo[3], hi[3];
            ds_prism_box(&sk->plane, b, w0, w1, lo, hi);
            for (int k = 0; k < 3; k++) f->lo[k] = fmin(f->lo[k], lo[k]), f->hi[k] = fmax(f->hi[k], hi[k]);
        }
        ds_add_member(f, &s, &caps[g - start]);
    }
    free(caps);
    for (int g = start; g < p->nf; g++) ds_pattern_of(&p->f[g], eps);
}

static void ds_extrude_features(ds_part *p, int *cap, const cad_model *m, int ei, ds_body *body, double eps) {
    const cad_extrude *e = &m->extrudes[ei];
    const cad_sketch *sk = &m->sketches[e->sketch];
    int nout = 0, nin = 0, *out = NULL, *in = NULL, cout = 0, cin = 0;
    for (int fi = sk->first; fi < sk->first + sk->n; fi++) {
        const cad_face *fa = &m->faces[fi];
        *UT_PUSH(out, nout, cout) = fa->first;
        for (int li = fa->first + 1; li < fa->first + fa->n; li++) *UT_PUSH(in, nin, cin) = li;
    }
    int first = p->nf;
    ds_group_loops(p, cap, m, ei, out, nout, 0, eps);
    int nouter = p->nf;
    for (int g = first; g < nouter; g++) ds_role_of(&p->f[g], e, ei == 0, body, eps);
    ds_group_loops(p, cap, m, ei, in, nin, 1, eps);
    for (int g = nouter; g < p->nf; g++) {
        p->f[g].parent = first;
        p->f[g].depth = p->f[first].depth;
        p->f[g].side = 0;
    }
    if (e->op == CAD_NEW || e->op == CAD_JOIN || ei == 0)
        for (int g = first; g < nouter; g++) {
            for (int k = 0; k < 3; k++) {
                body->lo[k] = body->any ? fmin(body->lo[k], p->f[g].lo[k]) : p->f[g].lo[k];
                body->hi[k] = body->any ? fmax(body->hi[k], p->f[g].hi[k]) : p->f[g].hi[k];
            }
            body->any = 1;
        }
    free(out);
    free(in);
}

int ds_analyze(const cad_model *m, ds_part *p) {
    memset(p, 0, sizeof *p);
    sd_solid *s = sd_build(m);
    if (!s) return ut_fail("cannot describe the part: %s", ut_error());
    int rc = sd_bbox(s, p->lo, p->hi);
    sd_free(s);
    if (rc < 0) return ut_fail("cannot describe the part: %s", ut_error());
    double size = 0;
    for (int k = 0; k < 3; k++) size = fmax(size, p->hi[k] - p->lo[k]);
    double eps = DS_REL * size;
    int cap = 0;
    ds_body body = {{0}, {0}, 0};
    p->recognised = 1;
    for (int ei = 0; ei < m->nextrudes; ei++) ds_extrude_features(p, &cap, m, ei, &body, eps);
    return 0;
}

void ds_part_free(ds_part *p) {
    for (int i = 0; i < p->nf; i++) free(p->f[i].cu), free(p->f[i].cv);
    free(p->f);
    memset(p, 0, sizeof *p);
}
