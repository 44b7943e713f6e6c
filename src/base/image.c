/* image.c - RGB8 images: drawing, text (stb_easy_font), PNG (stb_image_write). See image.h. */
#include "base/image.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-braces"
#endif
#include <stb_easy_font.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#include <stb_image_write.h>

#include "base/util.h"

static const unsigned char img_white[3] = {255, 255, 255};

int img_init(img_rgb *im, int w, int h, const unsigned char bg[3]) {
    memset(im, 0, sizeof *im);
    if (w < 1 || h < 1 || w > IMG_MAX_SIDE || h > IMG_MAX_SIDE)
        return ut_fail("image size %dx%d outside 1..%d", w, h, IMG_MAX_SIDE);
    if (!bg) bg = img_white;
    size_t n = (size_t)w * h;
    im->rgb = ut_malloc(3 * n);
    im->w = w, im->h = h;
    if (bg[0] == bg[1] && bg[1] == bg[2]) memset(im->rgb, bg[0], 3 * n);
    else
        for (size_t i = 0; i < n; i++) memcpy(im->rgb + 3 * i, bg, 3);
    return 0;
}

void img_free(img_rgb *im) {
    free(im->rgb);
    memset(im, 0, sizeof *im);
}

void img_set(img_rgb *im, int x, int y, const unsigned char c[3]) {
    if (x < 0 || y < 0 || x >= im->w || y >= im->h) return;
    memcpy(im->rgb + 3 * ((size_t)y * im->w + x), c, 3);
}

void img_fill_rect(img_rgb *im, int x0, int y0, int x1, int y1, const unsigned char c[3]) {
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > im->w) x1 = im->w;
    if (y1 > im->h) y1 = im->h;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) memcpy(im->rgb + 3 * ((size_t)y * im->w + x), c, 3);
}

void img_line(img_rgb *im, double x0, double y0, double x1, double y1, int width, const unsigned char c[3]) {
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1)) return;
    /* clip the parameter range to the image (plus the line width) so that far-off end points
       cost nothing */
    double lim = (double)(im->w > im->h ? im->w : im->h) + width + 2;
    if (fabs(x0) > 1e6 * lim || fabs(y0) > 1e6 * lim || fabs(x1) > 1e6 * lim || fabs(y1) > 1e6 * lim) return;
    if (width < 1) width = 1;
    int n = (int)(fmax(fabs(x1 - x0), fabs(y1 - y0)) * 2) + 1;
    if (n > 8 * (int)lim) n = 8 * (int)lim;
    int lo = -(width - 1) / 2;
    for (int i = 0; i <= n; i++) {
        double t = (double)i / n;
        int x = (int)lround(x0 + t * (x1 - x0)), y = (int)lround(y0 + t * (y1 - y0));
        img_fill_rect(im, x + lo, y + lo, x + lo + width, y + lo + width, c);
    }
}

void img_text(img_rgb *im, int x, int y, int scale, const unsigned char c[3], const char *text) {
    static _Thread_local char vbuf[64 * 1000]; /* stb_easy_font output: 64 bytes per quad */
    if (scale < 1) scale = 1;
    unsigned char col[4] = {c[0], c[1], c[2], 255};
    /* stb_easy_font_print takes a mutable string; print one bounded line at a time */
    char line[256];
    int row = 0;
    for (const char *s = text; *s;) {
        size_t k = strcspn(s, "\n");
        size_t m = k < sizeof line - 1 ? k : sizeof line - 1;
        memcpy(line, s, m);
        line[m] = 0;
        int nq = stb_easy_font_print(0, 0, line, col, vbuf, (int)sizeof vbuf);
        for (int q = 0; q < nq; q++) {
            const float *v0 = (const float *)(vbuf + 64 * q), *v2 = (const float *)(vbuf + 64 * q + 32);
            img_fill_rect(im, x + (int)lroundf(v0[0] * scale), y + row + (int)lroundf(v0[1] * scale),
                          x + (int)lroundf(v2[0] * scale), y + row + (int)lroundf(v2[1] * scale), c);
        }
        row += 12 * scale;
        s += k;
        if (*s) s++;
    }
}

int img_text_width(const char *text, int scale) {
    char line[256];
    int best = 0;
    for (const char *s = text; *s;) {
        size_t k = strcspn(s, "\n");
        size_t m = k < sizeof line - 1 ? k : sizeof line - 1;
        memcpy(line, s, m);
        line[m] = 0;
        int w = stb_easy_font_width(line);
        if (w > best) best = w;
        s += k;
        if (*s) s++;
    }
    return best * (scale < 1 ? 1 : scale);
}

typedef struct {
    unsigned char *p;
    size_t n, cap;
} img_mem;

static void img_mem_write(void *ctx, void *data, int size) {
    img_mem *m = ctx;
    if (size <= 0) return;
    if (m->n + (size_t)size > m->cap) {
        m->cap = 2 * (m->n + (size_t)size) + 4096;
        m->p = ut_realloc(m->p, m->cap);
    }
    memcpy(m->p + m->n, data, (size_t)size);
    m->n += (size_t)size;
}

int img_png_encode_pixels(const unsigned char *px, int w, int h, int channels, unsigned char **out, size_t *len) {
    *out = NULL, *len = 0;
    if (!px || w <= 0 || h <= 0) return ut_fail("no image to encode");
    img_mem mem = {0};
    if (!stbi_write_png_to_func(img_mem_write, &mem, w, h, channels, px, w * channels) || mem.n == 0) {
        free(mem.p);
        return ut_fail("PNG encoding failed");
    }
    *out = mem.p, *len = mem.n;
    return 0;
}

int img_png_encode(const img_rgb *im, unsigned char **out, size_t *len) {
    return img_png_encode_pixels(im->rgb, im->w, im->h, 3, out, len);
}

int img_write_png(const img_rgb *im, const char *path) {
    unsigned char *png;
    size_t len;
    if (img_png_encode(im, &png, &len) != 0) return ut_fail("%s: %s", path, ut_error());
    int rc = ut_write_atomic(path, png, len);
    free(png);
    return rc;
}
