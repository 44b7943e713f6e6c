/* budget.c - see budget.h. */
#include "base/budget.h"

#include <math.h>
#include <stddef.h>

#include "base/util.h"

_Thread_local bg_thread bg_tls;

void bg_default_limits(bg_limits *l) {
    l->max_seconds = BG_DEFAULT_SECONDS;
    l->max_work = BG_DEFAULT_WORK;
}

int bg_check_limits(const bg_limits *l) {
    if (isnan(l->max_seconds) || isinf(l->max_seconds))
        return ut_fail("geometry time limit %g is not a finite number of seconds", l->max_seconds);
    return 0;
}

void bg_begin(bg_budget *b, const bg_limits *l) {
    bg_limits d;
    if (!l) bg_default_limits(&d), l = &d;
    b->lim = *l;
    b->t0 = ut_now();
    b->deadline = l->max_seconds > 0 ? b->t0 + l->max_seconds : INFINITY;
    atomic_init(&b->work, 0);
    atomic_init(&b->state, BG_RUNNING);
    bg_flush(); /* the units pending for the previous budget go to it */
    b->prev = bg_tls.cur;
    bg_tls.cur = b;
    bg_tls.pending = 0;
}

void bg_end(bg_budget *b) {
    if (bg_tls.cur != b) return;
    bg_flush();
    bg_tls.cur = b->prev;
    bg_tls.pending = 0;
}

bg_budget *bg_current(void) { return bg_tls.cur; }

bg_budget *bg_attach(bg_budget *b) {
    bg_flush();
    bg_budget *old = bg_tls.cur;
    bg_tls.cur = b;
    bg_tls.pending = 0;
    return old;
}

static void bg_trip(bg_budget *b, int why) {
    int expect = BG_RUNNING;
    atomic_compare_exchange_strong(&b->state, &expect, why);
}

int bg_flush(void) {
    bg_budget *b = bg_tls.cur;
    if (!b) return 0;
    long w = atomic_fetch_add_explicit(&b->work, bg_tls.pending, memory_order_relaxed) + bg_tls.pending;
    bg_tls.pending = 0;
    if (b->lim.max_work > 0 && w > b->lim.max_work) bg_trip(b, BG_WORK);
    if (ut_now() > b->deadline) bg_trip(b, BG_TIME);
    return atomic_load_explicit(&b->state, memory_order_relaxed) != BG_RUNNING;
}

int bg_exceeded(void) { return bg_flush(); }

int bg_fail(const char *what) {
    bg_budget *b = bg_tls.cur;
    if (!b) return ut_fail("%s exceeded the geometry budget", what);
    if (atomic_load(&b->state) == BG_WORK)
        return ut_fail("%s exceeded the geometry budget (%ld work units)", what, b->lim.max_work);
    return ut_fail("%s exceeded the geometry budget (%g s, %ld work units done)", what, b->lim.max_seconds,
                   bg_work(b));
}

long bg_work(const bg_budget *b) { return atomic_load((atomic_long *)&b->work); }

double bg_seconds(const bg_budget *b) { return ut_now() - b->t0; }
