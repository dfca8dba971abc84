/*
 * ST06 cancel_storm (TESTING.md (c)): rounds of a context tree (101 nodes,
 * fan-out 4) with one task blocked on every node in select{recv never,
 * recv done}, canceled from 8 tasks in random order: every task returns with
 * ECANCELED within 1 s and every cancel returns. Then cancel-vs-value races:
 * a persistent producer selects {send c, done}, a persistent consumer selects
 * {recv c, done}, the root cancels at a random moment: conservation
 * (sent == received + still queued) on every round.
 * Origins: Go context TestSimultaneousCancels, libdill go3/go4.
 */
#include "goc_testing.h"

#include <stdlib.h>

enum { NODES = 101, CANCELLERS = 8 };

struct waiter {
    goc_ctx *ctx;
    goc_chan *never;
    int rc;
};
static void waiter(void *p) {
    struct waiter *w = p;
    goc_case c[2] = {{w->never, GOC_RECV, NULL, 0}, {goc_ctx_done(w->ctx), GOC_RECV, NULL, 0}};
    GT_ASSERT_EQ(goc_select(c, 2, GOC_NEVER), 1);
    w->rc = goc_ctx_err(w->ctx);
}
struct job {
    goc_ctx **ctxs;
    int *order;
    int from, to;
};
static void canceller(void *p) {
    struct job j = *(struct job *)p;
    for (int i = j.from; i < j.to; i++) goc_ctx_cancel(j.ctxs[j.order[i]]);
}

static void tree_round(int round) {
    goc_ctx *ctxs[NODES];
    int order[NODES];
    ctxs[0] = goc_ctx_with_cancel(goc_ctx_background());
    GT_ASSERT_NOT_NULL(ctxs[0]);
    for (int i = 1; i < NODES; i++) {
        ctxs[i] = round % 2 ? goc_ctx_with_timeout(ctxs[(i - 1) / 4], 3600LL * 1000000000)
                            : goc_ctx_with_cancel(ctxs[(i - 1) / 4]);
        GT_ASSERT_NOT_NULL(ctxs[i]);
    }
    for (int i = 0; i < NODES; i++) order[i] = i;
    for (int i = NODES - 1; i > 0; i--) {
        int j = (int)gt_rand_n((uint32_t)i + 1), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    goc_chan *never = goc_chan_make(0, 0);
    GT_ASSERT_NOT_NULL(never);
    struct waiter ws[NODES];
    for (int i = 0; i < NODES; i++) {
        ws[i] = (struct waiter){ctxs[i], never, 1};
        gt_go(waiter, &ws[i]);
    }
    struct job jobs[CANCELLERS];
    for (int k = 0; k < CANCELLERS; k++) {
        jobs[k] = (struct job){ctxs, order, k * NODES / CANCELLERS, (k + 1) * NODES / CANCELLERS};
        gt_go(canceller, &jobs[k]);
    }
    /* the root's cancel is somewhere in the order: every node ends canceled */
    for (int i = 0; i < NODES; i++) {
        goc_time t0 = goc_now();
        int rc = goc_chan_recv(goc_ctx_done(ctxs[i]), NULL, goc_deadline(gt_sanitized() ? 5000000000LL : 1000000000LL));
        GT_ASSERT_MSG(rc == -EPIPE, "round %d: node %d not canceled in time (%s, %.1f ms)", round, i, gt_errname(rc),
                      (goc_now() - t0) / 1e6);
    }
    gt_join_all();
    for (int i = 0; i < NODES; i++) GT_ASSERT_ERR(ws[i].rc, -ECANCELED);
    for (int i = NODES - 1; i >= 0; i--) goc_ctx_free(ctxs[i]);
    goc_chan_free(never);
}

/* cancel vs value: persistent tasks, one round's {ctx, chan} per command */
struct rnd {
    goc_ctx *ctx;
    goc_chan *c;
};
struct side {
    goc_chan *cmd, *result;
    int producer;
};
static void side(void *p) {
    struct side s = *(struct side *)p;
    struct rnd r;
    while (goc_chan_recv(s.cmd, &r, GOC_NEVER) == 0) {
        int64_t v = 42, in = 0;
        goc_case c[2] = {{r.c, s.producer ? GOC_SEND : GOC_RECV, s.producer ? &v : &in, 0},
                         {goc_ctx_done(r.ctx), GOC_RECV, NULL, 0}};
        gt_maybe_yield(2);
        int k = goc_select(c, 2, GOC_NEVER);
        GT_ASSERT(k == 0 || k == 1);
        if (k == 0 && !s.producer) GT_ASSERT_EQ(in, 42);
        int64_t won = k == 0;
        GT_ASSERT_OK(goc_chan_send(s.result, &won, GOC_NEVER));
    }
}

static void st06(void) {
    int rounds = (int)gt_n(20, 20), races = (int)gt_n(10000, 10000);
    gt_note("ST06 sizes: %d tree rounds (%d nodes, %d cancellers), %d cancel-vs-value races", rounds, NODES,
            CANCELLERS, races);
    goc_time t0 = goc_now();
    for (int r = 0; r < rounds; r++) tree_round(r);
    gt_note("ST06 trees: %.2f s", (goc_now() - t0) / 1e9);

    t0 = goc_now();
    struct side ps = {goc_chan_make(sizeof(struct rnd), 1), goc_chan_make(8, 1), 1};
    struct side cs = {goc_chan_make(sizeof(struct rnd), 1), goc_chan_make(8, 1), 0};
    GT_ASSERT(ps.cmd && ps.result && cs.cmd && cs.result);
    gt_go(side, &ps);
    gt_go(side, &cs);
    long delivered = 0, queued = 0, canceled = 0;
    for (int i = 0; i < races; i++) {
        struct rnd r = {goc_ctx_with_cancel(goc_ctx_background()), goc_chan_make(8, (size_t)(i % 2))};
        GT_ASSERT(r.ctx && r.c);
        GT_ASSERT_OK(goc_chan_send(ps.cmd, &r, GOC_NEVER));
        GT_ASSERT_OK(goc_chan_send(cs.cmd, &r, GOC_NEVER));
        for (uint32_t y = gt_rand_n(4); y > 0; y--) goc_yield();
        goc_ctx_cancel(r.ctx);
        int64_t sent, got;
        GT_ASSERT_OK(goc_chan_recv(ps.result, &sent, GOC_NEVER));
        GT_ASSERT_OK(goc_chan_recv(cs.result, &got, GOC_NEVER));
        size_t len = goc_chan_len(r.c);
        GT_ASSERT_MSG(sent == got + (int64_t)len, "race %d (cap %d): sent %lld, received %lld, queued %zu", i, i % 2,
                      (long long)sent, (long long)got, len);
        delivered += got;
        queued += (long)len;
        canceled += !sent;
        goc_ctx_free(r.ctx);
        goc_chan_free(r.c);
    }
    GT_ASSERT_OK(goc_chan_close(ps.cmd));
    GT_ASSERT_OK(goc_chan_close(cs.cmd));
    gt_join_all();
    goc_chan_free(ps.cmd);
    goc_chan_free(ps.result);
    goc_chan_free(cs.cmd);
    goc_chan_free(cs.result);
    gt_note("ST06 races: %ld delivered, %ld queued, %ld canceled in %.2f s", delivered, queued, canceled,
            (goc_now() - t0) / 1e9);
}

static void test_main(void) { gt_run("ST06_cancel_storm", st06); }

GT_MAIN(test_main)
