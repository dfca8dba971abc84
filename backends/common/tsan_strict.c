/*
 * The strict-object option of the precise TSan build (GOC_TSAN_STRICT=1 in
 * the environment, TESTING.md (b) mode X), shared by every backend: a send
 * reads and a close writes the channel object itself, as Go's
 * chansend/closechan do with racereadpc/racewritepc, so send || close and
 * close || close are reported ("race on goc_chan"). The flag is read and the
 * external tag registered once. Empty outside the precise build.
 */
#include "goc_internal.h"
#include "goc_tsan.h"

#ifdef GOC_TSAN_PRECISE_ON
GOC_TSAN_HIDDEN void *goc__tsan_strict_tag(void) {
    static _Atomic int state; /* 0 not read yet, 1 off, 2 on */
    static void *_Atomic tag; /* stored before state = 2 (release) */
    GOC_RACE_CALL_BEGIN();
    /* acquire: pairs with the release store of state below (tag is set) */
    int st = atomic_load_explicit(&state, memory_order_acquire);
    if (st == 0) {
        const char *e = getenv("GOC_TSAN_STRICT");
        st = e && e[0] == '1' ? 2 : 1;
        /* relaxed: published by the release store of state */
        if (st == 2)
            atomic_store_explicit(&tag, __tsan_external_register_tag("goc_chan"), memory_order_relaxed);
        atomic_store_explicit(&state, st, memory_order_release);
    }
    void *t = st == 2 ? atomic_load_explicit(&tag, memory_order_relaxed) : NULL;
    GOC_RACE_CALL_END();
    return t;
}
#else
typedef int goc__tsan_strict_unused; /* ISO C: no empty translation unit */
#endif
