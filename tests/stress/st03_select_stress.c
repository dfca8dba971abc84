/*
 * ST03 select_stress (TESTING.md (c)): Go runtime TestSelectStress. Four
 * channels (caps 0, 0, 2, 3); per channel one plain sender and one plain
 * receiver of N values, plus one task sending N values to each channel in a
 * single select and one receiving N from each in a single select (a channel's
 * case is disabled, set to NULL, once its N are done). Everything interacts
 * chaotically but must neither deadlock nor miscount.
 */
#include "goc_testing.h"

enum { K = 4 };

struct st {
    goc_chan *c[K];
    long n;
    atomic_long plain_recv[K], sel_recv[K]; /* relaxed adds, read after the join */
};
struct one {
    struct st *s;
    int k;
};

static void plain_sender(void *p) {
    struct one o = *(struct one *)p;
    int64_t v = 1;
    for (long i = 0; i < o.s->n; i++) GT_ASSERT_OK(goc_chan_send(o.s->c[o.k], &v, GOC_NEVER));
}
static void plain_receiver(void *p) {
    struct one o = *(struct one *)p;
    int64_t v;
    for (long i = 0; i < o.s->n; i++) {
        GT_ASSERT_OK(goc_chan_recv(o.s->c[o.k], &v, GOC_NEVER));
        GT_ASSERT_EQ(v, 1);
        atomic_fetch_add_explicit(&o.s->plain_recv[o.k], 1, memory_order_relaxed);
    }
}
static void select_sender(void *p) {
    struct st *s = p;
    long n[K] = {0};
    int64_t v = 1;
    goc_case cs[K];
    for (int k = 0; k < K; k++) cs[k] = (goc_case){s->c[k], GOC_SEND, &v, 0};
    for (long i = 0; i < K * s->n; i++) {
        int k = goc_select(cs, K, GOC_NEVER);
        GT_ASSERT(k >= 0 && k < K);
        GT_ASSERT_OK(cs[k].err);
        if (++n[k] == s->n) cs[k].ch = NULL;
    }
}
static void select_receiver(void *p) {
    struct st *s = p;
    long n[K] = {0};
    int64_t v[K];
    goc_case cs[K];
    for (int k = 0; k < K; k++) cs[k] = (goc_case){s->c[k], GOC_RECV, &v[k], 0};
    for (long i = 0; i < K * s->n; i++) {
        int k = goc_select(cs, K, GOC_NEVER);
        GT_ASSERT(k >= 0 && k < K);
        GT_ASSERT_OK(cs[k].err);
        GT_ASSERT_EQ(v[k], 1);
        atomic_fetch_add_explicit(&s->sel_recv[k], 1, memory_order_relaxed);
        if (++n[k] == s->n) cs[k].ch = NULL;
    }
}

static void st03(void) {
    static const size_t caps[K] = {0, 0, 2, 3};
    struct st s = {.n = gt_n(10000, 10000)};
    gt_note("ST03 sizes: N=%ld per channel and role", s.n);
    for (int k = 0; k < K; k++) {
        s.c[k] = goc_chan_make(sizeof(int64_t), caps[k]);
        GT_ASSERT_NOT_NULL(s.c[k]);
    }
    goc_time t0 = goc_now();
    gt_group *g = gt_group_make();
    struct one o[K];
    for (int k = 0; k < K; k++) {
        o[k] = (struct one){&s, k};
        gt_group_go(g, plain_sender, &o[k]);
        gt_group_go(g, plain_receiver, &o[k]);
    }
    gt_group_go(g, select_sender, &s);
    gt_group_go(g, select_receiver, &s);
    gt_group_wait(g);
    /* 2N values went into each channel; N came out each way */
    for (int k = 0; k < K; k++) {
        GT_ASSERT_EQ(atomic_load_explicit(&s.plain_recv[k], memory_order_relaxed) +
                         atomic_load_explicit(&s.sel_recv[k], memory_order_relaxed),
                     2 * s.n);
        GT_ASSERT_UEQ(goc_chan_len(s.c[k]), 0);
        goc_chan_free(s.c[k]);
    }
    gt_note("ST03: done in %.2f s", (goc_now() - t0) / 1e9);
}

static void test_main(void) { gt_run("ST03_select_stress", st03); }

GT_MAIN(test_main)
