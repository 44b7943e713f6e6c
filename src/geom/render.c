/* render.c - see render.h: a z-buffer rasteriser with image-space edge lines. */
#include "geom/render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* shading constants */
static const double rd_base[3] = {0.72, 0.76, 0.82}; /* neutral blue-grey */
static const double rd_ambient = 0.45, rd_diffuse = 0.55;
static const double rd_light[3] = {-0.40, 0.55, 0.73}; /* view space, towards the light (unit) */
static const unsigned char rd_line[3] = {55, 55, 60};
static const double rd_crease_cos = 0.8660254037844387; /* 30 degrees */

/* ---------------------------------------------------------------- views */

void rd_view_basis(rd_view view, double r[3], double u[3], double f[3]) {
    static const double fw[4][3] = {{-1, 1, -1}, {0, 1, 0}, {0, 0, -1}, {-1, 0, 0}};
    int v = (unsigned)view < 4 ? (int)view : 0;
    double l = sqrt(fw[v][0] * fw[v][0] + fw[v][1] * fw[v][1] + fw[v][2] * fw[v][2]);
    for (int k = 0; k < 3; k++) f[k] = fw[v][k] / l;
    double wu[3] = {0, 0, 1};
    if (v == RD_TOP) wu[1] = 1, wu[2] = 0;
    /* right = f x world_up, up = right x f */
    r[0] = f[1] * wu[2] - f[2] * wu[1];
    r[1] = f[2] * wu[0] - f[0] * wu[2];
    r[2] = f[0] * wu[1] - f[1] * wu[0];
    l = sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    for (int k = 0; k < 3; k++) r[k] /= l;
    u[0] = r[1] * f[2] - r[2] * f[1];
    u[1] = r[2] * f[0] - r[0] * f[2];
    u[2] = r[0] * f[1] - r[1] * f[0];
}

static const char *rd_views[4] = {"iso", "front", "top", "right"};
static const char *rd_modes[3] = {"shaded", "normal", "depth"};

const char *rd_view_name(rd_view view) { return (unsigned)view < 4 ? rd_views[view] : "?"; }
const char *rd_mode_name(rd_mode mode) { return (unsigned)mode < 3 ? rd_modes[mode] : "?"; }

int rd_view_parse(const char *s, rd_view *view) {
    for (int i = 0; i < 4; i++)
        if (strcmp(s, rd_views[i]) == 0) return *view = (rd_view)i, 0;
    return -1;
}

int rd_mode_parse(const char *s, rd_mode *mode) {
    for (int i = 0; i < 3; i++)
        if (strcmp(s, rd_modes[i]) == 0) return *mode = (rd_mode)i, 0;
    return -1;
}

/* ---------------------------------------------------------------- rasteriser */

typedef struct {
    int w, h;      /* buffer size (supersampled) */
    float *depth;  /* w*h, world units along the view direction; INFINITY = background */
    int *tri;      /* w*h, triangle index or -1 */
    double *sx, *sy, *sz; /* per vertex: screen x, y (buffer pixels), depth */
    double *nrm;   /* per triangle: view-space unit normal (3), facing the viewer */
    double *grad;  /* per triangle: depth gradient per buffer pixel (2) */
    double pix;    /* world size of one buffer pixel */
    double dmin, dmax;
} rd_buf;

/* projects the mesh into a w x h buffer (see the framing rule in render.h) */
static void rd_project(const ms_mesh *m, rd_view view, int w, int h, double margin_px, rd_buf *b) {
    double r[3], u[3], f[3];
    rd_view_basis(view, r, u, f);
    b->sx = ut_malloc((size_t)m->nv * sizeof(double));
    b->sy = ut_malloc((size_t)m->nv * sizeof(double));
    b->sz = ut_malloc((size_t)m->nv * sizeof(double));
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    b->dmin = INFINITY;
    b->dmax = -INFINITY;
    for (int i = 0; i < m->nv; i++) {
        const double *p = m->v + 3 * i;
        double x = p[0] * r[0] + p[1] * r[1] + p[2] * r[2], y = p[0] * u[0] + p[1] * u[1] + p[2] * u[2];
        double z = p[0] * f[0] + p[1] * f[1] + p[2] * f[2];
        b->sx[i] = x;
        b->sy[i] = y;
        b->sz[i] = z;
        x0 = fmin(x0, x);
        x1 = fmax(x1, x);
        y0 = fmin(y0, y);
        y1 = fmax(y1, y);
        b->dmin = fmin(b->dmin, z);
        b->dmax = fmax(b->dmax, z);
    }
    double ew = x1 - x0, eh = y1 - y0, aw = w - 2 * margin_px, ah = h - 2 * margin_px;
    double s = fmin(ew > 0 ? aw / ew : INFINITY, eh > 0 ? ah / eh : INFINITY);
    if (!isfinite(s)) s = 1;
    double cx = 0.5 * (x0 + x1), cy = 0.5 * (y0 + y1);
    for (int i = 0; i < m->nv; i++) {
        b->sx[i] = 0.5 * w + (b->sx[i] - cx) * s;
        b->sy[i] = 0.5 * h - (b->sy[i] - cy) * s;
    }
    b->pix = 1.0 / s;
    b->nrm = ut_malloc((size_t)m->nt * 3 * sizeof(double));
    b->grad = ut_malloc((size_t)m->nt * 2 * sizeof(double));
    for (int t = 0; t < m->nt; t++) {
        const int *v = m->t + 3 * t;
        const double *a = m->v + 3 * v[0], *c1 = m->v + 3 * v[1], *c2 = m->v + 3 * v[2];
        double e1[3] = {c1[0] - a[0], c1[1] - a[1], c1[2] - a[2]}, e2[3] = {c2[0] - a[0], c2[1] - a[1], c2[2] - a[2]};
        double n[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]};
        double l = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
        double vn[3] = {0, 0, 1};
        if (l > 0) {
            vn[0] = (n[0] * r[0] + n[1] * r[1] + n[2] * r[2]) / l;
            vn[1] = (n[0] * u[0] + n[1] * u[1] + n[2] * u[2]) / l;
            vn[2] = -(n[0] * f[0] + n[1] * f[1] + n[2] * f[2]) / l;
        }
        if (vn[2] < 0) /* a back face seen through a gap: light it as a front face */
            for (int k = 0; k < 3; k++) vn[k] = -vn[k];
        memcpy(b->nrm + 3 * t, vn, sizeof vn);
        /* depth plane over the screen: z = z0 + gx (x - x0) + gy (y - y0) */
        double ax = b->sx[v[1]] - b->sx[v[0]], ay = b->sy[v[1]] - b->sy[v[0]], az = b->sz[v[1]] - b->sz[v[0]];
        double bx = b->sx[v[2]] - b->sx[v[0]], by = b->sy[v[2]] - b->sy[v[0]], bz = b->sz[v[2]] - b->sz[v[0]];
        double det = ax * by - ay * bx;
        b->grad[2 * t] = det != 0 ? (az * by - ay * bz) / det : 0;
        b->grad[2 * t + 1] = det != 0 ? (ax * bz - az * bx) / det : 0;
    }
}

static void rd_raster(const ms_mesh *m, rd_buf *b) {
    size_t np = (size_t)b->w * b->h;
    b->depth = ut_malloc(np * sizeof *b->depth);
    b->tri = ut_malloc(np * sizeof *b->tri);
    for (size_t i = 0; i < np; i++) {
        b->depth[i] = INFINITY;
        b->tri[i] = -1;
    }
    for (int t = 0; t < m->nt; t++) {
        const int *v = m->t + 3 * t;
        double x0 = b->sx[v[0]], y0 = b->sy[v[0]], x1 = b->sx[v[1]], y1 = b->sy[v[1]], x2 = b->sx[v[2]], y2 = b->sy[v[2]];
        double area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0);
        if (area == 0 || !isfinite(area)) continue;
        double sgn = area > 0 ? 1 : -1, inv = 1 / fabs(area);
        int i0 = (int)floor(fmin(x0, fmin(x1, x2))), i1 = (int)ceil(fmax(x0, fmax(x1, x2)));
        int j0 = (int)floor(fmin(y0, fmin(y1, y2))), j1 = (int)ceil(fmax(y0, fmax(y1, y2)));
        if (i0 < 0) i0 = 0;
        if (j0 < 0) j0 = 0;
        if (i1 > b->w - 1) i1 = b->w - 1;
        if (j1 > b->h - 1) j1 = b->h - 1;
        double z0 = b->sz[v[0]], z1 = b->sz[v[1]], z2 = b->sz[v[2]];
        for (int j = j0; j <= j1; j++) {
            double py = j + 0.5;
            for (int i = i0; i <= i1; i++) {
                double px = i + 0.5;
                /* barycentric weights from edge functions (inclusive edges: no cracks) */
                double w0 = sgn * ((x2 - x1) * (py - y1) - (y2 - y1) * (px - x1));
                double w1 = sgn * ((x0 - x2) * (py - y2) - (y0 - y2) * (px - x2));
                double w2 = sgn * ((x1 - x0) * (py - y0) - (y1 - y0) * (px - x0));
                if (w0 < 0 || w1 < 0 || w2 < 0) continue;
                float z = (float)((w0 * z0 + w1 * z1 + w2 * z2) * inv);
                size_t k = (size_t)j * b->w + i;
                if (z < b->depth[k]) {
                    b->depth[k] = z;
                    b->tri[k] = t;
                }
            }
        }
    }
}

static void rd_buf_free(rd_buf *b) {
    free(b->depth);
    free(b->tri);
    free(b->sx);
    free(b->sy);
    free(b->sz);
    free(b->nrm);
    free(b->grad);
}

/* 1 if the boundary between buffer pixels p and q is a line: silhouette, depth step or crease */
static int rd_is_edge(const rd_buf *b, size_t p, size_t q, double dx, double dy) {
    int tp = b->tri[p], tq = b->tri[q];
    if (tp < 0 && tq < 0) return 0;
    if (tp < 0 || tq < 0) return 1;
    if (tp == tq) return 0;
    const double *np = b->nrm + 3 * tp, *nq = b->nrm + 3 * tq;
    if (np[0] * nq[0] + np[1] * nq[1] + np[2] * nq[2] < rd_crease_cos) return 1;
    /* depth step: q's depth against p's plane extended, and the other way round */
    double zp = b->depth[p], zq = b->depth[q], tol = 2.0 * b->pix;
    double pred_q = zp + b->grad[2 * tp] * dx + b->grad[2 * tp + 1] * dy;
    double pred_p = zq - b->grad[2 * tq] * dx - b->grad[2 * tq + 1] * dy;
    return fabs(zq - pred_q) > tol && fabs(zp - pred_p) > tol;
}

/* marks line pixels (on the nearer side of each boundary), then thickens them by rad pixels on
   each side (a (2 rad + 1)^2 square, done separably) */
static unsigned char *rd_edges(const rd_buf *b, int rad) {
    size_t np = (size_t)b->w * b->h;
    unsigned char *e = ut_calloc(np, 1);
    for (int j = 0; j < b->h; j++)
        for (int i = 0; i < b->w; i++) {
            size_t p = (size_t)j * b->w + i;
            if (i + 1 < b->w && rd_is_edge(b, p, p + 1, 1, 0)) e[b->depth[p] <= b->depth[p + 1] ? p : p + 1] = 1;
            if (j + 1 < b->h && rd_is_edge(b, p, p + b->w, 0, 1)) e[b->depth[p] <= b->depth[p + b->w] ? p : p + b->w] = 1;
        }
    if (rad <= 0) return e;
    unsigned char *r = ut_calloc(np, 1);
    for (int j = 0; j < b->h; j++) {
        const unsigned char *src = e + (size_t)j * b->w;
        unsigned char *dst = r + (size_t)j * b->w;
        for (int i = 0; i < b->w; i++)
            if (src[i])
                for (int d = i - rad < 0 ? 0 : i - rad; d <= i + rad && d < b->w; d++) dst[d] = 1;
    }
    memset(e, 0, np);
    for (int j = 0; j < b->h; j++) {
        const unsigned char *src = r + (size_t)j * b->w;
        for (int i = 0; i < b->w; i++)
            if (src[i])
                for (int d = j - rad < 0 ? 0 : j - rad; d <= j + rad && d < b->h; d++) e[(size_t)d * b->w + i] = 1;
    }
    free(r);
    return e;
}

static unsigned char rd_u8(double x) {
    if (!(x > 0)) return 0;
    if (x >= 255) return 255;
    return (unsigned char)lround(x);
}

/* ---------------------------------------------------------------- modes */

static void rd_shade(const rd_buf *b, const unsigned char *edge, unsigned char *rgb) {
    for (size_t i = 0, np = (size_t)b->w * b->h; i < np; i++) {
        unsigned char *c = rgb + 3 * i;
        if (edge[i]) {
            memcpy(c, rd_line, 3);
        } else if (b->tri[i] < 0) {
            c[0] = c[1] = c[2] = 255;
        } else {
            const double *n = b->nrm + 3 * b->tri[i];
            double l = n[0] * rd_light[0] + n[1] * rd_light[1] + n[2] * rd_light[2];
            double k = rd_ambient + rd_diffuse * (l > 0 ? l : 0);
            for (int q = 0; q < 3; q++) c[q] = rd_u8(255 * rd_base[q] * k);
        }
    }
}

/* box filter s x s: src (w*s x h*s) -> dst (w x h) */
static void rd_downsample(const unsigned char *src, int w, int h, int s, unsigned char *dst) {
    int sw = w * s, n = s * s;
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++)
            for (int c = 0; c < 3; c++) {
                int sum = 0;
                for (int dj = 0; dj < s; dj++)
                    for (int di = 0; di < s; di++) sum += src[3 * ((size_t)(j * s + dj) * sw + i * s + di) + c];
                dst[3 * ((size_t)j * w + i) + c] = (unsigned char)((sum + n / 2) / n);
            }
}

int rd_render(const ms_mesh *m, rd_view view, rd_mode mode, int w, int h, img_rgb *out) {
    memset(out, 0, sizeof *out);
    if ((unsigned)view > RD_RIGHT) return ut_fail("unknown view %d", (int)view);
    if ((unsigned)mode > RD_DEPTH) return ut_fail("unknown render mode %d", (int)mode);
    if (w < 8 || h < 8 || w > RD_MAX_SIDE || h > RD_MAX_SIDE) return ut_fail("image size %dx%d outside [8, %d]", w, h, RD_MAX_SIDE);
    if (m->nv <= 0 || m->nt <= 0) return ut_fail("nothing to render: the mesh is empty");
    int s = mode == RD_SHADED ? RD_SUPERSAMPLE : 1;
    while (s > 1 && (double)w * h * s * s > RD_MAX_SAMPLES) s--; /* bounds memory for huge images */
    rd_buf b = {.w = w * s, .h = h * s};
    rd_project(m, view, b.w, b.h, RD_MARGIN * (w < h ? w : h) * s, &b);
    rd_raster(m, &b);
    out->w = w;
    out->h = h;
    out->rgb = ut_malloc((size_t)w * h * 3);
    if (mode == RD_SHADED) {
        /* lines about 1 pixel wide, a little wider on large images */
        int rad = s > 1 ? 1 + (w < h ? w : h) / 600 : 0;
        unsigned char *edge = rd_edges(&b, rad);
        unsigned char *big = ut_malloc((size_t)b.w * b.h * 3);
        rd_shade(&b, edge, big);
        rd_downsample(big, w, h, s, out->rgb);
        free(big);
        free(edge);
    } else {
        double span = b.dmax - b.dmin;
        for (size_t i = 0, np = (size_t)w * h; i < np; i++) {
            unsigned char *c = out->rgb + 3 * i;
            int t = b.tri[i];
            if (t < 0) {
                c[0] = c[1] = c[2] = 0;
            } else if (mode == RD_NORMAL) {
                for (int q = 0; q < 3; q++) c[q] = rd_u8(127.5 * (b.nrm[3 * t + q] + 1));
            } else {
                double tt = span > 0 ? (b.depth[i] - b.dmin) / span : 0;
                if (tt < 0) tt = 0;
                if (tt > 1) tt = 1;
                c[0] = c[1] = c[2] = rd_u8(255 - 200 * tt);
            }
        }
    }
    rd_buf_free(&b);
    return 0;
}

/* ---------------------------------------------------------------- sheet */


int rd_sheet(const ms_mesh *m, int w, int h, img_rgb *out) {
    memset(out, 0, sizeof *out);
    if (w > RD_MAX_SIDE / 2 || h > RD_MAX_SIDE / 2) return ut_fail("sheet panel size %dx%d too large", w, h);
    static const rd_view order[4] = {RD_ISO, RD_FRONT, RD_TOP, RD_RIGHT};
    static const char *label[4] = {"ISO", "FRONT", "TOP", "RIGHT"};
    out->w = 2 * w;
    out->h = 2 * h;
    out->rgb = ut_malloc((size_t)out->w * out->h * 3);
    int k = (w < h ? w : h) / 160 + 1; /* label scale */
    for (int q = 0; q < 4; q++) {
        img_rgb v;
        if (rd_render(m, order[q], RD_SHADED, w, h, &v) < 0) {
            img_free(out);
            return -1;
        }
        int ox = (q & 1) * w, oy = (q >> 1) * h;
        for (int j = 0; j < h; j++) memcpy(out->rgb + 3 * ((size_t)(oy + j) * out->w + ox), v.rgb + 3 * (size_t)j * w, 3 * (size_t)w);
        img_free(&v);
    }
    /* separators */
    for (int j = 0; j < out->h; j++)
        for (int i = 0; i < out->w; i++)
            if (i == w || i == w - 1 || j == h || j == h - 1) memset(out->rgb + 3 * ((size_t)j * out->w + i), 200, 3);
    static const unsigned char grey[3] = {90, 90, 90};
    for (int q = 0; q < 4; q++) img_text(out, (q & 1) * w + 3 * k, (q >> 1) * h + 3 * k, k, grey, label[q]);
    return 0;
}
