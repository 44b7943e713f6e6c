/* imgret.h - image retrieval, prefix ir_: the baseline that answers a picture of a part with the
 * program of the nearest training picture, as data/retrieve.h (BM25) does for text prompts.
 *
 *   ir_index *x = ir_new();
 *   ir_add(x, &framed);                     picture 0, 1, ... in the order added
 *   int best = ir_query(x, &query, &dist);  -1 when the index is empty
 *   ir_free(x);
 *
 * Pictures are framed ones (base/picture.h pic_frame: white = 1, the part centred with the
 * canonical margin), of any size. Each is reduced to its feature: the IR_SIDE x IR_SIDE
 * area-filtered means of its ink 1 - v, stored as bytes round(255 x ink) (IR_SIDE^2 bytes a
 * picture). Distance: the sum of squared byte differences over the IR_SIDE^2 cells, divided by
 * (255^2 IR_SIDE^2) (so 0 = the same feature, 1 = black against white everywhere). The query
 * scans every feature; ties go to the lowest index.
 *
 * Errors: ir_add fails (-1 + ut_error()) on an empty picture. Thread safety: ir_add from one
 * thread; after the last ir_add, any number of threads may query at once.
 */
#ifndef RECAD_IMGRET_H
#define RECAD_IMGRET_H

#include "base/picture.h"

#define IR_SIDE 32

typedef struct ir_index ir_index;

ir_index *ir_new(void);
int ir_add(ir_index *x, const pic_gray *framed);
int ir_query(const ir_index *x, const pic_gray *framed, double *dist); /* dist may be NULL */
int ir_count(const ir_index *x);
void ir_free(ir_index *x);

/* the feature of a picture (IR_SIDE^2 bytes, row-major); -1 + ut_error() on an empty picture */
int ir_feature(const pic_gray *framed, unsigned char *f);
/* the distance above between two features */
double ir_distance(const unsigned char *a, const unsigned char *b);

#endif
