/*
 * coro_runtime: TESTING.md C26 (K_runtime) and the coro runtime's own
 * contract, on the coro backend only.
 *   C26a migration: tasks park and yield across workers (with GOC_PROCS=1
 *        they stay on one thread unless sysmon handed the worker off); errno and the
 *        task's stack-resident state survive every resume on another worker
 *        (read through noinline helpers: glibc's __errno_location is
 *        declared const, so a caller's own -O2 code may cache its address
 *        across a call; the runtime's part is to save and restore the value).
 *   C26b 10^4 tasks spawn/exit (10^5 with GOC_TEST_LONG), from one and from
 *        many spawners; slots are recycled (no growth after warm-up).
 *   C26c guard page: a runaway recursion dies with SIGSEGV and the runtime's
 *        "stack overflow in coro task" message (death test, child process);
 *        beyond the guarded slots the canary catches it (GOC_STACK_GUARDS=0).
 *   F03 for coro: a worker thread that cannot be created makes goc_main
 *        return -EAGAIN with everything rolled back; the next goc_main works.
 *        goc_go outside goc_main returns -ESHUTDOWN.
 *   GOC_STACK: a task may use most of its stack.
 *   stack_trade: a fresh task runs on the hottest free slot of its worker
 *        (coro_stack_bind). A child at GOC_PROCS=1: a burst of 1000 tasks
 *        that run to completion one after the other uses a few slots, not
 *        1000 (each task reports the slot its frame lies in); 1000 tasks
 *        that are all live at once (each parks on a gate) still get 1000
 *        distinct slots and keep a stack-resident pattern across the park.
 *        C26c's children trade too: the overflowing task first runs after
 *        a short task exited (it reports whether its frame lies in that
 *        task's slot), so the guard page and canary must follow the slot.
 *   chan_spin: a receive that finds a buffered channel empty while the task
 *        that emptied it runs on another worker spins before parking
 *        (chan.c). A child at GOC_PROCS=2 with GOC_SCHEDSTATS=1: a holder
 *        takes a cap-1 channel's token and gives it back only once a taker
 *        on the other worker has announced its receive (busy waits, no goc
 *        call, so both tasks keep running); over 2000 rounds the token's
 *        values are checked and some receives must have spun and won
 *        (schedstats chspin_won). The same with the channel as a
 *        semaphore (acquire = a send that finds it full, release = a
 *        receive), in a second child. Then a receive that spins with a
 *        deadline while the holder keeps the token times out, and one that
 *        spins while the holder closes the channel gets -EPIPE. Runs of
 *        1000 tasks counting with the channel as their lock count right
 *        at GOC_PROCS 1 and 2, and at 1 nothing spins. Skipped where the process may use
 *        only one CPU (the runtime does not spin with more workers than
 *        CPUs).
 *   GOC_SCHEDSTATS / GOC_SCHEDLOG: the counts' columns; the event log well
 *        formed (every switch-out of the task switched in before it, per
 *        worker in time order, names) and an unwritable path reported.
 *   spread: a worker whose thread shares a CPU with a busy worker moves
 *        itself to a free CPU when it goes idle (idle.c coro_spread). A
 *        child at GOC_PROCS=2: a task busy-waits on one worker; the root,
 *        on the other, pins its thread to the busy one's CPU, restores the
 *        mask and sleeps 20 ms; woken, its thread must be on another CPU
 *        (at one of 5 such looks) and schedstats must count a move
 *        (`spread`). Retried (at most 8 children) while the OS separates
 *        the threads first; with GOC_SPREAD=0 no move is counted. Skipped
 *        with fewer than 2 CPUs or no rseq area.
 *   refuse_streak: a thief's backoff after refusals of one victim in a
 *        row (runq.c coro_refuse_note, the default constants), on a fresh
 *        thread: three refusals leave the victim watched, the fourth keeps
 *        the thief away from it (not from another) for 20 us, the fifth
 *        40 us, later ones 80 us (the cap); a refusal of another victim
 *        restarts the count, and a steal ends the backoff.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#if defined(__has_include)
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#define HAVE_RSEQ 1
#endif
#endif

#include "coro_child.h"

static __attribute__((noinline)) int read_errno(void) {
    int e = errno;
    __asm__ volatile("" ::: "memory");
    return e;
}
static __attribute__((noinline)) void write_errno(int v) {
    __asm__ volatile("" ::: "memory");
    errno = v;
}
static __attribute__((noinline)) unsigned long thread_id(void) {
    __asm__ volatile("" ::: "memory");
    return (unsigned long)pthread_self();
}

extern _Atomic long coro_sysmon_handoffs; /* sysmon.c */

/* The runtime's worker count: GOC_PROCS, else the CPUs this process may
 * run on (sched.c parse_procs). Unset, this said 0, and C26a run by hand on
 * a 2-core machine failed by seeing the migration it then forbids. */
static int procs(void) {
    const char *p = getenv("GOC_PROCS");
    if (p && *p) return atoi(p);
    cpu_set_t set;
    return sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0 ? CPU_COUNT(&set) : 1;
}

/* ------------------------------------------------------ C26a migration -- */

struct mig {
    int id;
    int rounds;
    atomic_int *migrated;
    goc_wg *wg;
};

static void mig_task(void *p) {
    struct mig *m = p;
    volatile uint64_t pattern[16]; /* stack-resident state */
    for (int i = 0; i < 16; i++) pattern[i] = (uint64_t)m->id * 1000003u + (uint64_t)i;
    unsigned long first = thread_id();
    int moved = 0;
    write_errno(1000 + m->id);
    for (int i = 0; i < m->rounds; i++) {
        if (i % 5 == 4) goc_sleep(goc_deadline(2000)); /* park on a timer */
        else goc_yield();
        GT_ASSERT_EQ(read_errno(), 1000 + m->id);
        for (int k = 0; k < 16; k++) GT_ASSERT_UEQ(pattern[k], (uint64_t)m->id * 1000003u + (uint64_t)k);
        if (thread_id() != first) moved = 1;
    }
    if (moved) atomic_fetch_add_explicit(m->migrated, 1, memory_order_relaxed);
    GT_ASSERT_OK(goc_wg_done(m->wg));
}

static void c26_migration(void) {
    enum { N = 64 };
    static struct mig ms[N];
    atomic_int migrated = 0;
    int rounds = (int)gt_n(200, 50);
    /* Migration is likely, not certain, in one round: on a loaded machine
     * the OS may not run the second worker thread for a while. Rounds go on
     * (up to 30 s) until one is seen; every round checks the invariants. */
    goc_time give_up = gt_ms(30000);
    for (int attempt = 0; goc_now() < give_up; attempt++) {
        goc_wg *wg = goc_wg_make();
        GT_ASSERT_NOT_NULL(wg);
        GT_ASSERT_OK(goc_wg_add(wg, N));
        for (int i = 0; i < N; i++) {
            ms[i] = (struct mig){i, rounds, &migrated, wg};
            gt_go(mig_task, &ms[i]);
        }
        GT_ASSERT_OK(goc_wg_wait(wg, gt_ms(60000)));
        goc_wg_free(wg);
        gt_join_all();
        if (procs() < 2 || atomic_load(&migrated) > 0) break;
    }
    gt_note("C26a: %d of %d tasks resumed on another worker (GOC_PROCS=%d)", atomic_load(&migrated), N,
            procs());
    if (procs() >= 2) GT_ASSERT_GT(atomic_load(&migrated), 0);
    else if (atomic_load(&coro_sysmon_handoffs) == 0) GT_ASSERT_EQ(atomic_load(&migrated), 0);
    /* else sysmon handed the only worker's tasks to another thread (a
     * worker blocked in the kernel for 10 ms: under TSan its own locks, on
     * a loaded machine): tasks may resume there */
}

/* --------------------------------------------------- C26b spawn/exit -- */

static atomic_long spawned_ran;
static void tiny(void *p) {
    atomic_fetch_add_explicit(&spawned_ran, 1, memory_order_relaxed);
    GT_ASSERT_OK(goc_wg_done(p));
}
struct spawner {
    long n;
    goc_wg *wg;
};
static void spawner(void *p) {
    struct spawner *s = p;
    for (long i = 0; i < s->n; i++) gt_go(tiny, s->wg);
}

static void c26_spawn_exit(void) {
    long n = gt_long() ? 100000 : gt_n(10000, 2000);
    goc_wg *wg = goc_wg_make();
    GT_ASSERT_NOT_NULL(wg);
    atomic_store(&spawned_ran, 0);
    goc_time t0 = goc_now();
    GT_ASSERT_OK(goc_wg_add(wg, n));
    for (long i = 0; i < n; i++) gt_go(tiny, wg);
    GT_ASSERT_OK(goc_wg_wait(wg, gt_ms(60000)));
    goc_time t1 = goc_now();
    GT_ASSERT_EQ(atomic_load(&spawned_ran), n);
    gt_join_all();
    /* many spawners at once */
    enum { S = 10 };
    struct spawner ss[S];
    atomic_store(&spawned_ran, 0);
    GT_ASSERT_OK(goc_wg_add(wg, n));
    for (int i = 0; i < S; i++) {
        ss[i] = (struct spawner){n / S + (i < n % S), wg};
        gt_go(spawner, &ss[i]);
    }
    GT_ASSERT_OK(goc_wg_wait(wg, gt_ms(60000)));
    GT_ASSERT_EQ(atomic_load(&spawned_ran), n);
    gt_join_all();
    goc_wg_free(wg);
    gt_note("C26b: %ld spawn+exit in %.1f ms (%.0f ns each, one spawner)", n, (t1 - t0) / 1e6,
            (double)(t1 - t0) / (double)n);
}

/* -------------------------------------------------------- GOC_STACK use -- */

static __attribute__((noinline)) uint64_t use_stack(size_t bytes) {
    volatile char buf[bytes];
    for (size_t i = 0; i < bytes; i += 512) buf[i] = (char)i;
    goc_yield(); /* switch out with the deep frame live: canary check runs */
    uint64_t s = 0;
    for (size_t i = 0; i < bytes; i += 512) s += (unsigned char)buf[i];
    return s;
}
static atomic_long deep_sum;
static void deep_task(void *p) {
    atomic_store(&deep_sum, (long)use_stack((size_t)(uintptr_t)p));
}
static void stack_use(void) {
    size_t bytes = 64 * 1024; /* half of the default 128 KiB */
    uint64_t want = 0;
    for (size_t i = 0; i < bytes; i += 512) want += (unsigned char)(char)i;
    gt_go(deep_task, (void *)(uintptr_t)bytes);
    gt_join_all();
    GT_ASSERT_EQ(atomic_load(&deep_sum), (long)want);
}

/* ---------------------------------------------------- C26c death tests -- */

static __attribute__((noinline)) int recurse(int depth) {
    volatile char frame[512];
    memset((char *)frame, depth, sizeof frame); /* touch the whole frame: it will cross the canary */
    goc_yield();                                /* every level: lets the canary check run */
    if (depth > (1 << 28)) return 0;            /* never: an overflow ends it first */
    return recurse(depth + 1) + frame[0] + frame[511];
}
/* Slots are more than 64 KiB apart (GOC_STACK >= 64k here, plus a guard
 * page), so the same function's frame at the same depth (tr_task) lies at
 * the same offset in every slot and >> 16 tells the slots apart. */
static uintptr_t slot_of(const void *frame) { return (uintptr_t)frame >> 16; }
static _Atomic uintptr_t short_frame;
static void short_task(void *p) {
    (void)p;
    atomic_store(&short_frame, (uintptr_t)__builtin_frame_address(0));
}
static void overflow_task(void *p) {
    (void)p;
    /* GOC_PROCS=1: the short task (spawned after us, so run before us from
     * runnext) exited first, and we took its slot (coro_stack_bind): both
     * top frames lie within the slot's top few KiB, while another slot's
     * lie more than 64 KiB away */
    uintptr_t mine = (uintptr_t)__builtin_frame_address(0), its = atomic_load(&short_frame);
    uintptr_t d = mine > its ? mine - its : its - mine;
    fprintf(stderr, "traded: %s\n", its && d < 16384 ? "yes" : "no");
    recurse(0);
}
static void overflow_root(void *p) {
    (void)p;
    goc_go(overflow_task, NULL);
    goc_go(short_task, NULL);
    goc_sleep(goc_deadline(10000000000LL));
}

static void guard_death(void) {
    if (gt_sanitized()) {
        gt_skip("the sanitizers own SIGSEGV and the stack layout");
        return;
    }
    coro_child c;
    const char *env[] = {"GOC_STACK=64k", "GOC_PROCS=1", NULL};
    coro_child_run(&c, "--overflow", env);
    gt_note("guarded child: %s", c.err);
    GT_ASSERT_MSG(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGSEGV, "child status 0x%x", c.status);
    GT_ASSERT_MSG(strstr(c.err, "stack overflow in coro task") && strstr(c.err, "overflow_task"),
                  "missing message, stderr: %s", c.err);
    GT_ASSERT_MSG(strstr(c.err, "traded: yes"), "the overflowing task kept its own slot: %s", c.err);

    const char *env2[] = {"GOC_STACK=64k", "GOC_STACK_GUARDS=0", "GOC_PROCS=1", NULL};
    coro_child_run(&c, "--overflow", env2);
    gt_note("unguarded child: %s", c.err);
    GT_ASSERT_MSG(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT, "child status 0x%x", c.status);
    GT_ASSERT_MSG(strstr(c.err, "stack overflow in coro task") && strstr(c.err, "canary"),
                  "missing message, stderr: %s", c.err);
    GT_ASSERT_MSG(strstr(c.err, "traded: yes"), "the overflowing task kept its own slot: %s", c.err);
}

/* --------------------------------------------------------- stack_trade -- */

enum { TR_N = 1000 };
static uintptr_t tr_slot[TR_N];
struct tr_arg {
    int i;
    goc_wg *wg;
    goc_chan *gate; /* NULL: run to completion */
    atomic_int *bad;
};
static struct tr_arg tr_args[TR_N];
static atomic_int tr_arrived;
static void tr_task(void *p) {
    struct tr_arg *a = p;
    volatile unsigned char pat[256];
    for (int k = 0; k < 256; k++) pat[k] = (unsigned char)(a->i + k);
    tr_slot[a->i] = slot_of(__builtin_frame_address(0));
    if (a->gate) {
        atomic_fetch_add(&tr_arrived, 1);
        (void)goc_chan_recv(a->gate, NULL, GOC_NEVER); /* every task stays live until it closes */
    }
    for (int k = 0; k < 256; k++)
        if (pat[k] != (unsigned char)(a->i + k)) atomic_fetch_add(a->bad, 1);
    goc_wg_done(a->wg);
}
static int distinct_slots(void) {
    int d = 0;
    for (int i = 0; i < TR_N; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) seen = tr_slot[j] == tr_slot[i];
        d += !seen;
    }
    return d;
}
static int tr_burst(goc_chan *gate, atomic_int *bad) {
    goc_wg *wg = goc_wg_make();
    if (!wg) return -1;
    goc_wg_add(wg, TR_N);
    for (int i = 0; i < TR_N; i++) {
        tr_args[i] = (struct tr_arg){i, wg, gate, bad};
        if (goc_go(tr_task, &tr_args[i]) != 0) return -1;
    }
    if (gate) {
        /* all of them at the gate, each on its slot (no fixed wait: under
         * TSan on a loaded machine 20 ms was not always enough) */
        while (atomic_load(&tr_arrived) < TR_N) goc_sleep(goc_deadline(1000000));
        goc_chan_close(gate);
    }
    goc_wg_wait(wg, GOC_NEVER);
    goc_wg_free(wg);
    return distinct_slots();
}
static int tr_rc;
static void tr_root(void *p) {
    (void)p;
    atomic_int bad = 0;
    int warm = tr_burst(NULL, &bad); /* fills the pools with 1000 slots */
    int burst = tr_burst(NULL, &bad);
    goc_chan *gate = goc_chan_make(0, 0);
    int live = gate ? tr_burst(gate, &bad) : -1;
    goc_chan_free(gate);
    fprintf(stderr, "distinct slots: warm-up %d, burst %d, all live %d; corrupted patterns %d\n", warm,
            burst, live, atomic_load(&bad));
    tr_rc = burst >= 1 && burst <= 4 && live == TR_N && atomic_load(&bad) == 0 ? 0 : 1;
}
static void stack_trade(void) {
    coro_child c;
    const char *env[] = {"GOC_PROCS=1", NULL};
    coro_child_run_ok(&c, "--trade", env);
}

/* ------------------------------------------------------------- F03 coro -- */

static atomic_int f03_ran;
static void f03_root(void *p) {
    (void)p;
    atomic_fetch_add(&f03_ran, 1);
}
static void nop(void *p) { (void)p; }

static int f03_child(void) {
    if (goc_go(nop, NULL) != -ESHUTDOWN) {
        fprintf(stderr, "goc_go outside goc_main did not return -ESHUTDOWN\n");
        return 1;
    }
    int n = procs() > 0 ? procs() : 1;
    goc_fault_thread(n, 0); /* the last worker fails to start */
    int rc = goc_main(f03_root, NULL);
    if (rc != -EAGAIN || atomic_load(&f03_ran) != 0) {
        fprintf(stderr, "goc_main with a failing worker: rc %d ran %d\n", rc, atomic_load(&f03_ran));
        return 1;
    }
    goc_fault_reset();
    rc = goc_main(f03_root, NULL);
    if (rc != 0 || atomic_load(&f03_ran) != 1) {
        fprintf(stderr, "goc_main after the fault: rc %d ran %d\n", rc, atomic_load(&f03_ran));
        return 1;
    }
    rc = goc_main(f03_root, NULL); /* and again: sequential goc_mains */
    if (rc != 0 || atomic_load(&f03_ran) != 2) {
        fprintf(stderr, "second goc_main: rc %d ran %d\n", rc, atomic_load(&f03_ran));
        return 1;
    }
    return 0;
}

static void f03_coro(void) {
    coro_child c;
    coro_child_run(&c, "--f03", NULL);
    CORO_CHILD_ASSERT_OK(&c);
}

/* ------------------------------------------ timer heap's lower bound -- */

/* Stopped timers, then sleeps: a heap's next_when (timer.c) must follow
 * every stop and arm, so a 60 ms sleep after a stopped 20 ms goc_after and
 * a 5 ms sleep after a stopped 10 s one wake neither early nor late. (A
 * version that left next_when as a lower bound after a stop, measured and
 * not kept, README "Timers and the netpoller", had to look at 20 ms, find
 * nothing, and still wake the sleeper at 60 ms: this checks that shape
 * too.) Each pair of sleeps also runs beside a busy pair of tasks, so that
 * direct switches check the heap (task.c direct_next) as well as the
 * scheduler and the poller. */
static atomic_int tb_stop;
static goc_wg *tb_wg;
static void tb_spin(void *p) {
    goc_chan *ch = p;
    int v = 0;
    while (!atomic_load(&tb_stop) && goc_chan_send(ch, &v, GOC_NEVER) == 0 &&
           goc_chan_recv(ch, &v, GOC_NEVER) == 0) {
    }
    goc_wg_done(tb_wg);
}
static void tb_echo(void *p) {
    goc_chan *ch = p;
    int v;
    while (goc_chan_recv(ch, &v, GOC_NEVER) == 0 && goc_chan_send(ch, &v, GOC_NEVER) == 0) {
    }
    goc_wg_done(tb_wg);
}
static int64_t tb_sleep_after_stopped(int64_t stopped_ns, int64_t sleep_ns) {
    goc_chan *a = goc_after(stopped_ns);
    GT_ASSERT_NOT_NULL(a);
    goc_chan_free(a); /* stops its timer: the bound stays at stopped_ns */
    goc_time t0 = goc_now();
    GT_ASSERT_OK(goc_sleep(t0 + sleep_ns));
    return goc_now() - t0;
}
static void timer_bound(void) {
    for (int busy = 0; busy <= 1; busy++) {
        goc_chan *ch = goc_chan_make(sizeof(int), 0);
        GT_ASSERT_NOT_NULL(ch);
        tb_wg = goc_wg_make();
        GT_ASSERT_NOT_NULL(tb_wg);
        atomic_store(&tb_stop, 0);
        if (busy) {
            goc_wg_add(tb_wg, 2);
            GT_ASSERT_OK(goc_go(tb_spin, ch));
            GT_ASSERT_OK(goc_go(tb_echo, ch));
        }
        int64_t near = tb_sleep_after_stopped(20 * 1000000LL, 60 * 1000000LL);
        int64_t far = tb_sleep_after_stopped(10 * 1000000000LL, 5 * 1000000LL);
        atomic_store(&tb_stop, 1);
        goc_chan_close(ch); /* whichever partner is blocked gets -EPIPE */
        GT_ASSERT_OK(goc_wg_wait(tb_wg, GOC_NEVER));
        goc_wg_free(tb_wg);
        goc_chan_free(ch);
        gt_note("busy=%d: a 60 ms sleep after a stopped 20 ms timer took %.1f ms; a 5 ms sleep after a "
                "stopped 10 s timer took %.1f ms",
                busy, near / 1e6, far / 1e6);
        GT_ASSERT_MSG(near >= 60 * 1000000LL, "woke early: %lld ns", (long long)near);
        GT_ASSERT_MSG(far >= 5 * 1000000LL, "woke early: %lld ns", (long long)far);
        /* lateness bound as the other timing tests: generous for a loaded VM */
        GT_ASSERT_MSG(near < 60 * 1000000LL + 1000000000LL, "late: %lld ns", (long long)near);
        GT_ASSERT_MSG(far < 5 * 1000000LL + 1000000000LL,
                      "late: %lld ns (the stopped far timer kept the near one)", (long long)far);
    }
}

/* -------------------------------------------------- GOC_SCHEDSTATS -- */

/* The child: 1000 ping-pong round trips over an unbuffered channel and 64
 * spawned tasks; each round trip parks the receiver twice, so the workers
 * switch at least 2000 times. */
#define SS_TRIPS 1000
static goc_wg *ss_pong_wg;
static void ss_pong(void *p) {
    goc_chan **ch = p;
    int v;
    while (goc_chan_recv(ch[0], &v, GOC_NEVER) == 0) goc_chan_send(ch[1], &v, GOC_NEVER);
    goc_wg_done(ss_pong_wg);
}
static void ss_leaf(void *p) { goc_wg_done(p); }
static int ss_bad;
static void ss_root(void *p) {
    (void)p;
    goc_chan *ch[2] = {goc_chan_make(sizeof(int), 0), goc_chan_make(sizeof(int), 0)};
    ss_pong_wg = goc_wg_make();
    goc_wg_add(ss_pong_wg, 1);
    goc_go(ss_pong, ch);
    for (int i = 0; i < SS_TRIPS; i++) {
        int v = i, r = -1;
        goc_chan_send(ch[0], &v, GOC_NEVER);
        goc_chan_recv(ch[1], &r, GOC_NEVER);
        if (r != i) ss_bad++;
    }
    goc_chan_close(ch[0]);
    goc_wg *wg = goc_wg_make();
    goc_wg_add(wg, 64);
    for (int i = 0; i < 64; i++) goc_go(ss_leaf, wg);
    goc_wg_wait(wg, GOC_NEVER);
    goc_wg_free(wg);
    goc_wg_wait(ss_pong_wg, GOC_NEVER); /* the pong task is done with both channels */
    goc_wg_free(ss_pong_wg);
    goc_chan_free(ch[0]);
    goc_chan_free(ch[1]);
}

/* The sum of the column `name` over the "total" line of a schedstats
 * printout (-1 when missing). */
static long long ss_total(const char *err, const char *name) {
    const char *hdr = strstr(err, "\nworker ");
    const char *tot = strstr(err, "\ntotal ");
    if (!hdr || !tot) return -1;
    int col = -1, k = 0;
    for (const char *q = hdr + 7; *q && *q != '\n'; k++) {
        while (*q == ' ') q++;
        size_t n = strcspn(q, " \n");
        if (n == strlen(name) && !strncmp(q, name, n)) col = k;
        q += n;
    }
    if (col < 0) return -1;
    const char *q = tot + 6;
    long long v = -1;
    for (k = 0; k <= col; k++) {
        char *end;
        v = strtoll(q, &end, 10);
        if (end == q) return -1;
        q = end;
    }
    return v;
}

static void schedstats(void) {
    coro_child c;
    const char *on[] = {"GOC_SCHEDSTATS=1", "GOC_PROCS=2", NULL};
    coro_child_run(&c, "--schedstats", on);
    gt_note("child stderr: %s", c.err);
    CORO_CHILD_ASSERT_OK(&c);
    GT_ASSERT_MSG(strstr(c.err, "goc schedstats: 2 workers (GOC_PROCS=2)"), "no header: %s", c.err);
    long long run = ss_total(c.err, "run"), direct = ss_total(c.err, "direct");
    long long parks = ss_total(c.err, "parks");
    GT_ASSERT_MSG(run >= 1 && direct >= 0 && run + direct >= 2 * SS_TRIPS,
                  "run %lld + direct %lld switches for %d round trips", run, direct, SS_TRIPS);
    GT_ASSERT_MSG(parks >= 0, "no parks column: %s", c.err);
    /* the time columns (a worker still counting while they print makes a
     * sum of them a hint: no relation between them is checked) */
    GT_ASSERT_MSG(ss_total(c.err, "spin_us") >= 0 && ss_total(c.err, "parked_us") >= 0 &&
                      ss_total(c.err, "watch_us") >= 0 && ss_total(c.err, "ref_streak") >= 0,
                  "no spin_us / parked_us / watch_us / ref_streak columns: %s", c.err);
    const char *off[] = {"GOC_SCHEDSTATS=0", "GOC_PROCS=2", NULL};
    coro_child_run(&c, "--schedstats", off);
    CORO_CHILD_ASSERT_OK(&c);
    GT_ASSERT_MSG(!strstr(c.err, "schedstats"), "GOC_SCHEDSTATS=0 printed: %s", c.err);
}

/* --------------------------------------------------- GOC_SCHEDLOG -- */

/* The event log of the schedstats child (schedlog.c): a header, every
 * worker's events in time order, each switch-out of the task its last
 * switch-in ran, at least two switch-ins per round trip, the pong task's
 * name and the root's flag; an unwritable path costs a message, not the
 * run. */
static void schedlog(void) {
    char path[] = "/tmp/goc-schedlog-XXXXXX";
    int fd = mkstemp(path);
    GT_ASSERT_MSG(fd >= 0, "mkstemp: %s", strerror(errno));
    close(fd);
    char envv[64];
    snprintf(envv, sizeof envv, "GOC_SCHEDLOG=%s", path);
    const char *on[] = {envv, "GOC_PROCS=2", NULL};
    coro_child c;
    coro_child_run(&c, "--schedstats", on);
    CORO_CHILD_ASSERT_OK(&c);
    FILE *f = fopen(path, "r");
    unlink(path); /* the open stream keeps it */
    GT_ASSERT_MSG(f != NULL, "no log at %s", path);
    char line[512];
    int nw = -1, procs = -1, bad = 0, lines = 0;
    long long in = 0, out = 0, root_in = 0;
    bool pong_named = false;
    enum { MAXW = 8 };
    long long last_ns[MAXW];
    unsigned cur[MAXW]; /* task id + 1 running on the worker, 0 none */
    for (int i = 0; i < MAXW; i++) last_ns[i] = -1, cur[i] = 0;
    char first_bad[512] = "";
    while (fgets(line, sizeof line, f)) {
        lines++;
        if (line[0] == '#') {
            if (nw < 0) sscanf(line, "# goc schedlog 1: workers %d procs %d", &nw, &procs);
            continue;
        }
        long long ns;
        int w;
        unsigned cpu, who, arg;
        char ev[16], name[64];
        if (sscanf(line, "%lld %d %u %15s %u %u %63s", &ns, &w, &cpu, ev, &who, &arg, name) == 7 &&
            !strcmp(ev, "name")) {
            if (!strcmp(name, "ss_pong")) pong_named = true;
            continue;
        }
        /* in time order per worker, give or take 50 us: the times come
         * from the TSC of whichever CPU the thread was on */
        bool ok = sscanf(line, "%lld %d %u %15s %u %u", &ns, &w, &cpu, ev, &who, &arg) == 6 &&
                  w >= 0 && w < MAXW && ns >= last_ns[w] - 50000;
        if (ok) {
            last_ns[w] = ns;
            if (!strcmp(ev, "in")) {
                ok = cur[w] == 0;
                cur[w] = who + 1;
                in++;
                if (arg & 128) root_in++;
            } else if (!strcmp(ev, "out")) {
                ok = cur[w] == who + 1 && arg >= 1 && arg <= 3;
                cur[w] = 0;
                out++;
            }
        }
        if (!ok && !bad++) snprintf(first_bad, sizeof first_bad, "%s", line);
    }
    fclose(f);
    GT_ASSERT_MSG(nw >= 2 && procs == 2, "header: workers %d procs %d", nw, procs);
    GT_ASSERT_MSG(bad == 0, "%d bad event line(s) of %d, first: %s", bad, lines, first_bad);
    GT_ASSERT_MSG(in >= 2 * SS_TRIPS && out >= in - nw && root_in >= 1,
                  "in %lld, out %lld, root in %lld for %d round trips", in, out, root_in, SS_TRIPS);
    GT_ASSERT_MSG(pong_named, "no name line for ss_pong");

    const char *nowhere[] = {"GOC_SCHEDLOG=/nonexistent-goc-dir/log", "GOC_PROCS=2", NULL};
    coro_child_run(&c, "--schedstats", nowhere);
    CORO_CHILD_ASSERT_OK(&c);
    GT_ASSERT_MSG(strstr(c.err, "GOC_SCHEDLOG=/nonexistent-goc-dir/log: cannot write"),
                  "no message for an unwritable log: %s", c.err);
}

/* --------------------------------------------------------- spread -- */

static _Atomic int sp_busy_cpu = -1, sp_busy_tid, sp_done;

/* Keeps its worker busy (no goc call) until the root is done. */
static void sp_busy(void *p) {
    (void)p;
    atomic_store(&sp_busy_tid, (int)syscall(SYS_gettid));
    goc_time bound = goc_now() + 500000000LL; /* the root needs ~25 ms of it */
    while (!atomic_load(&sp_done) && goc_now() < bound) atomic_store(&sp_busy_cpu, sched_getcpu());
}

/* The child: 0 when the root's thread, put on the busy worker's CPU, is
 * on another CPU after an idle sleep; 1 when it is not; CORO_CHILD_UNSET
 * when the busy task never ran beside the root. The parent reads the
 * moves from schedstats. */
static int sp_rc = CORO_CHILD_UNSET;
static void sp_root(void *p) {
    (void)p;
    goc_go(sp_busy, NULL);
    goc_time bound = goc_now() + 1000000000LL;
    /* sleep until the busy task runs on the other worker's thread */
    while ((atomic_load(&sp_busy_cpu) < 0 || atomic_load(&sp_busy_tid) == (int)syscall(SYS_gettid)) &&
           goc_now() < bound)
        goc_sleep(goc_deadline(1000000));
    int cpu = atomic_load(&sp_busy_cpu);
    if (cpu >= 0 && atomic_load(&sp_busy_tid) != (int)syscall(SYS_gettid)) {
        cpu_set_t all, one;
        if (sched_getaffinity(0, sizeof all, &all) == 0) {
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            if (sched_setaffinity(0, sizeof one, &one) == 0 && sched_getcpu() == cpu) {
                sched_setaffinity(0, sizeof all, &all); /* on cpu now; free to move */
                /* this worker goes idle here; woken, it checks again, so
                 * a kernel that packs the woken thread back is undone too:
                 * apart at any of 5 looks 20 ms apart is a pass */
                sp_rc = 1;
                for (int k = 0; k < 5 && sp_rc; k++) {
                    goc_sleep(goc_deadline(20000000));
                    if (sched_getcpu() != atomic_load(&sp_busy_cpu)) sp_rc = 0;
                }
            }
        }
    }
    atomic_store(&sp_done, 1);
}

/* ------------------------------------------------ refusal streak -- */

struct coro_worker;
void coro_refuse_note(const struct coro_worker *v, goc_time now); /* runq.c */
void coro_refuse_reset(void);
bool coro_steal_backoff(const struct coro_worker *v, goc_time now);

static char rs_fake[2]; /* two victims: only their addresses are compared */
#define RS_V(i) ((const struct coro_worker *)&rs_fake[i])

/* The checks, on a thread whose thread-local thief state is fresh; the
 * first failed one's description, or NULL. */
static void *rs_thread(void *arg) {
    (void)arg;
    const goc_time t = 1000000000;
#define RS_CHECK(cond)                                                                            \
    do {                                                                                          \
        if (!(cond)) return (void *)#cond;                                                        \
    } while (0)
    for (int i = 0; i < 3; i++) coro_refuse_note(RS_V(0), t);
    RS_CHECK(!coro_steal_backoff(RS_V(0), t + 1));
    coro_refuse_note(RS_V(0), t); /* the 4th in a row: 20 us */
    RS_CHECK(coro_steal_backoff(RS_V(0), t + 1));
    RS_CHECK(coro_steal_backoff(RS_V(0), t + 19999));
    RS_CHECK(!coro_steal_backoff(RS_V(0), t + 20000));
    RS_CHECK(!coro_steal_backoff(RS_V(1), t + 1));
    const goc_time t5 = t + 30000, t6 = t5 + 50000, t7 = t6 + 90000;
    coro_refuse_note(RS_V(0), t5); /* 40 us */
    RS_CHECK(coro_steal_backoff(RS_V(0), t5 + 39999));
    RS_CHECK(!coro_steal_backoff(RS_V(0), t5 + 40000));
    coro_refuse_note(RS_V(0), t6); /* 80 us */
    RS_CHECK(coro_steal_backoff(RS_V(0), t6 + 79999));
    RS_CHECK(!coro_steal_backoff(RS_V(0), t6 + 80000));
    coro_refuse_note(RS_V(0), t7); /* still 80 us: the cap */
    RS_CHECK(coro_steal_backoff(RS_V(0), t7 + 79999));
    RS_CHECK(!coro_steal_backoff(RS_V(0), t7 + 80000));
    coro_refuse_reset(); /* a steal: the backoff ends */
    RS_CHECK(!coro_steal_backoff(RS_V(0), t7 + 1));
    const goc_time t8 = t7 + 100000;
    for (int i = 0; i < 3; i++) coro_refuse_note(RS_V(0), t8);
    coro_refuse_note(RS_V(1), t8); /* another victim: V0's count restarts */
    coro_refuse_note(RS_V(0), t8);
    RS_CHECK(!coro_steal_backoff(RS_V(0), t8 + 1));
    RS_CHECK(!coro_steal_backoff(RS_V(1), t8 + 1));
    for (int i = 0; i < 3; i++) coro_refuse_note(RS_V(0), t8);
    RS_CHECK(coro_steal_backoff(RS_V(0), t8 + 1)); /* 4 in a row again */
#undef RS_CHECK
    return NULL;
}

static void refuse_streak(void) {
    pthread_t th;
    void *failed = (void *)"thread not started";
    GT_ASSERT_MSG(pthread_create(&th, NULL, rs_thread, NULL) == 0, "pthread_create failed");
    GT_ASSERT_MSG(pthread_join(th, &failed) == 0, "pthread_join failed");
    GT_ASSERT_MSG(failed == NULL, "refusal streak: %s", (const char *)failed);
}

static void spread(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) < 2) {
        gt_skip("the process may use only one CPU");
        return;
    }
#ifdef HAVE_RSEQ
    if (__rseq_size < 8) {
        gt_skip("no rseq area (glibc.pthread.rseq=0?): the workers' CPUs are unknown");
        return;
    }
#else
    gt_skip("no <sys/rseq.h> (glibc < 2.35): the runtime does not spread");
    return;
#endif
    coro_child c;
    const char *on[] = {"GOC_SCHEDSTATS=1", "GOC_PROCS=2", NULL};
    long long moves = 0;
    int tries = 0;
    for (; tries < 8 && moves < 1; tries++) {
        coro_child_run(&c, "--spread", on);
        if (WIFEXITED(c.status) && WEXITSTATUS(c.status) == CORO_CHILD_UNSET) continue;
        CORO_CHILD_ASSERT_OK(&c); /* the root's thread left the busy CPU */
        moves = ss_total(c.err, "spread");
    }
    gt_note("%d child run(s); last: %s", tries, c.err);
    GT_ASSERT_MSG(moves >= 1, "no spread move in %d runs: %s", tries, c.err);
    const char *off[] = {"GOC_SCHEDSTATS=1", "GOC_PROCS=2", "GOC_SPREAD=0", NULL};
    coro_child_run(&c, "--spread", off);
    GT_ASSERT_MSG(WIFEXITED(c.status), "child status 0x%x: %s", c.status, c.err);
    GT_ASSERT_MSG(ss_total(c.err, "spread") == 0, "GOC_SPREAD=0 moved: %s", c.err);
}

/* ----------------------------------------------------- chan_spin -- */

#define CS_ROUNDS 2000
/* The bound on every busy wait: a broken build fails, never hangs. 60 s:
 * when sysmon has replaced the holder's worker (both tasks busy-wait, so
 * one landing behind the other gets its worker handed off after 10 ms),
 * every handover readies the taker through the global queue and a futex
 * wake, and under TSan with ctest -j6 beside it the 2000 rounds took more
 * than the 20 s of before (the taker gave up at round 832-1967). Fewer
 * rounds instead left too few spins to win one (500: chspin 12, won 0). */
#define CS_BOUND_NS (60 * 1000000000LL)
static goc_chan *cs_ch;
static _Atomic int cs_a_has, cs_b_at, cs_b_done, cs_bad;
static goc_time cs_limit; /* a bound on every busy wait: a broken build fails, never hangs */
static goc_wg *cs_wg;

/* Waits without a goc call (the task keeps its worker) until *v == want. */
static bool cs_wait(_Atomic int *v, int want) { return coro_busy_wait_for(v, want, cs_limit); }
void goc__sched_dump(const char *why); /* coro's diagnostics (dump.c) */
static void cs_fail(const char *what, int r, int got) {
    int n = atomic_fetch_add(&cs_bad, 1);
    if (n < 5) fprintf(stderr, "chan_spin: %s (round %d, got %d)\n", what, r, got);
    if (n == 0) {
        goc__sched_dump(what);
        goc_tasks_report(stderr); /* where each task is blocked */
    }
}
/* The channel as a lock (cs_sem 0: the token sits in it; acquire =
 * receive, release = send) or as a semaphore (1: it starts empty; acquire
 * = send, release = receive: a blocked acquire finds it full). */
static int cs_sem;
static int cs_acquire(int *v) { return cs_sem ? goc_chan_send(cs_ch, v, GOC_NEVER) : goc_chan_recv(cs_ch, v, GOC_NEVER); }
static int cs_release(int *v) { return cs_sem ? goc_chan_recv(cs_ch, v, GOC_NEVER) : goc_chan_send(cs_ch, v, GOC_NEVER); }
/* Acquires (lock: the token is 2(r-1)), waits until the taker is at its
 * acquire, releases (lock: the token + 1; semaphore: gets its own r back),
 * waits until the taker has released too. */
static void cs_holder(void *p) {
    (void)p;
    for (int r = 1; r <= CS_ROUNDS && !atomic_load(&cs_bad); r++) {
        int v = cs_sem ? r : -1;
        int e = cs_acquire(&v);
        if (e || (!cs_sem && v != 2 * (r - 1))) cs_fail("holder's acquire", r, e ? e : v);
        atomic_store(&cs_a_has, r);
        if (!cs_wait(&cs_b_at, r)) cs_fail("the taker never came", r, 0);
        if (!cs_sem) v++;
        e = cs_release(&v);
        if (e || (cs_sem && v != r)) cs_fail("holder's release", r, e ? e : v);
        if (!cs_wait(&cs_b_done, r)) cs_fail("the taker never gave it back", r, 0);
    }
    atomic_store(&cs_a_has, -1);
    goc_wg_done(cs_wg);
}
static void cs_taker(void *p) {
    (void)p;
    for (int r = 1; r <= CS_ROUNDS; r++) {
        while (atomic_load(&cs_a_has) != r) {
            if (atomic_load(&cs_a_has) < 0) goto out;
            if (goc_now() > cs_limit) {
                cs_fail("the taker ran out of the 60 s bound", r, 0);
                goto out;
            }
        }
        atomic_store(&cs_b_at, r);
        int v = cs_sem ? 1000 + r : -1;
        int e = cs_acquire(&v); /* the holder has it: spin or park */
        if (e || (!cs_sem && v != 2 * r - 1)) cs_fail("taker's acquire", r, e ? e : v);
        if (!cs_sem) v++;
        e = cs_release(&v);
        if (e || (cs_sem && v != 1000 + r)) cs_fail("taker's release", r, e ? e : v);
        atomic_store(&cs_b_done, r);
    }
out:
    goc_wg_done(cs_wg);
}
/* One timed receive, or one plain receive the holder answers by closing. */
static _Atomic int cs_phase_rc = 1;
static void cs_late_taker(void *p) {
    int v = -1;
    atomic_store(&cs_b_at, 1);
    atomic_store(&cs_phase_rc, goc_chan_recv(cs_ch, &v, p ? goc_now() + 2000000 : GOC_NEVER));
    goc_wg_done(cs_wg);
}
static void cs_root(void *p) {
    (void)p;
    cs_limit = goc_now() + CS_BOUND_NS;
    cs_ch = goc_chan_make(sizeof(int), 1);
    cs_wg = goc_wg_make();
    int zero = 0;
    if (!cs_sem) goc_chan_send(cs_ch, &zero, GOC_NEVER);
    goc_wg_add(cs_wg, 2);
    goc_go(cs_holder, NULL);
    goc_go(cs_taker, NULL);
    goc_wg_wait(cs_wg, GOC_NEVER);
    if (cs_sem) { /* every acquire was released: empty */
        if (goc_chan_len(cs_ch) != 0) cs_fail("semaphore not empty at the end", CS_ROUNDS, (int)goc_chan_len(cs_ch));
        goc_chan_free(cs_ch);
        goc_wg_free(cs_wg);
        return;
    }
    /* the token is back in the channel: 2 * CS_ROUNDS */
    int v = -1;
    if (atomic_load(&cs_bad) == 0 && (goc_chan_recv(cs_ch, &v, GOC_NEVER) != 0 || v != 2 * CS_ROUNDS))
        cs_fail("final token", CS_ROUNDS, v);
    /* timed: the channel stays empty (we hold the token), the taker's
     * receive may spin, then waits out its 2 ms deadline */
    for (int closing = 0; closing < 2; closing++) {
        atomic_store(&cs_b_at, 0);
        atomic_store(&cs_phase_rc, 1);
        goc_wg_add(cs_wg, 1);
        goc_go(cs_late_taker, closing ? NULL : (void *)1);
        if (!cs_wait(&cs_b_at, 1)) cs_fail("late taker never came", 0, 0);
        if (closing) goc_chan_close(cs_ch);
        goc_wg_wait(cs_wg, GOC_NEVER);
        int want = closing ? -EPIPE : -ETIMEDOUT, got = atomic_load(&cs_phase_rc);
        if (got != want) cs_fail(closing ? "receive across close" : "timed receive", 0, got);
    }
    goc_chan_free(cs_ch);
    goc_wg_free(cs_wg);
}

/* The channel as a lock: 1000 tasks each take the count, add one, put it
 * back (the article's counter, patterns' CounterChanLock). */
static goc_chan *cl_ch;
static goc_wg *cl_wg;
static void cl_inc(void *p) {
    (void)p;
    int v;
    goc_chan_recv(cl_ch, &v, GOC_NEVER);
    v++;
    goc_chan_send(cl_ch, &v, GOC_NEVER);
    goc_wg_done(cl_wg);
}
static int cl_rc;
static void cl_root(void *p) {
    (void)p;
    cl_ch = goc_chan_make(sizeof(int), 1);
    cl_wg = goc_wg_make();
    int v = 0;
    goc_chan_send(cl_ch, &v, GOC_NEVER);
    int runs = (int)gt_n(20, 4); /* spawns cost ~50 us each under TSan */
    for (int run = 0; run < runs; run++) {
        goc_wg_add(cl_wg, 1000);
        for (int i = 0; i < 1000; i++) goc_go(cl_inc, NULL);
        goc_wg_wait(cl_wg, GOC_NEVER);
    }
    goc_chan_recv(cl_ch, &v, GOC_NEVER);
    if (v != runs * 1000) {
        fprintf(stderr, "chan_lock: counted %d, want %d\n", v, runs * 1000);
        cl_rc = 1;
    }
    goc_chan_free(cl_ch);
    goc_wg_free(cl_wg);
}

static void chan_spin(void) {
    coro_child c;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < 2) {
        gt_skip("one CPU: the runtime never spins on a channel there (S.chan_spin)");
        return;
    }
    const char *two[] = {"GOC_SCHEDSTATS=1", "GOC_PROCS=2", NULL};
    long long spun, won;
    for (int sem = 0; sem < 2; sem++) {
        coro_child_run(&c, sem ? "--chspin-sem" : "--chspin", two);
        gt_note("%s: child stderr: %s", sem ? "semaphore" : "lock", c.err);
        CORO_CHILD_ASSERT_OK(&c);
        spun = ss_total(c.err, "chspin");
        won = ss_total(c.err, "chspin_won");
        GT_ASSERT_MSG(won >= 1 && spun >= won, "%s: chspin %lld, chspin_won %lld over %d rounds: %s",
                      sem ? "semaphore" : "lock", spun, won, CS_ROUNDS, c.err);
    }
    for (int procs = 1; procs <= 2; procs++) {
        const char *env[] = {"GOC_SCHEDSTATS=1", procs == 1 ? "GOC_PROCS=1" : "GOC_PROCS=2", NULL};
        coro_child_run(&c, "--chanlock", env);
        GT_ASSERT_MSG(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0, "GOC_PROCS=%d: child status 0x%x: %s",
                      procs, c.status, c.err);
        spun = ss_total(c.err, "chspin");
        GT_ASSERT_MSG(procs == 2 ? spun >= 0 : spun == 0, "GOC_PROCS=%d: chspin %lld: %s", procs, spun, c.err);
    }
}

static void test_main(void) {
    gt_run("C26a_migration", c26_migration);
    gt_run("C26b_spawn_exit", c26_spawn_exit);
    gt_run("GOC_STACK_use", stack_use);
    gt_run("C26c_guard_death", guard_death);
    gt_run("F03_worker_start", f03_coro);
    gt_run("GOC_SCHEDSTATS", schedstats);
    gt_run("GOC_SCHEDLOG", schedlog);
    gt_run("spread", spread);
    gt_run("refuse_streak", refuse_streak);
    gt_run("timer_bound", timer_bound);
    gt_run("stack_trade", stack_trade);
    gt_run("chan_spin", chan_spin);
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "--overflow")) return goc_main(overflow_root, NULL) == 0 ? 0 : 1;
    if (argc > 1 && !strcmp(argv[1], "--f03")) return f03_child();
    if (argc > 1 && !strcmp(argv[1], "--trade")) return goc_main(tr_root, NULL) == 0 ? tr_rc : 1;
    if (argc > 1 && !strcmp(argv[1], "--chspin")) return goc_main(cs_root, NULL) == 0 && !cs_bad ? 0 : 1;
    if (argc > 1 && !strcmp(argv[1], "--chspin-sem")) {
        cs_sem = 1;
        return goc_main(cs_root, NULL) == 0 && !cs_bad ? 0 : 1;
    }
    if (argc > 1 && !strcmp(argv[1], "--chanlock")) return goc_main(cl_root, NULL) == 0 ? cl_rc : 1;
    if (argc > 1 && !strcmp(argv[1], "--spread")) return goc_main(sp_root, NULL) == 0 ? sp_rc : 1;
    if (argc > 1 && !strcmp(argv[1], "--schedstats"))
        return goc_main(ss_root, NULL) == 0 && ss_bad == 0 ? 0 : 1;
    return gt_main(argc, argv, __FILE__, test_main);
}
