/* budget.h - the geometry budget: one deadline and one work counter for everything that runs
 * after a program (validation, booleans, solid evaluation, mass properties, meshing, scoring).
 *
 *   bg_limits lim;  bg_default_limits(&lim);          BG_DEFAULT_WORK units, 5 s wall clock
 *   bg_budget b;    bg_begin(&b, &lim);               b becomes this thread's current budget
 *   ... va_validate(m), sd_mass_props(s, &p), ms_from_model(m, tol, &mesh) ...
 *   if (bg_exceeded()) ...                            the work stopped early: its result is void
 *   bg_end(&b);                                       the previous budget is current again
 *
 * Polling: hot loops call bg_charge(units) at their heads; it returns 1 once the current budget is
 * exceeded (and keeps returning 1: the state is sticky), so a loop breaks out and its function
 * unwinds. With no current budget (a library caller that never began one) bg_charge returns 0 and
 * nothing is limited. A charge costs a thread-local add and a compare; every BG_FLUSH units a
 * thread adds its pending units to the shared counter and reads the clock.
 *
 * Work units: one unit is an elementary geometric step of roughly 20-100 ns (a curve-curve
 * intersection test, a CSG node visited, a curve crossed by a ray, a mesh cell; sorts charge a few
 * units per element). The work limit is the primary limit: the same model stops at the same point
 * on every machine and under any load, so scores do not depend on the machine; the deadline is a
 * backstop for what the units misjudge.
 *
 * Errors: functions that find bg_exceeded() after their loops fail with bg_fail(what):
 * "<what> exceeded the geometry budget (25000000 work units)" / "(... 100000000 work units)". A result computed
 * while the budget ran out is never reported as a value: callers check bg_exceeded() first.
 *
 * Thread safety: the current budget is per thread. A budget may be shared by worker threads (an
 * OpenMP loop inside one scored item): each thread of the team calls old = bg_attach(b) with the
 * owner's bg_current() and bg_attach(old) when done; the counter and the state are atomic. Different threads may run
 * different budgets at once (the scoring library scores items in parallel, one budget each).
 */
#ifndef RECAD_BUDGET_H
#define RECAD_BUDGET_H

#include <stdatomic.h>

#define BG_DEFAULT_WORK 25000000L /* default work limit, units (docs/budget.md: the largest shared
                                      part needs about 1.1e7 to validate, measure and mesh) */
#define BG_DEFAULT_SECONDS 5.0    /* default wall-clock backstop, seconds */
#define BG_FLUSH 4096               /* units a thread accumulates before it updates the counter */

typedef struct {
    double max_seconds; /* wall-clock limit (<= 0: none) */
    long max_work;      /* work units (<= 0: none) */
} bg_limits;

enum { BG_RUNNING = 0, BG_TIME = 1, BG_WORK = 2 };

typedef struct bg_budget {
    double t0, deadline;    /* ut_now() at bg_begin; deadline (INFINITY: none) */
    bg_limits lim;          /* as begun */
    atomic_long work;       /* units charged so far (flushed ones) */
    atomic_int state;       /* BG_RUNNING, BG_TIME or BG_WORK */
    struct bg_budget *prev; /* this thread's budget before bg_begin */
} bg_budget;

typedef struct {
    bg_budget *cur; /* this thread's current budget (NULL: none) */
    long pending;   /* units not yet added to cur->work */
} bg_thread;
extern _Thread_local bg_thread bg_tls;

void bg_default_limits(bg_limits *l);
/* 0 if the limits are valid (finite, not NaN), else -1 + ut_error() naming the bad one */
int bg_check_limits(const bg_limits *l);
void bg_begin(bg_budget *b, const bg_limits *l); /* l NULL: defaults */
void bg_end(bg_budget *b);                       /* b must be the current budget */
bg_budget *bg_current(void);
/* worker threads: make b this thread's current budget (after flushing the pending units of the
   old one); returns the old one, to be restored with bg_attach(old) when the work is done */
bg_budget *bg_attach(bg_budget *b);

int bg_flush(void); /* the slow path of bg_charge */
/* charges units to the current budget; 1 if it is exceeded (now or before), else 0 */
static inline int bg_charge(long units) {
    bg_budget *b = bg_tls.cur;
    if (!b) return 0;
    if ((bg_tls.pending += units) >= BG_FLUSH) return bg_flush();
    return atomic_load_explicit(&b->state, memory_order_relaxed) != BG_RUNNING;
}
/* 1 if this thread's current budget is exceeded (also reads the clock) */
int bg_exceeded(void);
/* ut_fail("<what> exceeded the geometry budget (<limit>)"); returns -1 */
int bg_fail(const char *what);
long bg_work(const bg_budget *b);      /* units charged so far */
double bg_seconds(const bg_budget *b); /* seconds since bg_begin */

#endif
