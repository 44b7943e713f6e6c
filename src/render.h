/* render.h - deterministic images of a part: shaded views, a 2x2 sheet, normal and depth maps.
 *
 * Views: RD_ISO (isometric from +x -y +z), RD_FRONT (looking along +y), RD_TOP (looking along
 * -z), RD_RIGHT (looking along -x). Orthographic projection framed on the part's bounding box,
 * so the same part renders the same whatever its position and size. Images are RGB8, row-major,
 * top row first.
 */
#ifndef RECAD_RENDER_H
#define RECAD_RENDER_H

#include "mesh.h"

typedef enum { RD_ISO = 0, RD_FRONT, RD_TOP, RD_RIGHT } rd_view;
typedef enum { RD_SHADED = 0, RD_NORMAL, RD_DEPTH } rd_mode;

typedef struct {
    int w, h;
    unsigned char *rgb; /* w*h*3 */
} rd_image;

/* renders a mesh from one view */
int rd_render(const ms_mesh *m, rd_view view, rd_mode mode, int w, int h, rd_image *out);
/* a 2x2 sheet of the four views, each w x h (the sheet is 2w x 2h) */
int rd_sheet(const ms_mesh *m, int w, int h, rd_image *out);
int rd_write_png(const rd_image *img, const char *path); /* atomic */
void rd_free(rd_image *img);

#endif
