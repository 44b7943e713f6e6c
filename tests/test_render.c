/* Tests of render.c: determinism, size, framing, known pixels of simple parts in each mode. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>

#include "geom/render.h"
#include "tf.h"
#include "base/util.h"

static void line(cad_model *m, double x1, double y1, double x2, double y2) {
    double p[4] = {x1, y1, x2, y2};
    cad_add_curve(m, CAD_LINE, p, 0);
}

/* box [0,a] x [0,b] x [0,c] */
static void box_mesh(double a, double b, double c, ms_mesh *out) {
    cad_model m;
    cad_init(&m);
    cad_plane pl;
    cad_plane_xy(&pl);
    line(&m, 0, 0, a, 0);
    line(&m, a, 0, a, b);
    line(&m, a, b, 0, b);
    line(&m, 0, b, 0, 0);
    int f = cad_add_face(&m, cad_add_loop(&m, 0, 4), 1);
    cad_add_extrude(&m, cad_add_sketch(&m, &pl, f, 1, 0), CAD_EXT_ONE, c, 0, CAD_NEW, 0);
    REQUIRE(ms_from_model(&m, 0, out) == 0);
    cad_free(&m);
}

/* a ramp: the XZ triangle (0,0) (40,0) (40,20) extruded 30 along -y (world y in [0, 30]) */
static void ramp_mesh(ms_mesh *out) {
    cad_model m;
    cad_init(&m);
    cad_plane pl;
    cad_plane_xz(&pl);
    line(&m, 0, 0, 40, 0);
    line(&m, 40, 0, 40, 20);
    line(&m, 40, 20, 0, 0);
    int f = cad_add_face(&m, cad_add_loop(&m, 0, 3), 1);
    cad_add_extrude(&m, cad_add_sketch(&m, &pl, f, 1, 0), CAD_EXT_ONE, -30, 0, CAD_NEW, 0);
    REQUIRE(ms_from_model(&m, 0, out) == 0);
    cad_free(&m);
}

static const unsigned char *px(const img_rgb *im, int x, int y) { return im->rgb + 3 * ((size_t)y * im->w + x); }

/* bounding rectangle of the pixels that differ from the background colour bg */
static void fg_rect(const img_rgb *im, unsigned char bg, int *x0, int *y0, int *x1, int *y1) {
    *x0 = *y0 = 1 << 30;
    *x1 = *y1 = -1;
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) {
            const unsigned char *c = px(im, x, y);
            if (c[0] == bg && c[1] == bg && c[2] == bg) continue;
            if (x < *x0) *x0 = x;
            if (x > *x1) *x1 = x;
            if (y < *y0) *y0 = y;
            if (y > *y1) *y1 = y;
        }
}

TEST(render_deterministic_bytes) {
    ms_mesh ms;
    ramp_mesh(&ms);
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/a.png", tf_tmpdir());
    snprintf(p2, sizeof p2, "%s/b.png", tf_tmpdir());
    for (int mode = 0; mode < 3; mode++) {
        img_rgb a, b;
        REQUIRE(rd_render(&ms, RD_ISO, (rd_mode)mode, 160, 120, &a) == 0);
        REQUIRE(rd_render(&ms, RD_ISO, (rd_mode)mode, 160, 120, &b) == 0);
        CHECK(memcmp(a.rgb, b.rgb, 160 * 120 * 3) == 0);
        REQUIRE(img_write_png(&a, p1) == 0);
        REQUIRE(img_write_png(&b, p2) == 0);
        size_t la, lb;
        char *fa = ut_read_file(p1, &la), *fb = ut_read_file(p2, &lb);
        REQUIRE(fa && fb);
        CHECK(la == lb && memcmp(fa, fb, la) == 0);
        free(fa);
        free(fb);
        img_free(&a);
        img_free(&b);
    }
    ms_free(&ms);
}

TEST(render_size_and_png_round_trip) {
    ms_mesh ms;
    box_mesh(10, 20, 5, &ms);
    img_rgb im;
    REQUIRE(rd_render(&ms, RD_FRONT, RD_SHADED, 123, 77, &im) == 0);
    CHECK(im.w == 123 && im.h == 77);
    char path[512];
    snprintf(path, sizeof path, "%s/f.png", tf_tmpdir());
    REQUIRE(img_write_png(&im, path) == 0);
    int w, h, n;
    unsigned char *back = stbi_load(path, &w, &h, &n, 3);
    REQUIRE(back);
    CHECK(w == 123 && h == 77);
    CHECK(memcmp(back, im.rgb, 123 * 77 * 3) == 0);
    stbi_image_free(back);
    img_free(&im);
    REQUIRE(rd_sheet(&ms, 100, 80, &im) == 0);
    CHECK(im.w == 200 && im.h == 160);
    img_free(&im);
    /* bad arguments: clean errors */
    CHECK(rd_render(&ms, RD_TOP, RD_SHADED, 0, 10, &im) == -1);
    CHECK(rd_render(&ms, (rd_view)9, RD_SHADED, 10, 10, &im) == -1);
    ms_mesh empty = {0};
    CHECK(rd_render(&empty, RD_TOP, RD_DEPTH, 10, 10, &im) == -1);
    CHECK(img_write_png(&im, path) == -1);
    ms_free(&ms);
}

TEST(render_framing_within_margins) {
    ms_mesh ms;
    ramp_mesh(&ms);
    for (int v = 0; v < 4; v++) {
        img_rgb im;
        int W = 200, H = 150, x0, y0, x1, y1;
        REQUIRE(rd_render(&ms, (rd_view)v, RD_SHADED, W, H, &im) == 0);
        fg_rect(&im, 255, &x0, &y0, &x1, &y1);
        int m = (int)(RD_MARGIN * H); /* 7 px */
        CHECK_MSG(x0 >= m - 1 && y0 >= m - 1 && x1 <= W - m && y1 <= H - m, "view %d: part at [%d,%d]x[%d,%d], margin %d", v, x0, x1, y0, y1, m);
        /* it touches the margins along the tighter direction */
        int touch_x = x0 <= m + 1 && x1 >= W - m - 2, touch_y = y0 <= m + 1 && y1 >= H - m - 2;
        CHECK_MSG(touch_x || touch_y, "view %d: part at [%d,%d]x[%d,%d] does not fill the frame", v, x0, x1, y0, y1);
        /* centred */
        CHECK(abs((x0 + x1) - (W - 1)) <= 2 && abs((y0 + y1) - (H - 1)) <= 2);
        /* corners are background */
        CHECK(px(&im, 0, 0)[0] == 255 && px(&im, W - 1, H - 1)[1] == 255);
        img_free(&im);
    }
    ms_free(&ms);
}

TEST(render_top_view_of_box_fills_rectangle) {
    ms_mesh ms;
    box_mesh(40, 20, 10, &ms);
    img_rgb im;
    REQUIRE(rd_render(&ms, RD_TOP, RD_DEPTH, 200, 200, &im) == 0);
    /* margin 10 px; scale min(180/40, 180/20) = 4.5 px/mm: x in [10, 190), y in [55, 145) */
    int bad_in = 0, bad_out = 0;
    for (int y = 0; y < 200; y++)
        for (int x = 0; x < 200; x++) {
            int fg = px(&im, x, y)[0] != 0;
            int inside = x >= 11 && x < 189 && y >= 56 && y < 144;
            int outside = x < 9 || x >= 191 || y < 54 || y >= 146;
            bad_in += inside && !fg;
            bad_out += outside && fg;
        }
    CHECK(bad_in == 0);
    CHECK(bad_out == 0);
    /* the top face is flat and the nearest: white */
    CHECK(px(&im, 100, 100)[0] == 255);
    img_free(&im);
    ms_free(&ms);
}

TEST(render_depth_monotonic_on_tilted_face) {
    ms_mesh ms;
    ramp_mesh(&ms);
    img_rgb im;
    REQUIRE(rd_render(&ms, RD_TOP, RD_DEPTH, 200, 200, &im) == 0);
    /* seen from the top the ramp's slope rises with x: nearer, so brighter, to the right */
    int y = 100, x0, y0, x1, y1;
    fg_rect(&im, 0, &x0, &y0, &x1, &y1);
    REQUIRE(x1 - x0 > 100);
    int prev = -1, rises = 0, falls = 0;
    for (int x = x0 + 2; x <= x1 - 2; x++) {
        int g = px(&im, x, y)[0];
        if (prev >= 0 && g > prev) rises++;
        if (prev >= 0 && g < prev) falls++;
        prev = g;
    }
    CHECK(falls == 0);
    CHECK(rises > 50);
    CHECK(px(&im, x1 - 2, y)[0] > 240 && px(&im, x0 + 2, y)[0] < 70);
    img_free(&im);
    ms_free(&ms);
}

static int count_colour(const img_rgb *im, int r, int g, int b) {
    int n = 0;
    for (int i = 0; i < im->w * im->h; i++) {
        const unsigned char *c = im->rgb + 3 * i;
        n += abs(c[0] - r) <= 1 && abs(c[1] - g) <= 1 && abs(c[2] - b) <= 1;
    }
    return n;
}

TEST(render_normal_colours_of_axis_faces) {
    ms_mesh ms;
    box_mesh(30, 30, 30, &ms);
    img_rgb im;
    int x0, y0, x1, y1;
    /* front view: the -y face looks at the viewer: view normal (0,0,1) */
    REQUIRE(rd_render(&ms, RD_FRONT, RD_NORMAL, 100, 100, &im) == 0);
    fg_rect(&im, 0, &x0, &y0, &x1, &y1);
    int area = (x1 - x0 + 1) * (y1 - y0 + 1);
    CHECK(count_colour(&im, 128, 128, 255) == area);
    img_free(&im);
    /* iso: top (+z), right (+x) and front (-y) faces, in equal shares */
    REQUIRE(rd_render(&ms, RD_ISO, RD_NORMAL, 120, 120, &im) == 0);
    double s2 = sqrt(0.5), s6 = 1 / sqrt(6.0), s3 = 1 / sqrt(3.0);
    int top = count_colour(&im, (int)lround(127.5), (int)lround(127.5 * (1 + 2 * s6)), (int)lround(127.5 * (1 + s3)));
    int right = count_colour(&im, (int)lround(127.5 * (1 + s2)), (int)lround(127.5 * (1 - s6)), (int)lround(127.5 * (1 + s3)));
    int front = count_colour(&im, (int)lround(127.5 * (1 - s2)), (int)lround(127.5 * (1 - s6)), (int)lround(127.5 * (1 + s3)));
    int bg = count_colour(&im, 0, 0, 0);
    CHECK(top > 2000 && right > 2000 && front > 2000);
    CHECK(abs(top - right) < 0.05 * top && abs(top - front) < 0.05 * top);
    CHECK(top + right + front + bg == 120 * 120);
    img_free(&im);
    ms_free(&ms);
}

TEST(render_shaded_has_lines_and_shades) {
    ms_mesh ms;
    box_mesh(30, 30, 30, &ms);
    img_rgb im;
    REQUIRE(rd_render(&ms, RD_ISO, RD_SHADED, 150, 150, &im) == 0);
    /* three visible faces with distinct grey levels, and dark line pixels on the edges */
    int dark = 0;
    for (int i = 0; i < im.w * im.h; i++) dark += im.rgb[3 * i] < 90;
    CHECK(dark > 150);
    const unsigned char *top = px(&im, 75, 30), *mid_left = px(&im, 50, 95), *mid_right = px(&im, 100, 95);
    CHECK(top[0] != mid_left[0] && mid_left[0] != mid_right[0] && top[0] != mid_right[0]);
    CHECK(top[0] < 250 && mid_left[0] < 250 && mid_right[0] < 250);
    /* the centre of the view is the box's near corner, drawn as a line (the three faces meet) */
    int cx = 0;
    for (int y = 70; y <= 80; y++) cx += px(&im, 75, y)[0] < 120;
    CHECK(cx >= 1);
    img_free(&im);
    ms_free(&ms);
}
