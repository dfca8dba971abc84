/* R32 (race half): a write after cancel races with a read after Done is
 * observed (the edge goes from before the cancel only).
 * R33 (race half): a task's write read by the spawner without any join.
 * Barriers force the windows; no edge is added. */
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
    {"r33_read_without_join", "N", 0, no_join},
};
RC_MAIN(cases)
