/*
 * chan.c: coro channels and select (Go's runtime/chan.go and select.go,
 * over coro's parkers: see coro.h for the claim protocol).
 *
 * A channel is one lock, a ring buffer and two wait queues. Blocked
 * operations are coro_waiters on the blocked task's stack, published under
 * ch->lock; the task parks and its scheduler releases the lock only after the
 * task's context is saved. A partner that finds a waiter first claims it
 * (coro_wq_claim: the CAS on the waiter's parker), then completes the
 * operation for it under ch->lock (copies the value straight between the two
 * tasks' memory, or through the buffer), and readies it after unlocking.
 *
 * Invariants (under ch->lock), over claimable waiters (a waiter whose parker
 * already fired elsewhere may linger until its owner or a dequeue unlinks it):
 *   - recvq or sendq is empty;
 *   - cap > 0: count > 0 implies recvq is empty, count < cap implies sendq is
 *     empty (so a waiting sender means a full buffer);
 *   - closed implies both queues are empty (close claims everyone);
 *   - 0 <= count <= cap, recvx and sendx < max(cap, 1).
 * Lock order: several channels are locked only by select, in address order.
 * Nothing that can block or wake a task runs under ch->lock: wakes happen
 * after unlocking (the claim makes them exclusive).
 */
#include <string.h>

#include "coro.h"
#include "goc_tsan_hide.h" /* precise build: this file is uninstrumented */

/* Precise build edges (Go's chan.go race hooks; the same scheme as the
 * pthread backend):
 *   buffered:   the op that owns slot i acquires and releases SLOT(i):
 *               send k -> recv k, recv k -> send k+cap. A handoff to a
 *               blocked receiver "goes through" slot recvx (advancing
 *               recvx/sendx, as Go's send() does); the woken receiver then
 *               reports its buffer write and releases the slot itself, so
 *               the sender never learns the receiver's clock;
 *   unbuffered: a waiter releases W(parker) when it becomes visible; the
 *               claimer acquires W, copies, releases C; the woken owner
 *               acquires C (both directions, Go's racesync);
 *   close:      release CLOSE before `closed` is visible; a recv that
 *               returns -EPIPE acquires it;
 *   payloads:   the copies run hidden; each side reports its own buffer
 *               (CORO_P_READ/WRITE) in its own fiber.
 * One edge more than Go: the receiver that moves a blocked buffered
 * sender's value into the freed slot acquires the sender's W first. */
#ifdef CORO_PRECISE
#define SLOT_SYNC(c, i) ((c)->tsan_slots + (i))
#define CLOSE_SYNC(c) (&(c)->tsan_close)
/* GOC_TSAN_STRICT=1: report accesses to the channel object itself (Go's
 * racereadpc/racewritepc in chansend/closechan): send || close races. */
#define strict_tag goc__tsan_strict_tag /* backends/common/tsan_strict.c */
#define STRICT_ACCESS(fn, ch)                                                   \
    do {                                                                        \
        void *t_ = strict_tag();                                                \
        if (t_) CORO_UNHIDDEN(fn((void *)(ch), __builtin_return_address(0), t_)); \
    } while (0)
#define STRICT_READ(ch) STRICT_ACCESS(__tsan_external_read, ch)
#define STRICT_WRITE(ch) STRICT_ACCESS(__tsan_external_write, ch)
#else
#define STRICT_READ(ch) ((void)0)
#define STRICT_WRITE(ch) ((void)0)
#endif

struct goc_chan {
    uint32_t magic;           /* GOC_MAGIC_CHAN; DEAD after free */
    uint32_t elem_size;       /* set once */
    size_t cap;               /* set once */
    goc__lock lock;
    _Atomic size_t count;     /* written under lock; read racily by goc_chan_len (relaxed) */
    size_t recvx, sendx;      /* under lock */
    bool closed;              /* under lock */
    coro_wq recvq, sendq;     /* under lock */
    goc__timer *timer;        /* goc_after's timer: set once before sharing */
    void (*dtor)(void *);     /* set once before sharing */
    char *buf;                /* cap * elem_size bytes, after the struct */
#ifdef CORO_PRECISE
    unsigned char *tsan_slots; /* cap sync bytes after buf; set once */
    char tsan_close;           /* sync address of close */
#endif
};

/* ------------------------------------------------------- wait queues -- */

coro_waiter *coro_wq_claim(coro_wq *q, coro_wq *other) {
    goc__wnode *n;
    while ((n = q->head)) {
        coro_waiter *w = CORO_WAITER(n);
        coro_wq_unlink(w);
        if (coro_claim(w->p, w->seq, w->code)) {
            goc__wq_claimed(n, q, other); /* its owner will not lock this object again */
            return w;
        }
        /* fired elsewhere (a timer, another case of its select): drop it */
    }
    return NULL;
}

static void wake(coro_waiter *w) {
    if (w) coro_parker_ready(w->p);
}

/* ------------------------------------------------------------ helpers -- */

static inline bool chan_ok(const goc_chan *c) {
    if (GOC_LIKELY(c && c->magic == GOC_MAGIC_CHAN)) return true;
    if (c) goc__misuse("goc: bad channel %p (freed or not a channel)", (const void *)c);
    return false;
}
static inline void *slot(goc_chan *c, size_t i) { return c->buf + i * c->elem_size; }
static inline void copy(void *dst, const void *src, size_t n) {
    if (n && dst) memcpy(dst, src, n);
}

/* Send attempt under c->lock: 1 done (*wk: a receiver to ready), 0 would
 * block, -EPIPE closed. */
static int try_send_locked(goc_chan *c, const void *elem, coro_waiter **wk) {
    if (c->closed) return -EPIPE;
    coro_waiter *w = coro_wq_claim(&c->recvq, &c->sendq);
    if (w) {
#ifdef CORO_PRECISE
        if (c->cap) { /* count == 0: "through" slot recvx */
            CORO_P_ACQUIRE(SLOT_SYNC(c, c->recvx));
            CORO_P_READ(elem, c->elem_size);
        } else {
            CORO_P_ACQUIRE(CORO_SYNC_W(w->p));
            CORO_P_READ(elem, c->elem_size);
        }
#endif
        copy(w->elem, elem, c->elem_size); /* straight into the receiver */
#ifdef CORO_PRECISE
        if (c->cap) {
            CORO_P_RELEASE(SLOT_SYNC(c, c->recvx));
            w->tsan_slot = SLOT_SYNC(c, c->recvx); /* the receiver releases it when woken */
            if (++c->recvx == c->cap) c->recvx = 0;
            c->sendx = c->recvx;
        }
        CORO_P_RELEASE(CORO_SYNC_C(w->p));
#endif
        w->err = 0;
        *wk = w;
        return 1;
    }
    size_t n = atomic_load_explicit(&c->count, memory_order_relaxed);
    if (n < c->cap) {
        CORO_P_ACQUIRE(SLOT_SYNC(c, c->sendx));
        CORO_P_READ(elem, c->elem_size);
        copy(slot(c, c->sendx), elem, c->elem_size);
        CORO_P_RELEASE(SLOT_SYNC(c, c->sendx));
        if (++c->sendx == c->cap) c->sendx = 0;
        atomic_store_explicit(&c->count, n + 1, memory_order_relaxed); /* under lock */
        return 1;
    }
    return 0;
}

/* Receive attempt under c->lock: 1 done, 0 would block, -EPIPE closed and
 * drained (elem zeroed). */
static int try_recv_locked(goc_chan *c, void *elem, coro_waiter **wk) {
    coro_waiter *w = coro_wq_claim(&c->sendq, &c->recvq);
    if (w) {
        if (c->cap == 0) {
            CORO_P_ACQUIRE(CORO_SYNC_W(w->p));
            CORO_P_WRITE(elem, c->elem_size);
            copy(elem, w->elem, c->elem_size);
        } else {
            /* full buffer: take the head, the sender's value goes to the tail */
            CORO_P_ACQUIRE(SLOT_SYNC(c, c->recvx));
            CORO_P_WRITE(elem, c->elem_size);
            copy(elem, slot(c, c->recvx), c->elem_size);
            CORO_P_RELEASE(SLOT_SYNC(c, c->recvx));
            CORO_P_ACQUIRE(CORO_SYNC_W(w->p)); /* the sender's send k+cap */
            copy(slot(c, c->recvx), w->elem, c->elem_size);
            CORO_P_RELEASE(SLOT_SYNC(c, c->recvx));
            if (++c->recvx == c->cap) c->recvx = 0;
            c->sendx = c->recvx;
        }
        CORO_P_RELEASE(CORO_SYNC_C(w->p));
        w->err = 0;
        *wk = w;
        return 1;
    }
    size_t n = atomic_load_explicit(&c->count, memory_order_relaxed);
    if (n > 0) {
        CORO_P_ACQUIRE(SLOT_SYNC(c, c->recvx));
        CORO_P_WRITE(elem, c->elem_size);
        copy(elem, slot(c, c->recvx), c->elem_size);
        CORO_P_RELEASE(SLOT_SYNC(c, c->recvx));
        if (++c->recvx == c->cap) c->recvx = 0;
        atomic_store_explicit(&c->count, n - 1, memory_order_relaxed); /* under lock */
        return 1;
    }
    if (c->closed) {
        CORO_P_WRITE(elem, c->elem_size);
        if (elem && c->elem_size) memset(elem, 0, c->elem_size);
        CORO_P_ACQUIRE(CLOSE_SYNC(c));
        return -EPIPE;
    }
    return 0;
}

/* A woken owner, once a partner or close completed its operation: a
 * receive completed by close zeroes its buffer; the precise build annotates
 * err 0 -> the claimer's transfer, -EPIPE on a receive -> the close. elem:
 * the owner's own buffer; esz: its channel's elem_size, read before parking.
 * Never reads the channel: goc.h allows "receive the last value (or close),
 * then free" while we are still on our way out, so close releases our own C
 * address rather than having us acquire the channel's. */
static void owner_woken(coro_waiter *w, size_t esz, int op, void *elem) {
    if (op == GOC_RECV && w->err == -EPIPE && elem && esz) memset(elem, 0, esz);
#ifdef CORO_PRECISE
    if (w->err == 0) {
        CORO_P_ACQUIRE(CORO_SYNC_C(w->p));
        if (op == GOC_RECV) CORO_P_WRITE(elem, esz);
        else CORO_P_READ(elem, esz);
        if (w->tsan_slot) CORO_P_RELEASE(w->tsan_slot);
    } else if (op == GOC_RECV) {
        CORO_P_WRITE(elem, esz);
        CORO_P_ACQUIRE(CORO_SYNC_C(w->p)); /* released by close_impl */
    }
#else
    (void)w, (void)esz, (void)op, (void)elem;
#endif
}

/* -------------------------------------------------------- public API -- */

goc_chan *goc_chan_make(size_t elem_size, size_t cap) {
    if (elem_size > GOC_ELEM_MAX || cap > GOC_CAP_MAX ||
        (elem_size && cap > GOC_CHAN_BYTES_MAX / elem_size)) {
        errno = EINVAL;
        return NULL;
    }
    size_t extra = 0;
#ifdef CORO_PRECISE
    extra = cap;
#endif
    goc_chan *c = goc__malloc(sizeof *c + cap * elem_size + extra);
    if (!c) {
        errno = ENOMEM;
        return NULL;
    }
    memset(c, 0, sizeof *c);
    c->elem_size = (uint32_t)elem_size;
    c->cap = cap;
    c->buf = (char *)(c + 1);
#ifdef CORO_PRECISE
    c->tsan_slots = (unsigned char *)c->buf + cap * elem_size;
#endif
    c->magic = GOC_MAGIC_CHAN;
    return c;
}

/* A plain send or receive: one attempt under the lock, else park as a
 * one-clause waiter on sendq/recvq until a partner, close or the deadline
 * completes it. always_inline: each caller passes a constant op, so the
 * send and receive paths are specialised as two separate functions would be
 * (out of line, the merged version cost the icount gate +18% per operation). */
__attribute__((always_inline)) static inline int plain_op(goc_chan *c, int op, void *elem,
                                                          goc_time deadline) {
    bool send = op == GOC_SEND;
    goc__lock_acquire(&c->lock);
    coro_waiter *wk = NULL;
    int r = send ? try_send_locked(c, elem, &wk) : try_recv_locked(c, elem, &wk);
    if (r != 0) {
        goc__lock_release(&c->lock);
        wake(wk);
        return r < 0 ? r : 0;
    }
    int kind = goc__deadline_kind(deadline);
    if (kind == GOC_DL_NOW || (kind == GOC_DL_AT && deadline <= goc_now())) {
        goc__lock_release(&c->lock);
        return kind == GOC_DL_NOW ? -EAGAIN : -ETIMEDOUT;
    }
    coro_wq *q = send ? &c->sendq : &c->recvq;
    coro_parker *p = coro_parker_self();
    coro_waiter w = {.p = p, .seq = coro_parker_begin(p), .code = 1, .elem = elem};
    size_t esz = c->elem_size; /* read before we become visible (owner_woken) */
    CORO_P_RELEASE(CORO_SYNC_W(p)); /* visible as a waiter from here on */
    coro_wq_push(q, &w);
    coro_wait_begin(send ? "chan send" : "chan recv", c, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    uint32_t code = coro_park(p, w.seq, coro_after_unlock, &c->lock, deadline);
    goc__wait_end();
    if (code == CORO_FIRED_TIMEOUT) {
        goc__lock_acquire(&c->lock);
        coro_wq_unlink(&w);
        goc__lock_release(&c->lock);
        return -ETIMEDOUT;
    }
    /* completed by a partner or close, which unlinked w: c may be freed */
    owner_woken(&w, esz, op, elem);
    return w.err;
}

int(goc_chan_send)(goc_chan *c, const void *elem, goc_time deadline) {
    if (!chan_ok(c) || (!elem && c->elem_size)) return -EINVAL;
    coro_note_foreign();
    goc__fuzz_point();
    CORO_HIDE_BEGIN();
    STRICT_READ(c);
    int r = plain_op(c, GOC_SEND, (void *)elem, deadline);
    CORO_HIDE_END();
    return r;
}

int(goc_chan_recv)(goc_chan *c, void *elem, goc_time deadline) {
    if (!chan_ok(c)) return -EINVAL;
    coro_note_foreign();
    goc__fuzz_point();
    CORO_HIDE_BEGIN();
    int r = plain_op(c, GOC_RECV, elem, deadline);
    CORO_HIDE_END();
    return r;
}

static int close_impl(goc_chan *c) {
    goc__lock_acquire(&c->lock);
    if (c->closed) {
        goc__lock_release(&c->lock);
        return -EPIPE;
    }
    CORO_P_RELEASE(CLOSE_SYNC(c)); /* before anyone can see `closed` */
    c->closed = true;
    /* Claim every waiter under the lock, ready them after unlocking. */
    coro_waiter *list = NULL, *w;
    while ((w = coro_wq_claim(&c->recvq, &c->sendq))) {
        w->err = -EPIPE; /* the receiver zeroes its own buffer */
        CORO_P_RELEASE(CORO_SYNC_C(w->p)); /* close -> that receive (owner_woken) */
        w->rnext = list;
        list = w;
    }
    while ((w = coro_wq_claim(&c->sendq, &c->recvq))) {
        w->err = -EPIPE;
        w->rnext = list;
        list = w;
    }
    goc__lock_release(&c->lock);
    while (list) {
        w = list;
        list = w->rnext; /* read before the ready: w dies with its task's frame */
        wake(w);
    }
    return 0;
}

int goc_chan_close(goc_chan *c) {
    if (!chan_ok(c)) return -EINVAL;
    coro_note_foreign();
    CORO_HIDE_BEGIN();
    STRICT_WRITE(c);
    int r = close_impl(c);
    CORO_HIDE_END();
    return r;
}

size_t goc_chan_len(const goc_chan *c) {
    if (!c || c->magic != GOC_MAGIC_CHAN) return 0;
    return atomic_load_explicit(&((goc_chan *)c)->count, memory_order_relaxed);
}

size_t goc_chan_cap(const goc_chan *c) {
    if (!c || c->magic != GOC_MAGIC_CHAN) return 0;
    return c->cap;
}

int goc_chan_set_dtor(goc_chan *c, void (*dtor)(void *elem)) {
    if (!chan_ok(c)) return -EINVAL;
    c->dtor = dtor;
    return 0;
}

void goc__chan_set_timer(goc_chan *c, goc__timer *t) { c->timer = t; }

static void free_impl(goc_chan *c);
void goc_chan_free(goc_chan *c) {
    if (!c) return;
    if (!chan_ok(c)) return;
    CORO_HIDE_BEGIN();
    free_impl(c);
    CORO_HIDE_END();
}
static void free_impl(goc_chan *c) {
    goc__lock_acquire(&c->lock);
    bool busy = c->recvq.head || c->sendq.head;
    goc__lock_release(&c->lock);
    if (busy) {
        goc__misuse("goc_chan_free: channel %p still has blocked tasks; it is leaked, not freed",
                    (void *)c);
        return;
    }
    if (c->timer) goc__timer_free(c->timer);
    if (c->dtor) {
        size_t n = atomic_load_explicit(&c->count, memory_order_relaxed);
        for (size_t i = 0, x = c->recvx; i < n; i++) {
            c->dtor(slot(c, x));
            if (++x == c->cap) x = 0;
        }
    }
    c->magic = GOC_MAGIC_DEAD;
    goc__free(c);
}

/* -------------------------------------------------------------- select -- */

typedef struct {
    goc_chan **ch; /* sorted, distinct */
    size_t n;
} lockset;

static void lock_all(const lockset *ls) {
    for (size_t i = 0; i < ls->n; i++) goc__lock_acquire(&ls->ch[i]->lock);
}
static void unlock_all(void *arg) {
    const lockset *ls = arg;
    for (size_t i = ls->n; i-- > 0;) goc__lock_release(&ls->ch[i]->lock);
}

static int ptr_cmp(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (goc_chan *const *)a, y = (uintptr_t) * (goc_chan *const *)b;
    return x < y ? -1 : x > y;
}

#define SELECT_STACK 8

static int select_impl(goc_case *cases, size_t n, size_t ne, goc_time deadline);

int(goc_select)(goc_case *cases, size_t n, goc_time deadline) {
    if ((n > 0 && !cases) || n > GOC_SELECT_MAX) return -EINVAL;
    size_t ne = 0;
    for (size_t i = 0; i < n; i++) {
        goc_case *k = &cases[i];
        if (k->op != GOC_SEND && k->op != GOC_RECV) return -EINVAL;
        if (!k->ch) continue;
        if (!chan_ok(k->ch)) return -EINVAL;
        if (k->op == GOC_SEND && !k->elem && k->ch->elem_size) return -EINVAL;
        ne++;
    }
    coro_note_foreign();
    goc__fuzz_point();
    CORO_HIDE_BEGIN();
    for (size_t i = 0; i < n; i++)
        if (cases[i].ch && cases[i].op == GOC_SEND) STRICT_READ(cases[i].ch);
    int r = select_impl(cases, n, ne, deadline);
    CORO_HIDE_END();
    return r;
}

static int select_impl(goc_case *cases, size_t n, size_t ne, goc_time deadline) {
    int kind = goc__deadline_kind(deadline);
    if (ne == 0) {
        /* Go's select {} (or with only nil channels): nothing can fire. */
        if (kind == GOC_DL_NOW) return -EAGAIN;
        coro_parker *p = coro_parker_self();
        uint32_t seq = coro_parker_begin(p);
        coro_wait_begin("select (no cases)", NULL, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
        for (;;) {
            if (kind == GOC_DL_AT && deadline <= goc_now()) break;
            if (coro_park(p, seq, NULL, NULL, deadline) == CORO_FIRED_TIMEOUT) break;
        }
        goc__wait_end();
        return -ETIMEDOUT;
    }

    /* One block for the enabled-case index, the lock order and the waiters. */
    uint16_t en_s[SELECT_STACK];
    goc_chan *lk_s[SELECT_STACK];
    coro_waiter wt_s[SELECT_STACK];
    uint16_t *en = en_s;
    goc_chan **lk = lk_s;
    coro_waiter *wt = wt_s;
    void *heap = NULL;
    if (ne > SELECT_STACK) {
        heap = goc__malloc(ne * (sizeof *en + sizeof *lk + sizeof *wt));
        if (!heap) return -ENOMEM;
        wt = heap;
        lk = (goc_chan **)(wt + ne);
        en = (uint16_t *)(lk + ne);
    }
    /* poll order: a uniformly random permutation of the enabled cases */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!cases[i].ch) continue;
        size_t j = goc__rand_n((uint32_t)(k + 1));
        en[k] = en[j];
        en[j] = (uint16_t)i;
        k++;
    }
    /* lock order: distinct channels by address */
    for (size_t i = 0; i < ne; i++) lk[i] = cases[en[i]].ch;
    if (ne <= 16) {
        for (size_t i = 1; i < ne; i++)
            for (size_t j = i; j > 0 && (uintptr_t)lk[j - 1] > (uintptr_t)lk[j]; j--) {
                goc_chan *x = lk[j];
                lk[j] = lk[j - 1];
                lk[j - 1] = x;
            }
    } else {
        qsort(lk, ne, sizeof *lk, ptr_cmp);
    }
    size_t nl = 0;
    for (size_t i = 0; i < ne; i++)
        if (nl == 0 || lk[nl - 1] != lk[i]) lk[nl++] = lk[i];
    lockset ls = {lk, nl};

    lock_all(&ls);
    /* pass 1: the first ready case in poll order fires */
    for (size_t p1 = 0; p1 < ne; p1++) {
        size_t i = en[p1];
        goc_case *cs = &cases[i];
        coro_waiter *wk = NULL;
        int r = cs->op == GOC_SEND ? try_send_locked(cs->ch, cs->elem, &wk)
                                   : try_recv_locked(cs->ch, cs->elem, &wk);
        if (r != 0) {
            unlock_all(&ls);
            wake(wk);
            cs->err = r < 0 ? r : 0;
            goc__free(heap);
            return (int)i;
        }
    }
    if (kind == GOC_DL_NOW || (kind == GOC_DL_AT && deadline <= goc_now())) {
        unlock_all(&ls);
        goc__free(heap);
        return kind == GOC_DL_NOW ? -EAGAIN : -ETIMEDOUT;
    }
    /* pass 2: enqueue a waiter on every enabled case, then park */
    coro_parker *p = coro_parker_self();
    uint32_t seq = coro_parker_begin(p);
    CORO_P_RELEASE(CORO_SYNC_W(p)); /* visible as a waiter once unlocked */
    bool dups = goc__select_has_dups(nl, ne);
    for (size_t q = 0; q < ne; q++) {
        size_t i = en[q];
        goc_case *cs = &cases[i];
        wt[q] = (coro_waiter){.node = {.owner = wt, .dups = dups}, .p = p, .seq = seq,
                              .code = (uint32_t)i + 1, .elem = cs->elem, .esz = cs->ch->elem_size};
        coro_wq_push(cs->op == GOC_SEND ? &cs->ch->sendq : &cs->ch->recvq, &wt[q]);
    }
    coro_wait_begin("select", cases[en[0]].ch, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    uint32_t code = coro_park(p, seq, unlock_all, &ls, deadline);
    goc__wait_end();
    /* pass 3: dequeue the waiters that did not fire, from every channel but
     * the fired case's one: its claimer unlinked all of ours there, and the
     * partner may have freed it since (goc_waitq.h) */
    goc_chan *fired = code == CORO_FIRED_TIMEOUT ? NULL : cases[code - 1].ch;
    for (size_t i = 0; i < nl; i++)
        if (lk[i] != fired) goc__lock_acquire(&lk[i]->lock);
    for (size_t q = 0; q < ne; q++)
        if (cases[en[q]].ch != fired) coro_wq_unlink(&wt[q]);
    for (size_t i = nl; i-- > 0;)
        if (lk[i] != fired) goc__lock_release(&lk[i]->lock);
    int ret;
    if (code == CORO_FIRED_TIMEOUT) {
        ret = -ETIMEDOUT;
    } else {
        size_t i = code - 1, q = 0;
        while (en[q] != i) q++;
        goc_case *cs = &cases[i];
        cs->err = wt[q].err;
        owner_woken(&wt[q], wt[q].esz, cs->op, cs->elem);
        ret = (int)i;
    }
    goc__free(heap);
    return ret;
}

GOC_TSAN_HIDE_FILE_END
