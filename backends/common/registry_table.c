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
 * Spawn and exit write only their own record and their thread's counter
 * line (no RMW, no shared line):
 *   goc__registry_add:    id from the thread's batch, ++spawned of the
 *                         thread's slot, gen even -> odd (release);
 *   goc__registry_remove: gen odd -> even, ++exited of the thread's slot
 *                         (release).
 * goc_tasks_live() = sum(spawned) - sum(exited). Before (registry_list.c's
 * lock and list, every spawn and exit writing other tasks' records as
 * neighbours), that lock line and the neighbours' lines bounced between the
 * workers at GOC_PROCS=2: 22% of CounterMutex (perf, issue 11); with one
 * global counter per direction (an RMW each) those two RMWs were still
 * 8.9% (perf, P=2), the exits' line moving between the workers.
 *
 * Counter slots: a thread takes one of SLOTS lines at its first spawn or
 * exit and owns it for good (its counts outlive it); only the owner writes
 * it, with a plain load and store. Threads beyond SLOTS (a program with
 * many foreign threads, or many sysmon hand-offs) share the last slot and
 * update it with RMWs. Ids: like Go's goidcache, each owned slot takes ids
 * in batches of ID_BATCH from next_id (one RMW per batch), so ids are
 * unique and increase per thread, not globally; the root task of the first
 * goc_main is task 1.
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
 * never an undercount: it reads every slot's exited (acquire) first, then
 * every spawned; every exit it counts happened after its task's spawn, so
 * it also counts that spawn (see goc_tasks_live). A task is counted until
 * its exit's release (the exited store), which orders the task's writes
 * before a reader that sees the new count (leak checks read results
 * safely).
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

#define SPANS_MAX 4096 /* a coro struct slab holds ~100k records (32 MiB / 320 B): 400M tasks */

typedef struct {
    char *base;      /* the first record: written once, before nspans publishes it */
    size_t stride;   /* bytes between records: as base */
    _Atomic size_t n; /* records made so far: written by the grower only (release) */
} span;

static span spans[SPANS_MAX];
static _Atomic size_t nspans; /* written by the grower only (release) */

#define SLOTS 64
#define ID_BATCH 64

typedef struct {
    _Alignas(64) _Atomic uint64_t spawned; /* spawns by the owner (the shared slot: by all, RMW) */
    _Atomic uint64_t exited;               /* exits on the owner; release (as spawned) */
    uint64_t id_next, id_end;              /* the owner's id batch (unused in the shared slot) */
} cslot;

static cslot slots[SLOTS + 1]; /* slots[SLOTS]: shared by the threads beyond SLOTS */
static _Atomic unsigned slots_taken;
static _Alignas(64) _Atomic uint64_t next_id = 1;
static __thread cslot *my_slot;

/* The calling thread's slot. Called only from goc__registry_add/remove,
 * which never switch tasks: a coro task may migrate at any switch, so no
 * caller may keep the result (or the TLS address) across one; both
 * functions are noinline so that no inlining (LTO) can hoist it there. */
static cslot *slot_self(void) {
    cslot *c = my_slot;
    if (GOC_LIKELY(c != NULL)) return c;
    unsigned k = atomic_fetch_add_explicit(&slots_taken, 1, memory_order_relaxed);
    c = &slots[k < SLOTS ? k : SLOTS];
    my_slot = c;
    return c;
}

/* ++*ctr by slot c's thread: a plain load and store in an owned slot (its
 * only writer), an RMW in the shared one. mo: the store's order. */
static inline void slot_bump(cslot *c, _Atomic uint64_t *ctr, memory_order mo) {
    if (GOC_UNLIKELY(c == &slots[SLOTS]))
        atomic_fetch_add_explicit(ctr, 1, mo);
    else
        atomic_store_explicit(ctr, atomic_load_explicit(ctr, memory_order_relaxed) + 1, mo);
}

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

__attribute__((noinline)) void goc__registry_add(goc_task_rec *r) {
    GOC_RACE_CALL_BEGIN();
    cslot *c = slot_self();
    uint64_t id;
    if (GOC_UNLIKELY(c == &slots[SLOTS])) {
        id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
    } else {
        if (GOC_UNLIKELY(c->id_next == c->id_end)) {
            c->id_next = atomic_fetch_add_explicit(&next_id, ID_BATCH, memory_order_relaxed);
            c->id_end = c->id_next + ID_BATCH;
        }
        id = c->id_next++;
    }
    atomic_store_explicit(&r->id, id, memory_order_relaxed);
    /* relaxed: goc_tasks_live() sees this spawn through the exit that
     * counts it, or through whatever ordered the spawn before its call */
    slot_bump(c, &c->spawned, memory_order_relaxed);
    /* gen is even (not live) and only the owner of the struct writes it */
    uint64_t g = atomic_load_explicit(&r->gen, memory_order_relaxed);
    /* release: goc__rec_init's stores and the id before a walker that sees
     * the record live (its acquire load of gen) */
    atomic_store_explicit(&r->gen, g + 1, memory_order_release);
    GOC_RACE_CALL_END();
}

__attribute__((noinline)) void goc__registry_remove(goc_task_rec *r) {
    GOC_RACE_CALL_BEGIN();
    uint64_t g = atomic_load_explicit(&r->gen, memory_order_relaxed);
    /* relaxed: a walker that sees the even value skips the record; one that
     * read the odd value before finds this one (or a later) on its re-read
     * (see the header) */
    atomic_store_explicit(&r->gen, g + 1, memory_order_relaxed);
    /* release: everything the task did before a goc_tasks_live() reader
     * that counts this exit (its acquire load) */
    cslot *c = slot_self();
    slot_bump(c, &c->exited, memory_order_release);
    GOC_RACE_CALL_END();
}

size_t goc_tasks_live(void) {
    GOC_RACE_CALL_BEGIN();
    /* acquire: synchronises with every exit counted in e (an owned slot's
     * stores come from one thread, in order; the shared slot's RMWs are one
     * release sequence), and each of those exits happened after its spawn's
     * increment, so the loads below see those spawns too: s >= e, and a
     * task live throughout this call is counted. */
    uint64_t e = 0, s = 0;
    /* every line (65 loads), taken or not: a slot taken during the call
     * may hold the spawn of an exit counted here */
    for (int i = 0; i <= SLOTS; i++) e += atomic_load_explicit(&slots[i].exited, memory_order_acquire);
    for (int i = 0; i <= SLOTS; i++) s += atomic_load_explicit(&slots[i].spawned, memory_order_relaxed);
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
