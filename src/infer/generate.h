/* generate.h - text or image to CAD with a trained model, prefix inf_: the product's inference path.
 *
 *   inf_model *g = inf_load("models/default");            model + tokenizer; NULL + ut_error()
 *   inf_opts o; inf_default_opts(&o);                      8 candidates, T 0.8, seed 0
 *   inf_result r;
 *   inf_generate(g, "a 60 x 40 x 6 mm plate with four 6.6 mm corner holes", &o, &r);
 *   r.best >= 0 ? r.cand[r.best].program : "no valid candidate"; r.model is its CAD model
 *   inf_result_free(&r); inf_free(g);
 *
 * One call encodes the prompt in the chat layout (ml/chat.h), samples o.n answers as one batch
 * (ml/sampler.h: KV cache, sample i from seed + i * golden ratio), cuts each answer's program out
 * of it (the text after </think>), and executes every program in the sandbox (cad/exec.h, the
 * limits in o.lim) into a validated model with a solid of positive volume. Among the valid
 * candidates it picks one:
 *   INF_PICK_LIKELIHOOD  the highest mean log-probability per generated token;
 *   INF_PICK_AGREEMENT   the candidate whose solid agrees best with the other valid ones: the
 *                        sum over the others of IoU_best (voxel, inertia-normalised, eval/score.h)
 *                        times the agreement of the bounding-box sizes (min/max per axis, sorted),
 *                        ties to the likelihood. With fewer than 3 valid candidates it is the
 *                        likelihood rule. (docs/generate.md says which measures better.)
 * r.best = -1 when no candidate is valid; each candidate's error says why it is not.
 *
 * Retry: when none of the n candidates is valid, n fresh ones are sampled and executed (o.retry
 * rounds, default 1): candidates n..2n-1 of the same seed, those one batch of 2n would have
 * drawn; r.n counts them all. Prompts with a valid first candidate pay nothing.
 *
 * Repair (execution-guided decoding): when no candidate is valid, each invalid one is cut back to
 * the start of the program line its error names (the whole program when it names none: a cut-off
 * answer, a solid that fails to build), and the model continues each cut answer once, all as one
 * batch (smp_generate_multi); the continuations are executed and the pick runs as above. Up to
 * o.repair rounds (default 2), while none is valid. A repaired candidate keeps its plan and the
 * program lines before the error; its log-probability is that of the whole answer. The model
 * writes every token: the executor only says where to start again (docs/generate.md measures it).
 *
 * Name-checked decoding (o.check_names, default on): while a candidate writes its program (after
 * "</think>"), every token the sampler draws is checked by cad/prefixcheck.h against the program
 * so far: a token that reads a name never declared, gives a curve or plane a wrong count of
 * arguments, or closes a bracket that is not open, is refused and another one drawn from the
 * model's remaining distribution (ml/sampler.h smp_opts.veto). The model still writes every token.
 *
 * Pictures (docs/vision_train.md): a model with a vision encoder (ml/vlm.h) also takes a picture.
 * inf_generate_image_file reads a PNG / JPEG and frames it with base/picture.h pic_load_framed at
 * the encoder's image_size (the framing of the training pictures); the encoder turns it into
 * num_tokens image tokens, and the prompt is the image records' "<|image|>" in the chat layout
 * with num_tokens placeholders whose embeddings those tokens replace in the prefill
 * (smp_opts.rows). Sampling, execution and the pick are those of a text prompt.
 *
 * Errors: inf_load / inf_generate return NULL / -1 with ut_error() for problems of the model or
 * the options (an unreadable checkpoint, a prompt longer than the model's context; a picture
 * that cannot be read or is blank, or a picture given to a model without an encoder); invalid
 * generated programs are not errors. Thread safety: one call at a time per inf_model.
 */
#ifndef RECAD_GENERATE_H
#define RECAD_GENERATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/picture.h"
#include "cad/exec.h"
#include "model/cad.h"

typedef struct inf_model inf_model;

typedef enum { INF_PICK_LIKELIHOOD = 0, INF_PICK_AGREEMENT = 1 } inf_pick;
const char *inf_pick_name(inf_pick p);          /* "likelihood" "agreement" */
int inf_pick_parse(const char *s, inf_pick *p); /* -1 if unknown */

typedef struct {
    int n;             /* candidates sampled as one batch (default 8) */
    float temperature; /* default 0.8; 0 = greedy (then one candidate is enough) */
    float top_p;       /* default 0.95 */
    int max_new;       /* answer tokens at most (default: the model's context minus the prompt) */
    uint64_t seed;     /* default 0 */
    inf_pick pick;     /* default INF_PICK_AGREEMENT */
    ex_limits lim;     /* the sandbox limits of every candidate (default ex_default_limits) */
    int bf16;          /* 1: sample in SMP_BF16 (ml/sampler.h: bfloat16 KV cache and products), default 0 */
    int repair;        /* rounds of repair while no candidate is valid (default 2; 0: off) */
    int retry;         /* while none is valid, rounds of n fresh candidates before repair (default 1) */
    int check_names;   /* name-checked decoding (default 1; 0: off): see "Name-checked decoding" */
} inf_opts;

void inf_default_opts(inf_opts *o);

typedef struct {
    char *answer;     /* the whole generated text */
    const char *program; /* points into answer: the program part */
    int ntokens;
    double logprob;   /* mean log-probability per generated token */
    int valid;        /* ran, validated, solid of positive volume */
    char *error;      /* why not valid (NULL when valid) */
    double volume;    /* mm^3, valid ones only */
    double lo[3], hi[3]; /* the solid's exact bounding box, mm (valid ones only) */
    double agreement; /* the agreement score (INF_PICK_AGREEMENT with >= 3 valid), else NaN */
    int repaired;     /* the repair round that wrote its end (0: as first sampled) */
} inf_candidate;

typedef struct {
    int n;                /* candidates */
    inf_candidate *cand;
    int best;             /* index of the picked candidate, -1 when none is valid */
    int nvalid;
    cad_model model;      /* the picked candidate's model (empty when best < 0) */
    int prompt_tokens;
    int repair_rounds;    /* repair rounds run (0 when a first candidate was valid) */
    long vetoed;          /* tokens name-checked decoding refused (all rounds) */
    double sample_s, exec_s, pick_s; /* wall time of sampling, execution, picking (repairs in the
                                        first two) */
} inf_result;

/* Loads DIR/config.json, DIR/model.safetensors (the encoder too when config.json has
 * vision_config) and DIR/tokenizer.json. */
inf_model *inf_load(const char *dir);
void inf_free(inf_model *g);
void inf_set_threads(inf_model *g, int n); /* 0: all cores */
const char *inf_dir(const inf_model *g);
/* the side of the pictures the model takes (its encoder's image_size); 0: text only */
int inf_image_side(const inf_model *g);

/* The shipped default model's folder: $RECAD_MODEL if set, else models/default next to the
 * executable's folder (build/../models/default), else ./models/default. Never NULL. */
const char *inf_default_dir(void);

int inf_generate(inf_model *g, const char *text, const inf_opts *o, inf_result *r);
/* a picture already framed at inf_image_side(g) x inf_image_side(g) (pic_frame) */
int inf_generate_image(inf_model *g, const pic_gray *framed, const inf_opts *o, inf_result *r);
/* a PNG / JPEG file, read and framed (pic_load_framed), then inf_generate_image */
int inf_generate_image_file(inf_model *g, const char *path, const inf_opts *o, inf_result *r);
void inf_result_free(inf_result *r);

/* the bytes of answer a repair keeps: up to the start of the program line that error names
 * ("program:LINE: ..."), or up to the start of the program when it names none or no such line */
size_t inf_repair_cut(const char *answer, const char *error);

#endif
