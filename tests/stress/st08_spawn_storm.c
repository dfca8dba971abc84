/*
 * ST08 spawn_storm (TESTING.md (c)): 8 spawner tasks each spawn a share of N
 * tasks (2000 on the thread backends, where a task is an OS thread); every
 * task marks its slot (must run exactly once) and calls Done on a WaitGroup
 * the spawners Add to. Wait must return exactly after the last Done: the
 * number of Dones counted before Wait returned is N.
 * Origins: Go TestWaitGroup under load, libdill go() storms.
 */
#include "goc_testing.h"

#include <stdlib.h>

enum { SPAWNERS = 8 };

struct storm {
    goc_wg *wg;
    atomic_int *ran;      /* per task: times run (must be 1) */
    atomic_long finished; /* incremented just before Done */
    long per;
};
struct task {
    struct storm *s;
    long id;
};
static void task(void *p) {
    struct task *t = p;
    struct storm *s = t->s;
    long id = t->id;
    free(t);
    int before = atomic_fetch_add_explicit(&s->ran[id], 1, memory_order_relaxed);
    GT_ASSERT_MSG(before == 0, "task %ld ran twice", id);
    if (id % 7 == 0) goc_yield();
    /* relaxed: the Done->Wait edge orders it for the root */
    atomic_fetch_add_explicit(&s->finished, 1, memory_order_relaxed);
    GT_ASSERT_OK(goc_wg_done(s->wg));
}
struct spawner {
    struct storm *s;
    int k;
};
static void spawner(void *p) {
    struct spawner sp = *(struct spawner *)p;
    for (long i = 0; i < sp.s->per; i++) {
        struct task *t = malloc(sizeof *t);
        GT_ASSERT_NOT_NULL(t);
        *t = (struct task){sp.s, sp.k * sp.s->per + i};
        GT_ASSERT_OK(goc_wg_add(sp.s->wg, 1));
        int rc;
        while ((rc = goc_go(task, t)) == -EAGAIN) goc_sleep(goc_deadline(1000000)); /* thread limit: retry */
        GT_ASSERT_OK(rc);
    }
}

static void st08(void) {
    long n = gt_n(2000, 2000);
    struct storm s = {goc_wg_make(), NULL, 0, n / SPAWNERS};
    GT_ASSERT_NOT_NULL(s.wg);
    n = s.per * SPAWNERS;
    gt_note("ST08 sizes: %ld tasks from %d spawners", n, SPAWNERS);
    s.ran = calloc((size_t)n, sizeof *s.ran);
    GT_ASSERT_NOT_NULL(s.ran);
    goc_time t0 = goc_now();
    /* the spawners are counted too, so Wait cannot see zero before they ran */
    GT_ASSERT_OK(goc_wg_add(s.wg, SPAWNERS));
    struct spawner sp[SPAWNERS];
    gt_group *g = gt_group_make();
    for (int k = 0; k < SPAWNERS; k++) {
        sp[k] = (struct spawner){&s, k};
        gt_group_go(g, spawner, &sp[k]);
    }
    gt_group_wait(g);
    for (int k = 0; k < SPAWNERS; k++) GT_ASSERT_OK(goc_wg_done(s.wg));
    GT_ASSERT_OK(goc_wg_wait(s.wg, GOC_NEVER));
    GT_ASSERT_EQ(atomic_load_explicit(&s.finished, memory_order_relaxed), n);
    double secs = (goc_now() - t0) / 1e9;
    gt_join_all();
    for (long i = 0; i < n; i++) GT_ASSERT_MSG(atomic_load_explicit(&s.ran[i], memory_order_relaxed) == 1, "task %ld ran %d times", i, atomic_load_explicit(&s.ran[i], memory_order_relaxed));
    gt_note("ST08: %ld tasks in %.2f s (%.1f us per spawn)", n, secs, secs * 1e6 / n);
    free(s.ran);
    goc_wg_free(s.wg);
}

static void test_main(void) { gt_run("ST08_spawn_storm", st08); }

GT_MAIN(test_main)
