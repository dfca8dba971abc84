/* The race-suite harness: see race_common.h. */
#include "race_common.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void __tsan_testonly_barrier_init(unsigned long long *barrier, unsigned count);
void __tsan_testonly_barrier_wait(unsigned long long *barrier);

/* Thread backends: TSan's own test barrier (spins with sched_yield inside
 * the runtime; no happens-before edge). coro: tasks share a few worker
 * threads, so a barrier that blocks the thread would stop the very tasks it
 * waits for; there the barrier is relaxed atomics (TSan derives no edge
 * from relaxed operations) and the waiters goc_yield() to other tasks.
 * Layout of the coro word: bits 0-7 parties, 8-31 arrived, 32-63 round. */
static int rc_on_coro; /* set once in rc_main, before any task exists */
static int on_coro(void) { return rc_on_coro; }

void rc_barrier_init(rc_barrier *b, unsigned n) {
    if (!on_coro()) {
        __tsan_testonly_barrier_init(b, n);
        return;
    }
    atomic_store_explicit((_Atomic unsigned long long *)b, n & 0xff, memory_order_relaxed);
}

/* One turn of a coro task's wait for a partner (the barrier, the serial
 * section): a yield at first (a partner queued on this worker runs at
 * once), then sleeps from 50 us doubling to 2 ms. A long run of yields
 * fills the waiting task's TSan history, and a race whose earlier access
 * was that task's is then dropped (TSan reports a race only when it can
 * restore both stacks): with the partner held off 5 ms (a worker the OS
 * descheduled, under a loaded CI run), R19 chan_itself/nil's race was lost
 * 10 times in 10 with yields only, 1 in ~150 runs beside two CPU hogs. */
static void rc_pause(unsigned *turn) {
    unsigned t = ++*turn;
    if (t <= 64) {
        goc_yield();
        return;
    }
    unsigned k = t - 65 < 6 ? t - 65 : 6; /* 50 us << 0..6 */
    goc_sleep(goc_deadline((goc_time)50000 << k));
}

void rc_barrier_wait(rc_barrier *b) {
    if (!on_coro()) {
        __tsan_testonly_barrier_wait(b);
        return;
    }
    _Atomic unsigned long long *w = (_Atomic unsigned long long *)b;
    unsigned long long old = atomic_load_explicit(w, memory_order_relaxed), upd;
    for (;;) { /* relaxed throughout: the barrier orders time, not memory */
        unsigned long long n = old & 0xff, arrived = (old >> 8) & 0xffffff, round = old >> 32;
        if (arrived + 1 == n) upd = ((round + 1) << 32) | n; /* last: next round */
        else upd = (round << 32) | ((arrived + 1) << 8) | n;
        if (atomic_compare_exchange_weak_explicit(w, &old, upd, memory_order_relaxed, memory_order_relaxed))
            break;
    }
    unsigned long long round = old >> 32;
    unsigned turn = 0;
    while ((atomic_load_explicit(w, memory_order_relaxed) >> 32) == round) rc_pause(&turn);
}

/* The invisible ordered section (race_common.h). Relaxed atomics give TSan
 * no edge; the seq_cst fences (not modeled by TSan) make the hardware
 * order real: the first task's access, and TSan's shadow store for it, is
 * visible before the next ticket holder's access is checked. */
rc_serial rc_serial_g;

void rc_serial_begin(rc_serial *s) {
    _Atomic unsigned long long *next = (_Atomic unsigned long long *)&s->next;
    _Atomic unsigned long long *serving = (_Atomic unsigned long long *)&s->serving;
    unsigned long long t = atomic_fetch_add_explicit(next, 1, memory_order_relaxed);
    unsigned turn = 0;
    while (atomic_load_explicit(serving, memory_order_relaxed) != t) rc_pause(&turn);
    atomic_thread_fence(memory_order_seq_cst);
}

void rc_serial_end(rc_serial *s) {
    atomic_thread_fence(memory_order_seq_cst);
    atomic_fetch_add_explicit((_Atomic unsigned long long *)&s->serving, 1, memory_order_relaxed);
}

static void rc_serial_reset(rc_serial *s) {
    atomic_store_explicit((_Atomic unsigned long long *)&s->next, 0, memory_order_relaxed);
    atomic_store_explicit((_Atomic unsigned long long *)&s->serving, 0, memory_order_relaxed);
}

/* rc_wg: every rc_go task; created once in rc_main's root task. */
static goc_wg *rc_wg;
static int rc_cur_rep;

int rc_rep(void) { return rc_cur_rep; }

void rc__check(int cond, const char *what, const char *file, int line) {
    if (cond) return;
    fprintf(stderr, "race-suite: check failed at %s:%d: %s\n", file, line, what);
    fflush(stderr);
    _Exit(1);
}

void rc__expect(int got, int want, const char *what, const char *file, int line) {
    if (got == want) return;
    fprintf(stderr, "race-suite: %s:%d: %s returned %d (%s), expected %d\n", file, line, what, got,
            goc_strerror(got), want);
    fflush(stderr);
    _Exit(1);
}

typedef struct {
    void (*fn)(void *);
    void *arg;
} rc_thunk;

static void rc_trampoline(void *p) {
    rc_thunk t = *(rc_thunk *)p;
    free(p);
    t.fn(t.arg);
    goc_wg_done(rc_wg);
}

void rc__go(void (*fn)(void *), void *arg, const char *file, int line, const char *name) {
    rc_thunk *t = malloc(sizeof *t);
    rc__check(t != NULL, "malloc", file, line);
    t->fn = fn;
    t->arg = arg;
    rc__expect(goc_wg_add(rc_wg, 1), 0, "goc_wg_add", file, line);
    int r = goc_go_at(rc_trampoline, t, file, line, name);
    rc__expect(r, 0, "goc_go", file, line);
}

void rc_join(void) { rc_expect(goc_wg_wait(rc_wg, GOC_NEVER), 0); }

void rc_wait_blocked(const char *op) {
    char pat[64];
    snprintf(pat, sizeof pat, "blocked in %s ", op);
    goc_time end = goc_deadline(2 * 1000000000LL);
    for (;;) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        rc_check(f != NULL);
        goc_tasks_report(f);
        fclose(f);
        int found = buf && strstr(buf, pat) != NULL;
        free(buf);
        if (found) return;
        /* busted's channel spins instead of registering: go on without
         * the window (a real backend registers within microseconds) */
        if (goc_now() >= end) return;
        goc_sleep(goc_deadline(100000));
    }
}

goc_chan *rc_chan(size_t elem_size, size_t cap) {
    goc_chan *c = goc_chan_make(elem_size, cap);
    rc_check(c != NULL);
    return c;
}

struct rc_run {
    const rc_case *c;
    int reps;
};

static void rc_root(void *p) {
    struct rc_run *r = p;
    rc_wg = goc_wg_make();
    rc_check(rc_wg != NULL);
    for (int i = 0; i < r->reps; i++) {
        rc_cur_rep = i;
        rc_serial_reset(&rc_serial_g); /* every task of the last repetition is joined */
        r->c->body();
        rc_join();
    }
    goc_wg_free(rc_wg);
}

int rc_main(int argc, char **argv, const rc_case *cases, size_t n, int expect_race) {
    rc_on_coro = strcmp(goc_backend_name(), "coro") == 0;
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n; i++) printf("%s %s %d\n", cases[i].name, cases[i].mode, cases[i].chan);
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s --list | <subcase>\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(argv[1], cases[i].name) != 0) continue;
        int reps = expect_race ? 1 : 20;
        if (expect_race < 0) { /* Go ports: the verdict is in the name, one run */
            expect_race = strncmp(cases[i].name, "TestRace", 8) == 0;
            reps = 1;
        }
        struct rc_run r = {&cases[i], reps};
        printf("race-suite: %s/%s on %s (expect %s)\n", argv[0], cases[i].name, goc_backend_name(),
               expect_race ? "race" : "no race");
        fflush(stdout);
        int rc = goc_main(rc_root, &r);
        if (rc) {
            fprintf(stderr, "race-suite: goc_main returned %d (%s)\n", rc, goc_strerror(rc));
            return 1;
        }
        return 0;
    }
    fprintf(stderr, "%s: no subcase '%s' (--list)\n", argv[0], argv[1]);
    return 2;
}
