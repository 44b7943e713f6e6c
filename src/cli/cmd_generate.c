/* cmd_generate.c - `recad generate`: text or a picture to a parametric CAD program, its STL, a picture. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/prog.h"
#include "geom/mesh.h"
#include "geom/render.h"
#include "infer/generate.h"
#include "ml/sampler.h"
#include "model/level.h"

#define GENERATE_MAX_PROMPTS_FILE (64L << 20) /* bytes */

static const char *generate_cmd = "generate";

/* the prompts of FILE: one per non-blank line, or a JSONL line's "prompt" field */
static int generate_read_prompts(const char *path, char ***out, int *n) {
    struct stat st;
    if (stat(path, &st) || !S_ISREG(st.st_mode)) return cli_error(CLI_IO, generate_cmd, "cannot read %s: not a regular file", path);
    if (st.st_size > GENERATE_MAX_PROMPTS_FILE)
        return cli_error(CLI_INVALID, generate_cmd, "%s: larger than %ld MiB", path, GENERATE_MAX_PROMPTS_FILE >> 20);
    char *buf = ut_read_file(path, NULL);
    if (!buf) return cli_error(CLI_IO, generate_cmd, "%s", ut_error());
    int cap = 16, line = 0, rc = CLI_OK;
    char **v = ut_malloc((size_t)cap * sizeof *v);
    *n = 0;
    for (char *s = buf, *e; s && *s; s = e ? e + 1 : NULL) {
        e = strchr(s, '\n');
        if (e) *e = 0;
        line++;
        char *p = s;
        while (*p == ' ' || *p == '\t' || *p == '\r') p++;
        size_t len = strlen(p);
        while (len && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t')) p[--len] = 0;
        if (!*p) continue;
        char *text = NULL;
        if (*p == '{') {
            cJSON *j = cJSON_Parse(p);
            const cJSON *f = j ? cJSON_GetObjectItemCaseSensitive(j, "prompt") : NULL;
            if (!cJSON_IsString(f)) {
                rc = cli_error(CLI_INVALID, generate_cmd, "%s:%d: %s", path, line,
                               j ? "no string field \"prompt\"" : "not valid JSON");
                cJSON_Delete(j);
                break;
            }
            text = ut_strdup(f->valuestring);
            cJSON_Delete(j);
        } else text = ut_strdup(p);
        if (*n == cap) v = ut_realloc(v, (size_t)(cap *= 2) * sizeof *v);
        v[(*n)++] = text;
    }
    free(buf);
    if (rc == CLI_OK && *n == 0) rc = cli_error(CLI_INVALID, generate_cmd, "%s: no prompt in the file", path);
    if (rc != CLI_OK) {
        for (int i = 0; i < *n; i++) free(v[i]);
        free(v);
        v = NULL;
        *n = 0;
    }
    *out = v;
    return rc;
}

typedef struct {
    double lo[3], hi[3], volume;
    const char *level;
    char lua[4200], stl[4200], png[4200];
    int triangles;
} generate_part;

/* writes PREFIX.lua, PREFIX.stl and PREFIX.png of the picked candidate */
static int generate_write(const inf_result *r, const char *prefix, int size, generate_part *p) {
    const inf_candidate *c = &r->cand[r->best];
    const char *prog = c->program;
    snprintf(p->lua, sizeof p->lua, "%s.lua", prefix);
    snprintf(p->stl, sizeof p->stl, "%s.stl", prefix);
    snprintf(p->png, sizeof p->png, "%s.png", prefix);
    lv_info li;
    p->level = lv_name(lv_classify(&r->model, &li));
    p->volume = c->volume; /* measured when the candidate was executed */
    memcpy(p->lo, c->lo, sizeof p->lo);
    memcpy(p->hi, c->hi, sizeof p->hi);
    size_t len = strlen(prog);
    int nl = len && prog[len - 1] != '\n';
    char *text = ut_malloc(len + 2);
    memcpy(text, prog, len);
    if (nl) text[len++] = '\n';
    int rc = ut_write_atomic(p->lua, text, len);
    free(text);
    if (rc) return cli_error(CLI_IO, generate_cmd, "cannot write %s: %s", p->lua, ut_error());
    ms_mesh mesh = {0};
    if (ms_from_model(&r->model, MS_DEFAULT_TOL, &mesh) < 0) return cli_error(CLI_INVALID, generate_cmd, "meshing failed: %s", ut_error());
    p->triangles = mesh.nt;
    rc = CLI_OK;
    img_rgb img = {0};
    if (ms_write_stl(&mesh, p->stl) < 0) rc = cli_error(CLI_IO, generate_cmd, "cannot write %s: %s", p->stl, ut_error());
    else if (rd_sheet(&mesh, size / 2, size / 2, &img) < 0) rc = cli_error(CLI_INVALID, generate_cmd, "rendering failed: %s", ut_error());
    else if (img_write_png(&img, p->png) < 0) rc = cli_error(CLI_IO, generate_cmd, "cannot write %s: %s", p->png, ut_error());
    img_free(&img);
    ms_free(&mesh);
    return rc;
}

static cJSON *generate_json(const char *prompt, const char *image, const inf_result *r, const generate_part *p, int rc) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "prompt", prompt);
    if (image) cJSON_AddStringToObject(j, "image", image);
    cJSON_AddBoolToObject(j, "ok", rc == CLI_OK);
    cJSON_AddNumberToObject(j, "candidates", r->n);
    cJSON_AddNumberToObject(j, "valid", r->nvalid);
    cJSON_AddNumberToObject(j, "picked", r->best);
    cJSON_AddNumberToObject(j, "repair_rounds", r->repair_rounds);
    cJSON_AddNumberToObject(j, "refused_tokens", (double)r->vetoed); /* name-checked decoding */
    if (rc == CLI_OK) {
        const inf_candidate *c = &r->cand[r->best];
        cJSON_AddStringToObject(j, "answer", c->answer);
        cJSON_AddStringToObject(j, "program", c->program);
        cJSON_AddStringToObject(j, "level", p->level);
        cJSON_AddNumberToObject(j, "volume", p->volume);
        double size[3] = {p->hi[0] - p->lo[0], p->hi[1] - p->lo[1], p->hi[2] - p->lo[2]};
        cJSON_AddItemToObject(j, "size", cJSON_CreateDoubleArray(size, 3));
        cJSON *f = cJSON_AddObjectToObject(j, "files");
        cJSON_AddStringToObject(f, "program", p->lua);
        cJSON_AddStringToObject(f, "stl", p->stl);
        cJSON_AddStringToObject(f, "png", p->png);
    }
    cJSON *errs = cJSON_AddArrayToObject(j, "errors");
    for (int i = 0; i < r->n; i++)
        if (r->cand[i].error) cJSON_AddItemToArray(errs, cJSON_CreateString(r->cand[i].error));
    cJSON_AddNumberToObject(j, "sample_seconds", r->sample_s);
    cJSON_AddNumberToObject(j, "exec_seconds", r->exec_s);
    cJSON_AddNumberToObject(j, "pick_seconds", r->pick_s);
    return j;
}

/* prints the distinct errors of the candidates, most frequent first (at most 5) */
static void generate_print_errors(const inf_result *r) {
    int *count = ut_calloc((size_t)r->n, sizeof(int));
    for (int i = 0; i < r->n; i++) {
        if (!r->cand[i].error) continue;
        int k = 0;
        while (k < i && !(r->cand[k].error && !strcmp(r->cand[k].error, r->cand[i].error))) k++;
        count[k]++;
    }
    for (int shown = 0; shown < 5; shown++) {
        int best = -1;
        for (int i = 0; i < r->n; i++)
            if (count[i] && (best < 0 || count[i] > count[best])) best = i;
        if (best < 0) break;
        fprintf(stderr, "  %dx ", count[best]);
        for (const unsigned char *c = (const unsigned char *)r->cand[best].error; *c; c++)
            fputc(*c < 0x20 || *c == 0x7f ? '?' : *c, stderr); /* no terminal control sequences */
        fputc('\n', stderr);
        count[best] = 0;
    }
    free(count);
}

CLI_COMMAND(cmd_generate, "generate", "text or a picture to a parametric CAD program, its STL and a picture, with a trained model") {
    const char *text = NULL, *prompts = NULL, *image = NULL, *dir = NULL, *prefix = "part", *pick = "agreement";
    long n = 8, seed = 0, threads = 0, max_new = 0, size = 1024, repair = 2, retry = 1;
    double temp = 0.8, top_p = 0.95;
    int json = 0, bf16 = 0, no_names = 0, first;
    inf_opts o;
    inf_default_opts(&o);
    const arg_opt opts[] = {
        ARG_STR("text", 't', &text, "TEXT", "the description of the part"),
        ARG_STR("prompts", 0, &prompts, "FILE", "descriptions, one per line (or JSONL with a \"prompt\" field)"),
        ARG_STR("image", 0, &image, "PICTURE", "a PNG or JPEG picture of the part (a model with a vision\nencoder; docs/vision_train.md)"),
        ARG_STR("model", 'm', &dir, "DIR", "model folder (default: the shipped model, models/default)"),
        ARG_STR("output", 'o', &prefix, "PREFIX", "writes PREFIX.lua, PREFIX.stl, PREFIX.png (default part;\nwith --prompts: PREFIX-001.* ...)"),
        ARG_LONG("candidates", 'n', &n, 1, 256, "N", "candidates sampled as one batch (default 8)"),
        ARG_DOUBLE("temperature", 0, &temp, 0, 10, "T", "sampling temperature (default 0.8; 0 = greedy)"),
        ARG_DOUBLE_GT("top-p", 0, &top_p, 0, 1, "P", "nucleus sampling (default 0.95)"),
        ARG_LONG("seed", 0, &seed, (double)LONG_MIN, (double)LONG_MAX, "S", "candidate i uses seed S + i * golden ratio (default 0)"),
        ARG_STR("pick", 0, &pick, "RULE", "agreement (default) or likelihood: how the candidate is chosen"),
        ARG_LONG("max-new", 0, &max_new, 0, 1 << 20, "N", "answer tokens at most (default: the model's context)"),
        ARG_LONG("repair", 0, &repair, 0, 100, "R", "when no candidate is valid, cut each back to the line its\nerror names and let the model continue it; up to R rounds\n(default 2; 0: off)"),
        ARG_LONG("retry", 0, &retry, 0, 100, "R", "when no candidate is valid, sample N fresh ones (before any\nrepair); up to R rounds (default 1; 0: off)"),
        ARG_FLAG("no-name-check", 0, &no_names, "do not refuse tokens that read an undeclared name or give a\ncurve a wrong count of arguments (name-checked decoding)"),
        ARG_LONG("size", 0, &size, 64, 4096, "PX", "side of the PNG sheet in pixels (default 1024)"),
        ARG_LONG("threads", 0, &threads, 0, 4096, "N", "threads (default 0: all cores)"),
        ARG_FLAG("bf16", 0, &bf16, "reduced-precision sampling for speed: bfloat16 KV cache, and\nbfloat16 products where the CPU has AVX512_BF16"),
        ARG_FLAG("json", 0, &json, "one JSON object per prompt on stdout"),
        PROG_OPTS(&o.lim),
        ARG_END};
    const arg_spec spec = {
        generate_cmd, "(--text TEXT | --prompts FILE | --image PICTURE) [options]",
        "\nSamples N candidate answers (a short plan and a CADLib program) as one batch, executes\n"
        "each in the sandbox, and keeps a valid one: by default the one whose solid agrees best\n"
        "with the other candidates' (IoU_best and sizes), else the most likely. Writes its program,\n"
        "binary STL and a 2x2 sheet of views, and prints its level, size and volume.\n"
        "A picture is framed as the training pictures are (its content cropped, centred, scaled).\n"
        "When no candidate is valid it says so, lists the errors seen, and exits with 1.",
        opts, 0, 0, NULL, PROG_EXIT_CODES};
    int rc = arg_parse(&spec, argc, argv, &first);
    if (rc != ARG_GO) return rc;
    if (!!text + !!prompts + !!image != 1)
        return cli_error(CLI_USAGE, generate_cmd, "needs one of --text TEXT / --prompts FILE / --image PICTURE");
    if (text && !text[strspn(text, " \t\r\n")]) return cli_error(CLI_USAGE, generate_cmd, "the text is empty");
    if (inf_pick_parse(pick, &o.pick)) return cli_error(CLI_USAGE, generate_cmd, "--pick '%s': use agreement or likelihood", pick);
    o.n = (int)n;
    o.temperature = (float)temp;
    o.top_p = (float)top_p;
    o.seed = (uint64_t)seed;
    o.max_new = (int)max_new;
    o.bf16 = bf16;
    o.repair = (int)repair;
    o.check_names = !no_names;
    o.retry = (int)retry;
    if (bf16) fprintf(stderr, "recad generate: sampling with %s\n", smp_precision_desc(SMP_BF16));
    char **list = NULL;
    int count = 0;
    rc = CLI_OK;
    if (prompts && (rc = generate_read_prompts(prompts, &list, &count)) != CLI_OK) return rc;
    if (!dir) dir = inf_default_dir();
    inf_model *g = inf_load(dir);
    if (!g) {
        rc = cli_error(access(dir, R_OK) ? CLI_IO : CLI_INVALID, generate_cmd, "cannot load the model: %s", ut_error());
        goto done;
    }
    inf_set_threads(g, (int)threads);
    if (image && !inf_image_side(g)) {
        rc = cli_error(CLI_USAGE, generate_cmd, "the model in %s has no vision encoder: it takes --text or --prompts only",
                       inf_dir(g));
        goto done;
    }
    int failed = 0;
    for (int k = 0; k < (prompts ? count : 1); k++) {
        const char *t = text ? text : image ? image : list[k];
        char pre[4096];
        if (!prompts) snprintf(pre, sizeof pre, "%s", prefix);
        else snprintf(pre, sizeof pre, "%s-%03d", prefix, k + 1);
        inf_result r;
        double t0 = ut_now();
        if (image && access(image, R_OK)) {
            rc = cli_error(CLI_IO, generate_cmd, "cannot read %s: %s", image, strerror(errno));
            failed++;
            continue;
        }
        if (image ? inf_generate_image_file(g, image, &o, &r) : inf_generate(g, t, &o, &r)) {
            rc = cli_error(CLI_INVALID, generate_cmd, "%s", ut_error());
            failed++;
            continue;
        }
        generate_part p = {0};
        int prc = r.best >= 0 ? generate_write(&r, pre, (int)size, &p) : CLI_INVALID;
        double dt = ut_now() - t0;
        if (json) cli_print_json(generate_json(image ? "<|image|>" : t, image, &r, &p, prc));
        else if (prc == CLI_OK) {
            printf("%s: level %s, %.4g x %.4g x %.4g mm, volume %.6g mm^3 (%d of %d candidates valid%s, %.2f s)\n", pre,
                   p.level, p.hi[0] - p.lo[0], p.hi[1] - p.lo[1], p.hi[2] - p.lo[2], p.volume, r.nvalid, r.n,
                   r.repair_rounds ? r.repair_rounds == 1 ? " after 1 repair round" : " after repair rounds" : "", dt);
            printf("wrote %s, %s, %s\n", p.lua, p.stl, p.png);
        }
        if (r.best < 0) {
            cli_error(CLI_INVALID, generate_cmd, "no valid part among %d candidates for \"%.60s\"; errors seen:", r.n, t);
            generate_print_errors(&r);
        }
        if (prc != CLI_OK) rc = prc, failed++;
        inf_result_free(&r);
    }
    if (failed && rc == CLI_OK) rc = CLI_INVALID;
done:
    inf_free(g);
    for (int i = 0; i < count; i++) free(list[i]);
    free(list);
    return rc;
}
