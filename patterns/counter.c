/*
 * counter: a shared counter incremented by 1000 tasks, three ways.
 *
 *     var counter int
 *     var wg sync.WaitGroup
 *     for i := 0; i < 1000; i++ {
 *         wg.Add(1)
 *         go func() { defer wg.Done(); counter++ }()   // RACY: a data race
 *     }
 *     wg.Wait()
 *     fmt.Println("Counter:", counter)
 *
 * MUTEX:    mu.Lock(); counter++; mu.Unlock()
 * CHANLOCK: the article's channel used as a lock that also holds the value:
 *           ch := make(chan int, 1); ch <- 0
 *           go func() { v := <-ch; v++; ch <- v }()   ... counter = <-ch
 *
 * RACY is the article's bug, kept on purpose: `counter++` is a load, an add
 * and a store, unsynchronised, so increments can be lost and TSan reports
 * the race. It is built everywhere but only the race suite runs it under
 * TSan (as a must-report case); the tests here check only that it returns
 * a value in [1, tasks].
 *
 * Guards: `value` is guarded by `mu` (MUTEX), by owning the single token in
 * `ch` (CHANLOCK: whoever received the value owns it until it sends it
 * back; the send happens before the next receive completes), by nothing
 * (RACY). The WaitGroup orders every task's last access before main's read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "patterns.h"

struct counter_run {
    long value; /* see the guards above */
    goc_mutex *mu;
    goc_chan *ch; /* long, cap 1 */
    goc_wg *wg;
};

/* The race is the point of this function (the race suite expects TSan to
 * report it), so it carries no annotation or suppression. */
static void inc_racy(void *p) {
    struct counter_run *c = p;
    c->value++; /* data race: the article's bug */
    goc_wg_done(c->wg);
}

static void inc_mutex(void *p) {
    struct counter_run *c = p;
    goc_mutex_lock(c->mu);
    c->value++;
    goc_mutex_unlock(c->mu);
    goc_wg_done(c->wg);
}

static void inc_chanlock(void *p) {
    struct counter_run *c = p;
    long v;
    if (goc_chan_recv(c->ch, &v, GOC_NEVER) == 0) { /* v := <-ch: take the lock */
        v++;
        goc_chan_send(c->ch, &v, GOC_NEVER); /* ch <- v: release it */
    }
    goc_wg_done(c->wg);
}

int pat_counter(int variant, int tasks, long *counter, FILE *out) {
    if (!counter || tasks < 0 || tasks > 1000000) return -EINVAL;
    void (*fn)(void *);
    switch (variant) {
    case PAT_COUNTER_RACY: fn = inc_racy; break;
    case PAT_COUNTER_MUTEX: fn = inc_mutex; break;
    case PAT_COUNTER_CHANLOCK: fn = inc_chanlock; break;
    default: return -EINVAL;
    }
    struct counter_run c = {.wg = goc_wg_make()};
    int rc = 0;
    if (!c.wg) return -ENOMEM;
    if (variant == PAT_COUNTER_MUTEX && !(c.mu = goc_mutex_make())) rc = -ENOMEM;
    if (variant == PAT_COUNTER_CHANLOCK) {
        long zero = 0;
        if (!(c.ch = goc_chan_make(sizeof(long), 1))) rc = -ENOMEM;
        else rc = goc_chan_send(c.ch, &zero, GOC_NOW); /* ch <- 0 */
    }
    for (int i = 0; rc == 0 && i < tasks; i++) {
        goc_wg_add(c.wg, 1);
        if ((rc = goc_go(fn, &c)) != 0) goc_wg_done(c.wg);
    }
    goc_wg_wait(c.wg, GOC_NEVER);
    if (variant == PAT_COUNTER_CHANLOCK && c.ch) {
        long v = 0;
        int e = goc_chan_recv(c.ch, &v, GOC_NOW);
        if (e && rc == 0) rc = e;
        c.value = v;
    }
    *counter = c.value;
    if (out && rc == 0) fprintf(out, "Counter: %ld\n", c.value);
    goc_mutex_free(c.mu);
    goc_chan_free(c.ch);
    goc_wg_free(c.wg);
    return rc;
}

#ifdef GOC_PATTERN_MAIN
struct cli {
    int variant, tasks;
    FILE *out;
    int rc;
};

static void cli_root(void *p) {
    struct cli *c = p;
    long v = 0;
    c->rc = pat_counter(c->variant, c->tasks, &v, c->out);
    if (c->rc) return;
    if (c->variant == PAT_COUNTER_RACY) {
        fprintf(stderr, "[counter/%s] racy variant: %ld of %d increments survived (%s)\n",
                goc_backend_name(), v, c->tasks,
                v == c->tasks ? "this time; the race is still there" : "lost updates");
    } else if (v != c->tasks) {
        c->rc = -EPROTO;
    }
}

int main(int argc, char **argv) {
    struct cli c = {.variant = PAT_COUNTER_MUTEX, .tasks = 1000, .out = stdout};
    double scale = 1.0;
    int quiet = 0;
    if (pat_cli_common(&argc, argv, &scale, &quiet)) return 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--racy") == 0) c.variant = PAT_COUNTER_RACY;
        else if (strcmp(argv[i], "--mutex") == 0) c.variant = PAT_COUNTER_MUTEX;
        else if (strcmp(argv[i], "--chanlock") == 0) c.variant = PAT_COUNTER_CHANLOCK;
        else if (strcmp(argv[i], "--tasks") == 0 && i + 1 < argc) {
            char *end = NULL;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 1000000) goto usage;
            c.tasks = (int)v;
        } else goto usage;
    }
    if (quiet) c.out = NULL;
    int rc = goc_main(cli_root, &c);
    if (rc || c.rc) {
        fprintf(stderr, "counter: %s\n", goc_strerror(rc ? rc : c.rc));
        return 1;
    }
    return 0;
usage:
    fprintf(stderr, "usage: %s [--racy | --mutex | --chanlock] [--tasks N] [--quiet]\n", argv[0]);
    return 2;
}
#endif
