/*
 * ST13 registry: the task registry under spawn/exit churn (issue 11: coro's
 * registry is a lock-free table, backends/common/registry_table.c; the
 * thread backends keep the locked list, registry_list.c). Two checks:
 *
 * live_exact:  tasks spawned from several spawner tasks yield, then store
 *   their result as their very last action. goc_tasks_live() may never drop
 *   below baseline + the tasks still parked (no undercount, polled while
 *   others spawn and exit), and once it is back to the baseline (acquire:
 *   the leak check's reading) every result is there: a task is counted
 *   until it has finished. Fails (coro, P=1/2/4) with the exit counted
 *   before the task function. Not caught: goc_tasks_live() reading its two
 *   sums in the wrong order, or two workers sharing one plain counter line
 *   (windows of a few ns).
 * report_exact: goc_tasks_report() while churn tasks spawn and exit lists
 *   each parked task exactly once, every line's function, file and line
 *   belong together (a record recycled under the walker must not be printed
 *   half old, half new), ids are unique within a report; after the churn is
 *   joined it lists exactly goc_tasks_live() tasks. Fails (coro, P=1/2/4)
 *   with an exit that leaves its record marked live. Not caught: a walker
 *   without the seqlock's re-check (the torn window is a few ns).
 */
#include "goc_testing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CHURN_LIVE_MAX: churners wait while that many churn tasks are live. On the
 * thread backends each is an OS thread, and spawning outran exiting while
 * the reports slowed down: under ASan the lockfree run reached 10,009 live
 * threads, and a test running beside it under ctest -j2 (st13_registry
 * pthread, asan) failed to map ASan's shadow memory (ENOMEM). coro keeps
 * a few hundred live at most, below the bound. */
enum { SPAWNERS = 4, CHURN_LIVE_MAX = 512 };

/* ------------------------------------------------------------ churn -- */

struct churn {
    goc_wg *wg;             /* the churners and every task they spawn */
    atomic_int stop;        /* release by the root: stop spawning */
    atomic_long spawned;    /* churn tasks spawned so far */
    atomic_long finished;   /* churn tasks that have run (spawned - finished: live, at most) */
};

static void churn_task(void *p) {
    struct churn *c = p;
    if (gt_rand_n(4) == 0) goc_yield();
    atomic_fetch_add_explicit(&c->finished, 1, memory_order_relaxed);
    GT_ASSERT_OK(goc_wg_done(c->wg));
}

/* Two spawn sites with distinct function, file and line: a report line
 * mixing them is a torn read of a recycled record. */
static void churner(void *p) {
    struct churn *c = p;
    long i = 0;
    while (!atomic_load_explicit(&c->stop, memory_order_acquire)) {
        if (atomic_load_explicit(&c->spawned, memory_order_relaxed) -
                atomic_load_explicit(&c->finished, memory_order_relaxed) >=
            CHURN_LIVE_MAX) {
            goc_sleep(goc_deadline(100000)); /* let some exit */
            continue;
        }
        GT_ASSERT_OK(goc_wg_add(c->wg, 1));
        int rc;
        for (;;) {
            rc = (i & 1) ? goc_go_at(churn_task, c, "st13_site_b", 2222, "churn_b")
                         : goc_go_at(churn_task, c, "st13_site_a", 1111, "churn_a");
            if (rc != -EAGAIN) break;
            goc_sleep(goc_deadline(1000000)); /* thread limit: retry */
        }
        GT_ASSERT_OK(rc);
        atomic_fetch_add_explicit(&c->spawned, 1, memory_order_relaxed);
        if (++i % 64 == 0) goc_yield();
    }
    GT_ASSERT_OK(goc_wg_done(c->wg));
}

static void churn_start(struct churn *c, int n) {
    c->wg = goc_wg_make();
    GT_ASSERT_NOT_NULL(c->wg);
    atomic_init(&c->stop, 0);
    atomic_init(&c->spawned, 0);
    atomic_init(&c->finished, 0);
    for (int i = 0; i < n; i++) {
        GT_ASSERT_OK(goc_wg_add(c->wg, 1));
        GT_ASSERT_OK(goc_go(churner, c));
    }
}

static void churn_stop(struct churn *c) {
    atomic_store_explicit(&c->stop, 1, memory_order_release);
    GT_ASSERT_OK(goc_wg_wait(c->wg, GOC_NEVER));
    goc_wg_free(c->wg);
}

/* ----------------------------------------------------------- parked -- */

static void parked(void *p) {
    int v;
    GT_ASSERT_EQ(goc_chan_recv((goc_chan *)p, &v, GOC_NEVER), -EPIPE);
}

/* ------------------------------------------------------- live_exact -- */

struct finisher_set {
    atomic_int *done; /* per task: its last action stores 1 (relaxed) */
    long per;
};
struct fin_arg {
    struct finisher_set *s;
    long id;
};

static void finisher(void *p) {
    struct fin_arg *a = p;
    atomic_int *slot = &a->s->done[a->id];
    free(a);
    goc_yield();
    if (gt_rand_n(8) == 0) goc_sleep(goc_deadline(200000));
    /* relaxed: the registry orders it (the exit's release, goc_tasks_live's
     * acquire); the check below is on the value */
    atomic_store_explicit(slot, 1, memory_order_relaxed);
}

static void fin_spawner(void *p) {
    struct fin_arg *a0 = p;
    struct finisher_set *s = a0->s;
    long k = a0->id;
    free(a0);
    for (long i = 0; i < s->per; i++) {
        struct fin_arg *a = malloc(sizeof *a);
        GT_ASSERT_NOT_NULL(a);
        *a = (struct fin_arg){s, k * s->per + i};
        int rc;
        while ((rc = goc_go(finisher, a)) == -EAGAIN) goc_sleep(goc_deadline(1000000));
        GT_ASSERT_OK(rc);
    }
}

static void live_exact(void) {
    size_t base = gt_baseline();
    long per = gt_n(500, 100) / SPAWNERS, rounds = gt_n(6, 3);
    int nparked = 20;
    goc_chan *ch = goc_chan_make(sizeof(int), 0);
    GT_ASSERT_NOT_NULL(ch);
    for (int i = 0; i < nparked; i++) GT_ASSERT_OK(goc_go(parked, ch));
    size_t floor = base + (size_t)nparked;
    /* Static and never freed: in Go's memory model (the precise TSan build)
     * the registry orders nothing (neither does goleak), so the root may
     * not free or reuse memory a finisher touched; the check below is on
     * the values (atomics), made before the finishers are joined by
     * anything. Reachable from a static, so no LSan report. */
    static struct finisher_set s;
    if (!s.done) s.done = calloc((size_t)(per * SPAWNERS), sizeof(atomic_int));
    GT_ASSERT_NOT_NULL(s.done);
    s.per = per;
    long polls = 0;
    for (long r = 0; r < rounds; r++) {
        for (long i = 0; i < per * SPAWNERS; i++) atomic_store_explicit(&s.done[i], 0, memory_order_relaxed);
        for (long k = 0; k < SPAWNERS; k++) {
            struct fin_arg *a = malloc(sizeof *a);
            GT_ASSERT_NOT_NULL(a);
            *a = (struct fin_arg){&s, k};
            GT_ASSERT_OK(goc_go(fin_spawner, a));
        }
        goc_time end = goc_deadline(10000000000LL);
        size_t live;
        while ((live = goc_tasks_live()) > floor) {
            polls++;
            GT_ASSERT_MSG(goc_now() < end, "round %ld: %zu live tasks after 10 s, expected %zu", r, live,
                          floor);
            if (polls % 16 == 0) goc_yield();
        }
        GT_ASSERT_MSG(live == floor, "round %ld: goc_tasks_live() = %zu below %zu (undercount)", r, live,
                      floor);
        for (long i = 0; i < per * SPAWNERS; i++)
            GT_ASSERT_MSG(atomic_load_explicit(&s.done[i], memory_order_relaxed) == 1,
                          "round %ld: task %ld not finished while goc_tasks_live() no longer counts it",
                          r, i);
    }
    gt_note("ST13 live_exact: %ld rounds of %ld tasks, %ld polls", rounds, per * SPAWNERS, polls);
    GT_ASSERT_OK(goc_chan_close(ch));
    gt_check_no_leaks(base, 10000000000LL, "closing the parked tasks' channel");
    goc_chan_free(ch);
}

/* ----------------------------------------------------- report_exact -- */

struct report_stats {
    size_t tasks, parked;
};

/* Parses one report; fails on a malformed or mixed line or a duplicate id. */
static struct report_stats check_report(char *buf) {
    struct report_stats st = {0, 0};
    size_t cap = 1024, nids = 0;
    unsigned long long *ids = malloc(cap * sizeof *ids);
    GT_ASSERT_NOT_NULL(ids);
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "  task ", 7) != 0) continue;
        unsigned long long id;
        char fn[64], file[256];
        int ln;
        GT_ASSERT_MSG(sscanf(line, "  task %llu %63[^(]() spawned at %255[^:]:%d", &id, fn, file, &ln) == 4,
                      "malformed report line: %s", line);
        bool a = strcmp(fn, "churn_a") == 0, b = strcmp(fn, "churn_b") == 0;
        if (a || b || strncmp(file, "st13_site_", 10) == 0 || ln == 1111 || ln == 2222)
            GT_ASSERT_MSG((a && strcmp(file, "st13_site_a") == 0 && ln == 1111) ||
                              (b && strcmp(file, "st13_site_b") == 0 && ln == 2222),
                          "report line mixes two spawns: %s", line);
        if (strcmp(fn, "parked") == 0) st.parked++;
        for (size_t i = 0; i < nids; i++) GT_ASSERT_MSG(ids[i] != id, "task id %llu listed twice", id);
        if (nids == cap) {
            ids = realloc(ids, (cap *= 2) * sizeof *ids);
            GT_ASSERT_NOT_NULL(ids);
        }
        ids[nids++] = id;
        st.tasks++;
    }
    free(ids);
    return st;
}

static struct report_stats one_report(void) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    GT_ASSERT_NOT_NULL(f);
    goc_tasks_report(f);
    fclose(f);
    struct report_stats st = check_report(buf);
    free(buf);
    return st;
}

static void report_exact(void) {
    size_t base = gt_baseline();
    int nparked = 16;
    goc_chan *ch = goc_chan_make(sizeof(int), 0);
    GT_ASSERT_NOT_NULL(ch);
    for (int i = 0; i < nparked; i++) GT_ASSERT_OK(goc_go(parked, ch));
    struct churn c;
    churn_start(&c, SPAWNERS);
    /* at least `reports` reports and 200 churn spawns (thread backends
     * spawn slowly), at most 5 s */
    long reports = gt_n(300, 40), i;
    size_t most = 0;
    goc_time end = goc_deadline(5000000000LL);
    for (i = 0; i < reports || (atomic_load_explicit(&c.spawned, memory_order_relaxed) < 200 &&
                                goc_now() < end);
         i++) {
        struct report_stats st = one_report();
        GT_ASSERT_MSG(st.parked == (size_t)nparked, "report %ld lists %zu parked tasks, %d are live", i,
                      st.parked, nparked);
        GT_ASSERT_MSG(st.tasks >= base + (size_t)nparked, "report %ld lists %zu tasks, at least %zu live", i,
                      st.tasks, base + (size_t)nparked);
        if (st.tasks > most) most = st.tasks;
        if (i % 4 == 0) goc_yield();
    }
    churn_stop(&c);
    gt_note("ST13 report_exact: %ld reports, %ld churn tasks, up to %zu tasks listed", i,
            atomic_load_explicit(&c.spawned, memory_order_relaxed), most);
    /* quiet now: the report lists exactly the live tasks */
    gt_check_no_leaks(base + (size_t)nparked, 10000000000LL, "joining the churn");
    struct report_stats st = one_report();
    GT_ASSERT_UEQ(st.tasks, goc_tasks_live());
    GT_ASSERT_UEQ(st.tasks, base + (size_t)nparked);
    GT_ASSERT_UEQ(st.parked, (size_t)nparked);
    GT_ASSERT_OK(goc_chan_close(ch));
    gt_check_no_leaks(base, 10000000000LL, "closing the parked tasks' channel");
    goc_chan_free(ch);
    st = one_report();
    GT_ASSERT_UEQ(st.tasks, base);
    GT_ASSERT_UEQ(st.parked, 0);
}

static void all(void) {
    gt_run("live_exact", live_exact);
    gt_run("report_exact", report_exact);
}

GT_MAIN(all)
