/* sd_section.c - exact mass properties and box of a solid whose prisms all extrude along +-N
 * of the first prism (docs/kernel.md, "One direction").
 *
 * The N axis is cut at every slab end; inside each interval the cross-section is one fixed 2-D
 * boolean of profiles (all mapped into prism 0's frame). Every profile curve is split at its
 * intersections with all others; each piece is classified by membership of the section at its
 * midpoint +- 1e-9 of the size along its normal, once per interval; boundary pieces add their
 * Green integrals with the inside on the left, and a piece lying on a lower-index curve of a
 * prism taking part counts once. Volume moments then integrate polynomials in w; the area adds
 * the side walls and the caps (symmetric differences of neighbouring sections).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/budget.h"
#include "base/tol.h"
#include "geom/solid_int.h"

/* 1 if every prism extrudes along +-N of prism 0 */
static int sd_one_direction(const sd_solid *s) {
    for (int i = 1; i < s->npr; i++)
        if (fabs(sd_dot(s->pr[i].N, s->pr[0].N)) < 1 - TOL_DIR) return 0;
    return 1;
}

void sd_sec_free(sd_sec *S, int npr) {
    for (int i = 0; i < npr && S->rg; i++) g2_region_free(&S->rg[i]);
    free(S->c), free(S->cpr), free(S->cbox), free(S->rg), free(S->slab), free(S->cut), free(S->act);
    free(S->pc), free(S->dup), free(S->mem);
    memset(S, 0, sizeof *S);
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
    double eps = tol_fine(s->size);
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

#define SD_SNAP 1000 /* curve ends within this many tol_len of a curve split it */

static _Thread_local const sd_sec *sd_sort_tls; /* qsort context of sd_cmp_box_x */

static int sd_cmp_box_x(const void *x, const void *y) {
    const sd_sec *S = sd_sort_tls;
    int i = *(const int *)x, j = *(const int *)y;
    double a = S->cbox[i][0], b = S->cbox[j][0];
    if (a != b) return a < b ? -1 : 1;
    return i - j;
}

static int sd_cmp_int(const void *x, const void *y) { return *(const int *)x - *(const int *)y; }

/* for every curve, the other curves whose boxes meet its own (within tol) and whose prisms can
   meet it: CSR lists (nb[first[i] .. first[i+1]) ascending), found by a sweep along x so that
   curves far apart cost nothing (free both) */
static void sd_sec_neighbours(const sd_sec *S, double tol, int **first_out, int **nb_out) {
    int n = S->nc, *ord = ut_malloc((size_t)(n + 1) * sizeof *ord), *pairs = NULL, np = 0, cap = 0;
    for (int i = 0; i < n; i++) ord[i] = i;
    sd_sort_tls = S;
    qsort(ord, (size_t)n, sizeof *ord, sd_cmp_box_x);
    bg_charge(4L * n);
    for (int a = 0; a < n; a++) {
        int i = ord[a];
        for (int b = a + 1; b < n && S->cbox[ord[b]][0] <= S->cbox[i][2] + tol; b++) {
            int j = ord[b];
            if (bg_charge(1)) break; /* over budget: the caller's result is void */
            if (!sd_sec_near(S, S->cpr[i], S->cpr[j]) || !sd_box2_near(S->cbox[i], S->cbox[j], tol)) continue;
            if (np + 2 > cap) pairs = ut_realloc(pairs, (size_t)(cap = cap ? 2 * cap : 256) * sizeof *pairs);
            pairs[np++] = i, pairs[np++] = j;
        }
    }
    int *first = ut_calloc((size_t)n + 1, sizeof *first), *nb = ut_malloc((size_t)(np + 1) * sizeof *nb);
    for (int k = 0; k < np; k++) first[pairs[k] + 1]++;
    for (int i = 0; i < n; i++) first[i + 1] += first[i];
    int *fill = ut_malloc((size_t)(n + 1) * sizeof *fill);
    memcpy(fill, first, (size_t)n * sizeof *fill);
    for (int k = 0; k < np; k += 2) nb[fill[pairs[k]]++] = pairs[k + 1], nb[fill[pairs[k + 1]]++] = pairs[k];
    for (int i = 0; i < n; i++) qsort(nb + first[i], (size_t)(first[i + 1] - first[i]), sizeof *nb, sd_cmp_int);
    free(fill), free(pairs), free(ord);
    *first_out = first, *nb_out = nb;
}

/* splits every curve at its intersections with the other curves and where their ends come near
   it; finds coincident pieces */
static void sd_sec_pieces(const sd_solid *s, sd_sec *S) {
    double tol = tol_len(s->size);
    int cap_t = 64, *first, *nb;
    double *ts = ut_malloc((size_t)cap_t * sizeof *ts);
    g2_isect is[16];
    sd_sec_neighbours(S, SD_SNAP * tol, &first, &nb); /* near enough to cut or to snap */
    for (int i = 0; i < S->nc; i++) {
        if (bg_charge(1 + first[i + 1] - first[i])) break; /* over budget: the caller's result is void */
        int nt = 0;
        ts[nt++] = 0, ts[nt++] = 1;
        for (int q = first[i]; q < first[i + 1]; q++) {
            int j = nb[q];
            int n = g2_intersect(&S->c[i], &S->c[j], tol, is, 16);
            for (int k = 0; k < n; k++) {
                if (nt + 2 >= cap_t) ts = ut_realloc(ts, (size_t)(cap_t *= 2) * sizeof *ts);
                ts[nt++] = is[k].ta;
            }
            /* the other curve's ends where they come near this one: a corner that stops short of
               (or overshoots) this curve by more than tol still changes the membership along it
               as seen by the classification's +-tol probes, so the piece must end there */
            for (int e = 0; e < 2; e++) {
                double end[2], t;
                g2_eval(&S->c[j], e, end);
                if (nt + 2 >= cap_t) ts = ut_realloc(ts, (size_t)(cap_t *= 2) * sizeof *ts);
                if (g2_closest(&S->c[i], end, &t) <= SD_SNAP * tol && t > 0 && t < 1) ts[nt++] = t;
            }
        }
        bg_charge(4L * nt); /* the sort */
        qsort(ts, (size_t)nt, sizeof *ts, sd_cmp_double);
        double len = g2_length(&S->c[i]);
        for (int k = 0; k + 1 < nt; k++) {
            if ((ts[k + 1] - ts[k]) * len <= tol_fine(s->size)) continue;
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
            for (int u = first[i]; u < first[i + 1] && nb[u] < i; u++) {
                int j = nb[u];
                if (g2_closest(&S->c[j], pc->mid, &t) <= tol && g2_closest(&S->c[j], q, &t) <= tol) {
                    *UT_PUSH(S->dup, S->ndup, S->cap_dup) = j;
                    pc->ndup++;
                }
            }
        }
    }
    free(ts), free(first), free(nb);
}

/* membership of the cross-section of interval k at (x, y) of node
   (q: the point in world coordinates at the interval's middle, for pruning by the node boxes,
   which hold the node's point set; a point farther than slack outside a box is outside the node) */
static int sd_sec_eval(const sd_solid *s, const sd_sec *S, int node, int k, double x, double y, const double q[3],
                       double slack) {
    const sd_node *n = &s->nd[node];
    if (!sd_box_has(n->lo, n->hi, q, slack)) return 0;
    switch (n->op) {
    case SD_LEAF: return S->act[k * s->npr + n->a] && !bg_charge(1) && g2_region_inside(&S->rg[n->a], x, y);
    case CAD_JOIN: return sd_sec_eval(s, S, n->a, k, x, y, q, slack) || sd_sec_eval(s, S, n->b, k, x, y, q, slack);
    case CAD_CUT: return sd_sec_eval(s, S, n->a, k, x, y, q, slack) && !sd_sec_eval(s, S, n->b, k, x, y, q, slack);
    default: return sd_sec_eval(s, S, n->a, k, x, y, q, slack) && sd_sec_eval(s, S, n->b, k, x, y, q, slack);
    }
}

/* membership of the section of interval k at (x, y) of prism 0's frame */
static int sd_sec_inside(const sd_solid *s, const sd_sec *S, int k, double x, double y) {
    double q[3];
    sd_to_world(&s->pr[0], x, y, 0.5 * (S->cut[k] + S->cut[k + 1]), q);
    return sd_sec_eval(s, S, s->root, k, x, y, q, tol_len(s->scale));
}

static int sd_sec_active(const sd_sec *S, int npr, int k, int prism) {
    return k >= 0 && k < S->ncut - 1 && S->act[k * npr + prism];
}

/* membership on both sides of every piece in every interval where its prism is near */
static void sd_sec_classify(const sd_solid *s, sd_sec *S) {
    int ni = S->ncut - 1, npr = s->npr;
    double del = tol_len(s->size);
    S->mem = ut_calloc((size_t)(ni > 0 ? ni : 1) * (S->np > 0 ? S->np : 1), 1);
    for (int k = 0; k < ni && !bg_charge(S->np); k++)
        for (int i = 0; i < S->np; i++) {
            const sd_piece *pc = &S->pc[i];
            int pr = S->cpr[pc->curve];
            if (!sd_sec_active(S, npr, k - 1, pr) && !sd_sec_active(S, npr, k, pr) && !sd_sec_active(S, npr, k + 1, pr))
                continue;
            int L = sd_sec_inside(s, S, k, pc->mid[0] + del * pc->nl[0], pc->mid[1] + del * pc->nl[1]);
            int R = sd_sec_inside(s, S, k, pc->mid[0] - del * pc->nl[0], pc->mid[1] - del * pc->nl[1]);
            S->mem[(size_t)k * S->np + i] = (unsigned char)(L | (R << 1));
        }
}

int sd_sec_build(const sd_solid *s, sd_sec *S) {
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
    for (int j = pc->ndup - 1; j >= 0; j--) { /* the nearest lower curve first: the likeliest to be active */
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
void sd_sec_props(const sd_solid *s, sd_sec *S, double *V, double F[3], double M[9], double *area) {
    int ni = S->ncut - 1, npr = s->npr;
    *V = *area = 0;
    memset(F, 0, 3 * sizeof *F);
    memset(M, 0, 9 * sizeof *M);
    for (int k = 0; k < ni; k++) {
        if (bg_charge(S->np)) return; /* over budget: void */
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
        if (bg_charge(S->np)) return;
        double a = 0;
        for (int i = 0; i < S->np; i++) {
            int side = sd_sec_counts(S, npr, i, c - 1, c) ? sd_sec_side(S, i, c - 1, c) : 0;
            if (side) a += side * sd_piece_moments(S, &S->pc[i])[0];
        }
        *area += fabs(a);
    }
}

/* exact world box: boundary pieces of every interval at both of its ends */
void sd_sec_box(const sd_solid *s, sd_sec *S, double lo[3], double hi[3]) {
    const sd_prism *p0 = &s->pr[0];
    sd_box_empty(lo, hi);
    for (int k = 0; k < S->ncut - 1 && !bg_charge(S->np); k++)
        for (int i = 0; i < S->np; i++) {
            if (!sd_sec_counts(S, s->npr, i, k, k) || !sd_sec_side(S, i, k, -2)) continue;
            g2_curve sub;
            g2_sub(&S->c[S->pc[i].curve], S->pc[i].t0, S->pc[i].t1, &sub);
            sd_curve_box3(p0->o, p0->X, p0->Y, p0->N, &sub, S->cut[k], lo, hi);
            sd_curve_box3(p0->o, p0->X, p0->Y, p0->N, &sub, S->cut[k + 1], lo, hi);
        }
}
