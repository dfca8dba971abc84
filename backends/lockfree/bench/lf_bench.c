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
 *   *_b           bare_ring1024 and spsc cap 1024/128 timed per batch of 4096
 *                 messages, one line per rep: the median of the batches in
 *                 which both threads were on a CPU (co-running), split by
 *                 the ring's fill at the batch's start (near empty: below
 *                 cap / 8, the receiver waiting on the slot the sender
 *                 writes; the others), and the fastest tenth of all
 *                 (taking turns); see run_batch
 * Every workload checks the sum of what was received and exits 1 on a
 * mismatch. Prints one line per workload: name backend median_ns/op min max.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* ---- per-batch throughput: what the scheduler left alone ----
 * Both sides stamp the wall clock and their own thread's CPU clock every
 * LF_BATCH messages (more than twice the capacity, so that no batch
 * completes from the ring's contents alone). A batch is "co-running" when
 * both threads were on a CPU for at least 90% of it: its ns per message is
 * the two-cores-at-once cost (cache lines moving between the cores). The
 * fastest tenth of all batches is the other regime a loaded machine gives,
 * the two threads taking turns on the CPUs (each batch then costs the sum
 * of both sides' work). A whole-run time mixes the two with the time a
 * side waits for its partner to be scheduled. */
#define LF_BATCH 4096
static int cmpd(const void *a, const void *b);
/* Sorts v[0..n) and returns its median (0 if n is 0). */
static double median(double *v, long n) {
    qsort(v, (size_t)n, sizeof *v, cmpd);
    return n ? v[n / 2] : 0;
}
typedef struct {
    goc_time *wall, *cpu;
} bt_stamps;
static goc_chan *bt_ch;
static long bt_n;
static bool bt_bare;
static goc_wg *bt_wg;
static bt_stamps bt_snd, bt_rcv;
static size_t *bt_len; /* the receiver's goc_chan_len at each of its stamps */
static double bt_lo, bt_hi; /* co-running medians: near empty, the others (0: none) */
static long bt_nlo;           /* co-running batches near empty */
static goc_time thread_cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (goc_time)t.tv_sec * 1000000000 + t.tv_nsec;
}
static inline void bt_stamp(bt_stamps *st, long i) {
    if (i % LF_BATCH == 0) {
        st->wall[i / LF_BATCH] = goc_now();
        st->cpu[i / LF_BATCH] = thread_cpu();
    }
}
static void bt_sender(void *p) {
    (void)p;
    for (int64_t i = 0; i < bt_n; i++) {
        bt_stamp(&bt_snd, i);
        int64_t v = i + 1;
        if (bt_bare) {
            br_send(&br, (uint64_t)v);
        } else if (goc_chan_send(bt_ch, &v, GOC_NEVER)) {
            fprintf(stderr, "send failed\n");
            exit(1);
        }
    }
    goc_wg_done(bt_wg);
}
/* One run: *corun = median ns/msg of the co-running batches (0 if none),
 * *ncorun their count, returns the fastest tenth of all batches. */
static double run_batch(size_t cap, long n, bool bare, double *corun, long *ncorun) {
    long nb = n / LF_BATCH;
    goc_time *m = calloc((size_t)(nb + 1) * 4, sizeof *m);
    double *d = malloc((size_t)(nb + 1) * sizeof *d);
    if (!m || !d || nb < 3 || (bare ? br_init(&br, cap) != 0 : !(bt_ch = goc_chan_make(8, cap)))) {
        fprintf(stderr, "batch: setup failed (or msgs < %d)\n", 3 * LF_BATCH);
        exit(1);
    }
    bt_len = calloc((size_t)(nb + 1), sizeof *bt_len);
    if (!bt_len) {
        fprintf(stderr, "batch: out of memory\n");
        exit(1);
    }
    bt_snd = (bt_stamps){m, m + nb + 1};
    bt_rcv = (bt_stamps){m + 2 * (nb + 1), m + 3 * (nb + 1)};
    bt_n = nb * LF_BATCH;
    bt_bare = bare;
    bt_wg = goc_wg_make();
    goc_wg_add(bt_wg, 1);
    goc_go(bt_sender, NULL);
    int64_t s = 0, v;
    for (long i = 0; i < bt_n; i++) {
        bt_stamp(&bt_rcv, i);
        if (i % LF_BATCH == 0)
            bt_len[i / LF_BATCH] = bare ? (size_t)(atomic_load_explicit(&br.tail, memory_order_relaxed) -
                                                   atomic_load_explicit(&br.head, memory_order_relaxed))
                                        : goc_chan_len(bt_ch);
        if (bare) {
            v = (int64_t)br_recv(&br);
        } else if (goc_chan_recv(bt_ch, &v, GOC_NEVER)) {
            fprintf(stderr, "recv failed\n");
            exit(1);
        }
        s += v;
    }
    goc_wg_wait(bt_wg, GOC_NEVER);
    goc_wg_free(bt_wg);
    if (bare)
        br_destroy(&br);
    else
        goc_chan_free(bt_ch);
    if (s != (int64_t)bt_n * (bt_n + 1) / 2) {
        fprintf(stderr, "batch: bad sum\n");
        exit(1);
    }
    /* co-running batches, and among them those that started with the ring
     * near empty (fill < cap / 8: the receiver waits on the very slot the
     * sender writes) and the others (the sides mostly apart) */
    long k = 0, klo = 0, khi = 0;
    double *lo = malloc((size_t)(nb + 1) * sizeof *lo), *hi = malloc((size_t)(nb + 1) * sizeof *hi);
    if (!lo || !hi) {
        fprintf(stderr, "batch: out of memory\n");
        exit(1);
    }
    for (long i = 0; i + 1 < nb; i++) {
        double rw = (double)(bt_rcv.wall[i + 1] - bt_rcv.wall[i]), sw = (double)(bt_snd.wall[i + 1] - bt_snd.wall[i]);
        if ((double)(bt_rcv.cpu[i + 1] - bt_rcv.cpu[i]) >= 0.9 * rw &&
            (double)(bt_snd.cpu[i + 1] - bt_snd.cpu[i]) >= 0.9 * sw) {
            d[k++] = rw / LF_BATCH;
            if (bt_len[i] < cap / 8)
                lo[klo++] = rw / LF_BATCH;
            else
                hi[khi++] = rw / LF_BATCH;
        }
    }
    bt_lo = median(lo, klo);
    bt_hi = median(hi, khi);
    bt_nlo = klo;
    free(lo);
    free(hi);
    free(bt_len);
    *corun = median(d, k);
    *ncorun = k;
    for (long i = 0; i + 1 < nb; i++) d[i] = (double)(bt_rcv.wall[i + 1] - bt_rcv.wall[i]) / LF_BATCH;
    qsort(d, (size_t)(nb - 1), sizeof *d, cmpd);
    double p10 = d[(nb - 1) / 10];
    free(m);
    free(d);
    while (goc_tasks_live() > 1) goc_yield();
    return p10;
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

/* Per-batch rows: each rep prints the co-running median (and how many of
 * its batches co-ran) and the fastest tenth of all its batches. */
static void batch_report(const char *name, size_t cap, bool bare, const char *only) {
    if (only && !strstr(name, only)) return;
    for (int r = 0; r < reps; r++) {
        double co;
        long nco;
        double p10 = run_batch(cap, g_msgs, bare, &co, &nco);
        printf("%-16s %-9s co-running %6.1f ns/msg (%ld of %ld batches; near empty %ld at %5.1f, others %5.1f)"
               "  fastest tenth %6.1f ns/msg\n",
               name, goc_backend_name(), co, nco, g_msgs / LF_BATCH - 1, bt_nlo, bt_lo, bt_hi, p10);
        fflush(stdout);
    }
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
    batch_report("bare_ring1024_b", 1024, true, only);
    batch_report("spsc_cap1024_b", 1024, false, only);
    batch_report("spsc_cap128_b", 128, false, only);
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
