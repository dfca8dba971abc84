/* R14 RaceSelectReadWrite{Async,Sync}: x is read as the payload of one
 * select's send clause on c1 and written by another select's receive
 * clause on c2; both selects also list c3, which never fires. Only the
 * chosen clause may synchronize, so nothing orders the read and the write.
 * The natural build locks c3's mutex in both selects: P. */
#include "race_common.h"

int x;
static goc_chan *c1, *c2, *c3;

static void g_select_send(void *p) {
    int one = 1;
    goc_case k[2] = {{c1, GOC_SEND, &x, 0}, {c3, GOC_SEND, &one, 0}};
    rc_expect(goc_select(k, 2, GOC_NEVER), 0);
}
static void m_select_recv(void) {
    int one = 1;
    goc_case k[2] = {{c2, GOC_RECV, &x, 0}, {c3, GOC_SEND, &one, 0}};
    rc_expect(goc_select(k, 2, GOC_NEVER), 0);
}
static void async_(void) {
    c1 = rc_chan(sizeof(int), 10);
    c2 = rc_chan(sizeof(int), 10);
    c3 = rc_chan(sizeof(int), 0);
    int one = 1;
    rc_expect(goc_chan_send(c2, &one, GOC_NEVER), 0);
    rc_go(g_select_send, NULL);
    m_select_recv();
    rc_join();
    goc_chan_free(c1);
    goc_chan_free(c2);
    goc_chan_free(c3);
}

static void g_recv_c1(void *p) {
    int z;
    rc_expect(goc_chan_recv(c1, &z, GOC_NEVER), 0);
}
static void g_send_c2(void *p) {
    int ten = 10;
    rc_expect(goc_chan_send(c2, &ten, GOC_NEVER), 0);
}
static void sync_(void) {
    c1 = rc_chan(sizeof(int), 0);
    c2 = rc_chan(sizeof(int), 0);
    c3 = rc_chan(sizeof(int), 0);
    rc_go(g_recv_c1, NULL);
    rc_go(g_send_c2, NULL);
    rc_go(g_select_send, NULL);
    m_select_recv();
    rc_join();
    goc_chan_free(c1);
    goc_chan_free(c2);
    goc_chan_free(c3);
}
static const rc_case cases[] = {
    {"async", "P", 1, async_},
    {"sync", "P", 1, sync_},
};
RC_MAIN(cases)
