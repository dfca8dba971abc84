/*
 * goc_chan_check.h: GOC_DEBUG invariant checks of a channel's wait queues,
 * shared by the backends (issue 12: "debug builds check each backend's
 * invariants at its lock / state boundaries"). Called with the channel's
 * lock held, just before it is released. Compiled only with GOC_DEBUG (the
 * debug preset); every check is fatal.
 *
 * What "claimable" means is the backend's (a waiter nobody has claimed yet:
 * pthread's op_wait state, coro's parker word, lockfree's `sel`); a queue may
 * also hold waiters already claimed elsewhere, which only their owners or a
 * later dequeue unlink, so the channel invariants speak of claimable ones.
 */
#ifndef GOC_CHAN_CHECK_H
#define GOC_CHAN_CHECK_H

#ifdef GOC_DEBUG
#include "goc_internal.h"
#include "goc_waitq.h"

/* Links consistent (prev/next mirror each other, every node says it is
 * linked in q); returns the number of nodes. */
static inline size_t goc__wq_check(const void *ch, const goc__wq *q, const char *name) {
    size_t n = 0;
    const goc__wnode *prev = NULL;
    for (const goc__wnode *x = goc__wq_head(q); x; prev = x, x = x->next, n++) {
        if (x->prev != prev || !x->linked || x->q != q)
            goc__fatal("chan %p: %s corrupt at node %p (prev %p/%p, linked %d)", ch, name, (const void *)x,
                       (const void *)x->prev, (const void *)prev, x->linked);
    }
    if (q->tail != prev) goc__fatal("chan %p: %s tail %p, last node %p", ch, name, (const void *)q->tail,
                                    (const void *)prev);
    return n;
}

/* Whether q holds a claimable node whose owner is not `not_owner`. */
static inline bool goc__wq_claimable(const goc__wq *q, bool (*claimable)(const goc__wnode *),
                                     const void *not_owner) {
    for (const goc__wnode *x = goc__wq_head(q); x; x = x->next)
        if (claimable(x) && (!not_owner || x->owner != not_owner)) return true;
    return false;
}

/* Go's hchan invariants (chan.go), over claimable waiters:
 *   - 0 <= count <= cap;
 *   - no claimable receiver and claimable sender of two different calls (they
 *     would have matched; one select's own send and receive clauses on one
 *     channel are the exception: it never matches itself);
 *   - buffered: count > 0 => no claimable receiver; count < cap => no
 *     claimable sender;
 *   - closed => no claimable waiter (close claimed them all). */
static inline void goc__chan_check(const void *ch, size_t count, size_t cap, bool closed, const goc__wq *recvq,
                                   const goc__wq *sendq, bool (*claimable)(const goc__wnode *)) {
    goc__wq_check(ch, recvq, "recvq");
    goc__wq_check(ch, sendq, "sendq");
    if (count > cap) goc__fatal("chan %p: count %zu > cap %zu", ch, count, cap);
    bool r = goc__wq_claimable(recvq, claimable, NULL), s = goc__wq_claimable(sendq, claimable, NULL);
    if (r && s)
        for (const goc__wnode *x = goc__wq_head(recvq); x; x = x->next)
            if (claimable(x) && goc__wq_claimable(sendq, claimable, x->owner))
                goc__fatal("chan %p: claimable waiters of two calls in both queues", ch);
    if (cap && count > 0 && r) goc__fatal("chan %p: buffered values with waiting receivers", ch);
    if (cap && count < cap && s) goc__fatal("chan %p: free slots with waiting senders", ch);
    if (closed && (r || s)) goc__fatal("chan %p: closed with claimable waiters", ch);
}
#endif /* GOC_DEBUG */

#endif /* GOC_CHAN_CHECK_H */
