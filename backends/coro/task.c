/*
 * task.c: task switches and lifecycle: the context, direct switches,
 * after actions, coro_park, spawning and running a task.
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
 */
#ifdef GOC_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#include <sys/mman.h> /* precise build: coro_stack_forget */
#include <unistd.h>

#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */
#include "coro_sched.h"

/* ---------------------------------------------------- sanitizer fibers -- */

#ifdef GOC_TSAN
/* Natural build: every switch is a happens-before edge (the scheduler's own
 * synchronisation is visible anyway). Precise build: no switch is (two tasks
 * on one worker stay unordered, R34); the edges a task needs are annotated
 * explicitly: spawn -> first entry and exit -> the slot's next task on the
 * task struct address, wakes on the parker (chan.c, sync.c). */
#if defined(GOC_TSAN_PRECISE_ON) || defined(GOC_CORO_TSAN_NO_SYNC)
#define CORO_TSAN_SWITCH_FLAGS __tsan_switch_to_fiber_no_sync
#else
#define CORO_TSAN_SWITCH_FLAGS 0
#endif
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

/* -------------------------------------------------------- task switches -- */

#ifdef GOC_TSAN_PRECISE_ON
/* Precise build: an exited task's stack becomes fresh memory, as a freed
 * block does. A signal handler that ran on it after the task's last edge
 * (its release on the slot, task_entry) wrote it with nothing ordering that
 * before the slot's next task (difftest's SIGURG handler calling
 * clock_gettime vs the next task's locals). TSan forgets a range's history
 * when it is mapped anew (its mmap interceptor; AnnotateNewMemory is empty
 * in clang 14's runtime), so the dead stack is remapped in place: fresh
 * zero pages, which is also the canary's state (stack.c). Slots are page
 * aligned (sanitizer builds refuse compact mode); a failure only keeps the
 * old history. */
static void coro_stack_forget(coro_task *p) {
    long pg = sysconf(_SC_PAGESIZE);
    if (pg <= 0 || ((uintptr_t)p->stack_lo | p->stack_size) % (uintptr_t)pg) return;
    (void)mmap(p->stack_lo, p->stack_size, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}
#endif

/* The deadline timer of a parked task (armed by task_left). */
static void park_timeout(void *arg) {
    coro_task *t = arg;
    if (coro_claim(&t->parker, t->timer_seq, CORO_FIRED_TIMEOUT)) coro_parker_ready(&t->parker);
}

static void task_entry(void *arg);

/* t's first switch-in on w: the task runs on w's hottest free slot
 * (coro_stack_bind) and its first frame is written only now, right before
 * the switch reads it back. Out of line: task_enter is inlined into both
 * switch paths, and these calls there cost the handoff rows' saved
 * registers (ChanSync +4 %). */
static __attribute__((noinline)) void task_first_enter(coro_worker *w, coro_task *t) {
    if (GOC_UNLIKELY(S.stats) && S.tlog)
        coro_tlog_name(w, tlog_id(t), atomic_load_explicit(&t->rec.fn_name, memory_order_relaxed));
    if (!t->is_root) coro_stack_bind(&w->cache, t);
    coro_cctx_make(&t->ctx, t->stack_lo, t->stack_size, task_entry, t);
    t->fresh = false;
}

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
    if (GOC_UNLIKELY(t->fresh)) task_first_enter(w, t);
}

/* The after action of p, which switched out with act. Runs once p's
 * registers are saved: on the scheduler stack (run_task) or on the stack of
 * the task p switched straight to (task_resumed). */
static void task_left(coro_worker *w, coro_task *p, int act, void (*after)(void *), void *arg) {
    atomic_store_explicit(&p->running, 0, memory_order_relaxed);
    /* guarded slots fault instead; an unguarded one reads its canary once a
     * task on it switched out in the lower half of its stack (README.md
     * "Stacks": the read makes the bottom page resident on kernels without
     * the shared zero page, as this VM's) */
    if (!p->guarded && p->sp_low < p->stack_lo + p->stack_size / 2) coro_stack_check(p);
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
#ifdef GOC_TSAN_PRECISE_ON
        coro_stack_forget(p);
#endif
        if (p->is_root) coro_main_finished(p);
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
#ifdef GOC_TSAN_PRECISE_ON
    (void)w;
    return NULL;
#else
    if (w->streak >= RUNNEXT_STREAK ||
        (atomic_load_explicit(&w->schedtick, memory_order_relaxed) + 1) % GLOBAL_CHECK_EVERY == 0)
        return NULL;
    if (coro_due(atomic_load_explicit(&w->heap.next_when, memory_order_relaxed))) return NULL;
    coro_task *n = atomic_load_explicit(&w->runnext, memory_order_relaxed);
    /* acquire: pairs with the exchange that published n (as runq_get) */
    if (!n || !atomic_compare_exchange_strong_explicit(&w->runnext, &n, NULL, memory_order_acquire,
                                                      memory_order_relaxed))
        return NULL;
    w->streak++;
    sched_tick(w);
    return n;
#endif
}

/* Precise build: the running worker's thread start happens before the task
 * switched in (sched.c worker_main releases tsan_tls once). `hidden`: the
 * task resumed inside a hidden API call (depth 1), so the edge steps out. */
static inline void task_tls_edge(bool hidden) {
#ifdef GOC_TSAN_PRECISE_ON
    void *tls = &coro_worker_self()->tsan_tls;
    if (hidden) GOC_RACE_UNHIDDEN(GOC_TSAN_P_ACQUIRE(tls));
    else GOC_TSAN_P_ACQUIRE(tls);
#else
    (void)hidden;
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

void coro_task_switch_out(coro_task *t, int act) {
    coro_worker *w = t->w; /* valid while t runs */
    char *sp = __builtin_frame_address(0);
    if (sp < t->sp_low) t->sp_low = sp;
    if (GOC_UNLIKELY(sp < t->sp_check)) coro_stack_low(t, sp);
    coro_task *n = act == ACT_YIELD ? NULL : direct_next(w);
    if (n) {
        /* Direct switch: n runs t's after action (task_resumed). */
        if (GOC_UNLIKELY(S.stats)) {
            stat(w, ST_DIRECT, 1);
            tlog(w, CORO_EV_OUT, tlog_id(t), (unsigned)act);
            tlog(w, CORO_EV_IN, tlog_id(n), 1u | (n->is_root ? 128u : 0u));
        }
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
    task_tls_edge(true); /* every switch-out is inside a hidden call */
}

static void task_entry(void *arg) {
    coro_task *t = arg;
#ifdef GOC_ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    task_resumed();
    task_tls_edge(false);
    /* precise build (unhidden here): spawner and the slot's previous task
     * happen before this task; this task before the slot's next one */
    GOC_TSAN_P_ACQUIRE(t);
    t->fn(t->arg);
    GOC_TSAN_P_RELEASE(t);
    /* Not hidden: TSan rejects destroying a fiber with ignores enabled. The
     * registry hides its own lock, and the rest up to the switch is
     * uninstrumented plain code. */
    goc__registry_remove(&t->rec);
    coro_task_switch_out(t, ACT_EXIT);
    __builtin_unreachable();
}

coro_task *coro_task_new(coro_worker *w, bool root, void (*fn)(void *), void *arg, const char *file,
                         int line, const char *fn_name) {
    coro_task *t = root ? coro_stack_alloc_root() : coro_stack_alloc(w);
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
    /* t->ctx: made at the first switch-in (task_enter), on the slot it
     * runs on then */
#ifdef GOC_TSAN
    t->fiber = __tsan_create_fiber(0);
    __tsan_set_fiber_name(t->fiber, fn_name ? fn_name : "goc task");
    t->tsan_held = NULL; /* a task that ended holding a goc_mutex leaves its tokens (TSan builds only) */
#endif
#ifdef GOC_ASAN
    t->fake_stack = NULL;
#endif
    return t;
}

/* Runs t until a task of this worker switches back to the scheduler (t, or
 * the last of a chain of direct switches that started with t), then
 * performs that task's after action. */
void coro_run_task(coro_worker *w, coro_task *t) {
    task_enter(w, t);
    if (GOC_UNLIKELY(S.stats)) {
        stat(w, ST_RUN, 1);
        tlog(w, CORO_EV_IN, tlog_id(t), t->is_root ? 128u : 0u);
    }
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
    if (GOC_UNLIKELY(S.stats)) tlog(w, CORO_EV_OUT, tlog_id(p), (unsigned)w->act);
    p->saved_errno = errno;
    goc__cur_task = NULL;
    w->cur = NULL;
    void (*after)(void *) = w->after;
    w->after = NULL;
    task_left(w, p, w->act, after, w->after_arg);
}


/* ------------------------------------------------------------- parking -- */


uint32_t coro_park(coro_parker *p, uint32_t seq, void (*after)(void *), void *arg,
                   goc_time deadline) {
    coro_task *t = p->task;
    if (t) {
        coro_worker *w = t->w;
        w->after = after;
        w->after_arg = arg;
        t->park_deadline = deadline;
        t->timer_seq = seq;
        coro_task_switch_out(t, ACT_PARK);
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

GOC_RACE_FILE_END
