/* import.h - DeepCAD, Fusion 360 Gallery and Text2CAD JSON files to recad's CAD model.
 *
 *   cad_model m; im_report rep;
 *   if (im_load("00000070.json", NULL, &m, &rep) != 0) fprintf(stderr, "%s\n", ut_error());
 *   ... use m (millimetres), rep.warnings, rep.bbox_lo/hi (the box stored in the file) ...
 *   cad_free(&m); im_report_free(&rep);
 *
 * Formats (docs/import.md has the details and every trap handled):
 *   DeepCAD   raw cad_json: "entities" + "sequence" of Sketch / ExtrudeFeature; metres (x1000)
 *   Fusion    Fusion 360 Gallery reconstruction JSON: "timeline" / "metadata", Point3D-typed
 *             points; centimetres (x10)
 *   Text2CAD  "minimal JSON": "parts" -> coordinate_system + sketch + extrusion; the model is
 *             normalised to a 0.75 box and carries no unit: one file unit becomes
 *             opt->text2cad_mm millimetres (default 1)
 * Auto-detection (IM_AUTO): "parts" -> Text2CAD; "timeline" or "metadata" -> Fusion;
 * "entities" + "sequence" -> DeepCAD (Fusion if its bounding box points are typed Point3D).
 *
 * What the importer produces: one cad extrude per source extrude, in feature order, each with its
 * own sketch holding every referenced profile as one face (outer loop found geometrically: the
 * loop of largest area; the others are its holes). Curves are Line / 3-point Arc / Circle in
 * sketch coordinates, each loop chained start-to-end, outer loops counter-clockwise and holes
 * clockwise. Extents: one-sided (signed), two-sided, symmetric (total thickness), after unit
 * conversion. Every curve, sketch and extrude gets .line = 1 + the index of its extrude in the
 * source's extrude features (in sequence / timeline order; Text2CAD: part order), so "line N" in
 * a validation message means the N-th extrude feature; rep->features[N-1] holds its name and
 * im_validate() writes it into the message.
 *
 * Skipped with a warning (rep->warnings): extrudes without profiles, zero-depth extrudes,
 * zero-length lines; a three-point arc whose points are collinear (Text2CAD quantisation) becomes
 * its chord, with a warning. Rejected (-1, ut_error() names the file and the feature): malformed JSON,
 * unknown format, splines / ellipses / unknown curve types, taper angles, unsupported extent or
 * start definitions, dangling profile or point references, open loops, and a file in which no
 * extrude is buildable ("no buildable extrude").
 */
#ifndef RECAD_IMPORT_H
#define RECAD_IMPORT_H

#include <stddef.h>

#include "model/cad.h"

typedef enum { IM_AUTO = 0, IM_DEEPCAD = 1, IM_FUSION = 2, IM_TEXT2CAD = 3 } im_format;

typedef struct {
    im_format format;  /* IM_AUTO detects */
    double text2cad_mm; /* millimetres per Text2CAD unit; 0 means 1 */
} im_options;

/* A Fusion profile's stored properties next to the same numbers computed from the imported
 * face (outer minus holes, arcs exact). Sketch coordinates, millimetres. */
typedef struct {
    int extrude;                     /* index into the model's extrudes */
    double area_file, area_loops;    /* mm^2 */
    double cen_file[2], cen_loops[2]; /* mm */
} im_profile_check;

typedef struct {
    im_format format;     /* the format actually read */
    char **warnings;      /* nwarnings messages, owned */
    int nwarnings, cap_warnings;
    char **features;      /* name of the n-th extrude feature (the .line of its elements - 1) */
    int nfeatures, cap_features;
    int extrudes_in;      /* extrude features in the file */
    int skipped_empty;    /* extrudes skipped because they reference no profile */
    int skipped_other;    /* extrudes skipped for another warned reason (zero depth) */
    int degenerate_lines; /* zero-length lines dropped */
    int has_intersect;    /* an intersect extrude was imported */
    double arc_end_err;   /* mm: largest distance between an arc end computed from centre /
                             reference / sweep and the stored end point it was matched to */
    int has_bbox;         /* the file stores the bounding box of the final part */
    double bbox_lo[3], bbox_hi[3]; /* mm */
    int has_props;        /* Fusion: the file stores volume, area, centre of mass */
    double volume, area, com[3]; /* mm^3, mm^2, mm */
    im_profile_check *profiles;  /* Fusion profiles with stored properties */
    int nprofiles, cap_profiles;
} im_report;

void im_report_free(im_report *r);
const char *im_format_name(im_format f); /* "auto" "deepcad" "fusion" "text2cad" */
int im_format_parse(const char *s, im_format *f); /* -1 if unknown */

#define IM_MAX_FILE (64 << 20) /* largest JSON file read, bytes (the largest shared file is far below) */

/* reads a JSON file of at most IM_MAX_FILE bytes (a NUL-terminated copy; free it); NULL +
 * ut_error() otherwise: "<path> is larger than the limit of 67108864 bytes" for a longer file or
 * an endless stream such as /dev/zero */
char *im_read_json_file(const char *path, size_t *len);

/* Reads path and imports it. out and rep are initialised here: cad_free / im_report_free them
 * even after a failure (the report keeps the warnings so far); rep may be NULL. Returns 0 or -1 + ut_error() ("<path>: <reason>"). opt may be NULL (auto, defaults). */
int im_load(const char *path, const im_options *opt, cad_model *out, im_report *rep);
/* The same on JSON text already in memory; name is used in messages. */
int im_parse(const char *text, const char *name, const im_options *opt, cad_model *out, im_report *rep);
/* Detects the format of JSON text: IM_DEEPCAD / IM_FUSION / IM_TEXT2CAD, or -1 + ut_error(). */
int im_detect(const char *text);

/* va_validate() (orients the model too) with its "line N: " prefix replaced by the feature it
 * came from: "feature 'Extrude 2' (extrude feature 2): ...". 0 or -1 + ut_error(). */
int im_validate(cad_model *m, const im_report *rep);

#endif
