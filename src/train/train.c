/* train.c - supervised training: data, batches, the loop; checkpoints go through ckpt.h and the
 * metrics through runlog.h (see train.h). */
#include "train/train.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/picture.h"
#include "base/util.h"
#include "data/jsonl.h"
#include "ml/chat.h"
#include "ml/opt.h"
#include "ml/tokenizer.h"
#include "train/ckpt.h"
#include "train/runlog.h"

#define TR_BYTE_EOS 256

/* ------------------------------------------------------------------ data */

void tr_data_init(tr_data *d) {
    memset(d, 0, sizeof *d);
    d->off = ut_malloc(sizeof(long));
    d->off[0] = 0;
    d->cap_n = 1;
}

void tr_data_free(tr_data *d) {
    for (int i = 0; d->image && i < d->n; i++) free(d->image[i]);
    free(d->image);
    free(d->off);
    free(d->tok);
    free(d->train);
    memset(d, 0, sizeof *d);
}

void tr_data_add(tr_data *d, const int *tokens, const unsigned char *train, int len) {
    long base = d->off[d->n];
    if (base + len > d->cap_tok) {
        long cap = d->cap_tok ? d->cap_tok : 1024;
        while (cap < base + len) cap *= 2;
        d->tok = ut_realloc(d->tok, (size_t)cap * sizeof(int));
        d->train = ut_realloc(d->train, (size_t)cap);
        d->cap_tok = cap;
    }
    memcpy(d->tok + base, tokens, (size_t)len * sizeof(int));
    memcpy(d->train + base, train, (size_t)len);
    if (d->n + 2 > d->cap_n) {
        d->cap_n = 2 * (d->n + 2);
        d->off = ut_realloc(d->off, (size_t)d->cap_n * sizeof(long));
    }
    if (d->image) {
        d->image = ut_realloc(d->image, (size_t)d->cap_n * sizeof *d->image);
        d->image[d->n] = NULL;
    }
    d->off[++d->n] = base + len;
}

/* an image sample: tr_data_add, and its picture path */
static void tr_data_add_image(tr_data *d, const int *tokens, const unsigned char *train, int len, const char *image) {
    if (!d->image) d->image = ut_calloc((size_t)d->cap_n, sizeof *d->image);
    tr_data_add(d, tokens, train, len);
    d->image[d->n - 1] = ut_strdup(image);
    d->nimages++;
}

/* byte-level ids of s (no tokenizer) */
static int *tr_bytes(const char *s, int *n) {
    size_t len = strlen(s);
    int *ids = ut_malloc((len ? len : 1) * sizeof(int));
    for (size_t i = 0; i < len; i++) ids[i] = (unsigned char)s[i];
    *n = (int)len;
    return ids;
}

/* how records become samples */
typedef struct {
    tok_tokenizer *tok; /* NULL: byte-level */
    int eos;
    int with_prompt;    /* 0: an empty prompt in place of the record's */
    int pad, ntok;      /* image records: placeholder id and count (ntok 0: text records) */
} tr_load_opts;

/* the picture of an image record, checked to be a readable file; NULL + ut_error */
static char *tr_record_image(const jl_reader *r, const cJSON *rec) {
    const char *image;
    if (jl_str(r, rec, "image", &image)) return NULL;
    char *path = ut_path_beside(r->path, image);
    if (access(path, R_OK) || ut_is_dir(path)) {
        ut_fail("%s:%d: picture %s is not a readable file", r->path, r->line, path);
        free(path);
        return NULL;
    }
    return path;
}

/* one {"prompt", "answer"} record in the chat layout (ml/chat.h) ++ [eos], flags on the answer
 * and eos; image records also {"image"}, their prompt with the placeholders */
static int tr_add_record(tr_data *d, const jl_reader *r, const cJSON *rec, const tr_load_opts *lo) {
    const char *prompt = "", *answer;
    tok_tokenizer *tok = lo->tok;
    if ((lo->with_prompt && jl_str(r, rec, "prompt", &prompt)) || jl_str(r, rec, "answer", &answer)) return -1;
    char *image = NULL;
    if (lo->ntok && !(image = tr_record_image(r, rec))) return -1;
    int np = 0, na = 0, rc = 0, eos = lo->eos;
    int *ip = image ? chat_encode_image_prompt(tok, prompt, lo->pad, lo->ntok, &np)
              : tok ? chat_encode_prompt(tok, prompt, &np) : tr_bytes(prompt, &np);
    int *ia = tok ? chat_encode_answer(tok, answer, &na) : tr_bytes(answer, &na);
    if (!ip || !ia) rc = ut_fail("%s:%d: %s", r->path, r->line, ut_error());
    else {
        int n = np + na + 1;
        int *ids = ut_malloc((size_t)n * sizeof(int));
        unsigned char *fl = ut_malloc((size_t)n);
        memcpy(ids, ip, (size_t)np * sizeof(int));
        memcpy(ids + np, ia, (size_t)na * sizeof(int));
        ids[n - 1] = eos;
        for (int i = 0; i < n; i++) fl[i] = i >= np;
        if (image) tr_data_add_image(d, ids, fl, n, image);
        else tr_data_add(d, ids, fl, n);
        free(ids);
        free(fl);
    }
    free(ip);
    free(ia);
    free(image);
    return rc;
}

static int tr_data_load(tr_data *d, const char *path, tr_load_opts *lo) {
    lo->eos = TR_BYTE_EOS;
    if (lo->tok) {
        lo->eos = tok_special_id(lo->tok, "<|endoftext|>");
        if (lo->eos < 0) return ut_fail("%s: the tokenizer has no <|endoftext|> special token", path);
    }
    jl_reader r;
    if (jl_open(&r, path, 0)) return -1;
    int rc, added = 0;
    cJSON *rec;
    while ((rc = jl_next(&r, &rec)) == 1) {
        if (tr_add_record(d, &r, rec, lo)) {
            rc = -1;
            break;
        }
        added++;
    }
    jl_close(&r);
    if (!rc && !added) rc = ut_fail("%s: no samples", path);
    return rc;
}

int tr_data_load_jsonl(tr_data *d, const char *path, tok_tokenizer *tok) {
    tr_load_opts lo = {.tok = tok, .with_prompt = 1};
    return tr_data_load(d, path, &lo);
}

int tr_data_load_answers(tr_data *d, const char *path, tok_tokenizer *tok) {
    tr_load_opts lo = {.tok = tok};
    return tr_data_load(d, path, &lo);
}

int tr_data_load_images(tr_data *d, const char *path, tok_tokenizer *tok, int pad, int num_tokens) {
    if (!tok) return ut_fail("%s: image samples need a tokenizer (the placeholder is a special token)", path);
    if (num_tokens < 1) return ut_fail("%s: image samples need at least one placeholder per picture", path);
    tr_load_opts lo = {.tok = tok, .with_prompt = 1, .pad = pad, .ntok = num_tokens};
    return tr_data_load(d, path, &lo);
}

/* ------------------------------------------------------------------ options */

tr_options tr_defaults(void) {
    tr_options o;
    memset(&o, 0, sizeof o);
    o.steps = 1000;
    o.batch = 8;
    o.seq = 512;
    o.lr = 3e-4f;
    o.lr_min = 3e-5f;
    o.warmup = -1; /* steps / 20 */
    o.weight_decay = 0.1f;
    o.clip = 1.0f;
    o.beta1 = 0.9f;
    o.beta2 = 0.95f;
    o.eps = 1e-8f;
    o.ckpt_every = 200;
    o.keep_ckpts = 2;
    o.val_samples = 256;
    o.log_every = 10;
    o.seed = 1;
    o.image_share = 0.5;
    return o;
}

/* ------------------------------------------------------------------ batches */

/* sample index of stream position g: entry g mod n of the shuffle of epoch g / n */
void tr_order_init(tr_order *o, int n, uint64_t seed) {
    o->epoch = -1;
    o->n = n;
    o->seed = seed;
    o->perm = ut_malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
}

void tr_order_free(tr_order *o) {
    free(o->perm);
    o->perm = NULL;
}

int tr_order_at(tr_order *o, long g) {
    long e = g / o->n;
    if (e != o->epoch) {
        ut_rng r;
        ut_rng_seed(&r, o->seed * 0x9E3779B97F4A7C15ull + (uint64_t)e);
        for (int i = 0; i < o->n; i++) o->perm[i] = i;
        for (int i = o->n - 1; i > 0; i--) {
            int j = (int)(ut_rng_u64(&r) % (uint64_t)(i + 1)), t = o->perm[i];
            o->perm[i] = o->perm[j];
            o->perm[j] = t;
        }
        o->epoch = e;
    }
    return o->perm[g % o->n];
}

/* fills inputs/targets (B, T) from sample idx[r] of src[r] (r < B), rows truncated to seq + 1
 * tokens; returns T (the longest row) and the target count */
static int tr_rows(const tr_data *const *src, const int *idx, int B, int seq, int *in, int *tg, long *ntarget) {
    int T = 1;
    for (int r = 0; r < B; r++) {
        long len = src[r]->off[idx[r] + 1] - src[r]->off[idx[r]] - 1; /* inputs of this row */
        if (len > seq) len = seq;
        if (len > T) T = (int)len;
    }
    *ntarget = 0;
    for (int r = 0; r < B; r++) {
        const tr_data *d = src[r];
        const int *x = d->tok + d->off[idx[r]];
        const unsigned char *fl = d->train + d->off[idx[r]];
        long len = d->off[idx[r] + 1] - d->off[idx[r]];
        for (int t = 0; t < T; t++) {
            int i = r * T + t;
            in[i] = t < len ? x[t] : 0;
            tg[i] = (t + 1 < len && fl[t + 1]) ? x[t + 1] : -1;
            *ntarget += tg[i] >= 0;
        }
    }
    return T;
}

/* the pictures of the batch's image rows, framed at side S into buf (B, S, S); img[r] points at
 * row r's picture or is NULL for a text row. Returns the number of pictures, or -1. */
static int tr_pictures(const tr_data *const *src, const int *idx, int B, int S, int threads, float *buf,
                       const float **img) {
    int n = 0, bad = -1;
    char err[600] = "";
    for (int r = 0; r < B; r++) n += (img[r] = src[r]->image ? src[r]->image[idx[r]] ? buf : NULL : NULL) != NULL;
    if (!n) return 0;
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (int r = 0; r < B; r++) {
        if (!img[r]) continue;
        pic_gray g;
        if (pic_load_framed(src[r]->image[idx[r]], S, &g)) {
#pragma omp critical(tr_pictures_err)
            if (bad < 0 || r < bad) bad = r, snprintf(err, sizeof err, "%s", ut_error());
            continue;
        }
        float *dst = buf + (size_t)r * S * S;
        memcpy(dst, g.v, (size_t)S * S * sizeof(float));
        img[r] = dst;
        pic_free(&g);
    }
    if (bad >= 0) return ut_fail("train: %s", err);
    return n;
}

/* the rows of step s: sources and sample indices of the B rows (text rows first, then image
 * rows; see train.h for the share) */
static void tr_step_rows(const tr_data *d, tr_order *ord, const tr_data *im, tr_order *iord, double share, long s, int B,
                         const tr_data **src, int *idx) {
    long i0 = 0, ni = 0;
    if (im) {
        i0 = (long)floor((double)s * B * share);
        ni = (long)floor((double)(s + 1) * B * share) - i0;
        if (ni > B) ni = B;
    }
    long t0 = s * B - i0;
    for (int r = 0; r < B - ni; r++) src[r] = d, idx[r] = tr_order_at(ord, t0 + r);
    for (int r = (int)(B - ni); r < B; r++) src[r] = im, idx[r] = tr_order_at(iord, i0 + r - (B - ni));
}

/* ------------------------------------------------------------------ run log */

/* metrics.csv: step,loss,lr,grad_norm,tokens_per_s[,val_loss][,val_image_loss][,hook columns] */
static const rl_col tr_cols[] = {{"loss", 'g', 9}, {"lr", 'g', 6}, {"grad_norm", 'g', 6}, {"tokens_per_s", 'f', 1}};
#define TR_NCOLS ((int)(sizeof tr_cols / sizeof tr_cols[0]))
#define TR_MAX_HOOK 8
#define TR_MAX_COLS (TR_NCOLS + 2 + TR_MAX_HOOK)

/* the columns of this run's log into cols; returns their count */
static int tr_columns(const tr_options *o, rl_col *cols) {
    int n = 0;
    for (int i = 0; i < TR_NCOLS; i++) cols[n++] = tr_cols[i];
    if (o->val) cols[n++] = (rl_col){"val_loss", 'g', 9};
    if (o->val_images) cols[n++] = (rl_col){"val_image_loss", 'g', 9};
    for (int i = 0; o->hook.fn && i < o->hook.nout && i < TR_MAX_HOOK; i++) cols[n++] = (rl_col){o->hook.names[i], 'g', 6};
    return n;
}

/* opens OUT/metrics.csv; resume_step >= 0 keeps the rows up to that step */
static int tr_log_open(rl_log *log, const tr_options *o, long resume_step) {
    char path[4200];
    rl_col cols[TR_MAX_COLS];
    snprintf(path, sizeof path, "%s/metrics.csv", o->out_dir);
    return rl_open(log, path, cols, tr_columns(o, cols), resume_step);
}

/* rewrites OUT/metrics.csv, OUT/loss.png and, with a hook, OUT/val.png */
static int tr_log_flush(const rl_log *log, const tr_options *o) {
    if (rl_write(log)) return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/loss.png", o->out_dir);
    const char *loss[3] = {"loss", NULL, NULL};
    int nl = 1;
    if (o->val) loss[nl++] = "val_loss";
    if (o->val_images) loss[nl++] = "val_image_loss";
    plot_opts po = {"training loss", "step", "loss", 800, 500};
    if (rl_plot(log, path, &po, loss, nl)) return -1;
    if (!o->hook.fn || o->hook.nout < 1) return 0;
    snprintf(path, sizeof path, "%s/val.png", o->out_dir);
    plot_opts pv = {"validation", "step", "value", 800, 500};
    return rl_plot(log, path, &pv, o->hook.names, o->hook.nout < TR_MAX_HOOK ? o->hook.nout : TR_MAX_HOOK);
}

/* buffers of one batch: token rows and the pictures of its image rows */
typedef struct {
    int *in, *tg;          /* (batch, seq) */
    float *pix;            /* (batch, S, S) pictures (NULL without an encoder) */
    const float **img;     /* (batch) */
    const tr_data **src;   /* (batch) */
    int *idx;              /* (batch) */
} tr_batchbuf;

/* the model's forward (loss in m->dec->loss) over rows src[r], idx[r]; ntarget: targets counted;
 * returns T, or -1 */
static int tr_forward(vl_model *m, const tr_options *o, tr_batchbuf *bb, int B, long *ntarget) {
    int T = tr_rows(bb->src, bb->idx, B, o->seq, bb->in, bb->tg, ntarget);
    int S = m->enc ? m->enc->cfg.image_size : 0;
    int npic = S ? tr_pictures(bb->src, bb->idx, B, S, nn_threads(m->dec), bb->pix, bb->img) : 0;
    if (npic < 0) return -1;
    if (vl_forward(m, bb->in, bb->tg, NULL, 0.0f, B, T, npic ? bb->img : NULL)) return -1;
    return T;
}

/* the mean masked cross-entropy over the first val_samples samples of v (forward only) */
static int tr_val_loss(vl_model *m, const tr_options *o, const tr_data *v, tr_batchbuf *bb, double *out) {
    int n = o->val_samples > 0 && o->val_samples < v->n ? o->val_samples : v->n;
    double sum = 0;
    long count = 0;
    for (int first = 0; first < n; first += o->batch) {
        int B = n - first < o->batch ? n - first : o->batch;
        for (int r = 0; r < B; r++) bb->src[r] = v, bb->idx[r] = first + r;
        long nt = 0;
        if (tr_forward(m, o, bb, B, &nt) < 0) return -1;
        if (!nt) continue;
        sum += (double)m->dec->loss * nt;
        count += nt;
    }
    *out = count ? sum / count : NAN;
    return 0;
}

/* the validation columns of row (after the TR_NCOLS training ones) */
static int tr_validate(vl_model *m, const tr_options *o, long step, tr_batchbuf *bb, double *row) {
    int k = TR_NCOLS;
    if (o->val && tr_val_loss(m, o, o->val, bb, &row[k++])) return -1;
    if (o->val_images && tr_val_loss(m, o, o->val_images, bb, &row[k++])) return -1;
    if (o->hook.fn) {
        double v[TR_MAX_HOOK];
        for (int i = 0; i < TR_MAX_HOOK; i++) v[i] = NAN;
        if (o->hook.fn(o->hook.ctx, m->dec, step, v)) return -1;
        for (int i = 0; i < o->hook.nout && i < TR_MAX_HOOK; i++) row[k++] = v[i];
    }
    return 0;
}

/* ------------------------------------------------------------------ checkpoints */

/* the files of a complete checkpoint folder (tokenizer.json is extra and optional) */
static const char *const tr_ckpt_files[] = {"config.json", "model.safetensors", "optimizer.safetensors", "trainer.json",
                                            NULL};

/* model weights + config, and the tokenizer when there is one, into dir */
static int tr_save_model(const vl_model *m, const tr_options *o, const char *dir) {
    if (vl_save(m, dir)) return -1;
    if (!o->tok) return 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    return tok_save(o->tok, path);
}

/* trainer.json: what resume needs to continue the same data order */
static cJSON *tr_state_json(const vl_opt *opt, const tr_options *o, int nsamples, float loss) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "step", (double)opt->dec.step);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    cJSON_AddStringToObject(j, "seed", seed);
    cJSON_AddNumberToObject(j, "batch", o->batch);
    cJSON_AddNumberToObject(j, "seq", o->seq);
    cJSON_AddNumberToObject(j, "samples", nsamples);
    if (o->images) {
        cJSON_AddNumberToObject(j, "image_samples", o->images->n);
        cJSON_AddNumberToObject(j, "image_share", o->image_share);
    }
    cJSON_AddNumberToObject(j, "steps", (double)o->steps);
    cJSON_AddNumberToObject(j, "loss", loss);
    return j;
}

/* the checkpoint files into dir */
static int tr_write_checkpoint(const char *dir, const vl_model *m, const vl_opt *opt, const tr_options *o, int nsamples,
                               float loss) {
    if (tr_save_model(m, o, dir)) return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    if (vl_opt_save(opt, path)) return -1;
    cJSON *j = tr_state_json(opt, o, nsamples, loss);
    int rc = ck_write_json(dir, "trainer.json", j);
    cJSON_Delete(j);
    return rc;
}

static int tr_save_checkpoint(const char *out, const vl_model *m, const vl_opt *opt, const tr_options *o, int nsamples,
                              float loss) {
    char dir[4096];
    long step = opt->dec.step;
    if (ck_begin(out, step, dir, sizeof dir)) return -1;
    if (tr_write_checkpoint(dir, m, opt, o, nsamples, loss)) {
        ck_abort(out, step);
        return -1;
    }
    return ck_commit(out, step, o->keep_ckpts);
}

/* warns when the batch size, seed or data sets differ from the checkpoint's */
static int tr_check_state(const char *dir, const tr_options *o, int nsamples) {
    cJSON *j = ck_read_json(dir, "trainer.json");
    if (!j) return -1;
    const cJSON *b = cJSON_GetObjectItem(j, "batch"), *sd = cJSON_GetObjectItem(j, "seed");
    const cJSON *ns = cJSON_GetObjectItem(j, "samples"), *ni = cJSON_GetObjectItem(j, "image_samples");
    const cJSON *sh = cJSON_GetObjectItem(j, "image_share");
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    int same_images = o->images ? cJSON_IsNumber(ni) && ni->valueint == o->images->n && cJSON_IsNumber(sh) &&
                                      sh->valuedouble == o->image_share
                                : !ni;
    if (!cJSON_IsNumber(b) || b->valueint != o->batch || !cJSON_IsString(sd) || strcmp(sd->valuestring, seed) ||
        !cJSON_IsNumber(ns) || ns->valueint != nsamples || !same_images)
        fprintf(stderr, "recad train: warning: batch size, seed or data differ from the checkpoint's; the data order "
                        "will not continue the interrupted run exactly\n");
    cJSON_Delete(j);
    return 0;
}

/* loads the checkpoint to resume from into m and opt; 1 when OUT holds none */
static int tr_load_checkpoint(const char *out, vl_model *m, vl_opt *opt, const tr_options *o, int nsamples) {
    char dir[4096], path[4200];
    long step;
    int r = ck_latest(out, tr_ckpt_files, dir, sizeof dir, &step);
    if (r) return r;
    snprintf(path, sizeof path, "%s/config.json", dir);
    nn_config c;
    vt_config vc;
    int id, has = vl_config_load(path, &c, &vc, &id);
    if (has < 0) return -1;
    if (!vl_same_shape(m, &c, has ? &vc : NULL, id))
        return ut_fail("%s: checkpoint model shape differs from the configured model", path);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (nn_load_weights(m->dec, path) || (m->enc && vt_load_weights(m->enc, path))) return -1;
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    if (vl_opt_load(opt, path)) return -1;
    if (opt->dec.step != step)
        return ut_fail("%s: optimiser step %ld does not match the folder's step %ld", path, opt->dec.step, step);
    return tr_check_state(dir, o, nsamples);
}

/* ------------------------------------------------------------------ the loop */

/* every token id of d below the vocabulary size; what names the set in the message */
static int tr_check_ids(const tr_data *d, int V, const char *what) {
    for (long i = 0; i < d->off[d->n]; i++)
        if (d->tok[i] < 0 || d->tok[i] >= V) return ut_fail("train: %stoken id %d does not fit vocab_size %d", what, d->tok[i], V);
    return 0;
}

/* image samples: the model has an encoder, each sample's placeholders lie inside seq tokens */
static int tr_check_images(const vl_model *m, const tr_data *d, const tr_options *o, const char *what) {
    if (!d) return 0;
    if (d->n < 1) return ut_fail("train: no %simage samples", what);
    if (!m->enc) return ut_fail("train: %simage samples need a model with a vision encoder (--vision)", what);
    for (int k = 0; k < d->n; k++) {
        if (!d->image || !d->image[k]) return ut_fail("train: %simage sample %d has no picture", what, k + 1);
        long last = -1, n = 0;
        for (long i = d->off[k]; i < d->off[k + 1]; i++)
            if (d->tok[i] == m->image_token_id) last = i - d->off[k], n++;
        if (n != m->enc->cfg.num_tokens)
            return ut_fail("train: %simage sample %d has %ld image placeholders (id %d); the encoder gives %d", what, k + 1, n,
                           m->image_token_id, m->enc->cfg.num_tokens);
        if (last >= o->seq)
            return ut_fail("train: %simage sample %d has its last image placeholder at token %ld, beyond seq %d", what, k + 1,
                           last + 1, o->seq);
    }
    return 0;
}

static int tr_check_inputs(const vl_model *vm, const tr_data *d, const tr_options *o) {
    const nn_model *m = vm->dec;
    if (!o->out_dir) return ut_fail("train: no output folder");
    if (d->n < 1) return ut_fail("train: no samples");
    if (o->batch < 1 || o->batch > 1024) return ut_fail("train: batch %d out of range [1, 1024]", o->batch);
    if (o->seq < 1 || o->seq > m->cfg.max_position_embeddings)
        return ut_fail("train: seq %d out of range [1, max_position_embeddings %d]", o->seq, m->cfg.max_position_embeddings);
    if (o->steps < 1) return ut_fail("train: steps must be >= 1");
    if (d->nimages) return ut_fail("train: the text samples hold %d image samples (give them as o.images)", d->nimages);
    if (tr_check_ids(d, m->cfg.vocab_size, "")) return -1;
    if (o->val && o->val->n < 1) return ut_fail("train: no validation samples");
    if (o->val && tr_check_ids(o->val, m->cfg.vocab_size, "validation ")) return -1;
    if (o->images && !(o->image_share > 0 && o->image_share <= 1))
        return ut_fail("train: image share %g outside (0, 1]", o->image_share);
    if (tr_check_images(vm, o->images, o, "") || tr_check_images(vm, o->val_images, o, "validation ")) return -1;
    if (o->images && tr_check_ids(o->images, m->cfg.vocab_size, "image sample ")) return -1;
    if (o->val_images && tr_check_ids(o->val_images, m->cfg.vocab_size, "validation image sample ")) return -1;
    if (o->hook.fn && (o->hook.nout < 1 || o->hook.nout > TR_MAX_HOOK || !o->hook.names))
        return ut_fail("train: a validation hook gives 1 to %d named values", TR_MAX_HOOK);
    return 0;
}

/* loads the checkpoint to continue from (with resume) and opens the run log, keeping its rows up
 * to the resumed step */
static int tr_start(vl_model *m, const tr_data *d, const tr_options *o, vl_opt *opt, rl_log *log) {
    int resumed = 0;
    if (o->resume) {
        int r = tr_load_checkpoint(o->out_dir, m, opt, o, d->n);
        if (r < 0) return -1;
        resumed = r == 0;
    } else {
        char lp[4200];
        snprintf(lp, sizeof lp, "%s/latest", o->out_dir);
        if (access(lp, F_OK) == 0)
            fprintf(stderr, "recad train: warning: %s already holds checkpoints; starting over (--resume continues)\n",
                    o->out_dir);
    }
    return tr_log_open(log, o, resumed ? opt->dec.step : -1);
}

/* the data streams: text and image orders */
typedef struct {
    const tr_data *d;
    tr_order ord, iord;
} tr_streams;

/* one update on the batch of step opt->dec.step; its metrics row (TR_NCOLS values) into row.
 * Returns the batch width T, or -1. */
static int tr_update(vl_model *m, tr_streams *st, const tr_options *o, vl_opt *opt, long warmup, tr_batchbuf *bb,
                     double *row) {
    double t0 = ut_now();
    long s = opt->dec.step, ntarget = 0;
    tr_step_rows(st->d, &st->ord, o->images, &st->iord, o->image_share, s, o->batch, bb->src, bb->idx);
    vl_zero_grad(m);
    int T = tr_forward(m, o, bb, o->batch, &ntarget);
    if (T < 0 || vl_backward(m)) return -1;
    float loss = m->dec->loss;
    if (!isfinite(loss)) return ut_fail("train: loss became %f at step %ld (lower the learning rate?)", loss, s + 1);
    float lr = opt_lr(s, warmup, o->steps, o->lr, o->lr_min);
    double gn = vl_opt_step(opt, lr);
    double dt = ut_now() - t0;
    row[0] = loss;
    row[1] = lr;
    row[2] = (float)gn;
    row[3] = (double)o->batch * T / dt;
    return T;
}

static void tr_batchbuf_init(tr_batchbuf *bb, const vl_model *m, const tr_options *o) {
    size_t N = (size_t)o->batch * o->seq, S = m->enc ? (size_t)m->enc->cfg.image_size : 0;
    bb->in = ut_malloc(N * sizeof(int));
    bb->tg = ut_malloc(N * sizeof(int));
    bb->pix = S ? ut_malloc((size_t)o->batch * S * S * sizeof(float)) : NULL;
    bb->img = ut_calloc((size_t)o->batch, sizeof *bb->img);
    bb->src = ut_calloc((size_t)o->batch, sizeof *bb->src);
    bb->idx = ut_calloc((size_t)o->batch, sizeof *bb->idx);
}

static void tr_batchbuf_free(tr_batchbuf *bb) {
    free(bb->in), free(bb->tg), free(bb->pix), free(bb->img), free(bb->src), free(bb->idx);
}

int tr_train(nn_model *m, const tr_data *d, const tr_options *o, tr_result *res) {
    vl_model vm = {.dec = m, .image_token_id = -1};
    int rc = tr_train_vl(&vm, d, o, res);
    free(vm.img_buf);
    free(vm.slots);
    return rc;
}

int tr_train_vl(vl_model *m, const tr_data *d, const tr_options *o, tr_result *res) {
    memset(res, 0, sizeof *res);
    if (tr_check_inputs(m, d, o) || nn_set_bf16(m->dec, o->bf16) || ut_mkdirs(o->out_dir)) return -1;
    long warmup = o->warmup >= 0 ? o->warmup : o->steps / 20;
    opt_hparams hp = {o->lr, o->beta1, o->beta2, o->eps, o->weight_decay, o->clip};
    vl_opt opt;
    vl_opt_init(&opt, m, &hp);
    rl_log log;
    if (tr_start(m, d, o, &opt, &log)) {
        vl_opt_free(&opt);
        return -1;
    }
    res->start_step = opt.dec.step;
    res->losses = ut_calloc((size_t)o->steps + 1, sizeof(float));
    for (int i = 0; i < log.n; i++)
        if (log.step[i] >= 1 && log.step[i] <= o->steps) res->losses[log.step[i] - 1] = (float)rl_get(&log, i, 0);
    tr_batchbuf bb;
    tr_batchbuf_init(&bb, m, o);
    tr_streams st = {.d = d};
    tr_order_init(&st.ord, d->n, o->seed);
    tr_order_init(&st.iord, o->images ? o->images->n : 1, o->seed ^ 0x1A6E5EEDull);
    long end = o->steps;
    if (o->stop_after > 0 && o->stop_after < end) end = o->stop_after;
    ut_progress pb;
    char label[96] = "train";
    ut_progress_start(&pb, label, end - opt.dec.step);
    if (o->quiet) pb.quiet = 1;
    double t_run = ut_now(), tokens_run = 0;
    float loss = NAN;
    int rc = 0;
    while (opt.dec.step < end && !rc) {
        double row[TR_MAX_COLS];
        for (int i = 0; i < TR_MAX_COLS; i++) row[i] = NAN;
        int T = tr_update(m, &st, o, &opt, warmup, &bb, row);
        if (T < 0) {
            rc = -1;
            break;
        }
        long step = opt.dec.step;
        loss = (float)row[0];
        tokens_run += (double)o->batch * T;
        if (o->max_seconds > 0 && ut_now() - t_run >= o->max_seconds && step < end) end = step;
        int validate = (o->val || o->val_images || o->hook.fn) &&
                       ((o->eval_every > 0 && step % o->eval_every == 0) || step == o->steps || step == end);
        if (validate && tr_validate(m, o, step, &bb, row)) {
            rc = -1;
            break;
        }
        rl_add(&log, step, row);
        res->losses[step - 1] = loss;
        if (!res->steps_done && step == res->start_step + 1) res->first_loss = loss;
        res->steps_done = step;
        snprintf(label, sizeof label, "train loss %.4f", loss);
        ut_progress_update(&pb, step - res->start_step);
        if (o->log_every > 0 && step % o->log_every == 0 && tr_log_flush(&log, o)) rc = -1;
        if (!rc && ((o->ckpt_every > 0 && step % o->ckpt_every == 0) || step == end))
            rc = tr_save_checkpoint(o->out_dir, m, &opt, o, d->n, loss);
    }
    ut_progress_finish(&pb);
    if (!rc) rc = tr_log_flush(&log, o);
    if (!rc && opt.dec.step == o->steps) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/final", o->out_dir);
        rc = tr_save_model(m, o, dir);
    }
    res->steps_done = opt.dec.step;
    res->last_loss = loss;
    double el = ut_now() - t_run;
    res->tokens_per_s = el > 0 ? tokens_run / el : 0;
    tr_batchbuf_free(&bb);
    tr_order_free(&st.ord);
    tr_order_free(&st.iord);
    rl_close(&log);
    vl_opt_free(&opt);
    return rc;
}
