/* Tests of xcheck.c: recad's kernel against OpenCASCADE on every shared real file.
 * occt-draw is installed by the test setup (scripts/setup.sh --test): a missing interpreter is a
 * failure, not a skip. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/xcheck.h"
#include "tf.h"
#include "base/util.h"

/* ---- real data: both kernels on every shared file ---- */

/* files the importer must reject: the deliberately corrupt Fusion file, and files in which no
 * extrude has a profile */
static int expected_rejection(const char *path, const char *reason) {
    return strstr(path, "SingleSketchExtrude_Invalid.json") != NULL || strstr(reason, "no buildable extrude") != NULL;
}

TEST(xcheck_real_data_against_occt) {
    const char *dirs[3] = {"deepcad", "fusion360", "text2cad_minimal"};
    int ncmp = 0, nrej = 0;
    double max_vol = 0, max_box = 0, max_file = 0;
    for (int d = 0; d < 3; d++) {
        char dir[512], cmd[700], *ls = NULL;
        snprintf(dir, sizeof dir, "%s/data/%s", tf_shared(), dirs[d]);
        snprintf(cmd, sizeof cmd, "ls '%s' | grep '\\.json$'", dir);
        REQUIRE(tf_run_cmd(cmd, &ls) == 0);
        for (char *name = strtok(ls, "\n"); name; name = strtok(NULL, "\n")) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            xc_check c;
            if (xc_check_file(path, NULL, &c) != 0) {
                int ok = !strcmp(c.stage, "import") && expected_rejection(path, c.reason);
                CHECK_MSG(ok, "%s: %s failed: %s", path, c.stage, c.reason);
                nrej += ok;
                continue;
            }
            ncmp++;
            CHECK_MSG(c.vol_rel <= 5e-3, "%s: volume recad %.17g, OCCT %.17g", path, c.vol_ours, c.vol_occt);
            CHECK_MSG(c.bbox_diff <= 1e-6, "%s: boxes differ by %.3g of the part size", path, c.bbox_diff);
            CHECK_MSG(c.centroid_diff <= 1e-6, "%s: centroids differ by %.3g of the part size", path, c.centroid_diff);
            CHECK_MSG(c.inertia_diff <= 1e-6, "%s: inertia tensors differ by %.3g of the largest entry", path, c.inertia_diff);
            CHECK_MSG(c.occt_valid, "%s: OCCT's checkshape reports faults", path);
            /* the box stored in DeepCAD / Fusion files; an extrude without profiles still counts
             * in it (formats.md), so such files are only reported */
            if (c.has_file_bbox && c.skipped_empty == 0) {
                CHECK_MSG(c.file_bbox_diff <= 1e-6, "%s: OCCT box vs stored box: %.3g of the part size", path, c.file_bbox_diff);
                max_file = fmax(max_file, c.file_bbox_diff);
            }
            if (c.has_file_volume) CHECK_MSG(c.file_vol_rel <= 1e-6, "%s: stored volume differs by %.3g", path, c.file_vol_rel);
            max_vol = fmax(max_vol, c.vol_rel);
            max_box = fmax(max_box, c.bbox_diff);
        }
        free(ls);
    }
    fprintf(stderr, "    %d files compared, %d rejected as expected; max volume rel. diff %.2e, max box diff %.2e, "
                    "max stored-box diff %.2e\n", ncmp, nrej, max_vol, max_box, max_file);
    CHECK(ncmp >= 30); /* 22 DeepCAD + 15 Fusion + 4 Text2CAD files, minus the rejections */
}
