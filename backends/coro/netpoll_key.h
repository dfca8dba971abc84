/*
 * netpoll_key.h: the 64-bit epoll key of a parked goc_fd_wait (netpoll.c):
 * the task pointer and as many low bits of the wait sequence as fit, so
 * that an event left over from an earlier wait of the task is recognised
 * as stale. Task structs are 64-byte aligned (stack.c puts each at a
 * 64-byte boundary below its slot's top; fd_arm checks) and user addresses
 * fit in 48 bits (x86-64 and arm64 with 4-level tables; fd_arm checks), so
 * the key keeps bits 6..47 of the pointer and 22 bits of the sequence: an
 * alias needs 2^22 waits of one task while a stale event is held (the
 * 16 bits of before aliased after 65,536). Header-only, so that the coro
 * tests can check the encoding.
 */
#ifndef GOC_CORO_NETPOLL_KEY_H
#define GOC_CORO_NETPOLL_KEY_H

#include <stdbool.h>
#include <stdint.h>

#define CORO_POLL_KEY_ALIGN_BITS 6
#define CORO_POLL_KEY_PTR_BITS (48 - CORO_POLL_KEY_ALIGN_BITS) /* 42 */
#define CORO_POLL_KEY_SEQ_BITS (64 - CORO_POLL_KEY_PTR_BITS)   /* 22 */

struct coro_task;

/* Whether t can be encoded (fd_arm refuses to park otherwise). */
static inline bool coro_poll_key_ok(const void *t) {
    uintptr_t p = (uintptr_t)t;
    return (p & ((1u << CORO_POLL_KEY_ALIGN_BITS) - 1)) == 0 && (p >> 48) == 0;
}
/* Never 0 (the eventfd's key): t is never NULL. */
static inline uint64_t coro_poll_key(const void *t, uint32_t seq) {
    uint64_t ptr = (uint64_t)(uintptr_t)t >> CORO_POLL_KEY_ALIGN_BITS;
    uint64_t sq = (uint64_t)(seq & ((1u << CORO_POLL_KEY_SEQ_BITS) - 1));
    return ptr | (sq << CORO_POLL_KEY_PTR_BITS);
}
static inline struct coro_task *coro_poll_key_task(uint64_t key) {
    uint64_t ptr = key & ((1ull << CORO_POLL_KEY_PTR_BITS) - 1);
    return (struct coro_task *)(uintptr_t)(ptr << CORO_POLL_KEY_ALIGN_BITS);
}
/* Whether key was made for the wait with sequence seq (modulo 2^22). */
static inline bool coro_poll_key_seq_is(uint64_t key, uint32_t seq) {
    return (key >> CORO_POLL_KEY_PTR_BITS) == (uint64_t)(seq & ((1u << CORO_POLL_KEY_SEQ_BITS) - 1));
}

#endif
