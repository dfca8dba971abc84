package patterns

// The pattern benchmarks of harness/bench_patterns.c in Go: same names,
// same workloads, zero simulated work, one op = one item (a job, a value,
// an increment, a select), every run checked. See bench_patterns.c for the
// definition of each item.

import "testing"

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// WorkerPool: op = one job through the article's pool (3 workers, jobs
// and results of cap 100, runs of up to 100 jobs, corrected: jobs closed).
func BenchmarkWorkerPool(b *testing.B) {
	for done := 0; done < b.N; {
		k := min(100, b.N-done)
		r := WorkerPool(3, k, 0, 100, 1, nil)
		if r.Results != k || r.Sum != int64(k)*int64(k+1) || r.Bad != 0 {
			b.Fatalf("WorkerPool: %d results, sum %d, want %d, %d", r.Results, r.Sum, k, k*(k+1))
		}
		done += k
	}
}

// FanOutFanIn: op = one value through gen -> fanOut -> fanIn (arriving
// twice), unbuffered channels, one pipeline for all b.N values.
func BenchmarkFanOutFanIn(b *testing.B) {
	n := int64(b.N)
	r := FanOutFanIn(n, 0, nil)
	if r.Received != 2*n || r.Sum != n*(n+1) || r.MultisetErrors != 0 || r.ClosedInputs != 2 {
		b.Fatalf("FanOutFanIn: %+v", r)
	}
}

// ContextCancel: op = one job; runs of 10 jobs on 3 workers under a fresh
// WithCancel context, cancelled once all are acknowledged.
func BenchmarkContextCancel(b *testing.B) {
	for done := 0; done < b.N; {
		k := min(10, b.N-done)
		r := ContextCancel(0, 3, k, 0, 1, nil)
		if r.Processed != k || r.Cancelled != 3 || r.Left != 0 {
			b.Fatalf("ContextCancel: %+v", r)
		}
		done += k
	}
}

func benchCounter(b *testing.B, variant int) {
	for done := 0; done < b.N; {
		k := min(1000, b.N-done)
		v, err := Counter(variant, k)
		if err != nil || v != k {
			b.Fatalf("Counter: %d, want %d (%v)", v, k, err)
		}
		done += k
	}
}

// CounterMutex / CounterChanLock: op = one goroutine incrementing once;
// runs of up to 1000 goroutines (the article's program).
func BenchmarkCounterMutex(b *testing.B)    { benchCounter(b, CounterMutex) }
func BenchmarkCounterChanLock(b *testing.B) { benchCounter(b, CounterChanLock) }

// SelectTimeout: op = one select over two answer channels and a 3 s timer
// that receives an answer; runs of two (two answering goroutines).
func BenchmarkSelectTimeout(b *testing.B) {
	for done := 0; done < b.N; done += 2 {
		r := SelectTimeout(0, 0, 3e9, 1, nil)
		if r.Received != 2 || r.Timeouts != 0 {
			b.Fatalf("SelectTimeout: %+v", r)
		}
	}
}
