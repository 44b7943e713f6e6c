/* bench_train.c - training throughput of recad's transformer (forward + backward + AdamW), and
 * the bound it is measured against.
 *
 * usage: bench_train [--bf16] [--recompute] [--no-bound] [V D L H FF T B [steps]]
 *        (defaults: the reference configuration of shared/bench/torch_train_bench.py:
 *        4096 256 6 4 704 512 8, 5 timed steps)
 * Threads: $THREADS (default 2). Same model as the PyTorch program: tied embeddings, q/k/v bias,
 * KV heads = heads, random tokens. --bf16 trains with bfloat16 matrix products (nn_set_bf16),
 * --recompute with activation recomputation (nn_set_recompute). --no-bound skips the bound loop
 * (its operand buffers, up to 3 x N x V floats per thread, would otherwise dominate the process's
 * peak memory) and prints no bound fields; bench/train_mem_bench.sh uses it.
 *
 * The bound: a plain sgemm loop over the step's own products (nn_step_gemms: every matrix product
 * of forward and backward with its real M, N, K and transposes), on the same number of threads.
 * Each shape runs the faster of (a) one cblas_sgemm with OpenBLAS on all the threads and (b) the
 * rows (for batched attention products: the instances) split over OpenMP threads, each a
 * single-threaded cblas_sgemm; the choice is made in the warm-up round (best of three of each).
 * BOUND_VERBOSE=1 prints both rates of every shape to stderr. Training steps and bound
 * loops alternate, so load from other processes hits both alike. Prints one line:
 *   params=... step_s=... tokens_per_s=... gflops=... bound_gflops=... pct_bound=... threads=...
 * gflops counts the model's products (nn_train_flops); bound_gflops the same FLOPs over the bound
 * loop's time, so pct_bound = bound loop time / step time (AdamW excluded from neither: the step
 * time includes it).
 */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/nn.h"
#include "ml/opt.h"
#include "base/util.h"

typedef struct {
    nn_gemm_shape *s;
    int n, threads;
    int *split;      /* per shape: 1 = split over OpenMP threads, 0 = OpenBLAS threads */
    float *buf[64];  /* per thread: A, B, C one after the other */
    size_t cap;      /* floats per operand */
} bound_loop;

static void bound_one(const nn_gemm_shape *s, int M, const float *A, const float *B, float *C) {
    int lda = s->ta ? M : s->K, ldb = s->tb ? s->K : s->N;
    cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans, M, s->N, s->K, 1.0f,
                A, lda, B, ldb, s->accumulate ? 1.0f : 0.0f, C, s->N);
}

/* runs shape i `count` times in mode split (0/1); returns seconds */
static double bound_shape(bound_loop *b, int i, int split) {
    const nn_gemm_shape *s = &b->s[i];
    double t0 = ut_now();
    if (!split) {
        openblas_set_num_threads(b->threads);
        for (long r = 0; r < s->count; r++) bound_one(s, s->M, b->buf[0], b->buf[0] + b->cap, b->buf[0] + 2 * b->cap);
    } else if (s->count >= b->threads * 4) { /* many small instances: spread them */
        openblas_set_num_threads(1);
#pragma omp parallel for schedule(dynamic, 1) num_threads(b->threads)
        for (long r = 0; r < s->count; r++) {
            float *u = b->buf[omp_get_thread_num()];
            bound_one(s, s->M, u, u + b->cap, u + 2 * b->cap);
        }
    } else { /* rows of C split evenly (for ta the rows are A's columns: each part its own copy) */
        openblas_set_num_threads(1);
        for (long r = 0; r < s->count; r++) {
#pragma omp parallel num_threads(b->threads)
            {
                int t = omp_get_thread_num(), nt = omp_get_num_threads();
                int m0 = (int)((long)s->M * t / nt), m1 = (int)((long)s->M * (t + 1) / nt);
                float *u = b->buf[t];
                if (m1 > m0) bound_one(s, m1 - m0, u, u + b->cap, u + 2 * b->cap);
            }
        }
    }
    return ut_now() - t0;
}

static double bound_run(bound_loop *b, int choose) {
    double t = 0.0;
    const char *v = getenv("BOUND_VERBOSE");
    for (int i = 0; i < b->n; i++) {
        const nn_gemm_shape *s = &b->s[i];
        if (choose) {
            double t0 = 1e30, t1 = 1e30; /* best of three each: a loaded machine is noisy */
            for (int k = 0; k < 3; k++) {
                double u0 = bound_shape(b, i, 0), u1 = bound_shape(b, i, 1);
                t0 = u0 < t0 ? u0 : t0;
                t1 = u1 < t1 ? u1 : t1;
            }
            b->split[i] = t1 < t0;
            double f = 2.0 * s->M * (double)s->N * s->K * (double)s->count * 1e-9;
            if (v && *v == '1')
                fprintf(stderr, "bound %-16s ta=%d tb=%d M=%5d N=%5d K=%5d x%-5ld openblas_threads %6.1f  split %6.1f GFLOP/s\n",
                        s->what, s->ta, s->tb, s->M, s->N, s->K, s->count, f / t0, f / t1);
        }
        t += bound_shape(b, i, b->split[i]);
    }
    openblas_set_num_threads(1);
    return t;
}

static void bound_init(bound_loop *b, const nn_config *c, int B, int T, int threads) {
    memset(b, 0, sizeof *b);
    b->n = nn_step_gemms(c, B, T, NULL, 0);
    b->s = malloc(sizeof *b->s * (size_t)b->n);
    nn_step_gemms(c, B, T, b->s, b->n);
    b->split = calloc((size_t)b->n, sizeof(int));
    b->threads = threads > 64 ? 64 : threads;
    for (int i = 0; i < b->n; i++) {
        size_t mk = (size_t)b->s[i].M * b->s[i].K, kn = (size_t)b->s[i].K * b->s[i].N, mn = (size_t)b->s[i].M * b->s[i].N;
        size_t mx = mk > kn ? mk : kn;
        mx = mx > mn ? mx : mn;
        if (mx > b->cap) b->cap = mx;
    }
    ut_rng r;
    ut_rng_seed(&r, 7);
    for (int t = 0; t < b->threads; t++) {
        b->buf[t] = malloc(3 * b->cap * sizeof(float));
        for (size_t j = 0; j < 3 * b->cap; j++) b->buf[t][j] = (float)(ut_rng_uniform(&r) - 0.5) * 0.1f;
    }
}

static void bound_free(bound_loop *b) {
    for (int t = 0; t < b->threads; t++) free(b->buf[t]);
    free(b->s);
    free(b->split);
}

int main(int argc, char **argv) {
    int bf16 = 0, recompute = 0, bound = 1;
    while (argc > 1 && !strncmp(argv[1], "--", 2)) {
        if (!strcmp(argv[1], "--bf16")) bf16 = 1;
        else if (!strcmp(argv[1], "--recompute")) recompute = 1;
        else if (!strcmp(argv[1], "--no-bound")) bound = 0;
        else {
            fprintf(stderr, "bench_train: unknown option %s\n", argv[1]);
            return 2;
        }
        argc--;
        argv++;
    }
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
    if (!m || nn_set_bf16(m, bf16)) {
        fprintf(stderr, "bench_train: %s\n", ut_error());
        return 1;
    }
    nn_set_threads(m, threads);
    nn_set_recompute(m, recompute);
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
    bound_loop bl;
    if (bound) bound_init(&bl, &m->cfg, B, T, threads);
    double tf[3] = {0}, tbound = 0.0;
    for (int s = 0; s <= steps; s++) { /* step 0 warms up (allocation, first touch, bound choice) */
        double ta = ut_now();
        nn_zero_grad(m);
        if (nn_forward(m, x, y, NULL, 0.0f, B, T) || nn_backward(m)) {
            fprintf(stderr, "bench_train: %s\n", ut_error());
            return 1;
        }
        double tb = ut_now();
        opt_step(&opt, hp.lr);
        double tc = ut_now();
        double tl = bound ? bound_run(&bl, s == 0) : 0.0;
        if (s >= 1) {
            tf[0] += tb - ta;
            tf[1] += tc - tb;
            tf[2] += tc - ta;
            tbound += tl;
        }
    }
    double dt = tf[2] / steps, db = tbound / steps;
    double fl = nn_train_flops(&m->cfg, B, T);
    printf("params=%zu B=%d T=%d precision=%s recompute=%d step_s=%.3f tokens_per_s=%.0f gflops=%.1f ", m->num_params, B, T,
           bf16 ? "bf16" : "fp32", recompute, dt, B * T / dt, fl / dt * 1e-9);
    if (bound) printf("bound_s=%.3f bound_gflops=%.1f pct_bound=%.1f ", db, fl / db * 1e-9, 100.0 * db / dt);
    printf("fwd_bwd_s=%.3f adamw_s=%.3f threads=%d loss=%.4f\n", tf[0] / steps, tf[1] / steps, threads, m->loss);
    if (bound) bound_free(&bl);
    opt_free(&opt);
    nn_free(m);
    free(x);
    free(y);
    return 0;
}
