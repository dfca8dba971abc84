/*
 * ST04 doubleselect (TESTING.md (c), RG03): Go test/chan/doubleselect.go. A
 * sender sends a counter to one of four unbuffered channels in one select; if
 * two cases of one select both fired, the same value would arrive twice.
 * Four mux tasks forward to one channel; the receiver checks for duplicates
 * (fails at once) and, at the end, that none is missing.
 * Registered for busted as an expected failure.
 */
#include "goc_testing.h"

#include <stdlib.h>

enum { K = 4 };

struct ds {
    goc_chan *c[K], *out, *done;
    long n;
};

static void sender(void *p) {
    struct ds *d = p;
    for (int64_t i = 0; i < d->n; i++) {
        goc_case cs[K];
        for (int k = 0; k < K; k++) cs[k] = (goc_case){d->c[k], GOC_SEND, &i, 0};
        int k = goc_select(cs, K, GOC_NEVER);
        GT_ASSERT(k >= 0 && k < K);
        GT_ASSERT_OK(cs[k].err);
    }
    for (int k = 0; k < K; k++) GT_ASSERT_OK(goc_chan_close(d->c[k]));
}
struct muxarg {
    struct ds *d;
    int k;
};
static void mux(void *p) {
    struct muxarg m = *(struct muxarg *)p;
    int64_t v;
    int rc;
    while ((rc = goc_chan_recv(m.d->c[m.k], &v, GOC_NEVER)) == 0) GT_ASSERT_OK(goc_chan_send(m.d->out, &v, GOC_NEVER));
    GT_ASSERT_ERR(rc, -EPIPE);
    GT_ASSERT_OK(goc_chan_send(m.d->done, NULL, GOC_NEVER));
}
static void closer(void *p) {
    struct ds *d = p;
    for (int k = 0; k < K; k++) GT_ASSERT_OK(goc_chan_recv(d->done, NULL, GOC_NEVER));
    GT_ASSERT_OK(goc_chan_close(d->out));
}

static void st04(void) {
    struct ds d = {.n = gt_n(10000, 10000)};
    gt_note("ST04 sizes: %ld iterations", d.n);
    for (int k = 0; k < K; k++) {
        d.c[k] = goc_chan_make(sizeof(int64_t), 0);
        GT_ASSERT_NOT_NULL(d.c[k]);
    }
    d.out = goc_chan_make(sizeof(int64_t), 0);
    d.done = goc_chan_make(0, 0);
    GT_ASSERT(d.out && d.done);
    unsigned char *seen = calloc((size_t)d.n, 1);
    GT_ASSERT_NOT_NULL(seen);
    struct muxarg m[K];
    gt_go(sender, &d);
    for (int k = 0; k < K; k++) {
        m[k] = (struct muxarg){&d, k};
        gt_go(mux, &m[k]);
    }
    gt_go(closer, &d);
    int64_t v;
    long count = 0;
    int rc;
    while ((rc = goc_chan_recv(d.out, &v, GOC_NEVER)) == 0) {
        GT_ASSERT_MSG(v >= 0 && v < d.n, "corrupt value %lld", (long long)v);
        GT_ASSERT_MSG(!seen[v], "got duplicate value %lld (two cases of one select fired)", (long long)v);
        seen[v] = 1;
        count++;
    }
    GT_ASSERT_ERR(rc, -EPIPE);
    GT_ASSERT_MSG(count == d.n, "received %ld of %ld values", count, d.n);
    gt_join_all();
    free(seen);
    for (int k = 0; k < K; k++) goc_chan_free(d.c[k]);
    goc_chan_free(d.out);
    goc_chan_free(d.done);
}

static void test_main(void) { gt_run("ST04_doubleselect", st04); }

GT_MAIN(test_main)
