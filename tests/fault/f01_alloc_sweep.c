/*
 * F01 allocation-failure sweep (TESTING.md (c)), SQLite style
 * (sqlite.org/testing.html, test/malloc_common.tcl): for every scenario, fail
 * the n-th allocation of the runtime for n = 1, 2, ... until a run hits no
 * fault, once transient (only the n-th fails) and once persistent (the n-th
 * and every later one fail). Each failing operation must report the
 * documented error (constructors NULL + errno ENOMEM, operations -ENOMEM,
 * goc_go -ENOMEM/-EAGAIN), leave the state unchanged (channels keep their
 * values, no task started, parents unaffected), not crash, not leak (LSan in
 * the ASan job) and succeed on retry once the fault is off.
 * Scenarios run in the root task alone, so the allocation count is
 * deterministic.
 */
#include "goc_testing.h"

#include <stdlib.h>

static long g_hits; /* faults hit by the scenario's armed part; root only */

/* Ends the armed part of a scenario: records the hits, turns faults off. */
static void disarm(void) {
    g_hits += goc_fault_hits();
    goc_fault_reset();
}

/* ------------------------------------------------------- scenarios -- */

static void sc_make(void) {
    static const size_t caps[] = {0, 4, 1024};
    goc_chan *c[3];
    for (int i = 0; i < 3; i++) {
        errno = 0;
        c[i] = goc_chan_make(i == 1 ? 0 : 8, caps[i]);
        if (!c[i]) GT_ASSERT_MSG(errno == ENOMEM, "goc_chan_make failed with errno %d, not ENOMEM", errno);
    }
    errno = 0;
    goc_mutex *mu = goc_mutex_make();
    if (!mu) GT_ASSERT_EQ(errno, ENOMEM);
    errno = 0;
    goc_wg *wg = goc_wg_make();
    if (!wg) GT_ASSERT_EQ(errno, ENOMEM);
    errno = 0;
    goc_chan *a = goc_after(3600LL * 1000000000);
    if (!a) GT_ASSERT_EQ(errno, ENOMEM);
    disarm();
    for (int i = 0; i < 3; i++) {
        if (!c[i]) c[i] = goc_chan_make(i == 1 ? 0 : 8, caps[i]); /* retry succeeds */
        GT_ASSERT_NOT_NULL(c[i]);
        int64_t v = 5;
        if (caps[i]) GT_ASSERT_OK(goc_chan_send(c[i], i == 1 ? NULL : &v, GOC_NOW));
        goc_chan_free(c[i]);
    }
    if (!mu) mu = goc_mutex_make();
    GT_ASSERT_NOT_NULL(mu);
    GT_ASSERT_OK(goc_mutex_lock(mu));
    GT_ASSERT_OK(goc_mutex_unlock(mu));
    goc_mutex_free(mu);
    if (!wg) wg = goc_wg_make();
    GT_ASSERT_NOT_NULL(wg);
    GT_ASSERT_OK(goc_wg_add(wg, 1));
    GT_ASSERT_OK(goc_wg_done(wg));
    goc_wg_free(wg);
    if (!a) a = goc_after(3600LL * 1000000000);
    GT_ASSERT_NOT_NULL(a);
    goc_chan_free(a);
}

/* The sweep arms faults right before calling a scenario; scenarios that
 * need unarmed setup take it from here instead. */
static goc_chan *g_chan[12];
static int64_t g_vals[12];

static void setup_channels(int n, size_t cap) {
    for (int i = 0; i < n; i++) {
        g_chan[i] = goc_chan_make(8, cap);
        GT_ASSERT_NOT_NULL(g_chan[i]);
    }
}
static void free_channels(int n) {
    for (int i = 0; i < n; i++) goc_chan_free(g_chan[i]);
}

static void sc_ops(void) {
    /* setup happened unarmed (see setup_ops); channel 0 holds 1 */
    int64_t two = 2, v = 0;
    int rc = goc_chan_send(g_chan[0], &two, GOC_NOW);
    GT_ASSERT_MSG(rc == 0 || rc == -ENOMEM, "send under allocation failure: %s", gt_errname(rc));
    int rc2 = goc_chan_recv(g_chan[0], &v, GOC_NOW);
    GT_ASSERT_MSG(rc2 == 0 || rc2 == -ENOMEM, "recv under allocation failure: %s", gt_errname(rc2));
    if (rc2 == 0) GT_ASSERT_EQ(v, 1);
    int rc3 = goc_chan_close(g_chan[1]);
    GT_ASSERT_MSG(rc3 == 0 || rc3 == -ENOMEM, "close under allocation failure: %s", gt_errname(rc3));
    disarm();
    /* state: exactly what succeeded happened */
    size_t want = 1 + (rc == 0) - (rc2 == 0);
    GT_ASSERT_UEQ(goc_chan_len(g_chan[0]), want);
    if (rc2 != 0) { /* retry */
        GT_ASSERT_OK(goc_chan_recv(g_chan[0], &v, GOC_NOW));
        GT_ASSERT_EQ(v, 1);
    }
    if (rc == 0) {
        GT_ASSERT_OK(goc_chan_recv(g_chan[0], &v, GOC_NOW));
        GT_ASSERT_EQ(v, 2);
    }
    GT_ASSERT_UEQ(goc_chan_len(g_chan[0]), 0);
    if (rc3 != 0) GT_ASSERT_OK(goc_chan_close(g_chan[1]));
    GT_ASSERT_ERR(goc_chan_close(g_chan[1]), -EPIPE);
    free_channels(2);
}
static void setup_ops(void) {
    setup_channels(2, 4);
    int64_t one = 1;
    GT_ASSERT_OK(goc_chan_send(g_chan[0], &one, GOC_NOW));
}

enum { NSEL = 12 }; /* more cases than a select keeps on its stack */
static void setup_select(void) {
    setup_channels(NSEL, 1);
    int64_t x = 7;
    GT_ASSERT_OK(goc_chan_send(g_chan[5], &x, GOC_NOW));
}
static void sc_select(void) {
    goc_case cs[NSEL];
    for (int i = 0; i < NSEL; i++) {
        g_vals[i] = -1;
        cs[i] = (goc_case){g_chan[i], GOC_RECV, &g_vals[i], 0};
    }
    int rc = goc_select(cs, NSEL, GOC_NEVER);
    GT_ASSERT_MSG(rc == 5 || rc == -ENOMEM, "select under allocation failure: %s", gt_errname(rc));
    disarm();
    if (rc == -ENOMEM) {
        GT_ASSERT_UEQ(goc_chan_len(g_chan[5]), 1); /* nothing consumed */
        for (int i = 0; i < NSEL; i++) GT_ASSERT_EQ(g_vals[i], -1);
        rc = goc_select(cs, NSEL, GOC_NEVER);
    }
    GT_ASSERT_EQ(rc, 5);
    GT_ASSERT_EQ(g_vals[5], 7);
    free_channels(NSEL);
}
/* a blocking select that times out (registers a waiter on every channel) */
static void sc_select_timeout(void) {
    goc_case cs[NSEL];
    for (int i = 0; i < NSEL; i++) cs[i] = (goc_case){g_chan[i], i % 2 ? GOC_SEND : GOC_RECV, &g_vals[i], 0};
    for (int i = 1; i < NSEL; i += 2) GT_ASSERT_OK(goc_chan_send(g_chan[i], &g_vals[i], GOC_NOW)); /* full */
    int rc = goc_select(cs, NSEL, goc_deadline(200000));
    GT_ASSERT_MSG(rc == -ETIMEDOUT || rc == -ENOMEM, "select under allocation failure: %s", gt_errname(rc));
    disarm();
    GT_ASSERT_ERR(goc_select(cs, NSEL, GOC_NOW), -EAGAIN);
    for (int i = 0; i < NSEL; i++) GT_ASSERT_UEQ(goc_chan_len(g_chan[i]), i % 2);
    free_channels(NSEL);
}
static void setup_select_empty(void) { setup_channels(NSEL, 1); }

static atomic_int g_ran;
static void task_fn(void *p) { gt_set((atomic_int *)p); }

static void sc_spawn(void) {
    size_t live = goc_tasks_live();
    atomic_store_explicit(&g_ran, 0, memory_order_relaxed);
    int rc = goc_go(task_fn, &g_ran);
    disarm();
    if (rc != 0) {
        GT_ASSERT_MSG(rc == -ENOMEM || rc == -EAGAIN, "goc_go under allocation failure: %s", gt_errname(rc));
        gt_sleep_ms(1);
        GT_ASSERT_UEQ(goc_tasks_live(), live); /* no task started */
        GT_ASSERT_EQ(atomic_load_explicit(&g_ran, memory_order_acquire), 0);
        rc = goc_go(task_fn, &g_ran);
    }
    GT_ASSERT_OK(rc);
    GT_ASSERT(gt_wait_flag(&g_ran, 10000000000LL));
    gt_join_all();
}

static void sc_ctx(void) {
    goc_ctx *bg = goc_ctx_background();
    errno = 0;
    goc_ctx *p = goc_ctx_with_cancel(bg);
    if (!p) GT_ASSERT_EQ(errno, ENOMEM);
    goc_ctx *c = NULL, *g = NULL;
    if (p) {
        errno = 0;
        c = goc_ctx_with_timeout(p, 3600LL * 1000000000);
        if (!c) GT_ASSERT_EQ(errno, ENOMEM);
    }
    if (c) {
        errno = 0;
        g = goc_ctx_with_deadline(c, goc_deadline(7200LL * 1000000000));
        if (!g) GT_ASSERT_EQ(errno, ENOMEM);
    }
    disarm();
    /* what exists is live and linked: cancel the root reaches it */
    if (!p) p = goc_ctx_with_cancel(bg);
    if (!c) c = goc_ctx_with_timeout(p, 3600LL * 1000000000);
    if (!g) g = goc_ctx_with_deadline(c, goc_deadline(7200LL * 1000000000));
    GT_ASSERT(p && c && g);
    GT_ASSERT_OK(goc_ctx_err(g));
    GT_ASSERT_EQ(goc_ctx_deadline(g), goc_ctx_deadline(c)); /* the parent's is earlier */
    goc_ctx_cancel(p);
    GT_ASSERT_ERR(goc_ctx_err(g), -ECANCELED);
    GT_ASSERT_ERR(goc_chan_recv(goc_ctx_done(g), NULL, GOC_NOW), -EPIPE);
    goc_ctx_free(g);
    goc_ctx_free(c);
    goc_ctx_free(p);
}

static long g_dtor;
static void dtor(void *e) {
    (void)e;
    g_dtor++;
}
static void setup_destroy(void) {
    setup_channels(1, 8);
    GT_ASSERT_OK(goc_chan_set_dtor(g_chan[0], dtor));
    for (int64_t i = 0; i < 5; i++) GT_ASSERT_OK(goc_chan_send(g_chan[0], &i, GOC_NOW));
    g_dtor = 0;
}
static void sc_destroy(void) {
    goc_chan_free(g_chan[0]); /* must not need memory */
    disarm();
    GT_ASSERT_EQ(g_dtor, 5);
}

/* ----------------------------------------------------------- sweep -- */

struct scenario {
    const char *name;
    void (*setup)(void); /* unarmed */
    void (*run)(void);   /* armed until it calls disarm() */
};

static void sweep(const struct scenario *s, int *runs, int *faults) {
    for (int persistent = 0; persistent < 2; persistent++) {
        long n;
        for (n = 1; n < 10000; n++) {
            if (s->setup) s->setup();
            g_hits = 0;
            goc_fault_alloc(n, persistent);
            s->run();
            goc_fault_reset();
            (*runs)++;
            if (g_hits == 0) break; /* the n-th allocation was never reached */
            (*faults)++;
        }
        GT_ASSERT_MSG(n < 10000, "%s: sweep did not terminate", s->name);
        gt_note("F01 %-16s %-10s: %ld allocation(s) swept", s->name, persistent ? "persistent" : "transient", n - 1);
    }
}

static void f01(void) {
    static const struct scenario sc[] = {
        {"make", NULL, sc_make},
        {"send/recv/close", setup_ops, sc_ops},
        {"select", setup_select, sc_select},
        {"select_timeout", setup_select_empty, sc_select_timeout},
        {"spawn", NULL, sc_spawn},
        {"ctx_tree", NULL, sc_ctx},
        {"destroy", setup_destroy, sc_destroy},
    };
    int runs = 0, faults = 0;
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) sweep(&sc[i], &runs, &faults);
    gt_note("F01: %d runs, %d with an injected failure", runs, faults);
}

static void test_main(void) { gt_run("F01_alloc_sweep", f01); }

GT_MAIN(test_main)
