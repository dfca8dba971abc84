/*
 * coro_netpoll: goc_fd_wait on the coro netpoller (epoll), over socketpairs.
 *   - a reader task parks until a writer task writes (the worker is free
 *     meanwhile: a third task keeps running);
 *   - GOC_NOW on a silent fd: -EAGAIN; a deadline: -ETIMEDOUT, never early;
 *   - a closed fd: -EBADF; bad arguments: -EINVAL;
 *   - two tasks waiting on one fd (the dup(2) path) both wake;
 *   - 64 socketpairs ping-pong 100 rounds each (exact byte counts).
 */
#include <sys/socket.h>

#include <unistd.h>

#include "goc_testing.h"

static void writer_after(void *p) {
    int fd = (int)(intptr_t)p;
    goc_sleep(gt_ms(20));
    char b = 'x';
    GT_ASSERT_EQ(write(fd, &b, 1), 1);
}
static atomic_int spinner_stop, spins;
static void spinner(void *p) {
    (void)p;
    while (!atomic_load(&spinner_stop)) {
        atomic_fetch_add(&spins, 1);
        goc_yield();
    }
}

static void basic(void) {
    int sv[2];
    GT_ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    GT_ASSERT_ERR(goc_fd_wait(sv[0], GOC_READ, GOC_NOW), -EAGAIN);
    GT_ASSERT_OK(goc_fd_wait(sv[0], GOC_WRITE, GOC_NOW)); /* writable at once */
    goc_time t0 = goc_now();
    GT_ASSERT_ERR(goc_fd_wait(sv[0], GOC_READ, gt_ms(30)), -ETIMEDOUT);
    GT_ASSERT_GE(goc_now() - t0, 30000000);
    atomic_store(&spinner_stop, 0);
    atomic_store(&spins, 0);
    gt_go(spinner, NULL);
    gt_go(writer_after, (void *)(intptr_t)sv[1]);
    GT_ASSERT_OK(goc_fd_wait(sv[0], GOC_READ, gt_ms(10000)));
    char b;
    GT_ASSERT_EQ(read(sv[0], &b, 1), 1);
    GT_ASSERT_EQ(b, 'x');
    atomic_store(&spinner_stop, 1);
    gt_join_all();
    GT_ASSERT_GT(atomic_load(&spins), 0); /* the wait parked the task, not the worker */
    GT_ASSERT_ERR(goc_fd_wait(-1, GOC_READ, GOC_NOW), -EINVAL);
    GT_ASSERT_ERR(goc_fd_wait(sv[0], 0, GOC_NOW), -EINVAL);
    GT_ASSERT_ERR(goc_fd_wait(sv[0], 8, GOC_NOW), -EINVAL);
    close(sv[0]);
    close(sv[1]);
    GT_ASSERT_ERR(goc_fd_wait(sv[0], GOC_READ, gt_ms(100)), -EBADF);
}

struct two {
    int fd;
    atomic_int *woke;
};
static void two_waiter(void *p) {
    struct two *t = p;
    GT_ASSERT_OK(goc_fd_wait(t->fd, GOC_READ, gt_ms(10000)));
    atomic_fetch_add(t->woke, 1);
}
static void same_fd(void) {
    int sv[2];
    GT_ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    atomic_int woke = 0;
    struct two t = {sv[0], &woke};
    gt_go(two_waiter, &t);
    gt_go(two_waiter, &t);
    gt_sleep_ms(20);
    GT_ASSERT_EQ(atomic_load(&woke), 0);
    char b = 'y';
    GT_ASSERT_EQ(write(sv[1], &b, 1), 1);
    gt_join_all();
    GT_ASSERT_EQ(atomic_load(&woke), 2);
    close(sv[0]);
    close(sv[1]);
}

struct pp {
    int fd, rounds, initiator;
    long bytes;
};
static void pinger(void *p) {
    struct pp *x = p;
    char b = 'p';
    for (int i = 0; i < x->rounds; i++) {
        if (x->initiator || i > 0) {
            while (write(x->fd, &b, 1) != 1) GT_ASSERT_OK(goc_fd_wait(x->fd, GOC_WRITE, GOC_NEVER));
        }
        for (;;) {
            ssize_t r = read(x->fd, &b, 1);
            if (r == 1) break;
            GT_ASSERT(r < 0 && errno == EAGAIN);
            GT_ASSERT_OK(goc_fd_wait(x->fd, GOC_READ, gt_ms(20000)));
        }
        x->bytes++;
    }
    if (!x->initiator) GT_ASSERT_EQ(write(x->fd, &b, 1), 1);
}
static void many_pairs(void) {
    enum { P = 64 };
    int rounds = (int)gt_n(100, 30);
    static struct pp xs[2 * P];
    int fds[2 * P];
    for (int i = 0; i < P; i++) {
        int sv[2];
        GT_ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
        fds[2 * i] = sv[0];
        fds[2 * i + 1] = sv[1];
        xs[2 * i] = (struct pp){sv[0], rounds, 1, 0};
        xs[2 * i + 1] = (struct pp){sv[1], rounds, 0, 0};
    }
    for (int i = 0; i < 2 * P; i++) gt_go(pinger, &xs[i]);
    gt_join_all();
    for (int i = 0; i < 2 * P; i++) {
        GT_ASSERT_EQ(xs[i].bytes, rounds);
        close(fds[i]);
    }
}

static void test_main(void) {
    gt_run("fd_wait_basic", basic);
    gt_run("fd_wait_same_fd_two_tasks", same_fd);
    gt_run("fd_wait_64_pairs", many_pairs);
}

GT_MAIN(test_main)
