/*
 * goc_tsan_hide.h: for the TSan precise build only (GOC_TSAN_PRECISE_ON, see
 * goc_tsan.h). Included by a file of the runtime AFTER its system headers:
 *   - makes every function that follows uninstrumented (clang's attribute
 *     pragma; the file ends with GOC_TSAN_HIDE_FILE_END), so plain accesses
 *     to internal state are never recorded;
 *   - routes the file's pthread mutex/condvar calls through wrappers that
 *     run inside GOC_TSAN_HIDE_BEGIN/END, so internal locks give TSan no
 *     happens-before edge and no access.
 * What remains visible is what the file annotates with GOC_TSAN_P_* (Go's
 * edges) and the atomics it deliberately leaves as edges. Nested hide
 * regions are fine (TSan counts them); an annotation inside one is lost.
 * Outside the precise build this header is empty.
 */
#ifndef GOC_TSAN_HIDE_H
#define GOC_TSAN_HIDE_H
#include "goc_tsan.h"

#ifdef GOC_TSAN_PRECISE_ON
#ifndef __clang__
#error "the precise TSan build (GOC_TSAN_PRECISE) needs clang (the tsan-precise preset)"
#endif
#include <pthread.h>
#pragma clang attribute push(__attribute__((no_sanitize("thread"))), apply_to = function)
static inline int goc__hidden_lock(pthread_mutex_t *m) {
    GOC_TSAN_HIDE_BEGIN();
    int r = pthread_mutex_lock(m);
    GOC_TSAN_HIDE_END();
    return r;
}
static inline int goc__hidden_trylock(pthread_mutex_t *m) {
    GOC_TSAN_HIDE_BEGIN();
    int r = pthread_mutex_trylock(m);
    GOC_TSAN_HIDE_END();
    return r;
}
static inline int goc__hidden_unlock(pthread_mutex_t *m) {
    GOC_TSAN_HIDE_BEGIN();
    int r = pthread_mutex_unlock(m);
    GOC_TSAN_HIDE_END();
    return r;
}
static inline int goc__hidden_wait(pthread_cond_t *c, pthread_mutex_t *m) {
    GOC_TSAN_HIDE_BEGIN();
    int r = pthread_cond_wait(c, m);
    GOC_TSAN_HIDE_END();
    return r;
}
static inline int goc__hidden_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                        const struct timespec *ts) {
    GOC_TSAN_HIDE_BEGIN();
    int r = pthread_cond_timedwait(c, m, ts);
    GOC_TSAN_HIDE_END();
    return r;
}
static inline int goc__hidden_signal(pthread_cond_t *c, int all) {
    GOC_TSAN_HIDE_BEGIN();
    int r = all ? pthread_cond_broadcast(c) : pthread_cond_signal(c);
    GOC_TSAN_HIDE_END();
    return r;
}
static inline int goc__hidden_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a) {
    GOC_TSAN_HIDE_BEGIN();
    int r = pthread_mutex_init(m, a);
    GOC_TSAN_HIDE_END();
    return r;
}
static inline int goc__hidden_cond_init(pthread_cond_t *c, const pthread_condattr_t *a) {
    GOC_TSAN_HIDE_BEGIN();
    int r = pthread_cond_init(c, a);
    GOC_TSAN_HIDE_END();
    return r;
}
static inline int goc__hidden_mutex_destroy(pthread_mutex_t *m) {
    GOC_TSAN_HIDE_BEGIN();
    int r = pthread_mutex_destroy(m);
    GOC_TSAN_HIDE_END();
    return r;
}
static inline int goc__hidden_cond_destroy(pthread_cond_t *c) {
    GOC_TSAN_HIDE_BEGIN();
    int r = pthread_cond_destroy(c);
    GOC_TSAN_HIDE_END();
    return r;
}
#define pthread_mutex_lock(m) goc__hidden_lock(m)
#define pthread_mutex_trylock(m) goc__hidden_trylock(m)
#define pthread_mutex_unlock(m) goc__hidden_unlock(m)
#define pthread_cond_wait(c, m) goc__hidden_wait((c), (m))
#define pthread_cond_timedwait(c, m, ts) goc__hidden_timedwait((c), (m), (ts))
#define pthread_cond_signal(c) goc__hidden_signal((c), 0)
#define pthread_cond_broadcast(c) goc__hidden_signal((c), 1)
#define pthread_mutex_init(m, a) goc__hidden_mutex_init((m), (a))
#define pthread_cond_init(c, a) goc__hidden_cond_init((c), (a))
#define pthread_mutex_destroy(m) goc__hidden_mutex_destroy(m)
#define pthread_cond_destroy(c) goc__hidden_cond_destroy(c)
#define GOC_TSAN_HIDE_FILE_END _Pragma("clang attribute pop")
#else
#define GOC_TSAN_HIDE_FILE_END
#endif

#endif
