/* test_vit.c - vision encoder and the joint model: finite-difference gradients (encoder alone and
 * through the splice into the decoder), golden test against PyTorch, thread-count independence,
 * checkpoints, text-only behaviour, errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/nn.h"
#include "ml/opt.h"
#include "ml/safetensors.h"
#include "ml/vit.h"
#include "ml/vlm.h"
#include "tf.h"
#include "base/util.h"

static vt_config vit_config(int S, int P, int Dv, int F, int L, int H, int D) {
    vt_config c;
    memset(&c, 0, sizeof c);
    c.image_size = S;
    c.patch_size = P;
    c.hidden_size = Dv;
    c.intermediate_size = F;
    c.depth = L;
    c.num_heads = H;
    c.out_hidden_size = D;
    c.rms_norm_eps = 1e-5f;
    c.spatial_merge_size = 2;
    c.in_chans = 1;
    return c;
}

static nn_config dec_config(int V, int D, int F, int L, int H, int KV) {
    nn_config c;
    memset(&c, 0, sizeof c);
    c.vocab_size = V;
    c.hidden_size = D;
    c.intermediate_size = F;
    c.num_hidden_layers = L;
    c.num_attention_heads = H;
    c.num_key_value_heads = KV;
    c.max_position_embeddings = 128;
    c.rope_theta = 1000.0f;
    c.rms_norm_eps = 1e-5f;
    return c;
}

/* random parameters with norm weights near 1 and non-zero biases, so every term matters */
static void perturb(float *mem, const nn_tensor *t, int nt, uint64_t seed) {
    ut_rng r;
    ut_rng_seed(&r, seed);
    for (int i = 0; i < nt; i++) {
        if (t[i].ndim == 2) continue;
        for (size_t j = 0; j < t[i].numel; j++) mem[t[i].offset + j] += 0.2f * (float)ut_rng_normal(&r);
    }
}

static void vt_randomise(vt_model *m, uint64_t seed, float std) {
    vt_init_random(m, seed, std);
    perturb(m->param_mem, m->tensors, m->num_tensors, seed + 1);
}

static float *rand_floats(size_t n, uint64_t seed, double lo, double hi) {
    float *x = ut_malloc(n * sizeof(float));
    ut_rng r;
    ut_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) x[i] = (float)(lo + (hi - lo) * ut_rng_uniform(&r));
    return x;
}

/* sum(out * R): the loss whose gradient w.r.t. the output is R */
static double vt_loss(vt_model *m, const float *img, int B, const float *R) {
    const float *out = vt_forward(m, img, B);
    REQUIRE(out);
    double s = 0.0;
    size_t n = (size_t)B * m->cfg.num_tokens * m->cfg.out_hidden_size;
    for (size_t i = 0; i < n; i++) s += (double)out[i] * R[i];
    return s;
}

/* central differences (step h) on `per` entries of every tensor of (mem, grad), and 3 random
 * directions through all of them */
typedef double (*loss_fn)(void *ctx);

static void fd_check(const char *what, float *mem, const float *grad, size_t np, const nn_tensor *t, int nt, loss_fn f,
                     void *ctx, float h, int per, double rel, double abs_tol) {
    ut_rng r;
    ut_rng_seed(&r, 11);
    int bad = 0, checked = 0;
    for (int ti = 0; ti < nt; ti++)
        for (int k = 0; k < per; k++) {
            size_t j = t[ti].offset + (size_t)(ut_rng_u64(&r) % t[ti].numel);
            float save = mem[j];
            mem[j] = save + h;
            double lp = f(ctx);
            mem[j] = save - h;
            double lm = f(ctx);
            mem[j] = save;
            double fd = (lp - lm) / (2 * h), an = grad[j];
            checked++;
            if (fabs(fd - an) > rel * fabs(an) + abs_tol) {
                bad++;
                fprintf(stderr, "    %s %s[%zu]: analytic %.6g finite-difference %.6g\n", what, t[ti].name, j - t[ti].offset, an,
                        fd);
            }
        }
    CHECK_MSG(bad == 0, "%s: %d of %d finite-difference checks failed", what, bad, checked);
    float *dir = ut_malloc(np * sizeof(float)), *p0 = ut_malloc(np * sizeof(float));
    memcpy(p0, mem, np * sizeof(float));
    for (int rep = 0; rep < 3; rep++) {
        double gd = 0.0;
        for (size_t i = 0; i < np; i++) {
            dir[i] = (float)ut_rng_normal(&r);
            gd += (double)dir[i] * grad[i];
        }
        const float e = 1e-3f;
        for (size_t i = 0; i < np; i++) mem[i] = p0[i] + e * dir[i];
        double lp = f(ctx);
        for (size_t i = 0; i < np; i++) mem[i] = p0[i] - e * dir[i];
        double lm = f(ctx);
        CHECK_REL((lp - lm) / (2 * e), gd, 2e-2);
    }
    memcpy(mem, p0, np * sizeof(float));
    free(dir);
    free(p0);
}

typedef struct {
    vt_model *m;
    const float *img, *R;
    int B;
} vt_fd;

static double vt_fd_loss(void *ctx) {
    vt_fd *c = ctx;
    return vt_loss(c->m, c->img, c->B, c->R);
}

/* every op of the encoder (patches, embedding, positions, norms, attention, SwiGLU, merger, GELU)
 * lies on the path of some parameter checked here; small chunks split every product and sum */
TEST(vit_gradcheck) {
    vt_config c = vit_config(8, 2, 8, 12, 2, 2, 6);
    vt_model *m = vt_new(&c);
    REQUIRE(m);
    REQUIRE(m->cfg.num_patches == 16 && m->cfg.num_tokens == 4);
    vt_set_threads(m, 1); /* thread counts: vit_threads_agree */
    vt_set_chunk_rows(m, 5, 3);
    vt_randomise(m, 3, 0.4f);
    const int B = 2;
    float *img = rand_floats((size_t)B * 64, 5, 0.0, 1.0), *R = rand_floats((size_t)B * 4 * 6, 6, -1.0, 1.0);
    vt_zero_grad(m);
    vt_loss(m, img, B, R);
    REQUIRE(vt_backward(m, R) == 0);
    vt_fd ctx = {m, img, R, B};
    fd_check("encoder", m->param_mem, m->grad_mem, m->num_params, m->tensors, m->num_tensors, vt_fd_loss, &ctx, 5e-3f, 3, 2e-2, 1e-3);
    free(img);
    free(R);
    vt_free(m);
}

/* ---- the joint model ---- */

enum { PH = 12 }; /* placeholder id in the tests' vocabulary of 13 */

/* B = 3 rows of T = 9: row 0 carries image 0 (placeholders at 1..4), row 1 is text only, row 2
 * carries image 1 (placeholders at 3..6) */
typedef struct {
    int in[27], tg[27];
    float w[27];
    float *pix;
    const float *imgs[3];
} vl_batch;

static void vl_make_batch(vl_batch *b, int S) {
    ut_rng r;
    ut_rng_seed(&r, 17);
    for (int i = 0; i < 27; i++) {
        b->in[i] = (int)(ut_rng_u64(&r) % PH);
        b->tg[i] = ut_rng_u64(&r) % 5 == 0 ? -1 : (int)(ut_rng_u64(&r) % PH);
        b->w[i] = (float)(0.5 + ut_rng_uniform(&r));
    }
    for (int t = 1; t <= 4; t++) b->in[t] = PH;
    for (int t = 3; t <= 6; t++) b->in[18 + t] = PH;
    b->pix = rand_floats((size_t)2 * S * S, 23, 0.0, 1.0);
    b->imgs[0] = b->pix;
    b->imgs[1] = NULL;
    b->imgs[2] = b->pix + (size_t)S * S;
}

static vl_model *vl_small(int threads) {
    nn_config dc = dec_config(13, 8, 12, 2, 2, 1);
    vt_config vc = vit_config(8, 2, 8, 12, 2, 2, 8);
    vl_model *m = vl_new(&dc, &vc, PH);
    REQUIRE(m);
    vl_set_threads(m, threads);
    nn_init_random(m->dec, 31, 0.4f);
    perturb(m->dec->param_mem, m->dec->tensors, m->dec->num_tensors, 32);
    vt_randomise(m->enc, 33, 0.4f);
    return m;
}

typedef struct {
    vl_model *m;
    vl_batch *b;
} vl_fd;

static double vl_fd_loss(void *ctx) {
    vl_fd *c = ctx;
    REQUIRE(vl_forward(c->m, c->b->in, c->b->tg, c->b->w, 0.0f, 3, 9, c->b->imgs) == 0);
    return c->m->dec->loss;
}

/* the decoder's loss differentiated through the splice into the encoder (and the decoder's own
 * parameters on the same mixed batch) */
TEST(vlm_gradcheck_through_the_splice) {
    vl_model *m = vl_small(1);
    vl_batch b;
    vl_make_batch(&b, 8);
    vl_zero_grad(m);
    vl_fd ctx = {m, &b};
    vl_fd_loss(&ctx);
    REQUIRE(vl_backward(m) == 0);
    fd_check("encoder via decoder", m->enc->param_mem, m->enc->grad_mem, m->enc->num_params, m->enc->tensors,
             m->enc->num_tensors, vl_fd_loss, &ctx, 1e-2f, 2, 2e-2, 3e-4);
    fd_check("decoder", m->dec->param_mem, m->dec->grad_mem, m->dec->num_params, m->dec->tensors, m->dec->num_tensors,
             vl_fd_loss, &ctx, 2e-3f, 1, 2e-2, 3e-4);
    /* the placeholder's embedding row gets no gradient: its rows were replaced */
    double s = 0.0;
    for (int j = 0; j < 8; j++) s += fabs(m->dec->grads.embed[PH * 8 + j]);
    CHECK(s == 0.0);
    free(b.pix);
    vl_free(m);
}

/* ---- golden test against tests/vit_reference.py (PyTorch, float64) ---- */

static int have_torch(void) {
    char *out = NULL;
    int rc = tf_run_cmd("/usr/bin/python3 -c 'import torch' 2>&1", &out);
    free(out);
    return rc == 0;
}

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

static void golden(int token_rows, int weight_rows) {
    if (!have_torch()) SKIP("/usr/bin/python3 has no torch (scripts/setup.sh --test installs python3-torch)");
    /* 16 x 16 images, 2 x 2 patches: 64 patches (8 x 8), 16 image tokens each */
    vt_config c = vit_config(16, 2, 16, 24, 2, 2, 12);
    vt_model *m = vt_new(&c);
    REQUIRE(m);
    vt_set_threads(m, 2);
    vt_set_chunk_rows(m, token_rows, weight_rows);
    vt_randomise(m, 41, 0.2f);
    const int B = 3;
    size_t nout = (size_t)B * m->cfg.num_tokens * c.out_hidden_size;
    float *img = rand_floats((size_t)B * 256, 43, 0.0, 1.0), *R = rand_floats(nout, 44, -1.0, 1.0);
    const char *dir = tf_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/vision_config.json", dir);
    char *js = vt_config_to_json(&m->cfg);
    REQUIRE(ut_write_atomic(path, js, strlen(js)) == 0);
    free(js);
    st_entry *e = ut_calloc((size_t)m->num_tensors, sizeof *e);
    for (int i = 0; i < m->num_tensors; i++) {
        const nn_tensor *t = &m->tensors[i];
        e[i] = (st_entry){t->name, m->param_mem + t->offset, t->ndim, {t->shape[0], t->shape[1]}};
    }
    snprintf(path, sizeof path, "%s/visual.safetensors", dir);
    REQUIRE(st_write(path, e, m->num_tensors, NULL, 0) == 0);
    free(e);
    st_entry in[2] = {{"images", img, 3, {B, 16, 16}}, {"dout", R, 2, {(int64_t)B * m->cfg.num_tokens, c.out_hidden_size}}};
    snprintf(path, sizeof path, "%s/input.safetensors", dir);
    REQUIRE(st_write(path, in, 2, NULL, 0) == 0);
    char cmd[1024], *out = NULL;
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/vit_reference.py %s 2>&1", dir);
    int rc = tf_run_cmd(cmd, &out);
    REQUIRE_MSG(rc == 0, "vit_reference.py failed: %s", out ? out : "");
    free(out);
    st_file ref;
    snprintf(path, sizeof path, "%s/ref.safetensors", dir);
    REQUIRE(st_open(&ref, path) == 0);
    float *buf = ut_malloc((m->num_params + nout) * sizeof(float));
    vt_zero_grad(m);
    const float *tok = vt_forward(m, img, B);
    REQUIRE(tok);
    const st_tensor *t = st_find(&ref, "tokens");
    REQUIRE(t && t->numel == nout);
    REQUIRE(st_read_f32(&ref, t, buf) == 0);
    check_tensor("tokens", tok, buf, nout, 1e-4);
    REQUIRE(vt_backward(m, R) == 0);
    char name[160];
    for (int i = 0; i < m->num_tensors; i++) {
        const nn_tensor *nt = &m->tensors[i];
        snprintf(name, sizeof name, "grad.%s", nt->name);
        const st_tensor *rt = st_find(&ref, name);
        REQUIRE_MSG(rt && rt->numel == nt->numel, "reference lacks %s", name);
        REQUIRE(st_read_f32(&ref, rt, buf) == 0);
        check_tensor(name, m->grad_mem + nt->offset, buf, nt->numel, 1e-4);
    }
    st_close(&ref);
    free(buf);
    free(img);
    free(R);
    vt_free(m);
}

TEST(vit_golden_torch) { golden(0, 0); }
/* uneven chunks: every product and reduction split into many pieces */
TEST(vit_golden_torch_small_chunks) { golden(36, 10); }

/* ---- threads, checkpoints, text-only behaviour ---- */

/* one step of the joint model: loss and a copy of both gradient sets (free it) */
static float *vl_step(vl_model *m, vl_batch *b, float *loss) {
    vl_zero_grad(m);
    REQUIRE(vl_forward(m, b->in, b->tg, b->w, 0.0f, 3, 9, b->imgs) == 0);
    *loss = m->dec->loss;
    REQUIRE(vl_backward(m) == 0);
    size_t nd = m->dec->num_params, ne = m->enc->num_params;
    float *g = ut_malloc((nd + ne) * sizeof(float));
    memcpy(g, m->dec->grad_mem, nd * sizeof(float));
    memcpy(g + nd, m->enc->grad_mem, ne * sizeof(float));
    return g;
}

TEST(vit_threads_agree) {
    vl_batch b;
    vl_make_batch(&b, 8);
    float loss[3], *g[3];
    size_t n = 0;
    for (int k = 0; k < 3; k++) {
        vl_model *m = vl_small(k + 1);
        g[k] = vl_step(m, &b, &loss[k]);
        n = m->dec->num_params + m->enc->num_params;
        vl_free(m);
    }
    for (int k = 1; k < 3; k++) {
        CHECK(loss[k] == loss[0]);
        CHECK_MSG(memcmp(g[k], g[0], n * sizeof(float)) == 0, "gradients with %d threads differ from 1 thread", k + 1);
    }
    /* the encoder alone at a larger size: outputs and gradients bit-identical for 1 and 3 threads */
    vt_config c = vit_config(32, 4, 16, 24, 2, 4, 8);
    float *img = rand_floats((size_t)5 * 32 * 32, 50, 0.0, 1.0), *R = rand_floats((size_t)5 * 16 * 8, 51, -1, 1);
    float *out[2], *gr[2];
    vt_model *m[2];
    for (int k = 0; k < 2; k++) {
        m[k] = vt_new(&c);
        vt_randomise(m[k], 52, 0.3f);
        vt_set_threads(m[k], k ? 3 : 1);
        vt_set_chunk_rows(m[k], 40, 12);
        vt_zero_grad(m[k]);
        out[k] = (float *)vt_forward(m[k], img, 5);
        REQUIRE(out[k] && vt_backward(m[k], R) == 0);
        gr[k] = m[k]->grad_mem;
    }
    CHECK(memcmp(out[0], out[1], (size_t)5 * 16 * 8 * sizeof(float)) == 0);
    CHECK(memcmp(gr[0], gr[1], m[0]->num_params * sizeof(float)) == 0);
    vt_free(m[0]);
    vt_free(m[1]);
    for (int k = 0; k < 3; k++) free(g[k]);
    free(img);
    free(R);
    free(b.pix);
}

TEST(vlm_checkpoint_round_trip) {
    vl_model *m = vl_small(2);
    vl_batch b;
    vl_make_batch(&b, 8);
    const char *dir = tf_tmpdir();
    REQUIRE(vl_save(m, dir) == 0);
    vl_model *r = vl_load(dir);
    REQUIRE_MSG(r, "vl_load: %s", ut_error());
    REQUIRE(r->enc && r->image_token_id == PH);
    CHECK(memcmp(&r->enc->cfg, &m->enc->cfg, sizeof m->enc->cfg) == 0);
    CHECK(memcmp(r->enc->param_mem, m->enc->param_mem, m->enc->num_params * sizeof(float)) == 0);
    CHECK(memcmp(r->dec->param_mem, m->dec->param_mem, m->dec->num_params * sizeof(float)) == 0);
    vl_set_threads(r, 2);
    float l0, l1;
    float *g0 = vl_step(m, &b, &l0), *g1 = vl_step(r, &b, &l1);
    CHECK(l0 == l1);
    CHECK(memcmp(g0, g1, (m->dec->num_params + m->enc->num_params) * sizeof(float)) == 0);
    free(g0);
    free(g1);
    /* the same folder read as the text decoder alone: the decoder's weights, the extra keys and
     * tensors ignored */
    nn_model *d = nn_load(dir);
    REQUIRE_MSG(d, "nn_load: %s", ut_error());
    CHECK(memcmp(d->param_mem, m->dec->param_mem, m->dec->num_params * sizeof(float)) == 0);
    nn_free(d);
    /* optimiser state of both sets: one step, save, load into a fresh state, same moments and step */
    opt_hparams hp = opt_defaults();
    vl_opt o, o2;
    vl_opt_init(&o, m, &hp);
    float l;
    free(vl_step(m, &b, &l));
    double gn = vl_opt_step(&o, 1e-3f);
    CHECK(gn > 0);
    char path[512];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    REQUIRE(vl_opt_save(&o, path) == 0);
    vl_opt_init(&o2, r, &hp);
    REQUIRE(vl_opt_load(&o2, path) == 0);
    CHECK(o2.dec.step == 1 && o2.enc.step == 1);
    CHECK(memcmp(o2.enc.v, o.enc.v, m->enc->num_params * sizeof(float)) == 0);
    CHECK(memcmp(o2.dec.m, o.dec.m, m->dec->num_params * sizeof(float)) == 0);
    vl_opt_free(&o);
    vl_opt_free(&o2);
    vl_free(r);
    vl_free(m);
    free(b.pix);
}

/* text only: a folder without vision_config loads as a model without encoder that computes what
 * the decoder computes; a joint model on a batch without images is the decoder too; the joint
 * optimiser clips by the norm over both sets */
TEST(vlm_text_only_is_the_decoder) {
    nn_config dc = dec_config(13, 8, 12, 2, 2, 1);
    nn_model *d = nn_new(&dc);
    REQUIRE(d);
    nn_set_threads(d, 2);
    nn_init_random(d, 61, 0.4f);
    const char *dir = tf_tmpdir();
    REQUIRE(nn_save(d, dir) == 0);
    vl_model *v = vl_load(dir);
    REQUIRE_MSG(v, "vl_load: %s", ut_error());
    CHECK(v->enc == NULL && v->image_token_id == -1);
    vl_set_threads(v, 2);
    vl_batch b;
    vl_make_batch(&b, 8);
    for (int i = 0; i < 27; i++) b.in[i] = b.in[i] == PH ? 3 : b.in[i];
    nn_zero_grad(d);
    REQUIRE(nn_forward(d, b.in, b.tg, b.w, 0.0f, 3, 9) == 0);
    REQUIRE(nn_backward(d) == 0);
    vl_zero_grad(v);
    REQUIRE(vl_forward(v, b.in, b.tg, b.w, 0.0f, 3, 9, NULL) == 0);
    REQUIRE(vl_backward(v) == 0);
    CHECK(v->dec->loss == d->loss);
    CHECK(memcmp(v->dec->grad_mem, d->grad_mem, d->num_params * sizeof(float)) == 0);
    CHECK(nn_input_grad(v->dec) == NULL);
    /* an image in a text-only model is refused */
    const float *imgs[3] = {b.pix, NULL, NULL};
    CHECK(vl_forward(v, b.in, b.tg, b.w, 0.0f, 3, 9, imgs) == -1 && strstr(ut_error(), "no vision encoder"));
    /* AdamW of the text-only joint model = AdamW of the decoder */
    opt_hparams hp = opt_defaults();
    hp.clip = 0.01f;
    opt_adamw od;
    vl_opt ov;
    opt_init(&od, d, &hp);
    vl_opt_init(&ov, v, &hp);
    CHECK(opt_step(&od, 1e-2f) == vl_opt_step(&ov, 1e-2f));
    CHECK(memcmp(v->dec->param_mem, d->param_mem, d->num_params * sizeof(float)) == 0);
    opt_free(&od);
    vl_opt_free(&ov);
    /* the joint model on a text-only batch: the same loss as its decoder alone */
    vl_model *j = vl_small(2);
    nn_model *alone = nn_new(&j->dec->cfg);
    nn_set_threads(alone, 2);
    memcpy(alone->param_mem, j->dec->param_mem, alone->num_params * sizeof(float));
    REQUIRE(vl_forward(j, b.in, b.tg, b.w, 0.0f, 3, 9, NULL) == 0);
    REQUIRE(nn_forward(alone, b.in, b.tg, b.w, 0.0f, 3, 9) == 0);
    CHECK(j->dec->loss == alone->loss);
    /* joint clipping: the norm is over both sets */
    vl_batch bi;
    vl_make_batch(&bi, 8);
    float l;
    free(vl_step(j, &bi, &l));
    double nd = opt_grad_norm(j->dec), ne = 0.0;
    for (size_t i = 0; i < j->enc->num_params; i++) ne += (double)j->enc->grad_mem[i] * j->enc->grad_mem[i];
    CHECK(ne > 0);
    vl_opt oj;
    vl_opt_init(&oj, j, &hp);
    CHECK_REL(vl_opt_step(&oj, 1e-3f), sqrt(nd * nd + ne), 1e-6);
    vl_opt_free(&oj);
    nn_free(alone);
    vl_free(j);
    free(bi.pix);
    free(b.pix);
    vl_free(v);
    nn_free(d);
}

TEST(vit_errors) {
    vt_config c;
    CHECK(vt_config_parse(&c, "{\"image_size\":128,\"patch_size\":8,\"hidden_size\":64,\"intermediate_size\":96,"
                              "\"depth\":2,\"num_heads\":4,\"out_hidden_size\":32}") == 0);
    CHECK(c.num_patches == 256 && c.num_tokens == 64 && c.head_dim == 16 && c.rms_norm_eps == 1e-6f);
    char *js = vt_config_to_json(&c);
    vt_config c2;
    CHECK(vt_config_parse(&c2, js) == 0 && memcmp(&c, &c2, sizeof c) == 0);
    free(js);
    const char *bad[][2] = {
        {"{\"image_size\":120,\"patch_size\":8,\"hidden_size\":64,\"intermediate_size\":96,\"depth\":2,\"num_heads\":4,\"out_hidden_size\":32}",
         "multiple of 2 * patch_size"},
        {"{\"image_size\":128,\"patch_size\":8,\"hidden_size\":64,\"intermediate_size\":96,\"depth\":2,\"num_heads\":5,\"out_hidden_size\":32}",
         "num_heads 5 must divide"},
        {"{\"image_size\":128,\"patch_size\":8,\"hidden_size\":64,\"intermediate_size\":96,\"depth\":2,\"num_heads\":4}",
         "missing key \"out_hidden_size\""},
        {"{\"image_size\":128,\"patch_size\":8,\"hidden_size\":64,\"intermediate_size\":96,\"depth\":2,\"num_heads\":4,\"out_hidden_size\":32,\"spatial_merge_size\":3}",
         "spatial_merge_size 3"},
        {"{\"image_size\":512,\"patch_size\":2,\"hidden_size\":64,\"intermediate_size\":96,\"depth\":2,\"num_heads\":4,\"out_hidden_size\":32}",
         "exceed"},
        {"[1]", "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(vt_config_parse(&c, bad[i][0]) == -1 && strstr(ut_error(), bad[i][1]), "case %zu: %s", i, ut_error());
    /* decoder width mismatch, placeholder id outside the vocabulary */
    nn_config dc = dec_config(13, 8, 12, 2, 2, 1);
    vt_config vc = vit_config(8, 2, 8, 12, 2, 2, 6);
    CHECK(vl_new(&dc, &vc, PH) == NULL && strstr(ut_error(), "out_hidden_size 6"));
    vc.out_hidden_size = 8;
    CHECK(vl_new(&dc, &vc, 13) == NULL && strstr(ut_error(), "image_token_id 13"));
    vl_model *m = vl_small(1);
    vl_batch b;
    vl_make_batch(&b, 8);
    CHECK(vt_backward(m->enc, b.pix) == -1 && strstr(ut_error(), "no forward"));
    const float *none[3] = {NULL, NULL, NULL};
    CHECK(vl_forward(m, b.in, b.tg, b.w, 0, 3, 9, none) == -1 && strstr(ut_error(), "row 0 has 4 image placeholder ids"));
    b.in[2] = 0;
    CHECK(vl_forward(m, b.in, b.tg, b.w, 0, 3, 9, b.imgs) == -1 && strstr(ut_error(), "row 0 has an image and 3"));
    b.in[2] = PH;
    b.pix[70] = NAN;
    CHECK(vl_forward(m, b.in, b.tg, b.w, 0, 3, 9, b.imgs) == -1 && strstr(ut_error(), "image 1 pixel (x 6, y 0)"));
    /* input rows outside the batch, repeated, not finite */
    float rows[16] = {0};
    int slots[2] = {30, 1};
    REQUIRE(nn_set_input_rows(m->dec, slots, rows, 2) == 0);
    CHECK(nn_forward(m->dec, b.in, b.tg, NULL, 0, 3, 9) == -1 && strstr(ut_error(), "outside the batch"));
    slots[0] = 1;
    REQUIRE(nn_set_input_rows(m->dec, slots, rows, 2) == 0);
    CHECK(nn_forward(m->dec, b.in, b.tg, NULL, 0, 3, 9) == -1 && strstr(ut_error(), "same token 1"));
    rows[3] = INFINITY;
    CHECK(nn_set_input_rows(m->dec, slots, rows, 2) == -1 && strstr(ut_error(), "not finite"));
    /* a config.json with vision_config but no image_token_id */
    const char *dir = tf_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/config.json", dir);
    const char *cfg = "{\"vocab_size\":13,\"hidden_size\":8,\"intermediate_size\":12,\"num_hidden_layers\":1,"
                      "\"num_attention_heads\":2,\"vision_config\":{\"image_size\":8,\"patch_size\":2,\"hidden_size\":8,"
                      "\"intermediate_size\":12,\"depth\":1,\"num_heads\":2,\"out_hidden_size\":8}}";
    REQUIRE(ut_write_atomic(path, cfg, strlen(cfg)) == 0);
    CHECK(vl_load(dir) == NULL && strstr(ut_error(), "image_token_id"));
    free(b.pix);
    vl_free(m);
}
