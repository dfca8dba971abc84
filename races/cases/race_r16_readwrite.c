/* R16 RaceChanReadWrite{Async,Sync}: `c1 <- x` (a read of x as the payload)
 * in one task, `x = <-c2` (a write of x) in another: different channels, no
 * edge. N in both builds (no common lock: the payload copies run under
 * different channel mutexes). */
#include "race_common.h"

int x;
static goc_chan *c1, *c2;

static void g_send_x(void *p) { rc_expect(goc_chan_send(c1, &x, GOC_NEVER), 0); }
static void g_recv_c1(void *p) {
    int z;
    rc_expect(goc_chan_recv(c1, &z, GOC_NEVER), 0);
}
static void g_send_c2(void *p) {
    int ten = 10;
    rc_expect(goc_chan_send(c2, &ten, GOC_NEVER), 0);
}
static void async_(void) {
    c1 = rc_chan(sizeof(int), 10);
    c2 = rc_chan(sizeof(int), 10);
    int ten = 10;
    rc_expect(goc_chan_send(c2, &ten, GOC_NEVER), 0);
    rc_go(g_send_x, NULL);
    rc_expect(goc_chan_recv(c2, &x, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(c1);
    goc_chan_free(c2);
}
static void sync_(void) {
    c1 = rc_chan(sizeof(int), 0);
    c2 = rc_chan(sizeof(int), 0);
    rc_go(g_recv_c1, NULL);
    rc_go(g_send_c2, NULL);
    rc_go(g_send_x, NULL);
    rc_expect(goc_chan_recv(c2, &x, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(c1);
    goc_chan_free(c2);
}
static const rc_case cases[] = {
    {"async", "N", 1, async_},
    {"sync", "N", 1, sync_},
};
RC_MAIN(cases)
