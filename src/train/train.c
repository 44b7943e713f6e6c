/* train.c - supervised training: data, batches, the loop; checkpoints go through ckpt.h and the
 * metrics through runlog.h (see train.h). */
#include "train/train.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    d->off[++d->n] = base + len;
}

/* byte-level ids of s (no tokenizer) */
static int *tr_bytes(const char *s, int *n) {
    size_t len = strlen(s);
    int *ids = ut_malloc((len ? len : 1) * sizeof(int));
    for (size_t i = 0; i < len; i++) ids[i] = (unsigned char)s[i];
    *n = (int)len;
    return ids;
}

/* one {"prompt", "answer"} record in the chat layout (ml/chat.h) ++ [eos], flags on the answer
 * and eos; with_prompt = 0 puts an empty prompt in its place */
static int tr_add_record(tr_data *d, const jl_reader *r, const cJSON *rec, tok_tokenizer *tok, int eos,
                         int with_prompt) {
    const char *prompt = "", *answer;
    if ((with_prompt && jl_str(r, rec, "prompt", &prompt)) || jl_str(r, rec, "answer", &answer)) return -1;
    int np = 0, na = 0, rc = 0;
    int *ip = tok ? chat_encode_prompt(tok, prompt, &np) : tr_bytes(prompt, &np);
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
        tr_data_add(d, ids, fl, n);
        free(ids);
        free(fl);
    }
    free(ip);
    free(ia);
    return rc;
}

static int tr_data_load(tr_data *d, const char *path, tok_tokenizer *tok, int with_prompt) {
    int eos = TR_BYTE_EOS;
    if (tok) {
        eos = tok_special_id(tok, "<|endoftext|>");
        if (eos < 0) return ut_fail("%s: the tokenizer has no <|endoftext|> special token", path);
    }
    jl_reader r;
    if (jl_open(&r, path, 0)) return -1;
    int rc, added = 0;
    cJSON *rec;
    while ((rc = jl_next(&r, &rec)) == 1) {
        if (tr_add_record(d, &r, rec, tok, eos, with_prompt)) {
            rc = -1;
            break;
        }
        added++;
    }
    jl_close(&r);
    if (!rc && !added) rc = ut_fail("%s: no samples", path);
    return rc;
}

int tr_data_load_jsonl(tr_data *d, const char *path, tok_tokenizer *tok) { return tr_data_load(d, path, tok, 1); }

int tr_data_load_answers(tr_data *d, const char *path, tok_tokenizer *tok) { return tr_data_load(d, path, tok, 0); }

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

/* fills inputs/targets (B, T) from samples idx[0..B) of d, rows truncated to seq + 1 tokens;
 * returns T (the longest row) and the target count */
static int tr_rows(const tr_data *d, const int *idx, int B, int seq, int *in, int *tg, long *ntarget) {
    int T = 1;
    for (int r = 0; r < B; r++) {
        long len = d->off[idx[r] + 1] - d->off[idx[r]] - 1; /* inputs of this row */
        if (len > seq) len = seq;
        if (len > T) T = (int)len;
    }
    *ntarget = 0;
    for (int r = 0; r < B; r++) {
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

/* fills inputs/targets (B, T) for step s; returns T (the longest row) and the target count */
static int tr_batch(const tr_data *d, tr_order *ord, long s, int B, int seq, int *in, int *tg, long *ntarget) {
    int idx[1024];
    for (int r = 0; r < B; r++) idx[r] = tr_order_at(ord, s * B + r);
    return tr_rows(d, idx, B, seq, in, tg, ntarget);
}

/* ------------------------------------------------------------------ run log */

/* metrics.csv: step,loss,lr,grad_norm,tokens_per_s[,val_loss[,hook columns]] */
static const rl_col tr_cols[] = {{"loss", 'g', 9}, {"lr", 'g', 6}, {"grad_norm", 'g', 6}, {"tokens_per_s", 'f', 1}};
#define TR_NCOLS ((int)(sizeof tr_cols / sizeof tr_cols[0]))
#define TR_MAX_HOOK 8
#define TR_MAX_COLS (TR_NCOLS + 1 + TR_MAX_HOOK)

/* the columns of this run's log into cols; returns their count */
static int tr_columns(const tr_options *o, rl_col *cols) {
    int n = 0;
    for (int i = 0; i < TR_NCOLS; i++) cols[n++] = tr_cols[i];
    if (o->val) cols[n++] = (rl_col){"val_loss", 'g', 9};
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
    static const char *const loss[] = {"loss", "val_loss"};
    plot_opts po = {"training loss", "step", "loss", 800, 500};
    if (rl_plot(log, path, &po, loss, o->val ? 2 : 1)) return -1;
    if (!o->hook.fn || o->hook.nout < 1) return 0;
    snprintf(path, sizeof path, "%s/val.png", o->out_dir);
    plot_opts pv = {"validation", "step", "value", 800, 500};
    return rl_plot(log, path, &pv, o->hook.names, o->hook.nout < TR_MAX_HOOK ? o->hook.nout : TR_MAX_HOOK);
}

/* the mean masked cross-entropy over the first val_samples validation samples (forward only) */
static int tr_val_loss(nn_model *m, const tr_options *o, int *in, int *tg, double *out) {
    const tr_data *v = o->val;
    int n = o->val_samples > 0 && o->val_samples < v->n ? o->val_samples : v->n;
    double sum = 0;
    long count = 0;
    for (int first = 0; first < n; first += o->batch) {
        int B = n - first < o->batch ? n - first : o->batch, idx[1024];
        for (int r = 0; r < B; r++) idx[r] = first + r;
        long nt = 0;
        int T = tr_rows(v, idx, B, o->seq, in, tg, &nt);
        if (!nt) continue;
        if (nn_forward(m, in, tg, NULL, 0.0f, B, T)) return -1;
        sum += (double)m->loss * nt;
        count += nt;
    }
    *out = count ? sum / count : NAN;
    return 0;
}

/* the validation columns of row (after the TR_NCOLS training ones) */
static int tr_validate(nn_model *m, const tr_options *o, long step, int *in, int *tg, double *row) {
    int k = TR_NCOLS;
    if (o->val && tr_val_loss(m, o, in, tg, &row[k++])) return -1;
    if (o->hook.fn) {
        double v[TR_MAX_HOOK];
        for (int i = 0; i < TR_MAX_HOOK; i++) v[i] = NAN;
        if (o->hook.fn(o->hook.ctx, m, step, v)) return -1;
        for (int i = 0; i < o->hook.nout && i < TR_MAX_HOOK; i++) row[k++] = v[i];
    }
    return 0;
}

/* ------------------------------------------------------------------ checkpoints */

/* the files of a complete checkpoint folder (tokenizer.json is extra and optional) */
static const char *const tr_ckpt_files[] = {"config.json", "model.safetensors", "optimizer.safetensors", "trainer.json",
                                            NULL};

/* model weights + config, and the tokenizer when there is one, into dir */
static int tr_save_model(const nn_model *m, const tr_options *o, const char *dir) {
    if (nn_save(m, dir)) return -1;
    if (!o->tok) return 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    return tok_save(o->tok, path);
}

/* trainer.json: what resume needs to continue the same data order */
static cJSON *tr_state_json(const opt_adamw *opt, const tr_options *o, int nsamples, float loss) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "step", (double)opt->step);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    cJSON_AddStringToObject(j, "seed", seed);
    cJSON_AddNumberToObject(j, "batch", o->batch);
    cJSON_AddNumberToObject(j, "seq", o->seq);
    cJSON_AddNumberToObject(j, "samples", nsamples);
    cJSON_AddNumberToObject(j, "steps", (double)o->steps);
    cJSON_AddNumberToObject(j, "loss", loss);
    return j;
}

/* the checkpoint files into dir */
static int tr_write_checkpoint(const char *dir, const nn_model *m, const opt_adamw *opt, const tr_options *o,
                               int nsamples, float loss) {
    if (tr_save_model(m, o, dir)) return -1;
    char path[4200];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    if (opt_save(opt, path)) return -1;
    cJSON *j = tr_state_json(opt, o, nsamples, loss);
    int rc = ck_write_json(dir, "trainer.json", j);
    cJSON_Delete(j);
    return rc;
}

static int tr_save_checkpoint(const char *out, const nn_model *m, const opt_adamw *opt, const tr_options *o, int nsamples,
                              float loss) {
    char dir[4096];
    if (ck_begin(out, opt->step, dir, sizeof dir)) return -1;
    if (tr_write_checkpoint(dir, m, opt, o, nsamples, loss)) {
        ck_abort(out, opt->step);
        return -1;
    }
    return ck_commit(out, opt->step, o->keep_ckpts);
}

static int tr_same_shape(const nn_config *a, const nn_config *b) {
    return a->vocab_size == b->vocab_size && a->hidden_size == b->hidden_size &&
           a->intermediate_size == b->intermediate_size && a->num_hidden_layers == b->num_hidden_layers &&
           a->num_attention_heads == b->num_attention_heads && a->num_key_value_heads == b->num_key_value_heads &&
           a->tie_word_embeddings == b->tie_word_embeddings;
}

/* warns when the batch size, seed or data set differ from the checkpoint's */
static int tr_check_state(const char *dir, const tr_options *o, int nsamples) {
    cJSON *j = ck_read_json(dir, "trainer.json");
    if (!j) return -1;
    const cJSON *b = cJSON_GetObjectItem(j, "batch"), *sd = cJSON_GetObjectItem(j, "seed");
    const cJSON *ns = cJSON_GetObjectItem(j, "samples");
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    if (!cJSON_IsNumber(b) || b->valueint != o->batch || !cJSON_IsString(sd) || strcmp(sd->valuestring, seed) ||
        !cJSON_IsNumber(ns) || ns->valueint != nsamples)
        fprintf(stderr, "recad train: warning: batch size, seed or data differ from the checkpoint's; the data order "
                        "will not continue the interrupted run exactly\n");
    cJSON_Delete(j);
    return 0;
}

/* loads the checkpoint to resume from into m and opt; 1 when OUT holds none */
static int tr_load_checkpoint(const char *out, nn_model *m, opt_adamw *opt, const tr_options *o, int nsamples) {
    char dir[4096], path[4200];
    long step;
    int r = ck_latest(out, tr_ckpt_files, dir, sizeof dir, &step);
    if (r) return r;
    snprintf(path, sizeof path, "%s/config.json", dir);
    nn_config c;
    if (nn_config_load(&c, path)) return -1;
    if (!tr_same_shape(&c, &m->cfg)) return ut_fail("%s: checkpoint model shape differs from the configured model", path);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (nn_load_weights(m, path)) return -1;
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    if (opt_load(opt, path)) return -1;
    if (opt->step != step) return ut_fail("%s: optimiser step %ld does not match the folder's step %ld", path, opt->step, step);
    return tr_check_state(dir, o, nsamples);
}

/* ------------------------------------------------------------------ the loop */

static int tr_check_inputs(const nn_model *m, const tr_data *d, const tr_options *o) {
    if (!o->out_dir) return ut_fail("train: no output folder");
    if (d->n < 1) return ut_fail("train: no samples");
    if (o->batch < 1 || o->batch > 1024) return ut_fail("train: batch %d out of range [1, 1024]", o->batch);
    if (o->seq < 1 || o->seq > m->cfg.max_position_embeddings)
        return ut_fail("train: seq %d out of range [1, max_position_embeddings %d]", o->seq, m->cfg.max_position_embeddings);
    if (o->steps < 1) return ut_fail("train: steps must be >= 1");
    for (long i = 0; i < d->off[d->n]; i++)
        if (d->tok[i] < 0 || d->tok[i] >= m->cfg.vocab_size)
            return ut_fail("train: token id %d does not fit vocab_size %d", d->tok[i], m->cfg.vocab_size);
    if (o->val && o->val->n < 1) return ut_fail("train: no validation samples");
    for (long i = 0; o->val && i < o->val->off[o->val->n]; i++)
        if (o->val->tok[i] < 0 || o->val->tok[i] >= m->cfg.vocab_size)
            return ut_fail("train: validation token id %d does not fit vocab_size %d", o->val->tok[i], m->cfg.vocab_size);
    if (o->hook.fn && (o->hook.nout < 1 || o->hook.nout > TR_MAX_HOOK || !o->hook.names))
        return ut_fail("train: a validation hook gives 1 to %d named values", TR_MAX_HOOK);
    return 0;
}

/* loads the checkpoint to continue from (with resume) and opens the run log, keeping its rows up
 * to the resumed step */
static int tr_start(nn_model *m, const tr_data *d, const tr_options *o, opt_adamw *opt, rl_log *log) {
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
    return tr_log_open(log, o, resumed ? opt->step : -1);
}

/* one update on the batch of step opt->step; its metrics row (TR_NCOLS values) into row.
 * Returns the batch width T, or -1. */
static int tr_update(nn_model *m, const tr_data *d, const tr_options *o, tr_order *ord, opt_adamw *opt, long warmup,
                     int *in, int *tg, double *row) {
    double t0 = ut_now();
    long s = opt->step, ntarget = 0;
    int T = tr_batch(d, ord, s, o->batch, o->seq, in, tg, &ntarget);
    nn_zero_grad(m);
    if (nn_forward(m, in, tg, NULL, 0.0f, o->batch, T) || nn_backward(m)) return -1;
    float loss = m->loss;
    if (!isfinite(loss)) return ut_fail("train: loss became %f at step %ld (lower the learning rate?)", loss, s + 1);
    float lr = opt_lr(s, warmup, o->steps, o->lr, o->lr_min);
    double gn = opt_step(opt, lr);
    double dt = ut_now() - t0;
    row[0] = loss;
    row[1] = lr;
    row[2] = (float)gn;
    row[3] = (double)o->batch * T / dt;
    return T;
}

int tr_train(nn_model *m, const tr_data *d, const tr_options *o, tr_result *res) {
    memset(res, 0, sizeof *res);
    if (tr_check_inputs(m, d, o) || nn_set_bf16(m, o->bf16) || ut_mkdirs(o->out_dir)) return -1;
    long warmup = o->warmup >= 0 ? o->warmup : o->steps / 20;
    opt_hparams hp = {o->lr, o->beta1, o->beta2, o->eps, o->weight_decay, o->clip};
    opt_adamw opt;
    opt_init(&opt, m, &hp);
    rl_log log;
    if (tr_start(m, d, o, &opt, &log)) {
        opt_free(&opt);
        return -1;
    }
    res->start_step = opt.step;
    res->losses = ut_calloc((size_t)o->steps + 1, sizeof(float));
    for (int i = 0; i < log.n; i++)
        if (log.step[i] >= 1 && log.step[i] <= o->steps) res->losses[log.step[i] - 1] = (float)rl_get(&log, i, 0);
    size_t N = (size_t)o->batch * o->seq;
    int *in = ut_malloc(N * sizeof(int)), *tg = ut_malloc(N * sizeof(int));
    tr_order ord;
    tr_order_init(&ord, d->n, o->seed);
    long end = o->steps;
    if (o->stop_after > 0 && o->stop_after < end) end = o->stop_after;
    ut_progress pb;
    char label[96] = "train";
    ut_progress_start(&pb, label, end - opt.step);
    if (o->quiet) pb.quiet = 1;
    double t_run = ut_now(), tokens_run = 0;
    float loss = NAN;
    int rc = 0;
    while (opt.step < end && !rc) {
        double row[TR_MAX_COLS];
        for (int i = 0; i < TR_MAX_COLS; i++) row[i] = NAN;
        int T = tr_update(m, d, o, &ord, &opt, warmup, in, tg, row);
        if (T < 0) {
            rc = -1;
            break;
        }
        loss = (float)row[0];
        tokens_run += (double)o->batch * T;
        if (o->max_seconds > 0 && ut_now() - t_run >= o->max_seconds && opt.step < end) end = opt.step;
        int validate = (o->val || o->hook.fn) &&
                       ((o->eval_every > 0 && opt.step % o->eval_every == 0) || opt.step == o->steps || opt.step == end);
        if (validate && tr_validate(m, o, opt.step, in, tg, row)) {
            rc = -1;
            break;
        }
        rl_add(&log, opt.step, row);
        res->losses[opt.step - 1] = loss;
        if (!res->steps_done && opt.step == res->start_step + 1) res->first_loss = loss;
        res->steps_done = opt.step;
        snprintf(label, sizeof label, "train loss %.4f", loss);
        ut_progress_update(&pb, opt.step - res->start_step);
        if (o->log_every > 0 && opt.step % o->log_every == 0 && tr_log_flush(&log, o)) rc = -1;
        if (!rc && ((o->ckpt_every > 0 && opt.step % o->ckpt_every == 0) || opt.step == end))
            rc = tr_save_checkpoint(o->out_dir, m, &opt, o, d->n, loss);
    }
    ut_progress_finish(&pb);
    if (!rc) rc = tr_log_flush(&log, o);
    if (!rc && opt.step == o->steps) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/final", o->out_dir);
        rc = tr_save_model(m, o, dir);
    }
    res->steps_done = opt.step;
    res->last_loss = loss;
    double el = ut_now() - t_run;
    res->tokens_per_s = el > 0 ? tokens_run / el : 0;
    free(in);
    free(tg);
    tr_order_free(&ord);
    rl_close(&log);
    opt_free(&opt);
    return rc;
}
