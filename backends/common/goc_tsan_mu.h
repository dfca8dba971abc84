/*
 * goc_tsan_mu.h: how the natural TSan build shows a goc_mutex to TSan, one
 * model for the pthread, lockfree and coro backends.
 *
 * The natural build announces goc_mutex with __tsan_mutex_* so TSan's
 * deadlock detector sees lock-order inversions (the pitfalls table) and
 * double locks, as for a pthread mutex. TSan's mutex model has an owner
 * thread, and an unlock by any other thread is a "bad unlock" report. Go
 * allows that unlock (a mutex used as a semaphore; Go's own race tests
 * TestNoRaceMutexSemaphore and TestNoRaceMutexExampleFromHtml rely on it),
 * so:
 *
 *   - TSan sees the mutex under an identity: a small token, not the mutex
 *     itself, so that the identity can outlive the mutex (below). After each
 *     acquisition the holder announces pre_lock/post_lock on it back to
 *     back; before each release, pre_unlock/post_unlock. Back to back keeps
 *     TSan's ignore window (between pre and post) from spanning a park, a
 *     futex wait or the backend's own lock, whose synchronisation TSan must
 *     see. The holder keeps a list of the tokens it holds (per thread, or
 *     per coroutine: whatever TSan calls a thread).
 *   - The first unlock by a task other than the token's holder switches the
 *     mutex to "edge only" for the rest of its life: no more __tsan_mutex_*
 *     calls, only Go's model of sync.Mutex (unlock releases, lock acquires
 *     `edge`). The old token is marked orphaned. TSan still counts it as
 *     held by its holder, and the deadlock detector would turn that into
 *     false lock-order cycles (holder locks B while "holding" the token,
 *     after some task locked B then the mutex); so the holder, at its next
 *     goc_mutex call, releases every orphaned token it holds, as their
 *     rightful owner in TSan's eyes, and frees it. The cost: lock-order
 *     checks stop for a mutex once it has been used as a semaphore.
 *   - Every unlock releases `edge` and every acquisition acquires it (before
 *     any annotation), in both modes, so the happens-before edge never
 *     depends on the mode.
 *
 * Fields: `tok` is written only by a task holding the mutex (after
 * acquiring, or before releasing it) and read by the next holder, so
 * the backend's own acquire/release of the mutex orders them; relaxed
 * atomics only because a misuse (an unlock racing an unlock) may read them
 * concurrently. `edge` is never read or written: its address is TSan's
 * synchronisation object. A token's `next` belongs to its holder's list
 * (holder only); `orphaned` is set by a foreign unlock or a free and read by
 * the holder; `refs` counts the mutex's reference and the holder's, and
 * whoever drops the last one frees the token (acq_rel: the last dropper sees
 * every earlier use).
 *
 * In every other build (release, asan, and the precise TSan build, which
 * annotates Go's edges itself) the field is absent and the calls are empty.
 */
#ifndef GOC_TSAN_MU_H
#define GOC_TSAN_MU_H

#include <stdatomic.h>
#include <stdbool.h>

#include "goc_tsan.h"

#if defined(GOC_TSAN) && !defined(GOC_TSAN_PRECISE_ON)
#define GOC_TSAN_NATURAL 1

#include <stdlib.h>

typedef struct goc__tsan_tok {
    _Atomic int refs;               /* the mutex's + the holder's */
    _Atomic unsigned char orphaned; /* its holder no longer holds it */
    struct goc__tsan_tok *next;     /* in the holder's list (holder only) */
} goc__tsan_tok;

typedef struct goc__tsan_mu {
    _Atomic(goc__tsan_tok *) tok;       /* TSan's identity; NULL once edge only */
    char edge;                          /* address only: the release/acquire edge */
} goc__tsan_mu;

/* The embedding field, so that other builds carry nothing. */
#define GOC_TSAN_MU_FIELD goc__tsan_mu tsan_mu;

/* `held` is the running task's list of held tokens (a token in it is what
 * TSan's model has the task holding):
 * per thread on pthread and lockfree (goc__tsan_thread_held()), per
 * coroutine on coro (a TSan fiber each). */
static inline goc__tsan_tok **goc__tsan_thread_held(void) {
    static __thread goc__tsan_tok *held;
    return &held;
}

static inline void goc__tsan_tok_unref(goc__tsan_tok *k) {
    if (atomic_fetch_sub_explicit(&k->refs, 1, memory_order_acq_rel) == 1) free(k);
}

/* Release, as their holder, the tokens whose mutex went edge only or was
 * freed while held (see above). */
static inline void goc__tsan_mu_drain(goc__tsan_tok **held) {
    for (goc__tsan_tok **pp = held; *pp;) {
        goc__tsan_tok *k = *pp;
        if (!atomic_load_explicit(&k->orphaned, memory_order_acquire)) {
            pp = &k->next;
            continue;
        }
        *pp = k->next;
        __tsan_mutex_pre_unlock(k, 0);
        __tsan_mutex_post_unlock(k, 0);
        goc__tsan_tok_unref(k);
    }
}

static inline void goc__tsan_mu_create(goc__tsan_mu *t) {
    goc__tsan_tok *k = calloc(1, sizeof *k);
    if (k) { /* without one, the mutex is edge only from the start */
        atomic_init(&k->refs, 1);
        __tsan_mutex_create(k, 0);
    }
    atomic_init(&t->tok, k);
}

/* After an acquisition attempt, with the mutex held when `got`. flags: 0 or
 * __tsan_mutex_try_lock. */
static inline void goc__tsan_mu_locked(goc__tsan_mu *t, unsigned flags, bool got, goc__tsan_tok **held) {
    goc__tsan_mu_drain(held);
    if (got) __tsan_acquire(&t->edge); /* pairs with goc__tsan_mu_unlocking's release */
    goc__tsan_tok *k = atomic_load_explicit(&t->tok, memory_order_relaxed);
    if (!k) return;
    if (!got) flags |= __tsan_mutex_try_lock_failed;
    __tsan_mutex_pre_lock(k, flags);
    if (got) {
        atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed); /* the holder's */
        k->next = *held;
        *held = k;
    }
    __tsan_mutex_post_lock(k, flags, 0);
}

/* Before the real release, with the mutex still held. */
static inline void goc__tsan_mu_unlocking(goc__tsan_mu *t, goc__tsan_tok **held) {
    goc__tsan_tok *k = atomic_load_explicit(&t->tok, memory_order_relaxed);
    goc__tsan_tok **pp = held; /* k in our list: TSan's model has us holding it */
    while (k && *pp && *pp != k) pp = &(*pp)->next;
    if (k && *pp) {
        *pp = k->next;
        __tsan_mutex_pre_unlock(k, 0);
        __tsan_mutex_post_unlock(k, 0);
        goc__tsan_tok_unref(k); /* the holder's reference */
    } else if (k) { /* a foreign unlock: Go allows it, TSan's model does not */
        atomic_store_explicit(&t->tok, (goc__tsan_tok *)0, memory_order_relaxed);
        atomic_store_explicit(&k->orphaned, 1, memory_order_release); /* pairs with drain */
        goc__tsan_tok_unref(k); /* the mutex's reference; the holder drops its own */
    }
    __tsan_release(&t->edge); /* pairs with goc__tsan_mu_locked's acquire */
}

/* When the mutex is freed (legal in Go even while held). */
static inline void goc__tsan_mu_destroy(goc__tsan_mu *t, bool held_now) {
    goc__tsan_tok *k = atomic_load_explicit(&t->tok, memory_order_relaxed);
    if (!k) return;
    if (held_now) {
        atomic_store_explicit(&k->orphaned, 1, memory_order_release); /* its holder releases it */
    } else {
        __tsan_mutex_destroy(k, 0);
    }
    goc__tsan_tok_unref(k);
}

/* What a backend calls: after an acquisition attempt (GOC_TSAN_MU_LOCKED)
 * and before a release (GOC_TSAN_MU_UNLOCKING), on a struct with
 * GOC_TSAN_MU_FIELD. A backend whose tasks are not threads defines
 * GOC_TSAN_MU_HELD() (the running task's list) before including this. */
#ifndef GOC_TSAN_MU_HELD
#define GOC_TSAN_MU_HELD() goc__tsan_thread_held()
#endif
#define GOC_TSAN_MU_LOCKED(m, f, got) goc__tsan_mu_locked(&(m)->tsan_mu, (f), (got), GOC_TSAN_MU_HELD())
#define GOC_TSAN_MU_UNLOCKING(m) goc__tsan_mu_unlocking(&(m)->tsan_mu, GOC_TSAN_MU_HELD())

#else
#define GOC_TSAN_MU_FIELD
#define GOC_TSAN_MU_LOCKED(m, f, got) ((void)0)
#define GOC_TSAN_MU_UNLOCKING(m) ((void)0)
#endif

#endif
