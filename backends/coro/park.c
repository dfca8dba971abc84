/*
 * park.c: parkers and claims (the one waiting model of coro.h).
 */
#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */
#include "coro_sched.h"


/* ------------------------------------------------------------- parking -- */


uint32_t coro_parker_begin(coro_parker *p) {
    uint64_t w = atomic_load_explicit(&p->word, memory_order_relaxed); /* owner-written seq */
    uint32_t seq = (uint32_t)(w >> 32) + 1;
    /* relaxed: the new word is published to wakers by the lock that
     * publishes the waiters (or the timer/epoll arming after the switch). */
    atomic_store_explicit(&p->word, (uint64_t)seq << 32, memory_order_relaxed);
    if (!p->task) atomic_store_explicit(&p->futex, 0, memory_order_relaxed);
    return seq;
}

bool coro_claim(coro_parker *p, uint32_t seq, uint32_t code) {
    uint64_t exp = (uint64_t)seq << 32;
    /* acq_rel: acquire the owner's waiter setup; release our writes into the
     * waiter (value, err) to the owner's acquire load in coro_park. */
    return atomic_compare_exchange_strong_explicit(&p->word, &exp, exp | code,
                                                   memory_order_acq_rel, memory_order_relaxed);
}

void coro_parker_ready(coro_parker *p) {
    coro_task *t = p->task;
    if (t) {
        coro_ready(t);
    } else {
        /* release: pairs with the acquire load in coro_park's futex loop */
        atomic_store_explicit(&p->futex, 1, memory_order_release);
        goc__futex_wake(&p->futex, 1);
    }
}

void coro_after_unlock(void *lock) { goc__lock_release((goc__lock *)lock); }

GOC_RACE_FILE_END
