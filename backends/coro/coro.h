/*
 * coro.h: the coro backend's internal interface (README.md has the design).
 *
 *   coro_cctx      a saved machine context (ctx_x86_64.S or ctx_ucontext.c)
 *   coro_task      a task: context, registry record, parker, timer; lives in
 *                  a dense slab of structs, paired with its stack slot (stack.c)
 *   coro_worker    a worker thread: local run queue, "run next" slot, timer
 *                  heap, stack cache (coro_sched.h)
 *   coro_parker    how a blocked task (or a foreign thread) is woken exactly
 *                  once: a claim word of (wait sequence, fired code)
 *   coro_waiter    a blocked operation on a wait queue (Go's sudog)
 *
 * The one waiting model (STYLE.md 9): a blocking call takes a fresh wait
 * sequence on its parker, publishes coro_waiters carrying (parker, seq,
 * code) on wait queues under their object's lock, and parks. Every wake
 * source (a channel partner, close, a timer, the netpoller) must first win
 * coro_claim(parker, seq, code): exactly one does, it performs the operation
 * on the waiter's behalf (copies the value, sets err), and only then readies
 * the parker. A claim with a stale sequence fails, so a late timer or epoll
 * event can never wake a later wait.
 */
#ifndef GOC_CORO_H
#define GOC_CORO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "goc_internal.h"
#include "goc_tsan.h"
#include "goc_waitq.h"

/* ------------------------------------------ TSan precise build (races) --
 * GOC_TSAN_PRECISE (TESTING.md (b)): TSan must see Go's happens-before edges
 * and nothing else, with the one race layer of goc_tsan.h. Every coro source
 * is uninstrumented (GOC_RACE_FILE_BEGIN/END); every API call runs its
 * body between GOC_RACE_CALL_BEGIN/END (TSan ignores its atomics'
 * synchronisation and any intercepted access), and so does every scheduler
 * fiber, for good. Switches are __tsan_switch_to_fiber_no_sync, so two tasks
 * on one worker are unordered (R34). Go's edges step out of the hidden
 * region for one call (GOC_RACE_ACQUIRE/RELEASE/READ/WRITE); API calls are
 * never nested inside a task (an annotation at depth 2 would be dropped). */

/* ------------------------------------------------------- machine context -- */

#ifdef GOC_CORO_UCONTEXT
#include <ucontext.h>
typedef struct {
    ucontext_t uc;
} coro_cctx;
#else
typedef struct {
    void *sp; /* saved stack pointer; the frame layout is in ctx_x86_64.S */
} coro_cctx;
#endif
/* Prepares c to run entry(arg) on [lo, lo + size) at its first switch. */
void coro_cctx_make(coro_cctx *c, void *lo, size_t size, void (*entry)(void *), void *arg);
/* Saves the running context in from and resumes to. Returns when someone
 * switches back to from (possibly on another thread). */
void coro_cctx_switch(coro_cctx *from, coro_cctx *to);

/* ---------------------------------------------------------------- timers -- */

struct coro_theap;
/* A one-shot timer in one worker's heap. Embedded in a task (deadlines of
 * parked tasks) or in a malloc'd goc__timer (the service of goc_internal.h). */
typedef struct coro_timer {
    goc_time when;              /* written before arming, read under heap->lock */
    void (*fn)(void *);         /* same */
    void *arg;                  /* same */
    int32_t idx;                /* guarded by heap->lock: heap slot, -1 when not in a heap */
    struct coro_theap *heap;    /* guarded by heap->lock; set when armed, kept after */
    _Atomic uint32_t running;   /* 1 while fn runs; set under heap->lock, cleared with release */
} coro_timer;

typedef struct coro_theap {
    goc__lock lock;
    coro_timer **v;             /* guarded by lock: binary min-heap on when */
    uint32_t n, cap;            /* guarded by lock */
    /* INT64_MAX when empty; written under lock (seq_cst, see timer.c). Its
     * own line: other workers peek at it on every look for timers, while the
     * owner takes the lock and rewrites n and v on every arm and stop. */
    _Atomic goc_time next_when GOC_ALIGNED_CL;
} coro_theap;

void coro_timer_arm(coro_timer *t, goc_time when, void (*fn)(void *), void *arg);
/* Removes t from its heap if pending (true if it did). */
bool coro_timer_stop(coro_timer *t);
/* Stops t and waits until a running fn(arg) has returned. */
void coro_timer_cancel_sync(coro_timer *t);
/* Runs the expired timers of h (any thread of the runtime); returns how many. */
int coro_timers_run(coro_theap *h, goc_time now);
/* Earliest pending deadline over every heap (INT64_MAX if none). */
goc_time coro_timers_next(void);
/* Whether any heap holds a pending timer: coro_timers_next() != INT64_MAX,
 * with the same seq_cst loads (the idle and timer/poller protocols of
 * idle.c pair them with set_next's seq_cst store in timer.c). */
static inline bool coro_timers_pending(void) { return coro_timers_next() != INT64_MAX; }

/* --------------------------------------------------------------- parking -- */

struct coro_task;
enum {
    CORO_WAITING = 0,
    CORO_FIRED_TIMEOUT = 0xffffffffu, /* the deadline timer won */
    CORO_FIRED_FDERR = 0xfffffffeu,   /* the netpoller could not arm the fd */
    /* 1..GOC_SELECT_MAX: the case (index + 1) or the single operation (1) */
};

typedef struct coro_parker {
    /* (seq << 32) | code. The owner stores a new seq with code 0 before it
     * publishes any waiter; wakers CAS code 0 -> their code (acq_rel: the
     * winner's writes into the waiter happen before the owner reads them). */
    _Atomic uint64_t word;
    struct coro_task *task;   /* NULL: a thread the runtime does not own */
    _Atomic uint32_t futex;   /* foreign threads: 0 while asleep, 1 when readied */
} coro_parker;

typedef struct coro_waiter {
    goc__wnode node;                 /* links: guarded by the wait queue's lock;
                                      * owner/dups: set by a select (goc_waitq.h) */
    coro_parker *p;                  /* set before publication */
    uint32_t seq, code;              /* set before publication */
    void *elem;                      /* send: source; recv: destination (NULL = discard) */
    int err;                         /* written by the claimer: 0 or -EPIPE */
    uint32_t esz;                    /* select: the channel's elem_size, kept for after
                                      * the wake (the channel may be freed by then) */
    struct coro_waiter *rnext;       /* owned by the claimer: its wake list */
    void *tsan_slot;                 /* precise build: sync address of the slot of a
                                      * buffered handoff (NULL: none), released by the
                                      * owner, who must not read the channel again */
} coro_waiter;

/* Precise build sync addresses of a waiter's parker: W is released by the
 * owner when its waiter becomes visible, C by the claimer after the
 * transfer (acquired by the woken owner). */
#define CORO_SYNC_W(p) ((char *)(p))
#define CORO_SYNC_C(p) ((char *)(p) + 1)

typedef goc__wq coro_wq;
#define CORO_WAITER(n) GOC__CONTAINER_OF((n), coro_waiter, node)
static inline void coro_wq_push(coro_wq *q, coro_waiter *w) { goc__wq_push(q, &w->node); }
static inline void coro_wq_unlink(coro_waiter *w) { goc__wq_unlink(&w->node); }
/* Unlinks waiters from the head until one is claimed (returned) or the queue
 * is empty (NULL). Waiters whose parker fired elsewhere are dropped. The
 * winner's other waiters in q and `other` (the object's second queue, or
 * NULL) are unlinked too (goc_waitq.h: a select with one channel in two
 * clauses). */
coro_waiter *coro_wq_claim(coro_wq *q, coro_wq *other);

/* The parker of the calling task or thread. */
coro_parker *coro_parker_self(void);
/* Starts a new wait on p; returns its sequence number. */
uint32_t coro_parker_begin(coro_parker *p);
bool coro_claim(coro_parker *p, uint32_t seq, uint32_t code);
/* Makes a claimed parker runnable. Reads nothing of the waiter afterwards. */
void coro_parker_ready(coro_parker *p);
/* Parks until the wait `seq` of p is claimed; returns the winning code.
 * after(arg) runs exactly once when the caller is no longer running (on the
 * worker's scheduler stack; for a foreign thread, just before it sleeps):
 * it releases the locks that publish the waiters. With a GOC_DL_AT deadline
 * a timer claims CORO_FIRED_TIMEOUT. */
uint32_t coro_park(coro_parker *p, uint32_t seq, void (*after)(void *), void *arg,
                   goc_time deadline);
/* after() helper: releases one goc__lock. */
void coro_after_unlock(void *lock);

/* A thread the runtime does not own is about to do something that can wake
 * a task, or a try-op: count it as a possible waker for the deadlock
 * detector (README "Deadlock detector"). Inline, as every channel operation
 * runs it (a try-op's lock-free answer included: out of line it was a third
 * of ChanNonblocking): two loads of the caller's own TLS, the registration
 * out of line. Should the compiler keep a TLS address across a task switch,
 * the load reads the worker the task left: non-NULL as well, since a task
 * never moves between a worker and a foreign thread, so the answer holds.
 * Elsewhere read coro_tls_w only through coro_worker_self(). */
extern __thread struct coro_worker *coro_tls_w; /* this thread's worker; NULL: foreign */
extern __thread int coro_tls_foreign;           /* counted in nforeign (sched.c) */
void coro_note_foreign_slow(void);
/* true: nothing to register (a worker, or a foreign thread counted already) */
static inline bool coro_foreign_noted(void) { return coro_tls_w != NULL || coro_tls_foreign; }
static inline void coro_note_foreign(void) {
    if (GOC_LIKELY(coro_foreign_noted())) return;
    coro_note_foreign_slow();
}
/* coro_note_foreign_slow, then -EAGAIN: a try-op's answer as a tail call */
int coro_note_foreign_eagain(void);

/* ------------------------------------------------------ wait records -- */

/* goc__wait_begin (goc_internal.h) with CLOCK_MONOTONIC_COARSE for the
 * "blocked since" stamp: the stamp is only printed by goc_tasks_report ("for
 * 1.234s"), where the coarse clock's few-ms resolution is plenty, and it
 * costs ~5 ns instead of ~20 on the park path (twice per ping-pong round
 * trip). Same fields, same orderings as the shared helper. */
static inline void coro_wait_begin(const char *op, const void *obj, goc_time deadline) {
    goc_task_rec *r = goc__cur_task;
    if (!r) return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    atomic_store_explicit(&r->wait_obj, obj, memory_order_relaxed);
    atomic_store_explicit(&r->wait_site, goc__callsite, memory_order_relaxed);
    atomic_store_explicit(&r->wait_deadline, deadline, memory_order_relaxed);
    atomic_store_explicit(&r->wait_since, goc__ts_ns(&ts), memory_order_relaxed);
    /* relaxed: the report is a diagnostic snapshot; nothing is ordered by it */
    atomic_store_explicit(&r->wait_op, op, memory_order_relaxed);
}

/* ---------------------------------------------------------------- tasks -- */

typedef struct coro_worker coro_worker;

typedef struct coro_task {
    coro_cctx ctx;             /* written by switches of this task only */
    goc_task_rec rec;          /* registry record; goc__cur_task points here */
    struct coro_task *next;    /* owned by whoever holds the task: global queue, pool */
    coro_worker *w;            /* worker running it; written by that worker before each switch-in */
    void (*fn)(void *);
    void *arg;
    coro_parker parker;
    coro_timer timer;          /* the deadline of the current wait */
    uint32_t timer_seq;        /* wait sequence the armed timer claims for */
    goc_time park_deadline;    /* written by the task before it parks */
    int saved_errno;           /* errno while switched out (written by its worker) */
    bool is_root;
    bool fresh;                /* not yet switched to: no context yet (task_enter makes it) */
    _Atomic int running;       /* 1 while a worker runs it (RG10 check) */
    uint32_t chain_n;          /* a chain's first task in a chain queue: its length; owned like next */
    uint64_t run_id;           /* goc_main generation of a root task */
    /* stack (stack.c): the slot's, set when it is carved; they move with the
     * slot when a fresh task trades slots at its first switch-in
     * (coro_stack_bind: written then by the worker that owns both) */
    char *stack_lo;            /* lowest usable byte (above the guard page) */
    size_t stack_size;         /* usable bytes from stack_lo up */
    bool guarded;              /* a PROT_NONE page lies just below stack_lo */
    bool root_slot;            /* compact mode: the root task's normal-sized slot */
    char *sp_check;            /* a switch-out below this calls coro_stack_low: set once,
                                * stack_lo + CORO_STACK_MARGIN (the whole stack with
                                * GOC_STACK_HWM=1, which records switch depths there) */
    char *sp_low;              /* the lowest frame any task on this slot switched
                                * out from (coro_task_switch_out, written by the
                                * running task; read by the same worker in
                                * task_left, after the switch) */
    /* netpoller (netpoll.c): the fd registered for this wait, -1 if none */
    int poll_fd, poll_dup, poll_events, poll_err;
    _Atomic uint32_t poll_arming; /* 1 from park until fd_arm is done with the task */
    /* a chain's first task in a chain queue (chainq.h): the next chain's
     * first; owned like next (here, among the cold fields, so that adding
     * it moved none of the hot ones) */
    struct coro_task *chain_skip;
    uint32_t born;             /* its spawning worker's cache stamp at the spawn (coro_stack_bind);
                                * written by the spawner, read at the first switch-in */
#ifdef GOC_TSAN
    void *fiber;
    void *tsan_held;           /* natural build: goc_mutex tokens it holds (goc_tsan_mu.h); the task only */
#endif
#ifdef GOC_ASAN
    void *fake_stack;
#endif
} coro_task;

/* The calling task, NULL on a scheduler stack or a foreign thread. Not
 * inlined and re-evaluated at every call: a task can migrate between workers
 * at every park, so no TLS address may be cached across one. */
coro_task *coro_self(void);
/* Readies a task whose parker was claimed (or a freshly spawned one). */
void coro_ready(coro_task *t);

/* --------------------------------------------------------------- stacks -- */

/* A task struct with its stack slot, from the worker's cache, the global
 * pool, or a new slab. NULL + errno ENOMEM. w may be NULL (foreign thread). */
coro_task *coro_stack_alloc(coro_worker *w);
/* GOC_STACK_HWM=1: the deepest stack use (bytes) of any task that has exited
 * on a compact or normal pooled slot (0 without GOC_STACK_HWM). */
size_t coro_stack_hwm(void);
/* GOC_STACK_HWM=1: the deepest switch-out (bytes in use at coro_task_switch_out). */
size_t coro_stack_switch_max(void);
/* The root task's slot: a normal one even in compact mode. */
coro_task *coro_stack_alloc_root(void);
void coro_stack_free(coro_worker *w, coro_task *t);
/* Checks the canary at the bottom of t's stack; fatal if it was overwritten. */
void coro_stack_check(coro_task *t);
/* Compact mode (GOC_STACK=compact or a size below a page; README.md
 * "Compact mode"): slots of CORO_COMPACT_SLOT bytes (struct included)
 * packed in pages without guard pages. CORO_STACK_MARGIN: the free bytes a
 * task must have below its switch-out frame (the switch, and the after
 * action of the task it resumes, which runs on its stack): 2x the 184 bytes
 * measured with GOC_STACK_HWM=1 (coro_compact test), rounded up. */
#define CORO_COMPACT_SLOT 2048u
#define CORO_COMPACT_MIN 1024u
#define CORO_CANARY_BYTES 32u
#define CORO_STACK_MARGIN 384u
/* Called when a task switches out with sp below t->sp_check: fatal in
 * compact mode below stack_lo + CORO_STACK_MARGIN, nothing otherwise (guard
 * page and canary); with GOC_STACK_HWM=1 it records the depth. */
void coro_stack_low(coro_task *t, const char *sp);
size_t coro_stack_size(void);
/* Signal handler support: true if addr lies in t's guard page. */
bool coro_stack_in_guard(const coro_task *t, const void *addr);
/* Installs the SIGSEGV handler that names a task overflowing into its guard
 * page (once, at runtime start). */
void coro_install_segv_handler(void);

/* Per-worker stack cache, owned by its worker. */
typedef struct {
    coro_task *head;
    uint32_t n;
    uint32_t frees; /* tasks freed into it so far (coro_stack_bind's stamp) */
} coro_stack_cache;
/* t's first switch-in on the worker that owns cache c (before t's context
 * is made): t trades its untouched slot for the one of the free task at
 * the head of c, the slot a task of that worker left last. Not for a root
 * task. */
void coro_stack_bind(coro_stack_cache *c, coro_task *t);

/* ----------------------------------------------------------- netpoller -- */

int coro_netpoll_init(void);
/* Collects ready fds (timeout_ns < 0: block) and readies their tasks;
 * returns how many were readied. */
int coro_netpoll(int64_t timeout_ns);
/* Interrupts a blocking coro_netpoll. */
void coro_netpoll_break(void);
extern _Atomic int coro_nfdwait; /* tasks parked in goc_fd_wait */

/* ------------------------------------------------------------ workers -- */

coro_worker *coro_worker_self(void);
/* Starts the workers (once); 0 or a negative errno. */
int coro_runtime_start(void);
coro_theap *coro_worker_heap(coro_worker *w);
coro_stack_cache *coro_worker_cache(coro_worker *w);
coro_theap *coro_heap_at(int i);
int coro_nprocs(void);
/* A timer was armed with deadline `when`: make sure some worker will fire it. */
void coro_timer_added(goc_time when);
/* An fd was registered: make sure some worker will poll. */
void coro_poll_added(void); /* pending timers over all heaps */

#endif
