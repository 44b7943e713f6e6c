/* sampler_int.h - what sampler.c and sampler_kv16.c share (not public). */
#ifndef RECAD_SAMPLER_INT_H
#define RECAD_SAMPLER_INT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* positions per attention block (keys are cached in blocks of this many positions) */
enum { SMP_ATT_BLOCK = 64 };

/* exp(x) for the softmax, SiLU and sampling loops, written so that `omp simd` loops vectorise
 * (no library call, no float-to-int conversion, which GCC does not vectorise under the default
 * trapping-math rules): x = n ln2 + r with n = round(x / ln2) by adding 1.5 * 2^23 (n then sits
 * in the low mantissa bits of the sum), |r| <= ln2/2 (ln2 split in two parts), e^r by its
 * degree-6 Taylor polynomial (relative error below 3e-7), 2^n built in the exponent bits. x is
 * clamped to [-87, 88], so the result is never 0, inf or NaN for finite x. */
static inline float smp_expf(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    float t = x * 1.44269504088896341f + 12582912.0f;
    float n = t - 12582912.0f;
    float r = x - n * 0.693145751953125f - n * 1.428606765330187045e-06f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f + r * (0.0416666679f + r * (0.00833333377f + r * 0.00138888892f)))));
    uint32_t tb;
    memcpy(&tb, &t, sizeof tb);
    uint32_t bits = (tb - 0x4B400000u + 127u) << 23; /* (n + 127) << 23 */
    float sc;
    memcpy(&sc, &bits, sizeof sc);
    return p * sc;
}

/* One block of the running (online) softmax: sc[0..nb) holds the block's scaled scores and gets
 * exp(score - max); when the block raises the maximum, what was accumulated under the old one
 * (*den, out[0..hd)) is rescaled; *den gets the block's sum. The caller then adds the block's
 * values weighted by sc to out. */
static inline void smp_softmax_block(float *sc, int nb, int hd, float *mx, float *den, float *out) {
    float bm = -INFINITY;
    for (int t = 0; t < nb; t++) bm = sc[t] > bm ? sc[t] : bm;
    if (bm > *mx) { /* rescale what was accumulated under the old maximum */
        float f = *mx == -INFINITY ? 0.0f : smp_expf(*mx - bm);
        *den *= f;
        for (int i = 0; i < hd; i++) out[i] *= f;
        *mx = bm;
    }
    float m = *mx, dsum = 0.0f;
#pragma omp simd reduction(+ : dsum)
    for (int t = 0; t < nb; t++) {
        sc[t] = smp_expf(sc[t] - m);
        dsum += sc[t];
    }
    *den += dsum;
}

/* Attention of one query head vector q (hd) over n positions of a bfloat16 cache - keys in
 * transposed blocks, block b = positions [64b, 64b+64) stored as (hd, 64) at kblocks + 64 b hd,
 * positions past n in the last block zero; values v (n, hd) - folded into the running softmax
 * state (max *mx, denominator *den, unnormalised out), as the float32 kernel of sampler.c does.
 * The 16-bit values are widened to float32 as they are read (AVX-512, AVX2 or portable loops,
 * chosen at run time from gm_isa_current()); products, sums and the softmax are float32. */
void smp_attend_bf16(const float *q, const uint16_t *kblocks, const uint16_t *v, int n, int hd, float scale, float *mx,
                     float *den, float *out);

#endif
