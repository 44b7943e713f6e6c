/* evalset.h - an evaluation set: predicted parts paired with their ground truths, scored with
 * score.h, summarised and reported (report.json, report.md, cd_hist.png). `recad eval` is option
 * parsing around this module.
 *
 *   es_set set;
 *   es_from_dirs("pred", "gt", &set);          or es_from_jsonl("pairs.jsonl", &set)
 *   es_opts o; es_default_opts(&o);
 *   es_result *res = es_run(&o, &set);         every item, in parallel, progress on stderr
 *   es_summary s; es_summarise(&o, &set, res, &s);     counts, IR, P-F1, the Chamfer noise floor
 *   es_write_reports(&o, &set, res, &s, NULL); into o.out
 *   free(res); es_free(&set);
 *
 * Items: from two folders, the .lua / .json files of the ground-truth folder matched by file stem
 * with the prediction folder (a missing prediction is an invalid item); from JSONL, one object
 * {"id": ..., "gt": ..., "pred": ...} per line, gt and pred a file path or the program / JSON text
 * itself (a malformed line is an item whose prediction cannot be read). Items whose ground truth
 * cannot be built are reported and left out of the statistics; the invalidity ratio's denominator
 * is every other item. Each item's sampling streams derive from the seed and its id
 * (es_item_seed), so a result does not depend on the order of the items.
 *
 * Errors: int functions give 0, or -1 + ut_error(). Thread safety: es_run runs items on the OpenMP
 * threads; the other functions run on the caller's thread.
 */
#ifndef RECAD_EVALSET_H
#define RECAD_EVALSET_H

#include "eval/score.h"
#include "model/level.h"

struct cJSON;

typedef struct {
    char *id;
    char *gt, *pred;     /* a path, or program / JSON text (gt_text, pred_text); pred NULL: none */
    int gt_text, pred_text;
    char *bad;           /* the item itself is malformed (JSONL): the reason; NULL otherwise */
} es_item;

typedef struct {
    es_item *items; /* sorted by id when read from folders; in line order from JSONL */
    int n;
} es_set;

/* The set is initialised here; es_free it even after a failure. */
int es_from_dirs(const char *pred_dir, const char *gt_dir, es_set *set);
int es_from_jsonl(const char *path, es_set *set);
void es_free(es_set *set);

typedef struct {
    sc_opts score;   /* protocol, points (<= 0: the protocol's), metrics, pitch, refine, budget;
                        its seed is replaced per item by es_item_seed(id, seed) */
    long seed;       /* --seed */
    int floor_items; /* ground truths used for the Chamfer noise floor (0: none) */
    int threads;     /* items in parallel (<= 0: OpenMP's thread count) */
    int quiet;       /* no progress bar */
    const char *out; /* report folder */
} es_opts;

/* text2cad, all metrics but the refined IoU_best, seed 0, 5 floor items, out "eval_report" */
void es_default_opts(es_opts *o);
/* the item's target seed: FNV-1a of its id, started from seed */
uint64_t es_item_seed(const char *id, long seed);

typedef struct {
    int gt_ok;       /* the ground truth was built (malformed items count as built) */
    lv_level level;  /* the ground truth's hierarchy level (LV_NONE if unknown) */
    sc_result s;     /* the prediction's score; s.reason also says why a ground truth failed;
                        s.secs: the whole item, ground truth included */
} es_result;

/* scores one item (its target prepared, used once, freed) */
void es_run_item(const es_opts *o, const es_item *it, es_result *r);
/* every item, o->threads at a time, with a progress bar unless o->quiet; n results (free them) */
es_result *es_run(const es_opts *o, const es_set *set);

typedef struct {
    int items, gt_bad, invalid, valid;
    double ir;          /* invalidity ratio, percent, over the items whose ground truth was built */
    double floor;       /* Chamfer noise floor (raw; NaN when not measured) */
    int floor_items;    /* ground truths it was measured on */
    double pf1, pf1_type[MT_PF1_TYPES]; /* dataset P-F1 over the valid predictions */
} es_summary;

/* Counts and P-F1 of the results, and the noise floor: the mean CD of each of the first
 * o->floor_items built ground truths against itself, with independent sampling streams. */
void es_summarise(const es_opts *o, const es_set *set, const es_result *res, es_summary *s);

/* Writes o->out/report.json, report.md and cd_hist.png (atomically; the folder is created).
 * summary_out (may be NULL) gets report.json's object without the per-item details (cJSON_Delete
 * it). evalset_report.c. */
int es_write_reports(const es_opts *o, const es_set *set, const es_result *res, const es_summary *s,
                     struct cJSON **summary_out);

#endif
