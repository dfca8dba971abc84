/*
 * goc_test.h: fault injection and schedule fuzzing for goc's own tests
 * (TESTING.md F01-F07). Every backend implements these (the shared code is in
 * backends/common/fault.c). Not for production use: hooks are process-wide.
 */
#ifndef GOC_GOC_TEST_H
#define GOC_GOC_TEST_H

#include <stdint.h>
#include "goc/goc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Allocation failures (F01). Counts every allocation the runtime makes
 * through its allocator. goc_fault_alloc(n, persistent): the n-th allocation
 * from now (1-based) fails; with persistent, every later one fails too, until
 * goc_fault_reset(). n == 0 disables. */
GOC_EXPORT void goc_fault_alloc(long n, int persistent);
/* Allocations made since the last goc_fault_alloc/goc_fault_reset (nothing
 * is counted before the first goc_fault_alloc/goc_fault_thread/
 * goc_fault_reset of the process: the runtime's allocations then cost no
 * shared counter). */
GOC_EXPORT long goc_fault_alloc_count(void);
/* Failures injected since the last reset. */
GOC_EXPORT long goc_fault_hits(void);

/* Thread-creation failures (F03): the n-th pthread_create (task spawn on the
 * thread backends, worker start in coro) fails with EAGAIN. */
GOC_EXPORT void goc_fault_thread(long n, int persistent);

/* Spurious wakeups (F04): every internal wait (futex, condvar) returns early
 * with probability permille/1000, as if woken spuriously or by EINTR. */
GOC_EXPORT void goc_fault_spurious(unsigned permille);

/* Random yields at synchronisation points (F06): one in `one_in` (0 = off). */
GOC_EXPORT void goc_fuzz_yield(unsigned one_in);

/* fd waits (coro): when the netpoller fails to register a parked
 * goc_fd_wait (a dup(2) failure, say), it sleeps ns before it claims the
 * wait, so that the wait's deadline can win the claim (issue 12's regression
 * test of that path). 0 = off; a no-op on the thread backends. */
GOC_EXPORT void goc_fault_poll_arm_delay(int64_t ns);
/* Turns every fault off and resets the counters. */
GOC_EXPORT void goc_fault_reset(void);

/* The process seed (GOC_SEED=<u64> in the environment, else from the clock),
 * printed by tests so that a failure can be replayed. */
GOC_EXPORT uint64_t goc_seed(void);

#ifdef __cplusplus
}
#endif
#endif
