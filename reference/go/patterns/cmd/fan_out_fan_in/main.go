// fan_out_fan_in: the Go original of patterns/fan_out_fan_in.c.
package main

import (
	"flag"
	"os"

	"goc/reference/patterns"
)

func main() {
	flag.Float64("time-scale", 1, "unused")
	quiet := flag.Bool("quiet", false, "no output")
	n := flag.Int64("n", 5, "values")
	c := flag.Int("cap", 0, "channel capacity")
	flag.Parse()
	out := os.Stdout
	if *quiet {
		out = nil
	}
	r := patterns.FanOutFanIn(*n, *c, writer(out))
	if r.Received != 2**n || r.Sum != *n*(*n+1) || r.MultisetErrors != 0 || r.ClosedInputs != 2 {
		os.Exit(1)
	}
}
