/*
 * goc_bench.h: a C API over Google Benchmark 1.7.1 (harness/gbench_shim.cc).
 *
 * Benchmarks are plain C functions written once against include/goc/goc.h
 * and built once per backend (goc_add_bench in harness/CMakeLists.txt gives
 * <name>-pthread, <name>-lockfree, <name>-coro). The shim provides main():
 * it parses the usual --benchmark_* flags, records the backend name
 * (goc_backend_name()) in the JSON "context", and runs every benchmark body
 * inside a goc task (see "Where bodies run" below).
 *
 * Registering (at load time, from a constructor):
 *
 *     static void bm_chan_sync(goc_bench_state *st) { ... }
 *
 *     GOC_BENCH_INIT(register_micro) {
 *         goc_bench *b = goc_bench_register("ChanSync", bm_chan_sync);
 *         goc_bench_use_real_time(b);
 *         goc_bench *s = goc_bench_register("SPSC", bm_spsc);
 *         goc_bench_arg_names(s, 1, (const char *[]){"cap"});
 *         GOC_BENCH_ARGS(s, 1); GOC_BENCH_ARGS(s, 16);   // SPSC/cap:1, SPSC/cap:16
 *         goc_bench_use_real_time(s);
 *     }
 *
 * A body, two styles:
 *
 *   (a) per-iteration, like gbench's `for (auto _ : state)`:
 *         GOC_BENCH_FOR(st) { ...one op... }
 *       or, one shim call per iteration (~2 ns more):
 *         while (goc_bench_keep_running(st)) { ...one op... }
 *
 *   (b) one timed batch, for work done by tasks (the usual case here):
 *         int64_t n = goc_bench_max_iterations(st);  // known before timing
 *         ...allocate channels, spawn tasks that wait for a start signal...
 *         goc_bench_begin(st);                       // timer starts
 *         ...release the tasks, run n ops, wait for them...
 *         goc_bench_end(st);                         // timer stops
 *         ...join, check the result, free...
 *       begin/end must be called exactly once each, in that order, and
 *       exactly n iterations are accounted.
 *
 * Every benchmark checks its own answer and calls goc_bench_error() when it
 * is wrong; the run then reports the error in its JSON record ("error_occurred")
 * and the program exits with status 1 after all benchmarks ran.
 *
 * Where bodies run. goc requires the program to run inside goc_main(). The
 * shim starts one goc_main() on a helper OS thread for the whole process; its
 * root task serves requests from Google Benchmark's runner (on the process's
 * main thread) one at a time: each body runs to completion in the root task,
 * so a body may spawn tasks, block on channels, etc. on every backend,
 * coroutines included, while gbench's own code (flag parsing, std::regex,
 * reporters) keeps the main thread's large stack. Between bodies the root
 * task waits on a pthread condition variable (no task is alive then).
 * Consequence: CPU time in the JSON is the root task's thread's CPU time and
 * means little for task benchmarks; use goc_bench_use_real_time() (the
 * catalogue uses it everywhere, as Go's ns/op is wall time). What the whole
 * process burnt is reported instead: every batch-style body (begin/end,
 * GOC_BENCH_FOR) gets the counters cpu_ns and sys_ns, the process's CPU time
 * (user + system, and system alone; getrusage) from begin to end divided by
 * the iterations, so spinning shows beside the wall time (summary.md's
 * "CPU time per operation"; Go reports the same counters).
 *
 * Never use gbench's Threads(): it would measure gbench's threads, not the
 * backend's tasks. Spawn tasks with goc_go().
 *
 * Environment: GOC_BENCH_ITERATIONS=N fixes every benchmark's iteration
 * count (identical runs, e.g. for instruction counts under valgrind).
 */
#ifndef GOC_BENCH_H
#define GOC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------- registration -- */

typedef struct goc_bench goc_bench;             /* a registered family */
typedef struct goc_bench_state goc_bench_state; /* one run of a body   */
typedef void (*goc_bench_fn)(goc_bench_state *st);

/* Registers a benchmark family. The name is copied. Returns a handle for the
 * setters below (each returns its argument, so calls can be chained), or
 * NULL for a NULL/empty name or fn (a message is printed). Call it from a
 * GOC_BENCH_INIT block (before main). */
goc_bench *goc_bench_register(const char *name, goc_bench_fn fn);

/* Adds one instance with a single argument (gbench Arg). */
goc_bench *goc_bench_arg(goc_bench *b, int64_t a);
/* Adds one instance with n arguments (gbench Args). */
goc_bench *goc_bench_args(goc_bench *b, size_t n, const int64_t *args);
#define GOC_BENCH_ARGS(b, ...)                                                  \
    goc_bench_args((b), sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t),    \
                   (int64_t[]){__VA_ARGS__})
/* Names the arguments: "SPSC/cap:16" instead of "SPSC/16" (gbench ArgNames). */
goc_bench *goc_bench_arg_names(goc_bench *b, size_t n, const char *const *names);
/* Report wall-clock time (gbench UseRealTime). Required for anything that
 * spawns tasks; the micro catalogue uses it for every benchmark. */
goc_bench *goc_bench_use_real_time(goc_bench *b);
/* Fix the iteration count instead of letting gbench pick it. */
goc_bench *goc_bench_iterations(goc_bench *b, int64_t n);
/* Minimum time per run in seconds (overrides --benchmark_min_time). */
goc_bench *goc_bench_min_time(goc_bench *b, double seconds);
/* Time unit for the console and JSON: 'n' ns (default), 'u' us, 'm' ms, 's' s. */
goc_bench *goc_bench_unit(goc_bench *b, char unit);
/* An opaque pointer handed to every run (goc_bench_data()). */
goc_bench *goc_bench_set_data(goc_bench *b, void *data);

/* Runs the block once at program load (a constructor), for registrations. */
#define GOC_BENCH_INIT(fname)                                                   \
    static void fname(void) __attribute__((constructor));                       \
    static void fname(void)

/* ---------------------------------------------------------- the state -- */

/* Per-iteration loop: true while iterations remain (starts the timer on the
 * first call, stops it on the last). */
bool goc_bench_keep_running(goc_bench_state *st);

/* The per-iteration loop without a call per iteration (what gbench's
 * `for (auto _ : state)` compiles to): begin, max_iterations passes, end.
 * A `break` leaves the timer running until the body returns (the shim then
 * stops it); prefer recording the error and finishing the passes. */
#define GOC_BENCH_FOR(st)                                                       \
    for (int64_t goc__left = (goc_bench_begin(st), goc_bench_max_iterations(st)); \
         goc__left > 0 || (goc_bench_end(st), 0); goc__left--)

/* Batch style (see the top of this file). max_iterations is the number of
 * iterations this run must account for, known before the timer starts.
 * begin starts the timer and accounts all of them; end stops the timer. */
int64_t goc_bench_max_iterations(const goc_bench_state *st);
void goc_bench_begin(goc_bench_state *st);
void goc_bench_end(goc_bench_state *st);

/* The i-th argument of this instance (0 when out of range). */
int64_t goc_bench_arg_get(const goc_bench_state *st, size_t i);
/* The pointer given to goc_bench_set_data. */
void *goc_bench_data(const goc_bench_state *st);

/* Stop/restart the timer inside the loop (costly: ~100s of ns; keep setup
 * out of the loop instead where possible). */
void goc_bench_pause(goc_bench_state *st);
void goc_bench_resume(goc_bench_state *st);

/* items_per_second / bytes_per_second in the report. */
void goc_bench_set_items_processed(goc_bench_state *st, int64_t items);
void goc_bench_set_bytes_processed(goc_bench_state *st, int64_t bytes);
void goc_bench_set_label(goc_bench_state *st, const char *label);

/* User counters (gbench Counter flags). */
enum {
    GOC_CTR_DEFAULT = 0,
    GOC_CTR_RATE = 1 << 0,           /* value / elapsed seconds */
    GOC_CTR_AVG_ITERATIONS = 1 << 1, /* value / iterations */
    GOC_CTR_INVERT = 1 << 2,         /* 1 / value (with RATE: seconds per unit) */
    GOC_CTR_ITERATION_INVARIANT = 1 << 3, /* value * iterations */
};
void goc_bench_counter(goc_bench_state *st, const char *name, double value, unsigned flags);

/* Marks this run as failed (the benchmark's self-check did not hold). The
 * message is copied; printf-style. After it, keep_running returns false.
 * Call it after goc_bench_end() (or instead of begin/end: the shim accounts
 * the iterations so that gbench's bookkeeping stays consistent). */
void goc_bench_error(goc_bench_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool goc_bench_failed(const goc_bench_state *st);

/* Number of runs that failed so far in this process (for tests of the shim). */
int goc_bench_error_count(void);

/* Compiler barriers, as gbench's DoNotOptimize / ClobberMemory. */
#define goc_bench_do_not_optimize(x) __asm__ volatile("" : : "r,m"(x) : "memory")
#define goc_bench_clobber_memory() __asm__ volatile("" : : : "memory")

/* --------------------------------------------- latency histogram (ns) -- */
/*
 * Log-bucketed histogram (HdrHistogram-like, 2^GOC_LAT_SUB_BITS linear
 * sub-buckets per power of two): values below 2^GOC_LAT_SUB_BITS are exact,
 * larger ones have a relative error below 2^-GOC_LAT_SUB_BITS (~3%).
 * Fixed size (~15 KiB), no allocation: one per task, owned by it (no
 * synchronisation inside); merge after joining the tasks.
 */
#define GOC_LAT_SUB_BITS 5
#define GOC_LAT_SUB (1u << GOC_LAT_SUB_BITS)
#define GOC_LAT_BUCKETS ((64 - GOC_LAT_SUB_BITS + 1) * GOC_LAT_SUB)

typedef struct goc_lat_hist {
    uint64_t count;
    uint64_t min, max; /* exact */
    double sum;        /* for the mean */
    uint64_t bucket[GOC_LAT_BUCKETS];
} goc_lat_hist;

void goc_lat_reset(goc_lat_hist *h);

static inline unsigned goc_lat_index(uint64_t v) {
    if (v < GOC_LAT_SUB) return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - GOC_LAT_SUB_BITS;
    return (shift + 1) * GOC_LAT_SUB + (unsigned)((v >> shift) & (GOC_LAT_SUB - 1));
}

static inline void goc_lat_record(goc_lat_hist *h, int64_t ns) {
    uint64_t v = ns < 0 ? 0 : (uint64_t)ns;
    h->bucket[goc_lat_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (h->count == 1 || v < h->min) h->min = v;
    if (v > h->max) h->max = v;
}

/* dst += src. */
void goc_lat_merge(goc_lat_hist *dst, const goc_lat_hist *src);
/* The q-quantile (0 <= q <= 1) in ns: the midpoint of the bucket holding the
 * ceil(q*count)-th value, clamped to [min, max] (the first and last values
 * are exact: min and max); 0 for an empty histogram. */
double goc_lat_quantile(const goc_lat_hist *h, double q);
/* Exports p50_ns, p99_ns, p99.9_ns, max_ns and mean_ns as counters of st. */
void goc_lat_export(const goc_lat_hist *h, goc_bench_state *st);

#ifdef __cplusplus
}
#endif
#endif /* GOC_BENCH_H */
