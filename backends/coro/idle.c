/*
 * idle.c: idle and wake: wakep, coro_ready, the idle list, spinning, and
 * parking an idle worker (futex, or epoll_wait as the poller).
 *
 * Idle/wake protocol (no lost wakeup). The state is nidle (workers on the
 * idle list), nspinning (workers looking for work without parking) and the
 * run queues. A waker (coro_ready, spawn) does
 *      W1: publish the task (queue tail / runnext / gsize: seq_cst)
 *      W2: if nidle > 0 and nspinning == 0: claim nspinning 0 -> 1 and wake
 *          one idle worker (wakep)                       (seq_cst loads/CAS)
 * and a worker going idle does
 *      I1: nspinning-- if it was spinning                 (seq_cst)
 *      I2: push itself on the idle list, nidle++          (seq_cst)
 *      I3: re-check every queue, timers and fds           (seq_cst loads)
 *      I4: sleep on its futex word (or in epoll_wait)
 * The lost wakeup would be: W2 reads nidle == 0 before I2, and I3 reads the
 * queue before W1. All four are seq_cst, so in the single total order either
 * W1 < I3 (the worker sees the task) or I2 < W2 (the waker sees the idle
 * worker). The same argument with I1/W2 covers "a spinner exists, so the
 * waker does not wake anyone": that spinner's I3 comes after its I1, after
 * W2's read of nspinning, hence after W1. Timers use the same shape
 * (coro_timer_added: heap next_when store, then load of poller/nidle).
 */
#include "coro.h"
#include "goc_tsan_hide.h" /* precise build: this file is uninstrumented */
#include "coro_sched.h"

/* ---------------------------------------------------------- idle/wake -- */

/* Wakes one parked worker, as a spinner, if nobody is spinning (Go's wakep). */
void coro_wakep(void) {
    /* seq_cst: W2 of the idle protocol */
    if (atomic_load_explicit(&S.nidle, memory_order_seq_cst) == 0) return;
    int z = 0;
    if (atomic_load_explicit(&S.nspinning, memory_order_seq_cst) != 0 ||
        !atomic_compare_exchange_strong_explicit(&S.nspinning, &z, 1, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return;
    goc__lock_acquire(&S.idle_lock);
    coro_worker *w = S.idle;
    if (!w) {
        goc__lock_release(&S.idle_lock);
        atomic_fetch_sub_explicit(&S.nspinning, 1, memory_order_seq_cst);
        return;
    }
    S.idle = w->idle_next;
    w->in_idle = false;
    w->spinning = true; /* it owns the nspinning we took */
    atomic_store_explicit(&S.nidle, atomic_load_explicit(&S.nidle, memory_order_relaxed) - 1,
                          memory_order_seq_cst);
    int mode = w->park_mode;
    if (mode == PARK_FUTEX)
        /* release: pairs with the acquire load in the parked worker's loop */
        atomic_store_explicit(&w->park_word, 0, memory_order_release);
    goc__lock_release(&S.idle_lock);
    if (mode == PARK_FUTEX) goc__futex_wake(&w->park_word, 1);
    else coro_netpoll_break();
}

/* A worker readies into its own runnext and wakes an idle worker only when
 * that queued something (the previous runnext went to the tail). A task that
 * only filled runnext is run by this worker as soon as the running task
 * parks or exits (a channel handoff, a spawn followed by a wait): waking
 * another worker for it costs a futex wake and a core spinning for nothing,
 * since a thief leaves a busy worker's runnext alone anyway (runq_grab). If
 * the running task keeps its worker instead, idle workers find the stuck
 * runnext at their next tick (SYSMON_NS, runnext_stuck) and steal it.
 * Threads that are not workers queue globally and always wake. */
void coro_ready(coro_task *t) {
    coro_worker *w = coro_worker_self();
    note_progress(w);
    if (w) {
        if (!runq_put(w, t, true)) return;
    } else {
        t->next = NULL;
        coro_global_put(t, t, 1);
    }
    coro_wakep();
}

void coro_timer_added(goc_time when) {
    /* The heap's next_when was stored seq_cst before this (timer.c). */
    note_progress(coro_worker_self());
    if (atomic_load_explicit(&S.poller, memory_order_seq_cst)) {
        if (when < atomic_load_explicit(&S.poll_until, memory_order_seq_cst)) coro_netpoll_break();
    } else {
        coro_wakep();
    }
}

void coro_poll_added(void) {
    /* seq_cst: coro_nfdwait was incremented (seq_cst) before; pairs with the
     * re-check of an idle worker (work_visible). A running poller sees the
     * new registration by itself. */
    if (!atomic_load_explicit(&S.poller, memory_order_seq_cst)) coro_wakep();
}


void coro_reset_spinning(coro_worker *w) {
    if (!w->spinning) return;
    w->spinning = false;
    /* Go: the last spinner that found work wakes another, so that the work
     * that may remain gets a thread. */
    if (atomic_fetch_sub_explicit(&S.nspinning, 1, memory_order_seq_cst) == 1) coro_wakep();
}

/* Removes w from the idle list if still there; false if a waker took it
 * (then w is spinning on the waker's account). */
bool coro_unidle(coro_worker *w) {
    bool was = false;
    goc__lock_acquire(&S.idle_lock);
    if (w->in_idle) {
        coro_worker **pp = &S.idle;
        while (*pp != w) pp = &(*pp)->idle_next;
        *pp = w->idle_next;
        w->in_idle = false;
        atomic_store_explicit(&S.nidle, atomic_load_explicit(&S.nidle, memory_order_relaxed) - 1,
                              memory_order_seq_cst);
        was = true;
    }
    if (w->park_mode == PARK_POLL) {
        atomic_store_explicit(&S.poll_until, INT64_MAX, memory_order_seq_cst);
        atomic_store_explicit(&S.poller, 0, memory_order_seq_cst);
    }
    w->park_mode = PARK_FUTEX;
    goc__lock_release(&S.idle_lock);
    return was;
}

bool coro_work_visible(coro_worker *w, int mode) {
    if (atomic_load_explicit(&S.gsize, memory_order_seq_cst)) return true;
    for (int i = 0; i < S.nprocs; i++)
        if (!coro_runq_empty(&S.w[i])) return true;
    if (coro_timers_next() <= goc_now()) return true;
    /* timers or fds appeared but nobody polls: become the poller */
    if (mode == PARK_FUTEX && !atomic_load_explicit(&S.poller, memory_order_seq_cst) &&
        (atomic_load_explicit(&coro_ntimers, memory_order_seq_cst) ||
         atomic_load_explicit(&coro_nfdwait, memory_order_seq_cst)))
        return true;
    (void)w;
    return false;
}

/* Some other worker holds a runnext while it runs a task (the idle tick's
 * check; relaxed hints, runq_grab decides). */
bool coro_runnext_stuck(coro_worker *w) {
    for (int i = 0; i < S.nprocs; i++) {
        coro_worker *v = &S.w[i];
        if (v != w && atomic_load_explicit(&v->runnext, memory_order_relaxed) &&
            atomic_load_explicit(&v->in_task, memory_order_relaxed))
            return true;
    }
    return false;
}


/* Parks w (find_runnable found nothing): the I1-I4 steps of the protocol at
 * the top of this file. False: the runtime is stopping. True: look again
 * (woken by wakep as a spinner, by the idle tick, or by the re-check). */
bool coro_idle_park(coro_worker *w) {
    /* Park. I1: stop spinning. */
    if (w->spinning) {
        w->spinning = false;
        atomic_fetch_sub_explicit(&S.nspinning, 1, memory_order_seq_cst);
    }
    /* I2: publish ourselves idle; choose the poller role if it is free
     * and there is something to poll for. */
    goc__lock_acquire(&S.idle_lock);
    int mode = PARK_FUTEX;
    if (!atomic_load_explicit(&S.poller, memory_order_relaxed) &&
        (atomic_load_explicit(&coro_ntimers, memory_order_seq_cst) ||
         atomic_load_explicit(&coro_nfdwait, memory_order_seq_cst))) {
        mode = PARK_POLL;
        atomic_store_explicit(&S.poller, 1, memory_order_seq_cst);
    }
    w->park_mode = mode;
    atomic_store_explicit(&w->park_word, 1, memory_order_relaxed);
    w->in_idle = true;
    w->idle_next = S.idle;
    S.idle = w;
    atomic_store_explicit(&S.nidle, atomic_load_explicit(&S.nidle, memory_order_relaxed) + 1,
                          memory_order_seq_cst);
    goc__lock_release(&S.idle_lock);

    /* I3: re-check. */
    if (coro_work_visible(w, mode) || atomic_load_explicit(&S.stop, memory_order_acquire)) {
        coro_unidle(w); /* if a waker took us off the list, we spin on its account */
        return true;
    }

    if (mode == PARK_POLL) {
        /* Timeout protocol with coro_timer_added: poll_until = 0 while
         * we compute, then the deadline we sleep to. */
        atomic_store_explicit(&S.poll_until, 0, memory_order_seq_cst);
        goc_time next = coro_timers_next();
        goc_time z = 0;
        int64_t timeout = -1;
        if (next != INT64_MAX) {
            goc_time n2 = goc_now();
            timeout = next > n2 ? next - n2 : 0;
        }
        if (!atomic_compare_exchange_strong_explicit(&S.poll_until, &z, next,
                                                     memory_order_seq_cst,
                                                     memory_order_relaxed))
            timeout = 0;
        /* the idle tick (see the futex park below) */
        if (timeout < 0 || timeout > SYSMON_NS) timeout = SYSMON_NS;
        coro_netpoll(timeout);
        coro_unidle(w); /* also gives up the poller role */
        return true;
    }

    /* I4: futex park, with the deadlock check by the last worker in. */
    if (coro_detector_enabled() && coro_all_asleep()) {
        uint64_t pr = coro_progress_sum();
        goc__futex_wait(&w->park_word, 1, goc_now() + DEADLOCK_GRACE_NS);
        if (atomic_load_explicit(&w->park_word, memory_order_acquire) == 1 && coro_all_asleep() &&
            coro_progress_sum() == pr)
            coro_declare_deadlock();
    }
    /* acquire: pairs with wakep's release store of 0. Ticks every
     * SYSMON_NS: a worker's runnext that no wakep announced (coro_ready)
     * stays stuck while the task that readied it keeps running. */
    bool tick = false;
    while (atomic_load_explicit(&w->park_word, memory_order_acquire) == 1) {
        if (atomic_load_explicit(&S.stop, memory_order_acquire)) break;
        goc__futex_wait(&w->park_word, 1, goc_now() + SYSMON_NS);
        if (atomic_load_explicit(&w->park_word, memory_order_acquire) == 1 && coro_runnext_stuck(w)) {
            tick = true;
            break;
        }
    }
    if (atomic_load_explicit(&S.stop, memory_order_acquire)) return false;
    if (tick) coro_unidle(w); /* look (and steal) as any worker would; if a
                            waker took us meanwhile we spin on its account */
    /* else woken by wakep: we are a spinner now (w->spinning set by it) */
    return true;
}

GOC_TSAN_HIDE_FILE_END
