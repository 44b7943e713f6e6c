/* evalgen.h - text-to-CAD evaluation, prefix eg_: generate for every prompt of a test set, score
 * each answer against the test sample's own program, and compare with a retrieval baseline.
 *
 *   eg_opts o; eg_default_opts(&o);
 *   o.train = "train.jsonl";             the baseline's pool (NULL: no baseline)
 *   eg_run(model, "test.jsonl", &o);     writes o.score.out/report.md, report.json,
 *                                        predictions.jsonl and example pictures in examples/
 *   eg_run(NULL, "test.jsonl", &o);      the retrieval baseline alone (o.train needed)
 *
 * Test set: JSONL records {"id", "prompt", "answer", "kind", "level", ...} (the dataset format,
 * docs/data_build.md); the ground truth is the program part of "answer" (ml/chat.h). A record
 * without "id" gets "line-N"; "kind" defaults to "text". Image records (docs/data_images.md) also
 * have "image": a PNG / JPEG path, relative to the JSONL file's folder unless absolute. A model
 * with a vision encoder answers them from the picture (inf_generate_image_file); a text-only
 * model is refused for a test set with image records (-1 + ut_error()), which is then scored
 * against the baseline alone.
 *
 * Systems, scored the same way (eval/evalset.h: CD in the chosen protocol, IoU_best exact, P-F1,
 * validity under the sandbox budget):
 *   ours       infer/generate.h: o.gen.n candidates, the picked one; when none is valid, the
 *              first candidate (so the item counts as invalid with its error); a picture that
 *              cannot be read makes the item invalid with the reason;
 *   retrieval  BM25 (data/retrieve.h) over the "prompt" fields of o.train's text records: the
 *              program of the training sample whose prompt is nearest; for an image item, the
 *              nearest picture among o.train's image records (data/imgret.h; every picture read
 *              and framed with base/picture.h pic_load_framed). An unreadable test picture makes
 *              that item invalid with the reason; an unreadable training picture is an error.
 * Groups: every item, then per "kind" (abstract, detailed, ...) and per ground-truth level.
 * Per group and system: items, IR (%), median and mean CD (x1000 for text2cad / unitcube),
 * median and mean IoU_best, P-F1 (NaN, "-", for a group of image items only: a picture gives no
 * absolute sizes; the CD protocols and IoU_best normalise each shape's scale). Examples: o.examples items spread evenly over the set, with the
 * 2x2 sheets of the truth, ours and the baseline.
 *
 * Errors: -1 + ut_error() for an unreadable test or train file or an unwritable report folder.
 */
#ifndef RECAD_EVALGEN_H
#define RECAD_EVALGEN_H

#include "eval/evalset.h"
#include "infer/generate.h"
#include "ml/nn.h"
#include "ml/tokenizer.h"

typedef struct {
    inf_opts gen;       /* candidates, temperature, seed, pick, sandbox limits */
    es_opts score;      /* protocol, points, seed, threads, report folder (score.out) */
    const char *train;  /* JSONL pool of the retrieval baseline; NULL: none */
    const char *title;  /* the test set's name in the report (default: the file name) */
    int limit;          /* first N items only (0: all) */
    int examples;       /* items shown with pictures (default 4) */
    int quiet;          /* no progress bars */
} eg_opts;

void eg_default_opts(eg_opts *o);

/* one system's numbers over one group (report.json has them all) */
typedef struct {
    int items, invalid;
    double ir, cd_median, cd_mean, best_median, best_mean, pf1;
} eg_row;

int eg_run(inf_model *g, const char *test_jsonl, const eg_opts *o, eg_row *all_ours, eg_row *all_base);

/* ---- validation during training (train/train.h tr_hook) ----
 * A fixed subset: the first k records of a JSONL file, their programs prepared once as targets
 * (IoU_best exact only). eg_val_measure samples one greedy answer per prompt with the model being
 * trained (chat layout, the sampler on the same weights), runs it in the sandbox and scores it:
 * out[0] = invalidity ratio in percent, out[1] = mean IoU_best with invalid answers counted as 0.
 * The names are eg_val_names. The tokenizer is only used from the calling thread. */
#define EG_VAL_NOUT 2
extern const char *const eg_val_names[EG_VAL_NOUT]; /* "val_ir", "val_iou_best" */
typedef struct eg_val eg_val;
eg_val *eg_val_new(const char *jsonl, int k, tok_tokenizer *tok, int max_new); /* NULL + ut_error() */
int eg_val_measure(void *val, nn_model *m, long step, double *out);           /* a tr_hook fn */
void eg_val_free(eg_val *v);

#endif
