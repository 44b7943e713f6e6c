/* grpo.c - GRPO with execution rewards, guidance and the curriculum (see grpo.h). */
#include "train/grpo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/util.h"
#include "ml/chat.h"
#include "ml/opt.h"
#include "ml/sampler.h"
#include "train/ckpt.h"
#include "train/runlog.h"
#include "train/train.h"

gr_options gr_defaults(void) {
    gr_options o;
    memset(&o, 0, sizeof o);
    o.steps = 200;
    o.prompts = 4;
    o.group = 8;
    o.temperature = 1.0f;
    o.top_p = 1.0f;
    o.lr = 1e-5f;
    o.lr_min = 1e-6f;
    o.warmup = -1;
    o.clip = 1.0f;
    o.beta1 = 0.9f;
    o.beta2 = 0.95f;
    o.eps = 1e-8f;
    o.clip_eps = 0.2;
    o.epochs = 1;
    o.std_norm = 1;
    o.guidance = 1;
    o.gamma = 0.1;
    o.hard_tau = 0.8;
    o.hard_samples = 4;
    o.curriculum = 1;
    o.replay = 0.25;
    o.micro_rows = 8;
    o.ckpt_every = 50;
    o.keep_ckpts = 2;
    o.log_every = 1;
    o.seed = 1;
    return o;
}

/* ------------------------------------------------------------------ the pieces */

int gr_advantages(const double *r, int n, int std_norm, double *adv) {
    if (n < 2) return 0;
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++) mean += r[i] / n;
    for (int i = 0; i < n; i++) var += (r[i] - mean) * (r[i] - mean) / n;
    double sd = sqrt(var);
    if (sd < 1e-6) return 0;
    for (int i = 0; i < n; i++) adv[i] = std_norm ? (r[i] - mean) / sd : r[i] - mean;
    return 1;
}

double gr_weight_on(double adv, double ratio, double clip_eps) {
    if ((adv > 0 && ratio > 1 + clip_eps) || (adv < 0 && ratio < 1 - clip_eps)) return 0;
    return adv * ratio;
}

double gr_weight_off(double adv, double logp, double gamma) {
    double pi = exp(logp);
    return adv * gamma * pi / ((pi + gamma) * (pi + gamma));
}

double gr_k3(double logp, double logp_ref) {
    double q = logp_ref - logp;
    return exp(q) - q - 1;
}

double gr_weight_kl(double logp, double logp_ref, double beta) { return beta * (exp(logp_ref - logp) - 1); }

static const gr_item *gr_sort_items;

static int gr_cmp_curriculum(const void *a, const void *b) {
    const gr_item *x = &gr_sort_items[*(const int *)a], *y = &gr_sort_items[*(const int *)b];
    int lx = x->level < 0 ? GR_LEVELS : x->level, ly = y->level < 0 ? GR_LEVELS : y->level;
    if (lx != ly) return lx - ly;
    if (x->curves != y->curves) return x->curves - y->curves;
    return *(const int *)a - *(const int *)b;
}

void gr_curriculum_order(const gr_item *items, int n, int *order) {
    for (int i = 0; i < n; i++) order[i] = i;
    gr_sort_items = items; /* qsort has no context argument; called from one thread */
    qsort(order, (size_t)n, sizeof *order, gr_cmp_curriculum);
    gr_sort_items = NULL;
}

/* ------------------------------------------------------------------ prompt choice */

typedef struct {
    int n;
    int *order;       /* curriculum: sorted items; random: unused */
    int nstage;
    int stage_first[GR_LEVELS + 2]; /* stage k: order[stage_first[k] .. stage_first[k+1]) */
    tr_order random;  /* random order (train/train.h) */
} gr_picker;

static uint64_t gr_mix(uint64_t a, uint64_t b) {
    uint64_t x = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL + (a << 6) + (a >> 2));
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 29;
    return x;
}

static void gr_picker_init(gr_picker *p, const gr_item *items, int n, const gr_options *o) {
    memset(p, 0, sizeof *p);
    p->n = n;
    p->order = ut_malloc(sizeof(int) * (size_t)n);
    tr_order_init(&p->random, n, o->seed);
    gr_curriculum_order(items, n, p->order);
    if (!o->curriculum) return;
    int prev = -2;
    for (int i = 0; i < n; i++) {
        int l = items[p->order[i]].level < 0 ? GR_LEVELS : items[p->order[i]].level;
        if (l != prev) p->stage_first[p->nstage++] = i, prev = l;
    }
    p->stage_first[p->nstage] = n;
}

static void gr_picker_free(gr_picker *p) {
    free(p->order);
    tr_order_free(&p->random);
}

/* the item of prompt slot j of step s */
static int gr_pick(gr_picker *p, const gr_options *o, long s, int j) {
    if (!o->curriculum) return tr_order_at(&p->random, s * o->prompts + j);
    /* stage of step s: stages get steps in proportion to their item counts */
    int k = 0;
    while (k + 1 < p->nstage && (double)s >= (double)o->steps * p->stage_first[k + 1] / p->n) k++;
    long stage_start = (long)ceil((double)o->steps * p->stage_first[k] / p->n);
    int first = p->stage_first[k], size = p->stage_first[k + 1] - first;
    ut_rng r;
    ut_rng_seed(&r, gr_mix(gr_mix(o->seed, (uint64_t)s), (uint64_t)j + 7));
    if (k > 0 && ut_rng_uniform(&r) < o->replay) return p->order[ut_rng_u64(&r) % (uint64_t)first];
    long pos = (s - stage_start) * o->prompts + j;
    if (pos < 0) pos = 0;
    return p->order[first + pos % size];
}

/* ------------------------------------------------------------------ rollouts */

/* one member of a group: its full token row and what the update needs */
typedef struct {
    int *tok;          /* prompt ids ++ answer ids (++ eos when it ended with one) */
    int len, astart;   /* tokens; index of the first answer token */
    float *old_lp;     /* (len - astart) log pi_old of the answer tokens (on-policy) */
    float *cur_lp, *ref_lp; /* (len - astart) current / reference log pi (when computed) */
    char *text;        /* the answer text the reward saw */
    double reward, adv;
    int valid, off, group, keep;
    double iou;
    const float *image; /* the item's picture tokens (nimage, D), NULL: a text prompt */
    int nimage;
} gr_member;

static void gr_member_free(gr_member *g) {
    free(g->tok);
    free(g->old_lp);
    free(g->cur_lp);
    free(g->ref_lp);
    free(g->text);
}


/* the prompt ids of item it (*P of them): its text, or its picture's placeholders; NULL + ut_error */
static int *gr_prompt_ids(const gr_options *o, const gr_item *it, int *P) {
    if (!it->image) return chat_encode_prompt(o->tok, it->prompt, P);
    return chat_encode_image_prompt(o->tok, it->prompt, o->image_token_id, it->nimage, P);
}

/* the off-policy member: the item's reference answer ++ end-of-text */
static void gr_reference(const gr_options *o, const gr_item *it, int ctx, gr_member *g) {
    int P = 0, A = 0, *ids = gr_prompt_ids(o, it, &P), *ans = chat_encode_answer(o->tok, it->ref, &A);
    int eos = tok_special_id(o->tok, "<|endoftext|>");
    int len = P + A + (eos >= 0);
    if (len > ctx) len = ctx;
    g->tok = ut_malloc(sizeof(int) * (size_t)(P + A + 1));
    memcpy(g->tok, ids, sizeof(int) * (size_t)P);
    memcpy(g->tok + P, ans, sizeof(int) * (size_t)A);
    if (eos >= 0) g->tok[P + A] = eos;
    g->len = len;
    g->astart = P < len ? P : len;
    g->text = ut_strdup(it->ref);
    g->off = 1;
    g->image = it->image, g->nimage = it->nimage;
    free(ids);
    free(ans);
}

/* ------------------------------------------------------------------ forward passes over members */

/* the picture tokens of the B members in rows, at their placeholders, as m's input rows for the
   next forward (none when no member has a picture: rows of an earlier forward must not stay) */
static int gr_image_rows(nn_model *m, gr_member *const *rows, int B, int T, const int *in, int pad) {
    int n = 0;
    for (int r = 0; r < B; r++) n += rows[r]->image ? rows[r]->nimage : 0;
    if (!n) return nn_set_input_rows(m, NULL, NULL, 0);
    size_t D = (size_t)m->cfg.hidden_size;
    int *slot = ut_malloc(sizeof(int) * (size_t)n), k = 0;
    float *x = ut_malloc(sizeof(float) * (size_t)n * D);
    for (int r = 0; r < B; r++) {
        const gr_member *g = rows[r];
        if (!g->image) continue;
        int j = 0;
        for (int t = 0; t < T && t < g->astart && j < g->nimage; t++)
            if (in[r * T + t] == pad) {
                slot[k] = r * T + t;
                memcpy(x + (size_t)k * D, g->image + (size_t)j * D, sizeof(float) * D);
                k++, j++;
            }
        if (j != g->nimage) {
            free(slot), free(x);
            return ut_fail("grpo: a picture prompt holds %d placeholders for %d picture tokens", j, g->nimage);
        }
    }
    int rc = nn_set_input_rows(m, slot, x, n);
    free(slot), free(x);
    return rc;
}

/* fills in/tg (B, T) for members mem[idx[0..B)] and returns T */
static int gr_rows(gr_member *const *rows, int B, int *in, int *tg) {
    int T = 1;
    for (int r = 0; r < B; r++)
        if (rows[r]->len - 1 > T) T = rows[r]->len - 1;
    for (int r = 0; r < B; r++) {
        const gr_member *g = rows[r];
        for (int t = 0; t < T; t++) {
            in[r * T + t] = t < g->len ? g->tok[t] : 0;
            tg[r * T + t] = (t + 1 < g->len && t + 1 >= g->astart) ? g->tok[t + 1] : -1;
        }
    }
    return T;
}

/* log pi of every answer token of the given members under model m, into lp (per member) */
static int gr_logprobs(nn_model *m, gr_member **list, int nlist, int micro, int which, int *in, int *tg, int pad) {
    for (int first = 0; first < nlist; first += micro) {
        int B = nlist - first < micro ? nlist - first : micro;
        int T = gr_rows(list + first, B, in, tg);
        if (gr_image_rows(m, list + first, B, T, in, pad) || nn_forward(m, in, tg, NULL, 0.0f, B, T)) return -1;
        for (int r = 0; r < B; r++) {
            gr_member *g = list[first + r];
            int na = g->len - g->astart;
            float **dst = which ? &g->ref_lp : &g->cur_lp;
            if (!*dst) *dst = ut_malloc(sizeof(float) * (size_t)(na + 1));
            for (int k = 0; k < na; k++) (*dst)[k] = -m->acts.tok_loss[r * T + g->astart + k - 1];
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ checkpoints and the log */

static const char *const gr_ckpt_files[] = {"config.json", "model.safetensors", "optimizer.safetensors", "trainer.json", NULL};

static const rl_col gr_cols[] = {
    {"reward_mean", 'g', 6}, {"reward_max", 'g', 6}, {"ir", 'g', 6},      {"iou_best", 'g', 6},
    {"hard", 'g', 4},        {"skipped", 'g', 4},    {"kl", 'g', 6},      {"entropy", 'g', 6},
    {"tokens_per_s", 'f', 1}, {"rollouts_per_s", 'f', 2}, {"sample_s", 'g', 4}, {"reward_s", 'g', 4},
    {"update_s", 'g', 4},    {"reward_L", 'g', 6},   {"reward_F", 'g', 6}, {"reward_S", 'g', 6},
    {"reward_SE", 'g', 6},   {"reward_MSE", 'g', 6}};
#define GR_NCOLS ((int)(sizeof gr_cols / sizeof gr_cols[0]))

static void gr_row(const gr_step_stats *s, double *v) {
    double a[GR_NCOLS] = {s->reward_mean, s->reward_max, s->ir, s->iou_best, s->hard, s->skipped, s->kl, s->entropy,
                          s->tokens_per_s, s->rollouts_per_s, s->sample_s, s->reward_s, s->update_s,
                          s->reward_level[0], s->reward_level[1], s->reward_level[2], s->reward_level[3],
                          s->reward_level[4]};
    memcpy(v, a, sizeof a);
}

static int gr_flush(const rl_log *log, const char *out) {
    if (rl_write(log)) return -1;
    char path[4200];
    static const char *const rew[] = {"reward_mean", "reward_max", "iou_best"};
    static const char *const tim[] = {"sample_s", "reward_s", "update_s"};
    plot_opts po = {"GRPO reward", "step", "reward", 800, 500};
    snprintf(path, sizeof path, "%s/reward.png", out);
    if (rl_plot(log, path, &po, rew, 3)) return -1;
    plot_opts pt = {"GRPO step time", "step", "seconds", 800, 500};
    snprintf(path, sizeof path, "%s/time.png", out);
    return rl_plot(log, path, &pt, tim, 3);
}

static int gr_save(const char *out, const nn_model *m, const opt_adamw *opt, const gr_options *o, int nitems) {
    char dir[4096], path[4200];
    if (ck_begin(out, opt->step, dir, sizeof dir)) return -1;
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "step", (double)opt->step);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    cJSON_AddStringToObject(j, "seed", seed);
    cJSON_AddNumberToObject(j, "prompts", o->prompts);
    cJSON_AddNumberToObject(j, "group", o->group);
    cJSON_AddNumberToObject(j, "items", nitems);
    int rc = nn_save(m, dir) || opt_save(opt, path) || ck_write_json(dir, "trainer.json", j);
    cJSON_Delete(j);
    if (!rc) {
        snprintf(path, sizeof path, "%s/tokenizer.json", dir);
        rc = tok_save(o->tok, path);
    }
    if (rc) {
        ck_abort(out, opt->step);
        return -1;
    }
    return ck_commit(out, opt->step, o->keep_ckpts);
}

static int gr_load(const char *out, nn_model *m, opt_adamw *opt) {
    char dir[4096], path[4200];
    long step;
    int r = ck_latest(out, gr_ckpt_files, dir, sizeof dir, &step);
    if (r) return r;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (nn_load_weights(m, path)) return -1;
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    if (opt_load(opt, path)) return -1;
    if (opt->step != step) return ut_fail("%s: optimiser step %ld does not match the folder's step %ld", path, opt->step, step);
    return 0;
}

/* hard.json: {"tau": ..., "samples": ..., "hard": [0/1 ...]}; reading returns 1 when the file
 * is missing, and fails when its flags were found with another tau or count of items */
static int gr_hard_io(const char *path, const gr_options *o, unsigned char *hard, int n, int write) {
    if (write) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "tau", o->hard_tau);
        cJSON_AddNumberToObject(j, "samples", o->hard_samples);
        cJSON *a = cJSON_AddArrayToObject(j, "hard");
        for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(hard[i]));
        char *t = cJSON_PrintUnformatted(j);
        int rc = ut_write_atomic(path, t, strlen(t));
        free(t);
        cJSON_Delete(j);
        return rc;
    }
    if (access(path, R_OK)) return 1;
    char *t = ut_read_file(path, NULL);
    cJSON *j = t ? cJSON_Parse(t) : NULL;
    free(t);
    const cJSON *a = j ? cJSON_GetObjectItemCaseSensitive(j, "hard") : NULL;
    const cJSON *tau = j ? cJSON_GetObjectItemCaseSensitive(j, "tau") : NULL;
    int rc = 0;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n) rc = ut_fail("%s: no hard flags for %d items", path, n);
    else if (!cJSON_IsNumber(tau) || fabs(tau->valuedouble - o->hard_tau) > 1e-12)
        rc = ut_fail("%s: flags found with another hard-prompt threshold than %g", path, o->hard_tau);
    for (int i = 0; !rc && i < n; i++) hard[i] = cJSON_GetArrayItem(a, i)->valueint != 0;
    cJSON_Delete(j);
    return rc;
}

/* n answers to each of the P prompts of items item_of[0..P) as one batch (smp_generate_multi)
 * into q[P * n]; ids[j] / plen[j] get the encoded prompts (the caller frees ids[j]) */
static int gr_sample_items(smp_sampler *smp, const nn_model *m, const gr_options *o, const gr_item *items,
                           const int *item_of, int P, int n, uint64_t seed, int **ids, int *plen, smp_seq *q) {
    int ctx = m->cfg.max_position_embeddings, room = ctx, pictures = 0;
    const float **rows = ut_calloc((size_t)P, sizeof *rows);
    int *nrows = ut_calloc((size_t)P, sizeof(int));
    for (int j = 0; j < P; j++) {
        const gr_item *it = &items[item_of[j]];
        if (!(ids[j] = gr_prompt_ids(o, it, &plen[j]))) {
            free(rows), free(nrows);
            return -1;
        }
        if (ctx - plen[j] < room) room = ctx - plen[j];
        rows[j] = it->image, nrows[j] = it->image ? it->nimage : 0, pictures += !!it->image;
    }
    if (room < 1) {
        free(rows), free(nrows);
        return ut_fail("a prompt leaves no room to answer in the model's %d positions", ctx);
    }
    int eos[2], neos = chat_end_ids(o->tok, eos);
    smp_opts so = {.n = n, .max_new = o->max_new > 0 && o->max_new < room ? o->max_new : room,
                   .temperature = o->temperature, .top_p = o->top_p, .seed = seed, .eos_ids = eos, .neos = neos,
                   .tok = o->tok, .rows = pictures ? rows : NULL, .nrows = pictures ? nrows : NULL,
                   .row_id = pictures ? o->image_token_id : -1, .precision = o->bf16_sample ? SMP_BF16 : SMP_F32};
    int rc = smp_generate_multi(smp, (const int *const *)ids, plen, P, &so, q);
    free(rows), free(nrows);
    return rc;
}

/* rewards of P groups of n texts (group j answers item item_of[j]) into sc[P * n], the groups in
 * parallel (the reward callback scores a group's texts in parallel inside) */
static int gr_reward_groups(const gr_options *o, const int *item_of, const char *const *texts, int P, int n,
                            rw_score *sc) {
    int fail = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : fail)
    for (int j = 0; j < P; j++)
        if (o->reward.fn(o->reward.ctx, item_of[j], texts + (size_t)j * n, n, sc + (size_t)j * n)) fail = 1;
    return fail ? -1 : 0;
}

/* Prompts per sampling batch of the hard-prompt pass: GR_HARD_BATCH x N rows at once. */
#define GR_HARD_BATCH 8

int gr_find_hard(nn_model *m, const gr_item *items, int n, const gr_options *o, unsigned char *hard) {
    smp_sampler *smp = smp_new(m);
    int N = o->hard_samples > 0 ? o->hard_samples : 1, rc = 0;
    if (N > 256) N = 256;
    ut_progress pb;
    ut_progress_start(&pb, "hard prompts", n);
    if (o->quiet) pb.quiet = 1;
    smp_seq *q = ut_calloc((size_t)GR_HARD_BATCH * N, sizeof *q);
    rw_score *sc = ut_calloc((size_t)GR_HARD_BATCH * N, sizeof *sc);
    const char **texts = ut_calloc((size_t)GR_HARD_BATCH * N, sizeof *texts);
    for (int i0 = 0; i0 < n && !rc; i0 += GR_HARD_BATCH) {
        int P = n - i0 < GR_HARD_BATCH ? n - i0 : GR_HARD_BATCH, item_of[GR_HARD_BATCH], *ids[GR_HARD_BATCH] = {0},
            plen[GR_HARD_BATCH];
        for (int j = 0; j < P; j++) item_of[j] = i0 + j;
        /* one seed per batch of prompts: the flags depend on (seed, GR_HARD_BATCH), not on threads */
        rc = gr_sample_items(smp, m, o, items, item_of, P, N, gr_mix(o->seed ^ 0x4841524455ULL, (uint64_t)i0), ids,
                             plen, q);
        if (!rc) {
            for (int k = 0; k < P * N; k++) texts[k] = q[k].text ? q[k].text : "";
            rc = gr_reward_groups(o, item_of, texts, P, N, sc);
            for (int j = 0; j < P && !rc; j++) {
                double best = -INFINITY;
                for (int k = 0; k < N; k++)
                    if (sc[j * N + k].reward > best) best = sc[j * N + k].reward;
                hard[i0 + j] = best < o->hard_tau;
            }
            for (int k = 0; k < P * N; k++) smp_seq_free(&q[k]);
        }
        for (int j = 0; j < P; j++) free(ids[j]);
        ut_progress_update(&pb, i0 + P);
    }
    ut_progress_finish(&pb);
    free(q);
    free(sc);
    free(texts);
    smp_free(smp);
    return rc;
}

/* ------------------------------------------------------------------ one step */

typedef struct {
    nn_model *m;
    const gr_item *items;
    int n;
    const gr_options *o;
    const unsigned char *hard;
    smp_sampler *smp;
    gr_picker pick;
    int *in, *tg;
    float *w;
    size_t cap;
} gr_run;

/* grows the row buffers to hold B rows of T */
static void gr_buffers(gr_run *r, size_t need) {
    if (need <= r->cap) return;
    r->cap = need;
    r->in = ut_realloc(r->in, sizeof(int) * need);
    r->tg = ut_realloc(r->tg, sizeof(int) * need);
    r->w = ut_realloc(r->w, sizeof(float) * need);
}

/* rollouts and rewards of step s into members (P groups of G); fills the stats' reward part.
 * All P prompts x G rollouts are sampled as one batch (smp_generate_multi); a hard prompt's last
 * rollout is replaced by its reference answer (the off-policy member). */
static int gr_rollouts(gr_run *r, long s, gr_member *mem, int *item_of, gr_step_stats *st, long *ntok) {
    const gr_options *o = r->o;
    int P = o->prompts, G = o->group, ctx = r->m->cfg.max_position_embeddings, rc = 0;
    double t0 = ut_now();
    int **ids = ut_calloc((size_t)P, sizeof *ids), *plen = ut_calloc((size_t)P, sizeof(int));
    for (int j = 0; j < P; j++) item_of[j] = gr_pick(&r->pick, o, s, j);
    smp_seq *q = ut_calloc((size_t)P * G, sizeof *q);
    rc = gr_sample_items(r->smp, r->m, o, r->items, item_of, P, G, gr_mix(o->seed, (uint64_t)s), ids, plen, q);
    for (int j = 0; j < P && !rc; j++) {
        int off = o->guidance && r->hard[item_of[j]];
        for (int k = 0; k < G; k++) {
            gr_member *g = &mem[j * G + k];
            smp_seq *x = &q[j * G + k];
            g->group = j;
            if (off && k == G - 1) {
                gr_reference(o, &r->items[item_of[j]], ctx, g);
                continue;
            }
            g->len = plen[j] + x->ntokens;
            g->astart = plen[j];
            g->tok = ut_malloc(sizeof(int) * (size_t)(g->len + 1));
            memcpy(g->tok, ids[j], sizeof(int) * (size_t)plen[j]);
            memcpy(g->tok + plen[j], x->tokens, sizeof(int) * (size_t)x->ntokens);
            g->old_lp = ut_malloc(sizeof(float) * (size_t)(x->ntokens + 1));
            memcpy(g->old_lp, x->logprobs, sizeof(float) * (size_t)x->ntokens);
            g->text = x->text ? x->text : ut_strdup("");
            x->text = NULL;
            g->image = r->items[item_of[j]].image, g->nimage = r->items[item_of[j]].nimage;
            *ntok += x->ntokens;
        }
    }
    for (int i = 0; i < P * G; i++) smp_seq_free(&q[i]);
    free(q);
    for (int j = 0; j < P; j++) free(ids[j]);
    free(ids);
    free(plen);
    if (rc) return -1;
    st->sample_s = ut_now() - t0;
    t0 = ut_now();
    const char **texts = ut_malloc(sizeof *texts * (size_t)P * G);
    rw_score *sc = ut_malloc(sizeof *sc * (size_t)P * G);
    for (int i = 0; i < P * G; i++) texts[i] = mem[i].text;
    rc = gr_reward_groups(o, item_of, texts, P, G, sc);
    for (int i = 0; i < P * G && !rc; i++)
        mem[i].reward = sc[i].reward, mem[i].valid = sc[i].valid, mem[i].iou = sc[i].iou_best;
    free(texts);
    free(sc);
    st->reward_s = ut_now() - t0;
    return rc;
}

/* advantages, weights, forward/backward and the optimiser step */
static int gr_update(gr_run *r, gr_member *mem, int nmem, opt_adamw *opt, long warmup, gr_step_stats *st) {
    const gr_options *o = r->o;
    int G = o->group, P = o->prompts;
    double t0 = ut_now();
    /* advantages per group */
    for (int j = 0; j < P; j++) {
        double rew[256], adv[256];
        for (int k = 0; k < G; k++) rew[k] = mem[j * G + k].reward;
        int keep = gr_advantages(rew, G, o->std_norm, adv);
        st->skipped_groups += !keep;
        for (int k = 0; k < G; k++) mem[j * G + k].keep = keep, mem[j * G + k].adv = keep ? adv[k] : 0;
    }
    gr_member **list = ut_malloc(sizeof *list * (size_t)(nmem ? nmem : 1));
    int nlist = 0;
    long N = 0;
    for (int i = 0; i < nmem; i++)
        if (mem[i].keep && mem[i].len > mem[i].astart) list[nlist++] = &mem[i], N += mem[i].len - mem[i].astart;
    int micro = o->micro_rows > 0 ? o->micro_rows : 8, rc = 0;
    int ctx = r->m->cfg.max_position_embeddings;
    gr_buffers(r, (size_t)micro * ctx);
    /* reference log-probabilities (KL) and the current ones of the off-policy members */
    if (nlist && o->kl_beta > 0 && o->ref_model) rc = gr_logprobs((nn_model *)o->ref_model, list, nlist, micro, 1, r->in, r->tg, o->image_token_id);
    double kl = 0;
    long nkl = 0;
    for (int e = 0; !rc && e < (o->epochs > 0 ? o->epochs : 1) && nlist; e++) {
        /* current log pi: needed for the off-policy weights, and for the ratio after the first epoch */
        gr_member **need = ut_malloc(sizeof *need * (size_t)nlist);
        int nn = 0;
        for (int i = 0; i < nlist; i++)
            if (list[i]->off || e > 0) need[nn++] = list[i];
        if (nn) rc = gr_logprobs(r->m, need, nn, micro, 0, r->in, r->tg, o->image_token_id);
        free(need);
        if (rc) break;
        nn_zero_grad(r->m);
        for (int first = 0; first < nlist && !rc; first += micro) {
            int B = nlist - first < micro ? nlist - first : micro;
            int T = gr_rows(list + first, B, r->in, r->tg);
            for (int b = 0; b < B; b++) {
                gr_member *g = list[first + b];
                for (int t = 0; t < T; t++) {
                    float *w = &r->w[b * T + t];
                    *w = 0;
                    int k = t + 1 - g->astart; /* answer token index of target t */
                    if (r->tg[b * T + t] < 0 || k < 0) continue;
                    double lp = g->off || e > 0 ? g->cur_lp[k] : g->old_lp[k];
                    double wt = g->off ? gr_weight_off(g->adv, lp, o->gamma)
                                       : gr_weight_on(g->adv, e > 0 ? exp(lp - g->old_lp[k]) : 1.0, o->clip_eps);
                    if (o->kl_beta > 0 && g->ref_lp && !g->off) {
                        wt += gr_weight_kl(lp, g->ref_lp[k], o->kl_beta);
                        if (e == 0) kl += gr_k3(lp, g->ref_lp[k]), nkl++;
                    }
                    *w = (float)wt;
                }
            }
            if (gr_image_rows(r->m, list + first, B, T, r->in, o->image_token_id) ||
                nn_forward(r->m, r->in, r->tg, r->w, (float)N, B, T) || nn_backward(r->m))
                rc = -1;
        }
        if (rc) break;
        float lr = opt_lr(opt->step, warmup, o->steps, o->lr, o->lr_min);
        if (e + 1 < o->epochs) {
            long keep_step = opt->step;
            opt_step(opt, lr);
            opt->step = keep_step; /* extra epochs refine the same step */
        } else
            opt_step(opt, lr);
    }
    if (!nlist && !rc) opt->step++; /* every group skipped: the step still counts */
    st->kl = nkl ? kl / nkl : NAN;
    free(list);
    st->update_s = ut_now() - t0;
    return rc;
}

/* the step's statistics from its members */
static void gr_stats(const gr_run *r, const gr_member *mem, const int *item_of, long ntok, gr_step_stats *st) {
    const gr_options *o = r->o;
    int G = o->group, P = o->prompts, on = 0, invalid = 0, nv = 0, nh = 0;
    double rsum = 0, rmax = 0, iou = 0, ent = 0;
    long nent = 0;
    double lsum[GR_LEVELS] = {0};
    int lcnt[GR_LEVELS] = {0};
    for (int j = 0; j < P; j++) {
        double best = -INFINITY;
        int lvl = r->items[item_of[j]].level;
        nh += o->guidance && r->hard[item_of[j]];
        for (int k = 0; k < G; k++) {
            const gr_member *g = &mem[j * G + k];
            if (g->off) {
                st->offpolicy++;
                continue;
            }
            on++;
            rsum += g->reward;
            if (g->reward > best) best = g->reward;
            invalid += !g->valid;
            if (g->valid && isfinite(g->iou)) iou += g->iou, nv++;
            for (int t = 0; t < g->len - g->astart; t++) ent -= g->old_lp[t], nent++;
            if (lvl >= 0 && lvl < GR_LEVELS) lsum[lvl] += g->reward, lcnt[lvl]++;
        }
        rmax += best / P;
    }
    st->groups = P;
    st->reward_mean = on ? rsum / on : NAN;
    st->reward_max = rmax;
    st->ir = on ? 100.0 * invalid / on : NAN;
    st->iou_best = nv ? iou / nv : NAN;
    st->hard = (double)nh / P;
    st->skipped = (double)st->skipped_groups / P;
    st->entropy = nent ? ent / nent : NAN;
    double el = st->sample_s + st->reward_s + st->update_s;
    st->tokens_per_s = st->sample_s > 0 ? ntok / st->sample_s : 0;
    st->rollouts_per_s = el > 0 ? on / el : 0;
    for (int l = 0; l < GR_LEVELS; l++) st->reward_level[l] = lcnt[l] ? lsum[l] / lcnt[l] : NAN;
}

/* ------------------------------------------------------------------ the loop */

static int gr_check(const nn_model *m, const gr_item *items, int n, const gr_options *o) {
    if (!o->out_dir) return ut_fail("grpo: no output folder");
    if (n < 1) return ut_fail("grpo: no prompts");
    if (!o->reward.fn) return ut_fail("grpo: no reward");
    if (!o->tok) return ut_fail("grpo: no tokenizer");
    if (o->prompts < 1 || o->prompts > 1024) return ut_fail("grpo: prompts per step %d out of range [1, 1024]", o->prompts);
    if (o->group < 2 || o->group > 256) return ut_fail("grpo: group size %d out of range [2, 256]", o->group);
    if (o->steps < 1) return ut_fail("grpo: steps must be >= 1");
    if (o->kl_beta > 0 && !o->ref_model) return ut_fail("grpo: a KL weight needs a reference model");
    if (o->ref_model && o->ref_model->cfg.vocab_size != m->cfg.vocab_size)
        return ut_fail("grpo: the reference model's vocabulary differs from the model's");
    if (tok_vocab_size(o->tok) > m->cfg.vocab_size)
        return ut_fail("grpo: the tokenizer has %d ids but the model's vocabulary is %d", tok_vocab_size(o->tok), m->cfg.vocab_size);
    for (int i = 0; i < n; i++) {
        if (!items[i].image) continue;
        if (items[i].nimage < 1) return ut_fail("grpo: item %d is a picture without picture tokens", i);
        int P, *ids = gr_prompt_ids(o, &items[i], &P); /* the marker, the placeholder id */
        if (!ids) return ut_fail("grpo: item %d: %s", i, ut_error());
        free(ids);
    }
    return 0;
}

int gr_train(nn_model *m, const gr_item *items, int n, const gr_options *o, gr_result *res) {
    memset(res, 0, sizeof *res);
    if (gr_check(m, items, n, o) || ut_mkdirs(o->out_dir)) return -1;
    opt_hparams hp = {o->lr, o->beta1, o->beta2, o->eps, o->weight_decay, o->clip};
    opt_adamw opt;
    opt_init(&opt, m, &hp);
    int rc = 0, resumed = 0;
    if (o->resume) {
        int k = gr_load(o->out_dir, m, &opt);
        if (k < 0) rc = -1;
        resumed = k == 0;
    }
    unsigned char *hard = ut_calloc((size_t)n, 1);
    if (!rc && o->guidance) {
        char hpath[4200];
        snprintf(hpath, sizeof hpath, "%s/hard.json", o->out_dir);
        int k = resumed ? gr_hard_io(hpath, o, hard, n, 0) : 1;
        if (k == 1 && o->hard_from) {
            k = gr_hard_io(o->hard_from, o, hard, n, 0);
            if (k == 1) k = ut_fail("%s: cannot read the hard-prompt flags", o->hard_from);
            if (k == 0) k = gr_hard_io(hpath, o, hard, n, 1);
        } else if (k == 1 && !(k = gr_find_hard(m, items, n, o, hard)))
            k = gr_hard_io(hpath, o, hard, n, 1);
        if (k) rc = -1;
    }
    for (int i = 0; i < n; i++) res->hard += hard[i];
    rl_log log;
    char path[4200];
    snprintf(path, sizeof path, "%s/metrics.csv", o->out_dir);
    if (rc || rl_open(&log, path, gr_cols, GR_NCOLS, resumed ? opt.step : -1)) {
        free(hard);
        opt_free(&opt);
        return -1;
    }
    gr_run run = {m, items, n, o, hard, smp_new(m), {0}, NULL, NULL, NULL, 0};
    gr_picker_init(&run.pick, items, n, o);
    res->start_step = opt.step;
    long warmup = o->warmup >= 0 ? o->warmup : o->steps / 20, end = o->steps;
    if (o->stop_after > 0 && o->stop_after < end) end = o->stop_after;
    int G = o->group, P = o->prompts;
    gr_member *mem = ut_calloc((size_t)P * G, sizeof *mem);
    int *item_of = ut_calloc((size_t)P, sizeof(int));
    ut_progress pb;
    ut_progress_start(&pb, "grpo", end - opt.step);
    if (o->quiet) pb.quiet = 1;
    while (!rc && opt.step < end) {
        long s = opt.step, ntok = 0;
        gr_step_stats st;
        memset(&st, 0, sizeof st);
        memset(mem, 0, sizeof *mem * (size_t)P * G);
        rc = gr_rollouts(&run, s, mem, item_of, &st, &ntok);
        if (!rc) rc = gr_update(&run, mem, P * G, &opt, warmup, &st);
        if (!rc) {
            gr_stats(&run, mem, item_of, ntok, &st);
            double row[GR_NCOLS];
            gr_row(&st, row);
            rl_add(&log, opt.step, row);
            res->last = st;
            res->steps_done = opt.step;
            if (o->log_every > 0 && opt.step % o->log_every == 0) rc = gr_flush(&log, o->out_dir);
            if (!rc && ((o->ckpt_every > 0 && opt.step % o->ckpt_every == 0) || opt.step == end))
                rc = gr_save(o->out_dir, m, &opt, o, n);
        }
        for (int i = 0; i < P * G; i++) gr_member_free(&mem[i]);
        ut_progress_update(&pb, opt.step - res->start_step);
    }
    ut_progress_finish(&pb);
    if (!rc) rc = gr_flush(&log, o->out_dir);
    if (!rc && opt.step == o->steps) {
        snprintf(path, sizeof path, "%s/final", o->out_dir);
        rc = nn_save(m, path);
        if (!rc) {
            snprintf(path, sizeof path, "%s/final/tokenizer.json", o->out_dir);
            rc = tok_save(o->tok, path);
        }
    }
    nn_set_input_rows(m, NULL, NULL, 0); /* the last forward's picture tokens */
    res->steps_done = opt.step;
    free(mem);
    free(item_of);
    free(run.in), free(run.tg), free(run.w);
    smp_free(run.smp);
    gr_picker_free(&run.pick);
    rl_close(&log);
    free(hard);
    opt_free(&opt);
    return rc;
}
