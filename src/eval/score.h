/* score.h - scores predicted parts against one prepared target: what `recad eval` runs for every
 * item, and the single call a trainer (many rollouts against one target) or a server needs.
 *
 *   sc_opts o;
 *   sc_default_opts(&o);                               text2cad, 8192 points, seed 0, every metric
 *   sc_target *t = sc_target_text(gt_src, "gt", &o, NULL);     NULL + ut_error() on failure
 *   sc_result r;
 *   sc_score_text(t, pred_src, "pred", NULL, &r);      r.valid, r.reason, r.cd, r.iou, ...
 *   sc_target_free(t);
 *
 * Target: prepared once from a program, a JSON model (text, file) or a parsed model. It holds the
 * model, its solid, its hierarchy level, the solid normalised by the protocol (volume IoU), its
 * inertia frame (IoU_best), its surface samples normalised by the protocol in a k-d tree (Chamfer)
 * and its renders (visual similarity): scoring a prediction does only the prediction's work (run
 * or parse it, build its solid, sample it, render it, compare). A metric the options switch off is
 * not prepared. A target whose solid turns out empty is still made: its metrics stay NaN.
 *
 * Inputs: text is a CADLib program unless its first non-blank character is '{' (then DeepCAD /
 * Fusion 360 / Text2CAD JSON, import.h), parsed in memory. A file is JSON when its name ends in
 * .json, a program otherwise. The name given with a text appears in messages: "pred:3: ..." for
 * a program, "pred JSON text: ..." for JSON; a file's messages name its path.
 *
 * Numbers: the same, bit for bit, as metrics.h computes from the two solids: CD = mt_chamfer with
 * the target's samples from seed and the prediction's from seed ^ SC_PRED_STREAM (raw, not
 * x1000), IoU = mt_iou_protocol, IoU_best = mt_iou_best_exact / _voxel on the inertia frames,
 * visual = mt_visual_similarity (MT_VIS_SIZE renders), P-F1 counts = mt_pf1_sample.
 *
 * Validity: a prediction is valid when it runs / parses and gives a solid of positive volume;
 * only then are the metrics computed. Otherwise sc_result.status says why and reason holds the
 * text ("prediction: pred:2: boom", "prediction: pred:1: instruction budget of 10000000 exceeded",
 * "prediction solid: ...", "prediction solid is empty").
 *
 * Budget: programs (targets and predictions) run under the executor's limits (exec.h), with the
 * instruction budget and the wall-clock limit taken from the options: a hostile program ends
 * invalid with SC_E_BUDGET, never hangs. Everything after the program - validation, the solid,
 * sampling, volumes, voxels, renders - runs under one geometry budget per item (base/budget.h,
 * max_geom_seconds and max_geom_work, also for JSON models and parsed models): a prediction that
 * exhausts it is invalid with SC_E_BUDGET and a reason "prediction: ... exceeded the geometry
 * budget (2 s)", its metrics NaN; a target that exhausts it is not made (NULL, SC_E_BUDGET).
 *
 * Thread safety: a prepared target is read-only while scoring: any number of threads may score
 * different predictions against one target at once (each call owns its Lua state, solids and
 * clouds). Free a target only when no call is using it. Each call uses the OpenMP threads of the
 * metrics it runs (a call made inside a parallel region runs them on its own thread).
 */
#ifndef RECAD_SCORE_H
#define RECAD_SCORE_H

#include <stdint.h>

#include "eval/metrics.h"
#include "model/cad.h"
#include "model/level.h"

/* the metrics (sc_opts.metrics, sc_result.done) */
enum {
    SC_CD = 1,          /* Chamfer distance */
    SC_IOU = 2,         /* volume IoU in the protocol's normalisation */
    SC_BEST_EXACT = 4,  /* IoU_best, exact volumes */
    SC_BEST_VOXEL = 8,  /* IoU_best, voxels */
    SC_VISUAL = 16,     /* visual similarity */
    SC_PF1 = 32,        /* P-F1 counts */
    SC_ALL = 63
};

/* the default geometry budget of one scored item: four times a command's (BG_DEFAULT_WORK), as an
 * item builds, samples, normalises and intersects several solids (the largest shared DeepCAD
 * part scored against itself needs about 5e7 units; docs/budget.md) */
#define SC_DEFAULT_GEOM_WORK (4 * 25000000L)

/* the prediction's sampling stream is the target's seed xor this */
#define SC_PRED_STREAM 0x9e3779b97f4a7c15ULL

typedef struct {
    mt_protocol protocol;  /* Chamfer and volume IoU normalisation */
    int points;            /* surface samples per cloud; <= 0: the protocol's (8192 or 2000) */
    uint64_t seed;         /* the target's sampling stream (the prediction's: seed ^ SC_PRED_STREAM) */
    unsigned metrics;      /* SC_* bits: what is prepared (target) and computed (score) */
    double pitch;          /* IoU_best voxel pitch, r_g units (<= 0: 0.05) */
    int refine;            /* IoU_best: also rotations about ambiguous principal axes */
    long max_instructions; /* program budget, VM instructions (<= 0: the executor's 10,000,000) */
    double max_seconds;    /* program wall-clock limit, seconds (<= 0: the executor's 5) */
    double max_geom_seconds; /* geometry budget per item, seconds (<= 0: BG_DEFAULT_SECONDS, 5) */
    long max_geom_work;      /* geometry budget per item, work units (<= 0: SC_DEFAULT_GEOM_WORK) */
} sc_opts;

/* text2cad, its point count, seed 0, SC_ALL, pitch 0.05, no refine, the executor's budget */
void sc_default_opts(sc_opts *o);

/* why an input is not valid */
typedef enum {
    SC_OK = 0,
    SC_E_MISSING = 1, /* no prediction given */
    SC_E_READ = 2,    /* the file cannot be read */
    SC_E_SYNTAX = 3,  /* the program does not compile */
    SC_E_RUN = 4,     /* the program raised an error, made no Extrude call or its model is invalid */
    SC_E_BUDGET = 5,  /* the program exceeded its instruction budget, time limit or memory cap, or
                         the item exceeded its geometry budget */
    SC_E_IMPORT = 6,  /* the JSON text or file cannot be imported */
    SC_E_SOLID = 7,   /* the model gives no solid */
    SC_E_EMPTY = 8,   /* the solid has no volume */
    SC_E_OPTIONS = 9  /* the score's options do not fit the target (sc_score_* returned -1) */
} sc_status;
/* "ok" "missing" "read" "syntax" "run" "budget" "import" "solid" "empty" "options" */
const char *sc_status_name(sc_status s);

typedef struct sc_target sc_target; /* opaque */

/* A target from program or JSON text (name: in messages; NULL = "gt"), from a file, or from a
 * parsed model (copied). NULL + ut_error() on failure; *st (may be NULL) gets the reason's kind
 * (SC_E_SOLID: the model loaded but gives no solid). o NULL: sc_default_opts. */
sc_target *sc_target_text(const char *text, const char *name, const sc_opts *o, sc_status *st);
sc_target *sc_target_file(const char *path, const sc_opts *o, sc_status *st);
sc_target *sc_target_model(const cad_model *m, const sc_opts *o, sc_status *st);
void sc_target_free(sc_target *t);

const sc_opts *sc_target_opts(const sc_target *t); /* as prepared; points resolved */
const cad_model *sc_target_cad(const sc_target *t);
const sd_solid *sc_target_solid(const sc_target *t);
lv_level sc_target_level(const sc_target *t);
/* the target's own noise: CD of its samples against its solid sampled with the prediction stream.
 * 0, or -1 + ut_error() (Chamfer not prepared, or the solid is empty). */
int sc_target_self_cd(const sc_target *t, double *cd);
/* targets prepared in this process so far (every sc_target_* success counts one) */
long sc_targets_prepared(void);

typedef struct {
    int valid;           /* the prediction gave a solid of positive volume; metrics computed */
    sc_status status;    /* SC_OK when valid */
    char reason[300];    /* why not valid ("" when valid) */
    lv_level level;      /* the prediction's hierarchy level (LV_NONE if it did not load) */
    double cd;           /* raw Chamfer distance (print x mt_protocol_cd_scale) */
    double iou, best_exact, best_voxel, visual; /* NaN when not computed or when it failed */
    mt_pf1_counts pf1;   /* zero unless SC_PF1 is in done */
    double size[3];      /* the prediction's bounding-box extents x, y, z in mm (valid ones; else NaN) */
    unsigned done;       /* SC_* metrics attempted (valid predictions only) */
    double secs;         /* wall time of the call */
    long work;           /* geometry work units the prediction took (after its program; a
                            prediction stopped by the budget: about the limit) */
} sc_result;

/* Score a prediction: program or JSON text (name: in messages; NULL = "pred"), a file, or a parsed
 * model. o NULL: the target's options; otherwise its protocol, points (resolved) and seed must be
 * the target's and its metrics among the target's (the budget, pitch and refine may differ).
 * Returns 0 with *r filled (valid or not), or -1 + ut_error() when the options do not fit the
 * target (then *r is invalid with that reason). */
int sc_score_text(const sc_target *t, const char *text, const char *name, const sc_opts *o, sc_result *r);
int sc_score_file(const sc_target *t, const char *path, const sc_opts *o, sc_result *r);
int sc_score_model(const sc_target *t, const cad_model *m, const sc_opts *o, sc_result *r);

/* 1 when text is JSON by the rule above (its first non-blank character is '{'), else 0 */
int sc_is_json_text(const char *text);

/* a result with nothing computed: invalid, every metric NaN, level LV_NONE */
void sc_result_init(sc_result *r);

#endif
