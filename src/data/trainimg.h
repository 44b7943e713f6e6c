/* trainimg.h - training pictures of a part, prefix ti_: grey renders of its solid from one view
 * (or the 2x2 sheet), lightly augmented, through the same canonical framing as any picture a
 * user gives (base/picture.h), so that renders, screenshots and photos end up framed alike.
 *
 *   ti_opts o; ti_default_opts(&o);                        side PIC_SIDE, augmentation on
 *   pic_gray g;
 *   ti_render(&mesh, TI_ISO, &o, seed, index, &g);        side x side, white = 1
 *   ti_render_model(&model, TI_SHEET, &o, seed, index, &g);   meshes the model first
 *
 * Views: TI_SHEET (geom/render.h rd_sheet: iso, front, top, right in a labelled 2x2 grid) and the
 * single shaded views TI_ISO, TI_FRONT, TI_TOP, TI_RIGHT (rd_render).
 *
 * Augmentation (o.augment), drawn from a generator seeded by (seed, index) only:
 *   size      the render's longer side uniform in [1.0, 1.5] x side, aspect ratio of the canvas
 *             in [0.85, 1.18] (the part is fitted inside it by the renderer), so resampling to
 *             side x side meets every phase and scale;
 *   lines     probability 1/5 each: a 3x3 minimum (dark lines one pixel thicker), a 3x3 maximum
 *             (thinner lines; not on the sheet, whose separators and labels it would erase),
 *             a [1 2 1] x [1 2 1] / 16 blur; else none - at render resolution;
 *   margin    the framing margin PIC_MARGIN x [0.6, 1.8];
 *   tone      after framing, contrast about white v -> 1 - c (1 - v), c in [0.8, 1.1], then gamma
 *             v -> v^g, g = exp(U[-0.2, 0.2]); the background stays exactly 1.
 * Without augmentation: a square render of side 1.5 x side, margin PIC_MARGIN, no other change.
 *
 * Meshes (ti_mesh): chord tolerance TI_MESH_TOL_REL of the diagonal of the part's exact box, far
 * below a pixel of a framed picture (1/side of the longer extent), and about ten times faster to
 * make than geom/mesh.h's automatic tolerance, which is meant for exported meshes.
 *
 * Deterministic: the same mesh, view, options, seed and index give the same pixels (rendering is
 * deterministic, the generator is xoshiro256** from base/util.h).
 * Errors: -1 + ut_error() (an empty mesh, a model that gives no solid). Thread safety: none
 * shared; pictures may be made concurrently.
 */
#ifndef RECAD_TRAINIMG_H
#define RECAD_TRAINIMG_H

#include <stdint.h>

#include "base/picture.h"
#include "geom/mesh.h"
#include "model/cad.h"

typedef enum { TI_SHEET = 0, TI_ISO, TI_FRONT, TI_TOP, TI_RIGHT, TI_NVIEWS } ti_view;

const char *ti_view_name(ti_view v);           /* "sheet" "iso" "front" "top" "right" */
int ti_view_parse(const char *s, ti_view *v);  /* -1 if unknown */

typedef struct {
    int side;    /* framed side, pixels (PIC_SIDE) */
    int augment; /* 1: the augmentation above (default); 0: plain */
} ti_opts;

void ti_default_opts(ti_opts *o);

#define TI_MESH_TOL_REL 3e-3

int ti_render(const ms_mesh *m, ti_view v, const ti_opts *o, uint64_t seed, uint64_t index, pic_gray *out);
/* the part's mesh at the pictures' tolerance; -1 + ut_error() */
int ti_mesh(const cad_model *m, ms_mesh *out);
int ti_render_model(const cad_model *m, ti_view v, const ti_opts *o, uint64_t seed, uint64_t index, pic_gray *out);

#endif
