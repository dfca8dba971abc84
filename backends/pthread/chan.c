/*
 * The pthread backend's channels and select: Go's hchan, written once in
 * backends/common/goc_hchan.h (its header has the invariants, the wake
 * protocol, the lock order and the precise-TSan edges), over a pthread mutex
 * per channel and one mutex + condition variable per OS thread. This file
 * holds only what is pthread's: the hooks of goc_hchan.h.
 *
 * Objects
 *   goc__hc_call  one blocking call (a plain send/recv is a one-clause
 *                 select), on the caller's stack. Its `state` is claimed
 *                 exactly once, by CAS: by the partner that completes it, by
 *                 close, or by the owner itself when its deadline passes.
 *   parker        per OS thread: a mutex + condvar (CLOCK_MONOTONIC) the
 *                 owner sleeps on until its call is `woken`.
 *
 * The wake protocol (no lost wakeup, no touch after free):
 *   claimer (holds ch's lock): CAS state WAITING->CLAIMED, record fired,
 *                            move the value, drop the channel lock, then
 *                            lock pk->mu; woken = true; signal; unlock.
 *   owner:                   lock pk->mu; while (!woken) wait; unlock.
 *   owner at its deadline:   CAS state WAITING->CLAIMED itself; if the CAS
 *                            fails a claimer owns the call: wait (untimed)
 *                            for woken, which is at most one unlock away.
 * The claimer's last access to the call is under pk->mu, which the owner
 * must take before returning, so the owner's stack frame outlives every
 * access (the bug class of zio#650 / RG07). The parker lives in TLS of the
 * owner's thread, which cannot exit while the owner is blocked.
 *
 * Lock order: channels in address order (select); pk->mu is a leaf taken
 * with no channel held.
 */
#include <stdio.h>
#include <string.h>

#include "goc_internal.h"
#include "goc_tsan.h"
/* precise build: this file is uninstrumented, and every hook below runs
 * inside a hidden public call of goc_hchan.h (GOC_RACE_CALL_BEGIN/END), so
 * its pthread mutex, condvar and CAS give TSan nothing */
GOC_RACE_FILE_BEGIN

enum { W_WAITING = 0, W_CLAIMED = 1 };

typedef struct parker {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool init;                 /* owned by the thread */
} parker;

struct goc__hc_call {
    parker *pk;                /* set once: the owner's thread parker */
    _Atomic int state;         /* W_WAITING -> W_CLAIMED once (CAS, acq_rel) */
    int fired;                 /* written by the claimer before `woken` */
    bool woken;                /* guarded by pk->mu */
#ifdef GOC_TSAN_PRECISE_ON
    char tsan_w, tsan_c;       /* sync addresses W and C (goc_hchan.h) */
#endif
};

/* the core, over the hooks below */
typedef pthread_mutex_t goc__hc_lock;
#include "goc_hchan.h"


static __thread parker tls_parker;

static parker *my_parker(void) {
    parker *p = &tls_parker;
    if (GOC_UNLIKELY(!p->init)) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&p->cv, &ca);
        pthread_condattr_destroy(&ca);
        pthread_mutex_init(&p->mu, NULL);
        p->init = true;
    }
    return p;
}

/* ------------------------------------------------- goc_hchan.h hooks -- */

static inline void goc__hc_lock_init(goc__hc_lock *l) { pthread_mutex_init(l, NULL); }
static inline void goc__hc_lock_destroy(goc__hc_lock *l) { pthread_mutex_destroy(l); }
static inline void goc__hc_lock_acquire(goc__hc_lock *l) { pthread_mutex_lock(l); }
static inline void goc__hc_lock_release(goc__hc_lock *l) { pthread_mutex_unlock(l); }
static inline void goc__hc_enter(void) {}
static inline int goc__hc_try_failed(void) { return -EAGAIN; }
/* A thread parks at once: no spinning on a channel (coro's chan.c spins;
 * here there are often more threads than cores, and a spinning thread
 * would take the CPU of the one it waits for). */
static inline void goc__hc_note_done(goc_chan *c) { (void)c; }
static inline uint32_t goc__hc_spin_ok(goc_chan *c, int op) { (void)c, (void)op; return 0; }
static inline bool goc__hc_spin_wait(const goc_chan *c, int op, uint32_t token) {
    (void)c, (void)op, (void)token;
    return false;
}
static inline void goc__hc_spin_done(goc_chan *c, bool ok) { (void)c, (void)ok; }
static inline void goc__hc_wait_begin(const char *op, const void *obj, goc_time deadline) {
    goc__wait_begin(op, obj, deadline);
}

static inline void goc__hc_call_begin(struct goc__hc_call *call) {
    call->pk = my_parker();
    atomic_init(&call->state, W_WAITING);
    call->fired = -1;
    call->woken = false;
}

static inline bool goc__hc_claim(goc__hc_waiter *w) {
    struct goc__hc_call *call = w->call;
    int expected = W_WAITING;
    /* acq_rel: release orders our claim before the transfer we are about to
     * make, for the owner's failed self-claim CAS (acquire) at its deadline;
     * acquire pairs with nothing in particular (the owner wrote its call
     * before publishing it under the channel lock). */
    if (!atomic_compare_exchange_strong_explicit(&call->state, &expected, W_CLAIMED, memory_order_acq_rel,
                                                 memory_order_acquire))
        return false;
    call->fired = w->case_idx; /* read by the owner after `woken` (pk->mu) */
    return true;
}

static inline bool goc__hc_claimable(const goc__hc_waiter *w) {
    return atomic_load_explicit(&w->call->state, memory_order_relaxed) == W_WAITING; /* debug only */
}

static inline void goc__hc_wake(struct goc__hc_call *call) {
    parker *pk = call->pk;
    pthread_mutex_lock(&pk->mu);
    call->woken = true;
    pthread_cond_signal(&pk->cv); /* exactly one call is blocked per thread */
    pthread_mutex_unlock(&pk->mu);
    /* call may be gone now: its owner returned */
}

static inline int goc__hc_park(struct goc__hc_call *call, void (*after)(void *), void *arg, goc_time deadline) {
    if (after) after(arg); /* a claimer finds us from here on: `woken` says so */
    parker *pk = call->pk;
    int kind = goc__deadline_kind(deadline);
    struct timespec ts = goc__ts_from(kind == GOC_DL_AT ? deadline : 0);
    bool timed_out = false;
    pthread_mutex_lock(&pk->mu);
    while (!call->woken) {
        if (kind == GOC_DL_AT && !timed_out) {
            int r = goc__spurious() ? 0 : pthread_cond_timedwait(&pk->cv, &pk->mu, &ts);
            if (r == ETIMEDOUT || goc_now() >= deadline) {
                int expected = W_WAITING;
                /* acq_rel: see goc__hc_claim */
                if (atomic_compare_exchange_strong_explicit(&call->state, &expected, W_CLAIMED,
                                                            memory_order_acq_rel, memory_order_acquire)) {
                    pthread_mutex_unlock(&pk->mu);
                    return -ETIMEDOUT;
                }
                timed_out = true; /* a claimer owns it: the wake is imminent */
            }
        } else if (!goc__spurious()) {
            pthread_cond_wait(&pk->cv, &pk->mu);
        }
    }
    pthread_mutex_unlock(&pk->mu);
    return call->fired;
}

#ifdef GOC_TSAN_PRECISE_ON
static inline void *goc__hc_sync_w(struct goc__hc_call *call) { return &call->tsan_w; }
static inline void *goc__hc_sync_c(struct goc__hc_call *call) { return &call->tsan_c; }
#endif

const char *goc_backend_name(void) { return GOC_BACKEND; }

GOC_RACE_FILE_END
