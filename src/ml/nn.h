/* nn.h - the decoder-only transformer (Qwen2 block) in float32: config, parameters, training
 * forward and backward.
 *
 * Model (Hugging Face Qwen2 semantics, so real Qwen2-family checkpoints load):
 *   x   = embed[tokens]                                         (N, D)   N = B*T rows
 *   per layer l:
 *     h   = rmsnorm(x) * ln1[l]                                 (N, D)
 *     qkv = h @ wqkv[l]^T + bqkv[l]                             (N, Q+2K)   Q = H*hd, K = KV*hd
 *     q,k = rope(q), rope(k)      (HF "rotate_half" layout: dimension i pairs with i + hd/2)
 *     a   = causal softmax(q k^T / sqrt(hd)) v   per head; head h reads kv head h / (H/KV)
 *     x   = x + a @ wo[l]^T                                     (N, D)
 *     h   = rmsnorm(x) * ln2[l]
 *     gu  = h @ wgu[l]^T          gate = gu[:, :F], up = gu[:, F:]   (N, 2F)
 *     x   = x + (silu(gate) * up) @ wdown[l]^T
 *   logits = (rmsnorm(x) * norm) @ lm_head^T                    (N, V), lm_head = embed if tied
 *
 * rmsnorm(x) = x / sqrt(mean(x^2) + rms_norm_eps); RoPE inv_freq[i] = rope_theta^(-2i/hd), i < hd/2,
 * angle = position * inv_freq[i]; for training, the position of token t in a row is t.
 *
 * Loss (nn_forward with targets): per token i, CE_i = logsumexp(logits_i) - logits_i[target_i];
 *   loss = sum_i w_i * CE_i / norm
 * where w_i is the per-token weight (NULL = 1 for every token; a 0/1 mask trains on the answer only;
 * GRPO passes signed weights), tokens with target < 0 count as w_i = 0, and norm is the caller's
 * normaliser or, when norm <= 0, sum_i w_i over the counted tokens (the masked mean).
 *
 * Parameters: one float allocation with named views (llm.c style). Matrices are stored in the
 * Hugging Face nn.Linear layout (out_features, in_features), row-major, layer-major:
 *   embed   (V, D)           model.embed_tokens.weight
 *   ln1     (L, D)           model.layers.l.input_layernorm.weight
 *   wqkv    (L, Q+2K, D)     rows [0,Q) q_proj.weight, [Q,Q+K) k_proj.weight, [Q+K,Q+2K) v_proj.weight
 *   bqkv    (L, Q+2K)        q_proj.bias, k_proj.bias, v_proj.bias
 *   wo      (L, D, Q)        o_proj.weight
 *   ln2     (L, D)           post_attention_layernorm.weight
 *   wgu     (L, 2F, D)       rows [0,F) mlp.gate_proj.weight, [F,2F) mlp.up_proj.weight
 *   wdown   (L, D, F)        mlp.down_proj.weight
 *   norm    (D)              model.norm.weight
 *   lm_head (V, D)           lm_head.weight; points at embed when tie_word_embeddings
 * Gradients (nn_model.grads) have the same layout. nn_tensors() lists every named tensor with its
 * Hugging Face name, shape and pointer (the checkpoint code and tests use it).
 *
 * Threads: each model carries its own settings (nn_model.exec): nn_set_threads(m, n) gives the
 * model's OpenMP loops n threads (the optimiser's and the sampler's too), nn_set_chunk_rows the
 * work-chunk sizes; nothing is process-wide, so two models may run side by side with different
 * settings. Every matrix product is cut into row chunks that our threads take dynamically, each
 * chunk one single-threaded cblas_sgemm call, with the row-wise elementwise work (bias, RoPE,
 * residual, RMSNorm, SwiGLU, loss) fused behind it; attention runs one task per (batch row,
 * kv head). OpenBLAS's own thread count is a setting of that library for the whole process:
 * nn_forward and nn_backward set it to ONE when it is not, so only one thread pool exists and
 * OpenBLAS threads never nest inside ours. Chunk sizes do not depend on the thread count, so
 * results are identical for every thread count.
 *
 * Attention memory is O(T): the forward keeps only the log-sum-exp of every attention row,
 * L*B*H*T floats, and the backward recomputes each block's probabilities from q, k and those
 * (nn_attn.c). Work runs in blocks of 64 query rows; a block multiplies only against the keys up
 * to its diagonal (fully masked keys are skipped), its scores sit in a per-thread scratch of
 * 64 x T floats (two of them in the backward). The work is O(T^2) per head, about 56% of the
 * full T x T products at T=512.
 *
 * Errors: functions returning int give 0 on success, -1 with ut_error() set on failure.
 */
#ifndef RECAD_NN_H
#define RECAD_NN_H

#include <stddef.h>
#include <stdint.h>

/* Sizes, from a Hugging Face Qwen2 config.json (same keys). */
typedef struct {
    int vocab_size;              /* V */
    int hidden_size;             /* D */
    int intermediate_size;       /* F */
    int num_hidden_layers;       /* L */
    int num_attention_heads;     /* H */
    int num_key_value_heads;     /* KV, divides H (grouped-query attention) */
    int max_position_embeddings; /* longest sequence T the model accepts */
    int tie_word_embeddings;     /* 1: lm_head shares embed */
    float rope_theta;            /* RoPE base */
    float rms_norm_eps;
    int head_dim;                /* hd = D / H (derived, not read from JSON) */
} nn_config;

/* Defaults (Qwen2 values) for keys missing from the JSON: num_key_value_heads = H,
 * rope_theta = 10000, rms_norm_eps = 1e-6, tie_word_embeddings = 0, max_position_embeddings = 2048. */
int nn_config_load(nn_config *c, const char *path);   /* reads and validates a config.json */
int nn_config_parse(nn_config *c, const char *json);  /* the same from a string */
int nn_config_validate(nn_config *c);                 /* checks ranges, fills head_dim */
char *nn_config_to_json(const nn_config *c);          /* malloc'd JSON text (HF keys) */
int nn_config_save(const nn_config *c, const char *path); /* atomic */

/* Named views into one parameter (or gradient) allocation; shapes in the header comment. */
typedef struct {
    float *embed, *ln1, *wqkv, *bqkv, *wo, *ln2, *wgu, *wdown, *norm, *lm_head;
} nn_params;

/* One named tensor of the Hugging Face layout (a slice of nn_params). */
typedef struct {
    char name[96];  /* e.g. "model.layers.3.self_attn.k_proj.bias" */
    int ndim;
    int shape[2];
    size_t numel;
    size_t offset;  /* float offset from the start of the parameter allocation */
    int decay;      /* 1: matrix (weight decay applies), 0: norm weight or bias */
} nn_tensor;

/* How a model's computations run. nn_new sets the defaults; change them between calls (a
 * backward uses the settings its forward ran with). */
typedef struct {
    int threads;     /* OpenMP threads of the model's loops; <= 0 (default): every core */
    int token_rows;  /* token rows per work chunk (default 512) */
    int weight_rows; /* weight rows per chunk of a weight-gradient product (default 256) */
    int bf16;        /* 1: the linear layers' products in bfloat16 (nn_set_bf16); default 0 */
    int recompute;   /* 1: layer recomputation in the backward (nn_set_recompute); default 0 */
} nn_exec;

/* Training activations for a batch of B rows of T tokens, kept for the backward pass. The
 * per-layer arrays marked (L', ...) hold every layer (L' = L) by default and one layer (L' = 1)
 * with recomputation on (nn_set_recompute), where the backward rebuilds each layer's slot from
 * res[l] just before that layer's backward. */
typedef struct {
    int B, T;           /* shape of the last batch (views are laid out for it) */
    nn_exec run;        /* the model's settings at the last forward, resolved (threads >= 1) */
    size_t cap_N;       /* floats in mem; a batch that fits re-slices mem without reallocating */
    size_t cap_rows;    /* rows the per-token arrays of nn_model hold */
    float *mem;         /* one allocation */
    float *res;         /* (L+1, N, D) residual stream entering each layer, [L] = final */
    float *mid;         /* (L', N, D)   residual after attention */
    float *ln1, *ln2;   /* (L', N, D)   normalised inputs */
    float *rstd1, *rstd2; /* (L', N)   1/sqrt(mean(x^2)+eps) */
    float *qkv;         /* (L', N, Q+2K) projections, q and k after RoPE */
    float *att_lse;     /* (L', B, H, T) log-sum-exp of each attention row's scaled scores */
    float *atto;        /* (L', N, Q)   attention output before o_proj */
    float *gu;          /* (L', N, 2F)  gate and up pre-activations */
    float *act;         /* (L', N, F)   silu(gate) * up */
    float *lnf;         /* (N, D)      final normalised stream */
    float *rstdf;       /* (N) */
    float *logits;      /* (N, V), overwritten by dlogits in nn_backward; with recomputation on and
                         * targets given only (nn_head_rows, V): one block of rows at a time */
    float *lse;         /* (N)         logsumexp of each logits row */
    float *tok_loss;    /* (N)         CE_i (0 where target < 0) */
    /* backward scratch */
    float *dres, *dln, *dqkv, *datto, *dgu, *dact, *dscratch; /* see nn.c */
} nn_acts;

/* Input rows spliced in place of token embeddings (nn_set_input_rows); the map and gradient
 * belong to the last forward. */
typedef struct {
    int n;              /* rows set for the following forwards */
    int *slot;          /* (n) token index b*T + t of each row */
    float *rows;        /* (n, D) */
    int fwd_n;          /* rows the last forward used */
    int *map;           /* (B*T of the last forward) row index at each token, -1 elsewhere */
    size_t map_cap;
    float *grad;        /* (fwd_n, D) gradient of the loss w.r.t. the rows, from nn_backward */
} nn_inrows;

typedef struct {
    nn_config cfg;
    nn_exec exec;       /* threads and chunk sizes (nn_set_threads, nn_set_chunk_rows) */
    size_t num_params;  /* floats in the allocation (lm_head counted once when tied) */
    float *param_mem, *grad_mem;
    nn_params params, grads;
    nn_tensor *tensors; /* every named tensor, in checkpoint order */
    int num_tensors;
    nn_acts acts;
    float *rope_cos, *rope_sin; /* (max_position_embeddings, hd/2) */
    /* last forward's inputs (kept for backward) */
    int *inputs, *targets;      /* (N) copies */
    float *weights;             /* (N) effective per-token weight w_i / norm */
    float loss;                 /* last loss (NaN when no targets were given) */
    double weight_sum;          /* sum of w_i over counted tokens in the last forward */
    int have_loss;              /* 1 between a forward with targets and its backward */
    nn_inrows in;               /* nn_set_input_rows */
} nn_model;

/* Allocates a model with zero parameters; NULL + ut_error on an invalid config. */
nn_model *nn_new(const nn_config *cfg);
void nn_free(nn_model *m);
/* Sets the longest sequence m accepts (max_position_embeddings) and rebuilds the rotary tables;
 * nothing learned depends on it, so a trained model can be given a longer context and trained
 * further at longer sequences. -1 + ut_error when out of [1, 2^20]. */
int nn_set_context(nn_model *m, int positions);
/* Deterministic init: matrices ~ N(0, std^2) (embed too), biases 0, norm weights 1. */
void nn_init_random(nn_model *m, uint64_t seed, float std);
/* Rows per work chunk of m: token rows of C (default 512) and weight rows of weight-gradient
 * products (default 256); <= 0 restores a default. Results depend on these only through the
 * summation order of norm-weight and bias gradients (tests use small chunks to exercise the
 * splitting). */
void nn_set_chunk_rows(nn_model *m, int token_rows, int weight_rows);
/* Threads of m's OpenMP loops (<= 0: every core); nn_threads gives the number used (>= 1). */
void nn_set_threads(nn_model *m, int n);
int nn_threads(const nn_model *m);
/* on = 1: the matrix products of activations with weights in the linear layers (q/k/v, o_proj,
 * gate/up, down, lm_head: the forward and the input gradients of the backward) round their inputs
 * to bfloat16 and sum in float32 (gemm.h, vdpbf16ps); the weight gradients (sums over all token
 * rows), parameters, optimiser state, attention, norms and the loss stay float32. -1 + ut_error when the
 * CPU lacks AVX512_BF16 (nothing changes). on = 0 (default): float32 everywhere. */
int nn_set_bf16(nn_model *m, int on);
/* on = 1: activation recomputation, memory for speed. The forward keeps of each layer only its
 * input residual res[l] (plus the final norm and per-token loss terms) and the logits of one
 * block of nn_head_rows(m) rows at a time; the backward recomputes one layer's forward from
 * res[l] (everything but the down product, whose output res[l+1] is kept) just before that
 * layer's backward, and the logits block by block. Costs about one more forward of the layers
 * and of lm_head; at the reference widths activations drop from 133 kB to 38 kB per token
 * (docs/engine.md has the counts and the measured table). Results (loss, tok_loss, gradients) are
 * bit-identical to on = 0, the default. After a forward with targets, acts.logits then holds only
 * the last block's logits; a forward without targets keeps them all. */
void nn_set_recompute(nn_model *m, int on);
/* token rows of one block of the loss head (4 token-row chunks): the backward's lm_head products
 * run block by block in both modes, so the sums are the same with and without recomputation */
int nn_head_rows(const nn_model *m);

/* Forward over inputs (B, T) token ids in [0, V). targets (B, T) may be NULL (logits only);
 * targets < 0 are ignored. weights (B, T) may be NULL (all 1). norm <= 0 means sum of weights.
 * Returns 0 and sets m->loss; logits in m->acts.logits (all rows unless recomputation is on and
 * targets are given, see nn_set_recompute), per-token CE in m->acts.tok_loss. */
int nn_forward(nn_model *m, const int *inputs, const int *targets, const float *weights, float norm,
               int B, int T);
/* Backward of the last forward with targets: gradients of m->loss ADDED into m->grads
 * (call nn_zero_grad first; accumulation over micro-batches works). */
int nn_backward(nn_model *m);
void nn_zero_grad(nn_model *m);

/* Input rows (the image tokens of ml/vlm.h): every following forward takes row j of rows (n, D)
 * as the input embedding of token slots[j] = b*T + t instead of embed[inputs[b*T + t]] (the token
 * id there is still checked, and its embedding gets no gradient). The arrays are copied; n = 0
 * clears. -1 + ut_error for a negative slot or a row that is not finite; a forward fails
 * when a slot is outside its B*T tokens or repeated. nn_input_grad: after nn_backward, the gradient of
 * the loss w.r.t. the rows of that backward's forward, (n, D) in the order given (overwritten by
 * each backward, not accumulated); NULL when that forward used none. */
int nn_set_input_rows(nn_model *m, const int *slots, const float *rows, int n);
const float *nn_input_grad(const nn_model *m);

/* Look up a named tensor (NULL if absent). */
const nn_tensor *nn_find_tensor(const nn_model *m, const char *name);

/* Checkpoints (safetensors, Hugging Face tensor names; see nn_io.c):
 * nn_save writes DIR/model.safetensors (F32) and DIR/config.json, each atomically.
 * nn_load_weights reads every tensor of the model from a safetensors file (F32, BF16 or F16),
 * checking names and shapes; a tied model ignores a stored lm_head.weight, an untied one needs it.
 * nn_load reads PATH/config.json and PATH/model.safetensors (PATH a folder) and returns the model. */
int nn_save(const nn_model *m, const char *dir);
int nn_load_weights(nn_model *m, const char *path);
nn_model *nn_load(const char *dir);

/* OpenBLAS's thread count belongs to that library and the whole process; our threads call it, so
 * it must run on one (parallelism comes from our OpenMP loops only): sets it to one when it is
 * not, and leaves it there (restoring it afterwards would race with another caller). */
void nn_blas_one_thread(void);

/* Building blocks, also used by the sampler (rows are contiguous vectors). */
/* out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i] for one row of n; returns the 1/rms factor */
float nn_rmsnorm_row(float *out, const float *x, const float *w, int n, float eps);
/* rotate one head vector x (hd) in place for position pos: HF rotate_half layout */
void nn_rope_row(float *x, int hd, const float *cos_row, const float *sin_row);
/* model FLOPs of one training step (forward + backward) on B x T tokens, matrix products only */
double nn_train_flops(const nn_config *c, int B, int T);

/* One kind of matrix product of a training step: C (M, N) = op(A) op(B) (+ C when accumulate),
 * row-major, op = transpose when ta / tb; `count` independent products of this shape (per head
 * and batch row for attention, per layer for the linear layers). */
typedef struct {
    int ta, tb, M, N, K, accumulate;
    long count;
    const char *what; /* e.g. "fwd qkv", "bwd dW gate/up" */
} nn_gemm_shape;

/* Every matrix product of one training step (forward + backward) on B x T tokens, with the full
 * shapes the engine computes (linear layers over all N = B*T rows; attention per causal block of
 * 64 query rows and the keys up to its diagonal). Writes at most cap entries to out (out may be
 * NULL) and returns the number of entries the step has. The benchmarks time a plain sgemm loop
 * over this list as the bound of a step. */
int nn_step_gemms(const nn_config *c, int B, int T, nn_gemm_shape *out, int cap);
/* 2*M*N*K*count summed over the list: the FLOPs the engine's products execute (a little more than
 * nn_train_flops, whose attention counts the exact causal triangle) */
double nn_step_gemm_flops(const nn_gemm_shape *s, int n);

#endif
