/* grpo.h - reinforcement learning with group-relative advantages (GRPO), prefix gr_: the second
 * training stage, from an SFT checkpoint, with rewards from executing the generated programs.
 *
 * Data: gr_item prompts with their reference answers (think + parametric program), level and curve
 * count. A prompt may be a picture (ml/vlm.h): the item carries the encoder's tokens of it, and its
 * prompt text holds the image marker, which becomes that many placeholder ids (o.image_token_id);
 * the tokens replace the placeholders' embeddings in sampling (smp_opts.rows) and in every forward
 * of the update (nn_set_input_rows). The encoder stays fixed: RL trains the decoder. Rewards come through train/reward.h (train/ knows no geometry): prompt index i of the
 * callback is items[i].
 *
 * One step (step s, 0-based, everything derived from (seed, s) so that resume is exact):
 *   1. prompts: o.prompts items (curriculum or seeded random order, below);
 *   2. rollouts: all P prompts x G answers sampled as one batch (ml/sampler.h smp_generate_multi:
 *      prompts of different lengths, one KV cache each; temperature, top_p; seeds from (seed, s));
 *      with guidance a hard prompt's last answer is replaced by its reference answer, the
 *      off-policy member;
 *   3. rewards: the callback, one call per group, groups in parallel (OpenMP);
 *   4. advantages: A_i = r_i - mean(r) over the group, divided by the group's std when std_norm;
 *      a group whose rewards are all equal (std < 1e-6) is skipped and counted;
 *   5. update: every variant is a per-token weight w on the cross-entropy -log pi of the answer
 *      tokens, the loss L = sum_tokens w * (-log pi) / N with N the answer tokens of all kept
 *      members (token-level normalisation, on- and off-policy in one sum: the two-sum objective).
 *        on-policy token:   w = A * ratio, ratio = pi / pi_old, and w = 0 where the clipped
 *                           objective min(ratio A, clip(ratio, 1-eps, 1+eps) A) is flat (the
 *                           clipped side); in the first epoch over a batch the policy is the one
 *                           that sampled it, ratio = 1, and no extra pass is made;
 *        off-policy token:  w = A * gamma * pi / (pi + gamma)^2, the gradient of the shaping
 *                           f(pi) = pi / (pi + gamma) (LUFFY), no clipping; pi from a forward pass
 *                           of the current model over the reference answer;
 *        KL to the reference model (beta > 0, k3 = exp(q) - q - 1 with q = log pi_ref - log pi):
 *                           w += beta * (exp(q) - 1), the gradient of beta * k3.
 *      Then gradient clipping and AdamW, as in SFT (ml/opt.h). epochs > 1 repeats the update on
 *      the same rollouts with ratio and clipping live.
 *
 * Guidance (guidance = 1): before the first step, hard_samples answers per item are sampled with
 * the starting model and rewarded; an item whose best reward is below hard_tau (0.8) is hard.
 * The flags are saved to OUT/hard.json and read back on resume; hard_from reads them from an
 * earlier run's hard.json instead (same starting model, items and hard_tau: runs of an ablation
 * share one pass). The pass samples GR_HARD_BATCH prompts x hard_samples answers per batch.
 *
 * Curriculum (curriculum = 1, HPL): items sorted by level (L, F, S, SE, MSE; unknown last) and
 * curve count. Stage k (one per level present) lasts a share of the steps equal to its share of
 * the items; inside a stage the prompts are taken in that order, cycling; each prompt slot is,
 * with probability replay (0.25), an item of an earlier stage instead (uniform). curriculum = 0:
 * seeded random order, epoch by epoch.
 *
 * Output folder OUT: metrics.csv (step, reward_mean, reward_max, ir, iou_best, hard, skipped, kl,
 * entropy, tokens_per_s, rollouts_per_s, sample_s, reward_s, update_s, reward_L .. reward_MSE),
 * reward.png and time.png, checkpoints step-N/ (model, config, optimizer, trainer.json, tokenizer)
 * with `latest` (train/ckpt.h), final/ after the last step, hard.json.
 *
 * Errors: -1 + ut_error(). The model is trained in place; the reference model (KL) is only read.
 */
#ifndef RECAD_GRPO_H
#define RECAD_GRPO_H

#include <stdint.h>

#include "ml/nn.h"
#include "ml/tokenizer.h"
#include "train/reward.h"

#define GR_LEVELS 5 /* L, F, S, SE, MSE */

typedef struct {
    const char *prompt; /* the user's text */
    const char *ref;    /* the reference answer: <think> plan </think> program */
    int level;          /* 0..4 = L..MSE, -1 unknown */
    int curves;         /* curve count of the reference part */
    const float *image; /* (nimage, D) the encoder's tokens of the prompt's picture; NULL: a text prompt */
    int nimage;
} gr_item;

typedef struct {
    const char *out_dir;   /* required */
    long steps;            /* updates (default 200) */
    int prompts, group;    /* prompts per step (4), G rollouts per prompt (8) */
    int max_new;           /* answer tokens at most (default: the context left after the prompt) */
    float temperature, top_p; /* sampling (1.0, 1.0) */
    int bf16_sample;       /* rollouts (and the hard-prompt pass) sampled in SMP_BF16 (ml/sampler.h): faster,
                            * but their log-probabilities, pi_old of the ratio after the first epoch,
                            * are those of the bfloat16 approximation of the policy (0: float32) */
    float lr, lr_min;      /* (1e-5, 1e-6) cosine after warmup */
    long warmup;           /* default steps / 20 */
    float weight_decay, clip, beta1, beta2, eps; /* 0.0, 1.0, 0.9, 0.95, 1e-8 */
    double clip_eps;       /* ratio clip (0.2) */
    int epochs;            /* updates per batch of rollouts (1) */
    int std_norm;          /* divide advantages by the group std (1) */
    double kl_beta;        /* KL weight (0: off) */
    const nn_model *ref_model; /* reference for the KL (needed when kl_beta > 0) */
    int guidance;          /* off-policy reference for hard prompts (1) */
    double gamma;          /* policy shaping (0.1) */
    double hard_tau;       /* hard when the best of hard_samples rewards is below (0.8) */
    int hard_samples;      /* N (4) */
    const char *hard_from; /* hard.json of an earlier run to reuse (NULL: sample) */
    int curriculum;        /* HPL order (1) */
    double replay;         /* share of earlier-stage prompts in curriculum batches (0.25) */
    int micro_rows;        /* rows per forward/backward chunk (8) */
    rw_reward reward;      /* required */
    tok_tokenizer *tok;    /* required (chat layout); saved in checkpoints */
    int image_token_id;    /* the placeholder id of picture prompts (needed when an item has an image) */
    long ckpt_every;       /* default 50; <= 0: only at the end */
    int keep_ckpts;        /* default 2 */
    long log_every;        /* metrics/plots refresh (default 1) */
    uint64_t seed;         /* default 1 */
    int resume, quiet;
    long stop_after;       /* > 0: stop (with a checkpoint) after this step, as an interruption */
} gr_options;

gr_options gr_defaults(void);

/* what happened in one step (the metrics row, also returned for tests) */
typedef struct {
    double reward_mean, reward_max, ir, iou_best, hard, skipped, kl, entropy;
    double tokens_per_s, rollouts_per_s, sample_s, reward_s, update_s;
    double reward_level[GR_LEVELS];
    int groups, skipped_groups, offpolicy;
} gr_step_stats;

typedef struct {
    long start_step, steps_done;
    gr_step_stats last;
    int hard;              /* hard items (guidance) */
} gr_result;

int gr_train(nn_model *m, const gr_item *items, int n, const gr_options *o, gr_result *res);

/* ---- the pieces, exposed for tests ---- */
/* advantages of one group (n rewards): 1 and adv[i], or 0 when the group is skipped */
int gr_advantages(const double *r, int n, int std_norm, double *adv);
/* the per-token weight of an on-policy token (before 1/N): A * ratio, 0 on the clipped side */
double gr_weight_on(double adv, double ratio, double clip_eps);
/* the per-token weight of an off-policy token (before 1/N): A * gamma * pi / (pi + gamma)^2 */
double gr_weight_off(double adv, double logp, double gamma);
/* the k3 estimator of KL and its gradient weight: q = logp_ref - logp */
double gr_k3(double logp, double logp_ref);
double gr_weight_kl(double logp, double logp_ref, double beta);
/* the item order of the curriculum (n indices) */
void gr_curriculum_order(const gr_item *items, int n, int *order);
/* hard flags: the best of o->hard_samples rewarded answers of each item below o->hard_tau */
int gr_find_hard(nn_model *m, const gr_item *items, int n, const gr_options *o, unsigned char *hard);

#endif
