/* gemm_int.h - what gemm.c and the instruction-set kernels of gemm_x86.c share (not public).
 *
 * A micro-kernel multiplies one packed strip of op(A) (ks steps of MR values: float32, or for
 * bfloat16 MR 32-bit pairs of k) by one packed strip of op(B) (ks steps of NR values, or NR pairs)
 * and writes c[i * ldc + j] = alpha * sum + beta * c[...] for the full MR x NR block (beta = 0:
 * c is not read). The driver handles the edges through a temporary block.
 */
#ifndef RECAD_GEMM_INT_H
#define RECAD_GEMM_INT_H

#include <stdint.h>

typedef void (*gm_kern_fn)(int ks, const void *a, const void *b, float *c, int ldc, float alpha, float beta);

/* micro-kernels (gemm_x86.c); a kernel is only called where the CPU has its instructions */
void gm_kern_avx512_14x32(int ks, const void *a, const void *b, float *c, int ldc, float alpha, float beta);
void gm_kern_avx2_6x16(int ks, const void *a, const void *b, float *c, int ldc, float alpha, float beta);
void gm_kern_bf16_14x32(int ks, const void *a, const void *b, float *c, int ldc, float alpha, float beta);
/* packed-weight tile (gm_bgemm_packed): c[i][j] (+)= sum over kp pairs of a[i * lda + q] . b[q][j]
 * for i < mr (1..8) rows and j < nc (1..32) columns; a: mr rows of kp bfloat16 pairs, b: one
 * panel of kp steps of 32 pairs; acc: add to c instead of storing */
void gm_kern_bf16_panel(int mr, int kp, const uint32_t *a, int lda, const uint32_t *b, float *c, int ldc, int nc, int acc);

/* float32 -> bfloat16 bits, round to nearest even, NaN kept a (quiet) NaN */
static inline uint16_t gm_bf16_bits(float x) {
    union {
        float f;
        uint32_t u;
    } v = {x};
    if ((v.u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((v.u >> 16) | 0x40u);
    v.u += 0x7fffu + ((v.u >> 16) & 1u);
    return (uint16_t)(v.u >> 16);
}

#endif
