/* sampler_kv16.c - attention over the bfloat16 KV cache of the reduced-precision sampling mode
 * (see sampler.h; the layout in sampler_int.h). Keys and values are stored in pairs of bfloat16,
 * the query and the softmax weights are rounded to bfloat16, and every product is the exact
 * float32 product of two bfloat16 summed in float32. Two kernels per instruction set: the scores
 * of a block of 64 positions and the weighted sum of value pairs; the online softmax between them
 * is shared with the float32 path.
 *
 * Kernels: vdpbf16ps (AVX512_BF16: two products per lane and instruction, no widening) where
 * gm_has_bf16(); otherwise AVX-512, AVX2 or portable loops that widen each pair (the low half is
 * a shift, the high half a mask) and add the high product, then the low one, per pair in order -
 * the order vdpbf16ps documents - so the three widening readers give bit-identical results. Each
 * kernel carries its own target attribute and is chosen at run time, so the file builds for any
 * x86-64 CPU; elsewhere only the portable loops exist. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ml/gemm.h"
#include "ml/sampler_int.h"

/* sc[t] = sum_i q[i] kb[i/2][t][i%2] for t < 16 ng (kb: one key block, hp = hd/2 pairs) */
typedef void (*smp_kscore_fn)(const uint16_t *q16, const uint16_t *kb, int hp, int ng, float *sc);
/* out[i] += sum_{j < nb} w[j] v[j/2][i][j%2] for i < hd (w16: nb rounded weights) */
typedef void (*smp_vacc_fn)(const uint16_t *w16, const uint16_t *vp, int nb, int hd, float *out);

enum { SMP_KROW = 2 * SMP_ATT_BLOCK }; /* bfloat16 per pair row of a key block */

void smp_put_bf16(const float *k, const float *v, int j, int hd, uint16_t *kblocks, uint16_t *vpairs) {
    uint16_t *kb = kblocks + (size_t)(j / SMP_ATT_BLOCK) * SMP_ATT_BLOCK * hd;
    if (j % SMP_ATT_BLOCK == 0) memset(kb, 0, (size_t)SMP_ATT_BLOCK * hd * sizeof *kb);
    uint16_t *kt = kb + (size_t)(j % SMP_ATT_BLOCK) * 2;
    for (int i = 0; i < hd; i += 2) {
        uint16_t pr[2] = {smp_bf16_bits(k[i]), smp_bf16_bits(k[i + 1])};
        memcpy(kt + (size_t)(i / 2) * SMP_KROW, pr, sizeof pr);
    }
    uint16_t *vt = vpairs + (size_t)(j / 2) * 2 * hd + (j & 1);
    for (int i = 0; i < hd; i++) vt[2 * (size_t)i] = smp_bf16_bits(v[i]);
}

static void smp_kscore_portable(const uint16_t *q16, const uint16_t *kb, int hp, int ng, float *sc) {
    int nt = 16 * ng;
    for (int t = 0; t < nt; t++) sc[t] = 0.0f;
    for (int d = 0; d < hp; d++) {
        const uint16_t *kr = kb + (size_t)d * SMP_KROW;
        float qlo = smp_bf16_float(q16[2 * d]), qhi = smp_bf16_float(q16[2 * d + 1]);
#pragma omp simd
        for (int t = 0; t < nt; t++) {
            float s = sc[t] + qhi * smp_bf16_float(kr[2 * t + 1]);
            sc[t] = s + qlo * smp_bf16_float(kr[2 * t]);
        }
    }
}

static void smp_vacc_portable(const uint16_t *w16, const uint16_t *vp, int nb, int hd, float *out) {
    for (int j = 0; j + 1 < nb; j += 2) {
        const uint16_t *vr = vp + (size_t)j * hd;
        float wlo = smp_bf16_float(w16[j]), whi = smp_bf16_float(w16[j + 1]);
#pragma omp simd
        for (int i = 0; i < hd; i++) {
            float s = out[i] + whi * smp_bf16_float(vr[2 * i + 1]);
            out[i] = s + wlo * smp_bf16_float(vr[2 * i]);
        }
    }
    if (nb & 1) { /* the last position alone: its pair's high half is not read */
        const uint16_t *vr = vp + (size_t)(nb - 1) * hd;
        float wlo = smp_bf16_float(w16[nb - 1]);
#pragma omp simd
        for (int i = 0; i < hd; i++) out[i] += wlo * smp_bf16_float(vr[2 * i]);
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define SMP_TGT512 __attribute__((target("avx512f,avx512vl,fma")))
#define SMP_TGT2 __attribute__((target("avx2,fma")))
#define SMP_TGTBF __attribute__((target("avx512f,avx512vl,avx512bf16,fma")))

static inline uint32_t smp_word(const uint16_t *p) { /* a pair as one 32-bit lane (little-endian x86) */
    uint32_t w;
    memcpy(&w, p, sizeof w);
    return w;
}

/* lanes of 16 dimensions k = 0..3 of a slice of ni (1..64) dimensions */
static inline uint32_t smp_lanes(int ni, int k) {
    int r = ni - 16 * k;
    return r >= 16 ? 0xFFFFu : r > 0 ? (1u << r) - 1u : 0u;
}

/* ---- vdpbf16ps: two sets of accumulators (even and odd pairs) hide the instruction's latency */

/* the scores of 16 ng positions of one key block into s[0..ng) */
static inline __attribute__((always_inline)) SMP_TGTBF void smp_kscore_dp(const uint16_t *q16, const uint16_t *kb, int hp,
                                                                          int ng, __m512 *s) {
    __m512 a[4], b[4];
#pragma GCC unroll 4
    for (int g = 0; g < 4; g++) a[g] = b[g] = _mm512_setzero_ps();
    int d = 0;
    for (; d + 2 <= hp; d += 2) {
        __m512bh q0 = (__m512bh)_mm512_set1_epi32((int)smp_word(q16 + 2 * d));
        __m512bh q1 = (__m512bh)_mm512_set1_epi32((int)smp_word(q16 + 2 * d + 2));
        const uint16_t *k0 = kb + (size_t)d * SMP_KROW, *k1 = k0 + SMP_KROW;
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++)
            if (g < ng) {
                a[g] = _mm512_dpbf16_ps(a[g], (__m512bh)_mm512_loadu_si512(k0 + 32 * g), q0);
                b[g] = _mm512_dpbf16_ps(b[g], (__m512bh)_mm512_loadu_si512(k1 + 32 * g), q1);
            }
    }
    if (d < hp) {
        __m512bh q0 = (__m512bh)_mm512_set1_epi32((int)smp_word(q16 + 2 * d));
        const uint16_t *k0 = kb + (size_t)d * SMP_KROW;
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++)
            if (g < ng) a[g] = _mm512_dpbf16_ps(a[g], (__m512bh)_mm512_loadu_si512(k0 + 32 * g), q0);
    }
#pragma GCC unroll 4
    for (int g = 0; g < 4; g++) s[g] = _mm512_add_ps(a[g], b[g]);
}

static inline __attribute__((always_inline)) SMP_TGTBF void smp_vacc_dp(const uint16_t *w16, const uint16_t *vp, int nb,
                                                                        int hd, float *out) {
    int np = nb / 2;
    const size_t prow = 2 * (size_t)hd; /* bfloat16 per pair of positions */
    for (int i = 0; i < hd; i += 64) {
        int ni = hd - i < 64 ? hd - i : 64;
        __mmask16 m[4];
        __m512 a[4], b[4];
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) {
            m[k] = (__mmask16)smp_lanes(ni, k);
            a[k] = _mm512_maskz_loadu_ps(m[k], out + i + 16 * k);
            b[k] = _mm512_setzero_ps();
        }
        const uint16_t *v0 = vp + 2 * (size_t)i;
        int jp = 0;
        for (; jp + 2 <= np; jp += 2, v0 += 2 * prow) {
            __m512bh w0 = (__m512bh)_mm512_set1_epi32((int)smp_word(w16 + 2 * jp));
            __m512bh w1 = (__m512bh)_mm512_set1_epi32((int)smp_word(w16 + 2 * jp + 2));
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++)
                if (16 * k < ni) {
                    a[k] = _mm512_dpbf16_ps(a[k], (__m512bh)_mm512_maskz_loadu_epi32(m[k], v0 + 32 * k), w0);
                    b[k] = _mm512_dpbf16_ps(b[k], (__m512bh)_mm512_maskz_loadu_epi32(m[k], v0 + prow + 32 * k), w1);
                }
        }
        if (jp < np) {
            __m512bh w0 = (__m512bh)_mm512_set1_epi32((int)smp_word(w16 + 2 * jp));
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++)
                if (16 * k < ni) a[k] = _mm512_dpbf16_ps(a[k], (__m512bh)_mm512_maskz_loadu_epi32(m[k], v0 + 32 * k), w0);
            v0 += prow;
        }
        if (nb & 1) { /* the last position alone: the high halves (weight and value) are zeroed */
            __m512bh w0 = (__m512bh)_mm512_set1_epi32((int)w16[nb - 1]);
            __m512i lo = _mm512_set1_epi32(0xFFFF);
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++)
                if (16 * k < ni)
                    a[k] = _mm512_dpbf16_ps(a[k], (__m512bh)_mm512_and_si512(_mm512_maskz_loadu_epi32(m[k], v0 + 32 * k), lo), w0);
        }
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++)
            if (16 * k < ni) _mm512_mask_storeu_ps(out + i + 16 * k, m[k], _mm512_add_ps(a[k], b[k]));
    }
}


/* the whole of smp_attend_bf16 on vdpbf16ps: per block, the scores stay in registers, the
 * weights are rounded by vcvtne2ps2bf16 (nearest even) straight into pairs */
SMP_TGTBF static void smp_attend_dp(const uint16_t *q16, const uint16_t *kblocks, const uint16_t *vpairs, int n, int hd,
                                    float scale, float *mx, float *den, float *out, smp_pf *pf) {
    uint16_t w16[SMP_ATT_BLOCK] __attribute__((aligned(64)));
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    for (int j0 = 0; j0 < n; j0 += SMP_ATT_BLOCK) {
        smp_pf_step(pf);
        int nb = n - j0 < SMP_ATT_BLOCK ? n - j0 : SMP_ATT_BLOCK, ng = (nb + 15) / 16;
        __m512 s[4];
        __mmask16 m[4];
        smp_kscore_dp(q16, kblocks + (size_t)j0 * hd, hd / 2, ng, s);
        __m512 bmv = ninf;
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++) { /* positions past nb: -inf, so they weigh nothing */
            m[g] = (__mmask16)smp_lanes(nb, g);
            s[g] = _mm512_mask_mul_ps(ninf, m[g], s[g], _mm512_set1_ps(scale));
            bmv = _mm512_max_ps(bmv, s[g]);
        }
        float bm = _mm512_reduce_max_ps(bmv);
        if (bm > *mx) { /* rescale what was accumulated under the old maximum */
            float f = *mx == -INFINITY ? 0.0f : smp_expf(*mx - bm);
            *den *= f;
            for (int i = 0; i < hd; i += 16) {
                __mmask16 mi = (__mmask16)smp_lanes(hd - i < 16 ? hd - i : 16, 0);
                _mm512_mask_storeu_ps(out + i, mi, _mm512_mul_ps(_mm512_maskz_loadu_ps(mi, out + i), _mm512_set1_ps(f)));
            }
            *mx = bm;
        }
        __m512 mv = _mm512_set1_ps(*mx), e[4];
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++) e[g] = _mm512_maskz_mov_ps(m[g], smp_exp16(_mm512_sub_ps(s[g], mv)));
        __m512i w01 = (__m512i)_mm512_cvtne2ps_pbh(e[1], e[0]), w23 = (__m512i)_mm512_cvtne2ps_pbh(e[3], e[2]);
        _mm512_store_si512(w16, w01);
        _mm512_store_si512(w16 + 32, w23);
        /* the denominator sums the rounded weights: both halves of every pair */
        __m512i hm = _mm512_set1_epi32((int)0xFFFF0000u);
        __m512 ds = _mm512_add_ps(_mm512_castsi512_ps(_mm512_slli_epi32(w01, 16)), _mm512_castsi512_ps(_mm512_and_si512(w01, hm)));
        ds = _mm512_add_ps(ds, _mm512_castsi512_ps(_mm512_slli_epi32(w23, 16)));
        ds = _mm512_add_ps(ds, _mm512_castsi512_ps(_mm512_and_si512(w23, hm)));
        *den += _mm512_reduce_add_ps(ds);
        smp_vacc_dp(w16, vpairs + (size_t)j0 * hd, nb, hd, out);
    }
}

/* ---- AVX-512 without bfloat16 instructions: widen each pair */

SMP_TGT512 static inline __m512 smp_lo16(__m512i x) { return _mm512_castsi512_ps(_mm512_slli_epi32(x, 16)); }
SMP_TGT512 static inline __m512 smp_hi16(__m512i x) {
    return _mm512_castsi512_ps(_mm512_and_si512(x, _mm512_set1_epi32((int)0xFFFF0000u)));
}

SMP_TGT512 static void smp_kscore_avx512(const uint16_t *q16, const uint16_t *kb, int hp, int ng, float *sc) {
    __m512 s[4];
#pragma GCC unroll 4
    for (int g = 0; g < 4; g++) s[g] = _mm512_setzero_ps();
    for (int d = 0; d < hp; d++) {
        const uint16_t *kr = kb + (size_t)d * SMP_KROW;
        __m512 qlo = _mm512_set1_ps(smp_bf16_float(q16[2 * d])), qhi = _mm512_set1_ps(smp_bf16_float(q16[2 * d + 1]));
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++)
            if (g < ng) {
                __m512i x = _mm512_loadu_si512(kr + 32 * g);
                s[g] = _mm512_fmadd_ps(smp_hi16(x), qhi, s[g]);
                s[g] = _mm512_fmadd_ps(smp_lo16(x), qlo, s[g]);
            }
    }
#pragma GCC unroll 4
    for (int g = 0; g < 4; g++)
        if (g < ng) _mm512_storeu_ps(sc + 16 * g, s[g]);
}

SMP_TGT512 static void smp_vacc_avx512(const uint16_t *w16, const uint16_t *vp, int nb, int hd, float *out) {
    const size_t prow = 2 * (size_t)hd;
    for (int i = 0; i < hd; i += 64) {
        int ni = hd - i < 64 ? hd - i : 64;
        __mmask16 m[4];
        __m512 a[4];
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) {
            m[k] = (__mmask16)smp_lanes(ni, k);
            a[k] = _mm512_maskz_loadu_ps(m[k], out + i + 16 * k);
        }
        const uint16_t *v0 = vp + 2 * (size_t)i;
        int j = 0;
        for (; j + 1 < nb; j += 2, v0 += prow) {
            __m512 wlo = _mm512_set1_ps(smp_bf16_float(w16[j])), whi = _mm512_set1_ps(smp_bf16_float(w16[j + 1]));
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++)
                if (16 * k < ni) {
                    __m512i x = _mm512_maskz_loadu_epi32(m[k], v0 + 32 * k);
                    a[k] = _mm512_fmadd_ps(smp_hi16(x), whi, a[k]);
                    a[k] = _mm512_fmadd_ps(smp_lo16(x), wlo, a[k]);
                }
        }
        if (nb & 1) {
            __m512 wlo = _mm512_set1_ps(smp_bf16_float(w16[nb - 1]));
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++)
                if (16 * k < ni) a[k] = _mm512_fmadd_ps(smp_lo16(_mm512_maskz_loadu_epi32(m[k], v0 + 32 * k)), wlo, a[k]);
        }
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++)
            if (16 * k < ni) _mm512_mask_storeu_ps(out + i + 16 * k, m[k], a[k]);
    }
}

/* ---- AVX2: the same on 8 lanes; dimensions past the last whole 8 in scalar code (same order) */

SMP_TGT2 static inline __m256 smp_lo8(__m256i x) { return _mm256_castsi256_ps(_mm256_slli_epi32(x, 16)); }
SMP_TGT2 static inline __m256 smp_hi8(__m256i x) {
    return _mm256_castsi256_ps(_mm256_and_si256(x, _mm256_set1_epi32((int)0xFFFF0000u)));
}

SMP_TGT2 static void smp_kscore_avx2(const uint16_t *q16, const uint16_t *kb, int hp, int ng, float *sc) {
    __m256 s[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++) s[k] = _mm256_setzero_ps();
    int nv = 2 * ng;
    for (int d = 0; d < hp; d++) {
        const uint16_t *kr = kb + (size_t)d * SMP_KROW;
        __m256 qlo = _mm256_set1_ps(smp_bf16_float(q16[2 * d])), qhi = _mm256_set1_ps(smp_bf16_float(q16[2 * d + 1]));
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++)
            if (k < nv) {
                __m256i x = _mm256_loadu_si256((const __m256i *)(kr + 16 * k));
                s[k] = _mm256_fmadd_ps(smp_hi8(x), qhi, s[k]);
                s[k] = _mm256_fmadd_ps(smp_lo8(x), qlo, s[k]);
            }
    }
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++)
        if (k < nv) _mm256_storeu_ps(sc + 8 * k, s[k]);
}

SMP_TGT2 static void smp_vacc_avx2(const uint16_t *w16, const uint16_t *vp, int nb, int hd, float *out) {
    const size_t prow = 2 * (size_t)hd;
    int iv = hd & ~7, i = 0;
    for (; i < iv; i += 32) {
        int nv = (iv - i) / 8 < 4 ? (iv - i) / 8 : 4;
        __m256 a[4];
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) a[k] = k < nv ? _mm256_loadu_ps(out + i + 8 * k) : _mm256_setzero_ps();
        const uint16_t *v0 = vp + 2 * (size_t)i;
        int j = 0;
        for (; j + 1 < nb; j += 2, v0 += prow) {
            __m256 wlo = _mm256_set1_ps(smp_bf16_float(w16[j])), whi = _mm256_set1_ps(smp_bf16_float(w16[j + 1]));
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++)
                if (k < nv) {
                    __m256i x = _mm256_loadu_si256((const __m256i *)(v0 + 16 * k));
                    a[k] = _mm256_fmadd_ps(smp_hi8(x), whi, a[k]);
                    a[k] = _mm256_fmadd_ps(smp_lo8(x), wlo, a[k]);
                }
        }
        if (nb & 1) {
            __m256 wlo = _mm256_set1_ps(smp_bf16_float(w16[nb - 1]));
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++)
                if (k < nv) a[k] = _mm256_fmadd_ps(smp_lo8(_mm256_loadu_si256((const __m256i *)(v0 + 16 * k))), wlo, a[k]);
        }
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++)
            if (k < nv) _mm256_storeu_ps(out + i + 8 * k, a[k]);
    }
    for (i = iv; i < hd; i++) {
        float o = out[i];
        for (int j = 0; j + 1 < nb; j += 2) {
            const uint16_t *vr = vp + (size_t)j * hd + 2 * (size_t)i;
            float s = o + smp_bf16_float(w16[j + 1]) * smp_bf16_float(vr[1]);
            o = s + smp_bf16_float(w16[j]) * smp_bf16_float(vr[0]);
        }
        if (nb & 1) o += smp_bf16_float(w16[nb - 1]) * smp_bf16_float(vp[(size_t)(nb - 1) * hd + 2 * (size_t)i]);
        out[i] = o;
    }
}

/* by gm_isa_current() */
static const smp_kscore_fn smp_kscores[3] = {smp_kscore_portable, smp_kscore_avx2, smp_kscore_avx512};
static const smp_vacc_fn smp_vaccs[3] = {smp_vacc_portable, smp_vacc_avx2, smp_vacc_avx512};
#define SMP_HAVE_DP 1
#else
static const smp_kscore_fn smp_kscores[3] = {smp_kscore_portable, smp_kscore_portable, smp_kscore_portable};
static const smp_vacc_fn smp_vaccs[3] = {smp_vacc_portable, smp_vacc_portable, smp_vacc_portable};
#define SMP_HAVE_DP 0
#endif

void smp_attend_bf16(const uint16_t *q16, const uint16_t *kblocks, const uint16_t *vpairs, int n, int hd, float scale,
                     float *mx, float *den, float *out, smp_pf *pf) {
#if SMP_HAVE_DP
    if (gm_has_bf16()) {
        smp_attend_dp(q16, kblocks, vpairs, n, hd, scale, mx, den, out, pf);
        return;
    }
#endif
    gm_isa isa = gm_isa_current();
    smp_kscore_fn kscore = smp_kscores[isa];
    smp_vacc_fn vacc = smp_vaccs[isa];
    float sc[SMP_ATT_BLOCK];
    uint16_t w16[SMP_ATT_BLOCK];
    for (int j0 = 0; j0 < n; j0 += SMP_ATT_BLOCK) {
        smp_pf_step(pf);
        int nb = n - j0 < SMP_ATT_BLOCK ? n - j0 : SMP_ATT_BLOCK;
        /* whole groups of 16 positions: the extra ones are zeros in the same cache lines */
        kscore(q16, kblocks + (size_t)j0 * hd, hd / 2, (nb + 15) / 16, sc);
        for (int t = 0; t < nb; t++) sc[t] *= scale;
        smp_softmax_block(sc, nb, hd, mx, den, out, w16);
        vacc(w16, vpairs + (size_t)j0 * hd, nb, hd, out);
    }
}
