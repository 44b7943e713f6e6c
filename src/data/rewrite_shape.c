/* rewrite_shape.c - the recognisers of the rewriter: profiles of a loop, patterns of equal
 * circles, mirrored loops and faces (rewrite_int.h). Recognition regenerates the candidate's
 * curves the way the program's helper functions will, and compares them with the loop's as
 * sets, so a recognised loop is the same region as the helper's, whatever its curve order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/rewrite_int.h"

#define RP_PI 3.14159265358979323846
#define RP_MAX_CMP 64 /* loops with more curves are compared only if their counts match, else literal */

/* ---- canonical curves: ends, and an arc's true mid point ---- */

typedef struct {
    cad_curve_kind kind;
    double p[6]; /* LINE: ends; ARC: ends, true mid point; CIRCLE: cx cy r */
} rp_cv;

static void rp_canon(cad_curve_kind kind, const double *p, rp_cv *out) {
    out->kind = kind;
    memcpy(out->p, p, sizeof out->p);
    if (kind != CAD_ARC) return;
    double cx, cy, r, a0, sw;
    out->p[2] = p[4];
    out->p[3] = p[5];
    if (cad_arc_geom(p, &cx, &cy, &r, &a0, &sw) == 0) {
        out->p[4] = cx + r * cos(a0 + sw / 2);
        out->p[5] = cy + r * sin(a0 + sw / 2);
    } else {
        out->p[4] = p[2];
        out->p[5] = p[3];
    }
}

static int rp_near(double ax, double ay, double bx, double by, double eps) {
    return fabs(ax - bx) <= eps && fabs(ay - by) <= eps;
}

static int rp_same(const rp_cv *a, const rp_cv *b, double eps) {
    if (a->kind != b->kind) return 0;
    if (a->kind == CAD_CIRCLE) return rp_near(a->p[0], a->p[1], b->p[0], b->p[1], eps) && fabs(a->p[2] - b->p[2]) <= eps;
    int fwd = rp_near(a->p[0], a->p[1], b->p[0], b->p[1], eps) && rp_near(a->p[2], a->p[3], b->p[2], b->p[3], eps);
    int rev = rp_near(a->p[0], a->p[1], b->p[2], b->p[3], eps) && rp_near(a->p[2], a->p[3], b->p[0], b->p[1], eps);
    if (!fwd && !rev) return 0;
    return a->kind == CAD_LINE || rp_near(a->p[4], a->p[5], b->p[4], b->p[5], eps);
}

/* 1 if every curve of a matches a distinct curve of b (n each) */
static int rp_match(const rp_cv *a, const rp_cv *b, int n, double eps) {
    char used[RP_MAX_CMP] = {0};
    if (n > RP_MAX_CMP) return 0;
    for (int i = 0; i < n; i++) {
        int j = 0;
        while (j < n && (used[j] || !rp_same(&a[i], &b[j], eps))) j++;
        if (j == n) return 0;
        used[j] = 1;
    }
    return 1;
}

static int rp_loop_canon(const cad_model *m, const cad_loop *l, rp_cv *out) {
    if (l->n > RP_MAX_CMP) return -1;
    for (int i = 0; i < l->n; i++) rp_canon(m->curves[l->first + i].kind, m->curves[l->first + i].p, &out[i]);
    return 0;
}

/* ---- the profiles, generated as the program's helpers generate them ---- */

static void rp_line(rp_cv *c, double x1, double y1, double x2, double y2) {
    double p[6] = {x1, y1, x2, y2, 0, 0};
    rp_canon(CAD_LINE, p, c);
}
static void rp_arc(rp_cv *c, double x1, double y1, double xm, double ym, double x2, double y2) {
    double p[6] = {x1, y1, xm, ym, x2, y2};
    rp_canon(CAD_ARC, p, c);
}

static int rp_gen_rect(const rp_shape *s, rp_cv *c) {
    double x0 = s->cx - s->w / 2, y0 = s->cy - s->h / 2, x1 = s->cx + s->w / 2, y1 = s->cy + s->h / 2;
    rp_line(&c[0], x0, y0, x1, y0);
    rp_line(&c[1], x1, y0, x1, y1);
    rp_line(&c[2], x1, y1, x0, y1);
    rp_line(&c[3], x0, y1, x0, y0);
    return 4;
}

static int rp_gen_rounded(const rp_shape *s, rp_cv *c) {
    double x0 = s->cx - s->w / 2, y0 = s->cy - s->h / 2, x1 = s->cx + s->w / 2, y1 = s->cy + s->h / 2;
    double r = s->r, k = r * (1 - sqrt(0.5));
    rp_line(&c[0], x0 + r, y0, x1 - r, y0);
    rp_arc(&c[1], x1 - r, y0, x1 - k, y0 + k, x1, y0 + r);
    rp_line(&c[2], x1, y0 + r, x1, y1 - r);
    rp_arc(&c[3], x1, y1 - r, x1 - k, y1 - k, x1 - r, y1);
    rp_line(&c[4], x1 - r, y1, x0 + r, y1);
    rp_arc(&c[5], x0 + r, y1, x0 + k, y1 - k, x0, y1 - r);
    rp_line(&c[6], x0, y1 - r, x0, y0 + r);
    rp_arc(&c[7], x0, y0 + r, x0 + k, y0 + k, x0 + r, y0);
    return 8;
}

static int rp_gen_slot(const rp_shape *s, rp_cv *c) {
    double a = s->a * RP_PI / 180, ux = cos(a), uy = sin(a), l = s->w, r = s->r;
    double x1 = s->cx - ux * l / 2, y1 = s->cy - uy * l / 2, x2 = s->cx + ux * l / 2, y2 = s->cy + uy * l / 2;
    double nx = -uy * r, ny = ux * r;
    rp_line(&c[0], x1 + nx, y1 + ny, x2 + nx, y2 + ny);
    rp_arc(&c[1], x2 + nx, y2 + ny, x2 + ux * r, y2 + uy * r, x2 - nx, y2 - ny);
    rp_line(&c[2], x2 - nx, y2 - ny, x1 - nx, y1 - ny);
    rp_arc(&c[3], x1 - nx, y1 - ny, x1 - ux * r, y1 - uy * r, x1 + nx, y1 + ny);
    return 4;
}

static int rp_gen_polygon(const rp_shape *s, rp_cv *c) {
    for (int i = 0; i < s->n; i++) {
        double a1 = (s->a + 360.0 * i / s->n) * RP_PI / 180, a2 = (s->a + 360.0 * (i + 1) / s->n) * RP_PI / 180;
        rp_line(&c[i], s->cx + s->r * cos(a1), s->cy + s->r * sin(a1), s->cx + s->r * cos(a2), s->cy + s->r * sin(a2));
    }
    return s->n;
}

/* ---- classification ---- */

static void rp_box(const rp_cv *c, int n, double lo[2], double hi[2]) {
    lo[0] = lo[1] = INFINITY;
    hi[0] = hi[1] = -INFINITY;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 4; k++) {
            lo[k & 1] = fmin(lo[k & 1], c[i].p[k]);
            hi[k & 1] = fmax(hi[k & 1], c[i].p[k]);
        }
}

static int rp_count_kind(const rp_cv *c, int n, cad_curve_kind kind) {
    int k = 0;
    for (int i = 0; i < n; i++) k += c[i].kind == kind;
    return k;
}

static int rp_try(rp_shape *s, rp_kind kind, const rp_cv *have, int n, double eps) {
    rp_cv gen[RP_MAX_CMP];
    int k = kind == RP_RECT ? rp_gen_rect(s, gen)
            : kind == RP_ROUNDED ? rp_gen_rounded(s, gen)
            : kind == RP_SLOT ? rp_gen_slot(s, gen)
                               : rp_gen_polygon(s, gen);
    if (k != n || !rp_match(gen, have, n, eps)) return 0;
    s->kind = kind;
    return 1;
}

static int rp_rect_like(rp_shape *s, const rp_cv *c, int n, double eps) {
    double lo[2], hi[2];
    rp_box(c, n, lo, hi);
    s->cx = (lo[0] + hi[0]) / 2;
    s->cy = (lo[1] + hi[1]) / 2;
    s->w = hi[0] - lo[0];
    s->h = hi[1] - lo[1];
    if (n == 4 && rp_count_kind(c, n, CAD_LINE) == 4) return rp_try(s, RP_RECT, c, n, eps);
    if (n != 8 || rp_count_kind(c, n, CAD_ARC) != 4) return 0;
    for (int i = 0; i < n; i++)
        if (c[i].kind == CAD_ARC) { /* the corner radius: a quarter arc's chord is r * sqrt(2) */
            s->r = hypot(c[i].p[2] - c[i].p[0], c[i].p[3] - c[i].p[1]) / sqrt(2.0);
            break;
        }
    if (!(s->r > eps) || 2 * s->r >= fmin(s->w, s->h) - eps) return 0;
    return rp_try(s, RP_ROUNDED, c, n, eps);
}

static int rp_slot_like(rp_shape *s, const cad_model *m, const cad_loop *l, const rp_cv *c, double eps) {
    if (l->n != 4 || rp_count_kind(c, 4, CAD_ARC) != 2) return 0;
    double ctr[2][2], r = 0;
    int k = 0;
    for (int i = 0; i < 4 && k < 2; i++) {
        const cad_curve *cv = &m->curves[l->first + i];
        double a0, sw;
        if (cv->kind != CAD_ARC) continue;
        if (cad_arc_geom(cv->p, &ctr[k][0], &ctr[k][1], &r, &a0, &sw)) return 0;
        k++;
    }
    double dx = ctr[1][0] - ctr[0][0], dy = ctr[1][1] - ctr[0][1];
    s->w = hypot(dx, dy);
    if (!(s->w > eps)) return 0;
    s->cx = (ctr[0][0] + ctr[1][0]) / 2;
    s->cy = (ctr[0][1] + ctr[1][1]) / 2;
    s->r = r;
    s->a = atan2(dy, dx) * 180 / RP_PI;
    if (s->a <= -90) s->a += 180;
    if (s->a > 90) s->a -= 180;
    return rp_try(s, RP_SLOT, c, 4, eps);
}

static int rp_polygon_like(rp_shape *s, const rp_cv *c, int n, double eps) {
    if (n < 3 || n > RP_MAX_CMP || rp_count_kind(c, n, CAD_LINE) != n) return 0;
    double sx = 0, sy = 0;
    for (int i = 0; i < n; i++) {
        sx += c[i].p[0] + c[i].p[2];
        sy += c[i].p[1] + c[i].p[3];
    }
    s->cx = sx / (2 * n);
    s->cy = sy / (2 * n);
    s->r = hypot(c[0].p[0] - s->cx, c[0].p[1] - s->cy);
    s->n = n;
    double step = 360.0 / n, a = atan2(c[0].p[1] - s->cy, c[0].p[0] - s->cx) * 180 / RP_PI;
    a = fmod(a, step);
    if (a < 0) a += step;
    if (a > step - 1e-9 * step) a = 0;
    s->a = a;
    return s->r > eps && rp_try(s, RP_POLYGON, c, n, eps);
}

void rp_classify(const cad_model *m, const cad_loop *l, double eps, rp_shape *s) {
    memset(s, 0, sizeof *s);
    s->kind = RP_LITERAL;
    const cad_curve *c0 = &m->curves[l->first];
    if (l->n == 1 && c0->kind == CAD_CIRCLE) {
        s->kind = RP_CIRCLE;
        s->cx = c0->p[0];
        s->cy = c0->p[1];
        s->r = c0->p[2];
        return;
    }
    rp_cv c[RP_MAX_CMP];
    if (rp_loop_canon(m, l, c)) return;
    if (rp_rect_like(s, c, l->n, eps) || rp_slot_like(s, m, l, c, eps) || rp_polygon_like(s, c, l->n, eps)) return;
    memset(s, 0, sizeof *s);
    s->kind = RP_LITERAL;
}

/* ---- patterns ---- */

static int rp_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* distinct values of v (n of them, stride 2) within eps, sorted, into out; -1 if more than max */
static int rp_distinct(const double *v, int n, double eps, double *out, int max) {
    double *t = malloc((size_t)n * sizeof *t);
    int k = 0;
    if (!t) return -1;
    for (int i = 0; i < n; i++) t[i] = v[2 * i];
    qsort(t, (size_t)n, sizeof *t, rp_cmp_double);
    for (int i = 0; i < n; i++) {
        if (k && t[i] - out[k - 1] <= eps) continue;
        if (k == max) {
            free(t);
            return -1;
        }
        out[k++] = t[i];
    }
    free(t);
    return k;
}

/* equal steps: xs[i] = xs[0] + i * pitch within eps; the pitch, or 0 if not */
static double rp_pitch(const double *xs, int n, double eps) {
    if (n < 2) return 1;
    double p = (xs[n - 1] - xs[0]) / (n - 1);
    for (int i = 0; i < n; i++)
        if (fabs(xs[0] + i * p - xs[i]) > eps) return 0;
    return p;
}

static int rp_grid(const double *c, int n, double r, double eps, rp_pattern *p, int *member) {
    double *xs = malloc((size_t)n * sizeof *xs), *ys = malloc((size_t)n * sizeof *ys);
    int ok = 0;
    int nx = xs && ys ? rp_distinct(c, n, eps, xs, n) : -1, ny = xs && ys ? rp_distinct(c + 1, n, eps, ys, n) : -1;
    if (nx > 0 && ny > 0 && nx * ny == n && n >= 3) {
        double px = rp_pitch(xs, nx, eps), py = rp_pitch(ys, ny, eps);
        ok = px > eps && py > eps;
        /* every cell holds one circle: n distinct centres in nx * ny cells */
        for (int i = 0; ok && i < n; i++)
            for (int j = i + 1; ok && j < n; j++)
                if (rp_near(c[2 * i], c[2 * i + 1], c[2 * j], c[2 * j + 1], eps)) ok = 0;
        if (ok) {
            *p = (rp_pattern){.kind = RP_GRID, .r = r, .x0 = xs[0], .y0 = ys[0], .px = px, .py = py, .nx = nx, .ny = ny};
            for (int i = 0; i < n; i++) member[i] = i;
        }
    }
    free(xs);
    free(ys);
    return ok ? n : 0;
}

/* the circles of idx[0..k) equally spaced on a circle about (cx, cy) */
static int rp_circular_of(const double *c, const int *idx, int k, double cx, double cy, double eps, rp_pattern *p) {
    if (k < 3) return 0;
    double R = hypot(c[2 * idx[0]] - cx, c[2 * idx[0] + 1] - cy), step = 360.0 / k;
    if (!(R > eps)) return 0;
    char *seen = calloc((size_t)k, 1);
    double a0 = 0, ref = 0;
    int ok = seen != NULL;
    for (int i = 0; ok && i < k; i++) { /* slot of each circle, and the mean start angle */
        double a = atan2(c[2 * idx[i] + 1] - cy, c[2 * idx[i]] - cx) * 180 / RP_PI;
        double q = (a - (i ? ref : a)) / step;
        int s = (int)lround(q);
        double off = a - s * step;
        if (i == 0) ref = a;
        s = ((s % k) + k) % k;
        if (seen[s]) ok = 0;
        else seen[s] = 1;
        a0 += off;
    }
    free(seen);
    if (!ok) return 0;
    a0 = fmod(a0 / k, step);
    if (a0 < 0) a0 += step;
    if (a0 > step * (1 - 1e-12)) a0 = 0;
    for (int i = 0; i < k; i++) { /* each centre within eps of a slot */
        double a = atan2(c[2 * idx[i] + 1] - cy, c[2 * idx[i]] - cx) * 180 / RP_PI;
        double s = round((a - a0) / step), t = (a0 + s * step) * RP_PI / 180;
        if (!rp_near(cx + R * cos(t), cy + R * sin(t), c[2 * idx[i]], c[2 * idx[i] + 1], eps)) return 0;
    }
    *p = (rp_pattern){.kind = RP_CIRCULAR, .x0 = cx, .y0 = cy, .R = R, .a0 = a0, .n = k};
    return k;
}

static int rp_circular(const double *c, int n, double r, double eps, rp_pattern *p, int *member) {
    double cx = 0, cy = 0;
    for (int i = 0; i < n; i++) {
        cx += c[2 * i];
        cy += c[2 * i + 1];
    }
    cx /= n;
    cy /= n;
    int k = 0;
    for (int i = 0; i < n; i++) /* a circle at the centre is not a member */
        if (!rp_near(c[2 * i], c[2 * i + 1], cx, cy, eps)) member[k++] = i;
    if (k < n - 1) return 0;
    if (k == n - 1) { /* the mean of the members alone */
        double sx = 0, sy = 0;
        for (int i = 0; i < k; i++) {
            sx += c[2 * member[i]];
            sy += c[2 * member[i] + 1];
        }
        cx = sx / k;
        cy = sy / k;
    }
    if (!rp_circular_of(c, member, k, cx, cy, eps, p)) return 0;
    p->r = r;
    return k;
}

int rp_find_pattern(const double *centres, int n, double r, double eps, rp_pattern *p, int *member) {
    if (n < 3) return 0;
    int k = rp_grid(centres, n, r, eps, p, member);
    if (k) return k;
    return rp_circular(centres, n, r, eps, p, member);
}

/* ---- mirrors ---- */

static void rp_mirror_curve(const cad_curve *c, int axis, double cval, rp_cv *out) {
    double p[6];
    memcpy(p, c->p, sizeof p);
    int npts = c->kind == CAD_CIRCLE ? 1 : c->kind == CAD_LINE ? 2 : 3;
    for (int i = 0; i < npts; i++) p[2 * i + axis] = 2 * cval - p[2 * i + axis];
    rp_canon(c->kind, p, out);
}

int rp_loop_mirrors(const cad_model *m, const cad_loop *a, const cad_loop *b, int axis, double c, double eps) {
    if (a->n != b->n || a->n > RP_MAX_CMP) return 0;
    rp_cv ma[RP_MAX_CMP], cb[RP_MAX_CMP];
    for (int i = 0; i < a->n; i++) rp_mirror_curve(&m->curves[a->first + i], axis, c, &ma[i]);
    rp_loop_canon(m, b, cb);
    return rp_match(ma, cb, a->n, eps);
}

int rp_face_mirrors(const cad_model *m, const cad_face *a, const cad_face *b, int axis, double c, double eps) {
    if (a->n != b->n || a->n > RP_MAX_CMP) return 0;
    if (!rp_loop_mirrors(m, &m->loops[a->first], &m->loops[b->first], axis, c, eps)) return 0;
    char used[RP_MAX_CMP] = {0};
    for (int i = 1; i < a->n; i++) {
        int j = 1;
        while (j < b->n && (used[j] || !rp_loop_mirrors(m, &m->loops[a->first + i], &m->loops[b->first + j], axis, c, eps))) j++;
        if (j == b->n) return 0;
        used[j] = 1;
    }
    return 1;
}

void rp_loop_mean(const cad_model *m, const cad_loop *l, double out[2]) {
    double sx = 0, sy = 0;
    int k = 0;
    for (int i = 0; i < l->n; i++) {
        const cad_curve *c = &m->curves[l->first + i];
        if (c->kind == CAD_CIRCLE) {
            sx += c->p[0];
            sy += c->p[1];
            k++;
            continue;
        }
        int e = c->kind == CAD_LINE ? 2 : 4;
        sx += c->p[0] + c->p[e];
        sy += c->p[1] + c->p[e + 1];
        k += 2;
    }
    out[0] = k ? sx / k : 0;
    out[1] = k ? sy / k : 0;
}
