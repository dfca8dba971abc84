/*
 * netpoll.c: the epoll netpoller and goc_fd_wait.
 *
 * One epoll instance for the runtime. goc_fd_wait first polls the fd once
 * (poll(2) with timeout 0: most waits are already satisfied, and it gives
 * EBADF for a closed fd). Otherwise the task parks, and the fd is registered
 * EPOLLONESHOT on the scheduler stack after the switch (the "after" action),
 * so an event can never wake a task that is still running. The event's data
 * is a key of the task pointer and the low 22 bits of the wait sequence
 * (netpoll_key.h): a late event from an earlier wait fails the sequence
 * check and the claim, unless the task has made 2^22 (4M) waits since
 * (Go's netpoller tags with 19 bits), and task structs are never unmapped
 * (stack.c), so reading one is always safe. If the fd is already registered
 * (another task waits on it for the other direction) the waiter registers a
 * dup(2) of it. After waking, the task removes its registration, and only
 * one it made: when arming failed (a dup(2) failure included) it removes
 * nothing, whoever claimed the wait, since the fd's registration, if any,
 * is another task's.
 *
 * Idle workers: at most one blocks in coro_netpoll (the poller, idle.c),
 * with the earliest timer as timeout; coro_netpoll_break() interrupts it
 * through an eventfd (coalesced by break_pending). Busy workers poll without
 * blocking when their queues run dry and every 61 schedules.
 *
 * Foreign threads cannot park on the netpoller: they block in poll(2).
 */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sched.h>
#include <unistd.h>

#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */

_Atomic int coro_nfdwait;
static int epfd = -1, evfd = -1;        /* set once by coro_netpoll_init */
static _Atomic int break_pending;       /* 1 while an eventfd write is unconsumed */

#include "netpoll_key.h"

int coro_netpoll_init(void) {
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) return -errno;
    evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (evfd < 0) return -errno;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, evfd, &ev) != 0) return -errno;
    return 0;
}

void coro_netpoll_break(void) {
    if (evfd < 0) return;
    /* acq_rel: one write per consumed break (pairs with the poller's exchange) */
    if (atomic_exchange_explicit(&break_pending, 1, memory_order_acq_rel)) return;
    uint64_t one = 1;
    ssize_t r = write(evfd, &one, sizeof one);
    (void)r;
}

static int epoll_wait_ns(struct epoll_event *ev, int n, int64_t timeout_ns) {
#ifdef SYS_epoll_pwait2
    static _Atomic int no_pwait2;
    if (!atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
        struct timespec ts, *tsp = NULL;
        if (timeout_ns >= 0) {
            ts.tv_sec = timeout_ns / 1000000000;
            ts.tv_nsec = timeout_ns % 1000000000;
            tsp = &ts;
        }
        long r = syscall(SYS_epoll_pwait2, epfd, ev, n, tsp, NULL, 0);
        if (r >= 0 || errno != ENOSYS) return (int)r;
        atomic_store_explicit(&no_pwait2, 1, memory_order_relaxed);
    }
#endif
    int ms = timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000);
    if (timeout_ns > (int64_t)INT32_MAX * 1000000) ms = INT32_MAX;
    return epoll_wait(epfd, ev, n, ms);
}

int coro_netpoll(int64_t timeout_ns) {
    if (epfd < 0) return 0;
    struct epoll_event ev[64];
    int n = epoll_wait_ns(ev, 64, timeout_ns);
    int readied = 0;
    for (int i = 0; i < n; i++) {
        uint64_t key = ev[i].data.u64;
        if (key == 0) {
            /* The break is for the blocking poller: a non-blocking poll by a
             * busy worker leaves it (level-triggered, it stays readable). */
            if (timeout_ns == 0) continue;
            uint64_t v;
            ssize_t r = read(evfd, &v, sizeof v);
            (void)r;
            atomic_store_explicit(&break_pending, 0, memory_order_release);
            continue;
        }
        coro_task *t = coro_poll_key_task(key);
        uint64_t w = atomic_load_explicit(&t->parker.word, memory_order_acquire);
        uint32_t seq = (uint32_t)(w >> 32);
        if (!coro_poll_key_seq_is(key, seq) || (uint32_t)w != CORO_WAITING) continue; /* stale */
        if (coro_claim(&t->parker, seq, 1)) {
            coro_parker_ready(&t->parker);
            readied++;
        }
    }
    return readied;
}

/* The task may be woken (by its deadline timer or the event itself) while
 * fd_arm still runs on another worker; it waits for poll_arming == 0 before
 * it touches its registration. release: pairs with the acquire spin in
 * goc_fd_wait, ordering fd_arm's reads and writes of t before the task's. */
static void coro_poll_arm_done(coro_task *t) {
    atomic_store_explicit(&t->poll_arming, 0, memory_order_release);
}

/* After action of a parked goc_fd_wait: register the fd (scheduler stack). */
static void fd_arm(void *arg) {
    coro_task *t = arg;
    uint32_t seq = t->timer_seq;
    if (GOC_UNLIKELY(!coro_poll_key_ok(t)))
        goc__fatal("coro: task %p is not 64-byte aligned below 2^48 (netpoll_key.h)", (void *)t);
    struct epoll_event ev = {
        .events = ((t->poll_events & GOC_READ) ? (EPOLLIN | EPOLLRDHUP) : 0) |
                  ((t->poll_events & GOC_WRITE) ? EPOLLOUT : 0) | EPOLLONESHOT,
        .data.u64 = coro_poll_key(t, seq),
    };
    int fd = t->poll_fd;
    /* The kernel orders the ADD before the event, but TSan cannot see that:
     * a no-op release RMW on the parker word, acquired by coro_netpoll's
     * load of it, carries the edge "everything before the ADD" -> waker. */
    atomic_fetch_or_explicit(&t->parker.word, 0, memory_order_release);
    int r = epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    if (r != 0 && errno == EEXIST) {
        int d = dup(fd);
        if (d >= 0) {
            t->poll_dup = d;
            atomic_fetch_or_explicit(&t->parker.word, 0, memory_order_release);
            r = epoll_ctl(epfd, EPOLL_CTL_ADD, d, &ev);
        }
    }
    if (r != 0) {
        t->poll_err = errno == EPERM ? 0 : -errno; /* EPERM: a regular file, always ready */
        /* Nothing of ours is registered: the task must not EPOLL_CTL_DEL,
         * even if its deadline claimed the wait first (then it returns
         * -ETIMEDOUT, not this error): on EEXIST the fd's registration is
         * another task's (a failed dup(2) left poll_dup at -1). */
        t->poll_fd = -1;
        coro_poll_arm_done(t);
        /* relaxed: a test knob (goc_fault_poll_arm_delay), set before the wait */
        int64_t delay = atomic_load_explicit(&goc__poll_arm_fail_delay_ns, memory_order_relaxed);
        if (GOC_UNLIKELY(delay > 0)) {
            struct timespec ts = {.tv_sec = delay / 1000000000, .tv_nsec = delay % 1000000000};
            nanosleep(&ts, NULL);
        }
        if (coro_claim(&t->parker, seq, CORO_FIRED_FDERR)) coro_parker_ready(&t->parker);
        return;
    }
    coro_poll_arm_done(t); /* last touch of t: it may be running already */
    coro_poll_added();     /* make sure some worker polls */
}

static int foreign_fd_wait(struct pollfd *pfd, goc_time deadline) {
    for (;;) {
        int ms = -1;
        if (goc__deadline_kind(deadline) == GOC_DL_AT) {
            goc_time now = goc_now();
            if (now >= deadline) return -ETIMEDOUT;
            int64_t d = (deadline - now + 999999) / 1000000;
            ms = d > INT32_MAX ? INT32_MAX : (int)d;
        }
        int r = poll(pfd, 1, ms);
        if (r < 0 && errno != EINTR) return -errno;
        if (r > 0) return (pfd->revents & POLLNVAL) ? -EBADF : 0;
    }
}

static int fd_wait_impl(int fd, int events, goc_time deadline);
int(goc_fd_wait)(int fd, int events, goc_time deadline) {
    GOC_RACE_CALL_BEGIN();
    int r = fd_wait_impl(fd, events, deadline);
    GOC_RACE_CALL_END();
    return r;
}

static int fd_wait_impl(int fd, int events, goc_time deadline) {
    if (fd < 0 || events == 0 || (events & ~(GOC_READ | GOC_WRITE))) return -EINVAL;
    struct pollfd pfd = {.fd = fd,
                         .events = (short)(((events & GOC_READ) ? POLLIN : 0) |
                                           ((events & GOC_WRITE) ? POLLOUT : 0))};
    int r;
    while ((r = poll(&pfd, 1, 0)) < 0 && errno == EINTR) {
    }
    if (r < 0) return -errno;
    if (r > 0) return (pfd.revents & POLLNVAL) ? -EBADF : 0;
    int kind = goc__deadline_kind(deadline);
    if (kind == GOC_DL_NOW) return -EAGAIN;
    if (kind == GOC_DL_AT && deadline <= goc_now()) return -ETIMEDOUT;
    coro_task *t = coro_self();
    if (!t) return foreign_fd_wait(&pfd, deadline);

    t->poll_fd = fd;
    t->poll_dup = -1;
    t->poll_events = events;
    t->poll_err = 0;
    atomic_store_explicit(&t->poll_arming, 1, memory_order_relaxed); /* cleared by fd_arm */
    uint32_t seq = coro_parker_begin(&t->parker);
    coro_wait_begin("fd wait", (const void *)(intptr_t)fd,
                    kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    atomic_fetch_add_explicit(&coro_nfdwait, 1, memory_order_seq_cst);
    uint32_t code = coro_park(&t->parker, seq, fd_arm, t, deadline);
    goc__wait_end();
    /* acquire: pairs with coro_poll_arm_done */
    for (int i = 0; atomic_load_explicit(&t->poll_arming, memory_order_acquire); i++) {
        if (i < 100) goc__cpu_relax();
        else sched_yield();
    }
    int rfd = t->poll_dup >= 0 ? t->poll_dup : fd;
    if (t->poll_fd >= 0) epoll_ctl(epfd, EPOLL_CTL_DEL, rfd, NULL); /* -1: fd_arm failed */
    if (t->poll_dup >= 0) close(t->poll_dup);
    t->poll_dup = -1;
    t->poll_fd = -1;
    atomic_fetch_sub_explicit(&coro_nfdwait, 1, memory_order_seq_cst);
    if (code == CORO_FIRED_TIMEOUT) return -ETIMEDOUT;
    if (code == CORO_FIRED_FDERR) return t->poll_err;
    return 0;
}

GOC_RACE_FILE_END
