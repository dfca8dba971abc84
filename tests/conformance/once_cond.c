/*
 * Conformance C28-C29: the sync.Once and sync.Cond extensions
 * (backends/common/once_cond.c), on every backend.
 *   C28 once   Go src/sync/once_test.go (TestOnce: fn runs once, every Do
 *              returns after it; concurrent callers park), bad input
 *   C29 cond   Go src/sync/cond_test.go (TestCondSignal, TestCondBroadcast,
 *              TestRace: the condition-loop handshake), wait without the
 *              lock held (-EPERM, nothing changed), bad input
 */
#include "goc_testing.h"

#include <stdlib.h>

/* ------------------------------------------------------------- C28 -- */

struct once_arg {
    goc_once *once;
    atomic_int calls;
    int value; /* written by fn only: read by every caller after do */
    goc_chan *start;
};
static void once_fn(void *p) {
    struct once_arg *a = p;
    atomic_fetch_add_explicit(&a->calls, 1, memory_order_relaxed);
    gt_sleep_ms(5); /* the other callers arrive while fn runs and must park */
    a->value = 42;
}
static void once_caller(void *p) {
    struct once_arg *a = p;
    GT_ASSERT_ERR(goc_chan_recv(a->start, NULL, GOC_NEVER), -EPIPE);
    GT_ASSERT_OK(goc_once_do(a->once, once_fn, a));
    GT_ASSERT_EQ(a->value, 42); /* fn happens before every do returns */
}

static void c28_once(void) {
    GT_ASSERT_ERR(goc_once_do(NULL, once_fn, NULL), -EINVAL);
    goc_once_free(NULL);
    int tasks = (int)gt_n(16, 8);
    for (int round = 0; round < 3; round++) {
        struct once_arg a = {.once = goc_once_make(), .start = goc_chan_make(0, 0)};
        GT_ASSERT_NOT_NULL(a.once);
        GT_ASSERT_NOT_NULL(a.start);
        GT_ASSERT_ERR(goc_once_do(a.once, NULL, NULL), -EINVAL);
        for (int i = 0; i < tasks; i++) gt_go(once_caller, &a);
        GT_ASSERT_OK(goc_chan_close(a.start));
        gt_join_all();
        GT_ASSERT_EQ(atomic_load(&a.calls), 1);
        GT_ASSERT_OK(goc_once_do(a.once, once_fn, &a)); /* done: fn not called again */
        GT_ASSERT_EQ(atomic_load(&a.calls), 1);
        goc_once_free(a.once);
        goc_chan_free(a.start);
    }
}

/* ------------------------------------------------------------- C29 -- */

struct cond_arg {
    goc_mutex *mu;
    goc_cond *cond;
    int waiting, woken, go; /* guarded by mu */
    atomic_int out;         /* tasks that returned from the wait loop */
};

static void lock(goc_mutex *m) { GT_ASSERT_OK(goc_mutex_lock(m)); }
static void unlock(goc_mutex *m) { GT_ASSERT_OK(goc_mutex_unlock(m)); }

/* waits once (no condition loop: there are no spurious wakeups) */
static void cond_waiter_once(void *p) {
    struct cond_arg *a = p;
    lock(a->mu);
    a->waiting++;
    GT_ASSERT_OK(goc_cond_wait(a->cond));
    a->woken++;
    unlock(a->mu);
    atomic_fetch_add(&a->out, 1);
}
static int waiting(struct cond_arg *a) {
    lock(a->mu);
    int n = a->waiting;
    unlock(a->mu);
    return n;
}
static void wait_waiting(struct cond_arg *a, int n) {
    goc_time end = goc_deadline(10000000000LL);
    while (waiting(a) < n) {
        GT_ASSERT_MSG(goc_now() < end, "waiters never arrived");
        gt_sleep_ms(1);
    }
}
static void wait_out(struct cond_arg *a, int n) {
    goc_time end = goc_deadline(10000000000LL);
    while (atomic_load(&a->out) < n) {
        GT_ASSERT_MSG(goc_now() < end, "woken waiters never returned");
        gt_sleep_ms(1);
    }
}

/* the condition-loop handshake of Go's TestRace */
static void cond_ping(void *p) {
    struct cond_arg *a = p;
    for (int i = 0; i < 100; i++) {
        lock(a->mu);
        while (a->go != 1) GT_ASSERT_OK(goc_cond_wait(a->cond));
        a->go = 2;
        GT_ASSERT_OK(goc_cond_signal(a->cond));
        unlock(a->mu);
    }
}

static void c29_cond(void) {
    GT_ASSERT_NULL_ERRNO(goc_cond_make(NULL), EINVAL);
    GT_ASSERT_ERR(goc_cond_wait(NULL), -EINVAL);
    GT_ASSERT_ERR(goc_cond_signal(NULL), -EINVAL);
    GT_ASSERT_ERR(goc_cond_broadcast(NULL), -EINVAL);
    goc_cond_free(NULL);

    struct cond_arg a = {.mu = goc_mutex_make()};
    GT_ASSERT_NOT_NULL(a.mu);
    a.cond = goc_cond_make(a.mu);
    GT_ASSERT_NOT_NULL(a.cond);
    GT_ASSERT_OK(goc_cond_signal(a.cond)); /* no waiter: no effect */
    GT_ASSERT_OK(goc_cond_broadcast(a.cond));

    /* Signal wakes exactly one waiter at a time (TestCondSignal). */
    enum { N = 4 };
    for (int i = 0; i < N; i++) gt_go(cond_waiter_once, &a);
    wait_waiting(&a, N);
    for (int i = 1; i <= N; i++) {
        GT_ASSERT_OK(goc_cond_signal(a.cond));
        wait_out(&a, i);
        gt_sleep_ms(2);
        GT_ASSERT_EQ(atomic_load(&a.out), i); /* one signal, one waiter */
    }
    gt_join_all();

    /* Broadcast wakes every waiter (TestCondBroadcast). */
    a.waiting = a.woken = 0;
    atomic_store(&a.out, 0);
    for (int i = 0; i < N; i++) gt_go(cond_waiter_once, &a);
    wait_waiting(&a, N);
    GT_ASSERT_OK(goc_cond_broadcast(a.cond));
    wait_out(&a, N);
    gt_join_all();
    GT_ASSERT_EQ(a.woken, N);

    /* A signal sent while a waiter holds no lock yet is not lost: the
     * condition loop handshake, 100 rounds (Go's TestRace). */
    a.go = 0;
    gt_go(cond_ping, &a);
    for (int i = 0; i < 100; i++) {
        lock(a.mu);
        a.go = 1;
        GT_ASSERT_OK(goc_cond_signal(a.cond));
        while (a.go != 2) GT_ASSERT_OK(goc_cond_wait(a.cond));
        unlock(a.mu);
    }
    gt_join_all();

    /* wait without holding l: -EPERM, and the cond keeps no waiter */
    GT_ASSERT_ERR(goc_cond_wait(a.cond), -EPERM);
    goc_cond_free(a.cond);
    goc_mutex_free(a.mu);
}

static void test_main(void) {
    gt_run("C28_once", c28_once);
    gt_run("C29_cond", c29_cond);
}
GT_MAIN(test_main)
