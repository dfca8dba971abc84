/*
 * chan.c: coro channels and select: Go's hchan, written once in
 * backends/common/goc_hchan.h (its header has the invariants, the wake
 * protocol, the lock order and the precise-TSan edges), over coro's parkers
 * (coro.h has the claim protocol). This file holds only what is coro's: the
 * hooks of goc_hchan.h, and the wait-queue claim that sync.c shares.
 *
 * A blocked call publishes its waiters under the channel's goc__lock and
 * parks; the scheduler releases the lock (the after() of coro_park) only
 * once the task's context is saved, so a partner that claims it can ready
 * it at once. Nothing that can block or wake a task runs under a channel
 * lock: wakes happen after unlocking (the claim makes them exclusive).
 */
#include <string.h>

#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */
#include "coro_sched.h"

/* One blocking call: the task's parker and the call's wait sequence. */
struct goc__hc_call {
    coro_parker *p; /* set once */
    uint32_t seq;   /* set once: coro_parker_begin */
};

/* the core, over the hooks below. The channel lock is a spin lock: no
 * task holds it across a switch (a parking task's is released by the
 * park's after() callback), so a waiter only ever waits for a holder that
 * is running, or that the OS preempted (goc__spin's waiter naps then). */
typedef goc__spin goc__hc_lock;
#include "goc_hchan.h"


/* ------------------------------------------------- goc_hchan.h hooks -- */

static inline void goc__hc_lock_init(goc__hc_lock *l) { (void)l; /* zeroed memory is unlocked */ }
static inline void goc__hc_lock_destroy(goc__hc_lock *l) { (void)l; }
static inline void goc__hc_lock_acquire(goc__hc_lock *l) { goc__spin_acquire(l); }
static inline void goc__hc_lock_release(goc__hc_lock *l) { goc__spin_release(l); }
static inline void goc__hc_enter(void) { coro_note_op(); }
static inline int goc__hc_try_failed(void) {
    return GOC_LIKELY(coro_foreign_noted()) ? -EAGAIN : coro_note_foreign_eagain();
}
/* Spinning before parking (goc_hchan.h's spin hooks). A plain receive
 * that finds a buffered channel empty (a send: full) spins a little
 * instead of parking when the last task to complete an operation on it is
 * running on another worker: a channel used as a lock or a semaphore
 * (CounterChanLock: a cap-1 channel holds the token) is given back within
 * a few hundred ns, while a parked receiver costs a park, a ready, and its
 * stack moving to the sender's worker (README "Spinning on a channel").
 * Go spins on its mutex (while the owner runs elsewhere), not on a channel;
 * here the channel's last user plays the owner. When c is empty and nobody
 * waits to receive, the last completed plain op was the receive that
 * emptied it, or a send straight to a receiver that now runs on the
 * sender's worker: either way the task that will likely send next runs
 * there (full and send: the same, mirrored). Select does not record and
 * does not spin.
 *   - note_done: a plain op stores coro_tls_who (its worker's index + 1, 0
 *     on a foreign thread) in last_who: one load and one store, under the
 *     lock (relaxed; a hint);
 *   - spin_ok (under the lock): several workers and no more than the CPUs
 *     the process may use (S.chan_spin: with more, the task spun for may
 *     be waiting for the very CPU the spinner holds; GOC_PROCS=4 on two
 *     vCPUs made CounterChanLock 1.33x slower); the caller a worker; the
 *     last user another worker, running a task (in_task); nobody queued
 *     for the same op (a partner would serve them first); the channel's
 *     backoff allows it. Returns the last user (index + 1) as the token;
 *   - spin_wait: up to CHAN_SPIN_PAUSES pauses, looking every 8 at whether
 *     c is ready (the try-op's lock-free check) and whether that worker
 *     switched tasks (its schedtick moved: the task it ran parked or
 *     exited, nothing will come soon);
 *   - spin_done: a spin that saw c ready clears the backoff; one that did
 *     not skips c's next 2^level - 1 chances to spin (level up to
 *     CHAN_SPIN_LEVEL_MAX). A worker pool's job channel, whose last user
 *     computes for microseconds, stops spinning after a few misses
 *     (ScalingWorkerPool at GOC_PROCS=2: >99 % of its spins missed before
 *     the backoff). */
#ifndef CHAN_SPIN_PAUSES
#define CHAN_SPIN_PAUSES 128 /* ~1.3 us here (a pause ~10 ns) */
#endif
#define CHAN_SPIN_LEVEL_MAX 6
static inline void goc__hc_note_done(goc_chan *c) {
    atomic_store_explicit(&c->last_who, coro_tls_who, memory_order_relaxed);
}
static inline uint32_t goc__hc_spin_ok(goc_chan *c, int op) {
    uint32_t who = atomic_load_explicit(&c->last_who, memory_order_relaxed);
    if (CHAN_SPIN_PAUSES == 0 || !S.chan_spin || !who || !coro_tls_who || who == coro_tls_who) return 0;
    if (goc__wq_head(op == GOC_SEND ? &c->sendq : &c->recvq)) return 0;
    if (!atomic_load_explicit(&S.w[who - 1].in_task, memory_order_relaxed)) return 0;
    if (c->spin_skip) {
        c->spin_skip--;
        return 0;
    }
    return who;
}
static inline bool goc__hc_spin_wait(const goc_chan *c, int op, uint32_t who) {
    const coro_worker *v = &S.w[who - 1];
    uint32_t tick = atomic_load_explicit(&v->schedtick, memory_order_relaxed);
    stat_self(ST_CHSPIN, 1);
    for (int i = 0; i < CHAN_SPIN_PAUSES; i += 8) {
        for (int j = 0; j < 8; j++) goc__cpu_relax();
        if (!goc__hc_would_block(c, op)) {
            stat_self(ST_CHSPIN_WON, 1);
            return true;
        }
        if (atomic_load_explicit(&v->schedtick, memory_order_relaxed) != tick) return false;
    }
    return false;
}
static inline void goc__hc_spin_done(goc_chan *c, bool ok) {
    if (ok) {
        c->spin_level = 0;
        return;
    }
    if (c->spin_level < CHAN_SPIN_LEVEL_MAX) c->spin_level++;
    c->spin_skip = (uint8_t)((1u << c->spin_level) - 1);
}
static inline void goc__hc_wait_begin(const char *op, const void *obj, goc_time deadline) {
    coro_wait_begin(op, obj, deadline);
}
static inline void goc__hc_call_begin(struct goc__hc_call *call) {
    call->p = coro_parker_self();
    call->seq = coro_parker_begin(call->p);
}
/* codes 1..GOC_SELECT_MAX name the clause (coro.h) */
static inline bool goc__hc_claim(goc__hc_waiter *w) {
    return coro_claim(w->call->p, w->call->seq, (uint32_t)w->case_idx + 1);
}
static inline bool goc__hc_claimable(const goc__hc_waiter *w) {
    /* relaxed, debug only: the parker's word still at (seq, code 0) */
    return atomic_load_explicit(&w->call->p->word, memory_order_relaxed) == (uint64_t)w->call->seq << 32;
}
static inline void goc__hc_wake(struct goc__hc_call *call) { coro_parker_ready(call->p); }
static inline int goc__hc_park(struct goc__hc_call *call, void (*after)(void *), void *arg, goc_time deadline) {
    uint32_t code = coro_park(call->p, call->seq, after, arg, deadline);
    return code == CORO_FIRED_TIMEOUT ? -ETIMEDOUT : (int)code - 1;
}
#ifdef GOC_TSAN_PRECISE_ON
static inline void *goc__hc_sync_w(struct goc__hc_call *call) { return CORO_SYNC_W(call->p); }
static inline void *goc__hc_sync_c(struct goc__hc_call *call) { return CORO_SYNC_C(call->p); }
#endif

/* ------------------------------------------ wait queues of sync.c -- */

/* coro.h: the claim of the mutex, WaitGroup and cond queues (sync.c). */
coro_waiter *coro_wq_claim(coro_wq *q, coro_wq *other) {
    goc__wnode *n;
    while ((n = goc__wq_head(q))) {
        coro_waiter *w = CORO_WAITER(n);
        goc__wq_unlink_from(q, n); /* the head of q: linked there */
        if (coro_claim(w->p, w->seq, w->code)) {
            goc__wq_claimed(n, q, other); /* its owner will not lock this object again */
            return w;
        }
        /* fired elsewhere (a timer, another case of its select): drop it */
    }
    return NULL;
}

GOC_RACE_FILE_END
