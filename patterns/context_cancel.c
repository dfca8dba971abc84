/*
 * context_cancel: cancelling workers with a context.
 *
 *     func worker(ctx context.Context, id int, jobs <-chan int) {
 *         for {
 *             select {
 *             case <-ctx.Done():
 *                 fmt.Printf("worker %d cancelled: %v\n", id, ctx.Err())
 *                 return
 *             case job := <-jobs:
 *                 fmt.Printf("worker %d processing job %d\n", id, job)
 *                 time.Sleep(500 * time.Millisecond)
 *             }
 *         }
 *     }
 *     ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
 *     defer cancel()
 *     jobs := make(chan int, 10)
 *     for w := 1; w <= 3; w++ { go worker(ctx, w, jobs) }
 *     for j := 1; j <= 10; j++ { jobs <- j }
 *     time.Sleep(3 * time.Second)
 *
 * jobs is never closed, so the only way out of a worker is ctx.Done():
 * every worker prints that it was cancelled. Ten jobs of 500 ms on three
 * workers start at 0, 0.5, 1.0 and 1.5 s, so all ten start before the 2 s
 * deadline. Where the article sleeps 3 s and hopes, main waits for the
 * workers with a WaitGroup: no task outlives main, and the run ends right
 * after the deadline.
 *
 * Shared state: ctx (its done channel is closed once, by the timer or by
 * cancel); jobs and acks channels; per-worker `processed`/`cancelled`,
 * written only by that worker and read by main after the WaitGroup wait
 * (Done happens before Wait returns).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "patterns.h"

struct cc_run {
    goc_ctx *ctx;
    goc_chan *jobs; /* int, cap = jobs, never closed */
    goc_chan *acks; /* int, cap = jobs; benchmark mode only, else NULL */
    goc_wg *workers_done;
    int64_t job_ns; /* scaled */
    FILE *out;
};

struct cc_worker {
    struct cc_run *run;
    int id;
    int processed; /* this worker only, until Done */
    int cancelled; /* this worker only, until Done */
};

static void cc_worker_fn(void *p) {
    struct cc_worker *w = p;
    struct cc_run *run = w->run;
    int job;
    goc_case cases[2] = {
        {.ch = goc_ctx_done(run->ctx), .op = GOC_RECV, .elem = NULL},
        {.ch = run->jobs, .op = GOC_RECV, .elem = &job},
    };
    for (;;) {
        int k = goc_select(cases, 2, GOC_NEVER);
        if (k == 0) {
            w->cancelled = 1;
            if (run->out)
                fprintf(run->out, "worker %d cancelled: %s\n", w->id,
                        goc_ctx_err(run->ctx) == -ETIMEDOUT ? "context deadline exceeded"
                                                            : "context canceled");
            break;
        }
        if (k != 1 || cases[1].err) break; /* jobs is never closed: not reached */
        if (run->out) fprintf(run->out, "worker %d processing job %d\n", w->id, job);
        if (run->job_ns > 0) goc_sleep(goc_deadline(run->job_ns));
        w->processed++;
        if (run->acks) goc_chan_send(run->acks, &job, GOC_NEVER);
    }
    goc_wg_done(run->workers_done);
}

int pat_context_cancel(const pat_context_cancel_opts *o, pat_context_cancel_result *r) {
    if (!o || !r || o->timeout_ns < 0 || o->workers < 1 || o->workers > 10000 || o->jobs < 0 ||
        o->jobs > 1000000 || o->job_ns < 0)
        return -EINVAL;
    memset(r, 0, sizeof *r);
    int bench_mode = o->timeout_ns == 0;
    goc_time t0 = goc_now();
    struct cc_run run = {
        .ctx = bench_mode ? goc_ctx_with_cancel(goc_ctx_background())
                          : goc_ctx_with_timeout(goc_ctx_background(),
                                                 pat_scaled(o->timeout_ns, o->time_scale)),
        .jobs = goc_chan_make(sizeof(int), (size_t)o->jobs),
        .acks = bench_mode ? goc_chan_make(sizeof(int), (size_t)o->jobs) : NULL,
        .workers_done = goc_wg_make(),
        .job_ns = pat_scaled(o->job_ns, o->time_scale),
        .out = o->out,
    };
    struct cc_worker *ws = calloc((size_t)o->workers, sizeof *ws);
    int rc = 0;
    if (!run.ctx || !run.jobs || (bench_mode && !run.acks) || !run.workers_done || !ws) {
        rc = -ENOMEM;
        goto out;
    }
    for (int i = 0; i < o->workers; i++) {
        ws[i] = (struct cc_worker){.run = &run, .id = i + 1};
        goc_wg_add(run.workers_done, 1);
        if ((rc = goc_go(cc_worker_fn, &ws[i])) != 0) {
            goc_wg_done(run.workers_done);
            goc_ctx_cancel(run.ctx); /* ends the workers already running */
            break;
        }
    }
    for (int j = 1; rc == 0 && j <= o->jobs; j++)
        if ((rc = goc_chan_send(run.jobs, &j, GOC_NEVER)) != 0) goc_ctx_cancel(run.ctx);
    if (rc == 0 && bench_mode) {
        for (int j = 0; j < o->jobs; j++)
            if ((rc = goc_chan_recv(run.acks, NULL, GOC_NEVER)) != 0) break;
        goc_ctx_cancel(run.ctx);
    }
    goc_wg_wait(run.workers_done, GOC_NEVER);
    r->elapsed_ns = goc_now() - t0;
    r->ctx_err = goc_ctx_err(run.ctx);
    for (int i = 0; i < o->workers; i++) {
        r->processed += ws[i].processed;
        r->cancelled_workers += ws[i].cancelled;
    }
    while (goc_chan_recv(run.jobs, NULL, GOC_NOW) == 0) r->left_in_queue++;
out:
    goc_ctx_free(run.ctx);
    goc_chan_free(run.jobs);
    goc_chan_free(run.acks);
    goc_wg_free(run.workers_done);
    free(ws);
    return rc;
}

#ifdef GOC_PATTERN_MAIN
struct cli {
    pat_context_cancel_opts o;
    int rc;
};

static void cli_root(void *p) {
    struct cli *c = p;
    pat_context_cancel_result r;
    c->rc = pat_context_cancel(&c->o, &r);
    if (c->rc) return;
    printf("%d jobs processed, %d left, %d of %d workers cancelled after %.0f ms (%s); "
           "live tasks: %zu\n",
           r.processed, r.left_in_queue, r.cancelled_workers, c->o.workers,
           (double)r.elapsed_ns / 1e6, goc_strerror(r.ctx_err), goc_tasks_live());
    if (r.cancelled_workers != c->o.workers || r.processed + r.left_in_queue != c->o.jobs)
        c->rc = -EPROTO;
}

int main(int argc, char **argv) {
    struct cli c = {.o = PAT_CONTEXT_CANCEL_DEFAULTS};
    c.o.out = stdout;
    int quiet = 0;
    if (pat_cli_common(&argc, argv, &c.o.time_scale, &quiet)) return 2;
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        char *end = NULL;
        if (i + 1 >= argc) goto usage;
        errno = 0;
        long v = strtol(argv[i + 1], &end, 10);
        if (errno || *end || end == argv[i + 1]) goto usage;
        if (strcmp(argv[i], "--workers") == 0 && v >= 1 && v <= 10000) c.o.workers = (int)v;
        else if (strcmp(argv[i], "--jobs") == 0 && v >= 0 && v <= 1000000) c.o.jobs = (int)v;
        else if (strcmp(argv[i], "--job-ms") == 0 && v >= 0 && v <= 3600000) c.o.job_ns = v * PAT_MS;
        else if (strcmp(argv[i], "--timeout-ms") == 0 && v >= 1 && v <= 3600000) c.o.timeout_ns = v * PAT_MS;
        else goto usage;
    }
    if (quiet) c.o.out = NULL;
    int rc = goc_main(cli_root, &c);
    if (rc || c.rc) {
        fprintf(stderr, "context_cancel: %s\n", goc_strerror(rc ? rc : c.rc));
        return 1;
    }
    return 0;
usage:
    fprintf(stderr,
            "usage: %s [--workers N] [--jobs N] [--job-ms MS] [--timeout-ms MS] [--time-scale X] "
            "[--quiet]\n",
            argv[0]);
    return 2;
}
#endif
