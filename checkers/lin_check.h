/*
 * lin_check.h: is a recorded history of operations on ONE goc channel
 * linearizable with respect to a sequential model of a Go channel?
 *
 * Pure code (no goc calls): the history is recorded by linearize.c, checked
 * here, and the self-test (lin_check_selftest.c) feeds it hand-written
 * histories that must pass or fail.
 *
 * The model (the Go spec, with goc's error codes; cap C, state = closed flag
 * + FIFO buffer of at most C values):
 *   send v -> 0          C > 0: !closed && len < C; push v.
 *                        C = 0: only together with a receive that returns v
 *                        (a rendezvous linearizes as ONE paired step: both
 *                        operations take effect at the same instant, which
 *                        must lie inside both intervals).
 *   send   -> -EPIPE     closed.
 *   send   -> -EAGAIN    (try) or -ETIMEDOUT (timed): !closed && (C = 0 ||
 *                        len == C). On C = 0 a failed try is always
 *                        explainable while open: whether a partner was
 *                        already parked is not observable from timestamps
 *                        (the constraint is on success: it needs a partner).
 *   recv   -> 0, v       C > 0: len > 0 && front == v; pop (also after
 *                        close: draining). C = 0: paired with send v.
 *   recv   -> -EPIPE     closed && len == 0.
 *   recv   -> -EAGAIN / -ETIMEDOUT   !closed && len == 0.
 *   close  -> 0          !closed; closed = true.   close -> -EPIPE: closed.
 * A timed operation that timed out linearizes like a failed try at some
 * instant of its interval (had the operation been possible during the whole
 * interval, it must not time out).
 *
 * The search is Wing & Gong's with Lowe's memoization: an operation may be
 * linearized next if it was invoked before every not-yet-linearized
 * operation responded; states (set of linearized operations, closed,
 * buffer) already explored are not explored again. One channel per history,
 * so P-compositionality (channels are independent objects) is by
 * construction. At most LIN_MAX_OPS operations.
 */
#ifndef GOC_LIN_CHECK_H
#define GOC_LIN_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LIN_MAX_OPS 16
#define LIN_MAX_CAP 3

enum lin_kind { LIN_SEND, LIN_RECV, LIN_CLOSE };
enum lin_mode { LIN_BLOCK, LIN_TRY, LIN_TIMED };

struct lin_op {
    int task;        /* who ran it (operations of one task are sequential) */
    int kind;        /* enum lin_kind */
    int mode;        /* enum lin_mode (close: LIN_BLOCK) */
    int rc;          /* 0 or a negative errno, as returned */
    uint64_t val;    /* send: the value sent (unique, nonzero); recv: the value
                        received when rc == 0 */
    int64_t inv;     /* goc_now() just before the call */
    int64_t resp;    /* goc_now() just after it returned */
};

/* true if the history is linearizable. Otherwise writes a one-line reason
 * into why (if not NULL). Not reentrant: one caller at a time (it keeps
 * one memo table for the process). */
bool lin_check(int cap, const struct lin_op *ops, int n, char *why, size_t whylen);

/* Prints the history, one operation per line, times in us from t0. */
void lin_print(FILE *out, int cap, const struct lin_op *ops, int n);

#endif
