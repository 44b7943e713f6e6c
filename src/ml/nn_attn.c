/* nn_attn.c - causal self-attention of the training forward and backward (see nn_int.h). */
#include <cblas.h>
#include <math.h>
#include <omp.h>

#include "ml/nn_int.h"

/* the sizes attention needs: H query heads, KV kv heads of hd, Q = H*hd, K = KV*hd, QKV = Q+2K */
typedef struct {
    int H, KV, hd, Q, K, QKV;
} nn_attn_dims;

static nn_attn_dims nn_attn_dims_of(const nn_config *c) {
    nn_attn_dims d;
    d.H = c->num_attention_heads;
    d.KV = c->num_key_value_heads;
    d.hd = c->head_dim;
    d.Q = d.H * d.hd;
    d.K = d.KV * d.hd;
    d.QKV = d.Q + 2 * d.K;
    return d;
}

/* C (M,N) = alpha * op(A) op(B) + beta * C, row-major, on the calling thread */
static void nn_attn_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
                         float beta, float *C, int ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B,
                ldb, beta, C, ldc);
}

/* inverse rotation (the RoPE backward: R(-angle) applied to the gradient) */
static void nn_rope_row_back(float *g, int hd, const float *c, const float *s) {
    int h2 = hd / 2;
#pragma omp simd
    for (int i = 0; i < h2; i++) {
        float a = g[i], b = g[i + h2];
        g[i] = a * c[i] + b * s[i];
        g[i + h2] = b * c[i] - a * s[i];
    }
}

/* S = scale * Q_blk K[0:r1]^T for query rows [r0, r1) of one head: S (nr, r1), row stride r1 */
static void nn_attn_scores(const nn_attn_dims *d, const float *qb, const float *kb, int r0, int r1, float scale, float *S) {
    nn_attn_gemm(0, 1, r1 - r0, r1, d->hd, scale, qb + (size_t)r0 * d->QKV, d->QKV, kb, d->QKV, 0.0f, S, r1);
}

/* Causal attention of batch row b, kv head g (all query heads of the group), layer tensors:
 * qkv (N, QKV) after RoPE, lse (B, H, T), out (N, Q); S: NN_ATT_BS * T floats of scratch.
 * Query block [r0, r1) needs only keys [0, r1): its scores are computed, turned into
 * probabilities in place (row t: keys s <= t; the rest of the block's row is zeroed), multiplied
 * by the values, and only each row's log-sum-exp is kept. */
static void nn_attn_fwd_task(const nn_attn_dims *d, int T, int b, int g, const float *qkv, float *lse, float *out,
                             float *S) {
    int grp = d->H / d->KV;
    float scale = 1.0f / sqrtf((float)d->hd);
    const float *kb = qkv + (size_t)b * T * d->QKV + d->Q + (size_t)g * d->hd;
    const float *vb = kb + d->K;
    for (int h = g * grp; h < (g + 1) * grp; h++) {
        const float *qb = qkv + (size_t)b * T * d->QKV + (size_t)h * d->hd;
        float *lb = lse + ((size_t)b * d->H + h) * T;
        float *ob = out + (size_t)b * T * d->Q + (size_t)h * d->hd;
        for (int r0 = 0; r0 < T; r0 += NN_ATT_BS) {
            int r1 = r0 + NN_ATT_BS < T ? r0 + NN_ATT_BS : T, nr = r1 - r0;
            nn_attn_scores(d, qb, kb, r0, r1, scale, S);
            for (int t = r0; t < r1; t++) {
                float *row = S + (size_t)(t - r0) * r1, mx = -INFINITY, sum = 0.0f;
                for (int s = 0; s <= t; s++) mx = row[s] > mx ? row[s] : mx;
#pragma omp simd reduction(+ : sum)
                for (int s = 0; s <= t; s++) {
                    row[s] = nn_expf(row[s] - mx);
                    sum += row[s];
                }
                float inv = 1.0f / sum;
#pragma omp simd
                for (int s = 0; s <= t; s++) row[s] *= inv;
                for (int s = t + 1; s < r1; s++) row[s] = 0.0f;
                lb[t] = mx + logf(sum);
            }
            nn_attn_gemm(0, 0, nr, d->hd, r1, 1.0f, S, r1, vb, d->QKV, 0.0f, ob + (size_t)r0 * d->Q, d->Q);
        }
    }
}

/* Backward of nn_attn_fwd_task: datto (N, Q) -> dqkv (N, QKV) (q, k, v parts of this task's
 * heads, overwritten), then the RoPE backward of those dq and dk slices. Each query block's
 * probabilities are recomputed from q, k and the row's log-sum-exp: P = exp(S - lse) for s <= t.
 * scratch: 2 * NN_ATT_BS * T floats (P and dP of one block). */
static void nn_attn_bwd_task(const nn_model *m, const nn_attn_dims *d, int T, int b, int g, const float *qkv,
                             const float *lse, const float *datto, float *dqkv, float *scratch) {
    int grp = d->H / d->KV;
    float scale = 1.0f / sqrtf((float)d->hd);
    size_t rowoff = (size_t)b * T * d->QKV;
    const float *kb = qkv + rowoff + d->Q + (size_t)g * d->hd, *vb = kb + d->K;
    float *dkb = dqkv + rowoff + d->Q + (size_t)g * d->hd, *dvb = dkb + d->K;
    float *P = scratch, *dP = scratch + (size_t)NN_ATT_BS * T;
    for (int t = 0; t < T; t++) {
        memset(dkb + (size_t)t * d->QKV, 0, d->hd * sizeof(float));
        memset(dvb + (size_t)t * d->QKV, 0, d->hd * sizeof(float));
    }
    for (int h = g * grp; h < (g + 1) * grp; h++) {
        const float *qb = qkv + rowoff + (size_t)h * d->hd;
        float *dqb = dqkv + rowoff + (size_t)h * d->hd;
        const float *lb = lse + ((size_t)b * d->H + h) * T;
        const float *dob = datto + (size_t)b * T * d->Q + (size_t)h * d->hd;
        for (int r0 = 0; r0 < T; r0 += NN_ATT_BS) {
            int r1 = r0 + NN_ATT_BS < T ? r0 + NN_ATT_BS : T, nr = r1 - r0;
            const float *doblk = dob + (size_t)r0 * d->Q;
            /* P = exp(S - lse), zero above the diagonal (nr, r1) */
            nn_attn_scores(d, qb, kb, r0, r1, scale, P);
            for (int i = 0; i < nr; i++) {
                int t = r0 + i;
                float *pr = P + (size_t)i * r1, l = lb[t];
#pragma omp simd
                for (int s = 0; s <= t; s++) pr[s] = nn_expf(pr[s] - l);
                for (int s = t + 1; s < r1; s++) pr[s] = 0.0f;
            }
            /* dP = dO V^T (nr, r1) */
            nn_attn_gemm(0, 1, nr, r1, d->hd, 1.0f, doblk, d->Q, vb, d->QKV, 0.0f, dP, r1);
            /* dV[0:r1] += P^T dO */
            nn_attn_gemm(1, 0, r1, d->hd, nr, 1.0f, P, r1, doblk, d->Q, 1.0f, dvb, d->QKV);
            /* dS = P * (dP - sum_s P dP) * scale, zero above the diagonal */
            for (int i = 0; i < nr; i++) {
                int t = r0 + i;
                const float *pr = P + (size_t)i * r1;
                float *dr = dP + (size_t)i * r1, dot = 0.0f;
#pragma omp simd reduction(+ : dot)
                for (int s = 0; s <= t; s++) dot += pr[s] * dr[s];
#pragma omp simd
                for (int s = 0; s <= t; s++) dr[s] = pr[s] * (dr[s] - dot) * scale;
                for (int s = t + 1; s < r1; s++) dr[s] = 0.0f;
            }
            /* dQ = dS K, dK[0:r1] += dS^T Q */
            nn_attn_gemm(0, 0, nr, d->hd, r1, 1.0f, dP, r1, kb, d->QKV, 0.0f, dqb + (size_t)r0 * d->QKV, d->QKV);
            nn_attn_gemm(1, 0, r1, d->hd, nr, 1.0f, dP, r1, qb + (size_t)r0 * d->QKV, d->QKV, 1.0f, dkb, d->QKV);
        }
    }
    /* RoPE backward: the gradients were taken w.r.t. the rotated q and k */
    int hd2 = d->hd / 2;
    for (int t = 0; t < T; t++) {
        const float *cs = m->rope_cos + (size_t)t * hd2, *sn = m->rope_sin + (size_t)t * hd2;
        for (int h = g * grp; h < (g + 1) * grp; h++) nn_rope_row_back(dqkv + rowoff + (size_t)t * d->QKV + (size_t)h * d->hd, d->hd, cs, sn);
        nn_rope_row_back(dkb + (size_t)t * d->QKV, d->hd, cs, sn);
    }
}

size_t nn_attn_scratch(int T) { return 2 * (size_t)NN_ATT_BS * (size_t)T; }

void nn_attn_forward(const nn_model *m, int B, int T, const float *qkv, float *lse, float *out, float *scratch, int nth) {
    nn_attn_dims d = nn_attn_dims_of(&m->cfg);
    size_t per = nn_attn_scratch(T);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nth)
    for (int task = 0; task < B * d.KV; task++)
        nn_attn_fwd_task(&d, T, task / d.KV, task % d.KV, qkv, lse, out, scratch + (size_t)omp_get_thread_num() * per);
}

void nn_attn_backward(const nn_model *m, int B, int T, const float *qkv, const float *lse, const float *datto, float *dqkv,
                      float *scratch, int nth) {
    nn_attn_dims d = nn_attn_dims_of(&m->cfg);
    size_t per = nn_attn_scratch(T);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nth)
    for (int task = 0; task < B * d.KV; task++)
        nn_attn_bwd_task(m, &d, T, task / d.KV, task % d.KV, qkv, lse, datto, dqkv, scratch + (size_t)omp_get_thread_num() * per);
}
