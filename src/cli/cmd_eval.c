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
 */
#include <ctype.h>
#include <dirent.h>
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "model/cad.h"
#include "cli/cli.h"
#include "cad/exec.h"
#include "data/import.h"
#include "model/level.h"
#include "eval/metrics.h"
#include "geom/solid.h"
#include "base/plot.h"
#include "base/util.h"

#define EV_CMD "eval"

typedef struct {
    char *id;
    char *gt, *pred; /* a path, or program / JSON text (is_text) */
    int gt_text, pred_text;
    char *bad; /* the item itself is malformed (JSONL): reason */
} ev_item;

typedef struct {
    int gt_ok, valid;
    lv_level level; /* the ground truth's hierarchy level (LV_NONE if unknown) */
    char reason[300];
    double cd, iou, best_exact, best_voxel, visual; /* NaN when not computed */
    mt_pf1_counts pf1;
    double secs;
} ev_result;

typedef struct {
    mt_protocol protocol;
    int points, floor_items, voxel, visual, refine, json, quiet, threads;
    long seed;
    double pitch;
    const char *out;
} ev_opts;

/* ---- loading models ---- */

static int ev_is_json_text(const char *s) {
    while (isspace((unsigned char)*s)) s++;
    return *s == '{';
}

/* a model from a path (.lua program or .json file) or from text (program or JSON; JSON text goes
 * through a temporary file tmpdir/<item>_<role>.json, removed at once) */
static int ev_load_model(const char *src, int is_text, const char *tmpdir, int item, const char *role, cad_model *m) {
    cad_init(m);
    if (is_text && ev_is_json_text(src)) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%d_%s.json", tmpdir, item, role);
        if (ut_write_atomic(path, src, strlen(src)) != 0) return -1;
        cad_free(m);
        int rc = im_load(path, NULL, m, NULL);
        if (rc != 0) ut_fail("%s JSON text: %s", role, strstr(ut_error(), ".json: ") ? strstr(ut_error(), ".json: ") + 7 : ut_error());
        remove(path);
        return rc;
    }
    if (is_text) return ex_run(src, strlen(src), role, NULL, m);
    if (!strcmp(ut_path_ext(src), ".json")) {
        cad_free(m);
        return im_load(src, NULL, m, NULL);
    }
    return ex_run_file(src, NULL, m);
}

/* ---- one item ---- */

static uint64_t ev_hash(const char *s, uint64_t seed) {
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void ev_fail(ev_result *r, const char *what) {
    snprintf(r->reason, sizeof r->reason, "%s: %s", what, ut_error());
}

static void ev_metrics(const ev_opts *o, const ev_item *it, const cad_model *gm, const sd_solid *gs,
                       const cad_model *pm, const sd_solid *ps, ev_result *r) {
    uint64_t h = ev_hash(it->id, (uint64_t)o->seed);
    if (mt_chamfer(gs, ps, o->protocol, o->points, h, h ^ 0x9e3779b97f4a7c15ULL, &r->cd) != 0) r->cd = NAN;
    if (mt_iou_protocol(gs, ps, o->protocol, &r->iou) != 0) r->iou = NAN;
    mt_frame fg, fp;
    if (mt_frame_of(gs, &fg) == 0 && mt_frame_of(ps, &fp) == 0) {
        mt_best_opts bo = {o->pitch, {0, 0, 0}, o->refine};
        mt_best b;
        if (mt_iou_best_exact(gs, &fg, ps, &fp, &bo, &b) == 0) r->best_exact = b.iou;
        if (o->voxel && mt_iou_best_voxel(gs, &fg, ps, &fp, &bo, &b) == 0) r->best_voxel = b.iou;
    }
    if (o->visual && mt_visual_similarity(gm, pm, 0, &r->visual) != 0) r->visual = NAN;
    mt_pf1_sample(gm, pm, &r->pf1);
}

static void ev_run_item(const ev_opts *o, const ev_item *it, int item, const char *tmpdir, ev_result *r) {
    double t0 = ut_now();
    memset(r, 0, sizeof *r);
    r->level = LV_NONE;
    r->cd = r->iou = r->best_exact = r->best_voxel = r->visual = NAN;
    if (it->bad) {
        r->gt_ok = 1; /* the item exists; its prediction cannot be read */
        snprintf(r->reason, sizeof r->reason, "%s", it->bad);
        return;
    }
    cad_model gm, pm;
    sd_solid *gs = NULL, *ps = NULL;
    if (ev_load_model(it->gt, it->gt_text, tmpdir, item, "gt", &gm) != 0) {
        ev_fail(r, "ground truth");
    } else if (!(gs = sd_build(&gm))) {
        ev_fail(r, "ground truth solid");
    } else {
        r->gt_ok = 1;
        lv_info li;
        r->level = lv_classify(&gm, &li);
        if (!it->pred) {
            snprintf(r->reason, sizeof r->reason, "no prediction");
        } else if (ev_load_model(it->pred, it->pred_text, tmpdir, item, "pred", &pm) != 0) {
            ev_fail(r, "prediction");
            cad_free(&pm);
        } else {
            if (!(ps = sd_build(&pm))) ev_fail(r, "prediction solid");
            else {
                sd_props pr;
                if (sd_mass_props(ps, &pr) != 0 || !(pr.volume > 0))
                    snprintf(r->reason, sizeof r->reason, "prediction solid is empty");
                else r->valid = 1;
            }
            if (r->valid) ev_metrics(o, it, &gm, gs, &pm, ps, r);
            cad_free(&pm);
        }
    }
    sd_free(gs);
    sd_free(ps);
    cad_free(&gm);
    r->secs = ut_now() - t0;
}

/* CD of ground truths against themselves with independent sampling streams: the noise floor */
static double ev_noise_floor(const ev_opts *o, const ev_item *items, const ev_result *res, int n, const char *tmpdir,
                             int *used) {
    double sum = 0;
    *used = 0;
    for (int i = 0; i < n && *used < o->floor_items; i++) {
        if (!res[i].gt_ok || items[i].bad) continue;
        cad_model m;
        if (ev_load_model(items[i].gt, items[i].gt_text, tmpdir, i, "gt", &m) == 0) {
            sd_solid *s = sd_build(&m);
            double cd;
            uint64_t h = ev_hash(items[i].id, (uint64_t)o->seed);
            if (s && mt_chamfer(s, s, o->protocol, o->points, h, h ^ 0x9e3779b97f4a7c15ULL, &cd) == 0) sum += cd, (*used)++;
            sd_free(s);
        }
        cad_free(&m);
    }
    return *used ? sum / *used : NAN;
}

/* ---- collecting items ---- */

static int ev_cmp_item(const void *a, const void *b) { return strcmp(((const ev_item *)a)->id, ((const ev_item *)b)->id); }

static int ev_is_model_file(const char *name) {
    const char *e = ut_path_ext(name);
    return !strcmp(e, ".lua") || !strcmp(e, ".json");
}

static char *ev_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = ut_malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* the file in dir whose stem is stem (.lua or .json), or NULL */
static char *ev_find_stem(const char *dir, const char *stem) {
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

static int ev_items_from_dirs(const char *pred_dir, const char *gt_dir, ev_item **items, int *n) {
    DIR *d = opendir(gt_dir);
    if (!d) return ut_fail("cannot open ground-truth folder %s", gt_dir);
    if (!ut_is_dir(pred_dir)) {
        closedir(d);
        return ut_fail("cannot open prediction folder %s", pred_dir);
    }
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !ev_is_model_file(e->d_name)) continue;
        ev_item *it = UT_PUSH(*items, *n, cap);
        memset(it, 0, sizeof *it);
        it->id = ut_strdup(e->d_name);
        *strrchr(it->id, '.') = 0;
        it->gt = ev_join(gt_dir, e->d_name);
        it->pred = ev_find_stem(pred_dir, it->id);
    }
    closedir(d);
    if (*n == 0) return ut_fail("no .lua or .json files in %s", gt_dir);
    qsort(*items, (size_t)*n, sizeof **items, ev_cmp_item);
    for (int i = 1; i < *n; i++)
        if (!strcmp((*items)[i].id, (*items)[i - 1].id))
            return ut_fail("%s holds two files with the stem '%s'", gt_dir, (*items)[i].id);
    return 0;
}

/* a JSONL field: a path when it names a readable file or looks like one (one line ending in
 * .lua or .json: a missing file is then reported as such), otherwise program / JSON text */
static char *ev_field(const cJSON *o, const char *key, int *is_text) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || !v->valuestring[0]) return NULL;
    const char *s = v->valuestring;
    int one_line = strchr(s, '\n') == NULL;
    FILE *f = one_line ? fopen(s, "rb") : NULL;
    *is_text = f == NULL && !(one_line && !ev_is_json_text(s) && ev_is_model_file(s));
    if (f) fclose(f);
    return ut_strdup(s);
}

static int ev_items_from_jsonl(const char *path, ev_item **items, int *n) {
    char *text = ut_read_file(path, NULL);
    if (!text) return -1;
    int cap = 0, lineno = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        lineno++;
        char *s = line;
        while (isspace((unsigned char)*s)) s++;
        if (!*s) continue;
        ev_item *it = UT_PUSH(*items, *n, cap);
        memset(it, 0, sizeof *it);
        char buf[64];
        snprintf(buf, sizeof buf, "line%d", lineno);
        cJSON *o = cJSON_Parse(s);
        const cJSON *id = o ? cJSON_GetObjectItemCaseSensitive(o, "id") : NULL;
        if (cJSON_IsString(id)) it->id = ut_strdup(id->valuestring);
        else if (cJSON_IsNumber(id)) snprintf(buf, sizeof buf, "%.17g", id->valuedouble), it->id = ut_strdup(buf);
        else it->id = ut_strdup(buf);
        if (!cJSON_IsObject(o)) {
            char msg[160];
            snprintf(msg, sizeof msg, "%s line %d: not a JSON object", path, lineno);
            it->bad = ut_strdup(msg);
        } else {
            it->gt = ev_field(o, "gt", &it->gt_text);
            it->pred = ev_field(o, "pred", &it->pred_text);
            if (!it->gt) {
                char msg[160];
                snprintf(msg, sizeof msg, "%s line %d: no \"gt\" string", path, lineno);
                it->bad = ut_strdup(msg);
            }
        }
        cJSON_Delete(o);
    }
    free(text);
    if (*n == 0) return ut_fail("%s holds no items", path);
    return 0;
}

/* ---- report ---- */

/* v printed with %.4g (g = 1) or %.4f (g = 0), "-" when not finite; a ring of buffers, so a
 * printf may take several */
static const char *ev_f(double v, int g) {
    static char ring[16][32];
    static int next;
    char *b = ring[next++ % 16];
    if (!isfinite(v)) return "-";
    snprintf(b, 32, g ? "%.4g" : "%.4f", v);
    return b;
}

typedef struct {
    const char *key, *label, *protocol;
    double scale;
    size_t off; /* offset of the double in ev_result */
} ev_metric;

static int ev_metrics_table(const ev_opts *o, ev_metric *m) {
    const char *cdname = mt_protocol_name(o->protocol);
    int k = 0;
    m[k++] = (ev_metric){"cd", mt_protocol_cd_scale(o->protocol) > 1 ? "Chamfer distance x1000" : "Chamfer distance",
                         cdname, mt_protocol_cd_scale(o->protocol), offsetof(ev_result, cd)};
    m[k++] = (ev_metric){"iou", "volume IoU (exact)", cdname, 1, offsetof(ev_result, iou)};
    m[k++] = (ev_metric){"iou_best_exact", "IoU_best, exact volumes", "inertia-aligned, 4 proper rotations", 1,
                         offsetof(ev_result, best_exact)};
    if (o->voxel)
        m[k++] = (ev_metric){"iou_best_voxel", "IoU_best, voxels", "inertia-aligned, 4 proper rotations, pitch r_g/20",
                             1, offsetof(ev_result, best_voxel)};
    if (o->visual)
        m[k++] = (ev_metric){"visual", "visual similarity", "normal+depth renders, 4 views", 1,
                             offsetof(ev_result, visual)};
    return k;
}

static double ev_get(const ev_result *r, const ev_metric *m) { return *(const double *)((const char *)r + m->off) * m->scale; }

static cJSON *ev_stats_json(const mt_stats *s) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "n", s->n);
    const char *names[] = {"mean", "median", "min", "max", "p25", "p75", "p90", "p95"};
    double v[] = {s->mean, s->median, s->min, s->max, s->p25, s->p75, s->p90, s->p95};
    for (int i = 0; i < 8; i++) {
        if (isfinite(v[i])) cJSON_AddNumberToObject(j, names[i], v[i]);
        else cJSON_AddNullToObject(j, names[i]);
    }
    return j;
}

/* adds a number, or null when it is not finite */
static void ev_num(cJSON *o, const char *key, double v) {
    if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
    else cJSON_AddNullToObject(o, key);
}

typedef struct {
    int items, gt_bad, invalid, valid;
    double ir, floor, pf1, pf1_type[3];
    int floor_items;
} ev_summary;

/* histogram of log10(CD) over the valid items: 24 bins between the extremes; the bin edges are
 * listed in report.md */
static int ev_histogram(const double *v, int n, const char *path, double *lo_out, double *hi_out) {
    enum { NB = 24 };
    double lo = INFINITY, hi = -INFINITY;
    double *lg = ut_malloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        lg[i] = v[i] > 0 && isfinite(v[i]) ? log10(v[i]) : NAN;
        if (isfinite(lg[i])) lo = fmin(lo, lg[i]), hi = fmax(hi, lg[i]);
    }
    if (!(lo <= hi)) lo = -1, hi = 0;
    if (hi - lo < 1e-9) lo -= 0.5, hi += 0.5;
    *lo_out = lo, *hi_out = hi;
    plot_opts o = {"Chamfer distance of the valid items", "log10 CD", "items", 640, 360};
    int rc = plot_histogram(path, &o, lg, n, NB, lo, hi);
    free(lg);
    return rc;
}

/* per hierarchy level of the ground truth: items, invalid, IR, median CD and IoU_best */
static void ev_levels(const ev_opts *o, const ev_result *res, int n, FILE *f, cJSON *root) {
    cJSON *lv = cJSON_AddObjectToObject(root, "per_level");
    double *cd = ut_malloc(((size_t)n + 1) * sizeof *cd), *ib = ut_malloc(((size_t)n + 1) * sizeof *ib);
    fprintf(f, "\nPer hierarchy level of the ground truth (L, F, S, SE, MSE; docs/levels.md):\n\n"
               "| level | items | invalid | IR %% | median CD%s (%s) | median IoU_best exact |\n|---|---|---|---|---|---|\n",
            mt_protocol_cd_scale(o->protocol) > 1 ? " x1000" : "", mt_protocol_name(o->protocol));
    for (int l = LV_NONE; l <= LV_MSE; l++) {
        int items = 0, bad = 0, nv = 0;
        for (int i = 0; i < n; i++) {
            if (!res[i].gt_ok || res[i].level != (lv_level)l) continue;
            items++;
            if (!res[i].valid) {
                bad++;
                continue;
            }
            cd[nv] = res[i].cd * mt_protocol_cd_scale(o->protocol);
            ib[nv++] = res[i].best_exact;
        }
        if (!items) continue;
        mt_stats a, b;
        mt_stats_of(cd, nv, &a);
        mt_stats_of(ib, nv, &b);
        cJSON *j = cJSON_AddObjectToObject(lv, lv_name((lv_level)l));
        cJSON_AddNumberToObject(j, "items", items);
        cJSON_AddNumberToObject(j, "invalid", bad);
        cJSON_AddNumberToObject(j, "invalidity_ratio_percent", mt_invalidity_ratio(bad, items));
        ev_num(j, "cd_median", a.median);
        ev_num(j, "iou_best_exact_median", b.median);
        fprintf(f, "| %s | %d | %d | %.2f | %s | %s |\n", lv_name((lv_level)l), items, bad,
                mt_invalidity_ratio(bad, items), ev_f(a.median, 1), ev_f(b.median, 0));
    }
    free(cd), free(ib);
}

static int ev_write_reports(const ev_opts *o, const ev_item *items, const ev_result *res, int n, const ev_summary *s,
                            cJSON **summary_out) {
    if (ut_mkdirs(o->out) != 0) return -1;
    ev_metric mt[8];
    int nm = ev_metrics_table(o, mt);
    double *v = ut_malloc(((size_t)n + 1) * sizeof *v);
    cJSON *root = cJSON_CreateObject(), *met = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "protocol", mt_protocol_name(o->protocol));
    cJSON_AddNumberToObject(root, "points", o->points);
    cJSON_AddNumberToObject(root, "seed", (double)o->seed);
    cJSON_AddNumberToObject(root, "items", s->items);
    cJSON_AddNumberToObject(root, "ground_truth_invalid", s->gt_bad);
    cJSON_AddNumberToObject(root, "invalid", s->invalid);
    cJSON_AddNumberToObject(root, "valid", s->valid);
    cJSON_AddNumberToObject(root, "invalidity_ratio_percent", s->ir);
    cJSON *fl = cJSON_AddObjectToObject(root, "cd_noise_floor");
    ev_num(fl, "value", s->floor * mt_protocol_cd_scale(o->protocol));
    cJSON_AddNumberToObject(fl, "ground_truths", s->floor_items);
    cJSON_AddStringToObject(fl, "how", "CD of a ground truth with itself, independent sampling streams");
    cJSON_AddItemToObject(root, "metrics", met);
    ut_atomic md;
    char path[1200];
    snprintf(path, sizeof path, "%s/report.md", o->out);
    if (ut_atomic_open(&md, path) != 0) {
        cJSON_Delete(root);
        free(v);
        return -1;
    }
    FILE *f = md.f;
    fprintf(f, "# recad eval report\n\n");
    fprintf(f, "- protocol: `%s` (%d points per cloud, seed %ld)\n", mt_protocol_name(o->protocol), o->points, o->seed);
    fprintf(f, "- items: %d; invalid predictions: %d; invalidity ratio: **%.2f%%** (denominator: all %d items)\n",
            s->items - s->gt_bad, s->invalid, s->ir, s->items - s->gt_bad);
    if (s->gt_bad) fprintf(f, "- items left out because their ground truth could not be built: %d\n", s->gt_bad);
    fprintf(f, "- Chamfer noise floor (`%s`, each ground truth against itself with independent sampling streams, "
               "mean of %d): %s\n",
            mt_protocol_name(o->protocol), s->floor_items, ev_f(s->floor * mt_protocol_cd_scale(o->protocol), 1));
    fprintf(f, "\nStatistics over the %d valid predictions:\n\n", s->valid);
    fprintf(f, "| metric | protocol | n | median | mean | p25 | p75 | p90 | min | max |\n");
    fprintf(f, "|---|---|---|---|---|---|---|---|---|---|\n");
    for (int k = 0; k < nm; k++) {
        int c = 0;
        for (int i = 0; i < n; i++)
            if (res[i].valid) v[c++] = ev_get(&res[i], &mt[k]);
        mt_stats st;
        mt_stats_of(v, c, &st);
        cJSON *j = ev_stats_json(&st);
        cJSON_AddStringToObject(j, "protocol", mt[k].protocol);
        cJSON_AddStringToObject(j, "label", mt[k].label);
        cJSON_AddItemToObject(met, mt[k].key, j);
        fprintf(f, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", mt[k].label, mt[k].protocol, st.n,
                ev_f(st.median, 1), ev_f(st.mean, 1), ev_f(st.p25, 1), ev_f(st.p75, 1), ev_f(st.p90, 1),
                ev_f(st.min, 1), ev_f(st.max, 1));
    }
    cJSON *pf = cJSON_AddObjectToObject(met, "pf1");
    ev_num(pf, "value", s->pf1);
    ev_num(pf, "line", s->pf1_type[0]);
    ev_num(pf, "arc", s->pf1_type[1]);
    ev_num(pf, "circle", s->pf1_type[2]);
    cJSON_AddStringToObject(pf, "protocol", "Text2CAD P-F1, continuous sketch coordinates, valid predictions");
    fprintf(f, "\nP-F1 (Text2CAD's definition, continuous sketch coordinates, valid predictions): **%s** "
               "(line %s, arc %s, circle %s; a type's F1 is averaged over the items whose ground truth has it)\n",
            ev_f(s->pf1, 0), ev_f(s->pf1_type[0], 0), ev_f(s->pf1_type[1], 0), ev_f(s->pf1_type[2], 0));
    ev_levels(o, res, n, f, root);
    /* histogram */
    int c = 0;
    for (int i = 0; i < n; i++)
        if (res[i].valid && isfinite(res[i].cd)) v[c++] = res[i].cd * mt_protocol_cd_scale(o->protocol);
    double hlo, hhi;
    snprintf(path, sizeof path, "%s/cd_hist.png", o->out);
    int rc = ev_histogram(v, c, path, &hlo, &hhi);
    fprintf(f, "\n![CD histogram](cd_hist.png)\n\nHistogram of log10(CD%s) over the valid items: 24 equal bins "
               "from %.3f to %.3f (CD %.4g to %.4g).\n",
            mt_protocol_cd_scale(o->protocol) > 1 ? " x1000" : "", hlo, hhi, pow(10, hlo), pow(10, hhi));
    /* per item */
    fprintf(f, "\n## Items\n\n| id | valid | CD | IoU | IoU_best exact | IoU_best voxel | visual | note |\n"
               "|---|---|---|---|---|---|---|---|\n");
    cJSON *arr = cJSON_AddArrayToObject(root, "items_detail");
    for (int i = 0; i < n; i++) {
        const ev_result *r = &res[i];
        cJSON *it = cJSON_CreateObject();
        cJSON_AddStringToObject(it, "id", items[i].id);
        cJSON_AddBoolToObject(it, "ground_truth_ok", r->gt_ok);
        cJSON_AddBoolToObject(it, "valid", r->valid);
        if (r->gt_ok) cJSON_AddStringToObject(it, "level", lv_name(r->level));
        if (r->reason[0]) cJSON_AddStringToObject(it, "reason", r->reason);
        for (int k = 0; k < nm; k++) ev_num(it, mt[k].key, ev_get(r, &mt[k]));
        if (r->valid) {
            cJSON *p = cJSON_AddObjectToObject(it, "pf1_f1");
            static const char *tn[] = {"line", "arc", "circle"};
            for (int t = 0; t < 3; t++)
                if (r->pf1.gt_has[t]) cJSON_AddNumberToObject(p, tn[t], mt_pf1_f1(&r->pf1, t));
        }
        cJSON_AddNumberToObject(it, "seconds", r->secs);
        cJSON_AddItemToArray(arr, it);
        char note[120];
        snprintf(note, sizeof note, "%.100s", r->reason);
        for (char *q = note; *q; q++)
            if (*q == '|' || *q == '\n') *q = ' ';
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", items[i].id, r->valid ? "yes" : "no",
                ev_f(r->cd * mt_protocol_cd_scale(o->protocol), 1), ev_f(r->iou, 0), ev_f(r->best_exact, 0),
                ev_f(r->best_voxel, 0), ev_f(r->visual, 0), note);
    }
    free(v);
    if (rc != 0 || ut_atomic_commit(&md) != 0) {
        if (rc == 0) rc = -1;
        cJSON_Delete(root);
        return rc;
    }
    char *js = cJSON_Print(root);
    snprintf(path, sizeof path, "%s/report.json", o->out);
    rc = ut_write_atomic(path, js, strlen(js));
    free(js);
    if (summary_out) {
        cJSON_DeleteItemFromObject(root, "items_detail");
        *summary_out = root;
    } else {
        cJSON_Delete(root);
    }
    return rc;
}

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

CLI_COMMAND(cmd_eval, EV_CMD, "score predicted parts against ground truth (CD, IoU, IoU_best, P-F1, IR)") {
    ev_opts o = {MT_TEXT2CAD, 0, 5, 1, 1, 0, 0, 0, 0, 0, 0.05, "eval_report"};
    const char *pairs = NULL;
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
            if (mt_protocol_parse(optarg, &o.protocol) != 0) return cli_error(CLI_USAGE, EV_CMD, "%s", ut_error());
            break;
        case 'n':
            if (cli_parse_long(EV_CMD, "--points", optarg, &lv) != 0) return CLI_USAGE;
            if (lv < 1 || lv > 10000000) return cli_error(CLI_USAGE, EV_CMD, "--points must be 1..10000000");
            o.points = (int)lv;
            break;
        case 's':
            if (cli_parse_long(EV_CMD, "--seed", optarg, &o.seed) != 0) return CLI_USAGE;
            break;
        case 'f':
            if (cli_parse_long(EV_CMD, "--floor", optarg, &lv) != 0) return CLI_USAGE;
            if (lv < 0 || lv > 1000) return cli_error(CLI_USAGE, EV_CMD, "--floor must be 0..1000");
            o.floor_items = (int)lv;
            break;
        case 'v':
            if (cli_parse_double(EV_CMD, "--pitch", optarg, &o.pitch) != 0) return CLI_USAGE;
            if (!(o.pitch >= 0.005 && o.pitch <= 1)) return cli_error(CLI_USAGE, EV_CMD, "--pitch must be 0.005..1");
            break;
        case 't':
            if (cli_parse_long(EV_CMD, "--threads", optarg, &lv) != 0) return CLI_USAGE;
            if (lv < 1 || lv > 1024) return cli_error(CLI_USAGE, EV_CMD, "--threads must be 1..1024");
            o.threads = (int)lv;
            break;
        case 'o': o.out = optarg; break;
        case 'P': pairs = optarg; break;
        case 'r': o.refine = 1; break;
        case 'X': o.voxel = 0; break;
        case 'V': o.visual = 0; break;
        case 'j': o.json = 1; break;
        case 'q': o.quiet = 1; break;
        case 'h': ev_usage(stdout); return CLI_OK;
        default: ev_usage(stderr); return CLI_USAGE;
        }
    }
    if (o.points == 0) o.points = mt_protocol_points(o.protocol);
    int npos = argc - optind;
    if ((pairs && npos != 0) || (!pairs && npos != 2)) {
        ev_usage(stderr);
        return CLI_USAGE;
    }
    ev_item *items = NULL;
    int n = 0;
    int rc = pairs ? ev_items_from_jsonl(pairs, &items, &n) : ev_items_from_dirs(argv[optind], argv[optind + 1], &items, &n);
    if (rc != 0) {
        for (int i = 0; i < n; i++) free(items[i].id), free(items[i].gt), free(items[i].pred), free(items[i].bad);
        free(items);
        return cli_error(CLI_IO, EV_CMD, "%s", ut_error());
    }
    if (ut_mkdirs(o.out) != 0) return cli_error(CLI_IO, EV_CMD, "cannot create %s: %s", o.out, ut_error());
    char tmpdir[1100];
    snprintf(tmpdir, sizeof tmpdir, "%s/.tmp", o.out);
    if (ut_mkdirs(tmpdir) != 0) return cli_error(CLI_IO, EV_CMD, "cannot create %s: %s", tmpdir, ut_error());
    ev_result *res = ut_calloc((size_t)n, sizeof *res);
    ut_progress pb;
    ut_progress_start(&pb, "eval", n);
    pb.quiet = o.quiet;
    ev_summary s = {0};
    mt_pf1_acc acc = {{0}, {0}};
    if (o.threads > 0) omp_set_num_threads(o.threads);
    long done = 0;
    /* items in parallel (each item's own work then runs on its thread alone) */
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < n; i++) {
        ev_run_item(&o, &items[i], i, tmpdir, &res[i]);
#pragma omp critical(ev_progress)
        ut_progress_update(&pb, ++done);
    }
    ut_progress_finish(&pb);
    for (int i = 0; i < n; i++) {
        if (!res[i].gt_ok) s.gt_bad++;
        else if (!res[i].valid) s.invalid++;
        else s.valid++, mt_pf1_add(&acc, &res[i].pf1);
    }
    s.items = n;
    s.ir = mt_invalidity_ratio(s.invalid, n - s.gt_bad);
    s.pf1 = mt_pf1_value(&acc, s.pf1_type);
    s.floor = o.floor_items ? ev_noise_floor(&o, items, res, n, tmpdir, &s.floor_items) : NAN;
    remove(tmpdir);
    cJSON *summary = NULL;
    rc = ev_write_reports(&o, items, res, n, &s, o.json ? &summary : NULL);
    if (rc != 0) {
        cJSON_Delete(summary);
        rc = cli_error(CLI_IO, EV_CMD, "writing the report in %s: %s", o.out, ut_error());
    } else if (o.json) {
        char *js = cJSON_PrintUnformatted(summary);
        printf("%s\n", js);
        free(js);
        cJSON_Delete(summary);
    } else {
        printf("%d items (%d ground truths left out), %d invalid: IR %.2f%%; report in %s/report.md\n", n, s.gt_bad,
               s.invalid, s.ir, o.out);
    }
    for (int i = 0; i < n; i++) free(items[i].id), free(items[i].gt), free(items[i].pred), free(items[i].bad);
    free(items);
    free(res);
    if (rc == 0 && s.gt_bad == n)
        return cli_error(CLI_INVALID, EV_CMD, "no ground truth could be built");
    return rc;
}
