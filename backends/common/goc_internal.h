/*
 * goc_internal.h: what every backend shares (backends/common/). Never
 * included by workloads; they see only include/goc/goc.h.
 *
 *   time and deadlines        goc__ts_from(), goc__deadline_kind()
 *   allocation                goc__malloc/calloc/free (fault-injectable)
 *   task registry             goc_task_rec, goc__registry_*, goc__wait_begin/end
 *   futex                     goc__futex_wait/wake (spurious-wakeup injectable)
 *   internal lock             goc__lock (3-state futex mutex, Drepper)
 *   timers                    goc__timer_start/stop/free (backend-provided
 *                             service: a timer thread for the thread backends,
 *                             per-worker heaps in coro)
 *   randomness                goc__rand() per-thread xorshift
 *   fuzzing                   goc__fuzz_point(): seeded random yields
 *   sanitizer annotations     goc_tsan.h
 */
#ifndef GOC_INTERNAL_H
#define GOC_INTERNAL_H

#ifndef GOC_NO_CALLSITES
#define GOC_NO_CALLSITES 1 /* backends define the real functions */
#endif
#include "goc/goc.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define GOC_LIKELY(x) __builtin_expect(!!(x), 1)
#define GOC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define GOC_CACHELINE 64
#if defined(__x86_64__) || defined(__i386__)
#define goc__cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define goc__cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define goc__cpu_relax() ((void)0)
#endif
#define GOC_ALIGNED_CL __attribute__((aligned(GOC_CACHELINE)))

/* Object magics: every public object starts with one; a wrong magic means a
 * bad pointer or use after free (checked in all builds, fatal in debug). */
enum {
    GOC_MAGIC_CHAN = 0x43484e31,  /* "CHN1" */
    GOC_MAGIC_MUTEX = 0x4d545831, /* "MTX1" */
    GOC_MAGIC_WG = 0x57475031,    /* "WGP1" */
    GOC_MAGIC_CTX = 0x43545831,   /* "CTX1" */
    GOC_MAGIC_DEAD = 0x44454144,  /* "DEAD": freed */
};

/* Fatal internal error or detected misuse: prints and aborts. */
__attribute__((noreturn, format(printf, 1, 2))) void goc__fatal(const char *fmt, ...);
/* Misuse that debug builds treat as fatal and release builds report. */
__attribute__((format(printf, 1, 2))) void goc__misuse(const char *fmt, ...);

/* --------------------------------------------------------------- time -- */

static inline struct timespec goc__ts_from(goc_time t) {
    struct timespec ts = {.tv_sec = t / 1000000000, .tv_nsec = t % 1000000000};
    return ts;
}
/* The inverse: a clock_gettime reading in ns. */
static inline goc_time goc__ts_ns(const struct timespec *ts) {
    return (goc_time)ts->tv_sec * 1000000000 + ts->tv_nsec;
}
/* Deadline classes: try once, forever, or an absolute time. Any negative
 * deadline is forever; INT64_MAX behaves as forever too (no overflow). */
enum { GOC_DL_NOW, GOC_DL_NEVER, GOC_DL_AT };
static inline int goc__deadline_kind(goc_time d) {
    if (d == GOC_NOW) return GOC_DL_NOW;
    if (d < 0 || d == INT64_MAX) return GOC_DL_NEVER;
    return GOC_DL_AT;
}

/* --------------------------------------------------------- allocation -- */

/* All allocations of the runtime go through these so that the fault table
 * (include/goc/goc_test.h) can fail the n-th one (F01). */
void *goc__malloc(size_t n);
void *goc__calloc(size_t n, size_t size);
void goc__free(void *p);
/* A thread-creation hook for F03: returns EAGAIN when the fault table says
 * so, else pthread_create's result. */
#include <pthread.h>
int goc__thread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);

/* ------------------------------------------------------ task registry -- */

/* One record per live task, embedded in the backend's task object. Two
 * registry implementations keep them (the backend links one):
 *   registry_list.c   (pthread, lockfree, busted): a list of the live
 *                     records under one lock, taken at every spawn and exit;
 *   registry_table.c  (coro): no list and no lock: a table of every record
 *                     ever made (task structs are never freed), each with a
 *                     live/generation word; spawn and exit store only to their
 *                     own record and bump one counter each.
 * Spawn fields: written (relaxed) by goc__rec_init before the record is
 * published; atomics because a table walker may read a record while a new
 * spawn rewrites it (registry_table.c says what a walker may see).
 * Wait fields: written only by the owning task (relaxed atomics), read by
 * goc_tasks_report() from any thread: a snapshot, good enough for a dump. */
typedef struct goc_task_rec {
    union {
        struct {
            struct goc_task_rec *next, *prev; /* registry_list.c: guarded by its lock */
        };
        _Atomic uint64_t gen; /* registry_table.c: odd while the task is live */
    };
    _Atomic uint64_t id;                  /* set once by goc__registry_add */
    _Atomic(const char *) spawn_file;     /* set once before publication */
    _Atomic int spawn_line;
    _Atomic(const char *) fn_name;
    _Atomic(const char *) wait_op;  /* NULL while runnable; "chan recv", ... */
    _Atomic(const void *) wait_obj; /* the channel/mutex/wg waited on */
    _Atomic(const char *) wait_site;
    _Atomic(goc_time) wait_since;
    _Atomic(goc_time) wait_deadline; /* GOC_NEVER when waiting without timeout */
} goc_task_rec;

/* The record of the task running on this thread (NULL on threads that are
 * not tasks: the timer thread, a watchdog, foreign threads). The thread
 * backends set it once per thread; coro sets it at every switch. */
extern __thread goc_task_rec *goc__cur_task;

/* registry.c (every backend): the record's fields, how it is printed. */
void goc__rec_init(goc_task_rec *r, const char *file, int line, const char *fn_name);
/* A copy of a record's fields (relaxed loads), for printing and counting. */
typedef struct {
    uint64_t id;
    const char *spawn_file, *fn_name, *wait_op, *wait_site;
    int spawn_line;
    const void *wait_obj;
    goc_time wait_since, wait_deadline;
} goc__rec_snap;
void goc__rec_read(const goc_task_rec *r, goc__rec_snap *s);
/* A walk over the live records (goc__registry_walk): begin() once, first
 * (busy: the list's lock could not be had, the walk is an unlocked
 * snapshot), then each() per record seen live. */
typedef struct goc__rec_walk {
    bool wait;  /* registry_list.c: take the lock however long (else: try ~100 ms) */
    void (*begin)(struct goc__rec_walk *w, bool busy);
    void (*each)(struct goc__rec_walk *w, const goc__rec_snap *s);
} goc__rec_walk;

/* The implementation (registry_list.c or registry_table.c). */
void goc__registry_add(goc_task_rec *r);
void goc__registry_remove(goc_task_rec *r);
void goc__registry_walk(goc__rec_walk *w);
/* registry_table.c only: a record made (all fields zero) at r, published to
 * walkers. Calls are serialised by the caller (coro: stack.c's pool_lock);
 * records carved one after another, stride bytes apart, share a span. */
void goc__registry_table_grow(goc_task_rec *r, size_t stride);
/* Number of records whose owner is blocked with GOC_NEVER as deadline. */
size_t goc__registry_blocked_forever(void);

/* Called by a blocking operation around the time it may block. The call site
 * comes from goc__callsite (set by the macros in goc.h). */
static inline void goc__wait_begin(const char *op, const void *obj, goc_time deadline) {
    goc_task_rec *r = goc__cur_task;
    if (!r) return;
    atomic_store_explicit(&r->wait_obj, obj, memory_order_relaxed);
    atomic_store_explicit(&r->wait_site, goc__callsite, memory_order_relaxed);
    atomic_store_explicit(&r->wait_deadline, deadline, memory_order_relaxed);
    atomic_store_explicit(&r->wait_since, goc_now(), memory_order_relaxed);
    /* relaxed: the report is a diagnostic snapshot; nothing is ordered by it */
    atomic_store_explicit(&r->wait_op, op, memory_order_relaxed);
}
static inline void goc__wait_end(void) {
    goc_task_rec *r = goc__cur_task;
    if (!r) return;
    atomic_store_explicit(&r->wait_op, (const char *)NULL, memory_order_relaxed);
}

/* ------------------------------------------------------------- futex -- */

/* FUTEX_WAIT_BITSET with an absolute CLOCK_MONOTONIC deadline (GOC_NEVER:
 * none). Returns 0 when woken (or spuriously: callers always re-check),
 * -EAGAIN if *addr != expected, -ETIMEDOUT, -EINTR. Private futexes. */
int goc__futex_wait(_Atomic uint32_t *addr, uint32_t expected, goc_time deadline);
/* Wakes up to n waiters; returns how many were woken. */
int goc__futex_wake(_Atomic uint32_t *addr, int n);

/* ------------------------------------------------------- internal lock -- */

/* A small futex mutex for short internal critical sections (context trees,
 * timer bookkeeping). 0 = unlocked, 1 = locked, 2 = locked with waiters. */
typedef struct {
    _Atomic uint32_t state;
} goc__lock;
#define GOC__LOCK_INIT {0}
void goc__lock_slow(goc__lock *l);
void goc__unlock_slow(goc__lock *l);
static inline void goc__lock_acquire(goc__lock *l) {
    uint32_t z = 0;
    /* acquire: pairs with the release in goc__lock_release; orders the
     * critical section after the previous holder's. */
    if (GOC_LIKELY(atomic_compare_exchange_strong_explicit(&l->state, &z, 1, memory_order_acquire,
                                                           memory_order_relaxed)))
        return;
    goc__lock_slow(l);
}
/* One attempt, never waits: true if l is now held (acquire: as above). */
static inline bool goc__lock_try(goc__lock *l) {
    uint32_t z = 0;
    return atomic_compare_exchange_strong_explicit(&l->state, &z, 1, memory_order_acquire, memory_order_relaxed);
}
static inline void goc__lock_release(goc__lock *l) {
    /* release: publishes the critical section to the next acquirer. */
    if (GOC_LIKELY(atomic_exchange_explicit(&l->state, 0, memory_order_release) == 1)) return;
    goc__unlock_slow(l);
}

/* A spin lock for the shortest sections of a runtime whose holders never
 * sleep or switch while holding it: coro's channel locks (a few dozen
 * instructions; a parking task's lock is released by the park's after()
 * callback, on the scheduler stack, once the task is off its stack).
 * Release is a plain release store, no locked instruction: goc__lock must
 * exchange on release to see sleeping waiters, and that exchange with the
 * acquiring CAS was most of an uncontended coro channel operation (perf:
 * the two locked instructions held ~80 % of SelectUncontended's samples).
 * A waiter spins (TTAS, pause), looking at the word once every
 * GOC__SPIN_LOOK_EVERY pauses: each look pulls the line from the holder,
 * whose next acquire must then take it back, so a waiter that looked on
 * every pause slowed the holder it waited for (two workers on one channel,
 * ChanContended at GOC_PROCS=2: 9-11 us an op looking every pause, 1.9
 * looking every 16). A lock still held after GOC__SPIN_PAUSES pauses (~0.7
 * us, 4 looks) has a holder the OS took off its CPU, or other waiters that
 * keep winning it, and the waiter then sleeps on the word for
 * GOC__SPIN_NAP_NS at each try (a futex wait with a timeout: the release
 * stays a plain store and wakes nobody), so that holder gets a CPU or the
 * winners run a batch while the line stays on their core. It used to
 * sched_yield instead, which on two busy vCPUs did not give the holder the
 * CPU: ChanContended at GOC_PROCS=2 waited 76-107 ms per 0.7 s repetition
 * in waits of 1 us to 8 ms; with the nap, 15.9 -> 4.4 us an op (coro
 * README, "The channel lock is a spin lock"). 0 = unlocked, 1 = locked. */
typedef struct {
    _Atomic uint32_t state;
} goc__spin;
#define GOC__SPIN_PAUSES 64
#ifndef GOC__SPIN_LOOK_EVERY
#define GOC__SPIN_LOOK_EVERY 16 /* 1: the look on every pause of before (a kit variant) */
#endif
#ifndef GOC__SPIN_NAP_NS
#define GOC__SPIN_NAP_NS 20000
#endif
void goc__spin_slow(goc__spin *l);
/* A runtime that watches its threads from outside (coro's sysmon reads a
 * worker's state in /proc) points this at a word of its own, once, from the
 * thread itself: goc__spin_slow adds 1 to *word before each nap and 1 after
 * (odd: napping), so that a thread asleep on a spin lock (state 'S' for up
 * to GOC__SPIN_NAP_NS) is not taken for one blocked in a system call.
 * Only this thread writes the word (relaxed load + store: no locked
 * instruction); the reader's view is a hint, like the /proc state. NULL
 * (every other thread): nothing is counted. */
extern _Thread_local _Atomic uint32_t *goc__spin_nap_word;
static inline bool goc__spin_try(goc__spin *l) {
    uint32_t z = 0;
    /* acquire: pairs with goc__spin_release's release store; orders the
     * critical section after the previous holder's */
    return atomic_compare_exchange_strong_explicit(&l->state, &z, 1, memory_order_acquire, memory_order_relaxed);
}
static inline void goc__spin_acquire(goc__spin *l) {
    if (GOC_LIKELY(goc__spin_try(l))) return;
    goc__spin_slow(l);
}
static inline void goc__spin_release(goc__spin *l) {
    /* release: publishes the critical section to the next acquirer */
    atomic_store_explicit(&l->state, 0, memory_order_release);
}

/* -------------------------------------------------------------- timers -- */

/* One-shot timer service, provided by the backend (the thread backends link
 * backends/common/timer_thread.c; coro has per-worker heaps).
 *   start: fn(arg) runs once at or after `when` on a runtime thread, not in a
 *          task; it must not block. NULL + errno ENOMEM.
 *   stop:  prevents a pending firing; returns true if it did. Does not wait
 *          for a callback already running (Go's Timer.Stop). Callable from
 *          the callback itself.
 *   free:  stop, wait until a running callback has returned, free. Never
 *          from the callback itself. */
typedef struct goc__timer goc__timer;
goc__timer *goc__timer_start(goc_time when, void (*fn)(void *), void *arg);
bool goc__timer_stop(goc__timer *t);
void goc__timer_free(goc__timer *t);

/* Each backend's channel keeps the timer of a goc_after channel so that
 * goc_chan_free can stop it (backends/common/after.c sets it). */
void goc__chan_set_timer(goc_chan *ch, goc__timer *t);

/* -------------------------------------------------------- randomness -- */

/* Per-thread xorshift64*, seeded from the process seed (GOC_SEED or time)
 * and a thread counter. Not for cryptography: select fairness, fuzzing. */
uint64_t goc__rand(void);
/* Uniform in [0, n). */
static inline uint32_t goc__rand_n(uint32_t n) {
    return (uint32_t)(((goc__rand() >> 32) * (uint64_t)n) >> 32);
}
uint64_t goc__seed(void);

/* ------------------------------------------------------------ fuzzing -- */

/* Seeded random yields at synchronisation points (TESTING.md common rules,
 * F06): enabled by goc_fuzz_yield() or GOC_FUZZ=<one_in>; off by default,
 * when it costs one relaxed load. */
extern _Atomic uint32_t goc__fuzz_one_in;
void goc__fuzz_slow(void);
static inline bool goc__fuzz_on(void) {
    return GOC_UNLIKELY(atomic_load_explicit(&goc__fuzz_one_in, memory_order_relaxed) != 0);
}
static inline void goc__fuzz_point(void) {
    if (goc__fuzz_on()) goc__fuzz_slow();
}
/* Spurious wakeup injection for waits (F04): true if this wait should
 * return early. */
extern _Atomic uint32_t goc__spurious_permille;
bool goc__spurious_slow(void);
static inline bool goc__spurious(void) {
    return GOC_UNLIKELY(atomic_load_explicit(&goc__spurious_permille, memory_order_relaxed)) &&
           goc__spurious_slow();
}

/* ---------------------------------------------------------- WaitGroup -- */

/* The counter of every backend's goc_wg_add: count (0..GOC_WG_MAX) + delta
 * into *next and 0, or -EINVAL (it would go negative) / -EOVERFLOW (beyond
 * GOC_WG_MAX), with *next untouched. No signed overflow for any delta
 * (INT64_MIN and INT64_MAX included): both bounds are compared, never
 * computed past. */
static inline int goc__wg_next(int64_t count, int64_t delta, int64_t *next) {
    if (delta < 0 && delta < -count) return -EINVAL;
    if (delta > 0 && delta > GOC_WG_MAX - count) return -EOVERFLOW;
    *next = count + delta;
    return 0;
}

/* The WaitGroup word of the lockfree (32 bits, a futex word) and coro (64
 * bits) backends: count << 1 | GOC__WG_WAITERS, the low bit saying that a
 * waiter sleeps or is about to. The word after adding delta to word w, into
 * *next: the count moved by goc__wg_next (same errors, *next untouched), the
 * WAITERS bit kept while the count stays above zero and dropped with it at
 * zero: the adder whose CAS stores that 0 owes the waiters their wake-up
 * (it read WAITERS in w). Callers CAS the word from w to *next. */
#define GOC__WG_WAITERS 1u
static inline int goc__wg_word_next(uint64_t w, int64_t delta, uint64_t *next) {
    int64_t c;
    int err = goc__wg_next((int64_t)(w >> 1), delta, &c);
    if (err) return err;
    *next = c == 0 ? 0 : (uint64_t)c << 1 | (w & GOC__WG_WAITERS);
    return 0;
}

/* goc_fault_poll_arm_delay (goc_test.h): coro's netpoller sleeps this long
 * on an arming failure before it claims the wait (0: off). */
extern _Atomic int64_t goc__poll_arm_fail_delay_ns;

/* ------------------------------------------------ thread-task helpers -- */

/* Stack size for thread tasks (GOC_STACK, default 256 KiB; sanitizer builds
 * at least 1 MiB). */
size_t goc__thread_stack_size(void);
/* Parses GOC_STACK-style sizes ("64k", "1M", "262144"); 0 if invalid
 * (backends/common/env.c, linked by every backend). */
size_t goc__parse_size(const char *s);

#endif /* GOC_INTERNAL_H */
