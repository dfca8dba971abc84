/*
 * bare_ring.h: a bare bounded ring (Dmitry Vyukov's MPMC queue: one
 * sequence stamp per cell, a CAS on the index), 8-byte values, no blocking,
 * no close, no waiter check: the floor that issue 15 measures a buffered
 * channel against ("SPSC cap 1024 <= 1.3x the bare ring"). Used by the
 * micro catalogue (BareRing/cap:1024 in harness/bench_micro.c, beside
 * SPSC/cap:1024 in every bench run) and by backends/lockfree/bench/lf_bench.c.
 *
 * A full or empty ring is polled with a pause; after BR_YIELD_AFTER failed
 * polls the task yields (goc_yield), so that the coro backend with one
 * worker, where producer and consumer share a thread, makes progress too.
 * The yield is off the path of a ring that keeps up.
 */
#ifndef GOC_BARE_RING_H
#define GOC_BARE_RING_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <goc/goc.h>

#define BR_YIELD_AFTER 64

typedef struct br_cell {
    _Atomic uint64_t seq; /* pos: free for the producer of pos; pos + 1: holds pos's value */
    uint64_t v;           /* guarded by seq: written by the owner between CAS and release store */
} br_cell;

typedef struct bare_ring {
    _Alignas(64) _Atomic uint64_t tail; /* producers' line */
    _Alignas(64) _Atomic uint64_t head; /* consumers' line */
    _Alignas(64) uint64_t mask;         /* cap - 1, cap a power of two; read-only */
    br_cell *cells;
} bare_ring;

/* cap must be a power of two. 0, or -1 when out of memory. */
static inline int br_init(bare_ring *r, uint64_t cap) {
    r->cells = (br_cell *)aligned_alloc(64, ((cap * sizeof(br_cell) + 63) / 64) * 64);
    if (!r->cells) return -1;
    r->mask = cap - 1;
    for (uint64_t i = 0; i < cap; i++) {
        atomic_init(&r->cells[i].seq, i);
        r->cells[i].v = 0;
    }
    atomic_init(&r->tail, 0);
    atomic_init(&r->head, 0);
    return 0;
}

static inline void br_destroy(bare_ring *r) { free(r->cells); }

static inline void br_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static inline void br_pause(unsigned *fails) {
    if (++*fails % BR_YIELD_AFTER == 0)
        goc_yield();
    else
        br_cpu_relax();
}

static inline void br_send(bare_ring *r, uint64_t v) {
    unsigned fails = 0;
    /* relaxed: a hint, validated by the CAS */
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    for (;;) {
        br_cell *c = &r->cells[t & r->mask];
        /* acquire: pairs with the consumer's release of this cell a lap ago */
        uint64_t s = atomic_load_explicit(&c->seq, memory_order_acquire);
        if (s == t) {
            /* relaxed: the cell's stamp orders the data, the CAS only
             * picks the owner */
            if (atomic_compare_exchange_weak_explicit(&r->tail, &t, t + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                c->v = v;
                /* release: publishes v; pairs with the consumer's acquire */
                atomic_store_explicit(&c->seq, t + 1, memory_order_release);
                return;
            }
        } else if ((int64_t)(s - t) < 0) { /* full: the cell holds last lap's value */
            br_pause(&fails);
            t = atomic_load_explicit(&r->tail, memory_order_relaxed);
        } else {
            t = atomic_load_explicit(&r->tail, memory_order_relaxed);
        }
    }
}

static inline uint64_t br_recv(bare_ring *r) {
    unsigned fails = 0;
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed); /* hint */
    for (;;) {
        br_cell *c = &r->cells[h & r->mask];
        /* acquire: pairs with the producer's release store */
        uint64_t s = atomic_load_explicit(&c->seq, memory_order_acquire);
        if (s == h + 1) {
            if (atomic_compare_exchange_weak_explicit(&r->head, &h, h + 1, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                uint64_t v = c->v;
                /* release: our read happens before the next lap's write */
                atomic_store_explicit(&c->seq, h + r->mask + 1, memory_order_release);
                return v;
            }
        } else if ((int64_t)(s - (h + 1)) < 0) { /* empty */
            br_pause(&fails);
            h = atomic_load_explicit(&r->head, memory_order_relaxed);
        } else {
            h = atomic_load_explicit(&r->head, memory_order_relaxed);
        }
    }
}

/* A bare ping-pong: ChanSync's round trip (root -> echo -> root) through two
 * atomic words on lines of their own, polled with the same pause/yield as
 * the ring. No blocking, no close, no value buffer: two cache-line hand-
 * offs per round trip, the floor any unbuffered channel between two
 * threads on two cores pays (BarePingPong/real_time in the micro catalogue;
 * issue 15 compares ChanSync against it). */
typedef struct bare_pingpong {
    _Alignas(64) _Atomic uint64_t ping; /* written by the root only */
    _Alignas(64) _Atomic uint64_t pong; /* written by the echo only */
} bare_pingpong;

/* Waits until *w == want. acquire: pairs with the writer's release store
 * (what the writer did before it is visible after). */
static inline void bp_wait(_Atomic uint64_t *w, uint64_t want) {
    unsigned fails = 0;
    while (atomic_load_explicit(w, memory_order_acquire) != want) br_pause(&fails);
}

/* release: publishes the writer's work before the partner's bp_wait */
static inline void bp_post(_Atomic uint64_t *w, uint64_t v) { atomic_store_explicit(w, v, memory_order_release); }

#endif
