/* Tests of the exact surface sampler (sd_sample_surface): every face of every solid gets its share
 * of the samples by area, whichever operation contributed the face (new, join, cut, intersect),
 * for parallel and non-parallel extrusions and tilted planes. Expected areas come from hand
 * formulas for simple parts and, for tilted ones, from the mesh once its volume is verified
 * against the kernel; real files are checked against area-weighted samples of their mesh. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "data/import.h"
#include "eval/metrics.h"
#include "geom/mesh.h"
#include "geom/solid.h"
#include "geom/validate.h"
#include "tf.h"

#define SP_PI 3.14159265358979323846

/* ---- model builders ---- */

static int sp_rect(cad_model *m, double x0, double y0, double x1, double y1) {
    double xy[8] = {x0, y0, x1, y0, x1, y1, x0, y1};
    int first = m->ncurves;
    for (int k = 0; k < 4; k++) {
        double p[4] = {xy[2 * k], xy[2 * k + 1], xy[(2 * k + 2) % 8], xy[(2 * k + 3) % 8]};
        cad_add_curve(m, CAD_LINE, p, 1);
    }
    return cad_add_loop(m, first, 4);
}

/* closed polygon loop through n points (x, y pairs) */
static int sp_poly(cad_model *m, const double *xy, int n) {
    int first = m->ncurves;
    for (int k = 0; k < n; k++) {
        double p[4] = {xy[2 * k], xy[2 * k + 1], xy[2 * ((k + 1) % n)], xy[2 * ((k + 1) % n) + 1]};
        cad_add_curve(m, CAD_LINE, p, 1);
    }
    return cad_add_loop(m, first, n);
}

static int sp_circle(cad_model *m, double cx, double cy, double r) {
    double p[3] = {cx, cy, r};
    return cad_add_loop(m, cad_add_curve(m, CAD_CIRCLE, p, 1), 1);
}

static void sp_extrude(cad_model *m, const cad_plane *pl, int loop, int nloops, double d1, cad_op op) {
    int f = cad_add_face(m, loop, nloops);
    int s = cad_add_sketch(m, pl, f, 1, 1);
    cad_add_extrude(m, s, CAD_EXT_ONE, d1, 0, op, 1);
}

static cad_plane sp_xy(double z) {
    cad_plane p;
    cad_plane_xy(&p);
    p.origin[2] = z;
    return p;
}

static sd_solid *sp_build(cad_model *m) {
    REQUIRE_MSG(va_validate(m) == 0, "validate: %s", ut_error());
    sd_solid *s = sd_build(m);
    REQUIRE_MSG(s != NULL, "build: %s", ut_error());
    return s;
}

/* ---- per-face shares against expected areas ---- */

/* a face of a hand-described solid: a plane (axis-aligned normal along +-axis at coordinate c,
   within the box lo..hi) or a cylinder wall (axis z through (cx, cy), radius r) */
typedef struct {
    const char *name;
    int axis, sign; /* plane: normal = sign * e_axis; 0 sign: cylinder */
    double c;       /* plane coordinate */
    double lo[3], hi[3];
    double cx, cy, r; /* cylinder (axis along z) */
    int hole;         /* cylinder: outward normal towards the axis */
    double area;
} sp_face;

static int sp_on_face(const sp_face *f, const double *p, const double *n, double eps) {
    for (int k = 0; k < 3; k++)
        if (p[k] < f->lo[k] - eps || p[k] > f->hi[k] + eps) return 0;
    if (f->sign) return fabs(p[f->axis] - f->c) <= eps && n[f->axis] * f->sign > 1 - 1e-9;
    double dx = p[0] - f->cx, dy = p[1] - f->cy, d = hypot(dx, dy);
    if (fabs(d - f->r) > eps) return 0;
    double radial = (n[0] * dx + n[1] * dy) / d;
    return f->hole ? radial < -1 + 1e-9 : radial > 1 - 1e-9;
}

/* samples n points, assigns each to exactly one face and compares the shares with the areas
   (binomial 5 sigma); the faces' areas must add up to the kernel's area */
static void sp_check_shares(const sd_solid *s, const sp_face *f, int nf, int n, double size) {
    double *p = malloc(sizeof(double) * 3 * n), *nn = malloc(sizeof(double) * 3 * n), total = 0;
    REQUIRE(sd_sample_surface(s, n, 5, p, nn) == n);
    int *cnt = calloc((size_t)nf, sizeof *cnt), none = 0, many = 0;
    for (int i = 0; i < n; i++) {
        int hits = 0;
        for (int k = 0; k < nf; k++)
            if (sp_on_face(&f[k], p + 3 * i, nn + 3 * i, 1e-9 * size)) cnt[k] += hits == 0, hits++;
        none += hits == 0;
        many += hits > 1;
    }
    CHECK_MSG(none == 0, "%d of %d samples on no listed face", none, n);
    CHECK_MSG(many == 0, "%d of %d samples on two faces", many, n);
    for (int k = 0; k < nf; k++) total += f[k].area;
    sd_props pr;
    REQUIRE(sd_mass_props(s, &pr) == 0);
    CHECK_REL(total, pr.area, 1e-9);
    for (int k = 0; k < nf; k++) {
        double want = f[k].area / total, got = (double)cnt[k] / n, sig = sqrt(want * (1 - want) / n);
        CHECK_MSG(fabs(got - want) <= 5 * sig + 1e-4, "face %s: share %.4f, area share %.4f (5 sigma %.4f)", f[k].name, got,
                  want, 5 * sig);
    }
    free(cnt);
    free(p);
    free(nn);
}

#define SP_PLANE(nm, ax, sg, cc, x0, y0, z0, x1, y1, z1, ar) \
    {.name = nm, .axis = ax, .sign = sg, .c = cc, .lo = {x0, y0, z0}, .hi = {x1, y1, z1}, .area = ar}
#define SP_CYL(nm, ccx, ccy, rr, z0, z1, h, ar) \
    {.name = nm, .lo = {-1e300, -1e300, z0}, .hi = {1e300, 1e300, z1}, .cx = ccx, .cy = ccy, .r = rr, .hole = h, .area = ar}

TEST(sample_pocket_faces_get_their_share) {
    /* block 50 x 50 x 10, pocket 30 x 30 x 4 cut from the top */
    cad_model m;
    cad_init(&m);
    cad_plane pl = sp_xy(0), top = sp_xy(10);
    sp_extrude(&m, &pl, sp_rect(&m, 0, 0, 50, 50), 1, 10, CAD_NEW);
    sp_extrude(&m, &top, sp_rect(&m, 10, 10, 40, 40), 1, -4, CAD_CUT);
    sd_solid *s = sp_build(&m);
    const sp_face f[] = {
        SP_PLANE("bottom", 2, -1, 0, 0, 0, 0, 50, 50, 0, 2500),
        SP_PLANE("top", 2, 1, 10, 0, 0, 10, 50, 50, 10, 2500 - 900),
        SP_PLANE("x=0", 0, -1, 0, 0, 0, 0, 0, 50, 10, 500),
        SP_PLANE("x=50", 0, 1, 50, 50, 0, 0, 50, 50, 10, 500),
        SP_PLANE("y=0", 1, -1, 0, 0, 0, 0, 50, 0, 10, 500),
        SP_PLANE("y=50", 1, 1, 50, 0, 50, 0, 50, 50, 10, 500),
        SP_PLANE("pocket floor", 2, 1, 6, 10, 10, 6, 40, 40, 6, 900),
        SP_PLANE("pocket x=10", 0, 1, 10, 10, 10, 6, 10, 40, 10, 120),
        SP_PLANE("pocket x=40", 0, -1, 40, 40, 10, 6, 40, 40, 10, 120),
        SP_PLANE("pocket y=10", 1, 1, 10, 10, 10, 6, 40, 10, 10, 120),
        SP_PLANE("pocket y=40", 1, -1, 40, 10, 40, 6, 40, 40, 10, 120),
    };
    sp_check_shares(s, f, (int)(sizeof f / sizeof *f), 40000, 70);
    sd_free(s);
    cad_free(&m);
}

TEST(sample_cut_hole_wall_gets_its_share) {
    /* plate 60 x 40 x 6 and a through hole r = 5 cut by a separate extrude longer than the plate */
    cad_model m;
    cad_init(&m);
    cad_plane pl = sp_xy(0), below = sp_xy(-2);
    sp_extrude(&m, &pl, sp_rect(&m, 0, 0, 60, 40), 1, 6, CAD_NEW);
    sp_extrude(&m, &below, sp_circle(&m, 30, 20, 5), 1, 10, CAD_CUT);
    sd_solid *s = sp_build(&m);
    double cap = 2400 - 25 * SP_PI;
    const sp_face f[] = {
        SP_PLANE("bottom", 2, -1, 0, 0, 0, 0, 60, 40, 0, cap),
        SP_PLANE("top", 2, 1, 6, 0, 0, 6, 60, 40, 6, cap),
        SP_PLANE("x=0", 0, -1, 0, 0, 0, 0, 0, 40, 6, 240),
        SP_PLANE("x=60", 0, 1, 60, 60, 0, 0, 60, 40, 6, 240),
        SP_PLANE("y=0", 1, -1, 0, 0, 0, 0, 60, 0, 6, 360),
        SP_PLANE("y=40", 1, 1, 40, 0, 40, 0, 60, 40, 6, 360),
        SP_CYL("hole wall", 30, 20, 5, 0, 6, 1, 2 * SP_PI * 5 * 6),
    };
    sp_check_shares(s, f, (int)(sizeof f / sizeof *f), 40000, 72);
    sd_free(s);
    cad_free(&m);
}

TEST(sample_join_and_intersect_faces_get_their_share) {
    /* join: an L of two boxes [0,20]x[0,10]x[0,5] and [0,10]x[0,10]x[5,15] (top of the first
       partly covered); intersect: box [0,10]^2 x [0,8] with a cylinder r = 4 about (5,5) z in [2,12] */
    cad_model m;
    cad_init(&m);
    cad_plane pl = sp_xy(0), up = sp_xy(5);
    sp_extrude(&m, &pl, sp_rect(&m, 0, 0, 20, 10), 1, 5, CAD_NEW);
    sp_extrude(&m, &up, sp_rect(&m, 0, 0, 10, 10), 1, 10, CAD_JOIN);
    sd_solid *s = sp_build(&m);
    const sp_face f[] = {
        SP_PLANE("bottom", 2, -1, 0, 0, 0, 0, 20, 10, 0, 200),
        SP_PLANE("step", 2, 1, 5, 10, 0, 5, 20, 10, 5, 100),
        SP_PLANE("top", 2, 1, 15, 0, 0, 15, 10, 10, 15, 100),
        SP_PLANE("x=0", 0, -1, 0, 0, 0, 0, 0, 10, 15, 150),
        SP_PLANE("x=20", 0, 1, 20, 20, 0, 0, 20, 10, 5, 50),
        SP_PLANE("x=10 (upper)", 0, 1, 10, 10, 0, 5, 10, 10, 15, 100),
        SP_PLANE("y=0", 1, -1, 0, 0, 0, 0, 20, 0, 15, 200),
        SP_PLANE("y=10", 1, 1, 10, 0, 10, 0, 20, 10, 15, 200),
    };
    sp_check_shares(s, f, (int)(sizeof f / sizeof *f), 30000, 30);
    sd_free(s);
    cad_free(&m);

    cad_init(&m);
    cad_plane lo = sp_xy(2);
    sp_extrude(&m, &pl, sp_rect(&m, 0, 0, 10, 10), 1, 8, CAD_NEW);
    sp_extrude(&m, &lo, sp_circle(&m, 5, 5, 4), 1, 10, CAD_INTERSECT);
    s = sp_build(&m);
    const sp_face g[] = {
        SP_PLANE("floor z=2", 2, -1, 2, 0, 0, 2, 10, 10, 2, 16 * SP_PI),
        SP_PLANE("top z=8", 2, 1, 8, 0, 0, 8, 10, 10, 8, 16 * SP_PI),
        SP_CYL("wall", 5, 5, 4, 2, 8, 0, 2 * SP_PI * 4 * 6),
    };
    sp_check_shares(s, g, 3, 30000, 15);
    sd_free(s);
    cad_free(&m);
}

TEST(sample_cut_from_another_direction_gets_its_share) {
    /* block [0,40] x [0,20] x [0,20] with a slot [10,30] (x) x [10,20] (z) cut through along y
       from an XZ sketch: the slot's floor and walls come from a prism of another direction */
    cad_model m;
    cad_init(&m);
    cad_plane pl = sp_xy(0), xz;
    cad_plane_xz(&xz); /* sketch x = world x, sketch y = world z */
    xz.origin[1] = -2;
    sp_extrude(&m, &pl, sp_rect(&m, 0, 0, 40, 20), 1, 20, CAD_NEW);
    double ny = xz.n[1]; /* the sketch normal's y component (+-1): world y = -2 + w ny */
    sp_extrude(&m, &xz, sp_rect(&m, 10, 10, 30, 25), 1, 24 * ny, CAD_CUT); /* y from -2 to 22 */
    sd_solid *s = sp_build(&m);
    const sp_face f[] = {
        SP_PLANE("bottom", 2, -1, 0, 0, 0, 0, 40, 20, 0, 800),
        SP_PLANE("top", 2, 1, 20, 0, 0, 20, 40, 20, 20, 800 - 400),
        SP_PLANE("x=0", 0, -1, 0, 0, 0, 0, 0, 20, 20, 400),
        SP_PLANE("x=40", 0, 1, 40, 40, 0, 0, 40, 20, 20, 400),
        SP_PLANE("y=0", 1, -1, 0, 0, 0, 0, 40, 0, 20, 800 - 200),
        SP_PLANE("y=20", 1, 1, 20, 0, 20, 0, 40, 20, 20, 800 - 200),
        SP_PLANE("slot floor", 2, 1, 10, 10, 0, 10, 30, 20, 10, 400),
        SP_PLANE("slot x=10", 0, 1, 10, 10, 0, 10, 10, 20, 20, 200),
        SP_PLANE("slot x=30", 0, -1, 30, 30, 0, 10, 30, 20, 20, 200),
    };
    sp_check_shares(s, f, (int)(sizeof f / sizeof *f), 40000, 50);
    sd_free(s);
    cad_free(&m);
}

/* ---- tilted planes: shares per plane against the mesh's areas per plane ---- */

typedef struct {
    double n[3], d, area;
    int cnt;
} sp_bin;

/* groups the mesh's triangles by their plane (unit normal, offset) */
static int sp_mesh_bins(const ms_mesh *ms, double size, sp_bin **out) {
    sp_bin *b = NULL;
    int nb = 0, cap = 0;
    for (int i = 0; i < ms->nt; i++) {
        const double *a = ms->v + 3 * ms->t[3 * i], *p = ms->v + 3 * ms->t[3 * i + 1], *c = ms->v + 3 * ms->t[3 * i + 2];
        double u[3] = {p[0] - a[0], p[1] - a[1], p[2] - a[2]}, w[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
        double n[3] = {u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]};
        double l = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
        if (!(l > 0)) continue;
        for (int k = 0; k < 3; k++) n[k] /= l;
        double d = n[0] * a[0] + n[1] * a[1] + n[2] * a[2];
        int j = 0;
        for (; j < nb; j++)
            if (b[j].n[0] * n[0] + b[j].n[1] * n[1] + b[j].n[2] * n[2] > 1 - 1e-9 && fabs(b[j].d - d) < 1e-7 * size) break;
        if (j == nb) {
            sp_bin *nw = UT_PUSH(b, nb, cap);
            memset(nw, 0, sizeof *nw);
            memcpy(nw->n, n, sizeof n);
            nw->d = d;
        }
        b[j].area += 0.5 * l;
    }
    *out = b;
    return nb;
}

/* n samples of the model's solid per plane of its (verified) mesh: every sample on one of the
   mesh's planes with that plane's normal, and each plane's share of samples its share of area */
static void sp_check_against_mesh(cad_model *m, int n) {
    sd_solid *s = sp_build(m);
    ms_mesh ms;
    ms_stats st;
    REQUIRE_MSG(ms_from_model_stats(m, 0, &ms, &st) == 0, "mesh: %s", ut_error());
    CHECK_REL(st.mesh_volume, st.exact_volume, MS_VOL_REL);
    double size = st.part_size, total = 0;
    sp_bin *b;
    int nb = sp_mesh_bins(&ms, size, &b), off = 0;
    for (int j = 0; j < nb; j++) total += b[j].area;
    double *p = malloc(sizeof(double) * 3 * n), *nn = malloc(sizeof(double) * 3 * n);
    REQUIRE(sd_sample_surface(s, n, 9, p, nn) == n);
    for (int i = 0; i < n; i++) {
        const double *q = p + 3 * i, *v = nn + 3 * i;
        int j = 0;
        for (; j < nb; j++)
            if (b[j].n[0] * v[0] + b[j].n[1] * v[1] + b[j].n[2] * v[2] > 1 - 1e-6 &&
                fabs(b[j].n[0] * q[0] + b[j].n[1] * q[1] + b[j].n[2] * q[2] - b[j].d) < 1e-6 * size)
                break;
        if (j < nb) b[j].cnt++;
        else off++;
    }
    CHECK_MSG(off <= n / 1000, "%d of %d samples on no plane of the mesh", off, n);
    int checked = 0;
    for (int j = 0; j < nb; j++) {
        double want = b[j].area / total, got = (double)b[j].cnt / n, sig = sqrt(want * (1 - want) / n);
        if (want < 0.01) continue; /* slivers of chamfered edges */
        checked++;
        /* 5 sigma, plus the mesh's own area error near edges (grid mesher: a few 1e-3) */
        CHECK_MSG(fabs(got - want) <= 5 * sig + 3e-3 * want + 1e-3, "plane n=(%.3f %.3f %.3f) d=%.3f: share %.4f, mesh area share %.4f",
                  b[j].n[0], b[j].n[1], b[j].n[2], b[j].d, got, want);
    }
    CHECK(checked >= 6);
    free(b);
    free(p);
    free(nn);
    ms_free(&ms);
    sd_free(s);
}

static cad_plane sp_tilted(const double o[3], const double x[3], const double nrm[3]) {
    cad_plane p;
    REQUIRE(cad_plane_make(&p, o, x, nrm) == 0);
    return p;
}

TEST(sample_tilted_cut_and_intersect_against_the_mesh) {
    /* a hexagonal prism cut by a triangle on a tilted plane */
    cad_model m;
    cad_init(&m);
    cad_plane pl = sp_xy(0);
    double hex[12];
    for (int k = 0; k < 6; k++) hex[2 * k] = 10 + 10 * cos(k * SP_PI / 3), hex[2 * k + 1] = 10 + 10 * sin(k * SP_PI / 3);
    sp_extrude(&m, &pl, sp_poly(&m, hex, 6), 1, 12, CAD_NEW);
    cad_plane t = sp_tilted((double[3]){10, 10, 14}, (double[3]){1, 0.3, 0}, (double[3]){0.2, -0.3, 1});
    double tri[6] = {-6, -5, 7, -4, 0, 8};
    sp_extrude(&m, &t, sp_poly(&m, tri, 3), 1, -9, CAD_CUT);
    sp_check_against_mesh(&m, 40000);
    cad_free(&m);
    /* a box intersected with a tilted square prism, then a join of a tilted block */
    cad_init(&m);
    sp_extrude(&m, &pl, sp_rect(&m, 0, 0, 20, 20), 1, 20, CAD_NEW);
    cad_plane u = sp_tilted((double[3]){10, 10, -5}, (double[3]){1, 0, 0.2}, (double[3]){-0.2, 0.1, 1});
    sp_extrude(&m, &u, sp_rect(&m, -7, -7, 7, 7), 1, 30, CAD_INTERSECT);
    cad_plane w = sp_tilted((double[3]){10, 10, 18}, (double[3]){0.3, 1, 0}, (double[3]){0.1, 0.1, 1});
    sp_extrude(&m, &w, sp_rect(&m, -3, -3, 3, 3), 1, 6, CAD_JOIN);
    sp_check_against_mesh(&m, 40000);
    cad_free(&m);
}

/* ---- what a Chamfer distance sees ---- */

static double sp_cd(const sd_solid *a, const sd_solid *b, uint64_t sa, uint64_t sb) {
    double cd;
    REQUIRE(mt_chamfer(a, b, MT_UNITCUBE, 8192, sa, sb, &cd) == 0);
    return cd;
}

TEST(sample_moved_pocket_is_seen_by_the_chamfer_distance) {
    /* block 60 x 40 x 12 with a 20 x 16 x 8 pocket; the same block with the pocket 4 mm further */
    sd_solid *s[2];
    cad_model m[2];
    for (int k = 0; k < 2; k++) {
        cad_init(&m[k]);
        cad_plane pl = sp_xy(0), top = sp_xy(12);
        sp_extrude(&m[k], &pl, sp_rect(&m[k], 0, 0, 60, 40), 1, 12, CAD_NEW);
        sp_extrude(&m[k], &top, sp_rect(&m[k], 10 + 4 * k, 12, 30 + 4 * k, 28), 1, -8, CAD_CUT);
        s[k] = sp_build(&m[k]);
    }
    double floor = 0.5 * (sp_cd(s[0], s[0], 1, 2) + sp_cd(s[1], s[1], 3, 4)), moved = sp_cd(s[0], s[1], 1, 4);
    fprintf(stderr, "    unitcube CD x1000: noise floor %.4f, pocket moved 4 mm %.4f (%.1fx)\n", 1e3 * floor, 1e3 * moved,
            moved / floor);
    CHECK(moved > 2 * floor);
    for (int k = 0; k < 2; k++) sd_free(s[k]), cad_free(&m[k]);
}

/* ---- real files: exact samples against area-weighted samples of the verified mesh ---- */

static int sp_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* CD of the exact samples against the mesh's samples, and against another exact stream, both
   in units of the part's size; 1 if measured (only parts with a cut or an intersect: the faces
   those contribute are the ones a sampler can miss) */
static int sp_file_cds(const char *path, double *cd_mesh, double *cd_floor) {
    cad_model m;
    if (im_load(path, NULL, &m, NULL) != 0) {
        cad_free(&m);
        ut_clear_error();
        return 0;
    }
    int tools = 0;
    for (int e = 0; e < m.nextrudes; e++) tools += m.extrudes[e].op == CAD_CUT || m.extrudes[e].op == CAD_INTERSECT;
    sd_solid *s = tools ? sd_build(&m) : NULL;
    ms_mesh ms;
    ms_stats st;
    int ok = s && ms_from_model_stats(&m, 0, &ms, &st) == 0;
    if (!ok) {
        sd_free(s);
        cad_free(&m);
        ut_clear_error();
        return 0;
    }
    enum { N = 8192 };
    double *a = malloc(sizeof(double) * 3 * N), *b = malloc(sizeof(double) * 3 * N), *c = malloc(sizeof(double) * 3 * N);
    ok = sd_sample_surface(s, N, 1, a, NULL) == N && sd_sample_surface(s, N, 2, b, NULL) == N &&
         ms_sample_surface(&ms, N, 3, c) == N;
    for (int i = 0; i < 3 * N; i++) a[i] /= st.part_size, b[i] /= st.part_size, c[i] /= st.part_size;
    if (ok) *cd_floor = mt_chamfer_points(a, N, b, N), *cd_mesh = mt_chamfer_points(a, N, c, N);
    free(a), free(b), free(c);
    ms_free(&ms);
    sd_free(s);
    cad_free(&m);
    return ok;
}

TEST(sample_real_files_match_their_mesh) {
    const char *sub[3] = {"deepcad", "fusion360", "deepcad_more"};
    int measured = 0;
    for (int d = 0; d < 3 && measured < 6; d++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/data/%s", tf_shared(), sub[d]);
        DIR *dp = opendir(dir);
        if (!dp) continue;
        char *names[512];
        int n = 0;
        for (struct dirent *e; (e = readdir(dp)) && n < 512;)
            if (strstr(e->d_name, ".json")) names[n++] = ut_strdup(e->d_name);
        closedir(dp);
        qsort(names, (size_t)n, sizeof *names, sp_cmp_str);
        for (int i = 0; i < n; i++) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            double cm, cf;
            if (measured < 6 && sp_file_cds(path, &cm, &cf)) {
                measured++;
                fprintf(stderr, "    %-40.40s CD(exact, mesh) %.3e  CD(exact, exact') %.3e  ratio %.3f\n", names[i], cm, cf,
                        cm / cf);
                /* the noise floor's spread between streams is a few percent */
                CHECK_MSG(cm < 1.15 * cf, "%s: CD against the mesh %.3e, noise floor %.3e", names[i], cm, cf);
            }
            free(names[i]);
        }
    }
    if (measured == 0) SKIP("no importable file with a cut or an intersect under %s/data", tf_shared());
    CHECK(measured >= 5);
}
