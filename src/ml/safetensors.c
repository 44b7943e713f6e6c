/* safetensors.c - safetensors reader/writer (see safetensors.h). */
#include "ml/safetensors.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

#define ST_MAX_HEADER (100u << 20)

float st_bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t st_f32_to_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* NaN stays NaN */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

float st_f16_to_f32(uint16_t h) {
    int s = h >> 15, e = (h >> 10) & 31, mnt = h & 1023;
    float v;
    if (e == 0) v = ldexpf((float)mnt, -24);
    else if (e == 31) v = mnt ? NAN : INFINITY;
    else v = ldexpf((float)(mnt | 1024), e - 25);
    return s ? -v : v;
}

static int st_dtype(const char *s, size_t *bytes) {
    static const struct {
        const char *name;
        int id;
        size_t bytes;
    } tab[] = {{"F32", ST_F32, 4}, {"F16", ST_F16, 2}, {"BF16", ST_BF16, 2}, {"F64", ST_OTHER, 8}, {"I64", ST_OTHER, 8},
               {"I32", ST_OTHER, 4}, {"I16", ST_OTHER, 2}, {"I8", ST_OTHER, 1}, {"U8", ST_OTHER, 1}, {"BOOL", ST_OTHER, 1},
               {"U16", ST_OTHER, 2}, {"U32", ST_OTHER, 4}, {"U64", ST_OTHER, 8}, {"F8_E4M3", ST_OTHER, 1},
               {"F8_E5M2", ST_OTHER, 1}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (!strcmp(s, tab[i].name)) {
            *bytes = tab[i].bytes;
            return tab[i].id;
        }
    return -1;
}

static int st_cmp_begin(const void *a, const void *b) {
    const st_tensor *x = *(st_tensor *const *)a, *y = *(st_tensor *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* parses the header JSON into f->tensors; returns -1 with a reason (without the path) */
static int st_parse_header(st_file *f, const char *json, size_t len) {
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return ut_fail("header is not a JSON object");
    }
    size_t data_len = f->size - f->data_start;
    int cap = 0, mcap = 0, vcap = 0, rc = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, root) {
        if (!strcmp(it->string, "__metadata__")) {
            if (!cJSON_IsObject(it)) {
                rc = ut_fail("__metadata__ is not an object");
                break;
            }
            const cJSON *kv;
            cJSON_ArrayForEach(kv, it) {
                if (!cJSON_IsString(kv)) continue;
                int nv = f->num_meta;
                *UT_PUSH(f->meta_vals, nv, vcap) = ut_strdup(kv->valuestring);
                *UT_PUSH(f->meta_keys, f->num_meta, mcap) = ut_strdup(kv->string);
            }
            continue;
        }
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(it, "shape");
        const cJSON *of = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
        if (!cJSON_IsObject(it) || !cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(of) ||
            cJSON_GetArraySize(of) != 2) {
            rc = ut_fail("tensor \"%s\": entry needs dtype, shape and data_offsets [begin, end]", it->string);
            break;
        }
        size_t esz = 0;
        int id = st_dtype(dt->valuestring, &esz);
        if (id < 0) {
            rc = ut_fail("tensor \"%s\": unknown dtype \"%s\"", it->string, dt->valuestring);
            break;
        }
        st_tensor *t = UT_PUSH(f->tensors, f->num_tensors, cap);
        memset(t, 0, sizeof *t);
        t->name = ut_strdup(it->string);
        t->dtype = id;
        snprintf(t->dtype_name, sizeof t->dtype_name, "%s", dt->valuestring);
        t->ndim = cJSON_GetArraySize(sh);
        if (t->ndim > 8) {
            rc = ut_fail("tensor \"%s\": %d dimensions (at most 8)", t->name, t->ndim);
            break;
        }
        t->numel = 1;
        for (int i = 0; i < t->ndim && !rc; i++) {
            const cJSON *v = cJSON_GetArrayItem(sh, i);
            if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e12 || v->valuedouble != floor(v->valuedouble))
                rc = ut_fail("tensor \"%s\": bad shape entry", t->name);
            else {
                t->shape[i] = (int64_t)v->valuedouble;
                t->numel *= (size_t)t->shape[i];
            }
        }
        if (rc) break;
        const cJSON *b0 = cJSON_GetArrayItem(of, 0), *b1 = cJSON_GetArrayItem(of, 1);
        if (!cJSON_IsNumber(b0) || !cJSON_IsNumber(b1) || b0->valuedouble < 0 || b1->valuedouble < b0->valuedouble ||
            b1->valuedouble > 1e15) {
            rc = ut_fail("tensor \"%s\": bad data_offsets", t->name);
            break;
        }
        t->begin = (size_t)b0->valuedouble;
        t->end = (size_t)b1->valuedouble;
        if (t->end - t->begin != t->numel * esz) {
            rc = ut_fail("tensor \"%s\": data_offsets span %zu bytes but %s x %zu elements need %zu", t->name,
                         t->end - t->begin, t->dtype_name, t->numel, t->numel * esz);
            break;
        }
        if (t->end > data_len) {
            rc = ut_fail("tensor \"%s\" ends at byte %zu but the data block has %zu bytes (truncated file?)", t->name, t->end,
                         data_len);
            break;
        }
    }
    cJSON_Delete(root);
    if (rc) return -1;
    /* overlaps */
    st_tensor **ord = ut_malloc((size_t)(f->num_tensors ? f->num_tensors : 1) * sizeof *ord);
    for (int i = 0; i < f->num_tensors; i++) ord[i] = &f->tensors[i];
    qsort(ord, (size_t)f->num_tensors, sizeof *ord, st_cmp_begin);
    for (int i = 1; i < f->num_tensors && !rc; i++)
        if (ord[i]->begin < ord[i - 1]->end)
            rc = ut_fail("tensors \"%s\" and \"%s\" overlap", ord[i - 1]->name, ord[i]->name);
    free(ord);
    return rc;
}

int st_open(st_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return ut_fail("%s: cannot open", path);
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        close(fd);
        return ut_fail("%s: not a regular file", path);
    }
    if (sb.st_size < 8) {
        close(fd);
        return ut_fail("%s: %lld bytes, too short for a safetensors header", path, (long long)sb.st_size);
    }
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return ut_fail("%s: cannot map the file", path);
    f->map = map;
    f->size = (size_t)sb.st_size;
    f->path = ut_strdup(path);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | f->map[i];
    if (n == 0 || n > ST_MAX_HEADER || n > f->size - 8) {
        int rc = ut_fail("%s: header length %llu is impossible for a %zu-byte file (not safetensors or truncated)", path,
                         (unsigned long long)n, f->size);
        st_close(f);
        return rc;
    }
    f->data_start = 8 + (size_t)n;
    if (st_parse_header(f, (const char *)f->map + 8, (size_t)n)) {
        int rc = ut_fail("%s: %s", path, ut_error());
        st_close(f);
        return rc;
    }
    return 0;
}

void st_close(st_file *f) {
    if (f->map) munmap(f->map, f->size);
    for (int i = 0; i < f->num_tensors; i++) free(f->tensors[i].name);
    for (int i = 0; i < f->num_meta; i++) {
        free(f->meta_keys[i]);
        free(f->meta_vals[i]);
    }
    free(f->meta_keys);
    free(f->meta_vals);
    free(f->tensors);
    free(f->path);
    memset(f, 0, sizeof *f);
}

const st_tensor *st_find(const st_file *f, const char *name) {
    for (int i = 0; i < f->num_tensors; i++)
        if (!strcmp(f->tensors[i].name, name)) return &f->tensors[i];
    return NULL;
}

const char *st_meta(const st_file *f, const char *key) {
    for (int i = 0; i < f->num_meta; i++)
        if (!strcmp(f->meta_keys[i], key)) return f->meta_vals[i];
    return NULL;
}

int st_read_f32(const st_file *f, const st_tensor *t, float *out) {
    const unsigned char *p = f->map + f->data_start + t->begin;
    switch (t->dtype) {
    case ST_F32:
        for (size_t i = 0; i < t->numel; i++) {
            uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                         (uint32_t)p[4 * i + 3] << 24;
            memcpy(&out[i], &u, 4);
        }
        return 0;
    case ST_BF16:
        for (size_t i = 0; i < t->numel; i++) out[i] = st_bf16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
        return 0;
    case ST_F16:
        for (size_t i = 0; i < t->numel; i++) out[i] = st_f16_to_f32((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
        return 0;
    default:
        return ut_fail("%s: tensor \"%s\" has dtype %s; only F32, BF16 and F16 can be read", f->path, t->name, t->dtype_name);
    }
}

static void st_shape_str(char *buf, size_t n, int ndim, const int64_t *shape) {
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < ndim && k < n; i++) k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

int st_load(const st_file *f, const char *name, int ndim, const int64_t *shape, float *out) {
    const st_tensor *t = st_find(f, name);
    if (!t) return ut_fail("%s: missing tensor \"%s\"", f->path, name);
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (!same) {
        char want[128], got[128];
        st_shape_str(want, sizeof want, ndim, shape);
        st_shape_str(got, sizeof got, t->ndim, t->shape);
        return ut_fail("%s: tensor \"%s\" has shape %s, expected %s", f->path, name, got, want);
    }
    return st_read_f32(f, t, out);
}

int st_write(const char *path, const st_entry *e, int n, const char *const *meta, int nmeta) {
    cJSON *root = cJSON_CreateObject();
    if (nmeta > 0) {
        cJSON *m = cJSON_AddObjectToObject(root, "__metadata__");
        for (int i = 0; i < nmeta; i++) cJSON_AddStringToObject(m, meta[2 * i], meta[2 * i + 1]);
    }
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        cJSON *t = cJSON_AddObjectToObject(root, e[i].name);
        cJSON_AddStringToObject(t, "dtype", "F32");
        cJSON *sh = cJSON_AddArrayToObject(t, "shape");
        size_t numel = 1;
        for (int k = 0; k < e[i].ndim; k++) {
            cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)e[i].shape[k]));
            numel *= (size_t)e[i].shape[k];
        }
        cJSON *of = cJSON_AddArrayToObject(t, "data_offsets");
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)(off + 4 * numel)));
        off += 4 * numel;
    }
    char *hdr = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    size_t hl = strlen(hdr), pad = (8 - hl % 8) % 8; /* data block 8-byte aligned, padded with spaces */
    ut_atomic a;
    if (ut_atomic_open(&a, path)) {
        free(hdr);
        return -1;
    }
    uint64_t len = hl + pad;
    unsigned char lb[8];
    for (int i = 0; i < 8; i++) lb[i] = (unsigned char)(len >> (8 * i));
    int ok = fwrite(lb, 1, 8, a.f) == 8 && fwrite(hdr, 1, hl, a.f) == hl;
    for (size_t i = 0; ok && i < pad; i++) ok = fputc(' ', a.f) != EOF;
    free(hdr);
    for (int i = 0; ok && i < n; i++) {
        size_t numel = 1;
        for (int k = 0; k < e[i].ndim; k++) numel *= (size_t)e[i].shape[k];
        ok = fwrite(e[i].data, sizeof(float), numel, a.f) == numel; /* little-endian host */
    }
    if (!ok) {
        ut_atomic_abort(&a);
        return ut_fail("%s: write failed", path);
    }
    return ut_atomic_commit(&a);
}
