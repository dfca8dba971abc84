/* Helpers of the pitfall programs: see pit_common.h. */
#include "pit_common.h"

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

/* Counts lines of the registry report that show a task blocked without a
 * deadline. */
static size_t blocked_forever(void) {
    char *buf = NULL;
    size_t len = 0, n = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return 0;
    goc_tasks_report(f);
    fclose(f);
    for (char *p = buf; p && (p = strstr(p, "(no deadline)")); p++) n++;
    free(buf);
    return n;
}

size_t pit_wait_or_report(goc_wg *wg, int64_t ns, const char *what) {
    if (pit_is_coro()) {
        /* Let coro's runtime detector judge: it fires when every task is
         * blocked with nothing that could wake one. */
        goc_wg_wait(wg, GOC_NEVER);
        return 0;
    }
    int r = goc_wg_wait(wg, goc_deadline(ns));
    if (r == 0) return 0;
    size_t n = blocked_forever(), others = goc_tasks_live() - 1;
    fprintf(stderr,
            "goc: deadlock watchdog: %s still blocked after %lld ms; %zu other live task(s), %zu "
            "blocked with no deadline%s:\n",
            what, (long long)(ns / 1000000), others, n,
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
