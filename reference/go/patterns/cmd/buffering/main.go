// buffering: the Go original of patterns/buffering.c.
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
	c := flag.Int("cap", 3, "buffered capacity")
	flag.Parse()
	out := os.Stdout
	if *quiet {
		out = nil
	}
	if *c < 1 || *c > 4096 || !patterns.Buffering(*c, writer(out)) {
		fmt.Fprintln(os.Stderr, "buffering: failed")
		os.Exit(1)
	}
}
