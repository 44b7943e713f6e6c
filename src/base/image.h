/* image.h - RGB8 images in memory: drawing primitives, text, PNG files.
 *
 * An img_rgb is w x h pixels, 3 bytes each (R, G, B), row-major, top row first; pixel (x, y) is
 * at rgb[3 * (y * w + x)]. Every drawing call clips to the image, so callers may draw partly
 * outside it. Coordinates are pixels, x to the right and y down.
 *
 * Text uses stb_easy_font (Debian libstb-dev): printable ASCII, glyphs about 6 x 7 pixels at
 * scale 1 (a line is 12 pixels high), drawn as filled rectangles scaled by an integer factor.
 *
 * PNG: img_png_encode() gives the file bytes in memory (stb_image_write); img_write_png() writes
 * them atomically (ut_write_atomic: temp file, fsync, rename), so a reader never sees half a file.
 *
 * Errors: -1 + ut_error() (base/util.h). Thread safety: no shared mutable state.
 */
#ifndef RECAD_IMAGE_H
#define RECAD_IMAGE_H

#include <stddef.h>

#define IMG_MAX_SIDE 16384 /* largest side img_init accepts, pixels */

typedef struct {
    int w, h;
    unsigned char *rgb; /* w*h*3 */
} img_rgb;

/* allocates w x h pixels filled with bg (NULL: white); sides in [1, IMG_MAX_SIDE] */
int img_init(img_rgb *im, int w, int h, const unsigned char bg[3]);
void img_free(img_rgb *im); /* frees the pixels and zeroes *im */

void img_set(img_rgb *im, int x, int y, const unsigned char c[3]);
/* fills the pixels x0 <= x < x1, y0 <= y < y1 */
void img_fill_rect(img_rgb *im, int x0, int y0, int x1, int y1, const unsigned char c[3]);
/* a straight line between two points given in pixels (fractions allowed), `width` pixels thick */
void img_line(img_rgb *im, double x0, double y0, double x1, double y1, int width, const unsigned char c[3]);
/* text with its top-left corner at (x, y), glyphs scaled by `scale` >= 1; '\n' starts a new line */
void img_text(img_rgb *im, int x, int y, int scale, const unsigned char c[3], const char *text);
int img_text_width(const char *text, int scale); /* pixels of the longest line */

/* PNG file bytes in *out (free() them); -1 + ut_error() when encoding fails */
int img_png_encode(const img_rgb *im, unsigned char **out, size_t *len);
/* the same for w x h pixels of `channels` 8-bit channels each (1 grey, 3 RGB), rows top first */
int img_png_encode_pixels(const unsigned char *px, int w, int h, int channels, unsigned char **out, size_t *len);
int img_write_png(const img_rgb *im, const char *path); /* atomic */

#endif
