/* sampler_kv16.c - attention over the bfloat16 KV cache of the reduced-precision sampling mode
 * (see sampler.h, sampler_int.h). A bfloat16 value is the high half of a float32, so widening is
 * a zero extension to 32 bits and a shift by 16. Two kernels per instruction set: the scores of a
 * block of 64 positions (keys transposed, (hd, 64)) and the weighted sum of value rows; the
 * online softmax between them is shared. Each kernel carries its own target attribute and is
 * chosen at run time (gm_isa_current), so the file builds for any x86-64 CPU; elsewhere only the
 * portable loops exist. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ml/gemm.h"
#include "ml/sampler_int.h"

/* sc[t] = sum_d q[d] kb[d][t] for t < 16 ng (kb: (hd, 64) bfloat16) */
typedef void (*smp_kscore_fn)(const float *q, const uint16_t *kb, int hd, int ng, float *sc);
/* out[i] += sum_{j < nb} w[j] v[j][i] for i < hd (v: (nb, hd) bfloat16) */
typedef void (*smp_vacc_fn)(const float *w, const uint16_t *v, int nb, int hd, float *out);

static inline float smp_bf(uint16_t b) {
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void smp_kscore_portable(const float *q, const uint16_t *kb, int hd, int ng, float *sc) {
    int nt = 16 * ng;
    for (int t = 0; t < nt; t++) sc[t] = 0.0f;
    for (int d = 0; d < hd; d++) {
        const uint16_t *kr = kb + (size_t)d * SMP_ATT_BLOCK;
        float qd = q[d];
#pragma omp simd
        for (int t = 0; t < nt; t++) sc[t] += qd * smp_bf(kr[t]);
    }
}

static void smp_vacc_portable(const float *w, const uint16_t *v, int nb, int hd, float *out) {
    for (int j = 0; j < nb; j++) {
        const uint16_t *vr = v + (size_t)j * hd;
        float wj = w[j];
#pragma omp simd
        for (int i = 0; i < hd; i++) out[i] += wj * smp_bf(vr[i]);
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define SMP_TGT512 __attribute__((target("avx512f,avx512vl,fma")))
#define SMP_TGT2 __attribute__((target("avx2,fma")))

/* 16 bfloat16 at p -> 16 floats */
static inline SMP_TGT512 __m512 smp_ld16(const uint16_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}

SMP_TGT512 static void smp_kscore_avx512(const float *q, const uint16_t *kb, int hd, int ng, float *sc) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (int d = 0; d < hd; d++) {
        const uint16_t *kr = kb + (size_t)d * SMP_ATT_BLOCK;
        __m512 qd = _mm512_set1_ps(q[d]);
        s0 = _mm512_fmadd_ps(smp_ld16(kr), qd, s0);
        if (ng > 1) s1 = _mm512_fmadd_ps(smp_ld16(kr + 16), qd, s1);
        if (ng > 2) s2 = _mm512_fmadd_ps(smp_ld16(kr + 32), qd, s2);
        if (ng > 3) s3 = _mm512_fmadd_ps(smp_ld16(kr + 48), qd, s3);
    }
    _mm512_storeu_ps(sc, s0);
    _mm512_storeu_ps(sc + 16, s1);
    _mm512_storeu_ps(sc + 32, s2);
    _mm512_storeu_ps(sc + 48, s3);
}

SMP_TGT512 static void smp_vacc_avx512(const float *w, const uint16_t *v, int nb, int hd, float *out) {
    int iv = hd & ~15, i = 0;
    for (; i + 64 <= iv; i += 64) { /* 4 independent accumulators over 64 dimensions of each row */
        __m512 a0 = _mm512_loadu_ps(out + i), a1 = _mm512_loadu_ps(out + i + 16);
        __m512 a2 = _mm512_loadu_ps(out + i + 32), a3 = _mm512_loadu_ps(out + i + 48);
        for (int j = 0; j < nb; j++) {
            const uint16_t *vr = v + (size_t)j * hd + i;
            __m512 wj = _mm512_set1_ps(w[j]);
            a0 = _mm512_fmadd_ps(smp_ld16(vr), wj, a0);
            a1 = _mm512_fmadd_ps(smp_ld16(vr + 16), wj, a1);
            a2 = _mm512_fmadd_ps(smp_ld16(vr + 32), wj, a2);
            a3 = _mm512_fmadd_ps(smp_ld16(vr + 48), wj, a3);
        }
        _mm512_storeu_ps(out + i, a0);
        _mm512_storeu_ps(out + i + 16, a1);
        _mm512_storeu_ps(out + i + 32, a2);
        _mm512_storeu_ps(out + i + 48, a3);
    }
    for (; i < iv; i += 16) {
        __m512 a = _mm512_loadu_ps(out + i);
        for (int j = 0; j < nb; j++) a = _mm512_fmadd_ps(smp_ld16(v + (size_t)j * hd + i), _mm512_set1_ps(w[j]), a);
        _mm512_storeu_ps(out + i, a);
    }
    for (i = iv; i < hd; i++)
        for (int j = 0; j < nb; j++) out[i] += w[j] * smp_bf(v[(size_t)j * hd + i]);
}

/* 8 bfloat16 at p -> 8 floats */
static inline SMP_TGT2 __m256 smp_ld8(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}

SMP_TGT2 static void smp_kscore_avx2(const float *q, const uint16_t *kb, int hd, int ng, float *sc) {
    __m256 s[8];
    for (int k = 0; k < 8; k++) s[k] = _mm256_setzero_ps();
    int nv = 2 * ng;
    for (int d = 0; d < hd; d++) {
        const uint16_t *kr = kb + (size_t)d * SMP_ATT_BLOCK;
        __m256 qd = _mm256_set1_ps(q[d]);
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++)
            if (k < nv) s[k] = _mm256_fmadd_ps(smp_ld8(kr + 8 * k), qd, s[k]);
    }
    for (int k = 0; k < 8; k++) _mm256_storeu_ps(sc + 8 * k, s[k]);
}

SMP_TGT2 static void smp_vacc_avx2(const float *w, const uint16_t *v, int nb, int hd, float *out) {
    int iv = hd & ~7, i = 0;
    for (; i + 32 <= iv; i += 32) {
        __m256 a0 = _mm256_loadu_ps(out + i), a1 = _mm256_loadu_ps(out + i + 8);
        __m256 a2 = _mm256_loadu_ps(out + i + 16), a3 = _mm256_loadu_ps(out + i + 24);
        for (int j = 0; j < nb; j++) {
            const uint16_t *vr = v + (size_t)j * hd + i;
            __m256 wj = _mm256_set1_ps(w[j]);
            a0 = _mm256_fmadd_ps(smp_ld8(vr), wj, a0);
            a1 = _mm256_fmadd_ps(smp_ld8(vr + 8), wj, a1);
            a2 = _mm256_fmadd_ps(smp_ld8(vr + 16), wj, a2);
            a3 = _mm256_fmadd_ps(smp_ld8(vr + 24), wj, a3);
        }
        _mm256_storeu_ps(out + i, a0);
        _mm256_storeu_ps(out + i + 8, a1);
        _mm256_storeu_ps(out + i + 16, a2);
        _mm256_storeu_ps(out + i + 24, a3);
    }
    for (; i < iv; i += 8) {
        __m256 a = _mm256_loadu_ps(out + i);
        for (int j = 0; j < nb; j++) a = _mm256_fmadd_ps(smp_ld8(v + (size_t)j * hd + i), _mm256_set1_ps(w[j]), a);
        _mm256_storeu_ps(out + i, a);
    }
    for (i = iv; i < hd; i++)
        for (int j = 0; j < nb; j++) out[i] += w[j] * smp_bf(v[(size_t)j * hd + i]);
}

static const smp_kscore_fn smp_kscores[3] = {smp_kscore_portable, smp_kscore_avx2, smp_kscore_avx512};
static const smp_vacc_fn smp_vaccs[3] = {smp_vacc_portable, smp_vacc_avx2, smp_vacc_avx512};
#else
static const smp_kscore_fn smp_kscores[3] = {smp_kscore_portable, smp_kscore_portable, smp_kscore_portable};
static const smp_vacc_fn smp_vaccs[3] = {smp_vacc_portable, smp_vacc_portable, smp_vacc_portable};
#endif

void smp_attend_bf16(const float *q, const uint16_t *kblocks, const uint16_t *v, int n, int hd, float scale, float *mx,
                     float *den, float *out) {
    gm_isa isa = gm_isa_current();
    smp_kscore_fn kscore = smp_kscores[isa];
    smp_vacc_fn vacc = smp_vaccs[isa];
    float sc[SMP_ATT_BLOCK];
    for (int j0 = 0; j0 < n; j0 += SMP_ATT_BLOCK) {
        int nb = n - j0 < SMP_ATT_BLOCK ? n - j0 : SMP_ATT_BLOCK;
        /* whole groups of 16 positions: the extra ones are zeros in the same cache lines */
        kscore(q, kblocks + (size_t)j0 * hd, hd, (nb + 15) / 16, sc);
        for (int t = 0; t < nb; t++) sc[t] *= scale;
        smp_softmax_block(sc, nb, hd, mx, den, out);
        vacc(sc, v + (size_t)j0 * hd, nb, hd, out);
    }
}
