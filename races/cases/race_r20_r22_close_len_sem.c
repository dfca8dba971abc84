/* R20 RaceChanCloseLen: G: v = 1; close(c)   ||   M: len(c); v = 2 (len is
 * no synchronization). Barrier: close completes before M starts. N.
 * R22 RaceChanSem: a cap-2 channel used as a mutex admits two holders.
 *   barrier: both "lock" (send) before either writes (N);
 *   sequential: G runs lock/write/unlock completely before M starts; only
 *   the precise build's per-slot edges (G used slot 0, M slot 1) see it;
 *   the natural build's channel mutex orders G before M (P). */
#include "race_common.h"

int v, data;
static goc_chan *c, *done;
static rc_barrier b, b2;

static void r20_g(void *p) {
    v = 1;
    rc_expect(goc_chan_close(c), 0);
    rc_barrier_wait(&b);
}
static void r20_close_len(void) {
    c = rc_chan(sizeof(int), 10);
    int z = 0;
    rc_expect(goc_chan_send(c, &z, GOC_NEVER), 0);
    rc_barrier_init(&b, 2);
    rc_go(r20_g, NULL);
    rc_barrier_wait(&b);
    rc_check(goc_chan_len(c) == 1);
    v = 2;
    rc_join();
    goc_chan_free(c);
}

static void sem_g(void *p) {
    int sequential = (int)(intptr_t)p;
    rc_expect(goc_chan_send(c, NULL, GOC_NEVER), 0); /* mtx <- true */
    if (!sequential) rc_barrier_wait(&b);           /* both hold it */
    RC_SERIAL(data = 42);
    if (!sequential) rc_barrier_wait(&b2);
    rc_expect(goc_chan_recv(c, NULL, GOC_NEVER), 0); /* <-mtx */
    if (sequential) rc_barrier_wait(&b);            /* G is done before M starts */
    rc_expect(goc_chan_send(done, NULL, GOC_NEVER), 0);
}
static void sem(int sequential) {
    c = rc_chan(0, 2);
    done = rc_chan(0, 0);
    rc_barrier_init(&b, 2);
    rc_barrier_init(&b2, 2);
    rc_go(sem_g, (void *)(intptr_t)sequential);
    if (sequential) rc_barrier_wait(&b);
    rc_expect(goc_chan_send(c, NULL, GOC_NEVER), 0);
    if (!sequential) rc_barrier_wait(&b);
    RC_SERIAL(data = 43);
    if (!sequential) rc_barrier_wait(&b2);
    rc_expect(goc_chan_recv(c, NULL, GOC_NEVER), 0);
    rc_expect(goc_chan_recv(done, NULL, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(c);
    goc_chan_free(done);
}
static void r22_sem_barrier(void) { sem(0); }
static void r22_sem_sequential(void) { sem(1); }

static const rc_case cases[] = {
    {"r20_close_len", "N", 0, r20_close_len},
    {"r22_sem_barrier", "N", 1, r22_sem_barrier},
    {"r22_sem_sequential", "P", 1, r22_sem_sequential},
};
RC_MAIN(cases)
