/*
 * once_cond.c: sync.Once and sync.Cond for every backend, written once over
 * goc's own primitives (goc_mutex, channels), so they park a coroutine on
 * coro and a thread elsewhere.
 *
 * goc_once: Go's sync.Once. `done` is 0 until fn has returned, then 1.
 *   Fast path: an acquire load of done (pairs with the release store after
 *   fn), so the completion of fn happens before do returns. Slow path:
 *   o->mu serializes the first callers; done is re-read under it (the
 *   mutex orders it, relaxed is enough) and stored with release after fn.
 *   This is Go's code and also Go's race-detector model: the atomics and
 *   the mutex are visible to TSan in both TSan builds (this file is
 *   instrumented), so the edge fn -> every do is seen as Go's detector
 *   sees it.
 *
 * goc_cond: Go's sync.Cond. Each waiter queues a record holding its own
 *   cap-1 channel (FIFO list head/tail, guarded by c->mu), unlocks l, and
 *   receives from the channel; signal pops the first record and sends one
 *   (never blocks: cap 1, one send per record); broadcast pops all. A
 *   waiter queued before it unlocks l cannot miss a signal sent after that
 *   unlock. The record lives on the waiter's stack: the waker's send is its
 *   last use, and "receive the last value, then free" is safe (goc.h), so
 *   the waiter frees the channel once it has received.
 *   Happens-before: Go's Cond has no edge of its own (notifyList is runtime
 *   internal, invisible to Go's detector); its edges are l's: Unlock in
 *   Wait, Lock after waking. So in the precise TSan build the queue
 *   mutex and the wake channel run inside GOC_RACE_CALL_BEGIN/END (their accesses and
 *   their edges are not seen) and only the l operations, made outside the
 *   hidden region, give TSan edges. The natural build sees everything.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "goc_internal.h"
#include "goc_tsan.h"

/* ---------------------------------------------------------------- once -- */

enum { GOC_MAGIC_ONCE = 0x4f4e4331, GOC_MAGIC_COND = 0x434e4431 }; /* "ONC1", "CND1" */

struct goc_once {
    uint32_t magic;
    _Atomic uint32_t done; /* 0 -> 1 once fn returned (release); read acquire */
    goc_mutex *mu;         /* serializes the slow path */
};

goc_once *goc_once_make(void) {
    goc_once *o = goc__calloc(1, sizeof *o);
    if (!o) {
        errno = ENOMEM;
        return NULL;
    }
    o->mu = goc_mutex_make();
    if (!o->mu) {
        goc__free(o);
        errno = ENOMEM;
        return NULL;
    }
    o->magic = GOC_MAGIC_ONCE;
    atomic_init(&o->done, 0);
    return o;
}

int goc_once_do(goc_once *o, void (*fn)(void *), void *arg) {
    if (!o || !fn) return -EINVAL;
    if (o->magic != GOC_MAGIC_ONCE) {
        goc__misuse("goc: bad once %p (freed or not a goc_once)", (void *)o);
        return -EINVAL;
    }
    /* acquire: pairs with the release store below (fn's effects) */
    if (atomic_load_explicit(&o->done, memory_order_acquire)) return 0;
    int r = goc_mutex_lock(o->mu);
    if (r) return r;
    if (!atomic_load_explicit(&o->done, memory_order_relaxed)) { /* o->mu orders it */
        fn(arg);
        atomic_store_explicit(&o->done, 1, memory_order_release);
    }
    return goc_mutex_unlock(o->mu);
}

void goc_once_free(goc_once *o) {
    if (!o) return;
    if (o->magic != GOC_MAGIC_ONCE) {
        goc__misuse("goc: bad once %p (freed or not a goc_once)", (void *)o);
        return;
    }
    o->magic = GOC_MAGIC_DEAD;
    goc_mutex_free(o->mu);
    goc__free(o);
}

/* ---------------------------------------------------------------- cond -- */

struct cond_waiter {
    goc_chan *wake;           /* cap 1, elem size 0: one send wakes the waiter */
    struct cond_waiter *next; /* guarded by the cond's mu while queued */
};

struct goc_cond {
    uint32_t magic;
    goc_mutex *l;                    /* the user's lock, Go's c.L */
    goc_mutex *mu;                   /* guards head, tail */
    struct cond_waiter *head, *tail; /* FIFO of parked waiters */
};

goc_cond *goc_cond_make(goc_mutex *l) {
    if (!l) {
        errno = EINVAL;
        return NULL;
    }
    goc_cond *c = goc__calloc(1, sizeof *c);
    if (!c) {
        errno = ENOMEM;
        return NULL;
    }
    c->mu = goc_mutex_make();
    if (!c->mu) {
        goc__free(c);
        errno = ENOMEM;
        return NULL;
    }
    c->l = l;
    c->magic = GOC_MAGIC_COND;
    return c;
}

static bool cond_ok(const goc_cond *c) {
    if (GOC_LIKELY(c && c->magic == GOC_MAGIC_COND)) return true;
    if (c) goc__misuse("goc: bad cond %p (freed or not a goc_cond)", (const void *)c);
    return false;
}

/* The queue and the wake channel: hidden from TSan in the precise build
 * (Go's notifyList is invisible to its detector); c->mu is a goc_mutex, so
 * a queue operation parks rather than spins. Returns the popped list. */
static struct cond_waiter *cond_take(goc_cond *c, bool all) {
    goc_mutex_lock(c->mu);
    struct cond_waiter *w = c->head;
    if (w) {
        if (all) {
            c->head = c->tail = NULL;
        } else {
            c->head = w->next;
            if (!c->head) c->tail = NULL;
            w->next = NULL;
        }
    }
    goc_mutex_unlock(c->mu);
    return w;
}

static void cond_unlink(goc_cond *c, struct cond_waiter *me) {
    goc_mutex_lock(c->mu);
    struct cond_waiter **pp = &c->head, *prev = NULL;
    while (*pp && *pp != me) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = me->next;
        if (c->tail == me) c->tail = prev;
    }
    goc_mutex_unlock(c->mu);
}

int(goc_cond_wait)(goc_cond *c) {
    if (!cond_ok(c)) return -EINVAL;
    struct cond_waiter me = {NULL, NULL};
    GOC_RACE_CALL_BEGIN();
    me.wake = goc_chan_make(0, 1);
    if (!me.wake) {
        GOC_RACE_CALL_END();
        return -ENOMEM;
    }
    goc_mutex_lock(c->mu);
    if (c->tail) c->tail->next = &me;
    else c->head = &me;
    c->tail = &me;
    goc_mutex_unlock(c->mu);
    GOC_RACE_CALL_END();
    int r = goc_mutex_unlock(c->l); /* visible: Go's c.L.Unlock() */
    GOC_RACE_CALL_BEGIN();
    if (r) { /* l was not locked: undo, nothing changed */
        cond_unlink(c, &me);
        goc_chan_free(me.wake);
        GOC_RACE_CALL_END();
        return r;
    }
    (goc_chan_recv)(me.wake, NULL, GOC_NEVER); /* 0: woken by signal/broadcast */
    goc_chan_free(me.wake);
    GOC_RACE_CALL_END();
    return goc_mutex_lock(c->l); /* visible: Go's c.L.Lock() */
}

static int cond_wake(goc_cond *c, bool all) {
    if (!cond_ok(c)) return -EINVAL;
    GOC_RACE_CALL_BEGIN();
    struct cond_waiter *w = cond_take(c, all);
    while (w) {
        struct cond_waiter *next = w->next; /* read before the send: w dies after it */
        (goc_chan_send)(w->wake, NULL, GOC_NEVER); /* cap 1, sent once: never blocks */
        w = next;
    }
    GOC_RACE_CALL_END();
    return 0;
}

int goc_cond_signal(goc_cond *c) { return cond_wake(c, false); }
int goc_cond_broadcast(goc_cond *c) { return cond_wake(c, true); }

void goc_cond_free(goc_cond *c) {
    if (!c || !cond_ok(c)) return;
    if (c->head) {
        goc__misuse("goc_cond_free: cond %p has waiting tasks; it is leaked", (void *)c);
        return;
    }
    c->magic = GOC_MAGIC_DEAD;
    goc_mutex_free(c->mu);
    goc__free(c);
}
