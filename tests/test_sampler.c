/* Tests of sampler.c: the KV-cache decode path against the full (uncached) nn_forward, the
 * sampling rules against analytic frequencies, seeds, batching consistency, stop rules. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/gemm.h"
#include "ml/nn.h"
#include "ml/sampler.h"
#include "ml/sampler_int.h"
#include "tf.h"
#include "ml/tokenizer.h"
#include "base/util.h"

/* a small random model; biases and norm weights randomised too so every path matters */
static nn_model *small_model(int V, int L, int H, int KV, int tie, uint64_t seed) {
    nn_config c = {.vocab_size = V, .hidden_size = 32, .intermediate_size = 48, .num_hidden_layers = L,
                   .num_attention_heads = H, .num_key_value_heads = KV, .max_position_embeddings = 96,
                   .tie_word_embeddings = tie, .rope_theta = 10000.0f, .rms_norm_eps = 1e-6f};
    nn_model *m = nn_new(&c);
    if (!m) return NULL;
    nn_set_threads(m, 1); /* tests run beside others on few cores; one test checks two threads */
    nn_init_random(m, seed, 0.25f);
    ut_rng r;
    ut_rng_seed(&r, seed + 1);
    int QKV = (H + 2 * KV) * (32 / H);
    for (int i = 0; i < L * QKV; i++) m->params.bqkv[i] = 0.1f * (float)ut_rng_normal(&r);
    for (int i = 0; i < L * 32; i++) {
        m->params.ln1[i] = 1.0f + 0.2f * (float)ut_rng_normal(&r);
        m->params.ln2[i] = 1.0f + 0.2f * (float)ut_rng_normal(&r);
    }
    return m;
}

static void random_prompt(int *p, int n, int V, uint64_t seed) {
    ut_rng r;
    ut_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) p[i] = (int)(ut_rng_u64(&r) % (uint64_t)V);
}

static float log_softmax_at(const float *z, int V, int id) {
    double mx = -INFINITY, s = 0;
    for (int i = 0; i < V; i++) mx = z[i] > mx ? z[i] : mx;
    for (int i = 0; i < V; i++) s += exp(z[i] - mx);
    return (float)(z[id] - mx - log(s));
}

/* greedy decoding through the cache picks, at every step, the argmax of the full forward over
 * prompt + generated prefix, with logits and log-probabilities equal within 1e-4 */
TEST(sampler_greedy_cache_matches_full_forward) {
    struct {
        int L, H, KV, tie;
    } cfgs[] = {{2, 4, 2, 0}, {3, 2, 2, 1}};
    for (int c = 0; c < 2; c++) {
        int V = 61, P = 7, N = 24;
        nn_model *m = small_model(V, cfgs[c].L, cfgs[c].H, cfgs[c].KV, cfgs[c].tie, 100 + (uint64_t)c);
        REQUIRE(m);
        smp_sampler *s = smp_new(m);
        int prompt[7];
        random_prompt(prompt, P, V, 5);
        float *lo = malloc((size_t)N * V * sizeof(float));
        smp_opts o = {.n = 1, .max_new = N, .temperature = 0.0f, .logits_out = lo};
        smp_seq q;
        REQUIRE_MSG(smp_generate(s, prompt, P, &o, &q) == 0, "%s", ut_error());
        REQUIRE(q.ntokens == N && q.finish == SMP_LENGTH);
        int seq[7 + 24];
        memcpy(seq, prompt, sizeof prompt);
        memcpy(seq + P, q.tokens, (size_t)N * sizeof(int));
        double maxdiff = 0;
        for (int k = 0; k < N; k++) {
            int T = P + k;
            REQUIRE(nn_forward(m, seq, NULL, NULL, 0.0f, 1, T) == 0);
            const float *full = m->acts.logits + (size_t)(T - 1) * V;
            int am = 0;
            for (int i = 1; i < V; i++)
                if (full[i] > full[am]) am = i;
            CHECK_MSG(am == q.tokens[k], "config %d step %d: cached greedy %d, full argmax %d", c, k, q.tokens[k], am);
            for (int i = 0; i < V; i++) {
                double d = fabs(full[i] - lo[(size_t)k * V + i]);
                maxdiff = d > maxdiff ? d : maxdiff;
            }
            CHECK_NEAR(q.logprobs[k], log_softmax_at(full, V, q.tokens[k]), 1e-4);
        }
        CHECK_MSG(maxdiff < 1e-4, "config %d: logits differ by %.3g", c, maxdiff);
        smp_seq_free(&q);
        free(lo);
        smp_free(s);
        nn_free(m);
    }
}

/* a prompt of 300 tokens is prefilled by two threads (batches of SMP_PAR_MIN_ROWS rows or more),
 * and the rows of one key block of 64 positions fall to both: the last row's logits equal the full
 * forward's every time (a block cleared by one thread once wiped keys the other had written) */
TEST(sampler_long_prompt_on_two_threads_matches_full_forward) {
    nn_config c = {.vocab_size = 61, .hidden_size = 32, .intermediate_size = 48, .num_hidden_layers = 2,
                   .num_attention_heads = 4, .num_key_value_heads = 2, .max_position_embeddings = 320,
                   .tie_word_embeddings = 0, .rope_theta = 10000.0f, .rms_norm_eps = 1e-6f};
    nn_model *m = nn_new(&c);
    REQUIRE(m);
    nn_set_threads(m, 1);
    nn_init_random(m, 17, 0.25f);
    enum { P = 300, V = 61 };
    int *prompt = malloc(P * sizeof(int));
    random_prompt(prompt, P, V, 9);
    REQUIRE(nn_forward(m, prompt, NULL, NULL, 0.0f, 1, P) == 0);
    float full[V], lo[2 * V];
    memcpy(full, m->acts.logits + (size_t)(P - 1) * V, sizeof full);
    nn_set_threads(m, 2);
    smp_sampler *s = smp_new(m);
    double worst = 0;
    for (int rep = 0; rep < 20; rep++) {
        smp_opts o = {.n = 2, .max_new = 1, .temperature = 0.0f, .logits_out = lo};
        smp_seq q[2];
        REQUIRE_MSG(smp_generate(s, prompt, P, &o, q) == 0, "%s", ut_error());
        for (int i = 0; i < V; i++) worst = fmax(worst, fabs(lo[i] - full[i]));
        smp_seq_free(&q[0]), smp_seq_free(&q[1]);
    }
    CHECK_MSG(worst < 1e-4, "prefill logits differ from the full forward by %.3g", worst);
    smp_free(s);
    nn_free(m);
    free(prompt);
}

/* sampled (not greedy) tokens: log-probabilities are those of the full forward (a prompt of 30
 * tokens: the prefill goes through sgemm, the decode steps through the small-batch kernel) */
TEST(sampler_logprobs_match_full_forward_when_sampling) {
    int V = 61, P = 30, N = 16, G = 3;
    nn_model *m = small_model(V, 2, 4, 4, 1, 7);
    REQUIRE(m);
    smp_sampler *s = smp_new(m);
    int prompt[30];
    random_prompt(prompt, P, V, 9);
    smp_opts o = {.n = G, .max_new = N, .temperature = 1.3f, .top_p = 0.95f, .seed = 4};
    smp_seq q[3];
    REQUIRE(smp_generate(s, prompt, P, &o, q) == 0);
    for (int g = 0; g < G; g++) {
        int seq[30 + 16];
        memcpy(seq, prompt, sizeof prompt);
        memcpy(seq + P, q[g].tokens, (size_t)q[g].ntokens * sizeof(int));
        REQUIRE(nn_forward(m, seq, NULL, NULL, 0.0f, 1, P + q[g].ntokens) == 0);
        for (int k = 0; k < q[g].ntokens; k++)
            CHECK_NEAR(q[g].logprobs[k], log_softmax_at(m->acts.logits + (size_t)(P - 1 + k) * V, V, q[g].tokens[k]), 1e-4);
        smp_seq_free(&q[g]);
    }
    smp_free(s);
    nn_free(m);
}

TEST(sampler_seeds_reproduce_and_top_k_1_is_greedy) {
    int V = 50, P = 4, N = 20;
    nn_model *m = small_model(V, 2, 4, 2, 1, 3);
    REQUIRE(m);
    smp_sampler *s = smp_new(m);
    int prompt[4];
    random_prompt(prompt, P, V, 1);
    smp_opts o = {.n = 4, .max_new = N, .temperature = 1.0f, .top_k = 20, .top_p = 0.9f, .seed = 77};
    smp_seq a[4], b[4], c[4];
    REQUIRE(smp_generate(s, prompt, P, &o, a) == 0);
    REQUIRE(smp_generate(s, prompt, P, &o, b) == 0);
    o.seed = 78;
    REQUIRE(smp_generate(s, prompt, P, &o, c) == 0);
    int same_other_seed = 1;
    for (int g = 0; g < 4; g++) {
        CHECK(a[g].ntokens == b[g].ntokens && !memcmp(a[g].tokens, b[g].tokens, (size_t)N * sizeof(int)));
        CHECK(!memcmp(a[g].logprobs, b[g].logprobs, (size_t)N * sizeof(float)));
        if (memcmp(a[g].tokens, c[g].tokens, (size_t)N * sizeof(int))) same_other_seed = 0;
    }
    CHECK(!same_other_seed);
    /* different samples of one group differ (20 tokens over a 50-token vocabulary) */
    CHECK(memcmp(a[0].tokens, a[1].tokens, (size_t)N * sizeof(int)) != 0);
    for (int g = 0; g < 4; g++) smp_seq_free(&a[g]), smp_seq_free(&b[g]), smp_seq_free(&c[g]);
    /* top-k 1 at temperature 1 is greedy */
    smp_opts gk = {.n = 2, .max_new = N, .temperature = 1.0f, .top_k = 1, .seed = 5};
    smp_opts gr = {.n = 1, .max_new = N, .temperature = 0.0f};
    REQUIRE(smp_generate(s, prompt, P, &gk, a) == 0);
    REQUIRE(smp_generate(s, prompt, P, &gr, b) == 0);
    CHECK(!memcmp(a[0].tokens, b[0].tokens, (size_t)N * sizeof(int)));
    CHECK(!memcmp(a[1].tokens, b[0].tokens, (size_t)N * sizeof(int)));
    smp_seq_free(&a[0]);
    smp_seq_free(&a[1]);
    smp_seq_free(&b[0]);
    smp_free(s);
    nn_free(m);
}

/* sample i of a group of 8 equals the lone sample of a G=1 call with the matching seed, also when
 * samples end at different steps (an EOS id makes the batch shrink) */
TEST(sampler_group_of_8_matches_single_samples) {
    int V = 40, P = 6, N = 30;
    nn_model *m = small_model(V, 2, 4, 2, 0, 11);
    REQUIRE(m);
    smp_sampler *s = smp_new(m);
    int prompt[6], eos[] = {3, 17};
    random_prompt(prompt, P, V, 2);
    smp_opts o = {.n = 8, .max_new = N, .temperature = 1.0f, .seed = 1234, .eos_ids = eos, .neos = 2};
    smp_seq g8[8];
    nn_set_threads(m, 2); /* the group is split over two decode threads */
    REQUIRE(smp_generate(s, prompt, P, &o, g8) == 0);
    nn_set_threads(m, 1);
    int lens_differ = 0;
    for (int i = 0; i < 8; i++) {
        smp_opts o1 = o;
        o1.n = 1;
        o1.seed = o.seed + (uint64_t)i * 0x9E3779B97F4A7C15ull;
        smp_seq one;
        REQUIRE(smp_generate(s, prompt, P, &o1, &one) == 0);
        CHECK_MSG(one.ntokens == g8[i].ntokens && !memcmp(one.tokens, g8[i].tokens, (size_t)one.ntokens * sizeof(int)),
                  "sample %d differs between G=8 and G=1", i);
        for (int k = 0; k < one.ntokens && k < g8[i].ntokens; k++) CHECK_NEAR(one.logprobs[k], g8[i].logprobs[k], 1e-4);
        CHECK(g8[i].finish == (g8[i].ntokens < N ? SMP_EOS : g8[i].finish));
        if (g8[i].ntokens != g8[0].ntokens) lens_differ = 1;
        smp_seq_free(&one);
    }
    CHECK(lens_differ); /* the batch really shrank during the run */
    /* a group of 32 on one thread (decode steps through sgemm) starts with the same 8 samples */
    smp_seq g32[32];
    o.n = 32;
    REQUIRE(smp_generate(s, prompt, P, &o, g32) == 0);
    for (int i = 0; i < 8; i++) {
        CHECK(g32[i].ntokens == g8[i].ntokens && !memcmp(g32[i].tokens, g8[i].tokens, (size_t)g8[i].ntokens * sizeof(int)));
        for (int k = 0; k < g8[i].ntokens && k < g32[i].ntokens; k++) CHECK_NEAR(g32[i].logprobs[k], g8[i].logprobs[k], 1e-4);
    }
    for (int i = 0; i < 32; i++) smp_seq_free(&g32[i]);
    for (int i = 0; i < 8; i++) smp_seq_free(&g8[i]);
    smp_free(s);
    nn_free(m);
}

/* o->n samples of each of the np prompts in one batch on two threads (o->logits_out: (np * n, N, V))
 * into mix: row p*n+k must equal sample k of prompt p sampled alone on one thread with the matching
 * seed (same tokens, log-probabilities and logits of every step within 1e-4). Returns 1 when the
 * rows' lengths differ (EOS ended them at different steps). */
static int check_mixed_matches_single(smp_sampler *s, nn_model *m, int *const *prompts, const int *plen, int np,
                                      const smp_opts *o, smp_seq *mix, int V) {
    int n = o->n, N = o->max_new, lens_differ = 0;
    const float *lo = o->logits_out;
    float *l1 = malloc((size_t)n * N * V * sizeof(float));
    smp_seq one[8];
    REQUIRE(n <= 8 && l1);
    nn_set_threads(m, 2);
    REQUIRE_MSG(smp_generate_multi(s, (const int *const *)prompts, plen, np, o, mix) == 0, "%s", ut_error());
    nn_set_threads(m, 1);
    for (int p = 0; p < np; p++) {
        smp_opts o1 = *o;
        o1.seed = o->seed + (uint64_t)(p * n) * 0x9E3779B97F4A7C15ull;
        o1.logits_out = l1;
        REQUIRE(smp_generate(s, prompts[p], plen[p], &o1, one) == 0);
        for (int k = 0; k < n; k++) {
            const smp_seq *a = &mix[p * n + k], *b = &one[k];
            CHECK_MSG(a->ntokens == b->ntokens && !memcmp(a->tokens, b->tokens, (size_t)a->ntokens * sizeof(int)),
                      "prompt %d sample %d differs between the mixed batch and the prompt alone", p, k);
            double md = 0;
            for (int t = 0; t < a->ntokens && t < b->ntokens; t++) {
                CHECK_NEAR(a->logprobs[t], b->logprobs[t], 1e-4);
                for (int i = 0; i < V; i++) {
                    double d = fabs(lo[(((size_t)(p * n + k)) * N + t) * V + i] - l1[((size_t)k * N + t) * V + i]);
                    md = d > md ? d : md;
                }
            }
            CHECK_MSG(md < 1e-4, "prompt %d sample %d: logits differ by %.3g", p, k, md);
            if (a->ntokens != mix[0].ntokens) lens_differ = 1;
            smp_seq_free(&one[k]);
        }
    }
    free(l1);
    return lens_differ;
}

/* several prompts of different lengths x n samples in one batch (two decode threads, EOS ids so
 * rows finish at different steps): row p*n+k equals sample k of that prompt sampled alone with
 * the matching seed - same tokens, logits of every step within 1e-4 - and the prompts really
 * lead to different continuations */
TEST(sampler_mixed_prompts_match_single_prompts) {
    enum { NP = 4, n = 3, N = 20, V = 53 };
    int plen[NP] = {5, 70, 1, 23}, eos[] = {7};
    nn_model *m = small_model(V, 2, 4, 2, 0, 21);
    REQUIRE(m);
    smp_sampler *s = smp_new(m);
    int *prompts[NP];
    for (int p = 0; p < NP; p++) {
        prompts[p] = malloc((size_t)plen[p] * sizeof(int));
        random_prompt(prompts[p], plen[p], V, 40 + (uint64_t)p);
    }
    float *lo = malloc((size_t)NP * n * N * V * sizeof(float));
    smp_opts o = {.n = n, .max_new = N, .temperature = 1.1f, .top_p = 0.97f, .seed = 99, .eos_ids = eos, .neos = 1,
                  .logits_out = lo};
    smp_seq mix[NP * n];
    int lens_differ = check_mixed_matches_single(s, m, prompts, plen, NP, &o, mix, V);
    CHECK(lens_differ);
    /* the first token's logits come from each prompt's own last row */
    CHECK(memcmp(lo, lo + (size_t)n * N * V, V * sizeof(float)) != 0);
    for (int i = 0; i < NP * n; i++) smp_seq_free(&mix[i]);
    /* errors name the prompt */
    int zero = 0;
    plen[2] = 0;
    CHECK(smp_generate_multi(s, (const int *const *)prompts, plen, NP, &o, mix) == -1 && strstr(ut_error(), "prompt 2 is empty"));
    plen[2] = 1;
    prompts[3][4] = V;
    CHECK(smp_generate_multi(s, (const int *const *)prompts, plen, NP, &o, mix) == -1 && strstr(ut_error(), "prompt 3 token 4"));
    CHECK(smp_generate_multi(s, (const int *const *)prompts, plen, zero, &o, mix) == -1);
    for (int p = 0; p < NP; p++) free(prompts[p]);
    free(lo);
    smp_free(s);
    nn_free(m);
}

TEST(sampler_stop_strings_and_eos) {
    /* a byte-level tokenizer (no merges): one token per byte, so positions are easy to predict */
    tok_train_opts to = {.vocab_size = 256 + tok_default_nspecials, .quiet = 1};
    const char *empty[] = {""};
    tok_tokenizer *t = tok_train(empty, NULL, 1, &to);
    REQUIRE(t);
    int V = tok_vocab_size(t), P = 3, N = 40;
    nn_model *m = small_model(V, 2, 2, 2, 1, 21);
    REQUIRE(m);
    smp_sampler *s = smp_new(m);
    int prompt[3];
    random_prompt(prompt, P, 256, 8);
    smp_opts o = {.n = 1, .max_new = N, .temperature = 0.0f, .tok = t};
    smp_seq base;
    REQUIRE(smp_generate(s, prompt, P, &o, &base) == 0);
    REQUIRE(base.ntokens == N && base.text_len > 10);
    /* stop string = bytes 6..8 of the greedy text: generation ends at its first occurrence */
    char stop[3] = {base.text[6], base.text[7], 0};
    const char *stops[] = {"\x01\x02\x03never", stop};
    size_t first = 0;
    while (memcmp(base.text + first, stop, 2)) first++;
    o.stop = stops;
    o.nstop = 2;
    smp_seq q;
    REQUIRE(smp_generate(s, prompt, P, &o, &q) == 0);
    CHECK(q.finish == SMP_STOP);
    CHECK(q.text_len == first && !memcmp(q.text, base.text, first));
    CHECK(q.ntokens == (int)first + 2 && !memcmp(q.tokens, base.tokens, (size_t)q.ntokens * sizeof(int)));
    smp_seq_free(&q);
    /* EOS: the id is kept in the tokens, left out of the text */
    int eos = base.tokens[5], at = 0;
    while (base.tokens[at] != eos) at++;
    smp_opts oe = {.n = 1, .max_new = N, .temperature = 0.0f, .tok = t, .eos_ids = &eos, .neos = 1};
    REQUIRE(smp_generate(s, prompt, P, &oe, &q) == 0);
    CHECK(q.finish == SMP_EOS && q.ntokens == at + 1 && q.tokens[at] == eos);
    CHECK(q.text_len == (size_t)at && !memcmp(q.text, base.text, (size_t)at));
    smp_seq_free(&q);
    smp_seq_free(&base);
    smp_free(s);
    nn_free(m);
    tok_free(t);
}

/* a veto that refuses bytes with an odd first byte, and counts the questions per sample */
typedef struct {
    int asked[8];
    size_t text_seen[8];
} veto_log;

static int odd_veto(void *ctx, int i, const char *text, size_t len, const char *b, int n) {
    veto_log *v = ctx;
    (void)text;
    v->asked[i]++;
    v->text_seen[i] = len; /* the text so far: grows as the sample does */
    return n > 0 && ((unsigned char)b[0] & 1);
}

/* smp_opts.veto: refused tokens never appear, the rest of the distribution is drawn from, and the
 * kept log-probability is that of the unmasked logits */
TEST(sampler_veto_redraws_refused_tokens) {
    tok_train_opts to = {.vocab_size = 256 + tok_default_nspecials, .quiet = 1};
    const char *empty[] = {""};
    tok_tokenizer *t = tok_train(empty, NULL, 1, &to);
    REQUIRE(t);
    int V = tok_vocab_size(t), P = 3, N = 30, G = 4;
    nn_model *m = small_model(V, 2, 2, 2, 1, 23);
    REQUIRE(m);
    smp_sampler *s = smp_new(m);
    int prompt[3];
    random_prompt(prompt, P, 256, 9);
    float *logits = ut_malloc(sizeof(float) * (size_t)G * N * V);
    veto_log log = {{0}, {0}};
    for (int greedy = 0; greedy < 2; greedy++) {
        smp_opts o = {.n = G, .max_new = N, .temperature = greedy ? 0.0f : 1.0f, .seed = 5, .tok = t,
                      .logits_out = logits, .veto = odd_veto, .veto_ctx = &log};
        smp_seq q[4];
        REQUIRE(smp_generate(s, prompt, P, &o, q) == 0);
        CHECK(smp_last_stats(s)->vetoed > 0);
        for (int i = 0; i < G; i++) {
            REQUIRE(q[i].ntokens == N);
            CHECK(log.asked[i] >= N && log.text_seen[i] > 0);
            for (int k = 0; k < N; k++) {
                int len;
                const char *b = tok_token_bytes(t, q[i].tokens[k], &len);
                CHECK_MSG(!(len > 0 && ((unsigned char)b[0] & 1)), "sample %d token %d: refused bytes", i, k);
                const float *z = logits + ((size_t)i * N + (size_t)k) * V;
                CHECK_NEAR(q[i].logprobs[k], log_softmax_at(z, V, q[i].tokens[k]), 1e-4);
                if (greedy) { /* the largest logit among the allowed tokens */
                    int best = -1;
                    for (int v = 0; v < V; v++) {
                        const char *vb = tok_token_bytes(t, v, &len);
                        if (vb && len > 0 && ((unsigned char)vb[0] & 1)) continue;
                        if (best < 0 || z[v] > z[best]) best = v;
                    }
                    CHECK_MSG(q[i].tokens[k] == best, "sample %d token %d: %d, best allowed %d", i, k, q[i].tokens[k], best);
                }
            }
            smp_seq_free(&q[i]);
        }
    }
    free(logits);
    smp_free(s);
    nn_free(m);
    tok_free(t);
}

/* the sampling rule against analytic frequencies on fixed logits */
TEST(sampler_sample_row_frequencies) {
    float z[4] = {logf(0.5f), logf(0.3f), logf(0.15f), logf(0.05f)};
    float pw[4];
    int idx[4];
    ut_rng r;
    ut_rng_seed(&r, 1);
    enum { DRAWS = 40000 };
    struct {
        float temp, top_p;
        int top_k;
        double want[4];
    } cases[] = {
        {1.0f, 1.0f, 0, {0.5, 0.3, 0.15, 0.05}},
        {1.0f, 0.7f, 0, {0.625, 0.375, 0, 0}},            /* 0.5 + 0.3 >= 0.7: two tokens */
        {1.0f, 1.0f, 3, {0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0}},
        {1.0f, 0.5f, 3, {1, 0, 0, 0}},                      /* 0.5/0.95 >= 0.5: one token */
        {0.5f, 1.0f, 0, {0.25 / 0.365, 0.09 / 0.365, 0.0225 / 0.365, 0.0025 / 0.365}}, /* p^2 renormalised */
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        int cnt[4] = {0};
        for (int d = 0; d < DRAWS; d++) {
            float lp;
            int t = smp_sample_row(z, 4, cases[c].temp, cases[c].top_k, cases[c].top_p, &r, pw, idx, &lp);
            REQUIRE(t >= 0 && t < 4);
            cnt[t]++;
            CHECK_NEAR(lp, z[t], 1e-5); /* unmodified distribution: log p_t */
        }
        for (int i = 0; i < 4; i++)
            CHECK_MSG(fabs(cnt[i] / (double)DRAWS - cases[c].want[i]) < 0.01, "case %zu token %d: %.4f vs %.4f", c, i,
                      cnt[i] / (double)DRAWS, cases[c].want[i]);
    }
    /* greedy: lowest id on ties */
    float tie[3] = {1.0f, 2.0f, 2.0f};
    float lp;
    CHECK(smp_sample_row(tie, 3, 0.0f, 0, 1.0f, &r, pw, idx, &lp) == 1);
    /* a large vocabulary with top_p needs the growing sorted head: compare with a brute-force nucleus */
    int V = 2000;
    float *zz = malloc(V * sizeof(float)), *pp = malloc(V * sizeof(float));
    int *ii = malloc(V * sizeof(int));
    for (int i = 0; i < V; i++) zz[i] = 0.01f * (float)ut_rng_normal(&r); /* flat: nucleus of ~1800 tokens */
    int seen_max = -1, hits = 0;
    for (int d = 0; d < 500; d++) {
        int t = smp_sample_row(zz, V, 1.0f, 0, 0.9f, &r, pp, ii, &lp);
        /* t must be in the nucleus: the mass of tokens strictly more likely than t is below 0.9 */
        double above = 0, tot = 0;
        for (int i = 0; i < V; i++) {
            double e = exp(zz[i]);
            tot += e;
            if (zz[i] > zz[t] || (zz[i] == zz[t] && i < t)) above += e;
        }
        if (above / tot < 0.9) hits++;
        seen_max = t > seen_max ? t : seen_max;
    }
    CHECK(hits == 500);
    free(zz);
    free(pp);
    free(ii);
}

TEST(sampler_rejects_bad_requests) {
    nn_model *m = small_model(30, 1, 2, 2, 1, 1);
    REQUIRE(m);
    smp_sampler *s = smp_new(m);
    int prompt[3] = {1, 2, 3}, bad[2] = {1, 30};
    smp_seq q[2];
    smp_opts o = {.n = 1, .max_new = 95, .temperature = 1.0f};
    CHECK(smp_generate(s, prompt, 3, &o, q) == -1 && strstr(ut_error(), "positions"));
    o.max_new = 5;
    CHECK(smp_generate(s, bad, 2, &o, q) == -1 && strstr(ut_error(), "outside the vocabulary"));
    o.n = 0;
    CHECK(smp_generate(s, prompt, 3, &o, q) == -1);
    const char *stops[] = {"x"};
    smp_opts os = {.n = 1, .max_new = 5, .stop = stops, .nstop = 1};
    CHECK(smp_generate(s, prompt, 3, &os, q) == -1 && strstr(ut_error(), "tokenizer"));
    smp_free(s);
    nn_free(m);
}

/* `recad sample` on a checkpoint folder: JSON output, reproducible with a seed, clear errors */
/* two `recad sample --json` samples drew the same token ids */
static int same_ids(const cJSON *x, const cJSON *y) {
    char *i1 = cJSON_PrintUnformatted(cJSON_GetObjectItem(x, "ids")), *i2 = cJSON_PrintUnformatted(cJSON_GetObjectItem(y, "ids"));
    int same = i1 && i2 && !strcmp(i1, i2);
    free(i1);
    free(i2);
    return same;
}

TEST(sampler_cli_sample_json) {
    const char *texts[] = {"local w, d = 60, 40\nExtrude(Sketch(XY, Face(Loop(Circle(0, 0, 5)))), 10, \"new\")\n"};
    tok_train_opts to = {.vocab_size = 300, .quiet = 1};
    tok_tokenizer *t = tok_train(texts, NULL, 1, &to);
    REQUIRE(t);
    nn_model *m = small_model(tok_vocab_size(t), 2, 4, 2, 1, 5);
    REQUIRE(m);
    char dir[600], path[700], cmd[2048];
    snprintf(dir, sizeof dir, "%s/ckpt", tf_tmpdir());
    REQUIRE(nn_save(m, dir) == 0);
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    REQUIRE(tok_save(t, path) == 0);
    snprintf(cmd, sizeof cmd,
             "build/recad sample --model %s --prompt '<|im_start|>user\nplate<|im_end|>' -n 3 --max-new 12 --seed 9 "
             "--top-p 0.9 --threads 1 --json",
             dir);
    char *o1 = NULL, *o2 = NULL;
    REQUIRE(tf_run_cmd(cmd, &o1) == 0);
    REQUIRE(tf_run_cmd(cmd, &o2) == 0);
    cJSON *a = cJSON_Parse(o1), *b = cJSON_Parse(o2);
    REQUIRE_MSG(a && b, "output: %s", o1);
    cJSON *sa = cJSON_GetObjectItem(a, "samples"), *sb = cJSON_GetObjectItem(b, "samples");
    REQUIRE(cJSON_GetArraySize(sa) == 3);
    CHECK(cJSON_GetObjectItem(a, "prompt_tokens")->valueint >= 3);
    for (int i = 0; i < 3; i++) {
        cJSON *x = cJSON_GetArrayItem(sa, i), *y = cJSON_GetArrayItem(sb, i);
        cJSON *ids = cJSON_GetObjectItem(x, "ids"), *lps = cJSON_GetObjectItem(x, "logprobs");
        CHECK(cJSON_GetArraySize(ids) >= 1 && cJSON_GetArraySize(ids) <= 12);
        CHECK(cJSON_GetArraySize(lps) == cJSON_GetArraySize(ids));
        for (cJSON *l = lps->child; l; l = l->next) CHECK(l->valuedouble <= 0.0);
        /* reproducible: same text and ids with the same seed */
        CHECK(!strcmp(cJSON_GetObjectItem(x, "text")->valuestring, cJSON_GetObjectItem(y, "text")->valuestring));
        CHECK(same_ids(x, y));
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    free(o1);
    free(o2);
    /* --bf16: reproducible too, and it says what it used */
    snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " --bf16");
    REQUIRE(tf_run_cmd(cmd, &o1) == 0);
    REQUIRE(tf_run_cmd(cmd, &o2) == 0);
    a = cJSON_Parse(o1);
    REQUIRE_MSG(a, "output: %s", o1);
    cJSON *pr = cJSON_GetObjectItem(a, "precision");
    CHECK(cJSON_IsString(pr) && strstr(pr->valuestring, "bfloat16 KV cache"));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(a, "samples")) == 3);
    b = cJSON_Parse(o2);
    REQUIRE(b);
    for (int i = 0; i < 3; i++) {
        CHECK(same_ids(cJSON_GetArrayItem(cJSON_GetObjectItem(a, "samples"), i),
                       cJSON_GetArrayItem(cJSON_GetObjectItem(b, "samples"), i)));
    }
    cJSON_Delete(a);
    cJSON_Delete(b);
    free(o1);
    free(o2);
    /* --kv8 (given after --bf16, which it replaces): reproducible, and it says so */
    snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), " --kv8");
    REQUIRE(tf_run_cmd(cmd, &o1) == 0);
    REQUIRE(tf_run_cmd(cmd, &o2) == 0);
    a = cJSON_Parse(o1);
    b = cJSON_Parse(o2);
    REQUIRE_MSG(a && b, "output: %s", o1);
    pr = cJSON_GetObjectItem(a, "precision");
    CHECK(cJSON_IsString(pr) && strstr(pr->valuestring, "8-bit KV cache"));
    for (int i = 0; i < 3; i++)
        CHECK(same_ids(cJSON_GetArrayItem(cJSON_GetObjectItem(a, "samples"), i),
                       cJSON_GetArrayItem(cJSON_GetObjectItem(b, "samples"), i)));
    cJSON_Delete(a);
    cJSON_Delete(b);
    free(o1);
    free(o2);
    /* a missing folder is a file error (3); a bad option a usage error (2) */
    CHECK(tf_run_cmd("build/recad sample --model /nonexistent/ckpt --prompt x", &o1) == 3);
    CHECK(strstr(o1, "/nonexistent/ckpt/tokenizer.json") != NULL);
    free(o1);
    snprintf(cmd, sizeof cmd, "build/recad sample --model %s --prompt x --top-p 1.5", dir);
    CHECK(tf_run_cmd(cmd, &o1) == 2);
    free(o1);
    nn_free(m);
    tok_free(t);
}

/* ---- SMP_BF16: bfloat16 KV cache and (with AVX512_BF16) bfloat16 decode products ---- */

/* a model with head_dim 64 (hidden 128, 2 heads), so the attention kernels run their widest loops;
 * weights of scale 0.125 (a product then grows a vector by about 0.125 sqrt(128) = 1.4) */
static nn_model *wide_model(int V, uint64_t seed) {
    nn_config c = {.vocab_size = V, .hidden_size = 128, .intermediate_size = 96, .num_hidden_layers = 2,
                   .num_attention_heads = 2, .num_key_value_heads = 1, .max_position_embeddings = 160,
                   .tie_word_embeddings = 1, .rope_theta = 10000.0f, .rms_norm_eps = 1e-6f};
    nn_model *m = nn_new(&c);
    if (!m) return NULL;
    nn_set_threads(m, 1);
    nn_init_random(m, seed, 0.125f); /* the gain of small_model's 0.25 at hidden 32 */
    return m;
}

/* the bfloat16 cache readers: 0 portable, 1 AVX2, 2 AVX-512 widening, 3 vdpbf16ps; selects reader
 * k through gm_set_isa / gm_set_bf16 and returns 1, or 0 where this CPU lacks it */
static int use_reader(int k) {
    gm_isa top = gm_isa_detected();
    gm_set_bf16(1);
    if (k == 3) return gm_set_isa(top) == 0 && gm_has_bf16();
    if (k == 2 && top < GM_AVX512) return 0;
    if (k == 1 && top < GM_AVX2) return 0;
    if (gm_set_isa((gm_isa)k) != 0) return 0;
    gm_set_bf16(0);
    return 1;
}

/* One head's attention through the bfloat16 cache (smp_put_bf16, then smp_attend_bf16 over a
 * prompt part of n/3 positions and an own part of the rest, as the sampler calls it) on every
 * reader, against float64 attention over the rounded query, keys and values: within 2^-9 of the
 * largest |value| (the weights are rounded to bfloat16 too), for head sizes with and without
 * vector tails and position counts around the blocks of 64 and odd (the unused half of the last
 * value pair holds NaN bits and must not be read as a number). The three widening readers sum the
 * same exact products in the same order, so they agree bit for bit. */
TEST(sampler_bf16_attention_readers) {
    static const int hds[] = {2, 6, 8, 64, 72, 130}, ns[] = {1, 2, 17, 64, 65, 131};
    gm_isa keep = gm_isa_current();
    ut_rng r;
    ut_rng_seed(&r, 77);
    int nreaders = 0;
    for (int hi = 0; hi < 6; hi++)
        for (int ni = 0; ni < 6; ni++) {
            int hd = hds[hi], n = ns[ni], n1 = n / 3, n2 = n - n1;
            float scale = 1.0f / sqrtf((float)hd), *q = malloc(sizeof(float) * hd), *k = malloc(sizeof(float) * n * hd),
                  *v = malloc(sizeof(float) * n * hd);
            for (int i = 0; i < hd; i++) q[i] = 1.5f * (float)ut_rng_normal(&r);
            for (int i = 0; i < n * hd; i++) k[i] = (float)ut_rng_normal(&r), v[i] = (float)ut_rng_normal(&r);
            uint16_t *q16 = malloc(sizeof(uint16_t) * hd);
            gm_to_bf16(q, q16, (size_t)hd);
            size_t kc1 = (size_t)(n1 + 63) / 64 * 64 * hd, kc2 = (size_t)(n2 + 63) / 64 * 64 * hd;
            size_t vc1 = (size_t)(n1 + 1) / 2 * 2 * hd, vc2 = (size_t)(n2 + 1) / 2 * 2 * hd;
            uint16_t *k1 = malloc(2 * (kc1 + 1)), *k2 = malloc(2 * kc2), *v1 = malloc(2 * (vc1 + 1)), *v2 = malloc(2 * vc2);
            memset(k1, 0xff, 2 * kc1), memset(k2, 0xff, 2 * kc2), memset(v1, 0xff, 2 * vc1), memset(v2, 0xff, 2 * vc2);
            for (int t = 0; t < n; t++)
                if (t < n1) smp_put_bf16(k + (size_t)t * hd, v + (size_t)t * hd, t, hd, k1, v1);
                else smp_put_bf16(k + (size_t)t * hd, v + (size_t)t * hd, t - n1, hd, k2, v2);
            /* the reference */
            double *sc = malloc(sizeof(double) * n), mx = -INFINITY, den = 0.0, vmax = 0.0;
            double *ref = calloc((size_t)hd, sizeof(double));
            for (int t = 0; t < n; t++) {
                double d = 0.0;
                for (int i = 0; i < hd; i++) d += (double)gm_round_bf16(q[i]) * gm_round_bf16(k[(size_t)t * hd + i]);
                sc[t] = d * scale;
                mx = sc[t] > mx ? sc[t] : mx;
            }
            for (int t = 0; t < n; t++) {
                double p = exp(sc[t] - mx);
                den += p;
                for (int i = 0; i < hd; i++) {
                    double x = gm_round_bf16(v[(size_t)t * hd + i]);
                    ref[i] += p * x;
                    vmax = fabs(x) > vmax ? fabs(x) : vmax;
                }
            }
            float *out = malloc(sizeof(float) * hd), *wide = malloc(sizeof(float) * hd);
            int have_wide = 0;
            for (int rd = 0; rd < 4; rd++) {
                if (!use_reader(rd)) continue;
                nreaders += hi == 0 && ni == 0;
                float m = -INFINITY, dn = 0.0f;
                memset(out, 0, sizeof(float) * hd);
                if (n1) smp_attend_bf16(q16, k1, v1, n1, hd, scale, &m, &dn, out, NULL);
                smp_attend_bf16(q16, k2, v2, n2, hd, scale, &m, &dn, out, NULL);
                double err = 0.0;
                for (int i = 0; i < hd; i++) {
                    out[i] /= dn;
                    double e = fabs(out[i] - ref[i] / den);
                    err = e > err || isnan(e) ? e : err;
                }
                CHECK_MSG(err <= 0x1p-9 * vmax, "reader %d, hd %d, n %d: off by %.3g of the largest value", rd, hd, n,
                          err / vmax);
                if (rd < 3 && have_wide)
                    CHECK_MSG(!memcmp(out, wide, sizeof(float) * hd), "reader %d, hd %d, n %d differs from reader 0", rd, hd, n);
                if (rd < 3 && !have_wide) memcpy(wide, out, sizeof(float) * hd), have_wide = 1;
            }
            free(q), free(k), free(v), free(q16), free(k1), free(k2), free(v1), free(v2), free(sc), free(ref), free(out), free(wide);
        }
    CHECK(nreaders >= 1);
    gm_set_bf16(1);
    REQUIRE(gm_set_isa(keep) == 0);
}

/* greedy run of N tokens in a reduced precision (SMP_BF16, SMP_KV8); its logits at every step against the float32 full forward over
 * the same tokens: the largest difference relative to the step's logit range (returned), and the
 * number of steps whose greedy token is not the float32 argmax although the float32 top-2 margin
 * exceeds twice that step's largest difference (*clear_misses) */
static double reduced_vs_full(nn_model *m, int precision, const int *prompt, int P, int N, int *clear_misses,
                              double *smallest) {
    int V = m->cfg.vocab_size;
    smp_sampler *s = smp_new(m);
    float *lo = malloc((size_t)N * V * sizeof(float));
    smp_opts o = {.n = 1, .max_new = N, .temperature = 0.0f, .logits_out = lo, .precision = precision};
    smp_seq q;
    if (smp_generate(s, prompt, P, &o, &q)) {
        free(lo);
        smp_free(s);
        return INFINITY;
    }
    int *seq = malloc((size_t)(P + N) * sizeof(int));
    memcpy(seq, prompt, (size_t)P * sizeof(int));
    memcpy(seq + P, q.tokens, (size_t)q.ntokens * sizeof(int));
    double worst = 0.0;
    *clear_misses = 0;
    *smallest = INFINITY;
    for (int k = 0; k < q.ntokens; k++) {
        int T = P + k;
        if (nn_forward(m, seq, NULL, NULL, 0.0f, 1, T)) worst = INFINITY;
        const float *full = m->acts.logits + (size_t)(T - 1) * V, *z = lo + (size_t)k * V;
        float mx = full[0], mn = full[0];
        int a1 = 0, a2 = -1;
        double d = 0.0;
        for (int i = 0; i < V; i++) {
            mx = full[i] > mx ? full[i] : mx;
            mn = full[i] < mn ? full[i] : mn;
            d = fabs(z[i] - full[i]) > d ? fabs(z[i] - full[i]) : d;
            if (full[i] > full[a1]) a1 = i;
        }
        for (int i = 0; i < V; i++)
            if (i != a1 && (a2 < 0 || full[i] > full[a2])) a2 = i;
        double rel = d / (mx - mn);
        worst = rel > worst ? rel : worst;
        *smallest = rel < *smallest ? rel : *smallest;
        if (q.tokens[k] != a1 && full[a1] - full[a2] > 2 * d) ++*clear_misses;
    }
    free(seq);
    smp_seq_free(&q);
    free(lo);
    smp_free(s);
    return worst;
}

/* next-token logits of the 16-bit mode stay within 2e-2 of the logit range of the float32 model
 * (full forward over the same tokens), greedy tokens agree wherever float32's top-2 margin is
 * clear of that error, and the mode really changes the arithmetic; with every cache reader
 * (vdpbf16ps with bfloat16 products where the CPU has them; AVX-512 widening, AVX2 and portable:
 * float32 products) */
TEST(sampler_bf16_logits_near_float32) {
    gm_isa keep = gm_isa_current();
    int V = 61, P = 9, N = 40, prompt[9];
    random_prompt(prompt, P, V, 21);
    nn_model *m = wide_model(V, 31);
    REQUIRE(m);
    for (int rd = 3; rd >= 0; rd--) {
        if (!use_reader(rd)) continue;
        int misses;
        double smallest, e = reduced_vs_full(m, SMP_BF16, prompt, P, N, &misses, &smallest);
        CHECK_MSG(e < 2e-2, "reader %d: logits differ by %.3g of their range", rd, e);
        CHECK_MSG(misses == 0, "reader %d: %d greedy tokens differ from a clear float32 argmax", rd, misses);
        CHECK_MSG(smallest > 1e-6, "reader %d: the 16-bit mode left a step's logits at float32 accuracy (%.3g)", rd, smallest);
    }
    gm_set_bf16(1);
    REQUIRE(gm_set_isa(keep) == 0);
    /* the small model with head_dim 8 (tails of the vector loops) */
    nn_model *m2 = small_model(V, 2, 4, 2, 0, 8);
    REQUIRE(m2);
    int misses;
    double smallest, e = reduced_vs_full(m2, SMP_BF16, prompt, P, 24, &misses, &smallest);
    CHECK_MSG(e < 2e-2 && misses == 0, "head_dim 8: logits differ by %.3g, %d clear misses", e, misses);
    nn_free(m2);
    nn_free(m);
}

/* o->n samples into a (one thread), with the same tokens (log-probabilities within 1e-4) on two
 * threads, and sample 4 equal to a call that draws it alone; then a's kv_bits and products are
 * those asked for */
static void check_threads_and_group(smp_sampler *s, nn_model *m, const int *prompt, int P, const smp_opts *o, smp_seq *a,
                                    int kv_bits) {
    smp_seq b[8], one;
    REQUIRE(o->n <= 8 && o->n > 4);
    REQUIRE(smp_generate(s, prompt, P, o, a) == 0);
    CHECK(smp_last_stats(s)->kv_bits == kv_bits);
    CHECK(smp_last_stats(s)->bf16_products == gm_has_bf16());
    nn_set_threads(m, 2);
    REQUIRE(smp_generate(s, prompt, P, o, b) == 0);
    nn_set_threads(m, 1);
    smp_opts o1 = *o;
    o1.n = 1;
    o1.seed = o->seed + 4 * 0x9E3779B97F4A7C15ull;
    REQUIRE(smp_generate(s, prompt, P, &o1, &one) == 0);
    CHECK(one.ntokens == a[4].ntokens && !memcmp(one.tokens, a[4].tokens, (size_t)one.ntokens * sizeof(int)));
    for (int k = 0; k < one.ntokens && k < a[4].ntokens; k++) CHECK_NEAR(one.logprobs[k], a[4].logprobs[k], 1e-4);
    smp_seq_free(&one);
    for (int g = 0; g < o->n; g++) {
        CHECK_MSG(a[g].ntokens == b[g].ntokens && !memcmp(a[g].tokens, b[g].tokens, (size_t)a[g].ntokens * sizeof(int)),
                  "sample %d differs between 1 and 2 threads", g);
        for (int k = 0; k < a[g].ntokens && k < b[g].ntokens; k++) CHECK_NEAR(a[g].logprobs[k], b[g].logprobs[k], 1e-4);
        smp_seq_free(&b[g]);
    }
}

/* sampling (not greedy) in SMP_BF16: the same tokens and log-probabilities (within 1e-4) on one
 * and two threads and in a group and alone; the AVX-512 widening, AVX2 and portable cache readers
 * give the same samples bit for bit; the statistics say what ran; a bad precision is refused */
TEST(sampler_bf16_threads_isas_and_fallback) {
    gm_isa keep = gm_isa_current();
    int V = 61, P = 70, N = 20, G = 6, prompt[70]; /* P > 64: the prompt cache has two key blocks */
    random_prompt(prompt, P, V, 3);
    nn_model *m = wide_model(V, 5);
    REQUIRE(m);
    smp_sampler *s = smp_new(m);
    smp_opts o = {.n = G, .max_new = N, .temperature = 1.0f, .top_p = 0.95f, .seed = 17, .precision = SMP_BF16};
    smp_seq a[6], b[6];
    check_threads_and_group(s, m, prompt, P, &o, a, 16);
    /* float32 products with the widening readers (AVX-512 without vdpbf16ps, AVX2, portable):
     * exact products summed in the same order, so the same samples and the same bits */
    smp_seq c[6];
    int first = 1;
    for (int rd = 2; rd >= 0; rd--) {
        if (!use_reader(rd)) continue;
        REQUIRE(smp_generate(s, prompt, P, &o, first ? b : c) == 0);
        CHECK(smp_last_stats(s)->kv_bits == 16 && smp_last_stats(s)->bf16_products == 0); /* the fallback */
        if (first) {
            first = 0;
            continue;
        }
        for (int g = 0; g < G; g++) {
            CHECK_MSG(b[g].ntokens == c[g].ntokens && !memcmp(b[g].tokens, c[g].tokens, (size_t)b[g].ntokens * sizeof(int)) &&
                          !memcmp(b[g].logprobs, c[g].logprobs, (size_t)b[g].ntokens * sizeof(float)),
                      "sample %d differs between reader %d and the first widening one", g, rd);
            smp_seq_free(&c[g]);
        }
    }
    for (int g = 0; g < G && !first; g++) smp_seq_free(&b[g]);
    gm_set_bf16(1);
    REQUIRE(gm_set_isa(keep) == 0);
    for (int g = 0; g < G; g++) smp_seq_free(&a[g]);
    /* the default stays float32 */
    o.precision = SMP_F32;
    REQUIRE(smp_generate(s, prompt, P, &o, a) == 0);
    CHECK(smp_last_stats(s)->kv_bits == 32 && smp_last_stats(s)->bf16_products == 0);
    for (int g = 0; g < G; g++) smp_seq_free(&a[g]);
    o.precision = 7;
    CHECK(smp_generate(s, prompt, P, &o, a) == -1 && strstr(ut_error(), "precision"));
    smp_free(s);
    nn_free(m);
}

/* ---- SMP_KV8: 8-bit KV cache (int8 with a scale per position and head), bfloat16 products ---- */

/* the 8-bit cache readers: 0 portable, 1 AVX2, 2 AVX-512 (vpdpwssd); selects reader k through
 * gm_set_isa and returns 1, or 0 where this CPU lacks it */
static int use_kv8_reader(int k) {
    gm_isa top = gm_isa_detected();
    gm_set_bf16(1);
    if ((k == 1 && top < GM_AVX2) || (k == 2 && top < GM_AVX512)) return 0;
    if (gm_set_isa((gm_isa)k) != 0) return 0;
    return smp_kv8_reader() == k;
}

/* element i of position t's key (which 0) or value (1) as the cache holds it: scale * int8 */
static double kv8_at(const uint8_t *blocks, int hd, int t, int i, int which) {
    const uint8_t *b = blocks + (size_t)(t / 64) * smp_kv8_block_bytes(hd);
    int u = t % 64;
    float sc[2];
    memcpy(sc, b + (size_t)64 * hd + 4 * (size_t)u, 4);
    memcpy(sc + 1, b + (size_t)64 * hd + 256 + 4 * (size_t)u, 4);
    int8_t x = which ? (int8_t)b[(size_t)64 * hd + 512 + (size_t)(u / 2) * 2 * hd + 2 * (size_t)i + (u & 1)]
                     : (int8_t)b[(size_t)(i / 2) * 128 + 2 * (size_t)u + (i & 1)];
    return (double)sc[which] * x;
}

/* float64 attention of q (hd) over n positions whose keys and values come from get(t, i, which) */
static void attention_ref(const double *q, int hd, int n, double (*get)(const void *, int, int, int), const void *ctx,
                          double *out) {
    double *sc = malloc(sizeof(double) * (size_t)n), mx = -INFINITY, den = 0.0;
    for (int t = 0; t < n; t++) {
        double d = 0.0;
        for (int i = 0; i < hd; i++) d += q[i] * get(ctx, t, i, 0);
        sc[t] = d / sqrt((double)hd);
        mx = sc[t] > mx ? sc[t] : mx;
    }
    for (int i = 0; i < hd; i++) out[i] = 0.0;
    for (int t = 0; t < n; t++) {
        double p = exp(sc[t] - mx);
        den += p;
        for (int i = 0; i < hd; i++) out[i] += p * get(ctx, t, i, 1);
    }
    for (int i = 0; i < hd; i++) out[i] /= den;
    free(sc);
}

typedef struct {
    const uint8_t *b1, *b2; /* the prompt part (n1 positions) and the own part */
    const float *k, *v;     /* the float32 keys and values (n, hd) */
    int hd, n1;
} kv8_src;

static double kv8_get_cache(const void *c, int t, int i, int which) {
    const kv8_src *s = c;
    return t < s->n1 ? kv8_at(s->b1, s->hd, t, i, which) : kv8_at(s->b2, s->hd, t - s->n1, i, which);
}

static double kv8_get_float(const void *c, int t, int i, int which) {
    const kv8_src *s = c;
    return (which ? s->v : s->k)[(size_t)t * s->hd + i];
}

/* One head's attention through the 8-bit cache (smp_put_kv8, then smp_attend_kv8 over a prompt
 * part of n/3 positions and an own part of the rest, as the sampler calls it) on every reader:
 * against float64 attention over the int16 query and the cached int8 keys and values times their
 * scales, within 1e-4 of the largest |value| (what is left is the weights' int16 rounding, 2^-16 of
 * a block's largest, and float32 sums); against float64 attention over the float32 inputs within
 * 2e-2 of it (the int8 rounding: 1/254 of each vector's largest |element|); and the readers agree
 * bit for bit (integer sums; the same float32 steps). Head sizes with and without vector tails,
 * position counts around the blocks of 64 and odd; the cache starts as garbage bytes. */
TEST(sampler_kv8_attention_readers) {
    static const int hds[] = {2, 6, 8, 64, 72, 130}, ns[] = {1, 2, 17, 64, 65, 131, 300};
    gm_isa keep = gm_isa_current();
    ut_rng r;
    ut_rng_seed(&r, 78);
    int nreaders = 0;
    double worst_q = 0.0, worst_f = 0.0;
    for (int hi = 0; hi < 6; hi++)
        for (int ni = 0; ni < 7; ni++) {
            int hd = hds[hi], n = ns[ni], n1 = n / 3, n2 = n - n1;
            float scale = 1.0f / sqrtf((float)hd), *q = malloc(sizeof(float) * hd), *k = malloc(sizeof(float) * n * hd),
                  *v = malloc(sizeof(float) * n * hd);
            for (int i = 0; i < hd; i++) q[i] = 1.5f * (float)ut_rng_normal(&r);
            for (int i = 0; i < n * hd; i++) k[i] = (float)ut_rng_normal(&r), v[i] = (float)ut_rng_normal(&r);
            int16_t *qq = malloc(sizeof(int16_t) * hd);
            float qs = smp_q16_kv8(q, hd, qq);
            size_t bb = smp_kv8_block_bytes(hd), c1 = (size_t)(n1 + 63) / 64 * bb, c2 = (size_t)(n2 + 63) / 64 * bb;
            uint8_t *b1 = malloc(c1 + 1), *b2 = malloc(c2);
            memset(b1, 0xa7, c1), memset(b2, 0x81, c2);
            for (int t = 0; t < n; t++)
                if (t < n1) smp_put_kv8(k + (size_t)t * hd, v + (size_t)t * hd, t, hd, b1);
                else smp_put_kv8(k + (size_t)t * hd, v + (size_t)t * hd, t - n1, hd, b2);
            kv8_src src = {b1, b2, k, v, hd, n1};
            double *qd = malloc(sizeof(double) * hd), *qf = malloc(sizeof(double) * hd), *rq = malloc(sizeof(double) * hd),
                   *rf = malloc(sizeof(double) * hd), vmax = 0.0;
            for (int i = 0; i < hd; i++) qd[i] = (double)qs * qq[i], qf[i] = q[i];
            for (int i = 0; i < n * hd; i++) vmax = fabs(v[i]) > vmax ? fabs(v[i]) : vmax;
            attention_ref(qd, hd, n, kv8_get_cache, &src, rq);
            attention_ref(qf, hd, n, kv8_get_float, &src, rf);
            float *out = malloc(sizeof(float) * hd), *first = malloc(sizeof(float) * hd), fm = 0.0f, fd = 0.0f;
            int have = 0;
            for (int rd = 0; rd < 3; rd++) {
                if (!use_kv8_reader(rd)) continue;
                nreaders += hi == 0 && ni == 0;
                float m = -INFINITY, dn = 0.0f;
                memset(out, 0, sizeof(float) * hd);
                if (n1) smp_attend_kv8(qq, qs, b1, n1, hd, scale, &m, &dn, out, NULL);
                smp_attend_kv8(qq, qs, b2, n2, hd, scale, &m, &dn, out, NULL);
                if (have)
                    CHECK_MSG(!memcmp(out, first, sizeof(float) * hd) && m == fm && dn == fd,
                              "reader %d, hd %d, n %d differs from the first reader", rd, hd, n);
                else memcpy(first, out, sizeof(float) * hd), fm = m, fd = dn, have = 1;
                double eq = 0.0, ef = 0.0;
                for (int i = 0; i < hd; i++) {
                    double o = out[i] / dn, a = fabs(o - rq[i]), b = fabs(o - rf[i]);
                    eq = a > eq || isnan(a) ? a : eq;
                    ef = b > ef || isnan(b) ? b : ef;
                }
                CHECK_MSG(eq <= 1e-4 * vmax, "reader %d, hd %d, n %d: off by %.3g of the largest value (cached inputs)", rd, hd,
                          n, eq / vmax);
                CHECK_MSG(ef <= 2e-2 * vmax, "reader %d, hd %d, n %d: off by %.3g of the largest value (float inputs)", rd, hd,
                          n, ef / vmax);
                worst_q = fmax(worst_q, eq / vmax), worst_f = fmax(worst_f, ef / vmax);
            }
            free(q), free(k), free(v), free(qq), free(b1), free(b2), free(qd), free(qf), free(rq), free(rf), free(out),
                free(first);
        }
    CHECK(nreaders >= 1);
    CHECK(worst_f > 1e-4 && worst_q < worst_f); /* the 8-bit cache really rounds, and the rest is far smaller */
    REQUIRE(gm_set_isa(keep) == 0);
}

/* next-token logits of SMP_KV8 against the float32 model (full forward over the same tokens): on
 * the head_dim 64 model within 3e-2 of the step's logit range (measured 1.7e-2 with bfloat16
 * products, 1.95e-2 with float32 ones; SMP_BF16 1.3e-2 and 6.1e-3), on the head_dim 8 model within
 * 8e-2 (measured 5.3e-2; SMP_BF16 1.9e-2). An int8 element carries up to 1/254 of its vector's
 * largest |element| of error against bfloat16's 2^-9 of itself, about 3-5 times more on Gaussian
 * vectors, and these test models' large weights amplify it from layer to layer (a trained model
 * with head_dim 32 stays within 0.8%, docs/engine.md). Greedy tokens agree wherever float32's top-2
 * margin is clear of the step's error, and the mode really changes the arithmetic; on every
 * reader (vpdpwssd with bfloat16 products where the CPU has them; AVX2 and portable: float32
 * products) */
TEST(sampler_kv8_logits_near_float32) {
    gm_isa keep = gm_isa_current();
    int V = 61, P = 9, N = 40, prompt[9];
    random_prompt(prompt, P, V, 21);
    nn_model *m = wide_model(V, 31);
    REQUIRE(m);
    int nrd = 0;
    for (int rd = 2; rd >= 0; rd--) {
        if (!use_kv8_reader(rd)) continue;
        nrd++;
        int misses;
        double smallest, e = reduced_vs_full(m, SMP_KV8, prompt, P, N, &misses, &smallest);
        CHECK_MSG(e < 3e-2, "reader %d: logits differ by %.3g of their range", rd, e);
        CHECK_MSG(misses == 0, "reader %d: %d greedy tokens differ from a clear float32 argmax", rd, misses);
        CHECK_MSG(smallest > 1e-6, "reader %d: the 8-bit mode left a step's logits at float32 accuracy (%.3g)", rd, smallest);
    }
    CHECK(nrd >= 1);
    REQUIRE(gm_set_isa(keep) == 0);
    /* the small model with head_dim 8 (tails of the vector loops) */
    nn_model *m2 = small_model(V, 2, 4, 2, 0, 8);
    REQUIRE(m2);
    int misses;
    double smallest, e = reduced_vs_full(m2, SMP_KV8, prompt, P, 24, &misses, &smallest);
    CHECK_MSG(e < 8e-2 && misses == 0, "head_dim 8: logits differ by %.3g, %d clear misses", e, misses);
    nn_free(m2);
    nn_free(m);
}

/* sampling (not greedy) in SMP_KV8: the same tokens and log-probabilities (within 1e-4) on one and
 * two threads and in a group and alone; with float32 products (gm_set_bf16(0)) the three cache
 * readers give the same samples bit for bit; the statistics say what ran */
TEST(sampler_kv8_threads_and_readers) {
    gm_isa keep = gm_isa_current();
    int V = 61, P = 70, N = 20, G = 6, prompt[70]; /* P > 64: the prompt cache has two blocks */
    random_prompt(prompt, P, V, 3);
    nn_model *m = wide_model(V, 5);
    REQUIRE(m);
    smp_sampler *s = smp_new(m);
    smp_opts o = {.n = G, .max_new = N, .temperature = 1.0f, .top_p = 0.95f, .seed = 17, .precision = SMP_KV8};
    smp_seq a[6], b[6];
    check_threads_and_group(s, m, prompt, P, &o, a, 8);
    /* float32 products on every reader: the same bits */
    smp_seq c[6];
    int first = 1;
    for (int rd = 2; rd >= 0; rd--) {
        if (!use_kv8_reader(rd)) continue;
        gm_set_bf16(0);
        REQUIRE(smp_generate(s, prompt, P, &o, first ? b : c) == 0);
        CHECK(smp_last_stats(s)->kv_bits == 8 && smp_last_stats(s)->bf16_products == 0);
        if (first) {
            first = 0;
            continue;
        }
        for (int g = 0; g < G; g++) {
            CHECK_MSG(b[g].ntokens == c[g].ntokens && !memcmp(b[g].tokens, c[g].tokens, (size_t)b[g].ntokens * sizeof(int)) &&
                          !memcmp(b[g].logprobs, c[g].logprobs, (size_t)b[g].ntokens * sizeof(float)),
                      "sample %d differs between reader %d and the first one", g, rd);
            smp_seq_free(&c[g]);
        }
    }
    for (int g = 0; g < G && !first; g++) smp_seq_free(&b[g]);
    gm_set_bf16(1);
    REQUIRE(gm_set_isa(keep) == 0);
    for (int g = 0; g < G; g++) smp_seq_free(&a[g]);
    smp_free(s);
    nn_free(m);
}

/* SMP_KV8 with a prompt of 300 tokens prefilled by two threads (rows of one block of 64 positions
 * on both): every repetition gives the same first-token logits bit for bit, within 3e-2 of the
 * range of the float32 full forward's; and on the AVX2 reader as well */
TEST(sampler_kv8_long_prompt_on_two_threads) {
    nn_config c = {.vocab_size = 61, .hidden_size = 128, .intermediate_size = 96, .num_hidden_layers = 2,
                   .num_attention_heads = 2, .num_key_value_heads = 2, .max_position_embeddings = 320,
                   .tie_word_embeddings = 0, .rope_theta = 10000.0f, .rms_norm_eps = 1e-6f};
    nn_model *m = nn_new(&c);
    REQUIRE(m);
    nn_set_threads(m, 1);
    nn_init_random(m, 17, 0.125f);
    enum { P = 300, V = 61 };
    int *prompt = malloc(P * sizeof(int));
    random_prompt(prompt, P, V, 9);
    REQUIRE(nn_forward(m, prompt, NULL, NULL, 0.0f, 1, P) == 0);
    float full[V], lo[2 * V], lo0[V];
    memcpy(full, m->acts.logits + (size_t)(P - 1) * V, sizeof full);
    float mx = full[0], mn = full[0];
    for (int i = 0; i < V; i++) mx = fmaxf(mx, full[i]), mn = fminf(mn, full[i]);
    nn_set_threads(m, 2);
    smp_sampler *s = smp_new(m);
    gm_isa keep = gm_isa_current();
    for (int rd = 2; rd >= 1; rd--) {
        if (!use_kv8_reader(rd)) continue;
        double worst = 0;
        for (int rep = 0; rep < 10; rep++) {
            smp_opts o = {.n = 2, .max_new = 1, .temperature = 0.0f, .logits_out = lo, .precision = SMP_KV8};
            smp_seq q[2];
            REQUIRE_MSG(smp_generate(s, prompt, P, &o, q) == 0, "%s", ut_error());
            for (int i = 0; i < V; i++) worst = fmax(worst, fabs(lo[i] - full[i]));
            if (rep == 0) memcpy(lo0, lo, sizeof lo0);
            else CHECK_MSG(!memcmp(lo0, lo, sizeof lo0), "reader %d: repetition %d differs from the first", rd, rep);
            smp_seq_free(&q[0]), smp_seq_free(&q[1]);
        }
        CHECK_MSG(worst < 3e-2 * (mx - mn), "reader %d: prefill logits differ from the full forward by %.3g of their range", rd,
                  worst / (mx - mn));
        CHECK(worst > 0.0);
    }
    REQUIRE(gm_set_isa(keep) == 0);
    smp_free(s);
    nn_free(m);
    free(prompt);
}

/* SMP_KV8 with several prompts of different lengths x n samples in one batch on two threads: row
 * p*n+k equals sample k of that prompt sampled alone with the matching seed (same tokens, logits
 * within 1e-4), as in float32 */
TEST(sampler_kv8_mixed_prompts_match_single_prompts) {
    enum { NP = 4, n = 3, N = 20, V = 53 };
    int plen[NP] = {5, 70, 1, 23}, eos[] = {7};
    nn_model *m = wide_model(V, 21);
    REQUIRE(m);
    smp_sampler *s = smp_new(m);
    int *prompts[NP];
    for (int p = 0; p < NP; p++) {
        prompts[p] = malloc((size_t)plen[p] * sizeof(int));
        random_prompt(prompts[p], plen[p], V, 40 + (uint64_t)p);
    }
    float *lo = malloc((size_t)NP * n * N * V * sizeof(float));
    smp_opts o = {.n = n, .max_new = N, .temperature = 1.1f, .top_p = 0.97f, .seed = 99, .eos_ids = eos, .neos = 1,
                  .logits_out = lo, .precision = SMP_KV8};
    smp_seq mix[NP * n];
    check_mixed_matches_single(s, m, prompts, plen, NP, &o, mix, V);
    CHECK(smp_last_stats(s)->kv_bits == 8);
    for (int i = 0; i < NP * n; i++) smp_seq_free(&mix[i]);
    for (int p = 0; p < NP; p++) free(prompts[p]);
    free(lo);
    smp_free(s);
    nn_free(m);
}
