/* R28 RaceSelect1-5 (Go select_test.go).
 * 1: two select-senders on an unbuffered c (a receiver takes both); each
 *    writes x after its send: the two sends are ordered only through the
 *    receiver's two receives, which do not order the writers. barrier: both
 *    sends done before either writes (N); original (P).
 * 2: G: x = 1; select {<-c, <-c1}   ||   M: close(c); x = 2 (close -> recv,
 *    but M's write comes after its close). barrier: M closes before G's
 *    select starts, so the natural build's channel mutex cannot order G's
 *    write before M's (N); original (P).
 * 3: G: x = 1; select send   ||   M: x = 2; recv: both writes precede the
 *    rendezvous (N).
 * 4: default only: G: select {default: x = 2}   ||   M reads x (N).
 * 5: G: select {c1 <- true: x = 1; c2 <- true: y = 1}   ||   M reads x, y (N). */
#include "race_common.h"

int x, y;
static goc_chan *c, *c1, *c2, *compl_;
static rc_barrier b;
int use_barrier;

static void s1_recv2(void *p) {
    int z;
    rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
    rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
}
static void s1_f(void *p) {
    int t = 1;
    goc_case k[2] = {{c, GOC_SEND, &t, 0}, {c1, GOC_SEND, &t, 0}};
    rc_expect(goc_select(k, 2, GOC_NEVER), 0);
    if (use_barrier) rc_barrier_wait(&b);
    RC_SERIAL(x = 1);
    rc_expect(goc_chan_send(compl_, &t, GOC_NEVER), 0);
}
static void select1(int bar) {
    use_barrier = bar;
    c = rc_chan(sizeof(int), 0);
    c1 = rc_chan(sizeof(int), 0);
    compl_ = rc_chan(sizeof(int), 2);
    rc_barrier_init(&b, 2);
    rc_go(s1_recv2, NULL);
    rc_go(s1_f, NULL);
    rc_go(s1_f, NULL);
    int z;
    rc_expect(goc_chan_recv(compl_, &z, GOC_NEVER), 0);
    rc_expect(goc_chan_recv(compl_, &z, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(c);
    goc_chan_free(c1);
    goc_chan_free(compl_);
}
static void select1_barrier(void) { select1(1); }
static void select1_original(void) { select1(0); }

static void s2_g(void *p) {
    int t = 1;
    x = 1;
    if (use_barrier) rc_barrier_wait(&b); /* the close comes first */
    goc_case k[2] = {{c, GOC_RECV, NULL, 0}, {c1, GOC_RECV, NULL, 0}};
    rc_expect(goc_select(k, 2, GOC_NEVER), 0);
    rc_expect(goc_chan_send(compl_, &t, GOC_NEVER), 0);
}
static void select2(int bar) {
    use_barrier = bar;
    c = rc_chan(sizeof(int), 0);
    c1 = rc_chan(sizeof(int), 0);
    compl_ = rc_chan(sizeof(int), 0);
    rc_barrier_init(&b, 2);
    rc_go(s2_g, NULL);
    rc_expect(goc_chan_close(c), 0);
    if (use_barrier) rc_barrier_wait(&b);
    x = 2;
    int z;
    rc_expect(goc_chan_recv(compl_, &z, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(c);
    goc_chan_free(c1);
    goc_chan_free(compl_);
}
static void select2_barrier(void) { select2(1); }
static void select2_original(void) { select2(0); }

static void s3_g(void *p) {
    int t = 1;
    x = 1;
    goc_case k[2] = {{c, GOC_SEND, &t, 0}, {c1, GOC_SEND, &t, 0}};
    rc_expect(goc_select(k, 2, GOC_NEVER), 0);
    rc_expect(goc_chan_send(compl_, &t, GOC_NEVER), 0);
}
static void select3(void) {
    c = rc_chan(sizeof(int), 0);
    c1 = rc_chan(sizeof(int), 0);
    compl_ = rc_chan(sizeof(int), 0);
    rc_go(s3_g, NULL);
    x = 2;
    int z;
    goc_case k[1] = {{c, GOC_RECV, &z, 0}};
    rc_expect(goc_select(k, 1, GOC_NEVER), 0);
    rc_expect(goc_chan_recv(compl_, &z, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(c);
    goc_chan_free(c1);
    goc_chan_free(compl_);
}

static void s4_g(void *p) {
    int t = 1;
    goc_case k[1] = {{NULL, GOC_RECV, NULL, 0}}; /* select { default: } */
    rc_expect(goc_select(k, 1, GOC_NOW), -EAGAIN);
    x = 2;
    rc_expect(goc_chan_send(compl_, &t, GOC_NEVER), 0);
}
static void select4(void) {
    compl_ = rc_chan(sizeof(int), 1);
    rc_go(s4_g, NULL);
    volatile int seen = x;
    (void)seen;
    int z;
    rc_expect(goc_chan_recv(compl_, &z, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(compl_);
}

static void s5_g(void *p) {
    int t = 1;
    goc_case k[2] = {{c1, GOC_SEND, &t, 0}, {c2, GOC_SEND, &t, 0}};
    int r = goc_select(k, 2, GOC_NEVER);
    if (r == 0) x = 1;
    else y = 1;
    rc_expect(goc_chan_send(compl_, &t, GOC_NEVER), 0);
}
static void select5(void) {
    compl_ = rc_chan(sizeof(int), 1);
    c1 = rc_chan(sizeof(int), 1);
    c2 = rc_chan(sizeof(int), 0);
    rc_go(s5_g, NULL);
    volatile int sx = x, sy = y;
    (void)sx;
    (void)sy;
    int z;
    rc_expect(goc_chan_recv(compl_, &z, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(compl_);
    goc_chan_free(c1);
    goc_chan_free(c2);
}

static const rc_case cases[] = {
    {"select1_barrier", "N", 1, select1_barrier},
    {"select1_original", "P", 1, select1_original},
    {"select2_barrier", "N", 1, select2_barrier},
    {"select2_original", "P", 1, select2_original},
    {"select3", "N", 1, select3},
    {"select4", "N", 0, select4},
    {"select5", "N", 0, select5},
};
RC_MAIN(cases)
