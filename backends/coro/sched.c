/*
 * sched.c: the coro M:N scheduler: its state, the workers, goc_main and the
 * task API (README.md "Scheduler" has the prose; coro_sched.h lists the
 * files of the scheduler, one subsystem each).
 *
 * GOC_PROCS worker threads (default: online cores) run tasks. Each worker
 * owns a local run queue (Go's runq: a 256-slot ring, the owner pushes at
 * tail, the owner and thieves take at head with a CAS) and a "run next" slot
 * for the task it just woke (a channel handoff runs the partner next, as Go
 * does). A global queue (locked list) takes overflow, tasks spawned or woken
 * from threads the runtime does not own, and root tasks. A worker with
 * nothing local looks at the global queue, the netpoller, then steals half a
 * random victim's queue; failing that it parks: on its own futex word, or, for
 * at most one worker at a time, in epoll_wait with the nearest timer as the
 * timeout (the "poller").
 *
 * Shared fields name their guard in coro_sched.h; the global state is `S`.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#if defined(__has_include)
#if __has_include(<sys/rseq.h>) /* glibc 2.35 and later */
#include <sys/rseq.h>
#define CORO_HAVE_RSEQ 1
#endif
#endif
#include <unistd.h>

#ifdef GOC_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */
#include "coro_sched.h"

coro_sched_state coro_sched = {.poll_until = INT64_MAX, .coarse_slack = INT64_MAX / 2};

/* coro.h (coro_note_foreign reads both inline) */
__thread coro_worker *coro_tls_w;
__thread int coro_tls_foreign; /* counted in S.nforeign */
__thread uint32_t coro_tls_who; /* coro_sched.h */
static __thread coro_parker tls_parker; /* parker of a foreign thread */
static pthread_key_t foreign_key;
static pthread_once_t foreign_once = PTHREAD_ONCE_INIT;

const char *goc_backend_name(void) { return "coro"; }

/* ------------------------------------------------------------ accessors -- */

__attribute__((noinline)) coro_worker *coro_worker_self(void) {
    coro_worker *w = coro_tls_w;
    __asm__ volatile("" ::: "memory"); /* never CSE'd across a switch */
    return w;
}
__attribute__((noinline)) coro_task *coro_self(void) {
    coro_worker *w = coro_tls_w;
    coro_task *t = w ? w->cur : NULL;
    __asm__ volatile("" ::: "memory");
    return t;
}
coro_theap *coro_worker_heap(coro_worker *w) { return &w->heap; }
coro_stack_cache *coro_worker_cache(coro_worker *w) { return &w->cache; }
coro_theap *coro_heap_at(int i) { return &S.w[i].heap; }
/* Worker slots (heaps) in use: GOC_PROCS plus the workers sysmon added. */
int coro_nprocs(void) {
    return atomic_load_explicit(&S.started, memory_order_acquire) ? coro_nw() : 0;
}

/* ---------------------------------------------------- foreign threads -- */

static void foreign_exit(void *arg) {
    (void)arg;
    atomic_fetch_sub_explicit(&S.nforeign, 1, memory_order_seq_cst);
}
static void foreign_key_init(void) { pthread_key_create(&foreign_key, foreign_exit); }

void coro_note_foreign_slow(void) {
    pthread_once(&foreign_once, foreign_key_init);
    coro_tls_foreign = 1;
    atomic_fetch_add_explicit(&S.nforeign, 1, memory_order_seq_cst);
    pthread_setspecific(foreign_key, (void *)1); /* foreign_exit at thread exit */
}

int coro_note_foreign_eagain(void) {
    coro_note_foreign_slow();
    return -EAGAIN;
}

/* The parker of the calling task, or of this foreign thread (it parks on
 * its futex word). */
coro_parker *coro_parker_self(void) {
    coro_task *t = coro_self();
    if (t) return &t->parker;
    coro_note_foreign();
    return &tls_parker;
}

/* ------------------------------------------------------------ workers -- */

#ifdef GOC_TSAN
void AnnotateBenignRaceSized(const char *f, int l, const volatile void *mem, unsigned long size,
                             const char *desc);
#endif

static void *worker_main(void *arg) {
    coro_worker *w = arg;
    coro_tls_w = w;
    coro_tls_who = (uint32_t)w->id + 1;
    goc__spin_nap_word = &w->lock_naps;
    atomic_store_explicit(&w->tid, (int)syscall(SYS_gettid), memory_order_relaxed);
#ifdef CORO_HAVE_RSEQ
    if (__rseq_size >= 8) /* the kernel's cpu_id of this thread's rseq area */
        atomic_store_explicit(&w->cpu_now,
                              &((const volatile struct rseq *)((char *)__builtin_thread_pointer() +
                                                               __rseq_offset))->cpu_id,
                              memory_order_release);
#endif
#ifdef GOC_TSAN
    /* Tasks on this thread share its TLS. goc.h's call-site macros write
     * goc__callsite from user code, and compiled code may keep the address
     * of a TLS variable across a call that migrates the task (glibc declares
     * __errno_location const; the compiler may CSE &goc__callsite too), so a
     * task can write the slot of the worker it left while that worker runs
     * another task. Both slots hold diagnostics only (the runtime saves and
     * restores errno's value per task): benign by design, not reported. */
    AnnotateBenignRaceSized(__FILE__, __LINE__, &goc__callsite, sizeof goc__callsite,
                            "goc__callsite: per-worker diagnostic slot shared by its tasks");
    AnnotateBenignRaceSized(__FILE__, __LINE__, &errno, sizeof errno,
                            "errno: per-worker, saved and restored per task");
#endif
#ifdef GOC_TSAN_PRECISE_ON
    /* TSan counts this thread's TLS as written by the thread when it
     * started; tasks that run here read it (libc's: the ctype table pointer
     * behind isdigit, patterns/http_proto.c) and, with switches that do not
     * synchronize, nothing ordered that write before them. This release,
     * the only one on tsan_tls, carries the thread's start to every task
     * switched in here (task_tls_edge), and no task to another. */
    GOC_TSAN_P_RELEASE(&w->tsan_tls);
    GOC_RACE_CALL_BEGIN(); /* the scheduler fiber is hidden for good */
#endif
#ifndef GOC_SANITIZED
    /* An alternate signal stack so the guard-page handler can run after an
     * overflow (the sanitizers install their own). */
    size_t as = 64 * 1024;
    w->altstack = mmap(NULL, as, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (w->altstack != MAP_FAILED) {
        stack_t ss = {.ss_sp = w->altstack, .ss_size = as, .ss_flags = 0};
        sigaltstack(&ss, NULL);
    }
#endif
#ifdef GOC_TSAN
    w->sched_fiber = __tsan_get_current_fiber();
#endif
#ifdef GOC_ASAN
    pthread_attr_t a;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        void *lo;
        size_t sz;
        pthread_attr_getstack(&a, &lo, &sz);
        w->sched_lo = lo;
        w->sched_size = sz;
        pthread_attr_destroy(&a);
    }
#endif
    for (;;) {
        goc_time t0 = 0;
        if (GOC_UNLIKELY(S.stats)) {
            t0 = goc_now();
            w->parked_ns = 0;
        }
        coro_task *t = coro_find_runnable(w);
        if (GOC_UNLIKELY(S.stats)) stat(w, ST_SPIN_NS, (uint64_t)(goc_now() - t0 - w->parked_ns));
        if (!t) break;
        coro_reset_spinning(w);
        coro_run_task(w, t);
    }
    atomic_store_explicit(&w->cpu_now, NULL, memory_order_relaxed); /* its rseq area ends with it */
#ifdef GOC_TSAN_PRECISE_ON
    /* the hidden section opened above ends with the thread: TSan reports a
     * thread that finishes with ignores enabled ("finished with ignores",
     * coro_runtime F03: a worker whose sibling failed to start exits) */
    GOC_RACE_CALL_END();
#endif
    return NULL;
}

/* A zeroed slot becomes worker i (before its thread starts). */
void coro_worker_init(coro_worker *w, int i) {
    w->id = i;
    atomic_init(&w->heap.next_when, INT64_MAX);
}

/* Starts the thread of worker slot w; 0 or an errno. */
int coro_worker_start(coro_worker *w) {
    return goc__thread_create(&w->thread, NULL, worker_main, w);
}

/* The CPUs this process may run on (its affinity mask, else the online ones). */
static int cpus_available(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) n = CPU_COUNT(&set);
    return n < 1 ? 1 : (int)n;
}

/* GOC_PROCS, else ncpu (the CPUs we may run on). */
static int parse_procs(int ncpu) {
    long n = ncpu;
    const char *e = getenv("GOC_PROCS");
    if (e && *e) {
        char *end;
        long v = strtol(e, &end, 10);
        if (*end == 0 && v >= 1 && v <= 1024) n = v;
        else fprintf(stderr, "goc: ignoring GOC_PROCS=%s (want 1..1024)\n", e);
    }
    return n < 1 ? 1 : (int)n;
}

static void stop_workers(int started) {
    atomic_store_explicit(&S.stop, 1, memory_order_release);
    coro_sysmon_stop();
    for (int i = 0; i < started; i++) {
        atomic_store_explicit(&S.w[i].park_word, 0, memory_order_release);
        goc__futex_wake(&S.w[i].park_word, 1);
    }
    coro_netpoll_break();
    for (int i = 0; i < started; i++) {
        coro_netpoll_break();
        pthread_join(S.w[i].thread, NULL);
    }
    atomic_store_explicit(&S.stop, 0, memory_order_release);
}

int coro_runtime_start(void) {
    if (atomic_load_explicit(&S.started, memory_order_acquire)) return 0;
    goc__lock_acquire(&S.start_lock);
    int rc = 0;
    if (atomic_load_explicit(&S.started, memory_order_relaxed)) goto out;
    if (!S.w) {
        int ncpu = cpus_available();
        int n = parse_procs(ncpu);
        int cap = n + CORO_EXTRA_WORKERS;
        /* mmap: page-aligned and zero; the extra slots' pages are touched
         * only when sysmon starts one (coro_worker_init) */
        coro_worker *ws = mmap(NULL, sizeof(coro_worker) * (size_t)cap, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (ws == MAP_FAILED) {
            rc = -ENOMEM;
            goto out;
        }
#ifdef GOC_ASAN
        /* the heaps' arrays are reachable only from here */
        __lsan_register_root_region(ws, sizeof(coro_worker) * (size_t)cap);
#endif
        for (int i = 0; i < n; i++) coro_worker_init(&ws[i], i);
        S.w = ws;
        S.nprocs = n;
        /* several workers, none waiting for a CPU (chan.c's spin rule) */
        S.chan_spin = n >= 2 && n <= ncpu;
        /* coro_spread (idle.c): GOC_SPREAD=0 turns it off */
        const char *e0 = getenv("GOC_SPREAD");
        bool rseq = false;
#ifdef CORO_HAVE_RSEQ
        rseq = __rseq_size >= 8;
#endif
        atomic_store_explicit(&coro_spread_on,
                              rseq && n >= 2 && n <= ncpu && !(e0 && !strcmp(e0, "0")),
                              memory_order_relaxed);
        S.wcap = cap;
        atomic_store_explicit(&S.nw, n, memory_order_release);
        const char *e = getenv("GOC_DEADLOCK");
        S.detector = !(e && (!strcmp(e, "0") || !strcmp(e, "off")));
        struct timespec res;
        if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0 &&
            res.tv_nsec <= 10000000)
            S.coarse_slack = 2 * (goc_time)res.tv_nsec; /* else: always the precise clock */
        e = getenv("GOC_SCHEDSTATS");
        if (e && *e && strcmp(e, "0")) coro_stats_start();
        e = getenv("GOC_SCHEDLOG");
        if (e && *e) coro_tlog_start(e);
        if ((rc = coro_netpoll_init()) != 0) goto out;
        coro_install_segv_handler();
    }
    int i;
    for (i = 0; i <= S.nprocs; i++) {
        int e;
        if (i < S.nprocs) {
            S.w[i].in_idle = false;
            S.w[i].spinning = false;
            e = coro_worker_start(&S.w[i]);
        } else {
            e = coro_sysmon_start(); /* last: the monitor of the workers above */
        }
        if (e) {
            /* roll back: the started workers are idle, stop and join them */
            stop_workers(i < S.nprocs ? i : S.nprocs);
            S.idle = NULL;
            atomic_store_explicit(&S.nidle, 0, memory_order_seq_cst);
            atomic_store_explicit(&S.nspinning, 0, memory_order_seq_cst);
            atomic_store_explicit(&S.poller, 0, memory_order_seq_cst);
            rc = e == EAGAIN ? -EAGAIN : -e;
            goto out;
        }
    }
    atomic_store_explicit(&S.started, 1, memory_order_release);
out:
    goc__lock_release(&S.start_lock);
    return rc;
}

/* --------------------------------------------------------- public API -- */

int goc_main(void (*fn)(void *), void *arg) {
    if (!fn) return -EINVAL;
    if (coro_self()) return -EBUSY;
    int z = 0;
    if (!atomic_compare_exchange_strong_explicit(&S.main_running, &z, 1, memory_order_acq_rel,
                                                 memory_order_relaxed))
        return -EBUSY;
    int rc = coro_runtime_start();
    if (rc) {
        atomic_store_explicit(&S.main_running, 0, memory_order_release);
        return rc;
    }
    GOC_RACE_CALL_BEGIN();
    coro_task *t = coro_task_new(NULL, true, fn, arg, "goc_main", 0, "main");
    if (!t) {
        GOC_RACE_CALL_END();
        atomic_store_explicit(&S.main_running, 0, memory_order_release);
        return -ENOMEM;
    }
    GOC_RACE_RELEASE(t); /* the caller's writes -> the root task */
    /* the caller waits in goc_main: it cannot wake anyone meanwhile */
    if (coro_tls_foreign) atomic_fetch_sub_explicit(&S.nforeign, 1, memory_order_seq_cst);
    t->is_root = true;
    t->run_id = atomic_fetch_add_explicit(&S.run_id, 1, memory_order_relaxed) + 1;
    atomic_store_explicit(&S.deadlocked, 0, memory_order_relaxed);
    atomic_store_explicit(&S.main_done, 0, memory_order_relaxed);
    goc__registry_add(&t->rec);
    coro_ready(t);
    /* seq_cst: the detector looks only from here on (before, every worker
     * may be idle because the root is not queued yet) */
    atomic_store_explicit(&S.root_queued, 1, memory_order_seq_cst);
    uint32_t done;
    while ((done = atomic_load_explicit(&S.main_done, memory_order_acquire)) == 0)
        goc__futex_wait(&S.main_done, 0, GOC_NEVER);
    atomic_store_explicit(&S.root_queued, 0, memory_order_seq_cst);
    rc = done == 2 ? -EDEADLK : 0;
    if (done == 1) GOC_RACE_ACQUIRE(t); /* the root task -> the caller */
    GOC_RACE_CALL_END();
    if (coro_tls_foreign) atomic_fetch_add_explicit(&S.nforeign, 1, memory_order_seq_cst);
    atomic_store_explicit(&S.main_running, 0, memory_order_release);
    return rc;
}

int goc_go_at(void (*fn)(void *), void *arg, const char *file, int line, const char *fn_name) {
    if (!fn) return -EINVAL;
    coro_worker *w = coro_worker_self();
    if (!w) {
        if (!atomic_load_explicit(&S.main_running, memory_order_acquire)) return -ESHUTDOWN;
        coro_note_foreign();
    }
    GOC_RACE_CALL_BEGIN();
    coro_task *t = coro_task_new(w, false, fn, arg, file, line, fn_name);
    if (!t) {
        GOC_RACE_CALL_END();
        return -ENOMEM;
    }
    GOC_RACE_RELEASE(t); /* Go: the go statement -> the new task's start */
    goc__registry_add(&t->rec);
    coro_ready(t);
    GOC_RACE_CALL_END();
    return 0;
}

int goc_go(void (*fn)(void *), void *arg) { return goc_go_at(fn, arg, "?", 0, "?"); }

/* coro_note_op saw sysmon's request (w->preempt): the running task yields
 * here, at the start of a channel operation or select, where it holds no
 * runtime lock, and goes to its worker's queue tail behind the tasks that
 * waited (task_left). On the scheduler's stack (a timer callback's
 * operation) there is no task to yield: the request is dropped, as it is
 * on a worker sysmon has replaced since. */
__attribute__((noinline, cold)) void coro_preempted(coro_worker *w) {
    atomic_store_explicit(&w->preempt, 0, memory_order_relaxed);
    coro_task *t = w->cur;
    /* A worker sysmon replaced meanwhile (BLOCKED) retires when its task
     * comes back to the scheduler: a yield there would only send the task
     * through the global queue (coro_sysmon T_blocked_ready: 36 ms). */
    if (!t || atomic_load_explicit(&w->state, memory_order_relaxed) != CORO_W_RUN) return;
    stat(w, ST_PREEMPT, 1);
    GOC_RACE_CALL_BEGIN();
    coro_task_switch_out(t, ACT_YIELD);
    GOC_RACE_CALL_END();
}

void goc_yield(void) {
    coro_task *t = coro_self();
    if (!t) {
        sched_yield();
        return;
    }
    GOC_RACE_CALL_BEGIN();
    coro_task_switch_out(t, ACT_YIELD);
    GOC_RACE_CALL_END();
}

int goc_sleep(goc_time deadline) {
    int kind = goc__deadline_kind(deadline);
    if (kind == GOC_DL_NOW) return 0;
    if (kind == GOC_DL_AT && deadline <= goc_now()) return 0;
    GOC_RACE_CALL_BEGIN();
    coro_parker *p = coro_parker_self();
    uint32_t seq = coro_parker_begin(p);
    coro_wait_begin("sleep", NULL, kind == GOC_DL_NEVER ? GOC_NEVER : deadline);
    coro_park(p, seq, NULL, NULL, deadline);
    goc__wait_end();
    GOC_RACE_CALL_END();
    return 0;
}

GOC_RACE_FILE_END
