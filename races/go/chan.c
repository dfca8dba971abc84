/* Go 1.19 runtime/race/testdata/chan_test.go, ported to goc (go_port.h). */
#include "go_port.h"

int v, v1, v2, x, y, data;
int dataN[10];
goc_chan *c, *c1, *c2, *c3, *compl_, *done, *r, *mtx, *aux;

/* ---------------------------------------------------------------------- */
static void sync_g(void *p) {
    v = 1;
    go_send(c, 0);
}
static void TestNoRaceChanSync(void) {
    v = 0;
    c = go_chan(0);
    rc_go(sync_g, NULL);
    go_recv(c);
    v = 2;
}

static void syncrev_g(void *p) {
    go_send(c, 0);
    v = 2;
}
static void TestNoRaceChanSyncRev(void) {
    v = 0;
    c = go_chan(0);
    rc_go(syncrev_g, NULL);
    v = 1;
    go_recv(c);
}

static void TestNoRaceChanAsync(void) {
    v = 0;
    c = go_chan(10);
    rc_go(sync_g, NULL);
    go_recv(c);
    v = 2;
}

static void asyncrev_g(void *p) {
    go_send(c, 0);
    RC_SERIAL(v = 1);
}
static void TestRaceChanAsyncRev(void) {
    v = 0;
    c = go_chan(10);
    rc_go(asyncrev_g, NULL);
    RC_SERIAL(v = 2);
    go_recv(c);
}

static void close_g(void *p) {
    v = 1;
    go_close(c);
}
/* <-c on a closed channel: -EPIPE (Go: the zero value, no panic) */
static void recv_closed(void) {
    int z;
    rc_expect(goc_chan_recv(c, &z, GOC_NEVER), -EPIPE);
}
static void close_recv(size_t cap) {
    v = 0;
    c = go_chan(cap);
    rc_go(close_g, NULL);
    recv_closed(); /* func() { defer func() { recover(); v = 2 }(); <-c }() */
    v = 2;
}
static void close_recv2(size_t cap) {
    v = 0;
    c = go_chan(cap);
    rc_go(close_g, NULL);
    bool ok;
    go_recv_ok(c, &ok); /* _, _ = <-c */
    v = 2;
}
static void close_recv3(size_t cap) {
    v = 0;
    c = go_chan(cap);
    rc_go(close_g, NULL);
    for (bool ok = true; ok;) go_recv_ok(c, &ok); /* for range c {} */
    v = 2;
}
static void TestNoRaceChanAsyncCloseRecv(void) { close_recv(10); }
static void TestNoRaceChanAsyncCloseRecv2(void) { close_recv2(10); }
static void TestNoRaceChanAsyncCloseRecv3(void) { close_recv3(10); }
static void TestNoRaceChanSyncCloseRecv(void) { close_recv(0); }
static void TestNoRaceChanSyncCloseRecv2(void) { close_recv2(0); }
static void TestNoRaceChanSyncCloseRecv3(void) { close_recv3(0); }

static void TestRaceChanSyncCloseSend(void) {
    v = 0;
    c = go_chan(0);
    rc_go(close_g, NULL);
    int z = 0;
    rc_expect(goc_chan_send(c, &z, GOC_NEVER), -EPIPE); /* panics, recovered */
    v = 2;
}

static void TestRaceChanAsyncCloseSend(void) {
    v = 0;
    c = go_chan(10);
    rc_go(close_g, NULL);
    for (;;) { /* for { c <- 0 } until the send panics */
        int z = 0, e = goc_chan_send(c, &z, GOC_NEVER);
        if (e == -EPIPE) break;
        rc_check(e == 0);
    }
    v = 2;
}

static void closeclose_g(void *p) {
    int me = (int)(intptr_t)p;
    if (me == 1) v1 = 1;
    else v2 = 1;
    if (goc_chan_close(c) == -EPIPE) { /* recover() != nil */
        if (me == 1) v2 = 2;
        else v1 = 2;
    }
    go_send(compl_, 1);
}
static void TestRaceChanCloseClose(void) {
    compl_ = go_chan(2);
    v1 = v2 = 0;
    c = go_chan(0);
    rc_go(closeclose_g, (void *)1);
    rc_go(closeclose_g, (void *)2);
    go_recv(compl_);
    go_recv(compl_);
}

static void sendlen_g(void *p) {
    v = 1;
    go_send(c, 1);
}
static void TestRaceChanSendLen(void) {
    v = 0;
    c = go_chan(10);
    rc_go(sendlen_g, NULL);
    while (goc_chan_len(c) == 0) goc_yield();
    v = 2;
}

static void recvlen_g(void *p) {
    v = 1;
    go_recv(c);
}
static void TestRaceChanRecvLen(void) {
    v = 0;
    c = go_chan(10);
    go_send(c, 1);
    rc_go(recvlen_g, NULL);
    while (goc_chan_len(c) != 0) goc_yield();
    v = 2;
}

static void sendsend_g(void *p) {
    int me = (int)(intptr_t)p, one = 1;
    if (me == 1) v1 = 1;
    else v2 = 1;
    goc_case k[1] = {{c, GOC_SEND, &one, 0}};
    if (goc_select(k, 1, GOC_NOW) == -EAGAIN) { /* default */
        if (me == 1) v2 = 2;
        else v1 = 2;
    }
    go_send(compl_, 1);
}
static void TestRaceChanSendSend(void) {
    compl_ = go_chan(2);
    v1 = v2 = 0;
    c = go_chan(1);
    rc_go(sendsend_g, (void *)1);
    rc_go(sendsend_g, (void *)2);
    go_recv(compl_);
    go_recv(compl_);
}

struct msg {
    int x;
};
static void ptr_g(void *p) {
    struct msg *m = malloc(sizeof *m);
    rc_check(m != NULL);
    m->x = 1;
    rc_expect(goc_chan_send(c, &m, GOC_NEVER), 0);
}
static void TestNoRaceChanPtr(void) {
    c = rc_chan(sizeof(struct msg *), 0);
    rc_go(ptr_g, NULL);
    struct msg *m = NULL;
    rc_expect(goc_chan_recv(c, &m, GOC_NEVER), 0);
    m->x = 2;
    free(m);
}

static void wrongsend_g(void *p) {
    int me = (int)(intptr_t)p;
    if (me == 1) RC_SERIAL(v1 = 1);
    else RC_SERIAL(v2 = 2);
    go_send(c, me);
}
static void TestRaceChanWrongSend(void) {
    v1 = v2 = 0;
    c = go_chan(2);
    rc_go(wrongsend_g, (void *)1);
    rc_go(wrongsend_g, (void *)2);
    go_sleep(10 * GO_MS);
    if (go_recv(c) == 1) RC_SERIAL(v2 = 3);
    else RC_SERIAL(v1 = 3);
}

static void wrongclose_g1(void *p) {
    RC_SERIAL(v1 = 1);
    int one = 1, e = goc_chan_send(c, &one, GOC_NEVER); /* recover(): may be closed */
    rc_check(e == 0 || e == -EPIPE);
    go_send(done, 1);
}
static void wrongclose_g2(void *p) {
    go_sleep(10 * GO_MS);
    RC_SERIAL(v2 = 2);
    go_close(c);
    go_send(done, 1);
}
static void TestRaceChanWrongClose(void) {
    v1 = v2 = 0;
    c = go_chan(1);
    done = go_chan(0);
    rc_go(wrongclose_g1, NULL);
    rc_go(wrongclose_g2, NULL);
    go_sleep(20 * GO_MS);
    bool who;
    go_recv_ok(c, &who);
    if (who) RC_SERIAL(v2 = 2);
    else RC_SERIAL(v1 = 2);
    go_recv(done);
    go_recv(done);
}

static void sendclose_g1(void *p) {
    int one = 1, e;
    RC_SERIAL(e = goc_chan_send(c, &one, GOC_NEVER)); /* cap 1: never blocks */
    rc_check(e == 0 || e == -EPIPE);
    go_send(compl_, 1);
}
static void sendclose_g2(void *p) {
    go_sleep(10 * GO_MS);
    RC_SERIAL(go_close(c));
    go_send(compl_, 1);
}
static void TestRaceChanSendClose(void) {
    compl_ = go_chan(2);
    c = go_chan(1);
    rc_go(sendclose_g1, NULL);
    rc_go(sendclose_g2, NULL);
    go_recv(compl_);
    go_recv(compl_);
}

static void sendselclose_g1(void *p) {
    go_sleep(10 * GO_MS);
    int one = 1, z, e;
    goc_case k[2] = {{c, GOC_SEND, &one, 0}, {c1, GOC_RECV, &z, 0}};
    RC_SERIAL(e = goc_select(k, 2, GOC_NEVER)); /* c is closed or has room */
    rc_check(e == 0);
    go_send(compl_, 1);
}
static void sendselclose_g2(void *p) {
    RC_SERIAL(go_close(c));
    go_send(compl_, 1);
}
static void TestRaceChanSendSelectClose(void) {
    compl_ = go_chan(2);
    c = go_chan(1);
    c1 = go_chan(0);
    rc_go(sendselclose_g1, NULL);
    rc_go(sendselclose_g2, NULL);
    go_recv(compl_);
    go_recv(compl_);
}

static void selrw_g(void *p) {
    int one = 1, e;
    goc_case k[2] = {{c1, GOC_SEND, &x, 0}, {c3, GOC_SEND, &one, 0}}; /* c1 <- x reads x */
    RC_SERIAL(e = goc_select(k, 2, GOC_NEVER));
    rc_check(e == 0);
    go_send(done, 1);
}
static void TestRaceSelectReadWriteAsync(void) {
    done = go_chan(0);
    x = 0;
    c1 = go_chan(10);
    c2 = go_chan(10);
    c3 = go_chan(0);
    go_send(c2, 1);
    rc_go(selrw_g, NULL);
    int one = 1, e;
    goc_case k[2] = {{c2, GOC_RECV, &x, 0}, {c3, GOC_SEND, &one, 0}}; /* x = <-c2 writes x */
    RC_SERIAL(e = goc_select(k, 2, GOC_NEVER));
    rc_check(e == 0);
    go_recv(done);
}

static void recv_c1_g(void *p) { go_recv(c1); }
static void send_c2_g(void *p) { go_send(c2, (int)(intptr_t)p); }
static void TestRaceSelectReadWriteSync(void) {
    done = go_chan(0);
    x = 0;
    c1 = go_chan(0);
    c2 = go_chan(0);
    c3 = go_chan(0);
    rc_go(recv_c1_g, NULL); /* make c1 and c2 ready for communication */
    rc_go(send_c2_g, (void *)1);
    rc_go(selrw_g, NULL);
    int one = 1, e;
    goc_case k[2] = {{c2, GOC_RECV, &x, 0}, {c3, GOC_SEND, &one, 0}};
    RC_SERIAL(e = goc_select(k, 2, GOC_NEVER)); /* blocks on the sender task only */
    rc_check(e == 0);
    go_recv(done);
}

static void noselrw_g(void *p) {
    int one = 1;
    goc_case k[2] = {{c1, GOC_SEND, &x, 0}, {c2, GOC_SEND, &one, 0}};
    rc_check(goc_select(k, 2, GOC_NEVER) == 0);
    go_send(done, 1);
}
static void TestNoRaceSelectReadWriteAsync(void) {
    done = go_chan(0);
    x = 0;
    c1 = go_chan(0);
    c2 = go_chan(0);
    rc_go(noselrw_g, NULL);
    int one = 1;
    goc_case k[2] = {{c1, GOC_RECV, &x, 0}, {c2, GOC_SEND, &one, 0}};
    rc_check(goc_select(k, 2, GOC_NEVER) == 0);
    go_recv(done);
}

static void chanrw_g(void *p) {
    int e;
    RC_SERIAL(e = goc_chan_send(c1, &x, GOC_NEVER)); /* c1 <- x reads x */
    rc_check(e == 0);
    go_send(done, 1);
}
static void TestRaceChanReadWriteAsync(void) {
    done = go_chan(0);
    c1 = go_chan(10);
    c2 = go_chan(10);
    go_send(c2, 10);
    x = 0;
    rc_go(chanrw_g, NULL);
    int e;
    RC_SERIAL(e = goc_chan_recv(c2, &x, GOC_NEVER)); /* x = <-c2 writes x */
    rc_check(e == 0);
    go_recv(done);
}

static void TestRaceChanReadWriteSync(void) {
    done = go_chan(0);
    c1 = go_chan(0);
    c2 = go_chan(0);
    rc_go(recv_c1_g, NULL);
    rc_go(send_c2_g, (void *)10);
    x = 0;
    rc_go(chanrw_g, NULL);
    int e;
    RC_SERIAL(e = goc_chan_recv(c2, &x, GOC_NEVER)); /* blocks on the sender task only */
    rc_check(e == 0);
    go_recv(done);
}

static void nochanrw_g(void *p) {
    rc_expect(goc_chan_send(c1, &x, GOC_NEVER), 0);
    go_send(done, 1);
}
static void TestNoRaceChanReadWriteAsync(void) {
    done = go_chan(0);
    c1 = go_chan(10);
    x = 0;
    rc_go(nochanrw_g, NULL);
    rc_expect(goc_chan_recv(c1, &x, GOC_NEVER), 0);
    go_recv(done);
}

struct task {
    void (*f)(void);
    goc_chan *done;
};
static goc_chan *queue;
static void pc_worker(void *p) {
    struct task t;
    rc_expect(goc_chan_recv(queue, &t, GOC_NEVER), 0);
    t.f();
    go_send(t.done, 1);
}
static void doit(void (*f)(void)) {
    struct task t = {f, go_chan(1)};
    rc_expect(goc_chan_send(queue, &t, GOC_NEVER), 0);
    go_recv(t.done);
    goc_chan_free(t.done);
}
static void set_x1(void) { x = 1; }
static void TestNoRaceProducerConsumerUnbuffered(void) {
    queue = rc_chan(sizeof(struct task), 0);
    rc_go(pc_worker, NULL);
    x = 0;
    doit(set_x1);
    (void)x;
}

goc_chan *c_old;
static void itself_send_g(void *p) {
    goc_chan *cc;
    RC_SERIAL(cc = c); /* c <- 0 reads the variable c */
    go_send(cc, 0);
    go_send(compl_, 1);
}
static void TestRaceChanItselfSend(void) {
    compl_ = go_chan(1);
    c = c_old = go_chan(10);
    rc_go(itself_send_g, NULL);
    goc_chan *n = go_chan(20);
    RC_SERIAL(c = n);
    go_recv(compl_);
}

int c_read; /* go_mark: the task has read c */
static void itself_recv_g(void *p) {
    goc_chan *cc;
    RC_SERIAL(cc = c);
    go_mark(&c_read);
    go_recv(cc);
    go_send(compl_, 1);
}
static void TestRaceChanItselfRecv(void) {
    compl_ = go_chan(1);
    c = c_old = go_chan(10);
    go_send(c, 1);
    c_read = 0;
    rc_go(itself_recv_g, NULL);
    go_sleep(10 * GO_MS);
    go_await(&c_read); /* what the sleep is for (go_port.h) */
    goc_chan *n = go_chan(20);
    RC_SERIAL(c = n);
    go_recv(compl_);
}

static void itself_nil_g(void *p) {
    goc_chan *cc;
    RC_SERIAL(cc = c);
    go_mark(&c_read);
    if (cc) go_send(cc, 0); /* a nil c: Go's send blocks forever; here the task ends */
}
static void TestRaceChanItselfNil(void) {
    c = c_old = go_chan(10);
    c_read = 0;
    rc_go(itself_nil_g, NULL);
    go_sleep(10 * GO_MS);
    go_await(&c_read);
    RC_SERIAL(c = NULL);
}

static void itself_close_g(void *p) {
    goc_chan *cc;
    RC_SERIAL(cc = c);
    go_close(cc);
    go_send(compl_, 1);
}
static void TestRaceChanItselfClose(void) {
    compl_ = go_chan(1);
    c = c_old = go_chan(0);
    rc_go(itself_close_g, NULL);
    goc_chan *n = go_chan(0);
    RC_SERIAL(c = n);
    go_recv(compl_);
}

static void itself_len_g(void *p) {
    size_t n;
    RC_SERIAL(n = p ? goc_chan_cap(c) : goc_chan_len(c)); /* reads the variable c */
    (void)n;
    go_send(compl_, 1);
}
static void TestRaceChanItselfLen(void) {
    compl_ = go_chan(1);
    c = c_old = go_chan(0);
    rc_go(itself_len_g, NULL);
    goc_chan *n = go_chan(0);
    RC_SERIAL(c = n);
    go_recv(compl_);
}
static void TestRaceChanItselfCap(void) {
    compl_ = go_chan(1);
    c = c_old = go_chan(0);
    rc_go(itself_len_g, (void *)1);
    goc_chan *n = go_chan(0);
    RC_SERIAL(c = n);
    go_recv(compl_);
}

static void closelen_g1(void *p) { go_send(r, p ? (int)goc_chan_cap(c) : (int)goc_chan_len(c)); }
static void closelen_g2(void *p) {
    go_close(c);
    go_send(r, 0);
}
static void closelen(int cap) {
    c = go_chan(10);
    r = go_chan(10);
    rc_go(closelen_g1, cap ? (void *)1 : NULL);
    rc_go(closelen_g2, NULL);
    go_recv(r);
    go_recv(r);
}
static void TestNoRaceChanCloseLen(void) { closelen(0); }
static void TestNoRaceChanCloseCap(void) { closelen(1); }

static void closesend_g(void *p) {
    RC_SERIAL(go_close(c));
    go_send(compl_, 1);
}
static void TestRaceChanCloseSend(void) {
    compl_ = go_chan(1);
    c = go_chan(10);
    rc_go(closesend_g, NULL);
    int z = 0, e;
    RC_SERIAL(e = goc_chan_send(c, &z, GOC_NEVER)); /* cap 10: never blocks */
    rc_check(e == 0 || e == -EPIPE);
    go_recv(compl_);
}

static void chanmutex_g(void *p) {
    go_send0(mtx);
    data = 42;
    rc_expect(goc_chan_recv(mtx, NULL, GOC_NEVER), 0);
    go_send0(done);
}
static void TestNoRaceChanMutex(void) {
    done = go_chan0(0);
    mtx = go_chan0(1);
    data = 0;
    rc_go(chanmutex_g, NULL);
    go_send0(mtx);
    data = 43;
    rc_expect(goc_chan_recv(mtx, NULL, GOC_NEVER), 0);
    rc_expect(goc_chan_recv(done, NULL, GOC_NEVER), 0);
}

static void sel_lock(void) {
    goc_case k[2] = {{mtx, GOC_SEND, NULL, 0}, {aux, GOC_RECV, NULL, 0}};
    rc_check(goc_select(k, 2, GOC_NEVER) == 0);
}
static void sel_unlock(void) {
    goc_case k[2] = {{mtx, GOC_RECV, NULL, 0}, {aux, GOC_RECV, NULL, 0}};
    rc_check(goc_select(k, 2, GOC_NEVER) == 0);
}
static void selmutex_g(void *p) {
    sel_lock();
    data = 42;
    sel_unlock();
    go_send0(done);
}
static void TestNoRaceSelectMutex(void) {
    done = go_chan0(0);
    mtx = go_chan0(1);
    aux = go_chan0(0);
    data = 0;
    rc_go(selmutex_g, NULL);
    sel_lock();
    data = 43;
    sel_unlock();
    rc_expect(goc_chan_recv(done, NULL, GOC_NEVER), 0);
}

static void sem_g(void *p) {
    go_send(mtx, 1);
    RC_SERIAL(data = 42);
    go_recv(mtx);
    go_send0(done);
}
static void TestRaceChanSem(void) {
    done = go_chan0(0);
    mtx = go_chan(2);
    data = 0;
    rc_go(sem_g, NULL);
    go_send(mtx, 1);
    RC_SERIAL(data = 43);
    go_recv(mtx);
    rc_expect(goc_chan_recv(done, NULL, GOC_NEVER), 0);
}

static void chanwg_g(void *p) {
    dataN[(intptr_t)p] = 42;
    go_recv(c);
}
static void TestNoRaceChanWaitGroup(void) {
    enum { N = 10 };
    c = go_chan(N / 2); /* chanWg */
    for (int i = 0; i < N; i++) {
        go_send(c, 1);
        rc_go(chanwg_g, (void *)(intptr_t)i);
    }
    for (size_t i = 0; i < goc_chan_cap(c); i++) go_send(c, 1);
    for (int i = 0; i < N; i++) (void)dataN[i];
}

static void blocked_g(void *p) {
    int *i = malloc(sizeof *i);
    rc_check(i != NULL);
    *i = 42;
    rc_expect(goc_chan_send(c, &i, GOC_NEVER), 0);
}
static void TestNoRaceBlockedSendSync(void) {
    c = rc_chan(sizeof(int *), 1);
    int *nil = NULL;
    rc_expect(goc_chan_send(c, &nil, GOC_NEVER), 0);
    rc_go(blocked_g, NULL);
    go_sleep(10 * GO_MS); /* optional: the verdict must not depend on it */
    int *p = NULL;
    rc_expect(goc_chan_recv(c, &p, GOC_NEVER), 0);
    rc_expect(goc_chan_recv(c, &p, GOC_NEVER), 0);
    rc_check(*p == 42);
    free(p);
}

static void TestNoRaceBlockedSelectSendSync(void) {
    c = rc_chan(sizeof(int *), 1);
    int *nil = NULL;
    rc_expect(goc_chan_send(c, &nil, GOC_NEVER), 0);
    rc_go(blocked_g, NULL);
    go_sleep(10 * GO_MS);
    int *p = NULL;
    rc_expect(goc_chan_recv(c, &p, GOC_NEVER), 0);
    goc_chan *never = go_chan(0); /* <-make(chan int) */
    goc_case k[2] = {{c, GOC_RECV, &p, 0}, {never, GOC_RECV, NULL, 0}};
    rc_check(goc_select(k, 2, GOC_NEVER) == 0);
    rc_check(*p == 42);
    free(p);
    goc_chan_free(never);
}

/* #36714: close happens before a receive from the closed empty channel. */
struct hb_iter {
    int loc;
    goc_chan *write, *read;
};
static void hb_reader(void *p) {
    struct hb_iter *it = p;
    goc_case k[1] = {{it->write, GOC_RECV, NULL, 0}};
    if (goc_select(k, 1, GOC_NOW) == 0) (void)*(volatile int *)&it->loc; /* _ = loc */
    go_close(it->read);
}
static void hb_writer(void *p) {
    struct hb_iter *it = p;
    it->loc = 1;
    go_close(it->write);
}
static void TestNoRaceCloseHappensBeforeRead(void) {
    enum { ITERS = 100 };
    static struct hb_iter it[ITERS]; /* one loc per iteration, as Go's var */
    for (int i = 0; i < ITERS; i++) {
        it[i].loc = 0;
        it[i].write = go_chan0(0);
        it[i].read = go_chan0(0);
        rc_go(hb_reader, &it[i]);
        rc_go(hb_writer, &it[i]);
        rc_expect(goc_chan_recv(it[i].read, NULL, GOC_NEVER), -EPIPE);
    }
    rc_join();
    for (int i = 0; i < ITERS; i++) {
        goc_chan_free(it[i].write);
        goc_chan_free(it[i].read);
    }
}

/* golang.org/issue/42598: elem size 0 */
static void es0_g(void *p) {
    if (p) y += 1;
    else x += 1;
    rc_expect(goc_chan_recv(c, NULL, GOC_NEVER), 0);
}
static void TestNoRaceElemetSize0(void) {
    x = y = 0;
    c = go_chan0(2);
    go_send0(c);
    go_send0(c);
    rc_go(es0_g, NULL);
    rc_go(es0_g, (void *)1);
    go_sleep(10 * GO_MS);
    go_send0(c);
    go_send0(c);
    x += 1;
    y += 1;
}

static const rc_case cases[] = {
    GO_NORACE(TestNoRaceChanSync, 1),
    GO_NORACE(TestNoRaceChanSyncRev, 1),
    GO_NORACE(TestNoRaceChanAsync, 1),
    GO_RACE(TestRaceChanAsyncRev),
    GO_NORACE(TestNoRaceChanAsyncCloseRecv, 1),
    GO_NORACE(TestNoRaceChanAsyncCloseRecv2, 1),
    GO_NORACE(TestNoRaceChanAsyncCloseRecv3, 1),
    GO_NORACE(TestNoRaceChanSyncCloseRecv, 1),
    GO_NORACE(TestNoRaceChanSyncCloseRecv2, 1),
    GO_NORACE(TestNoRaceChanSyncCloseRecv3, 1),
    GO_RACE(TestRaceChanSyncCloseSend),
    GO_RACE(TestRaceChanAsyncCloseSend),
    GO_RACE(TestRaceChanCloseClose),
    GO_RACE(TestRaceChanSendLen),
    GO_RACE(TestRaceChanRecvLen),
    GO_RACE(TestRaceChanSendSend),
    GO_NORACE(TestNoRaceChanPtr, 1),
    GO_RACE(TestRaceChanWrongSend),
    GO_RACE(TestRaceChanWrongClose),
    GO_RACE(TestRaceChanSendClose),
    GO_RACE(TestRaceChanSendSelectClose),
    GO_RACE(TestRaceSelectReadWriteAsync),
    GO_RACE(TestRaceSelectReadWriteSync),
    GO_NORACE(TestNoRaceSelectReadWriteAsync, 1),
    GO_RACE(TestRaceChanReadWriteAsync),
    GO_RACE(TestRaceChanReadWriteSync),
    GO_NORACE(TestNoRaceChanReadWriteAsync, 1),
    GO_NORACE(TestNoRaceProducerConsumerUnbuffered, 1),
    GO_RACE(TestRaceChanItselfSend),
    GO_RACE(TestRaceChanItselfRecv),
    GO_RACE(TestRaceChanItselfNil),
    GO_RACE(TestRaceChanItselfClose),
    GO_RACE(TestRaceChanItselfLen),
    GO_RACE(TestRaceChanItselfCap),
    GO_NORACE(TestNoRaceChanCloseLen, 0),
    GO_NORACE(TestNoRaceChanCloseCap, 0),
    GO_RACE(TestRaceChanCloseSend),
    GO_NORACE(TestNoRaceChanMutex, 1),
    GO_NORACE(TestNoRaceSelectMutex, 1),
    GO_RACE(TestRaceChanSem),
    GO_NORACE(TestNoRaceChanWaitGroup, 1),
    GO_NORACE(TestNoRaceBlockedSendSync, 1),
    GO_NORACE(TestNoRaceBlockedSelectSendSync, 1),
    GO_NORACE(TestNoRaceCloseHappensBeforeRead, 1),
    GO_NORACE(TestNoRaceElemetSize0, 1),
};
RC_MAIN_GO(cases)
