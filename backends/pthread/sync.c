/*
 * goc_mutex and goc_wg for the pthread backend (also linked by busted).
 *
 * goc_mutex cannot be a pthread mutex: Go lets any task unlock it, which is
 * undefined for pthread mutexes. It is a `locked` flag under an internal
 * pthread mutex with a condvar, plus Go's starvation mode: a waiter that has
 * waited more than 1 ms makes the mutex "starving", and unlock then hands
 * ownership directly to a waiter instead of letting a running task barge in
 * (sync/mutex.go's normal vs starvation modes).
 *
 * Fields guarded by mu->m: locked, waiters, starving, handoffs.
 * TSan (natural build): the goc_mutex is shown to TSan as a mutex, and as
 * Go's release/acquire edge once another task has unlocked it
 * (goc_tsan_mu.h, shared with lockfree and coro).
 */
#include <stdio.h>

#include "goc_internal.h"
#include "goc_tsan.h"
#include "goc_tsan_mu.h"

/* TSan precise build (GOC_TSAN_PRECISE, TESTING.md (b)), with the one race
 * layer of goc_tsan.h: the file is uninstrumented, every public call runs
 * its body hidden (GOC_RACE_CALL_BEGIN/END: the internal pthread mutex and
 * condvar give TSan nothing), and only Go's edges step out of it, as Go's
 * race detector models sync.Mutex and sync.WaitGroup: unlock releases and
 * lock acquires the goc_mutex address; Done (add < 0) releases and a Wait
 * that returns 0 acquires the goc_wg address, and Go's model of the
 * WaitGroup's semaphore (GOC_RACE_WG_*). The natural build's model of
 * goc_mutex (goc_tsan_mu.h) is compiled out here. */
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */

#define STARVE_NS 1000000 /* 1 ms, as Go's starvationThresholdNs */

struct goc_mutex {
    uint32_t magic;
    pthread_mutex_t m;
    pthread_cond_t cv;
    bool locked;        /* guarded by m: some task holds it (a handoff in flight does not count) */
    bool starving;      /* guarded by m */
    uint32_t waiters;   /* guarded by m */
    uint32_t handoffs;  /* guarded by m: ownerships passed by unlock, not yet taken;
                         * at most 1 (an unlock needs locked, which only the
                         * taker of the handoff sets again) */
    GOC_TSAN_MU_FIELD   /* natural TSan build only (goc_tsan_mu.h) */
};

static void cond_init_mono(pthread_cond_t *cv) {
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
}

goc_mutex *goc_mutex_make(void) {
    goc_mutex *mu = goc__calloc(1, sizeof *mu);
    if (!mu) {
        errno = ENOMEM;
        return NULL;
    }
    GOC_RACE_CALL_BEGIN();
    pthread_mutex_init(&mu->m, NULL);
    cond_init_mono(&mu->cv);
    GOC_RACE_CALL_END();
    mu->magic = GOC_MAGIC_MUTEX;
#ifdef GOC_TSAN_NATURAL
    goc__tsan_mu_create(&mu->tsan_mu);
#endif
    return mu;
}

static bool mu_ok(const goc_mutex *mu) { return mu && mu->magic == GOC_MAGIC_MUTEX; }

int goc_mutex_lock(goc_mutex *mu) {
    if (!mu_ok(mu)) return -EINVAL;
    goc__fuzz_point();
    GOC_RACE_CALL_BEGIN();
    pthread_mutex_lock(&mu->m);
    if (!mu->locked && !mu->starving) {
        mu->locked = true;
        pthread_mutex_unlock(&mu->m);
        GOC_RACE_ACQUIRE(mu); /* precise: the previous unlock -> this lock */
        GOC_RACE_CALL_END();
        GOC_TSAN_MU_LOCKED(mu, 0, true);
        return 0;
    }
    mu->waiters++;
    goc_time start = goc_now();
    goc__wait_begin("mutex lock", mu, GOC_NEVER);
    for (;;) {
        if (mu->handoffs) { /* unlock passed ownership to us (starving: nobody barges) */
            mu->handoffs--;
            mu->locked = true;
            break;
        }
        if (!mu->locked && !mu->starving) {
            mu->locked = true;
            break;
        }
        if (!mu->starving && goc_now() - start > STARVE_NS) mu->starving = true;
        if (goc__spurious()) continue;
        if (mu->starving) {
            pthread_cond_wait(&mu->cv, &mu->m);
        } else { /* wake up at the starvation threshold to switch modes */
            struct timespec ts = goc__ts_from(start + STARVE_NS + 1000);
            pthread_cond_timedwait(&mu->cv, &mu->m, &ts);
        }
    }
    mu->waiters--;
    if (mu->waiters == 0) mu->starving = false;
    goc__wait_end();
    pthread_mutex_unlock(&mu->m);
    GOC_RACE_ACQUIRE(mu);
    GOC_RACE_CALL_END();
    GOC_TSAN_MU_LOCKED(mu, 0, true);
    return 0;
}

int goc_mutex_trylock(goc_mutex *mu) {
    if (!mu_ok(mu)) return -EINVAL;
    GOC_RACE_CALL_BEGIN();
    pthread_mutex_lock(&mu->m);
    bool got = !mu->locked && !mu->starving;
    if (got) mu->locked = true;
    pthread_mutex_unlock(&mu->m);
    if (got) GOC_RACE_ACQUIRE(mu);
    GOC_RACE_CALL_END();
    GOC_TSAN_MU_LOCKED(mu, __tsan_mutex_try_lock, got);
    return got ? 0 : -EBUSY;
}

int goc_mutex_unlock(goc_mutex *mu) {
    if (!mu_ok(mu)) return -EINVAL;
    GOC_RACE_CALL_BEGIN();
    pthread_mutex_lock(&mu->m);
    if (!mu->locked) {
        pthread_mutex_unlock(&mu->m);
        GOC_RACE_CALL_END();
        goc__misuse("goc_mutex_unlock(%p): unlock of unlocked mutex", (void *)mu);
        return -EPERM;
    }
    GOC_TSAN_MU_UNLOCKING(mu); /* natural TSan: before it can be taken again */
    GOC_RACE_RELEASE(mu); /* precise: before the next locker can see it free */
    if (mu->starving && mu->waiters > mu->handoffs) {
        /* direct handoff (Go's starvation mode). As in Go, the mutex is not
         * locked until the waiter takes it: a second unlock meanwhile is
         * -EPERM, never a second handoff (two owners). `starving` keeps
         * lockers from barging in; whichever waiter wakes takes it. */
        mu->locked = false;
        mu->handoffs++;
        pthread_cond_signal(&mu->cv);
    } else {
        mu->locked = false;
        if (mu->waiters) pthread_cond_signal(&mu->cv);
    }
    pthread_mutex_unlock(&mu->m);
    GOC_RACE_CALL_END();
    goc__fuzz_point();
    return 0;
}

void goc_mutex_free(goc_mutex *mu) {
    if (!mu) return;
    if (!mu_ok(mu)) {
        goc__misuse("goc_mutex_free(%p): not a live mutex", (void *)mu);
        return;
    }
    GOC_RACE_CALL_BEGIN();
    pthread_mutex_lock(&mu->m);
    bool busy = mu->locked || mu->waiters;
    pthread_mutex_unlock(&mu->m);
    GOC_RACE_CALL_END();
    if (busy && mu->waiters) {
        goc__misuse("goc_mutex_free(%p): tasks are waiting on it; leaking it instead", (void *)mu);
        return;
    }
#ifdef GOC_TSAN_NATURAL
    goc__tsan_mu_destroy(&mu->tsan_mu, busy);
#endif
    mu->magic = GOC_MAGIC_DEAD;
    GOC_RACE_CALL_BEGIN();
    pthread_cond_destroy(&mu->cv);
    pthread_mutex_destroy(&mu->m);
    GOC_RACE_CALL_END();
    goc__free(mu);
}

/* ---------------------------------------------------------- WaitGroup -- */

/* Fields guarded by m. `gen` counts the times the counter reached zero, so a
 * waiter wakes for "its" zero even if the group is reused (Add) right away. */
struct goc_wg {
    uint32_t magic;
    pthread_mutex_t m;
    pthread_cond_t cv;
    int64_t count;  /* guarded by m */
    uint64_t gen;   /* guarded by m */
    uint32_t waiters; /* guarded by m: blocked in this round (reset when the count reaches 0) */
    char race_sema;   /* precise TSan: address only (GOC_RACE_WG_*) */
};

goc_wg *goc_wg_make(void) {
    goc_wg *wg = goc__calloc(1, sizeof *wg);
    if (!wg) {
        errno = ENOMEM;
        return NULL;
    }
    GOC_RACE_CALL_BEGIN();
    pthread_mutex_init(&wg->m, NULL);
    cond_init_mono(&wg->cv);
    GOC_RACE_CALL_END();
    wg->magic = GOC_MAGIC_WG;
    return wg;
}

static bool wg_ok(const goc_wg *wg) { return wg && wg->magic == GOC_MAGIC_WG; }

int goc_wg_add(goc_wg *wg, int64_t delta) {
    if (!wg_ok(wg)) return -EINVAL;
    GOC_RACE_CALL_BEGIN();
    pthread_mutex_lock(&wg->m);
    int64_t next;
    int err = goc__wg_next(wg->count, delta, &next);
    if (err) {
        pthread_mutex_unlock(&wg->m);
        GOC_RACE_CALL_END();
        goc__misuse("goc_wg_add(%p, %lld): WaitGroup counter %s", (void *)wg, (long long)delta,
                    err == -EINVAL ? "would be negative" : "overflow");
        return err;
    }
    if (delta < 0) GOC_RACE_RELEASE(wg); /* precise: Done -> Wait returns (merged) */
    if (delta > 0 && wg->count == 0) GOC_RACE_WG_FIRST_ADD(&wg->race_sema);
    wg->count = next;
    if (wg->count == 0 && delta != 0) {
        wg->gen++;
        wg->waiters = 0;
        pthread_cond_broadcast(&wg->cv);
    }
    pthread_mutex_unlock(&wg->m);
    GOC_RACE_CALL_END();
    return 0;
}

int goc_wg_done(goc_wg *wg) { return goc_wg_add(wg, -1); }

int goc_wg_wait(goc_wg *wg, goc_time deadline) {
    if (!wg_ok(wg)) return -EINVAL;
    int kind = goc__deadline_kind(deadline);
    struct timespec ts = goc__ts_from(kind == GOC_DL_AT ? deadline : 0);
    int ret = 0;
    GOC_RACE_CALL_BEGIN();
    pthread_mutex_lock(&wg->m);
    if (wg->count == 0) goto out;
    if (kind == GOC_DL_NOW) {
        ret = -EAGAIN;
        goto out;
    }
    uint64_t gen = wg->gen;
    if (wg->waiters++ == 0) GOC_RACE_WG_FIRST_WAIT(&wg->race_sema); /* the first waiter that blocks */
    goc__wait_begin("waitgroup wait", wg, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    while (wg->gen == gen) {
        if (kind == GOC_DL_AT) {
            if (goc_now() >= deadline) {
                ret = -ETIMEDOUT;
                wg->waiters--; /* still this round: gen is unchanged */
                break;
            }
            if (!goc__spurious()) pthread_cond_timedwait(&wg->cv, &wg->m, &ts);
        } else if (!goc__spurious()) {
            pthread_cond_wait(&wg->cv, &wg->m);
        }
    }
    goc__wait_end();
out:
    pthread_mutex_unlock(&wg->m);
    if (ret == 0) GOC_RACE_ACQUIRE(wg);
    GOC_RACE_CALL_END();
    return ret;
}

void goc_wg_free(goc_wg *wg) {
    if (!wg) return;
    if (!wg_ok(wg)) {
        goc__misuse("goc_wg_free(%p): not a live WaitGroup", (void *)wg);
        return;
    }
    wg->magic = GOC_MAGIC_DEAD;
    GOC_RACE_CALL_BEGIN();
    pthread_cond_destroy(&wg->cv);
    pthread_mutex_destroy(&wg->m);
    GOC_RACE_CALL_END();
    goc__free(wg);
}

GOC_RACE_FILE_END
