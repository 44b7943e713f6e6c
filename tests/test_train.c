/* test_train.c - training loop: a toy corpus is learned, resume continues the same loss curve,
 * data loading, metrics/plot/checkpoint files, the `recad train` command. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <stb_image.h>

#include "ml/nn.h"
#include "tf.h"
#include "ml/tokenizer.h"
#include "train/train.h"
#include "base/util.h"

/* toy corpus: "add a b =" -> " a+b", byte-level (end-of-text 256) */
static const char *toy_jsonl(void) {
    static char path[512];
    snprintf(path, sizeof path, "%s/toy.jsonl", tf_tmpdir());
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    ut_rng r;
    ut_rng_seed(&r, 1);
    for (int i = 0; i < 16; i++) {
        int a = (int)(ut_rng_u64(&r) % 10), b = (int)(ut_rng_u64(&r) % 10);
        fprintf(f, "{\"prompt\": \"add %d %d =\", \"answer\": \" %d\"}\n", a, b, a + b);
    }
    fclose(f);
    return path;
}

/* samples of 60-75 bytes: longer than a 32-position model's context */
static const char *long_jsonl(void) {
    static char path[512];
    snprintf(path, sizeof path, "%s/long.jsonl", tf_tmpdir());
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    for (int i = 0; i < 8; i++)
        fprintf(f, "{\"prompt\": \"count to %d in words, slowly:\", \"answer\": \" one two three four five six seven %d\"}\n",
                i + 10, i);
    fclose(f);
    return path;
}

static nn_model *toy_model(uint64_t seed) {
    nn_config c = {0};
    c.vocab_size = 260;
    c.hidden_size = 64;
    c.intermediate_size = 128;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.max_position_embeddings = 64;
    c.tie_word_embeddings = 1;
    c.rope_theta = 10000;
    c.rms_norm_eps = 1e-6f;
    nn_model *m = nn_new(&c);
    REQUIRE(m);
    nn_set_threads(m, 2);
    nn_init_random(m, seed, 0.02f);
    return m;
}

static tr_options toy_options(const char *out, long steps) {
    tr_options o = tr_defaults();
    o.out_dir = out;
    o.steps = steps;
    o.batch = 8;
    o.seq = 32;
    o.lr = 3e-3f;
    o.lr_min = 3e-5f;
    o.warmup = 10;
    o.ckpt_every = 10;
    o.log_every = 5;
    o.quiet = 1;
    return o;
}

/* greedy decoding with the full forward (no cache): the answer the model gives to a prompt */
static void greedy(nn_model *m, const int *prompt, int np, int *out, int maxn, int *nout) {
    int seq[64];
    memcpy(seq, prompt, sizeof(int) * (size_t)np);
    int n = np;
    *nout = 0;
    while (*nout < maxn && n < 64) {
        REQUIRE(nn_forward(m, seq, NULL, NULL, 0, 1, n) == 0);
        const float *row = m->acts.logits + (size_t)(n - 1) * m->cfg.vocab_size;
        int best = 0;
        for (int v = 1; v < m->cfg.vocab_size; v++)
            if (row[v] > row[best]) best = v;
        out[(*nout)++] = best;
        seq[n++] = best;
        if (best == 256) break;
    }
}

TEST(train_toy_corpus_reaches_floor_and_reproduces_answers) {
    tr_data d;
    tr_data_init(&d);
    REQUIRE(tr_data_load_jsonl(&d, toy_jsonl(), NULL) == 0);
    REQUIRE(d.n == 16);
    nn_model *m = toy_model(3);
    char out[512];
    snprintf(out, sizeof out, "%s/run", tf_tmpdir());
    tr_options o = toy_options(out, 200);
    o.ckpt_every = 100;
    tr_result res;
    REQUIRE_MSG(tr_train(m, &d, &o, &res) == 0, "%s", ut_error());
    CHECK(res.steps_done == 200);
    CHECK(res.first_loss > 4.0f); /* ~ln(260) at the start */
    double tail = 0;
    for (int s = 190; s < 200; s++) tail += res.losses[s] / 10;
    /* the answers are a function of the prompts, so the floor is 0 */
    CHECK_MSG(tail < 0.1, "mean loss of the last 10 steps %.4f", tail);
    /* the trained model writes every answer of the corpus */
    int ok = 0;
    for (int i = 0; i < d.n; i++) {
        const int *x = d.tok + d.off[i];
        int len = (int)(d.off[i + 1] - d.off[i]), np = 0;
        while (!d.train[d.off[i] + np]) np++;
        int gen[16], ng = 0;
        greedy(m, x, np, gen, 16, &ng);
        ok += ng == len - np && !memcmp(gen, x + np, sizeof(int) * (size_t)ng);
    }
    CHECK_MSG(ok == d.n, "%d of %d answers reproduced", ok, d.n);
    /* outputs */
    char path[700];
    snprintf(path, sizeof path, "%s/final/model.safetensors", out);
    CHECK(access(path, R_OK) == 0);
    snprintf(path, sizeof path, "%s/loss.png", out);
    int w = 0, h = 0, ch = 0;
    unsigned char *img = stbi_load(path, &w, &h, &ch, 3);
    REQUIRE(img);
    CHECK(w == 800 && h == 500);
    long blue = 0;
    for (long i = 0; i < (long)w * h; i++) blue += img[3 * i] < 100 && img[3 * i + 2] > 150;
    CHECK(blue > 500); /* the curve is drawn */
    stbi_image_free(img);
    free(res.losses);
    nn_free(m);
    tr_data_free(&d);
}

static int count_lines(const char *path) {
    char *s = ut_read_file(path, NULL);
    if (!s) return -1;
    int n = 0;
    for (char *p = s; *p; p++) n += *p == '\n';
    free(s);
    return n;
}

TEST(train_resume_continues_the_same_loss_curve) {
    tr_data d;
    tr_data_init(&d);
    REQUIRE(tr_data_load_jsonl(&d, toy_jsonl(), NULL) == 0);
    char a[512], b[512], path[700];
    snprintf(a, sizeof a, "%s/a", tf_tmpdir());
    snprintf(b, sizeof b, "%s/b", tf_tmpdir());
    /* uninterrupted */
    nn_model *m = toy_model(5);
    tr_options o = toy_options(a, 40);
    tr_result ra;
    REQUIRE(tr_train(m, &d, &o, &ra) == 0);
    nn_free(m);
    /* interrupted after step 25, then resumed by a fresh process state */
    m = toy_model(5);
    o = toy_options(b, 40);
    o.stop_after = 25;
    tr_result rb;
    REQUIRE(tr_train(m, &d, &o, &rb) == 0);
    CHECK(rb.steps_done == 25);
    free(rb.losses);
    nn_free(m);
    m = toy_model(99); /* different init: the checkpoint must replace it */
    o = toy_options(b, 40);
    o.resume = 1;
    REQUIRE_MSG(tr_train(m, &d, &o, &rb) == 0, "%s", ut_error());
    CHECK(rb.start_step == 25 && rb.steps_done == 40);
    int same = 0;
    for (int s = 0; s < 40; s++) same += ra.losses[s] == rb.losses[s];
    CHECK_MSG(same == 40, "%d of 40 losses identical (step 26: %.9g vs %.9g)", same, ra.losses[25], rb.losses[25]);
    snprintf(path, sizeof path, "%s/metrics.csv", b);
    CHECK(count_lines(path) == 41);
    /* the two newest checkpoints are kept, latest names the last */
    snprintf(path, sizeof path, "%s/latest", b);
    char *latest = ut_read_file(path, NULL);
    REQUIRE(latest);
    CHECK(!strcmp(latest, "step-00000040"));
    free(latest);
    snprintf(path, sizeof path, "%s/step-00000030/optimizer.safetensors", b);
    CHECK(access(path, R_OK) == 0);
    snprintf(path, sizeof path, "%s/step-00000020", b);
    CHECK(access(path, F_OK) != 0);
    free(ra.losses);
    free(rb.losses);
    nn_free(m);
    tr_data_free(&d);
}

TEST(train_data_masks_and_errors) {
    const char *dir = tf_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/d.jsonl", dir);
    REQUIRE(ut_write_atomic(path, "{\"prompt\":\"ab\",\"answer\":\"c\"}\n\n", 31) == 0);
    tr_data d;
    tr_data_init(&d);
    REQUIRE(tr_data_load_jsonl(&d, path, NULL) == 0);
    REQUIRE(d.n == 1 && d.off[1] == 4);
    CHECK(d.tok[0] == 'a' && d.tok[1] == 'b' && d.tok[2] == 'c' && d.tok[3] == 256);
    CHECK(!d.train[0] && !d.train[1] && d.train[2] && d.train[3]);
    tr_data_free(&d);
    const char *bad = "{\"prompt\":\"a\",\"answer\":\"b\"}\n{\"prompt\":\"a\"}\n";
    REQUIRE(ut_write_atomic(path, bad, strlen(bad)) == 0);
    tr_data_init(&d);
    CHECK(tr_data_load_jsonl(&d, path, NULL) == -1 && strstr(ut_error(), "d.jsonl:2") && strstr(ut_error(), "answer"));
    tr_data_free(&d);
    REQUIRE(ut_write_atomic(path, "{oops\n", 6) == 0);
    tr_data_init(&d);
    CHECK(tr_data_load_jsonl(&d, path, NULL) == -1 && strstr(ut_error(), "d.jsonl:1: not valid JSON"));
    /* tokens outside the vocabulary are refused before training */
    int toks[3] = {1, 300, 2};
    unsigned char fl[3] = {0, 1, 1};
    tr_data_add(&d, toks, fl, 3);
    nn_model *m = toy_model(1);
    tr_options o = toy_options(dir, 5);
    tr_result r;
    CHECK(tr_train(m, &d, &o, &r) == -1 && strstr(ut_error(), "token id 300"));
    nn_free(m);
    tr_data_free(&d);
}

/* writes dir/cfg.json, a byte-level model of one layer, width 32 and 32 positions; its path in cfg */
static void tiny_config(const char *dir, char *cfg, size_t n) {
    snprintf(cfg, n, "%s/cfg.json", dir);
    const char *c = "{\"vocab_size\":260,\"hidden_size\":32,\"intermediate_size\":64,\"num_hidden_layers\":1,"
                    "\"num_attention_heads\":2,\"max_position_embeddings\":32,\"tie_word_embeddings\":true}";
    REQUIRE(ut_write_atomic(cfg, c, strlen(c)) == 0);
}

TEST(train_cli) {
    const char *dir = tf_tmpdir();
    const char *data = toy_jsonl();
    char cfg[512], cmd[2048], *out = NULL;
    tiny_config(dir, cfg, sizeof cfg);
    snprintf(cmd, sizeof cmd,
             "build/recad train --config %s --data %s --out %s/o --steps 12 --batch 4 --seq 24 --threads 1 --quiet --json", cfg,
             data, dir);
    int rc = tf_run_cmd(cmd, &out);
    REQUIRE_MSG(rc == 0, "%s", out);
    cJSON *j = cJSON_Parse(strchr(out, '{'));
    REQUIRE(j);
    CHECK(cJSON_GetObjectItem(j, "steps")->valuedouble == 12);
    CHECK(cJSON_GetObjectItem(j, "samples")->valuedouble == 16);
    CHECK(cJSON_GetObjectItem(j, "last_loss")->valuedouble < cJSON_GetObjectItem(j, "first_loss")->valuedouble);
    double first_loss = cJSON_GetObjectItem(j, "first_loss")->valuedouble, last_loss = cJSON_GetObjectItem(j, "last_loss")->valuedouble;
    cJSON_Delete(j);
    free(out);
    /* --recompute trades time for memory and gives the same losses */
    snprintf(cmd, sizeof cmd,
             "build/recad train --config %s --data %s --out %s/r --steps 12 --batch 4 --seq 24 --threads 1 --quiet --json "
             "--recompute",
             cfg, data, dir);
    rc = tf_run_cmd(cmd, &out);
    REQUIRE_MSG(rc == 0, "%s", out);
    j = cJSON_Parse(strchr(out, '{'));
    REQUIRE(j);
    CHECK(cJSON_GetObjectItem(j, "first_loss")->valuedouble == first_loss);
    CHECK(cJSON_GetObjectItem(j, "last_loss")->valuedouble == last_loss);
    cJSON_Delete(j);
    free(out);
    /* resume with more steps continues from step 12 */
    snprintf(cmd, sizeof cmd,
             "build/recad train --config %s --data %s --out %s/o --steps 16 --batch 4 --seq 24 --threads 1 --quiet --json "
             "--resume",
             cfg, data, dir);
    REQUIRE(tf_run_cmd(cmd, &out) == 0);
    j = cJSON_Parse(strchr(out, '{'));
    REQUIRE(j);
    CHECK(cJSON_GetObjectItem(j, "start_step")->valuedouble == 12);
    cJSON_Delete(j);
    free(out);
    /* exit codes */
    CHECK(tf_run_cmd("build/recad train --help", &out) == 0 && strstr(out, "usage: recad train"));
    free(out);
    snprintf(cmd, sizeof cmd, "build/recad train --config %s --data %s/none.jsonl --out %s/x", cfg, dir, dir);
    CHECK(tf_run_cmd(cmd, &out) == 3 && strstr(out, "none.jsonl"));
    free(out);
    snprintf(cmd, sizeof cmd, "build/recad train --config %s --data %s --out %s/x --batch 0", cfg, data, dir);
    CHECK(tf_run_cmd(cmd, &out) == 2 && strstr(out, "--batch"));
    free(out);
    snprintf(cmd, sizeof cmd, "build/recad train --config %s --out %s/x", cfg, dir);
    CHECK(tf_run_cmd(cmd, &out) == 2);
    free(out);
    snprintf(cmd, sizeof cmd, "build/recad train --config %s --data %s --out %s/x", data, data, dir);
    CHECK(tf_run_cmd(cmd, &out) == 1 && strstr(out, "recad train:"));
    free(out);
}

/* --context gives an --init model a longer context: training at sequences beyond the old one is
 * refused without it and works with it, and the saved config says the new length */
TEST(train_cli_context_extends_an_init_model) {
    const char *dir = tf_tmpdir();
    const char *data = long_jsonl();
    char cfg[512], cmd[2048], *out = NULL;
    tiny_config(dir, cfg, sizeof cfg);
    snprintf(cmd, sizeof cmd, "build/recad train --config %s --data %s --out %s/a --steps 4 --batch 4 --seq 32 --threads 1 --quiet",
             cfg, data, dir);
    REQUIRE(tf_run_cmd(cmd, &out) == 0);
    free(out);
    snprintf(cmd, sizeof cmd, "build/recad train --init %s/a/final --data %s --out %s/b --steps 4 --batch 4 --seq 80 --threads 1 --quiet",
             dir, data, dir);
    CHECK(tf_run_cmd(cmd, &out) == 1 && strstr(out, "max_position_embeddings 32"));
    free(out);
    snprintf(cmd, sizeof cmd,
             "build/recad train --init %s/a/final --context 96 --data %s --out %s/b --steps 4 --batch 4 --seq 80 --threads 1 "
             "--quiet --json",
             dir, data, dir);
    int rc = tf_run_cmd(cmd, &out);
    REQUIRE_MSG(rc == 0, "%s", out);
    free(out);
    nn_config saved;
    snprintf(cmd, sizeof cmd, "%s/b/final/config.json", dir);
    REQUIRE(nn_config_load(&saved, cmd) == 0);
    CHECK(saved.max_position_embeddings == 96);
    snprintf(cmd, sizeof cmd, "build/recad train --init %s/a/final --context 0 --data %s --out %s/c", dir, data, dir);
    CHECK(tf_run_cmd(cmd, &out) == 2 && strstr(out, "--context"));
    free(out);
}

TEST(train_data_with_bpe_tokenizer) {
    const char *texts[] = {"add 1 2 = 3", "add 4 5 = 9", "add add add"};
    size_t lens[3] = {11, 11, 11};
    tok_train_opts to = {0};
    to.vocab_size = 270;
    to.min_frequency = 2;
    to.quiet = 1;
    tok_tokenizer *tok = tok_train(texts, lens, 3, &to);
    REQUIRE_MSG(tok, "%s", ut_error());
    tr_data d;
    tr_data_init(&d);
    REQUIRE(tr_data_load_jsonl(&d, toy_jsonl(), tok) == 0);
    REQUIRE(d.n == 16);
    int eos = tok_special_id(tok, "<|endoftext|>");
    for (int i = 0; i < d.n; i++) {
        const int *x = d.tok + d.off[i];
        int len = (int)(d.off[i + 1] - d.off[i]), np = 0;
        while (!d.train[d.off[i] + np]) np++;
        CHECK(x[len - 1] == eos);
        size_t n1 = 0, n2 = 0;
        char *prompt = tok_decode(tok, x, np, 0, &n1), *answer = tok_decode(tok, x + np, len - np - 1, 0, &n2);
        REQUIRE(prompt && answer);
        /* the chat layout: markers are single special ids around the plain prompt */
        const char *head = "<|im_start|>user\nadd ", *tail = "=<|im_end|>\n<|im_start|>assistant\n";
        CHECK_MSG(n1 > strlen(head) + strlen(tail) && !strncmp(prompt, head, strlen(head)) &&
                      !strcmp(prompt + n1 - strlen(tail), tail), "%s", prompt);
        CHECK(x[0] == tok_special_id(tok, "<|im_start|>"));
        CHECK(answer[0] == ' ' && n2 >= 2);
        free(prompt);
        free(answer);
    }
    /* unconditioned: the same answers after an empty prompt (markers only) */
    tr_data u;
    tr_data_init(&u);
    REQUIRE(tr_data_load_answers(&u, toy_jsonl(), tok) == 0);
    REQUIRE(u.n == d.n);
    for (int i = 0; i < u.n; i++) {
        int npd = 0, npu = 0, lend = (int)(d.off[i + 1] - d.off[i]), lenu = (int)(u.off[i + 1] - u.off[i]);
        while (!d.train[d.off[i] + npd]) npd++;
        while (!u.train[u.off[i] + npu]) npu++;
        size_t n1 = 0;
        char *prompt = tok_decode(tok, u.tok + u.off[i], npu, 0, &n1);
        CHECK_MSG(prompt && !strcmp(prompt, "<|im_start|>user\n<|im_end|>\n<|im_start|>assistant\n"), "%s", prompt);
        free(prompt);
        CHECK(lend - npd == lenu - npu && !memcmp(d.tok + d.off[i] + npd, u.tok + u.off[i] + npu,
                                                  sizeof(int) * (size_t)(lenu - npu)));
    }
    tr_data_free(&u);
    tr_data_free(&d);
    /* the same through the command line */
    const char *dir = tf_tmpdir();
    char tpath[512], cfg[512], cmd[2048], *out = NULL;
    snprintf(tpath, sizeof tpath, "%s/tokenizer.json", dir);
    REQUIRE(tok_save(tok, tpath) == 0);
    snprintf(cfg, sizeof cfg, "%s/cfg.json", dir);
    const char *c = "{\"vocab_size\":280,\"hidden_size\":32,\"intermediate_size\":64,\"num_hidden_layers\":1,"
                    "\"num_attention_heads\":2,\"max_position_embeddings\":32}";
    REQUIRE(ut_write_atomic(cfg, c, strlen(c)) == 0);
    snprintf(cmd, sizeof cmd,
             "build/recad train --config %s --tokenizer %s --data %s --out %s/o --steps 5 --batch 4 --seq 24 --threads 1 "
             "--quiet --json",
             cfg, tpath, toy_jsonl(), dir);
    CHECK_MSG(tf_run_cmd(cmd, &out) == 0, "%s", out);
    free(out);
    /* the checkpoint carries its tokenizer, so `recad sample --model DIR` needs nothing else */
    char saved[600];
    snprintf(saved, sizeof saved, "%s/o/final/tokenizer.json", dir);
    tok_tokenizer *back = tok_load(saved);
    CHECK_MSG(back && tok_vocab_size(back) == tok_vocab_size(tok), "%s", ut_error());
    tok_free(back);
    /* a tokenizer larger than the model's vocabulary is refused */
    const char *small = "{\"vocab_size\":100,\"hidden_size\":32,\"intermediate_size\":64,\"num_hidden_layers\":1,"
                        "\"num_attention_heads\":2}";
    REQUIRE(ut_write_atomic(cfg, small, strlen(small)) == 0);
    CHECK(tf_run_cmd(cmd, &out) == 1 && strstr(out, "vocab_size is 100"));
    free(out);
    tok_free(tok);
}
