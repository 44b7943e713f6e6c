/* vit.c - vision encoder: config, parameter layout, forward and backward (see vit.h). */
#include "ml/vit.h"

#include <cblas.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "ml/safetensors.h"

enum { VT_TOKEN_ROWS = 512, VT_WEIGHT_ROWS = 256, VT_MAX_PATCHES = 1024 };

/* ------------------------------------------------------------------ config */

static int vt_json_int(const cJSON *o, const char *key, int def, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (def < 0) return ut_fail("vision_config: missing key \"%s\"", key);
        *out = def;
        return 0;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 1e9)
        return ut_fail("vision_config: \"%s\" must be an integer", key);
    *out = (int)v->valuedouble;
    return 0;
}

int vt_config_validate(vt_config *c) {
    if (c->patch_size < 1 || c->patch_size > 64) return ut_fail("vision_config: patch_size %d out of range [1, 64]", c->patch_size);
    if (c->image_size < 2 * c->patch_size || c->image_size % (2 * c->patch_size))
        return ut_fail("vision_config: image_size %d must be a positive multiple of 2 * patch_size (%d)", c->image_size,
                       2 * c->patch_size);
    if (c->spatial_merge_size != 2) return ut_fail("vision_config: spatial_merge_size %d (only 2 is supported)", c->spatial_merge_size);
    if (c->in_chans != 1) return ut_fail("vision_config: in_chans %d (only 1, grayscale, is supported)", c->in_chans);
    c->grid = c->image_size / c->patch_size;
    c->num_patches = c->grid * c->grid;
    c->num_tokens = c->num_patches / 4;
    if (c->num_patches > VT_MAX_PATCHES)
        return ut_fail("vision_config: %d patches per image (image_size / patch_size = %d) exceed %d", c->num_patches, c->grid,
                       VT_MAX_PATCHES);
    if (c->hidden_size < 2 || c->hidden_size > 16384) return ut_fail("vision_config: hidden_size %d out of range", c->hidden_size);
    if (c->intermediate_size < 1 || c->intermediate_size > 1 << 18)
        return ut_fail("vision_config: intermediate_size %d out of range", c->intermediate_size);
    if (c->depth < 1 || c->depth > 256) return ut_fail("vision_config: depth %d out of range", c->depth);
    if (c->num_heads < 1 || c->hidden_size % c->num_heads)
        return ut_fail("vision_config: num_heads %d must divide hidden_size %d", c->num_heads, c->hidden_size);
    if (c->out_hidden_size < 1 || c->out_hidden_size > 65536)
        return ut_fail("vision_config: out_hidden_size %d out of range", c->out_hidden_size);
    if (!(c->rms_norm_eps >= 0) || !isfinite(c->rms_norm_eps)) return ut_fail("vision_config: rms_norm_eps must be >= 0");
    c->head_dim = c->hidden_size / c->num_heads;
    return 0;
}

int vt_config_parse(vt_config *c, const char *json) {
    memset(c, 0, sizeof *c);
    cJSON *o = cJSON_Parse(json);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return ut_fail("vision_config: not a JSON object");
    }
    int rc = vt_json_int(o, "image_size", -1, &c->image_size);
    rc = rc ? rc : vt_json_int(o, "patch_size", -1, &c->patch_size);
    rc = rc ? rc : vt_json_int(o, "hidden_size", -1, &c->hidden_size);
    rc = rc ? rc : vt_json_int(o, "intermediate_size", -1, &c->intermediate_size);
    rc = rc ? rc : vt_json_int(o, "depth", -1, &c->depth);
    rc = rc ? rc : vt_json_int(o, "num_heads", -1, &c->num_heads);
    rc = rc ? rc : vt_json_int(o, "out_hidden_size", -1, &c->out_hidden_size);
    rc = rc ? rc : vt_json_int(o, "spatial_merge_size", 2, &c->spatial_merge_size);
    rc = rc ? rc : vt_json_int(o, "in_chans", 1, &c->in_chans);
    c->rms_norm_eps = 1e-6f;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "rms_norm_eps");
    if (!rc && e && !cJSON_IsNull(e)) {
        if (!cJSON_IsNumber(e)) rc = ut_fail("vision_config: \"rms_norm_eps\" must be a number");
        else c->rms_norm_eps = (float)e->valuedouble;
    }
    cJSON_Delete(o);
    return rc ? -1 : vt_config_validate(c);
}

char *vt_config_to_json(const vt_config *c) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model_type", "recad_vit");
    cJSON_AddNumberToObject(o, "image_size", c->image_size);
    cJSON_AddNumberToObject(o, "patch_size", c->patch_size);
    cJSON_AddNumberToObject(o, "hidden_size", c->hidden_size);
    cJSON_AddNumberToObject(o, "intermediate_size", c->intermediate_size);
    cJSON_AddNumberToObject(o, "depth", c->depth);
    cJSON_AddNumberToObject(o, "num_heads", c->num_heads);
    cJSON_AddNumberToObject(o, "out_hidden_size", c->out_hidden_size);
    cJSON_AddNumberToObject(o, "rms_norm_eps", c->rms_norm_eps);
    cJSON_AddNumberToObject(o, "spatial_merge_size", c->spatial_merge_size);
    cJSON_AddNumberToObject(o, "in_chans", c->in_chans);
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    return s;
}

/* ------------------------------------------------------------------ parameters */

/* sizes used everywhere */
typedef struct {
    int S, P, PP, g, n, Dv, H, hd, F, L, D, Dm; /* Dm = 4 Dv, the merger's width */
} vt_dims;

static vt_dims vt_dims_of(const vt_config *c) {
    vt_dims d;
    d.S = c->image_size;
    d.P = c->patch_size;
    d.PP = d.P * d.P;
    d.g = c->grid;
    d.n = c->num_patches;
    d.Dv = c->hidden_size;
    d.H = c->num_heads;
    d.hd = c->head_dim;
    d.F = c->intermediate_size;
    d.L = c->depth;
    d.D = c->out_hidden_size;
    d.Dm = 4 * d.Dv;
    return d;
}

static size_t vt_layout(const vt_config *c, float *base, vt_params *p) {
    vt_dims d = vt_dims_of(c);
    size_t L = (size_t)d.L, Dv = (size_t)d.Dv, F = (size_t)d.F, Dm = (size_t)d.Dm, off = 0;
    size_t sz[] = {Dv * d.PP, Dv, (size_t)d.n * Dv, L * Dv, L * 3 * Dv * Dv, L * 3 * Dv, L * Dv * Dv, L * Dv, L * Dv,
                   L * 2 * F * Dv, L * 2 * F, L * Dv * F, L * Dv, Dv, Dm * Dm, Dm, (size_t)d.D * Dm, (size_t)d.D};
    float **views[] = {&p->pe_w, &p->pe_b, &p->pos, &p->ln1, &p->wqkv, &p->bqkv, &p->wo, &p->bo, &p->ln2,
                       &p->wgu, &p->bgu, &p->wdown, &p->bdown, &p->lnq, &p->w1, &p->b1, &p->w2, &p->b2};
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        *views[i] = base ? base + off : NULL;
        off += sz[i];
    }
    return off;
}

static void vt_add_tensor(vt_model *m, int *cap, const char *name, const float *ptr, int rows, int cols) {
    nn_tensor *t = UT_PUSH(m->tensors, m->num_tensors, *cap);
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = cols > 0 ? 2 : 1;
    t->shape[0] = rows;
    t->shape[1] = cols > 0 ? cols : 0;
    t->numel = (size_t)rows * (size_t)(cols > 0 ? cols : 1);
    t->offset = (size_t)(ptr - m->param_mem);
    t->decay = t->ndim == 2;
}

static void vt_build_tensors(vt_model *m) {
    vt_dims d = vt_dims_of(&m->cfg);
    const vt_params *p = &m->params;
    int cap = 0;
    char name[96];
    size_t Dv = (size_t)d.Dv, F = (size_t)d.F;
    vt_add_tensor(m, &cap, "visual.patch_embed.proj.weight", p->pe_w, d.Dv, d.PP);
    vt_add_tensor(m, &cap, "visual.patch_embed.proj.bias", p->pe_b, d.Dv, 0);
    vt_add_tensor(m, &cap, "visual.pos_embed.weight", p->pos, d.n, d.Dv);
    for (int l = 0; l < d.L; l++) {
        const float *wgu = p->wgu + (size_t)l * 2 * F * Dv, *bgu = p->bgu + (size_t)l * 2 * F;
        struct {
            const char *suffix;
            const float *ptr;
            int rows, cols;
        } items[] = {
            {"norm1.weight", p->ln1 + l * Dv, d.Dv, 0},
            {"attn.qkv.weight", p->wqkv + l * 3 * Dv * Dv, 3 * d.Dv, d.Dv},
            {"attn.qkv.bias", p->bqkv + l * 3 * Dv, 3 * d.Dv, 0},
            {"attn.proj.weight", p->wo + l * Dv * Dv, d.Dv, d.Dv},
            {"attn.proj.bias", p->bo + l * Dv, d.Dv, 0},
            {"norm2.weight", p->ln2 + l * Dv, d.Dv, 0},
            {"mlp.gate_proj.weight", wgu, d.F, d.Dv},
            {"mlp.gate_proj.bias", bgu, d.F, 0},
            {"mlp.up_proj.weight", wgu + F * Dv, d.F, d.Dv},
            {"mlp.up_proj.bias", bgu + F, d.F, 0},
            {"mlp.down_proj.weight", p->wdown + l * Dv * F, d.Dv, d.F},
            {"mlp.down_proj.bias", p->bdown + l * Dv, d.Dv, 0},
        };
        for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
            snprintf(name, sizeof name, "visual.blocks.%d.%s", l, items[i].suffix);
            vt_add_tensor(m, &cap, name, items[i].ptr, items[i].rows, items[i].cols);
        }
    }
    vt_add_tensor(m, &cap, "visual.merger.ln_q.weight", p->lnq, d.Dv, 0);
    vt_add_tensor(m, &cap, "visual.merger.mlp.0.weight", p->w1, d.Dm, d.Dm);
    vt_add_tensor(m, &cap, "visual.merger.mlp.0.bias", p->b1, d.Dm, 0);
    vt_add_tensor(m, &cap, "visual.merger.mlp.2.weight", p->w2, d.D, d.Dm);
    vt_add_tensor(m, &cap, "visual.merger.mlp.2.bias", p->b2, d.D, 0);
}

const nn_tensor *vt_find_tensor(const vt_model *m, const char *name) {
    for (int i = 0; i < m->num_tensors; i++)
        if (!strcmp(m->tensors[i].name, name)) return &m->tensors[i];
    return NULL;
}

void vt_set_threads(vt_model *m, int n) { m->exec.threads = n > 0 ? n : 0; }

int vt_threads(const vt_model *m) { return m->exec.threads > 0 ? m->exec.threads : omp_get_num_procs(); }

void vt_set_chunk_rows(vt_model *m, int token_rows, int weight_rows) {
    m->exec.token_rows = token_rows > 0 ? token_rows : VT_TOKEN_ROWS;
    m->exec.weight_rows = weight_rows > 0 ? weight_rows : VT_WEIGHT_ROWS;
}

vt_model *vt_new(const vt_config *cfg) {
    vt_config c = *cfg;
    if (vt_config_validate(&c)) return NULL;
    vt_model *m = ut_calloc(1, sizeof *m);
    m->cfg = c;
    vt_set_threads(m, 0);
    vt_set_chunk_rows(m, 0, 0);
    vt_params tmp;
    m->num_params = vt_layout(&c, NULL, &tmp);
    m->param_mem = ut_calloc(m->num_params, sizeof(float));
    m->grad_mem = ut_calloc(m->num_params, sizeof(float));
    vt_layout(&c, m->param_mem, &m->params);
    vt_layout(&c, m->grad_mem, &m->grads);
    vt_build_tensors(m);
    return m;
}

void vt_free(vt_model *m) {
    if (!m) return;
    free(m->param_mem);
    free(m->grad_mem);
    free(m->tensors);
    free(m->acts.mem);
    free(m);
}

void vt_init_random(vt_model *m, uint64_t seed, float std) {
    ut_rng r;
    ut_rng_seed(&r, seed);
    for (int i = 0; i < m->num_tensors; i++) {
        const nn_tensor *t = &m->tensors[i];
        float *p = m->param_mem + t->offset;
        int is_norm = strstr(t->name, "norm") || strstr(t->name, "ln_q");
        for (size_t j = 0; j < t->numel; j++) p[j] = t->ndim == 2 ? std * (float)ut_rng_normal(&r) : is_norm ? 1.0f : 0.0f;
    }
}

void vt_zero_grad(vt_model *m) { memset(m->grad_mem, 0, m->num_params * sizeof(float)); }

double vt_train_flops(const vt_config *c, int B) {
    vt_dims d = vt_dims_of(c);
    double N = (double)B * d.n, Nm = N / 4.0;
    double blk = (double)d.L * (4.0 * d.Dv * d.Dv + 3.0 * d.Dv * d.F);
    double mer = (double)d.Dm * d.Dm + (double)d.Dm * d.D;
    double att = 12.0 * (double)B * d.H * d.L * (double)d.n * d.n * d.hd;
    return 6.0 * (N * blk + Nm * mer) + 4.0 * N * d.PP * d.Dv + att;
}

int vt_load_weights(vt_model *m, const char *path) {
    st_file f;
    if (st_open(&f, path)) return -1;
    int rc = 0;
    for (int i = 0; i < m->num_tensors && !rc; i++) {
        const nn_tensor *t = &m->tensors[i];
        int64_t shape[2] = {t->shape[0], t->shape[1]};
        rc = st_load(&f, t->name, t->ndim, shape, m->param_mem + t->offset);
    }
    st_close(&f);
    return rc;
}

/* ------------------------------------------------------------------ parallel jobs
 *
 * As in nn.c: a job is an optional matrix product split over the rows of C into chunks of fixed
 * size, each one single-threaded sgemm, followed by an optional epilogue on the same rows; the
 * jobs of one region run their chunks on the model's threads, largest chunks first. Chunk sizes
 * do not depend on the thread count, so per-chunk partial sums give the same result for any.
 */

typedef void (*vt_epi)(void *ctx, int i0, int i1, int chunk);

typedef struct {
    int gemm, ta, tb, M, N, K, lda, ldb, ldc;
    float beta;
    const float *A, *B;
    float *C;
    int rows, per;
    vt_epi epi;
    void *ctx;
} vt_job;

static vt_job vt_gemm_job(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta,
                          float *C, int ldc, int per, vt_epi epi, void *ctx) {
    vt_job j = {1, ta, tb, M, N, K, lda, ldb, ldc, beta, A, B, C, M, per, epi, ctx};
    return j;
}

static vt_job vt_rows_job(int rows, int per, vt_epi epi, void *ctx) {
    vt_job j;
    memset(&j, 0, sizeof j);
    j.rows = rows;
    j.per = per;
    j.epi = epi;
    j.ctx = ctx;
    return j;
}

static int vt_chunks(int rows, int per) { return (rows + per - 1) / per; }

static double vt_job_cost(const vt_job *j) { return j->gemm ? (double)j->per * j->N * j->K : (double)j->per; }

static void vt_run(const vt_job *jobs, int nj, int threads) {
    int order[4], start[4], total = 0;
    for (int j = 0; j < nj; j++) {
        int k = j;
        while (k > 0 && vt_job_cost(&jobs[order[k - 1]]) < vt_job_cost(&jobs[j])) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = j;
    }
    for (int o = 0; o < nj; o++) {
        start[o] = total;
        total += vt_chunks(jobs[order[o]].rows, jobs[order[o]].per);
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int t = 0; t < total; t++) {
        int o = nj - 1;
        while (start[o] > t) o--;
        const vt_job *jb = &jobs[order[o]];
        int ch = t - start[o], i0 = ch * jb->per, i1 = i0 + jb->per < jb->rows ? i0 + jb->per : jb->rows;
        if (jb->gemm) {
            const float *A = jb->ta ? jb->A + i0 : jb->A + (size_t)i0 * jb->lda;
            cblas_sgemm(CblasRowMajor, jb->ta ? CblasTrans : CblasNoTrans, jb->tb ? CblasTrans : CblasNoTrans, i1 - i0, jb->N,
                        jb->K, 1.0f, A, jb->lda, jb->B, jb->ldb, jb->beta, jb->C + (size_t)i0 * jb->ldc, jb->ldc);
        }
        if (jb->epi) jb->epi(jb->ctx, i0, i1, ch);
    }
}

/* out (n) += the per-chunk partials (nchunk, n), in chunk order */
static void vt_reduce(float *out, const float *part, int nchunk, int n) {
    for (int c = 0; c < nchunk; c++)
        for (int j = 0; j < n; j++) out[j] += part[(size_t)c * n + j];
}

/* ------------------------------------------------------------------ row kernels */

static float vt_rmsnorm_row(float *out, const float *x, const float *w, int n, float eps) {
    float ss = 0.0f;
#pragma omp simd reduction(+ : ss)
    for (int i = 0; i < n; i++) ss += x[i] * x[i];
    float r = 1.0f / sqrtf(ss / (float)n + eps);
#pragma omp simd
    for (int i = 0; i < n; i++) out[i] = x[i] * r * w[i];
    return r;
}

/* dx (+)= r*dy*w - x * r^3/n * sum(dy*w*x); pw += dy*x*r */
static void vt_rmsnorm_bwd_row(float *dx, float *pw, const float *dy, const float *x, float r, const float *w, int n,
                               int assign) {
    float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
    for (int j = 0; j < n; j++) dot += dy[j] * w[j] * x[j];
    float k = dot * r * r * r / (float)n;
    for (int j = 0; j < n; j++) {
        float v = r * dy[j] * w[j] - k * x[j];
        dx[j] = assign ? v : dx[j] + v;
        pw[j] += dy[j] * x[j] * r;
    }
}

static void vt_add_rows(float *part, const float *x, int ld, int i0, int i1, int n) {
    for (int i = i0; i < i1; i++) {
        const float *row = x + (size_t)i * ld;
#pragma omp simd
        for (int j = 0; j < n; j++) part[j] += row[j];
    }
}

static float vt_gelu(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }

static float vt_gelu_grad(float x) {
    return 0.5f * (1.0f + erff(x * 0.70710678118654752f)) + x * 0.39894228040143268f * expf(-0.5f * x * x);
}

/* ------------------------------------------------------------------ epilogues */

/* what an epilogue needs: the current block's tensors and the partial-sum regions */
typedef struct {
    vt_model *m;
    vt_dims d;
    int B, l;
    const float *images; /* forward input (B, S, S) */
    const float *dout;   /* backward input (B * num_tokens, D) */
    float *x, *xout, *ln1, *rstd1, *qkv, *atto, *mid, *ln2, *rstd2, *gu, *act;
    float *pa, *pb; /* (chunks, width) partial sums of two reductions */
    int wa, wb;     /* their widths */
} vt_ctx;

static void vt_ctx_layer(vt_ctx *c, int l) {
    vt_acts *a = &c->m->acts;
    const vt_dims *d = &c->d;
    size_t N = (size_t)c->B * d->n, Dv = (size_t)d->Dv;
    c->l = l;
    c->x = a->res + (size_t)l * N * Dv;
    c->xout = a->res + (size_t)(l + 1) * N * Dv;
    c->ln1 = a->ln1 + (size_t)l * N * Dv;
    c->rstd1 = a->rstd1 + (size_t)l * N;
    c->qkv = a->qkv + (size_t)l * N * 3 * Dv;
    c->atto = a->atto + (size_t)l * N * Dv;
    c->mid = a->mid + (size_t)l * N * Dv;
    c->ln2 = a->ln2 + (size_t)l * N * Dv;
    c->rstd2 = a->rstd2 + (size_t)l * N;
    c->gu = a->gu + (size_t)l * N * 2 * d->F;
    c->act = a->act + (size_t)l * N * d->F;
}

/* patch rows in merge order (vit.h) */
static void vt_epi_patch(void *vc, int i0, int i1, int ch) {
    (void)ch;
    vt_ctx *c = vc;
    const vt_dims *d = &c->d;
    int half = d->g / 2;
    for (int i = i0; i < i1; i++) {
        int b = i / d->n, t = i % d->n, blk = t / 4, q = t % 4;
        int r0 = (2 * (blk / half) + q / 2) * d->P, c0 = (2 * (blk % half) + q % 2) * d->P;
        const float *img = c->images + (size_t)b * d->S * d->S;
        float *out = c->m->acts.patch + (size_t)i * d->PP;
        for (int y = 0; y < d->P; y++) memcpy(out + (size_t)y * d->P, img + (size_t)(r0 + y) * d->S + c0, d->P * sizeof(float));
    }
}

/* x0 = patch embedding + bias + position, then block 0's norm */
static void vt_epi_embed(void *vc, int i0, int i1, int ch) {
    (void)ch;
    vt_ctx *c = vc;
    const vt_params *p = &c->m->params;
    int Dv = c->d.Dv;
    for (int i = i0; i < i1; i++) {
        float *x = c->x + (size_t)i * Dv;
        const float *pos = p->pos + (size_t)(i % c->d.n) * Dv;
#pragma omp simd
        for (int j = 0; j < Dv; j++) x[j] += p->pe_b[j] + pos[j];
        c->rstd1[i] = vt_rmsnorm_row(c->ln1 + (size_t)i * Dv, x, p->ln1, Dv, c->m->cfg.rms_norm_eps);
    }
}

static void vt_epi_qkv(void *vc, int i0, int i1, int ch) {
    (void)ch;
    vt_ctx *c = vc;
    int W = 3 * c->d.Dv;
    const float *b = c->m->params.bqkv + (size_t)c->l * W;
    for (int i = i0; i < i1; i++) {
        float *row = c->qkv + (size_t)i * W;
#pragma omp simd
        for (int j = 0; j < W; j++) row[j] += b[j];
    }
}

static void vt_epi_attn_out(void *vc, int i0, int i1, int ch) {
    (void)ch;
    vt_ctx *c = vc;
    int Dv = c->d.Dv;
    const float *b = c->m->params.bo + (size_t)c->l * Dv, *w = c->m->params.ln2 + (size_t)c->l * Dv;
    for (int i = i0; i < i1; i++) {
        float *mr = c->mid + (size_t)i * Dv;
        const float *xr = c->x + (size_t)i * Dv;
#pragma omp simd
        for (int j = 0; j < Dv; j++) mr[j] += b[j] + xr[j];
        c->rstd2[i] = vt_rmsnorm_row(c->ln2 + (size_t)i * Dv, mr, w, Dv, c->m->cfg.rms_norm_eps);
    }
}

static void vt_epi_swiglu(void *vc, int i0, int i1, int ch) {
    (void)ch;
    vt_ctx *c = vc;
    int F = c->d.F;
    const float *b = c->m->params.bgu + (size_t)c->l * 2 * F;
    for (int i = i0; i < i1; i++) {
        float *gr = c->gu + (size_t)i * 2 * F, *ur = gr + F, *ar = c->act + (size_t)i * F;
#pragma omp simd
        for (int j = 0; j < F; j++) {
            gr[j] += b[j];
            ur[j] += b[F + j];
            ar[j] = gr[j] / (1.0f + expf(-gr[j])) * ur[j];
        }
    }
}

/* xout += bias + mid, then the next block's norm (or the merger's) */
static void vt_epi_mlp_out(void *vc, int i0, int i1, int ch) {
    (void)ch;
    vt_ctx *c = vc;
    vt_model *m = c->m;
    int Dv = c->d.Dv, last = c->l + 1 == c->d.L;
    size_t N = (size_t)c->B * c->d.n;
    float *nout = last ? m->acts.lnq : m->acts.ln1 + (size_t)(c->l + 1) * N * Dv;
    float *rout = last ? m->acts.rstdq : m->acts.rstd1 + (size_t)(c->l + 1) * N;
    const float *w = last ? m->params.lnq : m->params.ln1 + (size_t)(c->l + 1) * Dv;
    const float *b = m->params.bdown + (size_t)c->l * Dv;
    for (int i = i0; i < i1; i++) {
        float *xr = c->xout + (size_t)i * Dv;
        const float *mr = c->mid + (size_t)i * Dv;
#pragma omp simd
        for (int j = 0; j < Dv; j++) xr[j] += b[j] + mr[j];
        rout[i] = vt_rmsnorm_row(nout + (size_t)i * Dv, xr, w, Dv, m->cfg.rms_norm_eps);
    }
}

static void vt_epi_merger1(void *vc, int i0, int i1, int ch) {
    (void)ch;
    vt_ctx *c = vc;
    vt_acts *a = &c->m->acts;
    int W = c->d.Dm;
    for (int i = i0; i < i1; i++) {
        float *h = a->h1 + (size_t)i * W, *g = a->g1 + (size_t)i * W;
        for (int j = 0; j < W; j++) {
            h[j] += c->m->params.b1[j];
            g[j] = vt_gelu(h[j]);
        }
    }
}

static void vt_epi_merger2(void *vc, int i0, int i1, int ch) {
    (void)ch;
    vt_ctx *c = vc;
    int D = c->d.D;
    for (int i = i0; i < i1; i++) {
        float *o = c->m->acts.out + (size_t)i * D;
#pragma omp simd
        for (int j = 0; j < D; j++) o[j] += c->m->params.b2[j];
    }
}

/* ------------------------------------------------------------------ attention */

/* one image b, head h of one block: S = scale q k^T (n, n), softmax rows (lse kept), out = S v */
static void vt_attn_fwd_task(const vt_dims *d, int b, int h, const float *qkv, float *lse, float *out, float *S) {
    int n = d->n, W = 3 * d->Dv;
    float scale = 1.0f / sqrtf((float)d->hd);
    const float *q = qkv + (size_t)b * n * W + (size_t)h * d->hd, *k = q + d->Dv, *v = k + d->Dv;
    float *lb = lse + ((size_t)b * d->H + h) * n;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, d->hd, scale, q, W, k, W, 0.0f, S, n);
    for (int t = 0; t < n; t++) {
        float *row = S + (size_t)t * n, mx = -INFINITY, sum = 0.0f;
        for (int s = 0; s < n; s++) mx = row[s] > mx ? row[s] : mx;
        for (int s = 0; s < n; s++) {
            row[s] = expf(row[s] - mx);
            sum += row[s];
        }
        float inv = 1.0f / sum;
#pragma omp simd
        for (int s = 0; s < n; s++) row[s] *= inv;
        lb[t] = mx + logf(sum);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d->hd, n, 1.0f, S, n, v, W, 0.0f,
                out + (size_t)b * n * d->Dv + (size_t)h * d->hd, d->Dv);
}

/* its backward: probabilities recomputed from q, k, lse; dq, dk, dv of (b, h) overwritten */
static void vt_attn_bwd_task(const vt_dims *d, int b, int h, const float *qkv, const float *lse, const float *datto,
                             float *dqkv, float *P) {
    int n = d->n, W = 3 * d->Dv;
    float scale = 1.0f / sqrtf((float)d->hd), *dP = P + (size_t)n * n;
    size_t off = (size_t)b * n * W + (size_t)h * d->hd;
    const float *q = qkv + off, *k = q + d->Dv, *v = k + d->Dv, *lb = lse + ((size_t)b * d->H + h) * n;
    const float *dO = datto + (size_t)b * n * d->Dv + (size_t)h * d->hd;
    float *dq = dqkv + off, *dk = dq + d->Dv, *dv = dk + d->Dv;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, d->hd, scale, q, W, k, W, 0.0f, P, n);
    for (int t = 0; t < n; t++) {
        float *row = P + (size_t)t * n, l = lb[t];
        for (int s = 0; s < n; s++) row[s] = expf(row[s] - l);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, d->hd, 1.0f, dO, d->Dv, v, W, 0.0f, dP, n);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, d->hd, n, 1.0f, P, n, dO, d->Dv, 0.0f, dv, W);
    for (int t = 0; t < n; t++) {
        const float *pr = P + (size_t)t * n;
        float *dr = dP + (size_t)t * n, dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int s = 0; s < n; s++) dot += pr[s] * dr[s];
#pragma omp simd
        for (int s = 0; s < n; s++) dr[s] = pr[s] * (dr[s] - dot) * scale;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d->hd, n, 1.0f, dP, n, k, W, 0.0f, dq, W);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, d->hd, n, 1.0f, dP, n, q, W, 0.0f, dk, W);
}

/* ------------------------------------------------------------------ activations */

static int vt_acts_alloc(vt_model *m, int B) {
    vt_dims d = vt_dims_of(&m->cfg);
    nn_exec run = {vt_threads(m), m->exec.token_rows, m->exec.weight_rows, 0, 0};
    size_t N = (size_t)B * d.n, L = (size_t)d.L, Dv = (size_t)d.Dv, F = (size_t)d.F;
    size_t wmax = (size_t)d.Dm > 2 * F ? (size_t)d.Dm : 2 * F;
    if ((size_t)d.D > wmax) wmax = (size_t)d.D;
    /* chunks of a reduction: over the N patch rows, or over the N/4 merged rows (rows/4 each) */
    int mrows = run.token_rows / 4 > 0 ? run.token_rows / 4 : 1;
    size_t chunks = (size_t)vt_chunks((int)N, run.token_rows), mch = (size_t)vt_chunks((int)N / 4, mrows);
    if (mch > chunks) chunks = mch;
    size_t sizes[] = {
        N * d.PP,                                  /* patch */
        (L + 1) * N * Dv, L * N * Dv, L * N * Dv, L * N * Dv, /* res, mid, ln1, ln2 */
        L * N, L * N,                              /* rstd1, rstd2 */
        L * N * 3 * Dv, L * N * d.H, L * N * Dv,   /* qkv, att_lse, atto */
        L * N * 2 * F, L * N * F,                  /* gu, act */
        N * Dv, N, N * Dv, N * Dv, N / 4 * d.D,    /* lnq, rstdq, h1, g1, out */
        N * Dv, N * Dv, N * 3 * Dv, N * Dv, N * 2 * F, N * F, N * Dv, /* dres, dln, dqkv, datto, dgu, dact, dh1 */
        (size_t)run.threads * 2 * d.n * d.n,       /* scratch: attention P and dP per thread */
        2 * chunks * wmax,                         /* part: two reductions' per-chunk sums */
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) total += sizes[i];
    vt_acts *a = &m->acts;
    if (!a->mem || total > a->cap) {
        if (total > ((size_t)1 << 34)) return ut_fail("vt_forward: activations for %d images need %zu MB", B, total * 4 >> 20);
        free(a->mem);
        a->mem = malloc(total * sizeof(float));
        a->cap = a->mem ? total : 0;
        if (!a->mem) return ut_fail("vt_forward: out of memory for activations (%d images, %zu MB)", B, total * 4 >> 20);
    }
    float **views[] = {&a->patch, &a->res, &a->mid, &a->ln1, &a->ln2, &a->rstd1, &a->rstd2, &a->qkv, &a->att_lse,
                       &a->atto, &a->gu, &a->act, &a->lnq, &a->rstdq, &a->h1, &a->g1, &a->out, &a->dres, &a->dln,
                       &a->dqkv, &a->datto, &a->dgu, &a->dact, &a->dh1, &a->scratch, &a->part};
    float *p = a->mem;
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
        *views[i] = p;
        p += sizes[i];
    }
    a->B = B;
    a->run = run;
    return 0;
}

/* ------------------------------------------------------------------ forward */

const float *vt_forward(vt_model *m, const float *images, int B) {
    vt_dims d = vt_dims_of(&m->cfg);
    m->have_fwd = 0;
    if (B < 1 || B > (1 << 20) / d.n) {
        ut_fail("vt_forward: %d images (1 to %d)", B, (1 << 20) / d.n);
        return NULL;
    }
    size_t npix = (size_t)B * d.S * d.S;
    for (size_t i = 0; i < npix; i++)
        if (!isfinite(images[i])) {
            size_t b = i / ((size_t)d.S * d.S), r = i % ((size_t)d.S * d.S);
            ut_fail("vt_forward: image %zu pixel (x %zu, y %zu) is not finite", b, r % d.S, r / d.S);
            return NULL;
        }
    nn_blas_one_thread();
    if (vt_acts_alloc(m, B)) return NULL;
    vt_acts *a = &m->acts;
    const int nth = a->run.threads, rows = a->run.token_rows, N = B * d.n, Nm = N / 4;
    const vt_params *p = &m->params;
    vt_ctx cx;
    memset(&cx, 0, sizeof cx);
    cx.m = m;
    cx.d = d;
    cx.B = B;
    cx.images = images;
    vt_ctx_layer(&cx, 0);
    vt_job jp = vt_rows_job(N, rows, vt_epi_patch, &cx);
    vt_run(&jp, 1, nth);
    vt_job je = vt_gemm_job(0, 1, N, d.Dv, d.PP, a->patch, d.PP, p->pe_w, d.PP, 0.0f, cx.x, d.Dv, rows, vt_epi_embed, &cx);
    vt_run(&je, 1, nth);
    for (int l = 0; l < d.L; l++) {
        vt_ctx_layer(&cx, l);
        size_t Dv = (size_t)d.Dv, F = (size_t)d.F;
        vt_job j1 = vt_gemm_job(0, 1, N, 3 * d.Dv, d.Dv, cx.ln1, d.Dv, p->wqkv + l * 3 * Dv * Dv, d.Dv, 0.0f, cx.qkv, 3 * d.Dv,
                                rows, vt_epi_qkv, &cx);
        vt_run(&j1, 1, nth);
        float *lse = a->att_lse + (size_t)l * N * d.H;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nth)
        for (int task = 0; task < B * d.H; task++)
            vt_attn_fwd_task(&d, task / d.H, task % d.H, cx.qkv, lse, cx.atto,
                             a->scratch + (size_t)omp_get_thread_num() * 2 * d.n * d.n);
        vt_job j3 = vt_gemm_job(0, 1, N, d.Dv, d.Dv, cx.atto, d.Dv, p->wo + l * Dv * Dv, d.Dv, 0.0f, cx.mid, d.Dv, rows,
                                vt_epi_attn_out, &cx);
        vt_run(&j3, 1, nth);
        vt_job j4 = vt_gemm_job(0, 1, N, 2 * d.F, d.Dv, cx.ln2, d.Dv, p->wgu + l * 2 * F * Dv, d.Dv, 0.0f, cx.gu, 2 * d.F,
                                rows, vt_epi_swiglu, &cx);
        vt_run(&j4, 1, nth);
        vt_job j5 = vt_gemm_job(0, 1, N, d.Dv, d.F, cx.act, d.F, p->wdown + l * Dv * F, d.F, 0.0f, cx.xout, d.Dv, rows,
                                vt_epi_mlp_out, &cx);
        vt_run(&j5, 1, nth);
    }
    /* merger: the normalised rows, 4 at a time, are the (Nm, 4Dv) input */
    int mrows = rows / 4 > 0 ? rows / 4 : 1;
    vt_job m1 = vt_gemm_job(0, 1, Nm, d.Dm, d.Dm, a->lnq, d.Dm, p->w1, d.Dm, 0.0f, a->h1, d.Dm, mrows, vt_epi_merger1, &cx);
    vt_run(&m1, 1, nth);
    vt_job m2 = vt_gemm_job(0, 1, Nm, d.D, d.Dm, a->g1, d.Dm, p->w2, d.Dm, 0.0f, a->out, d.D, mrows, vt_epi_merger2, &cx);
    vt_run(&m2, 1, nth);
    m->have_fwd = 1;
    return a->out;
}

/* ------------------------------------------------------------------ backward epilogues */

/* dh1 *= gelu'(h1); partial column sums of dout (b2) */
static void vt_epi_dmerger2(void *vc, int i0, int i1, int ch) {
    vt_ctx *c = vc;
    vt_acts *a = &c->m->acts;
    int W = c->d.Dm;
    for (int i = i0; i < i1; i++) {
        float *dh = a->dh1 + (size_t)i * W;
        const float *h = a->h1 + (size_t)i * W;
        for (int j = 0; j < W; j++) dh[j] *= vt_gelu_grad(h[j]);
    }
    vt_add_rows(c->pa + (size_t)ch * c->wa, c->dout, c->d.D, i0, i1, c->d.D);
}

/* merged rows [i0, i1) = patch rows [4 i0, 4 i1): merger norm backward into dres (assign); b1 partials */
static void vt_epi_dmerger1(void *vc, int i0, int i1, int ch) {
    vt_ctx *c = vc;
    vt_acts *a = &c->m->acts;
    int Dv = c->d.Dv;
    const float *x = a->res + (size_t)c->d.L * c->B * c->d.n * Dv;
    for (int i = 4 * i0; i < 4 * i1; i++)
        vt_rmsnorm_bwd_row(a->dres + (size_t)i * Dv, c->pb + (size_t)ch * c->wb, a->dln + (size_t)i * Dv, x + (size_t)i * Dv,
                           a->rstdq[i], c->m->params.lnq, Dv, 1);
    vt_add_rows(c->pa + (size_t)ch * c->wa, a->dh1, c->d.Dm, i0, i1, c->d.Dm);
}

/* SwiGLU backward (dact -> dgu), partials of bgu (pa) and bdown (pb: dres) */
static void vt_epi_dswiglu(void *vc, int i0, int i1, int ch) {
    vt_ctx *c = vc;
    vt_acts *a = &c->m->acts;
    int F = c->d.F;
    for (int i = i0; i < i1; i++) {
        const float *gr = c->gu + (size_t)i * 2 * F, *ur = gr + F, *da = a->dact + (size_t)i * F;
        float *dg = a->dgu + (size_t)i * 2 * F, *du = dg + F;
        for (int j = 0; j < F; j++) {
            float s = 1.0f / (1.0f + expf(-gr[j]));
            dg[j] = da[j] * ur[j] * s * (1.0f + gr[j] * (1.0f - s));
            du[j] = da[j] * gr[j] * s;
        }
    }
    vt_add_rows(c->pa + (size_t)ch * c->wa, a->dgu, 2 * F, i0, i1, 2 * F);
    vt_add_rows(c->pb + (size_t)ch * c->wb, a->dres, c->d.Dv, i0, i1, c->d.Dv);
}

static void vt_epi_dnorm2(void *vc, int i0, int i1, int ch) {
    vt_ctx *c = vc;
    vt_acts *a = &c->m->acts;
    int Dv = c->d.Dv;
    const float *w = c->m->params.ln2 + (size_t)c->l * Dv;
    for (int i = i0; i < i1; i++)
        vt_rmsnorm_bwd_row(a->dres + (size_t)i * Dv, c->pa + (size_t)ch * c->wa, a->dln + (size_t)i * Dv, c->mid + (size_t)i * Dv,
                           c->rstd2[i], w, Dv, 0);
}

/* partials of bo (dres = d mid) */
static void vt_epi_dbo(void *vc, int i0, int i1, int ch) {
    vt_ctx *c = vc;
    vt_add_rows(c->pa + (size_t)ch * c->wa, c->m->acts.dres, c->d.Dv, i0, i1, c->d.Dv);
}

/* norm1 backward (dres +=), partials of ln1 (pa) and bqkv (pb) */
static void vt_epi_dnorm1(void *vc, int i0, int i1, int ch) {
    vt_ctx *c = vc;
    vt_acts *a = &c->m->acts;
    int Dv = c->d.Dv;
    const float *w = c->m->params.ln1 + (size_t)c->l * Dv;
    for (int i = i0; i < i1; i++)
        vt_rmsnorm_bwd_row(a->dres + (size_t)i * Dv, c->pa + (size_t)ch * c->wa, a->dln + (size_t)i * Dv, c->x + (size_t)i * Dv,
                           c->rstd1[i], w, Dv, 0);
    vt_add_rows(c->pb + (size_t)ch * c->wb, a->dqkv, 3 * Dv, i0, i1, 3 * Dv);
}

/* position rows [i0, i1): the sum over images, in image order */
static void vt_epi_dpos(void *vc, int i0, int i1, int ch) {
    (void)ch;
    vt_ctx *c = vc;
    int Dv = c->d.Dv;
    for (int t = i0; t < i1; t++) {
        float *g = c->m->grads.pos + (size_t)t * Dv;
        for (int b = 0; b < c->B; b++) {
            const float *r = c->m->acts.dres + ((size_t)b * c->d.n + t) * Dv;
#pragma omp simd
            for (int j = 0; j < Dv; j++) g[j] += r[j];
        }
    }
}

static void vt_epi_dpeb(void *vc, int i0, int i1, int ch) {
    vt_ctx *c = vc;
    vt_add_rows(c->pa + (size_t)ch * c->wa, c->m->acts.dres, c->d.Dv, i0, i1, c->d.Dv);
}

/* ------------------------------------------------------------------ backward */

/* zeroes the partial regions for two reductions of widths wa, wb over nch chunks */
static void vt_parts(vt_ctx *c, int nch, int wa, int wb) {
    c->wa = wa;
    c->wb = wb;
    c->pa = c->m->acts.part;
    c->pb = c->pa + (size_t)nch * wa;
    memset(c->pa, 0, (size_t)nch * (wa + wb) * sizeof(float));
}

int vt_backward(vt_model *m, const float *dout) {
    vt_acts *a = &m->acts;
    if (!m->have_fwd) return ut_fail("vt_backward: no forward pass to differentiate");
    vt_dims d = vt_dims_of(&m->cfg);
    nn_blas_one_thread();
    const int B = a->B, nth = a->run.threads, rows = a->run.token_rows, wrows = a->run.weight_rows;
    const int N = B * d.n, Nm = N / 4, mrows = rows / 4 > 0 ? rows / 4 : 1;
    const int nch = vt_chunks(N, rows), mch = vt_chunks(Nm, mrows);
    const vt_params *p = &m->params;
    vt_params *g = &m->grads;
    size_t Dv = (size_t)d.Dv, F = (size_t)d.F;
    vt_ctx cx;
    memset(&cx, 0, sizeof cx);
    cx.m = m;
    cx.d = d;
    cx.B = B;
    cx.dout = dout;
    /* merger output layer */
    vt_parts(&cx, mch, d.D, 0);
    vt_job j0[2] = {vt_gemm_job(1, 0, d.D, d.Dm, Nm, dout, d.D, a->g1, d.Dm, 1.0f, g->w2, d.Dm, wrows, NULL, NULL),
                    vt_gemm_job(0, 0, Nm, d.Dm, d.D, dout, d.D, p->w2, d.Dm, 0.0f, a->dh1, d.Dm, mrows, vt_epi_dmerger2, &cx)};
    vt_run(j0, 2, nth);
    vt_reduce(g->b2, cx.pa, mch, d.D);
    /* merger hidden layer and norm */
    vt_parts(&cx, mch, d.Dm, d.Dv);
    vt_job j1[2] = {vt_gemm_job(1, 0, d.Dm, d.Dm, Nm, a->dh1, d.Dm, a->lnq, d.Dm, 1.0f, g->w1, d.Dm, wrows, NULL, NULL),
                    vt_gemm_job(0, 0, Nm, d.Dm, d.Dm, a->dh1, d.Dm, p->w1, d.Dm, 0.0f, a->dln, d.Dm, mrows, vt_epi_dmerger1, &cx)};
    vt_run(j1, 2, nth);
    vt_reduce(g->b1, cx.pa, mch, d.Dm);
    vt_reduce(g->lnq, cx.pb, mch, d.Dv);
    for (int l = d.L - 1; l >= 0; l--) {
        vt_ctx_layer(&cx, l);
        /* MLP: dres = d(res[l+1]) = d(mid) through the residual */
        vt_parts(&cx, nch, 2 * d.F, d.Dv);
        vt_job k1[2] = {
            vt_gemm_job(0, 0, N, d.F, d.Dv, a->dres, d.Dv, p->wdown + l * Dv * F, d.F, 0.0f, a->dact, d.F, rows, vt_epi_dswiglu,
                        &cx),
            vt_gemm_job(1, 0, d.Dv, d.F, N, a->dres, d.Dv, cx.act, d.F, 1.0f, g->wdown + l * Dv * F, d.F, wrows, NULL, NULL)};
        vt_run(k1, 2, nth);
        vt_reduce(g->bgu + l * 2 * F, cx.pa, nch, 2 * d.F);
        vt_reduce(g->bdown + l * Dv, cx.pb, nch, d.Dv);
        vt_parts(&cx, nch, d.Dv, 0);
        vt_job k2[2] = {
            vt_gemm_job(0, 0, N, d.Dv, 2 * d.F, a->dgu, 2 * d.F, p->wgu + l * 2 * F * Dv, d.Dv, 0.0f, a->dln, d.Dv, rows,
                        vt_epi_dnorm2, &cx),
            vt_gemm_job(1, 0, 2 * d.F, d.Dv, N, a->dgu, 2 * d.F, cx.ln2, d.Dv, 1.0f, g->wgu + l * 2 * F * Dv, d.Dv, wrows, NULL,
                        NULL)};
        vt_run(k2, 2, nth);
        vt_reduce(g->ln2 + l * Dv, cx.pa, nch, d.Dv);
        /* attention: dres = d(mid) */
        vt_parts(&cx, nch, d.Dv, 0);
        vt_job k3[2] = {
            vt_gemm_job(0, 0, N, d.Dv, d.Dv, a->dres, d.Dv, p->wo + l * Dv * Dv, d.Dv, 0.0f, a->datto, d.Dv, rows, vt_epi_dbo,
                        &cx),
            vt_gemm_job(1, 0, d.Dv, d.Dv, N, a->dres, d.Dv, cx.atto, d.Dv, 1.0f, g->wo + l * Dv * Dv, d.Dv, wrows, NULL, NULL)};
        vt_run(k3, 2, nth);
        vt_reduce(g->bo + l * Dv, cx.pa, nch, d.Dv);
        const float *lse = a->att_lse + (size_t)l * N * d.H;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nth)
        for (int task = 0; task < B * d.H; task++)
            vt_attn_bwd_task(&d, task / d.H, task % d.H, cx.qkv, lse, a->datto, a->dqkv,
                             a->scratch + (size_t)omp_get_thread_num() * 2 * d.n * d.n);
        vt_parts(&cx, nch, d.Dv, 3 * d.Dv);
        vt_job k4[2] = {
            vt_gemm_job(0, 0, N, d.Dv, 3 * d.Dv, a->dqkv, 3 * d.Dv, p->wqkv + l * 3 * Dv * Dv, d.Dv, 0.0f, a->dln, d.Dv, rows,
                        vt_epi_dnorm1, &cx),
            vt_gemm_job(1, 0, 3 * d.Dv, d.Dv, N, a->dqkv, 3 * d.Dv, cx.ln1, d.Dv, 1.0f, g->wqkv + l * 3 * Dv * Dv, d.Dv, wrows,
                        NULL, NULL)};
        vt_run(k4, 2, nth);
        vt_reduce(g->ln1 + l * Dv, cx.pa, nch, d.Dv);
        vt_reduce(g->bqkv + l * 3 * Dv, cx.pb, nch, 3 * d.Dv);
    }
    /* dres = d(x0): patch embedding and positions */
    vt_parts(&cx, nch, d.Dv, 0);
    vt_job k5[3] = {
        vt_gemm_job(1, 0, d.Dv, d.PP, N, a->dres, d.Dv, a->patch, d.PP, 1.0f, g->pe_w, d.PP, wrows, NULL, NULL),
        vt_rows_job(N, rows, vt_epi_dpeb, &cx), vt_rows_job(d.n, rows, vt_epi_dpos, &cx)};
    vt_run(k5, 3, nth);
    vt_reduce(g->pe_b, cx.pa, nch, d.Dv);
    return 0;
}
