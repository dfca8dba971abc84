/*
 * goc_tsan.h: ThreadSanitizer annotations, no-ops in other builds.
 *
 * Natural TSan build: backends' own atomics and locks are visible and give
 * TSan its happens-before edges; custom mutexes (goc_mutex on lockfree/coro,
 * the pthread backend's condvar mutex) are additionally announced with the
 * __tsan_mutex_* API so lock-order inversion, double lock and bad unlock are
 * reported as for pthread mutexes.
 * Precise build (GOC_TSAN_PRECISE, the race issue): internals are hidden and
 * only Go's edges are annotated (GOC_TSAN_ACQUIRE/RELEASE on sync addresses).
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
#define GOC_TSAN_MUTEX_CREATE(m, f) __tsan_mutex_create((m), (f))
#define GOC_TSAN_MUTEX_DESTROY(m, f) __tsan_mutex_destroy((m), (f))
#define GOC_TSAN_MUTEX_PRE_LOCK(m, f) __tsan_mutex_pre_lock((m), (f))
#define GOC_TSAN_MUTEX_POST_LOCK(m, f, r) __tsan_mutex_post_lock((m), (f), (r))
#define GOC_TSAN_MUTEX_PRE_UNLOCK(m, f) __tsan_mutex_pre_unlock((m), (f))
#define GOC_TSAN_MUTEX_POST_UNLOCK(m, f) __tsan_mutex_post_unlock((m), (f))
#define GOC_TSAN_ACQUIRE(a) __tsan_acquire((void *)(a))
#define GOC_TSAN_RELEASE(a) __tsan_release((void *)(a))
#else
#define GOC_TSAN_MUTEX_CREATE(m, f) ((void)0)
#define GOC_TSAN_MUTEX_DESTROY(m, f) ((void)0)
#define GOC_TSAN_MUTEX_PRE_LOCK(m, f) ((void)0)
#define GOC_TSAN_MUTEX_POST_LOCK(m, f, r) ((void)0)
#define GOC_TSAN_MUTEX_PRE_UNLOCK(m, f) ((void)0)
#define GOC_TSAN_MUTEX_POST_UNLOCK(m, f) ((void)0)
#define GOC_TSAN_ACQUIRE(a) ((void)0)
#define GOC_TSAN_RELEASE(a) ((void)0)
#endif

#ifdef GOC_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#endif
