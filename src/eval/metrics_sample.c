/* mt_sample.c - Chamfer distance of two solids: exact surface samples, protocol normalisation,
 * k-d tree distances; prepared clouds (see metrics.h). */
#include <stdlib.h>
#include <string.h>

#include "eval/metrics.h"
#include "base/util.h"

/* samples n points of s and normalises them by the protocol */
static double *mt_sample_cloud(const sd_solid *s, mt_protocol p, int n, uint64_t seed, const char *which) {
    double lo[3], hi[3];
    if (sd_bbox(s, lo, hi) != 0) return ut_fail("%s solid is empty", which), NULL;
    double *pts = ut_malloc((size_t)n * 3 * sizeof *pts);
    if (sd_sample_surface(s, n, seed, pts, NULL) != n) {
        free(pts);
        return ut_fail("sampling the %s surface: %s", which, ut_error()), NULL;
    }
    mt_normalise_cloud(p, pts, n, lo, hi);
    return pts;
}

int mt_chamfer(const sd_solid *gt, const sd_solid *pred, mt_protocol p, int npts, uint64_t seed_gt,
               uint64_t seed_pred, double *cd) {
    if (npts <= 0) npts = mt_protocol_points(p);
    double *a = mt_sample_cloud(gt, p, npts, seed_gt, "ground-truth");
    if (!a) return -1;
    double *b = mt_sample_cloud(pred, p, npts, seed_pred, "predicted");
    if (!b) {
        free(a);
        return -1;
    }
    double v = mt_chamfer_points(a, npts, b, npts);
    free(a);
    free(b);
    if (v < 0) return -1;
    *cd = v;
    return 0;
}


int mt_cloud_build(const sd_solid *s, mt_protocol p, int npts, uint64_t seed, mt_cloud *out) {
    memset(out, 0, sizeof *out);
    if (npts <= 0) npts = mt_protocol_points(p);
    double *pts = mt_sample_cloud(s, p, npts, seed, "ground-truth");
    if (!pts) return -1;
    out->tree = kd_build(pts, npts);
    free(pts);
    if (!out->tree) return -1;
    out->protocol = p, out->n = npts;
    return 0;
}

void mt_cloud_free(mt_cloud *c) {
    kd_free(c->tree);
    memset(c, 0, sizeof *c);
}

int mt_chamfer_cloud(const mt_cloud *gt, const sd_solid *pred, uint64_t seed_pred, double *cd) {
    if (!gt->tree) return ut_fail("chamfer: the ground-truth cloud is empty");
    double *b = mt_sample_cloud(pred, gt->protocol, gt->n, seed_pred, "predicted");
    if (!b) return -1;
    double v = mt_chamfer_tree(gt->tree, b, gt->n);
    free(b);
    if (v < 0) return -1;
    *cd = v;
    return 0;
}
