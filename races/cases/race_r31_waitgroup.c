/* R31 (race half): RaceWaitGroup / RaceWaitGroup2 (two writers released by
 * the same Wait race with each other), RaceWaitGroupAsMutex (Add(+1)/Add(-1)
 * around a write is no lock), RaceWaitGroupWrongWait (Add too late:
 * writes race), negative_counter (a Done that fails with -EINVAL releases
 * nothing, so a later Wait on the zero counter orders nothing: P, the
 * natural build's internal mutex orders them).
 * Barriers put both writes in one window; RC_SERIAL makes them one after
 * the other in time (without an edge), or TSan may miss two writes that hit
 * the shadow at the same instant (the R31 flake, races/README.md). Not modeled: Go's Add-vs-Wait
 * misuse check (RaceWaitGroupWrongAdd) and RaceWaitGroupReuse. */
#include "race_common.h"

int x;
static goc_wg *wg;
static rc_barrier b;

static void two_g(void *p) {
    rc_barrier_wait(&b);
    RC_SERIAL(x = (int)(intptr_t)p);
    rc_expect(goc_wg_done(wg), 0);
}
static void two_writers(void) {
    wg = goc_wg_make();
    rc_check(wg != NULL);
    rc_barrier_init(&b, 2);
    rc_expect(goc_wg_add(wg, 2), 0);
    rc_go(two_g, (void *)1);
    rc_go(two_g, (void *)2);
    rc_expect(goc_wg_wait(wg, GOC_NEVER), 0);
    rc_join();
    goc_wg_free(wg);
}

static void mutex_g(void *p) {
    rc_expect(goc_wg_add(wg, 1), 0);
    rc_barrier_wait(&b);
    RC_SERIAL(x = (int)(intptr_t)p);
    rc_expect(goc_wg_add(wg, -1), 0);
}
static void as_mutex(void) {
    wg = goc_wg_make();
    rc_check(wg != NULL);
    rc_barrier_init(&b, 2);
    rc_go(mutex_g, (void *)1);
    rc_go(mutex_g, (void *)2);
    rc_join();
    goc_wg_free(wg);
}

static void ww_g(void *p) {
    rc_expect(goc_wg_add(wg, 1), 0); /* too late: the Wait may already be past */
    rc_barrier_wait(&b);
    RC_SERIAL(x = (int)(intptr_t)p);
    rc_expect(goc_wg_done(wg), 0);
}
static void wrong_wait(void) {
    wg = goc_wg_make();
    rc_check(wg != NULL);
    rc_barrier_init(&b, 2);
    rc_go(ww_g, (void *)1);
    rc_go(ww_g, (void *)2);
    int r = goc_wg_wait(wg, GOC_NEVER);
    rc_check(r == 0);
    rc_join();
    goc_wg_free(wg);
}

static void neg_g(void *p) {
    x = 1;
    rc_expect(goc_wg_add(wg, -1), -EINVAL); /* counter would be negative */
    rc_barrier_wait(&b);
}
static void negative_counter(void) {
    wg = goc_wg_make();
    rc_check(wg != NULL);
    rc_barrier_init(&b, 2);
    rc_go(neg_g, NULL);
    rc_barrier_wait(&b);
    rc_expect(goc_wg_wait(wg, GOC_NEVER), 0);
    x = 2;
    rc_join();
    goc_wg_free(wg);
}

static const rc_case cases[] = {
    {"two_writers", "N", 0, two_writers},
    {"as_mutex", "N", 0, as_mutex},
    {"wrong_wait", "N", 0, wrong_wait},
    {"negative_counter", "P", 0, negative_counter},
};
RC_MAIN(cases)
