/* sampler.c - batched KV-cache generation (see sampler.h). */
#include "ml/sampler.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/util.h"
#include "ml/gemm.h"
#include "ml/sampler_int.h"

/* batches of fewer rows than SMP_PAR_MIN_ROWS run on the calling thread */
enum { SMP_PAR_MIN_ROWS = 256 };

/* buffers for R rows of one forward pass */
typedef struct {
    int rcap, lcap;
    float *x;      /* (R, D)   residual stream */
    float *h;      /* (R, D)   normalised */
    float *qkv;    /* (R, QKV) */
    float *att;    /* (R, Q)   attention output */
    uint16_t *qh;  /* (R, Q)   the queries rounded to bfloat16 (SMP_BF16), or int16 (SMP_KV8) */
    float *qsc;    /* (R, H)   SMP_KV8: the int16 queries' scales, one per row and head */
    float *gu;     /* (R, 2F)  gate | up */
    float *act;    /* (R, F)   silu(gate) * up */
    float *logits; /* (lcap, V) */
    float *pscr;   /* (V) sampling scratch */
    int *iscr;     /* (V) */
} smp_ws;

struct smp_sampler {
    nn_model *m;
    int V, D, F, L, H, KV, hd, Q, K, QKV;
    /* KV cache; strides use the current call's NP (prompts), P (longest prompt), N (max_new)
     * and G (samples of all prompts) */
    float *pk, *pv;     /* (L, NP, KV, P, hd) float32; when kv16 uint16_t bfloat16 pairs, P even */
    float *gk, *gv;     /* (L, G, KV, N, hd) likewise, N even when kv16 */
                        /* when kv8: pk (L, NP, KV, P64/64 blocks) and gk (L, G, KV, N64/64 blocks)
                         * of smp_kv8_block_bytes(hd) each (keys, scales, values: sampler_int.h);
                         * pv, gv unused */
    size_t pkcap, pvcap, gkcap, gvcap; /* floats allocated in each */
    int kv16;           /* this call's cache holds bfloat16 (SMP_BF16) */
    int kv8;            /* this call's cache holds int8 with scales (SMP_KV8) */
    size_t kv8b;        /* bytes per 64-position block of the 8-bit cache */
    int bprod;          /* this call's decode products run on bfloat16 weights (pk_b) */
    int NP, P, N, G;    /* key blocks are padded to multiples of SMP_ATT_BLOCK positions */
    size_t P64, N64;    /* key positions per head: P, N rounded up to SMP_ATT_BLOCK */
    size_t Pv, Nv;      /* value rows per head: P, N (rounded up to even when kv16) */
    int *plen;          /* (NP) prompt lengths */
    int *sprm;          /* (G) the prompt of each sample */
    int plcap, spcap;   /* ints allocated in plen, sprm */
    /* the weights repacked for the decode kernel at the start of each call (smp_pack): per layer
     * wqkv, wo, wgu, wdown, then the head; each matrix as column panels, see smp_pack */
    float *pk_w;
    size_t pk_wcap;
    size_t pk_off[5];   /* offsets of layer 0's wqkv, wo, wgu, wdown and of the head */
    size_t pk_lstride;  /* floats per layer */
    uint32_t *pk_b;     /* the same matrices as bfloat16 panels (gm_bpack) when bprod */
    size_t pk_bcap, pk_boff[5], pk_blstride; /* words allocated; offsets as pk_off, in words */
    smp_ws pre;         /* prefill rows */
    smp_ws *ws;         /* [nws] one per decode thread */
    int nws;
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

static void smp_ws_free(smp_ws *w) {
    free(w->x);
    free(w->h);
    free(w->qkv);
    free(w->att);
    free(w->qh);
    free(w->qsc);
    free(w->gu);
    free(w->act);
    free(w->logits);
    free(w->pscr);
    free(w->iscr);
    memset(w, 0, sizeof *w);
}

/* room for R rows and nlog logits rows */
static void smp_ws_reserve(const smp_sampler *s, smp_ws *w, int R, int nlog) {
    if (R > w->rcap) {
        free(w->x);
        free(w->h);
        free(w->qkv);
        free(w->att);
        free(w->qh);
        free(w->qsc);
        free(w->gu);
        free(w->act);
        w->x = ut_malloc((size_t)R * s->D * sizeof(float));
        w->h = ut_malloc((size_t)R * s->D * sizeof(float));
        w->qkv = ut_malloc((size_t)R * s->QKV * sizeof(float));
        w->att = ut_malloc((size_t)R * s->Q * sizeof(float));
        w->qh = ut_malloc((size_t)R * s->Q * sizeof(uint16_t));
        w->qsc = ut_malloc((size_t)R * s->H * sizeof(float));
        w->gu = ut_malloc((size_t)R * 2 * s->F * sizeof(float));
        w->act = ut_malloc((size_t)R * s->F * sizeof(float));
        w->rcap = R;
    }
    if (nlog > w->lcap) {
        free(w->logits);
        w->logits = ut_malloc((size_t)nlog * s->V * sizeof(float));
        w->lcap = nlog;
    }
    if (!w->pscr) {
        w->pscr = ut_malloc((size_t)s->V * sizeof(float));
        w->iscr = ut_malloc((size_t)s->V * sizeof(int));
    }
}

void smp_free(smp_sampler *s) {
    if (!s) return;
    free(s->pk);
    free(s->pv);
    free(s->gk);
    free(s->gv);
    free(s->pk_w);
    free(s->pk_b);
    free(s->plen);
    free(s->sprm);
    smp_ws_free(&s->pre);
    for (int i = 0; i < s->nws; i++) smp_ws_free(&s->ws[i]);
    free(s->ws);
    free(s);
}

const smp_stats *smp_last_stats(const smp_sampler *s) { return &s->st; }

void smp_seq_free(smp_seq *q) {
    free(q->tokens);
    free(q->logprobs);
    free(q->text);
    memset(q, 0, sizeof *q);
}

/* A buffer of at least need floats (the old one when it is large enough). Buffers of 2 MB and
 * more are aligned to 2 MB and marked for transparent huge pages: the caches and the packed
 * weights are streamed every step, and with 4 KB pages nearly every page of them misses the TLB. */
static float *smp_regrow(float *p, size_t *cap, size_t need) {
    enum { HUGE = 2 << 20 };
    if (need <= *cap) return p;
    free(p);
    *cap = need;
    size_t bytes = need * sizeof(float);
    if (bytes < HUGE) return ut_malloc(bytes);
    bytes = (bytes + HUGE - 1) / HUGE * HUGE;
    void *q = aligned_alloc(HUGE, bytes);
    if (!q) return ut_malloc(bytes); /* ut_malloc reports the failure */
#ifdef MADV_HUGEPAGE
    madvise(q, bytes, MADV_HUGEPAGE); /* a hint: without huge pages it still works */
#endif
    return q;
}

/* sizes the cache for NP prompts of lengths plen (Ptot tokens in all) with n samples each of up
 * to N new tokens in the layout of precision (SMP_F32, SMP_BF16, SMP_KV8), and nthr decode
 * workspaces */
static void smp_reserve(smp_sampler *s, const int *plen, int NP, int n, int N, int nthr, int precision) {
    const int kv16 = precision == SMP_BF16, kv8 = precision == SMP_KV8;
    int P = 0, Ptot = 0, G = NP * n;
    for (int p = 0; p < NP; p++) P = plen[p] > P ? plen[p] : P, Ptot += plen[p];
    size_t P64 = (size_t)(P + SMP_ATT_BLOCK - 1) / SMP_ATT_BLOCK * SMP_ATT_BLOCK;
    size_t N64 = (size_t)(N + SMP_ATT_BLOCK - 1) / SMP_ATT_BLOCK * SMP_ATT_BLOCK;
    size_t lkh = (size_t)s->L * s->KV * s->hd;
    size_t Pv = kv16 ? (size_t)(P + 1) / 2 * 2 : (size_t)P, Nv = kv16 ? (size_t)(N + 1) / 2 * 2 : (size_t)N;
    /* floats for e elements: e, or e/2 rounded up for 16-bit elements */
#define SMP_CACHE_FLOATS(e) (kv16 ? ((e) + 1) / 2 : (e))
    s->kv8b = smp_kv8_block_bytes(s->hd);
    if (kv8) { /* blocks of keys, scales and values (a multiple of 4 bytes each) */
        size_t lk = (size_t)s->L * s->KV * (s->kv8b / sizeof(float));
        s->pk = smp_regrow(s->pk, &s->pkcap, lk * NP * (P64 / SMP_ATT_BLOCK));
        s->gk = smp_regrow(s->gk, &s->gkcap, lk * (size_t)G * (N64 / SMP_ATT_BLOCK));
    } else {
        s->pk = smp_regrow(s->pk, &s->pkcap, SMP_CACHE_FLOATS(lkh * NP * P64));
        s->pv = smp_regrow(s->pv, &s->pvcap, SMP_CACHE_FLOATS(lkh * NP * Pv));
        s->gk = smp_regrow(s->gk, &s->gkcap, SMP_CACHE_FLOATS(lkh * (size_t)G * N64));
        s->gv = smp_regrow(s->gv, &s->gvcap, SMP_CACHE_FLOATS(lkh * (size_t)G * Nv));
    }
#undef SMP_CACHE_FLOATS
    s->kv16 = kv16;
    s->kv8 = kv8;
    if (NP > s->plcap) s->plen = ut_realloc(s->plen, (size_t)NP * sizeof(int)), s->plcap = NP;
    if (G > s->spcap) s->sprm = ut_realloc(s->sprm, (size_t)G * sizeof(int)), s->spcap = G;
    memcpy(s->plen, plen, (size_t)NP * sizeof(int));
    for (int i = 0; i < G; i++) s->sprm[i] = i / n;
    s->NP = NP;
    s->P = P;
    s->N = N;
    s->G = G;
    s->P64 = P64, s->N64 = N64, s->Pv = Pv, s->Nv = Nv;
    smp_ws_reserve(s, &s->pre, Ptot, NP);
    if (nthr > s->nws) {
        s->ws = ut_realloc(s->ws, (size_t)nthr * sizeof *s->ws);
        memset(s->ws + s->nws, 0, (size_t)(nthr - s->nws) * sizeof *s->ws);
        s->nws = nthr;
    }
    /* any split of G fits, and so does any one prompt (smp_prefill_each) */
    for (int t = 0; t < nthr; t++) smp_ws_reserve(s, &s->ws[t], G > P ? G : P, G);
}

/* vectors of 16 floats (one AVX-512 register) for the hand-vectorised loops */
typedef float smp_v16 __attribute__((vector_size(64)));

#if defined(__AVX512F__)
#include <immintrin.h>
#define SMP_FMA(a, b, c) ((smp_v16)_mm512_fmadd_ps((__m512)(a), (__m512)(b), (__m512)(c)))
#else
#define SMP_FMA(a, b, c) ((a) * (b) + (c))
#endif

static inline smp_v16 smp_load(const float *p) {
    smp_v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void smp_store(float *c, float v, int acc) { *c = acc ? *c + v : v; }

/* ---- decode products against repacked weights ----
 * W (N, K) is stored as ceil(N/32) column panels, panel p = (K, 32): element [k][j] = W[32p + j][k]
 * (zero past N). A tile of up to 8 rows of X by one panel keeps 16 vector accumulators; each k
 * loads two panel vectors and broadcasts 8 activations, so there are no horizontal sums and the
 * weights stream once per call, in order, from one contiguous array. The panel (32 K floats)
 * stays in L1/L2 while the row tiles pass over it. */
enum { SMP_NR = 32, SMP_MR = 8 };

static size_t smp_packed_size(int N, int K) { return (size_t)(N + SMP_NR - 1) / SMP_NR * SMP_NR * K; }

/* W (N, K) -> panels at dst (smp_packed_size(N, K) floats) */
static void smp_pack(const float *W, int N, int K, float *dst) {
    int np = (N + SMP_NR - 1) / SMP_NR;
    for (int p = 0; p < np; p++) {
        float *d = dst + (size_t)p * K * SMP_NR;
        for (int j = 0; j < SMP_NR; j++) {
            int n = p * SMP_NR + j;
            const float *w = W + (size_t)n * K;
            if (n < N)
                for (int k = 0; k < K; k++) d[(size_t)k * SMP_NR + j] = w[k];
            else
                for (int k = 0; k < K; k++) d[(size_t)k * SMP_NR + j] = 0.0f;
        }
    }
}

/* C[i][j] (+)= sum_k X[i][k] pw[k][j] for i < MR rows of X (stride K), j < nc columns of C (stride
 * ldc); MR is a constant at every call site, so the accumulators live in registers */
static inline __attribute__((always_inline)) void smp_panel_tile(const int MR, const float *X, int K, const float *pw,
                                                                 float *C, int ldc, int nc, int acc) {
    smp_v16 c0[SMP_MR], c1[SMP_MR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) c0[i] = c1[i] = (smp_v16){0};
    for (int k = 0; k < K; k++) {
        smp_v16 b0 = smp_load(pw + (size_t)k * SMP_NR), b1 = smp_load(pw + (size_t)k * SMP_NR + 16);
#pragma GCC unroll 8
        for (int i = 0; i < MR; i++) {
            smp_v16 x = (smp_v16){0} + X[(size_t)i * K + k];
            c0[i] = SMP_FMA(x, b0, c0[i]);
            c1[i] = SMP_FMA(x, b1, c1[i]);
        }
    }
    float t[SMP_NR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) {
        float *c = C + (size_t)i * ldc;
        if (nc == SMP_NR && !acc) {
            memcpy(c, &c0[i], sizeof c0[i]);
            memcpy(c + 16, &c1[i], sizeof c1[i]);
        } else if (nc == SMP_NR) {
            smp_v16 o0 = smp_load(c) + c0[i], o1 = smp_load(c + 16) + c1[i];
            memcpy(c, &o0, sizeof o0);
            memcpy(c + 16, &o1, sizeof o1);
        } else {
            memcpy(t, &c0[i], sizeof c0[i]);
            memcpy(t + 16, &c1[i], sizeof c1[i]);
            for (int j = 0; j < nc; j++) smp_store(c + j, t[j], acc);
        }
    }
}

/* C (M, N) = X (M, K) W^T (+ C when acc), W given as panels (smp_pack) */
static void smp_packed_gemm(int M, int N, int K, const float *X, const float *Wp, int acc, float *C) {
    int np = (N + SMP_NR - 1) / SMP_NR;
    for (int p = 0; p < np; p++) {
        const float *pw = Wp + (size_t)p * K * SMP_NR;
        int n0 = p * SMP_NR, nc = N - n0 < SMP_NR ? N - n0 : SMP_NR;
        int m = 0;
        for (; m + SMP_MR <= M; m += SMP_MR) smp_panel_tile(SMP_MR, X + (size_t)m * K, K, pw, C + (size_t)m * N + n0, N, nc, acc);
        const float *x = X + (size_t)m * K;
        float *c = C + (size_t)m * N + n0;
        switch (M - m) {
        case 7: smp_panel_tile(7, x, K, pw, c, N, nc, acc); break;
        case 6: smp_panel_tile(6, x, K, pw, c, N, nc, acc); break;
        case 5: smp_panel_tile(5, x, K, pw, c, N, nc, acc); break;
        case 4: smp_panel_tile(4, x, K, pw, c, N, nc, acc); break;
        case 3: smp_panel_tile(3, x, K, pw, c, N, nc, acc); break;
        case 2: smp_panel_tile(2, x, K, pw, c, N, nc, acc); break;
        case 1: smp_panel_tile(1, x, K, pw, c, N, nc, acc); break;
        default: break;
        }
    }
}

/* C = X W^T (+ C when beta = 1). On one thread with bfloat16 panels Wb at hand (decode steps of
 * SMP_BF16 where the CPU has AVX512_BF16), gm_bgemm_packed; on one thread with the packed weights
 * Wp at hand, the panel kernel; otherwise (large prefills) the threads split the rows of W (the output columns) and each
 * calls a single-threaded OpenBLAS sgemm on its slice, so there is one thread pool (OpenMP) and
 * OpenBLAS threads never run inside or beside it. */
static void smp_linear(int M, int N, int K, const float *A, const float *W, const float *Wp, const uint32_t *Wb, float beta,
                       float *C, int nth) {
    if (nth <= 1 && Wb && gm_bgemm_packed(M, N, K, A, K, Wb, beta != 0.0f, C, N) == 0) return;
    if (nth <= 1 && Wp) {
        smp_packed_gemm(M, N, K, A, Wp, beta != 0.0f, C);
        return;
    }
#pragma omp parallel num_threads(nth) if (nth > 1)
    {
        int nt = omp_get_num_threads(), t = omp_get_thread_num();
        int per = ((N + nt - 1) / nt + 15) & ~15, n0 = t * per, n1 = n0 + per < N ? n0 + per : N;
        if (n1 > n0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, n1 - n0, K, 1.0f, A, K, W + (size_t)n0 * K, K, beta,
                        C + n0, N);
    }
}

/* the same matrices as bfloat16 panels into s->pk_b (for the decode steps of SMP_BF16) */
static void smp_bpack_all(smp_sampler *s, int nth) {
    const nn_params *p = &s->m->params;
    const int D = s->D, F = s->F, Q = s->Q, QKV = s->QKV;
    size_t sz[4] = {gm_bpack_size(QKV, D), gm_bpack_size(D, Q), gm_bpack_size(2 * F, D), gm_bpack_size(D, F)};
    s->pk_boff[0] = 0;
    for (int i = 1; i < 4; i++) s->pk_boff[i] = s->pk_boff[i - 1] + sz[i - 1];
    s->pk_blstride = s->pk_boff[3] + sz[3];
    s->pk_boff[4] = s->pk_blstride * s->L;
    s->pk_b = (uint32_t *)smp_regrow((float *)s->pk_b, &s->pk_bcap, s->pk_boff[4] + gm_bpack_size(s->V, D));
#pragma omp parallel for schedule(dynamic, 1) num_threads(nth) if (nth > 1)
    for (int job = 0; job <= 4 * s->L; job++) {
        if (job == 4 * s->L) {
            gm_bpack(p->lm_head, s->V, D, s->pk_b + s->pk_boff[4]);
            continue;
        }
        int l = job / 4, i = job % 4;
        uint32_t *d = s->pk_b + s->pk_blstride * l + s->pk_boff[i];
        if (i == 0) gm_bpack(p->wqkv + (size_t)l * QKV * D, QKV, D, d);
        else if (i == 1) gm_bpack(p->wo + (size_t)l * D * Q, D, Q, d);
        else if (i == 2) gm_bpack(p->wgu + (size_t)l * 2 * F * D, 2 * F, D, d);
        else gm_bpack(p->wdown + (size_t)l * D * F, D, F, d);
    }
}

/* repacks every weight matrix of the model into s->pk_w (the weights may change between calls) */
static void smp_pack_all(smp_sampler *s) {
    const nn_params *p = &s->m->params;
    const int D = s->D, F = s->F, Q = s->Q, QKV = s->QKV;
    size_t sz[4] = {smp_packed_size(QKV, D), smp_packed_size(D, Q), smp_packed_size(2 * F, D), smp_packed_size(D, F)};
    s->pk_off[0] = 0;
    for (int i = 1; i < 4; i++) s->pk_off[i] = s->pk_off[i - 1] + sz[i - 1];
    s->pk_lstride = s->pk_off[3] + sz[3];
    s->pk_off[4] = s->pk_lstride * s->L;
    s->pk_w = smp_regrow(s->pk_w, &s->pk_wcap, s->pk_off[4] + smp_packed_size(s->V, D));
    const int nth = omp_in_parallel() ? 1 : nn_threads(s->m);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nth) if (nth > 1)
    for (int job = 0; job <= 4 * s->L; job++) {
        if (job == 4 * s->L) {
            smp_pack(p->lm_head, s->V, D, s->pk_w + s->pk_off[4]);
            continue;
        }
        int l = job / 4, i = job % 4;
        float *d = s->pk_w + s->pk_lstride * l + s->pk_off[i];
        if (i == 0) smp_pack(p->wqkv + (size_t)l * QKV * D, QKV, D, d);
        else if (i == 1) smp_pack(p->wo + (size_t)l * D * Q, D, Q, d);
        else if (i == 2) smp_pack(p->wgu + (size_t)l * 2 * F * D, 2 * F, D, d);
        else smp_pack(p->wdown + (size_t)l * D * F, D, F, d);
    }
    if (s->bprod) smp_bpack_all(s, nth);
}

/* Attention of one query head vector q (hd) over n cached positions - keys in transposed blocks,
 * block b = positions [64b, 64b+64) stored as (hd, 64) at kblocks + 64 b hd; values v (n, hd) -
 * folded into the running softmax state
 * (max *mx, denominator *den, unnormalised out) block by block. Scores of a block come from hd
 * vector multiply-adds over contiguous key rows (no horizontal sums), and no scratch of the
 * sequence length is needed. One smp_pf_step(pf) per block (NULL: none). */
static void smp_attend_part(const float *q, const float *kblocks, const float *v, int n, int hd, float scale,
                            float *mx, float *den, float *out, smp_pf *pf) {
    float sc[SMP_ATT_BLOCK];
    for (int j0 = 0; j0 < n; j0 += SMP_ATT_BLOCK) {
        smp_pf_step(pf);
        const float *kb = kblocks + (size_t)j0 * hd; /* this block's keys, (hd, SMP_ATT_BLOCK) */
        int nb = n - j0 < SMP_ATT_BLOCK ? n - j0 : SMP_ATT_BLOCK, ng = (nb + 15) / 16;
        /* scores: 16 positions per vector accumulator (ng of them, independent), hd multiply-adds
         * each. A partial block computes whole groups of 16: the extra positions lie in the same
         * cache lines and hold zeros (a block is zeroed when its first key is written); their
         * scores are never used. */
        smp_v16 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
        for (int d = 0; d < hd; d++) {
            const float *kr = kb + (size_t)d * SMP_ATT_BLOCK;
            smp_v16 qd = (smp_v16){0} + q[d];
            s0 = SMP_FMA(smp_load(kr), qd, s0);
            if (ng > 1) s1 = SMP_FMA(smp_load(kr + 16), qd, s1);
            if (ng > 2) s2 = SMP_FMA(smp_load(kr + 32), qd, s2);
            if (ng > 3) s3 = SMP_FMA(smp_load(kr + 48), qd, s3);
        }
        s0 *= scale, s1 *= scale, s2 *= scale, s3 *= scale;
        memcpy(sc, &s0, sizeof s0);
        memcpy(sc + 16, &s1, sizeof s1);
        memcpy(sc + 32, &s2, sizeof s2);
        memcpy(sc + 48, &s3, sizeof s3);
        smp_softmax_block(sc, nb, hd, mx, den, out, NULL);
        /* out += sum_j w_j v_j: 16 output dimensions per vector accumulator */
        int iv = hd & ~15, i = 0;
        for (; i + 64 <= iv; i += 64) { /* 4 independent accumulators over one 256-byte slice of each row */
            smp_v16 a0 = smp_load(out + i), a1 = smp_load(out + i + 16), a2 = smp_load(out + i + 32), a3 = smp_load(out + i + 48);
            for (int jj = 0; jj < nb; jj++) {
                const float *vr = v + (size_t)(j0 + jj) * hd + i;
                smp_v16 wj = (smp_v16){0} + sc[jj];
                a0 = SMP_FMA(smp_load(vr), wj, a0);
                a1 = SMP_FMA(smp_load(vr + 16), wj, a1);
                a2 = SMP_FMA(smp_load(vr + 32), wj, a2);
                a3 = SMP_FMA(smp_load(vr + 48), wj, a3);
            }
            memcpy(out + i, &a0, sizeof a0);
            memcpy(out + i + 16, &a1, sizeof a1);
            memcpy(out + i + 32, &a2, sizeof a2);
            memcpy(out + i + 48, &a3, sizeof a3);
        }
        for (; i < iv; i += 16) {
            smp_v16 a = smp_load(out + i);
            for (int jj = 0; jj < nb; jj++) a = SMP_FMA(smp_load(v + (size_t)(j0 + jj) * hd + i), (smp_v16){0} + sc[jj], a);
            memcpy(out + i, &a, sizeof a);
        }
        for (i = iv; i < hd; i++)
            for (int jj = 0; jj < nb; jj++) out[i] += sc[jj] * v[(size_t)(j0 + jj) * hd + i];
    }
}

/* tasks (row, KV head) between a decode task and the one whose cache it prefetches */
enum { SMP_PREFETCH_TASKS = 2 };

/* stores the key and value of KV head g of one row (qkv row after bias and RoPE; slot and pos as
 * in smp_forward) into layer l's cache: a prompt's positions or a sample's own ones. Keys go in
 * transposed blocks of 64 positions, (hd, 64) each, contiguous; values as rows, (positions, hd);
 * when kv16 both in bfloat16 pairs (smp_put_bf16). */
static void smp_cache_put(const smp_sampler *s, int l, const float *row, int slot, int pos, int g) {
    const int hd = s->hd;
    const float *kr = row + s->Q + (size_t)g * hd, *vr = row + s->Q + s->K + (size_t)g * hd;
    int j = slot < 0 ? pos : pos - s->plen[s->sprm[slot]];
    if (s->kv8) {
        size_t head = slot < 0 ? (((size_t)l * s->NP + (size_t)(-1 - slot)) * s->KV + g) * (s->P64 / SMP_ATT_BLOCK)
                               : (((size_t)l * s->G + slot) * s->KV + g) * (s->N64 / SMP_ATT_BLOCK);
        smp_put_kv8(kr, vr, j, hd, (uint8_t *)(slot < 0 ? s->pk : s->gk) + head * s->kv8b);
        return;
    }
    size_t hk, hv; /* this head's cache: keys at hk, values at hv (elements) */
    void *kc, *vc;
    if (slot < 0) {
        size_t pkv = ((size_t)l * s->NP + (size_t)(-1 - slot)) * s->KV + g;
        kc = s->pk, hk = pkv * s->P64 * hd;
        vc = s->pv, hv = pkv * s->Pv * hd;
    } else {
        size_t gkv = ((size_t)l * s->G + slot) * s->KV + g;
        kc = s->gk, hk = gkv * s->N64 * hd;
        vc = s->gv, hv = gkv * s->Nv * hd;
    }
    if (s->kv16) {
        smp_put_bf16(kr, vr, j, hd, (uint16_t *)kc + hk, (uint16_t *)vc + hv);
        return;
    }
    float *kd = (float *)kc + hk + (size_t)(j / SMP_ATT_BLOCK) * hd * SMP_ATT_BLOCK + (size_t)(j % SMP_ATT_BLOCK);
    if (j % SMP_ATT_BLOCK == 0) memset(kd, 0, (size_t)hd * SMP_ATT_BLOCK * sizeof(float)); /* a new block */
    for (int i = 0; i < hd; i++) kd[(size_t)i * SMP_ATT_BLOCK] = kr[i];
    memcpy((float *)vc + hv + (size_t)j * hd, vr, hd * sizeof(float));
}

/* the lines attention will read of sample slot's own cache (n positions, KV head g, layer l), as
 * a prefetch cursor: whole key blocks, then of the last block the 16-position groups in use of
 * each row (a row is 64 positions of one dimension, or of a pair of dimensions when kv16: 256
 * bytes either way), then the values. Returns the number of lines. */
static long smp_pf_own(const smp_sampler *s, int l, int slot, int g, int n, smp_pf *pf) {
    const size_t es = s->kv16 ? 2 : 4, hd = (size_t)s->hd, gkv = ((size_t)l * s->G + slot) * s->KV + g;
    if (s->kv8) { /* whole blocks; of the last one the key groups in use of each pair row (128 bytes),
                   * then its scales and value pair rows in use (contiguous) */
        const char *b = (const char *)s->gk + gkv * (s->N64 / SMP_ATT_BLOCK) * s->kv8b;
        size_t full = (size_t)(n / SMP_ATT_BLOCK) * s->kv8b;
        int nb = n % SMP_ATT_BLOCK;
        memset(pf, 0, sizeof *pf);
        long total = 0;
        if (full) pf->p[pf->nr] = b, pf->lines[pf->nr] = (int)(full / 64), pf->rows[pf->nr++] = 1, total += (long)(full / 64);
        if (nb) {
            const char *lb = b + full;
            int kl = ((nb + 15) / 16 * 32 + 63) / 64;
            pf->p[pf->nr] = lb, pf->stride[pf->nr] = 2 * SMP_ATT_BLOCK, pf->lines[pf->nr] = kl, pf->rows[pf->nr++] = (int)(hd / 2);
            total += (long)kl * (long)(hd / 2);
            size_t vb = 512 + (size_t)(nb + 1) / 2 * 2 * hd;
            pf->p[pf->nr] = lb + 64 * hd, pf->lines[pf->nr] = (int)((vb + 63) / 64), pf->rows[pf->nr++] = 1;
            total += (long)((vb + 63) / 64);
        }
        return total;
    }
    const char *kb = (const char *)s->gk + gkv * s->N64 * hd * es, *vb = (const char *)s->gv + gkv * s->Nv * hd * es;
    size_t full = (size_t)(n / SMP_ATT_BLOCK) * SMP_ATT_BLOCK * hd * es;
    size_t vbytes = (s->kv16 ? (size_t)(n + 1) / 2 * 2 : (size_t)n) * hd * es;
    memset(pf, 0, sizeof *pf);
    long total = 0;
#define SMP_PF_RANGE(ptr, str, nl, nrow)                                                           \
    do {                                                                                           \
        if ((nl) > 0 && (nrow) > 0) {                                                              \
            pf->p[pf->nr] = (ptr), pf->stride[pf->nr] = (str), pf->lines[pf->nr] = (nl);           \
            pf->rows[pf->nr++] = (nrow), total += (long)(nl) * (nrow);                             \
        }                                                                                          \
    } while (0)
    SMP_PF_RANGE(kb, 0, (int)(full / 64), 1);
    SMP_PF_RANGE(kb + full, 4 * SMP_ATT_BLOCK, (n % SMP_ATT_BLOCK + 15) / 16, (int)(s->kv16 ? hd / 2 : hd));
    SMP_PF_RANGE(vb, 0, (int)((vbytes + 63) / 64), 1);
#undef SMP_PF_RANGE
    return total;
}

/* Runs R rows through the model with workspace w. Row r has token tok[r] at position pos[r];
 * slot[r] < 0 marks a row of prompt p = -1 - slot[r] (its K/V go to that prompt's cache, it
 * attends to the prompt's positions 0..pos), otherwise the row belongs to sample slot[r] of
 * prompt p = sprm[slot[r]] (K/V go to its own cache at pos - plen[p]; it attends to its whole
 * prompt and its own positions up to pos). Logits of rows lrow[0..nlog) (NULL: the last nlog
 * rows) go to w->logits. xrow (NULL: none) gives row r's input embedding where xrow[r] != NULL (an
 * image token, smp_opts.rows) instead of embed[tok[r]]. Called outside a parallel region the loops and products use the model's threads
 * (nn_threads); called from inside one (a decode thread with its own rows) everything runs on the calling thread. */
static void smp_forward(smp_sampler *s, smp_ws *w, const int *tok, const int *pos, const int *slot, int R, const int *lrow,
                        int nlog, const float *const *xrow) {
    const nn_model *m = s->m;
    const nn_params *p = &m->params;
    const int D = s->D, F = s->F, H = s->H, KV = s->KV, hd = s->hd, QKV = s->QKV, Q = s->Q;
    const int NP = s->NP, G = s->G, grp = H / KV, hd2 = hd / 2;
    const size_t P64 = s->P64, N64 = s->N64, Pv = s->Pv, Nv = s->Nv;
    const float eps = m->cfg.rms_norm_eps, scale = 1.0f / sqrtf((float)hd);
    /* small batches run on the calling thread: a parallel region per operation costs more than
     * it saves below a few hundred rows, and far more when the cores are shared */
    const int nth = !omp_in_parallel() && R >= SMP_PAR_MIN_ROWS ? nn_threads(m) : 1;
    /* decode steps (rows of samples, never mixed with prompt rows) of SMP_BF16 multiply with the
     * bfloat16 panels where the CPU has them; prefills stay float32 */
    const uint32_t *bw = s->bprod && R > 0 && slot[0] >= 0 ? s->pk_b : NULL;
    const int kv16 = s->kv16, kv8 = s->kv8;
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
    for (int r = 0; r < R; r++)
        memcpy(w->x + (size_t)r * D, xrow && xrow[r] ? xrow[r] : p->embed + (size_t)tok[r] * D, D * sizeof(float));
    for (int l = 0; l < s->L; l++) {
        const float *pw = s->pk_w + s->pk_lstride * l; /* this layer's packed weights */
        const uint32_t *pb = bw ? bw + s->pk_blstride * l : NULL;
#define SMP_BW(i) (pb ? pb + s->pk_boff[i] : NULL)
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
        for (int r = 0; r < R; r++) nn_rmsnorm_row(w->h + (size_t)r * D, w->x + (size_t)r * D, p->ln1 + (size_t)l * D, D, eps);
        smp_linear(R, QKV, D, w->h, p->wqkv + (size_t)l * QKV * D, pw + s->pk_off[0], SMP_BW(0), 0.0f, w->qkv, nth);
        /* bias, RoPE on q and k heads, keys and values into the cache */
        const float *bq = p->bqkv + (size_t)l * QKV;
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
        for (int r = 0; r < R; r++) {
            float *row = w->qkv + (size_t)r * QKV;
#pragma omp simd
            for (int j = 0; j < QKV; j++) row[j] += bq[j];
            const float *cs = m->rope_cos + (size_t)pos[r] * hd2, *sn = m->rope_sin + (size_t)pos[r] * hd2;
            for (int hh = 0; hh < H + KV; hh++) nn_rope_row(row + (size_t)hh * hd, hd, cs, sn);
            if (kv16) gm_to_bf16(row, w->qh + (size_t)r * Q, (size_t)Q);
            if (kv8)
                for (int hh = 0; hh < H; hh++)
                    w->qsc[(size_t)r * H + hh] = smp_q16_kv8(row + (size_t)hh * hd, hd, (int16_t *)w->qh + (size_t)r * Q + (size_t)hh * hd);
        }
        /* the prompt rows' keys and values (other rows read them), on this thread in row order: the
         * first row of a block clears it, and in the loop above the rows of one block may fall to
         * different threads (a block cleared by one wiped keys the other had written); a sample row
         * stores its own in its attention task */
        for (int r = 0; r < R; r++)
            if (slot[r] < 0)
                for (int g = 0; g < KV; g++) smp_cache_put(s, l, w->qkv + (size_t)r * QKV, slot[r], pos[r], g);
        /* attention, one task per (row, KV head): a sample row first stores its key and value
         * (their cache lines are read right after), and asks for the cache of the task
         * SMP_PREFETCH_TASKS ahead to be brought into L2 while this one computes; then each query
         * head of the group attends to the prompt part, then to the sample's own part */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nth) if (nth > 1)
        for (int task = 0; task < R * KV; task++) {
            int r = task / KV, g = task % KV, ahead = task + SMP_PREFETCH_TASKS;
            int pr = slot[r] < 0 ? -1 - slot[r] : s->sprm[slot[r]], plen = s->plen[pr];
            if (slot[r] >= 0) smp_cache_put(s, l, w->qkv + (size_t)r * QKV, slot[r], pos[r], g);
            smp_pf pfs, *pf = NULL;
            if (nth == 1 && ahead < R * KV && slot[r] >= 0 && slot[ahead / KV] >= 0) {
                /* spread over the blocks this task reads (grp heads x prompt and own blocks) */
                int ra = ahead / KV;
                long lines = smp_pf_own(s, l, slot[ra], ahead % KV, pos[ra] - s->plen[s->sprm[slot[ra]]] + 1, &pfs);
                long blocks = (long)grp * ((plen + SMP_ATT_BLOCK - 1) / SMP_ATT_BLOCK + (pos[r] - plen + SMP_ATT_BLOCK) / SMP_ATT_BLOCK);
                pfs.per_step = (int)((lines + blocks - 1) / blocks);
                pf = &pfs;
            }
            size_t pkv = ((size_t)l * NP + pr) * KV + g, gkv = ((size_t)l * G + (slot[r] < 0 ? 0 : slot[r])) * KV + g;
            for (int hh = g * grp; hh < (g + 1) * grp; hh++) {
                const float *q = w->qkv + (size_t)r * QKV + (size_t)hh * hd;
                float *o = w->att + (size_t)r * Q + (size_t)hh * hd, mx = -INFINITY, den = 0.0f;
                for (int i = 0; i < hd; i++) o[i] = 0.0f;
                if (kv8) {
                    const int16_t *qq = (const int16_t *)w->qh + (size_t)r * Q + (size_t)hh * hd;
                    float qs = w->qsc[(size_t)r * H + hh];
                    const uint8_t *pblk = (const uint8_t *)s->pk + pkv * (P64 / SMP_ATT_BLOCK) * s->kv8b;
                    smp_attend_kv8(qq, qs, pblk, slot[r] < 0 ? pos[r] + 1 : plen, hd, scale, &mx, &den, o, pf);
                    if (slot[r] >= 0)
                        smp_attend_kv8(qq, qs, (const uint8_t *)s->gk + gkv * (N64 / SMP_ATT_BLOCK) * s->kv8b, pos[r] - plen + 1, hd,
                                       scale, &mx, &den, o, pf);
                } else if (kv16) {
                    const uint16_t *pk = (const uint16_t *)s->pk, *pv = (const uint16_t *)s->pv;
                    const uint16_t *qh = w->qh + (size_t)r * Q + (size_t)hh * hd;
                    smp_attend_bf16(qh, pk + pkv * P64 * hd, pv + pkv * Pv * hd, slot[r] < 0 ? pos[r] + 1 : plen, hd, scale, &mx,
                                    &den, o, pf);
                    if (slot[r] >= 0) {
                        const uint16_t *gk = (const uint16_t *)s->gk, *gv = (const uint16_t *)s->gv;
                        smp_attend_bf16(qh, gk + gkv * N64 * hd, gv + gkv * Nv * hd, pos[r] - plen + 1, hd, scale, &mx, &den, o,
                                        pf);
                    }
                } else {
                    smp_attend_part(q, s->pk + pkv * P64 * hd, s->pv + pkv * Pv * hd, slot[r] < 0 ? pos[r] + 1 : plen, hd, scale,
                                    &mx, &den, o, pf);
                    if (slot[r] >= 0)
                        smp_attend_part(q, s->gk + gkv * N64 * hd, s->gv + gkv * Nv * hd, pos[r] - plen + 1, hd, scale, &mx, &den,
                                        o, pf);
                }
                float inv = 1.0f / den;
                for (int i = 0; i < hd; i++) o[i] *= inv;
            }
        }
        smp_linear(R, D, Q, w->att, p->wo + (size_t)l * D * Q, pw + s->pk_off[1], SMP_BW(1), 1.0f, w->x, nth);
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
        for (int r = 0; r < R; r++) nn_rmsnorm_row(w->h + (size_t)r * D, w->x + (size_t)r * D, p->ln2 + (size_t)l * D, D, eps);
        smp_linear(R, 2 * F, D, w->h, p->wgu + (size_t)l * 2 * F * D, pw + s->pk_off[2], SMP_BW(2), 0.0f, w->gu, nth);
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
        for (int r = 0; r < R; r++) {
            const float *gr = w->gu + (size_t)r * 2 * F, *ur = gr + F;
            float *ar = w->act + (size_t)r * F;
#pragma omp simd
            for (int j = 0; j < F; j++) ar[j] = gr[j] / (1.0f + smp_expf(-gr[j])) * ur[j];
        }
        smp_linear(R, D, F, w->act, p->wdown + (size_t)l * D * F, pw + s->pk_off[3], SMP_BW(3), 1.0f, w->x, nth);
#undef SMP_BW
    }
    /* the final norm of the logits rows, gathered into h[0..nlog) */
#pragma omp parallel for schedule(static) num_threads(nth) if (nth > 1)
    for (int i = 0; i < nlog; i++) {
        int r = lrow ? lrow[i] : R - nlog + i;
        nn_rmsnorm_row(w->h + (size_t)i * D, w->x + (size_t)r * D, p->norm, D, eps);
    }
    smp_linear(nlog, s->V, D, w->h, p->lm_head, s->pk_w + s->pk_off[4], bw ? bw + s->pk_boff[4] : NULL, 0.0f,
               w->logits, nth);
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
#pragma omp simd reduction(max : mx)
    for (int i = 0; i < V; i++) mx = z[i] > mx ? z[i] : mx;
    float se = 0.0f;
#pragma omp simd reduction(+ : se)
    for (int i = 0; i < V; i++) se += (pw[i] = smp_expf(z[i] - mx));
    float lse = mx + logf(se);
    int tok;
    if (temperature <= 0.0f || top_k == 1) {
        tok = 0; /* the first (lowest) id holding the largest logit */
        while (tok < V - 1 && z[tok] != mx) tok++;
    } else {
        float it = 1.0f / temperature;
        double sum = se; /* pw already holds exp(z - max) for temperature 1 */
        if (temperature != 1.0f) {
            float s2 = 0.0f;
#pragma omp simd reduction(+ : s2)
            for (int i = 0; i < V; i++) s2 += (pw[i] = smp_expf((z[i] - mx) * it));
            sum = s2;
        }
        int filter_k = top_k > 0 && top_k < V, filter_p = top_p > 0.0f && top_p < 1.0f;
        if (!filter_k && !filter_p) {
            /* the first id whose running sum exceeds u: whole chunks of 64 are skipped by their
             * (vectorised) sums, and only the chunk holding u is scanned one by one */
            double u = ut_rng_uniform(rng) * sum, c = 0.0;
            tok = V - 1;
            for (int i0 = 0; i0 < V; i0 += 64) {
                int i1 = i0 + 64 < V ? i0 + 64 : V;
                float cs = 0.0f;
#pragma omp simd reduction(+ : cs)
                for (int i = i0; i < i1; i++) cs += pw[i];
                if (c + cs <= u && i1 < V) {
                    c += cs;
                    continue;
                }
                int i = i0;
                for (; i < i1; i++) {
                    c += pw[i];
                    if (c > u) break;
                }
                tok = i < i1 ? i : i1 - 1;
                if (i < i1 || i1 == V) break;
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

/* one token for sample i (its text so far in q) from logits z (V): drawn, then redrawn while
 * o->veto refuses it (each refused logit masked in a copy, zc (V)); *lp: its log-probability
 * under the unmasked z; *vetoed counts the refusals */
static int smp_draw(const smp_sampler *s, smp_ws *w, const smp_opts *o, const smp_seq *q, int i, const float *z, float *zc,
                    ut_rng *rng, float *lp, long *vetoed) {
    int tok = smp_sample_row(z, s->V, o->temperature, o->top_k, o->top_p, rng, w->pscr, w->iscr, lp);
    if (!o->veto || !o->tok) return tok;
    float lse = z[tok] - *lp, l2;
    for (int t = 0; t < SMP_VETO_TRIES; t++) {
        for (int e = 0; e < o->neos; e++)
            if (o->eos_ids[e] == tok) return tok;
        int len;
        const char *b = tok_token_bytes(o->tok, tok, &len);
        if (!b || !o->veto(o->veto_ctx, i, q->text, q->text_len, b, len)) break;
        (*vetoed)++;
        if (z != zc) {
            memcpy(zc, z, sizeof(float) * (size_t)s->V);
            z = zc;
        }
        zc[tok] = -INFINITY;
        tok = smp_sample_row(z, s->V, o->temperature, o->top_k, o->top_p, rng, w->pscr, w->iscr, &l2);
    }
    *lp = z[tok] - lse; /* the last token drawn is never masked: z[tok] is its own logit */
    return tok;
}

/* Decode loop of one thread for samples [i0, i1): record each sampled token, drop finished samples,
 * run the live ones as one batch, sample the next tokens. Returns the tokens sampled in steps. */
static long smp_decode_range(smp_sampler *s, smp_ws *w, const smp_opts *o, smp_seq *out, ut_rng *rng, size_t *tcap,
                             int i0, int i1, long *vetoed) {
    int n = i1 - i0, N = o->max_new;
    size_t V = (size_t)s->V;
    if (n <= 0) return 0;
    int *live = ut_malloc((size_t)n * 5 * sizeof(int)), *next = live + n, *tok = next + n, *pos = tok + n, *slot = pos + n;
    float *lp = ut_malloc((size_t)n * sizeof(float));
    float *zc = o->veto ? ut_malloc(V * sizeof(float)) : NULL; /* the logits with refused tokens masked */
    /* first token of every sample from its prompt's last logits */
    for (int b = 0; b < n; b++) {
        const float *z = s->pre.logits + (size_t)s->sprm[i0 + b] * V;
        live[b] = i0 + b;
        next[b] = smp_draw(s, w, o, &out[i0 + b], i0 + b, z, zc, &rng[i0 + b], &lp[b], vetoed);
        if (o->logits_out) memcpy(o->logits_out + (size_t)(i0 + b) * N * V, z, V * sizeof(float));
    }
    long steps = 0;
    int B = n;
    for (;;) {
        int nb = 0;
        for (int b = 0; b < B; b++) {
            int i = live[b], id = next[b], done = 0;
            smp_seq *q = &out[i];
            q->tokens[q->ntokens] = id;
            q->logprobs[q->ntokens] = lp[b];
            q->ntokens++;
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
            pos[b] = s->plen[s->sprm[live[b]]] + q->ntokens - 1;
            slot[b] = live[b];
        }
        smp_forward(s, w, tok, pos, slot, B, NULL, B, NULL);
        for (int b = 0; b < B; b++) {
            const float *z = w->logits + (size_t)b * V;
            if (o->logits_out) memcpy(o->logits_out + ((size_t)live[b] * N + (size_t)out[live[b]].ntokens) * V, z, V * sizeof(float));
            next[b] = smp_draw(s, w, o, &out[live[b]], live[b], z, zc, &rng[live[b]], &lp[b], vetoed);
        }
        steps += B;
    }
    free(live);
    free(lp);
    free(zc);
    return steps;
}

/* Prefill of several prompts, each on one thread in that thread's workspace (no synchronisation
 * inside a prompt; threads take whole prompts), the last row's logits of prompt p copied to
 * s->pre.logits row p. Every row is computed as when its prompt is prefilled alone on one thread. */
static void smp_prefill_each(smp_sampler *s, const int *tok, const int *pos, const int *slot, const int *plens, int NP,
                             int nt) {
    size_t V = (size_t)s->V;
    int *off = ut_malloc((size_t)NP * sizeof(int));
    for (int p = 0, r = 0; p < NP; r += plens[p], p++) off[p] = r;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (int p = 0; p < NP; p++) {
        smp_ws *w = &s->ws[omp_get_thread_num()];
        smp_forward(s, w, tok + off[p], pos + off[p], slot + off[p], plens[p], NULL, 1, NULL);
        memcpy(s->pre.logits + (size_t)p * V, w->logits, V * sizeof(float));
    }
    free(off);
}

const char *smp_precision_desc(int precision) {
    if (precision == SMP_KV8)
        return gm_has_bf16() ? "8-bit KV cache, bfloat16 products (AVX512_BF16)"
                             : "8-bit KV cache, float32 products (no AVX512_BF16 in use)";
    if (precision != SMP_BF16) return "float32";
    return gm_has_bf16() ? "bfloat16 KV cache, bfloat16 products (AVX512_BF16)"
                         : "bfloat16 KV cache, float32 products (no AVX512_BF16 in use)";
}

int smp_generate(smp_sampler *s, const int *prompt, int P, const smp_opts *o, smp_seq *out) {
    return smp_generate_multi(s, &prompt, &P, 1, o, out);
}

/* the checks of one request; names the prompt when there are several */
static int smp_check(const smp_sampler *s, const int *const *prompts, const int *plens, int NP, const smp_opts *o) {
    int N = o->max_new, maxpos = s->m->cfg.max_position_embeddings;
    if (NP < 1 || NP > 1 << 20) return ut_fail("the number of prompts must be in 1..%d (got %d)", 1 << 20, NP);
    if (o->n < 1) return ut_fail("the number of samples must be at least 1 (got %d)", o->n);
    if ((long)o->n * NP > 1 << 24) return ut_fail("%d prompts x %d samples is too many rows for one batch", NP, o->n);
    if (N < 1) return ut_fail("max new tokens must be at least 1 (got %d)", N);
    if (o->precision != SMP_F32 && o->precision != SMP_BF16 && o->precision != SMP_KV8)
        return ut_fail("unknown sampling precision %d (SMP_F32 = 0, SMP_BF16 = 1 or SMP_KV8 = 2)", o->precision);
    if (o->nstop > 0 && !o->tok) return ut_fail("stop strings need a tokenizer");
    if (o->tok && tok_vocab_size(o->tok) > s->V)
        return ut_fail("the tokenizer has %d ids but the model only %d", tok_vocab_size(o->tok), s->V);
    for (int p = 0; p < NP; p++) {
        char name[32] = "";
        if (NP > 1) snprintf(name, sizeof name, " %d", p);
        int P = plens[p];
        if (P < 1) return ut_fail("prompt%s is empty", name);
        if (P > maxpos - N)
            return ut_fail("prompt%s (%d tokens) + max new tokens (%d) exceed the model's %d positions", name, P, N, maxpos);
        int nid = 0;
        for (int i = 0; i < P; i++) {
            if (prompts[p][i] < 0 || prompts[p][i] >= s->V)
                return ut_fail("prompt%s token %d (id %d) is outside the vocabulary 0..%d", name, i, prompts[p][i], s->V - 1);
            nid += prompts[p][i] == o->row_id;
        }
        if (o->rows && o->rows[p] && nid != o->nrows[p])
            return ut_fail("prompt%s has %d ids %d for %d input rows", name, nid, o->row_id, o->nrows[p]);
        for (long j = 0; o->rows && o->rows[p] && j < (long)o->nrows[p] * s->D; j++)
            if (!isfinite(o->rows[p][j])) return ut_fail("prompt%s: input row %ld is not finite", name, j / s->D);
    }
    return 0;
}

int smp_generate_multi(smp_sampler *s, const int *const *prompts, const int *plens, int NP, const smp_opts *o,
                       smp_seq *out) {
    if (smp_check(s, prompts, plens, NP, o)) return -1;
    int G = o->n * NP, N = o->max_new, Ptot = 0;
    for (int p = 0; p < NP; p++) Ptot += plens[p];
    double t0 = ut_now();
    int nth = nn_threads(s->m), nt = nth < G ? nth : G;
    nn_blas_one_thread();
    smp_reserve(s, plens, NP, o->n, N, nt, o->precision);
    s->bprod = o->precision != SMP_F32 && gm_has_bf16();
    smp_pack_all(s);
    /* prefill: every prompt's tokens at its own positions 0..P-1, logits of each prompt's last
     * row; one prompt as one batch (split over the threads from SMP_PAR_MIN_ROWS rows), several
     * prompts shared out whole among the threads */
    int *tok = ut_malloc(((size_t)Ptot * 3 + (size_t)NP) * sizeof(int)), *pos = tok + Ptot, *slot = pos + Ptot;
    int *lrow = slot + Ptot;
    const float **xrow = o->rows ? ut_calloc((size_t)Ptot, sizeof *xrow) : NULL;
    for (int p = 0, r = 0; p < NP; p++) {
        for (int i = 0, k = 0; i < plens[p]; i++, r++) {
            tok[r] = prompts[p][i], pos[r] = i, slot[r] = -1 - p;
            if (xrow && o->rows[p] && tok[r] == o->row_id) xrow[r] = o->rows[p] + (size_t)k++ * s->D;
        }
        lrow[p] = r - 1;
    }
    /* several text prompts: each prefilled whole by one thread; image rows go through one batch */
    if (NP > 1 && nt > 1 && !xrow) smp_prefill_each(s, tok, pos, slot, plens, NP, nt);
    else smp_forward(s, &s->pre, tok, pos, slot, Ptot, lrow, NP, xrow);
    free(xrow);
    free(tok);
    double t1 = ut_now();

    ut_rng *rng = ut_malloc((size_t)G * sizeof *rng);
    size_t *tcap = ut_malloc((size_t)G * sizeof *tcap);
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
    }
    /* the samples are split into nt contiguous ranges, one per thread; each thread decodes its
     * range as one batch with no synchronisation until the end */
    long steps = 0, vetoed = 0;
#pragma omp parallel num_threads(nt) reduction(+ : steps, vetoed)
    {
        int t = omp_get_thread_num(), k = omp_get_num_threads();
        int i0 = (int)((long)G * t / k), i1 = (int)((long)G * (t + 1) / k);
        steps += smp_decode_range(s, &s->ws[t], o, out, rng, tcap, i0, i1, &vetoed);
    }
    double t2 = ut_now();
    s->st.prefill_s = t1 - t0;
    s->st.decode_s = t2 - t1;
    s->st.decode_tokens = steps;
    s->st.kv_bits = s->kv8 ? 8 : s->kv16 ? 16 : 32;
    s->st.bf16_products = s->bprod;
    s->st.vetoed = vetoed;
    free(rng);
    free(tcap);
    return 0;
}
