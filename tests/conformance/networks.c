/*
 * Conformance C14-C19 (TESTING.md (a)): programs built of many tasks.
 *   C14 multi_consumer     Go runtime TestMultiConsumer
 *   C15 ken_chan           Go test/ken/chan.go (per-channel sequences through
 *                          plain and select senders/receivers)
 *   C16 ken_chan1          Go test/ken/chan1.go
 *   C17 networks           Go test/chan/sieve1.go, sieve2.go (here: buffered
 *                          variant), powser1.go (here: integer Cauchy product
 *                          of streams), test/chan/goroutines.go (daisy chain)
 *   C18 chan_through_chan  crossbeam-channel tests/golang.rs, channel_through_channel
 *   C19 close_wakes_all    libdill tests/chan.c (chdone), Go closechan
 */
#include "goc_testing.h"

#include <stdlib.h>

static goc_chan *mk(size_t elem, size_t cap) {
    goc_chan *c = goc_chan_make(elem, cap);
    GT_ASSERT_NOT_NULL(c);
    return c;
}

/* ------------------------------------------------------------- C14 -- */

static const int pn[] = {2, 3, 7, 11, 13, 17, 19, 23, 27, 31};
#define NPN 10

struct mc {
    goc_chan *q, *r;
    goc_wg *wg;
    int w, niter;
};
static void mc_worker(void *p) {
    struct mc *m = p;
    int w = m->w;
    goc_chan *q = m->q, *r = m->r;
    goc_wg *wg = m->wg;
    free(m);
    int64_t v;
    while (goc_chan_recv(q, &v, GOC_NEVER) == 0) {
        if (pn[w % NPN] == v) goc_yield(); /* mess with the FIFO-ish order */
        GT_ASSERT_OK(goc_chan_send(r, &v, GOC_NEVER));
    }
    GT_ASSERT_OK(goc_wg_done(wg));
}
static void mc_feeder(void *p) {
    struct mc m = *(struct mc *)p;
    for (int i = 0; i < m.niter; i++) {
        int64_t v = pn[i % NPN];
        GT_ASSERT_OK(goc_chan_send(m.q, &v, GOC_NEVER));
    }
    GT_ASSERT_OK(goc_chan_close(m.q)); /* no more work */
    GT_ASSERT_OK(goc_wg_wait(m.wg, GOC_NEVER));
    GT_ASSERT_OK(goc_chan_close(m.r)); /* workers done: no more results */
}

static void c14_multi_consumer(void) {
    const int nwork = 23;
    int niter = (int)gt_n(27183, 27183);
    goc_chan *q = mk(8, (size_t)nwork * 3), *r = mk(8, (size_t)nwork * 3);
    goc_wg *wg = goc_wg_make();
    GT_ASSERT_NOT_NULL(wg);
    GT_ASSERT_OK(goc_wg_add(wg, nwork));
    for (int i = 0; i < nwork; i++) {
        struct mc *m = malloc(sizeof *m);
        GT_ASSERT_NOT_NULL(m);
        *m = (struct mc){q, r, wg, i, niter};
        gt_go(mc_worker, m);
    }
    struct mc f = {q, r, wg, 0, niter};
    gt_go(mc_feeder, &f);
    int64_t expect = 0, n = 0, s = 0, v;
    for (int i = 0; i < niter; i++) expect += pn[i % NPN];
    int rc;
    while ((rc = goc_chan_recv(r, &v, GOC_NEVER)) == 0) {
        n++;
        s += v;
    }
    GT_ASSERT_ERR(rc, -EPIPE);
    GT_ASSERT_EQ(n, niter);
    GT_ASSERT_EQ(s, expect);
    gt_join_all();
    goc_wg_free(wg);
    goc_chan_free(q);
    goc_chan_free(r);
    gt_note("C14: 23 workers, %d items", niter);
}

/* ------------------------------------------------------------- C15 -- */

#define KCH 4
struct ken {
    goc_chan *ch[KCH];
    int n;
    int which; /* channel index for per-channel tasks, -1 for all */
    atomic_long *total; /* relaxed adds; read after the group wait (Done happens before Wait) */
};

/* receive-side check: channel i delivers 0, 1, 2, ... in order */
static void ken_check(int64_t v, int i, int64_t *next) {
    GT_ASSERT_MSG(v == next[i], "channel %d: got %lld, expected %lld", i, (long long)v,
                  (long long)next[i]);
    next[i]++;
}

static void ken_plain_send(void *p) {
    struct ken k = *(struct ken *)p;
    for (int64_t s = 0; s < k.n; s++) {
        gt_maybe_yield(4);
        GT_ASSERT_OK(goc_chan_send(k.ch[k.which], &s, GOC_NEVER));
    }
}
/* per-channel select sender: its channel plus a disabled (NULL) case */
static void ken_sel1_send(void *p) {
    struct ken k = *(struct ken *)p;
    for (int64_t s = 0; s < k.n; s++) {
        gt_maybe_yield(4);
        goc_case c[2] = {{NULL, GOC_SEND, &s, 0}, {k.ch[k.which], GOC_SEND, &s, 0}};
        GT_ASSERT_EQ(goc_select(c, 2, GOC_NEVER), 1);
    }
}
/* one select sender for all channels: sends the next value of whichever
 * channel is ready */
static void ken_sel_send(void *p) {
    struct ken k = *(struct ken *)p;
    int64_t next[KCH] = {0};
    int left = KCH * k.n;
    while (left > 0) {
        goc_case c[KCH];
        for (int i = 0; i < KCH; i++) c[i] = (goc_case){next[i] < k.n ? k.ch[i] : NULL, GOC_SEND, &next[i], 0};
        gt_maybe_yield(4);
        int i = goc_select(c, KCH, GOC_NEVER);
        GT_ASSERT(i >= 0 && i < KCH);
        next[i]++;
        left--;
    }
}
static void ken_plain_recv(void *p) {
    struct ken k = *(struct ken *)p;
    int64_t next[KCH] = {0}, v;
    for (int s = 0; s < k.n; s++) {
        gt_maybe_yield(4);
        GT_ASSERT_OK(goc_chan_recv(k.ch[k.which], &v, GOC_NEVER));
        ken_check(v, k.which, next);
        atomic_fetch_add_explicit(k.total, 1, memory_order_relaxed);
    }
}
static void ken_sel1_recv(void *p) {
    struct ken k = *(struct ken *)p;
    int64_t next[KCH] = {0}, v, junk = -5;
    for (int s = 0; s < k.n; s++) {
        gt_maybe_yield(4);
        goc_case c[2] = {{k.ch[k.which], GOC_RECV, &v, 0}, {NULL, GOC_RECV, &junk, 0}};
        GT_ASSERT_EQ(goc_select(c, 2, GOC_NEVER), 0);
        ken_check(v, k.which, next);
        atomic_fetch_add_explicit(k.total, 1, memory_order_relaxed);
    }
    GT_ASSERT_EQ(junk, -5);
}
static void ken_sel_recv(void *p) {
    struct ken k = *(struct ken *)p;
    int64_t next[KCH] = {0}, v[KCH];
    int left = KCH * k.n;
    while (left > 0) {
        goc_case c[KCH];
        for (int i = 0; i < KCH; i++) c[i] = (goc_case){next[i] < k.n ? k.ch[i] : NULL, GOC_RECV, &v[i], 0};
        gt_maybe_yield(4);
        int i = goc_select(c, KCH, GOC_NEVER);
        GT_ASSERT(i >= 0 && i < KCH);
        ken_check(v[i], i, next);
        atomic_fetch_add_explicit(k.total, 1, memory_order_relaxed);
        left--;
    }
}

static void c15_ken_chan(void) {
    static const size_t caps[] = {0, 1, 10, 100};
    int n = (int)gt_n(100, 100);
    /* topology: {sender kind, receiver kind}; kinds: 0 plain per channel,
     * 1 one select task for all channels, 2 per-channel 2-case select */
    static const int topo[6][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 1}, {1, 2}};
    for (int ci = 0; ci < 4; ci++) {
        for (int t = 0; t < 6; t++) {
            atomic_long total = 0;
            struct ken base = {.n = n, .which = -1, .total = &total};
            for (int i = 0; i < KCH; i++) base.ch[i] = mk(8, caps[ci]);
            struct ken per[2][KCH];
            gt_group *g = gt_group_make();
            for (int side = 0; side < 2; side++) {
                int kind = topo[t][side];
                if (kind == 1) {
                    if (side == 0)
                        gt_group_go(g, ken_sel_send, &base);
                    else
                        gt_group_go(g, ken_sel_recv, &base);
                    continue;
                }
                for (int i = 0; i < KCH; i++) {
                    per[side][i] = base;
                    per[side][i].which = i;
                    if (side == 0)
                        gt_group_go(g, kind == 0 ? ken_plain_send : ken_sel1_send, &per[side][i]);
                    else
                        gt_group_go(g, kind == 0 ? ken_plain_recv : ken_sel1_recv, &per[side][i]);
                }
            }
            gt_group_wait(g);
            GT_ASSERT_EQ(atomic_load_explicit(&total, memory_order_relaxed), KCH * n);
            for (int i = 0; i < KCH; i++) {
                GT_ASSERT_UEQ(goc_chan_len(base.ch[i]), 0);
                goc_chan_free(base.ch[i]);
            }
        }
    }
}

/* ------------------------------------------------------------- C16 -- */

#define K1_M 10
struct k1 {
    goc_chan *c;
    int *h; /* h[r]: 0 -> 1 (sender, before send) -> 2 (receiver, after recv) */
    int n;
};
static void k1_recv(void *p) {
    struct k1 k = *(struct k1 *)p;
    int64_t r;
    for (;;) {
        goc_case c[1] = {{k.c, GOC_RECV, &r, 0}};
        GT_ASSERT_EQ(goc_select(c, 1, GOC_NEVER), 0);
        if (c[0].err == -EPIPE) return;
        GT_ASSERT(r >= 0 && r < k.n);
        /* plain ints: the send happens before the receive (Go memory model) */
        GT_ASSERT_MSG(k.h[r] == 1, "value %lld: state %d, expected 1", (long long)r, k.h[r]);
        k.h[r] = 2;
    }
}

static void c16_ken_chan1(void) {
    int n = (int)gt_n(1000, 1000);
    struct k1 k = {mk(8, 2), calloc((size_t)n, sizeof(int)), n};
    GT_ASSERT_NOT_NULL(k.h);
    gt_group *g = gt_group_make();
    for (int i = 0; i < K1_M; i++) gt_group_go(g, k1_recv, &k);
    for (int64_t r = 0; r < n; r++) {
        GT_ASSERT_EQ(k.h[r], 0);
        k.h[r] = 1;
        GT_ASSERT_OK(goc_chan_send(k.c, &r, GOC_NEVER));
    }
    GT_ASSERT_OK(goc_chan_close(k.c));
    gt_group_wait(g); /* Done happens before Wait returns: h[] is ours again */
    for (int r = 0; r < n; r++) GT_ASSERT_MSG(k.h[r] == 2, "value %d: final state %d", r, k.h[r]);
    free(k.h);
    goc_chan_free(k.c);
}

/* ------------------------------------------------------------- C17 -- */

struct gen {
    goc_chan *out;
    int64_t limit;
};
static void sieve_gen(void *p) {
    struct gen g = *(struct gen *)p;
    free(p);
    for (int64_t i = 2; i <= g.limit; i++) GT_ASSERT_OK(goc_chan_send(g.out, &i, GOC_NEVER));
    GT_ASSERT_OK(goc_chan_close(g.out));
}
struct filt {
    goc_chan *in, *out;
    int64_t prime;
};
static void sieve_filter(void *p) {
    struct filt f = *(struct filt *)p;
    free(p);
    int64_t v;
    int rc;
    while ((rc = goc_chan_recv(f.in, &v, GOC_NEVER)) == 0)
        if (v % f.prime != 0) GT_ASSERT_OK(goc_chan_send(f.out, &v, GOC_NEVER));
    GT_ASSERT_ERR(rc, -EPIPE);
    GT_ASSERT_OK(goc_chan_close(f.out));
}

/* The concurrent prime sieve: returns the number of primes found (<= max),
 * checking each against trial division. */
static int sieve(int count, int64_t limit, size_t cap) {
    goc_chan **chans = calloc((size_t)count + 2, sizeof *chans);
    GT_ASSERT_NOT_NULL(chans);
    int nch = 0;
    goc_chan *ch = chans[nch++] = mk(8, cap);
    struct gen *g = malloc(sizeof *g);
    GT_ASSERT_NOT_NULL(g);
    *g = (struct gen){ch, limit};
    gt_go(sieve_gen, g);
    int found = 0;
    int64_t last = 1, p;
    int rc;
    while ((rc = goc_chan_recv(ch, &p, GOC_NEVER)) == 0) {
        /* p must be the next prime after last */
        for (int64_t q = last + 1; q < p; q++) {
            bool composite = false;
            for (int64_t d = 2; d * d <= q; d++) composite |= q % d == 0;
            GT_ASSERT_MSG(composite, "sieve skipped the prime %lld", (long long)q);
        }
        for (int64_t d = 2; d * d <= p; d++) GT_ASSERT_MSG(p % d != 0, "sieve produced %lld", (long long)p);
        last = p;
        found++;
        GT_ASSERT_LE(found, count);
        goc_chan *next = chans[nch++] = mk(8, cap);
        struct filt *f = malloc(sizeof *f);
        GT_ASSERT_NOT_NULL(f);
        *f = (struct filt){ch, next, p};
        gt_go(sieve_filter, f);
        ch = next;
    }
    GT_ASSERT_ERR(rc, -EPIPE);
    gt_join_all();
    for (int i = 0; i < nch; i++) goc_chan_free(chans[i]);
    free(chans);
    return found;
}

/* Power series as streams of integer coefficients: two copies of
 * 1/(1-x) = 1 + x + x^2 + ... multiplied by a Cauchy-product task give
 * 1/(1-x)^2 = sum (n+1) x^n. */
struct ps {
    goc_chan *a, *b, *out;
    int n;
};
static void ps_ones(void *p) {
    struct ps s = *(struct ps *)p;
    int64_t one = 1;
    for (int i = 0; i < s.n; i++) {
        GT_ASSERT_OK(goc_chan_send(s.a, &one, GOC_NEVER));
        GT_ASSERT_OK(goc_chan_send(s.b, &one, GOC_NEVER));
    }
}
static void ps_mul(void *p) {
    struct ps s = *(struct ps *)p;
    int64_t *fa = calloc((size_t)s.n, 8), *fb = calloc((size_t)s.n, 8);
    GT_ASSERT(fa && fb);
    for (int i = 0; i < s.n; i++) {
        /* receive the next term of both series in either order */
        int got = 0;
        while (got != 3) {
            goc_case c[2] = {{got & 1 ? NULL : s.a, GOC_RECV, &fa[i], 0},
                             {got & 2 ? NULL : s.b, GOC_RECV, &fb[i], 0}};
            int k = goc_select(c, 2, GOC_NEVER);
            GT_ASSERT(k == 0 || k == 1);
            got |= 1 << k;
        }
        int64_t sum = 0;
        for (int j = 0; j <= i; j++) sum += fa[j] * fb[i - j];
        GT_ASSERT_OK(goc_chan_send(s.out, &sum, GOC_NEVER));
    }
    free(fa);
    free(fb);
}

struct link {
    goc_chan *left, *right;
};
static void whisper(void *p) {
    struct link l = *(struct link *)p;
    int64_t v;
    GT_ASSERT_OK(goc_chan_recv(l.right, &v, GOC_NEVER));
    v++;
    GT_ASSERT_OK(goc_chan_send(l.left, &v, GOC_NEVER));
}

static void c17_networks(void) {
    GT_ASSERT_EQ(sieve(100, 541, 0), 100); /* the 100th prime is 541 */
    GT_ASSERT_EQ(sieve(25, 97, 10), 25);   /* the 25th is 97 */

    int terms = 30;
    struct ps s = {mk(8, 0), mk(8, 0), mk(8, 1), terms};
    gt_go(ps_ones, &s);
    gt_go(ps_mul, &s);
    for (int64_t i = 0; i < terms; i++) {
        int64_t c;
        GT_ASSERT_OK(goc_chan_recv(s.out, &c, GOC_NEVER));
        GT_ASSERT_EQ(c, i + 1);
    }
    gt_join_all();
    goc_chan_free(s.a);
    goc_chan_free(s.b);
    goc_chan_free(s.out);

    /* daisy chain (whispers): n tasks each add one */
    int n = (int)gt_n(1000, 1000);
    goc_chan **ch = calloc((size_t)n + 1, sizeof *ch);
    struct link *links = calloc((size_t)n, sizeof *links);
    GT_ASSERT(ch && links);
    for (int i = 0; i <= n; i++) ch[i] = mk(8, 0);
    for (int i = 0; i < n; i++) {
        links[i] = (struct link){ch[i], ch[i + 1]};
        gt_go(whisper, &links[i]);
    }
    int64_t v = 1;
    GT_ASSERT_OK(goc_chan_send(ch[n], &v, GOC_NEVER));
    GT_ASSERT_OK(goc_chan_recv(ch[0], &v, GOC_NEVER));
    GT_ASSERT_EQ(v, n + 1);
    gt_join_all();
    for (int i = 0; i <= n; i++) goc_chan_free(ch[i]);
    free(ch);
    free(links);
    gt_note("C17: sieve 100 + 25 primes, power series %d terms, daisy chain %d tasks", terms, n);
}

/* ------------------------------------------------------------- C18 -- */

struct ctc {
    goc_chan *first;
    int n;
    size_t cap;
    goc_chan **all; /* every channel made, freed by the root after the join */
};
static void ctc_sender(void *p) {
    struct ctc c = *(struct ctc *)p;
    goc_chan *s = c.first;
    for (int i = 0; i < c.n; i++) {
        goc_chan *next = goc_chan_make(sizeof(goc_chan *), c.cap);
        GT_ASSERT_NOT_NULL(next);
        c.all[i] = next;
        GT_ASSERT_OK(goc_chan_send(s, &next, GOC_NEVER));
        s = next;
    }
}
static void ctc_receiver(void *p) {
    struct ctc c = *(struct ctc *)p;
    goc_chan *r = c.first;
    for (int i = 0; i < c.n; i++) {
        goc_chan *next = NULL;
        GT_ASSERT_OK(goc_chan_recv(r, &next, GOC_NEVER));
        GT_ASSERT_NOT_NULL(next);
        GT_ASSERT_UEQ(goc_chan_cap(next), c.cap);
        r = next;
    }
}

static void c18_chan_through_chan(void) {
    int n = (int)gt_n(1000, 1000);
    for (size_t cap = 0; cap <= 2; cap++) {
        struct ctc c = {mk(sizeof(goc_chan *), cap), n, cap, calloc((size_t)n, sizeof(goc_chan *))};
        GT_ASSERT_NOT_NULL(c.all);
        gt_group *g = gt_group_make();
        gt_group_go(g, ctc_sender, &c);
        gt_group_go(g, ctc_receiver, &c);
        gt_group_wait(g);
        gt_join_all();
        goc_chan_free(c.first);
        for (int i = 0; i < n; i++) goc_chan_free(c.all[i]);
        free(c.all);
    }
}

/* ------------------------------------------------------------- C19 -- */

struct waiter {
    goc_chan *ch;
    int kind; /* 0 recv, 1 send, 2 select recv, 3 select send */
    int rc;
    goc_time woke;
};
static void waiter(void *p) {
    struct waiter *w = p;
    int64_t v = 123;
    switch (w->kind) {
    case 0: w->rc = goc_chan_recv(w->ch, &v, GOC_NEVER); break;
    case 1: w->rc = goc_chan_send(w->ch, &v, GOC_NEVER); break;
    default: {
        goc_case c[2] = {{NULL, GOC_RECV, NULL, 0}, {w->ch, w->kind == 2 ? GOC_RECV : GOC_SEND, &v, 0}};
        int i = goc_select(c, 2, GOC_NEVER);
        w->rc = i == 1 ? c[1].err : -1000 - i;
    }
    }
    if (w->kind != 1 && w->kind != 3 && w->rc == -EPIPE) GT_ASSERT_EQ(v, 0); /* zero-filled */
    w->woke = goc_now();
}

static void c19_close_wakes_all(void) {
    int k = gt_long() ? 256 : 16;
    goc_chan *empty = mk(8, 4), *full = mk(8, 4);
    for (int64_t i = 0; i < 4; i++) GT_ASSERT_OK(goc_chan_send(full, &i, GOC_NOW));
    struct waiter *ws = calloc(4 * (size_t)k, sizeof *ws);
    GT_ASSERT_NOT_NULL(ws);
    for (int i = 0; i < 4 * k; i++) {
        int kind = i % 4;
        ws[i] = (struct waiter){kind == 0 || kind == 2 ? empty : full, kind, 1, 0};
        gt_go(waiter, &ws[i]);
    }
    /* everyone parked: 2k on each channel (the select shows one channel) */
    GT_ASSERT_MSG(gt_wait_report("blocked in", 4 * (size_t)k, 10000000000LL),
                  "only %zu of %d waiters seen blocked", gt_report_count("blocked in"), 4 * k);
    goc_time t0 = goc_now();
    GT_ASSERT_OK(goc_chan_close(empty));
    GT_ASSERT_OK(goc_chan_close(full));
    gt_join_all();
    int64_t worst = 0;
    for (int i = 0; i < 4 * k; i++) {
        GT_ASSERT_MSG(ws[i].rc == -EPIPE, "waiter %d (kind %d) returned %d (%s)", i, ws[i].kind, ws[i].rc,
                      gt_errname(ws[i].rc));
        if (ws[i].woke - t0 > worst) worst = ws[i].woke - t0;
    }
    gt_note("C19: %d waiters woken by close within %.3f ms", 4 * k, worst / 1e6);
    GT_ASSERT_LE(worst, 10000000000LL);
    if (gt_timing_checks("every waiter woken within 1 s")) GT_ASSERT_LE(worst, 1000000000LL);
    /* the full channel still holds its 4 values, then EPIPE */
    for (int64_t i = 0; i < 4; i++) {
        int64_t v;
        GT_ASSERT_OK(goc_chan_recv(full, &v, GOC_NOW));
        GT_ASSERT_EQ(v, i);
    }
    GT_ASSERT_ERR(goc_chan_recv(full, NULL, GOC_NOW), -EPIPE);
    free(ws);
    goc_chan_free(empty);
    goc_chan_free(full);
}

static void test_main(void) {
    gt_run("C14_multi_consumer", c14_multi_consumer);
    gt_run("C15_ken_chan", c15_ken_chan);
    gt_run("C16_ken_chan1", c16_ken_chan1);
    gt_run("C17_networks", c17_networks);
    gt_run("C18_chan_through_chan", c18_chan_through_chan);
    gt_run("C19_close_wakes_all", c19_close_wakes_all);
}

GT_MAIN(test_main)
