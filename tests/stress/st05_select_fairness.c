/*
 * ST05 select_fairness (TESTING.md (c)): a select picks uniformly at random
 * among ready cases (decision 1). For k in {2, 4, 8} ready buffered cases
 * plus 2 never-ready ones, N selects; the chosen-case counts must pass a
 * chi-square test at p = 1e-6 (critical values 23.93 / 30.66 / 40.52 for
 * df = 1 / 3 / 7; 33.38 for df = 4), and every case gets >= N/(2k)
 * (crossbeam fairness). Also: unbuffered channels with a partner blocked on
 * each (cap 0 on both sides), and 5 duplicate cases of one channel.
 * Select randomness does not depend on load here (every case is ready at each
 * select), so the p = 1e-6 bound is used, not Go's looser 10 sigma.
 * Origins: Go TestSelectFairness, crossbeam fairness / fairness_duplicates.
 */
#include "goc_testing.h"

#include <stdlib.h>

static double crit(int df) {
    switch (df) {
    case 1: return 23.93;
    case 3: return 30.66;
    case 4: return 33.38;
    case 7: return 40.52;
    default: GT_FAIL("no critical value for df %d", df);
    }
}

static void check(const char *what, const long *hits, int k, long n) {
    double e = (double)n / k, chi = 0;
    for (int i = 0; i < k; i++) chi += (hits[i] - e) * (hits[i] - e) / e;
    char line[256];
    int off = snprintf(line, sizeof line, "ST05 %s k=%d N=%ld chi2=%.2f (limit %.2f):", what, k, n, chi, crit(k - 1));
    for (int i = 0; i < k && off < (int)sizeof line; i++) off += snprintf(line + off, sizeof line - (size_t)off, " %ld", hits[i]);
    gt_note("%s", line);
    GT_ASSERT_MSG(chi < crit(k - 1), "%s: unfair select, chi2 %.2f >= %.2f", what, chi, crit(k - 1));
    for (int i = 0; i < k; i++) GT_ASSERT_MSG(hits[i] >= n / (2 * k), "%s: case %d chosen %ld times", what, i, hits[i]);
}

static void buffered(int k, long n) {
    goc_chan *ch[10];
    goc_case cs[10];
    int64_t v[10];
    long hits[8] = {0};
    for (int i = 0; i < k + 2; i++) {
        ch[i] = goc_chan_make(sizeof(int64_t), 1);
        GT_ASSERT_NOT_NULL(ch[i]);
    }
    /* the 2 never-ready cases are interleaved with the ready ones */
    int idx[10], ready_of[10];
    for (int i = 0, r = 0; i < k + 2; i++) {
        bool never = i == 1 || i == k;
        idx[i] = never ? -1 : r;
        if (!never) ready_of[r++] = i;
        if (!never) {
            int64_t x = i;
            GT_ASSERT_OK(goc_chan_send(ch[i], &x, GOC_NOW));
        }
        cs[i] = (goc_case){ch[i], GOC_RECV, &v[i], 0};
    }
    (void)ready_of;
    for (long t = 0; t < n; t++) {
        int c = goc_select(cs, (size_t)k + 2, GOC_NOW);
        GT_ASSERT(c >= 0 && idx[c] >= 0);
        GT_ASSERT_EQ(v[c], c);
        hits[idx[c]]++;
        GT_ASSERT_OK(goc_chan_send(ch[c], &v[c], GOC_NOW)); /* ready again */
    }
    for (int i = 0; i < k + 2; i++) goc_chan_free(ch[i]);
    check("buffered", hits, k, n);
}

struct partner {
    goc_chan *ch;
    long n;
    int64_t id;
    atomic_long sent; /* sends returned; release: the root waits for it */
};
static void partner(void *p) {
    struct partner *a = p;
    int rc;
    while ((rc = goc_chan_send(a->ch, &a->id, GOC_NEVER)) == 0)
        atomic_fetch_add_explicit(&a->sent, 1, memory_order_release);
    GT_ASSERT_ERR(rc, -EPIPE);
}

static void unbuffered(int k, long n) {
    goc_chan *ch[8];
    goc_case cs[8];
    int64_t v[8];
    long hits[8] = {0};
    struct partner pa[8];
    for (int i = 0; i < k; i++) {
        ch[i] = goc_chan_make(sizeof(int64_t), 0);
        GT_ASSERT_NOT_NULL(ch[i]);
        pa[i] = (struct partner){ch[i], n, i, 0};
        gt_go(partner, &pa[i]);
        cs[i] = (goc_case){ch[i], GOC_RECV, &v[i], 0};
    }
    for (long t = 0; t < n; t++) {
        /* every partner parked in its send: all cases ready (the partner of
         * the previous round was seen returning from its send, below, so
         * the registry no longer shows its old wait) */
        GT_ASSERT_MSG(gt_wait_report("blocked in chan send", (size_t)k, 10000000000LL),
                      "partners not all blocked");
        int c = goc_select(cs, (size_t)k, GOC_NEVER);
        GT_ASSERT(c >= 0 && c < k);
        GT_ASSERT_EQ(v[c], c);
        hits[c]++;
        goc_time end = goc_deadline(10000000000LL);
        while (atomic_load_explicit(&pa[c].sent, memory_order_acquire) < hits[c]) {
            GT_ASSERT_MSG(goc_now() < end, "partner %d did not return from its send", c);
            goc_yield();
        }
    }
    for (int i = 0; i < k; i++) GT_ASSERT_OK(goc_chan_close(ch[i]));
    gt_join_all();
    for (int i = 0; i < k; i++) goc_chan_free(ch[i]);
    check("unbuffered", hits, k, n);
}

static void duplicates(long n) {
    enum { D = 5 };
    goc_chan *ch = goc_chan_make(sizeof(int64_t), 1);
    GT_ASSERT_NOT_NULL(ch);
    int64_t v = 0;
    goc_case cs[D];
    for (int i = 0; i < D; i++) cs[i] = (goc_case){ch, GOC_RECV, &v, 0};
    long hits[D] = {0};
    for (long t = 0; t < n; t++) {
        GT_ASSERT_OK(goc_chan_send(ch, &t, GOC_NOW));
        int c = goc_select(cs, D, GOC_NOW);
        GT_ASSERT(c >= 0 && c < D);
        GT_ASSERT_EQ(v, t);
        hits[c]++;
    }
    goc_chan_free(ch);
    check("5 duplicate cases", hits, D, n);
}

static void st05(void) {
    long n = gt_n(10000, 10000), nu = gt_n(500, 300);
    gt_note("ST05 sizes: N=%ld buffered selects per k, %ld unbuffered", n, nu);
    buffered(2, n);
    buffered(4, n);
    buffered(8, n);
    unbuffered(2, nu);
    unbuffered(4, nu);
    duplicates(n);
}

static void test_main(void) { gt_run("ST05_select_fairness", st05); }

GT_MAIN(test_main)
