/* safetensors.h - read and write the safetensors tensor file format.
 *
 * Format: 8-byte little-endian unsigned header length n, then n bytes of JSON
 *   {"name": {"dtype": "F32", "shape": [r, c], "data_offsets": [begin, end]}, ...,
 *    "__metadata__": {"key": "string value", ...}}
 * then the data block; offsets are bytes relative to the start of the data block, row-major,
 * little-endian. Reading accepts F32, BF16 and F16 (converted to float32); writing produces F32.
 *
 * st_open maps the file read-only and validates everything before returning: header length and
 * JSON, dtype names, shapes, offsets inside the file and consistent with dtype x shape, and
 * that tensors do not overlap. Every failure is -1 with a reason (ut_error) naming the file.
 * Writes are atomic (temporary file + rename).
 */
#ifndef RECAD_SAFETENSORS_H
#define RECAD_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

enum { ST_F32, ST_F16, ST_BF16, ST_OTHER };

typedef struct {
    char *name;
    int dtype;          /* ST_F32 / ST_F16 / ST_BF16; ST_OTHER is listed but cannot be read */
    char dtype_name[16];/* as written in the file, e.g. "I64" */
    int ndim;           /* 0..8 */
    int64_t shape[8];
    size_t numel;
    size_t begin, end;  /* byte offsets in the data block */
} st_tensor;

typedef struct {
    char *path;
    unsigned char *map; /* whole file */
    size_t size;
    size_t data_start;  /* 8 + header length */
    st_tensor *tensors;
    int num_tensors;
    char **meta_keys, **meta_vals; /* __metadata__ (string values) */
    int num_meta;
} st_file;

int st_open(st_file *f, const char *path);
void st_close(st_file *f);
const st_tensor *st_find(const st_file *f, const char *name);
const char *st_meta(const st_file *f, const char *key); /* NULL if absent */
/* Converts tensor t to float32 into out (numel floats); fails for ST_OTHER. */
int st_read_f32(const st_file *f, const st_tensor *t, float *out);
/* Reads tensor `name` requiring exactly the given shape (ndim entries) into out. Errors name the
 * tensor and say what was expected. */
int st_load(const st_file *f, const char *name, int ndim, const int64_t *shape, float *out);

/* one tensor to write */
typedef struct {
    const char *name;
    const float *data;
    int ndim;
    int64_t shape[8];
} st_entry;

/* Writes tensors (F32) and optional metadata pairs (meta[2*i] key, meta[2*i+1] value). */
int st_write(const char *path, const st_entry *e, int n, const char *const *meta, int nmeta);

/* float32 <-> 16-bit conversions (round to nearest even when narrowing) */
float st_bf16_to_f32(uint16_t h);
float st_f16_to_f32(uint16_t h);
uint16_t st_f32_to_bf16(float x);

#endif
