/*
 * rundelay_selftest: rd_stall_bound (rundelay.h) on synthetic samples.
 * First hand-made cases with a known answer (all threads waiting and none
 * running; one thread running throughout; threads appearing and exiting;
 * a wait that began before the first sample; windows that cut a wait;
 * nothing runnable), then a simulated scheduler that keeps the kernel's
 * accounting (a wait credited when it ends, or in pieces when the waiting
 * thread migrates; CPU time credited at ticks and switches) and checks that the bound never exceeds the true stall over
 * thousands of random schedules and windows: the bound must be a lower
 * bound, or difftest would excuse a backend's own lateness. No /proc, no
 * goc calls: this tests the arithmetic, not a machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rundelay.h"

#define MS 1000000LL
#define US 1000LL

static int failures;

static void expect_eq(const char *name, int64_t got, int64_t want) {
    if (got != want) {
        failures++;
        printf("not ok %s: got %.3f ms, want %.3f ms\n", name, got / 1e6, want / 1e6);
    } else {
        printf("ok %s: %.3f ms\n", name, got / 1e6);
    }
}

/* A timeline of hand-made samples, one every 1 ms from 0 to 100 ms, with
 * t0 == t1 and exact counters. */
#define NS 101
static struct rd_sample smp[NS];
static const struct rd_sample *ptr[NS];

static void reset(void) {
    memset(smp, 0, sizeof smp);
    for (int i = 0; i < NS; i++) {
        smp[i].t0 = smp[i].t1 = i * MS;
        ptr[i] = &smp[i];
    }
}
/* thread tid is present in samples [from, to] (counters zero) */
static void present(int32_t tid, int from, int to) {
    for (int i = from; i <= to; i++) {
        struct rd_sample *s = &smp[i];
        int at = s->n;
        while (at > 0 && s->th[at - 1].tid > tid) at--;
        memmove(&s->th[at + 1], &s->th[at], sizeof s->th[0] * (size_t)(s->n - at));
        s->th[at] = (struct rd_thread){tid, 0, 0, 0};
        s->n++;
    }
}
/* thread tid gets a CPU at time t_ns after waiting wait_ns: the credit
 * shows in every sample after t_ns (where the thread is present) */
static void arrive(int32_t tid, int64_t t_ns, int64_t wait_ns) {
    for (int i = 0; i < NS; i++) {
        if (smp[i].t0 < t_ns) continue;
        for (int k = 0; k < smp[i].n; k++)
            if (smp[i].th[k].tid == tid) smp[i].th[k].pcount++, smp[i].th[k].wait_ns += wait_ns;
    }
}
/* thread tid, still waiting, moves to another CPU's run queue at t_ns: the
 * wait so far is credited without an arrival (sched_info_dequeue) */
static void migrate(int32_t tid, int64_t t_ns, int64_t wait_ns) {
    for (int i = 0; i < NS; i++) {
        if (smp[i].t0 < t_ns) continue;
        for (int k = 0; k < smp[i].n; k++)
            if (smp[i].th[k].tid == tid) smp[i].th[k].wait_ns += wait_ns;
    }
}
/* the process ran for run_ns starting at t_ns (spread evenly over 1 ms steps) */
static void ran(int64_t t_ns, int64_t run_ns) {
    for (int i = 0; i < NS; i++) {
        int64_t t = smp[i].t0, done = t <= t_ns ? 0 : t >= t_ns + run_ns ? run_ns : t - t_ns;
        smp[i].cpu0 += done, smp[i].cpu1 += done;
    }
}
static int64_t bound(int64_t a, int64_t b, int64_t lag) { return rd_stall_bound(ptr, NS, a, b, lag); }

static void hand_cases(void) {
    /* 1. two threads run briefly, then both wait on a run queue from 2 ms
     * to 99.5 ms, nobody of the process running: the whole wait is stall */
    reset();
    present(101, 0, 100), present(102, 0, 100);
    arrive(101, 500 * US, 0), arrive(102, 600 * US, 0); /* woken, ran at once */
    ran(500 * US, 1500 * US);                           /* until 2 ms */
    arrive(101, 99500 * US, 97500 * US), arrive(102, 99600 * US, 97600 * US);
    /* true stall [2, 99.6] = 97.6 ms; the samples prove [2, 99]: the last
     * arrival is known only to lie after the sample at 99 ms */
    expect_eq("all waiting, none running: the whole wait (to the sample grid)", bound(0, 100 * MS, 0), 97 * MS);
    /* [0, 50]: the credit shows only in the sample at 100 ms, so the window
     * (2, 100] less its 50 ms past b (true: 48) */
    expect_eq("window ends before the credit: less the samples' time past b", bound(0, 50 * MS, 0), 47 * MS);
    /* lag: the possibly uncounted run comes off */
    expect_eq("lag 10 ms", bound(0, 100 * MS, 10 * MS), 87 * MS);

    /* 2. the same waits, but a third thread runs the whole time */
    reset();
    present(101, 0, 100), present(102, 0, 100), present(103, 0, 100);
    arrive(101, 500 * US, 0), arrive(103, 400 * US, 0);
    arrive(101, 99500 * US, 97500 * US);
    ran(400 * US, 99600 * US);
    expect_eq("one thread running throughout: 0", bound(0, 100 * MS, 0), 0);

    /* 3. a wait that began before the first sample (0 ... 60.5 ms): only
     * what follows the window's start counts; starting later, at 10 ms,
     * the straddling part is trimmed to (59 - 10) ms */
    reset();
    present(101, 0, 100);
    arrive(101, 60500 * US, 60500 * US);
    /* true: 50.5 and 60.5 ms; proven: up to the sample before the arrival */
    expect_eq("wait straddling the window's start: trimmed to what the samples prove", bound(10 * MS, 100 * MS, 0),
              50 * MS);
    expect_eq("the same from the first sample", bound(0, 100 * MS, 0), 60 * MS);
    /* the same wait, begun 100 ms before the first sample, credited in two
     * pieces: a migration at 10.5 ms (110.5 ms, no arrival), the arrival
     * at 60.5 ms (50 ms): the first piece is the straddler */
    reset();
    present(101, 0, 100);
    migrate(101, 10500 * US, 110500 * US);
    arrive(101, 60500 * US, 50 * MS);
    expect_eq("a straddling wait credited in pieces (migration): the first piece trimmed", bound(0, 100 * MS, 0),
              60 * MS);

    /* 4. threads appearing and exiting: a thread born at 40 ms already
     * showing 50 ms of wait (impossible, but its history before its first
     * sample is unknown: it must not count), and one that waited 2..60 ms
     * and exited at 70 ms (its credit is kept for windows that end before
     * its exit) */
    reset();
    present(101, 0, 100), present(104, 0, 70), present(105, 40, 100);
    arrive(105, 40 * MS, 50 * MS);
    arrive(104, 1 * MS, 0);
    arrive(104, 60 * MS, 58 * MS);
    ran(1 * MS, 1 * MS);
    expect_eq("a thread that exits later keeps its credit, a new one counts nothing", bound(0, 100 * MS, 0),
              58 * MS - 1 * MS);
    reset();
    present(101, 0, 100), present(105, 40, 100);
    arrive(105, 40 * MS, 50 * MS), arrive(105, 80 * MS, 39 * MS);
    expect_eq("a thread born inside: only its waits after its first sample count", bound(0, 100 * MS, 0), 39 * MS);

    /* 5. overlap with [a, b]: the 2..99.5 ms wait seen from a = 50 ms */
    reset();
    present(101, 0, 100);
    arrive(101, 1 * MS, 0);
    arrive(101, 99500 * US, 97500 * US);
    expect_eq("window [50, 100] inside a longer wait", bound(50 * MS, 100 * MS, 0), 49 * MS);
    /* true 30 ms; the credit is seen only at 100 ms: window (30, 100], 69 ms
     * proven, less 40 ms past b */
    expect_eq("window [30, 60] inside a longer wait", bound(30 * MS, 60 * MS, 0), 29 * MS);
    /* the credit shows 60 ms after b: no window reaches it (RD_REACH_NS) */
    expect_eq("window [30, 40]: the credit too far after b", bound(30 * MS, 40 * MS, 0), 0);

    /* 6. nothing runnable (a backend late on its own: workers asleep) */
    reset();
    present(101, 0, 100), present(102, 0, 100);
    arrive(101, 20 * MS, 0), arrive(102, 40 * MS, 0);
    ran(20 * MS, 100 * US), ran(40 * MS, 100 * US);
    expect_eq("asleep, not waiting: 0", bound(0, 100 * MS, 0), 0);

    /* 7. no samples, one sample, an empty window */
    expect_eq("no samples", rd_stall_bound(ptr, 0, 0, 100 * MS, 0), 0);
    expect_eq("one sample", rd_stall_bound(ptr, 1, 0, 100 * MS, 0), 0);
    expect_eq("empty window", bound(50 * MS, 50 * MS, 0), 0);
}

/* ---- a simulated scheduler with the kernel's accounting ---------------- */

#define SIM_T 8          /* thread slots */
#define STEP_NS 50000LL  /* 50 us */
#define SIM_STEPS 4000   /* 200 ms */
#define TICK_STEPS 80    /* 4 ms tick */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n) {
    rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
    return (uint32_t)(((rng * 0x2545F4914F6CDD1Dull) >> 32) * n >> 32);
}

enum { DEAD, SLEEP, WAIT, RUN };
struct simth {
    int state, tid;
    int64_t wait_since, credited_wait, uncredited_run, credited_run;
    uint32_t pcount;
};

static void simulate(long *checked, double *tight_sum, long *tight_n) {
    static struct rd_sample sim[SIM_STEPS];
    static const struct rd_sample *sp[SIM_STEPS];
    static bool stalled[SIM_STEPS];
    struct simth th[SIM_T];
    memset(th, 0, sizeof th);
    int ncpu = 1 + (int)rnd(2), next_tid = 100, ns = 0;
    int64_t dead_run = 0;
    for (int i = 0; i < 3 + (int)rnd(4); i++) th[i] = (struct simth){.state = SLEEP, .tid = next_tid++};
    /* phases in which the OS gives this process no CPU at all */
    int starve_from = (int)rnd(SIM_STEPS), starve_len = (int)rnd(2000);
    int sample_gap = 10 + (int)rnd(60); /* 0.5-3.5 ms */
    for (int step = 0; step < SIM_STEPS; step++) {
        int64_t now = step * STEP_NS;
        bool starved = step >= starve_from && step < starve_from + starve_len;
        int cpus = starved ? 0 : rnd(10) == 0 ? 0 : ncpu; /* other processes take it now and then */
        /* births and exits */
        if (rnd(400) == 0)
            for (int i = 0; i < SIM_T; i++)
                if (th[i].state == DEAD) {
                    th[i] = (struct simth){.state = WAIT, .tid = next_tid++, .wait_since = now};
                    break;
                }
        if (rnd(500) == 0) {
            int i = (int)rnd(SIM_T);
            if (th[i].state == SLEEP) dead_run += th[i].credited_run, th[i].state = DEAD;
        }
        /* state changes of our own threads; a waiting thread migrates to
         * another run queue now and then (the kernel credits the wait so
         * far without an arrival: sched_info_dequeue) */
        for (int i = 0; i < SIM_T; i++) {
            struct simth *t = &th[i];
            if (t->state == WAIT && rnd(40) == 0) t->credited_wait += now - t->wait_since, t->wait_since = now;
            if (t->state == SLEEP && rnd(30) == 0) t->state = WAIT, t->wait_since = now;
            else if (t->state == RUN && rnd(20) == 0) {
                t->credited_run += t->uncredited_run, t->uncredited_run = 0; /* switch: update_curr */
                t->state = rnd(2) ? SLEEP : WAIT;
                if (t->state == WAIT) t->wait_since = now;
            }
        }
        /* the CPUs we may have now */
        int running = 0;
        for (int i = 0; i < SIM_T; i++)
            if (th[i].state == RUN) running++;
        for (int i = 0; i < SIM_T && running > cpus; i++)
            if (th[i].state == RUN) {
                th[i].credited_run += th[i].uncredited_run, th[i].uncredited_run = 0;
                th[i].state = WAIT, th[i].wait_since = now, running--;
            }
        for (int i = 0; i < SIM_T && running < cpus; i++)
            if (th[i].state == WAIT) {
                th[i].credited_wait += now - th[i].wait_since; /* sched_info_arrive */
                th[i].pcount++;
                th[i].state = RUN, running++;
            }
        /* this step: truth and accounting */
        bool anyrun = false, anywait = false;
        for (int i = 0; i < SIM_T; i++) {
            if (th[i].state == RUN) anyrun = true, th[i].uncredited_run += STEP_NS;
            if (th[i].state == WAIT) anywait = true;
        }
        stalled[step] = !anyrun && anywait;
        if ((step + 1) % TICK_STEPS == 0)
            for (int i = 0; i < SIM_T; i++) th[i].credited_run += th[i].uncredited_run, th[i].uncredited_run = 0;
        /* a sample at the end of some steps */
        if ((step + 1) % sample_gap == 0) {
            struct rd_sample *s = &sim[ns];
            memset(s, 0, sizeof *s);
            s->t0 = s->t1 = now + STEP_NS;
            int64_t cpu = dead_run;
            for (int i = 0; i < SIM_T; i++) {
                if (th[i].state == DEAD) continue;
                cpu += th[i].credited_run;
                s->th[s->n++] = (struct rd_thread){th[i].tid, th[i].pcount, th[i].credited_wait, th[i].credited_run};
            }
            /* sorted by tid */
            for (int x = 1; x < s->n; x++)
                for (int y = x; y > 0 && s->th[y - 1].tid > s->th[y].tid; y--) {
                    struct rd_thread tmp = s->th[y];
                    s->th[y] = s->th[y - 1], s->th[y - 1] = tmp;
                }
            s->cpu0 = s->cpu1 = cpu;
            sp[ns] = s;
            ns++;
        }
    }
    int64_t lag = (int64_t)ncpu * TICK_STEPS * STEP_NS; /* every CPU may hold a tick of uncounted run */
    for (int w = 0; w < 40; w++) {
        int s0 = (int)rnd(SIM_STEPS), s1 = s0 + 1 + (int)rnd(3000); /* up to 150 ms */
        if (s1 > SIM_STEPS) s1 = SIM_STEPS;
        int64_t truth = 0;
        for (int i = s0; i < s1; i++) truth += stalled[i] ? STEP_NS : 0;
        int64_t got = rd_stall_bound(sp, ns, s0 * STEP_NS, s1 * STEP_NS, lag);
        (*checked)++;
        if (got > truth) {
            failures++;
            printf("not ok simulated schedule: window [%.2f, %.2f] ms, bound %.3f ms > true stall %.3f ms\n",
                   s0 * STEP_NS / 1e6, s1 * STEP_NS / 1e6, got / 1e6, truth / 1e6);
        }
        if (truth > 20 * MS) *tight_sum += (double)got / (double)truth, (*tight_n)++;
    }
}

int main(void) {
    hand_cases();
    long checked = 0, tight_n = 0;
    double tight_sum = 0;
    for (int r = 0; r < 100; r++) simulate(&checked, &tight_sum, &tight_n);
    printf("%s simulated schedules: %ld windows, the bound never above the true stall; where the true stall "
           "was over 20 ms (%ld windows) the bound found %.0f %% of it on average\n",
           failures ? "not ok" : "ok", checked, tight_n, tight_n ? 100 * tight_sum / (double)tight_n : 0.0);
    if (failures) printf("%d FAILED\n", failures);
    return failures ? 1 : 0;
}
