/* Tests of hmap.c: insert, get, overwrite, growth, the extreme keys, a brute-force reference;
 * the byte-string map: NULs and the empty key, clear and reuse, colliding hashes. */
#include <stdlib.h>
#include <string.h>

#include "tf.h"
#include "base/hmap.h"
#include "base/util.h"

TEST(hmap_empty_map) {
    hm_map m = {0};
    int64_t v = 7;
    CHECK(hm_count(&m) == 0);
    CHECK(!hm_get(&m, 0, &v) && v == 7);
    CHECK(!hm_get(&m, UINT64_MAX, &v) && v == 7);
    CHECK(hm_get_or(&m, 42, -1) == -1);
    hm_free(&m);
    CHECK(m.cap == 0 && hm_count(&m) == 0);
}

TEST(hmap_insert_get_overwrite) {
    hm_map m;
    hm_init(&m, 4);
    int added = -1;
    int64_t *p = hm_upsert(&m, 5, 50, &added);
    CHECK(added == 1 && *p == 50);
    p = hm_upsert(&m, 5, 99, &added); /* present: keeps its value */
    CHECK(added == 0 && *p == 50);
    *p = 51;
    CHECK(hm_get_or(&m, 5, -1) == 51);
    hm_put(&m, 5, 52); /* overwrites */
    CHECK(hm_get_or(&m, 5, -1) == 52);
    hm_put(&m, 6, -3);
    int64_t v = 0;
    CHECK(hm_get(&m, 6, &v) && v == -3);
    CHECK(hm_get(&m, 6, NULL));
    CHECK(!hm_get(&m, 7, NULL));
    CHECK(hm_count(&m) == 2);
    hm_free(&m);
}

TEST(hmap_extreme_keys) {
    hm_map m = {0};
    hm_put(&m, 0, 10);
    hm_put(&m, UINT64_MAX, INT64_MIN);
    hm_put(&m, UINT64_MAX - 1, INT64_MAX);
    CHECK(hm_count(&m) == 3);
    CHECK(hm_get_or(&m, 0, 0) == 10);
    CHECK(hm_get_or(&m, UINT64_MAX, 0) == INT64_MIN);
    CHECK(hm_get_or(&m, UINT64_MAX - 1, 0) == INT64_MAX);
    int added = -1;
    CHECK(*hm_upsert(&m, UINT64_MAX, 1, &added) == INT64_MIN && added == 0);
    hm_put(&m, UINT64_MAX, 3);
    CHECK(hm_get_or(&m, UINT64_MAX, 0) == 3 && hm_count(&m) == 3);
    hm_clear(&m);
    CHECK(hm_count(&m) == 0 && !hm_get(&m, UINT64_MAX, NULL) && !hm_get(&m, 0, NULL));
    hm_free(&m);
}

/* many keys through several doublings: packed pairs and consecutive integers */
TEST(hmap_growth_keeps_every_key) {
    hm_map m = {0};
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        hm_put(&m, (uint64_t)i << 32 | (uint32_t)(i * 7), i);
        hm_put(&m, (uint64_t)i, -i);
    }
    CHECK(hm_count(&m) == (size_t)(2 * n - 1)); /* key 0 is both 0 << 32 | 0 and 0 */
    CHECK(2 * m.n <= m.cap);
    int bad = 0;
    for (int i = 1; i < n; i++)
        bad += hm_get_or(&m, (uint64_t)i << 32 | (uint32_t)(i * 7), INT64_MIN) != i || hm_get_or(&m, (uint64_t)i, 1) != -i;
    CHECK(bad == 0);
    CHECK(hm_get_or(&m, 0, 1) == 0);
    CHECK(!hm_get(&m, (uint64_t)n, NULL) && !hm_get(&m, (uint64_t)1 << 32, NULL));
    hm_free(&m);
}

typedef struct {
    uint64_t key;
    int64_t val;
} hmt_entry;

/* the value of key in the reference list, 0 if absent */
static int hmt_find(const hmt_entry *r, int n, uint64_t key, int64_t *val) {
    for (int i = 0; i < n; i++)
        if (r[i].key == key) {
            *val = r[i].val;
            return 1;
        }
    return 0;
}

/* random keys from a small pool (repeats, overwrites) and the extremes, against a linear list;
   then the map is cleared and reused */
TEST(hmap_random_against_reference) {
    ut_rng rng;
    ut_rng_seed(&rng, 12345);
    enum { POOL = 3000, OPS = 6000 };
    uint64_t *pool = ut_malloc(POOL * sizeof *pool);
    for (int i = 0; i < POOL; i++) pool[i] = ut_rng_u64(&rng);
    pool[0] = 0;
    pool[1] = UINT64_MAX;
    pool[2] = UINT64_MAX - 1;
    hmt_entry *ref = ut_malloc(POOL * sizeof *ref);
    hm_map m = {0};
    for (int round = 0; round < 2; round++) {
        int nref = 0, bad = 0;
        for (int op = 0; op < OPS; op++) {
            uint64_t key = pool[ut_rng_u64(&rng) % POOL];
            int64_t val = (int64_t)ut_rng_u64(&rng), want = 0, got = 0;
            int had = hmt_find(ref, nref, key, &want), added = -1;
            if (op % 3 == 0) { /* get-or-insert */
                int64_t *p = hm_upsert(&m, key, val, &added);
                bad += added == had || *p != (had ? want : val);
            } else hm_put(&m, key, val);
            if (!had) ref[nref++] = (hmt_entry){key, val};
            else if (op % 3) {
                for (int i = 0; i < nref; i++)
                    if (ref[i].key == key) ref[i].val = val;
            }
            bad += hm_count(&m) != (size_t)nref;
            uint64_t probe = pool[ut_rng_u64(&rng) % POOL]; /* a random lookup, present or not */
            had = hmt_find(ref, nref, probe, &want);
            bad += hm_get(&m, probe, &got) != had || (had && got != want);
        }
        for (int i = 0; i < nref; i++) bad += hm_get_or(&m, ref[i].key, ~ref[i].val) != ref[i].val;
        CHECK_MSG(bad == 0, "round %d: %d mismatches", round, bad);
        CHECK(nref > POOL / 2);
        hm_clear(&m);
        CHECK(hm_count(&m) == 0);
        for (int i = 0; i < nref; i++) bad += hm_get(&m, ref[i].key, NULL);
        CHECK(bad == 0);
    }
    hm_free(&m);
    free(ref);
    free(pool);
}

/* ---- byte-string keys ---- */

TEST(hmap_strmap_keys_are_bytes) {
    hm_strmap m;
    hm_str_init(&m, 2);
    int added = -1;
    CHECK(hm_str_find(&m, "ab", 2) == NULL);
    CHECK(*hm_str_upsert(&m, "ab", 2, 1, &added) == 1 && added == 1);
    CHECK(*hm_str_upsert(&m, "ab", 2, 9, &added) == 1 && added == 0); /* present: kept */
    CHECK(*hm_str_upsert(&m, "abc", 2, 9, &added) == 1 && added == 0); /* only n bytes count */
    CHECK(*hm_str_upsert(&m, "a\0b", 3, 2, &added) == 2 && added == 1); /* a NUL inside */
    CHECK(*hm_str_upsert(&m, "", 0, 3, &added) == 3 && added == 1);     /* the empty key */
    CHECK(*hm_str_find(&m, "a\0b", 3) == 2 && *hm_str_find(&m, "", 0) == 3);
    CHECK(hm_str_find(&m, "a", 1) == NULL && hm_str_find(&m, "a\0c", 3) == NULL);
    CHECK(m.n == 3);
    hm_str_clear(&m);
    CHECK(m.n == 0 && hm_str_find(&m, "ab", 2) == NULL);
    CHECK(*hm_str_upsert(&m, "ab", 2, 4, &added) == 4 && added == 1);
    hm_str_free(&m);
    CHECK(m.n == 0 && hm_str_find(&m, "ab", 2) == NULL);
}

/* two keys whose hashes are equal stay two keys: the collision is made by pointing the hash of
 * "b" at the entry of "a" before "b" is inserted */
TEST(hmap_strmap_colliding_hashes_stay_distinct) {
    hm_strmap m;
    hm_str_init(&m, 4);
    hm_str_upsert(&m, "a", 1, 10, NULL);
    hm_put(&m.index, hm_hash_bytes("b", 1), 0);
    CHECK(hm_str_find(&m, "b", 1) == NULL);
    int added = 0;
    CHECK(*hm_str_upsert(&m, "b", 1, 20, &added) == 20 && added);
    CHECK(*hm_str_find(&m, "b", 1) == 20 && *hm_str_find(&m, "a", 1) == 10);
    CHECK(*hm_str_upsert(&m, "a", 1, 0, &added) == 10 && !added);
    CHECK(m.next[1] == 0); /* "b" chains to "a" under the shared hash */
    hm_str_free(&m);
}

/* random byte strings against a brute-force list, across growth */
TEST(hmap_strmap_random_against_reference) {
    enum { N = 3000 };
    static unsigned char keys[N][12];
    static int lens[N];
    hm_strmap m;
    hm_str_init(&m, 0);
    uint64_t r = 88172645463325252ull;
    int nref = 0;
    for (int it = 0; it < 2 * N; it++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        unsigned char k[12];
        int n = (int)(r % 5); /* short keys: many repeats */
        for (int j = 0; j < n; j++) k[j] = (unsigned char)"ab\0c"[(r >> (8 + 2 * j)) & 3];
        int found = -1;
        for (int i = 0; i < nref && found < 0; i++)
            if (lens[i] == n && !memcmp(keys[i], k, (size_t)n)) found = i;
        int added;
        int64_t v = *hm_str_upsert(&m, k, (size_t)n, nref, &added);
        CHECK(added == (found < 0));
        if (found < 0) {
            memcpy(keys[nref], k, (size_t)n);
            lens[nref++] = n;
        } else {
            CHECK(v == found);
        }
    }
    CHECK(m.n == nref);
    for (int i = 0; i < nref; i++) {
        const int64_t *v = hm_str_find(&m, keys[i], (size_t)lens[i]);
        CHECK(v && *v == i);
    }
    hm_str_free(&m);
}
