/*
 * deadlock.c: the deadlock detector (README.md "Deadlock detector") and the
 * end of goc_main's root task.
 */
#include <stdio.h>

#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */
#include "coro_sched.h"

/* Monotonic sum of every ready so far: unchanged over the detector's grace
 * period means nothing was readied meanwhile. */
uint64_t coro_progress_sum(void) {
    uint64_t n = atomic_load_explicit(&S.progress, memory_order_seq_cst);
    for (int i = 0, nw = coro_nw(); i < nw; i++)
        n += atomic_load_explicit(&S.w[i].nready, memory_order_seq_cst);
    return n;
}

/* --------------------------------------------------------- the detector -- */

bool coro_all_asleep(void) {
    if (!atomic_load_explicit(&S.main_running, memory_order_seq_cst)) return false;
    if (!atomic_load_explicit(&S.root_queued, memory_order_seq_cst)) return false;
    if (atomic_load_explicit(&S.deadlocked, memory_order_seq_cst)) return false;
    if (atomic_load_explicit(&S.main_done, memory_order_seq_cst) != 0) return false;
    /* every worker idle or spare (a blocked one runs a task) */
    if (atomic_load_explicit(&S.nidle, memory_order_seq_cst) +
            atomic_load_explicit(&S.nspare, memory_order_seq_cst) != coro_nw())
        return false;
    if (atomic_load_explicit(&S.nspinning, memory_order_seq_cst) != 0) return false;
    if (atomic_load_explicit(&S.gsize, memory_order_seq_cst) != 0) return false;
    if (coro_timers_pending()) return false;
    if (atomic_load_explicit(&coro_nfdwait, memory_order_seq_cst) != 0) return false;
    if (atomic_load_explicit(&S.nforeign, memory_order_seq_cst) != 0) return false;
    if (atomic_load_explicit(&S.poller, memory_order_seq_cst) != 0) return false;
    for (int i = 0, nw = coro_nw(); i < nw; i++)
        if (!coro_runq_empty(&S.w[i])) return false;
    return true;
}

void coro_declare_deadlock(void) {
    int z = 0;
    if (!atomic_compare_exchange_strong_explicit(&S.deadlocked, &z, 1, memory_order_acq_rel,
                                                 memory_order_relaxed))
        return;
    if (atomic_load_explicit(&S.main_done, memory_order_acquire) != 0) return;
    /* Print first, then decide: the root cannot finish meanwhile (nothing
     * runs), and if it somehow did, its CAS wins and we report nothing more. */
    fprintf(stderr, "fatal error: all tasks are asleep - deadlock!\n"
                    "(goc coro: every task is blocked on a channel, mutex, WaitGroup or "
                    "select without deadline; no timer, fd wait or foreign thread can wake "
                    "one)\n\n");
    goc_tasks_report(stderr);
    fflush(stderr);
    coro_finish_main(2);
}

bool coro_detector_enabled(void) { return S.detector; }


/* main_done: 0 while the root runs; 1 when it returned; 2 when the detector
 * declared a deadlock. The first CAS wins (the root may return while the
 * detector is deciding); release pairs with goc_main's acquire load. */
bool coro_finish_main(uint32_t how) {
    uint32_t z = 0;
    if (!atomic_compare_exchange_strong_explicit(&S.main_done, &z, how, memory_order_acq_rel,
                                                 memory_order_relaxed))
        return false;
    goc__futex_wake(&S.main_done, 1);
    return true;
}

void coro_main_finished(coro_task *t) {
    if (t->run_id != atomic_load_explicit(&S.run_id, memory_order_relaxed)) return;
    coro_finish_main(1);
}

GOC_RACE_FILE_END
