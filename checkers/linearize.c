/*
 * linearize: records small concurrent histories on one goc channel and
 * checks each against the sequential Go-channel model (lin_check.h).
 *
 * A history: one channel of capacity 0..2, 2..4 tasks, 4..12 operations in
 * all: send (unique values), receive, close (one or two), each blocking,
 * try (GOC_NOW) or timed (a deadline 0..300 us away). Every operation's
 * invocation and response are stamped with goc_now() just around the call.
 * So that every history ends: without a close, no operation blocks without
 * a deadline; with one, the operations before the close in the closing task
 * are try or timed, and the close wakes everything else.
 *
 * The tasks are a pool of LZ_TASKS long-lived tasks (spawning per history
 * would cost ~1 ms per thread under TSan): for each history the root
 * publishes the plan and a fresh channel (generation counter, release),
 * the participants wait until all of them have arrived (spinning with
 * goc_yield, so their operations overlap), run their operations, record
 * them, and report through a WaitGroup; the root then checks and frees.
 *
 * A violation prints the history, the reason, the seed and the replay
 * command, and fails (exit 1). Also checked directly: a receive that reports
 * closed zero-fills its buffer.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "chk_common.h"
#include "goc_testing.h"
#include "lin_check.h"

#define LZ_TASKS 4
#define LZ_MAX_OPS 12

struct plan_op {
    int kind, mode;
    int64_t timeout_ns; /* LIN_TIMED */
    uint64_t val;       /* LIN_SEND */
    int orig;           /* task * 16 + position in the generated plan (--drop) */
};

struct plan {
    int cap, ntasks;
    int nops[LZ_TASKS];
    struct plan_op ops[LZ_TASKS][LZ_MAX_OPS];
};

/* Shared between the root and the pool. gen is the handshake: the root
 * writes plan/ch/rec slots' reset, then stores gen (release); a worker that
 * loads the new gen (acquire) sees them. Each worker writes only its own
 * rec[task][*] and bad_zero[task]; the root reads them after goc_wg_wait
 * (Done happens before Wait returns). */
static struct {
    _Atomic long gen;       /* history number + 1; -1: stop */
    _Atomic int arrived;    /* participants at the start line */
    const struct plan *plan;
    goc_chan *ch;
    goc_wg *wg;
    struct lin_op rec[LZ_TASKS][LZ_MAX_OPS];
    int bad_zero[LZ_TASKS]; /* an EPIPE receive left a nonzero value */
} G;

static struct chk_args A;
static uint64_t g_seed;
static bool g_perturb = true; /* --no-perturb turns the SIGURG stalls off */

static int g_mix = -1; /* --mix uniform|close|fullempty: 0, 2, 3; -1: all */

static void put(struct plan *p, int t, int kind, int mode, int64_t ns, uint64_t *next, uint64_t salt) {
    if (p->nops[t] >= LZ_MAX_OPS) return;
    struct plan_op *o = &p->ops[t][p->nops[t]++];
    *o = (struct plan_op){.kind = kind, .mode = mode, .timeout_ns = ns};
    if (kind == LIN_SEND) o->val = salt << 8 | (*next)++;
}

/* Two focused mixes beside the uniform one (a quarter of the histories
 * each): they put many operations into the windows where a buffered send
 * has reserved its slot but not yet published it, which only a stalled
 * sender keeps open (the SIGURG stalls):
 *   close race   senders block on a cap 1..2 channel while one task closes
 *                and another polls with try-receives (defect 4 of issue 12);
 *   full/empty   no close; one task sends, another alternates try-send and
 *                try-receive, so "full" and "empty" answers meet. */
static void gen_focused(struct chk_rng *r, struct plan *p, bool close_race, uint64_t salt) {
    uint64_t next = 1;
    p->cap = 1 + (int)chk_below(r, 2);
    if (close_race) {
        p->ntasks = 3 + (int)chk_below(r, 2);
        for (int k = (int)chk_below(r, 3); k > 0; k--) put(p, 0, LIN_RECV, LIN_TRY, 0, &next, salt);
        put(p, 0, LIN_CLOSE, LIN_BLOCK, 0, &next, salt);
        for (int k = 2 + (int)chk_below(r, 3); k > 0; k--) put(p, 1, LIN_RECV, LIN_TRY, 0, &next, salt);
        for (int t = 2; t < p->ntasks; t++)
            for (int k = 1 + (int)chk_below(r, 3); k > 0; k--) put(p, t, LIN_SEND, LIN_BLOCK, 0, &next, salt);
        return;
    }
    p->ntasks = 2 + (int)chk_below(r, 2);
    for (int k = 2 + (int)chk_below(r, 3); k > 0; k--)
        put(p, 0, LIN_SEND, chk_pct(r, 50) ? LIN_TRY : LIN_TIMED, (int64_t)chk_below(r, 50) * 1000, &next, salt);
    for (int t = 1; t < p->ntasks; t++)
        for (int k = 3 + (int)chk_below(r, 3); k > 0; k--)
            put(p, t, chk_pct(r, 50) ? LIN_SEND : LIN_RECV, LIN_TRY, 0, &next, salt);
}

static void gen_plan(uint64_t idx, struct plan *p) {
    struct chk_rng r = {chk_mix(g_seed, idx)};
    memset(p, 0, sizeof *p);
    uint32_t mix = chk_below(&r, 4);
    if (g_mix >= 0) mix = (uint32_t)g_mix; /* --mix */
    if (mix >= 2) {
        gen_focused(&r, p, mix == 2, (idx & 0xffffffffffull) + 1);
        for (int t = 0; t < p->ntasks; t++)
            for (int k = 0; k < p->nops[t]; k++) p->ops[t][k].orig = t * 16 + k;
        return;
    }
    p->cap = (int)chk_below(&r, 3);
    p->ntasks = 2 + (int)chk_below(&r, 3);
    int total = 4 + (int)chk_below(&r, 9);
    int closes = chk_pct(&r, 65) ? (chk_pct(&r, 20) ? 2 : 1) : 0;
    int closer = (int)chk_below(&r, (uint32_t)p->ntasks);
    /* operations other than closes, dealt at random to the tasks */
    int want[LZ_TASKS] = {0};
    for (int k = 0; k < total - closes; k++) want[chk_below(&r, (uint32_t)p->ntasks)]++;
    /* the (first) close sits at a random position in the closer's list */
    int close_at = closes ? (int)chk_below(&r, (uint32_t)want[closer] + 1) : -1;
    uint64_t salt = (idx & 0xffffffffffull) + 1, next = 1;
    for (int t = 0; t < p->ntasks; t++) {
        for (int k = 0; k < want[t] + (t == closer && closes ? 1 : 0); k++) {
            struct plan_op *o = &p->ops[t][p->nops[t]++];
            if (t == closer && k == close_at) {
                o->kind = LIN_CLOSE;
                o->mode = LIN_BLOCK;
                continue;
            }
            o->kind = chk_pct(&r, 50) ? LIN_SEND : LIN_RECV;
            /* blocking only where a close is sure to come */
            bool may_block = closes && !(t == closer && k < close_at);
            uint32_t m = chk_below(&r, 10);
            o->mode = m < 4 && may_block ? LIN_BLOCK : m < 7 ? LIN_TRY : LIN_TIMED;
            if (o->mode == LIN_BLOCK && !may_block) o->mode = LIN_TIMED;
            o->timeout_ns = chk_pct(&r, 15) ? 0 : (int64_t)chk_below(&r, 300) * 1000;
            if (o->kind == LIN_SEND) o->val = salt << 8 | next++;
        }
    }
    if (closes == 2) { /* a second close anywhere (it returns -EPIPE or wins) */
        int t = (int)chk_below(&r, (uint32_t)p->ntasks);
        if (p->nops[t] < LZ_MAX_OPS) {
            int at = (int)chk_below(&r, (uint32_t)p->nops[t] + 1);
            memmove(&p->ops[t][at + 1], &p->ops[t][at], sizeof(struct plan_op) * (size_t)(p->nops[t] - at));
            p->ops[t][at] = (struct plan_op){.kind = LIN_CLOSE, .mode = LIN_BLOCK};
            p->nops[t]++;
        }
    }
    for (int t = 0; t < p->ntasks; t++)
        for (int k = 0; k < p->nops[t]; k++) p->ops[t][k].orig = t * 16 + k;
}

/* --drop t.k,t.k: removes operations (by their place in the generated plan) */
static const char *g_drop;
static bool g_shrink = true; /* --no-shrink */
static void apply_drops(struct plan *p) {
    if (!g_drop) return;
    const char *s = g_drop;
    while (*s) {
        int t, k, used;
        if (sscanf(s, "%d.%d%n", &t, &k, &used) != 2) {
            fprintf(stderr, "--drop: expected task.position[,task.position...], got %s\n", s);
            exit(2);
        }
        s += used;
        if (*s == ',') s++;
        for (int tt = 0; tt < p->ntasks; tt++)
            for (int kk = 0; kk < p->nops[tt]; kk++)
                if (p->ops[tt][kk].orig == t * 16 + k) {
                    memmove(&p->ops[tt][kk], &p->ops[tt][kk + 1],
                            sizeof(struct plan_op) * (size_t)(p->nops[tt] - kk - 1));
                    p->nops[tt]--;
                }
    }
}

static goc_time deadline_of(const struct plan_op *o) {
    if (o->mode == LIN_TRY) return GOC_NOW;
    if (o->mode == LIN_BLOCK) return GOC_NEVER;
    return goc_deadline(o->timeout_ns);
}

static void run_ops(int t) {
    const struct plan *p = G.plan;
    goc_chan *ch = G.ch;
    for (int k = 0; k < p->nops[t]; k++) {
        const struct plan_op *o = &p->ops[t][k];
        struct lin_op *rec = &G.rec[t][k];
        uint64_t v = o->val, got = 0xdeadbeefdeadbeefull;
        goc_time d = deadline_of(o);
        rec->inv = chk_stamp_inv();
        int rc = o->kind == LIN_SEND   ? goc_chan_send(ch, &v, d)
                 : o->kind == LIN_RECV ? goc_chan_recv(ch, &got, d)
                                       : goc_chan_close(ch);
        rec->resp = chk_stamp_resp();
        rec->task = t;
        rec->kind = o->kind;
        rec->mode = o->mode;
        rec->rc = rc;
        rec->val = o->kind == LIN_SEND ? v : rc == 0 ? got : 0;
        if (o->kind == LIN_RECV && rc == -EPIPE && got != 0) G.bad_zero[t] = 1;
    }
}

static void worker(void *arg) {
    int id = (int)(intptr_t)arg;
    long seen = 0;
    for (;;) {
        long g;
        /* acquire: pairs with the root's release store of gen; plan, ch and
         * the reset records are visible */
        while ((g = atomic_load_explicit(&G.gen, memory_order_acquire)) == seen) goc_yield();
        if (g < 0) return;
        seen = g;
        if (id < G.plan->ntasks) {
            /* the start line: every participant is here before anyone runs
             * (relaxed: only a rendezvous in time, no data) */
            if (g_perturb) chk_perturb_register(id);
            atomic_fetch_add_explicit(&G.arrived, 1, memory_order_relaxed);
            while (atomic_load_explicit(&G.arrived, memory_order_relaxed) < G.plan->ntasks) goc_yield();
            run_ops(id);
        }
        goc_wg_done(G.wg);
    }
}

static struct {
    long histories, ops, by_cap[3], closes, epipe, eagain, etimedout, ok;
} S;

static void flatten(const struct plan *p, struct lin_op *ops, int *n) {
    *n = 0;
    for (int t = 0; t < p->ntasks; t++)
        for (int k = 0; k < p->nops[t]; k++) ops[(*n)++] = G.rec[t][k];
}

static long g_runs; /* histories run so far: the generation counter */

static void report_violation(long idx, const struct plan *p, const struct lin_op *ops, int n, const char *why) {
    fflush(stdout);
    fprintf(stderr, "LINEARIZABILITY VIOLATION on %s: history %ld: %s\n", goc_backend_name(), idx, why);
    lin_print(stderr, p->cap, ops, n);
    fprintf(stderr, "  replay: GOC_SEED=%" PRIu64 " %s --first %ld --count 1 --repeat 20000%s%s%s\n", g_seed,
            A.argv0, idx, g_perturb ? "" : " --no-perturb", g_drop ? " --drop " : "", g_drop ? g_drop : "");
}

/* Runs plan once; false on a violation, with the reason in why and the
 * history in ops/n. A history that hangs fails the test at once. */
static bool run_once(long idx, const struct plan *plan, struct lin_op *ops, int *n, char *why, size_t whylen) {
    goc_chan *ch = goc_chan_make(sizeof(uint64_t), (size_t)plan->cap);
    GT_ASSERT_NOT_NULL(ch);
    memset(G.rec, 0, sizeof G.rec);
    memset(G.bad_zero, 0, sizeof G.bad_zero);
    G.plan = plan;
    G.ch = ch;
    atomic_store_explicit(&G.arrived, 0, memory_order_relaxed);
    GT_ASSERT_OK(goc_wg_add(G.wg, LZ_TASKS));
    /* release: plan, ch and the reset records before the new gen */
    atomic_store_explicit(&G.gen, ++g_runs, memory_order_release);
    /* Every history ends by construction (see the top): one that does not
     * within 10 s (60 s sanitized) is a lost wakeup. */
    int w = goc_wg_wait(G.wg, goc_deadline(gt_sanitized() ? 60000000000LL : 10000000000LL));
    flatten(plan, ops, n);
    if (w != 0) {
        report_violation(idx, plan, ops, *n, "the history did not finish (a task is still blocked; "
                                             "its record is all zero)");
        goc_tasks_report(stderr);
        GT_FAIL("history %ld hung", idx);
    }
    goc_chan_free(ch);
    S.histories++;
    S.ops += *n;
    S.by_cap[plan->cap]++;
    for (int i = 0; i < *n; i++) {
        S.closes += ops[i].kind == LIN_CLOSE;
        S.ok += ops[i].rc == 0;
        S.epipe += ops[i].rc == -EPIPE;
        S.eagain += ops[i].rc == -EAGAIN;
        S.etimedout += ops[i].rc == -ETIMEDOUT;
    }
    for (int t = 0; t < plan->ntasks; t++)
        if (G.bad_zero[t]) {
            snprintf(why, whylen, "task %d: a receive returned EPIPE without zeroing its value", t);
            return false;
        }
    return lin_check(plan->cap, ops, *n, why, whylen);
}

/* Whether plan fails within `tries` runs or `seconds`. */
static bool fails_within(long idx, const struct plan *plan, long tries, double seconds, struct lin_op *ops, int *n,
                         char *why, size_t whylen) {
    goc_time end = goc_deadline((int64_t)(seconds * 1e9));
    for (long i = 0; i < tries && goc_now() < end; i++)
        if (!run_once(idx, plan, ops, n, why, whylen)) return true;
    return false;
}

static bool plan_valid(const struct plan *p) {
    bool close = false, block = false;
    for (int t = 0; t < p->ntasks; t++)
        for (int k = 0; k < p->nops[t]; k++) {
            close |= p->ops[t][k].kind == LIN_CLOSE;
            block |= p->ops[t][k].mode == LIN_BLOCK && p->ops[t][k].kind != LIN_CLOSE;
        }
    return close || !block; /* blocking operations need a close to end */
}

static void print_plan(FILE *out, const struct plan *p) {
    fprintf(out, "  program (capacity %d):\n", p->cap);
    for (int t = 0; t < p->ntasks; t++) {
        fprintf(out, "    task %d:", t);
        for (int k = 0; k < p->nops[t]; k++) {
            const struct plan_op *o = &p->ops[t][k];
            if (o->kind == LIN_CLOSE) {
                fprintf(out, " close;");
                continue;
            }
            const char *what = o->kind == LIN_SEND ? "send" : "recv";
            if (o->mode == LIN_TIMED) fprintf(out, " %s(%lld us);", what, (long long)(o->timeout_ns / 1000));
            else fprintf(out, " %s %s;", o->mode == LIN_TRY ? "try" : "block", what);
        }
        fprintf(out, "\n");
    }
}

/* Removes one operation at a time while the plan still fails (each
 * candidate gets up to 5000 runs or 2 s); prints the smallest plan found
 * and the replay command with --drop. */
static void shrink(long idx, struct plan *p) {
    struct lin_op ops[LIN_MAX_OPS];
    int n;
    char why[512];
    char drops[256] = "";
    size_t dl = 0;
    fprintf(stderr, "  shrinking (each candidate: up to 5000 runs or 2 s)...\n");
    /* at most 60 s of shrinking (CI's watchdog is the budget + 120 s) */
    goc_time stop = goc_deadline(60000000000LL);
    for (bool changed = true; changed && goc_now() < stop;) {
        changed = false;
        for (int t = 0; t < p->ntasks && !changed; t++)
            for (int k = 0; k < p->nops[t] && !changed; k++) {
                struct plan c = *p;
                memmove(&c.ops[t][k], &c.ops[t][k + 1], sizeof(struct plan_op) * (size_t)(c.nops[t] - k - 1));
                c.nops[t]--;
                if (!plan_valid(&c)) continue;
                if (!fails_within(idx, &c, 5000, 2.0, ops, &n, why, sizeof why)) continue;
                int orig = p->ops[t][k].orig;
                if (dl < sizeof drops - 16)
                    dl += (size_t)snprintf(drops + dl, sizeof drops - dl, "%s%d.%d", dl ? "," : "", orig / 16,
                                           orig % 16);
                *p = c;
                changed = true;
            }
    }
    /* one more failing run of the final plan, for its history */
    if (fails_within(idx, p, 20000, 5.0, ops, &n, why, sizeof why)) {
        fprintf(stderr, "MINIMAL FAILING PROGRAM (%s): %s\n", goc_backend_name(), why);
        print_plan(stderr, p);
        lin_print(stderr, p->cap, ops, n);
    } else {
        fprintf(stderr, "  (the shrunk program did not fail again within 20000 runs)\n");
        print_plan(stderr, p);
    }
    fprintf(stderr, "  replay the shrunk program: GOC_SEED=%" PRIu64 " %s --first %ld --count 1 --repeat 20000%s%s%s%s\n",
            g_seed, A.argv0, idx, g_drop ? " --drop " : "", g_drop ? g_drop : "", dl ? (g_drop ? "," : " --drop ") : "",
            drops);
}

static void lin_main(void) {
    g_seed = goc_seed();
    G.wg = goc_wg_make();
    GT_ASSERT_NOT_NULL(G.wg);
    for (int t = 0; t < LZ_TASKS; t++) gt_go(worker, (void *)(intptr_t)t);
    /* a stall every ~10 us somewhere, up to 50 us long: the windows of the
     * backends open far more often than on a merely loaded machine */
    if (g_perturb) chk_perturb_start(10, 50);
    goc_time t0 = goc_now(), end = t0 + (goc_time)(A.seconds * 1e9);
    struct plan plan;
    int failed = 0;
    long idx = A.first;
    for (long done = 0; (A.count < 0 || done < A.count) && goc_now() < end && !failed; done++, idx++) {
        gen_plan((uint64_t)idx, &plan);
        apply_drops(&plan);
        for (long rep = 0; rep < A.repeat && !failed; rep++) {
            struct lin_op ops[LIN_MAX_OPS];
            int n;
            char why[512];
            if (!run_once(idx, &plan, ops, &n, why, sizeof why)) {
                report_violation(idx, &plan, ops, n, why);
                if (g_shrink) shrink(idx, &plan);
                failed = 1;
            }
        }
    }
    if (failed) idx++;
    chk_perturb_stop();
    atomic_store_explicit(&G.gen, -1, memory_order_release);
    gt_join_all();
    goc_wg_free(G.wg);
    double s = (goc_now() - t0) / 1e9;
    gt_note("%ld histories (%.0f/s, perturbation %s; cap 0/1/2: %ld/%ld/%ld), %ld ops: %ld ok, %ld EPIPE, %ld "
            "EAGAIN, %ld ETIMEDOUT, %ld closes; seeds from %" PRIu64 ", histories %ld..%ld",
            S.histories, S.histories / (s > 0 ? s : 1), g_perturb ? "on" : "off", S.by_cap[0], S.by_cap[1],
            S.by_cap[2], S.ops, S.ok, S.epipe, S.eagain, S.etimedout, S.closes, g_seed, A.first, idx - 1);
    if (failed) GT_FAIL("a history is not linearizable (see above)");
    if (S.histories == 0) GT_FAIL("no history checked");
}

static void test_main(void) { gt_run("linearizability", lin_main); }

int main(int argc, char **argv) {
    chk_parse(argc, argv, 6, 6, &A);
    for (int i = 0; i < A.nextra; i++) {
        if (!strcmp(A.extra[i], "--no-perturb")) {
            g_perturb = false;
            continue;
        }
        if (!strcmp(A.extra[i], "--mix") && i + 1 < A.nextra) {
            const char *m = A.extra[++i];
            g_mix = !strcmp(m, "uniform") ? 0 : !strcmp(m, "close") ? 2 : !strcmp(m, "fullempty") ? 3 : -2;
            if (g_mix == -2) {
                fprintf(stderr, "--mix: uniform, close or fullempty\n");
                return 2;
            }
            continue;
        }
        if (!strcmp(A.extra[i], "--no-shrink")) {
            g_shrink = false;
            continue;
        }
        if (!strcmp(A.extra[i], "--drop") && i + 1 < A.nextra) {
            g_drop = A.extra[++i];
            continue;
        }
        fprintf(stderr, "usage: %s [--seconds S] [--long] [--first N] [--count N] [--repeat R] [--no-perturb] [--no-shrink] [--drop t.k,...] [--mix uniform|close|fullempty]\n",
                argv[0]);
        return 2;
    }
    char *args[] = {argv[0], NULL};
    return gt_main(1, args, __FILE__, test_main);
}
