/* patterns_buffering: unbuffered versus buffered, "would block" shown with
 * a try-send. */
#include "pt_util.h"

static void check_cap(size_t cap, FILE *out) {
    pat_buffering_result r;
    memset(&r, 0x5a, sizeof r);
    GT_ASSERT_OK(pat_buffering(cap, &r, out));
    GT_ASSERT_ERR(r.unbuffered_try_send, -EAGAIN);
    GT_ASSERT_OK(r.unbuffered_send);
    GT_ASSERT_EQ(r.unbuffered_received, 42);
    GT_ASSERT_EQ(r.buffered_sends_ok, (int)cap);
    GT_ASSERT_UEQ(r.buffered_len, cap);
    GT_ASSERT_ERR(r.buffered_extra_send, -EAGAIN);
    GT_ASSERT_EQ(r.buffered_fifo_errors, 0);
}

static void article(void) {
    pt_capture cap;
    check_cap(3, pt_capture_open(&cap));
    const char *t = pt_capture_text(&cap);
    GT_ASSERT(strstr(t, "buffered: 3 sends did not block (len 3, cap 3)") != NULL);
    GT_ASSERT(strstr(t, "buffered: send #4 would block") != NULL);
    GT_ASSERT(strstr(t, "unbuffered: received 42") != NULL);
    GT_ASSERT(strstr(t, "\n1\n2\n3\n") != NULL);
    pt_capture_free(&cap);
}

static void capacities(void) {
    size_t caps[] = {1, 7, 64, 4096};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) check_cap(caps[i], NULL);
}

static void bad_input(void) {
    pat_buffering_result r;
    GT_ASSERT_ERR(pat_buffering(0, &r, NULL), -EINVAL);
    GT_ASSERT_ERR(pat_buffering(4097, &r, NULL), -EINVAL);
    GT_ASSERT_ERR(pat_buffering(3, NULL, NULL), -EINVAL);
}

static void test_main(void) {
    gt_run("buffering_article", article);
    gt_run("buffering_capacities", capacities);
    gt_run("buffering_bad_input", bad_input);
}
GT_MAIN(test_main)
