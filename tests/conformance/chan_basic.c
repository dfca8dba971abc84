/*
 * Conformance C01, C02, C04, C05, C06, C07 (TESTING.md (a)): plain channel
 * semantics, one capacity at a time.
 *   C01 chan_basic        Go runtime/chan_test.go TestChan
 *   C02 closed_semantics  Go test/closedchan.go
 *   C04 fifo_waiters      Go test/chan/fifo.go, libdill tests/chan.c
 *   C05 nonblock_sizes    Go test/chan/nonblock.go
 *   C06 zero_size         Go test/chan/zerosize.go (issue 42598), libdill
 *   C07 large_elem        Go makechan limits, libdill
 */
#include "goc_testing.h"

#include <stdlib.h>

/* One blocking operation run in its own task; the root task probes it. */
struct op {
    goc_chan *ch;
    int64_t val; /* value to send / value received */
    goc_time deadline;
    int rc;          /* written by the task before done is set */
    atomic_int done; /* gt_set by the task when the operation returned */
};

static void t_recv(void *p) {
    struct op *o = p;
    o->rc = goc_chan_recv(o->ch, &o->val, o->deadline);
    gt_set(&o->done);
}
static void t_send(void *p) {
    struct op *o = p;
    o->rc = goc_chan_send(o->ch, &o->val, o->deadline);
    gt_set(&o->done);
}

static void wait_done(struct op *o) {
    GT_ASSERT_MSG(gt_wait_flag(&o->done, 10000000000LL), "operation did not return within 10 s");
}

/* ------------------------------------------------------------- C01 -- */

struct multi {
    goc_chan *ch;
    int id, n;
    atomic_int *seen; /* seen[v]++ per received value */
};

static void multi_send(void *p) {
    struct multi *m = p;
    for (int i = 0; i < m->n; i++) {
        int64_t v = (int64_t)m->id * m->n + i;
        GT_ASSERT_OK(goc_chan_send(m->ch, &v, GOC_NEVER));
    }
}
static void multi_recv(void *p) {
    struct multi *m = p;
    for (int i = 0; i < m->n; i++) {
        int64_t v = -1;
        GT_ASSERT_OK(goc_chan_recv(m->ch, &v, GOC_NEVER));
        GT_ASSERT(v >= 0 && v < 4 * (int64_t)m->n);
        /* relaxed: the counts are read after the wg wait, which orders them */
        atomic_fetch_add_explicit(&m->seen[v], 1, memory_order_relaxed);
    }
}

struct fifo_sender {
    goc_chan *ch;
    int n;
};
static void fifo_send(void *p) {
    struct fifo_sender f = *(struct fifo_sender *)p; /* p lives on the root's stack */
    for (int64_t i = 0; i < f.n; i++) GT_ASSERT_OK(goc_chan_send(f.ch, &i, GOC_NEVER));
}

static void c01_one_cap(size_t cap, int multiset_n) {
    goc_chan *ch = goc_chan_make(sizeof(int64_t), cap);
    GT_ASSERT_NOT_NULL(ch);
    GT_ASSERT_UEQ(goc_chan_cap(ch), cap);
    GT_ASSERT_UEQ(goc_chan_len(ch), 0);

    /* recv on an empty channel blocks; try_recv would block */
    int64_t v = 42;
    GT_ASSERT_ERR(goc_chan_recv(ch, &v, GOC_NOW), -EAGAIN);
    GT_ASSERT_EQ(v, 42); /* untouched by a failed try */
    struct op r = {.ch = ch, .val = -1, .deadline = GOC_NEVER};
    gt_go(t_recv, &r);
    GT_ASSERT_MSG(gt_still_blocked(&r.done, 5), "recv on an empty channel (cap %zu) returned", cap);
    v = 7;
    GT_ASSERT_OK(goc_chan_send(ch, &v, GOC_NEVER));
    wait_done(&r);
    GT_ASSERT_OK(r.rc);
    GT_ASSERT_EQ(r.val, 7);

    /* fill; send on a full channel blocks; try_send would block */
    for (size_t i = 0; i < cap; i++) {
        v = (int64_t)i;
        GT_ASSERT_OK(goc_chan_send(ch, &v, GOC_NOW));
        GT_ASSERT_UEQ(goc_chan_len(ch), i + 1);
    }
    v = 1000;
    GT_ASSERT_ERR(goc_chan_send(ch, &v, GOC_NOW), -EAGAIN);
    GT_ASSERT_UEQ(goc_chan_len(ch), cap);
    struct op s = {.ch = ch, .val = 1000, .deadline = GOC_NEVER};
    gt_go(t_send, &s);
    GT_ASSERT_MSG(gt_still_blocked(&s.done, 5), "send on a full channel (cap %zu) returned", cap);
    /* drain: FIFO, the blocked sender's value last */
    for (size_t i = 0; i <= cap; i++) {
        v = -1;
        GT_ASSERT_OK(goc_chan_recv(ch, &v, GOC_NEVER));
        GT_ASSERT_EQ(v, i < cap ? (int64_t)i : 1000);
    }
    wait_done(&s);
    GT_ASSERT_OK(s.rc);
    GT_ASSERT_UEQ(goc_chan_len(ch), 0);

    /* FIFO of 100 from one sender */
    struct fifo_sender fs = {ch, 100};
    gt_go(fifo_send, &fs);
    for (int64_t i = 0; i < 100; i++) {
        GT_ASSERT_OK(goc_chan_recv(ch, &v, GOC_NEVER));
        GT_ASSERT_EQ(v, i);
    }

    /* 4 senders x 4 receivers x n: the received multiset is exact */
    atomic_int *seen = calloc(4 * (size_t)multiset_n, sizeof *seen);
    GT_ASSERT_NOT_NULL(seen);
    gt_group *g = gt_group_make();
    struct multi ms[8];
    for (int i = 0; i < 8; i++) {
        ms[i] = (struct multi){ch, i % 4, multiset_n, seen};
        if (i < 4)
            gt_group_go(g, multi_send, &ms[i]);
        else
            gt_group_go(g, multi_recv, &ms[i]);
    }
    gt_group_wait(g);
    for (int i = 0; i < 4 * multiset_n; i++)
        GT_ASSERT_MSG(atomic_load_explicit(&seen[i], memory_order_relaxed) == 1,
                      "cap %zu: value %d received %d times", cap, i,
                      atomic_load_explicit(&seen[i], memory_order_relaxed));
    free(seen);
    GT_ASSERT_UEQ(goc_chan_len(ch), 0);

    /* close after filling: drain in FIFO order, then EPIPE with zeroed output */
    for (size_t i = 0; i < cap; i++) {
        v = (int64_t)i + 500;
        GT_ASSERT_OK(goc_chan_send(ch, &v, GOC_NOW));
    }
    GT_ASSERT_OK(goc_chan_close(ch));
    GT_ASSERT_UEQ(goc_chan_len(ch), cap);
    for (size_t i = 0; i < cap; i++) {
        GT_ASSERT_OK(goc_chan_recv(ch, &v, GOC_NEVER));
        GT_ASSERT_EQ(v, (int64_t)i + 500);
    }
    for (int k = 0; k < 3; k++) {
        v = 99;
        GT_ASSERT_ERR(goc_chan_recv(ch, &v, GOC_NEVER), -EPIPE);
        GT_ASSERT_EQ(v, 0);
    }
    GT_ASSERT_UEQ(goc_chan_cap(ch), cap);
    goc_chan_free(ch);

    /* close wakes a blocked receiver */
    ch = goc_chan_make(sizeof(int64_t), cap);
    GT_ASSERT_NOT_NULL(ch);
    struct op r2 = {.ch = ch, .val = 5, .deadline = GOC_NEVER};
    gt_go(t_recv, &r2);
    GT_ASSERT(gt_still_blocked(&r2.done, 5));
    GT_ASSERT_OK(goc_chan_close(ch));
    wait_done(&r2);
    GT_ASSERT_ERR(r2.rc, -EPIPE);
    GT_ASSERT_EQ(r2.val, 0);
    /* and (cap 0 or full) a blocked sender */
    goc_chan_free(ch);
}

static void c01_chan_basic(void) {
    int maxcap = gt_long() ? 200 : 20;
    int n = (int)gt_n(1000, 1000) / (gt_long() ? 10 : 1);
    gt_note("C01: caps 0..%d, multiset 4x4x%d", maxcap - 1, n);
    for (int cap = 0; cap < maxcap; cap++) c01_one_cap((size_t)cap, n);
}

/* ------------------------------------------------------------- C02 -- */

enum { VIA_PLAIN, VIA_TRY, VIA_SELECT1, VIA_SELECT2, VIA_N };
static const char *via_name[] = {"plain", "try", "select1", "select2"};

/* recv through one of the four paths; returns the error (0 or -EPIPE). */
static int recv_via(int via, goc_chan *ch, goc_chan *other, int64_t *v) {
    switch (via) {
    case VIA_PLAIN: return goc_chan_recv(ch, v, GOC_NEVER);
    case VIA_TRY: return goc_chan_recv(ch, v, GOC_NOW);
    case VIA_SELECT1: {
        goc_case c[1] = {{ch, GOC_RECV, v, 1}};
        int i = goc_select(c, 1, GOC_NEVER);
        GT_ASSERT_EQ(i, 0);
        return c[0].err;
    }
    default: {
        int64_t junk = 77;
        goc_case c[2] = {{other, GOC_RECV, &junk, 1}, {ch, GOC_RECV, v, 1}};
        int i = goc_select(c, 2, GOC_NEVER);
        GT_ASSERT_EQ(i, 1);
        GT_ASSERT_EQ(junk, 77); /* unchosen buffer untouched */
        return c[1].err;
    }
    }
}
static int send_via(int via, goc_chan *ch, goc_chan *other, int64_t *v) {
    switch (via) {
    case VIA_PLAIN: return goc_chan_send(ch, v, GOC_NEVER);
    case VIA_TRY: return goc_chan_send(ch, v, GOC_NOW);
    case VIA_SELECT1: {
        goc_case c[1] = {{ch, GOC_SEND, v, 1}};
        int i = goc_select(c, 1, GOC_NEVER);
        GT_ASSERT_EQ(i, 0);
        return c[0].err;
    }
    default: {
        int64_t junk = 77;
        goc_case c[2] = {{other, GOC_RECV, &junk, 1}, {ch, GOC_SEND, v, 1}};
        int i = goc_select(c, 2, GOC_NEVER);
        GT_ASSERT_EQ(i, 1);
        return c[1].err;
    }
    }
}

static void c02_closed_semantics(void) {
    goc_chan *other = goc_chan_make(sizeof(int64_t), 0); /* never ready */
    GT_ASSERT_NOT_NULL(other);
    for (int async = 0; async < 2; async++) {
        for (int via = 0; via < VIA_N; via++) {
            goc_chan *ch = goc_chan_make(sizeof(int64_t), async ? 2 : 0);
            GT_ASSERT_NOT_NULL(ch);
            int64_t v = 1;
            if (async) GT_ASSERT_OK(goc_chan_send(ch, &v, GOC_NOW));
            GT_ASSERT_OK(goc_chan_close(ch));
            if (async) {
                v = 0;
                GT_ASSERT_OK(recv_via(via, ch, other, &v));
                GT_ASSERT_EQ(v, 1);
            }
            for (int k = 0; k < 3; k++) { /* closed forever */
                v = 55;
                int rc = recv_via(via, ch, other, &v);
                GT_ASSERT_MSG(rc == -EPIPE, "%s %s recv on closed: %s", async ? "async" : "sync",
                              via_name[via], gt_errname(rc));
                GT_ASSERT_EQ(v, 0);
            }
            /* send on closed: EPIPE, not queued, caller keeps the value */
            v = 9;
            int rc = send_via(via, ch, other, &v);
            GT_ASSERT_MSG(rc == -EPIPE, "%s %s send on closed: %s", async ? "async" : "sync",
                          via_name[via], gt_errname(rc));
            GT_ASSERT_EQ(v, 9);
            GT_ASSERT_UEQ(goc_chan_len(ch), 0);
            /* second close fails; state unchanged */
            GT_ASSERT_ERR(goc_chan_close(ch), -EPIPE);
            GT_ASSERT_ERR(goc_chan_recv(ch, &v, GOC_NOW), -EPIPE);
            GT_ASSERT_UEQ(goc_chan_cap(ch), async ? 2 : 0);
            goc_chan_free(ch);
        }
    }
    goc_chan_free(other);
}

/* ------------------------------------------------------------- C04 -- */

#define C04_N 10

static void c04_fifo_waiters(void) {
    /* buffered FIFO */
    goc_chan *ch = goc_chan_make(sizeof(int64_t), 64);
    GT_ASSERT_NOT_NULL(ch);
    for (int64_t i = 0; i < 64; i++) GT_ASSERT_OK(goc_chan_send(ch, &i, GOC_NOW));
    for (int64_t i = 0; i < 64; i++) {
        int64_t v;
        GT_ASSERT_OK(goc_chan_recv(ch, &v, GOC_NOW));
        GT_ASSERT_EQ(v, i);
    }
    goc_chan_free(ch);

    for (size_t cap = 0; cap <= 1; cap++) {
        /* N queued receivers served in arrival order */
        ch = goc_chan_make(sizeof(int64_t), cap);
        GT_ASSERT_NOT_NULL(ch);
        struct op rs[C04_N];
        for (int i = 0; i < C04_N; i++) {
            rs[i] = (struct op){.ch = ch, .val = -1, .deadline = GOC_NEVER};
            gt_go(t_recv, &rs[i]);
            GT_ASSERT_MSG(gt_wait_blocked(ch, (size_t)i + 1, 5000000000LL),
                          "receiver %d not seen blocked in goc_tasks_report", i);
        }
        for (int64_t i = 0; i < C04_N; i++) {
            GT_ASSERT_OK(goc_chan_send(ch, &i, GOC_NEVER));
            wait_done(&rs[i]); /* the oldest receiver got it */
            GT_ASSERT_OK(rs[i].rc);
            GT_ASSERT_EQ(rs[i].val, i);
        }
        /* N queued senders served in arrival order */
        struct op ss[C04_N];
        int64_t v;
        for (size_t i = 0; i < cap; i++) {
            v = -100;
            GT_ASSERT_OK(goc_chan_send(ch, &v, GOC_NOW));
        }
        for (int i = 0; i < C04_N; i++) {
            ss[i] = (struct op){.ch = ch, .val = i, .deadline = GOC_NEVER};
            gt_go(t_send, &ss[i]);
            GT_ASSERT_MSG(gt_wait_blocked(ch, (size_t)i + 1, 5000000000LL),
                          "sender %d not seen blocked in goc_tasks_report", i);
        }
        for (size_t i = 0; i < cap; i++) {
            GT_ASSERT_OK(goc_chan_recv(ch, &v, GOC_NEVER));
            GT_ASSERT_EQ(v, -100);
        }
        for (int64_t i = 0; i < C04_N; i++) {
            GT_ASSERT_OK(goc_chan_recv(ch, &v, GOC_NEVER));
            GT_ASSERT_MSG(v == i, "cap %zu: senders served out of order: got %lld, expected %lld",
                          cap, (long long)v, (long long)i);
        }
        for (int i = 0; i < C04_N; i++) {
            wait_done(&ss[i]);
            GT_ASSERT_OK(ss[i].rc);
        }
        goc_chan_free(ch);
    }
}

/* ------------------------------------------------------------- C05 -- */

struct sized {
    goc_chan *ch;
    size_t size;
    int rc;
    atomic_int done;
    unsigned char buf[4096];
};
static void sized_send(void *p) {
    struct sized *s = p;
    s->rc = goc_chan_send(s->ch, s->buf, GOC_NEVER);
    gt_set(&s->done);
}
static void sized_recv(void *p) {
    struct sized *s = p;
    s->rc = goc_chan_recv(s->ch, s->buf, GOC_NEVER);
    gt_set(&s->done);
}
static void fill_pattern(unsigned char *b, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(seed * 31 + i * 7 + 1);
}

static void c05_nonblock_sizes(void) {
    static const size_t sizes[] = {1, 4, 8, 16, 24, 4096};
    static unsigned char in[4096], out[4096];
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t sz = sizes[si];
        for (size_t cap = 0; cap <= 1; cap++) {
            goc_chan *ch = goc_chan_make(sz, cap);
            GT_ASSERT_NOT_NULL(ch);
            /* nothing ready: both try ops fail, buffers untouched */
            memset(out, 0xAB, sz);
            GT_ASSERT_ERR(goc_chan_recv(ch, out, GOC_NOW), -EAGAIN);
            GT_ASSERT_EQ(out[0], 0xAB);
            fill_pattern(in, sz, 1);
            if (cap == 0) GT_ASSERT_ERR(goc_chan_send(ch, in, GOC_NOW), -EAGAIN);

            /* a receiver is waiting: try_send succeeds (after it parked) */
            struct sized *r = calloc(1, sizeof *r);
            GT_ASSERT_NOT_NULL(r);
            r->ch = ch;
            r->size = sz;
            gt_go(sized_recv, r);
            fill_pattern(in, sz, 2);
            goc_time end = goc_deadline(5000000000LL);
            int rc;
            while ((rc = goc_chan_send(ch, in, GOC_NOW)) == -EAGAIN && goc_now() < end) goc_yield();
            GT_ASSERT_OK(rc);
            GT_ASSERT(gt_wait_flag(&r->done, 5000000000LL));
            GT_ASSERT_OK(r->rc);
            GT_ASSERT_MEM_EQ(r->buf, in, sz);

            /* a sender is waiting: try_recv succeeds */
            struct sized *s = calloc(1, sizeof *s);
            GT_ASSERT_NOT_NULL(s);
            s->ch = ch;
            s->size = sz;
            fill_pattern(s->buf, sz, 3);
            gt_go(sized_send, s);
            end = goc_deadline(5000000000LL);
            memset(out, 0, sz);
            while ((rc = goc_chan_recv(ch, out, GOC_NOW)) == -EAGAIN && goc_now() < end) goc_yield();
            GT_ASSERT_OK(rc);
            GT_ASSERT(gt_wait_flag(&s->done, 5000000000LL));
            GT_ASSERT_OK(s->rc);
            GT_ASSERT_MEM_EQ(out, s->buf, sz);

            if (cap == 1) { /* the slot: try_send ok once, then full */
                fill_pattern(in, sz, 4);
                GT_ASSERT_OK(goc_chan_send(ch, in, GOC_NOW));
                GT_ASSERT_ERR(goc_chan_send(ch, in, GOC_NOW), -EAGAIN);
                GT_ASSERT_OK(goc_chan_recv(ch, out, GOC_NOW));
                GT_ASSERT_MEM_EQ(out, in, sz);
            }
            free(r);
            free(s);
            goc_chan_free(ch);
        }
    }
}

/* ------------------------------------------------------------- C06 -- */

static void zero_sender(void *p) {
    goc_chan *ch = p;
    for (int i = 0; i < 100; i++) GT_ASSERT_OK(goc_chan_send(ch, NULL, GOC_NEVER));
    GT_ASSERT_OK(goc_chan_close(ch));
}

static void c06_zero_size(void) {
    static const size_t caps[] = {0, 1, 64};
    for (size_t ci = 0; ci < 3; ci++) {
        size_t cap = caps[ci];
        goc_chan *ch = goc_chan_make(0, cap);
        GT_ASSERT_NOT_NULL(ch);
        GT_ASSERT_UEQ(goc_chan_cap(ch), cap);
        for (size_t i = 0; i < cap; i++) GT_ASSERT_OK(goc_chan_send(ch, NULL, GOC_NOW));
        GT_ASSERT_UEQ(goc_chan_len(ch), cap);
        GT_ASSERT_ERR(goc_chan_send(ch, NULL, GOC_NOW), -EAGAIN);
        for (size_t i = 0; i < cap; i++) GT_ASSERT_OK(goc_chan_recv(ch, NULL, GOC_NOW));
        GT_ASSERT_UEQ(goc_chan_len(ch), 0);
        GT_ASSERT_ERR(goc_chan_recv(ch, NULL, GOC_NOW), -EAGAIN);
        /* a non-NULL buffer is fine too and is not written */
        char canary = 'x';
        if (cap) {
            GT_ASSERT_OK(goc_chan_send(ch, &canary, GOC_NOW));
            GT_ASSERT_OK(goc_chan_recv(ch, &canary, GOC_NOW));
            GT_ASSERT_EQ(canary, 'x');
        }
        /* counts through a task, then close: exactly 100 then EPIPE */
        gt_go(zero_sender, ch);
        int n = 0, rc;
        while ((rc = goc_chan_recv(ch, NULL, GOC_NEVER)) == 0) n++;
        GT_ASSERT_ERR(rc, -EPIPE);
        GT_ASSERT_EQ(n, 100);
        gt_join_all(); /* the sender may still be returning from close */
        /* select on a closed zero-size channel */
        goc_case c[2] = {{NULL, GOC_RECV, NULL, 1}, {ch, GOC_RECV, NULL, 1}};
        GT_ASSERT_EQ(goc_select(c, 2, GOC_NEVER), 1);
        GT_ASSERT_ERR(c[1].err, -EPIPE);
        c[1].op = GOC_SEND;
        GT_ASSERT_EQ(goc_select(c, 2, GOC_NOW), 1);
        GT_ASSERT_ERR(c[1].err, -EPIPE);
        goc_chan_free(ch);

        /* select send/recv on an open zero-size channel */
        ch = goc_chan_make(0, cap);
        GT_ASSERT_NOT_NULL(ch);
        if (cap) {
            goc_case s[1] = {{ch, GOC_SEND, NULL, 1}};
            GT_ASSERT_EQ(goc_select(s, 1, GOC_NOW), 0);
            GT_ASSERT_OK(s[0].err);
            goc_case r[1] = {{ch, GOC_RECV, NULL, 1}};
            GT_ASSERT_EQ(goc_select(r, 1, GOC_NOW), 0);
            GT_ASSERT_OK(r[0].err);
        }
        goc_case r[1] = {{ch, GOC_RECV, NULL, 1}};
        GT_ASSERT_ERR(goc_select(r, 1, GOC_NOW), -EAGAIN);
        goc_chan_free(ch);
    }
}

/* ------------------------------------------------------------- C07 -- */

struct big {
    goc_chan *ch;
    int n;
};
static void big_sender(void *p) {
    struct big *b = p;
    unsigned char *buf = malloc(GOC_ELEM_MAX);
    GT_ASSERT_NOT_NULL(buf);
    for (int i = 0; i < b->n; i++) {
        fill_pattern(buf, GOC_ELEM_MAX, (unsigned)i);
        GT_ASSERT_OK(goc_chan_send(b->ch, buf, GOC_NEVER));
    }
    free(buf);
}

static void c07_large_elem(void) {
    int n = (int)gt_n(100, 100);
    unsigned char *expect = malloc(GOC_ELEM_MAX), *got = malloc(GOC_ELEM_MAX);
    GT_ASSERT(expect && got);
    for (size_t cap = 0; cap <= 2; cap += 2) {
        goc_chan *ch = goc_chan_make(GOC_ELEM_MAX, cap);
        GT_ASSERT_NOT_NULL(ch);
        struct big b = {ch, n};
        gt_go(big_sender, &b);
        for (int i = 0; i < n; i++) {
            GT_ASSERT_OK(goc_chan_recv(ch, got, GOC_NEVER));
            fill_pattern(expect, GOC_ELEM_MAX, (unsigned)i);
            GT_ASSERT_MSG(gt_hash(got, GOC_ELEM_MAX) == gt_hash(expect, GOC_ELEM_MAX),
                          "message %d of 65535 bytes corrupted (cap %zu)", i, cap);
        }
        gt_join_all();
        goc_chan_free(ch);
    }
    free(expect);
    free(got);
    GT_ASSERT_NULL_ERRNO(goc_chan_make(GOC_ELEM_MAX + 1, 0), EINVAL);
    GT_ASSERT_NULL_ERRNO(goc_chan_make(GOC_ELEM_MAX + 1, 4), EINVAL);
}

static void test_main(void) {
    gt_run("C01_chan_basic", c01_chan_basic);
    gt_run("C02_closed_semantics", c02_closed_semantics);
    gt_run("C04_fifo_waiters", c04_fifo_waiters);
    gt_run("C05_nonblock_sizes", c05_nonblock_sizes);
    gt_run("C06_zero_size", c06_zero_size);
    gt_run("C07_large_elem", c07_large_elem);
}

GT_MAIN(test_main)
