/* R32 (no-race half): context: x written before cancel, read after the
 * canceled context is observed (recv on Done, select on Done, goc_ctx_err).
 * R33 (no-race half): tasks: written before spawn, read in the task;
 * written in the task, read after the WaitGroup wait. */
#include <stdatomic.h>

#include "race_common.h"

int x;
static goc_ctx *ctx;
static goc_wg *wg;

static void canceler(void *p) {
    x = 1;
    goc_ctx_cancel(ctx);
}
static void ctx_case(int how) {
    ctx = goc_ctx_with_cancel(goc_ctx_background());
    rc_check(ctx != NULL);
    rc_go(canceler, NULL);
    switch (how) {
    case 0: rc_expect(goc_chan_recv(goc_ctx_done(ctx), NULL, GOC_NEVER), -EPIPE); break;
    case 1: {
        goc_chan *never = rc_chan(0, 0);
        goc_case k[2] = {{never, GOC_RECV, NULL, 0}, {goc_ctx_done(ctx), GOC_RECV, NULL, 0}};
        rc_expect(goc_select(k, 2, GOC_NEVER), 1);
        rc_expect(k[1].err, -EPIPE);
        goc_chan_free(never);
        break;
    }
    case 2:
        while (goc_ctx_err(ctx) == 0) goc_yield();
        rc_expect(goc_ctx_err(ctx), -ECANCELED);
        break;
    }
    rc_check(x == 1);
    x = 2;
    rc_join();
    goc_ctx_free(ctx);
}
static void ctx_done_recv(void) { ctx_case(0); }
static void ctx_done_select(void) { ctx_case(1); }
static void ctx_err(void) { ctx_case(2); }

/* Timers (Go's addtimer release -> runOneTimer acquire, then the timer's
 * own edge): a write before arming a context's deadline is read after its
 * Done is observed by another task, and one before goc_after is read after
 * the receive from its channel. The context (channel) travels through a
 * relaxed atomic and the invisible barrier: no edge but the timer's. The
 * timer service is started first (goc_after), so the first arming's
 * pthread_create edge (thread backends) is not what orders the write. */
static _Atomic(goc_ctx *) tctx;
static _Atomic(goc_chan *) tchan;
static rc_barrier tb;
static void timer_warm(void) {
    goc_chan *a = goc_after(0);
    rc_check(a != NULL);
    rc_expect(goc_chan_recv(a, NULL, GOC_NEVER), 0);
    goc_chan_free(a);
}
static void deadline_writer(void *p) {
    x = 11;
    goc_ctx *c = goc_ctx_with_timeout(goc_ctx_background(), 1000000); /* 1 ms */
    rc_check(c != NULL);
    atomic_store_explicit(&tctx, c, memory_order_relaxed);
    rc_barrier_wait(&tb);
}
static void ctx_deadline(void) {
    timer_warm();
    rc_barrier_init(&tb, 2);
    rc_go(deadline_writer, NULL);
    rc_barrier_wait(&tb);
    goc_ctx *c = atomic_load_explicit(&tctx, memory_order_relaxed);
    rc_expect(goc_chan_recv(goc_ctx_done(c), NULL, GOC_NEVER), -EPIPE);
    rc_check(x == 11);
    x = 0;
    rc_join();
    goc_ctx_free(c);
}
static void after_writer(void *p) {
    x = 12;
    goc_chan *a = goc_after(1000000); /* 1 ms */
    rc_check(a != NULL);
    atomic_store_explicit(&tchan, a, memory_order_relaxed);
    rc_barrier_wait(&tb);
}
static void after_timer(void) {
    timer_warm();
    rc_barrier_init(&tb, 2);
    rc_go(after_writer, NULL);
    rc_barrier_wait(&tb);
    goc_chan *a = atomic_load_explicit(&tchan, memory_order_relaxed);
    rc_expect(goc_chan_recv(a, NULL, GOC_NEVER), 0);
    rc_check(x == 12);
    x = 0;
    rc_join();
    goc_chan_free(a);
}

static void child_reads(void *p) { rc_check(x == 5); }
static void spawn_edge(void) {
    x = 5;
    rc_go(child_reads, NULL);
    rc_join();
    x = 0;
}
static void child_writes(void *p) {
    x = 7;
    rc_expect(goc_wg_done(wg), 0);
}
static void wait_edge(void) {
    wg = goc_wg_make();
    rc_check(wg != NULL);
    rc_expect(goc_wg_add(wg, 1), 0);
    rc_go(child_writes, NULL);
    rc_expect(goc_wg_wait(wg, GOC_NEVER), 0);
    rc_check(x == 7);
    x = 0;
    rc_join();
    goc_wg_free(wg);
}

static const rc_case cases[] = {
    {"r32_ctx_done_recv", "N", 1, ctx_done_recv},
    {"r32_ctx_done_select", "N", 1, ctx_done_select},
    {"r32_ctx_err", "N", 0, ctx_err},
    /* P: the writer hands the context (the timer channel) to the reader
     * through a relaxed store and the suite's invisible barrier, so that
     * the only edge is the timer's; the natural build then sees the
     * runtime's own reads of that object (ctx.c valid(), chan_ok) race
     * with its allocation by the writer: the handoff the case constructs,
     * not a missing edge. The precise build hides those reads. */
    {"r32_ctx_deadline", "P", 1, ctx_deadline},
    {"r32_after_timer", "P", 1, after_timer},
    {"r33_spawn_edge", "N", 0, spawn_edge},
    {"r33_wait_edge", "N", 0, wait_edge},
};
RC_MAIN(cases)
