/* train.h - supervised training loop: batches of token sequences with loss masks, AdamW, exact
 * resume. The parts a trainer shares live in their own modules: data/jsonl.h reads the JSONL
 * data, train/ckpt.h writes and finds checkpoint folders, train/runlog.h keeps metrics.csv and
 * draws the loss plot; this module is the supervised (SFT) loop that calls them.
 *
 * Data (tr_data): samples are token-id sequences with a per-token train flag. Flag 1 on token j
 * means "the model is trained to predict token j from tokens 0..j-1" (the answer tokens and the
 * closing end-of-text token); prompt tokens have flag 0. tr_data_load_jsonl builds samples from a
 * JSONL file of {"prompt": text, "answer": text}: the prompt and answer in the chat layout of
 * ml/chat.h (markers around the prompt when the tokenizer has them) ++ [eos], with flags on the
 * answer and eos. The text is tokenised with a tokenizer.json tokenizer, or, without
 * one, byte-level: id = byte value, eos = 256 (the model needs vocab_size >= 257).
 *
 * Batches: step s (0-based) takes samples g = s*B .. s*B+B-1 of an endless stream; sample g is
 * entry (g mod n) of epoch g / n, epochs being seeded shuffles of the n samples. A row holds one
 * sample, truncated to seq+1 tokens: inputs x[0..len-2], targets x[1..len-1] where flagged, -1
 * elsewhere and in the padding. The batch width T is the longest row of the batch (<= seq), so
 * short samples cost little. The loss is the mean cross-entropy over the flagged targets of the
 * batch (nn_forward with weights NULL, norm = their count).
 * The data order depends only on (seed, step), which is what makes resume exact.
 *
 * Images (docs/vision_train.md). tr_train_vl trains a joint model (ml/vlm.h: decoder + vision
 * encoder) on text samples and image samples together. Image samples (tr_data_load_images) are
 * prompt/answer samples whose prompt part holds num_tokens placeholder ids (ml/chat.h
 * chat_encode_image_prompt) and a picture path; the picture is read and framed with
 * base/picture.h pic_load_framed at the encoder's image_size when its batch is built, so
 * memory does not grow with the data set. With o.images, step s has
 *   ni(s) = floor((s+1) B X) - floor(s B X)  image rows (X = o.image_share), B - ni(s) text rows:
 * text rows take text stream positions s B - floor(s B X) + r, image rows image stream positions
 * floor(s B X) + r, each stream its own seeded epoch shuffles (the image stream's seed derived
 * from o.seed). Over many steps the image rows are the share X of all rows; the order depends on
 * (seed, step) only, so resume stays exact and no thread count changes it. The text rows come
 * first in a batch, then the image rows. Without o.images every row is a text row, as before.
 *
 * Step: zero grads, forward, backward, clip to global norm `clip`, AdamW with opt_lr(step) (linear
 * warmup, cosine to lr_min at `steps`). See ml/opt.h.
 *
 * Output folder OUT:
 *   metrics.csv          step,loss,lr,grad_norm,tokens_per_s (step = 1-based update count; runlog),
 *                        with validation also val_loss and the hook's columns
 *   loss.png             the loss curve (runlog, base/plot.h), with val_loss when validating
 *   val.png              the hook's validation measures (when there is a hook)
 *   step-NNNNNNNN/       checkpoint (ckpt): model.safetensors, config.json, optimizer.safetensors
 *                        (AdamW m, v, step), trainer.json (step, seed, batch, seq, samples, steps,
 *                        loss; image_samples and image_share with images), tokenizer.json when
 *                        training with a tokenizer; with an encoder the folder is vl_save's
 *                        (one model.safetensors, vision_config in config.json) and the optimiser
 *                        file holds both parameter sets (vl_opt_save)
 *   latest               name of the newest complete checkpoint folder (written last, atomically)
 *   final/               model.safetensors + config.json (+ tokenizer.json) after the last step
 * Checkpoints are written every ckpt_every steps and after the last step, each into a temporary
 * folder renamed when complete; the keep_ckpts newest are kept. With resume = 1 the loop loads
 * the checkpoint named by OUT/latest (model, optimiser, step), keeps the metrics rows up to that
 * step and continues: the losses equal those of an uninterrupted run.
 */
#ifndef RECAD_TRAIN_H
#define RECAD_TRAIN_H

#include <stdint.h>

#include "ml/nn.h"
#include "ml/vlm.h"

typedef struct tok_tokenizer tok_tokenizer;

typedef struct {
    int n;                 /* samples */
    long *off;             /* (n + 1) offsets into tok / train */
    int *tok;              /* token ids */
    unsigned char *train;  /* 1 where the token is a training target */
    int cap_n;
    long cap_tok;
    char **image;          /* (n) picture path of each image sample, NULL for text; NULL: all text */
    int nimages;           /* image samples */
} tr_data;

void tr_data_init(tr_data *d);
void tr_data_free(tr_data *d);
void tr_data_add(tr_data *d, const int *tokens, const unsigned char *train, int len);
/* Appends the samples of a JSONL file; tok NULL means byte-level. Errors name file and line. */
int tr_data_load_jsonl(tr_data *d, const char *path, tok_tokenizer *tok);
/* Appends the image samples of an image JSONL (docs/data_images.md: {"prompt": "... <|image|> ...",
 * "answer", "image": path relative to the JSONL's folder unless absolute}): the prompt in the chat
 * layout with num_tokens ids `pad` in place of <|image|> (chat_encode_image_prompt), the answer and
 * eos flagged as in tr_data_load_jsonl. A tokenizer is required. Errors name file and line: no
 * "image" field, a picture that is not a readable file, a prompt without <|image|>. */
int tr_data_load_images(tr_data *d, const char *path, tok_tokenizer *tok, int pad, int num_tokens);
/* the same records with an empty prompt in place of theirs: samples of an unconditioned model of
 * the answers (the starting point of RL without supervised fine-tuning, docs/grpo.md) */
int tr_data_load_answers(tr_data *d, const char *path, tok_tokenizer *tok);

/* Validation during training (tr_options.val, eval_every, hook). Every eval_every steps and after
 * the last one: the validation loss (the same masked cross-entropy, forward only, over the first
 * val_samples samples of val in order, o->batch rows at a time), then the hook, which measures
 * what it likes with the current weights (recad train: greedy generation on a fixed validation
 * subset, executed and scored: invalidity ratio and IoU_best) and returns nout values named
 * names[]. The values go into metrics.csv as extra columns (val_loss, then the hook's names; NaN
 * on the other rows) and into val.png. The hook must leave the weights as they are; it may run
 * forward passes (they replace the activations, which the next training step recomputes). */
typedef struct {
    int (*fn)(void *ctx, nn_model *m, long step, double *out); /* 0, or -1 + ut_error() (stops training) */
    void *ctx;
    int nout;                  /* values per call (<= 8) */
    const char *const *names;  /* (nout) CSV column names */
} tr_hook;

typedef struct {
    const char *out_dir;   /* required */
    long steps;            /* total updates (default 1000) */
    int batch, seq;        /* rows per batch (8), longest row in tokens (512) */
    float lr, lr_min;      /* peak and final learning rate (3e-4, 3e-5) */
    long warmup;           /* warmup steps (default steps/20) */
    float weight_decay, clip, beta1, beta2, eps; /* 0.1, 1.0, 0.9, 0.95, 1e-8 */
    long ckpt_every;       /* checkpoint period in steps (default 200; <= 0: only at the end) */
    int keep_ckpts;        /* checkpoint folders kept (default 2; <= 0: all) */
    long log_every;        /* metrics.csv / loss.png refresh period (default 10) */
    uint64_t seed;         /* data order (default 1) */
    int resume;            /* continue from OUT/latest when it exists */
    int quiet;             /* no progress bar */
    int bf16;              /* 1: bfloat16 matrix products (nn_set_bf16; FP32 weights, moments, sums);
                              tr_train fails with the reason where the CPU lacks AVX512_BF16 */
    long stop_after;       /* > 0: stop (with a checkpoint) after this step, as an interruption */
    double max_seconds;    /* > 0: stop (with validation and a checkpoint) after the step that
                              reaches this wall time; the learning-rate schedule still spans steps */
    const tr_data *val;    /* validation samples (NULL: none) */
    long eval_every;       /* validation period in steps (default 0: only after the last step) */
    int val_samples;       /* validation samples used for the loss (default 256; <= 0: all) */
    tr_hook hook;          /* validation measures beyond the loss (fn NULL: none) */
    const tr_data *images; /* image samples mixed into the batches (tr_train_vl; NULL: none) */
    double image_share;    /* X in (0, 1]: the share of rows that are image samples (default 0.5) */
    const tr_data *val_images; /* validation image samples: val_image_loss beside val_loss (NULL: none) */
    const tok_tokenizer *tok; /* the data's tokenizer, saved as tokenizer.json in every checkpoint
                                 so that a checkpoint folder can be sampled on its own; NULL: byte-level */
} tr_options;

typedef struct {
    long start_step;       /* step the run started from (0, or the resumed checkpoint's) */
    long steps_done;       /* updates done in total */
    float first_loss, last_loss;
    double tokens_per_s;   /* mean over this run */
    float *losses;         /* loss of every step 1..steps_done (losses[s-1]); free() it */
} tr_result;

/* The data order: sample g (0, 1, ...) of an endless stream is entry g mod n of epoch g / n, each
 * epoch a shuffle of 0..n-1 seeded from (seed, epoch); the order depends on (seed, g) only (what
 * makes resume exact). Shared by the trainers (SFT batches, GRPO's random prompt order). */
typedef struct {
    long epoch;     /* epoch of perm (-1: none yet) */
    int *perm, n;
    uint64_t seed;
} tr_order;
void tr_order_init(tr_order *o, int n, uint64_t seed); /* n >= 1 */
int tr_order_at(tr_order *o, long g);
void tr_order_free(tr_order *o);

tr_options tr_defaults(void);
/* Trains m in place. m must be initialised (random or loaded); with resume its weights are
 * replaced by the checkpoint's. */
int tr_train(nn_model *m, const tr_data *d, const tr_options *o, tr_result *res);
/* the same for a joint model (ml/vlm.h); image samples (o->images, o->val_images) need its
 * encoder. A model without an encoder and no image options trains exactly as tr_train. With
 * validation, val_image_loss is the column after val_loss. */
int tr_train_vl(vl_model *m, const tr_data *d, const tr_options *o, tr_result *res);

#endif
