/* patterns_bench_worker_pool: the article's benchmark leaks 3 workers per
 * iteration and the report names them with their wait sites; the corrected
 * one leaks none. */
#include "pt_util.h"

static void leaky(void) {
    pt_capture cap;
    pat_bwp_opts o = {.leaky = 1, .iterations = 3, .workers = 3, .jobs = 100, .report = pt_capture_open(&cap)};
    pat_bwp_result r;
    GT_ASSERT_OK(pat_bench_worker_pool(&o, &r));
    const char *t = pt_capture_text(&cap);
    if (pt_count(t, "bwp_worker()") != 9) fprintf(stderr, "%s", t); /* show the report on failure */
    GT_ASSERT_EQ(r.sum, 3 * 9900);
    GT_ASSERT_EQ(r.leaked, 9);
    GT_ASSERT_EQ(r.reaped, 9);
    /* The report: every leaked task with its spawn site and function, and
     * where it is blocked (the receive of `range jobs`). */
    GT_ASSERT_EQ(pt_count(t, "bwp_worker()"), 9);
    GT_ASSERT_EQ(pt_count(t, "blocked in"), 9);
    /* spawn site + wait site, both in bench_worker_pool.c */
    GT_ASSERT_GE(pt_count(t, "bench_worker_pool.c:"), 18);
    GT_ASSERT(strstr(t, "9 tasks leaked by 3 iterations") != NULL);
    pt_capture_free(&cap);
}

static void corrected(void) {
    pat_bwp_opts o = {.leaky = 0, .iterations = (int)gt_n(50, 10), .workers = 3, .jobs = 100};
    pat_bwp_result r;
    GT_ASSERT_OK(pat_bench_worker_pool(&o, &r));
    GT_ASSERT_EQ(r.sum, (int64_t)o.iterations * 9900);
    GT_ASSERT_EQ(r.leaked, 0);
}

static void bad_input(void) {
    pat_bwp_result r;
    pat_bwp_opts o = {.leaky = 0, .iterations = 1, .workers = 3, .jobs = 101};
    GT_ASSERT_ERR(pat_bench_worker_pool(&o, &r), -EINVAL);
    o.jobs = 100;
    o.workers = 0;
    GT_ASSERT_ERR(pat_bench_worker_pool(&o, &r), -EINVAL);
    GT_ASSERT_ERR(pat_bench_worker_pool(NULL, &r), -EINVAL);
}

static void test_main(void) {
    gt_run("bwp_leaky_as_written", leaky);
    gt_run("bwp_corrected", corrected);
    gt_run("bwp_bad_input", bad_input);
}
GT_MAIN(test_main)
