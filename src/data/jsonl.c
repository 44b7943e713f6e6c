/* jsonl.c - JSON Lines reader and field helpers (see jsonl.h). */
#include "data/jsonl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define JL_BLOCK ((size_t)1 << 16)

int jl_open(jl_reader *r, const char *path, size_t max_line) {
    memset(r, 0, sizeof *r);
    if (ut_is_dir(path)) return ut_fail("%s is a folder, not a JSONL file", path);
    r->f = fopen(path, "rb");
    if (!r->f) return ut_fail("cannot open %s: %s", path, strerror(errno));
    r->path = ut_strdup(path);
    r->max_line = max_line ? max_line : JL_MAX_LINE;
    r->blk = ut_malloc(JL_BLOCK);
    r->cap = 256;
    r->buf = ut_malloc(r->cap);
    return 0;
}

void jl_close(jl_reader *r) {
    if (r->f) fclose(r->f);
    cJSON_Delete(r->rec);
    free(r->path);
    free(r->blk);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* refills the block; 0 at the end of the file, -1 on a read error */
static int jl_fill(jl_reader *r) {
    r->bpos = 0;
    r->blen = r->eof ? 0 : fread(r->blk, 1, JL_BLOCK, r->f);
    if (r->blen) return 1;
    if (ferror(r->f)) return ut_fail("%s:%d: read error: %s", r->path, r->line + 1, strerror(errno));
    r->eof = 1;
    return 0;
}

static void jl_append(jl_reader *r, const char *s, size_t n) {
    if (r->len + n + 1 > r->cap) {
        while (r->len + n + 1 > r->cap) r->cap *= 2;
        r->buf = ut_realloc(r->buf, r->cap);
    }
    memcpy(r->buf + r->len, s, n);
    r->len += n;
    r->buf[r->len] = 0;
}

/* the next line into r->buf (without '\n'); 1, 0 at the end of the file, -1 on an error */
static int jl_read_line(jl_reader *r) {
    r->len = 0;
    r->buf[0] = 0;
    int any = 0;
    for (;;) {
        if (r->bpos == r->blen) {
            int got = jl_fill(r);
            if (got <= 0) return got < 0 ? -1 : any;
        }
        any = 1;
        const char *s = r->blk + r->bpos;
        const char *nl = memchr(s, '\n', r->blen - r->bpos);
        size_t take = nl ? (size_t)(nl - s) : r->blen - r->bpos;
        if (r->len + take > r->max_line)
            return ut_fail("%s:%d: line longer than %zu bytes", r->path, r->line + 1, r->max_line);
        jl_append(r, s, take);
        r->bpos += take + (nl != NULL);
        if (nl) return 1;
    }
}

/* blank: only spaces, tabs, '\r' and NUL bytes (the zero padding a crash can leave at the end) */
static int jl_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != 0) return 0;
    return 1;
}

/* "FILE:LINE: not valid JSON (column C: near '...')" for a parse that stopped at `at` */
static int jl_parse_error(const jl_reader *r, const char *at) {
    if (!at || at < r->buf || at > r->buf + r->len) return ut_fail("%s:%d: not valid JSON", r->path, r->line);
    long col = (long)(at - r->buf) + 1;
    if (!*at) return ut_fail("%s:%d: not valid JSON (column %ld: unexpected end of line)", r->path, r->line, col);
    return ut_fail("%s:%d: not valid JSON (column %ld: near '%.20s')", r->path, r->line, col, at);
}

int jl_next(jl_reader *r, cJSON **rec) {
    cJSON_Delete(r->rec);
    r->rec = NULL;
    r->line_error = 0;
    *rec = NULL;
    for (;;) {
        int got = jl_read_line(r);
        if (got <= 0) return got;
        r->line++;
        const char *s = r->buf;
        if (r->line == 1 && r->len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) s += 3;
        if (jl_blank(s, r->len - (size_t)(s - r->buf))) continue;
        r->line_error = 1;
        if (strlen(r->buf) != r->len) return ut_fail("%s:%d: line holds a NUL byte", r->path, r->line);
        const char *end = NULL;
        r->rec = cJSON_ParseWithOpts(s, &end, 1);
        if (!r->rec) return jl_parse_error(r, end);
        r->line_error = 0;
        *rec = r->rec;
        return 1;
    }
}

/* ------------------------------------------------------------------ fields */

/* the item of key: 1 found, 0 missing (or null), -1 the record is not an object */
static int jl_item(const jl_reader *r, const cJSON *rec, const char *key, const cJSON **it) {
    if (!cJSON_IsObject(rec)) return ut_fail("%s:%d: not a JSON object", r->path, r->line);
    *it = cJSON_GetObjectItemCaseSensitive(rec, key);
    return *it && !cJSON_IsNull(*it);
}

static int jl_get_str(const jl_reader *r, const cJSON *rec, const char *key, int required, const char **out) {
    const cJSON *it = NULL;
    int found = jl_item(r, rec, key, &it);
    if (found < 0) return -1;
    if (!found) return required ? ut_fail("%s:%d: missing field \"%s\"", r->path, r->line, key) : 0;
    if (!cJSON_IsString(it)) return ut_fail("%s:%d: field \"%s\" is not a string", r->path, r->line, key);
    *out = it->valuestring;
    return 0;
}

static int jl_get_num(const jl_reader *r, const cJSON *rec, const char *key, int required, double *out) {
    const cJSON *it = NULL;
    int found = jl_item(r, rec, key, &it);
    if (found < 0) return -1;
    if (!found) return required ? ut_fail("%s:%d: missing field \"%s\"", r->path, r->line, key) : 0;
    if (!cJSON_IsNumber(it)) return ut_fail("%s:%d: field \"%s\" is not a number", r->path, r->line, key);
    *out = it->valuedouble;
    return 0;
}

int jl_str(const jl_reader *r, const cJSON *rec, const char *key, const char **out) {
    return jl_get_str(r, rec, key, 1, out);
}

int jl_num(const jl_reader *r, const cJSON *rec, const char *key, double *out) {
    return jl_get_num(r, rec, key, 1, out);
}

int jl_str_opt(const jl_reader *r, const cJSON *rec, const char *key, const char *def, const char **out) {
    *out = def;
    return jl_get_str(r, rec, key, 0, out);
}

int jl_num_opt(const jl_reader *r, const cJSON *rec, const char *key, double def, double *out) {
    *out = def;
    return jl_get_num(r, rec, key, 0, out);
}
