/* patterns_fan_out_fan_in: every value twice, both inputs disabled when
 * closed, fanIn ends. */
#include "pt_util.h"

static void check(long n, size_t cap) {
    pat_fan_opts o = {.n = n, .cap = cap};
    pat_fan_result r;
    GT_ASSERT_OK(pat_fan_out_fan_in(&o, &r));
    GT_ASSERT_EQ(r.received, 2 * n);
    GT_ASSERT_EQ(r.sum, (int64_t)n * (n + 1));
    GT_ASSERT_EQ(r.multiset_errors, 0);
    GT_ASSERT_EQ(r.closed_inputs, 2);
}

static void article(void) {
    pt_capture cap;
    pat_fan_opts o = {.n = 5, .cap = 0, .out = pt_capture_open(&cap)};
    pat_fan_result r;
    GT_ASSERT_OK(pat_fan_out_fan_in(&o, &r));
    const char *t = pt_capture_text(&cap);
    GT_ASSERT_EQ(pt_count(t, "\n"), 10);
    int seen[6] = {0};
    for (const char *p = t; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        GT_ASSERT(end != p && *end == '\n' && v >= 1 && v <= 5);
        seen[v]++;
        p = end + 1;
    }
    for (int v = 1; v <= 5; v++) GT_ASSERT_EQ(seen[v], 2); /* each value printed twice */
    GT_ASSERT_EQ(r.received, 10);
    GT_ASSERT_EQ(r.multiset_errors, 0);
    pt_capture_free(&cap);
}

static void sizes(void) {
    long n = gt_n(10000, 2000);
    check(n, 0);
    check(n, 1);
    check(n, 64);
    check(0, 0); /* nothing to copy: both inputs still close, fanIn still ends */
    check(1, 0);
}

static void bad_input(void) {
    pat_fan_result r;
    pat_fan_opts o = {.n = -1};
    GT_ASSERT_ERR(pat_fan_out_fan_in(&o, &r), -EINVAL);
    GT_ASSERT_ERR(pat_fan_out_fan_in(NULL, &r), -EINVAL);
    o.n = 1;
    GT_ASSERT_ERR(pat_fan_out_fan_in(&o, NULL), -EINVAL);
}

static void test_main(void) {
    gt_run("fan_article", article);
    gt_run("fan_sizes", sizes);
    gt_run("fan_bad_input", bad_input);
}
GT_MAIN(test_main)
