/*
 * rundelay.h: a lower bound on how long a process wanted a CPU and had
 * none, from the kernel's own per-thread accounting (difftest's second
 * excuse for a late deadline, issue 11; checkers/README.md "difftest").
 *
 * /proc/self/task/<tid>/schedstat is "cpu_ns run_delay_ns pcount",
 * cumulative since the thread was created (kernel/sched/stats.h,
 * sched_info_arrive). Two facts of that accounting shape everything here:
 *   - run_delay grows when a wait ENDS: a thread that has been runnable
 *     for 50 ms and is still waiting shows none of it; the 50 ms appear at
 *     once, together with pcount + 1, when it gets a CPU. So a wait credited
 *     between two samples may have begun long before the first one: the
 *     bound cannot be summed per interval between two looks (a 50 ms wait
 *     would land in one 2 ms interval), it is computed per window of
 *     samples, with the one wait that may straddle the window's start
 *     trimmed (rd_stall_bound).
 *   - a running thread's cpu_ns is brought up to date only at the
 *     scheduler tick or a switch, so a thread on another CPU at the moment
 *     of a sample may have run up to one tick (<= 10 ms: CONFIG_HZ >= 100)
 *     that no counter shows yet (rd_lag_ns).
 * A sample also reads the process's CPU clock (CLOCK_PROCESS_CPUTIME_ID:
 * every thread, those that exited included, and the calling thread's own
 * time brought up to date by the read), so threads that come and go
 * between two samples are still counted on the "someone ran" side.
 */
#ifndef GOC_RUNDELAY_H
#define GOC_RUNDELAY_H

#include <stdbool.h>
#include <stdint.h>

#define RD_MAX_THREADS 64 /* per sample; threads beyond it are left out (see rd_stall_bound) */

struct rd_thread {
    int32_t tid;
    uint32_t pcount;  /* times it was put on a CPU (each ends one wait) */
    int64_t wait_ns;  /* run_delay: time spent runnable on a run queue, credited at each arrival */
    int64_t cpu_ns;   /* sum_exec_runtime (only for reports: the bound uses the process clock) */
};

struct rd_sample {
    int64_t t0, t1;     /* CLOCK_MONOTONIC (= goc_now()) just before / after the thread reads */
    int64_t cpu0, cpu1; /* the process's CPU time read just before t0 / just after t1 */
    int n;              /* threads read, th[] sorted by tid */
    bool truncated;     /* more than RD_MAX_THREADS threads */
    struct rd_thread th[RD_MAX_THREADS];
};

/* Reads every thread of the calling process into *s. 0, or -1 when
 * /proc/self/task (or the process CPU clock) cannot be read: no sample.
 * A thread that exits while being read is left out. */
int rd_sample_take(struct rd_sample *s);

/* Uncounted run at the end of a window: (the other CPUs that could be
 * running another thread of ours while the sampler runs: at most
 * min(online CPUs, nthreads) - 1) x one tick of at most 10 ms. */
int64_t rd_lag_ns(int nthreads);

/* The pure arithmetic (samples in, stall out): a lower bound on the time
 * inside [a, b] during which no thread of the process was on a CPU while
 * at least one of them was runnable, from the samples s[0..n) in time
 * order (s[i]->t0 non-decreasing). lag_ns: the uncounted run at a
 * window's end (rd_lag_ns; 0 for exact synthetic samples). 0 when the
 * samples show nothing. rundelay.c derives it. */
int64_t rd_stall_bound(const struct rd_sample *const *s, int n, int64_t a, int64_t b, int64_t lag_ns);

/* The same, saying why (for a failure report): the samples inside [a, b]
 * and the longest time between two of them, and the window whose bound
 * came out highest (before the clamp to 0, so possibly negative): its
 * ends, the largest trimmed wait of one thread in it, the process's CPU
 * time in it, the lag, and the three threads that ran most in it. raw ==
 * INT64_MIN: no window was tried. */
struct rd_why {
    int nsamples;
    int64_t maxgap;
    int64_t u, v, maxwait;
    int32_t tid;
    int64_t cpu, lag, raw;
    struct {
        int32_t tid;
        int64_t cpu_ns;
    } top[3]; /* the threads that ran most in that window (by their own counters) */
};
int64_t rd_stall_bound_why(const struct rd_sample *const *s, int n, int64_t a, int64_t b, int64_t lag_ns,
                           struct rd_why *why);

#endif
