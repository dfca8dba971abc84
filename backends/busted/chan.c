/*
 * busted: a deliberately broken channel, the negative control (cf. Linux's
 * locktorture `lock_busted`). It is never benchmarked. The stress tests and
 * ThreadSanitizer must FAIL on it; CTest registers those runs as expected
 * failures, which proves that the checks can fail at all.
 *
 * The bug, on purpose: ring indices and count are plain (volatile, so loops
 * re-read them) shared variables with no lock and no atomics, and a receiver
 * yields between reading a slot and advancing the index, so two receivers
 * routinely take the same value and values get lost. Blocking is polling
 * with sched_yield. Mutex and WaitGroup are the pthread backend's (correct).
 */
#include <sched.h>
#include <string.h>

#include "goc_internal.h"
#include "goc_select_plan.h"

struct goc_chan {
    uint32_t magic;
    size_t elem_size, cap, ring; /* ring = max(cap, 1) slots */
    volatile size_t head, tail, count; /* RACY ON PURPOSE: no lock, no atomics */
    volatile int closed;
    void (*dtor)(void *);
    goc__timer *timer;
    unsigned char *buf;
};

static bool ok(const goc_chan *ch) { return ch && ch->magic == GOC_MAGIC_CHAN; }
/* goc_select_plan.h's hooks: busted takes goc_chan_make's checks from it */
static inline bool goc__chan_valid(const goc_chan *ch) { return ok(ch); }
static inline size_t goc__chan_esize(const goc_chan *ch) { return ch->elem_size; }

goc_chan *goc_chan_make(size_t elem_size, size_t cap) {
    if (!goc__chan_make_ok(elem_size, cap)) {
        errno = EINVAL;
        return NULL;
    }
    goc_chan *ch = goc__calloc(1, sizeof *ch);
    if (!ch) { errno = ENOMEM; return NULL; }
    ch->ring = cap ? cap : 1;
    ch->buf = goc__calloc(ch->ring, elem_size ? elem_size : 1);
    if (!ch->buf) { goc__free(ch); errno = ENOMEM; return NULL; }
    ch->elem_size = elem_size;
    ch->cap = cap;
    ch->magic = GOC_MAGIC_CHAN;
    return ch;
}

int goc_chan_set_dtor(goc_chan *ch, void (*dtor)(void *)) {
    if (!ok(ch)) return -EINVAL;
    ch->dtor = dtor;
    return 0;
}
void goc__chan_set_timer(goc_chan *ch, goc__timer *t) { ch->timer = t; }
size_t goc_chan_len(const goc_chan *ch) { return ok(ch) ? ch->count : 0; }
size_t goc_chan_cap(const goc_chan *ch) { return ok(ch) ? ch->cap : 0; }

static bool expired(goc_time d) {
    return goc__deadline_kind(d) == GOC_DL_AT && goc_now() >= d;
}

static int try_send(goc_chan *ch, const void *elem) {
    if (ch->closed) return -EPIPE;
    if (ch->count >= ch->ring) return 0;
    size_t t = ch->tail;
    if (ch->elem_size) memcpy(ch->buf + t * ch->elem_size, elem, ch->elem_size);
    ch->tail = (t + 1) % ch->ring;
    ch->count = ch->count + 1;
    return 1;
}

static int try_recv(goc_chan *ch, void *elem) {
    if (ch->count == 0) {
        if (ch->closed) {
            if (elem && ch->elem_size) memset(elem, 0, ch->elem_size);
            return -EPIPE;
        }
        return 0;
    }
    size_t h = ch->head;
    if (elem && ch->elem_size) memcpy(elem, ch->buf + h * ch->elem_size, ch->elem_size);
    sched_yield(); /* widen the window: another receiver reads the same slot */
    ch->head = (h + 1) % ch->ring;
    ch->count = ch->count - 1;
    return 1;
}

int goc_chan_send(goc_chan *ch, const void *elem, goc_time deadline) {
    if (!ok(ch) || (!elem && ch->elem_size)) return -EINVAL;
    for (;;) {
        int r = try_send(ch, elem);
        if (r) return r == 1 ? 0 : r;
        if (deadline == GOC_NOW) return -EAGAIN;
        if (expired(deadline)) return -ETIMEDOUT;
        sched_yield();
    }
}

int goc_chan_recv(goc_chan *ch, void *elem, goc_time deadline) {
    if (!ok(ch)) return -EINVAL;
    for (;;) {
        int r = try_recv(ch, elem);
        if (r) return r == 1 ? 0 : r;
        if (deadline == GOC_NOW) return -EAGAIN;
        if (expired(deadline)) return -ETIMEDOUT;
        sched_yield();
    }
}

int goc_chan_close(goc_chan *ch) {
    if (!ok(ch)) return -EINVAL;
    if (ch->closed) return -EPIPE;
    ch->closed = 1;
    return 0;
}

void goc_chan_free(goc_chan *ch) {
    if (!ok(ch)) return;
    if (ch->timer) goc__timer_free(ch->timer);
    ch->magic = GOC_MAGIC_DEAD;
    goc__free(ch->buf);
    goc__free(ch);
}

int goc_select(goc_case *cases, size_t n, goc_time deadline) {
    if ((!cases && n) || n > GOC_SELECT_MAX) return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (cases[i].op != GOC_SEND && cases[i].op != GOC_RECV) return -EINVAL;
    for (;;) {
        size_t start = n ? goc__rand_n((uint32_t)n) : 0;
        for (size_t k = 0; k < n; k++) {
            goc_case *c = &cases[(start + k) % n];
            if (!c->ch) continue;
            int r = c->op == GOC_SEND ? try_send(c->ch, c->elem) : try_recv(c->ch, c->elem);
            if (r) {
                c->err = r == 1 ? 0 : r;
                return (int)((start + k) % n);
            }
        }
        if (deadline == GOC_NOW) return -EAGAIN;
        if (expired(deadline)) return -ETIMEDOUT;
        sched_yield();
    }
}

const char *goc_backend_name(void) { return "busted"; }
