/* nn_int.h - internals shared by the files of the nn module (nn.c, nn_attn.c); not a public API.
 *
 * Attention (nn_attn.c) for one layer of a training batch, B rows of T tokens, N = B*T:
 *   qkv   (N, Q+2K)  projections, q and k after RoPE
 *   out   (N, Q)     attention output, before o_proj
 *   lse   (B, H, T)  log-sum-exp of each query row's scaled scores, kept for the backward, which
 *                    recomputes the probabilities from q, k and lse (they are never stored whole)
 * The work is one task per (batch row, kv head), so a task owns the dK and dV of its kv head and
 * grouped query heads never race; tasks run on nth OpenMP threads and do not depend on which
 * thread runs them, so results do not depend on the thread count. scratch: nth regions of
 * nn_attn_scratch(T) floats, one per thread.
 */
#ifndef RECAD_NN_INT_H
#define RECAD_NN_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ml/nn.h"

/* query rows per attention block */
#define NN_ATT_BS 64

/* exp(x) for x <= 88, relative error ~2e-7; written so that `omp simd` loops vectorise it */
static inline float nn_expf(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    /* round to nearest by the 1.5 * 2^23 trick (floorf would not vectorise) */
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693145751953125f - n * 1.428606765330187045e-06f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f + r * (0.0416666679f + r * (0.00833333377f + r * 0.00138888892f)))));
    int32_t bits = ((int32_t)n + 127) << 23;
    float s;
    memcpy(&s, &bits, sizeof s);
    return p * s;
}

/* floats of scratch one attention thread needs for sequences of T tokens */
size_t nn_attn_scratch(int T);
/* causal attention forward of one layer (see the top of this file) */
void nn_attn_forward(const nn_model *m, int B, int T, const float *qkv, float *lse, float *out, float *scratch, int nth);
/* its backward: datto (N, Q) -> dqkv (N, Q+2K), overwritten, already through the RoPE backward */
void nn_attn_backward(const nn_model *m, int B, int T, const float *qkv, const float *lse, const float *datto, float *dqkv,
                      float *scratch, int nth);

#endif
