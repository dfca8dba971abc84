/*
 * fan_out_fan_in: the article's fan-out and fan-in.
 *
 *     func fanOut(in <-chan int, out1, out2 chan<- int) {
 *         for v := range in { out1 <- v; out2 <- v }
 *         close(out1); close(out2)
 *     }
 *     func fanIn(in1, in2 <-chan int) <-chan int {
 *         out := make(chan int)
 *         go func() {
 *             defer close(out)
 *             for in1 != nil || in2 != nil {
 *                 select {
 *                 case v, ok := <-in1: if !ok { in1 = nil; continue }; out <- v
 *                 case v, ok := <-in2: if !ok { in2 = nil; continue }; out <- v
 *                 }
 *             }
 *         }()
 *         return out
 *     }
 *     for v := range fanIn(o1, o2) { fmt.Println(v) }   // o1, o2 fed by fanOut(gen(n), o1, o2)
 *
 * Setting a closed input to nil disables its select case for good (a nil
 * channel is never ready); here the case's channel pointer becomes NULL,
 * which goc_select treats the same way. Without that, the closed input
 * would win the select forever with zero values.
 *
 * Shared state: the four channels; `fan` fields are set before any task is
 * spawned. `closed_inputs` is written only by the fanIn task and read by
 * main after `done` (a WaitGroup) has been waited for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "patterns.h"

struct fan {
    goc_chan *in, *o1, *o2, *out; /* int64_t elements */
    long n;
    int closed_inputs; /* fanIn task only, until done */
    goc_wg *done;      /* gen, fanOut and fanIn */
};

static void gen(void *p) {
    struct fan *f = p;
    for (int64_t i = 1; i <= f->n; i++)
        if (goc_chan_send(f->in, &i, GOC_NEVER) != 0) break;
    goc_chan_close(f->in);
    goc_wg_done(f->done);
}

static void fan_out(void *p) {
    struct fan *f = p;
    int64_t v;
    while (goc_chan_recv(f->in, &v, GOC_NEVER) == 0) {
        if (goc_chan_send(f->o1, &v, GOC_NEVER) != 0) break;
        if (goc_chan_send(f->o2, &v, GOC_NEVER) != 0) break;
    }
    goc_chan_close(f->o1);
    goc_chan_close(f->o2);
    goc_wg_done(f->done);
}

static void fan_in(void *p) {
    struct fan *f = p;
    int64_t v1, v2;
    goc_case cases[2] = {
        {.ch = f->o1, .op = GOC_RECV, .elem = &v1},
        {.ch = f->o2, .op = GOC_RECV, .elem = &v2},
    };
    while (cases[0].ch || cases[1].ch) { /* for in1 != nil || in2 != nil */
        int i = goc_select(cases, 2, GOC_NEVER);
        if (i < 0) break; /* cannot happen with GOC_NEVER and valid cases */
        if (cases[i].err) { /* !ok: closed and drained */
            cases[i].ch = NULL;
            f->closed_inputs++;
            continue;
        }
        if (goc_chan_send(f->out, i == 0 ? &v1 : &v2, GOC_NEVER) != 0) break;
    }
    goc_chan_close(f->out); /* defer close(out) */
    goc_wg_done(f->done);
}

int pat_fan_out_fan_in(const pat_fan_opts *o, pat_fan_result *r) {
    if (!o || !r || o->n < 0 || o->n > 100000000 || o->cap > 1000000) return -EINVAL;
    memset(r, 0, sizeof *r);
    struct fan f = {
        .in = goc_chan_make(sizeof(int64_t), o->cap),
        .o1 = goc_chan_make(sizeof(int64_t), o->cap),
        .o2 = goc_chan_make(sizeof(int64_t), o->cap),
        .out = goc_chan_make(sizeof(int64_t), o->cap),
        .n = o->n,
        .done = goc_wg_make(),
    };
    unsigned char *seen = calloc((size_t)o->n + 1, 1);
    int rc = 0;
    if (!f.in || !f.o1 || !f.o2 || !f.out || !f.done || !seen) {
        rc = -ENOMEM;
        goto out;
    }
    void (*stages[3])(void *) = {gen, fan_out, fan_in};
    int started = 0;
    for (int s = 0; s < 3; s++) {
        goc_wg_add(f.done, 1);
        if ((rc = goc_go(stages[s], &f)) != 0) {
            goc_wg_done(f.done);
            break;
        }
        started++;
    }
    if (rc) {
        /* Unblock whatever started: closing every channel ends each stage. */
        goc_chan_close(f.in);
        goc_chan_close(f.o1);
        goc_chan_close(f.o2);
        if (started < 3) goc_chan_close(f.out);
    }
    int64_t v;
    while (rc == 0 && goc_chan_recv(f.out, &v, GOC_NEVER) == 0) { /* range fanIn(...) */
        if (o->out) fprintf(o->out, "%lld\n", (long long)v);
        r->received++;
        r->sum += v;
        if (v >= 1 && v <= o->n && seen[v] < 255) seen[v]++;
        else r->multiset_errors++;
    }
    if (rc) {
        while (goc_chan_recv(f.out, NULL, GOC_NEVER) == 0) {
        }
    }
    goc_wg_wait(f.done, GOC_NEVER);
    r->closed_inputs = f.closed_inputs;
    for (long i = 1; i <= o->n; i++)
        if (seen[i] != 2) r->multiset_errors++;
out:
    goc_chan_free(f.in);
    goc_chan_free(f.o1);
    goc_chan_free(f.o2);
    goc_chan_free(f.out);
    goc_wg_free(f.done);
    free(seen);
    return rc;
}

#ifdef GOC_PATTERN_MAIN
struct cli {
    pat_fan_opts o;
    int rc;
};

static void cli_root(void *p) {
    struct cli *c = p;
    pat_fan_result r;
    c->rc = pat_fan_out_fan_in(&c->o, &r);
    if (c->rc) return;
    if (r.received != 2 * c->o.n || r.sum != (int64_t)c->o.n * (c->o.n + 1) || r.multiset_errors ||
        r.closed_inputs != 2)
        c->rc = -EPROTO;
}

int main(int argc, char **argv) {
    struct cli c = {.o = {.n = 5, .cap = 0, .out = stdout}};
    double scale = 1.0;
    int quiet = 0;
    if (pat_cli_common(&argc, argv, &scale, &quiet)) return 2;
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        char *end = NULL;
        if (i + 1 >= argc) goto usage;
        errno = 0;
        long v = strtol(argv[i + 1], &end, 10);
        if (errno || *end || end == argv[i + 1]) goto usage;
        if (strcmp(argv[i], "-n") == 0 && v >= 0 && v <= 100000000) c.o.n = v;
        else if (strcmp(argv[i], "--cap") == 0 && v >= 0 && v <= 1000000) c.o.cap = (size_t)v;
        else goto usage;
    }
    if (quiet) c.o.out = NULL;
    int rc = goc_main(cli_root, &c);
    if (rc || c.rc) {
        fprintf(stderr, "fan_out_fan_in: %s\n", goc_strerror(rc ? rc : c.rc));
        return 1;
    }
    return 0;
usage:
    fprintf(stderr, "usage: %s [-n N] [--cap N] [--quiet]\n", argv[0]);
    return 2;
}
#endif
