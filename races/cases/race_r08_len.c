/* R08 RaceChanSendLen / RaceChanRecvLen: observing len(c) change is no
 * synchronization (goc_chan_len takes no lock): N in both builds. */
#include "race_common.h"

int v;
static goc_chan *c;

static void g_write_send(void *p) {
    int z = 1;
    v = 1;
    rc_expect(goc_chan_send(c, &z, GOC_NEVER), 0);
}
static void send_len(void) {
    c = rc_chan(sizeof(int), 10);
    rc_go(g_write_send, NULL);
    while (goc_chan_len(c) == 0) goc_yield();
    v = 2;
    rc_join();
    goc_chan_free(c);
}

static void g_write_recv(void *p) {
    int z;
    v = 1;
    rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
}
static void recv_len(void) {
    c = rc_chan(sizeof(int), 10);
    int z = 1;
    rc_expect(goc_chan_send(c, &z, GOC_NEVER), 0);
    rc_go(g_write_recv, NULL);
    while (goc_chan_len(c) != 0) goc_yield();
    v = 2;
    rc_join();
    goc_chan_free(c);
}

static const rc_case cases[] = {
    {"send_len", "N", 0, send_len},
    {"recv_len", "N", 0, recv_len},
};
RC_MAIN(cases)
