/*
 * stats.c: GOC_SCHEDSTATS=1, the scheduler's event counts, printed to
 * stderr when the process exits: what each worker ran and where it found
 * the work (its own queue, the global queue, a steal), what the thieves
 * refused and why (runq.c's placement policy), wake-ups and idle parks,
 * and where its time between tasks went: spin_us (finding work, spinning,
 * stealing; not parked), of which watch_us (watching a victim's queue
 * before a steal or a refusal), and parked_us. GOC_SCHEDLOG (schedlog.c)
 * logs the same events with their times. For explaining a benchmark's
 * placement on a many-core machine where no profiler is at hand (the
 * device kit): run one benchmark per process.
 *
 * The counters are per worker and owner-only (coro_sched.h stat()); off,
 * each costs a load of S.stats and a predictable branch. The printout reads
 * them with relaxed loads after the benchmark's last goc_main returned; a
 * worker still counting then (it parks after its spin) makes a total a
 * hint, not a snapshot.
 */
#include <stdio.h>
#include <stdlib.h>

#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */
#include "coro_sched.h"

static const char *const st_name[ST_NSTAT] = {
    [ST_RUN] = "run",           [ST_DIRECT] = "direct",       [ST_LOCAL] = "local",
    [ST_GLOBAL] = "global",     [ST_STEALS] = "steals",       [ST_STOLEN] = "stolen",
    [ST_STEAL_RN] = "steal_rn", [ST_REF_TALK] = "ref_talk",   [ST_REF_CHAT] = "ref_chat",
    [ST_REF_DRAIN] = "ref_drain", [ST_TALK_STEAL] = "talk_steal", [ST_WAKES] = "wakes",
    [ST_PARKS] = "parks",       [ST_READY_Q] = "ready_q",     [ST_REF_LONE] = "ref_lone",
    [ST_CHSPIN] = "chspin",     [ST_CHSPIN_WON] = "chspin_won", [ST_PREEMPT] = "preempt",
    [ST_SPIN_NS] = "spin_us", [ST_PARKED_NS] = "parked_us",
    [ST_WATCH_NS] = "watch_us", [ST_SPREAD] = "spread",         [ST_REF_STREAK] = "ref_streak",
};

/* The time columns count ns and print us. */
static uint64_t shown(int k, uint64_t v) {
    return k == ST_SPIN_NS || k == ST_PARKED_NS || k == ST_WATCH_NS ? v / 1000 : v;
}

static void stats_print(void) {
    int n = coro_nw();
    uint64_t tot[ST_NSTAT] = {0};
    fprintf(stderr, "goc schedstats: %d workers (GOC_PROCS=%d)\n", n, S.nprocs);
    fprintf(stderr, "%-6s", "worker");
    for (int k = 0; k < ST_NSTAT; k++) fprintf(stderr, " %10s", st_name[k]);
    fputc('\n', stderr);
    for (int i = 0; i < n; i++) {
        uint64_t v[ST_NSTAT], any = 0;
        for (int k = 0; k < ST_NSTAT; k++) {
            v[k] = atomic_load_explicit(&S.w[i].st[k], memory_order_relaxed);
            tot[k] += v[k];
            any |= v[k];
        }
        if (!any) continue;
        fprintf(stderr, "w%-5d", i);
        for (int k = 0; k < ST_NSTAT; k++) fprintf(stderr, " %10llu", (unsigned long long)shown(k, v[k]));
        fputc('\n', stderr);
    }
    fprintf(stderr, "%-6s", "total");
    for (int k = 0; k < ST_NSTAT; k++) fprintf(stderr, " %10llu", (unsigned long long)shown(k, tot[k]));
    fputc('\n', stderr);
}

/* Before the workers start (coro_runtime_start, under start_lock). */
void coro_stats_start(void) {
    S.stats = true;
    atexit(stats_print);
}

GOC_RACE_FILE_END
