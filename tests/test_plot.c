/* test_plot.c - base/image.h and base/plot.h: drawing, text, PNG round trip, charts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>

#include "base/image.h"
#include "base/plot.h"
#include "base/util.h"
#include "tf.h"

static int px_is(const img_rgb *im, int x, int y, int r, int g, int b) {
    const unsigned char *p = im->rgb + 3 * ((size_t)y * im->w + x);
    return p[0] == r && p[1] == g && p[2] == b;
}

/* pixels of colour c inside [x0, x1) x [y0, y1) */
static long count_colour(const img_rgb *im, int x0, int y0, int x1, int y1, const unsigned char c[3]) {
    long n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) n += px_is(im, x, y, c[0], c[1], c[2]);
    return n;
}

TEST(image_sizes_and_clipping) {
    img_rgb im;
    CHECK(img_init(&im, 0, 10, NULL) == -1 && strstr(ut_error(), "0x10"));
    CHECK(img_init(&im, 10, IMG_MAX_SIDE + 1, NULL) == -1);
    static const unsigned char red[3] = {255, 0, 0}, bg[3] = {1, 2, 3};
    REQUIRE(img_init(&im, 40, 30, bg) == 0);
    CHECK(px_is(&im, 39, 29, 1, 2, 3));
    /* drawing partly or wholly outside, or with absurd coordinates, touches only what is inside */
    img_fill_rect(&im, -100, -100, 5, 5, red);
    CHECK(count_colour(&im, 0, 0, 40, 30, red) == 25);
    img_line(&im, -1e300, 0, 1e300, 0, 3, red);
    img_line(&im, NAN, 0, 10, 10, 1, red);
    img_line(&im, 0, 20, 39, 20, 1, red); /* one pixel thick, 40 long */
    CHECK(count_colour(&im, 0, 20, 40, 21, red) == 40);
    CHECK(count_colour(&im, 0, 19, 40, 20, red) == 0 && count_colour(&im, 0, 21, 40, 22, red) == 0);
    img_free(&im);
    CHECK(im.rgb == NULL && im.w == 0);
}

TEST(image_text_within_its_measured_width) {
    img_rgb im;
    static const unsigned char ink[3] = {0, 0, 0};
    REQUIRE(img_init(&im, 200, 60, NULL) == 0);
    int w = img_text_width("loss 0.25", 2);
    CHECK(w > 40 && w < 200);
    img_text(&im, 10, 10, 2, ink, "loss 0.25");
    long inside = count_colour(&im, 10, 10, 10 + w, 10 + 24, ink);
    CHECK(inside > 50);
    CHECK(count_colour(&im, 0, 0, 200, 60, ink) == inside); /* nothing outside its box */
    CHECK(img_text_width("ab\nabcdef", 1) == img_text_width("abcdef", 1));
    img_free(&im);
}

TEST(image_png_round_trip) {
    img_rgb im;
    REQUIRE(img_init(&im, 33, 17, NULL) == 0);
    ut_rng r;
    ut_rng_seed(&r, 5);
    for (size_t i = 0; i < (size_t)33 * 17 * 3; i++) im.rgb[i] = (unsigned char)ut_rng_u64(&r);
    char path[600];
    snprintf(path, sizeof path, "%s/a.png", tf_tmpdir());
    REQUIRE(img_write_png(&im, path) == 0);
    int w, h, ch;
    unsigned char *back = stbi_load(path, &w, &h, &ch, 3);
    REQUIRE(back);
    CHECK(w == 33 && h == 17 && memcmp(back, im.rgb, (size_t)w * h * 3) == 0);
    stbi_image_free(back);
    snprintf(path, sizeof path, "%s/no/such/dir/a.png", tf_tmpdir());
    CHECK(img_write_png(&im, path) == -1 && strstr(ut_error(), "no/such/dir"));
    img_free(&im);
}

TEST(plot_lines_draws_each_series_in_its_colour) {
    enum { N = 50 };
    double x[N], y1[N], y2[N];
    for (int i = 0; i < N; i++) x[i] = i * 10, y1[i] = 5.0 / (1 + i), y2[i] = i == 20 ? NAN : 2.0 + 0.01 * i;
    plot_series s[2] = {{"train", x, y1, N, {200, 0, 0}}, {"val", x, y2, N, {0, 0, 200}}};
    plot_opts o = {"loss", "step", "loss", 640, 400};
    img_rgb im;
    REQUIRE(plot_lines_image(&o, s, 2, &im) == 0);
    CHECK(im.w == 640 && im.h == 400);
    long red = count_colour(&im, 0, 0, im.w, im.h, s[0].color), blue = count_colour(&im, 0, 0, im.w, im.h, s[1].color);
    CHECK(red > 500 && blue > 500);
    /* the decreasing series starts high on the left: red pixels in the upper left quarter */
    CHECK(count_colour(&im, 0, 0, im.w / 4, im.h / 4, s[0].color) > 0);
    img_free(&im);
    /* every point NaN, no points at all, and a too small image */
    double nan[3] = {NAN, NAN, NAN};
    plot_series bad = {NULL, nan, nan, 3, {0}};
    REQUIRE(plot_lines_image(NULL, &bad, 1, &im) == 0);
    img_free(&im);
    REQUIRE(plot_lines_image(NULL, NULL, 0, &im) == 0);
    img_free(&im);
    o.w = 50;
    CHECK(plot_lines_image(&o, s, 2, &im) == -1 && strstr(ut_error(), "too small"));
}

TEST(plot_histogram_bar_heights_follow_counts) {
    double v[7] = {0.1, 0.2, 0.3, 1.5, 1.6, 1.7, INFINITY}; /* 3 in the first bin, 3 in the second */
    char path[600];
    snprintf(path, sizeof path, "%s/h.png", tf_tmpdir());
    plot_opts o = {NULL, NULL, NULL, 400, 300};
    REQUIRE(plot_histogram(path, &o, v, 7, 2, 0, 2) == 0);
    int w, h, ch;
    unsigned char *px = stbi_load(path, &w, &h, &ch, 3);
    REQUIRE(px && w == 400 && h == 300);
    img_rgb im = {w, h, px};
    static const unsigned char bar[3] = {60, 110, 200};
    long left = count_colour(&im, 0, 0, w / 2 + 28, h, bar), right = count_colour(&im, w / 2 + 28, 0, w, h, bar);
    CHECK(left > 1000 && llabs(left - right) < left / 20);
    stbi_image_free(px);
    CHECK(plot_histogram(path, &o, v, 7, 0, 0, 2) == -1);
    CHECK(plot_histogram(path, &o, v, 7, 4, 1, 1) == -1 && strstr(ut_error(), "range"));
}
