/*
 * select_timeout: select with a timeout.
 *
 *     c1 := make(chan string, 1); c2 := make(chan string, 1)
 *     go func() { time.Sleep(1 * time.Second); c1 <- "one" }()
 *     go func() { time.Sleep(2 * time.Second); c2 <- "two" }()
 *     for i := 0; i < 2; i++ {
 *         select {
 *         case msg := <-c1: fmt.Println("received", msg)
 *         case msg := <-c2: fmt.Println("received", msg)
 *         case <-time.After(3 * time.Second): fmt.Println("timeout"); return
 *         }
 *     }
 *
 * With 1 s / 2 s answers and a 3 s timeout both answers arrive, "one" first.
 * The timeout variant (a 500 ms timeout) prints "timeout". The channels
 * have capacity 1 so that a sender whose answer nobody waits for any more
 * still completes its send and exits (with unbuffered channels it would
 * block forever: a leak). Each sender's wake-up time is computed by main
 * before it spawns them, so the answers' order does not depend on how
 * quickly a task starts. time.After is goc_after; freeing its channel after
 * the select stops the timer (Go would keep it until it fires).
 *
 * Shared state: the channels; `st` fields set before spawning; `senders`
 * WaitGroup so that main returns only after both senders are done.
 */
#include <errno.h>
#include <string.h>

#include "patterns.h"

struct answer {
    char s[8];
};

struct sender_arg {
    goc_chan *ch;     /* cap 1 */
    goc_time at;      /* absolute time of the answer */
    const char *text;
    goc_wg *senders;
};

static void answer_later(void *p) {
    struct sender_arg *a = p;
    goc_sleep(a->at);
    struct answer m = {{0}};
    strncpy(m.s, a->text, sizeof m.s - 1);
    goc_chan_send(a->ch, &m, GOC_NEVER); /* cap 1, one send: never blocks */
    goc_wg_done(a->senders);
}

int pat_select_timeout(const pat_select_timeout_opts *o, pat_select_timeout_result *r) {
    if (!o || !r || o->delay1_ns < 0 || o->delay2_ns < 0 || o->timeout_ns < 0) return -EINVAL;
    memset(r, 0, sizeof *r);
    goc_time t0 = goc_now();
    goc_chan *c1 = goc_chan_make(sizeof(struct answer), 1);
    goc_chan *c2 = goc_chan_make(sizeof(struct answer), 1);
    goc_wg *senders = goc_wg_make();
    int rc = 0;
    if (!c1 || !c2 || !senders) {
        rc = -ENOMEM;
        goto out;
    }
    struct sender_arg a1 = {c1, t0 + pat_scaled(o->delay1_ns, o->time_scale), "one", senders};
    struct sender_arg a2 = {c2, t0 + pat_scaled(o->delay2_ns, o->time_scale), "two", senders};
    goc_wg_add(senders, 2);
    if ((rc = goc_go(answer_later, &a1)) != 0) {
        goc_wg_add(senders, -2);
        goto out;
    }
    if ((rc = goc_go(answer_later, &a2)) != 0) {
        goc_wg_done(senders);
        goc_wg_wait(senders, GOC_NEVER);
        goto out;
    }
    int64_t timeout = pat_scaled(o->timeout_ns, o->time_scale);
    for (int i = 0; i < 2; i++) {
        struct answer m1, m2;
        goc_chan *after = goc_after(timeout);
        if (!after) {
            rc = -ENOMEM;
            break;
        }
        goc_case cases[3] = {
            {.ch = c1, .op = GOC_RECV, .elem = &m1},
            {.ch = c2, .op = GOC_RECV, .elem = &m2},
            {.ch = after, .op = GOC_RECV, .elem = NULL},
        };
        int k = goc_select(cases, 3, GOC_NEVER);
        goc_chan_free(after);
        if (k == 0 || k == 1) {
            const struct answer *m = k == 0 ? &m1 : &m2;
            memcpy(r->order[r->received], m->s, sizeof r->order[0]);
            r->order[r->received][sizeof r->order[0] - 1] = 0;
            r->received++;
            if (o->out) fprintf(o->out, "received %s\n", m->s);
        } else if (k == 2) {
            r->timeouts++;
            if (o->out) fprintf(o->out, "timeout\n");
            break;
        } else {
            rc = k;
            break;
        }
    }
    r->elapsed_ns = goc_now() - t0;
    goc_wg_wait(senders, GOC_NEVER); /* the late sender finishes into its buffer */
out:
    goc_chan_free(c1);
    goc_chan_free(c2);
    goc_wg_free(senders);
    return rc;
}

#ifdef GOC_PATTERN_MAIN
#include <stdlib.h>
struct cli {
    pat_select_timeout_opts o;
    int rc;
};

static void cli_root(void *p) {
    struct cli *c = p;
    pat_select_timeout_result r;
    c->rc = pat_select_timeout(&c->o, &r);
}

int main(int argc, char **argv) {
    struct cli c = {.o = PAT_SELECT_TIMEOUT_DEFAULTS};
    c.o.out = stdout;
    int quiet = 0;
    if (pat_cli_common(&argc, argv, &c.o.time_scale, &quiet)) return 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--timeout-fires") == 0) {
            c.o.timeout_ns = 500 * PAT_MS;
        } else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
            char *end = NULL;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 3600000) goto usage;
            c.o.timeout_ns = v * PAT_MS;
        } else {
            goto usage;
        }
    }
    if (quiet) c.o.out = NULL;
    int rc = goc_main(cli_root, &c);
    if (rc || c.rc) {
        fprintf(stderr, "select_timeout: %s\n", goc_strerror(rc ? rc : c.rc));
        return 1;
    }
    return 0;
usage:
    fprintf(stderr, "usage: %s [--timeout-fires | --timeout-ms MS] [--time-scale X] [--quiet]\n",
            argv[0]);
    return 2;
}
#endif
