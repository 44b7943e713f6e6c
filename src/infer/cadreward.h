/* cadreward.h - the reward of a generated answer against its prompt's reference part, prefix cr_:
 * what GRPO maximises (train/reward.h's callback) and what finds the hard prompts.
 *
 *   R = l1 * G + l2 * F                       (defaults l1 = 0.9, l2 = 0.1)
 *   G = min(IoU_best, phi(visual, tau))       geometry; phi(s, tau) = 0 below tau (0.55), rising
 *                                             linearly to 1 at s = 1
 *   G' = (1 - w) * G + w * S                  with the optional size term (w = size_weight > 0):
 *                                             S = prod over the sorted bbox extents of min/max,
 *                                             1 when the sizes agree, lower as they differ
 *   F = 1 when the answer is "<think> plan </think> program" with a non-empty plan and program
 * An answer whose program does not run, validate and give a solid of positive volume gets R = 0
 * (invalid: no format credit either). IoU_best is the exact, inertia-normalised one
 * (eval/metrics.h); visual is eval/score.h's render similarity. ../shared/docs/metrics.md has the
 * paper's definition and why l1/l2 are the swap of its printed values.
 *
 * A cr_set prepares one eval/score.h target per prompt once (in parallel), from the reference
 * programs; cr_fn is an rw_fn: the completions of one group are scored in parallel, and several
 * groups may be scored at once from different threads.
 * Geometry budget of an answer: max_geom_work units (base/budget.h; 30,000,000 by default, less
 * than a third of the scoring default SC_DEFAULT_GEOM_WORK). An answer that needs more stops
 * early and counts as invalid (R = 0). Nearly every answer needs far less (a right one about what
 * its reference needs, 1e4-1e6 units); the few that run away - hundreds of degenerate sketch curves,
 * exact intersections of skew prisms - would otherwise hold a step up for seconds (docs/grpo.md
 * measures both). Work units, not seconds, so a reward does not depend on the machine's load.
 * Errors: cr_new gives NULL + ut_error() when no reference builds; a reference that does not build
 * gives its prompt's completions R = 0 (cr_target_ok says which).
 */
#ifndef RECAD_CADREWARD_H
#define RECAD_CADREWARD_H

#include "train/reward.h"

typedef struct {
    double l1, l2;      /* geometry and format weights (0.9, 0.1) */
    double tau;         /* visual similarity threshold of phi (0.55) */
    double size_weight; /* w of the size term (0: off) */
    long max_instructions; /* sandbox budget per completion (<= 0: the executor's) */
    double max_seconds;    /* wall-clock limit per completion (<= 0: the executor's) */
    long max_geom_work;    /* geometry budget per answer, work units (30,000,000; <= 0: the
                              scoring default, SC_DEFAULT_GEOM_WORK) */
} cr_opts;

void cr_default_opts(cr_opts *o);

typedef struct cr_set cr_set;

cr_set *cr_new(const char *const *ref_programs, int n, const cr_opts *o);
void cr_free(cr_set *s);
int cr_target_ok(const cr_set *s, int prompt);
int cr_fn(void *set, int prompt, const char *const *texts, int n, rw_score *out);
/* answers scored so far (identical ones of a group count once), and how many of them the
   geometry budget stopped */
void cr_counts(const cr_set *s, long *scored, long *stopped);

double cr_phi(double s, double tau);         /* the clipped ramp above */
double cr_format(const char *answer);        /* 1 or 0 */
double cr_size_agreement(const double a[3], const double b[3]); /* S above, in [0, 1] */

#endif
