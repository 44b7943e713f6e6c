/* bench_vit.c - one training step of the joint image + text model (ml/vlm.h) on a mixed batch,
 * timed part by part: encoder forward, decoder forward, decoder backward, encoder backward, AdamW.
 *
 * usage: bench_vit [DECODER_CONFIG [B T [steps]]]
 *        (defaults: configs/sft_small.json, B 16, T 640 (configs/sft_recipe.conf), 5 timed steps)
 * Encoder: 128 x 128 images, patches 8 x 8 (256 patches, 64 image tokens), Dv 128, 4 blocks,
 * 4 heads, SwiGLU width 352, out_hidden_size = the decoder's width. Half the rows (the even ones)
 * carry an image: 64 placeholder ids at positions 8..71, random text tokens elsewhere.
 * Threads: $THREADS (default 2). Prints the median of each part over the timed steps, one line:
 *   enc_fwd_s=... dec_fwd_s=... dec_bwd_s=... enc_bwd_s=... opt_s=... step_s=... enc_pct=...
 *   enc_gflops=... dec_gflops=... threads=...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/nn.h"
#include "ml/vit.h"
#include "ml/vlm.h"
#include "base/util.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv) {
    const char *cfg_path = argc > 1 ? argv[1] : "configs/sft_small.json";
    int B = argc > 3 ? atoi(argv[2]) : 16, T = argc > 3 ? atoi(argv[3]) : 640, steps = argc > 4 ? atoi(argv[4]) : 5;
    const char *th = getenv("THREADS");
    int threads = th ? atoi(th) : 2;
    nn_config dc;
    if (nn_config_load(&dc, cfg_path)) {
        fprintf(stderr, "bench_vit: %s\n", ut_error());
        return 1;
    }
    if (T > dc.max_position_embeddings) dc.max_position_embeddings = T;
    vt_config vc = {.image_size = 128, .patch_size = 8, .hidden_size = 128, .intermediate_size = 352, .depth = 4,
                    .num_heads = 4, .out_hidden_size = dc.hidden_size, .rms_norm_eps = 1e-6f, .spatial_merge_size = 2,
                    .in_chans = 1};
    int ph = dc.vocab_size - 1;
    vl_model *m = vl_new(&dc, &vc, ph);
    if (!m || B < 1 || T < 72 + 1 || steps < 1) {
        fprintf(stderr, "bench_vit: %s\n", m ? "B >= 1, T >= 73, steps >= 1" : ut_error());
        return 1;
    }
    vl_init_random(m, 1, 0.02f);
    vl_set_threads(m, threads);
    const int S = vc.image_size, ntok = m->enc->cfg.num_tokens;
    int *in = ut_malloc(sizeof(int) * B * T), *tg = ut_malloc(sizeof(int) * B * T);
    float *pix = ut_malloc(sizeof(float) * (size_t)B * S * S);
    const float **imgs = ut_calloc((size_t)B, sizeof *imgs);
    ut_rng r;
    ut_rng_seed(&r, 7);
    for (int i = 0; i < B * T; i++) {
        in[i] = (int)(ut_rng_u64(&r) % (uint64_t)ph);
        tg[i] = (int)(ut_rng_u64(&r) % (uint64_t)ph);
    }
    for (size_t i = 0; i < (size_t)B * S * S; i++) pix[i] = ut_rng_uniform(&r) < 0.9 ? 1.0f : 0.0f;
    for (int b = 0; b < B; b += 2) {
        imgs[b] = pix + (size_t)b * S * S;
        for (int t = 8; t < 8 + ntok; t++) in[b * T + t] = ph, tg[b * T + t] = -1;
    }
    opt_hparams hp = opt_defaults();
    vl_opt opt;
    vl_opt_init(&opt, m, &hp);
    int nimg = (B + 1) / 2;
    /* the same work as vl_forward / vl_backward, timed part by part */
    double *t[6];
    for (int k = 0; k < 6; k++) t[k] = ut_calloc((size_t)steps, sizeof(double));
    float *img_buf = ut_malloc(sizeof(float) * (size_t)nimg * S * S);
    int *slots = ut_malloc(sizeof(int) * (size_t)nimg * ntok);
    for (int b = 0, k = 0, s = 0; b < B; b += 2, k++) {
        memcpy(img_buf + (size_t)k * S * S, imgs[b], sizeof(float) * S * S);
        for (int j = 0; j < ntok; j++) slots[s++] = b * T + 8 + j;
    }
    for (int it = -1; it < steps; it++) { /* one warm-up step */
        double t0 = ut_now();
        vl_zero_grad(m);
        const float *tok = vt_forward(m->enc, img_buf, nimg);
        double t1 = ut_now();
        if (!tok || nn_set_input_rows(m->dec, slots, tok, nimg * ntok) || nn_forward(m->dec, in, tg, NULL, 0, B, T)) {
            fprintf(stderr, "bench_vit: %s\n", ut_error());
            return 1;
        }
        double t2 = ut_now();
        nn_backward(m->dec);
        double t3 = ut_now();
        vt_backward(m->enc, nn_input_grad(m->dec));
        double t4 = ut_now();
        vl_opt_step(&opt, 1e-4f);
        double t5 = ut_now();
        if (it < 0) continue;
        t[0][it] = t1 - t0;
        t[1][it] = t2 - t1;
        t[2][it] = t3 - t2;
        t[3][it] = t4 - t3;
        t[4][it] = t5 - t4;
        t[5][it] = t5 - t0;
    }
    /* the library path (vl_forward: placeholder checks, the same calls as above) accepts the batch */
    float loss = m->dec->loss;
    if (vl_forward(m, in, tg, NULL, 0, B, T, imgs)) {
        fprintf(stderr, "bench_vit: %s\n", ut_error());
        return 1;
    }
    double md[6];
    for (int k = 0; k < 6; k++) md[k] = median(t[k], steps);
    double ef = vt_train_flops(&m->enc->cfg, nimg), df = nn_train_flops(&dc, B, T);
    printf("enc_fwd_s=%.4f dec_fwd_s=%.4f dec_bwd_s=%.4f enc_bwd_s=%.4f opt_s=%.4f step_s=%.4f enc_pct=%.1f "
           "enc_gflops=%.1f dec_gflops=%.1f threads=%d B=%d T=%d images=%d enc_params=%zu dec_params=%zu loss=%.4f\n",
           md[0], md[1], md[2], md[3], md[4], md[5], 100.0 * (md[0] + md[3]) / md[5], ef / (md[0] + md[3]) * 1e-9,
           df / (md[1] + md[2]) * 1e-9, threads, B, T, nimg, m->enc->num_params, m->dec->num_params, loss);
    for (int k = 0; k < 6; k++) free(t[k]);
    vl_opt_free(&opt);
    vl_free(m);
    free(in);
    free(tg);
    free(pix);
    free(imgs);
    free(img_buf);
    free(slots);
    return 0;
}
