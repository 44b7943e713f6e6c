/* gemm.h - single-threaded matrix products for the training engine: packed, register-tiled
 * micro-kernels chosen at run time for the CPU (AVX-512, AVX2 + FMA, portable C), and bfloat16
 * products on CPUs with AVX512_BF16.
 *
 * Conventions: row-major, as cblas_sgemm with CblasRowMajor:
 *   C (M, N) = alpha * op(A) op(B) + beta * C
 * op(A) is (M, K): A itself (ta = 0, A is M x K with row stride lda) or its transpose (ta = 1, A is
 * K x M). op(B) is (K, N): B (tb = 0, K x N, stride ldb) or its transpose (tb = 1, B is N x K).
 * beta = 0 never reads C (it may hold NaN). M, N or K = 0 is allowed (K = 0 scales C by beta).
 *
 * Kernels: the instruction set is detected once with __builtin_cpu_supports (never assumed from
 * the build flags); gm_set_isa forces a lower one (tests run every path on one machine; the
 * environment variable RECAD_GEMM_ISA=portable|avx2|avx512 does the same at start-up), and
 * gm_set_bf16(0) (or RECAD_GEMM_BF16=off) keeps AVX-512 but leaves vdpbf16ps unused. Operands
 * are copied into panels (K-major strips of MR rows of op(A) and NR columns of op(B), zero-padded)
 * and a micro-kernel keeps an MR x NR block of C in registers:
 *   AVX-512: 14 x 32 (28 zmm accumulators)    AVX2: 6 x 16 (12 ymm)    portable: 4 x 16
 * Each C element is one float32 sum over k in increasing order within blocks of GM_KC, so a
 * product does not depend on how its caller splits the rows of C.
 *
 * bfloat16 (gm_bgemm): A and B are rounded to bfloat16 (round to nearest even) while they are
 * packed, products are summed in float32 by vdpbf16ps (pairs of k per instruction), then
 * C = alpha * sum + beta * C in float32. Only where gm_has_bf16() (AVX512_BF16); elsewhere it
 * returns -1 with ut_error set and does nothing. Relative error of a dot product of length K is
 * about 2^-8 * sqrt(K) of the sum of |terms| (each input carries 2^-9 relative rounding).
 *
 * Packed bfloat16 weights (gm_bpack, gm_bgemm_packed): for many products with few rows against
 * the same weights (a decoder's steps), W (N, K) is rounded and packed once, and each product only
 * rounds its rows of A. Layout: ceil(N/32) column panels, panel p = ceil(K/2) steps of 32 words,
 * word [q][j] = (W[32p + j][2q], W[32p + j][2q + 1]) as two bfloat16 (low half the even k; zero
 * past N and past K). Products run in tiles of up to 8 rows x 32 columns (16 zmm accumulators);
 * each C element is the float32 vdpbf16ps sum over the pairs of k in increasing order, so a row's
 * result does not depend on M or on the other rows.
 *
 * Memory: the packed panels live in per-thread buffers that grow to the largest block used
 * (at most (GM_MC + GM_NC) * GM_KC floats, about 1.3 MB) and are kept for the thread's life.
 * Thread safety: every function may be called from any number of threads at once, except
 * gm_set_isa and gm_set_bf16 (call them before starting threads that multiply).
 */
#ifndef RECAD_GEMM_H
#define RECAD_GEMM_H

#include <stddef.h>
#include <stdint.h>

typedef enum { GM_PORTABLE = 0, GM_AVX2 = 1, GM_AVX512 = 2 } gm_isa;

/* the best instruction set this CPU (and OS) supports, detected once */
gm_isa gm_isa_detected(void);
/* the one in use (detected, or lowered by gm_set_isa / RECAD_GEMM_ISA) */
gm_isa gm_isa_current(void);
/* uses isa for later calls; -1 + ut_error if the CPU lacks it */
int gm_set_isa(gm_isa isa);
const char *gm_isa_name(gm_isa isa); /* "portable", "avx2", "avx512" */
/* 1 when the CPU has AVX512_BF16 (vdpbf16ps), the AVX-512 path is in use and gm_set_bf16 has not
 * switched it off */
int gm_has_bf16(void);
/* on = 0: vdpbf16ps is not used (gm_has_bf16() 0: bfloat16 products fail, and SMP_BF16 sampling
 * takes its float32 fallbacks); 1 (the default): used where the CPU has it. Returns the previous
 * setting. */
int gm_set_bf16(int on);

/* float32 product on the calling thread (see the conventions above) */
void gm_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc);
/* the same with bfloat16 inputs and float32 sums; 0, or -1 without AVX512_BF16 */
int gm_bgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
             float beta, float *C, int ldc);

/* float32 -> bfloat16 -> float32, round to nearest even (NaN stays NaN): what gm_bgemm does to
 * each input, for references in tests */
float gm_round_bf16(float x);
/* arrays: y[i] = bfloat16 bits of x[i] (round to nearest even, NaN stays NaN), and back (exact) */
void gm_to_bf16(const float *x, uint16_t *y, size_t n);
void gm_from_bf16(const uint16_t *x, float *y, size_t n);

/* 32-bit words that gm_bpack writes for W (N, K) */
size_t gm_bpack_size(int N, int K);
/* W (N, K) row-major -> dst (gm_bpack_size(N, K) words), the layout above; works on any CPU */
void gm_bpack(const float *W, int N, int K, uint32_t *dst);
/* C (M, N) = A (M, K; row stride lda) W^T, or C += that when acc; W packed by gm_bpack, A rounded
 * to bfloat16; C has row stride ldc. 0, or -1 with ut_error set (nothing done) without
 * AVX512_BF16 (gm_has_bf16) */
int gm_bgemm_packed(int M, int N, int K, const float *A, int lda, const uint32_t *Wp, int acc, float *C, int ldc);

#endif
