/* Beyond Go's suite (races/go/README.md): detector rows for the article's
 * race pitfall (the shared counter), Go's WaitGroup misuse (a Done that
 * would make the counter negative, an Add after Wait started) and the
 * goc_once / goc_cond extensions. Same conventions as the ports
 * (go_port.h); the verdict is in the name. */
#include <stdatomic.h>

#include "go_port.h"

int counter, x, data;
goc_mutex *mu;
goc_chan *lockc;
goc_wg *wg;
goc_once *once;
goc_cond *cond;
atomic_int woke, ready;

enum { WORKERS = 4, INCS = 100 };

/* The article's counter: WORKERS tasks do counter++ INCS times. */
static void counter_racy(void *p) {
    for (int i = 0; i < INCS; i++) RC_SERIAL(counter++);
}
static void TestRaceArticleCounter(void) {
    counter = 0;
    for (int i = 0; i < WORKERS; i++) rc_go(counter_racy, NULL);
    rc_join();
}
static void counter_mutex(void *p) {
    for (int i = 0; i < INCS; i++) {
        rc_expect(goc_mutex_lock(mu), 0);
        counter++;
        rc_expect(goc_mutex_unlock(mu), 0);
    }
}
static void TestNoRaceArticleCounterMutex(void) {
    counter = 0;
    mu = goc_mutex_make();
    rc_check(mu != NULL);
    for (int i = 0; i < WORKERS; i++) rc_go(counter_mutex, NULL);
    rc_join();
    rc_check(counter == WORKERS * INCS);
}
static void counter_chan(void *p) {
    for (int i = 0; i < INCS; i++) {
        go_send0(lockc); /* a cap-1 channel as the lock */
        counter++;
        rc_expect(goc_chan_recv(lockc, NULL, GOC_NEVER), 0);
    }
}
static void TestNoRaceArticleCounterChan(void) {
    counter = 0;
    lockc = go_chan0(1);
    for (int i = 0; i < WORKERS; i++) rc_go(counter_chan, NULL);
    rc_join();
    rc_check(counter == WORKERS * INCS);
}

/* wg.Done() on a zero counter: Go panics, goc returns -EINVAL; either way
 * it releases nothing, so the Wait that returns on the zero counter orders
 * nothing. */
static void neg_g(void *p) {
    RC_SERIAL(x = 1);
    rc_expect(goc_wg_done(wg), -EINVAL);
    atomic_store_explicit(&ready, 1, memory_order_relaxed); /* no edge */
}
static void TestRaceWaitGroupNegativeCounter(void) {
    x = 0;
    wg = goc_wg_make();
    rc_check(wg != NULL);
    atomic_store(&ready, 0);
    rc_go(neg_g, NULL);
    while (!atomic_load_explicit(&ready, memory_order_relaxed)) goc_yield();
    rc_expect(goc_wg_wait(wg, GOC_NEVER), 0);
    RC_SERIAL(x = 2);
}

/* Add after Wait started: the Wait already returned on the zero counter,
 * so the late task's Done orders nothing before the waiter's access. */
static void late_g(void *p) {
    while (!atomic_load_explicit(&ready, memory_order_relaxed)) goc_yield(); /* Wait is done */
    rc_expect(goc_wg_add(wg, 1), 0);
    RC_SERIAL(x = 1);
    rc_expect(goc_wg_done(wg), 0);
}
static void TestRaceWaitGroupAddAfterWait(void) {
    x = 0;
    wg = goc_wg_make();
    rc_check(wg != NULL);
    atomic_store(&ready, 0);
    rc_go(late_g, NULL);
    rc_expect(goc_wg_wait(wg, GOC_NEVER), 0);
    atomic_store_explicit(&ready, 1, memory_order_relaxed);
    RC_SERIAL(x = 2);
}

/* goc_once: fn's writes happen before every do returns. */
static void once_f(void *p) { data = 42; }
static void once_g(void *p) {
    rc_expect(goc_once_do(once, once_f, NULL), 0);
    rc_check(data == 42);
}
static void TestNoRaceOnce(void) {
    data = 0;
    once = goc_once_make();
    rc_check(once != NULL);
    for (int i = 0; i < WORKERS; i++) rc_go(once_g, NULL);
    rc_expect(goc_once_do(once, once_f, NULL), 0);
    rc_check(data == 42);
}
/* ... but a task that skips Do is not ordered with fn. */
static void once_w(void *p) { RC_SERIAL(data = 1); }
static void once_f2(void *p) { RC_SERIAL(data = 2); }
static void TestRaceOnceSkipped(void) {
    data = 0;
    once = goc_once_make();
    rc_check(once != NULL);
    rc_go(once_w, NULL);
    rc_expect(goc_once_do(once, once_f2, NULL), 0);
}

/* goc_cond: the lock's edges order the data (broadcast under the lock). */
static void cond_waiter(void *p) {
    rc_expect(goc_mutex_lock(mu), 0);
    while (data == 0) rc_expect(goc_cond_wait(cond), 0);
    rc_check(data == 42);
    rc_expect(goc_mutex_unlock(mu), 0);
}
static void TestNoRaceCondBroadcast(void) {
    data = 0;
    mu = goc_mutex_make();
    rc_check(mu != NULL);
    cond = goc_cond_make(mu);
    rc_check(cond != NULL);
    for (int i = 0; i < WORKERS; i++) rc_go(cond_waiter, NULL);
    rc_expect(goc_mutex_lock(mu), 0);
    data = 42;
    rc_expect(goc_cond_broadcast(cond), 0);
    rc_expect(goc_mutex_unlock(mu), 0);
}
/* A signal orders nothing by itself (Go's Cond has no edge of its own): a
 * signaler that never takes the lock is not ordered with the woken waiter. */
static void signaled(void *p) {
    rc_expect(goc_mutex_lock(mu), 0);
    rc_expect(goc_cond_wait(cond), 0); /* once: only the signal wakes it */
    rc_expect(goc_mutex_unlock(mu), 0);
    atomic_store_explicit(&woke, 1, memory_order_relaxed); /* no edge */
    RC_SERIAL((void)*(volatile int *)&data);
}
static void TestRaceCondSignalWithoutLock(void) {
    data = 0;
    atomic_store(&woke, 0);
    mu = goc_mutex_make();
    rc_check(mu != NULL);
    cond = goc_cond_make(mu);
    rc_check(cond != NULL);
    rc_go(signaled, NULL);
    RC_SERIAL(data = 42);
    /* Until it woke, signalling every 100 us rather than at every yield:
     * this loop runs after our racy write and before the waiter's read,
     * and every turn adds to this thread's TSan history; when the part of
     * the history holding that write is recycled (history_size), TSan
     * cannot restore its stack and drops the race without a word (the v3
     * runtime's ReportRace). With a yield per turn, the likely cause of
     * "no race" in 2 of 10 runs on pthread (tsan-precise) once, in a
     * whole-job run where the races stage's load delayed the waiter. */
    while (!atomic_load_explicit(&woke, memory_order_relaxed)) {
        rc_expect(goc_cond_signal(cond), 0);
        goc_sleep(goc_deadline(100 * 1000));
    }
}

static const rc_case cases[] = {
    GO_RACE(TestRaceArticleCounter),
    GO_NORACE(TestNoRaceArticleCounterMutex, 0),
    GO_NORACE(TestNoRaceArticleCounterChan, 1),
    GO_RACE(TestRaceWaitGroupNegativeCounter),
    GO_RACE(TestRaceWaitGroupAddAfterWait),
    GO_NORACE(TestNoRaceOnce, 0),
    GO_RACE(TestRaceOnceSkipped),
    GO_NORACE(TestNoRaceCondBroadcast, 0),
    GO_RACE(TestRaceCondSignalWithoutLock),
};
RC_MAIN_GO(cases)
