/* test_gemm.c - the packed matrix products: every instruction-set path against a float64
 * reference (transposes, edges, strides, alpha, beta), bfloat16 products against the product of
 * the rounded inputs, rounding, run-time choice of the kernels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "ml/gemm.h"
#include "tf.h"

/* op(X)(r, k) for X stored row-major with stride ld (tr: stored transposed) */
static double at(const float *X, int ld, int tr, int r, int k, int round) {
    float v = tr ? X[(long)k * ld + r] : X[(long)r * ld + k];
    return round ? gm_round_bf16(v) : v;
}

/* checks C against alpha * op(A) op(B) + beta * C0 in float64; tolerance rel * (sum of |terms|);
 * returns the largest difference divided by that scale */
static double compare(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
                      float beta, const float *C0, const float *C, int ldc, int round) {
    double worst = 0.0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0.0, mag = 0.0;
            for (int k = 0; k < K; k++) {
                double t = at(A, lda, ta, i, k, round) * at(B, ldb, !tb, j, k, round);
                s += t;
                mag += fabs(t);
            }
            double c0 = beta != 0.0f ? C0[(long)i * ldc + j] : 0.0;
            double ref = alpha * s + beta * c0, scale = fabs(alpha) * mag + fabs(beta * c0) + 1e-30;
            double e = fabs(C[(long)i * ldc + j] - ref) / scale;
            worst = e > worst ? e : worst;
        }
    return worst;
}

static void fill(float *x, size_t n, ut_rng *r) {
    for (size_t i = 0; i < n; i++) x[i] = (float)(ut_rng_uniform(r) * 2.0 - 1.0);
}

/* one product of every transpose combination at M x N x K with padded strides; bf16 selects
 * gm_bgemm; returns the worst relative error */
static double run_shape(int M, int N, int K, float alpha, float beta, int bf16, ut_rng *r) {
    double worst = 0.0;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 2;
            size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)(tb ? N : K) * ldb, nc = (size_t)M * ldc;
            float *A = ut_malloc(na * sizeof(float) + 4), *B = ut_malloc(nb * sizeof(float) + 4);
            float *C = ut_malloc(nc * sizeof(float) + 4), *C0 = ut_malloc(nc * sizeof(float) + 4);
            fill(A, na, r);
            fill(B, nb, r);
            fill(C0, nc, r);
            if (beta == 0.0f)
                for (size_t i = 0; i < nc; i++) C0[i] = NAN; /* beta = 0 must not read C */
            memcpy(C, C0, nc * sizeof(float));
            if (bf16) REQUIRE(gm_bgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) == 0);
            else gm_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
            double e = compare(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C0, C, ldc, bf16);
            /* the padding columns of C are untouched */
            for (int i = 0; i < M; i++)
                for (int j = N; j < ldc; j++)
                    if (memcmp(&C[(long)i * ldc + j], &C0[(long)i * ldc + j], sizeof(float))) e = INFINITY;
            worst = e > worst || isnan(e) ? e : worst;
            free(A);
            free(B);
            free(C);
            free(C0);
        }
    return worst;
}

/* shapes around the register blocks (4x16, 6x16, 14x32) and the cache blocks (K past 256 and
 * 512, M past 168, N past 1024) */
static const int shapes[][3] = {{1, 1, 1},    {5, 7, 3},     {14, 32, 8},   {15, 33, 9},  {6, 16, 300},
                                {29, 65, 257}, {170, 40, 64}, {3, 1030, 5}, {64, 64, 513}, {2, 3, 0}};

TEST(gemm_matches_reference_on_every_instruction_set) {
    gm_isa top = gm_isa_detected(), keep = gm_isa_current();
    ut_rng r;
    ut_rng_seed(&r, 11);
    for (int isa = GM_PORTABLE; isa <= (int)top; isa++) {
        REQUIRE(gm_set_isa((gm_isa)isa) == 0);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            const int *sh = shapes[s];
            double e1 = run_shape(sh[0], sh[1], sh[2], 1.0f, 0.0f, 0, &r);
            double e2 = run_shape(sh[0], sh[1], sh[2], -0.75f, 0.5f, 0, &r);
            CHECK_MSG(e1 <= 1e-6 && e2 <= 1e-6, "%s %dx%dx%d: relative error %.3g (beta 0), %.3g (beta 0.5)",
                      gm_isa_name((gm_isa)isa), sh[0], sh[1], sh[2], e1, e2);
        }
    }
    REQUIRE(gm_set_isa(keep) == 0);
}

TEST(gemm_bf16_is_the_float32_sum_of_rounded_inputs) {
    if (!gm_has_bf16()) SKIP("this CPU lacks AVX512_BF16 (vdpbf16ps)");
    ut_rng r;
    ut_rng_seed(&r, 12);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int *sh = shapes[s];
        double e1 = run_shape(sh[0], sh[1], sh[2], 1.0f, 0.0f, 1, &r);
        double e2 = run_shape(sh[0], sh[1], sh[2], 2.0f, -1.0f, 1, &r);
        CHECK_MSG(e1 <= 1e-6 && e2 <= 1e-6, "bf16 %dx%dx%d: relative error %.3g, %.3g against the rounded inputs", sh[0],
                  sh[1], sh[2], e1, e2);
    }
    /* and the rounding does happen: against the unrounded inputs the error is bf16-sized */
    float A[64 * 64], B[64 * 64], C[64 * 64];
    fill(A, 64 * 64, &r);
    fill(B, 64 * 64, &r);
    REQUIRE(gm_bgemm(0, 0, 64, 64, 64, 1.0f, A, 64, B, 64, 0.0f, C, 64) == 0);
    double e = compare(0, 0, 64, 64, 64, 1.0f, A, 64, B, 64, 0.0f, C, C, 64, 0);
    CHECK_MSG(e > 1e-4 && e < 1e-2, "bf16 against float32 inputs: %.3g", e);
}

TEST(gemm_round_bf16) {
    CHECK(gm_round_bf16(1.0f) == 1.0f);
    CHECK(gm_round_bf16(-3.5f) == -3.5f);
    CHECK(gm_round_bf16(1.0f + 0x1p-8f) == 1.0f);                 /* tie: to even (down) */
    CHECK(gm_round_bf16(1.0f + 3 * 0x1p-8f) == 1.0f + 0x1p-6f);   /* tie: to even (up) */
    CHECK(gm_round_bf16(1.0f + 0x1p-8f + 0x1p-20f) == 1.0f + 0x1p-7f);
    CHECK(gm_round_bf16(INFINITY) == INFINITY);
    CHECK(isnan(gm_round_bf16(NAN)));
    CHECK(gm_round_bf16(3.4e38f) == INFINITY); /* past the largest bf16: overflows like the hardware */
}

TEST(gemm_instruction_set_choice) {
    gm_isa top = gm_isa_detected(), keep = gm_isa_current();
    CHECK(gm_set_isa((gm_isa)7) == -1);
    CHECK(strstr(ut_error(), "unknown") != NULL);
    if (top < GM_AVX512) {
        CHECK(gm_set_isa(GM_AVX512) == -1);
        CHECK(strstr(ut_error(), "lacks avx512") != NULL);
    }
    REQUIRE(gm_set_isa(GM_PORTABLE) == 0);
    CHECK(!gm_has_bf16()); /* bf16 products need the AVX-512 path */
    float a = 1.0f, b = 2.0f, c = 0.0f;
    CHECK(gm_bgemm(0, 0, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1) == -1);
    CHECK(strstr(ut_error(), "AVX512_BF16") != NULL);
    REQUIRE(gm_set_isa(keep) == 0);
    CHECK(!strcmp(gm_isa_name(GM_AVX2), "avx2"));
    /* gm_set_bf16(0) switches vdpbf16ps off on any instruction set, and back on */
    int had = gm_has_bf16();
    CHECK(gm_set_bf16(0) == 1);
    CHECK(!gm_has_bf16() && gm_isa_current() == keep);
    CHECK(gm_bgemm(0, 0, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1) == -1);
    CHECK(strstr(ut_error(), "AVX512_BF16") != NULL);
    CHECK(gm_set_bf16(1) == 0);
    CHECK(gm_has_bf16() == had);
}

/* packed bfloat16 weights: every shape around the 8 x 32 tile (odd K, partial panels, one row),
 * stored and accumulated, against the float64 product of the rounded inputs; a row's result does
 * not depend on the other rows (M = 1 gives the same bits as row 0 of M = 13) */
TEST(gemm_bf16_packed_weights) {
    if (!gm_has_bf16()) SKIP("this CPU lacks AVX512_BF16 (vdpbf16ps)");
    static const int sh[][3] = {{1, 1, 1}, {8, 32, 2}, {13, 33, 7}, {3, 70, 64}, {17, 5, 257}, {64, 96, 256}};
    ut_rng r;
    ut_rng_seed(&r, 13);
    for (size_t s = 0; s < sizeof sh / sizeof sh[0]; s++) {
        int M = sh[s][0], N = sh[s][1], K = sh[s][2], lda = K + 3, ldc = N + 2;
        float *A = ut_malloc((size_t)M * lda * sizeof(float)), *W = ut_malloc((size_t)N * K * sizeof(float));
        float *C = ut_malloc((size_t)M * ldc * sizeof(float)), *C0 = ut_malloc((size_t)M * ldc * sizeof(float));
        uint32_t *Wp = ut_malloc(gm_bpack_size(N, K) * sizeof(uint32_t));
        fill(A, (size_t)M * lda, &r);
        fill(W, (size_t)N * K, &r);
        fill(C0, (size_t)M * ldc, &r);
        gm_bpack(W, N, K, Wp);
        for (int acc = 0; acc < 2; acc++) {
            memcpy(C, C0, (size_t)M * ldc * sizeof(float));
            REQUIRE(gm_bgemm_packed(M, N, K, A, lda, Wp, acc, C, ldc) == 0);
            /* W (N, K) is op(B) transposed: tb = 1 with ldb = K */
            double e = compare(0, 1, M, N, K, 1.0f, A, lda, W, K, acc ? 1.0f : 0.0f, C0, C, ldc, 1);
            for (int i = 0; i < M; i++)
                for (int j = N; j < ldc; j++)
                    if (memcmp(&C[(long)i * ldc + j], &C0[(long)i * ldc + j], sizeof(float))) e = INFINITY;
            CHECK_MSG(e <= 1e-6, "packed bf16 %dx%dx%d acc %d: relative error %.3g", M, N, K, acc, e);
        }
        float *c1 = ut_malloc((size_t)N * sizeof(float));
        REQUIRE(gm_bgemm_packed(1, N, K, A, lda, Wp, 0, c1, N) == 0);
        REQUIRE(gm_bgemm_packed(M, N, K, A, lda, Wp, 0, C, ldc) == 0);
        CHECK(!memcmp(c1, C, (size_t)N * sizeof(float)));
        free(c1);
        free(A), free(W), free(C), free(C0), free(Wp);
    }
    /* refused without the AVX-512 path, C untouched */
    gm_isa keep = gm_isa_current();
    REQUIRE(gm_set_isa(GM_AVX2) == 0);
    float a[2] = {1, 2}, w[2] = {3, 4}, c = -1.0f;
    uint32_t wp[32];
    gm_bpack(w, 1, 2, wp);
    CHECK(gm_bgemm_packed(1, 1, 2, a, 2, wp, 0, &c, 1) == -1 && c == -1.0f);
    CHECK(strstr(ut_error(), "AVX512_BF16") != NULL);
    REQUIRE(gm_set_isa(keep) == 0);
}

/* float32 <-> bfloat16 arrays: round to nearest even like gm_round_bf16, back exactly */
TEST(gemm_bf16_arrays_round_trip) {
    float x[7] = {1.0f, -3.5f, 1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, 0.1f, INFINITY, NAN}, y[7];
    uint16_t b[7];
    gm_to_bf16(x, b, 7);
    gm_from_bf16(b, y, 7);
    for (int i = 0; i < 6; i++) CHECK_MSG(y[i] == gm_round_bf16(x[i]), "element %d: %g -> %g", i, x[i], y[i]);
    CHECK(isnan(y[6]));
    CHECK(b[0] == 0x3f80 && b[1] == 0xc060);
    CHECK(fabsf(y[4] - 0.1f) <= 0.1f * 0x1p-9f);
    uint16_t c[7];
    gm_to_bf16(y, c, 7); /* values already in bfloat16 come back unchanged */
    CHECK(!memcmp(b, c, sizeof b));
}
