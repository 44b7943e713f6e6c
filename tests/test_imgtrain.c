/* test_imgtrain.c - one model for text and pictures: mixed text + image training through the
 * joint model (exact resume, thread independence, pictures actually read), the sampler's image
 * rows against the joint forward, and the commands a user runs (train --vision --images, resume,
 * generate --image, eval --model on image records) with their errors. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/picture.h"
#include "base/util.h"
#include "ml/chat.h"
#include "ml/sampler.h"
#include "ml/tokenizer.h"
#include "ml/vlm.h"
#include "tf.h"
#include "train/train.h"

/* ------------------------------------------------------------------ fixtures */

static nn_config it_dec(int V) {
    nn_config c = {0};
    c.vocab_size = V;
    c.hidden_size = 32;
    c.intermediate_size = 64;
    c.num_hidden_layers = 1;
    c.num_attention_heads = 2;
    c.num_key_value_heads = 1;
    c.max_position_embeddings = 256;
    c.tie_word_embeddings = 1;
    c.rope_theta = 10000;
    c.rms_norm_eps = 1e-6f;
    return c;
}

/* 16 x 16 pictures, 4 x 4 patches: 16 patches, 4 image tokens */
static vt_config it_vis(void) {
    vt_config v = {0};
    v.image_size = 16;
    v.patch_size = 4;
    v.hidden_size = 16;
    v.intermediate_size = 32;
    v.depth = 1;
    v.num_heads = 2;
    v.out_hidden_size = 32;
    v.rms_norm_eps = 1e-6f;
    v.spatial_merge_size = 2;
    v.in_chans = 1;
    REQUIRE(vt_config_validate(&v) == 0);
    return v;
}

/* picture k: a dark rectangle whose size depends on k (flip: another size), on a white canvas */
static void it_picture(const char *path, int k, int flip) {
    pic_gray p;
    REQUIRE(pic_init(&p, 48, 40, 1.0f) == 0);
    int w = 8 + 5 * ((k + flip * 3) % 6), h = 30 - 3 * ((k + flip) % 5);
    for (int y = 5; y < 5 + h && y < 40; y++)
        for (int x = 6; x < 6 + w && x < 48; x++) p.v[y * 48 + x] = 0.2f + 0.1f * (float)(k % 3);
    REQUIRE(pic_write_png(&p, path) == 0);
    pic_free(&p);
}

static const char *it_answer(int k) {
    static char buf[160];
    snprintf(buf, sizeof buf, "<think>\\nbox %d\\n</think>\\nlocal w, d = %d, %d\\n", k, 10 + k, 20 - k);
    return buf;
}

/* dir/text.jsonl (8 text records), dir/img.jsonl (6 image records, pictures in dir/images/) */
static void it_data(const char *dir, int flip) {
    char path[600];
    snprintf(path, sizeof path, "%s/images", dir);
    REQUIRE(ut_mkdirs(path) == 0);
    snprintf(path, sizeof path, "%s/text.jsonl", dir);
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    for (int k = 0; k < 8; k++) fprintf(f, "{\"prompt\": \"a box number %d\", \"answer\": \"%s\"}\n", k, it_answer(k));
    fclose(f);
    snprintf(path, sizeof path, "%s/img.jsonl", dir);
    f = fopen(path, "w");
    REQUIRE(f);
    for (int k = 0; k < 6; k++) {
        char pic[700];
        snprintf(pic, sizeof pic, "%s/images/p%d.png", dir, k);
        it_picture(pic, k, flip);
        fprintf(f, "{\"prompt\": \"<|image|>\", \"image\": \"images/p%d.png\", \"answer\": \"%s\"}\n", k, it_answer(k));
    }
    fclose(f);
}

/* a tokenizer trained on the answers and prompts, with the image placeholder added */
static tok_tokenizer *it_tokenizer(int *pad) {
    const char *texts[16];
    size_t lens[16];
    char store[16][200];
    for (int k = 0; k < 8; k++) {
        snprintf(store[k], sizeof store[k], "a box number %d %s", k, it_answer(k));
        texts[k] = store[k];
        lens[k] = strlen(store[k]);
    }
    tok_train_opts o = {.vocab_size = 290, .min_frequency = 2, .quiet = 1};
    tok_tokenizer *t = tok_train(texts, lens, 8, &o);
    REQUIRE(t);
    *pad = tok_add_special_token(t, CHAT_IMAGE_PAD);
    REQUIRE(*pad == tok_vocab_size(t) - 1 && tok_is_special(t, *pad));
    CHECK(tok_add_special_token(t, CHAT_IMAGE_PAD) == *pad); /* already there: the same id */
    return t;
}

static vl_model *it_model(int pad, int threads) {
    nn_config dc = it_dec(320);
    vt_config vc = it_vis();
    vl_model *m = vl_new(&dc, &vc, pad);
    REQUIRE(m);
    vl_init_random(m, 7, 0.05f);
    vl_set_threads(m, threads);
    return m;
}

typedef struct {
    tr_data text, img;
} it_sets;

static void it_load(it_sets *s, const char *dir, tok_tokenizer *tok, int pad) {
    char path[600];
    tr_data_init(&s->text);
    tr_data_init(&s->img);
    snprintf(path, sizeof path, "%s/text.jsonl", dir);
    REQUIRE_MSG(tr_data_load_jsonl(&s->text, path, tok) == 0, "%s", ut_error());
    snprintf(path, sizeof path, "%s/img.jsonl", dir);
    REQUIRE_MSG(tr_data_load_images(&s->img, path, tok, pad, 4) == 0, "%s", ut_error());
    CHECK(s->img.n == 6 && s->img.nimages == 6 && s->text.n == 8 && !s->text.nimages);
}

/* trains a fresh model in out; returns the losses (free them) */
static float *it_train(const char *out, const it_sets *s, const tok_tokenizer *tok, int pad, int threads, long stop_after,
                       int resume) {
    vl_model *m = it_model(pad, threads);
    tr_options o = tr_defaults();
    o.out_dir = out;
    o.steps = 6;
    o.batch = 4;
    o.seq = 64;
    o.lr = 3e-3f;
    o.warmup = 2;
    o.ckpt_every = 3;
    o.log_every = 3;
    o.quiet = 1;
    o.images = &s->img;
    o.image_share = 0.5;
    o.val = &s->text;
    o.val_images = &s->img;
    o.tok = tok;
    o.stop_after = stop_after;
    o.resume = resume;
    tr_result r;
    REQUIRE_MSG(tr_train_vl(m, &s->text, &o, &r) == 0, "%s", ut_error());
    vl_free(m);
    return r.losses;
}

/* ------------------------------------------------------------------ tests */

TEST(imgtrain_mixed_batches_resume_exactly_and_read_the_pictures) {
    const char *dir = tf_tmpdir();
    it_data(dir, 0);
    int pad;
    tok_tokenizer *tok = it_tokenizer(&pad);
    it_sets s;
    it_load(&s, dir, tok, pad);
    char a[600], b[600], c[600], path[700], path2[700];
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    snprintf(c, sizeof c, "%s/c", dir);
    float *la = it_train(a, &s, tok, pad, 2, 0, 0);
    /* interrupted after step 3, then resumed: the same losses and the same final weights */
    float *lb = it_train(b, &s, tok, pad, 2, 3, 0);
    free(lb);
    lb = it_train(b, &s, tok, pad, 2, 0, 1);
    for (int i = 0; i < 6; i++) CHECK_MSG(la[i] == lb[i], "step %d: %.9g vs %.9g", i + 1, la[i], lb[i]);
    CHECK(isfinite(la[5]) && la[5] < la[0]);
    size_t na = 0, nb = 0;
    snprintf(path, sizeof path, "%s/final/model.safetensors", a);
    snprintf(path2, sizeof path2, "%s/final/model.safetensors", b);
    char *wa = ut_read_file(path, &na), *wb = ut_read_file(path2, &nb);
    REQUIRE(wa && wb);
    CHECK(na == nb && !memcmp(wa, wb, na));
    free(wa), free(wb);
    /* one thread: the same losses as two */
    float *lc = it_train(c, &s, tok, pad, 1, 0, 0);
    for (int i = 0; i < 6; i++) CHECK_MSG(la[i] == lc[i], "threads: step %d: %.9g vs %.9g", i + 1, la[i], lc[i]);
    free(lc);
    /* the checkpoint is a joint folder with the tokenizer (placeholder included) */
    snprintf(path, sizeof path, "%s/final", a);
    vl_model *back = vl_load(path);
    REQUIRE_MSG(back && back->enc && back->image_token_id == pad, "%s", ut_error());
    vl_free(back);
    snprintf(path, sizeof path, "%s/final/tokenizer.json", a);
    tok_tokenizer *t2 = tok_load(path);
    REQUIRE(t2);
    CHECK(tok_special_id(t2, CHAT_IMAGE_PAD) == pad);
    tok_free(t2);
    /* validation over the image samples as well */
    snprintf(path, sizeof path, "%s/metrics.csv", a);
    char *csv = ut_read_file(path, NULL);
    REQUIRE(csv);
    CHECK_MSG(!strncmp(csv, "step,loss,lr,grad_norm,tokens_per_s,val_loss,val_image_loss\n", 60), "%s", csv);
    const char *row8 = strstr(csv, "\n6,");
    REQUIRE(row8);
    CHECK_MSG(!strstr(row8, "nan"), "%s", row8);
    free(csv);
    /* other pictures with the same records: the losses change from the first step (pictures are read) */
    char d2[600];
    snprintf(d2, sizeof d2, "%s/flip", dir);
    it_data(d2, 1);
    it_sets s2;
    it_load(&s2, d2, tok, pad);
    snprintf(c, sizeof c, "%s/d", dir);
    float *ld = it_train(c, &s2, tok, pad, 2, 0, 0);
    CHECK_MSG(ld[0] != la[0], "%.9g", ld[0]);
    free(ld);
    free(la), free(lb);
    tr_data_free(&s.text), tr_data_free(&s.img), tr_data_free(&s2.text), tr_data_free(&s2.img);
    tok_free(tok);
}

TEST(imgtrain_errors_name_the_problem) {
    const char *dir = tf_tmpdir();
    it_data(dir, 0);
    int pad;
    tok_tokenizer *tok = it_tokenizer(&pad);
    char path[600];
    tr_data d;
    /* a picture that is missing, a prompt without the placeholder, no "image" field */
    const char *bad[3] = {"{\"prompt\": \"<|image|>\", \"image\": \"images/none.png\", \"answer\": \"x\"}",
                          "{\"prompt\": \"a box\", \"image\": \"images/p0.png\", \"answer\": \"x\"}",
                          "{\"prompt\": \"<|image|>\", \"answer\": \"x\"}"};
    const char *want[3] = {"none.png is not a readable file", "holds no <|image|>", "image"};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/bad%d.jsonl", dir, k);
        FILE *f = fopen(path, "w");
        REQUIRE(f);
        fprintf(f, "%s\n", bad[k]);
        fclose(f);
        tr_data_init(&d);
        CHECK_MSG(tr_data_load_images(&d, path, tok, pad, 4) == -1 && strstr(ut_error(), want[k]) &&
                      strstr(ut_error(), ":1"),
                  "%d: %s", k, ut_error());
        tr_data_free(&d);
    }
    /* image samples and a text-only model; placeholder counts that do not match the encoder */
    it_sets s;
    it_load(&s, dir, tok, pad);
    nn_config dc = it_dec(320);
    vl_model *text = vl_new(&dc, NULL, -1);
    tr_options o = tr_defaults();
    char out[700];
    snprintf(out, sizeof out, "%s/o", dir);
    o.out_dir = out;
    o.steps = 1;
    o.seq = 64;
    o.quiet = 1;
    o.images = &s.img;
    tr_result r;
    CHECK(tr_train_vl(text, &s.text, &o, &r) == -1 && strstr(ut_error(), "vision encoder"));
    free(r.losses);
    vl_free(text);
    tr_data d8;
    tr_data_init(&d8);
    snprintf(path, sizeof path, "%s/img.jsonl", dir);
    REQUIRE(tr_data_load_images(&d8, path, tok, pad, 8) == 0);
    vl_model *m = it_model(pad, 1);
    o.images = &d8;
    CHECK(tr_train_vl(m, &s.text, &o, &r) == -1 && strstr(ut_error(), "8 image placeholders"));
    free(r.losses);
    o.images = &s.img;
    o.seq = 8; /* the placeholders would be cut off */
    CHECK(tr_train_vl(m, &s.text, &o, &r) == -1 && strstr(ut_error(), "beyond seq 8"));
    free(r.losses);
    /* a picture that becomes unreadable after loading: the step fails naming it */
    o.seq = 64;
    o.image_share = 1;
    snprintf(path, sizeof path, "%s/images/p%d.png", dir, 0);
    REQUIRE(ut_write_atomic(path, "not a picture", 13) == 0);
    o.steps = 4;
    CHECK(tr_train_vl(m, &s.text, &o, &r) == -1 && strstr(ut_error(), "p0.png"));
    free(r.losses);
    vl_free(m);
    tr_data_free(&d8), tr_data_free(&s.text), tr_data_free(&s.img);
    tok_free(tok);
}

/* greedy continuation with the full joint forward (no cache), the picture spliced at the placeholders */
static void it_greedy(vl_model *m, const int *prompt, int np, const float *img, int *out, int maxn) {
    int seq[64];
    memcpy(seq, prompt, sizeof(int) * (size_t)np);
    const float *imgs[1] = {img};
    for (int k = 0; k < maxn; k++) {
        int n = np + k;
        REQUIRE_MSG(vl_forward(m, seq, NULL, NULL, 0, 1, n, imgs) == 0, "%s", ut_error());
        const float *row = m->dec->acts.logits + (size_t)(n - 1) * m->dec->cfg.vocab_size;
        int best = 0;
        for (int v = 1; v < m->dec->cfg.vocab_size; v++)
            if (row[v] > row[best]) best = v;
        out[k] = seq[n] = best;
    }
}

TEST(imgtrain_sampler_image_rows_match_the_joint_forward) {
    int pad = 300;
    vl_model *m = it_model(pad, 2);
    vl_init_random(m, 11, 0.4f);
    float img[256];
    for (int i = 0; i < 256; i++) img[i] = (float)((i * 37) % 101) / 100.0f;
    int prompt[9] = {5, 6, pad, pad, pad, pad, 7, 8, 9}, want[8], maxn = 8;
    it_greedy(m, prompt, 9, img, want, maxn);
    const float *tok = vt_forward(m->enc, img, 1);
    REQUIRE(tok);
    float *rows = ut_malloc(4 * 32 * sizeof(float));
    memcpy(rows, tok, 4 * 32 * sizeof(float));
    smp_sampler *s = smp_new(m->dec);
    const float *const rv[1] = {rows};
    int nr = 4;
    smp_opts so = {.n = 2, .max_new = maxn, .temperature = 0, .rows = rv, .nrows = &nr, .row_id = pad};
    smp_seq q[2];
    REQUIRE_MSG(smp_generate(s, prompt, 9, &so, q) == 0, "%s", ut_error());
    for (int k = 0; k < 2; k++) {
        REQUIRE(q[k].ntokens == maxn);
        for (int i = 0; i < maxn; i++) CHECK_MSG(q[k].tokens[i] == want[i], "sample %d token %d: %d vs %d", k, i, q[k].tokens[i], want[i]);
        smp_seq_free(&q[k]);
    }
    /* without the rows the answer is the text path's: different from the picture's */
    smp_opts st = {.n = 1, .max_new = maxn, .temperature = 0};
    REQUIRE(smp_generate(s, prompt, 9, &st, q) == 0);
    int same = 1;
    for (int i = 0; i < maxn; i++) same &= q[0].tokens[i] == want[i];
    CHECK(!same);
    smp_seq_free(&q[0]);
    /* a row count that does not match the placeholders, a row that is not finite */
    nr = 3;
    CHECK_MSG(smp_generate(s, prompt, 9, &so, q) == -1 && strstr(ut_error(), "4 ids 300 for 3 input rows"), "%s", ut_error());
    nr = 4;
    rows[5] = NAN;
    CHECK(smp_generate(s, prompt, 9, &so, q) == -1 && strstr(ut_error(), "not finite"));
    smp_free(s);
    free(rows);
    vl_free(m);
}

TEST(imgtrain_chat_image_prompt_layout) {
    int pad;
    tok_tokenizer *t = it_tokenizer(&pad);
    int n = 0, nt = 0, na = 0;
    int *ids = chat_encode_image_prompt(t, "see <|image|> here", pad, 5, &n);
    REQUIRE(ids);
    int npad = 0, first = -1, *rest = ut_malloc(sizeof(int) * (size_t)n), nr = 0;
    for (int i = 0; i < n; i++) {
        if (ids[i] == pad) npad++, first = first < 0 ? i : first;
        else rest[nr++] = ids[i];
    }
    CHECK(npad == 5);
    for (int i = first; i < first + 5 && i < n; i++) CHECK(ids[i] == pad);
    /* the other ids spell the text prompt's layout with the picture's place left empty */
    int *text = chat_encode_prompt(t, "see  here", &nt);
    char *a = tok_decode(t, rest, nr, 0, NULL), *b = tok_decode(t, text, nt, 0, NULL);
    REQUIRE(a && b);
    CHECK_MSG(!strcmp(a, b) && strstr(a, "<|im_start|>user\nsee  here<|im_end|>"), "%s | %s", a, b);
    free(a), free(b), free(text), free(rest), free(ids);
    (void)na;
    CHECK(chat_encode_image_prompt(t, "no picture", pad, 5, &n) == NULL && strstr(ut_error(), "holds no <|image|>"));
    CHECK(chat_encode_image_prompt(t, "<|image|><|image|>", pad, 5, &n) == NULL && strstr(ut_error(), "more than once"));
    CHECK(chat_encode_image_prompt(t, "<|image|>", 3, 5, &n) == NULL && strstr(ut_error(), "not a special token"));
    tok_free(t);
}

/* ------------------------------------------------------------------ the commands */

static int it_run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int it_run(char **out, const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    free(*out);
    *out = NULL;
    return tf_run_cmd(cmd, out);
}

TEST(imgtrain_cli_trains_resumes_generates_and_evaluates_pictures) {
    const char *d = tf_tmpdir();
    char *out = NULL, path[700];
    REQUIRE_MSG(it_run(&out, "build/recad data build --parts 12 --images 1 --image-side 32 --val 0.2 --test 0.2 -o %s/ds -q -t 2", d) == 0,
                "%s", out);
    REQUIRE_MSG(it_run(&out, "build/recad tokenizer train --vocab 400 --out %s/tok.json %s/ds/train.jsonl", d, d) == 0, "%s", out);
    snprintf(path, sizeof path, "%s/dec.json", d);
    const char *dec = "{\"vocab_size\": 512, \"hidden_size\": 32, \"intermediate_size\": 64, \"num_hidden_layers\": 1, "
                      "\"num_attention_heads\": 2, \"num_key_value_heads\": 1, \"max_position_embeddings\": 1024, "
                      "\"tie_word_embeddings\": true}";
    REQUIRE(ut_write_atomic(path, dec, strlen(dec)) == 0);
    snprintf(path, sizeof path, "%s/vis.json", d);
    const char *vis = "{\"image_size\": 32, \"patch_size\": 4, \"hidden_size\": 16, \"intermediate_size\": 32, \"depth\": 1, "
                      "\"num_heads\": 2, \"out_hidden_size\": 32}";
    REQUIRE(ut_write_atomic(path, vis, strlen(vis)) == 0);
#define IT_TRAIN "build/recad train --config %s/dec.json --vision %s/vis.json --tokenizer %s/tok.json --data %s/ds/train.jsonl " \
                 "--images %s/ds/train_images.jsonl --val-images %s/ds/val_images.jsonl --out %s/run --steps 6 --batch 4 "   \
                 "--seq 1024 --ckpt-every 3 --keep 0 --threads 2 --quiet --json %s"
    REQUIRE_MSG(it_run(&out, IT_TRAIN, d, d, d, d, d, d, d, "") == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"image_samples\"") && strstr(out, "\"vision_params\""), "%s", out);
    snprintf(path, sizeof path, "%s/run/metrics.csv", d);
    char *full = ut_read_file(path, NULL);
    REQUIRE(full);
    /* interrupted after step 3: resuming gives the same rows 4..6 */
    REQUIRE(it_run(&out, "rm -rf %s/run/final %s/run/step-00000006 && echo step-00000003 > %s/run/latest", d, d, d) == 0);
    REQUIRE_MSG(it_run(&out, IT_TRAIN, d, d, d, d, d, d, d, "--resume") == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"start_step\":3"), "%s", out);
    char *again = ut_read_file(path, NULL);
    REQUIRE(again);
    /* loss, lr and grad_norm of each row (tokens_per_s is a time) */
    for (int s = 4; s <= 6; s++) {
        char key[8];
        snprintf(key, sizeof key, "\n%d,", s);
        const char *x = strstr(full, key), *y = strstr(again, key);
        REQUIRE(x && y);
        int cx = 0, n = 0;
        while (x[n] && x[n] == y[n] && cx < 4) cx += x[n++] == ',';
        CHECK_MSG(cx == 4, "row %d differs:\n%s\n%s", s, full, again);
    }
    free(full), free(again);
    /* generate from a picture: candidates, and the exit code documented (0 with a part, 1 without) */
    int rc = it_run(&out, "build/recad generate -m %s/run/final --image %s/ds/images/g00000000-i0.png -n 3 --max-new 60 --retry 0 "
                          "-o %s/gen --json --threads 2", d, d, d);
    CHECK_MSG((rc == 0 || rc == 1) && strstr(out, "\"candidates\":3") && strstr(out, "\"image\""), "rc %d: %s", rc, out);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/gen.lua", d);
        CHECK(access(path, R_OK) == 0);
    } else CHECK_MSG(strstr(out, "no valid part among 3 candidates"), "%s", out);
    /* a JPEG-less, broken, blank or missing picture; a text-only model */
    snprintf(path, sizeof path, "%s/bad.png", d);
    REQUIRE(ut_write_atomic(path, "hello", 5) == 0);
    CHECK_MSG(it_run(&out, "build/recad generate -m %s/run/final --image %s", d, path) == 1 && strstr(out, "not a PNG or JPEG"),
              "%s", out);
    pic_gray blank;
    REQUIRE(pic_init(&blank, 40, 40, 1.0f) == 0);
    snprintf(path, sizeof path, "%s/blank.png", d);
    REQUIRE(pic_write_png(&blank, path) == 0);
    pic_free(&blank);
    CHECK_MSG(it_run(&out, "build/recad generate -m %s/run/final --image %s", d, path) == 1 && strstr(out, "blank picture"),
              "%s", out);
    CHECK_MSG(it_run(&out, "build/recad generate -m %s/run/final --image %s/none.png", d, d) == 3 && strstr(out, "none.png"),
              "%s", out);
    REQUIRE(it_run(&out, "build/recad train --config %s/dec.json --tokenizer %s/tok.json --data %s/ds/train.jsonl --out %s/text "
                         "--steps 1 --batch 2 --seq 64 --quiet", d, d, d, d) == 0);
    /* GRPO on the picture prompts: the decoder learns from the rewards, the encoder stays as it was,
       and the final model still takes pictures */
    CHECK_MSG(it_run(&out, "build/recad train grpo --init %s/run/final --data %s/ds/train_images.jsonl --out %s/rl --steps 2 "
                           "--prompts 2 -G 2 --hard-samples 1 --max-new 60 --lr 1e-3 --threads 2 --quiet --json", d, d, d) == 0 &&
                  strstr(out, "\"steps\":2"), "%s", out);
    snprintf(path, sizeof path, "%s/run/final", d);
    vl_model *before = vl_load(path);
    snprintf(path, sizeof path, "%s/rl/final", d);
    vl_model *after = vl_load(path);
    REQUIRE_MSG(before && after && after->enc && after->image_token_id == before->image_token_id, "%s", ut_error());
    CHECK(!memcmp(before->enc->param_mem, after->enc->param_mem, sizeof(float) * before->enc->num_params));
    CHECK(memcmp(before->dec->param_mem, after->dec->param_mem, sizeof(float) * before->dec->num_params) != 0);
    vl_free(before), vl_free(after);
    rc = it_run(&out, "build/recad generate -m %s/rl/final --image %s/ds/images/g00000000-i0.png -n 2 --max-new 60 --retry 0 -o %s/gen2 "
                      "--json --threads 2", d, d, d);
    CHECK_MSG((rc == 0 || rc == 1) && strstr(out, "\"candidates\":2"), "rc %d: %s", rc, out);
    CHECK_MSG(it_run(&out, "build/recad train grpo --init %s/run/final --data %s/ds/train_images.jsonl --out %s/rl2 --steps 1 "
                           "--size-weight 0.3", d, d, d) == 2 && strstr(out, "no scale"), "%s", out);
    CHECK_MSG(it_run(&out, "build/recad generate -m %s/text/final --image %s/ds/images/g00000000-i0.png", d, d) == 2 &&
                  strstr(out, "no vision encoder"), "%s", out);
    CHECK_MSG(it_run(&out, "build/recad train grpo --init %s/text/final --data %s/ds/train_images.jsonl --out %s/rl3 --steps 1",
                     d, d, d) == 2 && strstr(out, "no vision encoder"), "%s", out);
    CHECK_MSG(it_run(&out, "build/recad eval --model %s/text/final --test %s/ds/test_images.jsonl -o %s/ev0", d, d, d) != 0 &&
                  strstr(out, "no vision encoder"), "%s", out);
    /* continued training of the joint model (no --vision); --vision on it is refused */
    CHECK_MSG(it_run(&out, "build/recad train --init %s/run/final --tokenizer %s/run/final/tokenizer.json --data %s/ds/train.jsonl "
                           "--images %s/ds/train_images.jsonl --image-share 0.25 --out %s/more --steps 2 --batch 4 --seq 1024 "
                           "--quiet --threads 2", d, d, d, d, d) == 0, "%s", out);
    CHECK_MSG(it_run(&out, "build/recad train --init %s/run/final --vision %s/vis.json --tokenizer %s/tok.json --data "
                           "%s/ds/train.jsonl --out %s/x --steps 1 --quiet", d, d, d, d, d) != 0 &&
                  strstr(out, "already has a vision encoder"), "%s", out);
    CHECK_MSG(it_run(&out, "build/recad train --config %s/dec.json --tokenizer %s/tok.json --data %s/ds/train.jsonl --images "
                           "%s/ds/train_images.jsonl --out %s/x --steps 1 --quiet", d, d, d, d, d) == 2 &&
                  strstr(out, "--images needs a model with a vision encoder"), "%s", out);
    /* the evaluation of the pictures against the image retrieval baseline */
    REQUIRE_MSG(it_run(&out, "build/recad eval --model %s/run/final --test %s/ds/test_images.jsonl --train %s/ds/train_images.jsonl "
                             "-o %s/ev -n 2 --no-voxel --no-visual --examples 1 --threads 2 --quiet --json", d, d, d, d) == 0, "%s", out);
    CHECK_MSG(strstr(out, "\"ours\"") && strstr(out, "\"retrieval\""), "%s", out);
    snprintf(path, sizeof path, "%s/ev/report.md", d);
    char *md = ut_read_file(path, NULL);
    REQUIRE(md);
    CHECK_MSG(strstr(md, "# Image to CAD") && strstr(md, "| ours |") && strstr(md, "| retrieval |") && strstr(md, "level "),
              "%s", md);
    free(md);
    free(out);
}
