/*
 * worker_pool: the article's worker pool.
 *
 *     func worker(id int, jobs <-chan int, results chan<- int) {
 *         for j := range jobs {
 *             fmt.Println("worker", id, "started  job", j)
 *             time.Sleep(100 * time.Millisecond)
 *             fmt.Println("worker", id, "finished job", j)
 *             results <- j * 2
 *         }
 *     }
 *     jobs := make(chan int, 100); results := make(chan int, 100)
 *     for w := 1; w <= 3; w++ { go worker(w, jobs, results) }
 *     for j := 1; j <= 9; j++ { jobs <- j }
 *     close(jobs)
 *     for a := 1; a <= 9; a++ { <-results }
 *
 * Nine jobs of 100 ms on three workers take about 300 ms, which the CLI
 * reports. Two additions that do not change the pattern: when there are
 * more jobs than the jobs channel holds, a feeder task sends them (main
 * sending them itself would deadlock once both channels are full), and main
 * waits for the workers with a WaitGroup after the last result, so no task
 * outlives the call.
 *
 * Shared state: jobs/results are channels; `pool` fields are written by
 * main before the workers are spawned and only read afterwards.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "patterns.h"

struct pool {
    goc_chan *jobs, *results; /* int elements */
    goc_wg *workers_done;
    int64_t work_ns;          /* already scaled */
    int n_jobs;
    FILE *out;
};

struct worker_arg {
    struct pool *pool;
    int id;
};

static void worker(void *p) {
    struct worker_arg *a = p;
    struct pool *pl = a->pool;
    int j;
    while (goc_chan_recv(pl->jobs, &j, GOC_NEVER) == 0) { /* for j := range jobs */
        if (pl->out) fprintf(pl->out, "worker %d started  job %d\n", a->id, j);
        if (pl->work_ns > 0) goc_sleep(goc_deadline(pl->work_ns));
        if (pl->out) fprintf(pl->out, "worker %d finished job %d\n", a->id, j);
        int res = j * 2;
        if (goc_chan_send(pl->results, &res, GOC_NEVER) != 0) break;
    }
    goc_wg_done(pl->workers_done);
}

/* Sends jobs 1..n_jobs and closes the channel (main does this itself when
 * the channel can hold them all, as the article does). */
static void send_jobs(struct pool *pl) {
    for (int j = 1; j <= pl->n_jobs; j++)
        if (goc_chan_send(pl->jobs, &j, GOC_NEVER) != 0) break;
    goc_chan_close(pl->jobs);
}

static void feeder(void *p) {
    struct pool *pl = p;
    send_jobs(pl);
    goc_wg_done(pl->workers_done);
}

int pat_worker_pool(const pat_worker_pool_opts *o, pat_worker_pool_result *r) {
    if (!o || !r || o->workers < 1 || o->workers > 10000 || o->jobs < 0 || o->jobs > 100000000 ||
        o->work_ns < 0 || o->chan_cap > 1000000)
        return -EINVAL;
    memset(r, 0, sizeof *r);
    goc_time t0 = goc_now();
    struct pool pl = {
        .jobs = goc_chan_make(sizeof(int), o->chan_cap),
        .results = goc_chan_make(sizeof(int), o->chan_cap),
        .workers_done = goc_wg_make(),
        .work_ns = pat_scaled(o->work_ns, o->time_scale),
        .n_jobs = o->jobs,
        .out = o->out,
    };
    struct worker_arg *args = calloc((size_t)o->workers, sizeof *args);
    int rc = 0;
    if (!pl.jobs || !pl.results || !pl.workers_done || !args) {
        rc = -ENOMEM;
        goto out;
    }
    for (int w = 0; w < o->workers; w++) {
        args[w] = (struct worker_arg){&pl, w + 1};
        goc_wg_add(pl.workers_done, 1);
        if ((rc = goc_go(worker, &args[w])) != 0) {
            goc_wg_done(pl.workers_done);
            break;
        }
    }
    if (rc == 0 && (size_t)o->jobs <= o->chan_cap) {
        send_jobs(&pl); /* the article: main sends every job, then closes */
    } else if (rc == 0) {
        goc_wg_add(pl.workers_done, 1);
        if ((rc = goc_go(feeder, &pl)) != 0) goc_wg_done(pl.workers_done);
    }
    if (rc) {
        /* Nothing was sent: closing jobs lets the spawned workers end. */
        goc_chan_close(pl.jobs);
    } else {
        for (long a = 0; a < o->jobs; a++) {
            int res;
            if ((rc = goc_chan_recv(pl.results, &res, GOC_NEVER)) != 0) break;
            r->results++;
            r->sum += res;
            if (res < 2 || res > 2 * (int64_t)o->jobs || (res & 1)) r->bad_results++;
        }
    }
    goc_wg_wait(pl.workers_done, GOC_NEVER);
    r->elapsed_ns = goc_now() - t0;
out:
    goc_chan_free(pl.jobs);
    goc_chan_free(pl.results);
    goc_wg_free(pl.workers_done);
    free(args);
    return rc;
}

#ifdef GOC_PATTERN_MAIN
static int parse_int(const char *s, long lo, long hi, long *v) {
    char *end = NULL;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || end == s || *end || x < lo || x > hi) return -EINVAL;
    *v = x;
    return 0;
}

struct cli {
    pat_worker_pool_opts o;
    int rc;
};

static void cli_root(void *p) {
    struct cli *c = p;
    pat_worker_pool_result r;
    c->rc = pat_worker_pool(&c->o, &r);
    if (c->rc) return;
    int64_t want = (int64_t)c->o.jobs * (c->o.jobs + 1);
    printf("%ld results, sum %lld (expected %lld), took %.1f ms on %s\n", r.results,
           (long long)r.sum, (long long)want, (double)r.elapsed_ns / 1e6, goc_backend_name());
    if (r.results != c->o.jobs || r.sum != want || r.bad_results) c->rc = -EPROTO;
}

int main(int argc, char **argv) {
    struct cli c = {.o = PAT_WORKER_POOL_DEFAULTS};
    c.o.out = stdout;
    int quiet = 0;
    if (pat_cli_common(&argc, argv, &c.o.time_scale, &quiet)) return 2;
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        long v;
        if (i + 1 >= argc) goto usage;
        if (strcmp(argv[i], "--workers") == 0 && !parse_int(argv[i + 1], 1, 10000, &v))
            c.o.workers = (int)v;
        else if (strcmp(argv[i], "--jobs") == 0 && !parse_int(argv[i + 1], 0, 100000000, &v))
            c.o.jobs = (int)v;
        else if (strcmp(argv[i], "--work-ms") == 0 && !parse_int(argv[i + 1], 0, 3600000, &v))
            c.o.work_ns = v * PAT_MS;
        else if (strcmp(argv[i], "--cap") == 0 && !parse_int(argv[i + 1], 0, 1000000, &v))
            c.o.chan_cap = (size_t)v;
        else
            goto usage;
    }
    if (quiet) c.o.out = NULL;
    int rc = goc_main(cli_root, &c);
    if (rc || c.rc) {
        fprintf(stderr, "worker_pool: %s\n", goc_strerror(rc ? rc : c.rc));
        return 1;
    }
    return 0;
usage:
    fprintf(stderr,
            "usage: %s [--workers N] [--jobs N] [--work-ms MS] [--cap N] [--time-scale X] [--quiet]\n",
            argv[0]);
    return 2;
}
#endif
