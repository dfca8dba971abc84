/*
 * findrun.c: finding work for a worker: timers, local, global, netpoll,
 * then stealing as a spinner; coro_idle_park (idle.c) when none.
 */
#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */
#include "coro_sched.h"

/* ------------------------------------------------------ finding work -- */

/* Test hook: when coro_test_rnstall_ns is not 0 (a test sets it), the next
 * worker that fires timers here and so holds a woken task in its own
 * runnext stays away that many ns (then the hook is spent) before it looks
 * at its queues: a worker the OS stopped between tasks with a task in
 * runnext, while another worker idles (coro_sysmon T_runnext_stall). */
_Atomic int64_t coro_test_rnstall_ns;

/* After w fired timers (fired: how many). Tests only, off the hot path:
 * one relaxed load when a timer fired. */
static inline void timers_fired(coro_worker *w, int fired) {
    if (GOC_UNLIKELY(fired && atomic_load_explicit(&coro_test_rnstall_ns, memory_order_relaxed)) &&
        atomic_load_explicit(&w->runnext, memory_order_relaxed))
        coro_test_stall(&coro_test_rnstall_ns);
}

coro_task *coro_steal_work(coro_worker *w) {
    coro_task *buf[RUNQ_SIZE / 2 + 1];
    int n = coro_nw();
    for (int round = 0; round < 4; round++) {
        uint32_t start = goc__rand_n((uint32_t)n);
        for (int k = 0; k < n; k++) {
            coro_worker *v = &S.w[(start + (uint32_t)k) % (uint32_t)n];
            if (v == w) continue;
            if (coro_due(atomic_load_explicit(&v->heap.next_when, memory_order_relaxed)))
                timers_fired(w, coro_timers_run(&v->heap, goc_now()));
            uint32_t got = coro_runq_grab(v, buf, round == 3);
            if (got) {
                for (uint32_t i = 1; i < got; i++) runq_put_tail(w, buf[i]);
                return buf[0];
            }
        }
        coro_task *t = runq_get(w); /* timers may have readied tasks here */
        if (t) return t;
    }
    return NULL;
}

/* w: the worker that runs them (find_runnable's) */
static void run_all_timers(coro_worker *w) {
    goc_time now = goc_now();
    int fired = 0;
    for (int i = 0, n = coro_nw(); i < n; i++)
        if (atomic_load_explicit(&S.w[i].heap.next_when, memory_order_relaxed) <= now)
            fired += coro_timers_run(&S.w[i].heap, now);
    timers_fired(w, fired);
}

/* Around a wait of w's thread that counts as parked (an idle park, a
 * spare's wait): GOC_SCHEDSTATS' parked_us (kept apart from spin_us by
 * worker_main through w->parked_ns) and GOC_SCHEDLOG's park/unpark. */
static inline goc_time parked_begin(coro_worker *w) {
    if (GOC_LIKELY(!S.stats)) return 0;
    tlog(w, CORO_EV_PARK, 0, 0);
    return goc_now();
}
static inline void parked_end(coro_worker *w, goc_time p0) {
    if (GOC_LIKELY(!S.stats)) return;
    goc_time d = goc_now() - p0;
    stat(w, ST_PARKED_NS, (uint64_t)d);
    w->parked_ns += d;
    tlog(w, CORO_EV_UNPARK, 0, 0);
}

coro_task *coro_find_runnable(coro_worker *w) {
    unsigned gap0 = SPIN_GAP_MIN;
    for (;;) {
        if (atomic_load_explicit(&S.stop, memory_order_acquire)) return NULL;
        /* sysmon gave our place to another worker while a task kept us:
         * hand what is queued here over and wait as a spare */
        if (GOC_UNLIKELY(atomic_load_explicit(&w->state, memory_order_relaxed) == CORO_W_BLOCKED)) {
            /* its wait as a spare counts as parked (schedstats, the log) */
            goc_time p0 = parked_begin(w);
            bool back = coro_worker_retire(w);
            parked_end(w, p0);
            if (!back) return NULL;
        }
        if (coro_due(atomic_load_explicit(&w->heap.next_when, memory_order_relaxed)))
            timers_fired(w, coro_timers_run(&w->heap, goc_now()));
        coro_task *t;
        if (sched_tick(w) % GLOBAL_CHECK_EVERY == 0) {
            if ((t = coro_global_get(w, 1))) return t;
            if (atomic_load_explicit(&coro_nfdwait, memory_order_relaxed) &&
                !atomic_load_explicit(&S.poller, memory_order_relaxed))
                coro_netpoll(0);
            run_all_timers(w);
        }
        if ((t = runq_get(w))) {
            stat(w, ST_LOCAL, 1);
            return t;
        }
        if ((t = coro_global_get(w, RUNQ_SIZE + 1))) return t;
        if (atomic_load_explicit(&coro_nfdwait, memory_order_relaxed) &&
            !atomic_load_explicit(&S.poller, memory_order_relaxed) && coro_netpoll(0) > 0 &&
            (t = runq_get(w)))
            return t;
        run_all_timers(w);
        if ((t = runq_get(w))) {
            stat(w, ST_LOCAL, 1);
            return t;
        }

        /* Steal, as a spinner; at most half of the busy workers spin (Go). */
        int nsp = atomic_load_explicit(&S.nspinning, memory_order_relaxed);
        int busy = S.nprocs - atomic_load_explicit(&S.nidle, memory_order_relaxed);
        if (coro_nw() > 1 && (w->spinning || 2 * nsp < busy)) {
            if (!w->spinning) {
                w->spinning = true;
                atomic_fetch_add_explicit(&S.nspinning, 1, memory_order_seq_cst);
            }
            if ((t = coro_steal_work(w))) return t;
            /* Spin a little before parking (Go's spinning M): while we spin,
             * wakers see nspinning > 0 and skip the futex wake, so a
             * producer/consumer or ping-pong pair split across two workers
             * does not pay a system call per handoff. Bounded: SPIN_NS. */
            tlog(w, CORO_EV_SPIN, 0, 0);
            spread_check(w);
            goc_time until = goc_now() + SPIN_NS;
            bool seen = false;
            /* Pauses between two looks, doubling up to SPIN_GAP_MAX: a
             * look reads every worker's rq_head and rq_tail, and so pulls
             * the line a busy worker writes on each push and pop of its
             * queue; with the vCPUs far apart (a ~400 ns round trip) each
             * pull cost the owner a miss on its next handoff. Looking
             * every 64 pauses for the whole 20 us made FanOutFanIn at
             * GOC_PROCS=2 1.45x slower than with this backoff (README
             * "Keeping a communicating group on one worker").
             * A look whose first non-empty queue (in worker order; the
             * steal pass after it looks at them all) holds a single task
             * keeps the gap it had reached for the next round (gap0)
             * instead of starting again at SPIN_GAP_MIN: that task is
             * usually a partner its busy worker kicked from runnext and
             * runs within a microsecond (a spawn before a wait, a
             * pipeline's handoff), so the queue
             * shows one task for a moment on nearly every handoff, and a
             * spinner restarting at 64 pauses each time looked every ~1 us
             * for as long as the group ran (SelectTimeout and FanOutFanIn
             * at GOC_PROCS=2: 0.84x and 0.92x with the gap kept, README
             * "The spinner's looks"). Two or more queued tasks, or the
             * global queue, restart it: work that may be worth stealing. A
             * wake-up restarts it too. */
            unsigned gap = gap0;
            bool lone = false;
            goc_time tnow;
            while (!seen && (tnow = goc_now()) < until) {
                for (unsigned k = 0; k < gap; k++) goc__cpu_relax();
                if (gap < SPIN_GAP_MAX) gap *= 2;
                if (atomic_load_explicit(&S.gsize, memory_order_relaxed)) seen = true;
                for (int i = 0, nw = coro_nw(); !seen && i < nw; i++) {
                    coro_worker *v = &S.w[i];
                    /* queued work only: a runnext belongs to its worker,
                     * which is about to run it (a handoff); and not the
                     * queue of a victim we just refused (runq.c,
                     * coro_steal_backoff): we would only refuse it again */
                    if (coro_steal_backoff(v, tnow)) continue;
                    /* head first, as before: a tail read after it is
                     * not behind it (where loads may pass each other, a
                     * torn count is only a spurious "seen", not lone) */
                    uint32_t hd = atomic_load_explicit(&v->rq_head, memory_order_relaxed);
                    uint32_t q = atomic_load_explicit(&v->rq_tail, memory_order_relaxed) - hd;
                    if (q) {
                        seen = true;
                        lone = q == 1;
                    }
                }
            }
            if (seen) {
                gap0 = SPIN_GAP_KEEP && lone ? gap : SPIN_GAP_MIN;
                continue; /* still a spinner: look again */
            }
        }

        goc_time p0 = parked_begin(w);
        bool woke = coro_idle_park(w);
        parked_end(w, p0);
        if (!woke) return NULL;
        spread_check(w);
        gap0 = SPIN_GAP_MIN;
    }
}

GOC_RACE_FILE_END
