/*
 * bench_micro.c: the micro catalogue, written once against goc.h and built
 * per backend (micro-pthread, micro-lockfree, micro-coro, and the
 * function-pointer adapter builds micro-<b>-vtbl). reference/go/ has the same
 * catalogue in Go under the same names; harness/README.md states the rules.
 *
 * Names follow Go's runtime/chan_test.go where one exists; the workloads are
 * fixed (task counts do not depend on the core count) so that every backend
 * and Go at GOMAXPROCS=1 and =cores run the same thing:
 *
 *   ChanSync            unbuffered ping-pong: op = one round trip (2 hand-offs)
 *   ChanSyncLatency     same, each round trip timed: p50/p99/p99.9 counters
 *   ChanProdCons0/10/100  2 producers, 2 consumers, capacity 0/10/100,
 *                       sentinel-terminated (as Go's); op = one message
 *   ChanUncontended     one task, cap-100 channel: op = 100 sends + 100 recvs
 *   ChanContended       4 tasks share a cap-400 channel: op = 100 + 100
 *   ChanCreation        op = make(cap 1) + send + recv + free (allocation timed)
 *   ChanNonblocking     op = a receive with GOC_NOW on an empty channel (-EAGAIN;
 *                       Go: select with default): the cheapest call, where
 *                       dispatch cost shows most (vtbl builds)
 *   SelectUncontended   one task, 2 cap-1 channels, one ready: op = select + send
 *   SelectProdCons      2+2 tasks, cap 128, 3-case selects (data, an unfired
 *                       1 h goc_after timer, a quit channel); op = one message
 *   SpawnJoin           op = wg_add + goc_go + the task's wg_done + wg_wait
 *   SPSC/cap:C          1 producer, 1 consumer, close-terminated; op = message
 *   MPMC/cap:C          4 producers, 4 consumers; op = one message
 *   BareRing/cap:1024   SPSC/cap:1024's workload through a bare Vyukov ring
 *                       (harness/bare_ring.h: spin, no blocking, no close):
 *                       the floor a buffered channel is measured against
 *                       (issue 15); no Go counterpart
 *   BarePingPong        ChanSync's round trip through two atomic words
 *                       (harness/bare_ring.h: spin, no blocking): the floor
 *                       of an unbuffered round trip between two threads
 *                       (issue 15); no Go counterpart
 *   Select2Ready        one task, 2 ready cap-1 channels: op = select + refill;
 *                       checks both cases fire (fairness)
 *   SelectTimeout       op = goc_after(1 h) + select{ready chan, timer} + free
 *                       (Go: NewTimer + select + Stop)
 *
 * Every message is 8 bytes (uint64_t). Channels, WaitGroups and tasks are
 * created before the timer starts; every task reports that it runs (a ready
 * WaitGroup the root waits on) and then waits on a gate channel that the
 * root closes once the timer runs; the timer stops when the last task has
 * reported done. Each
 * benchmark checks counts and sums after the timed region and reports an
 * error through goc_bench_error() when they are wrong.
 */
#include <goc/goc.h>
#ifdef GOC_BENCH_VTBL
#include "goc_vtbl.h"
#endif
#include "goc_bench.h"
#include "bare_ring.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TASKS 16

/* ------------------------------------------------------------ helpers -- */

/* A benchmark's shared objects. Every field is set by the root task before
 * any task is spawned (goc_go happens before the task runs) and read-only
 * afterwards, except the per-task results, each written only by its own
 * task and read by the root after wg_wait (Done happens before Wait
 * returns). */
typedef struct task_res {
    uint64_t count; /* messages this task handled */
    uint64_t sum;   /* sum of their values */
    uint64_t n;     /* input: messages to produce / iterations to run */
    uint64_t base;  /* input: first value */
    int err;        /* first unexpected goc error, 0 if none */
    int id;
    struct bench_ctx *ctx;
    goc_chan *timer; /* SelectProdCons: a 1 h goc_after made by the root */
} task_res;

typedef struct bench_ctx {
    goc_chan *gate;  /* elem 0, closed by the root to start every task */
    goc_chan *ch;    /* the data channel */
    goc_chan *ch2;   /* a second channel where needed */
    goc_chan *quit;  /* SelectProdCons: never fired during the run */
    goc_wg *ready_wg; /* every task's Done once it runs (before the gate) */
    goc_wg *prod_wg; /* producers' Done */
    goc_wg *all_wg;  /* every task's Done */
    int ntasks;
    task_res res[MAX_TASKS];
} bench_ctx;

static void ctx_free(bench_ctx *c) {
    goc_chan_free(c->gate);
    goc_chan_free(c->ch);
    goc_chan_free(c->ch2);
    goc_chan_free(c->quit);
    goc_wg_free(c->ready_wg);
    goc_wg_free(c->prod_wg);
    goc_wg_free(c->all_wg);
}

/* Frees the per-task goc_after timers (after every task is done). */
static void free_timers(bench_ctx *c) {
    for (int i = 0; i < MAX_TASKS; i++) {
        goc_chan_free(c->res[i].timer);
        c->res[i].timer = NULL;
    }
}

/* Makes the gate and the WaitGroups; false (with the error reported) if any
 * allocation failed. */
static bool ctx_init(bench_ctx *c, goc_bench_state *st) {
    memset(c, 0, sizeof *c);
    c->gate = goc_chan_make(0, 0);
    c->ready_wg = goc_wg_make();
    c->prod_wg = goc_wg_make();
    c->all_wg = goc_wg_make();
    if (!c->gate || !c->ready_wg || !c->prod_wg || !c->all_wg) {
        goc_bench_error(st, "setup: allocation failed");
        return false;
    }
    return true;
}

static bool chan_ok(goc_chan *ch, goc_bench_state *st) {
    if (!ch) goc_bench_error(st, "goc_chan_make failed: errno %d", errno);
    return ch != NULL;
}

/* Waits for the start signal: the gate is closed by the root once the
 * timer runs, so a receive returns -EPIPE. */
static void wait_gate(bench_ctx *c) {
    goc_wg_done(c->ready_wg);
    (void)goc_chan_recv(c->gate, NULL, GOC_NEVER);
}

/* The root, before starting the timer: waits until every spawned task has
 * started running (thread creation and first scheduling, or a coroutine's
 * first switch, stay out of the timed region; on a loaded machine they can
 * take milliseconds, and a 1-iteration probe of gbench that includes them
 * could be taken as the result). */
static void wait_ready(bench_ctx *c) { goc_wg_wait(c->ready_wg, GOC_NEVER); }

/* Spawns the task; on failure reports it and returns false (the caller then
 * aborts the run, see abort_run). The WaitGroup is incremented first. The
 * task carries fn's own name (leak reports, coro's GOC_SCHEDLOG). */
#define spawn(c, st, fn, r, producer) spawn_named((c), (st), (fn), #fn, (r), (producer))
static bool spawn_named(bench_ctx *c, goc_bench_state *st, void (*fn)(void *), const char *name,
                        task_res *r, bool producer) {
    goc_wg_add(c->all_wg, 1);
    goc_wg_add(c->ready_wg, 1);
    if (producer) goc_wg_add(c->prod_wg, 1);
    int e = goc_go_at(fn, r, __FILE__, __LINE__, name);
    if (e) {
        goc_wg_done(c->all_wg);
        goc_wg_done(c->ready_wg);
        if (producer) goc_wg_done(c->prod_wg);
        goc_bench_error(st, "goc_go failed: %s", goc_strerror(e));
        return false;
    }
    c->ntasks++;
    return true;
}

/* A spawn failed before the timer started: close the channels so that every
 * task already running gets -EPIPE and returns, then wait for them. */
static void abort_run(bench_ctx *c) {
    if (c->ch) goc_chan_close(c->ch);
    if (c->ch2) goc_chan_close(c->ch2);
    if (c->quit) goc_chan_close(c->quit);
    goc_chan_close(c->gate);
    goc_wg_wait(c->all_wg, GOC_NEVER);
}

/* After the timer stopped: lets finished tasks retire (thread backends
 * decrement the live count when the thread ends, just after the task's
 * last Done) so that one benchmark's exiting threads do not run into the
 * next one's timed region. Bounded wait (1 s). */
static void settle(void) {
    goc_time until = goc_deadline(1000000000);
    while (goc_tasks_live() > 1 && goc_now() < until) goc_sleep(goc_deadline(20000));
}

/* First task error, reported; true if none. */
static bool tasks_ok(bench_ctx *c, goc_bench_state *st, int first, int count) {
    for (int i = first; i < first + count; i++)
        if (c->res[i].err) {
            goc_bench_error(st, "task %d: unexpected %s", i, goc_strerror(c->res[i].err));
            return false;
        }
    return true;
}

/* 1 + 2 + ... + n */
static uint64_t tri(uint64_t n) { return n * (n + 1) / 2; }

/* Splits n into k parts as evenly as possible: part i. */
static uint64_t share(uint64_t n, int k, int i) {
    return n / (uint64_t)k + ((uint64_t)i < n % (uint64_t)k ? 1 : 0);
}

/* --------------------------------------------------------- ChanSync --- */

/* Echo: receives v on ch, answers v + 1 on ch2, n times. */
static void echo_task(void *arg) {
    task_res *r = arg;
    bench_ctx *c = r->ctx;
    goc_wg_done(c->ready_wg);
    for (uint64_t i = 0; i < r->n; i++) {
        uint64_t v;
        int e = goc_chan_recv(c->ch, &v, GOC_NEVER);
        if (e) { r->err = e; break; }
        v += 1;
        e = goc_chan_send(c->ch2, &v, GOC_NEVER);
        if (e) { r->err = e; break; }
        r->count++;
    }
    goc_wg_done(c->all_wg);
}

static void run_chan_sync(goc_bench_state *st, bool timed_each) {
    bench_ctx c;
    if (!ctx_init(&c, st)) { ctx_free(&c); return; }
    int64_t n = goc_bench_max_iterations(st);
    c.ch = goc_chan_make(sizeof(uint64_t), 0);
    c.ch2 = goc_chan_make(sizeof(uint64_t), 0);
    goc_lat_hist *hist = NULL;
    if (timed_each) {
        hist = malloc(sizeof *hist);
        if (!hist) { goc_bench_error(st, "out of memory"); ctx_free(&c); return; }
        goc_lat_reset(hist);
    }
    if (!chan_ok(c.ch, st) || !chan_ok(c.ch2, st)) { free(hist); ctx_free(&c); return; }
    c.res[0] = (task_res){.n = (uint64_t)n, .ctx = &c};
    if (!spawn(&c, st, echo_task, &c.res[0], false)) {
        abort_run(&c); free(hist); ctx_free(&c); return;
    }
    uint64_t sum = 0, got = 0;
    int err = 0;
    wait_ready(&c);
    goc_bench_begin(st);
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = (uint64_t)i, w = 0;
        goc_time t0 = timed_each ? goc_now() : 0;
        if ((err = goc_chan_send(c.ch, &v, GOC_NEVER)) != 0) break;
        if ((err = goc_chan_recv(c.ch2, &w, GOC_NEVER)) != 0) break;
        if (timed_each) goc_lat_record(hist, goc_now() - t0);
        sum += w;
        got++;
    }
    goc_bench_end(st);
    if (err) {
        goc_bench_error(st, "root: unexpected %s", goc_strerror(err));
        abort_run(&c);
    } else {
        goc_wg_wait(c.all_wg, GOC_NEVER);
        /* replies are i + 1 for i in [0, n): sum = 1 + ... + n */
        if (tasks_ok(&c, st, 0, 1) && (got != (uint64_t)n || sum != tri((uint64_t)n)))
            goc_bench_error(st, "round trips %llu (want %lld), sum %llu (want %llu)",
                            (unsigned long long)got, (long long)n, (unsigned long long)sum,
                            (unsigned long long)tri((uint64_t)n));
    }
    goc_bench_set_items_processed(st, n);
    if (hist && !goc_bench_failed(st)) goc_lat_export(hist, st);
    free(hist);
    ctx_free(&c);
    settle();
}

static void bm_chan_sync(goc_bench_state *st) { run_chan_sync(st, false); }
static void bm_chan_sync_latency(goc_bench_state *st) { run_chan_sync(st, true); }

/* ------------------------------------------- producers and consumers --- */

/* A producer's end: a 0 sentinel if asked (ChanProdCons, SelectProdCons:
 * one per producer, as Go's), unless it failed, then its two Done calls. */
static void producer_finish(task_res *r, bool sentinel) {
    bench_ctx *c = r->ctx;
    uint64_t zero = 0;
    if (sentinel && !r->err) {
        int e = goc_chan_send(c->ch, &zero, GOC_NEVER);
        if (e) r->err = e;
    }
    goc_wg_done(c->prod_wg);
    goc_wg_done(c->all_wg);
}

/* Sends values base+1 .. base+n on ch (plain send), then, if sentinel, a 0.
 * Inline with a constant `sentinel` at both callers: one loop, two tasks. */
static inline void produce(task_res *r, bool sentinel) {
    bench_ctx *c = r->ctx;
    wait_gate(c);
    for (uint64_t i = 1; i <= r->n; i++) {
        uint64_t v = r->base + i;
        int e = goc_chan_send(c->ch, &v, GOC_NEVER);
        if (e) { r->err = e; break; }
        r->count++;
        r->sum += v;
    }
    producer_finish(r, sentinel);
}
static void producer_task(void *arg) { produce(arg, false); }
static void producer_sentinel_task(void *arg) { produce(arg, true); }

/* sentinel false: receives until the channel is closed and drained
 * (-EPIPE). sentinel true: until its first 0 (each producer sends one 0,
 * and there are as many consumers as producers, so every consumer gets
 * exactly one); the channel is never closed then, so -EPIPE is an error. */
static inline void consume(task_res *r, bool sentinel) {
    bench_ctx *c = r->ctx;
    wait_gate(c);
    for (;;) {
        uint64_t v;
        int e = goc_chan_recv(c->ch, &v, GOC_NEVER);
        if (e == -EPIPE && !sentinel) break;
        if (e) { r->err = e; break; }
        if (sentinel && v == 0) break;
        r->count++;
        r->sum += v;
    }
    goc_wg_done(c->all_wg);
}
static void consumer_task(void *arg) { consume(arg, false); }
static void consumer_sentinel_task(void *arg) { consume(arg, true); }

/* SelectProdCons producer: 3-case select {send ch, recv timer, recv quit}.
 * The timer (1 h: never fires in a run) is made and freed by the root. */
static void select_producer_task(void *arg) {
    task_res *r = arg;
    bench_ctx *c = r->ctx;
    goc_chan *timer = r->timer;
    wait_gate(c);
    for (uint64_t i = 1; i <= r->n && !r->err; i++) {
        uint64_t v = r->base + i;
        goc_case cs[3] = {{c->ch, GOC_SEND, &v, 0}, {timer, GOC_RECV, NULL, 0},
                          {c->quit, GOC_RECV, NULL, 0}};
        int k = goc_select(cs, 3, GOC_NEVER);
        if (k != 0) { r->err = k < 0 ? k : -EPROTO; break; }
        r->count++;
        r->sum += v;
    }
    producer_finish(r, true);
}

static void select_consumer_task(void *arg) {
    task_res *r = arg;
    bench_ctx *c = r->ctx;
    goc_chan *timer = r->timer;
    wait_gate(c);
    while (!r->err) {
        uint64_t v = 0;
        goc_case cs[3] = {{c->ch, GOC_RECV, &v, 0}, {timer, GOC_RECV, NULL, 0},
                          {c->quit, GOC_RECV, NULL, 0}};
        int k = goc_select(cs, 3, GOC_NEVER);
        if (k != 0) { r->err = k < 0 ? k : -EPROTO; break; }
        if (cs[0].err) { r->err = cs[0].err; break; }
        if (v == 0) break;
        r->count++;
        r->sum += v;
    }
    goc_wg_done(c->all_wg);
}

enum { TERM_CLOSE, TERM_SENTINEL };

/* np producers and nc consumers through one channel of capacity cap; n
 * messages in all. TERM_CLOSE: the root closes the channel once every
 * producer is done; TERM_SENTINEL: each producer ends with a 0 (np == nc). */
static void run_prodcons(goc_bench_state *st, int np, int nc, size_t cap, int term,
                         void (*prod)(void *), void (*cons)(void *), bool need_quit) {
    bench_ctx c;
    if (!ctx_init(&c, st)) { ctx_free(&c); return; }
    int64_t n = goc_bench_max_iterations(st);
    c.ch = goc_chan_make(sizeof(uint64_t), cap);
    if (!chan_ok(c.ch, st)) { ctx_free(&c); return; }
    if (need_quit) {
        c.quit = goc_chan_make(0, 0);
        if (!chan_ok(c.quit, st)) { ctx_free(&c); return; }
    }
    /* SelectProdCons: one 1 h timer per task, made before the timer starts */
    for (int i = 0; i < np + nc && need_quit; i++) {
        c.res[i].timer = goc_after(3600LL * 1000000000LL);
        if (!c.res[i].timer) {
            goc_bench_error(st, "goc_after failed");
            free_timers(&c);
            ctx_free(&c);
            return;
        }
    }
    uint64_t want_sum = 0;
    bool ok = true;
    for (int i = 0; i < np && ok; i++) {
        uint64_t k = share((uint64_t)n, np, i);
        /* producer i sends base+1..base+k with disjoint ranges */
        uint64_t base = (uint64_t)i << 40;
        c.res[i] = (task_res){.n = k, .base = base, .id = i, .ctx = &c, .timer = c.res[i].timer};
        want_sum += k * base + tri(k);
        ok = spawn(&c, st, prod, &c.res[i], true);
    }
    for (int j = 0; j < nc && ok; j++) {
        c.res[np + j] = (task_res){.id = np + j, .ctx = &c, .timer = c.res[np + j].timer};
        ok = spawn(&c, st, cons, &c.res[np + j], false);
    }
    if (!ok) { abort_run(&c); free_timers(&c); ctx_free(&c); return; }

    wait_ready(&c);
    goc_bench_begin(st);
    goc_chan_close(c.gate);
    if (term == TERM_CLOSE) {
        goc_wg_wait(c.prod_wg, GOC_NEVER);
        goc_chan_close(c.ch);
    }
    goc_wg_wait(c.all_wg, GOC_NEVER);
    goc_bench_end(st);

    if (tasks_ok(&c, st, 0, np + nc)) {
        uint64_t sent = 0, got = 0, gsum = 0;
        for (int i = 0; i < np; i++) sent += c.res[i].count;
        for (int j = 0; j < nc; j++) {
            got += c.res[np + j].count;
            gsum += c.res[np + j].sum;
        }
        if (sent != (uint64_t)n || got != (uint64_t)n || gsum != want_sum)
            goc_bench_error(st, "sent %llu, received %llu (want %lld), sum %llu (want %llu)",
                            (unsigned long long)sent, (unsigned long long)got, (long long)n,
                            (unsigned long long)gsum, (unsigned long long)want_sum);
        else if (goc_chan_len(c.ch) != 0)
            goc_bench_error(st, "%zu messages left in the channel", goc_chan_len(c.ch));
    }
    goc_bench_set_items_processed(st, n);
    goc_bench_set_bytes_processed(st, n * (int64_t)sizeof(uint64_t));
    free_timers(&c);
    ctx_free(&c);
    settle();
}

static void bm_prodcons(goc_bench_state *st) {
    size_t cap = (size_t)(uintptr_t)goc_bench_data(st);
    run_prodcons(st, 2, 2, cap, TERM_SENTINEL, producer_sentinel_task, consumer_sentinel_task,
                 false);
}

static void bm_select_prodcons(goc_bench_state *st) {
    run_prodcons(st, 2, 2, 128, TERM_SENTINEL, select_producer_task, select_consumer_task, true);
}

static void bm_spsc(goc_bench_state *st) {
    run_prodcons(st, 1, 1, (size_t)goc_bench_arg_get(st, 0), TERM_CLOSE, producer_task,
                 consumer_task, false);
}

static void bm_mpmc(goc_bench_state *st) {
    run_prodcons(st, 4, 4, (size_t)goc_bench_arg_get(st, 0), TERM_CLOSE, producer_task,
                 consumer_task, false);
}

/* ---------------------------------------------------------- BareRing --- */

static bare_ring g_br; /* set up by the root before the tasks run (goc_go orders it) */

static void bare_producer_task(void *arg) {
    task_res *r = arg;
    wait_gate(r->ctx);
    for (uint64_t i = 1; i <= r->n; i++) {
        br_send(&g_br, r->base + i);
        r->count++;
        r->sum += r->base + i;
    }
    goc_wg_done(r->ctx->all_wg);
}

static void bare_consumer_task(void *arg) {
    task_res *r = arg;
    wait_gate(r->ctx);
    for (uint64_t i = 0; i < r->n; i++) {
        r->sum += br_recv(&g_br);
        r->count++;
    }
    goc_wg_done(r->ctx->all_wg);
}

/* SPSC/cap:C's shape (one producer task, one consumer task, a gate, the
 * root waiting) over the bare ring: what the channel costs over the ring. */
static void bm_bare_ring(goc_bench_state *st) {
    uint64_t n = (uint64_t)goc_bench_max_iterations(st);
    bench_ctx c;
    if (!ctx_init(&c, st)) return;
    if (br_init(&g_br, (uint64_t)goc_bench_arg_get(st, 0))) {
        goc_bench_error(st, "setup: allocation failed");
        ctx_free(&c);
        return;
    }
    c.res[0] = (task_res){.n = n, .ctx = &c};
    c.res[1] = (task_res){.n = n, .ctx = &c};
    if (!spawn(&c, st, bare_producer_task, &c.res[0], true) ||
        !spawn(&c, st, bare_consumer_task, &c.res[1], false)) {
        /* the task already waiting at the gate reads n after it (the
         * close orders this write): nothing to do, it returns */
        c.res[0].n = c.res[1].n = 0;
        abort_run(&c);
        br_destroy(&g_br);
        ctx_free(&c);
        return;
    }
    wait_ready(&c);
    goc_bench_begin(st);
    goc_chan_close(c.gate);
    goc_wg_wait(c.all_wg, GOC_NEVER);
    goc_bench_end(st);
    if (c.res[0].count != n || c.res[1].count != n || c.res[1].sum != tri(n))
        goc_bench_error(st, "sent %llu, received %llu (want %llu), sum %llu (want %llu)",
                        (unsigned long long)c.res[0].count, (unsigned long long)c.res[1].count,
                        (unsigned long long)n, (unsigned long long)c.res[1].sum,
                        (unsigned long long)tri(n));
    goc_bench_set_items_processed(st, (int64_t)n);
    br_destroy(&g_br);
    ctx_free(&c);
    settle();
}

/* ------------------------------------------------------- BarePingPong --- */

static bare_pingpong g_bp; /* reset by the root before the echo runs (goc_go orders it) */

/* Echo: waits for ping == k, answers pong = k, for k = 1..n. */
static void bare_echo_task(void *arg) {
    task_res *r = arg;
    goc_wg_done(r->ctx->ready_wg);
    for (uint64_t k = 1; k <= r->n; k++) {
        bp_wait(&g_bp.ping, k);
        bp_post(&g_bp.pong, k);
        r->count++;
        r->sum += k;
    }
    goc_wg_done(r->ctx->all_wg);
}

static void bm_bare_pingpong(goc_bench_state *st) {
    uint64_t n = (uint64_t)goc_bench_max_iterations(st);
    bench_ctx c;
    if (!ctx_init(&c, st)) { ctx_free(&c); return; }
    atomic_store_explicit(&g_bp.ping, 0, memory_order_relaxed); /* ordered by goc_go */
    atomic_store_explicit(&g_bp.pong, 0, memory_order_relaxed);
    c.res[0] = (task_res){.n = n, .ctx = &c};
    if (!spawn(&c, st, bare_echo_task, &c.res[0], false)) {
        goc_wg_wait(c.all_wg, GOC_NEVER); /* nothing was spawned */
        ctx_free(&c);
        return;
    }
    wait_ready(&c);
    uint64_t sum = 0, got = 0;
    goc_bench_begin(st);
    for (uint64_t k = 1; k <= n; k++) {
        bp_post(&g_bp.ping, k);
        bp_wait(&g_bp.pong, k);
        sum += k;
        got++;
    }
    goc_bench_end(st);
    goc_wg_wait(c.all_wg, GOC_NEVER);
    if (got != n || c.res[0].count != n || c.res[0].sum != tri(n) || sum != tri(n))
        goc_bench_error(st, "round trips %llu, echoed %llu (want %llu), sum %llu (want %llu)",
                        (unsigned long long)got, (unsigned long long)c.res[0].count,
                        (unsigned long long)n, (unsigned long long)c.res[0].sum,
                        (unsigned long long)tri(n));
    goc_bench_set_items_processed(st, (int64_t)n);
    ctx_free(&c);
    settle();
}

/* --------------------------------------------------- ChanUncontended --- */

enum { BATCH = 100 };

/* One op = BATCH sends then BATCH receives on ch (cap >= BATCH * tasks, so
 * sends never wait forever). Values base+1.. are sent; sums of what was
 * sent and received are kept per task. */
static int uncontended_op(goc_chan *ch, uint64_t base, uint64_t *sent, uint64_t *got) {
    for (uint64_t k = 1; k <= BATCH; k++) {
        uint64_t v = base + k;
        int e = goc_chan_send(ch, &v, GOC_NEVER);
        if (e) return e;
        *sent += v;
    }
    for (int k = 0; k < BATCH; k++) {
        uint64_t v;
        int e = goc_chan_recv(ch, &v, GOC_NEVER);
        if (e) return e;
        *got += v;
    }
    return 0;
}

static void bm_chan_uncontended(goc_bench_state *st) {
    goc_chan *ch = goc_chan_make(sizeof(uint64_t), BATCH);
    if (!chan_ok(ch, st)) return;
    uint64_t sent = 0, got = 0, ops = 0;
    int err = 0;
    GOC_BENCH_FOR(st) {
        if (!err) err = uncontended_op(ch, ops * BATCH, &sent, &got);
        ops++;
    }
    if (err)
        goc_bench_error(st, "unexpected %s", goc_strerror(err));
    else if (sent != got || sent != tri(ops * BATCH))
        goc_bench_error(st, "sent sum %llu, received sum %llu (want %llu)",
                        (unsigned long long)sent, (unsigned long long)got,
                        (unsigned long long)tri(ops * BATCH));
    goc_bench_set_items_processed(st, (int64_t)ops * BATCH);
    goc_chan_free(ch);
}

enum { CONTENDED_TASKS = 4 };

static void contended_task(void *arg) {
    task_res *r = arg;
    bench_ctx *c = r->ctx;
    wait_gate(c);
    uint64_t got = 0;
    for (uint64_t i = 0; i < r->n && !r->err; i++)
        r->err = uncontended_op(c->ch, r->base + i * BATCH, &r->sum, &got);
    r->count = got; /* count carries the received sum here */
    goc_wg_done(c->all_wg);
}

static void bm_chan_contended(goc_bench_state *st) {
    bench_ctx c;
    if (!ctx_init(&c, st)) { ctx_free(&c); return; }
    int64_t n = goc_bench_max_iterations(st);
    c.ch = goc_chan_make(sizeof(uint64_t), BATCH * CONTENDED_TASKS);
    if (!chan_ok(c.ch, st)) { ctx_free(&c); return; }
    bool ok = true;
    uint64_t done = 0;
    for (int i = 0; i < CONTENDED_TASKS && ok; i++) {
        uint64_t k = share((uint64_t)n, CONTENDED_TASKS, i);
        c.res[i] = (task_res){.n = k, .base = done * BATCH, .id = i, .ctx = &c};
        done += k;
        ok = spawn(&c, st, contended_task, &c.res[i], false);
    }
    if (!ok) { abort_run(&c); ctx_free(&c); return; }
    wait_ready(&c);
    goc_bench_begin(st);
    goc_chan_close(c.gate);
    goc_wg_wait(c.all_wg, GOC_NEVER);
    goc_bench_end(st);
    if (tasks_ok(&c, st, 0, CONTENDED_TASKS)) {
        uint64_t sent = 0, got = 0;
        for (int i = 0; i < CONTENDED_TASKS; i++) {
            sent += c.res[i].sum;
            got += c.res[i].count;
        }
        uint64_t want = tri((uint64_t)n * BATCH);
        if (sent != want || got != want)
            goc_bench_error(st, "sent sum %llu, received sum %llu (want %llu)",
                            (unsigned long long)sent, (unsigned long long)got,
                            (unsigned long long)want);
    }
    goc_bench_set_items_processed(st, n * BATCH);
    ctx_free(&c);
    settle();
}

/* ------------------------------------------------------ ChanCreation --- */

static void bm_chan_creation(goc_bench_state *st) {
    uint64_t i = 0, sum = 0;
    int err = 0;
    GOC_BENCH_FOR(st) {
        goc_chan *ch = goc_chan_make(sizeof(uint64_t), 1);
        if (!ch) { err = -ENOMEM; continue; }
        uint64_t v = ++i, w = 0;
        int e = goc_chan_send(ch, &v, GOC_NEVER);
        if (!e) e = goc_chan_recv(ch, &w, GOC_NEVER);
        if (e && !err) err = e;
        sum += w;
        goc_chan_free(ch);
    }
    if (err)
        goc_bench_error(st, "unexpected %s", goc_strerror(err));
    else if (sum != tri(i))
        goc_bench_error(st, "sum %llu (want %llu)", (unsigned long long)sum,
                        (unsigned long long)tri(i));
}

/* --------------------------------------------------- ChanNonblocking --- */

static void bm_chan_nonblocking(goc_bench_state *st) {
    goc_chan *ch = goc_chan_make(sizeof(uint64_t), 0);
    if (!chan_ok(ch, st)) return;
    uint64_t ops = 0, would_block = 0;
    GOC_BENCH_FOR(st) {
        uint64_t v;
        ops++;
        if (goc_chan_recv(ch, &v, GOC_NOW) == -EAGAIN) would_block++;
    }
    if (would_block != ops)
        goc_bench_error(st, "%llu of %llu non-blocking receives returned -EAGAIN",
                        (unsigned long long)would_block, (unsigned long long)ops);
    goc_chan_free(ch);
}

/* ---------------------------------------------------------- selects --- */

static void bm_select_uncontended(goc_bench_state *st) {
    goc_chan *a = goc_chan_make(sizeof(uint64_t), 1);
    goc_chan *b = goc_chan_make(sizeof(uint64_t), 1);
    if (!chan_ok(a, st) || !chan_ok(b, st)) { goc_chan_free(a); goc_chan_free(b); return; }
    uint64_t zero = 0, fired[2] = {0, 0}, ops = 0;
    int err = goc_chan_send(a, &zero, GOC_NOW);
    GOC_BENCH_FOR(st) {
        ops++;
        if (err) continue;
        uint64_t va = 1, vb = 1;
        goc_case cs[2] = {{a, GOC_RECV, &va, 0}, {b, GOC_RECV, &vb, 0}};
        int k = goc_select(cs, 2, GOC_NEVER);
        if (k < 0) { err = k; continue; }
        fired[k]++;
        /* exactly one channel holds the token; pass it to the other one */
        err = goc_chan_send(k == 0 ? b : a, &zero, GOC_NOW);
        if (!err && (k == 0 ? va : vb) != 0) err = -EPROTO;
    }
    /* the token alternates a, b, a, ...: case 0 fires ceil(ops/2) times */
    if (err)
        goc_bench_error(st, "unexpected %s", goc_strerror(err));
    else if (fired[0] != (ops + 1) / 2 || fired[1] != ops / 2)
        goc_bench_error(st, "cases fired %llu/%llu times in %llu selects",
                        (unsigned long long)fired[0], (unsigned long long)fired[1],
                        (unsigned long long)ops);
    goc_chan_free(a);
    goc_chan_free(b);
}

static void bm_select2_ready(goc_bench_state *st) {
    goc_chan *ch[2] = {goc_chan_make(sizeof(uint64_t), 1), goc_chan_make(sizeof(uint64_t), 1)};
    if (!chan_ok(ch[0], st) || !chan_ok(ch[1], st)) {
        goc_chan_free(ch[0]);
        goc_chan_free(ch[1]);
        return;
    }
    uint64_t tag[2] = {11, 22}, fired[2] = {0, 0}, ops = 0;
    int err = goc_chan_send(ch[0], &tag[0], GOC_NOW);
    if (!err) err = goc_chan_send(ch[1], &tag[1], GOC_NOW);
    GOC_BENCH_FOR(st) {
        ops++;
        if (err) continue;
        uint64_t v[2] = {0, 0};
        goc_case cs[2] = {{ch[0], GOC_RECV, &v[0], 0}, {ch[1], GOC_RECV, &v[1], 0}};
        int k = goc_select(cs, 2, GOC_NEVER);
        if (k < 0) { err = k; continue; }
        if (v[k] != tag[k] || v[1 - k] != 0) { err = -EPROTO; continue; }
        fired[k]++;
        err = goc_chan_send(ch[k], &tag[k], GOC_NOW); /* refill: both ready again */
    }
    if (err)
        goc_bench_error(st, "unexpected %s", goc_strerror(err));
    else if (fired[0] + fired[1] != ops)
        goc_bench_error(st, "%llu + %llu selects fired, want %llu", (unsigned long long)fired[0],
                        (unsigned long long)fired[1], (unsigned long long)ops);
    else if (ops >= 1000 && (fired[0] < ops / 4 || fired[1] < ops / 4))
        /* uniform choice: each case ~ops/2, sd sqrt(ops)/2; ops/4 is >= 15 sd away */
        goc_bench_error(st, "unfair select: cases fired %llu/%llu times",
                        (unsigned long long)fired[0], (unsigned long long)fired[1]);
    goc_bench_counter(st, "case0_share", ops ? (double)fired[0] / (double)ops : 0, 0);
    goc_chan_free(ch[0]);
    goc_chan_free(ch[1]);
}

static void bm_select_timeout(goc_bench_state *st) {
    goc_chan *ch = goc_chan_make(sizeof(uint64_t), 1);
    if (!chan_ok(ch, st)) return;
    uint64_t ops = 0, sum = 0;
    int err = 0;
    GOC_BENCH_FOR(st) {
        ops++;
        if (err) continue;
        uint64_t v = ops, w = 0;
        err = goc_chan_send(ch, &v, GOC_NOW);
        if (err) continue;
        goc_chan *t = goc_after(3600LL * 1000000000LL);
        if (!t) { err = -ENOMEM; continue; }
        goc_case cs[2] = {{ch, GOC_RECV, &w, 0}, {t, GOC_RECV, NULL, 0}};
        int k = goc_select(cs, 2, GOC_NEVER);
        goc_chan_free(t); /* stops the timer (Go: t.Stop()) */
        if (k != 0) { err = k < 0 ? k : -EPROTO; continue; }
        sum += w;
    }
    if (err)
        goc_bench_error(st, "unexpected %s", goc_strerror(err));
    else if (sum != tri(ops))
        goc_bench_error(st, "sum %llu (want %llu)", (unsigned long long)sum,
                        (unsigned long long)tri(ops));
    goc_chan_free(ch);
}

/* --------------------------------------------------------- SpawnJoin --- */

static atomic_uint_fast64_t spawn_runs; /* relaxed: read after wg_wait, which orders it */

static void spawned_task(void *arg) {
    atomic_fetch_add_explicit(&spawn_runs, 1, memory_order_relaxed);
    goc_wg_done(arg);
}

static void bm_spawn_join(goc_bench_state *st) {
    goc_wg *wg = goc_wg_make();
    if (!wg) { goc_bench_error(st, "goc_wg_make failed"); return; }
    atomic_store_explicit(&spawn_runs, 0, memory_order_relaxed);
    uint64_t ops = 0;
    int err = 0;
    GOC_BENCH_FOR(st) {
        ops++;
        if (err) continue;
        goc_wg_add(wg, 1);
        err = goc_go(spawned_task, wg);
        if (err) { goc_wg_done(wg); continue; }
        err = goc_wg_wait(wg, GOC_NEVER);
    }
    uint64_t runs = atomic_load_explicit(&spawn_runs, memory_order_relaxed);
    if (err)
        goc_bench_error(st, "unexpected %s", goc_strerror(err));
    else if (runs != ops)
        goc_bench_error(st, "%llu tasks ran, want %llu", (unsigned long long)runs,
                        (unsigned long long)ops);
    goc_wg_free(wg);
    settle();
}

/* ------------------------------------------------------ registration --- */

GOC_BENCH_INIT(register_micro) {
    static const char *const cap_name[] = {"cap"};
    static const int64_t caps[] = {1, 16, 128, 1024};

    goc_bench_use_real_time(goc_bench_register("ChanSync", bm_chan_sync));
    goc_bench_use_real_time(goc_bench_register("ChanSyncLatency", bm_chan_sync_latency));
    goc_bench_use_real_time(goc_bench_set_data(
        goc_bench_register("ChanProdCons0", bm_prodcons), (void *)(uintptr_t)0));
    goc_bench_use_real_time(goc_bench_set_data(
        goc_bench_register("ChanProdCons10", bm_prodcons), (void *)(uintptr_t)10));
    goc_bench_use_real_time(goc_bench_set_data(
        goc_bench_register("ChanProdCons100", bm_prodcons), (void *)(uintptr_t)100));
    goc_bench_use_real_time(goc_bench_register("ChanUncontended", bm_chan_uncontended));
    goc_bench_use_real_time(goc_bench_register("ChanContended", bm_chan_contended));
    goc_bench_use_real_time(goc_bench_register("ChanCreation", bm_chan_creation));
    goc_bench_use_real_time(goc_bench_register("ChanNonblocking", bm_chan_nonblocking));
    goc_bench_use_real_time(goc_bench_register("SelectUncontended", bm_select_uncontended));
    goc_bench_use_real_time(goc_bench_register("SelectProdCons", bm_select_prodcons));
    goc_bench_use_real_time(goc_bench_register("SpawnJoin", bm_spawn_join));

    goc_bench *spsc = goc_bench_register("SPSC", bm_spsc);
    goc_bench *mpmc = goc_bench_register("MPMC", bm_mpmc);
    goc_bench_arg_names(spsc, 1, cap_name);
    goc_bench_arg_names(mpmc, 1, cap_name);
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        goc_bench_arg(spsc, caps[i]);
        goc_bench_arg(mpmc, caps[i]);
    }
    goc_bench_use_real_time(spsc);
    goc_bench_use_real_time(mpmc);

    goc_bench *bare = goc_bench_register("BareRing", bm_bare_ring);
    goc_bench_arg_names(bare, 1, cap_name);
    goc_bench_arg(bare, 1024);
    goc_bench_use_real_time(bare);
    goc_bench_use_real_time(goc_bench_register("BarePingPong", bm_bare_pingpong));

    goc_bench_use_real_time(goc_bench_register("Select2Ready", bm_select2_ready));
    goc_bench_use_real_time(goc_bench_register("SelectTimeout", bm_select_timeout));
}
