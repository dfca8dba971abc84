/* Helpers of the pitfall programs: see pit_common.h. */
#include "pit_common.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

int pit_is_coro(void) { return strcmp(goc_backend_name(), "coro") == 0; }

size_t pit_leak_check(int64_t grace_ns) {
    goc_time until = goc_deadline(grace_ns);
    while (goc_tasks_live() > 1 && goc_now() < until) goc_sleep(goc_deadline(5 * 1000000));
    size_t live = goc_tasks_live();
    if (live <= 1) return 0;
    fprintf(stderr, "goc: task leak: %zu task(s) still alive %.1f s after the work ended\n", live - 1,
            (double)grace_ns / 1e9);
    goc_tasks_report(stderr);
    return live - 1;
}

/* The registry report's lines of tasks blocked without a deadline, each
 * without its " for N.NNNs" age (which grows while nothing changes), in
 * one malloc'd string; *n = how many. NULL when the report cannot be taken. */
static char *blocked_forever(size_t *n) {
    char *buf = NULL, *out = NULL;
    size_t len = 0, olen = 0;
    *n = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    goc_tasks_report(f);
    fclose(f);
    FILE *o = open_memstream(&out, &olen);
    if (!o) {
        free(buf);
        return NULL;
    }
    char *save = NULL;
    for (char *line = buf ? strtok_r(buf, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        if (!strstr(line, "(no deadline)")) continue;
        char *age = strstr(line, " for ");
        fprintf(o, "%.*s\n", (int)(age ? age - line : (ptrdiff_t)strlen(line)), line);
        (*n)++;
    }
    fclose(o);
    free(buf);
    return out;
}

/* How long a watchdog keeps waiting while some task can still move (runs,
 * is runnable, or waits with a deadline) before it reports anyway. */
#define PIT_WATCHDOG_CAP_NS (60LL * 1000000000LL)

size_t pit_wait_or_report(goc_wg *wg, int64_t ns, const char *what) {
    if (pit_is_coro()) {
        /* Let coro's runtime detector judge: it fires when every task is
         * blocked with nothing that could wake one. */
        goc_wg_wait(wg, GOC_NEVER);
        return 0;
    }
    /* A deadlock is a state that does not change: every other task blocked
     * with no deadline, at two looks ns apart, on the same operations. One
     * look is not enough: in a correct program under load (a sanitizer
     * build on a busy machine) a task that was just handed a value is still
     * shown blocked until the OS runs it, and its partner may already block
     * on the next operation; and a task that is merely slow is not blocked
     * at all. Such states only delay the verdict (up to the cap). */
    goc_time start = goc_now();
    char *prev = NULL;
    size_t n = 0, others = 0;
    for (;;) {
        if (goc_wg_wait(wg, goc_deadline(ns)) == 0) {
            free(prev);
            return 0;
        }
        char *snap = blocked_forever(&n);
        others = goc_tasks_live() - 1;
        int stuck = snap && n == others;
        int same = stuck && prev && strcmp(prev, snap) == 0;
        free(prev);
        prev = stuck ? snap : (free(snap), NULL);
        if (same || goc_now() - start >= PIT_WATCHDOG_CAP_NS) break;
    }
    free(prev);
    fprintf(stderr,
            "goc: deadlock watchdog: %s still blocked after %lld ms; %zu other live task(s), %zu "
            "blocked with no deadline%s:\n",
            what, (long long)((goc_now() - start) / 1000000), others, n,
            others == n ? (others ? " (every task is blocked forever)" : " (nothing left to call Done)") : "");
    goc_tasks_report(stderr);
    fflush(stderr);
    return 1;
}

struct pit_run {
    const pit_mode *m;
    int status;
};

static void pit_root(void *p) {
    struct pit_run *r = p;
    r->status = r->m->fn();
}

int pit_main(int argc, char **argv, const pit_mode *modes, size_t n) {
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n; i++) printf("%s\n", modes[i].name);
        return 0;
    }
    for (size_t i = 0; argc == 2 && i < n; i++) {
        if (strcmp(argv[1], modes[i].name) != 0) continue;
        struct pit_run r = {&modes[i], 0};
        printf("pitfall: %s %s on %s\n", argv[0], modes[i].name, goc_backend_name());
        fflush(stdout);
        int rc = goc_main(pit_root, &r);
        fflush(stdout);
        fflush(stderr);
        if (rc == -EDEADLK) {
            fprintf(stderr, "pitfall: goc_main returned -EDEADLK (%s)\n", goc_strerror(rc));
            _Exit(2); /* tasks are still blocked: do not run exit handlers */
        }
        if (rc) {
            fprintf(stderr, "pitfall: goc_main returned %d (%s)\n", rc, goc_strerror(rc));
            return 1;
        }
        /* Leaked or deadlocked tasks may still be blocked: leave without
         * waiting for them (Go's main returning ends the program). */
        if (r.status == 3) _Exit(3);
        return r.status;
    }
    fprintf(stderr, "usage: %s --list | <mode>\n", argv[0]);
    return 64;
}
