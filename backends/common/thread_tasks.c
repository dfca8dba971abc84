/*
 * Tasks as OS threads, shared by the pthread and lockfree backends.
 *
 * goc_go creates a detached thread running a trampoline that registers the
 * task, runs fn(arg), and unregisters. goc_main runs fn on the calling thread
 * as the root task. Nothing here is on a channel fast path.
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "goc_internal.h"
#include "goc_tsan.h"

typedef struct thread_task {
    goc_task_rec rec; /* first: goc__cur_task points here */
    void (*fn)(void *);
    void *arg;
} thread_task;

static _Atomic int main_running; /* 1 while a goc_main runs (EBUSY otherwise) */

size_t goc__thread_stack_size(void) {
    static _Atomic size_t cached;
    size_t s = atomic_load_explicit(&cached, memory_order_relaxed);
    if (s) return s;
    s = goc__parse_size(getenv("GOC_STACK"));
    if (s < 64 * 1024) s = 256 * 1024;
#ifdef GOC_SANITIZED
    if (s < 1024 * 1024) s = 1024 * 1024; /* sanitizer frames are much larger */
#endif
    atomic_store_explicit(&cached, s, memory_order_relaxed);
    return s;
}

static void *trampoline(void *p) {
    thread_task *t = p;
    goc__cur_task = &t->rec;
    t->fn(t->arg);
    goc__cur_task = NULL;
    goc__registry_remove(&t->rec);
    goc__free(t);
    return NULL;
}

int goc_go_at(void (*fn)(void *), void *arg, const char *file, int line, const char *fn_name) {
    if (!fn) return -EINVAL;
    thread_task *t = goc__malloc(sizeof *t);
    if (!t) return -ENOMEM;
    goc__rec_init(&t->rec, file, line, fn_name);
    t->fn = fn;
    t->arg = arg;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr)) {
        goc__free(t);
        return -ENOMEM;
    }
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, goc__thread_stack_size());
    /* Register before the thread exists so goc_tasks_live() never misses a
     * task that has been spawned but not yet scheduled (Go counts it too). */
    goc__registry_add(&t->rec);
    pthread_t th;
    int rc = goc__thread_create(&th, &attr, trampoline, t);
    pthread_attr_destroy(&attr);
    if (rc) {
        goc__registry_remove(&t->rec);
        goc__free(t);
        return rc == EAGAIN ? -EAGAIN : -rc;
    }
    return 0;
}

int goc_go(void (*fn)(void *), void *arg) { return goc_go_at(fn, arg, "?", 0, "?"); }

int goc_main(void (*fn)(void *), void *arg) {
    if (!fn) return -EINVAL;
    int z = 0;
    if (!atomic_compare_exchange_strong_explicit(&main_running, &z, 1, memory_order_acq_rel,
                                                 memory_order_relaxed))
        return -EBUSY;
    thread_task root;
    goc__rec_init(&root.rec, "goc_main", 0, "main");
    goc__registry_add(&root.rec);
    goc_task_rec *prev = goc__cur_task;
    goc__cur_task = &root.rec;
    fn(arg);
    goc__cur_task = prev;
    goc__registry_remove(&root.rec);
    atomic_store_explicit(&main_running, 0, memory_order_release);
    return 0;
}

void goc_yield(void) { sched_yield(); }

int goc_sleep(goc_time deadline) {
    int kind = goc__deadline_kind(deadline);
    if (kind == GOC_DL_NOW) return 0;
    goc__wait_begin("sleep", NULL, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    if (kind == GOC_DL_NEVER) {
        for (;;) pause(); /* Go's select{} on a thread: only a signal ends it */
    }
    struct timespec ts = goc__ts_from(deadline);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
    goc__wait_end();
    return 0;
}
