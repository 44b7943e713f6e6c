/* trainimg.c - training pictures: render, augment, frame (see trainimg.h). */
#include "data/trainimg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "geom/render.h"
#include "geom/solid.h"

/* a user's picture and a training render are framed with the same margin */
_Static_assert(RD_MARGIN == PIC_MARGIN, "PIC_MARGIN must equal RD_MARGIN");

static const char *const ti_names[TI_NVIEWS] = {"sheet", "iso", "front", "top", "right"};

const char *ti_view_name(ti_view v) { return (unsigned)v < TI_NVIEWS ? ti_names[v] : "?"; }

int ti_view_parse(const char *s, ti_view *v) {
    for (int i = 0; i < TI_NVIEWS; i++)
        if (!strcmp(s, ti_names[i])) return *v = (ti_view)i, 0;
    return -1;
}

void ti_default_opts(ti_opts *o) {
    o->side = PIC_SIDE;
    o->augment = 1;
}

static double ti_uniform(ut_rng *r, double a, double b) { return a + (b - a) * ut_rng_uniform(r); }

/* 3x3 minimum (dark = 1), maximum (dark = 0) or binomial blur (2) of a picture, in place */
static void ti_filter(pic_gray *p, int kind) {
    int w = p->w, h = p->h;
    float *src = ut_malloc(sizeof(float) * (size_t)w * h);
    memcpy(src, p->v, sizeof(float) * (size_t)w * h);
    static const float bk[3] = {1, 2, 1};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float mn = 1, mx = 0, s = 0, ws = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    float v = xx >= 0 && yy >= 0 && xx < w && yy < h ? src[(size_t)yy * w + xx] : 1.0f;
                    mn = fminf(mn, v), mx = fmaxf(mx, v);
                    s += bk[dx + 1] * bk[dy + 1] * v, ws += bk[dx + 1] * bk[dy + 1];
                }
            p->v[(size_t)y * w + x] = kind == 0 ? mn : kind == 1 ? mx : s / ws;
        }
    free(src);
}

/* the grey render of one view at w x h (the sheet: four panels of w/2 x h/2) */
static int ti_raw(const ms_mesh *m, ti_view v, int w, int h, pic_gray *out) {
    img_rgb im;
    int rc = v == TI_SHEET ? rd_sheet(m, w / 2, h / 2, &im) : rd_render(m, (rd_view)(v - TI_ISO), RD_SHADED, w, h, &im);
    if (rc) return -1;
    pic_from_rgb(&im, out);
    img_free(&im);
    return 0;
}

int ti_render(const ms_mesh *m, ti_view v, const ti_opts *o, uint64_t seed, uint64_t index, pic_gray *out) {
    memset(out, 0, sizeof *out);
    if ((unsigned)v >= TI_NVIEWS) return ut_fail("unknown view %d", (int)v);
    int side = o->side;
    if (side < 8 || side > 1024) return ut_fail("picture side %d outside [8, 1024]", side);
    ut_rng r;
    ut_rng_seed(&r, seed ^ (0x9E3779B97F4A7C15ULL * (index + 1)) ^ ((uint64_t)v << 56));
    int w = 3 * side / 2, h = 3 * side / 2, line = -1;
    double margin = PIC_MARGIN, contrast = 1, gamma = 1;
    if (o->augment) {
        double big = side * ti_uniform(&r, 1.0, 1.5), aspect = exp(ti_uniform(&r, log(0.85), log(1.18)));
        w = (int)lround(aspect >= 1 ? big : big * aspect);
        h = (int)lround(aspect >= 1 ? big / aspect : big);
        double u = ut_rng_uniform(&r);
        line = u < 0.2 ? 0 : u < 0.4 ? 1 : u < 0.6 ? 2 : -1;
        if (v == TI_SHEET && line == 1) line = -1; /* thinning would erase the sheet's separators and labels */
        margin = PIC_MARGIN * ti_uniform(&r, 0.6, 1.8);
        contrast = ti_uniform(&r, 0.8, 1.1);
        gamma = exp(ti_uniform(&r, -0.2, 0.2));
    }
    if (w < 16) w = 16;
    if (h < 16) h = 16;
    pic_gray raw;
    if (ti_raw(m, v, w, h, &raw)) return -1;
    int rc = -1;
    if (line >= 0) { /* a thin part seen edge-on may vanish under the filter: then frame it unfiltered */
        pic_gray f;
        pic_init(&f, raw.w, raw.h, 1);
        memcpy(f.v, raw.v, sizeof(float) * (size_t)raw.w * raw.h);
        ti_filter(&f, line);
        rc = pic_frame(&f, side, margin, out);
        pic_free(&f);
    }
    if (rc) rc = pic_frame(&raw, side, margin, out);
    pic_free(&raw);
    if (rc) return -1;
    if (contrast != 1 || gamma != 1)
        for (size_t i = 0, n = (size_t)side * side; i < n; i++) {
            double x = 1 - contrast * (1 - out->v[i]);
            x = x <= 0 ? 0 : pow(x, gamma);
            out->v[i] = (float)(x > 1 ? 1 : x);
        }
    return 0;
}

int ti_mesh(const cad_model *m, ms_mesh *out) {
    memset(out, 0, sizeof *out);
    sd_solid *s = sd_build(m);
    double lo[3], hi[3], tol = MS_DEFAULT_TOL;
    if (!s) return ut_fail("the part gives no solid: %s", ut_error());
    if (!sd_bbox(s, lo, hi))
        tol = TI_MESH_TOL_REL * sqrt((hi[0] - lo[0]) * (hi[0] - lo[0]) + (hi[1] - lo[1]) * (hi[1] - lo[1]) +
                                     (hi[2] - lo[2]) * (hi[2] - lo[2]));
    sd_free(s);
    int rc = ms_from_model(m, tol, out);
    if (rc == MS_BAD_TOL) rc = ms_from_model(m, MS_DEFAULT_TOL, out);
    return rc ? ut_fail("the part gives no mesh: %s", ut_error()) : 0;
}

int ti_render_model(const cad_model *m, ti_view v, const ti_opts *o, uint64_t seed, uint64_t index, pic_gray *out) {
    memset(out, 0, sizeof *out);
    ms_mesh mesh = {0};
    if (ti_mesh(m, &mesh)) return -1;
    int rc = ti_render(&mesh, v, o, seed, index, out);
    ms_free(&mesh);
    return rc;
}
