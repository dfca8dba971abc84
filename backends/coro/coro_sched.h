/*
 * coro_sched.h: the scheduler's shared state and its internal interface,
 * one subsystem per file (README.md "Scheduler" has the prose):
 *
 *   sched.c     the global state S, workers (threads), start, goc_main,
 *               goc_go, goc_yield, goc_sleep
 *   runq.c      run queues: the global queue, the local queue's slow path,
 *               stealing (runq_grab); the owner's hot path is inline below
 *   idle.c      idle and wake: wakep, coro_ready, the idle list, spinning,
 *               parking an idle worker (futex or poller); the protocol that
 *               makes a lost wakeup impossible is at its top
 *   findrun.c   finding work: local, global, netpoll, timers, stealing
 *   task.c      task switch and lifecycle: the context, direct switches,
 *               after actions, coro_park, spawning a task struct
 *   park.c      parkers and claims (the waiting model)
 *   deadlock.c  the deadlock detector and the end of goc_main's root task
 *   sysmon.c    the monitor thread: stuck workers (handoff), stuck runnext
 *   timer.c     timer heaps; stack.c stacks and the guard-page handler;
 *   netpoll.c   the epoll netpoller
 *
 * This header is included after GOC_RACE_FILE_BEGIN (the precise TSan build
 * must see the inline functions below as uninstrumented too).
 */
#ifndef GOC_CORO_SCHED_H
#define GOC_CORO_SCHED_H

#include <sched.h>

#include "chainq.h"
#include "coro.h"

#define RUNQ_SIZE 256u
#define GLOBAL_CHECK_EVERY 61 /* Go: check the global queue every 61 ticks for fairness */
#define RUNNEXT_STREAK 32
/* The placement and spinning policy's constants (README "Scheduler"). Each
 * can be set at compile time (-DNAME=VALUE) for a variant build: the device
 * kit's A/B runs (`./run_all.sh kit build --variant`, scripts/stage_kit.sh)
 * measure such a build against the default on a many-core machine. */
#ifndef SPIN_NS
#define SPIN_NS (20 * 1000) /* an idle spinner polls this long before parking */
#endif
#ifndef SPIN_GAP_MIN
#define SPIN_GAP_MIN 64u     /* its first look at the run queues comes after this many pauses */
#endif
#ifndef SPIN_GAP_MAX
#define SPIN_GAP_MAX 1024u   /* and the gap doubles up to this many */
#endif
_Static_assert(SPIN_GAP_MIN > 0 && SPIN_GAP_MIN <= SPIN_GAP_MAX,
               "the spinner's gap doubles from SPIN_GAP_MIN (> 0) up to SPIN_GAP_MAX");
#ifndef SPIN_GAP_KEEP
#define SPIN_GAP_KEEP 1      /* a look that saw one queued task keeps the gap (0: restart at MIN) */
#endif
#ifndef RUNNEXT_STEAL_NS
#define RUNNEXT_STEAL_NS (50 * 1000) /* a busy worker's runnext is stolen after this */
#endif
#ifndef TALK_STEAL_NS
#define TALK_STEAL_NS (1000 * 1000)  /* and a communicating one's queue with its head still */
#endif
#ifndef STEAL_WATCH_NS
#define STEAL_WATCH_NS (2 * 1000)    /* a thief watches a victim's queue drain this long */
#endif
#ifndef STEAL_WATCH_PEEK
#define STEAL_WATCH_PEEK 0           /* reading its queue once, at the end (1: every ~160 ns) */
#endif
#ifndef STEAL_DRAIN_NS
#define STEAL_DRAIN_NS (10 * 1000)   /* and steals what the victim would reach later than this */
#endif
#ifndef STEAL_OP_GAP_NS
#define STEAL_OP_GAP_NS 250          /* unless its tasks start an operation at least this often */
#endif
#ifndef STEAL_CHAT_GAP_NS
#define STEAL_CHAT_GAP_NS 50         /* and if this often, the thief leaves it alone for: */
#endif
#ifndef TALK_BACKOFF_NS
#define TALK_BACKOFF_NS (20 * 1000)
#endif
#ifndef REFUSE_STREAK
#define REFUSE_STREAK 4              /* this many refusals of one victim in a row (0: never) */
#endif
#ifndef REFUSE_BACKOFF_NS
#define REFUSE_BACKOFF_NS (20 * 1000) /* and the thief leaves it alone as after a chat, */
#endif
#ifndef REFUSE_BACKOFF_MAX_NS
#define REFUSE_BACKOFF_MAX_NS (80 * 1000) /* doubling per further refusal up to this */
#endif
/* A queue holding a single task whose worker runs a task that did a channel
 * operation during the watch is left to that worker for this long (0: no
 * such rule, the default). An experiment for many cores, where a spread
 * group's readied partner (kicked from runnext to the queue) is stolen one
 * task at a time (README "Sixteen cores"). */
#ifndef STEAL_LONE_NS
#define STEAL_LONE_NS 0
#endif
#define DEADLOCK_GRACE_NS (100 * 1000000LL)
#ifndef SPREAD_GAP_NS
#define SPREAD_GAP_NS (1000 * 1000) /* a worker moves itself (coro_spread) at most this often */
#endif

enum { ACT_NONE, ACT_YIELD, ACT_PARK, ACT_EXIT };
enum { PARK_FUTEX, PARK_POLL };
enum { CORO_W_RUN, CORO_W_BLOCKED, CORO_W_SPARE };
#define CORO_EXTRA_WORKERS 64 /* worker slots beyond GOC_PROCS for sysmon's handoffs */
#define SYSMON_TICK_NS (1000 * 1000LL)     /* sysmon's shortest period (it backs off to 10x) */
#define SYSMON_STUCK_NS (10 * 1000000LL)   /* a worker that has not switched this long is stuck */

/* GOC_SCHEDSTATS=1 counters (stats.c): per worker, owner-only. */
enum {
    ST_RUN,        /* tasks switched in from the scheduler */
    ST_DIRECT,     /* direct switches (task to runnext task) */
    ST_LOCAL,      /* tasks the scheduler took from its own runnext or queue (not counted:
                      the rare takes right after a netpoll or a steal round's timers) */
    ST_GLOBAL,     /* tasks taken from the global queue */
    ST_STEALS,     /* steals of half a victim's queue */
    ST_STOLEN,     /* tasks those steals took */
    ST_STEAL_RN,   /* a busy victim's runnext taken */
    ST_REF_TALK,   /* a victim's queue refused: its tasks talk (>= 1 op / 250 ns) */
    ST_REF_CHAT,   /*   of which chatty (>= 1 op / 50 ns): backoff */
    ST_REF_DRAIN,  /* refused: the victim drains its queue soon enough */
    ST_TALK_STEAL, /* stolen after TALK_STEAL_NS of refusals (liveness) */
    ST_WAKES,      /* wakep that woke a parked worker */
    ST_PARKS,      /* idle parks (futex or poll) */
    ST_READY_Q,    /* readies that queued (runnext occupied: kick to tail) */
    ST_REF_LONE,   /* refused: a lone task behind a talking one (STEAL_LONE_NS) */
    ST_CHSPIN,     /* channel ops that spun before parking (chan.c) */
    ST_CHSPIN_WON, /*   of which saw the channel ready while spinning */
    ST_PREEMPT,    /* yields at a channel operation that sysmon asked for */
    ST_SPIN_NS,    /* time between tasks, not parked: finding work, spinning, stealing */
    ST_PARKED_NS,  /* time parked idle (coro_idle_park) */
    ST_WATCH_NS,   /* thieves' watches of a victim's queue (runq.c; part of spin) */
    ST_SPREAD,     /* moves off a CPU a busy worker's thread shared (coro_spread) */
    ST_REF_STREAK, /* refusals that began or extended a backoff (REFUSE_STREAK) */
    ST_NSTAT
};

/* GOC_SCHEDLOG=FILE events (schedlog.c): per worker, owner-only. */
enum {
    CORO_EV_IN = 1,   /* a task switched in (who: task id; arg 1: direct switch, +128: root) */
    CORO_EV_OUT,      /* the running task switched out (arg: ACT_YIELD, ACT_PARK, ACT_EXIT) */
    CORO_EV_STEAL,    /* half a victim's queue taken (who: victim worker; arg: tasks) */
    CORO_EV_STEAL_RN, /* a victim's runnext taken */
    CORO_EV_REFUSE,   /* a watched victim's queue left alone (arg: CORO_REF_*) */
    CORO_EV_WATCH,    /* a thief starts watching a victim's queue (runq_grab) */
    CORO_EV_SPIN,     /* the idle spinner starts its looks (find_runnable) */
    CORO_EV_PARK,     /* an idle park starts */
    CORO_EV_UNPARK,   /* and ends */
    CORO_EV_WAKE,     /* this thread woke a parked worker (who: its id) */
    CORO_EV_GLOBAL,   /* tasks taken from the global queue (arg: how many) */
    CORO_EV_NAME,     /* (not in the ring: a task's name goes to the worker's name table) */
    CORO_EV_SPREAD,   /* this thread moved itself to CPU `who` (coro_spread) */
    CORO_EV_N
};
enum { CORO_REF_TALK = 1, CORO_REF_DRAIN, CORO_REF_LONE, CORO_REF_EMPTY /* drained meanwhile */ };
typedef struct coro_tev {
    uint64_t ts;  /* TSC (x86-64) or clock ns */
    uint32_t who; /* a task id (low 32 bits) or a worker id, by event */
    uint16_t cpu; /* the CPU the worker's thread ran on */
    uint8_t ev, arg;
} coro_tev;
#define CORO_TLOG_CAP (1u << 20) /* events kept per worker: the last ones */
/* A task's function name, copied at its first switch-in (a caller of
 * goc_go_at may pass a string that does not outlive the task). */
typedef struct coro_tname {
    uint32_t id;
    char name[44];
} coro_tname;
#define CORO_TNAME_CAP (1u << 14) /* names kept per worker: the first ones */

struct coro_worker {
    /* Thieves read head/slots; only the owner writes tail and slots. */
    _Atomic uint32_t rq_head GOC_ALIGNED_CL;   /* CAS by owner and thieves */
    _Atomic uint32_t rq_tail;                  /* written by the owner only (seq_cst: W1) */
    _Atomic(coro_task *) rq[RUNQ_SIZE];        /* relaxed; published by rq_tail */
    /* Its own cache line: the owner exchanges it twice per handoff, while
     * spinners poll rq_head/rq_tail (and read runnext only when stealing). */
    _Atomic(coro_task *) runnext GOC_ALIGNED_CL; /* exchanged by owner, CAS by thieves */
    /* Readies done by this worker: the deadlock detector's epoch (with
     * S.progress for other threads) and the thieves' sign of a handoff in
     * progress (runq_grab). Written by the owner only (relaxed load + store,
     * no RMW on the handoff path); beside runnext, which changes with it, so
     * that a thief polling both does not pull the owner's hot line. */
    _Atomic uint64_t nready;
    /* Channel operations and selects started by tasks on this worker
     * (coro_note_op): the thieves' sign that its tasks communicate
     * (runq_grab's placement policy). Owner only (relaxed
     * load + store, once per operation), on a line of its own: thieves poll
     * runnext's line and sysmon the one below, while a thief reads this one
     * twice per watch, pulling it from the owner at most twice per try. */
    _Atomic uint64_t nops GOC_ALIGNED_CL;
    /* sysmon's request that the task running here yield at its next channel
     * operation or select (coro_note_op; Go's cooperative preemption before
     * its asynchronous one): set by sysmon (relaxed store) when that task
     * has run SYSMON_STUCK_NS without a switch while work waits, cleared by
     * the owner when it yields (coro_preempted). Its own word, not a bit of
     * nops: the owner bumps nops with a load and a store, which would lose a
     * request landing between them (3 handoffs in one 0.5 s ChanContended
     * run at GOC_PROCS=1 when it was). A request seen late, or left over
     * after the task switched on its own, costs one yield. On nops' line,
     * which the owner holds when it reads it. */
    _Atomic uint32_t preempt;
    /* Naps of this worker's thread on a channel's spin lock (goc__spin_nap_word,
     * goc_internal.h: odd while it naps), bumped by the thread itself (once
     * per nap of up to 20 us, after 64 pauses), read by sysmon's stuck check:
     * a thread asleep there is in a channel operation, not in a system call. */
    _Atomic uint32_t lock_naps;

    /* GOC_SCHEDSTATS counters (stat()), its own lines: owner-only. */
    _Atomic uint64_t st[ST_NSTAT] GOC_ALIGNED_CL;
    /* GOC_SCHEDLOG (schedlog.c): the owner appends, the exit dump reads
     * (tlog_n: release store by the owner, acquire load by the dump). */
    coro_tev *tlog;             /* owner: mapped at its first event */
    _Atomic uint64_t tlog_n;    /* events appended */
    coro_tname *tnames;         /* owner: mapped at its first name */
    _Atomic uint32_t tnames_n;  /* names written (release store; the dump's acquire) */
    bool tlog_failed;           /* owner: a mapping failed, log nothing */
    goc_time parked_ns;         /* owner: parked during this find_runnable (ST_SPIN_NS) */

    /* Owner-only fields (the worker thread). */
    int id GOC_ALIGNED_CL;
    coro_cctx sched_ctx;        /* the scheduler context (the thread's own stack) */
    coro_task *cur;             /* task running, NULL on the scheduler stack */
    int act;                    /* after action left by the task that switched out */
    void (*after)(void *);      /* a parking task's after action (coro_park) */
    void *after_arg;
    coro_task *prev;            /* a task that switched straight to the running one
                                   (direct switch); its after action is still due */
    int prev_act;               /* prev's action (ACT_PARK or ACT_EXIT) */
    _Atomic uint32_t schedtick; /* owner: relaxed load + store (sched_tick); sysmon reads it */
    uint32_t streak;            /* consecutive runnext picks */
    _Atomic int in_task;        /* 1 while a task runs (relaxed hint for thieves, sysmon) */
    /* CORO_W_*: RUN -> BLOCKED by sysmon (CAS), BLOCKED -> SPARE by the
     * owner (coro_worker_retire), SPARE -> RUN by sysmon (a spare reused).
     * seq_cst: ordered with nspare (all_asleep) and park_word. */
    _Atomic int state;
    /* sysmon.c's own bookkeeping (sysmon thread only) */
    uint32_t sm_tick;           /* schedtick at its last change */
    goc_time sm_since;          /* when sysmon saw schedtick change (or the worker out of a task) */
    coro_task *sm_next;         /* runnext at the previous tick */
    bool sm_out;                /* the previous look saw it between tasks (RUN, not in_task) */
    bool sm_asked;              /* preempt was set for the task seen stuck now */
    int64_t sm_ask_cpu;         /* the thread's CPU time then (-1: unknown) */
    uint32_t sm_ask_naps;       /* its lock_naps then */
    uint32_t sm_head;           /* rq_head at the previous tick */
    int64_t sm_cpu;             /* the thread's CPU time when sysmon first saw it stuck (-1: not yet) */
    _Atomic int tid;            /* the worker thread's kernel id (set by the thread at start) */
    bool spinning;              /* owner, except wakep sets it on a parked worker
                                   under idle_lock before waking it */
    coro_stack_cache cache;
    pthread_t thread;
    void *altstack;
#ifdef GOC_TSAN
    void *sched_fiber;
#endif
#ifdef GOC_TSAN_PRECISE_ON
    char tsan_tls; /* sync address: the thread's start -> every task it runs
                    * (released once by worker_main; task.c task_tls_edge) */
#endif
#ifdef GOC_ASAN
    void *fake_stack;
    const void *sched_lo;
    size_t sched_size;
#endif

    /* Idle list: guarded by S.idle_lock. */
    coro_worker *idle_next;
    bool in_idle;
    int park_mode;
    _Atomic uint32_t park_word; /* 1 while parked on it; 0 when woken (release/acquire) */

    coro_theap heap;            /* its own lock */

    /* The CPU the thread last ran on, as the kernel keeps it in the
     * thread's rseq area (glibc registers one per thread): set once by the
     * thread at start (NULL without rseq), then read by any worker
     * (coro_spread; release store, acquire load: glibc set the area up
     * before the thread published it). The kernel writes the value whenever
     * the thread returns to user space on another CPU; a reader gets a
     * recent one, a hint. */
    _Atomic(const volatile uint32_t *) cpu_now;
    goc_time spread_at;         /* owner: its last move (coro_spread) */
};

typedef struct {
    int nprocs;                 /* GOC_PROCS: workers that run tasks at once; set once at start */
    bool chan_spin;             /* set once at start: 2 <= nprocs <= the CPUs we may run on
                                 * (a channel op may spin, chan.c) */
    coro_worker *w;             /* wcap slots; set once at start */
    int wcap;                   /* nprocs + CORO_EXTRA_WORKERS; set once at start */
    _Atomic int nw;             /* slots with a thread (nprocs + sysmon's extra ones); release
                                   store after the slot's thread exists, acquire loads */
    _Atomic int nspare;         /* workers in state CORO_W_SPARE (seq_cst) */
    pthread_t sysmon;           /* the monitor thread (sysmon.c); start_lock */
    bool sysmon_started;        /* start_lock */
    _Atomic uint32_t sysmon_word; /* sysmon's futex word: bumped to stop it */
    _Atomic int started;        /* 0, 1 running; start/stop under start_lock */
    goc__lock start_lock;
    _Atomic int stop;           /* rollback of a failed start */

    goc__lock glock;            /* global queue */
    coro_chainq gq;             /* guarded by glock: chains of tasks (chainq.h) */
    _Atomic uint32_t gsize;     /* written under glock (seq_cst: W1); read anywhere */

    goc__lock idle_lock;
    coro_worker *idle;          /* guarded by idle_lock */
    _Atomic int nidle;          /* written under idle_lock (seq_cst) */
    _Atomic int nspinning;      /* seq_cst */
    _Atomic int poller;         /* 1 while a worker is (about to be) in epoll_wait; under idle_lock */
    _Atomic goc_time poll_until;/* deadline of the poller's sleep; INT64_MAX if none (timer.c) */

    /* goc_main */
    _Atomic int main_running;
    _Atomic uint32_t main_done; /* futex word of the goc_main caller */
    _Atomic uint64_t run_id;
    _Atomic int deadlocked;     /* set once per goc_main by the detector */
    _Atomic int root_queued;    /* 1 from the root's coro_ready until goc_main returns */
    _Atomic uint64_t progress;  /* readies by threads that are not workers (+ workers' nready):
                                   the detector's epoch */
    _Atomic int nforeign;       /* foreign threads that may still wake a task */
    bool detector;              /* GOC_DEADLOCK != 0/off; set once before the workers start */
    bool stats;                 /* GOC_SCHEDSTATS or GOC_SCHEDLOG set: count (stat()); set once */
    bool tlog;                  /* GOC_SCHEDLOG set: log events too (tlog()); set once */
    /* How far the coarse clock may lag the precise one (coro_due): twice
     * CLOCK_MONOTONIC_COARSE's resolution; huge (always read the precise
     * clock) until the runtime starts or if the resolution is unusable. */
    goc_time coarse_slack;
} coro_sched_state;


/* Test hooks (idle.c): set by coro_sysmon's T_poll_window and
 * T_poll_stall, 0 otherwise. */
extern _Atomic int64_t coro_test_pollwin_ns;
/* Handoffs by sysmon so far (sysmon.c; read by tests). */
extern _Atomic long coro_sysmon_handoffs;
extern _Atomic int64_t coro_test_pollstall_ns;
extern _Atomic int64_t coro_test_spinstall_ns; /* coro_sysmon T_spin_stall */
extern _Atomic int64_t coro_test_rnstall_ns;   /* findrun.c; coro_sysmon T_runnext_stall */
void coro_test_stall(_Atomic int64_t *hook);     /* idle.c: spends a stall hook */

/* The scheduler's global state (defined in sched.c). */
extern coro_sched_state coro_sched;
#define S coro_sched


/* Worker slots in use (acquire: pairs with sysmon's release store after it
 * started a slot's thread; a slot below nw is initialised). */
static inline int coro_nw(void) { return atomic_load_explicit(&S.nw, memory_order_acquire); }

/* Whether `when` (a heap's next_when, INT64_MAX: no timer) has passed. The
 * precise clock (vDSO CLOCK_MONOTONIC, ~18 ns on this VM) is read only when
 * the coarse one (CLOCK_MONOTONIC_COARSE, the time of the kernel's last
 * tick, ~4 ns) puts `when` within coarse_slack: a timer far ahead (a 3 s
 * goc_after, a context deadline) then costs no precise read per switch.
 * A precise read on every direct switch with a timer pending cost
 * SelectTimeout (pattern) 7-10 %. No lateness: the coarse clock lags the
 * precise one by less than a tick, and the slack is two. */
static inline bool coro_due(goc_time when) {
    if (GOC_LIKELY(when == INT64_MAX)) return false;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    if (when - S.coarse_slack > goc__ts_ns(&ts)) return false;
    return when <= goc_now();
}

/* Counts event k on w (GOC_SCHEDSTATS, stats.c); a predictable branch when
 * off. w NULL (a thread that is not a worker): not counted. */
static inline void stat(coro_worker *w, int k, uint64_t n) {
    if (GOC_UNLIKELY(S.stats) && w)
        atomic_store_explicit(&w->st[k], atomic_load_explicit(&w->st[k], memory_order_relaxed) + n,
                              memory_order_relaxed);
}

/* The same on the calling thread's worker (a thief, a waker). */
#define stat_self(k, n)                                                                           \
    do {                                                                                          \
        if (GOC_UNLIKELY(S.stats)) stat(coro_worker_self(), (k), (n));                            \
    } while (0)

/* Logs an event of w (GOC_SCHEDLOG, schedlog.c): behind the same flag as
 * stat(), so nothing more when both are off. w NULL: not logged. */
void coro_tlog_put(coro_worker *w, int ev, uint32_t who, unsigned arg);
void coro_tlog_name(coro_worker *w, uint32_t id, const char *name);
static inline void tlog(coro_worker *w, int ev, uint32_t who, unsigned arg) {
    if (GOC_UNLIKELY(S.stats) && S.tlog && w) coro_tlog_put(w, ev, who, arg);
}
/* A task's id as the log writes it (low 32 bits), with the root flag. */
static inline uint32_t tlog_id(const coro_task *t) {
    return (uint32_t)atomic_load_explicit(&t->rec.id, memory_order_relaxed);
}
#define tlog_self(ev, who, arg)                                                                   \
    do {                                                                                          \
        if (GOC_UNLIKELY(S.stats) && S.tlog) tlog(coro_worker_self(), (ev), (who), (arg));        \
    } while (0)

/* The owner counts a schedule (relaxed: sysmon only compares values). */
static inline uint32_t sched_tick(coro_worker *w) {
    uint32_t t = atomic_load_explicit(&w->schedtick, memory_order_relaxed) + 1;
    atomic_store_explicit(&w->schedtick, t, memory_order_relaxed);
    return t;
}

/* ---------------------------------------------------------- sched.c -- */
void coro_worker_init(coro_worker *w, int i);
/* stats.c: GOC_SCHEDSTATS: counting on, and the counts printed at exit. */
void coro_stats_start(void);
/* schedlog.c: GOC_SCHEDLOG=path: logging on, the log written at exit. */
void coro_tlog_start(const char *path);
int coro_worker_start(coro_worker *w);

/* ------------------------------------------------------------ idle.c -- */
void coro_spread(coro_worker *w);
/* coro_spread's switch: set at start (GOC_SPREAD not 0, 2 or more workers,
 * no more than the CPUs, an rseq area); cleared for good by a refused move.
 * Relaxed: a late reader makes one more harmless look. */
extern _Atomic bool coro_spread_on;
/* Owner: before a worker looks for work after an idle park or as a spinner. */
static inline void spread_check(coro_worker *w) {
    if (GOC_UNLIKELY(atomic_load_explicit(&coro_spread_on, memory_order_relaxed))) coro_spread(w);
}

/* --------------------------------------------------------- sysmon.c -- */
int coro_sysmon_start(void);
void coro_sysmon_stop(void);
bool coro_worker_retire(coro_worker *w);

/* ---------------------------------------------------------- runq.c -- */
void coro_global_put(coro_task *first, coro_task *last, uint32_t n);
coro_task *coro_global_get(coro_worker *w, uint32_t max);
bool coro_runq_put_slow(coro_worker *w, coro_task *t, uint32_t h, uint32_t tl);
uint32_t coro_runq_grab(coro_worker *v, coro_task **out, bool steal_next);
bool coro_steal_backoff(const coro_worker *v, goc_time now);
void coro_refuse_note(const coro_worker *v, goc_time now);
void coro_refuse_reset(void);
bool coro_runq_empty(coro_worker *w);

/* ---------------------------------------------------------- idle.c -- */
void coro_wakep(void);
void coro_reset_spinning(coro_worker *w);
bool coro_unidle(coro_worker *w);
bool coro_work_visible(coro_worker *w, int mode);
bool coro_idle_park(coro_worker *w);
coro_worker *coro_late_poller_rescue(void);

/* ------------------------------------------------------- findrun.c -- */
coro_task *coro_find_runnable(coro_worker *w);

/* ---------------------------------------------------------- task.c -- */
coro_task *coro_task_new(coro_worker *w, bool root, void (*fn)(void *), void *arg, const char *file,
                         int line, const char *fn_name);
void coro_run_task(coro_worker *w, coro_task *t);
void coro_task_switch_out(coro_task *t, int act);

/* ------------------------------------------------------ deadlock.c -- */
uint64_t coro_progress_sum(void);
bool coro_all_asleep(void);
void coro_declare_deadlock(void);
bool coro_detector_enabled(void);
bool coro_finish_main(uint32_t how);
void coro_main_finished(coro_task *t);

/* --------------------------------------- run queue: owner's hot path -- */

/* Owner only. */
static inline void runq_put_tail(coro_worker *w, coro_task *t) {
    for (;;) {
        /* acquire: pairs with a thief's CAS on rq_head; the slots it read
         * are free for reuse only after that CAS. */
        uint32_t h = atomic_load_explicit(&w->rq_head, memory_order_acquire);
        uint32_t tl = atomic_load_explicit(&w->rq_tail, memory_order_relaxed); /* ours */
        if (tl - h < RUNQ_SIZE) {
            atomic_store_explicit(&w->rq[tl % RUNQ_SIZE], t, memory_order_relaxed);
            /* seq_cst: publishes the slot to thieves (release part) and is W1
             * of the idle protocol (store-load ordering against wakep). */
            atomic_store_explicit(&w->rq_tail, tl + 1, memory_order_seq_cst);
            return;
        }
        if (coro_runq_put_slow(w, t, h, tl)) return;
    }
}

/* False if t only filled an empty runnext (nothing was queued). */
static inline bool runq_put(coro_worker *w, coro_task *t, bool next) {
    if (next) {
        /* seq_cst: W1 (the exchange is a full barrier on x86 anyway). */
        coro_task *old = atomic_exchange_explicit(&w->runnext, t, memory_order_seq_cst);
        if (!old) return false;
        t = old; /* kick the previous runnext to the tail */
    }
    runq_put_tail(w, t);
    return true;
}

/* Owner only. runnext first, except that after RUNNEXT_STREAK consecutive
 * runnext picks the queue head goes first: without preemption, two tasks
 * handing off to each other through runnext would starve the local queue
 * (Go bounds the pair by its 10 ms time slice and sysmon). */
static inline coro_task *runq_get(coro_worker *w) {
    coro_task *t = atomic_load_explicit(&w->runnext, memory_order_relaxed);
    /* acquire: pairs with the exchange that published t (owner or waker on this thread) */
    if (t && w->streak < RUNNEXT_STREAK &&
        atomic_compare_exchange_strong_explicit(&w->runnext, &t, NULL, memory_order_acquire,
                                                memory_order_relaxed)) {
        w->streak++;
        return t;
    }
    w->streak = 0;
    for (;;) {
        uint32_t h = atomic_load_explicit(&w->rq_head, memory_order_acquire);
        uint32_t tl = atomic_load_explicit(&w->rq_tail, memory_order_relaxed);
        if (h == tl) {
            t = atomic_load_explicit(&w->runnext, memory_order_relaxed);
            if (t && atomic_compare_exchange_strong_explicit(&w->runnext, &t, NULL,
                                                             memory_order_acquire,
                                                             memory_order_relaxed))
                return t;
            return NULL;
        }
        t = atomic_load_explicit(&w->rq[h % RUNQ_SIZE], memory_order_relaxed);
        /* acq_rel: a thief may race for the same slot */
        if (atomic_compare_exchange_weak_explicit(&w->rq_head, &h, h + 1, memory_order_acq_rel,
                                                  memory_order_relaxed))
            return t;
    }
}

/* This thread's worker index + 1, 0 on a foreign thread (set with
 * coro_tls_w): what a plain channel operation records as its channel's
 * last user (chan.c, goc__hc_note_done) in one load and one store. */
extern __thread uint32_t coro_tls_who;

/* Every channel operation and select (goc__hc_enter): on a worker, counts
 * it for the placement policy (runq_grab); on a foreign thread, registers
 * the thread as coro_note_foreign does. One load of coro_tls_w serves both,
 * so the count costs a load, an add and a store. Should a cached TLS
 * address name the worker a task left, the count lands on that worker: a
 * relaxed store on an atomic from a second thread, no race, one count
 * misplaced in a hint. */
void coro_preempted(coro_worker *w);
static inline void coro_note_op(void) {
    coro_worker *w = coro_tls_w;
    if (GOC_LIKELY(w)) {
        atomic_store_explicit(&w->nops, atomic_load_explicit(&w->nops, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        if (GOC_UNLIKELY(atomic_load_explicit(&w->preempt, memory_order_relaxed))) coro_preempted(w);
        return;
    }
    coro_note_foreign();
}

/* Counts a ready for the deadlock detector's epoch (progress_sum). */
static inline void note_progress(coro_worker *w) {
    if (w)
        atomic_store_explicit(&w->nready,
                              atomic_load_explicit(&w->nready, memory_order_relaxed) + 1,
                              memory_order_relaxed); /* owner only */
    else
        atomic_fetch_add_explicit(&S.progress, 1, memory_order_relaxed);
}

#endif
