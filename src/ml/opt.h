/* nn_opt.h - AdamW optimiser, global-norm gradient clipping and the learning-rate schedule.
 *
 * AdamW exactly as torch.optim.AdamW (decoupled weight decay), per parameter p with gradient g,
 * step t counted from 1:
 *   p <- p - lr * wd * p                  (only tensors with nn_tensor.decay: the matrices,
 *                                          embedding and lm_head included; never norm weights
 *                                          or biases)
 *   m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
 *   p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * Clipping (before the update, when clip > 0): global norm n = sqrt(sum g^2) over all
 * parameters; if n > clip every gradient is scaled by clip / (n + 1e-6) (torch's
 * clip_grad_norm_).
 * Schedule: opt_lr(step) rises linearly to lr over `warmup` steps (step s in 0-based count gets
 * lr * (s+1)/warmup), then follows a cosine from lr down to lr_min at step `total`.
 * The state (m, v: floats parallel to the model's parameter allocation; step) is saved to and
 * loaded from a safetensors file with tensors "m.<name>" and "v.<name>" and metadata "step".
 * Threads: the model's (nn_set_threads); results do not depend on them.
 */
#ifndef RECAD_NN_OPT_H
#define RECAD_NN_OPT_H

#include "ml/nn.h"

typedef struct {
    float lr, beta1, beta2, eps, weight_decay, clip;
} opt_hparams;

typedef struct {
    opt_hparams hp;
    nn_model *model;          /* the model of opt_init (its threads are used); NULL after opt_init_set */
    float *params, *grads;    /* the parameter set: (num_params) each, same layout */
    size_t num_params;
    const nn_tensor *tensors; /* named slices of the set (decay flags, checkpoint names) */
    int num_tensors;
    int threads;              /* threads of a set without a model (<= 0: every core) */
    float *m, *v; /* (num_params) each */
    long step;    /* updates done */
} opt_adamw;

/* torch defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0.01; clip 1.0 */
opt_hparams opt_defaults(void);
void opt_init(opt_adamw *o, nn_model *m, const opt_hparams *hp);
/* the same for any parameter set (e.g. the vision encoder's, ml/vit.h) */
void opt_init_set(opt_adamw *o, float *params, float *grads, size_t num_params, const nn_tensor *tensors,
                  int num_tensors, int threads, const opt_hparams *hp);
void opt_free(opt_adamw *o);
/* sqrt(sum of squared gradients) over every parameter (double accumulation, fixed order) */
double opt_grad_norm(const nn_model *m);
/* the same over o's parameter set */
double opt_set_grad_norm(const opt_adamw *o);
/* one update with learning rate lr (clipping per hp.clip); returns the gradient norm before
 * clipping */
double opt_step(opt_adamw *o, float lr);
/* the update with clipping decided by a given norm: the global norm of several sets updated
 * together (each with its own opt_adamw); returns norm */
double opt_step_norm(opt_adamw *o, float lr, double norm);
float opt_lr(long step, long warmup, long total, float lr, float lr_min);
int opt_save(const opt_adamw *o, const char *path);
int opt_load(opt_adamw *o, const char *path); /* the model must be the same shape */
/* the state of n sets in one file (their tensor names must differ; the steps must agree) */
int opt_save_all(const opt_adamw *const *o, int n, const char *path);
int opt_load_all(opt_adamw *const *o, int n, const char *path);

#endif
