/* tokenizer.c - byte-level BPE (see tokenizer.h for the rules). */
#include "ml/tokenizer.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/hmap.h"
#include "base/util.h"

const char *const tok_default_specials[] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>",
                                            "<think>",       "</think>",     "<image>"};
const int tok_default_nspecials = 6;

/* ------------------------------------------------------------------------------------------ */
/* byte-level alphabet (GPT-2): printable Latin-1 bytes stand for themselves, the other 68     */
/* bytes for code points 256, 257, ... in byte order                                          */
/* ------------------------------------------------------------------------------------------ */

/* The 68 other bytes are three runs: 0x00..0x20 -> 256..288, 0x7F..0xA0 -> 289..322 and
 * 0xAD -> 323. Both directions are computed from these runs: no table, nothing to initialise, safe
 * from any thread. */
enum { TOK_RUN1 = 256, TOK_RUN2 = TOK_RUN1 + 0x21, TOK_RUN3 = TOK_RUN2 + 0x22, TOK_ALPHABET_END = TOK_RUN3 + 1 };

static int tok_byte_kept(int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

int tok_byte_to_cp(int b) {
    if (b < 0 || b > 0xFF) return -1;
    if (tok_byte_kept(b)) return b;
    if (b <= 0x20) return TOK_RUN1 + b;
    if (b <= 0xA0) return TOK_RUN2 + (b - 0x7F);
    return TOK_RUN3; /* 0xAD */
}

int tok_cp_to_byte(int cp) {
    if (cp < 0 || cp >= TOK_ALPHABET_END) return -1;
    if (cp < TOK_RUN1) return tok_byte_kept(cp) ? cp : -1;
    if (cp < TOK_RUN2) return cp - TOK_RUN1;
    if (cp < TOK_RUN3) return 0x7F + (cp - TOK_RUN2);
    return 0xAD;
}

/* byte string -> byte-level UTF-8 string (malloc'd, NUL-terminated) */
static char *tok_bytes_to_bl(const uint8_t *s, int n) {
    char *out = ut_malloc((size_t)n * 2 + 1), *o = out;
    for (int i = 0; i < n; i++) {
        int cp = tok_byte_to_cp(s[i]);
        if (cp < 0x80) *o++ = (char)cp;
        else {
            *o++ = (char)(0xC0 | (cp >> 6));
            *o++ = (char)(0x80 | (cp & 0x3F));
        }
    }
    *o = 0;
    return out;
}

/* byte-level UTF-8 string -> bytes into out (room for strlen(s) bytes); length or -1 */
static int tok_bl_to_bytes(const char *s, uint8_t *out) {
    const uint8_t *p = (const uint8_t *)s;
    int n = 0;
    while (*p) {
        int cp;
        if (p[0] < 0x80) cp = *p++;
        else if ((p[0] & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
            cp = ((p[0] & 0x1F) << 6) | (p[1] & 0x3F);
            p += 2;
        } else return -1;
        int b = tok_cp_to_byte(cp);
        if (b < 0) return -1;
        out[n++] = (uint8_t)b;
    }
    return n;
}

/* ------------------------------------------------------------------------------------------ */
/* pre-tokenisation                                                                           */
/* ------------------------------------------------------------------------------------------ */

static inline int tok_is_letter(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80; }
static inline int tok_is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static inline int tok_is_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static inline int tok_is_nl(uint8_t c) { return c == '\n' || c == '\r'; }
static inline int tok_is_punct(uint8_t c) { return !tok_is_letter(c) && !tok_is_digit(c) && !tok_is_space(c); }

static size_t tok_contraction(const uint8_t *s, size_t n) {
    if (n < 2 || s[0] != '\'') return 0;
    int a = s[1] | 0x20, b = n > 2 ? (s[2] | 0x20) : 0;
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

size_t tok_pretoken(const uint8_t *s, size_t n) {
    size_t i, k;
    if ((k = tok_contraction(s, n))) return k; /* 1 */
    /* 2: [^\r\n L N]? L+ */
    i = (!tok_is_letter(s[0]) && !tok_is_digit(s[0]) && !tok_is_nl(s[0])) ? 1 : 0;
    if (i < n && tok_is_letter(s[i])) {
        while (i < n && tok_is_letter(s[i])) i++;
        return i;
    }
    if (tok_is_digit(s[0])) return 1; /* 3 */
    /* 4: ' '? [^\s L N]+ [\r\n]* */
    i = s[0] == ' ' ? 1 : 0;
    if (i < n && tok_is_punct(s[i])) {
        while (i < n && tok_is_punct(s[i])) i++;
        while (i < n && tok_is_nl(s[i])) i++;
        return i;
    }
    /* s[0] is a space byte now */
    size_t run = 0, last_nl = 0;
    while (run < n && tok_is_space(s[run])) {
        if (tok_is_nl(s[run])) last_nl = run + 1;
        run++;
    }
    if (last_nl) return last_nl;         /* 5: \s*[\r\n]+ */
    if (run == n) return run;            /* 6: \s+ at the end of the text */
    if (run > 1) return run - 1;         /* 6: leave the last space to the next piece */
    return 1;                            /* 7 */
}

/* ------------------------------------------------------------------------------------------ */
/* the tokenizer                                                                              */
/* ------------------------------------------------------------------------------------------ */

struct tok_tokenizer {
    int nvocab;        /* 1 + largest id */
    uint8_t **bytes;   /* [nvocab] token bytes (NULL for unused ids) */
    int *lens;         /* [nvocab] */
    uint8_t *special;  /* [nvocab] 1 for special tokens */
    int byte_id[256];
    int nmerges;
    int (*merges)[3];  /* [nmerges] a, b -> c */
    hm_map rank;       /* (a << 32 | b) -> merge rank */
    int nspecials;
    int *special_ids;  /* [nspecials] */
    uint8_t special_first[256]; /* 1 if some special starts with this byte */
    /* encode cache: piece bytes -> offset into cache_ids (ids prefixed by their count) */
    hm_strmap cache;   /* piece bytes -> offset of its ids in cache_ids */
    int *cache_ids, ncache_ids, cache_cap;
};

static tok_tokenizer *tok_alloc(int nvocab) {
    tok_tokenizer *t = ut_calloc(1, sizeof *t);
    t->nvocab = nvocab;
    t->bytes = ut_calloc((size_t)nvocab, sizeof *t->bytes);
    t->lens = ut_calloc((size_t)nvocab, sizeof *t->lens);
    t->special = ut_calloc((size_t)nvocab, 1);
    for (int b = 0; b < 256; b++) t->byte_id[b] = -1;
    hm_init(&t->rank, 16);
    hm_str_init(&t->cache, 1024);
    return t;
}

void tok_free(tok_tokenizer *t) {
    if (!t) return;
    for (int i = 0; i < t->nvocab; i++) free(t->bytes[i]);
    free(t->bytes);
    free(t->lens);
    free(t->special);
    free(t->merges);
    free(t->special_ids);
    hm_free(&t->rank);
    hm_str_free(&t->cache);
    free(t->cache_ids);
    free(t);
}

static void tok_set_token(tok_tokenizer *t, int id, const uint8_t *s, int n) {
    free(t->bytes[id]);
    t->bytes[id] = ut_malloc((size_t)n + 1);
    memcpy(t->bytes[id], s, (size_t)n);
    t->bytes[id][n] = 0;
    t->lens[id] = n;
}

static void tok_add_special(tok_tokenizer *t, int id) {
    t->special[id] = 1;
    t->special_ids = ut_realloc(t->special_ids, (size_t)(t->nspecials + 1) * sizeof *t->special_ids);
    t->special_ids[t->nspecials++] = id;
    if (t->lens[id] > 0) t->special_first[t->bytes[id][0]] = 1;
}

static void tok_add_merge(tok_tokenizer *t, int a, int b, int c) {
    t->merges = ut_realloc(t->merges, (size_t)(t->nmerges + 1) * sizeof *t->merges);
    t->merges[t->nmerges][0] = a;
    t->merges[t->nmerges][1] = b;
    t->merges[t->nmerges][2] = c;
    hm_put(&t->rank, (uint64_t)a << 32 | (uint32_t)b, t->nmerges);
    t->nmerges++;
}

int tok_add_special_token(tok_tokenizer *t, const char *content) {
    int n = (int)strlen(content), id = tok_special_id(t, content);
    if (id >= 0) return id;
    if (n < 1 || n > 256) return ut_fail("special token '%s': its length must be 1..256 bytes", content);
    id = t->nvocab++;
    t->bytes = ut_realloc(t->bytes, (size_t)t->nvocab * sizeof *t->bytes);
    t->lens = ut_realloc(t->lens, (size_t)t->nvocab * sizeof *t->lens);
    t->special = ut_realloc(t->special, (size_t)t->nvocab);
    t->bytes[id] = NULL;
    t->special[id] = 0;
    tok_set_token(t, id, (const uint8_t *)content, n);
    tok_add_special(t, id);
    return id;
}

int tok_vocab_size(const tok_tokenizer *t) { return t->nvocab; }
int tok_nmerges(const tok_tokenizer *t) { return t->nmerges; }
int tok_is_special(const tok_tokenizer *t, int id) { return id >= 0 && id < t->nvocab && t->special[id]; }

int tok_special_id(const tok_tokenizer *t, const char *content) {
    int n = (int)strlen(content);
    for (int i = 0; i < t->nspecials; i++) {
        int id = t->special_ids[i];
        if (t->lens[id] == n && memcmp(t->bytes[id], content, (size_t)n) == 0) return id;
    }
    return -1;
}

int tok_merge(const tok_tokenizer *t, int r, int *a, int *b, int *c) {
    if (r < 0 || r >= t->nmerges) return -1;
    *a = t->merges[r][0];
    *b = t->merges[r][1];
    *c = t->merges[r][2];
    return 0;
}

const char *tok_token_bytes(const tok_tokenizer *t, int id, int *len) {
    if (id < 0 || id >= t->nvocab || !t->bytes[id]) return NULL;
    *len = t->lens[id];
    return (const char *)t->bytes[id];
}

/* ------------------------------------------------------------------------------------------ */
/* encoding                                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct {
    int rank, pos;
} tok_cand;

static int tok_cand_less(tok_cand x, tok_cand y) { return x.rank < y.rank || (x.rank == y.rank && x.pos < y.pos); }

static void tok_heap_push(tok_cand *h, int *n, tok_cand c) {
    int i = (*n)++;
    while (i > 0 && tok_cand_less(c, h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = c;
}

static tok_cand tok_heap_pop(tok_cand *h, int *n) {
    tok_cand top = h[0], last = h[--(*n)];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        tok_cand best = last;
        if (l < *n && tok_cand_less(h[l], best)) m = l, best = h[l];
        if (r < *n && tok_cand_less(h[r], best)) m = r;
        if (m == i) break;
        h[i] = h[m];
        i = m;
    }
    if (*n > 0) h[i] = last;
    return top;
}

static int tok_rank_of(const tok_tokenizer *t, int a, int b) {
    return (int)hm_get_or(&t->rank, (uint64_t)a << 32 | (uint32_t)b, -1);
}

/* BPE of one piece p[0..n) (n >= 1) appended to *out; symbols as a linked list, candidate merges
 * in a min-heap keyed by (rank, position); stale candidates are skipped when popped */
static void tok_bpe_piece(const tok_tokenizer *t, const uint8_t *p, int n, int **out, int *nout, int *cap) {
    int *id = ut_malloc((size_t)n * 3 * sizeof *id), *nx = id + n, *pv = id + 2 * n;
    tok_cand *heap = ut_malloc((size_t)(2 * n + 1) * sizeof *heap);
    int nh = 0;
    for (int i = 0; i < n; i++) {
        id[i] = t->byte_id[p[i]];
        nx[i] = i + 1 < n ? i + 1 : -1;
        pv[i] = i - 1;
    }
    for (int i = 0; i + 1 < n; i++) {
        int r = tok_rank_of(t, id[i], id[i + 1]);
        if (r >= 0) tok_heap_push(heap, &nh, (tok_cand){r, i});
    }
    while (nh > 0) {
        tok_cand c = tok_heap_pop(heap, &nh);
        int i = c.pos, j = nx[i];
        if (id[i] < 0 || j < 0 || tok_rank_of(t, id[i], id[j]) != c.rank) continue; /* stale */
        id[i] = t->merges[c.rank][2];
        id[j] = -1; /* removed */
        nx[i] = nx[j];
        if (nx[i] >= 0) pv[nx[i]] = i;
        int r;
        if (pv[i] >= 0 && (r = tok_rank_of(t, id[pv[i]], id[i])) >= 0) tok_heap_push(heap, &nh, (tok_cand){r, pv[i]});
        if (nx[i] >= 0 && (r = tok_rank_of(t, id[i], id[nx[i]])) >= 0) tok_heap_push(heap, &nh, (tok_cand){r, i});
    }
    for (int i = 0; i >= 0; i = nx[i]) *UT_PUSH(*out, *nout, *cap) = id[i];
    free(id);
    free(heap);
}

enum { TOK_CACHE_MAX_PIECE = 256, TOK_CACHE_MAX_ENTRIES = 1 << 16 };

static void tok_encode_piece(tok_tokenizer *t, const uint8_t *p, int n, int **out, int *nout, int *cap) {
    if (n == 1) {
        *UT_PUSH(*out, *nout, *cap) = t->byte_id[p[0]];
        return;
    }
    if (n > TOK_CACHE_MAX_PIECE) {
        tok_bpe_piece(t, p, n, out, nout, cap);
        return;
    }
    const int64_t *hit = hm_str_find(&t->cache, p, (size_t)n);
    if (hit) {
        int off = (int)*hit, k = t->cache_ids[off];
        for (int i = 0; i < k; i++) *UT_PUSH(*out, *nout, *cap) = t->cache_ids[off + 1 + i];
        return;
    }
    int start = *nout;
    tok_bpe_piece(t, p, n, out, nout, cap);
    if (t->cache.n >= TOK_CACHE_MAX_ENTRIES) { /* full: start over */
        hm_str_free(&t->cache);
        hm_str_init(&t->cache, 1024);
        t->ncache_ids = 0;
    }
    int k = *nout - start;
    *hm_str_upsert(&t->cache, p, (size_t)n, t->ncache_ids, NULL) = t->ncache_ids;
    *UT_PUSH(t->cache_ids, t->ncache_ids, t->cache_cap) = k;
    for (int i = 0; i < k; i++) *UT_PUSH(t->cache_ids, t->ncache_ids, t->cache_cap) = (*out)[start + i];
}

static void tok_encode_ordinary(tok_tokenizer *t, const uint8_t *s, size_t n, int **out, int *nout, int *cap) {
    size_t i = 0;
    while (i < n) {
        size_t k = tok_pretoken(s + i, n - i);
        if (k > INT_MAX / 4) k = INT_MAX / 4; /* absurdly long run: encode in chunks */
        tok_encode_piece(t, s + i, (int)k, out, nout, cap);
        i += k;
    }
}

/* id of the longest special token that starts at s[0..n), or -1 */
static int tok_match_special(const tok_tokenizer *t, const uint8_t *s, size_t n) {
    int best = -1, blen = 0;
    for (int i = 0; i < t->nspecials; i++) {
        int id = t->special_ids[i], l = t->lens[id];
        if (l > blen && (size_t)l <= n && memcmp(s, t->bytes[id], (size_t)l) == 0) best = id, blen = l;
    }
    return best;
}

int *tok_encode(tok_tokenizer *t, const char *text, size_t len, int flags, int *nout) {
    const uint8_t *s = (const uint8_t *)text;
    int *out = NULL, n = 0, cap = 0;
    ut_grow((void **)&out, &cap, (int)(len < 1u << 20 ? len / 3 + 16 : 1 << 18), sizeof *out);
    size_t i = 0, seg = 0;
    if (flags & TOK_SPECIAL) {
        while (i < len) {
            int id = t->special_first[s[i]] ? tok_match_special(t, s + i, len - i) : -1;
            if (id < 0) {
                i++;
                continue;
            }
            tok_encode_ordinary(t, s + seg, i - seg, &out, &n, &cap);
            *UT_PUSH(out, n, cap) = id;
            i += (size_t)t->lens[id];
            seg = i;
        }
    }
    tok_encode_ordinary(t, s + seg, len - seg, &out, &n, &cap);
    *nout = n;
    return out;
}

char *tok_decode(const tok_tokenizer *t, const int *ids, int n, int flags, size_t *len) {
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= t->nvocab || !t->bytes[ids[i]]) {
            ut_fail("token id %d is not in the vocabulary (size %d)", ids[i], t->nvocab);
            return NULL;
        }
        if (!((flags & TOK_SKIP_SPECIAL) && t->special[ids[i]])) total += (size_t)t->lens[ids[i]];
    }
    char *out = ut_malloc(total + 1), *o = out;
    for (int i = 0; i < n; i++) {
        if ((flags & TOK_SKIP_SPECIAL) && t->special[ids[i]]) continue;
        memcpy(o, t->bytes[ids[i]], (size_t)t->lens[ids[i]]);
        o += t->lens[ids[i]];
    }
    *o = 0;
    if (len) *len = total;
    return out;
}

/* ------------------------------------------------------------------------------------------ */
/* training                                                                                   */
/* ------------------------------------------------------------------------------------------ */

struct tok_trainer {
    hm_strmap words; /* piece bytes -> index into counts */
    int64_t *counts;
    int nwords, cap;
};

tok_trainer *tok_trainer_new(void) {
    tok_trainer *tr = ut_calloc(1, sizeof *tr);
    hm_str_init(&tr->words, 4096);
    return tr;
}

void tok_trainer_free(tok_trainer *tr) {
    if (!tr) return;
    hm_str_free(&tr->words);
    free(tr->counts);
    free(tr);
}

void tok_trainer_add(tok_trainer *tr, const char *text, size_t len) {
    const uint8_t *s = (const uint8_t *)text;
    size_t i = 0;
    while (i < len) {
        size_t k = tok_pretoken(s + i, len - i);
        if (k > 4096) k = 4096; /* very long runs are learned from their first bytes only */
        int added;
        int64_t *w = hm_str_upsert(&tr->words, s + i, k, tr->nwords, &added);
        if (added) *UT_PUSH(tr->counts, tr->nwords, tr->cap) = 0;
        tr->counts[*w]++;
        i += k;
    }
}

typedef struct {
    int a, b;
    int64_t count;
    int *words, nw, cw; /* words that (may) contain the pair; duplicates and stale entries allowed */
} tok_pair;

typedef struct {
    int64_t count;
    int a, b, p;
} tok_hent;

static int tok_hent_better(const tok_hent *x, const tok_hent *y) {
    if (x->count != y->count) return x->count > y->count;
    if (x->a != y->a) return x->a < y->a;
    return x->b < y->b;
}

typedef struct {
    tok_hent *h;
    int n, cap;
} tok_maxheap;

static void tok_maxheap_push(tok_maxheap *q, tok_hent e) {
    ut_grow((void **)&q->h, &q->cap, q->n + 1, sizeof *q->h);
    int i = q->n++;
    while (i > 0 && tok_hent_better(&e, &q->h[(i - 1) / 2])) {
        q->h[i] = q->h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->h[i] = e;
}

static tok_hent tok_maxheap_pop(tok_maxheap *q) {
    tok_hent top = q->h[0], last = q->h[--q->n];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        const tok_hent *best = &last;
        if (l < q->n && tok_hent_better(&q->h[l], best)) m = l, best = &q->h[l];
        if (r < q->n && tok_hent_better(&q->h[r], best)) m = r;
        if (m == i) break;
        q->h[i] = q->h[m];
        i = m;
    }
    if (q->n > 0) q->h[i] = last;
    return top;
}

typedef struct {
    int nwords;
    int **sym;        /* [nwords] symbol ids of each word */
    int *len;         /* [nwords] current number of symbols */
    int64_t *count;   /* [nwords] occurrences in the corpus */
    int *stamp;       /* [nwords] last merge step that rewrote the word */
    hm_map index;     /* pair key -> index into pairs */
    tok_pair *pairs;
    int npairs, cpairs;
    int *fresh, nfresh, cfresh; /* pairs created during the current merge step */
} tok_bpe_state;

static int tok_pair_index(tok_bpe_state *st, int a, int b, int create) {
    uint64_t key = (uint64_t)a << 32 | (uint32_t)b;
    int p = (int)hm_get_or(&st->index, key, -1);
    if (p >= 0 || !create) return p;
    tok_pair *np = UT_PUSH(st->pairs, st->npairs, st->cpairs);
    memset(np, 0, sizeof *np);
    np->a = a;
    np->b = b;
    p = st->npairs - 1;
    hm_put(&st->index, key, p);
    return p;
}

/* add delta * count of word w to every adjacent pair of w; new pairs remember w */
static void tok_word_pairs(tok_bpe_state *st, int w, int sign, int new_id) {
    int *s = st->sym[w];
    for (int i = 0; i + 1 < st->len[w]; i++) {
        int p = tok_pair_index(st, s[i], s[i + 1], 1);
        tok_pair *pp = &st->pairs[p];
        if (sign > 0 && pp->count == 0 && (s[i] == new_id || s[i + 1] == new_id))
            *UT_PUSH(st->fresh, st->nfresh, st->cfresh) = p;
        pp->count += sign * st->count[w];
        if (sign > 0 && (s[i] == new_id || s[i + 1] == new_id) && (pp->nw == 0 || pp->words[pp->nw - 1] != w))
            *UT_PUSH(pp->words, pp->nw, pp->cw) = w;
    }
}

static void tok_merge_word(tok_bpe_state *st, int w, int a, int b, int c) {
    int *s = st->sym[w], n = st->len[w], k = 0;
    for (int i = 0; i < n; i++) {
        if (i + 1 < n && s[i] == a && s[i + 1] == b) {
            s[k++] = c;
            i++;
        } else s[k++] = s[i];
    }
    st->len[w] = k;
}

static void tok_bpe_state_init(tok_bpe_state *st, tok_trainer *tr) {
    memset(st, 0, sizeof *st);
    st->nwords = tr->nwords;
    st->sym = ut_calloc((size_t)tr->nwords + 1, sizeof *st->sym);
    st->len = ut_calloc((size_t)tr->nwords + 1, sizeof *st->len);
    st->count = ut_calloc((size_t)tr->nwords + 1, sizeof *st->count);
    st->stamp = ut_calloc((size_t)tr->nwords + 1, sizeof *st->stamp);
    for (int i = 0; i < tr->words.n; i++) {
        int w = (int)tr->words.val[i], n = tr->words.len[i];
        const uint8_t *key = (const uint8_t *)tr->words.arena + tr->words.off[i];
        st->sym[w] = ut_malloc((size_t)n * sizeof(int));
        for (int j = 0; j < n; j++) st->sym[w][j] = key[j];
        st->len[w] = n;
        st->count[w] = tr->counts[w];
        st->stamp[w] = -1;
    }
    hm_init(&st->index, 4096);
    for (int w = 0; w < st->nwords; w++) tok_word_pairs(st, w, 1, -2);
    /* initial pairs: every pair lists its words once per adjacent occurrence run; add lists */
    for (int w = 0; w < st->nwords; w++) {
        int *s = st->sym[w];
        for (int i = 0; i + 1 < st->len[w]; i++) {
            tok_pair *pp = &st->pairs[tok_pair_index(st, s[i], s[i + 1], 0)];
            if (pp->nw == 0 || pp->words[pp->nw - 1] != w) *UT_PUSH(pp->words, pp->nw, pp->cw) = w;
        }
    }
    st->nfresh = 0;
}

static void tok_bpe_state_free(tok_bpe_state *st) {
    for (int w = 0; w < st->nwords; w++) free(st->sym[w]);
    free(st->sym);
    free(st->len);
    free(st->count);
    free(st->stamp);
    for (int p = 0; p < st->npairs; p++) free(st->pairs[p].words);
    free(st->pairs);
    free(st->fresh);
    hm_free(&st->index);
}

tok_tokenizer *tok_trainer_finish(tok_trainer *tr, const tok_train_opts *o) {
    const char *const *specials = o->specials ? o->specials : tok_default_specials;
    int nspecials = o->specials ? o->nspecials : tok_default_nspecials;
    int minf = o->min_frequency > 0 ? o->min_frequency : 2;
    for (int i = 0; i < nspecials; i++) {
        if (!specials[i] || !specials[i][0]) {
            ut_fail("special token %d is empty", i);
            return NULL;
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(specials[i], specials[j])) {
                ut_fail("special token '%s' is given twice", specials[i]);
                return NULL;
            }
    }
    int target_merges = o->vocab_size - 256 - nspecials;
    if (target_merges < 0) {
        ut_fail("vocabulary size %d is smaller than 256 bytes + %d special tokens", o->vocab_size, nspecials);
        return NULL;
    }
    tok_bpe_state st;
    tok_bpe_state_init(&st, tr);
    tok_maxheap q = {0};
    for (int p = 0; p < st.npairs; p++)
        if (st.pairs[p].count > 0) tok_maxheap_push(&q, (tok_hent){st.pairs[p].count, st.pairs[p].a, st.pairs[p].b, p});

    /* merged tokens: their bytes, built as merges are learned */
    tok_tokenizer *t = tok_alloc(256 + target_merges + nspecials);
    for (int b = 0; b < 256; b++) {
        uint8_t c = (uint8_t)b;
        tok_set_token(t, b, &c, 1);
        t->byte_id[b] = b;
    }
    ut_progress pg;
    ut_progress_start(&pg, "bpe merges", target_merges);
    if (o->quiet) pg.quiet = 1;
    int nm = 0;
    while (nm < target_merges && q.n > 0) {
        tok_hent e = tok_maxheap_pop(&q);
        tok_pair *pp = &st.pairs[e.p];
        if (pp->count != e.count) { /* stale entry: counts only fall, so re-queue at the current value */
            if (pp->count > 0) tok_maxheap_push(&q, (tok_hent){pp->count, pp->a, pp->b, e.p});
            continue;
        }
        if (e.count < minf) break;
        int a = pp->a, b = pp->b, c = 256 + nm;
        uint8_t *buf = ut_malloc((size_t)t->lens[a] + (size_t)t->lens[b]);
        memcpy(buf, t->bytes[a], (size_t)t->lens[a]);
        memcpy(buf + t->lens[a], t->bytes[b], (size_t)t->lens[b]);
        tok_set_token(t, c, buf, t->lens[a] + t->lens[b]);
        free(buf);
        tok_add_merge(t, a, b, c);
        int *words = pp->words, nw = pp->nw;
        pp->words = NULL;
        pp->nw = pp->cw = 0;
        st.nfresh = 0;
        for (int k = 0; k < nw; k++) {
            int w = words[k];
            if (st.stamp[w] == nm) continue;
            st.stamp[w] = nm;
            tok_word_pairs(&st, w, -1, c);
            tok_merge_word(&st, w, a, b, c);
            tok_word_pairs(&st, w, 1, c);
        }
        free(words);
        st.pairs[e.p].count = 0;
        for (int k = 0; k < st.nfresh; k++) {
            tok_pair *fp = &st.pairs[st.fresh[k]];
            if (fp->count > 0) tok_maxheap_push(&q, (tok_hent){fp->count, fp->a, fp->b, st.fresh[k]});
        }
        nm++;
        ut_progress_update(&pg, nm);
    }
    ut_progress_finish(&pg);
    free(q.h);
    tok_bpe_state_free(&st);
    /* specials right after the learned merges (fewer merges than asked: the vocabulary shrinks) */
    t->nvocab = 256 + nm + nspecials;
    for (int i = 0; i < nspecials; i++) {
        tok_set_token(t, 256 + nm + i, (const uint8_t *)specials[i], (int)strlen(specials[i]));
        tok_add_special(t, 256 + nm + i);
    }
    return t;
}

tok_tokenizer *tok_train(const char *const *texts, const size_t *lens, int n, const tok_train_opts *o) {
    tok_trainer *tr = tok_trainer_new();
    for (int i = 0; i < n; i++) tok_trainer_add(tr, texts[i], lens ? lens[i] : strlen(texts[i]));
    tok_tokenizer *t = tok_trainer_finish(tr, o);
    tok_trainer_free(tr);
    return t;
}

/* ------------------------------------------------------------------------------------------ */
/* tokenizer.json                                                                             */
/* ------------------------------------------------------------------------------------------ */

static const char tok_qwen2_regex[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";

static cJSON *tok_bytelevel(void) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "ByteLevel");
    cJSON_AddBoolToObject(o, "add_prefix_space", 0);
    cJSON_AddBoolToObject(o, "trim_offsets", 0);
    cJSON_AddBoolToObject(o, "use_regex", 0);
    return o;
}

char *tok_to_json(const tok_tokenizer *t) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "version", "1.0");
    cJSON_AddNullToObject(root, "truncation");
    cJSON_AddNullToObject(root, "padding");
    cJSON *added = cJSON_AddArrayToObject(root, "added_tokens");
    for (int i = 0; i < t->nspecials; i++) {
        int id = t->special_ids[i];
        cJSON *a = cJSON_CreateObject();
        cJSON_AddNumberToObject(a, "id", id);
        char *content = ut_malloc((size_t)t->lens[id] + 1);
        memcpy(content, t->bytes[id], (size_t)t->lens[id] + 1);
        cJSON_AddStringToObject(a, "content", content);
        free(content);
        cJSON_AddBoolToObject(a, "single_word", 0);
        cJSON_AddBoolToObject(a, "lstrip", 0);
        cJSON_AddBoolToObject(a, "rstrip", 0);
        cJSON_AddBoolToObject(a, "normalized", 0);
        cJSON_AddBoolToObject(a, "special", 1);
        cJSON_AddItemToArray(added, a);
    }
    cJSON_AddNullToObject(root, "normalizer");
    cJSON *pre = cJSON_AddObjectToObject(root, "pre_tokenizer");
    cJSON_AddStringToObject(pre, "type", "Sequence");
    cJSON *seq = cJSON_AddArrayToObject(pre, "pretokenizers");
    cJSON *split = cJSON_CreateObject();
    cJSON_AddStringToObject(split, "type", "Split");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(split, "pattern"), "Regex", tok_qwen2_regex);
    cJSON_AddStringToObject(split, "behavior", "Isolated");
    cJSON_AddBoolToObject(split, "invert", 0);
    cJSON_AddItemToArray(seq, split);
    cJSON_AddItemToArray(seq, tok_bytelevel());
    cJSON_AddItemToObject(root, "post_processor", tok_bytelevel());
    cJSON_AddItemToObject(root, "decoder", tok_bytelevel());
    cJSON *model = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(model, "type", "BPE");
    cJSON_AddNullToObject(model, "dropout");
    cJSON_AddNullToObject(model, "unk_token");
    cJSON_AddNullToObject(model, "continuing_subword_prefix");
    cJSON_AddNullToObject(model, "end_of_word_suffix");
    cJSON_AddBoolToObject(model, "fuse_unk", 0);
    cJSON_AddBoolToObject(model, "byte_fallback", 0);
    cJSON_AddBoolToObject(model, "ignore_merges", 0);
    cJSON *vocab = cJSON_AddObjectToObject(model, "vocab");
    for (int id = 0; id < t->nvocab; id++) {
        if (!t->bytes[id] || t->special[id]) continue;
        char *s = tok_bytes_to_bl(t->bytes[id], t->lens[id]);
        cJSON_AddNumberToObject(vocab, s, id);
        free(s);
    }
    cJSON *merges = cJSON_AddArrayToObject(model, "merges");
    for (int r = 0; r < t->nmerges; r++) {
        char *a = tok_bytes_to_bl(t->bytes[t->merges[r][0]], t->lens[t->merges[r][0]]);
        char *b = tok_bytes_to_bl(t->bytes[t->merges[r][1]], t->lens[t->merges[r][1]]);
        char *ab = ut_malloc(strlen(a) + strlen(b) + 2);
        sprintf(ab, "%s %s", a, b);
        cJSON_AddItemToArray(merges, cJSON_CreateString(ab));
        free(a);
        free(b);
        free(ab);
    }
    char *out = cJSON_Print(root);
    cJSON_Delete(root);
    return out;
}

int tok_save(const tok_tokenizer *t, const char *path) {
    char *s = tok_to_json(t);
    if (!s) return ut_fail("%s: cannot format the tokenizer as JSON", path);
    int rc = ut_write_atomic(path, s, strlen(s));
    free(s);
    return rc;
}

static int tok_is_int(const cJSON *x, double lo, double hi) {
    return cJSON_IsNumber(x) && x->valuedouble == (double)(long long)x->valuedouble && x->valuedouble >= lo &&
           x->valuedouble <= hi;
}

enum { TOK_MAX_ID = 1 << 24 };

/* id of byte-level string s in the vocabulary map (bytes -> id), -1 if absent */
static int tok_lookup_bl(const hm_strmap *vm, const char *s, uint8_t *buf) {
    int n = tok_bl_to_bytes(s, buf);
    if (n <= 0) return -1;
    const int64_t *v = hm_str_find(vm, buf, (size_t)n);
    return v ? (int)*v : -1;
}

/* cleanup after a load error; the reason was set by the ut_fail() whose result is passed in */
static tok_tokenizer *tok_bad(tok_tokenizer *t, hm_strmap *vm, cJSON *root, uint8_t *buf, int failed) {
    (void)failed;
    tok_free(t);
    if (vm) hm_str_free(vm);
    cJSON_Delete(root);
    free(buf);
    return NULL;
}

tok_tokenizer *tok_from_json(const char *json, size_t len) {
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        int off = at && at >= json && at <= json + len ? (int)(at - json) : -1;
        return tok_bad(NULL, NULL, NULL, NULL, ut_fail("malformed JSON (near byte %d)", off));
    }
    cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!cJSON_IsObject(model)) return tok_bad(NULL, NULL, root, NULL, ut_fail("no \"model\" object"));
    cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
    if (type && (!cJSON_IsString(type) || strcmp(type->valuestring, "BPE")))
        return tok_bad(NULL, NULL, root, NULL, ut_fail("model.type is %s, only \"BPE\" is supported", cJSON_IsString(type) ? type->valuestring : "not a string"));
    const char *unsup[] = {"continuing_subword_prefix", "end_of_word_suffix"};
    for (int i = 0; i < 2; i++) {
        cJSON *x = cJSON_GetObjectItemCaseSensitive(model, unsup[i]);
        if (x && !cJSON_IsNull(x) && !(cJSON_IsString(x) && !x->valuestring[0]))
            return tok_bad(NULL, NULL, root, NULL,
                           ut_fail("model.%s is set; only byte-level BPE without it is supported", unsup[i]));
    }
    cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    cJSON *merges = cJSON_GetObjectItemCaseSensitive(model, "merges");
    cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    if (!cJSON_IsObject(vocab)) return tok_bad(NULL, NULL, root, NULL, ut_fail("model.vocab is missing or not an object"));
    if (!cJSON_IsArray(merges)) return tok_bad(NULL, NULL, root, NULL, ut_fail("model.merges is missing or not an array"));
    if (added && !cJSON_IsArray(added)) return tok_bad(NULL, NULL, root, NULL, ut_fail("added_tokens is not an array"));

    /* the largest id fixes the table size */
    int maxid = -1;
    for (cJSON *e = vocab->child; e; e = e->next) {
        if (!tok_is_int(e, 0, TOK_MAX_ID)) return tok_bad(NULL, NULL, root, NULL, ut_fail("vocab entry '%s' has no valid id (integer 0..%d)", e->string, TOK_MAX_ID));
        if ((int)e->valuedouble > maxid) maxid = (int)e->valuedouble;
    }
    for (cJSON *a = added ? added->child : NULL; a; a = a->next) {
        cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "id");
        cJSON *content = cJSON_GetObjectItemCaseSensitive(a, "content");
        if (!tok_is_int(id, 0, TOK_MAX_ID) || !cJSON_IsString(content) || !content->valuestring[0])
            return tok_bad(NULL, NULL, root, NULL, ut_fail("an added_tokens entry lacks an integer id or a non-empty content"));
        if ((int)id->valuedouble > maxid) maxid = (int)id->valuedouble;
    }
    if (maxid < 0) return tok_bad(NULL, NULL, root, NULL, ut_fail("model.vocab is empty"));

    tok_tokenizer *t = tok_alloc(maxid + 1);
    hm_strmap vm;
    hm_str_init(&vm, (size_t)maxid + 1);
    size_t bufcap = 64;
    uint8_t *buf = ut_malloc(bufcap);
    for (cJSON *e = vocab->child; e; e = e->next) {
        size_t need = strlen(e->string) + 1;
        if (need > bufcap) buf = ut_realloc(buf, bufcap = need * 2);
        int n = tok_bl_to_bytes(e->string, buf), id = (int)e->valuedouble;
        if (n <= 0) {
            return tok_bad(t, &vm, root, buf, ut_fail("vocab token '%s' is not a byte-level string (GPT-2 alphabet)", e->string));
        }
        if (t->bytes[id]) {
            return tok_bad(t, &vm, root, buf, ut_fail("vocab token '%s': id %d is used twice", e->string, id));
        }
        int dup;
        hm_str_upsert(&vm, buf, (size_t)n, id, &dup);
        if (!dup) {
            return tok_bad(t, &vm, root, buf, ut_fail("vocab token '%s' appears twice", e->string));
        }
        tok_set_token(t, id, buf, n);
        if (n == 1) t->byte_id[buf[0]] = id;
    }
    for (int b = 0; b < 256; b++)
        if (t->byte_id[b] < 0) {
            return tok_bad(t, &vm, root, buf, ut_fail("vocab lacks the token of byte 0x%02x (not a byte-level BPE)", b));
        }
    for (cJSON *a = added ? added->child : NULL; a; a = a->next) {
        int id = (int)cJSON_GetObjectItemCaseSensitive(a, "id")->valuedouble;
        const char *content = cJSON_GetObjectItemCaseSensitive(a, "content")->valuestring;
        int n = (int)strlen(content);
        if (t->bytes[id] && !(t->lens[id] == n && !memcmp(t->bytes[id], content, (size_t)n))) {
            return tok_bad(t, &vm, root, buf, ut_fail("added token '%s' reuses id %d of another token", content, id));
        }
        if (t->special[id]) continue;
        tok_set_token(t, id, (const uint8_t *)content, n);
        tok_add_special(t, id);
    }
    int r = 0;
    for (cJSON *m = merges->child; m; m = m->next, r++) {
        char *sa = NULL, *sb = NULL, *tmp = NULL;
        if (cJSON_IsString(m)) {
            char *sp = strchr(m->valuestring, ' ');
            if (sp && !strchr(sp + 1, ' ')) {
                tmp = ut_strdup(m->valuestring);
                tmp[sp - m->valuestring] = 0;
                sa = tmp;
                sb = tmp + (sp - m->valuestring) + 1;
            }
        } else if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(m->child) &&
                   cJSON_IsString(m->child->next)) {
            sa = m->child->valuestring;
            sb = m->child->next->valuestring;
        }
        if (!sa) {
            free(tmp);
            return tok_bad(t, &vm, root, buf, ut_fail("merge #%d is neither \"a b\" nor [\"a\", \"b\"]", r));
        }
        size_t need = strlen(sa) + strlen(sb) + 2;
        if (need > bufcap) buf = ut_realloc(buf, bufcap = need * 2);
        int ia = tok_lookup_bl(&vm, sa, buf), ib = tok_lookup_bl(&vm, sb, buf);
        char *cat = ut_malloc(need);
        sprintf(cat, "%s%s", sa, sb);
        int ic = tok_lookup_bl(&vm, cat, buf);
        free(cat);
        free(tmp);
        if (ia < 0 || ib < 0 || ic < 0) {
            return tok_bad(t, &vm, root, buf, ut_fail("merge #%d names a token (or a result) that is not in the vocabulary", r));
        }
        if (tok_rank_of(t, ia, ib) >= 0) continue; /* a repeated merge keeps its first rank */
        tok_add_merge(t, ia, ib, ic);
    }
    free(buf);
    hm_str_free(&vm);
    cJSON_Delete(root);
    return t;
}

tok_tokenizer *tok_load(const char *path) {
    size_t n;
    char *s = ut_read_file(path, &n);
    if (!s) return NULL;
    tok_tokenizer *t = tok_from_json(s, n);
    free(s);
    if (!t) ut_fail("%s: %s", path, ut_error());
    return t;
}
