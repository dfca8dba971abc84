// bench_worker_pool: the Go original of patterns/bench_worker_pool.c. The
// leaked goroutines are shown with a goroutine profile (Go's leak report);
// Go cannot reap them.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"goc/reference/patterns"
)

func main() {
	flag.Float64("time-scale", 1, "unused")
	quiet := flag.Bool("quiet", false, "no leak report")
	fixed := flag.Bool("fixed", false, "the corrected benchmark (jobs closed)")
	flag.Bool("leaky", true, "the article's benchmark (default)")
	n := flag.Int("n", 3, "iterations")
	flag.Parse()
	sum, leaked := patterns.BenchWorkerPool(!*fixed, *n, 3, 100, runtime.NumGoroutine)
	if leaked > 0 && !*quiet {
		fmt.Printf("go: %d goroutines leaked by %d iterations of BenchmarkWorkerPool (jobs never closed):\n", leaked, *n)
		_ = pprof.Lookup("goroutine").WriteTo(os.Stdout, 1)
	}
	want := int64(*n) * 100 * 99
	name := "as written"
	if *fixed {
		name = "corrected"
	}
	fmt.Printf("BenchmarkWorkerPool (%s, go): %d iterations, sum %d (expected %d), %d goroutines leaked, 0 reaped\n",
		name, *n, sum, want, leaked)
	_ = writer
	if sum != want {
		os.Exit(1)
	}
}
