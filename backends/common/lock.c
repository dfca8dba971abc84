/*
 * Slow paths of the internal locks (goc_internal.h).
 *
 * goc__lock: Drepper's "Futexes Are Tricky" mutex #3.
 * state: 0 unlocked, 1 locked, 2 locked and maybe waiters. A waiter always
 * sets 2 before sleeping, so the unlocker that sees 2 issues the wake: no
 * wakeup is lost because the futex word itself is the state being changed.
 *
 * goc__spin: test-and-test-and-set, a look every GOC__SPIN_LOOK_EVERY
 * pauses, then a short timed futex sleep per try.
 */

#include "goc_internal.h"

void goc__lock_slow(goc__lock *l) {
    for (int i = 0; i < 64; i++) { /* brief spin: internal sections are short */
        uint32_t z = 0;
        if (atomic_load_explicit(&l->state, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(&l->state, &z, 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return;
        goc__cpu_relax();
    }
    /* acquire: pairs with goc__lock_release's release exchange */
    while (atomic_exchange_explicit(&l->state, 2, memory_order_acquire) != 0)
        goc__futex_wait(&l->state, 2, GOC_NEVER);
}

void goc__unlock_slow(goc__lock *l) {
    /* The release exchange in goc__lock_release already stored 0 and saw 2:
     * wake one sleeper, which will re-set 2 (pessimistically) when it wins. */
    goc__futex_wake(&l->state, 1);
}

_Thread_local _Atomic uint32_t *goc__spin_nap_word;

static inline void nap_count(_Atomic uint32_t *w) {
    /* relaxed: this thread is the word's only writer; the reader (coro's
     * sysmon) takes it as a hint next to the thread's /proc state */
    if (w) atomic_store_explicit(w, atomic_load_explicit(w, memory_order_relaxed) + 1, memory_order_relaxed);
}

static __attribute__((noinline)) void spin_nap(goc__spin *l) {
    _Atomic uint32_t *w = goc__spin_nap_word;
    nap_count(w); /* odd: napping */
    goc__futex_wait(&l->state, 1, goc_now() + GOC__SPIN_NAP_NS);
    nap_count(w);
}

void goc__spin_slow(goc__spin *l) {
    for (unsigned i = 0;; i++) {
        /* test before the CAS: waiters read the line shared instead of
         * taking it from the holder on every try */
        if (atomic_load_explicit(&l->state, memory_order_relaxed) == 0 && goc__spin_try(l)) return;
        if (i < GOC__SPIN_PAUSES / GOC__SPIN_LOOK_EVERY)
            for (int k = 0; k < GOC__SPIN_LOOK_EVERY; k++) goc__cpu_relax();
        else /* still held: the holder is off its CPU or other waiters keep
              * winning (goc_internal.h); give ours up for GOC__SPIN_NAP_NS,
              * or until the word is no longer 1 when the kernel looks.
              * Nobody wakes us: the timeout does. */
            spin_nap(l);
    }
}
