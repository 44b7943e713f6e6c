/* evalset.c - evaluation sets: items from folders and JSONL, scoring them, the summary and the
 * noise floor (see evalset.h; the report writers are in evalset_report.c). */
#include <dirent.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "data/jsonl.h"
#include "eval/evalset.h"

void es_default_opts(es_opts *o) {
    memset(o, 0, sizeof *o);
    sc_default_opts(&o->score);
    o->floor_items = 5;
    o->out = "eval_report";
}

uint64_t es_item_seed(const char *id, long seed) {
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)seed;
    for (; *id; id++) h = (h ^ (unsigned char)*id) * 1099511628211ULL;
    return h;
}

/* ---- items ---- */

void es_free(es_set *set) {
    for (int i = 0; i < set->n; i++) {
        es_item *it = &set->items[i];
        free(it->id), free(it->gt), free(it->pred), free(it->bad);
    }
    free(set->items);
    set->items = NULL, set->n = 0;
}

static int es_cmp_item(const void *a, const void *b) { return strcmp(((const es_item *)a)->id, ((const es_item *)b)->id); }

static int es_is_model_file(const char *name) {
    const char *e = ut_path_ext(name);
    return !strcmp(e, ".lua") || !strcmp(e, ".json");
}

static char *es_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = ut_malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* the file in dir whose stem is stem (.lua or .json), or NULL */
static char *es_find_stem(const char *dir, const char *stem) {
    static const char *exts[] = {".lua", ".json"};
    for (int k = 0; k < 2; k++) {
        size_t n = strlen(dir) + strlen(stem) + 8;
        char *p = ut_malloc(n);
        snprintf(p, n, "%s/%s%s", dir, stem, exts[k]);
        FILE *f = fopen(p, "rb");
        if (f) {
            fclose(f);
            return p;
        }
        free(p);
    }
    return NULL;
}

static es_item *es_push(es_set *set, int *cap) {
    es_item *it = UT_PUSH(set->items, set->n, *cap);
    memset(it, 0, sizeof *it);
    return it;
}

int es_from_dirs(const char *pred_dir, const char *gt_dir, es_set *set) {
    memset(set, 0, sizeof *set);
    DIR *d = opendir(gt_dir);
    if (!d) return ut_fail("cannot open ground-truth folder %s", gt_dir);
    if (!ut_is_dir(pred_dir)) {
        closedir(d);
        return ut_fail("cannot open prediction folder %s", pred_dir);
    }
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !es_is_model_file(e->d_name)) continue;
        es_item *it = es_push(set, &cap);
        it->id = ut_strdup(e->d_name);
        *strrchr(it->id, '.') = 0;
        it->gt = es_join(gt_dir, e->d_name);
        it->pred = es_find_stem(pred_dir, it->id);
    }
    closedir(d);
    if (set->n == 0) return ut_fail("no .lua or .json files in %s", gt_dir);
    qsort(set->items, (size_t)set->n, sizeof *set->items, es_cmp_item);
    for (int i = 1; i < set->n; i++)
        if (!strcmp(set->items[i].id, set->items[i - 1].id))
            return ut_fail("%s holds two files with the stem '%s'", gt_dir, set->items[i].id);
    return 0;
}

/* a JSONL field: a path when it names a readable file or looks like one (one line ending in
 * .lua or .json: a missing file is then reported as such), otherwise program / JSON text */
static char *es_field(const cJSON *o, const char *key, int *is_text) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || !v->valuestring[0]) return NULL;
    const char *s = v->valuestring;
    int one_line = strchr(s, '\n') == NULL;
    FILE *f = one_line ? fopen(s, "rb") : NULL;
    *is_text = f == NULL && !(one_line && !sc_is_json_text(s) && es_is_model_file(s));
    if (f) fclose(f);
    return ut_strdup(s);
}

/* one JSONL record (o NULL: the line was not valid JSON, why in bad) into a new item */
static void es_jsonl_item(const char *path, int lineno, const cJSON *o, const char *bad, es_item *it) {
    char buf[64], msg[320];
    snprintf(buf, sizeof buf, "line%d", lineno);
    const cJSON *id = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, "id") : NULL;
    if (cJSON_IsString(id)) it->id = ut_strdup(id->valuestring);
    else if (cJSON_IsNumber(id)) snprintf(buf, sizeof buf, "%.17g", id->valuedouble), it->id = ut_strdup(buf);
    else it->id = ut_strdup(buf);
    if (bad) {
        it->bad = ut_strdup(bad);
    } else if (!cJSON_IsObject(o)) {
        snprintf(msg, sizeof msg, "%s line %d: not a JSON object", path, lineno);
        it->bad = ut_strdup(msg);
    } else {
        it->gt = es_field(o, "gt", &it->gt_text);
        it->pred = es_field(o, "pred", &it->pred_text);
        if (!it->gt) {
            snprintf(msg, sizeof msg, "%s line %d: no \"gt\" string", path, lineno);
            it->bad = ut_strdup(msg);
        }
    }
}

int es_from_jsonl(const char *path, es_set *set) {
    memset(set, 0, sizeof *set);
    jl_reader r;
    if (jl_open(&r, path, 0) != 0) return -1;
    int cap = 0, rc;
    cJSON *rec;
    /* a malformed line becomes an invalid item; a read error or an overlong line stops */
    while ((rc = jl_next(&r, &rec)) == 1 || (rc < 0 && r.line_error))
        es_jsonl_item(path, r.line, rec, rc < 0 ? ut_error() : NULL, es_push(set, &cap));
    jl_close(&r);
    if (rc < 0) return -1;
    if (set->n == 0) return ut_fail("%s holds no items", path);
    return 0;
}

/* ---- scoring ---- */

/* the item's target (NULL + ut_error(); *st the kind) with its own seed */
static sc_target *es_target(const es_opts *o, const es_item *it, unsigned metrics, sc_status *st) {
    sc_opts so = o->score;
    so.seed = es_item_seed(it->id, o->seed);
    so.metrics = metrics;
    return it->gt_text ? sc_target_text(it->gt, "gt", &so, st) : sc_target_file(it->gt, &so, st);
}

void es_run_item(const es_opts *o, const es_item *it, es_result *r) {
    double t0 = ut_now();
    memset(r, 0, sizeof *r);
    r->level = LV_NONE;
    sc_result_init(&r->s);
    if (it->bad) {
        r->gt_ok = 1; /* the item exists; its prediction cannot be read */
        r->s.status = SC_E_MISSING;
        snprintf(r->s.reason, sizeof r->s.reason, "%s", it->bad);
        return;
    }
    sc_status st;
    sc_target *t = es_target(o, it, o->score.metrics, &st);
    if (!t) {
        snprintf(r->s.reason, sizeof r->s.reason, "%s: %s", st == SC_E_SOLID ? "ground truth solid" : "ground truth",
                 ut_error());
    } else {
        r->gt_ok = 1;
        r->level = sc_target_level(t);
        if (!it->pred) {
            r->s.status = SC_E_MISSING;
            snprintf(r->s.reason, sizeof r->s.reason, "no prediction");
        } else if (it->pred_text) {
            sc_score_text(t, it->pred, "pred", NULL, &r->s);
        } else {
            sc_score_file(t, it->pred, NULL, &r->s);
        }
    }
    sc_target_free(t);
    r->s.secs = ut_now() - t0;
}

es_result *es_run(const es_opts *o, const es_set *set) {
    int n = set->n;
    es_result *res = ut_calloc((size_t)(n ? n : 1), sizeof *res);
    ut_progress pb;
    ut_progress_start(&pb, "eval", n);
    pb.quiet = o->quiet;
    const int nth = o->threads > 0 ? o->threads : omp_get_max_threads();
    long done = 0;
    /* items in parallel (each item's own work then runs on its thread alone) */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nth)
    for (int i = 0; i < n; i++) {
        es_run_item(o, &set->items[i], &res[i]);
#pragma omp critical(es_progress)
        ut_progress_update(&pb, ++done);
    }
    ut_progress_finish(&pb);
    return res;
}

/* ---- summary ---- */

/* CD of ground truths against themselves with independent sampling streams: the noise floor */
static double es_noise_floor(const es_opts *o, const es_set *set, const es_result *res, int *used) {
    double sum = 0;
    *used = 0;
    for (int i = 0; i < set->n && *used < o->floor_items; i++) {
        if (!res[i].gt_ok || set->items[i].bad) continue;
        sc_target *t = es_target(o, &set->items[i], SC_CD, NULL);
        double cd;
        if (t && sc_target_self_cd(t, &cd) == 0) sum += cd, (*used)++;
        sc_target_free(t);
    }
    return *used ? sum / *used : NAN;
}

void es_summarise(const es_opts *o, const es_set *set, const es_result *res, es_summary *s) {
    memset(s, 0, sizeof *s);
    mt_pf1_acc acc = {{0}, {0}};
    for (int i = 0; i < set->n; i++) {
        if (!res[i].gt_ok) s->gt_bad++;
        else if (!res[i].s.valid) s->invalid++;
        else s->valid++, mt_pf1_add(&acc, &res[i].s.pf1);
    }
    s->items = set->n;
    s->ir = mt_invalidity_ratio(s->invalid, set->n - s->gt_bad);
    s->pf1 = mt_pf1_value(&acc, s->pf1_type);
    s->floor = o->floor_items ? es_noise_floor(o, set, res, &s->floor_items) : NAN;
}
