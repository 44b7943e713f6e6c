/* cmd_eval.c - `recad eval`: compare predicted parts with their ground truth and write a report.
 *
 *   recad eval PRED_DIR GT_DIR [options]     files matched by stem (a.lua / a.json in both)
 *   recad eval --pairs PAIRS.jsonl [options] {"id": ..., "pred": text or path, "gt": text or path}
 *   recad eval --model DIR --test TEST.jsonl [--train TRAIN.jsonl] [options]
 *                                            text to CAD: generate for every prompt, score against
 *                                            the sample's program, beside a retrieval baseline
 *   recad eval --test TEST.jsonl --train TRAIN.jsonl [options]
 *                                            the retrieval baseline alone (text and image records)
 *
 * Every item gets: Chamfer distance (the chosen protocol), volume IoU (same protocol), IoU_best
 * exact and voxel, visual similarity, P-F1 counts. A prediction that is missing, does not parse,
 * fails to execute or gives an empty solid is invalid and counts in the invalidity ratio, whose
 * denominator is every item. Items whose ground truth cannot be built are reported and left out.
 * Writes DIR/report.json, DIR/report.md and DIR/cd_hist.png (atomically).
 * This file parses the options and prints; the evaluation set (eval/evalset.h) reads the items,
 * scores them (eval/score.h) and writes the reports.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "eval/evalset.h"
#include "eval/metrics.h"
#include "infer/evalgen.h"

#define EVAL_CMD "eval"

/* --protocol: an arg_fn into mt_protocol */
static int eval_protocol(const char *cmd, const char *value, void *p) {
    if (mt_protocol_parse(value, p) != 0) return cli_error(-1, cmd, "option --protocol: %s", ut_error());
    return 0;
}

/* the summary line, or with --json the report's summary object (printed and freed) */
static void eval_print(const es_opts *o, const es_summary *s, cJSON *summary) {
    if (summary) {
        cli_print_json(summary);
    } else {
        printf("%d items (%d ground truths left out), %d invalid: IR %.2f%%; report in %s/report.md\n", s->items,
               s->gt_bad, s->invalid, s->ir, o->out);
    }
}

/* --model / --test mode: infer/evalgen.h; dir NULL: the retrieval baseline alone */
static int eval_model(const char *dir, const char *test, eg_opts *g, int json) {
    if (!test) return cli_error(CLI_USAGE, EVAL_CMD, "--model needs --test TEST.jsonl");
    if (!dir && !g->train) return cli_error(CLI_USAGE, EVAL_CMD, "--test without --model needs --train TRAIN.jsonl");
    inf_model *m = NULL;
    if (dir && !(m = inf_load(dir))) return cli_error(CLI_IO, EVAL_CMD, "cannot load the model: %s", ut_error());
    eg_row ours, base;
    int rc = eg_run(m, test, g, &ours, &base);
    if (m) inf_free(m);
    if (rc) return cli_error(CLI_IO, EVAL_CMD, "%s", ut_error());
    if (json) {
        cJSON *j = cJSON_CreateObject();
        const eg_row *rows[2] = {&ours, &base};
        const char *names[2] = {"ours", "retrieval"};
        for (int k = dir ? 0 : 1; k < (g->train ? 2 : 1); k++) {
            cJSON *r = cJSON_AddObjectToObject(j, names[k]);
            cJSON_AddNumberToObject(r, "items", rows[k]->items);
            cJSON_AddNumberToObject(r, "ir", rows[k]->ir);
            cJSON_AddNumberToObject(r, "cd_median", isfinite(rows[k]->cd_median) ? rows[k]->cd_median : -1);
            cJSON_AddNumberToObject(r, "cd_mean", isfinite(rows[k]->cd_mean) ? rows[k]->cd_mean : -1);
            cJSON_AddNumberToObject(r, "iou_best_median", isfinite(rows[k]->best_median) ? rows[k]->best_median : 0);
            cJSON_AddNumberToObject(r, "pf1", isfinite(rows[k]->pf1) ? rows[k]->pf1 : 0);
        }
        cli_print_json(j);
    } else {
        char pf1[32] = "-";
        if (dir) {
            if (isfinite(ours.pf1)) snprintf(pf1, sizeof pf1, "%.3f", ours.pf1);
            printf("ours: %d items, IR %.2f%%, median CD %.3f, median IoU_best %.3f, P-F1 %s\n", ours.items, ours.ir,
                   ours.cd_median, ours.best_median, pf1);
        }
        if (g->train) {
            snprintf(pf1, sizeof pf1, "- (pictures)");
            if (isfinite(base.pf1)) snprintf(pf1, sizeof pf1, "%.3f", base.pf1);
            printf("retrieval: %d items, IR %.2f%%, median CD %.3f, median IoU_best %.3f, P-F1 %s\n", base.items, base.ir,
                   base.cd_median, base.best_median, pf1);
        }
        printf("report in %s/report.md\n", g->score.out);
    }
    return CLI_OK;
}

#define EVAL_BACKSTOP_SECONDS 60.0

CLI_COMMAND(cmd_eval, EVAL_CMD, "score predicted parts against ground truth (CD, IoU, IoU_best, P-F1, IR)") {
    es_opts o;
    es_default_opts(&o);
    const char *pairs = NULL, *model = NULL, *test = NULL, *pick = "agreement";
    long points = 0, floor_items = o.floor_items, threads = 0, cands = 8, limit = 0, examples = 4, gseed = 0, repair = 2, retry = 1;
    double temp = 0.8;
    eg_opts g;
    eg_default_opts(&g);
    int json = 0, refine = 0, no_voxel = 0, no_visual = 0, no_names = 0, first;
    const arg_opt opts[] = {
        ARG_FN("protocol", 0, &o.score.protocol, eval_protocol, "P",
               "text2cad (default) | unitcube | deepcad: Chamfer and IoU normalisation"),
        ARG_LONG("points", 0, &points, 1, 10000000, "N", "surface samples per cloud (default: the protocol's, 8192 or 2000)"),
        ARG_LONG("seed", 0, &o.seed, (double)LONG_MIN, (double)LONG_MAX, "S",
                 "sampling seed (default 0); each item's streams derive from it and its id"),
        ARG_STR("out", 'o', &o.out, "DIR", "report folder (default eval_report)"),
        ARG_STR("pairs", 0, &pairs, "PAIRS.jsonl", "items from a JSONL file instead of two folders"),
        ARG_DOUBLE("pitch", 0, &o.score.pitch, 0.005, 1, "P", "IoU_best voxel pitch in r_g units (default 0.05)"),
        ARG_FLAG("refine", 0, &refine, "IoU_best: also search rotations about ambiguous principal axes"),
        ARG_FLAG("no-voxel", 0, &no_voxel, "skip the voxel IoU_best"),
        ARG_FLAG("no-visual", 0, &no_visual, "skip the render-based visual similarity"),
        ARG_LONG("floor", 0, &floor_items, 0, 1000, "N", "ground truths used to measure the Chamfer noise floor (default 5)"),
        ARG_LONG("threads", 0, &threads, 1, 1024, "N", "items evaluated in parallel (default: OpenMP's thread count)"),
        ARG_STR("model", 'm', &model, "DIR", "text to CAD: generate with this model for every prompt of --test"),
        ARG_STR("test", 0, &test, "TEST.jsonl",
                "test records {prompt, answer[, id, kind, image]}: with --model, generate\nand retrieve; alone, the retrieval baseline only"),
        ARG_STR("train", 0, &g.train, "TRAIN.jsonl",
                "with --test: the retrieval baseline's pool (BM25 over its prompts;\nthe nearest picture for image records)"),
        ARG_LONG("candidates", 'n', &cands, 1, 256, "N", "with --model: candidates per prompt (default 8)"),
        ARG_DOUBLE("temperature", 0, &temp, 0, 10, "T", "with --model: sampling temperature (default 0.8)"),
        ARG_STR("pick", 0, &pick, "RULE", "with --model: agreement (default) or likelihood"),
        ARG_LONG("repair", 0, &repair, 0, 100, "R", "with --model: repair rounds while no candidate is valid (default 2)"),
        ARG_LONG("retry", 0, &retry, 0, 100, "R", "with --model: rounds of N fresh candidates while none is valid,\nbefore repair (default 1)"),
        ARG_FLAG("no-name-check", 0, &no_names, "with --model: sample without name-checked decoding"),
        ARG_LONG("gen-seed", 0, &gseed, (double)LONG_MIN, (double)LONG_MAX, "S", "with --model: sampling seed (default 0)"),
        ARG_LONG("limit", 0, &limit, 0, 1L << 30, "N", "with --model: the first N test items only"),
        ARG_LONG("examples", 0, &examples, 0, 1000, "K", "with --model: items shown with pictures (default 4)"),
        ARG_STR("title", 0, &g.title, "TEXT", "with --model: the test set's name in the report"),
        ARG_DOUBLE_GT("max-geom-seconds", 0, &o.score.max_geom_seconds, 0, 86400, "S",
                      "wall-clock backstop per item and per program, seconds (default 60;\n"
                      "the work units decide, so that a loaded machine gives the same scores);\n"
                      "an item over budget is invalid with status \"budget\""),
        ARG_LONG("max-geom-work", 0, &o.score.max_geom_work, 1000, (double)LONG_MAX, "N",
                 "geometry budget per item: work units (default 100000000)"),
        ARG_FLAG("json", 0, &json, "print the summary as one JSON object on stdout"),
        ARG_FLAG("quiet", 0, &o.quiet, "no progress bar"),
        ARG_END};
    const arg_spec spec = {
        EVAL_CMD, "PRED_DIR GT_DIR [options]\n       recad eval --pairs PAIRS.jsonl [options]\n"
                  "       recad eval --model DIR --test TEST.jsonl [--train TRAIN.jsonl] [options]\n"
                  "       recad eval --test TEST.jsonl --train TRAIN.jsonl [options]",
        "Compares predicted parts with the ground truth and writes report.json, report.md and\n"
        "cd_hist.png. Folders: .lua programs or .json files (DeepCAD / Fusion 360 / Text2CAD),\n"
        "matched by file stem. JSONL: one {\"id\": ..., \"pred\": ..., \"gt\": ...} per line, where\n"
        "pred and gt are a file path or the program / JSON text itself.\n"
        "With --model: generates for every test prompt (recad generate's candidates and pick) and\n"
        "scores against the record's program, beside a retrieval baseline; per kind and level.\n"
        "With --test and --train alone: the retrieval baseline only, which also answers image\n"
        "records (\"image\": a PNG / JPEG path, docs/data_images.md) with the nearest training picture.",
        opts, 0, 2, "folder",
        "Invalid predictions (missing, unparseable, failing, empty) count in the invalidity ratio,\n"
        "whose denominator is every item; the other statistics are over the valid ones.\n"};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    o.score.points = (int)points;
    o.floor_items = (int)floor_items;
    o.threads = (int)threads;
    o.score.refine = refine;
    if (no_voxel) o.score.metrics &= ~(unsigned)SC_BEST_VOXEL;
    if (no_visual) o.score.metrics &= ~(unsigned)SC_VISUAL;
    /* scores are the same under any load: the work units and instruction counts decide, the
       clock is only a backstop (for the programs, their geometry, and the model's candidates) */
    if (!(o.score.max_geom_seconds > 0)) o.score.max_geom_seconds = EVAL_BACKSTOP_SECONDS;
    o.score.max_seconds = o.score.max_geom_seconds;
    g.gen.lim.max_seconds = g.gen.lim.geometry.max_seconds = o.score.max_geom_seconds;
    if (model || test) {
        if (pairs || first < argc) return arg_error(&spec, "--model / --test take no folders or --pairs");
        if (inf_pick_parse(pick, &g.gen.pick)) return arg_error(&spec, "--pick: use agreement or likelihood");
        g.gen.n = (int)cands;
        g.gen.temperature = (float)temp;
        g.gen.repair = (int)repair;
        g.gen.check_names = !no_names;
        g.gen.retry = (int)retry;
        g.gen.seed = (uint64_t)gseed;
        g.limit = (int)limit;
        g.examples = (int)examples;
        g.quiet = o.quiet;
        g.score = o;
        g.score.floor_items = 0;
        if (!strcmp(o.out, "eval_report")) g.score.out = "eval_generate";
        return eval_model(model, test, &g, json);
    }
    if (pairs && first < argc) return arg_error(&spec, "--pairs takes no folders");
    if (!pairs && first == argc) return arg_error(&spec, "needs PRED_DIR and GT_DIR, or --pairs");
    if (!pairs && argc - first != 2) return arg_error(&spec, "needs both PRED_DIR and GT_DIR");
    es_set set;
    rc = pairs ? es_from_jsonl(pairs, &set) : es_from_dirs(argv[first], argv[first + 1], &set);
    if (rc != 0) {
        es_free(&set);
        return cli_error(CLI_IO, EVAL_CMD, "%s", ut_error());
    }
    if (ut_mkdirs(o.out) != 0) {
        es_free(&set);
        return cli_error(CLI_IO, EVAL_CMD, "cannot create %s: %s", o.out, ut_error());
    }
    es_result *res = es_run(&o, &set);
    es_summary s;
    es_summarise(&o, &set, res, &s);
    cJSON *summary = NULL;
    rc = es_write_reports(&o, &set, res, &s, json ? &summary : NULL);
    if (rc != 0) {
        rc = cli_error(CLI_IO, EVAL_CMD, "writing the report in %s: %s", o.out, ut_error());
        cJSON_Delete(summary);
    } else {
        eval_print(&o, &s, summary); /* frees summary */
    }
    free(res);
    es_free(&set);
    if (rc == 0 && s.gt_bad == s.items) return cli_error(CLI_INVALID, EVAL_CMD, "no ground truth could be built");
    return rc;
}
