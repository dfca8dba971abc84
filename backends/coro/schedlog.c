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
 * count the dump read (not printed); the dump first closes the log (no
 * new appends), copies each ring and keeps only the slots that the count
 * read after the copy says no late append could have reached. A task's
 * name is copied into a table of its worker at its first switch-in, so the
 * dump never follows a pointer that a task's spawner handed in.
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

static const char *tlog_path;   /* set once at start (a copy of the variable's value) */
static goc_time tlog_ns0;       /* the clock at start */
static uint64_t tlog_tsc0;      /* the TSC at start (x86-64) */
static _Atomic bool tlog_closed; /* the dump has begun: append nothing more */

static const char *const ev_name[CORO_EV_N] = {
    [CORO_EV_IN] = "in",         [CORO_EV_OUT] = "out",       [CORO_EV_STEAL] = "steal",
    [CORO_EV_STEAL_RN] = "steal_rn", [CORO_EV_REFUSE] = "refuse", [CORO_EV_WATCH] = "watch",
    [CORO_EV_SPIN] = "spin",     [CORO_EV_PARK] = "park",     [CORO_EV_UNPARK] = "unpark",
    [CORO_EV_WAKE] = "wake",     [CORO_EV_GLOBAL] = "global",
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

/* Owner: maps n zeroed bytes (demand-paged), or NULL after marking w failed. */
static void *tlog_map(coro_worker *w, size_t n) {
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) return p;
    w->tlog_failed = true;
    return NULL;
}

void coro_tlog_put(coro_worker *w, int ev, uint32_t who, unsigned arg) {
    if (GOC_UNLIKELY(!w->tlog)) {
        if (w->tlog_failed || !(w->tlog = tlog_map(w, (size_t)CORO_TLOG_CAP * sizeof(coro_tev))))
            return;
    }
    if (atomic_load_explicit(&tlog_closed, memory_order_relaxed)) return;
    uint64_t n = atomic_load_explicit(&w->tlog_n, memory_order_relaxed);
    coro_tev *e = &w->tlog[n % CORO_TLOG_CAP];
    uint16_t cpu;
    e->ts = tlog_stamp(&cpu);
    e->who = who;
    e->cpu = cpu;
    e->ev = (uint8_t)ev;
    e->arg = (uint8_t)(arg > 255 ? 255 : arg);
    /* release: the event's bytes before the count (the dump's acquire) */
    atomic_store_explicit(&w->tlog_n, n + 1, memory_order_release);
}

void coro_tlog_name(coro_worker *w, uint32_t id, const char *name) {
    if (GOC_UNLIKELY(!w->tnames)) {
        if (w->tlog_failed || !(w->tnames = tlog_map(w, (size_t)CORO_TNAME_CAP * sizeof(coro_tname))))
            return;
    }
    uint32_t n = atomic_load_explicit(&w->tnames_n, memory_order_relaxed);
    if (n >= CORO_TNAME_CAP || atomic_load_explicit(&tlog_closed, memory_order_relaxed)) return;
    coro_tname *t = &w->tnames[n];
    t->id = id;
    /* one field of the line: no blanks, never empty */
    size_t k = 0;
    for (const char *c = name && *name ? name : "?"; *c && k < sizeof t->name - 1; c++, k++)
        t->name[k] = *c == ' ' || *c == '\n' || *c == '\t' ? '_' : *c;
    t->name[k] = 0;
    atomic_store_explicit(&w->tnames_n, n + 1, memory_order_release);
}

static void tlog_dump(void) {
    atomic_store_explicit(&tlog_closed, true, memory_order_relaxed);
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
               "victim worker, steal arg = tasks, refuse arg = 1 talk, 2 drain, 3 lone, 4 empty; "
               "wake: who = worker woken; global: arg = tasks (255: 255 or more); spread: who = "
               "the CPU moved to; name: who = task id, then its function)\n");
    coro_tev *copy = malloc((size_t)CORO_TLOG_CAP * sizeof(coro_tev));
    for (int i = 0; i < nw; i++) {
        coro_worker *w = &S.w[i];
        uint32_t nn = atomic_load_explicit(&w->tnames_n, memory_order_acquire);
        for (uint32_t k = 0; k < nn; k++)
            fprintf(f, "0 %d 0 name %u 0 %s\n", i, w->tnames[k].id, w->tnames[k].name);
        /* A worker still appending (one that was mid-event when the dump
         * closed the log) may be overwriting the oldest slots of a full
         * ring: copy, then keep only what the count read after the copy
         * says no append could have reached. */
        uint64_t n1 = atomic_load_explicit(&w->tlog_n, memory_order_acquire);
        if (!n1 || !copy) continue;
        uint64_t from = n1 > CORO_TLOG_CAP ? n1 - CORO_TLOG_CAP : 0;
        for (uint64_t k = from; k < n1; k++) copy[k % CORO_TLOG_CAP] = w->tlog[k % CORO_TLOG_CAP];
        uint64_t n2 = atomic_load_explicit(&w->tlog_n, memory_order_acquire);
        if (n2 > CORO_TLOG_CAP + from) from = n2 - CORO_TLOG_CAP;
        for (uint64_t k = from; k < n1; k++) {
            const coro_tev *e = &copy[k % CORO_TLOG_CAP];
            if (e->ev >= CORO_EV_N || !ev_name[e->ev]) continue;
            long long ns = TLOG_TSC ? (long long)(tlog_ns0 + (goc_time)((double)(int64_t)(e->ts - tlog_tsc0) * scale))
                                    : (long long)e->ts;
            fprintf(f, "%lld %d %u %s %u %u\n", ns, i, (unsigned)e->cpu, ev_name[e->ev], e->who,
                    (unsigned)e->arg);
        }
    }
    free(copy);
    if (fclose(f) != 0)
        fprintf(stderr, "goc: GOC_SCHEDLOG=%s: write failed: %s\n", tlog_path, strerror(errno));
}

/* Before the workers start (coro_runtime_start, under start_lock). */
void coro_tlog_start(const char *path) {
    tlog_path = strdup(path);
    if (!tlog_path) return;
    uint16_t cpu;
    tlog_tsc0 = tlog_stamp(&cpu);
    tlog_ns0 = goc_now();
    S.stats = true;
    S.tlog = true;
    atexit(tlog_dump);
}

GOC_RACE_FILE_END
