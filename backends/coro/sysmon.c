/*
 * sysmon.c: the monitor thread (Go's sysmon), README.md "Scheduler".
 *
 * One thread, not a worker, wakes every SYSMON_TICK_NS (1 ms) while it
 * finds something to do, backing off to every 10 ms while it does not, and
 * looks at each worker:
 *
 *  - Stuck worker. A worker that has run one task for SYSMON_STUCK_NS
 *    without a switch (a blocking system call, a long computation: no
 *    preemption here; not a thread the OS merely did not run: its /proc
 *    state and CPU time tell) while work waits that no idle worker can take (its
 *    queue or runnext, the global queue, a pending timer or fd wait, and no
 *    worker idle) first has its task asked to yield (the worker's preempt
 *    word, read at every channel operation and select: coro_note_op) when
 *    its thread is running; a task that then uses SYSMON_ASKED_CPU_NS more
 *    CPU without yielding, or a thread asleep in the kernel, gets the worker
 *    marked BLOCKED and replaced: a spare worker is woken,
 *    or a new worker thread started in one of CORO_EXTRA_WORKERS slots. The
 *    replacement steals the blocked worker's queue and runnext at once
 *    (runq_grab skips its patience for a blocked victim) and runs every
 *    heap's timers like any worker, so the blocked worker's queue and
 *    timers carry on. When the stuck task returns into the scheduler, its
 *    worker sees BLOCKED (find_runnable), moves what it still holds to the
 *    global queue and parks as a SPARE (coro_worker_retire), so at most
 *    GOC_PROCS workers run tasks again. The slot (its heap, its stack cache)
 *    stays; only that thread ever uses it, until sysmon reuses the spare.
 *    Meanwhile the stuck task may ready others (a computation that sends
 *    results): coro_ready queues them globally and wakes a worker once it
 *    sees its worker BLOCKED, and a task that reached the blocked worker's
 *    runnext anyway (readied as sysmon blocked it) gets a wakep here; the
 *    woken thief takes it at once.
 *
 *  - Stuck runnext. coro_ready does not wake anybody for a task that only
 *    filled an empty runnext (the handoff case: the readier is about to
 *    block). If the readier keeps running instead, the task would wait
 *    behind it: a runnext seen unchanged at two ticks behind a task that
 *    did not switch gets a wakep, and the woken spinner takes it after its
 *    RUNNEXT_STEAL_NS of patience. (Before sysmon, idle workers woke every
 *    10 ms to look for this.)
 *
 *  - Runnext stranded between tasks. A worker that is between tasks (in
 *    find_runnable, e.g. it just fired a timer and the woken task went to
 *    its own runnext) and that the OS stops there: thieves leave its
 *    runnext alone (its scheduler takes runnext first, runq_grab) and the
 *    rule above is for workers running a task, so the task waited for the
 *    OS (coro_sysmon T_runnext_stall: the whole 1-3 s stall) while another
 *    worker idled. Seen at two consecutive looks between tasks with the
 *    same schedtick and the same runnext, the runnext is taken by CAS,
 *    put on the global queue, and an idle worker woken (take_runnext).
 *
 *  - Stranded work: the global queue, or a local queue whose head did not
 *    move between two looks, while a worker idles and none spins: a wakep
 *    (a safety net; the protocol in idle.c should make it never needed).
 *
 *  - The deadlock detector (deadlock.c's all_asleep, every idle look).
 *
 *  - Expired timers with no poller: the poller gave up its role to run
 *    tasks, the other idle workers sleep on their futex words; a wakep
 *    sends one through find_runnable, which runs every heap's timers.
 *
 *  - A late poller or spinner: a timer SYSMON_STUCK_NS overdue means the
 *    OS has not run the thread that was to run it (the poller, or the
 *    spinner a wakep woke for it, which keeps later wakeps from waking
 *    anybody) since its deadline (a loaded machine kept a runnable poller off the CPU for
 *    120-250 ms, with GOC_PROCS=1 the whole runtime, while sysmon ran).
 *    An idle worker parked on its futex is woken to run the timers, or,
 *    if there is none, the poller is replaced like a stuck worker
 *    (handoff: it retires as a spare when it runs again), so the
 *    replacement runs them (idle.c, coro_late_poller_rescue).
 *
 * Sysmon's view is made of relaxed loads of hints (in_task, schedtick,
 * runnext, the counters); the actions are safe whatever they see: state
 * changes are CASes, stealing is the normal CAS-based runq_grab, a
 * runnext taken between tasks is a CAS against the task seen (take_runnext),
 * and a spurious handoff only starts a worker that finds nothing and idles.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */
#include "coro_sched.h"

/* Handoffs so far (tests: coro_runtime's C26a allows a task to resume on
 * another thread at GOC_PROCS=1 only after one). */
_Atomic long coro_sysmon_handoffs;
/* Looks that found a stuck worker napping on a channel lock (stuck_how 'N';
 * coro_sysmon T_nap_not_blocked: the scenario happened). */
_Atomic long coro_sysmon_naps_seen;
/* Why the latest handoff happened (tests print it): 'S' asleep in the
 * kernel, 'R' computing after it was asked to yield, 'P' a late poller. */
_Atomic int coro_sysmon_last_why;

/* A task asked to yield (coro_preempted) that has used this much CPU since
 * without a channel operation computes without goc calls: hand it off. */
#define SYSMON_ASKED_CPU_NS (1000 * 1000LL)

/* True when work is waiting that needs a thread: v's own queue or runnext,
 * or, with no worker idle to take it, the global queue, timers or fds. */
static bool work_waiting(coro_worker *v) {
    if (atomic_load_explicit(&v->rq_head, memory_order_relaxed) !=
            atomic_load_explicit(&v->rq_tail, memory_order_relaxed) ||
        atomic_load_explicit(&v->runnext, memory_order_relaxed))
        return true;
    return atomic_load_explicit(&S.gsize, memory_order_relaxed) ||
           coro_timers_pending() ||
           atomic_load_explicit(&coro_nfdwait, memory_order_relaxed);
}

/* CPU time of v's thread so far (ns), -1 if unknown. */
static int64_t thread_cpu(coro_worker *v) {
    clockid_t id;
    struct timespec ts;
    if (pthread_getcpuclockid(v->thread, &id) != 0 || clock_gettime(id, &ts) != 0) return -1;
    return goc__ts_ns(&ts);
}

/* The state letter of v's thread in /proc (R running or runnable, S/D
 * asleep in the kernel, ...), 0 if unknown. */
static char thread_state(coro_worker *v) {
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat",
             atomic_load_explicit(&v->tid, memory_order_relaxed));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* "tid (comm) S ..." */
    return p && p[1] == ' ' ? p[2] : 0;
}

/* v has not switched for SYSMON_STUCK_NS: is its thread really stuck in a
 * task, and how? 'S' if it sleeps in the kernel (a blocking system call),
 * 'N' if it sleeps in a nap on a channel lock, 'R' if it used most of that
 * time computing; 0 if it is runnable but did
 * not run (the OS gave its CPU to others: another thread would not run
 * either, and a handoff would only move tasks to another thread). *cpu:
 * its CPU time now (-1 if unknown); *naps: its lock_naps. One read of each
 * per look. */
static char stuck_how(coro_worker *v, int64_t *cpu, uint32_t *naps) {
    uint32_t n0 = atomic_load_explicit(&v->lock_naps, memory_order_relaxed);
    char st = thread_state(v);
    uint32_t n1 = atomic_load_explicit(&v->lock_naps, memory_order_relaxed);
    *cpu = thread_cpu(v);
    *naps = n1;
    /* Asleep, but maybe in a nap on a channel's spin lock (n0 or n1 odd, or
     * a nap began and ended around the /proc read): 'N'. Its task is inside
     * a channel operation, waiting for a holder the OS took off its CPU; it
     * yields at its next operation when asked, and a new thread would only
     * compete with that holder for a CPU. Taken for a system call,
     * ChanContended's workers at GOC_PROCS=2 were replaced 6-8 times a
     * 3-repetition run, each replacement a thread more time-slicing on the
     * CPUs (the nap came after the 'S' rule: coro README, "The channel lock
     * is a spin lock"). */
    if (st == 'S' || st == 'D') return (n0 | n1) & 1 || n0 != n1 ? 'N' : 'S';
    return v->sm_cpu >= 0 && *cpu >= 0 && *cpu - v->sm_cpu >= SYSMON_STUCK_NS / 2 ? 'R' : 0;
}

/* Replaces blocked worker v: a spare comes back, or a new slot's thread
 * starts. On failure (no slot left, thread creation failed) v is RUN
 * again: its tasks wait for it, as without sysmon. */
static void handoff(coro_worker *v, char why) {
    int run = CORO_W_RUN;
    if (!atomic_compare_exchange_strong_explicit(&v->state, &run, CORO_W_BLOCKED,
                                                 memory_order_seq_cst, memory_order_relaxed))
        return;
    atomic_store_explicit(&coro_sysmon_last_why, why, memory_order_relaxed);
    atomic_fetch_add_explicit(&coro_sysmon_handoffs, 1, memory_order_relaxed);
    int nw = coro_nw();
    for (int i = 0; i < nw; i++) {
        coro_worker *s = &S.w[i];
        /* Only sysmon moves SPARE -> RUN, so the load decides. The spare
         * stored park_word = 1 before it published SPARE (seq_cst). */
        if (atomic_load_explicit(&s->state, memory_order_seq_cst) != CORO_W_SPARE) continue;
        atomic_store_explicit(&s->state, CORO_W_RUN, memory_order_seq_cst);
        atomic_fetch_sub_explicit(&S.nspare, 1, memory_order_seq_cst);
        /* release: pairs with the spare's acquire load of park_word */
        atomic_store_explicit(&s->park_word, 0, memory_order_release);
        goc__futex_wake(&s->park_word, 1);
        return;
    }
    if (nw < S.wcap) {
        coro_worker *s = &S.w[nw]; /* zero (state RUN) until now */
        coro_worker_init(s, nw);
        if (coro_worker_start(s) == 0) {
            /* release: the slot is visible (stealing, timers, the
             * detector) only with its thread running */
            atomic_store_explicit(&S.nw, nw + 1, memory_order_release);
            return;
        }
    }
    atomic_store_explicit(&v->state, CORO_W_RUN, memory_order_seq_cst);
}

/* v was seen between tasks at two looks with the same schedtick and rn in
 * its runnext: its thread has not scheduled since (every find_runnable
 * round and every direct switch ticks), so the OS, not the runtime, keeps
 * rn waiting. Takes rn for the global queue and wakes an idle worker (the
 * waker's W1, W2 of the idle protocol, idle.c). True if it took rn.
 * Race: v's thread may run again and take its runnext at the same instant
 * (runq_get, direct_next: a CAS rn -> NULL) or replace it (runq_put: an
 * exchange; the old one goes to v's tail). Sysmon's CAS expects exactly rn:
 * of the CASes/exchange on one installation of rn in runnext one wins, so
 * rn is run once, by v or from the global queue, never lost (a failed CAS
 * here leaves runnext as v made it). Only v fills its runnext, and putting
 * rn back there needs rn to run and park, i.e. v to tick: if that happens
 * between the look and this CAS, the CAS takes the new installation, which
 * is still taken once; only its placement is not the one v chose.
 * acq_rel: the acquire pairs with v's seq_cst exchange that published rn
 * (rn's fields, next included, are ours to write once the CAS wins). */
static bool take_runnext(coro_worker *v, coro_task *rn) {
    if (!atomic_compare_exchange_strong_explicit(&v->runnext, &rn, NULL, memory_order_acq_rel,
                                                 memory_order_relaxed))
        return false;
    rn->next = NULL;
    coro_global_put(rn, rn, 1); /* W1 */
    coro_wakep();               /* W2 */
    return true;
}

/* GOC_SCHEDTRACE (dump.c): dump the scheduler's state once per sleep of
 * the condition, when a timer is this overdue (sysmon thread only). */
#define SYSMON_DUMP_LATE_NS (50 * 1000000LL)
static bool sm_trace;
static int sm_dumped; /* dumps taken in this episode: at 50 ms and at 150 ms overdue */
void goc__sched_dump(const char *why);

static goc_time sm_prev_look; /* when the previous sysmon_check began */

/* tn: sysmon_check's earliest timer (INT64_MAX with none) */
static void trace_late_timers(goc_time now, goc_time tn, const char *did) {
    if (tn > now - SYSMON_DUMP_LATE_NS) {
        sm_dumped = 0;
        return;
    }
    if (sm_dumped >= 2 || (sm_dumped == 1 && tn > now - 3 * SYSMON_DUMP_LATE_NS)) return;
    sm_dumped++;
    char why[192];
    snprintf(why, sizeof why, "sysmon: a timer is %.1f ms overdue; this look did: %s; previous look %.1f ms before",
             (double)(now - tn) / 1e6, did, (double)(now - sm_prev_look) / 1e6);
    goc__sched_dump(why);
}

/* One look at every worker. *busy: a worker runs a task. Returns true if
 * it acted (a handoff, a wakep, a runnext taken) or wants to look again
 * soon (a runnext seen between tasks). */
static bool sysmon_check(bool *busy_out) {
    goc_time now = goc_now();
    bool busy = false, stuck_next = false, acted = false, watch = false;
    const char *did = "nothing"; /* for GOC_SCHEDTRACE */
    int idle = atomic_load_explicit(&S.nidle, memory_order_relaxed);
    /* Stranded work: queued tasks no worker is getting to (the global
     * queue, or a queue whose head did not move since the last look) while
     * a worker is idle and none spins. The wake-up protocol (idle.c) is
     * meant to make this impossible; this is the safety net that the
     * poller's old 10 ms wake-up used to be. */
    bool stranded = atomic_load_explicit(&S.gsize, memory_order_relaxed) != 0;
    for (int i = 0, nw = coro_nw(); i < nw; i++) {
        coro_worker *v = &S.w[i];
        uint32_t h = atomic_load_explicit(&v->rq_head, memory_order_relaxed);
        if (h != atomic_load_explicit(&v->rq_tail, memory_order_relaxed) && h == v->sm_head)
            stranded = true;
        v->sm_head = h;
        int state = atomic_load_explicit(&v->state, memory_order_relaxed);
        if (state != CORO_W_RUN) {
            v->sm_out = false; /* two consecutive looks at it RUN before a take */
            /* A blocked worker's runnext: filled by its stuck task in the
             * moment sysmon blocked it (coro_ready queues globally once it
             * sees BLOCKED). A woken thief takes it at once (runq_grab). */
            if (state == CORO_W_BLOCKED && atomic_load_explicit(&v->runnext, memory_order_relaxed))
                stuck_next = true;
            continue;
        }
        uint32_t tick = atomic_load_explicit(&v->schedtick, memory_order_relaxed);
        coro_task *rn = atomic_load_explicit(&v->runnext, memory_order_relaxed);
        bool in = atomic_load_explicit(&v->in_task, memory_order_relaxed);
        busy |= in;
        if (!in) {
            /* between tasks: runnext stranded behind a thread the OS stopped? */
            if (rn && v->sm_out && tick == v->sm_tick && rn == v->sm_next && take_runnext(v, rn)) {
                rn = NULL;
                did = "took a runnext stranded between tasks";
                acted = true;
            }
            watch |= rn != NULL; /* look again soon (SYSMON_TICK_NS) */
        }
        v->sm_out = !in;
        if (!in || tick != v->sm_tick) {
            v->sm_tick = tick;
            v->sm_since = now;
            v->sm_next = rn;
            v->sm_cpu = -1;
            v->sm_asked = false;
            continue;
        }
        if (v->sm_cpu < 0) v->sm_cpu = thread_cpu(v); /* first look at it not switching */
        if (rn && rn == v->sm_next) stuck_next = true;
        v->sm_next = rn;
        int64_t cpu;
        uint32_t naps;
        char how;
        if (now - v->sm_since >= SYSMON_STUCK_NS && idle == 0 && work_waiting(v) &&
            (how = stuck_how(v, &cpu, &naps))) {
            /* A task that computes (its thread runs) is first asked to
             * yield at its next channel operation or select (coro_note_op):
             * one that communicates as it computes (ChanContended's four
             * tasks that never block) then takes turns with the queued
             * ones on the same thread, as Go's time slice makes them do.
             * Replaced at once, each such worker added a thread, and the
             * extra threads time-sliced on the CPUs with the channel's spin
             * lock held across the OS's preemptions (ChanContended at
             * GOC_PROCS=2: 10-17 us an op within one process, workers 3 and
             * 4 started). One that has since used SYSMON_ASKED_CPU_NS of CPU
             * without yielding (it computes without a goc call), or that
             * sleeps in the kernel (a system call), is handed off; one that
             * has not run since (the OS gave its CPU to others) is left to
             * yield when it runs, and so is one napping on a channel lock
             * ('N': asked, never replaced for it). The CPU a thread spends
             * waiting on a channel lock is not computing either: a task
             * asked while inside an operation yields at its next one, so
             * naps since the ask mean it still waits in that one (a nap
             * costs ~2.5 us of CPU a 20 us try: a 40 ms wait reached the
             * 1 ms), and its budget starts again from the latest look. */
            if (how == 'N') atomic_fetch_add_explicit(&coro_sysmon_naps_seen, 1, memory_order_relaxed);
            if (how == 'S') {
                handoff(v, 'S');
                v->sm_since = now;
            } else if (!v->sm_asked || naps != v->sm_ask_naps) {
                if (!v->sm_asked) did = "asked a stuck task to yield";
                atomic_store_explicit(&v->preempt, 1, memory_order_relaxed);
                v->sm_asked = true;
                v->sm_ask_cpu = cpu;
                v->sm_ask_naps = naps;
            } else if (how == 'R' &&
                       (v->sm_ask_cpu < 0 || cpu < 0 || cpu - v->sm_ask_cpu >= SYSMON_ASKED_CPU_NS)) {
                /* the request is moot now (its worker is replaced) */
                atomic_store_explicit(&v->preempt, 0, memory_order_relaxed);
                handoff(v, 'R');
                v->sm_since = now;
            }
            acted = true;
        }
    }
    /* Expired timers and nobody to run them: the poller (if any) left to
     * run tasks and the others sleep on their futex words. Go's sysmon
     * starts an M for them too. */
    if (stranded && idle > 0 && atomic_load_explicit(&S.nspinning, memory_order_relaxed) == 0)
        stuck_next = true; /* same remedy: wake a spinner */
    goc_time tn = coro_timers_next();
    if (tn <= now - SYSMON_STUCK_NS) {
        /* A late thread (the header comment): timers SYSMON_STUCK_NS
         * overdue. Whoever was to run them, the poller or, with no poller,
         * the spinner that a wakep woke for them, has not been run by the
         * OS since. A wakep would not help: it only breaks the poller's
         * epoll_wait, which the same late thread has to see, and with a
         * spinner counted in nspinning it wakes nobody (wakep's rule: one
         * spinner at a time), so sysmon repeated a no-op every tick while
         * the spinner stayed off the CPU (difftest, loaded machine: a
         * timer 50-240 ms overdue with nspinning == 1 held by a runnable
         * thread that did not run, issue 11/12). The rescue wakes an idle
         * worker regardless of nspinning, one per look while the timers
         * stay overdue, or replaces a poller that is the only worker. */
        coro_worker *p = coro_late_poller_rescue();
        if (p) handoff(p, 'P');
        did = p ? "late-thread rescue: handoff of the poller" : "late-thread rescue: woke an idle worker or none";
        acted = true;
    } else if (stuck_next || (!atomic_load_explicit(&S.poller, memory_order_relaxed) && tn <= now)) {
        coro_wakep();
        did = stuck_next ? "wakep (stuck runnext or stranded)" : "wakep (timers, no poller)";
        acted = true;
    }
    if (GOC_UNLIKELY(sm_trace)) trace_late_timers(now, tn, did);
    sm_prev_look = now;
    *busy_out = busy;
    return acted || watch;
}

/* The deadlock detector's clock (README "Deadlock detector"): everything
 * asleep at two looks DEADLOCK_GRACE_NS apart with no ready in between
 * (the progress counters unchanged) is a deadlock. Sysmon thread only. */
static goc_time dl_since;
static uint64_t dl_progress;
static bool dl_armed;

static void deadlock_check(void) {
    if (!coro_detector_enabled() || !coro_all_asleep()) {
        dl_armed = false;
        return;
    }
    goc_time now = goc_now();
    uint64_t pr = coro_progress_sum();
    if (!dl_armed || pr != dl_progress) {
        dl_armed = true;
        dl_since = now;
        dl_progress = pr;
    } else if (now - dl_since >= DEADLOCK_GRACE_NS) {
        dl_armed = false;
        coro_declare_deadlock();
    }
}

static void *sysmon_main(void *arg) {
    (void)arg;
#ifdef GOC_TSAN_PRECISE_ON
    GOC_RACE_CALL_BEGIN(); /* hidden for good, like the scheduler fibers */
#endif
    /* Go's sysmon backs off the same way: a short period while it finds
     * something to do, doubling up to 10x while it does not (a quiet
     * program, or one task computing on every worker, costs ~100 wake-ups
     * a second). */
    goc_time delay = SYSMON_TICK_NS;
    const char *tr = getenv("GOC_SCHEDTRACE");
    sm_trace = tr && *tr && strcmp(tr, "0") != 0;
    for (;;) {
        uint32_t word = atomic_load_explicit(&S.sysmon_word, memory_order_acquire);
        if (atomic_load_explicit(&S.stop, memory_order_acquire)) break;
        goc__futex_wait(&S.sysmon_word, word, goc_now() + delay);
        if (atomic_load_explicit(&S.stop, memory_order_acquire)) break;
        bool busy;
        if (sysmon_check(&busy)) delay = SYSMON_TICK_NS;
        else if (delay < 10 * SYSMON_TICK_NS) delay *= 2;
        if (!busy) deadlock_check();
    }
    return NULL;
}

int coro_sysmon_start(void) {
    int e = goc__thread_create(&S.sysmon, NULL, sysmon_main, NULL);
    if (!e) S.sysmon_started = true;
    return e;
}

/* With S.stop set (rollback of a failed start): stops and joins sysmon. */
void coro_sysmon_stop(void) {
    if (!S.sysmon_started) return;
    atomic_fetch_add_explicit(&S.sysmon_word, 1, memory_order_release);
    goc__futex_wake(&S.sysmon_word, 1);
    pthread_join(S.sysmon, NULL);
    S.sysmon_started = false;
}

/* Owner, in find_runnable, when sysmon marked w BLOCKED (a replacement
 * runs): hands w's queue and runnext to the global queue, parks as a spare
 * until sysmon reuses w. False when the runtime stops. */
bool coro_worker_retire(coro_worker *w) {
    coro_task *first = NULL, *last = NULL, *t;
    uint32_t n = 0;
    w->streak = RUNNEXT_STREAK; /* runq_get: the queue first, runnext last */
    while ((t = runq_get(w))) {
        t->next = NULL;
        if (last) last->next = t;
        else first = t;
        last = t;
        n++;
    }
    w->streak = 0;
    if (n) coro_global_put(first, last, n); /* W1 of the idle protocol */
    atomic_store_explicit(&w->park_word, 1, memory_order_relaxed);
    atomic_store_explicit(&w->state, CORO_W_SPARE, memory_order_seq_cst);
    atomic_fetch_add_explicit(&S.nspare, 1, memory_order_seq_cst);
    if (w->spinning) {
        /* a wakep chose us while we were blocked: pass it on */
        w->spinning = false;
        atomic_fetch_sub_explicit(&S.nspinning, 1, memory_order_seq_cst);
        coro_wakep();
    } else if (n) {
        coro_wakep(); /* W2 for what we queued */
    }
    /* acquire: pairs with handoff's release store of 0 */
    while (atomic_load_explicit(&w->park_word, memory_order_acquire) == 1) {
        if (atomic_load_explicit(&S.stop, memory_order_acquire)) return false;
        goc__futex_wait(&w->park_word, 1, GOC_NEVER);
    }
    return !atomic_load_explicit(&S.stop, memory_order_acquire);
}

GOC_RACE_FILE_END
