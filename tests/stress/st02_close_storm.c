/*
 * ST02 close_storm (TESTING.md (c)): rounds of 4 producers + 4 consumers on a
 * fresh channel, closed after a random 0-200 us by the root or, every other
 * round, by 8 concurrent closers. Persistent worker tasks get each round's
 * channel through their own command channel (spawning per round would
 * measure thread creation, not close).
 * Invariants: every send that returned 0 is received exactly once (atomic
 * bitmap, duplicates fail at once); a send after close returns EPIPE;
 * receivers drain, then get EPIPE; exactly one close succeeds; nobody hangs.
 * Origins: libdill tests/chan.c (close wakes), Go closechan, crossbeam
 * disconnect_wakes_*. Registered for busted as an expected failure.
 */
#include "goc_testing.h"

#include <stdlib.h>

enum { NP = 4, NC = 4, NCLOSERS = 8, MAXSEQ = 1 << 14 };

typedef struct {
    uint32_t producer;
    uint32_t seq;
} msg;

/* One round, shared by the workers through a pointer sent to them. */
struct round {
    goc_chan *ch;
    goc_chan *start;          /* closed by the root: closers start together */
    goc_chan *closed;         /* closed by whoever closed ch, right after */
    _Atomic uint64_t bits[NP][MAXSEQ / 64]; /* received (producer, seq); relaxed fetch_or */
    atomic_long sent[NP];     /* successful sends per producer; written by that producer */
    atomic_long received;     /* relaxed adds */
    atomic_int close_wins;    /* closes that returned 0 */
};

enum { ROLE_PRODUCER, ROLE_CONSUMER, ROLE_CLOSER };
struct worker {
    goc_chan *cmd;  /* struct round * per round; closed at the end */
    goc_chan *done; /* one token per finished round */
    int role, id;
};

static void worker(void *p) {
    struct worker w = *(struct worker *)p;
    struct round *r;
    while (goc_chan_recv(w.cmd, &r, GOC_NEVER) == 0) {
        if (w.role == ROLE_PRODUCER) {
            long n = 0;
            int rc;
            for (;;) {
                if (n == MAXSEQ) { /* enough: wait for the close */
                    GT_ASSERT_ERR(goc_chan_recv(r->closed, NULL, GOC_NEVER), -EPIPE);
                    rc = -EPIPE;
                    break;
                }
                msg m = {(uint32_t)w.id, (uint32_t)n};
                rc = goc_chan_send(r->ch, &m, GOC_NEVER);
                if (rc != 0) break;
                n++;
            }
            GT_ASSERT_ERR(rc, -EPIPE);
            /* closed stays closed */
            msg m = {(uint32_t)w.id, 0};
            GT_ASSERT_ERR(goc_chan_send(r->ch, &m, GOC_NOW), -EPIPE);
            atomic_store_explicit(&r->sent[w.id], n, memory_order_relaxed);
        } else if (w.role == ROLE_CONSUMER) {
            msg m;
            int rc;
            long n = 0;
            while ((rc = goc_chan_recv(r->ch, &m, GOC_NEVER)) == 0) {
                GT_ASSERT_MSG(m.producer < NP && m.seq < MAXSEQ, "corrupt message %u/%u", m.producer, m.seq);
                uint64_t old = atomic_fetch_or_explicit(&r->bits[m.producer][m.seq / 64], 1ull << (m.seq % 64),
                                                        memory_order_relaxed);
                GT_ASSERT_MSG(!(old & (1ull << (m.seq % 64))), "duplicate message %u/%u", m.producer, m.seq);
                n++;
            }
            GT_ASSERT_ERR(rc, -EPIPE);
            GT_ASSERT_ERR(goc_chan_recv(r->ch, &m, GOC_NOW), -EPIPE); /* forever */
            atomic_fetch_add_explicit(&r->received, n, memory_order_relaxed);
        } else {
            GT_ASSERT_ERR(goc_chan_recv(r->start, NULL, GOC_NEVER), -EPIPE);
            int rc = goc_chan_close(r->ch);
            if (rc == 0) {
                atomic_fetch_add_explicit(&r->close_wins, 1, memory_order_relaxed);
                GT_ASSERT_OK(goc_chan_close(r->closed));
            } else
                GT_ASSERT_ERR(rc, -EPIPE);
        }
        GT_ASSERT_OK(goc_chan_send(w.done, NULL, GOC_NEVER));
    }
}

static void st02(void) {
    int rounds = (int)gt_n(2000, 2000);
    gt_note("ST02 sizes: %d rounds, %dP+%dC, closer after 0-200 us, every other round %d closers", rounds,
            NP, NC, NCLOSERS);
    enum { NW = NP + NC + NCLOSERS };
    struct worker ws[NW];
    goc_chan *done = goc_chan_make(0, NW);
    GT_ASSERT_NOT_NULL(done);
    for (int i = 0; i < NW; i++) {
        int role = i < NP ? ROLE_PRODUCER : i < NP + NC ? ROLE_CONSUMER : ROLE_CLOSER;
        ws[i] = (struct worker){goc_chan_make(sizeof(struct round *), 1), done, role,
                                role == ROLE_PRODUCER ? i : i - NP};
        GT_ASSERT_NOT_NULL(ws[i].cmd);
        gt_go(worker, &ws[i]);
    }
    struct round *r = malloc(sizeof *r);
    GT_ASSERT_NOT_NULL(r);
    static const size_t caps[] = {0, 1, 7};
    long total = 0;
    for (int round = 0; round < rounds; round++) {
        memset(r, 0, sizeof *r);
        r->ch = goc_chan_make(sizeof(msg), caps[round % 3]);
        r->start = goc_chan_make(0, 0);
        r->closed = goc_chan_make(0, 0);
        GT_ASSERT(r->ch && r->start && r->closed);
        bool closers = round % 2;
        int nw = closers ? NW : NP + NC;
        for (int i = 0; i < nw; i++) GT_ASSERT_OK(goc_chan_send(ws[i].cmd, &r, GOC_NEVER));
        goc_sleep(goc_deadline(gt_rand_n(200000)));
        if (closers) {
            GT_ASSERT_OK(goc_chan_close(r->start));
        } else {
            GT_ASSERT_OK(goc_chan_close(r->ch));
            atomic_fetch_add_explicit(&r->close_wins, 1, memory_order_relaxed);
            GT_ASSERT_OK(goc_chan_close(r->closed));
            GT_ASSERT_OK(goc_chan_close(r->start));
        }
        for (int i = 0; i < nw; i++) GT_ASSERT_OK(goc_chan_recv(done, NULL, goc_deadline(10000000000LL)));
        /* the channel tokens order the workers' relaxed writes before this */
        GT_ASSERT_EQ(atomic_load_explicit(&r->close_wins, memory_order_relaxed), 1);
        long sent = 0;
        for (int p = 0; p < NP; p++) {
            long n = atomic_load_explicit(&r->sent[p], memory_order_relaxed);
            sent += n;
            for (long w = 0; w < MAXSEQ / 64; w++) {
                uint64_t have = atomic_load_explicit(&r->bits[p][w], memory_order_relaxed);
                uint64_t want = n >= (w + 1) * 64 ? ~0ull : n <= w * 64 ? 0 : (1ull << (n - w * 64)) - 1;
                GT_ASSERT_MSG(have == want,
                              "round %d: producer %d sent %ld; received bits %ld..%ld = %016llx, want %016llx", round,
                              p, n, w * 64, w * 64 + 63, (unsigned long long)have, (unsigned long long)want);
            }
        }
        GT_ASSERT_EQ(atomic_load_explicit(&r->received, memory_order_relaxed), sent);
        total += sent;
        /* everyone reported: no task uses these channels any more */
        goc_chan_free(r->ch);
        goc_chan_free(r->start);
        goc_chan_free(r->closed);
    }
    for (int i = 0; i < NW; i++) GT_ASSERT_OK(goc_chan_close(ws[i].cmd));
    gt_join_all();
    for (int i = 0; i < NW; i++) goc_chan_free(ws[i].cmd);
    goc_chan_free(done);
    free(r);
    gt_note("ST02: %d rounds, %ld messages delivered exactly once", rounds, total);
}

static void test_main(void) { gt_run("ST02_close_storm", st02); }

GT_MAIN(test_main)
