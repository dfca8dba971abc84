/*
 * goc_hchan.h: Go's hchan (runtime/chan.go and select.go), written once for
 * the locking backends (pthread, coro) over each one's lock, park and wake
 * primitives (issue 12, "one channel core"). A backend's chan.c defines the
 * lock type and its blocking-call record, includes this file (it defines the
 * goc_chan_* and goc_select functions), then defines the hooks below as
 * static inline functions: every hook is inlined, so the core costs what a
 * hand-written copy would (the icount gate checks it).
 *
 * Objects
 *   goc_chan        one lock, a ring buffer of cap slots after the struct,
 *                   a queue of blocked receivers (recvq) and of blocked
 *                   senders (sendq).
 *   goc__hc_call    (the backend's) one blocking call, on its owner's
 *                   stack: claimed exactly once, by the partner that
 *                   completes it, by close, or by its own deadline.
 *   goc__hc_waiter  one clause of a blocking call, linked into one
 *                   channel's queue (Go's sudog); a plain send or receive is
 *                   a one-clause call, a select has one per enabled clause.
 *
 * Invariants (ch->lock held), as in Go's chan.go, over CLAIMABLE waiters (a
 * queue may also hold waiters already claimed elsewhere: a select that fired
 * on another channel, or a waiter whose deadline won; whoever meets them
 * drops them, their owner's cleanup unlinks the rest):
 *   - at most one of recvq, sendq holds claimable waiters (one select's own
 *     send and receive clauses on one channel are the exception);
 *   - buffered: count > 0 => no claimable receiver;
 *               count < cap => no claimable sender;
 *   - closed => no claimable waiter (close claimed them all);
 *   - 0 <= count <= cap; recvx, sendx < max(cap, 1);
 *     sendx == (recvx + count) % cap.
 * Debug builds check them at every unlock (goc_chan_check.h).
 *
 * The wake protocol: a partner holding ch->lock claims a waiter
 * (goc__hc_claim: exactly one claim of a call succeeds), completes the
 * operation for it (copies the value straight between the two callers'
 * memory, or through the buffer; sets err), and wakes it only after
 * unlocking (Go's closechan readies after unlock: no wake under a lock).
 * The owner reads its result only after its park returns, which the
 * backend's wake orders after the claimer's writes. Once a clause fired, its
 * owner never touches that clause's channel again: goc.h allows "receive
 * the last value, then free" while the partner is still inside its call
 * (goc_waitq.h has the select side of it).
 *
 * Lock order: several channels are locked only by select, in address order
 * (goc_select_plan.h); the backend's parker locks are leaves taken with no
 * channel lock held.
 *
 * TSan precise build (GOC_TSAN_PRECISE, TESTING.md (b)): every public call
 * runs hidden (GOC_RACE_CALL_BEGIN/END, goc_tsan.h), and only Go's edges are
 * annotated (Go's race hooks in chan.go):
 *   buffered:   the op that owns slot i acquires and releases SLOT(i): send
 *               k -> recv k, recv k -> send k+cap. A handoff to a blocked
 *               receiver "goes through" slot recvx (advancing recvx/sendx,
 *               as Go's send() does); the woken receiver then reports its
 *               buffer write and releases the slot itself, so the sender
 *               never learns the receiver's clock (RaceChanAsyncRev);
 *   unbuffered: a waiter releases W(call) when it becomes visible; the
 *               claimer acquires W, copies, releases C(call); the woken
 *               owner acquires C (both directions, Go's racesync);
 *   close:      release CLOSE before `closed` is visible; a receive that
 *               returns -EPIPE acquires it (a woken one acquires its own C,
 *               released by close: it must not read the channel);
 *   payloads:   the copies run hidden; each side reports its own buffer,
 *               in its own thread or fiber: a send reads its value when
 *               it starts, before any edge (GOC_RACE_SEND_VALUE: Go
 *               evaluates it first; a select reads every send clause's
 *               value on entry), blocked or not, whatever the outcome; a
 *               receive writes its buffer after the edge that completes
 *               it (the slot's, W, C, or the close's).
 *   EPIPE sends, failed try-ops, len/cap and unchosen clauses make no
 *   edge. One edge more than Go: the receiver that moves a blocked
 *   buffered sender's value into the freed slot acquires the sender's W.
 */
#ifndef GOC_HCHAN_H
#define GOC_HCHAN_H

#include <string.h>

#include "goc_internal.h"
#include "goc_tsan.h"
#include "goc_waitq.h"
#include "goc_chan_check.h"

/* ------------------------------------------------ what the backend gives --
 * Before including: `typedef ... goc__hc_lock;` (the channel lock) and the
 * complete `struct goc__hc_call` (one blocking call; it lives on the stack).
 * After including: the hooks declared below, static inline. */
struct goc__hc_call;

typedef struct goc__hc_waiter {
    goc__wnode node;            /* links: guarded by the channel's lock;
                                 * owner (the call) and dups: set once */
    struct goc__hc_call *call;  /* set once: the blocking call */
    void *elem;                 /* set once: send: source; recv: destination or NULL */
    int case_idx;               /* set once: the clause (0 for a plain op) */
    int err;                    /* written by the claimer before the wake: 0 or -EPIPE */
    uint32_t esz;               /* set once: the channel's elem_size, for after the
                                 * wake (the channel may be freed by then) */
    struct goc__hc_waiter *wnext; /* owned by the claimer: close's wake list */
#ifdef GOC_TSAN_PRECISE_ON
    void *tsan_slot;            /* buffered handoff to this receiver: the slot's sync
                                 * address, released by the owner when woken; NULL: none */
#endif
} goc__hc_waiter;
#define GOC__HC_WAITER(n) GOC__CONTAINER_OF((n), goc__hc_waiter, node)

/* The lock hooks: a plain mutual exclusion lock (no TSan edges of its own
 * in the precise build: it runs hidden like the rest of the call). */
static inline void goc__hc_lock_init(goc__hc_lock *l);
static inline void goc__hc_lock_destroy(goc__hc_lock *l);
static inline void goc__hc_lock_acquire(goc__hc_lock *l);
static inline void goc__hc_lock_release(goc__hc_lock *l);
/* Starts a new blocking call of the calling task on `call` (its stack). */
static inline void goc__hc_call_begin(struct goc__hc_call *call);
/* With the waiter's channel locked: claims w's call for clause w->case_idx;
 * true for exactly one claimer of a call (partners, close, the deadline).
 * Its success orders the claimer's later writes into the waiter before the
 * owner's reads after its park returns. */
static inline bool goc__hc_claim(goc__hc_waiter *w);
/* Debug checks only (racy read): w's call is not claimed yet. */
__attribute__((unused)) static inline bool goc__hc_claimable(const goc__hc_waiter *w);
/* Makes the owner of a claimed call runnable; reads nothing of the call
 * afterwards (its owner may return at once). */
static inline void goc__hc_wake(struct goc__hc_call *call);
/* Parks the caller until its call is claimed. after(arg), when not NULL,
 * runs exactly once when the caller can no longer miss a wake: it releases
 * the channel locks that published the waiters. With a GOC_DL_AT deadline
 * the deadline claims the call itself when it wins. Returns the fired
 * clause (>= 0) or -ETIMEDOUT. */
static inline int goc__hc_park(struct goc__hc_call *call, void (*after)(void *), void *arg,
                               goc_time deadline);
/* goc__wait_begin for the task registry (what the task waits on). */
static inline void goc__hc_wait_begin(const char *op, const void *obj, goc_time deadline);
/* Every public call that can wake or block a task, and every try-op (coro
 * registers foreign threads for its deadlock detector: README "Deadlock
 * detector"); a try-op's lock-free answer may come first. */
static inline void goc__hc_enter(void);
/* A try-op's -EAGAIN from the lock-free answer, after what goc__hc_enter
 * does; written so that the registration, when one is due, is a tail call
 * (the public functions' fast path then needs no frame). */
static inline int goc__hc_try_failed(void);
/* Spinning before parking (a plain send or receive on a buffered channel
 * only; select and unbuffered channels park at once). With c->lock held:
 *   goc__hc_note_done(c)  a plain op completed on c: record who ran it
 *                         (c->last_who);
 *   goc__hc_spin_ok(c,op) op would block: nonzero (a token for spin_wait)
 *                         when it should first spin a little, unlocked (the
 *                         backend's policy; it may update its hints in c);
 *   goc__hc_spin_done(c,ok) after such a spin, when the op locks c again:
 *                         whether c became ready during it.
 * Unlocked: goc__hc_spin_wait(c,op,token) spins and returns true when c
 * looks ready for op (a lock-free snapshot; the op then tries again under
 * the lock). A backend that never spins returns 0 from spin_ok. */
static inline void goc__hc_note_done(goc_chan *c);
static inline uint32_t goc__hc_spin_ok(goc_chan *c, int op);
static inline bool goc__hc_spin_wait(const goc_chan *c, int op, uint32_t token);
static inline void goc__hc_spin_done(goc_chan *c, bool ok);
#ifdef GOC_TSAN_PRECISE_ON
/* Precise build: the call's W and C sync addresses (see the top). */
static inline void *goc__hc_sync_w(struct goc__hc_call *call);
static inline void *goc__hc_sync_c(struct goc__hc_call *call);
#endif

struct goc_chan {
    uint32_t magic;             /* GOC_MAGIC_CHAN while live, GOC_MAGIC_DEAD after free */
    uint32_t elem_size;         /* set once */
    size_t cap;                 /* set once */
    goc__hc_lock lock;          /* guards everything below unless noted */
    /* Spin hints (goc__hc_note_done and the spin hooks), in what was
     * padding: the struct keeps its size. last_who: the thread of the last
     * plain op that completed (the backend's index + 1; 0: none or not a
     * backend thread), written under lock (relaxed), read under it by
     * spin_ok and lock-free by a spinning op. spin_skip/spin_level: the
     * backend's backoff, under lock. */
    _Atomic uint32_t last_who;
    _Atomic size_t count;       /* written under lock (relaxed); read lock-free by
                                 * goc_chan_len and try-ops */
    size_t recvx, sendx;        /* ring indices */
    _Atomic bool closed;        /* written under lock (relaxed); read lock-free by try-ops */
    uint8_t spin_skip, spin_level; /* see last_who */
    goc__wq recvq, sendq;       /* head: see goc_waitq.h */
    goc__timer *timer;          /* goc_after's timer: set once right after make */
    void (*dtor)(void *);       /* set once before sharing */
    unsigned char *buf;         /* set once: cap * elem_size bytes after the struct */
#ifdef GOC_TSAN_PRECISE_ON
    unsigned char *tsan_slots;  /* set once: cap sync bytes after buf */
    char tsan_close;            /* sync address of close */
#endif
};

/* the goc_select_plan.h hooks */
static inline bool goc__chan_valid(const goc_chan *ch) { return ch && ch->magic == GOC_MAGIC_CHAN; }
static inline size_t goc__chan_esize(const goc_chan *ch) { return ch->elem_size; }
#include "goc_select_plan.h"

/* sync addresses of the precise build (only ever inside GOC_RACE_*, whose
 * arguments other builds drop) */
#define GOC__HC_SLOT_SYNC(c, i) ((c)->tsan_slots + (i))
#define GOC__HC_CLOSE_SYNC(c) (&(c)->tsan_close)

/* ------------------------------------------------------------ helpers -- */

static inline void *goc__hc_slot(goc_chan *c, size_t i) { return c->buf + i * c->elem_size; }
/* The common element sizes are copied inline (a constant-size memcpy is a
 * load and a store): through libc's memmove, its call and size dispatch
 * were 12 % of the instructions of a buffered send + receive of 8 bytes
 * (the icount gate) and 9 % of WorkerPool's samples (4-byte ints). */
static inline void goc__hc_copy(void *dst, const void *src, size_t n) {
    if (!dst) return;
    switch (n) {
    case 0: return;
    case 4: memcpy(dst, src, 4); return;
    case 8: memcpy(dst, src, 8); return;
    case 16: memcpy(dst, src, 16); return;
    default: memcpy(dst, src, n); return;
    }
}
static inline size_t goc__hc_count(const goc_chan *c) {
    return atomic_load_explicit(&c->count, memory_order_relaxed); /* under lock, or a snapshot */
}
static inline bool goc__hc_closed(const goc_chan *c) {
    return atomic_load_explicit(&c->closed, memory_order_relaxed); /* under lock */
}

#ifdef GOC_DEBUG
static bool goc__hc_node_claimable(const goc__wnode *n) { return goc__hc_claimable(GOC__HC_WAITER(n)); }
#endif
/* Releases c->lock; debug builds first check the invariants at the top. */
static inline void goc__hc_unlock(goc_chan *c) {
#ifdef GOC_DEBUG
    goc__chan_check(c, goc__hc_count(c), c->cap, goc__hc_closed(c), &c->recvq, &c->sendq,
                    goc__hc_node_claimable);
#endif
    goc__hc_lock_release(&c->lock);
}
/* after() for a plain operation's park: releases its channel. */
static void goc__hc_after_unlock(void *c) { goc__hc_unlock(c); }

/* Removes and returns the first waiter of q this caller claims; waiters
 * claimed elsewhere are dropped on the way (their owners' cleanup tolerates
 * that). The winner's other clauses on c leave c's queues too (goc_waitq.h):
 * its owner will not lock c again. Always inlined into the send and receive
 * paths (out of line it cost the icount gate ~18 instructions an op). */
__attribute__((always_inline)) static inline goc__hc_waiter *goc__hc_dequeue(goc_chan *c, goc__wq *q) {
    goc__wnode *n;
    while ((n = goc__wq_head(q))) {
        goc__hc_waiter *w = GOC__HC_WAITER(n);
        goc__wq_unlink_from(q, n); /* the head of q: linked there */
        if (goc__hc_claim(w)) {
            goc__wq_claimed(n, &c->recvq, &c->sendq);
            return w;
        }
        /* claimed elsewhere (its deadline, another clause of its select): drop it */
    }
    return NULL;
}

/* --------------------------------------------------- locked transfers -- */

/* Moves slot recvx into elem (c->lock held, count > 0); the precise build's
 * receive k of that slot: acquire it, report our write, release it for the
 * send k+cap. */
static inline void goc__hc_slot_out(goc_chan *c, void *elem) {
    GOC_RACE_ACQUIRE(GOC__HC_SLOT_SYNC(c, c->recvx));
    GOC_RACE_WRITE(elem, c->elem_size);
    goc__hc_copy(elem, goc__hc_slot(c, c->recvx), c->elem_size);
    GOC_RACE_RELEASE(GOC__HC_SLOT_SYNC(c, c->recvx));
}

/* Send attempt under c->lock: 1 sent (*wk: a receiver to wake after
 * unlocking, or NULL), 0 would block, -EPIPE closed (nothing sent). */
__attribute__((always_inline)) static inline int goc__hc_send_locked(goc_chan *c, const void *elem,
                                                                     goc__hc_waiter **wk) {
    if (goc__hc_closed(c)) return -EPIPE;
    goc__hc_waiter *w = goc__hc_dequeue(c, &c->recvq);
    if (w) { /* a receiver is waiting: straight into its memory */
#ifdef GOC_TSAN_PRECISE_ON
        if (c->cap) /* count == 0: "through" slot recvx */
            GOC_RACE_ACQUIRE(GOC__HC_SLOT_SYNC(c, c->recvx));
        else
            GOC_RACE_ACQUIRE(goc__hc_sync_w(w->call));
#endif
        goc__hc_copy(w->elem, elem, c->elem_size);
#ifdef GOC_TSAN_PRECISE_ON
        if (c->cap) { /* the receiver releases the slot itself when woken */
            GOC_RACE_RELEASE(GOC__HC_SLOT_SYNC(c, c->recvx));
            w->tsan_slot = GOC__HC_SLOT_SYNC(c, c->recvx);
            if (++c->recvx == c->cap) c->recvx = 0;
            c->sendx = c->recvx;
        }
        GOC_RACE_RELEASE(goc__hc_sync_c(w->call));
#endif
        w->err = 0;
        *wk = w;
        return 1;
    }
    size_t n = goc__hc_count(c);
    if (n < c->cap) {
        GOC_RACE_ACQUIRE(GOC__HC_SLOT_SYNC(c, c->sendx));
        goc__hc_copy(goc__hc_slot(c, c->sendx), elem, c->elem_size);
#ifdef GOC_TSAN_PRECISE_ON
        GOC_RACE_RELEASE(GOC__HC_SLOT_SYNC(c, c->sendx));
#endif
        if (++c->sendx == c->cap) c->sendx = 0;
        atomic_store_explicit(&c->count, n + 1, memory_order_relaxed); /* under lock */
        return 1;
    }
    return 0;
}

/* Receive attempt under c->lock: 1 received (*wk: a sender to wake), 0 would
 * block, -EPIPE closed and drained (elem zeroed). */
__attribute__((always_inline)) static inline int goc__hc_recv_locked(goc_chan *c, void *elem,
                                                                     goc__hc_waiter **wk) {
    /* a waiting sender means an unbuffered channel or a full buffer */
    goc__hc_waiter *w = goc__hc_dequeue(c, &c->sendq);
    if (w) {
        if (c->cap == 0) {
#ifdef GOC_TSAN_PRECISE_ON
            GOC_RACE_ACQUIRE(goc__hc_sync_w(w->call));
            GOC_RACE_WRITE(elem, c->elem_size);
#endif
            goc__hc_copy(elem, w->elem, c->elem_size);
        } else { /* full: take the head, the sender's value goes to the tail */
            goc__hc_slot_out(c, elem);
#ifdef GOC_TSAN_PRECISE_ON
            GOC_RACE_ACQUIRE(goc__hc_sync_w(w->call)); /* the sender's send k+cap */
#endif
            goc__hc_copy(goc__hc_slot(c, c->recvx), w->elem, c->elem_size);
#ifdef GOC_TSAN_PRECISE_ON
            GOC_RACE_RELEASE(GOC__HC_SLOT_SYNC(c, c->recvx));
#endif
            if (++c->recvx == c->cap) c->recvx = 0;
            c->sendx = c->recvx;
        }
#ifdef GOC_TSAN_PRECISE_ON
        GOC_RACE_RELEASE(goc__hc_sync_c(w->call));
#endif
        w->err = 0;
        *wk = w;
        return 1;
    }
    size_t n = goc__hc_count(c);
    if (n > 0) {
        goc__hc_slot_out(c, elem);
        if (++c->recvx == c->cap) c->recvx = 0;
        atomic_store_explicit(&c->count, n - 1, memory_order_relaxed); /* under lock */
        return 1;
    }
    if (goc__hc_closed(c)) { /* the close first, then our write (Go's chanrecv) */
        GOC_RACE_ACQUIRE(GOC__HC_CLOSE_SYNC(c));
        GOC_RACE_WRITE(elem, c->elem_size);
        if (elem && c->elem_size) memset(elem, 0, c->elem_size);
        return -EPIPE;
    }
    return 0;
}

/* A woken owner, once a partner or close completed clause w: a receive
 * completed by close zeroes its own buffer; the precise build annotates
 * err 0 -> the claimer's transfer, -EPIPE on a receive -> the close, and a
 * receive's write after that edge (a send's read of its value was recorded
 * when the send started: GOC_RACE_SEND_VALUE). Never
 * reads the channel: goc.h allows "receive the last value (or close), then
 * free" while we are still on our way out, so close releases our own C
 * address and a buffered handoff left its slot's address in w. */
static inline void goc__hc_woken(goc__hc_waiter *w, int op) {
    if (op == GOC_RECV && w->err == -EPIPE && w->elem && w->esz) memset(w->elem, 0, w->esz);
#ifdef GOC_TSAN_PRECISE_ON
    if (w->err == 0) {
        GOC_RACE_ACQUIRE(goc__hc_sync_c(w->call));
        if (op == GOC_RECV) GOC_RACE_WRITE(w->elem, w->esz);
        if (w->tsan_slot) GOC_RACE_RELEASE(w->tsan_slot);
    } else if (op == GOC_RECV) {
        GOC_RACE_ACQUIRE(goc__hc_sync_c(w->call)); /* released by close */
        GOC_RACE_WRITE(w->elem, w->esz);
    }
#endif
}

static inline void goc__hc_waiter_init(goc__hc_waiter *w, struct goc__hc_call *call, int case_idx, void *elem,
                                       const goc_chan *c, bool dups) {
    w->node.owner = call;
    w->node.dups = dups;
    w->call = call;
    w->elem = elem;
    w->case_idx = case_idx;
    w->err = 0;
    w->esz = c->elem_size; /* read before we become visible (goc__hc_woken) */
#ifdef GOC_TSAN_PRECISE_ON
    w->tsan_slot = NULL;
#endif
}

/* -------------------------------------------------------- plain ops -- */

static int goc__hc_send_spun(goc_chan *c, const void *elem, goc_time deadline, uint32_t token);
static int goc__hc_recv_spun(goc_chan *c, void *elem, goc_time deadline, uint32_t token);

/* goc__hc_plain's `spin`: the first attempt may spin (SPIN_MAY); a second
 * one, after the spin, records how it went (SPUN_READY: c looked ready
 * during it; SPUN_NOT) and parks if it must. */
enum { GOC__HC_SPIN_MAY, GOC__HC_SPUN_READY, GOC__HC_SPUN_NOT };

/* A plain send or receive: one attempt under the lock, else (a buffered
 * channel, the backend's spin policy willing) a spin and one more attempt,
 * else park as a one-clause waiter until a partner, close or the deadline
 * completes it. always_inline: each caller passes a constant op, so send
 * and receive are specialised as two hand-written functions would be
 * (merged out of line, it cost the icount gate +18% an operation); the
 * spin and its second attempt are out of line (goc__hc_*_spun), so the
 * first attempt's code is what it was without them. */
__attribute__((always_inline)) static inline int goc__hc_plain(goc_chan *c, int op, void *elem,
                                                               goc_time deadline, int spin) {
    bool send = op == GOC_SEND;
    if (spin == GOC__HC_SPIN_MAY) goc__hc_enter();
    goc__hc_lock_acquire(&c->lock);
    if (spin != GOC__HC_SPIN_MAY) goc__hc_spin_done(c, spin == GOC__HC_SPUN_READY);
    goc__hc_waiter *wk = NULL;
    int r = send ? goc__hc_send_locked(c, elem, &wk) : goc__hc_recv_locked(c, elem, &wk);
    if (r != 0) {
        if (r > 0) goc__hc_note_done(c);
        goc__hc_unlock(c);
        if (wk) goc__hc_wake(wk->call);
        return r < 0 ? r : 0;
    }
    int kind = goc__deadline_kind(deadline);
    if (kind == GOC_DL_NOW || (kind == GOC_DL_AT && deadline <= goc_now())) {
        goc__hc_unlock(c);
        return kind == GOC_DL_NOW ? -EAGAIN : -ETIMEDOUT;
    }
    uint32_t token;
    if (spin == GOC__HC_SPIN_MAY && c->cap && (token = goc__hc_spin_ok(c, op))) {
        goc__hc_unlock(c);
        return send ? goc__hc_send_spun(c, elem, deadline, token) : goc__hc_recv_spun(c, elem, deadline, token);
    }
    struct goc__hc_call call;
    goc__hc_call_begin(&call);
    goc__hc_waiter w;
    goc__hc_waiter_init(&w, &call, 0, elem, c, false);
#ifdef GOC_TSAN_PRECISE_ON
    GOC_RACE_RELEASE(goc__hc_sync_w(&call)); /* visible as a waiter from here on */
#endif
    goc__wq_push(send ? &c->sendq : &c->recvq, &w.node);
    goc__hc_wait_begin(send ? "chan send" : "chan recv", c, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    int fired = goc__hc_park(&call, goc__hc_after_unlock, c, deadline);
    goc__wait_end();
    if (fired == -ETIMEDOUT) {
        goc__hc_lock_acquire(&c->lock);
        goc__wq_unlink(&w.node);
        goc__hc_unlock(c);
        return -ETIMEDOUT;
    }
    /* completed by a partner or close, which unlinked w: c may be freed */
    goc__hc_woken(&w, op);
    return w.err;
}

/* Go's lock-free answer of a try-op on a channel that is not ready (the
 * memory-order argument is at goc__try_would_block, goc_waitq.h): true:
 * the try-op returns goc__hc_try_failed(). */
static inline bool goc__hc_would_block(const goc_chan *c, int op) {
    return goc__try_would_block(op == GOC_SEND, &c->closed, &c->count, c->cap, &c->recvq, &c->sendq);
}

/* A plain send / receive after its lock-free try-op answer, out of line:
 * the public functions (goc__hc_public) answer a try-op with nothing but
 * tail calls, so that answer needs no frame. With the blocking path inlined
 * its saved registers and locals cost ChanNonblocking a full prologue and
 * epilogue (coro 3.0-3.2 ns CPU, with coro_note_foreign called out of line
 * before the check; 2.0-2.2 after). */
static __attribute__((noinline)) int goc__hc_send_call(goc_chan *c, const void *elem, goc_time deadline) {
    return goc__hc_plain(c, GOC_SEND, (void *)elem, deadline, GOC__HC_SPIN_MAY);
}
static __attribute__((noinline)) int goc__hc_recv_call(goc_chan *c, void *elem, goc_time deadline) {
    return goc__hc_plain(c, GOC_RECV, elem, deadline, GOC__HC_SPIN_MAY);
}
/* The spin the backend asked for (c unlocked), then the second attempt. */
static __attribute__((noinline, cold)) int goc__hc_send_spun(goc_chan *c, const void *elem, goc_time deadline,
                                                            uint32_t token) {
    int how = goc__hc_spin_wait(c, GOC_SEND, token) ? GOC__HC_SPUN_READY : GOC__HC_SPUN_NOT;
    return goc__hc_plain(c, GOC_SEND, (void *)elem, deadline, how);
}
static __attribute__((noinline, cold)) int goc__hc_recv_spun(goc_chan *c, void *elem, goc_time deadline,
                                                            uint32_t token) {
    int how = goc__hc_spin_wait(c, GOC_RECV, token) ? GOC__HC_SPUN_READY : GOC__HC_SPUN_NOT;
    return goc__hc_plain(c, GOC_RECV, elem, deadline, how);
}
/* A plain send / receive as the public functions run it with the fuzzer
 * off: the lock-free try-op answer (goc__hc_try_failed registers the caller
 * as goc__hc_enter does), else the out-of-line rest. */
__attribute__((always_inline)) static inline int goc__hc_public(goc_chan *c, int op, void *elem,
                                                                goc_time deadline) {
    if (deadline == GOC_NOW && goc__hc_would_block(c, op)) return goc__hc_try_failed();
    return op == GOC_SEND ? goc__hc_send_call(c, elem, deadline) : goc__hc_recv_call(c, elem, deadline);
}
/* With the fuzzer on: its point first (it may call out), then the same;
 * out of line, so that the fuzzer-off path keeps no frame. */
static __attribute__((noinline)) int goc__hc_send_fuzzed(goc_chan *c, const void *elem, goc_time deadline) {
    goc__fuzz_point();
    return goc__hc_public(c, GOC_SEND, (void *)elem, deadline);
}
static __attribute__((noinline)) int goc__hc_recv_fuzzed(goc_chan *c, void *elem, goc_time deadline) {
    goc__fuzz_point();
    return goc__hc_public(c, GOC_RECV, elem, deadline);
}

/* ------------------------------------------------------------- close -- */

static inline int goc__hc_close(goc_chan *c) {
    goc__hc_lock_acquire(&c->lock);
    if (goc__hc_closed(c)) {
        goc__hc_unlock(c);
        return -EPIPE;
    }
#ifdef GOC_TSAN_PRECISE_ON
    GOC_RACE_RELEASE(GOC__HC_CLOSE_SYNC(c)); /* before anyone can see `closed` */
#endif
    atomic_store_explicit(&c->closed, true, memory_order_relaxed); /* under lock */
    /* claim every waiter under the lock, wake them after unlocking */
    goc__hc_waiter *list = NULL, *w;
    while ((w = goc__hc_dequeue(c, &c->recvq))) {
        w->err = -EPIPE; /* the receiver zeroes its own buffer (goc__hc_woken) */
#ifdef GOC_TSAN_PRECISE_ON
        GOC_RACE_RELEASE(goc__hc_sync_c(w->call)); /* close -> that receive */
#endif
        w->wnext = list;
        list = w;
    }
    while ((w = goc__hc_dequeue(c, &c->sendq))) { /* senders: value not sent */
        w->err = -EPIPE;
        w->wnext = list;
        list = w;
    }
    goc__hc_unlock(c);
    while (list) {
        w = list;
        list = w->wnext; /* read before the wake: w dies with its owner's frame */
        goc__hc_wake(w->call);
    }
    return 0;
}

/* ------------------------------------------------------------ select -- */

typedef struct goc__hc_lockset {
    goc_chan **ch; /* distinct, in address order */
    size_t n;
} goc__hc_lockset;

static void goc__hc_unlock_all(void *arg) {
    const goc__hc_lockset *ls = arg;
    for (size_t i = ls->n; i-- > 0;) goc__hc_unlock(ls->ch[i]);
}

/* Go's select{} (or one with only nil channels): nothing can fire; waits
 * for the deadline, or forever (the deadlock detector may report it). */
static int goc__hc_select_nothing(goc_time deadline) {
    int kind = goc__deadline_kind(deadline);
    if (kind == GOC_DL_NOW) return -EAGAIN;
    struct goc__hc_call call;
    goc__hc_call_begin(&call);
    goc__hc_wait_begin("select (no cases)", NULL, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    while (!(kind == GOC_DL_AT && deadline <= goc_now()) &&
           goc__hc_park(&call, NULL, NULL, kind == GOC_DL_NEVER ? GOC_NEVER : deadline) != -ETIMEDOUT) {
    }
    goc__wait_end();
    return -ETIMEDOUT;
}

/* Clause cs of a select, its channel's lock held: as goc__hc_send_locked /
 * goc__hc_recv_locked. */
__attribute__((always_inline)) static inline int goc__hc_case_locked(goc_case *cs, goc__hc_waiter **wk) {
    return cs->op == GOC_SEND ? goc__hc_send_locked(cs->ch, cs->elem, wk) : goc__hc_recv_locked(cs->ch, cs->elem, wk);
}

/* Pass 0 of a select (below): clause cs under its channel's lock alone.
 * True if it fired (cs->err set, a partner woken). Out of line: the pass's
 * loop of lock-free looks stays short when nothing is ready. */
static __attribute__((noinline)) bool goc__hc_select_one(goc_case *cs) {
    goc_chan *c = cs->ch;
    goc__hc_waiter *wk = NULL;
    goc__hc_lock_acquire(&c->lock);
    int r = goc__hc_case_locked(cs, &wk);
    goc__hc_unlock(c);
    if (r == 0) return false;
    if (wk) goc__hc_wake(wk->call);
    cs->err = r < 0 ? r : 0;
    return true;
}

/* Go's selectgo over ne >= 1 enabled clauses (arguments checked). */
static int goc__hc_select(goc_case *cases, size_t n, size_t ne, goc_time deadline) {
    int kind = goc__deadline_kind(deadline);
    if (ne == 1 && kind == GOC_DL_NOW) { /* Go's one case + default: a try-op */
        goc_case *k = &cases[goc__select_single(cases)];
        goc_chan *c = k->ch;
        if (goc__hc_would_block(c, k->op))
            return -EAGAIN;
    }
    goc__hc_waiter wt_s[GOC_SEL_STACK];
    goc__sel plan;
    if (goc__sel_init(&plan, ne, wt_s, sizeof *wt_s, 0)) return -ENOMEM;
    goc__hc_waiter *wt = plan.per; /* wt[q]: the waiter of clause order[q] */
    goc__sel_order(&plan, cases, n);
    int ret;

    /* pass 0, one lock at a time: in poll order, the first clause that
     * looks ready without its lock (goc__try_would_block's loads) and is
     * ready under its own lock fires. Go's pass 1 takes every lock first;
     * when one clause is ready (SelectProdCons: the data channel beside an
     * idle timer and quit channel) that is three lock/unlock pairs for one
     * transfer, and the locked instructions were half of coro's select
     * (perf, GOC_PROCS=1). A clause is linearized at its own locked
     * attempt, as a plain send/receive is; the choice among clauses seen
     * ready stays the first in a uniformly random order. A clause that
     * looked blocked, or was, only sends us to the full protocol below,
     * which decides again with every lock held, so a stale look costs
     * time, never an answer. One lock held at a time: no lock order. */
    for (size_t q = 0; q < ne; q++) {
        size_t i = plan.order[q];
        goc_case *cs = &cases[i];
        goc_chan *c = cs->ch;
        if (goc__hc_would_block(c, cs->op))
            continue;
        if (goc__hc_select_one(cs)) {
            ret = (int)i;
            goto out;
        }
    }

    goc__sel_lock_order(&plan, cases);
    goc__hc_lockset ls = {plan.locks, plan.nl};
    goc__fuzz_point();

    for (size_t i = 0; i < ls.n; i++) goc__hc_lock_acquire(&ls.ch[i]->lock);
    /* pass 1: the first ready clause in poll order fires */
    for (size_t q = 0; q < ne; q++) {
        size_t i = plan.order[q];
        goc_case *cs = &cases[i];
        goc__hc_waiter *wk = NULL;
        int r = goc__hc_case_locked(cs, &wk);
        if (r != 0) {
            goc__hc_unlock_all(&ls);
            if (wk) goc__hc_wake(wk->call);
            cs->err = r < 0 ? r : 0;
            ret = (int)i;
            goto out;
        }
    }
    if (kind == GOC_DL_NOW || (kind == GOC_DL_AT && deadline <= goc_now())) {
        goc__hc_unlock_all(&ls);
        ret = kind == GOC_DL_NOW ? -EAGAIN : -ETIMEDOUT;
        goto out;
    }

    /* pass 2: enqueue one waiter per enabled clause, all of one call */
    struct goc__hc_call call;
    goc__hc_call_begin(&call);
#ifdef GOC_TSAN_PRECISE_ON
    GOC_RACE_RELEASE(goc__hc_sync_w(&call)); /* visible as a waiter once unlocked */
#endif
    bool dups = goc__select_has_dups(ls.n, ne);
    for (size_t q = 0; q < ne; q++) {
        size_t i = plan.order[q];
        goc_case *cs = &cases[i];
        goc__hc_waiter_init(&wt[q], &call, (int)i, cs->elem, cs->ch, dups);
        goc__wq_push(cs->op == GOC_SEND ? &cs->ch->sendq : &cs->ch->recvq, &wt[q].node);
    }
    goc__hc_wait_begin("select", cases[plan.order[0]].ch, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    int fired = goc__hc_park(&call, goc__hc_unlock_all, &ls, deadline);
    goc__wait_end();

    /* pass 3: unlink the waiters still queued, from every channel but the
     * fired clause's one: its claimer unlinked all of ours there and the
     * partner may have freed it since (goc_waitq.h). A waiter a claimer
     * dropped on the way is off its queue already. */
    goc_chan *fch = fired == -ETIMEDOUT ? NULL : cases[fired].ch;
    for (size_t i = 0; i < ls.n; i++)
        if (ls.ch[i] != fch) goc__hc_lock_acquire(&ls.ch[i]->lock);
    for (size_t q = 0; q < ne; q++) {
        if (cases[plan.order[q]].ch != fch) goc__wq_unlink(&wt[q].node);
#ifdef GOC_DEBUG
        else if (wt[q].node.linked) goc__fatal("select: a waiter left on the fired channel %p", (void *)fch);
#endif
    }
    for (size_t i = ls.n; i-- > 0;)
        if (ls.ch[i] != fch) goc__hc_unlock(ls.ch[i]);
    if (fired == -ETIMEDOUT) {
        ret = -ETIMEDOUT;
    } else {
        size_t q = 0;
        while (plan.order[q] != fired) q++;
        cases[fired].err = wt[q].err;
        goc__hc_woken(&wt[q], cases[fired].op);
        ret = fired;
    }
out:
    goc__sel_done(&plan);
    return ret;
}

/* -------------------------------------------------------- public API -- */

goc_chan *goc_chan_make(size_t elem_size, size_t cap) {
    if (!goc__chan_make_ok(elem_size, cap)) {
        errno = EINVAL;
        return NULL;
    }
    size_t extra = 0;
#ifdef GOC_TSAN_PRECISE_ON
    extra = cap; /* one sync byte per slot */
#endif
    /* one block: the struct, the ring, the sync bytes */
    goc_chan *c = goc__malloc(sizeof *c + cap * elem_size + extra);
    if (!c) {
        errno = ENOMEM;
        return NULL;
    }
    memset(c, 0, sizeof *c);
    c->elem_size = (uint32_t)elem_size;
    c->cap = cap;
    c->buf = (unsigned char *)(c + 1);
#ifdef GOC_TSAN_PRECISE_ON
    c->tsan_slots = c->buf + cap * elem_size;
#endif
    GOC_RACE_CALL_BEGIN();
    goc__hc_lock_init(&c->lock);
    GOC_RACE_CALL_END();
    c->magic = GOC_MAGIC_CHAN;
    return c;
}

int goc_chan_set_dtor(goc_chan *c, void (*dtor)(void *elem)) {
    if (!goc__chan_valid(c)) return -EINVAL;
    GOC_RACE_CALL_BEGIN();
    goc__hc_lock_acquire(&c->lock);
    c->dtor = dtor;
    goc__hc_unlock(c);
    GOC_RACE_CALL_END();
    return 0;
}

void goc__chan_set_timer(goc_chan *c, goc__timer *t) {
    GOC_RACE_CALL_BEGIN();
    goc__hc_lock_acquire(&c->lock);
    c->timer = t;
    goc__hc_unlock(c);
    GOC_RACE_CALL_END();
}

size_t goc_chan_len(const goc_chan *c) {
    if (!goc__chan_valid(c)) return 0;
    /* relaxed and lock-free, like Go's len(c): a snapshot that orders
     * nothing (so TSan still reports RaceChanSendLen) */
    GOC_RACE_CALL_BEGIN();
    size_t n = goc__hc_count(c);
    GOC_RACE_CALL_END();
    return n;
}

size_t goc_chan_cap(const goc_chan *c) { return goc__chan_valid(c) ? c->cap : 0; }

int(goc_chan_send)(goc_chan *c, const void *elem, goc_time deadline) {
    if (!goc__chan_valid(c) || (!elem && c->elem_size)) return -EINVAL;
    GOC_RACE_CALL_BEGIN();
    GOC_RACE_STRICT_READ(c);
    GOC_RACE_SEND_VALUE(elem, c->elem_size); /* before any edge of the send */
    int r = goc__fuzz_on() ? goc__hc_send_fuzzed(c, elem, deadline)
                           : goc__hc_public(c, GOC_SEND, (void *)elem, deadline);
    GOC_RACE_CALL_END();
    return r;
}

int(goc_chan_recv)(goc_chan *c, void *elem, goc_time deadline) {
    if (!goc__chan_valid(c)) return -EINVAL;
    GOC_RACE_CALL_BEGIN();
    int r = goc__fuzz_on() ? goc__hc_recv_fuzzed(c, elem, deadline) : goc__hc_public(c, GOC_RECV, elem, deadline);
    GOC_RACE_CALL_END();
    return r;
}

int goc_chan_close(goc_chan *c) {
    if (!goc__chan_valid(c)) return -EINVAL;
    goc__hc_enter();
    GOC_RACE_CALL_BEGIN();
    GOC_RACE_STRICT_WRITE(c);
    int r = goc__hc_close(c);
    GOC_RACE_CALL_END();
    return r;
}

void goc_chan_free(goc_chan *c) {
    if (!c) return;
    if (!goc__chan_valid(c)) {
        goc__misuse("goc_chan_free(%p): not a live channel (double free?)", (void *)c);
        return;
    }
    GOC_RACE_CALL_BEGIN();
    goc__timer *t = c->timer;
    if (t) goc__timer_free(t); /* stop a goc_after timer before the memory goes */
    goc__hc_lock_acquire(&c->lock);
    bool busy = goc__wq_head(&c->recvq) || goc__wq_head(&c->sendq);
    c->timer = NULL;
    size_t n = goc__hc_count(c), x = c->recvx;
    goc__hc_unlock(c);
    GOC_RACE_CALL_END();
    if (busy) {
        goc__misuse("goc_chan_free(%p): tasks are still blocked on it; leaking it instead", (void *)c);
        return;
    }
    if (c->dtor) { /* the user's destructor runs visible to TSan */
        for (size_t i = 0; i < n; i++) {
            c->dtor(c->elem_size ? goc__hc_slot(c, x) : NULL);
            if (++x == c->cap) x = 0;
        }
    }
    GOC_RACE_CALL_BEGIN();
    c->magic = GOC_MAGIC_DEAD;
    goc__hc_lock_destroy(&c->lock);
    goc__free(c);
    GOC_RACE_CALL_END();
}

int(goc_select)(goc_case *cases, size_t n, goc_time deadline) {
    long ne = goc__select_check(cases, n);
    if (ne < 0) return (int)ne;
    goc__hc_enter();
    goc__fuzz_point();
    GOC_RACE_CALL_BEGIN();
    GOC_SEL_RACE_ENTRY(cases, n);
    int r = ne ? goc__hc_select(cases, n, (size_t)ne, deadline) : goc__hc_select_nothing(deadline);
    GOC_RACE_CALL_END();
    return r;
}

#endif /* GOC_HCHAN_H */
