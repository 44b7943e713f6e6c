/* gemm_x86.c - the x86 micro-kernels of gemm.c (see gemm_int.h): AVX-512 and AVX2 + FMA in
 * float32, AVX512_BF16 for bfloat16 inputs. Each function carries its own target attribute, so
 * the file builds for any x86-64 and the CPU check happens at run time (gemm.c). Other
 * architectures get nothing from this file and use the portable kernel. */
#include "ml/gemm_int.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define GM_TGT512 __attribute__((target("avx512f,avx512vl,fma")))
#define GM_TGT2 __attribute__((target("avx2,fma")))
#define GM_TGTBF __attribute__((target("avx512f,avx512vl,avx512bf16,fma")))

/* stores MR rows of two zmm accumulators: c = alpha * acc + beta * c */
#define GM_STORE512(MR)                                                                                \
    do {                                                                                               \
        __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);                                 \
        _Pragma("GCC unroll 14") for (int i = 0; i < (MR); i++) {                                      \
            float *ci = c + (long)i * ldc;                                                             \
            __m512 r0 = _mm512_mul_ps(va, acc[i][0]), r1 = _mm512_mul_ps(va, acc[i][1]);               \
            if (beta != 0.0f) {                                                                        \
                r0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci), r0);                                     \
                r1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci + 16), r1);                                \
            }                                                                                          \
            _mm512_storeu_ps(ci, r0);                                                                  \
            _mm512_storeu_ps(ci + 16, r1);                                                             \
        }                                                                                              \
    } while (0)

GM_TGT512 void gm_kern_avx512_14x32(int ks, const void *av, const void *bv, float *c, int ldc, float alpha, float beta) {
    const float *a = av, *b = bv;
    __m512 acc[14][2];
#pragma GCC unroll 14
    for (int i = 0; i < 14; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int k = 0; k < ks; k++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 14
        for (int i = 0; i < 14; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
        a += 14;
        b += 32;
    }
    GM_STORE512(14);
}

GM_TGTBF void gm_kern_bf16_14x32(int ks, const void *av, const void *bv, float *c, int ldc, float alpha, float beta) {
    const int32_t *a = av;          /* per k pair: 14 (bf16, bf16) pairs of op(A) */
    const uint16_t *b = bv;         /* per k pair: 32 columns x 2 bf16 */
    __m512 acc[14][2];
#pragma GCC unroll 14
    for (int i = 0; i < 14; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int k = 0; k < ks; k++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(b), b1 = (__m512bh)_mm512_loadu_si512(b + 32);
#pragma GCC unroll 14
        for (int i = 0; i < 14; i++) {
            __m512bh ai = (__m512bh)_mm512_set1_epi32(a[i]);
            acc[i][0] = _mm512_dpbf16_ps(acc[i][0], ai, b0);
            acc[i][1] = _mm512_dpbf16_ps(acc[i][1], ai, b1);
        }
        a += 14;
        b += 64;
    }
    GM_STORE512(14);
}

/* MR rows x one 32-column panel of packed bfloat16 weights; MR is a constant at each call */
static inline __attribute__((always_inline)) GM_TGTBF void gm_bpanel(const int MR, int kp, const uint32_t *a, int lda,
                                                                     const uint32_t *b, float *c, int ldc, int nc, int acc) {
    __m512 c0[8], c1[8];
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) c0[i] = c1[i] = _mm512_setzero_ps();
    for (int q = 0; q < kp; q++, b += 32) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(b), b1 = (__m512bh)_mm512_loadu_si512(b + 16);
#pragma GCC unroll 8
        for (int i = 0; i < MR; i++) {
            __m512bh ai = (__m512bh)_mm512_set1_epi32((int)a[(long)i * lda + q]);
            c0[i] = _mm512_dpbf16_ps(c0[i], ai, b0);
            c1[i] = _mm512_dpbf16_ps(c1[i], ai, b1);
        }
    }
    __mmask16 m0 = nc >= 16 ? 0xFFFF : (__mmask16)((1u << nc) - 1u);
    __mmask16 m1 = nc >= 32 ? 0xFFFF : nc > 16 ? (__mmask16)((1u << (nc - 16)) - 1u) : 0;
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) {
        float *ci = c + (long)i * ldc;
        __m512 r0 = c0[i], r1 = c1[i];
        if (acc) {
            r0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, ci), r0);
            r1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, ci + 16), r1);
        }
        _mm512_mask_storeu_ps(ci, m0, r0);
        _mm512_mask_storeu_ps(ci + 16, m1, r1);
    }
}

GM_TGTBF void gm_kern_bf16_panel(int mr, int kp, const uint32_t *a, int lda, const uint32_t *b, float *c, int ldc, int nc,
                                 int acc) {
    switch (mr) {
    case 8: gm_bpanel(8, kp, a, lda, b, c, ldc, nc, acc); break;
    case 7: gm_bpanel(7, kp, a, lda, b, c, ldc, nc, acc); break;
    case 6: gm_bpanel(6, kp, a, lda, b, c, ldc, nc, acc); break;
    case 5: gm_bpanel(5, kp, a, lda, b, c, ldc, nc, acc); break;
    case 4: gm_bpanel(4, kp, a, lda, b, c, ldc, nc, acc); break;
    case 3: gm_bpanel(3, kp, a, lda, b, c, ldc, nc, acc); break;
    case 2: gm_bpanel(2, kp, a, lda, b, c, ldc, nc, acc); break;
    case 1: gm_bpanel(1, kp, a, lda, b, c, ldc, nc, acc); break;
    default: break;
    }
}

GM_TGT2 void gm_kern_avx2_6x16(int ks, const void *av, const void *bv, float *c, int ldc, float alpha, float beta) {
    const float *a = av, *b = bv;
    __m256 acc[6][2];
#pragma GCC unroll 6
    for (int i = 0; i < 6; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (int k = 0; k < ks; k++) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
        for (int i = 0; i < 6; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
        a += 6;
        b += 16;
    }
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
    for (int i = 0; i < 6; i++) {
        float *ci = c + (long)i * ldc;
        __m256 r0 = _mm256_mul_ps(va, acc[i][0]), r1 = _mm256_mul_ps(va, acc[i][1]);
        if (beta != 0.0f) {
            r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci), r0);
            r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8), r1);
        }
        _mm256_storeu_ps(ci, r0);
        _mm256_storeu_ps(ci + 8, r1);
    }
}

#else /* not x86-64: never called (gemm.c only selects these after a CPU check) */
void gm_kern_avx512_14x32(int ks, const void *a, const void *b, float *c, int ldc, float alpha, float beta) {
    (void)ks, (void)a, (void)b, (void)c, (void)ldc, (void)alpha, (void)beta;
}
void gm_kern_avx2_6x16(int ks, const void *a, const void *b, float *c, int ldc, float alpha, float beta) {
    (void)ks, (void)a, (void)b, (void)c, (void)ldc, (void)alpha, (void)beta;
}
void gm_kern_bf16_14x32(int ks, const void *a, const void *b, float *c, int ldc, float alpha, float beta) {
    (void)ks, (void)a, (void)b, (void)c, (void)ldc, (void)alpha, (void)beta;
}
void gm_kern_bf16_panel(int mr, int kp, const uint32_t *a, int lda, const uint32_t *b, float *c, int ldc, int nc, int acc) {
    (void)mr, (void)kp, (void)a, (void)lda, (void)b, (void)c, (void)ldc, (void)nc, (void)acc;
}
#endif
