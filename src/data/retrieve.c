/* retrieve.c - BM25 text retrieval (see retrieve.h). */
#include "data/retrieve.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/hmap.h"
#include "base/util.h"

#define RT_K1 1.2
#define RT_B 0.75

typedef struct {
    int doc, count;
} rt_post;

typedef struct {
    rt_post *p;
    int n, cap;
} rt_list;

struct rt_index {
    hm_map terms;   /* term hash -> term id */
    rt_list *post;  /* (nterms) postings, documents ascending */
    int nterms, cap_terms;
    int *len;       /* (ndocs) terms per document */
    int ndocs, cap_docs;
    double avgdl;
};

/* the next term of s at *pos: its hash and length; 0 when the text is done */
static int rt_next_term(const char *s, size_t *pos, uint64_t *hash) {
    size_t i = *pos;
    while (s[i] && !isalnum((unsigned char)s[i])) i++;
    if (!s[i]) return *pos = i, 0;
    char buf[64];
    size_t n = 0, start = i;
    if (isdigit((unsigned char)s[i])) {
        int dot = 0;
        while (isdigit((unsigned char)s[i]) || (s[i] == '.' && !dot && isdigit((unsigned char)s[i + 1]) && (dot = 1)))
            i++;
    } else
        while (isalpha((unsigned char)s[i])) i++;
    for (size_t k = start; k < i && n < sizeof buf; k++) buf[n++] = (char)tolower((unsigned char)s[k]);
    *hash = hm_hash_bytes(buf, n) ^ (uint64_t)(i - start); /* long terms: prefix plus length */
    *pos = i;
    return 1;
}

rt_index *rt_new(void) {
    rt_index *x = ut_calloc(1, sizeof *x);
    hm_init(&x->terms, 1024);
    return x;
}

void rt_add(rt_index *x, const char *text) {
    if (x->ndocs == x->cap_docs) x->len = ut_realloc(x->len, (size_t)(x->cap_docs = 2 * x->cap_docs + 64) * sizeof(int));
    int doc = x->ndocs++, n = 0;
    size_t pos = 0;
    uint64_t h;
    while (rt_next_term(text, &pos, &h)) {
        n++;
        int added;
        int64_t *id = hm_upsert(&x->terms, h, x->nterms, &added);
        if (added) {
            if (x->nterms == x->cap_terms) {
                x->cap_terms = 2 * x->cap_terms + 256;
                x->post = ut_realloc(x->post, (size_t)x->cap_terms * sizeof *x->post);
            }
            memset(&x->post[x->nterms++], 0, sizeof *x->post);
        }
        rt_list *l = &x->post[*id];
        if (l->n && l->p[l->n - 1].doc == doc) {
            l->p[l->n - 1].count++;
            continue;
        }
        if (l->n == l->cap) l->p = ut_realloc(l->p, (size_t)(l->cap = 2 * l->cap + 4) * sizeof *l->p);
        l->p[l->n++] = (rt_post){doc, 1};
    }
    x->len[doc] = n;
}

void rt_finish(rt_index *x) {
    double total = 0;
    for (int d = 0; d < x->ndocs; d++) total += x->len[d];
    x->avgdl = x->ndocs ? total / x->ndocs : 1;
    if (x->avgdl <= 0) x->avgdl = 1;
}

int rt_query(const rt_index *x, const char *text, double *score) {
    double *acc = ut_calloc((size_t)x->ndocs + 1, sizeof(double));
    uint64_t seen[256];
    int nseen = 0;
    size_t pos = 0;
    uint64_t h;
    while (rt_next_term(text, &pos, &h)) {
        int dup = 0;
        for (int i = 0; i < nseen && !dup; i++) dup = seen[i] == h;
        if (dup) continue;
        if (nseen < 256) seen[nseen++] = h;
        int64_t id;
        if (!hm_get(&x->terms, h, &id)) continue;
        const rt_list *l = &x->post[id];
        double idf = log(1 + (x->ndocs - l->n + 0.5) / (l->n + 0.5));
        for (int k = 0; k < l->n; k++) {
            double f = l->p[k].count, dl = x->len[l->p[k].doc];
            acc[l->p[k].doc] += idf * f * (RT_K1 + 1) / (f + RT_K1 * (1 - RT_B + RT_B * dl / x->avgdl));
        }
    }
    int best = -1;
    for (int d = 0; d < x->ndocs; d++)
        if (acc[d] > 0 && (best < 0 || acc[d] > acc[best])) best = d;
    if (score) *score = best >= 0 ? acc[best] : 0;
    free(acc);
    return best;
}

int rt_count(const rt_index *x) { return x->ndocs; }

void rt_free(rt_index *x) {
    if (!x) return;
    for (int i = 0; i < x->nterms; i++) free(x->post[i].p);
    free(x->post);
    free(x->len);
    hm_free(&x->terms);
    free(x);
}
