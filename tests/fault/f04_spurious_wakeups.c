/*
 * F04 spurious wakeups and EINTR (TESTING.md (c), RG16): every internal wait
 * (futex, condvar) returns early with probability 1/10 as if woken
 * spuriously or interrupted. Waits must re-check their predicates: no lost or
 * duplicated values in an MPMC run and a select run, WaitGroup and mutex stay
 * exact, and timed waits are still never early.
 */
#include "goc_testing.h"

#include <stdlib.h>

enum { NP = 4, NC = 4 };

struct st {
    goc_chan *ch;
    long per;
    _Atomic uint64_t *bits; /* relaxed fetch_or */
    goc_mutex *mu;
    long counter; /* guarded by mu */
};
struct prod {
    struct st *s;
    int id;
};
static void producer(void *p) {
    struct prod a = *(struct prod *)p;
    for (long i = 0; i < a.s->per; i++) {
        int64_t v = a.id * a.s->per + i;
        if (i % 2) {
            GT_ASSERT_OK(goc_chan_send(a.s->ch, &v, GOC_NEVER));
        } else {
            goc_case c[1] = {{a.s->ch, GOC_SEND, &v, 0}};
            GT_ASSERT_EQ(goc_select(c, 1, GOC_NEVER), 0);
        }
        GT_ASSERT_OK(goc_mutex_lock(a.s->mu));
        a.s->counter++;
        GT_ASSERT_OK(goc_mutex_unlock(a.s->mu));
    }
}
static void consumer(void *p) {
    struct st *s = p;
    int64_t v;
    int rc;
    long total = NP * s->per;
    while ((rc = goc_chan_recv(s->ch, &v, GOC_NEVER)) == 0) {
        GT_ASSERT(v >= 0 && v < total);
        uint64_t old = atomic_fetch_or_explicit(&s->bits[v / 64], 1ull << (v % 64), memory_order_relaxed);
        GT_ASSERT_MSG(!(old & (1ull << (v % 64))), "duplicate value %lld", (long long)v);
    }
    GT_ASSERT_ERR(rc, -EPIPE);
}

static void f04(void) {
    goc_fault_spurious(100);
    long n = gt_n(40000, 20000);
    gt_note("F04 sizes: %ld values per capacity, spurious wakeups p=0.1", n);
    for (size_t cap = 0; cap <= 4; cap += 4) {
        struct st s = {goc_chan_make(8, cap), n / NP, NULL, goc_mutex_make(), 0};
        GT_ASSERT(s.ch && s.mu);
        long total = NP * s.per;
        s.bits = calloc((size_t)(total + 63) / 64, sizeof *s.bits);
        GT_ASSERT_NOT_NULL(s.bits);
        gt_group *pg = gt_group_make(), *cg = gt_group_make();
        struct prod pa[NP];
        for (int i = 0; i < NC; i++) gt_group_go(cg, consumer, &s);
        for (int i = 0; i < NP; i++) {
            pa[i] = (struct prod){&s, i};
            gt_group_go(pg, producer, &pa[i]);
        }
        gt_group_wait(pg);
        GT_ASSERT_OK(goc_chan_close(s.ch));
        gt_group_wait(cg);
        for (long v = 0; v < total; v++)
            GT_ASSERT_MSG(atomic_load_explicit(&s.bits[v / 64], memory_order_relaxed) >> (v % 64) & 1, "value %ld lost",
                          v);
        GT_ASSERT_EQ(s.counter, total);
        free(s.bits);
        goc_chan_free(s.ch);
        goc_mutex_free(s.mu);
    }
    /* timed waits stay never-early with early returns injected */
    goc_chan *e = goc_chan_make(8, 0);
    goc_wg *wg = goc_wg_make();
    GT_ASSERT(e && wg);
    GT_ASSERT_OK(goc_wg_add(wg, 1));
    for (int i = 0; i < 30; i++) {
        goc_time dl = goc_deadline(1000000 + (int64_t)gt_rand_n(1000000));
        int rc;
        switch (i % 3) {
        case 0: rc = goc_chan_recv(e, NULL, dl); break;
        case 1: rc = goc_wg_wait(wg, dl); break;
        default: {
            goc_case c[1] = {{e, GOC_RECV, NULL, 0}};
            rc = goc_select(c, 1, dl);
        }
        }
        GT_ASSERT_ERR(rc, -ETIMEDOUT);
        GT_ASSERT_MSG(goc_now() >= dl, "wait %d returned early under spurious wakeups", i % 3);
    }
    GT_ASSERT_OK(goc_wg_done(wg));
    GT_ASSERT_OK(goc_wg_wait(wg, GOC_NOW));
    goc_fault_reset();
    goc_wg_free(wg);
    goc_chan_free(e);
}

static void test_main(void) { gt_run("F04_spurious_wakeups", f04); }

GT_MAIN(test_main)
