/* xcheck.h - cross-check of one data file: recad's kernel against OpenCASCADE.
 *
 * Imports a DeepCAD / Fusion 360 / Text2CAD JSON file (import.h), builds and measures it with
 * recad's kernel (solid.h: sd_build + sd_mass_props, best of 3 timed runs) and with OCCT
 * (occt.h: oc_measure), and compares. Relative differences are divided by OCCT's value; box and
 * centroid differences by the part's size (largest extent of OCCT's box). The comparison lives
 * here, apart from occt.h, so that the oracle itself depends on the CAD model alone and shares
 * no code with the importer or the kernel it checks.
 * docs/occt.md describes the bars and holds the measured per-file table.
 */
#ifndef RECAD_XCHECK_H
#define RECAD_XCHECK_H

#include "eval/occt.h"

typedef struct {
    int ok;            /* 1: both kernels built the part and the numbers below are set */
    char stage[16];    /* when not ok, the step that failed: "import", "recad" or "occt" */
    char reason[512];  /* and its error message */
    char format[16];   /* "deepcad", "fusion", "text2cad" */
    int nextrudes;     /* extrudes imported */
    int skipped_empty; /* extrudes without profiles the importer skipped (they still count in the
                          box stored in the file) */
    double vol_ours, vol_occt, vol_rel;    /* mm^3; |ours - occt| / occt */
    double area_ours, area_occt, area_rel; /* mm^2 */
    double size;                           /* mm */
    double bbox_diff;                      /* max corner-coordinate difference / size */
    double centroid_diff;                  /* max coordinate difference / size */
    double inertia_diff;                   /* max entry difference of the inertia tensors about
                                              the centroid / largest entry of OCCT's */
    int has_file_bbox;
    double file_bbox_diff;                 /* OCCT's box vs the box stored in the file, / size */
    int has_file_volume;
    double file_vol_rel;                   /* Fusion: OCCT's volume vs the stored volume */
    int occt_valid, occt_solids;
    double t_import, t_ours, t_occt;       /* seconds (wall) */
    double t_occt_cpu;                     /* seconds of CPU in the occt-draw process */
} xc_check;

/* 0 when both kernels measured the part; -1 + ut_error() (and out->stage / out->reason) when the
 * importer rejected the file or a kernel failed. opt (OCCT options) may be NULL. */
int xc_check_file(const char *path, const oc_options *opt, xc_check *out);

#endif
