/* sampler.c - batched KV-cache generation (see sampler.h). */
#include "sampler.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct smp_sampler {
    nn_model *m;
    int V, D, F, L, H, KV, hd, Q, K, QKV;
    /* KV cache; strides use the current call's P (prompt) and N (max_new) and G */
    float *pk, *pv;     /* (L, KV, P, hd) */
    float *gk, *gv;     /* (L, G, KV, N, hd) */
    size_t pcap, gcap;  /* floats allocated in each */
    int P, N, G;
    /* row buffers for up to rcap rows */
    int rcap;
    float *x;           /* (R, D)   residual stream */
    float *h;           /* (R, D)   normalised */
    float *qkv;         /* (R, QKV) */
    float *att;         /* (R, Q)   attention output */
    float *gu;          /* (R, 2F)  gate | up */
    float *act;         /* (R, F)   silu(gate) * up */
    float *logits;      /* (min(R, G cap), V) */
    int lcap;
    /* per-thread scratch */
    int nthr;
    float *scores;      /* (nthr, P + N) */
    size_t scap;
    float *pscr;        /* (nthr, V) */
    int *iscr;          /* (nthr, V) */
    smp_stats st;
};

smp_sampler *smp_new(nn_model *m) {
    smp_sampler *s = ut_calloc(1, sizeof *s);
    const nn_config *c = &m->cfg;
    s->m = m;
    s->V = c->vocab_size;
    s->D = c->hidden_size;
    s->F = c->intermediate_size;
    s->L = c->num_hidden_layers;
    s->H = c->num_attention_heads;
    s->KV = c->num_key_value_heads;
    s->hd = c->head_dim;
    s->Q = s->H * s->hd;
    s->K = s->KV * s->hd;
    s->QKV = s->Q + 2 * s->K;
    return s;
}

void smp_free(smp_sampler *s) {
    if (!s) return;
    free(s->pk);
    free(s->pv);
    free(s->gk);
    free(s->gv);
    free(s->x);
    free(s->h);
    free(s->qkv);
    free(s->att);
    free(s->gu);
    free(s->act);
    free(s->logits);
    free(s->scores);
    free(s->pscr);
    free(s->iscr);
    free(s);
}

const smp_stats *smp_last_stats(const smp_sampler *s) { return &s->st; }

void smp_seq_free(smp_seq *q) {
    free(q->tokens);
    free(q->logprobs);
    free(q->text);
    memset(q, 0, sizeof *q);
}

static float *smp_regrow(float *p, size_t *cap, size_t need) {
    if (need <= *cap) return p;
    free(p);
    *cap = need;
    return ut_malloc(need * sizeof(float));
}

/* sizes the cache for prompt P, G samples of up to N new tokens, and rows for R at once */
static void smp_reserve(smp_sampler *s, int P, int G, int N) {
    size_t pc = s->pcap, gc = s->gcap;
    s->pk = smp_regrow(s->pk, &pc, (size_t)s->L * s->KV * P * s->hd);
    pc = s->pcap;
    s->pv = smp_regrow(s->pv, &pc, (size_t)s->L * s->KV * P * s->hd);
    s->pcap = pc;
    s->gk = smp_regrow(s->gk, &gc, (size_t)s->L * G * s->KV * N * s->hd);
    gc = s->gcap;
    s->gv = smp_regrow(s->gv, &gc, (size_t)s->L * G * s->KV * N * s->hd);
    s->gcap = gc;
    s->P = P;
    s->N = N;
    s->G = G;
    int R = P > G ? P : G;
    if (R > s->rcap) {
        free(s->x);
        free(s->h);
        free(s->qkv);
        free(s->att);
        free(s->gu);
        free(s->act);
        s->x = ut_malloc((size_t)R * s->D * sizeof(float));
        s->h = ut_malloc((size_t)R * s->D * sizeof(float));
        s->qkv = ut_malloc((size_t)R * s->QKV * sizeof(float));
        s->att = ut_malloc((size_t)R * s->Q * sizeof(float));
        s->gu = ut_malloc((size_t)R * 2 * s->F * sizeof(float));
        s->act = ut_malloc((size_t)R * s->F * sizeof(float));
        s->rcap = R;
    }
    if (G > s->lcap) {
        free(s->logits);
        s->logits = ut_malloc((size_t)G * s->V * sizeof(float));
        s->lcap = G;
    }
    int nthr = omp_get_max_threads();
    size_t need = (size_t)nthr * (size_t)(P + N);
    s->scores = smp_regrow(s->scores, &s->scap, need);
    if (nthr > s->nthr) {
        free(s->pscr);
        free(s->iscr);
        s->pscr = ut_malloc((size_t)nthr * s->V * sizeof(float));
        s->iscr = ut_malloc((size_t)nthr * s->V * sizeof(int));
        s->nthr = nthr;
    }
}

/* ---- the batch-by-weight product C (M, N) = X (M, K) W^T (+ C when accumulate), W (N, K) ----
 * Large batches (prefill) use OpenBLAS sgemm. For the few rows of a decode step sgemm spends most
 * of its time packing W (O(N K) work per call whatever M is), so small batches use a register-
 * tiled kernel that reads W in place: a tile of 4 rows of X by 4 rows of W keeps 16 vector
 * accumulators, each loaded W vector feeds 4 FMAs; threads split the rows of W. */
typedef float smp_v16 __attribute__((vector_size(64)));

#if defined(__AVX512F__)
#include <immintrin.h>
#define SMP_FMA(a, b, c) ((smp_v16)_mm512_fmadd_ps((__m512)(a), (__m512)(b), (__m512)(c)))
static inline float smp_hsum(smp_v16 v) { return _mm512_reduce_add_ps((__m512)v); }
#else
#define SMP_FMA(a, b, c) ((a) * (b) + (c))
static inline float smp_hsum(smp_v16 v) {
    float s = 0.0f;
    for (int i = 0; i < 16; i++) s += v[i];
    return s;
}
#endif

static inline smp_v16 smp_load(const float *p) {
    smp_v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void smp_store(float *c, float v, int acc) { *c = acc ? *c + v : v; }

/* the K % 16 tail of one dot product */
static inline float smp_tail(const float *x, const float *w, int k, int K) {
    float v = 0.0f;
    for (; k < K; k++) v += x[k] * w[k];
    return v;
}

/* rows 0..3 of X against rows n..n+3 of W: 16 accumulators in registers */
static void smp_tile4x4(const float *X, const float *W, int K, int n, float *C, int ldc, int acc) {
    const float *x0 = X, *x1 = X + K, *x2 = X + 2 * (size_t)K, *x3 = X + 3 * (size_t)K;
    const float *w0 = W + (size_t)n * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
    smp_v16 a00 = {0}, a01 = {0}, a02 = {0}, a03 = {0}, a10 = {0}, a11 = {0}, a12 = {0}, a13 = {0};
    smp_v16 a20 = {0}, a21 = {0}, a22 = {0}, a23 = {0}, a30 = {0}, a31 = {0}, a32 = {0}, a33 = {0};
    int k = 0;
    for (; k + 16 <= K; k += 16) {
        smp_v16 b0 = smp_load(w0 + k), b1 = smp_load(w1 + k), b2 = smp_load(w2 + k), b3 = smp_load(w3 + k);
        smp_v16 x = smp_load(x0 + k);
        a00 = SMP_FMA(x, b0, a00), a01 = SMP_FMA(x, b1, a01), a02 = SMP_FMA(x, b2, a02), a03 = SMP_FMA(x, b3, a03);
        x = smp_load(x1 + k);
        a10 = SMP_FMA(x, b0, a10), a11 = SMP_FMA(x, b1, a11), a12 = SMP_FMA(x, b2, a12), a13 = SMP_FMA(x, b3, a13);
        x = smp_load(x2 + k);
        a20 = SMP_FMA(x, b0, a20), a21 = SMP_FMA(x, b1, a21), a22 = SMP_FMA(x, b2, a22), a23 = SMP_FMA(x, b3, a23);
        x = smp_load(x3 + k);
        a30 = SMP_FMA(x, b0, a30), a31 = SMP_FMA(x, b1, a31), a32 = SMP_FMA(x, b2, a32), a33 = SMP_FMA(x, b3, a33);
    }
    const float *xs[4] = {x0, x1, x2, x3}, *ws[4] = {w0, w1, w2, w3};
    smp_v16 av[16] = {a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            smp_store(C + (size_t)i * ldc + n + j, smp_hsum(av[4 * i + j]) + smp_tail(xs[i], ws[j], k, K), acc);
}

/* one row of X against rows n..n+3 of W */
static void smp_tile1x4(const float *X, const float *W, int K, int n, float *C, int acc) {
    const float *w0 = W + (size_t)n * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
    smp_v16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    int k = 0;
    for (; k + 16 <= K; k += 16) {
        smp_v16 x = smp_load(X + k);
        a0 = SMP_FMA(x, smp_load(w0 + k), a0);
        a1 = SMP_FMA(x, smp_load(w1 + k), a1);
        a2 = SMP_FMA(x, smp_load(w2 + k), a2);
        a3 = SMP_FMA(x, smp_load(w3 + k), a3);
    }
    smp_store(C + n + 0, smp_hsum(a0) + smp_tail(X, w0, k, K), acc);
    smp_store(C + n + 1, smp_hsum(a1) + smp_tail(X, w1, k, K), acc);
    smp_store(C + n + 2, smp_hsum(a2) + smp_tail(X, w2, k, K), acc);
    smp_store(C + n + 3, smp_hsum(a3) + smp_tail(X, w3, k, K), acc);
}

static void smp_small_gemm(int M, int N, int K, const float *X, const float *W, int acc, float *C) {
    int nb = (N + 3) / 4;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < nb; b++) {
        int n = 4 * b;
        if (n + 4 <= N) {
            int m = 0;
            for (; m + 4 <= M; m += 4) smp_tile4x4(X + (size_t)m * K, W, K, n, C + (size_t)m * N, N, acc);
            for (; m < M; m++) smp_tile1x4(X + (size_t)m * K, W, K, n, C + (size_t)m * N, acc);
        } else {
            for (int m = 0; m < M; m++)
                for (int j = n; j < N; j++) {
                    float v = 0.0f;
                    for (int k = 0; k < K; k++) v += X[(size_t)m * K + k] * W[(size_t)j * K + k];
                    smp_store(C + (size_t)m * N + j, v, acc);
                }
        }
    }
}

enum { SMP_SGEMM_MIN_ROWS = 128 }; /* from this batch size on, sgemm's packing pays off */

static void smp_linear(int M, int N, int K, const float *A, const float *W, float beta, float *C) {
    if (M >= SMP_SGEMM_MIN_ROWS)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, W, K, beta, C, N);
    else
        smp_small_gemm(M, N, K, A, W, beta != 0.0f, C);
}

static inline float smp_dot(const float *a, const float *b, int n) {
    float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
    for (int i = 0; i < n; i++) acc += a[i] * b[i];
    return acc;
}

/* Attention of one query head vector q (hd) over np prompt positions (K/V rows at kp/vp) then
 * ng own positions (kg/vg); out (hd); sc scratch of np + ng floats. */
static void smp_attend(const float *q, const float *kp, const float *vp, int np, const float *kg, const float *vg, int ng,
                       int hd, float scale, float *sc, float *out) {
    float mx = -INFINITY;
    for (int j = 0; j < np; j++) {
        sc[j] = smp_dot(q, kp + (size_t)j * hd, hd) * scale;
        mx = sc[j] > mx ? sc[j] : mx;
    }
    for (int j = 0; j < ng; j++) {
        float v = smp_dot(q, kg + (size_t)j * hd, hd) * scale;
        sc[np + j] = v;
        mx = v > mx ? v : mx;
    }
    float sum = 0.0f;
    int n = np + ng;
    for (int j = 0; j < n; j++) {
        sc[j] = expf(sc[j] - mx);
        sum += sc[j];
    }
    float inv = 1.0f / sum;
    for (int i = 0; i < hd; i++) out[i] = 0.0f;
    for (int j = 0; j < np; j++) {
        const float *v = vp + (size_t)j * hd;
        float w = sc[j] * inv;
#pragma omp simd
        for (int i = 0; i < hd; i++) out[i] += w * v[i];
    }
    for (int j = 0; j < ng; j++) {
        const float *v = vg + (size_t)j * hd;
        float w = sc[np + j] * inv;
#pragma omp simd
        for (int i = 0; i < hd; i++) out[i] += w * v[i];
    }
}

/* Runs R rows through the model. Row r has token tok[r] at position pos[r]; slot[r] < 0 marks a
 * prompt row (its K/V go to the prompt cache, it attends to prompt positions 0..pos), otherwise
 * the row belongs to sample slot[r] (K/V go to its own cache at pos - P; it attends to the whole
 * prompt and its own positions up to pos). Logits of the last nlog rows go to s->logits. */
static void smp_forward(smp_sampler *s, const int *tok, const int *pos, const int *slot, int R, int nlog) {
    const nn_model *m = s->m;
    const nn_params *p = &m->params;
    const int D = s->D, F = s->F, H = s->H, KV = s->KV, hd = s->hd, QKV = s->QKV, Q = s->Q, K = s->K;
    const int P = s->P, N = s->N, G = s->G, grp = H / KV, hd2 = hd / 2;
    const float eps = m->cfg.rms_norm_eps, scale = 1.0f / sqrtf((float)hd);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < R; r++) memcpy(s->x + (size_t)r * D, p->embed + (size_t)tok[r] * D, D * sizeof(float));
    for (int l = 0; l < s->L; l++) {
#pragma omp parallel for schedule(static)
        for (int r = 0; r < R; r++) nn_rmsnorm_row(s->h + (size_t)r * D, s->x + (size_t)r * D, p->ln1 + (size_t)l * D, D, eps);
        smp_linear(R, QKV, D, s->h, p->wqkv + (size_t)l * QKV * D, 0.0f, s->qkv);
        /* bias, RoPE on q and k heads, keys and values into the cache */
        const float *bq = p->bqkv + (size_t)l * QKV;
#pragma omp parallel for schedule(static)
        for (int r = 0; r < R; r++) {
            float *row = s->qkv + (size_t)r * QKV;
#pragma omp simd
            for (int j = 0; j < QKV; j++) row[j] += bq[j];
            const float *cs = m->rope_cos + (size_t)pos[r] * hd2, *sn = m->rope_sin + (size_t)pos[r] * hd2;
            for (int hh = 0; hh < H + KV; hh++) nn_rope_row(row + (size_t)hh * hd, hd, cs, sn);
            for (int g = 0; g < KV; g++) {
                float *kd, *vd;
                if (slot[r] < 0) {
                    size_t off = (((size_t)l * KV + g) * P + pos[r]) * hd;
                    kd = s->pk + off;
                    vd = s->pv + off;
                } else {
                    size_t off = ((((size_t)l * G + slot[r]) * KV + g) * N + (pos[r] - P)) * hd;
                    kd = s->gk + off;
                    vd = s->gv + off;
                }
                memcpy(kd, row + Q + (size_t)g * hd, hd * sizeof(float));
                memcpy(vd, row + Q + K + (size_t)g * hd, hd * sizeof(float));
            }
        }
        /* attention, one task per (row, query head) */
#pragma omp parallel for schedule(dynamic, 4)
        for (int task = 0; task < R * H; task++) {
            int r = task / H, hh = task % H, g = hh / grp;
            float *sc = s->scores + (size_t)omp_get_thread_num() * (size_t)(P + N);
            size_t poff = ((size_t)l * KV + g) * P * hd;
            int np = slot[r] < 0 ? pos[r] + 1 : P, ng = slot[r] < 0 ? 0 : pos[r] - P + 1;
            size_t goff = slot[r] < 0 ? 0 : (((size_t)l * G + slot[r]) * KV + g) * N * hd;
            smp_attend(s->qkv + (size_t)r * QKV + (size_t)hh * hd, s->pk + poff, s->pv + poff, np, s->gk + goff,
                       s->gv + goff, ng, hd, scale, sc, s->att + (size_t)r * Q + (size_t)hh * hd);
        }
        smp_linear(R, D, Q, s->att, p->wo + (size_t)l * D * Q, 1.0f, s->x);
#pragma omp parallel for schedule(static)
        for (int r = 0; r < R; r++) nn_rmsnorm_row(s->h + (size_t)r * D, s->x + (size_t)r * D, p->ln2 + (size_t)l * D, D, eps);
        smp_linear(R, 2 * F, D, s->h, p->wgu + (size_t)l * 2 * F * D, 0.0f, s->gu);
#pragma omp parallel for schedule(static)
        for (int r = 0; r < R; r++) {
            const float *gr = s->gu + (size_t)r * 2 * F, *ur = gr + F;
            float *ar = s->act + (size_t)r * F;
            for (int j = 0; j < F; j++) ar[j] = gr[j] / (1.0f + expf(-gr[j])) * ur[j];
        }
        smp_linear(R, D, F, s->act, p->wdown + (size_t)l * D * F, 1.0f, s->x);
    }
    int r0 = R - nlog;
#pragma omp parallel for schedule(static)
    for (int r = r0; r < R; r++) nn_rmsnorm_row(s->h + (size_t)r * D, s->x + (size_t)r * D, p->norm, D, eps);
    smp_linear(nlog, s->V, D, s->h + (size_t)r0 * D, p->lm_head, 0.0f, s->logits);
}

/* ------------------------------------------------------------------ sampling */

/* order: higher probability first, then lower id */
static inline int smp_before(const float *p, int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); }

/* partial selection: afterwards idx[0..k) hold the k first ids in smp_before order (unsorted) */
static void smp_select(const float *p, int *idx, int n, int k) {
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int piv = idx[lo + (hi - lo) / 2], i = lo, j = hi;
        while (i <= j) {
            while (smp_before(p, idx[i], piv)) i++;
            while (smp_before(p, piv, idx[j])) j--;
            if (i <= j) {
                int t = idx[i];
                idx[i++] = idx[j];
                idx[j--] = t;
            }
        }
        if (k - 1 <= j) hi = j;
        else if (k - 1 >= i) lo = i;
        else break;
    }
}

static void smp_sort(const float *p, int *idx, int n) { /* insertion sort for short lists, else heap sort */
    if (n <= 32) {
        for (int i = 1; i < n; i++) {
            int v = idx[i], j = i - 1;
            while (j >= 0 && smp_before(p, v, idx[j])) idx[j + 1] = idx[j], j--;
            idx[j + 1] = v;
        }
        return;
    }
    /* heap sort with the "last in order" element at the root, so the array ends up in order */
    for (int start = n / 2 - 1; start >= 0; start--) {
        int i = start;
        for (;;) {
            int c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && smp_before(p, idx[c], idx[c + 1])) c++;
            if (!smp_before(p, idx[i], idx[c])) break;
            int t = idx[i];
            idx[i] = idx[c];
            idx[c] = t;
            i = c;
        }
    }
    for (int end = n - 1; end > 0; end--) {
        int t = idx[0];
        idx[0] = idx[end];
        idx[end] = t;
        int i = 0;
        for (;;) {
            int c = 2 * i + 1;
            if (c >= end) break;
            if (c + 1 < end && smp_before(p, idx[c], idx[c + 1])) c++;
            if (!smp_before(p, idx[i], idx[c])) break;
            t = idx[i];
            idx[i] = idx[c];
            idx[c] = t;
            i = c;
        }
    }
}

int smp_sample_row(const float *z, int V, float temperature, int top_k, float top_p, ut_rng *rng, float *pw, int *idx,
                   float *logprob) {
    float mx = -INFINITY;
    int amax = 0;
    for (int i = 0; i < V; i++)
        if (z[i] > mx) mx = z[i], amax = i;
    double se = 0.0;
    for (int i = 0; i < V; i++) se += expf(z[i] - mx);
    float lse = mx + (float)log(se);
    int tok;
    if (temperature <= 0.0f || top_k == 1) {
        tok = amax;
    } else {
        float it = 1.0f / temperature;
        double sum = 0.0;
        for (int i = 0; i < V; i++) sum += (pw[i] = expf((z[i] - mx) * it));
        int filter_k = top_k > 0 && top_k < V, filter_p = top_p > 0.0f && top_p < 1.0f;
        if (!filter_k && !filter_p) {
            double u = ut_rng_uniform(rng) * sum, c = 0.0;
            tok = V - 1;
            for (int i = 0; i < V; i++) {
                c += pw[i];
                if (c > u) {
                    tok = i;
                    break;
                }
            }
            while (pw[tok] == 0.0f && tok > 0) tok--; /* rounding at the very end: never pick a zero */
        } else {
            for (int i = 0; i < V; i++) idx[i] = i;
            int n = filter_k ? top_k : V;
            double mass = sum;
            if (filter_k) {
                smp_select(pw, idx, V, n);
                mass = 0.0;
                for (int i = 0; i < n; i++) mass += pw[idx[i]];
            }
            int keep = n;
            if (filter_p) {
                /* grow a sorted head of the candidates until it holds top_p of the mass */
                int head = 64 < n ? 64 : n;
                for (;;) {
                    if (head < n) smp_select(pw, idx, n, head);
                    smp_sort(pw, idx, head);
                    double c = 0.0;
                    int cut = -1;
                    for (int i = 0; i < head; i++) {
                        c += pw[idx[i]];
                        if (c >= top_p * mass) {
                            cut = i + 1;
                            break;
                        }
                    }
                    if (cut > 0 || head == n) {
                        keep = cut > 0 ? cut : n;
                        break;
                    }
                    head = head * 4 < n ? head * 4 : n;
                }
            }
            double km = 0.0;
            for (int i = 0; i < keep; i++) km += pw[idx[i]];
            double u = ut_rng_uniform(rng) * km, c = 0.0;
            tok = idx[keep - 1];
            for (int i = 0; i < keep; i++) {
                c += pw[idx[i]];
                if (c > u) {
                    tok = idx[i];
                    break;
                }
            }
        }
    }
    *logprob = z[tok] - lse;
    return tok;
}

/* ------------------------------------------------------------------ generation */

int smp_prefill_logits(smp_sampler *s, const int *prompt, int P, float *logits) {
    if (P < 1 || P > s->m->cfg.max_position_embeddings)
        return ut_fail("prompt length %d is outside 1..%d", P, s->m->cfg.max_position_embeddings);
    for (int i = 0; i < P; i++)
        if (prompt[i] < 0 || prompt[i] >= s->V) return ut_fail("prompt token %d (id %d) is outside the vocabulary 0..%d", i, prompt[i], s->V - 1);
    smp_reserve(s, P, 1, 1);
    int *pos = ut_malloc((size_t)P * 2 * sizeof(int)), *slot = pos + P;
    for (int i = 0; i < P; i++) pos[i] = i, slot[i] = -1;
    smp_forward(s, prompt, pos, slot, P, 1);
    memcpy(logits, s->logits, (size_t)s->V * sizeof(float));
    free(pos);
    return 0;
}

/* appends token bytes to q's text; returns 1 when a stop string now occurs (text cut before it) */
static int smp_append_text(const smp_opts *o, smp_seq *q, size_t *cap, int id) {
    int len;
    const char *b = tok_token_bytes(o->tok, id, &len);
    if (!b) return 0;
    size_t old = q->text_len;
    if (q->text_len + (size_t)len + 1 > *cap) {
        while (q->text_len + (size_t)len + 1 > *cap) *cap *= 2;
        q->text = ut_realloc(q->text, *cap);
    }
    memcpy(q->text + q->text_len, b, (size_t)len);
    q->text_len += (size_t)len;
    q->text[q->text_len] = 0;
    for (int k = 0; k < o->nstop; k++) {
        size_t sl = strlen(o->stop[k]);
        if (!sl || sl > q->text_len) continue;
        size_t from = old + 1 > sl ? old + 1 - sl : 0; /* only matches that end in the new bytes */
        for (size_t i = from; i + sl <= q->text_len; i++)
            if (!memcmp(q->text + i, o->stop[k], sl)) {
                q->text_len = i;
                q->text[i] = 0;
                return 1;
            }
    }
    return 0;
}

int smp_generate(smp_sampler *s, const int *prompt, int P, const smp_opts *o, smp_seq *out) {
    int G = o->n, N = o->max_new, maxpos = s->m->cfg.max_position_embeddings;
    if (G < 1) return ut_fail("the number of samples must be at least 1 (got %d)", G);
    if (N < 1) return ut_fail("max new tokens must be at least 1 (got %d)", N);
    if (P < 1) return ut_fail("the prompt is empty");
    if (P + N > maxpos)
        return ut_fail("prompt (%d tokens) + max new tokens (%d) exceed the model's %d positions", P, N, maxpos);
    if (o->nstop > 0 && !o->tok) return ut_fail("stop strings need a tokenizer");
    if (o->tok && tok_vocab_size(o->tok) > s->V)
        return ut_fail("the tokenizer has %d ids but the model only %d", tok_vocab_size(o->tok), s->V);
    for (int i = 0; i < P; i++)
        if (prompt[i] < 0 || prompt[i] >= s->V) return ut_fail("prompt token %d (id %d) is outside the vocabulary 0..%d", i, prompt[i], s->V - 1);
    double t0 = ut_now();
    smp_reserve(s, P, G, N);
    int R = P > G ? P : G;
    int *tok = ut_malloc((size_t)R * 3 * sizeof(int)), *pos = tok + R, *slot = pos + R;
    for (int i = 0; i < P; i++) tok[i] = prompt[i], pos[i] = i, slot[i] = -1;
    smp_forward(s, tok, pos, slot, P, 1);
    double t1 = ut_now();

    ut_rng *rng = ut_malloc((size_t)G * sizeof *rng);
    size_t *tcap = ut_malloc((size_t)G * sizeof *tcap);
    int *live = ut_malloc((size_t)G * 2 * sizeof(int)), *next = live + G;
    float *nextlp = ut_malloc((size_t)G * sizeof(float));
    for (int i = 0; i < G; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].tokens = ut_malloc((size_t)N * sizeof(int));
        out[i].logprobs = ut_malloc((size_t)N * sizeof(float));
        out[i].finish = SMP_LENGTH;
        if (o->tok) {
            tcap[i] = 256;
            out[i].text = ut_malloc(tcap[i]);
            out[i].text[0] = 0;
        }
        ut_rng_seed(&rng[i], o->seed + (uint64_t)i * 0x9E3779B97F4A7C15ull);
        live[i] = i;
    }
    /* first token of every sample from the prompt's last logits */
    int B = G;
    size_t V = (size_t)s->V;
    if (o->logits_out)
        for (int i = 0; i < G; i++) memcpy(o->logits_out + (size_t)i * N * V, s->logits, V * sizeof(float));
#pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        int th = omp_get_thread_num();
        next[b] = smp_sample_row(s->logits, s->V, o->temperature, o->top_k, o->top_p, &rng[b], s->pscr + (size_t)th * s->V,
                                 s->iscr + (size_t)th * s->V, &nextlp[b]);
    }
    long decode_tokens = 0;
    for (;;) {
        /* record the sampled tokens; finished samples leave the batch */
        int nb = 0;
        for (int b = 0; b < B; b++) {
            int i = live[b], id = next[b];
            smp_seq *q = &out[i];
            q->tokens[q->ntokens] = id;
            q->logprobs[q->ntokens] = nextlp[b];
            q->ntokens++;
            int done = 0;
            for (int e = 0; e < o->neos && !done; e++)
                if (o->eos_ids[e] == id) q->finish = SMP_EOS, done = 1;
            if (!done && o->tok && smp_append_text(o, q, &tcap[i], id)) q->finish = SMP_STOP, done = 1;
            if (!done && q->ntokens >= N) done = 1;
            if (!done) live[nb++] = i;
        }
        B = nb;
        if (B == 0) break;
        for (int b = 0; b < B; b++) {
            const smp_seq *q = &out[live[b]];
            tok[b] = q->tokens[q->ntokens - 1];
            pos[b] = P + q->ntokens - 1;
            slot[b] = live[b];
        }
        smp_forward(s, tok, pos, slot, B, B);
        if (o->logits_out)
            for (int b = 0; b < B; b++)
                memcpy(o->logits_out + ((size_t)live[b] * N + (size_t)out[live[b]].ntokens) * V, s->logits + (size_t)b * V,
                       V * sizeof(float));
#pragma omp parallel for schedule(static)
        for (int b = 0; b < B; b++) {
            int th = omp_get_thread_num();
            next[b] = smp_sample_row(s->logits + (size_t)b * s->V, s->V, o->temperature, o->top_k, o->top_p, &rng[live[b]],
                                     s->pscr + (size_t)th * s->V, s->iscr + (size_t)th * s->V, &nextlp[b]);
        }
        decode_tokens += B;
    }
    double t2 = ut_now();
    s->st.prefill_s = t1 - t0;
    s->st.decode_s = t2 - t1;
    s->st.decode_tokens = decode_tokens;
    free(tok);
    free(rng);
    free(tcap);
    free(live);
    free(nextlp);
    return 0;
}
