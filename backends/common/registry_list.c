/*
 * The task registry of the thread backends (pthread, lockfree, busted; coro
 * has registry_table.c): a doubly-linked list of the live records.
 *
 * Guarded by reg_lock (spawn/exit only, never on a channel fast path): the
 * list links, and `live` writes. reg_lock is the runtime's futex lock
 * (goc__lock: one CAS to take, one exchange to drop, inline): every spawn
 * and every exit takes it once. A thread spawn costs microseconds, so the
 * lock is noise here; coro's spawns are ~100x cheaper, and there this lock
 * (and the list neighbours, other tasks' records) bouncing between workers
 * was 22% of CounterMutex at GOC_PROCS=2 (issue 11): hence the table.
 * `live` is also an atomic so goc_tasks_live() can read it without the lock.
 */
#include <time.h>

#include "goc_internal.h"
#include "goc_tsan.h"
/* TSan precise build: uninstrumented, each reg_lock section and each access
 * to the `live` counter is a hidden section (a task's exit must not order
 * it before the next spawn or goc_tasks_live() caller). */
GOC_RACE_FILE_BEGIN

static goc__lock reg_lock = GOC__LOCK_INIT;
static goc_task_rec reg_head = {.next = &reg_head, .prev = &reg_head}; /* guarded by reg_lock */
static _Atomic size_t live;                                          /* written under reg_lock */
static _Atomic uint64_t next_id = 1;

void goc__registry_add(goc_task_rec *r) {
    GOC_RACE_CALL_BEGIN();
    atomic_store_explicit(&r->id, atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed),
                          memory_order_relaxed);
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

static int reg_trylock(void) {
    GOC_RACE_CALL_BEGIN();
    int locked = goc__lock_try(&reg_lock);
    GOC_RACE_CALL_END();
    return locked;
}

void goc__registry_walk(goc__rec_walk *w) {
    int locked;
    if (w->wait) {
        GOC_RACE_CALL_BEGIN();
        goc__lock_acquire(&reg_lock);
        GOC_RACE_CALL_END();
        locked = 1;
    } else {
        /* A watchdog may report while a task is stuck holding reg_lock (it
         * never is for long): wait up to ~100 ms, then walk without it. */
        locked = 0;
        for (int i = 0; i < 100 && !(locked = reg_trylock()); i++) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    if (w->begin) w->begin(w, !locked);
    for (goc_task_rec *r = reg_head.next; r && r != &reg_head; r = r->next) {
        goc__rec_snap s;
        goc__rec_read(r, &s);
        w->each(w, &s);
    }
    if (locked) {
        GOC_RACE_CALL_BEGIN();
        goc__lock_release(&reg_lock);
        GOC_RACE_CALL_END();
    }
}

GOC_RACE_FILE_END
