/* Go 1.19 runtime/race/testdata/select_test.go, ported to goc (go_port.h). */
#include "go_port.h"

int x, y;
goc_chan *compl_, *c, *c1, *ch, *done, *queue, *dummy;

static int sel2(goc_chan *a, int opa, goc_chan *b, int opb) {
    int one = 1, z;
    goc_case k[2] = {{a, opa, opa == GOC_SEND ? &one : &z, 0}, {b, opb, opb == GOC_SEND ? &one : &z, 0}};
    int r = goc_select(k, 2, GOC_NEVER);
    rc_check(r >= 0);
    return r;
}

static void s1_g(void *p) {
    x = 1;
    sel2(c, GOC_SEND, c1, GOC_SEND);
    go_send(compl_, 1);
}
static void TestNoRaceSelect1(void) {
    compl_ = go_chan(0);
    c = go_chan(0);
    c1 = go_chan(0);
    rc_go(s1_g, NULL);
    sel2(c, GOC_RECV, c1, GOC_SEND);
    x = 2;
    go_recv(compl_);
}

static void s2_g(void *p) {
    sel2(c, GOC_RECV, c1, GOC_RECV);
    x = 1;
    go_send(compl_, 1);
}
static void TestNoRaceSelect2(void) {
    compl_ = go_chan(0);
    c = go_chan(0);
    c1 = go_chan(0);
    rc_go(s2_g, NULL);
    x = 2;
    go_close(c);
    goc_yield();
    go_recv(compl_);
}

static void s3_g(void *p) {
    x = 1;
    sel2(c, GOC_SEND, c1, GOC_RECV);
    go_send(compl_, 1);
}
static void TestNoRaceSelect3(void) {
    compl_ = go_chan(0);
    c = go_chan(10);
    c1 = go_chan(0);
    rc_go(s3_g, NULL);
    go_recv(c);
    x = 2;
    go_recv(compl_);
}

struct task {
    void (*f)(void);
    goc_chan *done;
};
static void s4_worker(void *p) {
    for (;;) {
        struct task t;
        goc_case k[1] = {{queue, GOC_RECV, &t, 0}};
        rc_check(goc_select(k, 1, GOC_NEVER) == 0);
        if (k[0].err == -EPIPE) return; /* released after the test (Go: blocked forever) */
        t.f();
        go_send(t.done, 1);
    }
}
static void s4_doit(void (*f)(void)) {
    struct task t = {f, go_chan(1)};
    int z;
    goc_case k[2] = {{queue, GOC_SEND, &t, 0}, {dummy, GOC_RECV, &z, 0}};
    rc_check(goc_select(k, 2, GOC_NEVER) == 0);
    goc_case k2[2] = {{t.done, GOC_RECV, &z, 0}, {dummy, GOC_RECV, &z, 0}};
    rc_check(goc_select(k2, 2, GOC_NEVER) == 0);
}
static void set_x1(void) { x = 1; }
static void TestNoRaceSelect4(void) {
    queue = rc_chan(sizeof(struct task), 0);
    dummy = go_chan(0);
    rc_go(s4_worker, NULL);
    x = 0;
    s4_doit(set_x1);
    (void)x;
    go_close(queue);
}

struct s5 {
    bool sel, need_sched;
};
static void s5_g1(void *p) {
    struct s5 *a = p;
    if (a->need_sched) goc_yield();
    x = 1;
    if (a->sel) sel2(ch, GOC_SEND, c1, GOC_RECV);
    else go_send(ch, 1);
    go_send(done, 1);
}
static void s5_g2(void *p) {
    struct s5 *a = p;
    if (a->sel) sel2(ch, GOC_RECV, c1, GOC_RECV);
    else go_recv(ch);
    x = 1;
    go_send(done, 1);
}
static void s5_test(bool sel, bool need_sched) {
    struct s5 a = {sel, need_sched};
    x = 0;
    ch = go_chan(0);
    c1 = go_chan(0);
    done = go_chan(2);
    rc_go(s5_g1, &a);
    rc_go(s5_g2, &a);
    go_recv(done);
    go_recv(done);
}
static void TestNoRaceSelect5(void) {
    s5_test(true, true);
    s5_test(true, false);
    s5_test(false, true);
    s5_test(false, false);
}

static void r1_recv2(void *p) {
    go_recv(c);
    go_recv(c);
}
static void r1_f(void *p) {
    sel2(c, GOC_SEND, c1, GOC_SEND);
    RC_SERIAL(x = 1);
    go_send(compl_, 1);
}
static void TestRaceSelect1(void) {
    x = 0;
    compl_ = go_chan(2);
    c = go_chan(0);
    c1 = go_chan(0);
    rc_go(r1_recv2, NULL);
    rc_go(r1_f, NULL);
    rc_go(r1_f, NULL);
    go_recv(compl_);
    go_recv(compl_);
}

static void r2_g(void *p) {
    RC_SERIAL(x = 1);
    sel2(c, GOC_RECV, c1, GOC_RECV);
    go_send(compl_, 1);
}
static void TestRaceSelect2(void) {
    x = 0;
    compl_ = go_chan(0);
    c = go_chan(0);
    c1 = go_chan(0);
    rc_go(r2_g, NULL);
    go_close(c);
    RC_SERIAL(x = 2);
    go_recv(compl_);
}

static void r3_g(void *p) {
    RC_SERIAL(x = 1);
    sel2(c, GOC_SEND, c1, GOC_SEND);
    go_send(compl_, 1);
}
static void TestRaceSelect3(void) {
    x = 0;
    compl_ = go_chan(0);
    c = go_chan(0);
    c1 = go_chan(0);
    rc_go(r3_g, NULL);
    RC_SERIAL(x = 2);
    int z;
    goc_case k[1] = {{c, GOC_RECV, &z, 0}};
    rc_check(goc_select(k, 1, GOC_NEVER) == 0);
    go_recv(compl_);
}

static void r4_g(void *p) {
    rc_check(goc_select(NULL, 0, GOC_NOW) == -EAGAIN); /* select { default: } */
    RC_SERIAL(x = 2);
    go_send(done, 1);
}
static void TestRaceSelect4(void) {
    done = go_chan(1);
    rc_go(r4_g, NULL);
    RC_SERIAL((void)*(volatile int *)&x);
    go_recv(done);
}

/* Go's comment: select must choose the non-synchronized variable (c1 is
 * ready, c2 has no receiver), so exactly one race. */
static void r5_g(void *p) {
    int one = 1;
    goc_case k[2] = {{c, GOC_SEND, &one, 0}, {c1, GOC_SEND, &one, 0}};
    int r = goc_select(k, 2, GOC_NEVER);
    if (r == 0) RC_SERIAL(x = 1);
    else if (r == 1) RC_SERIAL(y = 1);
    go_send(done, 1);
}
static void TestRaceSelect5(void) {
    done = go_chan(1);
    c = go_chan(1);  /* c1 in Go */
    c1 = go_chan(0); /* c2 in Go */
    rc_go(r5_g, NULL);
    RC_SERIAL((void)*(volatile int *)&x);
    RC_SERIAL((void)*(volatile int *)&y);
    go_recv(done);
}

static const rc_case cases[] = {
    GO_NORACE(TestNoRaceSelect1, 1), GO_NORACE(TestNoRaceSelect2, 1), GO_NORACE(TestNoRaceSelect3, 1),
    GO_NORACE(TestNoRaceSelect4, 1), GO_NORACE(TestNoRaceSelect5, 1), GO_RACE(TestRaceSelect1),
    GO_RACE(TestRaceSelect2),        GO_RACE(TestRaceSelect3),        GO_RACE(TestRaceSelect4),
    GO_RACE(TestRaceSelect5),
};
RC_MAIN_GO(cases)
