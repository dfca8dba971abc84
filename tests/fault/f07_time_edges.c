/*
 * F07 time edge cases (TESTING.md (c)): GOC_NOW (0) tries once; negative
 * deadlines block forever; a past deadline tries once then times out at once;
 * huge deadlines (INT64_MAX, INT64_MAX - 1, goc_deadline(INT64_MAX)) block
 * forever without overflowing into the past; for every call that takes a
 * deadline (send, recv, select, WaitGroup wait, fd wait, sleep, contexts,
 * goc_after). Never undefined: UBSan in the ASan job checks the arithmetic.
 */
#include "goc_testing.h"

#include <unistd.h>

static const goc_time FOREVER[] = {-1, -2, INT64_MIN, INT64_MAX, INT64_MAX - 1, 0 /* goc_deadline(INT64_MAX) */};
#define NFOREVER 6

struct blk {
    int kind; /* 0 recv, 1 send, 2 select, 3 wg wait, 4 fd wait */
    goc_chan *ch;
    goc_wg *wg;
    int fd;
    goc_time dl;
    int rc;
    atomic_int done;
};
static void blocker(void *p) {
    struct blk *b = p;
    int64_t v = 1;
    switch (b->kind) {
    case 0: b->rc = goc_chan_recv(b->ch, &v, b->dl); break;
    case 1: b->rc = goc_chan_send(b->ch, &v, b->dl); break;
    case 2: {
        goc_case c[1] = {{b->ch, GOC_RECV, &v, 0}};
        b->rc = goc_select(c, 1, b->dl);
        break;
    }
    case 3: b->rc = goc_wg_wait(b->wg, b->dl); break;
    default: b->rc = goc_fd_wait(b->fd, GOC_READ, b->dl); break;
    }
    gt_set(&b->done);
}

static void f07(void) {
    GT_ASSERT_EQ(goc_deadline(INT64_MAX), INT64_MAX);
    GT_ASSERT_EQ(goc_deadline(INT64_MAX - 1), INT64_MAX); /* saturates */
    GT_ASSERT_EQ(goc_deadline(-1), GOC_NEVER);
    GT_ASSERT_EQ(goc_deadline(INT64_MIN), GOC_NEVER);
    goc_time now = goc_now();
    GT_ASSERT_GT(now, 0);
    GT_ASSERT_GE(goc_deadline(0), now);

    goc_chan *ch = goc_chan_make(8, 0);
    goc_wg *wg = goc_wg_make();
    int p[2];
    GT_ASSERT(ch && wg && pipe(p) == 0);
    GT_ASSERT_OK(goc_wg_add(wg, 1));
    int64_t v = 0;
    /* GOC_NOW: try once */
    GT_ASSERT_ERR(goc_chan_recv(ch, &v, GOC_NOW), -EAGAIN);
    GT_ASSERT_ERR(goc_chan_send(ch, &v, GOC_NOW), -EAGAIN);
    GT_ASSERT_ERR(goc_wg_wait(wg, GOC_NOW), -EAGAIN);
    GT_ASSERT_ERR(goc_fd_wait(p[0], GOC_READ, GOC_NOW), -EAGAIN);
    goc_case c[1] = {{ch, GOC_RECV, &v, 0}};
    GT_ASSERT_ERR(goc_select(c, 1, GOC_NOW), -EAGAIN);
    /* past deadlines: ETIMEDOUT at once */
    goc_time past[] = {1, 1000, goc_now() - 1, goc_deadline(0)};
    for (int i = 0; i < 4; i++) {
        goc_time t0 = goc_now();
        GT_ASSERT_ERR(goc_chan_recv(ch, &v, past[i]), -ETIMEDOUT);
        GT_ASSERT_ERR(goc_chan_send(ch, &v, past[i]), -ETIMEDOUT);
        GT_ASSERT_ERR(goc_select(c, 1, past[i]), -ETIMEDOUT);
        GT_ASSERT_ERR(goc_wg_wait(wg, past[i]), -ETIMEDOUT);
        GT_ASSERT_ERR(goc_fd_wait(p[0], GOC_READ, past[i]), -ETIMEDOUT);
        GT_ASSERT_OK(goc_sleep(past[i]));
        GT_ASSERT_LT(goc_now() - t0, 1000000000);
    }
    /* forever: blocks (probe), then completes when satisfied */
    for (int kind = 0; kind < 5; kind++) {
        for (int i = 0; i < NFOREVER; i++) {
            struct blk b = {kind, ch, wg, p[0], i == NFOREVER - 1 ? goc_deadline(INT64_MAX) : FOREVER[i], 1, 0};
            gt_go(blocker, &b);
            GT_ASSERT_MSG(gt_still_blocked(&b.done, 20), "kind %d deadline %lld returned %s", kind, (long long)b.dl,
                          gt_errname(b.rc));
            int64_t x = 5;
            switch (kind) {
            case 0:
            case 2: GT_ASSERT_OK(goc_chan_send(ch, &x, GOC_NEVER)); break;
            case 1: GT_ASSERT_OK(goc_chan_recv(ch, &x, GOC_NEVER)); break;
            case 3:
                GT_ASSERT_OK(goc_wg_done(wg));
                break;
            default: GT_ASSERT_EQ(write(p[1], "x", 1), 1); break;
            }
            gt_join_all();
            GT_ASSERT_MSG(b.rc == 0, "kind %d: %s", kind, gt_errname(b.rc));
            if (kind == 3) GT_ASSERT_OK(goc_wg_add(wg, 1));
            if (kind == 4) {
                char buf;
                GT_ASSERT_EQ(read(p[0], &buf, 1), 1);
            }
        }
    }
    /* contexts: a huge timeout never fires, a non-positive one is born expired */
    goc_ctx *bg = goc_ctx_background();
    goc_ctx *huge = goc_ctx_with_timeout(bg, INT64_MAX);
    goc_ctx *huge2 = goc_ctx_with_deadline(bg, INT64_MAX);
    goc_ctx *neg = goc_ctx_with_timeout(bg, -5);
    goc_ctx *zero = goc_ctx_with_timeout(bg, 0);
    goc_ctx *pastd = goc_ctx_with_deadline(bg, 1);
    GT_ASSERT(huge && huge2 && neg && zero && pastd);
    /* no overflow into the past: "never" (GOC_NEVER) or far in the future */
    GT_ASSERT(goc_ctx_deadline(huge) == GOC_NEVER || goc_ctx_deadline(huge) > goc_now());
    gt_sleep_ms(5);
    GT_ASSERT_OK(goc_ctx_err(huge));
    GT_ASSERT_OK(goc_ctx_err(huge2));
    GT_ASSERT_ERR(goc_ctx_err(neg), -ETIMEDOUT);
    GT_ASSERT_ERR(goc_ctx_err(zero), -ETIMEDOUT);
    GT_ASSERT_ERR(goc_ctx_err(pastd), -ETIMEDOUT);
    goc_ctx *nev = goc_ctx_with_deadline(bg, GOC_NEVER); /* negative deadline = none */
    GT_ASSERT_NOT_NULL(nev);
    GT_ASSERT_OK(goc_ctx_err(nev));
    goc_ctx_free(huge);
    goc_ctx_free(huge2);
    goc_ctx_free(neg);
    goc_ctx_free(zero);
    goc_ctx_free(pastd);
    goc_ctx_free(nev);
    /* goc_after: <= 0 fires at once, huge never (freeing stops it) */
    goc_time t;
    for (int64_t ns = -1; ns <= 0; ns++) {
        goc_chan *a = goc_after(ns == -1 ? INT64_MIN : 0);
        GT_ASSERT_NOT_NULL(a);
        GT_ASSERT_OK(goc_chan_recv(a, &t, goc_deadline(5000000000LL)));
        goc_chan_free(a);
    }
    goc_chan *a = goc_after(INT64_MAX);
    GT_ASSERT_NOT_NULL(a);
    GT_ASSERT_ERR(goc_chan_recv(a, &t, goc_deadline(5000000)), -ETIMEDOUT);
    goc_chan_free(a);
    GT_ASSERT_OK(goc_wg_done(wg));
    goc_wg_free(wg);
    goc_chan_free(ch);
    close(p[0]);
    close(p[1]);
}

static void test_main(void) { gt_run("F07_time_edges", f07); }

GT_MAIN(test_main)
