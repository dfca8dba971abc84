/*
 * Regressions of issue 12 in goc_mutex and goc_wg misuse.
 *   D6  double unlock of a contended mutex: the second unlock must be
 *       -EPERM (goc.h) while the first one's handoff is in flight, never a
 *       second handoff (coro, pthread in starving mode: two owners).
 *       Odd rounds first put the mutex in Go's starvation mode: the root
 *       unlocks and at once locks again, so the woken waiter (waiting > 1
 *       ms) loses, switches the mutex to direct handoff and queues again;
 *       the root's next unlock then hands the mutex over with it unlocked
 *       until the waiter runs (coro: planting a second handoff back makes
 *       the odd rounds fail with two owners).
 *   D7  goc_wg_add(wg, INT64_MAX) and friends: a clear error (-EOVERFLOW
 *       beyond GOC_WG_MAX, -EINVAL below zero) with the counter unchanged,
 *       and no signed overflow (UBSan in the asan build).
 */
#include "goc_testing.h"

struct owner_arg {
    goc_mutex *mu;
    atomic_int *inside, *overlap, *bad_unlock, *finished;
};

static void contender(void *p) {
    struct owner_arg *a = p;
    GT_ASSERT_OK(goc_mutex_lock(a->mu));
    if (atomic_fetch_add(a->inside, 1) != 0) atomic_store(a->overlap, 1);
    gt_sleep_ms(20);
    atomic_fetch_sub(a->inside, 1);
    /* -EPERM only if the root's second unlock released our lock (below) */
    if (goc_mutex_unlock(a->mu) != 0) atomic_store(a->bad_unlock, 1);
    atomic_fetch_add(a->finished, 1);
}

static void d6_double_unlock_contended(void) {
#ifdef GOC_DEBUG
    gt_skip("debug builds abort on an unlock of an unlocked mutex (by design)");
    return;
#endif
    /* when the woken waiter takes the mutex before the second unlock, that
     * unlock releases the waiter's lock: an unlock by another task, which
     * goc allows (Go does) and every build models (goc_tsan_mu.h) */
    int rounds = 10, eperm[2] = {0, 0}; /* by round parity */
    for (int i = 0; i < rounds; i++) {
        goc_mutex *mu = goc_mutex_make();
        GT_ASSERT_NOT_NULL(mu);
        atomic_int inside = 0, overlap = 0, bad_unlock = 0, finished = 0;
        struct owner_arg a = {mu, &inside, &overlap, &bad_unlock, &finished};
        GT_ASSERT_OK(goc_mutex_lock(mu));
        gt_go(contender, &a);
        gt_go(contender, &a);
        GT_ASSERT(gt_wait_blocked(mu, 2, 10000000000LL));
        gt_sleep_ms(5); /* > 1 ms: Go's starvation mode (direct handoff) */
        if (i % 2) {
            /* the woken waiter loses to this relock and goes starving; the
             * relock may instead wait for a contender that won (P > 1) */
            GT_ASSERT_OK(goc_mutex_unlock(mu));
            GT_ASSERT_OK(goc_mutex_lock(mu));
            goc_time end = goc_deadline(10000000000LL);
            while (gt_waiters_on(mu) < (size_t)(2 - atomic_load(&finished))) {
                GT_ASSERT_MSG(goc_now() < end, "round %d: the contenders did not wait again", i);
                gt_sleep_ms(1);
            }
            gt_sleep_ms(2);
        }
        GT_ASSERT_OK(goc_mutex_unlock(mu));
        int r2 = goc_mutex_unlock(mu);
        /* 0 only if the waiter handed the mutex had already taken it (then
         * this unlocks its lock, which Go allows); never a second handoff */
        GT_ASSERT_MSG(r2 == -EPERM || r2 == 0, "second unlock returned %d (%s)", r2, gt_errname(r2));
        gt_join_all();
        if (r2 == -EPERM) {
            eperm[i % 2]++;
            GT_ASSERT_MSG(!atomic_load(&overlap), "round %d: two tasks held the mutex at once", i);
            GT_ASSERT_MSG(!atomic_load(&bad_unlock), "round %d: an owner's unlock failed", i);
        }
        goc_mutex_free(mu);
    }
    gt_note("D6: second unlock -EPERM in %d of %d rounds, %d of %d after the relock", eperm[0] + eperm[1],
            rounds, eperm[1], rounds / 2);
    /* the second unlock follows the first at once, while the woken waiter
     * is still on its way: it must see an unlocked mutex at least once, in
     * both kinds of round (a second handoff returns 0) */
    GT_ASSERT_GT(eperm[0], 0);
    GT_ASSERT_GT(eperm[1], 0);
}

static void d7_wg_overflow(void) {
#ifdef GOC_DEBUG
    gt_skip("debug builds abort on WaitGroup misuse (by design)");
    return;
#endif
    goc_wg *wg = goc_wg_make();
    GT_ASSERT_NOT_NULL(wg);
    GT_ASSERT_OK(goc_wg_add(wg, 1));
    GT_ASSERT_ERR(goc_wg_add(wg, INT64_MAX), -EOVERFLOW);
    GT_ASSERT_ERR(goc_wg_add(wg, INT64_MAX), -EOVERFLOW);
    GT_ASSERT_ERR(goc_wg_add(wg, GOC_WG_MAX), -EOVERFLOW);
    GT_ASSERT_ERR(goc_wg_add(wg, INT64_MIN), -EINVAL);
    GT_ASSERT_ERR(goc_wg_add(wg, -2), -EINVAL);
    GT_ASSERT_ERR(goc_wg_wait(wg, GOC_NOW), -EAGAIN); /* still 1 */
    GT_ASSERT_OK(goc_wg_add(wg, GOC_WG_MAX - 1));     /* exactly the maximum */
    GT_ASSERT_ERR(goc_wg_add(wg, 1), -EOVERFLOW);
    GT_ASSERT_ERR(goc_wg_add(wg, INT64_MAX), -EOVERFLOW);
    GT_ASSERT_OK(goc_wg_add(wg, -(GOC_WG_MAX - 1)));
    GT_ASSERT_ERR(goc_wg_wait(wg, GOC_NOW), -EAGAIN);
    GT_ASSERT_OK(goc_wg_done(wg));
    GT_ASSERT_OK(goc_wg_wait(wg, GOC_NOW)); /* nothing was changed by the errors */
    GT_ASSERT_ERR(goc_wg_add(wg, INT64_MAX), -EOVERFLOW);
    GT_ASSERT_OK(goc_wg_wait(wg, GOC_NOW));
    goc_wg_free(wg);
}

static void test_main(void) {
    gt_run("D6_double_unlock_contended", d6_double_unlock_contended);
    gt_run("D7_wg_overflow", d7_wg_overflow);
}
GT_MAIN(test_main)
