/* mt_visual.c - visual similarity of two parts from their normal and depth renders.
 *
 * For each of the four standard views (iso, front, top, right), each part is rendered on its own
 * (the renderer frames every image on the part's bounding box, so position and size do not
 * matter; proportions and shape do) as a normal image and a depth image of size x size.
 * Foreground pixels are those that differ from the image's corner pixel (the background; the
 * framing leaves a margin). Normals are decoded as n = rgb / 127.5 - 1 (then made unit), depth
 * as the mean of the channels / 255. For a view, with Fa, Fb the foregrounds,
 * U = Fa u Fb and I = Fa n Fb:
 *     s_view = (1/|U|) * sum over I of [ 0.5 * max(0, na . nb) + 0.5 * (1 - |da - db|) ]
 * (pixels covered by only one part contribute 0; two empty views give 1). The similarity is the
 * mean of s_view over the views: 1 for identical parts, lower as the silhouettes, the surface
 * orientations or the depths differ, never below 0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geom/mesh.h"
#include "eval/metrics.h"
#include "geom/render.h"
#include "base/util.h"

#define MT_NVIEWS 4

struct mt_views {
    int size;
    img_rgb normal[MT_NVIEWS], depth[MT_NVIEWS];
};

static void mt_views_clear(mt_views *v) {
    for (int k = 0; k < MT_NVIEWS; k++) img_free(&v->normal[k]), img_free(&v->depth[k]);
}

static int mt_render_views(const cad_model *m, int size, mt_views *v, const char *which) {
    memset(v, 0, sizeof *v);
    v->size = size;
    ms_mesh mesh;
    memset(&mesh, 0, sizeof mesh);
    if (ms_from_model_rel(m, MT_VIS_TOL_REL, &mesh) != 0) {
        ms_free(&mesh);
        return ut_fail("meshing the %spart: %s", which, ut_error());
    }
    int rc = 0;
    for (int k = 0; k < MT_NVIEWS && rc == 0; k++)
        if (rd_render(&mesh, (rd_view)k, RD_NORMAL, size, size, &v->normal[k]) != 0 ||
            rd_render(&mesh, (rd_view)k, RD_DEPTH, size, size, &v->depth[k]) != 0)
            rc = ut_fail("rendering the %spart: %s", which, ut_error());
    ms_free(&mesh);
    return rc;
}

static int mt_is_fg(const img_rgb *im, int i) {
    const unsigned char *p = im->rgb + 3 * i, *bg = im->rgb;
    return p[0] != bg[0] || p[1] != bg[1] || p[2] != bg[2];
}

static void mt_normal_at(const img_rgb *im, int i, double n[3]) {
    double len = 0;
    for (int c = 0; c < 3; c++) n[c] = im->rgb[3 * i + c] / 127.5 - 1.0, len += n[c] * n[c];
    len = sqrt(len);
    for (int c = 0; c < 3; c++) n[c] = len > 0 ? n[c] / len : 0;
}

static double mt_depth_at(const img_rgb *im, int i) {
    return (im->rgb[3 * i] + im->rgb[3 * i + 1] + im->rgb[3 * i + 2]) / (3 * 255.0);
}

static double mt_view_similarity(const img_rgb *na, const img_rgb *da, const img_rgb *nb, const img_rgb *db) {
    int npx = na->w * na->h;
    long uni = 0;
    double sum = 0;
    for (int i = 0; i < npx; i++) {
        int fa = mt_is_fg(da, i) || mt_is_fg(na, i), fb = mt_is_fg(db, i) || mt_is_fg(nb, i);
        if (!fa && !fb) continue;
        uni++;
        if (!(fa && fb)) continue;
        double a[3], b[3];
        mt_normal_at(na, i, a);
        mt_normal_at(nb, i, b);
        double cosv = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
        sum += 0.5 * (cosv > 0 ? cosv : 0) + 0.5 * (1 - fabs(mt_depth_at(da, i) - mt_depth_at(db, i)));
    }
    return uni > 0 ? sum / uni : 1.0;
}

double mt_visual_compare(const mt_views *a, const mt_views *b) {
    if (a->size != b->size) return NAN;
    double s = 0;
    for (int k = 0; k < MT_NVIEWS; k++)
        s += mt_view_similarity(&a->normal[k], &a->depth[k], &b->normal[k], &b->depth[k]);
    return s / MT_NVIEWS;
}

mt_views *mt_views_render(const cad_model *m, int size) {
    mt_views *v = ut_malloc(sizeof *v);
    if (mt_render_views(m, size <= 0 ? MT_VIS_SIZE : size, v, "") != 0) {
        mt_views_free(v);
        return NULL;
    }
    return v;
}

void mt_views_free(mt_views *v) {
    if (!v) return;
    mt_views_clear(v);
    free(v);
}

int mt_visual_similarity(const cad_model *a, const cad_model *b, int size, double *sim) {
    if (size <= 0) size = MT_VIS_SIZE;
    mt_views va, vb;
    if (mt_render_views(a, size, &va, "first ") != 0) {
        mt_views_clear(&va);
        return -1;
    }
    if (mt_render_views(b, size, &vb, "second ") != 0) {
        mt_views_clear(&va), mt_views_clear(&vb);
        return -1;
    }
    *sim = mt_visual_compare(&va, &vb);
    mt_views_clear(&va), mt_views_clear(&vb);
    return 0;
}
