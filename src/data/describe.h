/* describe.h - natural-language descriptions of a CAD model, and the short plan that precedes
 * a program in a training answer.
 *
 *   char *text;
 *   if (ds_describe(&m, NULL, seed, DS_DETAILED, &text) == 0) { puts(text); free(text); }
 *   char *plan = ds_think(&m, NULL);   // "rectangular plate 60 x 40 x 6 on XY\n4x through hole Ø6 ..."
 *
 * What it does. ds_analyze() reads the model's geometry (no hint needed, so real parts work):
 * each extrude's sketch loops are recognised as a circle, rectangle, rounded rectangle,
 * slot (obround), regular polygon (size across flats) or, failing that, an outline of lines and
 * arcs with its extent; equal loops of one extrude are grouped and their centres recognised as a
 * bolt circle (equal angles on one circle: PCD), a grid / row (even pitch), or listed. Each group
 * gets a role from the extrude: the base (first extrude), holes (inner loops: through that
 * extrude), a through cut (the cut slab spans the whole part along its normal), a pocket (a cut
 * that does not: depth measured), a boss (join: height), a body intersected with. The part's
 * overall size is the solid's exact bounding box (sd_bbox).
 * ds_describe() writes that analysis as text:
 *   DS_ABSTRACT  what the part is, without numbers ("a rectangular plate with four corner holes")
 *   DS_DETAILED  every dimension needed to rebuild it: sizes, diameters, counts, pitch / PCD,
 *                placement, depths and heights, and the overall size whenever the base alone
 *                does not give it
 * The seed picks one of several styles (a terse note, a conversational request, a spec list,
 * an engineer's prose), the vocabulary (through hole / bore / thru, boss / flange, PCD / bolt
 * circle, ...), the order of the features, the number forms (Ø8, dia 8, 8 mm diameter, R3,
 * radius 3, 8 x 4, 8 by 4) and the unit words (mm, millimetres, none); every variant says the
 * same true numbers. Numbers are written rounded: 2 decimals below 100 mm, 1 decimal from
 * 100 mm (ds_number), trailing zeros dropped.
 *
 * The hint: the part generator knows what it made; it passes the family name ("flange",
 * "l_bracket"; underscores read as spaces) and the family's named parameters. The family names
 * the part in both descriptions and the plan; parameters whose value the detailed text does not
 * already state are added as "name value" pairs. Everything else still comes from the geometry.
 *
 * Errors: -1 + ut_error() when the model does not build (no extrude, invalid) - the text says
 * which. Thread safety: no shared state; every call may run concurrently (the seed is the only
 * source of variation). Time: about a millisecond per description (docs/data_describe.md).
 */
#ifndef RECAD_DESCRIBE_H
#define RECAD_DESCRIBE_H

#include <stddef.h>
#include <stdint.h>

#include "model/cad.h"

typedef enum { DS_ABSTRACT = 0, DS_DETAILED = 1 } ds_kind;

#define DS_MAX_PARAMS 16
typedef struct {
    const char *name; /* "wall", "hole_d", ... (underscores read as spaces) */
    double value;     /* mm for lengths; counts as whole numbers */
} ds_param;

typedef struct {
    const char *family; /* the generator's family name, or NULL */
    int nparams;        /* at most DS_MAX_PARAMS */
    ds_param params[DS_MAX_PARAMS];
} ds_hint;

/* ---- the analysis ---- */
typedef enum { DS_CIRCLE, DS_RECT, DS_ROUNDRECT, DS_SLOT, DS_POLYGON, DS_OUTLINE } ds_shape_kind;

typedef struct {
    ds_shape_kind kind;
    double cx, cy; /* centre in sketch coordinates (mm); OUTLINE: centre of its extent */
    double w, h;   /* CIRCLE: w = h = diameter; RECT / ROUNDRECT: sides, w along the first side;
                      SLOT: overall length w, width h; POLYGON: w across flats, h across corners;
                      OUTLINE: extent along u, v (mm) */
    double r;      /* ROUNDRECT: corner radius; SLOT: end radius (mm) */
    double angle;  /* direction of the w side in the sketch (radians, in [0, pi)) */
    int n;         /* POLYGON: sides; OUTLINE: curves */
    int lines, arcs;
} ds_shape;

typedef enum { DS_PAT_ONE, DS_PAT_CIRCULAR, DS_PAT_GRID, DS_PAT_LIST } ds_pattern;

typedef enum {
    DS_ROLE_BASE,      /* the first extrude's outer loops */
    DS_ROLE_HOLE,      /* inner loops of a face: through the extrude that owns them */
    DS_ROLE_THRU,      /* a cut whose slab spans the whole part along its normal */
    DS_ROLE_POCKET,    /* a cut that stops inside the part (depth) */
    DS_ROLE_BOSS,      /* a join / new body after the first (height) */
    DS_ROLE_INTERSECT, /* an intersect */
} ds_role;

typedef struct {
    ds_role role;
    int extrude;       /* index of the model extrude it comes from */
    int parent;        /* HOLE: the feature whose loops hold it (-1 otherwise) */
    ds_shape shape;    /* the common shape of the group (the first member's centre) */
    int count;         /* members */
    ds_pattern pattern;
    double pcx, pcy, pcd;  /* CIRCULAR: centre and pitch circle diameter (sketch coordinates) */
    int nx, ny;            /* GRID: columns x rows along the sketch u, v axes (a row: ny = 1) */
    double px, py;         /* GRID: pitch along u, v (mm) */
    double *cu, *cv;       /* the members' centres, sketch coordinates (count each) */
    double depth;          /* extent along the normal inside the part: thickness, height, depth */
    int axis;              /* world axis (0 x, 1 y, 2 z) of the extrude normal; -1 if tilted */
    int side;              /* BOSS / POCKET: +1 on / from the part's max face along axis, -1 the
                              min face, 0 elsewhere */
    int extent;            /* the extrude's cad_extent_kind */
    double lo[3], hi[3];   /* world box of the group's prisms */
    cad_plane plane;       /* the sketch plane (centres to world: cad_plane_to_world) */
} ds_feature;

typedef struct {
    double lo[3], hi[3];   /* the solid's exact bounding box (mm) */
    ds_feature *f;         /* in build order: each extrude's outer groups, then its holes */
    int nf;
    int recognised;        /* 1 if every loop is a known shape (no OUTLINE) */
} ds_part;

/* Fills p (free with ds_part_free). -1 + ut_error() if the model does not build. */
int ds_analyze(const cad_model *m, ds_part *p);
void ds_part_free(ds_part *p);

/* ---- text ---- */
/* The description (malloc'd, NUL-terminated) in *out. hint may be NULL. 0, or -1 + ut_error(). */
int ds_describe(const cad_model *m, const ds_hint *hint, uint64_t seed, ds_kind kind, char **out);
/* The same from an analysis already made (ds_analyze). */
int ds_describe_part(const ds_part *p, const ds_hint *hint, uint64_t seed, ds_kind kind, char **out);
/* The plan of the answer's <think> block: 1-4 short lines, no trailing newline (malloc'd); what
 * the part is and its main features in build order. NULL + ut_error() if the model does not build. */
char *ds_think(const cad_model *m, const ds_hint *hint);
char *ds_think_part(const ds_part *p, const ds_hint *hint);

/* v as the descriptions write it: 2 decimals below 100, 1 from 100, trailing zeros dropped,
 * "-0" as "0". Returns buf (at least 32 bytes). */
const char *ds_number(double v, char *buf);

#endif
