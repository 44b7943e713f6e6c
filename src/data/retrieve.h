/* retrieve.h - text retrieval with BM25, prefix rt_: the baseline that answers a prompt with the
 * program of the most similar training prompt.
 *
 *   rt_index *x = rt_new();
 *   rt_add(x, "plate 60 x 40 with four holes");   document 0, 1, ... in the order added
 *   rt_finish(x);                                  builds the statistics; no rt_add after it
 *   int best = rt_query(x, "a 60 by 40 plate", &score);   -1 when nothing matches
 *   rt_free(x);
 *
 * Terms: maximal runs of ASCII letters (lower-cased) and of digits with at most one decimal
 * point ("6.6" is one term, so a dimension matches only the same dimension); every other byte
 * separates. Score of document d for query q: sum over the distinct terms t of q of
 *   idf(t) * f(t,d) * (k1 + 1) / (f(t,d) + k1 * (1 - b + b * |d| / avgdl)),
 *   idf(t) = ln(1 + (N - n(t) + 0.5) / (n(t) + 0.5)),   k1 = 1.2, b = 0.75,
 * f(t,d) the count of t in d, |d| its term count, n(t) the documents containing t. Ties go to the
 * lowest document index. Cost: a query touches only the postings of its terms.
 *
 * Errors: none (allocation failure aborts, as everywhere). Thread safety: after rt_finish, any
 * number of threads may query at once.
 */
#ifndef RECAD_RETRIEVE_H
#define RECAD_RETRIEVE_H

typedef struct rt_index rt_index;

rt_index *rt_new(void);
void rt_add(rt_index *x, const char *text);
void rt_finish(rt_index *x);
int rt_query(const rt_index *x, const char *text, double *score); /* score may be NULL */
int rt_count(const rt_index *x);
void rt_free(rt_index *x);

#endif
