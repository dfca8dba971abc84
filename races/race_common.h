/*
 * race_common.h: the harness of the race / no-race suite (TESTING.md (b)).
 *
 * Each program races/cases/<expect>_rNN_<what>.c holds the subcases of one
 * row (or the race half / no-race half of a row that has both). A program
 * runs exactly one subcase per process (no report dedup across cases):
 *
 *     race_r04_async_rev-pthread --list     one line per subcase:
 *                                           "<name> <mode> <chan>"
 *     race_r04_async_rev-pthread <name>     runs it inside goc_main
 *
 * mode: N (must hold in both TSan builds), P (precise build only), X
 * (precise + strict-object option: informational). chan: 1 if the subcase
 * synchronizes through channels (the busted backend must fail those).
 *
 * The expectation comes from the file name (RC_EXPECT_RACE, set by CMake):
 * race_* must make TSan print a data race, norace_* must keep it silent; the
 * runner (races/run_races.py) judges from TSan's output. norace subcases run
 * their body 20 times in one process (Go runs #36714's body 100 times),
 * race subcases once.
 *
 * Concurrency windows are forced with TSan's invisible test barrier
 * (rc_barrier_*), never with sleeps: it makes the schedule the case needs
 * without adding a happens-before edge.
 *
 * Shared variables of a case are plain ints on purpose: the accesses TSan
 * judges are theirs. They have external linkage: the optimizer drops stores
 * to a static variable that is never read, and with them the race. rc_go/rc_join wrap goc_go and a WaitGroup so every
 * body can wait for its tasks at the end (after the accesses that matter).
 */
#ifndef GOC_RACE_COMMON_H
#define GOC_RACE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "goc/goc.h"

typedef struct {
    const char *name;
    const char *mode; /* "N", "P", "X" */
    int chan;         /* 1 if the case relies on channel synchronization */
    void (*body)(void);
} rc_case;

/* TSan's invisible barrier (compiler-rt tsan_interface.cpp, test-only API
 * present in clang 14 and gcc 12): n threads meet, no edge is created. On
 * coro, a relaxed-atomic barrier whose waiters yield (see race_common.c). */
typedef unsigned long long rc_barrier;
void rc_barrier_init(rc_barrier *b, unsigned n);
void rc_barrier_wait(rc_barrier *b);

/* An invisible ordered section: tasks enter one at a time, in ticket order,
 * and TSan sees no happens-before edge (relaxed atomics and fences, which
 * TSan does not model as synchronization). It makes two racy accesses
 * happen one after the other in TIME: TSan's shadow check-and-store is not
 * atomic, so two accesses to one location executed at the same instant on
 * two CPUs can each miss the other and the race goes unreported (the R31
 * flake, races/README.md). RC_SERIAL(x = 1) wraps one access; the global
 * section is reset before every repetition. Never nest it and never block
 * (on a goc operation) inside it. */
typedef struct {
    unsigned long long next, serving; /* accessed with relaxed atomics only */
} rc_serial;
void rc_serial_begin(rc_serial *s);
void rc_serial_end(rc_serial *s);
extern rc_serial rc_serial_g;
#define RC_SERIAL(stmt)                                                                       \
    do {                                                                                      \
        rc_serial_begin(&rc_serial_g);                                                        \
        stmt;                                                                                 \
        rc_serial_end(&rc_serial_g);                                                          \
    } while (0)

/* Spawns fn(arg) as a task counted by rc_join (fails the case on error). */
#define rc_go(fn, arg) rc__go((fn), (arg), __FILE__, __LINE__, #fn)
void rc__go(void (*fn)(void *), void *arg, const char *file, int line, const char *name);
/* Waits for every task spawned with rc_go so far. Adds the edges
 * Done -> Wait, so bodies call it only after the accesses being judged. */
void rc_join(void);

/* Fails the case (exit 1, not a TSan report) unless cond holds. */
#define rc_check(cond) rc__check((cond), #cond, __FILE__, __LINE__)
void rc__check(int cond, const char *what, const char *file, int line);
/* A goc call that must return want. */
#define rc_expect(expr, want) rc__expect((int)(expr), (want), #expr, __FILE__, __LINE__)
void rc__expect(int got, int want, const char *what, const char *file, int line);

/* Waits (polling goc_tasks_report) until some task shows "blocked in
 * <op>" ("chan send", "chan recv", "select"): the task is then a queued
 * waiter, so the partner that comes next completes it through the blocked
 * path (claim, copy, wake). Only for cases with one other task. Gives up
 * after 2 s and returns anyway (busted's channel spins and never
 * registers; the case then runs without its window). The registry runs hidden in the precise build
 * (no edge); in the natural build its lock may add one, which a no-race
 * case tolerates. */
void rc_wait_blocked(const char *op);

/* Makes a channel or fails the case. */
goc_chan *rc_chan(size_t elem_size, size_t cap);

/* The current repetition (0..19 for norace cases). */
int rc_rep(void);

int rc_main(int argc, char **argv, const rc_case *cases, size_t n, int expect_race);
/* The Go ports (races/go/): expect_race -1 = from the case name (TestRace*
 * must race, TestNoRace* must not), each body runs once per process. */
#define RC_MAIN_GO(cases)                                                                     \
    int main(int argc, char **argv) {                                                         \
        return rc_main(argc, argv, (cases), sizeof(cases) / sizeof((cases)[0]), -1);          \
    }
#define RC_MAIN(cases)                                                                        \
    int main(int argc, char **argv) {                                                         \
        return rc_main(argc, argv, (cases), sizeof(cases) / sizeof((cases)[0]), RC_EXPECT_RACE); \
    }

#endif
