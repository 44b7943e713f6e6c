/* bench_train.c - training throughput of recad's transformer (forward + backward + AdamW).
 *
 * usage: bench_train [V D L H FF T B [steps]]   (defaults: the reference configuration of
 *        shared/bench/torch_train_bench.py: 4096 256 6 4 704 512 8, 5 timed steps)
 * Threads: $THREADS (default 2). Same model as the PyTorch program: tied embeddings, q/k/v bias,
 * KV heads = heads, random tokens. Prints one line:
 *   params=... B=.. T=.. step_s=... tokens_per_s=... gflops=... threads=...
 */
#include <stdio.h>
#include <stdlib.h>

#include "ml/nn.h"
#include "ml/opt.h"
#include "base/util.h"

int main(int argc, char **argv) {
    int a[7] = {4096, 256, 6, 4, 704, 512, 8};
    for (int i = 0; i < 7 && i + 1 < argc; i++) a[i] = atoi(argv[i + 1]);
    int steps = argc > 8 ? atoi(argv[8]) : 5;
    const char *th = getenv("THREADS");
    int threads = th && *th ? atoi(th) : 2;
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
    int T = a[5], B = a[6];
    nn_model *m = nn_new(&c);
    if (!m) {
        fprintf(stderr, "bench_train: %s\n", ut_error());
        return 1;
    }
    nn_set_threads(m, threads);
    nn_init_random(m, 1, 0.02f);
    opt_hparams hp = opt_defaults();
    hp.lr = 3e-4f;
    opt_adamw opt;
    opt_init(&opt, m, &hp);
    int *x = malloc(sizeof(int) * (size_t)B * T), *y = malloc(sizeof(int) * (size_t)B * T);
    ut_rng r;
    ut_rng_seed(&r, 0);
    for (int i = 0; i < B * T; i++) {
        x[i] = (int)(ut_rng_u64(&r) % (uint64_t)c.vocab_size);
        y[i] = (int)(ut_rng_u64(&r) % (uint64_t)c.vocab_size);
    }
    double tf[3] = {0}, t0 = 0;
    for (int s = 0; s <= steps; s++) {
        if (s == 1) t0 = ut_now(); /* step 0 warms up (allocation, first touch) */
        double ta = ut_now();
        nn_zero_grad(m);
        if (nn_forward(m, x, y, NULL, 0.0f, B, T) || nn_backward(m)) {
            fprintf(stderr, "bench_train: %s\n", ut_error());
            return 1;
        }
        double tb = ut_now();
        opt_step(&opt, hp.lr);
        if (s >= 1) {
            tf[0] += tb - ta;
            tf[1] += ut_now() - tb;
        }
    }
    double dt = (ut_now() - t0) / steps;
    double fl = nn_train_flops(&c, B, T);
    printf("params=%zu B=%d T=%d step_s=%.3f tokens_per_s=%.0f gflops=%.1f fwd_bwd_s=%.3f adamw_s=%.3f threads=%d loss=%.4f\n",
           m->num_params, B, T, dt, B * T / dt, fl / dt * 1e-9, tf[0] / steps, tf[1] / steps, threads, m->loss);
    opt_free(&opt);
    nn_free(m);
    free(x);
    free(y);
    return 0;
}
