/* rewrite_verify.c - rp_verify (rewrite.h): the hard-coded and the rewritten program both run,
 * and their exact solids agree in IoU and bounding box. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cad/codewrite.h"
#include "cad/exec.h"
#include "data/rewrite.h"
#include "geom/solid.h"

#define RP_VOL_REL 1e-7 /* slack of the volume identities, relative to the larger volume */

static int rp_verify_fail(rp_reason *why, rp_reason r) {
    if (why) *why = r;
    return -1;
}

/* runs src into a built solid; NULL + ut_error() if it does not run */
static sd_solid *rp_verify_solid(const char *src, const char *name) {
    cad_model m;
    if (ex_run(src, strlen(src), name, NULL, &m)) return NULL;
    sd_solid *s = sd_build(&m);
    cad_free(&m);
    return s;
}

/* largest corner difference over the largest side of a's box; -1 if a box is empty */
static double rp_verify_bbox_err(const sd_solid *a, const sd_solid *b) {
    double alo[3], ahi[3], blo[3], bhi[3], size = 0, e = 0;
    if (sd_bbox(a, alo, ahi) || sd_bbox(b, blo, bhi)) return -1;
    for (int k = 0; k < 3; k++) {
        size = fmax(size, ahi[k] - alo[k]);
        e = fmax(e, fmax(fabs(alo[k] - blo[k]), fabs(ahi[k] - bhi[k])));
    }
    return size > 0 ? e / size : -1;
}

static double rp_verify_combined(const sd_solid *a, const sd_solid *b, cad_op op) {
    sd_solid *c = sd_combine(a, b, op);
    if (!c) return NAN;
    double v = sd_volume(c);
    sd_free(c);
    return v;
}

/* V(A n B) / (V(A) + V(B) - V(A n B)), V(A n B) from the INTERSECT solid. The section kernel can
 * misjudge curves of A and B that nearly coincide (closer than a rewrite's recognition tolerance
 * but farther than its own equality tolerance) and return too small an intersection. So an IoU
 * below RP_MIN_IOU is measured again from the differences, V(A n B) = V(A) - V(A \ B), which must
 * agree with V(B) - V(B \ A); and an intersection larger than either solid is never trusted.
 * NAN if the volumes are inconsistent. */
static double rp_verify_iou(const sd_solid *a, const sd_solid *b) {
    double va = sd_volume(a), vb = sd_volume(b), vi = rp_verify_combined(a, b, CAD_INTERSECT);
    double slack = RP_VOL_REL * fmax(va, vb), u = va + vb - vi;
    if (u > 0 && vi / u >= RP_MIN_IOU && vi <= fmin(va, vb) + slack) return vi / u;
    double dab = rp_verify_combined(a, b, CAD_CUT), dba = rp_verify_combined(b, a, CAD_CUT);
    if (!(fabs((va - dab) - (vb - dba)) <= slack)) return NAN;
    vi = va - dab;
    u = va + vb - vi;
    return u > 0 ? vi / u : NAN;
}

int rp_verify(const cad_model *m, const char *prog, rp_reason *why, double *iou) {
    if (iou) *iou = NAN;
    char *hard = cw_program(m);
    if (!hard) {
        ut_fail("the model cannot be written: %s", ut_error());
        return rp_verify_fail(why, RP_REWRITE_ERROR);
    }
    sd_solid *a = rp_verify_solid(hard, "hard-coded.lua");
    free(hard);
    if (!a) {
        ut_fail("the hard-coded program does not run: %s", ut_error());
        return rp_verify_fail(why, RP_ORIGINAL_ERROR);
    }
    sd_solid *b = rp_verify_solid(prog, "parametric.lua");
    if (!b) {
        sd_free(a);
        ut_fail("the parametric program does not run: %s", ut_error());
        return rp_verify_fail(why, RP_RUNS_ERROR);
    }
    int rc = 0;
    double be = rp_verify_bbox_err(a, b), v = NAN;
    if (!(be >= 0 && be <= RP_BBOX_REL)) {
        ut_fail("bounding boxes differ by %.3g of the part's size (allowed %g)", be, RP_BBOX_REL);
        rc = rp_verify_fail(why, RP_BBOX_MISMATCH);
    } else {
        v = rp_verify_iou(a, b);
        if (iou) *iou = v;
        if (isnan(v)) {
            ut_fail("the volumes of the two solids and of their intersection and differences are inconsistent");
            rc = rp_verify_fail(why, RP_VOLUME_MISMATCH);
        } else if (!(v >= RP_MIN_IOU)) {
            ut_fail("IoU %.9f is below %.6f", v, RP_MIN_IOU);
            rc = rp_verify_fail(why, RP_VOLUME_MISMATCH);
        }
    }
    sd_free(a);
    sd_free(b);
    if (rc == 0 && why) *why = RP_OK;
    return rc;
}
