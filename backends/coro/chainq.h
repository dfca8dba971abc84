/*
 * chainq.h: a queue of task chains for the two lists that a lock guards and
 * several workers feed in batches: the global run queue (runq.c, S.glock)
 * and the pool of free stack slots (stack.c, pool_lock).
 *
 * Why chains: both lists used to be one list of tasks linked through
 * ->next, and whoever took a batch walked it under the lock. The tasks of a
 * batch were last written by another worker (a spawn burst that overflowed
 * one worker's run queue, slots freed where their tasks exited), so every
 * step of that walk was a cache miss on a line held by the other core, all
 * of them inside the critical section: CounterMutex at GOC_PROCS=2 spent 8%
 * of its samples on the load of x->next in coro_global_get and 7% in
 * coro_stack_alloc's refill loop, and the other worker, finding the lock
 * held that long, slept on its futex (12% of the samples in the futex wait
 * and wake of goc__lock_slow). Now a batch stays a chain: its tasks linked
 * through ->next, NULL-terminated, and its first task carries the chain's
 * length (chain_n) and the next chain's first task (chain_skip). Putting a
 * chain and taking whole chains touch only chain heads; the taker walks the
 * tasks after it released the lock (chainq_walk).
 *
 * Not thread-safe: the caller holds the lock that guards the queue, and the
 * chain fields of a task are owned, like ->next, by whoever holds the task.
 */
#ifndef GOC_CORO_CHAINQ_H
#define GOC_CORO_CHAINQ_H

#include "coro.h"

typedef struct coro_chainq {
    coro_task *head, *tail; /* first tasks of the first and last chains; NULL when empty */
} coro_chainq;

/* Puts the chain first..last (n >= 1 tasks linked through ->next) at the
 * back (FIFO: the run queue) or the front (LIFO: the slot pool, whose most
 * recently freed slots are the warmest). */
static inline void chainq_put(coro_chainq *q, coro_task *first, coro_task *last, uint32_t n, bool front) {
    last->next = NULL;
    first->chain_n = n;
    if (!q->head) {
        first->chain_skip = NULL;
        q->head = q->tail = first;
    } else if (front) {
        first->chain_skip = q->head;
        q->head = first;
    } else {
        first->chain_skip = NULL;
        q->tail->chain_skip = first;
        q->tail = first;
    }
}

/* Takes the first task alone (q not empty): the rest of its chain, if any,
 * becomes a chain of its own (one write to the second task). */
static inline coro_task *chainq_take1(coro_chainq *q) {
    coro_task *t = q->head, *rest = t->next;
    if (rest) {
        rest->chain_n = t->chain_n - 1;
        rest->chain_skip = t->chain_skip;
        if (q->tail == t) q->tail = rest;
        q->head = rest;
    } else {
        q->head = t->chain_skip;
        if (!q->head) q->tail = NULL;
    }
    t->next = NULL;
    return t;
}

/* Takes whole chains from the front while fewer than `want` tasks are taken
 * and the next chain still fits in `max` (q not empty, want and max >= 1);
 * the first chain alone if it is over max: one task (chainq_take1). Returns
 * the first taken chain's first task; *n is the number of tasks taken. Only
 * chain heads are read. */
static inline coro_task *chainq_take(coro_chainq *q, uint32_t want, uint32_t max, uint32_t *n) {
    coro_task *first = q->head;
    if (first->chain_n > max) {
        *n = 1;
        return chainq_take1(q);
    }
    uint32_t got = 0;
    coro_task *c = first;
    while (c && got < want && got + c->chain_n <= max) {
        got += c->chain_n;
        c = c->chain_skip;
    }
    q->head = c;
    if (!c) q->tail = NULL;
    *n = got;
    return first;
}

/* The walk over what chainq_take returned (n tasks from first): each
 * chainq_next returns the next task, having read what follows it first. A
 * task published to anyone (queued where a thief can run it, handed out
 * for reuse) no longer belongs to the walker, nor do its ->next and chain
 * fields; so the walk reads them before it returns the task, and stops
 * after n without reading past the last one (the chains behind it are
 * still the queue's). */
typedef struct coro_chain_walk {
    coro_task *t;          /* the next task to return */
    coro_task *next_chain; /* the first task of the chain after t's */
    uint32_t left;         /* tasks still to return */
} coro_chain_walk;

static inline coro_chain_walk chainq_walk(coro_task *first, uint32_t n) {
    return (coro_chain_walk){first, n ? first->chain_skip : NULL, n};
}

static inline coro_task *chainq_next(coro_chain_walk *k) {
    if (!k->left) return NULL;
    coro_task *t = k->t;
    if (--k->left) {
        if (t->next) {
            k->t = t->next;
        } else {
            k->t = k->next_chain;
            k->next_chain = k->t->chain_skip;
        }
    }
    return t;
}

#endif
