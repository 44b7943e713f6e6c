/* solid.c - see solid.h.
 *
 * Representation: prisms (leaves) and a CSG tree of nodes. A prism keeps its sketch frame
 * (world = o + u X + v Y + w N), its slab [w0, w1] and its profile (the face's loops as exact
 * g2 curves in (u, v), with a point-in-region table). Nodes are leaves or binary operations;
 * every node carries a world bounding box that contains its point set (used for pruning).
 *
 * Mass properties: if every prism's N is +-N of the first prism ("one direction"), the solid is
 * cut at all slab ends along N; inside each cut interval the cross-section is a fixed 2-D
 * boolean of profiles, whose area and moments come exactly from its boundary pieces (curves
 * split at all mutual intersections, each piece classified by membership on its two sides).
 * Otherwise volume moments come from nested adaptive Gauss-Kronrod quadrature over exact ray
 * intervals (sd_quad.c-like section below) and area from per-face quadrature.
 *
 * Surface samples: candidates uniform by area on all prism faces, accepted when membership of
 * the result differs on the two sides of the face; coincident faces count once (the lowest
 * prism index that has the point on its boundary keeps it).
 */
#include "solid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geo2d.h"
#include "util.h"

typedef struct {
    double o[3], X[3], Y[3], N[3]; /* frame: world = o + u X + v Y + w N (orthonormal) */
    double w0, w1;                 /* slab along N, w0 < w1 */
    g2_curve *c;                   /* nc profile curves (all loops of the face), (u, v) */
    int nc;
    g2_region rg;                  /* point in profile (even-odd) */
    double lo[3], hi[3];           /* world bounding box */
    double area, perim;            /* profile area and boundary length */
} sd_prism;

enum { SD_LEAF = -1 };
typedef struct {
    int op;              /* SD_LEAF or CAD_JOIN / CAD_CUT / CAD_INTERSECT */
    int a, b;            /* children (nodes), or a = prism index for a leaf */
    double lo[3], hi[3]; /* bounding box of the node's point set (may be empty: lo > hi) */
} sd_node;

struct sd_solid {
    sd_prism *pr;
    int npr, cap_pr;
    sd_node *nd;
    int nnd, cap_nd;
    int root, depth; /* depth: longest root-to-leaf path (nodes) */
    double size;     /* model size: diagonal of all prisms' boxes */
    double scale;    /* size or the largest coordinate, whichever is larger (rounding scale) */
};

/* ---------------------------------------------------------------- small vector helpers */

static double sd_dot(const double a[3], const double b[3]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

static void sd_to_world(const sd_prism *p, double u, double v, double w, double out[3]) {
    for (int i = 0; i < 3; i++) out[i] = p->o[i] + u * p->X[i] + v * p->Y[i] + w * p->N[i];
}

static void sd_to_local(const sd_prism *p, const double q[3], double out[3]) {
    double d[3] = {q[0] - p->o[0], q[1] - p->o[1], q[2] - p->o[2]};
    out[0] = sd_dot(d, p->X);
    out[1] = sd_dot(d, p->Y);
    out[2] = sd_dot(d, p->N);
}

static void sd_box_empty(double lo[3], double hi[3]) {
    for (int i = 0; i < 3; i++) lo[i] = INFINITY, hi[i] = -INFINITY;
}

static void sd_box_add(double lo[3], double hi[3], const double p[3]) {
    for (int i = 0; i < 3; i++) lo[i] = fmin(lo[i], p[i]), hi[i] = fmax(hi[i], p[i]);
}

static int sd_box_has(const double lo[3], const double hi[3], const double p[3], double tol) {
    return p[0] >= lo[0] - tol && p[0] <= hi[0] + tol && p[1] >= lo[1] - tol && p[1] <= hi[1] + tol &&
           p[2] >= lo[2] - tol && p[2] <= hi[2] + tol;
}

/* world bounding box of a 2-D curve of frame (o, X, Y, N) placed at height w: exact for arcs
 * (a world coordinate is linear in (u, v), so its extremes on an arc sit at one angle or its
 * opposite) */
static void sd_curve_box3(const double o[3], const double X[3], const double Y[3], const double N[3], const g2_curve *c,
                          double w, double lo[3], double hi[3]) {
    for (int e = 0; e < 2; e++) {
        const double *q = e ? c->p1 : c->p0;
        double p[3];
        for (int i = 0; i < 3; i++) p[i] = o[i] + q[0] * X[i] + q[1] * Y[i] + w * N[i];
        sd_box_add(lo, hi, p);
    }
    if (c->kind != G2_ARC) return;
    for (int i = 0; i < 3; i++) {
        if (X[i] == 0 && Y[i] == 0) continue;
        double phi = atan2(Y[i], X[i]);
        for (int s = 0; s < 2; s++) {
            double t, a = phi + s * G2_PI;
            if (!g2_arc_param(c, a, 0, &t)) continue;
            double v = o[i] + (c->c[0] + c->r * cos(a)) * X[i] + (c->c[1] + c->r * sin(a)) * Y[i] + w * N[i];
            lo[i] = fmin(lo[i], v);
            hi[i] = fmax(hi[i], v);
        }
    }
}

/* ---------------------------------------------------------------- prisms and the tree */

static void sd_prism_finish(sd_prism *p) {
    g2_region_free(&p->rg);
    g2_region_init(&p->rg);
    g2_region_add(&p->rg, p->c, p->nc);
    g2_region_index(&p->rg);
    sd_box_empty(p->lo, p->hi);
    p->perim = 0;
    for (int i = 0; i < p->nc; i++) {
        sd_curve_box3(p->o, p->X, p->Y, p->N, &p->c[i], p->w0, p->lo, p->hi);
        sd_curve_box3(p->o, p->X, p->Y, p->N, &p->c[i], p->w1, p->lo, p->hi);
        p->perim += g2_length(&p->c[i]);
    }
    p->area = 0; /* loops may run either way: outer minus holes by magnitude */
}

/* the area of a profile whose loops are stored consecutively; loop_n lists their sizes */
static double sd_profile_area(const g2_curve *c, const int *loop_n, int nloops) {
    double outer = 0, holes = 0;
    for (int k = 0, at = 0; k < nloops; at += loop_n[k], k++) {
        double a = fabs(g2_loop_area(c + at, loop_n[k]));
        if (k == 0) outer = a;
        else holes += a;
    }
    return outer - holes;
}

static int sd_add_node(sd_solid *s, int op, int a, int b) {
    sd_node *n = UT_PUSH(s->nd, s->nnd, s->cap_nd);
    n->op = op, n->a = a, n->b = b;
    return s->nnd - 1;
}

/* bounding boxes and depth of node k (children first) */
static int sd_node_finish(sd_solid *s, int k) {
    sd_node *n = &s->nd[k];
    if (n->op == SD_LEAF) {
        memcpy(n->lo, s->pr[n->a].lo, sizeof n->lo);
        memcpy(n->hi, s->pr[n->a].hi, sizeof n->hi);
        return 1;
    }
    int da = sd_node_finish(s, n->a), db = sd_node_finish(s, n->b);
    n = &s->nd[k];
    const sd_node *A = &s->nd[n->a], *B = &s->nd[n->b];
    for (int i = 0; i < 3; i++) {
        if (n->op == CAD_JOIN) n->lo[i] = fmin(A->lo[i], B->lo[i]), n->hi[i] = fmax(A->hi[i], B->hi[i]);
        else if (n->op == CAD_CUT) n->lo[i] = A->lo[i], n->hi[i] = A->hi[i];
        else n->lo[i] = fmax(A->lo[i], B->lo[i]), n->hi[i] = fmin(A->hi[i], B->hi[i]);
    }
    return 1 + (da > db ? da : db);
}

static void sd_finish(sd_solid *s) {
    double lo[3], hi[3];
    sd_box_empty(lo, hi);
    for (int i = 0; i < s->npr; i++) {
        sd_box_add(lo, hi, s->pr[i].lo);
        sd_box_add(lo, hi, s->pr[i].hi);
    }
    s->size = s->npr ? sqrt((hi[0] - lo[0]) * (hi[0] - lo[0]) + (hi[1] - lo[1]) * (hi[1] - lo[1]) +
                            (hi[2] - lo[2]) * (hi[2] - lo[2]))
                     : 1;
    if (!(s->size > 0)) s->size = 1;
    s->scale = s->size;
    for (int i = 0; i < 3 && s->npr; i++) s->scale = fmax(s->scale, fmax(fabs(lo[i]), fabs(hi[i])));
    s->depth = sd_node_finish(s, s->root);
}

void sd_free(sd_solid *s) {
    if (!s) return;
    for (int i = 0; i < s->npr; i++) {
        free(s->pr[i].c);
        g2_region_free(&s->pr[i].rg);
    }
    free(s->pr);
    free(s->nd);
    free(s);
}

/* largest extent of the sketch coordinates: the closure tolerance is relative to it */
static double sd_model_size(const cad_model *m) {
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (int i = 0; i < m->ncurves; i++) {
        const cad_curve *c = &m->curves[i];
        int np = c->kind == CAD_LINE ? 2 : c->kind == CAD_ARC ? 3 : 1;
        double r = c->kind == CAD_CIRCLE ? fabs(c->p[2]) : 0;
        for (int j = 0; j < np; j++)
            for (int k = 0; k < 2; k++) {
                lo[k] = fmin(lo[k], c->p[2 * j + k] - r);
                hi[k] = fmax(hi[k], c->p[2 * j + k] + r);
            }
    }
    double s = fmax(hi[0] - lo[0], hi[1] - lo[1]);
    return isfinite(s) && s > 0 ? s : 1;
}

/* one prism from face fi of model m, slab [w0, w1] */
static int sd_add_prism(sd_solid *s, const cad_model *m, const cad_plane *pl, int fi, double w0, double w1, double tol) {
    const cad_face *f = &m->faces[fi];
    if (f->n <= 0 || f->first < 0 || f->first + f->n > m->nloops) return ut_fail("face %d has no loops", fi);
    int nc = 0;
    for (int k = 0; k < f->n; k++) {
        const cad_loop *l = &m->loops[f->first + k];
        if (l->n <= 0 || l->first < 0 || l->first + l->n > m->ncurves) return ut_fail("loop %d has no curves", f->first + k);
        nc += l->n;
    }
    sd_prism p;
    memset(&p, 0, sizeof p);
    memcpy(p.o, pl->origin, sizeof p.o);
    memcpy(p.X, pl->x, sizeof p.X);
    memcpy(p.Y, pl->y, sizeof p.Y);
    memcpy(p.N, pl->n, sizeof p.N);
    p.w0 = w0, p.w1 = w1;
    p.c = ut_malloc((size_t)nc * sizeof *p.c);
    int *loop_n = ut_malloc((size_t)f->n * sizeof *loop_n), at = 0;
    for (int k = 0; k < f->n; k++) {
        const cad_loop *l = &m->loops[f->first + k];
        for (int i = 0; i < l->n; i++) {
            const cad_curve *cc = &m->curves[l->first + i];
            if (g2_from_cad(cc, &p.c[at + i]) != 0) {
                int line = cc->line;
                free(p.c), free(loop_n);
                return line > 0 ? ut_fail("line %d: %s", line, ut_error()) : -1;
            }
        }
        double gap;
        if (g2_chain(p.c + at, l->n, tol, &gap) >= 0) {
            free(p.c), free(loop_n);
            return ut_fail("loop %d is not closed (gap %.3g)", f->first + k, gap);
        }
        loop_n[k] = l->n;
        at += l->n;
    }
    p.nc = nc;
    g2_region_init(&p.rg);
    sd_prism_finish(&p);
    p.area = sd_profile_area(p.c, loop_n, f->n);
    free(loop_n);
    *UT_PUSH(s->pr, s->npr, s->cap_pr) = p;
    return sd_add_node(s, SD_LEAF, s->npr - 1, -1);
}

sd_solid *sd_build(const cad_model *m) {
    if (m->nextrudes <= 0) {
        ut_fail("the model has no extrude");
        return NULL;
    }
    sd_solid *s = ut_calloc(1, sizeof *s);
    double tol = 1e-6 * sd_model_size(m);
    int body = -1;
    for (int k = 0; k < m->nextrudes; k++) {
        const cad_extrude *e = &m->extrudes[k];
        if (e->sketch < 0 || e->sketch >= m->nsketches) goto bad_ref;
        const cad_sketch *sk = &m->sketches[e->sketch];
        if (sk->n <= 0 || sk->first < 0 || sk->first + sk->n > m->nfaces) goto bad_ref;
        double w0, w1;
        cad_extrude_slab(e, &w0, &w1);
        if (!(w1 > w0) || !isfinite(w0) || !isfinite(w1)) {
            ut_fail("line %d: extrude has zero or non-finite extent", e->line);
            goto fail;
        }
        int ext = -1;
        for (int f = 0; f < sk->n; f++) {
            int leaf = sd_add_prism(s, m, &sk->plane, sk->first + f, w0, w1, tol);
            if (leaf < 0) goto fail;
            ext = ext < 0 ? leaf : sd_add_node(s, CAD_JOIN, ext, leaf);
        }
        cad_op op = e->op == CAD_NEW ? CAD_JOIN : e->op;
        if ((unsigned)op > CAD_INTERSECT) {
            ut_fail("line %d: unknown operation", e->line);
            goto fail;
        }
        body = body < 0 ? ext : sd_add_node(s, op, body, ext);
    }
    s->root = body;
    sd_finish(s);
    return s;
bad_ref:
    ut_fail("the model refers to a missing sketch or face");
fail:
    sd_free(s);
    return NULL;
}

/* copies the prisms and nodes of a into s (indices shifted); returns a's root in s */
static int sd_append(sd_solid *s, const sd_solid *a) {
    int pr0 = s->npr, nd0 = s->nnd;
    for (int i = 0; i < a->npr; i++) {
        sd_prism p = a->pr[i];
        p.c = ut_malloc((size_t)p.nc * sizeof *p.c);
        memcpy(p.c, a->pr[i].c, (size_t)p.nc * sizeof *p.c);
        g2_region_init(&p.rg);
        g2_region_add(&p.rg, p.c, p.nc);
        g2_region_index(&p.rg);
        *UT_PUSH(s->pr, s->npr, s->cap_pr) = p;
    }
    for (int i = 0; i < a->nnd; i++) {
        sd_node n = a->nd[i];
        if (n.op == SD_LEAF) n.a += pr0;
        else n.a += nd0, n.b += nd0;
        *UT_PUSH(s->nd, s->nnd, s->cap_nd) = n;
    }
    return a->root + nd0;
}

sd_solid *sd_combine(const sd_solid *a, const sd_solid *b, cad_op op) {
    if (op == CAD_NEW) op = CAD_JOIN;
    if ((unsigned)op > CAD_INTERSECT) {
        ut_fail("unknown boolean operation");
        return NULL;
    }
    sd_solid *s = ut_calloc(1, sizeof *s);
    int ra = sd_append(s, a), rb = sd_append(s, b);
    s->root = sd_add_node(s, op, ra, rb);
    sd_finish(s);
    return s;
}

static void sd_rot(const double R[9], const double v[3], double out[3]) {
    for (int i = 0; i < 3; i++) out[i] = R[3 * i] * v[0] + R[3 * i + 1] * v[1] + R[3 * i + 2] * v[2];
}

sd_solid *sd_transform(const sd_solid *a, const double R[9], double scale, const double t[3]) {
    if (!(scale > 0) || !isfinite(scale)) {
        ut_fail("transform scale must be positive");
        return NULL;
    }
    sd_solid *s = ut_calloc(1, sizeof *s);
    s->root = sd_append(s, a);
    double M[4] = {scale, 0, 0, scale}, z[2] = {0, 0};
    for (int i = 0; i < s->npr; i++) {
        sd_prism *p = &s->pr[i];
        double o[3];
        sd_rot(R, p->o, o);
        for (int k = 0; k < 3; k++) p->o[k] = scale * o[k] + t[k];
        sd_rot(R, a->pr[i].X, p->X);
        sd_rot(R, a->pr[i].Y, p->Y);
        sd_rot(R, a->pr[i].N, p->N);
        for (int k = 0; k < p->nc; k++) g2_map(&p->c[k], M, z);
        p->w0 *= scale, p->w1 *= scale;
        double area = a->pr[i].area * scale * scale;
        sd_prism_finish(p);
        p->area = area;
    }
    sd_finish(s);
    return s;
}

/* ---------------------------------------------------------------- membership */

static int sd_prism_has(const sd_prism *p, const double q[3]) {
    double l[3];
    sd_to_local(p, q, l);
    return l[2] > p->w0 && l[2] < p->w1 && g2_region_inside(&p->rg, l[0], l[1]);
}

static int sd_eval(const sd_solid *s, int k, const double q[3]) {
    const sd_node *n = &s->nd[k];
    if (!sd_box_has(n->lo, n->hi, q, 0)) return 0;
    switch (n->op) {
    case SD_LEAF: return sd_prism_has(&s->pr[n->a], q);
    case CAD_JOIN: return sd_eval(s, n->a, q) || sd_eval(s, n->b, q);
    case CAD_CUT: return sd_eval(s, n->a, q) && !sd_eval(s, n->b, q);
    default: return sd_eval(s, n->a, q) && sd_eval(s, n->b, q);
    }
}

int sd_contains(const sd_solid *s, const double p[3]) { return sd_eval(s, s->root, p); }

/* membership of two points at once: bit 0 for qa, bit 1 for qb */
static __attribute__((unused)) int sd_eval2(const sd_solid *s, int k, const double qa[3], const double qb[3]) {
    const sd_node *n = &s->nd[k];
    int mask = (sd_box_has(n->lo, n->hi, qa, 0) ? 1 : 0) | (sd_box_has(n->lo, n->hi, qb, 0) ? 2 : 0);
    if (!mask) return 0;
    if (n->op == SD_LEAF) {
        const sd_prism *p = &s->pr[n->a];
        return ((mask & 1) && sd_prism_has(p, qa) ? 1 : 0) | ((mask & 2) && sd_prism_has(p, qb) ? 2 : 0);
    }
    int a = sd_eval2(s, n->a, qa, qb) & mask;
    if (n->op == CAD_JOIN) return a == mask ? a : a | (sd_eval2(s, n->b, qa, qb) & mask);
    if (!a) return 0;
    int b = sd_eval2(s, n->b, qa, qb);
    return n->op == CAD_CUT ? a & ~b : a & b;
}

/* ---------------------------------------------------------------- rays and interval CSG */

/* an inside interval of a line o + t d with the outward unit normals at its two ends */
typedef struct {
    double t0, t1;
    double n0[3], n1[3];
} sd_iv;

#define SD_MAXIV 256 /* intervals per list; more are dropped */

/* per-thread scratch: interval blocks for the tree recursion and line crossings */
typedef struct {
    sd_iv *buf;
    int nblocks, used;
    struct sd_cross {
        double t, n[2];
    } *cr;
    int ncr;
} sd_ws;
static _Thread_local sd_ws sd_scratch;

static sd_iv *sd_ws_block(sd_ws *ws) {
    if (ws->used >= ws->nblocks) {
        int nb = ws->nblocks ? 2 * ws->nblocks : 16;
        /* blocks in use are addressed by index only through their pointer: grow keeps them valid
           only if we never grow while blocks are live, so size the buffer up front (sd_ws_reserve) */
        ws->buf = ut_realloc(ws->buf, (size_t)nb * SD_MAXIV * sizeof *ws->buf);
        ws->nblocks = nb;
    }
    return ws->buf + (size_t)SD_MAXIV * ws->used++;
}

/* makes room for a whole tree walk of s before any block is handed out */
static sd_ws *sd_ws_reserve(const sd_solid *s) {
    sd_ws *ws = &sd_scratch;
    int need = 2 * s->depth + 12;
    if (ws->nblocks < need) {
        ws->buf = ut_realloc(ws->buf, (size_t)need * SD_MAXIV * sizeof *ws->buf);
        ws->nblocks = need;
    }
    int nc = 0;
    for (int i = 0; i < s->npr; i++) nc = s->pr[i].nc > nc ? s->pr[i].nc : nc;
    if (ws->ncr < 2 * nc + 4) {
        ws->ncr = 2 * nc + 4;
        ws->cr = ut_realloc(ws->cr, (size_t)ws->ncr * sizeof *ws->cr);
    }
    ws->used = 0;
    return ws;
}

static int sd_cmp_cross(const void *x, const void *y) {
    double a = ((const struct sd_cross *)x)->t, b = ((const struct sd_cross *)y)->t;
    return (a > b) - (a < b);
}

/* crossings of the 2-D line o + t d with the profile curves of p; returns the count */
static int sd_line_crossings(const sd_prism *p, const double o[2], const double d[2], struct sd_cross *cr) {
    int n = 0;
    for (int i = 0; i < p->nc; i++) {
        const g2_curve *c = &p->c[i];
        if (c->kind == G2_SEG) {
            double ex = c->p1[0] - c->p0[0], ey = c->p1[1] - c->p0[1];
            double den = d[0] * ey - d[1] * ex;
            if (den == 0) continue;
            double ax = c->p0[0] - o[0], ay = c->p0[1] - o[1];
            double sc = (ax * d[1] - ay * d[0]) / den;
            if (sc < 0 || sc > 1) continue;
            double el = hypot(ex, ey);
            cr[n].t = (ax * ey - ay * ex) / den;
            cr[n].n[0] = ey / el, cr[n].n[1] = -ex / el;
            n++;
        } else {
            double fx = o[0] - c->c[0], fy = o[1] - c->c[1];
            double A = d[0] * d[0] + d[1] * d[1], B = 2 * (d[0] * fx + d[1] * fy), C = fx * fx + fy * fy - c->r * c->r;
            double disc = B * B - 4 * A * C;
            if (disc <= 0) continue; /* a tangent line does not cross */
            double sq = sqrt(disc), q = -0.5 * (B + (B >= 0 ? sq : -sq));
            double ts[2] = {q / A, C / q};
            for (int k = 0; k < 2; k++) {
                double x = fx + ts[k] * d[0], y = fy + ts[k] * d[1], ta;
                if (!g2_arc_param(c, atan2(y, x), 1e-12, &ta)) continue;
                cr[n].t = ts[k];
                cr[n].n[0] = x / c->r, cr[n].n[1] = y / c->r;
                n++;
            }
        }
    }
    qsort(cr, (size_t)n, sizeof *cr, sd_cmp_cross);
    return n;
}

static void sd_set_normal(double out[3], const sd_prism *p, const double n2[2], const double d[3], double sign) {
    for (int i = 0; i < 3; i++) out[i] = n2[0] * p->X[i] + n2[1] * p->Y[i];
    if (sign * sd_dot(out, d) < 0)
        for (int i = 0; i < 3; i++) out[i] = -out[i];
}

/* inside intervals of the line o + t d (t over all reals) in prism p */
static int sd_prism_ray(const sd_prism *p, const double o[3], const double d[3], sd_ws *ws, sd_iv *out) {
    double ol[3], dl[3];
    sd_to_local(p, o, ol);
    for (int i = 0; i < 3; i++) dl[i] = sd_dot(d, i == 0 ? p->X : i == 1 ? p->Y : p->N);
    double ta = -INFINITY, tb = INFINITY, dlen = sqrt(sd_dot(d, d));
    double nA[3], nB[3];
    if (fabs(dl[2]) <= 1e-15 * dlen) {
        if (!(ol[2] > p->w0 && ol[2] < p->w1)) return 0;
    } else {
        double t0 = (p->w0 - ol[2]) / dl[2], t1 = (p->w1 - ol[2]) / dl[2];
        int up = dl[2] > 0;
        ta = up ? t0 : t1, tb = up ? t1 : t0;
        for (int i = 0; i < 3; i++) nA[i] = up ? -p->N[i] : p->N[i], nB[i] = -nA[i];
    }
    double d2[2] = {dl[0], dl[1]};
    if (hypot(d2[0], d2[1]) <= 1e-12 * dlen) { /* along the extrusion */
        if (!g2_region_inside(&p->rg, ol[0], ol[1]) || !isfinite(ta)) return 0;
        out[0].t0 = ta, out[0].t1 = tb;
        memcpy(out[0].n0, nA, sizeof nA);
        memcpy(out[0].n1, nB, sizeof nB);
        return 1;
    }
    int nc = sd_line_crossings(p, ol, d2, ws->cr), n = 0;
    for (int i = 0; i + 1 < nc; i++) {
        double a = ws->cr[i].t, b = ws->cr[i + 1].t;
        if (!(b > a) || b <= ta || a >= tb) continue;
        double tm = 0.5 * (a + b);
        if (!g2_region_inside(&p->rg, ol[0] + tm * d2[0], ol[1] + tm * d2[1])) continue;
        if (n > 0 && out[n - 1].t1 == a && a > ta) { /* continues across a vertex */
            out[n - 1].t1 = b;
            sd_set_normal(out[n - 1].n1, p, ws->cr[i + 1].n, d, 1);
        } else {
            if (n == SD_MAXIV) break;
            out[n].t0 = a, out[n].t1 = b;
            sd_set_normal(out[n].n0, p, ws->cr[i].n, d, -1);
            sd_set_normal(out[n].n1, p, ws->cr[i + 1].n, d, 1);
            n++;
        }
        if (out[n - 1].t0 < ta) out[n - 1].t0 = ta, memcpy(out[n - 1].n0, nA, sizeof nA);
        if (out[n - 1].t1 > tb) out[n - 1].t1 = tb, memcpy(out[n - 1].n1, nB, sizeof nB);
    }
    return n;
}

#define SD_XOR 4 /* symmetric difference, for sd_iv_bool */
/* boolean of two sorted interval lists: op JOIN / CUT (A minus B) / INTERSECT / SD_XOR */
static int sd_iv_bool(const sd_iv *A, int na, const sd_iv *B, int nb, int op, sd_iv *out) {
    int ia = 0, ib = 0, inA = 0, inB = 0, on = 0, n = 0;
    while (ia < na || ib < nb) {
        double ea = ia < na ? (inA ? A[ia].t1 : A[ia].t0) : INFINITY;
        double eb = ib < nb ? (inB ? B[ib].t1 : B[ib].t0) : INFINITY;
        double t = fmin(ea, eb);
        const double *nrm = NULL;
        double sign = 1;
        if (eb == t) {
            nrm = inB ? B[ib].n1 : B[ib].n0;
            sign = op == CAD_CUT ? -1 : 1;
            if (inB) ib++;
            inB = !inB;
        }
        if (ea == t) {
            nrm = inA ? A[ia].n1 : A[ia].n0;
            sign = 1;
            if (inA) ia++;
            inA = !inA;
        }
        int now = op == CAD_JOIN ? (inA || inB) : op == CAD_CUT ? (inA && !inB) : op == SD_XOR ? inA != inB : (inA && inB);
        if (now == on) continue;
        on = now;
        if (on) {
            if (n == SD_MAXIV) break;
            out[n].t0 = t;
            for (int i = 0; i < 3; i++) out[n].n0[i] = sign * nrm[i];
        } else {
            out[n].t1 = t;
            for (int i = 0; i < 3; i++) out[n].n1[i] = sign * nrm[i];
            if (out[n].t1 > out[n].t0) n++;
        }
    }
    return n;
}

/* does the line o + t d meet the box at all? */
static int sd_line_box(const double lo[3], const double hi[3], const double o[3], const double d[3]) {
    double t0 = -INFINITY, t1 = INFINITY;
    for (int i = 0; i < 3; i++) {
        if (d[i] == 0) {
            if (o[i] < lo[i] || o[i] > hi[i]) return 0;
            continue;
        }
        double a = (lo[i] - o[i]) / d[i], b = (hi[i] - o[i]) / d[i];
        t0 = fmax(t0, fmin(a, b));
        t1 = fmin(t1, fmax(a, b));
    }
    return t0 <= t1;
}

/* inside intervals of the line in node k, written to out (SD_MAXIV room) */
static int sd_ray_node(const sd_solid *s, int k, const double o[3], const double d[3], sd_ws *ws, sd_iv *out) {
    const sd_node *nd = &s->nd[k];
    if (!sd_line_box(nd->lo, nd->hi, o, d)) return 0;
    if (nd->op == SD_LEAF) return sd_prism_ray(&s->pr[nd->a], o, d, ws, out);
    int na = sd_ray_node(s, nd->a, o, d, ws, out);
    if (na == 0 && nd->op != CAD_JOIN) return 0;
    int mark = ws->used;
    sd_iv *B = sd_ws_block(ws), *R = sd_ws_block(ws);
    int nb = sd_ray_node(s, nd->b, o, d, ws, B);
    int n = nb == 0 ? (nd->op == CAD_INTERSECT ? 0 : na) : sd_iv_bool(out, na, B, nb, nd->op, R);
    if (nb > 0) memcpy(out, R, (size_t)n * sizeof *out);
    ws->used = mark;
    return n;
}

int sd_ray(const sd_solid *s, const double o[3], const double d[3], sd_hit *hits, int max) {
    if (!(sd_dot(d, d) > 0)) return 0;
    sd_ws *ws = sd_ws_reserve(s);
    sd_iv *iv = sd_ws_block(ws);
    int n = sd_ray_node(s, s->root, o, d, ws, iv), nh = 0;
    for (int i = 0; i < n; i++)
        for (int e = 0; e < 2; e++) {
            double t = e ? iv[i].t1 : iv[i].t0;
            if (!(t > 0) || !isfinite(t) || nh >= max) continue;
            hits[nh].t = t;
            memcpy(hits[nh].n, e ? iv[i].n1 : iv[i].n0, sizeof hits[nh].n);
            hits[nh].enter = !e;
            nh++;
        }
    return nh;
}

/* ---------------------------------------------------------------- sections (one direction) */

/* a piece of a profile curve between two consecutive split parameters */
typedef struct {
    int curve;
    double t0, t1, len;
    double mid[2], nl[2]; /* midpoint and unit normal to the left of the curve's direction */
    int dup0, ndup;       /* lower-index curves that contain the piece: dup[dup0 .. dup0+ndup) */
    double m[6];          /* Green's integrals of the piece (g2_moments), valid if have_m */
    int have_m;
} sd_piece;

typedef struct {
    g2_curve *c; /* all profile curves mapped into the frame of prism 0 */
    int *cpr;    /* prism of each curve */
    int nc;
    double (*cbox)[4]; /* per curve 2-D box: lo x, lo y, hi x, hi y */
    g2_region *rg;     /* per prism, frame of prism 0 */
    int (*slab)[2];    /* per prism: indices into cut[] of its slab ends */
    double *cut;       /* sorted distinct slab ends along N of prism 0 */
    int ncut;
    unsigned char *act; /* (ncut-1) x npr: 1 if the prism spans interval k */
    sd_piece *pc;
    int np, cap_pc;
    int *dup;
    int ndup, cap_dup;
    unsigned char *mem; /* (ncut-1) x np: bit 0 inside on the left, bit 1 inside on the right */
} sd_sec;

/* 1 if every prism extrudes along +-N of prism 0 */
static int sd_one_direction(const sd_solid *s) {
    for (int i = 1; i < s->npr; i++)
        if (fabs(sd_dot(s->pr[i].N, s->pr[0].N)) < 1 - 1e-12) return 0;
    return 1;
}

static void sd_sec_free(sd_sec *S, int npr) {
    for (int i = 0; i < npr && S->rg; i++) g2_region_free(&S->rg[i]);
    free(S->c), free(S->cpr), free(S->cbox), free(S->rg), free(S->slab), free(S->cut), free(S->act);
    free(S->pc), free(S->dup), free(S->mem);
    memset(S, 0, sizeof *S);
}

static int sd_cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* maps the profiles into prism 0's frame and cuts the common axis at all slab ends */
static void sd_sec_frame(const sd_solid *s, sd_sec *S) {
    const sd_prism *p0 = &s->pr[0];
    int nc = 0, npr = s->npr;
    for (int i = 0; i < npr; i++) nc += s->pr[i].nc;
    S->c = ut_malloc((size_t)nc * sizeof *S->c);
    S->cpr = ut_malloc((size_t)nc * sizeof *S->cpr);
    S->cbox = ut_malloc((size_t)nc * sizeof *S->cbox);
    S->rg = ut_calloc((size_t)npr, sizeof *S->rg);
    S->slab = ut_malloc((size_t)npr * sizeof *S->slab);
    double *w = ut_malloc((size_t)2 * npr * sizeof *w);
    for (int i = 0; i < npr; i++) {
        const sd_prism *p = &s->pr[i];
        double d[3] = {p->o[0] - p0->o[0], p->o[1] - p0->o[1], p->o[2] - p0->o[2]};
        double M[4] = {sd_dot(p->X, p0->X), sd_dot(p->Y, p0->X), sd_dot(p->X, p0->Y), sd_dot(p->Y, p0->Y)};
        double t[2] = {sd_dot(d, p0->X), sd_dot(d, p0->Y)};
        double z = sd_dot(d, p0->N), sg = sd_dot(p->N, p0->N) > 0 ? 1 : -1;
        w[2 * i] = fmin(z + sg * p->w0, z + sg * p->w1);
        w[2 * i + 1] = fmax(z + sg * p->w0, z + sg * p->w1);
        g2_region_init(&S->rg[i]);
        for (int k = 0; k < p->nc; k++) {
            g2_curve *c = &S->c[S->nc];
            *c = p->c[k];
            g2_map(c, M, t);
            g2_bbox(c, S->cbox[S->nc], S->cbox[S->nc] + 2);
            S->cpr[S->nc++] = i;
        }
        g2_region_add(&S->rg[i], S->c + S->nc - p->nc, p->nc);
        g2_region_index(&S->rg[i]);
    }
    /* distinct cut positions (ends closer than 1e-12 of the size are one cut) */
    S->cut = ut_malloc((size_t)2 * npr * sizeof *S->cut);
    memcpy(S->cut, w, (size_t)2 * npr * sizeof *w);
    qsort(S->cut, (size_t)2 * npr, sizeof *S->cut, sd_cmp_double);
    double eps = 1e-12 * s->size;
    S->ncut = 0;
    for (int i = 0; i < 2 * npr; i++)
        if (S->ncut == 0 || S->cut[i] - S->cut[S->ncut - 1] > eps) S->cut[S->ncut++] = S->cut[i];
    for (int i = 0; i < npr; i++)
        for (int e = 0; e < 2; e++) {
            int best = 0;
            for (int k = 1; k < S->ncut; k++)
                if (fabs(S->cut[k] - w[2 * i + e]) < fabs(S->cut[best] - w[2 * i + e])) best = k;
            S->slab[i][e] = best;
        }
    free(w);
    int ni = S->ncut - 1;
    S->act = ut_calloc((size_t)(ni > 0 ? ni : 1) * npr, 1);
    for (int k = 0; k < ni; k++)
        for (int i = 0; i < npr; i++) S->act[k * npr + i] = S->slab[i][0] <= k && k < S->slab[i][1];
}

/* can prisms i and j ever meet in one interval or two adjacent ones? */
static int sd_sec_near(const sd_sec *S, int i, int j) {
    return S->slab[i][0] <= S->slab[j][1] && S->slab[j][0] <= S->slab[i][1];
}

static int sd_box2_near(const double *a, const double *b, double tol) {
    return a[0] <= b[2] + tol && b[0] <= a[2] + tol && a[1] <= b[3] + tol && b[1] <= a[3] + tol;
}

/* splits every curve at its intersections with the other curves; finds coincident pieces */
static void sd_sec_pieces(const sd_solid *s, sd_sec *S) {
    double tol = 1e-9 * s->size;
    int cap_t = 64;
    double *ts = ut_malloc((size_t)cap_t * sizeof *ts);
    g2_isect is[16];
    for (int i = 0; i < S->nc; i++) {
        int nt = 0;
        ts[nt++] = 0, ts[nt++] = 1;
        for (int j = 0; j < S->nc; j++) {
            if (j == i || !sd_sec_near(S, S->cpr[i], S->cpr[j]) || !sd_box2_near(S->cbox[i], S->cbox[j], tol)) continue;
            int n = g2_intersect(&S->c[i], &S->c[j], tol, is, 16);
            for (int k = 0; k < n; k++) {
                if (nt == cap_t) ts = ut_realloc(ts, (size_t)(cap_t *= 2) * sizeof *ts);
                ts[nt++] = is[k].ta;
            }
        }
        qsort(ts, (size_t)nt, sizeof *ts, sd_cmp_double);
        double len = g2_length(&S->c[i]);
        for (int k = 0; k + 1 < nt; k++) {
            if ((ts[k + 1] - ts[k]) * len <= 1e-12 * s->size) continue;
            sd_piece *pc = UT_PUSH(S->pc, S->np, S->cap_pc);
            memset(pc, 0, sizeof *pc);
            pc->curve = i, pc->t0 = ts[k], pc->t1 = ts[k + 1];
            pc->len = (pc->t1 - pc->t0) * len;
            double tm = 0.5 * (pc->t0 + pc->t1), d[2];
            g2_eval(&S->c[i], tm, pc->mid);
            g2_deriv(&S->c[i], tm, d);
            double dl = hypot(d[0], d[1]);
            pc->nl[0] = -d[1] / dl, pc->nl[1] = d[0] / dl;
            /* coincident with a lower-index curve? (midpoint and quarter point on it) */
            pc->dup0 = S->ndup;
            double q[2], t;
            g2_eval(&S->c[i], 0.75 * pc->t0 + 0.25 * pc->t1, q);
            for (int j = 0; j < i; j++) {
                if (!sd_sec_near(S, S->cpr[i], S->cpr[j]) || !sd_box2_near(S->cbox[i], S->cbox[j], tol)) continue;
                if (g2_closest(&S->c[j], pc->mid, &t) <= tol && g2_closest(&S->c[j], q, &t) <= tol) {
                    *UT_PUSH(S->dup, S->ndup, S->cap_dup) = j;
                    pc->ndup++;
                }
            }
        }
    }
    free(ts);
}

/* membership of the cross-section of interval k at (x, y) */
static int sd_sec_eval(const sd_solid *s, const sd_sec *S, int node, int k, double x, double y) {
    const sd_node *n = &s->nd[node];
    switch (n->op) {
    case SD_LEAF: return S->act[k * s->npr + n->a] && g2_region_inside(&S->rg[n->a], x, y);
    case CAD_JOIN: return sd_sec_eval(s, S, n->a, k, x, y) || sd_sec_eval(s, S, n->b, k, x, y);
    case CAD_CUT: return sd_sec_eval(s, S, n->a, k, x, y) && !sd_sec_eval(s, S, n->b, k, x, y);
    default: return sd_sec_eval(s, S, n->a, k, x, y) && sd_sec_eval(s, S, n->b, k, x, y);
    }
}

static int sd_sec_active(const sd_sec *S, int npr, int k, int prism) {
    return k >= 0 && k < S->ncut - 1 && S->act[k * npr + prism];
}

/* membership on both sides of every piece in every interval where its prism is near */
static void sd_sec_classify(const sd_solid *s, sd_sec *S) {
    int ni = S->ncut - 1, npr = s->npr;
    double del = 1e-9 * s->size;
    S->mem = ut_calloc((size_t)(ni > 0 ? ni : 1) * (S->np > 0 ? S->np : 1), 1);
    for (int k = 0; k < ni; k++)
        for (int i = 0; i < S->np; i++) {
            const sd_piece *pc = &S->pc[i];
            int pr = S->cpr[pc->curve];
            if (!sd_sec_active(S, npr, k - 1, pr) && !sd_sec_active(S, npr, k, pr) && !sd_sec_active(S, npr, k + 1, pr))
                continue;
            int L = sd_sec_eval(s, S, s->root, k, pc->mid[0] + del * pc->nl[0], pc->mid[1] + del * pc->nl[1]);
            int R = sd_sec_eval(s, S, s->root, k, pc->mid[0] - del * pc->nl[0], pc->mid[1] - del * pc->nl[1]);
            S->mem[(size_t)k * S->np + i] = (unsigned char)(L | (R << 1));
        }
}

static int sd_sec_build(const sd_solid *s, sd_sec *S) {
    memset(S, 0, sizeof *S);
    if (!sd_one_direction(s)) return 0;
    sd_sec_frame(s, S);
    sd_sec_pieces(s, S);
    sd_sec_classify(s, S);
    return 1;
}

static int sd_sec_mem(const sd_sec *S, int k, int i) {
    return k >= 0 && k < S->ncut - 1 ? S->mem[(size_t)k * S->np + i] : 0;
}

/* is piece i counted for the region made of intervals ka and kb (a lower coincident curve of a
   prism active there takes it)? */
static int sd_sec_counts(const sd_sec *S, int npr, int i, int ka, int kb) {
    const sd_piece *pc = &S->pc[i];
    int pr = S->cpr[pc->curve];
    if (!sd_sec_active(S, npr, ka, pr) && !sd_sec_active(S, npr, kb, pr)) return 0;
    for (int j = 0; j < pc->ndup; j++) {
        int q = S->cpr[S->dup[pc->dup0 + j]];
        if (sd_sec_active(S, npr, ka, q) || sd_sec_active(S, npr, kb, q)) return 0;
    }
    return 1;
}

/* boundary orientation of piece i for section ka (kb < -1) or for the symmetric difference of
   sections ka and kb: +1 region on the left, -1 on the right, 0 not on the boundary */
static int sd_sec_side(const sd_sec *S, int i, int ka, int kb) {
    int m = sd_sec_mem(S, ka, i);
    if (kb >= -1) m ^= sd_sec_mem(S, kb, i);
    int L = m & 1, R = (m >> 1) & 1;
    return L == R ? 0 : L ? 1 : -1;
}

static const double *sd_piece_moments(const sd_sec *S, sd_piece *pc) {
    if (!pc->have_m) {
        g2_moments(&S->c[pc->curve], pc->t0, pc->t1, pc->m);
        pc->have_m = 1;
    }
    return pc->m;
}

/* local frame moments: vol, first (3), second (3x3) and area; exact */
static void sd_sec_props(const sd_solid *s, sd_sec *S, double *V, double F[3], double M[9], double *area) {
    int ni = S->ncut - 1, npr = s->npr;
    *V = *area = 0;
    memset(F, 0, 3 * sizeof *F);
    memset(M, 0, 9 * sizeof *M);
    for (int k = 0; k < ni; k++) {
        double m[6] = {0}, blen = 0;
        for (int i = 0; i < S->np; i++) {
            int side = sd_sec_counts(S, npr, i, k, k) ? sd_sec_side(S, i, k, -2) : 0;
            if (!side) continue;
            const double *pm = sd_piece_moments(S, &S->pc[i]);
            for (int q = 0; q < 6; q++) m[q] += side * pm[q];
            blen += S->pc[i].len;
        }
        double a = S->cut[k], b = S->cut[k + 1], h = b - a;
        double z1 = 0.5 * (b * b - a * a), z2 = (b * b * b - a * a * a) / 3;
        *V += m[0] * h;
        F[0] += m[1] * h, F[1] += m[2] * h, F[2] += m[0] * z1;
        M[0] += m[3] * h, M[4] += m[4] * h, M[8] += m[0] * z2;
        M[1] += m[5] * h, M[2] += m[1] * z1, M[5] += m[2] * z1;
        *area += blen * h;
    }
    M[3] = M[1], M[6] = M[2], M[7] = M[5];
    for (int c = 0; c <= ni; c++) { /* caps: area of the change of section at each cut */
        double a = 0;
        for (int i = 0; i < S->np; i++) {
            int side = sd_sec_counts(S, npr, i, c - 1, c) ? sd_sec_side(S, i, c - 1, c) : 0;
            if (side) a += side * sd_piece_moments(S, &S->pc[i])[0];
        }
        *area += fabs(a);
    }
}

/* exact world box: boundary pieces of every interval at both of its ends */
static void sd_sec_box(const sd_solid *s, sd_sec *S, double lo[3], double hi[3]) {
    const sd_prism *p0 = &s->pr[0];
    sd_box_empty(lo, hi);
    for (int k = 0; k < S->ncut - 1; k++)
        for (int i = 0; i < S->np; i++) {
            if (!sd_sec_counts(S, s->npr, i, k, k) || !sd_sec_side(S, i, k, -2)) continue;
            g2_curve sub;
            g2_sub(&S->c[S->pc[i].curve], S->pc[i].t0, S->pc[i].t1, &sub);
            sd_curve_box3(p0->o, p0->X, p0->Y, p0->N, &sub, S->cut[k], lo, hi);
            sd_curve_box3(p0->o, p0->X, p0->Y, p0->N, &sub, S->cut[k + 1], lo, hi);
        }
}

/* ---------------------------------------------------------------- adaptive quadrature */

/* Gauss-Kronrod 7/15 nodes and weights on [-1, 1] (positive half; index 7 is the centre) */
static const double sd_xk[8] = {0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
                                0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
                                0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
                                0.207784955007898467600689403773245, 0.0};
static const double sd_wk[8] = {0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
                                0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
                                0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
                                0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
static const double sd_wg[4] = {0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
                                0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

#define SD_QD 10 /* components of a quadrature integrand (at most) */
typedef void (*sd_qfn)(void *ctx, double x, double *f); /* f: SD_QD values at x */

/* one Gauss-Kronrod rule on [a, b]: res[D] and the error estimate of component 0 */
/* Gauss-Kronrod 3/7 (the cheaper rule, exact to degree 11) */
static const double sd_xk7[4] = {0.960491268708020283423507092629080, 0.774596669241483377035853079956480,
                                 0.434243749346802558002071502844628, 0.0};
static const double sd_wk7[4] = {0.104656226026467265193823857192073, 0.268488089868333440728569280666710,
                                 0.401397414775962222905051818618432, 0.450916538658474142345110087045571};
static const double sd_wg3[2] = {0.555555555555555555555555555555556, 0.888888888888888888888888888888889};

/* one Gauss-Kronrod rule (7 or 15 points) on [a, b]: res[D] and the error estimate of
   component 0 */
static double sd_gk(sd_qfn fn, void *ctx, int D, double a, double b, int rule, double *res) {
    const double *xk = rule == 7 ? sd_xk7 : sd_xk, *wk = rule == 7 ? sd_wk7 : sd_wk, *wg = rule == 7 ? sd_wg3 : sd_wg;
    int half = rule / 2; /* nodes on each side of the centre */
    double c = 0.5 * (a + b), h = 0.5 * (b - a), f1[SD_QD], f2[SD_QD], g0, v[15], w[15];
    fn(ctx, c, f1);
    for (int q = 0; q < D; q++) res[q] = wk[half] * f1[q];
    g0 = wg[half / 2] * f1[0];
    v[0] = f1[0], w[0] = wk[half];
    for (int j = 0; j < half; j++) {
        fn(ctx, c - h * xk[j], f1);
        fn(ctx, c + h * xk[j], f2);
        for (int q = 0; q < D; q++) res[q] += wk[j] * (f1[q] + f2[q]);
        if (j & 1) g0 += wg[j >> 1] * (f1[0] + f2[0]);
        v[2 * j + 1] = f1[0], v[2 * j + 2] = f2[0], w[2 * j + 1] = w[2 * j + 2] = wk[j];
    }
    /* QUADPACK's estimate: |K - G| scaled by the spread of the integrand (smooth integrands
       have errors far below |K - G|) */
    double mean = 0.5 * res[0], asc = 0;
    for (int i = 0; i < rule; i++) asc += w[i] * fabs(v[i] - mean);
    for (int q = 0; q < D; q++) res[q] *= h;
    double err = fabs(res[0] - g0 * h);
    asc *= fabs(h);
    if (asc > 0 && err > 0) err = asc * fmin(1, pow(200 * err / asc, 1.5));
    return err;
}

/* globally adaptive integral of fn over [a, b]: bisects the cell of largest error until the
   summed error of component 0 is below max(rel |I0|, abs_tol) or max_cells is reached */
static void sd_adapt(sd_qfn fn, void *ctx, int D, double a, double b, double rel, double abs_tol, int max_cells,
                     int rule, double *out) {
    enum { CAP = 512 };
    static _Thread_local struct cell {
        double a, b, err, res[SD_QD];
    } stk[4][CAP]; /* nesting levels of the quadratures */
    static _Thread_local int level;
    struct cell *cl = stk[level < 4 ? level : 3];
    if (max_cells > CAP) max_cells = CAP;
    level++;
    int n = 1;
    cl[0].a = a, cl[0].b = b;
    cl[0].err = sd_gk(fn, ctx, D, a, b, rule, cl[0].res);
    for (;;) {
        double tot = 0, err = 0;
        int worst = 0;
        for (int i = 0; i < n; i++) {
            tot += cl[i].res[0], err += cl[i].err;
            if (cl[i].err > cl[worst].err) worst = i;
        }
        if (err <= fmax(rel * fabs(tot), abs_tol) || n >= max_cells) break;
        struct cell w = cl[worst];
        double m = 0.5 * (w.a + w.b);
        cl[worst].a = w.a, cl[worst].b = m;
        cl[worst].err = sd_gk(fn, ctx, D, w.a, m, rule, cl[worst].res);
        cl[n].a = m, cl[n].b = w.b;
        cl[n].err = sd_gk(fn, ctx, D, m, w.b, rule, cl[n].res);
        n++;
    }
    for (int q = 0; q < D; q++) {
        out[q] = 0;
        for (int i = 0; i < n; i++) out[q] += cl[i].res[q];
    }
    level--;
}

/* ---------------------------------------------------------------- breakpoints of sweeps
 *
 * The quadratures integrate exact line lengths (ray intervals) over a family of parallel lines.
 * The integrand is smooth except where the family's combinatorics change; those positions are
 * computed here exactly (edges crossing the sweep plane, cylinder silhouettes, planar faces
 * containing the line direction), so that every quadrature piece is smooth (up to kinks where
 * two faces of different prisms cross, and square-root ends at tangencies, which the cosine
 * substitution below absorbs).
 */

typedef struct {
    double *v;
    unsigned char *f; /* 1 where the integrand may behave like a square root (tangencies) */
    int n, cap, capf;
    int tag; /* the flag that sd_vals_put gives */
} sd_vals;

static void sd_vals_put(sd_vals *b, double x) {
    if (!isfinite(x)) return;
    *UT_PUSH(b->f, b->n, b->capf) = (unsigned char)b->tag;
    b->n--;
    *UT_PUSH(b->v, b->n, b->cap) = x;
}

static void sd_vals_free(sd_vals *b) {
    free(b->v), free(b->f);
    memset(b, 0, sizeof *b);
}

typedef struct {
    double v;
    int f;
} sd_tagged;

static int sd_cmp_tagged(const void *x, const void *y) {
    double a = ((const sd_tagged *)x)->v, b = ((const sd_tagged *)y)->v;
    return (a > b) - (a < b);
}

/* sorted distinct values inside (lo, hi), with lo and hi at the ends; merged values keep any
   tangency flag */
static void sd_vals_finish(sd_vals *b, double lo, double hi, double eps) {
    int tag = b->tag;
    b->tag = 0;
    sd_vals_put(b, lo);
    sd_vals_put(b, hi);
    b->tag = tag;
    sd_tagged *t = ut_malloc((size_t)b->n * sizeof *t);
    for (int i = 0; i < b->n; i++) t[i].v = b->v[i], t[i].f = b->f[i];
    qsort(t, (size_t)b->n, sizeof *t, sd_cmp_tagged);
    int m = 0;
    for (int i = 0; i < b->n; i++) {
        if (t[i].v < lo || t[i].v > hi) continue;
        if (m > 0 && t[i].v - b->v[m - 1] <= eps) {
            b->f[m - 1] |= (unsigned char)t[i].f;
            continue;
        }
        b->v[m] = t[i].v, b->f[m] = (unsigned char)t[i].f, m++;
    }
    if (m > 0 && b->v[m - 1] < hi) b->v[m - 1] = hi; /* the last kept value within eps of hi */
    b->n = m;
    free(t);
}

/* a plane (point o, unit normal n), the axis a (unit, in the plane) that values are measured
   along, and the direction d of the integration lines (unit, in the plane, normal to a) */
typedef struct {
    double o[3], n[3], a[3], d[3], tol;
} sd_cut;

static void sd_cut_put(const sd_cut *c, const double q[3], sd_vals *b) {
    double r[3] = {q[0] - c->o[0], q[1] - c->o[1], q[2] - c->o[2]};
    sd_vals_put(b, sd_dot(r, c->a));
}

/* 3-D segment A-B: its crossing with the plane, or both ends if it lies in it */
static void sd_seg_plane(const sd_cut *c, const double A[3], const double B[3], sd_vals *b) {
    double ra[3] = {A[0] - c->o[0], A[1] - c->o[1], A[2] - c->o[2]}, rb[3] = {B[0] - c->o[0], B[1] - c->o[1], B[2] - c->o[2]};
    double da = sd_dot(ra, c->n), db = sd_dot(rb, c->n);
    if (fabs(da) <= c->tol && fabs(db) <= c->tol) {
        sd_cut_put(c, A, b);
        sd_cut_put(c, B, b);
        return;
    }
    if ((da > c->tol && db > c->tol) || (da < -c->tol && db < -c->tol)) return;
    double t = da / (da - db), q[3];
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    for (int i = 0; i < 3; i++) q[i] = A[i] + t * (B[i] - A[i]);
    sd_cut_put(c, q, b);
}

static void sd_arc_point(const sd_prism *p, const g2_curve *g, double th, double w, double q[3]) {
    sd_to_world(p, g->c[0] + g->r * cos(th), g->c[1] + g->r * sin(th), w, q);
}

/* the arc g of prism p at height w: its crossings with the plane; if it lies in the plane, its
   ends and its extremes along the axis */
static void sd_arc_plane(const sd_cut *c, const sd_prism *p, const g2_curve *g, double w, sd_vals *b) {
    double C[3], q[3], t;
    sd_to_world(p, g->c[0], g->c[1], w, C);
    double rc[3] = {C[0] - c->o[0], C[1] - c->o[1], C[2] - c->o[2]};
    double un = sd_dot(p->X, c->n), vn = sd_dot(p->Y, c->n), R = hypot(un, vn), h = sd_dot(rc, c->n);
    if (R <= 1e-12) {
        if (fabs(h) > c->tol) return;
        sd_to_world(p, g->p0[0], g->p0[1], w, q);
        sd_cut_put(c, q, b);
        double phi = atan2(sd_dot(p->Y, c->a), sd_dot(p->X, c->a));
        b->tag = 1; /* extremes of an arc lying in the plane */
        for (int k = 0; k < 2; k++)
            if (g2_arc_param(g, phi + k * G2_PI, 0, &t)) sd_arc_point(p, g, phi + k * G2_PI, w, q), sd_cut_put(c, q, b);
        b->tag = 0;
        return;
    }
    double k = -h / (g->r * R); /* cos(theta - phi) = k */
    if (fabs(k) > 1) return;
    double phi = atan2(vn, un), dt = acos(k);
    int tag = b->tag;
    b->tag = 1; /* curved geometry: the substitution keeps near-tangent ends cheap */
    for (int s = -1; s <= 1; s += 2)
        if (g2_arc_param(g, phi + s * dt, 1e-12, &t)) sd_arc_point(p, g, phi + s * dt, w, q), sd_cut_put(c, q, b);
    b->tag = tag;
}

/* a planar face (point qf, unit normal nf) containing the line direction meets the plane in a
   line of the family: its position along the axis (if the face's prism box touches it) */
static void sd_face_trace(const sd_cut *c, const sd_prism *p, const double qf[3], const double nf[3], sd_vals *b) {
    if (fabs(sd_dot(nf, c->d)) > 1e-12) return;
    double an = sd_dot(c->a, nf);
    if (fabs(an) <= 1e-12) return;
    double r[3] = {qf[0] - c->o[0], qf[1] - c->o[1], qf[2] - c->o[2]}, alpha = sd_dot(r, nf) / an, q[3];
    for (int i = 0; i < 3; i++) q[i] = c->o[i] + alpha * c->a[i];
    if (sd_line_box(p->lo, p->hi, q, c->d)) sd_vals_put(b, alpha);
}

/* the unit normal of the straight wall of segment g of prism p */
static void sd_wall_normal(const sd_prism *p, const g2_curve *g, double nf[3]) {
    double ex = g->p1[0] - g->p0[0], ey = g->p1[1] - g->p0[1], el = hypot(ex, ey);
    for (int i = 0; i < 3; i++) nf[i] = (ey * p->X[i] - ex * p->Y[i]) / el;
}

/* silhouette angles of an arc wall seen along d (normal perpendicular to d); 0 if the wall is
   parallel to d */
static int sd_silhouette(const sd_prism *p, const double d[3], double th[2]) {
    double cx = sd_dot(p->X, d), cy = sd_dot(p->Y, d);
    if (hypot(cx, cy) <= 1e-12) return 0;
    th[0] = atan2(-cx, cy);
    th[1] = th[0] + G2_PI;
    return 2;
}

/* every position along the axis where the lines in the plane change combinatorics */
static void sd_plane_breaks(const sd_solid *s, const sd_cut *c, sd_vals *b) {
    for (int j = 0; j < s->npr; j++) {
        const sd_prism *p = &s->pr[j];
        double o[3] = {c->o[0], c->o[1], c->o[2]};
        if (!sd_line_box(p->lo, p->hi, o, c->a) && fabs(sd_dot(c->n, c->n)) > 0) { /* quick reject: plane vs box */
            double lo = INFINITY, hi = -INFINITY;
            for (int k = 0; k < 8; k++) {
                double q[3] = {k & 1 ? p->hi[0] : p->lo[0], k & 2 ? p->hi[1] : p->lo[1], k & 4 ? p->hi[2] : p->lo[2]};
                double r[3] = {q[0] - o[0], q[1] - o[1], q[2] - o[2]}, h = sd_dot(r, c->n);
                lo = fmin(lo, h), hi = fmax(hi, h);
            }
            if (lo > c->tol || hi < -c->tol) continue;
        }
        for (int e = 0; e < 2; e++) { /* caps containing the line direction */
            double qf[3];
            sd_to_world(p, 0, 0, e ? p->w1 : p->w0, qf);
            sd_face_trace(c, p, qf, p->N, b);
        }
        for (int k = 0; k < p->nc; k++) {
            const g2_curve *g = &p->c[k];
            double A[3], B[3], th[2];
            sd_to_world(p, g->p0[0], g->p0[1], p->w0, A);
            sd_to_world(p, g->p0[0], g->p0[1], p->w1, B);
            sd_seg_plane(c, A, B, b); /* vertical edge */
            for (int e = 0; e < 2; e++) {
                double w = e ? p->w1 : p->w0;
                if (g->kind == G2_SEG) {
                    sd_to_world(p, g->p0[0], g->p0[1], w, A);
                    sd_to_world(p, g->p1[0], g->p1[1], w, B);
                    sd_seg_plane(c, A, B, b);
                } else {
                    sd_arc_plane(c, p, g, w, b);
                }
            }
            if (g->kind == G2_SEG) {
                double nf[3];
                sd_wall_normal(p, g, nf);
                sd_to_world(p, g->p0[0], g->p0[1], 0, A);
                sd_face_trace(c, p, A, nf, b);
            } else {
                int ns = sd_silhouette(p, c->d, th);
                b->tag = 1; /* lines tangent to the cylinder */
                for (int q = 0; q < ns; q++) {
                    double t;
                    if (!g2_arc_param(g, th[q], 0, &t)) continue;
                    sd_arc_point(p, g, th[q], p->w0, A);
                    sd_arc_point(p, g, th[q], p->w1, B);
                    sd_seg_plane(c, A, B, b);
                }
                b->tag = 0;
            }
        }
    }
}

/* positions along axis a (from origin o) of all vertices, arc extremes along a and silhouette
   ends seen along d: where a sweep of planes normal to a changes combinatorics */
static void sd_sweep_breaks(const sd_solid *s, const double o[3], const double a[3], const double d[3], sd_vals *b) {
    sd_cut c;
    memcpy(c.o, o, sizeof c.o);
    memcpy(c.a, a, sizeof c.a);
    for (int j = 0; j < s->npr; j++) {
        const sd_prism *p = &s->pr[j];
        for (int k = 0; k < p->nc; k++) {
            const g2_curve *g = &p->c[k];
            for (int e = 0; e < 2; e++) {
                double w = e ? p->w1 : p->w0, q[3], th[2], t;
                sd_to_world(p, g->p0[0], g->p0[1], w, q);
                sd_cut_put(&c, q, b);
                if (g->kind != G2_ARC) continue;
                double phi = atan2(sd_dot(p->Y, a), sd_dot(p->X, a));
                b->tag = 1; /* arc extremes along the sweep and silhouette ends */
                for (int m = 0; m < 2; m++)
                    if (g2_arc_param(g, phi + m * G2_PI, 0, &t)) sd_arc_point(p, g, phi + m * G2_PI, w, q), sd_cut_put(&c, q, b);
                int ns = sd_silhouette(p, d, th);
                for (int m = 0; m < ns; m++)
                    if (g2_arc_param(g, th[m], 0, &t)) sd_arc_point(p, g, th[m], w, q), sd_cut_put(&c, q, b);
                b->tag = 0;
            }
        }
    }
}

/* ---- where faces of different prisms meet: the arrangement's own breakpoints ----
 * Inside a sweep plane the lines' ends switch from one prism's face to another's where two
 * faces cross (kinks); along the sweep the plane passes vertices of the arrangement (edges
 * piercing faces, three planes meeting) and tangencies (extremes of plane-cylinder ellipses).
 * Cylinder-cylinder crossings are left to the adaptive quadrature. */

typedef struct {
    int prism;
    double q[3], n[3]; /* a point and the unit normal */
    int curve;         /* the straight wall's curve, or -1 / -2 for the cap at w0 / w1 */
} sd_pface;

typedef struct {
    int prism, curve; /* an arc wall */
} sd_cface;

typedef struct {
    int prism;
    double A[3], B[3];
} sd_sedge;

typedef struct {
    sd_pface *pf;
    int npf, cap_pf;
    sd_cface *cf;
    int ncf, cap_cf;
    sd_sedge *se; /* straight edges and the silhouette rulings seen along the line direction */
    int nse, cap_se;
} sd_arr;

static void sd_arr_build(const sd_solid *s, const double d[3], sd_arr *A) {
    memset(A, 0, sizeof *A);
    for (int j = 0; j < s->npr; j++) {
        const sd_prism *p = &s->pr[j];
        for (int e = 0; e < 2; e++) {
            sd_pface *f = UT_PUSH(A->pf, A->npf, A->cap_pf);
            f->prism = j, f->curve = e ? -2 : -1;
            sd_to_world(p, 0, 0, e ? p->w1 : p->w0, f->q);
            memcpy(f->n, p->N, sizeof f->n);
        }
        for (int k = 0; k < p->nc; k++) {
            const g2_curve *g = &p->c[k];
            sd_sedge *v = UT_PUSH(A->se, A->nse, A->cap_se);
            v->prism = j;
            sd_to_world(p, g->p0[0], g->p0[1], p->w0, v->A);
            sd_to_world(p, g->p0[0], g->p0[1], p->w1, v->B);
            if (g->kind == G2_SEG) {
                sd_pface *f = UT_PUSH(A->pf, A->npf, A->cap_pf);
                f->prism = j, f->curve = k;
                sd_to_world(p, g->p0[0], g->p0[1], 0, f->q);
                sd_wall_normal(p, g, f->n);
                for (int e = 0; e < 2; e++) {
                    sd_sedge *c = UT_PUSH(A->se, A->nse, A->cap_se);
                    c->prism = j;
                    sd_to_world(p, g->p0[0], g->p0[1], e ? p->w1 : p->w0, c->A);
                    sd_to_world(p, g->p1[0], g->p1[1], e ? p->w1 : p->w0, c->B);
                }
            } else {
                sd_cface *f = UT_PUSH(A->cf, A->ncf, A->cap_cf);
                f->prism = j, f->curve = k;
                double th[2], t;
                int ns = sd_silhouette(p, d, th);
                for (int m = 0; m < ns; m++) {
                    if (!g2_arc_param(g, th[m], 0, &t)) continue;
                    sd_sedge *r = UT_PUSH(A->se, A->nse, A->cap_se);
                    r->prism = j;
                    sd_arc_point(p, g, th[m], p->w0, r->A);
                    sd_arc_point(p, g, th[m], p->w1, r->B);
                }
            }
        }
    }
}

static void sd_arr_free(sd_arr *A) {
    free(A->pf), free(A->cf), free(A->se);
    memset(A, 0, sizeof *A);
}

static int sd_in_box(const sd_solid *s, int j, const double q[3]) {
    return sd_box_has(s->pr[j].lo, s->pr[j].hi, q, 1e-9 * s->size);
}

/* is q (on the plane of F) on the face itself, up to a small margin? */
static int sd_on_pface(const sd_solid *s, const sd_pface *F, const double q[3]) {
    const sd_prism *p = &s->pr[F->prism];
    double l[3], eps = 1e-9 * s->size;
    if (!sd_box_has(p->lo, p->hi, q, eps)) return 0;
    sd_to_local(p, q, l);
    if (F->curve < 0) { /* cap: inside the profile or on its boundary */
        if (g2_region_inside(&p->rg, l[0], l[1])) return 1;
        double t;
        for (int k = 0; k < p->nc; k++)
            if (g2_closest(&p->c[k], l, &t) <= eps) return 1;
        return 0;
    }
    const g2_curve *g = &p->c[F->curve];
    double ex = g->p1[0] - g->p0[0], ey = g->p1[1] - g->p0[1], e2 = ex * ex + ey * ey;
    double t = ((l[0] - g->p0[0]) * ex + (l[1] - g->p0[1]) * ey) / e2, m = eps / sqrt(e2);
    return t >= -m && t <= 1 + m && l[2] >= p->w0 - eps && l[2] <= p->w1 + eps;
}

/* points where the 3-D line P0 + s u meets arc wall f (within its sweep and slab) */
static int sd_line_cyl(const sd_solid *s, const sd_cface *f, const double P0[3], const double u[3], double out[2][3]) {
    const sd_prism *p = &s->pr[f->prism];
    const g2_curve *g = &p->c[f->curve];
    double l0[3], lu[3] = {sd_dot(u, p->X), sd_dot(u, p->Y), sd_dot(u, p->N)};
    sd_to_local(p, P0, l0);
    double fx = l0[0] - g->c[0], fy = l0[1] - g->c[1];
    double A = lu[0] * lu[0] + lu[1] * lu[1], B = 2 * (lu[0] * fx + lu[1] * fy), C = fx * fx + fy * fy - g->r * g->r;
    double disc = B * B - 4 * A * C;
    if (!(A > 1e-24) || disc < 0) return 0;
    int n = 0;
    for (int k = -1; k <= 1; k += 2) {
        double sp = (-B + k * sqrt(disc)) / (2 * A), t;
        double x = fx + sp * lu[0], y = fy + sp * lu[1], w = l0[2] + sp * lu[2];
        if (w < p->w0 || w > p->w1 || !g2_arc_param(g, atan2(y, x), 1e-12, &t)) continue;
        for (int i = 0; i < 3; i++) out[n][i] = P0[i] + sp * u[i];
        n++;
    }
    return n;
}

static void sd_cross3(const double a[3], const double b[3], double c[3]) {
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}

/* the line where planes (q1, n1) and (q2, n2) meet: point P0 and unit direction u; 0 if parallel */
static int sd_plane_plane(const double q1[3], const double n1[3], const double q2[3], const double n2[3], double P0[3],
                          double u[3]) {
    sd_cross3(n1, n2, u);
    double l = sqrt(sd_dot(u, u));
    if (l < 1e-12) return 0;
    for (int i = 0; i < 3; i++) u[i] /= l;
    /* P0 = a n1 + b n2 with n1.P0 = n1.q1, n2.P0 = n2.q2 */
    double d1 = sd_dot(n1, q1), d2 = sd_dot(n2, q2), c = sd_dot(n1, n2), den = 1 - c * c;
    double a = (d1 - c * d2) / den, b = (d2 - c * d1) / den;
    for (int i = 0; i < 3; i++) P0[i] = a * n1[i] + b * n2[i];
    return 1;
}

/* inside sweep plane c: where faces of two different prisms cross (plane-plane and
   plane-cylinder), as positions along c->a */
static void sd_arr_plane_breaks(const sd_solid *s, const sd_arr *A, const sd_cut *c, sd_vals *b) {
    for (int i = 0; i < A->npf; i++) {
        const sd_pface *F = &A->pf[i];
        double P0[3], u[3], Q[2][3];
        if (!sd_plane_plane(F->q, F->n, c->o, c->n, P0, u)) continue;
        if (!sd_line_box(s->pr[F->prism].lo, s->pr[F->prism].hi, P0, u)) continue;
        for (int k = i + 1; k < A->npf; k++) { /* the trace of F in the plane meets face G */
            const sd_pface *G = &A->pf[k];
            if (G->prism == F->prism) continue;
            double un = sd_dot(u, G->n);
            if (fabs(un) < 1e-12) continue;
            double r[3] = {G->q[0] - P0[0], G->q[1] - P0[1], G->q[2] - P0[2]}, sp = sd_dot(r, G->n) / un, q[3];
            for (int m = 0; m < 3; m++) q[m] = P0[m] + sp * u[m];
            if (sd_on_pface(s, F, q) && sd_on_pface(s, G, q)) sd_cut_put(c, q, b);
        }
        b->tag = 1;
        for (int k = 0; k < A->ncf; k++) {
            if (A->cf[k].prism == F->prism) continue;
            int n = sd_line_cyl(s, &A->cf[k], P0, u, Q);
            for (int m = 0; m < n; m++)
                if (sd_on_pface(s, F, Q[m])) sd_cut_put(c, Q[m], b);
        }
        b->tag = 0;
    }
}

/* the ray c->o + y c->a + t c->d against the full cylinder of arc wall f: coefficients of
   A t^2 + B(y) t + C(y) = 0 with B = b0 + b1 y, C = c0 + c1 y + c2 y^2 */
typedef struct {
    double A, b0, b1, c0, c1, c2;
    double ylo, yhi; /* where the ray meets the cylinder (discriminant >= 0), within the cut */
} sd_rcyl;

static int sd_rcyl_make(const sd_solid *s, const sd_cface *f, const sd_cut *c, double ylo, double yhi, sd_rcyl *r) {
    const sd_prism *p = &s->pr[f->prism];
    const g2_curve *g = &p->c[f->curve];
    double l0[3], la[2] = {sd_dot(c->a, p->X), sd_dot(c->a, p->Y)}, ld[2] = {sd_dot(c->d, p->X), sd_dot(c->d, p->Y)};
    sd_to_local(p, c->o, l0);
    double fx = l0[0] - g->c[0], fy = l0[1] - g->c[1];
    r->A = ld[0] * ld[0] + ld[1] * ld[1];
    if (r->A < 1e-20) return 0; /* rays along the axis never cross the wall */
    r->b0 = 2 * (ld[0] * fx + ld[1] * fy), r->b1 = 2 * (ld[0] * la[0] + ld[1] * la[1]);
    r->c0 = fx * fx + fy * fy - g->r * g->r, r->c1 = 2 * (fx * la[0] + fy * la[1]), r->c2 = la[0] * la[0] + la[1] * la[1];
    /* discriminant (b0 + b1 y)^2 - 4 A (c0 + c1 y + c2 y^2) >= 0: a quadratic in y */
    double qa = r->b1 * r->b1 - 4 * r->A * r->c2, qb = 2 * r->b0 * r->b1 - 4 * r->A * r->c1, qc = r->b0 * r->b0 - 4 * r->A * r->c0;
    if (fabs(qa) < 1e-300) return 0;
    double disc = qb * qb - 4 * qa * qc;
    if (disc <= 0) return 0;
    double y1 = (-qb - sqrt(disc)) / (2 * qa), y2 = (-qb + sqrt(disc)) / (2 * qa);
    r->ylo = fmax(fmin(y1, y2), ylo), r->yhi = fmin(fmax(y1, y2), yhi);
    return r->yhi > r->ylo;
}

static double sd_rcyl_t(const sd_rcyl *r, double y, int branch) {
    double B = r->b0 + r->b1 * y, C = r->c0 + r->c1 * y + r->c2 * y * y, D = B * B - 4 * r->A * C;
    return (-B + branch * sqrt(D > 0 ? D : 0)) / (2 * r->A);
}

/* inside sweep plane c: where the rays' crossings with two cylinders of different prisms
   coincide (sign changes of their difference, refined by bisection) */
static void sd_arr_cyl_breaks(const sd_solid *s, const sd_arr *A, const sd_cut *c, double ylo, double yhi, sd_vals *b) {
    enum { NS = 16 };
    sd_rcyl *rc = ut_malloc((size_t)(A->ncf ? A->ncf : 1) * sizeof *rc);
    int *ok = ut_malloc((size_t)(A->ncf ? A->ncf : 1) * sizeof *ok);
    for (int k = 0; k < A->ncf; k++) ok[k] = sd_rcyl_make(s, &A->cf[k], c, ylo, yhi, &rc[k]);
    for (int i = 0; i < A->ncf; i++)
        for (int k = i + 1; k < A->ncf; k++) {
            if (!ok[i] || !ok[k] || A->cf[i].prism == A->cf[k].prism) continue;
            double a = fmax(rc[i].ylo, rc[k].ylo), e = fmin(rc[i].yhi, rc[k].yhi);
            if (!(e > a)) continue;
            for (int bi = -1; bi <= 1; bi += 2)
                for (int bk = -1; bk <= 1; bk += 2) {
                    double y0 = a, h0 = sd_rcyl_t(&rc[i], a, bi) - sd_rcyl_t(&rc[k], a, bk);
                    for (int m = 1; m <= NS; m++) {
                        double y1 = a + (e - a) * m / NS, h1 = sd_rcyl_t(&rc[i], y1, bi) - sd_rcyl_t(&rc[k], y1, bk);
                        if ((h0 < 0) != (h1 < 0)) {
                            double lo = y0, hi = y1, hlo = h0;
                            for (int it = 0; it < 60 && hi - lo > 1e-14 * s->size; it++) {
                                double mid = 0.5 * (lo + hi), hm = sd_rcyl_t(&rc[i], mid, bi) - sd_rcyl_t(&rc[k], mid, bk);
                                if ((hm < 0) == (hlo < 0)) lo = mid, hlo = hm;
                                else hi = mid;
                            }
                            double y = 0.5 * (lo + hi), t = sd_rcyl_t(&rc[i], y, bi), q[3];
                            for (int z = 0; z < 3; z++) q[z] = c->o[z] + y * c->a[z] + t * c->d[z];
                            b->tag = 1;
                            if (sd_in_box(s, A->cf[i].prism, q) && sd_in_box(s, A->cf[k].prism, q)) sd_vals_put(b, y);
                            b->tag = 0;
                        }
                        y0 = y1, h0 = h1;
                    }
                }
        }
    free(rc), free(ok);
}

/* along the sweep axis a (from o): vertices of the arrangement and plane-cylinder tangencies */
static void sd_arr_sweep_breaks(const sd_solid *s, const sd_arr *A, const double o[3], const double a[3], sd_vals *b) {
    sd_cut c;
    memcpy(c.o, o, sizeof c.o);
    memcpy(c.a, a, sizeof c.a);
    double Q[2][3];
    for (int e = 0; e < A->nse; e++) { /* straight edges piercing faces of other prisms */
        const sd_sedge *E = &A->se[e];
        double u[3] = {E->B[0] - E->A[0], E->B[1] - E->A[1], E->B[2] - E->A[2]};
        for (int i = 0; i < A->npf; i++) {
            const sd_pface *F = &A->pf[i];
            if (F->prism == E->prism) continue;
            double un = sd_dot(u, F->n);
            if (fabs(un) < 1e-15) continue;
            double r[3] = {F->q[0] - E->A[0], F->q[1] - E->A[1], F->q[2] - E->A[2]}, t = sd_dot(r, F->n) / un, q[3];
            if (t < 0 || t > 1) continue;
            for (int m = 0; m < 3; m++) q[m] = E->A[m] + t * u[m];
            if (sd_on_pface(s, F, q)) sd_cut_put(&c, q, b);
        }
        b->tag = 1;
        for (int k = 0; k < A->ncf; k++) {
            if (A->cf[k].prism == E->prism) continue;
            int n = sd_line_cyl(s, &A->cf[k], E->A, u, Q);
            for (int m = 0; m < n; m++) {
                double r[3] = {Q[m][0] - E->A[0], Q[m][1] - E->A[1], Q[m][2] - E->A[2]}, t = sd_dot(r, u) / sd_dot(u, u);
                if (t >= 0 && t <= 1) sd_cut_put(&c, Q[m], b);
            }
        }
        b->tag = 0;
    }
    for (int j = 0; j < s->npr; j++) { /* arc edges piercing planar faces of other prisms */
        const sd_prism *p = &s->pr[j];
        for (int k = 0; k < p->nc; k++) {
            if (p->c[k].kind != G2_ARC) continue;
            for (int i = 0; i < A->npf; i++) {
                const sd_pface *F = &A->pf[i];
                if (F->prism == j) continue;
                sd_cut pc = c; /* the face plane, values along a */
                memcpy(pc.o, F->q, sizeof pc.o);
                memcpy(pc.n, F->n, sizeof pc.n);
                pc.tol = 0;
                sd_vals tmp = {0};
                for (int e = 0; e < 2; e++) sd_arc_plane(&pc, p, &p->c[k], e ? p->w1 : p->w0, &tmp);
                double off = sd_dot(F->q, a) - sd_dot(o, a);
                b->tag = 1;
                for (int m = 0; m < tmp.n; m++) sd_vals_put(b, tmp.v[m] + off);
                b->tag = 0;
                sd_vals_free(&tmp);
            }
        }
    }
    for (int i = 0; i < A->npf; i++) /* three planes of three prisms */
        for (int k = i + 1; k < A->npf; k++) {
            const sd_pface *F = &A->pf[i], *G = &A->pf[k];
            double P0[3], u[3];
            if (F->prism == G->prism || !sd_plane_plane(F->q, F->n, G->q, G->n, P0, u)) continue;
            if (!sd_line_box(s->pr[F->prism].lo, s->pr[F->prism].hi, P0, u)) continue;
            for (int m = k + 1; m < A->npf; m++) {
                const sd_pface *H = &A->pf[m];
                if (H->prism == F->prism || H->prism == G->prism) continue;
                double un = sd_dot(u, H->n);
                if (fabs(un) < 1e-12) continue;
                double r[3] = {H->q[0] - P0[0], H->q[1] - P0[1], H->q[2] - P0[2]}, sp = sd_dot(r, H->n) / un, q[3];
                for (int t = 0; t < 3; t++) q[t] = P0[t] + sp * u[t];
                if (sd_on_pface(s, F, q) && sd_on_pface(s, G, q) && sd_on_pface(s, H, q)) sd_cut_put(&c, q, b);
            }
        }
    for (int i = 0; i < A->npf; i++) /* extremes along a of plane-cylinder ellipses */
        for (int k = 0; k < A->ncf; k++) {
            const sd_pface *F = &A->pf[i];
            const sd_cface *C = &A->cf[k];
            if (C->prism == F->prism) continue;
            const sd_prism *p = &s->pr[C->prism];
            const g2_curve *g = &p->c[C->curve];
            double nn = sd_dot(p->N, F->n);
            if (fabs(nn) < 1e-12) continue;
            double al = sd_dot(p->X, a) - sd_dot(p->X, F->n) * sd_dot(p->N, a) / nn;
            double be = sd_dot(p->Y, a) - sd_dot(p->Y, F->n) * sd_dot(p->N, a) / nn;
            double phi = atan2(be, al), cc[3];
            sd_to_world(p, g->c[0], g->c[1], 0, cc);
            for (int m = 0; m < 2; m++) {
                double th = phi + m * G2_PI, t, q[3], r[3];
                if (!g2_arc_param(g, th, 0, &t)) continue;
                sd_arc_point(p, g, th, 0, q);
                for (int z = 0; z < 3; z++) r[z] = F->q[z] - q[z];
                double w = sd_dot(r, F->n) / nn; /* along N to the plane */
                if (w < p->w0 || w > p->w1) continue;
                for (int z = 0; z < 3; z++) q[z] += w * p->N[z];
                b->tag = 1; /* extreme of a plane-cylinder ellipse */
                if (sd_on_pface(s, F, q)) sd_cut_put(&c, q, b);
                b->tag = 0;
            }
        }
}

/* integral over [a, b] with x = a + (b - a)(1 - cos u)/2, u in [0, pi]: square-root behaviour
   at the ends becomes smooth */
typedef struct {
    sd_qfn fn;
    void *ctx;
    int D;
    double a, b;
} sd_cosq;

static void sd_cosq_fn(void *ctx, double u, double *f) {
    sd_cosq *q = ctx;
    double h = 0.5 * (q->b - q->a);
    q->fn(q->ctx, q->a + h * (1 - cos(u)), f);
    double jac = h * sin(u);
    for (int i = 0; i < q->D; i++) f[i] *= jac;
}

/* sum over the pieces between consecutive breakpoints: pieces with a tangency end get the
   cosine substitution and the 15-point rule, the others (smooth, often polynomial) the plain
   7-point rule */
static void sd_pieces_integrate(sd_qfn fn, void *ctx, int D, const sd_vals *br, double rel, double abs_tol, double *out) {
    for (int q = 0; q < D; q++) out[q] = 0;
    double span = br->n > 1 ? br->v[br->n - 1] - br->v[0] : 0;
    for (int i = 0; i + 1 < br->n; i++) {
        double f[SD_QD], share = span > 0 ? (br->v[i + 1] - br->v[i]) / span : 1;
        if (br->f[i] || br->f[i + 1]) {
            sd_cosq cq = {fn, ctx, D, br->v[i], br->v[i + 1]};
            sd_adapt(sd_cosq_fn, &cq, D, 0, G2_PI, rel, abs_tol * share, 64, 15, f);
        } else {
            sd_adapt(fn, ctx, D, br->v[i], br->v[i + 1], rel, abs_tol * share, 64, 7, f);
        }
        for (int q = 0; q < D; q++) out[q] += f[q];
    }
}

/* ---------------------------------------------------------------- volume moments by quadrature */

typedef struct {
    const sd_solid *s;
    sd_ws *ws;
    double x;           /* current outer coordinate (along X of prism 0) */
    double ylo, yhi;    /* inner range */
    double rel, abs_in; /* inner tolerances */
    sd_vals br;         /* inner breakpoints (scratch) */
    const sd_arr *arr;  /* faces and edges of all prisms */
} sd_vq;

/* along the line through (x, y) in prism 0's frame, parallel to its N: exact moments */
static void sd_vq_inner(void *ctx, double y, double *f) {
    sd_vq *q = ctx;
    const sd_prism *p0 = &q->s->pr[0];
    double o[3];
    sd_to_world(p0, q->x, y, 0, o);
    q->ws->used = 0;
    sd_iv *iv = sd_ws_block(q->ws);
    int n = sd_ray_node(q->s, q->s->root, o, p0->N, q->ws, iv);
    double L = 0, Z1 = 0, Z2 = 0;
    for (int i = 0; i < n; i++) {
        double a = iv[i].t0, b = iv[i].t1;
        L += b - a, Z1 += 0.5 * (b * b - a * a), Z2 += (b * b * b - a * a * a) / 3;
    }
    double x = q->x;
    f[0] = L, f[1] = x * L, f[2] = y * L, f[3] = Z1;
    f[4] = x * x * L, f[5] = y * y * L, f[6] = Z2;
    f[7] = x * y * L, f[8] = x * Z1, f[9] = y * Z1;
}

/* the plane x = const of prism 0's frame, integrated over y between its breakpoints */
static void sd_vq_outer(void *ctx, double x, double *f) {
    sd_vq *q = ctx;
    const sd_prism *p0 = &q->s->pr[0];
    sd_cut c;
    sd_to_world(p0, x, 0, 0, c.o);
    memcpy(c.n, p0->X, sizeof c.n);
    memcpy(c.a, p0->Y, sizeof c.a);
    memcpy(c.d, p0->N, sizeof c.d);
    c.tol = 1e-12 * q->s->size;
    q->x = x;
    q->br.n = 0;
    sd_plane_breaks(q->s, &c, &q->br);
    sd_arr_plane_breaks(q->s, q->arr, &c, &q->br);
    sd_arr_cyl_breaks(q->s, q->arr, &c, q->ylo, q->yhi, &q->br);
    sd_vals_finish(&q->br, q->ylo, q->yhi, 1e-13 * q->s->size);
    sd_vals br = q->br; /* the inner integration reuses nothing of q->br */
    memset(&q->br, 0, sizeof q->br);
    sd_pieces_integrate(sd_vq_inner, q, SD_QD, &br, q->rel, q->abs_in, f);
    q->br = br;
}

/* box of the solid's node box in prism 0's frame */
static void sd_local_box(const sd_solid *s, double lo[3], double hi[3]) {
    const sd_node *r = &s->nd[s->root];
    sd_box_empty(lo, hi);
    for (int c = 0; c < 8; c++) {
        double p[3] = {c & 1 ? r->hi[0] : r->lo[0], c & 2 ? r->hi[1] : r->lo[1], c & 4 ? r->hi[2] : r->lo[2]}, l[3];
        sd_to_local(&s->pr[0], p, l);
        sd_box_add(lo, hi, l);
    }
}

/* volume, first and second moments in prism 0's frame by nested quadrature */
static void sd_quad_volume(const sd_solid *s, double *V, double F[3], double M[9]) {
    double lo[3], hi[3], f[SD_QD];
    const sd_prism *p0 = &s->pr[0];
    sd_local_box(s, lo, hi);
    sd_vq q;
    memset(&q, 0, sizeof q);
    q.s = s, q.ws = sd_ws_reserve(s), q.ylo = lo[1], q.yhi = hi[1], q.rel = 1e-8;
    double vbox = (hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]);
    q.abs_in = 1e-10 * vbox / (hi[0] - lo[0]);
    sd_vals br = {0};
    sd_arr arr;
    sd_arr_build(s, p0->N, &arr);
    q.arr = &arr;
    sd_sweep_breaks(s, p0->o, p0->X, p0->N, &br);
    sd_arr_sweep_breaks(s, &arr, p0->o, p0->X, &br);
    sd_vals_finish(&br, lo[0], hi[0], 1e-13 * s->size);
    sd_pieces_integrate(sd_vq_outer, &q, SD_QD, &br, 1e-8, 1e-10 * vbox, f);
    sd_vals_free(&br);
    sd_vals_free(&q.br);
    sd_arr_free(&arr);
    *V = f[0];
    F[0] = f[1], F[1] = f[2], F[2] = f[3];
    M[0] = f[4], M[4] = f[5], M[8] = f[6];
    M[1] = M[3] = f[7], M[2] = M[6] = f[8], M[5] = M[7] = f[9];
}

/* ---------------------------------------------------------------- area by quadrature */

/* inside intervals of the 2-D line o + t d (d != 0) in the profile of p (normals unset) */
static int sd_profile_line(const sd_prism *p, const double o[2], const double d[2], sd_ws *ws, sd_iv *out) {
    int nc = sd_line_crossings(p, o, d, ws->cr), n = 0;
    for (int i = 0; i + 1 < nc; i++) {
        double a = ws->cr[i].t, b = ws->cr[i + 1].t, tm = 0.5 * (a + b);
        if (!(b > a) || !g2_region_inside(&p->rg, o[0] + tm * d[0], o[1] + tm * d[1])) continue;
        if (n > 0 && out[n - 1].t1 == a) out[n - 1].t1 = b;
        else if (n < SD_MAXIV) out[n].t0 = a, out[n].t1 = b, n++;
    }
    return n;
}

/* removes from K (n intervals) the part of the line o + t d (d unit) that lies on a face of
   prism j (coplanar faces only: elsewhere the line meets j's surface in isolated points) */
static int sd_claims_cut(const sd_solid *s, int j, const double o[3], const double d[3], sd_ws *ws, sd_iv *K, int n) {
    const sd_prism *p = &s->pr[j];
    double tol = 1e-9 * s->size, ol[3], dl[3];
    sd_to_local(p, o, ol);
    dl[0] = sd_dot(d, p->X), dl[1] = sd_dot(d, p->Y), dl[2] = sd_dot(d, p->N);
    double d2n = hypot(dl[0], dl[1]);
    sd_iv *C = sd_ws_block(ws), *R = sd_ws_block(ws);
    int nc = 0;
    if (fabs(dl[2]) <= 1e-12 && (fabs(ol[2] - p->w0) <= tol || fabs(ol[2] - p->w1) <= tol)) /* in a cap plane */
        nc = sd_profile_line(p, ol, dl, ws, C);
    if (d2n <= 1e-12) { /* parallel to N: on a wall if its trace lies on a profile curve */
        double t;
        for (int k = 0; k < p->nc && nc == 0; k++)
            if (g2_closest(&p->c[k], ol, &t) <= tol) {
                double a = (p->w0 - ol[2]) / dl[2], b = (p->w1 - ol[2]) / dl[2];
                C[0].t0 = fmin(a, b), C[0].t1 = fmax(a, b), nc = 1;
            }
    } else if (nc == 0) { /* in the plane of a straight wall? */
        for (int k = 0; k < p->nc && nc < SD_MAXIV; k++) {
            const g2_curve *c = &p->c[k];
            if (c->kind != G2_SEG) continue;
            double ex = c->p1[0] - c->p0[0], ey = c->p1[1] - c->p0[1], el = hypot(ex, ey);
            double h0 = ((ol[0] - c->p0[0]) * ey - (ol[1] - c->p0[1]) * ex) / el;
            double h1 = h0 + (dl[0] * ey - dl[1] * ex) / el * s->size;
            if (fabs(h0) > tol || fabs(h1) > tol) continue;
            double sa = ((ol[0] - c->p0[0]) * ex + (ol[1] - c->p0[1]) * ey) / (el * el);
            double sd = (dl[0] * ex + dl[1] * ey) / (el * el);
            double lo = -INFINITY, hi = INFINITY;
            if (sd != 0) lo = fmin(-sa / sd, (1 - sa) / sd), hi = fmax(-sa / sd, (1 - sa) / sd);
            else if (sa < 0 || sa > 1) continue;
            if (dl[2] != 0) {
                double a = (p->w0 - ol[2]) / dl[2], b = (p->w1 - ol[2]) / dl[2];
                lo = fmax(lo, fmin(a, b)), hi = fmin(hi, fmax(a, b));
            } else if (ol[2] < p->w0 || ol[2] > p->w1) continue;
            if (hi > lo) C[nc].t0 = lo, C[nc].t1 = hi, nc++;
        }
    }
    if (nc > 0) {
        n = sd_iv_bool(K, n, C, nc, CAD_CUT, R);
        memcpy(K, R, (size_t)n * sizeof *K);
    }
    ws->used -= 2;
    return n;
}

/* length of the part of the line o + t d, t in J[0..nj), that is on the solid's boundary and
   not claimed by a prism below i; the face normal is nf (the line lies in the face) */
static double sd_face_line(const sd_solid *s, int i, const double o[3], const double d[3], const double nf[3],
                           sd_iv *J, int nj, sd_ws *ws) {
    /* the offset biases lengths near tangencies by O(del): keep it small, yet far above rounding */
    double del = 1e-12 * s->scale, op[3], om[3];
    for (int k = 0; k < 3; k++) op[k] = o[k] + del * nf[k], om[k] = o[k] - del * nf[k];
    int mark = ws->used;
    sd_iv *P = sd_ws_block(ws), *Q = sd_ws_block(ws), *X = sd_ws_block(ws), *K = sd_ws_block(ws);
    int np = sd_ray_node(s, s->root, op, d, ws, P), nq = sd_ray_node(s, s->root, om, d, ws, Q);
    int nx = sd_iv_bool(P, np, Q, nq, SD_XOR, X);
    int nk = sd_iv_bool(J, nj, X, nx, CAD_INTERSECT, K);
    for (int j = 0; j < i && nk > 0; j++)
        if (sd_line_box(s->pr[j].lo, s->pr[j].hi, o, d)) nk = sd_claims_cut(s, j, o, d, ws, K, nk);
    double len = 0;
    for (int k = 0; k < nk; k++) len += K[k].t1 - K[k].t0;
    ws->used = mark;
    return len;
}

typedef struct {
    const sd_solid *s;
    sd_ws *ws;
    int prism, curve; /* curve < 0: cap at w = (curve == -1 ? w0 : w1) */
} sd_aq;

static void sd_aq_cap(void *ctx, double v, double *f) {
    sd_aq *q = ctx;
    const sd_prism *p = &q->s->pr[q->prism];
    double w = q->curve == -1 ? p->w0 : p->w1, o[3], nf[3], o2[2] = {0, v}, d2[2] = {1, 0};
    q->ws->used = 0;
    sd_iv *J = sd_ws_block(q->ws);
    int nj = sd_profile_line(p, o2, d2, q->ws, J);
    sd_to_world(p, 0, v, w, o);
    for (int k = 0; k < 3; k++) nf[k] = p->N[k];
    f[0] = nj ? sd_face_line(q->s, q->prism, o, p->X, nf, J, nj, q->ws) : 0;
}

static void sd_aq_wall(void *ctx, double t, double *f) {
    sd_aq *q = ctx;
    const sd_prism *p = &q->s->pr[q->prism];
    const g2_curve *c = &p->c[q->curve];
    double p2[2], d2[2], o[3], nf[3];
    g2_eval(c, t, p2);
    g2_deriv(c, t, d2);
    double sp = hypot(d2[0], d2[1]);
    sd_to_world(p, p2[0], p2[1], 0, o);
    for (int k = 0; k < 3; k++) nf[k] = (-d2[1] * p->X[k] + d2[0] * p->Y[k]) / sp;
    q->ws->used = 0;
    sd_iv *J = sd_ws_block(q->ws);
    J[0].t0 = p->w0, J[0].t1 = p->w1;
    f[0] = sp * sd_face_line(q->s, q->prism, o, p->N, nf, J, 1, q->ws);
}

/* 2-D segment (projection along N of prism p of the 3-D segment A-B) against arc g of p */
static void sd_proj_seg_arc(const sd_prism *p, const g2_curve *g, const double A[3], const double B[3], double tol,
                            sd_vals *b) {
    double la[3], lb[3];
    sd_to_local(p, A, la);
    sd_to_local(p, B, lb);
    if (hypot(lb[0] - la[0], lb[1] - la[1]) <= tol) return; /* along N: no crossing in 2-D */
    g2_curve sg;
    g2_seg(&sg, la[0], la[1], lb[0], lb[1]);
    g2_isect is[4];
    int n = g2_intersect(g, &sg, tol, is, 4);
    for (int k = 0; k < n; k++) sd_vals_put(b, is[k].ta);
}

/* parameters on the arc wall (curve k of prism i) where its rulings change combinatorics */
static void sd_arc_wall_breaks(const sd_solid *s, int i, int k, sd_vals *b) {
    const sd_prism *p = &s->pr[i];
    const g2_curve *g = &p->c[k];
    double tol = 1e-12 * s->size;
    for (int j = 0; j < s->npr; j++) {
        if (j == i) continue;
        const sd_prism *q = &s->pr[j];
        for (int m = 0; m < q->nc; m++) {
            const g2_curve *h = &q->c[m];
            double A[3], B[3], th[2];
            sd_to_world(q, h->p0[0], h->p0[1], q->w0, A);
            sd_to_world(q, h->p0[0], h->p0[1], q->w1, B);
            sd_proj_seg_arc(p, g, A, B, tol, b); /* vertical edge, or the wall trace if along N */
            if (h->kind == G2_SEG) {
                for (int e = 0; e < 2; e++) {
                    double w = e ? q->w1 : q->w0;
                    sd_to_world(q, h->p0[0], h->p0[1], w, A);
                    sd_to_world(q, h->p1[0], h->p1[1], w, B);
                    sd_proj_seg_arc(p, g, A, B, tol, b);
                }
            } else if (fabs(sd_dot(q->N, p->N)) >= 1 - 1e-12) { /* same direction: the arc itself */
                /* map h into p's frame and intersect exactly */
                double d[3] = {q->o[0] - p->o[0], q->o[1] - p->o[1], q->o[2] - p->o[2]};
                double M[4] = {sd_dot(q->X, p->X), sd_dot(q->Y, p->X), sd_dot(q->X, p->Y), sd_dot(q->Y, p->Y)};
                double t[2] = {sd_dot(d, p->X), sd_dot(d, p->Y)};
                g2_curve hm = *h;
                g2_map(&hm, M, t);
                g2_isect is[4];
                int n = g2_intersect(g, &hm, tol, is, 4);
                for (int e = 0; e < n; e++) sd_vals_put(b, is[e].ta);
            } else {
                int ns = sd_silhouette(q, p->N, th);
                for (int e = 0; e < ns; e++) {
                    double tt;
                    if (!g2_arc_param(h, th[e], 0, &tt)) continue;
                    sd_arc_point(q, h, th[e], q->w0, A);
                    sd_arc_point(q, h, th[e], q->w1, B);
                    sd_proj_seg_arc(p, g, A, B, tol, b);
                }
            }
        }
    }
}

/* boundary area of one face of prism i (curve < 0: caps) by quadrature between breakpoints */
static double sd_face_area(const sd_solid *s, int i, int curve, sd_aq *q) {
    const sd_prism *p = &s->pr[i];
    sd_vals br = {0};
    double f[SD_QD], tol = 1e-13 * s->size * s->size, lo = 0, hi = 1;
    q->prism = i, q->curve = curve;
    sd_cut c;
    c.tol = 1e-12 * s->size;
    if (curve < 0) {
        sd_to_world(p, 0, 0, curve == -1 ? p->w0 : p->w1, c.o);
        memcpy(c.n, p->N, sizeof c.n);
        memcpy(c.a, p->Y, sizeof c.a);
        memcpy(c.d, p->X, sizeof c.d);
        sd_plane_breaks(s, &c, &br);
        lo = p->rg.lo[1], hi = p->rg.hi[1];
    } else if (p->c[curve].kind == G2_SEG) {
        const g2_curve *g = &p->c[curve];
        double el = g2_length(g);
        sd_to_world(p, g->p0[0], g->p0[1], 0, c.o);
        sd_wall_normal(p, g, c.n);
        for (int k = 0; k < 3; k++) c.a[k] = ((g->p1[0] - g->p0[0]) * p->X[k] + (g->p1[1] - g->p0[1]) * p->Y[k]) / el;
        memcpy(c.d, p->N, sizeof c.d);
        sd_plane_breaks(s, &c, &br);
        for (int k = 0; k < br.n; k++) br.v[k] /= el;
    } else {
        br.tag = 1; /* along an arc: curved throughout */
        sd_arc_wall_breaks(s, i, curve, &br);
    }
    sd_vals_finish(&br, lo, hi, 1e-13 * (curve < 0 ? s->size : 1));
    sd_pieces_integrate(curve < 0 ? sd_aq_cap : sd_aq_wall, q, 1, &br, 1e-10, tol, f);
    sd_vals_free(&br);
    return f[0];
}

/* surface area as the sum over all prism faces of their boundary part */
static double sd_quad_area(const sd_solid *s) {
    sd_aq q = {s, sd_ws_reserve(s), 0, 0};
    double area = 0;
    for (int i = 0; i < s->npr; i++)
        for (int e = -2; e < s->pr[i].nc; e++) area += sd_face_area(s, i, e, &q);
    return area;
}

/* ---------------------------------------------------------------- mass properties, box */

/* world properties from moments in prism 0's frame: V, F = int q, M = int q q^T */
static void sd_props_world(const sd_solid *s, double V, const double F[3], const double M[9], sd_props *out) {
    const sd_prism *p0 = &s->pr[0];
    const double *B[3] = {p0->X, p0->Y, p0->N};
    double qc[3] = {F[0] / V, F[1] / V, F[2] / V}, C[9], W[9];
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) C[3 * a + b] = M[3 * a + b] - V * qc[a] * qc[b];
    for (int i = 0; i < 3; i++) {
        out->centroid[i] = p0->o[i] + qc[0] * B[0][i] + qc[1] * B[1][i] + qc[2] * B[2][i];
        for (int j = 0; j < 3; j++) {
            double acc = 0;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) acc += B[a][i] * C[3 * a + b] * B[b][j];
            W[3 * i + j] = acc;
        }
    }
    double tr = W[0] + W[4] + W[8];
    for (int i = 0; i < 9; i++) out->inertia[i] = (i % 4 == 0 ? tr : 0) - W[i];
    out->volume = V;
}

/* does the plane {p : p.e = x} cut the solid's interior? Rays along d at the midpoints of the
   plane's own breakpoint pieces decide (the lines are smooth families in between) */
static int sd_plane_occupied(const sd_solid *s, const sd_arr *A, const double e[3], const double d[3],
                             const double a[3], double x, double ylo, double yhi, sd_ws *ws) {
    sd_cut c;
    for (int i = 0; i < 3; i++) c.o[i] = x * e[i], c.n[i] = e[i], c.a[i] = a[i], c.d[i] = d[i];
    c.tol = 1e-12 * s->size;
    sd_vals br = {0};
    sd_plane_breaks(s, &c, &br);
    sd_arr_plane_breaks(s, A, &c, &br);
    sd_arr_cyl_breaks(s, A, &c, ylo, yhi, &br);
    sd_vals_finish(&br, ylo, yhi, 1e-13 * s->size);
    int hit = 0;
    for (int k = 0; k + 1 < br.n && !hit; k++) {
        double y = 0.5 * (br.v[k] + br.v[k + 1]), o[3];
        for (int i = 0; i < 3; i++) o[i] = c.o[i] + y * a[i];
        ws->used = 0;
        sd_iv *iv = sd_ws_block(ws);
        int n = sd_ray_node(s, s->root, o, d, ws, iv);
        for (int i = 0; i < n && !hit; i++) hit = iv[i].t1 > iv[i].t0;
    }
    sd_vals_free(&br);
    return hit;
}

/* exact box of a solid of several directions: along each axis the extremes sit at sweep
   breakpoints (vertices, tangencies, ...), so the first and last occupied pieces bound it */
static void sd_quad_box(const sd_solid *s, double lo[3], double hi[3]) {
    const sd_node *r = &s->nd[s->root];
    sd_ws *ws = sd_ws_reserve(s);
    for (int ax = 0; ax < 3; ax++) {
        double e[3] = {0, 0, 0}, d[3] = {0, 0, 0}, a[3] = {0, 0, 0}, o[3] = {0, 0, 0};
        int ia = (ax + 1) % 3, id = (ax + 2) % 3;
        e[ax] = 1, a[ia] = 1, d[id] = 1;
        lo[ax] = r->lo[ax], hi[ax] = r->hi[ax];
        if (!(r->hi[ax] > r->lo[ax]) || !(r->hi[ia] > r->lo[ia])) continue;
        sd_arr A;
        sd_arr_build(s, d, &A);
        sd_vals br = {0};
        sd_sweep_breaks(s, o, e, d, &br);
        sd_arr_sweep_breaks(s, &A, o, e, &br);
        sd_vals_finish(&br, r->lo[ax], r->hi[ax], 1e-13 * s->size);
        int first = -1, last = -1;
        for (int k = 0; k + 1 < br.n && first < 0; k++)
            if (sd_plane_occupied(s, &A, e, d, a, 0.5 * (br.v[k] + br.v[k + 1]), r->lo[ia], r->hi[ia], ws)) first = k;
        for (int k = br.n - 2; k >= 0 && last < 0 && first >= 0; k--)
            if (sd_plane_occupied(s, &A, e, d, a, 0.5 * (br.v[k] + br.v[k + 1]), r->lo[ia], r->hi[ia], ws)) last = k;
        if (first >= 0) lo[ax] = br.v[first], hi[ax] = br.v[last + 1];
        else lo[ax] = INFINITY, hi[ax] = -INFINITY;
        sd_vals_free(&br);
        sd_arr_free(&A);
    }
}

int sd_bbox(const sd_solid *s, double lo[3], double hi[3]) {
    sd_sec S;
    if (sd_sec_build(s, &S)) {
        sd_sec_box(s, &S, lo, hi);
        sd_sec_free(&S, s->npr);
    } else {
        sd_quad_box(s, lo, hi);
    }
    if (!(lo[0] <= hi[0] && lo[1] <= hi[1] && lo[2] <= hi[2])) return ut_fail("the solid is empty");
    return 0;
}

double sd_volume(const sd_solid *s) {
    double V, F[3], M[9], area;
    sd_sec S;
    if (sd_sec_build(s, &S)) {
        sd_sec_props(s, &S, &V, F, M, &area);
        sd_sec_free(&S, s->npr);
    } else {
        sd_quad_volume(s, &V, F, M);
    }
    return V > 1e-12 * s->size * s->size * s->size ? V : 0;
}

int sd_mass_props(const sd_solid *s, sd_props *out) {
    memset(out, 0, sizeof *out);
    double V, F[3], M[9];
    sd_sec S;
    if (sd_sec_build(s, &S)) {
        sd_sec_props(s, &S, &V, F, M, &out->area);
        sd_sec_box(s, &S, out->lo, out->hi);
        sd_sec_free(&S, s->npr);
        out->exact = 1;
    } else {
        sd_quad_volume(s, &V, F, M);
        out->area = sd_quad_area(s);
        sd_quad_box(s, out->lo, out->hi);
        out->exact = 0;
    }
    if (!(V > 1e-12 * s->size * s->size * s->size)) return ut_fail("the solid is empty (zero volume)");
    sd_props_world(s, V, F, M, out);
    return 0;
}

/* ---------------------------------------------------------------- surface sampling */

/* per-prism sampling aids, rebuilt for each call (cheap next to the samples themselves) */
typedef struct {
    signed char *side;  /* per curve: +1 if the profile lies on the curve's left, -1 right */
    double (*cb)[4];    /* per curve 2-D box: lo u, lo v, hi u, hi v */
    int g;              /* cap grid: g x g cells over the profile box */
    double cw, ch;      /* cell width and height */
    int *cell, ncell;   /* cells not outside the profile: 2 * index + (1 if a curve crosses it) */
} sd_aid;

#define SD_GRID 24

/* marks the cells that the curve g touches (conservatively: boxes of short pieces) */
static void sd_mark_cells(const sd_prism *p, const g2_curve *c, sd_aid *a, unsigned char *mixed) {
    double len = g2_length(c), cell = fmin(a->cw, a->ch);
    int np = 1 + (int)(len / cell);
    for (int k = 0; k < np; k++) {
        g2_curve sub;
        double lo[2], hi[2];
        g2_sub(c, (double)k / np, (double)(k + 1) / np, &sub);
        g2_bbox(&sub, lo, hi);
        int i0 = (int)floor((lo[0] - p->rg.lo[0]) / a->cw) - 1, i1 = (int)floor((hi[0] - p->rg.lo[0]) / a->cw) + 1;
        int j0 = (int)floor((lo[1] - p->rg.lo[1]) / a->ch) - 1, j1 = (int)floor((hi[1] - p->rg.lo[1]) / a->ch) + 1;
        for (int j = j0 < 0 ? 0 : j0; j <= j1 && j < a->g; j++)
            for (int i = i0 < 0 ? 0 : i0; i <= i1 && i < a->g; i++) mixed[j * a->g + i] = 1;
    }
}

static void sd_aid_build(const sd_solid *s, const sd_prism *p, sd_aid *a) {
    double del = 1e-9 * s->size;
    a->side = ut_malloc((size_t)p->nc);
    a->cb = ut_malloc((size_t)p->nc * sizeof *a->cb);
    for (int k = 0; k < p->nc; k++) {
        double m[2], d[2];
        g2_eval(&p->c[k], 0.5, m);
        g2_deriv(&p->c[k], 0.5, d);
        double dl = hypot(d[0], d[1]);
        a->side[k] = g2_region_inside(&p->rg, m[0] - del * d[1] / dl, m[1] + del * d[0] / dl) ? 1 : -1;
        g2_bbox(&p->c[k], a->cb[k], a->cb[k] + 2);
    }
    a->g = SD_GRID;
    a->cw = (p->rg.hi[0] - p->rg.lo[0]) / a->g;
    a->ch = (p->rg.hi[1] - p->rg.lo[1]) / a->g;
    unsigned char *mixed = ut_calloc((size_t)a->g * a->g, 1);
    for (int k = 0; k < p->nc; k++) sd_mark_cells(p, &p->c[k], a, mixed);
    a->cell = ut_malloc((size_t)a->g * a->g * sizeof *a->cell);
    a->ncell = 0;
    for (int j = 0; j < a->g; j++)
        for (int i = 0; i < a->g; i++) {
            int id = j * a->g + i;
            double u = p->rg.lo[0] + (i + 0.5) * a->cw, v = p->rg.lo[1] + (j + 0.5) * a->ch;
            if (mixed[id] || g2_region_inside(&p->rg, u, v)) a->cell[a->ncell++] = 2 * id + mixed[id];
        }
    free(mixed);
}

static void sd_aid_free(sd_aid *a) {
    free(a->side), free(a->cb), free(a->cell);
}

/* is q on the boundary of prism p (within tol)? */
static int sd_prism_on_boundary(const sd_prism *p, const sd_aid *a, const double q[3], double tol) {
    if (!sd_box_has(p->lo, p->hi, q, tol)) return 0;
    double l[3], t;
    sd_to_local(p, q, l);
    if (l[2] < p->w0 - tol || l[2] > p->w1 + tol) return 0;
    if ((fabs(l[2] - p->w0) <= tol || fabs(l[2] - p->w1) <= tol) && g2_region_inside(&p->rg, l[0], l[1])) return 1;
    for (int k = 0; k < p->nc; k++) {
        const double *b = a->cb[k];
        if (l[0] < b[0] - tol || l[0] > b[2] + tol || l[1] < b[1] - tol || l[1] > b[3] + tol) continue;
        if (g2_closest(&p->c[k], l, &t) <= tol) return 1;
    }
    return 0;
}

/* membership of two points (bit 0: qa, bit 1: qb) with leaf `known` given as `kbits` */
static int sd_eval2k(const sd_solid *s, int k, const double qa[3], const double qb[3], int known, int kbits) {
    const sd_node *n = &s->nd[k];
    if (n->op == SD_LEAF && n->a == known) return kbits;
    int mask = (sd_box_has(n->lo, n->hi, qa, 0) ? 1 : 0) | (sd_box_has(n->lo, n->hi, qb, 0) ? 2 : 0);
    if (!mask) return 0;
    if (n->op == SD_LEAF) {
        const sd_prism *p = &s->pr[n->a];
        return ((mask & 1) && sd_prism_has(p, qa) ? 1 : 0) | ((mask & 2) && sd_prism_has(p, qb) ? 2 : 0);
    }
    int a = sd_eval2k(s, n->a, qa, qb, known, kbits) & mask;
    if (n->op == CAD_JOIN) return a == mask ? a : a | (sd_eval2k(s, n->b, qa, qb, known, kbits) & mask);
    if (!a) return 0;
    int b = sd_eval2k(s, n->b, qa, qb, known, kbits);
    return n->op == CAD_CUT ? a & ~b : a & b;
}

typedef struct {
    int prism, curve; /* curve -1: cap at w0, -2: cap at w1 */
    double cum;       /* cumulative area up to and including this face */
} sd_face;

/* all prism faces with cumulative areas; returns the count */
static int sd_faces(const sd_solid *s, sd_face **out) {
    int n = 0;
    for (int i = 0; i < s->npr; i++) n += s->pr[i].nc + 2;
    sd_face *f = ut_malloc((size_t)n * sizeof *f);
    double cum = 0;
    int k = 0;
    for (int i = 0; i < s->npr; i++) {
        const sd_prism *p = &s->pr[i];
        for (int e = -2; e < p->nc; e++) {
            double a = e < 0 ? p->area : g2_length(&p->c[e]) * (p->w1 - p->w0);
            cum += a > 0 ? a : 0;
            f[k].prism = i, f[k].curve = e, f[k].cum = cum;
            k++;
        }
    }
    *out = f;
    return n;
}

/* a candidate point uniform on face f: position q, the face normal nf pointing out of the
   prism; 0 if the cap rejection failed */
static int sd_face_point(const sd_solid *s, const sd_face *f, const sd_aid *a, ut_rng *r, double q[3], double nf[3]) {
    const sd_prism *p = &s->pr[f->prism];
    if (f->curve < 0) {
        for (int tries = 0; tries < 64 && a->ncell > 0; tries++) {
            int c = a->cell[(int)(ut_rng_uniform(r) * a->ncell)], id = c >> 1;
            double u = p->rg.lo[0] + (id % a->g + ut_rng_uniform(r)) * a->cw;
            double v = p->rg.lo[1] + (id / a->g + ut_rng_uniform(r)) * a->ch;
            if ((c & 1) && !g2_region_inside(&p->rg, u, v)) continue;
            double sg = f->curve == -1 ? -1 : 1;
            sd_to_world(p, u, v, f->curve == -1 ? p->w0 : p->w1, q);
            for (int k = 0; k < 3; k++) nf[k] = sg * p->N[k];
            return 1;
        }
        return 0;
    }
    const g2_curve *c = &p->c[f->curve];
    double t = ut_rng_uniform(r), w = p->w0 + (p->w1 - p->w0) * ut_rng_uniform(r), u, v, nu, nv;
    if (c->kind == G2_SEG) {
        double ex = c->p1[0] - c->p0[0], ey = c->p1[1] - c->p0[1], el = hypot(ex, ey);
        u = c->p0[0] + t * ex, v = c->p0[1] + t * ey;
        nu = -ey / el, nv = ex / el; /* left normal */
    } else {
        double th = c->a0 + t * c->sw, ct = cos(th), st = sin(th), sg = c->sw > 0 ? -1 : 1;
        u = c->c[0] + c->r * ct, v = c->c[1] + c->r * st;
        nu = sg * ct, nv = sg * st; /* left normal: towards the centre when counter-clockwise */
    }
    double out = -a->side[f->curve]; /* the outward side of the prism */
    sd_to_world(p, u, v, w, q);
    for (int k = 0; k < 3; k++) nf[k] = out * (nu * p->X[k] + nv * p->Y[k]);
    return 1;
}

int sd_sample_surface(const sd_solid *s, int n, uint64_t seed, double *pts, double *normals) {
    if (n <= 0) return 0;
    sd_face *f;
    int nf = sd_faces(s, &f), got = 0;
    sd_aid *aid = ut_calloc((size_t)s->npr, sizeof *aid);
    for (int i = 0; i < s->npr; i++) sd_aid_build(s, &s->pr[i], &aid[i]);
    double total = f[nf - 1].cum, del = 1e-9 * s->size, tol = 1e-9 * s->size;
    ut_rng r;
    ut_rng_seed(&r, seed);
    long limit = 1000L * n + 100000, tries = 0;
    while (got < n && tries++ < limit && total > 0) {
        double x = total * ut_rng_uniform(&r);
        int lo = 0, hi = nf - 1;
        while (lo < hi) { /* first face with cum > x */
            int mid = (lo + hi) / 2;
            if (f[mid].cum > x) hi = mid;
            else lo = mid + 1;
        }
        int pi = f[lo].prism;
        double q[3], nrm[3], qa[3], qb[3];
        if (!sd_face_point(s, &f[lo], &aid[pi], &r, q, nrm)) continue;
        for (int k = 0; k < 3; k++) qa[k] = q[k] + del * nrm[k], qb[k] = q[k] - del * nrm[k];
        /* the prism itself: qb (behind the outward normal) inside, qa outside */
        if (sd_eval2k(s, s->root, qa, qb, pi, 2) != 2) continue; /* not (outside at qa, inside at qb) */
        int claimed = 0;
        for (int j = 0; j < pi && !claimed; j++) claimed = sd_prism_on_boundary(&s->pr[j], &aid[j], q, tol);
        if (claimed) continue;
        for (int k = 0; k < 3; k++) {
            pts[3 * got + k] = q[k];
            if (normals) normals[3 * got + k] = nrm[k];
        }
        got++;
    }
    for (int i = 0; i < s->npr; i++) sd_aid_free(&aid[i]);
    free(aid);
    free(f);
    if (got < n) return ut_fail(got ? "surface sampling found too little boundary" : "the solid is empty");
    return n;
}
