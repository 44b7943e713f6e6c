/* nn.c - Qwen2 decoder: config, parameter layout, forward and backward (see nn.h). */
#include "ml/nn.h"

#include <cblas.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "ml/gemm.h"
#include "ml/nn_int.h"

/* default rows per work chunk: token rows (large: each chunk re-packs the weight matrix) and
 * weight rows of a weight-gradient product */
enum { NN_TOKEN_ROWS = 512, NN_WEIGHT_ROWS = 256 };

void nn_set_threads(nn_model *m, int n) { m->exec.threads = n > 0 ? n : 0; }

int nn_threads(const nn_model *m) { return m->exec.threads > 0 ? m->exec.threads : omp_get_num_procs(); }

void nn_set_chunk_rows(nn_model *m, int token_rows, int weight_rows) {
    m->exec.token_rows = token_rows > 0 ? token_rows : NN_TOKEN_ROWS;
    m->exec.weight_rows = weight_rows > 0 ? weight_rows : NN_WEIGHT_ROWS;
}

/* m's settings with the thread count resolved (nn_set_chunk_rows keeps the chunk sizes
 * positive): what a forward and its backward run with */
static nn_exec nn_exec_resolved(const nn_model *m) {
    nn_exec e = {nn_threads(m), m->exec.token_rows, m->exec.weight_rows, m->exec.bf16, m->exec.recompute};
    return e;
}

int nn_set_bf16(nn_model *m, int on) {
    if (on && !gm_has_bf16())
        return ut_fail("bf16: bfloat16 products need AVX512_BF16 (vdpbf16ps), not available here; train in float32");
    m->exec.bf16 = on != 0;
    return 0;
}

void nn_set_recompute(nn_model *m, int on) { m->exec.recompute = on != 0; }

/* token rows of one loss-head block: 4 token-row chunks (2048 rows by default, so a block's
 * logits are 32 MB at V = 4096) */
static int nn_head_rows_of(const nn_exec *e) { return 4 * e->token_rows; }

int nn_head_rows(const nn_model *m) { return nn_head_rows_of(&m->exec); }

void nn_blas_one_thread(void) {
    if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
}

/* ------------------------------------------------------------------ config */

static int nn_json_int(const cJSON *o, const char *key, int def, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (def < 0) return ut_fail("config: missing key \"%s\"", key);
        *out = def;
        return 0;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 1e9)
        return ut_fail("config: \"%s\" must be an integer", key);
    *out = (int)v->valuedouble;
    return 0;
}

static int nn_json_float(const cJSON *o, const char *key, double def, float *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        *out = (float)def;
        return 0;
    }
    if (!cJSON_IsNumber(v)) return ut_fail("config: \"%s\" must be a number", key);
    *out = (float)v->valuedouble;
    return 0;
}

int nn_config_validate(nn_config *c) {
    if (c->vocab_size < 1 || c->vocab_size > 10000000) return ut_fail("config: vocab_size %d out of range", c->vocab_size);
    if (c->hidden_size < 2 || c->hidden_size > 65536) return ut_fail("config: hidden_size %d out of range", c->hidden_size);
    if (c->intermediate_size < 1 || c->intermediate_size > 1 << 20)
        return ut_fail("config: intermediate_size %d out of range", c->intermediate_size);
    if (c->num_hidden_layers < 1 || c->num_hidden_layers > 1000)
        return ut_fail("config: num_hidden_layers %d out of range", c->num_hidden_layers);
    if (c->num_attention_heads < 1 || c->hidden_size % c->num_attention_heads)
        return ut_fail("config: num_attention_heads %d must divide hidden_size %d", c->num_attention_heads, c->hidden_size);
    if (c->num_key_value_heads < 1 || c->num_attention_heads % c->num_key_value_heads)
        return ut_fail("config: num_key_value_heads %d must divide num_attention_heads %d", c->num_key_value_heads,
                       c->num_attention_heads);
    c->head_dim = c->hidden_size / c->num_attention_heads;
    if (c->head_dim % 2) return ut_fail("config: head dimension %d must be even for RoPE", c->head_dim);
    if (c->max_position_embeddings < 1 || c->max_position_embeddings > 1 << 20)
        return ut_fail("config: max_position_embeddings %d out of range", c->max_position_embeddings);
    if (!(c->rope_theta > 0) || !isfinite(c->rope_theta)) return ut_fail("config: rope_theta must be positive");
    if (!(c->rms_norm_eps >= 0) || !isfinite(c->rms_norm_eps)) return ut_fail("config: rms_norm_eps must be >= 0");
    c->tie_word_embeddings = c->tie_word_embeddings != 0;
    return 0;
}

int nn_config_parse(nn_config *c, const char *json) {
    memset(c, 0, sizeof *c);
    cJSON *o = cJSON_Parse(json);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return ut_fail("config: not a JSON object");
    }
    int rc = 0;
    rc |= nn_json_int(o, "vocab_size", -1, &c->vocab_size);
    rc |= rc ? 0 : nn_json_int(o, "hidden_size", -1, &c->hidden_size);
    rc |= rc ? 0 : nn_json_int(o, "intermediate_size", -1, &c->intermediate_size);
    rc |= rc ? 0 : nn_json_int(o, "num_hidden_layers", -1, &c->num_hidden_layers);
    rc |= rc ? 0 : nn_json_int(o, "num_attention_heads", -1, &c->num_attention_heads);
    rc |= rc ? 0 : nn_json_int(o, "num_key_value_heads", c->num_attention_heads, &c->num_key_value_heads);
    rc |= rc ? 0 : nn_json_int(o, "max_position_embeddings", 2048, &c->max_position_embeddings);
    rc |= rc ? 0 : nn_json_float(o, "rope_theta", 10000.0, &c->rope_theta);
    rc |= rc ? 0 : nn_json_float(o, "rms_norm_eps", 1e-6, &c->rms_norm_eps);
    if (!rc) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "tie_word_embeddings");
        if (t && !cJSON_IsBool(t) && !cJSON_IsNull(t)) rc = ut_fail("config: \"tie_word_embeddings\" must be true or false");
        c->tie_word_embeddings = t && cJSON_IsTrue(t);
    }
    cJSON_Delete(o);
    if (rc) return -1;
    return nn_config_validate(c);
}

int nn_config_load(nn_config *c, const char *path) {
    char *text = ut_read_file(path, NULL);
    if (!text) return -1;
    int rc = nn_config_parse(c, text);
    free(text);
    if (rc) return ut_fail("%s: %s", path, ut_error());
    return 0;
}

char *nn_config_to_json(const nn_config *c) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model_type", "qwen2");
    cJSON *arch = cJSON_AddArrayToObject(o, "architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString("Qwen2ForCausalLM"));
    cJSON_AddNumberToObject(o, "vocab_size", c->vocab_size);
    cJSON_AddNumberToObject(o, "hidden_size", c->hidden_size);
    cJSON_AddNumberToObject(o, "intermediate_size", c->intermediate_size);
    cJSON_AddNumberToObject(o, "num_hidden_layers", c->num_hidden_layers);
    cJSON_AddNumberToObject(o, "num_attention_heads", c->num_attention_heads);
    cJSON_AddNumberToObject(o, "num_key_value_heads", c->num_key_value_heads);
    cJSON_AddNumberToObject(o, "max_position_embeddings", c->max_position_embeddings);
    cJSON_AddNumberToObject(o, "rope_theta", c->rope_theta);
    cJSON_AddNumberToObject(o, "rms_norm_eps", c->rms_norm_eps);
    cJSON_AddBoolToObject(o, "tie_word_embeddings", c->tie_word_embeddings);
    cJSON_AddStringToObject(o, "hidden_act", "silu");
    cJSON_AddStringToObject(o, "torch_dtype", "float32");
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    return s;
}

int nn_config_save(const nn_config *c, const char *path) {
    char *s = nn_config_to_json(c);
    int rc = ut_write_atomic(path, s, strlen(s));
    free(s);
    return rc;
}

/* ------------------------------------------------------------------ parameters */

/* sizes used everywhere: D, Q = H*hd, K = KV*hd, QKV = Q + 2K, F */
typedef struct {
    int V, D, F, L, H, KV, hd, Q, K, QKV;
} nn_dims;

static nn_dims nn_dims_of(const nn_config *c) {
    nn_dims d;
    d.V = c->vocab_size;
    d.D = c->hidden_size;
    d.F = c->intermediate_size;
    d.L = c->num_hidden_layers;
    d.H = c->num_attention_heads;
    d.KV = c->num_key_value_heads;
    d.hd = c->head_dim;
    d.Q = d.H * d.hd;
    d.K = d.KV * d.hd;
    d.QKV = d.Q + 2 * d.K;
    return d;
}

static void nn_add_tensor(nn_model *m, int *cap, const char *name, size_t offset, int rows, int cols, int decay) {
    nn_tensor *t = UT_PUSH(m->tensors, m->num_tensors, *cap);
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = cols > 0 ? 2 : 1;
    t->shape[0] = rows;
    t->shape[1] = cols > 0 ? cols : 0;
    t->numel = (size_t)rows * (size_t)(cols > 0 ? cols : 1);
    t->offset = offset;
    t->decay = decay;
}

/* Lays out the views of one allocation; returns the number of floats. */
static size_t nn_layout(const nn_config *c, float *base, nn_params *p) {
    nn_dims d = nn_dims_of(c);
    size_t L = (size_t)d.L, off = 0;
    size_t sz[10] = {(size_t)d.V * d.D, L * d.D, L * d.QKV * d.D, L * d.QKV, L * d.D * d.Q,
                     L * d.D, L * 2 * d.F * d.D, L * d.D * d.F, (size_t)d.D,
                     c->tie_word_embeddings ? 0 : (size_t)d.V * d.D};
    float **views[10] = {&p->embed, &p->ln1, &p->wqkv, &p->bqkv, &p->wo, &p->ln2, &p->wgu, &p->wdown, &p->norm, &p->lm_head};
    for (int i = 0; i < 10; i++) {
        *views[i] = base ? base + off : NULL;
        off += sz[i];
    }
    if (c->tie_word_embeddings) p->lm_head = p->embed;
    return off;
}

static void nn_build_tensors(nn_model *m) {
    nn_dims d = nn_dims_of(&m->cfg);
    int cap = 0;
    char name[96];
    const float *b = m->param_mem;
#define OFF(ptr) ((size_t)((ptr) - b))
    nn_add_tensor(m, &cap, "model.embed_tokens.weight", OFF(m->params.embed), d.V, d.D, 1);
    for (int l = 0; l < d.L; l++) {
        const float *wqkv = m->params.wqkv + (size_t)l * d.QKV * d.D, *bqkv = m->params.bqkv + (size_t)l * d.QKV;
        const float *wgu = m->params.wgu + (size_t)l * 2 * d.F * d.D;
        struct {
            const char *suffix;
            const float *ptr;
            int rows, cols, decay;
        } items[] = {
            {"input_layernorm.weight", m->params.ln1 + (size_t)l * d.D, d.D, 0, 0},
            {"self_attn.q_proj.weight", wqkv, d.Q, d.D, 1},
            {"self_attn.q_proj.bias", bqkv, d.Q, 0, 0},
            {"self_attn.k_proj.weight", wqkv + (size_t)d.Q * d.D, d.K, d.D, 1},
            {"self_attn.k_proj.bias", bqkv + d.Q, d.K, 0, 0},
            {"self_attn.v_proj.weight", wqkv + (size_t)(d.Q + d.K) * d.D, d.K, d.D, 1},
            {"self_attn.v_proj.bias", bqkv + d.Q + d.K, d.K, 0, 0},
            {"self_attn.o_proj.weight", m->params.wo + (size_t)l * d.D * d.Q, d.D, d.Q, 1},
            {"post_attention_layernorm.weight", m->params.ln2 + (size_t)l * d.D, d.D, 0, 0},
            {"mlp.gate_proj.weight", wgu, d.F, d.D, 1},
            {"mlp.up_proj.weight", wgu + (size_t)d.F * d.D, d.F, d.D, 1},
            {"mlp.down_proj.weight", m->params.wdown + (size_t)l * d.D * d.F, d.D, d.F, 1},
        };
        for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
            snprintf(name, sizeof name, "model.layers.%d.%s", l, items[i].suffix);
            nn_add_tensor(m, &cap, name, OFF(items[i].ptr), items[i].rows, items[i].cols, items[i].decay);
        }
    }
    nn_add_tensor(m, &cap, "model.norm.weight", OFF(m->params.norm), d.D, 0, 0);
    if (!m->cfg.tie_word_embeddings) nn_add_tensor(m, &cap, "lm_head.weight", OFF(m->params.lm_head), d.V, d.D, 1);
#undef OFF
}

const nn_tensor *nn_find_tensor(const nn_model *m, const char *name) {
    for (int i = 0; i < m->num_tensors; i++)
        if (!strcmp(m->tensors[i].name, name)) return &m->tensors[i];
    return NULL;
}

/* (re)computes m's rotary tables for positions [0, max_position_embeddings) */
static void nn_rope_tables(nn_model *m) {
    int hd2 = m->cfg.head_dim / 2, P = m->cfg.max_position_embeddings;
    free(m->rope_cos);
    free(m->rope_sin);
    m->rope_cos = ut_malloc((size_t)P * hd2 * sizeof(float));
    m->rope_sin = ut_malloc((size_t)P * hd2 * sizeof(float));
    for (int i = 0; i < hd2; i++) {
        /* same arithmetic as HF: inv_freq in float32, angle = pos * inv_freq in float32 */
        float inv = (float)(1.0 / pow((double)m->cfg.rope_theta, (double)(2 * i) / m->cfg.head_dim));
        for (int t = 0; t < P; t++) {
            float ang = (float)t * inv;
            m->rope_cos[(size_t)t * hd2 + i] = (float)cos((double)ang);
            m->rope_sin[(size_t)t * hd2 + i] = (float)sin((double)ang);
        }
    }
}

nn_model *nn_new(const nn_config *cfg) {
    nn_config c = *cfg;
    if (nn_config_validate(&c)) return NULL;
    nn_model *m = ut_calloc(1, sizeof *m);
    m->cfg = c;
    nn_set_threads(m, 0);
    nn_set_chunk_rows(m, 0, 0);
    nn_params tmp;
    m->num_params = nn_layout(&c, NULL, &tmp);
    m->param_mem = ut_calloc(m->num_params, sizeof(float));
    m->grad_mem = ut_calloc(m->num_params, sizeof(float));
    nn_layout(&c, m->param_mem, &m->params);
    nn_layout(&c, m->grad_mem, &m->grads);
    nn_build_tensors(m);
    nn_rope_tables(m);
    m->loss = NAN;
    return m;
}

int nn_set_context(nn_model *m, int positions) {
    if (positions < 1 || positions > 1 << 20)
        return ut_fail("context %d out of range [1, %d]", positions, 1 << 20);
    m->cfg.max_position_embeddings = positions;
    nn_rope_tables(m);
    return 0;
}

void nn_free(nn_model *m) {
    if (!m) return;
    free(m->param_mem);
    free(m->grad_mem);
    free(m->tensors);
    free(m->acts.mem);
    free(m->rope_cos);
    free(m->rope_sin);
    free(m->inputs);
    free(m->targets);
    free(m->weights);
    free(m->in.slot);
    free(m->in.rows);
    free(m->in.map);
    free(m->in.grad);
    free(m);
}

void nn_init_random(nn_model *m, uint64_t seed, float std) {
    ut_rng r;
    ut_rng_seed(&r, seed);
    for (int i = 0; i < m->num_tensors; i++) {
        const nn_tensor *t = &m->tensors[i];
        float *p = m->param_mem + t->offset;
        int is_norm = strstr(t->name, "norm") != NULL;
        for (size_t j = 0; j < t->numel; j++) p[j] = t->ndim == 2 ? std * (float)ut_rng_normal(&r) : is_norm ? 1.0f : 0.0f;
    }
}

void nn_zero_grad(nn_model *m) { memset(m->grad_mem, 0, m->num_params * sizeof(float)); }

double nn_train_flops(const nn_config *c, int B, int T) {
    nn_dims d = nn_dims_of(c);
    double N = (double)B * T;
    double per_tok = (double)d.L * ((double)d.D * d.QKV + (double)d.Q * d.D + 3.0 * d.D * d.F) + (double)d.V * d.D;
    double lin = 6.0 * N * per_tok; /* forward 2 flops per MAC, backward twice that */
    /* attention: q k^T and p v, causal half, forward 2 products, backward 4 */
    double att = 6.0 * 2.0 * (double)B * d.H * ((double)T * (T + 1) / 2.0) * d.hd * d.L;
    return lin + att;
}

static void nn_gemm_push(nn_gemm_shape *out, int cap, int *n, const char *what, int ta, int tb, int M, int N, int K,
                         int acc, long count) {
    if (out && *n < cap) {
        nn_gemm_shape s = {ta, tb, M, N, K, acc, count, what};
        out[*n] = s;
    }
    (*n)++;
}

int nn_step_gemms(const nn_config *c, int B, int T, nn_gemm_shape *out, int cap) {
    nn_dims d = nn_dims_of(c);
    int n = 0, N = B * T;
    long L = d.L, heads = (long)B * d.H * L;
    /* forward (nn_forward) */
    nn_gemm_push(out, cap, &n, "fwd qkv", 0, 1, N, d.QKV, d.D, 0, L);
    nn_gemm_push(out, cap, &n, "fwd o_proj", 0, 1, N, d.D, d.Q, 0, L);
    nn_gemm_push(out, cap, &n, "fwd gate/up", 0, 1, N, 2 * d.F, d.D, 0, L);
    nn_gemm_push(out, cap, &n, "fwd down", 0, 1, N, d.D, d.F, 0, L);
    nn_gemm_push(out, cap, &n, "fwd lm_head", 0, 1, N, d.V, d.D, 0, 1);
    for (int r0 = 0; r0 < T; r0 += NN_ATT_BS) { /* nn_attn_fwd_task */
        int r1 = r0 + NN_ATT_BS < T ? r0 + NN_ATT_BS : T, nr = r1 - r0;
        nn_gemm_push(out, cap, &n, "fwd att q k^T", 0, 1, nr, r1, d.hd, 0, heads);
        nn_gemm_push(out, cap, &n, "fwd att p v", 0, 0, nr, d.hd, r1, 0, heads);
    }
    /* backward (nn_backward) */
    nn_gemm_push(out, cap, &n, "bwd dW lm_head", 1, 0, d.V, d.D, N, 1, 1);
    nn_gemm_push(out, cap, &n, "bwd dX lm_head", 0, 0, N, d.D, d.V, 0, 1);
    nn_gemm_push(out, cap, &n, "bwd dX down", 0, 0, N, d.F, d.D, 0, L);
    nn_gemm_push(out, cap, &n, "bwd dW down", 1, 0, d.D, d.F, N, 1, L);
    nn_gemm_push(out, cap, &n, "bwd dX gate/up", 0, 0, N, d.D, 2 * d.F, 0, L);
    nn_gemm_push(out, cap, &n, "bwd dW gate/up", 1, 0, 2 * d.F, d.D, N, 1, L);
    nn_gemm_push(out, cap, &n, "bwd dX o_proj", 0, 0, N, d.Q, d.D, 0, L);
    nn_gemm_push(out, cap, &n, "bwd dW o_proj", 1, 0, d.D, d.Q, N, 1, L);
    for (int r0 = 0; r0 < T; r0 += NN_ATT_BS) { /* nn_attn_bwd_task */
        int r1 = r0 + NN_ATT_BS < T ? r0 + NN_ATT_BS : T, nr = r1 - r0;
        nn_gemm_push(out, cap, &n, "bwd att dP", 0, 1, nr, r1, d.hd, 0, heads);
        nn_gemm_push(out, cap, &n, "bwd att dV", 1, 0, r1, d.hd, nr, 1, heads);
        nn_gemm_push(out, cap, &n, "bwd att dQ", 0, 0, nr, d.hd, r1, 0, heads);
        nn_gemm_push(out, cap, &n, "bwd att dK", 1, 0, r1, d.hd, nr, 1, heads);
    }
    nn_gemm_push(out, cap, &n, "bwd dX qkv", 0, 0, N, d.D, d.QKV, 0, L);
    nn_gemm_push(out, cap, &n, "bwd dW qkv", 1, 0, d.QKV, d.D, N, 1, L);
    return n;
}

double nn_step_gemm_flops(const nn_gemm_shape *s, int n) {
    double f = 0.0;
    for (int i = 0; i < n; i++) f += 2.0 * s[i].M * (double)s[i].N * s[i].K * (double)s[i].count;
    return f;
}

/* ------------------------------------------------------------------ small kernels */

float nn_rmsnorm_row(float *out, const float *x, const float *w, int n, float eps) {
    float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
    for (int i = 0; i < n; i++) ss += x[i] * x[i];
    float r = 1.0f / sqrtf(ss / (float)n + eps);
#pragma omp simd
    for (int i = 0; i < n; i++) out[i] = x[i] * r * w[i];
    return r;
}

void nn_rope_row(float *x, int hd, const float *c, const float *s) {
    int h2 = hd / 2;
#pragma omp simd
    for (int i = 0; i < h2; i++) {
        float a = x[i], b = x[i + h2];
        x[i] = a * c[i] - b * s[i];
        x[i + h2] = b * c[i] + a * s[i];
    }
}

/* C (M,N) = alpha * op(A) op(B) + beta * C, row-major, on the calling thread */
static void nn_gemm1(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
                     float beta, float *C, int ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B,
                ldb, beta, C, ldc);
}

/* ------------------------------------------------------------------ parallel jobs
 *
 * One OpenMP region runs a list of jobs, each cut into chunks of rows that threads take
 * dynamically. A job is an optional matrix product, split over the rows of C (each chunk one
 * single-threaded sgemm call; OpenBLAS itself always runs with one thread, so nothing nests),
 * followed by an optional epilogue on the same rows (bias, RoPE, residual add, RMSNorm, SwiGLU,
 * loss...), which runs while those rows are still in cache. Independent products (the input
 * gradient and the weight gradient of a layer) share one region, so a step has few barriers.
 * Chunk sizes (nn_model.exec, fixed for a forward and its backward) do not depend on the thread
 * count, so per-chunk partial sums (norm-weight and bias gradients) are added in the same order
 * for every thread count: results do not depend on the thread count.
 */

typedef void (*nn_epi)(void *ctx, int i0, int i1, int chunk);

typedef struct {
    int gemm, ta, tb, M, N, K, lda, ldb, ldc;
    float alpha, beta;
    const float *A, *B;
    float *C;
    int rows, per;
    nn_epi epi;
    void *ctx;
} nn_job;

static nn_job nn_gemm_job(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta,
                          float *C, int ldc, int per, nn_epi epi, void *ctx) {
    nn_job j = {1, ta, tb, M, N, K, lda, ldb, ldc, 1.0f, beta, A, B, C, M, per, epi, ctx};
    return j;
}

static nn_job nn_rows_job(int rows, int per, nn_epi epi, void *ctx) {
    nn_job j;
    memset(&j, 0, sizeof j);
    j.rows = rows;
    j.per = per;
    j.epi = epi;
    j.ctx = ctx;
    return j;
}

static int nn_chunks(int rows, int per) { return (rows + per - 1) / per; }

/* one chunk's product, rows [i0, i1) of C. Float32: OpenBLAS (our float32 kernels are not
 * faster at any shape of the step). bfloat16 runs: the products of activations with weights
 * (forward, and the input gradients) in bfloat16; the weight gradients (ta: a sum over all the
 * token rows, K = B*T) stay float32 through OpenBLAS, which is faster there (the bf16 path
 * re-packs both long operands) and keeps the long sums exact to float32. The table:
 * docs/engine.md, build/bench/bench_gemm. */
static void nn_job_gemm(const nn_job *jb, int i0, int i1, int bf16) {
    const float *A = jb->ta ? jb->A + i0 : jb->A + (size_t)i0 * jb->lda;
    float *C = jb->C + (size_t)i0 * jb->ldc;
    if (bf16 && !jb->ta)
        gm_bgemm(jb->ta, jb->tb, i1 - i0, jb->N, jb->K, jb->alpha, A, jb->lda, jb->B, jb->ldb, jb->beta, C, jb->ldc);
    else nn_gemm1(jb->ta, jb->tb, i1 - i0, jb->N, jb->K, jb->alpha, A, jb->lda, jb->B, jb->ldb, jb->beta, C, jb->ldc);
}

/* work of one chunk of job j, to hand out the largest chunks first */
static double nn_job_cost(const nn_job *jb) { return jb->gemm ? (double)jb->per * jb->N * jb->K : (double)jb->per; }

/* runs the jobs' chunks on run->threads threads, the jobs with the largest chunks first (a single
 * large weight-gradient chunk taken last would leave the other threads idle) */
static void nn_run(const nn_job *jobs, int nj, const nn_exec *run) {
    int order[8], start[8], total = 0;
    for (int j = 0; j < nj; j++) {
        int k = j;
        while (k > 0 && nn_job_cost(&jobs[order[k - 1]]) < nn_job_cost(&jobs[j])) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = j;
    }
    for (int o = 0; o < nj; o++) {
        start[o] = total;
        total += nn_chunks(jobs[order[o]].rows, jobs[order[o]].per);
    }
    const int bf16 = run->bf16;
#pragma omp parallel for schedule(dynamic, 1) num_threads(run->threads)
    for (int t = 0; t < total; t++) {
        int o = nj - 1;
        while (start[o] > t) o--;
        const nn_job *jb = &jobs[order[o]];
        int ch = t - start[o], i0 = ch * jb->per, i1 = i0 + jb->per < jb->rows ? i0 + jb->per : jb->rows;
        if (jb->gemm) nn_job_gemm(jb, i0, i1, bf16);
        if (jb->epi) jb->epi(jb->ctx, i0, i1, ch);
    }
}

/* sum of per-chunk partials (nchunk, n) into out (n), in chunk order */
static void nn_reduce(float *out, const float *part, int nchunk, int n) {
    for (int c = 0; c < nchunk; c++)
        for (int j = 0; j < n; j++) out[j] += part[(size_t)c * n + j];
}

/* rmsnorm backward of one row: dx (+)= r*dy*w - x * r^3/D * sum(dy*w*x); pw += dy*x*r */
static void nn_rmsnorm_bwd_row(float *dx, float *pw, const float *dy, const float *x, float r, const float *w, int D,
                               int assign) {
    float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
    for (int j = 0; j < D; j++) dot += dy[j] * w[j] * x[j];
    float k = dot * r * r * r / (float)D;
    if (assign) {
#pragma omp simd
        for (int j = 0; j < D; j++) dx[j] = r * dy[j] * w[j] - k * x[j];
    } else {
#pragma omp simd
        for (int j = 0; j < D; j++) dx[j] += r * dy[j] * w[j] - k * x[j];
    }
#pragma omp simd
    for (int j = 0; j < D; j++) pw[j] += dy[j] * x[j] * r;
}

/* everything an epilogue may need for the current layer */
typedef struct {
    nn_model *m;
    nn_dims d;
    int T, l;
    const int *inputs;
    float *x, *ln1, *rstd1, *qkv, *mid, *ln2, *rstd2, *gu, *act, *xout;
    float *att, *atto;   /* the layer's attention log-sum-exp (B, H, T) and output (N, Q) */
    float *part, *part2; /* (chunks, D) and (chunks, QKV) partial sums */
    /* the loss head's current block: its first token row, first chunk, and logits row 0 */
    int row0, ch0;
    float *logits;
} nn_ctx;

/* where layer l's activations sit in the per-layer arrays: its own slot, or the single slot
 * that recomputation reuses for every layer */
static size_t nn_slot(const nn_acts *a, int l) { return a->run.recompute ? 0 : (size_t)l; }

static void nn_ctx_layer(nn_ctx *c, int l) {
    nn_acts *a = &c->m->acts;
    const nn_dims *d = &c->d;
    size_t N = (size_t)a->B * a->T, s = nn_slot(a, l);
    c->l = l;
    c->x = a->res + (size_t)l * N * d->D;
    c->xout = a->res + (size_t)(l + 1) * N * d->D;
    c->ln1 = a->ln1 + s * N * d->D;
    c->rstd1 = a->rstd1 + s * N;
    c->qkv = a->qkv + s * N * d->QKV;
    c->mid = a->mid + s * N * d->D;
    c->ln2 = a->ln2 + s * N * d->D;
    c->rstd2 = a->rstd2 + s * N;
    c->gu = a->gu + s * N * 2 * d->F;
    c->act = a->act + s * N * d->F;
    c->att = a->att_lse + s * N * d->H;
    c->atto = a->atto + s * N * d->Q;
}

/* ---- forward epilogues ---- */

static void nn_epi_embed(void *vc, int i0, int i1, int ch) {
    (void)ch;
    nn_ctx *c = vc;
    const nn_params *p = &c->m->params;
    const nn_inrows *in = &c->m->in;
    int D = c->d.D;
    for (int i = i0; i < i1; i++) {
        int r = in->fwd_n ? in->map[i] : -1;
        const float *src = r >= 0 ? in->rows + (size_t)r * D : p->embed + (size_t)c->inputs[i] * D;
        memcpy(c->x + (size_t)i * D, src, D * sizeof(float));
        c->rstd1[i] = nn_rmsnorm_row(c->ln1 + (size_t)i * D, c->x + (size_t)i * D, p->ln1, D, c->m->cfg.rms_norm_eps);
    }
}

static void nn_epi_qkv(void *vc, int i0, int i1, int ch) {
    (void)ch;
    nn_ctx *c = vc;
    const nn_dims *d = &c->d;
    const float *bq = c->m->params.bqkv + (size_t)c->l * d->QKV;
    int hd2 = d->hd / 2;
    for (int i = i0; i < i1; i++) {
        float *row = c->qkv + (size_t)i * d->QKV;
        int t = i % c->T;
#pragma omp simd
        for (int j = 0; j < d->QKV; j++) row[j] += bq[j];
        const float *cs = c->m->rope_cos + (size_t)t * hd2, *sn = c->m->rope_sin + (size_t)t * hd2;
        for (int h = 0; h < d->H + d->KV; h++) nn_rope_row(row + (size_t)h * d->hd, d->hd, cs, sn);
    }
}

static void nn_epi_attn_out(void *vc, int i0, int i1, int ch) {
    (void)ch;
    nn_ctx *c = vc;
    int D = c->d.D;
    const float *w = c->m->params.ln2 + (size_t)c->l * D;
    for (int i = i0; i < i1; i++) {
        float *mr = c->mid + (size_t)i * D;
        const float *xr = c->x + (size_t)i * D;
#pragma omp simd
        for (int j = 0; j < D; j++) mr[j] += xr[j];
        c->rstd2[i] = nn_rmsnorm_row(c->ln2 + (size_t)i * D, mr, w, D, c->m->cfg.rms_norm_eps);
    }
}

static void nn_epi_swiglu(void *vc, int i0, int i1, int ch) {
    (void)ch;
    nn_ctx *c = vc;
    int F = c->d.F;
    for (int i = i0; i < i1; i++) {
        const float *gr = c->gu + (size_t)i * 2 * F, *ur = gr + F;
        float *ar = c->act + (size_t)i * F;
#pragma omp simd
        for (int j = 0; j < F; j++) ar[j] = gr[j] / (1.0f + nn_expf(-gr[j])) * ur[j];
    }
}

/* xout = mlp + mid, then the next layer's input norm (or the final norm) of the same rows */
static void nn_epi_mlp_out(void *vc, int i0, int i1, int ch) {
    (void)ch;
    nn_ctx *c = vc;
    nn_model *m = c->m;
    int D = c->d.D, last = c->l + 1 == c->d.L;
    size_t N = (size_t)m->acts.B * m->acts.T;
    size_t s = last ? 0 : nn_slot(&m->acts, c->l + 1);
    float *nout = last ? m->acts.lnf : m->acts.ln1 + s * N * D;
    float *rout = last ? m->acts.rstdf : m->acts.rstd1 + s * N;
    const float *w = last ? m->params.norm : m->params.ln1 + (size_t)(c->l + 1) * D;
    for (int i = i0; i < i1; i++) {
        float *xr = c->xout + (size_t)i * D;
        const float *mr = c->mid + (size_t)i * D;
#pragma omp simd
        for (int j = 0; j < D; j++) xr[j] += mr[j];
        rout[i] = nn_rmsnorm_row(nout + (size_t)i * D, xr, w, D, m->cfg.rms_norm_eps);
    }
}

/* log-sum-exp and cross-entropy of logits rows (rows of the head block at c->row0) */
static void nn_epi_loss(void *vc, int i0, int i1, int ch) {
    (void)ch;
    nn_ctx *c = vc;
    nn_acts *a = &c->m->acts;
    int V = c->d.V;
    for (int i = i0; i < i1; i++) {
        const float *row = c->logits + (size_t)i * V;
        size_t gi = (size_t)c->row0 + i;
        float mx = -INFINITY, sum = 0.0f;
        for (int j = 0; j < V; j++) mx = row[j] > mx ? row[j] : mx;
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j < V; j++) sum += nn_expf(row[j] - mx);
        a->lse[gi] = mx + logf(sum);
        int tg = c->m->targets[gi];
        a->tok_loss[gi] = tg >= 0 ? a->lse[gi] - row[tg] : 0.0f;
    }
}

/* the input norm of layer c->l from its residual (recomputation) */
static void nn_epi_norm1(void *vc, int i0, int i1, int ch) {
    (void)ch;
    nn_ctx *c = vc;
    int D = c->d.D;
    const float *w = c->m->params.ln1 + (size_t)c->l * D;
    for (int i = i0; i < i1; i++)
        c->rstd1[i] = nn_rmsnorm_row(c->ln1 + (size_t)i * D, c->x + (size_t)i * D, w, D, c->m->cfg.rms_norm_eps);
}

/* ---- backward epilogues ---- */

/* dlogits in place: w_i/norm * (softmax - onehot) (rows of the head block at c->row0) */
static void nn_epi_dlogits(void *vc, int i0, int i1, int ch) {
    (void)ch;
    nn_ctx *c = vc;
    nn_model *m = c->m;
    int V = c->d.V;
    for (int i = i0; i < i1; i++) {
        size_t gi = (size_t)c->row0 + i;
        float *row = c->logits + (size_t)i * V, w = m->weights[gi], lse = m->acts.lse[gi];
        if (w == 0.0f) {
            memset(row, 0, V * sizeof(float));
            continue;
        }
#pragma omp simd
        for (int j = 0; j < V; j++) row[j] = w * nn_expf(row[j] - lse);
        row[m->targets[gi]] -= w;
    }
}

/* final norm backward of the head block's rows: d lnf (dln) -> d res[L] (dres), norm partials */
static void nn_epi_normf_bwd(void *vc, int i0, int i1, int ch) {
    nn_ctx *c = vc;
    nn_acts *a = &c->m->acts;
    int D = c->d.D;
    const float *x = a->res + (size_t)c->d.L * a->B * a->T * D;
    for (int i = i0 + c->row0; i < i1 + c->row0; i++)
        nn_rmsnorm_bwd_row(a->dres + (size_t)i * D, c->part + (size_t)(c->ch0 + ch) * D, a->dln + (size_t)i * D,
                           x + (size_t)i * D, a->rstdf[i], c->m->params.norm, D, 1);
}

static void nn_epi_swiglu_bwd(void *vc, int i0, int i1, int ch) {
    (void)ch;
    nn_ctx *c = vc;
    nn_acts *a = &c->m->acts;
    int F = c->d.F;
    for (int i = i0; i < i1; i++) {
        const float *gr = c->gu + (size_t)i * 2 * F, *ur = gr + F, *da = a->dact + (size_t)i * F;
        float *dg = a->dgu + (size_t)i * 2 * F, *du = dg + F;
#pragma omp simd
        for (int j = 0; j < F; j++) {
            float s = 1.0f / (1.0f + nn_expf(-gr[j])), silu = gr[j] * s;
            dg[j] = da[j] * ur[j] * s * (1.0f + gr[j] * (1.0f - s));
            du[j] = da[j] * silu;
        }
    }
}

static void nn_epi_norm2_bwd(void *vc, int i0, int i1, int ch) {
    nn_ctx *c = vc;
    nn_acts *a = &c->m->acts;
    int D = c->d.D;
    const float *w = c->m->params.ln2 + (size_t)c->l * D;
    for (int i = i0; i < i1; i++)
        nn_rmsnorm_bwd_row(a->dres + (size_t)i * D, c->part + (size_t)ch * D, a->dln + (size_t)i * D, c->mid + (size_t)i * D,
                           c->rstd2[i], w, D, 0);
}

static void nn_epi_norm1_bwd(void *vc, int i0, int i1, int ch) {
    nn_ctx *c = vc;
    nn_acts *a = &c->m->acts;
    int D = c->d.D;
    const float *w = c->m->params.ln1 + (size_t)c->l * D;
    for (int i = i0; i < i1; i++)
        nn_rmsnorm_bwd_row(a->dres + (size_t)i * D, c->part + (size_t)ch * D, a->dln + (size_t)i * D, c->x + (size_t)i * D,
                           c->rstd1[i], w, D, 0);
}

static void nn_epi_bias_bwd(void *vc, int i0, int i1, int ch) {
    nn_ctx *c = vc;
    int QKV = c->d.QKV;
    float *pb = c->part2 + (size_t)ch * QKV;
    for (int i = i0; i < i1; i++) {
        const float *row = c->m->acts.dqkv + (size_t)i * QKV;
#pragma omp simd
        for (int j = 0; j < QKV; j++) pb[j] += row[j];
    }
}

/* ------------------------------------------------------------------ activations */

/* loss: targets given, so with recomputation the logits are kept for one head block only */
static int nn_acts_alloc(nn_model *m, int B, int T, int loss) {
    nn_dims d = nn_dims_of(&m->cfg);
    nn_exec run = nn_exec_resolved(m); /* the dscratch size depends on the threads and chunk rows */
    size_t N = (size_t)B * T, L = run.recompute ? 1 : (size_t)d.L; /* L: layer slots */
    size_t nth = (size_t)run.threads, HB = (size_t)nn_head_rows_of(&run), lrows = loss && run.recompute && HB < N ? HB : N;
    size_t sizes[] = {
        ((size_t)d.L + 1) * N * d.D,     /* res */
        L * N * d.D,                     /* mid */
        L * N * d.D, L * N * d.D,        /* ln1, ln2 */
        L * N, L * N,                    /* rstd1, rstd2 */
        L * N * d.QKV,                   /* qkv */
        L * N * d.H,                     /* att_lse */
        L * N * d.Q,                     /* atto */
        L * N * 2 * d.F,                 /* gu */
        L * N * d.F,                     /* act */
        N * d.D, N,                      /* lnf, rstdf */
        lrows * d.V, N, N,               /* logits, lse, tok_loss */
        N * d.D, N * d.D, N * d.QKV,     /* dres, dln, dqkv */
        N * d.Q, N * 2 * d.F, N * d.F,   /* datto, dgu, dact */
        nth * nn_attn_scratch(T) + (size_t)nn_chunks((int)N, run.token_rows) * (d.D + d.QKV), /* dscratch */
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) total += sizes[i];
    nn_acts *a = &m->acts;
    if (!a->mem || total > a->cap_N) { /* a smaller batch re-slices the same memory */
        if (total > ((size_t)1 << 36)) return ut_fail("nn: activations for B=%d T=%d need %zu MB", B, T, total * 4 >> 20);
        free(a->mem);
        free(m->inputs);
        free(m->targets);
        free(m->weights);
        a->mem = malloc(total * sizeof(float));
        if (!a->mem) return ut_fail("nn: out of memory for activations (B=%d T=%d, %zu MB)", B, T, total * 4 >> 20);
        a->cap_N = total;
        /* per-token arrays sized for the largest row count this allocation can hold */
        m->inputs = ut_malloc(N * sizeof(int));
        m->targets = ut_malloc(N * sizeof(int));
        m->weights = ut_malloc(N * sizeof(float));
        a->cap_rows = N;
    }
    if (N > a->cap_rows) {
        free(m->inputs);
        free(m->targets);
        free(m->weights);
        m->inputs = ut_malloc(N * sizeof(int));
        m->targets = ut_malloc(N * sizeof(int));
        m->weights = ut_malloc(N * sizeof(float));
        a->cap_rows = N;
    }
    a->B = B;
    a->T = T;
    a->run = run;
    float **views[] = {&a->res, &a->mid, &a->ln1, &a->ln2, &a->rstd1, &a->rstd2, &a->qkv, &a->att_lse, &a->atto, &a->gu,
                       &a->act, &a->lnf, &a->rstdf, &a->logits, &a->lse, &a->tok_loss, &a->dres, &a->dln, &a->dqkv,
                       &a->datto, &a->dgu, &a->dact, &a->dscratch};
    float *p = a->mem;
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
        *views[i] = p;
        p += sizes[i];
    }
    return 0;
}

/* ------------------------------------------------------------------ input rows */

int nn_set_input_rows(nn_model *m, const int *slots, const float *rows, int n) {
    nn_inrows *in = &m->in;
    size_t D = (size_t)m->cfg.hidden_size;
    if (n < 0 || n > (1 << 24)) return ut_fail("nn_set_input_rows: %d rows", n);
    for (int j = 0; j < n; j++) {
        if (slots[j] < 0) return ut_fail("nn_set_input_rows: slot %d of row %d is negative", slots[j], j);
        for (size_t k = 0; k < D; k++)
            if (!isfinite(rows[(size_t)j * D + k])) return ut_fail("nn_set_input_rows: row %d is not finite", j);
    }
    free(in->slot);
    free(in->rows);
    in->slot = NULL;
    in->rows = NULL;
    in->n = n;
    if (!n) return 0;
    in->slot = ut_malloc((size_t)n * sizeof(int));
    in->rows = ut_malloc((size_t)n * D * sizeof(float));
    memcpy(in->slot, slots, (size_t)n * sizeof(int));
    memcpy(in->rows, rows, (size_t)n * D * sizeof(float));
    return 0;
}

const float *nn_input_grad(const nn_model *m) { return m->in.fwd_n ? m->in.grad : NULL; }

/* the token -> input row map of a forward over N tokens (nothing when no rows are set) */
static int nn_input_map(nn_model *m, size_t N) {
    nn_inrows *in = &m->in;
    in->fwd_n = 0;
    if (!in->n) return 0;
    if (N > in->map_cap) {
        free(in->map);
        in->map = ut_malloc(N * sizeof(int));
        in->map_cap = N;
    }
    for (size_t i = 0; i < N; i++) in->map[i] = -1;
    for (int j = 0; j < in->n; j++) {
        if ((size_t)in->slot[j] >= N)
            return ut_fail("nn_forward: input row %d goes to token %d, outside the batch's %zu tokens", j, in->slot[j], N);
        if (in->map[in->slot[j]] >= 0)
            return ut_fail("nn_forward: input rows %d and %d go to the same token %d", in->map[in->slot[j]], j, in->slot[j]);
        in->map[in->slot[j]] = j;
    }
    free(in->grad);
    in->grad = ut_malloc((size_t)in->n * m->cfg.hidden_size * sizeof(float));
    in->fwd_n = in->n;
    return 0;
}

/* ------------------------------------------------------------------ forward */

/* Layer l's forward over the whole batch into its slot (nn_ctx_layer): qkv, attention, o_proj
 * with ln2, gate/up with SwiGLU, and with `down` the down product into res[l+1] (with the next
 * norm). Without `down` (recomputation in the backward, res[l+1] is kept) it first rebuilds the
 * layer's input norm from res[l]. Every product and epilogue runs on the same chunks in both
 * cases, so the recomputed activations are bit-identical to the forward's. */
static void nn_layer_forward(nn_model *m, nn_ctx *cx, int l, int down) {
    nn_acts *a = &m->acts;
    const nn_params *p = &m->params;
    nn_dims d = cx->d;
    const int B = a->B, T = a->T, n = B * T, rows = a->run.token_rows;
    nn_ctx_layer(cx, l);
    if (!down) {
        nn_job j0 = nn_rows_job(n, rows, nn_epi_norm1, cx);
        nn_run(&j0, 1, &a->run);
    }
    /* qkv = ln1 @ wqkv^T, then bias and RoPE */
    nn_job j1 = nn_gemm_job(0, 1, n, d.QKV, d.D, cx->ln1, d.D, p->wqkv + (size_t)l * d.QKV * d.D, d.D, 0.0f, cx->qkv, d.QKV,
                            rows, nn_epi_qkv, cx);
    nn_run(&j1, 1, &a->run);
    /* attention: one task per (batch row, kv head) */
    nn_attn_forward(m, B, T, cx->qkv, cx->att, cx->atto, a->dscratch, a->run.threads);
    /* mid = x + atto @ wo^T, then ln2 */
    nn_job j3 = nn_gemm_job(0, 1, n, d.D, d.Q, cx->atto, d.Q, p->wo + (size_t)l * d.D * d.Q, d.Q, 0.0f, cx->mid, d.D, rows,
                            nn_epi_attn_out, cx);
    nn_run(&j3, 1, &a->run);
    /* gate/up, then SwiGLU */
    nn_job j4 = nn_gemm_job(0, 1, n, 2 * d.F, d.D, cx->ln2, d.D, p->wgu + (size_t)l * 2 * d.F * d.D, d.D, 0.0f, cx->gu,
                            2 * d.F, rows, nn_epi_swiglu, cx);
    nn_run(&j4, 1, &a->run);
    if (!down) return;
    /* xout = mid + act @ wdown^T, then the next norm */
    nn_job j5 = nn_gemm_job(0, 1, n, d.D, d.F, cx->act, d.F, p->wdown + (size_t)l * d.D * d.F, d.F, 0.0f, cx->xout, d.D,
                            rows, nn_epi_mlp_out, cx);
    nn_run(&j5, 1, &a->run);
}

/* logits = lnf @ lm_head^T, with the per-row loss while the rows are in cache (loss: targets
 * given). All rows at once into acts.logits, or with recomputation and a loss one head block
 * at a time into the one-block buffer (the backward recomputes them); the chunks are the same. */
static void nn_head_forward(nn_model *m, nn_ctx *cx, int loss) {
    nn_acts *a = &m->acts;
    nn_dims d = cx->d;
    const int n = a->B * a->T, rows = a->run.token_rows, blocks = a->run.recompute && loss;
    const int hb = blocks ? nn_head_rows_of(&a->run) : n;
    for (int b0 = 0; b0 < n; b0 += hb) {
        int nb = n - b0 < hb ? n - b0 : hb;
        cx->row0 = b0;
        cx->ch0 = b0 / rows;
        cx->logits = blocks ? a->logits : a->logits + (size_t)b0 * d.V;
        nn_job jl = nn_gemm_job(0, 1, nb, d.V, d.D, a->lnf + (size_t)b0 * d.D, d.D, m->params.lm_head, d.D, 0.0f, cx->logits,
                                d.V, rows, loss ? nn_epi_loss : NULL, cx);
        nn_run(&jl, 1, &a->run);
    }
}

int nn_forward(nn_model *m, const int *inputs, const int *targets, const float *weights, float norm, int B, int T) {
    const nn_config *c = &m->cfg;
    nn_dims d = nn_dims_of(c);
    if (B < 1 || T < 1) return ut_fail("nn_forward: empty batch (B=%d, T=%d)", B, T);
    if (T > c->max_position_embeddings)
        return ut_fail("nn_forward: sequence length %d exceeds max_position_embeddings %d", T, c->max_position_embeddings);
    size_t N = (size_t)B * T;
    if (N > (size_t)1 << 30) return ut_fail("nn_forward: batch too large");
    for (size_t i = 0; i < N; i++)
        if (inputs[i] < 0 || inputs[i] >= d.V) return ut_fail("nn_forward: token id %d out of range [0, %d)", inputs[i], d.V);
    if (targets)
        for (size_t i = 0; i < N; i++)
            if (targets[i] >= d.V) return ut_fail("nn_forward: target id %d out of range [0, %d)", targets[i], d.V);
    nn_blas_one_thread();
    if (nn_acts_alloc(m, B, T, targets != NULL)) return -1;
    nn_acts *a = &m->acts;
    const int rows = a->run.token_rows;
    memcpy(m->inputs, inputs, N * sizeof(int));
    if (targets) memcpy(m->targets, targets, N * sizeof(int));
    else memset(m->targets, 0xff, N * sizeof(int)); /* all -1 */
    m->loss = NAN;
    m->weight_sum = 0.0;
    m->have_loss = 0;
    if (nn_input_map(m, N)) return -1;
    int n = (int)N;
    nn_ctx cx = {.m = m, .d = d, .T = T, .inputs = m->inputs};
    nn_ctx_layer(&cx, 0);
    nn_job e = nn_rows_job(n, rows, nn_epi_embed, &cx);
    nn_run(&e, 1, &a->run);
    for (int l = 0; l < d.L; l++) nn_layer_forward(m, &cx, l, 1);
    nn_head_forward(m, &cx, targets != NULL);
    if (!targets) return 0;
    double wsum = 0.0, lsum = 0.0;
    for (size_t i = 0; i < N; i++) {
        if (targets[i] < 0) continue;
        double w = weights ? weights[i] : 1.0;
        wsum += w;
        lsum += w * a->tok_loss[i];
    }
    m->weight_sum = wsum;
    double nrm = norm > 0 ? (double)norm : wsum;
    if (nrm == 0.0) nrm = 1.0; /* nothing counted: loss 0, zero gradient */
    for (size_t i = 0; i < N; i++) m->weights[i] = targets[i] < 0 ? 0.0f : (float)((weights ? weights[i] : 1.0) / nrm);
    m->loss = (float)(lsum / nrm);
    m->have_loss = 1;
    return 0;
}

/* ------------------------------------------------------------------ backward */

/* The loss head's backward, one head block of rows at a time (both modes, so the sums of
 * d lm_head are the same): dlogits in place (recomputed from lnf first with recomputation), then
 * d lm_head += dlogits^T lnf and d lnf = dlogits lm_head -> d res[L] through the final norm. */
static void nn_head_backward(nn_model *m, nn_ctx *cx) {
    nn_acts *a = &m->acts;
    nn_dims d = cx->d;
    const int n = a->B * a->T, rows = a->run.token_rows, wrows = a->run.weight_rows, hb = nn_head_rows_of(&a->run);
    const int nch = nn_chunks(n, rows);
    memset(cx->part, 0, (size_t)nch * d.D * sizeof(float));
    for (int b0 = 0; b0 < n; b0 += hb) {
        int nb = n - b0 < hb ? n - b0 : hb;
        const float *lnf = a->lnf + (size_t)b0 * d.D;
        cx->row0 = b0;
        cx->ch0 = b0 / rows;
        cx->logits = a->run.recompute ? a->logits : a->logits + (size_t)b0 * d.V;
        nn_job jd = a->run.recompute ? nn_gemm_job(0, 1, nb, d.V, d.D, lnf, d.D, m->params.lm_head, d.D, 0.0f, cx->logits, d.V,
                                                   rows, nn_epi_dlogits, cx)
                                     : nn_rows_job(nb, rows, nn_epi_dlogits, cx);
        nn_run(&jd, 1, &a->run);
        nn_job j0[2] = {nn_gemm_job(1, 0, d.V, d.D, nb, cx->logits, d.V, lnf, d.D, 1.0f, m->grads.lm_head, d.D, wrows, NULL, NULL),
                        nn_gemm_job(0, 0, nb, d.D, d.V, cx->logits, d.V, m->params.lm_head, d.D, 0.0f, a->dln + (size_t)b0 * d.D,
                                    d.D, rows, nn_epi_normf_bwd, cx)};
        nn_run(j0, 2, &a->run);
    }
    nn_reduce(m->grads.norm, cx->part, nch, d.D);
}

int nn_backward(nn_model *m) {
    nn_acts *a = &m->acts;
    if (!a->mem || !m->have_loss) return ut_fail("nn_backward: no forward pass with targets to differentiate");
    m->have_loss = 0; /* the logits are overwritten below */
    nn_dims d = nn_dims_of(&m->cfg);
    nn_blas_one_thread();
    /* the threads and chunk sizes the forward ran with: the scratch memory is sized for them */
    const int B = a->B, T = a->T, nth = a->run.threads, rows = a->run.token_rows, wrows = a->run.weight_rows;
    size_t N = (size_t)B * T;
    int n = (int)N, nch = nn_chunks(n, rows);
    const nn_params *p = &m->params;
    nn_params *g = &m->grads;
    nn_ctx cx = {.m = m, .d = d, .T = T, .inputs = m->inputs};
    cx.part = a->dscratch + (size_t)nth * nn_attn_scratch(T);
    cx.part2 = cx.part + (size_t)nch * d.D;
    nn_head_backward(m, &cx);
    for (int l = d.L - 1; l >= 0; l--) {
        if (a->run.recompute) nn_layer_forward(m, &cx, l, 0);
        nn_ctx_layer(&cx, l);
        const float *att = cx.att, *atto = cx.atto;
        const float *wqkv = p->wqkv + (size_t)l * d.QKV * d.D, *wo = p->wo + (size_t)l * d.D * d.Q;
        const float *wgu = p->wgu + (size_t)l * 2 * d.F * d.D, *wdown = p->wdown + (size_t)l * d.D * d.F;
        /* MLP: dres holds d(res[l+1]), which is also d(mid) through the residual */
        nn_job j1[2] = {
            nn_gemm_job(0, 0, n, d.F, d.D, a->dres, d.D, wdown, d.F, 0.0f, a->dact, d.F, rows, nn_epi_swiglu_bwd, &cx),
            nn_gemm_job(1, 0, d.D, d.F, n, a->dres, d.D, cx.act, d.F, 1.0f, g->wdown + (size_t)l * d.D * d.F, d.F, wrows,
                        NULL, NULL)};
        nn_run(j1, 2, &a->run);
        memset(cx.part, 0, (size_t)nch * d.D * sizeof(float));
        nn_job j2[2] = {
            nn_gemm_job(0, 0, n, d.D, 2 * d.F, a->dgu, 2 * d.F, wgu, d.D, 0.0f, a->dln, d.D, rows, nn_epi_norm2_bwd, &cx),
            nn_gemm_job(1, 0, 2 * d.F, d.D, n, a->dgu, 2 * d.F, cx.ln2, d.D, 1.0f, g->wgu + (size_t)l * 2 * d.F * d.D, d.D,
                        wrows, NULL, NULL)};
        nn_run(j2, 2, &a->run);
        nn_reduce(g->ln2 + (size_t)l * d.D, cx.part, nch, d.D);
        /* attention: dres now holds d(mid) = d(res[l]) through the residual */
        nn_job j3[2] = {
            nn_gemm_job(0, 0, n, d.Q, d.D, a->dres, d.D, wo, d.Q, 0.0f, a->datto, d.Q, rows, NULL, NULL),
            nn_gemm_job(1, 0, d.D, d.Q, n, a->dres, d.D, atto, d.Q, 1.0f, g->wo + (size_t)l * d.D * d.Q, d.Q, wrows, NULL,
                        NULL)};
        nn_run(j3, 2, &a->run);
        nn_attn_backward(m, B, T, cx.qkv, att, a->datto, a->dqkv, a->dscratch, nth);
        memset(cx.part, 0, (size_t)nch * (d.D + d.QKV) * sizeof(float));
        nn_job j4[3] = {
            nn_gemm_job(0, 0, n, d.D, d.QKV, a->dqkv, d.QKV, wqkv, d.D, 0.0f, a->dln, d.D, rows, nn_epi_norm1_bwd, &cx),
            nn_gemm_job(1, 0, d.QKV, d.D, n, a->dqkv, d.QKV, cx.ln1, d.D, 1.0f, g->wqkv + (size_t)l * d.QKV * d.D, d.D,
                        wrows, NULL, NULL),
            nn_rows_job(n, rows, nn_epi_bias_bwd, &cx)};
        nn_run(j4, 3, &a->run);
        nn_reduce(g->ln1 + (size_t)l * d.D, cx.part, nch, d.D);
        nn_reduce(g->bqkv + (size_t)l * d.QKV, cx.part2, nch, d.QKV);
    }
    /* embedding rows (serial: tokens repeat, the scatter-add must not race); input rows get
     * their gradient instead */
    for (size_t i = 0; i < N; i++) {
        const float *gr = a->dres + i * d.D;
        if (m->in.fwd_n && m->in.map[i] >= 0) {
            memcpy(m->in.grad + (size_t)m->in.map[i] * d.D, gr, d.D * sizeof(float));
            continue;
        }
        float *ge = g->embed + (size_t)m->inputs[i] * d.D;
#pragma omp simd
        for (int j = 0; j < d.D; j++) ge[j] += gr[j];
    }
    return 0;
}
