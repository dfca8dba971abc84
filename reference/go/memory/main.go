// Command memory is the Go equivalent of harness/bench_memory.c: memory per
// parked goroutine and spawn time. For each N in -tasks, N goroutines each
// receive on ONE shared unbuffered channel and park; once all have started
// (plus a grace period to park), the resident set size from /proc/self/statm
// is compared with the value before the spawns. Then the channel is closed:
// every goroutine must see the close (ok == false) and finish (the
// self-check). Output: the same JSON schema as bench_memory, with
// context.goc_backend = -backend (go-p1 / go-pN; GOMAXPROCS comes from the
// environment). RSS counts the goroutine stacks (2 KiB minimum, grown on
// demand), the g structs and the runtime's heap; a Go process keeps freed
// memory mapped, so the baseline is taken after a GC.
// Standard library only.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func statm() (rss, vm uint64, ok bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, 0, false
	}
	size, e1 := strconv.ParseUint(f[0], 10, 64)
	res, e2 := strconv.ParseUint(f[1], 10, 64)
	if e1 != nil || e2 != nil {
		return 0, 0, false
	}
	pg := uint64(os.Getpagesize())
	return res * pg, size * pg, true
}

func memAvailable() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		var kb uint64
		if n, _ := fmt.Sscanf(s.Text(), "MemAvailable: %d kB", &kb); n == 1 {
			return kb * 1024
		}
	}
	return 0
}

func parseSizes(s string) ([]uint64, error) {
	var out []uint64
	for _, p := range strings.Split(s, ",") {
		mul := uint64(1)
		switch {
		case strings.HasSuffix(p, "k") || strings.HasSuffix(p, "K"):
			mul, p = 1000, p[:len(p)-1]
		case strings.HasSuffix(p, "m") || strings.HasSuffix(p, "M"):
			mul, p = 1000000, p[:len(p)-1]
		}
		v, err := strconv.ParseUint(p, 10, 64)
		if err != nil || v*mul < 1 || v*mul > 10000000 {
			return nil, fmt.Errorf("bad size %q", p)
		}
		out = append(out, v*mul)
	}
	return out, nil
}

func runSize(n uint64, prevPerTask *float64, guard bool) (string, bool) {
	rec := fmt.Sprintf(`{"tasks_requested": %d`, n)
	if guard && *prevPerTask > 0 {
		need := *prevPerTask * float64(n) * 1.25
		if avail := memAvailable(); avail > 0 && need > float64(avail)/2 {
			return rec + fmt.Sprintf(`, "skipped": "estimated %.0f MiB > half of MemAvailable (%.0f MiB)"}`,
				need/1048576, float64(avail)/1048576), true
		}
	}
	ch := make(chan uint64)
	var wg sync.WaitGroup
	var started, closed, other atomic.Uint64
	runtime.GC()
	debug.FreeOSMemory()
	rss0, vm0, ok0 := statm()
	t0 := time.Now()
	for i := uint64(0); i < n; i++ {
		wg.Add(1)
		go func() {
			started.Add(1)
			if _, ok := <-ch; !ok {
				closed.Add(1)
			} else {
				other.Add(1)
			}
			wg.Done()
		}()
	}
	t1 := time.Now()
	for started.Load() < n {
		time.Sleep(100 * time.Microsecond)
	}
	t2 := time.Now()
	time.Sleep(20*time.Millisecond + time.Duration(n)*200)
	rss1, vm1, ok1 := statm()
	t3 := time.Now()
	close(ch)
	wg.Wait()
	t4 := time.Now()
	dn := float64(n)
	good := ok0 && ok1 && closed.Load() == n && other.Load() == 0
	if ok0 && ok1 {
		per := (float64(rss1) - float64(rss0)) / dn
		rec += fmt.Sprintf(`, "tasks": %d, "rss_before_bytes": %d, "rss_delta_bytes": %d, "rss_per_task_bytes": %.1f, "vm_per_task_bytes": %.1f`,
			n, rss0, int64(rss1)-int64(rss0), per, (float64(vm1)-float64(vm0))/dn)
		if per > 0 {
			*prevPerTask = per
		} else {
			*prevPerTask = 1
		}
	} else {
		rec += fmt.Sprintf(`, "tasks": %d, "error": "cannot read /proc/self/statm"`, n)
	}
	rec += fmt.Sprintf(`, "spawn_ns_per_task": %.1f, "start_ns_per_task": %.1f, "wake_exit_ns_per_task": %.1f`,
		float64(t1.Sub(t0).Nanoseconds())/dn, float64(t2.Sub(t0).Nanoseconds())/dn, float64(t4.Sub(t3).Nanoseconds())/dn)
	if closed.Load() != n || other.Load() != 0 {
		rec += fmt.Sprintf(`, "error": "%d of %d goroutines saw the close, %d otherwise"`, closed.Load(), n, other.Load())
	}
	rec += fmt.Sprintf(`, "ok": %v}`, good)
	fmt.Fprintf(os.Stderr, "memory: %d goroutines: %.0f B/task RSS, spawn %.0f ns/task\n", n,
		(float64(rss1)-float64(rss0))/dn, float64(t1.Sub(t0).Nanoseconds())/dn)
	return rec, good
}

func main() {
	tasks := flag.String("tasks", "1000,100000,1000000", "comma-separated task counts (k, m suffixes)")
	out := flag.String("out", "", "output file (default stdout)")
	backend := flag.String("backend", "go", "backend name for the JSON context (go-p1, go-pN)")
	noGuard := flag.Bool("no-mem-guard", false, "do not skip sizes estimated to exceed half of MemAvailable")
	flag.Parse()
	sizes, err := parseSizes(*tasks)
	if err != nil {
		fmt.Fprintln(os.Stderr, "memory:", err)
		os.Exit(2)
	}
	host, _ := os.Hostname()
	var b strings.Builder
	fmt.Fprintf(&b, "{\n  \"context\": {\"goc_backend\": %q, \"kind\": \"memory\", \"host_name\": %q, \"num_cpus\": %d, \"gomaxprocs\": \"%d\", \"go_version\": %q, \"page_size\": %d},\n  \"memory\": [\n",
		*backend, host, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), os.Getpagesize())
	prev := 0.0
	allOK := true
	for i, n := range sizes {
		rec, ok := runSize(n, &prev, !*noGuard)
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString("    " + rec)
		allOK = allOK && ok
	}
	b.WriteString("\n  ]\n}\n")
	if *out == "" {
		os.Stdout.WriteString(b.String())
	} else if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "memory:", err)
		os.Exit(2)
	}
	if !allOK {
		os.Exit(1)
	}
}
