/* futex(2) wrappers with absolute CLOCK_MONOTONIC deadlines. */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "goc_internal.h"

int goc__futex_wait(_Atomic uint32_t *addr, uint32_t expected, goc_time deadline) {
    if (goc__spurious()) return 0; /* F04: callers must re-check their predicate */
    struct timespec ts, *tsp = NULL;
    if (goc__deadline_kind(deadline) == GOC_DL_AT) {
        ts = goc__ts_from(deadline);
        tsp = &ts;
    }
    /* FUTEX_WAIT_BITSET takes an absolute timeout on CLOCK_MONOTONIC.
     * errno is left as the caller had it: runtime locks wait here inside API
     * calls, and a coro task's errno must survive them (C26). */
    int saved = errno;
    long r = syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, tsp,
                     NULL, FUTEX_BITSET_MATCH_ANY);
    int e = errno;
    errno = saved;
    if (r == 0) return 0;
    switch (e) {
    case EAGAIN: return -EAGAIN;
    case ETIMEDOUT: return -ETIMEDOUT;
    case EINTR: return -EINTR;
    default: goc__fatal("futex wait failed: errno %d", e);
    }
}

int goc__futex_wake(_Atomic uint32_t *addr, int n) {
    int saved = errno; /* as in goc__futex_wait */
    long r = syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, NULL, NULL, 0);
    errno = saved;
    return r < 0 ? 0 : (int)r;
}
