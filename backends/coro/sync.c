/*
 * sync.c: goc_mutex and goc_wg for coro: they park the task, not the thread.
 *
 * goc_mutex: Go's sync.Mutex (normal and starvation modes). The state word
 * holds MU_LOCKED, MU_WOKEN, MU_STARVING and the waiter count; waiters park
 * on the mutex's semaphore (sema + waiters, guarded by ilock; a waiter is
 * queued and parked under ilock, which its scheduler releases after the
 * switch). Uncontended lock/unlock are one CAS each.
 *   Normal mode: an unlock clears MU_LOCKED and, when waiters are counted
 *   and nobody is awake (MU_WOKEN), wakes one waiter, which competes with
 *   newcomers (barging: the mutex does not bounce between workers on every
 *   unlock). A locker that finds the mutex locked first spins briefly
 *   (MU_SPINS, only with several workers: the owner may be running on
 *   another), then counts itself a waiter and parks. A woken waiter that
 *   loses goes back to the front of the queue.
 *   Starvation mode: a waiter that waited more than MU_STARVE_NS (1 ms)
 *   sets MU_STARVING; unlocks then hand the mutex directly to the first
 *   waiter (FIFO) with MU_LOCKED clear, newcomers queue, and the new owner
 *   sets MU_LOCKED itself; it leaves starvation mode when it did not wait
 *   long or is the last waiter.
 *   An unlock with MU_LOCKED clear (unlocked, or handed off and not yet
 *   taken) is an unlock of an unlocked mutex: -EPERM and nothing changes,
 *   never a second handoff (two owners, issue 12 defect 6).
 *   Orderings: a CAS that sets MU_LOCKED is acquire and pairs with the
 *   unlock's release CAS; a handoff's edge goes through ilock and the claim.
 * Go semantics: any task may unlock a mutex another task locked.
 *
 * goc_wg. count and the waiters are guarded by wg->ilock; add() that brings
 * the count to 0 claims every waiter under the lock and readies them after.
 */
#include <stdlib.h>
#include <string.h>

#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */
#define GOC_TSAN_MU_HELD() mu_held_list() /* per task: each is a TSan fiber */
#include "goc_tsan_mu.h"

/* Precise build edges (Go's sync race annotations): unlock releases the
 * mutex address, a successful lock/trylock acquires it; wg add/done release
 * the WaitGroup address, a wait that returns 0 acquires it. Everything else
 * runs hidden (coro.h). */

/* Natural TSan build: goc_mutex is shown to TSan as a mutex, and as Go's
 * release/acquire edge once another task has unlocked it (goc_tsan_mu.h,
 * shared with pthread and lockfree). A task is a TSan fiber here, so the
 * task's list of held tokens names the holder. The annotations run once the mutex is ours and
 * before it is released, back to back: TSan's ignore window between pre
 * and post must not span a park (the switch edges would be lost). */
#ifdef GOC_TSAN_NATURAL
static goc__tsan_tok **mu_held_list(void) {
    coro_task *t = coro_self();
    return t ? (goc__tsan_tok **)&t->tsan_held : goc__tsan_thread_held();
}
#endif

struct goc_mutex {
    uint32_t magic;
    _Atomic uint32_t state;
    goc__lock ilock;
    coro_wq waiters; /* guarded by ilock */
    uint32_t sema;   /* guarded by ilock: releases not yet taken */
    GOC_TSAN_MU_FIELD /* natural TSan build only (goc_tsan_mu.h) */
};


/* WaitGroup (Go's sync.WaitGroup): the counter and a "has waiters" flag in
 * one word, so that Add and Done are one CAS when no Wait sleeps (the
 * internal lock they took before cost two atomics per Add: CounterMutex's
 * profile had goc_wg_add at 11-14 %). The flag is set only under ilock, by
 * a waiter whose CAS saw a non-zero count in the same word, and cleared
 * only under ilock: by the Add that takes the count to zero (which then
 * claims every waiter) or by a timed-out waiter that leaves the queue
 * empty. An Add that would take the count to zero while the flag is set
 * takes ilock first and redoes its CAS there, so a waiter is either seen
 * by that Add (flag set before its CAS) or sees the count's zero itself
 * (no lost wakeup). */
struct goc_wg {
    uint32_t magic;
    goc__lock ilock;
    _Atomic uint64_t state; /* count << 1 | WG_WAITERS: goc__wg_word_next */
    coro_wq waiters;        /* guarded by ilock */
    char race_sema;         /* precise TSan: address only (GOC_RACE_WG_*) */
};
#define WG_WAITERS GOC__WG_WAITERS

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
#ifdef GOC_TSAN_NATURAL
    goc__tsan_mu_create(&m->tsan_mu);
#endif
    return m;
}

/* The state word, as Go's sync.Mutex: MU_LOCKED, MU_WOKEN (a waiter is
 * awake or a locker spins: an unlock need not wake another), MU_STARVING
 * (direct handoff), and the number of waiters counted in the bits above
 * MU_SHIFT. See the header comment. */
enum { MU_LOCKED = 1, MU_WOKEN = 2, MU_STARVING = 4, MU_SHIFT = 3 };
#define MU_WAITER (1u << MU_SHIFT)
/* A waiter that waited longer than this switches the mutex to starvation
 * mode (Go's starvationThresholdNs). */
#define MU_STARVE_NS 1000000
/* Spins (of MU_SPIN_PAUSES pauses) before parking (Go's active_spin). */
#define MU_SPINS 4
#define MU_SPIN_PAUSES 30

/* Go's semacquire/semrelease on the mutex's own semaphore: sema counts
 * releases that found nobody queued (a locker counted in the state word
 * that has not queued yet); both guarded by ilock. */
static void sema_acquire(goc_mutex *m, bool lifo) {
    goc__lock_acquire(&m->ilock);
    if (m->sema) {
        m->sema--;
        goc__lock_release(&m->ilock);
        return;
    }
    coro_parker *p = coro_parker_self();
    coro_waiter w = {.p = p, .seq = coro_parker_begin(p), .code = 1};
    coro_wq_push(&m->waiters, &w);
    if (lifo && w.node.prev) { /* a woken waiter that lost the race: to the front (Go) */
        coro_wq_unlink(&w);
        goc__wnode *h = goc__wq_head(&m->waiters); /* non-NULL: w had a predecessor */
        w.node.prev = NULL;
        w.node.next = h;
        h->prev = &w.node;
        goc__wq_set_head(&m->waiters, &w.node);
        w.node.q = &m->waiters;
        w.node.linked = true;
    }
    coro_wait_begin("mutex lock", m, GOC_NEVER);
    coro_park(p, w.seq, coro_after_unlock, &m->ilock, GOC_NEVER);
    goc__wait_end();
}

static void sema_release(goc_mutex *m) {
    coro_note_foreign();
    goc__lock_acquire(&m->ilock);
    coro_waiter *w = coro_wq_claim(&m->waiters, NULL);
    if (!w) m->sema++;
    goc__lock_release(&m->ilock);
    if (w) coro_parker_ready(w->p);
}

/* Go's sync_runtime_canSpin: several workers (the owner may be running on
 * another one) and few spins so far. */
static bool mu_can_spin(int iter) { return iter < MU_SPINS && coro_nprocs() > 1; }

/* Go's lockSlow. Orderings: every CAS that takes MU_LOCKED is acquire
 * (pairs with the unlocker's release RMW); in starvation mode the owner
 * hands the mutex over through the semaphore (ilock and the claim carry
 * its edge) and the new owner's fetch_add needs no ordering of its own. */
static void lock_slow(goc_mutex *m) {
    coro_note_foreign(); /* a foreign thread that waits here will unlock later */
    goc_time wait_start = 0;
    bool starving = false, awoke = false;
    int iter = 0;
    uint32_t old = atomic_load_explicit(&m->state, memory_order_relaxed);
    for (;;) {
        /* locked, not starving: spin a little, the owner may release soon */
        if ((old & (MU_LOCKED | MU_STARVING)) == MU_LOCKED && mu_can_spin(iter)) {
            /* tell unlock not to wake a waiter: we are awake and will try */
            if (!awoke && !(old & MU_WOKEN) && (old >> MU_SHIFT) != 0 &&
                atomic_compare_exchange_strong_explicit(&m->state, &old, old | MU_WOKEN, memory_order_relaxed,
                                                        memory_order_relaxed))
                awoke = true;
            for (int i = 0; i < MU_SPIN_PAUSES; i++) goc__cpu_relax();
            iter++;
            old = atomic_load_explicit(&m->state, memory_order_relaxed);
            continue;
        }
        uint32_t new = old;
        if (!(old & MU_STARVING)) new |= MU_LOCKED; /* starving: newcomers queue */
        if (old & (MU_LOCKED | MU_STARVING)) new += MU_WAITER;
        /* switch to starvation mode, unless the mutex was just unlocked */
        if (starving && (old & MU_LOCKED)) new |= MU_STARVING;
        if (awoke) new &= ~(uint32_t)MU_WOKEN; /* we are awake: clear it either way */
        if (!atomic_compare_exchange_strong_explicit(&m->state, &old, new, memory_order_acquire,
                                                     memory_order_relaxed))
            continue; /* old reloaded */
        if (!(old & (MU_LOCKED | MU_STARVING))) return; /* took it */
        bool lifo = wait_start != 0;
        if (!lifo) wait_start = goc_now();
        sema_acquire(m, lifo);
        starving = starving || goc_now() - wait_start > MU_STARVE_NS;
        old = atomic_load_explicit(&m->state, memory_order_relaxed);
        if (old & MU_STARVING) {
            /* handed to us: MU_LOCKED is clear and we are still counted as
             * a waiter. Leave starvation mode when we did not wait long or
             * are the last waiter (Go's reasoning: it would otherwise never
             * end with two tasks taking turns). */
            uint32_t delta = MU_LOCKED - MU_WAITER;
            if (!starving || (old >> MU_SHIFT) == 1) delta -= MU_STARVING;
            atomic_fetch_add_explicit(&m->state, delta, memory_order_acquire);
            return;
        }
        awoke = true;
        iter = 0;
    }
}

static void lock_impl(goc_mutex *m) {
    uint32_t s = 0;
    /* acquire: pairs with the unlocker's release */
    if (GOC_LIKELY(atomic_compare_exchange_strong_explicit(&m->state, &s, MU_LOCKED,
                                                           memory_order_acquire, memory_order_relaxed)))
        return;
    lock_slow(m);
}

int(goc_mutex_lock)(goc_mutex *m) {
    if (!mu_ok(m)) return -EINVAL;
    goc__fuzz_point();
    GOC_RACE_CALL_BEGIN();
    lock_impl(m);
    GOC_RACE_ACQUIRE(m); /* the previous unlock -> this lock */
    GOC_RACE_CALL_END();
    GOC_TSAN_MU_LOCKED(m, 0, true);
    return 0;
}

int goc_mutex_trylock(goc_mutex *m) {
    if (!mu_ok(m)) return -EINVAL;
    GOC_RACE_CALL_BEGIN();
    /* Go's TryLock: not while locked or handed off (starving) */
    uint32_t s = atomic_load_explicit(&m->state, memory_order_relaxed);
    bool got = !(s & (MU_LOCKED | MU_STARVING)) &&
               atomic_compare_exchange_strong_explicit(&m->state, &s, s | MU_LOCKED, memory_order_acquire,
                                                       memory_order_relaxed);
    if (got) GOC_RACE_ACQUIRE(m);
    GOC_RACE_CALL_END();
    GOC_TSAN_MU_LOCKED(m, __tsan_mutex_try_lock, got);
    return got ? 0 : -EBUSY;
}

/* Go's Unlock and unlockSlow. An unlock of a mutex whose MU_LOCKED is clear
 * (unlocked, or handed off in starvation mode and not yet taken) is refused
 * with -EPERM and changes nothing (issue 12 defect 6: never a second
 * handoff). */
static int unlock_impl(goc_mutex *m) {
    uint32_t old = atomic_load_explicit(&m->state, memory_order_relaxed);
    if (!(old & MU_LOCKED)) return -EPERM;
    GOC_RACE_RELEASE(m); /* this unlock -> the next lock */
    do {
        if (!(old & MU_LOCKED)) return -EPERM; /* a racing unlock won */
        /* release: publishes the critical section to the next locker */
    } while (!atomic_compare_exchange_weak_explicit(&m->state, &old, old - MU_LOCKED, memory_order_release,
                                                    memory_order_relaxed));
    old -= MU_LOCKED;
    if (GOC_LIKELY(old == 0)) return 0;
    if (old & MU_STARVING) {
        /* hand it to the first waiter: newcomers queue while MU_STARVING */
        sema_release(m);
        return 0;
    }
    for (;;) {
        /* nobody to wake, or someone already took it, is awake, or it
         * went starving: done */
        if ((old >> MU_SHIFT) == 0 || (old & (MU_LOCKED | MU_WOKEN | MU_STARVING))) return 0;
        /* wake one waiter, which competes for the mutex (relaxed: ilock
         * and the claim order the wake) */
        if (atomic_compare_exchange_weak_explicit(&m->state, &old, (old - MU_WAITER) | MU_WOKEN,
                                                  memory_order_relaxed, memory_order_relaxed)) {
            sema_release(m);
            return 0;
        }
    }
}

int goc_mutex_unlock(goc_mutex *m) {
    if (!mu_ok(m)) return -EINVAL;
#ifdef GOC_TSAN_NATURAL
    /* only while it is held: an unlock of an unlocked mutex is -EPERM below */
    if (atomic_load_explicit(&m->state, memory_order_relaxed) & MU_LOCKED) GOC_TSAN_MU_UNLOCKING(m);
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
#ifdef GOC_TSAN_NATURAL
    goc__tsan_mu_destroy(&m->tsan_mu, (atomic_load_explicit(&m->state, memory_order_relaxed) & MU_LOCKED) != 0);
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
    bool locked = false;
    uint64_t s = atomic_load_explicit(&wg->state, memory_order_relaxed);
    uint64_t ns;
    int err = goc__wg_word_next(s, delta, &ns);
    if (err) return err;
    /* Done -> the Wait that returns (Go's ReleaseMerge). A Done that then
     * fails below (a concurrent Done took the count to zero first: misuse)
     * has released for nothing, which only the precise build sees. */
    if (delta < 0) GOC_RACE_RELEASE(wg);
    for (;;) {
        if ((err = goc__wg_word_next(s, delta, &ns))) break;
        if (ns == 0 && (s & WG_WAITERS) && !locked) { /* waiters to wake: under ilock */
            goc__lock_acquire(&wg->ilock);
            locked = true;
            s = atomic_load_explicit(&wg->state, memory_order_relaxed);
            continue;
        }
        /* zero clears WG_WAITERS: we hold ilock if it was set.
         * release: a Wait that sees this count (zero) sees the writes made
         * before the Done (pairs with wg_wait_impl's acquire loads).
         * acquire: the Done that takes the count to zero and wakes the
         * sleeping waiters (their only edge is its parker_ready) must carry
         * the earlier Dones' writes along, so it acquires them from their
         * release CASes (the linearize checker's TSan run caught the lack
         * of it). A failed CAS reloads s (relaxed: only its value is used,
         * to retry). */
        if (atomic_compare_exchange_weak_explicit(&wg->state, &s, ns, memory_order_acq_rel,
                                                  memory_order_relaxed))
            break;
    }
    if (err) {
        if (locked) goc__lock_release(&wg->ilock);
        return err;
    }
    /* Go's model of the semaphore; s is the word the CAS replaced */
    if (delta > 0 && (s >> 1) == 0) GOC_RACE_WG_FIRST_ADD(&wg->race_sema);
    if (!locked) return 0;
    coro_waiter *list = NULL, *w;
    if (ns == 0) {
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
    /* acquire: pairs with the release CAS of the Add that made it zero */
    uint64_t s = atomic_load_explicit(&wg->state, memory_order_acquire);
    if ((s >> 1) == 0) return 0;
    int kind = goc__deadline_kind(deadline);
    if (kind == GOC_DL_NOW || (kind == GOC_DL_AT && deadline <= goc_now())) {
        /* a zero reached meanwhile still wins, as it did under the lock */
        if ((atomic_load_explicit(&wg->state, memory_order_acquire) >> 1) == 0) return 0;
        return kind == GOC_DL_NOW ? -EAGAIN : -ETIMEDOUT;
    }
    goc__lock_acquire(&wg->ilock);
    /* Set WG_WAITERS in the word whose count we saw non-zero (see struct
     * goc_wg). acquire on both: a zero seen here is a return (pairs with
     * the Add's release CAS). */
    s = atomic_load_explicit(&wg->state, memory_order_acquire);
    do {
        if ((s >> 1) == 0) {
            goc__lock_release(&wg->ilock);
            return 0;
        }
    } while (!atomic_compare_exchange_weak_explicit(&wg->state, &s, s | WG_WAITERS,
                                                    memory_order_acquire, memory_order_acquire));
    /* Go's model of the semaphore: the first waiter that blocks */
    if (!goc__wq_head(&wg->waiters)) GOC_RACE_WG_FIRST_WAIT(&wg->race_sema);
    coro_parker *p = coro_parker_self();
    coro_waiter w = {.p = p, .seq = coro_parker_begin(p), .code = 1};
    coro_wq_push(&wg->waiters, &w);
    coro_wait_begin("wg wait", wg, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    uint32_t code = coro_park(p, w.seq, coro_after_unlock, &wg->ilock, deadline);
    goc__wait_end();
    if (code == CORO_FIRED_TIMEOUT) {
        goc__lock_acquire(&wg->ilock);
        coro_wq_unlink(&w);
        /* the last waiter gone: Adds to zero need not lock (relaxed: the
         * flag only chooses a path; ilock orders it with the waiters) */
        if (!goc__wq_head(&wg->waiters))
            atomic_fetch_and_explicit(&wg->state, ~(uint64_t)WG_WAITERS, memory_order_relaxed);
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

GOC_RACE_FILE_END
