/*
 * buffering: unbuffered versus buffered channels.
 *
 *     ch := make(chan int)      // unbuffered: a send waits for a receiver
 *     go func() { fmt.Println(<-ch) }()
 *     ch <- 42
 *
 *     bch := make(chan int, 3)  // buffered: three sends do not block
 *     bch <- 1; bch <- 2; bch <- 3
 *     // bch <- 4 would block here (fatal error: all goroutines are asleep)
 *     fmt.Println(<-bch, <-bch, <-bch)
 *
 * "Would block" is shown with a try-send (GOC_NOW: Go's select with a
 * default), which returns -EAGAIN instead of hanging.
 */
#include <errno.h>

#include "patterns.h"

struct receiver_arg {
    goc_chan *ch;
    goc_chan *done; /* cap 1: the receiver reports what it received */
};

static void receiver(void *p) {
    struct receiver_arg *a = p;
    int v = 0;
    int rc = goc_chan_recv(a->ch, &v, GOC_NEVER);
    if (rc) v = rc; /* a negative value cannot be 42: main sees the failure */
    goc_chan_send(a->done, &v, GOC_NEVER);
}

int pat_buffering(size_t cap, pat_buffering_result *r, FILE *out) {
    if (!r || cap < 1 || cap > 4096) return -EINVAL;
    int rc = 0;
    goc_chan *ch = goc_chan_make(sizeof(int), 0);
    goc_chan *done = goc_chan_make(sizeof(int), 1);
    goc_chan *bch = goc_chan_make(sizeof(int), cap);
    if (!ch || !done || !bch) {
        rc = -ENOMEM;
        goto out;
    }

    /* Unbuffered: nobody receives yet, so a try-send would block. */
    int v = 42;
    r->unbuffered_try_send = goc_chan_send(ch, &v, GOC_NOW);
    if (out) fprintf(out, "unbuffered: send with no receiver would block (try-send: %s)\n",
                     goc_strerror(r->unbuffered_try_send));
    struct receiver_arg a = {ch, done};
    rc = goc_go(receiver, &a);
    if (rc) goto out;
    r->unbuffered_send = goc_chan_send(ch, &v, GOC_NEVER);
    rc = goc_chan_recv(done, &r->unbuffered_received, GOC_NEVER);
    if (rc) goto out;
    if (out) fprintf(out, "unbuffered: received %d\n", r->unbuffered_received);

    /* Buffered: cap sends complete with no receiver. */
    r->buffered_sends_ok = 0;
    for (size_t i = 1; i <= cap; i++) {
        int x = (int)i;
        if (goc_chan_send(bch, &x, GOC_NEVER) == 0) r->buffered_sends_ok++;
    }
    r->buffered_len = goc_chan_len(bch);
    int extra = (int)cap + 1;
    r->buffered_extra_send = goc_chan_send(bch, &extra, GOC_NOW);
    if (out) {
        fprintf(out, "buffered: %d sends did not block (len %zu, cap %zu)\n", r->buffered_sends_ok,
                r->buffered_len, goc_chan_cap(bch));
        fprintf(out, "buffered: send #%d would block (try-send: %s)\n", extra,
                goc_strerror(r->buffered_extra_send));
    }
    r->buffered_fifo_errors = 0;
    for (size_t i = 1; i <= cap; i++) {
        int x = 0;
        if (goc_chan_recv(bch, &x, GOC_NOW) != 0 || x != (int)i) r->buffered_fifo_errors++;
        if (out && cap <= 16) fprintf(out, "%d\n", x);
    }
out:
    goc_chan_free(ch);
    goc_chan_free(done);
    goc_chan_free(bch);
    return rc;
}

#ifdef GOC_PATTERN_MAIN
#include <stdlib.h>
#include <string.h>
struct cli {
    size_t cap;
    FILE *out;
    int rc;
};

static void cli_root(void *p) {
    struct cli *c = p;
    pat_buffering_result r;
    c->rc = pat_buffering(c->cap, &r, c->out);
    if (!c->rc && (r.unbuffered_try_send != -EAGAIN || r.unbuffered_received != 42 ||
                   r.buffered_sends_ok != (int)c->cap || r.buffered_extra_send != -EAGAIN ||
                   r.buffered_fifo_errors))
        c->rc = -EPROTO;
}

int main(int argc, char **argv) {
    struct cli c = {.cap = 3, .out = stdout};
    double scale = 1.0;
    int quiet = 0;
    if (pat_cli_common(&argc, argv, &scale, &quiet)) return 2;
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--cap") == 0 && i + 1 < argc) {
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || v < 1 || v > 4096) goto usage;
            c.cap = v;
        } else {
            goto usage;
        }
    }
    if (quiet) c.out = NULL;
    int rc = goc_main(cli_root, &c);
    if (rc || c.rc) {
        fprintf(stderr, "buffering: %s\n", goc_strerror(rc ? rc : c.rc));
        return 1;
    }
    return 0;
usage:
    fprintf(stderr, "usage: %s [--cap N (1..4096)] [--quiet]\n", argv[0]);
    return 2;
}
#endif
