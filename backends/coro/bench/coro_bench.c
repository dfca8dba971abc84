/*
 * coro_bench: quick standalone measurements of the coro runtime's costs,
 * named after the targets (Go 1.19 on the 2-core reference machine,
 * GOMAXPROCS=2, in ns: ping-pong 257, spawn+join 300, SPSC cap 1024 44/msg,
 * Select2Ready 67, select with a time.After timeout 790). Every benchmark
 * checks its own answer and exits non-zero on a wrong one.
 *
 *   coro_bench [filter]         all benchmarks whose name contains filter
 *   coro_bench parked [N]       N tasks parked on one channel each: spawn
 *                               time and resident bytes per parked task
 * Build: the coro_bench-<backend> targets; run with GOC_PROCS=1/2.
 */
#include <goc/goc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *filter;
static int failed;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "coro_bench: check failed: %s (line %d)\n", #cond, __LINE__); \
            failed = 1;                                                             \
        }                                                                           \
    } while (0)

/* Process CPU time: on a loaded machine wall time also counts the time the
 * OS ran other processes; CPU ns/op is the runtime's own cost (all threads). */
static goc_time cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (goc_time)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
static goc_time cpu0;
static void report(const char *name, long ops, goc_time ns) {
    goc_time c = cpu_ns() - cpu0;
    printf("%-22s %-8s %10ld ops %10.1f ns/op wall %10.1f ns/op cpu\n", name, goc_backend_name(), ops,
           (double)ns / (double)ops, (double)c / (double)ops);
    fflush(stdout);
}
static int want(const char *name) { return !filter || strstr(name, filter); }

/* ---------------------------------------------------------- ping-pong -- */
struct pp {
    goc_chan *a, *b;
    long n;
};
static void ponger(void *p) {
    struct pp *x = p;
    int64_t v;
    for (long i = 0; i < x->n; i++) {
        goc_chan_recv(x->a, &v, GOC_NEVER);
        v++;
        goc_chan_send(x->b, &v, GOC_NEVER);
    }
}
static void bench_pingpong(long n) {
    struct pp x = {goc_chan_make(8, 0), goc_chan_make(8, 0), n};
    goc_go(ponger, &x);
    int64_t v = 0;
    cpu0 = cpu_ns();
    goc_time t0 = goc_now();
    for (long i = 0; i < n; i++) {
        goc_chan_send(x.a, &v, GOC_NEVER);
        goc_chan_recv(x.b, &v, GOC_NEVER);
    }
    goc_time t1 = goc_now();
    CHECK(v == n);
    report("PingPong(roundtrip)", n, t1 - t0);
    while (goc_tasks_live() > 1) goc_yield();
    goc_chan_free(x.a);
    goc_chan_free(x.b);
}

/* -------------------------------------------------------- spawn + join -- */
static atomic_long ran;
static void joinee(void *p) {
    atomic_fetch_add_explicit(&ran, 1, memory_order_relaxed);
    goc_wg_done(p);
}
static void bench_spawn(long n) {
    goc_wg *wg = goc_wg_make();
    atomic_store(&ran, 0);
    for (long i = 0; i < 1000; i++) { /* warm the stack pool */
        goc_wg_add(wg, 1);
        goc_go(joinee, wg);
        goc_wg_wait(wg, GOC_NEVER);
    }
    cpu0 = cpu_ns();
    goc_time t0 = goc_now();
    for (long i = 0; i < n; i++) {
        goc_wg_add(wg, 1);
        goc_go(joinee, wg);
        goc_wg_wait(wg, GOC_NEVER);
    }
    goc_time t1 = goc_now();
    CHECK(atomic_load(&ran) == n + 1000);
    report("SpawnJoin", n, t1 - t0);
    goc_wg_free(wg);
}

/* --------------------------------------------------------------- yield -- */
static void yielder(void *p) {
    long n = *(long *)p;
    for (long i = 0; i < n; i++) goc_yield();
}
static void bench_yield(long n) {
    goc_go(yielder, &n);
    cpu0 = cpu_ns();
    goc_time t0 = goc_now();
    for (long i = 0; i < n; i++) goc_yield();
    goc_time t1 = goc_now();
    report("Yield(2 tasks)", 2 * n, t1 - t0);
    while (goc_tasks_live() > 1) goc_yield();
}

/* ---------------------------------------------------------------- SPSC -- */
struct spsc {
    goc_chan *c;
    long n;
};
static void producer(void *p) {
    struct spsc *x = p;
    for (int64_t i = 0; i < x->n; i++) goc_chan_send(x->c, &i, GOC_NEVER);
}
static void bench_spsc(long n) {
    struct spsc x = {goc_chan_make(8, 1024), n};
    goc_go(producer, &x);
    int64_t v, sum = 0;
    cpu0 = cpu_ns();
    goc_time t0 = goc_now();
    for (long i = 0; i < n; i++) {
        goc_chan_recv(x.c, &v, GOC_NEVER);
        sum += v;
    }
    goc_time t1 = goc_now();
    CHECK(sum == (int64_t)n * (n - 1) / 2);
    report("SPSC(cap1024)", n, t1 - t0);
    while (goc_tasks_live() > 1) goc_yield();
    goc_chan_free(x.c);
}

/* ------------------------------------------------------------- selects -- */
static void bench_select2ready(long n) {
    goc_chan *a = goc_chan_make(8, 1), *b = goc_chan_make(8, 1);
    int64_t v = 1, r;
    long hits[2] = {0, 0};
    cpu0 = cpu_ns();
    goc_time t0 = goc_now();
    for (long i = 0; i < n; i++) {
        goc_chan_send(a, &v, GOC_NOW);
        goc_chan_send(b, &v, GOC_NOW);
        goc_case cs[2] = {{a, GOC_RECV, &r, 0}, {b, GOC_RECV, &r, 0}};
        int k = goc_select(cs, 2, GOC_NEVER);
        hits[k]++;
        goc_chan_recv(k ? a : b, &r, GOC_NOW); /* drain the other */
    }
    goc_time t1 = goc_now();
    CHECK(hits[0] + hits[1] == n && hits[0] > n / 3 && hits[1] > n / 3);
    report("Select2Ready(+2 sends)", n, t1 - t0);
    goc_chan_free(a);
    goc_chan_free(b);
}
static void bench_select_timeout(long n) {
    struct spsc x = {goc_chan_make(8, 0), n};
    goc_go(producer, &x);
    int64_t v, sum = 0;
    cpu0 = cpu_ns();
    goc_time t0 = goc_now();
    for (long i = 0; i < n; i++) {
        goc_chan *after = goc_after(1000000000);
        goc_case cs[2] = {{x.c, GOC_RECV, &v, 0}, {after, GOC_RECV, NULL, 0}};
        int k = goc_select(cs, 2, GOC_NEVER);
        CHECK(k == 0);
        sum += v;
        goc_chan_free(after);
    }
    goc_time t1 = goc_now();
    CHECK(sum == (int64_t)n * (n - 1) / 2);
    report("SelectTimeout(After)", n, t1 - t0);
    while (goc_tasks_live() > 1) goc_yield();
    goc_chan_free(x.c);
}
static void bench_select_deadline(long n) {
    struct spsc x = {goc_chan_make(8, 0), n};
    goc_go(producer, &x);
    int64_t v, sum = 0;
    cpu0 = cpu_ns();
    goc_time t0 = goc_now();
    for (long i = 0; i < n; i++) {
        goc_case cs[1] = {{x.c, GOC_RECV, &v, 0}};
        CHECK(goc_select(cs, 1, goc_deadline(1000000000)) == 0);
        sum += v;
    }
    goc_time t1 = goc_now();
    CHECK(sum == (int64_t)n * (n - 1) / 2);
    report("SelectDeadline", n, t1 - t0);
    while (goc_tasks_live() > 1) goc_yield();
    goc_chan_free(x.c);
}

/* ------------------------------------------------------ parked tasks -- */
static long rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
        fclose(f);
    }
    return res * sysconf(_SC_PAGESIZE);
}
static void parked(void *p) {
    int64_t v;
    goc_chan_recv(p, &v, GOC_NEVER);
}
static long parked_n;
static void bench_parked(void) {
    long n = parked_n;
    goc_chan **cs = malloc((size_t)n * sizeof *cs);
    for (long i = 0; i < n; i++) cs[i] = goc_chan_make(8, 0);
    long r0 = rss_bytes();
    cpu0 = cpu_ns();
    goc_time t0 = goc_now();
    for (long i = 0; i < n; i++)
        if (goc_go(parked, cs[i]) != 0) {
            fprintf(stderr, "spawn %ld failed\n", i);
            failed = 1;
            n = i;
            break;
        }
    while (goc_tasks_live() < (size_t)n + 1) goc_yield();
    /* wait until all are parked: a full pass of the run queues */
    for (int i = 0; i < 3; i++) goc_sleep(goc_deadline(50000000));
    goc_time t1 = goc_now();
    long r1 = rss_bytes();
    printf("Parked                 %-8s %10ld tasks spawn+park %.2f s (%.0f ns/task), %.0f bytes resident per parked task\n",
           goc_backend_name(), n, (t1 - t0 - 150000000) / 1e9, (double)(t1 - t0 - 150000000) / n,
           (double)(r1 - r0) / n);
    for (long i = 0; i < n; i++) {
        int64_t v = i;
        goc_chan_send(cs[i], &v, GOC_NEVER);
    }
    while (goc_tasks_live() > 1) goc_sleep(goc_deadline(1000000));
    for (long i = 0; i < n; i++) goc_chan_free(cs[i]);
    free(cs);
}

static void root(void *p) {
    (void)p;
    if (filter && !strcmp(filter, "parked")) {
        bench_parked();
        return;
    }
    if (want("PingPong")) bench_pingpong(200000);
    if (want("SpawnJoin")) bench_spawn(200000);
    if (want("Yield")) bench_yield(500000);
    if (want("SPSC")) bench_spsc(2000000);
    if (want("Select2Ready")) bench_select2ready(500000);
    if (want("SelectTimeout")) bench_select_timeout(100000);
    if (want("SelectDeadline")) bench_select_deadline(100000);
}

int main(int argc, char **argv) {
    if (argc > 1) filter = argv[1];
    parked_n = argc > 2 ? atol(argv[2]) : 100000;
    int rc = goc_main(root, NULL);
    if (rc) fprintf(stderr, "goc_main: %d\n", rc);
    return rc || failed;
}
