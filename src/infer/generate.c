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
#include "cad/prefixcheck.h"
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
    o->repair = 2;
    o->retry = 1;
    o->check_names = 1;
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
static void inf_agreement(inf_result *r, cad_model *models, const ex_limits *lim) {
    sc_opts so;
    sc_default_opts(&so);
    so.metrics = SC_BEST_VOXEL;
    so.pitch = 0.1;
    so.max_geom_seconds = lim->geometry.max_seconds; /* the candidates' clock backstop */
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

/* a candidate's answer tokens and their log-probabilities (kept while it may be repaired) */
typedef struct {
    int *tok;
    float *lp;
    int n;
} inf_toks;

/* candidate c from an answer text (owned), its tokens t and how the sampling ended */
static void inf_fill(inf_candidate *c, char *answer, const inf_toks *t, int finish, int round) {
    c->answer = answer ? answer : ut_strdup("");
    c->program = chat_program(c->answer);
    c->ntokens = t->n;
    double lp = 0;
    for (int k = 0; k < t->n; k++) lp += t->lp[k];
    c->logprob = t->n ? lp / t->n : -INFINITY;
    c->agreement = NAN;
    c->repaired = round;
    if (finish == SMP_LENGTH) c->error = ut_strdup("the answer did not end within the model's context");
}

/* executes, in parallel, the candidates written in this round that have no error yet; counts the valid */
static void inf_execute_all(inf_result *r, const inf_opts *o, cad_model *models, int round) {
#pragma omp parallel for schedule(dynamic)
    for (int i = 0; i < r->n; i++)
        if (!r->cand[i].error && r->cand[i].repaired == round) inf_execute(&r->cand[i], &o->lim, &models[i]);
    r->nvalid = 0;
    for (int i = 0; i < r->n; i++) r->nvalid += r->cand[i].valid;
}

/* the program line an executor error names ("program:LINE: ..."), 0 when none */
static int inf_error_line(const char *err) {
    const char *p = err ? strstr(err, "program:") : NULL;
    int line = 0, off = 0;
    if (p && sscanf(p, "program:%d:%n", &line, &off) == 1 && off > 0 && line > 0) return line;
    return 0;
}

size_t inf_repair_cut(const char *answer, const char *error) {
    const char *prog = chat_program(answer), *p = prog;
    int line = inf_error_line(error);
    for (int l = 1; l < line; l++) {
        const char *nl = strchr(p, '\n');
        if (!nl) return (size_t)(prog - answer); /* the line is not there: the whole program */
        p = nl + 1;
    }
    return (size_t)(p - answer);
}

/* name-checked decoding: sample i's answer is kept[i] (a repair's kept bytes, or nothing) and then
 * its generated text; only the program part (after "</think>") is checked */
typedef struct {
    const char *const *kept;
    const size_t *nkept;
} inf_names;

/* just after the last "</think>" in s[0..n), NULL when there is none */
static const char *inf_after_think(const char *s, size_t n) {
    const char *t = NULL;
    for (size_t j = 0; j + 8 <= n; j++)
        if (s[j] == '<' && !memcmp(s + j, "</think>", 8)) t = s + j + 8;
    return t;
}

static int inf_veto(void *ctx, int i, const char *text, size_t len, const char *bytes, int nbytes) {
    const inf_names *v = ctx;
    size_t nk = v->kept ? v->nkept[i] : 0;
    const char *k = nk ? v->kept[i] : "";
    /* the program starts after the last "</think>" of kept + text; none yet: still the plan */
    const char *t = inf_after_think(text, len);
    if (t) return !pfx_append_ok(t, len - (size_t)(t - text), bytes, (size_t)nbytes, NULL);
    const char *kp = inf_after_think(k, nk);
    if (!kp) return 0;
    size_t a = nk - (size_t)(kp - k);
    char *prog = ut_malloc(a + len + 1);
    memcpy(prog, kp, a);
    memcpy(prog + a, text, len);
    int ok = pfx_append_ok(prog, a + len, bytes, (size_t)nbytes, NULL);
    free(prog);
    return !ok;
}

/* the sampler's options every call of g shares: o's sampling, g's end ids, tokenizer and picture
 * placeholder, and name-checked decoding (names: its context) */
static smp_opts inf_smp_opts(const inf_model *g, const inf_opts *o, int picture, inf_names *names) {
    return (smp_opts){.temperature = o->temperature, .top_p = o->top_p, .eos_ids = g->eos, .neos = g->neos, .tok = g->tok,
                      .row_id = picture ? g->vm->image_token_id : -1, .precision = o->bf16 ? SMP_BF16 : SMP_F32,
                      .veto = o->check_names ? inf_veto : NULL, .veto_ctx = names};
}

/* the whole tokens of t whose bytes lie within the first cut bytes of its answer; *bytes their length */
static int inf_tokens_within(const tok_tokenizer *tok, const inf_toks *t, size_t cut, size_t *bytes) {
    size_t b = 0;
    int k = 0;
    for (; k < t->n; k++) {
        int len = 0;
        if (!tok_token_bytes(tok, t->tok[k], &len) || b + (size_t)len > cut) break;
        b += (size_t)len;
    }
    *bytes = b;
    return k;
}

/* answer tokens a repair leaves the model at least: a longer kept part is cut further back */
#define INF_REPAIR_ROOM 256

/* one repair round over the invalid candidates (none is valid): each cut back (inf_repair_cut)
   and continued once, all in one batch; the new candidates replace them with repaired = round */
static int inf_repair(inf_model *g, const int *ids, int P, const float *rows, int nrows, const inf_opts *o, inf_result *r,
                      inf_toks *tk, int round) {
    int n = r->n, ctx = g->m->cfg.max_position_embeddings;
    int *keep = ut_calloc((size_t)n, sizeof(int)), *plen = ut_calloc((size_t)n, sizeof(int));
    size_t *kb = ut_calloc((size_t)n, sizeof(size_t)); /* bytes of the kept tokens: a prefix of the answer */
    int **pr = ut_calloc((size_t)n, sizeof(int *));
    const float **rowv = ut_calloc((size_t)n, sizeof(float *));
    int *nrowv = ut_calloc((size_t)n, sizeof(int));
    int longest = 0;
    for (int i = 0; i < n; i++) {
        inf_candidate *c = &r->cand[i];
        keep[i] = inf_tokens_within(g->tok, &tk[i], inf_repair_cut(c->answer, c->error), &kb[i]);
        /* leave room for an answer: a long kept part goes back to the program's start, or to nothing */
        if (P + keep[i] > ctx - INF_REPAIR_ROOM)
            keep[i] = inf_tokens_within(g->tok, &tk[i], (size_t)(c->program - c->answer), &kb[i]);
        if (P + keep[i] > ctx - INF_REPAIR_ROOM) keep[i] = 0, kb[i] = 0;
        plen[i] = P + keep[i];
        pr[i] = ut_malloc(sizeof(int) * (size_t)plen[i]);
        memcpy(pr[i], ids, sizeof(int) * (size_t)P);
        memcpy(pr[i] + P, tk[i].tok, sizeof(int) * (size_t)keep[i]);
        rowv[i] = rows, nrowv[i] = nrows;
        if (plen[i] > longest) longest = plen[i];
    }
    int max_new = ctx - longest;
    if (o->max_new > 0 && o->max_new < max_new) max_new = o->max_new;
    const char **kept = ut_calloc((size_t)n, sizeof *kept);
    for (int i = 0; i < n; i++) kept[i] = r->cand[i].answer;
    inf_names names = {kept, kb};
    smp_opts so = inf_smp_opts(g, o, rows != NULL, &names);
    so.n = 1;
    so.max_new = max_new > 0 ? max_new : 1;
    so.seed = o->seed + (uint64_t)round * 0xD1B54A32D192ED03ULL;
    so.rows = rows ? rowv : NULL, so.nrows = rows ? nrowv : NULL;
    smp_seq *seq = ut_calloc((size_t)n, sizeof *seq);
    int rc = smp_generate_multi(g->smp, (const int *const *)pr, plen, n, &so, seq);
    r->vetoed += smp_last_stats(g->smp)->vetoed;
    for (int i = 0; rc == 0 && i < n; i++) {
        inf_candidate *c = &r->cand[i];
        size_t tl = seq[i].text ? seq[i].text_len : 0;
        char *answer = ut_malloc(kb[i] + tl + 1);
        memcpy(answer, c->answer, kb[i]);
        if (tl) memcpy(answer + kb[i], seq[i].text, tl);
        answer[kb[i] + tl] = 0;
        /* the tokens: the kept ones, then the continuation's */
        int m = keep[i] + seq[i].ntokens;
        tk[i].tok = ut_realloc(tk[i].tok, sizeof(int) * (size_t)(m ? m : 1));
        tk[i].lp = ut_realloc(tk[i].lp, sizeof(float) * (size_t)(m ? m : 1));
        memcpy(tk[i].tok + keep[i], seq[i].tokens, sizeof(int) * (size_t)seq[i].ntokens);
        memcpy(tk[i].lp + keep[i], seq[i].logprobs, sizeof(float) * (size_t)seq[i].ntokens);
        tk[i].n = m;
        free(c->answer);
        free(c->error);
        memset(c, 0, sizeof *c);
        inf_fill(c, answer, &tk[i], seq[i].finish, round);
    }
    for (int i = 0; i < n; i++) {
        smp_seq_free(&seq[i]);
        free(pr[i]);
    }
    free(seq);
    free(pr);
    free(plen);
    free(keep);
    free(kb);
    free(rowv);
    free(nrowv);
    free(kept);
    return rc;
}

/* samples candidates [from, from + count) of r (sample i from seed + i * golden ratio, so that they
 * are those of one batch of from + count) into r->cand and tk */
static int inf_sample(inf_model *g, const int *ids, int P, const float *rows, int nrows, const inf_opts *o, int max_new,
                      inf_result *r, inf_toks *tk, int from, int count) {
    const float *const rowv[1] = {rows};
    inf_names names = {NULL, NULL};
    smp_opts so = inf_smp_opts(g, o, rows != NULL, &names);
    so.n = count;
    so.max_new = max_new;
    so.seed = o->seed + (uint64_t)from * 0x9E3779B97F4A7C15ull;
    so.rows = rows ? rowv : NULL, so.nrows = &nrows;
    smp_seq *seq = ut_calloc((size_t)count, sizeof *seq);
    if (smp_generate(g->smp, ids, P, &so, seq)) {
        free(seq);
        return -1;
    }
    r->vetoed += smp_last_stats(g->smp)->vetoed;
    for (int k = 0; k < count; k++) {
        int i = from + k;
        tk[i] = (inf_toks){seq[k].tokens, seq[k].logprobs, seq[k].ntokens};
        seq[k].tokens = NULL, seq[k].logprobs = NULL;
        inf_fill(&r->cand[i], seq[k].text, &tk[i], seq[k].finish, 0);
        seq[k].text = NULL;
        smp_seq_free(&seq[k]);
    }
    free(seq);
    r->n = from + count;
    return 0;
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
    int cap = o->n * (1 + (o->retry > 0 ? o->retry : 0)); /* candidates at most */
    r->prompt_tokens = P;
    r->cand = ut_calloc((size_t)cap, sizeof *r->cand);
    inf_toks *tk = ut_calloc((size_t)cap, sizeof *tk);
    cad_model *models = ut_calloc((size_t)cap, sizeof *models);
    int rc = inf_sample(g, ids, P, rows, nrows, o, max_new, r, tk, 0, o->n);
    r->sample_s = ut_now() - t0;
    t0 = ut_now();
    if (rc == 0) inf_execute_all(r, o, models, 0);
    r->exec_s = ut_now() - t0;
    /* none valid: n fresh candidates (those a batch of 2n, 3n, ... would have drawn) */
    for (int k = 1; rc == 0 && k <= o->retry && r->nvalid == 0; k++) {
        t0 = ut_now();
        rc = inf_sample(g, ids, P, rows, nrows, o, max_new, r, tk, k * o->n, o->n);
        r->sample_s += ut_now() - t0;
        t0 = ut_now();
        if (rc == 0) inf_execute_all(r, o, models, 0);
        r->exec_s += ut_now() - t0;
    }
    for (int round = 1; round <= o->repair && r->nvalid == 0 && rc == 0; round++) {
        t0 = ut_now();
        rc = inf_repair(g, ids, P, rows, nrows, o, r, tk, round);
        r->sample_s += ut_now() - t0;
        if (rc) break;
        r->repair_rounds = round;
        t0 = ut_now();
        inf_execute_all(r, o, models, round);
        r->exec_s += ut_now() - t0;
    }
    free(ids);
    for (int i = 0; i < r->n; i++) free(tk[i].tok), free(tk[i].lp);
    free(tk);
    if (rc) { /* a sampling failed: no result */
        for (int i = 0; i < r->n; i++)
            if (r->cand[i].valid) cad_free(&models[i]);
        free(models);
        inf_result_free(r);
        return -1;
    }

    t0 = ut_now();
    int agree = o->pick == INF_PICK_AGREEMENT && r->nvalid >= 3;
    if (agree) inf_agreement(r, models, &o->lim);
    for (int i = 0; i < r->n; i++) {
        const inf_candidate *c = &r->cand[i];
        if (!c->valid) continue;
        if (r->best < 0) { r->best = i; continue; }
        const inf_candidate *b = &r->cand[r->best];
        if (agree && c->agreement != b->agreement ? c->agreement > b->agreement : c->logprob > b->logprob) r->best = i;
    }
    r->pick_s = ut_now() - t0;
    for (int i = 0; i < r->n; i++) {
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
