/*
 * Issue 12 "also seen": a failed dup(2) in coro's fd wait removed another
 * task's registration. Task A waits for a pipe to become readable; the root
 * then waits on the same fd with a 1 ms deadline while dup(2) cannot get an
 * fd (RLIMIT_NOFILE at the lowest free fd), so the netpoller's arming fails
 * (EEXIST, then EMFILE); goc_fault_poll_arm_delay holds the failure path
 * 50 ms so that the deadline claims the wait first. The root's wait must
 * return (-ETIMEDOUT, or the arming error when its worker is the only one),
 * and A must still wake when the pipe gets a byte: before the fix the root
 * issued EPOLL_CTL_DEL on the fd, deleting A's registration, and A slept on.
 * The race needs a second worker to fire the deadline; with GOC_PROCS=1 the
 * arming error always wins, and the test checks that path.
 */
#include "goc_testing.h"

#include <sys/resource.h>
#include <unistd.h>

struct waiter {
    int fd;
    atomic_int done;
    int rc;
};
static void reader(void *p) {
    struct waiter *w = p;
    w->rc = goc_fd_wait(w->fd, GOC_READ, GOC_NEVER);
    gt_set(&w->done);
}

static void dup_failure_keeps_other_registration(void) {
    for (int round = 0; round < 3; round++) {
        int p[2];
        GT_ASSERT_EQ(pipe(p), 0);
        struct waiter a = {p[0], 0, 1};
        gt_go(reader, &a);
        GT_ASSERT(gt_wait_report("blocked in fd wait", 1, 10000000000LL));
        gt_sleep_ms(5); /* let A's registration (the after action) happen */

        struct rlimit old;
        GT_ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
        int lowest = dup(0); /* the lowest free fd: dup(2) fails once it is the limit */
        GT_ASSERT_GE(lowest, 0);
        close(lowest);
        struct rlimit low = {(rlim_t)lowest, old.rlim_max};
        goc_fault_poll_arm_delay(50000000);
        GT_ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
        int rc = goc_fd_wait(p[0], GOC_READ, goc_deadline(1000000));
        GT_ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
        goc_fault_poll_arm_delay(0);
        GT_ASSERT_MSG(rc == -ETIMEDOUT || rc == -EMFILE, "fd wait returned %d (%s)", rc, gt_errname(rc));
        gt_note("round %d: the second wait returned %s", round, gt_errname(rc));
        GT_ASSERT(!atomic_load(&a.done));

        char b = 1;
        GT_ASSERT_EQ(write(p[1], &b, 1), 1);
        GT_ASSERT_MSG(gt_wait_flag(&a.done, 5000000000LL),
                      "the first waiter lost its registration: not woken by a readable pipe");
        GT_ASSERT_EQ(a.rc, 0);
        gt_join_all();
        close(p[0]);
        close(p[1]);
    }
}

static void test_main(void) { gt_run("dup_failure_keeps_other_registration", dup_failure_keeps_other_registration); }
GT_MAIN(test_main)
