/*
 * goc_lf_test.h: test hooks of the lockfree backend (RG11, RG13, RG15).
 * Only the goc_lockfree_seq8 test library has them (it is built with
 * GOC_LF_TEST_HOOKS; its name is kept from when it also had 8-bit stamps); tests under
 * backends/lockfree/tests/ link that library. Not part of goc.h.
 */
#ifndef GOC_LF_TEST_H
#define GOC_LF_TEST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Points where a hook runs, on the thread doing the operation. obj is the
 * channel (or the waiter's futex word for GOC_LF_HOOK_BEFORE_PARK). */
enum {
    /* ring send: after the buffer claim, before the value is copied in
     * and committed (RG11: a stalled producer); on a one-step ring, after
     * judging (t, EMPTY), just before the one CAS. */
    GOC_LF_HOOK_SEND_RESERVED = 0,
    /* ring send/recv: after the stamp was read and judged, before the CAS
     * on W (RG15: a preempted thread with a stale snapshot). */
    GOC_LF_HOOK_BEFORE_CAS = 1,
    /* parking: after the waiter announced LF_W_PARKED, before FUTEX_WAIT
     * (RG13: the wake may land in this window). */
    GOC_LF_HOOK_BEFORE_PARK = 2,
    /* ring recv: after the head CAS reserved a slot, before the value is
     * copied out and the slot released (issue 12 defect 3: a stalled
     * consumer one lap behind). */
    GOC_LF_HOOK_RECV_RESERVED = 3,
    GOC_LF_HOOK_COUNT = 4
};

typedef void (*goc_lf_hook_fn)(int point, const void *obj);

/* Installs fn at point (NULL removes it). Process-wide. */
void goc_lf_set_hook(int point, goc_lf_hook_fn fn);
/* Width of the stamp in W (56 bits in every build). */
unsigned goc_lf_seq_bits(void);
/* Moves a fresh, empty buffered channel's head and tail (and every slot's
 * stamp) to `laps` laps before the 64-bit positions wrap to 0, so that a
 * test crosses the wrap of the free-running indices (STYLE.md 6, ck_ring's
 * near-UINT_MAX validation). 0, or -EINVAL if ch is unbuffered or in use. */
struct goc_chan;
int goc_lf_test_near_wrap(struct goc_chan *ch, unsigned laps);
/* Moves an idle buffered channel's tail and head hints back by `back`
 * positions each (at most as far as each has gone), as a helper's late
 * hint store can (README section 1, "Hints and order": a hint may lag,
 * never lead). 0, or -EINVAL if ch is unbuffered. The caller guarantees no
 * operation is in flight. */
int goc_lf_test_hints_back(struct goc_chan *ch, uint64_t back);
/* Makes an idle buffered channel what a fresh goc_chan_make at the same
 * address would be (a new id, positions 0, empty): a freed and re-made
 * channel as a sender's memo sees it, without relying on the allocator to
 * hand the address back. Values in it are dropped (no destructor). 0, or
 * -EINVAL if ch is unbuffered. */
int goc_lf_test_remake(struct goc_chan *ch);
/* Number of FUTEX_WAIT calls made by channel waits so far (RG13 checks the
 * delay window was really exercised). */
unsigned long goc_lf_parks(void);

#ifdef __cplusplus
}
#endif
#endif
