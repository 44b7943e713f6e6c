/* bench_sample.c - batched sampling throughput, the configuration of shared/bench/torch_sample_bench.py.
 *
 *   build/bench/bench_sample [V D L H FF G P N [P2 P3 ...]]   (defaults 4096 256 6 4 704 8 64 256)
 *   THREADS=n sets the thread count (default 2); PRECISION=bf16 samples in SMP_BF16 (bfloat16 KV
 *   cache, and bfloat16 decode products where the CPU has AVX512_BF16; default f32), PRECISION=kv8
 *   in SMP_KV8 (8-bit KV cache, the same products).
 * With more prompt lengths P2, P3, ... the batch holds several prompts (P, P2, ...) of G samples
 * each, sampled together by smp_generate_multi (the GRPO case); tokens/s counts all of them.
 *
 * Random weights (tied embeddings, like the PyTorch program), one random prompt of P tokens shared
 * by G samples, N new tokens each, multinomial sampling at temperature 1. One warm-up group, then
 * the mean over 3 groups; decode tokens/s = G*N / seconds per group (prefill included, as in the
 * PyTorch program). Prints one line in the PyTorch program's format plus the time split (and, for
 * bf16 and kv8, what ran: kv=16|8 products=bf16|f32). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/nn.h"
#include "ml/sampler.h"
#include "base/util.h"

int main(int argc, char **argv) {
    int a[8] = {4096, 256, 6, 4, 704, 8, 64, 256};
    for (int i = 1; i < argc && i <= 8; i++) a[i - 1] = atoi(argv[i]);
    int V = a[0], D = a[1], L = a[2], H = a[3], FF = a[4], G = a[5], P = a[6], N = a[7];
    int NP = argc > 9 ? argc - 8 : 1, plen[64], Pmax = 0;
    if (NP > 64) {
        fprintf(stderr, "bench_sample: at most 64 prompts\n");
        return 2;
    }
    plen[0] = P;
    for (int p = 1; p < NP; p++) plen[p] = atoi(argv[8 + p]);
    for (int p = 0; p < NP; p++) Pmax = plen[p] > Pmax ? plen[p] : Pmax;
    const char *th = getenv("THREADS");
    int threads = th ? atoi(th) : 2;
    const char *pr = getenv("PRECISION");
    int bf16 = pr && !strcmp(pr, "bf16"), kv8 = pr && !strcmp(pr, "kv8");
    if (pr && *pr && !bf16 && !kv8 && strcmp(pr, "f32")) {
        fprintf(stderr, "bench_sample: PRECISION must be f32, bf16 or kv8 (got %s)\n", pr);
        return 2;
    }
    nn_config c = {.vocab_size = V, .hidden_size = D, .intermediate_size = FF, .num_hidden_layers = L,
                   .num_attention_heads = H, .num_key_value_heads = H, .max_position_embeddings = Pmax + N,
                   .tie_word_embeddings = 1, .rope_theta = 10000.0f, .rms_norm_eps = 1e-6f};
    nn_model *m = nn_new(&c);
    if (!m) {
        fprintf(stderr, "bench_sample: %s\n", ut_error());
        return 1;
    }
    nn_set_threads(m, threads);
    nn_init_random(m, 0, 0.02f);
    smp_sampler *s = smp_new(m);
    int *prompts[64];
    ut_rng r;
    ut_rng_seed(&r, 1);
    for (int p = 0; p < NP; p++) {
        prompts[p] = malloc((size_t)plen[p] * sizeof(int));
        for (int i = 0; i < plen[p]; i++) prompts[p][i] = (int)(ut_rng_u64(&r) % (uint64_t)V);
    }
    int rows = G * NP;
    smp_seq *out = calloc((size_t)rows, sizeof *out);
    smp_opts o = {.n = G, .max_new = N, .temperature = 1.0f, .seed = 0, .precision = kv8 ? SMP_KV8 : bf16 ? SMP_BF16 : SMP_F32};
    const int R = 3;
    double total = 0, pre = 0;
    for (int rep = 0; rep <= R; rep++) {
        o.seed = (uint64_t)rep;
        double t0 = ut_now();
        if (smp_generate_multi(s, (const int *const *)prompts, plen, NP, &o, out)) {
            fprintf(stderr, "bench_sample: %s\n", ut_error());
            return 1;
        }
        double dt = ut_now() - t0;
        long ntok = 0;
        for (int g = 0; g < rows; g++) ntok += out[g].ntokens, smp_seq_free(&out[g]);
        if (ntok != (long)rows * N) fprintf(stderr, "bench_sample: %ld tokens instead of %ld\n", ntok, (long)rows * N);
        if (rep > 0) total += dt, pre += smp_last_stats(s)->prefill_s;
    }
    double dt = total / R;
    char ps[512] = "";
    for (int p = 0, k = 0; p < NP && k < (int)sizeof ps - 12; p++) k += snprintf(ps + k, sizeof ps - (size_t)k, "%s%d", p ? "," : "", plen[p]);
    if (NP > 1) printf("prompts=%d ", NP);
    printf("G=%d P=%s N=%d s_per_group=%.3f decode_tokens_per_s=%.0f prefill_ms=%.1f recad threads=%d", G, ps, N, dt,
           (double)rows * N / dt, 1e3 * pre / R, threads);
    if (bf16 || kv8) printf(" precision=%s kv=%d products=%s", kv8 ? "kv8" : "bf16", smp_last_stats(s)->kv_bits,
                        smp_last_stats(s)->bf16_products ? "bf16" : "f32");
    printf("\n");
    free(out);
    for (int p = 0; p < NP; p++) free(prompts[p]);
    smp_free(s);
    nn_free(m);
    return 0;
}
