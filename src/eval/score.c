/* score.c - prepared targets and the scoring of predictions against them (see score.h). */
#include <ctype.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "cad/exec.h"
#include "data/import.h"
#include "eval/score.h"
#include "geom/solid.h"

struct sc_target {
    sc_opts opts;       /* as prepared, points resolved */
    cad_model model;
    sd_solid *solid;
    lv_level level;
    sd_solid *norm;     /* SC_IOU: the solid normalised by the protocol (NULL if that failed) */
    double norm_volume; /* its volume */
    int frame_ok;       /* SC_BEST_*: the inertia frame was computed */
    mt_frame frame;
    int cloud_ok;       /* SC_CD: the samples were taken */
    mt_cloud cloud;
    mt_views *views;    /* SC_VISUAL: the renders (NULL if not prepared or failed) */
};

static atomic_long sc_prepared;

void sc_default_opts(sc_opts *o) {
    memset(o, 0, sizeof *o);
    o->protocol = MT_TEXT2CAD;
    o->metrics = SC_ALL;
    o->pitch = 0.05;
}

const char *sc_status_name(sc_status s) {
    static const char *names[] = {"ok", "missing", "read", "syntax", "run", "budget", "import", "solid", "empty", "options"};
    return (unsigned)s < sizeof names / sizeof *names ? names[s] : "?";
}

void sc_result_init(sc_result *r) {
    memset(r, 0, sizeof *r);
    r->level = LV_NONE;
    r->cd = r->iou = r->best_exact = r->best_voxel = r->visual = NAN;
    r->size[0] = r->size[1] = r->size[2] = NAN;
}

/* ---- loading a model ---- */

int sc_is_json_text(const char *s) {
    while (isspace((unsigned char)*s)) s++;
    return *s == '{';
}

static void sc_limits(const sc_opts *o, ex_limits *lim) {
    ex_default_limits(lim);
    if (o->max_instructions > 0) lim->max_instructions = o->max_instructions;
    if (o->max_seconds > 0) lim->max_seconds = o->max_seconds;
    if (o->max_geom_seconds > 0) lim->geometry.max_seconds = o->max_geom_seconds;
    lim->geometry.max_work = o->max_geom_work > 0 ? o->max_geom_work : SC_DEFAULT_GEOM_WORK;
}

/* begins b, the geometry budget of one item (target or prediction), with o's limits */
static void sc_budget_begin(bg_budget *b, const sc_opts *o) {
    ex_limits lim;
    sc_limits(o, &lim);
    bg_begin(b, &lim.geometry);
}

static sc_status sc_of_outcome(ex_outcome e) {
    switch (e) {
    case EX_OK: return SC_OK;
    case EX_SYNTAX: return SC_E_SYNTAX;
    case EX_LIMIT: return SC_E_BUDGET;
    default: return SC_E_RUN;
    }
}

/* runs the program src[0..len) named chunk under o's limits; b begun when the program ends */
static sc_status sc_run(const char *src, size_t len, const char *chunk, const sc_opts *o, cad_model *m, bg_budget *b) {
    ex_limits lim;
    ex_stats st;
    sc_limits(o, &lim);
    st.outcome = EX_RUNTIME;
    return ex_run_budget(src, len, chunk, &lim, m, &st, b) == 0 ? SC_OK : sc_of_outcome(st.outcome);
}

/* JSON text, imported under b (begun here); name in messages */
static sc_status sc_import(const char *text, const char *name, const sc_opts *o, cad_model *m, bg_budget *b) {
    sc_budget_begin(b, o);
    if (im_parse(text, name, NULL, m, NULL) == 0) return SC_OK;
    return bg_exceeded() ? SC_E_BUDGET : SC_E_IMPORT;
}

/* the loaders: b is this thread's current budget when they return, whatever the outcome */
static sc_status sc_load_text(const char *text, const char *name, const sc_opts *o, cad_model *m, bg_budget *b) {
    if (!sc_is_json_text(text)) return sc_run(text, strlen(text), name, o, m, b);
    size_t n = strlen(name) + 16;
    char *jname = ut_malloc(n);
    snprintf(jname, n, "%s JSON text", name);
    sc_status st = sc_import(text, jname, o, m, b);
    free(jname);
    return st;
}

static sc_status sc_load_file(const char *path, const sc_opts *o, cad_model *m, bg_budget *b) {
    int json = !strcmp(ut_path_ext(path), ".json");
    size_t len;
    char *text = json ? im_read_json_file(path, &len) : ex_read_program(path, &len);
    if (!text) return sc_budget_begin(b, o), SC_E_READ;
    sc_status st = SC_E_IMPORT;
    if (!json) st = sc_run(text, len, path, o, m, b);
    else if (strlen(text) != len) sc_budget_begin(b, o), ut_fail("%s: malformed JSON (the file contains a NUL byte)", path);
    else st = sc_import(text, path, o, m, b);
    free(text);
    return st;
}

/* ---- targets ---- */

/* prepares the metrics' data of t (model in place) under the current budget b, which it ends; a
   part that fails leaves its metric NaN; the budget running out fails the whole target */
static sc_target *sc_prepare(sc_target *t, sc_status *st, bg_budget *b) {
    if (!(t->solid = sd_build(&t->model))) {
        bg_end(b);
        if (st) *st = SC_E_SOLID;
        sc_target_free(t);
        return NULL;
    }
    lv_info li;
    t->level = lv_classify(&t->model, &li);
    const sc_opts *o = &t->opts;
    if (o->metrics & SC_CD)
        t->cloud_ok = mt_cloud_build(t->solid, o->protocol, o->points, o->seed, &t->cloud) == 0;
    if (o->metrics & SC_IOU) {
        t->norm = mt_normalise_solid(t->solid, o->protocol);
        if (t->norm) t->norm_volume = sd_volume(t->norm);
    }
    if (o->metrics & (SC_BEST_EXACT | SC_BEST_VOXEL)) t->frame_ok = mt_frame_of(t->solid, &t->frame) == 0;
    if (o->metrics & SC_VISUAL) t->views = mt_views_render(&t->model, MT_VIS_SIZE);
    if (bg_exceeded()) {
        bg_fail("preparing the target");
        bg_end(b);
        if (st) *st = SC_E_BUDGET;
        sc_target_free(t);
        return NULL;
    }
    bg_end(b);
    if (st) *st = SC_OK;
    atomic_fetch_add(&sc_prepared, 1);
    return t;
}

static sc_target *sc_target_new(const sc_opts *o) {
    sc_target *t = ut_calloc(1, sizeof *t);
    if (o) t->opts = *o;
    else sc_default_opts(&t->opts);
    if (t->opts.points <= 0) t->opts.points = mt_protocol_points(t->opts.protocol);
    t->level = LV_NONE;
    cad_init(&t->model);
    return t;
}

/* a target from a load's outcome (b: the current budget, ended here) */
static sc_target *sc_target_loaded(sc_target *t, sc_status loaded, sc_status *st, bg_budget *b) {
    if (loaded == SC_OK) return sc_prepare(t, st, b);
    bg_end(b);
    if (st) *st = loaded;
    sc_target_free(t);
    return NULL;
}

sc_target *sc_target_text(const char *text, const char *name, const sc_opts *o, sc_status *st) {
    sc_target *t = sc_target_new(o);
    bg_budget b;
    return sc_target_loaded(t, sc_load_text(text, name ? name : "gt", &t->opts, &t->model, &b), st, &b);
}

sc_target *sc_target_file(const char *path, const sc_opts *o, sc_status *st) {
    sc_target *t = sc_target_new(o);
    bg_budget b;
    return sc_target_loaded(t, sc_load_file(path, &t->opts, &t->model, &b), st, &b);
}

sc_target *sc_target_model(const cad_model *m, const sc_opts *o, sc_status *st) {
    sc_target *t = sc_target_new(o);
    cad_free(&t->model);
    cad_copy(&t->model, m);
    bg_budget b;
    sc_budget_begin(&b, &t->opts);
    return sc_prepare(t, st, &b);
}

void sc_target_free(sc_target *t) {
    if (!t) return;
    cad_free(&t->model);
    sd_free(t->solid);
    sd_free(t->norm);
    mt_cloud_free(&t->cloud);
    mt_views_free(t->views);
    free(t);
}

const sc_opts *sc_target_opts(const sc_target *t) { return &t->opts; }
const cad_model *sc_target_cad(const sc_target *t) { return &t->model; }
const sd_solid *sc_target_solid(const sc_target *t) { return t->solid; }
lv_level sc_target_level(const sc_target *t) { return t->level; }
long sc_targets_prepared(void) { return atomic_load(&sc_prepared); }

int sc_target_self_cd(const sc_target *t, double *cd) {
    if (!t->cloud_ok) return ut_fail("the target has no surface samples (Chamfer not prepared, or an empty solid)");
    return mt_chamfer_cloud(&t->cloud, t->solid, t->opts.seed ^ SC_PRED_STREAM, cd);
}

/* ---- scoring ---- */

/* the options of a score: o checked against the target's (NULL: the target's) */
static const sc_opts *sc_score_opts(const sc_target *t, const sc_opts *o) {
    if (!o) return &t->opts;
    int points = o->points > 0 ? o->points : mt_protocol_points(o->protocol);
    if (o->protocol != t->opts.protocol || points != t->opts.points || o->seed != t->opts.seed)
        return ut_fail("score options: protocol, points and seed must be the target's (%s, %d, %llu)",
                       mt_protocol_name(t->opts.protocol), t->opts.points, (unsigned long long)t->opts.seed), NULL;
    if (o->metrics & ~t->opts.metrics) return ut_fail("score options: a metric the target was not prepared for"), NULL;
    return o;
}

static void sc_invalid(sc_result *r, sc_status st, const char *what) {
    r->status = st;
    snprintf(r->reason, sizeof r->reason, "%s: %s", what, ut_error());
}

static void sc_chamfer(const sc_target *t, const sd_solid *ps, sc_result *r) {
    if (!t->cloud_ok || mt_chamfer_cloud(&t->cloud, ps, t->opts.seed ^ SC_PRED_STREAM, &r->cd) != 0) r->cd = NAN;
}

static void sc_iou(const sc_target *t, const sd_solid *ps, sc_result *r) {
    sd_solid *pn = t->norm ? mt_normalise_solid(ps, t->opts.protocol) : NULL;
    if (!pn || mt_iou_vol(t->norm, t->norm_volume, pn, &r->iou) != 0) r->iou = NAN;
    sd_free(pn);
}

static void sc_best(const sc_target *t, const sc_opts *o, const sd_solid *ps, sc_result *r) {
    mt_frame fp;
    if (!t->frame_ok || mt_frame_of(ps, &fp) != 0) return;
    mt_best_opts bo = {o->pitch, {0, 0, 0}, o->refine};
    mt_best b;
    if ((o->metrics & SC_BEST_EXACT) && mt_iou_best_exact(t->solid, &t->frame, ps, &fp, &bo, &b) == 0)
        r->best_exact = b.iou;
    if ((o->metrics & SC_BEST_VOXEL) && mt_iou_best_voxel(t->solid, &t->frame, ps, &fp, &bo, &b) == 0)
        r->best_voxel = b.iou;
}

static void sc_visual(const sc_target *t, const cad_model *pm, sc_result *r) {
    mt_views *pv = t->views ? mt_views_render(pm, MT_VIS_SIZE) : NULL;
    if (pv) r->visual = mt_visual_compare(t->views, pv);
    mt_views_free(pv);
}

/* the metrics of a valid prediction, in the order recad eval has always computed them */
static void sc_metrics(const sc_target *t, const sc_opts *o, const cad_model *pm, const sd_solid *ps, sc_result *r) {
    if (o->metrics & SC_CD) sc_chamfer(t, ps, r);
    if (o->metrics & SC_IOU) sc_iou(t, ps, r);
    if (o->metrics & (SC_BEST_EXACT | SC_BEST_VOXEL)) sc_best(t, o, ps, r);
    if (o->metrics & SC_VISUAL) sc_visual(t, pm, r);
    if (o->metrics & SC_PF1) mt_pf1_sample(&t->model, pm, &r->pf1);
    r->done = o->metrics;
}

/* a prediction whose geometry budget ran out: invalid, nothing computed */
static void sc_over_budget(sc_result *r) {
    lv_level level = r->level;
    if (r->status != SC_E_BUDGET) {
        bg_fail("scoring the prediction");
        sc_result_init(r);
        sc_invalid(r, SC_E_BUDGET, "prediction");
    }
    r->valid = 0;
    r->level = level;
}

/* a loaded prediction: its level, solid, validity and metrics */
static void sc_score_loaded(const sc_target *t, const sc_opts *o, const cad_model *pm, sc_result *r) {
    lv_info li;
    r->level = lv_classify(pm, &li);
    sd_solid *ps = sd_build(pm);
    if (!ps) sc_invalid(r, SC_E_SOLID, "prediction solid");
    else if (!(sd_volume(ps) > 0)) { /* the volume alone: mass properties would add the area */
        r->status = SC_E_EMPTY;
        snprintf(r->reason, sizeof r->reason, "prediction solid is empty");
    } else {
        r->valid = 1;
        double lo[3], hi[3];
        if (sd_bbox(ps, lo, hi) == 0)
            for (int k = 0; k < 3; k++) r->size[k] = hi[k] - lo[k];
        sc_metrics(t, o, pm, ps, r);
    }
    sd_free(ps);
}

/* the shared frame of the entry points: options, timing; text or path (or a model) to load */
static int sc_score(const sc_target *t, const char *text, const char *name, const char *path, const cad_model *m,
                    const sc_opts *o, sc_result *r) {
    double t0 = ut_now();
    sc_result_init(r);
    const sc_opts *so = sc_score_opts(t, o);
    if (!so) {
        sc_invalid(r, SC_E_OPTIONS, "options");
        r->secs = ut_now() - t0;
        return -1;
    }
    bg_budget b; /* the prediction's geometry budget: everything after its program */
    if (m) {
        sc_budget_begin(&b, so);
        sc_score_loaded(t, so, m, r);
    } else {
        cad_model pm;
        cad_init(&pm);
        sc_status st = text ? sc_load_text(text, name, so, &pm, &b) : sc_load_file(path, so, &pm, &b);
        if (st != SC_OK) sc_invalid(r, st, "prediction");
        else sc_score_loaded(t, so, &pm, r);
        cad_free(&pm);
    }
    if (bg_exceeded()) sc_over_budget(r); /* whatever was computed is void */
    bg_end(&b);
    r->work = bg_work(&b);
    r->secs = ut_now() - t0;
    return 0;
}

int sc_score_text(const sc_target *t, const char *text, const char *name, const sc_opts *o, sc_result *r) {
    return sc_score(t, text, name ? name : "pred", NULL, NULL, o, r);
}

int sc_score_file(const sc_target *t, const char *path, const sc_opts *o, sc_result *r) {
    return sc_score(t, NULL, NULL, path, NULL, o, r);
}

int sc_score_model(const sc_target *t, const cad_model *m, const sc_opts *o, sc_result *r) {
    return sc_score(t, NULL, NULL, NULL, m, o, r);
}
