/* R35 (race): the twin of norace_r35_payload's send cases. H writes the
 * value of a send that is blocked, with nothing ordering it after the
 * send's start: it races with the send's read of its value (Go: the value
 * is read when the send starts; the copy into the receiver comes later, in
 * the receiver's thread). Recording the read at the send's entry must keep
 * this race: plain send and a select's send clause, unbuffered and on a
 * full buffer.
 *     G: c <- v (blocks)   ||   H: v = 3   ||   M: <-c */
#include "race_common.h"

int v;
static goc_chan *c, *c2;
static rc_barrier b;

static void g_plain(void *p) {
    (void)p;
    rc_expect(goc_chan_send(c, &v, GOC_NEVER), 0);
}
static void g_select(void *p) {
    (void)p;
    int u = 0;
    goc_case k[2] = {{c, GOC_SEND, &v, 0}, {c2, GOC_SEND, &u, 0}};
    rc_expect(goc_select(k, 2, GOC_NEVER), 0);
}
static void g_plain_full(void *p) {
    int a = 7;
    rc_expect(goc_chan_send(c, &a, GOC_NEVER), 0);
    g_plain(p);
}
static void g_select_full(void *p) {
    int a = 7;
    rc_expect(goc_chan_send(c, &a, GOC_NEVER), 0);
    g_select(p);
}
static const char *h_op;
static void h_write(void *p) {
    (void)p;
    rc_wait_blocked(h_op); /* G is a queued waiter: its send has started */
    v = 3;
    rc_barrier_wait(&b);
}

static void run(size_t cap, void (*g)(void *), const char *op) {
    c = rc_chan(sizeof(int), cap);
    c2 = rc_chan(sizeof(int), 0);
    rc_barrier_init(&b, 2);
    h_op = op;
    v = 0;
    rc_go(g, NULL);
    rc_go(h_write, NULL);
    rc_barrier_wait(&b); /* H wrote (time only) */
    int z;
    if (cap) rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
    rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(c);
    goc_chan_free(c2);
}
static void sync_plain(void) { run(0, g_plain, "chan send"); }
static void sync_select(void) { run(0, g_select, "select"); }
static void async_plain(void) { run(1, g_plain_full, "chan send"); }
static void async_select(void) { run(1, g_select_full, "select"); }

static const rc_case cases[] = {
    {"sync_plain", "N", 1, sync_plain},
    {"sync_select", "N", 1, sync_select},
    {"async_plain", "N", 1, async_plain},
    {"async_select", "N", 1, async_select},
};
RC_MAIN(cases)
