/* R35 (no race): where each side's payload access sits in the order.
 *
 * Send: Go evaluates a send's value when the send starts (the spec: a send
 * statement evaluates its value before communicating; a select evaluates
 * every send clause's value on entry), so the read of the sender's buffer
 * happens before everything the send publishes. A blocked sender's read is
 * therefore ordered before the receiver's later writes to that buffer:
 *     G: v = 1; c <- v (blocks)   ||   M: <-c; v = 2          (no race)
 * (patterns/messages: main's frame held the sent buffer and was reused
 * after the receive.) The precise build used to record a blocked sender's
 * read only once it was woken, after the receiver already held the value,
 * and reported this as a race on pthread, lockfree and coro.
 *
 * Receive: the receive writes its buffer at the handoff, after the edge
 * that completes it (Go: the value is assigned after chanrecv returns; a
 * receive that returns because of close acquires the close first):
 *     G: x = 1; close(c)   ||   M: x = <-c (zero, closed)     (no race)
 * The pthread/coro core (goc_hchan.h) recorded that zeroing write before
 * acquiring the close edge, and reported this as a race.
 *
 * Windows: the blocked cases wait until the registry shows the partner
 * blocked (rc_wait_blocked), so the partner that comes next takes the
 * blocked path; a barrier (no edge) puts the woken sender's return before
 * M's write in time. */
#include "race_common.h"

#include <stdbool.h>

int v, u, x;
static goc_chan *c, *c2;
static rc_barrier b;

/* ------------------------------------------------- send: value read -- */

static void g_send_plain(void *p) {
    (void)p;
    v = 1;
    rc_expect(goc_chan_send(c, &v, GOC_NEVER), 0);
    rc_barrier_wait(&b);
}
static void g_send_select(void *p) {
    (void)p;
    v = 1;
    u = 1;
    goc_case k[2] = {{c, GOC_SEND, &v, 0}, {c2, GOC_SEND, &u, 0}};
    rc_expect(goc_select(k, 2, GOC_NEVER), 0);
    rc_barrier_wait(&b);
}
/* buffered: fill the one slot, then block on the second send */
static void g_send_plain_full(void *p) {
    (void)p;
    int a = 7;
    rc_expect(goc_chan_send(c, &a, GOC_NEVER), 0);
    g_send_plain(p);
}
static void g_send_select_full(void *p) {
    (void)p;
    int a = 7;
    rc_expect(goc_chan_send(c, &a, GOC_NEVER), 0);
    g_send_select(p);
}

static void send_case(size_t cap, void (*g)(void *), const char *op) {
    c = rc_chan(sizeof(int), cap);
    c2 = rc_chan(sizeof(int), 0); /* the select's other clause: never ready */
    rc_barrier_init(&b, 2);
    rc_go(g, NULL);
    rc_wait_blocked(op);
    int z = 0;
    if (cap) { /* the slot's value first: moves G's value into the buffer */
        rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
        rc_check(z == 7);
    }
    rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
    rc_check(z == 1);
    rc_barrier_wait(&b); /* G's send returned (time only) */
    v = 2;               /* ordered after G's read: send start -> this receive */
    u = 2;               /* the unchosen clause's value: read on entry too */
    rc_join();
    goc_chan_free(c);
    goc_chan_free(c2);
}
static void sync_send_plain(void) { send_case(0, g_send_plain, "chan send"); }
static void sync_send_select(void) { send_case(0, g_send_select, "select"); }
static void async_send_plain(void) { send_case(1, g_send_plain_full, "chan send"); }
static void async_send_select(void) { send_case(1, g_send_select_full, "select"); }

/* ------------------------------------- receive: zeroed on close -- */

static void g_close_blocked(void *p) {
    (void)p;
    rc_wait_blocked("chan recv"); /* M, in the receive into x */
    x = 1;
    rc_expect(goc_chan_close(c), 0);
}
static void g_close_ready(void *p) {
    (void)p;
    x = 1;
    rc_expect(goc_chan_close(c), 0);
    rc_barrier_wait(&b);
}

static void closed_case(size_t cap, bool blocked) {
    c = rc_chan(sizeof(int), cap);
    rc_barrier_init(&b, 2);
    x = 5;
    rc_go(blocked ? g_close_blocked : g_close_ready, NULL);
    if (!blocked) rc_barrier_wait(&b); /* closed before we receive (time only) */
    rc_expect(goc_chan_recv(c, &x, GOC_NEVER), -EPIPE);
    rc_check(x == 0);
    rc_join();
    goc_chan_free(c);
}
static void sync_closed_blocked(void) { closed_case(0, true); }
static void async_closed_blocked(void) { closed_case(1, true); }
static void sync_closed_ready(void) { closed_case(0, false); }
static void async_closed_ready(void) { closed_case(1, false); }

static const rc_case cases[] = {
    {"sync_send_plain", "N", 1, sync_send_plain},
    {"sync_send_select", "N", 1, sync_send_select},
    {"async_send_plain", "N", 1, async_send_plain},
    {"async_send_select", "N", 1, async_send_select},
    {"sync_closed_blocked", "N", 1, sync_closed_blocked},
    {"async_closed_blocked", "N", 1, async_closed_blocked},
    {"sync_closed_ready", "N", 1, sync_closed_ready},
    {"async_closed_ready", "N", 1, async_closed_ready},
};
RC_MAIN(cases)
