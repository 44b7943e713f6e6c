/* generate.c - text to CAD with a trained model (see generate.h). */
#include "infer/generate.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/picture.h"
#include "base/util.h"
#include "eval/score.h"
#include "geom/solid.h"
#include "infer/cadreward.h"
#include "ml/chat.h"
#include "ml/nn.h"
#include "ml/sampler.h"
#include "ml/tokenizer.h"
#include "ml/vlm.h"

struct inf_model {
    char *dir;
    vl_model *vm;       /* the decoder and, for pictures, the encoder */
    nn_model *m;        /* vm->dec */
    tok_tokenizer *tok;
    smp_sampler *smp;
    int eos[2], neos;
};

const char *inf_pick_name(inf_pick p) { return p == INF_PICK_AGREEMENT ? "agreement" : "likelihood"; }

int inf_pick_parse(const char *s, inf_pick *p) {
    if (!strcmp(s, "likelihood")) *p = INF_PICK_LIKELIHOOD;
    else if (!strcmp(s, "agreement")) *p = INF_PICK_AGREEMENT;
    else return -1;
    return 0;
}

void inf_default_opts(inf_opts *o) {
    memset(o, 0, sizeof *o);
    o->n = 8;
    o->temperature = 0.8f;
    o->top_p = 0.95f;
    o->pick = INF_PICK_AGREEMENT;
    ex_default_limits(&o->lim);
}

inf_model *inf_load(const char *dir) {
    char path[4096];
    inf_model *g = ut_calloc(1, sizeof *g);
    g->dir = ut_strdup(dir);
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    if (!(g->tok = tok_load(path))) goto fail;
    if (!(g->vm = vl_load(dir))) goto fail;
    g->m = g->vm->dec;
    if (tok_vocab_size(g->tok) > g->m->cfg.vocab_size) {
        ut_fail("%s: the tokenizer has %d ids but the model's vocabulary is %d", dir, tok_vocab_size(g->tok),
                g->m->cfg.vocab_size);
        goto fail;
    }
    if (g->vm->enc && !tok_is_special(g->tok, g->vm->image_token_id)) {
        ut_fail("%s: the model's image_token_id %d is not a special token of its tokenizer", dir, g->vm->image_token_id);
        goto fail;
    }
    g->neos = chat_end_ids(g->tok, g->eos);
    if (!g->neos) {
        ut_fail("%s/tokenizer.json: no <|endoftext|> or <|im_end|> special token to end an answer", dir);
        goto fail;
    }
    g->smp = smp_new(g->m);
    return g;
fail:
    inf_free(g);
    return NULL;
}

void inf_free(inf_model *g) {
    if (!g) return;
    smp_free(g->smp);
    vl_free(g->vm);
    tok_free(g->tok);
    free(g->dir);
    free(g);
}

void inf_set_threads(inf_model *g, int n) { vl_set_threads(g->vm, n); }
int inf_image_side(const inf_model *g) { return g->vm->enc ? g->vm->enc->cfg.image_size : 0; }
const char *inf_dir(const inf_model *g) { return g->dir; }

const char *inf_default_dir(void) {
    static char buf[4200];
    const char *env = getenv("RECAD_MODEL");
    if (env && *env) return env;
    char exe[4096];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(buf, sizeof buf, "%s/../models/default", exe);
            if (access(buf, R_OK) == 0) return buf;
        }
    }
    return "models/default";
}

/* executes candidate c; fills validity, volume, bounding box; the model into *m on success */
static void inf_execute(inf_candidate *c, const ex_limits *lim, cad_model *m) {
    if (ex_run(c->program, strlen(c->program), "program", lim, m)) {
        c->error = ut_strdup(ut_error());
        return;
    }
    sd_solid *s = sd_build(m);
    if (!s) c->error = ut_strdup(ut_error());
    else if (!((c->volume = sd_volume(s)) > 0) || sd_bbox(s, c->lo, c->hi))
        c->error = ut_strdup("the program's solid is empty");
    else
        c->valid = 1;
    sd_free(s);
    if (!c->valid) cad_free(m);
}

/* the agreement rule over the valid candidates (models[i] filled where cand[i].valid) */
static void inf_agreement(inf_result *r, cad_model *models) {
    sc_opts so;
    sc_default_opts(&so);
    so.metrics = SC_BEST_VOXEL;
    so.pitch = 0.1;
    sc_target **t = ut_calloc((size_t)r->n, sizeof *t);
    for (int i = 0; i < r->n; i++)
        if (r->cand[i].valid) t[i] = sc_target_model(&models[i], &so, NULL);
    double *agree = ut_calloc((size_t)r->n * r->n, sizeof(double));
#pragma omp parallel for schedule(dynamic)
    for (int ij = 0; ij < r->n * r->n; ij++) {
        int i = ij / r->n, j = ij % r->n;
        if (i >= j || !t[i] || !t[j]) continue;
        sc_result s;
        double iou = sc_score_model(t[i], &models[j], NULL, &s) == 0 && s.valid && isfinite(s.best_voxel) ? s.best_voxel : 0;
        double ei[3], ej[3];
        for (int k = 0; k < 3; k++) ei[k] = r->cand[i].hi[k] - r->cand[i].lo[k], ej[k] = r->cand[j].hi[k] - r->cand[j].lo[k];
        agree[ij] = iou * cr_size_agreement(ei, ej);
    }
    for (int i = 0; i < r->n; i++) {
        if (!t[i]) continue;
        double sum = 0;
        for (int j = 0; j < r->n; j++)
            if (j != i && t[j]) sum += i < j ? agree[i * r->n + j] : agree[j * r->n + i];
        r->cand[i].agreement = sum;
        sc_target_free(t[i]);
    }
    free(agree);
    free(t);
}

/* samples, executes and picks for the prompt ids[0..P) (ids freed); rows (nrows, D): the image
 * tokens at the placeholders (NULL: a text prompt); t0: when the work began */
static int inf_run(inf_model *g, int *ids, int P, const float *rows, int nrows, const inf_opts *o, inf_result *r, double t0) {
    int ctx = g->m->cfg.max_position_embeddings;
    if (P + 1 > ctx) {
        free(ids);
        return ut_fail("the prompt has %d tokens; the model takes %d positions in all", P, ctx);
    }
    int max_new = o->max_new > 0 && o->max_new < ctx - P ? o->max_new : ctx - P;
    const float *const rowv[1] = {rows};
    smp_opts so = {.n = o->n, .max_new = max_new, .temperature = o->temperature, .top_p = o->top_p, .seed = o->seed,
                   .eos_ids = g->eos, .neos = g->neos, .tok = g->tok, .rows = rows ? rowv : NULL, .nrows = &nrows,
                   .row_id = rows ? g->vm->image_token_id : -1, .precision = o->bf16 ? SMP_BF16 : SMP_F32};
    smp_seq *seq = ut_calloc((size_t)o->n, sizeof *seq);
    int rc = smp_generate(g->smp, ids, P, &so, seq);
    free(ids);
    if (rc) {
        free(seq);
        return -1;
    }
    r->prompt_tokens = P;
    r->n = o->n;
    r->sample_s = ut_now() - t0;
    r->cand = ut_calloc((size_t)o->n, sizeof *r->cand);
    for (int i = 0; i < o->n; i++) {
        inf_candidate *c = &r->cand[i];
        c->answer = seq[i].text ? seq[i].text : ut_strdup("");
        seq[i].text = NULL;
        c->program = chat_program(c->answer);
        c->ntokens = seq[i].ntokens;
        double lp = 0;
        for (int k = 0; k < seq[i].ntokens; k++) lp += seq[i].logprobs[k];
        c->logprob = seq[i].ntokens ? lp / seq[i].ntokens : -INFINITY;
        c->agreement = NAN;
        if (seq[i].finish == SMP_LENGTH) c->error = ut_strdup("the answer did not end within the model's context");
        smp_seq_free(&seq[i]);
    }
    free(seq);

    t0 = ut_now();
    cad_model *models = ut_calloc((size_t)o->n, sizeof *models);
#pragma omp parallel for schedule(dynamic)
    for (int i = 0; i < o->n; i++)
        if (!r->cand[i].error) inf_execute(&r->cand[i], &o->lim, &models[i]);
    r->exec_s = ut_now() - t0;

    t0 = ut_now();
    for (int i = 0; i < o->n; i++) r->nvalid += r->cand[i].valid;
    int agree = o->pick == INF_PICK_AGREEMENT && r->nvalid >= 3;
    if (agree) inf_agreement(r, models);
    for (int i = 0; i < o->n; i++) {
        const inf_candidate *c = &r->cand[i];
        if (!c->valid) continue;
        if (r->best < 0) { r->best = i; continue; }
        const inf_candidate *b = &r->cand[r->best];
        if (agree && c->agreement != b->agreement ? c->agreement > b->agreement : c->logprob > b->logprob) r->best = i;
    }
    r->pick_s = ut_now() - t0;
    for (int i = 0; i < o->n; i++) {
        if (i == r->best) r->model = models[i];
        else if (r->cand[i].valid) cad_free(&models[i]);
    }
    free(models);
    return 0;
}

int inf_generate(inf_model *g, const char *text, const inf_opts *o, inf_result *r) {
    memset(r, 0, sizeof *r);
    r->best = -1;
    if (o->n < 1) return ut_fail("the number of candidates must be at least 1");
    int P = 0;
    int *ids = chat_encode_prompt(g->tok, text, &P);
    return inf_run(g, ids, P, NULL, 0, o, r, ut_now());
}

int inf_generate_image(inf_model *g, const pic_gray *framed, const inf_opts *o, inf_result *r) {
    memset(r, 0, sizeof *r);
    r->best = -1;
    if (o->n < 1) return ut_fail("the number of candidates must be at least 1");
    const vt_model *enc = g->vm->enc;
    if (!enc) return ut_fail("the model in %s has no vision encoder: it takes text prompts only", g->dir);
    int S = enc->cfg.image_size;
    if (framed->w != S || framed->h != S)
        return ut_fail("the picture is %d x %d pixels; the model takes %d x %d (frame it with pic_frame)", framed->w,
                       framed->h, S, S);
    double t0 = ut_now();
    const float *tokens = vt_forward(g->vm->enc, framed->v, 1); /* (num_tokens, D) */
    if (!tokens) return -1;
    int P = 0, ntok = enc->cfg.num_tokens;
    int *ids = chat_encode_image_prompt(g->tok, CHAT_IMAGE, g->vm->image_token_id, ntok, &P);
    if (!ids) return -1;
    return inf_run(g, ids, P, tokens, ntok, o, r, t0);
}

int inf_generate_image_file(inf_model *g, const char *path, const inf_opts *o, inf_result *r) {
    memset(r, 0, sizeof *r);
    r->best = -1;
    if (!g->vm->enc) return ut_fail("the model in %s has no vision encoder: it takes text prompts only", g->dir);
    pic_gray p;
    if (pic_load_framed(path, g->vm->enc->cfg.image_size, &p)) return -1;
    int rc = inf_generate_image(g, &p, o, r);
    pic_free(&p);
    return rc;
}

void inf_result_free(inf_result *r) {
    for (int i = 0; i < r->n; i++) {
        free(r->cand[i].answer);
        free(r->cand[i].error);
    }
    free(r->cand);
    if (r->best >= 0) cad_free(&r->model);
    memset(r, 0, sizeof *r);
    r->best = -1;
}
