/* test_nn.c - transformer: finite-difference gradients, golden test against PyTorch, AdamW,
 * schedule, config parsing, checkpoints of Qwen2 layout. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ml/gemm.h"
#include "ml/nn.h"
#include "ml/opt.h"
#include "ml/safetensors.h"
#include "tf.h"
#include "base/util.h"

static nn_config small_config(int V, int D, int F, int L, int H, int KV, int tied) {
    nn_config c;
    memset(&c, 0, sizeof c);
    c.vocab_size = V;
    c.hidden_size = D;
    c.intermediate_size = F;
    c.num_hidden_layers = L;
    c.num_attention_heads = H;
    c.num_key_value_heads = KV;
    c.max_position_embeddings = 256;
    c.tie_word_embeddings = tied;
    c.rope_theta = 1000.0f;
    c.rms_norm_eps = 1e-5f;
    return c;
}

/* random weights, with norm weights near 1 and biases non-zero so every term matters */
static void randomise(nn_model *m, uint64_t seed, float std) {
    nn_init_random(m, seed, std);
    ut_rng r;
    ut_rng_seed(&r, seed + 1);
    for (int i = 0; i < m->num_tensors; i++) {
        const nn_tensor *t = &m->tensors[i];
        if (t->ndim == 2) continue;
        float *p = m->param_mem + t->offset;
        for (size_t j = 0; j < t->numel; j++) p[j] += 0.2f * (float)ut_rng_normal(&r);
    }
}

typedef struct {
    int B, T, *in, *tg;
    float *w, norm;
} batch;

static batch make_batch(int B, int T, int V, uint64_t seed, int signed_weights, float norm) {
    batch b = {B, T, ut_malloc(sizeof(int) * B * T), ut_malloc(sizeof(int) * B * T), ut_malloc(sizeof(float) * B * T), norm};
    ut_rng r;
    ut_rng_seed(&r, seed);
    for (int i = 0; i < B * T; i++) {
        b.in[i] = (int)(ut_rng_u64(&r) % (uint64_t)V);
        b.tg[i] = (ut_rng_u64(&r) % 7 == 0) ? -1 : (int)(ut_rng_u64(&r) % (uint64_t)V);
        b.w[i] = signed_weights ? (float)(2.0 * ut_rng_uniform(&r) - 0.7) : (float)(2.0 * ut_rng_uniform(&r));
    }
    return b;
}

static void free_batch(batch *b) {
    free(b->in);
    free(b->tg);
    free(b->w);
}

static double loss_at(nn_model *m, const batch *b) {
    REQUIRE(nn_forward(m, b->in, b->tg, b->w, b->norm, b->B, b->T) == 0);
    return m->loss;
}

/* Finite differences over every parameter tensor (several entries each) and along random
 * directions through all parameters at once. Every op (embedding, RMSNorm, q/k/v with bias,
 * RoPE, grouped-query causal attention, o_proj, SwiGLU, final norm, lm_head, weighted CE)
 * lies on the path of some parameter gradient checked here. */
static void gradcheck(int tied, int signed_w, float norm, int recompute) {
    nn_config c = small_config(13, 8, 12, 2, 4, 2, tied);
    nn_model *m = nn_new(&c);
    REQUIRE(m);
    nn_set_threads(m, 2);
    if (recompute) { /* layers recomputed in the backward; 4-row chunks: the 18 rows make 2 head blocks */
        nn_set_recompute(m, 1);
        nn_set_chunk_rows(m, 4, 4);
        REQUIRE(nn_head_rows(m) < 18);
    }
    randomise(m, 7, 0.5f);
    batch b = make_batch(2, 9, c.vocab_size, 3, signed_w, norm);
    nn_zero_grad(m);
    loss_at(m, &b);
    REQUIRE(nn_backward(m) == 0);
    const float h = 2e-3f;
    ut_rng r;
    ut_rng_seed(&r, 11);
    int bad = 0, checked = 0;
    for (int ti = 0; ti < m->num_tensors; ti++) {
        const nn_tensor *t = &m->tensors[ti];
        for (int k = 0; k < 3; k++) {
            size_t j = t->offset + (size_t)(ut_rng_u64(&r) % t->numel);
            float save = m->param_mem[j];
            m->param_mem[j] = save + h;
            double lp = loss_at(m, &b);
            m->param_mem[j] = save - h;
            double lm = loss_at(m, &b);
            m->param_mem[j] = save;
            double fd = (lp - lm) / (2 * h), an = m->grad_mem[j];
            checked++;
            if (fabs(fd - an) > 2e-2 * fabs(an) + 3e-4) {
                bad++;
                fprintf(stderr, "    %s[%zu]: analytic %.6g finite-difference %.6g\n", t->name, j - t->offset, an, fd);
            }
        }
    }
    CHECK_MSG(bad == 0, "%d of %d finite-difference checks failed", bad, checked);
    /* directional derivatives through every parameter at once */
    float *dir = ut_malloc(m->num_params * sizeof(float)), *p0 = ut_malloc(m->num_params * sizeof(float));
    memcpy(p0, m->param_mem, m->num_params * sizeof(float));
    for (int rep = 0; rep < 3; rep++) {
        double gd = 0.0;
        for (size_t i = 0; i < m->num_params; i++) {
            dir[i] = (float)ut_rng_normal(&r);
            gd += (double)dir[i] * m->grad_mem[i];
        }
        const float e = 1e-3f;
        for (size_t i = 0; i < m->num_params; i++) m->param_mem[i] = p0[i] + e * dir[i];
        double lp = loss_at(m, &b);
        for (size_t i = 0; i < m->num_params; i++) m->param_mem[i] = p0[i] - e * dir[i];
        double lm = loss_at(m, &b);
        double fd = (lp - lm) / (2 * e);
        CHECK_REL(fd, gd, 2e-2);
    }
    memcpy(m->param_mem, p0, m->num_params * sizeof(float));
    free(dir);
    free(p0);
    free_batch(&b);
    nn_free(m);
}

TEST(nn_gradcheck_untied_mean) { gradcheck(0, 0, 0.0f, 0); }
TEST(nn_gradcheck_tied_signed_weights) { gradcheck(1, 1, 7.0f, 0); }
TEST(nn_gradcheck_recompute_untied_mean) { gradcheck(0, 0, 0.0f, 1); }
TEST(nn_gradcheck_recompute_tied_signed_weights) { gradcheck(1, 1, 7.0f, 1); }

/* ---- golden test against tests/nn_reference.py (PyTorch, float64) ---- */

static int have_torch(void) {
    char *out = NULL;
    int rc = tf_run_cmd("/usr/bin/python3 -c 'import torch' 2>&1", &out);
    free(out);
    return rc == 0;
}

/* max |a - b| <= rel * max |b| over the tensor */
static void check_tensor(const char *what, const float *a, const float *b, size_t n, double rel) {
    double md = 0.0, mb = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > md) {
            md = d;
            at = i;
        }
        if (fabs(b[i]) > mb) mb = fabs(b[i]);
    }
    CHECK_MSG(md <= rel * mb, "%s: max difference %.3g at %zu (ours %.8g, torch %.8g) exceeds %.1g x max|torch| %.3g", what,
              md, at, a[at], b[at], rel, mb);
}

/* token_rows, weight_rows: the model's work-chunk sizes (0: the defaults); bf16: the linear
 * layers' products in bfloat16, compared at tolerance tol instead of 1e-4; recompute: layers and
 * logits recomputed in the backward (nn_set_recompute; the logits are then checked on a forward
 * without targets, which keeps them all) */
static void golden_mode(int tied, int KV, int signed_w, float norm, int token_rows, int weight_rows, int bf16, double tol,
                        int recompute) {
    if (!have_torch()) SKIP("/usr/bin/python3 has no torch (scripts/setup.sh --test installs python3-torch)");
    if (bf16 && !gm_has_bf16()) SKIP("this CPU lacks AVX512_BF16 (vdpbf16ps)");
    nn_config c = small_config(37, 32, 40, 2, 4, KV, tied);
    nn_model *m = nn_new(&c);
    REQUIRE(m);
    nn_set_threads(m, 2);
    REQUIRE(nn_set_bf16(m, bf16) == 0);
    nn_set_chunk_rows(m, token_rows, weight_rows);
    nn_set_recompute(m, recompute);
    randomise(m, 21, 0.15f);
    const int B = 2, T = 80; /* T > 64: two causal attention blocks */
    batch b = make_batch(B, T, c.vocab_size, 5, signed_w, norm);
    const char *dir = tf_tmpdir();
    REQUIRE(nn_save(m, dir) == 0);
    /* eps 1e-6 rather than 1e-8: Adam turns a gradient that is float32 rounding noise (|g| << eps
     * otherwise) into a full-size step of random sign, which no float32 implementation can
     * reproduce; with eps above that noise the comparison tests the update rule, not the noise */
    opt_hparams hp = {3e-3f, 0.9f, 0.95f, 1e-6f, 0.1f, 0.5f};
    const int steps = 3;
    /* batch.json */
    char path[512];
    snprintf(path, sizeof path, "%s/batch.json", dir);
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    fprintf(f, "{\"B\":%d,\"T\":%d,\"norm\":%.9g,\"lr\":%.9g,\"beta1\":%.9g,\"beta2\":%.9g,\"eps\":%.9g,", B, T, b.norm, hp.lr,
            hp.beta1, hp.beta2, hp.eps);
    fprintf(f, "\"weight_decay\":%.9g,\"clip\":%.9g,\"steps\":%d,\"inputs\":[", hp.weight_decay, hp.clip, steps);
    for (int i = 0; i < B * T; i++) fprintf(f, "%s%d", i ? "," : "", b.in[i]);
    fprintf(f, "],\"targets\":[");
    for (int i = 0; i < B * T; i++) fprintf(f, "%s%d", i ? "," : "", b.tg[i]);
    fprintf(f, "],\"weights\":[");
    for (int i = 0; i < B * T; i++) fprintf(f, "%s%.9g", i ? "," : "", b.w[i]);
    fprintf(f, "]}\n");
    fclose(f);
    char cmd[1024], *out = NULL;
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/nn_reference.py %s 2>&1", dir);
    int rc = tf_run_cmd(cmd, &out);
    REQUIRE_MSG(rc == 0, "nn_reference.py failed: %s", out ? out : "");
    free(out);
    st_file ref;
    snprintf(path, sizeof path, "%s/ref.safetensors", dir);
    REQUIRE(st_open(&ref, path) == 0);
    float *buf = ut_malloc(m->num_params * sizeof(float) + (size_t)B * T * c.vocab_size * sizeof(float));
    /* our step 0: logits, loss, gradients */
    opt_adamw opt;
    opt_init(&opt, m, &hp);
    nn_zero_grad(m);
    if (recompute) REQUIRE(nn_forward(m, b.in, NULL, NULL, 0.0f, B, T) == 0);
    else REQUIRE(nn_forward(m, b.in, b.tg, b.w, b.norm, B, T) == 0);
    const st_tensor *t = st_find(&ref, "logits");
    REQUIRE(t && t->numel == (size_t)B * T * c.vocab_size);
    REQUIRE(st_read_f32(&ref, t, buf) == 0);
    check_tensor("logits", m->acts.logits, buf, t->numel, tol);
    if (recompute) REQUIRE(nn_forward(m, b.in, b.tg, b.w, b.norm, B, T) == 0);
    REQUIRE(st_read_f32(&ref, st_find(&ref, "loss"), buf) == 0);
    CHECK_REL(m->loss, buf[0], tol);
    REQUIRE(nn_backward(m) == 0);
    char name[160];
    for (int i = 0; i < m->num_tensors; i++) {
        const nn_tensor *nt = &m->tensors[i];
        snprintf(name, sizeof name, "grad.%s", nt->name);
        const st_tensor *rt = st_find(&ref, name);
        REQUIRE_MSG(rt && rt->numel == nt->numel, "reference lacks %s", name);
        REQUIRE(st_read_f32(&ref, rt, buf) == 0);
        check_tensor(name, m->grad_mem + nt->offset, buf, nt->numel, tol);
    }
    REQUIRE(st_read_f32(&ref, st_find(&ref, "grad_norm"), buf) == 0);
    double gn = opt_step(&opt, hp.lr);
    CHECK_REL(gn, buf[0], tol);
    CHECK_MSG(gn > hp.clip, "gradient norm %.3g below the clip %.3g: clipping untested", gn, hp.clip);
    for (int s = 1; s < steps; s++) {
        nn_zero_grad(m);
        REQUIRE(nn_forward(m, b.in, b.tg, b.w, b.norm, B, T) == 0);
        REQUIRE(nn_backward(m) == 0);
        opt_step(&opt, hp.lr);
    }
    for (int i = 0; i < m->num_tensors; i++) {
        const nn_tensor *nt = &m->tensors[i];
        snprintf(name, sizeof name, "step%d.%s", steps, nt->name);
        const st_tensor *rt = st_find(&ref, name);
        REQUIRE_MSG(rt && rt->numel == nt->numel, "reference lacks %s", name);
        REQUIRE(st_read_f32(&ref, rt, buf) == 0);
        check_tensor(name, m->param_mem + nt->offset, buf, nt->numel, tol);
    }
    st_close(&ref);
    opt_free(&opt);
    free(buf);
    free_batch(&b);
    nn_free(m);
}

static void golden_at(int tied, int KV, int signed_w, float norm, int token_rows, int weight_rows, int bf16, double tol) {
    golden_mode(tied, KV, signed_w, norm, token_rows, weight_rows, bf16, tol, 0);
}

static void golden(int tied, int KV, int signed_w, float norm, int token_rows, int weight_rows) {
    golden_at(tied, KV, signed_w, norm, token_rows, weight_rows, 0, 1e-4);
}

TEST(nn_golden_torch_gqa_untied) { golden(0, 2, 0, 0.0f, 0, 0); }
TEST(nn_golden_torch_tied_signed_weights) { golden(1, 4, 1, 100.0f, 0, 0); }
/* small work chunks: every product and reduction is split into many uneven pieces */
TEST(nn_golden_torch_small_chunks) { golden(0, 2, 1, 0.0f, 48, 24); }
/* recomputation, with 16-row chunks so the 160 rows make 3 head blocks */
TEST(nn_golden_torch_recompute) { golden_mode(0, 2, 1, 0.0f, 16, 24, 0, 1e-4, 1); }
TEST(nn_golden_torch_recompute_tied) { golden_mode(1, 4, 1, 100.0f, 0, 0, 0, 1e-4, 1); }
/* bfloat16 products against the float64 reference: logits, loss, every gradient and the
 * parameters after 3 AdamW steps within BF16_TOL of each tensor's largest reference value
 * (inputs rounded to 8 significant bits: 2^-9 relative each, sums in float32) */
#define BF16_TOL 5e-2
TEST(nn_golden_torch_bf16) { golden_at(0, 2, 0, 0.0f, 0, 0, 1, BF16_TOL); }
TEST(nn_golden_torch_bf16_tied_small_chunks) { golden_at(1, 4, 1, 100.0f, 48, 24, 1, BF16_TOL); }

/* the same gradients for every thread count and chunking (bit-identical when only the thread
 * count changes), and bit-identical with recomputation on and off (with 40-row chunks the 210
 * rows make 2 head blocks, so the block-wise logits are exercised) */
TEST(nn_threads_and_chunks_agree) {
    nn_config c = small_config(37, 32, 40, 2, 4, 2, 0);
    nn_model *m = nn_new(&c);
    REQUIRE(m);
    randomise(m, 4, 0.2f);
    batch b = make_batch(3, 70, c.vocab_size, 8, 1, 0.0f);
    enum { RUNS = 8 };
    /* threads, small chunks, recomputation */
    const int mode[RUNS][3] = {{2, 0, 0}, {1, 0, 0}, {2, 1, 0}, {2, 0, 1}, {1, 0, 1}, {2, 1, 1}, {1, 1, 1}, {1, 1, 0}};
    float *g[RUNS], *tl[RUNS], loss[RUNS];
    size_t N = (size_t)b.B * b.T;
    for (int k = 0; k < RUNS; k++) {
        nn_set_threads(m, mode[k][0]);
        nn_set_chunk_rows(m, mode[k][1] ? 40 : 0, mode[k][1] ? 16 : 0);
        nn_set_recompute(m, mode[k][2]);
        nn_zero_grad(m);
        REQUIRE(nn_forward(m, b.in, b.tg, b.w, b.norm, b.B, b.T) == 0);
        loss[k] = m->loss;
        tl[k] = ut_malloc(N * sizeof(float));
        memcpy(tl[k], m->acts.tok_loss, N * sizeof(float));
        REQUIRE(nn_backward(m) == 0);
        g[k] = ut_malloc(m->num_params * sizeof(float));
        memcpy(g[k], m->grad_mem, m->num_params * sizeof(float));
    }
    CHECK(nn_head_rows(m) == 160);
    for (int k = 1; k < RUNS; k++) {
        int ref = mode[k][1] ? 2 : 0; /* same chunks: bit-identical whatever the threads and recomputation */
        if (k == ref) continue;
        CHECK_MSG(loss[k] == loss[ref], "run %d", k);
        CHECK_MSG(memcmp(tl[k], tl[ref], N * sizeof(float)) == 0, "run %d: per-token losses", k);
        CHECK_MSG(memcmp(g[k], g[ref], m->num_params * sizeof(float)) == 0, "run %d: gradients", k);
    }
    CHECK_REL(loss[2], loss[0], 1e-6);
    check_tensor("gradients with small chunks", g[2], g[0], m->num_params, 1e-5);
    for (int k = 0; k < RUNS; k++) {
        free(g[k]);
        free(tl[k]);
    }
    free_batch(&b);
    nn_free(m);
}

/* bfloat16 products: bit-identical for 1 and 2 threads, close to (not equal to) float32; refused
 * with a clear error where the instruction is missing (here: the AVX-512 path switched off) */
TEST(nn_bf16_threads_agree_and_needs_the_instruction) {
    nn_config c = small_config(37, 32, 40, 2, 4, 2, 0);
    nn_model *m = nn_new(&c);
    REQUIRE(m);
    randomise(m, 4, 0.2f);
    batch b = make_batch(3, 70, c.vocab_size, 8, 1, 0.0f);
    gm_isa keep = gm_isa_current();
    REQUIRE(gm_set_isa(GM_AVX2 < keep ? GM_AVX2 : keep) == 0);
    CHECK(nn_set_bf16(m, 1) == -1);
    CHECK(strstr(ut_error(), "AVX512_BF16") != NULL);
    CHECK(m->exec.bf16 == 0);
    REQUIRE(gm_set_isa(keep) == 0);
    if (!gm_has_bf16()) {
        free_batch(&b);
        nn_free(m);
        SKIP("this CPU lacks AVX512_BF16 (vdpbf16ps)");
    }
    float *g[3], loss[3];
    for (int k = 0; k < 3; k++) {
        nn_set_threads(m, k == 1 ? 1 : 2);
        REQUIRE(nn_set_bf16(m, k < 2) == 0);
        nn_zero_grad(m);
        REQUIRE(nn_forward(m, b.in, b.tg, b.w, b.norm, b.B, b.T) == 0);
        loss[k] = m->loss;
        REQUIRE(nn_backward(m) == 0);
        g[k] = ut_malloc(m->num_params * sizeof(float));
        memcpy(g[k], m->grad_mem, m->num_params * sizeof(float));
    }
    CHECK(loss[0] == loss[1]);
    CHECK(memcmp(g[0], g[1], m->num_params * sizeof(float)) == 0);
    CHECK(loss[0] != loss[2]); /* the products really ran in bfloat16 */
    CHECK_REL(loss[0], loss[2], 1e-2);
    for (int k = 0; k < 3; k++) free(g[k]);
    free_batch(&b);
    nn_free(m);
}

/* one training step of m on b: its loss and a copy of its gradients (free it) */
static float *step_grads(nn_model *m, const batch *b, float *loss) {
    nn_zero_grad(m);
    REQUIRE(nn_forward(m, b->in, b->tg, b->w, b->norm, b->B, b->T) == 0);
    *loss = m->loss;
    REQUIRE(nn_backward(m) == 0);
    float *g = ut_malloc(m->num_params * sizeof(float));
    memcpy(g, m->grad_mem, m->num_params * sizeof(float));
    return g;
}

/* threads and chunk sizes belong to each model; a backward runs with its forward's settings,
 * even when they changed in between (more threads need more scratch than the forward sized) */
TEST(nn_settings_belong_to_the_model) {
    nn_config c = small_config(37, 32, 40, 2, 4, 2, 0);
    nn_model *a = nn_new(&c), *b = nn_new(&c);
    REQUIRE(a && b);
    CHECK(a->exec.threads == 0 && a->exec.token_rows == 512 && a->exec.weight_rows == 256);
    CHECK(nn_threads(a) >= 1);
    nn_set_threads(a, 1);
    nn_set_chunk_rows(a, 40, 16);
    nn_set_threads(b, 3);
    CHECK(nn_threads(a) == 1 && nn_threads(b) == 3);
    CHECK(b->exec.token_rows == 512 && b->exec.weight_rows == 256);
    nn_set_chunk_rows(a, 0, -1); /* back to the defaults */
    CHECK(a->exec.token_rows == 512 && a->exec.weight_rows == 256);
    randomise(a, 4, 0.2f);
    memcpy(b->param_mem, a->param_mem, a->num_params * sizeof(float));
    batch bt = make_batch(3, 70, c.vocab_size, 8, 1, 0.0f);
    float la;
    nn_set_threads(a, 1);
    float *ga = step_grads(a, &bt, &la);
    nn_zero_grad(b);
    nn_set_threads(b, 1);
    REQUIRE(nn_forward(b, bt.in, bt.tg, bt.w, bt.norm, bt.B, bt.T) == 0);
    nn_set_threads(b, 4);
    nn_set_chunk_rows(b, 8, 8);
    REQUIRE(nn_backward(b) == 0);
    CHECK(b->acts.run.threads == 1 && b->acts.run.token_rows == 512);
    CHECK(la == b->loss);
    CHECK(memcmp(ga, b->grad_mem, a->num_params * sizeof(float)) == 0);
    free(ga);
    free_batch(&bt);
    nn_free(a);
    nn_free(b);
}

typedef struct {
    nn_model *m;
    const batch *b;
    float loss, *grads;
} step_job;

static void *step_thread(void *arg) {
    step_job *j = arg;
    j->grads = step_grads(j->m, j->b, &j->loss);
    return NULL;
}

/* two models trained at the same time from two threads, with different thread counts and
 * chunks, give what each gives alone */
TEST(nn_two_models_on_two_threads) {
    nn_config c = small_config(37, 32, 40, 2, 4, 2, 1);
    batch bt = make_batch(2, 90, c.vocab_size, 12, 0, 0.0f);
    nn_model *m[2];
    step_job job[2];
    float alone_loss[2], *alone[2];
    for (int k = 0; k < 2; k++) {
        m[k] = nn_new(&c);
        REQUIRE(m[k]);
        randomise(m[k], 30 + (uint64_t)k, 0.2f);
        nn_set_threads(m[k], k + 1);
        nn_set_chunk_rows(m[k], k ? 50 : 0, k ? 20 : 0);
        alone[k] = step_grads(m[k], &bt, &alone_loss[k]);
        job[k] = (step_job){m[k], &bt, 0.0f, NULL};
    }
    pthread_t th[2];
    for (int k = 0; k < 2; k++) REQUIRE(pthread_create(&th[k], NULL, step_thread, &job[k]) == 0);
    for (int k = 0; k < 2; k++) pthread_join(th[k], NULL);
    for (int k = 0; k < 2; k++) {
        CHECK(job[k].loss == alone_loss[k]);
        CHECK_MSG(memcmp(job[k].grads, alone[k], m[k]->num_params * sizeof(float)) == 0, "model %d", k);
        free(job[k].grads);
        free(alone[k]);
        nn_free(m[k]);
    }
    free_batch(&bt);
}

TEST(nn_lr_schedule) {
    /* linear warmup to the peak, cosine down to lr_min at the last step */
    CHECK_NEAR(opt_lr(0, 10, 110, 1.0f, 0.1f), 0.1, 1e-7);
    CHECK_NEAR(opt_lr(9, 10, 110, 1.0f, 0.1f), 1.0, 1e-7);
    CHECK_NEAR(opt_lr(10, 10, 110, 1.0f, 0.1f), 1.0, 1e-7);
    CHECK_NEAR(opt_lr(60, 10, 110, 1.0f, 0.1f), 0.55, 1e-6); /* half way: mean of peak and floor */
    CHECK_NEAR(opt_lr(110, 10, 110, 1.0f, 0.1f), 0.1, 1e-7);
    CHECK_NEAR(opt_lr(500, 10, 110, 1.0f, 0.1f), 0.1, 1e-7);
    CHECK_NEAR(opt_lr(0, 0, 100, 2.0f, 0.0f), 2.0, 1e-7);
}

/* batches of changing shape reuse or regrow the activation memory without changing results */
TEST(nn_batch_shapes_change) {
    nn_config c = small_config(29, 16, 24, 2, 2, 1, 1);
    nn_model *m = nn_new(&c), *fresh = nn_new(&c);
    REQUIRE(m && fresh);
    nn_set_threads(m, 2);
    randomise(m, 9, 0.3f);
    memcpy(fresh->param_mem, m->param_mem, m->num_params * sizeof(float));
    int shapes[4][2] = {{2, 40}, {1, 7}, {4, 90}, {3, 33}};
    for (int k = 0; k < 4; k++) {
        int B = shapes[k][0], T = shapes[k][1];
        batch b = make_batch(B, T, c.vocab_size, 30 + k, 0, 0.0f);
        REQUIRE(nn_forward(m, b.in, b.tg, NULL, 0, B, T) == 0);
        float l1 = m->loss;
        nn_model *f = nn_new(&c);
        nn_set_threads(f, 2);
        memcpy(f->param_mem, m->param_mem, m->num_params * sizeof(float));
        REQUIRE(nn_forward(f, b.in, b.tg, NULL, 0, B, T) == 0);
        CHECK(l1 == f->loss);
        CHECK(memcmp(m->acts.logits, f->acts.logits, sizeof(float) * (size_t)B * T * c.vocab_size) == 0);
        nn_free(f);
        free_batch(&b);
    }
    /* bad input */
    int bad[2] = {0, 29};
    CHECK(nn_forward(m, bad, NULL, NULL, 0, 1, 2) == -1 && strstr(ut_error(), "token id 29"));
    CHECK(nn_forward(m, bad, NULL, NULL, 0, 1, 300) == -1 && strstr(ut_error(), "max_position_embeddings"));
    CHECK(nn_backward(fresh) == -1 && strstr(ut_error(), "no forward pass"));
    nn_free(fresh);
    nn_free(m);
}

/* a longer context changes nothing for sequences that fit the old one, and a model built with
 * the longer context from the start gives the same logits at every length */
TEST(nn_set_context_extends_positions) {
    nn_config c = small_config(29, 16, 24, 2, 2, 1, 1);
    c.max_position_embeddings = 24;
    nn_model *m = nn_new(&c);
    REQUIRE(m);
    nn_set_threads(m, 2);
    randomise(m, 5, 0.3f);
    int B = 2, T = 20;
    batch b = make_batch(B, T, c.vocab_size, 11, 0, 0.0f);
    REQUIRE(nn_forward(m, b.in, b.tg, NULL, 0, B, T) == 0);
    size_t n = (size_t)B * T * c.vocab_size;
    float *before = malloc(n * sizeof(float)), loss = m->loss;
    REQUIRE(before);
    memcpy(before, m->acts.logits, n * sizeof(float));
    batch lb = make_batch(1, 60, c.vocab_size, 12, 0, 0.0f);
    CHECK(nn_forward(m, lb.in, lb.tg, NULL, 0, 1, 60) == -1 && strstr(ut_error(), "max_position_embeddings 24"));
    REQUIRE(nn_set_context(m, 64) == 0);
    CHECK(m->cfg.max_position_embeddings == 64);
    REQUIRE(nn_forward(m, b.in, b.tg, NULL, 0, B, T) == 0);
    CHECK(m->loss == loss);
    CHECK(memcmp(before, m->acts.logits, n * sizeof(float)) == 0);
    REQUIRE(nn_forward(m, lb.in, lb.tg, NULL, 0, 1, 60) == 0);
    c.max_position_embeddings = 64;
    nn_model *f = nn_new(&c);
    REQUIRE(f);
    nn_set_threads(f, 2);
    memcpy(f->param_mem, m->param_mem, m->num_params * sizeof(float));
    REQUIRE(nn_forward(f, lb.in, lb.tg, NULL, 0, 1, 60) == 0);
    CHECK(f->loss == m->loss);
    CHECK(nn_set_context(m, 0) == -1 && strstr(ut_error(), "context 0"));
    CHECK(m->cfg.max_position_embeddings == 64);
    nn_free(f);
    free(before);
    free_batch(&b);
    free_batch(&lb);
    nn_free(m);
}
