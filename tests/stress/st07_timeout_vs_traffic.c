/*
 * ST07 timeout_vs_traffic (TESTING.md (c), RG09, RG18 under ASan): 4
 * producers send N tagged values in total; 2 receivers take them with recv
 * and select timeouts of 0-100 us, timing out often. Nothing lost or
 * duplicated (atomic bitmap); afterwards a plain recv on the same channel
 * works. A direct handoff into a waiter that already timed out would write
 * into a dead stack frame: ASan's detect_stack_use_after_return catches it.
 * Origins: rust-lang/rust#39364 (mpsc recv_timeout), crossbeam recv_timeout.
 */
#include "goc_testing.h"

#include <stdlib.h>

enum { NP = 4, NR = 2 };

struct st {
    goc_chan *ch, *other;
    long per;
    _Atomic uint64_t *bits; /* relaxed fetch_or */
    atomic_long got, timeouts;
};
struct prod {
    struct st *s;
    int id;
};
static void producer(void *p) {
    struct prod a = *(struct prod *)p;
    for (long i = 0; i < a.s->per; i++) {
        int64_t v = a.id * a.s->per + i;
        if (gt_rand_n(16) == 0) goc_sleep(goc_deadline(gt_rand_n(50000)));
        GT_ASSERT_OK(goc_chan_send(a.s->ch, &v, GOC_NEVER));
    }
}
static void receiver(void *p) {
    struct st *s = p;
    long total = NP * s->per;
    for (;;) {
        if (atomic_load_explicit(&s->got, memory_order_relaxed) >= total) return;
        int64_t v = -1;
        goc_time dl = goc_deadline(gt_rand_n(100000));
        int rc;
        if (gt_rand_n(2)) {
            rc = goc_chan_recv(s->ch, &v, dl);
        } else {
            int64_t junk = -2;
            goc_case c[2] = {{s->other, GOC_RECV, &junk, 0}, {s->ch, GOC_RECV, &v, 0}};
            rc = goc_select(c, 2, dl);
            GT_ASSERT_EQ(junk, -2);
            if (rc == 1) rc = 0;
        }
        if (rc == -ETIMEDOUT) {
            atomic_fetch_add_explicit(&s->timeouts, 1, memory_order_relaxed);
            continue;
        }
        GT_ASSERT_OK(rc);
        GT_ASSERT_MSG(v >= 0 && v < total, "corrupt value %lld", (long long)v);
        uint64_t old = atomic_fetch_or_explicit(&s->bits[v / 64], 1ull << (v % 64), memory_order_relaxed);
        GT_ASSERT_MSG(!(old & (1ull << (v % 64))), "duplicate value %lld", (long long)v);
        atomic_fetch_add_explicit(&s->got, 1, memory_order_relaxed);
    }
}

static void st07(void) {
    long n = gt_n(10000, 10000);
    gt_note("ST07 sizes: %ld values, %d producers, %d receivers with 0-100 us timeouts", n, NP, NR);
    for (size_t cap = 0; cap <= 1; cap++) {
        struct st s = {goc_chan_make(8, cap), goc_chan_make(8, 0), n / NP, NULL, 0, 0};
        GT_ASSERT(s.ch && s.other);
        long total = NP * s.per;
        s.bits = calloc((size_t)(total + 63) / 64, sizeof *s.bits);
        GT_ASSERT_NOT_NULL(s.bits);
        goc_time t0 = goc_now();
        struct prod pa[NP];
        for (int i = 0; i < NP; i++) {
            pa[i] = (struct prod){&s, i};
            gt_go(producer, &pa[i]);
        }
        for (int i = 0; i < NR; i++) gt_go(receiver, &s);
        gt_join_all();
        GT_ASSERT_EQ(atomic_load_explicit(&s.got, memory_order_relaxed), total);
        for (long v = 0; v < total; v++)
            GT_ASSERT_MSG(atomic_load_explicit(&s.bits[v / 64], memory_order_relaxed) >> (v % 64) & 1,
                          "value %ld lost", v);
        GT_ASSERT_UEQ(goc_chan_len(s.ch), 0);
        /* the channel still works with plain operations */
        int64_t x = 7, y = 0;
        if (cap) {
            GT_ASSERT_OK(goc_chan_send(s.ch, &x, GOC_NOW));
            GT_ASSERT_OK(goc_chan_recv(s.ch, &y, GOC_NEVER));
        } else {
            struct prod one = {&s, 0};
            (void)one;
            GT_ASSERT_ERR(goc_chan_recv(s.ch, &y, GOC_NOW), -EAGAIN);
            y = x;
        }
        GT_ASSERT_EQ(y, 7);
        gt_note("ST07 cap %zu: %ld values, %ld timeouts, %.2f s", cap, total,
                atomic_load_explicit(&s.timeouts, memory_order_relaxed), (goc_now() - t0) / 1e9);
        free(s.bits);
        goc_chan_free(s.ch);
        goc_chan_free(s.other);
    }
}

static void test_main(void) { gt_run("ST07_timeout_vs_traffic", st07); }

GT_MAIN(test_main)
