/* Go 1.19 runtime/race/testdata/waitgroup_test.go, ported to goc
 * (go_port.h). Go panics on a negative counter; goc_wg_add returns -EINVAL
 * and changes nothing (the recover() of the Go tests).
 * TestRaceWaitGroupWrongAdd and TestRaceWaitGroupReuse race on Go's model
 * of the WaitGroup's semaphore, not on user data: the Add that takes the
 * counter from 0 against the first Wait that blocks (GOC_RACE_WG_* in
 * backends/common/goc_tsan.h, annotated by each backend's sync.c). */
#include "go_port.h"

int x, y;
int data[3];
goc_wg *wg;
goc_chan *c, *ch, *done, *waiting;

static goc_wg *mkwg(void) {
    goc_wg *w = goc_wg_make();
    rc_check(w != NULL);
    return w;
}
static void add(int64_t d) { rc_expect(goc_wg_add(wg, d), 0); }
static void wg_done(void) { rc_expect(goc_wg_done(wg), 0); }
static void wait(void) { rc_expect(goc_wg_wait(wg, GOC_NEVER), 0); }

static void wg_g(void *p) {
    RC_SERIAL(x = (int)(intptr_t)p);
    wg_done();
}
static void wg_n(int n) {
    x = 0;
    wg = mkwg();
    for (int i = 0; i < n; i++) {
        add(1);
        rc_go(wg_g, (void *)(intptr_t)i);
    }
    wait();
}
static void TestNoRaceWaitGroup(void) { wg_n(1); }
static void TestRaceWaitGroup(void) { wg_n(2); }

static void nr2_g(void *p) {
    x = 1;
    wg_done();
}
static void TestNoRaceWaitGroup2(void) {
    x = 0;
    wg = mkwg();
    add(1);
    rc_go(nr2_g, NULL);
    wait();
    x = 2;
}

/* incrementing counter in Add and locking wg's mutex */
static void asmutex_g(void *p) {
    wait();
    go_sleep(100 * GO_MS);
    add(+1);
    RC_SERIAL(x = (int)(intptr_t)p);
    add(-1);
    go_send(c, 1);
}
static void TestRaceWaitGroupAsMutex(void) {
    x = 0;
    wg = mkwg();
    c = go_chan(2);
    rc_go(asmutex_g, (void *)1);
    rc_go(asmutex_g, (void *)2);
    go_recv(c);
    go_recv(c);
}

/* Incorrect usage: Add is too late. */
static void wrongwait_g(void *p) {
    add(1);
    goc_yield();
    RC_SERIAL(x = (int)(intptr_t)p);
    wg_done();
    go_send(c, 1);
}
static void TestRaceWaitGroupWrongWait(void) {
    c = go_chan(2);
    x = 0;
    wg = mkwg();
    rc_go(wrongwait_g, (void *)1);
    rc_go(wrongwait_g, (void *)2);
    wait();
    go_recv(c);
    go_recv(c);
}

static void mw_g(void *p) {
    wait();
    go_send(c, 1);
}
static void TestNoRaceWaitGroupMultipleWait(void) {
    c = go_chan(2);
    wg = mkwg();
    rc_go(mw_g, NULL);
    rc_go(mw_g, NULL);
    wait();
    go_recv(c);
    go_recv(c);
}

static void mw2_g(void *p) {
    wg_done();
    wait();
    go_send(c, 1);
}
static void TestNoRaceWaitGroupMultipleWait2(void) {
    c = go_chan(2);
    wg = mkwg();
    add(2);
    rc_go(mw2_g, NULL);
    rc_go(mw2_g, NULL);
    wait();
    go_recv(c);
    go_recv(c);
}

enum { P = 3 };
static void mw3_w(void *p) {
    data[(intptr_t)p] = 42;
    wg_done();
}
static void mw3_r(void *p) {
    wait();
    for (int p1 = 0; p1 < P; p1++) (void)*(volatile int *)&data[p1];
    go_send(done, 1);
}
static void TestNoRaceWaitGroupMultipleWait3(void) {
    done = go_chan(P);
    wg = mkwg();
    add(P);
    for (int p = 0; p < P; p++) rc_go(mw3_w, (void *)(intptr_t)p);
    for (int p = 0; p < P; p++) rc_go(mw3_r, NULL);
    for (int p = 0; p < P; p++) go_recv(done);
}

/* Correct usage but still a race */
static void TestRaceWaitGroup2(void) {
    x = 0;
    wg = mkwg();
    add(2);
    rc_go(wg_g, (void *)1);
    rc_go(wg_g, (void *)2);
    wait();
}

static void TestNoRaceWaitGroupPanicRecover(void) {
    x = 0;
    wg = mkwg();
    x = 1;
    rc_expect(goc_wg_add(wg, -1), -EINVAL); /* panics: recovered by the defer */
    x = 2;
}

static void pr2_f(void *p) {
    x = 2;
    go_send(ch, 1);
}
static void pr2_g(void *p) {
    x = 1;
    rc_expect(goc_wg_add(wg, -1), -EINVAL);
    rc_go(pr2_f, NULL); /* the deferred recover starts f */
}
static void TestNoRaceWaitGroupPanicRecover2(void) {
    x = 0;
    wg = mkwg();
    ch = go_chan(1);
    rc_go(pr2_g, NULL);
    go_recv(ch);
}

static void tr_g1(void *p) {
    x = 42;
    wg_done();
}
static void tr_g2(void *p) {
    go_sleep(10 * GO_MS);
    y = 42;
    wg_done();
}
static void TestNoRaceWaitGroupTransitive(void) {
    x = y = 0;
    wg = mkwg();
    add(2);
    rc_go(tr_g1, NULL);
    rc_go(tr_g2, NULL);
    wait();
    (void)*(volatile int *)&x;
    (void)*(volatile int *)&y;
}

static void reuse_g(void *p) {
    data[(intptr_t)p]++;
    wg_done();
}
static void TestNoRaceWaitGroupReuse(void) {
    wg = mkwg();
    for (int try = 0; try < 3; try++) {
        add(P);
        for (int p = 0; p < P; p++) rc_go(reuse_g, (void *)(intptr_t)p);
        wait();
        for (int p = 0; p < P; p++) data[p]++;
    }
}

static void reuse2_w(void *p) {
    wait();
    for (int p1 = 0; p1 < P; p1++) data[p1]++;
    go_send(done, 1);
}
static void TestNoRaceWaitGroupReuse2(void) {
    wg = mkwg();
    for (int try = 0; try < 3; try++) {
        add(P);
        for (int p = 0; p < P; p++) rc_go(reuse_g, (void *)(intptr_t)p);
        done = go_chan(0);
        rc_go(reuse2_w, NULL);
        wait();
        go_recv(done);
        for (int p = 0; p < P; p++) data[p]++;
    }
}

static void cadd_g(void *p) {
    add(1);
    go_send(waiting, 1);
    wg_done();
}
static void TestNoRaceWaitGroupConcurrentAdd(void) {
    enum { NP = 4 };
    waiting = go_chan(NP);
    wg = mkwg();
    for (int p = 0; p < NP; p++) rc_go(cadd_g, NULL);
    for (int p = 0; p < NP; p++) go_recv(waiting);
    wait();
}

/* Add called concurrently with Wait: the two Adds are not ordered with the
 * Wait that starts 50 ms later (Go sleeps the same). */
static void wa_g(void *p) {
    add(1);
    go_sleep(100 * GO_MS);
    wg_done();
    go_send(c, 1);
}
static void TestRaceWaitGroupWrongAdd(void) {
    c = go_chan(2);
    wg = mkwg();
    rc_go(wa_g, NULL);
    rc_go(wa_g, NULL);
    go_sleep(50 * GO_MS);
    wait();
    go_recv(c);
    go_recv(c);
}

/* Reused without ordering: round k+1's Add (main) is not ordered after
 * round k's blocking Wait (the waiter task); the data itself is fresh per
 * round and ordered by the WaitGroup. */
enum { RP = 3, RT = 3 };
int rdata[RT][RP];
struct reuse_arg {
    int try, p;
};
static struct reuse_arg rargs[RT][RP];
static void rr_worker(void *p) {
    struct reuse_arg *a = p;
    go_sleep(50 * GO_MS);
    rdata[a->try][a->p]++;
    wg_done();
}
static void rr_waiter(void *p) {
    int try = (int)(intptr_t)p;
    wait();
    for (int q = 0; q < RP; q++) rdata[try][q]++;
    go_send(done, 1);
}
static void TestRaceWaitGroupReuse(void) {
    done = go_chan(RT);
    wg = mkwg();
    for (int try = 0; try < RT; try++) {
        add(RP);
        for (int q = 0; q < RP; q++) {
            rargs[try][q] = (struct reuse_arg){try, q};
            rc_go(rr_worker, &rargs[try][q]);
        }
        rc_go(rr_waiter, (void *)(intptr_t)try);
        go_sleep(100 * GO_MS);
        wait();
    }
    for (int try = 0; try < RT; try++) go_recv(done);
}

static const rc_case cases[] = {
    GO_NORACE(TestNoRaceWaitGroup, 0),
    GO_RACE(TestRaceWaitGroup),
    GO_NORACE(TestNoRaceWaitGroup2, 0),
    GO_RACE(TestRaceWaitGroupAsMutex),
    GO_RACE(TestRaceWaitGroupWrongWait),
    GO_NORACE(TestNoRaceWaitGroupMultipleWait, 0),
    GO_NORACE(TestNoRaceWaitGroupMultipleWait2, 0),
    GO_NORACE(TestNoRaceWaitGroupMultipleWait3, 0),
    GO_RACE(TestRaceWaitGroup2),
    GO_NORACE(TestNoRaceWaitGroupPanicRecover, 0),
    GO_NORACE(TestNoRaceWaitGroupPanicRecover2, 1),
    GO_NORACE(TestNoRaceWaitGroupTransitive, 0),
    GO_NORACE(TestNoRaceWaitGroupReuse, 0),
    GO_NORACE(TestNoRaceWaitGroupReuse2, 1),
    GO_NORACE(TestNoRaceWaitGroupConcurrentAdd, 0),
    GO_RACE(TestRaceWaitGroupWrongAdd),
    GO_RACE(TestRaceWaitGroupReuse),
};
RC_MAIN_GO(cases)
