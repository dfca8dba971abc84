// The micro catalogue of harness/bench_micro.c in Go: same names, same task
// counts, same capacities, 8-byte (uint64) messages. Names follow
// runtime/chan_test.go where one exists, but the workloads are fixed (they do
// not scale with GOMAXPROCS) so that Go at GOMAXPROCS=1 and at the core count
// runs exactly what every goc backend runs. Setup (channels, goroutines) is
// done before b.ResetTimer(); goroutines wait on a gate that is closed once
// the timer runs, after each has reported that it runs (a ready WaitGroup,
// so that goroutine start-up stays out of the timed region as in the C
// version). Every benchmark checks its counts and sums and fails
// (b.Fatalf) when they are wrong.
package reference

import (
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func tri(n uint64) uint64 { return n * (n + 1) / 2 }

// share splits n into k parts as evenly as possible: part i.
func share(n uint64, k, i int) uint64 {
	r := n / uint64(k)
	if uint64(i) < n%uint64(k) {
		r++
	}
	return r
}

// processCPU is the process's CPU time (user + system, and system alone)
// in ns, from getrusage: what the C harness reports as the cpu_ns and
// sys_ns counters (harness/gbench_shim.cc), so that spinning shows.
func processCPU() (cpu, sys int64) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return -1, -1
	}
	sys = ru.Stime.Nano()
	return ru.Utime.Nano() + sys, sys
}

// cpuSpan measures the timed region's CPU time: start it after
// b.ResetTimer, report after b.StopTimer (cpu_ns and sys_ns per op).
type cpuSpan struct{ cpu0, sys0 int64 }

func startCPU() cpuSpan { c, s := processCPU(); return cpuSpan{c, s} }

func (c cpuSpan) report(b *testing.B) {
	cpu, sys := processCPU()
	if cpu < 0 || c.cpu0 < 0 || b.N <= 0 {
		return
	}
	b.ReportMetric(float64(cpu-c.cpu0)/float64(b.N), "cpu_ns")
	b.ReportMetric(float64(sys-c.sys0)/float64(b.N), "sys_ns")
}

// ----------------------------------------------------------- ChanSync --

func runChanSync(b *testing.B, timed bool) {
	n := b.N
	ping := make(chan uint64)
	pong := make(chan uint64)
	var h *latHist
	if timed {
		h = &latHist{}
	}
	done := make(chan uint64, 1)
	var ready sync.WaitGroup
	ready.Add(1)
	go func() {
		ready.Done()
		var cnt uint64
		for i := 0; i < n; i++ {
			v := <-ping
			pong <- v + 1
			cnt++
		}
		done <- cnt
	}()
	var sum, got uint64
	ready.Wait()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < n; i++ {
		var t0 time.Time
		if timed {
			t0 = time.Now()
		}
		ping <- uint64(i)
		w := <-pong
		if timed {
			h.record(int64(time.Since(t0)))
		}
		sum += w
		got++
	}
	b.StopTimer()
	cpu.report(b)
	echoed := <-done
	if got != uint64(n) || echoed != uint64(n) || sum != tri(uint64(n)) {
		b.Fatalf("round trips %d/%d (want %d), sum %d (want %d)", got, echoed, n, sum, tri(uint64(n)))
	}
	if timed {
		h.report(b)
	}
}

func BenchmarkChanSync(b *testing.B)        { runChanSync(b, false) }
func BenchmarkChanSyncLatency(b *testing.B) { runChanSync(b, true) }

// ---------------------------------------------- producers / consumers --

type taskRes struct {
	count, sum uint64
}

const (
	termClose = iota
	termSentinel
)

// Every task gets its own 1 h timer, made before the timer starts (used by
// the SelectProdCons tasks only, stopped after the run).
type prodFn func(ch chan uint64, quit chan struct{}, gate chan struct{}, timer *time.Timer, base, n uint64, r *taskRes)
type consFn func(ch chan uint64, quit chan struct{}, gate chan struct{}, timer *time.Timer, r *taskRes)

// The tasks below start with <-gate; their wrappers in runProdCons call
// ready.Done() just before.

func producer(ch chan uint64, quit chan struct{}, gate chan struct{}, timer *time.Timer, base, n uint64, r *taskRes) {
	<-gate
	for i := uint64(1); i <= n; i++ {
		v := base + i
		ch <- v
		r.count++
		r.sum += v
	}
}

func producerSentinel(ch chan uint64, quit chan struct{}, gate chan struct{}, timer *time.Timer, base, n uint64, r *taskRes) {
	producer(ch, quit, gate, timer, base, n, r)
	ch <- 0
}

func consumer(ch chan uint64, quit chan struct{}, gate chan struct{}, timer *time.Timer, r *taskRes) {
	<-gate
	for v := range ch {
		r.count++
		r.sum += v
	}
}

func consumerSentinel(ch chan uint64, quit chan struct{}, gate chan struct{}, timer *time.Timer, r *taskRes) {
	<-gate
	for {
		v := <-ch
		if v == 0 {
			return
		}
		r.count++
		r.sum += v
	}
}

// SelectProdCons: 3-case selects {data, a 1 h timer that never fires, quit}.
func selectProducer(ch chan uint64, quit chan struct{}, gate chan struct{}, timer *time.Timer, base, n uint64, r *taskRes) {
	<-gate
	for i := uint64(1); i <= n; i++ {
		v := base + i
		select {
		case ch <- v:
		case <-timer.C:
			panic("timer fired")
		case <-quit:
			panic("quit fired")
		}
		r.count++
		r.sum += v
	}
	ch <- 0
}

func selectConsumer(ch chan uint64, quit chan struct{}, gate chan struct{}, timer *time.Timer, r *taskRes) {
	<-gate
	for {
		var v uint64
		select {
		case v = <-ch:
		case <-timer.C:
			panic("timer fired")
		case <-quit:
			panic("quit fired")
		}
		if v == 0 {
			return
		}
		r.count++
		r.sum += v
	}
}

func runProdCons(b *testing.B, np, nc, capacity, term int, prod prodFn, cons consFn, needTimers bool) {
	n := uint64(b.N)
	ch := make(chan uint64, capacity)
	quit := make(chan struct{})
	gate := make(chan struct{})
	res := make([]taskRes, np+nc)
	timers := make([]*time.Timer, np+nc)
	if needTimers {
		for i := range timers {
			timers[i] = time.NewTimer(time.Hour)
		}
		defer func() {
			for _, t := range timers {
				t.Stop()
			}
		}()
	}
	var prodWG, allWG, ready sync.WaitGroup
	var wantSum uint64
	for i := 0; i < np; i++ {
		k := share(n, np, i)
		base := uint64(i) << 40
		wantSum += k*base + tri(k)
		prodWG.Add(1)
		allWG.Add(1)
		ready.Add(1)
		go func(i int, base, k uint64) {
			ready.Done()
			prod(ch, quit, gate, timers[i], base, k, &res[i])
			prodWG.Done()
			allWG.Done()
		}(i, base, k)
	}
	for j := 0; j < nc; j++ {
		allWG.Add(1)
		ready.Add(1)
		go func(j int) {
			ready.Done()
			cons(ch, quit, gate, timers[np+j], &res[np+j])
			allWG.Done()
		}(j)
	}
	ready.Wait()
	b.ResetTimer()
	cpu := startCPU()
	close(gate)
	if term == termClose {
		prodWG.Wait()
		close(ch)
	}
	allWG.Wait()
	b.StopTimer()
	cpu.report(b)
	var sent, got, gsum uint64
	for i := 0; i < np; i++ {
		sent += res[i].count
	}
	for j := 0; j < nc; j++ {
		got += res[np+j].count
		gsum += res[np+j].sum
	}
	if sent != n || got != n || gsum != wantSum {
		b.Fatalf("sent %d, received %d (want %d), sum %d (want %d)", sent, got, n, gsum, wantSum)
	}
	if len(ch) != 0 {
		b.Fatalf("%d messages left in the channel", len(ch))
	}
}

func BenchmarkChanProdCons0(b *testing.B) {
	runProdCons(b, 2, 2, 0, termSentinel, producerSentinel, consumerSentinel, false)
}
func BenchmarkChanProdCons10(b *testing.B) {
	runProdCons(b, 2, 2, 10, termSentinel, producerSentinel, consumerSentinel, false)
}
func BenchmarkChanProdCons100(b *testing.B) {
	runProdCons(b, 2, 2, 100, termSentinel, producerSentinel, consumerSentinel, false)
}
func BenchmarkSelectProdCons(b *testing.B) {
	runProdCons(b, 2, 2, 128, termSentinel, selectProducer, selectConsumer, true)
}

var caps = []int{1, 16, 128, 1024}

func BenchmarkSPSC(b *testing.B) {
	for _, c := range caps {
		c := c
		b.Run(capName(c), func(b *testing.B) { runProdCons(b, 1, 1, c, termClose, producer, consumer, false) })
	}
}

func BenchmarkMPMC(b *testing.B) {
	for _, c := range caps {
		c := c
		b.Run(capName(c), func(b *testing.B) { runProdCons(b, 4, 4, c, termClose, producer, consumer, false) })
	}
}

// capName gives "cap:16", Google Benchmark's spelling of a named argument.
func capName(c int) string { return "cap:" + strconv.Itoa(c) }

// ---------------------------------------------------- ChanUncontended --

const batch = 100

func uncontendedOp(ch chan uint64, base uint64, sent, got *uint64) {
	for k := uint64(1); k <= batch; k++ {
		v := base + k
		ch <- v
		*sent += v
	}
	for k := 0; k < batch; k++ {
		*got += <-ch
	}
}

func BenchmarkChanUncontended(b *testing.B) {
	ch := make(chan uint64, batch)
	var sent, got uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		uncontendedOp(ch, uint64(i)*batch, &sent, &got)
	}
	b.StopTimer()
	if want := tri(uint64(b.N) * batch); sent != want || got != want {
		b.Fatalf("sent sum %d, received sum %d (want %d)", sent, got, want)
	}
}

const contendedTasks = 4

func BenchmarkChanContended(b *testing.B) {
	n := uint64(b.N)
	ch := make(chan uint64, batch*contendedTasks)
	gate := make(chan struct{})
	var wg, ready sync.WaitGroup
	sent := make([]uint64, contendedTasks)
	got := make([]uint64, contendedTasks)
	var done uint64
	for i := 0; i < contendedTasks; i++ {
		k := share(n, contendedTasks, i)
		base := done * batch
		done += k
		wg.Add(1)
		ready.Add(1)
		go func(i int, base, k uint64) {
			ready.Done()
			<-gate
			for j := uint64(0); j < k; j++ {
				uncontendedOp(ch, base+j*batch, &sent[i], &got[i])
			}
			wg.Done()
		}(i, base, k)
	}
	ready.Wait()
	b.ResetTimer()
	close(gate)
	wg.Wait()
	b.StopTimer()
	var s, g uint64
	for i := range sent {
		s += sent[i]
		g += got[i]
	}
	if want := tri(n * batch); s != want || g != want {
		b.Fatalf("sent sum %d, received sum %d (want %d)", s, g, want)
	}
}

// ------------------------------------------------------- ChanCreation --

func BenchmarkChanCreation(b *testing.B) {
	var sum uint64
	for i := 0; i < b.N; i++ {
		ch := make(chan uint64, 1)
		ch <- uint64(i + 1)
		sum += <-ch
	}
	if want := tri(uint64(b.N)); sum != want {
		b.Fatalf("sum %d (want %d)", sum, want)
	}
}

// ---------------------------------------------------- ChanNonblocking --

func BenchmarkChanNonblocking(b *testing.B) {
	myc := make(chan uint64)
	var wouldBlock int
	for i := 0; i < b.N; i++ {
		select {
		case <-myc:
		default:
			wouldBlock++
		}
	}
	if wouldBlock != b.N {
		b.Fatalf("%d of %d non-blocking receives would block", wouldBlock, b.N)
	}
}

// ------------------------------------------------------------ selects --

func BenchmarkSelectUncontended(b *testing.B) {
	a := make(chan uint64, 1)
	c := make(chan uint64, 1)
	a <- 0
	var fired [2]uint64
	for i := 0; i < b.N; i++ {
		select {
		case <-a:
			fired[0]++
			c <- 0
		case <-c:
			fired[1]++
			a <- 0
		}
	}
	n := uint64(b.N)
	if fired[0] != (n+1)/2 || fired[1] != n/2 {
		b.Fatalf("cases fired %d/%d times in %d selects", fired[0], fired[1], n)
	}
}

func BenchmarkSelect2Ready(b *testing.B) {
	ch := [2]chan uint64{make(chan uint64, 1), make(chan uint64, 1)}
	tag := [2]uint64{11, 22}
	ch[0] <- tag[0]
	ch[1] <- tag[1]
	var fired [2]uint64
	for i := 0; i < b.N; i++ {
		var k int
		var v uint64
		select {
		case v = <-ch[0]:
			k = 0
		case v = <-ch[1]:
			k = 1
		}
		if v != tag[k] {
			b.Fatalf("case %d received %d", k, v)
		}
		fired[k]++
		ch[k] <- tag[k]
	}
	n := uint64(b.N)
	if fired[0]+fired[1] != n {
		b.Fatalf("%d + %d selects fired, want %d", fired[0], fired[1], n)
	}
	if n >= 1000 && (fired[0] < n/4 || fired[1] < n/4) {
		b.Fatalf("unfair select: cases fired %d/%d times", fired[0], fired[1])
	}
	b.ReportMetric(float64(fired[0])/float64(n), "case0_share")
}

func BenchmarkSelectTimeout(b *testing.B) {
	ch := make(chan uint64, 1)
	var sum uint64
	for i := 0; i < b.N; i++ {
		ch <- uint64(i + 1)
		t := time.NewTimer(time.Hour)
		select {
		case w := <-ch:
			sum += w
		case <-t.C:
			b.Fatalf("timer fired")
		}
		t.Stop()
	}
	if want := tri(uint64(b.N)); sum != want {
		b.Fatalf("sum %d (want %d)", sum, want)
	}
}

// ---------------------------------------------------------- SpawnJoin --

func BenchmarkSpawnJoin(b *testing.B) {
	var wg sync.WaitGroup
	var runs uint64
	for i := 0; i < b.N; i++ {
		wg.Add(1)
		go func() {
			atomic.AddUint64(&runs, 1)
			wg.Done()
		}()
		wg.Wait()
	}
	if runs != uint64(b.N) {
		b.Fatalf("%d goroutines ran, want %d", runs, b.N)
	}
}

// -------------------------------------------------- latency histogram --

// latHist is harness/goc_bench.h's goc_lat_hist: 2^5 linear sub-buckets per
// power of two, values below 32 exact; quantiles are bucket midpoints
// clamped to [min, max], the first and last exact. Same scheme on both sides so the numbers compare.
const latSubBits = 5
const latSub = 1 << latSubBits

type latHist struct {
	count, min, max uint64
	sum             float64
	bucket          [(64 - latSubBits + 1) * latSub]uint64
}

func latIndex(v uint64) int {
	if v < latSub {
		return int(v)
	}
	msb := 63
	for v>>uint(msb) == 0 {
		msb--
	}
	shift := msb - latSubBits
	return (shift+1)*latSub + int((v>>uint(shift))&(latSub-1))
}

func latLo(i int) float64 {
	if i < latSub {
		return float64(i)
	}
	shift := i/latSub - 1
	sub := i % latSub
	return math.Ldexp(float64(latSub+sub), shift)
}

func (h *latHist) record(ns int64) {
	v := uint64(0)
	if ns > 0 {
		v = uint64(ns)
	}
	h.bucket[latIndex(v)]++
	h.count++
	h.sum += float64(v)
	if h.count == 1 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
}

func (h *latHist) quantile(q float64) float64 {
	if h.count == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.count)))
	if rank <= 1 {
		return float64(h.min) // the extremes are known exactly
	}
	if rank >= h.count {
		return float64(h.max)
	}
	var seen uint64
	for i := range h.bucket {
		seen += h.bucket[i]
		if seen >= rank {
			lo := latLo(i)
			mid := lo
			if i >= latSub && i+1 < len(h.bucket) {
				mid = (lo + latLo(i+1)) / 2
			}
			return math.Min(float64(h.max), math.Max(float64(h.min), mid))
		}
	}
	return float64(h.max)
}

func (h *latHist) report(b *testing.B) {
	b.ReportMetric(h.quantile(0.50), "p50_ns")
	b.ReportMetric(h.quantile(0.99), "p99_ns")
	b.ReportMetric(h.quantile(0.999), "p99.9_ns")
	b.ReportMetric(float64(h.max), "max_ns")
	b.ReportMetric(h.sum/float64(h.count), "mean_ns")
}
