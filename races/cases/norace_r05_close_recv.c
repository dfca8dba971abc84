/* R05 NoRaceChan{Sync,Async}CloseRecv{,2,3}: G: v = 1; close(c)   ||
 * M: a receive that returns because c is closed; v = 2. close happens before
 * a receive that returns because the channel is closed. Six cases: caps 0
 * and 10 x {plain recv, try-recv/select polling, drain loop}. */
#include "race_common.h"

int v;
static goc_chan *c;

static void g_write_close(void *p) {
    v = 1;
    rc_expect(goc_chan_close(c), 0);
}

static void start(size_t cap) {
    c = rc_chan(sizeof(int), cap);
    v = 0;
    rc_go(g_write_close, NULL);
}
static void finish(void) {
    v = 2;
    rc_join();
    goc_chan_free(c);
}

static void plain(size_t cap) { /* NoRaceChan*CloseRecv: _, ok := <-c (ok false) */
    start(cap);
    int z = 7;
    rc_expect(goc_chan_recv(c, &z, GOC_NEVER), -EPIPE);
    rc_check(z == 0);
    finish();
}
static void polling(size_t cap) { /* CloseRecv2: poll with try-recv and a 1-clause select */
    start(cap);
    for (int i = 0;; i++) {
        int z, r;
        if (i & 1) {
            goc_case k = {c, GOC_RECV, &z, 0};
            r = goc_select(&k, 1, GOC_NOW);
            if (r == 0) {
                rc_expect(k.err, -EPIPE);
                break;
            }
        } else {
            r = goc_chan_recv(c, &z, GOC_NOW);
            if (r == -EPIPE) break;
        }
        rc_expect(r, -EAGAIN);
        goc_yield();
    }
    finish();
}
static void drain(size_t cap) { /* CloseRecv3: for range c {} */
    start(cap);
    int z;
    while (goc_chan_recv(c, &z, GOC_NEVER) == 0) {
    }
    finish();
}
static void sync_plain(void) { plain(0); }
static void async_plain(void) { plain(10); }
static void sync_poll(void) { polling(0); }
static void async_poll(void) { polling(10); }
static void sync_drain(void) { drain(0); }
static void async_drain(void) { drain(10); }

static const rc_case cases[] = {
    {"sync_plain", "N", 1, sync_plain}, {"async_plain", "N", 1, async_plain},
    {"sync_poll", "N", 1, sync_poll},   {"async_poll", "N", 1, async_poll},
    {"sync_drain", "N", 1, sync_drain}, {"async_drain", "N", 1, async_drain},
};
RC_MAIN(cases)
