/*
 * goc_tsan.h: ThreadSanitizer annotations, no-ops in other builds.
 *
 * Natural TSan build: backends' own atomics and locks are visible and give
 * TSan its happens-before edges; goc_mutex is additionally shown to TSan as
 * a mutex (lock-order inversion, double lock), and as Go's edge once another
 * task has unlocked it: one model for every backend, goc_tsan_mu.h.
 * Precise build (GOC_TSAN_PRECISE, the race issue): internals are hidden and
 * only Go's edges are annotated. The backends' channels, select, mutex and
 * WaitGroup (pthread, coro, lockfree) use one mechanism, the race layer of
 * an API call below (GOC_RACE_*: hide the whole call, step out for each
 * edge; one strict-object option), and so do the runtime's other internal
 * sections (common/ctx.c, registry.c, timer_thread.c: the lock-held code is
 * one hidden section, a public call or a Go edge made in it steps out).
 * Runtime-internal source files are uninstrumented between
 * GOC_RACE_FILE_BEGIN/END (below).
 */
#ifndef GOC_TSAN_H
#define GOC_TSAN_H

#if defined(__SANITIZE_THREAD__)
#define GOC_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GOC_TSAN 1
#endif
#endif

#if defined(__SANITIZE_ADDRESS__)
#define GOC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GOC_ASAN 1
#endif
#endif

#ifdef GOC_TSAN
#include <sanitizer/tsan_interface.h>
void AnnotateIgnoreSyncBegin(const char *f, int l);
void AnnotateIgnoreSyncEnd(const char *f, int l);
#endif
/* TSan's mutex model (lock order, double lock) for goc_mutex is the natural
 * build's only, and lives in goc_tsan_mu.h: the precise build models
 * goc_mutex as Go's race detector models sync.Mutex, an edge from each
 * unlock to the next lock (GOC_RACE_RELEASE / GOC_RACE_ACQUIRE). */

/* ------------------------------------------------ precise build (races) --
 * GOC_TSAN_PRECISE with TSan: backends hide their own synchronisation and
 * annotate exactly Go's happens-before edges (TESTING.md (b)).
 *   GOC_TSAN_HIDDEN           on every function that touches internal state:
 *                             its plain loads/stores are not instrumented
 *                             (atomics still are, hence the next pair).
 *   GOC_TSAN_HIDE_BEGIN/END   the hidden region itself (TSan ignores the
 *                             accesses and the synchronisation in it, and
 *                             counts nested regions); only the race layer
 *                             below uses it (GOC_RACE_CALL_BEGIN/END),
 *                             code never does.
 *   GOC_TSAN_P_ACQUIRE/RELEASE  the Go edges, on sync addresses.
 *   GOC_TSAN_P_READ/WRITE     payload copies reported as accesses to the
 *                             user's memory (the copy itself is hidden).
 * In every other build they are no-ops (and GOC_TSAN_HIDDEN is empty), so
 * the natural build is unchanged. */
#if defined(GOC_TSAN) && defined(GOC_TSAN_PRECISE)
#define GOC_TSAN_PRECISE_ON 1
#define GOC_TSAN_HIDDEN __attribute__((no_sanitize("thread"), noinline))
#define GOC_TSAN_HIDE_BEGIN()                                                   \
    do {                                                                        \
        __tsan_ignore_thread_begin();                                           \
        AnnotateIgnoreSyncBegin(__FILE__, __LINE__);                            \
    } while (0)
#define GOC_TSAN_HIDE_END()                                                     \
    do {                                                                        \
        AnnotateIgnoreSyncEnd(__FILE__, __LINE__);                              \
        __tsan_ignore_thread_end();                                             \
    } while (0)
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
void __tsan_read_range(void *addr, unsigned long size);
void __tsan_write_range(void *addr, unsigned long size);
#define GOC_TSAN_P_ACQUIRE(a) __tsan_acquire((void *)(a))
#define GOC_TSAN_P_RELEASE(a) __tsan_release((void *)(a))
#define GOC_TSAN_P_READ(p, n) __tsan_read_range((void *)(p), (unsigned long)(n))
#define GOC_TSAN_P_WRITE(p, n) __tsan_write_range((void *)(p), (unsigned long)(n))
/* The external tag of the strict-object option, or NULL when it is off
 * (backends/common/tsan_strict.c). */
void *goc__tsan_strict_tag(void);
#else
#define GOC_TSAN_HIDDEN
#define GOC_TSAN_HIDE_BEGIN() ((void)0)
#define GOC_TSAN_HIDE_END() ((void)0)
#define GOC_TSAN_P_ACQUIRE(a) ((void)0)
#define GOC_TSAN_P_RELEASE(a) ((void)0)
#define GOC_TSAN_P_READ(p, n) ((void)0)
#define GOC_TSAN_P_WRITE(p, n) ((void)0)
#endif

/* ------------------------------------- the race layer of an API call --
 * One mechanism for the precise build (the channel core goc_hchan.h, every
 * backend, the common runtime): a public call, or an internal section of
 * the runtime (the context tree's lock, the timer thread, the registry),
 * runs its whole body between GOC_RACE_CALL_BEGIN/END, so
 * every internal lock, atomic, futex, park and copy in it is invisible to
 * TSan; Go's edges and the user's payload accesses step out of the hidden
 * region for one call each (GOC_RACE_ACQUIRE/RELEASE/READ/WRITE). Hidden
 * regions are counted: an edge must be annotated at depth 1 (never from a
 * call nested in another hidden call, where it would be dropped).
 * GOC_RACE_UNHIDDEN(stmt): any other statement run outside the hidden region
 * (in other builds it just runs).
 * GOC_RACE_SEND_VALUE(elem, esz): a send's read of its value, recorded when
 * the send starts (plain send: first thing after the checks; select: every
 * send clause, enabled or not chosen, on entry), before any edge the send
 * makes. Go evaluates a send's value before communicating (the spec; a
 * select evaluates all of them on entry), so the read is ordered before
 * everything the send publishes: a receiver that took the value may reuse
 * the sender's buffer. Recording it later (a blocked sender, once woken)
 * put it after the receiver already held the value: a race Go does not
 * report (issue 12, patterns/messages; races/cases/norace_r35_payload.c).
 * elem and esz are read into locals in the hidden region (an argument that
 * reads shared memory unhidden would be an instrumented access).
 * GOC_RACE_STRICT_READ/WRITE(obj): the strict-object option (GOC_TSAN_STRICT=1,
 * tsan_strict.c): the call reads / writes the object itself, as Go's
 * chansend / closechan do (racereadpc / racewritepc); use it in the public
 * function itself (the report names its caller). No-ops in other builds. */
#ifdef GOC_TSAN_PRECISE_ON
#define GOC_RACE_CALL_BEGIN() GOC_TSAN_HIDE_BEGIN()
#define GOC_RACE_CALL_END() GOC_TSAN_HIDE_END()
#define GOC_RACE_UNHIDDEN(...)                                                  \
    do {                                                                        \
        GOC_TSAN_HIDE_END();                                                    \
        __VA_ARGS__;                                                            \
        GOC_TSAN_HIDE_BEGIN();                                                  \
    } while (0)
#define GOC_RACE_ACQUIRE(a) GOC_RACE_UNHIDDEN(__tsan_acquire((void *)(a)))
#define GOC_RACE_RELEASE(a) GOC_RACE_UNHIDDEN(__tsan_release((void *)(a)))
#define GOC_RACE_READ(p, n)                                                     \
    do {                                                                        \
        if ((p) && (n)) GOC_RACE_UNHIDDEN(GOC_TSAN_P_READ((p), (n)));           \
    } while (0)
#define GOC_RACE_WRITE(p, n)                                                    \
    do {                                                                        \
        if ((p) && (n)) GOC_RACE_UNHIDDEN(GOC_TSAN_P_WRITE((p), (n)));          \
    } while (0)
#define GOC_RACE_STRICT_(fn, obj)                                               \
    do {                                                                        \
        void *t_ = (obj) ? goc__tsan_strict_tag() : NULL;                       \
        if (t_) GOC_RACE_UNHIDDEN(fn((void *)(obj), __builtin_return_address(0), t_)); \
    } while (0)
#define GOC_RACE_STRICT_READ(obj) GOC_RACE_STRICT_(__tsan_external_read, obj)
#define GOC_RACE_STRICT_WRITE(obj) GOC_RACE_STRICT_(__tsan_external_write, obj)
#define GOC_RACE_SEND_VALUE(elem, esz)                                          \
    do {                                                                        \
        const void *gv_ = (elem);                                               \
        size_t gn_ = (esz);                                                     \
        GOC_RACE_READ(gv_, gn_);                                                \
    } while (0)
/* GOC_RACE_FILE_BEGIN ... GOC_RACE_FILE_END: a runtime-internal source file
 * (pthread, coro, common/ctx.c ...) writes them after its #includes and at
 * its end; in the precise build every function defined between them
 * (static inline ones of headers included in between too) is uninstrumented
 * (no_sanitize("thread") through clang's attribute pragma), so plain
 * accesses to internal state are never recorded, even outside a hidden
 * call. Atomics and interceptors (pthread_*, malloc) are still seen there:
 * those are hidden by running them between GOC_RACE_CALL_BEGIN/END. */
#ifndef __clang__
#error "the precise TSan build (GOC_TSAN_PRECISE) needs clang (the tsan-precise preset)"
#endif
#define GOC_RACE_FILE_BEGIN                                                     \
    _Pragma("clang attribute push(__attribute__((no_sanitize(\"thread\"))), apply_to = function)")
#define GOC_RACE_FILE_END _Pragma("clang attribute pop")
#else
/* outside the precise build a stepped-out statement simply runs */
#define GOC_RACE_FILE_BEGIN
#define GOC_RACE_FILE_END
#define GOC_RACE_UNHIDDEN(...)                                                  \
    do {                                                                        \
        __VA_ARGS__;                                                            \
    } while (0)
#define GOC_RACE_CALL_BEGIN() ((void)0)
#define GOC_RACE_CALL_END() ((void)0)
#define GOC_RACE_ACQUIRE(a) ((void)0)
#define GOC_RACE_RELEASE(a) ((void)0)
#define GOC_RACE_READ(p, n) ((void)0)
#define GOC_RACE_WRITE(p, n) ((void)0)
#define GOC_RACE_STRICT_READ(obj) ((void)0)
#define GOC_RACE_STRICT_WRITE(obj) ((void)0)
#define GOC_RACE_SEND_VALUE(elem, esz) ((void)0)
#endif

/* Go's timer edge (runtime/time.go: addtimer/modtimer racerelease(t),
 * runOneTimer raceacquirectx(timerRaceCtx, t)): what the caller did before
 * arming a timer happens before its callback. Both timer services (the
 * thread backends' timer_thread.c, coro's timer.c) use it for the
 * goc__timer_start callbacks (context deadlines, goc_after):
 * GOC_RACE_TIMER_ARM(t) in goc__timer_start at the caller's depth, before
 * the arming's hidden section; GOC_RACE_TIMER_FIRE(t, call) in the runner,
 * which is hidden (the timer thread's loop, coro's scheduler fiber): it
 * steps out for the acquire and the callback, so the callback's own edges
 * (the close of a context's done, goc_after's send) are annotated at depth 1
 * and kept. Like Go's per-P timerRaceCtx, the runner's clock accumulates the
 * timers it fired. Outside the precise build FIRE just runs the call. */
#define GOC_RACE_TIMER_ARM(t) GOC_TSAN_P_RELEASE(t)
#define GOC_RACE_TIMER_FIRE(t, ...) GOC_RACE_UNHIDDEN(GOC_TSAN_P_ACQUIRE(t); __VA_ARGS__)

/* Go's race model of the WaitGroup's semaphore (sync/waitgroup.go): the
 * Add that takes the counter from 0 reads it, the first Wait that blocks
 * writes it (only the first: concurrent Waits must not race each other).
 * Unordered, they race: "Add called concurrently with Wait" (Go's
 * TestRaceWaitGroupWrongAdd), or a reuse whose next round's Add is not
 * ordered after the previous round's Wait (TestRaceWaitGroupReuse). `sema`
 * is a byte of the WaitGroup used for nothing else; stepped out of the
 * hidden call like every edge. No-ops outside the precise build. */
#define GOC_RACE_WG_FIRST_ADD(sema) GOC_RACE_READ((sema), 1)
#define GOC_RACE_WG_FIRST_WAIT(sema) GOC_RACE_WRITE((sema), 1)

#ifdef GOC_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#endif
