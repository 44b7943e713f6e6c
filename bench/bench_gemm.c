/* bench_gemm.c - single-thread speed of each matrix-product shape of a training step, as the
 * engine cuts it into work chunks: OpenBLAS cblas_sgemm against our float32 kernels (gm_sgemm)
 * and our bfloat16 products (gm_bgemm, where the CPU has them).
 *
 * usage: bench_gemm [V D L H FF T B [reps]]   (defaults: the reference configuration
 *        4096 256 6 4 704 512 8; each figure is the best of reps (default 15) timings of about
 *        20 ms, so that other processes on a shared machine disturb it little)
 * Chunks: token rows 512, weight rows 256 (the defaults of nn_set_chunk_rows). Prints one line
 * per distinct shape: GFLOP/s of each and the ratio ours / OpenBLAS, then the totals weighted by
 * how often the step runs each shape.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "ml/gemm.h"
#include "ml/nn.h"

static double best_rate(int which, const nn_gemm_shape *s, const float *A, const float *B, float *C, int reps) {
    int lda = s->ta ? s->M : s->K, ldb = s->tb ? s->K : s->N;
    double fl = 2.0 * s->M * (double)s->N * s->K, best = 1e30;
    int it = (int)(4e7 / fl) + 1; /* ~20 ms windows: shorter than most preemptions */
    for (int r = 0; r < reps; r++) {
        double t = ut_now();
        for (int i = 0; i < it; i++) {
            if (which == 0)
                cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans, s->M, s->N,
                            s->K, 1.0f, A, lda, B, ldb, 1.0f, C, s->N);
            else if (which == 1) gm_sgemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 1.0f, C, s->N);
            else gm_bgemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, 1.0f, C, s->N);
        }
        t = (ut_now() - t) / it;
        best = t < best ? t : best;
    }
    return fl / best * 1e-9;
}

int main(int argc, char **argv) {
    int a[7] = {4096, 256, 6, 4, 704, 512, 8};
    for (int i = 0; i < 7 && i + 1 < argc; i++) a[i] = atoi(argv[i + 1]);
    int reps = argc > 8 ? atoi(argv[8]) : 15;
    nn_config c = {0};
    c.vocab_size = a[0];
    c.hidden_size = a[1];
    c.num_hidden_layers = a[2];
    c.num_attention_heads = a[3];
    c.num_key_value_heads = a[3];
    c.intermediate_size = a[4];
    c.max_position_embeddings = a[5];
    c.tie_word_embeddings = 1;
    c.rope_theta = 10000.0f;
    c.rms_norm_eps = 1e-6f;
    if (nn_config_validate(&c)) {
        fprintf(stderr, "bench_gemm: %s\n", ut_error());
        return 1;
    }
    int n = nn_step_gemms(&c, a[6], a[5], NULL, 0);
    nn_gemm_shape *s = malloc(sizeof *s * (size_t)n);
    nn_step_gemms(&c, a[6], a[5], s, n);
    size_t cap = 0;
    for (int i = 0; i < n; i++) { /* the engine's chunks: 512 token rows, 256 weight rows */
        int lin = s[i].count <= c.num_hidden_layers;
        if (lin && !s[i].ta && s[i].M > 512) s[i].count *= s[i].M / 512, s[i].M = 512;
        if (lin && s[i].ta && s[i].M > 256) s[i].count *= s[i].M / 256, s[i].M = 256;
        size_t mk = (size_t)s[i].M * s[i].K, kn = (size_t)s[i].K * s[i].N, mn = (size_t)s[i].M * s[i].N;
        cap = mk > cap ? mk : cap;
        cap = kn > cap ? kn : cap;
        cap = mn > cap ? mn : cap;
    }
    float *A = malloc(cap * sizeof(float)), *B = malloc(cap * sizeof(float)), *C = malloc(cap * sizeof(float));
    ut_rng r;
    ut_rng_seed(&r, 3);
    for (size_t i = 0; i < cap; i++) {
        A[i] = ut_rng_uniformf(&r) - 0.5f;
        B[i] = ut_rng_uniformf(&r) - 0.5f;
        C[i] = 0.0f;
    }
    openblas_set_num_threads(1);
    int bf = gm_has_bf16();
    printf("kernels: %s%s; GFLOP/s, one thread, best of %d\n", gm_isa_name(gm_isa_current()), bf ? " + avx512_bf16" : "",
           reps);
    printf("%-16s %2s %2s %5s %5s %5s %6s | %8s %8s %8s | %7s %7s\n", "product", "ta", "tb", "M", "N", "K", "count",
           "openblas", "ours", "bf16", "ours/ob", "bf16/ob");
    double t[3] = {0, 0, 0};
    for (int i = 0; i < n; i++) {
        double g0 = best_rate(0, &s[i], A, B, C, reps), g1 = best_rate(1, &s[i], A, B, C, reps);
        double g2 = bf ? best_rate(2, &s[i], A, B, C, reps) : 0.0;
        double fl = 2.0 * s[i].M * (double)s[i].N * s[i].K * (double)s[i].count;
        t[0] += fl / g0, t[1] += fl / g1, t[2] += bf ? fl / g2 : 0.0;
        printf("%-16s %2d %2d %5d %5d %5d %6ld | %8.1f %8.1f %8.1f | %7.2f %7.2f\n", s[i].what, s[i].ta, s[i].tb, s[i].M,
               s[i].N, s[i].K, s[i].count, g0, g1, g2, g1 / g0, bf ? g2 / g0 : 0.0);
    }
    printf("one step, every product on one thread: openblas %.3f s  ours %.3f s  bf16 %.3f s\n", t[0] * 1e-9,
           t[1] * 1e-9, t[2] * 1e-9);
    free(A);
    free(B);
    free(C);
    free(s);
    return 0;
}
