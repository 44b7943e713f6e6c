/* gemm.c - packed, blocked matrix products with run-time kernel choice (see gemm.h).
 *
 * Loop nest (one thread): for each block of NC columns of C, for each block of KC of k: pack
 * op(B)'s KC x NC block into NR-wide strips; for each block of MC rows: pack op(A)'s MC x KC block
 * into MR-high strips; then every (NR strip, MR strip) pair is one micro-kernel call. A strip of B
 * (KC x NR: 32 KB for AVX-512) stays in L1 while the strips of A (in L2) stream past it.
 */
#include "ml/gemm.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "ml/gemm_int.h"

/* one way of multiplying: micro-kernel, its block, the cache blocks, the element kind */
typedef struct {
    int mr, nr;     /* register block of C */
    int mc, kc, nc; /* cache blocks (mc a multiple of mr, nc of nr, kc even) */
    int bf16;       /* 1: inputs packed as bfloat16 pairs of k */
    gm_kern_fn kern;
} gm_impl;

/* portable kernel: plain loops the compiler may vectorise */
enum { GM_PMR = 4, GM_PNR = 16 };
static void gm_kern_portable(int ks, const void *av, const void *bv, float *c, int ldc, float alpha, float beta) {
    const float *a = av, *b = bv;
    float acc[GM_PMR][GM_PNR] = {{0}};
    for (int k = 0; k < ks; k++, a += GM_PMR, b += GM_PNR)
        for (int i = 0; i < GM_PMR; i++)
            for (int j = 0; j < GM_PNR; j++) acc[i][j] += a[i] * b[j];
    for (int i = 0; i < GM_PMR; i++)
        for (int j = 0; j < GM_PNR; j++)
            c[(long)i * ldc + j] = alpha * acc[i][j] + (beta != 0.0f ? beta * c[(long)i * ldc + j] : 0.0f);
}

static const gm_impl gm_impls[3] = {
    {GM_PMR, GM_PNR, 128, 256, 1024, 0, gm_kern_portable},
    {6, 16, 144, 256, 1024, 0, gm_kern_avx2_6x16},
    {14, 32, 168, 256, 1024, 0, gm_kern_avx512_14x32},
};
static const gm_impl gm_impl_bf16 = {14, 32, 168, 512, 1024, 1, gm_kern_bf16_14x32};

/* ------------------------------------------------------------------ dispatch */

static int gm_detected = -1, gm_current = -1, gm_bf16_cpu = 0, gm_bf16_on = 1;

static void gm_detect_once(void) {
    int isa = GM_PORTABLE, bf = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) isa = GM_AVX2;
    if (isa == GM_AVX2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) isa = GM_AVX512;
    bf = isa == GM_AVX512 && __builtin_cpu_supports("avx512bf16");
#endif
    gm_bf16_cpu = bf;
    int cur = isa;
    const char *env = getenv("RECAD_GEMM_ISA");
    if (env && *env) {
        for (int i = 0; i <= isa; i++)
            if (!strcmp(env, gm_isa_name((gm_isa)i))) cur = i;
    }
    gm_current = cur;
    gm_detected = isa;
    const char *bfe = getenv("RECAD_GEMM_BF16");
    if (bfe && !strcmp(bfe, "off")) gm_bf16_on = 0;
}

static void gm_detect(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, gm_detect_once);
}

gm_isa gm_isa_detected(void) {
    gm_detect();
    return (gm_isa)gm_detected;
}

gm_isa gm_isa_current(void) {
    gm_detect();
    return (gm_isa)gm_current;
}

const char *gm_isa_name(gm_isa isa) {
    static const char *names[] = {"portable", "avx2", "avx512"};
    return isa >= GM_PORTABLE && isa <= GM_AVX512 ? names[isa] : "?";
}

int gm_set_isa(gm_isa isa) {
    gm_detect();
    if (isa < GM_PORTABLE || isa > GM_AVX512) return ut_fail("gemm: unknown instruction set %d", (int)isa);
    if ((int)isa > gm_detected)
        return ut_fail("gemm: this CPU lacks %s (it has %s)", gm_isa_name(isa), gm_isa_name((gm_isa)gm_detected));
    gm_current = isa;
    return 0;
}

int gm_has_bf16(void) {
    gm_detect();
    return gm_bf16_cpu && gm_bf16_on && gm_current == GM_AVX512;
}

int gm_set_bf16(int on) {
    gm_detect();
    int was = gm_bf16_on;
    gm_bf16_on = on != 0;
    return was;
}

float gm_round_bf16(float x) {
    union {
        uint32_t u;
        float f;
    } v = {(uint32_t)gm_bf16_bits(x) << 16};
    return v.f;
}

/* ------------------------------------------------------------------ packing */

/* per-thread panel memory, grown on demand and kept */
static _Thread_local void *gm_buf_raw;
static _Thread_local size_t gm_buf_cap;

/* 64-byte aligned room for `floats` floats (aborts with a message when out of memory) */
static float *gm_scratch(size_t floats) {
    if (floats > gm_buf_cap) {
        free(gm_buf_raw);
        gm_buf_raw = ut_malloc(floats * sizeof(float) + 64);
        gm_buf_cap = floats;
    }
    return (float *)(((uintptr_t)gm_buf_raw + 63) & ~(uintptr_t)63);
}

/* rows [r0, r0+rn) x k [k0, k0+kn) of op(X) into strips of w rows, k-major, zero-padded:
 * out[s][k][i] = op(X)(r0 + s*w + i, k0 + k) */
static void gm_pack_f32(float *out, const float *X, int ld, int tr, int r0, int rn, int k0, int kn, int w) {
    for (int s = 0; s < rn; s += w) {
        int h = rn - s < w ? rn - s : w;
        if (tr) { /* op(X)(r, k) = X[k][r]: rows of the strip are contiguous in memory */
            for (int k = 0; k < kn; k++) {
                const float *src = X + (long)(k0 + k) * ld + r0 + s;
                float *dst = out + (long)k * w;
                memcpy(dst, src, (size_t)h * sizeof(float));
                for (int i = h; i < w; i++) dst[i] = 0.0f;
            }
        } else {
            for (int i = 0; i < h; i++) {
                const float *src = X + (long)(r0 + s + i) * ld + k0;
                for (int k = 0; k < kn; k++) out[(long)k * w + i] = src[k];
            }
            for (int i = h; i < w; i++)
                for (int k = 0; k < kn; k++) out[(long)k * w + i] = 0.0f;
        }
        out += (long)kn * w;
    }
}

/* the same as bfloat16 pairs of k: out[s][k/2][i] = (op(X)(r, k), op(X)(r, k+1)) as 2 x 16 bits,
 * low half the even k; an odd kn is padded with zeros */
static inline uint32_t gm_pair(float lo, float hi) { return gm_bf16_bits(lo) | (uint32_t)gm_bf16_bits(hi) << 16; }

static void gm_pack_bf16(uint32_t *out, const float *X, int ld, int tr, int r0, int rn, int k0, int kn, int w) {
    int kp = (kn + 1) / 2, full = kn / 2;
    for (int s = 0; s < rn; s += w) {
        int h = rn - s < w ? rn - s : w;
        if (tr) { /* op(X)(r, k) = X[k][r]: two rows of X give one strip step */
            for (int q = 0; q < kp; q++) {
                const float *x0 = X + (long)(k0 + 2 * q) * ld + r0 + s, *x1 = x0 + ld;
                uint32_t *dst = out + (long)q * w;
                if (q < full) {
#pragma omp simd
                    for (int i = 0; i < h; i++) dst[i] = gm_pair(x0[i], x1[i]);
                } else {
#pragma omp simd
                    for (int i = 0; i < h; i++) dst[i] = gm_pair(x0[i], 0.0f);
                }
                for (int i = h; i < w; i++) dst[i] = 0;
            }
        } else {
            for (int i = 0; i < h; i++) {
                const float *src = X + (long)(r0 + s + i) * ld + k0;
#pragma omp simd
                for (int q = 0; q < full; q++) out[(long)q * w + i] = gm_pair(src[2 * q], src[2 * q + 1]);
                if (kp > full) out[(long)full * w + i] = gm_pair(src[2 * full], 0.0f);
            }
            for (int i = h; i < w; i++)
                for (int q = 0; q < kp; q++) out[(long)q * w + i] = 0;
        }
        out += (long)kp * w;
    }
}

/* ------------------------------------------------------------------ driver */

static void gm_scale(int M, int N, float beta, float *C, int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) C[(long)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(long)i * ldc + j];
}

static void gm_drive(const gm_impl *im, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *B, int ldb, float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        gm_scale(M, N, beta, C, ldc);
        return;
    }
    const int mr = im->mr, nr = im->nr;
    /* floats per packed k step of one strip element: bf16 pairs take one float's room per pair */
    size_t acap = (size_t)im->mc * im->kc, bcap = (size_t)im->nc * im->kc;
    if (im->bf16) acap /= 2, bcap /= 2;
    float *abuf = gm_scratch(acap + bcap + (size_t)mr * nr), *bbuf = abuf + acap, *tile = bbuf + bcap;
    for (int jc = 0; jc < N; jc += im->nc) {
        int nc = N - jc < im->nc ? N - jc : im->nc;
        for (int pc = 0; pc < K; pc += im->kc) {
            int kc = K - pc < im->kc ? K - pc : im->kc, ks = im->bf16 ? (kc + 1) / 2 : kc;
            float bt = pc == 0 ? beta : 1.0f;
            /* op(B)(k, j) is the transpose view of B: as "rows" j of op(B)^T */
            if (im->bf16) gm_pack_bf16((uint32_t *)bbuf, B, ldb, !tb, jc, nc, pc, kc, nr);
            else gm_pack_f32(bbuf, B, ldb, !tb, jc, nc, pc, kc, nr);
            for (int ic = 0; ic < M; ic += im->mc) {
                int mc = M - ic < im->mc ? M - ic : im->mc;
                if (im->bf16) gm_pack_bf16((uint32_t *)abuf, A, lda, ta, ic, mc, pc, kc, mr);
                else gm_pack_f32(abuf, A, lda, ta, ic, mc, pc, kc, mr);
                for (int jr = 0; jr < nc; jr += nr) {
                    int nn = nc - jr < nr ? nc - jr : nr;
                    const float *bp = bbuf + (size_t)(jr / nr) * ks * nr;
                    for (int ir = 0; ir < mc; ir += mr) {
                        int mm = mc - ir < mr ? mc - ir : mr;
                        const float *ap = abuf + (size_t)(ir / mr) * ks * mr;
                        float *cp = C + (long)(ic + ir) * ldc + jc + jr;
                        if (mm == mr && nn == nr) {
                            im->kern(ks, ap, bp, cp, ldc, alpha, bt);
                            continue;
                        }
                        im->kern(ks, ap, bp, tile, nr, alpha, 0.0f);
                        for (int i = 0; i < mm; i++)
                            for (int j = 0; j < nn; j++) {
                                float *cij = cp + (long)i * ldc + j;
                                *cij = tile[i * nr + j] + (bt != 0.0f ? bt * *cij : 0.0f);
                            }
                    }
                }
            }
        }
    }
}

void gm_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
              float beta, float *C, int ldc) {
    gm_drive(&gm_impls[gm_isa_current()], ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

int gm_bgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
             float beta, float *C, int ldc) {
    if (!gm_has_bf16())
        return ut_fail("gemm: bfloat16 products need AVX512_BF16 (vdpbf16ps), which this CPU %s",
                       gm_bf16_cpu ? "has, but they are switched off (gm_set_isa, gm_set_bf16)" : "lacks");
    gm_drive(&gm_impl_bf16, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return 0;
}

/* ------------------------------------------------------------------ bfloat16 arrays, packed weights */

void gm_to_bf16(const float *x, uint16_t *y, size_t n) {
#pragma omp simd
    for (size_t i = 0; i < n; i++) y[i] = gm_bf16_bits(x[i]);
}

void gm_from_bf16(const uint16_t *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)x[i] << 16;
        memcpy(&y[i], &u, sizeof u);
    }
}

enum { GM_BNR = 32, GM_BMR = 8 };

size_t gm_bpack_size(int N, int K) {
    if (N <= 0 || K <= 0) return 0;
    return (size_t)(N + GM_BNR - 1) / GM_BNR * GM_BNR * (size_t)((K + 1) / 2);
}

void gm_bpack(const float *W, int N, int K, uint32_t *dst) {
    int np = (N + GM_BNR - 1) / GM_BNR, kp = (K + 1) / 2;
    for (int p = 0; p < np; p++) {
        uint32_t *d = dst + (size_t)p * kp * GM_BNR;
        for (int j = 0; j < GM_BNR; j++) {
            int n = p * GM_BNR + j;
            const float *w = W + (size_t)n * K;
            for (int q = 0; q < kp; q++)
                d[(size_t)q * GM_BNR + j] = n >= N ? 0u : gm_pair(w[2 * q], 2 * q + 1 < K ? w[2 * q + 1] : 0.0f);
        }
    }
}

int gm_bgemm_packed(int M, int N, int K, const float *A, int lda, const uint32_t *Wp, int acc, float *C, int ldc) {
    if (!gm_has_bf16())
        return ut_fail("gemm: bfloat16 products need AVX512_BF16 (vdpbf16ps), which this CPU %s",
                       gm_bf16_cpu ? "has, but they are switched off (gm_set_isa, gm_set_bf16)" : "lacks");
    if (M <= 0 || N <= 0) return 0;
    if (K <= 0) {
        if (!acc) gm_scale(M, N, 0.0f, C, ldc);
        return 0;
    }
    /* the rows of A as bfloat16 pairs of k, (M, kp) */
    int kp = (K + 1) / 2, full = K / 2;
    uint32_t *ap = (uint32_t *)gm_scratch((size_t)M * kp);
    for (int i = 0; i < M; i++) {
        const float *a = A + (long)i * lda;
        uint32_t *d = ap + (size_t)i * kp;
#pragma omp simd
        for (int q = 0; q < full; q++) d[q] = gm_pair(a[2 * q], a[2 * q + 1]);
        if (kp > full) d[full] = gm_pair(a[2 * full], 0.0f);
    }
    /* panel by panel (it stays in L1/L2 while the row tiles pass over it) */
    int np = (N + GM_BNR - 1) / GM_BNR;
    for (int p = 0; p < np; p++) {
        const uint32_t *bp = Wp + (size_t)p * kp * GM_BNR;
        int n0 = p * GM_BNR, nc = N - n0 < GM_BNR ? N - n0 : GM_BNR;
        for (int m = 0; m < M; m += GM_BMR)
            gm_kern_bf16_panel(M - m < GM_BMR ? M - m : GM_BMR, kp, ap + (size_t)m * kp, kp, bp, C + (long)m * ldc + n0, ldc,
                               nc, acc);
    }
    return 0;
}
