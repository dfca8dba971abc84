/*
 * bench_patterns.c: one benchmark per pattern of patterns/, zero simulated
 * work, one iteration = one item, named as in reference/go/patterns/
 * bench_test.go (the Go side runs the same workloads):
 *
 *   WorkerPool       item = a job through the article's pool: 3 workers,
 *                    jobs and results of cap 100, runs of up to 100 jobs
 *                    (the corrected pool: jobs closed, workers waited for).
 *   FanOutFanIn      item = a value through gen -> fanOut -> fanIn (it
 *                    arrives twice), unbuffered channels, one pipeline.
 *   ContextCancel    item = a job; runs of 10 jobs on 3 workers under a
 *                    fresh WithCancel context, cancelled once all are
 *                    acknowledged, every worker seeing Done.
 *   CounterMutex     item = a task spawned to increment once under a
 *                    mutex; runs of up to 1000 tasks (the article's
 *                    program).
 *   CounterChanLock  the same with the cap-1 channel as the lock.
 *   SelectTimeout    item = a select over two answer channels and a 3 s
 *                    goc_after timer that receives an answer; runs of two.
 *
 * Task spawns are part of most items (the article's programs spawn per
 * run), so these measure what a pattern costs, spawn included, on each
 * backend. Every run checks its result (sums, counts, cancellations) and
 * reports an error instead of a number when it is wrong.
 */
#include <errno.h>

#include "../patterns/patterns.h"
#include "goc_bench.h"

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static void bm_worker_pool(goc_bench_state *st) {
    int64_t n = goc_bench_max_iterations(st);
    int64_t bad = 0, done = 0;
    goc_bench_begin(st);
    while (done < n) {
        int k = (int)min64(100, n - done);
        pat_worker_pool_opts o = {.workers = 3, .jobs = k, .chan_cap = 100, .time_scale = 1.0};
        pat_worker_pool_result r;
        if (pat_worker_pool(&o, &r) != 0 || r.results != k || r.sum != (int64_t)k * (k + 1) || r.bad_results)
            bad++;
        done += k;
    }
    goc_bench_end(st);
    goc_bench_set_items_processed(st, n);
    if (bad) goc_bench_error(st, "WorkerPool: %lld runs with a wrong result", (long long)bad);
}

static void bm_fan_out_fan_in(goc_bench_state *st) {
    int64_t n = goc_bench_max_iterations(st);
    pat_fan_opts o = {.n = (long)n, .cap = 0};
    pat_fan_result r;
    goc_bench_begin(st);
    int rc = pat_fan_out_fan_in(&o, &r);
    goc_bench_end(st);
    goc_bench_set_items_processed(st, n);
    if (rc || r.received != 2 * n || r.sum != n * (n + 1) || r.multiset_errors || r.closed_inputs != 2)
        goc_bench_error(st, "FanOutFanIn: rc %d, %ld received (want %lld), sum %lld, %ld multiset errors", rc,
                        r.received, (long long)(2 * n), (long long)r.sum, r.multiset_errors);
}

static void bm_context_cancel(goc_bench_state *st) {
    int64_t n = goc_bench_max_iterations(st);
    int64_t bad = 0, done = 0;
    goc_bench_begin(st);
    while (done < n) {
        int k = (int)min64(10, n - done);
        pat_context_cancel_opts o = {.timeout_ns = 0, .workers = 3, .jobs = k, .job_ns = 0, .time_scale = 1.0};
        pat_context_cancel_result r;
        if (pat_context_cancel(&o, &r) != 0 || r.processed != k || r.cancelled_workers != 3 ||
            r.left_in_queue != 0 || r.ctx_err != -ECANCELED)
            bad++;
        done += k;
    }
    goc_bench_end(st);
    goc_bench_set_items_processed(st, n);
    if (bad) goc_bench_error(st, "ContextCancel: %lld runs with a wrong result", (long long)bad);
}

static void bm_counter(goc_bench_state *st, int variant) {
    int64_t n = goc_bench_max_iterations(st);
    int64_t bad = 0, done = 0;
    goc_bench_begin(st);
    while (done < n) {
        int k = (int)min64(1000, n - done);
        long v = -1;
        if (pat_counter(variant, k, &v, NULL) != 0 || v != k) bad++;
        done += k;
    }
    goc_bench_end(st);
    goc_bench_set_items_processed(st, n);
    if (bad) goc_bench_error(st, "Counter: %lld runs with a wrong count", (long long)bad);
}
static void bm_counter_mutex(goc_bench_state *st) { bm_counter(st, PAT_COUNTER_MUTEX); }
static void bm_counter_chanlock(goc_bench_state *st) { bm_counter(st, PAT_COUNTER_CHANLOCK); }

static void bm_select_timeout(goc_bench_state *st) {
    int64_t n = goc_bench_max_iterations(st);
    int64_t bad = 0;
    goc_bench_begin(st);
    for (int64_t done = 0; done < n; done += 2) {
        pat_select_timeout_opts o = {0, 0, 3 * PAT_S, 1.0, NULL};
        pat_select_timeout_result r;
        if (pat_select_timeout(&o, &r) != 0 || r.received != 2 || r.timeouts != 0) bad++;
    }
    goc_bench_end(st);
    goc_bench_set_items_processed(st, n);
    if (bad) goc_bench_error(st, "SelectTimeout: %lld runs with a wrong result", (long long)bad);
}

GOC_BENCH_INIT(register_patterns) {
    goc_bench_use_real_time(goc_bench_register("WorkerPool", bm_worker_pool));
    goc_bench_use_real_time(goc_bench_register("FanOutFanIn", bm_fan_out_fan_in));
    goc_bench_use_real_time(goc_bench_register("ContextCancel", bm_context_cancel));
    goc_bench_use_real_time(goc_bench_register("CounterMutex", bm_counter_mutex));
    goc_bench_use_real_time(goc_bench_register("CounterChanLock", bm_counter_chanlock));
    goc_bench_use_real_time(goc_bench_register("SelectTimeout", bm_select_timeout));
}
