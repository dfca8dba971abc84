/*
 * ST12 K_migration (TESTING.md (c)): 10^4 tasks x 100 yields across the
 * workers (GOC_PROCS 1/2/4 from CTest), mixed with channel handoffs.
 * Invariants (RG10 and C26): no task ever runs on two workers at once (the
 * runtime aborts if one is resumed while running; here each task also owns a
 * flag it sets and clears around every resume), errno and stack contents
 * survive every migration, every task finishes exactly once, and the token
 * ring passes every token exactly once.
 */
#include <pthread.h>
#include <stdlib.h>

#include "goc_testing.h"

static __attribute__((noinline)) int read_errno(void) {
    int e = errno;
    __asm__ volatile("" ::: "memory");
    return e;
}
static __attribute__((noinline)) void write_errno(int v) {
    __asm__ volatile("" ::: "memory");
    errno = v;
}
static __attribute__((noinline)) unsigned long thread_id(void) {
    __asm__ volatile("" ::: "memory");
    return (unsigned long)pthread_self();
}

struct task {
    int id, yields;
    atomic_int running; /* 1 while this task's body runs: must never be seen set by itself */
    goc_chan *in, *out; /* ring neighbours (cap 1) */
    goc_wg *wg;
};
static atomic_long migrations, finished, tokens;

static void body(void *p) {
    struct task *t = p;
    volatile int canary[8];
    for (int i = 0; i < 8; i++) canary[i] = t->id ^ (i * 7919);
    unsigned long last = thread_id();
    write_errno(t->id + 1);
    for (int i = 0; i < t->yields; i++) {
        GT_ASSERT_EQ(atomic_exchange(&t->running, 1), 0);
        if (i % 10 == 5) { /* a channel handoff in the ring */
            int64_t tok = t->id;
            GT_ASSERT_OK(goc_chan_send(t->out, &tok, GOC_NEVER));
            GT_ASSERT_OK(goc_chan_recv(t->in, &tok, GOC_NEVER));
            atomic_fetch_add_explicit(&tokens, 1, memory_order_relaxed);
        } else {
            goc_yield();
        }
        GT_ASSERT_EQ(atomic_exchange(&t->running, 0), 1);
        GT_ASSERT_EQ(read_errno(), t->id + 1);
        for (int k = 0; k < 8; k++) GT_ASSERT_EQ(canary[k], t->id ^ (k * 7919));
        unsigned long now = thread_id();
        if (now != last) atomic_fetch_add_explicit(&migrations, 1, memory_order_relaxed);
        last = now;
    }
    atomic_fetch_add_explicit(&finished, 1, memory_order_relaxed);
    GT_ASSERT_OK(goc_wg_done(t->wg));
}

static void st12(void) {
    int n = (int)gt_n(10000, 1000), yields = 100;
    struct task *ts = calloc((size_t)n, sizeof *ts);
    goc_chan **ch = calloc((size_t)n, sizeof *ch);
    GT_ASSERT(ts && ch);
    goc_wg *wg = goc_wg_make();
    GT_ASSERT_NOT_NULL(wg);
    for (int i = 0; i < n; i++) GT_ASSERT_NOT_NULL(ch[i] = goc_chan_make(8, 1));
    atomic_store(&migrations, 0);
    atomic_store(&finished, 0);
    atomic_store(&tokens, 0);
    GT_ASSERT_OK(goc_wg_add(wg, n));
    goc_time t0 = goc_now();
    for (int i = 0; i < n; i++) {
        ts[i] = (struct task){.id = i, .yields = yields, .in = ch[i], .out = ch[(i + 1) % n], .wg = wg};
        gt_go(body, &ts[i]);
    }
    GT_ASSERT_OK(goc_wg_wait(wg, gt_ms(240000)));
    goc_time t1 = goc_now();
    gt_join_all();
    GT_ASSERT_EQ(atomic_load(&finished), n);
    GT_ASSERT_EQ(atomic_load(&tokens), (long)n * (yields / 10));
    for (int i = 0; i < n; i++) {
        GT_ASSERT_EQ(goc_chan_len(ch[i]), 0);
        goc_chan_free(ch[i]);
    }
    goc_wg_free(wg);
    gt_note("ST12: %d tasks x %d switches in %.1f ms, %ld migrations", n, yields, (t1 - t0) / 1e6,
            atomic_load(&migrations));
    free(ts);
    free(ch);
}

static void test_main(void) { gt_run("ST12_migration", st12); }

GT_MAIN(test_main)
