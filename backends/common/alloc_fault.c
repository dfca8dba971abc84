/*
 * The fault-injection table (include/goc/goc_test.h) and the allocator
 * wrappers every backend uses. All counters are relaxed atomics: the table is
 * configured by a test before the operations it perturbs, and tests that
 * change it concurrently with traffic accept "some operation around then".
 *
 * Nothing is counted until a test first arms or resets a fault
 * (`counting`): before, every goc__malloc and thread start did a locked
 * add on one process-wide line, which every thread allocating at once
 * bounced between cores, and whose place in .bss moved costs around: 129
 * unrelated bytes of .bss added ahead of it made coro's SelectTimeout
 * pattern 4 % slower at GOC_PROCS=1. The contract is unchanged: the
 * counts are "since the last arm or reset", and a test reads them only
 * after one.
 */
#include <sched.h>

#include "goc/goc_test.h"
#include "goc_internal.h"

static _Atomic long alloc_count;      /* allocations since the last arm/reset */
static _Atomic long alloc_fail_at;    /* fail the n-th (1-based); 0 = off */
static _Atomic int alloc_persistent;  /* and every one after it */
static _Atomic long thread_count;
static _Atomic long thread_fail_at;
static _Atomic int thread_persistent;
static _Atomic long fault_hits;
_Atomic uint32_t goc__fuzz_one_in;
_Atomic uint32_t goc__spurious_permille;
_Atomic int64_t goc__poll_arm_fail_delay_ns;

/* 0 until the first goc_fault_alloc/goc_fault_thread/goc_fault_reset; then
 * 1 for good (relaxed: the arming test's own later calls see its store) */
static _Atomic int counting;

static bool should_fail(_Atomic long *count, _Atomic long *at, _Atomic int *persistent) {
    if (GOC_LIKELY(!atomic_load_explicit(&counting, memory_order_relaxed))) return false;
    long n = atomic_fetch_add_explicit(count, 1, memory_order_relaxed) + 1;
    long f = atomic_load_explicit(at, memory_order_relaxed);
    if (GOC_LIKELY(f == 0)) return false;
    if (n == f || (n > f && atomic_load_explicit(persistent, memory_order_relaxed))) {
        atomic_fetch_add_explicit(&fault_hits, 1, memory_order_relaxed);
        return true;
    }
    return false;
}

void *goc__malloc(size_t n) {
    if (should_fail(&alloc_count, &alloc_fail_at, &alloc_persistent)) return NULL;
    return malloc(n);
}
void *goc__calloc(size_t n, size_t size) {
    if (should_fail(&alloc_count, &alloc_fail_at, &alloc_persistent)) return NULL;
    return calloc(n, size);
}
void goc__free(void *p) { free(p); }

int goc__thread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg) {
    if (should_fail(&thread_count, &thread_fail_at, &thread_persistent)) return EAGAIN;
    return pthread_create(t, attr, fn, arg);
}

void goc_fault_alloc(long n, int persistent) {
    atomic_store_explicit(&counting, 1, memory_order_relaxed);
    atomic_store_explicit(&alloc_fail_at, 0, memory_order_relaxed);
    atomic_store_explicit(&alloc_count, 0, memory_order_relaxed);
    atomic_store_explicit(&fault_hits, 0, memory_order_relaxed);
    atomic_store_explicit(&alloc_persistent, persistent != 0, memory_order_relaxed);
    atomic_store_explicit(&alloc_fail_at, n < 0 ? 0 : n, memory_order_relaxed);
}
long goc_fault_alloc_count(void) { return atomic_load_explicit(&alloc_count, memory_order_relaxed); }
long goc_fault_hits(void) { return atomic_load_explicit(&fault_hits, memory_order_relaxed); }

void goc_fault_thread(long n, int persistent) {
    atomic_store_explicit(&counting, 1, memory_order_relaxed);
    atomic_store_explicit(&thread_fail_at, 0, memory_order_relaxed);
    atomic_store_explicit(&thread_count, 0, memory_order_relaxed);
    atomic_store_explicit(&thread_persistent, persistent != 0, memory_order_relaxed);
    atomic_store_explicit(&thread_fail_at, n < 0 ? 0 : n, memory_order_relaxed);
}

void goc_fault_spurious(unsigned permille) {
    atomic_store_explicit(&goc__spurious_permille, permille > 1000 ? 1000 : permille, memory_order_relaxed);
}
void goc_fuzz_yield(unsigned one_in) {
    atomic_store_explicit(&goc__fuzz_one_in, one_in, memory_order_relaxed);
}

void goc_fault_poll_arm_delay(int64_t ns) {
    atomic_store_explicit(&goc__poll_arm_fail_delay_ns, ns < 0 ? 0 : ns, memory_order_relaxed);
}

void goc_fault_reset(void) {
    goc_fault_poll_arm_delay(0);
    goc_fault_alloc(0, 0);
    goc_fault_thread(0, 0);
    goc_fault_spurious(0);
    goc_fuzz_yield(0);
}

bool goc__spurious_slow(void) {
    uint32_t p = atomic_load_explicit(&goc__spurious_permille, memory_order_relaxed);
    return goc__rand_n(1000) < p;
}

void goc__fuzz_slow(void) {
    uint32_t one_in = atomic_load_explicit(&goc__fuzz_one_in, memory_order_relaxed);
    if (one_in && goc__rand_n(one_in) == 0) goc_yield();
}

uint64_t goc_seed(void) { return goc__seed(); }
