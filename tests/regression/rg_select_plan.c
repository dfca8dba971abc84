/*
 * Regressions of the select plan (issue 12, "the select plan once",
 * backends/common/goc_select_plan.h): selects whose clause indices go past
 * the plan's stack part while few clauses are enabled.
 *   P1  a GOC_NOW select of 16 clauses, the first 8 nil (Go's nil
 *       channels), 8 enabled and none ready: lockfree kept one "before the
 *       poll" snapshot per clause INDEX in an 8-entry stack array used
 *       whenever at most 8 clauses were enabled, so clause 15 wrote past it
 *       (ASan: stack-buffer-overflow in goc_select). Must answer -EAGAIN.
 *   P2  the same shape with one clause ready: it must fire, with its value.
 *   P3  more enabled clauses than the stack part holds (20, GOC_NOW and
 *       blocking with a deadline), none or one ready.
 */
#include "goc_testing.h"

enum { N = 16, NIL = 8, BIG = 20 };

static void p1_now_nil_prefix_none_ready(void) {
    goc_chan *ch[N - NIL];
    int64_t vals[N];
    goc_case cs[N];
    for (int i = 0; i < N - NIL; i++) GT_ASSERT_NOT_NULL(ch[i] = goc_chan_make(sizeof(int64_t), i % 2));
    for (int round = 0; round < 100; round++) {
        for (int i = 0; i < N; i++) {
            vals[i] = i;
            goc_chan *c = i < NIL ? NULL : ch[i - NIL];
            cs[i] = (goc_case){c, i % 2 ? GOC_SEND : GOC_RECV, &vals[i], 0};
        }
        /* recv clauses on empty unbuffered channels, send clauses on
         * cap-1 channels filled in the first round */
        if (round == 0)
            for (int i = NIL; i < N; i++)
                if (i % 2 && goc_chan_cap(ch[i - NIL])) GT_ASSERT_OK(goc_chan_send(ch[i - NIL], &vals[i], GOC_NOW));
        GT_ASSERT_EQ(goc_select(cs, N, GOC_NOW), -EAGAIN);
    }
    for (int i = 0; i < N - NIL; i++) goc_chan_free(ch[i]);
}

static void p2_now_nil_prefix_one_ready(void) {
    goc_chan *ch[N - NIL];
    for (int i = 0; i < N - NIL; i++) GT_ASSERT_NOT_NULL(ch[i] = goc_chan_make(sizeof(int64_t), 1));
    for (int round = 0; round < 100; round++) {
        int ready = NIL + round % (N - NIL);
        int64_t v = 1000 + round, got[N];
        GT_ASSERT_OK(goc_chan_send(ch[ready - NIL], &v, GOC_NOW));
        goc_case cs[N];
        for (int i = 0; i < N; i++) {
            got[i] = -1;
            cs[i] = (goc_case){i < NIL ? NULL : ch[i - NIL], GOC_RECV, &got[i], 0};
        }
        GT_ASSERT_EQ(goc_select(cs, N, GOC_NOW), ready);
        GT_ASSERT_EQ(cs[ready].err, 0);
        GT_ASSERT_EQ(got[ready], v);
    }
    for (int i = 0; i < N - NIL; i++) goc_chan_free(ch[i]);
}

static void p3_heap_plan(void) {
    goc_chan *ch[BIG];
    goc_case cs[BIG];
    int64_t got[BIG];
    for (int i = 0; i < BIG; i++) GT_ASSERT_NOT_NULL(ch[i] = goc_chan_make(sizeof(int64_t), 1));
    for (int i = 0; i < BIG; i++) cs[i] = (goc_case){ch[i], GOC_RECV, &got[i], 0};
    GT_ASSERT_EQ(goc_select(cs, BIG, GOC_NOW), -EAGAIN);
    GT_ASSERT_EQ(goc_select(cs, BIG, goc_deadline(1000000)), -ETIMEDOUT);
    for (int round = 0; round < 2 * BIG; round++) {
        int ready = round % BIG;
        int64_t v = round;
        GT_ASSERT_OK(goc_chan_send(ch[ready], &v, GOC_NOW));
        GT_ASSERT_EQ(goc_select(cs, BIG, round % 2 ? GOC_NOW : GOC_NEVER), ready);
        GT_ASSERT_EQ(got[ready], v);
    }
    for (int i = 0; i < BIG; i++) goc_chan_free(ch[i]);
}

static void test_main(void) {
    gt_run("P1_now_nil_prefix_none_ready", p1_now_nil_prefix_none_ready);
    gt_run("P2_now_nil_prefix_one_ready", p2_now_nil_prefix_one_ready);
    gt_run("P3_heap_plan", p3_heap_plan);
}
GT_MAIN(test_main)
