/*
 * The task registry, the part every backend shares: what a record holds, how
 * goc_tasks_report() prints it (leak reports, watchdogs, the deadlock
 * report), goc__registry_blocked_forever(). Where the live records are kept
 * is the backend's choice of implementation (goc_internal.h):
 * registry_list.c (the thread backends: a locked list) or registry_table.c
 * (coro: a lock-free table of every task struct). Both give
 * goc__registry_add/remove/walk and goc_tasks_live().
 */
#include <inttypes.h>
#include <string.h>

#include "goc_internal.h"
#include "goc_tsan.h"
/* TSan precise build: the registry is runtime bookkeeping, not a Go edge:
 * the file is uninstrumented and its atomics run in hidden sections
 * (GOC_RACE_CALL_BEGIN/END, which nest). The report's output (fprintf)
 * stays outside them. */
GOC_RACE_FILE_BEGIN

__thread goc_task_rec *goc__cur_task;

void goc__rec_init(goc_task_rec *r, const char *file, int line, const char *fn_name) {
    GOC_RACE_CALL_BEGIN();
    /* release fence: a table walker (registry_table.c) that reads one of
     * the stores below through a stale look at this struct (it saw the
     * previous task's generation) synchronises with this fence at its
     * acquire fence, so its re-read of the generation sees the previous
     * task's exit, and it drops what it read. A compiler barrier on x86. */
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&r->id, 0, memory_order_relaxed);
    atomic_store_explicit(&r->spawn_file, file ? file : "?", memory_order_relaxed);
    atomic_store_explicit(&r->spawn_line, line, memory_order_relaxed);
    atomic_store_explicit(&r->fn_name, fn_name ? fn_name : "?", memory_order_relaxed);
    atomic_store_explicit(&r->wait_op, NULL, memory_order_relaxed);
    atomic_store_explicit(&r->wait_obj, NULL, memory_order_relaxed);
    atomic_store_explicit(&r->wait_site, NULL, memory_order_relaxed);
    atomic_store_explicit(&r->wait_since, 0, memory_order_relaxed);
    atomic_store_explicit(&r->wait_deadline, GOC_NEVER, memory_order_relaxed);
    GOC_RACE_CALL_END();
}

void goc__rec_read(const goc_task_rec *r, goc__rec_snap *s) {
    /* Hidden: the record is registry state. Visible, these loads raced in
     * the precise build with the record's reuse by the next task, which
     * the registry orders but TSan could not see (networks, patterns_*). */
    GOC_RACE_CALL_BEGIN();
    s->id = atomic_load_explicit(&r->id, memory_order_relaxed);
    s->spawn_file = atomic_load_explicit(&r->spawn_file, memory_order_relaxed);
    s->spawn_line = atomic_load_explicit(&r->spawn_line, memory_order_relaxed);
    s->fn_name = atomic_load_explicit(&r->fn_name, memory_order_relaxed);
    s->wait_op = atomic_load_explicit(&r->wait_op, memory_order_relaxed);
    s->wait_site = atomic_load_explicit(&r->wait_site, memory_order_relaxed);
    s->wait_obj = atomic_load_explicit(&r->wait_obj, memory_order_relaxed);
    s->wait_since = atomic_load_explicit(&r->wait_since, memory_order_relaxed);
    s->wait_deadline = atomic_load_explicit(&r->wait_deadline, memory_order_relaxed);
    GOC_RACE_CALL_END();
}

/* ------------------------------------------------- blocked forever -- */

typedef struct {
    goc__rec_walk w; /* first: the callbacks cast back */
    size_t n;
} forever_walk;

static void forever_each(goc__rec_walk *w, const goc__rec_snap *s) {
    if (s->wait_op && s->wait_deadline == GOC_NEVER) ((forever_walk *)w)->n++;
}

size_t goc__registry_blocked_forever(void) {
    forever_walk fw = {.w = {.wait = true, .begin = NULL, .each = forever_each}, .n = 0};
    goc__registry_walk(&fw.w);
    return fw.n;
}

/* ---------------------------------------------------------- report -- */

typedef struct {
    goc__rec_walk w; /* first: the callbacks cast back */
    FILE *out;
    goc_time now;
} report_walk;

static void report_begin(goc__rec_walk *w, bool busy) {
    report_walk *rw = (report_walk *)w;
    fprintf(rw->out, "goc: %zu live task(s) [backend %s]%s\n", goc_tasks_live(), goc_backend_name(),
            busy ? " (registry busy: unlocked snapshot)" : "");
}

static void report_each(goc__rec_walk *w, const goc__rec_snap *s) {
    report_walk *rw = (report_walk *)w;
    fprintf(rw->out, "  task %" PRIu64 " %s() spawned at %s:%d", s->id, s->fn_name, s->spawn_file,
            s->spawn_line);
    if (s->wait_op) {
        fprintf(rw->out, "\n      blocked in %s on %p at %s for %.3fs%s\n", s->wait_op, s->wait_obj,
                s->wait_site ? s->wait_site : "?", (double)(rw->now - s->wait_since) / 1e9,
                s->wait_deadline == GOC_NEVER ? " (no deadline)" : "");
    } else {
        fputs("\n      running or runnable\n", rw->out);
    }
}

void goc_tasks_report(FILE *out) {
    if (!out) return;
    report_walk rw = {.w = {.wait = false, .begin = report_begin, .each = report_each},
                      .out = out,
                      .now = goc_now()};
    goc__registry_walk(&rw.w);
    fflush(out);
}

GOC_RACE_FILE_END
