/* evalgen.c - text-to-CAD evaluation against a retrieval baseline (see evalgen.h). */
#include "infer/evalgen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "base/picture.h"
#include "base/util.h"
#include "data/imgret.h"
#include "data/jsonl.h"
#include "data/retrieve.h"
#include "geom/mesh.h"
#include "geom/render.h"
#include "ml/chat.h"
#include "ml/nn.h"
#include "ml/sampler.h"
#include "ml/tokenizer.h"
#include "model/level.h"

#define EG_SYSTEMS 2 /* ours, retrieval */
static const char *const eg_system_name[EG_SYSTEMS] = {"ours", "retrieval"};

typedef struct {
    char *id, *prompt, *kind, *gt; /* gt: the program part of the answer */
    char *image;                   /* image records: the picture's path (resolved); NULL otherwise */
} eg_item;

typedef struct {
    eg_item *v;
    int n, cap;
} eg_items;

void eg_default_opts(eg_opts *o) {
    memset(o, 0, sizeof *o);
    inf_default_opts(&o->gen);
    es_default_opts(&o->score);
    o->score.out = "eval_generate";
    o->score.floor_items = 0;
    o->examples = 4;
}

static void eg_items_free(eg_items *it) {
    for (int i = 0; i < it->n; i++)
        free(it->v[i].id), free(it->v[i].prompt), free(it->v[i].kind), free(it->v[i].gt), free(it->v[i].image);
    free(it->v);
}

/* reads records {prompt, answer[, id, kind, image]}; limit 0: all */
static int eg_read(const char *path, int limit, eg_items *out) {
    jl_reader r;
    if (jl_open(&r, path, 0)) return -1;
    cJSON *rec;
    int rc;
    while ((rc = jl_next(&r, &rec)) == 1 && !(limit > 0 && out->n >= limit)) {
        const char *prompt, *answer, *id, *kind, *image;
        if (jl_str(&r, rec, "prompt", &prompt) || jl_str(&r, rec, "answer", &answer) ||
            jl_str_opt(&r, rec, "id", NULL, &id) || jl_str_opt(&r, rec, "kind", "text", &kind) ||
            jl_str_opt(&r, rec, "image", NULL, &image)) {
            rc = -1;
            break;
        }
        if (out->n == out->cap) out->v = ut_realloc(out->v, (size_t)(out->cap = 2 * out->cap + 64) * sizeof *out->v);
        eg_item *it = &out->v[out->n++];
        char line[32];
        snprintf(line, sizeof line, "line-%d", r.line);
        it->id = ut_strdup(id ? id : line);
        it->prompt = ut_strdup(prompt);
        it->kind = ut_strdup(kind);
        it->gt = ut_strdup(chat_program(answer));
        it->image = image ? ut_path_beside(path, image) : NULL;
    }
    jl_close(&r);
    if (rc < 0) return -1;
    if (!out->n) return ut_fail("%s: no test items", path);
    return 0;
}

/* the image half of the baseline: the pool's pictures (framed again, as any input) in an index;
   *map[k] is the pool item of picture k */
static int eg_image_index(const eg_items *pool, ir_index **out, int **map) {
    int n = 0;
    for (int i = 0; i < pool->n; i++) n += pool->v[i].image != NULL;
    pic_gray **pics = ut_calloc((size_t)n + 1, sizeof *pics);
    int *idx = ut_malloc(sizeof(int) * ((size_t)n + 1)), k = 0, bad = -1;
    for (int i = 0; i < pool->n; i++)
        if (pool->v[i].image) idx[k++] = i;
    char err[512] = "";
#pragma omp parallel for schedule(dynamic, 16)
    for (int j = 0; j < n; j++) {
        pic_gray *g = ut_calloc(1, sizeof *g);
        if (pic_load_framed(pool->v[idx[j]].image, PIC_SIDE, g)) {
#pragma omp critical(eg_image_err)
            if (bad < 0 || j < bad) bad = j, snprintf(err, sizeof err, "%s", ut_error());
        }
        pics[j] = g;
    }
    ir_index *x = ir_new();
    for (int j = 0; j < n && bad < 0; j++) ir_add(x, pics[j]);
    for (int j = 0; j < n; j++) pic_free(pics[j]), free(pics[j]);
    free(pics);
    if (bad >= 0) {
        ir_free(x);
        free(idx);
        return ut_fail("training picture: %s", err);
    }
    *out = x, *map = idx;
    return 0;
}

/* the retrieval baseline's answer program for every test item: BM25 over the pool's text prompts
   for text items, the nearest pool picture (data/imgret.h) for image items */
static int eg_retrieve(const char *train, const eg_items *test, char **pred, int quiet) {
    eg_items pool = {0};
    if (eg_read(train, 0, &pool)) {
        eg_items_free(&pool);
        return -1;
    }
    int nimg_test = 0, nimg_pool = 0;
    for (int i = 0; i < test->n; i++) nimg_test += test->v[i].image != NULL;
    for (int i = 0; i < pool.n; i++) nimg_pool += pool.v[i].image != NULL;
    if (nimg_test && !nimg_pool) {
        eg_items_free(&pool);
        return ut_fail("the test set has %d image records but %s has none to retrieve from (use the dataset's "
                       "train_images.jsonl)", nimg_test, train);
    }
    int *tmap = ut_malloc(sizeof(int) * ((size_t)pool.n + 1)), nt = 0, *imap = NULL;
    rt_index *x = rt_new();
    for (int i = 0; i < pool.n; i++)
        if (!pool.v[i].image) rt_add(x, pool.v[i].prompt), tmap[nt++] = i;
    rt_finish(x);
    ir_index *ix = NULL;
    if (nimg_test && eg_image_index(&pool, &ix, &imap)) {
        rt_free(x), free(tmap), eg_items_free(&pool);
        return -1;
    }
    ut_progress pb;
    if (!quiet) ut_progress_start(&pb, "retrieval", test->n);
#pragma omp parallel for schedule(dynamic, 16)
    for (int i = 0; i < test->n; i++) {
        const eg_item *it = &test->v[i];
        if (it->image) {
            pic_gray q;
            if (pic_load_framed(it->image, PIC_SIDE, &q)) {
                char msg[600];
                snprintf(msg, sizeof msg, "-- the picture could not be read: %s\n", ut_error());
                pred[i] = ut_strdup(msg);
                continue;
            }
            int best = ir_query(ix, &q, NULL);
            pic_free(&q);
            pred[i] = ut_strdup(best >= 0 ? pool.v[imap[best]].gt : "-- no training picture\n");
        } else {
            int best = rt_query(x, it->prompt, NULL);
            pred[i] = ut_strdup(best >= 0 ? pool.v[tmap[best]].gt : "-- no training prompt shares a word with this one\n");
        }
    }
    if (!quiet) ut_progress_finish(&pb);
    rt_free(x);
    ir_free(ix);
    free(tmap), free(imap);
    eg_items_free(&pool);
    return 0;
}

/* our answer program for every test item */
static int eg_generate(inf_model *g, const eg_items *test, const eg_opts *o, char **pred, double *secs) {
    ut_progress pb;
    if (!o->quiet) ut_progress_start(&pb, "generate", test->n);
    for (int i = 0; i < test->n; i++) {
        inf_result r;
        double t0 = ut_now();
        inf_opts go = o->gen;
        go.seed = o->gen.seed + (uint64_t)i * 1000003u;
        const char *image = test->v[i].image;
        if (image ? inf_generate_image_file(g, image, &go, &r) : inf_generate(g, test->v[i].prompt, &go, &r)) {
            char msg[700];
            snprintf(msg, sizeof msg, "-- the %s could not be sampled: %s\n", image ? "picture" : "prompt", ut_error());
            for (char *c = msg + 3; *c && c[1]; c++)
                if (*c == '\n') *c = ' ';
            pred[i] = ut_strdup(msg);
        } else {
            pred[i] = ut_strdup(r.best >= 0 ? r.cand[r.best].program : r.n ? r.cand[0].program : "");
            inf_result_free(&r);
        }
        secs[i] = ut_now() - t0;
        if (!o->quiet) ut_progress_update(&pb, i + 1);
    }
    if (!o->quiet) ut_progress_finish(&pb);
    return 0;
}

/* the numbers of one system over the items where sel[i] */
static void eg_group(const es_opts *so, const es_set *set, const es_result *res, const unsigned char *sel, eg_row *row) {
    int n = 0;
    for (int i = 0; i < set->n; i++) n += sel[i] && res[i].gt_ok;
    es_set sub = {ut_calloc((size_t)n + 1, sizeof(es_item)), 0};
    es_result *sr = ut_calloc((size_t)n + 1, sizeof *sr);
    double *cd = ut_calloc((size_t)n + 1, sizeof(double)), *best = ut_calloc((size_t)n + 1, sizeof(double));
    int nv = 0;
    double scale = mt_protocol_cd_scale(so->score.protocol);
    for (int i = 0; i < set->n; i++) {
        if (!sel[i] || !res[i].gt_ok) continue;
        sub.items[sub.n] = set->items[i];
        sr[sub.n++] = res[i];
        if (res[i].s.valid) {
            cd[nv] = res[i].s.cd * scale;
            best[nv++] = res[i].s.best_exact;
        }
    }
    es_opts o = *so;
    o.floor_items = 0;
    es_summary s;
    es_summarise(&o, &sub, sr, &s);
    mt_stats a, b;
    mt_stats_of(cd, nv, &a);
    mt_stats_of(best, nv, &b);
    *row = (eg_row){.items = s.items - s.gt_bad, .invalid = s.invalid, .ir = s.ir, .cd_median = a.median, .cd_mean = a.mean,
                    .best_median = b.median, .best_mean = b.mean, .pf1 = s.pf1};
    free(sub.items), free(sr), free(cd), free(best);
}

static void eg_num(cJSON *j, const char *k, double v) {
    if (isfinite(v)) cJSON_AddNumberToObject(j, k, v);
    else cJSON_AddNullToObject(j, k);
}

static const char *eg_f(double v, int digits, char *buf) {
    if (!isfinite(v)) return "-";
    snprintf(buf, 32, "%.*f", digits, v);
    return buf;
}

/* one table of the systems over a group, into f and report.json */
static void eg_table(FILE *f, cJSON *groups, const char *name, const eg_row *rows, const int *on) {
    char b[6][32];
    cJSON *g = cJSON_AddObjectToObject(groups, name);
    fprintf(f, "\n| %s | items | IR %% | median CD | mean CD | median IoU_best | mean IoU_best | P-F1 |\n"
               "|---|---|---|---|---|---|---|---|\n", name);
    for (int k = 0; k < EG_SYSTEMS; k++) {
        if (!on[k]) continue;
        const eg_row *r = &rows[k];
        cJSON *j = cJSON_AddObjectToObject(g, eg_system_name[k]);
        cJSON_AddNumberToObject(j, "items", r->items);
        cJSON_AddNumberToObject(j, "invalid", r->invalid);
        eg_num(j, "ir", r->ir), eg_num(j, "cd_median", r->cd_median), eg_num(j, "cd_mean", r->cd_mean);
        eg_num(j, "iou_best_median", r->best_median), eg_num(j, "iou_best_mean", r->best_mean), eg_num(j, "pf1", r->pf1);
        fprintf(f, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", eg_system_name[k], r->items, eg_f(r->ir, 2, b[0]),
                eg_f(r->cd_median, 2, b[1]), eg_f(r->cd_mean, 2, b[2]), eg_f(r->best_median, 3, b[3]),
                eg_f(r->best_mean, 3, b[4]), eg_f(r->pf1, 3, b[5]));
    }
}

/* every system's row over the items where sel[i]; P-F1 is left out (NaN) when they are all image
   items: a picture gives no absolute sizes */
static void eg_rows(const es_opts *so, const es_set *set, es_result *const *res, const eg_items *test,
                    const unsigned char *sel, const int *on, eg_row *rows) {
    int text = 0;
    for (int i = 0; i < test->n; i++) text |= sel[i] && !test->v[i].image;
    for (int k = 0; k < EG_SYSTEMS; k++) {
        if (!on[k]) continue;
        eg_group(so, &set[k], res[k], sel, &rows[k]);
        if (!text) rows[k].pf1 = NAN;
    }
}

/* the framed input picture of an image item into path (a grey card when it cannot be read) */
static void eg_input_picture(const char *image, const char *path) {
    pic_gray g;
    if (pic_load_framed(image, 160, &g)) pic_init(&g, 160, 160, 0.9f);
    pic_write_png(&g, path);
    pic_free(&g);
}

/* the 2x2 sheet of a program into path; a grey card with the error when it does not run */
static void eg_picture(const char *prog, const char *path) {
    ex_limits lim;
    ex_default_limits(&lim);
    cad_model m;
    ms_mesh mesh = {0};
    img_rgb img = {0};
    int ok = ex_run(prog, strlen(prog), "program", &lim, &m) == 0;
    if (ok) {
        ok = ms_from_model(&m, MS_DEFAULT_TOL, &mesh) == 0 && rd_sheet(&mesh, 160, 160, &img) == 0;
        cad_free(&m);
        ms_free(&mesh);
    }
    if (!ok) {
        img_free(&img);
        static const unsigned char grey[3] = {230, 230, 230}, ink[3] = {120, 0, 0};
        img_init(&img, 320, 320, grey);
        img_text(&img, 12, 150, 2, ink, "invalid");
    }
    img_write_png(&img, path);
    img_free(&img);
}

/* a short Markdown-safe copy of a prompt */
static void eg_md_text(FILE *f, const char *s, size_t max) {
    for (size_t i = 0; s[i] && i < max; i++) {
        char c = s[i];
        if (c == '|') fputs("\\|", f);
        else if (c == '\n' || c == '\r') fputc(' ', f);
        else fputc(c, f);
    }
    if (strlen(s) > max) fputs("...", f);
}

int eg_run(inf_model *g, const char *test_jsonl, const eg_opts *o, eg_row *all_ours, eg_row *all_base) {
    eg_items test = {0};
    if (eg_read(test_jsonl, o->limit, &test)) {
        eg_items_free(&test);
        return -1;
    }
    int n = test.n, on[EG_SYSTEMS] = {g != NULL, o->train != NULL}, rc = 0, nimg = 0;
    for (int i = 0; i < n; i++) nimg += test.v[i].image != NULL;
    if (!on[0] && !on[1]) rc = ut_fail("nothing to evaluate: no model and no retrieval pool");
    else if (g && nimg && !inf_image_side(g))
        rc = ut_fail("%s has %d image records, and the model in %s has no vision encoder (text prompts only): score "
                     "them with a model that has one, or against the retrieval baseline alone (no model)", test_jsonl,
                     nimg, inf_dir(g));
    if (rc) {
        eg_items_free(&test);
        return -1;
    }
    es_result *res[EG_SYSTEMS] = {NULL, NULL};
    es_set set[EG_SYSTEMS] = {{0}};
    double *gen_s = ut_calloc((size_t)n, sizeof(double));
    char **preds[EG_SYSTEMS] = {ut_calloc((size_t)n, sizeof(char *)), ut_calloc((size_t)n, sizeof(char *))};
    if (on[0]) eg_generate(g, &test, o, preds[0], gen_s);
    if (on[1] && eg_retrieve(o->train, &test, preds[1], o->quiet)) {
        rc = -1;
        goto done;
    }
    for (int k = 0; k < EG_SYSTEMS; k++) {
        if (!on[k]) continue;
        set[k].n = n;
        set[k].items = ut_calloc((size_t)n, sizeof(es_item));
        for (int i = 0; i < n; i++)
            set[k].items[i] = (es_item){.id = ut_strdup(test.v[i].id), .gt = ut_strdup(test.v[i].gt), .gt_text = 1,
                                        .pred = ut_strdup(preds[k][i]), .pred_text = 1};
        es_opts so = o->score;
        so.quiet = o->quiet;
        res[k] = es_run(&so, &set[k]);
    }
    int lead = on[0] ? 0 : 1; /* the system whose results give the levels */
    /* groups: all, each kind, each level */
    if (ut_mkdirs(o->score.out)) {
        rc = -1;
        goto free_sets;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/report.md", o->score.out);
    char *md = NULL;
    size_t mdlen = 0;
    FILE *f = open_memstream(&md, &mdlen);
    cJSON *root = cJSON_CreateObject(), *groups = cJSON_AddObjectToObject(root, "groups");
    const char *title = o->title ? o->title : test_jsonl;
    mt_protocol p = o->score.score.protocol;
    double mean_s = 0;
    for (int i = 0; i < n; i++) mean_s += gen_s[i] / n;
    fprintf(f, "# %s to CAD: %s\n\n", nimg == n ? "Image" : nimg ? "Text and image" : "Text", title);
    if (g)
        fprintf(f, "- items: %d (`%s`); model: `%s`; %d candidates, temperature %g, pick by %s, %d retry and %d repair rounds%s\n", n,
                test_jsonl, inf_dir(g), o->gen.n, o->gen.temperature, inf_pick_name(o->gen.pick), o->gen.retry, o->gen.repair,
                o->gen.check_names ? ", name-checked decoding" : "");
    else
        fprintf(f, "- items: %d (`%s`), %d of them pictures; the retrieval baseline alone\n", n, test_jsonl, nimg);
    fprintf(f, "- CD: `%s` protocol, %s; IoU_best: exact, inertia-normalised; IR over all items\n", mt_protocol_name(p),
            mt_protocol_cd_scale(p) != 1 ? "x1000" : "raw");
    if (o->train && nimg)
        fprintf(f, "- retrieval: the nearest picture of `%s` (L2 over 32x32 framed pictures) for image items, BM25 over "
                   "its prompts for text items, answering with that sample's program\n", o->train);
    else if (o->train)
        fprintf(f, "- retrieval: BM25 over the prompts of `%s`, answering with that sample's program\n", o->train);
    if (nimg) fprintf(f, "- image items: no P-F1 (a picture gives no absolute sizes)\n");
    if (g) fprintf(f, "- generation time per prompt: mean %.2f s\n", mean_s);
    cJSON_AddStringToObject(root, "test", test_jsonl);
    cJSON_AddNumberToObject(root, "items", n);
    cJSON_AddNumberToObject(root, "image_items", nimg);
    if (g) cJSON_AddNumberToObject(root, "seconds_per_prompt", mean_s);
    unsigned char *sel = ut_malloc((size_t)n);
    eg_row rows[EG_SYSTEMS];
    memset(rows, 0, sizeof rows);
    memset(sel, 1, (size_t)n);
    eg_rows(&o->score, set, res, &test, sel, on, rows);
    if (all_ours) *all_ours = on[0] ? rows[0] : (eg_row){0};
    if (all_base) *all_base = on[1] ? rows[1] : (eg_row){0};
    eg_table(f, groups, "all", rows, on);
    /* kinds in order of first appearance */
    for (int i = 0; i < n; i++) {
        int first = 1;
        for (int j = 0; j < i && first; j++) first = strcmp(test.v[j].kind, test.v[i].kind) != 0;
        if (!first) continue;
        for (int j = 0; j < n; j++) sel[j] = !strcmp(test.v[j].kind, test.v[i].kind);
        eg_rows(&o->score, set, res, &test, sel, on, rows);
        eg_table(f, groups, test.v[i].kind, rows, on);
    }
    for (int l = LV_L; l <= LV_MSE; l++) {
        int any = 0;
        for (int j = 0; j < n; j++) any |= (sel[j] = res[lead][j].gt_ok && res[lead][j].level == (lv_level)l);
        if (!any) continue;
        eg_rows(&o->score, set, res, &test, sel, on, rows);
        char name[32];
        snprintf(name, sizeof name, "level %s", lv_name((lv_level)l));
        eg_table(f, groups, name, rows, on);
    }
    free(sel);
    /* examples */
    int ne = o->examples < n ? o->examples : n;
    if (ne > 0) {
        snprintf(path, sizeof path, "%s/examples", o->score.out);
        ut_mkdirs(path);
        fprintf(f, "\n## Examples\n\n| prompt | truth | %s | %s |\n|---|---|---|---|\n", on[0] ? "ours" : "-",
                on[1] ? "retrieval" : "-");
        for (int e = 0; e < ne; e++) {
            int i = (int)((long)e * n / ne);
            const char *progs[3] = {test.v[i].gt, on[0] ? preds[0][i] : NULL, on[1] ? preds[1][i] : NULL};
            const char *names[3] = {"truth", "ours", "retrieval"};
            fputs("| ", f);
            if (test.v[i].image) {
                snprintf(path, sizeof path, "%s/examples/%03d_input.png", o->score.out, e);
                eg_input_picture(test.v[i].image, path);
                fprintf(f, "![input](examples/%03d_input.png)", e);
            } else
                eg_md_text(f, test.v[i].prompt, 300);
            for (int k = 0; k < 3; k++) {
                if (!progs[k]) {
                    fputs(" | ", f);
                    continue;
                }
                snprintf(path, sizeof path, "%s/examples/%03d_%s.png", o->score.out, e, names[k]);
                eg_picture(progs[k], path);
                fprintf(f, " | ![%s](examples/%03d_%s.png)", names[k], e, names[k]);
            }
            fputs(" |\n", f);
        }
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/report.md", o->score.out);
    rc = ut_write_atomic(path, md, mdlen);
    free(md);
    /* predictions.jsonl */
    {
        char *jl = NULL;
        size_t jlen = 0;
        FILE *pf = open_memstream(&jl, &jlen);
        for (int i = 0; i < n; i++) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "id", test.v[i].id);
            cJSON_AddStringToObject(j, "prompt", test.v[i].prompt);
            if (test.v[i].image) cJSON_AddStringToObject(j, "image", test.v[i].image);
            cJSON_AddStringToObject(j, "kind", test.v[i].kind);
            for (int k = 0; k < EG_SYSTEMS; k++) {
                if (!on[k]) continue;
                cJSON *s = cJSON_AddObjectToObject(j, eg_system_name[k]);
                const sc_result *r = &res[k][i].s;
                cJSON_AddStringToObject(s, "program", preds[k][i]);
                cJSON_AddBoolToObject(s, "valid", r->valid);
                if (!r->valid) cJSON_AddStringToObject(s, "reason", r->reason);
                eg_num(s, "cd", r->cd * mt_protocol_cd_scale(p));
                eg_num(s, "iou_best", r->best_exact);
            }
            char *t = cJSON_PrintUnformatted(j);
            fprintf(pf, "%s\n", t);
            free(t);
            cJSON_Delete(j);
        }
        fclose(pf);
        snprintf(path, sizeof path, "%s/predictions.jsonl", o->score.out);
        if (!rc) rc = ut_write_atomic(path, jl, jlen);
        free(jl);
    }
    char *js = cJSON_Print(root);
    snprintf(path, sizeof path, "%s/report.json", o->score.out);
    if (!rc) rc = ut_write_atomic(path, js, strlen(js));
    free(js);
    cJSON_Delete(root);
free_sets:
    for (int k = 0; k < EG_SYSTEMS; k++) {
        es_free(&set[k]);
        free(res[k]);
    }
done:
    for (int k = 0; k < EG_SYSTEMS; k++) {
        for (int i = 0; i < n; i++) free(preds[k][i]);
        free(preds[k]);
    }
    free(gen_s);
    eg_items_free(&test);
    return rc;
}

/* ---- validation during training ---- */

const char *const eg_val_names[EG_VAL_NOUT] = {"val_ir", "val_iou_best"};

struct eg_val {
    eg_items items;
    sc_target **t;   /* (items.n); NULL where the ground truth gives no solid */
    tok_tokenizer *tok;
    int max_new;
};

eg_val *eg_val_new(const char *jsonl, int k, tok_tokenizer *tok, int max_new) {
    eg_val *v = ut_calloc(1, sizeof *v);
    if (eg_read(jsonl, k, &v->items)) {
        eg_val_free(v);
        return NULL;
    }
    sc_opts so;
    sc_default_opts(&so);
    so.metrics = SC_BEST_EXACT;
    v->t = ut_calloc((size_t)v->items.n, sizeof *v->t);
    int built = 0;
#pragma omp parallel for schedule(dynamic) reduction(+ : built)
    for (int i = 0; i < v->items.n; i++) built += (v->t[i] = sc_target_text(v->items.v[i].gt, v->items.v[i].id, &so, NULL)) != NULL;
    if (!built) {
        ut_fail("%s: none of the first %d validation programs gives a solid", jsonl, v->items.n);
        eg_val_free(v);
        return NULL;
    }
    v->tok = tok;
    v->max_new = max_new;
    return v;
}

int eg_val_measure(void *ctx, nn_model *m, long step, double *out) {
    (void)step;
    eg_val *v = ctx;
    smp_sampler *smp = smp_new(m);
    int eos[2], neos = chat_end_ids(v->tok, eos);
    int n = 0, invalid = 0;
    double sum = 0;
    char **text = ut_calloc((size_t)v->items.n, sizeof(char *));
    for (int i = 0; i < v->items.n; i++) {
        if (!v->t[i]) continue;
        int P = 0, *ids = chat_encode_prompt(v->tok, v->items.v[i].prompt, &P);
        int room = m->cfg.max_position_embeddings - P;
        smp_opts so = {.n = 1, .max_new = v->max_new > 0 && v->max_new < room ? v->max_new : room, .temperature = 0,
                       .eos_ids = eos, .neos = neos, .tok = v->tok};
        smp_seq q = {0};
        if (room >= 1 && smp_generate(smp, ids, P, &so, &q) == 0) {
            text[i] = q.text ? q.text : ut_strdup("");
            q.text = NULL;
            smp_seq_free(&q);
        }
        free(ids);
    }
    smp_free(smp);
    double *iou = ut_calloc((size_t)v->items.n, sizeof(double));
    unsigned char *ok = ut_calloc((size_t)v->items.n, 1);
#pragma omp parallel for schedule(dynamic)
    for (int i = 0; i < v->items.n; i++) {
        if (!v->t[i] || !text[i]) continue;
        sc_result r;
        sc_score_text(v->t[i], chat_program(text[i]), "answer", NULL, &r);
        ok[i] = r.valid;
        iou[i] = r.valid && isfinite(r.best_exact) ? r.best_exact : 0;
    }
    for (int i = 0; i < v->items.n; i++) {
        if (!v->t[i]) continue;
        n++;
        invalid += !ok[i];
        sum += iou[i];
        free(text[i]);
    }
    free(text), free(iou), free(ok);
    out[0] = mt_invalidity_ratio(invalid, n);
    out[1] = n ? sum / n : NAN;
    return 0;
}

void eg_val_free(eg_val *v) {
    if (!v) return;
    for (int i = 0; v->t && i < v->items.n; i++) sc_target_free(v->t[i]);
    free(v->t);
    eg_items_free(&v->items);
    free(v);
}
