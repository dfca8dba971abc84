/*
 * hello: the article's first program.
 *
 *     func sayHello(name string) { fmt.Printf("Hello, %s!\n", name) }
 *     func main() {
 *         go sayHello("Alice")
 *         go sayHello("Bob")
 *         time.Sleep(100 * time.Millisecond) // wait for the goroutines
 *     }
 *
 * The sleep is a guess, not synchronisation: nothing orders the greetings
 * before main's return, so on a loaded machine they may not print at all.
 * The corrected variant waits with a WaitGroup (Add before go, Done in the
 * task, Wait in main: Done happens before Wait returns).
 *
 * Shared state of one run (struct hello_run):
 *   greeted   atomic counter, incremented once per greeting (relaxed: it is
 *             only counted; the WaitGroup / drain wait orders it for the
 *             final read);
 *   drain     WaitGroup every greeter is added to, also in the faithful
 *             variant, so the library never returns while a greeter is
 *             still running: the faithful wait is the sleep, the drain is
 *             this library's hygiene after the article's program ended.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "patterns.h"

struct hello_run {
    goc_wg *drain;            /* Done by each greeter after its greeting */
    _Atomic int greeted;      /* greetings printed so far */
    FILE *out;
};

struct hello_arg {
    struct hello_run *run;
    const char *name;
};

static void say_hello(void *p) {
    struct hello_arg *a = p;
    struct hello_run *run = a->run;
    if (run->out) fprintf(run->out, "Hello, %s!\n", a->name);
    /* relaxed: a count for the report; the drain WaitGroup's Done/Wait
     * orders it before the final load. */
    atomic_fetch_add_explicit(&run->greeted, 1, memory_order_relaxed);
    goc_wg_done(run->drain);
}

int pat_hello(const pat_hello_opts *o, pat_hello_result *r) {
    static const char *const defaults[] = {"Alice", "Bob"};
    if (!o || !r) return -EINVAL;
    const char *const *names = o->names ? o->names : defaults;
    int n = o->names ? o->n_names : 2;
    if (n < 1 || n > 64) return -EINVAL;
    for (int i = 0; i < n; i++)
        if (!names[i]) return -EINVAL;

    struct hello_run run = {.drain = goc_wg_make(), .out = o->out};
    struct hello_arg *args = calloc((size_t)n, sizeof *args);
    if (!run.drain || !args) {
        goc_wg_free(run.drain);
        free(args);
        return -ENOMEM;
    }
    atomic_init(&run.greeted, 0);
    int rc = 0, spawned = 0;
    for (int i = 0; i < n; i++) {
        args[i] = (struct hello_arg){&run, names[i]};
        goc_wg_add(run.drain, 1);
        rc = goc_go(say_hello, &args[i]);
        if (rc) {
            goc_wg_done(run.drain);
            break;
        }
        spawned++;
    }
    if (!o->use_waitgroup) {
        /* The article's wait: a sleep. Race-prone by construction. */
        goc_sleep(goc_deadline(pat_scaled(100 * PAT_MS, o->time_scale)));
        r->greeted_when_main_resumed = atomic_load_explicit(&run.greeted, memory_order_relaxed);
        goc_wg_wait(run.drain, GOC_NEVER);
    } else {
        goc_wg_wait(run.drain, GOC_NEVER);
        r->greeted_when_main_resumed = atomic_load_explicit(&run.greeted, memory_order_relaxed);
    }
    r->greeted_total = atomic_load_explicit(&run.greeted, memory_order_relaxed);
    goc_wg_free(run.drain);
    free(args);
    if (rc == 0 && r->greeted_total != spawned) rc = -EPROTO;
    return rc;
}

#ifdef GOC_PATTERN_MAIN
struct cli {
    pat_hello_opts o;
    int rc;
};

static void cli_root(void *p) {
    struct cli *c = p;
    pat_hello_result r = {0};
    c->rc = pat_hello(&c->o, &r);
    if (c->rc) return;
    if (!c->o.use_waitgroup) {
        fprintf(stderr,
                "[hello/%s] race-prone wait: main slept %.0f ms instead of synchronising; "
                "%d of %d greetings had printed when it woke (run with --wg for the WaitGroup)\n",
                goc_backend_name(), (double)pat_scaled(100 * PAT_MS, c->o.time_scale) / 1e6,
                r.greeted_when_main_resumed, c->o.names ? c->o.n_names : 2);
    }
}

int main(int argc, char **argv) {
    struct cli c = {.o = {.time_scale = 1.0, .out = stdout}};
    int quiet = 0;
    if (pat_cli_common(&argc, argv, &c.o.time_scale, &quiet)) return 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--wg") == 0) {
            c.o.use_waitgroup = 1;
        } else {
            fprintf(stderr, "usage: %s [--wg] [--time-scale X] [--quiet]\n", argv[0]);
            return 2;
        }
    }
    if (quiet) c.o.out = NULL;
    int rc = goc_main(cli_root, &c);
    if (rc || c.rc) {
        fprintf(stderr, "hello: %s\n", goc_strerror(rc ? rc : c.rc));
        return 1;
    }
    return 0;
}
#endif
