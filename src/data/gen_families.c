/* gen_families.c - the part families of the generator (gen.h). Each builds its model in a world
 * frame whose base plane is XY (gen.c may then turn the part onto XZ / YZ) and records its
 * semantic parameters. Lengths in mm, angles in degrees. */
#include <math.h>
#include <string.h>

#include "data/gen_int.h"

static const double EX[3] = {1, 0, 0}, EY[3] = {0, 1, 0}, EZ[3] = {0, 0, 1}, NY[3] = {0, -1, 0};

static void pl_xy(cad_plane *p) { cad_plane_xy(p); }
static void pl_z(cad_plane *p, double z) { gn_plane(p, 0, 0, z, EX, EZ); }   /* XY lifted to z */
static void pl_y(cad_plane *p, double y) { gn_plane(p, 0, y, 0, EX, NY); }   /* XZ moved to y */
static void pl_x(cad_plane *p, double x) { gn_plane(p, x, 0, 0, EY, EX); }   /* YZ moved to x */

/* x0 of a span of length w: centred on 0 or starting at 0 (drawn once per part) */
static double gn_start(gn_ctx *c, double w) { return gn_chance(c, 0.5) ? -w / 2 : 0; }

/* one extrude of the sketch just built on plane pl */
static void one(gn_ctx *c, const cad_plane *pl, double t, cad_op op) {
    gn_extrude(c, gn_sketch_end(c, pl), CAD_EXT_ONE, t, 0, op);
}

/* a face that is one circle */
static void gn_disc(gn_ctx *c, double x, double y, double r) {
    gn_face_begin(c);
    gn_circle(c, x, y, r);
    gn_face_end(c);
}

/* ---- hole patterns ---- */

/* holes of diameter hd inside [x0,x1] x [y0,y1] at margin m from its sides, as loops of the open
 * face: 0 four corners, 1 a grid, 2 one centred, 3 a row along the long side; centres at least
 * pitch apart. Returns the count. */
static int gn_holes_rect(gn_ctx *c, double x0, double y0, double x1, double y1, double hd, double m, int pattern,
                         double pitch) {
    double w = x1 - x0, d = y1 - y0, r = hd / 2;
    int nx = 1, ny = 1;
    if (pattern == 0) nx = ny = 2;
    if (pattern == 1) nx = gn_int(c, 2, 4), ny = gn_int(c, 2, 3);
    if (pattern == 3) {
        if (w >= d) nx = gn_int(c, 2, 6);
        else ny = gn_int(c, 2, 6);
    }
    while (nx > 1 && (w - 2 * m) / (nx - 1) < pitch) nx--;
    while (ny > 1 && (d - 2 * m) / (ny - 1) < pitch) ny--;
    for (int i = 0; i < nx; i++)
        for (int j = 0; j < ny; j++) {
            double x = nx == 1 ? x0 + w / 2 : x0 + m + (w - 2 * m) * i / (nx - 1);
            double y = ny == 1 ? y0 + d / 2 : y0 + m + (d - 2 * m) * j / (ny - 1);
            gn_circle(c, x, y, r);
        }
    return nx * ny;
}

/* n holes of diameter hd on a circle of diameter pcd about (cx, cy) */
static void gn_bolt_circle(gn_ctx *c, double cx, double cy, double pcd, int n, double hd, double a0) {
    for (int i = 0; i < n; i++) {
        double a = a0 + 2 * M_PI * i / n;
        gn_circle(c, cx + pcd / 2 * cos(a), cy + pcd / 2 * sin(a), hd / 2);
    }
}

/* ---- plate: a (rounded) rectangular plate, with a hole pattern at F ---- */
static int fam_plate(gn_ctx *c, lv_level lv) {
    double w = gn_len(c, 20, 200), d = gn_len(c, 15, fmin(w, 150)), t = gn_thick(c, 1, fmin(20, d / 3));
    double r = gn_chance(c, 0.35) ? gn_len(c, 1, fmin(w, d) / 5) : 0;
    double x0 = gn_start(c, w), y0 = gn_start(c, d);
    cad_plane pl;
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_rrect(c, x0, y0, x0 + w, y0 + d, r);
    gn_num(c, "width", w), gn_num(c, "depth", d), gn_num(c, "thickness", t);
    if (r > 0) gn_num(c, "corner_radius", r);
    if (lv == LV_F) {
        double hd = gn_hole(c, 2, fmin(w, d) / 4);
        double m = gn_len(c, fmax(hd / 2 + 1.5, r), fmax(hd / 2 + 1.5, r) + fmin(w, d) / 6);
        int n = gn_holes_rect(c, x0, y0, x0 + w, y0 + d, hd, m, gn_int(c, 0, 3), hd + 2);
        gn_num(c, "hole_diameter", hd), gn_num(c, "hole_count", n), gn_num(c, "hole_margin", m);
    }
    gn_face_end(c);
    pl_xy(&pl);
    one(c, &pl, t, CAD_NEW);
    return 0;
}

/* ---- washer: a thin ring ---- */
static int fam_washer(gn_ctx *c, lv_level lv) {
    (void)lv;
    double id = gn_hole(c, 2, 40), od = gn_len(c, id * 1.6 + 2, id * 3 + 6), t = gn_thick(c, 0.5, fmin(5, od / 4));
    double cx = gn_chance(c, 0.8) ? 0 : gn_len(c, 5, 50);
    cad_plane pl;
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_circle(c, cx, 0, od / 2);
    gn_circle(c, cx, 0, id / 2);
    gn_face_end(c);
    pl_xy(&pl);
    one(c, &pl, t, CAD_NEW);
    gn_num(c, "outer_diameter", od), gn_num(c, "inner_diameter", id), gn_num(c, "thickness", t);
    return 0;
}

/* ---- spacer: a round or hexagonal standoff, solid (L) or bored (F) ---- */
static int fam_spacer(gn_ctx *c, lv_level lv) {
    double dia = gn_len(c, 5, 40), len = gn_len(c, 3, dia * 4);
    int hex = gn_chance(c, 0.3);
    cad_plane pl;
    gn_sketch_begin(c);
    gn_face_begin(c);
    if (hex) gn_ngon(c, 0, 0, dia / 2 / cos(M_PI / 6), 6, 0);
    else gn_circle(c, 0, 0, dia / 2);
    gn_word(c, "shape", hex ? "hexagonal" : "round");
    gn_num(c, hex ? "across_flats" : "diameter", dia), gn_num(c, "length", len);
    if (lv == LV_F) {
        double b = gn_hole(c, 1.5, dia * 0.6);
        gn_circle(c, 0, 0, b / 2);
        gn_num(c, "bore_diameter", b);
    }
    gn_face_end(c);
    pl_xy(&pl);
    one(c, &pl, len, CAD_NEW);
    return 0;
}

/* ---- tube: round or rectangular hollow section ---- */
static int fam_tube(gn_ctx *c, lv_level lv) {
    (void)lv;
    cad_plane pl;
    gn_sketch_begin(c);
    gn_face_begin(c);
    if (gn_chance(c, 0.6)) {
        double od = gn_len(c, 8, 120), wall = gn_thick(c, 0.5, od / 5), len = gn_len(c, od, 6 * od + 20);
        gn_circle(c, 0, 0, od / 2);
        gn_circle(c, 0, 0, od / 2 - wall);
        gn_word(c, "shape", "round");
        gn_num(c, "outer_diameter", od), gn_num(c, "wall", wall), gn_num(c, "length", len);
        gn_face_end(c);
        pl_xy(&pl);
        one(c, &pl, len, CAD_NEW);
        return 0;
    }
    double w = gn_len(c, 10, 120), h = gn_len(c, 10, 120), wall = gn_thick(c, 1, fmin(w, h) / 5);
    double len = gn_len(c, fmax(w, h), 400), r = gn_chance(c, 0.5) ? gn_len(c, wall + 0.5, wall * 3) : 0;
    double x0 = gn_start(c, w), y0 = gn_start(c, h);
    gn_rrect(c, x0, y0, x0 + w, y0 + h, r);
    gn_rrect(c, x0 + wall, y0 + wall, x0 + w - wall, y0 + h - wall, r > 0 ? r - wall : 0);
    gn_face_end(c);
    pl_xy(&pl);
    one(c, &pl, len, CAD_NEW);
    gn_word(c, "shape", "rectangular");
    gn_num(c, "width", w), gn_num(c, "height", h), gn_num(c, "wall", wall), gn_num(c, "length", len);
    return 0;
}

/* ---- flange: a disc with a bore and a bolt circle; at MSE with a hub joined on top ---- */
static int fam_flange(gn_ctx *c, lv_level lv) {
    static const int counts[] = {3, 4, 4, 6, 6, 8, 8, 10, 12};
    double D = gn_len(c, 40, 250), t = gn_thick(c, 3, fmin(30, D / 5));
    double bore = gn_len(c, D * 0.15, D * 0.4), hd = gn_hole(c, 3, D * 0.1);
    double lo = bore + 2 * hd + 4, hi = D - 2 * hd - 2;
    if (hi <= lo) return ut_fail("flange: no room for the bolt circle");
    double pcd = gn_len(c, lo, hi);
    int n = counts[gn_int(c, 0, 8)];
    while (n > 3 && pcd * sin(M_PI / n) < hd + 2) n--;
    double a0 = gn_chance(c, 0.5) ? 0 : M_PI / n;
    cad_plane pl;
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_circle(c, 0, 0, D / 2);
    gn_circle(c, 0, 0, bore / 2);
    gn_bolt_circle(c, 0, 0, pcd, n, hd, a0);
    gn_face_end(c);
    pl_xy(&pl);
    one(c, &pl, t, CAD_NEW);
    gn_num(c, "diameter", D), gn_num(c, "thickness", t), gn_num(c, "bore_diameter", bore);
    gn_num(c, "pcd", pcd), gn_num(c, "hole_count", n), gn_num(c, "hole_diameter", hd);
    if (lv != LV_MSE) return 0;
    double hub = gn_len(c, bore + 4, fmax(bore + 4.5, pcd - hd - 2)), hh = gn_len(c, 3, D / 2);
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_circle(c, 0, 0, hub / 2);
    gn_circle(c, 0, 0, bore / 2);
    gn_face_end(c);
    pl_z(&pl, t);
    one(c, &pl, hh, CAD_JOIN);
    gn_num(c, "hub_diameter", hub), gn_num(c, "hub_height", hh);
    return 0;
}

/* ---- bracket: an L section (L); at MSE with holes cut in its legs ---- */
static int fam_bracket(gn_ctx *c, lv_level lv) {
    double a = gn_len(c, 20, 120), b = gn_len(c, 15, 120), t = gn_thick(c, 1.5, fmin(12, fmin(a, b) / 4));
    double W = gn_len(c, 10, 100);
    double xy[12] = {0, 0, a, 0, a, t, t, t, t, b, 0, b};
    cad_plane pl;
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_poly(c, xy, 6, NULL);
    gn_face_end(c);
    pl_y(&pl, 0);
    one(c, &pl, W, CAD_NEW); /* XZ's normal is -y: the bracket spans y in [-W, 0] */
    gn_num(c, "base_length", a), gn_num(c, "height", b), gn_num(c, "thickness", t), gn_num(c, "width", W);
    if (lv != LV_MSE) return 0;
    double hd = gn_hole(c, 2, fmin(W / 3, (a - t) / 3));
    int n = W > 3 * hd + 8 && gn_chance(c, 0.6) ? 2 : 1;
    gn_sketch_begin(c);
    double x = t + (a - t) * gn_u(c, 0.45, 0.65);
    gn_disc(c, gn_round(c, x), n == 1 ? -W / 2 : -W / 4, hd / 2);
    if (n == 2) gn_disc(c, gn_round(c, x), -3 * W / 4, hd / 2);
    pl_xy(&pl);
    one(c, &pl, t, CAD_CUT);
    gn_num(c, "hole_diameter", hd), gn_num(c, "hole_count", n);
    if (b - t > 2 * hd + 4 && gn_chance(c, 0.6)) { /* the upright leg's holes, cut along +x */
        gn_sketch_begin(c);
        double z = t + (b - t) * gn_u(c, 0.45, 0.65);
        gn_disc(c, n == 1 ? -W / 2 : -W / 4, gn_round(c, z), hd / 2);
        if (n == 2) gn_disc(c, -3 * W / 4, gn_round(c, z), hd / 2);
        cad_plane_yz(&pl);
        one(c, &pl, t, CAD_CUT);
    }
    return 0;
}

/* ---- boss: a plate with cylindrical bosses joined on top, bored or not ---- */
static int fam_boss(gn_ctx *c, lv_level lv) {
    (void)lv;
    double w = gn_len(c, 30, 160), d = gn_len(c, 30, 160), t = gn_thick(c, 2, 15);
    double x0 = gn_start(c, w), y0 = gn_start(c, d);
    cad_plane pl;
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_rrect(c, x0, y0, x0 + w, y0 + d, gn_chance(c, 0.3) ? gn_len(c, 1, fmin(w, d) / 6) : 0);
    gn_face_end(c);
    pl_xy(&pl);
    one(c, &pl, t, CAD_NEW);
    int n = gn_chance(c, 0.6) ? 1 : gn_chance(c, 0.5) ? 2 : 4;
    double bd = gn_len(c, 6, fmin(w, d) / (n == 1 ? 2 : 3)), bh = gn_len(c, 3, 60);
    double hole = gn_chance(c, 0.6) ? gn_hole(c, 2, bd * 0.6) : 0;
    int blind = hole > 0 && gn_chance(c, 0.5); /* a hole in the boss only, or one through everything */
    double px[4], py[4];
    for (int i = 0; i < n; i++) {
        px[i] = n == 1 ? x0 + w / 2 : x0 + w * ((i % 2) ? 0.75 : 0.25);
        py[i] = n <= 2 ? y0 + d / 2 : y0 + d * ((i / 2) ? 0.75 : 0.25);
    }
    gn_sketch_begin(c);
    for (int i = 0; i < n; i++) {
        gn_face_begin(c);
        gn_circle(c, px[i], py[i], bd / 2);
        if (blind) gn_circle(c, px[i], py[i], hole / 2);
        gn_face_end(c);
    }
    pl_z(&pl, t);
    one(c, &pl, bh, CAD_JOIN);
    if (hole > 0 && !blind) { /* a through hole in each boss and the plate */
        gn_sketch_begin(c);
        for (int i = 0; i < n; i++) gn_disc(c, px[i], py[i], hole / 2);
        pl_xy(&pl);
        one(c, &pl, t + bh, CAD_CUT);
    }
    gn_num(c, "width", w), gn_num(c, "depth", d), gn_num(c, "thickness", t);
    gn_num(c, "boss_count", n), gn_num(c, "boss_diameter", bd), gn_num(c, "boss_height", bh);
    if (hole > 0) gn_num(c, "hole_diameter", hole);
    return 0;
}

/* ---- shaft: a rod (L) or coaxial steps joined on lifted planes (MSE) ---- */
static int fam_shaft(gn_ctx *c, lv_level lv) {
    cad_plane pl;
    double D = gn_len(c, 4, 80), L = gn_len(c, D, D * 8 + 10);
    if (lv != LV_MSE) {
        gn_sketch_begin(c);
        gn_face_begin(c);
        gn_circle(c, 0, 0, D / 2);
        gn_face_end(c);
        pl_xy(&pl);
        one(c, &pl, L, CAD_NEW);
        gn_num(c, "diameter", D), gn_num(c, "length", L);
        return 0;
    }
    int steps = gn_int(c, 2, 4);
    double z = 0, dia = D;
    for (int i = 0; i < steps; i++) {
        double len = gn_len(c, 3, fmax(6, L / steps));
        gn_sketch_begin(c);
        gn_face_begin(c);
        gn_circle(c, 0, 0, dia / 2);
        gn_face_end(c);
        if (i == 0) pl_xy(&pl);
        else pl_z(&pl, z);
        one(c, &pl, len, i == 0 ? CAD_NEW : CAD_JOIN);
        z += len;
        double nd = gn_len(c, dia * 0.5, dia * 0.9);
        dia = nd > 1 ? nd : dia;
    }
    if (gn_chance(c, 0.35)) { /* a centre bore from the bottom */
        double b = gn_hole(c, 1.5, D * 0.4);
        gn_sketch_begin(c);
        gn_face_begin(c);
        gn_circle(c, 0, 0, fmin(b, dia * 0.8) / 2);
        gn_face_end(c);
        pl_xy(&pl);
        one(c, &pl, gn_len(c, 2, z), CAD_CUT);
        gn_num(c, "bore_diameter", fmin(b, dia * 0.8));
    }
    gn_num(c, "diameter", D), gn_num(c, "steps", steps), gn_num(c, "length", z);
    return 0;
}

/* ---- slotted: a plate with obround slots (F) or a slot / groove cut into a block (MSE) ---- */
static int fam_slotted(gn_ctx *c, lv_level lv) {
    double w = gn_len(c, 30, 180), d = gn_len(c, 20, 120), t = gn_thick(c, 2, fmin(25, d / 3));
    double x0 = gn_start(c, w), y0 = gn_start(c, d);
    int n = gn_int(c, 1, 3);
    double sw = gn_len(c, 3, fmin(16, d / (2 * n + 1))), sl = gn_len(c, sw + 2, fmax(sw + 3, w * 0.6));
    cad_plane pl;
    pl_xy(&pl);
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_rect(c, x0, y0, x0 + w, y0 + d);
    if (lv != LV_MSE)
        for (int i = 0; i < n; i++) gn_obround(c, x0 + w / 2, y0 + d * (i + 1) / (n + 1), sl, sw, 0);
    gn_face_end(c);
    one(c, &pl, t, CAD_NEW);
    gn_num(c, "width", w), gn_num(c, "depth", d), gn_num(c, "thickness", t);
    gn_num(c, "slot_count", n), gn_num(c, "slot_width", sw), gn_num(c, "slot_length", sl);
    if (lv != LV_MSE) return 0;
    gn_sketch_begin(c);
    if (gn_chance(c, 0.5)) { /* slots cut through */
        for (int i = 0; i < n; i++) {
            gn_face_begin(c);
            gn_obround(c, x0 + w / 2, y0 + d * (i + 1) / (n + 1), sl, sw, 0);
            gn_face_end(c);
        }
        one(c, &pl, t, CAD_CUT);
        gn_word(c, "cut", "through slots");
    } else { /* a groove across the whole width, part depth, from the top */
        gn_face_begin(c);
        gn_rect(c, x0 - 1, y0 + d / 2 - sw / 2, x0 + w + 1, y0 + d / 2 + sw / 2);
        gn_face_end(c);
        double gd = gn_len(c, t * 0.2, t * 0.7);
        pl_z(&pl, t);
        one(c, &pl, -gd, CAD_CUT);
        gn_word(c, "cut", "groove");
        gn_num(c, "groove_depth", gd);
    }
    return 0;
}

/* ---- pocketed: a block with one or two rounded pockets cut from the top ---- */
static int fam_pocketed(gn_ctx *c, lv_level lv) {
    (void)lv;
    double w = gn_len(c, 30, 200), d = gn_len(c, 30, 150), h = gn_thick(c, 6, 60);
    double x0 = gn_start(c, w), y0 = gn_start(c, d), wall = gn_len(c, 2, fmin(w, d) / 5);
    cad_plane pl;
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_rect(c, x0, y0, x0 + w, y0 + d);
    gn_face_end(c);
    pl_xy(&pl);
    one(c, &pl, h, CAD_NEW);
    int n = gn_chance(c, 0.7) ? 1 : 2;
    double pw = (w - (n + 1) * wall) / n, pr = gn_chance(c, 0.7) ? gn_len(c, 1, fmin(pw, d - 2 * wall) / 4) : 0;
    if (pw < 4 || d - 2 * wall < 4) return ut_fail("pocketed: no room for the pocket");
    double depth = gn_len(c, h * 0.2, h * 0.8);
    gn_sketch_begin(c);
    for (int i = 0; i < n; i++) {
        gn_face_begin(c);
        double px = x0 + wall + i * (pw + wall);
        gn_rrect(c, px, y0 + wall, px + pw, y0 + d - wall, pr);
        gn_face_end(c);
    }
    pl_z(&pl, h);
    one(c, &pl, -depth, CAD_CUT);
    gn_num(c, "width", w), gn_num(c, "depth", d), gn_num(c, "height", h), gn_num(c, "wall", wall);
    gn_num(c, "pocket_count", n), gn_num(c, "pocket_depth", depth);
    if (pr > 0) gn_num(c, "pocket_corner_radius", pr);
    return 0;
}

/* ---- counterbored: a block with through holes and counterbores for socket-head screws ---- */
static int fam_counterbored(gn_ctx *c, lv_level lv) {
    (void)lv;
    static const double hole[] = {3.4, 4.5, 5.5, 6.6, 9, 11}, cb[] = {6.5, 8, 10, 11, 15, 18}, head[] = {3, 4, 5, 6, 8, 10};
    int k = gn_int(c, 0, 5);
    double w = gn_len(c, 4 * cb[k], 200), d = gn_len(c, 2.5 * cb[k], 120), h = gn_len(c, head[k] + 3, head[k] + 40);
    double x0 = gn_start(c, w), y0 = gn_start(c, d), m = gn_len(c, cb[k] / 2 + 2, cb[k] / 2 + 2 + d / 6);
    int pattern = gn_int(c, 0, 3), sep = gn_chance(c, 0.5), n;
    cad_plane pl;
    pl_xy(&pl);
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_rect(c, x0, y0, x0 + w, y0 + d);
    ut_rng save = c->rng;
    if (!sep) gn_holes_rect(c, x0, y0, x0 + w, y0 + d, hole[k], m, pattern, cb[k] + 2);
    gn_face_end(c);
    one(c, &pl, h, CAD_NEW);
    if (sep) { /* the through holes as their own cut */
        gn_sketch_begin(c);
        gn_face_begin(c);
        gn_holes_rect(c, x0, y0, x0 + w, y0 + d, hole[k], m, pattern, cb[k] + 2);
        gn_face_end(c);
        /* gn_holes_rect's circles are loops of one face here: split them into faces */
        int first = c->m->faces[c->m->nfaces - 1].first, nl = c->m->faces[c->m->nfaces - 1].n;
        c->m->nfaces--;
        for (int i = 0; i < nl; i++) cad_add_face(c->m, first + i, 1);
        one(c, &pl, h, CAD_CUT);
    }
    c->rng = save; /* the counterbores at the same places */
    gn_sketch_begin(c);
    int f0 = c->m->nloops;
    n = gn_holes_rect(c, x0, y0, x0 + w, y0 + d, cb[k], m, pattern, cb[k] + 2);
    for (int i = 0; i < n; i++) cad_add_face(c->m, f0 + i, 1);
    double cbd = gn_round(c, head[k] + 0.5);
    pl_z(&pl, h);
    one(c, &pl, -fmin(cbd, h - 1), CAD_CUT);
    gn_num(c, "width", w), gn_num(c, "depth", d), gn_num(c, "height", h), gn_num(c, "hole_diameter", hole[k]);
    gn_num(c, "counterbore_diameter", cb[k]), gn_num(c, "counterbore_depth", fmin(cbd, h - 1)), gn_num(c, "hole_count", n);
    return 0;
}

/* ---- rib: a base plate, an upright wall and triangular gussets between them ---- */
static int fam_rib(gn_ctx *c, lv_level lv) {
    (void)lv;
    double L = gn_len(c, 30, 200), W = gn_len(c, 20, 120), t = gn_thick(c, 2, 12), H = gn_len(c, 15, 120);
    double tw = gn_thick(c, 2, 12);
    cad_plane pl;
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_rect(c, 0, 0, L, W);
    gn_face_end(c);
    pl_xy(&pl);
    one(c, &pl, t, CAD_NEW);
    gn_sketch_begin(c); /* the wall on XZ, grown towards +y over the base's edge */
    gn_face_begin(c);
    gn_rect(c, 0, 0, L, H);
    gn_face_end(c);
    pl_y(&pl, 0);
    one(c, &pl, -tw, CAD_JOIN);
    int n = gn_int(c, 1, 3);
    double g = gn_len(c, fmin(W, H) * 0.3, fmin(W, H) * 0.8), tg = gn_thick(c, 1.5, fmin(tw, L / (2 * n + 1)));
    for (int i = 0; i < n; i++) {
        double x = n == 1 ? L / 2 : tg + (L - 2 * tg) * i / (n - 1);
        double xy[6] = {tw, t, fmin(W, tw + g), t, tw, fmin(H, t + g)};
        gn_sketch_begin(c);
        gn_face_begin(c);
        gn_poly(c, xy, 3, NULL);
        gn_face_end(c);
        pl_x(&pl, gn_round(c, x) > tg && gn_round(c, x) < L - tg ? gn_round(c, x) : x);
        gn_extrude(c, gn_sketch_end(c, &pl), CAD_EXT_SYM, tg, 0, CAD_JOIN);
    }
    gn_num(c, "length", L), gn_num(c, "width", W), gn_num(c, "thickness", t), gn_num(c, "wall_height", H);
    gn_num(c, "wall_thickness", tw), gn_num(c, "gusset_count", n), gn_num(c, "gusset_size", g);
    return 0;
}

/* ---- polygon: a regular polygon prism (L); with a round or polygonal hole (F) ---- */
static int fam_polygon(gn_ctx *c, lv_level lv) {
    static const int sides[] = {3, 5, 6, 6, 6, 8, 12};
    int n = sides[gn_int(c, 0, 6)];
    double af = gn_len(c, 6, 150), R = af / 2 / cos(M_PI / n), t = gn_thick(c, 1, af);
    double rot = gn_chance(c, 0.5) ? 0 : M_PI / n;
    cad_plane pl;
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_ngon(c, 0, 0, R, n, rot);
    gn_num(c, "sides", n), gn_num(c, "across_flats", af), gn_num(c, "thickness", t);
    if (lv == LV_F) {
        if (gn_chance(c, 0.7)) {
            double hd = gn_hole(c, 1.5, af * 0.7);
            gn_circle(c, 0, 0, hd / 2);
            gn_num(c, "hole_diameter", hd);
        } else {
            double a2 = gn_len(c, af * 0.3, af * 0.75);
            gn_ngon(c, 0, 0, a2 / 2 / cos(M_PI / n), n, rot);
            gn_num(c, "hole_across_flats", a2);
        }
    }
    gn_face_end(c);
    pl_xy(&pl);
    one(c, &pl, t, CAD_NEW);
    return 0;
}

/* ---- obround: a stadium-shaped plate or link (holes at both ends at F) ---- */
static int fam_obround(gn_ctx *c, lv_level lv) {
    double W = gn_len(c, 6, 60), L = gn_len(c, W + 4, W * 6), t = gn_thick(c, 1, fmax(1, W / 2));
    cad_plane pl;
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_obround(c, 0, 0, L, W, 0);
    gn_num(c, "length", L), gn_num(c, "width", W), gn_num(c, "thickness", t);
    if (lv == LV_F) {
        double hd = gn_hole(c, 1.5, fmin(W * 0.7, L - W - 1)), h = (L - W) / 2;
        if (gn_chance(c, 0.7)) {
            gn_circle(c, -h, 0, hd / 2), gn_circle(c, h, 0, hd / 2);
            gn_num(c, "hole_diameter", hd), gn_num(c, "hole_count", 2), gn_num(c, "hole_spacing", 2 * h);
        } else {
            gn_obround(c, 0, 0, fmax(hd + 1, L - W), hd, 0);
            gn_num(c, "slot_width", hd);
        }
    }
    gn_face_end(c);
    pl_xy(&pl);
    one(c, &pl, t, CAD_NEW);
    return 0;
}

/* ---- rounded: profiles with arc edges: a tab with a round end, a D shape, a big-radius rectangle ---- */
static int fam_rounded(gn_ctx *c, lv_level lv) {
    double w = gn_len(c, 15, 120), d = gn_len(c, 10, 100), t = gn_thick(c, 1, 20);
    double x0 = gn_start(c, w), y0 = gn_start(c, d);
    int kind = gn_int(c, 0, 2);
    double xy[8] = {x0, y0, x0 + w, y0, x0 + w, y0 + d, x0, y0 + d}, bulge[4] = {0};
    double hx = x0 + w / 2, hy = y0 + d / 2, room = fmin(w, d);
    cad_plane pl;
    gn_sketch_begin(c);
    gn_face_begin(c);
    if (kind == 0) { /* tab: the right end is a half circle */
        bulge[1] = 0.5, hx = x0 + w, hy = y0 + d / 2, room = d;
        gn_word(c, "shape", "tab");
        gn_poly(c, xy, 4, bulge);
    } else if (kind == 1) { /* D: one side bulges */
        bulge[gn_int(c, 0, 3)] = gn_u(c, 0.1, 0.45);
        gn_word(c, "shape", "D");
        gn_poly(c, xy, 4, bulge);
    } else {
        gn_word(c, "shape", "rounded rectangle");
        double r = gn_len(c, fmin(w, d) / 5, fmin(w, d) / 2);
        gn_num(c, "corner_radius", r);
        gn_rrect(c, x0, y0, x0 + w, y0 + d, r);
    }
    gn_num(c, "width", w), gn_num(c, "depth", d), gn_num(c, "thickness", t);
    if (lv == LV_F) {
        double hd = gn_hole(c, 1.5, room * 0.5);
        gn_circle(c, hx, hy, hd / 2);
        gn_num(c, "hole_diameter", hd);
    }
    gn_face_end(c);
    pl_xy(&pl);
    one(c, &pl, t, CAD_NEW);
    return 0;
}

/* one mirrored-pair shape about x = 0, on the right side at (x, y), size s: 0 rect, 1 triangle, 2 obround */
static void gn_mirror_shape(gn_ctx *c, int kind, double x, double y, double s, double s2, int side) {
    double m = side;
    if (kind == 0) gn_rect(c, m > 0 ? x : -x - s, y - s2 / 2, m > 0 ? x + s : -x, y + s2 / 2);
    else if (kind == 1) {
        double xy[6] = {m * x, y - s2 / 2, m * (x + s), y - s2 / 2, m * x, y + s2 / 2};
        if (m < 0) { /* keep the triangle counter-clockwise */
            double t0 = xy[2], t1 = xy[3];
            xy[2] = xy[4], xy[3] = xy[5], xy[4] = t0, xy[5] = t1;
        }
        gn_poly(c, xy, 3, NULL);
    } else gn_obround(c, m * (x + s / 2), y, s, fmin(s2, s * 0.8), 0);
}

/* ---- mirrored: a pair of features mirrored about the part's centre plane ---- */
static int fam_mirrored(gn_ctx *c, lv_level lv) {
    double w = gn_len(c, 40, 200), d = gn_len(c, 20, 140), t = gn_thick(c, 2, 20);
    int kind = gn_int(c, 0, 2), quad = gn_chance(c, 0.35);
    double gap = gn_len(c, 2, w / 6), s = gn_len(c, 4, w / 2 - gap - 4), s2 = gn_len(c, 4, d * (quad ? 0.35 : 0.6));
    double ys[2] = {0, 0};
    if (quad) ys[0] = -d / 4, ys[1] = d / 4;
    static const char *kinds[3] = {"rectangle", "triangle", "obround"};
    cad_plane pl;
    pl_xy(&pl);
    gn_word(c, "feature", kinds[kind]);
    gn_num(c, "feature_size", s), gn_num(c, "feature_count", quad ? 4 : 2), gn_num(c, "gap", 2 * gap);
    if (lv == LV_S) { /* the mirrored features are the part: separate faces of one sketch */
        gn_sketch_begin(c);
        for (int q = 0; q <= quad; q++)
            for (int side = -1; side <= 1; side += 2) {
                gn_face_begin(c);
                gn_mirror_shape(c, kind, gap, ys[q], s, s2, side);
                gn_face_end(c);
            }
        one(c, &pl, t, CAD_NEW);
        gn_num(c, "thickness", t);
        return 0;
    }
    gn_num(c, "width", w + 2 * 4), gn_num(c, "depth", d), gn_num(c, "thickness", t);
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_rect(c, -w / 2 - 4, -d / 2, w / 2 + 4, d / 2);
    if (lv == LV_F) /* mirrored cut-outs of one plate */
        for (int q = 0; q <= quad; q++)
            for (int side = -1; side <= 1; side += 2) gn_mirror_shape(c, kind, gap, ys[q], s, s2, side);
    gn_face_end(c);
    one(c, &pl, t, CAD_NEW);
    if (lv != LV_MSE) return 0;
    int cut = gn_chance(c, 0.5);
    double h = cut ? -gn_len(c, t * 0.2, t * 0.8) : gn_len(c, 2, 40);
    gn_sketch_begin(c);
    for (int q = 0; q <= quad; q++)
        for (int side = -1; side <= 1; side += 2) {
            gn_face_begin(c);
            gn_mirror_shape(c, kind, gap, ys[q], s, s2, side);
            gn_face_end(c);
        }
    pl_z(&pl, t);
    one(c, &pl, h, cut ? CAD_CUT : CAD_JOIN);
    gn_num(c, cut ? "pocket_depth" : "feature_height", fabs(h));
    return 0;
}

/* ---- pads: several separate equal pads in one sketch (a row or a grid) ---- */
static int fam_pads(gn_ctx *c, lv_level lv) {
    (void)lv;
    int nx = gn_int(c, 1, 4), ny = nx == 1 ? gn_int(c, 2, 3) : gn_int(c, 1, 2), kind = gn_int(c, 0, 3);
    double s = gn_len(c, 5, 40), pitch = gn_len(c, s + 2, s * 2.5 + 2), t = gn_thick(c, 1, 30);
    double hd = gn_chance(c, 0.35) ? gn_hole(c, 1.5, s * 0.5) : 0;
    static const char *kinds[4] = {"round", "square", "rounded square", "hexagonal"};
    cad_plane pl;
    gn_sketch_begin(c);
    for (int i = 0; i < nx; i++)
        for (int j = 0; j < ny; j++) {
            double x = i * pitch, y = j * pitch;
            gn_face_begin(c);
            if (kind == 0) gn_circle(c, x, y, s / 2);
            else if (kind == 3) gn_ngon(c, x, y, s / 2 / cos(M_PI / 6), 6, 0);
            else gn_rrect(c, x - s / 2, y - s / 2, x + s / 2, y + s / 2, kind == 2 ? s / 5 : 0);
            if (hd > 0) gn_circle(c, x, y, hd / 2);
            gn_face_end(c);
        }
    pl_xy(&pl);
    one(c, &pl, t, CAD_NEW);
    gn_word(c, "shape", kinds[kind]);
    gn_num(c, "pad_count", nx * ny), gn_num(c, "pad_size", s), gn_num(c, "pitch", pitch), gn_num(c, "thickness", t);
    if (hd > 0) gn_num(c, "hole_diameter", hd);
    return 0;
}

/* ---- section: an L, T, U, I or Z profile extruded to a length ---- */
static int fam_section(gn_ctx *c, lv_level lv) {
    (void)lv;
    double b = gn_len(c, 10, 100), h = gn_len(c, 10, 120), t = gn_thick(c, 1, fmin(b, h) / 4), L = gn_len(c, 20, 500);
    int kind = gn_int(c, 0, 4);
    static const char *kinds[5] = {"L", "T", "U", "I", "Z"};
    double m = b / 2 - t / 2, xy[24];
    int n = 0;
#define P(x, y) (xy[2 * n] = (x), xy[2 * n + 1] = (y), n++)
    switch (kind) {
    case 0: P(0, 0); P(b, 0); P(b, t); P(t, t); P(t, h); P(0, h); break;
    case 1: P(m, 0); P(m + t, 0); P(m + t, h - t); P(b, h - t); P(b, h); P(0, h); P(0, h - t); P(m, h - t); break;
    case 2: P(0, 0); P(b, 0); P(b, h); P(b - t, h); P(b - t, t); P(t, t); P(t, h); P(0, h); break;
    case 3: P(0, 0); P(b, 0); P(b, t); P(m + t, t); P(m + t, h - t); P(b, h - t); P(b, h); P(0, h); P(0, h - t); P(m, h - t); P(m, t); P(0, t); break;
    default: P(0, 0); P(b, 0); P(b, t); P(t, t); P(t, h); P(t - b, h); P(t - b, h - t); P(0, h - t); break;
    }
#undef P
    cad_plane pl;
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_poly(c, xy, n, NULL);
    gn_face_end(c);
    pl_xy(&pl);
    one(c, &pl, L, CAD_NEW);
    gn_word(c, "shape", kinds[kind]);
    gn_num(c, "flange_width", b), gn_num(c, "height", h), gn_num(c, "thickness", t), gn_num(c, "length", L);
    return 0;
}

/* ---- intersected: a block intersected with a side profile (rounded top, chamfers, wedge) ---- */
static int fam_intersected(gn_ctx *c, lv_level lv) {
    (void)lv;
    double w = gn_len(c, 20, 150), d = gn_len(c, 15, 120), h = gn_len(c, 10, 100);
    double x0 = gn_start(c, w);
    int kind = gn_int(c, 0, 2);
    static const char *kinds[3] = {"rounded top", "chamfered top", "wedge"};
    cad_plane pl;
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_rrect(c, x0, 0, x0 + w, d, gn_chance(c, 0.4) ? gn_len(c, 1, fmin(w, d) / 4) : 0);
    gn_face_end(c);
    pl_xy(&pl);
    one(c, &pl, h, CAD_NEW);
    double xy[12], bulge[6] = {0};
    int n = 0;
    double hs = gn_len(c, h * 0.4, h * 0.8), ch = gn_len(c, 1, fmin(w / 3, h - hs + 1));
#define P(x, y) (xy[2 * n] = (x), xy[2 * n + 1] = (y), n++)
    if (kind == 0) { P(x0, 0); P(x0 + w, 0); P(x0 + w, hs); P(x0, hs); bulge[2] = fmin(0.45, (h - hs) / w); }
    else if (kind == 1) { P(x0, 0); P(x0 + w, 0); P(x0 + w, h - ch); P(x0 + w - ch, h); P(x0 + ch, h); P(x0, h - ch); }
    else { P(x0, 0); P(x0 + w, 0); P(x0 + w, hs); P(x0, h); }
#undef P
    gn_sketch_begin(c);
    gn_face_begin(c);
    gn_poly(c, xy, n, bulge);
    gn_face_end(c);
    pl_y(&pl, d / 2);
    gn_extrude(c, gn_sketch_end(c, &pl), CAD_EXT_SYM, d + 2, 0, CAD_INTERSECT);
    gn_word(c, "shape", kinds[kind]);
    gn_num(c, "width", w), gn_num(c, "depth", d), gn_num(c, "height", h);
    return 0;
}

/* ---- random geometry outside any family ---- */

/* a random simple polygon about (cx, cy) within radius R, some edges arcs; fills xy/bulge and
 * returns the vertex count; holes of radius up to |*rin| about hc stay inside (*rin < 0: one only) */
static int gn_rand_poly(gn_ctx *c, double cx, double cy, double R, double *xy, double *bulge, double *rin,
                        double hc[2]) {
    int n;
    if (gn_chance(c, 0.5)) { /* star-shaped about the centre */
        n = gn_int(c, 3, 9);
        double rmin = R;
        for (int i = 0; i < n; i++) {
            double a = 2 * M_PI * (i + gn_u(c, -0.3, 0.3)) / n, r = R * gn_u(c, 0.6, 1);
            xy[2 * i] = cx + gn_round(c, r * cos(a)), xy[2 * i + 1] = cy + gn_round(c, r * sin(a));
            rmin = fmin(rmin, r);
        }
        for (int i = 0; i < n; i++) bulge[i] = gn_chance(c, 0.25) ? gn_u(c, -0.12, 0.3) : 0;
        *rin = 0.25 * rmin * cos(M_PI / n);
        hc[0] = cx, hc[1] = cy;
    } else { /* a skyline: a rectilinear outline whose top steps, some tops arcs */
        int k = gn_int(c, 1, 5);
        double x = cx - R, step = 2 * R / k, hmin = 2 * R, prev = -1;
        n = 0;
        xy[2 * n] = x, xy[2 * n + 1] = cy - R / 2, n++;
        xy[2 * n] = cx + R, xy[2 * n + 1] = cy - R / 2, n++;
        double hs[8];
        for (int i = 0; i < k; i++) {
            double hh;
            do hh = gn_round(c, R * gn_u(c, 0.3, 1.4)); while (hh == prev);
            hs[i] = prev = hh, hmin = fmin(hmin, hh);
        }
        for (int i = k - 1; i >= 0; i--) {
            double xr = gn_round(c, cx - R + step * (i + 1)), xl = gn_round(c, cx - R + step * i);
            if (i == k - 1) xr = cx + R;
            if (i == 0) xl = x;
            xy[2 * n] = xr, xy[2 * n + 1] = cy - R / 2 + hs[i], n++;
            xy[2 * n] = xl, xy[2 * n + 1] = cy - R / 2 + hs[i], n++;
        }
        for (int i = 0; i < n; i++) bulge[i] = 0;
        for (int i = 0; i < k; i++) /* a top edge i runs from vertex 2 + 2(k-1-i) */
            if (gn_chance(c, 0.3)) bulge[2 + 2 * (k - 1 - i)] = gn_u(c, 0.1, 0.35);
        *rin = fmin(hmin / 4, step / 4);
        hc[0] = cx, hc[1] = cy - R / 2 + hmin / 2; /* the middle of the bottom band */
        *rin = -*rin;
    }
    return n;
}

/* draws a random face at (cx, cy) of radius R into the open sketch; holes at F */
static void gn_rand_face(gn_ctx *c, double cx, double cy, double R, int holes) {
    double xy[2 * 20], bulge[20], rin, hc[2];
    int n = gn_rand_poly(c, cx, cy, R, xy, bulge, &rin, hc);
    int skyline = rin < 0;
    double hx = hc[0], hy = hc[1];
    rin = fabs(rin);
    gn_face_begin(c);
    gn_poly(c, xy, n, bulge);
    if (holes) {
        int nh = gn_int(c, 1, 3);
        double hr = fmax(0.25, gn_round(c, rin * gn_u(c, 0.5, 0.9)) / 2);
        if (nh == 1 || skyline) gn_circle(c, hx, hy, fmin(hr * 2, rin));
        else
            for (int i = 0; i < nh; i++) {
                double a = 2 * M_PI * i / nh;
                gn_circle(c, hx + 2 * rin * cos(a), hy + 2 * rin * sin(a), fmin(hr, rin * 0.8));
            }
    }
    gn_face_end(c);
}

static int fam_random(gn_ctx *c, lv_level lv) {
    cad_plane pl;
    pl_xy(&pl);
    double R = gn_len(c, 10, 80), t = gn_thick(c, 1, R);
    int nf = lv == LV_S ? gn_int(c, 2, 3) : 1;
    gn_sketch_begin(c);
    for (int i = 0; i < nf; i++) gn_rand_face(c, i * 2.6 * R, 0, R, lv == LV_F || (lv == LV_S && gn_chance(c, 0.3)));
    one(c, &pl, t, CAD_NEW);
    gn_num(c, "size", 2 * R), gn_num(c, "thickness", t), gn_num(c, "faces", nf);
    return 0;
}

/* a random extra feature on the part of size R and height h: join, cut or intersect */
static void gn_rand_feature(gn_ctx *c, double R, double *h, int allow_intersect) {
    static const double opw[3] = {0.5, 0.46, 0.04};
    int op = allow_intersect ? gn_pick(c, opw, 3) : gn_pick(c, opw, 2);
    cad_plane pl;
    double s = R * gn_u(c, 0.2, 0.6), x = gn_round(c, gn_u(c, -R, R) * 0.4), y = gn_round(c, gn_u(c, -R, R) * 0.4);
    if (op == 2 || gn_chance(c, 0.3)) { /* a side profile through the part, symmetric */
        int xz = gn_chance(c, 0.5);
        if (xz) pl_y(&pl, 0);
        else pl_x(&pl, 0);
        double top = op == 2 ? *h * gn_u(c, 0.5, 0.9) : *h * gn_u(c, 0.3, 1.3);
        double xy[8] = {-R * 1.1, -1, R * 1.1, -1, R * 1.1, gn_round(c, top), -R * 1.1, gn_round(c, top)}, b[4] = {0};
        gn_sketch_begin(c);
        if (op == 2) {
            b[2] = gn_u(c, 0, 0.2);
            gn_face_begin(c);
            gn_poly(c, xy, 4, b);
            gn_face_end(c);
        } else {
            gn_face_begin(c);
            if (gn_chance(c, 0.5)) gn_circle(c, x, gn_round(c, top * 0.5), fmax(1, gn_round(c, s / 2)));
            else gn_rect(c, x - gn_round(c, s), gn_round(c, top * 0.3), x + gn_round(c, s), gn_round(c, top));
            gn_face_end(c);
        }
        double th = op == 2 ? 2.4 * R : gn_round(c, R * gn_u(c, 0.2, 1.2)) + 1;
        gn_extrude(c, gn_sketch_end(c, &pl), CAD_EXT_SYM, th, 0, op == 2 ? CAD_INTERSECT : op == 1 ? CAD_CUT : CAD_JOIN);
        if (op == 0) *h = fmax(*h, top);
        return;
    }
    /* on the top face: a boss or a pocket */
    gn_sketch_begin(c);
    gn_face_begin(c);
    int shape = gn_int(c, 0, 2);
    if (shape == 0) gn_circle(c, x, y, fmax(1, gn_round(c, s / 2)));
    else if (shape == 1) gn_rrect(c, x - gn_round(c, s / 2) - 1, y - gn_round(c, s / 3) - 1, x + gn_round(c, s / 2) + 1, y + gn_round(c, s / 3) + 1, 0);
    else gn_ngon(c, x, y, fmax(1, gn_round(c, s / 2)), gn_int(c, 3, 8), 0);
    gn_face_end(c);
    pl_z(&pl, *h);
    double e = op == 1 ? -gn_round(c, *h * gn_u(c, 0.2, 0.9)) - 0.5 : gn_round(c, gn_u(c, 2, R)) + 1;
    one(c, &pl, e, op == 1 ? CAD_CUT : CAD_JOIN);
    if (op == 0) *h += e;
}

static int fam_random_multi(gn_ctx *c, lv_level lv) {
    (void)lv;
    static const double nw[4] = {0.55, 0.27, 0.11, 0.07}; /* 2, 3, 4, 5 extrudes */
    int n = 2 + gn_pick(c, nw, 4);
    double R = gn_len(c, 10, 80), h = gn_thick(c, 2, R);
    cad_plane pl;
    pl_xy(&pl);
    gn_sketch_begin(c);
    gn_rand_face(c, 0, 0, R, gn_chance(c, 0.3));
    one(c, &pl, h, CAD_NEW);
    for (int i = 1; i < n; i++) gn_rand_feature(c, R, &h, i == n - 1);
    gn_num(c, "size", 2 * R), gn_num(c, "extrudes", n);
    return 0;
}

#define L_ GN_BIT(LV_L)
#define F_ GN_BIT(LV_F)
#define S_ GN_BIT(LV_S)
#define M_ GN_BIT(LV_MSE)
const gn_family gn_families[] = {
    {"plate", L_ | F_, 0, fam_plate},
    {"washer", F_, 0, fam_washer},
    {"spacer", L_ | F_, 0, fam_spacer},
    {"tube", F_, 0, fam_tube},
    {"flange", F_ | M_, 0, fam_flange},
    {"bracket", L_ | M_, 0, fam_bracket},
    {"boss", M_, 0, fam_boss},
    {"shaft", L_ | M_, 0, fam_shaft},
    {"slotted", F_ | M_, 0, fam_slotted},
    {"pocketed", M_, 0, fam_pocketed},
    {"counterbored", M_, 0, fam_counterbored},
    {"rib", M_, 0, fam_rib},
    {"polygon", L_ | F_, 0, fam_polygon},
    {"obround", L_ | F_, 0, fam_obround},
    {"rounded", L_ | F_, 0, fam_rounded},
    {"mirrored", F_ | S_ | M_, 0, fam_mirrored},
    {"pads", S_, 0, fam_pads},
    {"section", L_, 0, fam_section},
    {"intersected", M_, 0, fam_intersected},
    {"random", L_ | F_ | S_, 1, fam_random},
    {"random_multi", M_, 1, fam_random_multi},
};
const int gn_nfamilies = (int)(sizeof gn_families / sizeof *gn_families);
