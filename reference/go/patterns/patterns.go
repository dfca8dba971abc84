// Package patterns holds the Go originals of goc's patterns/ (the programs
// of "Go Concurrency: Mastering Goroutines and Channels"): the same
// functions, parameters and prints as patterns/*.c, so that the pattern
// CLIs (cmd/<name>) and the benchmarks (bench_test.go, same names as
// harness/bench_patterns.c) compare like with like. Standard library only.
//
// Where the C version departs from the article for hygiene (waiting for
// every goroutine before returning, cap-1 answer channels in
// select_timeout, a feeder goroutine when the jobs do not fit the jobs
// channel), this file does the same, so both sides run one workload.
package patterns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Scaled multiplies d by scale (<= 0 means 1), at least 1 ns for d > 0,
// like pat_scaled.
func Scaled(d time.Duration, scale float64) time.Duration {
	if d <= 0 {
		return d
	}
	if scale <= 0 {
		scale = 1
	}
	r := time.Duration(float64(d) * scale)
	if r < 1 {
		r = 1
	}
	return r
}

func printf(out io.Writer, format string, a ...interface{}) {
	if out != nil {
		fmt.Fprintf(out, format, a...)
	}
}

// ---------------------------------------------------------------- hello --

// Hello: go sayHello(name) for each name; the faithful variant waits with
// a 100 ms sleep (race-prone), the corrected one with a WaitGroup. Returns
// how many greetings had printed when main's wait ended.
func Hello(useWaitGroup bool, names []string, scale float64, out io.Writer) (whenResumed, total int) {
	var greeted int32
	var drain sync.WaitGroup
	for _, n := range names {
		drain.Add(1)
		go func(name string) {
			printf(out, "Hello, %s!\n", name)
			atomic.AddInt32(&greeted, 1)
			drain.Done()
		}(n)
	}
	if !useWaitGroup {
		time.Sleep(Scaled(100*time.Millisecond, scale))
		whenResumed = int(atomic.LoadInt32(&greeted))
		drain.Wait()
	} else {
		drain.Wait()
		whenResumed = int(atomic.LoadInt32(&greeted))
	}
	return whenResumed, int(atomic.LoadInt32(&greeted))
}

// ------------------------------------------------------------- messages --

func Messages(msg string, out io.Writer) string {
	messages := make(chan string)
	go func() { messages <- msg }()
	got := <-messages
	printf(out, "%s\n", got)
	return got
}

// ------------------------------------------------------------ buffering --

// Buffering mirrors pat_buffering; it returns whether every expectation held.
func Buffering(capacity int, out io.Writer) bool {
	ok := true
	ch := make(chan int)
	select {
	case ch <- 42:
		ok = false
	default:
		printf(out, "unbuffered: send with no receiver would block (try-send: would block)\n")
	}
	done := make(chan int, 1)
	go func() { done <- <-ch }()
	ch <- 42
	got := <-done
	printf(out, "unbuffered: received %d\n", got)
	ok = ok && got == 42
	bch := make(chan int, capacity)
	for i := 1; i <= capacity; i++ {
		bch <- i
	}
	printf(out, "buffered: %d sends did not block (len %d, cap %d)\n", capacity, len(bch), cap(bch))
	select {
	case bch <- capacity + 1:
		ok = false
	default:
		printf(out, "buffered: send #%d would block (try-send: would block)\n", capacity+1)
	}
	for i := 1; i <= capacity; i++ {
		v := <-bch
		if capacity <= 16 {
			printf(out, "%d\n", v)
		}
		ok = ok && v == i
	}
	return ok
}

// ---------------------------------------------------------- worker_pool --

type PoolResult struct {
	Results, Bad int
	Sum          int64
	Elapsed      time.Duration
}

func WorkerPool(workers, jobs int, work time.Duration, capacity int, scale float64, out io.Writer) PoolResult {
	t0 := time.Now()
	work = Scaled(work, scale)
	jobsCh := make(chan int, capacity)
	results := make(chan int, capacity)
	var wg sync.WaitGroup
	for w := 1; w <= workers; w++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for j := range jobsCh {
				printf(out, "worker %d started  job %d\n", id, j)
				if work > 0 {
					time.Sleep(work)
				}
				printf(out, "worker %d finished job %d\n", id, j)
				results <- j * 2
			}
		}(w)
	}
	send := func() {
		for j := 1; j <= jobs; j++ {
			jobsCh <- j
		}
		close(jobsCh)
	}
	if jobs <= capacity {
		send()
	} else {
		wg.Add(1)
		go func() { defer wg.Done(); send() }()
	}
	var r PoolResult
	for a := 0; a < jobs; a++ {
		v := <-results
		r.Results++
		r.Sum += int64(v)
		if v < 2 || v > 2*jobs || v&1 != 0 {
			r.Bad++
		}
	}
	wg.Wait()
	r.Elapsed = time.Since(t0)
	return r
}

// ------------------------------------------------------- fan_out_fan_in --

func fanOut(in <-chan int64, out1, out2 chan<- int64) {
	for v := range in {
		out1 <- v
		out2 <- v
	}
	close(out1)
	close(out2)
}

func fanIn(in1, in2 <-chan int64, capacity int, closedInputs *int, wg *sync.WaitGroup) <-chan int64 {
	out := make(chan int64, capacity)
	go func() {
		defer wg.Done()
		defer close(out)
		for in1 != nil || in2 != nil {
			select {
			case v, ok := <-in1:
				if !ok {
					in1 = nil
					*closedInputs++
					continue
				}
				out <- v
			case v, ok := <-in2:
				if !ok {
					in2 = nil
					*closedInputs++
					continue
				}
				out <- v
			}
		}
	}()
	return out
}

type FanResult struct {
	Received, MultisetErrors, ClosedInputs int64
	Sum                                    int64
}

func FanOutFanIn(n int64, capacity int, out io.Writer) FanResult {
	var wg sync.WaitGroup
	in := make(chan int64, capacity)
	o1 := make(chan int64, capacity)
	o2 := make(chan int64, capacity)
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := int64(1); i <= n; i++ {
			in <- i
		}
		close(in)
	}()
	go func() { defer wg.Done(); fanOut(in, o1, o2) }()
	var closed int
	merged := fanIn(o1, o2, capacity, &closed, &wg)
	seen := make([]uint8, n+1)
	var r FanResult
	for v := range merged {
		printf(out, "%d\n", v)
		r.Received++
		r.Sum += v
		if v >= 1 && v <= n && seen[v] < 255 {
			seen[v]++
		} else {
			r.MultisetErrors++
		}
	}
	wg.Wait()
	r.ClosedInputs = int64(closed)
	for i := int64(1); i <= n; i++ {
		if seen[i] != 2 {
			r.MultisetErrors++
		}
	}
	return r
}

// ------------------------------------------------------- select_timeout --

type SelectResult struct {
	Received, Timeouts int
	Order              []string
	Elapsed            time.Duration
}

func SelectTimeout(d1, d2, timeout time.Duration, scale float64, out io.Writer) SelectResult {
	t0 := time.Now()
	c1 := make(chan string, 1)
	c2 := make(chan string, 1)
	var senders sync.WaitGroup
	senders.Add(2)
	at1, at2 := t0.Add(Scaled(d1, scale)), t0.Add(Scaled(d2, scale))
	go func() { defer senders.Done(); time.Sleep(time.Until(at1)); c1 <- "one" }()
	go func() { defer senders.Done(); time.Sleep(time.Until(at2)); c2 <- "two" }()
	timeout = Scaled(timeout, scale)
	var r SelectResult
loop:
	for i := 0; i < 2; i++ {
		after := time.NewTimer(timeout) // goc_after + goc_chan_free: a stopped timer
		select {
		case msg := <-c1:
			r.Received++
			r.Order = append(r.Order, msg)
			printf(out, "received %s\n", msg)
		case msg := <-c2:
			r.Received++
			r.Order = append(r.Order, msg)
			printf(out, "received %s\n", msg)
		case <-after.C:
			r.Timeouts++
			printf(out, "timeout\n")
			after.Stop()
			break loop
		}
		after.Stop()
	}
	r.Elapsed = time.Since(t0)
	senders.Wait()
	return r
}

// ------------------------------------------------------- context_cancel --

type CancelResult struct {
	Cancelled, Processed, Left int
	Err                        error
	Elapsed                    time.Duration
}

// ContextCancel mirrors pat_context_cancel; timeout 0 is the benchmark's
// mode (WithCancel, acknowledged jobs, explicit cancel).
func ContextCancel(timeout time.Duration, workers, jobs int, job time.Duration, scale float64, out io.Writer) CancelResult {
	t0 := time.Now()
	bench := timeout == 0
	var ctx context.Context
	var cancel context.CancelFunc
	if bench {
		ctx, cancel = context.WithCancel(context.Background())
	} else {
		ctx, cancel = context.WithTimeout(context.Background(), Scaled(timeout, scale))
	}
	defer cancel()
	job = Scaled(job, scale)
	jobsCh := make(chan int, jobs)
	var acks chan int
	if bench {
		acks = make(chan int, jobs)
	}
	processed := make([]int, workers)
	cancelled := make([]int, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					cancelled[id] = 1
					printf(out, "worker %d cancelled: %v\n", id+1, ctx.Err())
					return
				case j := <-jobsCh:
					printf(out, "worker %d processing job %d\n", id+1, j)
					if job > 0 {
						time.Sleep(job)
					}
					processed[id]++
					if acks != nil {
						acks <- j
					}
				}
			}
		}(w)
	}
	for j := 1; j <= jobs; j++ {
		jobsCh <- j
	}
	if bench {
		for j := 0; j < jobs; j++ {
			<-acks
		}
		cancel()
	}
	wg.Wait()
	r := CancelResult{Elapsed: time.Since(t0), Err: ctx.Err()}
	for w := 0; w < workers; w++ {
		r.Processed += processed[w]
		r.Cancelled += cancelled[w]
	}
	for {
		select {
		case <-jobsCh:
			r.Left++
			continue
		default:
		}
		break
	}
	return r
}

// -------------------------------------------------------------- counter --

const (
	CounterRacy = iota
	CounterMutex
	CounterChanLock
)

var errVariant = errors.New("unknown counter variant")

// Counter: tasks goroutines each increment once. CounterRacy is the
// article's data race (go run -race reports it).
func Counter(variant, tasks int) (int, error) {
	var wg sync.WaitGroup
	counter := 0
	switch variant {
	case CounterRacy:
		for i := 0; i < tasks; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); counter++ }()
		}
		wg.Wait()
	case CounterMutex:
		var mu sync.Mutex
		for i := 0; i < tasks; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); mu.Lock(); counter++; mu.Unlock() }()
		}
		wg.Wait()
	case CounterChanLock:
		ch := make(chan int, 1)
		ch <- 0
		for i := 0; i < tasks; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); v := <-ch; v++; ch <- v }()
		}
		wg.Wait()
		counter = <-ch
	default:
		return 0, errVariant
	}
	return counter, nil
}

// ---------------------------------------------------- bench_worker_pool --

// BenchWorkerPool runs the article's BenchmarkWorkerPool body n times.
// leaky: jobs never closed (3 goroutines leak per iteration; Go cannot
// reap them, they stay until the process exits). Returns the sum and the
// goroutine-count growth.
func BenchWorkerPool(leaky bool, n, workers, jobs int, goroutines func() int) (sum int64, leaked int) {
	before := goroutines()
	for i := 0; i < n; i++ {
		jobsCh := make(chan int, 100)
		results := make(chan int, 100)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobsCh {
					results <- j * 2
				}
			}()
		}
		for j := 0; j < jobs; j++ {
			jobsCh <- j
		}
		for j := 0; j < jobs; j++ {
			sum += int64(<-results)
		}
		if !leaky {
			close(jobsCh)
			wg.Wait()
		}
	}
	// A leaked goroutine counts from its start; let the last ones reach
	// their receive (they already have: their results were received).
	leaked = goroutines() - before
	return sum, leaked
}
