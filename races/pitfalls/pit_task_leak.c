/*
 * Pitfall: goroutine (task) leaks.
 *   worker_buggy   a worker ranges over a jobs channel that nobody closes:
 *                  after the work it blocks forever in its receive. The
 *                  detector is the task registry's leak check (goleak's
 *                  VerifyNone): live tasks do not drop back to 1, and the
 *                  report names the worker's spawn site and the receive it
 *                  is blocked in.
 *   worker_close   fix 1: the producer closes jobs; `range jobs` ends.
 *   worker_ctx     fix 2: the worker selects on jobs and ctx.Done(); the
 *                  owner cancels the context when the work is done.
 *   bwp_buggy      the article's BenchmarkWorkerPool as written (jobs never
 *                  closed), 3 iterations, via pat_bench_worker_pool: it
 *                  reports every leaked worker while they are blocked.
 *   bwp_fixed      the corrected benchmark: jobs closed, workers waited for.
 */
#include <string.h>

#include "patterns.h"
#include "pit_common.h"

#define JOBS 5

typedef struct {
    goc_chan *jobs, *results;
    goc_ctx *ctx; /* NULL: plain range */
} pool;

static void worker(void *p) { /* for j := range jobs { results <- j * 2 } */
    pool *w = p;
    int j;
    while (goc_chan_recv(w->jobs, &j, GOC_NEVER) == 0) {
        int r = 2 * j;
        if (goc_chan_send(w->results, &r, GOC_NEVER) != 0) break;
    }
}

static void worker_ctx(void *p) { /* select { case <-ctx.Done(): return; case j := <-jobs: ... } */
    pool *w = p;
    for (;;) {
        int j;
        goc_case k[2] = {{goc_ctx_done(w->ctx), GOC_RECV, NULL, 0}, {w->jobs, GOC_RECV, &j, 0}};
        int r = goc_select(k, 2, GOC_NEVER);
        if (r != 1 || k[1].err) return;
        int out = 2 * j;
        if (goc_chan_send(w->results, &out, GOC_NEVER) != 0) return;
    }
}

static int run_worker(int fix) { /* fix: 0 none, 1 close, 2 ctx */
    pool w = {goc_chan_make(sizeof(int), JOBS), goc_chan_make(sizeof(int), JOBS), NULL};
    PIT_CHECK(w.jobs && w.results);
    if (fix == 2) PIT_CHECK((w.ctx = goc_ctx_with_cancel(goc_ctx_background())) != NULL);
    if (fix == 2) PIT_CHECK(goc_go(worker_ctx, &w) == 0);
    else PIT_CHECK(goc_go(worker, &w) == 0);
    long sum = 0;
    for (int j = 1; j <= JOBS; j++) PIT_CHECK(goc_chan_send(w.jobs, &j, GOC_NEVER) == 0);
    for (int j = 1; j <= JOBS; j++) {
        int r;
        PIT_CHECK(goc_chan_recv(w.results, &r, GOC_NEVER) == 0);
        sum += r;
    }
    PIT_CHECK(sum == JOBS * (JOBS + 1));
    if (fix == 1) goc_chan_close(w.jobs);
    if (fix == 2) goc_ctx_cancel(w.ctx);
    size_t leaked = pit_leak_check(1000000000);
    if (leaked) return 3; /* the worker still uses w: leave it (and w) be */
    goc_ctx_free(w.ctx);
    goc_chan_free(w.jobs);
    goc_chan_free(w.results);
    printf("pitfall: no task leaked (sum %ld)\n", sum);
    return 0;
}
static int worker_buggy(void) { return run_worker(0); }
static int worker_close(void) { return run_worker(1); }
static int worker_ctx_fix(void) { return run_worker(2); }

static int bwp(int leaky) {
    pat_bwp_opts o = {.leaky = leaky, .iterations = 3, .workers = 3, .jobs = 100, .report = stderr};
    pat_bwp_result r;
    PIT_CHECK(pat_bench_worker_pool(&o, &r) == 0);
    PIT_CHECK(r.sum == (int64_t)o.iterations * o.jobs * (o.jobs - 1));
    printf("pitfall: BenchmarkWorkerPool %s: sum %lld, %ld task(s) leaked, %ld reaped\n",
           leaky ? "as written" : "corrected", (long long)r.sum, r.leaked, r.reaped);
    if (leaky) {
        PIT_CHECK(r.leaked == (long)o.iterations * o.workers); /* every worker leaked */
        return 3;
    }
    PIT_CHECK(r.leaked == 0);
    return pit_leak_check(1000000000) ? 3 : 0;
}
static int bwp_buggy(void) { return bwp(1); }
static int bwp_fixed(void) { return bwp(0); }

static const pit_mode modes[] = {
    {"worker_buggy", worker_buggy}, {"worker_close", worker_close}, {"worker_ctx", worker_ctx_fix},
    {"bwp_buggy", bwp_buggy},       {"bwp_fixed", bwp_fixed},
};
PIT_MAIN(modes)
