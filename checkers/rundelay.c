/*
 * rundelay.c: the run-delay stall bound (rundelay.h) and its sampler.
 *
 * The bound. Take a window W = (u, v] between two samples, u = s[j]->t0
 * and v = s[k]->t1. Let A = the instants of W at which no thread of the
 * process is on a CPU, B = those at which at least one is runnable and
 * waiting on a run queue. The stall is |A & B| >= |A| + |B| - |W|, and
 *   |W| - |A| = |someone running| <= the sum over threads of their run in W
 *             <= cpu1(k) - cpu0(j) + lag          (1)
 *   |B| >= the wait inside W of any one thread t   (2)
 * so stall >= max_t wait_t(W) - (cpu1(k) - cpu0(j)) - lag.
 * (1): the process CPU clock counts every thread, those born or exited
 * inside W too; run done before u but credited after it only makes the
 * difference larger (conservative); run done before v by a thread on
 * another CPU and not yet credited at v is at most one tick per such CPU:
 * that is lag.
 * (2), from schedstat: run_delay grows by a queued stretch's full length
 * when the stretch ends: when the thread gets a CPU (pcount + 1 then,
 * sched_info_arrive) or when it is taken off a run queue while still
 * waiting, to be queued on another CPU's (a migration: sched_info_dequeue,
 * no pcount change; the wait goes on as a new stretch). The stretches
 * credited between s[j] and s[k] all end inside W and are disjoint, so at
 * most one of them, the one in progress at u, began before u, and it is
 * the first credit after s[j] (a thread cannot run, nor be credited, in the
 * middle of a stretch). If that credit is first seen in interval m (the
 * wait or pcount grew between s[m-1] and s[m]), it came after s[m-1]->t0,
 * so that stretch covers at least min(e, s[m-1]->t0 - u) of W, e its
 * length <= the wait credited in interval m. What may lie before u is
 * therefore at most
 *   pre = max(0, dwait_m - (s[m-1]->t0 - u)),
 * and wait_t(W) >= (run_delay_t(k) - run_delay_t(j)) - pre. A wait still in
 * progress at v is not credited at all (it only makes the bound smaller).
 * A thread that is missing from any sample between j and k (born after
 * s[j], exited, left out by RD_MAX_THREADS, or a tid reused: a counter going
 * backwards) is left out of the max for that window: a smaller max, so
 * the bound stays a lower bound; its run is still in (1).
 * Each window is a valid bound for the part of [a, b] it covers; the part
 * of W outside [a, b] is at most (a - u)+ + (v - b)+, and the stall inside
 * W & [a, b] is at least the stall in W less that. The result is the
 * largest over all windows (j, k): a maximum of lower bounds is one.
 * Windows are not added up (they overlap), so nothing is counted twice.
 * Any subset of the windows gives a lower bound too: windows that start
 * more than RD_REACH_NS before a or end more than that after b are not
 * tried (they lose that much and more to the clip, so they rarely win, and
 * the work is quadratic in the samples).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dirfd, openat */
#endif
#include "rundelay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RD_TICK_MAX_NS 10000000 /* CONFIG_HZ >= 100 */
#define RD_REACH_NS 50000000

static inline int64_t max64(int64_t x, int64_t y) { return x > y ? x : y; }
static inline int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }

static const struct rd_thread *find_tid(const struct rd_sample *s, int32_t tid) {
    int lo = 0, hi = s->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s->th[mid].tid < tid) lo = mid + 1;
        else hi = mid;
    }
    return lo < s->n && s->th[lo].tid == tid ? &s->th[lo] : NULL;
}

int64_t rd_stall_bound(const struct rd_sample *const *s, int n, int64_t a, int64_t b, int64_t lag_ns) {
    return rd_stall_bound_why(s, n, a, b, lag_ns, NULL);
}

int64_t rd_stall_bound_why(const struct rd_sample *const *s, int n, int64_t a, int64_t b, int64_t lag_ns,
                           struct rd_why *why) {
    int64_t best = 0;
    int bj = -1, bk = -1; /* the window of why */
    if (why) {
        memset(why, 0, sizeof *why);
        why->raw = INT64_MIN;
        for (int i = 0; i < n; i++) {
            if (s[i]->t1 < a || s[i]->t0 > b) continue;
            why->nsamples++;
            if (i > 0 && s[i - 1]->t1 >= a) why->maxgap = max64(why->maxgap, s[i]->t0 - s[i - 1]->t0);
        }
    }
    if (b <= a) return 0;
    for (int j = 0; j + 1 < n; j++) {
        const struct rd_sample *sj = s[j];
        int64_t u = sj->t0;
        if (u >= b) break;
        if (u < a - RD_REACH_NS) continue;
        /* per thread of s[j]: still seen in every sample so far, the
         * values at the last one, the wait credited since s[j], and the
         * part of it that may precede u (pre; known at the first credit or
         * arrival after s[j]) */
        bool alive[RD_MAX_THREADS], arrived[RD_MAX_THREADS];
        const struct rd_thread *last[RD_MAX_THREADS];
        int64_t sum[RD_MAX_THREADS], pre[RD_MAX_THREADS];
        for (int i = 0; i < sj->n; i++) {
            alive[i] = true, arrived[i] = false;
            last[i] = &sj->th[i];
            sum[i] = pre[i] = 0;
        }
        int64_t maxwait = 0;
        int32_t maxtid = 0;
        for (int k = j + 1; k < n; k++) {
            const struct rd_sample *sk = s[k];
            if (sk->t1 > b + RD_REACH_NS) break;
            for (int i = 0; i < sj->n; i++) {
                if (!alive[i]) continue;
                const struct rd_thread *x = find_tid(sk, sj->th[i].tid);
                if (!x || x->wait_ns < last[i]->wait_ns || x->pcount < last[i]->pcount) {
                    alive[i] = false;
                    continue;
                }
                int64_t dw = x->wait_ns - last[i]->wait_ns;
                if (!arrived[i] && (dw > 0 || x->pcount != last[i]->pcount)) {
                    arrived[i] = true;
                    pre[i] = max64(0, dw - (s[k - 1]->t0 - u));
                }
                sum[i] += dw;
                last[i] = x;
                if (sum[i] - pre[i] > maxwait) maxwait = sum[i] - pre[i], maxtid = x->tid;
            }
            int64_t v = sk->t1;
            if (v <= a) continue;
            int64_t stall = maxwait - (sk->cpu1 - sj->cpu0) - lag_ns;
            stall -= max64(0, a - u) + max64(0, v - b);
            /* never more than the overlap (only a guard against samples
             * that contradict each other) */
            stall = min64(stall, min64(v, b) - max64(u, a));
            best = max64(best, stall);
            if (why && stall > why->raw) {
                *why = (struct rd_why){why->nsamples, why->maxgap, u, v, maxwait, maxtid, sk->cpu1 - sj->cpu0, lag_ns,
                                       stall, {{0, 0}}};
                bj = j, bk = k;
            }
        }
    }
    if (why && bj >= 0)
        for (int i = 0; i < s[bj]->n; i++) {
            const struct rd_thread *x = &s[bj]->th[i], *y = find_tid(s[bk], x->tid);
            if (!y || y->cpu_ns < x->cpu_ns) continue;
            int64_t ran = y->cpu_ns - x->cpu_ns;
            for (int p = 0; p < 3; p++)
                if (ran > why->top[p].cpu_ns) {
                    memmove(&why->top[p + 1], &why->top[p], sizeof why->top[0] * (size_t)(2 - p));
                    why->top[p].tid = x->tid, why->top[p].cpu_ns = ran;
                    break;
                }
        }
    return best;
}

int64_t rd_lag_ns(int nthreads) {
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1) ncpu = 1;
    /* the sampler's own run is brought up to date by its read of the
     * process clock (thread_group_cputime updates the caller), so only the
     * other CPUs can hold an uncounted tick of another thread of ours */
    long others = nthreads - 1 < ncpu - 1 ? nthreads - 1 : ncpu - 1;
    return (int64_t)(others > 0 ? others : 0) * RD_TICK_MAX_NS;
}

static int64_t clock_ns(clockid_t c) {
    struct timespec ts;
    if (clock_gettime(c, &ts) != 0) return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_tid(const void *x, const void *y) {
    int32_t p = ((const struct rd_thread *)x)->tid, q = ((const struct rd_thread *)y)->tid;
    return (p > q) - (p < q);
}

/* The sampler's state between calls (rd_sample_take has one caller at a
 * time: difftest's watchdog): the task directory, and one open schedstat
 * per thread, re-read with pread at offset 0 (a seq_file regenerates its
 * text then). Opening each file every time cost ~25 us a thread here under
 * load; a pread is a few. */
static DIR *g_dir;
struct rd_fd {
    int32_t tid;
    int fd;
    bool seen; /* in the current sample's readdir */
};
static struct rd_fd g_fds[RD_MAX_THREADS];
static int g_nfds;

/* reads tid's counters through its cached fd, (re)opening it if needed;
 * false: the thread is gone (or the cache is full) */
static bool read_thread(int32_t tid, struct rd_thread *out, bool *full) {
    int i = 0;
    while (i < g_nfds && g_fds[i].tid != tid) i++;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (i == g_nfds) {
            if (g_nfds == RD_MAX_THREADS) {
                *full = true;
                return false;
            }
            char path[48];
            snprintf(path, sizeof path, "%d/schedstat", (int)tid);
            int fd = openat(dirfd(g_dir), path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) return false; /* exited since readdir */
            g_fds[g_nfds++] = (struct rd_fd){tid, fd, false};
        }
        g_fds[i].seen = true;
        char buf[128];
        ssize_t got = pread(g_fds[i].fd, buf, sizeof buf - 1, 0);
        unsigned long long cpu, wait, pc;
        if (got > 0) {
            buf[got] = 0;
            if (sscanf(buf, "%llu %llu %llu", &cpu, &wait, &pc) == 3) {
                *out = (struct rd_thread){tid, (uint32_t)pc, (int64_t)wait, (int64_t)cpu};
                return true;
            }
        }
        /* ESRCH: the thread this fd was opened for has exited (a new
         * thread may have its tid now): open the path afresh, once */
        close(g_fds[i].fd);
        g_fds[i] = g_fds[--g_nfds];
        i = g_nfds;
    }
    return false;
}

int rd_sample_take(struct rd_sample *s) {
    s->n = 0;
    s->truncated = false;
    /* the CPU clock is read outside [t0, t1] on both sides, so that
     * cpu1 - cpu0 covers all of (t0, t1] */
    s->cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    s->t0 = clock_ns(CLOCK_MONOTONIC); /* goc_now()'s clock (backends/common/time.c) */
    if (s->cpu0 < 0) return -1;
    if (!g_dir && !(g_dir = opendir("/proc/self/task"))) return -1;
    rewinddir(g_dir);
    for (int i = 0; i < g_nfds; i++) g_fds[i].seen = false;
    struct dirent *e;
    while ((e = readdir(g_dir))) {
        char *end;
        long tid = strtol(e->d_name, &end, 10);
        if (*end || tid <= 0) continue; /* "." and ".." */
        bool full = false;
        if (read_thread((int32_t)tid, &s->th[s->n], &full)) s->n++;
        s->truncated |= full;
    }
    for (int i = 0; i < g_nfds;) /* threads that exited */
        if (!g_fds[i].seen) close(g_fds[i].fd), g_fds[i] = g_fds[--g_nfds];
        else i++;
    if (s->n == 0) return -1; /* no schedstat (CONFIG_SCHED_INFO off): nothing to learn */
    qsort(s->th, (size_t)s->n, sizeof s->th[0], cmp_tid);
    s->t1 = clock_ns(CLOCK_MONOTONIC);
    s->cpu1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    return 0;
}
