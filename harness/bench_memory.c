/*
 * bench_memory.c: memory per parked task and spawn time, built per backend
 * as bench_memory-<backend> (reference/go/memory/ is the Go equivalent).
 *
 * For each N in --tasks: N tasks are spawned, each of which receives on ONE
 * shared unbuffered channel and so parks (Go's `<-ch`). Once all N have
 * started (and a short grace period has let them park), the resident set
 * size is read from /proc/self/statm; the delta against the value before the
 * spawns, divided by N, is the memory per parked task. Then the channel is
 * closed: every task must wake with -EPIPE and finish (the self-check).
 *
 * Reported per N (JSON, --out or stdout):
 *   rss_per_task_bytes   resident user memory per parked task: touched stack
 *                        pages, the task record, allocator overhead. The
 *                        kernel's own per-thread memory (kernel stack,
 *                        task_struct: ~10-20 KiB per OS thread) is NOT in RSS,
 *                        so thread backends look cheaper than they are.
 *   vm_per_task_bytes    address space per task (stack reservations).
 *   spawn_ns_per_task    time of the N goc_go calls / N (the spawner's cost).
 *   start_ns_per_task    until every task has run its first instruction / N.
 *   wake_exit_ns_per_task close + every task woken and done / N.
 * Sizes the backend cannot reach are the stage's choice (scripts/
 * stage_memory.sh: thread backends stop at 10k threads with their 256 KiB
 * stacks, below the kernel's 65,530-mapping limit; coro goes to 1M). If a
 * spawn fails anyway (-EAGAIN, -ENOMEM), the record says how many tasks were
 * reached and why, the started tasks are released, and the program exits 1.
 * --mem-guard skips an N whose estimated RSS (from the previous N's per-task
 * figure) exceeds half of MemAvailable, with a "skipped" record.
 *
 * Usage: bench_memory-<backend> [--tasks 1000,100000,1000000] [--out FILE]
 *                               [--no-mem-guard] [--label NAME]
 * --label names the run in the JSON's goc_backend (default: the backend), e.g.
 * coro-compact for GOC_STACK=compact (the memory stage); the context also
 * records GOC_STACK.
 */
#include <goc/goc.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SIZES 16

/* Shared with the tasks. `started` and `epipe`/`other` are counters each
 * task bumps once (relaxed: the root reads `started` only as a progress
 * hint, and reads the result counters after wg_wait, whose Done/Wait pair
 * orders them); `ch` and `wg` are set before the first spawn (goc_go
 * happens before the task runs) and freed after wg_wait. */
typedef struct mem_run {
    goc_chan *ch;
    goc_wg *wg;
    atomic_uint_fast64_t started;
    atomic_uint_fast64_t epipe;
    atomic_uint_fast64_t other;
} mem_run;

static void parked_task(void *p) {
    mem_run *r = p;
    atomic_fetch_add_explicit(&r->started, 1, memory_order_relaxed);
    uint64_t v;
    int e = goc_chan_recv(r->ch, &v, GOC_NEVER); /* parks until close */
    if (e == -EPIPE)
        atomic_fetch_add_explicit(&r->epipe, 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&r->other, 1, memory_order_relaxed);
    goc_wg_done(r->wg);
}

/* Resident and total size in bytes from /proc/self/statm; false on error. */
static bool statm(uint64_t *rss, uint64_t *vm) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return false;
    unsigned long long size, res;
    int n = fscanf(f, "%llu %llu", &size, &res);
    fclose(f);
    if (n != 2) return false;
    long pg = sysconf(_SC_PAGESIZE);
    *rss = res * (uint64_t)pg;
    *vm = size * (uint64_t)pg;
    return true;
}

static uint64_t mem_available(void) {
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
    fclose(f);
    return kb * 1024;
}

/* Waits until no task but the root is live (bounded: 10 s). */
static void settle(void) {
    goc_time until = goc_deadline(10LL * 1000000000);
    while (goc_tasks_live() > 1 && goc_now() < until) goc_sleep(goc_deadline(1000000));
}

typedef struct opts {
    uint64_t sizes[MAX_SIZES];
    int nsizes;
    bool mem_guard;
    FILE *out;
    const char *label; /* the JSON's goc_backend: the backend, or e.g. coro-compact */
    int rc;
} opts;

static void run_size(opts *o, uint64_t n, double *prev_per_task, bool first) {
    FILE *out = o->out;
    fprintf(out, "%s    {\"tasks_requested\": %llu", first ? "" : ",\n", (unsigned long long)n);
    if (o->mem_guard && *prev_per_task > 0) {
        double need = *prev_per_task * (double)n * 1.25;
        uint64_t avail = mem_available();
        if (avail && need > (double)avail / 2) {
            fprintf(out, ", \"skipped\": \"estimated %.0f MiB > half of MemAvailable (%.0f MiB)\"}",
                    need / 1048576.0, (double)avail / 1048576.0);
            fprintf(stderr, "bench_memory: %llu tasks skipped (memory guard)\n", (unsigned long long)n);
            return;
        }
    }
    mem_run r = {0};
    r.ch = goc_chan_make(sizeof(uint64_t), 0);
    r.wg = goc_wg_make();
    if (!r.ch || !r.wg) {
        fprintf(out, ", \"error\": \"setup allocation failed\"}");
        goc_chan_free(r.ch);
        goc_wg_free(r.wg);
        o->rc = 1;
        return;
    }
    uint64_t rss0, vm0, rss1, vm1;
    settle();
    if (!statm(&rss0, &vm0)) {
        fprintf(out, ", \"error\": \"cannot read /proc/self/statm\"}");
        goc_chan_free(r.ch);
        goc_wg_free(r.wg);
        o->rc = 1;
        return;
    }
    goc_time t0 = goc_now();
    uint64_t spawned = 0;
    int err = 0;
    for (; spawned < n; spawned++) {
        goc_wg_add(r.wg, 1);
        if ((err = goc_go(parked_task, &r)) != 0) {
            goc_wg_done(r.wg);
            break;
        }
    }
    goc_time t1 = goc_now();
    while (atomic_load_explicit(&r.started, memory_order_relaxed) < spawned) goc_sleep(goc_deadline(100000));
    goc_time t2 = goc_now();
    /* grace period for the last tasks to go from "started" to parked */
    goc_sleep(goc_deadline(20000000 + (int64_t)spawned * 200));
    bool mem_ok = statm(&rss1, &vm1);
    goc_time t3 = goc_now();
    goc_chan_close(r.ch);
    goc_wg_wait(r.wg, GOC_NEVER);
    goc_time t4 = goc_now();
    uint64_t epipe = atomic_load_explicit(&r.epipe, memory_order_relaxed);
    uint64_t other = atomic_load_explicit(&r.other, memory_order_relaxed);
    goc_chan_free(r.ch);
    goc_wg_free(r.wg);
    settle();

    double dn = spawned ? (double)spawned : 1.0;
    fprintf(out, ", \"tasks\": %llu", (unsigned long long)spawned);
    if (mem_ok) {
        double per = ((double)rss1 - (double)rss0) / dn;
        fprintf(out, ", \"rss_before_bytes\": %llu, \"rss_delta_bytes\": %lld, \"rss_per_task_bytes\": %.1f",
                (unsigned long long)rss0, (long long)(rss1 - rss0), per);
        fprintf(out, ", \"vm_per_task_bytes\": %.1f", ((double)vm1 - (double)vm0) / dn);
        if (spawned == n) *prev_per_task = per > 0 ? per : 1;
    }
    fprintf(out, ", \"spawn_ns_per_task\": %.1f, \"start_ns_per_task\": %.1f, \"wake_exit_ns_per_task\": %.1f",
            (double)(t1 - t0) / dn, (double)(t2 - t0) / dn, (double)(t4 - t3) / dn);
    bool ok = err == 0 && mem_ok && epipe == spawned && other == 0;
    if (err) fprintf(out, ", \"error\": \"goc_go failed after %llu tasks: %s\"", (unsigned long long)spawned,
                     goc_strerror(err));
    else if (epipe != spawned || other)
        fprintf(out, ", \"error\": \"%llu of %llu tasks woke with -EPIPE, %llu otherwise\"",
                (unsigned long long)epipe, (unsigned long long)spawned, (unsigned long long)other);
    fprintf(out, ", \"ok\": %s}", ok ? "true" : "false");
    fprintf(stderr, "bench_memory: %s %llu tasks: %.0f B/task RSS, spawn %.0f ns/task%s\n", o->label,
            (unsigned long long)spawned, mem_ok ? ((double)rss1 - (double)rss0) / dn : -1.0,
            (double)(t1 - t0) / dn, ok ? "" : " FAILED");
    if (!ok) o->rc = 1;
}

static void root(void *p) {
    opts *o = p;
    double prev = 0;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    const char *procs = getenv("GOC_PROCS"), *stack = getenv("GOC_STACK");
    fprintf(o->out, "{\n  \"context\": {\"goc_backend\": \"%s\", \"kind\": \"memory\", \"host_name\": \"%s\", "
                    "\"num_cpus\": %ld, \"goc_procs\": \"%s\", \"goc_stack\": \"%s\", \"page_size\": %ld},\n"
                    "  \"memory\": [\n",
            o->label, host, sysconf(_SC_NPROCESSORS_ONLN), procs ? procs : "", stack ? stack : "",
            sysconf(_SC_PAGESIZE));
    for (int i = 0; i < o->nsizes; i++) run_size(o, o->sizes[i], &prev, i == 0);
    fprintf(o->out, "\n  ]\n}\n");
}

static int parse_sizes(const char *s, opts *o) {
    o->nsizes = 0;
    while (*s) {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (end == s) return -EINVAL;
        if (*end == 'k' || *end == 'K') { v *= 1000; end++; }
        else if (*end == 'm' || *end == 'M') { v *= 1000000; end++; }
        if (v < 1 || v > 10000000 || o->nsizes == MAX_SIZES) return -EINVAL;
        o->sizes[o->nsizes++] = v;
        if (*end == ',') end++;
        else if (*end) return -EINVAL;
        s = end;
    }
    return o->nsizes ? 0 : -EINVAL;
}

int main(int argc, char **argv) {
    opts o = {.sizes = {1000, 100000}, .nsizes = 2, .mem_guard = true, .out = stdout};
    const char *out_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--tasks") && i + 1 < argc) {
            if (parse_sizes(argv[++i], &o)) {
                fprintf(stderr, "bench_memory: --tasks wants a list like 1000,100k,1m (1..10m each)\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            out_path = argv[++i];
        } else if (!strcmp(argv[i], "--no-mem-guard")) {
            o.mem_guard = false;
        } else if (!strcmp(argv[i], "--label") && i + 1 < argc) {
            o.label = argv[++i];
        } else {
            fprintf(stderr, "usage: %s [--tasks N,N,...] [--out FILE] [--no-mem-guard] [--label NAME]\n",
                    argv[0]);
            return 2;
        }
    }
    if (!o.label) o.label = goc_backend_name();
    if (out_path && !(o.out = fopen(out_path, "w"))) {
        fprintf(stderr, "bench_memory: %s: %s\n", out_path, strerror(errno));
        return 2;
    }
    int e = goc_main(root, &o);
    if (out_path) fclose(o.out);
    if (e) {
        fprintf(stderr, "bench_memory: goc_main: %s\n", goc_strerror(e));
        return 1;
    }
    return o.rc;
}
