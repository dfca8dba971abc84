/*
 * The epoll key of coro's netpoller (backends/coro/netpoll_key.h), issue 12
 * "also seen": the key kept 16 bits of the wait sequence, so an event left
 * over from a wait 65,536 waits earlier matched the current wait. White box:
 * encodes keys for task-like addresses and checks that the pointer comes
 * back, that the sequence it was made for matches, and that sequences 2^16
 * and 2^20 apart do not (the 16-bit key failed the first).
 */
#include "goc_testing.h"

#include "netpoll_key.h"

static void key_roundtrip(void) {
    static _Alignas(64) char fake[4][64];
    uintptr_t addrs[] = {(uintptr_t)fake[0], (uintptr_t)fake[3], (uintptr_t)0x7ffff7a00040ull,
                         (uintptr_t)0x0000555555554000ull, (uintptr_t)0x7fffffffffc0ull};
    uint32_t seqs[] = {1, 2, 0xffff, 0x10000, 0x12345, 0x3fffff, 0x400000, 0xfffffffe, 0xffffffff};
    for (size_t a = 0; a < sizeof addrs / sizeof *addrs; a++) {
        const void *t = (const void *)addrs[a];
        GT_ASSERT(coro_poll_key_ok(t));
        for (size_t i = 0; i < sizeof seqs / sizeof *seqs; i++) {
            uint32_t s = seqs[i];
            uint64_t k = coro_poll_key(t, s);
            GT_ASSERT_NE(k, 0); /* 0 is the eventfd's key */
            GT_ASSERT_PTR_EQ(coro_poll_key_task(k), t);
            GT_ASSERT(coro_poll_key_seq_is(k, s));
            GT_ASSERT(!coro_poll_key_seq_is(k, s + 1));
            GT_ASSERT_MSG(!coro_poll_key_seq_is(k, s + 0x10000), "seq %#x aliases %#x (16-bit key)", s,
                          s + 0x10000);
            GT_ASSERT_MSG(!coro_poll_key_seq_is(k, s + 0x100000), "seq %#x aliases %#x", s, s + 0x100000);
        }
    }
    GT_ASSERT(!coro_poll_key_ok((const void *)(uintptr_t)0x1008)); /* not 64-byte aligned */
    gt_note("key: %d pointer bits, %d sequence bits (an alias needs %lu waits)", CORO_POLL_KEY_PTR_BITS,
            CORO_POLL_KEY_SEQ_BITS, 1ul << CORO_POLL_KEY_SEQ_BITS);
}

static void test_main(void) { gt_run("netpoll_key_roundtrip", key_roundtrip); }
GT_MAIN(test_main)
