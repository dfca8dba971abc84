// Package scaling is harness/bench_scaling.c in Go: throughput against the
// number of goroutines, same names, same capacities, same job, 8-byte
// (uint64) messages. scripts/stage_scaling.sh runs it with
// -test.benchtime=100000x (ScalingMPMC) and 10000x (ScalingWorkerPool), the
// fixed iteration counts of the C side, at GOMAXPROCS=1 and =cores.
// Goroutines are started before b.ResetTimer() and wait on a gate that is
// closed once the timer runs. Every benchmark checks counts and sums.
// Standard library only.
package scaling

import (
	"strconv"
	"sync"
	"testing"
	"time"
)

const jobRounds = 2048

// job: jobRounds rounds of xorshift64, as in bench_scaling.c.
func job(x uint64) uint64 {
	x = x*0x9E3779B97F4A7C15 + 1
	for i := 0; i < jobRounds; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func share(n uint64, k, i int) uint64 {
	r := n / uint64(k)
	if uint64(i) < n%uint64(k) {
		r++
	}
	return r
}

func sizes() []int { return []int{1, 2, 4, 8, 16} }

func BenchmarkScalingMPMC(b *testing.B) {
	for _, p := range sizes() {
		p := p
		b.Run("producers:"+strconv.Itoa(p), func(b *testing.B) {
			n := uint64(b.N)
			gate := make(chan struct{})
			ch := make(chan uint64, 128)
			var prod, all sync.WaitGroup
			sent := make([]uint64, p)
			got := make([]uint64, p)
			sums := make([]uint64, p)
			first := uint64(0)
			for i := 0; i < p; i++ {
				k, f, i := share(n, p, i), first, i
				first += k
				prod.Add(1)
				all.Add(1)
				go func() {
					<-gate
					for j := uint64(1); j <= k; j++ {
						ch <- f + j
						sent[i]++
					}
					prod.Done()
					all.Done()
				}()
			}
			for i := 0; i < p; i++ {
				i := i
				all.Add(1)
				go func() {
					<-gate
					for v := range ch {
						got[i]++
						sums[i] += v
					}
					all.Done()
				}()
			}
			b.ResetTimer()
			t0 := time.Now()
			close(gate)
			prod.Wait()
			close(ch)
			all.Wait()
			b.StopTimer()
			elapsed := time.Since(t0).Seconds()
			var s, g, sum uint64
			for i := 0; i < p; i++ {
				s += sent[i]
				g += got[i]
				sum += sums[i]
			}
			if s != n || g != n || sum != n*(n+1)/2 {
				b.Fatalf("sent %d, received %d, sum %d (want %d, %d)", s, g, sum, n, n*(n+1)/2)
			}
			b.ReportMetric(float64(n)/elapsed, "items_per_second")
		})
	}
}

func BenchmarkScalingWorkerPool(b *testing.B) {
	for _, w := range sizes() {
		w := w
		b.Run("workers:"+strconv.Itoa(w), func(b *testing.B) {
			n := uint64(b.N)
			var want uint64
			for i := uint64(1); i <= n; i++ {
				want += job(i)
			}
			gate := make(chan struct{})
			jobs := make(chan uint64, w)
			res := make(chan uint64, w)
			var all sync.WaitGroup
			done := make([]uint64, w)
			all.Add(1)
			go func() {
				<-gate
				for i := uint64(1); i <= n; i++ {
					jobs <- i
				}
				close(jobs)
				all.Done()
			}()
			for i := 0; i < w; i++ {
				i := i
				all.Add(1)
				go func() {
					<-gate
					for v := range jobs {
						res <- job(v)
						done[i]++
					}
					all.Done()
				}()
			}
			b.ResetTimer()
			t0 := time.Now()
			close(gate)
			var got, sum uint64
			for i := uint64(0); i < n; i++ {
				sum += <-res
				got++
			}
			all.Wait()
			b.StopTimer()
			elapsed := time.Since(t0).Seconds()
			var d uint64
			for _, x := range done {
				d += x
			}
			if got != n || d != n || sum != want {
				b.Fatalf("collected %d, workers did %d (want %d), sum ok %v", got, d, n, sum == want)
			}
			b.ReportMetric(float64(n)/elapsed, "items_per_second")
		})
	}
}
