/* R01 NoRaceChanSync, R02 NoRaceChanSyncRev (rule 3), R03 NoRaceChanAsync,
 * R10 NoRaceChanPtr, R17 NoRaceChanReadWriteAsync (Go race tests). */
#include <stdlib.h>

#include "race_common.h"

int v;
static goc_chan *c;

/* R01/R03: G: v = 1; c <- 0   ||   M: <-c; v = 2 */
static void g_write_send(void *p) {
    int z = 0;
    v = 1;
    rc_expect(goc_chan_send(c, &z, GOC_NEVER), 0);
}
static void write_send_recv_write(size_t cap) {
    c = rc_chan(sizeof(int), cap);
    v = 0;
    rc_go(g_write_send, NULL);
    int z;
    rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
    v = 2;
    rc_join();
    goc_chan_free(c);
}
static void r01_sync(void) { write_send_recv_write(0); }
static void r03_async(void) { write_send_recv_write(10); }

/* R02: G: c <- 0; v = 2   ||   M: v = 1; <-c  (unbuffered recv -> send completes) */
static void g_send_write(void *p) {
    int z = 0;
    rc_expect(goc_chan_send(c, &z, GOC_NEVER), 0);
    v = 2;
}
static void r02_sync_rev(void) {
    c = rc_chan(sizeof(int), 0);
    rc_go(g_send_write, NULL);
    v = 1;
    int z;
    rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(c);
}

/* R10: G sends a pointer to a fresh struct over an unbuffered channel; the
 * receiver writes through it. */
struct msg {
    int x;
};
static void g_send_ptr(void *p) {
    struct msg *m = malloc(sizeof *m);
    rc_check(m != NULL);
    m->x = 1;
    rc_expect(goc_chan_send(c, &m, GOC_NEVER), 0);
}
static void r10_ptr(void) {
    c = rc_chan(sizeof(struct msg *), 0);
    rc_go(g_send_ptr, NULL);
    struct msg *m;
    rc_expect(goc_chan_recv(c, &m, GOC_NEVER), 0);
    rc_check(m->x == 1);
    m->x = 2;
    free(m);
    rc_join();
    goc_chan_free(c);
}

/* R17: the payload read of `c1 <- x` and the write of `x = <-c1` are ordered
 * by the channel itself (send k -> recv k). */
int x;
static void g_send_x(void *p) { rc_expect(goc_chan_send(c, &x, GOC_NEVER), 0); }
static void r17_rw_same(void) {
    c = rc_chan(sizeof(int), 10);
    x = 5;
    rc_go(g_send_x, NULL);
    rc_expect(goc_chan_recv(c, &x, GOC_NEVER), 0);
    rc_check(x == 5);
    rc_join();
    goc_chan_free(c);
}

static const rc_case cases[] = {
    {"r01_sync", "N", 1, r01_sync},         {"r02_sync_rev", "N", 1, r02_sync_rev},
    {"r03_async", "N", 1, r03_async},       {"r10_ptr", "N", 1, r10_ptr},
    {"r17_readwrite_same_chan", "N", 1, r17_rw_same},
};
RC_MAIN(cases)
