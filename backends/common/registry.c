/*
 * The task registry: every live task's record, for goc_tasks_live(),
 * goc_tasks_report() (leak reports, watchdogs, the deadlock report).
 *
 * Guarded by reg_lock (spawn/exit only, never on a channel fast path): the
 * list links, and `live` writes. reg_lock is the runtime's futex lock
 * (goc__lock: one CAS to take, one exchange to drop, inline): every spawn
 * and every exit takes it once, and with coro's cheap spawns a pthread
 * mutex's two library calls per section were 16% of CounterMutex at
 * GOC_PROCS=1 (perf, issue 11). `live` is also an atomic so
 * goc_tasks_live() can read it without the lock.
 */
#include <inttypes.h>
#include <string.h>

#include "goc_internal.h"
#include "goc_tsan.h"
/* TSan precise build: the registry is runtime bookkeeping, not a Go edge:
 * the file is uninstrumented, and each reg_lock section and each access to
 * the `live` counter is a hidden section (GOC_RACE_CALL_BEGIN/END; a task's
 * exit must not order it before the next spawn or goc_tasks_live() caller).
 * The report's output (fprintf) stays outside them. */
GOC_RACE_FILE_BEGIN

__thread goc_task_rec *goc__cur_task;

static goc__lock reg_lock = GOC__LOCK_INIT;
static goc_task_rec reg_head = {.next = &reg_head, .prev = &reg_head}; /* guarded by reg_lock */
static _Atomic size_t live;                                          /* written under reg_lock */
static _Atomic uint64_t next_id = 1;

void goc__rec_init(goc_task_rec *r, const char *file, int line, const char *fn_name) {
    r->next = r->prev = NULL;
    r->id = 0;
    r->spawn_file = file ? file : "?";
    r->spawn_line = line;
    r->fn_name = fn_name ? fn_name : "?";
    atomic_init(&r->wait_op, NULL);
    atomic_init(&r->wait_obj, NULL);
    atomic_init(&r->wait_site, NULL);
    atomic_init(&r->wait_since, 0);
    atomic_init(&r->wait_deadline, GOC_NEVER);
}

void goc__registry_add(goc_task_rec *r) {
    r->id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
    GOC_RACE_CALL_BEGIN();
    goc__lock_acquire(&reg_lock);
    r->prev = reg_head.prev;
    r->next = &reg_head;
    reg_head.prev->next = r;
    reg_head.prev = r;
    atomic_store_explicit(&live, atomic_load_explicit(&live, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    goc__lock_release(&reg_lock);
    GOC_RACE_CALL_END();
}

void goc__registry_remove(goc_task_rec *r) {
    GOC_RACE_CALL_BEGIN();
    goc__lock_acquire(&reg_lock);
    if (r->next) {
        r->prev->next = r->next;
        r->next->prev = r->prev;
        r->next = r->prev = NULL;
        /* release: a goc_tasks_live() reader that sees the decrement also
         * sees everything the task did before exiting (leak checks then
         * read results safely). Pairs with the acquire load below. */
        atomic_store_explicit(&live, atomic_load_explicit(&live, memory_order_relaxed) - 1,
                              memory_order_release);
    }
    goc__lock_release(&reg_lock);
    GOC_RACE_CALL_END();
}

size_t goc_tasks_live(void) {
    GOC_RACE_CALL_BEGIN();
    size_t n = atomic_load_explicit(&live, memory_order_acquire);
    GOC_RACE_CALL_END();
    return n;
}

size_t goc__registry_blocked_forever(void) {
    size_t n = 0;
    GOC_RACE_CALL_BEGIN();
    goc__lock_acquire(&reg_lock);
    for (goc_task_rec *r = reg_head.next; r != &reg_head; r = r->next)
        if (atomic_load_explicit(&r->wait_op, memory_order_relaxed) &&
            atomic_load_explicit(&r->wait_deadline, memory_order_relaxed) == GOC_NEVER)
            n++;
    goc__lock_release(&reg_lock);
    GOC_RACE_CALL_END();
    return n;
}

static void print_rec(FILE *out, const goc_task_rec *r, goc_time now) {
    /* The record is registry state (reg_lock, whose sections are hidden):
     * its atomics are read in a hidden section too. Visible, they raced in
     * the precise build with the record's free by the exiting task, which
     * reg_lock orders but TSan could not see (precise build, networks,
     * patterns_*, ...). The output stays outside. */
    GOC_RACE_CALL_BEGIN();
    const char *op = atomic_load_explicit(&r->wait_op, memory_order_relaxed);
    const char *site = atomic_load_explicit(&r->wait_site, memory_order_relaxed);
    const void *obj = atomic_load_explicit(&r->wait_obj, memory_order_relaxed);
    goc_time since = atomic_load_explicit(&r->wait_since, memory_order_relaxed);
    goc_time dl = atomic_load_explicit(&r->wait_deadline, memory_order_relaxed);
    GOC_RACE_CALL_END();
    fprintf(out, "  task %" PRIu64 " %s() spawned at %s:%d", r->id, r->fn_name, r->spawn_file,
            r->spawn_line);
    if (op) {
        fprintf(out, "\n      blocked in %s on %p at %s for %.3fs%s\n", op, obj, site ? site : "?",
                (double)(now - since) / 1e9, dl == GOC_NEVER ? " (no deadline)" : "");
    } else {
        fputs("\n      running or runnable\n", out);
    }
}

static int reg_trylock(void) {
    GOC_RACE_CALL_BEGIN();
    int locked = goc__lock_try(&reg_lock);
    GOC_RACE_CALL_END();
    return locked;
}

void goc_tasks_report(FILE *out) {
    if (!out) return;
    goc_time now = goc_now();
    /* A watchdog may call this while a task is stuck holding reg_lock (it
     * never is for long): wait up to ~100 ms, then report without it. */
    int locked = 0;
    for (int i = 0; i < 100 && !(locked = reg_trylock()); i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    fprintf(out, "goc: %zu live task(s) [backend %s]%s\n", goc_tasks_live(), goc_backend_name(),
            locked ? "" : " (registry busy: unlocked snapshot)");
    for (goc_task_rec *r = reg_head.next; r && r != &reg_head; r = r->next) print_rec(out, r, now);
    if (locked) {
        GOC_RACE_CALL_BEGIN();
        goc__lock_release(&reg_lock);
        GOC_RACE_CALL_END();
    }
    fflush(out);
}

GOC_RACE_FILE_END
