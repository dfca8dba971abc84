/* Monotonic time and deadlines (goc.h "time"). */
#include "goc_internal.h"

goc_time goc_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return goc__ts_ns(&ts);
}

goc_time goc_deadline(int64_t ns) {
    if (ns < 0) return GOC_NEVER;
    goc_time now = goc_now();
    if (ns > INT64_MAX - now) return INT64_MAX; /* saturate: behaves as never */
    return now + ns;
}

/* The call site of the blocking call in progress (set by goc.h's macros). */
__thread const char *goc__callsite;
