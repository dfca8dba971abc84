/* Go 1.19 runtime/race/testdata/sync_test.go, ported to goc (go_port.h).
 * sync.Cond is goc_cond (goc.h). time.AfterFunc(d, f) is go_after_func: a
 * task that waits for goc_after(d) (or Stop) and then calls f, as Go's
 * timer goroutine does (Go's detector has the edge AfterFunc -> f; here it
 * is the spawn). A nil *RWMutex's RLock panics in Go; goc has no RWMutex,
 * and the nearest bad call, goc_mutex_lock(NULL), returns -EINVAL. */
#include "go_port.h"

int x, condition, panics, exited;
int ival;
goc_mutex *mu;
goc_cond *cond;
goc_chan *c, *done, *all_done, *ch;

static void lock(goc_mutex *m) { rc_expect(goc_mutex_lock(m), 0); }
static void unlock(goc_mutex *m) { rc_expect(goc_mutex_unlock(m), 0); }
static void mk_cond(void) {
    mu = goc_mutex_make();
    rc_check(mu != NULL);
    cond = goc_cond_make(mu);
    rc_check(cond != NULL);
}

static void nrcond_g(void *p) {
    x = 1;
    lock(mu);
    condition = 1;
    rc_expect(goc_cond_signal(cond), 0);
    unlock(mu);
}
static void TestNoRaceCond(void) {
    x = 0;
    condition = 0;
    mk_cond();
    rc_go(nrcond_g, NULL);
    lock(mu);
    while (condition != 1) rc_expect(goc_cond_wait(cond), 0);
    unlock(mu);
    x = 2;
}

static void rcond_g(void *p) {
    go_sleep(10 * GO_MS); /* Enter cond.Wait loop */
    x = 1;
    lock(mu);
    condition = 1;
    rc_expect(goc_cond_signal(cond), 0);
    unlock(mu);
    go_sleep(10 * GO_MS); /* Exit cond.Wait loop */
    go_await(&exited);    /* what the sleep is for: under load main may not
                             have relocked yet, and then it would acquire
                             this task's later unlock (x = 3 before x = 2) */
    lock(mu);
    RC_SERIAL(x = 3);
    unlock(mu);
    go_send(done, 1);
}
static void TestRaceCond(void) {
    exited = 0;
    done = go_chan(0);
    mk_cond();
    x = 0;
    condition = 0;
    rc_go(rcond_g, NULL);
    lock(mu);
    while (condition != 1) rc_expect(goc_cond_wait(cond), 0);
    unlock(mu);
    go_mark(&exited);
    RC_SERIAL(x = 2);
    go_recv(done);
}

/* TestRaceAnnounceThreads: f, g, h as in Go (its output is meant to be
 * read by hand: the creation stacks). */
static void at_inner(void *p) {
    RC_SERIAL(x = 1);
    go_send(all_done, 1);
}
static void at_g(void *p) {
    for (int i = 0; i < 2; i++) {
        rc_go(at_inner, NULL);
        go_send(all_done, 1);
    }
}
static void at_f(void *p) {
    RC_SERIAL(x = 1);
    rc_go(at_g, NULL);
    rc_go(at_inner, NULL);
    RC_SERIAL(x = 2);
    go_send(all_done, 1);
}
static void at_h(void *p) {
    RC_SERIAL(x = 1);
    RC_SERIAL(x = 2);
    rc_go(at_f, NULL);
    go_send(all_done, 1);
}
static void TestRaceAnnounceThreads(void) {
    enum { N = 7 };
    all_done = go_chan(N);
    x = 0;
    rc_go(at_h, NULL);
    for (int i = 0; i < N; i++) go_recv(all_done);
}

/* time.AfterFunc(ns, f): returns the timer; go_after_stop = Timer.Stop */
struct after_func {
    goc_chan *timer, *stop;
    void (*f)(void);
};
static void after_func_task(void *p) {
    struct after_func *t = p;
    goc_time fired;
    goc_case k[2] = {{t->timer, GOC_RECV, &fired, 0}, {t->stop, GOC_RECV, NULL, 0}};
    int r = goc_select(k, 2, GOC_NEVER);
    rc_check(r == 0 || r == 1);
    if (r == 0) t->f();
    /* t and its channels stay allocated (Go's timers are garbage collected;
     * Stop may come after the firing) */
}
static struct after_func *go_after_func(int64_t ns, void (*f)(void)) {
    struct after_func *t = malloc(sizeof *t);
    rc_check(t != NULL);
    t->timer = goc_after(ns);
    t->stop = go_chan0(0);
    t->f = f;
    rc_check(t->timer != NULL);
    rc_go(after_func_task, t);
    return t;
}
static void go_after_stop(struct after_func *t) { rc_expect(goc_chan_close(t->stop), 0); }

static void af1_f(void) {
    ival--;
    if (ival >= 0) go_after_func(0, af1_f);
    else go_send(c, 1);
}
static void TestNoRaceAfterFunc1(void) {
    ival = 2;
    c = go_chan(0);
    go_after_func(0, af1_f);
    go_recv(c);
}

static void af2_f(void) { x = 1; }
static void TestNoRaceAfterFunc2(void) {
    x = 0;
    struct after_func *timer = go_after_func(10, af2_f);
    go_after_stop(timer); /* defer timer.Stop() */
}

static void af3_f1(void) {
    RC_SERIAL(x = 1);
    go_send(c, 1);
}
static void af3_f2(void) {
    RC_SERIAL(x = 2);
    go_send(c, 1);
}
static void TestNoRaceAfterFunc3(void) {
    c = go_chan(1);
    x = 0;
    go_after_func(10 * GO_MS, af3_f1);
    go_recv(c);
}
static void TestRaceAfterFunc3(void) {
    c = go_chan(2);
    x = 0;
    go_after_func(10 * GO_MS, af3_f1);
    go_after_func(20 * GO_MS, af3_f2);
    go_recv(c);
    go_recv(c);
}

/* TestRaceGoroutineCreationStack: f4 -> f3 -> f2 -> f1 (read by hand) */
static void cs_f1(void *p) {
    RC_SERIAL(x = 1);
    go_send(ch, 1);
}
static void cs_f2(void *p) { rc_go(cs_f1, NULL); }
static void cs_f3(void *p) { rc_go(cs_f2, NULL); }
static void cs_f4(void *p) { rc_go(cs_f3, NULL); }
static void TestRaceGoroutineCreationStack(void) {
    x = 0;
    ch = go_chan(1);
    rc_go(cs_f4, NULL);
    RC_SERIAL(x = 2);
    go_recv(ch);
}

/* A bad pointer in a mutex call must not corrupt the detector's state. */
static void TestNoRaceNilMutexCrash(void) {
    goc_mutex *mutex = goc_mutex_make();
    rc_check(mutex != NULL);
    panics = 0;
    goc_mutex *othermutex = NULL;
    if ((goc_mutex_lock)(othermutex) == -EINVAL) { /* othermutex.RLock() panics: recover */
        lock(mutex);
        panics++;
        unlock(mutex);
    } else {
        rc_check(!"no panic");
    }
    goc_mutex_free(mutex);
}

static const rc_case cases[] = {
    GO_NORACE(TestNoRaceCond, 0),
    GO_RACE(TestRaceCond),
    GO_RACE(TestRaceAnnounceThreads),
    GO_NORACE(TestNoRaceAfterFunc1, 0),
    GO_NORACE(TestNoRaceAfterFunc2, 0),
    GO_NORACE(TestNoRaceAfterFunc3, 0),
    GO_RACE(TestRaceAfterFunc3),
    GO_RACE(TestRaceGoroutineCreationStack),
    GO_NORACE(TestNoRaceNilMutexCrash, 0),
};
RC_MAIN_GO(cases)
