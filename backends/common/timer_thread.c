/*
 * The timer service of the thread backends: one lazily started thread and a
 * binary min-heap of pending timers ordered by deadline.
 *
 * Guarded by tm_mu: the heap, every timer's state and heap index, `current`.
 * States: PENDING (in the heap) -> FIRING (callback running, not in heap) ->
 * DONE; or PENDING -> STOPPED. goc__timer_free waits on tm_cv while the timer
 * is FIRING, so a callback never runs on freed memory. Callbacks run without
 * tm_mu held (they close channels, which may wake tasks).
 */
#include <string.h>

#include "goc_internal.h"
#include "goc_tsan.h"
/* TSan precise build: the file is uninstrumented and every tm_mu section is
 * a hidden section (GOC_RACE_CALL_BEGIN/END: two tasks that start timers are
 * not ordered by tm_mu/tm_cv); the timer thread runs hidden and steps out
 * for each callback (GOC_RACE_TIMER_FIRE, with Go's arm -> fire edge), so
 * the channel and context annotations callbacks make stay visible. The timer thread's creation steps out too: pthread_create's
 * edge (the first goc__timer_start -> the timer thread) is kept as it was. */
GOC_RACE_FILE_BEGIN

enum { T_PENDING, T_FIRING, T_DONE, T_STOPPED };

struct goc__timer {
    goc_time when;        /* set once */
    void (*fn)(void *);   /* set once */
    void *arg;            /* set once */
    int state;            /* guarded by tm_mu */
    size_t idx;           /* guarded by tm_mu: heap index while PENDING */
};

static pthread_mutex_t tm_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tm_cv;            /* new earliest timer, or a firing ended */
static goc__timer **heap;               /* guarded by tm_mu */
static size_t heap_len, heap_cap;       /* guarded by tm_mu */
static bool started;                    /* guarded by tm_mu */
static pthread_t tm_thread;             /* set once under tm_mu */
static goc__timer *current;             /* guarded by tm_mu: the one firing */

static void swap(size_t a, size_t b) {
    goc__timer *t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
    heap[a]->idx = a;
    heap[b]->idx = b;
}
static void sift_up(size_t i) {
    while (i > 0 && heap[(i - 1) / 2]->when > heap[i]->when) {
        swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}
static void sift_down(size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < heap_len && heap[l]->when < heap[m]->when) m = l;
        if (r < heap_len && heap[r]->when < heap[m]->when) m = r;
        if (m == i) return;
        swap(i, m);
        i = m;
    }
}
static void heap_remove(size_t i) {
    heap_len--;
    if (i != heap_len) {
        heap[i] = heap[heap_len];
        heap[i]->idx = i;
        sift_down(i);
        sift_up(i);
    }
}

static void *timer_main(void *unused) {
    GOC_RACE_CALL_BEGIN(); /* the whole loop, but each callback */
    pthread_mutex_lock(&tm_mu);
    for (;;) {
        if (heap_len == 0) {
            pthread_cond_wait(&tm_cv, &tm_mu);
            continue;
        }
        goc__timer *t = heap[0];
        goc_time now = goc_now();
        if (t->when > now) {
            struct timespec ts = goc__ts_from(t->when);
            pthread_cond_timedwait(&tm_cv, &tm_mu, &ts);
            continue;
        }
        heap_remove(0);
        t->state = T_FIRING;
        current = t;
        pthread_mutex_unlock(&tm_mu);
        GOC_RACE_TIMER_FIRE(t, t->fn(t->arg)); /* pairs with goc__timer_start's ARM */
        pthread_mutex_lock(&tm_mu);
        current = NULL;
        if (t->state == T_FIRING) t->state = T_DONE;
        pthread_cond_broadcast(&tm_cv); /* a goc__timer_free may wait for us */
    }
    GOC_RACE_CALL_END(); /* not reached */
    return NULL;
}

static int ensure_started(void) { /* tm_mu held */
    if (started) return 0;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&tm_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc;
    GOC_RACE_UNHIDDEN(rc = goc__thread_create(&tm_thread, &attr, timer_main, NULL));
    pthread_attr_destroy(&attr);
    if (rc) {
        pthread_cond_destroy(&tm_cv);
        return -rc;
    }
    started = true;
    return 0;
}

goc__timer *goc__timer_start(goc_time when, void (*fn)(void *), void *arg) {
    goc__timer *t = goc__malloc(sizeof *t);
    if (!t) {
        errno = ENOMEM;
        return NULL;
    }
    t->when = when;
    t->fn = fn;
    t->arg = arg;
    GOC_RACE_TIMER_ARM(t); /* Go's timer edge: the caller -> the callback */
    GOC_RACE_CALL_BEGIN();
    pthread_mutex_lock(&tm_mu);
    int rc = ensure_started();
    if (!rc && heap_len == heap_cap) {
        size_t cap = heap_cap ? heap_cap * 2 : 64;
        goc__timer **h = goc__malloc(cap * sizeof *h);
        if (!h) rc = -ENOMEM;
        else {
            if (heap_len) memcpy(h, heap, heap_len * sizeof *h);
            goc__free(heap);
            heap = h;
            heap_cap = cap;
        }
    }
    if (rc) {
        pthread_mutex_unlock(&tm_mu);
        GOC_RACE_CALL_END();
        goc__free(t);
        errno = -rc == EAGAIN ? EAGAIN : ENOMEM;
        return NULL;
    }
    t->state = T_PENDING;
    t->idx = heap_len;
    heap[heap_len++] = t;
    sift_up(t->idx);
    if (heap[0] == t) pthread_cond_signal(&tm_cv); /* new earliest deadline */
    pthread_mutex_unlock(&tm_mu);
    GOC_RACE_CALL_END();
    return t;
}

bool goc__timer_stop(goc__timer *t) {
    if (!t) return false;
    GOC_RACE_CALL_BEGIN();
    pthread_mutex_lock(&tm_mu);
    bool stopped = t->state == T_PENDING;
    if (stopped) {
        heap_remove(t->idx);
        t->state = T_STOPPED;
    }
    pthread_mutex_unlock(&tm_mu);
    GOC_RACE_CALL_END();
    return stopped;
}

void goc__timer_free(goc__timer *t) {
    if (!t) return;
    GOC_RACE_CALL_BEGIN();
    pthread_mutex_lock(&tm_mu);
    if (t->state == T_PENDING) {
        heap_remove(t->idx);
        t->state = T_STOPPED;
    }
    if (current == t && pthread_equal(pthread_self(), tm_thread))
        goc__fatal("goc__timer_free called from its own callback");
    while (current == t) pthread_cond_wait(&tm_cv, &tm_mu);
    pthread_mutex_unlock(&tm_mu);
    GOC_RACE_CALL_END();
    goc__free(t);
}

GOC_RACE_FILE_END
