/* solid.c - see solid.h (and solid_int.h for how the kernel's files divide the work).
 *
 * Representation: prisms (leaves) and a CSG tree of nodes. A prism keeps its sketch frame, its
 * slab and its profile (the face's loops as exact g2 curves with a point-in-region table).
 * Nodes are leaves or binary operations; every node carries a world bounding box that contains
 * its point set, used to prune every query. Rays are answered by interval CSG: each prism gives
 * the exact inside intervals of the line (slab times 2-D crossings), nodes combine the lists.
 * Mass properties come from sd_section.c (one direction, exact) or sd_quad.c (quadrature).
 */
#include "geom/solid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geom/geo2d.h"
#include "geom/sketch.h"
#include "geom/solid_int.h"
#include "base/budget.h"
#include "base/tol.h"
#include "base/util.h"

/* world bounding box of a 2-D curve of frame (o, X, Y, N) placed at height w: exact for arcs
 * (a world coordinate is linear in (u, v), so its extremes on an arc sit at one angle or its
 * opposite) */
void sd_curve_box3(const double o[3], const double X[3], const double Y[3], const double N[3], const g2_curve *c,
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
            if (sk_curve_to_g2(cc, &p.c[at + i]) != 0) {
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

/* a balanced tree of op (JOIN or INTERSECT: associative) over the nodes k[0..n): depth log2 n
   instead of n, so that queries pruned by the node boxes visit few nodes */
static int sd_balanced(sd_solid *s, int op, const int *k, int n) {
    if (n == 1) return k[0];
    int h = n / 2, a = sd_balanced(s, op, k, h), b = sd_balanced(s, op, k + h, n - h);
    return sd_add_node(s, op, a, b);
}

/* the body's tree from the extrudes' nodes ext[] and operations: a run of consecutive joins
   (cuts, intersections) applies to the body as one balanced union (union, intersection) */
static int sd_body_tree(sd_solid *s, const int *ext, const cad_op *op, int n) {
    int body = ext[0], i = 1;
    while (i < n) {
        int j = i;
        while (j < n && op[j] == op[i]) j++;
        int rhs = sd_balanced(s, op[i] == CAD_INTERSECT ? CAD_INTERSECT : CAD_JOIN, ext + i, j - i);
        body = sd_add_node(s, op[i], body, rhs);
        i = j;
    }
    return body;
}

sd_solid *sd_build(const cad_model *m) {
    if (m->nextrudes <= 0) {
        ut_fail("the model has no extrude");
        return NULL;
    }
    sd_solid *s = ut_calloc(1, sizeof *s);
    double tol = 1e-6 * sd_model_size(m);
    int *ext = ut_malloc((size_t)m->nextrudes * sizeof *ext), *leaves = NULL, cap_leaves = 0;
    cad_op *ops = ut_malloc((size_t)m->nextrudes * sizeof *ops);
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
        if (cap_leaves < sk->n) leaves = ut_realloc(leaves, (size_t)(cap_leaves = sk->n) * sizeof *leaves);
        for (int f = 0; f < sk->n; f++)
            if ((leaves[f] = sd_add_prism(s, m, &sk->plane, sk->first + f, w0, w1, tol)) < 0) goto fail;
        ext[k] = sd_balanced(s, CAD_JOIN, leaves, sk->n);
        ops[k] = e->op == CAD_NEW ? CAD_JOIN : e->op;
        if ((unsigned)ops[k] > CAD_INTERSECT) {
            ut_fail("line %d: unknown operation", e->line);
            goto fail;
        }
    }
    s->root = sd_body_tree(s, ext, ops, m->nextrudes);
    free(ext), free(ops), free(leaves);
    sd_finish(s);
    return s;
bad_ref:
    ut_fail("the model refers to a missing sketch or face");
fail:
    free(ext), free(ops), free(leaves);
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

int sd_prism_has(const sd_prism *p, const double q[3]) {
    double l[3];
    sd_to_local(p, q, l);
    return l[2] > p->w0 && l[2] < p->w1 && g2_region_inside(&p->rg, l[0], l[1]);
}

int sd_eval(const sd_solid *s, int k, const double q[3]) {
    const sd_node *n = &s->nd[k];
    if (!sd_box_has(n->lo, n->hi, q, 0)) return 0;
    switch (n->op) {
    case SD_LEAF: return !bg_charge(1) && sd_prism_has(&s->pr[n->a], q); /* over budget: void */
    case CAD_JOIN: return sd_eval(s, n->a, q) || sd_eval(s, n->b, q);
    case CAD_CUT: return sd_eval(s, n->a, q) && !sd_eval(s, n->b, q);
    default: return sd_eval(s, n->a, q) && sd_eval(s, n->b, q);
    }
}

int sd_contains(const sd_solid *s, const double p[3]) { return sd_eval(s, s->root, p); }

/* ---------------------------------------------------------------- rays and interval CSG */

static _Thread_local sd_ws sd_scratch;

sd_iv *sd_ws_block(sd_ws *ws) {
    if (ws->used >= ws->nblocks) {
        /* sd_ws_reserve sizes the buffer for the deepest tree walk (2 blocks per level plus the
           callers' few); growing here would move blocks that are in use */
        fprintf(stderr, "recad: solid scratch exhausted (internal error)\n");
        abort();
    }
    return ws->buf + (size_t)SD_MAXIV * ws->used++;
}

/* makes room for a whole tree walk of s before any block is handed out */
sd_ws *sd_ws_reserve(const sd_solid *s) {
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
int sd_line_crossings(const sd_prism *p, const double o[2], const double d[2], struct sd_cross *cr) {
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
                if (fabs(c->sw) < G2_TWO_PI && !g2_arc_param(c, atan2(y, x), TOL_FINE, &ta)) continue;
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
    if (d2[0] * d2[0] + d2[1] * d2[1] <= 1e-24 * dlen * dlen) { /* along the extrusion */
        if (!g2_region_inside(&p->rg, ol[0], ol[1]) || !isfinite(ta)) return 0;
        out[0].t0 = ta, out[0].t1 = tb;
        memcpy(out[0].n0, nA, sizeof nA);
        memcpy(out[0].n1, nB, sizeof nB);
        return 1;
    }
    bg_charge(4 + p->nc); /* the crossings cost a test per curve, then a sort */
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

/* boolean of two sorted interval lists: op JOIN / CUT (A minus B) / INTERSECT / SD_XOR */
int sd_iv_bool(const sd_iv *A, int na, const sd_iv *B, int nb, int op, sd_iv *out) {
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
int sd_line_box(const double lo[3], const double hi[3], const double o[3], const double d[3]) {
    double t0 = -INFINITY, t1 = INFINITY;
    for (int i = 0; i < 3; i++) {
        if (d[i] == 0) {
            if (o[i] < lo[i] || o[i] > hi[i]) return 0;
            continue;
        }
        double a = (lo[i] - o[i]) / d[i], b = (hi[i] - o[i]) / d[i];
        if (a > b) { /* plain comparisons: this runs for every node of every ray */
            double t = a;
            a = b, b = t;
        }
        if (a > t0) t0 = a;
        if (b < t1) t1 = b;
        if (t0 > t1) return 0;
    }
    return 1;
}

/* inside intervals of the line in node k, written to out (SD_MAXIV room) */
int sd_ray_node(const sd_solid *s, int k, const double o[3], const double d[3], sd_ws *ws, sd_iv *out) {
    const sd_node *nd = &s->nd[k];
    if (!sd_line_box(nd->lo, nd->hi, o, d)) return 0;
    if (nd->op == SD_LEAF) return bg_charge(1) ? 0 : sd_prism_ray(&s->pr[nd->a], o, d, ws, out); /* over budget: void */
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

int sd_cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
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

int sd_bbox(const sd_solid *s, double lo[3], double hi[3]) {
    sd_sec S;
    if (sd_sec_build(s, &S)) {
        sd_sec_box(s, &S, lo, hi);
        sd_sec_free(&S, s->npr);
    } else {
        sd_quad_box(s, lo, hi);
    }
    if (bg_exceeded()) return bg_fail("the bounding box of the solid");
    if (!(lo[0] <= hi[0] && lo[1] <= hi[1] && lo[2] <= hi[2])) return ut_fail("the solid is empty");
    return 0;
}

/* 1 if a probe line finds an inside interval longer than 1e-6 of the size: rays along the world
   axes and prism 0's axes through a 9 x 9 grid of the root's box (the grid avoids the box's
   faces and centre lines, where edges of designed parts tend to lie) */
static int sd_probe_inside(const sd_solid *s) {
    const sd_node *r = &s->nd[s->root];
    const sd_prism *p0 = &s->pr[0];
    const double ax[6][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {p0->X[0], p0->X[1], p0->X[2]},
                             {p0->Y[0], p0->Y[1], p0->Y[2]}, {p0->N[0], p0->N[1], p0->N[2]}};
    double c[3], h[3], len = 1e-6 * s->size;
    for (int i = 0; i < 3; i++) c[i] = 0.5 * (r->lo[i] + r->hi[i]), h[i] = 0.5 * (r->hi[i] - r->lo[i]);
    for (int a = 0; a < 6; a++) {
        /* two unit vectors across the ray direction d */
        const double *d = ax[a];
        double u[3] = {0, 0, 0}, v[3];
        u[fabs(d[0]) < 0.6 ? 0 : 1] = 1;
        double du = sd_dot(d, u);
        for (int i = 0; i < 3; i++) u[i] -= du * d[i];
        double nu = sqrt(sd_dot(u, u));
        for (int i = 0; i < 3; i++) u[i] /= nu;
        v[0] = d[1] * u[2] - d[2] * u[1], v[1] = d[2] * u[0] - d[0] * u[2], v[2] = d[0] * u[1] - d[1] * u[0];
        double ru = fabs(u[0]) * h[0] + fabs(u[1]) * h[1] + fabs(u[2]) * h[2];
        double rv = fabs(v[0]) * h[0] + fabs(v[1]) * h[1] + fabs(v[2]) * h[2];
        sd_ws *ws = sd_ws_reserve(s);
        for (int gi = 0; gi < 9; gi++)
            for (int gj = 0; gj < 9; gj++) {
                double fu = (gi + 0.5 + 0.0123 * gj) / 9 * 2 - 1, fv = (gj + 0.5 + 0.0217 * gi) / 9 * 2 - 1, o[3];
                for (int i = 0; i < 3; i++) o[i] = c[i] + fu * ru * u[i] + fv * rv * v[i];
                ws->used = 0;
                sd_iv *iv = sd_ws_block(ws);
                int n = sd_ray_node(s, s->root, o, d, ws, iv);
                if (bg_charge(1)) return 0;
                for (int k = 0; k < n; k++)
                    if (iv[k].t1 - iv[k].t0 > len) return 1;
            }
    }
    return 0;
}

int sd_is_empty(const sd_solid *s) {
    if (sd_probe_inside(s)) return 0;
    double v = sd_volume(s);
    if (bg_exceeded()) return bg_fail("the emptiness test of the solid");
    return v > 0 ? 0 : 1;
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
    if (bg_exceeded()) return bg_fail("the volume of the solid"), NAN;
    return V > tol_vol(s->size) ? V : 0;
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
    if (bg_exceeded()) return bg_fail("the mass properties of the solid");
    if (!(V > tol_vol(s->size))) return ut_fail("the solid is empty (zero volume)");
    sd_props_world(s, V, F, M, out);
    return 0;
}
