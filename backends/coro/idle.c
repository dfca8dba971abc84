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
 * That argument makes sure the poller is told (or sees the timer); it
 * cannot make the OS run the poller thread at its deadline. On a loaded
 * machine a runnable poller waited 120-250 ms for a CPU, holding the
 * poller role, while sysmon ran: so sysmon also gets timers that are
 * SYSMON_STUCK_NS overdue while a poller exists run by another thread
 * (coro_late_poller_rescue, sysmon.c). That is only an extra wake: the
 * steps above are unchanged.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */
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
    stat_self(ST_WAKES, 1);
    tlog_self(CORO_EV_WAKE, (uint32_t)w->id, 0);
    if (mode == PARK_FUTEX) goc__futex_wake(&w->park_word, 1);
    else coro_netpoll_break();
}

/* A worker readies into its own runnext and wakes an idle worker only when
 * that queued something (the previous runnext went to the tail). A task that
 * only filled runnext is run by this worker as soon as the running task
 * parks or exits (a channel handoff, a spawn followed by a wait): waking
 * another worker for it costs a futex wake and a core spinning for nothing,
 * since a thief leaves a busy worker's runnext alone anyway (runq_grab). If
 * the running task keeps its worker instead, sysmon sees the runnext stuck
 * behind it (one SYSMON_TICK_NS or two) and wakes a worker to steal it.
 * Threads that are not workers, and blocked workers, queue globally and
 * always wake. */
void coro_ready(coro_task *t) {
    coro_worker *w = coro_worker_self();
    note_progress(w);
    /* A worker sysmon replaced (BLOCKED) runs no task until its stuck one
     * returns: what that task readies queues globally, for the others (a
     * task left in its runnext was seen by nobody: sysmon_check watches RUN
     * workers, and no thief was woken; coro_sysmon T_blocked_ready). */
    if (w && GOC_LIKELY(atomic_load_explicit(&w->state, memory_order_relaxed) == CORO_W_RUN)) {
        if (!runq_put(w, t, true)) return;
        stat(w, ST_READY_Q, 1);
    } else {
        t->next = NULL;
        coro_global_put(t, t, 1);
    }
    coro_wakep();
}

/* Timer/poller protocol. The poller stores poll_until = 0, reads every
 * heap's next_when (coro_timers_next), then CASes poll_until 0 -> the
 * deadline it will sleep to; a failed CAS means "a timer came meanwhile":
 * it polls with timeout 0 and looks again. The arming side stored its
 * heap's next_when (seq_cst, timer.c) before this; then:
 *   poll_until == 0: the poller is computing and may have read next_when
 *     before our store: CAS 0 -> when, which fails the poller's CAS;
 *   poll_until == D: the poller's CAS came first. If its read of next_when
 *     missed us, our store came after that read and before this load, and
 *     we interrupt it when when < D (else it wakes at D and looks anyway).
 * All seq_cst: in the single order either the poller's read sees our
 * next_when, or our load sees 0 or its D. (Before, the 0 case did nothing:
 * a timer armed in that window fired at the poller's next tick, up to
 * 10 ms late; coro_sysmon's T_poll_window checks it.) */
void coro_timer_added(goc_time when) {
    note_progress(coro_worker_self());
    if (!atomic_load_explicit(&S.poller, memory_order_seq_cst)) {
        coro_wakep();
        return;
    }
    goc_time pu = atomic_load_explicit(&S.poll_until, memory_order_seq_cst);
    for (;;) {
        if (pu == 0) {
            if (atomic_compare_exchange_strong_explicit(&S.poll_until, &pu, when,
                                                        memory_order_seq_cst,
                                                        memory_order_seq_cst))
                return; /* the poller's CAS fails: it polls with timeout 0 */
            continue;   /* pu reloaded: the poller's deadline, or INT64_MAX */
        }
        if (when < pu) coro_netpoll_break();
        return;
    }
}

/* Sysmon, when a timer is SYSMON_STUCK_NS overdue (the OS has not run the
 * thread that was to run it since its deadline: the poller, or with no
 * poller the spinner a wakep woke, whose nspinning makes wakep a no-op
 * meanwhile): wakes an idle worker
 * parked on its futex word, if any, as a spinner (find_runnable runs every
 * heap's timers) and returns NULL; else returns the poller (GOC_PROCS=1:
 * the only worker), which sysmon replaces like a stuck worker (handoff),
 * or NULL if none. Unlike wakep it does not require nspinning == 0 (a
 * wakep may have chosen the late poller itself: the eventfd break it sent
 * waits for that same thread) and it skips the poller.
 * Memory orders: idle_lock guards the idle list, in_idle and park_mode;
 * as in wakep, the nspinning increment (seq_cst RMW) and the nidle store
 * (seq_cst, under the lock) come before the release store of park_word,
 * which pairs with the acquire load in coro_idle_park's futex loop, so the
 * woken worker's I1 decrement finds the count it owns. A spurious rescue
 * (sysmon's hints are racy) only wakes a worker that finds nothing and
 * parks again. */
coro_worker *coro_late_poller_rescue(void) {
    coro_worker *poller = NULL;
    goc__lock_acquire(&S.idle_lock);
    coro_worker **pp = &S.idle;
    while (*pp && (*pp)->park_mode != PARK_FUTEX) pp = &(*pp)->idle_next;
    coro_worker *w = *pp;
    if (w) {
        *pp = w->idle_next;
        w->in_idle = false;
        w->spinning = true; /* it owns the nspinning we add */
        atomic_fetch_add_explicit(&S.nspinning, 1, memory_order_seq_cst);
        atomic_store_explicit(&S.nidle, atomic_load_explicit(&S.nidle, memory_order_relaxed) - 1,
                              memory_order_seq_cst);
        /* release: pairs with the acquire load in the parked worker's loop */
        atomic_store_explicit(&w->park_word, 0, memory_order_release);
    } else {
        for (int i = 0, nw = coro_nw(); i < nw; i++)
            if (S.w[i].park_mode == PARK_POLL) poller = &S.w[i];
    }
    goc__lock_release(&S.idle_lock);
    if (w) goc__futex_wake(&w->park_word, 1);
    return poller;
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
    for (int i = 0, nw = coro_nw(); i < nw; i++)
        if (!coro_runq_empty(&S.w[i])) return true;
    goc_time tn = coro_timers_next(); /* one read of every heap serves both checks */
    if (tn <= goc_now()) return true;
    /* timers or fds appeared but nobody polls: become the poller */
    if (mode == PARK_FUTEX && !atomic_load_explicit(&S.poller, memory_order_seq_cst) &&
        (tn != INT64_MAX || atomic_load_explicit(&coro_nfdwait, memory_order_seq_cst)))
        return true;
    (void)w;
    return false;
}

/* Test hook: while coro_test_pollwin_ns is not 0 (a test sets it), the
 * poller lingers in the window between its read of the heaps and its CAS
 * of poll_until until the earliest deadline of the heaps changes (a timer
 * armed before the pending ones: then the hook is spent) or that
 * many ns pass, so that the test can arm a timer right there (coro_sysmon
 * T_poll_window). */
_Atomic int64_t coro_test_pollwin_ns;

static void poll_window_hook(void) {
    int64_t ns = atomic_load_explicit(&coro_test_pollwin_ns, memory_order_relaxed);
    goc_time n0 = coro_timers_next();
    goc_time until = goc_now() + ns;
    while (goc_now() < until) {
        if (coro_timers_next() != n0) {
            atomic_store_explicit(&coro_test_pollwin_ns, 0, memory_order_relaxed);
            return;
        }
        sched_yield();
    }
}

/* Test hook: when coro_test_pollstall_ns is not 0 (a test sets it), the
 * next poller to return from epoll_wait stays away that many ns before it
 * looks at the timers (then the hook is spent): a poller thread that the
 * OS does not run on time, still holding the poller role (coro_sysmon
 * T_poll_stall). */
_Atomic int64_t coro_test_pollstall_ns;

/* Tests only: spends the stall hook *hook (sets it to 0) and stays away
 * the ns it held, without a switch: a thread the OS does not run. */
void coro_test_stall(_Atomic int64_t *hook) {
    int64_t ns = atomic_exchange_explicit(hook, 0, memory_order_relaxed);
    struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    while (ns > 0 && nanosleep(&ts, &ts) != 0) {
    }
}

/* Test hook: when coro_test_spinstall_ns is not 0 (a test sets it), the
 * next poller that a wakep took off the idle list (so it is a spinner, it
 * holds nspinning, and it gave up the poller role in coro_unidle) stays
 * away that many ns before it looks for work (then the hook is spent): a
 * spinner that the OS does not run, while wakep wakes nobody because
 * nspinning != 0 (coro_sysmon T_spin_stall). */
_Atomic int64_t coro_test_spinstall_ns;

/* Parks w (find_runnable found nothing): the I1-I4 steps of the protocol at
 * the top of this file. False: the runtime is stopping. True: look again
 * (woken by wakep as a spinner, or by the re-check). */
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
        (coro_timers_pending() || atomic_load_explicit(&coro_nfdwait, memory_order_seq_cst))) {
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
    stat(w, ST_PARKS, 1);

    if (mode == PARK_POLL) {
        /* Timeout protocol with coro_timer_added: poll_until = 0 while
         * we compute, then the deadline we sleep to. */
        atomic_store_explicit(&S.poll_until, 0, memory_order_seq_cst);
        goc_time next = coro_timers_next();
        if (GOC_UNLIKELY(atomic_load_explicit(&coro_test_pollwin_ns, memory_order_relaxed)))
            poll_window_hook(); /* tests only */
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
        coro_netpoll(timeout);
        if (GOC_UNLIKELY(atomic_load_explicit(&coro_test_pollstall_ns, memory_order_relaxed)))
            coro_test_stall(&coro_test_pollstall_ns); /* tests only */
        coro_unidle(w); /* also gives up the poller role */
        if (GOC_UNLIKELY(atomic_load_explicit(&coro_test_spinstall_ns, memory_order_relaxed)) &&
            w->spinning) {
            /* tests only: the same stall as coro_test_pollstall_ns, but now */
            coro_test_stall(&coro_test_spinstall_ns);
        }
        return true;
    }

    /* I4: futex park (the deadlock detector is sysmon's: sysmon.c). */
    /* acquire: pairs with wakep's release store of 0. No tick: a runnext
     * that no wakep announced (coro_ready) and that stays stuck behind a
     * running task is sysmon's to notice (sysmon.c). */
    while (atomic_load_explicit(&w->park_word, memory_order_acquire) == 1) {
        if (atomic_load_explicit(&S.stop, memory_order_acquire)) return false;
        goc__futex_wait(&w->park_word, 1, GOC_NEVER);
    }
    if (atomic_load_explicit(&S.stop, memory_order_acquire)) return false;
    /* woken by wakep: we are a spinner now (w->spinning set by it) */
    return true;
}

/* A worker about to look for work (it woke from an idle park, or starts to
 * spin) whose thread the OS put on the CPU of a worker that runs a task
 * moves itself to the CPUs no busy worker is on, if its mask has some: on
 * that shared CPU it would only take turns with the busy one, and the work
 * it finds would wait for its turn. Seen on the 2-vCPU VM, whose kernel
 * packs threads onto one vCPU (its sched_vcpu_pack sysctl): in 5 of 8
 * logged ScalingWorkerPool runs at GOC_PROCS=2 both workers sat on one
 * vCPU for 7-36 % of the run (up to 70 % in others), the other vCPU idle,
 * 368-465k jobs/s against 485-525k apart; with this move, 0 of 8 (README
 * "The pool at GOC_PROCS=2, logged"). The move: sched_setaffinity to those
 * CPUs (the kernel migrates the calling thread before returning), then
 * back to the thread's mask, so that the OS keeps balancing as before; a
 * refused or failed call turns the moves off for the process. At most one
 * look per SPREAD_GAP_NS per worker. The CPUs come from the kernel's rseq
 * cpu_id of each worker thread (relaxed hints: a stale one costs at most a
 * needless or a missed move). Off with GOC_SPREAD=0, one worker, more
 * workers than CPUs, or no rseq area. */
_Atomic bool coro_spread_on;

void coro_spread(coro_worker *w) {
    const volatile uint32_t *mine = atomic_load_explicit(&w->cpu_now, memory_order_relaxed);
    if (!mine) return;
    goc_time now = goc_now();
    if (now - w->spread_at < SPREAD_GAP_NS) return;
    w->spread_at = now; /* the look too, not only the move: a scan of every worker */
    uint32_t me = *mine;
    cpu_set_t busy;
    CPU_ZERO(&busy);
    bool shared = false;
    for (int i = 0, n = coro_nw(); i < n; i++) {
        coro_worker *v = &S.w[i];
        /* busy: running a task on a worker sysmon has not replaced (a
         * BLOCKED one is in a system call, off its CPU); checked before
         * cpu_now is read, so that a worker thread that has ended (its
         * cpu_now cleared, its rseq area gone) is never read */
        if (v == w || atomic_load_explicit(&v->state, memory_order_relaxed) != CORO_W_RUN ||
            !atomic_load_explicit(&v->in_task, memory_order_relaxed))
            continue;
        const volatile uint32_t *at = atomic_load_explicit(&v->cpu_now, memory_order_acquire);
        if (!at) continue;
        uint32_t c = *at;
        if (c < CPU_SETSIZE) CPU_SET(c, &busy);
        if (c == me) shared = true;
    }
    if (!shared) return;
    /* the thread's own mask now (a user's taskset after start counts), less
     * the busy workers' CPUs (ours among them): the kernel picks among the
     * rest, so idle workers do not all land on one CPU */
    cpu_set_t mask;
    if (sched_getaffinity(0, sizeof mask, &mask) != 0) return;
    cpu_set_t to = mask;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &busy)) CPU_CLR(c, &to);
    if (CPU_COUNT(&to) == 0) return;
    if (sched_setaffinity(0, sizeof to, &to) != 0) {
        atomic_store_explicit(&coro_spread_on, false, memory_order_relaxed); /* not allowed here */
        return;
    }
    if (sched_setaffinity(0, sizeof mask, &mask) != 0) {
        /* the thread keeps the narrower mask: stop moving anyone, say so */
        atomic_store_explicit(&coro_spread_on, false, memory_order_relaxed);
        fprintf(stderr, "goc: coro worker %d: cannot restore its CPU mask after a move (%s); "
                        "GOC_SPREAD is off from now on\n", w->id, strerror(errno));
    }
    stat(w, ST_SPREAD, 1);
    tlog(w, CORO_EV_SPREAD, *mine, 0);
}

GOC_RACE_FILE_END
