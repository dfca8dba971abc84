/*
 * Issue 12 defects 3 and 4 on the lockfree ring (links goc_lockfree_seq8
 * for its hooks).
 *
 * D3: a stalled partner on the slot we need. A hook stalls a producer
 * between its buffer claim and its commit, or a consumer between its take
 * and the release of its buffer (the next receive finds the slot a lap
 * on, its buffer still held). With the partner stalled for up to STALL_MS,
 * a try-op must answer at once, a 1 ms deadline must hold and a select
 * with a default must not wait: each within BOUND_MS (generous, for a
 * loaded 2-core machine; the stall is 10x longer, so a spin until the
 * partner resumes fails every bound). In the K=2 ring (README "N1/N2") a
 * try-send beside a stalled sender on an empty cap-1 channel succeeds at
 * once, with the slot's other buffer (the old ring answered "full"); the
 * ring is then full, and the same checks run on it.
 *
 * D4: try-recv after close while a send that claimed before the close is
 * still copying. Defect 4 was -EAGAIN. In the K=2 ring the close marks the
 * position that send has not committed, so that send fails (-EPIPE: its
 * value was never visible) and the receive reports closed at once.
 */
#include "goc_testing.h"

#include "goc_lf_test.h"

/* Element size of the channels under test: every case runs with 8 bytes
 * (the small ring: a receive reads the value before its take and holds no
 * buffer, README section 1 "Small elements") and with 16 (a receive holds
 * its buffer from the take until it copied out: the hook after the take
 * stalls it holding it). */
static size_t g_esz = 8;

#define STALL_MS 1000
#define BOUND_MS 100

static atomic_int stall_armed, stalled, release_stall;

static void stall_hook(int point, const void *obj) {
    (void)point;
    (void)obj;
    int one = 1;
    if (!atomic_compare_exchange_strong(&stall_armed, &one, 0)) return;
    gt_set(&stalled);
    GT_ASSERT(gt_wait_flag(&release_stall, 10000000000LL));
}

/* Ends the stall after (intptr_t)p ms unless the test did it first. */
static void releaser(void *p) {
    gt_wait_flag(&release_stall, (int64_t)(intptr_t)p * 1000000);
    gt_set(&release_stall);
}

static void arm(void) {
    atomic_store(&stalled, 0);
    atomic_store(&release_stall, 0);
    atomic_store(&stall_armed, 1);
}

struct op_arg {
    goc_chan *ch;
    int64_t v[2]; /* room for either element size; the value is v[0] */
    int rc; /* the stalled send's result, read after the join */
};
static void stalled_sender(void *p) {
    struct op_arg *a = p;
    a->rc = goc_chan_send(a->ch, a->v, GOC_NEVER);
}
static void stalled_receiver(void *p) {
    struct op_arg *a = p;
    GT_ASSERT_OK(goc_chan_recv(a->ch, a->v, GOC_NEVER));
}

static void check_ms(goc_time t0, const char *what) {
    int64_t ms = (goc_now() - t0) / 1000000;
    gt_note("D3 %s: %lld ms", what, (long long)ms);
    GT_ASSERT_MSG(ms < BOUND_MS, "%s took %lld ms while the partner was stalled (bound %d ms)", what,
                  (long long)ms, BOUND_MS);
}

/* The ops of one side on a channel whose slot a stalled partner holds. */
static void lagging_ops(goc_chan *ch, int op) {
    int64_t v[2] = {7, 0};
    goc_time t0 = goc_now();
    int r = op == GOC_SEND ? goc_chan_send(ch, v, GOC_NOW) : goc_chan_recv(ch, v, GOC_NOW);
    GT_ASSERT_ERR(r, -EAGAIN);
    check_ms(t0, op == GOC_SEND ? "try-send" : "try-recv");
    t0 = goc_now();
    goc_time dl = goc_deadline(1000000);
    r = op == GOC_SEND ? goc_chan_send(ch, v, dl) : goc_chan_recv(ch, v, dl);
    GT_ASSERT_ERR(r, -ETIMEDOUT);
    check_ms(t0, op == GOC_SEND ? "send, 1 ms deadline" : "recv, 1 ms deadline");
    for (int i = 0; i < 10; i++) {
        goc_case c[1] = {{ch, op, v, 0}};
        t0 = goc_now();
        GT_ASSERT_ERR(goc_select(c, 1, GOC_NOW), -EAGAIN);
        check_ms(t0, "select with default");
    }
}

/* A stalled partner of direction `stall_op` (the hook at `point`) holds the
 * slot that the root's next ops of the same direction need. */
static void d3_case(int point, int stall_op) {
    goc_chan *ch = goc_chan_make(g_esz, 1);
    GT_ASSERT_NOT_NULL(ch);
    int64_t v[2] = {42, 0};
    if (stall_op == GOC_RECV) GT_ASSERT_OK(goc_chan_send(ch, v, GOC_NOW)); /* for it to take */
    goc_lf_set_hook(point, stall_hook);
    arm();
    struct op_arg a = {ch, {stall_op == GOC_SEND ? 42 : 0, 0}, 0};
    gt_go(stall_op == GOC_SEND ? stalled_sender : stalled_receiver, &a);
    gt_go(releaser, (void *)(intptr_t)STALL_MS);
    GT_ASSERT(gt_wait_flag(&stalled, 10000000000LL));
    if (stall_op == GOC_SEND) {
        /* the slot's other buffer: the send completes at once, linearized
         * before the stalled one (which commits when it resumes) */
        int64_t w[2] = {7, 0};
        goc_time t0 = goc_now();
        GT_ASSERT_OK(goc_chan_send(ch, w, GOC_NOW));
        check_ms(t0, "try-send beside a stalled sender");
    }
    lagging_ops(ch, stall_op); /* the same direction: the slot is held / full */
    if (stall_op == GOC_RECV) {
        /* N2: the next lap's try-send beside the stalled receiver succeeds
         * at once (with the slot's other buffer where that receiver holds
         * one), and its value is received */
        int64_t w[2] = {9, 0};
        goc_time t0 = goc_now();
        GT_ASSERT_OK(goc_chan_send(ch, w, GOC_NOW));
        check_ms(t0, "try-send beside a stalled receiver");
        GT_ASSERT_OK(goc_chan_recv(ch, v, GOC_NOW));
        GT_ASSERT_EQ(v[0], 9);
    }
    gt_set(&release_stall);
    if (stall_op == GOC_SEND) {
        GT_ASSERT_OK(goc_chan_recv(ch, v, GOC_NOW));
        GT_ASSERT_EQ(v[0], 7);
        GT_ASSERT_OK(goc_chan_recv(ch, v, gt_ms(10000))); /* the stalled send went through */
        GT_ASSERT_EQ(v[0], 42);
    }
    gt_join_all();
    goc_lf_set_hook(point, NULL);
    if (stall_op == GOC_SEND) {
        GT_ASSERT_OK(a.rc);
    } else {
        GT_ASSERT_EQ(a.v[0], 42); /* the stalled receive got its value */
    }
    /* the ring works on: both directions */
    GT_ASSERT_OK(goc_chan_send(ch, v, GOC_NOW));
    GT_ASSERT_OK(goc_chan_recv(ch, v, GOC_NOW));
    goc_chan_free(ch);
}
static void d3_send_lag(void) { d3_case(GOC_LF_HOOK_SEND_RESERVED, GOC_SEND); }
static void d3_recv_lag(void) { d3_case(GOC_LF_HOOK_RECV_RESERVED, GOC_RECV); }

static void d4_recv_after_close(bool use_select) {
    goc_chan *ch = goc_chan_make(g_esz, 2);
    GT_ASSERT_NOT_NULL(ch);
    goc_lf_set_hook(GOC_LF_HOOK_SEND_RESERVED, stall_hook);
    arm();
    struct op_arg a = {ch, {42, 0}, 0};
    gt_go(stalled_sender, &a);
    GT_ASSERT(gt_wait_flag(&stalled, 10000000000LL));
    GT_ASSERT_OK(goc_chan_close(ch)); /* marks the position the stalled send claimed */
    gt_go(releaser, (void *)(intptr_t)STALL_MS);
    int64_t v[2] = {5, 5};
    int r;
    goc_time t0 = goc_now();
    if (use_select) {
        goc_case c[1] = {{ch, GOC_RECV, v, 0}};
        r = goc_select(c, 1, GOC_NOW);
        GT_ASSERT_MSG(r == 0 && c[0].err == -EPIPE, "select after close: %d err %d", r, c[0].err);
    } else {
        r = goc_chan_recv(ch, v, GOC_NOW);
        GT_ASSERT_MSG(r == -EPIPE, "try-recv after close returned %d (%s) with a send in flight", r,
                      gt_errname(r));
    }
    check_ms(t0, "D4 receive after close, send in flight");
    GT_ASSERT_EQ(v[0], 0); /* closed: zero value */
    if (g_esz > 8) GT_ASSERT_EQ(v[1], 0);
    gt_set(&release_stall);
    gt_join_all();
    GT_ASSERT_ERR(a.rc, -EPIPE); /* it commits after the close: fails */
    goc_lf_set_hook(GOC_LF_HOOK_SEND_RESERVED, NULL);
    goc_chan_free(ch);
}
static void d4(void) {
    d4_recv_after_close(false);
    d4_recv_after_close(true);
}

/* N3 (found by checkers/linearize): a cap-1 channel's only value is taken
 * by a receive that stalls before releasing the slot; then the channel is
 * closed. It is drained (that receive counts at its reservation, as D3's
 * answers do) and closed: a try-recv and a timed recv must report -EPIPE,
 * at once, not -EAGAIN / -ETIMEDOUT. */
static void n3_closed_drained_lag(void) {
    goc_chan *ch = goc_chan_make(g_esz, 1);
    GT_ASSERT_NOT_NULL(ch);
    int64_t v[2] = {42, 0};
    GT_ASSERT_OK(goc_chan_send(ch, v, GOC_NOW));
    goc_lf_set_hook(GOC_LF_HOOK_RECV_RESERVED, stall_hook);
    arm();
    struct op_arg a = {ch, {0, 0}, 0};
    gt_go(stalled_receiver, &a);
    gt_go(releaser, (void *)(intptr_t)STALL_MS);
    GT_ASSERT(gt_wait_flag(&stalled, 10000000000LL));
    GT_ASSERT_OK(goc_chan_close(ch));
    goc_time t0 = goc_now();
    int r = goc_chan_recv(ch, v, GOC_NOW);
    GT_ASSERT_MSG(r == -EPIPE, "try-recv on a closed, drained channel returned %d (%s)", r, gt_errname(r));
    check_ms(t0, "try-recv, closed and drained");
    t0 = goc_now();
    r = goc_chan_recv(ch, v, goc_deadline(1000000));
    GT_ASSERT_MSG(r == -EPIPE, "timed recv on a closed, drained channel returned %d (%s)", r, gt_errname(r));
    check_ms(t0, "timed recv, closed and drained");
    gt_set(&release_stall);
    gt_join_all();
    goc_lf_set_hook(GOC_LF_HOOK_RECV_RESERVED, NULL);
    GT_ASSERT_EQ(a.v[0], 42); /* the stalled receive got its value */
    goc_chan_free(ch);
}

static void test_main(void) {
    gt_run("D3_send_partner_one_lap_behind", d3_send_lag);
    gt_run("D3_recv_partner_one_lap_behind", d3_recv_lag);
    gt_run("D4_try_recv_after_close_send_in_flight", d4);
    gt_run("N3_closed_drained_receiver_in_flight", n3_closed_drained_lag);
    g_esz = 16; /* the same cases on the hold-copy-release ring */
    gt_run("D3_send_partner_one_lap_behind_16B", d3_send_lag);
    gt_run("D3_recv_partner_one_lap_behind_16B", d3_recv_lag);
    gt_run("D4_try_recv_after_close_send_in_flight_16B", d4);
    gt_run("N3_closed_drained_receiver_in_flight_16B", n3_closed_drained_lag);
}
GT_MAIN(test_main)
