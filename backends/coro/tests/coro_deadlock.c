/*
 * coro_deadlock: the coro deadlock detector (TESTING.md (e), "Deadlock").
 * Positive controls run as child processes whose goc_main must print Go's
 * style of report ("fatal error: all tasks are asleep - deadlock!", each
 * task's spawn site and wait site) and return -EDEADLK:
 *   recv_nobody   main receives on a channel nobody writes
 *   wg_missing    main waits on a WaitGroup whose Done never comes
 *   cycle         two tasks each wait on the other's channel, main on both
 *   select_empty  main runs select {} (no enabled case)
 * Negative controls (in process: goc_main must not report):
 *   a task sleeping on a timer is not a deadlock: main receives what it
 *   sends 300 ms later; a deadline wait is not a deadlock either; a task
 *   blocked while a foreign thread will wake it is not a deadlock.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "coro_child.h"

static goc_chan *c_a, *c_b;

static void recv_nobody(void *p) {
    (void)p;
    goc_chan *c = goc_chan_make(8, 0);
    int64_t v;
    goc_chan_recv(c, &v, GOC_NEVER);
}
enum { LINE_RECV = __LINE__ - 2 };
static void wg_missing(void *p) {
    (void)p;
    goc_wg *wg = goc_wg_make();
    goc_wg_add(wg, 1);
    goc_wg_wait(wg, GOC_NEVER);
}
enum { LINE_WG = __LINE__ - 2 };
static void cycle_a(void *p) {
    (void)p;
    int64_t v = 1;
    goc_chan_recv(c_b, &v, GOC_NEVER);
    goc_chan_send(c_a, &v, GOC_NEVER);
}
static void cycle_b(void *p) {
    (void)p;
    int64_t v = 2;
    goc_chan_recv(c_a, &v, GOC_NEVER);
    goc_chan_send(c_b, &v, GOC_NEVER);
}
static void cycle(void *p) {
    (void)p;
    c_a = goc_chan_make(8, 0);
    c_b = goc_chan_make(8, 0);
    goc_go(cycle_a, NULL);
    goc_go(cycle_b, NULL);
    goc_wg *wg = goc_wg_make();
    goc_wg_add(wg, 1);
    goc_wg_wait(wg, GOC_NEVER);
}
static void select_empty(void *p) {
    (void)p;
    goc_select(NULL, 0, GOC_NEVER);
}
enum { LINE_SELECT = __LINE__ - 2 };

static int child(const char *mode) {
    void (*fn)(void *) = !strcmp(mode, "recv_nobody")  ? recv_nobody
                         : !strcmp(mode, "wg_missing") ? wg_missing
                         : !strcmp(mode, "cycle")      ? cycle
                                                       : select_empty;
    int rc = goc_main(fn, NULL);
    fprintf(stderr, "goc_main returned %d\n", rc);
    return rc == -EDEADLK ? 2 : 1; /* 2, like Go's exit status for a deadlock */
}

static void expect_deadlock(const char *mode, const char *wait_op, const char *site) {
    coro_child c;
    char arg[64];
    snprintf(arg, sizeof arg, "--child=%s", mode);
    coro_child_run(&c, arg, NULL);
    GT_ASSERT_MSG(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 2, "%s: child status 0x%x, stderr:\n%s", mode,
                  c.status, c.err);
    GT_ASSERT_MSG(strstr(c.err, "fatal error: all tasks are asleep - deadlock!"), "%s: no report:\n%s", mode,
                  c.err);
    GT_ASSERT_MSG(strstr(c.err, "goc_main returned -35") || strstr(c.err, "goc_main returned"), "%s", c.err);
    GT_ASSERT_MSG(strstr(c.err, wait_op), "%s: wait op '%s' missing:\n%s", mode, wait_op, c.err);
    GT_ASSERT_MSG(strstr(c.err, site), "%s: site '%s' missing:\n%s", mode, site, c.err);
}

static const char *site(int line) {
    static char b[4][64];
    static int k;
    char *s = b[k++ % 4];
    snprintf(s, 64, "coro_deadlock.c:%d", line);
    return s;
}
static void positive(void) {
    expect_deadlock("recv_nobody", "blocked in chan recv", site(LINE_RECV));
    expect_deadlock("wg_missing", "blocked in wg wait", site(LINE_WG));
    expect_deadlock("cycle", "cycle_a() spawned at", "cycle_b() spawned at");
    expect_deadlock("select_empty", "select (no cases)", site(LINE_SELECT));
}

/* ---------------------------------------------------- negative controls -- */

static void late_sender(void *p) {
    goc_sleep(gt_ms(300));
    int64_t v = 42;
    GT_ASSERT_OK(goc_chan_send(p, &v, GOC_NEVER));
}
static void timer_not_deadlock(void) {
    goc_chan *c = goc_chan_make(8, 0);
    GT_ASSERT_NOT_NULL(c);
    gt_go(late_sender, c);
    int64_t v = 0;
    GT_ASSERT_OK(goc_chan_recv(c, &v, GOC_NEVER)); /* everyone blocked 300 ms, but a timer is pending */
    GT_ASSERT_EQ(v, 42);
    /* a deadline wait with nothing else alive */
    GT_ASSERT_ERR(goc_chan_recv(c, &v, gt_ms(250)), -ETIMEDOUT);
    gt_join_all();
    goc_chan_free(c);
}

static _Atomic int foreign_registered;
static void *foreign_sender(void *p) {
    struct timespec ts = {0, 300 * 1000000};
    int64_t v = 7;
    goc_chan *other = goc_chan_make(8, 0);
    /* any channel op registers this thread as a possible waker, a failed
     * try-op included */
    if (goc_chan_send(other, &v, GOC_NOW) != -EAGAIN) abort();
    goc_chan_free(other);
    atomic_store(&foreign_registered, 1);
    nanosleep(&ts, NULL);
    goc_chan_send(p, &v, GOC_NEVER);
    return NULL;
}
static void foreign_not_deadlock(void) {
    goc_chan *c = goc_chan_make(8, 0);
    GT_ASSERT_NOT_NULL(c);
    pthread_t th;
    atomic_store(&foreign_registered, 0);
    GT_ASSERT_EQ(pthread_create(&th, NULL, foreign_sender, c), 0);
    /* Block only once the thread has made its first goc call: before it, the
     * runtime cannot know the thread (README "Deadlock detector"), and under
     * load a new thread may not run for longer than the detector's 100 ms
     * grace (this subtest failed once in a ctest -j2 run at load 10). The
     * root sleeps meanwhile: a pending timer is not a deadlock. */
    while (!atomic_load(&foreign_registered)) goc_sleep(gt_ms(1));
    int64_t v = 0;
    GT_ASSERT_OK(goc_chan_recv(c, &v, GOC_NEVER));
    GT_ASSERT_EQ(v, 7);
    pthread_join(th, NULL);
    goc_chan_free(c);
}

static void test_main(void) {
    gt_run("deadlock_reports", positive);
    gt_run("timer_is_not_deadlock", timer_not_deadlock);
    gt_run("foreign_thread_is_not_deadlock", foreign_not_deadlock);
}

int main(int argc, char **argv) {
    if (argc > 1 && !strncmp(argv[1], "--child=", 8)) return child(argv[1] + 8);
    return gt_main(argc, argv, __FILE__, test_main);
}
