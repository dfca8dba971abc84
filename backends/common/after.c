/* goc_after (Go's time.After) on top of the channel API and the timer service. */
#include "goc_internal.h"
#include "goc_tsan.h"

static void after_fire(void *arg) {
    goc_chan *ch = arg;
    /* precise TSan build: goc_after -> the firing is Go's timer edge, made by
     * the timer service itself (GOC_RACE_TIMER_ARM/FIRE, goc_tsan.h); without
     * it the timer's send, a read of the channel object in the strict-object
     * option, would race with the channel's allocation. */
    goc_time now = goc_now();
    /* cap 1 and only this timer sends: the try-send cannot find it full
     * unless the program sent into the after channel itself. */
    (goc_chan_send)(ch, &now, GOC_NOW);
}

goc_chan *goc_after(int64_t ns) {
    goc_chan *ch = goc_chan_make(sizeof(goc_time), 1);
    if (!ch) return NULL;
    goc__timer *t = goc__timer_start(ns <= 0 ? goc_now() : goc_deadline(ns), after_fire, ch);
    if (!t) {
        int e = errno;
        goc_chan_free(ch);
        errno = e;
        return NULL;
    }
    goc__chan_set_timer(ch, t); /* goc_chan_free(ch) will goc__timer_free(t) */
    return ch;
}
