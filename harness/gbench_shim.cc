// gbench_shim.cc: the C API of harness/goc_bench.h over Google Benchmark
// 1.7.1, the shared main() of every benchmark binary, and the latency
// histogram helpers. Backend independent: it calls only goc_main() and
// goc_backend_name() from goc.h, so one object serves every backend.
//
// Threads and the mailbox
// -----------------------
// gbench's runner runs on the process's main thread (large stack for its
// std::regex, reporters and flag parsing). A helper OS thread runs
// goc_main(root_loop) for the whole process. For each run of a benchmark,
// gbench calls trampoline() on the main thread, which hands the body to the
// root task through `mbox` and waits until the root task reports it done:
//
//     main thread (gbench)             helper thread (root task of goc_main)
//     lock; job = body; phase = RUN    wait until phase == RUN
//     signal; wait until phase == DONE body(st)        <- may spawn/block
//                                      lock; phase = DONE; signal
//     phase = IDLE; unlock
//
// Invariants of `mbox` (every field guarded by mbox.mu):
//   phase == IDLE  no body is running; job/state are stale;
//   phase == RUN   job/state describe the body the root task must run, or
//                  are being run; only the root task changes phase then;
//   phase == DONE  the body returned; only the main thread changes phase;
//   phase == QUIT  the root task must return from goc_main.
// The mutex hand-offs order every access to the benchmark::State: the main
// thread's writes before RUN happen before the body, and the body's writes
// happen before the main thread reads the results after DONE.
#include "goc_bench.h"

#include <benchmark/benchmark.h>
#include <goc/goc.h>

#include <pthread.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

struct goc_bench {
    benchmark::internal::Benchmark *b;
    goc_bench_fn fn;
    void *data;
    std::string name;
    size_t nargs; // arguments per instance (the last Arg/Args call)
};

struct goc_bench_state {
    benchmark::State *s;
    goc_bench *fam;
    bool begun;
    bool ended;
    int64_t cpu0, sys0; // process CPU time (user + system, system) at begin, ns
};

namespace {

// Runs that reported an error, over the whole process. Relaxed: read only
// after the helper thread was joined (the join orders it).
std::atomic<int> g_errors{0};

enum class Phase { IDLE, RUN, DONE, QUIT };

struct Mailbox {
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    Phase phase = Phase::IDLE;     // guarded by mu
    goc_bench_state *st = nullptr; // guarded by mu (valid while RUN)
    bool root_gone = false;        // guarded by mu: goc_main has returned
};
Mailbox mbox;

void run_body(goc_bench_state *st) {
    st->fam->fn(st);
    benchmark::State &s = *st->s;
    if (st->begun && !st->ended && !s.error_occurred()) goc_bench_end(st);
    // gbench aborts the process if a body returns before accounting its
    // iterations; turn that into a reported error instead.
    if (!s.error_occurred() && s.iterations() < s.max_iterations)
        goc_bench_error(st, "benchmark body returned before running its %lld iterations",
                        (long long)s.max_iterations);
}

void root_loop(void *) {
    pthread_mutex_lock(&mbox.mu);
    for (;;) {
        while (mbox.phase != Phase::RUN && mbox.phase != Phase::QUIT)
            pthread_cond_wait(&mbox.cv, &mbox.mu);
        if (mbox.phase == Phase::QUIT) break;
        goc_bench_state *st = mbox.st;
        pthread_mutex_unlock(&mbox.mu);
        run_body(st);
        pthread_mutex_lock(&mbox.mu);
        mbox.phase = Phase::DONE;
        pthread_cond_broadcast(&mbox.cv);
    }
    pthread_mutex_unlock(&mbox.mu);
}

int g_main_rc = 0; // written by the helper thread, read after join

void *helper_thread(void *) {
    g_main_rc = goc_main(root_loop, nullptr);
    // Normally after QUIT; if goc_main failed to start, no body will ever
    // run: tell a waiting trampoline so that it reports instead of hanging.
    pthread_mutex_lock(&mbox.mu);
    mbox.root_gone = true;
    pthread_cond_broadcast(&mbox.cv);
    pthread_mutex_unlock(&mbox.mu);
    return nullptr;
}

void trampoline(benchmark::State &s, goc_bench *fam) {
    goc_bench_state st{&s, fam, false, false, 0, 0};
    pthread_mutex_lock(&mbox.mu);
    mbox.st = &st;
    mbox.phase = Phase::RUN;
    pthread_cond_broadcast(&mbox.cv);
    while (mbox.phase != Phase::DONE && !mbox.root_gone) pthread_cond_wait(&mbox.cv, &mbox.mu);
    bool ran = mbox.phase == Phase::DONE;
    mbox.phase = Phase::IDLE;
    mbox.st = nullptr;
    pthread_mutex_unlock(&mbox.mu);
    if (!ran) goc_bench_error(&st, "goc_main is not running (returned %d)", g_main_rc);
}

// Every registered family, owned for the process lifetime (freed at exit,
// after gbench's Shutdown; gbench only holds raw pointers in its lambdas).
// A function-local static: registration runs from constructors, before any
// namespace-scope object of this file is guaranteed to exist.
std::vector<std::unique_ptr<goc_bench>> &families() {
    static std::vector<std::unique_ptr<goc_bench>> all;
    return all;
}

benchmark::TimeUnit unit_of(char u) {
    switch (u) {
    case 'u': return benchmark::kMicrosecond;
    case 'm': return benchmark::kMillisecond;
    case 's': return benchmark::kSecond;
    default: return benchmark::kNanosecond;
    }
}

} // namespace

// Set by an adapter build (harness/goc_vtbl.h) to mark its records
// ("pthread-vtbl"); absent otherwise.
extern "C" const char *goc_bench_backend_suffix __attribute__((weak));

extern "C" {

goc_bench *goc_bench_register(const char *name, goc_bench_fn fn) {
    if (!name || !*name || !fn) {
        std::fprintf(stderr, "goc_bench_register: NULL or empty name/function\n");
        return nullptr;
    }
    families().emplace_back(new goc_bench{nullptr, fn, nullptr, name, 0});
    goc_bench *fam = families().back().get();
    fam->b = benchmark::RegisterBenchmark(
        fam->name.c_str(), [fam](benchmark::State &s) { trampoline(s, fam); });
    return fam;
}

goc_bench *goc_bench_arg(goc_bench *b, int64_t a) {
    if (b) {
        b->b->Arg(a);
        b->nargs = 1;
    }
    return b;
}

goc_bench *goc_bench_args(goc_bench *b, size_t n, const int64_t *args) {
    if (b && args && n) {
        b->b->Args(std::vector<int64_t>(args, args + n));
        b->nargs = n;
    }
    return b;
}

goc_bench *goc_bench_arg_names(goc_bench *b, size_t n, const char *const *names) {
    if (!b || !names) return b;
    std::vector<std::string> v;
    for (size_t i = 0; i < n; i++) v.emplace_back(names[i] ? names[i] : "");
    b->b->ArgNames(v);
    return b;
}

goc_bench *goc_bench_use_real_time(goc_bench *b) {
    if (b) b->b->UseRealTime();
    return b;
}

goc_bench *goc_bench_iterations(goc_bench *b, int64_t n) {
    if (b && n > 0) b->b->Iterations(n);
    return b;
}

goc_bench *goc_bench_min_time(goc_bench *b, double seconds) {
    if (b && seconds > 0) b->b->MinTime(seconds);
    return b;
}

goc_bench *goc_bench_unit(goc_bench *b, char unit) {
    if (b) b->b->Unit(unit_of(unit));
    return b;
}

goc_bench *goc_bench_set_data(goc_bench *b, void *data) {
    if (b) b->data = data;
    return b;
}

bool goc_bench_keep_running(goc_bench_state *st) { return st->s->KeepRunning(); }

int64_t goc_bench_max_iterations(const goc_bench_state *st) {
    return (int64_t)st->s->max_iterations;
}

// CPU time of the whole process (every thread: the tasks, the backend's
// idle workers and timer threads), user + system and system alone, in ns.
// getrusage has microsecond resolution; a run is >= 10 ms of wall time.
static void process_cpu_ns(int64_t *cpu, int64_t *sys) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        *cpu = *sys = -1;
        return;
    }
    *sys = (int64_t)ru.ru_stime.tv_sec * 1000000000 + (int64_t)ru.ru_stime.tv_usec * 1000;
    *cpu = (int64_t)ru.ru_utime.tv_sec * 1000000000 + (int64_t)ru.ru_utime.tv_usec * 1000 + *sys;
}

void goc_bench_begin(goc_bench_state *st) {
    if (st->begun) return;
    st->begun = true;
    process_cpu_ns(&st->cpu0, &st->sys0); // before the timer starts
    // Starts the timer and accounts every iteration at once (returns false
    // only when an error was reported before; then there is nothing to time).
    (void)st->s->KeepRunningBatch(st->s->max_iterations);
}

void goc_bench_end(goc_bench_state *st) {
    if (!st->begun || st->ended) return;
    st->ended = true;
    if (st->s->error_occurred()) return;
    // No iterations left: this call stops the timer and returns false.
    while (st->s->KeepRunningBatch(1)) {
    }
    // CPU time per iteration beside the wall time (spinning is not free):
    // cpu_ns = (user + system) / iterations, sys_ns = system / iterations,
    // over the process, from begin to here. While a body runs, gbench's own
    // thread sleeps on a condition variable (the trampoline), so the time
    // is the backend's: the tasks plus whatever its idle threads burn.
    int64_t cpu, sys;
    process_cpu_ns(&cpu, &sys);
    int64_t n = (int64_t)st->s->max_iterations;
    if (cpu >= 0 && st->cpu0 >= 0 && n > 0) {
        goc_bench_counter(st, "cpu_ns", (double)(cpu - st->cpu0) / (double)n, GOC_CTR_DEFAULT);
        goc_bench_counter(st, "sys_ns", (double)(sys - st->sys0) / (double)n, GOC_CTR_DEFAULT);
    }
}

int64_t goc_bench_arg_get(const goc_bench_state *st, size_t i) {
    // State::range() only asserts the index; check it here.
    return i < st->fam->nargs ? (int64_t)st->s->range(i) : 0;
}

void *goc_bench_data(const goc_bench_state *st) { return st->fam->data; }

void goc_bench_pause(goc_bench_state *st) {
    if (!st->s->error_occurred()) st->s->PauseTiming();
}

void goc_bench_resume(goc_bench_state *st) {
    if (!st->s->error_occurred()) st->s->ResumeTiming();
}

void goc_bench_set_items_processed(goc_bench_state *st, int64_t items) {
    st->s->SetItemsProcessed(items);
}

void goc_bench_set_bytes_processed(goc_bench_state *st, int64_t bytes) {
    st->s->SetBytesProcessed(bytes);
}

void goc_bench_set_label(goc_bench_state *st, const char *label) {
    if (label) st->s->SetLabel(label);
}

void goc_bench_counter(goc_bench_state *st, const char *name, double value, unsigned flags) {
    if (!name) return;
    int f = benchmark::Counter::kDefaults;
    if (flags & GOC_CTR_RATE) f |= benchmark::Counter::kIsRate;
    if (flags & GOC_CTR_AVG_ITERATIONS) f |= benchmark::Counter::kAvgIterations;
    if (flags & GOC_CTR_INVERT) f |= benchmark::Counter::kInvert;
    if (flags & GOC_CTR_ITERATION_INVARIANT) f |= benchmark::Counter::kIsIterationInvariant;
    st->s->counters[name] = benchmark::Counter(value, (benchmark::Counter::Flags)f);
}

void goc_bench_error(goc_bench_state *st, const char *fmt, ...) {
    if (st->s->error_occurred()) return; // the first error is the one reported
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(msg, sizeof msg, fmt ? fmt : "error", ap);
    va_end(ap);
    std::fprintf(stderr, "goc_bench: %s [%s]: %s\n", st->fam->name.c_str(),
                 goc_backend_name(), msg);
    g_errors.fetch_add(1, std::memory_order_relaxed);
    st->s->SkipWithError(msg); // copies msg
}

bool goc_bench_failed(const goc_bench_state *st) { return st->s->error_occurred(); }

int goc_bench_error_count(void) { return g_errors.load(std::memory_order_relaxed); }

// ---------------------------------------------------- latency histogram --

void goc_lat_reset(goc_lat_hist *h) { std::memset(h, 0, sizeof *h); }

void goc_lat_merge(goc_lat_hist *dst, const goc_lat_hist *src) {
    if (!src->count) return;
    if (!dst->count || src->min < dst->min) dst->min = src->min;
    if (src->max > dst->max) dst->max = src->max;
    dst->count += src->count;
    dst->sum += src->sum;
    for (unsigned i = 0; i < GOC_LAT_BUCKETS; i++) dst->bucket[i] += src->bucket[i];
}

// Bucket i holds [lo(i), lo(i+1)).
static double lat_bucket_lo(unsigned i) {
    if (i < GOC_LAT_SUB) return (double)i;
    unsigned shift = i / GOC_LAT_SUB - 1;
    unsigned sub = i % GOC_LAT_SUB;
    return std::ldexp((double)(GOC_LAT_SUB + sub), (int)shift);
}

double goc_lat_quantile(const goc_lat_hist *h, double q) {
    if (!h->count) return 0;
    q = std::min(1.0, std::max(0.0, q));
    uint64_t rank = (uint64_t)std::ceil(q * (double)h->count);
    if (rank <= 1) return (double)h->min; // the extremes are known exactly
    if (rank >= h->count) return (double)h->max;
    uint64_t seen = 0;
    for (unsigned i = 0; i < GOC_LAT_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            double lo = lat_bucket_lo(i);
            double hi = (i + 1 < GOC_LAT_BUCKETS) ? lat_bucket_lo(i + 1) : lo;
            double mid = i < GOC_LAT_SUB ? lo : (lo + hi) / 2;
            return std::min((double)h->max, std::max((double)h->min, mid));
        }
    }
    return (double)h->max;
}

void goc_lat_export(const goc_lat_hist *h, goc_bench_state *st) {
    goc_bench_counter(st, "p50_ns", goc_lat_quantile(h, 0.50), GOC_CTR_DEFAULT);
    goc_bench_counter(st, "p99_ns", goc_lat_quantile(h, 0.99), GOC_CTR_DEFAULT);
    goc_bench_counter(st, "p99.9_ns", goc_lat_quantile(h, 0.999), GOC_CTR_DEFAULT);
    goc_bench_counter(st, "max_ns", (double)h->max, GOC_CTR_DEFAULT);
    goc_bench_counter(st, "mean_ns", h->count ? h->sum / (double)h->count : 0, GOC_CTR_DEFAULT);
}

} // extern "C"

int main(int argc, char **argv) {
    // A warm-up before each benchmark's first repetition (gbench's
    // --benchmark_min_warmup_time, put first so that one given on the
    // command line wins; GOC_BENCH_WARMUP=seconds, 0 = none, default 0.05).
    // Without it, gbench's iteration estimate could report a trial that paid
    // the process's first-use costs: the first run of 1000 tasks on coro
    // touches ~1000 fresh stack pages, a first touch of a page costs 20-60
    // us on the 2-core VM (backends/coro/README.md "Stacks"), and that trial
    // (20-95 ms) could pass --benchmark_min_time=0.05 and be taken as the
    // measurement: CounterMutex 60-95 us/item instead of 0.2-0.4 in about
    // one fresh run in three. Go's ramp-up (b.N = 1, then predicted) warms
    // the same way before its measured run. Not with GOC_BENCH_ITERATIONS:
    // instruction counts must stay those of the measured work. (The flag,
    // not MinWarmUpTime(), which would rename every benchmark.)
    std::vector<char *> args(argv, argv + argc);
    std::string warm_flag;
    if (!std::getenv("GOC_BENCH_ITERATIONS")) {
        const char *w = std::getenv("GOC_BENCH_WARMUP");
        char *end = nullptr;
        double warm = w ? std::strtod(w, &end) : 0.05;
        if (w && (!*w || *end || !(warm >= 0))) {
            std::fprintf(stderr, "goc_bench: GOC_BENCH_WARMUP must be seconds >= 0, not '%s'\n", w);
            return 2;
        }
        if (warm > 0) {
            warm_flag = "--benchmark_min_warmup_time=" + std::to_string(warm);
            args.insert(args.begin() + (argc > 0 ? 1 : 0), &warm_flag[0]);
        }
    }
    argc = (int)args.size();
    args.push_back(nullptr);
    argv = args.data();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    // GOC_BENCH_ITERATIONS=N fixes every benchmark's iteration count (for
    // instruction counting under valgrind, where runs must be identical).
    if (const char *it = std::getenv("GOC_BENCH_ITERATIONS")) {
        char *end = nullptr;
        long long n = std::strtoll(it, &end, 10);
        if (!*it || *end || n <= 0) {
            std::fprintf(stderr, "goc_bench: GOC_BENCH_ITERATIONS must be a positive integer, not '%s'\n", it);
            return 2;
        }
        for (auto &f : families()) f->b->Iterations(n);
    }
    std::string backend = goc_backend_name();
    if (&goc_bench_backend_suffix && goc_bench_backend_suffix) backend += goc_bench_backend_suffix;
    benchmark::AddCustomContext("goc_backend", backend);

    pthread_t helper;
    int e = pthread_create(&helper, nullptr, helper_thread, nullptr);
    if (e) {
        std::fprintf(stderr, "goc_bench: cannot start the goc_main thread: %s\n", std::strerror(e));
        return 2;
    }
    benchmark::RunSpecifiedBenchmarks();

    pthread_mutex_lock(&mbox.mu);
    mbox.phase = Phase::QUIT;
    pthread_cond_broadcast(&mbox.cv);
    pthread_mutex_unlock(&mbox.mu);
    pthread_join(helper, nullptr);
    benchmark::Shutdown();

    if (g_main_rc != 0) {
        std::fprintf(stderr, "goc_bench: goc_main returned %d (%s)\n", g_main_rc,
                     goc_strerror(g_main_rc));
        return 2;
    }
    int errors = goc_bench_error_count();
    if (errors) {
        std::fprintf(stderr, "goc_bench: %d benchmark run(s) failed their self-check\n", errors);
        return 1;
    }
    return 0;
}
