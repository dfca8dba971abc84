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
 * is running, or that the OS preempted (goc__spin yields then). */
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
