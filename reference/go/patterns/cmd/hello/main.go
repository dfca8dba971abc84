// hello: the Go original of patterns/hello.c.
package main

import (
	"flag"
	"fmt"
	"os"

	"goc/reference/patterns"
)

func main() {
	scale := flag.Float64("time-scale", 1, "multiplies every sleep and timeout")
	quiet := flag.Bool("quiet", false, "no output")
	wg := flag.Bool("wg", false, "wait with a WaitGroup instead of a sleep")
	flag.Parse()
	out := os.Stdout
	if *quiet {
		out = nil
	}
	names := []string{"Alice", "Bob"}
	var w, _ = patterns.Hello(*wg, names, *scale, writer(out))
	if !*wg {
		fmt.Fprintf(os.Stderr, "[hello/go] race-prone wait: main slept %.0f ms instead of synchronising; %d of %d greetings had printed when it woke (run with --wg for the WaitGroup)\n",
			float64(patterns.Scaled(100e6, *scale))/1e6, w, len(names))
	}
}
