/* sampler_kv8.c - attention over the 8-bit KV cache of the SMP_KV8 sampling mode (see sampler.h;
 * the layout in sampler_int.h). Keys and values are int8 with one float scale per (position,
 * KV head) vector; the query is rounded to int16 once per head and step, the softmax weights of a
 * block of 64 positions (times the values' scales) to int16 relative to the block's largest one.
 * Both products then are integer pairs summed exactly in int32 (vpdpwssd on AVX512_VNNI, vpmaddwd
 * on AVX2, plain int loops elsewhere), so the three readers get the same sums in any order; the
 * float32 steps around them (scales, online softmax, the denominator's sum, the weights' rounding)
 * are the same operations in the same order on every path, so the readers agree bit for bit.
 * Each kernel carries its own target attribute and is chosen at run time (gm_isa_current() and
 * the CPU's AVX512BW / AVX512_VNNI), so the file builds for any x86-64 CPU; elsewhere only the
 * portable loops exist. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ml/gemm.h"
#include "ml/sampler_int.h"

enum { SMP_KROW8 = 2 * SMP_ATT_BLOCK }; /* int8 per pair row of a key block */

size_t smp_kv8_block_bytes(int hd) { return (size_t)128 * hd + 512; }

/* x rounded to the nearest integer (ties to even) for |x| < 2^22: the default rounding of
 * vcvtps2dq, written so that loops vectorise */
static inline float smp_rint(float x) { return (x + 12582912.0f) - 12582912.0f; }

/* max |x[i]| (16 running maxima, so that the loop vectorises without a reduction clause) */
static float smp_absmax(const float *x, int n) {
    float m[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; l++) m[l] = fabsf(x[i + l]) > m[l] ? fabsf(x[i + l]) : m[l];
    for (; i < n; i++) m[0] = fabsf(x[i]) > m[0] ? fabsf(x[i]) : m[0];
    float am = 0.0f;
    for (int l = 0; l < 16; l++) am = m[l] > am ? m[l] : am;
    return am;
}

/* o[i] = x[i] * inv rounded to the nearest integer (ties to even), clamped to [-lim, lim]: the
 * integer read from the bits of y + 1.5 * 2^23 (no float-to-int conversion, which GCC does not
 * vectorise under the default trapping-math rules) */
static inline void smp_quant(const float *x, int n, float inv, float lim, int32_t *o) {
#pragma omp simd
    for (int i = 0; i < n; i++) {
        float y = x[i] * inv;
        y = y > lim ? lim : y < -lim ? -lim : y;
        float t = y + 12582912.0f;
        uint32_t u;
        memcpy(&u, &t, sizeof u);
        o[i] = (int32_t)(u - 0x4B400000u);
    }
}

void smp_put_kv8(const float *k, const float *v, int j, int hd, uint8_t *blocks) {
    uint8_t *b = blocks + (size_t)(j / SMP_ATT_BLOCK) * smp_kv8_block_bytes(hd);
    int t = j % SMP_ATT_BLOCK;
    if (t == 0) memset(b, 0, smp_kv8_block_bytes(hd)); /* a new block: unused positions read as 0 */
    float *ksc = (float *)(b + (size_t)64 * hd), *vsc = ksc + SMP_ATT_BLOCK;
    int8_t *kt = (int8_t *)b + 2 * t, *vt = (int8_t *)b + (size_t)64 * hd + 512 + (size_t)(t / 2) * 2 * hd + (t & 1);
    float ka = smp_absmax(k, hd), va = smp_absmax(v, hd);
    float ki = ka > 0.0f ? 127.0f / ka : 0.0f, vi = va > 0.0f ? 127.0f / va : 0.0f;
    int32_t qi[64];
    for (int i0 = 0; i0 < hd; i0 += 64) { /* keys: dimensions i, i+1 adjacent, pair rows 128 bytes apart */
        int n = hd - i0 < 64 ? hd - i0 : 64;
        smp_quant(k + i0, n, ki, 127.0f, qi);
        for (int i = 0; i < n; i += 2) {
            int8_t pr[2] = {(int8_t)qi[i], (int8_t)qi[i + 1]};
            memcpy(kt + (size_t)((i0 + i) / 2) * SMP_KROW8, pr, 2);
        }
        smp_quant(v + i0, n, vi, 127.0f, qi);
        for (int i = 0; i < n; i++) vt[2 * (size_t)(i0 + i)] = (int8_t)qi[i];
    }
    ksc[t] = ka / 127.0f;
    vsc[t] = va / 127.0f;
}

float smp_q16_kv8(const float *q, int hd, int16_t *qq) {
    /* qmax keeps hd * qmax * 127 (the largest score sum) below 2^31 */
    float qmax = hd <= 516 ? 32767.0f : (float)(2147483647 / (127 * hd));
    float am = smp_absmax(q, hd), inv = am > 0.0f ? qmax / am : 0.0f;
    int32_t qi[64];
    for (int i0 = 0; i0 < hd; i0 += 64) {
        int n = hd - i0 < 64 ? hd - i0 : 64;
        smp_quant(q + i0, n, inv, qmax, qi);
#pragma omp simd
        for (int i = 0; i < n; i++) qq[i0 + i] = (int16_t)qi[i];
    }
    return am / qmax;
}

/* ---- the float32 steps of one block, shared by the portable and AVX2 readers (the AVX-512
 * reader does the same operations on registers) ----
 * From the block's exact integer scores acc[0..64) (positions past nb ignored): scores
 * s_t = (float)acc_t * ks_t * c (c = query scale * attention scale), the online softmax update
 * (rescale by exp(old max - new max) when the block raises the maximum), weights
 * w_t = exp(s_t - max), the denominator's sum of the block in a fixed tree (lane l of 16 sums
 * positions l, l+16, l+32, l+48 in that order; then lanes l += l+8, l += l+4, l += l+2, l += l+1),
 * and u_t = w_t vs_t rounded to int16 wi[t] relative to the block's largest u (scale *wsc:
 * u_t ~ wi_t * wsc). Returns 0 when every u is 0 (nothing to add). */
static int smp_block_softmax8(const int32_t *acc, const float *ksc, const float *vsc, int nb, float c, int hd, float *mx,
                              float *den, float *out, int16_t *wi, float *wsc) {
    float s[SMP_ATT_BLOCK], w[SMP_ATT_BLOCK];
    float bm = -INFINITY;
    for (int t = 0; t < SMP_ATT_BLOCK; t++) {
        s[t] = t < nb ? (float)acc[t] * ksc[t] * c : -INFINITY;
        bm = s[t] > bm ? s[t] : bm;
    }
    if (bm > *mx) {
        float f = *mx == -INFINITY ? 0.0f : smp_expf(*mx - bm);
        *den *= f;
        for (int i = 0; i < hd; i++) out[i] *= f;
        *mx = bm;
    }
    float m = *mx, d[16], umax = 0.0f;
    for (int t = 0; t < SMP_ATT_BLOCK; t++) w[t] = t < nb ? smp_expf(s[t] - m) : 0.0f;
    for (int l = 0; l < 16; l++) d[l] = ((w[l] + w[l + 16]) + w[l + 32]) + w[l + 48];
    for (int h = 8; h >= 1; h /= 2)
        for (int l = 0; l < h; l++) d[l] += d[l + h];
    *den += d[0];
    for (int t = 0; t < SMP_ATT_BLOCK; t++) {
        w[t] *= vsc[t];
        umax = w[t] > umax ? w[t] : umax;
    }
    if (!(umax > 0.0f)) return 0;
    float inv = 32767.0f / umax;
    *wsc = umax / 32767.0f;
    for (int t = 0; t < SMP_ATT_BLOCK; t++) wi[t] = (int16_t)smp_rint(w[t] * inv);
    return 1;
}

/* acc[t] = sum_i qq[i] key[t][i] for the 16 ng positions of one key block (hp = hd/2 pairs) */
static void smp_kscore8_portable(const int16_t *qq, const int8_t *kb, int hp, int ng, int32_t *acc) {
    int nt = 16 * ng;
    for (int t = 0; t < nt; t++) acc[t] = 0;
    for (int d = 0; d < hp; d++) {
        const int8_t *kr = kb + (size_t)d * SMP_KROW8;
        int32_t q0 = qq[2 * d], q1 = qq[2 * d + 1];
        for (int t = 0; t < nt; t++) acc[t] += q0 * kr[2 * t] + q1 * kr[2 * t + 1];
    }
}

/* out[i] += (float)(sum_t wi[t] v[t][i]) * wsc over the ceil(nb/2) value pair rows of a block */
static void smp_vacc8_portable(const int16_t *wi, const int8_t *vp, int nb, int hd, float wsc, float *out) {
    int np = (nb + 1) / 2;
    for (int i = 0; i < hd; i++) {
        int32_t a = 0;
        for (int jp = 0; jp < np; jp++) {
            const int8_t *vr = vp + (size_t)jp * 2 * hd + 2 * (size_t)i;
            a += wi[2 * jp] * vr[0] + wi[2 * jp + 1] * vr[1];
        }
        out[i] = out[i] + (float)a * wsc;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define SMP_TGT2 __attribute__((target("avx2,fma")))
#define SMP_TGTVN __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx512vnni,fma")))

static inline uint32_t smp_pair16(const int16_t *p) { /* two int16 as one 32-bit lane (little-endian x86) */
    uint32_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* ---- AVX2: vpmaddwd on int8 widened to int16 (8 lanes) */

SMP_TGT2 static void smp_kscore8_avx2(const int16_t *qq, const int8_t *kb, int hp, int ng, int32_t *acc) {
    __m256i a[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++) a[k] = _mm256_setzero_si256();
    int nv = 2 * ng;
    for (int d = 0; d < hp; d++) {
        const int8_t *kr = kb + (size_t)d * SMP_KROW8;
        __m256i qb = _mm256_set1_epi32((int)smp_pair16(qq + 2 * d));
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++)
            if (k < nv) {
                __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(kr + 16 * k)));
                a[k] = _mm256_add_epi32(a[k], _mm256_madd_epi16(x, qb));
            }
    }
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++)
        if (k < nv) _mm256_storeu_si256((__m256i *)(acc + 8 * k), a[k]);
}

SMP_TGT2 static void smp_vacc8_avx2(const int16_t *wi, const int8_t *vp, int nb, int hd, float wsc, float *out) {
    int np = (nb + 1) / 2, iv = hd & ~7, i = 0;
    const size_t prow = 2 * (size_t)hd;
    __m256 ws = _mm256_set1_ps(wsc);
    for (; i < iv; i += 32) {
        int nv = (iv - i) / 8 < 4 ? (iv - i) / 8 : 4;
        __m256i a[4];
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) a[k] = _mm256_setzero_si256();
        const int8_t *v0 = vp + 2 * (size_t)i;
        for (int jp = 0; jp < np; jp++, v0 += prow) {
            __m256i wb = _mm256_set1_epi32((int)smp_pair16(wi + 2 * jp));
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++)
                if (k < nv) {
                    __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(v0 + 16 * k)));
                    a[k] = _mm256_add_epi32(a[k], _mm256_madd_epi16(x, wb));
                }
        }
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++)
            if (k < nv) {
                __m256 o = _mm256_loadu_ps(out + i + 8 * k);
                _mm256_storeu_ps(out + i + 8 * k, _mm256_add_ps(o, _mm256_mul_ps(_mm256_cvtepi32_ps(a[k]), ws)));
            }
    }
    for (i = iv; i < hd; i++) { /* the dimensions past the last whole 8, as the portable loop */
        int32_t a = 0;
        for (int jp = 0; jp < np; jp++) {
            const int8_t *vr = vp + (size_t)jp * prow + 2 * (size_t)i;
            a += wi[2 * jp] * vr[0] + wi[2 * jp + 1] * vr[1];
        }
        out[i] = out[i] + (float)a * wsc;
    }
}

/* ---- AVX-512: vpdpwssd (AVX512_VNNI) on int8 widened to int16 by vpmovsxbw, and the block's
 * float32 steps in registers */

/* lanes of 16 k = 0..3 of a slice of ni (1..64) */
static inline uint32_t smp_lanes8(int ni, int k) {
    int r = ni - 16 * k;
    return r >= 16 ? 0xFFFFu : r > 0 ? (1u << r) - 1u : 0u;
}


/* the scores of 16 ng positions of one key block: two accumulator sets (even and odd pairs of
 * dimensions) hide vpdpwssd's latency; integer sums, so the split changes nothing */
static inline __attribute__((always_inline)) SMP_TGTVN void smp_kscore8_vnni(const int16_t *qq, const int8_t *kb, int hp, int ng,
                                                                             __m512i *s) {
    __m512i a[4], b[4];
#pragma GCC unroll 4
    for (int g = 0; g < 4; g++) a[g] = b[g] = _mm512_setzero_si512();
    int d = 0;
    for (; d + 2 <= hp; d += 2) {
        __m512i q0 = _mm512_set1_epi32((int)smp_pair16(qq + 2 * d)), q1 = _mm512_set1_epi32((int)smp_pair16(qq + 2 * d + 2));
        const int8_t *k0 = kb + (size_t)d * SMP_KROW8, *k1 = k0 + SMP_KROW8;
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++)
            if (g < ng) {
                a[g] = _mm512_dpwssd_epi32(a[g], _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(k0 + 32 * g))), q0);
                b[g] = _mm512_dpwssd_epi32(b[g], _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(k1 + 32 * g))), q1);
            }
    }
    if (d < hp) {
        __m512i q0 = _mm512_set1_epi32((int)smp_pair16(qq + 2 * d));
        const int8_t *k0 = kb + (size_t)d * SMP_KROW8;
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++)
            if (g < ng) a[g] = _mm512_dpwssd_epi32(a[g], _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(k0 + 32 * g))), q0);
    }
#pragma GCC unroll 4
    for (int g = 0; g < 4; g++) s[g] = _mm512_add_epi32(a[g], b[g]);
}

static inline __attribute__((always_inline)) SMP_TGTVN void smp_vacc8_vnni(const int16_t *wi, const int8_t *vp, int nb, int hd,
                                                                           float wsc, float *out) {
    int np = (nb + 1) / 2;
    const size_t prow = 2 * (size_t)hd; /* int8 per pair of positions */
    __m512 ws = _mm512_set1_ps(wsc);
    for (int i = 0; i < hd; i += 64) {
        int ni = hd - i < 64 ? hd - i : 64;
        __mmask32 m[4];
        __m512i a[4], b[4];
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) {
            uint32_t l = smp_lanes8(ni, k); /* 16 dimensions = 32 int8 */
            uint32_t mm = 0;
            for (int e = 0; e < 16; e++)
                if (l >> e & 1u) mm |= 3u << (2 * e);
            m[k] = (__mmask32)mm;
            a[k] = b[k] = _mm512_setzero_si512();
        }
        const int8_t *v0 = vp + 2 * (size_t)i;
        int jp = 0;
        for (; jp + 2 <= np; jp += 2, v0 += 2 * prow) {
            __m512i w0 = _mm512_set1_epi32((int)smp_pair16(wi + 2 * jp)), w1 = _mm512_set1_epi32((int)smp_pair16(wi + 2 * jp + 2));
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++)
                if (16 * k < ni) {
                    a[k] = _mm512_dpwssd_epi32(a[k], _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m[k], v0 + 32 * k)), w0);
                    b[k] = _mm512_dpwssd_epi32(b[k], _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m[k], v0 + prow + 32 * k)), w1);
                }
        }
        if (jp < np) {
            __m512i w0 = _mm512_set1_epi32((int)smp_pair16(wi + 2 * jp));
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++)
                if (16 * k < ni) a[k] = _mm512_dpwssd_epi32(a[k], _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m[k], v0 + 32 * k)), w0);
        }
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++)
            if (16 * k < ni) {
                __mmask16 mo = (__mmask16)smp_lanes8(ni, k);
                __m512 o = _mm512_maskz_loadu_ps(mo, out + i + 16 * k);
                o = _mm512_add_ps(o, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(a[k], b[k])), ws));
                _mm512_mask_storeu_ps(out + i + 16 * k, mo, o);
            }
    }
}

/* the sum of 16 lanes in the tree of smp_block_softmax8 */
static inline SMP_TGTVN float smp_tree16(__m512 x) {
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(x), _mm512_extractf32x8_ps(x, 1));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
    return _mm_cvtss_f32(q);
}

SMP_TGTVN static void smp_attend8_vnni(const int16_t *qq, float qs, const uint8_t *blocks, int n, int hd, float scale,
                                       float *mx, float *den, float *out, smp_pf *pf) {
    int16_t wi[SMP_ATT_BLOCK] __attribute__((aligned(64)));
    const size_t bb = smp_kv8_block_bytes(hd);
    const float c = qs * scale;
    const __m512 ninf = _mm512_set1_ps(-INFINITY), cv = _mm512_set1_ps(c);
    for (int j0 = 0; j0 < n; j0 += SMP_ATT_BLOCK) {
        smp_pf_step(pf);
        const uint8_t *b = blocks + (size_t)(j0 / SMP_ATT_BLOCK) * bb;
        const float *ksc = (const float *)(b + (size_t)64 * hd), *vsc = ksc + SMP_ATT_BLOCK;
        int nb = n - j0 < SMP_ATT_BLOCK ? n - j0 : SMP_ATT_BLOCK, ng = (nb + 15) / 16;
        __m512i acc[4];
        __m512 s[4];
        __mmask16 m[4];
        smp_kscore8_vnni(qq, (const int8_t *)b, hd / 2, ng, acc);
        __m512 bmv = ninf;
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++) { /* positions past nb: -inf */
            m[g] = (__mmask16)smp_lanes8(nb, g);
            if (16 * g < nb) {
                __m512 x = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[g]), _mm512_loadu_ps(ksc + 16 * g));
                s[g] = _mm512_mask_mov_ps(ninf, m[g], _mm512_mul_ps(x, cv));
            } else
                s[g] = ninf;
            bmv = _mm512_max_ps(bmv, s[g]);
        }
        float bm = _mm512_reduce_max_ps(bmv);
        if (bm > *mx) {
            float f = *mx == -INFINITY ? 0.0f : smp_expf(*mx - bm);
            *den *= f;
            for (int i = 0; i < hd; i += 16) {
                __mmask16 mi = (__mmask16)smp_lanes8(hd - i < 16 ? hd - i : 16, 0);
                _mm512_mask_storeu_ps(out + i, mi, _mm512_mul_ps(_mm512_maskz_loadu_ps(mi, out + i), _mm512_set1_ps(f)));
            }
            *mx = bm;
        }
        __m512 mv = _mm512_set1_ps(*mx), w[4], umv = _mm512_setzero_ps();
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++) w[g] = _mm512_maskz_mov_ps(m[g], smp_exp16(_mm512_sub_ps(s[g], mv)));
        *den += smp_tree16(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(w[0], w[1]), w[2]), w[3]));
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++) {
            w[g] = _mm512_mul_ps(w[g], _mm512_loadu_ps(vsc + 16 * g));
            umv = _mm512_max_ps(umv, w[g]);
        }
        float umax = _mm512_reduce_max_ps(umv);
        if (!(umax > 0.0f)) continue;
        __m512 inv = _mm512_set1_ps(32767.0f / umax);
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++)
            _mm256_store_si256((__m256i *)(wi + 16 * g), _mm512_cvtepi32_epi16(_mm512_cvtps_epi32(_mm512_mul_ps(w[g], inv))));
        smp_vacc8_vnni(wi, (const int8_t *)(b + (size_t)64 * hd + 512), nb, hd, umax / 32767.0f, out);
    }
}

static int smp_have_vnni(void) {
    static int have = -1;
    if (have < 0) {
        __builtin_cpu_init();
        have = __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512vl");
    }
    return have;
}
#define SMP_HAVE_X86 1
#else
#define SMP_HAVE_X86 0
#endif

typedef void (*smp_kscore8_fn)(const int16_t *qq, const int8_t *kb, int hp, int ng, int32_t *acc);
typedef void (*smp_vacc8_fn)(const int16_t *wi, const int8_t *vp, int nb, int hd, float wsc, float *out);

int smp_kv8_reader(void) {
#if SMP_HAVE_X86
    gm_isa isa = gm_isa_current();
    if (isa == GM_AVX512 && smp_have_vnni()) return 2;
    if (isa >= GM_AVX2) return 1;
#endif
    return 0;
}

void smp_attend_kv8(const int16_t *qq, float qs, const uint8_t *blocks, int n, int hd, float scale, float *mx, float *den,
                    float *out, smp_pf *pf) {
    int rd = smp_kv8_reader();
    smp_kscore8_fn kscore = smp_kscore8_portable;
    smp_vacc8_fn vacc = smp_vacc8_portable;
#if SMP_HAVE_X86
    if (rd == 2) {
        smp_attend8_vnni(qq, qs, blocks, n, hd, scale, mx, den, out, pf);
        return;
    }
    if (rd == 1) kscore = smp_kscore8_avx2, vacc = smp_vacc8_avx2;
#else
    (void)rd;
#endif
    const size_t bb = smp_kv8_block_bytes(hd);
    int32_t acc[SMP_ATT_BLOCK];
    int16_t wi[SMP_ATT_BLOCK];
    for (int j0 = 0; j0 < n; j0 += SMP_ATT_BLOCK) {
        smp_pf_step(pf);
        const uint8_t *b = blocks + (size_t)(j0 / SMP_ATT_BLOCK) * bb;
        const float *ksc = (const float *)(b + (size_t)64 * hd), *vsc = ksc + SMP_ATT_BLOCK;
        int nb = n - j0 < SMP_ATT_BLOCK ? n - j0 : SMP_ATT_BLOCK;
        float wsc;
        kscore(qq, (const int8_t *)b, hd / 2, (nb + 15) / 16, acc);
        if (smp_block_softmax8(acc, ksc, vsc, nb, qs * scale, hd, mx, den, out, wi, &wsc))
            vacc(wi, (const int8_t *)(b + (size_t)64 * hd + 512), nb, hd, wsc, out);
    }
}
