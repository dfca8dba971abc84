/*
 * goc_testing.h: the small test framework of goc's CTest suites.
 *
 * Modelled on libuv's test/task.h: assertions print the expression and both
 * values, a failing test exits at once with status 1 (never a signal, so
 * CTest's WILL_FAIL can count a detected bug on the busted backend as the
 * expected failure).
 *
 * Every test binary is
 *
 *     static void test_main(void) { gt_run("c01_basic", c01_basic); ... }
 *     GT_MAIN(test_main)
 *
 * GT_MAIN runs the function as goc's root task (goc_main) and adds what
 * TESTING.md asks of every test:
 *   - prints the backend, the seed (replay with GOC_SEED=<seed>) and the
 *     sanitizer;
 *   - a watchdog OS thread: after GOC_TEST_TIMEOUT seconds (default 60) it
 *     prints the running subtest and goc_tasks_report(stderr), then _exit(3);
 *   - after every subtest and at the end: the task-leak check (live tasks back
 *     to the baseline within 1 s, else the registry is printed and the test
 *     fails), and under ASan __lsan_do_recoverable_leak_check();
 *   - with GOC_TEST_CATCH_SIGNALS=1 (set for negative-control runs) a crash
 *     becomes exit status 2 with a message instead of a signal.
 * A subtest name filter may be given as argv[1] (substring match).
 *
 * Sizes: gt_n(ci, sanitized) picks a figure for the build (GOC_SANITIZED is
 * defined by the sanitizer presets), GOC_TEST_LONG=1 multiplies by 10 (the
 * nightly figures), GOC_TEST_SCALE=<factor> scales for slow machines.
 * Timing assertions that a sanitizer build cannot honour are skipped with a
 * printed reason (gt_timing_checks).
 *
 * Tests use only include/goc/goc.h and include/goc/goc_test.h.
 */
#ifndef GOC_TESTING_H
#define GOC_TESTING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "goc/goc.h"
#include "goc/goc_test.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ failures -- */

__attribute__((noreturn, format(printf, 3, 4))) void gt__fail(const char *file, int line,
                                                              const char *fmt, ...);
/* Prints a "# ..." diagnostic line (TAP comment), flushed. */
__attribute__((format(printf, 1, 2))) void gt_note(const char *fmt, ...);

#define GT_FAIL(...) gt__fail(__FILE__, __LINE__, __VA_ARGS__)

#define GT_ASSERT(expr)                                                                       \
    do {                                                                                      \
        if (!(expr)) gt__fail(__FILE__, __LINE__, "assertion failed: %s", #expr);             \
    } while (0)

/* Assertion with a message of its own (printf arguments). */
#define GT_ASSERT_MSG(expr, ...)                                                              \
    do {                                                                                      \
        if (!(expr)) {                                                                        \
            gt_note("assertion failed: %s", #expr);                                          \
            gt__fail(__FILE__, __LINE__, __VA_ARGS__);                                        \
        }                                                                                     \
    } while (0)

#define GT__CMP_INT(a, op, b)                                                                 \
    do {                                                                                      \
        int64_t gt_a_ = (int64_t)(a), gt_b_ = (int64_t)(b);                                  \
        if (!(gt_a_ op gt_b_))                                                                \
            gt__fail(__FILE__, __LINE__, "assertion failed: %s %s %s (%lld %s %lld)", #a, #op, \
                     #b, (long long)gt_a_, #op, (long long)gt_b_);                            \
    } while (0)
#define GT__CMP_UINT(a, op, b)                                                                \
    do {                                                                                      \
        uint64_t gt_a_ = (uint64_t)(a), gt_b_ = (uint64_t)(b);                               \
        if (!(gt_a_ op gt_b_))                                                                \
            gt__fail(__FILE__, __LINE__, "assertion failed: %s %s %s (%llu %s %llu)", #a, #op, \
                     #b, (unsigned long long)gt_a_, #op, (unsigned long long)gt_b_);          \
    } while (0)

#define GT_ASSERT_EQ(a, b) GT__CMP_INT(a, ==, b)
#define GT_ASSERT_NE(a, b) GT__CMP_INT(a, !=, b)
#define GT_ASSERT_LT(a, b) GT__CMP_INT(a, <, b)
#define GT_ASSERT_LE(a, b) GT__CMP_INT(a, <=, b)
#define GT_ASSERT_GT(a, b) GT__CMP_INT(a, >, b)
#define GT_ASSERT_GE(a, b) GT__CMP_INT(a, >=, b)
#define GT_ASSERT_UEQ(a, b) GT__CMP_UINT(a, ==, b)
#define GT_ASSERT_ULE(a, b) GT__CMP_UINT(a, <=, b)
#define GT_ASSERT_UGE(a, b) GT__CMP_UINT(a, >=, b)

#define GT_ASSERT_PTR_EQ(a, b)                                                                \
    do {                                                                                      \
        const void *gt_a_ = (const void *)(a), *gt_b_ = (const void *)(b);                   \
        if (gt_a_ != gt_b_)                                                                   \
            gt__fail(__FILE__, __LINE__, "assertion failed: %s == %s (%p vs %p)", #a, #b,     \
                     gt_a_, gt_b_);                                                           \
    } while (0)
#define GT_ASSERT_NULL(a) GT_ASSERT_PTR_EQ(a, NULL)
#define GT_ASSERT_NOT_NULL(a)                                                                 \
    do {                                                                                      \
        if ((a) == NULL)                                                                      \
            gt__fail(__FILE__, __LINE__, "assertion failed: %s != NULL (errno %d: %s)", #a,   \
                     errno, strerror(errno));                                                 \
    } while (0)

/* A goc call that must return 0; prints the error's name otherwise. */
#define GT_ASSERT_OK(expr)                                                                    \
    do {                                                                                      \
        int gt_r_ = (int)(expr);                                                              \
        if (gt_r_ != 0)                                                                       \
            gt__fail(__FILE__, __LINE__, "%s returned %d (%s), expected 0", #expr, gt_r_,     \
                     gt_errname(gt_r_));                                                      \
    } while (0)
/* A goc call that must return the negative errno err (e.g. -EPIPE). */
#define GT_ASSERT_ERR(expr, err)                                                              \
    do {                                                                                      \
        int gt_r_ = (int)(expr), gt_e_ = (int)(err);                                          \
        if (gt_r_ != gt_e_)                                                                   \
            gt__fail(__FILE__, __LINE__, "%s returned %d (%s), expected %s = %d (%s)", #expr, \
                     gt_r_, gt_errname(gt_r_), #err, gt_e_, gt_errname(gt_e_));               \
    } while (0)
/* A constructor that must fail with NULL and errno == e (positive). */
#define GT_ASSERT_NULL_ERRNO(expr, e)                                                         \
    do {                                                                                      \
        errno = 0;                                                                            \
        const void *gt_p_ = (const void *)(expr);                                            \
        int gt_en_ = errno;                                                                   \
        if (gt_p_ != NULL || gt_en_ != (e))                                                   \
            gt__fail(__FILE__, __LINE__, "%s returned %p errno %d (%s), expected NULL errno %s", \
                     #expr, gt_p_, gt_en_, gt_errname(-gt_en_), #e);                          \
    } while (0)
#define GT_ASSERT_MEM_EQ(a, b, n)                                                             \
    do {                                                                                      \
        if (memcmp((a), (b), (n)) != 0)                                                       \
            gt__fail(__FILE__, __LINE__, "assertion failed: memcmp(%s, %s, %s) == 0", #a, #b, \
                     #n);                                                                     \
    } while (0)

/* "EPIPE: channel closed" for -EPIPE; "ok" for 0; static read-only text
 * (task-safe; two calls in one printf are fine). */
const char *gt_errname(int err);

/* ------------------------------------------------------------- running -- */

int gt_main(int argc, char **argv, const char *file, void (*fn)(void));
#define GT_MAIN(fn)                                                                           \
    int main(int argc, char **argv) { return gt_main(argc, argv, __FILE__, (fn)); }

/* Runs one subtest in the calling (root) task, then the task-leak check;
 * prints "ok N name (ms)". Skipped (and reported) when argv[1] is a filter
 * that the name does not contain. */
void gt_run(const char *name, void (*fn)(void));
/* Skips the current subtest with a reason: prints and returns (the caller
 * returns from the subtest itself). */
void gt_skip(const char *reason);
/* Waits until goc_tasks_live() <= baseline for up to grace_ns; on failure
 * prints the registry and fails the test. */
void gt_check_no_leaks(size_t baseline, int64_t grace_ns, const char *when);
/* Waits (up to 10 s, else fails) until every task spawned since the
 * subtest started has exited, and every task spawned with gt_go or
 * gt_group_go has finished its function (happens-before: its writes are
 * visible): after it, objects those tasks used may be freed. */
void gt_join_all(void);
/* Live tasks when the current subtest started (the root task included). */
size_t gt_baseline(void);

/* -------------------------------------------------------------- sizes -- */

/* ci in native builds, sanitized in sanitizer builds; x10 with
 * GOC_TEST_LONG=1; scaled by GOC_TEST_SCALE; never below 1. */
long gt_n(long ci, long sanitized);
bool gt_sanitized(void);
bool gt_long(void);
/* "tsan", "asan" or "none". */
const char *gt_sanitizer_name(void);
/* Whether timing bounds (latency, lateness) are asserted in this build;
 * if not, prints "# skip timing assertion <what>: <reason>" once per call. */
bool gt_timing_checks(const char *what);
/* Lateness bound for deadlines: 20 ms native (libdill precision, checked
 * against the median), 250 ms in sanitizer builds; GOC_TEST_SLACK_MS sets
 * it. */
int64_t gt_slack_ns(void);

/* ------------------------------------------------------------ helpers -- */

/* xorshift seeded from goc_seed(), one state for the process stepped by
 * CAS (task-safe: coro tasks share worker threads). */
uint64_t gt_rand(void);
static inline uint32_t gt_rand_n(uint32_t n) {
    return (uint32_t)(((gt_rand() >> 32) * (uint64_t)n) >> 32);
}
/* Yields with probability 1/one_in (random schedule perturbation). */
void gt_maybe_yield(unsigned one_in);

static inline goc_time gt_ms(int64_t ms) { return goc_deadline(ms * 1000000); }
void gt_sleep_ms(int64_t ms);

/* A group of tasks joined with a WaitGroup (errgroup-like). The task
 * function runs, then Done is called. */
typedef struct gt_group gt_group;
gt_group *gt_group_make(void);
#define gt_group_go(g, fn, arg) gt__group_go((g), (fn), (arg), __FILE__, __LINE__, #fn)
void gt__group_go(gt_group *g, void (*fn)(void *), void *arg, const char *file, int line,
                  const char *name);
/* Waits for every task of the group (the watchdog guards it) and frees g. */
void gt_group_wait(gt_group *g);
/* Spawns fn(arg) or fails the test. The task's exit happens before
 * gt_join_all() returns (an atomic release/acquire pair, so the edge exists in
 * the Go memory model and for TSan's precise build too, where a task's exit
 * is no synchronization by itself): after gt_join_all the root may read what
 * the task wrote. */
#define gt_go(fn, arg) gt__go((fn), (arg), __FILE__, __LINE__, #fn)
void gt__go(void (*fn)(void *), void *arg, const char *file, int line, const char *name);

/* Waits until *flag becomes nonzero (acquire: pairs with the setter's
 * release store), polling every 100 us, for up to ns; returns whether it
 * did. */
bool gt_wait_flag(atomic_int *flag, int64_t ns);
/* Probe: true if the task blocked in an operation (which stores 1 to *done,
 * release, when it returns) is still blocked after ms milliseconds. */
bool gt_still_blocked(atomic_int *done, int64_t ms);
static inline void gt_set(atomic_int *flag) {
    /* release: whatever the setter did before is visible to gt_wait_flag */
    atomic_store_explicit(flag, 1, memory_order_release);
}

/* Number of live tasks that goc_tasks_report() shows blocked on obj (it
 * prints the object's address as %p). */
size_t gt_waiters_on(const void *obj);
/* Occurrences of needle in goc_tasks_report() ("blocked in" counts blocked
 * tasks: the registry prints "blocked in <op> on <obj> at <site>"). */
size_t gt_report_count(const char *needle);
/* Waits up to ns until needle occurs n times in the report (+2 ms settle). */
bool gt_wait_report(const char *needle, size_t n, int64_t ns);
/* Waits up to ns until at least n tasks are blocked on obj, then lets them
 * settle 2 ms (the registry marks a task blocked just before it parks);
 * returns whether they were seen. */
bool gt_wait_blocked(const void *obj, size_t n, int64_t ns);

/* Checksum of a payload (FNV-1a 64). */
uint64_t gt_hash(const void *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif
