/*
 * pit_common.h: the pitfall programs of races/pitfalls/ (TESTING.md (e), the
 * article's table of concurrency pitfalls). Each program has modes, one per
 * buggy or fixed variant: `pit_<problem>-<backend> <mode>`; it runs the mode
 * inside goc_main and exits
 *   0  clean (the fixed variants; the detectors stayed silent)
 *   3  a goc-level detector fired (task-leak check, deadlock watchdog)
 *   2  goc_main returned -EDEADLK (coro's "all tasks are asleep" detector)
 *   1  the program's own check failed (wrong result)
 * Sanitizer detectors (TSan, LSan) report on their own and set their exit
 * status. check_pitfalls.py runs both variants and asserts which detector
 * fired.
 */
#ifndef GOC_PIT_COMMON_H
#define GOC_PIT_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "goc/goc.h"

typedef struct {
    const char *name;
    int (*fn)(void); /* runs inside goc_main; returns the exit status */
} pit_mode;

int pit_main(int argc, char **argv, const pit_mode *modes, size_t n);
#define PIT_MAIN(modes)                                                                        \
    int main(int argc, char **argv) { return pit_main(argc, argv, (modes), sizeof(modes) / sizeof((modes)[0])); }

/* goleak's VerifyNone: waits up to grace_ns for the live tasks to fall back
 * to 1 (the root); if they do not, prints "goc: task leak: N task(s) still
 * alive" and the registry (spawn site, wait site of each) to stderr and
 * returns N. */
size_t pit_leak_check(int64_t grace_ns);

/* A watchdog for a wait that should end: goc_wg_wait with a deadline of
 * ns, again and again while some task can still move; once two looks ns
 * apart find every other task blocked without a deadline on the same
 * operations (or after 60 s in any state), prints "goc: deadlock watchdog:
 * ... still blocked after N ms" and the registry, and returns 1 (0 when the
 * wait ended).
 * On coro with use_runtime_detector, waits without a deadline instead, so
 * the runtime's own detector can fire (goc_main then returns -EDEADLK). */
size_t pit_wait_or_report(goc_wg *wg, int64_t ns, const char *what);

/* True on the coro backend (its runtime detector exists). */
int pit_is_coro(void);

#define PIT_CHECK(c)                                                                           \
    do {                                                                                       \
        if (!(c)) {                                                                            \
            fprintf(stderr, "pitfall: check failed at %s:%d: %s\n", __FILE__, __LINE__, #c);   \
            return 1;                                                                          \
        }                                                                                      \
    } while (0)

#endif
