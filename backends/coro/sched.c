/*
 * sched.c: the coro M:N scheduler (README.md "Scheduler" has the prose).
 *
 * GOC_PROCS worker threads (default: online cores) run tasks. Each worker
 * owns a local run queue (Go's runq: a 256-slot ring, the owner pushes at
 * tail, the owner and thieves take at head with a CAS) and a "run next" slot
 * for the task it just woke (a channel handoff runs the partner next, as Go
 * does). A global queue (locked list) takes overflow, tasks spawned or woken
 * from threads the runtime does not own, and root tasks. A worker with
 * nothing local looks at the global queue, the netpoller, then steals half a
 * random victim's queue; failing that it parks: on its own futex word, or, for
 * at most one worker at a time, in epoll_wait with the nearest timer as the
 * timeout (the "poller").
 *
 * Switching model (Go's g0, plus a direct switch): a task that yields
 * switches to its worker's scheduler context, which then runs the "after"
 * action the task left (requeue for yield, release the locks that publish a
 * park, recycle the stack for exit) and picks the next task. A task that
 * parks or exits while its worker's runnext holds a task (a channel handoff
 * or a spawn just readied it) switches straight to that task instead
 * (direct_next: one switch instead of two), and the incoming task runs the
 * outgoing one's after action first thing on its own stack (task_resumed).
 * Either way the after action runs only once the outgoing task's registers
 * are saved, so a parking task's waiters become visible (its locks are
 * released) only when it is no longer running: no waker can resume a task
 * that is still running (RG10).
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
 *
 * Shared fields name their guard below; the global state is `S`.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "coro.h"
#include "goc_tsan_hide.h" /* precise build: this file is uninstrumented */

#ifdef GOC_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#define RUNQ_SIZE 256u
#define GLOBAL_CHECK_EVERY 61 /* Go: check the global queue every 61 ticks for fairness */
#define RUNNEXT_STREAK 32
#define SPIN_NS (20 * 1000) /* an idle spinner polls this long before parking */
#define RUNNEXT_STEAL_NS (50 * 1000) /* a busy worker's runnext is stolen after this */
#define SYSMON_NS (10 * 1000000LL)     /* idle workers look for a stuck runnext this often */
#define DEADLOCK_GRACE_NS (100 * 1000000LL)

enum { ACT_NONE, ACT_YIELD, ACT_PARK, ACT_EXIT };
enum { PARK_FUTEX, PARK_POLL };

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
    uint32_t schedtick;
    uint32_t streak;            /* consecutive runnext picks */
    _Atomic int in_task;        /* 1 while a task runs (relaxed hint for thieves) */
    bool spinning;              /* owner, except wakep sets it on a parked worker
                                   under idle_lock before waking it */
    coro_stack_cache cache;
    pthread_t thread;
    void *altstack;
#ifdef GOC_TSAN
    void *sched_fiber;
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
};

static struct {
    int nprocs;                 /* set once at start */
    coro_worker *w;             /* set once at start */
    _Atomic int started;        /* 0, 1 running; start/stop under start_lock */
    goc__lock start_lock;
    _Atomic int stop;           /* rollback of a failed start */

    goc__lock glock;            /* global queue */
    coro_task *ghead, *gtail;   /* guarded by glock */
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
    _Atomic uint64_t progress;  /* readies by threads that are not workers (+ workers' nready):
                                   the detector's epoch */
    _Atomic int nforeign;       /* foreign threads that may still wake a task */
    bool detector;              /* GOC_DEADLOCK != 0/off; set once before the workers start */
} S = {.poll_until = INT64_MAX};

_Atomic int coro_ntimers;

static __thread coro_worker *tls_w;
static __thread coro_parker tls_parker;  /* parker of a foreign thread */
static __thread int tls_foreign;         /* counted in S.nforeign */
static pthread_key_t foreign_key;
static pthread_once_t foreign_once = PTHREAD_ONCE_INIT;

const char *goc_backend_name(void) { return "coro"; }

/* ------------------------------------------------------------ accessors -- */

__attribute__((noinline)) coro_worker *coro_worker_self(void) {
    coro_worker *w = tls_w;
    __asm__ volatile("" ::: "memory"); /* never CSE'd across a switch */
    return w;
}
__attribute__((noinline)) coro_task *coro_self(void) {
    coro_worker *w = tls_w;
    coro_task *t = w ? w->cur : NULL;
    __asm__ volatile("" ::: "memory");
    return t;
}
coro_theap *coro_worker_heap(coro_worker *w) { return &w->heap; }
coro_stack_cache *coro_worker_cache(coro_worker *w) { return &w->cache; }
coro_theap *coro_heap_at(int i) { return &S.w[i].heap; }
int coro_nprocs(void) {
    return atomic_load_explicit(&S.started, memory_order_acquire) ? S.nprocs : 0;
}

/* ---------------------------------------------------- sanitizer fibers -- */

#ifdef GOC_TSAN
/* Natural build: every switch is a happens-before edge (the scheduler's own
 * synchronisation is visible anyway). Precise build: no switch is (two tasks
 * on one worker stay unordered, R34); the edges a task needs are annotated
 * explicitly: spawn -> first entry and exit -> the slot's next task on the
 * task struct address, wakes on the parker (chan.c, sync.c). */
#if defined(CORO_PRECISE) || defined(GOC_CORO_TSAN_NO_SYNC)
#define CORO_TSAN_SWITCH_FLAGS __tsan_switch_to_fiber_no_sync
#else
#define CORO_TSAN_SWITCH_FLAGS 0
#endif
#endif

#ifdef GOC_TSAN
void AnnotateBenignRaceSized(const char *f, int l, const volatile void *mem, unsigned long size,
                             const char *desc);
#endif

/* ------------------------------------------------------------ contexts -- */

#ifndef GOC_CORO_UCONTEXT
void goc__coro_switch(void **save_sp, void *load_sp);
void goc__coro_trampoline(void);

void coro_cctx_make(coro_cctx *c, void *lo, size_t size, void (*entry)(void *), void *arg) {
    uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
    /* Frame of ctx_x86_64.S, placed so that rsp % 16 == 0 at the trampoline's
     * call (frame + 64 == top - 16). */
    uint64_t *f = (uint64_t *)(top - 16 - 64);
    f[0] = 0x1f80ull | (0x037full << 32); /* MXCSR, x87 CW */
    f[1] = 0;                             /* r15 */
    f[2] = 0;                             /* r14 */
    f[3] = (uint64_t)(uintptr_t)entry;    /* r13 */
    f[4] = (uint64_t)(uintptr_t)arg;      /* r12 */
    f[5] = 0;                             /* rbx */
    f[6] = 0;                             /* rbp: ends frame-pointer walks */
    f[7] = (uint64_t)(uintptr_t)goc__coro_trampoline;
    c->sp = f;
}
void coro_cctx_switch(coro_cctx *from, coro_cctx *to) { goc__coro_switch(&from->sp, to->sp); }
#endif

/* ---------------------------------------------------------- run queues -- */

static void global_put_list(coro_task *first, coro_task *last, uint32_t n) {
    goc__lock_acquire(&S.glock);
    last->next = NULL;
    if (S.gtail) S.gtail->next = first;
    else S.ghead = first;
    S.gtail = last;
    /* seq_cst: W1 of the idle protocol (pairs with I3's load) */
    atomic_store_explicit(&S.gsize, atomic_load_explicit(&S.gsize, memory_order_relaxed) + n,
                          memory_order_seq_cst);
    goc__lock_release(&S.glock);
}

static bool runq_put_slow(coro_worker *w, coro_task *t, uint32_t h, uint32_t tl);

/* Owner only. */
static void runq_put_tail(coro_worker *w, coro_task *t) {
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
        if (runq_put_slow(w, t, h, tl)) return;
    }
}

/* Full local queue: moves half of it and t to the global queue (Go's
 * runqputslow). False if a thief raced us (retry the fast path). */
static bool runq_put_slow(coro_worker *w, coro_task *t, uint32_t h, uint32_t tl) {
    uint32_t n = (tl - h) / 2;
    coro_task *batch[RUNQ_SIZE / 2 + 1];
    for (uint32_t i = 0; i < n; i++)
        batch[i] = atomic_load_explicit(&w->rq[(h + i) % RUNQ_SIZE], memory_order_relaxed);
    /* acq_rel: claims the slots read above (pairs with thieves' CAS). */
    if (!atomic_compare_exchange_strong_explicit(&w->rq_head, &h, h + n, memory_order_acq_rel,
                                                 memory_order_relaxed))
        return false;
    batch[n] = t;
    for (uint32_t i = 0; i < n; i++) batch[i]->next = batch[i + 1];
    global_put_list(batch[0], t, n + 1);
    return true;
}

/* False if t only filled an empty runnext (nothing was queued). */
static bool runq_put(coro_worker *w, coro_task *t, bool next) {
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
static coro_task *runq_get(coro_worker *w) {
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

/* One step of a thief's patience (runq_grab): a short pause, and every 8th
 * step a sched_yield, so that on an overcommitted machine the waiting thief
 * gives its CPU to the victim it waits for instead of competing with it. */
static void patience_pause(unsigned *it) {
    for (int k = 0; k < 16; k++) goc__cpu_relax();
    if ((++*it & 7u) == 0) sched_yield();
}

/* Thief: grabs half of v's queue (or its runnext) into out[]. */
static uint32_t runq_grab(coro_worker *v, coro_task **out, bool steal_next) {
    for (;;) {
        /* acquire on both: the slots between head and tail were published by
         * v's release/seq_cst store of rq_tail. */
        uint32_t h = atomic_load_explicit(&v->rq_head, memory_order_acquire);
        uint32_t tl = atomic_load_explicit(&v->rq_tail, memory_order_acquire);
        uint32_t n = tl - h;
        n = n - n / 2;
        if (n == 0) {
            if (!steal_next) return 0;
            coro_task *t = atomic_load_explicit(&v->runnext, memory_order_acquire);
            if (t) {
                /* Go's runqgrab: v is running a task that probably just
                 * readied t and is about to block (a handoff); give v time
                 * to run t itself instead of splitting the pair across
                 * workers. Go waits 3 us; here t is left alone as long as v
                 * keeps handing off (its ready count or runnext changes) or
                 * is between tasks (its scheduler takes runnext first), and
                 * taken once it sat in runnext behind one running task for
                 * RUNNEXT_STEAL_NS: long enough for a producer to fill a
                 * 1024-slot buffer before it blocks and runs its consumer
                 * on the same worker, short against the OS's time slices.
                 * relaxed loads: hints; the CAS below decides. */
                uint64_t r0 = atomic_load_explicit(&v->nready, memory_order_relaxed);
                goc_time until = goc_now() + RUNNEXT_STEAL_NS;
                unsigned it = 0;
                for (;;) {
                    if (!atomic_load_explicit(&v->in_task, memory_order_relaxed) ||
                        atomic_load_explicit(&v->nready, memory_order_relaxed) != r0 ||
                        atomic_load_explicit(&v->runnext, memory_order_relaxed) != t)
                        return 0; /* v is handing off or scheduling: leave it */
                    if (goc_now() >= until) break;
                    patience_pause(&it);
                }
                t = atomic_load_explicit(&v->runnext, memory_order_acquire);
            }
            if (t && atomic_compare_exchange_strong_explicit(&v->runnext, &t, NULL,
                                                             memory_order_acq_rel,
                                                             memory_order_relaxed)) {
                out[0] = t;
                return 1;
            }
            return 0;
        }
        if (n > RUNQ_SIZE / 2) continue; /* inconsistent h/tl snapshot */
        if (atomic_load_explicit(&v->in_task, memory_order_relaxed)) {
            /* Tasks queued behind a worker that keeps draining its queue
             * are usually partners of what it runs (a pipeline, tasks
             * sharing a channel: a task that readied two kicked the first
             * from runnext to the queue). The owner gets to them within a
             * few handoffs, while stealing them spreads the group over two
             * cores, and every operation on their shared channels then
             * moves cache lines between them (MPMC: ~3x slower). Leave them
             * while the owner makes progress on its queue (rq_head moves)
             * or is between tasks; take half once the head stalled behind
             * one running task for RUNNEXT_STEAL_NS (tasks that compute
             * are spread after 50 us). */
            goc_time until = goc_now() + RUNNEXT_STEAL_NS;
            unsigned it = 0;
            for (;;) {
                if (!atomic_load_explicit(&v->in_task, memory_order_relaxed) ||
                    atomic_load_explicit(&v->rq_head, memory_order_relaxed) != h)
                    return 0;
                if (goc_now() >= until) break;
                patience_pause(&it);
            }
            continue; /* re-read head and tail, then steal */
        }
        for (uint32_t i = 0; i < n; i++)
            out[i] = atomic_load_explicit(&v->rq[(h + i) % RUNQ_SIZE], memory_order_relaxed);
        if (atomic_compare_exchange_strong_explicit(&v->rq_head, &h, h + n, memory_order_acq_rel,
                                                    memory_order_relaxed))
            return n;
    }
}

static bool runq_empty(coro_worker *w) {
    return atomic_load_explicit(&w->rq_head, memory_order_seq_cst) ==
               atomic_load_explicit(&w->rq_tail, memory_order_seq_cst) &&
           atomic_load_explicit(&w->runnext, memory_order_seq_cst) == NULL;
}

static coro_task *global_get(coro_worker *w, uint32_t max) {
    if (atomic_load_explicit(&S.gsize, memory_order_seq_cst) == 0) return NULL;
    goc__lock_acquire(&S.glock);
    uint32_t n = atomic_load_explicit(&S.gsize, memory_order_relaxed);
    if (n == 0) {
        goc__lock_release(&S.glock);
        return NULL;
    }
    uint32_t take = n / (uint32_t)S.nprocs + 1;
    if (take > n) take = n;
    if (take > max) take = max;
    if (take > RUNQ_SIZE / 2) take = RUNQ_SIZE / 2;
    coro_task *t = S.ghead;
    S.ghead = t->next;
    for (uint32_t i = 1; i < take; i++) {
        coro_task *x = S.ghead;
        S.ghead = x->next;
        runq_put_tail(w, x);
    }
    if (!S.ghead) S.gtail = NULL;
    atomic_store_explicit(&S.gsize, n - take, memory_order_seq_cst);
    goc__lock_release(&S.glock);
    return t;
}

/* ---------------------------------------------------------- idle/wake -- */

/* Wakes one parked worker, as a spinner, if nobody is spinning (Go's wakep). */
static void wakep(void) {
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

/* Counts a ready for the deadlock detector's epoch (progress_sum). */
static void note_progress(coro_worker *w) {
    if (w)
        atomic_store_explicit(&w->nready,
                              atomic_load_explicit(&w->nready, memory_order_relaxed) + 1,
                              memory_order_relaxed); /* owner only */
    else
        atomic_fetch_add_explicit(&S.progress, 1, memory_order_relaxed);
}

/* Monotonic sum of every ready so far: unchanged over the detector's grace
 * period means nothing was readied meanwhile. */
static uint64_t progress_sum(void) {
    uint64_t n = atomic_load_explicit(&S.progress, memory_order_seq_cst);
    for (int i = 0; i < S.nprocs; i++)
        n += atomic_load_explicit(&S.w[i].nready, memory_order_seq_cst);
    return n;
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
        global_put_list(t, t, 1);
    }
    wakep();
}

void coro_timer_added(goc_time when) {
    /* The heap's next_when was stored seq_cst before this (timer.c). */
    note_progress(coro_worker_self());
    if (atomic_load_explicit(&S.poller, memory_order_seq_cst)) {
        if (when < atomic_load_explicit(&S.poll_until, memory_order_seq_cst)) coro_netpoll_break();
    } else {
        wakep();
    }
}

void coro_poll_added(void) {
    /* seq_cst: coro_nfdwait was incremented (seq_cst) before; pairs with the
     * re-check of an idle worker (work_visible). A running poller sees the
     * new registration by itself. */
    if (!atomic_load_explicit(&S.poller, memory_order_seq_cst)) wakep();
}

static void foreign_exit(void *arg) {
    (void)arg;
    atomic_fetch_sub_explicit(&S.nforeign, 1, memory_order_seq_cst);
}
static void foreign_key_init(void) { pthread_key_create(&foreign_key, foreign_exit); }

void coro_note_foreign(void) {
    /* tls_w read directly: no switch happens inside this function */
    if (GOC_LIKELY(tls_w != NULL) || tls_foreign) return;
    pthread_once(&foreign_once, foreign_key_init);
    tls_foreign = 1;
    atomic_fetch_add_explicit(&S.nforeign, 1, memory_order_seq_cst);
    pthread_setspecific(foreign_key, (void *)1); /* foreign_exit at thread exit */
}

/* ------------------------------------------------------------- parking -- */

coro_parker *coro_parker_self(void) {
    coro_task *t = coro_self();
    if (t) return &t->parker;
    coro_note_foreign();
    return &tls_parker;
}

uint32_t coro_parker_begin(coro_parker *p) {
    uint64_t w = atomic_load_explicit(&p->word, memory_order_relaxed); /* owner-written seq */
    uint32_t seq = (uint32_t)(w >> 32) + 1;
    /* relaxed: the new word is published to wakers by the lock that
     * publishes the waiters (or the timer/epoll arming after the switch). */
    atomic_store_explicit(&p->word, (uint64_t)seq << 32, memory_order_relaxed);
    if (!p->task) atomic_store_explicit(&p->futex, 0, memory_order_relaxed);
    return seq;
}

bool coro_claim(coro_parker *p, uint32_t seq, uint32_t code) {
    uint64_t exp = (uint64_t)seq << 32;
    /* acq_rel: acquire the owner's waiter setup; release our writes into the
     * waiter (value, err) to the owner's acquire load in coro_park. */
    return atomic_compare_exchange_strong_explicit(&p->word, &exp, exp | code,
                                                   memory_order_acq_rel, memory_order_relaxed);
}

void coro_parker_ready(coro_parker *p) {
    coro_task *t = p->task;
    if (t) {
        coro_ready(t);
    } else {
        /* release: pairs with the acquire load in coro_park's futex loop */
        atomic_store_explicit(&p->futex, 1, memory_order_release);
        goc__futex_wake(&p->futex, 1);
    }
}

void coro_after_unlock(void *lock) { goc__lock_release((goc__lock *)lock); }

static void task_switch_out(coro_task *t, int act);
static void main_finished(coro_task *t);

static void park_timeout(void *arg) {
    coro_task *t = arg;
    if (coro_claim(&t->parker, t->timer_seq, CORO_FIRED_TIMEOUT)) coro_parker_ready(&t->parker);
}

uint32_t coro_park(coro_parker *p, uint32_t seq, void (*after)(void *), void *arg,
                   goc_time deadline) {
    coro_task *t = p->task;
    if (t) {
        coro_worker *w = t->w;
        w->after = after;
        w->after_arg = arg;
        t->park_deadline = deadline;
        t->timer_seq = seq;
        task_switch_out(t, ACT_PARK);
        if (GOC_UNLIKELY((uint32_t)atomic_load_explicit(&p->word, memory_order_relaxed) == 0))
            goc__fatal("coro: task %llu resumed without a wake", (unsigned long long)t->rec.id);
        if (goc__deadline_kind(deadline) == GOC_DL_AT) coro_timer_cancel_sync(&t->timer);
    } else {
        /* A thread the runtime does not own: sleep on the futex. */
        if (after) after(arg);
        bool timed = goc__deadline_kind(deadline) == GOC_DL_AT;
        for (;;) {
            if (atomic_load_explicit(&p->futex, memory_order_acquire)) break;
            int r = goc__futex_wait(&p->futex, 0, timed ? deadline : GOC_NEVER);
            if (r == -ETIMEDOUT && timed && goc_now() >= deadline) {
                if (coro_claim(p, seq, CORO_FIRED_TIMEOUT)) return CORO_FIRED_TIMEOUT;
                timed = false; /* someone claimed first: wait for its ready */
            }
        }
    }
    /* acquire: pairs with the winner's acq_rel claim */
    return (uint32_t)atomic_load_explicit(&p->word, memory_order_acquire);
}

/* -------------------------------------------------------- task switches -- */

/* Switch-in bookkeeping of t on w (scheduler stack, or the stack of the task
 * switching straight to t). Owner-only fields of w. */
static void task_enter(coro_worker *w, coro_task *t) {
    /* RG10: a task is never run twice at once. relaxed: the queues that
     * delivered t already ordered its previous run before this one. A load
     * and a store, not an exchange: the check catches a task readied again
     * before its previous run switched out (a double wake), without a locked
     * instruction on every switch. */
    if (GOC_UNLIKELY(atomic_load_explicit(&t->running, memory_order_relaxed)))
        goc__fatal("coro: task %llu resumed while running (double wake)",
                   (unsigned long long)t->rec.id);
    atomic_store_explicit(&t->running, 1, memory_order_relaxed);
    w->cur = t;
    t->w = w;
    goc__cur_task = &t->rec;
    t->fresh = false;
}

/* The after action of p, which switched out with act. Runs once p's
 * registers are saved: on the scheduler stack (run_task) or on the stack of
 * the task p switched straight to (task_resumed). */
static void task_left(coro_worker *w, coro_task *p, int act, void (*after)(void *), void *arg) {
    atomic_store_explicit(&p->running, 0, memory_order_relaxed);
    if (!p->guarded) coro_stack_check(p); /* guarded slots fault instead */
    switch (act) {
    case ACT_YIELD:
        runq_put_tail(w, p);
        break;
    case ACT_PARK:
        if (goc__deadline_kind(p->park_deadline) == GOC_DL_AT)
            coro_timer_arm(&p->timer, p->park_deadline, park_timeout, p);
        if (after) after(arg);
        break;
    case ACT_EXIT:
#ifdef GOC_TSAN
        __tsan_destroy_fiber(p->fiber);
#endif
        if (p->is_root) main_finished(p);
        coro_stack_free(w, p);
        break;
    default:
        goc__fatal("coro: task switched out without an action");
    }
}

/* The task to switch straight to when the running task of w parks or exits:
 * w's runnext, when the scheduler would pick it anyway (runnext streak not
 * exhausted, not a global-queue tick, no expired timer of w's heap); NULL
 * sends the task through the scheduler. Owner only.
 * The precise TSan build keeps the scheduler round trip: there the
 * scheduler fiber is hidden for good, and an after action run on a task's
 * fiber would be seen by TSan. */
static coro_task *direct_next(coro_worker *w) {
#ifdef CORO_PRECISE
    (void)w;
    return NULL;
#else
    if (w->streak >= RUNNEXT_STREAK || (w->schedtick + 1) % GLOBAL_CHECK_EVERY == 0) return NULL;
    goc_time nw = atomic_load_explicit(&w->heap.next_when, memory_order_relaxed);
    if (GOC_UNLIKELY(nw != INT64_MAX) && nw <= goc_now()) return NULL;
    coro_task *n = atomic_load_explicit(&w->runnext, memory_order_relaxed);
    /* acquire: pairs with the exchange that published n (as runq_get) */
    if (!n || !atomic_compare_exchange_strong_explicit(&w->runnext, &n, NULL, memory_order_acquire,
                                                      memory_order_relaxed))
        return NULL;
    w->streak++;
    w->schedtick++;
    return n;
#endif
}

/* Called by a task right after it resumed (and by a fresh task first thing):
 * if the task that ran before it on this worker switched straight here, run
 * that task's after action now (we are on our own stack: its registers are
 * saved). Keeps this task's errno. */
static void task_resumed(void) {
    coro_worker *w = coro_worker_self(); /* not t->w of before: we may have migrated */
    coro_task *p = w->prev;
    if (!p) return;
    int e = errno;
    w->prev = NULL;
    void (*after)(void *) = w->after;
    w->after = NULL;
    task_left(w, p, w->prev_act, after, w->after_arg);
    errno = e;
}

static void task_switch_out(coro_task *t, int act) {
    coro_worker *w = t->w; /* valid while t runs */
    coro_task *n = act == ACT_YIELD ? NULL : direct_next(w);
    if (n) {
        /* Direct switch: n runs t's after action (task_resumed). */
        t->saved_errno = errno;
        w->prev = t;
        w->prev_act = act;
        task_enter(w, n);
        errno = n->saved_errno;
#ifdef GOC_ASAN
        __sanitizer_start_switch_fiber(act == ACT_EXIT ? NULL : &t->fake_stack, n->stack_lo,
                                       n->stack_size);
#endif
#ifdef GOC_TSAN
        __tsan_switch_to_fiber(n->fiber, CORO_TSAN_SWITCH_FLAGS); /* right before the jump */
#endif
        coro_cctx_switch(&t->ctx, &n->ctx);
    } else {
        w->act = act;
#ifdef GOC_ASAN
        __sanitizer_start_switch_fiber(act == ACT_EXIT ? NULL : &t->fake_stack, w->sched_lo,
                                       w->sched_size);
#endif
#ifdef GOC_TSAN
        __tsan_switch_to_fiber(w->sched_fiber, CORO_TSAN_SWITCH_FLAGS); /* right before the jump */
#endif
        coro_cctx_switch(&t->ctx, &w->sched_ctx);
    }
    /* Resumed, maybe on another worker: w is stale from here on. */
#ifdef GOC_ASAN
    __sanitizer_finish_switch_fiber(t->fake_stack, NULL, NULL);
#endif
    task_resumed();
}

static void task_entry(void *arg) {
    coro_task *t = arg;
#ifdef GOC_ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    task_resumed();
    /* precise build (unhidden here): spawner and the slot's previous task
     * happen before this task; this task before the slot's next one */
    GOC_TSAN_P_ACQUIRE(t);
    t->fn(t->arg);
    GOC_TSAN_P_RELEASE(t);
    /* Not hidden: TSan rejects destroying a fiber with ignores enabled. The
     * registry hides its own lock, and the rest up to the switch is
     * uninstrumented plain code. */
    goc__registry_remove(&t->rec);
    task_switch_out(t, ACT_EXIT);
    __builtin_unreachable();
}

static coro_task *task_new(coro_worker *w, void (*fn)(void *), void *arg, const char *file,
                           int line, const char *fn_name) {
    coro_task *t = coro_stack_alloc(w);
    if (!t) return NULL;
    t->fn = fn;
    t->arg = arg;
    t->next = NULL;
    t->w = NULL;
    t->is_root = false;
    t->fresh = true;
    t->saved_errno = 0;
    t->poll_fd = t->poll_dup = -1; /* parker.task: set once by stack.c */
    goc__rec_init(&t->rec, file, line, fn_name);
    coro_cctx_make(&t->ctx, t->stack_lo, t->stack_size, task_entry, t);
#ifdef GOC_TSAN
    t->fiber = __tsan_create_fiber(0);
    __tsan_set_fiber_name(t->fiber, fn_name ? fn_name : "goc task");
#endif
#ifdef GOC_ASAN
    t->fake_stack = NULL;
#endif
    return t;
}

/* main_done: 0 while the root runs; 1 when it returned; 2 when the detector
 * declared a deadlock. The first CAS wins (the root may return while the
 * detector is deciding); release pairs with goc_main's acquire load. */
static bool finish_main(uint32_t how) {
    uint32_t z = 0;
    if (!atomic_compare_exchange_strong_explicit(&S.main_done, &z, how, memory_order_acq_rel,
                                                 memory_order_relaxed))
        return false;
    goc__futex_wake(&S.main_done, 1);
    return true;
}

static void main_finished(coro_task *t) {
    if (t->run_id != atomic_load_explicit(&S.run_id, memory_order_relaxed)) return;
    finish_main(1);
}

/* Runs t until a task of this worker switches back to the scheduler (t, or
 * the last of a chain of direct switches that started with t), then
 * performs that task's after action. */
static void run_task(coro_worker *w, coro_task *t) {
    task_enter(w, t);
    w->act = ACT_NONE;
    errno = t->saved_errno;
    atomic_store_explicit(&w->in_task, 1, memory_order_relaxed);
    /* Nothing but the jump after the fiber switch: TSan attributes every
     * access from here on to the task's fiber. */
#ifdef GOC_ASAN
    __sanitizer_start_switch_fiber(&w->fake_stack, t->stack_lo, t->stack_size);
#endif
#ifdef GOC_TSAN
    __tsan_switch_to_fiber(t->fiber, CORO_TSAN_SWITCH_FLAGS);
#endif
    coro_cctx_switch(&w->sched_ctx, &t->ctx);
    atomic_store_explicit(&w->in_task, 0, memory_order_relaxed);
#ifdef GOC_ASAN
    __sanitizer_finish_switch_fiber(w->fake_stack, NULL, NULL);
#endif
    coro_task *p = w->cur; /* the task that switched back (not t after direct switches) */
    p->saved_errno = errno;
    goc__cur_task = NULL;
    w->cur = NULL;
    void (*after)(void *) = w->after;
    w->after = NULL;
    task_left(w, p, w->act, after, w->after_arg);
}

/* --------------------------------------------------------- the detector -- */

static bool all_asleep(void) {
    if (!atomic_load_explicit(&S.main_running, memory_order_seq_cst)) return false;
    if (atomic_load_explicit(&S.deadlocked, memory_order_seq_cst)) return false;
    if (atomic_load_explicit(&S.main_done, memory_order_seq_cst) != 0) return false;
    if (atomic_load_explicit(&S.nidle, memory_order_seq_cst) != S.nprocs) return false;
    if (atomic_load_explicit(&S.nspinning, memory_order_seq_cst) != 0) return false;
    if (atomic_load_explicit(&S.gsize, memory_order_seq_cst) != 0) return false;
    if (atomic_load_explicit(&coro_ntimers, memory_order_seq_cst) != 0) return false;
    if (atomic_load_explicit(&coro_nfdwait, memory_order_seq_cst) != 0) return false;
    if (atomic_load_explicit(&S.nforeign, memory_order_seq_cst) != 0) return false;
    if (atomic_load_explicit(&S.poller, memory_order_seq_cst) != 0) return false;
    for (int i = 0; i < S.nprocs; i++)
        if (!runq_empty(&S.w[i])) return false;
    return true;
}

static void declare_deadlock(void) {
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
    finish_main(2);
}

static bool detector_enabled(void) { return S.detector; }

/* ------------------------------------------------------ finding work -- */

static coro_task *steal_work(coro_worker *w) {
    coro_task *buf[RUNQ_SIZE / 2 + 1];
    int n = S.nprocs;
    for (int round = 0; round < 4; round++) {
        uint32_t start = goc__rand_n((uint32_t)n);
        for (int k = 0; k < n; k++) {
            coro_worker *v = &S.w[(start + (uint32_t)k) % (uint32_t)n];
            if (v == w) continue;
            if (atomic_load_explicit(&v->heap.next_when, memory_order_relaxed) <= goc_now())
                coro_timers_run(&v->heap, goc_now());
            uint32_t got = runq_grab(v, buf, round == 3);
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

static void run_all_timers(void) {
    goc_time now = goc_now();
    for (int i = 0; i < S.nprocs; i++)
        if (atomic_load_explicit(&S.w[i].heap.next_when, memory_order_relaxed) <= now)
            coro_timers_run(&S.w[i].heap, now);
}

static void reset_spinning(coro_worker *w) {
    if (!w->spinning) return;
    w->spinning = false;
    /* Go: the last spinner that found work wakes another, so that the work
     * that may remain gets a thread. */
    if (atomic_fetch_sub_explicit(&S.nspinning, 1, memory_order_seq_cst) == 1) wakep();
}

/* Removes w from the idle list if still there; false if a waker took it
 * (then w is spinning on the waker's account). */
static bool unidle(coro_worker *w) {
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

static bool work_visible(coro_worker *w, int mode) {
    if (atomic_load_explicit(&S.gsize, memory_order_seq_cst)) return true;
    for (int i = 0; i < S.nprocs; i++)
        if (!runq_empty(&S.w[i])) return true;
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
static bool runnext_stuck(coro_worker *w) {
    for (int i = 0; i < S.nprocs; i++) {
        coro_worker *v = &S.w[i];
        if (v != w && atomic_load_explicit(&v->runnext, memory_order_relaxed) &&
            atomic_load_explicit(&v->in_task, memory_order_relaxed))
            return true;
    }
    return false;
}

static coro_task *find_runnable(coro_worker *w) {
    for (;;) {
        if (atomic_load_explicit(&S.stop, memory_order_acquire)) return NULL;
        goc_time now = 0;
        if (atomic_load_explicit(&w->heap.next_when, memory_order_relaxed) != INT64_MAX) {
            now = goc_now();
            if (atomic_load_explicit(&w->heap.next_when, memory_order_relaxed) <= now)
                coro_timers_run(&w->heap, now);
        }
        coro_task *t;
        if (++w->schedtick % GLOBAL_CHECK_EVERY == 0) {
            if ((t = global_get(w, 1))) return t;
            if (atomic_load_explicit(&coro_nfdwait, memory_order_relaxed) &&
                !atomic_load_explicit(&S.poller, memory_order_relaxed))
                coro_netpoll(0);
            run_all_timers();
        }
        if ((t = runq_get(w))) return t;
        if ((t = global_get(w, RUNQ_SIZE / 2))) return t;
        if (atomic_load_explicit(&coro_nfdwait, memory_order_relaxed) &&
            !atomic_load_explicit(&S.poller, memory_order_relaxed) && coro_netpoll(0) > 0 &&
            (t = runq_get(w)))
            return t;
        run_all_timers();
        if ((t = runq_get(w))) return t;

        /* Steal, as a spinner; at most half of the busy workers spin (Go). */
        int nsp = atomic_load_explicit(&S.nspinning, memory_order_relaxed);
        int busy = S.nprocs - atomic_load_explicit(&S.nidle, memory_order_relaxed);
        if (S.nprocs > 1 && (w->spinning || 2 * nsp < busy)) {
            if (!w->spinning) {
                w->spinning = true;
                atomic_fetch_add_explicit(&S.nspinning, 1, memory_order_seq_cst);
            }
            if ((t = steal_work(w))) return t;
            /* Spin a little before parking (Go's spinning M): while we spin,
             * wakers see nspinning > 0 and skip the futex wake, so a
             * producer/consumer or ping-pong pair split across two workers
             * does not pay a system call per handoff. Bounded: SPIN_NS. */
            goc_time until = goc_now() + SPIN_NS;
            bool seen = false;
            while (!seen && goc_now() < until) {
                for (int k = 0; k < 64; k++) goc__cpu_relax();
                if (atomic_load_explicit(&S.gsize, memory_order_relaxed)) seen = true;
                for (int i = 0; !seen && i < S.nprocs; i++) {
                    coro_worker *v = &S.w[i];
                    /* queued work only: a runnext belongs to its worker,
                     * which is about to run it (a handoff) */
                    if (atomic_load_explicit(&v->rq_head, memory_order_relaxed) !=
                        atomic_load_explicit(&v->rq_tail, memory_order_relaxed))
                        seen = true;
                }
            }
            if (seen) continue; /* still a spinner: look again */
        }

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
        if (work_visible(w, mode) || atomic_load_explicit(&S.stop, memory_order_acquire)) {
            unidle(w); /* if a waker took us off the list, we spin on its account */
            continue;
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
            unidle(w); /* also gives up the poller role */
            continue;
        }

        /* I4: futex park, with the deadlock check by the last worker in. */
        if (detector_enabled() && all_asleep()) {
            uint64_t pr = progress_sum();
            goc__futex_wait(&w->park_word, 1, goc_now() + DEADLOCK_GRACE_NS);
            if (atomic_load_explicit(&w->park_word, memory_order_acquire) == 1 && all_asleep() &&
                progress_sum() == pr)
                declare_deadlock();
        }
        /* acquire: pairs with wakep's release store of 0. Ticks every
         * SYSMON_NS: a worker's runnext that no wakep announced (coro_ready)
         * stays stuck while the task that readied it keeps running. */
        bool tick = false;
        while (atomic_load_explicit(&w->park_word, memory_order_acquire) == 1) {
            if (atomic_load_explicit(&S.stop, memory_order_acquire)) break;
            goc__futex_wait(&w->park_word, 1, goc_now() + SYSMON_NS);
            if (atomic_load_explicit(&w->park_word, memory_order_acquire) == 1 && runnext_stuck(w)) {
                tick = true;
                break;
            }
        }
        if (atomic_load_explicit(&S.stop, memory_order_acquire)) return NULL;
        if (tick) unidle(w); /* look (and steal) as any worker would; if a
                                waker took us meanwhile we spin on its account */
        /* else woken by wakep: we are a spinner now (w->spinning set by it) */
    }
}

/* ------------------------------------------------------ guard pages -- */

static struct sigaction old_segv;

static void write_str(const char *s) {
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}
static void write_num(uint64_t v) {
    char b[24];
    int i = 23;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    write_str(b + i);
}

static void segv_handler(int sig, siginfo_t *si, void *uc) {
    coro_worker *w = tls_w;
    coro_task *t = w ? w->cur : NULL;
    if (t && coro_stack_in_guard(t, si->si_addr)) {
        write_str("goc: fatal error: stack overflow in coro task ");
        write_num(t->rec.id);
        write_str(" (");
        write_str(t->rec.fn_name);
        write_str(" spawned at ");
        write_str(t->rec.spawn_file);
        write_str(":");
        write_num((uint64_t)t->rec.spawn_line);
        write_str("): it ran into the guard page below its ");
        write_num(t->stack_size);
        write_str("-byte stack; raise GOC_STACK\n");
        signal(SIGSEGV, SIG_DFL); /* re-fault and die with SIGSEGV */
        return;
    }
    if (old_segv.sa_flags & SA_SIGINFO) {
        if (old_segv.sa_sigaction) {
            old_segv.sa_sigaction(sig, si, uc);
            return;
        }
    } else if (old_segv.sa_handler != SIG_DFL && old_segv.sa_handler != SIG_IGN) {
        old_segv.sa_handler(sig);
        return;
    }
    signal(SIGSEGV, SIG_DFL);
}

static void install_segv_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = segv_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
}

/* ------------------------------------------------------------ workers -- */

static void *worker_main(void *arg) {
    coro_worker *w = arg;
    tls_w = w;
#ifdef GOC_TSAN
    /* Tasks on this thread share its TLS. goc.h's call-site macros write
     * goc__callsite from user code, and compiled code may keep the address
     * of a TLS variable across a call that migrates the task (glibc declares
     * __errno_location const; the compiler may CSE &goc__callsite too), so a
     * task can write the slot of the worker it left while that worker runs
     * another task. Both slots hold diagnostics only (the runtime saves and
     * restores errno's value per task): benign by design, not reported. */
    AnnotateBenignRaceSized(__FILE__, __LINE__, &goc__callsite, sizeof goc__callsite,
                            "goc__callsite: per-worker diagnostic slot shared by its tasks");
    AnnotateBenignRaceSized(__FILE__, __LINE__, &errno, sizeof errno,
                            "errno: per-worker, saved and restored per task");
#endif
#ifdef CORO_PRECISE
    CORO_HIDE_BEGIN(); /* the scheduler fiber is hidden for good */
#endif
#ifndef GOC_SANITIZED
    /* An alternate signal stack so the guard-page handler can run after an
     * overflow (the sanitizers install their own). */
    size_t as = 64 * 1024;
    w->altstack = mmap(NULL, as, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (w->altstack != MAP_FAILED) {
        stack_t ss = {.ss_sp = w->altstack, .ss_size = as, .ss_flags = 0};
        sigaltstack(&ss, NULL);
    }
#endif
#ifdef GOC_TSAN
    w->sched_fiber = __tsan_get_current_fiber();
#endif
#ifdef GOC_ASAN
    pthread_attr_t a;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        void *lo;
        size_t sz;
        pthread_attr_getstack(&a, &lo, &sz);
        w->sched_lo = lo;
        w->sched_size = sz;
        pthread_attr_destroy(&a);
    }
#endif
    for (;;) {
        coro_task *t = find_runnable(w);
        if (!t) break;
        reset_spinning(w);
        run_task(w, t);
    }
    return NULL;
}

static int parse_procs(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) n = CPU_COUNT(&set);
    const char *e = getenv("GOC_PROCS");
    if (e && *e) {
        char *end;
        long v = strtol(e, &end, 10);
        if (*end == 0 && v >= 1 && v <= 1024) n = v;
        else fprintf(stderr, "goc: ignoring GOC_PROCS=%s (want 1..1024)\n", e);
    }
    return n < 1 ? 1 : (int)n;
}

static void stop_workers(int started) {
    atomic_store_explicit(&S.stop, 1, memory_order_release);
    for (int i = 0; i < started; i++) {
        atomic_store_explicit(&S.w[i].park_word, 0, memory_order_release);
        goc__futex_wake(&S.w[i].park_word, 1);
    }
    coro_netpoll_break();
    for (int i = 0; i < started; i++) {
        coro_netpoll_break();
        pthread_join(S.w[i].thread, NULL);
    }
    atomic_store_explicit(&S.stop, 0, memory_order_release);
}

int coro_runtime_start(void) {
    if (atomic_load_explicit(&S.started, memory_order_acquire)) return 0;
    goc__lock_acquire(&S.start_lock);
    int rc = 0;
    if (atomic_load_explicit(&S.started, memory_order_relaxed)) goto out;
    if (!S.w) {
        int n = parse_procs();
        coro_worker *ws = aligned_alloc(GOC_CACHELINE, sizeof(coro_worker) * (size_t)n);
        if (!ws) {
            rc = -ENOMEM;
            goto out;
        }
        memset(ws, 0, sizeof(coro_worker) * (size_t)n);
        for (int i = 0; i < n; i++) {
            ws[i].id = i;
            atomic_init(&ws[i].heap.next_when, INT64_MAX);
        }
        S.w = ws;
        S.nprocs = n;
        const char *e = getenv("GOC_DEADLOCK");
        S.detector = !(e && (!strcmp(e, "0") || !strcmp(e, "off")));
        if ((rc = coro_netpoll_init()) != 0) goto out;
        install_segv_handler();
    }
    int i;
    for (i = 0; i < S.nprocs; i++) {
        S.w[i].in_idle = false;
        S.w[i].spinning = false;
        int e = goc__thread_create(&S.w[i].thread, NULL, worker_main, &S.w[i]);
        if (e) {
            /* roll back: the started workers are idle, stop and join them */
            stop_workers(i);
            S.idle = NULL;
            atomic_store_explicit(&S.nidle, 0, memory_order_seq_cst);
            atomic_store_explicit(&S.nspinning, 0, memory_order_seq_cst);
            atomic_store_explicit(&S.poller, 0, memory_order_seq_cst);
            rc = e == EAGAIN ? -EAGAIN : -e;
            goto out;
        }
    }
    atomic_store_explicit(&S.started, 1, memory_order_release);
out:
    goc__lock_release(&S.start_lock);
    return rc;
}

/* --------------------------------------------------------- public API -- */

int goc_main(void (*fn)(void *), void *arg) {
    if (!fn) return -EINVAL;
    if (coro_self()) return -EBUSY;
    int z = 0;
    if (!atomic_compare_exchange_strong_explicit(&S.main_running, &z, 1, memory_order_acq_rel,
                                                 memory_order_relaxed))
        return -EBUSY;
    /* Until the root task is readied below, this thread is one that can
     * still wake a task: counted as foreign, or the deadlock detector sees
     * an idle runtime with nothing queued and, when the start takes longer
     * than its grace period (TSan fibers on a loaded machine: 1 in 100
     * runs of the race suite), declares "all tasks are asleep". */
    atomic_fetch_add_explicit(&S.nforeign, 1, memory_order_seq_cst);
    int rc = coro_runtime_start();
    if (rc) {
        atomic_fetch_sub_explicit(&S.nforeign, 1, memory_order_seq_cst);
        atomic_store_explicit(&S.main_running, 0, memory_order_release);
        return rc;
    }
    CORO_HIDE_BEGIN();
    coro_task *t = task_new(NULL, fn, arg, "goc_main", 0, "main");
    if (!t) {
        CORO_HIDE_END();
        atomic_fetch_sub_explicit(&S.nforeign, 1, memory_order_seq_cst);
        atomic_store_explicit(&S.main_running, 0, memory_order_release);
        return -ENOMEM;
    }
    CORO_P_RELEASE(t); /* the caller's writes -> the root task */
    /* the caller waits in goc_main: it cannot wake anyone meanwhile */
    if (tls_foreign) atomic_fetch_sub_explicit(&S.nforeign, 1, memory_order_seq_cst);
    t->is_root = true;
    t->run_id = atomic_fetch_add_explicit(&S.run_id, 1, memory_order_relaxed) + 1;
    atomic_store_explicit(&S.deadlocked, 0, memory_order_relaxed);
    atomic_store_explicit(&S.main_done, 0, memory_order_relaxed);
    goc__registry_add(&t->rec);
    coro_ready(t);
    atomic_fetch_sub_explicit(&S.nforeign, 1, memory_order_seq_cst); /* the root is queued */
    uint32_t done;
    while ((done = atomic_load_explicit(&S.main_done, memory_order_acquire)) == 0)
        goc__futex_wait(&S.main_done, 0, GOC_NEVER);
    rc = done == 2 ? -EDEADLK : 0;
    if (done == 1) CORO_P_ACQUIRE(t); /* the root task -> the caller */
    CORO_HIDE_END();
    if (tls_foreign) atomic_fetch_add_explicit(&S.nforeign, 1, memory_order_seq_cst);
    atomic_store_explicit(&S.main_running, 0, memory_order_release);
    return rc;
}

int goc_go_at(void (*fn)(void *), void *arg, const char *file, int line, const char *fn_name) {
    if (!fn) return -EINVAL;
    coro_worker *w = coro_worker_self();
    if (!w) {
        if (!atomic_load_explicit(&S.main_running, memory_order_acquire)) return -ESHUTDOWN;
        coro_note_foreign();
    }
    CORO_HIDE_BEGIN();
    coro_task *t = task_new(w, fn, arg, file, line, fn_name);
    if (!t) {
        CORO_HIDE_END();
        return -ENOMEM;
    }
    CORO_P_RELEASE(t); /* Go: the go statement -> the new task's start */
    goc__registry_add(&t->rec);
    coro_ready(t);
    CORO_HIDE_END();
    return 0;
}

int goc_go(void (*fn)(void *), void *arg) { return goc_go_at(fn, arg, "?", 0, "?"); }

void goc_yield(void) {
    coro_task *t = coro_self();
    if (!t) {
        sched_yield();
        return;
    }
    CORO_HIDE_BEGIN();
    task_switch_out(t, ACT_YIELD);
    CORO_HIDE_END();
}

int goc_sleep(goc_time deadline) {
    int kind = goc__deadline_kind(deadline);
    if (kind == GOC_DL_NOW) return 0;
    if (kind == GOC_DL_AT && deadline <= goc_now()) return 0;
    CORO_HIDE_BEGIN();
    coro_parker *p = coro_parker_self();
    uint32_t seq = coro_parker_begin(p);
    coro_wait_begin("sleep", NULL, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    coro_park(p, seq, NULL, NULL, deadline);
    goc__wait_end();
    CORO_HIDE_END();
    return 0;
}

GOC_TSAN_HIDE_FILE_END
