/* sd_sample.c - n points uniform by area on a solid's boundary, with outward normals.
 *
 * Candidates are drawn uniformly by area over all prism faces (caps through a grid of cells
 * over the profile's box, walls uniform in curve length and height); a candidate is kept when
 * the solid contains exactly one of the two points just in front of and just behind the face
 * (its outward normal points to the one outside: a face that a cut contributes faces into its
 * prism), and no lower-index prism has it on its own boundary (coincident faces count once).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/budget.h"
#include "base/tol.h"
#include "geom/solid_int.h"

/* per-prism sampling aids, rebuilt for each call (cheap next to the samples themselves) */
typedef struct {
    signed char *side;  /* per curve: +1 if the profile lies on the curve's left, -1 right */
    double (*cb)[4];    /* per curve 2-D box: lo u, lo v, hi u, hi v */
    int g;              /* cap grid: g x g cells over the profile box */
    double cw, ch;      /* cell width and height */
    int *cell, ncell;   /* cells not outside the profile: 2 * index + (1 if a curve crosses it) */
} sd_aid;

#define SD_GRID 24
/* rejection tries for one cap point: the draw stays on the chosen face (redrawing the face
   instead would bias against caps that fill little of their grid cells) */
#define SD_CAP_TRIES 65536

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
    double del = tol_len(s->size);
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
        for (int tries = 0; tries < SD_CAP_TRIES && a->ncell > 0; tries++) {
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
    double total = f[nf - 1].cum, del = tol_len(s->size), tol = tol_len(s->size);
    ut_rng r;
    ut_rng_seed(&r, seed);
    long limit = 1000L * n + 100000, tries = 0;
    while (got < n && tries++ < limit && total > 0 && !bg_charge(s->npr)) {
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
        /* the face is on the solid's boundary where exactly one side is in the solid: the prism's
           own side (qb) for a face that a join or an intersect contributes, the other side (qa)
           for one that a cut contributes, whose outward normal is then the prism's inward one */
        int in = sd_eval2k(s, s->root, qa, qb, pi, 2);
        if (in != 1 && in != 2) continue;
        if (in == 1)
            for (int k = 0; k < 3; k++) nrm[k] = -nrm[k];
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
    if (got < n && bg_exceeded()) return bg_fail("surface sampling");
    if (got < n) return ut_fail(got ? "surface sampling found too little boundary" : "the solid is empty");
    return n;
}
