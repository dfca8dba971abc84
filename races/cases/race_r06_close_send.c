/* R06 RaceChan{Sync,Async}CloseSend: G: v = 1; close(c)   ||   M: c <- 0
 * fails with EPIPE; v = 2. A failed send synchronizes with nothing (Go
 * panics there), so v = 1 and v = 2 race. The natural build's channel
 * mutex orders the close before the send: P. The barrier only makes the
 * send come after the close (so it returns EPIPE); it adds no edge. */
#include "race_common.h"

int v;
static goc_chan *c;
static rc_barrier b;

static void g_write_close(void *p) {
    v = 1;
    rc_expect(goc_chan_close(c), 0);
    rc_barrier_wait(&b);
}
static void run(size_t cap) {
    c = rc_chan(sizeof(int), cap);
    rc_barrier_init(&b, 2);
    rc_go(g_write_close, NULL);
    rc_barrier_wait(&b);
    int z = 0;
    rc_expect(goc_chan_send(c, &z, GOC_NEVER), -EPIPE);
    v = 2;
    rc_join();
    goc_chan_free(c);
}
static void sync_(void) { run(0); }
static void async_(void) { run(10); }

static const rc_case cases[] = {
    {"sync", "P", 1, sync_},
    {"async", "P", 1, async_},
};
RC_MAIN(cases)
