/*
 * Regressions of issue 12: a channel freed by the partner as soon as goc.h
 * allows it ("receive the last value, then free"; "close, then free"),
 * while the task it completed is still on its way out of its call.
 *   D1  select{send c; recv other} completed by a receive, c freed at once:
 *       the select's clean-up must not lock c again (coro, pthread: it
 *       re-locked every clause's channel; ASan heap-use-after-free).
 *   D2  a receive (plain, select) completed by close, c freed at once: the
 *       woken receiver must not read c (coro read elem_size).
 *   D5  select{send c; recv c} on one unbuffered channel, completed by a
 *       receive (or a send), c freed at once: the clause that did not fire
 *       must be off c already, or the free reports c busy and leaks it
 *       (every backend; LSan reports the leak, debug builds abort).
 * The use after free is caught by the ASan build (and valgrind on a release
 * build); the leak by LSan at the end of each subtest.
 */
#include "goc_testing.h"

static goc_chan *mk(size_t elem, size_t cap) {
    goc_chan *c = goc_chan_make(elem, cap);
    GT_ASSERT_NOT_NULL(c);
    return c;
}

enum { ROUNDS = 50 };

/* The select's registry record names a random one of its channels. */
static void wait_selector(void) { GT_ASSERT(gt_wait_report("blocked in select on", 1, 10000000000LL)); }

struct sel_arg {
    goc_chan *c, *other;
    int64_t v;
    int want;      /* the clause that must fire */
    int same;      /* 1: the clauses are {send c, recv c} */
    int recv_only; /* 1: {recv c, recv other} (woken by close) */
};

static void selector(void *p) {
    struct sel_arg *a = p;
    int64_t got = -1;
    goc_case cs[2];
    if (a->recv_only) {
        cs[0] = (goc_case){a->c, GOC_RECV, &got, 1};
        cs[1] = (goc_case){a->other, GOC_RECV, &got, 1};
    } else {
        cs[0] = (goc_case){a->c, GOC_SEND, &a->v, 1};
        cs[1] = (goc_case){a->same ? a->c : a->other, GOC_RECV, &got, 1};
    }
    int r = goc_select(cs, 2, GOC_NEVER);
    GT_ASSERT_EQ(r, a->want);
}

/* D1: the partner receives the select's value, then frees c at once. */
static void d1_round(size_t cap) {
    goc_chan *c = mk(sizeof(int64_t), cap), *other = mk(sizeof(int64_t), 0);
    int64_t fill = 1, v = 0;
    if (cap) GT_ASSERT_OK(goc_chan_send(c, &fill, GOC_NOW)); /* full: the select blocks */
    struct sel_arg a = {c, other, 42, 0, 0, 0};
    gt_go(selector, &a);
    wait_selector();
    if (cap) {
        GT_ASSERT_OK(goc_chan_recv(c, &v, GOC_NEVER)); /* moves the select's value in */
        GT_ASSERT_EQ(v, 1);
    }
    GT_ASSERT_OK(goc_chan_recv(c, &v, GOC_NEVER));
    GT_ASSERT_EQ(v, 42);
    goc_chan_free(c); /* the last value is received: legal (goc.h) */
    gt_join_all();
    goc_chan_free(other);
}
static void d1_select_send_then_free(void) {
    for (int i = 0; i < ROUNDS; i++) {
        d1_round(0);
        d1_round(1);
    }
}

/* D2: close completes a blocked receive, then frees c at once. */
struct recv_arg {
    goc_chan *c;
    atomic_int done;
};
static void plain_receiver(void *p) {
    struct recv_arg *a = p;
    int64_t v = 7;
    GT_ASSERT_ERR(goc_chan_recv(a->c, &v, GOC_NEVER), -EPIPE);
    GT_ASSERT_EQ(v, 0); /* Go's zero value */
    gt_set(&a->done);
}
static void d2_close_then_free(void) {
    for (int i = 0; i < ROUNDS; i++) {
        for (size_t cap = 0; cap < 2; cap++) {
            struct recv_arg a = {mk(sizeof(int64_t), cap), 0};
            gt_go(plain_receiver, &a);
            GT_ASSERT(gt_wait_blocked(a.c, 1, 10000000000LL));
            GT_ASSERT_OK(goc_chan_close(a.c));
            goc_chan_free(a.c); /* the close returned: legal (goc.h) */
            gt_join_all();
            GT_ASSERT(atomic_load(&a.done));

            goc_chan *c = mk(sizeof(int64_t), cap), *other = mk(sizeof(int64_t), 0);
            struct sel_arg s = {c, other, 0, 0, 0, 1};
            gt_go(selector, &s);
            wait_selector();
            GT_ASSERT_OK(goc_chan_close(c));
            goc_chan_free(c);
            gt_join_all();
            goc_chan_free(other);
        }
    }
}

/* D5: select{send c; recv c}; the partner takes (or gives) a value, then
 * frees c at once. */
static void d5_round(bool partner_receives) {
    goc_chan *c = mk(sizeof(int64_t), 0);
    struct sel_arg a = {c, NULL, 42, partner_receives ? 0 : 1, 1, 0};
    gt_go(selector, &a);
    GT_ASSERT(gt_wait_blocked(c, 1, 10000000000LL));
    int64_t v = 5;
    if (partner_receives) {
        GT_ASSERT_OK(goc_chan_recv(c, &v, GOC_NEVER));
        GT_ASSERT_EQ(v, 42);
    } else {
        GT_ASSERT_OK(goc_chan_send(c, &v, GOC_NEVER));
    }
    goc_chan_free(c); /* must be freed, not reported busy and leaked */
    gt_join_all();
}
static void d5_select_same_channel_then_free(void) {
    for (int i = 0; i < ROUNDS; i++) {
        d5_round(true);
        d5_round(false);
    }
}

static void test_main(void) {
    gt_run("D1_select_send_then_free", d1_select_send_then_free);
    gt_run("D2_close_then_free", d2_close_then_free);
    gt_run("D5_select_same_channel_then_free", d5_select_same_channel_then_free);
}
GT_MAIN(test_main)
