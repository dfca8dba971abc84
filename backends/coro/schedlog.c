/*
 * schedlog.c: GOC_SCHEDLOG=FILE, the scheduler's event log. Each worker
 * appends what it does (a task switched in or out, a thief's watch and its
 * outcome, a steal, a spin, an idle park, a wake-up) with a timestamp and
 * the CPU it ran on to a buffer of its own; when the process exits the
 * buffers go to FILE as text, one event per line, for
 * harness/schedlog.py, which tells where a worker's time went between tasks
 * (spinning, watching a victim, parked), which tasks migrated, and whether
 * two workers shared a CPU. Counts (GOC_SCHEDSTATS) say how often; the log
 * says when, and what the other workers did meanwhile: for example a
 * thief idle for 4 ms because the OS ran it on its victim's CPU.
 *
 * Cost: off, nothing beyond GOC_SCHEDSTATS's branch (the log needs S.stats
 * on, and every log point sits behind that flag; the direct switch logs
 * inside the branch that counts it). On, ~20-40 ns per event (rdtscp on
 * x86-64, else the clock and getcpu), ~2 events per switch: it slows a
 * benchmark whose tasks switch every few hundred ns by a few per cent, so
 * compare logged runs with logged runs.
 *
 * Memory: CORO_TLOG_CAP events of 16 bytes per worker (16 MiB of address
 * space, mapped by the worker at its first event, resident as written); a
 * worker that logs more keeps its last CORO_TLOG_CAP (the dump says how many
 * were dropped).
 *
 * Concurrency: a worker's buffer and count are written by that worker only
 * (tlog_n: a release store after the event's bytes, which the exit dump's
 * acquire load pairs with). The dump runs at exit, after the benchmark's
 * last goc_main returned; a worker still spinning then may append past the
 * count the dump read (not printed) or, once it has wrapped, overwrite the
 * oldest event while it is printed (a torn first line, flagged by the
 * analyser's sanity checks, not a crash).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */
#include "coro_sched.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#define TLOG_TSC 1
#else
#define TLOG_TSC 0
#endif

static const char *tlog_path;   /* set once at start */
static goc_time tlog_ns0;       /* the clock at start */
static uint64_t tlog_tsc0;      /* the TSC at start (x86-64) */

static const char *const ev_name[CORO_EV_N] = {
    [CORO_EV_IN] = "in",         [CORO_EV_OUT] = "out",       [CORO_EV_STEAL] = "steal",
    [CORO_EV_STEAL_RN] = "steal_rn", [CORO_EV_REFUSE] = "refuse", [CORO_EV_WATCH] = "watch",
    [CORO_EV_SPIN] = "spin",     [CORO_EV_PARK] = "park",     [CORO_EV_UNPARK] = "unpark",
    [CORO_EV_WAKE] = "wake",     [CORO_EV_GLOBAL] = "global", [CORO_EV_NAME] = "name",
    [CORO_EV_SPREAD] = "spread",
};

static inline uint64_t tlog_stamp(uint16_t *cpu) {
#if TLOG_TSC
    unsigned aux;
    uint64_t t = __rdtscp(&aux);
    *cpu = (uint16_t)(aux & 0xfff); /* Linux: node << 12 | cpu */
    return t;
#else
    int c = sched_getcpu();
    *cpu = (uint16_t)(c < 0 ? 0xffff : c);
    return (uint64_t)goc_now();
#endif
}

void coro_tlog_put(coro_worker *w, int ev, uint32_t who, unsigned arg, uint64_t raw) {
    if (GOC_UNLIKELY(!w->tlog)) {
        if (w->tlog_failed) return;
        void *p = mmap(NULL, (size_t)CORO_TLOG_CAP * sizeof(coro_tev), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            w->tlog_failed = true;
            return;
        }
        w->tlog = p;
    }
    uint64_t n = atomic_load_explicit(&w->tlog_n, memory_order_relaxed);
    coro_tev *e = &w->tlog[n % CORO_TLOG_CAP];
    uint16_t cpu;
    uint64_t ts = tlog_stamp(&cpu);
    e->ts = ev == CORO_EV_NAME ? raw : ts;
    e->who = who;
    e->cpu = cpu;
    e->ev = (uint8_t)ev;
    e->arg = (uint8_t)(arg > 255 ? 255 : arg);
    /* release: the event's bytes before the count (the dump's acquire) */
    atomic_store_explicit(&w->tlog_n, n + 1, memory_order_release);
}

/* Text of a task's function name for one field: no spaces, not empty. */
static void put_name(FILE *f, const char *s) {
    if (!s || !*s) s = "?";
    for (; *s; s++) fputc(*s == ' ' || *s == '\n' || *s == '\t' ? '_' : *s, f);
}

static void tlog_dump(void) {
    FILE *f = fopen(tlog_path, "w");
    if (!f) {
        fprintf(stderr, "goc: GOC_SCHEDLOG=%s: cannot write: %s\n", tlog_path, strerror(errno));
        return;
    }
    uint16_t cpu;
    uint64_t tsc1 = tlog_stamp(&cpu);
    goc_time ns1 = goc_now();
    /* ns per tick: TSC ticks over the run's clock ns (1 without a TSC) */
    double scale = 1.0;
    if (TLOG_TSC && tsc1 > tlog_tsc0 && ns1 > tlog_ns0)
        scale = (double)(ns1 - tlog_ns0) / (double)(tsc1 - tlog_tsc0);
    int nw = coro_nw();
    uint64_t dropped = 0;
    for (int i = 0; i < nw; i++) {
        uint64_t n = atomic_load_explicit(&S.w[i].tlog_n, memory_order_acquire);
        if (n > CORO_TLOG_CAP) dropped += n - CORO_TLOG_CAP;
    }
    fprintf(f, "# goc schedlog 1: workers %d procs %d dropped %llu\n", nw, S.nprocs,
            (unsigned long long)dropped);
    fprintf(f, "# ns worker cpu event who arg (in: who = task id, arg 1 = direct switch, +128 = "
               "root; out: arg = 1 yield, 2 park, 3 exit; steal/steal_rn/refuse/watch: who = "
               "victim worker, steal arg = tasks, refuse arg = 1 talk, 2 drain, 3 lone, 4 empty; wake: "
               "who = worker woken; global: arg = tasks; spread: who = the CPU moved to; name: who = task id, then its function)\n");
    for (int i = 0; i < nw; i++) {
        coro_worker *w = &S.w[i];
        uint64_t n = atomic_load_explicit(&w->tlog_n, memory_order_acquire);
        uint64_t k = n > CORO_TLOG_CAP ? n - CORO_TLOG_CAP : 0;
        for (; k < n; k++) {
            const coro_tev *e = &w->tlog[k % CORO_TLOG_CAP];
            if (e->ev >= CORO_EV_N || !ev_name[e->ev]) continue;
            if (e->ev == CORO_EV_NAME) {
                fprintf(f, "0 %d 0 name %u 0 ", i, e->who);
                put_name(f, (const char *)(uintptr_t)e->ts);
                fputc('\n', f);
                continue;
            }
            long long ns = TLOG_TSC ? (long long)(tlog_ns0 + (goc_time)((double)(int64_t)(e->ts - tlog_tsc0) * scale))
                                    : (long long)e->ts;
            fprintf(f, "%lld %d %u %s %u %u\n", ns, i, (unsigned)e->cpu, ev_name[e->ev], e->who,
                    (unsigned)e->arg);
        }
    }
    if (fclose(f) != 0)
        fprintf(stderr, "goc: GOC_SCHEDLOG=%s: write failed: %s\n", tlog_path, strerror(errno));
}

/* Before the workers start (coro_runtime_start, under start_lock). */
void coro_tlog_start(const char *path) {
    tlog_path = path;
    uint16_t cpu;
    tlog_tsc0 = tlog_stamp(&cpu);
    tlog_ns0 = goc_now();
    S.stats = true;
    S.tlog = true;
    atexit(tlog_dump);
}

GOC_RACE_FILE_END
