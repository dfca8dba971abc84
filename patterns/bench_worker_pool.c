/*
 * bench_worker_pool: the article's benchmark, as written and corrected.
 *
 *     func BenchmarkWorkerPool(b *testing.B) {
 *         for i := 0; i < b.N; i++ {
 *             jobs := make(chan int, 100)
 *             results := make(chan int, 100)
 *             for w := 0; w < 3; w++ { go worker(jobs, results) }
 *             for j := 0; j < 100; j++ { jobs <- j }
 *             for j := 0; j < 100; j++ { <-results }
 *         }
 *     }
 *     func worker(jobs <-chan int, results chan<- int) {
 *         for j := range jobs { results <- j * 2 }
 *     }
 *
 * jobs is never closed, so after its 100 results every iteration leaves its
 * three workers blocked forever in `range jobs`: b.N iterations leak 3 b.N
 * goroutines (and, in Go, their channels). goc_tasks_report() shows each of
 * them with its spawn site and the receive it waits in. The corrected body
 * closes jobs after sending and waits for the workers.
 *
 * Reaping: after the report, the leaky variant closes every iteration's
 * jobs channel so that its workers end; they are kept in a list for that.
 * The article's program has no way to do this.
 *
 * Shared state: per iteration, jobs/results channels and a WaitGroup `done`
 * that every worker of that iteration signals as its last action (after it,
 * the worker touches nothing shared), so main may free the iteration after
 * waiting for it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "patterns.h"

struct bwp_iter {
    goc_chan *jobs, *results; /* int, cap 100 */
    goc_wg *done;             /* the iteration's workers */
};

/* The article's worker; the name shows up in the leak report. */
static void bwp_worker(void *p) {
    struct bwp_iter *it = p;
    int j;
    while (goc_chan_recv(it->jobs, &j, GOC_NEVER) == 0) { /* for j := range jobs */
        int res = j * 2;
        if (goc_chan_send(it->results, &res, GOC_NEVER) != 0) break;
    }
    goc_wg_done(it->done);
}

static void iter_free(struct bwp_iter *it) {
    goc_chan_free(it->jobs);
    goc_chan_free(it->results);
    goc_wg_free(it->done);
}

/* A leaked worker counts as live from its spawn, but shows as blocked only
 * once it has reached its receive; give the report up to a second until
 * `n` tasks show as blocked, so that it names every wait site. */
static void wait_blocked(long n) {
    goc_time until = goc_deadline(PAT_S);
    for (;;) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f) return;
        goc_tasks_report(f);
        fclose(f);
        long blocked = 0;
        for (const char *p = buf; (p = strstr(p, "blocked in")) != NULL; p++) blocked++;
        free(buf);
        if (blocked >= n || goc_now() >= until) return;
        goc_sleep(goc_deadline(PAT_MS));
    }
}

int pat_bench_worker_pool(const pat_bwp_opts *o, pat_bwp_result *r) {
    if (!o || !r || o->iterations < 0 || o->iterations > 100000 || o->workers < 1 ||
        o->workers > 1000 || o->jobs < 0 || o->jobs > 100)
        return -EINVAL;
    memset(r, 0, sizeof *r);
    size_t live0 = goc_tasks_live();
    struct bwp_iter *iters = calloc((size_t)o->iterations + 1, sizeof *iters);
    if (!iters) return -ENOMEM;
    int rc = 0, n = 0;
    for (; n < o->iterations && rc == 0; n++) {
        struct bwp_iter *it = &iters[n];
        it->jobs = goc_chan_make(sizeof(int), 100);
        it->results = goc_chan_make(sizeof(int), 100);
        it->done = goc_wg_make();
        if (!it->jobs || !it->results || !it->done) {
            rc = -ENOMEM;
            break;
        }
        for (int w = 0; w < o->workers; w++) {
            goc_wg_add(it->done, 1);
            if ((rc = goc_go(bwp_worker, it)) != 0) {
                goc_wg_done(it->done);
                break;
            }
        }
        if (rc) break;
        for (int j = 0; j < o->jobs; j++) goc_chan_send(it->jobs, &j, GOC_NEVER);
        for (int j = 0; j < o->jobs; j++) {
            int res;
            if ((rc = goc_chan_recv(it->results, &res, GOC_NEVER)) != 0) break;
            r->sum += res;
        }
        if (!o->leaky) {
            goc_chan_close(it->jobs); /* the fix: range jobs ends */
            goc_wg_wait(it->done, GOC_NEVER);
            iter_free(it);
        }
    }
    if (rc && n < o->iterations) n++; /* the failed iteration may hold workers */
    if (o->leaky || rc) {
        size_t live = goc_tasks_live();
        r->leaked = live > live0 ? (long)(live - live0) : 0;
        if (o->report && r->leaked) {
            wait_blocked(r->leaked);
            fprintf(o->report, "goc: %ld tasks leaked by %d iterations of BenchmarkWorkerPool "
                               "(jobs never closed):\n", r->leaked, o->iterations);
            goc_tasks_report(o->report);
            fflush(o->report);
        }
        /* Reap: closing jobs ends each blocked `range jobs`. */
        for (int i = 0; i < n; i++) {
            struct bwp_iter *it = &iters[i];
            if (!it->jobs) continue;
            if (it->jobs) goc_chan_close(it->jobs);
            if (it->done) goc_wg_wait(it->done, GOC_NEVER);
            iter_free(it);
        }
        /* Live counts drop when each thread/coroutine has finished exiting,
         * a moment after its Done; give it up to a second. */
        goc_time until = goc_deadline(PAT_S);
        while (goc_tasks_live() > live0 && goc_now() < until) goc_sleep(goc_deadline(PAT_MS));
        size_t after = goc_tasks_live();
        r->reaped = r->leaked - (after > live0 ? (long)(after - live0) : 0);
    }
    free(iters);
    return rc;
}

#ifdef GOC_PATTERN_MAIN
struct cli {
    pat_bwp_opts o;
    int rc;
};

static void cli_root(void *p) {
    struct cli *c = p;
    pat_bwp_result r;
    c->rc = pat_bench_worker_pool(&c->o, &r);
    if (c->rc) return;
    int64_t want = (int64_t)c->o.iterations * c->o.jobs * (c->o.jobs - 1);
    printf("BenchmarkWorkerPool (%s, %s): %d iterations, sum %lld (expected %lld), "
           "%ld tasks leaked, %ld reaped\n",
           c->o.leaky ? "as written" : "corrected", goc_backend_name(), c->o.iterations,
           (long long)r.sum, (long long)want, r.leaked, r.reaped);
    long want_leak = c->o.leaky ? (long)c->o.iterations * c->o.workers : 0;
    if (r.sum != want || r.leaked != want_leak) c->rc = -EPROTO;
}

int main(int argc, char **argv) {
    struct cli c = {.o = {.leaky = 1, .iterations = 3, .workers = 3, .jobs = 100, .report = stdout}};
    double scale = 1.0;
    int quiet = 0;
    if (pat_cli_common(&argc, argv, &scale, &quiet)) return 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--fixed") == 0) c.o.leaky = 0;
        else if (strcmp(argv[i], "--leaky") == 0) c.o.leaky = 1;
        else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
            char *end = NULL;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 100000) goto usage;
            c.o.iterations = (int)v;
        } else goto usage;
    }
    if (quiet) c.o.report = NULL;
    int rc = goc_main(cli_root, &c);
    if (rc || c.rc) {
        fprintf(stderr, "bench_worker_pool: %s\n", goc_strerror(rc ? rc : c.rc));
        return 1;
    }
    return 0;
usage:
    fprintf(stderr, "usage: %s [--leaky | --fixed] [-n ITERATIONS] [--quiet]\n", argv[0]);
    return 2;
}
#endif
