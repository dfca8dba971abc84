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

#include <stdbool.h>
#include <stddef.h>

typedef struct goc__wq goc__wq;

typedef struct goc__wnode {
    struct goc__wnode *next, *prev; /* guarded by the queue's lock */
    goc__wq *q;                     /* the queue it is linked in; guarded as next/prev */
    const void *owner;              /* set once: one blocking call (its wait object) */
    bool linked;                    /* guarded by the queue's lock */
    bool dups;                      /* set once: owner has several nodes on this object */
} goc__wnode;

struct goc__wq {
    goc__wnode *head, *tail; /* guarded by the owning object's lock */
};

#define GOC__CONTAINER_OF(p, T, m) ((T *)(void *)((char *)(p) - offsetof(T, m)))

static inline void goc__wq_push(goc__wq *q, goc__wnode *n) {
    n->next = NULL;
    n->prev = q->tail;
    if (q->tail) q->tail->next = n;
    else q->head = n;
    q->tail = n;
    n->q = q;
    n->linked = true;
}

/* Unlinks n from its queue; a no-op when nobody linked it or someone
 * already unlinked it (a claimer, or a dequeue that dropped it). */
static inline void goc__wq_unlink(goc__wnode *n) {
    if (!n->linked) return;
    goc__wq *q = n->q;
    if (n->prev) n->prev->next = n->next;
    else q->head = n->next;
    if (n->next) n->next->prev = n->prev;
    else q->tail = n->prev;
    n->next = n->prev = NULL;
    n->linked = false;
}

/* The claimer of n, holding the lock of the object whose queues are a and b
 * (b may be NULL), after n is unlinked: unlinks every other node of the same
 * call from those queues, so that its owner never needs this object's lock
 * again (see the top of this file). */
static inline void goc__wq_claimed(goc__wnode *n, goc__wq *a, goc__wq *b) {
    if (__builtin_expect(!n->dups, 1)) return;
    goc__wq *qs[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (!qs[i]) continue;
        for (goc__wnode *x = qs[i]->head, *nx; x; x = nx) {
            nx = x->next;
            if (x->owner == n->owner) goc__wq_unlink(x);
        }
    }
}

/* For a select: whether any channel appears in more than one of the n
 * enabled clauses, given the distinct channels of its lock order (nlocks):
 * then every node of the call is marked `dups`. */
static inline bool goc__select_has_dups(size_t nlocks, size_t enabled) { return nlocks < enabled; }

#endif /* GOC_WAITQ_H */
