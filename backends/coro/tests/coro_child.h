/*
 * coro_child.h: run this test binary again as a child process in a named
 * mode and capture its exit status and stderr (death tests, goc_main
 * return values, runtime start-up faults: things that cannot happen inside
 * the parent's own goc_main).
 */
#ifndef CORO_CHILD_H
#define CORO_CHILD_H

#include <fcntl.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "goc_testing.h"

extern char **environ;

typedef struct {
    int status;      /* waitpid status */
    char err[16384]; /* the child's stderr (truncated) */
} coro_child;

/* Runs /proc/self/exe MODE with extra environment entries (NULL-terminated);
 * stderr is captured. Blocks the calling worker: children are short. */
static inline void coro_child_run(coro_child *c, const char *mode, const char *const *env_extra) {
    int p[2];
    GT_ASSERT_OK(pipe(p) == 0 ? 0 : -errno);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    size_t n = 0, k = 0;
    while (environ[n]) n++;
    while (env_extra && env_extra[k]) k++;
    char **env = calloc(n + k + 1, sizeof *env);
    GT_ASSERT_NOT_NULL(env);
    /* the extra entries first: getenv returns the first match, so they
     * override the parent's (GOC_PROCS set by CTest) */
    for (size_t i = 0; i < k; i++) env[i] = (char *)env_extra[i];
    for (size_t i = 0; i < n; i++) env[k + i] = environ[i];
    char *argv[] = {(char *)"/proc/self/exe", (char *)mode, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    close(p[1]);
    GT_ASSERT_EQ(rc, 0);
    size_t len = 0;
    for (;;) { /* keep draining after the buffer is full: the child must not block */
        char scratch[4096];
        size_t room = sizeof c->err - 1 - len;
        ssize_t r = room ? read(p[0], c->err + len, room) : read(p[0], scratch, sizeof scratch);
        if (r <= 0) break;
        if (room) len += (size_t)r;
    }
    c->err[len] = 0;
    close(p[0]);
    GT_ASSERT_EQ(waitpid(pid, &c->status, 0), pid);
}

/* Fails the subtest, with the child's stderr, unless it exited with 0. */
#define CORO_CHILD_ASSERT_OK(c)                                                                    \
    GT_ASSERT_MSG(WIFEXITED((c)->status) && WEXITSTATUS((c)->status) == 0, "child status 0x%x: %s",  \
                  (c)->status, (c)->err)

/* Waits without a goc call (the calling task keeps its worker, as a task
 * stuck in C code does) until *v == want; false once goc_now() passes
 * bound, so that a broken build fails instead of hanging. */
static inline bool coro_busy_wait_for(_Atomic int *v, int want, goc_time bound) {
    while (atomic_load(v) != want)
        if (goc_now() > bound) return false;
    return true;
}

/* The exit status of a child whose scenario did not happen (a hook never
 * reached, a look that never came on a loaded machine): that run says
 * nothing either way, and coro_child_run_until_set sets it up again. */
#define CORO_CHILD_UNSET 3

/* coro_child_run until the child exits with something other than
 * CORO_CHILD_UNSET, at most 8 runs (a precondition is retried, never the
 * verdict); notes the runs and the last child's stderr, and fails unless
 * it exited 0 (`unset_why` says what never happened, when that is why). */
static inline void coro_child_run_until_set(coro_child *c, const char *mode, const char *const *env_extra,
                                            const char *unset_why) {
    int tries = 0;
    do {
        coro_child_run(c, mode, env_extra);
    } while (++tries < 8 && WIFEXITED(c->status) && WEXITSTATUS(c->status) == CORO_CHILD_UNSET);
    gt_note("%d run(s) to set the scenario up: %s", tries, c->err);
    bool unset = WIFEXITED(c->status) && WEXITSTATUS(c->status) == CORO_CHILD_UNSET;
    GT_ASSERT_MSG(WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0, "child status 0x%x after %d run(s)%s%s%s: %s",
                  c->status, tries, unset ? " (" : "", unset ? unset_why : "", unset ? ")" : "", c->err);
}

/* coro_child_run, the child's stderr as a note, and CORO_CHILD_ASSERT_OK. */
#define coro_child_run_ok(c, mode, env_extra)                                                      \
    do {                                                                                           \
        coro_child_run((c), (mode), (env_extra));                                                  \
        gt_note("%s", (c)->err);                                                                   \
        CORO_CHILD_ASSERT_OK(c);                                                                   \
    } while (0)

#endif
