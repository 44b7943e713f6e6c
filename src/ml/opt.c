/* nn_opt.c - AdamW, clipping, schedule, optimiser state files (see nn_opt.h). */
#include "ml/opt.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/safetensors.h"
#include "base/util.h"

opt_hparams opt_defaults(void) {
    opt_hparams h = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1.0f};
    return h;
}

void opt_init_set(opt_adamw *o, float *params, float *grads, size_t num_params, const nn_tensor *tensors,
                  int num_tensors, int threads, const opt_hparams *hp) {
    memset(o, 0, sizeof *o);
    o->hp = *hp;
    o->params = params;
    o->grads = grads;
    o->num_params = num_params;
    o->tensors = tensors;
    o->num_tensors = num_tensors;
    o->threads = threads;
    o->m = ut_calloc(num_params ? num_params : 1, sizeof(float));
    o->v = ut_calloc(num_params ? num_params : 1, sizeof(float));
}

void opt_init(opt_adamw *o, nn_model *m, const opt_hparams *hp) {
    opt_init_set(o, m->param_mem, m->grad_mem, m->num_params, m->tensors, m->num_tensors, 0, hp);
    o->model = m;
}

void opt_free(opt_adamw *o) {
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}

static int opt_threads(const opt_adamw *o) {
    if (o->model) return nn_threads(o->model);
    return o->threads > 0 ? o->threads : omp_get_num_procs();
}

static double opt_norm_of(const float *g, size_t n, int threads) {
    /* fixed chunks summed in order: the same value for every thread count */
    enum { CH = 64 };
    double part[CH];
#pragma omp parallel for schedule(static) num_threads(threads)
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

double opt_grad_norm(const nn_model *m) { return opt_norm_of(m->grad_mem, m->num_params, nn_threads(m)); }

double opt_set_grad_norm(const opt_adamw *o) { return opt_norm_of(o->grads, o->num_params, opt_threads(o)); }

double opt_step(opt_adamw *o, float lr) { return opt_step_norm(o, lr, opt_set_grad_norm(o)); }

double opt_step_norm(opt_adamw *o, float lr, double norm) {
    float gscale = 1.0f;
    if (o->hp.clip > 0 && norm > o->hp.clip) gscale = (float)(o->hp.clip / (norm + 1e-6));
    o->step++;
    const float b1 = o->hp.beta1, b2 = o->hp.beta2, eps = o->hp.eps;
    const float bc1 = 1.0f - powf(b1, (float)o->step), bc2 = 1.0f - powf(b2, (float)o->step);
    const float step_size = lr / bc1, bc2_sqrt = sqrtf(bc2);
    /* one parallel region for all tensors (a barrier per tensor costs more than the update) */
#pragma omp parallel num_threads(opt_threads(o))
    for (int ti = 0; ti < o->num_tensors; ti++) {
        const nn_tensor *t = &o->tensors[ti];
        float *p = o->params + t->offset, *g = o->grads + t->offset;
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

int opt_save_all(const opt_adamw *const *o, int n, const char *path) {
    int total = 0;
    for (int k = 0; k < n; k++) {
        if (o[k]->step != o[0]->step) return ut_fail("%s: optimiser states at different steps (%ld, %ld)", path, o[0]->step, o[k]->step);
        total += 2 * o[k]->num_tensors;
    }
    st_entry *e = ut_calloc((size_t)total + 1, sizeof *e);
    char **names = ut_calloc((size_t)total + 1, sizeof *names);
    int i = 0;
    for (int k = 0; k < n; k++)
        for (int j = 0; j < 2 * o[k]->num_tensors; j++, i++) {
            int nt = o[k]->num_tensors;
            const nn_tensor *t = &o[k]->tensors[j % nt];
            names[i] = ut_malloc(strlen(t->name) + 3);
            sprintf(names[i], "%c.%s", j < nt ? 'm' : 'v', t->name);
            e[i].name = names[i];
            e[i].data = (j < nt ? o[k]->m : o[k]->v) + t->offset;
            e[i].ndim = t->ndim;
            e[i].shape[0] = t->shape[0];
            e[i].shape[1] = t->shape[1];
        }
    char step[32];
    snprintf(step, sizeof step, "%ld", n ? o[0]->step : 0L);
    const char *meta[] = {"step", step};
    int rc = st_write(path, e, total, meta, 1);
    for (i = 0; i < total; i++) free(names[i]);
    free(names);
    free(e);
    return rc;
}

int opt_save(const opt_adamw *o, const char *path) { return opt_save_all(&o, 1, path); }

int opt_load_all(opt_adamw *const *o, int n, const char *path) {
    st_file f;
    if (st_open(&f, path)) return -1;
    const char *s = st_meta(&f, "step");
    char *end = NULL;
    long step = s ? strtol(s, &end, 10) : -1;
    int rc = 0;
    if (!s || *end || step < 0) rc = ut_fail("%s: missing or bad \"step\" metadata", path);
    char name[128];
    for (int k = 0; k < n && !rc; k++) {
        int nt = o[k]->num_tensors;
        for (int i = 0; i < 2 * nt && !rc; i++) {
            const nn_tensor *t = &o[k]->tensors[i % nt];
            snprintf(name, sizeof name, "%c.%s", i < nt ? 'm' : 'v', t->name);
            int64_t shape[2] = {t->shape[0], t->shape[1]};
            rc = st_load(&f, name, t->ndim, shape, (i < nt ? o[k]->m : o[k]->v) + t->offset);
        }
    }
    st_close(&f);
    if (!rc)
        for (int k = 0; k < n; k++) o[k]->step = step;
    return rc;
}

int opt_load(opt_adamw *o, const char *path) { return opt_load_all(&o, 1, path); }
