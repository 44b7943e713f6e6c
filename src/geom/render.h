/* render.h - deterministic images of a part: shaded views, a 2x2 sheet, normal and depth maps.
 *
 * Views (orthographic; world z is up except in the top view; "looking along d" = the camera
 * looks in direction d, screen right / screen up given in world axes):
 *   RD_ISO    looking along (-1, 1, -1) (camera at +x -y +z): right = (1,1,0)/sqrt2, up = z-ish
 *   RD_FRONT  looking along +y (camera at -y):  right = +x, up = +z
 *   RD_TOP    looking along -z (camera at +z):  right = +x, up = +y
 *   RD_RIGHT  looking along -x (camera at +x):  right = +y, up = +z
 * The isometric view shows the faces seen in the front, top and right views.
 *
 * Framing: the projected mesh vertices are scaled uniformly (same scale in x and y) and centred
 * so that the part fills the image up to a margin of RD_MARGIN of the smaller image side on
 * every side (touching it along the tighter direction): the same part renders the same whatever
 * its position and size.
 *
 * Modes (images are RGB8, row-major, top row first):
 *   RD_SHADED  flat Lambert + ambient shading of a neutral blue-grey on a white background,
 *              lit from the upper left of the viewer; dark grey lines on silhouettes, depth
 *              discontinuities and creases (normals differing by more than 30 degrees), about
 *              one pixel wide (wider from 600 pixels up);
 *              RD_SUPERSAMPLE^2 samples per pixel (box-filtered) for anti-aliasing (fewer for
 *              images above about 1300 x 1300 pixels, see RD_MAX_SAMPLES).
 *   RD_NORMAL  view-space unit normal n (x = screen right, y = screen up, z = towards the
 *              viewer) as RGB = round(255 * (n + 1) / 2); background (0, 0, 0), which no
 *              visible face produces (visible faces have z >= 0, so B >= 128). One sample per
 *              pixel (its centre).
 *   RD_DEPTH   grey = round(255 - 200 * t), t = (depth - nearest) / (farthest - nearest) over the
 *              mesh's vertices in this view, so the nearest point is white (255) and the
 *              farthest 55; background 0 (black). One sample per pixel.
 * Deterministic: the same mesh, view, mode and size give the same bytes (single-threaded,
 * fixed operation order; triangles drawn in mesh order, ties in depth keep the first).
 * Thread safety: no shared mutable state; images may be rendered concurrently.
 */
#ifndef RECAD_RENDER_H
#define RECAD_RENDER_H

#include "base/image.h"
#include "geom/mesh.h"

typedef enum { RD_ISO = 0, RD_FRONT, RD_TOP, RD_RIGHT } rd_view;
typedef enum { RD_SHADED = 0, RD_NORMAL, RD_DEPTH } rd_mode;

#define RD_MARGIN 0.05     /* fraction of the smaller image side left free on each side */
#define RD_SUPERSAMPLE 3   /* shaded mode: samples per pixel along each axis ... */
#define RD_MAX_SAMPLES 16e6 /* ... reduced (down to 1) so that w*h*s*s stays below this */
#define RD_MAX_SIDE 4096   /* largest accepted image side, pixels (about 200 MB of buffers) */

/* renders a mesh from one view; w, h in [8, RD_MAX_SIDE]; -1 + ut_error() on bad arguments or
   an empty mesh */
int rd_render(const ms_mesh *m, rd_view view, rd_mode mode, int w, int h, img_rgb *out);
/* a 2x2 sheet of shaded views, each w x h (the sheet is 2w x 2h): ISO top left, FRONT top right,
   TOP bottom left, RIGHT bottom right, each labelled in its top-left corner and framed alone */
int rd_sheet(const ms_mesh *m, int w, int h, img_rgb *out);

/* the view's unit vectors in world coordinates: right, up, and forward (the looking direction) */
void rd_view_basis(rd_view view, double right[3], double up[3], double fwd[3]);
const char *rd_view_name(rd_view view); /* "iso" "front" "top" "right" */
int rd_view_parse(const char *s, rd_view *view); /* -1 if unknown */
const char *rd_mode_name(rd_mode mode);           /* "shaded" "normal" "depth" */
int rd_mode_parse(const char *s, rd_mode *mode);  /* -1 if unknown */

#endif
