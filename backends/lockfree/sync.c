/*
 * The lockfree backend's sync.Mutex and sync.WaitGroup: one futex word
 * each, no pthread mutex on any path.
 *
 * Mutex state word (the futex word):
 *   bit 0  LOCKED    held (or, with HANDOFF, owned by whichever waiter
 *                    takes the handoff)
 *   bit 1  STARVING  Go's starvation mode: a waiter has waited > 1 ms; new
 *                    arrivals queue instead of barging, unlock hands off
 *   bit 2  HANDOFF   set by unlock in starving mode: the lock stays LOCKED
 *                    and passes to the first registered waiter that clears
 *                    this bit
 *   bits 8+ WAITERS  number of tasks registered as waiting (in or about to
 *                    enter FUTEX_WAIT)
 * Invariants: HANDOFF => LOCKED and WAITERS > 0; STARVING is cleared by the
 * waiter that takes the last handoff, or by unlock when nobody waits.
 * No lost wakeup: a waiter sleeps with FUTEX_WAIT(state, v), where v is the
 * word it last saw with itself counted in WAITERS; every unlock changes the
 * word (clears LOCKED or sets HANDOFF) before it wakes, so the kernel's
 * compare fails for a waiter that has not slept yet.
 *
 * TSan (natural build): the mutex is shown to TSan as a mutex, and as Go's
 * release/acquire edge once another task has unlocked it (goc_tsan_mu.h,
 * shared with pthread and coro). Precise build: Go's model of sync.Mutex,
 * release on unlock and acquire on lock (GOC_RACE_*), nothing else.
 *
 * WaitGroup word (the futex word): counter << 1 | WAITERS. add() that
 * brings the counter to 0 stores 0 and wakes everyone if WAITERS was set;
 * wait() sets WAITERS and sleeps on the exact value it saw.
 */
#include <stdio.h>

#include "lf.h"
#include "goc_tsan_mu.h"

/* ------------------------------------------------------------ mutex -- */

enum { MU_LOCKED = 1u, MU_STARVING = 2u, MU_HANDOFF = 4u, MU_WAITER = 1u << 8 };
#define MU_STARVE_NS 1000000 /* Go's starvationThresholdNs */

struct goc_mutex {
    _Atomic uint32_t state; /* see above */
    uint32_t magic;         /* GOC_MAGIC_MUTEX while live */
    GOC_TSAN_MU_FIELD       /* natural TSan build only (goc_tsan_mu.h) */
};


static inline bool mutex_ok(const goc_mutex *mu) {
    if (GOC_UNLIKELY(!mu)) return false;
    if (GOC_UNLIKELY(mu->magic != GOC_MAGIC_MUTEX)) {
        goc__misuse("goc: %p is not a live mutex", (const void *)mu);
        return false;
    }
    return true;
}

static goc_mutex *lf_api_mutex_make(void) {
    goc_mutex *mu = goc__calloc(1, sizeof *mu);
    if (!mu) {
        errno = ENOMEM;
        return NULL;
    }
    atomic_init(&mu->state, 0);
    mu->magic = GOC_MAGIC_MUTEX;
#ifdef GOC_TSAN_NATURAL
    goc__tsan_mu_create(&mu->tsan_mu);
#endif
    return mu;
}

static void mutex_lock_slow(goc_mutex *mu) {
    goc_time start = 0;
    bool registered = false, waited = false;
    for (unsigned step = 0;; step++) {
        /* relaxed: every decision below is made by a CAS on the same word */
        uint32_t s = atomic_load_explicit(&mu->state, memory_order_relaxed);
        if (!registered) {
            /* Normal mode: barge in while free; spin a little while held. */
            if (!(s & (MU_LOCKED | MU_STARVING))) {
                /* acquire: pairs with the release CAS in unlock */
                if (atomic_compare_exchange_weak_explicit(&mu->state, &s, s | MU_LOCKED,
                                                          memory_order_acquire, memory_order_relaxed))
                    return;
                continue;
            }
            if (step < LF_STEPS_MIN && !(s & MU_STARVING)) {
                lf_backoff(step);
                continue;
            }
            /* register as a waiter (relaxed: no data is published by it) */
            if (!atomic_compare_exchange_weak_explicit(&mu->state, &s, s + MU_WAITER,
                                                       memory_order_relaxed, memory_order_relaxed))
                continue;
            registered = true;
            start = goc_now();
            s += MU_WAITER;
        } else {
            bool starving_me = waited && goc_now() - start > MU_STARVE_NS;
            if (s & MU_HANDOFF) {
                /* Take the handed-off lock (LOCKED stays set). Leave
                 * starvation mode if we are the last waiter or did not wait
                 * long (Go's rule). acquire: pairs with unlock's release. */
                uint32_t ns = (s & ~MU_HANDOFF) - MU_WAITER;
                if ((ns >> 8) == 0 || !starving_me) ns &= ~MU_STARVING;
                if (atomic_compare_exchange_weak_explicit(&mu->state, &s, ns, memory_order_acquire,
                                                          memory_order_relaxed))
                    return;
                continue;
            }
            if (!(s & (MU_LOCKED | MU_STARVING))) {
                /* acquire: pairs with unlock's release */
                if (atomic_compare_exchange_weak_explicit(&mu->state, &s, (s | MU_LOCKED) - MU_WAITER,
                                                          memory_order_acquire, memory_order_relaxed))
                    return;
                continue;
            }
            if (starving_me && !(s & MU_STARVING)) {
                /* relaxed: a mode bit; publishes no data */
                if (!atomic_compare_exchange_weak_explicit(&mu->state, &s, s | MU_STARVING,
                                                           memory_order_relaxed, memory_order_relaxed))
                    continue;
                s |= MU_STARVING;
            }
        }
        /* Sleep on the exact word we saw with ourselves counted; any unlock
         * changes it first. Re-evaluate starvation after 1 ms. */
        goc__fuzz_point();
        goc__futex_wait(&mu->state, s, waited ? GOC_NEVER : goc_now() + 2 * MU_STARVE_NS);
        waited = true;
    }
}

static int lf_api_mutex_lock(goc_mutex *mu) {
    if (!mutex_ok(mu)) return -EINVAL;
    goc__fuzz_point();
    uint32_t z = 0;
    /* acquire: pairs with the release CAS in unlock (unlock happens before
     * the next lock) */
    if (GOC_UNLIKELY(!atomic_compare_exchange_weak_explicit(&mu->state, &z, MU_LOCKED, memory_order_acquire,
                                                            memory_order_relaxed))) {
        goc__wait_begin("mutex lock", mu, GOC_NEVER);
        mutex_lock_slow(mu);
        goc__wait_end();
    }
    GOC_RACE_ACQUIRE(mu); /* precise build: the previous unlock -> this lock */
    GOC_TSAN_MU_LOCKED(mu, 0, true);
    return 0;
}

static int lf_api_mutex_trylock(goc_mutex *mu) {
    if (!mutex_ok(mu)) return -EINVAL;
    goc__fuzz_point();
    /* relaxed: the CAS decides */
    uint32_t s = atomic_load_explicit(&mu->state, memory_order_relaxed);
    bool ok = false;
    while (!(s & (MU_LOCKED | MU_STARVING))) {
        /* acquire: pairs with unlock's release */
        if (atomic_compare_exchange_weak_explicit(&mu->state, &s, s | MU_LOCKED, memory_order_acquire,
                                                  memory_order_relaxed)) {
            ok = true;
            break;
        }
    }
    if (ok) GOC_RACE_ACQUIRE(mu); /* precise build: a failed trylock acquires nothing */
    GOC_TSAN_MU_LOCKED(mu, __tsan_mutex_try_lock, ok);
    return ok ? 0 : -EBUSY;
}

static int lf_api_mutex_unlock(goc_mutex *mu) {
    if (!mutex_ok(mu)) return -EINVAL;
    goc__fuzz_point();
    /* relaxed: the CAS decides */
    uint32_t s = atomic_load_explicit(&mu->state, memory_order_relaxed);
    if (!(s & MU_LOCKED) || (s & MU_HANDOFF)) {
        goc__misuse("goc_mutex_unlock(%p): unlock of unlocked mutex", (void *)mu);
        return -EPERM;
    }
    GOC_TSAN_MU_UNLOCKING(mu); /* natural TSan: before it can be taken again */
    GOC_RACE_RELEASE(mu); /* precise build: the critical section happens before the next lock */
    uint32_t ns;
    bool wake;
    do {
        if (!(s & MU_LOCKED) || (s & MU_HANDOFF)) {
            /* a racing second unlock got there first */
            goc__misuse("goc_mutex_unlock(%p): unlock of unlocked mutex", (void *)mu);
            return -EPERM;
        }
        if ((s & MU_STARVING) && (s >> 8)) {
            ns = s | MU_HANDOFF; /* hand off: stays LOCKED for a waiter */
        } else {
            ns = s & ~(MU_LOCKED | ((s >> 8) ? 0 : MU_STARVING));
        }
        wake = (s >> 8) != 0;
        /* release: the critical section happens before the next lock's
         * acquire CAS (or the handoff taker's) */
    } while (!atomic_compare_exchange_weak_explicit(&mu->state, &s, ns, memory_order_release,
                                                    memory_order_relaxed));
    if (wake) goc__futex_wake(&mu->state, 1);
    return 0;
}

static void lf_api_mutex_free(goc_mutex *mu) {
    if (!mu) return;
    if (!mutex_ok(mu)) return;
    /* relaxed: the caller guarantees nobody uses it any more */
    if (atomic_load_explicit(&mu->state, memory_order_relaxed) >> 8)
        goc__misuse("goc_mutex_free(%p): tasks are still waiting on it", (void *)mu);
    mu->magic = GOC_MAGIC_DEAD;
#ifdef GOC_TSAN_NATURAL
    /* relaxed: the caller guarantees nobody uses it any more */
#endif
    goc__free(mu);
}

/* -------------------------------------------------------- WaitGroup -- */

#define WG_WAITERS GOC__WG_WAITERS
/* the counter fits the 31 bits above WG_WAITERS: GOC_WG_MAX (goc.h) */
_Static_assert(GOC_WG_MAX == (int64_t)(UINT32_MAX >> 1), "WaitGroup word layout");

struct goc_wg {
    _Atomic uint32_t word; /* counter << 1 | WG_WAITERS (goc__wg_word_next); the futex word */
    uint32_t magic;        /* GOC_MAGIC_WG while live */
    char race_sema;        /* precise TSan: address only (GOC_RACE_WG_*) */
};

static inline bool wg_ok(const goc_wg *wg) {
    if (GOC_UNLIKELY(!wg)) return false;
    if (GOC_UNLIKELY(wg->magic != GOC_MAGIC_WG)) {
        goc__misuse("goc: %p is not a live WaitGroup", (const void *)wg);
        return false;
    }
    return true;
}

static goc_wg *lf_api_wg_make(void) {
    goc_wg *wg = goc__calloc(1, sizeof *wg);
    if (!wg) {
        errno = ENOMEM;
        return NULL;
    }
    atomic_init(&wg->word, 0);
    wg->magic = GOC_MAGIC_WG;
    return wg;
}

static int lf_api_wg_add(goc_wg *wg, int64_t delta) {
    if (!wg_ok(wg)) return -EINVAL;
    goc__fuzz_point();
    /* relaxed: the CAS decides */
    uint32_t w = atomic_load_explicit(&wg->word, memory_order_relaxed);
    uint32_t nw;
    bool released = false;
    do {
        uint64_t next;
        int err = goc__wg_word_next(w, delta, &next);
        if (err) return err; /* Go panics; we change nothing */
        /* precise build: Done happens before Wait returns (Go's
         * ReleaseMerge), announced before the CAS that a Wait may see; a
         * Done that fails releases nothing */
        if (delta < 0 && !released) {
            GOC_RACE_RELEASE(wg);
            released = true;
        }
        nw = (uint32_t)next; /* fits: the count is at most GOC_WG_MAX (the assert above) */
        /* acq_rel: release makes everything before Done visible to a Wait
         * that sees the counter reach 0 (its acquire load); acquire chains
         * the earlier Done calls into the last one's release sequence. */
    } while (!atomic_compare_exchange_weak_explicit(&wg->word, &w, nw, memory_order_acq_rel,
                                                    memory_order_relaxed));
    if (delta > 0 && (w >> 1) == 0) GOC_RACE_WG_FIRST_ADD(&wg->race_sema);
    if (nw == 0 && (w & WG_WAITERS)) goc__futex_wake(&wg->word, INT32_MAX);
    return 0;
}

static int lf_api_wg_wait(goc_wg *wg, goc_time deadline) {
    if (!wg_ok(wg)) return -EINVAL;
    goc__fuzz_point();
    int kind = goc__deadline_kind(deadline);
    bool began = false;
    int r = 0;
    for (unsigned step = 0;; step++) {
        /* acquire: pairs with the release CAS of the add that reached 0 */
        uint32_t w = atomic_load_explicit(&wg->word, memory_order_acquire);
        if ((w >> 1) == 0) break;
        if (kind == GOC_DL_NOW) {
            r = -EAGAIN;
            break;
        }
        if (kind == GOC_DL_AT && goc_now() >= deadline) {
            r = -ETIMEDOUT;
            break;
        }
        if (step < LF_STEPS_MIN) {
            lf_backoff(step);
            continue;
        }
        if (!(w & WG_WAITERS)) {
            /* relaxed: announces a sleeper; the futex compare does the rest */
            if (!atomic_compare_exchange_weak_explicit(&wg->word, &w, w | WG_WAITERS, memory_order_relaxed,
                                                       memory_order_relaxed))
                continue;
            w |= WG_WAITERS;
            GOC_RACE_WG_FIRST_WAIT(&wg->race_sema); /* the first waiter that blocks */
        }
        if (!began) goc__wait_begin("wg wait", wg, kind == GOC_DL_AT ? deadline : GOC_NEVER);
        began = true;
        goc__fuzz_point();
        /* sleeps only while the word is exactly w: an add that reaches 0
         * stores 0 first (no lost wakeup) */
        goc__futex_wait(&wg->word, w, kind == GOC_DL_AT ? deadline : GOC_NEVER);
    }
    if (began) goc__wait_end();
    if (r == 0) GOC_RACE_ACQUIRE(wg);
    return r;
}

static void lf_api_wg_free(goc_wg *wg) {
    if (!wg) return;
    if (!wg_ok(wg)) return;
    wg->magic = GOC_MAGIC_DEAD;
    goc__free(wg);
}

/* --------------------------------------------------------- public API --
 * Each public call runs its body hidden in the precise TSan build (the race
 * layer of goc_tsan.h: lf.h); elsewhere these wrappers inline away. */
goc_mutex *goc_mutex_make(void) {
    GOC_RACE_CALL_BEGIN();
    goc_mutex *r = lf_api_mutex_make();
    GOC_RACE_CALL_END();
    return r;
}
int(goc_mutex_lock)(goc_mutex *mu) {
    GOC_RACE_CALL_BEGIN();
    int r = lf_api_mutex_lock(mu);
    GOC_RACE_CALL_END();
    return r;
}
int goc_mutex_trylock(goc_mutex *mu) {
    GOC_RACE_CALL_BEGIN();
    int r = lf_api_mutex_trylock(mu);
    GOC_RACE_CALL_END();
    return r;
}
int goc_mutex_unlock(goc_mutex *mu) {
    GOC_RACE_CALL_BEGIN();
    int r = lf_api_mutex_unlock(mu);
    GOC_RACE_CALL_END();
    return r;
}
void goc_mutex_free(goc_mutex *mu) {
    GOC_RACE_CALL_BEGIN();
    lf_api_mutex_free(mu);
    GOC_RACE_CALL_END();
}
goc_wg *goc_wg_make(void) {
    GOC_RACE_CALL_BEGIN();
    goc_wg *r = lf_api_wg_make();
    GOC_RACE_CALL_END();
    return r;
}
/* goc_wg_done is goc_wg_add(wg, -1), each a single call of lf_api_wg_add */
int goc_wg_add(goc_wg *wg, int64_t delta) {
    GOC_RACE_CALL_BEGIN();
    int r = lf_api_wg_add(wg, delta);
    GOC_RACE_CALL_END();
    return r;
}
int goc_wg_done(goc_wg *wg) {
    GOC_RACE_CALL_BEGIN();
    int r = lf_api_wg_add(wg, -1);
    GOC_RACE_CALL_END();
    return r;
}
int(goc_wg_wait)(goc_wg *wg, goc_time deadline) {
    GOC_RACE_CALL_BEGIN();
    int r = lf_api_wg_wait(wg, deadline);
    GOC_RACE_CALL_END();
    return r;
}
void goc_wg_free(goc_wg *wg) {
    GOC_RACE_CALL_BEGIN();
    lf_api_wg_free(wg);
    GOC_RACE_CALL_END();
}
