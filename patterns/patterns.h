/*
 * patterns.h: the programs of "Go Concurrency: Mastering Goroutines and
 * Channels", written once against include/goc/goc.h and linked with every
 * backend (hello-pthread, hello-coro, ...).
 *
 * Each pattern is a library function: parameters in, what it computed out,
 * so that tests (patterns/tests/) and benchmarks (harness/bench_patterns.c)
 * check exact answers. Each also has a small CLI, built from the same file
 * with GOC_PATTERN_MAIN defined, that prints what the article's Go program
 * prints (the Go originals are in reference/go/patterns/cmd/).
 *
 * Conventions shared by every function here:
 *   - They must run inside goc_main() (they spawn tasks with goc_go).
 *   - They return 0 or a negative errno (bad parameters: -EINVAL, nothing
 *     spawned; a runtime failure is passed through).
 *   - `out` is where the article's prints go; NULL keeps them silent
 *     (benchmarks). Tasks print with one fprintf per line, which stdio
 *     locks, so lines never interleave mid-line.
 *   - `time_scale` multiplies every sleep, delay and timeout of the pattern
 *     (1.0 = the article's durations; tests use 0.02 to 0.2 so the timed
 *     patterns take milliseconds). 0 or negative means 1.0.
 *   - When a function returns, every task it spawned has finished its work
 *     and is about to exit (it waited for them), except where a variant
 *     exists to show a leak; that variant says so and how it is reaped.
 */
#ifndef GOC_PATTERNS_H
#define GOC_PATTERNS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "goc/goc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ns scaled by time_scale (<= 0 means 1.0); at least 1 ns for ns > 0. */
int64_t pat_scaled(int64_t ns, double time_scale);

/* Parses the options every pattern CLI accepts and removes them from argv:
 *   --time-scale X   (X > 0, e.g. 0.01)  -> *time_scale
 *   --quiet          suppresses the article's prints (for hyperfine)
 * Unknown options are left in argv for the CLI. Returns 0, or -EINVAL after
 * printing a message for a bad value. */
int pat_cli_common(int *argc, char **argv, double *time_scale, int *quiet);

#define PAT_MS ((int64_t)1000000)
#define PAT_S ((int64_t)1000000000)

/* ------------------------------------------------------------- 1 hello -- */
/* go sayHello(name) for each name. Faithful variant (use_waitgroup = 0):
 * main waits with a 100 ms sleep, as the article does; whether the
 * greetings have printed by then is a matter of luck (race-prone).
 * Corrected variant: a WaitGroup. */
typedef struct {
    int use_waitgroup;
    const char *const *names; /* NULL: {"Alice", "Bob"} */
    int n_names;              /* 1..64 */
    double time_scale;
    FILE *out;
} pat_hello_opts;
typedef struct {
    int greeted_when_main_resumed; /* greetings done when main's wait ended */
    int greeted_total;             /* after the final drain: always n_names */
} pat_hello_result;
int pat_hello(const pat_hello_opts *o, pat_hello_result *r);

/* ---------------------------------------------------------- 2 messages -- */
/* messages := make(chan string); go func() { messages <- msg }();
 * got = <-messages. msg must fit in PAT_MSG_MAX - 1 bytes. */
#define PAT_MSG_MAX 64
int pat_messages(const char *msg, char got[PAT_MSG_MAX], FILE *out);

/* --------------------------------------------------------- 3 buffering -- */
/* Unbuffered: a send with no receiver would block (try-send -EAGAIN); with a
 * receiver task it completes. Buffered (cap): cap sends complete without a
 * receiver, the next would block (try-send -EAGAIN), values come out FIFO. */
typedef struct {
    int unbuffered_try_send;   /* -EAGAIN */
    int unbuffered_send;       /* 0 (a receiver task took it) */
    int unbuffered_received;   /* the value the receiver got */
    int buffered_sends_ok;     /* == cap */
    int buffered_extra_send;   /* -EAGAIN */
    size_t buffered_len;       /* == cap after the sends */
    long buffered_fifo_errors; /* values not received in FIFO order: 0 */
} pat_buffering_result;
int pat_buffering(size_t cap, pat_buffering_result *r, FILE *out);

/* ------------------------------------------------------- 4 worker_pool -- */
typedef struct {
    int workers;       /* 3 */
    int jobs;          /* 9 */
    int64_t work_ns;   /* 100 ms of simulated work per job (scaled) */
    size_t chan_cap;   /* 100: jobs and results capacity */
    double time_scale;
    FILE *out;
} pat_worker_pool_opts;
#define PAT_WORKER_POOL_DEFAULTS {3, 9, 100 * PAT_MS, 100, 1.0, NULL}
typedef struct {
    long results;       /* results received: jobs */
    int64_t sum;        /* sum of results: 2 * jobs * (jobs + 1) / 2 */
    long bad_results;   /* results that are not 2 * some job: 0 */
    int64_t elapsed_ns; /* wall time of the whole run */
} pat_worker_pool_result;
int pat_worker_pool(const pat_worker_pool_opts *o, pat_worker_pool_result *r);

/* ---------------------------------------------------- 5 fan_out_fan_in -- */
/* gen(1..n) -> fanOut -> (out1, out2) -> fanIn -> main. Every value arrives
 * exactly twice; fanIn ends when both inputs are closed. */
typedef struct {
    long n;      /* values 1..n */
    size_t cap;  /* capacity of every channel (the article: 0) */
    FILE *out;
} pat_fan_opts;
typedef struct {
    long received;        /* 2n */
    int64_t sum;          /* n (n + 1) */
    long multiset_errors; /* values not seen exactly twice: 0 */
    int closed_inputs;    /* inputs fanIn saw closed and disabled: 2 */
} pat_fan_result;
int pat_fan_out_fan_in(const pat_fan_opts *o, pat_fan_result *r);

/* ---------------------------------------------------- 6 select_timeout -- */
/* Two tasks answer "one" after delay1 and "two" after delay2 (on cap-1
 * channels, so a sender never blocks once nobody listens); main loops twice
 * over select { c1, c2, time.After(timeout) }, stopping at the first
 * timeout. Article: 1 s, 2 s, 3 s (both received in order); the timeout
 * variant: 1 s, 2 s, 500 ms (the first select times out). */
typedef struct {
    int64_t delay1_ns, delay2_ns, timeout_ns;
    double time_scale;
    FILE *out;
} pat_select_timeout_opts;
#define PAT_SELECT_TIMEOUT_DEFAULTS {1 * PAT_S, 2 * PAT_S, 3 * PAT_S, 1.0, NULL}
typedef struct {
    int received;          /* messages received */
    char order[2][8];      /* what each select received, in order */
    int timeouts;          /* selects that timed out (0 or 1) */
    int64_t elapsed_ns;
} pat_select_timeout_result;
int pat_select_timeout(const pat_select_timeout_opts *o, pat_select_timeout_result *r);

/* ---------------------------------------------------- 7 context_cancel -- */
/* ctx := WithTimeout(Background, timeout); jobs (cap = jobs) filled with
 * 1..jobs and not closed; each worker loops select { <-ctx.Done(): print
 * "cancelled", return; job := <-jobs: process (sleep job_ns) }. Main waits
 * for every worker (a WaitGroup, where the article sleeps), so no task
 * outlives it. Article: 2 s, 3 workers, 10 jobs of 500 ms.
 * timeout_ns == 0 is the benchmark's mode: WithCancel instead, each worker
 * acknowledges each job on a channel, and main cancels once all jobs are
 * acknowledged (ctx_err is then -ECANCELED). */
typedef struct {
    int64_t timeout_ns;
    int workers;
    int jobs;
    int64_t job_ns;
    double time_scale;
    FILE *out;
} pat_context_cancel_opts;
#define PAT_CONTEXT_CANCEL_DEFAULTS {2 * PAT_S, 3, 10, 500 * PAT_MS, 1.0, NULL}
typedef struct {
    int cancelled_workers; /* workers that saw ctx.Done(): all of them */
    int processed;         /* jobs processed before the deadline */
    int left_in_queue;     /* processed + left_in_queue == jobs */
    int ctx_err;           /* -ETIMEDOUT */
    int64_t elapsed_ns;    /* about timeout */
} pat_context_cancel_result;
int pat_context_cancel(const pat_context_cancel_opts *o, pat_context_cancel_result *r);

/* ----------------------------------------------------------- 8 counter -- */
/* `tasks` tasks each do counter++ once; main waits (WaitGroup) and returns
 * the counter. RACY: a plain int (a data race, the article's bug: the result
 * may be < tasks, and TSan reports it; only the race suite runs it under
 * TSan). MUTEX: sync.Mutex. CHANLOCK: the article's cap-1 channel holding
 * the value (v := <-ch; v++; ch <- v). The corrected variants return tasks. */
enum { PAT_COUNTER_RACY = 0, PAT_COUNTER_MUTEX = 1, PAT_COUNTER_CHANLOCK = 2 };
int pat_counter(int variant, int tasks, long *counter, FILE *out);

/* ------------------------------------------------- 9 bench_worker_pool -- */
/* The article's BenchmarkWorkerPool body, `iterations` times: jobs and
 * results of cap 100, `workers` workers, `jobs` jobs sent, `jobs` results
 * received. As written (leaky = 1) jobs is never closed, so every iteration
 * leaves its workers blocked forever in their receive: `leaked` counts them
 * (goc_tasks_live() growth) and, if report != NULL, goc_tasks_report() is
 * written there while they are still blocked. The function then reaps them
 * (closes each iteration's jobs channel and waits) so the process stays
 * clean; Go cannot do that, its leaked goroutines stay until exit.
 * Corrected (leaky = 0): jobs is closed and the workers are waited for. */
typedef struct {
    int leaky;
    int iterations;
    int workers; /* 3 */
    int jobs;    /* 100 (at most 100: the article's channels hold them all) */
    FILE *report;
} pat_bwp_opts;
typedef struct {
    int64_t sum;   /* iterations * 2 * jobs (jobs - 1) / 2 (jobs are 0..jobs-1) */
    long leaked;   /* tasks still alive after the last iteration: iterations * workers, or 0 */
    long reaped;   /* leaked tasks that the reaping ended */
} pat_bwp_result;
int pat_bench_worker_pool(const pat_bwp_opts *o, pat_bwp_result *r);

/* ------------------------------------------------------- 10 http_fanout -- */
/* The article's HTTP server: GET /dashboard[?id=N] spawns three tasks
 * (user, product and analytics lookups: a short computation each, plus an
 * optional simulated delay) that answer on a cap-3 channel; the handler
 * writes the three answers (in a fixed order, so bodies are reproducible).
 * GET /health answers "ok". HTTP/1.1 with keep-alive and pipelining, one
 * task per connection, non-blocking sockets waited on with goc_fd_wait.
 *   400 malformed request line, header, Content-Length or query; HTTP/1.1
 *       without Host
 *   404 unknown path      405 method other than GET/HEAD
 *   413 body larger than 1 MiB
 *   431 request head larger than PAT_HTTP_HEAD_MAX, or over 100 header lines
 *   501 Transfer-Encoding (chunked bodies are not supported)
 *   505 HTTP version other than 1.0/1.1
 * After an error status the connection is closed (Connection: close). */
#define PAT_HTTP_HEAD_MAX 8192
typedef struct pat_http_server pat_http_server;
typedef struct {
    const char *host;        /* NULL: 127.0.0.1 */
    int port;                /* 0: an ephemeral port */
    int64_t lookup_delay_ns; /* simulated delay per lookup (scaled); 0: none */
    int64_t idle_timeout_ns; /* keep-alive idle limit; 0: 30 s */
    double time_scale;
    int stop_fd;             /* >= 0: the server stops when it becomes readable
                                (a signalfd, a pipe); -1: only pat_http_stop */
    FILE *log;               /* one line per start/stop; NULL: silent */
} pat_http_opts;
/* Starts listening and spawns the accept task; returns at once. *srv is
 * set on success. */
int pat_http_start(const pat_http_opts *o, pat_http_server **srv);
int pat_http_port(const pat_http_server *srv);
/* Blocks until stop_fd fires or pat_http_stop is called, then stops
 * accepting, wakes and waits for every connection task, and frees. */
int pat_http_wait(pat_http_server *srv);
/* Asks the server to stop (from any task); pat_http_wait does the rest. */
void pat_http_stop(pat_http_server *srv);
/* Requests served (2xx), for tests and the CLI's exit line. */
long pat_http_served(const pat_http_server *srv);
/* The body GET /dashboard?id=id answers (for tests and the Go reference). */
int pat_http_dashboard_body(long id, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
