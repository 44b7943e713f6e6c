/* nn_io.c - model checkpoints: safetensors weights with Hugging Face names + config.json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/nn.h"
#include "ml/safetensors.h"
#include "base/util.h"

int nn_save(const nn_model *m, const char *dir) {
    if (ut_mkdirs(dir)) return -1;
    st_entry *e = ut_calloc((size_t)m->num_tensors, sizeof *e);
    for (int i = 0; i < m->num_tensors; i++) {
        const nn_tensor *t = &m->tensors[i];
        e[i].name = t->name;
        e[i].data = m->param_mem + t->offset;
        e[i].ndim = t->ndim;
        e[i].shape[0] = t->shape[0];
        e[i].shape[1] = t->shape[1];
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    const char *meta[] = {"format", "pt"};
    int rc = st_write(path, e, m->num_tensors, meta, 1);
    free(e);
    if (rc) return -1;
    snprintf(path, sizeof path, "%s/config.json", dir);
    return nn_config_save(&m->cfg, path);
}

int nn_load_weights(nn_model *m, const char *path) {
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

nn_model *nn_load(const char *dir) {
    char path[4096];
    nn_config c;
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (nn_config_load(&c, path)) return NULL;
    nn_model *m = nn_new(&c);
    if (!m) {
        ut_fail("%s: %s", path, ut_error());
        return NULL;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (nn_load_weights(m, path)) {
        nn_free(m);
        return NULL;
    }
    return m;
}
