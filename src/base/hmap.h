/* hmap.h - hash map from uint64_t keys to int64_t values (open addressing, linear probing).
 *
 * The table is an array of (key, value) slots whose size is a power of two; it doubles before an
 * insert would fill more than half of it, so probe runs stay short. The slot of a key is the top
 * bits of key * 2^64/phi (Fibonacci hashing): one multiply, and it spreads both small integers
 * and packed pairs (a << 32 | b) over the table.
 *
 * Every uint64_t is a valid key. HM_EMPTY marks a free slot, so that one key is kept beside the
 * table (has_max, max_val). A zero-initialised hm_map (or hm_init) is an empty map; hm_free
 * releases it and leaves it empty and usable again.
 *
 * Lookups and get-or-insert are inline: these maps sit in the inner loops of the meshers and of
 * the tokenizer. A value pointer returned by hm_upsert stays valid until the next insert.
 * There is no removal and no iteration (nobody needs them).
 *
 * Byte-string keys (hm_strmap) sit on the same map: the strings are copied into one arena, the
 * map goes from a string's 64-bit hash (hm_hash_bytes) to the newest entry with that hash, and
 * entries whose hashes are equal are chained, so two strings that collide stay distinct.
 */
#ifndef RECAD_HMAP_H
#define RECAD_HMAP_H

#include <stddef.h>
#include <stdint.h>

#define HM_EMPTY UINT64_MAX /* key of a free slot */

typedef struct {
    uint64_t key;
    int64_t val;
} hm_slot;

typedef struct {
    hm_slot *slot;  /* [cap]; key HM_EMPTY = free */
    size_t cap, n;  /* cap: 0 or a power of two; n: keys stored in slot[] */
    int shift;      /* 64 - log2(cap) */
    int has_max;    /* key HM_EMPTY is present ... */
    int64_t max_val; /* ... with this value */
} hm_map;

void hm_init(hm_map *m, size_t n); /* empty map that holds n keys without growing */
void hm_free(hm_map *m);           /* releases the table; m is an empty map again */
void hm_clear(hm_map *m);          /* removes every key, keeps the table */
size_t hm_count(const hm_map *m);  /* number of keys */
void hm_put(hm_map *m, uint64_t key, int64_t val); /* insert or overwrite */

/* internals of the inline functions below */
void hm_grow(hm_map *m);
int64_t *hm_upsert_max(hm_map *m, int64_t val, int *added);

/* index of key's slot: the one holding it, or the free slot where it would go (cap > 0) */
static inline size_t hm_probe(const hm_map *m, uint64_t key) {
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> m->shift), mask = m->cap - 1;
    while (m->slot[i].key != key && m->slot[i].key != HM_EMPTY) i = (i + 1) & mask;
    return i;
}

/* 1 and *val = the value of key if present (val may be NULL), else 0 */
static inline int hm_get(const hm_map *m, uint64_t key, int64_t *val) {
    if (key == HM_EMPTY) {
        if (m->has_max && val) *val = m->max_val;
        return m->has_max;
    }
    if (!m->cap) return 0;
    const hm_slot *s = &m->slot[hm_probe(m, key)];
    if (s->key != key) return 0;
    if (val) *val = s->val;
    return 1;
}

/* the value of key, or dflt if absent */
static inline int64_t hm_get_or(const hm_map *m, uint64_t key, int64_t dflt) {
    int64_t v;
    return hm_get(m, key, &v) ? v : dflt;
}

/* get-or-insert: pointer to the value of key, inserting it with value val when absent;
   *added (may be NULL) = 1 if it was inserted */
static inline int64_t *hm_upsert(hm_map *m, uint64_t key, int64_t val, int *added) {
    if (key == HM_EMPTY) return hm_upsert_max(m, val, added);
    if (2 * (m->n + 1) > m->cap) hm_grow(m);
    hm_slot *s = &m->slot[hm_probe(m, key)];
    int fresh = s->key != key;
    if (fresh) {
        s->key = key;
        s->val = val;
        m->n++;
    }
    if (added) *added = fresh;
    return &s->val;
}

/* ---- byte-string keys ---- */

/* 64-bit hash of n bytes (FNV-1a with a final mix) */
uint64_t hm_hash_bytes(const void *s, size_t n);

typedef struct {
    hm_map index;   /* hash -> newest entry with that hash */
    char *arena;    /* the key bytes, each followed by a NUL */
    size_t nbytes, capbytes;
    size_t *off;    /* [n] entry -> its key in the arena */
    int *len;       /* [n] key lengths in bytes */
    int *next;      /* [n] the previous entry with the same hash, or -1 */
    int64_t *val;   /* [n] values */
    int n, cap;
} hm_strmap;

void hm_str_init(hm_strmap *m, size_t n); /* empty map sized for n keys */
void hm_str_free(hm_strmap *m);           /* releases everything; m is an empty map again */
void hm_str_clear(hm_strmap *m);          /* removes every key, keeps the memory */
/* pointer to the value of the key of n bytes, or NULL; valid until the next insert */
int64_t *hm_str_find(const hm_strmap *m, const void *key, size_t n);
/* get-or-insert as hm_upsert; the key's bytes are copied */
int64_t *hm_str_upsert(hm_strmap *m, const void *key, size_t n, int64_t val, int *added);

#endif
