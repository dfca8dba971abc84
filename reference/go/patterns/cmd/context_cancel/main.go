// context_cancel: the Go original of patterns/context_cancel.c.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"goc/reference/patterns"
)

func main() {
	scale := flag.Float64("time-scale", 1, "multiplies every sleep and timeout")
	quiet := flag.Bool("quiet", false, "no per-job output")
	workers := flag.Int("workers", 3, "workers")
	jobs := flag.Int("jobs", 10, "jobs")
	jobMs := flag.Int("job-ms", 500, "work per job (ms)")
	timeoutMs := flag.Int("timeout-ms", 2000, "context timeout (ms)")
	flag.Parse()
	out := os.Stdout
	if *quiet {
		out = nil
	}
	r := patterns.ContextCancel(time.Duration(*timeoutMs)*time.Millisecond, *workers, *jobs,
		time.Duration(*jobMs)*time.Millisecond, *scale, writer(out))
	fmt.Printf("%d jobs processed, %d left, %d of %d workers cancelled after %.0f ms (%v); live goroutines: %d\n",
		r.Processed, r.Left, r.Cancelled, *workers, float64(r.Elapsed)/1e6, r.Err, runtime.NumGoroutine())
	if r.Cancelled != *workers || r.Processed+r.Left != *jobs {
		os.Exit(1)
	}
}
