/* partstats.h - distributions over a set of CAD models, to compare generated parts with real ones
 * (docs/data_calibration.md is the report `recad data stats` writes with it).
 *
 *   ps_stats g, r; ps_init(&g); ps_init(&r);
 *   for each generated model: ps_add(&g, &model);  for each real one: ps_add(&r, &model);
 *   ps_write_report(&g, "generated", &r, "real", "report.md", "report.png", header);
 *
 * What is counted (each table of the report shows the two sets side by side, as shares in %):
 *   level          lv_classify: L F S SE MSE
 *   extrudes       per part: 1 .. 5, 6+
 *   faces          per sketch: 1 .. 4, 5+            loops per face: 1 .. 4, 5+
 *   curves         per loop: 1, 2, 3, 4, 5-8, 9-16, 17+; per part: 1-4, 5-8, 9-16, 17-32, 33-64, 65+
 *   curve kinds    line, arc, circle (share of all curves)
 *   planes         per extrude: XY, XZ, YZ (axes along world axes, through the origin, either
 *                  sign), offset (world axes, lifted off the origin), other (tilted)
 *   extents        per extrude: one-sided, two-sided, symmetric
 *   operations     of the extrudes after the first: join (and new), cut, intersect
 *   aspect         of the box of the new/join prisms (sk_prism_bbox), sides s1 >= s2 >= s3:
 *                  s2/s1 and s3/s1 in five bins of 0.2
 * The counts are plain integers, so two ps_stats of parts counted in parallel can be added
 * (ps_merge). Errors: -1 + ut_error() (file writing). Thread safety: one ps_stats per thread.
 */
#ifndef RECAD_PARTSTATS_H
#define RECAD_PARTSTATS_H

#include "model/cad.h"

enum {
    PS_EXTRUDES = 6,   /* 1..5, 6+ */
    PS_FACES = 5,      /* 1..4, 5+ */
    PS_LOOPS = 5,      /* 1..4, 5+ */
    PS_LOOP_CURVES = 7,
    PS_PART_CURVES = 6,
    PS_PLANES = 5,     /* XY XZ YZ offset other */
    PS_ASPECT = 5
};

typedef struct {
    long parts;
    long level[5];
    long extrudes[PS_EXTRUDES];
    long faces[PS_FACES];
    long loops[PS_LOOPS];
    long loop_curves[PS_LOOP_CURVES];
    long part_curves[PS_PART_CURVES];
    long kinds[3];       /* line, arc, circle */
    long planes[PS_PLANES];
    long extents[3];     /* one, two, symmetric */
    long ops[3];         /* join/new, cut, intersect (extrudes after the first) */
    long aspect_mid[PS_ASPECT], aspect_min[PS_ASPECT]; /* s2/s1, s3/s1 */
} ps_stats;

void ps_init(ps_stats *s);
void ps_add(ps_stats *s, const cad_model *m); /* a validated model */
void ps_merge(ps_stats *dst, const ps_stats *src);

/* the plane class of a sketch plane: 0 XY, 1 XZ, 2 YZ, 3 offset, 4 other */
int ps_plane_class(const cad_plane *p, double size);

/* Total variation distance (0 same .. 1 disjoint) between the two sets' distributions of one
 * table, by name: "level" "extrudes" "faces" "loops" "loop_curves" "part_curves" "kinds"
 * "planes" "extents" "ops" "aspect_mid" "aspect_min". NAN if the name is unknown or a set is empty. */
double ps_distance(const ps_stats *a, const ps_stats *b, const char *table);

/* Markdown report: `header` (may be NULL) then one table per distribution with both sets and
 * their distance; png (may be NULL) gets a chart of the main distributions. Atomic writes. */
int ps_write_report(const ps_stats *a, const char *name_a, const ps_stats *b, const char *name_b, const char *md_path,
                    const char *png_path, const char *png_link, const char *header);

#endif
