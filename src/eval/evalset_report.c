/* evalset_report.c - the reports of an evaluation set (see evalset.h): report.json (summary,
 * per-metric statistics, per-level breakdown, every item), report.md (the same as tables) and
 * cd_hist.png (histogram of log10 CD over the valid items). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/plot.h"
#include "base/util.h"
#include "eval/evalset.h"

static int es_points(const es_opts *o) {
    return o->score.points > 0 ? o->score.points : mt_protocol_points(o->score.protocol);
}

/* v printed with %.4g (g = 1) or %.4f (g = 0), "-" when not finite; a ring of buffers, so a
 * printf may take several */
static const char *es_f(double v, int g) {
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
    size_t off; /* offset of the double in es_result */
} es_metric;

static int es_metrics_table(const es_opts *o, es_metric *m) {
    const char *cdname = mt_protocol_name(o->score.protocol);
    int k = 0;
    m[k++] = (es_metric){"cd", mt_protocol_cd_scale(o->score.protocol) > 1 ? "Chamfer distance x1000" : "Chamfer distance",
                         cdname, mt_protocol_cd_scale(o->score.protocol), offsetof(es_result, s.cd)};
    m[k++] = (es_metric){"iou", "volume IoU (exact)", cdname, 1, offsetof(es_result, s.iou)};
    m[k++] = (es_metric){"iou_best_exact", "IoU_best, exact volumes", "inertia-aligned, 4 proper rotations", 1,
                         offsetof(es_result, s.best_exact)};
    if ((o->score.metrics & SC_BEST_VOXEL))
        m[k++] = (es_metric){"iou_best_voxel", "IoU_best, voxels", "inertia-aligned, 4 proper rotations, pitch r_g/20",
                             1, offsetof(es_result, s.best_voxel)};
    if ((o->score.metrics & SC_VISUAL))
        m[k++] = (es_metric){"visual", "visual similarity", "normal+depth renders, 4 views", 1,
                             offsetof(es_result, s.visual)};
    return k;
}

static double es_get(const es_result *r, const es_metric *m) { return *(const double *)((const char *)r + m->off) * m->scale; }

static cJSON *es_stats_json(const mt_stats *s) {
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
static void es_num(cJSON *o, const char *key, double v) {
    if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
    else cJSON_AddNullToObject(o, key);
}

/* histogram of log10(CD) over the valid items: 24 bins between the extremes; the bin edges are
 * listed in report.md */
static int es_histogram(const double *v, int n, const char *path, double *lo_out, double *hi_out) {
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
static void es_levels(const es_opts *o, const es_result *res, int n, FILE *f, cJSON *root) {
    cJSON *lv = cJSON_AddObjectToObject(root, "per_level");
    double *cd = ut_malloc(((size_t)n + 1) * sizeof *cd), *ib = ut_malloc(((size_t)n + 1) * sizeof *ib);
    fprintf(f, "\nPer hierarchy level of the ground truth (L, F, S, SE, MSE; docs/levels.md):\n\n"
               "| level | items | invalid | IR %% | median CD%s (%s) | median IoU_best exact |\n|---|---|---|---|---|---|\n",
            mt_protocol_cd_scale(o->score.protocol) > 1 ? " x1000" : "", mt_protocol_name(o->score.protocol));
    for (int l = LV_NONE; l <= LV_MSE; l++) {
        int items = 0, bad = 0, nv = 0;
        for (int i = 0; i < n; i++) {
            if (!res[i].gt_ok || res[i].level != (lv_level)l) continue;
            items++;
            if (!res[i].s.valid) {
                bad++;
                continue;
            }
            cd[nv] = res[i].s.cd * mt_protocol_cd_scale(o->score.protocol);
            ib[nv++] = res[i].s.best_exact;
        }
        if (!items) continue;
        mt_stats a, b;
        mt_stats_of(cd, nv, &a);
        mt_stats_of(ib, nv, &b);
        cJSON *j = cJSON_AddObjectToObject(lv, lv_name((lv_level)l));
        cJSON_AddNumberToObject(j, "items", items);
        cJSON_AddNumberToObject(j, "invalid", bad);
        cJSON_AddNumberToObject(j, "invalidity_ratio_percent", mt_invalidity_ratio(bad, items));
        es_num(j, "cd_median", a.median);
        es_num(j, "iou_best_exact_median", b.median);
        fprintf(f, "| %s | %d | %d | %.2f | %s | %s |\n", lv_name((lv_level)l), items, bad,
                mt_invalidity_ratio(bad, items), es_f(a.median, 1), es_f(b.median, 0));
    }
    free(cd), free(ib);
}

int es_write_reports(const es_opts *o, const es_set *set, const es_result *res, const es_summary *s,
                     cJSON **summary_out) {
    int n = set->n;
    if (ut_mkdirs(o->out) != 0) return -1;
    es_metric mt[8];
    int nm = es_metrics_table(o, mt);
    double *v = ut_malloc(((size_t)n + 1) * sizeof *v);
    cJSON *root = cJSON_CreateObject(), *met = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "protocol", mt_protocol_name(o->score.protocol));
    cJSON_AddNumberToObject(root, "points", es_points(o));
    cJSON_AddNumberToObject(root, "seed", (double)o->seed);
    cJSON_AddNumberToObject(root, "items", s->items);
    cJSON_AddNumberToObject(root, "ground_truth_invalid", s->gt_bad);
    cJSON_AddNumberToObject(root, "invalid", s->invalid);
    cJSON_AddNumberToObject(root, "valid", s->valid);
    cJSON_AddNumberToObject(root, "invalidity_ratio_percent", s->ir);
    cJSON *fl = cJSON_AddObjectToObject(root, "cd_noise_floor");
    es_num(fl, "value", s->floor * mt_protocol_cd_scale(o->score.protocol));
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
    fprintf(f, "- protocol: `%s` (%d points per cloud, seed %ld)\n", mt_protocol_name(o->score.protocol), es_points(o), o->seed);
    fprintf(f, "- items: %d; invalid predictions: %d; invalidity ratio: **%.2f%%** (denominator: all %d items)\n",
            s->items - s->gt_bad, s->invalid, s->ir, s->items - s->gt_bad);
    if (s->gt_bad) fprintf(f, "- items left out because their ground truth could not be built: %d\n", s->gt_bad);
    fprintf(f, "- Chamfer noise floor (`%s`, each ground truth against itself with independent sampling streams, "
               "mean of %d): %s\n",
            mt_protocol_name(o->score.protocol), s->floor_items, es_f(s->floor * mt_protocol_cd_scale(o->score.protocol), 1));
    fprintf(f, "\nStatistics over the %d valid predictions:\n\n", s->valid);
    fprintf(f, "| metric | protocol | n | median | mean | p25 | p75 | p90 | min | max |\n");
    fprintf(f, "|---|---|---|---|---|---|---|---|---|---|\n");
    for (int k = 0; k < nm; k++) {
        int c = 0;
        for (int i = 0; i < n; i++)
            if (res[i].s.valid) v[c++] = es_get(&res[i], &mt[k]);
        mt_stats st;
        mt_stats_of(v, c, &st);
        cJSON *j = es_stats_json(&st);
        cJSON_AddStringToObject(j, "protocol", mt[k].protocol);
        cJSON_AddStringToObject(j, "label", mt[k].label);
        cJSON_AddItemToObject(met, mt[k].key, j);
        fprintf(f, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", mt[k].label, mt[k].protocol, st.n,
                es_f(st.median, 1), es_f(st.mean, 1), es_f(st.p25, 1), es_f(st.p75, 1), es_f(st.p90, 1),
                es_f(st.min, 1), es_f(st.max, 1));
    }
    cJSON *pf = cJSON_AddObjectToObject(met, "pf1");
    es_num(pf, "value", s->pf1);
    es_num(pf, "line", s->pf1_type[0]);
    es_num(pf, "arc", s->pf1_type[1]);
    es_num(pf, "circle", s->pf1_type[2]);
    cJSON_AddStringToObject(pf, "protocol", "Text2CAD P-F1, continuous sketch coordinates, valid predictions");
    fprintf(f, "\nP-F1 (Text2CAD's definition, continuous sketch coordinates, valid predictions): **%s** "
               "(line %s, arc %s, circle %s; a type's F1 is averaged over the items whose ground truth has it)\n",
            es_f(s->pf1, 0), es_f(s->pf1_type[0], 0), es_f(s->pf1_type[1], 0), es_f(s->pf1_type[2], 0));
    es_levels(o, res, n, f, root);
    /* histogram */
    int c = 0;
    for (int i = 0; i < n; i++)
        if (res[i].s.valid && isfinite(res[i].s.cd)) v[c++] = res[i].s.cd * mt_protocol_cd_scale(o->score.protocol);
    double hlo, hhi;
    snprintf(path, sizeof path, "%s/cd_hist.png", o->out);
    int rc = es_histogram(v, c, path, &hlo, &hhi);
    fprintf(f, "\n![CD histogram](cd_hist.png)\n\nHistogram of log10(CD%s) over the valid items: 24 equal bins "
               "from %.3f to %.3f (CD %.4g to %.4g).\n",
            mt_protocol_cd_scale(o->score.protocol) > 1 ? " x1000" : "", hlo, hhi, pow(10, hlo), pow(10, hhi));
    /* per item */
    fprintf(f, "\n## Items\n\n| id | valid | CD | IoU | IoU_best exact | IoU_best voxel | visual | note |\n"
               "|---|---|---|---|---|---|---|---|\n");
    cJSON *arr = cJSON_AddArrayToObject(root, "items_detail");
    for (int i = 0; i < n; i++) {
        const es_result *r = &res[i];
        cJSON *it = cJSON_CreateObject();
        cJSON_AddStringToObject(it, "id", set->items[i].id);
        cJSON_AddBoolToObject(it, "ground_truth_ok", r->gt_ok);
        cJSON_AddBoolToObject(it, "valid", r->s.valid);
        if (r->gt_ok) cJSON_AddStringToObject(it, "level", lv_name(r->level));
        if (r->s.reason[0]) cJSON_AddStringToObject(it, "reason", r->s.reason);
        for (int k = 0; k < nm; k++) es_num(it, mt[k].key, es_get(r, &mt[k]));
        if (r->s.valid) {
            cJSON *p = cJSON_AddObjectToObject(it, "pf1_f1");
            static const char *tn[] = {"line", "arc", "circle"};
            for (int t = 0; t < 3; t++)
                if (r->s.pf1.gt_has[t]) cJSON_AddNumberToObject(p, tn[t], mt_pf1_f1(&r->s.pf1, t));
        }
        cJSON_AddNumberToObject(it, "seconds", r->s.secs);
        cJSON_AddItemToArray(arr, it);
        char note[120];
        snprintf(note, sizeof note, "%.100s", r->s.reason);
        for (char *q = note; *q; q++)
            if (*q == '|' || *q == '\n') *q = ' ';
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", set->items[i].id, r->s.valid ? "yes" : "no",
                es_f(r->s.cd * mt_protocol_cd_scale(o->score.protocol), 1), es_f(r->s.iou, 0), es_f(r->s.best_exact, 0),
                es_f(r->s.best_voxel, 0), es_f(r->s.visual, 0), note);
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
