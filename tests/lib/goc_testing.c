/*
 * goc_testing.c: runner, watchdog, leak checks and helpers of goc's tests
 * (see goc_testing.h).
 *
 * Threads of this file:
 *   - the root task (goc_main's fn): runs the subtests;
 *   - the watchdog, a plain OS thread (not a goc task, so it is never in the
 *     registry it dumps): sleeps on wd_cond until the deadline or until
 *     wd_stop is set, guarded by wd_mu.
 * Shared state: g_current (the running subtest's name) is written by the
 * root task and read by the watchdog and the failure path: an atomic pointer,
 * release/acquire so the watchdog prints a complete string.
 */
#include "goc_testing.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define GT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define GT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GT_TSAN 1
#endif
#endif
#ifdef GT_ASAN
#include <sanitizer/lsan_interface.h>
#endif

static _Atomic(const char *) g_current = "(setup)";
static const char *g_file = "?";
static const char *g_filter;
static int g_count;      /* subtests run; root task only */
static void free_dead_groups(void);
static size_t g_base;    /* live tasks at the start of the subtest; root task only */
static double g_timeout; /* seconds, set before the watchdog starts */

/* ---------------------------------------------------------- failures -- */

static const char *basename_of(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

void gt_note(const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* one write per line so lines of concurrent tasks do not interleave */
    fprintf(stdout, "# %s\n", buf);
    fflush(stdout);
}

void gt__fail(const char *file, int line, const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "FAIL %s:%d: %s\n  test %s, subtest %s, backend %s, seed %llu (replay: GOC_SEED=%llu)\n",
            basename_of(file), line, buf, g_file,
            atomic_load_explicit(&g_current, memory_order_acquire), goc_backend_name(),
            (unsigned long long)goc_seed(), (unsigned long long)goc_seed());
    fflush(stderr);
    printf("not ok %d %s\n", g_count + 1, atomic_load_explicit(&g_current, memory_order_acquire));
    fflush(stdout);
    /* exit status, not a signal: CTest's WILL_FAIL only inverts exits */
    _exit(1);
}

/* gt_errname's texts: built once (pthread_once orders the writes before
 * every caller's reads), read-only after. No per-thread buffer: coro's
 * tasks share worker threads (a task-unsafe buffer, and a TSan report in
 * the precise build), and GT_ASSERT_ERR formats two names in one call (one
 * buffer printed the second name twice). */
static const struct {
    int err; /* positive errno; 0: ok */
    const char *name;
} gt_errs[] = {
    {0, "ok"},           {EPIPE, "EPIPE"},         {EAGAIN, "EAGAIN"},       {ETIMEDOUT, "ETIMEDOUT"},
    {EINVAL, "EINVAL"},  {ENOMEM, "ENOMEM"},       {EBUSY, "EBUSY"},         {EPERM, "EPERM"},
    {ECANCELED, "ECANCELED"}, {ESHUTDOWN, "ESHUTDOWN"}, {EDEADLK, "EDEADLK"}, {EBADF, "EBADF"},
    {EALREADY, "EALREADY"}, {EINTR, "EINTR"},
};
#define GT_NERRS (sizeof gt_errs / sizeof gt_errs[0])
static char gt_err_text[GT_NERRS][96]; /* written once in gt_errs_init */
static pthread_once_t gt_err_once = PTHREAD_ONCE_INIT;

static void gt_errs_init(void) {
    for (size_t i = 0; i < GT_NERRS; i++) {
        int e = gt_errs[i].err;
        snprintf(gt_err_text[i], sizeof gt_err_text[i], "%s%s%s", gt_errs[i].name, e ? ": " : "",
                 e ? goc_strerror(-e) : "");
    }
}

const char *gt_errname(int err) {
    if (err > 0) return "(not an error)";
    pthread_once(&gt_err_once, gt_errs_init);
    for (size_t i = 0; i < GT_NERRS; i++)
        if (gt_errs[i].err == -err) return gt_err_text[i];
    return "?"; /* every caller prints the number beside it */
}

/* ---------------------------------------------------------- watchdog -- */

static pthread_mutex_t wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond;
static bool wd_stop; /* guarded by wd_mu */
static pthread_t wd_thread;

static void *watchdog(void *arg) {
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t end = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + (int64_t)(g_timeout * 1e9);
    ts.tv_sec = end / 1000000000;
    ts.tv_nsec = end % 1000000000;
    pthread_mutex_lock(&wd_mu);
    int rc = 0;
    while (!wd_stop && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&wd_cond, &wd_mu, &ts);
    bool fire = !wd_stop;
    pthread_mutex_unlock(&wd_mu);
    if (!fire) return NULL;
    fflush(stdout);
    fprintf(stderr,
            "WATCHDOG: %s (backend %s) still running after %.0f s in subtest %s; seed %llu "
            "(replay: GOC_SEED=%llu). Live tasks:\n",
            g_file, goc_backend_name(), g_timeout,
            atomic_load_explicit(&g_current, memory_order_acquire), (unsigned long long)goc_seed(),
            (unsigned long long)goc_seed());
    goc_tasks_report(stderr);
    fflush(stderr);
    _exit(3);
}

static void watchdog_start(void) {
    const char *e = getenv("GOC_TEST_TIMEOUT");
    g_timeout = e && atof(e) > 0 ? atof(e) : 60.0;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&wd_cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&wd_thread, NULL, watchdog, NULL) != 0) {
        fprintf(stderr, "cannot start the watchdog thread\n");
        _exit(1);
    }
}

static void watchdog_stop(void) {
    pthread_mutex_lock(&wd_mu);
    wd_stop = true;
    pthread_cond_signal(&wd_cond);
    pthread_mutex_unlock(&wd_mu);
    pthread_join(wd_thread, NULL);
}

/* ----------------------------------------------------- crash capture -- */

static void on_crash(int sig) {
    /* async-signal-safe only: write + _exit */
    static const char msg[] = "CRASH: fatal signal caught by the test runner (GOC_TEST_CATCH_SIGNALS)\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
    _exit(sig == SIGABRT ? 4 : 2);
}

static void catch_signals(void) {
    const char *e = getenv("GOC_TEST_CATCH_SIGNALS");
    if (!e || !*e || *e == '0') return;
    int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_crash;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

/* ------------------------------------------------------------ runner -- */

size_t gt_baseline(void) { return g_base; }

/* Tasks spawned through gt_go/gt_group_go and those that finished their
 * function. Incremented with release RMWs (one release sequence), read with
 * acquire by gt_join_all: every finished task's writes happen before the
 * root's read of the count that includes it. */
static atomic_long g_spawned, g_finished;

void gt_join_all(void) {
    goc_time end = goc_deadline(10000000000LL);
    for (;;) {
        /* acquire: pairs with the release increment at the end of tramp.
         * Read finished first: a task spawned by a finished task is then
         * counted in `spawned`, and an unfinished task keeps spawned >
         * finished by itself. */
        long fin = atomic_load_explicit(&g_finished, memory_order_acquire);
        if (atomic_load_explicit(&g_spawned, memory_order_relaxed) == fin) break;
        if (goc_now() >= end) {
            fflush(stdout);
            goc_tasks_report(stderr);
            GT_FAIL("tasks spawned with gt_go did not finish within 10 s");
        }
        goc_sleep(goc_deadline(100000));
    }
    gt_check_no_leaks(g_base, 10000000000LL, "joining the subtest's tasks");
}

void gt_check_no_leaks(size_t baseline, int64_t grace_ns, const char *when) {
    goc_time end = goc_deadline(grace_ns);
    size_t live;
    while ((live = goc_tasks_live()) > baseline && goc_now() < end) goc_sleep(goc_deadline(1000000));
    if (live > baseline) {
        fflush(stdout);
        fprintf(stderr, "task leak after %s: %zu live tasks, baseline %zu. Live tasks:\n", when, live,
                baseline);
        goc_tasks_report(stderr);
        GT_FAIL("task leak after %s (%zu tasks still live after %.1f s grace)", when, live - baseline,
                grace_ns / 1e9);
    }
}

void gt_run(const char *name, void (*fn)(void)) {
    if (g_filter && !strstr(name, g_filter)) return;
    atomic_store_explicit(&g_current, name, memory_order_release);
    g_base = goc_tasks_live();
    goc_time t0 = goc_now();
    fn();
    gt_check_no_leaks(g_base, 1000000000, name);
    free_dead_groups();
    g_count++;
    printf("ok %d %s (%.1f ms)\n", g_count, name, (goc_now() - t0) / 1e6);
    fflush(stdout);
    atomic_store_explicit(&g_current, "(between subtests)", memory_order_release);
}

void gt_skip(const char *reason) {
    gt_note("skip %s: %s", atomic_load_explicit(&g_current, memory_order_acquire), reason);
}

struct root_arg {
    void (*fn)(void);
};

static void root(void *p) {
    struct root_arg *ra = p;
    size_t base = goc_tasks_live();
    ra->fn();
    atomic_store_explicit(&g_current, "(end of test)", memory_order_release);
    gt_check_no_leaks(base, 1000000000, "the test");
    free_dead_groups();
}

int gt_main(int argc, char **argv, const char *file, void (*fn)(void)) {
    g_file = basename_of(file);
    if (argc > 1 && argv[1][0]) g_filter = argv[1];
    setvbuf(stdout, NULL, _IOLBF, 0);
    catch_signals();
    watchdog_start();
    printf("# %s backend=%s seed=%llu (replay: GOC_SEED=%llu) sanitizer=%s timeout=%.0fs%s%s\n", g_file,
           goc_backend_name(), (unsigned long long)goc_seed(), (unsigned long long)goc_seed(),
           gt_sanitizer_name(), g_timeout, g_filter ? " filter=" : "", g_filter ? g_filter : "");
    struct root_arg ra = {fn};
    int rc = goc_main(root, &ra);
    if (rc != 0) GT_FAIL("goc_main returned %d (%s)", rc, gt_errname(rc));
    watchdog_stop();
#ifdef GT_ASAN
    if (__lsan_do_recoverable_leak_check() != 0) GT_FAIL("LeakSanitizer found leaks (report above)");
#endif
    printf("1..%d\n# %s: all %d subtests passed (backend %s)\n", g_count, g_file, g_count,
           goc_backend_name());
    fflush(stdout);
    return 0;
}

/* ------------------------------------------------------------- sizes -- */

bool gt_sanitized(void) {
#ifdef GOC_SANITIZED
    return true;
#else
    return false;
#endif
}

const char *gt_sanitizer_name(void) {
#if defined(GT_TSAN)
    return "tsan";
#elif defined(GT_ASAN)
    return "asan";
#else
    return "none";
#endif
}

bool gt_long(void) {
    const char *e = getenv("GOC_TEST_LONG");
    return e && *e && *e != '0';
}

long gt_n(long ci, long sanitized) {
    double n = (double)(gt_sanitized() ? sanitized : ci);
    if (gt_long()) n *= 10;
    const char *e = getenv("GOC_TEST_SCALE");
    if (e && atof(e) > 0) n *= atof(e);
    return n < 1 ? 1 : (long)n;
}

bool gt_timing_checks(const char *what) {
    if (!gt_sanitized()) return true;
    gt_note("skip timing assertion '%s': %s build (5-15x slower, bounds meaningless)", what,
            gt_sanitizer_name());
    return false;
}

int64_t gt_slack_ns(void) {
    const char *e = getenv("GOC_TEST_SLACK_MS");
    if (e && atol(e) > 0) return atol(e) * 1000000;
    return gt_sanitized() ? 250000000 : 20000000;
}

/* ----------------------------------------------------------- helpers -- */

/* One xorshift state for the process, stepped by CAS: task-safe. A
 * per-thread state (as before) is shared by every task that runs on one
 * coro worker, and reached by a task that migrates to another worker: in
 * the precise TSan build, where coro's fiber switches are hidden, each such
 * access was reported as a race (against the worker's TLS initialization or
 * another task on it). Relaxed: only the value matters, the CAS makes each
 * step unique. 0: not seeded yet (xorshift never reaches 0 from nonzero). */
static _Atomic uint64_t g_rand_state;

uint64_t gt_rand(void) {
    uint64_t s = atomic_load_explicit(&g_rand_state, memory_order_relaxed), x;
    do {
        x = s ? s : goc_seed() | 1;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
    } while (!atomic_compare_exchange_weak_explicit(&g_rand_state, &s, x, memory_order_relaxed,
                                                    memory_order_relaxed));
    return x * 0x2545f4914f6cdd1dull;
}

void gt_maybe_yield(unsigned one_in) {
    if (one_in && gt_rand_n(one_in) == 0) goc_yield();
}

void gt_sleep_ms(int64_t ms) { goc_sleep(goc_deadline(ms * 1000000)); }

bool gt_wait_flag(atomic_int *flag, int64_t ns) {
    goc_time end = goc_deadline(ns);
    for (;;) {
        /* acquire: pairs with gt_set's release */
        if (atomic_load_explicit(flag, memory_order_acquire)) return true;
        if (goc_now() >= end) return false;
        goc_sleep(goc_deadline(100000));
    }
}

bool gt_still_blocked(atomic_int *done, int64_t ms) {
    gt_sleep_ms(ms);
    /* acquire: pairs with gt_set's release in the blocked task */
    return atomic_load_explicit(done, memory_order_acquire) == 0;
}

uint64_t gt_hash(const void *p, size_t n) {
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* A group's WaitGroup is freed only after the subtest's leak check, once
 * every task has exited: a task may still be inside goc_wg_done when Wait
 * returns, and goc.h promises reuse after Wait, not free. */
struct gt_group {
    goc_wg *wg;
    gt_group *next_dead; /* root task only */
};
static gt_group *g_dead; /* groups to free after the leak check; root task only */
struct group_job {
    gt_group *g; /* NULL for gt_go */
    void (*fn)(void *);
    void *arg;
};

static void tramp(void *p) {
    struct group_job j = *(struct group_job *)p;
    free(p);
    j.fn(j.arg);
    /* release: publishes the task's writes to gt_join_all's acquire load */
    atomic_fetch_add_explicit(&g_finished, 1, memory_order_release);
    if (j.g) goc_wg_done(j.g->wg);
}

static void spawn(gt_group *g, void (*fn)(void *), void *arg, const char *file, int line, const char *name) {
    struct group_job *j = malloc(sizeof *j);
    if (!j) gt__fail(file, line, "out of memory");
    *j = (struct group_job){g, fn, arg};
    if (g) GT_ASSERT_OK(goc_wg_add(g->wg, 1));
    /* relaxed: read by gt_join_all only after tasks report finishing, with
     * acquire on g_finished; the spawner is the root or a joined task */
    atomic_fetch_add_explicit(&g_spawned, 1, memory_order_relaxed);
    int rc = goc_go_at(tramp, j, file, line, name);
    if (rc != 0) gt__fail(file, line, "goc_go(%s) returned %d (%s)", name, rc, gt_errname(rc));
}

void gt__go(void (*fn)(void *), void *arg, const char *file, int line, const char *name) {
    spawn(NULL, fn, arg, file, line, name);
}

gt_group *gt_group_make(void) {
    gt_group *g = calloc(1, sizeof *g);
    GT_ASSERT_NOT_NULL(g);
    g->wg = goc_wg_make();
    GT_ASSERT_NOT_NULL(g->wg);
    return g;
}

void gt__group_go(gt_group *g, void (*fn)(void *), void *arg, const char *file, int line,
                  const char *name) {
    spawn(g, fn, arg, file, line, name);
}

void gt_group_wait(gt_group *g) {
    GT_ASSERT_OK(goc_wg_wait(g->wg, GOC_NEVER));
    g->next_dead = g_dead;
    g_dead = g;
}

static void free_dead_groups(void) {
    while (g_dead) {
        gt_group *g = g_dead;
        g_dead = g->next_dead;
        goc_wg_free(g->wg);
        free(g);
    }
}

static size_t count_in_report(const char *pat, bool whole_hex_token) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return 0;
    goc_tasks_report(f);
    fclose(f);
    size_t n = 0, pl = strlen(pat);
    for (const char *s = buf; (s = strstr(s, pat)) != NULL; s += pl) {
        /* a whole token: not the prefix of a longer address */
        char c = s[pl];
        if (!whole_hex_token || !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) n++;
    }
    free(buf);
    return n;
}

size_t gt_report_count(const char *needle) { return count_in_report(needle, false); }

size_t gt_waiters_on(const void *obj) {
    char pat[32];
    snprintf(pat, sizeof pat, "%p", obj);
    return count_in_report(pat, true);
}

bool gt_wait_report(const char *needle, size_t n, int64_t ns) {
    goc_time end = goc_deadline(ns);
    while (gt_report_count(needle) < n) {
        if (goc_now() >= end) return false;
        goc_sleep(goc_deadline(200000));
    }
    gt_sleep_ms(2);
    return true;
}

bool gt_wait_blocked(const void *obj, size_t n, int64_t ns) {
    goc_time end = goc_deadline(ns);
    while (gt_waiters_on(obj) < n) {
        if (goc_now() >= end) return false;
        goc_sleep(goc_deadline(200000));
    }
    gt_sleep_ms(2);
    return true;
}
