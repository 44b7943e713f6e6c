/* picture.c - grey pictures: PNG / JPEG reading (stb_image) and the canonical framing. See
 * picture.h. */
#include "base/picture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>

#include "base/image.h"
#include "base/util.h"

int pic_init(pic_gray *p, int w, int h, float fill) {
    memset(p, 0, sizeof *p);
    if (w < 1 || h < 1 || w > IMG_MAX_SIDE || h > IMG_MAX_SIDE)
        return ut_fail("picture size %dx%d outside 1..%d", w, h, IMG_MAX_SIDE);
    size_t n = (size_t)w * h;
    p->v = ut_malloc(n * sizeof *p->v);
    for (size_t i = 0; i < n; i++) p->v[i] = fill;
    p->w = w, p->h = h;
    return 0;
}

void pic_free(pic_gray *p) {
    free(p->v);
    memset(p, 0, sizeof *p);
}

float pic_luma_on_white(int y, int a) { return (float)(y * a + 255 * (255 - a)) / (255.0f * 255.0f); }

/* ---- reading ---- */

enum { PIC_PNG = 1, PIC_JPEG = 2 };

static int pic_kind(const unsigned char *b, size_t n) {
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n >= 8 && !memcmp(b, png, 8)) return PIC_PNG;
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return PIC_JPEG;
    return 0;
}

/* a complete JPEG has an end-of-image marker (FF D9) after the start of its last scan (FF DA);
   inside scan data a byte FF is always followed by 00 or a restart marker, so neither pair can
   appear there by chance */
static int pic_jpeg_complete(const unsigned char *b, size_t n) {
    size_t sos = 0, eoi = 0;
    for (size_t i = 2; i + 1 < n; i++) {
        if (b[i] != 0xFF) continue;
        if (b[i + 1] == 0xDA) sos = i;
        else if (b[i + 1] == 0xD9) eoi = i;
    }
    return sos > 0 && eoi > sos;
}

/* a complete PNG ends with its IEND chunk (length 0, "IEND", CRC); walks the chunk list */
static int pic_png_complete(const unsigned char *b, size_t n) {
    size_t i = 8;
    while (i + 12 <= n) {
        size_t len = (size_t)b[i] << 24 | (size_t)b[i + 1] << 16 | (size_t)b[i + 2] << 8 | b[i + 3];
        if (len > n - i - 12) return 0;
        if (!memcmp(b + i + 4, "IEND", 4)) return 1;
        i += 12 + len;
    }
    return 0;
}

int pic_decode(const unsigned char *bytes, size_t len, const char *name, pic_gray *out) {
    memset(out, 0, sizeof *out);
    if (!name) name = "picture";
    if (len == 0) return ut_fail("%s: the file is empty", name);
    if (len > (size_t)PIC_MAX_BYTES) return ut_fail("%s: %zu bytes, above the limit of %ld", name, len, PIC_MAX_BYTES);
    int kind = pic_kind(bytes, len);
    if (!kind) return ut_fail("%s: not a PNG or JPEG file", name);
    if (kind == PIC_JPEG && !pic_jpeg_complete(bytes, len))
        return ut_fail("%s: truncated JPEG (no end-of-image marker after the scan data)", name);
    if (kind == PIC_PNG && !pic_png_complete(bytes, len)) return ut_fail("%s: truncated PNG (no IEND chunk)", name);
    int w = 0, h = 0, comp = 0;
    if (!stbi_info_from_memory(bytes, (int)len, &w, &h, &comp))
        return ut_fail("%s: unreadable %s header (%s)", name, kind == PIC_PNG ? "PNG" : "JPEG", stbi_failure_reason());
    if (w < 1 || h < 1) return ut_fail("%s: the picture has no pixels (%dx%d)", name, w, h);
    if ((double)w * h > (double)PIC_MAX_PIXELS)
        return ut_fail("%s: %dx%d pixels, above the limit of %ld pixels (scale it down)", name, w, h, PIC_MAX_PIXELS);
    if (w > IMG_MAX_SIDE || h > IMG_MAX_SIDE)
        return ut_fail("%s: %dx%d pixels, a side above the limit of %d", name, w, h, IMG_MAX_SIDE);
    int dw, dh, dc;
    unsigned char *ga = stbi_load_from_memory(bytes, (int)len, &dw, &dh, &dc, 2);
    if (!ga) return ut_fail("%s: cannot decode the %s (%s)", name, kind == PIC_PNG ? "PNG" : "JPEG", stbi_failure_reason());
    if (dw != w || dh != h) {
        stbi_image_free(ga);
        return ut_fail("%s: the decoded size %dx%d differs from the header's %dx%d", name, dw, dh, w, h);
    }
    pic_init(out, w, h, 1);
    for (size_t i = 0, n = (size_t)w * h; i < n; i++) out->v[i] = pic_luma_on_white(ga[2 * i], ga[2 * i + 1]);
    stbi_image_free(ga);
    return 0;
}

int pic_read(const char *path, pic_gray *out) {
    memset(out, 0, sizeof *out);
    size_t len;
    char *b = ut_read_file_max(path, (size_t)PIC_MAX_BYTES, &len);
    if (!b) return -1;
    int rc = pic_decode((const unsigned char *)b, len, path, out);
    free(b);
    return rc;
}

int pic_from_rgb(const img_rgb *im, pic_gray *out) {
    if (pic_init(out, im->w, im->h, 1)) return -1;
    for (size_t i = 0, n = (size_t)im->w * im->h; i < n; i++) {
        const unsigned char *c = im->rgb + 3 * i;
        out->v[i] = pic_luma_on_white((77 * c[0] + 150 * c[1] + 29 * c[2]) >> 8, 255);
    }
    return 0;
}

/* ---- framing ---- */

static int pic_cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static float pic_border_median(const pic_gray *p) {
    size_t n = 0, cap = 2 * (size_t)p->w + 2 * (size_t)p->h;
    float *b = ut_malloc(cap * sizeof *b);
    for (int x = 0; x < p->w; x++) {
        b[n++] = p->v[x];
        if (p->h > 1) b[n++] = p->v[(size_t)(p->h - 1) * p->w + x];
    }
    for (int y = 1; y + 1 < p->h; y++) {
        b[n++] = p->v[(size_t)y * p->w];
        if (p->w > 1) b[n++] = p->v[(size_t)y * p->w + p->w - 1];
    }
    qsort(b, n, sizeof *b, pic_cmp_float);
    float m = n % 2 ? b[n / 2] : 0.5f * (b[n / 2 - 1] + b[n / 2]);
    free(b);
    return m;
}

/* the background step: a copy inverted when dark, divided by the background, clipped to 1 */
static void pic_normalise(const pic_gray *in, pic_gray *out) {
    float b = pic_border_median(in);
    int inv = b < 0.5f;
    if (inv) b = 1 - b;
    pic_init(out, in->w, in->h, 1);
    for (size_t i = 0, n = (size_t)in->w * in->h; i < n; i++) {
        float v = inv ? 1 - in->v[i] : in->v[i];
        v = v / b;
        out->v[i] = v > 1 ? 1 : v < 0 ? 0 : v;
    }
}

/* the content box of a normalised picture; -1 when blank */
static int pic_box(const pic_gray *p, int box[4]) {
    int w = p->w, h = p->h;
    unsigned char *ink = ut_malloc((size_t)w * h);
    for (size_t i = 0, n = (size_t)w * h; i < n; i++) ink[i] = p->v[i] < 1 - PIC_INK;
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (!ink[(size_t)y * w + x]) continue;
            int nb = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if ((dx || dy) && xx >= 0 && yy >= 0 && xx < w && yy < h) nb += ink[(size_t)yy * w + xx];
                }
            if (nb < 2) continue;
            if (x < x0) x0 = x;
            if (x > x1) x1 = x;
            if (y < y0) y0 = y;
            if (y > y1) y1 = y;
        }
    free(ink);
    if (x1 < 0) return -1;
    box[0] = x0, box[1] = y0, box[2] = x1 + 1, box[3] = y1 + 1;
    return 0;
}

int pic_content_box(const pic_gray *in, int box[4]) {
    if (!in->v || in->w < 1 || in->h < 1) return ut_fail("no picture");
    pic_gray n;
    pic_normalise(in, &n);
    int rc = pic_box(&n, box);
    pic_free(&n);
    return rc ? ut_fail("blank picture: nothing differs from the background") : 0;
}

/* the area weights of output cell i (source interval [a, a + step)) along one axis:
   source indices k0..k1-1 with overlaps wt[] (summing to step) */
static int pic_cell(double a, double step, int *k0, double *wt, int maxk) {
    double b = a + step;
    int lo = (int)floor(a), hi = (int)ceil(b), n = 0;
    if (hi <= lo) hi = lo + 1;
    for (int k = lo; k < hi && n < maxk; k++) {
        double o = fmin(b, k + 1) - fmax(a, k);
        wt[n++] = o > 0 ? o : 0;
    }
    *k0 = lo;
    return n;
}

/* area resize of the square window [wx, wx + t) x [wy, wy + t) of p to side x side; outside p is 1 */
static void pic_resample(const pic_gray *p, double wx, double wy, double t, int side, pic_gray *out) {
    double step = t / side;
    int maxk = (int)ceil(step) + 2;
    double *wt = ut_malloc(sizeof(double) * (size_t)maxk);
    /* horizontal pass over the rows the window touches: row r -> side values */
    int r0 = (int)floor(wy), r1 = (int)ceil(wy + t);
    if (r1 <= r0) r1 = r0 + 1;
    int ya = r0 < 0 ? 0 : r0, yb = r1 > p->h ? p->h : r1; /* rows inside p */
    int nrows = yb > ya ? yb - ya : 0;
    float *tmp = ut_malloc(sizeof(float) * (size_t)(nrows ? nrows : 1) * side);
    for (int i = 0; i < side; i++) {
        int k0;
        int nk = pic_cell(wx + i * step, step, &k0, wt, maxk);
        for (int r = 0; r < nrows; r++) {
            const float *row = p->v + (size_t)(ya + r) * p->w;
            double s = 0, ws = 0;
            for (int q = 0; q < nk; q++) {
                int k = k0 + q;
                s += wt[q] * (k >= 0 && k < p->w ? row[k] : 1.0);
                ws += wt[q];
            }
            tmp[(size_t)r * side + i] = (float)(ws > 0 ? s / ws : 1);
        }
    }
    pic_init(out, side, side, 1);
    for (int j = 0; j < side; j++) {
        int k0;
        int nk = pic_cell(wy + j * step, step, &k0, wt, maxk);
        for (int i = 0; i < side; i++) {
            double s = 0, ws = 0;
            for (int q = 0; q < nk; q++) {
                int k = k0 + q;
                s += wt[q] * (k >= ya && k < yb ? tmp[(size_t)(k - ya) * side + i] : 1.0);
                ws += wt[q];
            }
            double v = ws > 0 ? s / ws : 1;
            out->v[(size_t)j * side + i] = (float)(v > 1 ? 1 : v < 0 ? 0 : v);
        }
    }
    free(tmp);
    free(wt);
}

int pic_frame(const pic_gray *in, int side, double margin, pic_gray *out) {
    memset(out, 0, sizeof *out);
    if (!in->v || in->w < 1 || in->h < 1) return ut_fail("no picture to frame");
    if (side < 8 || side > PIC_MAX_FRAME_SIDE) return ut_fail("framed side %d outside [8, %d]", side, PIC_MAX_FRAME_SIDE);
    if (!(margin >= 0 && margin <= 0.45)) return ut_fail("framing margin %g outside [0, 0.45]", margin);
    pic_gray n;
    pic_normalise(in, &n);
    int box[4];
    if (pic_box(&n, box)) {
        pic_free(&n);
        return ut_fail("blank picture: nothing differs from the background by more than %.2f", PIC_INK);
    }
    double bw = box[2] - box[0], bh = box[3] - box[1], l = fmax(bw, bh);
    double t = l / (1 - 2 * margin);
    double cx = 0.5 * (box[0] + box[2]), cy = 0.5 * (box[1] + box[3]);
    pic_resample(&n, cx - 0.5 * t, cy - 0.5 * t, t, side, out);
    pic_free(&n);
    return 0;
}

int pic_load_framed(const char *path, int side, pic_gray *out) {
    pic_gray p;
    memset(out, 0, sizeof *out);
    if (pic_read(path, &p)) return -1;
    int rc = pic_frame(&p, side, PIC_MARGIN, out);
    pic_free(&p);
    return rc ? ut_fail("%s: %s", path, ut_error()) : 0;
}

/* ---- writing ---- */

int pic_png_encode(const pic_gray *p, unsigned char **out, size_t *len) {
    *out = NULL, *len = 0;
    if (!p->v || p->w < 1 || p->h < 1) return ut_fail("no picture to encode");
    size_t n = (size_t)p->w * p->h;
    unsigned char *g = ut_malloc(n);
    for (size_t i = 0; i < n; i++) {
        float v = p->v[i];
        g[i] = v >= 1 ? 255 : v > 0 ? (unsigned char)lrintf(v * 255) : 0;
    }
    int rc = img_png_encode_pixels(g, p->w, p->h, 1, out, len);
    free(g);
    return rc;
}

int pic_write_png(const pic_gray *p, const char *path) {
    unsigned char *png;
    size_t len;
    if (pic_png_encode(p, &png, &len)) return ut_fail("%s: %s", path, ut_error());
    int rc = ut_write_atomic(path, png, len);
    free(png);
    return rc;
}

double pic_mean_abs_diff(const pic_gray *a, const pic_gray *b) {
    if (a->w != b->w || a->h != b->h || !a->v || !b->v) return -1;
    double s = 0;
    size_t n = (size_t)a->w * a->h;
    for (size_t i = 0; i < n; i++) s += fabs((double)a->v[i] - b->v[i]);
    return s / (double)n;
}
