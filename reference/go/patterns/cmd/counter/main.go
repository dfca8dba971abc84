// counter: the Go original of patterns/counter.c.
package main

import (
	"flag"
	"fmt"
	"os"

	"goc/reference/patterns"
)

func main() {
	flag.Float64("time-scale", 1, "unused")
	quiet := flag.Bool("quiet", false, "no output")
	racy := flag.Bool("racy", false, "the article's data race")
	flag.Bool("mutex", true, "sync.Mutex (default)")
	chanlock := flag.Bool("chanlock", false, "cap-1 channel as the lock")
	tasks := flag.Int("tasks", 1000, "goroutines")
	flag.Parse()
	variant := patterns.CounterMutex
	if *racy {
		variant = patterns.CounterRacy
	} else if *chanlock {
		variant = patterns.CounterChanLock
	}
	v, err := patterns.Counter(variant, *tasks)
	if err != nil {
		os.Exit(2)
	}
	if !*quiet {
		fmt.Printf("Counter: %d\n", v)
	}
	_ = writer
	if variant == patterns.CounterRacy {
		fmt.Fprintf(os.Stderr, "[counter/go] racy variant: %d of %d increments survived\n", v, *tasks)
	} else if v != *tasks {
		os.Exit(1)
	}
}
