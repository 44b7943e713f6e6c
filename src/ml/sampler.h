/* sampler.h - batched generation with a KV cache over an nn_model (see nn.h).
 *
 * One call generates a group of G continuations of one prompt (a GRPO group):
 *   1. prefill: the prompt's P tokens run once through the model as a batch of P rows; their keys
 *      and values fill the prompt cache, which all G samples then read (referenced, not copied);
 *   2. decode: every step feeds the last token of each live sample; the samples of one thread
 *      form one batch: one matrix product per projection (qkv, o, gate+up, down, logits) for the
 *      whole batch, attention per (sample, head) over the shared prompt cache plus the sample's
 *      own cache (blockwise online softmax), fused RMSNorm / bias + RoPE / SwiGLU loops; samples
 *      that finish drop out of the batch.
 *
 * KV cache layout (float32, keys after RoPE). Keys are stored transposed in blocks of 64
 * positions, (hd, 64) per block and contiguous, so that attention scores are vector
 * multiply-adds over positions read sequentially; positions are padded to a multiple of 64:
 *   prompt  keys (L, KV, ceil(P/64), hd, 64)          values (L, KV, P, hd)        shared
 *   own     keys (L, G, KV, ceil(max_new/64), hd, 64) values (L, G, KV, max_new, hd) per sample
 * Positions: prompt token t sits at position t; the k-th generated token (k = 0, 1, ...) at P + k.
 *
 * Sampling from logits z (V) of one sample:
 *   - greedy when temperature <= 0 or top_k == 1: the largest logit (lowest id on ties);
 *   - otherwise p ~ softmax(z / temperature); with top_k > 0 only the k most likely tokens stay;
 *     with 0 < top_p < 1 only the smallest set of most likely tokens (of those left) whose
 *     renormalised mass reaches top_p stays (at least one token); one uniform draw picks a token.
 *   - The returned log-probability of a sampled token is log softmax(z)[token], the model's
 *     unmodified distribution (temperature 1, no top-k/top-p): the policy log-probability that
 *     GRPO's ratio and KL need.
 * Seeds: sample i draws from a ut_rng seeded with seed + i * 0x9E3779B97F4A7C15, so sample i of
 * a call is reproducible and does not depend on G or on the other samples.
 *
 * Stopping: a sample ends when it produces an id in eos_ids (the id is kept in tokens/logprobs,
 * not in text), when its decoded text contains one of the stop strings (tokens keep the token
 * that completed it; text is cut just before the stop string), or after max_new tokens.
 * Text is the concatenated bytes of the generated tokens (special tokens as their content).
 *
 * Threads (the model's, nn_set_threads()): the G samples are split into contiguous ranges, one per OpenMP
 * thread, and each thread decodes its range as one batch with no synchronisation between steps
 * (matrix products: single-threaded OpenBLAS sgemm for 8 rows or more, a register-tiled kernel
 * below that). OpenBLAS is set to one thread (nn_blas_one_thread), so its threads never run
 * inside or beside ours. A single prompt of 256 tokens or more is prefilled with every
 * operation split over the threads; several prompts are shared out whole among the threads. Results do not depend on the thread count beyond float
 * rounding (tokens equal, log-probabilities within 1e-4 in the tests).
 * Precision (smp_opts.precision): SMP_F32 (the default) computes everything in float32 as
 * described above. SMP_BF16 is a reduced-precision mode for throughput:
 *   - the KV cache (prompt and own) holds bfloat16 (round to nearest even; same layout, half the
 *     bytes), widened to float32 as attention reads it (AVX-512, AVX2 or portable loops, chosen
 *     at run time by gm_isa_current(); the scores, softmax and weighted sums are float32);
 *   - the decode steps' weight products (qkv, o, gate+up, down, logits) run on the weights
 *     rounded once per call to bfloat16 panels, with the rows rounded too and float32 sums
 *     (gm_bgemm_packed, vdpbf16ps), where gm_has_bf16(); elsewhere (no AVX512_BF16, or the
 *     AVX-512 path switched off by gm_set_isa / RECAD_GEMM_ISA) they stay float32 and only the
 *     cache is 16-bit. smp_last_stats() tells which: kv_bits, bf16_products.
 *   - the prefill, norms, residual stream, RoPE, SwiGLU, softmax, logits and sampling stay
 *     float32. Logits differ from SMP_F32 by about 1% of their range (the tests bound the
 *     relative error by 2e-2), so sampled tokens may differ where two candidates are close; the
 *     thread-count independence and the seeding rules above hold within the mode.
 * SMP_KV8 is SMP_BF16 with an 8-bit KV cache (prompt and own), a quarter of float32's bytes:
 *   - layout: per head, blocks of 64 positions of 128 hd + 512 bytes: keys int8 (hd/2, 64, 2)
 *     (pairs of dimensions), one float scale per position for the keys and one for the values,
 *     values int8 (32, hd, 2) (pairs of positions); details in sampler_int.h;
 *   - rounding: each position's key and value vector x is stored as int8 round(x / s) with
 *     s = max|x| / 127 (nearest, ties to even), i.e. an error of at most s/2 = max|x| / 254 per
 *     element; attention rounds the query to int16 relative to its max|q| (32767 levels) and a
 *     block's softmax weights times the value scales to int16 relative to the block's largest;
 *     the products of scores and weighted values are int16 x int8 pairs summed exactly in int32
 *     (vpdpwssd where the AVX-512 path is in use and the CPU has AVX512BW and AVX512_VNNI,
 *     vpmaddwd on AVX2, portable loops elsewhere: the same bits on all three), scaled in float32;
 *     softmax and its denominator (the float32 weights) stay float32;
 *   - error: about 3-5 times bfloat16's per cached element on Gaussian vectors. On a trained
 *     model (head_dim 32) greedy logits stayed within 0.8% of their range of the float32 ones
 *     (SMP_BF16: 0.6%); the tests bound the relative error by 3e-2 on a head_dim 64 test model
 *     (SMP_BF16 measures 1.3e-2 there, SMP_KV8 1.7e-2) and by 8e-2 on a head_dim 8 one with large
 *     weights (5.3e-2; SMP_BF16 1.9e-2). Thread-count independence and seeding hold within it.
 * A sampler serves one call at a time; the tokenizer is only read (no encoding) during a call.
 * Errors: NULL / -1 with ut_error().
 */
#ifndef RECAD_SAMPLER_H
#define RECAD_SAMPLER_H

#include <stdint.h>

#include "ml/nn.h"
#include "ml/tokenizer.h"
#include "base/util.h"

typedef struct {
    int n;                      /* G: samples in the group (>= 1) */
    int max_new;                /* new tokens per sample at most (>= 1) */
    float temperature;          /* <= 0: greedy */
    float top_p;                /* (0, 1): nucleus; >= 1 or <= 0: off */
    int top_k;                  /* > 0: keep the k most likely; 0: off */
    uint64_t seed;
    const int *eos_ids;         /* ids that end a sample (may be NULL) */
    int neos;
    const char *const *stop;    /* stop strings on the decoded text (need tok) */
    int nstop;
    const tok_tokenizer *tok;   /* for text and stop strings; NULL: no text */
    float *logits_out;          /* optional (n, max_new, V): the raw logits each token was drawn from */
    /* input rows (image prompts, ml/vlm.h): rows NULL, or one pointer per prompt (NULL: none);
     * rows[p] (nrows[p], D) replaces, in order, the embeddings of prompt p's tokens equal to
     * row_id (prefill only; the count must equal nrows[p], the rows must be finite) */
    const float *const *rows;
    const int *nrows;
    int row_id;
    int precision;              /* SMP_F32 (0, the default), SMP_BF16 or SMP_KV8: see "Precision" above */
    /* optional constrained decoding (needs tok): after drawing a token for sample i (its index in
     * the call), the sampler asks veto(veto_ctx, i, text, len, bytes, nbytes) whether those bytes
     * may follow the sample's text so far; a refused token's logit is masked and another one drawn
     * from what is left, at most SMP_VETO_TRIES times (then the last draw stands). End-of-sequence
     * ids are never asked about. The log-probability kept is that of the unmasked distribution.
     * It is called from the sampler's threads at once: it must only read shared state. */
    int (*veto)(void *ctx, int sample, const char *text, size_t len, const char *bytes, int nbytes);
    void *veto_ctx;
} smp_opts;

#define SMP_VETO_TRIES 64

enum { SMP_F32 = 0, SMP_BF16 = 1, SMP_KV8 = 2 };

enum { SMP_LENGTH = 0, SMP_EOS = 1, SMP_STOP = 2 };

typedef struct {
    int *tokens;      /* generated ids */
    float *logprobs;  /* log softmax(z)[token] for each generated id */
    int ntokens;
    char *text;       /* NUL-terminated (NULL when no tokenizer was given) */
    size_t text_len;
    int finish;       /* SMP_LENGTH, SMP_EOS or SMP_STOP */
} smp_seq;

typedef struct {
    double prefill_s, decode_s;  /* wall time of the last call's two phases */
    long decode_tokens;          /* tokens sampled in decode steps (the first token comes from prefill) */
    int kv_bits;                 /* the last call's KV cache: 32 (float32), 16 (bfloat16) or 8 (SMP_KV8) */
    int bf16_products;           /* 1 when its decode products ran in bfloat16 (gm_bgemm_packed) */
    long vetoed;                 /* draws refused by smp_opts.veto (each followed by another draw) */
} smp_stats;

typedef struct smp_sampler smp_sampler;

/* The sampler keeps a pointer to m (not owned) and grows its buffers on demand. */
smp_sampler *smp_new(nn_model *m);
void smp_free(smp_sampler *s);

/* Generates o->n samples continuing prompt[0..P) into out[0..o->n) (free each with smp_seq_free).
 * Requires P >= 1 and P + max_new <= max_position_embeddings. */
int smp_generate(smp_sampler *s, const int *prompt, int P, const smp_opts *o, smp_seq *out);
void smp_seq_free(smp_seq *q);
const smp_stats *smp_last_stats(const smp_sampler *s);

/* Several prompts in one batch (GRPO samples several prompts x G rollouts at once): o->n samples
 * of each of np prompts, prompts[p] of plens[p] tokens (lengths may differ). All np prompts are
 * prefilled, each at its own positions 0..plens[p]-1 into its own prompt cache (with several
 * threads and no image rows, whole prompts shared out among them, each prompt on one thread), and all np * o->n
 * samples are then decoded together (split over the threads as one group of np * o->n). out[p * o->n + k] is sample k of prompt p; it draws from the rng seeded
 * with o->seed + (p * o->n + k) * 0x9E3779B97F4A7C15, so it equals sample k of
 * smp_generate(prompt p) called with seed o->seed + p * o->n * 0x9E3779B97F4A7C15 (same tokens;
 * log-probabilities within float rounding). smp_generate is the case np = 1. Every prompt must
 * satisfy the conditions of smp_generate; an error names the prompt. */
int smp_generate_multi(smp_sampler *s, const int *const *prompts, const int *plens, int np, const smp_opts *o,
                       smp_seq *out);

/* what `precision` does on this CPU now, for messages: "float32", "bfloat16 KV cache, bfloat16
 * products (AVX512_BF16)" or "bfloat16 KV cache, float32 products (no AVX512_BF16 in use)", and
 * the same with "8-bit KV cache" for SMP_KV8 */
const char *smp_precision_desc(int precision);

/* The sampling rule above on one row of logits z (V); scratch: V floats and V ints.
 * Returns the token and stores log softmax(z)[token] in *logprob. */
int smp_sample_row(const float *z, int V, float temperature, int top_k, float top_p, ut_rng *rng, float *pscratch,
                   int *iscratch, float *logprob);

#endif
