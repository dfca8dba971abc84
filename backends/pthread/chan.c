/*
 * The pthread backend's channels and select: Go's hchan with a pthread mutex
 * and one condition variable per OS thread. The honest baseline: simple,
 * obviously correct, every invariant written down.
 *
 * Objects
 *   goc_chan  the channel: a ring buffer of cap slots, a queue of blocked
 *             receivers (recvq) and one of blocked senders (sendq).
 *   op_wait   one blocking call (a plain send/recv is a one-clause select),
 *             on the caller's stack. Its `state` is claimed exactly once, by
 *             CAS: by the partner that completes it, by close, or by the
 *             owner itself when its deadline passes.
 *   sudog     one clause of a blocking call, linked into one channel's queue
 *             (Go's name). A select has one per enabled clause.
 *   parker    per OS thread: a mutex + condvar (CLOCK_MONOTONIC) the owner
 *             sleeps on until its op_wait is `woken`.
 *
 * Invariants (ch->mu held), as in Go's chan.go, over CLAIMABLE waiters (a
 * queue may also hold sudogs already claimed elsewhere: a select that fired
 * on another channel, or a waiter that timed out; they are skipped and
 * dropped by whoever meets them, and removed by their owner's cleanup):
 *   - at most one of recvq, sendq holds claimable waiters;
 *   - buffered: count > 0  => recvq has no claimable waiter;
 *               count < cap => sendq has no claimable waiter;
 *   - closed => both queues have no claimable waiter (close claimed them).
 *   - 0 <= count <= cap; recvx, sendx < cap; sendx == (recvx + count) % cap.
 * checked by check_invariants() at unlock in debug builds.
 *
 * The wake protocol (no lost wakeup, no touch after free):
 *   claimer (holds ch->mu):  CAS state WAITING->CLAIMED, move the value,
 *                            record fired/err, drop ch->mu, then
 *                            lock pk->mu; woken = true; signal; unlock.
 *   owner:                   lock pk->mu; while (!woken) wait; unlock.
 *   owner at its deadline:   CAS state WAITING->CLAIMED itself; if the CAS
 *                            fails a claimer owns the op: wait (untimed) for
 *                            woken, which is at most one unlock away.
 * The claimer's last access to the op_wait is under pk->mu, which the owner
 * must take before returning, so the owner's stack frame outlives every
 * access (the bug class of zio#650 / RG07). The parker lives in TLS of the
 * owner's thread, which cannot exit while the owner is blocked.
 *
 * Lock order: channels in address order (select locks every distinct channel
 * of its clauses that way); pk->mu is a leaf taken with no channel held.
 */
#include <stdio.h>
#include <string.h>

#include "goc_internal.h"
#include "goc_tsan.h"
#include "goc_waitq.h"

/* TSan precise build (GOC_TSAN_PRECISE, TESTING.md (b)): every function of
 * this file is uninstrumented, each internal primitive (channel mutex,
 * parker mutex/condvar, the claim CAS) runs inside GOC_TSAN_HIDE_BEGIN/END,
 * and only Go's edges are annotated:
 *   buffered:   the op that owns slot i (under ch->mu) acquires and releases
 *               tsan_slots[i]: send k -> recv k, recv k -> send k+cap;
 *               a direct handoff on a buffered channel "goes through" slot
 *               recvx and advances recvx/sendx, as Go's send() does;
 *   unbuffered: a waiter releases w->tsan_w when it becomes visible; the
 *               partner that claims it acquires tsan_w, copies, releases
 *               w->tsan_c; the woken owner acquires tsan_c (both directions,
 *               as Go's racesync);
 *   close:      release tsan_close under ch->mu; a recv (plain, select,
 *               woken) that returns -EPIPE acquires it; EPIPE sends, failed
 *               try-ops, len/cap and unchosen select clauses annotate
 *               nothing;
 *   payloads:   the copy itself is hidden (raw_copy), the user's side is
 *               reported with GOC_TSAN_P_READ/WRITE.
 *   buffered handoff to a blocked receiver: the sender goes through slot
 *               recvx; the receiver, once woken, reports its buffer write and
 *               releases that slot itself (owner_woken), so the sender does
 *               not learn the receiver's clock (RaceChanAsyncRev stays
 *               visible).
 * One edge more than Go: the receiver that frees a slot for a blocked
 * buffered sender acquires that sender's tsan_w, because it must publish
 * the sender's clock in the slot before anyone can receive that value. */
#ifdef GOC_TSAN_PRECISE_ON
#ifndef __clang__
#error "the precise TSan build (GOC_TSAN_PRECISE) needs clang (the tsan-precise preset)"
#endif
#pragma clang attribute push(__attribute__((no_sanitize("thread"))), apply_to = function)
#endif

enum { W_WAITING = 0, W_CLAIMED = 1 };

typedef struct parker {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool init;
} parker;

typedef struct op_wait {
    parker *pk;              /* set once: the owner's thread parker */
    _Atomic int state;       /* W_WAITING -> W_CLAIMED once (CAS, acq_rel) */
    int fired;               /* written by the claimer before `woken` */
    int err;                 /* written by the claimer before `woken` */
    bool woken;              /* guarded by pk->mu */
    struct op_wait *wake_next; /* claimer-private: close's wake list */
#ifdef GOC_TSAN_PRECISE_ON
    char tsan_w; /* sync address: released by the owner when it becomes a waiter */
    char tsan_c; /* sync address: released by the claimer after the transfer */
    void *tsan_slot;     /* buffered handoff to this receiver: the sync address of
                          * the slot it went "through", released by the owner
                          * (kept here: the owner must not read the channel) */
#endif
} op_wait;

typedef struct sudog {
    goc__wnode node;           /* links guarded by the channel's mu (goc_waitq.h) */
    op_wait *w;
    int case_idx;              /* set once */
    void *elem;                /* send: the value; recv: destination or NULL */
    size_t esz;                /* set once: the channel's elem_size, for after the wake */
} sudog;

typedef goc__wq waitq;
#define SUDOG(n) GOC__CONTAINER_OF((n), sudog, node)

struct goc_chan {
    uint32_t magic;            /* GOC_MAGIC_CHAN while live */
    pthread_mutex_t mu;        /* guards everything below unless noted */
    size_t elem_size;          /* set once */
    size_t cap;                /* set once */
    _Atomic size_t count;      /* written under mu; read lock-free by len() */
    size_t recvx, sendx;       /* ring indices */
    bool closed;
    waitq recvq, sendq;
    void (*dtor)(void *);      /* set once before sharing */
    goc__timer *timer;         /* goc_after: set once right after make */
    unsigned char *buf;        /* cap * elem_size bytes (NULL if 0) */
#ifdef GOC_TSAN_PRECISE_ON
    unsigned char *tsan_slots; /* cap sync bytes (any elem_size); set once */
    char tsan_close;           /* sync address of close */
#endif
};

static __thread parker tls_parker;

static parker *my_parker(void) {
    parker *p = &tls_parker;
    if (GOC_UNLIKELY(!p->init)) {
        GOC_TSAN_HIDE_BEGIN();
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&p->cv, &ca);
        pthread_condattr_destroy(&ca);
        pthread_mutex_init(&p->mu, NULL);
        p->init = true;
        GOC_TSAN_HIDE_END();
    }
    return p;
}

static bool chan_ok(const goc_chan *ch) { return ch && ch->magic == GOC_MAGIC_CHAN; }

/* ----------------------------------------------------------- queues -- */

static void enqueue(waitq *q, sudog *s, bool dups) {
    s->node.owner = s->w;
    s->node.dups = dups;
    goc__wq_push(q, &s->node);
}

static void unqueue(sudog *s) { goc__wq_unlink(&s->node); }

/* Removes and returns the first waiter that this caller manages to claim;
 * waiters claimed by someone else are dropped on the way (their owners'
 * cleanup tolerates that: linked == false). The winner's other clauses on
 * ch leave ch's queues too (goc_waitq.h): its owner will not lock ch again. */
static sudog *dequeue_claim(goc_chan *ch, waitq *q) {
    goc__wnode *n;
    while ((n = q->head)) {
        sudog *s = SUDOG(n);
        unqueue(s);
        int expected = W_WAITING;
        /* acq_rel: acquire pairs with nothing in particular (the owner wrote
         * its op before publishing it under ch->mu); release orders our
         * claim before the transfer we are about to make, for the owner's
         * failed self-claim CAS (acquire) at its deadline. */
        GOC_TSAN_HIDE_BEGIN();
        bool won = atomic_compare_exchange_strong_explicit(&s->w->state, &expected, W_CLAIMED,
                                                           memory_order_acq_rel, memory_order_acquire);
        GOC_TSAN_HIDE_END();
        if (won) {
            goc__wq_claimed(&s->node, &ch->recvq, &ch->sendq);
            return s;
        }
    }
    return NULL;
}

static bool has_waiters(const goc_chan *ch) { return ch->recvq.head || ch->sendq.head; }

/* ------------------------------------------------------------- wake -- */

static void wake(op_wait *w) {
    parker *pk = w->pk;
    GOC_TSAN_HIDE_BEGIN();
    pthread_mutex_lock(&pk->mu);
    w->woken = true;
    pthread_cond_signal(&pk->cv); /* exactly one op is blocked per thread */
    pthread_mutex_unlock(&pk->mu);
    GOC_TSAN_HIDE_END();
    /* w may be gone now: its owner returned. */
}

/* Completes w (claimed by the caller) with clause `idx` and error `err`. */
static void complete(sudog *s, int err) {
    s->w->fired = s->case_idx;
    s->w->err = err;
}

/* Blocks until w is woken or the deadline passes. Returns 0 when claimed by
 * a partner (result in w->fired/err), -ETIMEDOUT when the owner claimed it. */
static int park_impl(op_wait *w, goc_time deadline) {
    parker *pk = w->pk;
    int kind = goc__deadline_kind(deadline);
    struct timespec ts = goc__ts_from(kind == GOC_DL_AT ? deadline : 0);
    int timed_out = 0;
    pthread_mutex_lock(&pk->mu);
    while (!w->woken) {
        if (kind == GOC_DL_AT && !timed_out) {
            int r = goc__spurious() ? 0 : pthread_cond_timedwait(&pk->cv, &pk->mu, &ts);
            if (r == ETIMEDOUT || goc_now() >= deadline) {
                int expected = W_WAITING;
                if (atomic_compare_exchange_strong_explicit(&w->state, &expected, W_CLAIMED,
                                                            memory_order_acq_rel,
                                                            memory_order_acquire)) {
                    pthread_mutex_unlock(&pk->mu);
                    return -ETIMEDOUT;
                }
                timed_out = 1; /* a claimer owns it: the wake is imminent */
            }
        } else if (!goc__spurious()) {
            pthread_cond_wait(&pk->cv, &pk->mu);
        }
    }
    pthread_mutex_unlock(&pk->mu);
    return 0;
}
static int park(op_wait *w, goc_time deadline) {
    GOC_TSAN_HIDE_BEGIN(); /* the parker and the self-claim CAS are internal */
    int r = park_impl(w, deadline);
    GOC_TSAN_HIDE_END();
    return r;
}

static void op_init(op_wait *w) {
#ifdef GOC_TSAN_PRECISE_ON
    w->tsan_slot = NULL;
#endif
    w->pk = my_parker();
    atomic_init(&w->state, W_WAITING);
    w->fired = -1;
    w->err = 0;
    w->woken = false;
    w->wake_next = NULL;
}

/* ch->count: written under ch->mu, read lock-free by goc_chan_len. In the
 * precise TSan build even these relaxed accesses are hidden (an atomic is
 * instrumented in an uninstrumented function, and a sender's store after
 * its slot release would otherwise "race" with a Go-legal free). */
static inline size_t get_count(const goc_chan *ch) {
    GOC_TSAN_HIDE_BEGIN();
    size_t c = atomic_load_explicit(&ch->count, memory_order_relaxed);
    GOC_TSAN_HIDE_END();
    return c;
}

/* ------------------------------------------------------ invariants -- */

#ifdef GOC_DEBUG
static bool claimable(const waitq *q) {
    for (goc__wnode *n = q->head; n; n = n->next)
        if (atomic_load_explicit(&SUDOG(n)->w->state, memory_order_relaxed) == W_WAITING) return true; /* debug only */
    return false;
}
/* Claimable waiters of two different operations in opposite queues would
 * have matched: a bug. One select with a send and a receive clause on the
 * same channel is the exception (it never matches itself; Go's chan.go
 * makes the same exception). */
static bool cross_claimable(const goc_chan *ch) {
    for (goc__wnode *rn = ch->recvq.head; rn; rn = rn->next) {
        sudog *r = SUDOG(rn);
        if (atomic_load_explicit(&r->w->state, memory_order_relaxed) != W_WAITING) continue;
        for (goc__wnode *sn = ch->sendq.head; sn; sn = sn->next) {
            sudog *s = SUDOG(sn);
            if (s->w != r->w && atomic_load_explicit(&s->w->state, memory_order_relaxed) == W_WAITING)
                return true;
        }
    }
    return false;
}
static void check_invariants(const goc_chan *ch) {
    size_t count = get_count(ch);
    bool r = claimable(&ch->recvq), s = claimable(&ch->sendq);
    if (count > ch->cap) goc__fatal("chan %p: count %zu > cap %zu", (void *)ch, count, ch->cap);
    if (cross_claimable(ch)) goc__fatal("chan %p: claimable waiters in both queues", (void *)ch);
    if (ch->cap && count > 0 && r) goc__fatal("chan %p: buffered values with waiting receivers", (void *)ch);
    if (ch->cap && count < ch->cap && s) goc__fatal("chan %p: free slots with waiting senders", (void *)ch);
    if (ch->closed && (r || s)) goc__fatal("chan %p: closed with claimable waiters", (void *)ch);
}
#define CHECK(ch) check_invariants(ch)
#else
#define CHECK(ch) ((void)0)
#endif

static void lock_chan(goc_chan *ch) {
    GOC_TSAN_HIDE_BEGIN();
    pthread_mutex_lock(&ch->mu);
    GOC_TSAN_HIDE_END();
}
static void unlock_chan(goc_chan *ch) {
    CHECK(ch);
    GOC_TSAN_HIDE_BEGIN();
    pthread_mutex_unlock(&ch->mu);
    GOC_TSAN_HIDE_END();
}

/* ------------------------------------------------------------ make -- */

goc_chan *goc_chan_make(size_t elem_size, size_t cap) {
    if (elem_size > GOC_ELEM_MAX || cap > GOC_CAP_MAX ||
        (elem_size && cap > GOC_CHAN_BYTES_MAX / elem_size)) {
        errno = EINVAL;
        return NULL;
    }
    goc_chan *ch = goc__calloc(1, sizeof *ch);
    if (!ch) {
        errno = ENOMEM;
        return NULL;
    }
    if (cap && elem_size) {
        ch->buf = goc__malloc(cap * elem_size);
        if (!ch->buf) {
            goc__free(ch);
            errno = ENOMEM;
            return NULL;
        }
    }
#ifdef GOC_TSAN_PRECISE_ON
    if (cap && !(ch->tsan_slots = goc__calloc(cap, 1))) {
        goc__free(ch->buf);
        goc__free(ch);
        errno = ENOMEM;
        return NULL;
    }
#endif
    GOC_TSAN_HIDE_BEGIN();
    pthread_mutex_init(&ch->mu, NULL);
    GOC_TSAN_HIDE_END();
    ch->elem_size = elem_size;
    ch->cap = cap;
    atomic_init(&ch->count, 0);
    ch->magic = GOC_MAGIC_CHAN;
    return ch;
}

int goc_chan_set_dtor(goc_chan *ch, void (*dtor)(void *)) {
    if (!chan_ok(ch)) return -EINVAL;
    lock_chan(ch);
    ch->dtor = dtor;
    unlock_chan(ch);
    return 0;
}

void goc__chan_set_timer(goc_chan *ch, goc__timer *t) {
    lock_chan(ch);
    ch->timer = t;
    unlock_chan(ch);
}

size_t goc_chan_len(const goc_chan *ch) {
    if (!chan_ok(ch)) return 0;
    /* relaxed and lock-free, like Go's len(c): a snapshot that orders
     * nothing (so TSan still reports RaceChanSendLen). */
    return get_count(ch);
}

size_t goc_chan_cap(const goc_chan *ch) { return chan_ok(ch) ? ch->cap : 0; }

/* --------------------------------------------------- locked transfers -- */

#ifdef GOC_TSAN_PRECISE_ON
/* Hidden copies: memcpy/memset would be intercepted and checked by TSan.
 * volatile keeps the compiler from turning the loops back into calls. */
static void copy_elem(void *dst, const void *src, size_t n) {
    if (!n || !dst) return;
    volatile unsigned char *d = dst;
    const volatile unsigned char *s = src;
    for (size_t i = 0; i < n; i++) d[i] = s[i];
}
static void zero_elem(void *dst, size_t n) {
    if (!n || !dst) return;
    volatile unsigned char *d = dst;
    for (size_t i = 0; i < n; i++) d[i] = 0;
}
#define SLOT_SYNC(ch, i) (&(ch)->tsan_slots[(i)])
#define CLOSE_SYNC(ch) (&(ch)->tsan_close)
#define W_SYNC(w) (&(w)->tsan_w)
#define C_SYNC(w) (&(w)->tsan_c)
#else
static inline void copy_elem(void *dst, const void *src, size_t n) {
    if (n && dst) memcpy(dst, src, n);
}
static inline void zero_elem(void *dst, size_t n) {
    if (n && dst) memset(dst, 0, n);
}
#endif
/* Strict-object option of the precise build (GOC_TSAN_STRICT=1 in the
 * environment, TESTING.md (b) mode X): a send reads and a close writes the
 * channel object, as Go's chansend/closechan do with racereadpc/racewritepc,
 * so send || close and close || close are reported ("race on goc_chan").
 * The tag is registered once; the flag is read once. */
#ifdef GOC_TSAN_PRECISE_ON
#define strict_tag goc__tsan_strict_tag /* backends/common/tsan_strict.c */
#define STRICT_ACCESS(fn, ch)                                                   \
    do {                                                                        \
        void *t_ = strict_tag();                                                \
        if (t_) fn((void *)(ch), __builtin_return_address(0), t_);              \
    } while (0)
#define STRICT_READ(ch) STRICT_ACCESS(__tsan_external_read, ch)
#define STRICT_WRITE(ch) STRICT_ACCESS(__tsan_external_write, ch)
#else
#define STRICT_READ(ch) ((void)0)
#define STRICT_WRITE(ch) ((void)0)
#endif

/* User payload accesses, reported in the precise build (size 0: nothing). */
#define USER_READ(p, n) do { if ((n) && (p)) GOC_TSAN_P_READ((p), (n)); } while (0)
#define USER_WRITE(p, n) do { if ((n) && (p)) GOC_TSAN_P_WRITE((p), (n)); } while (0)
/* elem_size 0: buf is NULL and no slot is ever read or written (copy_elem
 * skips n == 0); return NULL rather than doing arithmetic on it (UB). */
static inline unsigned char *slot(goc_chan *ch, size_t i) {
    return ch->elem_size ? ch->buf + i * ch->elem_size : ch->buf;
}
static inline void set_count(goc_chan *ch, size_t c) {
    GOC_TSAN_HIDE_BEGIN();
    atomic_store_explicit(&ch->count, c, memory_order_relaxed); /* len() snapshot only */
    GOC_TSAN_HIDE_END();
}

/* Try to send with ch->mu held. Returns 1 if sent, -EPIPE if closed, 0 if it
 * would block. *partner is set to a claimed receiver to wake after unlock. */
static int send_locked(goc_chan *ch, const void *elem, op_wait **partner) {
    if (ch->closed) return -EPIPE;
    sudog *r = dequeue_claim(ch, &ch->recvq);
    if (r) { /* a receiver is waiting: hand the value straight to it */
#ifdef GOC_TSAN_PRECISE_ON
        if (ch->cap) { /* buffered: "through" slot recvx; the receiver's own
                        * release of the slot and write of its buffer happen
                        * when it wakes (the sender must not get its clock) */
            GOC_TSAN_P_ACQUIRE(SLOT_SYNC(ch, ch->recvx));
            USER_READ(elem, ch->elem_size);
        } else { /* unbuffered: both directions (Go's racesync) */
            GOC_TSAN_P_ACQUIRE(W_SYNC(r->w));
            USER_READ(elem, ch->elem_size);
            USER_WRITE(r->elem, ch->elem_size);
        }
#endif
        copy_elem(r->elem, elem, ch->elem_size);
#ifdef GOC_TSAN_PRECISE_ON
        if (ch->cap) { /* count == 0 here: recvx == sendx; advance both, as Go does */
            GOC_TSAN_P_RELEASE(SLOT_SYNC(ch, ch->recvx));
            r->w->tsan_slot = SLOT_SYNC(ch, ch->recvx);
            if (++ch->recvx == ch->cap) ch->recvx = 0;
            ch->sendx = ch->recvx;
        }
        GOC_TSAN_P_RELEASE(C_SYNC(r->w));
#endif
        complete(r, 0);
        *partner = r->w;
        return 1;
    }
    size_t count = get_count(ch);
    if (count < ch->cap) {
        GOC_TSAN_P_ACQUIRE(SLOT_SYNC(ch, ch->sendx));
        USER_READ(elem, ch->elem_size);
        copy_elem(slot(ch, ch->sendx), elem, ch->elem_size);
        GOC_TSAN_P_RELEASE(SLOT_SYNC(ch, ch->sendx));
        if (++ch->sendx == ch->cap) ch->sendx = 0;
        set_count(ch, count + 1);
        return 1;
    }
    return 0;
}

/* Try to receive with ch->mu held. Returns 1 if received, -EPIPE if closed
 * and drained (elem zeroed), 0 if it would block. */
static int recv_locked(goc_chan *ch, void *elem, op_wait **partner) {
    size_t count = get_count(ch);
    if (count > 0) {
        GOC_TSAN_P_ACQUIRE(SLOT_SYNC(ch, ch->recvx));
        USER_WRITE(elem, ch->elem_size);
        copy_elem(elem, slot(ch, ch->recvx), ch->elem_size);
        GOC_TSAN_P_RELEASE(SLOT_SYNC(ch, ch->recvx));
        sudog *s = dequeue_claim(ch, &ch->sendq);
        if (s) { /* buffer was full: the blocked sender's value takes the freed slot */
            GOC_TSAN_P_ACQUIRE(W_SYNC(s->w));
            USER_READ(s->elem, ch->elem_size);
            copy_elem(slot(ch, ch->recvx), s->elem, ch->elem_size);
            GOC_TSAN_P_RELEASE(SLOT_SYNC(ch, ch->recvx)); /* the sender's send k+cap */
            GOC_TSAN_P_RELEASE(C_SYNC(s->w));
            complete(s, 0);
            *partner = s->w;
            if (++ch->recvx == ch->cap) ch->recvx = 0;
            ch->sendx = ch->recvx;
        } else {
            if (++ch->recvx == ch->cap) ch->recvx = 0;
            set_count(ch, count - 1);
        }
        return 1;
    }
    if (ch->cap == 0) {
        sudog *s = dequeue_claim(ch, &ch->sendq);
        if (s) { /* rendezvous: take the value from the blocked sender */
            GOC_TSAN_P_ACQUIRE(W_SYNC(s->w));
            USER_READ(s->elem, ch->elem_size);
            USER_WRITE(elem, ch->elem_size);
            copy_elem(elem, s->elem, ch->elem_size);
            GOC_TSAN_P_RELEASE(C_SYNC(s->w));
            complete(s, 0);
            *partner = s->w;
            return 1;
        }
    }
    if (ch->closed) {
        USER_WRITE(elem, ch->elem_size);
        zero_elem(elem, ch->elem_size);
        GOC_TSAN_P_ACQUIRE(CLOSE_SYNC(ch));
        return -EPIPE;
    }
    return 0;
}

/* Precise build: what a woken owner annotates after a partner completed its
 * clause (err == 0) or close did (recv, -EPIPE); elem: the clause's buffer,
 * esz: its channel's elem_size, read before parking. It never reads the
 * channel: the partner may have freed it already (goc_chan_free's contract),
 * so close releases the owner's own C address for a receiver it completes,
 * and a buffered handoff leaves the slot's sync address in the op_wait. */
static void owner_woken(op_wait *w, size_t esz, int op, void *elem) {
#ifdef GOC_TSAN_PRECISE_ON
    if (w->err == 0) {
        GOC_TSAN_P_ACQUIRE(C_SYNC(w));
        if (w->tsan_slot) { /* buffered handoff: our write and our receive k */
            USER_WRITE(elem, esz);
            GOC_TSAN_P_RELEASE(w->tsan_slot);
        }
    } else if (op == GOC_RECV) {
        GOC_TSAN_P_ACQUIRE(C_SYNC(w)); /* close -> this receive (released by close) */
    }
#else
    (void)w, (void)esz, (void)op, (void)elem;
#endif
}

/* -------------------------------------------------------- plain ops -- */

static int plain_op(goc_chan *ch, int op, void *elem, goc_time deadline) {
    op_wait *partner = NULL;
    goc__fuzz_point();
    lock_chan(ch);
    int r = op == GOC_SEND ? send_locked(ch, elem, &partner) : recv_locked(ch, elem, &partner);
    if (r != 0) {
        unlock_chan(ch);
        if (partner) wake(partner);
        goc__fuzz_point();
        return r == 1 ? 0 : r;
    }
    int kind = goc__deadline_kind(deadline);
    if (kind == GOC_DL_NOW || (kind == GOC_DL_AT && goc_now() >= deadline)) {
        unlock_chan(ch);
        return kind == GOC_DL_NOW ? -EAGAIN : -ETIMEDOUT;
    }
    op_wait w;
    op_init(&w);
    sudog s = {.w = &w, .case_idx = 0, .elem = elem};
    size_t esz = ch->elem_size; /* read before we become visible (owner_woken) */
    GOC_TSAN_P_RELEASE(W_SYNC(&w)); /* visible as a waiter from here on */
    enqueue(op == GOC_SEND ? &ch->sendq : &ch->recvq, &s, false);
    unlock_chan(ch);
    goc__wait_begin(op == GOC_SEND ? "chan send" : "chan recv", ch,
                    kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    int pr = park(&w, deadline);
    goc__wait_end();
    if (pr == -ETIMEDOUT) {
        lock_chan(ch);
        unqueue(&s);
        unlock_chan(ch);
        return -ETIMEDOUT;
    }
    /* Claimed by a partner or by close; the claimer already removed s, and
     * ch may be freed by now: not a single access to it from here on. */
    owner_woken(&w, esz, op, elem);
    return w.err;
}

int goc_chan_send(goc_chan *ch, const void *elem, goc_time deadline) {
    if (!chan_ok(ch) || (!elem && ch->elem_size)) return -EINVAL;
    STRICT_READ(ch);
    return plain_op(ch, GOC_SEND, (void *)elem, deadline);
}

int goc_chan_recv(goc_chan *ch, void *elem, goc_time deadline) {
    if (!chan_ok(ch)) return -EINVAL;
    return plain_op(ch, GOC_RECV, elem, deadline);
}

/* ------------------------------------------------------------- close -- */

int goc_chan_close(goc_chan *ch) {
    if (!chan_ok(ch)) return -EINVAL;
    STRICT_WRITE(ch);
    op_wait *wakes = NULL;
    lock_chan(ch);
    if (ch->closed) {
        unlock_chan(ch);
        return -EPIPE;
    }
    ch->closed = true;
    GOC_TSAN_P_RELEASE(CLOSE_SYNC(ch)); /* before anyone can see `closed` */
    sudog *s;
    while ((s = dequeue_claim(ch, &ch->recvq))) { /* receivers: zero value, closed */
        zero_elem(s->elem, ch->elem_size);
        complete(s, -EPIPE);
        GOC_TSAN_P_RELEASE(C_SYNC(s->w)); /* close -> that receive (owner_woken) */
        s->w->wake_next = wakes;
        wakes = s->w;
    }
    while ((s = dequeue_claim(ch, &ch->sendq))) { /* senders: value not sent */
        complete(s, -EPIPE);
        s->w->wake_next = wakes;
        wakes = s->w;
    }
    unlock_chan(ch);
    while (wakes) { /* after unlock, as Go's closechan readies after unlock */
        op_wait *next = wakes->wake_next;
        wake(wakes);
        wakes = next;
    }
    return 0;
}

/* -------------------------------------------------------------- free -- */

void goc_chan_free(goc_chan *ch) {
    if (!ch) return;
    if (!chan_ok(ch)) {
        goc__misuse("goc_chan_free(%p): not a live channel (double free?)", (void *)ch);
        return;
    }
    goc__timer *t = ch->timer;
    if (t) goc__timer_free(t); /* stop a goc_after timer before the memory goes */
    lock_chan(ch);
    bool busy = has_waiters(ch);
    ch->timer = NULL;
    unlock_chan(ch);
    if (busy) {
        goc__misuse("goc_chan_free(%p): tasks are still blocked on it; leaking it instead", (void *)ch);
        return;
    }
    if (ch->dtor) {
        size_t count = get_count(ch);
        for (size_t i = 0, x = ch->recvx; i < count; i++, x = (x + 1) % ch->cap)
            ch->dtor(ch->elem_size ? slot(ch, x) : NULL);
    }
    ch->magic = GOC_MAGIC_DEAD;
    GOC_TSAN_HIDE_BEGIN();
    pthread_mutex_destroy(&ch->mu);
    GOC_TSAN_HIDE_END();
#ifdef GOC_TSAN_PRECISE_ON
    goc__free(ch->tsan_slots);
#endif
    goc__free(ch->buf);
    goc__free(ch);
}

/* ------------------------------------------------------------ select -- */

/* Stack space for small selects; larger ones allocate. */
#define SEL_STACK 8

static int cmp_chan(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)*(goc_chan *const *)a, y = (uintptr_t)*(goc_chan *const *)b;
    return x < y ? -1 : x > y;
}

static void lock_all(goc_chan **locks, size_t n) {
    for (size_t i = 0; i < n; i++) lock_chan(locks[i]);
}
static void unlock_all(goc_chan **locks, size_t n) {
    for (size_t i = n; i-- > 0;) unlock_chan(locks[i]);
}

/* Blocks forever (select with no enabled clause and no deadline: Go's
 * select{}), or until the deadline. */
static int select_nothing(goc_time deadline) {
    int kind = goc__deadline_kind(deadline);
    if (kind == GOC_DL_NOW) return -EAGAIN;
    op_wait w;
    op_init(&w);
    goc__wait_begin("select (no cases)", NULL, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    int r = park(&w, kind == GOC_DL_NEVER ? GOC_NEVER : deadline); /* nobody can claim it */
    goc__wait_end();
    return r;
}

int goc_select(goc_case *cases, size_t n, goc_time deadline) {
    if ((!cases && n) || n > GOC_SELECT_MAX) return -EINVAL;
    size_t enabled = 0;
    for (size_t i = 0; i < n; i++) {
        goc_case *c = &cases[i];
        if (c->op != GOC_SEND && c->op != GOC_RECV) return -EINVAL;
        if (!c->ch) continue;
        if (!chan_ok(c->ch) || (c->op == GOC_SEND && !c->elem && c->ch->elem_size)) return -EINVAL;
        enabled++;
    }
    if (!enabled) return select_nothing(deadline);
#ifdef GOC_TSAN_PRECISE_ON
    for (size_t i = 0; i < n; i++) /* Go's selectgo reads every polled send channel */
        if (cases[i].ch && cases[i].op == GOC_SEND) STRICT_READ(cases[i].ch);
#endif

    /* order[]: enabled clause indices in random poll order (Fisher-Yates);
     * locks[]: their distinct channels in address order; sg[]: sudogs. */
    int order_s[SEL_STACK];
    goc_chan *locks_s[SEL_STACK];
    sudog sg_s[SEL_STACK];
    int *order = order_s;
    goc_chan **locks = locks_s;
    sudog *sg = sg_s;
    void *heap = NULL;
    if (enabled > SEL_STACK) {
        heap = goc__malloc(enabled * (sizeof *order + sizeof *locks + sizeof *sg));
        if (!heap) return -ENOMEM;
        sg = heap;
        locks = (goc_chan **)(sg + enabled);
        order = (int *)(locks + enabled);
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (cases[i].ch) order[k++] = (int)i;
    for (size_t i = enabled; i > 1; i--) {
        size_t j = goc__rand_n((uint32_t)i);
        int t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < enabled; i++) locks[i] = cases[order[i]].ch;
    qsort(locks, enabled, sizeof *locks, cmp_chan);
    size_t nlocks = 0;
    for (size_t i = 0; i < enabled; i++)
        if (!nlocks || locks[nlocks - 1] != locks[i]) locks[nlocks++] = locks[i];

    goc__fuzz_point();
    int result;
    op_wait *partner = NULL;
    lock_all(locks, nlocks);

    /* pass 1: look for a clause that can proceed now, in random order */
    for (size_t i = 0; i < enabled; i++) {
        goc_case *c = &cases[order[i]];
        int r = c->op == GOC_SEND ? send_locked(c->ch, c->elem, &partner)
                                  : recv_locked(c->ch, c->elem, &partner);
        if (r != 0) {
            unlock_all(locks, nlocks);
            if (partner) wake(partner);
            c->err = r == 1 ? 0 : r;
            result = order[i];
            goto out;
        }
    }
    int kind = goc__deadline_kind(deadline);
    if (kind == GOC_DL_NOW || (kind == GOC_DL_AT && goc_now() >= deadline)) {
        unlock_all(locks, nlocks);
        result = kind == GOC_DL_NOW ? -EAGAIN : -ETIMEDOUT;
        goto out;
    }

    /* pass 2: enqueue one sudog per enabled clause, all sharing one op_wait */
    op_wait w;
    op_init(&w);
    bool dups = goc__select_has_dups(nlocks, enabled);
    for (size_t i = 0; i < enabled; i++) {
        goc_case *c = &cases[order[i]];
        sg[i] = (sudog){.w = &w, .case_idx = order[i], .elem = c->elem, .esz = c->ch->elem_size};
        enqueue(c->op == GOC_SEND ? &c->ch->sendq : &c->ch->recvq, &sg[i], dups);
    }
    GOC_TSAN_P_RELEASE(W_SYNC(&w)); /* visible as a waiter once unlocked */
    unlock_all(locks, nlocks);
    goc__wait_begin("select", cases[order[0]].ch, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    int pr = park(&w, deadline);
    goc__wait_end();

    /* pass 3: remove the sudogs still queued, from every channel but the
     * fired clause's one: its claimer took all of ours off it (goc_waitq.h)
     * and the partner may have freed it since (goc_chan_free's contract).
     * Any sudog a claimer dropped on the way is off its queue too. */
    goc_chan *fired = pr == -ETIMEDOUT ? NULL : cases[w.fired].ch;
    for (size_t i = 0; i < nlocks; i++)
        if (locks[i] != fired) lock_chan(locks[i]);
    for (size_t i = 0; i < enabled; i++) {
        if (cases[sg[i].case_idx].ch != fired) unqueue(&sg[i]);
#ifdef GOC_DEBUG
        else if (sg[i].node.linked) goc__fatal("select: a sudog left on the fired channel %p", (void *)fired);
#endif
    }
    for (size_t i = nlocks; i-- > 0;)
        if (locks[i] != fired) unlock_chan(locks[i]);
    if (pr == -ETIMEDOUT) {
        result = -ETIMEDOUT;
    } else {
        size_t f = 0;
        while (sg[f].case_idx != w.fired) f++;
        cases[w.fired].err = w.err;
        result = w.fired;
        owner_woken(&w, sg[f].esz, cases[w.fired].op, cases[w.fired].elem);
    }
out:
    goc__free(heap);
    return result;
}

const char *goc_backend_name(void) { return GOC_BACKEND; }

#ifdef GOC_TSAN_PRECISE_ON
#pragma clang attribute pop
#endif
