/* R32 (race half): a write after cancel races with a read after Done is
 * observed (the edge goes from before the cancel only).
 * R33 (race half): a task's write read by the spawner without any join.
 * Barriers force the windows; no edge is added. */
#include <stdatomic.h>

#include "race_common.h"

int x;
static goc_ctx *ctx;
static rc_barrier b;

static void canceler(void *p) {
    goc_ctx_cancel(ctx);
    x = 1; /* after the cancel: not covered by the edge */
    rc_barrier_wait(&b);
}
static void after_cancel(void) {
    ctx = goc_ctx_with_cancel(goc_ctx_background());
    rc_check(ctx != NULL);
    rc_barrier_init(&b, 2);
    rc_go(canceler, NULL);
    rc_expect(goc_chan_recv(goc_ctx_done(ctx), NULL, GOC_NEVER), -EPIPE);
    rc_barrier_wait(&b);
    volatile int seen = x;
    (void)seen;
    rc_join();
    goc_ctx_free(ctx);
}

/* A write after arming a context's deadline races with a read after its
 * Done is observed (the timer's edge starts at the arming; Go: race). The
 * context travels through a relaxed atomic and the barrier: no edge. */
static _Atomic(goc_ctx *) tctx;
static void deadline_writer(void *p) {
    goc_ctx *c = goc_ctx_with_timeout(goc_ctx_background(), 1000000); /* 1 ms */
    rc_check(c != NULL);
    atomic_store_explicit(&tctx, c, memory_order_relaxed);
    x = 4; /* after the arming: not covered by the edge */
    rc_barrier_wait(&b);
}
static void after_deadline(void) {
    rc_barrier_init(&b, 2);
    rc_go(deadline_writer, NULL);
    rc_barrier_wait(&b);
    goc_ctx *c = atomic_load_explicit(&tctx, memory_order_relaxed);
    rc_expect(goc_chan_recv(goc_ctx_done(c), NULL, GOC_NEVER), -EPIPE);
    volatile int seen = x;
    (void)seen;
    rc_join();
    goc_ctx_free(c);
}

static void writer(void *p) {
    x = 3;
    rc_barrier_wait(&b);
}
static void no_join(void) {
    rc_barrier_init(&b, 2);
    rc_go(writer, NULL);
    rc_barrier_wait(&b);
    volatile int seen = x; /* no join, no channel: a race */
    (void)seen;
    rc_join();
}

static const rc_case cases[] = {
    {"r32_write_after_cancel", "N", 1, after_cancel},
    {"r32_write_after_deadline", "P", 1, after_deadline},
    {"r33_read_without_join", "N", 0, no_join},
};
RC_MAIN(cases)
