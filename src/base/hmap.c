/* hmap.c - hash map from uint64_t keys to int64_t values (see hmap.h). */
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
