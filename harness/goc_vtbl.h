/*
 * goc_vtbl.h: a thin function-pointer adapter over the channel and select
 * calls of goc.h, to measure what runtime dispatch would cost (DESIGN.md
 * section 2 chooses link-time backends; this build backs the choice with a
 * number). Included by a benchmark source after goc.h when GOC_BENCH_VTBL is
 * defined: every goc_chan_make/send/recv/close/free and goc_select call then
 * goes through `goc_vtbl_ops`, a volatile pointer to a table, so the
 * compiler must load the table and call indirectly each time (what a
 * `ch->ops->send(...)` design pays; the call-site recording of goc.h's
 * macros is kept, so the only difference is the dispatch). Modelled on
 * urcu's *_dynlink benchmark builds. Not for use outside harness/.
 */
#ifndef GOC_VTBL_H
#define GOC_VTBL_H

#include <goc/goc.h>

struct goc_vtbl {
    goc_chan *(*chan_make)(size_t elem_size, size_t cap);
    int (*chan_send)(goc_chan *ch, const void *elem, goc_time deadline);
    int (*chan_recv)(goc_chan *ch, void *elem, goc_time deadline);
    int (*chan_close)(goc_chan *ch);
    void (*chan_free)(goc_chan *ch);
    int (*select)(goc_case *cases, size_t n, goc_time deadline);
};

/* Parenthesised names call the functions, not goc.h's call-site macros. */
static const struct goc_vtbl goc_vtbl_impl = {
    .chan_make = (goc_chan_make),
    .chan_send = (goc_chan_send),
    .chan_recv = (goc_chan_recv),
    .chan_close = (goc_chan_close),
    .chan_free = (goc_chan_free),
    .select = (goc_select),
};
/* volatile: the pointer is re-read at every call, as a per-object ops
 * pointer would be; the compiler cannot devirtualise. */
static const struct goc_vtbl *volatile goc_vtbl_ops = &goc_vtbl_impl;

/* Marks the JSON records of this build ("pthread-vtbl"); read by the shim. */
const char *goc_bench_backend_suffix = "-vtbl";

#undef goc_chan_send
#undef goc_chan_recv
#undef goc_select
#ifndef GOC_NO_CALLSITES
#define goc_chan_send(ch, e, d) (goc__callsite = GOC__SITE, goc_vtbl_ops->chan_send((ch), (e), (d)))
#define goc_chan_recv(ch, e, d) (goc__callsite = GOC__SITE, goc_vtbl_ops->chan_recv((ch), (e), (d)))
#define goc_select(c, n, d) (goc__callsite = GOC__SITE, goc_vtbl_ops->select((c), (n), (d)))
#else
#define goc_chan_send(ch, e, d) (goc_vtbl_ops->chan_send((ch), (e), (d)))
#define goc_chan_recv(ch, e, d) (goc_vtbl_ops->chan_recv((ch), (e), (d)))
#define goc_select(c, n, d) (goc_vtbl_ops->select((c), (n), (d)))
#endif
#define goc_chan_make(s, c) (goc_vtbl_ops->chan_make((s), (c)))
#define goc_chan_close(ch) (goc_vtbl_ops->chan_close(ch))
#define goc_chan_free(ch) (goc_vtbl_ops->chan_free(ch))

#endif /* GOC_VTBL_H */
