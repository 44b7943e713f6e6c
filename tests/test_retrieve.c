/* test_retrieve.c - BM25 retrieval (data/retrieve.h) */
#include <math.h>

#include "data/retrieve.h"
#include "tf.h"

TEST(retrieve_bm25_scores_match_the_formula_and_numbers_are_terms) {
    rt_index *x = rt_new();
    rt_add(x, "plate 60 x 40 with 4 holes dia 6.6");   /* 0 */
    rt_add(x, "Washer, outer 20, inner 10.5, 2 thick"); /* 1 */
    rt_add(x, "plate 80 x 40");                          /* 2 */
    rt_finish(x);
    CHECK(rt_count(x) == 3);
    double s;
    CHECK(rt_query(x, "a WASHER please", &s) == 1);
    /* by hand: "washer" is in 1 of 3 documents; f = 1, |d1| = 7 terms, avgdl = (9 + 7 + 4) / 3 */
    double idf = log(1 + (3 - 1 + 0.5) / (1 + 0.5));
    double expect = idf * 1 * 2.2 / (1 + 1.2 * (1 - 0.75 + 0.75 * 7.0 / (20.0 / 3)));
    CHECK_NEAR(s, expect, 1e-12);
    CHECK(rt_query(x, "plate 60 by 40", NULL) == 0);  /* the dimension decides between the plates */
    CHECK(rt_query(x, "plate 80 by 40", NULL) == 2);
    CHECK(rt_query(x, "dia 6.6", NULL) == 0);         /* "6.6" is one term */
    CHECK(rt_query(x, "6", NULL) == -1);              /* ... so "6" alone matches nothing */
    CHECK(rt_query(x, "", &s) == -1 && s == 0);
    rt_free(x);
}
