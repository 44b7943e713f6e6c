/* vlm.c - joint image + text model (see vlm.h). */
#include "ml/vlm.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "ml/safetensors.h"

vl_model *vl_new(const nn_config *dc, const vt_config *vc, int image_token_id) {
    if (vc && vc->out_hidden_size != dc->hidden_size) {
        ut_fail("vision_config: out_hidden_size %d differs from the decoder's hidden_size %d", vc->out_hidden_size,
                dc->hidden_size);
        return NULL;
    }
    if (vc && (image_token_id < 0 || image_token_id >= dc->vocab_size)) {
        ut_fail("config: image_token_id %d outside the vocabulary [0, %d)", image_token_id, dc->vocab_size);
        return NULL;
    }
    nn_model *dec = nn_new(dc);
    if (!dec) return NULL;
    vt_model *enc = NULL;
    if (vc && !(enc = vt_new(vc))) {
        nn_free(dec);
        return NULL;
    }
    vl_model *m = ut_calloc(1, sizeof *m);
    m->dec = dec;
    m->enc = enc;
    m->image_token_id = enc ? image_token_id : -1;
    return m;
}

void vl_free(vl_model *m) {
    if (!m) return;
    nn_free(m->dec);
    vt_free(m->enc);
    free(m->img_buf);
    free(m->slots);
    free(m);
}

void vl_init_random(vl_model *m, uint64_t seed, float std) {
    nn_init_random(m->dec, seed, std);
    if (m->enc) vt_init_random(m->enc, seed + 1, std);
}

void vl_set_threads(vl_model *m, int n) {
    nn_set_threads(m->dec, n);
    if (m->enc) vt_set_threads(m->enc, n);
}

void vl_zero_grad(vl_model *m) {
    nn_zero_grad(m->dec);
    if (m->enc) vt_zero_grad(m->enc);
}

/* checks the placeholders of every row, gathers the images and the slots of their tokens */
static int vl_gather(vl_model *m, const int *inputs, int B, int T, const float *const *images) {
    int ph = m->image_token_id, nimg = 0;
    for (int b = 0; b < B; b++) {
        int cnt = 0;
        for (int t = 0; t < T; t++) cnt += ph >= 0 && inputs[(size_t)b * T + t] == ph;
        int has = images && images[b];
        if (has && !m->enc) return ut_fail("vl_forward: row %d has an image but the model has no vision encoder", b);
        if (has && cnt != m->enc->cfg.num_tokens)
            return ut_fail("vl_forward: row %d has an image and %d image placeholder ids (token %d); it needs %d", b, cnt, ph,
                           m->enc->cfg.num_tokens);
        if (!has && cnt) return ut_fail("vl_forward: row %d has %d image placeholder ids (token %d) but no image", b, cnt, ph);
        nimg += has;
    }
    m->nimg = 0;
    if (!nimg) return 0;
    const vt_config *vc = &m->enc->cfg;
    size_t px = (size_t)vc->image_size * vc->image_size;
    if (nimg > m->cap_img) {
        free(m->img_buf);
        free(m->slots);
        m->img_buf = ut_malloc((size_t)nimg * px * sizeof(float));
        m->slots = ut_malloc((size_t)nimg * vc->num_tokens * sizeof(int));
        m->cap_img = nimg;
    }
    int k = 0, s = 0;
    for (int b = 0; b < B; b++) {
        if (!images[b]) continue;
        memcpy(m->img_buf + (size_t)k++ * px, images[b], px * sizeof(float));
        for (int t = 0; t < T; t++)
            if (inputs[(size_t)b * T + t] == ph) m->slots[s++] = b * T + t;
    }
    m->nimg = nimg;
    return 0;
}

int vl_forward(vl_model *m, const int *inputs, const int *targets, const float *weights, float norm, int B, int T,
               const float *const *images) {
    if (B < 1 || T < 1) return ut_fail("vl_forward: empty batch (B=%d, T=%d)", B, T);
    if (vl_gather(m, inputs, B, T, images)) return -1;
    if (!m->nimg) {
        if (nn_set_input_rows(m->dec, NULL, NULL, 0)) return -1;
    } else {
        const float *tok = vt_forward(m->enc, m->img_buf, m->nimg);
        if (!tok) return -1;
        if (nn_set_input_rows(m->dec, m->slots, tok, m->nimg * m->enc->cfg.num_tokens)) return -1;
    }
    return nn_forward(m->dec, inputs, targets, weights, norm, B, T);
}

int vl_backward(vl_model *m) {
    if (nn_backward(m->dec)) return -1;
    const float *g = nn_input_grad(m->dec);
    if (!m->nimg || !g) return 0;
    return vt_backward(m->enc, g);
}

/* ------------------------------------------------------------------ folders */

static void vl_entries(st_entry *e, const nn_tensor *t, int n, const float *base) {
    for (int i = 0; i < n; i++) {
        e[i].name = t[i].name;
        e[i].data = base + t[i].offset;
        e[i].ndim = t[i].ndim;
        e[i].shape[0] = t[i].shape[0];
        e[i].shape[1] = t[i].shape[1];
    }
}

int vl_save(const vl_model *m, const char *dir) {
    if (!m->enc) return nn_save(m->dec, dir);
    if (ut_mkdirs(dir)) return -1;
    int nd = m->dec->num_tensors, ne = m->enc->num_tensors;
    st_entry *e = ut_calloc((size_t)(nd + ne), sizeof *e);
    vl_entries(e, m->dec->tensors, nd, m->dec->param_mem);
    vl_entries(e + nd, m->enc->tensors, ne, m->enc->param_mem);
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    const char *meta[] = {"format", "pt"};
    int rc = st_write(path, e, nd + ne, meta, 1);
    free(e);
    if (rc) return -1;
    char *dj = nn_config_to_json(&m->dec->cfg), *vj = vt_config_to_json(&m->enc->cfg);
    cJSON *o = cJSON_Parse(dj), *v = cJSON_Parse(vj);
    free(dj);
    free(vj);
    cJSON_AddNumberToObject(o, "image_token_id", m->image_token_id);
    cJSON_AddItemToObject(o, "vision_config", v);
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    snprintf(path, sizeof path, "%s/config.json", dir);
    rc = ut_write_atomic(path, s, strlen(s));
    free(s);
    return rc;
}

/* the vision part of a config.json: 1 when present (vc, id filled), 0 when absent, -1 on error */
static int vl_parse_vision(const char *text, vt_config *vc, int *id) {
    cJSON *o = cJSON_Parse(text);
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, "vision_config") : NULL;
    if (!v || cJSON_IsNull(v)) {
        cJSON_Delete(o);
        return 0;
    }
    int rc = 1;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "image_token_id");
    if (!t || !cJSON_IsNumber(t) || t->valuedouble != floor(t->valuedouble) || fabs(t->valuedouble) > 1e9)
        rc = ut_fail("config: a model with \"vision_config\" needs an integer \"image_token_id\"");
    else *id = (int)t->valuedouble;
    char *vs = rc > 0 ? cJSON_PrintUnformatted(v) : NULL;
    if (vs && vt_config_parse(vc, vs)) rc = -1;
    free(vs);
    cJSON_Delete(o);
    return rc;
}

int vl_config_load(const char *path, nn_config *dc, vt_config *vc, int *image_token_id) {
    char *text = ut_read_file(path, NULL);
    if (!text) return -1;
    int has = -1;
    *image_token_id = -1;
    if (!nn_config_parse(dc, text)) has = vl_parse_vision(text, vc, image_token_id);
    free(text);
    if (has < 0) ut_fail("%s: %s", path, ut_error());
    return has;
}

vl_model *vl_load(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    nn_config dc;
    vt_config vc;
    int id = -1, has = vl_config_load(path, &dc, &vc, &id);
    if (has < 0) return NULL;
    vl_model *m = vl_new(&dc, has ? &vc : NULL, id);
    if (!m) {
        ut_fail("%s: %s", path, ut_error());
        return NULL;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (nn_load_weights(m->dec, path) || (m->enc && vt_load_weights(m->enc, path))) {
        vl_free(m);
        return NULL;
    }
    return m;
}

int vl_same_shape(const vl_model *a, const nn_config *dc, const vt_config *vc, int image_token_id) {
    const nn_config *c = &a->dec->cfg;
    int dec = c->vocab_size == dc->vocab_size && c->hidden_size == dc->hidden_size &&
              c->intermediate_size == dc->intermediate_size && c->num_hidden_layers == dc->num_hidden_layers &&
              c->num_attention_heads == dc->num_attention_heads && c->num_key_value_heads == dc->num_key_value_heads &&
              c->tie_word_embeddings == dc->tie_word_embeddings;
    if (!dec || !a->enc != !vc) return 0;
    if (!vc) return 1;
    const vt_config *e = &a->enc->cfg;
    return image_token_id == a->image_token_id && e->image_size == vc->image_size && e->patch_size == vc->patch_size &&
           e->hidden_size == vc->hidden_size && e->intermediate_size == vc->intermediate_size && e->depth == vc->depth &&
           e->num_heads == vc->num_heads && e->out_hidden_size == vc->out_hidden_size;
}

/* ------------------------------------------------------------------ optimiser */

void vl_opt_init(vl_opt *o, vl_model *m, const opt_hparams *hp) {
    memset(o, 0, sizeof *o);
    o->model = m;
    opt_init(&o->dec, m->dec, hp);
    if (m->enc)
        opt_init_set(&o->enc, m->enc->param_mem, m->enc->grad_mem, m->enc->num_params, m->enc->tensors, m->enc->num_tensors,
                     vt_threads(m->enc), hp);
}

void vl_opt_free(vl_opt *o) {
    opt_free(&o->dec);
    if (o->model && o->model->enc) opt_free(&o->enc);
}

double vl_opt_step(vl_opt *o, float lr) {
    vt_model *enc = o->model->enc;
    double nd = opt_set_grad_norm(&o->dec);
    if (!enc) return opt_step_norm(&o->dec, lr, nd);
    o->enc.threads = vt_threads(enc);
    double ne = opt_set_grad_norm(&o->enc), n = sqrt(nd * nd + ne * ne);
    opt_step_norm(&o->dec, lr, n);
    opt_step_norm(&o->enc, lr, n);
    return n;
}

int vl_opt_save(const vl_opt *o, const char *path) {
    const opt_adamw *s[2] = {&o->dec, &o->enc};
    return opt_save_all(s, o->model->enc ? 2 : 1, path);
}

int vl_opt_load(vl_opt *o, const char *path) {
    opt_adamw *s[2] = {&o->dec, &o->enc};
    return opt_load_all(s, o->model->enc ? 2 : 1, path);
}
