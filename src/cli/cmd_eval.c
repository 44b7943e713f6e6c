/* cmd_eval.c - `recad eval`: compare predicted parts with their ground truth and write a report.
 *
 *   recad eval PRED_DIR GT_DIR [options]     files matched by stem (a.lua / a.json in both)
 *   recad eval --pairs PAIRS.jsonl [options] {"id": ..., "pred": text or path, "gt": text or path}
 *
 * Every item gets: Chamfer distance (the chosen protocol), volume IoU (same protocol), IoU_best
 * exact and voxel, visual similarity, P-F1 counts. A prediction that is missing, does not parse,
 * fails to execute or gives an empty solid is invalid and counts in the invalidity ratio, whose
 * denominator is every item. Items whose ground truth cannot be built are reported and left out.
 * Writes DIR/report.json, DIR/report.md and DIR/cd_hist.png (atomically).
 * This file parses the options and prints; the evaluation set (eval/evalset.h) reads the items,
 * scores them (eval/score.h) and writes the reports.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "cli/cli.h"
#include "eval/evalset.h"
#include "eval/metrics.h"

#define EV_CMD "eval"

/* ---- command ---- */

static void ev_usage(FILE *f) {
    fprintf(f,
            "usage: recad eval PRED_DIR GT_DIR [options]\n"
            "       recad eval --pairs PAIRS.jsonl [options]\n"
            "Compares predicted parts with the ground truth and writes report.json, report.md and\n"
            "cd_hist.png. Folders: .lua programs or .json files (DeepCAD / Fusion 360 / Text2CAD),\n"
            "matched by file stem. JSONL: one {\"id\": ..., \"pred\": ..., \"gt\": ...} per line, where\n"
            "pred and gt are a file path or the program / JSON text itself.\n"
            "  --protocol P   text2cad (default) | unitcube | deepcad: Chamfer and IoU normalisation\n"
            "  --points N     surface samples per cloud (default: the protocol's, 8192 or 2000)\n"
            "  --seed S       sampling seed (default 0); each item's streams derive from it and its id\n"
            "  --out DIR      report folder (default eval_report)\n"
            "  --pitch P      IoU_best voxel pitch in r_g units (default 0.05)\n"
            "  --refine       IoU_best: also search rotations about ambiguous principal axes\n"
            "  --no-voxel     skip the voxel IoU_best\n"
            "  --no-visual    skip the render-based visual similarity\n"
            "  --floor N      ground truths used to measure the Chamfer noise floor (default 5)\n"
            "  --threads N    items evaluated in parallel (default: OpenMP's thread count)\n"
            "  --json         print the summary as one JSON object on stdout\n"
            "  --quiet        no progress bar\n"
            "Invalid predictions (missing, unparseable, failing, empty) count in the invalidity ratio,\n"
            "whose denominator is every item; the other statistics are over the valid ones.\n");
}

/* a --no-... option: the metric off */
static void ev_metric_off(es_opts *o, unsigned bit) { o->score.metrics &= ~bit; }

/* the options into o and *pairs; CLI_OK to go on, anything else to return (help printed: -1) */
static int ev_parse(int argc, char **argv, es_opts *o, int *json, const char **pairs) {
    static const struct option lo[] = {
        {"protocol", required_argument, 0, 'p'}, {"points", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 's'},     {"out", required_argument, 0, 'o'},
        {"pairs", required_argument, 0, 'P'},    {"pitch", required_argument, 0, 'v'},
        {"refine", no_argument, 0, 'r'},         {"no-voxel", no_argument, 0, 'X'},
        {"no-visual", no_argument, 0, 'V'},      {"floor", required_argument, 0, 'f'},
        {"json", no_argument, 0, 'j'},           {"quiet", no_argument, 0, 'q'},
        {"threads", required_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    optind = 1;
    int c;
    long lv;
    while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (mt_protocol_parse(optarg, &o->score.protocol) != 0) return cli_error(CLI_USAGE, EV_CMD, "%s", ut_error());
            break;
        case 'n':
            if (cli_parse_long(EV_CMD, "--points", optarg, &lv) != 0) return CLI_USAGE;
            if (lv < 1 || lv > 10000000) return cli_error(CLI_USAGE, EV_CMD, "--points must be 1..10000000");
            o->score.points = (int)lv;
            break;
        case 's':
            if (cli_parse_long(EV_CMD, "--seed", optarg, &o->seed) != 0) return CLI_USAGE;
            break;
        case 'f':
            if (cli_parse_long(EV_CMD, "--floor", optarg, &lv) != 0) return CLI_USAGE;
            if (lv < 0 || lv > 1000) return cli_error(CLI_USAGE, EV_CMD, "--floor must be 0..1000");
            o->floor_items = (int)lv;
            break;
        case 'v':
            if (cli_parse_double(EV_CMD, "--pitch", optarg, &o->score.pitch) != 0) return CLI_USAGE;
            if (!(o->score.pitch >= 0.005 && o->score.pitch <= 1))
                return cli_error(CLI_USAGE, EV_CMD, "--pitch must be 0.005..1");
            break;
        case 't':
            if (cli_parse_long(EV_CMD, "--threads", optarg, &lv) != 0) return CLI_USAGE;
            if (lv < 1 || lv > 1024) return cli_error(CLI_USAGE, EV_CMD, "--threads must be 1..1024");
            o->threads = (int)lv;
            break;
        case 'o': o->out = optarg; break;
        case 'P': *pairs = optarg; break;
        case 'r': o->score.refine = 1; break;
        case 'X': ev_metric_off(o, SC_BEST_VOXEL); break;
        case 'V': ev_metric_off(o, SC_VISUAL); break;
        case 'j': *json = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': ev_usage(stdout); return -1;
        default: ev_usage(stderr); return CLI_USAGE;
        }
    }
    if (o->score.points == 0) o->score.points = mt_protocol_points(o->score.protocol);
    int npos = argc - optind;
    if ((*pairs && npos != 0) || (!*pairs && npos != 2)) {
        ev_usage(stderr);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* the summary line, or with --json the report's summary object */
static void ev_print(const es_opts *o, const es_summary *s, cJSON *summary) {
    if (summary) {
        char *js = cJSON_PrintUnformatted(summary);
        printf("%s\n", js);
        free(js);
    } else {
        printf("%d items (%d ground truths left out), %d invalid: IR %.2f%%; report in %s/report.md\n", s->items,
               s->gt_bad, s->invalid, s->ir, o->out);
    }
}

CLI_COMMAND(cmd_eval, EV_CMD, "score predicted parts against ground truth (CD, IoU, IoU_best, P-F1, IR)") {
    es_opts o;
    es_default_opts(&o);
    const char *pairs = NULL;
    int json = 0;
    int rc = ev_parse(argc, argv, &o, &json, &pairs);
    if (rc != CLI_OK) return rc < 0 ? CLI_OK : rc;
    es_set set;
    rc = pairs ? es_from_jsonl(pairs, &set) : es_from_dirs(argv[optind], argv[optind + 1], &set);
    if (rc != 0) {
        es_free(&set);
        return cli_error(CLI_IO, EV_CMD, "%s", ut_error());
    }
    if (ut_mkdirs(o.out) != 0) {
        es_free(&set);
        return cli_error(CLI_IO, EV_CMD, "cannot create %s: %s", o.out, ut_error());
    }
    es_result *res = es_run(&o, &set);
    es_summary s;
    es_summarise(&o, &set, res, &s);
    cJSON *summary = NULL;
    rc = es_write_reports(&o, &set, res, &s, json ? &summary : NULL);
    if (rc != 0) rc = cli_error(CLI_IO, EV_CMD, "writing the report in %s: %s", o.out, ut_error());
    else ev_print(&o, &s, summary);
    cJSON_Delete(summary);
    free(res);
    es_free(&set);
    if (rc == 0 && s.gt_bad == s.items) return cli_error(CLI_INVALID, EV_CMD, "no ground truth could be built");
    return rc;
}
