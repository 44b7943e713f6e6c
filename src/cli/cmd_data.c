/* cmd_data.c - `recad data gen|stats|build|real`: the training-data tools (docs/data_gen.md,
 * docs/data_build.md).
 *   gen    seeded generated parts as hard-coded CADLib programs (a folder of .lua or one JSONL)
 *   stats  distributions of generated parts next to those of real files (docs/data_calibration.md)
 *   build  the dataset: prompts and answers (think + parametric program), split without twins
 *   real   real DeepCAD / Fusion files described as one JSONL of their own (the real test set)
 *   frame  pictures (PNG / JPEG) through the canonical framing of image prompts (docs/data_images.md)
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/picture.h"
#include "base/util.h"
#include "cad/codewrite.h"
#include "cad/exec.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "data/dataset.h"
#include "data/gen.h"
#include "data/import.h"
#include "data/partstats.h"

static const char *data_cmd = "data";

static void data_usage(FILE *f) {
    fprintf(f, "usage: recad data gen --count N [--seed S] [--families a,b] -o OUT(.jsonl|folder) [options]\n"
               "       recad data stats [--count N] [--seed S] -o REPORT.md [--chart CHART.png] REAL...\n"
               "       recad data build --parts N [--seed S] [--real DIR]... -o OUT_DIR [options]\n"
               "       recad data real DIR... -o OUT_DIR [--name NAME]\n"
               "       recad data frame PICTURE... -o OUT(.png|folder) [--side S]\n"
               "subcommands:\n"
               "  gen    generate seeded parts (every hierarchy level, mechanical families and random\n"
               "         geometry) as hard-coded CADLib programs\n"
               "  stats  compare the distributions of generated parts with real files (Markdown + chart)\n"
               "  build  the training dataset: generated (and real) parts as prompt / answer JSONL splits\n"
               "  real   real DeepCAD / Fusion JSON files as one described JSONL (a real test set)\n"
               "  frame  PNG / JPEG pictures framed as image prompts are (grey, cropped, squared, resized)\n"
               "(recad data <subcommand> --help lists its options)\n");
}

/* ---- gen ---- */

/* one generated part, written out: the program and the JSONL line (both malloc'd), or an error */
typedef struct {
    char *program, *line, *error;
    const char *family;
    lv_level level;
    int curves, attempts;
} data_item;

static cJSON *data_params(const gn_part *p) {
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < p->nparams; i++) {
        const gn_param *q = &p->params[i];
        if (q->text) cJSON_AddStringToObject(o, q->name, q->text);
        else cJSON_AddNumberToObject(o, q->name, round(q->value * 1e6) / 1e6);
    }
    return o;
}

static void data_make(const gn_options *o, uint64_t seed, long i, data_item *it) {
    gn_part p;
    memset(it, 0, sizeof *it);
    if (gn_make(o, seed, i, &p)) {
        it->error = ut_strdup(ut_error());
        return;
    }
    it->program = cw_program(&p.model);
    if (!it->program) {
        it->error = ut_strdup(ut_error());
        gn_part_free(&p);
        return;
    }
    it->family = p.family, it->level = p.level, it->curves = p.curves, it->attempts = p.attempts;
    char id[32], src[64];
    snprintf(id, sizeof id, "g%08ld", i);
    snprintf(src, sizeof src, "gen:%llu:%ld", (unsigned long long)seed, i);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "id", id);
    cJSON_AddStringToObject(r, "family", p.random ? "random" : p.family);
    cJSON_AddStringToObject(r, "generator", p.family);
    cJSON_AddStringToObject(r, "level", lv_name(p.level));
    cJSON_AddNumberToObject(r, "curves", p.curves);
    cJSON_AddStringToObject(r, "source", src);
    cJSON_AddItemToObject(r, "params", data_params(&p));
    cJSON_AddStringToObject(r, "program", it->program);
    it->line = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    gn_part_free(&p);
}

static void data_item_free(data_item *it) {
    free(it->program);
    free(it->line);
    free(it->error);
}

typedef struct {
    long made, failed, retried, level[5], family[GN_MAX_FAMILIES];
} data_tally;

static void data_summary(const data_tally *t, double secs, int json, const char *out) {
    const char *const *names = gn_family_names();
    if (json) {
        cJSON *r = cJSON_CreateObject(), *lv = cJSON_CreateObject(), *fam = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "out", out);
        cJSON_AddNumberToObject(r, "parts", t->made);
        cJSON_AddNumberToObject(r, "failed", t->failed);
        cJSON_AddNumberToObject(r, "regenerated", t->retried);
        cJSON_AddNumberToObject(r, "seconds", secs);
        cJSON_AddNumberToObject(r, "parts_per_s", secs > 0 ? t->made / secs : 0);
        for (int l = 0; l < 5; l++) cJSON_AddNumberToObject(lv, lv_name((lv_level)l), t->level[l]);
        for (int f = 0; names[f]; f++) cJSON_AddNumberToObject(fam, names[f], t->family[f]);
        cJSON_AddItemToObject(r, "levels", lv);
        cJSON_AddItemToObject(r, "families", fam);
        cli_print_json(r);
        return;
    }
    printf("%ld parts in %.1f s (%.0f parts/s) -> %s; %ld failed, %ld needed more than one attempt\n", t->made, secs,
           secs > 0 ? t->made / secs : 0, out, t->failed, t->retried);
    printf("levels:");
    for (int l = 0; l < 5; l++) printf(" %s %ld", lv_name((lv_level)l), t->level[l]);
    printf("\nfamilies:");
    for (int f = 0; names[f]; f++)
        if (t->family[f]) printf(" %s %ld", names[f], t->family[f]);
    printf("\n");
}

/* writes one part: a line of the JSONL, or OUT/g<index>.lua */
static int data_write(const data_item *it, long i, FILE *jsonl, const char *dir) {
    if (jsonl) return fprintf(jsonl, "%s\n", it->line) < 0 ? ut_fail("write error") : 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/g%08ld.lua", dir, i);
    return ut_write_atomic(path, it->program, strlen(it->program));
}

static int data_gen(int argc, char **argv) {
    long count = 0, seed = 1, threads = 0;
    const char *out = NULL, *fams = NULL;
    int json = 0, first;
    const char *names = NULL;
    {
        static char buf[1024];
        size_t l = 0;
        for (const char *const *n = gn_family_names(); *n && l + 40 < sizeof buf; n++)
            l += (size_t)snprintf(buf + l, sizeof buf - l, "%s%s", l ? (l % 60 < 12 ? ",\n" : ", ") : "", *n);
        names = buf;
    }
    const arg_opt opts[] = {
        ARG_LONG("count", 'n', &count, 1, 100000000, "N", "parts to generate (required)"),
        ARG_LONG("seed", 's', &seed, 0, 1e15, "S", "seed (default 1): part i of seed S is always the same part"),
        ARG_STR("families", 'f', &fams, "a,b", "only these families (default: all, with the calibrated mix)"),
        ARG_STR("out", 'o', &out, "OUT", "OUT.jsonl: one JSON object per part; else a folder of\ng<index>.lua programs (required)"),
        ARG_LONG("threads", 't', &threads, 0, 1024, "T", "threads (default: all cores); the output does not depend on it"),
        ARG_FLAG("json", 0, &json, "print the summary as one JSON object"),
        ARG_END};
    char about[2048];
    snprintf(about, sizeof about,
             "Generates seeded sketch-extrude parts at every hierarchy level (L, F, S, SE, MSE): mechanical\n"
             "families and random geometry, each checked by the kernel, written as hard-coded CADLib\n"
             "programs. A JSONL line is {\"id\", \"family\", \"generator\", \"level\", \"curves\", \"source\",\n"
             "\"params\", \"program\"}; \"family\" is \"random\" for the random generators. Families:\n%s.",
             names);
    const arg_spec spec = {"data gen", "--count N [--seed S] [--families a,b] -o OUT [options]", about, opts, 0, 0, NULL,
                           "exit: 0 ok, 1 some part could not be made, 2 usage error, 3 an output could not be written\n"};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    if (!count) return arg_error(&spec, "missing --count N");
    if (!out) return arg_error(&spec, "missing -o OUT");
    gn_options o;
    gn_default_options(&o);
    if (fams && gn_select_families(&o, fams)) return arg_error(&spec, "--families: %s", ut_error());
    FILE *jsonl = NULL;
    ut_atomic at;
    if (!strcmp(ut_path_ext(out), ".jsonl")) {
        if (ut_atomic_open(&at, out)) return cli_error(CLI_IO, data_cmd, "%s", ut_error());
        jsonl = at.f;
    } else if (ut_mkdirs(out))
        return cli_error(CLI_IO, data_cmd, "cannot create %s: %s", out, ut_error());
    data_tally t = {0};
    enum { BLOCK = 512 };
    data_item *items = ut_calloc(BLOCK, sizeof *items);
    ut_progress pg;
    ut_progress_start(&pg, "data gen", count);
    double t0 = ut_now();
    int io = 0;
    for (long b = 0; b < count && !io; b += BLOCK) {
        long n = count - b < BLOCK ? count - b : BLOCK;
#pragma omp parallel for schedule(dynamic, 8) num_threads(threads > 0 ? (int)threads : omp_get_max_threads())
        for (long k = 0; k < n; k++) data_make(&o, (uint64_t)seed, b + k, &items[k]);
        for (long k = 0; k < n; k++) {
            data_item *it = &items[k];
            if (it->error) {
                t.failed++;
                if (!json) fprintf(stderr, "recad data gen: %s\n", it->error);
            } else if (!io) {
                if (data_write(it, b + k, jsonl, out)) io = 1;
                t.made++, t.level[it->level]++, t.family[gn_family_index(it->family)]++, t.retried += it->attempts > 1;
            }
            data_item_free(it);
        }
        ut_progress_update(&pg, b + n);
    }
    ut_progress_finish(&pg);
    free(items);
    if (jsonl) {
        if (io) ut_atomic_abort(&at);
        else if (ut_atomic_commit(&at)) io = 1;
    }
    if (io) return cli_error(CLI_IO, data_cmd, "cannot write %s: %s", out, ut_error());
    data_summary(&t, ut_now() - t0, json, out);
    return t.failed ? CLI_INVALID : CLI_OK;
}

/* ---- stats ---- */

/* adds the models of the real files under path (*.json imported, *.lua executed) */
static int data_real(const char *path, ps_stats *s, long *ok, long *bad) {
    struct stat st;
    if (stat(path, &st)) return ut_fail("cannot open %s", path);
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d) return ut_fail("cannot open folder %s", path);
        struct dirent *e;
        int rc = 0;
        while (!rc && (e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rc = data_real(sub, s, ok, bad);
        }
        closedir(d);
        return rc;
    }
    const char *ext = ut_path_ext(path);
    cad_model m;
    int rc;
    if (!strcmp(ext, ".json")) {
        rc = im_load(path, NULL, &m, NULL);
        if (rc == 0) rc = im_validate(&m, NULL);
    } else if (!strcmp(ext, ".lua")) {
        cad_init(&m);
        rc = ex_run_file(path, NULL, &m);
    } else
        return 0;
    if (rc == 0) ps_add(s, &m), (*ok)++;
    else (*bad)++;
    cad_free(&m);
    return 0;
}

static int data_stats(int argc, char **argv) {
    long count = 5000, seed = 1;
    const char *out = NULL, *chart = NULL, *link = NULL, *fams = NULL;
    int first;
    const arg_opt opts[] = {
        ARG_LONG("count", 'n', &count, 1, 10000000, "N", "generated parts to count (default 5000)"),
        ARG_LONG("seed", 's', &seed, 0, 1e15, "S", "their seed (default 1)"),
        ARG_STR("families", 'f', &fams, "a,b", "only these families (default: all)"),
        ARG_STR("out", 'o', &out, "REPORT.md", "the Markdown report (required; written atomically)"),
        ARG_STR("chart", 0, &chart, "CHART.png", "also draw the main distributions into this PNG"),
        ARG_STR("chart-link", 0, &link, "PATH", "how the report links the chart (default: the --chart path)"),
        ARG_END};
    const arg_spec spec = {
        "data stats", "[--count N] [--seed S] -o REPORT.md [--chart CHART.png] REAL...",
        "Counts levels, extrudes per part, faces / loops / curves per sketch, curve kinds, sketch planes,\n"
        "extents, operations and box aspect ratios over N generated parts and over the real files\n"
        "REAL (files or folders, searched recursively: *.json imported as DeepCAD / Fusion 360 / Text2CAD,\n"
        "*.lua executed), and writes both side by side with their distances.",
        opts, 1, -1, "REAL file or folder", "exit: 0 ok, 1 no real file could be read, 2 usage error, 3 file error\n"};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    if (!out) return arg_error(&spec, "missing -o REPORT.md");
    gn_options o;
    gn_default_options(&o);
    if (fams && gn_select_families(&o, fams)) return arg_error(&spec, "--families: %s", ut_error());
    ps_stats real, gen;
    ps_init(&real), ps_init(&gen);
    long ok = 0, bad = 0, failed = 0;
    for (int i = first; i < argc; i++)
        if (data_real(argv[i], &real, &ok, &bad)) return cli_error(CLI_IO, data_cmd, "%s", ut_error());
    if (!ok) return cli_error(CLI_INVALID, data_cmd, "no real model could be read from the arguments (%ld rejected)", bad);
#pragma omp parallel
    {
        ps_stats mine;
        ps_init(&mine);
        long myfail = 0;
#pragma omp for schedule(dynamic, 16)
        for (long i = 0; i < count; i++) {
            gn_part p;
            if (gn_make(&o, (uint64_t)seed, i, &p)) {
                myfail++;
                continue;
            }
            ps_add(&mine, &p.model);
            gn_part_free(&p);
        }
#pragma omp critical
        {
            ps_merge(&gen, &mine);
            failed += myfail;
        }
    }
    char header[8192];
    size_t l = (size_t)snprintf(header, sizeof header,
                                "# Calibration: generated parts against real parts\n\n"
                                "Written by `recad data stats` (src/data/partstats.h); regenerate with:\n\n```sh\nbuild/recad");
    for (int i = 0; i < argc && l < sizeof header - 256; i++)
        l += (size_t)snprintf(header + l, sizeof header - l, " %s%s", i == 0 ? "data " : "", argv[i]);
    snprintf(header + l, sizeof header - l,
             "\n```\n\nGenerated: parts 0..%ld of seed %ld with the default options (%ld could not be made). Real: %ld models "
             "read from the arguments (%ld rejected by the importer).\n\n",
             count - 1, seed, failed, ok, bad);
    if (ps_write_report(&gen, "generated", &real, "real", out, chart, link, header))
        return cli_error(CLI_IO, data_cmd, "%s", ut_error());
    printf("%ld generated and %ld real parts -> %s%s%s\n", gen.parts, real.parts, out, chart ? ", " : "", chart ? chart : "");
    return CLI_OK;
}

/* ---- build / real ---- */

static void data_build_print(const db_stats *st, const char *out, int json) {
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "out", out);
        cJSON_AddNumberToObject(j, "parts", (double)st->parts);
        cJSON_AddNumberToObject(j, "skipped", (double)st->skipped);
        cJSON *s = cJSON_AddObjectToObject(j, "samples");
        cJSON_AddNumberToObject(s, "train", (double)st->samples[0]);
        cJSON_AddNumberToObject(s, "val", (double)st->samples[1]);
        cJSON_AddNumberToObject(s, "test", (double)st->samples[2]);
        cJSON_AddNumberToObject(j, "verified_rewrites", (double)st->rewrite[RP_OK]);
        cJSON_AddNumberToObject(j, "twin_parts", (double)st->twin_parts);
        cJSON_AddNumberToObject(j, "seconds", st->seconds);
        long nimg = st->images[0] + st->images[1] + st->images[2];
        if (nimg || st->image_failed) {
            cJSON *im = cJSON_AddObjectToObject(j, "images");
            cJSON_AddNumberToObject(im, "train", (double)st->images[0]);
            cJSON_AddNumberToObject(im, "val", (double)st->images[1]);
            cJSON_AddNumberToObject(im, "test", (double)st->images[2]);
            cJSON_AddNumberToObject(im, "bytes_mean", st->image_bytes_mean);
            cJSON_AddNumberToObject(im, "parts_without", (double)st->image_failed);
        }
        cli_print_json(j);
        return;
    }
    printf("%ld parts (%ld skipped), %ld / %ld / %ld train / val / test samples, %ld verified rewrites, %.1f s; %s\n",
           st->parts, st->skipped, st->samples[0], st->samples[1], st->samples[2], st->rewrite[RP_OK], st->seconds, out);
    if (st->images[0] + st->images[1] + st->images[2] || st->image_failed)
        printf("image samples: %ld / %ld / %ld train / val / test, mean %.0f bytes per PNG, %ld parts without pictures\n",
               st->images[0], st->images[1], st->images[2], st->image_bytes_mean, st->image_failed);
}

static int data_build(int argc, char **argv, int real) {
    db_opts o;
    db_default_opts(&o);
    long parts = real ? 0 : o.parts, seed = (long)o.seed, threads = 0, abstract = o.abstract, detailed = o.detailed;
    long images = 0, image_side = o.image_side;
    const char *out = NULL, *name = "real_test";
    arg_strs reals = {0};
    int json = 0, first;
    const arg_opt build_opts[] = {
        ARG_LONG("parts", 'n', &parts, 0, 100000000, "N", "generated parts (default 1000)"),
        ARG_LONG("seed", 's', &seed, 0, 1e15, "S", "seed of parts, prompts and split (default 1)"),
        ARG_STRS("real", 0, &reals, "DIR", "also the DeepCAD / Fusion JSON files of DIR (repeatable)"),
        ARG_LONG("abstract", 0, &abstract, 0, 16, "K", "abstract prompts per part (default 1)"),
        ARG_LONG("detailed", 0, &detailed, 0, 16, "K", "detailed prompts per part (default 2)"),
        ARG_DOUBLE("val", 0, &o.val_share, 0, 0.5, "X", "share of twin groups in val (default 0.02)"),
        ARG_DOUBLE("test", 0, &o.test_share, 0, 0.5, "X", "share of twin groups in test (default 0.02)"),
        ARG_STR("out", 'o', &out, "DIR", "output folder (required)"),
        ARG_LONG("threads", 't', &threads, 0, 1024, "T", "threads (default: all cores); the output does not depend on it"),
        ARG_LONG("images", 0, &images, 0, 16, "K", "also K image samples per part (default 0): grey PNGs in\nOUT_DIR/images/, records in SPLIT_images.jsonl (docs/data_images.md)"),
        ARG_LONG("image-side", 0, &image_side, 16, 1024, "S", "side of the image samples, pixels (default 128)"),
        ARG_FLAG("quiet", 'q', &o.quiet, "no progress bar"),
        ARG_FLAG("json", 0, &json, "print the summary as one JSON object"),
        ARG_END};
    const arg_opt real_opts[] = {
        ARG_STR("out", 'o', &out, "DIR", "output folder (required)"),
        ARG_STR("name", 0, &name, "NAME", "writes DIR/NAME.jsonl and DIR/NAME.md (default real_test)"),
        ARG_LONG("seed", 's', &seed, 0, 1e15, "S", "seed of the prompts (default 1)"),
        ARG_LONG("abstract", 0, &abstract, 0, 16, "K", "abstract prompts per part (default 1)"),
        ARG_LONG("detailed", 0, &detailed, 0, 16, "K", "detailed prompts per part (default 2)"),
        ARG_LONG("threads", 't', &threads, 0, 1024, "T", "threads (default: all cores)"),
        ARG_LONG("images", 0, &images, 0, 16, "K", "also K image samples (renders) per part (default 0):\nOUT_DIR/images/, OUT_DIR/NAME_images.jsonl"),
        ARG_LONG("image-side", 0, &image_side, 16, 1024, "S", "side of the image samples, pixels (default 128)"),
        ARG_FLAG("quiet", 'q', &o.quiet, "no progress bar"),
        ARG_FLAG("json", 0, &json, "print the summary as one JSON object"),
        ARG_END};
    const arg_spec build_spec = {
        "data build", "--parts N [--seed S] [--real DIR]... -o OUT_DIR [options]",
        "\nBuilds the training dataset: each part (generated, or a real JSON file) gets an answer\n"
        "(<think> plan </think> + its verified parametric program) and abstract and detailed\n"
        "prompts. Parts with a geometric twin stay in one split. Writes OUT_DIR/train.jsonl,\n"
        "val.jsonl, test.jsonl and stats.md with charts (docs/data_build.md).",
        build_opts, 0, 0, NULL, NULL};
    const arg_spec real_spec = {
        "data real", "DIR|FILE... -o OUT_DIR [--name NAME]",
        "\nDescribes real DeepCAD / Fusion / Text2CAD JSON files as one JSONL of test records\n"
        "(split \"test\", family \"real\"), with the same answers and prompts as data build.",
        real_opts, 1, -1, "DIR", NULL};
    int rc = arg_parse(real ? &real_spec : &build_spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    if (!out) return cli_error(CLI_USAGE, data_cmd, "-o OUT_DIR is required");
    o.parts = parts, o.seed = (uint64_t)seed, o.threads = (int)threads;
    o.abstract = (int)abstract, o.detailed = (int)detailed;
    o.images = (int)images, o.image_side = (int)image_side;
    if (o.abstract + o.detailed < 1) return cli_error(CLI_USAGE, data_cmd, "at least one prompt per part");
    if (real) {
        o.real = (const char *const *)(argv + first);
        o.nreal = argc - first;
        o.split = "test";
        o.name = name;
    } else {
        o.real = reals.v;
        o.nreal = reals.n;
    }
    db_stats st;
    if (db_build(&o, out, &st)) return cli_error(CLI_IO, data_cmd, "%s", ut_error());
    data_build_print(&st, out, json);
    return st.parts ? CLI_OK : cli_error(CLI_INVALID, data_cmd, "no part could be made");
}

/* ---- frame ---- */

static int data_frame(int argc, char **argv) {
    long side = PIC_SIDE;
    const char *out = NULL;
    int first;
    const arg_opt opts[] = {
        ARG_STR("out", 'o', &out, "OUT", "OUT.png for one picture, else a folder: OUT/<stem>.png (required)"),
        ARG_LONG("side", 0, &side, 8, PIC_MAX_FRAME_SIDE, "S", "side of the framed picture, pixels (default 128)"),
        ARG_END};
    const arg_spec spec = {
        "data frame", "PICTURE... -o OUT(.png|folder) [--side S]",
        "\nReads PNG / JPEG pictures of parts (photos of a printout, screenshots of CAD tools, renders)\n"
        "and writes them as the image prompts see them: grey, white background (inverted when dark),\n"
        "cropped to the content, squared with the render margin, resized to S x S (8-bit grey PNG).",
        opts, 1, -1, "PICTURE", "exit: 0 ok, 1 a picture could not be read or is blank, 2 usage error, 3 write error\n"};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    if (!out) return arg_error(&spec, "missing -o OUT");
    int single = !strcmp(ut_path_ext(out), ".png");
    if (single && argc - first != 1) return arg_error(&spec, "-o OUT.png takes one picture; give a folder for several");
    if (!single && ut_mkdirs(out)) return cli_error(CLI_IO, data_cmd, "cannot create %s: %s", out, ut_error());
    int bad = 0;
    for (int i = first; i < argc; i++) {
        pic_gray g;
        if (pic_load_framed(argv[i], (int)side, &g)) {
            fprintf(stderr, "recad data frame: %s\n", ut_error());
            bad++;
            continue;
        }
        char path[4200];
        if (single) snprintf(path, sizeof path, "%s", out);
        else {
            const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
            const char *dot = strrchr(base, '.');
            snprintf(path, sizeof path, "%s/%.*s.png", out, (int)(dot ? dot - base : (long)strlen(base)), base);
        }
        rc = pic_write_png(&g, path);
        pic_free(&g);
        if (rc) return cli_error(CLI_IO, data_cmd, "%s", ut_error());
        printf("%s -> %s\n", argv[i], path);
    }
    return bad ? CLI_INVALID : CLI_OK;
}

CLI_COMMAND(cmd_data, "data", "training data: generate parts (gen), compare them with real ones (stats), build datasets (build, real)") {
    if (argc < 2) {
        data_usage(stderr);
        return CLI_USAGE;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        data_usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(sub, "gen")) return data_gen(argc - 1, argv + 1);
    if (!strcmp(sub, "stats")) return data_stats(argc - 1, argv + 1);
    if (!strcmp(sub, "build")) return data_build(argc - 1, argv + 1, 0);
    if (!strcmp(sub, "real")) return data_build(argc - 1, argv + 1, 1);
    if (!strcmp(sub, "frame")) return data_frame(argc - 1, argv + 1);
    data_usage(stderr);
    return cli_error(CLI_USAGE, data_cmd, "unknown subcommand '%s' (gen, stats, build, real or frame)", sub);
}
