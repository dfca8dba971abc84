/* patterns_messages: a string through an unbuffered channel. */
#include "pt_util.h"

static void ping(void) {
    pt_capture cap;
    char got[PAT_MSG_MAX];
    GT_ASSERT_OK(pat_messages("ping", got, pt_capture_open(&cap)));
    GT_ASSERT(strcmp(got, "ping") == 0);
    GT_ASSERT(strcmp(pt_capture_text(&cap), "ping\n") == 0);
    pt_capture_free(&cap);
}

static void many(void) {
    long n = gt_n(200, 50);
    for (long i = 0; i < n; i++) {
        char msg[PAT_MSG_MAX], got[PAT_MSG_MAX];
        int len = (int)(i % (PAT_MSG_MAX - 1));
        for (int k = 0; k < len; k++) msg[k] = (char)('a' + (i + k) % 26);
        msg[len] = 0;
        GT_ASSERT_OK(pat_messages(msg, got, NULL));
        GT_ASSERT(strcmp(got, msg) == 0);
    }
}

static void bad_input(void) {
    char got[PAT_MSG_MAX], big[PAT_MSG_MAX + 1];
    memset(big, 'x', PAT_MSG_MAX);
    big[PAT_MSG_MAX] = 0; /* 64 characters: one too many */
    GT_ASSERT_ERR(pat_messages(big, got, NULL), -EINVAL);
    GT_ASSERT_ERR(pat_messages(NULL, got, NULL), -EINVAL);
    GT_ASSERT_ERR(pat_messages("x", NULL, NULL), -EINVAL);
    big[PAT_MSG_MAX - 1] = 0; /* 63: the largest that fits */
    GT_ASSERT_OK(pat_messages(big, got, NULL));
    GT_ASSERT(strcmp(got, big) == 0);
}

static void test_main(void) {
    gt_run("messages_ping", ping);
    gt_run("messages_many", many);
    gt_run("messages_bad_input", bad_input);
}
GT_MAIN(test_main)
