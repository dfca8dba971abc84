/* patterns_worker_pool: 3 workers, 9 jobs of 100 ms (scaled), doubled
 * results; then the parameters. */
#include "pt_util.h"

static void article(void) {
    pt_capture cap;
    pat_worker_pool_opts o = PAT_WORKER_POOL_DEFAULTS;
    o.time_scale = pt_scale();
    o.out = pt_capture_open(&cap);
    pat_worker_pool_result r;
    GT_ASSERT_OK(pat_worker_pool(&o, &r));
    const char *t = pt_capture_text(&cap);
    GT_ASSERT_EQ(r.results, 9);
    GT_ASSERT_EQ(r.sum, 2 * 45);
    GT_ASSERT_EQ(r.bad_results, 0);
    for (int j = 1; j <= 9; j++) {
        char s[32];
        snprintf(s, sizeof s, " started  job %d\n", j);
        GT_ASSERT_EQ(pt_count(t, s), 1);
        snprintf(s, sizeof s, " finished job %d\n", j);
        GT_ASSERT_EQ(pt_count(t, s), 1);
    }
    /* Three workers, nine jobs: some worker runs three jobs in a row, so
     * the run cannot be shorter than three jobs' work... */
    int64_t work = pat_scaled(o.work_ns, o.time_scale);
    GT_ASSERT_GE(r.elapsed_ns, 3 * work);
    /* ...and with three workers in parallel it is far below nine. */
    if (gt_timing_checks("worker_pool parallel speed-up"))
        GT_ASSERT_LT(r.elapsed_ns, 9 * work + 4 * gt_slack_ns());
    gt_note("9 jobs of %.1f ms on 3 workers took %.1f ms", work / 1e6, r.elapsed_ns / 1e6);
    pt_capture_free(&cap);
}

static void params(void) {
    struct {
        int workers, jobs;
        size_t cap;
    } cases[] = {{1, 50, 100}, {3, 1000, 100}, {8, 500, 0}, {3, 0, 100}, {16, 2000, 7}, {3, 100, 100}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pat_worker_pool_opts o = {.workers = cases[i].workers, .jobs = cases[i].jobs,
                                  .chan_cap = cases[i].cap, .time_scale = 1.0};
        pat_worker_pool_result r;
        GT_ASSERT_OK(pat_worker_pool(&o, &r));
        int64_t n = cases[i].jobs;
        GT_ASSERT_EQ(r.results, n);
        GT_ASSERT_EQ(r.sum, n * (n + 1));
        GT_ASSERT_EQ(r.bad_results, 0);
    }
}

static void bad_input(void) {
    pat_worker_pool_result r;
    pat_worker_pool_opts o = PAT_WORKER_POOL_DEFAULTS;
    o.workers = 0;
    GT_ASSERT_ERR(pat_worker_pool(&o, &r), -EINVAL);
    o.workers = 3;
    o.jobs = -1;
    GT_ASSERT_ERR(pat_worker_pool(&o, &r), -EINVAL);
    o.jobs = 9;
    o.work_ns = -1;
    GT_ASSERT_ERR(pat_worker_pool(&o, &r), -EINVAL);
    GT_ASSERT_ERR(pat_worker_pool(NULL, &r), -EINVAL);
    GT_ASSERT_UEQ(goc_tasks_live(), gt_baseline());
}

static void test_main(void) {
    gt_run("worker_pool_article", article);
    gt_run("worker_pool_params", params);
    gt_run("worker_pool_bad_input", bad_input);
}
GT_MAIN(test_main)
