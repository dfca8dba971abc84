/*
 * timer.c: per-worker timer heaps and the timer service of goc_internal.h.
 *
 * Each worker owns a binary min-heap of coro_timers (its lock guards the
 * array, n, and every member's idx). A timer is armed on the heap of the
 * worker that arms it (foreign threads use a heap chosen at random) and stays
 * on it. Any worker may run the expired timers of any heap: its own at every
 * schedule, the others' when it is idle or stealing (findrun.c), and the
 * poller sleeps in epoll_wait until the earliest deadline of all heaps.
 *
 * next_when mirrors v[0]->when (INT64_MAX when empty) for lock-free peeks,
 * on a cache line of its own (coro.h); it is stored seq_cst under the lock:
 * that store is the "publish" step of the timer/poller protocol in idle.c
 * (coro_timer_added reads the poller state after it; the poller publishes
 * itself before reading next_when).
 *
 * Firing: the runner pops the timer and sets running = 1 under the lock,
 * calls fn(arg) without the lock (fn may arm or stop timers, close channels,
 * ready tasks), then clears running with release. coro_timer_cancel_sync
 * stops the timer under the lock and then waits for running == 0 (acquire),
 * so after it returns no callback is running or will run: the timer's memory
 * may be reused or freed.
 */
#include <sched.h>
#include <stdlib.h>

#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */

int coro_runtime_start(void);

static void set_next(coro_theap *h) { /* h->lock held */
    atomic_store_explicit(&h->next_when, h->n ? h->v[0]->when : INT64_MAX, memory_order_seq_cst);
}

static void swap(coro_theap *h, uint32_t a, uint32_t b) {
    coro_timer *t = h->v[a];
    h->v[a] = h->v[b];
    h->v[b] = t;
    h->v[a]->idx = (int32_t)a;
    h->v[b]->idx = (int32_t)b;
}
static void sift_up(coro_theap *h, uint32_t i) {
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (h->v[p]->when <= h->v[i]->when) break;
        swap(h, p, i);
        i = p;
    }
}
static void sift_down(coro_theap *h, uint32_t i) {
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->v[l]->when < h->v[m]->when) m = l;
        if (r < h->n && h->v[r]->when < h->v[m]->when) m = r;
        if (m == i) return;
        swap(h, i, m);
        i = m;
    }
}
static void heap_remove(coro_theap *h, uint32_t i) {
    coro_timer *t = h->v[i];
    h->n--;
    if (i != h->n) {
        h->v[i] = h->v[h->n];
        h->v[i]->idx = (int32_t)i;
        sift_down(h, i);
        sift_up(h, i);
    }
    t->idx = -1;
}

void coro_timer_arm(coro_timer *t, goc_time when, void (*fn)(void *), void *arg) {
    coro_worker *w = coro_worker_self();
    coro_theap *h;
    if (w) {
        h = coro_worker_heap(w);
    } else {
        if (coro_runtime_start() != 0) goc__fatal("coro: cannot start the runtime for a timer");
        h = coro_heap_at((int)goc__rand_n((uint32_t)coro_nprocs()));
    }
    t->when = when;
    t->fn = fn;
    t->arg = arg;
    goc__lock_acquire(&h->lock);
    if (h->n == h->cap) {
        uint32_t nc = h->cap ? 2 * h->cap : 64;
        /* plain realloc: arming happens where failure cannot be reported
         * (a park's deadline on the scheduler stack) */
        coro_timer **v = realloc(h->v, nc * sizeof *v);
        if (!v) goc__fatal("coro: out of memory growing a timer heap");
        h->v = v;
        h->cap = nc;
    }
    t->heap = h;
    atomic_store_explicit(&t->running, 0, memory_order_relaxed);
    h->v[h->n] = t;
    t->idx = (int32_t)h->n++;
    sift_up(h, (uint32_t)t->idx);
    set_next(h);
    goc__lock_release(&h->lock);
    coro_timer_added(when);
}

bool coro_timer_stop(coro_timer *t) {
    coro_theap *h = t->heap;
    if (!h) return false;
    bool r = false;
    goc__lock_acquire(&h->lock);
    if (t->idx >= 0) {
        heap_remove(h, (uint32_t)t->idx);
        set_next(h);
        r = true;
    }
    goc__lock_release(&h->lock);
    return r;
}

void coro_timer_cancel_sync(coro_timer *t) {
    if (coro_timer_stop(t)) return;
    /* acquire: pairs with the runner's release store after fn returned */
    for (int i = 0; atomic_load_explicit(&t->running, memory_order_acquire); i++) {
        if (i < 100) goc__cpu_relax();
        else sched_yield();
    }
}

int coro_timers_run(coro_theap *h, goc_time now) {
    int fired = 0;
    goc__lock_acquire(&h->lock);
    while (h->n && h->v[0]->when <= now) {
        coro_timer *t = h->v[0];
        heap_remove(h, 0);
        atomic_store_explicit(&t->running, 1, memory_order_relaxed); /* under h->lock */
        set_next(h);
        goc__lock_release(&h->lock);
        t->fn(t->arg);
        /* release: everything fn did happens before cancel_sync returns.
         * After this store t may be freed: do not touch it again. */
        atomic_store_explicit(&t->running, 0, memory_order_release);
        fired++;
        goc__lock_acquire(&h->lock);
    }
    goc__lock_release(&h->lock);
    return fired;
}

goc_time coro_timers_next(void) {
    goc_time m = INT64_MAX;
    int n = coro_nprocs();
    for (int i = 0; i < n; i++) {
        goc_time x = atomic_load_explicit(&coro_heap_at(i)->next_when, memory_order_seq_cst);
        if (x < m) m = x;
    }
    return m;
}

/* ------------------------------------------- the goc_internal.h service -- */

struct goc__timer {
    coro_timer t;
    void (*fn)(void *); /* set once, before arming */
    void *arg;          /* set once, before arming */
};

/* Runs on the scheduler fiber, which is hidden for good (precise build): the
 * callback steps out of it with Go's timer edge, so its own edges (the close
 * of a context's done on its deadline, goc_after's send) are annotated at
 * depth 1 and kept; at depth 2 TSan dropped them. coro's internal timers
 * (park deadlines, task.c) do not come here and stay hidden. */
static void timer_fire(void *arg) {
    goc__timer *x = arg;
    GOC_RACE_TIMER_FIRE(x, x->fn(x->arg)); /* pairs with goc__timer_start's ARM */
}

goc__timer *goc__timer_start(goc_time when, void (*fn)(void *), void *arg) {
    goc__timer *x = goc__malloc(sizeof *x);
    if (!x) {
        errno = ENOMEM;
        return NULL;
    }
    x->t.idx = -1;
    x->t.heap = NULL;
    x->fn = fn;
    x->arg = arg;
    GOC_RACE_TIMER_ARM(x); /* Go's timer edge: the caller -> the callback */
    GOC_RACE_CALL_BEGIN();
    coro_timer_arm(&x->t, when, timer_fire, x);
    GOC_RACE_CALL_END();
    return x;
}

bool goc__timer_stop(goc__timer *x) {
    if (!x) return false;
    GOC_RACE_CALL_BEGIN();
    bool r = coro_timer_stop(&x->t);
    GOC_RACE_CALL_END();
    return r;
}

void goc__timer_free(goc__timer *x) {
    if (!x) return;
    GOC_RACE_CALL_BEGIN();
    coro_timer_cancel_sync(&x->t);
    GOC_RACE_CALL_END();
    goc__free(x);
}

GOC_RACE_FILE_END
