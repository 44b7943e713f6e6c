/* mt_sample.c - Chamfer distance of two solids: exact surface samples, protocol normalisation,
 * k-d tree distances (see metrics.h). */
#include <stdlib.h>

#include "eval/metrics.h"
#include "base/util.h"

/* samples n points of s and normalises them by the protocol */
static double *mt_cloud(const sd_solid *s, mt_protocol p, int n, uint64_t seed, const char *which) {
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
    double *a = mt_cloud(gt, p, npts, seed_gt, "ground-truth");
    if (!a) return -1;
    double *b = mt_cloud(pred, p, npts, seed_pred, "predicted");
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

