/* mesh_holes.c - scaling of the exact mesher with the number of holes.
 *
 *   make bench && build/bench/mesh_holes [N ...]      (default: 16 64 256)
 *
 * A 200 x 200 x 5 mm plate with N round holes on a jittered sqrt(N) x sqrt(N) grid (every hole at
 * its own x, the worst case for vertical slabs): prints triangles, meshing time (best of 3),
 * watertightness and the relative volume error against the exact volume. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "geom/mesh.h"
#include "base/util.h"

static void plate(cad_model *m, int n) {
    cad_plane pl;
    cad_plane_xy(&pl);
    double L = 200, r = 0.2 * L / ceil(sqrt(n));
    double sq[4][4] = {{0, 0, L, 0}, {L, 0, L, L}, {L, L, 0, L}, {0, L, 0, 0}};
    for (int i = 0; i < 4; i++) cad_add_curve(m, CAD_LINE, sq[i], 0);
    cad_add_loop(m, 0, 4);
    ut_rng g;
    ut_rng_seed(&g, 1);
    int k = (int)ceil(sqrt(n));
    for (int i = 0; i < n; i++) {
        double c[3] = {L * (i % k + 0.5 + 0.2 * ut_rng_uniform(&g)) / k, L * (i / k + 0.5 + 0.2 * ut_rng_uniform(&g)) / k, r};
        cad_add_loop(m, cad_add_curve(m, CAD_CIRCLE, c, 0), 1);
    }
    int f = cad_add_face(m, 0, n + 1);
    cad_add_extrude(m, cad_add_sketch(m, &pl, f, 1, 0), CAD_EXT_ONE, 5, 0, CAD_NEW, 0);
}

int main(int argc, char **argv) {
    int def[3] = {16, 64, 256}, nn = argc > 1 ? argc - 1 : 3;
    printf("| holes | triangles | mesh ms (best of 3) | watertight | rel. volume error |\n|---|---|---|---|---|\n");
    for (int i = 0; i < nn; i++) {
        int n = argc > 1 ? atoi(argv[i + 1]) : def[i];
        if (n < 1 || n > 100000) {
            fprintf(stderr, "mesh_holes: hole count must be in [1, 100000]\n");
            return 2;
        }
        cad_model m;
        cad_init(&m);
        plate(&m, n);
        double L = 200, r = 0.2 * L / ceil(sqrt(n)), exact = 5 * (L * L - n * M_PI * r * r), best = INFINITY;
        ms_mesh ms = {0};
        for (int rep = 0; rep < 3; rep++) {
            ms_free(&ms);
            double t0 = ut_now();
            if (ms_from_model(&m, 0, &ms) < 0) {
                fprintf(stderr, "mesh_holes: %s\n", ut_error());
                return 1;
            }
            best = fmin(best, ut_now() - t0);
        }
        printf("| %d | %d | %.1f | %s | %.1e |\n", n, ms.nt, 1e3 * best, ms_check_watertight(&ms) == 0 ? "yes" : "NO",
               (ms_volume(&ms) - exact) / exact);
        ms_free(&ms);
        cad_free(&m);
    }
    return 0;
}
