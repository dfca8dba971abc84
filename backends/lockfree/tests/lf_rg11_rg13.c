/*
 * RG11 and RG13 (TESTING.md regressions) on the lockfree ring; links
 * goc_lockfree_seq8 for its hooks.
 *
 * RG11 (crossbeam-rs/crossbeam#997): a "non-blocking" try-receive spun on a
 * slot that a preempted producer had reserved but not published. A hook
 * stalls one producer between its buffer claim and its commit; a
 * try-receive (plain and select-with-default) must answer would-block
 * within 1 ms; when a later send completes meanwhile (in the K=2 ring it
 * commits at the stalled one's position, with the other buffer) the
 * try-receive gets that value at once; the stalled value arrives once the
 * producer resumes.
 *
 * RG13 (unikraft#1763, zephyr#105859, nanos#1601): the futex lost wakeup,
 * where the waker changes the state and wakes between the waiter's check
 * and its FUTEX_WAIT. A hook delays every waiter between announcing itself
 * parked and calling FUTEX_WAIT, for unbuffered ping-pong, a buffered
 * cap-1 hand-off and select; every round must complete (the watchdog fails
 * a hang), and the delay window must really have been exercised.
 */
#include "goc_testing.h"

#include <unistd.h>

#include "goc_lf_test.h"

/* ------------------------------------------------------------- RG11 -- */

static atomic_int stall_armed; /* the next producer through the hook stalls */
static atomic_int stalled;     /* set by the stalled producer */
static atomic_int release_stall;

static void stall_hook(int point, const void *obj) {
    (void)point;
    (void)obj;
    int one = 1;
    if (!atomic_compare_exchange_strong_explicit(&stall_armed, &one, 0, memory_order_acq_rel,
                                                 memory_order_relaxed))
        return;
    gt_set(&stalled);
    GT_ASSERT(gt_wait_flag(&release_stall, 10000000000LL));
}

struct rg11 {
    goc_chan *ch;
    int64_t v;
    atomic_int done;
};
static void stalled_sender(void *p) {
    struct rg11 *a = p;
    GT_ASSERT_OK(goc_chan_send(a->ch, &a->v, GOC_NEVER));
    gt_set(&a->done);
}

static int64_t elapsed_try(goc_chan *ch, bool use_select, int *rc) {
    int64_t v;
    goc_time t0 = goc_now();
    if (use_select) {
        goc_case c[2] = {{ch, GOC_RECV, &v, 0}, {NULL, GOC_RECV, NULL, 0}};
        *rc = goc_select(c, 2, GOC_NOW);
    } else {
        *rc = goc_chan_recv(ch, &v, GOC_NOW);
    }
    return goc_now() - t0;
}

static void releaser(void *p) {
    (void)p;
    gt_sleep_ms(5);
    gt_set(&release_stall);
}

/* later_send: a send that starts after the stalled one completes first.
 * "Empty" would then not be linearizable (C13: that sender's own
 * try-receive must succeed). The K=2 ring commits it at the position the
 * stalled send claimed (the stalled send is linearized at its own commit,
 * later), so the try-receive takes it at once and the stalled value comes
 * next (the old ring made the try-receive wait for the stalled producer
 * and returned 42 first). Without it, the try-receive answers at once. */
static void rg11_case(bool later_send, bool use_select) {
    goc_chan *ch = goc_chan_make(sizeof(int64_t), 3);
    GT_ASSERT_NOT_NULL(ch);
    atomic_store(&stalled, 0);
    atomic_store(&release_stall, 0);
    struct rg11 a = {ch, 42, 0};
    atomic_store_explicit(&stall_armed, 1, memory_order_release);
    gt_go(stalled_sender, &a);
    GT_ASSERT(gt_wait_flag(&stalled, 10000000000LL));
    int64_t v = 0;
    int rc = 0;
    if (later_send) {
        int64_t w = 7;
        GT_ASSERT_OK(goc_chan_send(ch, &w, GOC_NOW)); /* completes behind the stalled one */
        gt_go(releaser, NULL);
        goc_time t0 = goc_now();
        if (use_select) {
            goc_case c[2] = {{ch, GOC_RECV, &v, 0}, {NULL, GOC_RECV, NULL, 0}};
            GT_ASSERT_EQ(goc_select(c, 2, GOC_NOW), 0);
        } else {
            GT_ASSERT_OK(goc_chan_recv(ch, &v, GOC_NOW));
        }
        gt_note("RG11 select=%d: try-recv after a completed send, stalled producer: %lld us", use_select,
                (long long)((goc_now() - t0) / 1000));
        GT_ASSERT_EQ(v, 7); /* the completed send: linearized before the stalled one */
        GT_ASSERT_OK(goc_chan_recv(ch, &v, gt_ms(10000)));
        GT_ASSERT_EQ(v, 42);
    } else {
        /* the least of 5 tries: an answer does not change the state, and
         * the minimum is immune to this task being preempted */
        int64_t ns = INT64_MAX;
        for (int i = 0; i < 5; i++) {
            int64_t t = elapsed_try(ch, use_select, &rc);
            GT_ASSERT_ERR(rc, -EAGAIN);
            if (t < ns) ns = t;
        }
        gt_note("RG11 select=%d: try-recv on a stalled producer's slot: EAGAIN in %lld ns", use_select,
                (long long)ns);
        if (gt_timing_checks("RG11 try-recv latency"))
            GT_ASSERT_MSG(ns < 1000000, "try-recv took %lld ns on a stalled producer's slot", (long long)ns);
        atomic_store(&stall_armed, 0);
        gt_set(&release_stall);
        GT_ASSERT_OK(goc_chan_recv(ch, &v, gt_ms(10000)));
        GT_ASSERT_EQ(v, 42);
    }
    gt_join_all();
    GT_ASSERT(atomic_load(&a.done));
    goc_chan_free(ch);
}

static void rg11(void) {
    goc_lf_set_hook(GOC_LF_HOOK_SEND_RESERVED, stall_hook);
    rg11_case(false, false);
    rg11_case(true, false);
    rg11_case(false, true);
    rg11_case(true, true);
    goc_lf_set_hook(GOC_LF_HOOK_SEND_RESERVED, NULL);
}

/* ------------------------------------------------------------- RG13 -- */

static _Atomic unsigned delays;
static void park_delay_hook(int point, const void *obj) {
    (void)point;
    (void)obj;
    /* the window between "I am parked" and FUTEX_WAIT: the waker's exchange
     * and FUTEX_WAKE land here most of the time */
    usleep(50 + gt_rand_n(150));
    atomic_fetch_add_explicit(&delays, 1, memory_order_relaxed);
}

struct pp {
    goc_chan *a, *b;
    int rounds;
    bool use_select;
};
static void ponger(void *p) {
    struct pp *x = p;
    for (int i = 0; i < x->rounds; i++) {
        int64_t v;
        if (x->use_select) {
            goc_case c[1] = {{x->a, GOC_RECV, &v, 0}};
            GT_ASSERT_EQ(goc_select(c, 1, GOC_NEVER), 0);
        } else {
            GT_ASSERT_OK(goc_chan_recv(x->a, &v, GOC_NEVER));
        }
        v++;
        GT_ASSERT_OK(goc_chan_send(x->b, &v, GOC_NEVER));
    }
}

static void rg13_pingpong(size_t cap, bool use_select, int rounds) {
    struct pp x = {goc_chan_make(8, cap), goc_chan_make(8, cap), rounds, use_select};
    GT_ASSERT(x.a && x.b);
    gt_go(ponger, &x);
    int64_t v = 0;
    for (int i = 0; i < rounds; i++) {
        GT_ASSERT_OK(goc_chan_send(x.a, &v, GOC_NEVER));
        GT_ASSERT_OK(goc_chan_recv(x.b, &v, GOC_NEVER));
        GT_ASSERT_EQ(v, i + 1);
        v = i + 1;
        /* let the partner reach its park, so the wake races the delay:
         * 2 ms, longer than any spin budget (100 us was absorbed by the
         * adaptive spin under ASan: 0 parks in one CI run) */
        if (i % 4 == 0) usleep(2000);
    }
    gt_join_all();
    goc_chan_free(x.a);
    goc_chan_free(x.b);
}

static void rg13(void) {
    int rounds = (int)gt_n(400, 100);
    unsigned long parks0 = goc_lf_parks();
    goc_lf_set_hook(GOC_LF_HOOK_BEFORE_PARK, park_delay_hook);
    rg13_pingpong(0, false, rounds);
    rg13_pingpong(1, false, rounds);
    rg13_pingpong(0, true, rounds);
    rg13_pingpong(1, true, rounds);
    goc_lf_set_hook(GOC_LF_HOOK_BEFORE_PARK, NULL);
    unsigned long parks = goc_lf_parks() - parks0;
    gt_note("RG13: %lu futex waits, %u delayed", parks, atomic_load(&delays));
    GT_ASSERT_GT(atomic_load(&delays), 0);
}

/* ------------------------------------------------- one-step pass-on -- */

/* Several receivers parked on one buffered channel (8-byte elements: the
 * one-step ring, whose parked receivers mark the head position instead of
 * being found through nrecvq by every send; README section 2). A burst of
 * try-sends: the first commit consumes the mark and wakes one receiver,
 * the next ones commit at positions nobody marked. The woken receiver's
 * take must pass the mark on (wake the next at once: its position is
 * committed), and so on: every receiver gets a value long before its
 * deadline. Without the pass-on the others sleep to the deadline with the
 * values in the ring. Also with selects, and with the values sent over
 * time (each send then finds the mark the previous taker left). */
enum { PASS_R = 3 };
struct pass_rx {
    goc_chan *ch;
    bool use_select;
    int64_t v;
    int rc;
};
static void pass_receiver(void *p) {
    struct pass_rx *r = p;
    goc_time dl = goc_deadline(5000000000LL);
    if (r->use_select) {
        goc_case c[1] = {{r->ch, GOC_RECV, &r->v, 0}};
        r->rc = goc_select(c, 1, dl);
    } else {
        r->rc = goc_chan_recv(r->ch, &r->v, dl);
    }
}
static void pass_on_case(bool use_select, bool burst) {
    goc_chan *ch = goc_chan_make(sizeof(int64_t), 4);
    GT_ASSERT_NOT_NULL(ch);
    struct pass_rx rx[PASS_R];
    unsigned long parks0 = goc_lf_parks();
    for (int i = 0; i < PASS_R; i++) {
        rx[i] = (struct pass_rx){ch, use_select, -1, 1};
        gt_go(pass_receiver, &rx[i]);
    }
    /* every receiver parked (its mark set): past the spin, in FUTEX_WAIT */
    goc_time until = goc_now() + 4000000000LL;
    while (goc_lf_parks() - parks0 < PASS_R && goc_now() < until) usleep(1000);
    GT_ASSERT_MSG(goc_lf_parks() - parks0 >= PASS_R, "receivers did not park: %lu",
                  goc_lf_parks() - parks0);
    usleep(2000);
    goc_time t0 = goc_now();
    for (int64_t i = 1; i <= PASS_R; i++) {
        GT_ASSERT_OK(goc_chan_send(ch, &i, GOC_NOW));
        if (!burst) usleep(2000);
    }
    gt_join_all();
    int64_t ms = (goc_now() - t0) / 1000000, sum = 0;
    gt_note("pass-on select=%d burst=%d: %d receivers served in %lld ms", use_select, burst, PASS_R,
            (long long)ms);
    for (int i = 0; i < PASS_R; i++) {
        GT_ASSERT_MSG(rx[i].rc == 0, "receiver %d: %d (%s) with the values in the ring", i, rx[i].rc,
                      gt_errname(rx[i].rc));
        sum += rx[i].v;
    }
    GT_ASSERT_EQ(sum, (int64_t)PASS_R * (PASS_R + 1) / 2);
    GT_ASSERT_EQ(goc_chan_len(ch), (size_t)0);
    goc_chan_free(ch);
}
static void one_step_pass_on(void) {
    pass_on_case(false, true);
    pass_on_case(true, true);
    pass_on_case(false, false);
    pass_on_case(true, false);
}

static void test_main(void) {
    gt_run("RG11_try_recv_stalled_producer", rg11);
    gt_run("RG13_futex_lost_wakeup", rg13);
    gt_run("one_step_pass_on", one_step_pass_on);
}

GT_MAIN(test_main)
