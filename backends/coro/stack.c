/*
 * stack.c: coroutine stacks and task structs (README.md "Stacks").
 *
 * A slot is one task: its stack and, at the very top, its coro_task struct
 * (so a parked task touches one page: the struct and the few frames below
 * it). Slots are carved from slabs: one mmap of up to 256 slots (32 MiB),
 * MAP_NORESERVE, so untouched stack pages cost neither memory nor commit;
 * a slot is carved (its struct written) only when a spawn finds the pools
 * empty, so untouched slots cost no page either.
 *
 *   slot (low -> high addresses):
 *   +-----------+---------+---------------------------+-----------+
 *   | guard pg  | canary  |  stack (grows down)  <--  | coro_task |
 *   +-----------+---------+---------------------------+-----------+
 *   slot_lo     stack_lo                              task        slot_hi
 *
 * Overflow protection that scales to a million tasks. A PROT_NONE guard page
 * splits the slab's mapping into two more VMAs, and Linux allows 65,530 per
 * process (vm.max_map_count), which is why a guard page per stack stops
 * libdill at ~32k coroutines. So: the first GOC_STACK_GUARDS slots ever
 * carved (default 8192, i.e. at most 16,384 VMAs) get a real guard page and
 * die on overflow with a clear message (the SIGSEGV handler below); every
 * slot also has a canary at the bottom of its stack that the scheduler checks
 * when the task switches out (fatal with the same message). The canary is
 * "the lowest 32 bytes are still zero": fresh anonymous memory is zero, so
 * the canary costs no write, while a stack that ran through it leaves return
 * addresses and frame pointers behind. The read is not free everywhere: a
 * read of an untouched page maps the shared zero page on most kernels, but
 * on the 2-core VM (no zero page) it allocates a resident page, which
 * doubled the RSS of a parked task on an unguarded slot (bench_memory,
 * 100k tasks: 7.8 KiB per task, 4.1 KiB on guarded slots). So the canary is
 * read only once a task on the slot has switched out in the lower half of
 * the stack (t->sp_low). Blind spots: an overflow by a frame that writes
 * only zeros there; and, on an unguarded slot, an excursion from the upper
 * half through the whole lower half that returns before the task's next
 * switch (the guard page has neither). The pool is
 * LIFO, so in steady state the hot tasks run on guarded slots; only beyond
 * 8192 simultaneously live tasks do new tasks rely on the canary.
 *
 * Pools: a freed slot goes to its worker's cache (LIFO, up to 64, owner
 * only); overflow moves 32 to the global pool (pool_lock). Spawning takes
 * from the cache, then the global pool, then a newly carved slot, so spawn makes no
 * system call in steady state. Slabs are never unmapped (a task struct stays
 * readable forever, which the netpoller's stale-event check relies on).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */

#ifdef GOC_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define CACHE_MAX 64u
#define CACHE_MOVE 32u
#define SLAB_BYTES (32u << 20)
#define SLAB_MAX_SLOTS 256u

static goc__lock pool_lock = GOC__LOCK_INIT;
static coro_task *pool;             /* guarded by pool_lock */
static size_t page_size;            /* set once under pool_lock */
static size_t slot_bytes;           /* set once under pool_lock */
static size_t stack_bytes;          /* set once under pool_lock */
static long guards_left = -1;       /* guarded by pool_lock */
static _Atomic size_t stack_size_cached;

size_t coro_stack_size(void) {
    size_t s = atomic_load_explicit(&stack_size_cached, memory_order_relaxed);
    if (s) return s;
    s = goc__parse_size(getenv("GOC_STACK"));
#ifdef GOC_SANITIZED
    size_t def = 1u << 20, min = 256u << 10; /* sanitizer frames are much larger */
#else
    size_t def = 128u << 10, min = 16u << 10;
#endif
    if (s == 0) s = def;
    if (s < min) s = min;
    if (s > (1ull << 30)) s = 1ull << 30;
    atomic_store_explicit(&stack_size_cached, s, memory_order_relaxed);
    return s;
}

static void layout_init(void) { /* pool_lock held */
    if (slot_bytes) return;
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    size_t task_area = (sizeof(coro_task) + 63) & ~(size_t)63;
    size_t want = coro_stack_size() + task_area;
    want = (want + page_size - 1) & ~(page_size - 1);
    slot_bytes = page_size + want; /* + the guard page, always reserved */
    stack_bytes = want - task_area;
    const char *g = getenv("GOC_STACK_GUARDS");
    guards_left = 8192;
    if (g && *g) {
        char *end;
        long v = strtol(g, &end, 10);
        if (*end == 0 && v >= 0) guards_left = v;
    }
}

static void slot_init(char *slot_lo, bool guarded) {
    coro_task *t = (coro_task *)(slot_lo + slot_bytes - ((sizeof(coro_task) + 63) & ~(size_t)63));
    memset(t, 0, sizeof *t);
    t->stack_lo = slot_lo + page_size;
    t->stack_size = stack_bytes;
    t->guarded = guarded;
    t->sp_low = (char *)t;
    t->timer.idx = -1;
    t->parker.task = t; /* once: a late netpoll event may read it any time */
    t->poll_fd = t->poll_dup = -1;
    /* The canary is the untouched zero bottom of the stack (see header). */
}

/* Carves the next slot of the current slab, mapping a new slab when it is
 * used up (NULL when mmap fails). Slots are carved one at a time, when the
 * pools are empty, so a slot's pages (its struct, initialised here) are
 * touched only when a task needs it: carving a whole slab at once touched
 * 256 struct pages for a program that spawns one task, and a first touch of
 * a page costs 20-60 us on the 2-core VM (README.md "Stacks"). pool_lock
 * held. */
static char *carve_next;   /* guarded by pool_lock: next uncarved slot */
static size_t carve_left;  /* guarded by pool_lock: slots left there */
static coro_task *slot_carve(void) {
    layout_init();
    if (carve_left == 0) {
        size_t n = SLAB_BYTES / slot_bytes;
        if (n < 1) n = 1;
        if (n > SLAB_MAX_SLOTS) n = SLAB_MAX_SLOTS;
        size_t bytes = n * slot_bytes;
        char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (m == MAP_FAILED) {
            errno = ENOMEM;
            return NULL;
        }
#ifdef GOC_ASAN
        /* Pointers held only on coroutine stacks must keep their objects alive. */
        __lsan_register_root_region(m, bytes);
#endif
        carve_next = m;
        carve_left = n;
    }
    char *lo = carve_next;
    carve_next += slot_bytes;
    carve_left--;
    bool guarded = false;
    if (guards_left > 0 && mprotect(lo, page_size, PROT_NONE) == 0) {
        guarded = true;
        guards_left--;
    }
    slot_init(lo, guarded);
    return (coro_task *)(lo + slot_bytes - ((sizeof(coro_task) + 63) & ~(size_t)63));
}

coro_task *coro_stack_alloc(coro_worker *w) {
    coro_stack_cache *c = w ? coro_worker_cache(w) : NULL;
    coro_task *t;
    if (c && c->head) {
        t = c->head;
        c->head = t->next;
        c->n--;
        return t;
    }
    goc__lock_acquire(&pool_lock);
    t = pool;
    if (t) {
        pool = t->next;
        /* refill the cache with a batch so the next spawns take no lock */
        for (uint32_t i = 0; c && pool && i < CACHE_MOVE; i++) {
            coro_task *x = pool;
            pool = x->next;
            x->next = c->head;
            c->head = x;
            c->n++;
        }
    } else {
        t = slot_carve();
    }
    goc__lock_release(&pool_lock);
    return t;
}

void coro_stack_free(coro_worker *w, coro_task *t) {
#ifdef GOC_ASAN
    /* frames of the finished task may have left redzones behind */
    __asan_unpoison_memory_region(t->stack_lo, t->stack_size);
#endif
    coro_stack_cache *c = coro_worker_cache(w);
    t->next = c->head;
    c->head = t;
    if (++c->n <= CACHE_MAX) return;
    /* move the coldest CACHE_MOVE (the cache's tail half) to the pool */
    coro_task *keep = c->head;
    for (uint32_t i = 1; i < CACHE_MAX + 1 - CACHE_MOVE; i++) keep = keep->next;
    coro_task *first = keep->next, *last = first;
    while (last->next) last = last->next;
    keep->next = NULL;
    c->n = CACHE_MAX + 1 - CACHE_MOVE;
    goc__lock_acquire(&pool_lock);
    last->next = pool;
    pool = first;
    goc__lock_release(&pool_lock);
}

void coro_stack_check(coro_task *t) {
    const uint64_t *c = (const uint64_t *)t->stack_lo;
    if (GOC_LIKELY((c[0] | c[1] | c[2] | c[3]) == 0)) return;
    goc__fatal("stack overflow in coro task %llu (%s spawned at %s:%d): the canary at the bottom "
               "of its %zu-byte stack was overwritten%s; raise GOC_STACK",
               (unsigned long long)t->rec.id, t->rec.fn_name, t->rec.spawn_file, t->rec.spawn_line,
               t->stack_size, t->guarded ? "" : " (an unguarded slot: GOC_STACK_GUARDS exhausted)");
}

bool coro_stack_in_guard(const coro_task *t, const void *addr) {
    const char *a = addr;
    /* the guard page, or a big frame that jumped over the canary into it */
    return t->guarded && a < t->stack_lo && a >= t->stack_lo - page_size;
}

/* ------------------------------------------------------ guard pages -- */

static struct sigaction old_segv;

static void write_str(const char *s) {
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}
static void write_num(uint64_t v) {
    char b[24];
    int i = 23;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    write_str(b + i);
}

static void segv_handler(int sig, siginfo_t *si, void *uc) {
    coro_task *t = coro_self();
    if (t && coro_stack_in_guard(t, si->si_addr)) {
        write_str("goc: fatal error: stack overflow in coro task ");
        write_num(t->rec.id);
        write_str(" (");
        write_str(t->rec.fn_name);
        write_str(" spawned at ");
        write_str(t->rec.spawn_file);
        write_str(":");
        write_num((uint64_t)t->rec.spawn_line);
        write_str("): it ran into the guard page below its ");
        write_num(t->stack_size);
        write_str("-byte stack; raise GOC_STACK\n");
        signal(SIGSEGV, SIG_DFL); /* re-fault and die with SIGSEGV */
        return;
    }
    if (old_segv.sa_flags & SA_SIGINFO) {
        if (old_segv.sa_sigaction) {
            old_segv.sa_sigaction(sig, si, uc);
            return;
        }
    } else if (old_segv.sa_handler != SIG_DFL && old_segv.sa_handler != SIG_IGN) {
        old_segv.sa_handler(sig);
        return;
    }
    signal(SIGSEGV, SIG_DFL);
}

void coro_install_segv_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = segv_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
}

GOC_RACE_FILE_END
