/*
 * stack.c: coroutine stacks and task structs (README.md "Stacks").
 *
 * A slot is one task's stack: a guard page, then the stack. Its coro_task
 * struct lives apart, packed with other structs (TASK_AREA bytes each, ~12
 * to a page) in slabs of their own, paired with a slot when both are
 * carved; the pair moves through the pools together, and only a fresh
 * task's first switch-in may trade slots (coro_stack_bind). Slots are carved from slabs: one mmap of up to 256 slots
 * (32 MiB), MAP_NORESERVE, so untouched stack pages cost neither memory nor
 * commit; a slot is carved (its struct written) only when a spawn finds the
 * pools empty, so untouched slots cost no page either.
 *
 *   slot (low -> high addresses):          struct slab:
 *   +-----------+---------+--------------------------+   +------+------+--
 *   | guard pg  | canary  |  stack (grows down)  <-- |   | task | task | ...
 *   +-----------+---------+--------------------------+   +------+------+--
 *   slot_lo     stack_lo                    stack_lo + stack_size
 *
 * Why apart (README.md "Mutex, first-use costs and memory"): with the
 * struct on its slot's top page (the layout until December 2026), every
 * walk of a list of tasks (the slot pools, the global run queue) took a
 * TLB miss and a cache miss per task, one page each; CounterMutex's profile
 * was led by exactly those loads. The price: a parked task's RSS is its
 * stack's top page plus the 320-byte struct (4.4 KiB instead of 4.1).
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
 * Compact mode (GOC_STACK=compact or a size below a page; README.md
 * "Compact mode"): stacks of S bytes (2 KiB by default) packed in slabs
 * without guard pages (the structs in their slabs as above), so a parked
 * task costs S + 320 bytes of RSS. Overflow is caught by the
 * canary, read at every switch-out (it shares a page with live stacks), and
 * by a depth check at every switch-out (coro_task_switch_out: fewer than
 * CORO_STACK_MARGIN bytes left is fatal); both report from an emergency
 * stack. The root task keeps a normal slot. Sanitizer builds refuse it.
 *
 * Pools: a freed slot goes to its worker's cache (LIFO, up to 64, owner
 * only); overflow moves 32 to the global pool (pool_lock) as one chain
 * (chainq.h). Spawning takes from the cache, then a whole chain of the
 * global pool, then a newly carved slot, so spawn makes no
 * system call in steady state. Slabs are never unmapped (a task struct stays
 * readable forever, which the netpoller's stale-event check relies on, and
 * so does the task registry: every struct carved joins its table,
 * backends/common/registry_table.c, which walks them all).
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */
#include "chainq.h" /* after BEGIN: its inline functions uninstrumented too */

#ifdef GOC_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define CACHE_MAX 64u
#define CACHE_MOVE 32u
#define SLAB_BYTES (32u << 20)
#define SLAB_MAX_SLOTS 256u

static goc__lock pool_lock = GOC__LOCK_INIT;
static coro_chainq pool;            /* guarded by pool_lock: chains of free slots (chainq.h) */
static size_t page_size;            /* set once under pool_lock */
static size_t slot_bytes;           /* set once under pool_lock */
static size_t stack_bytes;          /* set once under pool_lock */
static long guards_left = -1;       /* guarded by pool_lock */
static _Atomic size_t stack_size_cached;
/* The layout globals (page_size ... thp_on) are read without pool_lock by
 * code that holds a task: every task was carved after layout_init, and its
 * spawn (or the run-queue handoff that brought it to another worker)
 * orders those writes before the read. */
static size_t compact_slot;         /* set once under pool_lock: 0, or the bytes of a compact slot */
static bool hwm_on;                 /* set once under pool_lock: GOC_STACK_HWM=1 */
static bool thp_on;                 /* set once under pool_lock: compact slabs use huge pages */
static _Atomic size_t hwm_max;      /* GOC_STACK_HWM: deepest use seen (bytes below the top);
                                     * relaxed: a statistic, read at exit or by a test once
                                     * its tasks are gone (a scan still running can only make
                                     * it read less) */
static _Atomic size_t switch_max;   /* GOC_STACK_HWM: deepest switch-out seen (bytes); as hwm_max */

/* Compact mode (README.md "Compact mode"): GOC_STACK=compact, or a size
 * below a page. Returns the slot size (struct included), or 0 for the normal
 * layout. Sanitizer builds refuse it with a one-line warning: their frames
 * are several times larger than the runtime's measured 2 KiB use. */
static size_t compact_slot_size(size_t page) {
    const char *e = getenv("GOC_STACK");
    size_t s;
    if (e && strcmp(e, "compact") == 0)
        s = CORO_COMPACT_SLOT;
    else if ((s = goc__parse_size(e)) == 0 || s >= page)
        return 0;
#ifdef GOC_SANITIZED
    fprintf(stderr, "goc: warning: GOC_STACK=%s (compact stacks) is refused in sanitizer builds; "
                    "using the default stack size\n", e);
    return 0;
#else
    if (s < CORO_COMPACT_MIN) s = CORO_COMPACT_MIN;
    return (s + 63) & ~(size_t)63;
#endif
}

size_t coro_stack_size(void) {
    size_t s = atomic_load_explicit(&stack_size_cached, memory_order_relaxed);
    if (s) return s;
    s = goc__parse_size(getenv("GOC_STACK"));
#ifdef GOC_SANITIZED
    size_t def = 1u << 20, min = 256u << 10; /* sanitizer frames are much larger */
#else
    size_t def = 128u << 10, min = 16u << 10;
#endif
    if (s == 0 || s < (size_t)sysconf(_SC_PAGESIZE)) s = def; /* unset, or compact mode (root slot) */
    if (s < min) s = min;
    if (s > (1ull << 30)) s = 1ull << 30;
    atomic_store_explicit(&stack_size_cached, s, memory_order_relaxed);
    return s;
}

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

#define TASK_AREA ((sizeof(coro_task) + 63) & ~(size_t)63)

static void atomic_max(_Atomic size_t *m, size_t v) {
    size_t o = atomic_load_explicit(m, memory_order_relaxed);
    while (v > o && !atomic_compare_exchange_weak_explicit(m, &o, v, memory_order_relaxed,
                                                           memory_order_relaxed)) {
    }
}

static void hwm_report(void) {
    fprintf(stderr,
            "goc: coro stack high-water mark: %zu of %zu bytes, deepest switch-out %zu bytes "
            "(%s)\n",
            atomic_load_explicit(&hwm_max, memory_order_relaxed), stack_bytes,
            atomic_load_explicit(&switch_max, memory_order_relaxed),
            compact_slot ? "compact mode" : "normal slots");
}

static void layout_init(void) { /* pool_lock held */
    if (slot_bytes) return;
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    const char *h = getenv("GOC_STACK_HWM");
    if (h && strcmp(h, "1") == 0) {
        hwm_on = true;
        atexit(hwm_report);
    }
    compact_slot = compact_slot_size(page_size);
    const char *thp = getenv("GOC_STACK_THP");
    thp_on = !(thp && strcmp(thp, "0") == 0);
    if (compact_slot) { /* no guard page: stacks share pages */
        slot_bytes = compact_slot;
        stack_bytes = compact_slot;
        guards_left = 0;
        return;
    }
    stack_bytes = (coro_stack_size() + page_size - 1) & ~(page_size - 1);
    slot_bytes = page_size + stack_bytes; /* + the guard page, always reserved */
    const char *g = getenv("GOC_STACK_GUARDS");
    guards_left = 8192;
    if (g && *g) {
        char *end;
        long v = strtol(g, &end, 10);
        if (*end == 0 && v >= 0) guards_left = v;
    }
}

static void slot_init(coro_task *t, char *stack_lo, size_t stack_size, bool guarded, bool compact) {
    memset(t, 0, sizeof *t);
    t->stack_lo = stack_lo;
    t->stack_size = stack_size;
    t->guarded = guarded;
    /* The canary is the untouched zero bottom of the stack (see header).
     * A compact slot's canary shares a page with its busy neighbours'
     * stacks, so reading it is free: sp_low starts at the bottom,
     * and task_left checks it at every switch-out. */
    t->sp_low = compact ? stack_lo : stack_lo + stack_size;
    t->sp_check = hwm_on ? stack_lo + stack_size : stack_lo + CORO_STACK_MARGIN;
    t->timer.idx = -1;
    t->parker.task = t; /* once: a late netpoll event may read it any time */
    t->poll_fd = t->poll_dup = -1;
}

/* Carves the next slot of the current slab, mapping a new slab when it is
 * used up (NULL when mmap fails). Slots are carved one at a time, when the
 * pools are empty, so a slot's pages (and its struct's, initialised here)
 * are touched only when a task needs it: carving a whole slab at once touched
 * 256 struct pages for a program that spawns one task, and a first touch of
 * a page costs 20-60 us on the 2-core VM (README.md "Stacks"). pool_lock
 * held. */
static char *carve_next;   /* guarded by pool_lock: next uncarved slot */
static size_t carve_left;  /* guarded by pool_lock: slots left there */
static char *tcarve_next;  /* guarded by pool_lock: compact mode, next uncarved struct */
static size_t tcarve_left; /* guarded by pool_lock: structs left there */

/* Compact mode backs its slabs with transparent huge pages (unless
 * GOC_STACK_THP=0): a first touch costs 20-60 us per 4 KiB page on the
 * 2-core VM, so one fault per 2 MiB (1024 stacks) instead of one per two
 * stacks is what makes mass spawns cheap (README.md "Compact mode"). The
 * first 2 MiB of each kind stay small pages, so a program with a few
 * compact tasks does not pay 2 MiB for them. Kernels with THP off (or
 * without a free huge page) give small pages: same layout, slower spawn. */
#define HUGE_BYTES (2u << 20)

/* A slab of `bytes`; first: the first of its kind (no huge pages for its
 * first 2 MiB). guard: a PROT_NONE page just below it (compact stack slabs:
 * a frame that runs below the slab's first stack faults there, and the
 * SIGSEGV handler names the task, instead of writing into whatever mapping
 * lies below; one extra VMA per slab). */
static char *slab_map(size_t bytes, bool first, bool guard) {
    bool thp = compact_slot && thp_on;
    if (!thp && !guard)
        return mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    /* huge pages: 2 MiB aligned, and without MAP_STACK (which implies no
     * huge pages on recent kernels) */
    size_t align = thp ? HUGE_BYTES : page_size, lead = guard ? page_size : 0;
    size_t len = bytes + lead + align;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (thp ? 0 : MAP_STACK), -1, 0);
    if (m == MAP_FAILED) return m;
    char *a = (char *)(((uintptr_t)m + lead + align - 1) & ~(uintptr_t)(align - 1));
    char *lo = a - lead;
    if (lo > m) munmap(m, (size_t)(lo - m));
    if (m + len > a + bytes) munmap(a + bytes, (size_t)(m + len - (a + bytes)));
    if (guard) mprotect(lo, page_size, PROT_NONE); /* failure: no guard, still correct */
    size_t skip = first ? HUGE_BYTES : 0;
    if (thp && bytes > skip) madvise(a + skip, bytes - skip, MADV_HUGEPAGE); /* advice: failure is fine */
    return a;
}

/* Next object of size sz from the slab at *next (n left), mapping a new
 * slab of up to max objects when it is used up. NULL when mmap fails. */
static char *carve(char **next, size_t *left, size_t sz, size_t max, bool guard) {
    if (*left == 0) {
        size_t n = SLAB_BYTES / sz;
        if (n < 1) n = 1;
        if (n > max) n = max;
        size_t bytes = n * sz;
        char *m = slab_map(bytes, *next == NULL, guard);
        if (m == MAP_FAILED) return NULL;
#ifdef GOC_ASAN
        /* Pointers held only on coroutine stacks must keep their objects alive. */
        __lsan_register_root_region(m, bytes);
#endif
        *next = m;
        *left = n;
    }
    char *lo = *next;
    *next += sz;
    (*left)--;
    return lo;
}

static coro_task *slot_carve(void) {
    layout_init();
    /* The struct from the dense struct slabs (~12 to a page), so walking
     * the pools or run queues touches dense struct pages; the stack from
     * the slot slabs: S bytes each in compact mode (2 to a page at the
     * default 2 KiB, one PROT_NONE page below each slab), a guard page and
     * a page-rounded stack otherwise. */
    char *tp = carve(&tcarve_next, &tcarve_left, TASK_AREA, SIZE_MAX, false);
    if (!tp) goto nomem;
    char *lo = compact_slot ? carve(&carve_next, &carve_left, slot_bytes, SIZE_MAX, true)
                            : carve(&carve_next, &carve_left, slot_bytes, SLAB_MAX_SLOTS, false);
    if (!lo) {
        tcarve_next -= TASK_AREA; /* give the struct back */
        tcarve_left++;
        goto nomem;
    }
    coro_task *t = (coro_task *)tp;
    if (compact_slot) {
        slot_init(t, lo, stack_bytes, false, true);
    } else {
        bool guarded = false;
        if (guards_left > 0 && mprotect(lo, page_size, PROT_NONE) == 0) {
            guarded = true;
            guards_left--;
        }
        slot_init(t, lo + page_size, stack_bytes, guarded, false);
    }
    /* the record (zero: not live) joins the registry's table for good */
    goc__registry_table_grow(&t->rec, TASK_AREA);
    return t;
nomem:
    errno = ENOMEM;
    return NULL;
}

/* In compact mode the root task (goc_main's function: the program's main,
 * printf and all) runs on a normal slot of the default size with a guard
 * page, mapped on first use and kept for the next goc_main (root_free). */
static coro_task *root_free; /* guarded by pool_lock */

coro_task *coro_stack_alloc_root(void) {
    goc__lock_acquire(&pool_lock);
    layout_init();
    if (!compact_slot) {
        goc__lock_release(&pool_lock);
        return coro_stack_alloc(NULL);
    }
    coro_task *t = root_free;
    if (t) {
        root_free = t->next;
        goc__lock_release(&pool_lock);
        return t;
    }
    goc__lock_release(&pool_lock);
    size_t want = (coro_stack_size() + TASK_AREA + page_size - 1) & ~(page_size - 1);
    char *m = mmap(NULL, page_size + want, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (m == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
    bool guarded = mprotect(m, page_size, PROT_NONE) == 0;
    t = (coro_task *)(m + page_size + want - TASK_AREA);
    slot_init(t, m + page_size, want - TASK_AREA, guarded, false);
    t->root_slot = true;
    goc__lock_acquire(&pool_lock); /* serialises the registry table's growth */
    goc__registry_table_grow(&t->rec, TASK_AREA);
    goc__lock_release(&pool_lock);
    return t;
}

/* A worker cache's state for coro_stack_bind: which cache, and how many
 * tasks were freed into it. Equal stamps: the same cache, nothing freed in
 * between (a collision only costs or saves one trade). Owner only. */
static uint32_t cache_stamp(const coro_stack_cache *c) {
    return c->frees + (uint32_t)((uintptr_t)c >> 6) * 0x9E3779B1u;
}

/* A task struct with its slot: from cache c (NULL: a foreign thread), the
 * global pool, or a new slab. */
static coro_task *stack_take(coro_stack_cache *c) {
    coro_task *t;
    if (c && c->head) {
        t = c->head;
        c->head = t->next;
        c->n--;
        return t;
    }
    goc__lock_acquire(&pool_lock);
    if (pool.head && c) {
        /* a whole chain (CACHE_MOVE slots another worker's cache gave
         * back): the first for us, the rest refills the (empty) cache, so
         * the next spawns take no lock; no walk under the lock (chainq.h) */
        uint32_t n;
        t = chainq_take(&pool, 1, UINT32_MAX, &n);
        goc__lock_release(&pool_lock);
        c->head = t->next;
        c->n = n - 1;
        t->next = NULL;
        return t;
    }
    t = pool.head ? chainq_take1(&pool) : slot_carve();
    goc__lock_release(&pool_lock);
    return t;
}

coro_task *coro_stack_alloc(coro_worker *w) {
    coro_stack_cache *c = w ? coro_worker_cache(w) : NULL;
    coro_task *t = stack_take(c);
    if (t) t->born = c ? cache_stamp(c) : 0;
    return t;
}

/* GOC_STACK_HWM=1: the deepest byte any task on t's slot has written, as
 * bytes below the struct. The slot is zero when carved and never cleared,
 * so the lowest non-zero word above the canary marks the deepest frame
 * (a frame that wrote only zeros at its bottom is missed). Slow on big
 * stacks (it reads up from the bottom): a measuring aid for compact mode. */
static void hwm_scan(const coro_task *t) {
    const uint64_t *p = (const uint64_t *)(t->stack_lo + CORO_CANARY_BYTES);
    const uint64_t *end = (const uint64_t *)(t->stack_lo + t->stack_size);
    while (p < end && *p == 0) p++;
    atomic_max(&hwm_max, (size_t)((const char *)end - (const char *)p));
}

size_t coro_stack_hwm(void) { return atomic_load_explicit(&hwm_max, memory_order_relaxed); }
size_t coro_stack_switch_max(void) { return atomic_load_explicit(&switch_max, memory_order_relaxed); }

void coro_stack_free(coro_worker *w, coro_task *t) {
    if (GOC_UNLIKELY(t->root_slot)) {
#ifdef GOC_ASAN
        __asan_unpoison_memory_region(t->stack_lo, t->stack_size);
#endif
        goc__lock_acquire(&pool_lock);
        t->next = root_free;
        root_free = t;
        goc__lock_release(&pool_lock);
        return;
    }
    if (hwm_on) hwm_scan(t);
#ifdef GOC_ASAN
    /* frames of the finished task may have left redzones behind */
    __asan_unpoison_memory_region(t->stack_lo, t->stack_size);
#endif
    coro_stack_cache *c = coro_worker_cache(w);
    t->next = c->head;
    c->head = t;
    c->frees++;
    if (++c->n <= CACHE_MAX) return;
    /* move the coldest CACHE_MOVE (the cache's tail half) to the pool */
    coro_task *keep = c->head;
    for (uint32_t i = 1; i < CACHE_MAX + 1 - CACHE_MOVE; i++) keep = keep->next;
    coro_task *first = keep->next, *last = first;
    while (last->next) last = last->next;
    keep->next = NULL;
    c->n = CACHE_MAX + 1 - CACHE_MOVE;
    goc__lock_acquire(&pool_lock);
    chainq_put(&pool, first, last, CACHE_MOVE, true);
    goc__lock_release(&pool_lock);
}

/* A spawned task's slot is needed only when it first runs, and until then
 * nothing has touched it. A burst of spawns (CounterMutex: 1000 tasks, then
 * a wait) took 1000 slots from the cache and the pool and ran each task on
 * its own, a cold stack page and lines per task; at its first switch-in
 * the task now takes the slot of the free task at the head of the
 * worker's cache (LIFO: the slot the last exited task ran on) and leaves
 * its own, untouched, to that free task. A burst of short tasks then runs
 * on one or two hot slots. Everything that belongs to a slot rather than
 * to a task moves with it: the range, the guard flag, the depth check and
 * the lowest switch-out seen (the canary's state). Both tasks are the
 * worker's own (the one switching in and one in its cache), so this is
 * owner-only work; the precise TSan build remaps a dead task's stack
 * (task.c), so a slot starts without history there either way. Compact
 * slots are all alike; root slots never enter a cache.
 * A task that first runs on the worker that spawned it, with no task freed
 * there in between (its spawn's stamp), keeps its slot: it came from the
 * head of that same cache, as hot as any (a pool's workers spawned and run
 * at once); trading would only rotate one more slot through the cache
 * (README.md "A fresh task's slot": FanOutFanIn, WorkerPool 1.04-1.08x). */
void coro_stack_bind(coro_stack_cache *c, coro_task *t) {
    coro_task *f = c->head;
    if (!f || t->born == cache_stamp(c)) return;
    char *lo = t->stack_lo, *chk = t->sp_check, *low = t->sp_low;
    size_t sz = t->stack_size;
    bool g = t->guarded;
    t->stack_lo = f->stack_lo;
    t->stack_size = f->stack_size;
    t->guarded = f->guarded;
    t->sp_check = f->sp_check;
    t->sp_low = f->sp_low;
    f->stack_lo = lo;
    f->stack_size = sz;
    f->guarded = g;
    f->sp_check = chk;
    f->sp_low = low;
}

/* The overflow message of a compact slot, written with a few small frames:
 * the stack we run on may itself be a compact one near its end (goc__fatal's
 * vfprintf and task report need several KiB). */
/* The first overflow report wins `dying`; other threads that overflow or
 * fault meanwhile (a neighbour's stack it smashed) wait for its abort, so
 * the message comes out whole. */
static atomic_bool dying;
static __thread bool this_thread_dying;
/* The report runs on an emergency stack: the task's own may have a few
 * bytes left (or none), and abort() alone needs more. Written only by the
 * winner of `dying`. */
static char die_stack[16384] __attribute__((aligned(64)));
static struct {
    const coro_task *t;
    const char *what;
    size_t used;
} die_args;

static void die_entry(void *arg) {
    (void)arg;
    const coro_task *t = die_args.t;
    write_str("goc: fatal error: stack overflow in coro task ");
    write_num(t->rec.id);
    write_str(" (");
    write_str(t->rec.fn_name ? t->rec.fn_name : "?");
    write_str(" spawned at ");
    write_str(t->rec.spawn_file ? t->rec.spawn_file : "?");
    write_str(":");
    write_num((uint64_t)t->rec.spawn_line);
    write_str(") on its ");
    write_num(t->stack_size);
    write_str("-byte stack (GOC_STACK compact mode: no guard page; a task needs ");
    write_num(CORO_STACK_MARGIN);
    write_str(" bytes free below its deepest switch): ");
    write_str(die_args.what);
    if (die_args.used) {
        write_str(" with ");
        write_num(die_args.used);
        write_str(" bytes in use");
    }
    write_str("; raise GOC_STACK (e.g. 4k, or unset it), or keep deep calls (printf, ...) out of "
              "compact tasks\n");
    abort();
}

static __attribute__((noreturn)) void compact_die(const coro_task *t, const char *what, size_t used) {
    if (atomic_exchange_explicit(&dying, true, memory_order_relaxed))
        for (;;) pause();
    this_thread_dying = true;
    die_args.t = t;
    die_args.what = what;
    die_args.used = used;
    coro_cctx from, to;
    coro_cctx_make(&to, die_stack, sizeof die_stack, die_entry, NULL);
    coro_cctx_switch(&from, &to);
    __builtin_unreachable();
}

void coro_stack_check(coro_task *t) {
    const uint64_t *c = (const uint64_t *)t->stack_lo;
    if (GOC_LIKELY((c[0] | c[1] | c[2] | c[3]) == 0)) return;
    if (compact_slot && !t->root_slot) compact_die(t, "the canary at the bottom of the stack was overwritten", 0);
    goc__fatal("stack overflow in coro task %llu (%s spawned at %s:%d): the canary at the bottom "
               "of its %zu-byte stack was overwritten%s; raise GOC_STACK",
               (unsigned long long)t->rec.id, t->rec.fn_name, t->rec.spawn_file, t->rec.spawn_line,
               t->stack_size, t->guarded ? "" : " (an unguarded slot: GOC_STACK_GUARDS exhausted)");
}

void coro_stack_low(coro_task *t, const char *sp) {
    if (hwm_on && !t->root_slot) {
        atomic_max(&switch_max, (size_t)(t->stack_lo + t->stack_size - sp));
        if (sp >= t->stack_lo + CORO_STACK_MARGIN) return;
    }
    /* Normal slots have the guard page and the canary; a switch deep in a
     * 128 KiB stack is fine there (and coro_runtime's death tests expect
     * those two messages). */
    if (!compact_slot || t->root_slot) return;
    compact_die(t, "it switched out", (size_t)(t->stack_lo + t->stack_size - sp));
}

bool coro_stack_in_guard(const coro_task *t, const void *addr) {
    const char *a = addr;
    /* the guard page, or a big frame that jumped over the canary into it;
     * compact stacks have none, but the first of a slab has its slab's
     * guard page below it */
    bool compact = compact_slot && !t->root_slot;
    return (t->guarded || compact) && a < t->stack_lo && a >= t->stack_lo - page_size;
}

/* ------------------------------------------------------ guard pages -- */

static struct sigaction old_segv;

static void segv_handler(int sig, siginfo_t *si, void *uc) {
    if (atomic_load_explicit(&dying, memory_order_relaxed) && !this_thread_dying)
        for (;;) pause(); /* another thread is reporting an overflow: let it finish */
    coro_task *t = coro_self();
    if (t && coro_stack_in_guard(t, si->si_addr)) {
        if (atomic_exchange_explicit(&dying, true, memory_order_relaxed))
            for (;;) pause();
        this_thread_dying = true;
        write_str("goc: fatal error: stack overflow in coro task ");
        write_num(t->rec.id);
        write_str(" (");
        write_str(t->rec.fn_name);
        write_str(" spawned at ");
        write_str(t->rec.spawn_file);
        write_str(":");
        write_num((uint64_t)t->rec.spawn_line);
        bool compact = !t->guarded;
        write_str(compact ? "): it ran below its " : "): it ran into the guard page below its ");
        write_num(t->stack_size);
        write_str(compact ? "-byte stack (GOC_STACK compact mode: no guard page); raise GOC_STACK\n"
                          : "-byte stack; raise GOC_STACK\n");
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
