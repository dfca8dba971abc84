/* R04 RaceChanAsyncRev: cap 10, G: c <- 0; v = 1   ||   M: v = 2; <-c.
 * A buffered send does not wait for the receive: no edge orders G's v = 1
 * with M's v = 2.
 * barrier: G's send completes before M starts (G: send, v=1, barrier / M:
 *   barrier, v=2, recv), so even the natural build, whose channel mutex
 *   orders everything on c, reports it (N).
 * original: no barrier; the natural build reports it only on some
 *   schedules (TESTING.md measured 12/20), the precise build always (P). */
#include "race_common.h"

int v;
static goc_chan *c;
static rc_barrier b;

static void g_barrier(void *p) {
    int z = 0;
    rc_expect(goc_chan_send(c, &z, GOC_NEVER), 0);
    v = 1;
    rc_barrier_wait(&b);
}
static void with_barrier(void) {
    c = rc_chan(sizeof(int), 10);
    rc_barrier_init(&b, 2);
    rc_go(g_barrier, NULL);
    rc_barrier_wait(&b);
    v = 2;
    int z;
    rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(c);
}

static void g_orig(void *p) {
    int z = 0;
    rc_expect(goc_chan_send(c, &z, GOC_NEVER), 0);
    v = 1;
}
static void original(void) {
    c = rc_chan(sizeof(int), 10);
    rc_go(g_orig, NULL);
    v = 2;
    int z;
    rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(c);
}

static const rc_case cases[] = {
    {"barrier", "N", 1, with_barrier},
    {"original", "P", 1, original},
};
RC_MAIN(cases)
