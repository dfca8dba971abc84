/*
 * lin_check_selftest: the linearizability checker on hand-written
 * histories (each must be accepted or rejected as stated), then on 20,000
 * histories produced by running the sequential model itself with random
 * intervals around the linearization points (every one must be accepted: a
 * checker that rejects a true linearization would make the backend runs
 * fail for the wrong reason). No goc calls: this tests the checker, not a
 * backend.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lin_check.h"

static int failures;

#define S(task, mode, rc, val, inv, resp) {task, LIN_SEND, mode, rc, val, inv, resp}
#define R(task, mode, rc, val, inv, resp) {task, LIN_RECV, mode, rc, val, inv, resp}
#define C(task, rc, inv, resp) {task, LIN_CLOSE, LIN_BLOCK, rc, 0, inv, resp}
#define B LIN_BLOCK
#define T LIN_TRY
#define TM LIN_TIMED

static void expect(const char *name, bool want, int cap, const struct lin_op *ops, int n) {
    char why[256];
    bool got = lin_check(cap, ops, n, why, sizeof why);
    if (got != want) {
        failures++;
        printf("not ok %s: expected %s, got %s (%s)\n", name, want ? "linearizable" : "a violation",
               got ? "linearizable" : "a violation", why);
        lin_print(stdout, cap, ops, n);
    } else {
        printf("ok %s%s%s\n", name, got ? "" : ": ", got ? "" : why);
    }
}
#define EXPECT(name, want, cap, ...)                                                          \
    do {                                                                                      \
        const struct lin_op h_[] = {__VA_ARGS__};                                             \
        expect(name, want, cap, h_, (int)(sizeof h_ / sizeof h_[0]));                        \
    } while (0)

/* ------------------------------------------------- model-made histories -- */

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Runs the model sequentially: op k takes effect at time 1000 * k (a
 * rendezvous: send and receive both at that instant) and gets an interval
 * of random width around that instant. */
static int model_history(int cap, struct lin_op *ops) {
    int n = 0, len = 0, closed = 0;
    uint64_t buf[LIN_MAX_CAP], next_val = 1;
    int want = 4 + (int)(rnd() % 9);
    for (int k = 0; n < want && k < 64; k++) {
        int64_t at = 1000 * (int64_t)(k + 1);
        struct lin_op o = {.task = n, .mode = (int)(rnd() % 3)};
        int what = (int)(rnd() % 10);
        if (what == 0) {
            o.kind = LIN_CLOSE;
            o.mode = LIN_BLOCK;
            o.rc = closed ? -EPIPE : 0;
            closed = 1;
        } else if (what < 5) {
            o.kind = LIN_SEND;
            o.val = next_val++;
            if (closed) o.rc = -EPIPE;
            else if (cap > 0 && len < cap) buf[len++] = o.val, o.rc = 0;
            else if (cap == 0 && n + 2 <= want && rnd() % 2) {
                /* a rendezvous: a receive at the same instant */
                o.rc = 0;
                struct lin_op r = {.task = n + 1, .kind = LIN_RECV, .mode = (int)(rnd() % 3), .rc = 0, .val = o.val};
                int64_t w1 = (int64_t)(rnd() % 3000), w2 = (int64_t)(rnd() % 3000);
                o.inv = at - w1, o.resp = at + w2;
                r.inv = at - (int64_t)(rnd() % 3000), r.resp = at + (int64_t)(rnd() % 3000);
                ops[n++] = o;
                ops[n++] = r;
                continue;
            } else {
                if (o.mode == LIN_BLOCK) o.mode = LIN_TRY;
                o.rc = o.mode == LIN_TRY ? -EAGAIN : -ETIMEDOUT;
            }
        } else {
            o.kind = LIN_RECV;
            if (len > 0) {
                o.val = buf[0];
                memmove(buf, buf + 1, sizeof buf[0] * (size_t)(len - 1));
                len--;
                o.rc = 0;
            } else if (closed) {
                o.rc = -EPIPE;
            } else {
                if (o.mode == LIN_BLOCK) o.mode = LIN_TRY;
                o.rc = o.mode == LIN_TRY ? -EAGAIN : -ETIMEDOUT;
            }
        }
        o.inv = at - (int64_t)(rnd() % 3000);
        o.resp = at + (int64_t)(rnd() % 3000);
        ops[n++] = o;
    }
    return n;
}

int main(void) {
    /* buffered, plain */
    EXPECT("cap1 send overlaps recv", true, 1, S(0, B, 0, 1, 0, 10), R(1, B, 0, 1, 5, 15));
    EXPECT("cap2 FIFO kept", true, 2, S(0, B, 0, 1, 0, 1), S(0, B, 0, 2, 2, 3), R(1, B, 0, 1, 4, 5),
           R(1, B, 0, 2, 6, 7));
    EXPECT("cap2 FIFO broken", false, 2, S(0, B, 0, 1, 0, 1), S(0, B, 0, 2, 2, 3), R(1, B, 0, 2, 4, 5),
           R(1, B, 0, 1, 6, 7));
    EXPECT("cap2 concurrent sends, either order", true, 2, S(0, B, 0, 1, 0, 10), S(1, B, 0, 2, 0, 10),
           R(2, B, 0, 2, 20, 21), R(2, B, 0, 1, 22, 23));
    EXPECT("value received twice", false, 1, S(0, B, 0, 1, 0, 1), R(1, B, 0, 1, 2, 3), R(2, B, 0, 1, 2, 3));
    EXPECT("value never sent", false, 1, R(1, T, 0, 9, 2, 3));
    EXPECT("value of a failed send", false, 1, S(0, T, -EAGAIN, 1, 0, 1), R(1, T, 0, 1, 2, 3));
    EXPECT("try-recv empty after a completed send", false, 1, S(0, B, 0, 1, 0, 1), R(1, T, -EAGAIN, 0, 2, 3),
           R(1, B, 0, 1, 4, 5));
    EXPECT("try-recv empty concurrent with the send", true, 1, S(0, B, 0, 1, 0, 10), R(1, T, -EAGAIN, 0, 1, 2),
           R(1, B, 0, 1, 11, 12));
    EXPECT("try-send full", true, 1, S(0, B, 0, 1, 0, 1), S(0, T, -EAGAIN, 2, 2, 3));
    EXPECT("try-send full but it was empty", false, 1, S(0, T, -EAGAIN, 2, 2, 3));
    EXPECT("timed recv times out although a value waited", false, 1, S(0, B, 0, 1, 0, 1),
           R(1, TM, -ETIMEDOUT, 0, 2, 300), R(1, B, 0, 1, 301, 302));
    EXPECT("blocking recv returns EAGAIN", false, 1, R(1, B, -EAGAIN, 0, 2, 3));
    /* close */
    EXPECT("drain after close", true, 2, S(0, B, 0, 1, 0, 1), S(0, B, 0, 2, 2, 3), C(0, 0, 4, 5),
           R(1, B, 0, 1, 6, 7), R(1, B, 0, 2, 8, 9), R(1, B, -EPIPE, 0, 10, 11), S(0, T, -EPIPE, 3, 12, 13));
    EXPECT("send succeeds after close", false, 1, C(0, 0, 0, 1), S(1, B, 0, 1, 2, 3), R(2, B, 0, 1, 4, 5));
    EXPECT("two closes succeed", false, 1, C(0, 0, 0, 1), C(1, 0, 2, 3));
    EXPECT("concurrent closes, one wins", true, 0, C(0, 0, 0, 10), C(1, -EPIPE, 0, 10));
    EXPECT("recv closed before close", false, 1, R(1, B, -EPIPE, 0, 0, 1), C(0, 0, 2, 3));
    EXPECT("recv EPIPE with a value buffered", false, 1, S(0, B, 0, 1, 0, 1), C(0, 0, 2, 3),
           R(1, T, -EPIPE, 0, 4, 5), R(1, B, 0, 1, 6, 7));
    /* defect 4 (lockfree): a send reserved before the close, still copying;
     * try-recv after the close says "empty", then the value is received */
    EXPECT("defect 4: try-recv EAGAIN after close, value later", false, 1, S(0, B, 0, 7, 0, 100),
           C(1, 0, 10, 20), R(2, T, -EAGAIN, 0, 30, 40), R(2, B, 0, 7, 110, 120));
    EXPECT("try-recv EAGAIN after close, nothing buffered", false, 1, C(1, 0, 10, 20), R(2, T, -EAGAIN, 0, 30, 40));
    /* lockfree, found by this checker (see checkers/README.md): a send
     * stalled between reserving and publishing counted as present by a
     * try-send (full) and absent by the next try-receive (empty) */
    EXPECT("full then empty with a send in flight", false, 1, S(0, B, 0, 1, 0, 100), S(1, T, -EAGAIN, 2, 10, 20),
           R(1, T, -EAGAIN, 0, 30, 40));
    /* ... and a receive stalled after taking the last value: closed and
     * drained, yet a try-receive after the close says empty */
    EXPECT("empty after close with a receive in flight", false, 1, S(0, B, 0, 1, 0, 1), R(1, B, 0, 1, 2, 100),
           C(2, 0, 10, 20), R(2, T, -EAGAIN, 0, 30, 40));
    EXPECT("closed after close with a receive in flight", true, 1, S(0, B, 0, 1, 0, 1), R(1, B, 0, 1, 2, 100),
           C(2, 0, 10, 20), R(2, T, -EPIPE, 0, 30, 40));
    /* unbuffered */
    EXPECT("cap0 rendezvous overlapping", true, 0, S(0, B, 0, 1, 0, 10), R(1, B, 0, 1, 5, 15));
    EXPECT("cap0 rendezvous disjoint", false, 0, S(0, B, 0, 1, 0, 10), R(1, B, 0, 1, 20, 30));
    EXPECT("cap0 send ok, no receiver", false, 0, S(0, T, 0, 1, 0, 10));
    EXPECT("cap0 try-send fails with a receiver (unobservable wait)", true, 0, R(1, B, 0, 2, 0, 100),
           S(0, T, -EAGAIN, 1, 10, 20), S(0, B, 0, 2, 30, 40));
    EXPECT("cap0 try-recv after close EAGAIN", false, 0, C(0, 0, 0, 1), R(1, T, -EAGAIN, 0, 2, 3));
    EXPECT("cap0 recv after close", true, 0, C(0, 0, 0, 1), R(1, B, -EPIPE, 0, 2, 3), S(2, B, -EPIPE, 1, 4, 5));
    EXPECT("cap0 FIFO: value of a later send first", false, 0, S(0, B, 0, 1, 0, 10), S(0, B, 0, 2, 11, 20),
           R(1, B, 0, 2, 0, 12), R(1, B, 0, 1, 13, 25));

    /* the sequential model itself, with random intervals: always accepted */
    int model_fail = 0, total = 0;
    for (int i = 0; i < 20000; i++) {
        struct lin_op ops[LIN_MAX_OPS];
        int cap = (int)(rnd() % 3);
        int n = model_history(cap, ops);
        char why[256];
        total++;
        if (!lin_check(cap, ops, n, why, sizeof why)) {
            if (model_fail++ < 3) {
                printf("not ok model history %d rejected: %s\n", i, why);
                lin_print(stdout, cap, ops, n);
            }
        }
    }
    if (model_fail) failures++;
    printf("%s %d model-made histories accepted (%d rejected)\n", model_fail ? "not ok" : "ok", total - model_fail,
           model_fail);
    printf("%s\n", failures ? "FAILED" : "all passed");
    return failures ? 1 : 0;
}
