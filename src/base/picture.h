/* picture.h - grey pictures: reading PNG / JPEG files people give us, and the canonical framing
 * that every picture of a part goes through (training renders, screenshots, photos), prefix pic_.
 *
 *   pic_gray p, f;
 *   pic_read("photo.jpg", &p);               any PNG or JPEG -> grey floats, white = 1
 *   pic_frame(&p, PIC_SIDE, PIC_MARGIN, &f); the content cropped, squared, margined, resized
 *   pic_write_png(&f, "framed.png");         8-bit grey PNG, atomically
 *   pic_free(&p); pic_free(&f);
 *   or in one step: pic_load_framed("photo.jpg", PIC_SIDE, &f).
 *
 * A pic_gray is w x h floats, row-major, top row first, v[y * w + x] in [0, 1], 1 = white (the
 * background of a part's picture), 0 = black.
 *
 * Reading (pic_read, pic_decode): PNG (8 or 16 bits, grey / grey+alpha / RGB / RGBA / palette) and
 * baseline or progressive JPEG, decoded by stb_image (Debian libstb-dev). Colour becomes grey with
 * stb_image's luma Y = (77 R + 150 G + 29 B) >> 8; alpha is composited on white:
 * v = (Y a + 255 (255 - a)) / 255^2. Bounded: a file above PIC_MAX_BYTES or a picture above
 * PIC_MAX_PIXELS is refused from its header, before any pixel is decoded (peak memory at the
 * limit about 230 MB, measured in docs/data_images.md). Refused with a message naming the problem: an empty
 * file, a file that is neither PNG nor JPEG, a truncated JPEG (no end-of-image marker after its
 * scan data), a PNG without its final IEND chunk, a picture stb_image cannot decode (the reason).
 *
 * Canonical framing (pic_frame), on a copy:
 *   1. background b = the median of the border pixels (the four outer rows and columns); when
 *      b < 0.5 the picture is inverted (v -> 1 - v, so a dark-background screenshot reads like a
 *      light one) and b -> 1 - b; then every pixel is divided by b and clipped to 1, so the
 *      background is white (1) whatever the exposure of a photo;
 *   2. content: pixels darker than the background by more than PIC_INK that have at least 2 of
 *      their 8 neighbours also content (an isolated speck of 1-2 pixels is ignored); the content
 *      box is their bounding box; no content: an error ("blank picture");
 *   3. the square of side L / (1 - 2 margin), L the longer side of the box, centred on the box,
 *      is resized with an area filter (each output pixel the exact area-weighted mean of the
 *      input it covers; outside the picture counts as white) to side x side.
 * The box's longer side thus spans side (1 - 2 margin) pixels, centred, like geom/render.h's
 * framing with RD_MARGIN (PIC_MARGIN is the same fraction; data/trainimg.c checks it at compile
 * time). A render, the same render saved as PNG and read back, and a shifted / scaled / padded
 * copy of it therefore frame to nearly the same pixels (tests/test_picture.c).
 *
 * Errors: -1 + ut_error() (base/util.h). Thread safety: no shared mutable state (stb_image's
 * failure reason is thread-local).
 */
#ifndef RECAD_PICTURE_H
#define RECAD_PICTURE_H

#include <stddef.h>

#include "base/image.h"

#define PIC_SIDE 128                     /* default side of a framed picture, pixels */
#define PIC_MARGIN 0.05                  /* free border on each side, fraction of the side */
#define PIC_INK 0.08                     /* content: darker than the background by more than this */
#define PIC_MAX_BYTES (64L << 20)        /* largest file read */
#define PIC_MAX_PIXELS 25000000L         /* largest picture decoded (w * h) */
#define PIC_MAX_FRAME_SIDE 4096          /* largest framed side */

typedef struct {
    int w, h;
    float *v; /* w*h, in [0, 1], 1 = white */
} pic_gray;

/* w x h pixels of value fill; sides in [1, IMG_MAX_SIDE] */
int pic_init(pic_gray *p, int w, int h, float fill);
void pic_free(pic_gray *p); /* frees the pixels and zeroes *p */

/* a PNG / JPEG file (or its bytes) to grey; name is used in messages */
int pic_read(const char *path, pic_gray *out);
int pic_decode(const unsigned char *bytes, size_t len, const char *name, pic_gray *out);
/* an RGB image (a render) to grey with the same luma rule as reading; 0 (cannot fail) */
int pic_from_rgb(const img_rgb *im, pic_gray *out);
/* the grey value of 8-bit luma y under 8-bit alpha a, composited on white */
float pic_luma_on_white(int y, int a);

/* the canonical framing above; side in [8, PIC_MAX_FRAME_SIDE], margin in [0, 0.45] */
int pic_frame(const pic_gray *in, int side, double margin, pic_gray *out);
/* pic_read + pic_frame(side, PIC_MARGIN) */
int pic_load_framed(const char *path, int side, pic_gray *out);

/* the content box pic_frame finds, after its background step: [x0, x1) x [y0, y1) */
int pic_content_box(const pic_gray *in, int box[4]);

/* 8-bit grey PNG bytes (v rounded to v * 255), free() them; written atomically */
int pic_png_encode(const pic_gray *p, unsigned char **out, size_t *len);
int pic_write_png(const pic_gray *p, const char *path);
/* the mean absolute difference of two pictures of the same size (-1 when the sizes differ) */
double pic_mean_abs_diff(const pic_gray *a, const pic_gray *b);

#endif
