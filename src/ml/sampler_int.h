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

/* float32 -> bfloat16 bits, round to nearest even, NaN kept a (quiet) NaN */
static inline uint16_t smp_bf16_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    uint32_t nan = (u >> 16) | 0x40u, rn = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16; /* a select, so loops vectorise */
    return (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? nan : rn);
}

static inline float smp_bf16_float(uint16_t b) {
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* One block of the running (online) softmax: sc[0..nb) holds the block's scaled scores and gets
 * exp(score - max); when the block raises the maximum, what was accumulated under the old one
 * (*den, out[0..hd)) is rescaled; *den gets the block's sum. The caller then adds the block's
 * values weighted by sc to out. With w16 (SMP_BF16) each weight is also rounded to bfloat16 into
 * w16[0..nb) and *den sums the rounded weights, so the weights the caller applies sum to *den;
 * without (NULL, the float32 path) the weights stay float32. */
static inline void smp_softmax_block(float *sc, int nb, int hd, float *mx, float *den, float *out, uint16_t *w16) {
    float bm = -INFINITY;
    for (int t = 0; t < nb; t++) bm = sc[t] > bm ? sc[t] : bm;
    if (bm > *mx) { /* rescale what was accumulated under the old maximum */
        float f = *mx == -INFINITY ? 0.0f : smp_expf(*mx - bm);
        *den *= f;
#pragma omp simd
        for (int i = 0; i < hd; i++) out[i] *= f;
        *mx = bm;
    }
    float m = *mx, dsum = 0.0f;
    if (w16) {
#pragma omp simd reduction(+ : dsum)
        for (int t = 0; t < nb; t++) {
            w16[t] = smp_bf16_bits(smp_expf(sc[t] - m));
            dsum += smp_bf16_float(w16[t]);
        }
    } else {
#pragma omp simd reduction(+ : dsum)
        for (int t = 0; t < nb; t++) {
            sc[t] = smp_expf(sc[t] - m);
            dsum += sc[t];
        }
    }
    *den += dsum;
}

/* Lines of memory to bring into L2 for a later attention task, asked for a few at a time
 * (smp_pf_step) while the current task computes: up to 3 ranges, each rows x lines cache lines
 * (64 bytes), rows stride bytes apart. */
typedef struct {
    const char *p[3];
    size_t stride[3];
    int lines[3], rows[3], nr; /* nr ranges in use, none empty */
    int i, row, line;          /* the next line */
    int per_step;              /* lines per smp_pf_step */
} smp_pf;

/* asks for the next per_step lines (locality 1: prefetcht2, into L2 on x86); pf NULL: nothing */
static inline void smp_pf_step(smp_pf *pf) {
    if (!pf) return;
    for (int k = 0; k < pf->per_step && pf->i < pf->nr; k++) {
        __builtin_prefetch(pf->p[pf->i] + (size_t)pf->row * pf->stride[pf->i] + 64 * (size_t)pf->line, 0, 1);
        if (++pf->line == pf->lines[pf->i]) {
            pf->line = 0;
            if (++pf->row == pf->rows[pf->i]) pf->row = 0, pf->i++;
        }
    }
}

/* ---- the bfloat16 KV cache (SMP_BF16), in pairs ----
 * Elements are bfloat16 bits (uint16_t) grouped in pairs, so that vdpbf16ps (two products per
 * 32-bit lane) reads them directly:
 *   keys, per block of 64 positions [64b, 64b+64): (hd/2, 64, 2) at kblocks + 64 b hd, element
 *     [i/2][t][i%2] = key of position 64b+t, dimension i (positions past n in the last block 0);
 *   values: (ceil(n/2), hd, 2), element [j/2][i][j%2] = value of position j, dimension i (the
 *     half past an odd n is never read as a number: the readers mask it).
 * A head's cache of n positions thus takes 64 ceil(n/64) hd keys and 2 ceil(n/2) hd values.
 * Attention rounds the query (once per head) and the softmax weights to bfloat16; each product
 * of two bfloat16 is exact in float32, and the sums are float32. */

/* writes position j's key k (hd) and value v (hd), rounded, into one head's cache; a new block of
 * keys (j % 64 == 0) is cleared first */
void smp_put_bf16(const float *k, const float *v, int j, int hd, uint16_t *kblocks, uint16_t *vpairs);

/* Attention of one query head (q16: hd bfloat16, the rounded query) over n positions of a head's
 * cache (layout above), folded into the running softmax state (max *mx, denominator *den,
 * unnormalised out), as the float32 kernel of sampler.c does; one smp_pf_step(pf) per block of 64
 * positions. Kernels chosen at run time: vdpbf16ps where gm_has_bf16() (scores, softmax and
 * weighted values of a block in AVX-512 registers), else AVX-512, AVX2 or portable loops that
 * widen the pairs to float32 (gm_isa_current()). */
void smp_attend_bf16(const uint16_t *q16, const uint16_t *kblocks, const uint16_t *vpairs, int n, int hd, float scale,
                     float *mx, float *den, float *out, smp_pf *pf);

/* ---- the 8-bit KV cache (SMP_KV8) ----
 * One head's cache is a run of blocks of 64 positions [64b, 64b+64), smp_kv8_block_bytes(hd) =
 * 128 hd + 512 bytes each (hd even), block b at blocks + b * that:
 *   [0, 64 hd)                 keys, int8 (hd/2, 64, 2): [i/2][t][i%2] = key of position 64b+t, dim i
 *   [64 hd, 64 hd + 256)       key scales, float (64)
 *   [64 hd + 256, 64 hd + 512) value scales, float (64)
 *   [64 hd + 512, 128 hd + 512) values, int8 (32, hd, 2): [t/2][i][t%2] = value of position 64b+t, dim i
 * Position t's key (and value) is x ~ scale * int8, scale = max_i |x_i| / 127, each element
 * rounded to nearest (ties to even); a block is cleared when its first position is written, so
 * the positions past the last one read as zero vectors of scale 0. Scores and weighted values are
 * integer pair products (int16 x int8) summed exactly in int32 (sampler_kv8.c). */
size_t smp_kv8_block_bytes(int hd);
/* writes position j's key k (hd) and value v (hd), rounded, into one head's cache of blocks */
void smp_put_kv8(const float *k, const float *v, int j, int hd, uint8_t *blocks);
/* the query q (hd) rounded to int16 qq (hd) relative to max |q| (qq in [-32767, 32767], fewer
 * levels past hd = 516 so that no score sum leaves int32); returns the scale: q ~ scale * qq */
float smp_q16_kv8(const float *q, int hd, int16_t *qq);
/* Attention of one query head (qq, qs: smp_q16_kv8) over n positions of a head's 8-bit cache,
 * folded into the running softmax state (*mx, *den, unnormalised out) like smp_attend_bf16; one
 * smp_pf_step(pf) per block. The softmax weights of a block times the value scales are rounded
 * to int16 relative to the block's largest (ties to even); the denominator sums the float32
 * weights. Readers (smp_kv8_reader): vpdpwssd where gm_isa_current() is AVX-512 and the CPU has
 * AVX512BW and AVX512_VNNI, else vpmaddwd (AVX2), else portable loops; they agree bit for bit. */
void smp_attend_kv8(const int16_t *qq, float qs, const uint8_t *blocks, int n, int hd, float scale, float *mx, float *den,
                    float *out, smp_pf *pf);
/* the reader smp_attend_kv8 uses now: 0 portable, 1 AVX2, 2 AVX-512 (VNNI) */
int smp_kv8_reader(void);

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* smp_expf on 16 lanes (the same operations), for the AVX-512 attention readers of the 16- and
 * 8-bit caches; it inlines into any caller whose target includes avx512f */
static inline __attribute__((target("avx512f"))) __m512 smp_exp16(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
    __m512 t = _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _mm512_set1_ps(12582912.0f));
    __m512 n = _mm512_sub_ps(t, _mm512_set1_ps(12582912.0f));
    __m512 r = _mm512_sub_ps(_mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(0.693145751953125f))),
                             _mm512_mul_ps(n, _mm512_set1_ps(1.428606765330187045e-06f)));
    __m512 p = _mm512_add_ps(_mm512_set1_ps(0.00833333377f), _mm512_mul_ps(r, _mm512_set1_ps(0.00138888892f)));
    p = _mm512_add_ps(_mm512_set1_ps(0.0416666679f), _mm512_mul_ps(r, p));
    p = _mm512_add_ps(_mm512_set1_ps(0.166666672f), _mm512_mul_ps(r, p));
    p = _mm512_add_ps(_mm512_set1_ps(0.5f), _mm512_mul_ps(r, p));
    p = _mm512_add_ps(_mm512_set1_ps(1.0f), _mm512_mul_ps(r, p));
    p = _mm512_add_ps(_mm512_set1_ps(1.0f), _mm512_mul_ps(r, p));
    __m512i e = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000 - 127));
    return _mm512_mul_ps(p, _mm512_castsi512_ps(_mm512_slli_epi32(e, 23)));
}
#endif

#endif
