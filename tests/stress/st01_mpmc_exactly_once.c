/*
 * ST01 mpmc_exactly_once (TESTING.md (c)): 8 producers x 8 consumers per
 * capacity. Each message carries (producer, seq, checksum). A shared atomic
 * bitmap catches a duplicate the moment it is received; at the end every bit
 * must be set (none missing) and the sums must match; each consumer sees each
 * producer's sequence numbers increasing (per-producer FIFO).
 * Origins: crossbeam-channel mpmc/stress tests; Go TestChanSendRecv stress.
 * Registered for the busted backend as an expected failure.
 */
#include "goc_testing.h"

#include <stdlib.h>

enum { P = 8, C = 8 };

typedef struct {
    uint32_t producer;
    uint32_t pad;
    uint64_t seq;
    uint64_t check;
} msg;

static uint64_t checksum(uint32_t p, uint64_t s) { return (s * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)p << 56) ^ 0xabcdef; }

struct shared {
    goc_chan *ch;
    long per_producer;
    _Atomic uint64_t *bitmap; /* bit p*per_producer+seq; fetch_or relaxed: the
                                 bit itself is the only datum */
    atomic_ullong seq_sum;    /* relaxed adds, read after the join */
    atomic_long received;     /* relaxed adds, read after the join */
};
struct prod {
    struct shared *s;
    uint32_t id;
};

static void producer(void *p) {
    struct prod a = *(struct prod *)p;
    for (long i = 0; i < a.s->per_producer; i++) {
        msg m = {a.id, 0, (uint64_t)i, checksum(a.id, (uint64_t)i)};
        GT_ASSERT_OK(goc_chan_send(a.s->ch, &m, GOC_NEVER));
    }
}

static void consumer(void *p) {
    struct shared *s = p;
    int64_t last[P];
    for (int i = 0; i < P; i++) last[i] = -1;
    msg m;
    int rc;
    long n = 0;
    uint64_t sum = 0;
    while ((rc = goc_chan_recv(s->ch, &m, GOC_NEVER)) == 0) {
        GT_ASSERT_MSG(m.producer < P && m.seq < (uint64_t)s->per_producer && m.check == checksum(m.producer, m.seq),
                      "corrupt message: producer %u seq %llu check %llx", m.producer,
                      (unsigned long long)m.seq, (unsigned long long)m.check);
        GT_ASSERT_MSG((int64_t)m.seq > last[m.producer],
                      "producer %u: seq %llu after %lld (per-producer FIFO broken)", m.producer,
                      (unsigned long long)m.seq, (long long)last[m.producer]);
        last[m.producer] = (int64_t)m.seq;
        uint64_t bit = (uint64_t)m.producer * (uint64_t)s->per_producer + m.seq;
        uint64_t old = atomic_fetch_or_explicit(&s->bitmap[bit / 64], 1ull << (bit % 64), memory_order_relaxed);
        GT_ASSERT_MSG(!(old & (1ull << (bit % 64))), "duplicate message: producer %u seq %llu", m.producer,
                      (unsigned long long)m.seq);
        n++;
        sum += m.seq;
    }
    GT_ASSERT_ERR(rc, -EPIPE);
    atomic_fetch_add_explicit(&s->received, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->seq_sum, sum, memory_order_relaxed);
}

static void run_cap(size_t cap, long total) {
    long per = total / P;
    struct shared s = {goc_chan_make(sizeof(msg), cap), per, NULL, 0, 0};
    GT_ASSERT_NOT_NULL(s.ch);
    size_t words = ((size_t)P * (size_t)per + 63) / 64;
    s.bitmap = calloc(words, sizeof *s.bitmap);
    GT_ASSERT_NOT_NULL(s.bitmap);
    goc_time t0 = goc_now();
    gt_group *prods = gt_group_make(), *cons = gt_group_make();
    struct prod pa[P];
    for (int i = 0; i < C; i++) gt_group_go(cons, consumer, &s);
    for (int i = 0; i < P; i++) {
        pa[i] = (struct prod){&s, (uint32_t)i};
        gt_group_go(prods, producer, &pa[i]);
    }
    gt_group_wait(prods);
    GT_ASSERT_OK(goc_chan_close(s.ch));
    gt_group_wait(cons);
    double secs = (goc_now() - t0) / 1e9;
    long got = atomic_load_explicit(&s.received, memory_order_relaxed);
    GT_ASSERT_MSG(got == P * per, "cap %zu: received %ld of %ld messages", cap, got, P * per);
    for (size_t w = 0; w < words; w++) {
        uint64_t want = w + 1 < words || (P * per) % 64 == 0 ? ~0ull : (1ull << ((P * per) % 64)) - 1;
        uint64_t have = atomic_load_explicit(&s.bitmap[w], memory_order_relaxed);
        GT_ASSERT_MSG(have == want, "cap %zu: messages missing in word %zu (%llx)", cap, w,
                      (unsigned long long)have);
    }
    uint64_t expect_sum = (uint64_t)P * ((uint64_t)per * (uint64_t)(per - 1) / 2);
    GT_ASSERT_UEQ(atomic_load_explicit(&s.seq_sum, memory_order_relaxed), expect_sum);
    gt_note("ST01 cap %4zu: %ld msgs %dPx%dC in %.2f s (%.0f msg/s)", cap, P * per, P, C, secs, P * per / secs);
    free(s.bitmap);
    goc_chan_free(s.ch);
}

static void st01(void) {
    long big = gt_n(1000000, 1000000), small = gt_n(100000, 100000);
    gt_note("ST01 sizes: %ld msgs for caps 7/64/1024, %ld for caps 0/1", big, small);
    run_cap(0, small);
    run_cap(1, small);
    run_cap(7, big);
    run_cap(64, big);
    run_cap(1024, big);
}

static void test_main(void) { gt_run("ST01_mpmc_exactly_once", st01); }

GT_MAIN(test_main)
