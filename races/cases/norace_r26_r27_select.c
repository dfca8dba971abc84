/* R26 NoRaceCloseHappensBeforeRead (#36714): a select with default that
 * observes a close; 5 rounds per repetition (100 in all).
 * R27 NoRaceSelect1-5: Go's rules 1-3 through selects. */
#include "race_common.h"

int x, loc;
static goc_chan *c, *c1, *compl_, *wr, *rd, *ch, *done;

/* R26 */
static void r26_reader(void *p) {
    goc_case k = {wr, GOC_RECV, NULL, 0};
    int r = goc_select(&k, 1, GOC_NOW); /* select { case <-write: _ = loc; default: } */
    if (r == 0) {
        rc_expect(k.err, -EPIPE);
        volatile int seen = loc;
        (void)seen;
    } else {
        rc_expect(r, -EAGAIN);
    }
    rc_expect(goc_chan_close(rd), 0);
}
static void r26_writer(void *p) {
    loc = 1;
    rc_expect(goc_chan_close(wr), 0);
}
static void r26_close_hb_read(void) {
    for (int i = 0; i < 5; i++) {
        wr = rc_chan(0, 0);
        rd = rc_chan(0, 0);
        rc_go(r26_reader, NULL);
        rc_go(r26_writer, NULL);
        rc_expect(goc_chan_recv(rd, NULL, GOC_NEVER), -EPIPE);
        rc_join();
        loc = 0;
        goc_chan_free(wr);
        goc_chan_free(rd);
    }
}

/* NoRaceSelect1: G: x = 1; select {c <- true; c1 <- true}   ||   M: select
 * {<-c; c1 <- true}; x = 2 */
static void s1_g(void *p) {
    int t = 1;
    x = 1;
    goc_case k[2] = {{c, GOC_SEND, &t, 0}, {c1, GOC_SEND, &t, 0}};
    rc_expect(goc_select(k, 2, GOC_NEVER), 0);
    rc_expect(goc_chan_send(compl_, &t, GOC_NEVER), 0);
}
static void select1(void) {
    c = rc_chan(sizeof(int), 0);
    c1 = rc_chan(sizeof(int), 0);
    compl_ = rc_chan(sizeof(int), 0);
    rc_go(s1_g, NULL);
    int t = 1, z;
    goc_case k[2] = {{c, GOC_RECV, &z, 0}, {c1, GOC_SEND, &t, 0}};
    rc_expect(goc_select(k, 2, GOC_NEVER), 0);
    x = 2;
    rc_expect(goc_chan_recv(compl_, &z, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(c);
    goc_chan_free(c1);
    goc_chan_free(compl_);
}

/* NoRaceSelect2: G: select {<-c; <-c1}; x = 1   ||   M: x = 2; close(c) */
static void s2_g(void *p) {
    int t = 1;
    goc_case k[2] = {{c, GOC_RECV, NULL, 0}, {c1, GOC_RECV, NULL, 0}};
    rc_expect(goc_select(k, 2, GOC_NEVER), 0);
    x = 1;
    rc_expect(goc_chan_send(compl_, &t, GOC_NEVER), 0);
}
static void select2(void) {
    c = rc_chan(sizeof(int), 0);
    c1 = rc_chan(sizeof(int), 0);
    compl_ = rc_chan(sizeof(int), 0);
    rc_go(s2_g, NULL);
    x = 2;
    rc_expect(goc_chan_close(c), 0);
    goc_yield();
    int z;
    rc_expect(goc_chan_recv(compl_, &z, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(c);
    goc_chan_free(c1);
    goc_chan_free(compl_);
}

/* NoRaceSelect3: G: x = 1; select {c <- true (cap 10); <-c1}   ||   M: <-c; x = 2 */
static void s3_g(void *p) {
    int t = 1;
    x = 1;
    goc_case k[2] = {{c, GOC_SEND, &t, 0}, {c1, GOC_RECV, NULL, 0}};
    rc_expect(goc_select(k, 2, GOC_NEVER), 0);
    rc_expect(goc_chan_send(compl_, &t, GOC_NEVER), 0);
}
static void select3(void) {
    c = rc_chan(sizeof(int), 10);
    c1 = rc_chan(sizeof(int), 0);
    compl_ = rc_chan(sizeof(int), 0);
    rc_go(s3_g, NULL);
    int z;
    rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
    x = 2;
    rc_expect(goc_chan_recv(compl_, &z, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(c);
    goc_chan_free(c1);
    goc_chan_free(compl_);
}

/* NoRaceSelect5(sel, sched): G1: x = 1; (select) ch <- true   ||   G2:
 * (select) <-ch; x = 1 */
static void s5_g1(void *p) {
    int v = (int)(intptr_t)p, t = 1;
    if (v & 2) goc_yield();
    x = 1;
    if (v & 1) {
        goc_case k[2] = {{ch, GOC_SEND, &t, 0}, {c1, GOC_RECV, NULL, 0}};
        rc_expect(goc_select(k, 2, GOC_NEVER), 0);
    } else {
        rc_expect(goc_chan_send(ch, &t, GOC_NEVER), 0);
    }
    rc_expect(goc_chan_send(done, &t, GOC_NEVER), 0);
}
static void s5_g2(void *p) {
    int v = (int)(intptr_t)p, t = 1, z;
    if (v & 1) {
        goc_case k[2] = {{ch, GOC_RECV, &z, 0}, {c1, GOC_RECV, NULL, 0}};
        rc_expect(goc_select(k, 2, GOC_NEVER), 0);
    } else {
        rc_expect(goc_chan_recv(ch, &z, GOC_NEVER), 0);
    }
    x = 1;
    rc_expect(goc_chan_send(done, &t, GOC_NEVER), 0);
}
static void select5(void) {
    for (intptr_t v = 0; v < 4; v++) {
        ch = rc_chan(sizeof(int), 0);
        c1 = rc_chan(sizeof(int), 0);
        done = rc_chan(sizeof(int), 2);
        rc_go(s5_g1, (void *)v);
        rc_go(s5_g2, (void *)v);
        int z;
        rc_expect(goc_chan_recv(done, &z, GOC_NEVER), 0);
        rc_expect(goc_chan_recv(done, &z, GOC_NEVER), 0);
        rc_join();
        goc_chan_free(ch);
        goc_chan_free(c1);
        goc_chan_free(done);
    }
}

static const rc_case cases[] = {
    {"r26_close_hb_read", "N", 1, r26_close_hb_read},
    {"r27_select1", "N", 1, select1},
    {"r27_select2", "N", 1, select2},
    {"r27_select3", "N", 1, select3},
    {"r27_select5", "N", 1, select5},
};
RC_MAIN(cases)
