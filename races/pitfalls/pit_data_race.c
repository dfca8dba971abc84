/*
 * Pitfall: race conditions. The article's counter (patterns/counter.c,
 * pat_counter): 1000 tasks each do counter++.
 *   counter_racy      a plain int: TSan reports "data race" with both tasks'
 *                     spawn sites; in an uninstrumented build the lost
 *                     updates are counted over repeated runs.
 *   counter_mutex     fix 1: sync.Mutex.
 *   counter_chanlock  fix 2: the value lives in a cap-1 channel.
 *   contention_racy   4 tasks x 100 000 increments of a plain int (lost
 *                     updates are likely whenever two tasks really run at
 *                     once); contention_mutex: the same, locked.
 * Exit 0 when the result is exact; for racy modes exit 0 as well (the
 * detector is TSan, whose exit status is 66) and print the lost updates.
 */
#include <stdlib.h>
#include <string.h>

#include "patterns.h"
#include "pit_common.h"

/* Totals over one process, for the lost_updates summary line. */
static long tot_runs, tot_lost_runs, tot_lost;

static int runs(void) {
    const char *e = getenv("PIT_RUNS");
    int n = e ? atoi(e) : 1;
    return n < 1 ? 1 : n;
}

static int counter(int variant) {
    int n = runs(), lost_runs = 0;
    long lost = 0;
    for (int i = 0; i < n; i++) {
        long v = 0;
        PIT_CHECK(pat_counter(variant, 1000, &v, NULL) == 0);
        PIT_CHECK(v >= 1 && v <= 1000);
        if (variant != PAT_COUNTER_RACY) PIT_CHECK(v == 1000);
        if (v < 1000) lost_runs++, lost += 1000 - v;
    }
    tot_runs += n, tot_lost_runs += lost_runs, tot_lost += lost;
    printf("pitfall: counter (%s): %d run(s), %d with lost updates, %ld update(s) lost in all\n",
           variant == PAT_COUNTER_RACY ? "racy" : variant == PAT_COUNTER_MUTEX ? "mutex" : "chanlock", n,
           lost_runs, lost);
    return 0;
}
static int counter_racy(void) { return counter(PAT_COUNTER_RACY); }
static int counter_mutex(void) { return counter(PAT_COUNTER_MUTEX); }
static int counter_chanlock(void) { return counter(PAT_COUNTER_CHANLOCK); }

#define CT 4
#define CN 100000
typedef struct {
    long value; /* racy on purpose in contention_racy; guarded by mu otherwise */
    goc_mutex *mu;
    goc_wg *wg;
} contended;
static void inc_many(void *p) {
    contended *c = p;
    if (!c->mu) { /* counter++ as a real load, add, store each time (volatile:
                   * -O2 would otherwise fold the loop into one add) */
        volatile long *v = &c->value;
        for (int i = 0; i < CN; i++) *v = *v + 1;
    } else {
        for (int i = 0; i < CN; i++) {
            goc_mutex_lock(c->mu);
            c->value++;
            goc_mutex_unlock(c->mu);
        }
    }
    goc_wg_done(c->wg);
}
static int contention(int locked) {
    int n = runs(), lost_runs = 0;
    long lost = 0;
    for (int r = 0; r < n; r++) {
        contended c = {0, locked ? goc_mutex_make() : NULL, goc_wg_make()};
        PIT_CHECK(c.wg && (!locked || c.mu));
        for (int i = 0; i < CT; i++) {
            goc_wg_add(c.wg, 1);
            PIT_CHECK(goc_go(inc_many, &c) == 0);
        }
        goc_wg_wait(c.wg, GOC_NEVER);
        PIT_CHECK(c.value >= 1 && c.value <= (long)CT * CN);
        if (locked) PIT_CHECK(c.value == (long)CT * CN);
        if (c.value < (long)CT * CN) lost_runs++, lost += (long)CT * CN - c.value;
        tot_runs++;
        goc_mutex_free(c.mu);
        goc_wg_free(c.wg);
    }
    tot_lost_runs += lost_runs, tot_lost += lost;
    printf("pitfall: contention (%s): %d run(s) of %d x %d increments, %d with lost updates, %ld "
           "update(s) lost in all\n",
           locked ? "mutex" : "racy", n, CT, CN, lost_runs, lost);
    return 0;
}
static int contention_racy(void) { return contention(0); }
/* Both racy programs in one run (the release-build row of the table): the
 * article's counter PIT_RUNS x 4 times, then the contended loop. */
static int lost_updates(void) {
    int r = counter(PAT_COUNTER_RACY);
    for (int i = 1; r == 0 && i < 4; i++) r = counter(PAT_COUNTER_RACY);
    if (!r) r = contention(0);
    printf("pitfall: lost updates: %ld of %ld racy run(s) lost %ld update(s)\n", tot_lost_runs, tot_runs,
           tot_lost);
    return r;
}
static int contention_mutex(void) { return contention(1); }

static const pit_mode modes[] = {
    {"counter_racy", counter_racy},       {"counter_mutex", counter_mutex},
    {"counter_chanlock", counter_chanlock}, {"contention_racy", contention_racy},
    {"contention_mutex", contention_mutex}, {"lost_updates", lost_updates},
};
PIT_MAIN(modes)
