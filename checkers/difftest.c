/*
 * difftest: seeded random concurrent programs over goc.h, with the Go
 * semantics checked on every run (issue 12, "a checker that finds the next
 * ones", part 1). The same programs run on every backend; a program is a
 * function of (seed, index) alone, so a failure replays with
 * `GOC_SEED=<seed> difftest-<backend> --first <index> --count 1 --repeat N`.
 *
 * A program: K = 2..6 tasks, M = 1..4 channels of capacity 0..3 (8-byte
 * values), a context; each task runs 1..12 operations: send / receive
 * (blocking, try, timed), select with 1..4 clauses (nil channels, the
 * context's done channel, a goc_after timer; blocking, default or timed),
 * close, context cancel, yield, sleep. Each task releases a channel after
 * its last operation on it; the last task to release it frees it (so frees
 * race with partners still returning from their calls, as goc.h allows).
 * Every value carries its producer, channel and a sequence number. A
 * program whose tasks stop making progress (a receive nobody feeds) is
 * ended by the root: when no operation completed for a quiet period, it
 * closes every live channel and cancels the context, which must wake
 * everyone (else: a hang, reported with the task registry).
 *
 * Checks on every run (all timestamps are fenced goc_now(), chk_common.h):
 *   exactly-once     every value whose send returned 0 is received exactly
 *                    once (by a receive, a select, or the channel's dtor at
 *                    free), on the channel it was sent on; nothing else is
 *                    ever received;
 *   FIFO             a receiver gets each producer's values on a channel in
 *                    the order they were sent;
 *   close            at most one close succeeds; an operation invoked after
 *                    that close returned: a send fails with -EPIPE, a
 *                    receive returns a value or -EPIPE (never "empty"), a
 *                    select with a clause on the channel fires a clause; a
 *                    successful send was invoked before the close returned;
 *                    a -EPIPE receive zero-fills and comes after the close
 *                    began; once a receive saw closed-and-drained, no later
 *                    receive succeeds; the context likewise;
 *   select           the index is an enabled clause; buffers of clauses
 *                    that did not fire are untouched (canaries);
 *   try bound        a GOC_NOW operation returns within TRY_MS (20 ms,
 *                    GOC_CHECK_TRY_MS): an operation over it fails the run
 *                    if the thread burnt more than half of it on the CPU
 *                    (spinning on a stalled partner), or if it took over 1 s
 *                    (TRY_STALL_NS: no preemption lasts that long); one that
 *                    was preempted or slept on a contended internal lock is
 *                    counted and reported, not failed, since a loaded 2-core
 *                    machine under TSan does that for tens of ms;
 *   deadlines        a timed operation that times out returns at or after
 *                    its deadline, and at most SLACK after it (100 ms native,
 *                    1 s under sanitizers, GOC_CHECK_SLACK_MS), not counting the
 *                    time the machine provably held the process (the
 *                    larger of the sentinel's gaps and the run-queue
 *                    stall, see watchdog_main); timers and sleeps never
 *                    fire early;
 *   leaks            after each program the live task count is back to the
 *                    baseline (1 s grace), every channel was freed; the
 *                    runner's LSan check at exit (ASan build).
 * SIGURG preemption injection (chk_common.h) is on unless --no-perturb.
 * A failure prints the program, the check, the seed and the replay command,
 * then shrinks the program (removing operations while it still fails) and
 * prints the smallest one with its --drop replay.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "chk_common.h"
#include "goc_testing.h"
#include "rundelay.h"

#if defined(__SANITIZE_ADDRESS__)
#define DT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DT_ASAN 1
#endif
#endif
#ifdef GOC_SANITIZED
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef DT_ASAN
#include <sanitizer/lsan_interface.h>
#endif

#define DT_TASKS 6
#define DT_CHANS 4
#define DT_OPS 12
#define DT_CLAUSES 4
#define DT_ROOT DT_TASKS /* the root's end-game closes are recorded as task DT_ROOT */
#define CANARY 0x5a5a5a5a5a5a5a5aull
#define TRY_STALL_NS 1000000000LL /* a try-op this slow failed whatever the machine did */

enum { K_SEND, K_RECV, K_SELECT, K_CLOSE, K_CANCEL, K_YIELD, K_SLEEP };
enum { M_BLOCK, M_TRY, M_TIMED };
enum { CL_NIL = -1, CL_CTX = -2, CL_AFTER = -3 }; /* clause targets besides channels 0..3 */

struct dclause {
    int target; /* channel index, or CL_* */
    int op;     /* GOC_SEND / GOC_RECV (CL_CTX, CL_AFTER: GOC_RECV) */
};

struct dop {
    int kind, mode, chan;
    int64_t ns; /* timed: deadline distance; sleep: duration; after clause: timer */
    int ncl;
    struct dclause cl[DT_CLAUSES];
    int orig; /* task * 16 + index in the generated program (--drop) */
};

struct dprog {
    int ntasks, nchans;
    int cap[DT_CHANS];
    int nops[DT_TASKS];
    struct dop ops[DT_TASKS][DT_OPS];
};

/* What one operation did (written by its task only; read by the root after
 * the WaitGroup says every task is done). */
struct drec {
    bool done;
    int rc;             /* send/recv/close: result; select: index or -errno */
    int cl_err;         /* select: err of the fired clause */
    uint64_t val;       /* send: value sent; recv / select recv: value got */
    uint64_t sent[DT_CLAUSES]; /* select: value offered by each send clause */
    goc_chan *after;    /* select: the goc_after channel (identity only) */
    goc_time inv, resp, deadline, after_at;
    bool canary_hit;    /* select: a clause that did not fire was written */
    bool try_slow_bad, try_slow_ok, try_slept;
    int64_t try_ns, try_cpu_ns;
};

struct chan_state {
    goc_chan *ch;
    pthread_mutex_t mu; /* guards alive and refs (and the root's end-game close) */
    bool alive;
    int refs;           /* tasks that have not passed their last use */
    _Atomic int ndtor;
    uint64_t dtor_vals[DT_OPS * DT_TASKS];
};

static struct {
    const struct dprog *prog;
    struct chan_state chans[DT_CHANS];
    goc_ctx *ctx;
    goc_wg *wg;
    _Atomic int arrived;
    _Atomic long progress; /* operations completed (relaxed: a liveness hint) */
    struct drec rec[DT_TASKS + 1][DT_OPS + DT_CHANS];
    int last_use[DT_TASKS][DT_CHANS]; /* index of a task's last op on a channel, -1 */
    struct drec root_close[DT_CHANS];
    goc_time cancel_inv, cancel_resp; /* root's end-game cancel (0: none) */
} G;

static struct chk_args A;
static uint64_t g_seed;
static bool g_perturb = true, g_shrink = true;
static const char *g_drop;
static int64_t g_try_ns, g_slack_ns;
static struct {
    long programs, ops, endgames, slow_try_preempted, late_starved, late_rundelay, frees_by_task, recv_vals, dtor_vals;
} S;

/* ---------------------------------------------------------- generator -- */

static void gen(uint64_t idx, struct dprog *p) {
    struct chk_rng r = {chk_mix(g_seed, idx)};
    memset(p, 0, sizeof *p);
    p->ntasks = 2 + (int)chk_below(&r, DT_TASKS - 1);
    p->nchans = 1 + (int)chk_below(&r, DT_CHANS);
    for (int c = 0; c < p->nchans; c++) p->cap[c] = (int)chk_below(&r, 4);
    for (int t = 0; t < p->ntasks; t++) {
        p->nops[t] = 1 + (int)chk_below(&r, DT_OPS);
        for (int k = 0; k < p->nops[t]; k++) {
            struct dop *o = &p->ops[t][k];
            o->orig = t * 16 + k;
            o->chan = (int)chk_below(&r, (uint32_t)p->nchans);
            uint32_t m = chk_below(&r, 10);
            o->mode = m < 4 ? M_BLOCK : m < 7 ? M_TRY : M_TIMED;
            o->ns = chk_pct(&r, 10) ? 0 : (int64_t)chk_below(&r, 2000) * 1000;
            uint32_t k100 = chk_below(&r, 100);
            o->kind = k100 < 28   ? K_SEND
                      : k100 < 56 ? K_RECV
                      : k100 < 86 ? K_SELECT
                      : k100 < 91 ? K_CLOSE
                      : k100 < 93 ? K_CANCEL
                      : k100 < 97 ? K_YIELD
                                  : K_SLEEP;
            if (o->kind == K_SLEEP) o->ns = (int64_t)chk_below(&r, 300) * 1000;
            if (o->kind != K_SELECT) continue;
            o->ncl = 1 + (int)chk_below(&r, DT_CLAUSES);
            bool real = false;
            for (int c = 0; c < o->ncl; c++) {
                struct dclause *cl = &o->cl[c];
                uint32_t w = chk_below(&r, 100);
                cl->target = w < 10 ? CL_NIL : w < 18 ? CL_CTX : w < 24 ? CL_AFTER : (int)chk_below(&r, (uint32_t)p->nchans);
                cl->op = cl->target >= 0 && chk_pct(&r, 50) ? GOC_SEND : GOC_RECV;
                real |= cl->target != CL_NIL;
            }
            /* a blocking select needs a clause that can fire */
            if (!real && o->mode == M_BLOCK) o->cl[0] = (struct dclause){(int)chk_below(&r, (uint32_t)p->nchans), GOC_RECV};
        }
    }
}

static void drop_ops(struct dprog *p, const char *list) {
    while (list && *list) {
        int t, k, used;
        if (sscanf(list, "%d.%d%n", &t, &k, &used) != 2) {
            fprintf(stderr, "--drop: expected task.index[,task.index...], got %s\n", list);
            exit(2);
        }
        list += used;
        if (*list == ',') list++;
        for (int tt = 0; tt < p->ntasks; tt++)
            for (int kk = 0; kk < p->nops[tt]; kk++)
                if (p->ops[tt][kk].orig == t * 16 + k) {
                    memmove(&p->ops[tt][kk], &p->ops[tt][kk + 1], sizeof(struct dop) * (size_t)(p->nops[tt] - kk - 1));
                    p->nops[tt]--;
                }
    }
}

static const char *kind_name(int k) {
    static const char *n[] = {"send", "recv", "select", "close", "cancel", "yield", "sleep"};
    return n[k];
}

static void print_prog(FILE *out, const struct dprog *p) {
    fprintf(out, "  program: %d tasks; channels:", p->ntasks);
    for (int c = 0; c < p->nchans; c++) fprintf(out, " c%d(cap %d)", c, p->cap[c]);
    fprintf(out, "\n");
    for (int t = 0; t < p->ntasks; t++) {
        fprintf(out, "    task %d:", t);
        for (int k = 0; k < p->nops[t]; k++) {
            const struct dop *o = &p->ops[t][k];
            const char *mode = o->mode == M_TRY ? "try " : o->mode == M_TIMED ? "timed " : "";
            fprintf(out, " [%d.%d] ", o->orig / 16, o->orig % 16);
            switch (o->kind) {
            case K_SEND:
            case K_RECV: fprintf(out, "%s%s c%d", mode, kind_name(o->kind), o->chan); break;
            case K_CLOSE: fprintf(out, "close c%d", o->chan); break;
            case K_SELECT:
                fprintf(out, "%sselect{", mode);
                for (int c = 0; c < o->ncl; c++) {
                    const struct dclause *cl = &o->cl[c];
                    if (cl->target == CL_NIL) fprintf(out, "%snil", c ? "; " : "");
                    else if (cl->target == CL_CTX) fprintf(out, "%sctx.done", c ? "; " : "");
                    else if (cl->target == CL_AFTER) fprintf(out, "%safter(%lld us)", c ? "; " : "", (long long)(o->ns / 1000));
                    else fprintf(out, "%s%s c%d", c ? "; " : "", cl->op == GOC_SEND ? "send" : "recv", cl->target);
                }
                fprintf(out, "}");
                break;
            default: fprintf(out, "%s", kind_name(o->kind)); break;
            }
            if (o->mode == M_TIMED && (o->kind == K_SEND || o->kind == K_RECV || o->kind == K_SELECT))
                fprintf(out, "(%lld us)", (long long)(o->ns / 1000));
            if (o->kind == K_SLEEP) fprintf(out, "(%lld us)", (long long)(o->ns / 1000));
            fprintf(out, ";");
        }
        fprintf(out, "\n");
    }
}

/* ------------------------------------------------------------ running -- */

static inline uint64_t value_of(int task, int chan, uint64_t seq) {
    return (uint64_t)(task + 1) << 48 | (uint64_t)(chan + 1) << 40 | seq;
}
static inline int val_task(uint64_t v) { return (int)(v >> 48) - 1; }
static inline int val_chan(uint64_t v) { return (int)((v >> 40) & 0xff) - 1; }
static inline uint64_t val_seq(uint64_t v) { return v & 0x7fffffffffull; }
/* Bit 39: the send carrying it is its task's last use of the channel. */
#define LAST_USE_BIT ((uint64_t)1 << 39)

/* The channel dtors: values still buffered at free, one function per
 * channel slot so each knows its channel (goc_chan_set_dtor passes no
 * context). Not a thread-local "channel being freed": a coro task is not a
 * thread, and in the precise TSan build a task's access to its worker's
 * TLS is reported against the worker's TLS initialization. */
static void dtor_of(int c, void *elem) {
    struct chan_state *cs = &G.chans[c];
    int i = atomic_fetch_add_explicit(&cs->ndtor, 1, memory_order_relaxed);
    if (i < (int)(sizeof cs->dtor_vals / sizeof cs->dtor_vals[0])) memcpy(&cs->dtor_vals[i], elem, sizeof(uint64_t));
}
static void dtor0(void *elem) { dtor_of(0, elem); }
static void dtor1(void *elem) { dtor_of(1, elem); }
static void dtor2(void *elem) { dtor_of(2, elem); }
static void dtor3(void *elem) { dtor_of(3, elem); }
static void (*const dtors[])(void *) = {dtor0, dtor1, dtor2, dtor3};
_Static_assert(sizeof dtors / sizeof dtors[0] == DT_CHANS, "one dtor per channel slot");

static void chan_release(int c);

/* A task's reference on a channel is dropped exactly once: by the task
 * after its last operation on it returns, or earlier by a receiver that got
 * that last operation's value. goc.h's "free after the last use" is judged
 * from the freeing task's side: once a send matched (its value was
 * received), the backend must not touch the channel on its behalf any more,
 * even if the sender (a select, say) has not returned yet. So the receiver
 * may drop the sender's reference, and if it was the last, free the channel
 * while the sender is still inside its call (issue 12, defects 1 and 5). */
static _Atomic int g_released[DT_TASKS][DT_CHANS];
static void ref_drop(int t, int c) {
    if (!atomic_exchange_explicit(&g_released[t][c], 1, memory_order_relaxed)) chan_release(c);
}

static void chan_release(int c) {
    struct chan_state *cs = &G.chans[c];
    pthread_mutex_lock(&cs->mu);
    bool last = --cs->refs == 0;
    if (last) cs->alive = false;
    pthread_mutex_unlock(&cs->mu);
    if (last) goc_chan_free(cs->ch);
}

static int64_t thread_cpu_ns(long *nvcsw) {
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    *nvcsw = ru.ru_nvcsw;
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* Overdue watchdog (issue 11/12): a timed operation that is still blocked
 * g_slack_ns after its deadline is a violation in the making; the thread
 * below dumps the scheduler's state at that moment, while the late timer
 * is still pending, through the backend's optional goc__sched_dump hook
 * (coro: backends/coro/dump.c; weak: the other backends lack it and the
 * watchdog then only says which task is overdue). It does not decide
 * anything: the verdict stays run_check's, from the records.
 * g_wd_dl[t]: the deadline of task t's timed operation in flight, 0 when
 * none (relaxed: a hint; the task stores it before the call and clears it
 * after). g_wd_op[t]: that op's index, for the message. */
void goc__sched_dump(const char *why) __attribute__((weak));
static _Atomic goc_time g_wd_dl[DT_TASKS + 1];
static _Atomic int g_wd_op[DT_TASKS + 1];
static _Atomic bool g_wd_stop;
static _Atomic long g_wd_dumps;
static _Atomic long g_wd_prog; /* the program running (g_cur_idx, for the watchdog) */
static pthread_t g_wd_thread;

/* The watchdog is also the process's starvation sentinel: it asks for a
 * 2 ms sleep, so a longer gap between two of its looks is time the OS did
 * not run it. A deadline kept late by that much is the machine's, not the
 * backend's (on a loaded 2-core machine whole processes went unscheduled
 * for 50-600 ms, pthread and lockfree included): run_check subtracts the
 * sentinel's starved time inside [deadline, response] before it compares
 * the lateness with the slack, as the try bound already excuses a try that
 * was preempted rather than spinning. A backend that is late on its own,
 * with the sentinel running (the coro late-timer bug: 463 ms late, the
 * sentinel on time), still fails. Gaps over WD_GAP_NS are kept in a ring
 * (g_gap_mu: written by the watchdog, read by run_check). */
#define WD_PERIOD_NS 2000000
#define WD_GAP_NS 5000000
#define WD_GAPS 512
static pthread_mutex_t g_gap_mu = PTHREAD_MUTEX_INITIALIZER;
static goc_time g_gap_from[WD_GAPS], g_gap_to[WD_GAPS]; /* starved: (from, to) */
static unsigned g_gap_n;                                 /* gaps recorded, ring index mod WD_GAPS */

static void gap_note(goc_time from, goc_time to) {
    pthread_mutex_lock(&g_gap_mu);
    g_gap_from[g_gap_n % WD_GAPS] = from;
    g_gap_to[g_gap_n % WD_GAPS] = to;
    g_gap_n++;
    pthread_mutex_unlock(&g_gap_mu);
}

/* Time within [a, b] during which the sentinel was starved. */
static goc_time starved_within(goc_time a, goc_time b) {
    goc_time sum = 0;
    pthread_mutex_lock(&g_gap_mu);
    unsigned n = g_gap_n < WD_GAPS ? g_gap_n : WD_GAPS;
    for (unsigned i = 0; i < n; i++) {
        goc_time lo = g_gap_from[i] > a ? g_gap_from[i] : a, hi = g_gap_to[i] < b ? g_gap_to[i] : b;
        if (hi > lo) sum += hi - lo;
    }
    pthread_mutex_unlock(&g_gap_mu);
    return sum;
}

/* The sentinel sees only that IT was not run. When the OS runs the
 * process's sleepy threads (sentinel, sysmon) on time and keeps its busy
 * ones (coro's workers) waiting on a run queue, the sentinel is on time and
 * excuses nothing, though no thread that could fire the timer ran (issue
 * 11, backends/coro/README.md "Late timer with difftest's sentinel on
 * time"). So the watchdog also samples every thread's schedstat
 * (rundelay.h) at each look while some timed operation is past its
 * deadline, and at one look after that, or when run_check asks for a sample
 * (g_rd_asked); rundelay_within() turns the samples into a lower bound on
 * the time that no thread of the process was on a CPU while one was
 * runnable. Sampling every look for the whole run would cost too much with
 * the thread backends' many threads; a late window is what needs it.
 * g_rd_mu guards the ring (written by the watchdog, read by run_check);
 * g_rd_off: /proc/self/task unreadable (said once; the excuse is 0). */
#define RD_RING 512 /* 1 s of looks at 2 ms: longer windows keep their last second */
static pthread_mutex_t g_rd_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rd_sample g_rd_ring[RD_RING];
static unsigned g_rd_n; /* samples taken, ring index mod RD_RING */
static _Atomic bool g_rd_off;
/* run_check's request for a sample newer than a late operation's
 * response: it stores the time, the watchdog samples at its next look
 * (relaxed: the reply is read from the ring under g_rd_mu) */
static _Atomic goc_time g_rd_asked;

static void rd_take(void) {
    static struct rd_sample s; /* the watchdog's only */
    if (atomic_load_explicit(&g_rd_off, memory_order_relaxed)) return;
    if (rd_sample_take(&s) != 0) {
        atomic_store_explicit(&g_rd_off, true, memory_order_relaxed);
        fprintf(stderr, "difftest: /proc/self/task/<tid>/schedstat unreadable: no run-delay excuse for late "
                        "deadlines (only the sentinel's)\n");
        return;
    }
    pthread_mutex_lock(&g_rd_mu);
    g_rd_ring[g_rd_n % RD_RING] = s;
    g_rd_n++;
    pthread_mutex_unlock(&g_rd_mu);
}

/* A thread's name for a failure report ("?" once it has exited): the
 * watchdog and the perturber name themselves, the root is "main"; the rest
 * are the backend's (coro's dump gives its workers' tids). */
static const char *thread_name(int tid) {
    static char name[3][24];
    static int at;
    char *n = name[at++ % 3], path[48];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", tid);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(n, sizeof name[0], f)) snprintf(n, sizeof name[0], "?");
    if (f) fclose(f);
    n[strcspn(n, "\n")] = 0;
    if (tid == getpid()) snprintf(n, sizeof name[0], "main");
    return n;
}

/* The time of the watchdog's latest look, stored after that look's
 * gap_note and sample (release: pairs with wd_look_after's acquire, so a
 * gap it recorded is in the ring when run_check reads it). */
static _Atomic goc_time g_wd_look;

/* Waits (at most ~1 s) for a look of the watchdog after t, with a schedstat
 * sample taken after t: a gap of the sentinel is recorded only when it ends,
 * and the credit of a wait that ended at t shows only in a later sample
 * (rundelay.h). Without it run_check could judge a late operation before
 * the watchdog, starved as long as the operation's tasks, has noted it. */
static void wd_look_after(goc_time t) {
    atomic_store_explicit(&g_rd_asked, t, memory_order_relaxed);
    for (int i = 0; i < 1000; i++) {
        bool have = atomic_load_explicit(&g_wd_look, memory_order_acquire) > t;
        if (have && !atomic_load_explicit(&g_rd_off, memory_order_relaxed)) {
            pthread_mutex_lock(&g_rd_mu);
            have = g_rd_n && g_rd_ring[(g_rd_n - 1) % RD_RING].t0 > t;
            pthread_mutex_unlock(&g_rd_mu);
        }
        if (have) return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

/* Lower bound on the run-queue stall inside [a, b] (rundelay.h), from the
 * samples near it (rd_stall_bound tries no window reaching more than 50 ms
 * outside [a, b]). */
static goc_time rundelay_within(goc_time a, goc_time b, struct rd_why *why) {
    static const struct rd_sample *sel[RD_RING];
    int n = 0, maxth = 1;
    pthread_mutex_lock(&g_rd_mu);
    unsigned first = g_rd_n > RD_RING ? g_rd_n - RD_RING : 0;
    for (unsigned i = first; i < g_rd_n; i++) {
        const struct rd_sample *s = &g_rd_ring[i % RD_RING];
        if (s->t1 < a - 50000000 || s->t0 > b + 50000000) continue;
        sel[n++] = s;
        if (s->n > maxth) maxth = s->n;
    }
    goc_time r = rd_stall_bound_why(sel, n, a, b, rd_lag_ns(maxth), why);
    pthread_mutex_unlock(&g_rd_mu);
    return r;
}

static void *watchdog_main(void *arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "dt-watchdog"); /* for failure reports (thread_name) */
    goc_time dumped_dl[DT_TASKS + 1] = {0};
    goc_time last = goc_now();
    bool sampled = false; /* the previous look took a run-delay sample */
    while (!atomic_load_explicit(&g_wd_stop, memory_order_relaxed)) {
        struct timespec ts = {0, WD_PERIOD_NS};
        nanosleep(&ts, NULL);
        goc_time now = goc_now();
        if (now - last > WD_GAP_NS) gap_note(last + WD_PERIOD_NS, now);
        last = now;
        bool overdue = false;
        for (int t = 0; t <= DT_TASKS; t++) {
            goc_time dl = atomic_load_explicit(&g_wd_dl[t], memory_order_relaxed);
            overdue |= dl > 0 && now > dl;
        }
        goc_time asked = atomic_exchange_explicit(&g_rd_asked, 0, memory_order_relaxed);
        /* the look after the last overdue one too: a wait that ended the
         * late window is credited only in a sample after it */
        if (overdue || sampled || asked) rd_take();
        sampled = overdue;
        atomic_store_explicit(&g_wd_look, now, memory_order_release);
        for (int t = 0; t <= DT_TASKS; t++) {
            goc_time dl = atomic_load_explicit(&g_wd_dl[t], memory_order_relaxed);
            if (dl <= 0 || now - dl <= g_slack_ns || dumped_dl[t] == dl) continue;
            dumped_dl[t] = dl; /* once per operation */
            char why[160];
            snprintf(why, sizeof why, "difftest watchdog: program %ld task %d op %d still blocked %.1f ms after its deadline",
                     atomic_load_explicit(&g_wd_prog, memory_order_relaxed), t, atomic_load_explicit(&g_wd_op[t], memory_order_relaxed), (now - dl) / 1e6);
            if (goc__sched_dump && atomic_fetch_add_explicit(&g_wd_dumps, 1, memory_order_relaxed) < 8)
                goc__sched_dump(why);
            else
                fprintf(stderr, "%s\n", why);
        }
    }
    return NULL;
}

static void watch_begin(int t, int k, goc_time d) {
    atomic_store_explicit(&g_wd_op[t], k, memory_order_relaxed);
    atomic_store_explicit(&g_wd_dl[t], d == GOC_NEVER ? 0 : d, memory_order_relaxed);
}
static void watch_end(int t) { atomic_store_explicit(&g_wd_dl[t], 0, memory_order_relaxed); }

static void run_op(int t, int k, const struct dop *o, uint64_t *seq) {
    struct drec *r = &G.rec[t][k];
    goc_chan *ch = o->chan >= 0 ? G.chans[o->chan].ch : NULL;
    bool is_try = o->mode == M_TRY && (o->kind == K_SEND || o->kind == K_RECV || o->kind == K_SELECT);
    long vcsw0 = 0, vcsw1 = 0;
    int64_t cpu0 = is_try ? thread_cpu_ns(&vcsw0) : 0;
    goc_case cases[DT_CLAUSES];
    uint64_t bufs[DT_CLAUSES];
    goc_time d;
    switch (o->kind) {
    case K_SEND: {
        uint64_t v = value_of(t, o->chan, ++seq[o->chan]) | (G.last_use[t][o->chan] == k ? LAST_USE_BIT : 0);
        r->val = v;
        d = o->mode == M_TRY ? GOC_NOW : o->mode == M_BLOCK ? GOC_NEVER : goc_deadline(o->ns);
        r->deadline = d;
        r->inv = chk_stamp_inv();
        watch_begin(t, k, d);
        r->rc = goc_chan_send(ch, &v, d);
        watch_end(t);
        r->resp = chk_stamp_resp();
        break;
    }
    case K_RECV: {
        uint64_t v = CANARY;
        d = o->mode == M_TRY ? GOC_NOW : o->mode == M_BLOCK ? GOC_NEVER : goc_deadline(o->ns);
        r->deadline = d;
        r->inv = chk_stamp_inv();
        watch_begin(t, k, d);
        r->rc = goc_chan_recv(ch, &v, d);
        watch_end(t);
        r->resp = chk_stamp_resp();
        r->val = v;
        break;
    }
    case K_SELECT: {
        goc_chan *after = NULL;
        for (int c = 0; c < o->ncl; c++) {
            const struct dclause *cl = &o->cl[c];
            bufs[c] = CANARY;
            cases[c] = (goc_case){.ch = NULL, .op = cl->op, .elem = &bufs[c], .err = 12345};
            if (cl->target >= 0) {
                cases[c].ch = G.chans[cl->target].ch;
                if (cl->op == GOC_SEND)
                    bufs[c] = r->sent[c] = value_of(t, cl->target, ++seq[cl->target]) |
                                           (G.last_use[t][cl->target] == k ? LAST_USE_BIT : 0);
            } else if (cl->target == CL_CTX) {
                cases[c].ch = goc_ctx_done(G.ctx);
                cases[c].elem = NULL; /* elem_size 0 */
            } else if (cl->target == CL_AFTER) {
                if (!after) {
                    r->after_at = goc_now() + o->ns;
                    after = goc_after(o->ns);
                    GT_ASSERT_NOT_NULL(after);
                    r->after = after;
                }
                cases[c].ch = after;
            }
        }
        d = o->mode == M_TRY ? GOC_NOW : o->mode == M_BLOCK ? GOC_NEVER : goc_deadline(o->ns);
        r->deadline = d;
        r->inv = chk_stamp_inv();
        watch_begin(t, k, d);
        r->rc = goc_select(cases, (size_t)o->ncl, d);
        watch_end(t);
        r->resp = chk_stamp_resp();
        for (int c = 0; c < o->ncl; c++) {
            bool mine = c == r->rc;
            if (!mine && cases[c].elem && cases[c].op == GOC_RECV && bufs[c] != CANARY) r->canary_hit = true;
            if (!mine && cases[c].op == GOC_SEND && cases[c].elem && bufs[c] != r->sent[c]) r->canary_hit = true;
        }
        if (r->rc >= 0 && r->rc < o->ncl) {
            r->cl_err = cases[r->rc].err;
            r->val = bufs[r->rc];
        }
        goc_chan_free(after); /* stops the timer; NULL is a no-op */
        break;
    }
    case K_CLOSE:
        r->inv = chk_stamp_inv();
        r->rc = goc_chan_close(ch);
        r->resp = chk_stamp_resp();
        break;
    case K_CANCEL:
        r->inv = chk_stamp_inv();
        goc_ctx_cancel(G.ctx);
        r->resp = chk_stamp_resp();
        break;
    case K_YIELD:
        goc_yield();
        break;
    case K_SLEEP:
        r->deadline = goc_deadline(o->ns);
        r->inv = chk_stamp_inv();
        watch_begin(t, k, r->deadline);
        r->rc = goc_sleep(r->deadline);
        watch_end(t);
        r->resp = chk_stamp_resp();
        break;
    }
    if (is_try) {
        int64_t cpu = thread_cpu_ns(&vcsw1) - cpu0;
        r->try_ns = r->resp - r->inv;
        r->try_cpu_ns = cpu;
        if (r->try_ns > g_try_ns) {
            /* Over the bound: a failure if the thread spun (burnt half of
             * it on the CPU: waiting for a stalled partner), or if it took
             * longer than any preemption (TRY_STALL). Otherwise it was
             * preempted, or slept on a contended internal lock whose holder
             * was preempted (pthread's channel mutex does that under TSan
             * on a loaded machine): counted, not failed. */
            if (cpu > g_try_ns / 2 || r->try_ns > TRY_STALL_NS) r->try_slow_bad = true;
            else r->try_slow_ok = true;
            r->try_slept = vcsw1 != vcsw0;
        }
    }
    /* a value that was its sender's last use of the channel: drop the
     * sender's reference for it (see ref_drop) */
    uint64_t got = 0;
    int on = -1;
    if (o->kind == K_RECV && r->rc == 0) got = r->val, on = o->chan;
    if (o->kind == K_SELECT && r->rc >= 0 && r->rc < o->ncl && o->cl[r->rc].target >= 0 &&
        o->cl[r->rc].op == GOC_RECV && r->cl_err == 0)
        got = r->val, on = o->cl[r->rc].target;
    if (on >= 0 && (got & LAST_USE_BIT) && val_task(got) >= 0 && val_task(got) < DT_TASKS && val_chan(got) == on)
        ref_drop(val_task(got), on);
    r->done = true;
    /* relaxed: only the root's "is anything still moving" hint */
    atomic_fetch_add_explicit(&G.progress, 1, memory_order_relaxed);
}

static void task_main(void *arg) {
    int t = (int)(intptr_t)arg;
    const struct dprog *p = G.prog;
    uint64_t seq[DT_CHANS] = {0};
    if (g_perturb) chk_perturb_register(t);
    /* the start line (relaxed: a rendezvous in time only) */
    atomic_fetch_add_explicit(&G.arrived, 1, memory_order_relaxed);
    while (atomic_load_explicit(&G.arrived, memory_order_relaxed) < p->ntasks) goc_yield();
    for (int c = 0; c < p->nchans; c++)
        if (G.last_use[t][c] < 0) ref_drop(t, c); /* never used by this task */
    for (int k = 0; k < p->nops[t]; k++) {
        if (g_perturb && (k & 3) == 3) chk_perturb_register(t); /* coro: the task may have moved */
        run_op(t, k, &p->ops[t][k], seq);
        for (int c = 0; c < p->nchans; c++)
            if (G.last_use[t][c] == k) ref_drop(t, c);
    }
    goc_wg_done(G.wg);
}

static bool uses(const struct dop *o, int c) {
    if (o->kind == K_SEND || o->kind == K_RECV || o->kind == K_CLOSE) return o->chan == c;
    if (o->kind == K_SELECT)
        for (int i = 0; i < o->ncl; i++)
            if (o->cl[i].target == c) return true;
    return false;
}

/* Runs p once: tasks, end-game if they stall, join. */
static void run_prog(const struct dprog *p) {
    memset(G.rec, 0, sizeof G.rec);
    memset(G.root_close, 0, sizeof G.root_close);
    G.prog = p;
    G.cancel_inv = G.cancel_resp = 0;
    atomic_store_explicit(&G.arrived, 0, memory_order_relaxed);
    G.ctx = goc_ctx_with_cancel(goc_ctx_background());
    GT_ASSERT_NOT_NULL(G.ctx);
    for (int c = 0; c < p->nchans; c++) {
        struct chan_state *cs = &G.chans[c];
        cs->ch = goc_chan_make(sizeof(uint64_t), (size_t)p->cap[c]);
        GT_ASSERT_NOT_NULL(cs->ch);
        GT_ASSERT_OK(goc_chan_set_dtor(cs->ch, dtors[c]));
        cs->alive = true;
        cs->refs = p->ntasks;
        for (int t = 0; t < DT_TASKS; t++) atomic_store_explicit(&g_released[t][c], 0, memory_order_relaxed);
        atomic_store_explicit(&cs->ndtor, 0, memory_order_relaxed);
        for (int t = 0; t < p->ntasks; t++) {
            G.last_use[t][c] = -1;
            for (int k = 0; k < p->nops[t]; k++)
                if (uses(&p->ops[t][k], c)) G.last_use[t][c] = k;
        }
    }
    GT_ASSERT_OK(goc_wg_add(G.wg, p->ntasks));
    for (int t = 0; t < p->ntasks; t++) GT_ASSERT_OK(goc_go(task_main, (void *)(intptr_t)t));
    int64_t quiet = gt_sanitized() ? 15000000 : 3000000; /* no progress for this long: end-game */
    long last = -1;
    bool endgame = false;
    for (;;) {
        int w = goc_wg_wait(G.wg, goc_deadline(quiet));
        if (w == 0) break;
        long now = atomic_load_explicit(&G.progress, memory_order_relaxed);
        if (now != last) {
            last = now;
            continue;
        }
        /* no operation completed for a quiet period: close everything still
         * alive, cancel the context; that must end every task */
        endgame = true;
        S.endgames++;
        for (int c = 0; c < p->nchans; c++) {
            struct chan_state *cs = &G.chans[c];
            struct drec *r = &G.root_close[c];
            pthread_mutex_lock(&cs->mu);
            if (cs->alive) {
                r->inv = chk_stamp_inv();
                r->rc = goc_chan_close(cs->ch);
                r->resp = chk_stamp_resp();
                r->done = true;
            }
            pthread_mutex_unlock(&cs->mu);
        }
        G.cancel_inv = chk_stamp_inv();
        goc_ctx_cancel(G.ctx);
        G.cancel_resp = chk_stamp_resp();
        w = goc_wg_wait(G.wg, goc_deadline(gt_sanitized() ? 60000000000LL : 10000000000LL));
        if (w != 0) {
            fflush(stdout);
            fprintf(stderr, "HANG on %s: tasks still blocked 10 s after every channel was closed and the context "
                            "canceled. Live tasks:\n", goc_backend_name());
            goc_tasks_report(stderr);
            print_prog(stderr, p);
            GT_FAIL("program hung (a wakeup was lost)");
        }
        break;
    }
    (void)endgame;
    goc_ctx_free(G.ctx);
    G.ctx = NULL;
}

/* ------------------------------------------------------------- checks -- */

static char g_why[1024];
static goc_time g_t0; /* first invocation of the run, for printing */

__attribute__((format(printf, 1, 2))) static bool bad(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_why, sizeof g_why, fmt, ap);
    va_end(ap);
    return false;
}

#define US(t) ((double)((t) - g_t0) / 1e3)

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool allowed_rc(int mode, int rc) {
    if (rc == 0 || rc == -EPIPE) return true;
    return (mode == M_TRY && rc == -EAGAIN) || (mode == M_TIMED && rc == -ETIMEDOUT);
}

static bool check(const struct dprog *p) {
    g_t0 = INT64_MAX;
    for (int t = 0; t < p->ntasks; t++)
        for (int k = 0; k < p->nops[t]; k++)
            if (G.rec[t][k].inv && G.rec[t][k].inv < g_t0) g_t0 = G.rec[t][k].inv;
    /* per channel: the successful close */
    goc_time close_inv[DT_CHANS], close_resp[DT_CHANS];
    int closes_ok[DT_CHANS] = {0};
    for (int c = 0; c < p->nchans; c++) close_inv[c] = close_resp[c] = INT64_MAX;
    for (int t = 0; t <= p->ntasks; t++) {
        int n = t == p->ntasks ? p->nchans : p->nops[t];
        for (int k = 0; k < n; k++) {
            const struct drec *r = t == p->ntasks ? &G.root_close[k] : &G.rec[t][k];
            int c = t == p->ntasks ? k : p->ops[t][k].chan;
            if (t < p->ntasks && p->ops[t][k].kind != K_CLOSE) continue;
            if (!r->done) continue;
            if (r->rc != 0 && r->rc != -EPIPE)
                return bad("close of c%d by %s returned %d", c, t == p->ntasks ? "the root" : "a task", r->rc);
            if (r->rc == 0) {
                closes_ok[c]++;
                close_inv[c] = r->inv;
                close_resp[c] = r->resp;
            }
        }
    }
    for (int c = 0; c < p->nchans; c++)
        if (closes_ok[c] > 1) return bad("%d closes of c%d returned 0", closes_ok[c], c);
    goc_time cancel_inv = G.cancel_resp ? G.cancel_inv : INT64_MAX;
    goc_time cancel_resp = G.cancel_resp ? G.cancel_resp : INT64_MAX;
    for (int t = 0; t < p->ntasks; t++)
        for (int k = 0; k < p->nops[t]; k++)
            if (p->ops[t][k].kind == K_CANCEL) {
                if (G.rec[t][k].inv < cancel_inv) cancel_inv = G.rec[t][k].inv;
                if (G.rec[t][k].resp < cancel_resp) cancel_resp = G.rec[t][k].resp;
            }

    static uint64_t sent[DT_TASKS * DT_OPS * DT_CLAUSES], got[DT_TASKS * DT_OPS * DT_CLAUSES + DT_CHANS * DT_OPS * DT_TASKS];
    int ns = 0, ng = 0;
    goc_time drained[DT_CHANS]; /* earliest response of a receive that saw closed-and-drained */
    for (int c = 0; c < p->nchans; c++) drained[c] = INT64_MAX;
    uint64_t last_seq[DT_TASKS][DT_CHANS][DT_TASKS];
    memset(last_seq, 0, sizeof last_seq);

    for (int t = 0; t < p->ntasks; t++)
        for (int k = 0; k < p->nops[t]; k++) {
            const struct dop *o = &p->ops[t][k];
            const struct drec *r = &G.rec[t][k];
            char where[64];
            snprintf(where, sizeof where, "task %d op [%d.%d] %s", t, o->orig / 16, o->orig % 16, kind_name(o->kind));
            if (!r->done) return bad("%s never completed", where);
            if (r->try_slow_bad)
                return bad("%s (GOC_NOW) took %.1f ms, %.1f ms of it on the CPU: a try must answer at once (bound "
                           "%.0f ms; spinning over half of it, or over %.0f ms in all, fails)", where, r->try_ns / 1e6,
                           r->try_cpu_ns / 1e6, g_try_ns / 1e6, TRY_STALL_NS / 1e6);
            S.slow_try_preempted += r->try_slow_ok;
            int c = o->chan;
            bool timed_out = r->rc == -ETIMEDOUT;
            if (timed_out || o->kind == K_SLEEP) {
                if (r->resp < r->deadline)
                    return bad("%s returned %.1f us BEFORE its deadline", where, (r->deadline - r->resp) / 1e3);
                if (r->resp - r->deadline > g_slack_ns) {
                    /* Two lower bounds on time inside [deadline, response]
                     * in which the machine, not the backend, held the
                     * process: the sentinel's gaps (it was not run) and the
                     * run-queue stall (no thread of ours ran while one
                     * was runnable). They measure different sets that
                     * overlap (a starved sentinel is itself a thread waiting
                     * on a run queue), so their sum could count one
                     * stall twice: the excuse is the larger of the two. */
                    goc_time late = r->resp - r->deadline;
                    /* first wait for a look of the watchdog after the
                     * response: it records a gap of its own only when the
                     * gap ends, and the wait that ended the late window
                     * shows only in a sample after it */
                    wd_look_after(r->resp);
                    goc_time starved = starved_within(r->deadline, r->resp);
                    struct rd_why why;
                    goc_time stall = rundelay_within(r->deadline, r->resp, &why);
                    goc_time excuse = starved > stall ? starved : stall;
                    if (late - excuse > g_slack_ns) {
                        char rd[400] = "no window of schedstat samples";
                        if (why.raw != INT64_MIN) {
                            int l = snprintf(rd, sizeof rd, "best window [%+.1f, %+.1f] ms around it: thread %d "
                                             "waited >= %.1f ms, the process ran %.1f ms, lag %.0f ms; ran most:",
                                             (why.u - r->deadline) / 1e6, (why.v - r->resp) / 1e6, (int)why.tid,
                                             why.maxwait / 1e6, why.cpu / 1e6, why.lag / 1e6);
                            for (int q = 0; q < 3 && why.top[q].tid && l > 0 && l < (int)sizeof rd; q++)
                                l += snprintf(rd + l, sizeof rd - (size_t)l, " %d (%s) %.1f ms", (int)why.top[q].tid,
                                              thread_name(why.top[q].tid), why.top[q].cpu_ns / 1e6);
                        }
                        return bad("%s returned %.1f ms after its deadline (slack %.0f ms; the sentinel thread was "
                                   "starved for %.1f ms of it; the process's threads waited on a run queue, none "
                                   "running, for at least %.1f ms of it: %d schedstat samples inside, at most "
                                   "%.1f ms apart; %s)", where, late / 1e6, g_slack_ns / 1e6, starved / 1e6,
                                   stall / 1e6, why.nsamples, why.maxgap / 1e6, rd);
                    }
                    if (starved >= stall) S.late_starved++;
                    else S.late_rundelay++;
                    fprintf(stderr, "difftest: %s on %s returned %.1f ms after its deadline: excused (sentinel "
                            "starved %.1f ms, run-queue stall >= %.1f ms; slack %.0f ms)\n", where,
                            goc_backend_name(), late / 1e6, starved / 1e6, stall / 1e6, g_slack_ns / 1e6);
                }
            }
            switch (o->kind) {
            case K_SEND:
                if (!allowed_rc(o->mode, r->rc)) return bad("%s on c%d returned %d", where, c, r->rc);
                if (r->rc == 0) {
                    sent[ns++] = r->val;
                    if (r->inv > close_resp[c])
                        return bad("%s on c%d succeeded although invoked %.1f us after close returned", where, c,
                                   (r->inv - close_resp[c]) / 1e3);
                } else if (r->inv > close_resp[c] && r->rc != -EPIPE) {
                    return bad("%s on c%d invoked after close returned gave %d, not EPIPE", where, c, r->rc);
                }
                if (r->rc == -EPIPE && r->resp < close_inv[c])
                    return bad("%s on c%d saw closed before any close began", where, c);
                break;
            case K_RECV:
            case K_SELECT: {
                int rc = r->rc, target = c, op = GOC_RECV, err = r->rc;
                if (o->kind == K_RECV) {
                    if (!allowed_rc(o->mode, rc)) return bad("%s on c%d returned %d", where, c, rc);
                    if (rc < 0 && rc != -EPIPE && r->inv > close_resp[c])
                        return bad("%s on c%d invoked %.1f us after close returned said %s: a receive on a closed "
                                   "channel gets a value or EPIPE", where, c, (r->inv - close_resp[c]) / 1e3,
                                   rc == -EAGAIN ? "EAGAIN" : "ETIMEDOUT");
                } else {
                    bool any_ready_closed = false;
                    for (int i = 0; i < o->ncl; i++) {
                        int tg = o->cl[i].target;
                        if (tg >= 0 && r->inv > close_resp[tg]) any_ready_closed = true;
                        if (tg == CL_CTX && r->inv > cancel_resp) any_ready_closed = true;
                    }
                    if (r->canary_hit) return bad("%s: a clause that did not fire had its buffer written", where);
                    if (rc < 0) {
                        if (!((o->mode == M_TRY && rc == -EAGAIN) || (o->mode == M_TIMED && rc == -ETIMEDOUT)))
                            return bad("%s returned %d", where, rc);
                        if (any_ready_closed)
                            return bad("%s returned %s although a clause's channel was closed (or the context "
                                       "canceled) before it was invoked", where, rc == -EAGAIN ? "EAGAIN" : "ETIMEDOUT");
                        break;
                    }
                    if (rc >= o->ncl) return bad("%s returned index %d of %d clauses", where, rc, o->ncl);
                    const struct dclause *cl = &o->cl[rc];
                    if (cl->target == CL_NIL) return bad("%s fired clause %d, a nil channel", where, rc);
                    err = r->cl_err;
                    if (err != 0 && err != -EPIPE) return bad("%s: fired clause %d has err %d", where, rc, err);
                    if (cl->target == CL_CTX) {
                        if (err != -EPIPE) return bad("%s: the context's done clause fired with err %d", where, err);
                        if (r->resp < cancel_inv) return bad("%s: done fired before any cancel began", where);
                        break;
                    }
                    if (cl->target == CL_AFTER) {
                        if (err != 0) return bad("%s: the timer clause fired with err %d", where, err);
                        if ((goc_time)r->val < r->after_at || r->resp < r->after_at)
                            return bad("%s: goc_after fired %.1f us early", where, (r->after_at - (goc_time)r->val) / 1e3);
                        break;
                    }
                    target = cl->target;
                    op = cl->op;
                    if (op == GOC_SEND) {
                        if (err == 0) {
                            sent[ns++] = r->sent[rc];
                            if (r->inv > close_resp[target])
                                return bad("%s: send clause on c%d succeeded although invoked after close returned",
                                           where, target);
                        } else if (r->resp < close_inv[target]) {
                            return bad("%s: send clause on c%d saw closed before any close began", where, target);
                        }
                        break;
                    }
                    rc = err;
                }
                /* a receive (plain or clause) on target with result rc */
                if (rc == -EPIPE) {
                    if (r->val != 0 && o->kind == K_RECV) return bad("%s on c%d: EPIPE but the value was not zeroed", where, target);
                    if (r->resp < close_inv[target])
                        return bad("%s on c%d saw closed before any close began", where, target);
                    if (r->resp < drained[target]) drained[target] = r->resp;
                } else if (rc == 0) {
                    uint64_t v = r->val;
                    got[ng++] = v;
                    if (val_chan(v) != target || val_task(v) < 0 || val_task(v) >= p->ntasks)
                        return bad("%s on c%d received %#" PRIx64 ", not a value sent on c%d", where, target, v, target);
                    uint64_t *ls = &last_seq[t][target][val_task(v)];
                    if (val_seq(v) <= *ls)
                        return bad("%s on c%d received task %d's value #%" PRIu64 " after its #%" PRIu64
                                   ": per-producer FIFO broken", where, target, val_task(v), val_seq(v), *ls);
                    *ls = val_seq(v);
                }
                break;
            }
            default: break;
            }
        }
    /* no successful receive after a receive saw closed-and-drained */
    for (int t = 0; t < p->ntasks; t++)
        for (int k = 0; k < p->nops[t]; k++) {
            const struct dop *o = &p->ops[t][k];
            const struct drec *r = &G.rec[t][k];
            int target = -1;
            if (o->kind == K_RECV && r->rc == 0) target = o->chan;
            if (o->kind == K_SELECT && r->rc >= 0 && r->rc < o->ncl && o->cl[r->rc].target >= 0 &&
                o->cl[r->rc].op == GOC_RECV && r->cl_err == 0)
                target = o->cl[r->rc].target;
            if (target >= 0 && r->inv > drained[target])
                return bad("task %d op [%d.%d] received a value on c%d after a receive had seen it closed and "
                           "drained", t, o->orig / 16, o->orig % 16, target);
        }
    for (int c = 0; c < p->nchans; c++) {
        int nd = atomic_load_explicit(&G.chans[c].ndtor, memory_order_relaxed);
        if (nd && drained[c] != INT64_MAX)
            return bad("c%d: %d values were still buffered at free although a receive saw it closed and drained", c, nd);
        if (G.chans[c].alive) return bad("c%d was never freed", c);
        for (int i = 0; i < nd; i++) {
            uint64_t v = G.chans[c].dtor_vals[i];
            if (val_chan(v) != c) return bad("c%d's dtor got %#" PRIx64 ", not a value of c%d", c, v, c);
            got[ng++] = v;
        }
        S.dtor_vals += nd;
    }
    S.recv_vals += ng;
    /* exactly once: the multiset received == the set sent */
    qsort(sent, (size_t)ns, sizeof sent[0], cmp_u64);
    qsort(got, (size_t)ng, sizeof got[0], cmp_u64);
    for (int i = 1; i < ng; i++)
        if (got[i] == got[i - 1])
            return bad("value %#" PRIx64 " (task %d's #%" PRIu64 " on c%d) received twice", got[i], val_task(got[i]),
                       val_seq(got[i]), val_chan(got[i]));
    int i = 0, j = 0;
    while (i < ns || j < ng) {
        if (j >= ng || (i < ns && sent[i] < got[j]))
            return bad("value %#" PRIx64 " (task %d's #%" PRIu64 " on c%d) was sent (returned 0) but never received "
                       "nor left buffered: lost", sent[i], val_task(sent[i]), val_seq(sent[i]), val_chan(sent[i]));
        if (i >= ns || got[j] < sent[i])
            return bad("value %#" PRIx64 " (task %d's #%" PRIu64 " on c%d) was received but its send did not "
                       "succeed", got[j], val_task(got[j]), val_seq(got[j]), val_chan(got[j]));
        i++, j++;
    }
    return true;
}

static void print_recs(FILE *out, const struct dprog *p) {
    fprintf(out, "  what each operation returned (us from the first invocation):\n");
    for (int t = 0; t < p->ntasks; t++)
        for (int k = 0; k < p->nops[t]; k++) {
            const struct dop *o = &p->ops[t][k];
            const struct drec *r = &G.rec[t][k];
            if (o->kind == K_YIELD) continue;
            fprintf(out, "    task %d [%d.%d] %-6s [%10.1f, %10.1f] -> %d", t, o->orig / 16, o->orig % 16,
                    kind_name(o->kind), r->inv ? US(r->inv) : 0.0, r->resp ? US(r->resp) : 0.0, r->rc);
            if (o->kind == K_SELECT && r->rc >= 0) fprintf(out, " err %d", r->cl_err);
            if ((o->kind == K_RECV && r->rc == 0) || o->kind == K_SEND || (o->kind == K_SELECT && r->rc >= 0))
                fprintf(out, " value %#" PRIx64, r->val);
            fprintf(out, "\n");
        }
    for (int c = 0; c < p->nchans; c++)
        if (G.root_close[c].done)
            fprintf(out, "    root end-game close c%d [%10.1f, %10.1f] -> %d\n", c, US(G.root_close[c].inv),
                    US(G.root_close[c].resp), G.root_close[c].rc);
    if (G.cancel_resp) fprintf(out, "    root end-game cancel done at %10.1f\n", US(G.cancel_resp));
}

static bool g_leaked; /* LSan found a leak: further leak checks would report it again */

/* One run of p: false on a violation (g_why says which). */
static bool run_check(const struct dprog *p) {
    size_t base = goc_tasks_live();
    run_prog(p);
    S.programs++;
    for (int t = 0; t < p->ntasks; t++) S.ops += p->nops[t];
    bool ok = check(p);
#ifdef DT_ASAN
    /* a leak is attributed to the program that made it (a channel that
     * goc_chan_free refused to free because a task still looked blocked on
     * it, for one); the runner's check at exit would not say which */
    if (ok && !g_leaked && __lsan_do_recoverable_leak_check() != 0) {
        /* LSan reports a leak again at every later check: this process can
         * attribute only its first leak, so no shrinking after it */
        g_leaked = true;
        ok = bad("LeakSanitizer: this program leaked memory (report above; run it alone with --count 1 and "
                 "--drop to shrink it)");
    }
#endif
    /* every task has called Done; its thread or coroutine must exit too */
    gt_check_no_leaks(base, 1000000000, "a program");
    return ok;
}

static bool fails_within(const struct dprog *p, long tries, double seconds) {
    goc_time end = goc_deadline((int64_t)(seconds * 1e9));
    for (long i = 0; i < tries && goc_now() < end; i++)
        if (!run_check(p)) return true;
    return false;
}

static void shrink(long idx, struct dprog *p) {
    char drops[512] = "";
    size_t dl = 0;
    fprintf(stderr, "  shrinking (each candidate: up to 300 runs or 3 s)...\n");
    /* at most 60 s of shrinking (CI's watchdog is the budget + 120 s) */
    goc_time stop = goc_deadline(60000000000LL);
    for (bool changed = true; changed && goc_now() < stop;) {
        changed = false;
        for (int t = 0; t < p->ntasks && !changed; t++)
            for (int k = 0; k < p->nops[t] && !changed; k++) {
                struct dprog c = *p;
                memmove(&c.ops[t][k], &c.ops[t][k + 1], sizeof(struct dop) * (size_t)(c.nops[t] - k - 1));
                c.nops[t]--;
                if (!fails_within(&c, 300, 3.0)) continue;
                int orig = p->ops[t][k].orig;
                if (dl < sizeof drops - 16)
                    dl += (size_t)snprintf(drops + dl, sizeof drops - dl, "%s%d.%d", dl ? "," : "", orig / 16, orig % 16);
                *p = c;
                changed = true;
            }
    }
    if (fails_within(p, 2000, 10.0)) {
        fprintf(stderr, "MINIMAL FAILING PROGRAM (%s): %s\n", goc_backend_name(), g_why);
        print_prog(stderr, p);
        print_recs(stderr, p);
    } else {
        fprintf(stderr, "  (the shrunk program did not fail again within 2000 runs)\n");
        print_prog(stderr, p);
    }
    fprintf(stderr, "  replay the shrunk program: GOC_SEED=%" PRIu64 " %s --first %ld --count 1 --repeat 2000 --drop %s%s%s%s\n",
            g_seed, A.argv0, idx, g_drop ? g_drop : "", g_drop && dl ? "," : "", drops, g_perturb ? "" : " --no-perturb");
}

static long g_cur_idx = -1;
static const struct dprog *g_cur_prog;

#ifdef GOC_SANITIZED
/* A sanitizer report (heap-use-after-free, a data race) ends the process
 * inside the backend: say which program was running and how to replay it. */
static void on_sanitizer_death(void) {
    if (g_cur_idx < 0 || !g_cur_prog) return;
    fprintf(stderr, "DIFFTEST: the sanitizer report above came from program %ld on %s\n", g_cur_idx,
            goc_backend_name());
    print_prog(stderr, g_cur_prog);
    fprintf(stderr, "  replay: GOC_SEED=%" PRIu64 " %s --first %ld --count 1 --repeat 2000%s%s%s\n", g_seed, A.argv0,
            g_cur_idx, g_drop ? " --drop " : "", g_drop ? g_drop : "", g_perturb ? "" : " --no-perturb");
}
#endif

static void diff_main(void) {
    g_seed = goc_seed();
#ifdef GOC_SANITIZED
    __sanitizer_set_death_callback(on_sanitizer_death);
#endif
    G.wg = goc_wg_make();
    GT_ASSERT_NOT_NULL(G.wg);
    for (int c = 0; c < DT_CHANS; c++) pthread_mutex_init(&G.chans[c].mu, NULL);
    if (g_perturb) chk_perturb_start(50, 20);
    GT_ASSERT_EQ(pthread_create(&g_wd_thread, NULL, watchdog_main, NULL), 0);
    goc_time t0 = goc_now(), end = t0 + (goc_time)(A.seconds * 1e9);
    static struct dprog prog;
    bool failed = false;
    long idx = A.first;
    for (long done = 0; (A.count < 0 || done < A.count) && goc_now() < end && !failed; done++, idx++) {
        gen((uint64_t)idx, &prog);
        drop_ops(&prog, g_drop);
        g_cur_idx = idx;
        atomic_store_explicit(&g_wd_prog, idx, memory_order_relaxed);
        g_cur_prog = &prog;
        for (long rep = 0; rep < A.repeat && !failed; rep++) {
            if (run_check(&prog)) continue;
            failed = true;
            fflush(stdout);
            fprintf(stderr, "DIFFTEST VIOLATION on %s: program %ld: %s\n", goc_backend_name(), idx, g_why);
            print_prog(stderr, &prog);
            print_recs(stderr, &prog);
            fprintf(stderr, "  replay: GOC_SEED=%" PRIu64 " %s --first %ld --count 1 --repeat 2000%s%s%s\n", g_seed,
                    A.argv0, idx, g_drop ? " --drop " : "", g_drop ? g_drop : "", g_perturb ? "" : " --no-perturb");
            if (g_shrink && !g_leaked) shrink(idx, &prog);
        }
    }
    if (failed) idx++;
    atomic_store_explicit(&g_wd_stop, true, memory_order_relaxed);
    pthread_join(g_wd_thread, NULL);
    chk_perturb_stop();
    goc_wg_free(G.wg);
    double s = (goc_now() - t0) / 1e9;
    gt_note("%ld programs (%.0f/s, perturbation %s), %ld operations, %ld values received (%ld left buffered at "
            "free), %ld end-games (root closed the rest), %ld try-ops over %.0f ms but not spinning (preempted or on a lock), "
            "%ld deadlines late only while the process was starved (%ld by the sentinel's gaps, %ld by its threads' "
            "run-queue wait; %u schedstat samples%s); seeds from "
            "%" PRIu64 ", programs %ld..%ld; bounds: try %.0f ms, deadline slack %.0f ms",
            S.programs, S.programs / (s > 0 ? s : 1), g_perturb ? "on" : "off", S.ops, S.recv_vals, S.dtor_vals,
            S.endgames, S.slow_try_preempted, g_try_ns / 1e6, S.late_starved + S.late_rundelay, S.late_starved,
            S.late_rundelay, g_rd_n, atomic_load_explicit(&g_rd_off, memory_order_relaxed) ? ", unreadable" : "",
            g_seed, A.first, idx - 1, g_try_ns / 1e6,
            g_slack_ns / 1e6);
    if (failed) GT_FAIL("difftest found a violation (see above)");
    if (S.programs == 0) GT_FAIL("no program run");
}

static void test_main(void) { gt_run("difftest", diff_main); }

int main(int argc, char **argv) {
    chk_parse(argc, argv, 12, 12, &A);
    for (int i = 0; i < A.nextra; i++) {
        if (!strcmp(A.extra[i], "--no-perturb")) g_perturb = false;
        else if (!strcmp(A.extra[i], "--no-shrink")) g_shrink = false;
        else if (!strcmp(A.extra[i], "--drop") && i + 1 < A.nextra) g_drop = A.extra[++i];
        else {
            fprintf(stderr, "usage: %s [--seconds S] [--long] [--first N] [--count N] [--repeat R] [--no-perturb] "
                            "[--no-shrink] [--drop t.k,...]\n", argv[0]);
            return 2;
        }
    }
    const char *e = getenv("GOC_CHECK_TRY_MS");
    g_try_ns = (e && atol(e) > 0 ? atol(e) : 20) * 1000000LL;
    e = getenv("GOC_CHECK_SLACK_MS");
    g_slack_ns = (e && atol(e) > 0 ? atol(e) : gt_sanitized() ? 1000 : 100) * 1000000LL;
    char *args[] = {argv[0], NULL};
    return gt_main(1, args, __FILE__, test_main);
}
