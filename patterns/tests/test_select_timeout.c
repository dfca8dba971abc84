/* patterns_select_timeout: both answers in order within the timeout; the
 * variant where the timeout fires. */
#include "pt_util.h"

static void both_in_order(void) {
    pt_capture cap;
    pat_select_timeout_opts o = PAT_SELECT_TIMEOUT_DEFAULTS;
    o.time_scale = pt_scale();
    o.out = pt_capture_open(&cap);
    pat_select_timeout_result r;
    GT_ASSERT_OK(pat_select_timeout(&o, &r));
    const char *t = pt_capture_text(&cap);
    GT_ASSERT_EQ(r.received, 2);
    GT_ASSERT_EQ(r.timeouts, 0);
    GT_ASSERT(strcmp(r.order[0], "one") == 0);
    GT_ASSERT(strcmp(r.order[1], "two") == 0);
    GT_ASSERT(strcmp(t, "received one\nreceived two\n") == 0);
    GT_ASSERT_GE(r.elapsed_ns, pat_scaled(o.delay2_ns, o.time_scale)); /* never early */
    pt_capture_free(&cap);
}

static void timeout_fires(void) {
    pt_capture cap;
    pat_select_timeout_opts o = PAT_SELECT_TIMEOUT_DEFAULTS;
    o.timeout_ns = 500 * PAT_MS;
    o.time_scale = pt_scale();
    o.out = pt_capture_open(&cap);
    pat_select_timeout_result r;
    GT_ASSERT_OK(pat_select_timeout(&o, &r));
    const char *t = pt_capture_text(&cap);
    GT_ASSERT_EQ(r.timeouts, 1);
    GT_ASSERT_EQ(r.received, 0);
    GT_ASSERT(strcmp(t, "timeout\n") == 0);
    GT_ASSERT_GE(r.elapsed_ns, pat_scaled(o.timeout_ns, o.time_scale));
    pt_capture_free(&cap);
}

static void zero_delays(void) {
    /* The benchmark's shape: both answers at once, any order. */
    for (int i = 0; i < gt_n(100, 20); i++) {
        pat_select_timeout_opts o = {0, 0, 3 * PAT_S, 1.0, NULL};
        pat_select_timeout_result r;
        GT_ASSERT_OK(pat_select_timeout(&o, &r));
        GT_ASSERT_EQ(r.received, 2);
        GT_ASSERT_EQ(r.timeouts, 0);
        int one = strcmp(r.order[0], "one") == 0 || strcmp(r.order[1], "one") == 0;
        int two = strcmp(r.order[0], "two") == 0 || strcmp(r.order[1], "two") == 0;
        GT_ASSERT(one && two);
    }
}

static void bad_input(void) {
    pat_select_timeout_result r;
    pat_select_timeout_opts o = {-1, 0, 0, 1.0, NULL};
    GT_ASSERT_ERR(pat_select_timeout(&o, &r), -EINVAL);
    GT_ASSERT_ERR(pat_select_timeout(NULL, &r), -EINVAL);
}

static void test_main(void) {
    gt_run("select_timeout_both", both_in_order);
    gt_run("select_timeout_fires", timeout_fires);
    gt_run("select_timeout_zero_delays", zero_delays);
    gt_run("select_timeout_bad_input", bad_input);
}
GT_MAIN(test_main)
