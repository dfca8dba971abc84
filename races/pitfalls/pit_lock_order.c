/*
 * Pitfall: lock-order inversion (a potential deadlock). Task 1 locks A then
 * B; later task 2 locks B then A. Run one after the other, nothing hangs,
 * but TSan's deadlock detector (detect_deadlocks, on by default) reports
 * "lock-order-inversion (potential deadlock)" from the cycle A->B->A in its
 * lock graph; it sees goc_mutex because backends announce it with
 * __tsan_mutex_* (natural TSan build).
 *   inversion_buggy   A->B then B->A
 *   ordered_fixed     both tasks lock A before B
 */
#include "pit_common.h"

static goc_mutex *A, *B;
static goc_wg *wg;
static int shared;

static void locker(void *p) {
    int b_first = (int)(intptr_t)p;
    goc_mutex *first = b_first ? B : A, *second = b_first ? A : B;
    goc_mutex_lock(first);
    goc_mutex_lock(second);
    shared++;
    goc_mutex_unlock(second);
    goc_mutex_unlock(first);
    goc_wg_done(wg);
}
static int run(int fixed) {
    A = goc_mutex_make();
    B = goc_mutex_make();
    wg = goc_wg_make();
    PIT_CHECK(A && B && wg);
    for (int t = 0; t < 2; t++) { /* sequential: never actually deadlocks */
        goc_wg_add(wg, 1);
        int b_first = !fixed && t == 1;
        PIT_CHECK(goc_go(locker, (void *)(intptr_t)b_first) == 0);
        goc_wg_wait(wg, GOC_NEVER); /* task t is done before task t + 1 starts */
    }
    PIT_CHECK(shared == 2);
    goc_mutex_free(A);
    goc_mutex_free(B);
    goc_wg_free(wg);
    printf("pitfall: both lock sequences completed (shared = %d)\n", shared);
    return 0;
}
static int inversion_buggy(void) { return run(0); }
static int ordered_fixed(void) { return run(1); }

static const pit_mode modes[] = {
    {"inversion_buggy", inversion_buggy},
    {"ordered_fixed", ordered_fixed},
};
PIT_MAIN(modes)
