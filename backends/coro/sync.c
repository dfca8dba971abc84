/*
 * sync.c: goc_mutex and goc_wg for coro: they park the task, not the thread.
 *
 * goc_mutex. state: 0 unlocked, else MU_LOCKED with MU_WAITERS (the wait
 * queue may be non-empty) and MU_HANDOFF (handed to a waiter that has not
 * run yet). Uncontended lock/unlock are one CAS each. A contended locker
 * takes mu->ilock, sets MU_WAITERS, queues a waiter and parks (ilock is
 * released by its scheduler after the switch). Unlock with MU_WAITERS takes
 * ilock and hands the mutex directly to the first waiter (FIFO handoff, Go's
 * starvation mode, so a hog cannot starve anyone): the state stays locked,
 * with MU_HANDOFF until the new owner runs and clears it. As in Go (where
 * the mutex is unlocked until the woken waiter takes it), an unlock while
 * MU_HANDOFF is set is an unlock of an unlocked mutex: -EPERM, never a
 * second handoff (two owners, issue 12 defect 6).
 *   Invariants (under ilock): waiters non-empty implies MU_WAITERS;
 *   state == 0 implies waiters empty; MU_HANDOFF implies MU_LOCKED.
 *   Orderings: lock's acquire CAS pairs with unlock's release CAS/store;
 *   on handoff the claim (acq_rel) carries the edge to the new owner.
 * Go semantics: any task may unlock a mutex another task locked.
 *
 * goc_wg. count and the waiters are guarded by wg->ilock; add() that brings
 * the count to 0 claims every waiter under the lock and readies them after.
 */
#include <stdlib.h>
#include <string.h>

#include "coro.h"
#include "goc_tsan_hide.h" /* precise build: this file is uninstrumented */

/* Precise build edges (Go's sync race annotations): unlock releases the
 * mutex address, a successful lock/trylock acquires it; wg add/done release
 * the WaitGroup address, a wait that returns 0 acquires it. Everything else
 * runs hidden (coro.h). */

/* Natural TSan build: goc_mutex is announced with __tsan_mutex_* so TSan's
 * deadlock detector sees lock-order inversions (the pitfalls table) and
 * misuse. Go lets another task unlock, which TSan's model calls a bad
 * unlock; so a foreign unlock moves the mutex's TSan identity to a fresh
 * address (the old one stays "held" by the locking fiber, harmlessly: nobody
 * locks it again) and carries the happens-before edge with
 * __tsan_release/__tsan_acquire on the new one (as the lockfree backend). */
#if defined(GOC_TSAN) && !defined(GOC_TSAN_PRECISE_ON)
#define CORO_MU_TSAN 1
#endif

struct goc_mutex {
    uint32_t magic;
    _Atomic uint32_t state;
    goc__lock ilock;
    coro_wq waiters; /* guarded by ilock */
#ifdef CORO_MU_TSAN
    /* written by the holder (lock, foreign unlock), read by the next holder:
     * relaxed, ordered by the state word */
    _Atomic(void *) tsan_id;
    _Atomic(const void *) tsan_owner;
    void *tsan_ids; /* retired identities (guarded by the mutex itself) */
#endif
};

#ifdef CORO_MU_TSAN
static __thread char tsan_thread_self; /* identity of a foreign thread */
static const void *mu_self(void) {
    coro_task *t = coro_self();
    return t ? (const void *)t : (const void *)&tsan_thread_self;
}
static void *mu_tid(goc_mutex *m) { return atomic_load_explicit(&m->tsan_id, memory_order_relaxed); }
static void mu_acquired(goc_mutex *m) {
    atomic_store_explicit(&m->tsan_owner, mu_self(), memory_order_relaxed);
    __tsan_acquire(mu_tid(m)); /* the edge from a foreign unlock, if any */
}
#endif

struct goc_wg {
    uint32_t magic;
    goc__lock ilock;
    int64_t count;         /* guarded by ilock */
    coro_wq waiters;       /* guarded by ilock */
};

static bool mu_ok(const goc_mutex *m) {
    if (GOC_LIKELY(m && m->magic == GOC_MAGIC_MUTEX)) return true;
    if (m) goc__misuse("goc: bad mutex %p (freed or not a mutex)", (const void *)m);
    return false;
}
static bool wg_ok(const goc_wg *w) {
    if (GOC_LIKELY(w && w->magic == GOC_MAGIC_WG)) return true;
    if (w) goc__misuse("goc: bad WaitGroup %p (freed or not a WaitGroup)", (const void *)w);
    return false;
}

goc_mutex *goc_mutex_make(void) {
    goc_mutex *m = goc__malloc(sizeof *m);
    if (!m) {
        errno = ENOMEM;
        return NULL;
    }
    memset(m, 0, sizeof *m);
    m->magic = GOC_MAGIC_MUTEX;
#ifdef CORO_MU_TSAN
    atomic_init(&m->tsan_id, (void *)m);
    GOC_TSAN_MUTEX_CREATE(m, 0);
#endif
    return m;
}

enum { MU_LOCKED = 1, MU_WAITERS = 2, MU_HANDOFF = 4 };
/* Whether state s is held by a task (an unlock is legal). */
static inline bool mu_held(uint32_t s) { return s != 0 && !(s & MU_HANDOFF); }

static void lock_impl(goc_mutex *m) {
    uint32_t s = 0;
    /* acquire: pairs with the unlocker's release */
    if (GOC_LIKELY(atomic_compare_exchange_strong_explicit(&m->state, &s, MU_LOCKED,
                                                           memory_order_acquire, memory_order_relaxed)))
        return;
    goc__lock_acquire(&m->ilock);
    for (;;) {
        s = atomic_load_explicit(&m->state, memory_order_relaxed);
        if (s == 0) {
            if (atomic_compare_exchange_strong_explicit(&m->state, &s, MU_LOCKED, memory_order_acquire,
                                                        memory_order_relaxed)) {
                goc__lock_release(&m->ilock);
                return;
            }
            continue;
        }
        if ((s & MU_WAITERS) || atomic_compare_exchange_strong_explicit(&m->state, &s, s | MU_WAITERS,
                                                                        memory_order_relaxed,
                                                                        memory_order_relaxed))
            break;
    }
    coro_note_foreign();
    coro_parker *p = coro_parker_self();
    coro_waiter w = {.p = p, .seq = coro_parker_begin(p), .code = 1};
    coro_wq_push(&m->waiters, &w);
    coro_wait_begin("mutex lock", m, GOC_NEVER);
    coro_park(p, w.seq, coro_after_unlock, &m->ilock, GOC_NEVER);
    goc__wait_end();
    /* handed over by the unlocker (the claim carried its edge): take it.
     * relaxed: only lockers (|= MU_WAITERS under ilock) change the word
     * meanwhile; unlocks refuse while MU_HANDOFF is set. */
    atomic_fetch_and_explicit(&m->state, ~(uint32_t)MU_HANDOFF, memory_order_relaxed);
}

int(goc_mutex_lock)(goc_mutex *m) {
    if (!mu_ok(m)) return -EINVAL;
    goc__fuzz_point();
    GOC_RACE_CALL_BEGIN();
    lock_impl(m);
    GOC_RACE_ACQUIRE(m); /* the previous unlock -> this lock */
    GOC_RACE_CALL_END();
#ifdef CORO_MU_TSAN
    /* pre_lock and post_lock back to back, once the mutex is ours: between
     * them TSan ignores the fiber's accesses and synchronisation, which must
     * not span a park (the switch edges would be lost). The lock graph only
     * needs the order of acquisitions. */
    GOC_TSAN_MUTEX_PRE_LOCK(mu_tid(m), 0);
    mu_acquired(m);
    GOC_TSAN_MUTEX_POST_LOCK(mu_tid(m), 0, 0);
#endif
    return 0;
}

int goc_mutex_trylock(goc_mutex *m) {
    if (!mu_ok(m)) return -EINVAL;
    uint32_t s = 0;
    GOC_RACE_CALL_BEGIN();
    bool got = atomic_compare_exchange_strong_explicit(&m->state, &s, 1, memory_order_acquire,
                                                       memory_order_relaxed);
    if (got) GOC_RACE_ACQUIRE(m);
    GOC_RACE_CALL_END();
#ifdef CORO_MU_TSAN
    GOC_TSAN_MUTEX_PRE_LOCK(mu_tid(m), __tsan_mutex_try_lock);
    if (got) mu_acquired(m);
    GOC_TSAN_MUTEX_POST_LOCK(mu_tid(m), __tsan_mutex_try_lock | (got ? 0 : __tsan_mutex_try_lock_failed), 0);
#endif
    return got ? 0 : -EBUSY;
}

static int unlock_impl(goc_mutex *m) {
    uint32_t s = atomic_load_explicit(&m->state, memory_order_relaxed);
    if (!mu_held(s)) return -EPERM;
    GOC_RACE_RELEASE(m); /* this unlock -> the next lock */
    s = MU_LOCKED;
    /* release: publishes the critical section to the next locker */
    if (GOC_LIKELY(atomic_compare_exchange_strong_explicit(&m->state, &s, 0, memory_order_release,
                                                           memory_order_relaxed)))
        return 0;
    if (!mu_held(s)) return -EPERM; /* a racing unlock won */
    coro_note_foreign();
    goc__lock_acquire(&m->ilock);
    for (;;) { /* re-checked under ilock: a racing unlock may have handed it off */
        s = atomic_load_explicit(&m->state, memory_order_relaxed);
        if (!mu_held(s)) {
            goc__lock_release(&m->ilock);
            return -EPERM;
        }
        if (s & MU_WAITERS) break;
        /* the waiter it was handed to took it and nobody waits: plain unlock */
        if (atomic_compare_exchange_strong_explicit(&m->state, &s, 0, memory_order_release,
                                                    memory_order_relaxed)) {
            goc__lock_release(&m->ilock);
            return 0;
        }
    }
    coro_waiter *w = coro_wq_claim(&m->waiters, NULL);
    if (w) {
        /* hand off: stays locked until the new owner clears MU_HANDOFF.
         * A plain store: under ilock no one else changes the word (lockers
         * take ilock, the fast paths need 0 or MU_LOCKED alone, and no
         * handoff is pending). relaxed: the claim carries the edge. */
        atomic_store_explicit(&m->state, MU_LOCKED | MU_HANDOFF | (goc__wq_head(&m->waiters) ? MU_WAITERS : 0),
                              memory_order_relaxed);
    } else {
        atomic_store_explicit(&m->state, 0, memory_order_release);
    }
    goc__lock_release(&m->ilock);
    if (w) coro_parker_ready(w->p);
    return 0;
}

int goc_mutex_unlock(goc_mutex *m) {
    if (!mu_ok(m)) return -EINVAL;
#ifdef CORO_MU_TSAN
    bool locked = mu_held(atomic_load_explicit(&m->state, memory_order_relaxed));
    bool foreign = locked && atomic_load_explicit(&m->tsan_owner, memory_order_relaxed) != mu_self();
    if (foreign) { /* still held: the fields are ours until the unlock below */
        void **fresh = malloc(2 * sizeof *fresh);
        if (fresh) {
            fresh[0] = m->tsan_ids;
            m->tsan_ids = fresh;
            atomic_store_explicit(&m->tsan_id, (void *)&fresh[1], memory_order_relaxed);
        }
        __tsan_release(mu_tid(m));
    } else if (locked) {
        /* back to back, before the real unlock: TSan ignores the fiber's
         * synchronisation between them, and unlock_impl's (the internal
         * lock, readying the next owner) must stay visible */
        GOC_TSAN_MUTEX_PRE_UNLOCK(mu_tid(m), 0);
        GOC_TSAN_MUTEX_POST_UNLOCK(mu_tid(m), 0);
    }
#endif
    GOC_RACE_CALL_BEGIN();
    int r = unlock_impl(m);
    GOC_RACE_CALL_END();
    if (r == -EPERM) goc__misuse("goc_mutex_unlock: unlock of unlocked mutex %p", (void *)m);
    return r;
}

void goc_mutex_free(goc_mutex *m) {
    if (!m || !mu_ok(m)) return;
    if (goc__wq_head(&m->waiters)) {
        goc__misuse("goc_mutex_free: mutex %p has blocked tasks; it is leaked", (void *)m);
        return;
    }
    m->magic = GOC_MAGIC_DEAD;
#ifdef CORO_MU_TSAN
    GOC_TSAN_MUTEX_DESTROY(mu_tid(m), 0);
    for (void **p = m->tsan_ids; p;) {
        void **next = p[0];
        free(p);
        p = next;
    }
#endif
    goc__free(m);
}

goc_wg *goc_wg_make(void) {
    goc_wg *w = goc__malloc(sizeof *w);
    if (!w) {
        errno = ENOMEM;
        return NULL;
    }
    memset(w, 0, sizeof *w);
    w->magic = GOC_MAGIC_WG;
    return w;
}

static int wg_add_impl(goc_wg *wg, int64_t delta) {
    goc__lock_acquire(&wg->ilock);
    int64_t n;
    int err = goc__wg_next(wg->count, delta, &n);
    if (err) {
        goc__lock_release(&wg->ilock);
        return err;
    }
    GOC_RACE_RELEASE(wg); /* Add/Done -> the Wait that returns */
    wg->count = n;
    coro_waiter *list = NULL, *w;
    if (n == 0) {
        while ((w = coro_wq_claim(&wg->waiters, NULL))) {
            w->rnext = list;
            list = w;
        }
    }
    goc__lock_release(&wg->ilock);
    while (list) {
        w = list;
        list = w->rnext;
        coro_parker_ready(w->p);
    }
    return 0;
}

int goc_wg_add(goc_wg *wg, int64_t delta) {
    if (!wg_ok(wg)) return -EINVAL;
    coro_note_foreign();
    GOC_RACE_CALL_BEGIN();
    int r = wg_add_impl(wg, delta);
    GOC_RACE_CALL_END();
    if (r)
        goc__misuse("goc_wg_add(%p, %lld): WaitGroup counter %s", (void *)wg, (long long)delta,
                    r == -EINVAL ? "would be negative" : "overflow");
    return r;
}

int goc_wg_done(goc_wg *wg) { return goc_wg_add(wg, -1); }

static int wg_wait_impl(goc_wg *wg, goc_time deadline) {
    goc__lock_acquire(&wg->ilock);
    if (wg->count == 0) {
        goc__lock_release(&wg->ilock);
        return 0;
    }
    int kind = goc__deadline_kind(deadline);
    if (kind == GOC_DL_NOW || (kind == GOC_DL_AT && deadline <= goc_now())) {
        goc__lock_release(&wg->ilock);
        return kind == GOC_DL_NOW ? -EAGAIN : -ETIMEDOUT;
    }
    coro_parker *p = coro_parker_self();
    coro_waiter w = {.p = p, .seq = coro_parker_begin(p), .code = 1};
    coro_wq_push(&wg->waiters, &w);
    coro_wait_begin("wg wait", wg, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    uint32_t code = coro_park(p, w.seq, coro_after_unlock, &wg->ilock, deadline);
    goc__wait_end();
    if (code == CORO_FIRED_TIMEOUT) {
        goc__lock_acquire(&wg->ilock);
        coro_wq_unlink(&w);
        goc__lock_release(&wg->ilock);
        return -ETIMEDOUT;
    }
    return 0;
}

int(goc_wg_wait)(goc_wg *wg, goc_time deadline) {
    if (!wg_ok(wg)) return -EINVAL;
    goc__fuzz_point();
    GOC_RACE_CALL_BEGIN();
    int r = wg_wait_impl(wg, deadline);
    if (r == 0) GOC_RACE_ACQUIRE(wg);
    GOC_RACE_CALL_END();
    return r;
}

void goc_wg_free(goc_wg *wg) {
    if (!wg || !wg_ok(wg)) return;
    if (goc__wq_head(&wg->waiters)) {
        goc__misuse("goc_wg_free: WaitGroup %p has blocked tasks; it is leaked", (void *)wg);
        return;
    }
    wg->magic = GOC_MAGIC_DEAD;
    goc__free(wg);
}

GOC_TSAN_HIDE_FILE_END
