/*
 * goc_select_plan.h: the front end of goc_select and goc_chan_make, written
 * once for every backend (issue 12, "the select plan once"): argument checks,
 * the scratch memory of one call (stack for small selects, one heap block for
 * large ones), the random poll order and the lock order (Go's selectgo:
 * pollorder and lockorder). What a backend does with the plan (lock and poll,
 * or register claimable waiters on a lock-free ring) stays in the backend.
 *
 * The including file defines, before it calls anything here, two hooks over
 * its own goc_chan (static inline: no call, no dispatch cost):
 *   bool goc__chan_valid(const goc_chan *ch)        a live channel
 *   size_t goc__chan_esize(const goc_chan *ch)      its elem_size (ch valid)
 */
#ifndef GOC_SELECT_PLAN_H
#define GOC_SELECT_PLAN_H

#include <stdint.h>
#include <stdlib.h>

#include "goc_internal.h"
#include "goc_tsan.h"

static inline bool goc__chan_valid(const goc_chan *ch);
static inline size_t goc__chan_esize(const goc_chan *ch);

/* goc_chan_make's argument checks (goc.h): elem_size <= GOC_ELEM_MAX,
 * cap <= GOC_CAP_MAX and cap * elem_size <= GOC_CHAN_BYTES_MAX, checked
 * without overflow before anything is allocated. */
static inline bool goc__chan_make_ok(size_t elem_size, size_t cap) {
    return elem_size <= GOC_ELEM_MAX && cap <= GOC_CAP_MAX &&
           !(elem_size && cap > GOC_CHAN_BYTES_MAX / elem_size);
}

/* goc_select's argument checks: -EINVAL for cases == NULL with n > 0,
 * n > GOC_SELECT_MAX, an unknown op, a clause on a dead channel or a send
 * clause with no value on a channel whose elements have a size; otherwise
 * the number of enabled clauses (ch != NULL; Go's nil channels are
 * disabled). Nothing is changed on -EINVAL. */
static inline long goc__select_check(const goc_case *cases, size_t n) {
    if ((!cases && n) || n > GOC_SELECT_MAX) return -EINVAL;
    long enabled = 0;
    for (size_t i = 0; i < n; i++) {
        const goc_case *c = &cases[i];
        if (c->op != GOC_SEND && c->op != GOC_RECV) return -EINVAL;
        if (!c->ch) continue;
        if (!goc__chan_valid(c->ch) || (c->op == GOC_SEND && !c->elem && goc__chan_esize(c->ch)))
            return -EINVAL;
        enabled++;
    }
    return enabled;
}

/* The precise TSan build's entry of a select (arguments checked), in the
 * public goc_select itself (the strict option names its caller): for every
 * enabled send clause, what Go's selectgo reads before it locks anything:
 * the channel (strict-object option, racereadpc) and the clause's value
 * (evaluated on entry, chosen or not: GOC_RACE_SEND_VALUE, goc_tsan.h).
 * Empty in other builds. */
#define GOC_SEL_RACE_ENTRY(cases, n)                                            \
    do {                                                                        \
        for (size_t i_ = 0; i_ < (n); i_++)                                     \
            if ((cases)[i_].ch && (cases)[i_].op == GOC_SEND) {                 \
                GOC_RACE_STRICT_READ((cases)[i_].ch);                           \
                GOC_RACE_SEND_VALUE((cases)[i_].elem, goc__chan_esize((cases)[i_].ch)); \
            }                                                                   \
    } while (0)

/* The only enabled clause (the caller knows there is exactly one). */
static inline size_t goc__select_single(const goc_case *cases) {
    size_t i = 0;
    while (!cases[i].ch) i++;
    return i;
}

/* Selects up to this many enabled clauses keep their plan on the stack. */
#define GOC_SEL_STACK 8

/* One select call's plan. order[0..ne): enabled clause indices in random
 * poll order; locks[0..nl): their distinct channels in address order (only
 * when asked for); per[]: the backend's per-clause records (ne of them, of
 * the size it asked for). All owned by the calling task, on its stack or in
 * `heap`; goc__sel_done frees it. */
typedef struct goc__sel {
    size_t ne, nl;
    uint16_t *order;   /* GOC_SELECT_MAX < 65536 */
    goc_chan **locks;
    void *per;
    void *heap;
    uint16_t order_s[GOC_SEL_STACK];
    goc_chan *locks_s[GOC_SEL_STACK];
} goc__sel;

/* Sets up s for ne enabled clauses; per_stack: the backend's stack array of
 * GOC_SEL_STACK records of per_size bytes, used when ne fits. extra_size:
 * more heap bytes after the per-clause records (lockfree's per-case
 * snapshot), only when ne does not fit on the stack (the backend then
 * finds them at goc__sel_extra). 0 or -ENOMEM. */
static inline int goc__sel_init(goc__sel *s, size_t ne, void *per_stack, size_t per_size, size_t extra_size) {
    s->ne = ne;
    s->nl = 0;
    s->heap = NULL;
    if (GOC_LIKELY(ne <= GOC_SEL_STACK)) {
        s->order = s->order_s;
        s->locks = s->locks_s;
        s->per = per_stack;
        return 0;
    }
    /* one block: records first (their alignment is malloc's), then the
     * extra bytes, the lock pointers, the 16-bit order last */
    size_t per = ne * per_size, extra = (extra_size + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
    char *h = goc__malloc(per + extra + ne * sizeof *s->locks + ne * sizeof *s->order);
    if (!h) return -ENOMEM;
    s->heap = h;
    s->per = h;
    s->locks = (goc_chan **)(void *)(h + per + extra);
    s->order = (uint16_t *)(void *)(s->locks + ne);
    return 0;
}
/* The extra bytes of goc__sel_init (heap plans only). */
static inline void *goc__sel_extra(const goc__sel *s, size_t per_size) {
    return (char *)s->heap + s->ne * per_size;
}
static inline void goc__sel_done(goc__sel *s) {
    if (GOC_UNLIKELY(s->heap)) goc__free(s->heap); /* NULL for stack plans: no call */
}

/* order[]: the enabled clauses of cases[0..n) in a uniformly random order
 * (an inside-out Fisher-Yates: each clause lands at a random position among
 * those filled so far), so that the first ready clause of the poll is
 * uniform among the ready ones (Go's pollorder; tests check the spread). */
static inline void goc__sel_order(goc__sel *s, const goc_case *cases, size_t n) {
    uint16_t *o = s->order;
    for (size_t i = 0, k = 0; i < n; i++) {
        if (!cases[i].ch) continue;
        size_t j = goc__rand_n((uint32_t)(k + 1));
        o[k] = o[j];
        o[j] = (uint16_t)i;
        k++;
    }
}
/* A fresh random permutation of order[] (a backend that polls again). */
static inline void goc__sel_reshuffle(goc__sel *s) {
    uint16_t *o = s->order;
    for (size_t k = s->ne; k > 1; k--) {
        size_t j = goc__rand_n((uint32_t)k);
        uint16_t x = o[k - 1];
        o[k - 1] = o[j];
        o[j] = x;
    }
}

__attribute__((unused)) static int goc__sel_ptr_cmp(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (goc_chan *const *)a, y = (uintptr_t) * (goc_chan *const *)b;
    return x < y ? -1 : x > y;
}
/* locks[0..nl): the distinct channels of the enabled clauses in address
 * order (Go's lockorder): every select locks its channels in one global
 * order, so two selects never deadlock. Insertion sort for the common small
 * selects, qsort above 16. */
static inline void goc__sel_lock_order(goc__sel *s, const goc_case *cases) {
    goc_chan **lk = s->locks;
    size_t ne = s->ne;
    for (size_t i = 0; i < ne; i++) lk[i] = cases[s->order[i]].ch;
    if (ne <= 16) {
        for (size_t i = 1; i < ne; i++)
            for (size_t j = i; j > 0 && (uintptr_t)lk[j - 1] > (uintptr_t)lk[j]; j--) {
                goc_chan *x = lk[j];
                lk[j] = lk[j - 1];
                lk[j - 1] = x;
            }
    } else {
        qsort(lk, ne, sizeof *lk, goc__sel_ptr_cmp);
    }
    size_t nl = 0;
    for (size_t i = 0; i < ne; i++)
        if (nl == 0 || lk[nl - 1] != lk[i]) lk[nl++] = lk[i];
    s->nl = nl;
}

#endif /* GOC_SELECT_PLAN_H */
