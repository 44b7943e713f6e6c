/* cadreward.c - the GRPO reward of a generated answer (see cadreward.h). */
#include "infer/cadreward.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "eval/score.h"
#include "geom/solid.h"
#include "ml/chat.h"

struct cr_set {
    cr_opts o;
    int n;
    sc_target **t;     /* (n); NULL where the reference gives no solid */
    double (*size)[3]; /* (n) reference bbox extents */
    atomic_long scored, stopped; /* answers scored; stopped by their budget */
};

void cr_default_opts(cr_opts *o) {
    memset(o, 0, sizeof *o);
    o->l1 = 0.9;
    o->l2 = 0.1;
    o->tau = 0.55;
    o->max_geom_work = 30000000;
}

double cr_phi(double s, double tau) {
    if (!(s >= tau)) return 0; /* NaN too */
    if (s >= 1) return 1;
    return (s - tau) / (1 - tau);
}

double cr_format(const char *a) {
    while (*a == ' ' || *a == '\n' || *a == '\r' || *a == '\t') a++;
    if (strncmp(a, "<think>", 7)) return 0;
    const char *end = strstr(a + 7, "</think>");
    if (!end || strstr(end + 8, "<think>")) return 0;
    int plan = 0, code = 0;
    for (const char *p = a + 7; p < end && !plan; p++) plan = !strchr(" \n\r\t", *p);
    for (const char *p = end + 8; *p && !code; p++) code = !strchr(" \n\r\t", *p);
    return plan && code;
}

double cr_size_agreement(const double a[3], const double b[3]) {
    double x[3] = {a[0], a[1], a[2]}, y[3] = {b[0], b[1], b[2]};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++) {
            if (x[j] > x[i]) { double t = x[i]; x[i] = x[j]; x[j] = t; }
            if (y[j] > y[i]) { double t = y[i]; y[i] = y[j]; y[j] = t; }
        }
    double s = 1;
    for (int i = 0; i < 3; i++) {
        double lo = fmin(x[i], y[i]), hi = fmax(x[i], y[i]);
        if (!(hi > 0)) continue; /* both flat along this axis */
        s *= lo > 0 ? lo / hi : 0;
    }
    return s;
}

static void cr_score_opts(const cr_opts *o, sc_opts *so) {
    sc_default_opts(so);
    so->metrics = SC_BEST_EXACT | (o->l1 > 0 && o->tau > 0 ? SC_VISUAL : 0);
    so->max_instructions = o->max_instructions;
    so->max_seconds = o->max_seconds;
}

cr_set *cr_new(const char *const *ref, int n, const cr_opts *o) {
    cr_set *s = ut_calloc(1, sizeof *s);
    s->o = *o;
    s->n = n;
    s->t = ut_calloc((size_t)(n ? n : 1), sizeof *s->t);
    s->size = ut_calloc((size_t)(n ? n : 1), sizeof *s->size);
    sc_opts so;
    cr_score_opts(o, &so);
    int built = 0;
#pragma omp parallel for schedule(dynamic) reduction(+ : built)
    for (int i = 0; i < n; i++) {
        s->t[i] = sc_target_text(chat_program(ref[i]), "reference", &so, NULL);
        double lo[3], hi[3];
        if (s->t[i] && sd_bbox(sc_target_solid(s->t[i]), lo, hi) == 0) {
            for (int k = 0; k < 3; k++) s->size[i][k] = hi[k] - lo[k];
            built++;
        } else if (s->t[i]) {
            sc_target_free(s->t[i]);
            s->t[i] = NULL;
        }
    }
    if (!built) {
        ut_fail("none of the %d reference programs gives a solid", n);
        cr_free(s);
        return NULL;
    }
    return s;
}

void cr_free(cr_set *s) {
    if (!s) return;
    for (int i = 0; i < s->n; i++) sc_target_free(s->t[i]);
    free(s->t);
    free(s->size);
    free(s);
}

int cr_target_ok(const cr_set *s, int prompt) { return prompt >= 0 && prompt < s->n && s->t[prompt]; }

void cr_counts(const cr_set *s, long *scored, long *stopped) {
    *scored = atomic_load((atomic_long *)&s->scored);
    *stopped = atomic_load((atomic_long *)&s->stopped);
}

/* the geometry part of one program: *valid, *g (G or G'), *iou */
static void cr_geometry(cr_set *s, int prompt, const char *program, int *valid, double *g, double *iou) {
    sc_result r;
    *valid = 0, *g = 0, *iou = NAN;
    sc_opts so = *sc_target_opts(s->t[prompt]);
    so.max_geom_work = s->o.max_geom_work; /* the target was prepared under the scoring default */
    sc_score_text(s->t[prompt], program, "answer", &so, &r);
    atomic_fetch_add(&s->scored, 1);
    if (r.status == SC_E_BUDGET) atomic_fetch_add(&s->stopped, 1);
    if (!r.valid) return;
    double vis = s->o.tau > 0 ? r.visual : 1;
    *iou = isfinite(r.best_exact) ? r.best_exact : 0;
    *g = fmin(*iou, cr_phi(vis, s->o.tau));
    if (s->o.size_weight > 0) *g = (1 - s->o.size_weight) * *g + s->o.size_weight * cr_size_agreement(r.size, s->size[prompt]);
    *valid = 1;
}

int cr_fn(void *ctx, int prompt, const char *const *texts, int n, rw_score *out) {
    cr_set *s = ctx;
    if (prompt < 0 || prompt >= s->n) return ut_fail("reward: no prompt %d (the set has %d)", prompt, s->n);
    if (n <= 0) return 0;
    /* a sharp policy repeats itself: identical programs are scored once (scoring is deterministic,
     * so this changes no reward); first[i] = the first completion with i's program */
    int *first = ut_malloc(sizeof(int) * (size_t)n), *valid = ut_calloc((size_t)n, sizeof(int));
    double *g = ut_calloc((size_t)n, sizeof(double)), *iou = ut_calloc((size_t)n, sizeof(double));
    for (int i = 0; i < n; i++) {
        first[i] = i;
        for (int j = 0; j < i; j++)
            if (first[j] == j && !strcmp(chat_program(texts[j]), chat_program(texts[i]))) {
                first[i] = j;
                break;
            }
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < n; i++)
        if (first[i] == i && s->t[prompt]) cr_geometry(s, prompt, chat_program(texts[i]), &valid[i], &g[i], &iou[i]);
    for (int i = 0; i < n; i++) {
        int k = first[i];
        out[i] = valid[k] ? (rw_score){s->o.l1 * g[k] + s->o.l2 * cr_format(texts[i]), 1, iou[k]} : (rw_score){0, 0, NAN};
    }
    free(first);
    free(valid);
    free(g);
    free(iou);
    return 0;
}
