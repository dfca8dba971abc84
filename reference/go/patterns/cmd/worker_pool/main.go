// worker_pool: the Go original of patterns/worker_pool.c.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"goc/reference/patterns"
)

func main() {
	scale := flag.Float64("time-scale", 1, "multiplies every sleep")
	quiet := flag.Bool("quiet", false, "no per-job output")
	workers := flag.Int("workers", 3, "workers")
	jobs := flag.Int("jobs", 9, "jobs")
	workMs := flag.Int("work-ms", 100, "simulated work per job (ms)")
	c := flag.Int("cap", 100, "jobs and results capacity")
	flag.Parse()
	out := os.Stdout
	if *quiet {
		out = nil
	}
	r := patterns.WorkerPool(*workers, *jobs, time.Duration(*workMs)*time.Millisecond, *c, *scale, writer(out))
	want := int64(*jobs) * int64(*jobs+1)
	fmt.Printf("%d results, sum %d (expected %d), took %.1f ms on go\n", r.Results, r.Sum, want, float64(r.Elapsed)/1e6)
	if r.Results != *jobs || r.Sum != want || r.Bad != 0 {
		os.Exit(1)
	}
}
