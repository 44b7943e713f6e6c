/* nn_opt.c - AdamW, clipping, schedule, optimiser state files (see nn_opt.h). */
#include "ml/opt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/safetensors.h"
#include "base/util.h"

opt_hparams opt_defaults(void) {
    opt_hparams h = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1.0f};
    return h;
}

void opt_init(opt_adamw *o, nn_model *m, const opt_hparams *hp) {
    memset(o, 0, sizeof *o);
    o->hp = *hp;
    o->model = m;
    o->m = ut_calloc(m->num_params, sizeof(float));
    o->v = ut_calloc(m->num_params, sizeof(float));
}

void opt_free(opt_adamw *o) {
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}

double opt_grad_norm(const nn_model *m) {
    /* fixed chunks summed in order: the same value for every thread count */
    enum { CH = 64 };
    double part[CH];
    size_t n = m->num_params;
    const float *g = m->grad_mem;
#pragma omp parallel for schedule(static) num_threads(nn_threads(m))
    for (int c = 0; c < CH; c++) {
        size_t i0 = n * (size_t)c / CH, i1 = n * (size_t)(c + 1) / CH;
        double s = 0.0;
        for (size_t i = i0; i < i1; i++) s += (double)g[i] * g[i];
        part[c] = s;
    }
    double s = 0.0;
    for (int c = 0; c < CH; c++) s += part[c];
    return sqrt(s);
}

double opt_step(opt_adamw *o, float lr) {
    nn_model *mod = o->model;
    double norm = opt_grad_norm(mod);
    float gscale = 1.0f;
    if (o->hp.clip > 0 && norm > o->hp.clip) gscale = (float)(o->hp.clip / (norm + 1e-6));
    o->step++;
    const float b1 = o->hp.beta1, b2 = o->hp.beta2, eps = o->hp.eps;
    const float bc1 = 1.0f - powf(b1, (float)o->step), bc2 = 1.0f - powf(b2, (float)o->step);
    const float step_size = lr / bc1, bc2_sqrt = sqrtf(bc2);
    /* one parallel region for all tensors (a barrier per tensor costs more than the update) */
#pragma omp parallel num_threads(nn_threads(mod))
    for (int ti = 0; ti < mod->num_tensors; ti++) {
        const nn_tensor *t = &mod->tensors[ti];
        float *p = mod->param_mem + t->offset, *g = mod->grad_mem + t->offset;
        float *m = o->m + t->offset, *v = o->v + t->offset;
        const float decay = t->decay ? 1.0f - lr * o->hp.weight_decay : 1.0f;
        const long n = (long)t->numel;
#pragma omp for simd schedule(static) nowait
        for (long i = 0; i < n; i++) {
            float gi = g[i] * gscale;
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            /* the order of operations follows torch's single-tensor AdamW */
            p[i] = p[i] * decay - step_size * (m[i] / (sqrtf(v[i]) / bc2_sqrt + eps));
        }
    }
    return norm;
}

float opt_lr(long step, long warmup, long total, float lr, float lr_min) {
    if (warmup > 0 && step < warmup) return lr * (float)(step + 1) / (float)warmup;
    if (total <= warmup) return lr;
    double x = (double)(step - warmup) / (double)(total - warmup);
    if (x > 1.0) x = 1.0;
    return lr_min + (lr - lr_min) * (float)(0.5 * (1.0 + cos(M_PI * x)));
}

int opt_save(const opt_adamw *o, const char *path) {
    const nn_model *mod = o->model;
    int n = mod->num_tensors;
    st_entry *e = ut_calloc((size_t)2 * n, sizeof *e);
    char **names = ut_calloc((size_t)2 * n, sizeof *names);
    for (int i = 0; i < 2 * n; i++) {
        const nn_tensor *t = &mod->tensors[i % n];
        names[i] = ut_malloc(strlen(t->name) + 3);
        sprintf(names[i], "%c.%s", i < n ? 'm' : 'v', t->name);
        e[i].name = names[i];
        e[i].data = (i < n ? o->m : o->v) + t->offset;
        e[i].ndim = t->ndim;
        e[i].shape[0] = t->shape[0];
        e[i].shape[1] = t->shape[1];
    }
    char step[32];
    snprintf(step, sizeof step, "%ld", o->step);
    const char *meta[] = {"step", step};
    int rc = st_write(path, e, 2 * n, meta, 1);
    for (int i = 0; i < 2 * n; i++) free(names[i]);
    free(names);
    free(e);
    return rc;
}

int opt_load(opt_adamw *o, const char *path) {
    const nn_model *mod = o->model;
    st_file f;
    if (st_open(&f, path)) return -1;
    const char *s = st_meta(&f, "step");
    char *end = NULL;
    long step = s ? strtol(s, &end, 10) : -1;
    int rc = 0;
    if (!s || *end || step < 0) rc = ut_fail("%s: missing or bad \"step\" metadata", path);
    char name[128];
    for (int i = 0; i < 2 * mod->num_tensors && !rc; i++) {
        const nn_tensor *t = &mod->tensors[i % mod->num_tensors];
        snprintf(name, sizeof name, "%c.%s", i < mod->num_tensors ? 'm' : 'v', t->name);
        int64_t shape[2] = {t->shape[0], t->shape[1]};
        rc = st_load(&f, name, t->ndim, shape, (i < mod->num_tensors ? o->m : o->v) + t->offset);
    }
    st_close(&f);
    if (!rc) o->step = step;
    return rc;
}
