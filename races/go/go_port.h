/*
 * go_port.h: helpers for the ports of Go 1.19's runtime/race/testdata
 * (races/go/README.md). Each races/go/<file>.c holds the tests of Go's
 * <file>_test.go, one C function per Go test with Go's name; the program
 * race_go_<file>-<backend> runs the test named on its command line (one
 * process per run) and TSan's verdict is judged by races/run_races.py:
 * TestRace* must report a data race, TestNoRace* must not.
 *
 * Translation rules (the shape is Go's: same tasks, channels, accesses and
 * order):
 *   go f(x)             rc_go(f, arg)            (joined after the body)
 *   make(chan T, n)     go_chan(n)               (int elements; chan
 *                                                 struct{} = go_chan0)
 *   c <- v, <-c         go_send(c, v), go_recv(c) (v, ok := <-c: go_recv_ok)
 *   close(c)            go_close(c)              (a panic on a closed
 *                                                 channel is -EPIPE here)
 *   time.Sleep(d)       go_sleep(d)              runtime.Gosched: goc_yield
 *   sync.Mutex          goc_mutex                sync.WaitGroup: goc_wg
 *   sync/atomic         C11 atomics (seq_cst, as Go's)
 * Variables a Go closure shares are globals with external linkage (the
 * optimizer keeps their stores). A racy access that could run at the same
 * instant as its partner is wrapped in RC_SERIAL (race_common.h): it orders
 * them in time without a happens-before edge, because TSan can miss two
 * accesses that reach the shadow simultaneously. Tasks a Go test leaves
 * blocked forever are released after the judged accesses (a close), so the
 * body can join them.
 */
#ifndef GOC_GO_PORT_H
#define GOC_GO_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "race_common.h"

/* A Go test: TestRace* (mode P: required in the precise build, counted in
 * the natural one) or TestNoRace* (mode N: required in both builds).
 * chan = 1: its NoRace verdict rests on channel synchronization, so the
 * busted backend must fail it. */
#define GO_RACE(fn) {#fn, "P", 0, fn}
#define GO_NORACE(fn, chan) {#fn, "N", (chan), fn}

static inline goc_chan *go_chan(size_t cap) { return rc_chan(sizeof(int), cap); }
static inline goc_chan *go_chan0(size_t cap) { return rc_chan(0, cap); }

static inline void go_send(goc_chan *c, int v) { rc_expect(goc_chan_send(c, &v, GOC_NEVER), 0); }
static inline void go_send0(goc_chan *c) { rc_expect(goc_chan_send(c, NULL, GOC_NEVER), 0); }
static inline int go_recv(goc_chan *c) {
    int v = 0;
    rc_expect(goc_chan_recv(c, &v, GOC_NEVER), 0);
    return v;
}
/* v, ok := <-c (ok false once closed and drained). */
static inline int go_recv_ok(goc_chan *c, bool *ok) {
    int v = 0;
    int r = goc_chan_recv(c, &v, GOC_NEVER);
    rc_check(r == 0 || r == -EPIPE);
    *ok = r == 0;
    return v;
}
static inline void go_close(goc_chan *c) { rc_expect(goc_chan_close(c), 0); }
static inline void go_sleep(int64_t ns) { goc_sleep(goc_deadline(ns)); }

#define GO_MS 1000000LL

/* An invisible "after": go_await(&f) yields until go_mark(&f) was called,
 * with relaxed atomics (no happens-before edge for TSan). It replaces a Go
 * time.Sleep whose purpose is an order in time that the test needs to run
 * at all (TestRaceChanItselfRecv: the task must read c before main
 * replaces it, or it would block forever on the new channel); the sleep
 * stays, for the shape. */
static inline void go_mark(int *f) { __atomic_store_n(f, 1, __ATOMIC_RELAXED); }
static inline void go_await(int *f) {
    while (!__atomic_load_n(f, __ATOMIC_RELAXED)) goc_yield();
}

#endif
