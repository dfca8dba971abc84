/*
 * dump.c: a one-shot dump of the scheduler's state to stderr, for
 * diagnosing late timers and lost wake-ups (issue 11/12).
 *
 * goc__sched_dump(why) is an internal hook, not part of goc.h: a checker
 * declares it weak and calls it when it sees a timed operation overdue
 * while still blocked (checkers/difftest.c's watchdog); backends without it
 * leave the symbol undefined. Sysmon also calls it, when GOC_SCHEDTRACE is
 * set (non-empty, not "0"), the first time it sees a timer overdue by more
 * than SYSMON_DUMP_LATE_NS (sysmon.c).
 *
 * Everything is read with relaxed loads without taking any lock (the heap
 * counts n are read racily on purpose: taking a heap lock from a watchdog
 * could block behind the very thread that is stuck), so the picture is a
 * set of hints taken over a few microseconds, not a snapshot. The dump
 * takes no scheduler lock and does not allocate; fprintf(stderr) is its only
 * side effect.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */
#include "coro_sched.h"

void goc__sched_dump(const char *why);

/* The dump's racy reads are deliberate (the header comment): TSan builds do
 * not instrument it, so GOC_SCHEDTRACE or a watchdog dump adds no report. */
#ifdef GOC_TSAN
#define DUMP_UNCHECKED __attribute__((no_sanitize("thread")))
#else
#define DUMP_UNCHECKED
#endif

static const char *state_name(int s) {
    return s == CORO_W_RUN ? "run" : s == CORO_W_BLOCKED ? "blocked" : s == CORO_W_SPARE ? "spare" : "?";
}

static double ms_from(goc_time t, goc_time now) {
    return t == INT64_MAX ? 0.0 : (double)(t - now) / 1e6;
}

/* "S futex(...)": the kernel's view of thread tid: its state letter
 * (/proc/.../stat: R runnable, S asleep, D uninterruptible) and the system
 * call it is in (/proc/.../syscall: its number and arguments, or "running").
 * Fixed buffers, no allocation. */
/* /proc/self/task/<tid>/<name> into buf (cap bytes), cut at the first
 * newline; "" when it cannot be read. */
static void read_task_file(int tid, const char *name, char *buf, size_t cap) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/%s", tid, name);
    buf[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    char *nl = strchr(buf, '\n');
    if (nl) *nl = 0;
}

static void kernel_view(int tid, char *out, size_t cap) {
    char st[256], sc[128], ss[96];
    read_task_file(tid, "stat", st, sizeof st);
    read_task_file(tid, "syscall", sc, sizeof sc);
    /* keep the syscall number and its first two arguments */
    char *sp = sc;
    for (int k = 0; k < 3 && sp; k++) sp = strchr(sp + 1, ' ');
    if (sp) *sp = 0;
    /* schedstat: ns on the CPU, ns waiting on a run queue, timeslices */
    read_task_file(tid, "schedstat", ss, sizeof ss);
    char *p = strrchr(st, ')');
    snprintf(out, cap, "%c sys=%s schedstat=%s", p && p[1] == ' ' ? p[2] : '?', sc[0] ? sc : "?", ss);
}

DUMP_UNCHECKED void goc__sched_dump(const char *why) {
    if (!atomic_load_explicit(&S.started, memory_order_acquire)) {
        fprintf(stderr, "goc coro sched dump (%s): runtime not started\n", why ? why : "");
        return;
    }
    goc_time now = goc_now();
    int nw = coro_nw();
    goc_time pu = atomic_load_explicit(&S.poll_until, memory_order_relaxed);
    goc_time tn = coro_timers_next();
    char buf[8192];
    int len = snprintf(
        buf, sizeof buf,
        "goc coro sched dump (%s): now=%lld nprocs=%d nw=%d nspare=%d nidle=%d nspinning=%d poller=%d "
        "poll_until=%s%.3f ms gsize=%u nfdwait=%d timers_next=%s%.3f ms handoffs=%ld stop=%d\n",
        why ? why : "", (long long)now, S.nprocs, nw, atomic_load_explicit(&S.nspare, memory_order_relaxed),
        atomic_load_explicit(&S.nidle, memory_order_relaxed),
        atomic_load_explicit(&S.nspinning, memory_order_relaxed),
        atomic_load_explicit(&S.poller, memory_order_relaxed), pu == INT64_MAX ? "none " : pu == 0 ? "0 " : "",
        pu == INT64_MAX || pu == 0 ? 0.0 : ms_from(pu, now), atomic_load_explicit(&S.gsize, memory_order_relaxed),
        atomic_load_explicit(&coro_nfdwait, memory_order_relaxed), tn == INT64_MAX ? "none " : "",
        ms_from(tn, now), atomic_load_explicit(&coro_sysmon_handoffs, memory_order_relaxed),
        atomic_load_explicit(&S.stop, memory_order_relaxed));
    for (int i = 0; i < nw && len > 0 && len < (int)sizeof buf - 400; i++) {
        coro_worker *v = &S.w[i];
        goc_time nx = atomic_load_explicit(&v->heap.next_when, memory_order_relaxed);
        uint32_t h = atomic_load_explicit(&v->rq_head, memory_order_relaxed);
        uint32_t t = atomic_load_explicit(&v->rq_tail, memory_order_relaxed);
        char kv[192];
        kernel_view(atomic_load_explicit(&v->tid, memory_order_relaxed), kv, sizeof kv);
        /* racy reads of plain fields (idle list, heap count, spinning):
         * hints only, see the header comment */
        len += snprintf(buf + len, sizeof buf - (size_t)len,
                        "  w%d tid=%d state=%s in_task=%d schedtick=%u runq=%u runnext=%d heap_next=%s%.3f ms "
                        "heap_n=%u park_word=%u park_mode=%d in_idle=%d spinning=%d kernel=%s\n",
                        i, atomic_load_explicit(&v->tid, memory_order_relaxed),
                        state_name(atomic_load_explicit(&v->state, memory_order_relaxed)),
                        atomic_load_explicit(&v->in_task, memory_order_relaxed),
                        atomic_load_explicit(&v->schedtick, memory_order_relaxed), t - h,
                        atomic_load_explicit(&v->runnext, memory_order_relaxed) != NULL,
                        nx == INT64_MAX ? "none " : "", ms_from(nx, now), *(volatile uint32_t *)&v->heap.n,
                        atomic_load_explicit(&v->park_word, memory_order_relaxed),
                        *(volatile int *)&v->park_mode, *(volatile bool *)&v->in_idle,
                        *(volatile bool *)&v->spinning, kv);
    }
    fputs(buf, stderr);
    fflush(stderr);
}

GOC_RACE_FILE_END
