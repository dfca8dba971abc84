/* patterns_context_cancel: every worker sees ctx.Done(), no job is lost,
 * no task outlives the call (gt_run's leak check). */
#include "pt_util.h"

static void check_invariants(const pat_context_cancel_opts *o, const pat_context_cancel_result *r) {
    GT_ASSERT_EQ(r->cancelled_workers, o->workers);
    GT_ASSERT_EQ(r->processed + r->left_in_queue, o->jobs);
}

static void article(void) {
    pt_capture cap;
    pat_context_cancel_opts o = PAT_CONTEXT_CANCEL_DEFAULTS;
    o.time_scale = pt_scale();
    o.out = pt_capture_open(&cap);
    pat_context_cancel_result r;
    GT_ASSERT_OK(pat_context_cancel(&o, &r));
    const char *t = pt_capture_text(&cap);
    check_invariants(&o, &r);
    GT_ASSERT_ERR(r.ctx_err, -ETIMEDOUT);
    GT_ASSERT_GE(r.elapsed_ns, pat_scaled(o.timeout_ns, o.time_scale)); /* never early */
    for (int w = 1; w <= 3; w++) {
        char s[64];
        snprintf(s, sizeof s, "worker %d cancelled: context deadline exceeded\n", w);
        GT_ASSERT_EQ(pt_count(t, s), 1);
    }
    GT_ASSERT_EQ(pt_count(t, " processing job "), r.processed);
    gt_note("%d jobs processed before the deadline", r.processed);
    pt_capture_free(&cap);
}

static void all_jobs_before_deadline(void) {
    /* Ten 500 ms jobs on three workers need 2 s; a 4 s deadline leaves a
     * wide margin, so all ten are processed and then all workers cancel. */
    pat_context_cancel_opts o = PAT_CONTEXT_CANCEL_DEFAULTS;
    o.timeout_ns = 4 * PAT_S;
    o.time_scale = pt_scale();
    pat_context_cancel_result r;
    GT_ASSERT_OK(pat_context_cancel(&o, &r));
    check_invariants(&o, &r);
    GT_ASSERT_EQ(r.processed, 10);
    GT_ASSERT_ERR(r.ctx_err, -ETIMEDOUT);
}

static void deadline_with_jobs_left(void) {
    /* 100 jobs of 500 ms cannot finish in 2 s: most are left queued. */
    pat_context_cancel_opts o = PAT_CONTEXT_CANCEL_DEFAULTS;
    o.jobs = 100;
    o.time_scale = pt_scale();
    pat_context_cancel_result r;
    GT_ASSERT_OK(pat_context_cancel(&o, &r));
    check_invariants(&o, &r);
    GT_ASSERT_GT(r.left_in_queue, 0);
    GT_ASSERT_ERR(r.ctx_err, -ETIMEDOUT);
}

static void cancel_mode(void) {
    /* The benchmark's mode: explicit cancel after every job is done. */
    for (int i = 0; i < gt_n(50, 10); i++) {
        pat_context_cancel_opts o = {0, 3, 10, 0, 1.0, NULL};
        pat_context_cancel_result r;
        GT_ASSERT_OK(pat_context_cancel(&o, &r));
        check_invariants(&o, &r);
        GT_ASSERT_EQ(r.processed, 10);
        GT_ASSERT_ERR(r.ctx_err, -ECANCELED);
    }
}

static void bad_input(void) {
    pat_context_cancel_result r;
    pat_context_cancel_opts o = PAT_CONTEXT_CANCEL_DEFAULTS;
    o.workers = 0;
    GT_ASSERT_ERR(pat_context_cancel(&o, &r), -EINVAL);
    o.workers = 3;
    o.timeout_ns = -5;
    GT_ASSERT_ERR(pat_context_cancel(&o, &r), -EINVAL);
    GT_ASSERT_ERR(pat_context_cancel(NULL, &r), -EINVAL);
    GT_ASSERT_UEQ(goc_tasks_live(), gt_baseline());
}

static void test_main(void) {
    gt_run("context_cancel_article", article);
    gt_run("context_cancel_all_jobs", all_jobs_before_deadline);
    gt_run("context_cancel_jobs_left", deadline_with_jobs_left);
    gt_run("context_cancel_cancel_mode", cancel_mode);
    gt_run("context_cancel_bad_input", bad_input);
}
GT_MAIN(test_main)
