/*
 * ST09 mutex_contention (TESTING.md (c)): 8 tasks x N lock/unlock of one
 * goc_mutex guarding a plain counter (exact at the end), some iterations via
 * trylock; each task records its longest wait for the lock: no starvation
 * beyond 10 s. Then C22's fairness check against a 100 us hog.
 * Origins: Go sync TestMutex (HammerMutex), TestMutexFairness.
 */
#include "goc_testing.h"

enum { T = 8 };

struct st {
    goc_mutex *mu;
    long counter; /* plain: guarded by mu */
    long n;
    atomic_llong worst_wait; /* ns; relaxed max, read after the join */
};
static void worker(void *p) {
    struct st *s = p;
    int64_t worst = 0;
    for (long i = 0; i < s->n; i++) {
        goc_time t0 = i % 64 == 0 ? goc_now() : 0;
        if (i % 5 == 0 && goc_mutex_trylock(s->mu) == 0) {
            /* got it without blocking */
        } else {
            GT_ASSERT_OK(goc_mutex_lock(s->mu));
        }
        if (t0 && goc_now() - t0 > worst) worst = goc_now() - t0;
        s->counter++;
        GT_ASSERT_OK(goc_mutex_unlock(s->mu));
    }
    long long cur = atomic_load_explicit(&s->worst_wait, memory_order_relaxed);
    while (worst > cur &&
           !atomic_compare_exchange_weak_explicit(&s->worst_wait, &cur, worst, memory_order_relaxed, memory_order_relaxed)) {
    }
}

struct hog {
    goc_mutex *mu;
    goc_chan *stop;
};
static void hog(void *p) {
    struct hog h = *(struct hog *)p;
    for (;;) {
        GT_ASSERT_OK(goc_mutex_lock(h.mu));
        goc_sleep(goc_deadline(100000));
        GT_ASSERT_OK(goc_mutex_unlock(h.mu));
        if (goc_chan_recv(h.stop, NULL, GOC_NOW) == -EPIPE) return;
    }
}

static void st09(void) {
    struct st s = {goc_mutex_make(), 0, gt_n(100000, 100000), 0};
    GT_ASSERT_NOT_NULL(s.mu);
    gt_note("ST09 sizes: %d tasks x %ld lock/unlock", T, s.n);
    goc_time t0 = goc_now();
    gt_group *g = gt_group_make();
    for (int i = 0; i < T; i++) gt_group_go(g, worker, &s);
    gt_group_wait(g);
    GT_ASSERT_EQ(s.counter, T * s.n);
    long long worst = atomic_load_explicit(&s.worst_wait, memory_order_relaxed);
    gt_note("ST09: %.2f s, longest sampled wait for the lock %.3f ms", (goc_now() - t0) / 1e9, worst / 1e6);
    GT_ASSERT_LT(worst, 10000000000LL);

    /* fairness: 10 acquisitions within 10 s against a hog */
    goc_chan *stop = goc_chan_make(0, 0);
    GT_ASSERT_NOT_NULL(stop);
    struct hog h = {s.mu, stop};
    gt_go(hog, &h);
    t0 = goc_now();
    for (int i = 0; i < 10; i++) {
        goc_sleep(goc_deadline(100000));
        GT_ASSERT_OK(goc_mutex_lock(s.mu));
        GT_ASSERT_OK(goc_mutex_unlock(s.mu));
        GT_ASSERT_MSG(goc_now() - t0 < 10000000000LL, "starved: %d acquisitions in 10 s against a hog", i + 1);
    }
    gt_note("ST09: 10 acquisitions against a 100 us hog in %.1f ms", (goc_now() - t0) / 1e6);
    GT_ASSERT_OK(goc_chan_close(stop));
    gt_join_all();
    goc_chan_free(stop);
    goc_mutex_free(s.mu);
}

static void test_main(void) { gt_run("ST09_mutex_contention", st09); }

GT_MAIN(test_main)
