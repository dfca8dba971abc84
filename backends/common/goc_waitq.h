/*
 * goc_waitq.h: the intrusive wait queue of blocked clauses (Go's waitq of
 * sudogs), shared by the channels of every backend (pthread's sudog, coro's
 * coro_waiter and lockfree's lf_entry embed a goc__wnode).
 *
 * Every field of a node and of a queue is guarded by the lock of the object
 * that owns the queue (a channel's lock), except `owner` and `dups`, which
 * the node's owner sets once before it links the node.
 *
 * Select clean-up without touching the fired channel (issue 12, defects 1
 * and 5). goc.h allows "receive the last value, then free" while the
 * partner is still inside its call, so once a clause of a select has fired,
 * its owner must not lock that clause's channel again: the partner may have
 * freed it. Go's selectgo can re-lock every channel after the wake because
 * the garbage collector keeps them alive; we cannot. So the claimer, which
 * holds the channel's lock when it claims a node, unlinks there and then
 * every other node of the same call on the same channel (a select may list
 * one channel in several clauses, `send c; recv c`): goc__wq_claimed().
 * After the wake the owner unlinks its remaining nodes from every channel
 * EXCEPT the fired clause's one, which holds none of them any more.
 * A select that lists no channel twice (dups == false, the common case)
 * pays one predictable branch.
 */
#ifndef GOC_WAITQ_H
#define GOC_WAITQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "goc_tsan.h"

typedef struct goc__wq goc__wq;

typedef struct goc__wnode {
    struct goc__wnode *next, *prev; /* guarded by the queue's lock */
    goc__wq *q;                     /* the queue it is linked in; guarded as next/prev */
    const void *owner;              /* set once: one blocking call (its wait object) */
    bool linked;                    /* guarded by the queue's lock */
    bool dups;                      /* set once: owner has several nodes on this object */
} goc__wnode;

struct goc__wq {
    /* head: written under the owning object's lock (relaxed stores), read
     * there or lock-free by a try-op's "anyone waiting?" check (Go's empty()
     * and full() on an unbuffered channel), which only needs a snapshot of
     * whether it is NULL (goc__wq_head; the memory-order argument is at the
     * try-op). tail: guarded by the lock. */
    _Atomic(goc__wnode *) head;
    goc__wnode *tail;
};

/* The precise TSan build must not see the head's atomics (TSan instruments
 * atomics even in uninstrumented functions; these are internals, ordered by
 * the hidden channel lock): hidden, as every internal primitive. */
static inline goc__wnode *goc__wq_load(const goc__wq *q, memory_order mo) {
    GOC_RACE_CALL_BEGIN();
    goc__wnode *n = atomic_load_explicit(&((goc__wq *)q)->head, mo);
    GOC_RACE_CALL_END();
    return n;
}
static inline void goc__wq_set_head(goc__wq *q, goc__wnode *n) {
    GOC_RACE_CALL_BEGIN();
    atomic_store_explicit(&q->head, n, memory_order_relaxed);
    GOC_RACE_CALL_END();
}
/* The first node (relaxed: under the lock the lock orders it; lock-free it
 * is only compared with NULL, see the callers). */
static inline goc__wnode *goc__wq_head(const goc__wq *q) { return goc__wq_load(q, memory_order_relaxed); }

#define GOC__CONTAINER_OF(p, T, m) ((T *)(void *)((char *)(p) - offsetof(T, m)))

static inline void goc__wq_push(goc__wq *q, goc__wnode *n) {
    n->next = NULL;
    n->prev = q->tail;
    if (q->tail) q->tail->next = n;
    else goc__wq_set_head(q, n);
    q->tail = n;
    n->q = q;
    n->linked = true;
}

/* Unlinks n, linked in q (the caller knows which: a dequeue from q's head). */
static inline void goc__wq_unlink_from(goc__wq *q, goc__wnode *n) {
    if (n->prev) n->prev->next = n->next;
    else goc__wq_set_head(q, n->next);
    if (n->next) n->next->prev = n->prev;
    else q->tail = n->prev;
    n->next = n->prev = NULL;
    n->linked = false;
}

/* Unlinks n from its queue; a no-op when nobody linked it or someone
 * already unlinked it (a claimer, or a dequeue that dropped it). */
static inline void goc__wq_unlink(goc__wnode *n) {
    if (n->linked) goc__wq_unlink_from(n->q, n);
}

/* The claimer of n, holding the lock of the object whose queues are a and b
 * (b may be NULL), after n is unlinked: unlinks every other node of the same
 * call from those queues, so that its owner never needs this object's lock
 * again (see the top of this file). The loop is out of line: the check is on
 * every claim, the loop only for selects that list a channel twice. */
__attribute__((noinline, cold, unused)) static void goc__wq_claimed_dups(goc__wnode *n, goc__wq *a,
                                                                        goc__wq *b) {
    goc__wq *qs[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (!qs[i]) continue;
        for (goc__wnode *x = goc__wq_head(qs[i]), *nx; x; x = nx) {
            nx = x->next;
            if (x->owner == n->owner) goc__wq_unlink(x);
        }
    }
}
static inline void goc__wq_claimed(goc__wnode *n, goc__wq *a, goc__wq *b) {
    if (__builtin_expect(n->dups, 0)) goc__wq_claimed_dups(n, a, b);
}

/* For a select: whether any channel appears in more than one of the n
 * enabled clauses, given the distinct channels of its lock order (nlocks):
 * then every node of the call is marked `dups`. */
static inline bool goc__select_has_dups(size_t nlocks, size_t enabled) { return nlocks < enabled; }

/* Go's fast path of a non-blocking operation (chan.go: chansend and
 * chanrecv with block == false, empty() and full()): whether a try-op
 * (GOC_NOW, or a one-clause select with a default) on a channel with these
 * fields would block, decided without its lock. `closed` and `count` are
 * written under the channel's lock; the queue heads too (goc__wq_head).
 *   receive: "empty" (buffered: count == 0; unbuffered: no waiting sender),
 *            THEN "not closed". A channel is never reopened, so "not closed"
 *            at the second load means not closed at the first either: at
 *            that instant it was empty and open, and "would block" is a
 *            linearizable answer. Reversed, a close between the loads
 *            could make us report an empty open channel that was in fact
 *            closed with values still buffered, or drained.
 *   send:    "not closed", THEN "full" (buffered: count == cap; unbuffered:
 *            no waiting receiver). A closed channel never becomes ready
 *            for sending, so some instant between the two loads saw it
 *            open and not ready.
 * The first load of each pair is acquire, so the second cannot be satisfied
 * before it (the order the argument needs). Neither synchronizes with
 * anything else: "would block" publishes nothing (Go's race detector
 * annotates no edge for a failed try), and every other answer, "closed"
 * included, is left to the locked path, which annotates it. A queue head
 * that is not NULL may be a waiter claimed elsewhere: the locked path sorts
 * that out (conservative). Returns true: answer -EAGAIN. */
static inline bool goc__try_would_block(int is_send, const _Atomic bool *closed, const _Atomic size_t *count,
                                        size_t cap, const goc__wq *recvq, const goc__wq *sendq) {
    if (is_send) {
        if (atomic_load_explicit(closed, memory_order_acquire)) return false;
        return cap ? atomic_load_explicit(count, memory_order_relaxed) == cap : goc__wq_head(recvq) == NULL;
    }
    bool empty = cap ? atomic_load_explicit(count, memory_order_acquire) == 0
                     : goc__wq_load(sendq, memory_order_acquire) == NULL;
    return empty && !atomic_load_explicit(closed, memory_order_relaxed);
}

#endif /* GOC_WAITQ_H */
