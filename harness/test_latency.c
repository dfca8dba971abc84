/*
 * test_latency.c: self-test of the benchmark shim and the latency histogram
 * (CTest: test_bench_shim-<backend>). Each "benchmark" checks one property
 * and reports an error when it does not hold; the shim then exits 1.
 *
 *   LatHist/accuracy   quantiles of a known distribution within the bucket
 *                      resolution (2^-5 relative), exact below 32, min/max/
 *                      merge/empty histogram; also times goc_lat_record
 *   Shim/args:3:7      goc_bench_arg_get returns the instance's arguments,
 *                      0 out of range; goc_bench_data passes the pointer
 *   Shim/batch         begin/end around tasks: every iteration accounted
 *   Planted/failure    always reports an error: run alone by the CTest
 *                      test_bench_shim_planted-<b>, which must fail (exit 1),
 *                      proving that a failed self-check fails the binary
 */
#include <goc/goc.h>

#include "goc_bench.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

static bool near(double got, double want, double rel) {
    return fabs(got - want) <= rel * want + 0.5;
}

static void bm_hist(goc_bench_state *st) {
    goc_lat_hist *a = malloc(sizeof *a), *b = malloc(sizeof *b), *e = malloc(sizeof *e);
    if (!a || !b || !e) {
        goc_bench_error(st, "out of memory");
        free(a); free(b); free(e);
        return;
    }
    goc_lat_reset(a);
    goc_lat_reset(b);
    goc_lat_reset(e);
    /* 1..100000 once each, split over two histograms, then merged */
    for (int64_t v = 1; v <= 100000; v++) goc_lat_record(v % 2 ? a : b, v);
    goc_lat_merge(a, b);
    const double qs[] = {0.5, 0.9, 0.99, 0.999};
    const char *bad = NULL;
    double got = 0, want = 0;
    for (size_t i = 0; i < sizeof qs / sizeof qs[0] && !bad; i++) {
        want = ceil(qs[i] * 100000);
        got = goc_lat_quantile(a, qs[i]);
        if (!near(got, want, 1.0 / GOC_LAT_SUB)) bad = "quantile";
    }
    if (!bad && (a->count != 100000 || a->min != 1 || a->max != 100000)) bad = "count/min/max";
    if (!bad && goc_lat_quantile(e, 0.5) != 0) bad = "empty histogram";
    /* exact below GOC_LAT_SUB */
    goc_lat_reset(b);
    for (int64_t v = 0; v < GOC_LAT_SUB; v++) goc_lat_record(b, v);
    if (!bad && goc_lat_quantile(b, 0.5) != GOC_LAT_SUB / 2 - 1) bad = "small values";
    /* extremes: negative clamps to 0, INT64_MAX lands in the last bucket */
    goc_lat_record(e, -5);
    goc_lat_record(e, INT64_MAX);
    if (!bad && (e->min != 0 || e->max != (uint64_t)INT64_MAX ||
                 goc_lat_quantile(e, 1.0) != (double)INT64_MAX))
        bad = "extremes";

    /* the timed part: the cost of one record */
    int64_t v = 1;
    while (goc_bench_keep_running(st)) {
        goc_lat_record(b, v);
        v = v * 3 % 1000003;
    }
    if (bad)
        goc_bench_error(st, "%s: got %.1f, want %.1f", bad, got, want);
    free(a);
    free(b);
    free(e);
}

static int marker;

static void bm_args(goc_bench_state *st) {
    while (goc_bench_keep_running(st)) {
    }
    if (goc_bench_arg_get(st, 0) != 3 || goc_bench_arg_get(st, 1) != 7 ||
        goc_bench_arg_get(st, 2) != 0 || goc_bench_data(st) != &marker)
        goc_bench_error(st, "args %lld %lld %lld data %p", (long long)goc_bench_arg_get(st, 0),
                        (long long)goc_bench_arg_get(st, 1), (long long)goc_bench_arg_get(st, 2),
                        goc_bench_data(st));
}

static atomic_int_fast64_t batch_sum; /* relaxed: read after wg_wait */

typedef struct {
    goc_wg *wg;
    int64_t n;
} batch_arg;

static void batch_task(void *p) {
    batch_arg *a = p;
    for (int64_t i = 0; i < a->n; i++)
        atomic_fetch_add_explicit(&batch_sum, 1, memory_order_relaxed);
    goc_wg_done(a->wg);
}

static void bm_batch(goc_bench_state *st) {
    int64_t n = goc_bench_max_iterations(st);
    batch_arg a = {goc_wg_make(), n};
    if (!a.wg) { goc_bench_error(st, "goc_wg_make failed"); return; }
    atomic_store_explicit(&batch_sum, 0, memory_order_relaxed);
    goc_bench_begin(st);
    goc_wg_add(a.wg, 1);
    int e = goc_go(batch_task, &a);
    if (e) goc_wg_done(a.wg);
    goc_wg_wait(a.wg, GOC_NEVER);
    goc_bench_end(st);
    if (e)
        goc_bench_error(st, "goc_go: %s", goc_strerror(e));
    else if (atomic_load_explicit(&batch_sum, memory_order_relaxed) != n)
        goc_bench_error(st, "task counted %lld, want %lld",
                        (long long)atomic_load_explicit(&batch_sum, memory_order_relaxed),
                        (long long)n);
    goc_wg_free(a.wg);
}

static void bm_planted(goc_bench_state *st) {
    GOC_BENCH_FOR(st) {
    }
    goc_bench_error(st, "planted failure (expected)");
    if (!goc_bench_failed(st)) abort();
}

GOC_BENCH_INIT(register_shim_tests) {
    static const char *const names[] = {"a", "b"};
    goc_bench_register("LatHist/accuracy", bm_hist);
    goc_bench *b = goc_bench_register("Shim/args", bm_args);
    goc_bench_arg_names(b, 2, names);
    GOC_BENCH_ARGS(b, 3, 7);
    goc_bench_set_data(b, &marker);
    goc_bench_use_real_time(goc_bench_register("Shim/batch", bm_batch));
    goc_bench_register("Planted/failure", bm_planted);
    /* bad input is refused with a message, not a crash */
    if (goc_bench_register(NULL, bm_batch) || goc_bench_register("x", NULL)) abort();
    goc_bench_use_real_time(NULL);
}
