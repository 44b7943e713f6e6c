/* vlm.h - the joint image + text model: the Qwen2 decoder (ml/nn.h), an optional vision encoder
 * (ml/vit.h) and the placeholder token id where image tokens go.
 *
 * A batch has B rows of T tokens; row b may carry an image (images[b] != NULL, S x S floats in
 * [0, 1]). Such a row must hold exactly num_tokens placeholder ids (image_token_id): the encoder's
 * tokens of that image replace their embeddings, image token j at the j-th placeholder of the row
 * (nn_set_input_rows). A row without an image must hold none. The loss is the decoder's
 * (nn_forward: targets, weights, norm); the backward runs the decoder, then the encoder on the
 * gradient of the spliced rows (nn_input_grad), so both parameter sets get their gradients.
 * A model without an encoder (text only) is exactly the decoder: images must be NULL.
 *
 * Folder: config.json is the decoder's (nn_config keys) plus "image_token_id" and the
 * "vision_config" object (vt_config keys) when there is an encoder; model.safetensors holds the
 * decoder's tensors and the encoder's "visual." tensors. nn_load reads such a folder as the text
 * decoder alone (the extra keys and tensors are ignored); vl_load reads a text-only folder as a
 * model without encoder.
 * Optimiser (vl_opt): AdamW over both parameter sets, clipping by the global norm of both;
 * state in one optimizer.safetensors.
 * Threads: vl_set_threads sets both models'. Errors: -1 / NULL with ut_error.
 */
#ifndef RECAD_VLM_H
#define RECAD_VLM_H

#include "ml/nn.h"
#include "ml/opt.h"
#include "ml/vit.h"

typedef struct {
    nn_model *dec;
    vt_model *enc;        /* NULL: text only */
    int image_token_id;   /* placeholder id in [0, vocab_size); -1 without encoder */
    int nimg;             /* images of the last forward (their tokens went to the decoder) */
    float *img_buf;       /* (cap_img, S, S) the last forward's images, contiguous */
    int *slots;           /* (cap_img * num_tokens) */
    int cap_img;
} vl_model;

/* vc NULL: text only (image_token_id ignored). The encoder's out_hidden_size must equal the
 * decoder's hidden_size. */
vl_model *vl_new(const nn_config *dc, const vt_config *vc, int image_token_id);
void vl_free(vl_model *m);
/* both parameter sets: nn_init_random / vt_init_random with seeds seed and seed + 1 */
void vl_init_random(vl_model *m, uint64_t seed, float std);
void vl_set_threads(vl_model *m, int n);
void vl_zero_grad(vl_model *m);

/* images: NULL (no row has one) or B pointers, NULL for text-only rows; the rest as nn_forward */
int vl_forward(vl_model *m, const int *inputs, const int *targets, const float *weights, float norm, int B, int T,
               const float *const *images);
int vl_backward(vl_model *m);

int vl_save(const vl_model *m, const char *dir);
vl_model *vl_load(const char *dir);
/* the configs of a config.json: 1 with an encoder (vc, *image_token_id filled), 0 text only
 * (*image_token_id = -1), -1 + ut_error (naming the file) when unreadable or invalid */
int vl_config_load(const char *path, nn_config *dc, vt_config *vc, int *image_token_id);
/* 1 when the parameter shapes (decoder, encoder, placeholder id) of a and b agree */
int vl_same_shape(const vl_model *a, const nn_config *dc, const vt_config *vc, int image_token_id);

typedef struct {
    vl_model *model;
    opt_adamw dec, enc; /* enc unused without encoder */
} vl_opt;

void vl_opt_init(vl_opt *o, vl_model *m, const opt_hparams *hp);
void vl_opt_free(vl_opt *o);
/* one AdamW update of both sets; returns the global gradient norm before clipping */
double vl_opt_step(vl_opt *o, float lr);
int vl_opt_save(const vl_opt *o, const char *path);
int vl_opt_load(vl_opt *o, const char *path);

#endif
