/*
 * The task registry without a lock (coro; the thread backends have
 * registry_list.c): Go's allgs. A coro task's record lives in its task
 * struct, and task structs are never freed (stack.c: dense struct slabs,
 * each struct paired with its stack slot for good), so the registry is
 * "every record ever made": an append-only table of spans (runs of records
 * `stride` bytes apart, one per struct slab), grown only when a struct is
 * carved, under the carver's lock (stack.c's pool_lock). Each record has a
 * generation word `gen`, odd while its task is live.
 *
 * Spawn and exit write only their own record plus one counter each:
 *   goc__registry_add:    id = ++nspawned (one RMW), gen even -> odd (release);
 *   goc__registry_remove: gen odd -> even, ++nexited (one RMW, release).
 * goc_tasks_live() = nspawned - nexited. Before (registry_list.c's lock and
 * list, every spawn and exit writing other tasks' records as neighbours),
 * that lock line and the neighbours' lines bounced between the workers at
 * GOC_PROCS=2: 22% of CounterMutex (perf, issue 11).
 *
 * What a walker (goc_tasks_report, goc__registry_blocked_forever, the
 * deadlock report) may see: a record can be recycled by a new spawn while a
 * walker reads it, so every field is an atomic and the read is a seqlock:
 * g1 = gen (acquire), the fields (relaxed), an acquire fence, g2 = gen. A
 * record is reported only if g1 is odd and g2 == g1; then every field read
 * belongs to that one task:
 *   - the acquire load of g1 pairs with the add's release store of g1, so
 *     the spawn's goc__rec_init stores (made before it) are visible;
 *   - a field value written later, by the next task on this struct, was
 *     stored after goc__rec_init's release fence, which the walker's acquire
 *     fence then synchronises with; the exit's gen store happened before
 *     that fence (the struct went through the slot pool), so g2 sees it and
 *     differs from g1.
 * So a walker lists every task live for the whole walk, with its own fields,
 * and a task that spawns or exits during the walk may or may not appear.
 * gen is 64 bits: it never wraps.
 *
 * goc_tasks_live() is exact whenever no spawn or exit runs concurrently and
 * never an undercount: it reads nexited (acquire) first, then nspawned;
 * every exit it counts happened after its task's spawn, so it also counts
 * that spawn (see goc_tasks_live). A task is counted until its exit's
 * release (the nexited RMW), which orders the task's writes before a reader
 * that sees the new count (leak checks read results safely).
 *
 * TSan precise build: registry state is not a Go edge. The file is
 * uninstrumented and every atomic runs in a hidden section
 * (GOC_RACE_CALL_BEGIN/END): an exit must not order the task before the next
 * spawn or a goc_tasks_live() caller. The walker's callbacks (fprintf) run
 * outside them.
 */
#include "goc_internal.h"
#include "goc_tsan.h"
GOC_RACE_FILE_BEGIN

#define SPANS_MAX 4096 /* a coro struct slab holds ~87k records: 350M tasks */

typedef struct {
    char *base;      /* the first record: written once, before nspans publishes it */
    size_t stride;   /* bytes between records: as base */
    _Atomic size_t n; /* records made so far: written by the grower only (release) */
} span;

static span spans[SPANS_MAX];
static _Atomic size_t nspans; /* written by the grower only (release) */
/* Each counter on its own line: at GOC_PROCS=2 the spawner and the exiting
 * task are often on different workers. */
static _Alignas(64) _Atomic uint64_t nspawned; /* spawns so far (the last id) */
static _Alignas(64) _Atomic uint64_t nexited;  /* exits so far */

void goc__registry_table_grow(goc_task_rec *r, size_t stride) {
    GOC_RACE_CALL_BEGIN();
    /* relaxed loads: the caller's lock serialises every writer */
    size_t k = atomic_load_explicit(&nspans, memory_order_relaxed);
    if (k) {
        span *s = &spans[k - 1];
        size_t n = atomic_load_explicit(&s->n, memory_order_relaxed);
        if (s->stride == stride && (char *)r == s->base + n * stride) {
            /* release: the record's zeroed fields before a walker reads it */
            atomic_store_explicit(&s->n, n + 1, memory_order_release);
            GOC_RACE_CALL_END();
            return;
        }
    }
    if (k == SPANS_MAX) goc__fatal("goc: task registry: more than %d struct slabs", SPANS_MAX);
    spans[k].base = (char *)r;
    spans[k].stride = stride;
    atomic_store_explicit(&spans[k].n, 1, memory_order_relaxed);
    /* release: base, stride, n before a walker that sees k + 1 spans */
    atomic_store_explicit(&nspans, k + 1, memory_order_release);
    GOC_RACE_CALL_END();
}

void goc__registry_add(goc_task_rec *r) {
    GOC_RACE_CALL_BEGIN();
    uint64_t id = atomic_fetch_add_explicit(&nspawned, 1, memory_order_relaxed) + 1;
    atomic_store_explicit(&r->id, id, memory_order_relaxed);
    /* gen is even (not live) and only the owner of the struct writes it */
    uint64_t g = atomic_load_explicit(&r->gen, memory_order_relaxed);
    /* release: goc__rec_init's stores and the id before a walker that sees
     * the record live (its acquire load of gen) */
    atomic_store_explicit(&r->gen, g + 1, memory_order_release);
    GOC_RACE_CALL_END();
}

void goc__registry_remove(goc_task_rec *r) {
    GOC_RACE_CALL_BEGIN();
    uint64_t g = atomic_load_explicit(&r->gen, memory_order_relaxed);
    /* relaxed: a walker that sees the even value skips the record; one that
     * read the odd value before finds this one (or a later) on its re-read
     * (see the header) */
    atomic_store_explicit(&r->gen, g + 1, memory_order_relaxed);
    /* release: everything the task did before a goc_tasks_live() reader
     * that counts this exit (its acquire load) */
    atomic_fetch_add_explicit(&nexited, 1, memory_order_release);
    GOC_RACE_CALL_END();
}

size_t goc_tasks_live(void) {
    GOC_RACE_CALL_BEGIN();
    /* acquire: synchronises with every exit counted in e (all the RMWs are
     * one release sequence), and each of those exits happened after its
     * spawn's RMW on nspawned, so the load below sees those spawns too:
     * s >= e, and a task live throughout this call is counted. */
    uint64_t e = atomic_load_explicit(&nexited, memory_order_acquire);
    uint64_t s = atomic_load_explicit(&nspawned, memory_order_relaxed);
    GOC_RACE_CALL_END();
    return (size_t)(s - e);
}

/* Copies r into *s if its task is live for the whole copy (the seqlock in
 * the header). */
static bool read_live(const goc_task_rec *r, goc__rec_snap *s) {
    bool live = false;
    GOC_RACE_CALL_BEGIN();
    uint64_t g1 = atomic_load_explicit(&r->gen, memory_order_acquire); /* pairs with add's release */
    if (g1 & 1) {
        goc__rec_read(r, s);
        atomic_thread_fence(memory_order_acquire); /* pairs with goc__rec_init's release fence */
        live = atomic_load_explicit(&r->gen, memory_order_relaxed) == g1;
    }
    GOC_RACE_CALL_END();
    return live;
}

void goc__registry_walk(goc__rec_walk *w) {
    if (w->begin) w->begin(w, false); /* no lock: never busy */
    GOC_RACE_CALL_BEGIN();
    size_t k = atomic_load_explicit(&nspans, memory_order_acquire); /* pairs with grow's release */
    GOC_RACE_CALL_END();
    for (size_t i = 0; i < k; i++) {
        GOC_RACE_CALL_BEGIN();
        size_t n = atomic_load_explicit(&spans[i].n, memory_order_acquire); /* as nspans */
        GOC_RACE_CALL_END();
        for (size_t j = 0; j < n; j++) {
            goc__rec_snap s;
            if (read_live((const goc_task_rec *)(spans[i].base + j * spans[i].stride), &s))
                w->each(w, &s);
        }
    }
}

GOC_RACE_FILE_END
