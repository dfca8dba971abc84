/*
 * lf.h: internals of the lockfree backend (channels, select, mutex,
 * WaitGroup). Tasks, timers, goc_after and goc_fd_wait come from
 * backends/common (the thread layer). See README.md for the protocols and
 * their proofs; this header states the objects and their contracts.
 */
#ifndef GOC_LF_H
#define GOC_LF_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "goc_internal.h"
#include "goc_tsan.h"
#include "goc_waitq.h"

/* ------------------------------------------------- test-build options -- */

/* Test hooks (GOC_LF_TEST_HOOKS, the goc_lockfree_seq8 test library only,
 * a name kept from when it also had 8-bit stamps; the production library
 * compiles them out). See goc_lf_test.h. */
#ifdef GOC_LF_TEST_HOOKS
#include "goc_lf_test.h"
extern _Atomic(goc_lf_hook_fn) goc__lf_hooks[GOC_LF_HOOK_COUNT];
static inline void lf_hook(int point, const void *obj) {
    /* relaxed: a test installs hooks before starting the tasks it races */
    goc_lf_hook_fn fn = atomic_load_explicit(&goc__lf_hooks[point], memory_order_relaxed);
    if (fn) fn(point, obj);
}
#define LF_HOOK(point, obj) lf_hook((point), (obj))
#else
#define LF_HOOK(point, obj) ((void)0)
#endif

/* ------------------------------------------- TSan precise build (races) --
 * GOC_TSAN_PRECISE (TESTING.md (b)), with the one race layer of goc_tsan.h:
 * every public entry point runs its whole body between GOC_RACE_CALL_BEGIN
 * and GOC_RACE_CALL_END (the wrappers at the end of chan.c and sync.c), so
 * the ring's atomics, the futex words, the internal lock and every plain
 * access are invisible to TSan; only Go's happens-before edges and the
 * user's payload accesses are announced, each stepping out of the hidden
 * region (GOC_RACE_ACQUIRE/RELEASE, GOC_RACE_UNHIDDEN(...)). In other builds
 * GOC_RACE_UNHIDDEN runs its argument as is and the wrappers inline away. */

/* ------------------------------------------------------------ backoff -- */

/* Step-count backoff in the spirit of crossbeam's Backoff, for the short
 * waits that need no learning (the mutex and WaitGroup spin before they
 * register, a GOC_NOW op waiting for a stalled partner): steps 0..3 re-poll
 * at once (a ring operation takes ~15 ns, a `pause` ~30 ns on the AMD EPYC
 * we measure on, up to ~40 ns on recent Intel), steps 4..LF_SPIN_STEPS-1
 * spin min(2^(step-4), 8) pauses, later steps yield. LF_STEPS_MIN steps are
 * ~1.5 us. Channel waits use the learnt, timed spin of chan.c (lf_spin). */
#define LF_SPIN_STEPS 24
#define LF_STEPS_MIN 14
#define LF_YIELD_STEP LF_SPIN_STEPS /* lf_backoff(LF_YIELD_STEP) yields */

static inline void lf_backoff(unsigned step) {
    if (step < 4) return;
    if (step < LF_SPIN_STEPS) {
        unsigned n = step < 7 ? 1u << (step - 4) : 8u;
        for (unsigned i = 0; i < n; i++) goc__cpu_relax();
    } else {
        sched_yield();
    }
}

/* Element copy with the common sizes inlined (the 8-byte message of every
 * benchmark becomes one load and one store). */
static inline void lf_copy(void *dst, const void *src, size_t n) {
    switch (n) {
    case 8: memcpy(dst, src, 8); return;
    case 4: memcpy(dst, src, 4); return;
    case 16: memcpy(dst, src, 16); return;
    default: memcpy(dst, src, n); return;
    }
}

/* --------------------------------------------------- waiters (parking) -- */

/* One blocking call: a plain blocking send/recv, or a whole select. It lives
 * on the blocked task's stack.
 *
 *   sel   claimed exactly once, by the first CAS from LF_SEL_WAITING: to
 *         LF_SEL_CASE0 + i by a partner/notifier/closer acting on clause i, or
 *         to LF_SEL_ABORTED by the owner itself (deadline, or it found a
 *         clause ready while registering).
 *   wake  the futex word: LF_W_RUN -> LF_W_PARKED (owner, before FUTEX_WAIT)
 *         and {RUN, PARKED} -> LF_W_DONE (the claimer, by exchange, after its
 *         last access to the waiter's entries). The owner never returns
 *         while a claimer may still touch its stack: once sel is claimed by
 *         someone else it waits for DONE, with no deadline.
 * No lost wakeup: the word the claimer changes is the word FUTEX_WAIT
 * compares (README.md, "Parking"). */
enum { LF_SEL_WAITING = 0, LF_SEL_ABORTED = 1, LF_SEL_CASE0 = 2 };
enum { LF_W_RUN = 0, LF_W_PARKED = 1, LF_W_DONE = 2 };

typedef struct lf_waiter {
    _Atomic uint32_t sel;
    _Atomic uint32_t wake;
#ifdef GOC_TSAN_PRECISE_ON
    char tsan_w; /* sync address: released by the owner when it becomes visible */
    char tsan_c; /* sync address: released by the claimer after the transfer */
#endif
} lf_waiter;

static inline void lf_waiter_init(lf_waiter *w) {
    atomic_init(&w->sel, LF_SEL_WAITING);
    atomic_init(&w->wake, LF_W_RUN);
}

/* The claimer's last act on a waiter. release: publishes everything the
 * claimer wrote for the owner (the value copied into its buffer, entry
 * err); pairs with the owner's acquire load/CAS of `wake` in lf_park. The
 * futex_wake after the exchange only passes the address to the kernel: the
 * owner may already have returned, and a stray wake is harmless (every wait
 * re-checks its predicate). */
static inline void lf_signal(lf_waiter *w) {
    if (atomic_exchange_explicit(&w->wake, LF_W_DONE, memory_order_release) == LF_W_PARKED)
        goc__futex_wake(&w->wake, 1);
}

/* Tries to claim w for clause value `v` (LF_SEL_CASE0 + i). acq_rel: the
 * acquire half orders the claimer after the owner's registration (also
 * ordered by the channel lock the claimer holds); the release half orders
 * the claim before the owner's acquire load of sel. */
static inline bool lf_claim(lf_waiter *w, uint32_t v) {
    uint32_t z = LF_SEL_WAITING;
    return atomic_compare_exchange_strong_explicit(&w->sel, &z, v, memory_order_acq_rel,
                                                   memory_order_relaxed);
}

/* Waits until w is claimed and signalled, or until the deadline passes and
 * the owner's own abort CAS wins (-ETIMEDOUT). With a spin budget sp (NULL:
 * none; see lf_spin in chan.c) it first spins polling the waiter's own word,
 * which only the claimer writes, so a partner on another core hands off
 * without a system call. Before a FUTEX_WAIT it records `what`/`obj` for the
 * task report. Returns 0 if claimed while spinning, LF_PARK_SLEPT if it
 * slept first. */
#define LF_PARK_SLEPT 1
struct lf_spin;
int lf_park(lf_waiter *w, goc_time deadline, struct lf_spin *sp, const char *what, const void *obj);
/* ------------------------------------------------------ wait queues -- */

/* One clause of a blocking call, linked into one channel's send or receive
 * queue. Fields are set once by the owner before it is linked, except
 * `err` and an inline value (written by the claimer before lf_signal) and
 * the links. The waiter is node.owner (every entry is made with it). */
typedef struct lf_entry {
    goc__wnode node;  /* links guarded by the channel's lock (goc_waitq.h) */
    union {
        void *elem;   /* unbuffered: the sender's value / receiver's buffer */
        unsigned char inl[sizeof(void *)]; /* LF_CASE_INL: the value itself */
    };
    uint32_t case_id; /* what a claim CASes into the waiter's sel, | LF_CASE_INL */
    int err;          /* result for the owner: 0 or -EPIPE (close claimed it; on a
                       * buffered channel close also pinned the channel for the
                       * owner's retry, which unpins it: I7) */
    /* --- not touched by a claimer of an unbuffered clause --- */
    struct lf_entry *cnext; /* claimer-private list (close) */
    bool unbuf;       /* select: the clause's channel is unbuffered */
    uint32_t esz;     /* select: the channel's elem_size, kept for after a claim */
    void *sy_close;   /* select: the channel's close sync address (precise TSan) */
} lf_entry;

/* case_id flag of a plain unbuffered op whose value (<= 8 bytes) travels in
 * the entry itself (`inl`) rather than through a pointer to the owner's
 * variable: the claimer then touches one cache line of the owner's, the one
 * the owner spins on (see lf_op), instead of two or three. */
#define LF_CASE_INL 0x80000000u

static inline lf_waiter *lf_entry_w(const lf_entry *e) { return (lf_waiter *)(uintptr_t)e->node.owner; }
static inline uint32_t lf_entry_case(const lf_entry *e) { return e->case_id & ~LF_CASE_INL; }
/* Where the claimer copies the value to (receive) or from (send). */
static inline void *lf_entry_buf(lf_entry *e) { return (e->case_id & LF_CASE_INL) ? (void *)e->inl : e->elem; }

/* A plain blocking call's waiter and its one entry. Everything a claimer
 * touches (sel, wake, the links, the value or its pointer, case_id, err)
 * is in the first 64 bytes, the line the owner spins on: a hand-off moves
 * that line and the channel's lock line, nothing else of the owner's. */
typedef struct lf_op {
    lf_waiter w;
    lf_entry e;
} __attribute__((aligned(64))) lf_op;
#ifndef GOC_TSAN_PRECISE_ON /* (the precise build's sync bytes make the waiter 12 bytes) */
_Static_assert(offsetof(lf_op, e) + offsetof(lf_entry, cnext) <= 64,
               "lf_op: the claimer's fields must fit the owner's first cache line");
#endif

typedef goc__wq lf_queue;
#define LF_ENTRY(n) GOC__CONTAINER_OF((n), lf_entry, node)

/* ----------------------------------------------------------- the ring -- */

/* A position: lap | index (crossbeam's layout). index < cap sits in the
 * low bits, one_lap = next_pow2(cap). Positions are free-running 64-bit
 * values compared only through wrapping differences (chan.c I1); the close
 * mark lives in W (LF_W_CLOSED), not in the position. */
typedef uint64_t lf_pos;

/* A slot: its state word W, then LF_K element buffers (one on a one-step
 * ring, chan.c ring_k; each elem_size
 * rounded up to 8 bytes); chan.c's slot_stride may pad it to 128 bytes.
 * W's bits (chan.c states the protocol, I2):
 *   LF_W_BUSY(b)  buffer b is held: by a sender that claimed it and is
 *                 copying in, or by a receiver that took its value and is
 *                 copying out (then LF_W_RECV(b) is set too)
 *   LF_W_RECV(b)  the holder of buffer b is a receiver
 *   LF_W_WHICH    FULL: the value is in buffer 1 (else buffer 0)
 *   LF_W_FULL     the position the slot serves holds a committed value
 *   LF_W_CLOSED   the close mark (on the first uncommitted position, or on
 *                 the full slot of the previous lap, carried by its take)
 *   LF_W_RWAIT    one-step ring only (LF_ONE_STEP, elements of at most 8
 *                 bytes): on (p, EMPTY), a receiver is registered and may
 *                 be parked waiting for p; the send that commits p must
 *                 notify (chan.c I5)
 *   stamp         the position the slot serves now, stored minus the slot
 *                 index and modulo 2^LF_W_STAMP_BITS, so that a calloc'd
 *                 (zero) buffer is the initial state (slot i serves i)
 * without touching pages. */
#define LF_K 2
#define LF_W_BUSY(b) ((uint64_t)1 << (b))
#define LF_W_RECV(b) ((uint64_t)4 << (b))
#define LF_W_BUSYALL ((uint64_t)3)
#define LF_W_RECVALL ((uint64_t)12)
#define LF_W_WHICH ((uint64_t)16)
#define LF_W_FULL ((uint64_t)32)
#define LF_W_CLOSED ((uint64_t)64)
#define LF_W_RWAIT ((uint64_t)128)
#define LF_W_SHIFT 8
#define LF_W_STAMP_BITS (64 - LF_W_SHIFT)
/* The one-step send (x86-64: cmpxchg16b): on a ring of elements of at most
 * 8 bytes, W and the slot's one buffer word form an aligned 16-byte pair
 * that a send's single CAS writes together (chan.c, README section 1). */
#if defined(__x86_64__)
#define LF_ONE_STEP 1
#else
#define LF_ONE_STEP 0
#endif
typedef struct lf_slot {
    _Atomic uint64_t w;
    unsigned char data[] __attribute__((aligned(8)));
} lf_slot;

#endif
