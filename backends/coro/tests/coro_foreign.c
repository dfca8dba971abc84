/*
 * coro_foreign: threads the runtime does not own (TESTING.md (d), "channel
 * op from a thread unknown to the K runtime": supported). A foreign pthread
 * blocks on a futex instead of parking:
 *   - foreign sender -> task receiver and task sender -> foreign receiver,
 *     unbuffered and buffered, exact sums;
 *   - a foreign select with a deadline; a foreign timed recv times out;
 *   - goc_go from a foreign thread while goc_main runs;
 *   - goc_ctx_cancel from a foreign thread wakes a task selecting on Done,
 *     and a timeout context fires from the runtime's timers;
 *   - goc_mutex and goc_wg shared between a task and a foreign thread.
 */
#include <pthread.h>
#include <stdlib.h>

#include "goc_testing.h"

enum { N = 2000 };

struct pair {
    goc_chan *to_task, *from_task, *done;
    long sum;
};

static void *foreign_main(void *p) {
    struct pair *x = p;
    int64_t v;
    long s = 0;
    for (int64_t i = 1; i <= N; i++) {
        if (goc_chan_send(x->to_task, &i, GOC_NEVER) != 0) abort();
        if (goc_chan_recv(x->from_task, &v, GOC_NEVER) != 0) abort();
        s += v;
    }
    x->sum = s;
    goc_chan_close(x->done); /* the root parks on it: pthread_join would block its worker */
    return NULL;
}
static void task_side(void *p) {
    struct pair *x = p;
    int64_t v;
    for (int i = 0; i < N; i++) {
        GT_ASSERT_OK(goc_chan_recv(x->to_task, &v, GOC_NEVER));
        GT_ASSERT_OK(goc_chan_send(x->from_task, &v, GOC_NEVER));
    }
}

static void ping_pong(void) {
    for (size_t cap = 0; cap <= 4; cap += 4) {
        struct pair x = {goc_chan_make(8, cap), goc_chan_make(8, cap), goc_chan_make(0, 0), 0};
        GT_ASSERT(x.to_task && x.from_task && x.done);
        gt_go(task_side, &x);
        pthread_t th;
        GT_ASSERT_EQ(pthread_create(&th, NULL, foreign_main, &x), 0);
        GT_ASSERT_ERR(goc_chan_recv(x.done, NULL, gt_ms(30000)), -EPIPE);
        GT_ASSERT_EQ(pthread_join(th, NULL), 0);
        goc_chan_free(x.done);
        gt_join_all();
        GT_ASSERT_EQ(x.sum, (long)N * (N + 1) / 2);
        goc_chan_free(x.to_task);
        goc_chan_free(x.from_task);
    }
}

static atomic_int spawned_ran;
static void spawned(void *p) {
    (void)p;
    atomic_fetch_add(&spawned_ran, 1);
}
struct misc {
    goc_chan *c;
    goc_ctx *ctx;
    goc_mutex *mu;
    goc_wg *wg;
    goc_chan *done;
    long counter;
    int select_rc, timed_rc, go_rc;
};
static void *foreign_misc(void *p) {
    struct misc *m = p;
    int64_t v = 0;
    m->timed_rc = goc_chan_recv(m->c, &v, goc_deadline(20 * 1000000));
    goc_case cs[2] = {{m->c, GOC_RECV, &v, 0}, {NULL, GOC_RECV, NULL, 0}};
    m->select_rc = goc_select(cs, 2, goc_deadline(20 * 1000000));
    m->go_rc = goc_go(spawned, NULL);
    for (int i = 0; i < 1000; i++) {
        goc_mutex_lock(m->mu);
        m->counter++;
        goc_mutex_unlock(m->mu);
    }
    goc_wg_done(m->wg);
    goc_ctx_cancel(m->ctx); /* wakes the task selecting on Done */
    goc_chan_close(m->done);
    return NULL;
}
static void locker(void *p) {
    struct misc *m = p;
    for (int i = 0; i < 1000; i++) {
        GT_ASSERT_OK(goc_mutex_lock(m->mu));
        m->counter++;
        if (i % 100 == 0) goc_yield(); /* hold it across a switch */
        GT_ASSERT_OK(goc_mutex_unlock(m->mu));
    }
    GT_ASSERT_OK(goc_wg_done(m->wg));
}
static void misc(void) {
    struct misc m = {.c = goc_chan_make(8, 0), .ctx = goc_ctx_with_cancel(goc_ctx_background()),
                     .mu = goc_mutex_make(), .wg = goc_wg_make(), .done = goc_chan_make(0, 0)};
    GT_ASSERT(m.c && m.ctx && m.mu && m.wg && m.done);
    GT_ASSERT_OK(goc_wg_add(m.wg, 2));
    atomic_store(&spawned_ran, 0);
    gt_go(locker, &m);
    pthread_t th;
    GT_ASSERT_EQ(pthread_create(&th, NULL, foreign_misc, &m), 0);
    goc_case cs[1] = {{goc_ctx_done(m.ctx), GOC_RECV, NULL, 0}};
    GT_ASSERT_EQ(goc_select(cs, 1, gt_ms(20000)), 0);
    GT_ASSERT_ERR(cs[0].err, -EPIPE);
    GT_ASSERT_ERR(goc_ctx_err(m.ctx), -ECANCELED);
    GT_ASSERT_OK(goc_wg_wait(m.wg, gt_ms(20000)));
    GT_ASSERT_ERR(goc_chan_recv(m.done, NULL, gt_ms(30000)), -EPIPE);
    GT_ASSERT_EQ(pthread_join(th, NULL), 0);
    goc_chan_free(m.done);
    gt_join_all();
    GT_ASSERT_ERR(m.timed_rc, -ETIMEDOUT);
    GT_ASSERT_ERR(m.select_rc, -ETIMEDOUT);
    GT_ASSERT_OK(m.go_rc);
    GT_ASSERT_EQ(atomic_load(&spawned_ran), 1);
    GT_ASSERT_EQ(m.counter, 2000);
    /* a timeout context: the runtime's timer closes Done */
    goc_ctx *tc = goc_ctx_with_timeout(goc_ctx_background(), 20 * 1000000);
    GT_ASSERT_NOT_NULL(tc);
    GT_ASSERT_ERR(goc_chan_recv(goc_ctx_done(tc), NULL, gt_ms(20000)), -EPIPE);
    GT_ASSERT_ERR(goc_ctx_err(tc), -ETIMEDOUT);
    goc_ctx_free(tc);
    goc_ctx_free(m.ctx);
    goc_chan_free(m.c);
    goc_mutex_free(m.mu);
    goc_wg_free(m.wg);
}

static void test_main(void) {
    gt_run("foreign_thread_channels", ping_pong);
    gt_run("foreign_thread_select_go_ctx_mutex_wg", misc);
}

GT_MAIN(test_main)
