/*
 * coro_compact: the compact stack mode (GOC_STACK=compact, backends/coro/
 * README.md "Compact mode"), white box (it reads the task struct).
 *   mode        a task spawned under GOC_STACK=compact runs on a 2 KiB
 *               stack (sanitizer builds: refused, a normal stack and the
 *               one-line warning, checked in a child);
 *   runtime     the runtime's parking paths fit a compact stack with room
 *               to spare: 8- and 16-clause selects, timers (sleep, select
 *               deadline, goc_after), a contended goc_mutex, WaitGroup wait,
 *               goc_fd_wait on the netpoller, context cancel and deadline,
 *               each with many tasks parked at once; the stack high-water
 *               mark (GOC_STACK_HWM=1, every exited slot scanned) must
 *               leave CORO_STACK_MARGIN bytes free;
 *   depth death a recursion that switches out ever deeper dies at the
 *               switch-out depth check with the compact-mode message;
 *   canary death a task whose canary was overwritten dies at its next
 *               switch-out with the canary message;
 *   below death a frame bigger than the stack on the first slot of a slab
 *               faults below it: the SIGSEGV handler's compact message.
 * main() sets GOC_STACK=compact and (native builds) GOC_STACK_HWM=1 itself,
 * unless set, so the binary tests the mode when run by hand too.
 */
#include <poll.h>

#include "coro.h"
#include "coro_child.h"

#define COMPACT_TASKS 64 /* parked at once, per scenario */
#define ROUNDS 20

static atomic_size_t seen_stack; /* stack_size seen by the scenario tasks */
static void note_stack(void) {
    atomic_store_explicit(&seen_stack, coro_self()->stack_size, memory_order_relaxed);
}

/* Makes *wg (before any task can read it), then spawns n copies of
 * fn(args[i]) that each end with goc_wg_done(*wg). */
#define spawn_n(wg, n, fn, args) spawn_n_at((wg), (n), (fn), (args), #fn)
static void spawn_n_at(goc_wg **wg, int n, void (*fn)(void *), void **args, const char *name) {
    GT_ASSERT_NOT_NULL(*wg = goc_wg_make());
    GT_ASSERT_OK(goc_wg_add(*wg, n));
    for (int i = 0; i < n; i++) GT_ASSERT_OK(goc_go_at(fn, args[i], __FILE__, __LINE__, name));
}

/* ------------------------------------------------------------ selects -- */

typedef struct {
    goc_chan *ch[16];
    int nclauses;
    goc_wg *wg;
    atomic_long got;
} sel_state;
static sel_state sel;

/* The clauses on the task's stack up to 8 (as a Go select would have
 * them), on the heap beyond: a compact task's own frames get what the
 * runtime leaves (README.md "Compact mode"). */
static void sel_rounds(goc_case *c, int *v) {
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < sel.nclauses; i++) c[i] = (goc_case){sel.ch[i], GOC_RECV, &v[i], 0};
        int k = goc_select(c, (size_t)sel.nclauses, GOC_NEVER);
        if (k >= 0 && c[k].err == 0) atomic_fetch_add_explicit(&sel.got, 1, memory_order_relaxed);
    }
}
static void sel_task(void *p) {
    (void)p;
    note_stack();
    if (sel.nclauses <= 8) {
        goc_case c[8];
        int v[8];
        sel_rounds(c, v);
    } else {
        goc_case *c = malloc(sizeof *c * (size_t)sel.nclauses);
        int *v = malloc(sizeof *v * (size_t)sel.nclauses);
        GT_ASSERT(c && v);
        sel_rounds(c, v);
        free(c);
        free(v);
    }
    goc_wg_done(sel.wg);
}

static void run_selects(int nclauses) {
    sel.nclauses = nclauses;
    atomic_store(&sel.got, 0);
    for (int i = 0; i < nclauses; i++) GT_ASSERT_NOT_NULL(sel.ch[i] = goc_chan_make(sizeof(int), 0));
    void *args[COMPACT_TASKS] = {0};
    spawn_n(&sel.wg, COMPACT_TASKS, sel_task, args);
    for (int i = 0; i < COMPACT_TASKS * ROUNDS; i++) {
        int v = i;
        GT_ASSERT_OK(goc_chan_send(sel.ch[i % nclauses], &v, GOC_NEVER));
    }
    GT_ASSERT_OK(goc_wg_wait(sel.wg, GOC_NEVER));
    GT_ASSERT_EQ(atomic_load(&sel.got), (long)COMPACT_TASKS * ROUNDS);
    goc_wg_free(sel.wg);
    for (int i = 0; i < nclauses; i++) goc_chan_free(sel.ch[i]);
}

/* ------------------------------------------------------------- timers -- */

static goc_wg *timer_wg;
static void timer_task(void *p) {
    (void)p;
    note_stack();
    for (int r = 0; r < 3; r++) {
        goc_sleep(goc_deadline(200000));
        goc_case c = {goc_after(100000), GOC_RECV, NULL, 0};
        GT_ASSERT_NOT_NULL(c.ch);
        GT_ASSERT_EQ(goc_select(&c, 1, GOC_NEVER), 0);
        goc_chan_free(c.ch);
        goc_chan *never = goc_chan_make(1, 0);
        goc_case n = {never, GOC_RECV, NULL, 0};
        GT_ASSERT_ERR(goc_select(&n, 1, goc_deadline(100000)), -ETIMEDOUT);
        goc_chan_free(never);
    }
    goc_wg_done(timer_wg);
}

/* -------------------------------------------------------------- mutex -- */

static goc_mutex *mu;
static long mu_count; /* guarded by mu */
static goc_wg *mu_wg;
static void mutex_task(void *p) {
    (void)p;
    note_stack();
    for (int r = 0; r < ROUNDS; r++) {
        GT_ASSERT_OK(goc_mutex_lock(mu));
        long c = mu_count;
        goc_yield(); /* holders park the others */
        mu_count = c + 1;
        GT_ASSERT_OK(goc_mutex_unlock(mu));
    }
    goc_wg_done(mu_wg);
}

/* ---------------------------------------------------------- WaitGroup -- */

static goc_wg *gate_wg, *wg_done;
static void wg_task(void *p) {
    (void)p;
    note_stack();
    GT_ASSERT_OK(goc_wg_wait(gate_wg, GOC_NEVER));
    goc_wg_done(wg_done);
}

/* ------------------------------------------------------------ netpoll -- */

static int pipes[COMPACT_TASKS][2];
static goc_wg *fd_wg;
static void fd_task(void *p) {
    int i = (int)(intptr_t)p;
    note_stack();
    GT_ASSERT_OK(goc_fd_wait(pipes[i][0], GOC_READ, GOC_NEVER));
    char b;
    GT_ASSERT_EQ(read(pipes[i][0], &b, 1), 1);
    goc_wg_done(fd_wg);
}

/* ------------------------------------------------------------ context -- */

static goc_ctx *cctx, *dctx;
static goc_wg *ctx_wg;
static void ctx_task(void *p) {
    note_stack();
    goc_ctx *c = p ? dctx : cctx;
    goc_case k = {goc_ctx_done(c), GOC_RECV, NULL, 0};
    GT_ASSERT_EQ(goc_select(&k, 1, GOC_NEVER), 0);
    GT_ASSERT(goc_ctx_err(c) != 0);
    goc_wg_done(ctx_wg);
}

static void runtime_paths(void) {
    gt_note("GOC_STACK=%s", getenv("GOC_STACK") ? getenv("GOC_STACK") : "(unset)");
    void *args[COMPACT_TASKS];
    for (int i = 0; i < COMPACT_TASKS; i++) args[i] = (void *)(intptr_t)i;

    run_selects(8);  /* the plan on the stack (GOC_SEL_STACK) */
    run_selects(16); /* the plan on the heap */

    spawn_n(&timer_wg, COMPACT_TASKS, timer_task, args);
    GT_ASSERT_OK(goc_wg_wait(timer_wg, GOC_NEVER));
    goc_wg_free(timer_wg);

    GT_ASSERT_NOT_NULL(mu = goc_mutex_make());
    mu_count = 0;
    spawn_n(&mu_wg, COMPACT_TASKS, mutex_task, args);
    GT_ASSERT_OK(goc_wg_wait(mu_wg, GOC_NEVER));
    GT_ASSERT_EQ(mu_count, (long)COMPACT_TASKS * ROUNDS);
    goc_wg_free(mu_wg);
    goc_mutex_free(mu);

    GT_ASSERT_NOT_NULL(gate_wg = goc_wg_make());
    GT_ASSERT_OK(goc_wg_add(gate_wg, 1));
    spawn_n(&wg_done, COMPACT_TASKS, wg_task, args);
    goc_sleep(goc_deadline(2000000)); /* let them park */
    GT_ASSERT_OK(goc_wg_done(gate_wg));
    GT_ASSERT_OK(goc_wg_wait(wg_done, GOC_NEVER));
    goc_wg_free(wg_done);
    goc_wg_free(gate_wg);

    for (int i = 0; i < COMPACT_TASKS; i++) GT_ASSERT_EQ(pipe(pipes[i]), 0);
    spawn_n(&fd_wg, COMPACT_TASKS, fd_task, args);
    goc_sleep(goc_deadline(2000000));
    for (int i = 0; i < COMPACT_TASKS; i++) GT_ASSERT_EQ(write(pipes[i][1], "x", 1), 1);
    GT_ASSERT_OK(goc_wg_wait(fd_wg, GOC_NEVER));
    goc_wg_free(fd_wg);
    for (int i = 0; i < COMPACT_TASKS; i++) {
        close(pipes[i][0]);
        close(pipes[i][1]);
    }

    GT_ASSERT_NOT_NULL(cctx = goc_ctx_with_cancel(goc_ctx_background()));
    GT_ASSERT_NOT_NULL(dctx = goc_ctx_with_timeout(goc_ctx_background(), 3000000));
    for (int i = 0; i < COMPACT_TASKS; i++) args[i] = (void *)(intptr_t)(i & 1);
    spawn_n(&ctx_wg, COMPACT_TASKS, ctx_task, args);
    goc_sleep(goc_deadline(1000000));
    goc_ctx_cancel(cctx);
    GT_ASSERT_OK(goc_wg_wait(ctx_wg, GOC_NEVER));
    goc_wg_free(ctx_wg);
    goc_ctx_free(cctx);
    goc_ctx_free(dctx);
    gt_join_all();

    size_t ss = atomic_load(&seen_stack), hwm = coro_stack_hwm(), sw = coro_stack_switch_max();
    gt_note("compact tasks' stack: %zu bytes; high-water mark %zu bytes (%zu free), deepest "
            "switch-out %zu bytes (%zu free, %u required)",
            ss, hwm, ss - hwm, sw, ss - sw, CORO_STACK_MARGIN);
    if (gt_sanitized()) { /* refused: a normal stack */
        GT_ASSERT_MSG(ss > 4096, "sanitizer build ran a %zu-byte stack", ss);
        return;
    }
    const char *e = getenv("GOC_STACK");
    if (!e || strcmp(e, "compact") != 0) return; /* run by hand with another size */
    GT_ASSERT_EQ(ss, (size_t)CORO_COMPACT_SLOT);
    GT_ASSERT_MSG(hwm > 0 && sw > 0, "GOC_STACK_HWM=1 measured nothing");
    /* every switch-out left the margin (else the task would have died) */
    GT_ASSERT_MSG(sw + CORO_STACK_MARGIN <= ss, "switched out with %zu of %zu bytes in use", sw, ss);
    /* and what runs below a switch-out (the switch frame, the after action
     * of the task switched from: unlocks, timer arming, slot freeing) needs
     * at most half the margin */
    GT_ASSERT_MSG(hwm <= sw + CORO_STACK_MARGIN / 2, "%zu bytes used below the deepest switch-out",
                  hwm - sw);
}

/* ------------------------------------------------------- death tests -- */

static __attribute__((noinline)) int recurse(int depth) {
    volatile char frame[256];
    memset((char *)frame, depth + 1, sizeof frame);
    goc_yield(); /* every level switches out: the depth check runs */
    if (depth > (1 << 20)) return 0; /* never */
    return recurse(depth + 1) + frame[0] + frame[255];
}
static void deep_task(void *p) { (void)p; recurse(0); }
static __attribute__((noinline)) int big_frame(void) {
    volatile char frame[3000]; /* more than the whole stack, no switch */
    memset((char *)frame, 1, sizeof frame);
    return frame[0] + frame[2999];
}
static void below_task(void *p) { (void)p; big_frame(); }
static void canary_task(void *p) {
    (void)p;
    coro_self()->stack_lo[0] = 1; /* what an overflow leaves behind */
    goc_yield();
}
static void death_root(void *p) {
    goc_go_at((void (*)(void *))p, NULL, __FILE__, __LINE__,
              p == (void *)deep_task ? "deep_task" : p == (void *)below_task ? "below_task" : "canary_task");
    goc_sleep(goc_deadline(10000000000LL));
}

static void note_task(void *p) {
    (void)p;
    note_stack();
}
static void size_child(void *p) { /* sanitizer builds: which stack a task gets */
    (void)p;
    goc_go(note_task, NULL);
    goc_sleep(goc_deadline(20000000));
    fprintf(stderr, "task stack=%zu\n", atomic_load(&seen_stack));
}

/* Runs the child MODE under GOC_STACK=compact: it must die of sig with the
 * compact-mode overflow message naming task fn and containing phrase. */
static void expect_death(const char *mode, int sig, const char *fn, const char *phrase) {
    coro_child c;
    const char *env[] = {"GOC_STACK=compact", NULL};
    coro_child_run(&c, mode, env);
    gt_note("%s child: %s", mode, c.err);
    GT_ASSERT_MSG(WIFSIGNALED(c.status) && WTERMSIG(c.status) == sig, "child status 0x%x", c.status);
    GT_ASSERT_MSG(strstr(c.err, "stack overflow in coro task") && strstr(c.err, fn) &&
                      strstr(c.err, "compact mode") && strstr(c.err, phrase),
                  "missing message, stderr: %s", c.err);
}

static void deaths(void) {
    coro_child c;
    const char *env[] = {"GOC_STACK=compact", NULL};
    if (gt_sanitized()) {
        coro_child_run(&c, "--size", env);
        gt_note("sanitized child: %s", c.err);
        GT_ASSERT_MSG(strstr(c.err, "refused in sanitizer builds"), "no warning: %s", c.err);
        return;
    }
    expect_death("--deep", SIGABRT, "deep_task", "switched out with");
    expect_death("--canary", SIGABRT, "canary_task", "canary at the bottom");
    /* the first stack of a slab has no mapped neighbour below: the
     * SIGSEGV handler names the task */
    expect_death("--below", SIGSEGV, "below_task", "ran below its");
}

static void test_main(void) {
    gt_run("compact_runtime_paths", runtime_paths);
    gt_run("compact_overflow_death", deaths);
}

int main(int argc, char **argv) {
    setenv("GOC_STACK", "compact", 0);
#ifndef GOC_SANITIZED
    setenv("GOC_STACK_HWM", "1", 0); /* sanitizers: 1 MiB stacks to scan, and nothing to prove */
#endif
    if (argc > 1 && !strcmp(argv[1], "--deep")) return goc_main(death_root, (void *)deep_task);
    if (argc > 1 && !strcmp(argv[1], "--canary")) return goc_main(death_root, (void *)canary_task);
    if (argc > 1 && !strcmp(argv[1], "--below")) return goc_main(death_root, (void *)below_task);
    if (argc > 1 && !strcmp(argv[1], "--size")) return goc_main(size_child, NULL);
    return gt_main(argc, argv, __FILE__, test_main);
}
