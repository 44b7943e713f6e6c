/* hmap.c - hash maps from uint64_t keys and from byte strings to int64_t values (see hmap.h). */
#include "base/hmap.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define HM_MIN_CAP 16

/* a free table of cap slots (cap: a power of two >= 2) */
static void hm_alloc(hm_map *m, size_t cap) {
    m->slot = ut_malloc(cap * sizeof *m->slot);
    memset(m->slot, 0xff, cap * sizeof *m->slot); /* every key HM_EMPTY */
    m->cap = cap;
    m->n = 0;
    int bits = 0;
    while (((size_t)1 << bits) < cap) bits++;
    m->shift = 64 - bits;
}

void hm_init(hm_map *m, size_t n) {
    memset(m, 0, sizeof *m);
    size_t cap = HM_MIN_CAP;
    while (cap < 2 * n) cap *= 2;
    hm_alloc(m, cap);
}

void hm_free(hm_map *m) {
    free(m->slot);
    memset(m, 0, sizeof *m);
}

void hm_clear(hm_map *m) {
    if (m->cap) memset(m->slot, 0xff, m->cap * sizeof *m->slot);
    m->n = 0;
    m->has_max = 0;
}

size_t hm_count(const hm_map *m) { return m->n + (m->has_max ? 1 : 0); }

/* doubles the table (or makes the first one) and moves every key over */
void hm_grow(hm_map *m) {
    hm_slot *old = m->slot;
    size_t ocap = m->cap, n = m->n;
    hm_alloc(m, ocap ? 2 * ocap : HM_MIN_CAP);
    for (size_t i = 0; i < ocap; i++)
        if (old[i].key != HM_EMPTY) m->slot[hm_probe(m, old[i].key)] = old[i];
    m->n = n;
    free(old);
}

int64_t *hm_upsert_max(hm_map *m, int64_t val, int *added) {
    if (added) *added = !m->has_max;
    if (!m->has_max) m->max_val = val;
    m->has_max = 1;
    return &m->max_val;
}

void hm_put(hm_map *m, uint64_t key, int64_t val) { *hm_upsert(m, key, val, NULL) = val; }

/* ---- byte-string keys ---- */

uint64_t hm_hash_bytes(const void *s, size_t n) {
    const unsigned char *p = s;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 32);
}

void hm_str_init(hm_strmap *m, size_t n) {
    memset(m, 0, sizeof *m);
    hm_init(&m->index, n);
}

void hm_str_free(hm_strmap *m) {
    hm_free(&m->index);
    free(m->arena);
    free(m->off);
    free(m->len);
    free(m->next);
    free(m->val);
    memset(m, 0, sizeof *m);
}

void hm_str_clear(hm_strmap *m) {
    hm_clear(&m->index);
    m->n = 0;
    m->nbytes = 0;
}

/* the entry holding key (hash h), or -1 */
static int hm_str_entry(const hm_strmap *m, const void *key, size_t n, uint64_t h) {
    int64_t e;
    if (!hm_get(&m->index, h, &e)) return -1;
    for (int i = (int)e; i >= 0; i = m->next[i])
        if ((size_t)m->len[i] == n && memcmp(m->arena + m->off[i], key, n) == 0) return i;
    return -1;
}

int64_t *hm_str_find(const hm_strmap *m, const void *key, size_t n) {
    int i = hm_str_entry(m, key, n, hm_hash_bytes(key, n));
    return i < 0 ? NULL : &m->val[i];
}

int64_t *hm_str_upsert(hm_strmap *m, const void *key, size_t n, int64_t val, int *added) {
    uint64_t h = hm_hash_bytes(key, n);
    int i = hm_str_entry(m, key, n, h);
    if (added) *added = i < 0;
    if (i >= 0) return &m->val[i];
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->off = ut_realloc(m->off, (size_t)m->cap * sizeof *m->off);
        m->len = ut_realloc(m->len, (size_t)m->cap * sizeof *m->len);
        m->next = ut_realloc(m->next, (size_t)m->cap * sizeof *m->next);
        m->val = ut_realloc(m->val, (size_t)m->cap * sizeof *m->val);
    }
    if (m->nbytes + n + 1 > m->capbytes) {
        while (m->nbytes + n + 1 > m->capbytes) m->capbytes = m->capbytes ? 2 * m->capbytes : 1024;
        m->arena = ut_realloc(m->arena, m->capbytes);
    }
    i = m->n++;
    memcpy(m->arena + m->nbytes, key, n);
    m->arena[m->nbytes + n] = 0;
    m->off[i] = m->nbytes;
    m->len[i] = (int)n;
    m->val[i] = val;
    m->nbytes += n + 1;
    int64_t *head = hm_upsert(&m->index, h, i, NULL);
    m->next[i] = *head == i ? -1 : (int)*head;
    *head = i;
    return &m->val[i];
}
