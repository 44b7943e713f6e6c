/* xcheck.c - see xcheck.h. */
#include "eval/xcheck.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/import.h"
#include "geom/solid.h"
#include "base/util.h"

/* Largest difference of two boxes' corner coordinates. */
static double xc_box_diff(const double alo[3], const double ahi[3], const double blo[3], const double bhi[3]) {
    double d = 0;
    for (int k = 0; k < 3; k++) d = fmax(d, fmax(fabs(alo[k] - blo[k]), fabs(ahi[k] - bhi[k])));
    return d;
}

static int xc_fail(xc_check *c, const char *stage) {
    snprintf(c->stage, sizeof c->stage, "%s", stage);
    snprintf(c->reason, sizeof c->reason, "%s", ut_error());
    return -1;
}

/* Our kernel: build and measure, best of `reps` timed runs. */
static int xc_ours(const cad_model *m, int reps, sd_props *p, double *secs) {
    *secs = INFINITY;
    for (int r = 0; r < reps; r++) {
        double t0 = ut_now();
        sd_solid *s = sd_build(m);
        if (!s) return -1;
        int rc = sd_mass_props(s, p);
        sd_free(s);
        if (rc != 0) return -1;
        *secs = fmin(*secs, ut_now() - t0);
    }
    return 0;
}

int xc_check_file(const char *path, const oc_options *opt, xc_check *c) {
    memset(c, 0, sizeof *c);
    cad_model m;
    im_report rep;
    memset(&rep, 0, sizeof rep);
    double t0 = ut_now();
    int rc = im_load(path, NULL, &m, &rep);
    c->t_import = ut_now() - t0;
    snprintf(c->format, sizeof c->format, "%s", im_format_name(rep.format));
    if (rc != 0) {
        cad_free(&m);
        im_report_free(&rep);
        return xc_fail(c, "import");
    }
    c->skipped_empty = rep.skipped_empty;
    c->nextrudes = m.nextrudes;
    sd_props sp;
    oc_props op;
    if (xc_ours(&m, 3, &sp, &c->t_ours) != 0) {
        rc = xc_fail(c, "recad");
    } else if (oc_measure(&m, opt, &op) != 0) {
        rc = xc_fail(c, "occt");
    } else {
        c->vol_ours = sp.volume;
        c->vol_occt = op.volume;
        c->vol_rel = fabs(sp.volume - op.volume) / fabs(op.volume);
        c->area_ours = sp.area;
        c->area_occt = op.area;
        c->area_rel = fabs(sp.area - op.area) / fabs(op.area);
        c->size = 0;
        for (int k = 0; k < 3; k++) c->size = fmax(c->size, op.hi[k] - op.lo[k]);
        c->bbox_diff = xc_box_diff(sp.lo, sp.hi, op.lo, op.hi) / c->size;
        double cd = 0;
        for (int k = 0; k < 3; k++) cd = fmax(cd, fabs(sp.centroid[k] - op.centroid[k]));
        c->centroid_diff = cd / c->size;
        double id = 0, imax = 0;
        for (int k = 0; k < 9; k++) {
            id = fmax(id, fabs(sp.inertia[k] - op.inertia[k]));
            imax = fmax(imax, fabs(op.inertia[k]));
        }
        c->inertia_diff = imax > 0 ? id / imax : id;
        c->has_file_bbox = rep.has_bbox;
        if (rep.has_bbox) c->file_bbox_diff = xc_box_diff(rep.bbox_lo, rep.bbox_hi, op.lo, op.hi) / c->size;
        c->has_file_volume = rep.has_props;
        if (rep.has_props) c->file_vol_rel = fabs(rep.volume - op.volume) / fabs(op.volume);
        c->occt_valid = op.valid;
        c->occt_solids = op.nsolids;
        c->t_occt = op.seconds;
        c->t_occt_cpu = op.cpu_seconds;
        c->ok = 1;
    }
    cad_free(&m);
    im_report_free(&rep);
    return rc;
}
