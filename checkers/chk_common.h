/*
 * chk_common.h: what the randomized checkers (difftest, linearize) share:
 * the command line, the time budget, seeded generators.
 *
 * Command line of every checker binary:
 *   --seconds S    time budget (default: the checker's CI budget; env
 *                  GOC_CHECK_SECONDS overrides the default)
 *   --long         20x the budget (also GOC_TEST_LONG=1, as the other
 *                  suites); for hours: --seconds 7200
 *   --first N      index of the first program/history (default 0)
 *   --count N      stop after N programs/histories (default: unbounded)
 *   --repeat R     run each program/history R times (replaying a failure)
 * The seed is goc_seed() (GOC_SEED=<u64> replays); program i is generated
 * from chk_mix(seed, i) alone, so "GOC_SEED=s --first i --count 1" runs the
 * same program again (its schedule is up to the machine).
 */
#ifndef GOC_CHK_COMMON_H
#define GOC_CHK_COMMON_H

#include <stdbool.h>
#include <stdint.h>

struct chk_args {
    double seconds;     /* budget */
    long first, count;  /* count < 0: until the budget is spent */
    long repeat;        /* >= 1 */
    const char *argv0;
    int nextra;         /* arguments the checker handles itself */
    char **extra;
};

/* Parses the common options; unknown "--x" options are left in extra.
 * default_s: the CI budget of this checker in native builds, sanitized_s
 * under a sanitizer. Sets GOC_TEST_TIMEOUT (the runner's watchdog) to the
 * budget + 120 s unless the environment sets it. Exits 2 on bad input. */
void chk_parse(int argc, char **argv, double default_s, double sanitized_s, struct chk_args *a);

/* splitmix64 of seed and i: the seed of program i. */
uint64_t chk_mix(uint64_t seed, uint64_t i);

/* A small deterministic generator (xorshift64*), one per program. */
struct chk_rng {
    uint64_t s;
};
static inline uint64_t chk_next(struct chk_rng *r) {
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}
/* uniform in [0, n) */
static inline uint32_t chk_below(struct chk_rng *r, uint32_t n) {
    return (uint32_t)(((chk_next(r) >> 32) * (uint64_t)n) >> 32);
}
/* true with probability pct / 100 */
static inline bool chk_pct(struct chk_rng *r, unsigned pct) { return chk_below(r, 100) < pct; }

#endif

/* ---------------------------------------------------------- timestamps -- */
/* Timestamps that order like the operations they bracket. x86-TSO lets a
 * store sit in the store buffer after the clock was read, so "A returned
 * before B was invoked" by the clock would not mean that B can see A's
 * stores: a full fence before reading the response time drains A's stores
 * first (Intel SDM: MFENCE before RDTSC), and one after reading the
 * invocation time keeps B's accesses after it (the vDSO clock reads the TSC
 * in order with earlier instructions). Without them a history can look
 * non-linearizable by a few nanoseconds. (TSan does not model fences; they
 * order nothing TSan checks here.) */
#include <stdatomic.h>
#include "goc/goc.h"
static inline goc_time chk_stamp_inv(void) {
    goc_time t = goc_now();
    atomic_thread_fence(memory_order_seq_cst);
    return t;
}
static inline goc_time chk_stamp_resp(void) {
    atomic_thread_fence(memory_order_seq_cst);
    return goc_now();
}

/* ------------------------------------------------------- perturbation -- */
/* Preemption injection (cf. Go's async preemption with SIGURG): a plain OS
 * thread sends SIGURG every ~period_us to one of the registered threads at
 * random; the handler busy-waits 0..max_stall_us. The interrupted thread is
 * stalled at an arbitrary instruction, which stretches the windows inside
 * the backends (a slot reserved but not yet published, a waiter linked but
 * not yet parked) as a loaded machine does, only far more often. The
 * handler touches nothing but the clock and errno (async-signal-safe); the
 * signal is installed with SA_RESTART, and a backend must survive EINTR
 * anyway (TESTING.md F05). Under TSan signals are delivered only at its
 * synchronisation points, so the stalls land there. */
void chk_perturb_start(unsigned period_us, unsigned max_stall_us);
/* (GOC_CHECK_PERTURB="period_us,max_stall_us" overrides both.) */
/* Makes the calling OS thread a target in slot (0..63); call it again after
 * a task may have moved (coro). */
void chk_perturb_register(int slot);
/* Stops the thread and forgets the targets (before the tasks exit). */
void chk_perturb_stop(void);
