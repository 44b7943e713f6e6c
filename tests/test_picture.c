/* test_picture.c - pictures from outside (base/picture.h): PNG / JPEG reading, the canonical
 * framing (a render, its PNG, a shifted / scaled / padded copy, a JPEG, a dark screenshot frame
 * alike), and clear errors for bad files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image_write.h>

#include "base/picture.h"
#include "base/util.h"
#include "cad/exec.h"
#include "geom/render.h"
#include "tf.h"

/* an L-shaped bracket with two holes: not symmetric, so a wrong flip or shift shows */
static const char *tp_prog =
    "local p = Loop(Line(0,0, 60,0), Line(60,0, 60,12), Line(60,12, 14,12), Line(14,12, 14,40),\n"
    "              Line(14,40, 0,40), Line(0,40, 0,0))\n"
    "Extrude(Sketch(XY, Face(p, Loop(Circle(45,6,3)), Loop(Circle(7,30,3)))), 8, 'new')\n";

static void tp_mesh(ms_mesh *mesh) {
    ex_limits lim;
    ex_default_limits(&lim);
    cad_model m;
    REQUIRE_MSG(ex_run(tp_prog, strlen(tp_prog), "bracket", &lim, &m) == 0, "%s", ut_error());
    REQUIRE(ms_from_model(&m, MS_DEFAULT_TOL, mesh) == 0);
    cad_free(&m);
}

static void tp_render(int w, int h, pic_gray *g) {
    ms_mesh mesh = {0};
    tp_mesh(&mesh);
    img_rgb im;
    REQUIRE(rd_render(&mesh, RD_ISO, RD_SHADED, w, h, &im) == 0);
    REQUIRE(pic_from_rgb(&im, g) == 0);
    img_free(&im);
    ms_free(&mesh);
}

static void tp_write(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    if (n) REQUIRE(fwrite(data, 1, n, f) == n);
    fclose(f);
}

/* 8-bit grey bytes of a picture */
static unsigned char *tp_bytes(const pic_gray *p) {
    unsigned char *g = malloc((size_t)p->w * p->h);
    for (size_t i = 0; i < (size_t)p->w * p->h; i++) g[i] = (unsigned char)(p->v[i] * 255 + 0.5f);
    return g;
}

TEST(picture_render_png_roundtrip_frames_to_the_same_pixels) {
    pic_gray g, f1, f2, back;
    tp_render(240, 180, &g);
    img_rgb im;
    {
        ms_mesh mesh = {0};
        tp_mesh(&mesh);
        REQUIRE(rd_render(&mesh, RD_ISO, RD_SHADED, 240, 180, &im) == 0);
        ms_free(&mesh);
    }
    char path[600];
    snprintf(path, sizeof path, "%s/render.png", tf_tmpdir());
    REQUIRE(img_write_png(&im, path) == 0);
    img_free(&im);
    REQUIRE_MSG(pic_read(path, &back) == 0, "%s", ut_error());
    CHECK(back.w == 240 && back.h == 180);
    CHECK(pic_mean_abs_diff(&back, &g) == 0); /* the same luma rule, bit for bit */
    REQUIRE(pic_frame(&g, PIC_SIDE, PIC_MARGIN, &f1) == 0);
    REQUIRE_MSG(pic_load_framed(path, PIC_SIDE, &f2) == 0, "%s", ut_error());
    CHECK(f1.w == PIC_SIDE && f1.h == PIC_SIDE);
    CHECK(pic_mean_abs_diff(&f1, &f2) == 0);
    /* framed: the content's longer side spans side * (1 - 2 margin) pixels, centred */
    int box[4];
    REQUIRE(pic_content_box(&f1, box) == 0);
    int lw = box[2] - box[0], lh = box[3] - box[1], l = lw > lh ? lw : lh;
    CHECK_NEAR(l, PIC_SIDE * (1 - 2 * PIC_MARGIN), 2);
    CHECK_NEAR(box[0] + box[2], PIC_SIDE, 2);
    CHECK_NEAR(box[1] + box[3], PIC_SIDE, 2);
    /* the picture is not blank or trivial: it has ink and white */
    double ink = 0;
    for (int i = 0; i < PIC_SIDE * PIC_SIDE; i++) ink += f1.v[i] < 0.9;
    CHECK(ink > 0.1 * PIC_SIDE * PIC_SIDE && ink < 0.8 * PIC_SIDE * PIC_SIDE);
    pic_free(&g), pic_free(&f1), pic_free(&f2), pic_free(&back);
}

TEST(picture_shifted_scaled_padded_copies_frame_alike) {
    pic_gray a, b, fa, fb, pad;
    tp_render(200, 200, &a);
    tp_render(330, 250, &b); /* the same view, larger and wider */
    /* b pasted off-centre into a larger white canvas */
    REQUIRE(pic_init(&pad, 600, 420, 1) == 0);
    for (int y = 0; y < b.h; y++)
        for (int x = 0; x < b.w; x++) pad.v[(size_t)(y + 131) * pad.w + x + 37] = b.v[(size_t)y * b.w + x];
    REQUIRE(pic_frame(&a, PIC_SIDE, PIC_MARGIN, &fa) == 0);
    REQUIRE(pic_frame(&pad, PIC_SIDE, PIC_MARGIN, &fb) == 0);
    double d = pic_mean_abs_diff(&fa, &fb);
    CHECK_MSG(d < 0.03, "mean difference %.4f", d);
    /* against a different part view the difference is much larger */
    pic_gray c, fc;
    {
        ms_mesh mesh = {0};
        tp_mesh(&mesh);
        img_rgb im;
        REQUIRE(rd_render(&mesh, RD_FRONT, RD_SHADED, 200, 200, &im) == 0);
        pic_from_rgb(&im, &c);
        img_free(&im);
        ms_free(&mesh);
    }
    REQUIRE(pic_frame(&c, PIC_SIDE, PIC_MARGIN, &fc) == 0);
    CHECK_MSG(pic_mean_abs_diff(&fa, &fc) > 3 * d, "%.4f vs %.4f", pic_mean_abs_diff(&fa, &fc), d);
    pic_free(&a), pic_free(&b), pic_free(&fa), pic_free(&fb), pic_free(&pad), pic_free(&c), pic_free(&fc);
}

typedef struct {
    unsigned char *p;
    size_t n;
} tp_buf;

static void tp_sink(void *ctx, void *data, int size) {
    tp_buf *b = ctx;
    b->p = realloc(b->p, b->n + (size_t)size);
    memcpy(b->p + b->n, data, (size_t)size);
    b->n += (size_t)size;
}

TEST(picture_jpeg_and_dark_background_frame_alike) {
    pic_gray g, fg, fj, fd, j, dark;
    tp_render(256, 256, &g);
    REQUIRE(pic_frame(&g, PIC_SIDE, PIC_MARGIN, &fg) == 0);
    unsigned char *bytes = tp_bytes(&g);
    tp_buf jb = {0};
    REQUIRE(stbi_write_jpg_to_func(tp_sink, &jb, g.w, g.h, 1, bytes, 85));
    REQUIRE_MSG(pic_decode(jb.p, jb.n, "render.jpg", &j) == 0, "%s", ut_error());
    REQUIRE(pic_frame(&j, PIC_SIDE, PIC_MARGIN, &fj) == 0);
    double d = pic_mean_abs_diff(&fg, &fj);
    CHECK_MSG(d < 0.02, "JPEG: mean difference %.4f", d);
    /* a dark-background screenshot: light lines and faces on near-black, slightly grey */
    REQUIRE(pic_init(&dark, g.w + 40, g.h + 10, 0.08f) == 0);
    for (int y = 0; y < g.h; y++)
        for (int x = 0; x < g.w; x++) dark.v[(size_t)(y + 5) * dark.w + x + 30] = 0.08f + 0.92f * (1 - g.v[(size_t)y * g.w + x]);
    REQUIRE(pic_frame(&dark, PIC_SIDE, PIC_MARGIN, &fd) == 0);
    d = pic_mean_abs_diff(&fg, &fd);
    CHECK_MSG(d < 0.03, "dark: mean difference %.4f", d);
    free(bytes), free(jb.p);
    pic_free(&g), pic_free(&fg), pic_free(&fj), pic_free(&fd), pic_free(&j), pic_free(&dark);
}

TEST(picture_alpha_is_composited_on_white_and_specks_are_ignored) {
    /* RGBA: transparent black everywhere, an opaque black square, a one-pixel speck far away */
    int w = 100, h = 80;
    unsigned char *rgba = calloc((size_t)w * h, 4);
    for (int y = 20; y < 50; y++)
        for (int x = 30; x < 60; x++) rgba[4 * (y * w + x) + 3] = 255;
    rgba[4 * (75 * w + 95) + 3] = 255;
    tp_buf b = {0};
    REQUIRE(stbi_write_png_to_func(tp_sink, &b, w, h, 4, rgba, w * 4));
    pic_gray p;
    REQUIRE_MSG(pic_decode(b.p, b.n, "alpha.png", &p) == 0, "%s", ut_error());
    CHECK(p.v[0] == 1.0f && p.v[(size_t)30 * w + 40] == 0.0f);
    int box[4];
    REQUIRE(pic_content_box(&p, box) == 0);
    CHECK(box[0] == 30 && box[1] == 20 && box[2] == 60 && box[3] == 50);
    pic_gray f;
    REQUIRE(pic_frame(&p, 64, 0.25, &f) == 0);
    /* the square fills the middle half: dark at the centre, white at a quarter inside the edge */
    CHECK(f.v[32 * 64 + 32] < 0.01f && f.v[10 * 64 + 10] > 0.99f && f.v[17 * 64 + 17] < 0.01f);
    free(rgba), free(b.p);
    pic_free(&p), pic_free(&f);
}

static void tp_expect_error(const char *path, const char *needle) {
    pic_gray p;
    int rc = pic_load_framed(path, PIC_SIDE, &p);
    CHECK_MSG(rc != 0, "%s was accepted", path);
    CHECK_MSG(strstr(ut_error(), needle), "%s: '%s' lacks '%s'", path, ut_error(), needle);
    CHECK(p.v == NULL);
}

TEST(picture_bad_files_give_clear_errors) {
    const char *d = tf_tmpdir();
    char path[600];
    snprintf(path, sizeof path, "%s/none.png", d);
    tp_expect_error(path, "none.png");
    snprintf(path, sizeof path, "%s/empty.png", d);
    tp_write(path, "", 0);
    tp_expect_error(path, "empty");
    snprintf(path, sizeof path, "%s/text.png", d);
    tp_write(path, "hello, not a picture\n", 21);
    tp_expect_error(path, "not a PNG or JPEG");
    /* a GIF is not accepted either */
    snprintf(path, sizeof path, "%s/a.gif", d);
    tp_write(path, "GIF89a\x01\x00\x01\x00\x00\x00\x00;", 14);
    tp_expect_error(path, "not a PNG or JPEG");
    /* truncated PNG and JPEG of a real render */
    pic_gray g;
    tp_render(160, 160, &g);
    unsigned char *bytes = tp_bytes(&g);
    tp_buf pb = {0}, jb = {0};
    REQUIRE(stbi_write_png_to_func(tp_sink, &pb, g.w, g.h, 1, bytes, g.w));
    REQUIRE(stbi_write_jpg_to_func(tp_sink, &jb, g.w, g.h, 1, bytes, 90));
    snprintf(path, sizeof path, "%s/cut.png", d);
    tp_write(path, pb.p, pb.n / 2);
    tp_expect_error(path, "truncated PNG");
    snprintf(path, sizeof path, "%s/cut.jpg", d);
    tp_write(path, jb.p, jb.n * 2 / 3);
    tp_expect_error(path, "truncated JPEG");
    snprintf(path, sizeof path, "%s/whole.jpg", d);
    tp_write(path, jb.p, jb.n);
    pic_gray ok;
    CHECK_MSG(pic_load_framed(path, PIC_SIDE, &ok) == 0, "%s", ut_error());
    pic_free(&ok);
    /* blank: a white PNG, and one of a uniform grey */
    pic_gray white;
    REQUIRE(pic_init(&white, 50, 40, 1) == 0);
    snprintf(path, sizeof path, "%s/white.png", d);
    REQUIRE(pic_write_png(&white, path) == 0);
    tp_expect_error(path, "blank");
    for (int i = 0; i < 50 * 40; i++) white.v[i] = 0.3f;
    REQUIRE(pic_write_png(&white, path) == 0);
    tp_expect_error(path, "blank");
    pic_free(&white);
    /* a header announcing 20000 x 20000 pixels is refused before decoding */
    static const unsigned char big[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                        0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20, 8, 0, 0, 0, 0, 0, 0, 0, 0,
                                        0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    snprintf(path, sizeof path, "%s/big.png", d);
    tp_write(path, big, sizeof big);
    tp_expect_error(path, "above the limit");
    /* a file above the byte limit (sparse) */
    snprintf(path, sizeof path, "%s/huge.png", d);
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    fwrite(pb.p, 1, 8, f);
    REQUIRE(fseek(f, PIC_MAX_BYTES + 10, SEEK_SET) == 0);
    fputc(0, f);
    fclose(f);
    tp_expect_error(path, "limit");
    free(bytes), free(pb.p), free(jb.p);
    pic_free(&g);
}
