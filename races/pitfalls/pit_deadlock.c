/*
 * Pitfall: deadlocks.
 *   cross_buggy    two tasks, each first receiving from the other's channel
 *                  (unbuffered): neither ever sends.
 *   cross_fixed    one side sends first (a consistent order of operations).
 *   wgdone_buggy   a worker forgets wg.Done(): Wait never returns.
 *   wgdone_fixed   Done on every path.
 * Detectors: on coro, the runtime's "all tasks are asleep" detector (main
 * waits without a deadline; goc_main returns -EDEADLK, exit 2); on the
 * thread backends the watchdog (a timed wait, then the registry report of
 * every task blocked with no deadline, exit 3).
 */
#include "pit_common.h"

static goc_chan *ca, *cb;
static goc_wg *wg;

static void side(void *p) {
    int first_send = (int)(intptr_t)p & 1, mine = (int)(intptr_t)p >> 1, v = 1;
    goc_chan *in = mine ? cb : ca, *out = mine ? ca : cb;
    if (first_send) {
        goc_chan_send(out, &v, GOC_NEVER);
        goc_chan_recv(in, &v, GOC_NEVER);
    } else { /* buggy: both wait for the other to speak first */
        goc_chan_recv(in, &v, GOC_NEVER);
        goc_chan_send(out, &v, GOC_NEVER);
    }
    goc_wg_done(wg);
}
static int cross(int fixed) {
    ca = goc_chan_make(sizeof(int), 0);
    cb = goc_chan_make(sizeof(int), 0);
    wg = goc_wg_make();
    PIT_CHECK(ca && cb && wg);
    goc_wg_add(wg, 2);
    PIT_CHECK(goc_go(side, (void *)(intptr_t)(0 << 1 | fixed)) == 0); /* A: fixed -> sends first */
    PIT_CHECK(goc_go(side, (void *)(intptr_t)(1 << 1 | 0)) == 0);     /* B: receives first */
    if (pit_wait_or_report(wg, 1000000000, "tasks A and B")) return 3;
    goc_chan_free(ca);
    goc_chan_free(cb);
    goc_wg_free(wg);
    printf("pitfall: both tasks finished\n");
    return 0;
}
static int cross_buggy(void) { return cross(0); }
static int cross_fixed(void) { return cross(1); }

static void job(void *p) {
    int forget = (int)(intptr_t)p;
    volatile int work = 0;
    for (int i = 0; i < 1000; i++) work += i;
    (void)work;
    if (!forget) goc_wg_done(wg); /* the bug: no Done on this path */
}
static int wgdone(int fixed) {
    wg = goc_wg_make();
    PIT_CHECK(wg != NULL);
    goc_wg_add(wg, 3);
    for (int i = 0; i < 3; i++) PIT_CHECK(goc_go(job, (void *)(intptr_t)(!fixed && i == 1)) == 0);
    if (pit_wait_or_report(wg, 1000000000, "main's wg.Wait()")) return 3;
    goc_wg_free(wg);
    printf("pitfall: wg.Wait() returned\n");
    return 0;
}
static int wgdone_buggy(void) { return wgdone(0); }
static int wgdone_fixed(void) { return wgdone(1); }

static const pit_mode modes[] = {
    {"cross_buggy", cross_buggy},   {"cross_fixed", cross_fixed},
    {"wgdone_buggy", wgdone_buggy}, {"wgdone_fixed", wgdone_fixed},
};
PIT_MAIN(modes)
