/*
 * The lockfree backend's channels and select.
 *
 * Buffered channel (cap > 0): a bounded MPMC ring whose slots each have
 * ONE atomic state word W over LF_K = 2 value buffers (README.md section 1,
 * "N1/N2"): a send claims a free buffer, copies into it and commits with a
 * CAS on W; a receive takes with a CAS on W, then copies out and frees the
 * buffer. The commit and the take are the only linearization points, so a
 * stalled partner mid-copy keeps its buffer while others go around it, and
 * a try-op never waits for it (issue 12 defect 3) while every answer stays
 * linearizable (checkers/linearize). No lock and no system call unless a
 * waiter is registered. Blocking is layered on top: spin with backoff,
 * then register a waiter in the channel's send or receive queue, re-check,
 * and park on the waiter's own futex word.
 *
 * Unbuffered channel (cap == 0): a rendezvous. Every operation takes the
 * channel's short internal lock (a futex lock, goc__lock) to look for a
 * partner in the opposite queue; if it finds one it claims it (CAS on the
 * partner's `sel`), copies the value directly between the two tasks'
 * buffers outside the lock and signals it. A sender therefore returns only
 * when a receiver holds the value.
 *
 * select: one lf_waiter per call, registered with one lf_entry per enabled
 * clause on every involved channel; whoever first CASes the waiter's `sel`
 * owns it (a partner, a notifier, close, or the owner aborting itself).
 *
 * Invariants (README.md proves them):
 *   I1  Positions are free-running 64-bit values lap | index (index < cap
 *       in the low bits, one_lap = next_pow2(cap)); slot index(p) serves
 *       p, p + one_lap, ... Only wrapping differences are used (w_dist).
 *   I2  W of a slot serving position p (lf.h: bit layout) is
 *         (p, EMPTY)            p not committed: free for its senders;
 *         (p, FULL, WHICH = b)  p's value is in buffer b;
 *       plus BUSY(b) for each buffer held (RECV(b) if by a receiver) and
 *       the CLOSED mark. Who moves W, each by a CAS on the whole word:
 *         claim  a sender at p: (p, EMPTY, b free) -> + BUSY(b)
 *         commit that sender:   (p, EMPTY, BUSY(b)) -> (p, FULL, WHICH = b),
 *                               - BUSY(b): the send's linearization point;
 *                               fails (give b back: fetch_and) if W moved to
 *                               FULL/another position (beaten) or CLOSED
 *         take   a receiver at p: (p, FULL, WHICH = b) -> (p + one_lap,
 *                               EMPTY, + BUSY(b) + RECV(b)): the receive's
 *                               linearization point; then copy out, then
 *                               fetch_and clears BUSY(b) | RECV(b)
 *         small  elements of at most 8 bytes (ring_small): a buffer is one
 *                atomic word; the receiver loads it BEFORE the take, which
 *                goes to (p + one_lap, EMPTY) without BUSY/RECV (no release
 *                RMW): a FULL W only loses BUSY bits or gains CLOSED, and
 *                no buffer of a slot is claimed while it is FULL, so a take
 *                CAS that succeeds on the W it loaded validates the value.
 *                RECV is never set on such a ring.
 *         one step  the same small ring on x86-64 (ring_one_step): one
 *                buffer word per slot, W and it an aligned 16-byte pair;
 *                a send is ONE cmpxchg16b from (p, EMPTY) to (p, FULL)
 *                with the value (w_commit16): no claim, no BUSY bits, a
 *                stalled sender holds nothing. A receiver about to park
 *                marks (p, EMPTY) with RWAIT (I5).
 *         close  (I9)
 *       A held buffer is never claimed, so a copy in or out never overlaps
 *       another; with both buffers held a send waits (LF_BUSY).
 *   I8  Commits happen in position order, takes too: a sender claims at p
 *       only after reaching p from the tail hint, walking forward over
 *       positions W shows committed (pos_skip), and the hint is never ahead:
 *       each value stored in it (hint_move: a plain store) is a position
 *       whose predecessors its writer saw committed; likewise head and takes.
 *       A hint may lag: the tail by the last commit (a commit does not move
 *       it: I7), and under MPMC by more, since a helper's store may undo a
 *       newer one (it moves back, never ahead). Every reader walks forward
 *       from it (the ring ops, close, len, free's destructor walk, the select
 *       snapshot: pos_settled) or treats a lagging hint as "may be ready"
 *       (ring_may_be_ready). So "full" is one load of W[t] showing
 *       (t - one_lap, FULL) and "empty" one load of W[h] showing (h, EMPTY),
 *       t and h reached by the walk. With one sender and one receiver each
 *       hint has one writer (close aside) and is exact. A sender may start
 *       at its memo (the position after its own last commit, on the same
 *       channel: send_start) instead of the tail hint: never ahead either;
 *       the send then moves the hint to where it decides (claim or full),
 *       before its commit.
 *   I9  Closed <=> CLOSED is set in W of the first uncommitted position t
 *       (or of its slot's full previous-lap position, whose take carries it
 *       to t). Only a successful close sets it; no commit succeeds on a
 *       marked W, so by I8 no send commits after the close.
 *   I3  An entry is linked in at most one queue, and only while its waiter is
 *       blocked in a goc call that will unlink it (or see it unlinked) under
 *       the channel lock before returning. Claimed entries are unlinked by
 *       their claimer.
 *   I4  Buffered: nrecvq/nsendq == number of entries linked in recvq/sendq;
 *       changed only under the lock, read without it.
 *   I5  No lost wakeup: a receiver parks only if, after its seq_cst
 *       increment of nrecvq, seq_cst loads saw W[head] == (head, EMPTY) with
 *       no close mark and no buffer held by a sender (ring_may_be_ready); every
 *       sender's seq_cst claim CAS is followed by a seq_cst load of nrecvq
 *       (and a notify if it is non-zero). Store buffering forbids both loads
 *       missing. Symmetrically for senders (park only on (tail - one_lap,
 *       FULL)) with the take CAS and nsendq; close is covered by the lock
 *       (it marks W, then claims every waiter under the lock).
 *       One-step ring (its send has no step between claim and commit for
 *       B2): a receiver parks only after a CAS marked (head, EMPTY) with
 *       RWAIT (ring_may_be_ready), after registering; the commit is a CAS
 *       on the same W, so it either comes first (the mark fails: retry) or
 *       sees the mark, pins and wakes one registered receiver. A take
 *       moves head past a position whose mark may have woken another
 *       receiver than the ones still parked, so every take that then sees
 *       nrecvq != 0 marks the new head or, if it is committed, wakes one
 *       (recv_pass_on). Senders blocked on a full one-step ring keep the
 *       take/nsendq pair above.
 *   I6  A waiter's owner never returns while a claimer may still access its
 *       stack: after a claim it waits for wake == DONE, which the claimer
 *       stores (release) after its last access.
 *   I7  Nothing touches a channel once a partner may have completed: a woken
 *       owner reads only its own frame; a claimer reads ch before it
 *       signals; a ring op that must notify after its commit decides so
 *       before the commit (right after its claim or take; a one-step
 *       send, from the mark in the W it commits over) and pins the
 *       channel, a sender does not touch ch after its commit (not even the
 *       tail hint), and
 *       goc_chan_free waits for the pins (a receiver may free the channel as
 *       soon as it holds the value, as Go programs routinely do).
 * Lock: ch->lock guards both queues, `closed` (unbuffered) and the links of
 * every entry; it is a leaf (no other lock or syscall-heavy work under it
 * except a possible futex wake inside goc__lock itself).
 */
#include <stdio.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "lf.h"
#include "goc_chan_check.h"

/* ring result besides 0 / -EPIPE / -EAGAIN: a send found both buffers of
 * the slot at tail held (a receiver still copying out of one, another
 * sender copying into the other): neither "full" nor a claim is possible,
 * so it waits (spinning, then yielding), which is linearizable, just not
 * wait-free. Needs two partners mid-copy on one slot at once. */
#define LF_BUSY 1

struct goc_chan {
    /* set once by goc_chan_make (read-only afterwards) */
    uint32_t magic;        /* GOC_MAGIC_CHAN while live; DEAD after free */
    uint32_t elem_size;
    size_t cap;            /* 0: unbuffered */
    lf_pos one_lap;        /* buffered: next_pow2(cap); positions are lap | index */
    size_t esz8;           /* buffered: elem_size rounded up to 8 (one buffer) */
    size_t stride;         /* bytes per slot: W and ring_k() buffers, padded to
                            * a 128-byte span while the ring fits (slot_stride) */
    unsigned char *buf;    /* cap slots, calloc'd (W encoded, see lf_slot),
                            * LF_SLOT_SPAN-aligned inside buf_raw */
    void *buf_raw;         /* the allocation buf lives in */
    void *raw;             /* the allocation this struct lives in (aligned inside) */
    bool one_step;         /* buffered, elements of at most 8 bytes, on a CPU with
                            * cmpxchg16b: the one-step ring (ring_one_step) */
    bool ahead;            /* one-step ring whose sends prefetch (for writing) the
                            * slot LF_AHEAD positions on (ring_try_send_k) */
    uint64_t id;           /* buffered: unique per make (lf_chan_ids), so that a
                            * sender's memo (tl_send_memo) never names a later
                            * channel at the same address */
    void (*dtor)(void *);  /* set once before the channel is shared */
    goc__timer *timer;     /* goc_after: set once by goc__chan_set_timer */

    /* producer line: the tail hint, moved on (hint_move: a plain store) by
     * a sender or close that finds the position at it committed, and by a
     * send to the position it decides at (its claim, or "full"), before
     * its commit; never after a commit (I7); never ahead, may lag (I8) */
    _Atomic lf_pos tail GOC_ALIGNED_CL;

    /* consumer line: the head hint, moved on (hint_move) by each take and
     * by a receiver that finds the position at it taken (I8) */
    _Atomic lf_pos head GOC_ALIGNED_CL;

    /* waiter line: read by every buffered op (the counts), written only by
     * blocking, waking and closing tasks */
    goc__lock lock GOC_ALIGNED_CL;
    _Atomic uint32_t nrecvq;     /* I4; seq_cst RMW under lock, read lock-free */
    _Atomic uint32_t nsendq;     /* I4 */
    _Atomic uint32_t pins;       /* ring ops that will still touch the channel after
                                  * their commit (to notify); free waits for 0 (I7) */
    _Atomic bool closed;         /* unbuffered: written under lock (relaxed), read
                                  * lock-free by try-ops (goc__try_would_block);
                                  * buffered, precise TSan build only: set by the
                                  * winning close after its mark (lf_api_chan_close) */
    _Atomic uint32_t ver;        /* unbuffered: +1 (under lock) whenever a clause may have
                                  * become ready: an entry linked, or close; read by
                                  * the GOC_NOW select snapshot (select_now_stable) */
    lf_queue recvq, sendq;       /* guarded by lock */
#ifdef GOC_TSAN_PRECISE_ON
    unsigned char *tsan_slots;   /* one sync byte per slot (any elem_size); set once */
    char tsan_close;             /* sync address of the winning close */
    _Atomic uint32_t closing;    /* buffered: picks the one close that annotates */
    goc__lock lin;               /* buffered: makes a commit or take and its slot
                                  * edge one step (lin_begin/lin_end); zeroed
                                  * memory is unlocked */
#endif
};

const char *goc_backend_name(void) { return "lockfree"; }

/* Sync addresses of the precise TSan build (NULL elsewhere). Annotations
 * take them from locals computed inside the hidden region: an argument that
 * reads shared memory inside GOC_RACE_UNHIDDEN would be an instrumented access. */
#ifdef GOC_TSAN_PRECISE_ON
#define SYNC_SLOT(ch, i) ((void *)&(ch)->tsan_slots[(i)])
#define SYNC_CLOSE(ch) ((void *)&(ch)->tsan_close)
#define SYNC_W(w) ((void *)&(w)->tsan_w)
#define SYNC_C(w) ((void *)&(w)->tsan_c)
#else
#define SYNC_SLOT(ch, i) NULL
#define SYNC_CLOSE(ch) NULL
#define SYNC_W(w) NULL
#define SYNC_C(w) NULL
#endif
#define LF_UNUSED __attribute__((unused))

/* The precise build's slot edges belong to the operation that WINS its
 * linearization CAS (the commit, the take), and must be in the sync byte
 * before a partner can see that CAS (its acquire would miss them). Two
 * senders may hold buffers of one slot and race to commit it; annotating
 * before the CAS gave the loser the winner's release, and TSan then missed
 * the loser's race with the winner (race_r09_send_send flaked ~1 in 8).
 * So, in that build only, each ring CAS and its annotation run as one step
 * under a per-channel lock (the runtime's goc__lock; hidden, like every
 * internal lock of the call): a partner's CAS can only succeed after ours,
 * hence its annotation after ours, and a loser annotates nothing. No-ops in
 * every other build. */
#ifdef GOC_TSAN_PRECISE_ON
static inline void lin_begin(goc_chan *ch) { goc__lock_acquire(&ch->lin); }
static inline void lin_end(goc_chan *ch) { goc__lock_release(&ch->lin); }
#else
static inline void lin_begin(goc_chan *ch) { (void)ch; }
static inline void lin_end(goc_chan *ch) { (void)ch; }
#endif

/* ------------------------------------------------------------ helpers -- */

static inline bool chan_ok(const goc_chan *ch) {
    if (GOC_UNLIKELY(!ch)) return false;
    if (GOC_UNLIKELY(ch->magic != GOC_MAGIC_CHAN)) {
        goc__misuse("goc: %p is not a live channel (freed or not a channel)", (const void *)ch);
        return false;
    }
    return true;
}
/* goc_select_plan.h's hooks */
static inline bool goc__chan_valid(const goc_chan *ch) { return chan_ok(ch); }
static inline size_t goc__chan_esize(const goc_chan *ch) { return ch->elem_size; }
#include "goc_select_plan.h"

static inline lf_slot *slot_at(const goc_chan *ch, lf_pos index) {
    return (lf_slot *)(ch->buf + (size_t)index * ch->stride);
}
/* Buffer b (0 or 1) of slot s. */
static inline unsigned char *slot_buf(const goc_chan *ch, lf_slot *s, int b) {
    return s->data + (size_t)b * ch->esz8;
}
/* Elements of at most 8 bytes (every benchmark row; also elem_size 0): a
 * buffer is one 8-byte atomic word, written by its holding sender with a
 * relaxed atomic store and read by receivers with a relaxed atomic load
 * BEFORE their take, which the take CAS validates (I2 "small"): a receiver
 * never holds a buffer. */
static inline bool ring_small(const goc_chan *ch) { return ch->esz8 <= 8; }
/* A small ring whose sends are one step (lf.h LF_ONE_STEP): one buffer per
 * slot, no claims, receivers mark the position they wait for (RWAIT). */
static inline bool ring_one_step(const goc_chan *ch) { return LF_ONE_STEP && ch->one_step; }
/* Buffers per slot: a one-step send has no copy to be stalled in (N1/N2 in
 * the README need the second buffer only for that). */
static inline size_t ring_k(const goc_chan *ch) { return ring_one_step(ch) ? 1 : LF_K; }
static inline _Atomic uint64_t *slot_word(const goc_chan *ch, lf_slot *s, int b) {
    return (_Atomic uint64_t *)(void *)slot_buf(ch, s, b);
}
/* An element of 1..8 bytes to and from its buffer word (constant sizes
 * inline: a variable-length memcpy would be a library call). */
static inline uint64_t small_pack(const void *elem, size_t esz) {
    uint64_t v = 0;
    if (esz == 8) memcpy(&v, elem, 8);
    else if (esz == 4) memcpy(&v, elem, 4);
    else memcpy(&v, elem, esz);
    return v;
}
static inline void small_unpack(void *elem, uint64_t v, size_t esz) {
    if (esz == 8) memcpy(elem, &v, 8);
    else if (esz == 4) memcpy(elem, &v, 4);
    else memcpy(elem, &v, esz);
}
/* W with stamp `pos` for the slot at `index`, and the given flag bits
 * (lf.h: the stamp is stored minus the index, modulo 2^LF_W_STAMP_BITS). */
static inline uint64_t w_make(lf_pos pos, lf_pos index, uint64_t flags) {
    return ((pos - index) << LF_W_SHIFT) | flags;
}
/* W's stamp minus position p, sign-extended from LF_W_STAMP_BITS bits:
 * exact while the two are less than 2^(LF_W_STAMP_BITS - 1) apart, which
 * holds for every position a task can still hold (I2). */
static inline int64_t w_dist(uint64_t w, lf_pos index, lf_pos p) {
    uint64_t d = ((w >> LF_W_SHIFT) + index - p) << LF_W_SHIFT;
    return (int64_t)d >> LF_W_SHIFT;
}
static inline lf_pos pos_next(const goc_chan *ch, lf_pos p) {
    lf_pos index = p & (ch->one_lap - 1);
    return index + 1 < ch->cap ? p + 1 : (p & ~(ch->one_lap - 1)) + ch->one_lap;
}

/* A receive that returns because the channel is closed: Go's edge from the
 * close (precise build), then the zero value. */
static inline void recv_closed_esz(void *sy, size_t esz, void *elem) {
    (void)sy;
    GOC_RACE_UNHIDDEN(GOC_TSAN_P_ACQUIRE(sy); if (elem && esz) GOC_TSAN_P_WRITE(elem, esz));
    if (elem && esz) memset(elem, 0, esz);
}
static inline void recv_closed(const goc_chan *ch, void *elem) {
    recv_closed_esz(SYNC_CLOSE(ch), ch->elem_size, elem);
}

/* queues: callers hold ch->lock */
static void q_link(lf_queue *q, lf_entry *e) { goc__wq_push(q, &e->node); }
static void q_unlink(lf_entry *e) { goc__wq_unlink(&e->node); }

/* Releases ch->lock. Debug builds first check, at this boundary, what the
 * lock guards: both queues' links (goc_chan_check.h) and I4 (buffered: the
 * waiter counts equal the linked entries). Claimability is not checked: a
 * select may link a clause on a ready or closed channel and withdraw it
 * right after this unlock (sel_register returns "ready"). */
static inline void chan_unlock(goc_chan *ch) {
#ifdef GOC_DEBUG
    size_t nr = goc__wq_check(ch, &ch->recvq, "recvq"), ns = goc__wq_check(ch, &ch->sendq, "sendq");
    if (ch->cap && (nr != atomic_load_explicit(&ch->nrecvq, memory_order_relaxed) ||
                    ns != atomic_load_explicit(&ch->nsendq, memory_order_relaxed)))
        goc__fatal("chan %p: I4 broken: %zu/%zu entries linked, counts %u/%u", (void *)ch, nr, ns,
                   atomic_load_explicit(&ch->nrecvq, memory_order_relaxed),
                   atomic_load_explicit(&ch->nsendq, memory_order_relaxed));
#endif
    goc__lock_release(&ch->lock);
}

/* Unbuffered: a clause of this channel may have become ready (lock held).
 * seq_cst: ordered with the snapshot loads of select_now_stable. */
static inline void ver_bump(goc_chan *ch) { atomic_fetch_add_explicit(&ch->ver, 1, memory_order_seq_cst); }

/* Removes e from its queue if nobody did yet (the owner's cleanup). */
static void q_remove(goc_chan *ch, lf_entry *e, bool is_send) {
    goc__lock_acquire(&ch->lock);
    if (e->node.linked) {
        q_unlink(e);
        /* seq_cst: I4 counts change only in the total order the waiters'
         * increments live in (README "No lost wakeup"). */
        if (ch->cap) atomic_fetch_sub_explicit(is_send ? &ch->nsendq : &ch->nrecvq, 1, memory_order_seq_cst);
    }
    chan_unlock(ch);
}

/* Adaptive spinning, per task (= thread), by time: a blocking call spins
 * (polling, with a yield every ~4 us) for up to tl_spin_ns before it parks,
 * and learns from how long its wait really took: a wait that ended within
 * LF_SPIN_NS_MAX would have been caught by spinning that long, so the budget
 * grows to twice it; a longer one halves the budget. Two tasks handing off
 * on two busy cores therefore converge to never sleeping (a step count
 * cannot: once one side parks, the other's wait includes the wake-up
 * latency and it parks too), while a task whose partner is away for long
 * spins only LF_SPIN_NS_MIN. Per task rather than per channel: no shared
 * write, and nothing may touch a channel after its op completed (I7). */
#define LF_SPIN_NS_MIN 2000
#define LF_SPIN_NS_MAX 60000
#define LF_SPIN_NS_INIT 20000
static __thread int32_t tl_spin_ns; /* thread-local: not shared */
/* Polls between yields. A yield that really switched this thread out
 * (> LF_SWITCHED_NS) before a successful wait means the partner needed this
 * core (more runnable tasks than cores, or `taskset -c 0`): then yield after
 * LF_YIELD_GAP_MIN polls; every success without such a switch doubles the gap
 * back towards LF_YIELD_GAP_MAX, so two busy cores poll without syscalls. */
#define LF_YIELD_GAP_MIN 4
#define LF_YIELD_GAP_MAX 128
#define LF_SWITCHED_NS 1500
static __thread uint8_t tl_yield_gap; /* 0: LF_YIELD_GAP_MAX */
static inline goc_time spin_ns(void) { return tl_spin_ns ? tl_spin_ns : LF_SPIN_NS_INIT; }
static inline void spin_learn_yield(bool switched) {
    unsigned g = tl_yield_gap ? tl_yield_gap : LF_YIELD_GAP_MAX;
    g = switched ? LF_YIELD_GAP_MIN : (g * 2 > LF_YIELD_GAP_MAX ? LF_YIELD_GAP_MAX : g * 2);
    tl_yield_gap = (uint8_t)g;
}
static inline void spin_learn(goc_time waited, bool slept) {
    goc_time s = spin_ns();
    if (!slept || waited < LF_SPIN_NS_MAX) {
        if (2 * waited > s) s = 2 * waited;
    } else {
        s /= 2;
    }
    if (s < LF_SPIN_NS_MIN) s = LF_SPIN_NS_MIN;
    if (s > LF_SPIN_NS_MAX) s = LF_SPIN_NS_MAX;
    tl_spin_ns = (int32_t)s;
}

/* One step of a timed spin: false once `budget` ns have passed since the
 * clock started, or the absolute `limit` (0: none). Re-polls at once 4
 * times, then pauses; the clock (22 ns a read here) is started only after
 * 64 steps (~2 us), so a quick hand-off never reads it; then it is read
 * every 8 steps; a yield every 128 steps lets a partner waiting for this
 * core run. `start` (0 until started) is what spin_learn measures from. */
typedef struct lf_spin {
    goc_time budget, limit, start, until;
    unsigned i, next_yield, gap;
    bool switched; /* a yield switched this thread out (see tl_yield_gap) */
} lf_spin;
static inline lf_spin lf_spin_init(goc_time budget, goc_time limit) {
    unsigned gap = tl_yield_gap ? tl_yield_gap : LF_YIELD_GAP_MAX;
    return (lf_spin){budget, limit, 0, 0, 0, gap - 1, gap, false};
}
static inline bool lf_spin_more(lf_spin *sp) {
    unsigned i = sp->i++;
    if (i < 4) return true;
    if (i >= sp->next_yield) {
        sp->next_yield = i + sp->gap;
        goc_time t = goc_now();
        sched_yield();
        if (goc_now() - t > LF_SWITCHED_NS) sp->switched = true;
    } else {
        goc__cpu_relax();
    }
    if (i < 64 || (i & 7)) return true;
    goc_time now = goc_now();
    if (!sp->start) {
        sp->start = now;
        sp->until = now + sp->budget;
    }
    return now < sp->until && (!sp->limit || now < sp->limit);
}

/* ------------------------------------------------------------ parking -- */

#ifdef GOC_LF_TEST_HOOKS
_Atomic(goc_lf_hook_fn) goc__lf_hooks[GOC_LF_HOOK_COUNT];
static _Atomic unsigned long lf_parks;
/* relaxed (hooks, park counter): test plumbing, ordered by the test's own
 * task spawns; nothing is published through them */
void goc_lf_set_hook(int point, goc_lf_hook_fn fn) {
    if (point >= 0 && point < GOC_LF_HOOK_COUNT)
        atomic_store_explicit(&goc__lf_hooks[point], fn, memory_order_relaxed);
}
unsigned goc_lf_seq_bits(void) { return LF_W_STAMP_BITS; }
unsigned long goc_lf_parks(void) { return atomic_load_explicit(&lf_parks, memory_order_relaxed); }
#define LF_COUNT_PARK() atomic_fetch_add_explicit(&lf_parks, 1, memory_order_relaxed)
#else
#define LF_COUNT_PARK() ((void)0)
#endif

int lf_park(lf_waiter *w, goc_time deadline, lf_spin *sp, const char *what, const void *obj) {
    bool timed = goc__deadline_kind(deadline) == GOC_DL_AT;
    if (sp && timed) sp->limit = deadline; /* never spin past the deadline */
    for (;;) {
        /* acquire: pairs with lf_signal's release exchange */
        if (atomic_load_explicit(&w->wake, memory_order_acquire) == LF_W_DONE) return 0;
        if (!sp || !lf_spin_more(sp)) break;
    }
    uint32_t v = LF_W_RUN;
    /* acquire on failure (we read DONE): pairs with lf_signal's exchange.
     * From here on the claimer's exchange returns PARKED and it wakes us. */
    if (!atomic_compare_exchange_strong_explicit(&w->wake, &v, LF_W_PARKED, memory_order_acquire,
                                                 memory_order_acquire))
        return 0;
    if (goc__deadline_kind(deadline) == GOC_DL_NEVER) deadline = GOC_NEVER;
    goc__wait_begin(what, obj, deadline);
    int ret = LF_PARK_SLEPT;
    for (;;) {
        LF_HOOK(GOC_LF_HOOK_BEFORE_PARK, &w->wake);
        goc__fuzz_point();
        LF_COUNT_PARK();
        /* FUTEX_WAIT compares the very word lf_signal exchanges: a signal
         * before this call makes it return -EAGAIN at once (RG13). */
        int r = goc__futex_wait(&w->wake, LF_W_PARKED, deadline);
        /* acquire: pairs with lf_signal */
        if (atomic_load_explicit(&w->wake, memory_order_acquire) == LF_W_DONE) break;
        if (deadline != GOC_NEVER && (r == -ETIMEDOUT || goc_now() >= deadline)) {
            if (lf_claim(w, LF_SEL_ABORTED)) {
                ret = -ETIMEDOUT;
                break;
            }
            /* A claimer won the race with our deadline: it will signal after
             * its last access to our stack (I6); wait for that, untimed. */
            deadline = GOC_NEVER;
        }
        /* else: woken spuriously (F04) or by a stray wake: re-check */
    }
    goc__wait_end();
    return ret;
}

#ifdef GOC_LF_TEST_HOOKS
int goc_lf_test_near_wrap(goc_chan *ch, unsigned laps) {
    /* relaxed: a fresh channel, not shared yet (the caller's contract) */
    if (!chan_ok(ch) || !ch->cap || atomic_load_explicit(&ch->tail, memory_order_relaxed) ||
        atomic_load_explicit(&ch->head, memory_order_relaxed))
        return -EINVAL;
    lf_pos lap = (lf_pos)0 - (lf_pos)laps * ch->one_lap; /* laps before 2^64 */
    for (size_t i = 0; i < ch->cap; i++) atomic_store_explicit(&slot_at(ch, i)->w, w_make(lap + i, i, 0), memory_order_relaxed);
    /* relaxed: the channel is not shared yet (the caller's contract) */
    atomic_store_explicit(&ch->tail, lap, memory_order_relaxed);
    atomic_store_explicit(&ch->head, lap, memory_order_relaxed);
    return 0;
}

/* One position back (the inverse of pos_next). */
static lf_pos pos_prev(const goc_chan *ch, lf_pos p) {
    lf_pos index = p & (ch->one_lap - 1);
    return index ? p - 1 : (p & ~(ch->one_lap - 1)) - ch->one_lap + ch->cap - 1;
}

int goc_lf_test_hints_back(goc_chan *ch, uint64_t back) {
    if (!chan_ok(ch) || !ch->cap) return -EINVAL;
    _Atomic lf_pos *hints[2] = {&ch->tail, &ch->head};
    for (int k = 0; k < 2; k++) {
        /* relaxed: idle channel (the caller's contract); a hint is moved
         * back no further than position 0 (a fresh channel's start) */
        lf_pos p = atomic_load_explicit(hints[k], memory_order_relaxed);
        for (uint64_t i = 0; i < back && p; i++) p = pos_prev(ch, p);
        atomic_store_explicit(hints[k], p, memory_order_relaxed);
    }
    return 0;
}
#endif

/* -------------------------------------------------------------- make -- */

static inline lf_pos next_pow2(lf_pos x) {
    lf_pos p = 1;
    while (p < x) p <<= 1;
    return p;
}

/* Bytes per slot. Each slot gets a 128-byte span of its own (two cache
 * lines: the adjacent-line prefetcher moves lines in aligned 128-byte
 * pairs), as long as the ring then stays within LF_PAD_MAX_BYTES; bigger
 * rings keep the packed `natural` stride (W and two buffers, or W and one
 * word on a one-step ring: 16 bytes), and so does cap 1, whose one slot both
 * sides use anyway (and whose make stays as cheap as before). Why (README
 * section 1, "Slot layout"): while the ring runs near empty the receiver
 * takes the slot right behind the one the sender claims and commits, and
 * every one of those steps is a locked RMW; with packed slots (2.7 per
 * line) the line moves between the cores several times per message.
 * Measured, SPSC co-running on two cores: cap 1024 90 -> 59 ns per
 * message, cap 128 87 -> 51; a 64-byte span was worse than packed (100 ns:
 * the prefetcher pairs the lines). The cost is memory: cap 1024 of 8-byte
 * elements takes 128 KiB instead of 24 KiB. */
#define LF_SLOT_SPAN 128
#define LF_PAD_MAX_BYTES ((size_t)128 * 1024)
static size_t slot_stride(size_t natural, size_t cap) {
    size_t padded = (natural + LF_SLOT_SPAN - 1) & ~(size_t)(LF_SLOT_SPAN - 1);
    return cap >= 2 && padded * cap <= LF_PAD_MAX_BYTES ? padded : natural;
}

#if LF_ONE_STEP
/* The sender's look-ahead on a one-step ring: LF_AHEAD positions on, the
 * slot a sender will claim soon was last written by the take of a lap ago,
 * and its line sits in the receiver's cache; a prefetch for writing
 * (PREFETCHW) brings it over while this send is still busy with its own
 * slot. Before the commit (I7), inside the ring, and only where the CPU has
 * the instruction (CPUID 0x80000001 ECX bit 8: older Intel parts fault on
 * it) and the ring is big enough that the slot is not the receiver's next
 * one (cap > 2 * LF_AHEAD). 2 measured best (README, "The one-step send"). */
#define LF_AHEAD 2
/* CPUID, once per process: bit 0 cmpxchg16b (leaf 1 ECX bit 13: the first
 * x86-64 parts lack it), bit 1 PREFETCHW (leaf 0x80000001 ECX bit 8).
 * relaxed: every caller computes the same answer. */
enum { LF_CPU_CX16 = 1, LF_CPU_PREFETCHW = 2 };
static unsigned lf_cpu(void) {
    static _Atomic int cached = -1;
    int f = atomic_load_explicit(&cached, memory_order_relaxed);
    if (f < 0) {
        unsigned a, b, c, d;
        f = 0;
        if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 13))) f |= LF_CPU_CX16;
        if (__get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & (1u << 8))) f |= LF_CPU_PREFETCHW;
        atomic_store_explicit(&cached, f, memory_order_relaxed);
    }
    return (unsigned)f;
}
static inline void slot_prefetch_w(const lf_slot *s) { __asm__ volatile("prefetchw %0" ::"m"(*(const char *)s)); }
#endif

static _Atomic uint64_t lf_chan_ids; /* the last id given (goc_chan.id) */

static goc_chan *lf_api_chan_make(size_t elem_size, size_t cap) {
    if (!goc__chan_make_ok(elem_size, cap)) {
        errno = EINVAL;
        return NULL;
    }
    void *raw = goc__calloc(1, sizeof(goc_chan) + GOC_CACHELINE);
    if (!raw) {
        errno = ENOMEM;
        return NULL;
    }
    goc_chan *ch = (goc_chan *)(((uintptr_t)raw + GOC_CACHELINE - 1) & ~(uintptr_t)(GOC_CACHELINE - 1));
    ch->raw = raw;
    ch->elem_size = (uint32_t)elem_size;
    ch->cap = cap;
    if (cap) {
        /* relaxed: only uniqueness matters (the memo compares ids of a
         * channel the caller holds live) */
        ch->id = atomic_fetch_add_explicit(&lf_chan_ids, 1, memory_order_relaxed) + 1;
        ch->one_lap = next_pow2((lf_pos)cap);
        ch->esz8 = (elem_size + 7) & ~(size_t)7;
#if LF_ONE_STEP
        unsigned cpu = lf_cpu();
        ch->one_step = ring_small(ch) && (cpu & LF_CPU_CX16);
        ch->ahead = ch->one_step && (cpu & LF_CPU_PREFETCHW) && cap > 2 * LF_AHEAD;
#endif
        /* a one-step slot is W and one word: 16 bytes, so that packed
         * slots keep the pair 16-byte aligned for cmpxchg16b */
        ch->stride = slot_stride(offsetof(lf_slot, data) + ring_k(ch) * ch->esz8, cap);
        /* zeroed memory is the initial state of every W (lf_slot); a
         * padded ring starts on a span boundary (a packed stride is 8 mod
         * 16, or 8 or 16 on a one-step ring: never a multiple of the span),
         * a packed one-step ring on 16 bytes (cmpxchg16b's pairs) */
        size_t align = (ch->stride & (LF_SLOT_SPAN - 1)) == 0 ? LF_SLOT_SPAN : ring_one_step(ch) ? 16 : 1;
        ch->buf_raw = align > 1 ? goc__calloc(1, cap * ch->stride + align) : goc__calloc(cap, ch->stride);
        ch->buf = (unsigned char *)(((uintptr_t)ch->buf_raw + align - 1) & ~(uintptr_t)(align - 1));
        if (!ch->buf_raw) {
            goc__free(raw);
            errno = ENOMEM;
            return NULL;
        }
#ifdef GOC_TSAN_PRECISE_ON
        ch->tsan_slots = goc__calloc(cap, 1);
        if (!ch->tsan_slots) {
            goc__free(ch->buf_raw);
            goc__free(raw);
            errno = ENOMEM;
            return NULL;
        }
#endif
    }
    atomic_init(&ch->tail, 0);
    atomic_init(&ch->head, 0);
    atomic_init(&ch->nrecvq, 0);
    atomic_init(&ch->nsendq, 0);
    atomic_init(&ch->pins, 0);
    atomic_init(&ch->lock.state, 0);
    ch->magic = GOC_MAGIC_CHAN;
    return ch;
}

#ifdef GOC_LF_TEST_HOOKS
/* goc_lf_test.h: ch as a fresh make at the same address would be (a new
 * id, positions 0, every W initial), which is what a freed and re-made
 * channel looks like to a sender's memo, without depending on the
 * allocator handing the address back. relaxed: an idle channel (the
 * caller's contract). */
int goc_lf_test_remake(goc_chan *ch) {
    if (!chan_ok(ch) || !ch->cap) return -EINVAL;
    for (size_t i = 0; i < ch->cap; i++) atomic_store_explicit(&slot_at(ch, i)->w, 0, memory_order_relaxed);
    atomic_store_explicit(&ch->tail, 0, memory_order_relaxed);
    atomic_store_explicit(&ch->head, 0, memory_order_relaxed);
    ch->id = atomic_fetch_add_explicit(&lf_chan_ids, 1, memory_order_relaxed) + 1;
    return 0;
}
#endif

static int lf_api_chan_set_dtor(goc_chan *ch, void (*dtor)(void *elem)) {
    if (!chan_ok(ch)) return -EINVAL;
    ch->dtor = dtor;
    return 0;
}

void goc__chan_set_timer(goc_chan *ch, goc__timer *t) {
    if (chan_ok(ch)) ch->timer = t;
}

static size_t lf_api_chan_cap(const goc_chan *ch) { return chan_ok(ch) ? ch->cap : 0; }

/* Slots between two positions, signed (lap | index arithmetic). */
static inline int64_t pos_count(const goc_chan *ch, lf_pos from, lf_pos to) {
    lf_pos m = ch->one_lap - 1;
    int64_t laps = (int64_t)((to & ~m) - (from & ~m)) / (int64_t)ch->one_lap;
    return laps * (int64_t)ch->cap + (int64_t)(to & m) - (int64_t)(from & m);
}

/* Where a walk from p goes next, given W (of p's slot, index ix): p itself
 * if W does not show p passed, else the first position W does not show
 * passed. `taken`: the receive side (a position is passed once taken), else
 * the send side (once committed). Stamps only grow and positions are
 * committed and taken in order (I8), so a stamp s = p + d, d > 0 (a
 * multiple of one_lap), says s - one_lap was taken, hence every position up
 * to it committed and taken, and (s, FULL) says s is committed: a hint many
 * laps behind (I8) is caught up in one step. */
static inline lf_pos pos_skip(const goc_chan *ch, lf_pos p, lf_pos ix, uint64_t w, bool taken) {
    int64_t d = w_dist(w, ix, p);
    if (d < 0) return p;
    lf_pos s = p + (lf_pos)d;
    if (!taken && (w & LF_W_FULL)) return pos_next(ch, s);
    return d > 0 ? pos_next(ch, s - ch->one_lap) : p;
}

/* The first position not passed (`taken` as in pos_skip) from hint p on:
 * a hint is never ahead, only behind (I8), so walk forward while W shows
 * passed. Read-only; mo: relaxed for len and free (see lf_api_chan_len),
 * seq_cst for the select snapshot. Each step moves past at least one
 * position that others settled, so the walk ends unless others keep
 * settling positions (lock-free, like the ring operations). *w_out: W of
 * the slot at the answer, as loaded. */
static inline lf_pos pos_settled_w(const goc_chan *ch, lf_pos p, bool taken, memory_order mo, uint64_t *w_out) {
    for (;;) {
        lf_pos ix = p & (ch->one_lap - 1);
        uint64_t w = atomic_load_explicit(&slot_at(ch, ix)->w, mo);
        lf_pos n = pos_skip(ch, p, ix, w, taken);
        if (n == p) {
            if (w_out) *w_out = w;
            return p;
        }
        p = n;
    }
}
static inline lf_pos pos_settled(const goc_chan *ch, lf_pos p, bool taken) {
    return pos_settled_w(ch, p, taken, memory_order_relaxed, NULL);
}

static size_t lf_api_chan_len(const goc_chan *ch) {
    if (!chan_ok(ch) || !ch->cap) return 0;
    /* relaxed: len is Go's racy snapshot and must create no happens-before
     * edge (RaceChanSendLen, R08). Committed positions minus taken ones,
     * from the two hints corrected for their lag; clamped, since the loads
     * are not one instant. */
    lf_pos h = pos_settled(ch, atomic_load_explicit(&ch->head, memory_order_relaxed), true);
    lf_pos t = pos_settled(ch, atomic_load_explicit(&ch->tail, memory_order_relaxed), false);
    int64_t n = pos_count(ch, h, t);
    return n < 0 ? 0 : (size_t)n > ch->cap ? ch->cap : (size_t)n;
}

/* ----------------------------------------------------------- the ring -- */

/* Moves a hint (tail or head) on to n, a position that the caller saw
 * every earlier position of pass (pos_skip): a plain store, not a CAS, if
 * the hint still reads behind n; returns the hint's value afterwards (the
 * further of the two). Another helper's store may land between our load and
 * our store and be undone (the hint moves back, never ahead: I8); readers
 * walk forward from it. With one task per side (SPSC) nobody else writes
 * the hint, so the store is exact. relaxed: a hint orders nothing, every
 * decision is taken on W (a stale hint only costs a walk). */
static inline lf_pos hint_move(_Atomic lf_pos *hint, lf_pos n) {
    lf_pos cur = atomic_load_explicit(hint, memory_order_relaxed);
    if ((int64_t)(n - cur) <= 0) return cur; /* positions grow as 64-bit integers (I1) */
    atomic_store_explicit(hint, n, memory_order_relaxed);
    return n;
}

/* A sender's memo: the position after its own last commit, and on which
 * channel (address and id: a channel made later at the same address has
 * another id). Thread-local: every task of this backend is a thread, and
 * nothing else reads it. A send starts there instead of at the tail hint,
 * which lags by that very commit (a sender does not touch the channel
 * after its commit, I7), so a sender on its own does not load W of the
 * slot it just committed, whose line the receiver has usually taken by
 * then (a cross-core miss per message; README section 1, "The sender's
 * memo"). A valid start: every predecessor of the memo is committed (the
 * memo owner committed the last one, I8 the rest); if others sent since,
 * W shows it and the walk goes forward as from a lagging hint. */
typedef struct lf_send_memo {
    const goc_chan *ch; /* compared only, never dereferenced */
    uint64_t id;
    lf_pos next;
} lf_send_memo;
static __thread lf_send_memo tl_send_memo;

static inline lf_pos send_start(const goc_chan *ch) {
    if (tl_send_memo.ch == ch && tl_send_memo.id == ch->id) return tl_send_memo.next;
    /* relaxed: a hint (hint_move) */
    return atomic_load_explicit(&ch->tail, memory_order_relaxed);
}

#if LF_ONE_STEP
/* The one-step commit: W and the slot's buffer word, an aligned 16-byte
 * pair, from (w, v) to (nw, nv) in one lock cmpxchg16b (seq_cst: a locked
 * instruction is a full barrier; its release half publishes the sender's
 * writes before the value, for the receiver's acquire load of W).
 * Receivers read the two words with 8-byte loads and take with an 8-byte
 * CAS on W, close and the mark CAS W too: on x86 every locked instruction
 * on one cache line is atomic against the others whatever their sizes (an
 * assumption: the SDM only promises it for equal addresses and sizes; the
 * CPUs we run on lock the line for any locked instruction), and
 * a W that did not change means the word did not either (it changes only
 * with W's move to FULL). Inline assembly in every build: TSan's own
 * 128-bit atomics are a load, compare and store under a mutex that only
 * other 128-bit atomics take, so they are not atomic against the 8-byte
 * CASes on W (the precise build lost closes and duplicated messages in
 * st02_close_storm with the builtin). TSan (natural build) does not see the
 * instruction, so the release is announced on W's address just before it:
 * the receiver's acquire load of W syncs with it (an extra edge if the CAS
 * fails, never a missing one; after a success the channel may be gone, I7);
 * the acquire half needs no announcement, the sender's acquire load of W
 * before it read the take it pairs with. The extra edge is a known
 * over-approximation of the natural build: a sender that loses t to another
 * sender and commits at t + 1 has released to t's receiver too (the precise
 * build, which hides all this, announces Go's edges exactly). */
static inline bool w_commit16(lf_slot *s, uint64_t w, uint64_t v, uint64_t nw, uint64_t nv) {
#ifdef GOC_TSAN
    __tsan_release((void *)&s->w);
#endif
    bool ok;
    __asm__ volatile("lock cmpxchg16b %1"
                     : "=@ccz"(ok), "+m"(*(unsigned __int128 *)(void *)s), "+a"(w), "+d"(v)
                     : "b"(nw), "c"(nv)
                     : "memory");
    return ok;
}
#endif

/* One attempt to send into the ring: 0, -EPIPE (closed), -EAGAIN (full: the
 * slot at tail still holds last lap's unreceived value), or LF_BUSY (both
 * buffers of the slot at tail are held by partners: wait). The caller wakes
 * a registered receiver if *notify is set (then the channel is pinned). */
static inline __attribute__((always_inline)) int ring_try_send_k(goc_chan *ch, const void *elem, bool *notify,
                                                                  bool small) {
    lf_pos t = send_start(ch);
    for (;;) {
        lf_pos ix = t & (ch->one_lap - 1);
        lf_slot *s = slot_at(ch, ix);
        /* acquire: pairs with the release of the RMW that last changed W
         * (a take's copy-out is done before we reuse its buffer) */
        uint64_t w = atomic_load_explicit(&s->w, memory_order_acquire);
        if (w & LF_W_CLOSED) return -EPIPE; /* only a successful close sets it (I9) */
        int64_t d = w_dist(w, ix, t);
        if (d > 0 || (d == 0 && (w & LF_W_FULL))) {
            t = hint_move(&ch->tail, pos_skip(ch, t, ix, w, false)); /* t is committed: the hint lags */
            continue;
        }
        if (d == -(int64_t)ch->one_lap && (w & LF_W_FULL)) {
            /* last lap's value unread: full. The hint goes to t (every
             * earlier position is committed), so that a blocked sender's
             * re-check (ring_may_be_ready) finds the full slot there; the
             * memo does not move it on */
            hint_move(&ch->tail, t);
            return -EAGAIN;
        }
        if (d != 0) {
            t = atomic_load_explicit(&ch->tail, memory_order_relaxed); /* a stale hint */
            continue;
        }
        /* (t, EMPTY), every earlier position committed. The hint to t and
         * the memo's values, now, before any commit (I7): the hint is then
         * at most our own commit behind, as when every send started at it
         * (a memo'd sender walks past nothing, so nobody else would move
         * it: len, close and the select snapshot walk from it) */
        hint_move(&ch->tail, t);
        lf_send_memo memo = {ch, ch->id, pos_next(ch, t)};
#if LF_ONE_STEP
        if (small && ch->one_step) {
            /* the one-step send */
            /* A receiver registered and marked t before parking (I5):
             * ours is the commit that must wake one, after which a receiver
             * may take the value and free the channel: pin it (relaxed:
             * the commit's release publishes the pin). Registered
             * receivers without a mark here (their marks consumed by
             * commits that woke one of them) are woken too when nrecvq
             * shows them before the commit, so that a burst of sends wakes
             * as many receivers at once as it has values, not one after
             * another through recv_pass_on; relaxed: a hint, the marks
             * alone make sure nobody sleeps on a value. */
            if (!*notify && ((w & LF_W_RWAIT) || GOC_UNLIKELY(atomic_load_explicit(&ch->nrecvq, memory_order_relaxed)))) {
                atomic_fetch_add_explicit(&ch->pins, 1, memory_order_relaxed);
                *notify = true;
            }
            if (ch->ahead) slot_prefetch_w(slot_at(ch, ix + LF_AHEAD < ch->cap ? ix + LF_AHEAD : ix + LF_AHEAD - ch->cap));
            size_t esz = ch->elem_size;
            uint64_t nw = w_make(t, ix, LF_W_FULL); /* the mark is consumed */
            void *sy LF_UNUSED = SYNC_SLOT(ch, ix);
            LF_HOOK(GOC_LF_HOOK_BEFORE_CAS, ch);
            /* a stalled one-step sender holds no buffer: others go on at
             * t (a pin, if it saw a mark: free waits for its return) */
            LF_HOOK(GOC_LF_HOOK_SEND_RESERVED, ch);
            /* The commit, the send's linearization point; the precise
             * build's slot edge by the winner in one step with it
             * (lin_begin, as below). relaxed: the buffer word is checked
             * by the CAS (it changes only with W's move to FULL). */
            lin_begin(ch);
            bool won = esz ? w_commit16(s, w, atomic_load_explicit(slot_word(ch, s, 0), memory_order_relaxed),
                                        nw, small_pack(elem, esz))
                           : atomic_compare_exchange_strong_explicit(&s->w, &w, nw, memory_order_seq_cst,
                                                                     memory_order_relaxed);
            if (won) GOC_RACE_UNHIDDEN(GOC_TSAN_P_ACQUIRE(sy); GOC_TSAN_P_RELEASE(sy));
            lin_end(ch);
            if (won) {
                tl_send_memo = memo; /* thread-local, read before the commit (I7) */
                return 0;
            }
            continue; /* W moved (a mark, another sender, close): judge it again */
        }
#endif
        /* (t, EMPTY): claim a buffer nobody holds */
        int b = !(w & LF_W_BUSY(0)) ? 0 : !(w & LF_W_BUSY(1)) ? 1 : -1;
        if (b < 0) return LF_BUSY; /* two partners mid-copy on this slot */
        LF_HOOK(GOC_LF_HOOK_BEFORE_CAS, ch);
        /* seq_cst: the claim is B1 of I5's store-buffering pair for a
         * receiver waiting at t (its re-check sees a sender's buffer, or
         * our load below sees its registration); acquire: the previous
         * holder's copy out of b happened before (its release fetch_and) */
        if (!atomic_compare_exchange_strong_explicit(&s->w, &w, w | LF_W_BUSY(b), memory_order_seq_cst,
                                                     memory_order_relaxed))
            continue;
        /* seq_cst: B2 of the pair. Decided before the commit, after which a
         * receiver may take the value and free the channel (I7): pinned. */
        if (!*notify && GOC_UNLIKELY(atomic_load_explicit(&ch->nrecvq, memory_order_seq_cst))) {
            /* relaxed: the commit's release publishes the pin to whoever
             * takes the value (and may then free) */
            atomic_fetch_add_explicit(&ch->pins, 1, memory_order_relaxed);
            *notify = true;
        }
        LF_HOOK(GOC_LF_HOOK_SEND_RESERVED, ch);
        /* Go's edges on the slot (precise build): the slot's sync address
         * chains every operation on it in W's order (send k, recv k, send
         * k + cap, ...); announced by the commit's winner, in one step with
         * the commit (lin_begin). The send's read of its value was recorded
         * at its entry (GOC_RACE_SEND_VALUE, or the select's
         * GOC_SEL_RACE_ENTRY). */
        void *sy LF_UNUSED = SYNC_SLOT(ch, ix);
        size_t esz = ch->elem_size;
        if (!esz) {
            /* no buffer (esz8 == 0) */
        } else if (small) {
            uint64_t v = small_pack(elem, esz);
            /* relaxed: published by the commit's release; atomic because a
             * receiver may read the buffer speculatively (ring_try_recv) */
            atomic_store_explicit(slot_word(ch, s, b), v, memory_order_relaxed);
        } else {
            lf_copy(slot_buf(ch, s, b), elem, esz);
        }
        for (uint64_t cur = w | LF_W_BUSY(b);;) {
            if (w_dist(cur, ix, t) != 0 || (cur & (LF_W_FULL | LF_W_CLOSED))) {
                /* beaten at t (another sender committed it; a receiver may
                 * even have taken it) or closed: give b back and go on at
                 * the next position. release: our writes to b happen
                 * before its next holder's (acquire claim) */
                atomic_fetch_and_explicit(&s->w, ~LF_W_BUSY(b), memory_order_release);
                break;
            }
            uint64_t nw = (cur & ~(LF_W_BUSY(b) | LF_W_WHICH)) | LF_W_FULL | (b ? LF_W_WHICH : 0);
            /* The commit, the send's only linearization point. seq_cst
             * (release: publishes the value; pairs with the take's acquire) */
            lin_begin(ch);
            bool won = atomic_compare_exchange_weak_explicit(&s->w, &cur, nw, memory_order_seq_cst,
                                                             memory_order_relaxed);
            if (won) GOC_RACE_UNHIDDEN(GOC_TSAN_P_ACQUIRE(sy); GOC_TSAN_P_RELEASE(sy));
            lin_end(ch);
            if (won) {
                tl_send_memo = memo; /* thread-local, read before the commit (I7) */
                return 0;
            }
        }
    }
}

#if LF_ONE_STEP
static void notify_one(goc_chan *ch, lf_queue *q, _Atomic uint32_t *n);
/* After a take on a one-step ring while receivers are registered: their
 * marks may have been consumed by commits that woke another receiver, so
 * make sure the position now at head wakes one of them too (I5): mark it
 * if it is empty, wake one now if it is already committed. From p (the
 * taken position's successor) on: the first position not taken. */
static void recv_pass_on(goc_chan *ch, lf_pos p) {
    for (;;) {
        uint64_t w;
        /* seq_cst: as the parking receiver's mark (ring_may_be_ready) */
        p = pos_settled_w(ch, p, true, memory_order_seq_cst, &w);
        lf_pos ix = p & (ch->one_lap - 1);
        if (w_dist(w, ix, p) != 0) return; /* unreachable: p - one_lap was taken before the take that called us */
        if (w & LF_W_FULL) {
            notify_one(ch, &ch->recvq, &ch->nrecvq);
            return;
        }
        if (w & (LF_W_CLOSED | LF_W_RWAIT)) return; /* close wakes everybody; already marked */
        if (atomic_compare_exchange_strong_explicit(&slot_at(ch, ix)->w, &w, w | LF_W_RWAIT, memory_order_seq_cst,
                                                    memory_order_relaxed))
            return;
    }
}
#endif

/* One attempt to receive: 0, -EPIPE (closed and drained; elem zeroed), or
 * -EAGAIN (the position at head is not committed: empty). Never waits. */
static inline __attribute__((always_inline)) int ring_try_recv_k(goc_chan *ch, void *elem, bool *notify,
                                                                  bool small) {
    /* relaxed: a hint (hint_move) */
    lf_pos h = atomic_load_explicit(&ch->head, memory_order_relaxed);
    for (;;) {
        lf_pos ix = h & (ch->one_lap - 1);
        lf_slot *s = slot_at(ch, ix);
        /* acquire: pairs with the commit (and close's mark): a receive
         * reporting "closed" happens after the close */
        uint64_t w = atomic_load_explicit(&s->w, memory_order_acquire);
        int64_t d = w_dist(w, ix, h);
        if (d > 0) {
            h = hint_move(&ch->head, pos_skip(ch, h, ix, w, true)); /* h was taken: the hint lags */
            continue;
        }
        if (d != 0) {
            h = atomic_load_explicit(&ch->head, memory_order_relaxed); /* a stale hint */
            continue;
        }
        if (!(w & LF_W_FULL)) {
            /* h not committed, so nothing after it is (commits happen in
             * position order, I8): empty, or closed and drained */
            if (w & LF_W_CLOSED) {
                recv_closed(ch, elem);
                return -EPIPE;
            }
            return -EAGAIN;
        }
        int b = (w & LF_W_WHICH) ? 1 : 0;
        uint64_t v = 0;
        if (small && ch->esz8) {
            /* Read the value before the take: buffer b is written only by
             * a holder, and nobody claims a buffer of a slot until its FULL
             * position is taken (claims need (t, EMPTY)); a FULL W only
             * loses BUSY bits or gains CLOSED, so the take CAS succeeding
             * on w means W did not change since our acquire load (which
             * saw the commit: the value) and b was not rewritten. relaxed:
             * ordered by that acquire; a later writer of b claims after
             * our take (its acquire pairs with our release). */
            v = atomic_load_explicit(slot_word(ch, s, b), memory_order_relaxed);
        }
        /* the slot moves on a lap; a big element's buffer stays held until
         * we copied out of it (a small one was read above); the close
         * mark, if any, now marks h + one_lap */
        uint64_t keep = w & (LF_W_BUSYALL | LF_W_RECVALL | LF_W_CLOSED);
        uint64_t nw = w_make(h + ch->one_lap, ix, small ? keep : keep | LF_W_BUSY(b) | LF_W_RECV(b));
        void *sy LF_UNUSED = SYNC_SLOT(ch, ix);
        LF_HOOK(GOC_LF_HOOK_BEFORE_CAS, ch);
        /* The take, the receive's only linearization point. seq_cst: B1 of
         * I5's pair for a sender waiting for room; acquire: the value.
         * Precise build: the slot edge by the winner, in one step with it
         * (lin_begin; a receiver beaten to h annotates nothing). */
        lin_begin(ch);
        bool won = atomic_compare_exchange_strong_explicit(&s->w, &w, nw, memory_order_seq_cst,
                                                           memory_order_relaxed);
        if (won) GOC_RACE_UNHIDDEN(GOC_TSAN_P_ACQUIRE(sy); GOC_TSAN_P_RELEASE(sy));
        lin_end(ch);
        if (!won) continue;
        /* seq_cst: B2 of the pair (senders); pin: I7 */
        if (GOC_UNLIKELY(atomic_load_explicit(&ch->nsendq, memory_order_seq_cst))) {
            atomic_fetch_add_explicit(&ch->pins, 1, memory_order_relaxed);
            *notify = true;
        }
        LF_HOOK(GOC_LF_HOOK_RECV_RESERVED, ch);
        hint_move(&ch->head, pos_next(ch, h));
#if LF_ONE_STEP
        /* seq_cst: a registered receiver's increment happened before the
         * mark a commit consumed, before our take read that commit */
        if (small && ch->one_step && GOC_UNLIKELY(atomic_load_explicit(&ch->nrecvq, memory_order_seq_cst)))
            recv_pass_on(ch, pos_next(ch, h));
#endif
        size_t esz LF_UNUSED = ch->elem_size;
        GOC_RACE_UNHIDDEN(if (elem && esz) GOC_TSAN_P_WRITE(elem, esz));
        if (small) {
            if (elem && esz) small_unpack(elem, v, esz);
            return 0;
        }
        if (elem && esz) lf_copy(elem, slot_buf(ch, s, b), esz);
        /* release: our copy-out happens before the buffer's next holder
         * writes it (its acquire claim CAS) */
        atomic_fetch_and_explicit(&s->w, ~(LF_W_BUSY(b) | LF_W_RECV(b)), memory_order_release);
        return 0;
    }
}

/* The two ring flavours, each compiled with `small` constant. */
static int ring_try_send_small(goc_chan *ch, const void *elem, bool *notify) {
    return ring_try_send_k(ch, elem, notify, true);
}
static int ring_try_send_big(goc_chan *ch, const void *elem, bool *notify) {
    return ring_try_send_k(ch, elem, notify, false);
}
static int ring_try_recv_small(goc_chan *ch, void *elem, bool *notify) {
    return ring_try_recv_k(ch, elem, notify, true);
}
static int ring_try_recv_big(goc_chan *ch, void *elem, bool *notify) {
    return ring_try_recv_k(ch, elem, notify, false);
}

/* Wakes one registered waiter of q, if a claimable one exists. */
static void notify_one(goc_chan *ch, lf_queue *q, _Atomic uint32_t *n) {
    lf_waiter *got = NULL;
    goc__lock_acquire(&ch->lock);
    for (goc__wnode *x = goc__wq_head(q); x; x = x->next) {
        lf_entry *e = LF_ENTRY(x);
        if (lf_claim(lf_entry_w(e), lf_entry_case(e))) {
            q_unlink(e);
            /* seq_cst: see q_remove */
            atomic_fetch_sub_explicit(n, 1, memory_order_seq_cst);
            got = lf_entry_w(e);
            break;
        }
        /* else: claimed elsewhere or aborted; its owner unlinks it */
    }
    chan_unlock(ch);
    if (got) lf_signal(got); /* got is blocked until this (I6) */
}

/* A ring operation plus the wakeup it owes: after a send, a registered
 * receiver; after a receive, a registered sender. */
static inline int ring_op(goc_chan *ch, bool is_send, void *elem) {
    bool notify = false;
    int r = ring_small(ch) ? (is_send ? ring_try_send_small(ch, elem, &notify) : ring_try_recv_small(ch, elem, &notify))
                           : (is_send ? ring_try_send_big(ch, elem, &notify) : ring_try_recv_big(ch, elem, &notify));
    if (GOC_UNLIKELY(notify)) {
        notify_one(ch, is_send ? &ch->recvq : &ch->sendq, is_send ? &ch->nrecvq : &ch->nsendq);
        /* release: our last access to ch happens before a free that sees
         * the pin gone (pairs with goc_chan_free's acquire load) */
        atomic_fetch_sub_explicit(&ch->pins, 1, memory_order_release);
    }
    return r;
}

/* GOC_NOW on LF_BUSY (a send finding both buffers of its slot held): wait,
 * spinning then yielding; the answer is re-evaluated every time. */
static int ring_op_now(goc_chan *ch, bool is_send, void *elem, int r) {
    for (unsigned step = 0; r == LF_BUSY; step++) {
        lf_backoff(step < LF_SPIN_STEPS ? step : LF_YIELD_STEP);
        r = ring_op(ch, is_send, elem);
    }
    return r;
}

/* Whether a buffered clause may be ready (the re-check of I5, seq_cst
 * loads: A2). A receiver may park only on (head, EMPTY) with no close
 * mark and no buffer held by a sender (a sender holding one is about to
 * commit at head, or to be beaten by one that does); a sender only on a
 * full ring, (tail - one_lap, FULL) with no mark. Anything else (a stale
 * hint included) answers "may be ready": the caller retries rather than
 * parks. On a one-step ring a receiver's "not ready" also leaves the RWAIT
 * mark on (head, EMPTY) (I5): called only after registering. */
static bool ring_may_be_ready(goc_chan *ch, bool is_send) {
    lf_pos p = atomic_load_explicit(is_send ? &ch->tail : &ch->head, memory_order_seq_cst);
    lf_pos ix = p & (ch->one_lap - 1);
    lf_slot *s = slot_at(ch, ix);
    uint64_t w = atomic_load_explicit(&s->w, memory_order_seq_cst);
    for (;;) {
        if (w & LF_W_CLOSED) return true;
        int64_t d = w_dist(w, ix, p);
        if (is_send) return !(d == -(int64_t)ch->one_lap && (w & LF_W_FULL));
        if (d != 0 || (w & LF_W_FULL)) return true;
        if (!ring_one_step(ch)) return (w & LF_W_BUSYALL & ~(w >> 2)) != 0; /* a buffer held by a sender */
        /* One-step ring: (p, EMPTY) and p is the next commit's position;
         * mark it (the A2 of I5 for this ring: the commit's CAS and this
         * one are RMWs of W, so one sees the other). seq_cst: as the
         * commit. Failed: W moved (a commit, close, another mark): judge
         * it again. */
        if (w & LF_W_RWAIT) return false;
        if (atomic_compare_exchange_strong_explicit(&s->w, &w, w | LF_W_RWAIT, memory_order_seq_cst,
                                                    memory_order_seq_cst))
            return false;
    }
}

/* Links e for ch's buffered clause and re-checks the ring; true if the
 * clause may be ready now (then the caller must not park). */
static bool buf_register(goc_chan *ch, lf_entry *e, bool is_send) {
    goc__lock_acquire(&ch->lock);
    q_link(is_send ? &ch->sendq : &ch->recvq, e);
    /* seq_cst: the waiter's store in the store-buffering pair of I5 */
    atomic_fetch_add_explicit(is_send ? &ch->nsendq : &ch->nrecvq, 1, memory_order_seq_cst);
    chan_unlock(ch);
    return ring_may_be_ready(ch, is_send);
}

/* A blocking buffered send or receive after its first attempt failed. */
static int ring_block(goc_chan *ch, bool is_send, void *elem, goc_time deadline, int r) {
    bool timed = goc__deadline_kind(deadline) == GOC_DL_AT;
    lf_spin sp = lf_spin_init(spin_ns(), timed ? deadline : 0);
    goc_time t0 = 0; /* when the first spin started its clock */
    bool slept = false, switched = false;
    for (;;) {
        /* spin: retry; never park while a partner is mid-way (LF_BUSY): it
         * is a few instructions from done */
        while (lf_spin_more(&sp) || r == LF_BUSY) {
            r = ring_op(ch, is_send, elem);
            if (r == 0 || r == -EPIPE) goto out;
            if (timed && (sp.i & 7) == 0 && goc_now() >= deadline) {
                r = -ETIMEDOUT;
                goto out;
            }
        }
        if (!t0) t0 = sp.start;
        if (timed && goc_now() >= deadline) {
            r = -ETIMEDOUT;
            goto out;
        }
        lf_op op;
        lf_waiter_init(&op.w);
        op.e = (lf_entry){.node = {.owner = &op.w}, .elem = elem, .case_id = LF_SEL_CASE0};
        if (buf_register(ch, &op.e, is_send)) {
            if (lf_claim(&op.w, LF_SEL_ABORTED)) {
                q_remove(ch, &op.e, is_send);
                /* typically a partner between its CAS and its commit: let it
                 * run rather than cycling through the lock. A one-step ring
                 * has no such partner: "may be ready" there is a value or
                 * room already there (or a lagging hint, or close) */
                if (!ring_one_step(ch)) sched_yield();
            } else {
                lf_park(&op.w, GOC_NEVER, NULL, "chan wake", ch); /* notified meanwhile: wait for DONE */
            }
        } else {
            int pr = lf_park(&op.w, deadline, NULL, is_send ? "chan send" : "chan recv", ch);
            if (pr == -ETIMEDOUT) {
                q_remove(ch, &op.e, is_send);
                r = -ETIMEDOUT;
                goto out;
            }
            slept |= pr == LF_PARK_SLEPT;
            /* claimed: by a notifier (a slot changed) or by close; the
             * claimer unlinked op.e */
        }
        /* close claimed us (err, published by lf_signal): it pinned ch for
         * this one retry, so that "close, then free" waits for it (I7) */
        bool pinned = op.e.err == -EPIPE;
        r = ring_op(ch, is_send, elem);
        /* release: our accesses to ch happen before a free that sees the
         * pin gone (pairs with goc_chan_free's acquire load) */
        if (pinned) atomic_fetch_sub_explicit(&ch->pins, 1, memory_order_release);
        if (r == 0 || r == -EPIPE) goto out;
        switched |= sp.switched;
        sp = lf_spin_init(LF_SPIN_NS_MIN, timed ? deadline : 0); /* a short spin, then register again */
    }
out:
    if (!t0) t0 = sp.start;
    /* thread-local; ch is not touched (I7). No clock started: a quick
     * hand-off, nothing to learn about the budget. */
    if (r != -ETIMEDOUT) {
        spin_learn_yield(switched || sp.switched);
        if (t0) spin_learn(goc_now() - t0, slept);
    }
    return r;
}

/* --------------------------------------------------------- unbuffered -- */

/* One rendezvous attempt: claims a waiting partner (never one of self's
 * own clauses) and moves the value. 0: done; -EPIPE: closed (a receive's
 * elem is zeroed); -EAGAIN: no partner, and `reg` (if not NULL) has been
 * linked in our queue under the same lock hold, so no partner can arrive
 * unseen. */
static int unbuf_op(goc_chan *ch, bool is_send, void *elem, const lf_waiter *self, lf_entry *reg) {
    goc__lock_acquire(&ch->lock);
    if (atomic_load_explicit(&ch->closed, memory_order_relaxed)) {
        chan_unlock(ch);
        if (!is_send) recv_closed(ch, elem);
        return -EPIPE;
    }
    lf_queue *q = is_send ? &ch->recvq : &ch->sendq;
    for (goc__wnode *n = goc__wq_head(q); n; n = n->next) {
        lf_entry *e = LF_ENTRY(n);
        lf_waiter *pw = lf_entry_w(e);
        if (pw == self) continue; /* a select never matches itself */
        if (!lf_claim(pw, lf_entry_case(e))) continue; /* claimed elsewhere / aborted */
        q_unlink(e);
        /* its other clauses on ch go too: the owner will not touch ch again */
        goc__wq_claimed(&e->node, &ch->recvq, &ch->sendq);
        size_t esz = ch->elem_size; /* read ch before the hand-off (I7) */
        chan_unlock(ch);
        /* The partner is blocked until lf_signal (I6): e and its buffer are
         * ours to use; the copy needs no lock. Precise build: Go's racesync,
         * both directions (the partner released tsan_w when it became
         * visible, acquires tsan_c when woken). */
        void *syw LF_UNUSED = SYNC_W(pw), *syc LF_UNUSED = SYNC_C(pw);
        /* (a send's read of its value was recorded at its entry: GOC_RACE_SEND_VALUE) */
        GOC_RACE_UNHIDDEN(GOC_TSAN_P_ACQUIRE(syw); if (!is_send && esz && elem) GOC_TSAN_P_WRITE(elem, esz));
        if (esz) {
            void *pb = lf_entry_buf(e); /* NULL: a receive that drops the value */
            if (is_send) {
                if (pb) lf_copy(pb, elem, esz);
            } else if (elem) {
                lf_copy(elem, pb, esz);
            }
        }
        e->err = 0;
        GOC_RACE_RELEASE(syc);
        lf_signal(pw);
        return 0;
    }
    if (reg) {
        void *syw LF_UNUSED = SYNC_W(lf_entry_w(reg));
        GOC_RACE_RELEASE(syw);
        q_link(is_send ? &ch->sendq : &ch->recvq, reg);
        ver_bump(ch);
    }
    chan_unlock(ch);
    return -EAGAIN;
}

/* The owner of an unbuffered clause that a partner or close completed. It
 * must not read the channel any more (I7): esz and the close sync address
 * were taken before it parked. */
static void unbuf_woken(void *sy_close, size_t esz, lf_waiter *w, bool is_send, void *elem, int err) {
    (void)w;
    if (err == 0) {
        void *syc LF_UNUSED = SYNC_C(w);
        /* (a send's read of its value was recorded at its entry: GOC_RACE_SEND_VALUE) */
        GOC_RACE_UNHIDDEN(GOC_TSAN_P_ACQUIRE(syc); if (!is_send && esz && elem) GOC_TSAN_P_WRITE(elem, esz));
    } else if (!is_send) {
        recv_closed_esz(sy_close, esz, elem);
    }
}

/* Unbuffered try-op that would block, answered without the lock (Go's fast
 * path; the memory-order argument is at goc__try_would_block, goc_waitq.h). */
static inline bool unbuf_would_block(const goc_chan *ch, bool is_send) {
    return goc__try_would_block(is_send, &ch->closed, NULL, 0, &ch->recvq, &ch->sendq);
}

/* The blocking path of an unbuffered send or receive (and of a try-op
 * that unbuf_would_block could not answer: its callers ask it first, so
 * that the lock-free answer does not pay this function's frame: pushes and
 * a 64-byte-aligned lf_op were half of ChanNonblocking's 4.7 ns). */
static int unbuf_block(goc_chan *ch, bool is_send, void *elem, goc_time deadline) {
    int kind = goc__deadline_kind(deadline);
    bool past = kind == GOC_DL_AT && goc_now() >= deadline;
    lf_op op;
    lf_waiter_init(&op.w);
    op.e = (lf_entry){.node = {.owner = &op.w}, .elem = elem, .case_id = LF_SEL_CASE0};
    /* read before we become visible: once linked, a partner may complete us
     * and the channel may be freed (I7) */
    size_t esz = ch->elem_size;
    /* a small value travels in the entry (LF_CASE_INL): a sender's is
     * copied in now, before the entry is linked; a receiver's is copied out
     * once a claimer completed us (its lf_signal orders the copy in) */
    bool inl = elem && esz && esz <= sizeof op.e.inl;
    if (inl) {
        op.e.case_id |= LF_CASE_INL;
        if (is_send) memcpy(op.e.inl, elem, esz);
    }
    void *sy_close = SYNC_CLOSE(ch);
    int r = unbuf_op(ch, is_send, elem, &op.w, kind == GOC_DL_NOW || past ? NULL : &op.e);
    if (r != -EAGAIN) return r;
    if (kind == GOC_DL_NOW) return -EAGAIN;
    if (past) return -ETIMEDOUT;
    /* registered: spin on our own futex word, then park */
    lf_spin sp = lf_spin_init(spin_ns(), 0);
    r = lf_park(&op.w, deadline, &sp, is_send ? "chan send" : "chan recv", ch);
    if (r != -ETIMEDOUT) spin_learn_yield(sp.switched);
    if (sp.start && r != -ETIMEDOUT) spin_learn(goc_now() - sp.start, r == LF_PARK_SLEPT);
    if (r == -ETIMEDOUT) {
        q_remove(ch, &op.e, is_send); /* not claimed: we are still linked, ch is alive */
        return -ETIMEDOUT;
    }
    r = op.e.err; /* written by the claimer before lf_signal; acquire in lf_park */
    if (inl && !is_send && r == 0) memcpy(elem, op.e.inl, esz);
    unbuf_woken(sy_close, esz, &op.w, is_send, elem, r);
    return r;
}

/* ---------------------------------------------------------- send/recv -- */

static int lf_api_chan_send(goc_chan *ch, const void *elem, goc_time deadline) {
    if (GOC_UNLIKELY(!chan_ok(ch) || (!elem && ch->elem_size))) return -EINVAL;
    GOC_RACE_SEND_VALUE(elem, ch->elem_size); /* before any edge of the send */
    goc__fuzz_point();
    if (GOC_LIKELY(ch->cap)) {
        int r = ring_op(ch, true, (void *)elem);
        if (GOC_LIKELY(r == 0 || r == -EPIPE)) return r;
        if (deadline == GOC_NOW) return ring_op_now(ch, true, (void *)elem, r);
        return ring_block(ch, true, (void *)elem, deadline, r);
    }
    if (deadline == GOC_NOW && unbuf_would_block(ch, true)) return -EAGAIN;
    return unbuf_block(ch, true, (void *)elem, deadline);
}

static int lf_api_chan_recv(goc_chan *ch, void *elem, goc_time deadline) {
    if (GOC_UNLIKELY(!chan_ok(ch))) return -EINVAL;
    goc__fuzz_point();
    if (GOC_LIKELY(ch->cap)) {
        int r = ring_op(ch, false, elem);
        if (GOC_LIKELY(r == 0 || r == -EPIPE)) return r;
        if (deadline == GOC_NOW) return ring_op_now(ch, false, elem, r);
        return ring_block(ch, false, elem, deadline, r);
    }
    if (deadline == GOC_NOW && unbuf_would_block(ch, false)) return -EAGAIN;
    return unbuf_block(ch, false, elem, deadline);
}

/* -------------------------------------------------------------- close -- */

/* Claims every claimable entry of q into *list (lock held). */
static void claim_all(goc_chan *ch, lf_queue *q, _Atomic uint32_t *n, lf_entry **list) {
    goc__wnode *x = goc__wq_head(q);
    while (x) {
        lf_entry *e = LF_ENTRY(x);
        x = x->next;
        if (lf_claim(lf_entry_w(e), lf_entry_case(e))) {
            q_unlink(e);
            if (n) {
                /* seq_cst: see q_remove */
                atomic_fetch_sub_explicit(n, 1, memory_order_seq_cst);
                /* buffered: the woken owner retries the ring (values sent
                 * before the close are still to be drained), after which it
                 * unpins; goc_chan_free waits for that (I7: "close, then
                 * free" is legal). relaxed: the signal's release publishes it */
                atomic_fetch_add_explicit(&ch->pins, 1, memory_order_relaxed);
            } else {
                /* unbuffered: the owner will not touch ch again */
                goc__wq_claimed(&e->node, &ch->recvq, &ch->sendq);
                if (e->node.dups) x = goc__wq_head(q); /* a sibling may have been the next one */
            }
            e->cnext = *list;
            *list = e;
        }
    }
}

/* Marks the ring closed: LF_W_CLOSED on W of the first uncommitted
 * position t, which is (t, EMPTY) or, on a full ring, (t - one_lap, FULL)
 * (whose take carries the mark to (t, EMPTY)). The mark's CAS is the close's
 * linearization point; commits happen in position order (I8), so no send
 * commits after it (each sees the mark: -EPIPE), and receivers drain what is
 * before t, then find the mark: -EPIPE. seq_cst: the waiters' re-check
 * (ring_may_be_ready) sees the mark or registered before close takes the
 * lock (I5); release: a receive that reports "closed" happens after (its
 * acquire W load). Returns 0, or -EPIPE if already closed. */
static int ring_close(goc_chan *ch) {
    lf_pos t = atomic_load_explicit(&ch->tail, memory_order_relaxed); /* a hint */
    for (;;) {
        lf_pos ix = t & (ch->one_lap - 1);
        lf_slot *s = slot_at(ch, ix);
        uint64_t w = atomic_load_explicit(&s->w, memory_order_relaxed);
        if (w & LF_W_CLOSED) return -EPIPE;
        int64_t d = w_dist(w, ix, t);
        if (d > 0 || (d == 0 && (w & LF_W_FULL))) {
            t = hint_move(&ch->tail, pos_skip(ch, t, ix, w, false));
            continue;
        }
        if (d != 0 && !(d == -(int64_t)ch->one_lap && (w & LF_W_FULL))) {
            t = atomic_load_explicit(&ch->tail, memory_order_relaxed); /* a stale hint */
            continue;
        }
        if (atomic_compare_exchange_weak_explicit(&s->w, &w, w | LF_W_CLOSED, memory_order_seq_cst,
                                                  memory_order_relaxed))
            return 0;
    }
}

static int lf_api_chan_close(goc_chan *ch) {
    if (!chan_ok(ch)) return -EINVAL;
    goc__fuzz_point();
    lf_entry *list = NULL;
    if (ch->cap) {
#ifdef GOC_TSAN_PRECISE_ON
        /* only the winning close announces its edge, before the mark can be
         * seen (a receive that sees it acquires tsan_close) */
        uint32_t z = 0;
        /* relaxed: only elects the annotating closer; the mark decides */
        if (!atomic_compare_exchange_strong_explicit(&ch->closing, &z, 1, memory_order_relaxed,
                                                     memory_order_relaxed)) {
            /* A losing close answers only once the winner's mark is in W:
             * before it, a send could still commit after our -EPIPE (not
             * linearizable; linearize-lockfree found it in this build). The
             * winner is a few instructions from its mark. acquire: pairs
             * with the winner's release store after the mark. */
            for (unsigned step = 0; !atomic_load_explicit(&ch->closed, memory_order_acquire); step++)
                lf_backoff(step < LF_SPIN_STEPS ? step : LF_YIELD_STEP);
            return -EPIPE;
        }
        void *syc = SYNC_CLOSE(ch);
        GOC_RACE_RELEASE(syc);
#endif
        if (ring_close(ch)) return -EPIPE;
#ifdef GOC_TSAN_PRECISE_ON
        atomic_store_explicit(&ch->closed, true, memory_order_release); /* the losers' wait */
#endif
        goc__lock_acquire(&ch->lock);
        claim_all(ch, &ch->recvq, &ch->nrecvq, &list);
        claim_all(ch, &ch->sendq, &ch->nsendq, &list);
        chan_unlock(ch);
    } else {
        goc__lock_acquire(&ch->lock);
        if (atomic_load_explicit(&ch->closed, memory_order_relaxed)) {
            chan_unlock(ch);
            return -EPIPE;
        }
        atomic_store_explicit(&ch->closed, true, memory_order_relaxed);
        void *syc LF_UNUSED = SYNC_CLOSE(ch);
        GOC_RACE_RELEASE(syc);
        ver_bump(ch);
        claim_all(ch, &ch->recvq, NULL, &list);
        claim_all(ch, &ch->sendq, NULL, &list);
        chan_unlock(ch);
    }
    /* wake after unlocking (Go's closechan); read cnext before the signal
     * lets the owner's frame go (I6) */
    while (list) {
        lf_entry *next = list->cnext;
        list->err = -EPIPE;
        lf_signal(lf_entry_w(list));
        list = next;
    }
    return 0;
}

/* --------------------------------------------------------------- free -- */

static void lf_api_chan_free(goc_chan *ch) {
    if (!ch) return;
    if (ch->magic != GOC_MAGIC_CHAN) {
        goc__misuse("goc_chan_free(%p): not a live channel (double free?)", (void *)ch);
        return;
    }
    goc__timer *t = ch->timer;
    if (t) {
        goc__timer_free(t); /* stops a goc_after timer; waits for a running callback */
        ch->timer = NULL;
    }
    /* acquire: pairs with the release unpin of a ring op still notifying
     * after its commit (I7); such an op is a few instructions from done */
    while (atomic_load_explicit(&ch->pins, memory_order_acquire)) sched_yield();
    goc__lock_acquire(&ch->lock);
    bool busy = goc__wq_head(&ch->recvq) || goc__wq_head(&ch->sendq);
    chan_unlock(ch);
    if (busy) {
        goc__misuse("goc_chan_free(%p): tasks are still blocked on it; leaking it instead", (void *)ch);
        return;
    }
    if (ch->cap && ch->dtor) {
        /* relaxed: all users are done (the caller's contract). The
         * committed, untaken values from head (settled: I8) on. */
        lf_pos p = pos_settled(ch, atomic_load_explicit(&ch->head, memory_order_relaxed), true);
        for (size_t i = 0; i < ch->cap; i++, p = pos_next(ch, p)) {
            lf_pos ix = p & (ch->one_lap - 1);
            lf_slot *s = slot_at(ch, ix);
            uint64_t w = atomic_load_explicit(&s->w, memory_order_relaxed);
            if (w_dist(w, ix, p) != 0 || !(w & LF_W_FULL)) break;
            void (*dtor)(void *) = ch->dtor;
            void *arg = ch->elem_size ? slot_buf(ch, s, (w & LF_W_WHICH) ? 1 : 0) : NULL;
            GOC_RACE_UNHIDDEN(dtor(arg)); /* user code: not hidden */
        }
    }
    ch->magic = GOC_MAGIC_DEAD;
#ifdef GOC_TSAN_PRECISE_ON
    goc__free(ch->tsan_slots);
#endif
    goc__free(ch->buf_raw);
    goc__free(ch->raw);
}

/* ------------------------------------------------------------- select -- */

/* A GOC_NOW select retries its poll at most this often when the snapshot
 * keeps moving, then answers would-block. */
#define SEL_NOW_TRIES 64

/* The state a clause's readiness depends on, for the GOC_NOW snapshot:
 * buffered: the settled position of the clause's side and W of its slot
 * (with the close mark); unbuffered: the version counter (a partner linked or
 * close). Each changes whenever the clause may turn from not ready to
 * ready; positions are 64-bit and monotone, so no ABA in a poll's time. */
typedef struct sel_ver {
    uint64_t a, b, c;
} sel_ver;

static void case_version(const goc_case *cs, sel_ver *v) {
    goc_chan *ch = cs->ch;
    if (ch->cap) {
        /* seq_cst: the snapshot is ordered with the ring's seq_cst CASes.
         * The hints may lag (even move back: I8), so the version is the
         * settled position of the clause's side, walked to from its hint
         * (the first uncommitted position for a send, the first untaken
         * for a receive; monotone), and W of its slot, which changes with
         * every claim, commit, take, release and close mark there: a send
         * clause turns ready when the take of the previous lap's value or
         * the mark changes W[t], a receive clause when the commit or the
         * mark changes W[h] (with h < t it is ready already) */
        bool snd = cs->op == GOC_SEND;
        v->a = pos_settled_w(ch, atomic_load_explicit(snd ? &ch->tail : &ch->head, memory_order_seq_cst), !snd,
                             memory_order_seq_cst, &v->c);
        v->b = 0;
    } else {
        /* seq_cst: pairs with ver_bump */
        v->a = atomic_load_explicit(&ch->ver, memory_order_seq_cst);
        v->b = v->c = 0;
    }
}

static inline bool case_send(const goc_case *c) { return c->op == GOC_SEND; }

/* Pass 1 on one clause: 0 fired (c->err set), -EAGAIN not ready, LF_BUSY. */
static int sel_try(goc_case *c, const lf_waiter *self) {
    goc_chan *ch = c->ch;
    int r;
    if (ch->cap) r = ring_op(ch, case_send(c), c->elem);
    else r = unbuf_op(ch, case_send(c), c->elem, self, NULL);
    if (r == 0 || r == -EPIPE) {
        c->err = r;
        return 0;
    }
    return r;
}

/* Pass 2 on one clause: links e; true if the clause may be ready (then the
 * select must not park). Unbuffered readiness: a claimable partner that is
 * not ourselves, or closed. */
static bool sel_register(goc_case *c, lf_entry *e, const lf_waiter *self) {
    goc_chan *ch = c->ch;
    bool is_send = case_send(c);
    if (ch->cap) return buf_register(ch, e, is_send);
    bool ready = false;
    goc__lock_acquire(&ch->lock);
    /* relaxed, under the lock: a claim by a partner on this channel was made
     * under it. Claimed already: do not link (its claimer could not unlink
     * this entry, and we must not come back to this channel: goc_waitq.h) */
    if (atomic_load_explicit(&self->sel, memory_order_relaxed) != LF_SEL_WAITING) {
        chan_unlock(ch);
        return true;
    }
    if (atomic_load_explicit(&ch->closed, memory_order_relaxed)) {
        ready = true;
    } else {
        for (goc__wnode *pn = goc__wq_head(is_send ? &ch->recvq : &ch->sendq); pn; pn = pn->next) {
            lf_entry *p = LF_ENTRY(pn);
            /* relaxed: a hint under the lock; a claim is decided by CAS */
            lf_waiter *pw = lf_entry_w(p);
            if (pw != self && atomic_load_explicit(&pw->sel, memory_order_relaxed) == LF_SEL_WAITING) {
                ready = true;
                break;
            }
        }
    }
    void *syw LF_UNUSED = SYNC_W(lf_entry_w(e));
    GOC_RACE_RELEASE(syw);
    q_link(is_send ? &ch->sendq : &ch->recvq, e);
    ver_bump(ch);
    chan_unlock(ch);
    return ready;
}

/* m: the enabled clauses, from goc__select_check (the caller validated) */
static int lf_api_select(goc_case *cases, size_t n, size_t m, goc_time deadline) {
    goc__fuzz_point();
    int kind = goc__deadline_kind(deadline);
    bool timed = kind == GOC_DL_AT;
    if (!m) {
        /* Go's select{} (or with only nil channels): nothing can fire */
        if (kind == GOC_DL_NOW) return -EAGAIN;
        lf_waiter w;
        lf_waiter_init(&w);
        int r = lf_park(&w, deadline, NULL, "select (no cases)", NULL);
        return r < 0 ? r : -ETIMEDOUT; /* nobody can claim w */
    }

    if (m == 1 && kind == GOC_DL_NOW) { /* Go's one case + default: a try-op */
        size_t i = goc__select_single(cases);
        if (!cases[i].ch->cap && unbuf_would_block(cases[i].ch, case_send(&cases[i]))) return -EAGAIN;
    }

    /* the plan (goc_select_plan.h): order[] the poll order, ents[] and
     * vers[] per enabled clause, on the stack or in one heap block */
    lf_entry ents_s[GOC_SEL_STACK];
    sel_ver vers_s[GOC_SEL_STACK];
    goc__sel plan;
    if (goc__sel_init(&plan, m, ents_s, sizeof *ents_s, m * sizeof(sel_ver))) return -ENOMEM;
    const uint16_t *order = plan.order;
    lf_entry *ents = plan.per; /* ents[k] is the entry of clause order[k] */
    /* vers[k]: clause order[k]'s state before the poll (GOC_NOW) */
    sel_ver *vers = plan.heap ? goc__sel_extra(&plan, sizeof *ents_s) : vers_s;
    goc__sel_order(&plan, cases, n);

    lf_waiter w;
    int r;
    unsigned step = 0, tries = 0;
    bool spinning = false;                       /* sp is set up */
    lf_spin sp = lf_spin_init(0, 0);             /* the spin before registering */
    goc_time t0 = 0;                             /* when sp's clock first started */
    bool slept = false;
    bool snap = kind == GOC_DL_NOW && m > 1;
    for (bool first = true;; first = false) {
        /* pass 1: poll the clauses in a random order, fresh on every round,
         * so the first ready one is uniform among the ready ones */
        if (!first) goc__sel_reshuffle(&plan);
        if (snap)
            for (size_t k = 0; k < m; k++) case_version(&cases[order[k]], &vers[k]);
        bool busy = false;
        for (size_t k = 0; k < m; k++) {
            r = sel_try(&cases[order[k]], NULL);
            if (r == 0) {
                r = (int)order[k];
                goto out;
            }
            if (r == LF_BUSY) busy = true;
        }
        if (kind == GOC_DL_NOW) {
            if (!busy) {
                /* Go's select with default sees one instant (RG04, C12):
                 * answer "none ready" only if no clause's state moved
                 * between before and after the poll (double collect). */
                bool stable = true;
                for (size_t k = 0; snap && stable && k < m; k++) {
                    sel_ver v;
                    case_version(&cases[order[k]], &v);
                    stable = !memcmp(&v, &vers[k], sizeof v);
                }
                if (stable || ++tries >= SEL_NOW_TRIES) {
                    r = -EAGAIN;
                    goto out;
                }
                continue;
            }
            /* a stalled partner with a completed operation behind it: wait */
            lf_backoff(step < LF_SPIN_STEPS ? step++ : LF_YIELD_STEP);
            continue;
        }
        if (timed && goc_now() >= deadline) {
            r = -ETIMEDOUT;
            goto out;
        }
        if (!spinning) {
            spinning = true;
            sp = lf_spin_init(spin_ns(), timed ? deadline : 0);
        }
        if (lf_spin_more(&sp) || busy) continue;
        if (!t0) t0 = sp.start;

        /* pass 2: register one entry per clause, re-checking each */
        lf_waiter_init(&w);
        size_t nreg = 0;
        bool ready = false;
        /* one channel in several clauses (goc_waitq.h): fewer distinct
         * channels than clauses in the plan's lock order */
        goc__sel_lock_order(&plan, cases);
        bool dups = goc__select_has_dups(plan.nl, m);
        for (size_t k = 0; k < m && !ready; k++) {
            goc_case *c = &cases[order[k]];
            ents[k] = (lf_entry){.node = {.owner = &w, .dups = dups}, .elem = c->elem,
                                 .case_id = LF_SEL_CASE0 + order[k], .esz = c->ch->elem_size,
                                 .unbuf = !c->ch->cap, .sy_close = SYNC_CLOSE(c->ch)};
            ready = sel_register(c, &ents[k], &w);
            nreg++;
        }
        int pr = 0;
        if (ready) {
            if (!lf_claim(&w, LF_SEL_ABORTED)) lf_park(&w, GOC_NEVER, NULL, "select wake", NULL); /* claimed meanwhile */
        } else {
            /* pass 3: park until a partner, notifier or close claims us */
            lf_spin psp = lf_spin_init(LF_SPIN_NS_MIN, 0);
            pr = lf_park(&w, deadline, &psp, "select", cases[order[0]].ch);
            slept |= pr != 0;
        }
        /* cleanup on every exit path: unlink what the claimer did not. An
         * unbuffered clause that fired was completed by its claimer, which
         * unlinked every entry of ours on that channel, and the partner may
         * have freed the channel since: it is not touched (goc_waitq.h). */
        uint32_t sel = atomic_load_explicit(&w.sel, memory_order_acquire); /* pairs with lf_claim */
        goc_chan *done_ch = NULL; /* read from our own entries, never from the channel */
        for (size_t k = 0; k < nreg; k++)
            if (ents[k].case_id == sel && ents[k].unbuf) done_ch = cases[sel - LF_SEL_CASE0].ch;
        for (size_t k = 0; k < nreg; k++) {
            goc_case *c = &cases[order[k]];
            if (ents[k].case_id != sel && c->ch != done_ch) q_remove(c->ch, &ents[k], case_send(c));
        }
        if (pr == -ETIMEDOUT) {
            r = -ETIMEDOUT;
            goto out;
        }
        if (sel == LF_SEL_ABORTED) {
            sp = lf_spin_init(LF_SPIN_NS_MIN, timed ? deadline : 0);
            continue; /* a clause looked ready: poll again */
        }
        uint32_t i = sel - LF_SEL_CASE0;
        goc_case *c = &cases[i];
        size_t k = 0;
        while (ents[k].case_id != sel) k++;
        if (ents[k].unbuf) {
            /* unbuffered: the claimer completed the operation; c->ch may be
             * freed by the partner already (I7): use what the entry kept */
            c->err = ents[k].err;
            unbuf_woken(ents[k].sy_close, ents[k].esz, &w, case_send(c), c->elem, c->err);
            r = (int)i;
            goto out;
        }
        /* buffered: notified that clause i may go through; try it alone
         * (RG05: taking another clause would strand the value). If close
         * claimed us, it pinned the channel for this retry (see ring_block). */
        bool pinned = ents[k].err == -EPIPE;
        r = sel_try(c, NULL);
        if (pinned) atomic_fetch_sub_explicit(&c->ch->pins, 1, memory_order_release);
        if (r == 0) {
            r = (int)i;
            goto out;
        }
        sp = lf_spin_init(LF_SPIN_NS_MIN, timed ? deadline : 0);
    }
out:
    if (spinning && r != -ETIMEDOUT && r != -EAGAIN) spin_learn_yield(sp.switched);
    if (t0 && r != -ETIMEDOUT && r != -EAGAIN) spin_learn(goc_now() - t0, slept);
    goc__sel_done(&plan);
    return r;
}

/* --------------------------------------------------------- public API --
 * Each public call runs its body hidden in the precise TSan build (the race
 * layer of goc_tsan.h: lf.h); elsewhere these wrappers inline away. The
 * strict-object option reads (send, select's send clauses) or writes (close)
 * the channel object, as Go's chansend/closechan do. */
goc_chan *goc_chan_make(size_t elem_size, size_t cap) {
    GOC_RACE_CALL_BEGIN();
    goc_chan *r = lf_api_chan_make(elem_size, cap);
    GOC_RACE_CALL_END();
    return r;
}
int goc_chan_set_dtor(goc_chan *ch, void (*dtor)(void *)) {
    GOC_RACE_CALL_BEGIN();
    int r = lf_api_chan_set_dtor(ch, dtor);
    GOC_RACE_CALL_END();
    return r;
}
size_t goc_chan_cap(const goc_chan *ch) {
    GOC_RACE_CALL_BEGIN();
    size_t r = lf_api_chan_cap(ch);
    GOC_RACE_CALL_END();
    return r;
}
size_t goc_chan_len(const goc_chan *ch) {
    GOC_RACE_CALL_BEGIN();
    size_t r = lf_api_chan_len(ch);
    GOC_RACE_CALL_END();
    return r;
}
int(goc_chan_send)(goc_chan *ch, const void *elem, goc_time deadline) {
    GOC_RACE_CALL_BEGIN();
    GOC_RACE_STRICT_READ(ch);
    int r = lf_api_chan_send(ch, elem, deadline);
    GOC_RACE_CALL_END();
    return r;
}
int(goc_chan_recv)(goc_chan *ch, void *elem, goc_time deadline) {
    GOC_RACE_CALL_BEGIN();
    int r = lf_api_chan_recv(ch, elem, deadline);
    GOC_RACE_CALL_END();
    return r;
}
int goc_chan_close(goc_chan *ch) {
    GOC_RACE_CALL_BEGIN();
    GOC_RACE_STRICT_WRITE(ch);
    int r = lf_api_chan_close(ch);
    GOC_RACE_CALL_END();
    return r;
}
void goc_chan_free(goc_chan *ch) {
    GOC_RACE_CALL_BEGIN();
    lf_api_chan_free(ch);
    GOC_RACE_CALL_END();
}
int(goc_select)(goc_case *cases, size_t n, goc_time deadline) {
    GOC_RACE_CALL_BEGIN();
    /* validate before touching cases[] beyond what the check reads: a bad n
     * (or op, or channel) is -EINVAL in every build, never a read past the
     * array (the strict loop below used to run first, bounded only by
     * GOC_SELECT_MAX, and overflowed a short array in the precise build) */
    long ne = goc__select_check(cases, n);
    if (ne < 0) {
        GOC_RACE_CALL_END();
        return (int)ne;
    }
    GOC_SEL_RACE_ENTRY(cases, n);
    int r = lf_api_select(cases, n, (size_t)ne, deadline);
    GOC_RACE_CALL_END();
    return r;
}
