/*
 * lf_bench: a small standalone timing program for the lockfree backend's
 * issue targets (not a test, not the harness; harness/ has the real
 * catalogue). Built per backend (lf_bench-lockfree, lf_bench-pthread), so
 * the same source measures both.
 *
 *   lf_bench [reps] [msgs]
 *
 * Workloads (8-byte messages, channels made outside the timed region):
 *   spsc_capN     one sender, one receiver, N messages through cap N
 *   mpmc4x4_cap128 four senders, four receivers
 *   pingpong0     unbuffered round trip (two messages per op)
 *   bare_ring1024 a bare Vyukov ring (spin, no blocking, no close) SPSC, the
 *                 floor the issue compares against
 * Every workload checks the sum of what was received and exits 1 on a
 * mismatch. Prints one line per workload: name backend median_ns/op min max.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goc/goc.h"
#include "bare_ring.h"

static long g_msgs = 2000000;

typedef struct {
    goc_chan *ch;
    long n;
    int64_t sum;
    goc_wg *wg;
} part;

static void sender(void *p) {
    part *a = p;
    for (int64_t i = 1; i <= a->n; i++)
        if (goc_chan_send(a->ch, &i, GOC_NEVER)) {
            fprintf(stderr, "send failed\n");
            exit(1);
        }
    goc_wg_done(a->wg);
}
static void receiver(void *p) {
    part *a = p;
    int64_t v, s = 0;
    for (long i = 0; i < a->n; i++) {
        if (goc_chan_recv(a->ch, &v, GOC_NEVER)) {
            fprintf(stderr, "recv failed\n");
            exit(1);
        }
        s += v;
    }
    a->sum = s;
    goc_wg_done(a->wg);
}

/* np producers and nc consumers over one channel of capacity cap */
static double run_mpmc(int np, int nc, size_t cap, long msgs) {
    goc_chan *ch = goc_chan_make(8, cap);
    goc_wg *wg = goc_wg_make();
    part ps[8], cs[8];
    long per_p = msgs / np, per_c = per_p * np / nc;
    goc_wg_add(wg, np + nc);
    goc_time t0 = goc_now();
    for (int i = 0; i < nc; i++) {
        cs[i] = (part){ch, per_c, 0, wg};
        goc_go(receiver, &cs[i]);
    }
    for (int i = 0; i < np; i++) {
        ps[i] = (part){ch, per_p, 0, wg};
        goc_go(sender, &ps[i]);
    }
    goc_wg_wait(wg, GOC_NEVER);
    goc_time t1 = goc_now();
    int64_t sum = 0, want = (int64_t)np * per_p * (per_p + 1) / 2;
    for (int i = 0; i < nc; i++) sum += cs[i].sum;
    if (sum != want) {
        fprintf(stderr, "mpmc %dx%d cap %zu: sum %lld, want %lld\n", np, nc, cap, (long long)sum,
                (long long)want);
        exit(1);
    }
    goc_chan_free(ch);
    goc_wg_free(wg);
    while (goc_tasks_live() > 1) goc_yield();
    return (double)(t1 - t0) / (double)(per_p * np);
}

typedef struct {
    goc_chan *a, *b;
    long n;
    goc_wg *wg;
} pp;
static void ponger(void *p) {
    pp *x = p;
    int64_t v;
    for (long i = 0; i < x->n; i++) {
        goc_chan_recv(x->a, &v, GOC_NEVER);
        v++;
        goc_chan_send(x->b, &v, GOC_NEVER);
    }
    goc_wg_done(x->wg);
}
static double run_pingpong(long n) {
    pp x = {goc_chan_make(8, 0), goc_chan_make(8, 0), n, goc_wg_make()};
    goc_wg_add(x.wg, 1);
    goc_go(ponger, &x);
    int64_t v = 0;
    goc_time t0 = goc_now();
    for (long i = 0; i < n; i++) {
        goc_chan_send(x.a, &v, GOC_NEVER);
        goc_chan_recv(x.b, &v, GOC_NEVER);
    }
    goc_time t1 = goc_now();
    if (v != n) {
        fprintf(stderr, "pingpong: %lld, want %ld\n", (long long)v, n);
        exit(1);
    }
    goc_wg_wait(x.wg, GOC_NEVER);
    goc_chan_free(x.a);
    goc_chan_free(x.b);
    goc_wg_free(x.wg);
    while (goc_tasks_live() > 1) goc_yield();
    return (double)(t1 - t0) / (double)n;
}

/* ---- a bare Vyukov ring: spin only (the "bare ring" floor; the
 * same ring as the micro catalogue's BareRing/cap:1024) ---- */
#define BR_CAP 1024
static bare_ring br;
static long br_n;
static int64_t br_sum;
static goc_wg *br_wg;
static void br_sender(void *p) {
    (void)p;
    for (int64_t i = 1; i <= br_n; i++) br_send(&br, (uint64_t)i);
    goc_wg_done(br_wg);
}
static double run_bare(long n) {
    if (br_init(&br, BR_CAP)) {
        fprintf(stderr, "bare ring: out of memory\n");
        exit(1);
    }
    br_n = n;
    br_wg = goc_wg_make();
    goc_wg_add(br_wg, 1);
    goc_time t0 = goc_now();
    goc_go(br_sender, NULL);
    int64_t s = 0;
    for (long i = 0; i < n; i++) s += (int64_t)br_recv(&br);
    goc_time t1 = goc_now();
    goc_wg_wait(br_wg, GOC_NEVER);
    goc_wg_free(br_wg);
    br_destroy(&br);
    br_sum = s;
    if (s != (int64_t)n * (n + 1) / 2) {
        fprintf(stderr, "bare ring: bad sum\n");
        exit(1);
    }
    while (goc_tasks_live() > 1) goc_yield();
    return (double)(t1 - t0) / (double)n;
}

static int reps = 5;

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static void report(const char *name, double *v) {
    qsort(v, (size_t)reps, sizeof *v, cmpd);
    printf("%-16s %-9s %8.1f ns/op  (min %.1f max %.1f, %d reps)\n", name, goc_backend_name(), v[reps / 2],
           v[0], v[reps - 1], reps);
    fflush(stdout);
}

static void bench_main(void *arg) {
    (void)arg;
    double v[64];
    const char *only = getenv("LF_BENCH");
#define RUN(name, expr)                                                 \
    if (!only || strstr(name, only)) {                                  \
        for (int r = 0; r < reps; r++) v[r] = (expr);                   \
        report(name, v);                                                \
    }
    RUN("bare_ring1024", run_bare(g_msgs));
    RUN("spsc_cap1024", run_mpmc(1, 1, 1024, g_msgs));
    RUN("spsc_cap16", run_mpmc(1, 1, 16, g_msgs));
    RUN("spsc_cap1", run_mpmc(1, 1, 1, g_msgs / 4));
    RUN("mpmc4x4_cap128", run_mpmc(4, 4, 128, g_msgs));
    RUN("pingpong0", run_pingpong(g_msgs / 10));
}

int main(int argc, char **argv) {
    if (argc > 1) reps = atoi(argv[1]);
    if (argc > 2) g_msgs = atol(argv[2]);
    if (reps < 1 || reps > 64 || g_msgs < 100) {
        fprintf(stderr, "usage: lf_bench [reps 1-64] [msgs >= 100]\n");
        return 2;
    }
    return goc_main(bench_main, NULL) ? 1 : 0;
}
