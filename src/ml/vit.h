/* vit.h - the vision encoder of the image-to-CAD path: grayscale image -> image tokens of the
 * decoder's width (Qwen2.5-VL's layout, scaled down), with its training backward.
 *
 * Model, for B images of S x S pixels (float, [0, 1], white background = 1), patches of P x P,
 * g = S/P patches per side, n = g*g patches, Dv the encoder width, N = B*n patch rows:
 *
 *   patch    (N, P*P)   the pixels of each patch, row-major inside the patch
 *   x        = patch @ pe_w^T + pe_b + pos[t]                      (N, Dv), t = patch index
 *   block l = 0..Lv-1 (pre-norm, bidirectional):
 *     h      = rmsnorm(x) * ln1[l]
 *     q,k,v  = h @ wqkv[l]^T + bqkv[l]                             (N, 3Dv), H heads of hd = Dv/H
 *     a      = softmax(q k^T / sqrt(hd)) v   per image and head, no mask
 *     x      = x + a @ wo[l]^T + bo[l]
 *     h      = rmsnorm(x) * ln2[l]
 *     g, u   = h @ wgu[l]^T + bgu[l]                               (N, 2F)
 *     x      = x + (silu(g) * u) @ wdown[l]^T + bdown[l]
 *   merger:
 *     h      = rmsnorm(x) * lnq                                    (N, Dv)
 *     m      = the 4 rows of each 2x2 block of neighbouring patches, concatenated  (B*n/4, 4Dv)
 *     out    = gelu(m @ w1^T + b1) @ w2^T + b2                     (B*n/4, D), gelu with erf
 *
 * Patch order: patch rows are stored in merge order, so that the four patches of one 2x2 block
 * are consecutive and the merger's concatenation is a reshape (as Qwen2.5-VL does): patch index
 * t = 4 * (by * g/2 + bx) + 2 * dy + dx covers pixel rows (2by+dy)*P .. +P and columns
 * (2bx+dx)*P .. +P; the concatenation order inside a block is (dy, dx) = (0,0), (0,1), (1,0),
 * (1,1). Image token j of an image is block (j / (g/2), j % (g/2)): row-major over the blocks.
 *
 * Choices (docs/vision.md says why): learned absolute positions (an n x Dv table: the image size
 * is fixed per model), RMSNorm (the decoder's norm; Qwen2.5-VL's encoder uses it too), SwiGLU MLP
 * with biases (as Qwen2.5-VL's vision blocks), merger with exact (erf) GELU.
 *
 * Config (vt_config): the "vision_config" object nested in the decoder's config.json, keys as
 * Hugging Face's Qwen2.5-VL where they exist: image_size, patch_size, hidden_size,
 * intermediate_size, depth, num_heads, out_hidden_size are required; rms_norm_eps (1e-6),
 * spatial_merge_size (2, the only value), in_chans (1, the only value) are optional.
 *
 * Parameters: one float allocation, llm.c style, named views (vt_params), gradients in the same
 * layout; Hugging Face-like tensor names under "visual." (vt_model.tensors, nn_tensor entries with
 * offsets into the allocation; gate/up are one fused matrix holding two named tensors):
 *   visual.patch_embed.proj.{weight (Dv, P*P), bias}   visual.pos_embed.weight (n, Dv)
 *   visual.blocks.N.norm1.weight, attn.qkv.{weight (3Dv, Dv), bias}, attn.proj.{weight, bias},
 *     norm2.weight, mlp.gate_proj.{weight (F, Dv), bias}, mlp.up_proj.{...}, mlp.down_proj.{...}
 *   visual.merger.ln_q.weight, merger.mlp.0.{weight (4Dv, 4Dv), bias}, merger.mlp.2.{weight (D, 4Dv), bias}
 * They are saved in the decoder's model.safetensors next to its tensors (ml/vlm.h).
 *
 * Threads: the model's own (vt_set_threads; OpenMP, chunks of fixed row counts, single-threaded
 * sgemm per chunk, OpenBLAS kept at one thread as in nn.h). Column sums (bias, norm-weight and
 * position gradients) are added per chunk in chunk order: results are bit-identical for any
 * thread count. Two models may run on two threads at once; one model is not re-entrant.
 * Errors: -1 / NULL with ut_error (bad config, image count, pixel not finite, no forward).
 */
#ifndef RECAD_VIT_H
#define RECAD_VIT_H

#include <stddef.h>
#include <stdint.h>

#include "ml/nn.h"

typedef struct {
    int image_size;         /* S, a multiple of 2P */
    int patch_size;         /* P */
    int hidden_size;        /* Dv */
    int intermediate_size;  /* F of the SwiGLU MLP */
    int depth;              /* Lv blocks */
    int num_heads;          /* H, divides Dv; hd = Dv/H */
    int out_hidden_size;    /* D, the decoder's hidden_size */
    float rms_norm_eps;
    int spatial_merge_size; /* 2 */
    int in_chans;           /* 1 (grayscale) */
    /* derived by vt_config_validate */
    int grid;               /* g = S/P */
    int num_patches;        /* n = g*g */
    int num_tokens;         /* n/4 image tokens per image */
    int head_dim;           /* hd */
} vt_config;

/* parses a vision_config object (JSON text); checks ranges, fills the derived fields */
int vt_config_parse(vt_config *c, const char *json);
int vt_config_validate(vt_config *c);
/* malloc'd JSON object text with every key (not the derived ones) */
char *vt_config_to_json(const vt_config *c);

/* Named views into one allocation (shapes in the header comment; per-block tensors block-major). */
typedef struct {
    float *pe_w, *pe_b, *pos, *ln1, *wqkv, *bqkv, *wo, *bo, *ln2, *wgu, *bgu, *wdown, *bdown, *lnq, *w1, *b1, *w2, *b2;
} vt_params;

/* Activations of the last forward (B images), kept for the backward. */
typedef struct {
    int B;
    nn_exec run;              /* settings of the last forward, resolved */
    size_t cap;               /* floats in mem */
    float *mem;
    float *patch;             /* (N, P*P) */
    float *res;               /* (Lv+1, N, Dv) residual stream entering each block, [Lv] = last */
    float *mid, *ln1, *ln2;   /* (Lv, N, Dv) */
    float *rstd1, *rstd2;     /* (Lv, N) */
    float *qkv;               /* (Lv, N, 3Dv) */
    float *att_lse;           /* (Lv, B, H, n) log-sum-exp of each attention row */
    float *atto;              /* (Lv, N, Dv) */
    float *gu;                /* (Lv, N, 2F) pre-activations (with bias) */
    float *act;               /* (Lv, N, F) */
    float *lnq, *rstdq;       /* (N, Dv), (N) merger norm */
    float *h1, *g1;           /* (N/4, 4Dv) merger hidden before / after GELU */
    float *out;               /* (N/4, D) image tokens */
    /* backward scratch */
    float *dres, *dln, *dqkv, *datto, *dgu, *dact, *dh1, *scratch, *part;
} vt_acts;

typedef struct {
    vt_config cfg;
    nn_exec exec;             /* threads, token_rows (chunk rows), weight_rows; bf16 unused */
    size_t num_params;
    float *param_mem, *grad_mem;
    vt_params params, grads;
    nn_tensor *tensors;       /* checkpoint order */
    int num_tensors;
    vt_acts acts;
    int have_fwd;             /* 1 after a forward (a backward may follow) */
} vt_model;

/* zero parameters; NULL + ut_error on a bad config */
vt_model *vt_new(const vt_config *cfg);
void vt_free(vt_model *m);
/* matrices ~ N(0, std^2) (the position table too), biases 0, norm weights 1 */
void vt_init_random(vt_model *m, uint64_t seed, float std);
void vt_zero_grad(vt_model *m);
/* threads of m's loops (<= 0: every core); vt_threads: the number used */
void vt_set_threads(vt_model *m, int n);
int vt_threads(const vt_model *m);
/* rows per work chunk (<= 0: defaults 512 and 256), as nn_set_chunk_rows */
void vt_set_chunk_rows(vt_model *m, int token_rows, int weight_rows);

/* images (B, S, S) row-major -> m->acts.out (B * num_tokens, D), also returned; NULL + ut_error
 * on B < 1 or a pixel that is not finite */
const float *vt_forward(vt_model *m, const float *images, int B);
/* dout (B * num_tokens, D): gradient of the loss w.r.t. the last forward's output; the parameter
 * gradients are ADDED into m->grads (vt_zero_grad first). The activations stay, so several
 * backwards of one forward are allowed. */
int vt_backward(vt_model *m, const float *dout);

const nn_tensor *vt_find_tensor(const vt_model *m, const char *name);
/* reads every "visual." tensor of m from a safetensors file (F32/BF16/F16), names and shapes checked */
int vt_load_weights(vt_model *m, const char *path);

/* FLOPs of one training step on B images, matrix products and attention (the patch embedding has
 * no input gradient: 4 flops per multiply-add instead of 6) */
double vt_train_flops(const vt_config *c, int B);

#endif
