/* dataset.h - the training dataset: generated and real parts turned into (prompt, answer) pairs,
 * prefix db_. `recad data build` and `recad data real` are option parsing around it.
 *
 *   db_opts o; db_default_opts(&o);
 *   o.parts = 50000;                          generated parts (data/gen.h), seeded
 *   o.real = dirs; o.nreal = 1;               plus real DeepCAD / Fusion JSON files (data/import.h)
 *   db_stats st;
 *   db_build(&o, "data/build", &st);          train.jsonl, val.jsonl, test.jsonl, stats.md, *.png
 *
 * One part gives one answer and several prompts:
 *   answer  "<think>\n" PLAN "\n</think>\n" PROGRAM, PLAN from data/describe.h (ds_think), PROGRAM
 *           the verified parametric rewrite (data/rewrite.h rp_parametric) or, when the rewrite
 *           does not verify, the hard-coded program (the reason is counted);
 *   prompts o.abstract abstract and o.detailed detailed descriptions (data/describe.h), each
 *           from its own seed, so one part is seen in several phrasings. Generated parts of the
 *           families that are nouns (plate, washer, spacer, tube, flange, bracket, shaft) pass the
 *           family and its parameters as the describer's hint; the rest, and real parts, are
 *           described from their geometry alone.
 * Records (one JSON object per line, docs/data_build.md):
 *   {"id": "g00000012-d1", "part": "g00000012", "prompt": ..., "kind": "abstract"|"detailed",
 *    "answer": ..., "level": "L".."MSE", "curves": N, "family": NAME|"real", "source":
 *    "gen:SEED:INDEX" | "deepcad:STEM", "split": "train"|"val"|"test", "rewrite": "verified"|reason}
 *
 * Splits keep geometric near-duplicates together. Two parts are twins when they have the same
 * level and curve count, their sorted bounding-box extents agree within DB_TWIN_TOL (relative)
 * each, and so do their volumes. Twins are joined into groups (union-find over a grid of
 * log-sizes, neighbouring cells included, so no twin pair is missed at a cell edge); a group's
 * split is drawn from a hash of (seed, its lowest part index): val and test get o.val_share and
 * o.test_share of the groups. So no test part has a twin in train (db_twins checks any two parts).
 * With o.split set every part goes to that split (the real test set).
 *
 * Image samples (o.images = K > 0, docs/data_images.md): part i also gets K pictures, picture k
 * of view sheet, iso, front, top, right, sheet, ... (k mod 5), made by data/trainimg.h with
 * augmentation seeded by (the part's prompt seed, k), written as 8-bit grey PNGs of
 * o.image_side pixels to OUT/images/ID-iK.png, and one record each in OUT/train_images.jsonl,
 * val_images.jsonl, test_images.jsonl (NAME_images.jsonl with o.split), beside the text files:
 *   {"id": "g00000012-i0", "part": ..., "prompt": "<|image|>", "image": "images/g00000012-i0.png",
 *    "kind": "image", "view": "sheet"|"iso"|"front"|"top"|"right", then the text records' fields}
 * The image path is relative to OUT. The text files are the same bytes with or without images.
 *
 * Determinism: part i of the generator depends only on (seed, i), prompts on (seed, part id,
 * prompt index); parts are made in parallel and written in index order, so the same options give
 * the same files byte for byte, whatever the thread count.
 *
 * Errors: -1 + ut_error() (unwritable output, an unreadable real folder). A part that cannot be
 * made or described is skipped and counted, not an error.
 */
#ifndef RECAD_DATASET_H
#define RECAD_DATASET_H

#include <stdint.h>

#include "data/gen.h"
#include "data/rewrite.h"

#define DB_TWIN_TOL 0.02

typedef struct {
    long parts;            /* generated parts (default 1000) */
    uint64_t seed;         /* default 1 */
    gn_options gen;        /* family and level mix (gn_default_options) */
    const char *const *real; /* folders or files of DeepCAD / Fusion / Text2CAD JSON (may be NULL) */
    int nreal;
    int abstract, detailed; /* prompts per part of each kind (1, 2) */
    double val_share, test_share; /* of the twin groups (0.02, 0.02) */
    const char *split;     /* non-NULL: every part goes to this split */
    const char *name;      /* output file stem when split is set ("real_test" -> real_test.jsonl) */
    int threads;           /* <= 0: every core */
    int quiet;             /* no progress bar */
    int images;            /* image samples per part (0: none, the default; at most 16) */
    int image_side;        /* their side, pixels (PIC_SIDE) */
} db_opts;

void db_default_opts(db_opts *o);

typedef struct {
    long parts, skipped;           /* parts written; parts that could not be made / described */
    long samples[3];               /* train, val, test */
    long parts_split[3];
    long level[5];                 /* parts per level L..MSE */
    long rewrite[RP_NREASONS];     /* rewrite outcomes (RP_OK = verified) */
    long groups, twin_parts;       /* twin groups; parts in a group of 2 or more */
    double seconds;
    double answer_bytes_mean, answer_bytes_p95;
    long images[3];                /* image samples per split */
    long image_failed;             /* parts whose pictures could not be made (text samples kept) */
    double image_bytes_mean;       /* mean PNG size */
} db_stats;

int db_build(const db_opts *o, const char *out_dir, db_stats *st);

/* the twin rule on two parts' signatures (level, curves, sorted extents, volume) */
typedef struct {
    int level, curves;
    double ext[3];   /* sorted, descending, mm */
    double volume;   /* mm^3 */
} db_sig;

int db_sig_of(const cad_model *m, db_sig *s); /* -1 + ut_error() if the model gives no solid */
int db_twins(const db_sig *a, const db_sig *b);

#endif
